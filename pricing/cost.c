/* $/device-hour (tier, TCO, given), $/M tokens (InferenceX and allocated), power metrics and the
 * self-host vs API break-even. Pure arithmetic on the caller's inputs. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "pricing/pricing.h"

/* Seconds per hour over tokens per million: tok/s x 3600 / 1e6 = million tokens per hour. */
#define M_TOK_PER_HOUR(tok_s) ((tok_s)*3600.0 / 1e6)

const char *mtok_hour_basis_name(enum mtok_hour_basis b)
{
    switch (b) {
    case MTOK_HOUR_TIER: return "tier";
    case MTOK_HOUR_TCO: return "tco";
    case MTOK_HOUR_GIVEN: return "given";
    }
    return "?";
}

double mtok_annuity_factor(double rate, double years)
{
    if (!(years > 0) || !(rate >= 0) || !isfinite(years) || !isfinite(rate))
        return NAN;
    if (rate == 0)
        return 1.0 / years;
    return rate / (1.0 - pow(1.0 + rate, -years));
}

double mtok_usd_per_m(double usd_per_hour, double tok_s_per_gpu)
{
    if (!(usd_per_hour > 0) || !(tok_s_per_gpu > 0))
        return NAN;
    return usd_per_hour / M_TOK_PER_HOUR(tok_s_per_gpu);
}

/* ---- $/device-hour ---- */

enum mtok_status mtok_pricing_hour_tier(const struct mtok_hw *hw, enum mtok_tier tier,
                                        struct mtok_device_hour *out, struct mtok_error *err)
{
    memset(out, 0, sizeof *out);
    if ((unsigned)tier >= MTOK_TIER_COUNT)
        return mtok_error_set(err, MTOK_EINVAL, "tier %d is not a price tier", (int)tier);
    double usd = hw->usd_per_hour[tier];
    if (!(usd > 0)) {
        char have[128] = "";
        size_t len = 0;
        for (int t = 0; t < MTOK_TIER_COUNT && len < sizeof have; t++)
            if (hw->usd_per_hour[t] > 0)
                len += (size_t)snprintf(have + len, sizeof have - len, "%s%s", len ? ", " : "",
                                        mtok_tier_name((enum mtok_tier)t));
        return mtok_error_set(err, MTOK_ENOTFOUND, "%s has no %s $/hour price (it has: %s)", hw->id,
                              mtok_tier_name(tier), len ? have : "none");
    }
    out->basis = MTOK_HOUR_TIER;
    out->hw_id = hw->id;
    out->tier = tier;
    out->source = &hw->src_price;
    out->usd_per_hour = usd;
    out->system_capex_usd = out->annuity_factor = NAN;
    out->capex_usd_h = out->power_usd_h = out->hosting_usd_h = out->opex_usd_h = NAN;
    return MTOK_OK;
}

enum mtok_status mtok_tco_for_hw(const struct mtok_tco_defaults *d, const struct mtok_hw *hw,
                                 struct mtok_tco *out, struct mtok_error *err)
{
    memset(out, 0, sizeof *out);
    if (!(hw->purchase_usd > 0))
        return mtok_error_set(err, MTOK_ENOTFOUND,
                              "%s has no purchase price (price.purchase_usd) to build a TCO from",
                              hw->id);
    out->purchase_usd = hw->purchase_usd;
    out->server_capex_ratio = d->server_capex_ratio;
    out->network_capex_ratio = d->network_capex_ratio;
    out->years = d->years;
    out->cost_of_capital = d->cost_of_capital;
    out->opex_per_year = d->opex_per_year;
    out->pue = d->pue;
    out->load_fraction = d->load_fraction;
    out->usd_per_kwh = d->usd_per_kwh;
    out->hosting_usd_per_kw_month = d->hosting_usd_per_kw_month;
    if (hw->all_in_kw > 0)
        out->all_in_kw = hw->all_in_kw;
    else if (hw->tdp_w > 0)
        out->all_in_kw = hw->tdp_w / 1000.0 * d->server_power_ratio * d->pue;
    return MTOK_OK;
}

static bool in_range(double v, double lo, double hi)
{
    return isfinite(v) && v >= lo && v <= hi;
}

enum mtok_status mtok_pricing_hour_tco(const struct mtok_tco *in, const struct mtok_hw *hw,
                                       const struct mtok_source *source,
                                       struct mtok_device_hour *out, struct mtok_error *err)
{
    memset(out, 0, sizeof *out);
    static const struct {
        const char *name;
        size_t off;
        double lo, hi;
    } fields[] = {
        {"purchase_usd", offsetof(struct mtok_tco, purchase_usd), 1e-9, 1e12},
        {"server_capex_ratio", offsetof(struct mtok_tco, server_capex_ratio), 1, 100},
        {"network_capex_ratio", offsetof(struct mtok_tco, network_capex_ratio), 1, 100},
        {"years", offsetof(struct mtok_tco, years), 1e-3, 100},
        {"cost_of_capital", offsetof(struct mtok_tco, cost_of_capital), 0, 10},
        {"opex_per_year", offsetof(struct mtok_tco, opex_per_year), 0, 10},
        {"all_in_kw", offsetof(struct mtok_tco, all_in_kw), 0, 1e6},
        {"pue", offsetof(struct mtok_tco, pue), 1, 10},
        {"load_fraction", offsetof(struct mtok_tco, load_fraction), 1e-9, 1},
        {"usd_per_kwh", offsetof(struct mtok_tco, usd_per_kwh), 0, 1e3},
        {"hosting_usd_per_kw_month", offsetof(struct mtok_tco, hosting_usd_per_kw_month), 0, 1e6},
    };
    for (size_t i = 0; i < sizeof fields / sizeof *fields; i++) {
        double v;
        memcpy(&v, (const char *)in + fields[i].off, sizeof v);
        if (!in_range(v, fields[i].lo, fields[i].hi))
            return mtok_error_set(err, MTOK_EINVAL, "TCO input %s = %g is outside [%g, %g]",
                                  fields[i].name, v, fields[i].lo, fields[i].hi);
    }
    out->basis = MTOK_HOUR_TCO;
    out->hw_id = hw ? hw->id : NULL;
    out->source = source;
    out->tco = *in;
    out->system_capex_usd = in->purchase_usd * in->server_capex_ratio * in->network_capex_ratio;
    out->annuity_factor = mtok_annuity_factor(in->cost_of_capital, in->years);
    out->capex_usd_h = out->system_capex_usd * out->annuity_factor / MTOK_HOURS_PER_YEAR;
    out->power_usd_h = in->all_in_kw * in->load_fraction * in->usd_per_kwh;
    out->hosting_usd_h =
        in->all_in_kw / in->pue * in->hosting_usd_per_kw_month * 12.0 / MTOK_HOURS_PER_YEAR;
    out->opex_usd_h = out->system_capex_usd * in->opex_per_year / MTOK_HOURS_PER_YEAR;
    out->usd_per_hour = out->capex_usd_h + out->power_usd_h + out->hosting_usd_h + out->opex_usd_h;
    if (in->all_in_kw == 0)
        snprintf(out->note, sizeof out->note,
                 "no power figure%s%s: electricity and hosting are not counted", hw ? " for " : "",
                 hw ? hw->id : "");
    return MTOK_OK;
}

enum mtok_status mtok_pricing_hour_given(double usd_per_hour, struct mtok_device_hour *out,
                                         struct mtok_error *err)
{
    memset(out, 0, sizeof *out);
    if (!in_range(usd_per_hour, 1e-12, 1e9))
        return mtok_error_set(err, MTOK_EINVAL, "$/device-hour %g is not a positive price",
                              usd_per_hour);
    out->basis = MTOK_HOUR_GIVEN;
    out->usd_per_hour = usd_per_hour;
    out->system_capex_usd = out->annuity_factor = NAN;
    out->capex_usd_h = out->power_usd_h = out->hosting_usd_h = out->opex_usd_h = NAN;
    return MTOK_OK;
}

/* ---- $/M tokens ---- */

struct mtok_cost_inputs mtok_cost_inputs_default(const struct mtok_tco_defaults *d)
{
    return (struct mtok_cost_inputs){.utilisation = d->utilisation,
                                     .cached_input_cost_ratio = d->cached_input_cost_ratio};
}

enum mtok_status mtok_pricing_tokens(const struct mtok_device_hour *hour,
                                     const struct mtok_serving *serving,
                                     const struct mtok_cost_inputs *inputs,
                                     struct mtok_token_cost *out, struct mtok_error *err)
{
    memset(out, 0, sizeof *out);
    const struct mtok_serving *s = serving;
    if (!in_range(hour->usd_per_hour, 1e-12, 1e9))
        return mtok_error_set(err, MTOK_EINVAL, "$/device-hour %g is not a positive price",
                              hour->usd_per_hour);
    if (!in_range(s->tok_s_per_gpu, 0, 1e12) || !in_range(s->input_tok_s_per_gpu, 0, 1e12) ||
        !in_range(s->output_tok_s_per_gpu, 0, 1e12))
        return mtok_error_set(err, MTOK_EINVAL, "throughputs must be finite and >= 0");
    if (s->prefill_gpus < 0 || s->decode_gpus < 0 || (s->prefill_gpus > 0) != (s->decode_gpus > 0))
        return mtok_error_set(err, MTOK_EINVAL,
                              "prefill_gpus %d and decode_gpus %d: give both pools or neither",
                              s->prefill_gpus, s->decode_gpus);
    if (!in_range(s->prefill_time_share, 0, 1))
        return mtok_error_set(err, MTOK_EINVAL, "prefill_time_share %g is outside [0, 1]",
                              s->prefill_time_share);
    if (!in_range(s->cache_hit_share, 0, 1) || s->cache_hit_share >= 1)
        return mtok_error_set(err, MTOK_EINVAL, "cache_hit_share %g is outside [0, 1)",
                              s->cache_hit_share);
    if (!in_range(s->kw_per_gpu, 0, 1e6))
        return mtok_error_set(err, MTOK_EINVAL, "kw_per_gpu %g is not a power", s->kw_per_gpu);
    if (!in_range(inputs->utilisation, 1e-9, 1))
        return mtok_error_set(err, MTOK_EINVAL, "utilisation %g is outside (0, 1]",
                              inputs->utilisation);
    if (!in_range(inputs->cached_input_cost_ratio, 0, 1))
        return mtok_error_set(err, MTOK_EINVAL, "cached_input_cost_ratio %g is outside [0, 1]",
                              inputs->cached_input_cost_ratio);

    bool disagg = s->prefill_gpus > 0;
    int gpus = disagg ? s->prefill_gpus + s->decode_gpus : 1;
    /* Rates per GPU of the whole deployment, so that one GPU-hour buys them all. */
    double r_in = disagg ? s->input_tok_s_per_gpu * s->prefill_gpus / gpus : s->input_tok_s_per_gpu;
    double r_out =
        disagg ? s->output_tok_s_per_gpu * s->decode_gpus / gpus : s->output_tok_s_per_gpu;
    bool split = r_in > 0 || r_out > 0;
    double total = s->tok_s_per_gpu;
    if (total == 0) {
        if (!split)
            return mtok_error_set(err, MTOK_EINVAL, "no throughput given (tok/s/GPU all 0)");
        total = r_in + r_out;
    } else if (split && fabs(total - (r_in + r_out)) > 0.01 * total) {
        return mtok_error_set(err, MTOK_EINVAL,
                              "tok_s_per_gpu %g disagrees with input + output = %g tok/s/GPU",
                              total, r_in + r_out);
    }

    out->hour = *hour;
    out->serving = *s;
    out->serving.tok_s_per_gpu = total;
    out->inputs = *inputs;
    out->gpus = gpus;
    double h_busy = hour->usd_per_hour / inputs->utilisation;
    out->usd_per_gpu_hour = h_busy;

    out->usd_per_m_total = mtok_usd_per_m(h_busy, total);
    out->usd_per_m_input_only = mtok_usd_per_m(h_busy, s->input_tok_s_per_gpu);
    out->usd_per_m_output_only = mtok_usd_per_m(h_busy, s->output_tok_s_per_gpu);

    /* Allocated prices. */
    out->prefill_cost_share = out->usd_per_m_input = out->usd_per_m_cached_input = NAN;
    out->usd_per_m_output = out->usd_per_m_input_blended = NAN;
    double share = NAN;
    if (!split)
        snprintf(out->split_note, sizeof out->split_note,
                 "only the total throughput is known: no input/output split");
    else if (disagg)
        share = (double)s->prefill_gpus / gpus;
    else if (s->prefill_time_share > 0)
        share = s->prefill_time_share;
    else if (r_in == 0)
        share = 0;
    else if (r_out == 0)
        share = 1;
    else
        snprintf(out->split_note, sizeof out->split_note,
                 "aggregated serving without prefill_time_share: no input/output split");
    if (!isnan(share) && ((share > 0 && r_in == 0) || (share < 1 && r_out == 0))) {
        snprintf(out->split_note, sizeof out->split_note,
                 "GPU time charged to a token type with zero throughput: no input/output split");
        share = NAN;
    }
    if (!isnan(share)) {
        double h = s->cache_hit_share, r = inputs->cached_input_cost_ratio;
        out->prefill_cost_share = share;
        double work = r_in * ((1 - h) + h * r); /* miss-token equivalents per second */
        if (share > 0 && work > 0) {
            out->usd_per_m_input = share * h_busy / M_TOK_PER_HOUR(work);
            out->usd_per_m_cached_input = r * out->usd_per_m_input;
            out->usd_per_m_input_blended =
                (1 - h) * out->usd_per_m_input + h * out->usd_per_m_cached_input;
        } else {
            out->usd_per_m_input = out->usd_per_m_cached_input = out->usd_per_m_input_blended = 0;
        }
        out->usd_per_m_output = share < 1 ? (1 - share) * h_busy / M_TOK_PER_HOUR(r_out) : 0;
    }

    out->tok_s_per_mw = out->output_tok_s_per_mw = NAN;
    out->j_per_token = out->j_per_output_token = NAN;
    if (s->kw_per_gpu > 0) {
        out->tok_s_per_mw = total * 1000.0 / s->kw_per_gpu;
        out->j_per_token = s->kw_per_gpu * 1000.0 / total;
        if (s->output_tok_s_per_gpu > 0) {
            out->output_tok_s_per_mw = s->output_tok_s_per_gpu * 1000.0 / s->kw_per_gpu;
            out->j_per_output_token = s->kw_per_gpu * 1000.0 / s->output_tok_s_per_gpu;
        }
    }
    return MTOK_OK;
}

/* ---- break-even ---- */

enum mtok_status mtok_pricing_breakeven(const struct mtok_token_cost *cost,
                                        const struct mtok_api_price *api,
                                        const struct mtok_workload *w, struct mtok_breakeven *out,
                                        struct mtok_error *err)
{
    memset(out, 0, sizeof *out);
    double in = w->input_tokens, o = w->output_tokens, h = w->cache_hit_share;
    if (!in_range(in, 0, 1e15) || !in_range(o, 0, 1e15) || in + o <= 0)
        return mtok_error_set(err, MTOK_EINVAL, "the token mix is empty or negative");
    if (!in_range(h, 0, 1) || h >= 1)
        return mtok_error_set(err, MTOK_EINVAL, "cache_hit_share %g is outside [0, 1)", h);
    if (o > 0 && isnan(api->per_m_output))
        return mtok_error_set(err, MTOK_EINVAL, "%s publishes no output price", api->id);
    out->workload = *w;
    out->api = api;
    double p_in = api->per_m_input, p_cached = api->per_m_cached_input, p_out = api->per_m_output;
    if (isnan(p_cached)) {
        p_cached = p_in;
        out->api_cached_is_input = true;
    }
    out->api_usd_per_m =
        (in * ((1 - h) * p_in + h * p_cached) + (o > 0 ? o * p_out : 0)) / (in + o);

    /* Costs scale with 1 / utilisation; bring them back to a fully busy fleet. */
    double u = cost->inputs.utilisation;
    bool split = !isnan(cost->usd_per_m_input) && !isnan(cost->usd_per_m_output);
    double self;
    if (split) {
        /* The cached price the cost carries was made at its own cache share and ratio; re-blend
         * at this mix's share with the same per-token prices. */
        self = (in * ((1 - h) * cost->usd_per_m_input + h * cost->usd_per_m_cached_input) +
                o * cost->usd_per_m_output) /
               (in + o);
    } else {
        self = cost->usd_per_m_total;
    }
    out->self_used_split = split;
    out->self_usd_per_m = self * u;
    out->utilisation = out->api_usd_per_m > 0 ? out->self_usd_per_m / out->api_usd_per_m : INFINITY;
    return MTOK_OK;
}

void mtok_pricing_cost_row(const struct mtok_token_cost *c, struct mtok_cost_row *row)
{
    row->tier = c->hour.basis == MTOK_HOUR_TIER ? mtok_tier_name(c->hour.tier)
                                                : mtok_hour_basis_name(c->hour.basis);
    row->usd_per_gpu_hour = c->usd_per_gpu_hour;
    row->usd_per_m_input = c->usd_per_m_input;
    row->usd_per_m_cached_input = c->usd_per_m_cached_input;
    row->usd_per_m_output = c->usd_per_m_output;
    row->usd_per_m_total = c->usd_per_m_total;
}

struct mtok_serving mtok_serving_from_sim(const struct mtok_serve_point *pt,
                                          const struct mtok_deploy *dep, const struct mtok_hw *hw)
{
    bool disagg = dep->prefill_gpus > 0 && dep->decode_gpus > 0;
    return (struct mtok_serving){
        .tok_s_per_gpu = pt->tok_s_per_gpu,
        .input_tok_s_per_gpu = pt->input_tok_s_per_gpu,
        .output_tok_s_per_gpu = pt->output_tok_s_per_gpu,
        .prefill_gpus = disagg ? dep->prefill_gpus : 0,
        .decode_gpus = disagg ? dep->decode_gpus : 0,
        .prefill_time_share = disagg ? 0 : pt->prefill_time_share,
        .cache_hit_share = dep->cache_hit,
        .kw_per_gpu = hw && hw->all_in_kw > 0 ? hw->all_in_kw : 0,
    };
}
