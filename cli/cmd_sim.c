/* mtok sim | sweep */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench/bench.h"
#include "cli/cli.h"
#include "cli/sim_json.h"
#include "sim/sim.h"
#include "store/store.h"

/* ---- shared ---- */

/* The calibration of the measured `host` entry: the points of the latest bench run of this
 * machine (bench/bench.h, mtok_host_calib_load), added to the defaults' table under hardware id
 * "host", when the catalog has a host entry and there is a database (never created here). */
void cli_sim_add_host_calib(struct cli *c, struct mtok_sim_defaults *def)
{
    if (!c->cat || !mtok_catalog_hw(c->cat, "host"))
        return;
    const char *fingerprint;
    struct mtok_store *st = cli_existing_db(c, &fingerprint);
    if (!st)
        return;
    /* the host entry is the machine on all its threads: the points of the most threads measured */
    struct mtok_error err = {0};
    mtok_host_calib_load(def->calib, st, fingerprint, 1 << 20, NULL, &err);
    mtok_store_close(st);
}

struct mtok_sim_defaults *cli_sim_defaults_base(struct cli *c)
{
    struct mtok_diags d = {0};
    struct mtok_sim_defaults *def = NULL;
    if (mtok_sim_defaults_load(&def, c->data_dir, &d) != MTOK_OK)
        cli_fail_diags(c, &d);
    mtok_diags_free(&d);
    return def;
}

struct mtok_sim_defaults *cli_sim_defaults(struct cli *c)
{
    struct mtok_sim_defaults *def = cli_sim_defaults_base(c);
    if (def)
        cli_sim_add_host_calib(c, def);
    return def;
}

int cli_tco_defaults(struct cli *c, struct mtok_tco_defaults *out)
{
    const char *dir = c->data_dir;
    if (dir) {
        /* a user's catalog directory may leave the TCO assumptions out */
        struct mtok_buf p = {0};
        mtok_buf_printf(&p, "%s/pricing/tco.json", dir);
        struct stat sb;
        if (stat(p.data, &sb) != 0)
            dir = NULL;
        mtok_buf_free(&p);
    }
    struct mtok_diags d = {0};
    enum mtok_status s = mtok_tco_defaults_load(dir, out, &d);
    if (s != MTOK_OK)
        cli_fail_diags(c, &d);
    mtok_diags_free(&d);
    return s == MTOK_OK ? CLI_OK : CLI_ERROR;
}

static void add_num(cJSON *o, const char *key, double v)
{
    if (isfinite(v))
        cJSON_AddNumberToObject(o, key, v);
    else
        cJSON_AddNullToObject(o, key);
}

static cJSON *point_json(const struct mtok_serve_point *p)
{
    cJSON *o = cJSON_CreateObject();
    add_num(o, "batch", p->batch);
    cJSON_AddBoolToObject(o, "fits", p->fits);
    add_num(o, "tpot_s", p->tpot_s);
    add_num(o, "ttft_s", p->ttft_s);
    add_num(o, "tok_s_per_user", p->tok_s_per_user);
    add_num(o, "tok_s_per_gpu", p->tok_s_per_gpu);
    add_num(o, "input_tok_s_per_gpu", p->input_tok_s_per_gpu);
    add_num(o, "output_tok_s_per_gpu", p->output_tok_s_per_gpu);
    add_num(o, "decode_step_s", p->decode_step_s);
    return o;
}

struct ops_arg {
    cJSON *arr;
};

static void op_visit(void *arg, const struct mtok_op_cost *c)
{
    struct ops_arg *a = arg;
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "layer", c->layer);
    cJSON_AddStringToObject(o, "op", c->op.name);
    cJSON_AddStringToObject(o, "kind", mtok_op_kind_name(c->op.kind));
    add_num(o, "count", c->count);
    if (c->op.kind != MTOK_OP_COLLECTIVE) {
        cJSON_AddStringToObject(o, "weights", mtok_dtype_name(c->op.wdtype));
        cJSON_AddStringToObject(o, "compute", mtok_dtype_name(c->op.cdtype));
        cJSON_AddStringToObject(o, "peak", mtok_dtype_name(c->peak_dtype));
        cJSON *shape = cJSON_CreateArray();
        cJSON_AddItemToArray(shape, cJSON_CreateNumber(c->op.m));
        cJSON_AddItemToArray(shape, cJSON_CreateNumber(c->op.n));
        cJSON_AddItemToArray(shape, cJSON_CreateNumber(c->op.k));
        cJSON_AddItemToArray(shape, cJSON_CreateNumber(c->op.groups));
        cJSON_AddItemToObject(o, "m_n_k_groups", shape);
        add_num(o, "flops", c->op.flops);
        add_num(o, "other_ops", c->op.other);
        add_num(o, "weight_bytes", c->op.w_bytes);
        add_num(o, "activation_bytes", c->op.a_bytes);
        add_num(o, "kv_bytes", c->op.kv_bytes);
        add_num(o, "t_compute_s", c->t_compute_s);
        add_num(o, "t_memory_s", c->t_memory_s);
    } else {
        add_num(o, "message_bytes", c->op.m);
        add_num(o, "sent_bytes", c->op.comm_bytes);
        add_num(o, "group", c->op.group_size);
        cJSON_AddBoolToObject(o, "overlappable", c->overlapped);
    }
    add_num(o, "t_latency_s", c->t_latency_s);
    add_num(o, "t_s", c->t_s);
    cJSON_AddStringToObject(o, "bound", mtok_bound_name(c->bound));
    cJSON_AddStringToObject(o, "provenance", mtok_prov_name(c->prov));
    cJSON_AddItemToArray(a->arr, o);
}

/* ---- mtok sim ---- */

struct sim_args {
    const char *model, *hw, *wprec, *kvprec, *disagg, *tier;
    long gpus, tp, ep, dp, pp, mtp, isl, osl, batch, concurrency;
    double ctx, tps_user, mtp_accept, usd_per_gpu_hour, cache_hit;
    int sol, ops, pareto;
};

static int parse_disagg(struct cli *c, const char *s, struct mtok_deploy *dep)
{
    const char *comma = strchr(s, ',');
    long p = 0, d = 0;
    char buf[32];
    if (!comma || (size_t)(comma - s) >= sizeof buf)
        return cli_fail(c, "--disagg: \"%s\" is not PREFILL_GPUS,DECODE_GPUS", s);
    memcpy(buf, s, (size_t)(comma - s));
    buf[comma - s] = '\0';
    if (mtok_parse_long(buf, 1, 1 << 20, &p) != MTOK_OK ||
        mtok_parse_long(comma + 1, 1, 1 << 20, &d) != MTOK_OK)
        return cli_fail(c, "--disagg: \"%s\" is not PREFILL_GPUS,DECODE_GPUS (positive integers)",
                        s);
    dep->prefill_gpus = (int)p;
    dep->decode_gpus = (int)d;
    return CLI_OK;
}

/* --gpus fills in whatever of tp/dp was not given; all given must agree. */
static int layout(struct cli *c, struct sim_args *a, struct cli_opt *opts, struct mtok_deploy *dep)
{
    bool seen_tp = false, seen_dp = false, seen_gpus = false;
    for (struct cli_opt *o = opts; o->name; o++) {
        seen_tp = seen_tp || (o->seen && strcmp(o->name, "tp") == 0);
        seen_dp = seen_dp || (o->seen && strcmp(o->name, "dp") == 0);
        seen_gpus = seen_gpus || (o->seen && strcmp(o->name, "gpus") == 0);
    }
    if (seen_gpus) {
        if (!seen_tp && !seen_dp) {
            if (a->gpus % a->pp != 0)
                return cli_fail(c, "--gpus: %ld is not a multiple of --pp %ld", a->gpus, a->pp);
            a->tp = a->gpus / a->pp;
        } else if (!seen_dp) {
            if (a->gpus % (a->tp * a->pp) != 0)
                return cli_fail(c, "--gpus: %ld is not a multiple of tp x pp = %ld", a->gpus,
                                a->tp * a->pp);
            a->dp = a->gpus / (a->tp * a->pp);
        } else if (!seen_tp) {
            if (a->gpus % (a->dp * a->pp) != 0)
                return cli_fail(c, "--gpus: %ld is not a multiple of dp x pp = %ld", a->gpus,
                                a->dp * a->pp);
            a->tp = a->gpus / (a->dp * a->pp);
        }
        if (a->tp * a->dp * a->pp != a->gpus)
            return cli_fail(c, "--gpus: %ld is not tp x dp x pp = %ld x %ld x %ld", a->gpus, a->tp,
                            a->dp, a->pp);
    }
    dep->tp = (int)a->tp, dep->ep = (int)a->ep, dep->dp = (int)a->dp, dep->pp = (int)a->pp;
    return CLI_OK;
}

/* The cost of r->pt: $/GPU-hour from --usd-per-gpu-hour or the tier (hyperscaler unless --tier),
 * then pricing/'s $/M tokens. A missing price for an explicitly requested tier is an error; for
 * the default tier the cost is left out with a note, as it is for a point that does not fit. */
static int price_point(struct cli *c, struct cli_sim_result *r, const struct mtok_deploy *dep,
                       enum mtok_tier tier)
{
    struct mtok_error err = {0};
    struct mtok_device_hour hour;
    r->priced = false;
    r->cost_note[0] = '\0';
    if (!isnan(r->usd_per_gpu_hour)) {
        if (mtok_pricing_hour_given(r->usd_per_gpu_hour, &hour, &err) != MTOK_OK)
            return cli_fail(c, "--usd-per-gpu-hour: %s", err.msg);
    } else if (mtok_pricing_hour_tier(r->hw, tier, &hour, &err) != MTOK_OK) {
        if (r->tier)
            return cli_fail(c, "--tier: %s", err.msg);
        snprintf(r->cost_note, sizeof r->cost_note,
                 "not priced: %s; give --tier or --usd-per-gpu-hour", err.msg);
        return CLI_OK;
    }
    if (!r->pt.fits) {
        snprintf(r->cost_note, sizeof r->cost_note, "not priced: %s",
                 r->unmet ? "the tok/s/user target cannot be met"
                          : "the point does not fit in memory");
        return CLI_OK;
    }
    struct mtok_tco_defaults tco;
    if (cli_tco_defaults(c, &tco) != CLI_OK)
        return CLI_ERROR;
    struct mtok_cost_inputs in = mtok_cost_inputs_default(&tco);
    struct mtok_serving s = mtok_serving_from_sim(&r->pt, dep, r->hw);
    if (mtok_pricing_tokens(&hour, &s, &in, &r->cost, &err) != MTOK_OK)
        snprintf(r->cost_note, sizeof r->cost_note, "not priced: %s", err.msg);
    else
        r->priced = true;
    mtok_tco_defaults_free(&tco);
    return CLI_OK;
}

int cli_sim(struct cli *c, int argc, char **argv)
{
    struct sim_args a = {.tp = 1, .ep = 1, .dp = 1, .pp = 1, .isl = 1024, .osl = 1024,
                         .ctx = NAN, .tps_user = NAN, .mtp_accept = NAN,
                         .usd_per_gpu_hour = NAN};
    struct cli_opt opts[] = {
        {"model", OPT_STR, &a.model, 0, 0, 0},
        {"hw", OPT_STR, &a.hw, 0, 0, 0},
        {"gpus", OPT_LONG, &a.gpus, 1, 1 << 20, 0},
        {"tp", OPT_LONG, &a.tp, 1, 4096, 0},
        {"ep", OPT_LONG, &a.ep, 1, 4096, 0},
        {"dp", OPT_LONG, &a.dp, 1, 4096, 0},
        {"pp", OPT_LONG, &a.pp, 1, 256, 0},
        {"wprec", OPT_STR, &a.wprec, 0, 0, 0},
        {"kvprec", OPT_STR, &a.kvprec, 0, 0, 0},
        {"isl", OPT_LONG, &a.isl, 1, 100000000, 0},
        {"osl", OPT_LONG, &a.osl, 1, 100000000, 0},
        {"ctx", OPT_DOUBLE, &a.ctx, 0, 0, 0},
        {"batch", OPT_LONG, &a.batch, 1, 10000000, 0},
        {"concurrency", OPT_LONG, &a.concurrency, 1, 10000000, 0},
        {"tps-user", OPT_DOUBLE, &a.tps_user, 0, 0, 0},
        {"mtp", OPT_LONG, &a.mtp, 0, 16, 0},
        {"mtp-accept", OPT_DOUBLE, &a.mtp_accept, 0, 0, 0},
        {"disagg", OPT_STR, &a.disagg, 0, 0, 0},
        {"tier", OPT_STR, &a.tier, 0, 0, 0},
        {"usd-per-gpu-hour", OPT_DOUBLE, &a.usd_per_gpu_hour, 0, 0, 0},
        {"cache-hit", OPT_DOUBLE, &a.cache_hit, 0, 0, 0},
        {"sol", OPT_FLAG, &a.sol, 0, 0, 0},
        {"ops", OPT_FLAG, &a.ops, 0, 0, 0},
        {"pareto", OPT_FLAG, &a.pareto, 0, 0, 0},
        {NULL, OPT_FLAG, NULL, 0, 0, 0},
    };
    size_t n_opts = sizeof opts / sizeof *opts - 1;
    char *pos[1];
    if (cli_parse(c, argc, argv, opts, n_opts, pos, 0) < 0)
        return CLI_ERROR;
    if (!a.model)
        return cli_fail(c, "--model M is required (a catalog id, see mtok models, or a config.json)");
    if (!a.hw)
        return cli_fail(c, "--hw H is required (a hardware id, see mtok hw, or a hardware file)");
    int modes = (a.batch > 0) + (a.concurrency > 0) + !isnan(a.tps_user);
    if (modes > 1)
        return cli_fail(c, "--batch, --concurrency and --tps-user are alternatives; give one");
    if (!isnan(a.ctx) && !(a.ctx >= 1 && a.ctx <= 1e9))
        return cli_fail(c, "--ctx: %g is not in [1, 1e9]", a.ctx);
    if (!isnan(a.tps_user) && !(a.tps_user > 0 && a.tps_user < 1e7))
        return cli_fail(c, "--tps-user: %g is not a positive speed", a.tps_user);
    if (!isnan(a.mtp_accept) && !(a.mtp_accept >= 0 && a.mtp_accept <= 1))
        return cli_fail(c, "--mtp-accept: %g is not in [0, 1]", a.mtp_accept);
    if (!isnan(a.usd_per_gpu_hour) && !(a.usd_per_gpu_hour > 0 && a.usd_per_gpu_hour < 1e6))
        return cli_fail(c, "--usd-per-gpu-hour: %g is not a price", a.usd_per_gpu_hour);
    if (!isnan(a.usd_per_gpu_hour) && a.tier)
        return cli_fail(c, "--tier and --usd-per-gpu-hour are alternatives; give one");
    enum mtok_tier tier = MTOK_TIER_HYPERSCALER;
    if (a.tier && mtok_tier_parse(a.tier, &tier) != MTOK_OK)
        return cli_fail(c, "--tier: \"%s\" is not hyperscaler, neocloud, rental, spot or list",
                        a.tier);
    struct mtok_deploy dep = mtok_deploy_default();
    if (layout(c, &a, opts, &dep) != CLI_OK)
        return CLI_ERROR;
    if (a.disagg && parse_disagg(c, a.disagg, &dep) != CLI_OK)
        return CLI_ERROR;
    dep.mtp = (int)a.mtp;
    dep.mtp_accept = isnan(a.mtp_accept) ? 0 : a.mtp_accept;
    if (dep.mtp > 0 && dep.mtp_accept == 0 && !isnan(a.mtp_accept))
        dep.mtp_accept = 1e-9; /* an explicit 0 stays (almost) 0, not the default */
    dep.isl = (double)a.isl, dep.osl = (double)a.osl;
    dep.ctx = isnan(a.ctx) ? 0 : a.ctx;
    dep.sol = a.sol;
    dep.cache_hit = a.cache_hit;

    struct mtok_catalog *cat = cli_catalog(c);
    if (!cat)
        return CLI_ERROR;
    struct mtok_diags d = {0};
    const struct mtok_model *m = NULL;
    const struct mtok_hw *hw = NULL;
    if (mtok_catalog_resolve_model(cat, a.model, &m, &d) != MTOK_OK ||
        mtok_catalog_resolve_hw(cat, a.hw, &hw, &d) != MTOK_OK) {
        int rc = cli_fail_diags(c, &d);
        mtok_diags_free(&d);
        return rc;
    }
    struct mtok_sim_defaults *def = cli_sim_defaults(c);
    if (!def)
        return CLI_ERROR;
    struct mtok_error err = {0};
    struct mtok_prec prec;
    struct mtok_plan *plan = NULL;
    if (mtok_prec_resolve(m, a.wprec, a.kvprec, &prec, &err) != MTOK_OK ||
        mtok_plan_create(&plan, m, hw, def, NULL, &prec, &dep, &err) != MTOK_OK) {
        mtok_sim_defaults_destroy(def);
        return cli_fail(c, "%s", err.msg);
    }

    struct cli_sim_result r = {.m = m, .hw = hw, .d = def, .plan = plan, .prec = &prec};
    r.ctx = dep.ctx > 0 ? dep.ctx : dep.isl + dep.osl / 2;
    r.tier = a.tier;
    r.usd_per_gpu_hour = a.usd_per_gpu_hour;
    struct mtok_serve_point front[64];
    size_t n_front = 0;
    int rc = CLI_OK;
    const char *mode;
    if (a.batch > 0 || a.concurrency > 0) {
        mode = a.batch > 0 ? "batch" : "concurrency";
        mtok_serve_point(plan, (double)(a.batch > 0 ? a.batch : a.concurrency), &r.pt);
        if (a.pareto)
            n_front = mtok_serve_pareto(plan, front, 64);
    } else if (!isnan(a.tps_user)) {
        mode = "tps-user";
        if (mtok_serve_for_tps_user(plan, a.tps_user, &r.pt) != MTOK_OK) {
            r.unmet = true;
            r.pt.fits = false;
        }
        n_front = mtok_serve_pareto(plan, front, 64);
    } else {
        mode = "max-throughput";
        n_front = mtok_serve_pareto(plan, front, 64);
        if (n_front)
            r.pt = front[0];
        for (size_t i = 0; i < n_front; i++)
            if (front[i].tok_s_per_gpu > r.pt.tok_s_per_gpu)
                r.pt = front[i];
        if (!n_front)
            mtok_serve_point(plan, 1, &r.pt);
    }
    r.mode = mode;
    r.tps_user = a.tps_user;
    r.front = front;
    r.n_front = n_front;
    if (price_point(c, &r, &dep, tier) != CLI_OK) {
        mtok_plan_destroy(plan);
        mtok_sim_defaults_destroy(def);
        return CLI_ERROR;
    }
    if (c->json) {
        cJSON *o = cli_sim_json(&r);
        if (a.ops) {
            struct ops_arg oa = {cJSON_CreateArray()};
            mtok_plan_visit(plan, true, r.pt.batch, r.ctx, op_visit, &oa);
            cJSON_AddItemToObject(o, "ops_decode_step", oa.arr);
        }
        cli_print_json(c, o);
    } else {
        cli_sim_print(c, &r);
    }
    mtok_plan_destroy(plan);
    mtok_sim_defaults_destroy(def);
    return rc;
}

/* ---- human output ---- */

static const char *gb(char *buf, size_t n, double bytes)
{
    snprintf(buf, n, "%.4g GB", bytes / 1e9);
    return buf;
}

static const char *usd(char *buf, size_t n, double v)
{
    if (isnan(v))
        snprintf(buf, n, "-");
    else
        snprintf(buf, n, "%.4g", v);
    return buf;
}

static const char *hour_basis(char *buf, size_t n, const struct mtok_device_hour *h)
{
    if (h->basis == MTOK_HOUR_TIER)
        snprintf(buf, n, "%s tier", mtok_tier_name(h->tier));
    else
        snprintf(buf, n, "%s", h->basis == MTOK_HOUR_GIVEN ? "--usd-per-gpu-hour" : "TCO");
    return buf;
}

static void print_cost(FILE *f, const struct cli_sim_result *r)
{
    if (!r->priced) {
        fprintf(f, "  $/M tokens       %s\n", r->cost_note);
        return;
    }
    const struct mtok_token_cost *k = &r->cost;
    char b1[32], b2[32], b3[32], b4[64];
    fprintf(f, "  $/GPU-hour       %.4g (%s", k->usd_per_gpu_hour, hour_basis(b4, sizeof b4, &k->hour));
    if (k->hour.source && k->hour.source->source)
        fprintf(f, "; %s, %s", k->hour.source->source, k->hour.source->date);
    fprintf(f, ")\n");
    if (!isnan(k->usd_per_m_input))
        fprintf(f,
                "  $/M price sheet  input %s, cached input %s, output %s (GPU time %.0f%% prefill, "
                "%.0f%% decode)\n",
                usd(b1, sizeof b1, k->usd_per_m_input), usd(b2, sizeof b2, k->usd_per_m_cached_input),
                usd(b3, sizeof b3, k->usd_per_m_output), 100 * k->prefill_cost_share,
                100 * (1 - k->prefill_cost_share));
    else
        fprintf(f, "  $/M price sheet  - (%s)\n", k->split_note);
    fprintf(f,
            "  $/M InferenceX   total %s, input-only %s, output-only %s (each divides the whole "
            "GPU-hour by one throughput)\n",
            usd(b1, sizeof b1, k->usd_per_m_total), usd(b2, sizeof b2, k->usd_per_m_input_only),
            usd(b3, sizeof b3, k->usd_per_m_output_only));
}

void cli_sim_print(struct cli *c, const struct cli_sim_result *r)
{
    const struct mtok_deploy *d = mtok_plan_deploy(r->plan);
    struct mtok_params pa;
    mtok_sim_params(r->m, &pa);
    struct mtok_mem mem;
    mtok_plan_memory(r->plan, 0, &mem);
    char b1[64], b2[64], b3[64];
    FILE *f = c->out;
    fprintf(f, "%s on %s: %d GPU%s per instance (tp %d, ep %d, dp %d, pp %d)%s\n", r->m->id,
            r->hw->id, mtok_deploy_gpus(d), mtok_deploy_gpus(d) > 1 ? "s" : "", d->tp, d->ep, d->dp,
            d->pp, d->prefill_gpus ? ", disaggregated" : "");
    if (d->prefill_gpus)
        fprintf(f, "  pools            %d prefill + %d decode GPUs\n", d->prefill_gpus,
                d->decode_gpus);
    fprintf(f, "  parameters       %.4g B total, %.4g B active per token\n", pa.total / 1e9,
            pa.active / 1e9);
    fprintf(f, "  weights          %s (%s/%s), %s per GPU\n",
            gb(b1, sizeof b1, mtok_sim_weight_bytes(r->m, r->prec, d->mtp > 0)), r->prec->label,
            r->prec->kv_label, gb(b2, sizeof b2, mem.weights));
    fprintf(f, "  KV cache         %.0f B per token of context, %s per sequence at %g tokens\n",
            mtok_sim_kv_slope(r->m, r->d, r->prec), gb(b3, sizeof b3, mem.kv_per_seq), mem.ctx);
    fprintf(f, "  memory           %s usable per GPU, fits %s, max batch %g\n",
            gb(b1, sizeof b1, mem.usable), mem.fits ? "yes" : "NO", mem.max_batch);
    fprintf(f, "  FLOPs per token  %.4g G at context %g\n",
            mtok_sim_flops_per_token(r->m, r->d, r->prec, r->ctx, NULL) / 1e9, r->ctx);
    if (r->unmet)
        fprintf(f, "  target           %g tok/s/user is not reachable (batch 1 gives %.4g)\n",
                r->tps_user, r->pt.tok_s_per_user);
    const struct mtok_serve_point *p = &r->pt;
    fprintf(f, "  point            batch %g at context %g (%s)%s\n", p->batch, p->ctx, r->mode,
            p->fits ? "" : "  [does not fit in memory]");
    fprintf(f, "  TTFT             %.4g s\n", p->ttft_s);
    fprintf(f, "  TPOT             %.4g ms (decode step %.4g ms, %.3g tokens/step)\n",
            p->tpot_s * 1e3, p->decode_step_s * 1e3, p->tokens_per_step);
    fprintf(f, "  per user         %.4g tok/s\n", p->tok_s_per_user);
    fprintf(f, "  per GPU          %.4g tok/s (input %.4g, output %.4g)\n", p->tok_s_per_gpu,
            p->input_tok_s_per_gpu, p->output_tok_s_per_gpu);
    fprintf(f, "  provenance       %s\n", mtok_prov_name(p->prov));
    print_cost(f, r);
    if (r->n_front > 1) {
        static const char *const hdr[] = {"batch", "tok/s/user", "tok/s/GPU", "TPOT ms", "fits"};
        struct cli_table *t = cli_table_create(5, hdr);
        for (size_t i = 0; i < r->n_front; i++) {
            char a[32], b[32], cc[32], dd[32];
            snprintf(a, sizeof a, "%g", r->front[i].batch);
            snprintf(b, sizeof b, "%.4g", r->front[i].tok_s_per_user);
            snprintf(cc, sizeof cc, "%.4g", r->front[i].tok_s_per_gpu);
            snprintf(dd, sizeof dd, "%.4g", r->front[i].tpot_s * 1e3);
            cli_table_row(t, a, b, cc, dd, r->front[i].fits ? "yes" : "no");
        }
        fprintf(f, "Pareto front (concurrency sweep):\n");
        cli_table_print(t, f);
        cli_table_destroy(t);
    }
    for (size_t i = 0; i < mtok_plan_note_count(r->plan); i++)
        fprintf(f, "note: %s\n", mtok_plan_note(r->plan, i));
}

/* ---- JSON ---- */

static void add_cost_json(cJSON *o, const struct cli_sim_result *r)
{
    cJSON *cj = cJSON_AddObjectToObject(o, "cost");
    cJSON_AddBoolToObject(cj, "priced", r->priced);
    if (!r->priced) {
        cJSON_AddStringToObject(cj, "note", r->cost_note);
        return;
    }
    const struct mtok_token_cost *k = &r->cost;
    const struct mtok_device_hour *h = &k->hour;
    cJSON_AddStringToObject(cj, "basis", mtok_hour_basis_name(h->basis));
    if (h->basis == MTOK_HOUR_TIER)
        cJSON_AddStringToObject(cj, "tier", mtok_tier_name(h->tier));
    if (h->source && h->source->source) {
        cJSON_AddStringToObject(cj, "source", h->source->source);
        cJSON_AddStringToObject(cj, "source_date", h->source->date);
    }
    add_num(cj, "usd_per_device_hour", h->usd_per_hour);
    add_num(cj, "utilisation", k->inputs.utilisation);
    add_num(cj, "cached_input_cost_ratio", k->inputs.cached_input_cost_ratio);
    add_num(cj, "cache_hit_share", k->serving.cache_hit_share);
    add_num(cj, "prefill_cost_share", k->prefill_cost_share);
    add_num(cj, "usd_per_m_input_blended", k->usd_per_m_input_blended);
    add_num(cj, "tok_s_per_mw", k->tok_s_per_mw);
    add_num(cj, "j_per_token", k->j_per_token);
    add_num(cj, "j_per_output_token", k->j_per_output_token);
    cJSON_AddStringToObject(
        cj, "method",
        "usd_per_m_input/cached_input/output: a price sheet that recovers the busy GPU-hour "
        "exactly (GPU time split between prefill and decode; a cache hit priced at "
        "cached_input_cost_ratio x a miss). usd_per_m_total, usd_per_m_input_inferencex and "
        "usd_per_m_output_inferencex: InferenceX's figures, the whole GPU-hour divided by one "
        "throughput (they do not add)");
    if (k->split_note[0])
        cJSON_AddStringToObject(cj, "note", k->split_note);
    if (h->note[0])
        cJSON_AddStringToObject(cj, "hour_note", h->note);
}

cJSON *cli_sim_json(const struct cli_sim_result *r)
{
    const struct mtok_deploy *d = mtok_plan_deploy(r->plan);
    const struct mtok_serve_point *p = &r->pt;
    struct mtok_params pa;
    mtok_sim_params(r->m, &pa);
    struct mtok_mem mem;
    mtok_plan_memory(r->plan, 0, &mem);
    struct mtok_flops_split fs;
    double flops = mtok_sim_flops_per_token(r->m, r->d, r->prec, r->ctx, &fs);
    cJSON *o = cJSON_CreateObject();
    /* the contract keys (ARCHITECTURE.md, issue #3) */
    cJSON_AddStringToObject(o, "model", r->m->id);
    cJSON_AddStringToObject(o, "hw", r->hw->id);
    add_num(o, "params_total", pa.total);
    add_num(o, "params_active", pa.active);
    add_num(o, "weight_bytes", mtok_sim_weight_bytes(r->m, r->prec, d->mtp > 0));
    add_num(o, "kv_bytes_per_token", mtok_sim_kv_slope(r->m, r->d, r->prec));
    add_num(o, "flops_per_token", flops);
    cJSON_AddBoolToObject(o, "fits", p->fits);
    add_num(o, "max_batch", mem.max_batch);
    add_num(o, "ttft_s", p->ttft_s);
    add_num(o, "tpot_s", p->tpot_s);
    add_num(o, "tok_s_per_user", p->tok_s_per_user);
    add_num(o, "tok_s_per_gpu", p->tok_s_per_gpu);
    add_num(o, "input_tok_s_per_gpu", p->input_tok_s_per_gpu);
    add_num(o, "output_tok_s_per_gpu", p->output_tok_s_per_gpu);
    cJSON_AddStringToObject(o, "provenance", mtok_prov_name(p->prov));
    /* the cost keys (issue #5): null when the point is not priced (see cost.note) */
    const struct mtok_token_cost *kc = r->priced ? &r->cost : NULL;
    add_num(o, "usd_per_gpu_hour", kc ? kc->usd_per_gpu_hour : NAN);
    add_num(o, "usd_per_m_input", kc ? kc->usd_per_m_input : NAN);
    add_num(o, "usd_per_m_cached_input", kc ? kc->usd_per_m_cached_input : NAN);
    add_num(o, "usd_per_m_output", kc ? kc->usd_per_m_output : NAN);
    add_num(o, "usd_per_m_total", kc ? kc->usd_per_m_total : NAN);
    add_num(o, "usd_per_m_input_inferencex", kc ? kc->usd_per_m_input_only : NAN);
    add_num(o, "usd_per_m_output_inferencex", kc ? kc->usd_per_m_output_only : NAN);

    /* extras */
    add_cost_json(o, r);
    cJSON_AddStringToObject(o, "mode", r->mode);
    if (!isnan(r->tps_user)) {
        add_num(o, "tps_user_target", r->tps_user);
        cJSON_AddBoolToObject(o, "tps_user_met", !r->unmet);
    }
    add_num(o, "batch", p->batch);
    add_num(o, "ctx", r->ctx);
    add_num(o, "decode_step_s", p->decode_step_s);
    add_num(o, "tokens_per_step", p->tokens_per_step);
    add_num(o, "prefill_s_per_request", p->prefill_s_per_request);
    add_num(o, "prefill_time_share", p->prefill_time_share);
    cJSON_AddBoolToObject(o, "prefill_bound", p->prefill_bound);
    add_num(o, "gpus", mtok_deploy_gpus(d));
    cJSON *dj = cJSON_AddObjectToObject(o, "deployment");
    add_num(dj, "tp", d->tp);
    add_num(dj, "ep", d->ep);
    add_num(dj, "dp", d->dp);
    add_num(dj, "pp", d->pp);
    add_num(dj, "expert_tp", (double)d->tp * d->dp / d->ep);
    add_num(dj, "isl", d->isl);
    add_num(dj, "osl", d->osl);
    add_num(dj, "mtp", d->mtp);
    add_num(dj, "mtp_acceptance", d->mtp_accept);
    add_num(dj, "prefill_gpus", d->prefill_gpus);
    add_num(dj, "decode_gpus", d->decode_gpus);
    add_num(dj, "cache_hit_share", d->cache_hit);
    cJSON_AddBoolToObject(dj, "sol", d->sol);
    if (r->tier)
        cJSON_AddStringToObject(dj, "tier", r->tier);
    if (!isnan(r->usd_per_gpu_hour))
        add_num(dj, "usd_per_gpu_hour", r->usd_per_gpu_hour);
    cJSON *pj = cJSON_AddObjectToObject(o, "precision");
    cJSON_AddStringToObject(pj, "weights", r->prec->label);
    cJSON_AddStringToObject(pj, "kv", r->prec->kv_label);
    for (int k = 0; k < MTOK_W_CLASS_COUNT; k++)
        cJSON_AddStringToObject(pj, mtok_wclass_name((enum mtok_wclass)k),
                                mtok_dtype_name(r->prec->w[k]));
    cJSON *par = cJSON_AddObjectToObject(o, "params");
    add_num(par, "total", pa.total);
    add_num(par, "active", pa.active);
    add_num(par, "active_with_embedding", pa.active_with_embedding);
    add_num(par, "mtp_layers", pa.mtp);
    add_num(par, "official_total", r->m->official_total);
    add_num(par, "official_active", r->m->official_active);
    add_num(o, "checkpoint_bytes", mtok_sim_weight_bytes(r->m, r->prec, true));
    cJSON *mj = cJSON_AddObjectToObject(o, "memory_per_gpu");
    add_num(mj, "capacity", mem.capacity);
    add_num(mj, "usable", mem.usable);
    add_num(mj, "weights", mem.weights);
    add_num(mj, "workspace", mem.workspace);
    add_num(mj, "activations", mem.activations);
    add_num(mj, "kv_per_sequence", mem.kv_per_seq_device);
    add_num(mj, "sizing_ctx", mem.ctx);
    add_num(o, "kv_bytes_per_sequence", mem.kv_per_seq);
    cJSON *fj = cJSON_AddObjectToObject(o, "flops_per_token_split");
    add_num(fj, "gemm", fs.gemm);
    add_num(fj, "attention", fs.attention);
    add_num(fj, "indexer", fs.indexer);
    add_num(fj, "scan", fs.scan);
    cJSON_AddStringToObject(
        o, "flops_counting",
        "matrix FLOPs (2 per multiply-add) of one decoded token at context ctx on one device: every "
        "GEMM incl. the LM head, the attention core over the positions it reads, the lightning "
        "indexer over the keys it scores, recurrent-state arithmetic; softmax and element-wise "
        "work excluded; every FLOP counts once whatever its precision (FP8-equivalent: FP4 x FP8 "
        "runs at the FP8 rate on current hardware)");
    cJSON *cl = cJSON_AddArrayToObject(o, "layer_classes");
    for (size_t i = 0; i < mtok_plan_class_count(r->plan); i++) {
        int count;
        const char *name = mtok_plan_class_name(r->plan, i, &count);
        cJSON *x = cJSON_CreateObject();
        cJSON_AddStringToObject(x, "class", name);
        add_num(x, "layers", count);
        double kv, slope;
        mtok_plan_class_kv(r->plan, i, r->ctx, &kv, &slope);
        add_num(x, "kv_bytes_per_token", slope);
        add_num(x, "kv_bytes_per_sequence_at_ctx", kv);
        cJSON_AddItemToArray(cl, x);
    }
    if (r->n_front) {
        cJSON *fr = cJSON_AddArrayToObject(o, "pareto");
        for (size_t i = 0; i < r->n_front; i++)
            cJSON_AddItemToArray(fr, point_json(&r->front[i]));
    }
    cJSON *notes = cJSON_AddArrayToObject(o, "notes");
    for (size_t i = 0; i < mtok_plan_note_count(r->plan); i++)
        cJSON_AddItemToArray(notes, cJSON_CreateString(mtok_plan_note(r->plan, i)));
    if (!r->priced && r->cost_note[0])
        cJSON_AddItemToArray(notes, cJSON_CreateString(r->cost_note));
    cJSON *as = cJSON_AddArrayToObject(o, "assumptions");
    const char *src[] = {r->d->src_memory, r->d->src_efficiency, r->d->src_latency,
                         r->d->src_network, r->d->src_precision, r->d->src_kv,
                         r->d->src_serving};
    for (size_t i = 0; i < sizeof src / sizeof *src; i++)
        if (src[i])
            cJSON_AddItemToArray(as, cJSON_CreateString(src[i]));
    cJSON_AddItemToArray(as, cJSON_CreateString(
                                 "aggregated serving: chunked prefill shares the decode steps; "
                                 "TPOT includes that interference, TTFT excludes queueing"));
    return o;
}

/* ---- mtok sweep ---- */

struct progress {
    FILE *err;
    bool tty;
    int last;
    bool finished;
};

static void progress_cb(void *arg, size_t done, size_t total)
{
    struct progress *p = arg;
    if (!p->tty || total == 0)
        return;
    int pct = (int)(100.0 * (double)done / (double)total);
    if (pct == p->last && (done != total || p->finished))
        return;
    p->finished = done == total;
    p->last = pct;
    int w = 40, fill = pct * w / 100;
    fprintf(p->err, "\r[");
    for (int i = 0; i < w; i++)
        fputc(i < fill ? '#' : '.', p->err);
    fprintf(p->err, "] %3d%% %zu/%zu points", pct, done, total);
    if (done == total)
        fputc('\n', p->err);
    fflush(p->err);
}

int cli_sweep(struct cli *c, int argc, char **argv)
{
    const char *suite = NULL;
    long threads = 0;
    struct cli_opt opts[] = {
        {"suite", OPT_STR, &suite, 0, 0, 0},
        {"j", OPT_LONG, &threads, 1, 1024, 0},
    };
    char *pos[1];
    if (cli_parse(c, argc, argv, opts, 2, pos, 0) < 0)
        return CLI_ERROR;
    if (!suite)
        return cli_fail(c, "--suite NAME|FILE is required (see data/suites)");
    if (threads == 0) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        threads = n > 0 ? n : 1;
    }
    struct mtok_catalog *cat = cli_catalog(c);
    if (!cat)
        return CLI_ERROR;
    struct mtok_sim_defaults *def = cli_sim_defaults(c);
    if (!def)
        return CLI_ERROR;
    struct mtok_diags d = {0};
    struct mtok_suite *s = NULL;
    if (mtok_suite_load(&s, suite, c->data_dir, cat, &d) != MTOK_OK) {
        int rc = cli_fail_diags(c, &d);
        mtok_diags_free(&d);
        mtok_sim_defaults_destroy(def);
        return rc;
    }
    /* everything is checked: only now touch the database */
    struct mtok_error err = {0};
    struct mtok_store *st = NULL;
    if (mtok_store_open(&st, c->db_path, &err) != MTOK_OK) {
        mtok_suite_destroy(s);
        mtok_sim_defaults_destroy(def);
        return cli_fail(c, "%s", err.msg);
    }
    struct mtok_buf args = {0};
    mtok_buf_puts(&args, "sweep");
    for (int i = 0; i < argc; i++) {
        mtok_buf_puts(&args, " ");
        mtok_buf_puts(&args, argv[i]);
    }
    struct mtok_run_info info = {.kind = "sweep", .suite = mtok_suite_name(s), .args = args.data};
    struct mtok_run *run = mtok_run_create(&info);
    int rc = CLI_OK;
    if (mtok_store_run_begin(st, run) != MTOK_OK) {
        rc = cli_fail(c, "%s", mtok_store_errmsg(st));
        goto out;
    }
    struct progress pr = {.err = c->err, .tty = isatty(fileno(c->err)) != 0, .last = -1};
    uint64_t t0 = mtok_now_ns();
    struct mtok_sweep *sw = NULL;
    if (mtok_sweep_run(&sw, s, cat, def, NULL, (int)threads, progress_cb, &pr, &err) != MTOK_OK) {
        mtok_store_run_fail(st, run);
        rc = cli_fail(c, "%s", err.msg);
        goto out;
    }
    double eval_s = (double)(mtok_now_ns() - t0) / 1e9;
    size_t n = mtok_sweep_count(sw), fits = 0, infeasible = 0;
    for (size_t i = 0; i < n; i++) {
        const struct mtok_sweep_row *w = mtok_sweep_row_at(sw, i);
        fits += w->pt.fits;
        infeasible += strstr(w->deployment, "\"infeasible\"") != NULL;
        struct mtok_sim_row row = {
            .key = w->key, .model = w->model, .hw = w->hw, .deployment = w->deployment,
            .fits = w->pt.fits, .max_batch = w->pt.max_batch, .ttft_s = w->pt.ttft_s,
            .tpot_s = w->pt.tpot_s, .tok_s_per_user = w->pt.tok_s_per_user,
            .tok_s_per_gpu = w->pt.tok_s_per_gpu,
            .input_tok_s_per_gpu = w->pt.input_tok_s_per_gpu,
            .output_tok_s_per_gpu = w->pt.output_tok_s_per_gpu, .weight_bytes = w->weight_bytes,
            .kv_bytes_per_token = w->kv_bytes_per_token, .flops_per_token = w->flops_per_token,
            .provenance = mtok_prov_name(w->pt.prov)};
        mtok_run_add_sim(run, &row);
    }
    mtok_sweep_destroy(sw);
    if (mtok_store_run_commit(st, run) != MTOK_OK) {
        rc = cli_fail(c, "%s", mtok_store_errmsg(st));
        goto out;
    }
    double total_s = (double)(mtok_now_ns() - t0) / 1e9;
    if (c->json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "suite", mtok_suite_name(s));
        add_num(o, "points", (double)n);
        add_num(o, "points_per_s", n / eval_s);
        add_num(o, "threads", (double)threads);
        add_num(o, "eval_s", eval_s);
        add_num(o, "total_s", total_s);
        add_num(o, "fits", (double)fits);
        add_num(o, "infeasible", (double)infeasible);
        cJSON_AddStringToObject(o, "run", mtok_run_uuid(run));
        cJSON_AddStringToObject(o, "db", mtok_store_path(st));
        cli_print_json(c, o);
    } else {
        fprintf(c->out,
                "%s: %zu points (%zu fit, %zu infeasible deployments) in %.3f s on %ld thread%s "
                "(%.0f points/s); %.3f s with the database write\nrun %s in %s\n",
                mtok_suite_name(s), n, fits, infeasible, eval_s, threads, threads > 1 ? "s" : "",
                n / eval_s, total_s, mtok_run_uuid(run), mtok_store_path(st));
    }
out:
    mtok_buf_free(&args);
    mtok_run_destroy(run);
    mtok_store_close(st);
    mtok_suite_destroy(s);
    mtok_sim_defaults_destroy(def);
    return rc;
}
