/* bench part B: the kernel suites, predictions and calibration. Calibration points from
 * measurements reproduce those measurements through the simulator (in-sample exactly); curves
 * interpolate between points and continue below them; the accuracy statistics and the held-out
 * schemes on synthetic runs; every suite file loads and malformed ones are refused with the field;
 * the quick suite end to end through the CLI with predictions, calibration and the JSON contract;
 * the engine's decode step stores its per-op breakdown; mtok sim --hw host carries the
 * calibration. Nothing here asserts a timing. */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <unistd.h>

#include "bench/bench.h"
#include "catalog/catalog.h"
#include "cli/cli.h"
#include "kernels/kernels.h"
#include "sim/sim.h"
#include "store/store.h"
#include "test.h"

static char tmpdir[] = "/tmp/mtok-calib-XXXXXX";
static char out[1 << 21], err[1 << 16];

static int run_cli(char **argv)
{
    int argc = 0;
    while (argv[argc])
        argc++;
    FILE *o = tmpfile(), *e = tmpfile();
    int rc = mtok_cli_main(argc, argv, o, e);
    rewind(o);
    rewind(e);
    size_t a = fread(out, 1, sizeof out - 1, o), b = fread(err, 1, sizeof err - 1, e);
    out[a] = err[b] = '\0';
    fclose(o);
    fclose(e);
    return rc;
}

/* A ceilings run for this machine with known figures: 1 and 2 threads, an AMX-like bf16 peak. */
static const struct mtok_ceiling_row host_rows[] = {
    {"flops", "fp32.avx512", NULL, 1, 0, 200e9, "FLOP/s"},
    {"flops", "fp32.avx512", NULL, 2, 0, 400e9, "FLOP/s"},
    {"flops", "bf16.avx512", NULL, 1, 0, 100e9, "FLOP/s"},
    {"flops", "bf16.amx", NULL, 1, 0, 3000e9, "FLOP/s"},
    {"flops", "bf16.avx512", NULL, 2, 0, 200e9, "FLOP/s"},
    {"flops", "bf16.amx", NULL, 2, 0, 6000e9, "FLOP/s"},
    {"peak", "fp32", "avx512", 1, 0, 200e9, "FLOP/s"},
    {"peak", "fp32", "avx512", 2, 0, 400e9, "FLOP/s"},
    {"peak", "bf16", "amx", 1, 0, 3000e9, "FLOP/s"},
    {"peak", "bf16", "amx", 2, 0, 6000e9, "FLOP/s"},
    {"peak", "int8", "avx512", 2, 0, 1e12, "OP/s"},
    {"bandwidth", "read", "DRAM", 1, 2e9, 15e9, "B/s"},
    {"bandwidth", "read", "DRAM", 2, 2e9, 30e9, "B/s"},
    {"plateau", "read", "DRAM", 1, 2e9, 15e9, "B/s"},
    {"plateau", "read", "DRAM", 2, 2e9, 30e9, "B/s"},
};

static struct mtok_store *store_with_host(const char *name, struct mtok_catalog **cat,
                                          struct mtok_machine *m)
{
    char db[600];
    snprintf(db, sizeof db, "%s/%s", tmpdir, name);
    struct mtok_store *st = NULL;
    struct mtok_error e = {0};
    CHECK(mtok_store_open(&st, db, &e) == MTOK_OK);
    struct mtok_diags d = {0};
    CHECK(mtok_catalog_open(cat, NULL, &d) == MTOK_OK);
    mtok_machine_detect(m);
    struct mtok_machine_row mr = mtok_machine_row(m);
    struct mtok_run_info info = {"ceilings", NULL, NULL, &mr, NULL};
    struct mtok_run *run = mtok_run_create(&info);
    CHECK(mtok_store_run_begin(st, run) == MTOK_OK);
    for (size_t i = 0; i < sizeof host_rows / sizeof *host_rows; i++)
        mtok_run_add_ceiling(run, &host_rows[i]);
    CHECK(mtok_store_run_commit(st, run) == MTOK_OK);
    mtok_run_destroy(run);
    CHECK(mtok_host_load(*cat, st, m->fingerprint, &d) == MTOK_OK);
    mtok_diags_free(&d);
    return st;
}

/* ---- the host at a thread count ---- */

static void test_host_threads(void)
{
    char id[] = "host";
    struct mtok_hw base = {.id = id, .mem_bw = 1, .mem_bytes = 1e10};
    struct mtok_hw h;
    size_t n = sizeof host_rows / sizeof *host_rows;
    mtok_host_at_threads(&base, host_rows, n, 1, false, &h);
    CHECK(h.peak[MTOK_PEAK_FP32] == 200e9 && h.peak[MTOK_PEAK_BF16] == 3000e9 && h.mem_bw == 15e9);
    mtok_host_at_threads(&base, host_rows, n, 2, false, &h);
    CHECK(h.peak[MTOK_PEAK_FP32] == 400e9 && h.peak[MTOK_PEAK_BF16] == 6000e9 && h.mem_bw == 30e9);
    /* the vector units' peaks: no tile unit */
    mtok_host_at_threads(&base, host_rows, n, 1, true, &h);
    CHECK(h.peak[MTOK_PEAK_BF16] == 100e9 && h.peak[MTOK_PEAK_FP32] == 200e9);
    /* a thread count the ceilings did not measure keeps the entry's figures */
    mtok_host_at_threads(&base, host_rows, n, 7, false, &h);
    CHECK(h.mem_bw == 1 && h.peak[MTOK_PEAK_FP32] == 0);
}

/* ---- measurements calibrate the simulator, which then reproduces them ---- */

static struct mtok_op gemv(enum mtok_dtype dt, double n, double k)
{
    return mtok_op_gemm("gemv", 1, n, k, dt, MTOK_F32, MTOK_F32);
}

static void test_reproduce(void)
{
    struct mtok_catalog *cat = NULL;
    struct mtok_machine m;
    struct mtok_store *st = store_with_host("repro.db", &cat, &m);
    struct mtok_sim_defaults *def = NULL;
    struct mtok_diags d = {0};
    CHECK(mtok_sim_defaults_load(&def, NULL, &d) == MTOK_OK);
    if (!st || !cat || !def)
        return;
    struct mtok_error e = {0};
    struct mtok_predictor *p = NULL;
    CHECK(mtok_predictor_create(&p, st, cat, def, m.fingerprint, &e) == MTOK_OK);
    if (!p)
        return;
    CHECK(mtok_predictor_calib_run(p)[0] == '\0'); /* no bench run yet: the defaults */
    /* synthetic measurements: GEMVs at 70% of the DRAM roof plus 20 us, f32 GEMMs at 60% of the
     * FMA peak, an attention op far below its roof */
    struct {
        const char *name;
        struct mtok_op op;
        int threads;
        double ns;
    } meas[8];
    size_t nm = 0;
    double sizes[3] = {2048, 4096, 8192};
    for (int i = 0; i < 3; i++) {
        struct mtok_op op = gemv(MTOK_BF16, sizes[i], sizes[i]);
        double sol = mtok_op_bytes(&op) / 15e9 * 1e9;
        meas[nm].name = i == 0 ? "gemv/a" : i == 1 ? "gemv/b" : "gemv/c";
        meas[nm].op = op, meas[nm].threads = 1, meas[nm].ns = sol / 0.7 + 20e3;
        nm++;
    }
    for (int i = 0; i < 2; i++) {
        double s = i ? 1024 : 512;
        struct mtok_op op = mtok_op_gemm("gemm", s, s, s, MTOK_F32, MTOK_F32, MTOK_F32);
        meas[nm].name = i ? "gemm/b" : "gemm/a";
        meas[nm].op = op, meas[nm].threads = 1, meas[nm].ns = op.flops / 200e9 * 1e9 / 0.6;
        nm++;
    }
    struct mtok_attn_shape sh = {1, 1, 4096, 4096, 0, 64, 1, 512, 512, 584};
    struct mtok_op at = mtok_op_attention("attn", &sh, MTOK_F32, MTOK_F32);
    at.wdtype = MTOK_FP8;
    meas[nm].name = "attn/a", meas[nm].op = at, meas[nm].threads = 1, meas[nm].ns = 5e6;
    nm++;
    /* record them as a bench run's calibration points */
    struct mtok_machine_row mr = mtok_machine_row(&m);
    struct mtok_run_info info = {"bench", "default", NULL, &mr, NULL};
    struct mtok_run *run = mtok_run_create(&info);
    CHECK(mtok_store_run_begin(st, run) == MTOK_OK);
    for (size_t i = 0; i < nm; i++) {
        struct mtok_calib_point pt;
        CHECK(mtok_predictor_point(p, &meas[i].op, meas[i].threads, meas[i].ns, meas[i].name, &pt));
        /* the bound the kernel has with its own arithmetic at the vector peaks */
        if (!strcmp(meas[i].name, "attn/a") || !strncmp(meas[i].name, "gemm", 4))
            CHECK(pt.bound == MTOK_BOUND_COMPUTE);
        else
            CHECK(pt.bound == MTOK_BOUND_MEMORY && pt.dtype == MTOK_BF16);
        struct mtok_calib_row row = {.name = pt.name,
                                     .hw = "host",
                                     .threads = pt.threads,
                                     .op_kind = mtok_op_kind_name(pt.kind),
                                     .dtype = mtok_dtype_name(pt.dtype),
                                     .bound = mtok_bound_name(pt.bound),
                                     .size = pt.size,
                                     .utilisation = pt.utilisation,
                                     .compute_size = pt.compute_size,
                                     .memory_size = pt.memory_size,
                                     .sol_compute_ns = pt.sol_compute_ns,
                                     .sol_memory_ns = pt.sol_memory_ns,
                                     .latency_ns = pt.latency_ns,
                                     .measured_ns = pt.measured_ns};
        mtok_run_add_calib(run, &row);
    }
    CHECK(mtok_store_run_commit(st, run) == MTOK_OK);
    char uuid[33];
    mtok_strlcpy(uuid, mtok_run_uuid(run), sizeof uuid);
    mtok_run_destroy(run);
    mtok_predictor_destroy(p);

    /* a new predictor is calibrated by that run and reproduces every measurement */
    CHECK(mtok_predictor_create(&p, st, cat, def, m.fingerprint, &e) == MTOK_OK);
    if (!p)
        return;
    CHECK(strcmp(mtok_predictor_calib_run(p), uuid) == 0);
    for (size_t i = 0; i < nm; i++) {
        struct mtok_prediction pr;
        mtok_predictor_op(p, &meas[i].op, 1, &pr);
        CHECK_NEAR(pr.ns, meas[i].ns, 1e-9);
        CHECK_MSG(pr.prov == MTOK_PROV_MEASURED, "%s: %s", meas[i].name, mtok_prov_name(pr.prov));
        CHECK(pr.sol_ns < pr.ns);
    }
    /* between two measured sizes: interpolated in log(size), calibrated */
    struct mtok_op mid = gemv(MTOK_BF16, 2896, 2896);
    struct mtok_prediction pr;
    mtok_predictor_op(p, &mid, 1, &pr);
    CHECK(pr.prov == MTOK_PROV_CALIBRATED);
    double sol = mtok_op_bytes(&mid) / 15e9 * 1e9;
    /* between the two measured behaviours (log interpolation of the utilisation, not of the
     * synthetic overhead: a few microseconds apart) */
    CHECK(pr.ns > sol / 0.7 && pr.ns < sol / 0.7 + 30e3);
    /* another format of the same kind: the kind's median utilisation (calibrated) */
    struct mtok_op fp8 = gemv(MTOK_FP8, 4096, 4096);
    mtok_predictor_op(p, &fp8, 1, &pr);
    CHECK(pr.prov == MTOK_PROV_CALIBRATED && pr.bound == MTOK_BOUND_MEMORY);
    /* at 2 threads the points of the nearest thread count (1) apply to the 2-thread roofs */
    struct mtok_op big = meas[2].op;
    mtok_predictor_op(p, &big, 2, &pr);
    CHECK_NEAR(pr.sol_ns, mtok_op_bytes(&big) / 30e9 * 1e9, 1e-9);
    CHECK(pr.prov == MTOK_PROV_MEASURED);

    /* the simulator's own table for `mtok sim --hw host`: the same points */
    struct mtok_calib *c = mtok_calib_create();
    char got[33] = "";
    CHECK(mtok_host_calib_load(c, st, m.fingerprint, 1, got, &e) == MTOK_OK &&
          strcmp(got, uuid) == 0 && mtok_calib_count(c) >= 6);
    struct mtok_calib *c2 = mtok_calib_create();
    mtok_calib_merge(c2, c);
    CHECK(mtok_calib_count(c2) == mtok_calib_count(c));
    const struct mtok_hw *host = mtok_catalog_hw(cat, "host");
    struct mtok_hw h1;
    struct mtok_ceiling_row *rows = NULL;
    size_t nr = 0;
    struct mtok_run_summary cr;
    CHECK(mtok_store_run_latest(st, &(struct mtok_run_filter){.kind = "ceilings"}, &cr) == MTOK_OK);
    CHECK(mtok_store_ceilings(st, cr.id, &rows, &nr) == MTOK_OK);
    mtok_host_at_threads(host, rows, nr, 1, false, &h1);
    struct mtok_op canon = mtok_sim_op_canonical(def, &meas[4].op);
    struct mtok_op_cost cost;
    mtok_sim_op_cost(&canon, &h1, def, c2, false, &cost);
    CHECK_NEAR(cost.t_s * 1e9, meas[4].ns, 1e-9);
    free(rows);
    mtok_calib_destroy(c);
    mtok_calib_destroy(c2);
    CHECK(mtok_host_calib_load(c = mtok_calib_create(), st, "0000", 1, NULL, &e) == MTOK_ENOTFOUND);
    mtok_calib_destroy(c);

    /* the decode step of a model (the reference engine's config) on the calibrated host */
    const struct mtok_blob *b =
        mtok_embedded_find("data/engine/deepseek-v4-flash-mini_config.json");
    CHECK(b != NULL);
    if (b) {
        double pk[MTOK_OP_KIND_COUNT], sk[MTOK_OP_KIND_COUNT];
        CHECK(mtok_predictor_model(p, "mini", (const char *)b->data, 4096, 1, &pr, pk, sk, &e) ==
              MTOK_OK);
        double sum = 0, ssum = 0;
        for (int k = 0; k < MTOK_OP_KIND_COUNT; k++)
            sum += pk[k], ssum += sk[k];
        CHECK(pr.ns > pr.sol_ns && pr.sol_ns > 0);
        CHECK_NEAR(sum, pr.ns, 1e-6);
        CHECK_NEAR(ssum, pr.sol_ns, 1e-6);
        CHECK(pk[MTOK_OP_GEMM] > 0 && pk[MTOK_OP_GROUPED_GEMM] > 0 && pk[MTOK_OP_ATTENTION] > 0);
    }
    mtok_predictor_destroy(p);
    mtok_sim_defaults_destroy(def);
    mtok_store_close(st);
    mtok_catalog_destroy(cat);
    mtok_diags_free(&d);
}

/* ---- curves built from points ---- */

static void test_curves(void)
{
    struct mtok_calib_point pts[] = {
        {"a", 1, MTOK_OP_GEMM, MTOK_BF16, MTOK_BOUND_MEMORY, 1e6, 0.4, 0, 1e6, 0, 100, 0, 250},
        {"b", 1, MTOK_OP_GEMM, MTOK_BF16, MTOK_BOUND_MEMORY, 1e8, 0.8, 0, 1e8, 0, 1e4, 0, 12500},
        {"b2", 1, MTOK_OP_GEMM, MTOK_BF16, MTOK_BOUND_MEMORY, 1.001e8, 0.9, 0, 1e8, 0, 1e4, 0, 0},
        {"c", 2, MTOK_OP_GEMM, MTOK_BF16, MTOK_BOUND_MEMORY, 1e6, 0.1, 0, 1e6, 0, 100, 0, 1000},
        {"d", 1, MTOK_OP_ATTENTION, MTOK_FP8, MTOK_BOUND_COMPUTE, 1e7, 0.02, 1e7, 1e5, 50, 1, 0, 0},
    };
    size_t n = sizeof pts / sizeof *pts;
    struct mtok_calib *c = mtok_calib_create();
    size_t added = mtok_calib_from_points(c, "host", pts, n, 1, SIZE_MAX, "test");
    /* curves: gemm/bf16/memory (2 sizes, b and b2 merged), attention/fp8/compute; medians: gemm
     * memory, attention compute, memory overall, compute overall */
    CHECK(added == 3 + 4);
    struct mtok_util u =
        mtok_calib_lookup(c, "host", MTOK_OP_GEMM, MTOK_BF16, MTOK_BOUND_MEMORY, 1e8);
    CHECK_NEAR(u.u, sqrt(0.8 * 0.9), 1e-12); /* merged: geometric mean */
    CHECK(u.prov == MTOK_PROV_MEASURED);
    u = mtok_calib_lookup(c, "host", MTOK_OP_GEMM, MTOK_BF16, MTOK_BOUND_MEMORY, 1e7);
    CHECK_NEAR(u.u, 0.4 + 0.5 * (sqrt(0.72) - 0.4), 1e-12);
    CHECK(u.prov == MTOK_PROV_CALIBRATED);
    u = mtok_calib_lookup(c, "host", MTOK_OP_GEMM, MTOK_INT8, MTOK_BOUND_MEMORY, 1e7);
    CHECK(u.prov == MTOK_PROV_CALIBRATED && u.u > 0.4 && u.u < 0.9); /* the kind's median */
    u = mtok_calib_lookup(c, "host", MTOK_OP_SCAN, MTOK_F32, MTOK_BOUND_COMPUTE, 1e7);
    CHECK(u.prov == MTOK_PROV_CALIBRATED && u.u == 0.02); /* the roof's median */
    u = mtok_calib_lookup(c, "h100-sxm", MTOK_OP_GEMM, MTOK_BF16, MTOK_BOUND_MEMORY, 1e8);
    CHECK(u.prov == MTOK_PROV_SOL); /* other hardware: untouched */
    enum mtok_prov prov;
    CHECK_NEAR(mtok_calib_point_predict(c, "host", &pts[4], &prov), 50 / 0.02, 1e-12);
    CHECK(prov == MTOK_PROV_MEASURED);
    mtok_calib_destroy(c);
    /* the 2-thread table has only point c; leaving a point out removes it */
    c = mtok_calib_create();
    mtok_calib_from_points(c, "host", pts, n, 2, SIZE_MAX, "test");
    u = mtok_calib_lookup(c, "host", MTOK_OP_GEMM, MTOK_BF16, MTOK_BOUND_MEMORY, 1e8);
    CHECK_NEAR(u.u, 0.1, 1e-12);
    mtok_calib_destroy(c);
    c = mtok_calib_create();
    mtok_calib_from_points(c, "host", pts, n, 1, 0, "test");
    u = mtok_calib_lookup(c, "host", MTOK_OP_GEMM, MTOK_BF16, MTOK_BOUND_MEMORY, 1e6);
    CHECK(u.prov == MTOK_PROV_CALIBRATED && fabs(u.u - sqrt(0.72)) < 1e-12); /* one point left */
    mtok_calib_destroy(c);
    /* stored rows parse into points; a row with an unknown key is dropped */
    struct mtok_calib_row rows[] = {
        {"x", "host", 1, "gemm", "bf16", "memory", 1e6, 0.5, 1, 1e6, 1, 100, 3000, 200},
        {"y", "host", 1, "gemm", "bf17", "memory", 1e6, 0.5, 1, 1e6, 1, 100, 0, 200},
        {"z", "host", 1, "warp", "bf16", "memory", 1e6, 0.5, 1, 1e6, 1, 100, 0, 200},
    };
    struct mtok_calib_point *pp = NULL;
    CHECK(mtok_calib_points(rows, 3, &pp) == 1 && pp[0].kind == MTOK_OP_GEMM &&
          pp[0].latency_ns == 3000 && !strcmp(pp[0].name, "x"));
    free(pp);
}

/* ---- accuracy ---- */

static void add_points_run(struct mtok_store *st, const struct mtok_machine *m, double scale)
{
    struct mtok_machine_row mr = mtok_machine_row(m);
    struct mtok_run_info info = {"bench", "acc", NULL, &mr, NULL};
    struct mtok_run *run = mtok_run_create(&info);
    CHECK(mtok_store_run_begin(st, run) == MTOK_OK);
    /* a memory curve at constant utilisation 0.5: times 2 x the roof (x scale) */
    for (int i = 0; i < 4; i++) {
        double bytes = 1e6 * pow(4, i), sol = bytes / 10; /* ns at 10 GB/s */
        char name[32];
        snprintf(name, sizeof name, "gemv/%d", i);
        double t = 2 * sol * scale;
        struct mtok_calib_row r = {name,    "host",       1,     "gemm", "bf16", "memory", bytes,
                                   sol / t, bytes / 1000, bytes, 1,      sol,    0,        t};
        mtok_run_add_calib(run, &r);
    }
    CHECK(mtok_store_run_commit(st, run) == MTOK_OK);
    mtok_run_destroy(run);
}

static void test_accuracy(void)
{
    double meas[] = {100, 100, 100, 100}, pred[] = {110, 90, 100, NAN};
    struct mtok_accuracy_stats s = mtok_accuracy_stats_of(pred, meas, 4);
    CHECK(s.n == 3 && fabs(s.median - 0.1) < 1e-12 && fabs(s.worst - 0.1) < 1e-12);
    s = mtok_accuracy_stats_of(pred, meas, 0);
    CHECK(s.n == 0 && isnan(s.median));

    char db[600];
    snprintf(db, sizeof db, "%s/acc.db", tmpdir);
    struct mtok_store *st = NULL;
    struct mtok_error e = {0};
    CHECK(mtok_store_open(&st, db, &e) == MTOK_OK);
    if (!st)
        return;
    struct mtok_machine m;
    mtok_machine_detect(&m);
    struct mtok_accuracy *a = NULL;
    CHECK(mtok_accuracy_compute(st, m.fingerprint, "acc", NULL, &a, &e) == MTOK_ENOTFOUND);
    add_points_run(st, &m, 1.0);
    add_points_run(st, &m, 1.1); /* the later run is 10% slower */
    CHECK(mtok_accuracy_compute(st, m.fingerprint, "acc", NULL, &a, &e) == MTOK_OK);
    if (a) {
        CHECK(a->n == 4 && a->base_run[0] && strcmp(a->run, a->base_run) != 0);
        CHECK(a->in.n == 4 && a->in.worst < 1e-12);
        CHECK(a->loo.n == 4 && a->loo.worst < 1e-12); /* a flat curve predicts its points */
        CHECK(a->cross.n == 4 && fabs(a->cross.median - (1 - 1 / 1.1)) < 1e-9);
        CHECK_NEAR(a->rows[0].sol_ns, a->rows[0].measured_ns / 2.2, 1e-9); /* SOL: the roof */
    }
    mtok_accuracy_destroy(a);
    mtok_store_close(st);
}

/* ---- suite files ---- */

static bool has(const struct mtok_bench_suite *s, const char *prefix)
{
    char name[256];
    for (size_t i = 0; i < mtok_bench_suite_count(s); i++) {
        mtok_bench_case_name(mtok_bench_suite_at(s, i), name, sizeof name);
        if (!strncmp(name, prefix, strlen(prefix)))
            return true;
    }
    return false;
}

static void test_suite_files(void)
{
    struct mtok_catalog *cat = NULL;
    struct mtok_sim_defaults *def = NULL;
    struct mtok_diags d = {0};
    CHECK(mtok_catalog_open(&cat, NULL, &d) == MTOK_OK);
    CHECK(mtok_sim_defaults_load(&def, NULL, &d) == MTOK_OK);
    struct mtok_machine m;
    mtok_machine_detect(&m);
    struct mtok_bench_load_opts lo = {.cat = cat, .sim = def, .threads_all = 2};
    char **names = NULL;
    size_t n = mtok_bench_suite_names(NULL, &names);
    static const char *const want[] = {"default", "llama-3.1-70b", "quick",
                                       "v3.2",    "v4-flash",      "v4-pro"};
    CHECK(n == 6);
    for (size_t i = 0; i < n && i < 6; i++)
        CHECK_MSG(!strcmp(names[i], want[i]), "%s", names[i]);
    for (size_t i = 0; i < n; i++) {
        struct mtok_bench_suite *s = NULL;
        CHECK_MSG(mtok_bench_suite_load(&s, names[i], &m, &lo, &d) == MTOK_OK, "%s: %s", names[i],
                  d.n ? d.lines[0] : "");
        if (s) {
            CHECK(mtok_bench_suite_count(s) >= 10 && !strcmp(mtok_bench_suite_name(s), names[i]));
            for (size_t k = 0; k < mtok_bench_suite_count(s); k++) {
                const struct mtok_bench_case *c = mtok_bench_suite_at(s, k);
                char a[256], b[256];
                mtok_bench_case_name(c, a, sizeof a);
                CHECK_MSG(c->op.flops > 0 || mtok_op_bytes(&c->op) > 0 || c->model_json, "%s", a);
                enum mtok_dtype dt;
                CHECK_MSG(!strcmp(c->dtype, "mixed") || mtok_dtype_parse(c->dtype, &dt) == MTOK_OK,
                          "%s", a);
                for (size_t j = 0; j < k; j++) {
                    mtok_bench_case_name(mtok_bench_suite_at(s, j), b, sizeof b);
                    CHECK_MSG(strcmp(a, b) != 0, "duplicate %s", a);
                }
            }
        }
        if (s && !strcmp(names[i], "default")) {
            /* the kernel issue's benchmark shapes, under the dtype names */
            CHECK(has(s, "gemm/f32/2048x2048x2048/") && has(s, "gemm/bf16/2048x2048x2048/"));
            CHECK(has(s, "gemv/bf16/4096x14336/") && has(s, "gemv/fp8/4096x14336/") &&
                  has(s, "gemv/mxfp4/4096x14336/") && has(s, "gemv/nvfp4/4096x14336/") &&
                  has(s, "gemv/int8/"));
            CHECK(has(s, "attn_gqa/bf16/ctx=32768,") && has(s, "attn_v4/fp8/csa,ctx=32768,"));
            CHECK(has(s, "engine_decode/mixed/deepseek-v4-flash-mini,ctx=4096/"));
        }
        if (s && !strcmp(names[i], "v4-pro")) /* 384 experts of 7168 x 3072 at 512 tokens */
            CHECK(has(s, "moe_gemm/mxfp4/gate_up,t=512,e=384,k=6,6144x7168/") &&
                  has(s, "gemv/fp8/") && has(s, "gemv/bf16/") && has(s, "indexer/mxfp4/") &&
                  has(s, "attn_v4/fp8/hca,ctx=131072,h=128,"));
        if (s && !strcmp(names[i], "llama-3.1-70b"))
            CHECK(has(s, "gemv/bf16/") && has(s, "gemm/nvfp4/512x") &&
                  has(s, "attn_gqa/bf16/ctx=131072,h=64,kv=8,d=128/"));
        mtok_bench_suite_destroy(s);
        free(names[i]);
    }
    free(names);
    /* --threads overrides the suite's thread counts */
    struct mtok_bench_suite *s = NULL;
    lo.threads = 2;
    CHECK(mtok_bench_suite_load(&s, "quick", &m, &lo, &d) == MTOK_OK && s &&
          mtok_bench_suite_at(s, 0)->threads == 2);
    mtok_bench_suite_destroy(s);
    lo.threads = 0;
    /* malformed suites: one FILE: FIELD: problem line each */
    static const struct {
        const char *json, *field;
    } bad[] = {
        {"{\"bench\": \"x\", \"description\": \"d\", \"source\": \"s\", \"date\": \"2026\", "
         "\"uncertain\": false, \"cases\": [{\"kernel\": \"gemv\", \"dtype\": \"fp9\", "
         "\"shape\": [[4, 4]]}]}",
         "cases[0].dtype"},
        {"{\"bench\": \"x\", \"description\": \"d\", \"source\": \"s\", \"date\": \"2026\", "
         "\"uncertain\": false, \"cases\": [{\"kernel\": \"fft\"}]}",
         "cases[0].kernel"},
        {"{\"bench\": \"x\", \"description\": \"d\", \"source\": \"s\", \"date\": \"2026\", "
         "\"uncertain\": false, \"cases\": [{\"kernel\": \"gemm\", \"dtype\": \"f32\", "
         "\"shape\": [[4, 4]]}]}",
         "cases[0].shape"},
        {"{\"bench\": \"x\", \"description\": \"d\", \"source\": \"s\", \"date\": \"2026\", "
         "\"uncertain\": false, \"cases\": [{\"kernel\": \"attn_gqa\", \"ctx\": [64], "
         "\"heads\": 6, \"kv_heads\": 4}]}",
         "cases[0].heads"},
        {"{\"bench\": \"x\", \"description\": \"d\", \"source\": \"s\", \"date\": \"2026\", "
         "\"uncertain\": false, \"cases\": [], \"colour\": 1}",
         "colour"},
        {"{\"bench\": \"x\", \"description\": \"d\", \"source\": \"s\", \"date\": \"2026\", "
         "\"uncertain\": false, \"cases\": [{\"model\": \"gpt-7\"}]}",
         "cases[0].model"},
        {"{\"bench\": \"x\", \"description\": \"d\", \"source\": \"s\", \"date\": \"2026\", "
         "\"uncertain\": false, \"threads\": [0], \"cases\": [{\"kernel\": \"attn_mla\", "
         "\"ctx\": 64}]}",
         "threads"},
        {"{\"bench\": \"X Y\", \"cases\": [{\"kernel\": \"engine_decode\", \"config\": "
         "\"/nonexistent.json\", \"ctx\": 1}]}",
         "cases[0].config"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct mtok_diags bd = {0};
        s = NULL;
        CHECK(mtok_bench_suite_parse(&s, "bad.json", bad[i].json, strlen(bad[i].json), &m, &lo,
                                     &bd) == MTOK_EINVAL &&
              !s);
        char want_line[128];
        snprintf(want_line, sizeof want_line, "bad.json: %s:", bad[i].field);
        bool found = false;
        for (size_t k = 0; k < bd.n; k++)
            found |= strncmp(bd.lines[k], want_line, strlen(want_line)) == 0;
        CHECK_MSG(found, "%zu: %s", i, bd.n ? bd.lines[0] : "(no diagnostic)");
        mtok_diags_free(&bd);
    }
    struct mtok_diags bd = {0};
    CHECK(mtok_bench_suite_load(&s, "nope", &m, &lo, &bd) == MTOK_ENOTFOUND);
    CHECK(mtok_bench_suite_load(&s, "smoke", &m, &lo, &bd) == MTOK_EINVAL); /* a sweep suite */
    mtok_diags_free(&bd);
    mtok_sim_defaults_destroy(def);
    mtok_catalog_destroy(cat);
    mtok_diags_free(&d);
}

/* ---- end to end through the CLI ---- */

static void test_cli_end_to_end(void)
{
    char db[600], suite[600], config[700];
    snprintf(db, sizeof db, "%s/cli.db", tmpdir);
    snprintf(config, sizeof config, "%s/tests/data/engine/v4-tiny_config.json", test_source_dir());
    snprintf(suite, sizeof suite, "%s/engine.json", tmpdir);
    FILE *f = fopen(suite, "w");
    CHECK(f != NULL);
    if (!f)
        return;
    fprintf(f,
            "{\"bench\": \"engine-test\", \"description\": \"the tiny engine\", \"threads\": [1],"
            " \"cases\": [{\"kernel\": \"engine_decode\", \"config\": \"%s\", \"ctx\": [64]},"
            " {\"kernel\": \"gemv\", \"dtype\": \"mxfp4\", \"shape\": [[256, 512]]}],"
            " \"rotate_mib\": 4, \"source\": \"test\", \"date\": \"2026-11\", \"uncertain\": "
            "false}",
            config);
    fclose(f);
    char *ceil[] = {
        ARG("mtok"), ARG("ceilings"), ARG("--quick"), ARG("--max-mib"), ARG("32"), ARG("--db"), db,
        NULL};
    CHECK_MSG(run_cli(ceil) == 0, "%s", err);
    /* the quick suite twice: the second run is predicted with the first one's calibration */
    for (int pass = 0; pass < 2; pass++) {
        char *bench[] = {ARG("mtok"),
                         ARG("bench"),
                         ARG("--suite"),
                         ARG("quick"),
                         ARG("--quick"),
                         ARG("--json"),
                         ARG("--db"),
                         db,
                         NULL};
        CHECK_MSG(run_cli(bench) == 0, "%s", err);
        cJSON *a = cJSON_Parse(out);
        CHECK(cJSON_IsArray(a) && cJSON_GetArraySize(a) >= 10);
        const cJSON *e;
        size_t calibrated = 0;
        cJSON_ArrayForEach(e, a)
        {
            static const char *const keys[] = {"kernel",       "dtype",     "shape",  "threads",
                                               "median_ns",    "mad_ns",    "gflops", "gbytes_s",
                                               "predicted_ns", "provenance"};
            for (int k = 0; k < 10; k++)
                CHECK_MSG(cJSON_GetObjectItem(e, keys[k]) != NULL, "%s", keys[k]);
            CHECK(cJSON_GetObjectItem(e, "median_ns")->valuedouble > 0);
            CHECK(cJSON_GetObjectItem(e, "predicted_ns")->valuedouble > 0);
            const cJSON *p = cJSON_GetObjectItem(e, "provenance");
            CHECK(cJSON_IsString(p));
            if (cJSON_IsString(p) &&
                (!strcmp(p->valuestring, "measured") || !strcmp(p->valuestring, "calibrated")))
                calibrated++;
        }
        CHECK(pass == 0 ? calibrated == 0 : calibrated >= 10);
        cJSON_Delete(a);
    }
    char *acc[] = {ARG("mtok"),
                   ARG("bench"),
                   ARG("--suite"),
                   ARG("quick"),
                   ARG("--accuracy"),
                   ARG("--json"),
                   ARG("--db"),
                   db,
                   NULL};
    CHECK_MSG(run_cli(acc) == 0, "%s", err);
    cJSON *o = cJSON_Parse(out);
    const cJSON *ae = cJSON_GetObjectItem(o, "abs_error");
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(o, "rows")) >= 10);
    CHECK(cJSON_GetObjectItem(cJSON_GetObjectItem(ae, "in_sample"), "median")->valuedouble < 0.05);
    CHECK(cJSON_GetObjectItem(cJSON_GetObjectItem(ae, "cross_run"), "n")->valuedouble >= 10);
    cJSON_Delete(o);
    char *acc_text[] = {
        ARG("mtok"), ARG("bench"), ARG("--suite"), ARG("quick"), ARG("--accuracy"), ARG("--db"),
        db,          NULL};
    CHECK(run_cli(acc_text) == 0 && strstr(out, "leave-one-out") && strstr(out, "cross-run"));

    /* mtok sim --hw host: the measured entry with this machine's calibration (the quick runs) */
    char *sim[] = {ARG("mtok"),   ARG("sim"),  ARG("--model"), ARG("deepseek-v4-flash"),
                   ARG("--hw"),   ARG("host"), ARG("--db"),    db,
                   ARG("--json"), NULL};
    CHECK_MSG(run_cli(sim) == 0, "%s", err);
    o = cJSON_Parse(out);
    const cJSON *prov = cJSON_GetObjectItem(o, "provenance");
    CHECK_MSG(cJSON_IsString(prov) && (!strcmp(prov->valuestring, "calibrated") ||
                                       !strcmp(prov->valuestring, "measured")),
              "%s", cJSON_IsString(prov) ? prov->valuestring : "?");
    cJSON_Delete(o);

    /* the engine's decode step: its result and one result per op, predicted */
    char *eng[] = {ARG("mtok"), ARG("bench"), ARG("--suite"), suite, ARG("--quick"), ARG("--db"),
                   db,          NULL};
    CHECK_MSG(run_cli(eng) == 0, "%s", err);
    CHECK(strstr(out, "engine decode v4-tiny,ctx=64") && strstr(out, "by op kind") &&
          strstr(out, "moe_gate_up"));
    struct mtok_store *st = NULL;
    struct mtok_error e = {0};
    CHECK(mtok_store_open(&st, db, &e) == MTOK_OK);
    struct mtok_run_summary run;
    CHECK(mtok_store_run_latest(st,
                                &(struct mtok_run_filter){.kind = "bench", .suite = "engine-test"},
                                &run) == MTOK_OK);
    struct mtok_stored_result *res = NULL;
    size_t n = 0;
    CHECK(mtok_store_results(st, run.id, &res, &n) == MTOK_OK);
    double step = 0, parts = 0;
    size_t nparts = 0, kinds = 0;
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(res[i].kernel, "engine_decode")) {
            step = res[i].median_ns;
            CHECK(res[i].predicted_ns > 0 && res[i].flops > 0 && res[i].bytes > 0);
        } else if (!strcmp(res[i].kernel, "engine_decode_op")) {
            nparts++;
            parts += res[i].median_ns;
            CHECK(res[i].n_samples == 1 && res[i].predicted_ns > 0);
            kinds += strstr(res[i].shape, ":attention:") != NULL;
        }
    }
    CHECK(step > 0 && nparts >= 20 && kinds >= 3);
    /* the ops account for the step: a loose bound, since both are timings of a tiny model taken
     * on a machine that may be busy with other tests (the figures themselves belong to benchmarks) */
    CHECK_MSG(parts > 0.2 * step && parts < 5 * step, "parts %.0f ns, step %.0f ns", parts, step);
    /* only the single op calibrates: the step and its parts do not */
    struct mtok_calib_row *cr = NULL;
    size_t nc = 0;
    CHECK(mtok_store_calibration(st, run.id, &cr, &nc) == MTOK_OK && nc == 1 &&
          !strncmp(cr[0].name, "gemv/mxfp4/256x512/", 19));
    free(cr);
    mtok_store_results_free(res, n);
    mtok_store_close(st);
}

int main(void)
{
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    setenv("MTOK_DB", "/nonexistent/mtok.db", 1);
    test_host_threads();
    test_curves();
    test_reproduce();
    test_accuracy();
    test_suite_files();
    test_cli_end_to_end();
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    return test_status("test_calib");
}
