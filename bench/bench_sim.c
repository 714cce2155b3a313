/* bench_sim: how fast the simulator is. Not a test: it prints numbers, it asserts nothing.
 *
 *   decode-step evaluations per second (one thread) for several models, with batch and context
 *   changing on every call, through the folded fast path and through the op-by-op path;
 *   a full `sweep-100k` design-space sweep on N threads (default 2), with and without the
 *   SQLite write.
 *
 * Each figure is the median of --reps runs (default 7). Usage:
 *   bench_sim [--reps N] [--threads N] [--db PATH] [--quick]
 */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "sim/sim.h"
#include "store/store.h"

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static volatile double sink;

/* evaluations per second of one decode step, batch and context varying call to call */
static double evals_per_s(const struct mtok_plan *p, bool slow, long n)
{
    double acc = 0;
    uint64_t t0 = mtok_now_ns();
    for (long i = 0; i < n; i++) {
        double b = 1 + (double)(i & 511);
        double ctx = 1024 + (double)((i * 7919) % 1000000);
        acc += slow ? mtok_plan_decode_step_slow(p, b, ctx) : mtok_plan_decode_step(p, b, ctx);
    }
    double s = (double)(mtok_now_ns() - t0) / 1e9;
    sink = acc;
    return (double)n / s;
}

int main(int argc, char **argv)
{
    long reps = 7, threads = 2;
    bool quick = false;
    const char *db = NULL;
    for (int i = 1; i < argc; i++) {
        bool ok = true;
        if (!strcmp(argv[i], "--reps") && i + 1 < argc)
            ok = mtok_parse_long(argv[++i], 1, 1000, &reps) == MTOK_OK;
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            ok = mtok_parse_long(argv[++i], 1, 256, &threads) == MTOK_OK;
        else if (!strcmp(argv[i], "--db") && i + 1 < argc)
            db = argv[++i];
        else if (!strcmp(argv[i], "--quick"))
            quick = true;
        else
            ok = false;
        if (!ok) {
            fprintf(stderr, "usage: bench_sim [--reps 1..1000] [--threads 1..256] [--db PATH] "
                            "[--quick]\n");
            return 2;
        }
    }
    struct mtok_diags d = {0};
    struct mtok_catalog *cat = NULL;
    struct mtok_sim_defaults *def = NULL;
    if (mtok_catalog_open(&cat, NULL, &d) != MTOK_OK ||
        mtok_sim_defaults_load(&def, NULL, &d) != MTOK_OK) {
        for (size_t i = 0; i < d.n; i++)
            fprintf(stderr, "%s\n", d.lines[i]);
        return 1;
    }
    static const struct {
        const char *model, *hw;
        int tp, ep, dp, mtp;
    } cases[] = {
        {"deepseek-v4-pro", "b200", 1, 8, 8, 0},    {"deepseek-v4-pro", "gb200", 1, 72, 72, 1},
        {"deepseek-r1", "h200", 1, 8, 8, 0},        {"llama-3.1-70b", "h100-sxm", 8, 1, 1, 0},
        {"qwen3.5-397b-a17b", "b200", 1, 8, 8, 0}, {"nemotron-3-super", "h100-sxm", 2, 1, 1, 0},
    };
    long n_fast = quick ? 200000 : 2000000, n_slow = quick ? 2000 : 20000;
    printf("decode-step evaluations per second, one thread, median of %ld runs\n", reps);
    printf("%-20s %-9s %-18s %8s %14s %12s %8s\n", "model", "hw", "deployment", "classes",
           "fast evals/s", "slow evals/s", "ratio");
    double *v = calloc((size_t)reps, sizeof *v);
    if (!v)
        return 1;
    for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
        const struct mtok_model *m = mtok_catalog_model(cat, cases[c].model);
        const struct mtok_hw *hw = mtok_catalog_hw(cat, cases[c].hw);
        struct mtok_prec prec;
        struct mtok_error err = {0};
        struct mtok_deploy dep = mtok_deploy_default();
        dep.tp = cases[c].tp, dep.ep = cases[c].ep, dep.dp = cases[c].dp, dep.mtp = cases[c].mtp;
        struct mtok_plan *p = NULL;
        if (!m || !hw || mtok_prec_resolve(m, NULL, NULL, &prec, &err) != MTOK_OK ||
            mtok_plan_create(&p, m, hw, def, NULL, &prec, &dep, &err) != MTOK_OK) {
            fprintf(stderr, "%s on %s: %s\n", cases[c].model, cases[c].hw, err.msg);
            continue;
        }
        for (long r = 0; r < reps; r++)
            v[r] = evals_per_s(p, false, n_fast);
        double fast = median(v, (int)reps);
        for (long r = 0; r < reps; r++)
            v[r] = evals_per_s(p, true, n_slow);
        double slow = median(v, (int)reps);
        char depl[48];
        snprintf(depl, sizeof depl, "tp%d ep%d dp%d mtp%d", dep.tp, dep.ep, dep.dp, dep.mtp);
        printf("%-20s %-9s %-18s %8zu %14.0f %12.0f %7.0fx\n", m->id, hw->id, depl,
               mtok_plan_class_count(p), fast, slow, fast / slow);
        mtok_plan_destroy(p);
    }

    struct mtok_suite *s = NULL;
    if (mtok_suite_load(&s, "sweep-100k", NULL, cat, &d) != MTOK_OK) {
        for (size_t i = 0; i < d.n; i++)
            fprintf(stderr, "%s\n", d.lines[i]);
        return 1;
    }
    int sreps = quick ? 1 : (int)reps;
    printf("\nsweep-100k: %zu points, %ld thread%s, median of %d runs\n", mtok_suite_points(s),
           threads, threads > 1 ? "s" : "", sreps);
    for (int r = 0; r < sreps; r++) {
        struct mtok_sweep *sw = NULL;
        struct mtok_error err = {0};
        uint64_t t0 = mtok_now_ns();
        mtok_sweep_run(&sw, s, cat, def, NULL, (int)threads, NULL, NULL, &err);
        v[r] = (double)(mtok_now_ns() - t0) / 1e9;
        mtok_sweep_destroy(sw);
    }
    double ev = median(v, sreps);
    printf("  evaluation            %.3f s  (%.0f points/s)\n", ev, mtok_suite_points(s) / ev);
    /* with the database: one run, one transaction, into a scratch file */
    char path[256];
    if (db)
        snprintf(path, sizeof path, "%s", db);
    else
        snprintf(path, sizeof path, "/tmp/bench_sim-%ld.db", (long)getpid());
    for (int r = 0; r < sreps; r++) {
        unlink(path);
        uint64_t t0 = mtok_now_ns();
        struct mtok_sweep *sw = NULL;
        struct mtok_error err = {0};
        mtok_sweep_run(&sw, s, cat, def, NULL, (int)threads, NULL, NULL, &err);
        struct mtok_store *st = NULL;
        if (mtok_store_open(&st, path, &err) != MTOK_OK) {
            fprintf(stderr, "%s\n", err.msg);
            return 1;
        }
        struct mtok_run_info info = {.kind = "sweep", .suite = "sweep-100k", .args = "bench_sim"};
        struct mtok_run *run = mtok_run_create(&info);
        mtok_store_run_begin(st, run);
        for (size_t i = 0; i < mtok_sweep_count(sw); i++) {
            const struct mtok_sweep_row *w = mtok_sweep_row_at(sw, i);
            struct mtok_sim_row row = {
                .key = w->key, .model = w->model, .hw = w->hw, .deployment = w->deployment,
                .fits = w->pt.fits, .max_batch = w->pt.max_batch, .ttft_s = w->pt.ttft_s,
                .tpot_s = w->pt.tpot_s, .tok_s_per_user = w->pt.tok_s_per_user,
                .tok_s_per_gpu = w->pt.tok_s_per_gpu,
                .input_tok_s_per_gpu = w->pt.input_tok_s_per_gpu,
                .output_tok_s_per_gpu = w->pt.output_tok_s_per_gpu,
                .weight_bytes = w->weight_bytes, .kv_bytes_per_token = w->kv_bytes_per_token,
                .flops_per_token = w->flops_per_token, .provenance = mtok_prov_name(w->pt.prov)};
            mtok_run_add_sim(run, &row);
        }
        mtok_sweep_destroy(sw);
        if (mtok_store_run_commit(st, run) != MTOK_OK)
            fprintf(stderr, "%s\n", mtok_store_errmsg(st));
        mtok_run_destroy(run);
        mtok_store_close(st);
        v[r] = (double)(mtok_now_ns() - t0) / 1e9;
    }
    if (!db) {
        unlink(path);
        char aux[300];
        snprintf(aux, sizeof aux, "%s-wal", path);
        unlink(aux);
        snprintf(aux, sizeof aux, "%s-shm", path);
        unlink(aux);
    }
    double total = median(v, sreps);
    printf("  with the SQLite write %.3f s  (%.0f points/s)\n", total, mtok_suite_points(s) / total);
    free(v);
    mtok_suite_destroy(s);
    mtok_sim_defaults_destroy(def);
    mtok_catalog_destroy(cat);
    return 0;
}
