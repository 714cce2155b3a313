/* Fuzz target: a hardware file through mtok_catalog_add_hw_json (data/hardware/ *.json, a user's
 * --hw FILE, the measured host entry). The embedded catalog is opened once; each input is added
 * to it (a valid one replaces the entry with its id, which does not change how the next parses).
 * Oracles: diagnostics (fuzz.h); an accepted entry is findable by id with finite, in-range
 * figures; a rejected one leaves the catalog's entry count unchanged. */
#include "fuzz.h" /* first: it sets _POSIX_C_SOURCE */
#include <math.h>

#include "catalog/catalog.h"

static struct mtok_catalog *cat;

static void open_catalog(void)
{
    struct mtok_diags d = {0};
    mtok_catalog_destroy(cat);
    if (mtok_catalog_open(&cat, NULL, &d) != MTOK_OK) {
        fprintf(stderr, "fuzz_hw: embedded catalog does not load\n");
        abort();
    }
    mtok_diags_free(&d);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    open_catalog();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char name[] = "hw.json";
    /* Accepted entries with new ids pile up over millions of inputs: start afresh now and then
     * (how an entry parses does not depend on the others). */
    if (mtok_catalog_hw_count(cat) > 200)
        open_catalog();
    struct mtok_diags d = {0};
    size_t before = mtok_catalog_hw_count(cat);
    enum mtok_status s = mtok_catalog_add_hw_json(cat, name, (const char *)data, size, &d);
    fuzz_check_diags(&d, 0, s == MTOK_OK, name);
    if (s != MTOK_OK) {
        FUZZ_ASSERT(mtok_catalog_hw_count(cat) == before, "a rejected entry changed the catalog");
    } else {
        /* The newest entry is the last one or replaced one in place: find it by scanning. */
        size_t n = mtok_catalog_hw_count(cat);
        FUZZ_ASSERT(n == before || n == before + 1, "count %zu -> %zu", before, n);
        for (size_t i = 0; i < n; i++) {
            const struct mtok_hw *h = mtok_catalog_hw_at(cat, i);
            FUZZ_ASSERT(h && h->id && mtok_catalog_hw(cat, h->id) == h, "entry %zu by id", i);
            FUZZ_ASSERT(isfinite(h->mem_bw) && h->mem_bw > 0 && isfinite(h->mem_bytes) &&
                            h->mem_bytes > 0 && h->scale_up_domain >= 1,
                        "%s: memory figures", h->id);
            fuzz_check_text("id", h->id), fuzz_check_text("name", h->name);
            fuzz_check_text("vendor", h->vendor), fuzz_check_text("source", h->src_compute.source);
            fuzz_check_text("note", h->src_memory.note);
            for (int p = 0; p < MTOK_PEAK_COUNT; p++)
                FUZZ_ASSERT(isfinite(h->peak[p]) && h->peak[p] >= 0, "%s: peak %d", h->id, p);
        }
    }
    mtok_diags_free(&d);
    return 0;
}
