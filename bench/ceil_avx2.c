/* Ceiling loops for AVX2 + FMA (compiled with -mavx2 -mfma; called only when the CPU has both). */
#include <immintrin.h>

#include "bench/internal.h"

#define CHAINS 12 /* 16 ymm registers: 12 accumulators + constants. FMA latency 4 x 2 ports = 8 */

static double fma_f64(uint64_t iters)
{
    __m256d acc[CHAINS];
    for (int j = 0; j < CHAINS; j++)
        acc[j] = _mm256_set1_pd(0.5 + 0.01 * j);
    const __m256d a = _mm256_set1_pd(0.999999), b = _mm256_set1_pd(1e-6);
    for (uint64_t i = 0; i < iters; i++)
        for (int j = 0; j < CHAINS; j++)
            acc[j] = _mm256_fmadd_pd(acc[j], a, b);
    __m256d s = acc[0];
    for (int j = 1; j < CHAINS; j++)
        s = _mm256_add_pd(s, acc[j]);
    double out[4];
    _mm256_storeu_pd(out, s);
    return out[0] + out[1] + out[2] + out[3];
}

static double fma_f32(uint64_t iters)
{
    __m256 acc[CHAINS];
    for (int j = 0; j < CHAINS; j++)
        acc[j] = _mm256_set1_ps(0.5f + 0.01f * (float)j);
    const __m256 a = _mm256_set1_ps(0.99999f), b = _mm256_set1_ps(1e-5f);
    for (uint64_t i = 0; i < iters; i++)
        for (int j = 0; j < CHAINS; j++)
            acc[j] = _mm256_fmadd_ps(acc[j], a, b);
    __m256 s = acc[0];
    for (int j = 1; j < CHAINS; j++)
        s = _mm256_add_ps(s, acc[j]);
    float out[8];
    _mm256_storeu_ps(out, s);
    double r = 0;
    for (int k = 0; k < 8; k++)
        r += out[k];
    return r;
}

/* int8 without VNNI: u8 x s8 pairs summed to s16 (vpmaddubsw), pairs of s16 to s32 (vpmaddwd with
 * ones), accumulated (vpaddd): 3 instructions per 32 multiply-adds. The accumulator feeds the
 * next multiply so that nothing is loop-invariant. */
#define ICHAINS 12
static double dot_i8(uint64_t iters)
{
    __m256i acc[ICHAINS];
    for (int j = 0; j < ICHAINS; j++)
        acc[j] = _mm256_set1_epi32(j + 1);
    const __m256i w = _mm256_set1_epi8(3), ones = _mm256_set1_epi16(1);
    for (uint64_t i = 0; i < iters; i++)
        for (int j = 0; j < ICHAINS; j++) {
            __m256i t = _mm256_maddubs_epi16(acc[j], w);
            acc[j] = _mm256_add_epi32(acc[j], _mm256_madd_epi16(t, ones));
        }
    __m256i s = acc[0];
    for (int j = 1; j < ICHAINS; j++)
        s = _mm256_add_epi32(s, acc[j]);
    int out[8];
    _mm256_storeu_si256((__m256i *)out, s);
    double r = 0;
    for (int k = 0; k < 8; k++)
        r += out[k];
    return r;
}

const struct ceil_flops_kernel mtok_ceil_flops_avx2[] = {
    {"fp64", "avx2", MTOK_CPUF_AVX2 | MTOK_CPUF_FMA, 2.0 * 4 * CHAINS, fma_f64},
    {"fp32", "avx2", MTOK_CPUF_AVX2 | MTOK_CPUF_FMA, 2.0 * 8 * CHAINS, fma_f32},
    {"int8", "avx2", MTOK_CPUF_AVX2 | MTOK_CPUF_FMA, 2.0 * 32 * ICHAINS, dot_i8},
};
const size_t mtok_ceil_flops_avx2_n = sizeof mtok_ceil_flops_avx2 / sizeof *mtok_ceil_flops_avx2;

static double bw_read(double *a, const double *b, const double *c, size_t n, uint64_t passes)
{
    (void)a, (void)c;
    __m256d s[8];
    for (int j = 0; j < 8; j++)
        s[j] = _mm256_setzero_pd();
    for (uint64_t p = 0; p < passes; p++) {
        for (size_t i = 0; i < n; i += 32)
            for (int j = 0; j < 8; j++)
                s[j] = _mm256_add_pd(s[j], _mm256_load_pd(b + i + 4 * j));
        CEIL_BARRIER(b);
    }
    for (int j = 1; j < 8; j++)
        s[0] = _mm256_add_pd(s[0], s[j]);
    double out[4];
    _mm256_storeu_pd(out, s[0]);
    return out[0] + out[1] + out[2] + out[3];
}

static double bw_write(double *a, const double *b, const double *c, size_t n, uint64_t passes)
{
    (void)b, (void)c;
    const __m256d v = _mm256_set1_pd(1.0);
    for (uint64_t p = 0; p < passes; p++) {
        for (size_t i = 0; i < n; i += 16) {
            _mm256_store_pd(a + i, v);
            _mm256_store_pd(a + i + 4, v);
            _mm256_store_pd(a + i + 8, v);
            _mm256_store_pd(a + i + 12, v);
        }
        CEIL_BARRIER(a);
    }
    return 0;
}

static double bw_copy(double *a, const double *b, const double *c, size_t n, uint64_t passes)
{
    (void)c;
    for (uint64_t p = 0; p < passes; p++) {
        for (size_t i = 0; i < n; i += 16) {
            _mm256_store_pd(a + i, _mm256_load_pd(b + i));
            _mm256_store_pd(a + i + 4, _mm256_load_pd(b + i + 4));
            _mm256_store_pd(a + i + 8, _mm256_load_pd(b + i + 8));
            _mm256_store_pd(a + i + 12, _mm256_load_pd(b + i + 12));
        }
        CEIL_BARRIER(a);
    }
    return 0;
}

static double bw_triad(double *a, const double *b, const double *c, size_t n, uint64_t passes)
{
    const __m256d s = _mm256_set1_pd(3.0);
    for (uint64_t p = 0; p < passes; p++) {
        for (size_t i = 0; i < n; i += 16)
            for (int j = 0; j < 16; j += 4)
                _mm256_store_pd(a + i + j, _mm256_fmadd_pd(s, _mm256_load_pd(c + i + j),
                                                           _mm256_load_pd(b + i + j)));
        CEIL_BARRIER(a);
    }
    return 0;
}

const struct ceil_bw_kernels mtok_ceil_bw_avx2 = {
    "avx2", MTOK_CPUF_AVX2 | MTOK_CPUF_FMA, bw_read, bw_write, bw_copy, bw_triad};
