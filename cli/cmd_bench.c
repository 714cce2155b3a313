/* mtok ceilings | mtok bench: measure this machine and record the run. Progress goes to stderr,
 * results to stdout. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"
#include "cli/cli.h"
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

static cJSON *bench_json(const struct mtok_bench_report *rep)
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
        cJSON_AddItemToObject(e, "gflops", num_or_null(ok && bc->op.flops > 0 ? r->gflops : NAN));
        cJSON_AddItemToObject(e, "gbytes_s",
                              num_or_null(ok && mtok_op_bytes(&bc->op) > 0 ? r->gbytes_s : NAN));
        cJSON_AddItemToObject(e, "predicted_ns", num_or_null(r->predicted_ns));
        cJSON_AddItemToObject(e, "provenance",
                              r->provenance && !isnan(r->predicted_ns)
                                  ? cJSON_CreateString(r->provenance)
                                  : cJSON_CreateNull());
        cJSON_AddItemToObject(e, "min_ns", num_or_null(ok ? r->min_ns : NAN));
        cJSON_AddItemToObject(e, "ci_lo_ns", num_or_null(ok ? r->ci_lo_ns : NAN));
        cJSON_AddItemToObject(e, "ci_hi_ns", num_or_null(ok ? r->ci_hi_ns : NAN));
        cJSON_AddNumberToObject(e, "n_samples", (double)r->n_samples);
        cJSON_AddNumberToObject(e, "iters", (double)r->iters);
        cJSON_AddStringToObject(e, "pinned", r->pinned);
        cJSON_AddStringToObject(e, "status",
                                ok                               ? "ok"
                                : r->status == MTOK_EUNSUPPORTED ? "skipped"
                                                                 : "failed");
        if (!ok)
            cJSON_AddStringToObject(e, "error", r->error);
        cJSON_AddItemToArray(a, e);
    }
    return a;
}

static void bench_print(struct cli *c, const struct mtok_bench_report *rep, const char *uuid)
{
    const char *hdr[] = {"benchmark", "median", "MAD", "95% CI", "GFLOP/s", "GB/s", "n"};
    struct cli_table *t = cli_table_create(7, hdr);
    for (size_t i = 0; i < rep->n; i++) {
        const struct mtok_bench_result *r = &rep->results[i];
        if (r->status != MTOK_OK) {
            cli_table_row(t, r->name, r->status == MTOK_EUNSUPPORTED ? "skipped" : "FAILED", "", "",
                          "", "", r->error);
            continue;
        }
        char med[32], mad[32], ci[64], gf[32], gb[32], n[16];
        snprintf(med, sizeof med, "%.4g ns", r->median_ns);
        snprintf(mad, sizeof mad, "%.2g%%", 100 * r->mad_ns / r->median_ns);
        snprintf(ci, sizeof ci, "%.4g..%.4g", r->ci_lo_ns, r->ci_hi_ns);
        snprintf(n, sizeof n, "%zu", r->n_samples);
        cli_table_row(t, r->name, med, mad, ci, cli_num(gf, sizeof gf, r->gflops, 1),
                      cli_num(gb, sizeof gb, r->gbytes_s, 2), n);
    }
    cli_table_print(t, c->out);
    cli_table_destroy(t);
    fprintf(c->out, "\nrun %s recorded\n", uuid);
}

int cli_bench(struct cli *c, int argc, char **argv)
{
    const char *suite_name = "default", *filter = NULL;
    long reps = 10;
    double min_time = 0.02;
    int quick = 0, list = 0, no_pin = 0, no_counters = 0;
    struct cli_opt opts[] = {
        {"suite", OPT_STR, &suite_name, 0, 0, 0}, {"filter", OPT_STR, &filter, 0, 0, 0},
        {"reps", OPT_LONG, &reps, 10, 100000, 0}, {"min-time", OPT_DOUBLE, &min_time, 0, 0, 0},
        {"quick", OPT_FLAG, &quick, 0, 0, 0},     {"list", OPT_FLAG, &list, 0, 0, 0},
        {"no-pin", OPT_FLAG, &no_pin, 0, 0, 0},   {"no-counters", OPT_FLAG, &no_counters, 0, 0, 0},
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
    struct mtok_bench_suite *suite = NULL;
    if (mtok_bench_suite_builtin(&suite, suite_name, &m, quick, &err) != MTOK_OK)
        return cli_fail(c, "%s", err.msg);
    if (list) {
        char name[256];
        for (size_t i = 0; i < mtok_bench_suite_count(suite); i++) {
            mtok_bench_case_name(mtok_bench_suite_at(suite, i), name, sizeof name);
            fprintf(c->out, "%s\n", name);
        }
        mtok_bench_suite_destroy(suite);
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
    int rc = begin_run(c, "bench", suite_name, args, &m, &b, &st, &run);
    free(args);
    if (rc != CLI_OK) {
        mtok_bench_suite_destroy(suite);
        return rc;
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
    if (filter)
        cJSON_AddStringToObject(meta, "filter", filter);
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
    if (mtok_store_run_commit(st, run) != MTOK_OK) {
        rc = cli_fail(c, "%s", mtok_store_errmsg(st));
        goto done;
    }
    if (c->json)
        cli_print_json(c, bench_json(rep));
    else
        bench_print(c, rep, mtok_run_uuid(run));
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
    mtok_bench_suite_destroy(suite);
    mtok_run_destroy(run);
    mtok_store_close(st);
    return rc;
}
