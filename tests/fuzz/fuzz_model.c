/* Fuzz target: a HuggingFace config.json through mtok_model_parse (the --model FILE path and the
 * loader behind every catalog model). Oracles: diagnostics (fuzz.h), and a parsed model is
 * self-consistent: positive sizes, a layer list of n_layers + n_mtp entries with valid kinds. */
#include "fuzz.h" /* first: it sets _POSIX_C_SOURCE */
#include "catalog/catalog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const char name[] = "config.json";
    struct mtok_diags d = {0};
    struct mtok_model *m = NULL;
    enum mtok_status s = mtok_model_parse(name, (const char *)data, size, &m, &d);
    fuzz_check_diags(&d, 0, s == MTOK_OK, name);
    FUZZ_ASSERT((s == MTOK_OK) == (m != NULL), "status %d, model %p", s, (void *)m);
    if (m) {
        FUZZ_ASSERT(m->hidden > 0 && m->vocab > 0 && m->n_layers > 0 && m->n_mtp >= 0,
                    "hidden %d vocab %d layers %d mtp %d", m->hidden, m->vocab, m->n_layers,
                    m->n_mtp);
        FUZZ_ASSERT(m->layers != NULL, "no layer list");
        for (int i = 0; i < m->n_layers + m->n_mtp; i++) {
            const struct mtok_layer *L = &m->layers[i];
            FUZZ_ASSERT((unsigned)L->attn < MTOK_ATTN_KIND_COUNT &&
                            (unsigned)L->ffn < MTOK_FFN_KIND_COUNT,
                        "layer %d: attn %d ffn %d", i, L->attn, L->ffn);
            FUZZ_ASSERT(L->mtp == (i >= m->n_layers), "layer %d: mtp flag", i);
        }
        FUZZ_ASSERT(m->topk <= m->n_experts, "topk %d > experts %d", m->topk, m->n_experts);
        FUZZ_ASSERT((unsigned)m->wprec_dense < MTOK_DTYPE_COUNT &&
                        (unsigned)m->wprec_expert < MTOK_DTYPE_COUNT,
                    "weight precision out of range");
    }
    mtok_model_destroy(m);
    mtok_diags_free(&d);
    return 0;
}
