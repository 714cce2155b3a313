/* bf16 dot products with AVX512-BF16 (vdpbf16ps; compiled with -mavx512f -mavx512bf16). */
#include <immintrin.h>

#include "bench/internal.h"

#define CHAINS 16

static double dot_bf16(uint64_t iters)
{
    __m512 acc[CHAINS];
    for (int j = 0; j < CHAINS; j++)
        acc[j] = _mm512_set1_ps((float)j);
    /* Small operands: each iteration adds 2 x 1e-3 x 1e-3 per lane, far from overflow. */
    const __m512 x = _mm512_set1_ps(1e-3f);
    const __m512bh a = _mm512_cvtne2ps_pbh(x, x), b = a;
    for (uint64_t i = 0; i < iters; i++)
        for (int j = 0; j < CHAINS; j++)
            acc[j] = _mm512_dpbf16_ps(acc[j], a, b);
    __m512 s = acc[0];
    for (int j = 1; j < CHAINS; j++)
        s = _mm512_add_ps(s, acc[j]);
    return _mm512_reduce_add_ps(s);
}

/* 32 bf16 multiply-adds (16 lanes x 2 pairs) per instruction. */
const struct ceil_flops_kernel mtok_ceil_flops_avx512bf16[] = {
    {"bf16", "avx512", MTOK_CPUF_AVX512F | MTOK_CPUF_AVX512_BF16, 2.0 * 32 * CHAINS, dot_bf16},
};
const size_t mtok_ceil_flops_avx512bf16_n = 1;
