/* Shared helpers for the kernels tests: a seeded RNG, the list of kernel variants this CPU can run
 * (the others are reported as skipped), and the normalised error every comparison uses. */
#ifndef MTOK_TEST_KERNELS_COMMON_H
#define MTOK_TEST_KERNELS_COMMON_H

#include "kernels/kernels.h"
#include "test.h"

static uint64_t rng_state = 0x9E3779B97F4A7C15ull;
static inline uint64_t rng_u64(void)
{
    uint64_t z = (rng_state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}
/* uniform in [-1, 1) */
static inline float rng_f(void) { return (float)((double)(rng_u64() >> 11) * 0x1.0p-52 - 1.0); }
static inline void rng_fill(float *x, size_t n, float scale)
{
    for (size_t i = 0; i < n; i++)
        x[i] = rng_f() * scale;
}

struct variant {
    enum mtok_isa isa;
    bool amx;
    const char *name;
};
static const struct variant all_variants[] = {
    {MTOK_ISA_REF, false, "ref"},
    {MTOK_ISA_AVX2, false, "avx2"},
    {MTOK_ISA_AVX512, false, "avx512"},
    {MTOK_ISA_AVX512, true, "avx512+amx"},
};
#define N_VARIANTS (sizeof all_variants / sizeof all_variants[0])

/* Select a variant; false (and a one-time "skipped" note) when this CPU cannot run it. */
static inline bool variant_select(const struct variant *v)
{
    static bool noted[N_VARIANTS];
    size_t i = (size_t)(v - all_variants);
    const struct mtok_cpu *c = mtok_cpu_get();
    bool ok = mtok_isa_available(v->isa) && (!v->amx || (c->amx_bf16 && c->amx_granted));
    if (!ok) {
        if (!noted[i])
            printf("  variant %s: skipped (this CPU lacks it)\n", v->name);
        noted[i] = true;
        return false;
    }
    struct mtok_error err;
    if (mtok_kernels_select(v->isa, v->amx, &err) != MTOK_OK) {
        fprintf(stderr, "select %s: %s\n", v->name, err.msg);
        test_failures++;
        return false;
    }
    return true;
}

static inline void variant_reset(void)
{
    mtok_kernels_select(MTOK_ISA_REF, false, NULL);
}

/* ||a - b||_2 / ||b||_2 (0 when both are zero). */
static inline double nerr(const float *a, const float *b, size_t n)
{
    double num = 0, den = 0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)a[i] - (double)b[i];
        num += d * d;
        den += (double)b[i] * (double)b[i];
    }
    if (den == 0)
        return num == 0 ? 0 : INFINITY;
    return sqrt(num / den);
}

#define CHECK_NERR(a, b, n, bound, ...)                                                            \
    do {                                                                                           \
        double e_ = nerr(a, b, n);                                                                 \
        if (!(e_ <= (bound))) {                                                                    \
            fprintf(stderr, "%s:%d: normalised error %.3g > %.3g: ", __FILE__, __LINE__, e_,      \
                    (double)(bound));                                                              \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            test_failures++;                                                                       \
        }                                                                                          \
    } while (0)

static inline bool op_equal(const struct mtok_op *a, const struct mtok_op *b)
{
    return a->kind == b->kind && a->wdtype == b->wdtype && a->adtype == b->adtype &&
           a->cdtype == b->cdtype && a->m == b->m && a->n == b->n && a->k == b->k &&
           a->groups == b->groups && a->flops == b->flops && a->other == b->other &&
           a->w_bytes == b->w_bytes && a->a_bytes == b->a_bytes && a->kv_bytes == b->kv_bytes &&
           strcmp(a->name, b->name) == 0;
}

#endif
