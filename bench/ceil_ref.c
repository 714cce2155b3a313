/* Ceiling loops in plain C (the "ref" level): what the compiler makes of portable code for the
 * baseline ISA. Also the fallback on CPUs without AVX2. */
#include "bench/internal.h"

#define CHAINS 16

/* acc = acc * a + b converges to b / (1 - a) = 1: no overflow, no denormals, whatever iters is. */
static double fma_f64(uint64_t iters)
{
    double acc[CHAINS];
    for (int j = 0; j < CHAINS; j++)
        acc[j] = 0.5 + 0.01 * j;
    const double a = 0.999999, b = 1e-6;
    for (uint64_t i = 0; i < iters; i++)
        for (int j = 0; j < CHAINS; j++)
            acc[j] = acc[j] * a + b;
    double s = 0;
    for (int j = 0; j < CHAINS; j++)
        s += acc[j];
    return s;
}

static double fma_f32(uint64_t iters)
{
    float acc[CHAINS];
    for (int j = 0; j < CHAINS; j++)
        acc[j] = 0.5f + 0.01f * (float)j;
    const float a = 0.99999f, b = 1e-5f;
    for (uint64_t i = 0; i < iters; i++)
        for (int j = 0; j < CHAINS; j++)
            acc[j] = acc[j] * a + b;
    double s = 0;
    for (int j = 0; j < CHAINS; j++)
        s += acc[j];
    return s;
}

const struct ceil_flops_kernel mtok_ceil_flops_ref[] = {
    {"fp64", "ref", 0, 2.0 * CHAINS, fma_f64},
    {"fp32", "ref", 0, 2.0 * CHAINS, fma_f32},
};
const size_t mtok_ceil_flops_ref_n = sizeof mtok_ceil_flops_ref / sizeof *mtok_ceil_flops_ref;

static double bw_read(double *a, const double *b, const double *c, size_t n, uint64_t passes)
{
    (void)a, (void)c;
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    for (uint64_t p = 0; p < passes; p++) {
        for (size_t i = 0; i < n; i += 4)
            s0 += b[i], s1 += b[i + 1], s2 += b[i + 2], s3 += b[i + 3];
        CEIL_BARRIER(b);
    }
    return s0 + s1 + s2 + s3;
}

static double bw_write(double *a, const double *b, const double *c, size_t n, uint64_t passes)
{
    (void)b, (void)c;
    for (uint64_t p = 0; p < passes; p++) {
        for (size_t i = 0; i < n; i++)
            a[i] = 1.0;
        CEIL_BARRIER(a);
    }
    return 0;
}

static double bw_copy(double *a, const double *b, const double *c, size_t n, uint64_t passes)
{
    (void)c;
    for (uint64_t p = 0; p < passes; p++) {
        for (size_t i = 0; i < n; i++)
            a[i] = b[i];
        CEIL_BARRIER(a);
    }
    return 0;
}

static double bw_triad(double *a, const double *b, const double *c, size_t n, uint64_t passes)
{
    const double s = 3.0;
    for (uint64_t p = 0; p < passes; p++) {
        for (size_t i = 0; i < n; i++)
            a[i] = b[i] + s * c[i];
        CEIL_BARRIER(a);
    }
    return 0;
}

const struct ceil_bw_kernels mtok_ceil_bw_ref = {"ref", 0, bw_read, bw_write, bw_copy, bw_triad};
