/* Fuzz target: `mtok db merge` of a hostile source database into a fresh one (mtok_store_merge),
 * the path by which other machines' results enter a user's history. The input is either
 *   - a database file, when it starts with SQLite's magic "SQLite format 3\0" (the b-tree format
 *     itself corrupted), or
 *   - SQL text run on an empty database to build the source (the contents hostile: wrong or
 *     missing tables and columns, NULLs, duplicates, odd types, triggers, views, an old or future
 *     user_version). Seeds: tests/data/schema/v*.sql, one dump per released schema.
 * The SQL runs with ATTACH and most PRAGMAs denied, a step budget, an 8 MB file cap and a heap
 * limit, so it cannot touch other files, fill the disk or run forever.
 *
 * Oracles: a failed merge leaves the destination as it was (no run) with a printable message; a
 * successful one leaves it passing PRAGMA integrity_check and foreign_key_check, and (one input in
 * four) merging the same source again adds nothing (merge is idempotent). */
#include "fuzz.h" /* first: it sets _POSIX_C_SOURCE */
#include <sqlite3.h>

#include "store/store.h"

static char *template_db;
static size_t template_len;

static void unlink_db(const char *path)
{
    char p[600];
    unlink(path);
    snprintf(p, sizeof p, "%s-wal", path), unlink(p);
    snprintf(p, sizeof p, "%s-shm", path), unlink(p);
    snprintf(p, sizeof p, "%s-journal", path), unlink(p);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    sqlite3_hard_heap_limit64(256 << 20); /* temp tables and sorts stay in memory: bound them */
    /* A fresh current-schema database, made once and copied for every input. */
    const char *path = fuzz_path("template.db");
    struct mtok_error err = {0};
    struct mtok_store *st = NULL;
    if (mtok_store_open(&st, path, &err) != MTOK_OK) {
        fprintf(stderr, "fuzz_merge: %s\n", err.msg);
        abort();
    }
    mtok_store_close(st);
    if (mtok_file_read(path, 1 << 24, &template_db, &template_len, &err) != MTOK_OK)
        abort();
    unlink_db(path);
    return 0;
}

/* The source-building SQL may not reach other files (ATTACH, VACUUM INTO), nor lift the size cap
 * (max_page_count) or other resource settings: PRAGMAs outside this list are denied. Those on it
 * are the ones that make hostile files (writable_schema, schema_version: corrupt schemas). */
static int guard(void *u, int action, const char *a, const char *b, const char *c, const char *d)
{
    (void)u, (void)b, (void)c, (void)d;
    if (action == SQLITE_ATTACH || action == SQLITE_DETACH)
        return SQLITE_DENY;
    if (action == SQLITE_PRAGMA) {
        static const char *const ok[] = {"user_version", "page_size", "foreign_keys",
                                         "writable_schema", "schema_version", "encoding",
                                         "auto_vacuum", "application_id", "journal_mode",
                                         "synchronous", "recursive_triggers", "table_info",
                                         "integrity_check", NULL};
        for (const char *const *k = ok; *k; k++)
            if (a && sqlite3_stricmp(a, *k) == 0)
                return SQLITE_OK;
        return SQLITE_DENY;
    }
    return SQLITE_OK;
}

static int budget(void *u)
{
    return ++*(int *)u > 2000; /* x 1000 VM steps */
}

static void build_from_sql(const char *path, const char *sql)
{
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) == SQLITE_OK) {
        int steps = 0;
        sqlite3_limit(db, SQLITE_LIMIT_ATTACHED, 0);
        sqlite3_limit(db, SQLITE_LIMIT_LENGTH, 1 << 20);
        /* No journal file per statement (building the source is not what is under test), and
         * at most 2048 pages (8 MB at the default page size) of source. */
        sqlite3_exec(db, "PRAGMA journal_mode=MEMORY; PRAGMA synchronous=OFF; "
                         "PRAGMA max_page_count=2048", NULL, NULL, NULL);
        sqlite3_set_authorizer(db, guard, NULL);
        sqlite3_progress_handler(db, 1000, budget, &steps);
        sqlite3_exec(db, sql, NULL, NULL, NULL); /* errors are part of the game */
    }
    sqlite3_close(db);
}

static int64_t count(struct mtok_store *st, size_t table)
{
    const char *names[16];
    int64_t counts[16];
    mtok_store_table_counts(st, names, counts, 16);
    return counts[table];
}

/* Merging twice costs a third of the time: check idempotency on one input in four, chosen by
 * content so that a failure reproduces. */
static bool idempotency_input(const uint8_t *data, size_t size)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < size; i++)
        h = (h ^ data[i]) * 16777619u;
    return (h & 3) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *src = fuzz_path("src.db"), *dst = fuzz_path("dst.db");
    unlink_db(src);
    unlink_db(dst);
    static const char magic[16] = "SQLite format 3";
    if (size >= 16 && memcmp(data, magic, 16) == 0) {
        fuzz_write(src, data, size);
    } else {
        char *sql = mtok_xmalloc(size + 1);
        memcpy(sql, data, size);
        sql[size] = '\0';
        build_from_sql(src, sql);
        free(sql);
    }
    fuzz_write(dst, template_db, template_len);

    struct mtok_error err = {0};
    struct mtok_store *st = NULL;
    FUZZ_ASSERT(mtok_store_open(&st, dst, &err) == MTOK_OK, "fresh destination: %s", err.msg);
    struct mtok_merge_stats ms;
    enum mtok_status s = mtok_store_merge(st, src, &ms);
    if (s != MTOK_OK) {
        const char *why = fuzz_line_problem(mtok_store_errmsg(st), strlen(mtok_store_errmsg(st)),
                                            MTOK_DIAG_LINE_MAX);
        FUZZ_ASSERT(!why, "error message %s", why);
        FUZZ_ASSERT(count(st, 2) == 0, "a failed merge left %lld runs", (long long)count(st, 2));
    } else {
        FUZZ_ASSERT(ms.runs_added == count(st, 2), "runs_added %lld, runs %lld",
                    (long long)ms.runs_added, (long long)count(st, 2));
    }
    if (s == MTOK_OK && idempotency_input(data, size)) {
        struct mtok_merge_stats again;
        FUZZ_ASSERT(mtok_store_merge(st, src, &again) == MTOK_OK, "second merge: %s",
                    mtok_store_errmsg(st));
        FUZZ_ASSERT(again.runs_added == 0 && again.rows_added == 0,
                    "second merge added %lld runs, %lld rows", (long long)again.runs_added,
                    (long long)again.rows_added);
    }
    mtok_store_close(st);
    if (s == MTOK_OK) {
        sqlite3 *db = NULL;
        sqlite3_stmt *q = NULL;
        FUZZ_ASSERT(sqlite3_open_v2(dst, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK, "reopen");
        FUZZ_ASSERT(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &q, NULL) == SQLITE_OK &&
                        sqlite3_step(q) == SQLITE_ROW &&
                        strcmp((const char *)sqlite3_column_text(q, 0), "ok") == 0,
                    "integrity_check: %s", q ? (const char *)sqlite3_column_text(q, 0) : "?");
        sqlite3_finalize(q);
        FUZZ_ASSERT(sqlite3_prepare_v2(db, "PRAGMA foreign_key_check", -1, &q, NULL) == SQLITE_OK &&
                        sqlite3_step(q) == SQLITE_DONE,
                    "foreign_key_check found a dangling reference");
        sqlite3_finalize(q);
        sqlite3_close(db);
    }
    return 0;
}
