/* store: round trip, migration from an empty file, refusal of foreign/newer files, concurrent
 * writers losing no row, interrupted runs reaped as incomplete, idempotent merge, the schema v2
 * columns and the run/result queries. */
#define _POSIX_C_SOURCE 200809L
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/schema.h"
#include "store/store.h"
#include "test.h"

static char tmpdir[] = "/tmp/mtok-store-XXXXXX";

static const char *tmp_path(const char *name)
{
    static char buf[8][512];
    static int slot;
    char *p = buf[slot++ % 8];
    snprintf(p, 512, "%s/%s", tmpdir, name);
    return p;
}

static int64_t count(const char *db, const char *sql)
{
    sqlite3 *h;
    int64_t n = -1;
    if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_stmt *s;
        if (sqlite3_prepare_v2(h, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
            n = sqlite3_column_int64(s, 0);
        sqlite3_finalize(s);
    }
    sqlite3_close(h);
    return n;
}

/* First column of the first row as text ("" when none). */
static const char *text(const char *db, const char *sql)
{
    static char buf[256];
    buf[0] = '\0';
    sqlite3 *h;
    if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK) {
        sqlite3_stmt *s;
        if (sqlite3_prepare_v2(h, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW &&
            sqlite3_column_text(s, 0))
            snprintf(buf, sizeof buf, "%s", (const char *)sqlite3_column_text(s, 0));
        sqlite3_finalize(s);
    }
    sqlite3_close(h);
    return buf;
}

static const struct mtok_machine_row machine_a = {"fp-aaaa", "host-a", "Test CPU", "avx2", "Linux",
                                                  2, 24e9};
static const struct mtok_machine_row machine_b = {"fp-bbbb", "host-b", "Other CPU", "avx512",
                                                  "Linux", 8, 64e9};
static const struct mtok_build_row build_a = {"0123456789abcdef", false, "gcc 12", "-O2", "avx512",
                                              "0.1.0"};

/* One complete run with `n` results of 3 samples, 1 counter, a ceiling, 2 sims with costs and a
 * price row. */
static enum mtok_status write_run(struct mtok_store *st, const struct mtok_machine_row *m, int n,
                                  const char *tag)
{
    struct mtok_run_info info = {"test", "unit", tag, m, &build_a};
    struct mtok_run *run = mtok_run_create(&info);
    enum mtok_status s = mtok_store_run_begin(st, run);
    if (s != MTOK_OK) {
        mtok_run_destroy(run);
        return s;
    }
    for (int i = 0; i < n; i++) {
        char name[64];
        snprintf(name, sizeof name, "gemm/f32/%d", i);
        struct mtok_result_row r = {.name = name, .kernel = "gemm", .dtype = "f32",
                                    .shape = "64x64x64", .variant = "ref", .threads = 1,
                                    .min_ns = 90, .median_ns = 100 + i, .mad_ns = 2,
                                    .flops = 2.0 * 64 * 64 * 64, .bytes = 3 * 64 * 64 * 4,
                                    .predicted_ns = 95, .provenance = "sol"};
        size_t ri = mtok_run_add_result(run, &r);
        for (int k = 0; k < 3; k++)
            mtok_run_add_sample(run, ri, 100 + i + k);
        mtok_run_add_counter(run, ri, "PAPI_FP_OPS", 0, false, "no PMU");
    }
    struct mtok_ceiling_row c = {"flops", "fp32", NULL, 1, 0, 1e11, "FLOP/s"};
    mtok_run_add_ceiling(run, &c);
    /* schema v4: a calibration point per result */
    for (int i = 0; i < n; i++) {
        char name[64];
        snprintf(name, sizeof name, "gemm/f32/%d", i);
        struct mtok_calib_row cr = {name, "host", 1,     "gemm", "f32", "compute", 5.2e5,
                                    0.5,  5.2e5,  49152, 2.6,    3.1,   3000,      100 + i};
        mtok_run_add_calib(run, &cr);
    }
    for (int i = 0; i < 2; i++) {
        char key[32];
        snprintf(key, sizeof key, "point-%d", i);
        struct mtok_sim_row sim = {.key = key, .model = "llama-3.1-8b", .hw = "h100-sxm",
                                   .deployment = "{\"tp\":1}", .fits = true, .tpot_s = 0.01,
                                   .tok_s_per_gpu = 1000, .provenance = "sol"};
        size_t si = mtok_run_add_sim(run, &sim);
        struct mtok_cost_row cost = {"hyperscaler", 1.3, 0.1, 0.01, 0.5, 0.3};
        mtok_run_add_cost(run, si, &cost);
    }
    struct mtok_price_row p = {"x/list", "X", "x", NULL, "list", "2026-01-01", NULL, "USD",
                               1, NAN, 2, "test"};
    mtok_run_add_price(run, &p);
    s = mtok_store_run_commit(st, run);
    mtok_run_destroy(run);
    return s;
}

static void test_round_trip(void)
{
    const char *db = tmp_path("rt.db");
    struct mtok_error err = {0};
    struct mtok_store *st = NULL;
    CHECK(mtok_store_open(&st, db, &err) == MTOK_OK);
    if (!st)
        return;
    CHECK(mtok_store_schema_version(st) == MTOK_STORE_SCHEMA_VERSION);
    CHECK(write_run(st, &machine_a, 5, "a") == MTOK_OK);
    CHECK(write_run(st, &machine_a, 5, "b") == MTOK_OK);
    mtok_store_close(st);
    CHECK(count(db, "SELECT count(*) FROM machine") == 1);
    CHECK(count(db, "SELECT count(*) FROM build") == 1);
    CHECK(count(db, "SELECT count(*) FROM run WHERE status = 'complete'") == 2);
    CHECK(count(db, "SELECT count(*) FROM result") == 10);
    CHECK(count(db, "SELECT count(*) FROM sample") == 30);
    CHECK(count(db, "SELECT sum(n_samples) FROM result") == 30);
    CHECK(count(db, "SELECT count(*) FROM counter WHERE available = 0 AND value IS NULL") == 10);
    CHECK(count(db, "SELECT count(*) FROM ceiling") == 2);
    CHECK(count(db, "SELECT count(*) FROM simulation") == 4);
    CHECK(count(db, "SELECT count(*) FROM cost") == 4);
    CHECK(count(db, "SELECT count(*) FROM price_snapshot WHERE per_m_cached_input IS NULL") == 2);
    CHECK(count(db, "SELECT median_ns FROM result WHERE name = 'gemm/f32/4' LIMIT 1") == 104);
    /* Samples keep their order. */
    CHECK(count(db, "SELECT ns FROM sample s JOIN result r ON r.id = s.result_id WHERE r.name = "
                    "'gemm/f32/2' AND s.idx = 2 LIMIT 1") == 104);
    CHECK(strcmp(text(db, "PRAGMA journal_mode"), "wal") == 0);
    CHECK(strcmp(text(db, "PRAGMA integrity_check"), "ok") == 0);
}

static void test_migration_and_refusals(void)
{
    /* An empty file is a valid empty database: it migrates to the current schema. */
    const char *db = tmp_path("empty.db");
    FILE *f = fopen(db, "w");
    fclose(f);
    struct mtok_error err = {0};
    struct mtok_store *st = NULL;
    CHECK(mtok_store_open(&st, db, &err) == MTOK_OK);
    CHECK(st && mtok_store_schema_version(st) == MTOK_STORE_SCHEMA_VERSION);
    mtok_store_close(st);
    CHECK(count(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table'") >= 10);

    /* Re-opening an up-to-date database changes nothing. */
    CHECK(mtok_store_open(&st, db, &err) == MTOK_OK);
    mtok_store_close(st);

    /* A file that is not SQLite is refused with its path in the message. */
    const char *junk = tmp_path("junk.db");
    f = fopen(junk, "w");
    fputs("this is not a database, just text that is long enough to look like a header....", f);
    fclose(f);
    st = NULL;
    CHECK(mtok_store_open(&st, junk, &err) == MTOK_EDB && st == NULL);
    CHECK(strstr(err.msg, junk) != NULL);

    /* A database from a newer mtok is refused, not downgraded. */
    const char *newer = tmp_path("newer.db");
    sqlite3 *h;
    sqlite3_open(newer, &h);
    sqlite3_exec(h, "PRAGMA user_version = 99", NULL, NULL, NULL);
    sqlite3_close(h);
    CHECK(mtok_store_open(&st, newer, &err) == MTOK_EINVAL && st == NULL);
    CHECK(strstr(err.msg, "newer") != NULL);

    /* A directory that does not exist: a clean error, no crash. */
    CHECK(mtok_store_open(&st, "/nonexistent-dir/x/y.db", &err) == MTOK_EDB);
}

/* Several processes writing one database at once lose no row and never fail on a lock. They all
 * start on a database that does not exist yet (so they race to create and migrate it); half keep
 * one handle, half reopen the store for every run (so opens, reaps and commits interleave). */
static void test_concurrent_writers(int procs, int runs_each)
{
    const char *db = tmp_path("conc.db");
    pid_t pids[16];
    for (int p = 0; p < procs; p++) {
        pids[p] = fork();
        if (pids[p] == 0) {
            struct mtok_error err = {0};
            struct mtok_store *st = NULL;
            int bad = 0;
            for (int r = 0; r < runs_each; r++) {
                if (!st && mtok_store_open(&st, db, &err) != MTOK_OK) {
                    fprintf(stderr, "child %d: %s\n", p, err.msg);
                    _exit(1);
                }
                if (write_run(st, p % 2 ? &machine_b : &machine_a, 4, "conc") != MTOK_OK) {
                    fprintf(stderr, "child %d: %s\n", p, mtok_store_errmsg(st));
                    bad++;
                }
                if (p % 2) {
                    mtok_store_close(st);
                    st = NULL;
                }
            }
            mtok_store_close(st);
            _exit(bad ? 1 : 0);
        }
    }
    int failed = 0;
    for (int p = 0; p < procs; p++) {
        int status = 0;
        waitpid(pids[p], &status, 0);
        failed += !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    CHECK_MSG(failed == 0, "%d writer processes failed (a lock error?)", failed);
    int64_t runs = (int64_t)procs * runs_each;
    /* per run: 4 results, 12 samples, 4 counters, 1 ceiling, 2 simulations, 2 costs, 1 price */
    int64_t want = runs * (4 + 12 + 4 + 1 + 2 + 2 + 1);
    int64_t have = count(db, "SELECT (SELECT count(*) FROM result) + (SELECT count(*) FROM sample)"
                             " + (SELECT count(*) FROM counter) + (SELECT count(*) FROM ceiling)"
                             " + (SELECT count(*) FROM simulation) + (SELECT count(*) FROM cost)"
                             " + (SELECT count(*) FROM price_snapshot)");
    CHECK(count(db, "SELECT count(*) FROM run WHERE status = 'complete'") == runs);
    CHECK(count(db, "SELECT count(*) FROM result") == runs * 4);
    CHECK(count(db, "SELECT count(*) FROM sample") == runs * 12);
    CHECK(count(db, "SELECT count(*) FROM simulation") == runs * 2);
    CHECK(count(db, "SELECT count(*) FROM machine") == (procs > 1 ? 2 : 1));
    CHECK(have == want);
    CHECK(strcmp(text(db, "PRAGMA integrity_check"), "ok") == 0);
    printf("concurrent writers: %d processes, %lld runs, %lld rows, rows lost: %lld, "
           "failed writers: %d\n", procs, (long long)runs, (long long)have,
           (long long)(want - have), failed);
}

/* A run whose process dies before commit reads as incomplete and leaves no rows. */
static void test_reap(void)
{
    const char *db = tmp_path("reap.db");
    pid_t pid = fork();
    if (pid == 0) {
        struct mtok_error err = {0};
        struct mtok_store *st = NULL;
        if (mtok_store_open(&st, db, &err) != MTOK_OK)
            _exit(1);
        struct mtok_run_info info = {"bench", NULL, NULL, &machine_a, &build_a};
        struct mtok_run *run = mtok_run_create(&info);
        mtok_store_run_begin(st, run);
        struct mtok_result_row r = {.name = "x", .kernel = "x"};
        mtok_run_add_result(run, &r);
        _exit(0); /* dies without committing */
    }
    int status;
    waitpid(pid, &status, 0);
    CHECK(count(db, "SELECT count(*) FROM run WHERE status = 'running'") == 1);
    struct mtok_error err = {0};
    struct mtok_store *st = NULL;
    CHECK(mtok_store_open(&st, db, &err) == MTOK_OK);
    mtok_store_close(st);
    CHECK(count(db, "SELECT count(*) FROM run WHERE status = 'incomplete'") == 1);
    CHECK(count(db, "SELECT count(*) FROM result") == 0);
}

static void test_merge(void)
{
    const char *a = tmp_path("a.db"), *b = tmp_path("b.db"), *c = tmp_path("c.db");
    struct mtok_error err = {0};
    struct mtok_store *st = NULL;
    CHECK(mtok_store_open(&st, a, &err) == MTOK_OK);
    for (int i = 0; i < 3; i++)
        CHECK(write_run(st, &machine_a, 3, "a") == MTOK_OK);
    mtok_store_close(st);
    CHECK(mtok_store_open(&st, b, &err) == MTOK_OK);
    for (int i = 0; i < 2; i++)
        CHECK(write_run(st, &machine_b, 2, "b") == MTOK_OK);
    mtok_store_close(st);

    CHECK(mtok_store_open(&st, c, &err) == MTOK_OK);
    if (!st)
        return;
    struct mtok_merge_stats ms;
    CHECK(mtok_store_merge(st, a, &ms) == MTOK_OK && ms.runs_added == 3 && ms.runs_skipped == 0);
    CHECK(mtok_store_merge(st, b, &ms) == MTOK_OK && ms.runs_added == 2);
    const char *names[16];
    int64_t first[16], second[16];
    size_t n = mtok_store_table_counts(st, names, first, 16);
    /* Merging again, in either order, adds nothing. */
    CHECK(mtok_store_merge(st, a, &ms) == MTOK_OK && ms.runs_added == 0 && ms.runs_skipped == 3 &&
          ms.rows_added == 0);
    CHECK(mtok_store_merge(st, b, &ms) == MTOK_OK && ms.runs_added == 0 && ms.rows_added == 0);
    mtok_store_table_counts(st, names, second, 16);
    for (size_t i = 0; i < n; i++)
        CHECK_MSG(first[i] == second[i], "%s: %lld then %lld", names[i], (long long)first[i],
                  (long long)second[i]);
    CHECK(mtok_store_merge(st, c, &ms) == MTOK_EINVAL);
    CHECK(mtok_store_merge(st, tmp_path("missing.db"), &ms) == MTOK_EIO);
    mtok_store_close(st);
    CHECK(count(c, "SELECT count(*) FROM run") == 5);
    CHECK(count(c, "SELECT count(*) FROM result") == 3 * 3 + 2 * 2);
    CHECK(count(c, "SELECT count(*) FROM sample") == 3 * 9 + 2 * 6);
    CHECK(count(c, "SELECT count(*) FROM cost") == 5 * 2);
    CHECK(count(c, "SELECT count(*) FROM calibration") == 3 * 3 + 2 * 2);
    CHECK(count(c, "SELECT count(*) FROM machine") == 2);
    /* calibration rows read back whole */
    CHECK(mtok_store_open(&st, c, &err) == MTOK_OK);
    struct mtok_run_summary *runs = NULL;
    size_t nr = 0;
    CHECK(st && mtok_store_runs(st, "test", &runs, &nr) == MTOK_OK && nr == 5);
    struct mtok_calib_row *cal = NULL;
    size_t ncal = 0;
    CHECK(nr && mtok_store_calibration(st, runs[0].id, &cal, &ncal) == MTOK_OK && ncal == 3);
    if (ncal == 3)
        CHECK(!strcmp(cal[1].name, "gemm/f32/1") && !strcmp(cal[1].op_kind, "gemm") &&
              !strcmp(cal[1].bound, "compute") && cal[1].threads == 1 &&
              cal[1].utilisation == 0.5 && cal[1].memory_size == 49152 &&
              cal[1].sol_memory_ns == 3.1 && cal[1].latency_ns == 3000 &&
              cal[1].measured_ns == 101);
    free(cal);
    free(runs);
    mtok_store_close(st);
    /* Every result still points at a run of the right machine. */
    CHECK(count(c, "SELECT count(*) FROM result r JOIN run ON run.id = r.run_id JOIN machine m ON "
                   "m.id = run.machine_id WHERE m.fingerprint = 'fp-bbbb'") == 4);
}

/* Schema v2: the extras round-trip, a v1 file migrates in place, merge carries the new columns,
 * and the queries compare/history/host use find what they should. */
static void test_v2_queries(void)
{
    const char *db = tmp_path("v2.db");
    /* A database at v1 (as written before bench landed) with one run in it. */
    sqlite3 *h;
    sqlite3_open(db, &h);
    CHECK(sqlite3_exec(h, mtok_store_migrations[0], NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_exec(h, "INSERT INTO run(uuid, kind, status, started_at) VALUES "
                    "('00000000000000000000000000000001', 'bench', 'complete', '2020-01-01')",
                 NULL, NULL, NULL);
    sqlite3_exec(h, "PRAGMA user_version = 1", NULL, NULL, NULL);
    sqlite3_close(h);

    struct mtok_error err = {0};
    struct mtok_store *st = NULL;
    CHECK(mtok_store_open(&st, db, &err) == MTOK_OK);
    if (!st)
        return;
    CHECK(mtok_store_schema_version(st) == MTOK_STORE_SCHEMA_VERSION);
    CHECK(count(db, "SELECT count(*) FROM run WHERE meta IS NULL") == 1);

    static const struct mtok_build_row build_b = {"fedcba9876543210", true, "gcc 12", "-O2",
                                                  "avx2", "0.1.0"};
    char uuid[2][33];
    for (int k = 0; k < 2; k++) {
        struct mtok_run_info info = {"bench", "host", NULL, &machine_a, k ? &build_b : &build_a};
        struct mtok_run *run = mtok_run_create(&info);
        mtok_run_set_machine_detail(run, "{\"family\":6}");
        mtok_run_set_meta(run, "{\"pinned\":\"0\"}");
        struct mtok_result_row r = {.name = "b/ok", .kernel = "b", .threads = 1, .median_ns = 10};
        size_t i = mtok_run_add_result(run, &r);
        for (int s = 0; s < 12; s++)
            mtok_run_add_sample(run, i, 10 + s);
        mtok_run_set_result_extra(run, i, 1000, NULL);
        struct mtok_result_row bad = {.name = "a/failed", .kernel = "a", .threads = 2,
                                      .median_ns = NAN};
        i = mtok_run_add_result(run, &bad);
        mtok_run_set_result_extra(run, i, 0, "setup: out of memory");
        struct mtok_ceiling_row c = {"peak", "fp32", "avx512", 2, 0, 2e11, "FLOP/s"};
        mtok_run_add_ceiling(run, &c);
        CHECK(mtok_store_run_begin(st, run) == MTOK_OK);
        CHECK(mtok_store_run_commit(st, run) == MTOK_OK);
        snprintf(uuid[k], sizeof uuid[k], "%s", mtok_run_uuid(run));
        mtok_run_destroy(run);
    }
    CHECK(count(db, "SELECT count(*) FROM machine WHERE detail = '{\"family\":6}'") == 1);
    CHECK(count(db, "SELECT count(*) FROM result WHERE iters = 1000 AND error IS NULL") == 2);
    CHECK(count(db, "SELECT count(*) FROM result WHERE error = 'setup: out of memory'") == 2);

    int64_t id = 0, id2 = 0;
    CHECK(mtok_store_run_find_uuid(st, uuid[0], &id) == MTOK_OK);
    char prefix[9];
    snprintf(prefix, sizeof prefix, "%.8s", uuid[1]);
    CHECK(mtok_store_run_find_uuid(st, prefix, &id2) == MTOK_OK && id2 != id);
    CHECK(mtok_store_run_find_uuid(st, "ffffffffffffffff", &id2) == MTOK_ENOTFOUND);
    CHECK(mtok_store_run_find_uuid(st, "xyz", &id2) == MTOK_EINVAL);
    struct mtok_run_summary sum;
    CHECK(mtok_store_run_get(st, id, &sum) == MTOK_OK && strcmp(sum.git_commit,
                                                               build_a.git_commit) == 0);
    CHECK(strcmp(sum.fingerprint, "fp-aaaa") == 0 && strcmp(sum.status, "complete") == 0);
    CHECK(mtok_store_run_get(st, 999, &sum) == MTOK_ENOTFOUND);

    struct mtok_run_summary latest;
#define LATEST(k, c, f) mtok_store_run_latest(st, &(struct mtok_run_filter){k, NULL, c, f}, &latest)
    CHECK(LATEST("bench", "0123", NULL) == MTOK_OK && latest.id == id);
    CHECK(LATEST("bench", "FEDCBA", "fp-aaaa") == MTOK_OK && latest.id == id2);
    CHECK(LATEST("bench", NULL, NULL) == MTOK_OK && latest.id == id2);
    CHECK(LATEST("bench", "0123", "fp-bbbb") == MTOK_ENOTFOUND);
    CHECK(LATEST("bench", "99", NULL) == MTOK_ENOTFOUND);
    CHECK(LATEST("ceilings", NULL, NULL) == MTOK_ENOTFOUND);
#undef LATEST

    struct mtok_run_summary *runs = NULL;
    size_t nr = 0;
    CHECK(mtok_store_runs(st, "bench", &runs, &nr) == MTOK_OK && nr == 3);
    CHECK(nr == 3 && runs[0].git_commit[0] == '\0' && runs[2].id == id2);
    free(runs);

    struct mtok_stored_result *res = NULL;
    size_t n = 0;
    CHECK(mtok_store_results(st, id, &res, &n) == MTOK_OK && n == 2);
    if (n == 2) { /* ordered by name */
        CHECK(strcmp(res[0].name, "a/failed") == 0 && res[0].n_samples == 0 && res[0].error &&
              isnan(res[0].median_ns) && res[0].threads == 2);
        CHECK(strcmp(res[1].name, "b/ok") == 0 && res[1].n_samples == 12 &&
              res[1].samples[11] == 21 && res[1].iters == 1000 && !res[1].error);
    }
    mtok_store_results_free(res, n);

    struct mtok_ceiling_row *ceil = NULL;
    CHECK(mtok_store_ceilings(st, id, &ceil, &n) == MTOK_OK && n == 1);
    if (n == 1)
        CHECK(strcmp(ceil[0].kind, "peak") == 0 && strcmp(ceil[0].level, "avx512") == 0 &&
              ceil[0].value == 2e11 && ceil[0].threads == 2 && strcmp(ceil[0].unit, "FLOP/s") == 0);
    free(ceil);
    mtok_store_close(st);

    /* Merge carries the v2 columns. */
    const char *dst = tmp_path("v2-merged.db");
    CHECK(mtok_store_open(&st, dst, &err) == MTOK_OK);
    struct mtok_merge_stats ms;
    CHECK(st && mtok_store_merge(st, db, &ms) == MTOK_OK && ms.runs_added == 3);
    mtok_store_close(st);
    CHECK(count(dst, "SELECT count(*) FROM machine WHERE detail IS NOT NULL") == 1);
    CHECK(count(dst, "SELECT count(*) FROM run WHERE meta = '{\"pinned\":\"0\"}'") == 2);
    CHECK(count(dst, "SELECT count(*) FROM result WHERE iters = 1000") == 2);
    CHECK(count(dst, "SELECT count(*) FROM result WHERE error IS NOT NULL") == 2);
}

static char *slurp(const char *path, size_t *len)
{
    char *data = NULL;
    if (mtok_file_read(path, 1 << 26, &data, len, NULL) != MTOK_OK)
        *len = 0;
    return data;
}

static bool exists(const char *path) { return access(path, F_OK) == 0; }

/* Paths that are not databases, and sources that are hostile, are refused without writing. */
static void test_hostile_files(void)
{
    struct mtok_error err = {0};
    struct mtok_store *st = NULL;
    const char *fifo = tmp_path("fifo.db");
    CHECK(mkfifo(fifo, 0600) == 0);
    CHECK(mtok_store_open(&st, fifo, &err) == MTOK_EINVAL && !st);
    CHECK(strstr(err.msg, "not a regular file") != NULL);
    CHECK(mtok_store_open(&st, tmpdir, &err) == MTOK_EINVAL && !st);
    CHECK(mtok_store_open(&st, "/dev/zero", &err) == MTOK_EINVAL && !st);

    /* A name with no room for its -wal file: the open fails and leaves no empty file behind. */
    char longname[300];
    memset(longname, 'n', 252);
    memcpy(longname + 252, ".db", 4);
    const char *lp = tmp_path(longname);
    CHECK(mtok_store_open(&st, lp, &err) == MTOK_EDB && !st);
    CHECK(!exists(lp));

    /* Merge never writes its source: not a current one, not an older (empty) one, not on error. */
    const char *a = tmp_path("src-a.db"), *empty = tmp_path("src-empty.db");
    const char *dst = tmp_path("dst-h.db");
    CHECK(mtok_store_open(&st, a, &err) == MTOK_OK);
    CHECK(write_run(st, &machine_a, 3, "a") == MTOK_OK);
    mtok_store_close(st);
    FILE *f = fopen(empty, "w");
    fclose(f);
    size_t la, le;
    char *before_a = slurp(a, &la), *before_e = slurp(empty, &le);
    CHECK(mtok_store_open(&st, dst, &err) == MTOK_OK);
    struct mtok_merge_stats ms;
    CHECK(mtok_store_merge(st, a, &ms) == MTOK_OK && ms.runs_added == 1);
    CHECK(mtok_store_merge(st, empty, &ms) == MTOK_OK && ms.runs_added == 0);
    char same[600];
    snprintf(same, sizeof same, "%s/./dst-h.db", tmpdir);
    CHECK(mtok_store_merge(st, same, &ms) == MTOK_EINVAL); /* itself, by another path */
    mtok_store_close(st);
    size_t la2, le2;
    char *after_a = slurp(a, &la2), *after_e = slurp(empty, &le2);
    CHECK(la == la2 && memcmp(before_a, after_a, la) == 0);
    CHECK(le == 0 && le2 == 0);
    char side[600];
    snprintf(side, sizeof side, "%s-wal", a);
    CHECK(!exists(side));
    snprintf(side, sizeof side, "%s.merge-%ld.tmp", dst, (long)getpid());
    CHECK(!exists(side));
    free(before_a), free(before_e), free(after_a), free(after_e);

    /* Sources that are not mtok databases of a known schema. */
    struct {
        const char *name, *sql, *why;
    } bad[] = {
        {"view.db", "CREATE TABLE x(a); PRAGMA user_version = 1; CREATE VIEW run AS "
                    "WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c) "
                    "SELECT i AS id FROM c;", "not an mtok database"},
        {"future.db", "CREATE TABLE x(a); PRAGMA user_version = 99;", "newer than"},
        {"negative.db", "CREATE TABLE x(a); PRAGMA user_version = -1;", "unknown"},
        {"v0tables.db", "CREATE TABLE run(a);", NULL}, /* v0 with tables: the copy fails */
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        const char *p = tmp_path(bad[i].name);
        sqlite3 *h;
        sqlite3_open(p, &h);
        CHECK(sqlite3_exec(h, bad[i].sql, NULL, NULL, NULL) == SQLITE_OK);
        sqlite3_close(h);
        size_t n0;
        char *b0 = slurp(p, &n0);
        if (bad[i].why) {
            CHECK_MSG(mtok_store_check_source(p, &err) != MTOK_OK && strstr(err.msg, bad[i].why),
                      "%s: %s", bad[i].name, err.msg);
        }
        CHECK(mtok_store_open(&st, dst, &err) == MTOK_OK);
        CHECK_MSG(mtok_store_merge(st, p, &ms) != MTOK_OK, "%s merged", bad[i].name);
        CHECK(strstr(mtok_store_errmsg(st), p) != NULL);
        mtok_store_close(st);
        size_t n1;
        char *b1 = slurp(p, &n1);
        CHECK_MSG(n0 == n1 && memcmp(b0, b1, n0) == 0, "%s was written", bad[i].name);
        free(b0), free(b1);
    }
    CHECK(mtok_store_check_source(tmp_path("missing.db"), &err) == MTOK_EIO);
    CHECK(!exists(tmp_path("missing.db")));
    CHECK(count(dst, "SELECT count(*) FROM run") == 1);
}

int main(void)
{
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    test_round_trip();
    test_migration_and_refusals();
    test_concurrent_writers(8, 25);
    test_reap();
    test_merge();
    test_v2_queries();
    test_hostile_files();
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    return test_status("test_store");
}
