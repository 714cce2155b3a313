/* int8 dot products with AVX512-VNNI (vpdpbusd on zmm; compiled with -mavx512f -mavx512vnni). */
#include <immintrin.h>

#include "bench/internal.h"

#define CHAINS 16

static double dot_i8(uint64_t iters)
{
    __m512i acc[CHAINS];
    for (int j = 0; j < CHAINS; j++)
        acc[j] = _mm512_set1_epi32(j);
    const __m512i a = _mm512_set1_epi8(3), b = _mm512_set1_epi8(-2);
    for (uint64_t i = 0; i < iters; i++)
        for (int j = 0; j < CHAINS; j++)
            acc[j] = _mm512_dpbusd_epi32(acc[j], a, b);
    __m512i s = acc[0];
    for (int j = 1; j < CHAINS; j++)
        s = _mm512_add_epi32(s, acc[j]);
    return (double)_mm512_reduce_add_epi32(s);
}

/* 64 u8 x s8 multiply-adds per instruction. */
const struct ceil_flops_kernel mtok_ceil_flops_avx512vnni[] = {
    {"int8", "avx512", MTOK_CPUF_AVX512F | MTOK_CPUF_AVX512_VNNI, 2.0 * 64 * CHAINS, dot_i8},
};
const size_t mtok_ceil_flops_avx512vnni_n = 1;
