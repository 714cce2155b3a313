/* Fuzz target: an API price book (data/prices/api.json layout) through
 * mtok_catalog_set_prices_json, checked against the embedded catalog's models, as a fetched or
 * user-given price book will be. Oracles: diagnostics (fuzz.h); a rejected book leaves the old
 * one in place; an accepted one has finite, non-negative USD prices (cached and output may be
 * NAN = not published), unique ids and model ids that exist. */
#include "fuzz.h" /* first: it sets _POSIX_C_SOURCE */
#include <math.h>

#include "catalog/catalog.h"

static struct mtok_catalog *cat;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    struct mtok_diags d = {0};
    if (mtok_catalog_open(&cat, NULL, &d) != MTOK_OK) {
        fprintf(stderr, "fuzz_prices: embedded catalog does not load\n");
        abort();
    }
    mtok_diags_free(&d);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char name[] = "api.json";
    struct mtok_diags d = {0};
    size_t before = mtok_catalog_price_count(cat);
    const struct mtok_api_price *first = mtok_catalog_price_at(cat, 0);
    enum mtok_status s = mtok_catalog_set_prices_json(cat, name, (const char *)data, size, &d);
    fuzz_check_diags(&d, 0, s == MTOK_OK, name);
    if (s != MTOK_OK) {
        FUZZ_ASSERT(mtok_catalog_price_count(cat) == before &&
                        mtok_catalog_price_at(cat, 0) == first,
                    "a rejected price book changed the catalog");
    } else {
        size_t n = mtok_catalog_price_count(cat);
        for (size_t i = 0; i < n; i++) {
            const struct mtok_api_price *p = mtok_catalog_price_at(cat, i);
            FUZZ_ASSERT(p->id && p->provider && p->currency && p->from, "price %zu fields", i);
            FUZZ_ASSERT(isfinite(p->per_m_input) && p->per_m_input >= 0, "%s: input", p->id);
            FUZZ_ASSERT(isnan(p->per_m_output) || (isfinite(p->per_m_output) &&
                                                   p->per_m_output >= 0),
                        "%s: output %g", p->id, p->per_m_output);
            FUZZ_ASSERT(isnan(p->per_m_cached_input) ||
                            (isfinite(p->per_m_cached_input) && p->per_m_cached_input >= 0),
                        "%s: cached", p->id);
            FUZZ_ASSERT(!p->model || mtok_catalog_model(cat, p->model), "%s: model", p->id);
            fuzz_check_text("provider", p->provider), fuzz_check_text("product", p->product);
            fuzz_check_text("source", p->src.source), fuzz_check_text("note", p->src.note);
            for (size_t k = 0; k < i; k++)
                FUZZ_ASSERT(strcmp(mtok_catalog_price_at(cat, k)->id, p->id) != 0,
                            "duplicate id %s", p->id);
        }
    }
    mtok_diags_free(&d);
    return 0;
}
