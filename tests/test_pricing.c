/* pricing/: the cost maths against hand-computed cases (InferenceX's dashboard points, TCO with an
 * annuity, allocated input/cached/output prices, power metrics, the self-host vs API break-even),
 * the API price in force across DeepSeek V4-Pro's discount history, the TCO defaults file and its
 * checker, price books parsed from memory, and price snapshots written to SQLite in one run.
 *
 * Every expected figure below was worked out by hand (the working is in the comments), not by
 * running the code. */
#define _POSIX_C_SOURCE 200809L
#include <unistd.h>

#include "pricing/pricing.h"
#include "store/store.h"
#include "test.h"

static struct mtok_catalog *cat;
static struct mtok_tco_defaults defaults;

/* ---- InferenceX's formula ---- */

static void test_inferencex_points(void)
{
    /* FACTS D6, DeepSeek-R1 FP8 8k/1k, hyperscaler tier:
     * B200 5,857 tok/s/GPU at $1.95/h: 5857 x 3600 / 1e6 = 21.0852 M tok/h; 1.95 / 21.0852 =
     * 0.092482 $/M -> the dashboard's $0.092 (0.0925 to four places). */
    double b200 = mtok_usd_per_m(1.95, 5857);
    CHECK_NEAR(b200, 0.0924819, 1e-5);
    CHECK(fabs(b200 - 0.0925) < 0.00005);
    /* MI300X 725 at $1.12: 1.12 / 2.61 = 0.42912 (dashboard $0.429). MI325X 854 at $1.28:
     * 1.28 / 3.0744 = 0.41634 (dashboard $0.416). */
    CHECK_NEAR(mtok_usd_per_m(1.12, 725), 0.429119, 1e-5);
    CHECK_NEAR(mtok_usd_per_m(1.28, 854), 0.416341, 1e-5);
    CHECK(isnan(mtok_usd_per_m(1.95, 0)) && isnan(mtok_usd_per_m(0, 100)));

    /* The same through the tier in the hardware file and the full cost function. */
    const struct mtok_hw *hw = mtok_catalog_hw(cat, "b200");
    CHECK(hw != NULL);
    if (!hw)
        return;
    struct mtok_device_hour hour;
    struct mtok_error err = {0};
    CHECK(mtok_pricing_hour_tier(hw, MTOK_TIER_HYPERSCALER, &hour, &err) == MTOK_OK);
    CHECK(hour.usd_per_hour == 1.95 && hour.basis == MTOK_HOUR_TIER && hour.source &&
          hour.source->source && strcmp(hour.hw_id, "b200") == 0);
    struct mtok_serving s = {.tok_s_per_gpu = 5857, .kw_per_gpu = hw->all_in_kw};
    struct mtok_cost_inputs in = {.utilisation = 1, .cached_input_cost_ratio = 0.1};
    struct mtok_token_cost c;
    CHECK(mtok_pricing_tokens(&hour, &s, &in, &c, &err) == MTOK_OK);
    CHECK_NEAR(c.usd_per_m_total, 0.0924819, 1e-5);
    /* Only the total is known: no split, and the reason is given. */
    CHECK(isnan(c.usd_per_m_input) && isnan(c.usd_per_m_output) && c.split_note[0]);
    /* tok/s/MW = 5857 x 1000 / 2.17 = 2,699,078; J/token = 2170 W / 5857 tok/s = 0.37050. */
    CHECK_NEAR(c.tok_s_per_mw, 2699078.3, 1e-6);
    CHECK_NEAR(c.j_per_token, 0.370497, 1e-5);
    /* The working travels with the result. */
    CHECK(c.hour.usd_per_hour == 1.95 && c.serving.tok_s_per_gpu == 5857 &&
          c.inputs.utilisation == 1);

    /* A tier the file does not have says which it has. */
    CHECK(mtok_pricing_hour_tier(hw, MTOK_TIER_SPOT, &hour, &err) == MTOK_ENOTFOUND);
    CHECK(strstr(err.msg, "b200") && strstr(err.msg, "hyperscaler, neocloud, rental"));
}

/* ---- TCO ---- */

static void test_tco(void)
{
    struct mtok_error err = {0};
    /* Annuity: r / (1 - (1 + r)^-n). 10 %, 5 years: 1.1^5 = 1.61051, 1/1.61051 = 0.620921,
     * 0.1 / 0.379079 = 0.263797. 8 %, 3 years: 1.08^3 = 1.259712, 1 - 0.793832 = 0.206168,
     * 0.08 / 0.206168 = 0.388034. No interest: 1/n. */
    CHECK_NEAR(mtok_annuity_factor(0.10, 5), 0.263797, 1e-5);
    CHECK_NEAR(mtok_annuity_factor(0.08, 3), 0.388034, 1e-5);
    CHECK_NEAR(mtok_annuity_factor(0, 4), 0.25, 1e-12);
    CHECK(isnan(mtok_annuity_factor(0.1, 0)) && isnan(mtok_annuity_factor(-0.1, 3)));
    /* Paying back with interest always costs more than the principal. */
    CHECK(mtok_annuity_factor(0.10, 5) * 5 > 1.0);

    /* A case with round numbers: $10,000 device, no server/network overhead, 3 years at 8 %,
     * 1 kW all-in at PUE 1 fully loaded at $0.10/kWh, $100/kW-month hosting, 5 %/year opex.
     *   capex/h   = 10000 x 0.388034 / 8760 = 0.442961
     *   power/h   = 1 x 1 x 0.10          = 0.100000
     *   hosting/h = 1 / 1 x 100 x 12 / 8760 = 0.136986
     *   opex/h    = 10000 x 0.05 / 8760    = 0.057078
     *   total                              = 0.737025 $/h */
    struct mtok_tco t = {.purchase_usd = 10000,
                         .server_capex_ratio = 1,
                         .network_capex_ratio = 1,
                         .years = 3,
                         .cost_of_capital = 0.08,
                         .opex_per_year = 0.05,
                         .all_in_kw = 1,
                         .pue = 1,
                         .load_fraction = 1,
                         .usd_per_kwh = 0.10,
                         .hosting_usd_per_kw_month = 100};
    struct mtok_device_hour h;
    CHECK(mtok_pricing_hour_tco(&t, NULL, NULL, &h, &err) == MTOK_OK);
    CHECK_NEAR(h.capex_usd_h, 0.442961, 1e-5);
    CHECK_NEAR(h.power_usd_h, 0.1, 1e-12);
    CHECK_NEAR(h.hosting_usd_h, 0.136986, 1e-5);
    CHECK_NEAR(h.opex_usd_h, 0.057078, 1e-4);
    CHECK_NEAR(h.usd_per_hour, 0.737025, 1e-5);
    CHECK(h.basis == MTOK_HOUR_TCO && h.tco.years == 3 && h.system_capex_usd == 10000);

    /* Out-of-range inputs are named. */
    struct mtok_tco bad = t;
    bad.pue = 0.9;
    CHECK(mtok_pricing_hour_tco(&bad, NULL, NULL, &h, &err) == MTOK_EINVAL &&
          strstr(err.msg, "pue"));
    bad = t;
    bad.years = 0;
    CHECK(mtok_pricing_hour_tco(&bad, NULL, NULL, &h, &err) == MTOK_EINVAL &&
          strstr(err.msg, "years"));

    /* B200 from the data defaults (data/pricing/tco.json):
     *   system capex = 40,000 x 1.6 x 1.15 = 73,600
     *   capex/h   = 73,600 x 0.263797 / 8760 = 2.216381
     *   power/h   = 2.17 kW x 0.75 x $0.083  = 0.135083
     *   hosting/h = 2.17 / 1.25 x 184.06 x 12 / 8760 = 0.437710
     *   total                                = 2.789173 $/h
     * (between InferenceX's neocloud $2.34 and 3-year rental $2.90 tiers for B200). */
    const struct mtok_hw *b200 = mtok_catalog_hw(cat, "b200");
    CHECK(mtok_tco_for_hw(&defaults, b200, &t, &err) == MTOK_OK);
    CHECK(t.purchase_usd == 40000 && t.all_in_kw == 2.17 && t.years == 5);
    CHECK(mtok_pricing_hour_tco(&t, b200, &defaults.src_capital, &h, &err) == MTOK_OK);
    CHECK_NEAR(h.system_capex_usd, 73600, 1e-12);
    CHECK_NEAR(h.capex_usd_h, 2.216381, 1e-5);
    CHECK_NEAR(h.power_usd_h, 0.135083, 1e-5);
    CHECK_NEAR(h.hosting_usd_h, 0.437710, 1e-5);
    CHECK_NEAR(h.usd_per_hour, 2.789173, 1e-5);
    CHECK(h.note[0] == '\0' && strcmp(h.hw_id, "b200") == 0);

    /* Only a TDP: all-in kW = 0.6 kW x 1.8 x 1.25 = 1.35 (Ascend 950PR, 600 W). */
    const struct mtok_hw *asc = mtok_catalog_hw(cat, "ascend-950pr");
    CHECK(asc && mtok_tco_for_hw(&defaults, asc, &t, &err) == MTOK_OK);
    CHECK_NEAR(t.all_in_kw, 1.35, 1e-12);
    /* No power figure at all: priced without electricity, and the note says so. */
    const struct mtok_hw *mac = mtok_catalog_hw(cat, "m4-max");
    CHECK(mac && mtok_tco_for_hw(&defaults, mac, &t, &err) == MTOK_OK && t.all_in_kw == 0);
    CHECK(mtok_pricing_hour_tco(&t, mac, NULL, &h, &err) == MTOK_OK && h.power_usd_h == 0 &&
          strstr(h.note, "m4-max"));
    /* No purchase price: nothing to build a TCO from. */
    const struct mtok_hw *h20 = mtok_catalog_hw(cat, "h20");
    CHECK(h20 && mtok_tco_for_hw(&defaults, h20, &t, &err) == MTOK_ENOTFOUND &&
          strstr(err.msg, "h20"));

    CHECK(mtok_pricing_hour_given(2.5, &h, &err) == MTOK_OK && h.usd_per_hour == 2.5 &&
          h.basis == MTOK_HOUR_GIVEN);
    CHECK(mtok_pricing_hour_given(-1, &h, &err) == MTOK_EINVAL);
    CHECK(strcmp(mtok_hour_basis_name(MTOK_HOUR_TCO), "tco") == 0);
}

/* ---- $/M input, cached input, output ---- */

static void test_allocation(void)
{
    struct mtok_error err = {0};
    struct mtok_device_hour hour;
    mtok_pricing_hour_given(2.0, &hour, &err);
    struct mtok_cost_inputs in = {.utilisation = 1, .cached_input_cost_ratio = 0.1};
    struct mtok_token_cost c;

    /* Aggregated: $2/h; per GPU 9,000 input and 1,000 output tok/s; 30 % of GPU time in prefill;
     * half the input tokens hit the prefix cache; a hit costs 0.1 of a miss.
     *   total        2 / (10000 x 0.0036) = 0.055556 $/M
     *   input-only   2 / (9000 x 0.0036)  = 0.061728, output-only 2 / 3.6 = 0.555556
     *   miss-equivalent input rate = 9000 x (0.5 + 0.5 x 0.1) = 4950 tok/s
     *   input miss   0.3 x 2 / (4950 x 0.0036) = 0.6 / 17.82 = 0.033670
     *   input hit    0.1 x 0.033670 = 0.0033670
     *   output       0.7 x 2 / (1000 x 0.0036) = 1.4 / 3.6 = 0.388889
     *   blended in   0.5 x 0.033670 + 0.5 x 0.003367 = 0.018519
     * Check: 32.4 M input tok/h x 0.018519 + 3.6 M output tok/h x 0.388889 = 0.6 + 1.4 = $2. */
    struct mtok_serving s = {.input_tok_s_per_gpu = 9000,
                             .output_tok_s_per_gpu = 1000,
                             .prefill_time_share = 0.3,
                             .cache_hit_share = 0.5};
    CHECK(mtok_pricing_tokens(&hour, &s, &in, &c, &err) == MTOK_OK);
    CHECK(c.serving.tok_s_per_gpu == 10000 && c.gpus == 1);
    CHECK_NEAR(c.usd_per_m_total, 0.0555556, 1e-5);
    CHECK_NEAR(c.usd_per_m_input_only, 0.0617284, 1e-5);
    CHECK_NEAR(c.usd_per_m_output_only, 0.555556, 1e-5);
    CHECK_NEAR(c.prefill_cost_share, 0.3, 1e-12);
    CHECK_NEAR(c.usd_per_m_input, 0.0336700, 1e-5);
    CHECK_NEAR(c.usd_per_m_cached_input, 0.00336700, 1e-5);
    CHECK_NEAR(c.usd_per_m_output, 0.388889, 1e-5);
    CHECK_NEAR(c.usd_per_m_input_blended, 0.0185185, 1e-5);
    double spend =
        9000 * 3600 / 1e6 * c.usd_per_m_input_blended + 1000 * 3600 / 1e6 * c.usd_per_m_output;
    CHECK_NEAR(spend, 2.0, 1e-9);
    /* The allocated sheet reproduces InferenceX's total on the same tokens. */
    CHECK_NEAR(spend / (10000 * 3600 / 1e6), c.usd_per_m_total, 1e-9);

    /* Half the hours idle: every figure doubles. */
    struct mtok_cost_inputs half = {.utilisation = 0.5, .cached_input_cost_ratio = 0.1};
    struct mtok_token_cost c2;
    CHECK(mtok_pricing_tokens(&hour, &s, &half, &c2, &err) == MTOK_OK);
    CHECK_NEAR(c2.usd_per_m_total, 2 * c.usd_per_m_total, 1e-12);
    CHECK_NEAR(c2.usd_per_m_output, 2 * c.usd_per_m_output, 1e-12);
    CHECK_NEAR(c2.usd_per_gpu_hour, 4.0, 1e-12);

    /* Disaggregated: 2 prefill GPUs at 20,000 input tok/s each, 6 decode GPUs at 3,000 output
     * tok/s each, no cache hits.
     *   per GPU of the 8: input 20000 x 2/8 = 5000, output 3000 x 6/8 = 2250, total 7250
     *   total   2 / (7250 x 0.0036) = 0.076628
     *   input   (2/8) x 2 / (5000 x 0.0036) = 0.027778 = 2 / (20000 x 0.0036)
     *   output  (6/8) x 2 / (2250 x 0.0036) = 0.185185 = 2 / (3000 x 0.0036)
     * With no cache, each pool's cost over its own tokens equals InferenceX's input-only and
     * output-only figures (which divide by per-prefill-GPU and per-decode-GPU rates). */
    struct mtok_serving d = {.input_tok_s_per_gpu = 20000,
                             .output_tok_s_per_gpu = 3000,
                             .prefill_gpus = 2,
                             .decode_gpus = 6,
                             .kw_per_gpu = 2.1};
    CHECK(mtok_pricing_tokens(&hour, &d, &in, &c, &err) == MTOK_OK);
    CHECK(c.gpus == 8);
    CHECK_NEAR(c.serving.tok_s_per_gpu, 7250, 1e-12);
    CHECK_NEAR(c.usd_per_m_total, 0.0766284, 1e-5);
    CHECK_NEAR(c.prefill_cost_share, 0.25, 1e-12);
    CHECK_NEAR(c.usd_per_m_input, 0.0277778, 1e-5);
    CHECK_NEAR(c.usd_per_m_output, 0.185185, 1e-5);
    CHECK_NEAR(c.usd_per_m_input_only, c.usd_per_m_input, 1e-12);
    CHECK_NEAR(c.usd_per_m_output_only, c.usd_per_m_output, 1e-12);
    /* Output tok/s/MW over decode GPUs: 3000 x 1000 / 2.1 = 1,428,571. */
    CHECK_NEAR(c.output_tok_s_per_mw, 1428571.4, 1e-6);

    /* Inconsistent or incomplete inputs are refused, naming the problem. */
    struct mtok_serving bad = s;
    bad.tok_s_per_gpu = 12000; /* input + output = 10000 */
    CHECK(mtok_pricing_tokens(&hour, &bad, &in, &c, &err) == MTOK_EINVAL &&
          strstr(err.msg, "disagrees"));
    bad = d;
    bad.decode_gpus = 0;
    CHECK(mtok_pricing_tokens(&hour, &bad, &in, &c, &err) == MTOK_EINVAL &&
          strstr(err.msg, "pools"));
    bad = (struct mtok_serving){0};
    CHECK(mtok_pricing_tokens(&hour, &bad, &in, &c, &err) == MTOK_EINVAL);
    bad = s;
    bad.cache_hit_share = 1;
    CHECK(mtok_pricing_tokens(&hour, &bad, &in, &c, &err) == MTOK_EINVAL);
    struct mtok_cost_inputs zero_u = {.utilisation = 0};
    CHECK(mtok_pricing_tokens(&hour, &s, &zero_u, &c, &err) == MTOK_EINVAL &&
          strstr(err.msg, "utilisation"));
    /* Aggregated without a prefill time share: InferenceX figures, no split. */
    bad = s;
    bad.prefill_time_share = 0;
    CHECK(mtok_pricing_tokens(&hour, &bad, &in, &c, &err) == MTOK_OK);
    CHECK(isnan(c.usd_per_m_input) && strstr(c.split_note, "prefill_time_share"));
    CHECK_NEAR(c.usd_per_m_total, 0.0555556, 1e-5);

    /* The row the database stores for a simulated point. */
    struct mtok_cost_row row;
    CHECK(mtok_pricing_tokens(&hour, &s, &in, &c, &err) == MTOK_OK);
    mtok_pricing_cost_row(&c, &row);
    CHECK(strcmp(row.tier, "given") == 0 && row.usd_per_gpu_hour == 2.0 &&
          row.usd_per_m_input == c.usd_per_m_input &&
          row.usd_per_m_cached_input == c.usd_per_m_cached_input &&
          row.usd_per_m_output == c.usd_per_m_output && row.usd_per_m_total == c.usd_per_m_total);

    /* The data defaults feed the inputs. */
    struct mtok_cost_inputs dflt = mtok_cost_inputs_default(&defaults);
    CHECK(dflt.utilisation == 1.0 && dflt.cached_input_cost_ratio == 0.1);
}

/* ---- API prices over time ---- */

static void expect(const char *date, bool off_peak, const char *list_id, const char *eff_id,
                   double discount)
{
    struct mtok_price_query q = {.product = "deepseek-v4-pro", .date = date, .off_peak = off_peak};
    struct mtok_price_in_force f;
    struct mtok_error err = {0};
    enum mtok_status s = mtok_pricing_api_in_force(cat, &q, &f, &err);
    if (!list_id) {
        CHECK_MSG(s == MTOK_ENOTFOUND, "%s: expected no price", date);
        CHECK(strstr(err.msg, date) && strstr(err.msg, "deepseek-v4-pro"));
        return;
    }
    CHECK_MSG(s == MTOK_OK, "%s: %s", date, err.msg);
    if (s != MTOK_OK)
        return;
    CHECK_MSG(f.list && strcmp(f.list->id, list_id) == 0, "%s: list %s, expected %s", date,
              f.list ? f.list->id : "none", list_id);
    CHECK_MSG(strcmp(f.effective->id, eff_id) == 0, "%s: effective %s, expected %s", date,
              f.effective->id, eff_id);
    CHECK_MSG(fabs(f.discount_input - discount) < 1e-9 && fabs(f.discount_output - discount) < 1e-9,
              "%s: discount %g/%g, expected %g", date, f.discount_input, f.discount_output,
              discount);
}

static void test_api_history(void)
{
    /* DeepSeek V4-Pro (data/prices/api.json, FACTS C1):
     *   04-24         launch list 1.74 / 0.145 / 3.48
     *   04-26         cache-hit cut: list 1.74 / 0.0145 / 3.48, and the 75 % promotion
     *                 0.435 / 0.003625 / 0.87 (1 - 0.435/1.74 = 0.75)
     *   05-22         promotion made permanent (the promotion's own entry runs to 05-31 but
     *                 predates the new list price, so the permanent price is the one in force)
     *   2026-10       CNY peak 9 / 0.3 / 27 and off-peak half that (x 0.1467 USD/CNY) */
    expect("2026-04-23", false, NULL, NULL, 0);
    expect("2026-04-24", false, "deepseek-v4-pro/list/2026-04-24",
           "deepseek-v4-pro/list/2026-04-24", 0);
    expect("2026-04-25", false, "deepseek-v4-pro/list/2026-04-24",
           "deepseek-v4-pro/list/2026-04-24", 0);
    expect("2026-04-26", false, "deepseek-v4-pro/list/2026-04-26",
           "deepseek-v4-pro/discount/2026-04-26", 0.75);
    expect("2026-05", false, "deepseek-v4-pro/list/2026-04-26",
           "deepseek-v4-pro/discount/2026-04-26", 0.75);
    expect("2026-05-21", false, "deepseek-v4-pro/list/2026-04-26",
           "deepseek-v4-pro/discount/2026-04-26", 0.75);
    expect("2026-05-22", false, "deepseek-v4-pro/permanent/2026-05-22",
           "deepseek-v4-pro/permanent/2026-05-22", 0);
    expect("2026-06-30", false, "deepseek-v4-pro/permanent/2026-05-22",
           "deepseek-v4-pro/permanent/2026-05-22", 0);
    expect("2026-10-15", false, "deepseek-v4-pro/peak/2026-10", "deepseek-v4-pro/peak/2026-10", 0);
    expect("2026-10-15", true, "deepseek-v4-pro/peak/2026-10", "deepseek-v4-pro/off-peak/2026-10",
           0.5);

    struct mtok_price_query q = {.product = "deepseek-v4-pro", .date = "2026-04-28"};
    struct mtok_price_in_force f;
    struct mtok_error err = {0};
    CHECK(mtok_pricing_api_in_force(cat, &q, &f, &err) == MTOK_OK);
    CHECK(f.effective->per_m_input == 0.435 && f.effective->per_m_cached_input == 0.003625 &&
          f.effective->per_m_output == 0.87 && f.candidates == 2);
    CHECK_NEAR(f.discount_cached_input, 0.75, 1e-9);
    q.date = "2026-10-15";
    CHECK(mtok_pricing_api_in_force(cat, &q, &f, &err) == MTOK_OK);
    CHECK_NEAR(f.effective->per_m_output, 27 * 0.1467, 1e-9); /* 3.9609 $/M */

    /* A model id finds an entry listing several API names; one of the names finds it too. */
    q = (struct mtok_price_query){.product = "deepseek-v3.2", .date = "2026-01-15"};
    CHECK(mtok_pricing_api_in_force(cat, &q, &f, &err) == MTOK_OK &&
          strcmp(f.effective->id, "deepseek-v3.2/list/2025-09-29") == 0);
    q.product = "deepseek-reasoner";
    CHECK(mtok_pricing_api_in_force(cat, &q, &f, &err) == MTOK_OK &&
          f.effective->per_m_output == 0.42);
    /* Two list prices from the same day in USD and CNY: the USD one. */
    q = (struct mtok_price_query){.product = "kimi-k2.6", .date = "2026-05-01"};
    CHECK(mtok_pricing_api_in_force(cat, &q, &f, &err) == MTOK_OK &&
          strcmp(f.effective->currency, "USD") == 0 && f.effective->per_m_input == 0.95);
    /* Resellers only when asked for. */
    q = (struct mtok_price_query){.product = "deepseek-v4-flash", .date = "2026-09-01"};
    CHECK(mtok_pricing_api_in_force(cat, &q, &f, &err) == MTOK_OK &&
          strcmp(f.effective->provider, "DeepSeek") == 0 && f.effective->per_m_input == 0.14);
    q.provider = "openrouter";
    CHECK(mtok_pricing_api_in_force(cat, &q, &f, &err) == MTOK_OK &&
          f.effective->per_m_input == 0.0896 && isnan(f.effective->per_m_cached_input));
    q = (struct mtok_price_query){.product = "deepseek-v4-pro", .date = "2026-13-01"};
    CHECK(mtok_pricing_api_in_force(cat, &q, &f, &err) == MTOK_EINVAL);

    /* The whole history, in order. */
    const struct mtok_api_price *h[16];
    size_t n = mtok_pricing_api_history(cat, "deepseek-v4-pro", NULL, h, 16);
    CHECK(n == 6);
    static const char *const order[] = {
        "deepseek-v4-pro/list/2026-04-24",     "deepseek-v4-pro/list/2026-04-26",
        "deepseek-v4-pro/discount/2026-04-26", "deepseek-v4-pro/permanent/2026-05-22",
        "deepseek-v4-pro/peak/2026-10",        "deepseek-v4-pro/off-peak/2026-10"};
    for (size_t i = 0; i < n && i < 6; i++)
        CHECK_MSG(strcmp(h[i]->id, order[i]) == 0, "history[%zu] = %s", i, h[i]->id);
    CHECK(mtok_pricing_api_history(cat, "deepseek-v4-pro", NULL, h, 2) == 6);
}

/* ---- break-even ---- */

static void test_breakeven(void)
{
    struct mtok_error err = {0};
    struct mtok_device_hour hour;
    mtok_pricing_hour_given(2.0, &hour, &err);
    struct mtok_cost_inputs in = {.utilisation = 1, .cached_input_cost_ratio = 0.1};
    struct mtok_serving s = {.input_tok_s_per_gpu = 9000,
                             .output_tok_s_per_gpu = 1000,
                             .prefill_time_share = 0.3,
                             .cache_hit_share = 0.5};
    struct mtok_token_cost c;
    CHECK(mtok_pricing_tokens(&hour, &s, &in, &c, &err) == MTOK_OK);

    /* Against V4-Pro's launch price (1.74 / 0.145 / 3.48) for 8k input (half cached), 1k output:
     *   self  (8000 x 0.018519 + 1000 x 0.388889) / 9000 = (148.148 + 388.889) / 9000 = 0.059671
     *   API   (8000 x (0.5 x 1.74 + 0.5 x 0.145) + 1000 x 3.48) / 9000 = 11020 / 9000 = 1.224444
     *   break-even utilisation 0.059671 / 1.224444 = 0.048733 */
    struct mtok_price_query q = {.product = "deepseek-v4-pro", .date = "2026-04-24"};
    struct mtok_price_in_force f;
    CHECK(mtok_pricing_api_in_force(cat, &q, &f, &err) == MTOK_OK);
    struct mtok_workload w = {.input_tokens = 8000, .output_tokens = 1000, .cache_hit_share = 0.5};
    struct mtok_breakeven b;
    CHECK(mtok_pricing_breakeven(&c, f.effective, &w, &b, &err) == MTOK_OK);
    CHECK(b.self_used_split && !b.api_cached_is_input);
    CHECK_NEAR(b.self_usd_per_m, 0.0596708, 1e-5);
    CHECK_NEAR(b.api_usd_per_m, 1.2244444, 1e-6);
    CHECK_NEAR(b.utilisation, 0.0487331, 1e-4);

    /* The same deployment priced at 50 % utilisation gives the same break-even. */
    struct mtok_cost_inputs half = {.utilisation = 0.5, .cached_input_cost_ratio = 0.1};
    struct mtok_token_cost c2;
    CHECK(mtok_pricing_tokens(&hour, &s, &half, &c2, &err) == MTOK_OK);
    struct mtok_breakeven b2;
    CHECK(mtok_pricing_breakeven(&c2, f.effective, &w, &b2, &err) == MTOK_OK);
    CHECK_NEAR(b2.utilisation, b.utilisation, 1e-12);

    /* Never: $10/h for 100 tok/s total = 10 / 0.36 = 27.78 $/M, against OpenRouter's V4-Flash at
     * 0.0896 in / 0.1792 out (no cached price: input price used) for 1k in (half cached), 1k out:
     * API (1000 x 0.0896 + 1000 x 0.1792) / 2000 = 0.1344; 27.778 / 0.1344 = 206.68 > 1. */
    mtok_pricing_hour_given(10.0, &hour, &err);
    struct mtok_serving slow = {.tok_s_per_gpu = 100};
    CHECK(mtok_pricing_tokens(&hour, &slow, &in, &c, &err) == MTOK_OK);
    q = (struct mtok_price_query){
        .product = "deepseek-v4-flash", .date = "2026-09-01", .provider = "OpenRouter"};
    CHECK(mtok_pricing_api_in_force(cat, &q, &f, &err) == MTOK_OK);
    w = (struct mtok_workload){.input_tokens = 1000, .output_tokens = 1000, .cache_hit_share = 0.5};
    CHECK(mtok_pricing_breakeven(&c, f.effective, &w, &b, &err) == MTOK_OK);
    CHECK(!b.self_used_split && b.api_cached_is_input);
    CHECK_NEAR(b.api_usd_per_m, 0.1344, 1e-9);
    CHECK_NEAR(b.utilisation, 206.679, 1e-4);

    /* An API price with no output figure cannot price output tokens. */
    q = (struct mtok_price_query){.product = "gpt-5", .date = "2026-03-15"};
    const struct mtok_api_price *seed = NULL;
    for (size_t i = 0; i < mtok_catalog_price_count(cat); i++)
        if (strcmp(mtok_catalog_price_at(cat, i)->id, "gpt-5/list/seed-004") == 0)
            seed = mtok_catalog_price_at(cat, i);
    CHECK(seed != NULL);
    if (seed)
        CHECK(mtok_pricing_breakeven(&c, seed, &w, &b, &err) == MTOK_EINVAL);
    w.input_tokens = w.output_tokens = 0;
    CHECK(mtok_pricing_breakeven(&c, f.effective, &w, &b, &err) == MTOK_EINVAL);
}

/* ---- data: TCO defaults and price books ---- */

static void test_data(void)
{
    /* The shipped defaults, with their sources. */
    CHECK(defaults.years == 5 && defaults.cost_of_capital == 0.10 && defaults.pue == 1.25 &&
          defaults.usd_per_kwh == 0.083 && defaults.hosting_usd_per_kw_month == 184.06 &&
          defaults.server_capex_ratio == 1.6 && defaults.network_capex_ratio == 1.15);
    CHECK(defaults.src_capital.source && defaults.src_power.source && defaults.src_hosting.source &&
          defaults.src_serving.source && defaults.src_hosting.uncertain);
    /* The file on disk loads like the embedded copy. */
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/data", test_source_dir());
    struct mtok_tco_defaults disk;
    struct mtok_diags d = {0};
    CHECK(mtok_tco_defaults_load(dir, &disk, &d) == MTOK_OK && d.n == 0);
    CHECK(disk.years == defaults.years && disk.pue == defaults.pue);
    mtok_tco_defaults_free(&disk);
    mtok_tco_defaults_free(NULL);

    /* Problems come out one per line as FILE: FIELD: what is wrong, all at once. */
    static const char broken[] =
        "{\"capital\":{\"years\":5,\"cost_of_capital\":0.1,\"server_capex_ratio\":1.6,"
        "\"network_capex_ratio\":1.15,\"opex_per_year\":0,\"source\":\"s\",\"date\":\"2026-11\","
        "\"uncertain\":true},"
        "\"power\":{\"pue\":0.5,\"usd_per_kwh\":0.08,\"load_fraction\":0.75,\"server_power_ratio\":"
        "1.8,\"source\":\"s\",\"date\":\"2026-11\",\"uncertain\":true,\"pue_note\":\"x\"},"
        "\"serving\":{\"utilisation\":1,\"cached_input_cost_ratio\":0.1,\"source\":\"s\","
        "\"date\":\"2026-11\",\"uncertain\":true}}";
    struct mtok_tco_defaults t;
    CHECK(mtok_tco_defaults_parse("tco.json", broken, sizeof broken - 1, &t, &d) == MTOK_EINVAL);
    CHECK(d.n == 3);
    bool pue = false, typo = false, hosting = false;
    for (size_t i = 0; i < d.n; i++) {
        CHECK(strncmp(d.lines[i], "tco.json: ", 10) == 0 && !strchr(d.lines[i], '\n'));
        pue |= strstr(d.lines[i], "tco.json: power.pue: 0.5 is out of range") != NULL;
        typo |= strstr(d.lines[i], "power.pue_note: unknown key") != NULL;
        hosting |= strstr(d.lines[i], "tco.json: hosting: ") != NULL;
    }
    CHECK(pue && typo && hosting);
    CHECK(t.file == NULL && t.years == 0);
    mtok_diags_free(&d);
    CHECK(mtok_tco_defaults_parse("x.json", "[1,", 3, &t, &d) == MTOK_EINVAL && d.n == 1);
    mtok_diags_free(&d);

    /* Price books from memory go through the same checks as data/prices/api.json. */
    static const char book[] =
        "{\"prices\":[{\"id\":\"acme/list/"
        "2026-11-01\",\"provider\":\"Acme\",\"product\":\"acme-1\","
        "\"model\":\"deepseek-v4-flash\",\"kind\":\"list\",\"from\":\"2026-11-01\",\"until\":null,"
        "\"currency\":\"USD\",\"per_m_input\":0.1,\"per_m_cached_input\":0.01,\"per_m_output\":0.2,"
        "\"source\":\"test\",\"date\":\"2026-11-01\",\"uncertain\":false}]}";
    struct mtok_api_price *p = NULL;
    size_t n = 0;
    CHECK(mtok_prices_parse(cat, "book.json", book, sizeof book - 1, &p, &n, &d) == MTOK_OK);
    CHECK(n == 1 && d.n == 0 && p && strcmp(p[0].id, "acme/list/2026-11-01") == 0 &&
          p[0].per_m_output == 0.2);
    static const char bad_book[] =
        "{\"prices\":[{\"id\":\"acme/list/"
        "2026-11-01\",\"provider\":\"Acme\",\"product\":\"acme-1\","
        "\"model\":\"no-such-model\",\"kind\":\"sale\",\"from\":\"2026-11-01\",\"until\":null,"
        "\"currency\":\"EUR\",\"per_m_input\":-1,\"per_m_output\":0.2,"
        "\"source\":\"test\",\"date\":\"2026-11-01\",\"uncertain\":false}]}";
    struct mtok_api_price *q = NULL;
    size_t nq = 0;
    CHECK(mtok_prices_parse(cat, "bad.json", bad_book, sizeof bad_book - 1, &q, &nq, &d) ==
          MTOK_EINVAL);
    CHECK(q == NULL && nq == 0 && d.n == 4); /* model, kind, currency, per_m_input */
    for (size_t i = 0; i < d.n; i++)
        CHECK(strncmp(d.lines[i], "bad.json: prices[0].", 20) == 0);
    mtok_diags_free(&d);

    /* Added to the catalog, a book's prices are found by date like the embedded ones. */
    size_t before = mtok_catalog_price_count(cat);
    mtok_catalog_add_prices(cat, p, n);
    CHECK(mtok_catalog_price_count(cat) == before + 1);
    struct mtok_price_query pq = {.product = "acme-1", .date = "2026-12-01"};
    struct mtok_price_in_force f;
    struct mtok_error err = {0};
    CHECK(mtok_pricing_api_in_force(cat, &pq, &f, &err) == MTOK_OK &&
          f.effective->per_m_input == 0.1);
    /* Same id again replaces rather than duplicates. */
    CHECK(mtok_prices_parse(cat, "book.json", book, sizeof book - 1, &p, &n, &d) == MTOK_OK);
    mtok_catalog_add_prices(cat, p, n);
    CHECK(mtok_catalog_price_count(cat) == before + 1);
}

/* ---- price snapshots ---- */

static void test_record(void)
{
    char path[] = "/tmp/mtok-pricing-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0)
        return;
    close(fd);
    unlink(path);
    struct mtok_store *st = NULL;
    struct mtok_error err = {0};
    CHECK(mtok_store_open(&st, path, &err) == MTOK_OK);
    if (!st)
        return;
    size_t n = mtok_catalog_price_count(cat);
    struct mtok_api_price *all = mtok_xcalloc(n, sizeof *all);
    for (size_t i = 0; i < n; i++)
        all[i] = *mtok_catalog_price_at(cat, i); /* shallow: the catalog keeps ownership */
    char uuid[33] = "";
    CHECK(mtok_pricing_record(st, "test", all, n, uuid, &err) == MTOK_OK && strlen(uuid) == 32);
    const char *names[32];
    int64_t counts[32];
    size_t nt = mtok_store_table_counts(st, names, counts, 32);
    for (size_t i = 0; i < nt; i++) {
        if (strcmp(names[i], "price_snapshot") == 0)
            CHECK_MSG(counts[i] == (int64_t)n, "%lld snapshots", (long long)counts[i]);
        if (strcmp(names[i], "run") == 0)
            CHECK(counts[i] == 1);
    }
    free(all);
    mtok_store_close(st);
    unlink(path);
    char side[64];
    snprintf(side, sizeof side, "%s-wal", path);
    unlink(side);
    snprintf(side, sizeof side, "%s-shm", path);
    unlink(side);
}

/* ---- simulator points (what `mtok sim` prices) ---- */

static void test_sim_points(void)
{
    const struct mtok_hw *hw = mtok_catalog_hw(cat, "b200");
    CHECK(hw != NULL);
    if (!hw)
        return;
    struct mtok_error err = {0};
    struct mtok_device_hour hour;
    CHECK(mtok_pricing_hour_tier(hw, MTOK_TIER_HYPERSCALER, &hour, &err) == MTOK_OK);
    struct mtok_cost_inputs in = {.utilisation = 1, .cached_input_cost_ratio = 0.1};

    /* Aggregated, ISL/OSL 8k/1k at the dashboard's 5,857 tok/s/GPU: input 5857 x 8/9 = 5206.22,
     * output 5857 / 9 = 650.78 tok/s/GPU, 30 % of GPU time prefilling.
     *   total (InferenceX)  1.95 / (5857 x 0.0036)            = 0.092482
     *   input-only          1.95 / (5206.22 x 0.0036)         = 0.104042
     *   output-only         1.95 / (650.78 x 0.0036)          = 0.832337
     *   sheet input         0.3 x 1.95 / (5206.22 x 0.0036)   = 0.585 / 18.7424 = 0.031213
     *   sheet output        0.7 x 1.95 / (650.78 x 0.0036)    = 1.365 / 2.34280 = 0.582636
     *   sheet cached input  0.1 x 0.031213                    = 0.0031213 */
    struct mtok_deploy dep = mtok_deploy_default();
    dep.isl = 8192, dep.osl = 1024;
    struct mtok_serve_point pt = {.fits = true, .tok_s_per_gpu = 5857,
                                  .input_tok_s_per_gpu = 5857.0 * 8 / 9,
                                  .output_tok_s_per_gpu = 5857.0 / 9, .prefill_time_share = 0.3};
    struct mtok_serving s = mtok_serving_from_sim(&pt, &dep, hw);
    CHECK(s.prefill_gpus == 0 && s.decode_gpus == 0 && s.prefill_time_share == 0.3 &&
          s.kw_per_gpu == 2.17 && s.cache_hit_share == 0);
    struct mtok_token_cost c;
    CHECK(mtok_pricing_tokens(&hour, &s, &in, &c, &err) == MTOK_OK);
    CHECK_NEAR(c.usd_per_m_total, 0.0924819, 1e-5);
    CHECK_NEAR(c.usd_per_m_input_only, 0.1040422, 1e-5);
    CHECK_NEAR(c.usd_per_m_output_only, 0.8323374, 1e-5);
    CHECK_NEAR(c.usd_per_m_input, 0.0312127, 1e-5);
    CHECK_NEAR(c.usd_per_m_output, 0.5826362, 1e-5);
    CHECK_NEAR(c.usd_per_m_cached_input, 0.00312127, 1e-5);
    /* the sheet adds back to the hour: (5206.22 x 0.031213 + 650.78 x 0.582636) x 0.0036 = 1.95 */
    CHECK_NEAR((s.input_tok_s_per_gpu * c.usd_per_m_input +
                s.output_tok_s_per_gpu * c.usd_per_m_output) * 0.0036, 1.95, 1e-9);

    /* Disaggregated: 8 prefill GPUs at 20,000 input tok/s each, 24 decode GPUs at 1,000 output
     * tok/s each; 160,000 + 24,000 = 184,000 tok/s over 32 GPUs = 5,750 tok/s/GPU.
     *   total        1.95 / (5750 x 0.0036)                    = 0.094203
     *   sheet input  (8/32) x 1.95 / (20000 x 8/32 x 0.0036)   = 0.4875 / 18 = 0.027083
     *   sheet output (24/32) x 1.95 / (1000 x 24/32 x 0.0036)  = 1.4625 / 2.7 = 0.541667 */
    dep.prefill_gpus = 8, dep.decode_gpus = 24, dep.cache_hit = 0.5;
    pt = (struct mtok_serve_point){.fits = true, .tok_s_per_gpu = 5750,
                                   .input_tok_s_per_gpu = 20000, .output_tok_s_per_gpu = 1000,
                                   .prefill_time_share = 0};
    s = mtok_serving_from_sim(&pt, &dep, hw);
    CHECK(s.prefill_gpus == 8 && s.decode_gpus == 24 && s.cache_hit_share == 0.5);
    s.cache_hit_share = 0;
    CHECK(mtok_pricing_tokens(&hour, &s, &in, &c, &err) == MTOK_OK);
    CHECK_NEAR(c.usd_per_m_total, 0.0942029, 1e-5);
    CHECK_NEAR(c.usd_per_m_input, 0.0270833, 1e-5);
    CHECK_NEAR(c.usd_per_m_output, 0.5416667, 1e-5);
    CHECK_NEAR(c.prefill_cost_share, 0.25, 1e-12);
    /* without power figures the power metrics are not made up */
    s = mtok_serving_from_sim(&pt, &dep, NULL);
    CHECK(s.kw_per_gpu == 0);
}

int main(void)
{
    struct mtok_diags d = {0};
    if (mtok_catalog_open(&cat, NULL, &d) != MTOK_OK ||
        mtok_tco_defaults_load(NULL, &defaults, &d) != MTOK_OK) {
        for (size_t i = 0; i < d.n; i++)
            fprintf(stderr, "%s\n", d.lines[i]);
        return 1;
    }
    test_inferencex_points();
    test_sim_points();
    test_tco();
    test_allocation();
    test_api_history();
    test_breakeven();
    test_data();
    test_record();
    mtok_tco_defaults_free(&defaults);
    mtok_catalog_destroy(cat);
    mtok_diags_free(&d);
    return test_status("test_pricing");
}
