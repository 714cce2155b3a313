/* Ceiling loops for AVX-512 F/BW/DQ/VL + FMA (compiled with those -m flags; called only when the
 * CPU and OS support them). */
#include <immintrin.h>

#include "bench/internal.h"

#define CHAINS 16 /* of 32 zmm registers; FMA latency 4 x 2 ports needs 8 */

static double fma_f64(uint64_t iters)
{
    __m512d acc[CHAINS];
    for (int j = 0; j < CHAINS; j++)
        acc[j] = _mm512_set1_pd(0.5 + 0.01 * j);
    const __m512d a = _mm512_set1_pd(0.999999), b = _mm512_set1_pd(1e-6);
    for (uint64_t i = 0; i < iters; i++)
        for (int j = 0; j < CHAINS; j++)
            acc[j] = _mm512_fmadd_pd(acc[j], a, b);
    __m512d s = acc[0];
    for (int j = 1; j < CHAINS; j++)
        s = _mm512_add_pd(s, acc[j]);
    return _mm512_reduce_add_pd(s);
}

static double fma_f32(uint64_t iters)
{
    __m512 acc[CHAINS];
    for (int j = 0; j < CHAINS; j++)
        acc[j] = _mm512_set1_ps(0.5f + 0.01f * (float)j);
    const __m512 a = _mm512_set1_ps(0.99999f), b = _mm512_set1_ps(1e-5f);
    for (uint64_t i = 0; i < iters; i++)
        for (int j = 0; j < CHAINS; j++)
            acc[j] = _mm512_fmadd_ps(acc[j], a, b);
    __m512 s = acc[0];
    for (int j = 1; j < CHAINS; j++)
        s = _mm512_add_ps(s, acc[j]);
    return _mm512_reduce_add_ps(s);
}

#define ISA512                                                                                     \
    (MTOK_CPUF_AVX512F | MTOK_CPUF_AVX512BW | MTOK_CPUF_AVX512DQ | MTOK_CPUF_AVX512VL | MTOK_CPUF_FMA)

const struct ceil_flops_kernel mtok_ceil_flops_avx512[] = {
    {"fp64", "avx512", ISA512, 2.0 * 8 * CHAINS, fma_f64},
    {"fp32", "avx512", ISA512, 2.0 * 16 * CHAINS, fma_f32},
};
const size_t mtok_ceil_flops_avx512_n =
    sizeof mtok_ceil_flops_avx512 / sizeof *mtok_ceil_flops_avx512;

static double bw_read(double *a, const double *b, const double *c, size_t n, uint64_t passes)
{
    (void)a, (void)c;
    __m512d s[8];
    for (int j = 0; j < 8; j++)
        s[j] = _mm512_setzero_pd();
    for (uint64_t p = 0; p < passes; p++) {
        for (size_t i = 0; i < n; i += 64)
            for (int j = 0; j < 8; j++)
                s[j] = _mm512_add_pd(s[j], _mm512_load_pd(b + i + 8 * j));
        CEIL_BARRIER(b);
    }
    for (int j = 1; j < 8; j++)
        s[0] = _mm512_add_pd(s[0], s[j]);
    return _mm512_reduce_add_pd(s[0]);
}

static double bw_write(double *a, const double *b, const double *c, size_t n, uint64_t passes)
{
    (void)b, (void)c;
    const __m512d v = _mm512_set1_pd(1.0);
    for (uint64_t p = 0; p < passes; p++) {
        for (size_t i = 0; i < n; i += 32) {
            _mm512_store_pd(a + i, v);
            _mm512_store_pd(a + i + 8, v);
            _mm512_store_pd(a + i + 16, v);
            _mm512_store_pd(a + i + 24, v);
        }
        CEIL_BARRIER(a);
    }
    return 0;
}

static double bw_copy(double *a, const double *b, const double *c, size_t n, uint64_t passes)
{
    (void)c;
    for (uint64_t p = 0; p < passes; p++) {
        for (size_t i = 0; i < n; i += 32) {
            _mm512_store_pd(a + i, _mm512_load_pd(b + i));
            _mm512_store_pd(a + i + 8, _mm512_load_pd(b + i + 8));
            _mm512_store_pd(a + i + 16, _mm512_load_pd(b + i + 16));
            _mm512_store_pd(a + i + 24, _mm512_load_pd(b + i + 24));
        }
        CEIL_BARRIER(a);
    }
    return 0;
}

static double bw_triad(double *a, const double *b, const double *c, size_t n, uint64_t passes)
{
    const __m512d s = _mm512_set1_pd(3.0);
    for (uint64_t p = 0; p < passes; p++) {
        for (size_t i = 0; i < n; i += 32)
            for (int j = 0; j < 32; j += 8)
                _mm512_store_pd(a + i + j, _mm512_fmadd_pd(s, _mm512_load_pd(c + i + j),
                                                           _mm512_load_pd(b + i + j)));
        CEIL_BARRIER(a);
    }
    return 0;
}

const struct ceil_bw_kernels mtok_ceil_bw_avx512 = {"avx512", ISA512,  bw_read,
                                                    bw_write, bw_copy, bw_triad};
