/* mtok cost (the workload planner) and mtok train (training cost) */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/sim_json.h"
#include "pricing/pricing.h"

static void add_num(cJSON *o, const char *key, double v)
{
    if (isfinite(v))
        cJSON_AddNumberToObject(o, key, v);
    else
        cJSON_AddNullToObject(o, key);
}

static struct mtok_tco_defaults *load_tco(struct cli *c, struct mtok_tco_defaults *t)
{
    struct mtok_diags d = {0};
    /* a user's catalog directory may omit pricing/tco.json: the embedded defaults serve */
    const char *dir = c->data_dir;
    if (dir) {
        struct mtok_buf p = {0};
        mtok_buf_printf(&p, "%s/pricing/tco.json", dir);
        FILE *f = fopen(p.data, "r");
        if (f)
            fclose(f);
        else
            dir = NULL;
        mtok_buf_free(&p);
    }
    if (mtok_tco_defaults_load(dir, t, &d) != MTOK_OK) {
        cli_fail_diags(c, &d);
        mtok_diags_free(&d);
        return NULL;
    }
    mtok_diags_free(&d);
    return t;
}

static const char *money(char *buf, size_t n, double v)
{
    if (!isfinite(v))
        snprintf(buf, n, "-");
    else if (v >= 1e6)
        snprintf(buf, n, "$%.4gM", v / 1e6);
    else if (v >= 100)
        snprintf(buf, n, "$%.0f", v);
    else if (v >= 1)
        snprintf(buf, n, "$%.2f", v);
    else
        snprintf(buf, n, "$%.3g", v);
    return buf;
}

/* ---- mtok cost ---- */

/* "a,b,c" -> NULL-terminated array of pointers into a copy (both freed by the caller). */
static char **split_list(const char *s, char **copy)
{
    *copy = mtok_xstrdup(s);
    size_t n = 1;
    for (const char *p = s; *p; p++)
        n += *p == ',';
    char **v = mtok_xcalloc(n + 1, sizeof *v);
    size_t k = 0;
    for (char *tok = *copy, *next; tok; tok = next) {
        next = strchr(tok, ',');
        if (next)
            *next++ = '\0';
        if (*tok)
            v[k++] = tok;
    }
    return v;
}

int cli_cost(struct cli *c, int argc, char **argv)
{
    const char *workload = NULL, *model = NULL, *date = NULL, *tier = NULL, *vs = NULL, *hw = NULL;
    double rpd = NAN, in = NAN, out = NAN, hit = NAN, pta = NAN, tps = NAN, ttft = NAN, days = NAN,
           usd = NAN;
    long max_gpus = 0;
    int no_record = 0;
    struct cli_opt opts[] = {
        {"workload", OPT_STR, &workload, 0, 0, 0},
        {"model", OPT_STR, &model, 0, 0, 0},
        {"requests-per-day", OPT_DOUBLE, &rpd, 0, 0, 0},
        {"input-tokens", OPT_DOUBLE, &in, 0, 0, 0},
        {"output-tokens", OPT_DOUBLE, &out, 0, 0, 0},
        {"cache-hit", OPT_DOUBLE, &hit, 0, 0, 0},
        {"peak-to-average", OPT_DOUBLE, &pta, 0, 0, 0},
        {"tps-user", OPT_DOUBLE, &tps, 0, 0, 0},
        {"ttft", OPT_DOUBLE, &ttft, 0, 0, 0},
        {"days-per-month", OPT_DOUBLE, &days, 0, 0, 0},
        {"date", OPT_STR, &date, 0, 0, 0},
        {"tier", OPT_STR, &tier, 0, 0, 0},
        {"usd-per-gpu-hour", OPT_DOUBLE, &usd, 0, 0, 0},
        {"vs", OPT_STR, &vs, 0, 0, 0},
        {"hw", OPT_STR, &hw, 0, 0, 0},
        {"max-gpus", OPT_LONG, &max_gpus, 1, 4096, 0},
        {"no-record", OPT_FLAG, &no_record, 0, 0, 0},
    };
    char *pos[1];
    if (cli_parse(c, argc, argv, opts, sizeof opts / sizeof *opts, pos, 0) < 0)
        return CLI_ERROR;
    if (tier && strcmp(tier, "tco") != 0) {
        enum mtok_tier t;
        if (mtok_tier_parse(tier, &t) != MTOK_OK)
            return cli_fail(c,
                            "--tier: \"%s\" is not tco, hyperscaler, neocloud, rental, spot or "
                            "list",
                            tier);
    }
    if (!isnan(usd) && !(usd > 0 && usd < 1e6))
        return cli_fail(c, "--usd-per-gpu-hour: %g is not a price", usd);
    struct mtok_catalog *cat = cli_catalog(c);
    if (!cat)
        return CLI_ERROR;
    struct mtok_workload_spec w;
    mtok_workload_spec_init(&w);
    struct mtok_diags d = {0};
    if (workload && mtok_workload_load(&w, workload, c->data_dir, cat, &d) != MTOK_OK) {
        int rc = cli_fail_diags(c, &d);
        mtok_diags_free(&d);
        return rc;
    }
    mtok_diags_free(&d);
    if (!workload) {
        const char *need = !model       ? "--model"
                           : isnan(rpd) ? "--requests-per-day"
                           : isnan(in)  ? "--input-tokens"
                           : isnan(out) ? "--output-tokens"
                                        : NULL;
        if (need)
            return cli_fail(c, "%s is required without --workload FILE (see mtok --help)", need);
        w.id = mtok_xstrdup("flags");
    }
    /* flags override the file */
    if (model) {
        free(w.model);
        w.model = mtok_xstrdup(model);
    }
    if (!isnan(rpd))
        w.requests_per_day = rpd;
    if (!isnan(in))
        w.input_tokens = in;
    if (!isnan(out))
        w.output_tokens = out;
    if (!isnan(hit))
        w.cache_hit_share = hit;
    if (!isnan(pta))
        w.peak_to_average = pta;
    if (!isnan(tps))
        w.tps_user = tps;
    if (!isnan(ttft))
        w.ttft_s = ttft;
    if (!isnan(days))
        w.days_per_month = days;
    struct mtok_error err = {0};
    int rc = CLI_OK;
    struct mtok_workload_plan *plan = NULL;
    struct mtok_sim_defaults *def = NULL;
    char **hw_ids = NULL, *hw_copy = NULL;
    struct mtok_tco_defaults tco = {0};
    if (mtok_workload_check(&w, &err) != MTOK_OK) {
        rc = cli_fail(c, "%s", err.msg);
        goto out;
    }
    if (!mtok_catalog_model(cat, w.model)) {
        rc = cli_fail(c, "--model: \"%s\" is not a catalog model id (see mtok models)", w.model);
        goto out;
    }
    if (hw) {
        hw_ids = split_list(hw, &hw_copy);
        for (char **h = hw_ids; *h; h++)
            if (!mtok_catalog_hw(cat, *h)) {
                rc = cli_fail(c, "--hw: \"%s\" is not a hardware id (see mtok hw)", *h);
                goto out;
            }
    }
    if (!(def = cli_sim_defaults(c)) || !load_tco(c, &tco)) {
        rc = CLI_ERROR;
        goto out;
    }
    struct mtok_workload_opts o = {.date = date,
                                   .tier = tier,
                                   .usd_per_gpu_hour = isnan(usd) ? 0 : usd,
                                   .vs = vs,
                                   .hw_ids = (const char *const *)hw_ids,
                                   .max_gpus = (int)max_gpus,
                                   .tco = &tco,
                                   .sim = def};
    if (mtok_workload_plan_create(&plan, cat, &w, &o, &err) != MTOK_OK) {
        rc = cli_fail(c, "%s", err.msg);
        goto out;
    }
    /* everything is checked: only now touch the database */
    char uuid[33] = "";
    const char *db = NULL;
    struct mtok_store *st = NULL;
    if (!no_record) {
        struct mtok_buf args = {0};
        mtok_buf_puts(&args, "cost");
        for (int i = 0; i < argc; i++) {
            mtok_buf_puts(&args, " ");
            mtok_buf_puts(&args, argv[i]);
        }
        if (mtok_store_open(&st, c->db_path, &err) != MTOK_OK ||
            mtok_workload_plan_record(st, args.data, plan, uuid, &err) != MTOK_OK)
            rc = cli_fail(c, "%s", err.msg);
        else
            db = mtok_store_path(st);
        mtok_buf_free(&args);
        if (rc != CLI_OK) {
            mtok_store_close(st);
            goto out;
        }
    }
    if (c->json) {
        char *s = mtok_workload_plan_json(plan);
        cJSON *o2 = cJSON_Parse(s);
        free(s);
        if (uuid[0]) {
            cJSON_AddStringToObject(o2, "run", uuid);
            cJSON_AddStringToObject(o2, "db", db);
        }
        cli_print_json(c, o2);
    } else {
        FILE *f = c->out;
        const struct mtok_workload_spec *s = &plan->spec;
        char b1[32], b2[32], b3[32];
        fprintf(f,
                "workload %s: %s, %.6g requests/day x (%.6g in + %.6g out tokens), cache hits "
                "%.0f%%, peak/average %.3g",
                s->id, s->model, s->requests_per_day, s->input_tokens, s->output_tokens,
                100 * s->cache_hit_share, s->peak_to_average);
        if (s->tps_user > 0)
            fprintf(f, ", >= %.4g tok/s/user", s->tps_user);
        if (s->ttft_s > 0)
            fprintf(f, ", TTFT <= %.4g s", s->ttft_s);
        fprintf(f,
                "\n  %.6g requests and %.4g M tokens a month (%.4g days); prices in force on "
                "%s\n",
                plan->requests_per_month, plan->tokens_per_month / 1e6, s->days_per_month,
                plan->date);
        if (plan->reference >= 0)
            fprintf(f, "  break-even against %s (%s)\n", plan->rows[plan->reference].name,
                    plan->reference_note);
        static const char *const hdr[] = {"#",       "option", "$/month", "$/M tok",
                                          "devices", "util",   "basis",   "break-even req/day"};
        struct cli_table *t = cli_table_create(8, hdr);
        for (size_t i = 0; i < plan->n_rows; i++) {
            const struct mtok_workload_row *r = &plan->rows[i];
            char rank[24], dev[24], util[24], be[32];
            snprintf(rank, sizeof rank, "%zu", i + 1);
            snprintf(dev, sizeof dev, "%s", "-");
            snprintf(util, sizeof util, "%s", "-");
            snprintf(be, sizeof be, "%s", "-");
            if (r->kind == MTOK_OPTION_SELF && r->devices > 0) {
                snprintf(dev, sizeof dev, "%d", r->devices);
                if (isfinite(r->utilisation))
                    snprintf(util, sizeof util, "%.1f%%", 100 * r->utilisation);
                if (isinf(r->breakeven_requests_per_day))
                    snprintf(be, sizeof be, "never");
                else if (isfinite(r->breakeven_requests_per_day))
                    snprintf(be, sizeof be, "%.4g", r->breakeven_requests_per_day);
            }
            cli_table_row(t, rank, r->name,
                          r->feasible ? money(b1, sizeof b1, r->usd_per_month) : "-",
                          r->feasible ? money(b2, sizeof b2, r->usd_per_m_tokens) : "-", dev, util,
                          r->kind == MTOK_OPTION_SELF ? r->hour_basis : r->hour_basis, be);
        }
        cli_table_print(t, f);
        cli_table_destroy(t);
        (void)b3;
        fprintf(f, "\nnotes:\n");
        for (size_t i = 0; i < plan->n_rows; i++)
            if (plan->rows[i].note[0])
                fprintf(f, "  %zu. %s\n", i + 1, plan->rows[i].note);
        if (uuid[0])
            fprintf(f, "run %s in %s\n", uuid, db);
    }
    mtok_store_close(st);
out:
    mtok_workload_plan_destroy(plan);
    mtok_workload_spec_free(&w);
    mtok_sim_defaults_destroy(def);
    mtok_tco_defaults_free(&tco);
    free(hw_ids);
    free(hw_copy);
    return rc;
}

/* ---- mtok train ---- */

/* The $/device-hour for training: --usd-per-gpu-hour, else --tier (a tier or tco), else the rental
 * tier, hyperscaler, neocloud, TCO in that order. */
static bool train_hour(struct cli *c, const struct mtok_hw *hw, const char *tier, double usd,
                       const struct mtok_tco_defaults *tco, struct mtok_device_hour *h, char *basis,
                       size_t n)
{
    struct mtok_error err = {0};
    if (!isnan(usd)) {
        if (mtok_pricing_hour_given(usd, h, &err) != MTOK_OK)
            return cli_fail(c, "--usd-per-gpu-hour: %s", err.msg), false;
        snprintf(basis, n, "given");
        return true;
    }
    struct mtok_tco in;
    if (tier) {
        enum mtok_tier t;
        if (strcmp(tier, "tco") == 0) {
            if (mtok_tco_for_hw(tco, hw, &in, &err) != MTOK_OK ||
                mtok_pricing_hour_tco(&in, hw, NULL, h, &err) != MTOK_OK)
                return cli_fail(c, "--tier tco: %s", err.msg), false;
        } else if (mtok_tier_parse(tier, &t) != MTOK_OK) {
            return cli_fail(c,
                            "--tier: \"%s\" is not tco, hyperscaler, neocloud, rental, spot or "
                            "list",
                            tier),
                   false;
        } else if (mtok_pricing_hour_tier(hw, t, h, &err) != MTOK_OK) {
            return cli_fail(c, "--tier: %s", err.msg), false;
        }
        snprintf(basis, n, "%s", tier);
        return true;
    }
    static const enum mtok_tier order[] = {MTOK_TIER_RENTAL, MTOK_TIER_HYPERSCALER,
                                           MTOK_TIER_NEOCLOUD};
    for (size_t i = 0; i < sizeof order / sizeof *order; i++)
        if (mtok_pricing_hour_tier(hw, order[i], h, &err) == MTOK_OK) {
            snprintf(basis, n, "%s", mtok_tier_name(order[i]));
            return true;
        }
    if (mtok_tco_for_hw(tco, hw, &in, &err) == MTOK_OK &&
        mtok_pricing_hour_tco(&in, hw, NULL, h, &err) == MTOK_OK) {
        snprintf(basis, n, "tco");
        return true;
    }
    snprintf(basis, n, "none");
    return false;
}

static cJSON *flops_json(const struct mtok_train_flops *f)
{
    cJSON *o = cJSON_CreateObject();
    add_num(o, "tokens", f->tokens);
    add_num(o, "seq_len", f->seq_len);
    add_num(o, "n_active", f->n_active);
    add_num(o, "dense", f->dense);
    add_num(o, "attention", f->attention);
    add_num(o, "mtp", f->mtp);
    add_num(o, "total", f->total);
    add_num(o, "attention_fwd_per_token", f->attention_fwd);
    add_num(o, "mtp_fwd_per_token", f->mtp_fwd);
    add_num(o, "mtp_layers", f->mtp_layers);
    return o;
}

static void print_flops(FILE *f, const struct mtok_train_flops *x)
{
    fprintf(f, "  dense      6 x %.4g B active x %.4g T tokens = %.4g FLOPs\n", x->n_active / 1e9,
            x->tokens / 1e12, x->dense);
    fprintf(f,
            "  attention  3 x %.4g GFLOPs/token (forward, sequence %.0f) x %.4g T = %.4g "
            "FLOPs\n",
            x->attention_fwd / 1e9, x->seq_len, x->tokens / 1e12, x->attention);
    if (x->mtp_layers)
        fprintf(f,
                "  MTP        3 x %.4g GFLOPs/token (%d layer%s + shared LM head) x %.4g T = "
                "%.4g FLOPs\n",
                x->mtp_fwd / 1e9, x->mtp_layers, x->mtp_layers > 1 ? "s" : "", x->tokens / 1e12,
                x->mtp);
    fprintf(f, "  total      %.4g FLOPs\n", x->total);
}

int cli_train(struct cli *c, int argc, char **argv)
{
    const char *model = NULL, *hw_arg = NULL, *tier = NULL, *dtype_s = NULL;
    double tokens = NAN, mfu = NAN, usd = NAN, seq = NAN;
    int no_mtp = 0;
    struct cli_opt opts[] = {
        {"model", OPT_STR, &model, 0, 0, 0},
        {"tokens", OPT_DOUBLE, &tokens, 0, 0, 0},
        {"hw", OPT_STR, &hw_arg, 0, 0, 0},
        {"mfu", OPT_DOUBLE, &mfu, 0, 0, 0},
        {"usd-per-gpu-hour", OPT_DOUBLE, &usd, 0, 0, 0},
        {"tier", OPT_STR, &tier, 0, 0, 0},
        {"seq-len", OPT_DOUBLE, &seq, 0, 0, 0},
        {"dtype", OPT_STR, &dtype_s, 0, 0, 0},
        {"no-mtp", OPT_FLAG, &no_mtp, 0, 0, 0},
    };
    char *pos[1];
    if (cli_parse(c, argc, argv, opts, sizeof opts / sizeof *opts, pos, 0) < 0)
        return CLI_ERROR;
    if (!model)
        return cli_fail(c, "--model M is required (a catalog id, see mtok models)");
    if (!isnan(tokens) && !(tokens >= 1e6 && tokens <= 1e18))
        return cli_fail(c, "--tokens: %g is not in [1e6, 1e18]", tokens);
    if (!isnan(mfu) && !(mfu > 0 && mfu <= 1))
        return cli_fail(c, "--mfu: %g is not in (0, 1]", mfu);
    if (!isnan(seq) && !(seq >= 16 && seq <= 1e8))
        return cli_fail(c, "--seq-len: %g is not in [16, 1e8]", seq);
    if (!isnan(usd) && !(usd > 0 && usd < 1e6))
        return cli_fail(c, "--usd-per-gpu-hour: %g is not a price", usd);
    if (!isnan(usd) && tier)
        return cli_fail(c, "--usd-per-gpu-hour and --tier are alternatives; give one");
    enum mtok_dtype dtype = MTOK_BF16;
    if (dtype_s && (mtok_dtype_parse(dtype_s, &dtype) != MTOK_OK ||
                    (dtype != MTOK_BF16 && dtype != MTOK_FP8 && dtype != MTOK_MXFP4)))
        return cli_fail(c, "--dtype: \"%s\" is not bf16, fp8 or fp4", dtype_s);
    struct mtok_catalog *cat = cli_catalog(c);
    if (!cat)
        return CLI_ERROR;
    struct mtok_diags d = {0};
    const struct mtok_model *m = NULL;
    if (mtok_catalog_resolve_model(cat, model, &m, &d) != MTOK_OK) {
        int rc = cli_fail_diags(c, &d);
        mtok_diags_free(&d);
        return rc;
    }
    struct mtok_train_runs runs = {0};
    if (mtok_train_runs_load(&runs, c->data_dir, cat, &d) != MTOK_OK) {
        int rc = cli_fail_diags(c, &d);
        mtok_diags_free(&d);
        return rc;
    }
    int rc = CLI_OK;
    struct mtok_sim_defaults *def = NULL;
    struct mtok_tco_defaults tco = {0};
    const struct mtok_train_run *run = mtok_train_run_find(&runs, m->id);
    const struct mtok_train_run *cal = mtok_train_run_calibration(&runs);
    char token_src[160] = "--tokens";
    if (isnan(tokens)) {
        if (!run) {
            rc = cli_fail(c, "--tokens T is required: data/training/runs.json has no run for %s",
                          m->id);
            goto out;
        }
        tokens = run->tokens;
        snprintf(token_src, sizeof token_src, "data/training/runs.json run %s", run->id);
    }
    if (isnan(seq))
        seq = run ? run->seq_len : cal->seq_len;
    const struct mtok_hw *hw = NULL;
    const char *hw_id = hw_arg ? hw_arg : run && run->hw ? run->hw : cal->hw;
    if (mtok_catalog_resolve_hw(cat, hw_id, &hw, &d) != MTOK_OK) {
        rc = cli_fail_diags(c, &d);
        goto out;
    }
    if (!(def = cli_sim_defaults(c)) || !load_tco(c, &tco)) {
        rc = CLI_ERROR;
        goto out;
    }
    struct mtok_error err = {0};
    struct mtok_train_calibration calib;
    if (mtok_train_calibrate(cat, def, cal, dtype, &calib, &err) != MTOK_OK) {
        rc = cli_fail(c, "calibration: %s", err.msg);
        goto out;
    }
    struct mtok_train_flops fl;
    if (mtok_train_flops(m, hw, def, tokens, seq, !no_mtp, &fl, &err) != MTOK_OK) {
        rc = cli_fail(c, "%s", err.msg);
        goto out;
    }
    bool mfu_given = !isnan(mfu);
    if (!mfu_given)
        mfu = calib.mfu;
    struct mtok_device_hour hour;
    char basis[48];
    bool priced = train_hour(c, hw, tier, usd, &tco, &hour, basis, sizeof basis);
    if (!priced && (tier || !isnan(usd))) {
        rc = CLI_ERROR; /* train_hour printed why */
        goto out;
    }
    struct mtok_train_estimate est;
    if (mtok_train_estimate(&fl, hw, dtype, mfu, priced ? &hour : NULL, &est, &err) != MTOK_OK) {
        rc = cli_fail(c, "%s", err.msg);
        goto out;
    }
    char mfu_src[800];
    if (mfu_given)
        snprintf(mfu_src, sizeof mfu_src, "given (--mfu)");
    else
        snprintf(mfu_src, sizeof mfu_src, "%s", calib.provenance);
    if (c->json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "model", m->id);
        cJSON_AddStringToObject(o, "hw", hw->id);
        cJSON_AddStringToObject(o, "tokens_from", token_src);
        cJSON_AddItemToObject(o, "flops", flops_json(&fl));
        cJSON_AddStringToObject(o, "mfu_dtype", mtok_dtype_name(dtype));
        add_num(o, "peak_flops", est.peak_flops);
        add_num(o, "mfu", est.mfu);
        cJSON_AddStringToObject(o, "mfu_source", mfu_src);
        add_num(o, "device_hours", est.device_hours);
        cJSON_AddStringToObject(o, "hour_basis", priced ? basis : "none");
        add_num(o, "usd_per_device_hour", priced ? hour.usd_per_hour : NAN);
        add_num(o, "usd", est.usd);
        cJSON *cj = cJSON_AddObjectToObject(o, "calibration");
        cJSON_AddStringToObject(cj, "run", cal->id);
        cJSON_AddStringToObject(cj, "model", cal->model);
        cJSON_AddStringToObject(cj, "hw", cal->hw);
        add_num(cj, "gpu_hours", cal->gpu_hours);
        add_num(cj, "usd_per_gpu_hour", cal->usd_per_gpu_hour);
        cJSON_AddItemToObject(cj, "flops", flops_json(&calib.flops));
        add_num(cj, "achieved_flops_per_gpu", calib.achieved_flops_per_gpu);
        add_num(cj, "mfu", calib.mfu);
        cJSON_AddStringToObject(cj, "source", cal->src.source);
        if (cal->src.note)
            cJSON_AddStringToObject(cj, "note", cal->src.note);
        cJSON_AddStringToObject(
            o, "formula",
            "FLOPs = 6 x N_active x T + 3 x attention forward FLOPs per token at seq_len x T + 3 x "
            "MTP forward FLOPs per token x T; device-hours = FLOPs / (peak x MFU) / 3600; $ = "
            "device-hours x $/device-hour");
        if (run && run->src.note)
            cJSON_AddStringToObject(o, "run_note", run->src.note);
        cli_print_json(c, o);
    } else {
        FILE *f = c->out;
        char b[32];
        fprintf(f, "training %s on %s: %.4g T tokens (%s), sequence %.0f\n", m->id, hw->id,
                tokens / 1e12, token_src, seq);
        print_flops(f, &fl);
        fprintf(f, "  MFU        %.2f%% of %s's %s peak %.4g TFLOP/s\n", 100 * est.mfu, hw->id,
                mtok_dtype_name(dtype), est.peak_flops / 1e12);
        fprintf(f, "             %s\n", mfu_src);
        fprintf(f, "  time       %.4g M device-hours\n", est.device_hours / 1e6);
        if (priced)
            fprintf(f, "  cost       %s at $%.4g per device-hour (%s)\n",
                    money(b, sizeof b, est.usd), hour.usd_per_hour, basis);
        else
            fprintf(f,
                    "  cost       - (%s has no $/hour tier or purchase price; give "
                    "--usd-per-gpu-hour)\n",
                    hw->id);
        fprintf(f, "calibration %s: %.4g M %s GPU-hours for %.4g T tokens\n", cal->id,
                cal->gpu_hours / 1e6, cal->hw, cal->tokens / 1e12);
        print_flops(f, &calib.flops);
        fprintf(f, "  implies    %.4g TFLOP/s per GPU = MFU %.2f%% (%s peak)\n",
                calib.achieved_flops_per_gpu / 1e12, 100 * calib.mfu, mtok_dtype_name(dtype));
        if (run && run->src.note && run != cal)
            fprintf(f, "note: %s\n", run->src.note);
    }
out:
    mtok_train_runs_free(&runs);
    mtok_diags_free(&d);
    mtok_sim_defaults_destroy(def);
    mtok_tco_defaults_free(&tco);
    return rc;
}
