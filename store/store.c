#define _POSIX_C_SOURCE 200809L
#include "store/store.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store/internal.h"
#include "store/schema.h"

struct mtok_store {
    sqlite3 *db;
    char *path;
    char errmsg[1024];
    char host[256];
};

/* ---- errors ---- */

/* Messages quote paths and SQLite's text (which can quote a hostile database's names): each is
 * made one printable line. */
static void set_errmsg(struct mtok_store *st, const char *fmt, ...) MTOK_PRINTF(2, 3);
static void set_errmsg(struct mtok_store *st, const char *fmt, ...)
{
    struct mtok_buf b = {0};
    va_list ap;
    va_start(ap, fmt);
    mtok_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    mtok_line_copy(st->errmsg, sizeof st->errmsg, b.data);
    mtok_buf_free(&b);
}

static enum mtok_status fail(struct mtok_store *st, const char *what)
{
    set_errmsg(st, "%s: %s: %s", st->path, what, sqlite3_errmsg(st->db));
    return MTOK_EDB;
}

sqlite3 *store_sqlite(struct mtok_store *st)
{
    return st->db;
}

enum mtok_status store_fail(struct mtok_store *st, const char *what)
{
    return fail(st, what);
}

void store_set_errmsg(struct mtok_store *st, const char *fmt, ...)
{
    int n = snprintf(st->errmsg, sizeof st->errmsg, "%s: ", st->path);
    if (n < 0 || (size_t)n >= sizeof st->errmsg)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(st->errmsg + n, sizeof st->errmsg - (size_t)n, fmt, ap);
    va_end(ap);
}

const char *mtok_store_errmsg(const struct mtok_store *st)
{
    return st ? st->errmsg : "";
}
const char *mtok_store_path(const struct mtok_store *st)
{
    return st->path;
}

static int exec(struct mtok_store *st, const char *sql)
{
    return sqlite3_exec(st->db, sql, NULL, NULL, NULL);
}

sqlite3_stmt *store_prep(struct mtok_store *st, const char *sql)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK) {
        fail(st, "prepare");
        sqlite3_finalize(s);
        return NULL;
    }
    return s;
}

void store_bind_text(sqlite3_stmt *s, int i, const char *v)
{
    if (v)
        sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(s, i);
}

/* NAN is stored as NULL (SQLite has no NaN). */
static void bind_real(sqlite3_stmt *s, int i, double v)
{
    if (isnan(v))
        sqlite3_bind_null(s, i);
    else
        sqlite3_bind_double(s, i, v);
}

static int64_t query_int(struct mtok_store *st, const char *sql, int64_t dflt)
{
    sqlite3_stmt *s = store_prep(st, sql);
    int64_t v = dflt;
    if (s && sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
}

/* ---- open, migrate ---- */

int mtok_store_schema_version(struct mtok_store *st)
{
    return (int)query_int(st, "PRAGMA user_version", -1);
}

static enum mtok_status migrate(struct mtok_store *st)
{
    if (exec(st, "BEGIN IMMEDIATE") != SQLITE_OK)
        return fail(st, "begin migration");
    int v = mtok_store_schema_version(st);
    if (v > MTOK_STORE_SCHEMA_VERSION) {
        exec(st, "ROLLBACK");
        set_errmsg(st, "%s: schema version %d is newer than this mtok (%d); upgrade mtok", st->path,
                   v, MTOK_STORE_SCHEMA_VERSION);
        return MTOK_EINVAL;
    }
    for (; v < MTOK_STORE_SCHEMA_VERSION; v++) {
        if (exec(st, mtok_store_migrations[v]) != SQLITE_OK) {
            enum mtok_status s = fail(st, "migration");
            exec(st, "ROLLBACK");
            return s;
        }
        char sql[64];
        snprintf(sql, sizeof sql, "PRAGMA user_version = %d", v + 1); /* an int, not user data */
        if (exec(st, sql) != SQLITE_OK) {
            enum mtok_status s = fail(st, "set user_version");
            exec(st, "ROLLBACK");
            return s;
        }
    }
    if (exec(st, "COMMIT") != SQLITE_OK) {
        enum mtok_status s = fail(st, "commit migration");
        exec(st, "ROLLBACK");
        return s;
    }
    return MTOK_OK;
}

static void remove_db_files(const char *path)
{
    static const char *const suffix[] = {"", "-wal", "-shm", "-journal"};
    for (size_t i = 0; i < sizeof suffix / sizeof *suffix; i++) {
        struct mtok_buf b = {0};
        mtok_buf_printf(&b, "%s%s", path, suffix[i]);
        unlink(b.data);
        mtok_buf_free(&b);
    }
}

void mtok_store_remove_unused(const char *path)
{
    struct mtok_buf wal = {0};
    mtok_buf_printf(&wal, "%s-wal", path);
    bool in_use = access(wal.data, F_OK) == 0;
    mtok_buf_free(&wal);
    if (!in_use)
        remove_db_files(path);
}

/* Remove a database file this process created and then failed to set up, but only when nobody can
 * have written to it: it is still empty and has no -wal (no connection has it open in WAL mode).
 * Another process may have opened the same new path in the meantime; its data must survive. */
static void remove_if_unused(const char *path)
{
    struct stat sb;
    if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && sb.st_size == 0)
        mtok_store_remove_unused(path);
}

enum mtok_status mtok_store_open(struct mtok_store **out, const char *path, struct mtok_error *err)
{
    *out = NULL;
    if (!path)
        path = getenv("MTOK_DB");
    if (!path || !*path)
        path = "mtok.db";
    /* SQLite would open a FIFO, a device or a directory and fail later, or block; refuse them. */
    struct stat sb;
    bool existed = stat(path, &sb) == 0;
    if (existed && !S_ISREG(sb.st_mode))
        return mtok_error_set(err, MTOK_EINVAL, "%s: not a regular file", path);
    struct mtok_store *st = mtok_xcalloc(1, sizeof *st);
    st->path = mtok_xstrdup(path);
    if (gethostname(st->host, sizeof st->host - 1) != 0)
        mtok_strlcpy(st->host, "unknown", sizeof st->host);
    int rc = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL);
    enum mtok_status s = MTOK_OK;
    if (rc != SQLITE_OK) {
        s = mtok_error_set(err, MTOK_EDB, "%s: cannot open database: %s", path,
                           st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
        goto fail;
    }
    sqlite3_busy_timeout(st->db, 60000);
    sqlite3_extended_result_codes(st->db, 1);
    /* Databases come from other machines (db merge): SQL stored in a file (views, triggers) may
     * not call functions with side effects, and writes cannot corrupt the file on purpose. */
    sqlite3_db_config(st->db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
    sqlite3_db_config(st->db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
    /* A file that is not a database fails here, on the first read. Switching a new database to
     * WAL needs a moment of exclusive access; when several processes open a fresh file at once,
     * SQLite may answer SQLITE_BUSY without consulting the busy handler, so retry with backoff
     * for as long as the busy timeout would have waited. */
    for (int waited_ms = 0, delay_ms = 1;;
         waited_ms += delay_ms, delay_ms = delay_ms * 2 > 100 ? 100 : delay_ms * 2) {
        sqlite3_stmt *q = store_prep(st, "PRAGMA journal_mode=WAL");
        rc = q ? sqlite3_step(q) : sqlite3_errcode(st->db);
        sqlite3_finalize(q);
        if (rc == SQLITE_ROW)
            break;
        int primary = rc & 0xff;
        if ((primary == SQLITE_BUSY || primary == SQLITE_LOCKED) && waited_ms < 60000) {
            struct timespec ts = {0, (long)delay_ms * 1000000L};
            nanosleep(&ts, NULL);
            continue;
        }
        s = mtok_error_set(err, MTOK_EDB, "%s: not a usable SQLite database: %s", path,
                           sqlite3_errmsg(st->db));
        goto fail;
    }
    if (exec(st, "PRAGMA foreign_keys=ON; PRAGMA synchronous=NORMAL") != SQLITE_OK) {
        s = mtok_error_set(err, MTOK_EDB, "%s: %s", path, sqlite3_errmsg(st->db));
        goto fail;
    }
    s = migrate(st);
    if (s != MTOK_OK) {
        mtok_error_set(err, s, "%s", st->errmsg);
        goto fail;
    }
    mtok_store_reap(st);
    *out = st;
    return MTOK_OK;
fail:;
    /* A failed open leaves nothing behind (e.g. a name with no room for its -wal file), unless
     * it failed waiting for a lock: then another process is using the file. */
    int code = st->db ? sqlite3_errcode(st->db) : SQLITE_OK;
    bool contended = code == SQLITE_BUSY || code == SQLITE_LOCKED;
    mtok_store_close(st);
    if (!existed && !contended && strcmp(path, ":memory:") != 0)
        remove_if_unused(path);
    return s;
}

void mtok_store_close(struct mtok_store *st)
{
    if (!st)
        return;
    sqlite3_close(st->db);
    free(st->path);
    free(st);
}

int mtok_store_reap(struct mtok_store *st)
{
    /* Find the dead first, then mark them in one write transaction: updating while the SELECT
     * still reads would fail at once (SQLITE_BUSY_SNAPSHOT, no busy wait) whenever another
     * process committed in between, leaving the run `running` until some later open. */
    sqlite3_stmt *sel =
        store_prep(st, "SELECT id, pid FROM run WHERE status = 'running' AND host = ?1");
    int64_t *dead = NULL;
    size_t n_dead = 0, cap = 0;
    if (sel) {
        store_bind_text(sel, 1, st->host);
        while (sqlite3_step(sel) == SQLITE_ROW) {
            pid_t pid = (pid_t)sqlite3_column_int64(sel, 1);
            if (pid > 0 && (kill(pid, 0) == 0 || errno == EPERM))
                continue; /* still alive */
            if (n_dead == cap)
                dead = mtok_xrealloc(dead, (cap = cap ? 2 * cap : 8) * sizeof *dead);
            dead[n_dead++] = sqlite3_column_int64(sel, 0);
        }
    }
    sqlite3_finalize(sel);
    int n = 0;
    sqlite3_stmt *upd =
        n_dead ? store_prep(st, "UPDATE run SET status = 'incomplete' WHERE id = ?1 AND "
                                "status = 'running'")
               : NULL;
    if (upd && exec(st, "BEGIN IMMEDIATE") == SQLITE_OK) {
        for (size_t i = 0; i < n_dead; i++) {
            sqlite3_bind_int64(upd, 1, dead[i]);
            if (sqlite3_step(upd) == SQLITE_DONE)
                n += sqlite3_changes(st->db);
            sqlite3_reset(upd);
        }
        if (exec(st, "COMMIT") != SQLITE_OK) {
            exec(st, "ROLLBACK");
            n = 0;
        }
    }
    sqlite3_finalize(upd);
    free(dead);
    return n;
}

/* ---- the in-memory run ---- */

#define VEC(T)                                                                                     \
    struct {                                                                                       \
        T *v;                                                                                      \
        size_t n, cap;                                                                             \
    }
#define VEC_PUSH(vec, x)                                                                           \
    do {                                                                                           \
        if ((vec).n == (vec).cap) {                                                                \
            (vec).cap = (vec).cap ? 2 * (vec).cap : 16;                                            \
            (vec).v = mtok_xrealloc((vec).v, (vec).cap * sizeof *(vec).v);                         \
        }                                                                                          \
        (vec).v[(vec).n++] = (x);                                                                  \
    } while (0)

static char *copy_str(const char *s)
{
    return s ? mtok_xstrdup(s) : NULL;
}

struct sample {
    size_t result;
    double ns;
};
struct counter {
    size_t result;
    char *name, *note;
    double value;
    bool available;
};
struct cost {
    size_t sim;
    struct mtok_cost_row row;
};

/* Schema v2 result columns, parallel to results (grown on demand). */
struct result_extra {
    double iters;
    char *error;
};

struct mtok_run {
    char uuid[33];
    char *meta, *machine_detail;
    VEC(struct result_extra) extras;
    struct mtok_run_info info;
    struct mtok_machine_row machine;
    struct mtok_build_row build;
    bool has_machine, has_build;
    int64_t id;
    VEC(struct mtok_result_row) results;
    VEC(struct sample) samples;
    VEC(struct counter) counters;
    VEC(struct mtok_ceiling_row) ceilings;
    VEC(struct mtok_calib_row) calib;
    VEC(struct mtok_sim_row) sims;
    VEC(struct cost) costs;
    VEC(struct mtok_price_row) prices;
    VEC(struct mtok_workload_cost_row) workload_costs;
};

static void make_uuid(char out[33])
{
    unsigned char b[16];
    int fd = open("/dev/urandom", O_RDONLY);
    ssize_t got = fd >= 0 ? read(fd, b, sizeof b) : -1;
    if (fd >= 0)
        close(fd);
    if (got != (ssize_t)sizeof b) {
        /* No urandom: mix time and pid; uniqueness across hosts then rests on the clock. */
        uint64_t t = mtok_now_ns() ^ ((uint64_t)getpid() << 32);
        for (int i = 0; i < 16; i++, t = t * 6364136223846793005u + 1442695040888963407u)
            b[i] = (unsigned char)(t >> 56);
    }
    for (int i = 0; i < 16; i++)
        snprintf(out + 2 * i, 3, "%02x", b[i]);
}

struct mtok_run *mtok_run_create(const struct mtok_run_info *info)
{
    struct mtok_run *r = mtok_xcalloc(1, sizeof *r);
    make_uuid(r->uuid);
    r->info.kind = copy_str(info->kind ? info->kind : "unknown");
    r->info.suite = copy_str(info->suite);
    r->info.args = copy_str(info->args);
    if (info->machine) {
        const struct mtok_machine_row *m = info->machine;
        r->machine = (struct mtok_machine_row){copy_str(m->fingerprint),
                                               copy_str(m->hostname),
                                               copy_str(m->cpu_model),
                                               copy_str(m->cpu_flags),
                                               copy_str(m->os),
                                               m->n_cpus,
                                               m->mem_bytes};
        r->has_machine = m->fingerprint != NULL;
    }
    if (info->build) {
        const struct mtok_build_row *b = info->build;
        r->build = (struct mtok_build_row){copy_str(b->git_commit), b->dirty,
                                           copy_str(b->compiler),   copy_str(b->flags),
                                           copy_str(b->simd),       copy_str(b->version)};
        r->has_build = b->git_commit != NULL;
    }
    return r;
}

const char *mtok_run_uuid(const struct mtok_run *run)
{
    return run->uuid;
}
int64_t mtok_run_id(const struct mtok_run *run)
{
    return run->id;
}

#define FREE_CONST(p) free((void *)(uintptr_t)(p))

void mtok_run_destroy(struct mtok_run *r)
{
    if (!r)
        return;
    FREE_CONST(r->info.kind), FREE_CONST(r->info.suite), FREE_CONST(r->info.args);
    free(r->meta), free(r->machine_detail);
    FREE_CONST(r->machine.fingerprint), FREE_CONST(r->machine.hostname);
    FREE_CONST(r->machine.cpu_model), FREE_CONST(r->machine.cpu_flags);
    FREE_CONST(r->machine.os);
    FREE_CONST(r->build.git_commit), FREE_CONST(r->build.compiler), FREE_CONST(r->build.flags);
    FREE_CONST(r->build.simd), FREE_CONST(r->build.version);
    for (size_t i = 0; i < r->results.n; i++) {
        struct mtok_result_row *x = &r->results.v[i];
        FREE_CONST(x->name), FREE_CONST(x->kernel), FREE_CONST(x->dtype), FREE_CONST(x->shape);
        FREE_CONST(x->variant), FREE_CONST(x->provenance);
    }
    for (size_t i = 0; i < r->extras.n; i++)
        free(r->extras.v[i].error);
    for (size_t i = 0; i < r->counters.n; i++)
        free(r->counters.v[i].name), free(r->counters.v[i].note);
    for (size_t i = 0; i < r->ceilings.n; i++) {
        struct mtok_ceiling_row *x = &r->ceilings.v[i];
        FREE_CONST(x->kind), FREE_CONST(x->name), FREE_CONST(x->level), FREE_CONST(x->unit);
    }
    for (size_t i = 0; i < r->sims.n; i++) {
        struct mtok_sim_row *x = &r->sims.v[i];
        FREE_CONST(x->key), FREE_CONST(x->model), FREE_CONST(x->hw), FREE_CONST(x->deployment);
        FREE_CONST(x->provenance);
    }
    for (size_t i = 0; i < r->costs.n; i++)
        FREE_CONST(r->costs.v[i].row.tier);
    for (size_t i = 0; i < r->prices.n; i++) {
        struct mtok_price_row *x = &r->prices.v[i];
        FREE_CONST(x->price_id), FREE_CONST(x->provider), FREE_CONST(x->product);
        FREE_CONST(x->model), FREE_CONST(x->kind), FREE_CONST(x->from_date);
        FREE_CONST(x->until_date), FREE_CONST(x->currency), FREE_CONST(x->source);
    }
    free(r->extras.v), free(r->results.v), free(r->samples.v), free(r->counters.v);
    free(r->ceilings.v);
    for (size_t i = 0; i < r->calib.n; i++) {
        struct mtok_calib_row *x = &r->calib.v[i];
        FREE_CONST(x->name), FREE_CONST(x->hw), FREE_CONST(x->op_kind), FREE_CONST(x->dtype);
        FREE_CONST(x->bound);
    }
    free(r->calib.v);
    for (size_t i = 0; i < r->workload_costs.n; i++) {
        struct mtok_workload_cost_row *x = &r->workload_costs.v[i];
        FREE_CONST(x->key), FREE_CONST(x->workload), FREE_CONST(x->kind), FREE_CONST(x->name);
        FREE_CONST(x->provider), FREE_CONST(x->product), FREE_CONST(x->price_id);
        FREE_CONST(x->hw), FREE_CONST(x->deployment), FREE_CONST(x->hour_basis);
        FREE_CONST(x->note);
    }
    free(r->sims.v), free(r->costs.v), free(r->prices.v), free(r->workload_costs.v);
    free(r);
}

size_t mtok_run_add_result(struct mtok_run *run, const struct mtok_result_row *r)
{
    struct mtok_result_row c = *r;
    c.name = copy_str(r->name), c.kernel = copy_str(r->kernel), c.dtype = copy_str(r->dtype);
    c.shape = copy_str(r->shape), c.variant = copy_str(r->variant),
    c.provenance = copy_str(r->provenance);
    VEC_PUSH(run->results, c);
    return run->results.n - 1;
}

void mtok_run_set_machine_detail(struct mtok_run *run, const char *json)
{
    free(run->machine_detail);
    run->machine_detail = copy_str(json);
}

void mtok_run_set_meta(struct mtok_run *run, const char *json)
{
    free(run->meta);
    run->meta = copy_str(json);
}

void mtok_run_set_result_extra(struct mtok_run *run, size_t result, double iters,
                               const char *error)
{
    MTOK_ASSERT(result < run->results.n);
    while (run->extras.n <= result)
        VEC_PUSH(run->extras, ((struct result_extra){0, NULL}));
    struct result_extra *x = &run->extras.v[result];
    free(x->error);
    x->iters = iters;
    x->error = copy_str(error);
}

void mtok_run_add_sample(struct mtok_run *run, size_t result, double ns)
{
    MTOK_ASSERT(result < run->results.n);
    VEC_PUSH(run->samples, ((struct sample){result, ns}));
}

void mtok_run_add_counter(struct mtok_run *run, size_t result, const char *name, double value,
                          bool available, const char *note)
{
    MTOK_ASSERT(result < run->results.n);
    VEC_PUSH(run->counters,
             ((struct counter){result, copy_str(name), copy_str(note), value, available}));
}

void mtok_run_add_ceiling(struct mtok_run *run, const struct mtok_ceiling_row *c)
{
    struct mtok_ceiling_row x = *c;
    x.kind = copy_str(c->kind), x.name = copy_str(c->name), x.level = copy_str(c->level),
    x.unit = copy_str(c->unit);
    VEC_PUSH(run->ceilings, x);
}

void mtok_run_add_calib(struct mtok_run *run, const struct mtok_calib_row *c)
{
    struct mtok_calib_row x = *c;
    x.name = copy_str(c->name), x.hw = copy_str(c->hw), x.op_kind = copy_str(c->op_kind);
    x.dtype = copy_str(c->dtype), x.bound = copy_str(c->bound);
    VEC_PUSH(run->calib, x);
}

size_t mtok_run_add_sim(struct mtok_run *run, const struct mtok_sim_row *s)
{
    struct mtok_sim_row x = *s;
    x.key = copy_str(s->key), x.model = copy_str(s->model), x.hw = copy_str(s->hw);
    x.deployment = copy_str(s->deployment ? s->deployment : "{}"),
    x.provenance = copy_str(s->provenance);
    VEC_PUSH(run->sims, x);
    return run->sims.n - 1;
}

void mtok_run_add_cost(struct mtok_run *run, size_t sim, const struct mtok_cost_row *c)
{
    MTOK_ASSERT(sim < run->sims.n);
    struct cost x = {sim, *c};
    x.row.tier = copy_str(c->tier);
    VEC_PUSH(run->costs, x);
}

void mtok_run_add_price(struct mtok_run *run, const struct mtok_price_row *p)
{
    struct mtok_price_row x = *p;
    x.price_id = copy_str(p->price_id), x.provider = copy_str(p->provider),
    x.product = copy_str(p->product);
    x.model = copy_str(p->model), x.kind = copy_str(p->kind), x.from_date = copy_str(p->from_date);
    x.until_date = copy_str(p->until_date), x.currency = copy_str(p->currency),
    x.source = copy_str(p->source);
    VEC_PUSH(run->prices, x);
}

void mtok_run_add_workload_cost(struct mtok_run *run, const struct mtok_workload_cost_row *w)
{
    struct mtok_workload_cost_row x = *w;
    x.key = copy_str(w->key), x.workload = copy_str(w->workload), x.kind = copy_str(w->kind);
    x.name = copy_str(w->name), x.provider = copy_str(w->provider);
    x.product = copy_str(w->product), x.price_id = copy_str(w->price_id);
    x.hw = copy_str(w->hw), x.deployment = copy_str(w->deployment);
    x.hour_basis = copy_str(w->hour_basis), x.note = copy_str(w->note);
    VEC_PUSH(run->workload_costs, x);
}

/* ---- writing ---- */

static int64_t upsert_machine(struct mtok_store *st, const struct mtok_machine_row *m,
                              const char *detail)
{
    sqlite3_stmt *s =
        store_prep(st, "INSERT INTO machine(fingerprint, hostname, cpu_model, cpu_flags, "
                       "n_cpus, mem_bytes, os, created_at, detail) VALUES (?1,?2,?3,?4,?5,"
                       "?6,?7,strftime('%Y-%m-%dT%H:%M:%SZ','now'),?8) ON CONFLICT("
                       "fingerprint) DO UPDATE SET hostname = excluded.hostname, detail = "
                       "coalesce(excluded.detail, detail) RETURNING id");
    int64_t id = 0;
    if (s) {
        store_bind_text(s, 1, m->fingerprint), store_bind_text(s, 2, m->hostname);
        store_bind_text(s, 3, m->cpu_model), store_bind_text(s, 4, m->cpu_flags);
        sqlite3_bind_int(s, 5, m->n_cpus), bind_real(s, 6, m->mem_bytes);
        store_bind_text(s, 7, m->os), store_bind_text(s, 8, detail);
        if (sqlite3_step(s) == SQLITE_ROW)
            id = sqlite3_column_int64(s, 0);
        else
            fail(st, "insert machine");
    }
    sqlite3_finalize(s);
    return id;
}

static int64_t upsert_build(struct mtok_store *st, const struct mtok_build_row *b)
{
    sqlite3_stmt *s =
        store_prep(st, "INSERT INTO build(git_commit, dirty, compiler, flags, simd, "
                       "version, created_at) VALUES (?1,?2,?3,?4,?5,?6,"
                       "strftime('%Y-%m-%dT%H:%M:%SZ','now')) ON CONFLICT(git_commit, "
                       "dirty, compiler, flags, simd) DO UPDATE SET version = "
                       "excluded.version RETURNING id");
    int64_t id = 0;
    if (s) {
        store_bind_text(s, 1, b->git_commit), sqlite3_bind_int(s, 2, b->dirty);
        store_bind_text(s, 3, b->compiler ? b->compiler : "unknown");
        store_bind_text(s, 4, b->flags ? b->flags : "");
        store_bind_text(s, 5, b->simd ? b->simd : "ref");
        store_bind_text(s, 6, b->version ? b->version : MTOK_VERSION);
        if (sqlite3_step(s) == SQLITE_ROW)
            id = sqlite3_column_int64(s, 0);
        else
            fail(st, "insert build");
    }
    sqlite3_finalize(s);
    return id;
}

enum mtok_status mtok_store_run_begin(struct mtok_store *st, struct mtok_run *run)
{
    MTOK_ASSERT(run->id == 0);
    if (exec(st, "BEGIN IMMEDIATE") != SQLITE_OK)
        return fail(st, "begin");
    int64_t mid = run->has_machine ? upsert_machine(st, &run->machine, run->machine_detail) : 0;
    int64_t bid = run->has_build ? upsert_build(st, &run->build) : 0;
    sqlite3_stmt *s = NULL;
    if ((run->has_machine && !mid) || (run->has_build && !bid))
        goto fail;
    s = store_prep(st,
                   "INSERT INTO run(uuid, kind, suite, args, machine_id, build_id, status, pid, "
                   "host, started_at, meta) VALUES (?1,?2,?3,?4,?5,?6,'running',?7,?8,"
                   "strftime('%Y-%m-%dT%H:%M:%fZ','now'),?9) RETURNING id");
    if (!s)
        goto fail;
    store_bind_text(s, 1, run->uuid), store_bind_text(s, 2, run->info.kind);
    store_bind_text(s, 3, run->info.suite);
    store_bind_text(s, 4, run->info.args);
    if (mid)
        sqlite3_bind_int64(s, 5, mid);
    if (bid)
        sqlite3_bind_int64(s, 6, bid);
    sqlite3_bind_int64(s, 7, (sqlite3_int64)getpid());
    store_bind_text(s, 8, st->host), store_bind_text(s, 9, run->meta);
    if (sqlite3_step(s) != SQLITE_ROW) {
        fail(st, "insert run");
        goto fail;
    }
    run->id = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    s = NULL;
    if (exec(st, "COMMIT") != SQLITE_OK) {
        fail(st, "commit run");
        run->id = 0;
        goto fail;
    }
    return MTOK_OK;
fail:
    sqlite3_finalize(s);
    exec(st, "ROLLBACK");
    return MTOK_EDB;
}

/* Also (re)writes meta: what a run records about itself may only be known at its end. */
static enum mtok_status set_status(struct mtok_store *st, struct mtok_run *run, const char *status)
{
    sqlite3_stmt *s =
        store_prep(st, "UPDATE run SET status = ?1, finished_at = "
                       "strftime('%Y-%m-%dT%H:%M:%fZ','now'), meta = coalesce(?3, meta) "
                       "WHERE id = ?2");
    if (!s)
        return MTOK_EDB;
    store_bind_text(s, 1, status);
    sqlite3_bind_int64(s, 2, run->id);
    store_bind_text(s, 3, run->meta);
    int rc = sqlite3_step(s);
    sqlite3_finalize(s);
    return rc == SQLITE_DONE ? MTOK_OK : fail(st, "update run status");
}

static bool write_results(struct mtok_store *st, struct mtok_run *run, int64_t *ids)
{
    sqlite3_stmt *s =
        store_prep(st, "INSERT INTO result(run_id, name, kernel, dtype, shape, variant, "
                       "threads, n_samples, min_ns, median_ns, mad_ns, ci_lo_ns, ci_hi_ns, "
                       "flops, bytes, kv_bytes, predicted_ns, provenance, iters, error) "
                       "VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,"
                       "?18,?19,?20) RETURNING id");
    if (!s)
        return false;
    bool ok = true;
    for (size_t i = 0; ok && i < run->results.n; i++) {
        const struct mtok_result_row *r = &run->results.v[i];
        size_t n_samples = 0;
        for (size_t k = 0; k < run->samples.n; k++)
            n_samples += run->samples.v[k].result == i;
        sqlite3_bind_int64(s, 1, run->id);
        store_bind_text(s, 2, r->name), store_bind_text(s, 3, r->kernel);
        store_bind_text(s, 4, r->dtype);
        store_bind_text(s, 5, r->shape), store_bind_text(s, 6, r->variant);
        sqlite3_bind_int(s, 7, r->threads), sqlite3_bind_int64(s, 8, (sqlite3_int64)n_samples);
        bind_real(s, 9, r->min_ns), bind_real(s, 10, r->median_ns), bind_real(s, 11, r->mad_ns);
        bind_real(s, 12, r->ci_lo_ns), bind_real(s, 13, r->ci_hi_ns), bind_real(s, 14, r->flops);
        bind_real(s, 15, r->bytes), bind_real(s, 16, r->kv_bytes);
        if (r->predicted_ns > 0)
            bind_real(s, 17, r->predicted_ns);
        else
            sqlite3_bind_null(s, 17);
        store_bind_text(s, 18, r->provenance);
        const struct result_extra *x = i < run->extras.n ? &run->extras.v[i] : NULL;
        if (x && x->iters > 0)
            bind_real(s, 19, x->iters);
        else
            sqlite3_bind_null(s, 19);
        store_bind_text(s, 20, x ? x->error : NULL);
        ok = sqlite3_step(s) == SQLITE_ROW;
        if (ok)
            ids[i] = sqlite3_column_int64(s, 0);
        else
            fail(st, "insert result");
        sqlite3_reset(s);
        sqlite3_clear_bindings(s);
    }
    sqlite3_finalize(s);
    return ok;
}

static bool write_samples(struct mtok_store *st, struct mtok_run *run, const int64_t *ids)
{
    sqlite3_stmt *s = store_prep(st, "INSERT INTO sample(result_id, idx, ns) VALUES (?1,?2,?3)");
    if (!s)
        return false;
    size_t *next = mtok_xcalloc(run->results.n + 1, sizeof *next);
    bool ok = true;
    for (size_t i = 0; ok && i < run->samples.n; i++) {
        const struct sample *x = &run->samples.v[i];
        sqlite3_bind_int64(s, 1, ids[x->result]);
        sqlite3_bind_int64(s, 2, (sqlite3_int64)next[x->result]++);
        bind_real(s, 3, x->ns);
        ok = sqlite3_step(s) == SQLITE_DONE || (fail(st, "insert sample"), false);
        sqlite3_reset(s);
    }
    free(next);
    sqlite3_finalize(s);
    if (!ok)
        return false;
    s = store_prep(st, "INSERT INTO counter(result_id, name, value, available, note) VALUES "
                       "(?1,?2,?3,?4,?5)");
    if (!s)
        return false;
    for (size_t i = 0; ok && i < run->counters.n; i++) {
        const struct counter *c = &run->counters.v[i];
        sqlite3_bind_int64(s, 1, ids[c->result]);
        store_bind_text(s, 2, c->name);
        if (c->available)
            bind_real(s, 3, c->value);
        else
            sqlite3_bind_null(s, 3);
        sqlite3_bind_int(s, 4, c->available);
        store_bind_text(s, 5, c->note);
        ok = sqlite3_step(s) == SQLITE_DONE || (fail(st, "insert counter"), false);
        sqlite3_reset(s);
    }
    sqlite3_finalize(s);
    return ok;
}

static bool write_ceilings(struct mtok_store *st, struct mtok_run *run)
{
    sqlite3_stmt *s =
        store_prep(st, "INSERT INTO ceiling(run_id, kind, name, level, threads, bytes, "
                       "value, unit) VALUES (?1,?2,?3,?4,?5,?6,?7,?8)");
    if (!s)
        return false;
    bool ok = true;
    for (size_t i = 0; ok && i < run->ceilings.n; i++) {
        const struct mtok_ceiling_row *c = &run->ceilings.v[i];
        sqlite3_bind_int64(s, 1, run->id);
        store_bind_text(s, 2, c->kind), store_bind_text(s, 3, c->name);
        store_bind_text(s, 4, c->level);
        sqlite3_bind_int(s, 5, c->threads), bind_real(s, 6, c->bytes);
        bind_real(s, 7, c->value), store_bind_text(s, 8, c->unit ? c->unit : "");
        ok = sqlite3_step(s) == SQLITE_DONE || (fail(st, "insert ceiling"), false);
        sqlite3_reset(s);
    }
    sqlite3_finalize(s);
    return ok;
}

static bool write_calib(struct mtok_store *st, struct mtok_run *run)
{
    if (!run->calib.n)
        return true;
    sqlite3_stmt *s =
        store_prep(st, "INSERT INTO calibration(run_id, name, hw, threads, op_kind, dtype, "
                       "bound, size, utilisation, compute_size, memory_size, "
                       "sol_compute_ns, sol_memory_ns, latency_ns, measured_ns) VALUES "
                       "(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15)");
    if (!s)
        return false;
    bool ok = true;
    for (size_t i = 0; ok && i < run->calib.n; i++) {
        const struct mtok_calib_row *c = &run->calib.v[i];
        sqlite3_bind_int64(s, 1, run->id);
        store_bind_text(s, 2, c->name), store_bind_text(s, 3, c->hw);
        sqlite3_bind_int(s, 4, c->threads);
        store_bind_text(s, 5, c->op_kind), store_bind_text(s, 6, c->dtype);
        store_bind_text(s, 7, c->bound);
        bind_real(s, 8, c->size), bind_real(s, 9, c->utilisation);
        bind_real(s, 10, c->compute_size), bind_real(s, 11, c->memory_size);
        bind_real(s, 12, c->sol_compute_ns), bind_real(s, 13, c->sol_memory_ns);
        bind_real(s, 14, c->latency_ns), bind_real(s, 15, c->measured_ns);
        ok = sqlite3_step(s) == SQLITE_DONE || (fail(st, "insert calibration"), false);
        sqlite3_reset(s);
    }
    sqlite3_finalize(s);
    return ok;
}

static bool write_sims(struct mtok_store *st, struct mtok_run *run)
{
    sqlite3_stmt *s =
        store_prep(st, "INSERT INTO simulation(run_id, key, model, hw, deployment, fits, "
                       "max_batch, ttft_s, tpot_s, tok_s_per_user, tok_s_per_gpu, "
                       "input_tok_s_per_gpu, output_tok_s_per_gpu, weight_bytes, "
                       "kv_bytes_per_token, flops_per_token, provenance) VALUES (?1,?2,?3,"
                       "?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17) RETURNING id");
    sqlite3_stmt *c = store_prep(st, "INSERT INTO cost(simulation_id, tier, usd_per_gpu_hour, "
                                     "usd_per_m_input, usd_per_m_cached_input, usd_per_m_output, "
                                     "usd_per_m_total) VALUES (?1,?2,?3,?4,?5,?6,?7)");
    bool ok = s && c;
    int64_t *ids = mtok_xcalloc(run->sims.n + 1, sizeof *ids);
    for (size_t i = 0; ok && i < run->sims.n; i++) {
        const struct mtok_sim_row *r = &run->sims.v[i];
        sqlite3_bind_int64(s, 1, run->id);
        store_bind_text(s, 2, r->key), store_bind_text(s, 3, r->model);
        store_bind_text(s, 4, r->hw);
        store_bind_text(s, 5, r->deployment), sqlite3_bind_int(s, 6, r->fits);
        bind_real(s, 7, r->max_batch), bind_real(s, 8, r->ttft_s), bind_real(s, 9, r->tpot_s);
        bind_real(s, 10, r->tok_s_per_user), bind_real(s, 11, r->tok_s_per_gpu);
        bind_real(s, 12, r->input_tok_s_per_gpu), bind_real(s, 13, r->output_tok_s_per_gpu);
        bind_real(s, 14, r->weight_bytes), bind_real(s, 15, r->kv_bytes_per_token);
        bind_real(s, 16, r->flops_per_token), store_bind_text(s, 17, r->provenance);
        ok = sqlite3_step(s) == SQLITE_ROW || (fail(st, "insert simulation"), false);
        if (ok)
            ids[i] = sqlite3_column_int64(s, 0);
        sqlite3_reset(s);
    }
    for (size_t i = 0; ok && i < run->costs.n; i++) {
        const struct cost *x = &run->costs.v[i];
        sqlite3_bind_int64(c, 1, ids[x->sim]);
        store_bind_text(c, 2, x->row.tier), bind_real(c, 3, x->row.usd_per_gpu_hour);
        bind_real(c, 4, x->row.usd_per_m_input), bind_real(c, 5, x->row.usd_per_m_cached_input);
        bind_real(c, 6, x->row.usd_per_m_output), bind_real(c, 7, x->row.usd_per_m_total);
        ok = sqlite3_step(c) == SQLITE_DONE || (fail(st, "insert cost"), false);
        sqlite3_reset(c);
    }
    free(ids);
    sqlite3_finalize(s);
    sqlite3_finalize(c);
    return ok;
}

static bool write_prices(struct mtok_store *st, struct mtok_run *run)
{
    if (!run->prices.n)
        return true;
    sqlite3_stmt *s =
        store_prep(st, "INSERT INTO price_snapshot(run_id, price_id, provider, product, "
                       "model, kind, from_date, until_date, currency, per_m_input, "
                       "per_m_cached_input, per_m_output, source) VALUES (?1,?2,?3,?4,?5,"
                       "?6,?7,?8,?9,?10,?11,?12,?13)");
    bool ok = s != NULL;
    for (size_t i = 0; ok && i < run->prices.n; i++) {
        const struct mtok_price_row *p = &run->prices.v[i];
        sqlite3_bind_int64(s, 1, run->id);
        store_bind_text(s, 2, p->price_id), store_bind_text(s, 3, p->provider);
        store_bind_text(s, 4, p->product);
        store_bind_text(s, 5, p->model), store_bind_text(s, 6, p->kind);
        store_bind_text(s, 7, p->from_date);
        store_bind_text(s, 8, p->until_date), store_bind_text(s, 9, p->currency);
        bind_real(s, 10, p->per_m_input), bind_real(s, 11, p->per_m_cached_input);
        bind_real(s, 12, p->per_m_output), store_bind_text(s, 13, p->source);
        ok = sqlite3_step(s) == SQLITE_DONE || (fail(st, "insert price snapshot"), false);
        sqlite3_reset(s);
    }
    sqlite3_finalize(s);
    return ok;
}

static bool write_workload_costs(struct mtok_store *st, struct mtok_run *run)
{
    if (!run->workload_costs.n)
        return true;
    sqlite3_stmt *s =
        store_prep(st, "INSERT INTO workload_cost(run_id, key, workload, kind, name, "
                       "provider, product, price_id, hw, deployment, feasible, devices, "
                       "utilisation, hour_basis, usd_per_device_hour, usd_per_month, "
                       "usd_per_m_tokens, breakeven_requests_per_day, note) VALUES (?1,?2,"
                       "?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19)");
    bool ok = s != NULL;
    for (size_t i = 0; ok && i < run->workload_costs.n; i++) {
        const struct mtok_workload_cost_row *w = &run->workload_costs.v[i];
        sqlite3_bind_int64(s, 1, run->id);
        store_bind_text(s, 2, w->key), store_bind_text(s, 3, w->workload);
        store_bind_text(s, 4, w->kind);
        store_bind_text(s, 5, w->name), store_bind_text(s, 6, w->provider);
        store_bind_text(s, 7, w->product);
        store_bind_text(s, 8, w->price_id), store_bind_text(s, 9, w->hw);
        store_bind_text(s, 10, w->deployment);
        sqlite3_bind_int(s, 11, w->feasible), sqlite3_bind_int(s, 12, w->devices);
        bind_real(s, 13, w->utilisation), store_bind_text(s, 14, w->hour_basis);
        bind_real(s, 15, w->usd_per_device_hour), bind_real(s, 16, w->usd_per_month);
        bind_real(s, 17, w->usd_per_m_tokens), bind_real(s, 18, isinf(w->breakeven_requests_per_day) ? NAN : w->breakeven_requests_per_day);
        store_bind_text(s, 19, w->note);
        ok = sqlite3_step(s) == SQLITE_DONE || (fail(st, "insert workload cost"), false);
        sqlite3_reset(s);
    }
    sqlite3_finalize(s);
    return ok;
}

enum mtok_status mtok_store_run_commit(struct mtok_store *st, struct mtok_run *run)
{
    MTOK_ASSERT(run->id != 0);
    if (exec(st, "BEGIN IMMEDIATE") != SQLITE_OK)
        return fail(st, "begin");
    int64_t *ids = mtok_xcalloc(run->results.n + 1, sizeof *ids);
    bool ok = write_results(st, run, ids) && write_samples(st, run, ids) &&
              write_ceilings(st, run) && write_calib(st, run) && write_sims(st, run) &&
              write_prices(st, run) && write_workload_costs(st, run) &&
              set_status(st, run, "complete") == MTOK_OK;
    free(ids);
    if (ok && exec(st, "COMMIT") == SQLITE_OK)
        return MTOK_OK;
    if (ok)
        fail(st, "commit");
    exec(st, "ROLLBACK");
    return MTOK_EDB;
}

enum mtok_status mtok_store_run_save(struct mtok_store *st, struct mtok_run *run)
{
    enum mtok_status s = mtok_store_run_begin(st, run);
    if (s == MTOK_OK && (s = mtok_store_run_commit(st, run)) != MTOK_OK)
        mtok_store_run_fail(st, run);
    return s;
}

enum mtok_status mtok_store_run_fail(struct mtok_store *st, struct mtok_run *run)
{
    MTOK_ASSERT(run->id != 0);
    return set_status(st, run, "failed");
}

/* ---- queries ---- */

size_t mtok_store_table_counts(struct mtok_store *st, const char **names, int64_t *counts, size_t n)
{
    static const char *const tables[] = {
        "machine", "build",      "run",  "result",         "sample",        "counter",
        "ceiling", "simulation", "cost", "price_snapshot", "workload_cost", "calibration"};
    static const char *const sql[] = {
        "SELECT count(*) FROM machine",       "SELECT count(*) FROM build",
        "SELECT count(*) FROM run",           "SELECT count(*) FROM result",
        "SELECT count(*) FROM sample",        "SELECT count(*) FROM counter",
        "SELECT count(*) FROM ceiling",       "SELECT count(*) FROM simulation",
        "SELECT count(*) FROM cost",          "SELECT count(*) FROM price_snapshot",
        "SELECT count(*) FROM workload_cost", "SELECT count(*) FROM calibration"};
    size_t total = sizeof tables / sizeof *tables;
    for (size_t i = 0; i < total && i < n; i++) {
        names[i] = tables[i];
        counts[i] = query_int(st, sql[i], -1);
    }
    return total;
}

/* ---- merge ---- */

/* The tables and indexes (type, name, sql) that migrating an empty database to version v creates,
 * built once per process in an in-memory database and kept (they never change). */
struct schema_obj {
    char *type, *name, *sql;
};
static struct {
    bool built;
    struct schema_obj *v;
    size_t n;
} schema_cache[MTOK_STORE_SCHEMA_VERSION + 1];
static pthread_mutex_t schema_lock = PTHREAD_MUTEX_INITIALIZER;

static bool reference_schema(int version, const struct schema_obj **objs, size_t *n)
{
    pthread_mutex_lock(&schema_lock);
    bool ok = schema_cache[version].built;
    if (!ok) {
        sqlite3 *ref = NULL;
        ok = sqlite3_open_v2(":memory:", &ref, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK;
        for (int v = 0; ok && v < version; v++)
            ok = sqlite3_exec(ref, mtok_store_migrations[v], NULL, NULL, NULL) == SQLITE_OK;
        sqlite3_stmt *q = NULL;
        ok = ok && sqlite3_prepare_v2(ref,
                                      "SELECT type, name, sql FROM sqlite_master WHERE type "
                                      "IN ('table', 'index') AND sql IS NOT NULL",
                                      -1, &q, NULL) == SQLITE_OK;
        struct schema_obj *v = NULL;
        size_t count = 0;
        while (ok && sqlite3_step(q) == SQLITE_ROW) {
            v = mtok_xrealloc(v, (count + 1) * sizeof *v);
            for (int c = 0; c < 3; c++) {
                const char *t = (const char *)sqlite3_column_text(q, c);
                (&v[count].type)[c] = mtok_xstrdup(t ? t : "");
            }
            count++;
        }
        sqlite3_finalize(q);
        sqlite3_close(ref);
        if (ok) {
            schema_cache[version].v = v;
            schema_cache[version].n = count;
            schema_cache[version].built = true;
        } else {
            for (size_t i = 0; i < count; i++)
                free(v[i].type), free(v[i].name), free(v[i].sql);
            free(v);
        }
    }
    *objs = schema_cache[version].v;
    *n = schema_cache[version].n;
    pthread_mutex_unlock(&schema_lock);
    return ok;
}

/* Does `schema` of db (main or an attached name) hold exactly the tables and indexes, with their
 * exact definitions, that migrating an empty database to `version` creates? A source is only read
 * after this holds, so a hostile file cannot hand merge a view (arbitrary SQL, maybe endless) or a
 * table without the constraints merge relies on. */
static bool schema_matches(sqlite3 *db, const char *schema, int version, char *msg, size_t n)
{
    const struct schema_obj *want;
    size_t n_want;
    if (!reference_schema(version, &want, &n_want)) {
        snprintf(msg, n, "cannot build schema v%d for comparison", version);
        return false;
    }
    sqlite3_stmt *have = NULL;
    struct mtok_buf q = {0};
    mtok_buf_printf(&q, "SELECT sql FROM \"%s\".sqlite_master WHERE type = ?1 AND name = ?2",
                    schema); /* schema is "main" or "src", never user data */
    bool ok = sqlite3_prepare_v2(db, q.data, -1, &have, NULL) == SQLITE_OK;
    mtok_buf_free(&q);
    if (!ok)
        snprintf(msg, n, "not a usable SQLite database: %s", sqlite3_errmsg(db));
    for (size_t i = 0; ok && i < n_want; i++) {
        sqlite3_bind_text(have, 1, want[i].type, -1, SQLITE_STATIC);
        sqlite3_bind_text(have, 2, want[i].name, -1, SQLITE_STATIC);
        int rc = sqlite3_step(have);
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
            snprintf(msg, n, "not a usable SQLite database: %s", sqlite3_errmsg(db));
            ok = false;
        } else if (rc == SQLITE_DONE || !sqlite3_column_text(have, 0) ||
                   strcmp((const char *)sqlite3_column_text(have, 0), want[i].sql) != 0) {
            snprintf(msg, n, "not an mtok database of schema v%d: %s %s %s", version, want[i].type,
                     want[i].name, rc == SQLITE_DONE ? "is missing" : "differs");
            ok = false;
        }
        sqlite3_reset(have);
    }
    sqlite3_finalize(have);
    return ok;
}

/* A look at a merge source that writes nothing. On success *db is a connection to it and *version
 * its schema version; on failure msg says why. */
static enum mtok_status open_source(const char *path, sqlite3 **db, int *version, char *msg,
                                    size_t n)
{
    *db = NULL;
    struct stat sb;
    if (stat(path, &sb) != 0) {
        snprintf(msg, n, "%s: cannot read: %s", path, strerror(errno));
        return MTOK_EIO;
    }
    if (!S_ISREG(sb.st_mode)) {
        snprintf(msg, n, "%s: not a regular file", path);
        return MTOK_EINVAL;
    }
    char why[512] = "";
    enum mtok_status s = MTOK_OK;
    /* Read-write (never create), though only read: a read-only connection to a WAL database
     * would leave empty -wal and -shm files behind; the last read-write one removes them. */
    if (sqlite3_open_v2(path, db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        snprintf(why, sizeof why, "cannot open: %s", *db ? sqlite3_errmsg(*db) : "out of memory");
        s = MTOK_EDB;
    } else {
        sqlite3_db_config(*db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
        sqlite3_db_config(*db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
        sqlite3_busy_timeout(*db, 60000);
        sqlite3_stmt *q = NULL;
        if (sqlite3_prepare_v2(*db, "PRAGMA user_version", -1, &q, NULL) != SQLITE_OK ||
            sqlite3_step(q) != SQLITE_ROW) {
            snprintf(why, sizeof why, "not a usable SQLite database: %s", sqlite3_errmsg(*db));
            s = MTOK_EDB;
        } else {
            *version = sqlite3_column_int(q, 0);
        }
        sqlite3_finalize(q);
    }
    if (s == MTOK_OK && (*version < 0 || *version > MTOK_STORE_SCHEMA_VERSION)) {
        snprintf(why, sizeof why, "schema version %d is %s this mtok (%d)%s", *version,
                 *version < 0 ? "unknown to" : "newer than", MTOK_STORE_SCHEMA_VERSION,
                 *version < 0 ? "" : "; upgrade mtok");
        s = MTOK_EINVAL;
    }
    if (s == MTOK_OK && !schema_matches(*db, "main", *version, why, sizeof why))
        s = MTOK_EINVAL;
    if (s != MTOK_OK) {
        snprintf(msg, n, "%s: %s", path, why);
        sqlite3_close(*db);
        *db = NULL;
    }
    return s;
}

enum mtok_status mtok_store_check_source(const char *path, struct mtok_error *err)
{
    sqlite3 *db;
    int version;
    char msg[1024];
    enum mtok_status s = open_source(path, &db, &version, msg, sizeof msg);
    sqlite3_close(db);
    if (s != MTOK_OK)
        mtok_error_set(err, s, "%s", msg);
    return s;
}

/* A private copy of an older source, brought to the current schema: the source is never written.
 * The backup API copies a consistent snapshot, WAL content included. */
static enum mtok_status migrated_copy(struct mtok_store *st, sqlite3 *src, const char *src_path,
                                      char **copy_path)
{
    struct mtok_buf p = {0};
    mtok_buf_printf(&p, "%s.merge-%ld.tmp", st->path, (long)getpid());
    *copy_path = mtok_buf_steal(&p);
    unlink(*copy_path);
    sqlite3 *dst = NULL;
    enum mtok_status s = MTOK_OK;
    if (sqlite3_open_v2(*copy_path, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
        SQLITE_OK) {
        set_errmsg(st, "%s: cannot create a working copy: %s", *copy_path,
                   dst ? sqlite3_errmsg(dst) : "out of memory");
        s = MTOK_EIO;
    } else {
        sqlite3_backup *b = sqlite3_backup_init(dst, "main", src, "main");
        int rc = b ? sqlite3_backup_step(b, -1) : SQLITE_ERROR;
        sqlite3_backup_finish(b);
        if (rc != SQLITE_DONE) {
            set_errmsg(st, "%s: cannot copy: %s", src_path, sqlite3_errmsg(dst));
            s = MTOK_EDB;
        }
    }
    sqlite3_close(dst);
    if (s == MTOK_OK) {
        struct mtok_error err = {0};
        struct mtok_store *tmp = NULL;
        s = mtok_store_open(&tmp, *copy_path, &err);
        mtok_store_close(tmp);
        if (s != MTOK_OK)
            set_errmsg(st, "%s: migrating a copy: %s", src_path, err.msg);
    }
    return s;
}

enum mtok_status mtok_store_merge(struct mtok_store *st, const char *src_path,
                                  struct mtok_merge_stats *stats)
{
    memset(stats, 0, sizeof *stats);
    struct stat a, b;
    if (strcmp(src_path, st->path) == 0 || (stat(src_path, &a) == 0 && stat(st->path, &b) == 0 &&
                                            a.st_dev == b.st_dev && a.st_ino == b.st_ino)) {
        set_errmsg(st, "%s: cannot merge a database into itself", src_path);
        return MTOK_EINVAL;
    }
    sqlite3 *src = NULL;
    int version = 0;
    enum mtok_status status = open_source(src_path, &src, &version, st->errmsg, sizeof st->errmsg);
    if (status != MTOK_OK) {
        mtok_line_copy(st->errmsg, sizeof st->errmsg, st->errmsg);
        return status;
    }
    char *copy = NULL;
    if (version < MTOK_STORE_SCHEMA_VERSION)
        status = migrated_copy(st, src, src_path, &copy);
    sqlite3_close(src);
    if (status != MTOK_OK)
        goto done;

    sqlite3_stmt *att = store_prep(st, "ATTACH DATABASE ?1 AS src");
    if (!att) {
        status = MTOK_EDB;
        goto done;
    }
    store_bind_text(att, 1, copy ? copy : src_path);
    int rc = sqlite3_step(att);
    sqlite3_finalize(att);
    if (rc != SQLITE_DONE) {
        status = fail(st, "attach");
        goto done;
    }
    /* The file may have changed since it was checked: check again, as attached. */
    char why[512];
    if (!schema_matches(st->db, "src", MTOK_STORE_SCHEMA_VERSION, why, sizeof why)) {
        set_errmsg(st, "%s: %s", src_path, why);
        status = MTOK_EINVAL;
        goto detach;
    }
    if (exec(st, "BEGIN IMMEDIATE") != SQLITE_OK) {
        status = fail(st, "begin merge");
        goto detach;
    }
    int64_t runs_before = query_int(st, "SELECT count(*) FROM main.run", 0);
    int64_t src_runs = query_int(st, "SELECT count(*) FROM src.run", 0);
    int64_t changes_before = sqlite3_total_changes64(st->db);
    for (size_t i = 0; i < mtok_store_merge_sql_count; i++)
        if (exec(st, mtok_store_merge_sql[i]) != SQLITE_OK) {
            status = fail(st, "merge");
            exec(st, "ROLLBACK");
            goto detach;
        }
    stats->runs_added = query_int(st, "SELECT count(*) FROM main.run", 0) - runs_before;
    stats->runs_skipped = src_runs - stats->runs_added;
    stats->rows_added = sqlite3_total_changes64(st->db) - changes_before;
    if (exec(st, "COMMIT") != SQLITE_OK) {
        status = fail(st, "commit merge");
        exec(st, "ROLLBACK");
    }
detach:
    exec(st, "DETACH DATABASE src");
done:
    if (copy)
        remove_db_files(copy);
    free(copy);
    return status;
}
