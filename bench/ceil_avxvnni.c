/* int8 dot products with AVX-VNNI (VEX vpdpbusd on ymm; compiled with -mavx2 -mavxvnni). */
#include <immintrin.h>

#include "bench/internal.h"

#define CHAINS 12

static double dot_i8(uint64_t iters)
{
    __m256i acc[CHAINS];
    for (int j = 0; j < CHAINS; j++)
        acc[j] = _mm256_set1_epi32(j);
    const __m256i a = _mm256_set1_epi8(3), b = _mm256_set1_epi8(-2);
    for (uint64_t i = 0; i < iters; i++)
        for (int j = 0; j < CHAINS; j++)
            acc[j] = _mm256_dpbusd_avx_epi32(acc[j], a, b);
    __m256i s = acc[0];
    for (int j = 1; j < CHAINS; j++)
        s = _mm256_add_epi32(s, acc[j]);
    int out[8];
    _mm256_storeu_si256((__m256i *)out, s);
    double r = 0;
    for (int k = 0; k < 8; k++)
        r += out[k];
    return r;
}

/* 32 u8 x s8 multiply-adds per instruction. */
const struct ceil_flops_kernel mtok_ceil_flops_avxvnni[] = {
    {"int8", "avx_vnni", MTOK_CPUF_AVX2 | MTOK_CPUF_AVX_VNNI, 2.0 * 32 * CHAINS, dot_i8},
};
const size_t mtok_ceil_flops_avxvnni_n = 1;
