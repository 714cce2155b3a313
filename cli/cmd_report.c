/* mtok report: run the report suite into the database (one run), then render the report from the
 * database. */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/bench.h"
#include "claims/claims.h"
#include "cli/cli.h"
#include "cli/sim_json.h"
#include "reports/reports.h"

struct bar {
    FILE *err;
    bool tty;
    const char *what;
    int last;
};

static void bar_cb(void *arg, size_t done, size_t total)
{
    struct bar *b = arg;
    if (!b->tty)
        return;
    if (total == 0) { /* steps of unknown number: a counter */
        fprintf(b->err, "\r%-10s step %zu", b->what, done);
        fflush(b->err);
        return;
    }
    int pct = (int)(100.0 * (double)done / (double)total);
    if (pct == b->last && done != total)
        return;
    b->last = pct;
    int w = 40, fill = pct * w / 100;
    fprintf(b->err, "\r%-10s [", b->what);
    for (int i = 0; i < w; i++)
        fputc(i < fill ? '#' : '.', b->err);
    fprintf(b->err, "] %3d%% %zu/%zu", pct, done, total);
    if (done == total)
        fputc('\n', b->err);
    fflush(b->err);
}

/* A measurement's progress on the bar: its phase name and steps. */
static void phase_cb(void *arg, const char *phase, size_t done, size_t total)
{
    struct bar *b = arg;
    if (b->what != phase && b->what && strcmp(b->what, phase) != 0)
        b->last = -1;
    b->what = phase;
    bar_cb(b, done, total);
}

/* The measurements the suite asks for, each recorded as its own run: the quick ceilings (then the
 * `host` entry is loaded from them, so the host column is simulated) and the quick kernel suite
 * (predictions and calibration points); then the host's calibration for the simulation. A
 * measurement that fails is reported and the report goes on without it. */
static void measure(struct cli *c, const struct mtok_report_suite *suite, struct mtok_store *st,
                    struct mtok_catalog *cat, struct mtok_sim_defaults *def, double *secs)
{
    struct mtok_machine m;
    mtok_machine_detect(&m);
    struct mtok_error err = {0};
    bool tty = isatty(fileno(c->err)) != 0;
    if (suite->ceilings) {
        struct bar bar = {.err = c->err, .tty = tty, .what = "ceilings", .last = -1};
        uint64_t t0 = mtok_now_ns();
        char uuid[33] = "";
        if (cli_measure_ceilings(c, st, phase_cb, &bar, uuid, &err) != MTOK_OK) {
            fprintf(c->err, "%smtok report: ceilings not measured: %s\n", tty ? "\n" : "", err.msg);
        } else {
            struct mtok_diags d = {0};
            if (mtok_host_load(cat, st, m.fingerprint, &d) != MTOK_OK)
                for (size_t i = 0; i < d.n; i++)
                    fprintf(c->err, "mtok report: host entry: %s\n", d.lines[i]);
            mtok_diags_free(&d);
            secs[0] = (double)(mtok_now_ns() - t0) / 1e9;
            fprintf(c->err, "%sceilings   quick ceilings measured in %.1f s (run %.8s)\n",
                    tty ? "\r" : "", secs[0], uuid);
        }
    }
    if (suite->bench) {
        struct bar bar = {.err = c->err, .tty = tty, .what = "bench", .last = -1};
        uint64_t t0 = mtok_now_ns();
        char uuid[33] = "";
        memset(&err, 0, sizeof err);
        if (cli_measure_bench(c, st, "quick", cat, def, phase_cb, &bar, uuid, &err) != MTOK_OK)
            fprintf(c->err, "%smtok report: kernels not measured: %s\n", tty ? "\n" : "", err.msg);
        else {
            secs[1] = (double)(mtok_now_ns() - t0) / 1e9;
            fprintf(c->err, "bench      quick kernel suite measured in %.1f s (run %.8s)\n",
                    secs[1], uuid);
        }
    }
    cli_sim_add_host_calib(c, def);
}

static struct mtok_claim_result *eval_claims(struct cli *c, struct mtok_catalog *cat,
                                             const struct mtok_sim_defaults *def,
                                             struct mtok_claims **set, size_t *n)
{
    struct mtok_diags d = {0};
    *n = 0;
    if (mtok_claims_load(set, c->data_dir, cat, &d) != MTOK_OK) {
        /* the report still renders; the claims table says they were not evaluated */
        for (size_t i = 0; i < d.n; i++)
            fprintf(c->err, "mtok report: claims not evaluated: %s\n", d.lines[i]);
        mtok_diags_free(&d);
        return NULL;
    }
    mtok_diags_free(&d);
    *n = mtok_claims_count(*set);
    struct mtok_claim_result *rs = mtok_xcalloc(*n + 1, sizeof *rs);
    for (size_t i = 0; i < *n; i++)
        mtok_claims_evaluate(*set, def, i, &rs[i]);
    return rs;
}

int cli_report(struct cli *c, int argc, char **argv)
{
    const char *out = "reports/out", *suite_arg = NULL, *gnuplot = NULL, *api_date = NULL;
    int no_run = 0, no_charts = 0, no_measure = 0;
    double timeout = 60;
    struct cli_opt opts[] = {
        {"out", OPT_STR, &out, 0, 0, 0},
        {"suite", OPT_STR, &suite_arg, 0, 0, 0},
        {"no-run", OPT_FLAG, &no_run, 0, 0, 0},
        {"no-charts", OPT_FLAG, &no_charts, 0, 0, 0},
        {"no-measure", OPT_FLAG, &no_measure, 0, 0, 0},
        {"gnuplot", OPT_STR, &gnuplot, 0, 0, 0},
        {"gnuplot-timeout", OPT_DOUBLE, &timeout, 0, 0, 0},
        {"api-date", OPT_STR, &api_date, 0, 0, 0},
    };
    char *pos[1];
    if (cli_parse(c, argc, argv, opts, sizeof opts / sizeof *opts, pos, 0) < 0)
        return CLI_ERROR;
    if (!*out)
        return cli_fail(c, "--out: an output directory is required");
    if (!(timeout > 0 && timeout <= 3600))
        return cli_fail(c, "--gnuplot-timeout: %g is not in (0, 3600] seconds", timeout);
    uint64_t t0 = mtok_now_ns();
    struct mtok_catalog *cat = cli_catalog(c);
    if (!cat)
        return CLI_ERROR;
    /* the host's calibration is added once the measurements are in (measure()) */
    struct mtok_sim_defaults *def = cli_sim_defaults_base(c), *base = NULL;
    if (!def)
        return CLI_ERROR;
    struct mtok_tco_defaults tco = {0};
    struct mtok_report_suite *suite = NULL;
    struct mtok_store *st = NULL;
    struct mtok_claims *claims = NULL;
    struct mtok_claim_result *cr = NULL;
    size_t n_claims = 0;
    struct mtok_report_info info = {0};
    struct mtok_error err = {0};
    struct mtok_diags d = {0};
    int rc = CLI_OK;
    char run_uuid[33] = "";
    double run_s = 0;
    if (cli_tco_defaults(c, &tco) != CLI_OK) {
        rc = CLI_ERROR;
        goto out;
    }
    /* everything given is checked before the database is touched */
    if (suite_arg && mtok_report_suite_load(&suite, suite_arg, c->data_dir, cat, &d) != MTOK_OK) {
        rc = cli_fail_diags(c, &d);
        goto out;
    }
    if (!mtok_report_out_usable(out)) {
        rc = cli_fail(c, "--out %s: neither a writable folder nor one that can be made (its parent "
                         "must exist)", out);
        goto out;
    }
    if (mtok_store_open(&st, c->db_path, &err) != MTOK_OK) {
        rc = cli_fail(c, "%s", err.msg);
        goto out;
    }
    if (!suite) {
        /* rendering only: the suite the latest report run was made with, else the default */
        struct mtok_run_summary last;
        const char *name = "default";
        if (no_run &&
            mtok_store_run_latest(st, &(struct mtok_run_filter){.kind = "report"}, &last) ==
                MTOK_OK &&
            last.suite[0])
            name = last.suite;
        if (mtok_report_suite_load(&suite, name, c->data_dir, cat, &d) != MTOK_OK &&
            (strcmp(name, "default") != 0 ||
             mtok_report_suite_load(&suite, "default", c->data_dir, cat, &d) != MTOK_OK)) {
            rc = cli_fail_diags(c, &d);
            goto out;
        }
        mtok_diags_free(&d);
    }
    double measure_s[2] = {0, 0};
    if (!no_run && !no_measure)
        measure(c, suite, st, cat, def, measure_s);
    else
        cli_sim_add_host_calib(c, def);
    if (!no_run) {
        struct mtok_machine m;
        struct mtok_build b;
        mtok_machine_detect(&m);
        mtok_build_detect(&b, &m);
        struct mtok_machine_row mrow = mtok_machine_row(&m);
        struct mtok_build_row brow = mtok_build_row(&b);
        struct mtok_buf args = {0};
        mtok_buf_puts(&args, "report");
        for (int i = 0; i < argc; i++) {
            mtok_buf_puts(&args, " ");
            mtok_buf_puts(&args, argv[i]);
        }
        struct bar bar = {
            .err = c->err, .tty = isatty(fileno(c->err)) != 0, .what = "simulate", .last = -1};
        struct mtok_report_run_opts ro = {.sim = def,
                                          .tco = &tco,
                                          .args = args.data,
                                          .machine = &mrow,
                                          .build = &brow,
                                          .progress = bar_cb,
                                          .progress_arg = &bar};
        uint64_t r0 = mtok_now_ns();
        enum mtok_status s = mtok_report_suite_run(suite, cat, st, &ro, run_uuid, &err);
        run_s = (double)(mtok_now_ns() - r0) / 1e9;
        mtok_buf_free(&args);
        if (s != MTOK_OK) {
            rc = cli_fail(c, "%s", err.msg);
            goto out;
        }
    }
    cr = eval_claims(c, cat, def, &claims, &n_claims);
    base = cli_sim_defaults_base(c); /* without the host's calibration: the accuracy table's */
    if (!base) {
        rc = CLI_ERROR;
        goto out;
    }
    struct mtok_report_opts ro = {.out_dir = out,
                                  .suite = suite,
                                  .claims = cr,
                                  .n_claims = n_claims,
                                  .tco = &tco,
                                  .sim = def,
                                  .calib_base = base ? base->calib : NULL,
                                  .gnuplot = gnuplot,
                                  .gnuplot_timeout_s = timeout,
                                  .no_charts = no_charts,
                                  .api_date = api_date};
    if (isatty(fileno(c->err)))
        fprintf(c->err, "render     writing %s/ and running gnuplot ...\n", out);
    uint64_t w0 = mtok_now_ns();
    if (mtok_report_write(st, cat, &ro, &info, &err) != MTOK_OK) {
        rc = cli_fail(c, "%s", err.msg);
        goto out;
    }
    double render_s = (double)(mtok_now_ns() - w0) / 1e9;
    double total_s = (double)(mtok_now_ns() - t0) / 1e9;
    if (c->json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "index_html", info.index_html);
        cJSON_AddStringToObject(o, "out", out);
        cJSON_AddStringToObject(o, "db", mtok_store_path(st));
        cJSON_AddStringToObject(o, "suite", suite->name);
        cJSON_AddStringToObject(o, "run", info.run_uuid);
        cJSON_AddBoolToObject(o, "charts_rendered", info.charts_rendered);
        if (!info.charts_rendered)
            cJSON_AddStringToObject(o, "chart_note", info.chart_note);
        cJSON *cells = cJSON_AddObjectToObject(o, "cells");
        cJSON_AddNumberToObject(cells, "total", (double)info.cells);
        cJSON_AddNumberToObject(cells, "priced", (double)info.cells_priced);
        cJSON_AddNumberToObject(cells, "does_not_fit", (double)info.cells_no_fit);
        cJSON_AddNumberToObject(cells, "not_measured_or_simulated",
                                (double)info.cells_not_measured);
        cJSON_AddBoolToObject(o, "ceilings_measured", info.have_ceilings);
        cJSON_AddBoolToObject(o, "bench_measured", info.have_bench);
        cJSON_AddNumberToObject(o, "ceilings_s", measure_s[0]);
        cJSON_AddNumberToObject(o, "bench_s", measure_s[1]);
        cJSON_AddNumberToObject(o, "run_s", run_s);
        cJSON_AddNumberToObject(o, "render_s", render_s);
        cJSON_AddNumberToObject(o, "total_s", total_s);
        cJSON *f = cJSON_AddArrayToObject(o, "files");
        for (size_t i = 0; i < info.n_files; i++)
            cJSON_AddItemToArray(f, cJSON_CreateString(info.files[i]));
        cli_print_json(c, o);
    } else {
        fprintf(c->out,
                "report %s: %zu cells (%zu priced, %zu do not fit, %zu not measured/simulated "
                "yet); host ceilings %s, kernel bench %s\n",
                suite->name, info.cells, info.cells_priced, info.cells_no_fit,
                info.cells_not_measured, info.have_ceilings ? "measured" : "not measured yet",
                info.have_bench ? "measured" : "not measured yet");
        if (!info.charts_rendered)
            fprintf(c->out, "charts: %s\n", info.chart_note);
        fprintf(c->out,
                "%zu files in %s/ in %.1f s (ceilings %.1f s, bench %.1f s, simulate %.1f s, "
                "render %.1f s); open %s\n",
                info.n_files, out, total_s, measure_s[0], measure_s[1], run_s, render_s,
                info.index_html);
        if (info.run_uuid[0])
            fprintf(c->out, "run %s in %s\n", info.run_uuid, mtok_store_path(st));
    }
out:
    mtok_report_info_free(&info);
    free(cr);
    mtok_claims_destroy(claims);
    mtok_store_close(st);
    mtok_report_suite_destroy(suite);
    mtok_tco_defaults_free(&tco);
    mtok_sim_defaults_destroy(def);
    mtok_sim_defaults_destroy(base);
    mtok_diags_free(&d);
    return rc;
}
