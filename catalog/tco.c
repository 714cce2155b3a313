/* data/pricing/tco.json -> struct mtok_tco_defaults (format: data/SCHEMA.md). */
#include <stdlib.h>
#include <string.h>

#include "catalog/internal.h"

static const cJSON *group(struct ck *ck, const cJSON *root, const char *name,
                          const char *const *known, struct mtok_source *src)
{
    const cJSON *g = ck_object(ck, root, "", name, CK_REQUIRED);
    if (g) {
        ck_known_keys(ck, g, name, known);
        ck_source(ck, g, name, src);
    }
    return g;
}

enum mtok_status mtok_tco_defaults_parse(const char *name, const char *json, size_t len,
                                         struct mtok_tco_defaults *out, struct mtok_diags *diags)
{
    memset(out, 0, sizeof *out);
    struct ck ck = {.file = name, .d = diags};
    if (len > MTOK_CATALOG_MAX_FILE) {
        ck_fail(&ck, "", NULL, "larger than %u bytes", MTOK_CATALOG_MAX_FILE);
        return MTOK_EINVAL;
    }
    cJSON *root = ck_parse(&ck, json, len);
    if (!root)
        return MTOK_EINVAL;
    struct mtok_tco_defaults t = {0};
    if (!cJSON_IsObject(root)) {
        ck_fail(&ck, "", NULL, "is not a JSON object");
    } else {
        static const char *const known_root[] = {"capital", "power", "hosting",
                                                 "serving", "note",  NULL};
        ck_known_keys(&ck, root, "", known_root);

        static const char *const k_cap[] = {"years",
                                            "cost_of_capital",
                                            "server_capex_ratio",
                                            "network_capex_ratio",
                                            "opex_per_year",
                                            "source",
                                            "date",
                                            "uncertain",
                                            "note",
                                            NULL};
        const cJSON *g = group(&ck, root, "capital", k_cap, &t.src_capital);
        if (g) {
            ck_number(&ck, g, "capital", "years", CK_REQUIRED, 0.25, 30, &t.years);
            ck_number(&ck, g, "capital", "cost_of_capital", CK_REQUIRED, 0, 1, &t.cost_of_capital);
            ck_number(&ck, g, "capital", "server_capex_ratio", CK_REQUIRED, 1, 10,
                      &t.server_capex_ratio);
            ck_number(&ck, g, "capital", "network_capex_ratio", CK_REQUIRED, 1, 10,
                      &t.network_capex_ratio);
            ck_number(&ck, g, "capital", "opex_per_year", CK_REQUIRED, 0, 1, &t.opex_per_year);
        }
        static const char *const k_pow[] = {
            "pue",    "usd_per_kwh", "load_fraction", "server_power_ratio",
            "source", "date",        "uncertain",     "note",
            NULL};
        g = group(&ck, root, "power", k_pow, &t.src_power);
        if (g) {
            ck_number(&ck, g, "power", "pue", CK_REQUIRED, 1, 5, &t.pue);
            ck_number(&ck, g, "power", "usd_per_kwh", CK_REQUIRED, 0, 10, &t.usd_per_kwh);
            ck_number(&ck, g, "power", "load_fraction", CK_REQUIRED, 0.01, 1, &t.load_fraction);
            ck_number(&ck, g, "power", "server_power_ratio", CK_REQUIRED, 1, 10,
                      &t.server_power_ratio);
        }
        static const char *const k_host[] = {"usd_per_kw_month", "source", "date",
                                             "uncertain",        "note",   NULL};
        g = group(&ck, root, "hosting", k_host, &t.src_hosting);
        if (g)
            ck_number(&ck, g, "hosting", "usd_per_kw_month", CK_REQUIRED, 0, 1e4,
                      &t.hosting_usd_per_kw_month);
        static const char *const k_srv[] = {
            "utilisation", "cached_input_cost_ratio", "source", "date", "uncertain", "note", NULL};
        g = group(&ck, root, "serving", k_srv, &t.src_serving);
        if (g) {
            ck_number(&ck, g, "serving", "utilisation", CK_REQUIRED, 0.01, 1, &t.utilisation);
            ck_number(&ck, g, "serving", "cached_input_cost_ratio", CK_REQUIRED, 0, 1,
                      &t.cached_input_cost_ratio);
        }
    }
    cJSON_Delete(root);
    if (ck.errors) {
        mtok_tco_defaults_free(&t);
        return MTOK_EINVAL;
    }
    t.file = mtok_xstrdup(name);
    *out = t;
    return MTOK_OK;
}

enum mtok_status mtok_tco_defaults_load(const char *data_dir, struct mtok_tco_defaults *out,
                                        struct mtok_diags *diags)
{
    memset(out, 0, sizeof *out);
    char *path, *json;
    size_t len;
    enum mtok_status s = mtok_data_read(data_dir, "pricing/tco.json", MTOK_CATALOG_MAX_FILE, &path,
                                        &json, &len, diags);
    if (s == MTOK_OK)
        s = mtok_tco_defaults_parse(path, json, len, out, diags);
    free(json);
    free(path);
    return s;
}

void mtok_tco_defaults_free(struct mtok_tco_defaults *t)
{
    if (!t)
        return;
    mtok_source_free(&t->src_capital);
    mtok_source_free(&t->src_power);
    mtok_source_free(&t->src_hosting);
    mtok_source_free(&t->src_serving);
    free(t->file);
    memset(t, 0, sizeof *t);
}
