/* mtok fetch URL [--as model|prices] */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "pricing/pricing.h"
#include "store/store.h"

/* --as not given: a document with a "prices" array is a price book, anything else a config. */
struct auto_ctx {
    const struct mtok_catalog *cat;
    bool is_prices;
    struct mtok_model *model;
    struct mtok_api_price *prices;
    size_t n_prices;
};

static enum mtok_status check_auto(void *vctx, const char *url, const char *body, size_t len,
                                   struct mtok_diags *diags)
{
    struct auto_ctx *ctx = vctx;
    cJSON *probe = cJSON_ParseWithLength(body, len);
    ctx->is_prices = cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(probe, "prices"));
    cJSON_Delete(probe);
    if (ctx->is_prices)
        return mtok_prices_parse(ctx->cat, url, body, len, &ctx->prices, &ctx->n_prices, diags);
    return mtok_model_parse(url, body, len, &ctx->model, diags);
}

static void add_opt_str(cJSON *o, const char *key, const char *s)
{
    if (s && *s)
        cJSON_AddStringToObject(o, key, s);
    else
        cJSON_AddNullToObject(o, key);
}

static cJSON *info_json(const char *url, const char *as, const struct mtok_fetch_info *info)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "url", url);
    cJSON_AddStringToObject(o, "as", as);
    cJSON_AddNumberToObject(o, "http_status", (double)info->http_status);
    cJSON_AddBoolToObject(o, "from_cache", info->from_cache);
    cJSON_AddBoolToObject(o, "stored", info->stored);
    cJSON_AddNumberToObject(o, "bytes", (double)info->bytes);
    cJSON_AddNumberToObject(o, "elapsed_s", info->elapsed_s);
    add_opt_str(o, "etag", info->etag);
    add_opt_str(o, "last_modified", info->last_modified);
    add_opt_str(o, "cache_path", info->cache_path);
    add_opt_str(o, "warning", info->warning);
    return o;
}

static const char *how(const struct mtok_fetch_info *info)
{
    if (info->http_status == 304)
        return "not modified, served from the cache";
    if (info->stored)
        return "200, cached";
    return "200";
}

int cli_fetch(struct cli *c, int argc, char **argv)
{
    const char *as = NULL;
    double timeout_s = 0, connect_s = 0;
    int no_record = 0;
    struct cli_opt opts[] = {
        {"as", OPT_STR, &as, 0, 0, 0},
        {"timeout", OPT_DOUBLE, &timeout_s, 0, 0, 0},
        {"connect-timeout", OPT_DOUBLE, &connect_s, 0, 0, 0},
        {"no-record", OPT_FLAG, &no_record, 0, 0, 0},
    };
    char *pos[1];
    int n = cli_parse(c, argc, argv, opts, sizeof opts / sizeof *opts, pos, 1);
    if (n < 0)
        return CLI_ERROR;
    if (n == 0)
        return cli_fail(c, "give a URL (mtok fetch URL [--as model|prices])");
    const char *url = pos[0];
    if (as && strcmp(as, "model") != 0 && strcmp(as, "prices") != 0)
        return cli_fail(c, "--as: \"%s\" is not model or prices", as);
    if (timeout_s < 0 || timeout_s > 86400 || connect_s < 0 || connect_s > 86400)
        return cli_fail(c, "timeouts are seconds in [0, 86400]");
    struct mtok_catalog *cat = cli_catalog(c);
    if (!cat)
        return CLI_ERROR;

    struct mtok_fetch_opts fo = {.timeout_ms = (long)(timeout_s * 1000),
                                 .connect_timeout_ms = (long)(connect_s * 1000)};
    struct mtok_fetch_info info;
    struct mtok_diags d = {0};
    struct auto_ctx ctx = {.cat = cat};
    enum mtok_status s;
    const struct mtok_model *model = NULL; /* owned by the catalog once fetched */
    if (as && strcmp(as, "model") == 0) {
        s = mtok_fetch_model(cat, url, &fo, &model, &info, &d);
    } else if (as) {
        s = mtok_fetch_prices(cat, url, &fo, &ctx.prices, &ctx.n_prices, &info, &d);
        ctx.is_prices = true;
    } else {
        char *body = NULL;
        size_t len = 0;
        s = mtok_fetch(url, &fo, check_auto, &ctx, &body, &len, &info, &d);
        free(body);
        if (s == MTOK_OK && ctx.model) {
            mtok_catalog_add_model(cat, ctx.model);
            model = ctx.model;
        } else if (s != MTOK_OK) {
            mtok_model_destroy(ctx.model);
            mtok_api_prices_free(ctx.prices, ctx.n_prices);
            ctx.model = NULL, ctx.prices = NULL;
        }
    }
    if (s != MTOK_OK) {
        int rc = cli_fail_diags(c, &d);
        mtok_diags_free(&d);
        return rc;
    }
    mtok_diags_free(&d);
    if (info.warning[0])
        fprintf(c->err, "mtok fetch: warning: %s\n", info.warning);

    int rc = CLI_OK;
    char uuid[33] = "", db[1024] = "";
    if (ctx.is_prices && !no_record) {
        struct mtok_error err = {0};
        struct mtok_store *st = NULL;
        if (mtok_store_open(&st, c->db_path, &err) != MTOK_OK ||
            mtok_pricing_record(st, url, ctx.prices, ctx.n_prices, uuid, &err) != MTOK_OK)
            rc = cli_fail(c, "%s: not recorded: %s", url, err.msg);
        else
            mtok_strlcpy(db, mtok_store_path(st), sizeof db);
        mtok_store_close(st);
    }
    if (rc == CLI_OK && c->json) {
        cJSON *o = info_json(url, ctx.is_prices ? "prices" : "model", &info);
        if (ctx.is_prices) {
            cJSON_AddNumberToObject(o, "prices", (double)ctx.n_prices);
            add_opt_str(o, "recorded_run", uuid);
        } else {
            cJSON *m = cJSON_AddObjectToObject(o, "model");
            cJSON_AddStringToObject(m, "id", model->id);
            cJSON_AddStringToObject(m, "model_type", model->model_type);
            cJSON_AddNumberToObject(m, "layers", model->n_layers);
            cJSON_AddNumberToObject(m, "hidden_size", model->hidden);
        }
        cli_print_json(c, o);
    } else if (rc == CLI_OK) {
        if (ctx.is_prices)
            fprintf(c->out, "%s: price book with %zu prices (%s)\n", url, ctx.n_prices, how(&info));
        else
            fprintf(c->out, "%s: %s config, %d layers, hidden size %d (%s)\n", url,
                    model->model_type, model->n_layers, model->hidden, how(&info));
        if (info.cache_path[0])
            fprintf(c->out, "cache: %s\n", info.cache_path);
        if (uuid[0])
            fprintf(c->out, "recorded as run %s in %s\n", uuid, db);
    }
    mtok_api_prices_free(ctx.prices, ctx.n_prices);
    return rc;
}
