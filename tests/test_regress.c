/* Regressions end to end, on runs synthesised through the store API in temporary databases:
 * two runs of the same build give no regression (exit 0); a run whose samples are 20% slower is
 * flagged (exit 1); a malformed baseline (garbage file, unknown commit, missing or incomplete run)
 * gives exit 2 with a one-line error; different machines are not comparable; failures are marked.
 * history flags the step of a synthetic slowdown and writes its chart files; track builds each
 * commit of a throwaway repository in a temporary worktree, records the good ones under their
 * own commit and leaves no worktree behind, also when a commit does not build. */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench/bench.h"
#include "cli/cli.h"
#include "store/store.h"
#include "test.h"

static char tmpdir[] = "/tmp/mtok-regress-XXXXXX";

static const char *path(const char *name)
{
    static char buf[8][600];
    static int slot;
    char *p = buf[slot++ % 8];
    snprintf(p, 600, "%s/%s", tmpdir, name);
    return p;
}

struct result {
    int rc;
    char *out, *err;
};

static char *slurp(FILE *f)
{
    fflush(f);
    long n = ftell(f);
    rewind(f);
    char *s = mtok_xmalloc((size_t)n + 1);
    size_t got = fread(s, 1, (size_t)n, f);
    s[got] = '\0';
    fclose(f);
    return s;
}

/* mtok ARGS... (NULL-terminated) in-process. */
static struct result mtok(const char *first, ...)
{
    char *argv[32] = {ARG("mtok"), ARG(first)};
    int argc = 2;
    va_list ap;
    va_start(ap, first);
    const char *a;
    while (argc < 31 && (a = va_arg(ap, const char *)) != NULL)
        argv[argc++] = ARG(a);
    va_end(ap);
    FILE *out = tmpfile(), *err = tmpfile();
    struct result r;
    r.rc = mtok_cli_main(argc, argv, out, err);
    r.out = slurp(out);
    r.err = slurp(err);
    return r;
}

static void drop(struct result *r)
{
    free(r->out), free(r->err);
}

static int count_lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static int count_str(const char *s, const char *needle)
{
    int n = 0;
    for (const char *p = s; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

/* ---- synthetic runs ---- */

static const char *const benches[] = {"gemm/f32/2048x2048x2048/avx512/t1",
                                      "gemv/bf16/4096x14336/avx512/t1",
                                      "stream_triad/f64/n=1000000/avx512/t2"};
#define NB (sizeof benches / sizeof *benches)

/* Deterministic noise in [-1, 1]. */
static double noise(uint64_t *s)
{
    *s = *s * 6364136223846793005u + 1442695040888963407u;
    return (double)(*s >> 11) / (double)(1ull << 52) - 1;
}

struct synth {
    const char *commit, *fingerprint;
    double scale[NB]; /* per benchmark; 0 = 1 */
    uint64_t seed;
    int fail;        /* index + 1 of a benchmark recorded as failed */
    bool incomplete; /* begin but never commit */
};

static int64_t synth_run(const char *db, const struct synth *s)
{
    struct mtok_error err = {0};
    struct mtok_store *st = NULL;
    if (mtok_store_open(&st, db, &err) != MTOK_OK) {
        fprintf(stderr, "%s\n", err.msg);
        return 0;
    }
    struct mtok_machine_row m = {s->fingerprint ? s->fingerprint : "fp-test",
                                 "host",
                                 "Test CPU",
                                 "avx2",
                                 "Linux 6",
                                 2,
                                 24e9};
    struct mtok_build_row b = {s->commit, false, "GNU 12", "-O3", "avx512", MTOK_VERSION};
    struct mtok_run_info info = {"bench", "default", NULL, &m, &b};
    struct mtok_run *run = mtok_run_create(&info);
    mtok_store_run_begin(st, run);
    uint64_t seed = s->seed ? s->seed : 1;
    for (size_t i = 0; i < NB; i++) {
        double base = 1000.0 * (double)(i + 1) * (s->scale[i] > 0 ? s->scale[i] : 1);
        struct mtok_result_row r = {.name = benches[i],
                                    .kernel = "k",
                                    .dtype = "f32",
                                    .shape = "s",
                                    .threads = 1,
                                    .median_ns = base};
        size_t idx = mtok_run_add_result(run, &r);
        if (s->fail == (int)i + 1) {
            mtok_run_set_result_extra(run, idx, 0, "setup: cannot allocate");
            continue;
        }
        for (int k = 0; k < 15; k++) /* +-1% noise */
            mtok_run_add_sample(run, idx, base * (1 + 0.01 * noise(&seed)));
        mtok_run_set_result_extra(run, idx, 100, NULL);
    }
    int64_t id = mtok_run_id(run);
    if (!s->incomplete && mtok_store_run_commit(st, run) != MTOK_OK)
        id = 0;
    mtok_run_destroy(run);
    mtok_store_close(st);
    return id;
}

static const char *id_str(int64_t id)
{
    static char buf[4][32];
    static int slot;
    char *p = buf[slot++ % 4];
    snprintf(p, 32, "%lld", (long long)id);
    return p;
}

static void test_compare(void)
{
    const char *db = path("compare.db");
    int64_t a = synth_run(db, &(struct synth){.commit = "aaaa1111", .seed = 1});
    int64_t b = synth_run(db, &(struct synth){.commit = "bbbb2222", .seed = 2});
    int64_t slow =
        synth_run(db, &(struct synth){.commit = "cccc3333", .seed = 3, .scale = {1.2, 1.2, 1.2}});
    int64_t one =
        synth_run(db, &(struct synth){.commit = "dddd4444", .seed = 4, .scale = {1, 1.2, 1}});
    int64_t fast =
        synth_run(db, &(struct synth){.commit = "eeee5555", .seed = 5, .scale = {0.8, 0.8, 0.8}});
    int64_t other =
        synth_run(db, &(struct synth){.commit = "ffff6666", .seed = 6, .fingerprint = "fp-other"});
    int64_t headfail = synth_run(db, &(struct synth){.commit = "abab7777", .seed = 7, .fail = 2});
    int64_t basefail = synth_run(db, &(struct synth){.commit = "cdcd8888", .seed = 8, .fail = 1});
    int64_t running =
        synth_run(db, &(struct synth){.commit = "efef9999", .seed = 9, .incomplete = true});
    CHECK(a && b && slow && one && fast && other && headfail && basefail && running);

    /* Two runs of the same build: no regression, by run id and by commit. */
    struct result r = mtok("compare", id_str(a), id_str(b), "--db", db, NULL);
    CHECK_MSG(r.rc == 0, "rc %d: %s%s", r.rc, r.out, r.err);
    CHECK(count_str(r.out, "| ~ |") == (int)NB && strstr(r.out, "no regression"));
    CHECK(strstr(r.out, "| | benchmark | base | head | ratio | p |"));
    drop(&r);
    r = mtok("compare", "aaaa1111", "bbbb", "--db", db, NULL);
    CHECK(r.rc == 0);
    drop(&r);

    /* 20% slower: every benchmark +, exit 1. */
    r = mtok("compare", "aaaa1111", "cccc3333", "--db", db, NULL);
    CHECK_MSG(r.rc == 1, "rc %d: %s%s", r.rc, r.out, r.err);
    CHECK(count_str(r.out, "| + |") == (int)NB && strstr(r.out, "REGRESSION"));
    drop(&r);
    r = mtok("compare", id_str(a), id_str(one), "--db", db, "--json", NULL);
    CHECK(r.rc == 1);
    cJSON *j = cJSON_Parse(r.out);
    CHECK(j && cJSON_IsTrue(cJSON_GetObjectItem(j, "regression")));
    const cJSON *rows = cJSON_GetObjectItem(j, "benchmarks"), *e;
    int plus = 0, tilde = 0;
    cJSON_ArrayForEach(e, rows)
    {
        const char *mark = cJSON_GetObjectItem(e, "mark")->valuestring;
        plus += strcmp(mark, "+") == 0, tilde += strcmp(mark, "~") == 0;
        if (strcmp(mark, "+") == 0) {
            CHECK(strcmp(cJSON_GetObjectItem(e, "name")->valuestring, benches[1]) == 0);
            CHECK_NEAR(cJSON_GetObjectItem(e, "ratio")->valuedouble, 1.2, 0.02);
            CHECK(cJSON_GetObjectItem(e, "p")->valuedouble < 1e-4);
        }
    }
    CHECK(plus == 1 && tilde == 2);
    cJSON_Delete(j);
    drop(&r);
    /* A 20% slowdown is within a 25% threshold. */
    r = mtok("compare", "aaaa", "cccc", "--threshold", "25", "--db", db, NULL);
    CHECK(r.rc == 0 && count_str(r.out, "| ~ |") == (int)NB);
    drop(&r);

    /* Faster: -, exit 0. */
    r = mtok("compare", "aaaa", "eeee", "--db", db, NULL);
    CHECK(r.rc == 0 && count_str(r.out, "| - |") == (int)NB);
    drop(&r);

    /* Different machines: not comparable, no verdict of regression. */
    r = mtok("compare", "aaaa", "ffff", "--db", db, NULL);
    CHECK(r.rc == 0 && count_str(r.out, "| x |") == (int)NB && strstr(r.out, "different machines"));
    drop(&r);

    /* A benchmark failing on HEAD is a regression; failing on BASE only is not. */
    r = mtok("compare", "aaaa", "abab", "--db", db, NULL);
    CHECK(r.rc == 1 && count_str(r.out, "| ! |") == 1 && strstr(r.out, "cannot allocate"));
    drop(&r);
    r = mtok("compare", "cdcd", "aaaa", "--db", db, NULL);
    CHECK(r.rc == 0 && count_str(r.out, "| ! |") == 1);
    drop(&r);

    /* A baseline database file: its latest complete run. */
    const char *base_db = path("baseline.db");
    CHECK(synth_run(base_db, &(struct synth){.commit = "aaaa1111", .seed = 11}) != 0);
    r = mtok("compare", base_db, id_str(b), "--db", db, NULL);
    CHECK(r.rc == 0);
    drop(&r);
    r = mtok("compare", base_db, id_str(slow), "--db", db, NULL);
    CHECK(r.rc == 1);
    drop(&r);

    /* Malformed baselines: exit 2, one line on stderr, nothing on stdout. */
    const char *garbage = path("garbage.db");
    FILE *f = fopen(garbage, "w");
    fputs("this is not an SQLite database, only some text that is long enough to be read.\n", f);
    fclose(f);
    const char *empty = path("empty.db");
    struct mtok_error err = {0};
    struct mtok_store *st = NULL;
    CHECK(mtok_store_open(&st, empty, &err) == MTOK_OK);
    mtok_store_close(st);
    char running_id[32];
    snprintf(running_id, sizeof running_id, "%lld", (long long)running);
    const char *bad[] = {
        garbage,    "ffffffff12", "999",         "0123456789abcdef0123456789abcdef",
        running_id, empty,        "not-a-commit"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        r = mtok("compare", bad[i], id_str(b), "--db", db, NULL);
        CHECK_MSG(r.rc == 2 && r.out[0] == '\0' && count_lines(r.err) == 1 &&
                      strstr(r.err, "mtok compare: BASE"),
                  "%s: rc %d, stderr: %s", bad[i], r.rc, r.err);
        drop(&r);
    }
    r = mtok("compare", id_str(a), "--db", db, NULL);
    CHECK(r.rc == 2);
    drop(&r);
    r = mtok("compare", id_str(a), id_str(b), "--threshold", "x", "--db", db, NULL);
    CHECK(r.rc == 2);
    drop(&r);
}

static void test_history(void)
{
    const char *db = path("history.db");
    /* Six commits; the fourth makes gemv 20% slower. */
    const char *commits[] = {"1111aaaa", "2222bbbb", "3333cccc",
                             "4444dddd", "5555eeee", "6666ffff"};
    for (int i = 0; i < 6; i++) {
        double s = i >= 3 ? 1.2 : 1;
        CHECK(synth_run(db, &(struct synth){.commit = commits[i],
                                            .seed = (uint64_t)(i + 100),
                                            .scale = {1, s, 1}}) != 0);
    }
    /* A second run of commit 2 replaces its first (latest complete run per commit). */
    CHECK(synth_run(db, &(struct synth){.commit = "2222bbbb", .seed = 200}) != 0);
    const char *chart = path("history.svg");
    struct result r = mtok("history", "--db", db, "--out", chart, "--repo", tmpdir,
                           "--all-machines", "--json", NULL);
    CHECK_MSG(r.rc == 0, "%s", r.err);
    cJSON *j = cJSON_Parse(r.out);
    CHECK(j && cJSON_IsFalse(cJSON_GetObjectItem(j, "git_order")));
    const cJSON *series = cJSON_GetObjectItem(j, "series"), *s;
    CHECK(cJSON_GetArraySize(series) == (int)NB);
    cJSON_ArrayForEach(s, series)
    {
        const char *name = cJSON_GetObjectItem(s, "name")->valuestring;
        const cJSON *pts = cJSON_GetObjectItem(s, "points");
        CHECK(cJSON_GetArraySize(pts) == 6);
        for (int i = 0; i < cJSON_GetArraySize(pts); i++) {
            const cJSON *p = cJSON_GetArrayItem(pts, i);
            bool step = cJSON_IsTrue(cJSON_GetObjectItem(p, "step"));
            bool want = strcmp(name, benches[1]) == 0 && i == 3;
            CHECK_MSG(step == want, "%s point %d: step %d", name, i, step);
            CHECK(strcmp(cJSON_GetObjectItem(p, "commit")->valuestring, commits[i]) == 0);
            if (want)
                CHECK_NEAR(cJSON_GetObjectItem(p, "step_ratio")->valuedouble, 1.2, 0.02);
        }
    }
    CHECK(cJSON_IsBool(cJSON_GetObjectItem(j, "rendered")));
    bool rendered = cJSON_IsTrue(cJSON_GetObjectItem(j, "rendered"));
    cJSON_Delete(j);
    drop(&r);
    CHECK(access(path("history.svg.gp"), R_OK) == 0 && access(path("history.svg.dat"), R_OK) == 0);
    if (rendered)
        CHECK(access(chart, R_OK) == 0);
    /* The filter narrows the series; the human output names the step. */
    r = mtok("history", "--db", db, "--out", chart, "--repo", tmpdir, "--all-machines", "--filter",
             "^gemv", NULL);
    CHECK_MSG(r.rc == 0 && strstr(r.out, "4444dddd +") && !strstr(r.out, "gemm/"), "%s%s", r.out,
              r.err);
    drop(&r);
    r = mtok("history", "--db", db, "--out", path("x.pdf"), NULL);
    CHECK(r.rc == 2);
    drop(&r);
    r = mtok("history", "--db", db, "--out", chart, "--filter", "(", NULL);
    CHECK(r.rc == 2 && count_lines(r.err) == 1);
    drop(&r);
}

/* ---- track ---- */

static int sh(const char *fmt, ...) MTOK_PRINTF(1, 2);
static int sh(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    return system(cmd);
}

static void write_file(const char *p, const char *text)
{
    FILE *f = fopen(p, "w");
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static int dir_entries(const char *p)
{
    DIR *d = opendir(p);
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)) != NULL)
        n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
    if (d)
        closedir(d);
    return n;
}

static void test_track(void)
{
    if (sh("git --version >/dev/null 2>&1 && cmake --version >/dev/null 2>&1") != 0) {
        fprintf(stderr, "test_track: no git or cmake, not tested\n");
        return;
    }
    const char *bin = getenv("MTOK_BINARY_DIR");
    char real[600];
    snprintf(real, sizeof real, "%s/mtok", bin ? bin : ".");
    if (access(real, X_OK) != 0) {
        fprintf(stderr, "test_track: %s not built, not tested\n", real);
        return;
    }
    setenv("MTOK_TRACK_TEST_REAL", real, 1);
    /* A project whose `mtok` hands over to the real one: track's worktrees, builds, environment
     * and clean-up are what is tested, not mtok's own build (minutes on 2 cores). */
    const char *repo = path("repo");
    mkdir(repo, 0755);
    const char *git = "git -c user.name=t -c user.email=t@t -c commit.gpgsign=false";
    char p[700];
    CHECK(sh("git init -q '%s'", repo) == 0);
    snprintf(p, sizeof p, "%s/README", repo);
    write_file(p, "fake\n");
    CHECK(sh("cd '%s' && git add -A && %s commit -qm c0", repo, git) == 0);
    snprintf(p, sizeof p, "%s/CMakeLists.txt", repo);
    write_file(p, "cmake_minimum_required(VERSION 3.16)\nproject(fake C)\n"
                  "add_executable(mtok main.c)\n");
    static const char good[] =
        "#include <stdlib.h>\n#include <unistd.h>\n"
        "int main(int argc, char **argv) {\n  (void)argc;\n"
        "  char *real = getenv(\"MTOK_TRACK_TEST_REAL\");\n  if (!real) return 3;\n"
        "  argv[0] = real;\n  execv(real, argv);\n  return 4;\n}\n";
    snprintf(p, sizeof p, "%s/main.c", repo);
    write_file(p, good);
    CHECK(sh("cd '%s' && git add -A && %s commit -qm c1", repo, git) == 0);
    write_file(p, "int main(void) { this does not compile }\n");
    CHECK(sh("cd '%s' && git add -A && %s commit -qm c2", repo, git) == 0);
    write_file(p, good);
    snprintf(p, sizeof p, "%s/README", repo);
    write_file(p, "fake, fixed\n");
    CHECK(sh("cd '%s' && git add -A && %s commit -qm c3", repo, git) == 0);

    const char *tmp = path("tmp");
    mkdir(tmp, 0755);
    char *old_tmp = getenv("TMPDIR") ? mtok_xstrdup(getenv("TMPDIR")) : NULL;
    setenv("TMPDIR", tmp, 1);
    const char *db = path("track.db");
    static const char *const args[] = {"--quick",    "--no-counters",
                                       "--min-time", "0.001",
                                       "--filter",   "^peak_fma/f32/registers/[a-z0-9_]+/t1$",
                                       NULL};
    struct mtok_track_config cfg = {.repo_dir = repo,
                                    .range = "HEAD~3..HEAD",
                                    .suite = "host",
                                    .db_path = db,
                                    .bench_args = args,
                                    .jobs = 2};
    struct mtok_track_commit *res = NULL;
    size_t n = 0;
    struct mtok_error err = {0};
    enum mtok_status s = mtok_track(&cfg, &res, &n, &err);
    CHECK(s == MTOK_EIO && n == 3);
    if (n == 3) {
        CHECK_MSG(res[0].ok, "%s: %s", res[0].stage, res[0].error);
        CHECK(!res[1].ok && strcmp(res[1].stage, "build") == 0 && res[1].error[0]);
        CHECK_MSG(res[2].ok, "%s: %s", res[2].stage, res[2].error);
    }
    /* Nothing left behind: no temporary folder, one worktree (the repository itself). */
    CHECK_MSG(dir_entries(tmp) == 0, "%d entries left in %s", dir_entries(tmp), tmp);
    char *list = NULL;
    FILE *f = NULL;
    snprintf(p, sizeof p, "git -C '%s' worktree list --porcelain", repo);
    f = popen(p, "r");
    if (f) {
        char line[1024];
        int wts = 0;
        while (fgets(line, sizeof line, f))
            wts += strncmp(line, "worktree ", 9) == 0;
        pclose(f);
        CHECK(wts == 1);
    }
    free(list);
    /* The good commits are recorded under their own hashes. */
    struct mtok_store *st = NULL;
    CHECK(mtok_store_open(&st, db, &err) == MTOK_OK);
    struct mtok_run_summary *runs = NULL;
    size_t nr = 0;
    if (st && mtok_store_runs(st, "bench", &runs, &nr) == MTOK_OK && n == 3) {
        CHECK(nr == 2);
        if (nr == 2) {
            CHECK(strcmp(runs[0].git_commit, res[0].commit) == 0 && !runs[0].dirty);
            CHECK(strcmp(runs[1].git_commit, res[2].commit) == 0);
        }
    }
    free(runs);
    mtok_store_close(st);
    free(res);

    /* Cancelled before it starts: nothing is built, nothing left. */
    volatile sig_atomic_t stop = 1;
    cfg.cancel = &stop;
    CHECK(mtok_track(&cfg, &res, &n, &err) == MTOK_EIO && n == 3 &&
          strcmp(res[0].stage, "cancelled") == 0);
    free(res);
    CHECK(dir_entries(tmp) == 0);
    /* Bad input: exit 2 from the CLI. */
    struct result r = mtok("track", "HEAD~1..HEAD", "--repo", tmp, "--db", db, NULL);
    CHECK(r.rc == 2 && count_lines(r.err) == 1 && strstr(r.err, "not inside a git repository"));
    drop(&r);
    r = mtok("track", "nosuchrev", "--repo", repo, "--db", db, NULL);
    CHECK(r.rc == 2 && strstr(r.err, "nosuchrev"));
    drop(&r);
    if (old_tmp)
        setenv("TMPDIR", old_tmp, 1), free(old_tmp);
    else
        unsetenv("TMPDIR");
}

int main(void)
{
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    test_compare();
    test_history();
    test_track();
    if (sh("rm -rf '%s'", tmpdir) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    return test_status("test_regress");
}
