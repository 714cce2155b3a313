/* mtok db merge SRC.db... --into DST.db | mtok db stats */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "store/store.h"

/* Sources are merged one by one, each in its own transaction: when a later source fails, the
 * earlier ones stay merged into an existing destination (merging is idempotent, so running the
 * command again is safe); a destination the command created is removed. */
static int db_merge(struct cli *c, int argc, char **argv)
{
    const char *into = NULL;
    struct cli_opt opts[] = {{"into", OPT_STR, &into, 0, 0, 0}};
    char *src[256];
    int n = cli_parse(c, argc, argv, opts, 1, src, 256);
    if (n < 0)
        return CLI_ERROR;
    if (!into)
        return cli_fail(c, "--into DST.db is required");
    if (n == 0)
        return cli_fail(c, "give at least one source database");
    /* Check every source before the destination is touched: a bad argument must not leave a
     * new or half-merged database behind. Sources are only read. */
    struct mtok_error err = {0};
    struct mtok_store *st = NULL;
    for (int i = 0; i < n; i++)
        if (mtok_store_check_source(src[i], &err) != MTOK_OK)
            return cli_fail(c, "%s", err.msg);
    struct stat sb;
    bool created = stat(into, &sb) != 0;
    if (mtok_store_open(&st, into, &err) != MTOK_OK)
        return cli_fail(c, "%s", err.msg);
    cJSON *arr = c->json ? cJSON_CreateArray() : NULL;
    int rc = CLI_OK;
    for (int i = 0; i < n && rc == CLI_OK; i++) {
        struct mtok_merge_stats ms;
        if (mtok_store_merge(st, src[i], &ms) != MTOK_OK) {
            rc = cli_fail(c, "%s", mtok_store_errmsg(st));
            break;
        }
        if (arr) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "source", src[i]);
            cJSON_AddNumberToObject(o, "runs_added", (double)ms.runs_added);
            cJSON_AddNumberToObject(o, "runs_skipped", (double)ms.runs_skipped);
            cJSON_AddNumberToObject(o, "rows_added", (double)ms.rows_added);
            cJSON_AddItemToArray(arr, o);
        } else {
            cli_printf_line(c->out, "%s: %lld runs added, %lld already present, %lld rows added",
                            src[i], (long long)ms.runs_added, (long long)ms.runs_skipped,
                            (long long)ms.rows_added);
        }
    }
    if (arr && rc == CLI_OK)
        cli_print_json(c, arr);
    else
        cJSON_Delete(arr);
    mtok_store_close(st);
    /* A destination this command created goes again when a merge fails, so that an error writes
     * nothing; unless another process has it open (and may have written). */
    if (rc != CLI_OK && created)
        mtok_store_remove_unused(into);
    return rc;
}

static int db_stats(struct cli *c, int argc, char **argv)
{
    char *pos[1];
    if (cli_parse(c, argc, argv, NULL, 0, pos, 0) < 0)
        return CLI_ERROR;
    struct mtok_error err = {0};
    struct mtok_store *st = NULL;
    if (mtok_store_open(&st, c->db_path, &err) != MTOK_OK)
        return cli_fail(c, "%s", err.msg);
    const char *names[32];
    int64_t counts[32];
    size_t n = mtok_store_table_counts(st, names, counts, 32);
    if (c->json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "path", mtok_store_path(st));
        cJSON_AddNumberToObject(o, "schema_version", mtok_store_schema_version(st));
        cJSON *t = cJSON_AddObjectToObject(o, "rows");
        for (size_t i = 0; i < n; i++)
            cJSON_AddNumberToObject(t, names[i], (double)counts[i]);
        cli_print_json(c, o);
    } else {
        cli_printf_line(c->out, "%s (schema v%d)", mtok_store_path(st),
                        mtok_store_schema_version(st));
        for (size_t i = 0; i < n; i++)
            fprintf(c->out, "  %-16s %lld\n", names[i], (long long)counts[i]);
    }
    mtok_store_close(st);
    return CLI_OK;
}

int cli_db(struct cli *c, int argc, char **argv)
{
    if (argc < 1)
        return cli_fail(c, "usage: mtok db merge SRC.db... --into DST.db | mtok db stats");
    if (strcmp(argv[0], "merge") == 0) {
        c->cmd = "db merge";
        return db_merge(c, argc - 1, argv + 1);
    }
    if (strcmp(argv[0], "stats") == 0) {
        c->cmd = "db stats";
        return db_stats(c, argc - 1, argv + 1);
    }
    return cli_fail(c, "\"%s\" is not a db subcommand (merge, stats)", argv[0]);
}
