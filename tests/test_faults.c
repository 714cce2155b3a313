/* The database under kill -9: a writer process is killed with SIGKILL at random moments, again and
 * again, on one database; after every kill the database must be intact and no committed row lost.
 *
 *   test_faults [--kills N] [--seed S] [--max-delay-ms M] [--db PATH] [-- WRITER ARG...]
 *
 * The writer (default: tests/fault_writer {db}) runs until killed; "{db}" in its arguments becomes
 * the database path. It may print "begin UUID" and "commit UUID" lines on stdout (fault_writer
 * does); a run whose commit was reported must be complete. A run whose `args` start with "rows "
 * lists its row counts ("rows results=R samples=S counters=C sims=M costs=K ceilings=E prices=P")
 * and must hold exactly those. Part B points --writer at `mtok bench` and `mtok sweep`.
 *
 * After each kill: PRAGMA integrity_check is ok (before and after reopening), foreign keys hold,
 * opening the store marks the dead writer's `running` run `incomplete`, no run is left `running`,
 * every complete run holds its rows (n_samples = sample rows, and the counts in its args), runs
 * that are not complete hold no rows at all, and every run once complete still is. Prints the
 * figures for tests/reliability.sh: kills, kills survived, runs, rows checked, rows lost. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

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
                  struct totals *t, int kill_no)
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
        n++;
    }
    sqlite3_finalize(q);
    int64_t checked = 0;
    for (size_t k = 0; k < N_ROW_TABLES; k++) {
        sqlite3_prepare_v2(db, row_tables[k][1], -1, &q, NULL);
        for (size_t i = 0; i < n && q && sqlite3_step(q) == SQLITE_ROW; i++) {
            int64_t have = sqlite3_column_int64(q, 0);
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
    /* Remember every complete run (ever_complete is kept sorted for the lookups above). */
    ever_complete->n = 0;
    for (size_t i = 0; i < n; i++) {
        if (runs[i].complete)
            uuids_add(ever_complete, runs[i].uuid);
        free(runs[i].args);
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

int main(int argc, char **argv)
{
    int kills = 50;
    unsigned max_delay = 80;
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
        else if (strcmp(argv[i], "--") == 0) {
            writer = argv + i + 1;
            n_writer = argc - i - 1;
            break;
        } else {
            fprintf(stderr, "usage: test_faults [--kills N] [--seed S] [--max-delay-ms M] "
                            "[--db PATH] [-- WRITER ARG...]\n");
            return 2;
        }
    }
    const char *env = getenv("MTOK_FAULT_KILLS");
    if (env && *env)
        kills = atoi(env);
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
    if (writer == default_argv) { /* fault_writer takes a seed */
        wargv[n_writer++] = seedbuf;
    }
    printf("test_faults: %d kills, seed %llu, writer %s, database %s\n", kills,
           (unsigned long long)seed, wargv[0], db);

    struct uuids committed = {0}, ever_complete = {0};
    struct totals t = {0};
    int lines_begin = 0, writer_errors = 0;
    for (int k = 0; k < kills; k++) {
        snprintf(seedbuf, sizeof seedbuf, "%u", next(1u << 30));
        int fds[2];
        if (pipe(fds) != 0) {
            perror("pipe");
            return 1;
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
            writer_errors++;
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
                lines_begin++;
            } else if (strncmp(line, "commit ", 7) == 0) {
                uuids_add(&committed, line + 7);
                pending[0] = '\0';
            }
        }
        mtok_buf_free(&out);
        t.kills++;
        t.mid_run += pending[0] != '\0';

        int bad = 0;
        char why[512];
        if (access(db, F_OK) == 0 && !integrity_ok(db, why, sizeof why)) {
            fprintf(stderr, "kill %d: before reopening: %s\n", k, why);
            bad++;
        }
        /* Reopen as the next mtok would: the dead writer's running run becomes incomplete. */
        struct mtok_error err = {0};
        struct mtok_store *st = NULL;
        if (mtok_store_open(&st, db, &err) != MTOK_OK) {
            fprintf(stderr, "kill %d: reopen: %s\n", k, err.msg);
            bad++;
        }
        mtok_store_close(st);
        if (!integrity_ok(db, why, sizeof why)) {
            fprintf(stderr, "kill %d: after reopening: %s\n", k, why);
            bad++;
        }
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
        bad += verify(db, &committed, &ever_complete, &t, k);
        t.survived += bad == 0;
    }
    CHECK_MSG(t.survived == t.kills, "%d of %d kills left a bad database", t.kills - t.survived,
              t.kills);
    CHECK(t.rows_lost == 0);
    CHECK(writer_errors == 0);
    CHECK_MSG(committed.n > 0 && t.mid_run > 0, "kills never landed mid-run (%d) or no run "
              "committed (%zu): the test did not test", t.mid_run, committed.n);
    printf("kills: %d, survived: %d, killed mid-run: %d, runs committed: %zu (complete in the "
           "database: %lld, incomplete: %lld), rows checked: %lld, rows lost: %lld\n",
           t.kills, t.survived, t.mid_run, committed.n, (long long)t.runs_complete,
           (long long)t.runs_incomplete, (long long)t.rows_checked, (long long)t.rows_lost);
    free(committed.v);
    free(ever_complete.v);
    free(wargv);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    (void)lines_begin;
    return test_status("test_faults");
}
