/* The database under kill -9: a writer process is killed with SIGKILL at random moments, again and
 * again, on one database; after every kill the database must be intact and no committed row lost.
 *
 *   test_faults [--kills N] [--seed S] [--max-delay-ms M] [--db PATH] [--finite] [-- WRITER ARG...]
 *
 * The writer (default: tests/fault_writer {db}) runs until killed; "{db}" in its arguments becomes
 * the database path. It may print "begin UUID" and "commit UUID" lines on stdout (fault_writer
 * does); a run whose commit was reported must be complete. A run whose `args` start with "rows "
 * lists its row counts ("rows results=R samples=S counters=C sims=M costs=K ceilings=E prices=P")
 * and must hold exactly those.
 *
 * --finite: the writer is a real command that records one run and exits (`mtok bench --db {db}`,
 * `mtok sweep --db {db}`). It first runs once to the end (a complete run to compare with, and its
 * duration D); then each kill lands at a random moment in [0, 1.2 D) of a fresh start, so before
 * the run is begun, while it measures or simulates, in its one-transaction write, or after. A start
 * that ends by itself first (exit 0) is a completed run, not a kill, and is started again. A run
 * the kill left behind must read `incomplete` once the store is reopened, and `mtok compare` must
 * treat it so: naming it as BASE or HEAD fails with exit 2 ("... not complete"), a database file
 * given as BASE/HEAD resolves to the latest complete run, not to it, and comparing the last two
 * complete bench runs gives a verdict (exit 0 or 1) over exactly their samples.
 *
 * After each kill: PRAGMA integrity_check is ok (before and after reopening), foreign keys hold,
 * opening the store marks the dead writer's `running` run `incomplete`, no run is left `running`,
 * every complete run holds its rows (n_samples = sample rows, and the counts in its args), runs
 * that are not complete hold no rows at all, every run once complete still is, with the same number
 * of rows of each kind as when it was first seen complete. Prints the seed first, then the figures
 * for tests/reliability.sh: kills, kills survived, kills that landed mid-run, rows checked, rows
 * lost. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli/cli.h"
#include "store/store.h"
#include "test.h"

static char tmpdir[] = "/tmp/mtok-faults-XXXXXX";

/* ---- what the writer reported ---- */

struct uuids {
    char (*v)[33];
    size_t n, cap;
};

static void uuids_add(struct uuids *u, const char *s)
{
    if (u->n == u->cap) {
        u->cap = u->cap ? 2 * u->cap : 64;
        u->v = mtok_xrealloc(u->v, u->cap * sizeof *u->v);
    }
    mtok_strlcpy(u->v[u->n++], s, 33);
}

/* ---- SQL helpers ---- */

static int64_t q_int(sqlite3 *db, const char *sql, const char *arg)
{
    sqlite3_stmt *s = NULL;
    int64_t v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK) {
        if (arg)
            sqlite3_bind_text(s, 1, arg, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(s) == SQLITE_ROW)
            v = sqlite3_column_int64(s, 0);
    }
    sqlite3_finalize(s);
    return v;
}

static bool integrity_ok(const char *path, char *why, size_t n)
{
    sqlite3 *db = NULL;
    bool ok = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK;
    sqlite3_stmt *s = NULL;
    if (ok && sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW) {
        const char *r = (const char *)sqlite3_column_text(s, 0);
        ok = r && strcmp(r, "ok") == 0;
        snprintf(why, n, "integrity_check: %s", r ? r : "?");
    } else {
        ok = false;
        snprintf(why, n, "cannot run integrity_check: %s", db ? sqlite3_errmsg(db) : "?");
    }
    sqlite3_finalize(s);
    if (ok && q_int(db, "SELECT count(*) FROM pragma_foreign_key_check", NULL) != 0) {
        ok = false;
        snprintf(why, n, "foreign_key_check found dangling rows");
    }
    sqlite3_close(db);
    return ok;
}

/* ---- one kill ---- */

struct totals {
    int kills, survived, mid_run;
    int64_t runs_complete, runs_incomplete, rows_checked, rows_lost;
};

/* Per run (all runs, in id order): how many rows of each kind it holds. */
static const char *const row_tables[][2] = {
    {"results", "SELECT count(r.id) FROM run LEFT JOIN result r ON r.run_id = run.id "
                "GROUP BY run.id ORDER BY run.id"},
    {"samples", "SELECT count(s.result_id) FROM run LEFT JOIN result r ON r.run_id = run.id "
                "LEFT JOIN sample s ON s.result_id = r.id GROUP BY run.id ORDER BY run.id"},
    {"counters", "SELECT count(c.result_id) FROM run LEFT JOIN result r ON r.run_id = run.id "
                 "LEFT JOIN counter c ON c.result_id = r.id GROUP BY run.id ORDER BY run.id"},
    {"sims", "SELECT count(s.id) FROM run LEFT JOIN simulation s ON s.run_id = run.id "
             "GROUP BY run.id ORDER BY run.id"},
    {"costs", "SELECT count(c.id) FROM run LEFT JOIN simulation s ON s.run_id = run.id "
              "LEFT JOIN cost c ON c.simulation_id = s.id GROUP BY run.id ORDER BY run.id"},
    {"ceilings", "SELECT count(c.id) FROM run LEFT JOIN ceiling c ON c.run_id = run.id "
                 "GROUP BY run.id ORDER BY run.id"},
    {"prices", "SELECT count(p.id) FROM run LEFT JOIN price_snapshot p ON p.run_id = run.id "
               "GROUP BY run.id ORDER BY run.id"},
};
#define N_ROW_TABLES (sizeof row_tables / sizeof *row_tables)

/* Expected count of `key` from a "rows k=v ..." args string, or -1. */
static long expected(const char *args, const char *key)
{
    if (!args || strncmp(args, "rows ", 5) != 0)
        return -1;
    char pat[32];
    snprintf(pat, sizeof pat, " %s=", key);
    const char *p = strstr(args, pat);
    return p ? strtol(p + strlen(pat), NULL, 10) : -1;
}

struct run_row {
    char uuid[33];
    bool complete;
    char *args;
    int64_t rows[N_ROW_TABLES];
};

/* Every run seen complete, with its row counts then (sorted by uuid). */
struct kept {
    struct run_row *v;
    size_t n, cap;
};

static int cmp_run(const void *a, const void *b)
{
    return strcmp(((const struct run_row *)a)->uuid, ((const struct run_row *)b)->uuid);
}

static const struct run_row *find_run(const struct run_row *v, size_t n, const char *uuid)
{
    if (!n)
        return NULL;
    struct run_row key;
    mtok_strlcpy(key.uuid, uuid, sizeof key.uuid);
    return bsearch(&key, v, n, sizeof *v, cmp_run);
}

/* Check the whole database; returns the number of problems (each printed). */
static int verify(const char *path, const struct uuids *committed, struct uuids *ever_complete,
                  struct kept *kept, struct totals *t, int kill_no)
{
    int bad = 0;
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        fprintf(stderr, "kill %d: cannot open %s\n", kill_no, path);
        sqlite3_close(db);
        return 1;
    }
    int64_t running = q_int(db, "SELECT count(*) FROM run WHERE status = 'running'", NULL);
    if (running != 0) {
        fprintf(stderr, "kill %d: %lld runs still running after reopen\n", kill_no,
                (long long)running);
        bad++;
    }
    t->runs_complete = q_int(db, "SELECT count(*) FROM run WHERE status = 'complete'", NULL);
    t->runs_incomplete = q_int(db, "SELECT count(*) FROM run WHERE status = 'incomplete'", NULL);

    size_t n = 0, cap = 0;
    struct run_row *runs = NULL;
    sqlite3_stmt *q = NULL;
    sqlite3_prepare_v2(db, "SELECT uuid, status, args FROM run ORDER BY id", -1, &q, NULL);
    while (q && sqlite3_step(q) == SQLITE_ROW) {
        if (n == cap)
            runs = mtok_xrealloc(runs, (cap = cap ? 2 * cap : 256) * sizeof *runs);
        mtok_strlcpy(runs[n].uuid, (const char *)sqlite3_column_text(q, 0), 33);
        runs[n].complete = strcmp((const char *)sqlite3_column_text(q, 1), "complete") == 0;
        const char *args = (const char *)sqlite3_column_text(q, 2);
        runs[n].args = args ? mtok_xstrdup(args) : NULL;
        memset(runs[n].rows, 0, sizeof runs[n].rows);
        n++;
    }
    sqlite3_finalize(q);
    int64_t checked = 0;
    for (size_t k = 0; k < N_ROW_TABLES; k++) {
        sqlite3_prepare_v2(db, row_tables[k][1], -1, &q, NULL);
        for (size_t i = 0; i < n && q && sqlite3_step(q) == SQLITE_ROW; i++) {
            int64_t have = sqlite3_column_int64(q, 0);
            runs[i].rows[k] = have;
            long want = runs[i].complete ? expected(runs[i].args, row_tables[k][0]) : 0;
            if (want >= 0 && have != want) {
                fprintf(stderr, "kill %d: %s run %s: %lld %s rows, expected %ld\n", kill_no,
                        runs[i].complete ? "complete" : "unfinished", runs[i].uuid,
                        (long long)have, row_tables[k][0], want);
                bad++;
                if (have < want)
                    t->rows_lost += want - have;
            }
            checked += have;
        }
        sqlite3_finalize(q);
    }
    t->rows_checked = checked;
    int64_t mismatch = q_int(db, "SELECT count(*) FROM result r WHERE r.n_samples != "
                                 "(SELECT count(*) FROM sample s WHERE s.result_id = r.id)", NULL);
    if (mismatch != 0) {
        fprintf(stderr, "kill %d: %lld results whose n_samples disagree with their sample rows\n",
                kill_no, (long long)mismatch);
        bad++;
    }
    sqlite3_close(db);

    if (n)
        qsort(runs, n, sizeof *runs, cmp_run);
    for (size_t i = 0; i < committed->n; i++) {
        const struct run_row *r = find_run(runs, n, committed->v[i]);
        if (!r || !r->complete) {
            fprintf(stderr, "kill %d: run %s was reported committed but is %s\n", kill_no,
                    committed->v[i], r ? "not complete" : "missing");
            bad++;
        }
    }
    for (size_t i = 0; i < ever_complete->n; i++) {
        const struct run_row *r = find_run(runs, n, ever_complete->v[i]);
        if (!r || !r->complete) {
            fprintf(stderr, "kill %d: run %s was complete and no longer is\n", kill_no,
                    ever_complete->v[i]);
            bad++;
        }
    }
    /* A run once complete keeps every row it had then. */
    for (size_t i = 0; i < kept->n; i++) {
        const struct run_row *was = &kept->v[i], *r = find_run(runs, n, was->uuid);
        for (size_t k = 0; k < N_ROW_TABLES; k++) {
            int64_t have = r ? r->rows[k] : 0;
            if (have == was->rows[k])
                continue;
            fprintf(stderr, "kill %d: complete run %s had %lld %s rows, now %lld\n", kill_no,
                    was->uuid, (long long)was->rows[k], row_tables[k][0], (long long)have);
            bad++;
            if (have < was->rows[k])
                t->rows_lost += was->rows[k] - have;
        }
    }
    /* Remember every complete run (ever_complete and kept stay sorted for the lookups above). */
    ever_complete->n = 0;
    for (size_t i = 0; i < kept->n; i++)
        free(kept->v[i].args);
    kept->n = 0;
    for (size_t i = 0; i < n; i++) {
        if (runs[i].complete) {
            uuids_add(ever_complete, runs[i].uuid);
            if (kept->n == kept->cap)
                kept->v = mtok_xrealloc(kept->v, (kept->cap = kept->cap ? 2 * kept->cap : 64) *
                                                     sizeof *kept->v);
            kept->v[kept->n++] = runs[i]; /* takes args */
        } else {
            free(runs[i].args);
        }
    }
    free(runs);
    return bad;
}

static uint64_t rng;
static unsigned next(unsigned n)
{
    rng = rng * 6364136223846793005u + 1442695040888963407u;
    return (unsigned)(rng >> 33) % n;
}

static void sleep_ms(unsigned ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

/* ---- the finite writers (mtok bench, mtok sweep) ---- */

static double now_ms(void)
{
    return (double)mtok_now_ns() / 1e6;
}

/* Start the writer with stdout and stderr going to `log` (a pipe could fill and block it). */
static pid_t spawn(char **wargv, const char *log)
{
    pid_t pid = fork();
    if (pid == 0) {
        int fd = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
        }
        execv(wargv[0], wargv);
        _exit(127);
    }
    return pid;
}

static void print_log(const char *log)
{
    char *text = NULL;
    size_t len = 0;
    if (mtok_file_read(log, 1 << 20, &text, &len, NULL) == MTOK_OK && len)
        fprintf(stderr, "  writer output: %.*s\n", len > 2000 ? 2000 : (int)len,
                len > 2000 ? text + len - 2000 : text);
    free(text);
}

static int64_t max_run_id(const char *db)
{
    sqlite3 *h = NULL;
    int64_t id = 0;
    if (access(db, F_OK) == 0 && sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK)
        id = q_int(h, "SELECT coalesce(max(id), 0) FROM run", NULL);
    sqlite3_close(h);
    return id;
}

/* The run a start left (id > before): its uuid and status, and how many there are. */
static int new_runs(const char *db, int64_t before, char uuid[33], char status[16])
{
    sqlite3 *h = NULL;
    sqlite3_stmt *q = NULL;
    int n = 0;
    uuid[0] = status[0] = '\0';
    if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(h, "SELECT uuid, status FROM run WHERE id > ?1 ORDER BY id", -1, &q,
                           NULL) == SQLITE_OK) {
        sqlite3_bind_int64(q, 1, before);
        while (sqlite3_step(q) == SQLITE_ROW) {
            mtok_strlcpy(uuid, (const char *)sqlite3_column_text(q, 0), 33);
            mtok_strlcpy(status, (const char *)sqlite3_column_text(q, 1), 16);
            n++;
        }
    }
    sqlite3_finalize(q);
    sqlite3_close(h);
    return n;
}

struct cli_result {
    int rc;
    struct mtok_buf out, err;
};

static void slurp(FILE *f, struct mtok_buf *b)
{
    char buf[4096];
    size_t n;
    rewind(f);
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        mtok_buf_append(b, buf, n);
    mtok_buf_append(b, "", 0);
    fclose(f);
}

/* mtok compare BASE HEAD --db DB [--json], in this process. */
static void compare(struct cli_result *r, const char *db, const char *base, const char *head,
                    bool json)
{
    char *argv[] = {ARG("mtok"), ARG("compare"), (char *)base,  (char *)head,
                    ARG("--db"), (char *)db,     ARG("--json"), NULL};
    FILE *out = tmpfile(), *err = tmpfile();
    memset(r, 0, sizeof *r);
    r->rc = mtok_cli_main(json ? 7 : 6, argv, out, err);
    slurp(out, &r->out);
    slurp(err, &r->err);
}

static void result_free(struct cli_result *r)
{
    mtok_buf_free(&r->out);
    mtok_buf_free(&r->err);
}

static const char *json_uuid(const cJSON *j, const char *side)
{
    return cJSON_GetStringValue(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(j, side), "uuid"));
}

/* Sum of n_base or n_head over the benchmarks of a compare --json. */
static double json_samples(const cJSON *j, const char *key)
{
    double sum = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItemCaseSensitive(j, "benchmarks")) sum +=
        cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(e, key));
    return sum;
}

/* What `mtok compare` makes of the database now: the run the kill left (`dead`, "" if none) is
 * refused as BASE and as HEAD; the last two complete bench runs compare over their own samples;
 * the database file as BASE and HEAD means the latest complete bench run. Returns the problems. */
static int check_compare(const char *db, const char *dead, int kill_no, int *checks)
{
    int bad = 0;
    char latest[2][33] = {"", ""};
    int64_t samples[2] = {0, 0};
    sqlite3 *h = NULL;
    sqlite3_stmt *q = NULL;
    sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL);
    sqlite3_prepare_v2(h,
                       "SELECT uuid, (SELECT count(*) FROM result r JOIN sample s ON "
                       "s.result_id = r.id WHERE r.run_id = run.id) FROM run WHERE status = "
                       "'complete' AND kind = 'bench' ORDER BY started_at DESC, id DESC LIMIT 2",
                       -1, &q, NULL);
    for (int i = 0; i < 2 && q && sqlite3_step(q) == SQLITE_ROW; i++) {
        mtok_strlcpy(latest[i], (const char *)sqlite3_column_text(q, 0), 33);
        samples[i] = sqlite3_column_int64(q, 1);
    }
    sqlite3_finalize(q);
    sqlite3_close(h);

    struct cli_result r;
    if (dead[0]) {
        const char *other = latest[0][0] ? latest[0] : dead;
        compare(&r, db, dead, other, false);
        (*checks)++;
        if (r.rc != CLI_ERROR || !strstr(r.err.data, "BASE") ||
            !strstr(r.err.data, "not complete")) {
            fprintf(stderr, "kill %d: compare with the killed run %s as BASE: exit %d: %s\n",
                    kill_no, dead, r.rc, r.err.data);
            bad++;
        }
        result_free(&r);
        if (latest[0][0]) {
            compare(&r, db, latest[0], dead, false);
            (*checks)++;
            if (r.rc != CLI_ERROR || !strstr(r.err.data, "HEAD") ||
                !strstr(r.err.data, "not complete")) {
                fprintf(stderr, "kill %d: compare with the killed run %s as HEAD: exit %d: %s\n",
                        kill_no, dead, r.rc, r.err.data);
                bad++;
            }
            result_free(&r);
        }
    }
    if (latest[1][0]) {
        compare(&r, db, latest[1], latest[0], true);
        (*checks)++;
        cJSON *j = cJSON_Parse(r.out.data);
        const char *b = json_uuid(j, "base"), *hd = json_uuid(j, "head");
        if ((r.rc != 0 && r.rc != CLI_REGRESSION) || !b || !hd || strcmp(b, latest[1]) != 0 ||
            strcmp(hd, latest[0]) != 0 || json_samples(j, "n_base") != (double)samples[1] ||
            json_samples(j, "n_head") != (double)samples[0]) {
            fprintf(stderr,
                    "kill %d: compare %s %s (complete runs, %lld and %lld samples): exit "
                    "%d, base %s, head %s, %g and %g samples: %s\n",
                    kill_no, latest[1], latest[0], (long long)samples[1], (long long)samples[0],
                    r.rc, b ? b : "?", hd ? hd : "?", json_samples(j, "n_base"),
                    json_samples(j, "n_head"), r.err.data);
            bad++;
        }
        cJSON_Delete(j);
        result_free(&r);

        compare(&r, db, db, db, true);
        (*checks)++;
        j = cJSON_Parse(r.out.data);
        hd = json_uuid(j, "head");
        if ((r.rc != 0 && r.rc != CLI_REGRESSION) || !hd || strcmp(hd, latest[0]) != 0) {
            fprintf(stderr,
                    "kill %d: compare DB DB took run %s, not the latest complete %s: "
                    "exit %d: %s\n",
                    kill_no, hd ? hd : "?", latest[0], r.rc, r.err.data);
            bad++;
        }
        cJSON_Delete(j);
        result_free(&r);
    }
    return bad;
}

/* Reopen as the next mtok would (the dead writer's `running` run becomes `incomplete`), with an
 * integrity check before and after. Returns the problems. */
static int reopen(const char *db, int kill_no)
{
    int bad = 0;
    char why[512];
    if (access(db, F_OK) == 0 && !integrity_ok(db, why, sizeof why)) {
        fprintf(stderr, "kill %d: before reopening: %s\n", kill_no, why);
        bad++;
    }
    struct mtok_error err = {0};
    struct mtok_store *st = NULL;
    if (mtok_store_open(&st, db, &err) != MTOK_OK) {
        fprintf(stderr, "kill %d: reopen: %s\n", kill_no, err.msg);
        bad++;
    }
    mtok_store_close(st);
    if (!integrity_ok(db, why, sizeof why)) {
        fprintf(stderr, "kill %d: after reopening: %s\n", kill_no, why);
        bad++;
    }
    return bad;
}

/* The default: a writer that runs until killed, reporting its begins and commits. */
static void kill_looping(char **wargv, char *seedbuf, const char *db, unsigned max_delay, int kills,
                         struct totals *t, struct uuids *committed, struct uuids *ever_complete,
                         struct kept *kept, int *writer_errors)
{
    for (int k = 0; k < kills; k++) {
        snprintf(seedbuf, 32, "%u", next(1u << 30));
        int fds[2];
        if (pipe(fds) != 0) {
            perror("pipe");
            exit(1);
        }
        pid_t pid = fork();
        if (pid == 0) {
            dup2(fds[1], 1);
            close(fds[0]), close(fds[1]);
            execv(wargv[0], wargv);
            _exit(127);
        }
        close(fds[1]);
        sleep_ms(1 + next(max_delay));
        kill(pid, SIGKILL);
        int status;
        waitpid(pid, &status, 0);
        if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)) {
            fprintf(stderr, "kill %d: the writer ended by itself (status %d) instead of being "
                            "killed: a store error?\n", k, status);
            (*writer_errors)++;
        }
        /* Everything it said before it died. */
        struct mtok_buf out = {0};
        char buf[4096];
        ssize_t n;
        while ((n = read(fds[0], buf, sizeof buf)) > 0)
            mtok_buf_append(&out, buf, (size_t)n);
        close(fds[0]);
        char pending[33] = "";
        for (char *line = out.data, *nl; line && *line; line = nl ? nl + 1 : NULL) {
            nl = strchr(line, '\n');
            if (!nl)
                break; /* a line cut by the kill */
            *nl = '\0';
            if (strncmp(line, "begin ", 6) == 0) {
                mtok_strlcpy(pending, line + 6, sizeof pending);
            } else if (strncmp(line, "commit ", 7) == 0) {
                uuids_add(committed, line + 7);
                pending[0] = '\0';
            }
        }
        mtok_buf_free(&out);
        t->kills++;
        t->mid_run += pending[0] != '\0';

        int bad = reopen(db, k);
        if (pending[0]) {
            sqlite3 *h = NULL;
            sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL);
            int64_t inc = q_int(h, "SELECT count(*) FROM run WHERE uuid = ?1 AND status IN "
                                   "('incomplete', 'complete')", pending);
            sqlite3_close(h);
            if (inc != 1) {
                fprintf(stderr, "kill %d: interrupted run %s is not marked incomplete\n", k,
                        pending);
                bad++;
            }
        }
        bad += verify(db, committed, ever_complete, kept, t, k);
        t->survived += bad == 0;
    }
}

/* --finite: a writer that records one run and exits (mtok bench, mtok sweep). */
static void kill_finite(char **wargv, const char *db, unsigned max_delay, int kills,
                        struct totals *t, struct uuids *committed, struct uuids *ever_complete,
                        struct kept *kept, int *writer_errors)
{
    char log[700];
    snprintf(log, sizeof log, "%s/writer.log", tmpdir);
    char uuid[33], status_s[16];

    /* One run to the end: a complete run to compare with, and how long a run takes. */
    int64_t before = max_run_id(db);
    double t0 = now_ms();
    pid_t pid = spawn(wargv, log);
    int status;
    waitpid(pid, &status, 0);
    double run_ms = now_ms() - t0;
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
        new_runs(db, before, uuid, status_s) != 1 || strcmp(status_s, "complete") != 0) {
        fprintf(stderr, "the first run, to the end, failed (status %d)\n", status);
        print_log(log);
        (*writer_errors)++;
        return;
    }
    uuids_add(committed, uuid);
    if (reopen(db, -1) + verify(db, committed, ever_complete, kept, t, -1) != 0)
        (*writer_errors)++;
    unsigned window = max_delay ? max_delay : (unsigned)(1.2 * run_ms) + 1;
    printf("one run to the end: %.0f ms; each kill lands in [0, %u) ms after the start\n", run_ms,
           window);

    int finished = 0, compare_checks = 0, compare_bad = 0;
    for (int k = 0, starts = 0; k < kills; starts++) {
        if (starts > 10 * kills + 10) {
            fprintf(stderr, "%d starts for %d kills: the runs end before the kills land\n", starts,
                    k);
            (*writer_errors)++;
            return;
        }
        before = max_run_id(db);
        pid = spawn(wargv, log);
        sleep_ms(next(window));
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        int n_new = new_runs(db, before, uuid, status_s);
        if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
            /* It finished first: a completed run, and the database must say so. */
            finished++;
            if (n_new != 1 || strcmp(status_s, "complete") != 0) {
                fprintf(stderr, "start %d: exit 0 left %d new runs (last %s)\n", starts, n_new,
                        status_s);
                (*writer_errors)++;
            } else {
                uuids_add(committed, uuid);
            }
            if (reopen(db, k) + verify(db, committed, ever_complete, kept, t, k) != 0)
                (*writer_errors)++;
            continue;
        }
        if (!(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)) {
            fprintf(stderr, "start %d: the writer failed (status %d) instead of being killed\n",
                    starts, status);
            print_log(log);
            (*writer_errors)++;
            continue;
        }
        t->kills++;
        int bad = reopen(db, k);
        n_new = new_runs(db, before, uuid, status_s);
        char dead[33] = "";
        if (n_new > 1) {
            fprintf(stderr, "kill %d: one start left %d runs\n", k, n_new);
            bad++;
        } else if (n_new == 1 && strcmp(status_s, "incomplete") == 0) {
            mtok_strlcpy(dead, uuid, sizeof dead);
            t->mid_run++;
        } else if (n_new == 1 && strcmp(status_s, "complete") != 0) {
            fprintf(stderr, "kill %d: the killed run %s is %s after reopening, not incomplete\n", k,
                    uuid, status_s);
            bad++;
        }
        /* n_new == 0: killed before it began its run; 1 and complete: after it committed. */
        bad += verify(db, committed, ever_complete, kept, t, k);
        int cb = check_compare(db, dead, k, &compare_checks);
        compare_bad += cb;
        bad += cb;
        t->survived += bad == 0;
        k++;
    }
    printf("runs finished before their kill: %d; compare checks: %d, failed: %d\n", finished,
           compare_checks, compare_bad);
}

int main(int argc, char **argv)
{
    int kills = 50;
    unsigned max_delay = 0;
    bool finite = false, usage = false;
    uint64_t seed = (uint64_t)time(NULL);
    const char *db = NULL;
    char **writer = NULL;
    int n_writer = 0;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--kills") == 0 && i + 1 < argc)
            kills = atoi(argv[++i]);
        else if (strcmp(argv[i], "--seed") == 0 && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 10);
        else if (strcmp(argv[i], "--max-delay-ms") == 0 && i + 1 < argc)
            max_delay = (unsigned)atoi(argv[++i]);
        else if (strcmp(argv[i], "--db") == 0 && i + 1 < argc)
            db = argv[++i];
        else if (strcmp(argv[i], "--finite") == 0)
            finite = true;
        else if (strcmp(argv[i], "--") == 0) {
            writer = argv + i + 1;
            n_writer = argc - i - 1;
            break;
        } else {
            usage = true;
            break;
        }
    }
    if (usage || (finite && !writer) || (writer && n_writer == 0) || kills < 1) {
        fprintf(stderr, "usage: test_faults [--kills N] [--seed S] [--max-delay-ms M] "
                        "[--db PATH] [--finite] [-- WRITER ARG...] (--finite needs a WRITER)\n");
        return 2;
    }
    const char *env = getenv("MTOK_FAULT_KILLS");
    if (env && *env)
        kills = atoi(env);
    if (!finite && !max_delay)
        max_delay = 80;
    rng = seed;
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    char dbpath[600], default_writer[4096];
    snprintf(dbpath, sizeof dbpath, "%s/faults.db", tmpdir);
    if (!db)
        db = dbpath;
    char *default_argv[4];
    if (!writer) {
        const char *bd = getenv("MTOK_BINARY_DIR");
        snprintf(default_writer, sizeof default_writer, "%s/tests/fault_writer", bd ? bd : ".");
        default_argv[0] = default_writer;
        default_argv[1] = ARG("{db}");
        default_argv[2] = NULL;
        writer = default_argv;
        n_writer = 2;
    }
    char seedbuf[32];
    char **wargv = mtok_xcalloc((size_t)n_writer + 2, sizeof *wargv);
    for (int i = 0; i < n_writer; i++)
        wargv[i] = strcmp(writer[i], "{db}") == 0 ? (char *)db : writer[i];
    if (writer == default_argv) /* fault_writer takes a seed */
        wargv[n_writer++] = seedbuf;
    /* Names the writer in the figures: "fault_writer", "mtok bench", "mtok sweep". */
    char label[64];
    const char *base = strrchr(wargv[0], '/');
    snprintf(label, sizeof label, "%s%s%s", base ? base + 1 : wargv[0],
             n_writer > 1 && finite ? " " : "", n_writer > 1 && finite ? wargv[1] : "");
    printf("test_faults: %d kills, seed %llu (--seed %llu repeats the delays), writer %s, "
           "database %s\n",
           kills, (unsigned long long)seed, (unsigned long long)seed, label, db);
    fflush(stdout);

    struct uuids committed = {0}, ever_complete = {0};
    struct kept kept = {0};
    struct totals t = {0};
    int writer_errors = 0;
    if (finite)
        kill_finite(wargv, db, max_delay, kills, &t, &committed, &ever_complete, &kept,
                    &writer_errors);
    else
        kill_looping(wargv, seedbuf, db, max_delay, kills, &t, &committed, &ever_complete, &kept,
                     &writer_errors);
    CHECK_MSG(t.survived == t.kills, "%d of %d kills left a bad database", t.kills - t.survived,
              t.kills);
    CHECK(t.kills == kills);
    CHECK(t.rows_lost == 0);
    CHECK(writer_errors == 0);
    CHECK_MSG(committed.n > 0 && t.mid_run > 0, "kills never landed mid-run (%d) or no run "
              "committed (%zu): the test did not test", t.mid_run, committed.n);
    printf("kill -9 of %s: kills: %d, survived: %d, killed mid-run: %d, runs committed: %zu "
           "(complete in the database: %lld, incomplete: %lld), rows checked: %lld, rows lost: "
           "%lld\n",
           label, t.kills, t.survived, t.mid_run, committed.n, (long long)t.runs_complete,
           (long long)t.runs_incomplete, (long long)t.rows_checked, (long long)t.rows_lost);
    free(committed.v);
    free(ever_complete.v);
    for (size_t i = 0; i < kept.n; i++)
        free(kept.v[i].args);
    free(kept.v);
    free(wargv);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    return test_status("test_faults");
}
