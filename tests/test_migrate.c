/* Migration from every released schema version: tests/data/schema/vN.sql is a dump of a version-N
 * database with sample rows. Each is loaded, opened with the current code (which migrates it) and
 * must then be at the current version, pass integrity_check and foreign_key_check, keep every row
 * of every table it had (all columns both versions share, value for value), accept a new run, and
 * merge into a fresh database, as a migrated file and straight from the old one. There must be a
 * fixture for every version from 1 to the current one: a new schema version adds vN.sql (see
 * tests/data/schema/README.md) and nothing else here. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <sqlite3.h>
#include <unistd.h>

#include "store/store.h"
#include "test.h"

static char tmpdir[] = "/tmp/mtok-migrate-XXXXXX";

static const char *tmp_path(const char *name)
{
    static char buf[8][600];
    static int slot;
    char *p = buf[slot++ % 8];
    snprintf(p, 600, "%s/%s", tmpdir, name);
    return p;
}

static int64_t q_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *s = NULL;
    int64_t v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK && sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    return v;
}

static bool load(const char *db_path, const char *sql)
{
    sqlite3 *db = NULL;
    unlink(db_path);
    bool ok = sqlite3_open(db_path, &db) == SQLITE_OK &&
              sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK;
    if (!ok)
        fprintf(stderr, "loading %s: %s\n", db_path, sqlite3_errmsg(db));
    sqlite3_close(db);
    return ok;
}

/* Every row of every table in `old` is in the migrated database, on the columns both share. */
static void check_rows_survive(const char *migrated, const char *old, const char *fixture,
                               int64_t *rows)
{
    sqlite3 *db = NULL;
    CHECK(sqlite3_open_v2(migrated, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK);
    sqlite3_stmt *att = NULL;
    sqlite3_prepare_v2(db, "ATTACH DATABASE ?1 AS old", -1, &att, NULL);
    sqlite3_bind_text(att, 1, old, -1, SQLITE_TRANSIENT);
    CHECK(sqlite3_step(att) == SQLITE_DONE);
    sqlite3_finalize(att);
    sqlite3_stmt *tables = NULL;
    sqlite3_prepare_v2(db, "SELECT name FROM old.sqlite_master WHERE type = 'table' AND name NOT "
                           "LIKE 'sqlite_%' ORDER BY name", -1, &tables, NULL);
    while (sqlite3_step(tables) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(tables, 0);
        /* Columns in both versions (table and column names are the fixture's, a trusted file). */
        struct mtok_buf cols = {0}, q = {0};
        mtok_buf_printf(&q, "SELECT o.name FROM pragma_table_info('%s', 'old') o JOIN "
                            "pragma_table_info('%s', 'main') m ON m.name = o.name ORDER BY o.cid",
                        t, t);
        sqlite3_stmt *c = NULL;
        sqlite3_prepare_v2(db, q.data, -1, &c, NULL);
        while (sqlite3_step(c) == SQLITE_ROW)
            mtok_buf_printf(&cols, "%s\"%s\"", cols.len ? ", " : "", sqlite3_column_text(c, 0));
        sqlite3_finalize(c);
        CHECK_MSG(cols.len > 0, "%s: table %s is gone after migration (or shares no column)",
                  fixture, t);
        if (cols.len) {
            mtok_buf_free(&q);
            mtok_buf_printf(&q, "SELECT count(*) FROM (SELECT %s FROM old.\"%s\" EXCEPT SELECT %s "
                                "FROM main.\"%s\")", cols.data, t, cols.data, t);
            int64_t lost = q_int(db, q.data);
            mtok_buf_free(&q);
            mtok_buf_printf(&q, "SELECT count(*) FROM old.\"%s\"", t);
            int64_t before = q_int(db, q.data);
            mtok_buf_free(&q);
            mtok_buf_printf(&q, "SELECT count(*) FROM main.\"%s\"", t);
            int64_t after = q_int(db, q.data);
            CHECK_MSG(lost == 0 && before == after, "%s: table %s: %lld rows before, %lld after, "
                      "%lld not found as they were", fixture, t, (long long)before,
                      (long long)after, (long long)lost);
            *rows += before;
        }
        mtok_buf_free(&cols);
        mtok_buf_free(&q);
    }
    sqlite3_finalize(tables);
    sqlite3_close(db);
}

static void integrity(const char *path, const char *what)
{
    sqlite3 *db = NULL;
    sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL);
    sqlite3_stmt *s = NULL;
    const char *r = "";
    if (sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, NULL) == SQLITE_OK &&
        sqlite3_step(s) == SQLITE_ROW)
        r = (const char *)sqlite3_column_text(s, 0);
    CHECK_MSG(r && strcmp(r, "ok") == 0, "%s: integrity_check: %s", what, r ? r : "?");
    sqlite3_finalize(s);
    CHECK_MSG(q_int(db, "SELECT count(*) FROM pragma_foreign_key_check") == 0,
              "%s: foreign_key_check failed", what);
    sqlite3_close(db);
}

static void migrate_fixture(const char *file, int version, int64_t *rows)
{
    char *sql = NULL;
    size_t len;
    CHECK(mtok_file_read(file, 1 << 26, &sql, &len, NULL) == MTOK_OK);
    if (!sql)
        return;
    const char *old = tmp_path("old.db"), *db = tmp_path("migrated.db");
    CHECK(load(old, sql) && load(db, sql));
    free(sql);
    sqlite3 *h = NULL;
    sqlite3_open(db, &h);
    CHECK_MSG(q_int(h, "PRAGMA user_version") == version, "%s: user_version is not %d (add "
              "`PRAGMA user_version = %d;` at the end)", file, version, version);
    int64_t runs = q_int(h, "SELECT count(*) FROM run");
    sqlite3_close(h);

    struct mtok_error err = {0};
    struct mtok_store *st = NULL;
    CHECK_MSG(mtok_store_open(&st, db, &err) == MTOK_OK, "%s: %s", file, err.msg);
    if (!st)
        return;
    CHECK(mtok_store_schema_version(st) == MTOK_STORE_SCHEMA_VERSION);
    mtok_store_close(st);
    integrity(db, file);
    check_rows_survive(db, old, file, rows);

    /* still usable: a new run, then a merge of the migrated and of the old file */
    CHECK(mtok_store_open(&st, db, &err) == MTOK_OK);
    struct mtok_run_info info = {"bench", "after-migration", NULL, NULL, NULL};
    struct mtok_run *run = mtok_run_create(&info);
    struct mtok_result_row r = {.name = "new", .kernel = "gemm", .median_ns = 1};
    mtok_run_add_sample(run, mtok_run_add_result(run, &r), 1);
    CHECK(mtok_store_run_begin(st, run) == MTOK_OK && mtok_store_run_commit(st, run) == MTOK_OK);
    mtok_run_destroy(run);
    mtok_store_close(st);
    const char *fresh = tmp_path("fresh.db"), *fresh2 = tmp_path("fresh2.db");
    unlink(fresh), unlink(fresh2);
    struct mtok_merge_stats ms;
    CHECK(mtok_store_open(&st, fresh, &err) == MTOK_OK);
    CHECK_MSG(mtok_store_merge(st, db, &ms) == MTOK_OK && ms.runs_added == runs + 1, "%s: %s",
              file, mtok_store_errmsg(st));
    mtok_store_close(st);
    CHECK(mtok_store_open(&st, fresh2, &err) == MTOK_OK);
    CHECK_MSG(mtok_store_merge(st, old, &ms) == MTOK_OK && ms.runs_added == runs,
              "%s: merging the unmigrated file: %s", file, mtok_store_errmsg(st));
    mtok_store_close(st);
    integrity(fresh2, file);
    sqlite3_open(old, &h);
    CHECK_MSG(q_int(h, "PRAGMA user_version") == version, "%s: merge wrote to its source", file);
    sqlite3_close(h);
}

int main(void)
{
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/tests/data/schema", test_source_dir());
    bool have[MTOK_STORE_SCHEMA_VERSION + 1] = {0};
    int64_t rows = 0;
    int fixtures = 0;
    DIR *dp = opendir(dir);
    CHECK(dp != NULL);
    struct dirent *e;
    while (dp && (e = readdir(dp))) {
        int v;
        char tail[8];
        if (sscanf(e->d_name, "v%d.%7s", &v, tail) != 2 || strcmp(tail, "sql") != 0)
            continue;
        CHECK_MSG(v >= 1 && v <= MTOK_STORE_SCHEMA_VERSION, "%s: no such schema version", e->d_name);
        if (v < 1 || v > MTOK_STORE_SCHEMA_VERSION)
            continue;
        have[v] = true;
        char file[4400];
        snprintf(file, sizeof file, "%s/%s", dir, e->d_name);
        migrate_fixture(file, v, &rows);
        fixtures++;
    }
    if (dp)
        closedir(dp);
    for (int v = 1; v <= MTOK_STORE_SCHEMA_VERSION; v++)
        CHECK_MSG(have[v], "schema v%d has no fixture tests/data/schema/v%d.sql", v, v);
    printf("schema fixtures migrated: %d (to v%d), rows compared: %lld\n", fixtures,
           MTOK_STORE_SCHEMA_VERSION, (long long)rows);
    char cmd[700];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmpdir);
    return test_status("test_migrate");
}
