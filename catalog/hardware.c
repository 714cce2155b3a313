/* data/hardware/<id>.json -> struct mtok_hw (format: data/SCHEMA.md). */
#include <stdlib.h>
#include <string.h>

#include "catalog/internal.h"

#define MAX_FLOPS 1e20 /* 100 EFLOP/s per device: anything above is a unit slip */
#define MAX_BYTES 1e15
#define MAX_BW 1e15

const char *mtok_peak_name(enum mtok_peak p)
{
    static const char *const names[MTOK_PEAK_COUNT] = {"fp64", "fp32", "bf16", "fp8", "fp4", "int8"};
    return (unsigned)p < MTOK_PEAK_COUNT ? names[p] : "?";
}

static const char *const tier_names[MTOK_TIER_COUNT] = {"hyperscaler", "neocloud", "rental", "spot",
                                                        "list"};

const char *mtok_tier_name(enum mtok_tier t)
{
    return (unsigned)t < MTOK_TIER_COUNT ? tier_names[t] : "?";
}

enum mtok_status mtok_tier_parse(const char *name, enum mtok_tier *out)
{
    for (int i = 0; i < MTOK_TIER_COUNT; i++)
        if (strcmp(name, tier_names[i]) == 0)
            return *out = (enum mtok_tier)i, MTOK_OK;
    return MTOK_EINVAL;
}

static const char *const kinds[] = {"gpu", "npu", "soc", "cpu", NULL};

static bool parse_compute(struct ck *ck, const cJSON *root, struct mtok_hw *hw)
{
    const cJSON *g = ck_object(ck, root, "", "compute", CK_REQUIRED);
    if (!g)
        return false;
    static const char *const known[] = {"flops", "source", "date", "uncertain", "note", NULL};
    ck_known_keys(ck, g, "compute", known);
    bool ok = ck_source(ck, g, "compute", &hw->src_compute);
    const cJSON *f = ck_object(ck, g, "compute", "flops", CK_REQUIRED);
    if (!f)
        return false;
    static const char *const peaks[] = {"fp64", "fp32", "bf16", "fp8", "fp4", "int8", NULL};
    ck_known_keys(ck, f, "compute.flops", peaks);
    for (int p = 0; p < MTOK_PEAK_COUNT; p++) {
        if (p == MTOK_PEAK_FP64)
            ok = ck_number(ck, f, "compute.flops", "fp64", CK_OPTIONAL, 1, MAX_FLOPS, &hw->peak[p]) &&
                 ok;
        else
            ok = ck_number_or_null(ck, f, "compute.flops", mtok_peak_name(p), 1, MAX_FLOPS,
                                   &hw->peak[p]) &&
                 ok;
    }
    bool any = false;
    for (int p = 0; p < MTOK_PEAK_COUNT; p++)
        any |= hw->peak[p] > 0;
    if (ok && !any) {
        ck_fail(ck, "compute", "flops", "gives no peak at all");
        ok = false;
    }
    return ok;
}

static bool parse_memory(struct ck *ck, const cJSON *root, struct mtok_hw *hw)
{
    const cJSON *g = ck_object(ck, root, "", "memory", CK_REQUIRED);
    if (!g)
        return false;
    static const char *const known[] = {"capacity_bytes", "bandwidth_bytes_s", "source", "date",
                                        "uncertain", "note", NULL};
    ck_known_keys(ck, g, "memory", known);
    bool ok = ck_source(ck, g, "memory", &hw->src_memory);
    ok = ck_number(ck, g, "memory", "capacity_bytes", CK_REQUIRED, 1e6, MAX_BYTES, &hw->mem_bytes) &&
         ok;
    ok = ck_number(ck, g, "memory", "bandwidth_bytes_s", CK_REQUIRED, 1e6, MAX_BW, &hw->mem_bw) && ok;
    return ok;
}

static bool parse_link(struct ck *ck, const cJSON *root, const char *key, char **name, double *bw,
                       int *domain, struct mtok_source *src)
{
    const cJSON *g = ck_object(ck, root, "", key, CK_OPTIONAL);
    if (!g)
        return !ck_member(ck, root, "", key, CK_OPTIONAL);
    static const char *const known_up[] = {"name", "bandwidth_bytes_s", "domain_size", "source",
                                           "date", "uncertain", "note", NULL};
    static const char *const known_out[] = {"name", "bandwidth_bytes_s", "source", "date",
                                            "uncertain", "note", NULL};
    ck_known_keys(ck, g, key, domain ? known_up : known_out);
    bool ok = ck_source(ck, g, key, src);
    ok = ck_string(ck, g, key, "name", CK_OPTIONAL, 200, name) && ok;
    ok = ck_number_or_null(ck, g, key, "bandwidth_bytes_s", 1e6, MAX_BW, bw) && ok;
    if (domain) {
        *domain = 1;
        ok = ck_int(ck, g, key, "domain_size", CK_REQUIRED, 1, 1 << 20, domain) && ok;
    }
    return ok;
}

static bool parse_power(struct ck *ck, const cJSON *root, struct mtok_hw *hw)
{
    const cJSON *g = ck_object(ck, root, "", "power", CK_OPTIONAL);
    if (!g)
        return !ck_member(ck, root, "", "power", CK_OPTIONAL);
    static const char *const known[] = {"tdp_w", "all_in_kw", "source", "date", "uncertain", "note",
                                        NULL};
    ck_known_keys(ck, g, "power", known);
    bool ok = ck_source(ck, g, "power", &hw->src_power);
    ok = ck_number_or_null(ck, g, "power", "tdp_w", 1, 1e6, &hw->tdp_w) && ok;
    ok = ck_number(ck, g, "power", "all_in_kw", CK_OPTIONAL, 1e-3, 1e3, &hw->all_in_kw) && ok;
    return ok;
}

static bool parse_price(struct ck *ck, const cJSON *root, struct mtok_hw *hw)
{
    const cJSON *g = ck_object(ck, root, "", "price", CK_OPTIONAL);
    if (!g)
        return !ck_member(ck, root, "", "price", CK_OPTIONAL);
    static const char *const known[] = {"usd_per_hour", "purchase_usd", "source", "date",
                                        "uncertain", "note", NULL};
    ck_known_keys(ck, g, "price", known);
    bool ok = ck_source(ck, g, "price", &hw->src_price);
    ok = ck_number(ck, g, "price", "purchase_usd", CK_OPTIONAL, 1, 1e9, &hw->purchase_usd) && ok;
    const cJSON *t = ck_object(ck, g, "price", "usd_per_hour", CK_OPTIONAL);
    if (t) {
        static const char *const tiers[] = {"hyperscaler", "neocloud", "rental", "spot", "list",
                                            NULL};
        ck_known_keys(ck, t, "price.usd_per_hour", tiers);
        for (int i = 0; i < MTOK_TIER_COUNT; i++)
            ok = ck_number(ck, t, "price.usd_per_hour", tier_names[i], CK_OPTIONAL, 1e-4, 1e4,
                           &hw->usd_per_hour[i]) &&
                 ok;
    } else if (ck_member(ck, g, "price", "usd_per_hour", CK_OPTIONAL)) {
        ok = false;
    }
    return ok;
}

bool catalog_hw_from_json(struct ck *ck, const cJSON *root, struct mtok_hw *hw)
{
    memset(hw, 0, sizeof *hw);
    if (!cJSON_IsObject(root)) {
        ck_fail(ck, "", NULL, "is not a JSON object");
        return false;
    }
    static const char *const known[] = {"id", "name", "vendor", "kind", "released", "compute",
                                        "memory", "scale_up", "scale_out", "power", "price", "note",
                                        NULL};
    size_t before = ck->errors;
    ck_known_keys(ck, root, "", known);
    bool ok = ck_id(ck, root, "", "id", &hw->id);
    ok = ck_string(ck, root, "", "name", CK_REQUIRED, 200, &hw->name) && ok;
    ok = ck_string(ck, root, "", "vendor", CK_REQUIRED, 200, &hw->vendor) && ok;
    ok = ck_string(ck, root, "", "kind", CK_REQUIRED, 16, &hw->kind) && ok;
    ok = ck_date(ck, root, "", "released", CK_OPTIONAL, &hw->released) && ok;
    if (hw->kind) {
        const char *const *k = kinds;
        while (*k && strcmp(*k, hw->kind) != 0)
            k++;
        if (!*k) {
            ck_fail(ck, "", "kind", "\"%s\" is not gpu, npu, soc or cpu", hw->kind);
            ok = false;
        }
    }
    ok = parse_compute(ck, root, hw) && ok;
    ok = parse_memory(ck, root, hw) && ok;
    ok = parse_link(ck, root, "scale_up", &hw->scale_up_name, &hw->scale_up_bw,
                    &hw->scale_up_domain, &hw->src_scale_up) &&
         ok;
    ok = parse_link(ck, root, "scale_out", &hw->scale_out_name, &hw->scale_out_bw, NULL,
                    &hw->src_scale_out) &&
         ok;
    ok = parse_power(ck, root, hw) && ok;
    ok = parse_price(ck, root, hw) && ok;
    if (!hw->scale_up_domain)
        hw->scale_up_domain = 1;
    if (!ok || ck->errors != before) {
        catalog_hw_free(hw);
        return false;
    }
    return true;
}

void catalog_hw_free(struct mtok_hw *hw)
{
    free(hw->id);
    free(hw->name);
    free(hw->vendor);
    free(hw->kind);
    free(hw->released);
    free(hw->file);
    free(hw->scale_up_name);
    free(hw->scale_out_name);
    mtok_source_free(&hw->src_compute);
    mtok_source_free(&hw->src_memory);
    mtok_source_free(&hw->src_scale_up);
    mtok_source_free(&hw->src_scale_out);
    mtok_source_free(&hw->src_power);
    mtok_source_free(&hw->src_price);
    memset(hw, 0, sizeof *hw);
}
