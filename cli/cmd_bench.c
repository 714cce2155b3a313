/* mtok ceilings | mtok bench: measure this machine and record the run. Progress goes to stderr,
 * results to stdout. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"
#include "cli/cli.h"
#include "cli/sim_json.h"
#include "store/store.h"

/* The command line as one string, for run.args. */
static char *join_args(const char *cmd, int argc, char **argv)
{
    struct mtok_buf b = {0};
    mtok_buf_printf(&b, "mtok %s", cmd);
    for (int i = 0; i < argc; i++)
        mtok_buf_printf(&b, " %s", argv[i]);
    return mtok_buf_steal(&b);
}

static void progress_line(void *ctx, const char *what)
{
    struct cli *c = ctx;
    fprintf(c->err, "mtok ceilings: %s\n", what);
    fflush(c->err);
}

/* Start a run: open the store, describe machine and build, record the run as running. */
static int begin_run(struct cli *c, const char *kind, const char *suite, const char *args,
                     const struct mtok_machine *m, const struct mtok_build *b,
                     struct mtok_store **st, struct mtok_run **run)
{
    struct mtok_error err = {0};
    if (mtok_store_open(st, c->db_path, &err) != MTOK_OK)
        return cli_fail(c, "%s", err.msg);
    struct mtok_machine_row mr = mtok_machine_row(m);
    struct mtok_build_row br = mtok_build_row(b);
    struct mtok_run_info info = {kind, suite, args, &mr, &br};
    *run = mtok_run_create(&info);
    mtok_run_set_machine_detail(*run, m->detail);
    if (mtok_store_run_begin(*st, *run) != MTOK_OK) {
        int rc = cli_fail(c, "%s", mtok_store_errmsg(*st));
        mtok_run_destroy(*run);
        mtok_store_close(*st);
        *run = NULL, *st = NULL;
        return rc;
    }
    return CLI_OK;
}

/* ================================================================================================
 * mtok ceilings */

static cJSON *ceilings_json(const struct mtok_ceilings *cl, const struct mtok_machine *m,
                            const char *uuid, const char *host_json)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "run", uuid);
    cJSON_AddItemToObject(o, "machine", cJSON_Parse(m->detail));
    cJSON_AddStringToObject(o, "fingerprint", m->fingerprint);
    cJSON_AddNumberToObject(o, "threads_all", cl->threads_all);
    cJSON_AddStringToObject(o, "bandwidth_isa", cl->isa);
    cJSON_AddNumberToObject(o, "others_cpu", cl->others_busy);
    cJSON_AddNumberToObject(o, "steal_cpu", cl->steal);
    cJSON *peaks = cJSON_AddArrayToObject(o, "flops");
    for (size_t i = 0; i < cl->n_peaks; i++) {
        const struct mtok_ceiling_peak *p = &cl->peaks[i];
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "dtype", p->dtype);
        cJSON_AddStringToObject(e, "isa", p->isa);
        cJSON_AddNumberToObject(e, "threads", p->threads);
        cJSON_AddNumberToObject(e, "flops_s", p->flops_s);
        cJSON_AddItemToArray(peaks, e);
    }
    cJSON *pl = cJSON_AddArrayToObject(o, "plateaus");
    for (size_t i = 0; i < cl->n_plateaus; i++) {
        const struct mtok_ceiling_plateau *p = &cl->plateaus[i];
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "pattern", p->pattern);
        cJSON_AddNumberToObject(e, "threads", p->threads);
        cJSON_AddStringToObject(e, "level", p->level);
        cJSON_AddNumberToObject(e, "lo_bytes", p->lo_bytes);
        cJSON_AddNumberToObject(e, "hi_bytes", p->hi_bytes);
        cJSON_AddNumberToObject(e, "bytes_s", p->bytes_s);
        cJSON_AddItemToArray(pl, e);
    }
    cJSON *pts = cJSON_AddArrayToObject(o, "sweep");
    for (size_t i = 0; i < cl->n_points; i++) {
        const struct mtok_ceiling_point *p = &cl->points[i];
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "pattern", p->pattern);
        cJSON_AddNumberToObject(e, "threads", p->threads);
        cJSON_AddNumberToObject(e, "bytes", p->bytes);
        cJSON_AddNumberToObject(e, "bytes_s", p->bytes_s);
        if (p->plateau >= 0)
            cJSON_AddStringToObject(e, "level", cl->plateaus[p->plateau].level);
        else
            cJSON_AddNullToObject(e, "level");
        cJSON_AddItemToArray(pts, e);
    }
    cJSON *notes = cJSON_AddArrayToObject(o, "notes");
    for (size_t i = 0; i < cl->n_notes; i++)
        cJSON_AddItemToArray(notes, cJSON_CreateString(cl->notes[i]));
    cJSON_AddItemToObject(o, "host", host_json ? cJSON_Parse(host_json) : cJSON_CreateNull());
    return o;
}

static const char *gunit(char *buf, size_t n, double v, const char *unit)
{
    snprintf(buf, n, "%.4g %s", v / 1e9, unit);
    return buf;
}

static void ceilings_print(struct cli *c, const struct mtok_ceilings *cl,
                           const struct mtok_machine *m, const char *uuid)
{
    FILE *o = c->out;
    fprintf(o, "%s (%s), %d CPUs, L1d %.0f KiB, L2 %.0f KiB, L3 %.0f MiB, %.0f GiB RAM\n",
            m->cpu_model, m->vendor, m->n_cpus, m->l1d_bytes / 1024, m->l2_bytes / 1024,
            m->l3_bytes / 1048576, m->mem_bytes / 1073741824.0);
    fprintf(o, "ISA: %s\n\n", m->isa_names);
    const char *hdr[] = {"dtype", "isa", "1 thread", "all threads"};
    struct cli_table *t = cli_table_create(4, hdr);
    char b1[32], b2[32], tall[32];
    snprintf(tall, sizeof tall, "%d threads", cl->threads_all);
    for (size_t i = 0; i < cl->n_peaks; i++) {
        const struct mtok_ceiling_peak *p = &cl->peaks[i];
        if (p->threads != 1)
            continue;
        const char *unit = strcmp(p->dtype, "int8") == 0 ? "GOP/s" : "GFLOP/s";
        double all = 0;
        for (size_t k = 0; k < cl->n_peaks; k++)
            if (cl->peaks[k].threads == cl->threads_all &&
                strcmp(cl->peaks[k].dtype, p->dtype) == 0 && strcmp(cl->peaks[k].isa, p->isa) == 0)
                all = cl->peaks[k].flops_s;
        cli_table_row(t, p->dtype, p->isa, gunit(b1, sizeof b1, p->flops_s, unit),
                      all > 0 && cl->threads_all > 1 ? gunit(b2, sizeof b2, all, unit) : "-");
    }
    fprintf(o, "Peak arithmetic (all threads = %d)\n", cl->threads_all);
    cli_table_print(t, o);
    cli_table_destroy(t);

    const char *hdr2[] = {"pattern", "threads", "L1", "L2", "L3", "DRAM"};
    t = cli_table_create(6, hdr2);
    static const char *const patterns[] = {"read", "write", "copy", "triad"};
    static const char *const levels[] = {"L1", "L2", "L3", "DRAM"};
    for (int p = 0; p < 4; p++)
        for (int th = 0; th < 2; th++) {
            int threads = th ? cl->threads_all : 1;
            if (th && threads == 1)
                continue;
            char cells[4][32];
            bool any = false;
            for (int l = 0; l < 4; l++) {
                snprintf(cells[l], sizeof cells[l], "-");
                for (size_t k = 0; k < cl->n_plateaus; k++) {
                    const struct mtok_ceiling_plateau *q = &cl->plateaus[k];
                    if (q->threads == threads && strcmp(q->pattern, patterns[p]) == 0 &&
                        strcmp(q->level, levels[l]) == 0)
                        gunit(cells[l], sizeof cells[l], q->bytes_s, "GB/s"), any = true;
                }
            }
            char tn[16];
            snprintf(tn, sizeof tn, "%d", threads);
            if (any)
                cli_table_row(t, patterns[p], tn, cells[0], cells[1], cells[2], cells[3]);
        }
    fprintf(o, "\nBandwidth plateaus (%s loops, best of N, first sample excluded)\n", cl->isa);
    cli_table_print(t, o);
    cli_table_destroy(t);
    for (size_t i = 0; i < cl->n_notes; i++)
        fprintf(o, "note: %s\n", cl->notes[i]);
    fprintf(o, "\nrun %s recorded; `--hw host` now uses these ceilings\n", uuid);
}

int cli_ceilings(struct cli *c, int argc, char **argv)
{
    int quick = 0;
    long threads = 0, best_of = 0, max_mib = 0;
    struct cli_opt opts[] = {
        {"quick", OPT_FLAG, &quick, 0, 0, 0},
        {"threads", OPT_LONG, &threads, 1, 4096, 0},
        {"best-of", OPT_LONG, &best_of, 1, 100, 0},
        {"max-mib", OPT_LONG, &max_mib, 1, 1 << 24, 0},
    };
    char *pos[1];
    if (cli_parse(c, argc, argv, opts, sizeof opts / sizeof *opts, pos, 0) < 0)
        return CLI_ERROR;
    struct mtok_machine m;
    struct mtok_build b;
    mtok_machine_detect(&m);
    mtok_build_detect(&b, &m);
    char *args = join_args("ceilings", argc, argv);
    struct mtok_store *st = NULL;
    struct mtok_run *run = NULL;
    int rc = begin_run(c, "ceilings", NULL, args, &m, &b, &st, &run);
    free(args);
    if (rc != CLI_OK)
        return rc;

    struct mtok_ceilings_config cfg = {.quick = quick,
                                       .threads = (int)threads,
                                       .max_bytes = (double)max_mib * 1048576,
                                       .best_of = (int)best_of,
                                       .progress = progress_line,
                                       .progress_ctx = c};
    struct mtok_ceilings *cl = NULL;
    struct mtok_error err = {0};
    char *host = NULL;
    if (mtok_ceilings_measure(&m, &cfg, &cl, &err) != MTOK_OK) {
        mtok_store_run_fail(st, run);
        rc = cli_fail(c, "%s", err.msg);
        goto done;
    }
    cJSON *meta = cJSON_CreateObject();
    cJSON_AddBoolToObject(meta, "quick", quick);
    cJSON_AddNumberToObject(meta, "threads_all", cl->threads_all);
    cJSON_AddStringToObject(meta, "bandwidth_isa", cl->isa);
    cJSON_AddNumberToObject(meta, "best_of", best_of ? (double)best_of : quick ? 3 : 5);
    cJSON_AddNumberToObject(meta, "others_cpu", cl->others_busy);
    cJSON_AddNumberToObject(meta, "steal_cpu", cl->steal);
    char *ms = cJSON_PrintUnformatted(meta);
    cJSON_Delete(meta);
    mtok_run_set_meta(run, ms);
    cJSON_free(ms);
    mtok_ceilings_record(cl, &m, run);
    if (mtok_store_run_commit(st, run) != MTOK_OK) {
        rc = cli_fail(c, "%s", mtok_store_errmsg(st));
        goto done;
    }
    /* The host entry as the simulator will load it: from the stored rows. */
    struct mtok_ceiling_row *rows = NULL;
    size_t n = 0;
    struct mtok_run_summary sum;
    if (mtok_store_ceilings(st, mtok_run_id(run), &rows, &n) == MTOK_OK &&
        mtok_store_run_get(st, mtok_run_id(run), &sum) == MTOK_OK)
        host =
            mtok_host_json(rows, n, sum.cpu_model, sum.mem_bytes, sum.uuid, sum.started_at, &err);
    free(rows);
    if (!host) {
        rc = cli_fail(c, "ceilings recorded (run %s) but no host entry: %s", mtok_run_uuid(run),
                      err.msg);
        goto done;
    }
    if (c->json)
        cli_print_json(c, ceilings_json(cl, &m, mtok_run_uuid(run), host));
    else
        ceilings_print(c, cl, &m, mtok_run_uuid(run));
done:
    free(host);
    mtok_ceilings_destroy(cl);
    mtok_run_destroy(run);
    mtok_store_close(st);
    return rc;
}

/* ================================================================================================
 * mtok bench */

static void bench_progress(void *ctx, size_t i, size_t n, const char *name,
                           const struct mtok_bench_result *r)
{
    struct cli *c = ctx;
    if (!r)
        return;
    if (r->status == MTOK_OK)
        fprintf(c->err, "mtok bench: [%zu/%zu] %s: %.4g ns (MAD %.2g%%)\n", i + 1, n, name,
                r->median_ns, 100 * r->mad_ns / r->median_ns);
    else
        fprintf(c->err, "mtok bench: [%zu/%zu] %s: %s: %s\n", i + 1, n, name,
                r->status == MTOK_EUNSUPPORTED ? "skipped" : "FAILED", r->error);
    fflush(c->err);
}

static cJSON *num_or_null(double v)
{
    return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull();
}

/* What a bench result's prediction is, recomputed for output: pure roofline and calibrated. */
static void sol_of(struct mtok_predictor *pred, const struct mtok_bench_result *r, double *sol)
{
    *sol = NAN;
    if (!pred || r->status != MTOK_OK)
        return;
    struct mtok_prediction p;
    if (r->bc->model_json) {
        struct mtok_error err = {0};
        if (mtok_predictor_model(pred, r->bc->shape, r->bc->model_json, r->bc->model_ctx,
                                 r->bc->threads, &p, NULL, NULL, &err) == MTOK_OK)
            *sol = p.sol_ns;
        return;
    }
    mtok_predictor_op(pred, &r->op, r->bc->threads, &p);
    *sol = p.sol_ns;
}

static cJSON *bench_json(const struct mtok_bench_report *rep, struct mtok_predictor *pred)
{
    cJSON *a = cJSON_CreateArray();
    for (size_t i = 0; i < rep->n; i++) {
        const struct mtok_bench_result *r = &rep->results[i];
        const struct mtok_bench_case *bc = r->bc;
        bool ok = r->status == MTOK_OK;
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "name", r->name);
        cJSON_AddStringToObject(e, "kernel", bc->kernel);
        cJSON_AddStringToObject(e, "dtype", bc->dtype ? bc->dtype : "");
        cJSON_AddStringToObject(e, "shape", bc->shape ? bc->shape : "");
        cJSON_AddItemToObject(e, "variant",
                              bc->variant ? cJSON_CreateString(bc->variant) : cJSON_CreateNull());
        cJSON_AddNumberToObject(e, "threads", bc->threads);
        cJSON_AddItemToObject(e, "median_ns", num_or_null(ok ? r->median_ns : NAN));
        cJSON_AddItemToObject(e, "mad_ns", num_or_null(ok ? r->mad_ns : NAN));
        cJSON_AddItemToObject(e, "gflops", num_or_null(ok && r->op.flops > 0 ? r->gflops : NAN));
        cJSON_AddItemToObject(e, "gbytes_s",
                              num_or_null(ok && mtok_op_bytes(&r->op) > 0 ? r->gbytes_s : NAN));
        cJSON_AddItemToObject(e, "predicted_ns", num_or_null(r->predicted_ns));
        cJSON_AddItemToObject(e, "provenance",
                              r->provenance && !isnan(r->predicted_ns)
                                  ? cJSON_CreateString(r->provenance)
                                  : cJSON_CreateNull());
        double sol;
        sol_of(pred, r, &sol);
        cJSON_AddItemToObject(e, "predicted_sol_ns", num_or_null(sol));
        cJSON_AddItemToObject(e, "min_ns", num_or_null(ok ? r->min_ns : NAN));
        cJSON_AddItemToObject(e, "ci_lo_ns", num_or_null(ok ? r->ci_lo_ns : NAN));
        cJSON_AddItemToObject(e, "ci_hi_ns", num_or_null(ok ? r->ci_hi_ns : NAN));
        cJSON_AddNumberToObject(e, "n_samples", (double)r->n_samples);
        cJSON_AddNumberToObject(e, "iters", (double)r->iters);
        cJSON_AddStringToObject(e, "pinned", r->pinned);
        cJSON_AddNumberToObject(e, "flops", r->op.flops);
        cJSON_AddNumberToObject(e, "bytes", mtok_op_bytes(&r->op));
        cJSON_AddStringToObject(e, "status",
                                ok                               ? "ok"
                                : r->status == MTOK_EUNSUPPORTED ? "skipped"
                                                                 : "failed");
        if (!ok)
            cJSON_AddStringToObject(e, "error", r->error);
        if (r->n_parts) {
            cJSON *parts = cJSON_AddArrayToObject(e, "parts");
            for (size_t k = 0; k < r->n_parts; k++) {
                const struct mtok_bench_part *p = &r->parts[k];
                cJSON *x = cJSON_CreateObject();
                cJSON_AddStringToObject(x, "op", p->name);
                cJSON_AddStringToObject(x, "kind", mtok_op_kind_name(p->op.kind));
                cJSON_AddNumberToObject(x, "calls", p->calls);
                cJSON_AddNumberToObject(x, "ns", p->ns);
                cJSON_AddItemToObject(x, "predicted_ns", num_or_null(p->predicted_ns));
                cJSON_AddItemToObject(x, "provenance",
                                      p->provenance ? cJSON_CreateString(p->provenance)
                                                    : cJSON_CreateNull());
                cJSON_AddItemToArray(parts, x);
            }
        }
        cJSON_AddItemToArray(a, e);
    }
    return a;
}

static const char *fmt_time(char *buf, size_t n, double ns)
{
    if (!isfinite(ns))
        snprintf(buf, n, "-");
    else if (ns >= 1e9)
        snprintf(buf, n, "%.3g s", ns / 1e9);
    else if (ns >= 1e6)
        snprintf(buf, n, "%.3g ms", ns / 1e6);
    else if (ns >= 1e3)
        snprintf(buf, n, "%.3g us", ns / 1e3);
    else
        snprintf(buf, n, "%.3g ns", ns);
    return buf;
}

static const char *fmt_err(char *buf, size_t n, double pred, double meas)
{
    if (!isfinite(pred) || !(meas > 0))
        snprintf(buf, n, "-");
    else
        snprintf(buf, n, "%+.1f%%", 100 * (pred / meas - 1));
    return buf;
}

static void bench_print(struct cli *c, const struct mtok_bench_report *rep,
                        struct mtok_predictor *pred, const char *uuid)
{
    const char *hdr[] = {"benchmark", "median",    "MAD",   "GFLOP/s",    "GB/s",
                         "SOL",       "predicted", "error", "provenance", "n"};
    struct cli_table *t = cli_table_create(10, hdr);
    for (size_t i = 0; i < rep->n; i++) {
        const struct mtok_bench_result *r = &rep->results[i];
        if (r->status != MTOK_OK) {
            cli_table_row(t, r->name, r->status == MTOK_EUNSUPPORTED ? "skipped" : "FAILED", "", "",
                          "", "", "", "", "", r->error);
            continue;
        }
        char med[32], mad[32], gf[32], gb[32], n[16], sol[32], pr[32], er[32];
        double s;
        sol_of(pred, r, &s);
        snprintf(mad, sizeof mad, "%.2g%%", 100 * r->mad_ns / r->median_ns);
        snprintf(n, sizeof n, "%zu", r->n_samples);
        cli_table_row(t, r->name, fmt_time(med, sizeof med, r->median_ns), mad,
                      cli_num(gf, sizeof gf, r->gflops, 1), cli_num(gb, sizeof gb, r->gbytes_s, 2),
                      fmt_time(sol, sizeof sol, s), fmt_time(pr, sizeof pr, r->predicted_ns),
                      fmt_err(er, sizeof er, r->predicted_ns, r->median_ns),
                      r->provenance ? r->provenance : "-", n);
    }
    cli_table_print(t, c->out);
    cli_table_destroy(t);
    fprintf(c->out, "\nrun %s recorded\n", uuid);
}

/* ---- the engine's decode step against the simulator ---- */

/* The engine results of a stored run, with their per-op rows, next to the simulator's prediction
 * for the same model (the case's config) on the measured host. */
static cJSON *engine_report(struct cli *c, struct mtok_store *st, int64_t run_id,
                            const struct mtok_bench_suite *suite, struct mtok_predictor *pred,
                            bool print)
{
    struct mtok_stored_result *res = NULL;
    size_t n = 0;
    cJSON *arr = cJSON_CreateArray();
    if (mtok_store_results(st, run_id, &res, &n) != MTOK_OK)
        return arr;
    for (size_t i = 0; i < n; i++) {
        const struct mtok_stored_result *r = &res[i];
        if (!r->kernel || strcmp(r->kernel, "engine_decode") != 0 || !(r->median_ns > 0))
            continue;
        const struct mtok_bench_case *bc = NULL;
        char name[256];
        for (size_t k = 0; suite && k < mtok_bench_suite_count(suite) && !bc; k++) {
            mtok_bench_case_name(mtok_bench_suite_at(suite, k), name, sizeof name);
            if (strcmp(name, r->name) == 0)
                bc = mtok_bench_suite_at(suite, k);
        }
        double meas_kind[MTOK_OP_KIND_COUNT] = {0}, cal_kind[MTOK_OP_KIND_COUNT] = {0},
               sol_kind[MTOK_OP_KIND_COUNT] = {0};
        struct mtok_prediction p = {NAN, NAN, MTOK_PROV_SOL, MTOK_BOUND_MEMORY};
        struct mtok_error err = {0};
        bool have_pred = bc && bc->model_json && pred &&
                         mtok_predictor_model(pred, bc->shape, bc->model_json, bc->model_ctx,
                                              bc->threads, &p, cal_kind, sol_kind, &err) == MTOK_OK;
        /* the parts: shape "<engine shape>:<kind>:<op>" */
        size_t sl = strlen(r->shape ? r->shape : "");
        double ops_ns = 0;
        cJSON *e = cJSON_CreateObject();
        cJSON_AddStringToObject(e, "name", r->name);
        cJSON_AddNumberToObject(e, "threads", r->threads);
        cJSON_AddNumberToObject(e, "median_ns", r->median_ns);
        cJSON_AddNumberToObject(e, "tok_s", 1e9 / r->median_ns);
        cJSON_AddItemToObject(e, "predicted_sol_ns", num_or_null(have_pred ? p.sol_ns : NAN));
        cJSON_AddItemToObject(e, "predicted_ns", num_or_null(have_pred ? p.ns : NAN));
        cJSON_AddItemToObject(e, "provenance",
                              have_pred ? cJSON_CreateString(mtok_prov_name(p.prov))
                                        : cJSON_CreateNull());
        cJSON *ops = cJSON_AddArrayToObject(e, "ops");
        const char *hdr[] = {"op", "kind", "measured", "share", "predicted", "error", "provenance"};
        struct cli_table *t = cli_table_create(7, hdr);
        for (size_t k = 0; k < n; k++) {
            const struct mtok_stored_result *q = &res[k];
            if (!q->kernel || strcmp(q->kernel, "engine_decode_op") != 0 || !q->shape ||
                q->threads != r->threads || strncmp(q->shape, r->shape, sl) != 0 ||
                q->shape[sl] != ':')
                continue;
            const char *kind = q->shape + sl + 1, *colon = strchr(kind, ':');
            if (!colon)
                continue;
            char kname[32];
            snprintf(kname, sizeof kname, "%.*s", (int)(colon - kind), kind);
            enum mtok_op_kind ok;
            if (mtok_op_kind_parse(kname, &ok) == MTOK_OK)
                meas_kind[ok] += q->median_ns;
            ops_ns += q->median_ns;
            cJSON *x = cJSON_CreateObject();
            cJSON_AddStringToObject(x, "op", colon + 1);
            cJSON_AddStringToObject(x, "kind", kname);
            cJSON_AddNumberToObject(x, "ns", q->median_ns);
            double pr = q->predicted_ns > 0 ? q->predicted_ns : NAN;
            cJSON_AddItemToObject(x, "predicted_ns", num_or_null(pr));
            cJSON_AddItemToArray(ops, x);
            char a2[32], a3[32], a4[32], a5[32];
            snprintf(a3, sizeof a3, "%.1f%%", 100 * q->median_ns / r->median_ns);
            cli_table_row(t, colon + 1, kname, fmt_time(a2, sizeof a2, q->median_ns), a3,
                          fmt_time(a4, sizeof a4, pr), fmt_err(a5, sizeof a5, pr, q->median_ns),
                          q->provenance ? q->provenance : "-");
        }
        cJSON *kinds = cJSON_AddArrayToObject(e, "by_kind");
        const char *hk[] = {"op kind", "measured", "share", "SOL", "calibrated", "error"};
        struct cli_table *tk = cli_table_create(6, hk);
        for (int k = 0; k < MTOK_OP_KIND_COUNT; k++) {
            if (!(meas_kind[k] > 0) && !(cal_kind[k] > 0))
                continue;
            cJSON *x = cJSON_CreateObject();
            cJSON_AddStringToObject(x, "kind", mtok_op_kind_name((enum mtok_op_kind)k));
            cJSON_AddNumberToObject(x, "measured_ns", meas_kind[k]);
            cJSON_AddItemToObject(x, "predicted_sol_ns",
                                  num_or_null(have_pred ? sol_kind[k] : NAN));
            cJSON_AddItemToObject(x, "predicted_ns", num_or_null(have_pred ? cal_kind[k] : NAN));
            cJSON_AddItemToArray(kinds, x);
            char a1[32], a2[32], a3[32], a4[32], a5[32];
            snprintf(a2, sizeof a2, "%.1f%%", 100 * meas_kind[k] / r->median_ns);
            cli_table_row(tk, mtok_op_kind_name((enum mtok_op_kind)k),
                          fmt_time(a1, sizeof a1, meas_kind[k]), a2,
                          fmt_time(a3, sizeof a3, have_pred ? sol_kind[k] : NAN),
                          fmt_time(a4, sizeof a4, have_pred ? cal_kind[k] : NAN),
                          fmt_err(a5, sizeof a5, have_pred ? cal_kind[k] : NAN, meas_kind[k]));
        }
        {
            char a1[32], a2[32], a3[32], a4[32], a5[32];
            snprintf(a2, sizeof a2, "%.1f%%", 100 * ops_ns / r->median_ns);
            cli_table_row(tk, "ops (sum)", fmt_time(a1, sizeof a1, ops_ns), a2, "", "", "");
            cli_table_row(tk, "decode step", fmt_time(a3, sizeof a3, r->median_ns), "100%",
                          fmt_time(a4, sizeof a4, have_pred ? p.sol_ns : NAN),
                          fmt_time(a5, sizeof a5, have_pred ? p.ns : NAN),
                          fmt_err(a1, sizeof a1, have_pred ? p.ns : NAN, r->median_ns));
        }
        if (print) {
            FILE *o = c->out;
            fprintf(o,
                    "\nengine decode %s (%d thread%s): measured %.2f tok/s (%.3g ms per token)\n",
                    r->shape, r->threads, r->threads > 1 ? "s" : "", 1e9 / r->median_ns,
                    r->median_ns / 1e6);
            if (have_pred)
                fprintf(o,
                        "simulator, the same config on host at %d thread%s (mtok sim --model "
                        "CONFIG --hw host): SOL %.2f tok/s (%.3g ms), calibrated %.2f tok/s "
                        "(%.3g ms, provenance %s); calibration from bench run %.8s\n",
                        r->threads, r->threads > 1 ? "s" : "", 1e9 / p.sol_ns, p.sol_ns / 1e6,
                        1e9 / p.ns, p.ns / 1e6, mtok_prov_name(p.prov),
                        mtok_predictor_calib_run(pred)[0] ? mtok_predictor_calib_run(pred)
                                                          : "(none)");
            else
                fprintf(o, "simulator: no prediction (%s)\n",
                        err.msg[0] ? err.msg : "no host entry or suite case");
            fprintf(o, "by op kind (measured: the engine's ops timed one by one; simulator: the "
                       "model's decode step op by op)\n");
            cli_table_print(tk, o);
            fprintf(o, "per op (predicted: the simulator's time for the same op, calibration of "
                       "the run before)\n");
            cli_table_print(t, o);
        }
        cli_table_destroy(t);
        cli_table_destroy(tk);
        cJSON_AddItemToArray(arr, e);
    }
    mtok_store_results_free(res, n);
    return arr;
}

/* ---- mtok bench --accuracy ---- */

static int bench_accuracy(struct cli *c, const char *suite_name, const struct mtok_machine *m,
                          const struct mtok_bench_load_opts *lo)
{
    struct mtok_catalog *cat = cli_catalog(c);
    struct mtok_sim_defaults *def = cat ? cli_sim_defaults_base(c) : NULL;
    if (!def)
        return CLI_ERROR;
    struct mtok_error err = {0};
    struct mtok_store *st = NULL;
    int rc = CLI_OK;
    struct mtok_accuracy *a = NULL;
    struct mtok_predictor *pred = NULL;
    struct mtok_bench_suite *suite = NULL;
    struct mtok_diags d = {0};
    if (mtok_store_open(&st, c->db_path, &err) != MTOK_OK) {
        rc = cli_fail(c, "%s", err.msg);
        goto out;
    }
    if (mtok_accuracy_compute(st, m->fingerprint, suite_name, def->calib, &a, &err) != MTOK_OK) {
        rc = cli_fail(c, "%s", err.msg);
        goto out;
    }
    mtok_predictor_create(&pred, st, cat, def, m->fingerprint, &err);
    mtok_bench_suite_load(&suite, suite_name, m, lo, &d);
    struct mtok_run_summary run;
    int64_t run_id = 0;
    if (mtok_store_run_find_uuid(st, a->run, &run_id) == MTOK_OK)
        mtok_store_run_get(st, run_id, &run);
    if (c->json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "suite", a->suite);
        cJSON_AddStringToObject(o, "run", a->run);
        cJSON_AddStringToObject(o, "started_at", a->started_at);
        cJSON_AddStringToObject(o, "base_run", a->base_run);
        cJSON *rows = cJSON_AddArrayToObject(o, "rows");
        for (size_t i = 0; i < a->n; i++) {
            const struct mtok_accuracy_row *r = &a->rows[i];
            cJSON *x = cJSON_CreateObject();
            cJSON_AddStringToObject(x, "name", r->name);
            cJSON_AddStringToObject(x, "op_kind", r->kind);
            cJSON_AddStringToObject(x, "dtype", r->dtype);
            cJSON_AddStringToObject(x, "bound", r->bound);
            cJSON_AddNumberToObject(x, "threads", r->threads);
            cJSON_AddNumberToObject(x, "measured_ns", r->measured_ns);
            cJSON_AddItemToObject(x, "sol_ns", num_or_null(r->sol_ns));
            cJSON_AddItemToObject(x, "in_sample_ns", num_or_null(r->in_ns));
            cJSON_AddItemToObject(x, "leave_one_out_ns", num_or_null(r->loo_ns));
            cJSON_AddStringToObject(x, "leave_one_out_provenance", mtok_prov_name(r->loo_prov));
            cJSON_AddItemToObject(x, "cross_run_ns", num_or_null(r->cross_ns));
            cJSON_AddItemToArray(rows, x);
        }
        const struct {
            const char *key;
            const struct mtok_accuracy_stats *s;
        } st4[] = {{"sol", &a->sol},
                   {"in_sample", &a->in},
                   {"leave_one_out", &a->loo},
                   {"cross_run", &a->cross}};
        cJSON *sum = cJSON_AddObjectToObject(o, "abs_error");
        for (int k = 0; k < 4; k++) {
            cJSON *x = cJSON_AddObjectToObject(sum, st4[k].key);
            cJSON_AddNumberToObject(x, "n", (double)st4[k].s->n);
            cJSON_AddItemToObject(x, "median", num_or_null(st4[k].s->median));
            cJSON_AddItemToObject(x, "worst", num_or_null(st4[k].s->worst));
        }
        cJSON_AddItemToObject(o, "engine",
                              run_id ? engine_report(c, st, run_id, suite, pred, false)
                                     : cJSON_CreateArray());
        cli_print_json(c, o);
        goto out;
    }
    FILE *o = c->out;
    fprintf(o,
            "Simulator prediction vs measurement, suite %s, run %.8s (%s)%s%.8s%s\n"
            "SOL: pure roofline on the measured host. in-sample: calibrated on this run with the "
            "point itself. leave-one-out: calibrated on this run without the point (held out). "
            "cross-run: calibrated on the run before (held out in time).\n\n",
            a->suite, a->run, a->started_at, a->base_run[0] ? "; previous run " : "", a->base_run,
            a->base_run[0] ? "" : "; no previous run (no cross-run column)");
    const char *hdr[] = {"benchmark", "key",           "measured", "SOL",       "err", "in-sample",
                         "err",       "leave-one-out", "err",      "cross-run", "err"};
    struct cli_table *t = cli_table_create(11, hdr);
    for (size_t i = 0; i < a->n; i++) {
        const struct mtok_accuracy_row *r = &a->rows[i];
        char key[64], m1[32], s1[32], e1[32], i1[32], e2[32], l1[32], e3[32], c1[32], e4[32];
        snprintf(key, sizeof key, "%s/%s/%s", r->kind, r->dtype, r->bound);
        cli_table_row(
            t, r->name, key, fmt_time(m1, sizeof m1, r->measured_ns),
            fmt_time(s1, sizeof s1, r->sol_ns), fmt_err(e1, sizeof e1, r->sol_ns, r->measured_ns),
            fmt_time(i1, sizeof i1, r->in_ns), fmt_err(e2, sizeof e2, r->in_ns, r->measured_ns),
            fmt_time(l1, sizeof l1, r->loo_ns), fmt_err(e3, sizeof e3, r->loo_ns, r->measured_ns),
            fmt_time(c1, sizeof c1, r->cross_ns),
            fmt_err(e4, sizeof e4, r->cross_ns, r->measured_ns));
    }
    cli_table_print(t, o);
    cli_table_destroy(t);
    fprintf(o, "\n|error|        median    worst     n\n");
    const struct {
        const char *name;
        const struct mtok_accuracy_stats *s;
    } rows[] = {{"SOL", &a->sol},
                {"in-sample", &a->in},
                {"leave-one-out", &a->loo},
                {"cross-run", &a->cross}};
    for (int k = 0; k < 4; k++)
        if (rows[k].s->n)
            fprintf(o, "%-15s %6.1f%%  %6.1f%%  %3zu\n", rows[k].name, 100 * rows[k].s->median,
                    100 * rows[k].s->worst, rows[k].s->n);
    if (run_id) {
        cJSON *j = engine_report(c, st, run_id, suite, pred, true);
        cJSON_Delete(j);
    }
out:
    mtok_diags_free(&d);
    mtok_bench_suite_destroy(suite);
    mtok_predictor_destroy(pred);
    mtok_accuracy_destroy(a);
    mtok_store_close(st);
    mtok_sim_defaults_destroy(def);
    return rc;
}

int cli_bench(struct cli *c, int argc, char **argv)
{
    const char *suite_name = "default", *filter = NULL;
    long reps = 10, threads = 0, rotate_mib = 0;
    double min_time = 0.02;
    int quick = 0, list = 0, no_pin = 0, no_counters = 0, accuracy = 0;
    struct cli_opt opts[] = {
        {"suite", OPT_STR, &suite_name, 0, 0, 0},
        {"filter", OPT_STR, &filter, 0, 0, 0},
        {"reps", OPT_LONG, &reps, 10, 100000, 0},
        {"min-time", OPT_DOUBLE, &min_time, 0, 0, 0},
        {"quick", OPT_FLAG, &quick, 0, 0, 0},
        {"list", OPT_FLAG, &list, 0, 0, 0},
        {"no-pin", OPT_FLAG, &no_pin, 0, 0, 0},
        {"no-counters", OPT_FLAG, &no_counters, 0, 0, 0},
        {"threads", OPT_LONG, &threads, 1, 4096, 0},
        {"rotate-mib", OPT_LONG, &rotate_mib, 1, 1 << 20, 0},
        {"accuracy", OPT_FLAG, &accuracy, 0, 0, 0},
    };
    char *pos[1];
    if (cli_parse(c, argc, argv, opts, sizeof opts / sizeof *opts, pos, 0) < 0)
        return CLI_ERROR;
    if (!(min_time > 0 && min_time <= 60))
        return cli_fail(c, "--min-time %g: give seconds in (0, 60]", min_time);
    struct mtok_machine m;
    struct mtok_build b;
    mtok_machine_detect(&m);
    mtok_build_detect(&b, &m);
    struct mtok_error err = {0};
    struct mtok_bench_load_opts lo = {.data_dir = c->data_dir,
                                      .threads = (int)threads,
                                      .rotate_bytes = (double)rotate_mib * 1048576};
    if (accuracy)
        return bench_accuracy(c, suite_name, &m, &lo);
    struct mtok_catalog *cat = cli_catalog(c);
    struct mtok_sim_defaults *def = cat ? cli_sim_defaults_base(c) : NULL;
    if (!def)
        return CLI_ERROR;
    lo.cat = cat, lo.sim = def;
    struct mtok_bench_suite *suite = NULL;
    struct mtok_diags d = {0};
    enum mtok_status ls = strcmp(suite_name, "host") == 0
                              ? mtok_bench_suite_builtin(&suite, "host", &m, quick, &err)
                              : mtok_bench_suite_load(&suite, suite_name, &m, &lo, &d);
    if (ls != MTOK_OK) {
        int rc = d.n ? cli_fail_diags(c, &d) : cli_fail(c, "%s", err.msg);
        mtok_diags_free(&d);
        mtok_sim_defaults_destroy(def);
        return rc;
    }
    mtok_diags_free(&d);
    if (list) {
        char name[256];
        for (size_t i = 0; i < mtok_bench_suite_count(suite); i++) {
            mtok_bench_case_name(mtok_bench_suite_at(suite, i), name, sizeof name);
            fprintf(c->out, "%s\n", name);
        }
        mtok_bench_suite_destroy(suite);
        mtok_sim_defaults_destroy(def);
        return CLI_OK;
    }
    struct mtok_bench_config cfg;
    mtok_bench_config_default(&cfg);
    cfg.reps = (int)reps;
    cfg.min_sample_s = quick && !opts[3].seen ? 0.002 : min_time;
    cfg.warmup_s = quick ? 0.01 : cfg.warmup_s;
    cfg.pin = !no_pin;
    cfg.counters = !no_counters;
    cfg.filter = filter;
    cfg.progress = bench_progress;
    cfg.progress_ctx = c;

    char *args = join_args("bench", argc, argv);
    struct mtok_store *st = NULL;
    struct mtok_run *run = NULL;
    int rc = begin_run(c, "bench", mtok_bench_suite_name(suite), args, &m, &b, &st, &run);
    free(args);
    if (rc != CLI_OK) {
        mtok_bench_suite_destroy(suite);
        mtok_sim_defaults_destroy(def);
        return rc;
    }
    /* the simulator on this machine's host entry, calibrated by the latest bench run */
    struct mtok_predictor *pred = NULL;
    if (mtok_predictor_create(&pred, st, cat, def, m.fingerprint, &err) == MTOK_OK) {
        cfg.predict = mtok_predictor_bench;
        cfg.predict_ctx = pred;
    } else {
        fprintf(c->err, "mtok bench: no predictions: %s\n", err.msg);
    }
    struct mtok_bench_report *rep = NULL;
    struct mtok_load load;
    double others = 0, steal = 0;
    mtok_load_begin(&load);
    enum mtok_status bs = mtok_bench_run(suite, &cfg, &rep, &err);
    mtok_load_end(&load, &others, &steal);
    if (bs != MTOK_OK) {
        mtok_store_run_fail(st, run);
        rc = cli_fail(c, "%s", err.msg);
        goto done;
    }
    if (rep->n == 0) {
        mtok_store_run_fail(st, run);
        rc = cli_fail(c, "no benchmark of suite \"%s\" matches --filter \"%s\"", suite_name,
                      filter ? filter : "");
        goto done;
    }
    cJSON *meta = cJSON_CreateObject();
    cJSON_AddNumberToObject(meta, "reps", cfg.reps);
    cJSON_AddNumberToObject(meta, "min_sample_s", cfg.min_sample_s);
    cJSON_AddNumberToObject(meta, "warmup_s", cfg.warmup_s);
    cJSON_AddBoolToObject(meta, "quick", quick);
    cJSON_AddBoolToObject(meta, "pin", cfg.pin);
    cJSON_AddNumberToObject(meta, "others_cpu", others);
    cJSON_AddNumberToObject(meta, "steal_cpu", steal);
    if (pred)
        cJSON_AddStringToObject(meta, "calibrated_by", mtok_predictor_calib_run(pred));
    if (filter)
        cJSON_AddStringToObject(meta, "filter", filter);
    if (threads)
        cJSON_AddNumberToObject(meta, "threads", (double)threads);
    cJSON *pinned = cJSON_AddObjectToObject(meta, "pinned");
    int failed = 0;
    for (size_t i = 0; i < rep->n; i++) {
        if (rep->results[i].pinned[0])
            cJSON_AddStringToObject(pinned, rep->results[i].name, rep->results[i].pinned);
        failed += rep->results[i].status != MTOK_OK && rep->results[i].status != MTOK_EUNSUPPORTED;
    }
    char *ms = cJSON_PrintUnformatted(meta);
    cJSON_Delete(meta);
    mtok_run_set_meta(run, ms);
    cJSON_free(ms);
    mtok_bench_report_record(rep, run);
    if (pred)
        mtok_predictor_record(pred, rep, run);
    if (mtok_store_run_commit(st, run) != MTOK_OK) {
        rc = cli_fail(c, "%s", mtok_store_errmsg(st));
        goto done;
    }
    if (c->json) {
        cli_print_json(c, bench_json(rep, pred));
    } else {
        bench_print(c, rep, pred, mtok_run_uuid(run));
        cJSON_Delete(engine_report(c, st, mtok_run_id(run), suite, pred, true));
    }
    if (others > 0.1 || steal > 0.05)
        fprintf(c->err,
                "mtok bench: note: the machine was busy (other processes %.0f%%, "
                "hypervisor steal %.0f%% of the CPUs): compare with care\n",
                100 * others, 100 * steal);
    if (failed)
        rc = cli_fail(c, "%d benchmark%s failed (recorded in run %s)", failed,
                      failed > 1 ? "s" : "", mtok_run_uuid(run));
done:
    mtok_bench_report_destroy(rep);
    mtok_predictor_destroy(pred);
    mtok_bench_suite_destroy(suite);
    mtok_run_destroy(run);
    mtok_store_close(st);
    mtok_sim_defaults_destroy(def);
    return rc;
}

/* ================================================================================================
 * Measurements for other commands (mtok report): the quick ceilings and a kernel suite, each
 * recorded as a run of its own in an open store. */

struct measure_progress {
    void (*fn)(void *arg, const char *phase, size_t done, size_t total);
    void *arg;
    size_t done;
};

static void measure_ceil_line(void *ctx, const char *what)
{
    struct measure_progress *p = ctx;
    (void)what;
    p->done++;
    if (p->fn)
        p->fn(p->arg, "ceilings", p->done, 0);
}

static void measure_bench_line(void *ctx, size_t i, size_t n, const char *name,
                               const struct mtok_bench_result *r)
{
    struct measure_progress *p = ctx;
    (void)name;
    if (r && p->fn)
        p->fn(p->arg, "bench", i + 1, n);
}

/* Record a begun run's failure or commit it. */
static enum mtok_status finish_run(struct mtok_store *st, struct mtok_run *run, bool ok,
                                   struct mtok_error *err)
{
    if (!ok) {
        mtok_store_run_fail(st, run);
        return err->code ? err->code : MTOK_EINTERNAL;
    }
    if (mtok_store_run_commit(st, run) != MTOK_OK)
        return mtok_error_set(err, MTOK_EDB, "%s", mtok_store_errmsg(st));
    return MTOK_OK;
}

static struct mtok_run *start_run(struct mtok_store *st, const char *kind, const char *suite,
                                  const char *args, const struct mtok_machine *m,
                                  const struct mtok_build *b, struct mtok_error *err)
{
    struct mtok_machine_row mr = mtok_machine_row(m);
    struct mtok_build_row br = mtok_build_row(b);
    struct mtok_run_info info = {kind, suite, args, &mr, &br};
    struct mtok_run *run = mtok_run_create(&info);
    mtok_run_set_machine_detail(run, m->detail);
    if (mtok_store_run_begin(st, run) != MTOK_OK) {
        mtok_error_set(err, MTOK_EDB, "%s", mtok_store_errmsg(st));
        mtok_run_destroy(run);
        return NULL;
    }
    return run;
}

enum mtok_status cli_measure_ceilings(struct cli *c, struct mtok_store *st,
                                      void (*progress)(void *, const char *, size_t, size_t),
                                      void *arg, char uuid[33], struct mtok_error *err)
{
    (void)c;
    struct mtok_machine m;
    struct mtok_build b;
    mtok_machine_detect(&m);
    mtok_build_detect(&b, &m);
    struct mtok_run *run =
        start_run(st, "ceilings", NULL, "mtok report (quick ceilings)", &m, &b, err);
    if (!run)
        return MTOK_EDB;
    struct measure_progress mp = {progress, arg, 0};
    struct mtok_ceilings_config cfg = {
        .quick = true, .progress = measure_ceil_line, .progress_ctx = &mp};
    struct mtok_ceilings *cl = NULL;
    bool ok = mtok_ceilings_measure(&m, &cfg, &cl, err) == MTOK_OK;
    if (ok) {
        cJSON *meta = cJSON_CreateObject();
        cJSON_AddBoolToObject(meta, "quick", true);
        cJSON_AddNumberToObject(meta, "threads_all", cl->threads_all);
        cJSON_AddNumberToObject(meta, "others_cpu", cl->others_busy);
        cJSON_AddNumberToObject(meta, "steal_cpu", cl->steal);
        char *ms = cJSON_PrintUnformatted(meta);
        cJSON_Delete(meta);
        mtok_run_set_meta(run, ms);
        cJSON_free(ms);
        mtok_ceilings_record(cl, &m, run);
    }
    enum mtok_status s = finish_run(st, run, ok, err);
    if (s == MTOK_OK && uuid)
        mtok_strlcpy(uuid, mtok_run_uuid(run), 33);
    mtok_ceilings_destroy(cl);
    mtok_run_destroy(run);
    return s;
}

enum mtok_status cli_measure_bench(struct cli *c, struct mtok_store *st, const char *suite_name,
                                   const struct mtok_catalog *cat,
                                   const struct mtok_sim_defaults *def,
                                   void (*progress)(void *, const char *, size_t, size_t),
                                   void *arg, char uuid[33], struct mtok_error *err)
{
    struct mtok_machine m;
    struct mtok_build b;
    mtok_machine_detect(&m);
    mtok_build_detect(&b, &m);
    struct mtok_bench_load_opts lo = {.data_dir = c->data_dir, .cat = cat, .sim = def};
    struct mtok_bench_suite *suite = NULL;
    struct mtok_diags d = {0};
    if (mtok_bench_suite_load(&suite, suite_name, &m, &lo, &d) != MTOK_OK) {
        enum mtok_status s =
            mtok_error_set(err, MTOK_EINVAL, "%s", d.n ? d.lines[0] : "cannot load the suite");
        mtok_diags_free(&d);
        return s;
    }
    mtok_diags_free(&d);
    char args[160];
    snprintf(args, sizeof args, "mtok report (bench --suite %s --quick)", suite_name);
    struct mtok_run *run = start_run(st, "bench", mtok_bench_suite_name(suite), args, &m, &b, err);
    if (!run) {
        mtok_bench_suite_destroy(suite);
        return MTOK_EDB;
    }
    struct mtok_predictor *pred = NULL;
    struct mtok_error perr = {0};
    struct measure_progress mp = {progress, arg, 0};
    struct mtok_bench_config cfg;
    mtok_bench_config_default(&cfg);
    cfg.min_sample_s = 0.002, cfg.warmup_s = 0.01;
    cfg.progress = measure_bench_line, cfg.progress_ctx = &mp;
    if (mtok_predictor_create(&pred, st, cat, def, m.fingerprint, &perr) == MTOK_OK)
        cfg.predict = mtok_predictor_bench, cfg.predict_ctx = pred;
    struct mtok_bench_report *rep = NULL;
    struct mtok_load load;
    double others = 0, steal = 0;
    mtok_load_begin(&load);
    bool ok = mtok_bench_run(suite, &cfg, &rep, err) == MTOK_OK;
    mtok_load_end(&load, &others, &steal);
    if (ok) {
        cJSON *meta = cJSON_CreateObject();
        cJSON_AddBoolToObject(meta, "quick", true);
        cJSON_AddNumberToObject(meta, "reps", cfg.reps);
        cJSON_AddNumberToObject(meta, "min_sample_s", cfg.min_sample_s);
        cJSON_AddNumberToObject(meta, "others_cpu", others);
        cJSON_AddNumberToObject(meta, "steal_cpu", steal);
        if (pred)
            cJSON_AddStringToObject(meta, "calibrated_by", mtok_predictor_calib_run(pred));
        char *ms = cJSON_PrintUnformatted(meta);
        cJSON_Delete(meta);
        mtok_run_set_meta(run, ms);
        cJSON_free(ms);
        mtok_bench_report_record(rep, run);
        if (pred)
            mtok_predictor_record(pred, rep, run);
    }
    enum mtok_status s = finish_run(st, run, ok, err);
    if (s == MTOK_OK && uuid)
        mtok_strlcpy(uuid, mtok_run_uuid(run), 33);
    mtok_bench_report_destroy(rep);
    mtok_predictor_destroy(pred);
    mtok_bench_suite_destroy(suite);
    mtok_run_destroy(run);
    return s;
}
