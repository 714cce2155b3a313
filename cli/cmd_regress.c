/* mtok compare | history | track: regressions over stored benchmark runs. */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"
#include "cli/cli.h"
#include "reports/reports.h"
#include "store/store.h"

static const char *fmt_ns(char *buf, size_t n, double ns)
{
    if (isnan(ns))
        snprintf(buf, n, "-");
    else if (ns < 1e3)
        snprintf(buf, n, "%.4g ns", ns);
    else if (ns < 1e6)
        snprintf(buf, n, "%.4g us", ns / 1e3);
    else if (ns < 1e9)
        snprintf(buf, n, "%.4g ms", ns / 1e6);
    else
        snprintf(buf, n, "%.4g s", ns / 1e9);
    return buf;
}

static cJSON *num_or_null(double v)
{
    return isfinite(v) ? cJSON_CreateNumber(v) : cJSON_CreateNull();
}

static cJSON *run_json(const struct mtok_run_summary *r)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "id", (double)r->id);
    cJSON_AddStringToObject(o, "uuid", r->uuid);
    cJSON_AddStringToObject(o, "commit", r->git_commit);
    cJSON_AddBoolToObject(o, "dirty", r->dirty);
    cJSON_AddStringToObject(o, "started_at", r->started_at);
    cJSON_AddStringToObject(o, "fingerprint", r->fingerprint);
    return o;
}

/* ================================================================================================
 * mtok compare BASE HEAD */

int cli_compare(struct cli *c, int argc, char **argv)
{
    double threshold = 5, alpha = 0.05;
    struct cli_opt opts[] = {
        {"threshold", OPT_DOUBLE, &threshold, 0, 0, 0},
        {"alpha", OPT_DOUBLE, &alpha, 0, 0, 0},
    };
    char *pos[2];
    int n = cli_parse(c, argc, argv, opts, 2, pos, 2);
    if (n < 0)
        return CLI_ERROR;
    if (n != 2)
        return cli_fail(c, "usage: mtok compare BASE HEAD (commits, run ids/UUIDs or database "
                           "files)");
    if (!(threshold >= 0 && threshold < 1000))
        return cli_fail(c, "--threshold %g: give a percentage in [0, 1000)", threshold);
    if (!(alpha > 0 && alpha < 1))
        return cli_fail(c, "--alpha %g: give a probability in (0, 1)", alpha);

    struct mtok_error err = {0};
    bool created;
    struct mtok_store *st = cli_read_db_open(c, &created);
    if (!st)
        return CLI_ERROR;
    struct mtok_store *bst = NULL, *hst = NULL;
    int64_t bid = 0, hid = 0;
    struct mtok_compare *cmp = NULL;
    int rc = CLI_ERROR;
    if (mtok_compare_resolve(st, pos[0], "bench", &bst, &bid, &err) != MTOK_OK) {
        cli_fail(c, "BASE %s", err.msg);
        goto done;
    }
    if (mtok_compare_resolve(st, pos[1], "bench", &hst, &hid, &err) != MTOK_OK) {
        cli_fail(c, "HEAD %s", err.msg);
        goto done;
    }
    struct mtok_compare_opts o = {threshold / 100, alpha};
    if (mtok_compare_runs(bst, bid, hst, hid, &o, &cmp, &err) != MTOK_OK) {
        cli_fail(c, "%s", err.msg);
        goto done;
    }
    rc = mtok_compare_verdict(cmp);
    if (c->json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddItemToObject(j, "base", run_json(&cmp->base));
        cJSON_AddItemToObject(j, "head", run_json(&cmp->head));
        cJSON_AddBoolToObject(j, "same_machine", cmp->same_machine);
        cJSON_AddNumberToObject(j, "threshold", o.threshold);
        cJSON_AddNumberToObject(j, "alpha", o.alpha);
        cJSON_AddBoolToObject(j, "regression", rc == CLI_REGRESSION);
        cJSON *rows = cJSON_AddArrayToObject(j, "benchmarks");
        for (size_t i = 0; i < cmp->n; i++) {
            const struct mtok_compare_row *r = &cmp->rows[i];
            cJSON *e = cJSON_CreateObject();
            char mark[2] = {(char)r->mark, 0};
            cJSON_AddStringToObject(e, "mark", mark);
            cJSON_AddStringToObject(e, "name", r->name);
            cJSON_AddItemToObject(e, "base_median_ns", num_or_null(r->base_ns));
            cJSON_AddItemToObject(e, "head_median_ns", num_or_null(r->head_ns));
            cJSON_AddItemToObject(e, "ratio", num_or_null(r->ratio));
            cJSON_AddItemToObject(e, "p", num_or_null(r->p));
            cJSON_AddNumberToObject(e, "n_base", (double)r->n_base);
            cJSON_AddNumberToObject(e, "n_head", (double)r->n_head);
            if (r->why[0])
                cJSON_AddStringToObject(e, "why", r->why);
            cJSON_AddItemToArray(rows, e);
        }
        cli_print_json(c, j);
    } else {
        FILE *f = c->out;
        fprintf(f, "BASE run %.8s (commit %.12s%s, %s)\n", cmp->base.uuid,
                cmp->base.git_commit[0] ? cmp->base.git_commit : "unknown",
                cmp->base.dirty ? "+dirty" : "", cmp->base.started_at);
        fprintf(f, "HEAD run %.8s (commit %.12s%s, %s)%s\n\n", cmp->head.uuid,
                cmp->head.git_commit[0] ? cmp->head.git_commit : "unknown",
                cmp->head.dirty ? "+dirty" : "", cmp->head.started_at,
                cmp->same_machine ? "" : "  -- different machines: not comparable");
        fprintf(f, "| | benchmark | base | head | ratio | p |\n|---|---|---:|---:|---:|---:|\n");
        for (size_t i = 0; i < cmp->n; i++) {
            const struct mtok_compare_row *r = &cmp->rows[i];
            char b[32], h[32], ratio[32], p[32];
            fmt_ns(b, sizeof b, r->base_ns), fmt_ns(h, sizeof h, r->head_ns);
            snprintf(ratio, sizeof ratio, isfinite(r->ratio) ? "%.3f" : "-", r->ratio);
            snprintf(p, sizeof p, isfinite(r->p) ? "%.2g" : "-", r->p);
            fprintf(f, "| %c | %s%s%s%s | %s | %s | %s | %s |\n", (char)r->mark, r->name,
                    r->why[0] ? " (" : "", r->why, r->why[0] ? ")" : "", b, h, ratio, p);
        }
        fprintf(f,
                "\n%d worse (+), %d better (-), %d unchanged (~), %d failed (!), %d not "
                "comparable (x); threshold %g%%, alpha %g\n",
                cmp->worse, cmp->better, cmp->same, cmp->failed, cmp->not_comparable, threshold,
                alpha);
        fprintf(f, "%s\n", rc == CLI_REGRESSION ? "REGRESSION" : "no regression");
    }
done:
    mtok_compare_destroy(cmp);
    if (bst && bst != st)
        mtok_store_close(bst);
    if (hst && hst != st)
        mtok_store_close(hst);
    cli_read_db_close(c, st, created);
    return rc;
}

/* ================================================================================================
 * mtok history [--filter REGEX] [--out FILE] */

int cli_history(struct cli *c, int argc, char **argv)
{
    const char *filter = NULL, *out = "history.png", *repo = NULL;
    double threshold = 5, alpha = 0.05;
    int all_machines = 0;
    struct cli_opt opts[] = {
        {"filter", OPT_STR, &filter, 0, 0, 0},  {"out", OPT_STR, &out, 0, 0, 0},
        {"repo", OPT_STR, &repo, 0, 0, 0},      {"threshold", OPT_DOUBLE, &threshold, 0, 0, 0},
        {"alpha", OPT_DOUBLE, &alpha, 0, 0, 0}, {"all-machines", OPT_FLAG, &all_machines, 0, 0, 0},
    };
    char *pos[1];
    if (cli_parse(c, argc, argv, opts, sizeof opts / sizeof *opts, pos, 0) < 0)
        return CLI_ERROR;
    if (!(threshold >= 0 && threshold < 1000) || !(alpha > 0 && alpha < 1))
        return cli_fail(c, "--threshold is a percentage, --alpha a probability in (0, 1)");
    size_t olen = strlen(out);
    if (olen < 5 || (strcmp(out + olen - 4, ".png") != 0 && strcmp(out + olen - 4, ".svg") != 0))
        return cli_fail(c, "--out %s: the chart is a .png or .svg file", out);
    struct mtok_error err = {0};
    bool created;
    struct mtok_store *st = cli_read_db_open(c, &created);
    if (!st)
        return CLI_ERROR;
    struct mtok_history_opts o = {filter, all_machines ? NULL : cli_fingerprint(c), repo,
                                  threshold / 100, alpha};
    struct mtok_history *h = NULL;
    int rc = CLI_OK;
    bool rendered = false;
    if (mtok_history_build(st, &o, &h, &err) != MTOK_OK ||
        mtok_report_history_chart(h, out, NULL, 60, &rendered, &err) != MTOK_OK) {
        rc = cli_fail(c, "%s", err.msg);
        goto done;
    }
    int steps = 0;
    if (c->json) {
        cJSON *j = cJSON_CreateObject();
        cJSON_AddStringToObject(j, "chart", out);
        cJSON_AddBoolToObject(j, "rendered", rendered);
        cJSON_AddBoolToObject(j, "git_order", h->git_order);
        cJSON *a = cJSON_AddArrayToObject(j, "series");
        for (size_t s = 0; s < h->n; s++) {
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "name", h->series[s].name);
            cJSON *pts = cJSON_AddArrayToObject(e, "points");
            for (size_t i = 0; i < h->series[s].n; i++) {
                const struct mtok_history_point *p = &h->series[s].points[i];
                cJSON *q = cJSON_CreateObject();
                cJSON_AddStringToObject(q, "commit", p->commit);
                cJSON_AddStringToObject(q, "run", p->run_uuid);
                cJSON_AddStringToObject(q, "started_at", p->started_at);
                cJSON_AddNumberToObject(q, "median_ns", p->median_ns);
                cJSON_AddBoolToObject(q, "step", p->step);
                cJSON_AddItemToObject(q, "step_ratio", num_or_null(p->step_ratio));
                cJSON_AddItemToObject(q, "step_p", num_or_null(p->step_p));
                cJSON_AddItemToArray(pts, q);
            }
            cJSON_AddItemToArray(a, e);
        }
        cli_print_json(c, j);
    } else {
        const char *hdr[] = {"benchmark", "points", "first", "last", "step changes"};
        struct cli_table *t = cli_table_create(5, hdr);
        for (size_t s = 0; s < h->n; s++) {
            const struct mtok_history_series *se = &h->series[s];
            struct mtok_buf sb = {0};
            for (size_t i = 0; i < se->n; i++)
                if (se->points[i].step) {
                    mtok_buf_printf(&sb, "%s%.8s %+.1f%% (p=%.2g)", sb.len ? "; " : "",
                                    se->points[i].commit, 100 * (se->points[i].step_ratio - 1),
                                    se->points[i].step_p);
                    steps++;
                }
            char np[16], first[32], last[32];
            snprintf(np, sizeof np, "%zu", se->n);
            cli_table_row(t, se->name, np, fmt_ns(first, sizeof first, se->points[0].median_ns),
                          fmt_ns(last, sizeof last, se->points[se->n - 1].median_ns),
                          sb.len ? sb.data : "-");
            mtok_buf_free(&sb);
        }
        cli_table_print(t, c->out);
        cli_table_destroy(t);
        fprintf(c->out, "\n%zu benchmark%s over %s, %d step change%s; chart %s%s (script %s.gp)\n",
                h->n, h->n == 1 ? "" : "s",
                h->git_order ? "commits in git order" : "runs in time order", steps,
                steps == 1 ? "" : "s", out, rendered ? "" : " not rendered (no gnuplot)", out);
    }
done:
    mtok_history_destroy(h);
    cli_read_db_close(c, st, created);
    return rc;
}

/* ================================================================================================
 * mtok track REV-RANGE [--suite NAME] */

static volatile sig_atomic_t interrupted;
static void on_signal(int sig)
{
    (void)sig;
    interrupted = 1;
}

static void track_log(void *ctx, const char *line)
{
    struct cli *c = ctx;
    fprintf(c->err, "mtok track: %s\n", line);
    fflush(c->err);
}

int cli_track(struct cli *c, int argc, char **argv)
{
    const char *suite = NULL, *repo = NULL;
    long jobs = 0;
    int quick = 0;
    struct cli_opt opts[] = {
        {"suite", OPT_STR, &suite, 0, 0, 0},
        {"repo", OPT_STR, &repo, 0, 0, 0},
        {"jobs", OPT_LONG, &jobs, 1, 1024, 0},
        {"quick", OPT_FLAG, &quick, 0, 0, 0},
    };
    char *pos[1];
    int n = cli_parse(c, argc, argv, opts, sizeof opts / sizeof *opts, pos, 1);
    if (n < 0)
        return CLI_ERROR;
    if (n != 1)
        return cli_fail(c, "usage: mtok track REV-RANGE [--suite NAME] (e.g. HEAD~5..HEAD)");
    const char *db = c->db_path ? c->db_path : getenv("MTOK_DB");
    if (!db || !*db)
        db = "mtok.db";
    static const char *const quick_args[] = {"--quick", NULL};
    struct mtok_track_config cfg = {.repo_dir = repo,
                                    .range = pos[0],
                                    .suite = suite,
                                    .db_path = db,
                                    .bench_args = quick ? quick_args : NULL,
                                    .jobs = (int)jobs,
                                    .cancel = &interrupted,
                                    .log = track_log,
                                    .log_ctx = c};
    /* Ctrl-C stops after the current step; the worktree is removed either way. */
    struct sigaction sa = {0}, old_int, old_term;
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    interrupted = 0;
    sigaction(SIGINT, &sa, &old_int);
    sigaction(SIGTERM, &sa, &old_term);
    struct mtok_track_commit *res = NULL;
    size_t nres = 0;
    struct mtok_error err = {0};
    enum mtok_status s = mtok_track(&cfg, &res, &nres, &err);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    if (s == MTOK_EINVAL)
        return cli_fail(c, "%s", err.msg);
    if (c->json) {
        cJSON *a = cJSON_CreateArray();
        for (size_t i = 0; i < nres; i++) {
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "commit", res[i].commit);
            cJSON_AddBoolToObject(e, "ok", res[i].ok);
            if (!res[i].ok) {
                cJSON_AddStringToObject(e, "stage", res[i].stage);
                cJSON_AddStringToObject(e, "error", res[i].error);
            }
            cJSON_AddItemToArray(a, e);
        }
        cli_print_json(c, a);
    } else {
        for (size_t i = 0; i < nres; i++)
            fprintf(c->out, "%.12s  %s%s%s\n", res[i].commit, res[i].ok ? "recorded" : res[i].stage,
                    res[i].ok ? "" : ": ", res[i].ok ? "" : res[i].error);
    }
    free(res);
    if (s != MTOK_OK)
        return cli_fail(c, "%s", err.msg);
    return CLI_OK;
}
