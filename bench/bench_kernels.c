/* bench_kernels: the kernels of kernels/ measured side by side with this machine's own ceilings,
 * all in one run, so ratios survive a noisy machine better than absolute figures:
 *
 *   ceilings  fp32 FMA, vdpbf16ps, vpdpbusd and AMX peaks (L1-resident loops of independent
 *             chains), DRAM read bandwidth (a streaming read over >= 1 GiB on all threads)
 *   gemm      f32 GEMM 2048^3 vs OpenBLAS cblas_sgemm; bf16 GEMM 2048^3 (vdpbf16ps, AMX)
 *   gemv      decode GEMV 4096 x 14336 per weight format, weights rotating through > 2 GiB of
 *             copies so none is cache-resident; GB/s = weight bytes / time
 *   attn      decode attention at 32K context against its roofline (GQA bf16, MLA, V4 CSA)
 *   engine    the scaled-down V4-Flash decode (data/engine/), tok/s and per-op breakdown
 *
 * Every figure is the median of --reps timed repetitions after warm-up; min and max are printed
 * too. Usage: bench_kernels [--quick] [--reps N] [--only a,b,...] [--threads N] [--data DIR]
 *                           [--tokens N] [--context N]                                         */
#define _POSIX_C_SOURCE 200809L
#include <immintrin.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench/internal.h"
#include "core/core.h"
#include "kernels/kernels.h"
#include "sim/sim.h"

#ifdef MTOK_HAVE_OPENBLAS
/* Declared here rather than through cblas.h, whose Debian alternative may be netlib's. */
void cblas_sgemm(int order, int ta, int tb, int m, int n, int k, float alpha, const float *a,
                 int lda, const float *b, int ldb, float beta, float *c, int ldc);
void cblas_sgemv(int order, int ta, int m, int n, float alpha, const float *a, int lda,
                 const float *x, int incx, float beta, float *y, int incy);
void openblas_set_num_threads(int n);
#define CBLAS_ROW 101
#define CBLAS_NT 111
#define CBLAS_T 112
#endif

static int g_reps = 7;
static bool g_quick;
static const char *g_only;
static int g_threads;

static bool want(const char *section)
{
    if (!g_only)
        return true;
    size_t n = strlen(section);
    for (const char *p = g_only; (p = strstr(p, section)); p += n)
        if ((p == g_only || p[-1] == ',') && (p[n] == 0 || p[n] == ','))
            return true;
    return false;
}

static double now_s(void) { return (double)mtok_now_ns() * 1e-9; }

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

struct stats {
    double med, min, max;
};

/* Median time of fn(ctx, i) over reps calls after `warm` calls (i counts all calls). */
static struct stats time_it(void (*fn)(void *, int), void *ctx, int warm, int reps)
{
    double t[64];
    int i = 0;
    for (; i < warm; i++)
        fn(ctx, i);
    reps = reps > 64 ? 64 : reps;
    for (int r = 0; r < reps; r++, i++) {
        double t0 = now_s();
        fn(ctx, i);
        t[r] = now_s() - t0;
    }
    qsort(t, (size_t)reps, sizeof *t, cmp_d);
    return (struct stats){t[reps / 2], t[0], t[reps - 1]};
}

static void rng_fill(float *x, size_t n, uint64_t seed)
{
    uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
    for (size_t i = 0; i < n; i++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        x[i] = (float)((double)(s >> 11) * 0x1.0p-52 - 1.0);
    }
}

/* ================================================================================================
 * Ceilings */

/* The peaks: the loops of mtok ceilings (bench/ceil_*.c), so both report the same machine. */
static const struct ceil_flops_kernel *peak_kernel(int kind)
{
    static const char *const want[4][2] = {
        {"fp32", "avx512"}, {"bf16", "avx512"}, {"int8", "avx512"}, {"bf16", "amx"}};
    const char *isa = kind == 0 && !mtok_cpu_get()->avx512f ? "avx2" : want[kind][1];
    const struct ceil_flops_kernel *all[64];
    size_t n = ceil_flops_all(all, 64);
    for (size_t i = 0; i < n; i++)
        if (!strcmp(all[i]->dtype, want[kind][0]) && !strcmp(all[i]->isa, isa))
            return all[i];
    fprintf(stderr, "bench_kernels: this build has no %s %s loop\n", want[kind][0], isa);
    exit(2);
}

struct ceilings {
    double fma, bf16, vnni, amx; /* FLOP/s (int8: OP/s), all threads */
    double fma1;                 /* one thread */
    double bw;                   /* DRAM read B/s, all threads */
};

static double peak_run(int nt, int kind, long iters)
{
    const struct ceil_flops_kernel *k = peak_kernel(kind);
    double t0 = now_s(), sink = 0;
#pragma omp parallel num_threads(nt) reduction(+ : sink)
    sink += k->fn((uint64_t)iters);
    double t = now_s() - t0;
    if (sink == 12345.678)
        printf(" ");
    return (double)nt * (double)iters * k->flops_per_iter / t;
}

static double peak(int nt, int kind)
{
    long iters = kind == 3 ? 2000000 : 20000000;
    if (g_quick)
        iters /= 4;
    double best = 0;
    for (int r = 0; r < 5; r++) {
        double v = peak_run(nt, kind, iters);
        best = v > best ? v : best; /* a peak: the best of a few runs */
    }
    return best;
}

struct bwctx {
    const uint8_t *buf;
    size_t n;
    int nt, kind; /* 0: one stream, 1: four streams, 2: four streams + software prefetch */
    double sink;
};

/* Four interleaved streams over the quarters of [p, p + n) (the access pattern of a 4-row GEMV),
 * optionally with one software prefetch per line 2 KiB ahead. */
__attribute__((target("avx512f"))) static uint64_t read4_avx512(const uint8_t *p, size_t n, bool pf)
{
    size_t q = n / 4 / 64 * 64;
    const uint8_t *a = p, *b = p + q, *c = p + 2 * q, *d = p + 3 * q;
    __m512i s0 = _mm512_setzero_si512(), s1 = s0, s2 = s0, s3 = s0;
    for (size_t i = 0; i < q; i += 64) {
        if (pf) {
            _mm_prefetch((const char *)a + i + 2048, _MM_HINT_T0);
            _mm_prefetch((const char *)b + i + 2048, _MM_HINT_T0);
            _mm_prefetch((const char *)c + i + 2048, _MM_HINT_T0);
            _mm_prefetch((const char *)d + i + 2048, _MM_HINT_T0);
        }
        s0 = _mm512_add_epi64(s0, _mm512_load_si512(a + i));
        s1 = _mm512_add_epi64(s1, _mm512_load_si512(b + i));
        s2 = _mm512_add_epi64(s2, _mm512_load_si512(c + i));
        s3 = _mm512_add_epi64(s3, _mm512_load_si512(d + i));
    }
    return (uint64_t)_mm512_reduce_add_epi64(
        _mm512_add_epi64(_mm512_add_epi64(s0, s1), _mm512_add_epi64(s2, s3)));
}

__attribute__((target("avx512f"))) static uint64_t read_avx512(const uint8_t *p, size_t n)
{
    __m512i s0 = _mm512_setzero_si512(), s1 = s0, s2 = s0, s3 = s0;
    for (size_t i = 0; i < n; i += 256) {
        s0 = _mm512_add_epi64(s0, _mm512_load_si512(p + i));
        s1 = _mm512_add_epi64(s1, _mm512_load_si512(p + i + 64));
        s2 = _mm512_add_epi64(s2, _mm512_load_si512(p + i + 128));
        s3 = _mm512_add_epi64(s3, _mm512_load_si512(p + i + 192));
    }
    return (uint64_t)_mm512_reduce_add_epi64(
        _mm512_add_epi64(_mm512_add_epi64(s0, s1), _mm512_add_epi64(s2, s3)));
}

__attribute__((target("avx2"))) static uint64_t read_avx2(const uint8_t *p, size_t n)
{
    __m256i s0 = _mm256_setzero_si256(), s1 = s0, s2 = s0, s3 = s0;
    for (size_t i = 0; i < n; i += 128) {
        s0 = _mm256_add_epi64(s0, _mm256_load_si256((const void *)(p + i)));
        s1 = _mm256_add_epi64(s1, _mm256_load_si256((const void *)(p + i + 32)));
        s2 = _mm256_add_epi64(s2, _mm256_load_si256((const void *)(p + i + 64)));
        s3 = _mm256_add_epi64(s3, _mm256_load_si256((const void *)(p + i + 96)));
    }
    uint64_t o[4];
    _mm256_storeu_si256((void *)o, _mm256_add_epi64(_mm256_add_epi64(s0, s1), _mm256_add_epi64(s2, s3)));
    return o[0] + o[1] + o[2] + o[3];
}

static void bw_fn(void *vctx, int i)
{
    (void)i;
    struct bwctx *c = vctx;
    uint64_t tot = 0;
#pragma omp parallel num_threads(c->nt) reduction(+ : tot)
    {
        int t = omp_get_thread_num(), n = omp_get_num_threads();
        size_t chunk = c->n / (size_t)n / 4096 * 4096;
        const uint8_t *p = c->buf + (size_t)t * chunk;
        if (!mtok_cpu_get()->avx512f)
            tot += read_avx2(p, chunk);
        else if (c->kind == 0)
            tot += read_avx512(p, chunk);
        else
            tot += read4_avx512(p, chunk, c->kind == 2);
    }
    c->sink += (double)tot;
}

/* Read bandwidth of each read kernel (kind 0..2, in B/s: median, min, max); the ceiling is the best
 * median, so no kernel can beat the "peak" merely by reading more cleverly than the probe. */
static void dram_bw(int nt, size_t bytes, struct stats out[3])
{
    struct bwctx c = {.n = bytes, .nt = nt};
    uint8_t *buf = aligned_alloc(4096, bytes);
    memset(buf, 1, bytes);
    c.buf = buf;
    for (int k = 0; k < 3; k++) {
        c.kind = k;
        struct stats s = time_it(bw_fn, &c, 1, g_reps);
        out[k] = (struct stats){bytes / s.med, bytes / s.max, bytes / s.min};
        if (!mtok_cpu_get()->avx512f) {
            out[1] = out[2] = out[0];
            break;
        }
    }
    free(buf);
}

static struct stats best_bw(const struct stats v[3])
{
    struct stats b = v[0];
    for (int k = 1; k < 3; k++)
        if (v[k].med > b.med)
            b = v[k];
    return b;
}

static struct ceilings g_ceil;

static void section_ceilings(void)
{
    const struct mtok_cpu *c = mtok_cpu_get();
    int nt = g_threads;
    printf("\n== ceilings (best of 5 for peaks; median of %d for bandwidth)\n", g_reps);
    g_ceil.fma = peak(nt, 0);
    g_ceil.fma1 = peak(1, 0);
    printf("%-34s %9.1f GFLOP/s  (%d threads; 1 thread %.1f; %s, the mtok ceilings loop)\n",
           "peak fp32 FMA", g_ceil.fma / 1e9, nt, g_ceil.fma1 / 1e9, peak_kernel(0)->isa);
    if (c->avx512bf16) {
        g_ceil.bf16 = peak(nt, 1);
        printf("%-34s %9.1f GFLOP/s\n", "peak bf16 vdpbf16ps", g_ceil.bf16 / 1e9);
    }
    if (c->avx512vnni) {
        g_ceil.vnni = peak(nt, 2);
        printf("%-34s %9.1f GOP/s\n", "peak int8 vpdpbusd", g_ceil.vnni / 1e9);
    }
    if (c->amx_bf16 && c->amx_granted) {
        g_ceil.amx = peak(nt, 3);
        printf("%-34s %9.1f GFLOP/s\n", "peak bf16 AMX tdpbf16ps", g_ceil.amx / 1e9);
    }
    size_t bytes = g_quick ? (size_t)1 << 30 : (size_t)2 << 30;
    struct stats v[3], v1[3];
    dram_bw(nt, bytes, v);
    struct stats b = best_bw(v);
    g_ceil.bw = b.med;
    if (nt > 1)
        dram_bw(1, bytes, v1);
    else
        memcpy(v1, v, sizeof v1);
    printf("%-34s %9.2f GB/s    (best of 3 read kernels, median of %d; min %.2f max %.2f; %.1f "
           "GiB)\n",
           "DRAM read bandwidth", b.med / 1e9, g_reps, b.min / 1e9, b.max / 1e9,
           (double)bytes / (1 << 30));
    printf("%-34s %9.2f / %.2f / %.2f GB/s (1 stream / 4 streams / 4 streams + prefetch); "
           "1 thread best %.2f\n",
           "", v[0].med / 1e9, v[1].med / 1e9, v[2].med / 1e9, best_bw(v1).med / 1e9);
}

/* ================================================================================================
 * GEMM */

struct gemm_ctx {
    const struct mtok_wmat *w;
    size_t m;
    const float *x;
    float *y;
};
static void gemm_fn(void *v, int i)
{
    (void)i;
    struct gemm_ctx *c = v;
    mtok_gemm(c->w, c->m, c->x, c->w->k, c->y, c->w->n);
}

#ifdef MTOK_HAVE_OPENBLAS
struct blas_ctx {
    size_t m, n, k;
    const float *x, *w;
    float *y;
};
static void blas_fn(void *v, int i)
{
    (void)i;
    struct blas_ctx *c = v;
    cblas_sgemm(CBLAS_ROW, CBLAS_NT, CBLAS_T, (int)c->m, (int)c->n, (int)c->k, 1.0f, c->x,
                (int)c->k, c->w, (int)c->k, 0.0f, c->y, (int)c->n);
}
static void sgemv_fn(void *v, int i)
{
    (void)i;
    struct blas_ctx *c = v;
    cblas_sgemv(CBLAS_ROW, CBLAS_NT, (int)c->n, (int)c->k, 1.0f, c->w, (int)c->k, c->x, 1, 0.0f,
                c->y, 1);
}
#endif

static void print_row(const char *what, double value, const char *unit, struct stats s, double work,
                      const char *vs)
{
    printf("%-34s %9.1f %-7s (time med %.3f ms, min %.3f, max %.3f) %s\n", what, value, unit,
           s.med * 1e3, s.min * 1e3, s.max * 1e3, vs ? vs : "");
    (void)work;
}

static void section_gemm(void)
{
    size_t N = 2048;
    printf("\n== GEMM %zu^3 (y = x W^T), %d threads, median of %d\n", N, g_threads, g_reps);
    float *x = malloc(N * N * sizeof(float)), *wsrc = malloc(N * N * sizeof(float));
    float *y = malloc(N * N * sizeof(float)), *y2 = malloc(N * N * sizeof(float));
    rng_fill(x, N * N, 1);
    rng_fill(wsrc, N * N, 2);
    double flops = 2.0 * N * N * N;
    struct mtok_wmat *w;
    mtok_wmat_create(&w, MTOK_F32, N, N, wsrc, N, NULL);
    struct gemm_ctx c = {w, N, x, y};
    struct stats s = time_it(gemm_fn, &c, 2, g_reps);
    double ours = flops / s.med;
    char vs[256];
    snprintf(vs, sizeof vs, "= %.1f%% of FMA peak (target 80%%)", 100 * ours / g_ceil.fma);
    print_row("gemm_f32 mtok", ours / 1e9, "GFLOP/s", s, flops, vs);
#ifdef MTOK_HAVE_OPENBLAS
    openblas_set_num_threads(g_threads);
    struct blas_ctx b = {N, N, N, x, wsrc, y2};
    struct stats sb = time_it(blas_fn, &b, 2, g_reps);
    double ob = flops / sb.med;
    snprintf(vs, sizeof vs, "= %.1f%% of FMA peak; mtok / OpenBLAS = %.2fx (target 1.5x)",
             100 * ob / g_ceil.fma, ours / ob);
    print_row("gemm_f32 OpenBLAS cblas_sgemm", ob / 1e9, "GFLOP/s", sb, flops, vs);
    double e = 0, d = 0;
    for (size_t i = 0; i < N * N; i += 97) {
        e += (y[i] - y2[i]) * (double)(y[i] - y2[i]);
        d += (double)y2[i] * y2[i];
    }
    printf("%-34s %9.2g (normalised difference, sampled)\n", "mtok vs OpenBLAS", sqrt(e / d));
#else
    printf("%-34s skipped (OpenBLAS not found at build time)\n", "gemm_f32 OpenBLAS");
#endif
    mtok_wmat_destroy(w);
    /* bf16: vdpbf16ps micro-kernel, and AMX when present */
    mtok_wmat_create(&w, MTOK_BF16, N, N, wsrc, N, NULL);
    c.w = w;
    bool amx = mtok_kernels_amx();
    enum mtok_isa isa = mtok_kernels_isa();
    if (amx) {
        mtok_kernels_select(isa, false, NULL);
    }
    s = time_it(gemm_fn, &c, 2, g_reps);
    double bf = flops / s.med;
    if (g_ceil.bf16 > 0)
        snprintf(vs, sizeof vs, "= %.1f%% of vdpbf16ps peak (target 60%%)", 100 * bf / g_ceil.bf16);
    else
        snprintf(vs, sizeof vs, "(no AVX512-BF16: f32 kernel on bf16-rounded inputs)");
    print_row("gemm_bf16 mtok (AVX-512)", bf / 1e9, "GFLOP/s", s, flops, vs);
    if (amx) {
        mtok_kernels_select(isa, true, NULL);
        memset(y2, 0, N * N * sizeof(float));
        c.y = y2;
        s = time_it(gemm_fn, &c, 2, g_reps);
        double am = flops / s.med;
        snprintf(vs, sizeof vs, "= %.1f%% of AMX peak, %.1f%% of vdpbf16ps peak, %.2fx f32 GEMM",
                 100 * am / g_ceil.amx, 100 * am / g_ceil.bf16, am / ours);
        print_row("gemm_bf16 mtok (AMX)", am / 1e9, "GFLOP/s", s, flops, vs);
        double e2 = 0, d2 = 0;
        for (size_t i = 0; i < N * N; i += 97) {
            e2 += (y[i] - y2[i]) * (double)(y[i] - y2[i]);
            d2 += (double)y[i] * y[i];
        }
        printf("%-34s %9.2g (normalised difference, sampled)\n", "AMX vs vdpbf16ps", sqrt(e2 / d2));
    }
    mtok_wmat_destroy(w);
    free(x), free(wsrc), free(y), free(y2);
}

/* ================================================================================================
 * GEMV: weights rotate through copies totalling > 2 GiB (L3 here is 480 MiB) */

struct gemv_ctx {
    struct mtok_wmat **w;
    size_t copies;
    const float *x;
    float *y;
};
static void gemv_fn(void *v, int i)
{
    struct gemv_ctx *c = v;
    const struct mtok_wmat *w = c->w[(size_t)i % c->copies];
    mtok_gemm(w, 1, c->x, w->k, c->y, w->n);
}

static struct mtok_wmat *wmat_clone(const struct mtok_wmat *w)
{
    struct mtok_wmat *c;
    mtok_wmat_create(&c, w->dtype, w->n, w->k, NULL, w->k, NULL);
    memcpy(c->data, w->data, w->data_bytes);
    if (w->scale_bytes)
        memcpy(c->scales, w->scales, w->scale_bytes);
    if (w->rowsum)
        memcpy(c->rowsum, w->rowsum, w->n * sizeof *w->rowsum);
    c->gscale = w->gscale;
    return c;
}

static void section_gemv(void)
{
    size_t n = 4096, k = 14336;
    double rot = g_quick ? 1.2e9 : 2.2e9;
    printf("\n== decode GEMV %zu x %zu (n outputs x k inputs), %d threads, weights rotating "
           "through > %.1f GB, median of %d\n",
           n, k, g_threads, rot / 1e9, 3 * g_reps);
    float *src = malloc(n * k * sizeof(float)), *x = malloc(k * sizeof(float)),
          *y = malloc(n * sizeof(float));
    rng_fill(src, n * k, 3);
    rng_fill(x, k, 4);
    static const enum mtok_dtype fmts[] = {MTOK_BF16, MTOK_FP8, MTOK_MXFP4, MTOK_NVFP4, MTOK_INT8,
                                           MTOK_F32};
    for (size_t f = 0; f < sizeof fmts / sizeof fmts[0]; f++) {
        struct mtok_wmat *w0;
        mtok_wmat_create(&w0, fmts[f], n, k, src, k, NULL);
        double wb = mtok_wmat_bytes(w0);
        size_t copies = (size_t)ceil(rot / wb);
        struct mtok_wmat **ws = malloc(copies * sizeof *ws);
        ws[0] = w0;
        for (size_t i = 1; i < copies; i++)
            ws[i] = wmat_clone(w0);
        struct gemv_ctx c = {ws, copies, x, y};
        struct stats s = time_it(gemv_fn, &c, (int)copies, 3 * g_reps);
        double gbs = wb / s.med;
        char name[64], vs[200];
        snprintf(name, sizeof name, "gemv_%s mtok", mtok_dtype_name(fmts[f]));
        snprintf(vs, sizeof vs, "= %.1f%% of DRAM read BW (target 90%%), %zu copies",
                 100 * gbs / g_ceil.bw, copies);
        print_row(name, gbs / 1e9, "GB/s", s, wb, vs);
        /* the regime of ggml's test-backend-ops: one matrix, every call (cache-resident when the
         * last-level cache holds it, as this machine's 480 MiB L3 does) */
        struct gemv_ctx c1 = {ws, 1, x, y};
        struct stats s1 = time_it(gemv_fn, &c1, 3, 3 * g_reps);
        snprintf(name, sizeof name, "gemv_%s mtok, one matrix warm", mtok_dtype_name(fmts[f]));
        snprintf(vs, sizeof vs, "(cache-resident if %.0f MB fits the LLC)", wb / 1e6);
        print_row(name, wb / s1.med / 1e9, "GB/s", s1, wb, vs);
        for (size_t i = 0; i < copies; i++)
            mtok_wmat_destroy(ws[i]);
        free(ws);
    }
#ifdef MTOK_HAVE_OPENBLAS
    {
        size_t copies = (size_t)ceil(rot / (4.0 * n * k));
        float **m = malloc(copies * sizeof *m);
        for (size_t i = 0; i < copies; i++) {
            m[i] = malloc(n * k * sizeof(float));
            memcpy(m[i], src, n * k * sizeof(float));
        }
        struct blas_ctx b = {1, n, k, x, NULL, y};
        double t[64];
        int reps = 3 * g_reps > 64 ? 64 : 3 * g_reps;
        for (int i = 0; i < (int)copies + reps; i++) {
            b.w = m[(size_t)i % copies];
            double t0 = now_s();
            sgemv_fn(&b, i);
            if (i >= (int)copies)
                t[i - (int)copies] = now_s() - t0;
        }
        qsort(t, (size_t)reps, sizeof *t, cmp_d);
        struct stats s = {t[reps / 2], t[0], t[reps - 1]};
        double gbs = 4.0 * n * k / s.med;
        char vs[128];
        snprintf(vs, sizeof vs, "= %.1f%% of DRAM read BW", 100 * gbs / g_ceil.bw);
        print_row("gemv_f32 OpenBLAS cblas_sgemv", gbs / 1e9, "GB/s", s, 4.0 * n * k, vs);
        for (size_t i = 0; i < copies; i++)
            free(m[i]);
        free(m);
    }
#endif
    free(src), free(x), free(y);
}

/* ================================================================================================
 * Attention decode at 32K */

struct gqa_ctx {
    struct mtok_gqa a;
    void **k, **v;
    size_t layers;
};
static void gqa_fn(void *vc, int i)
{
    struct gqa_ctx *c = vc;
    c->a.k = c->k[(size_t)i % c->layers];
    c->a.v = c->v[(size_t)i % c->layers];
    mtok_attn_gqa(&c->a);
}

struct mqa_ctx {
    struct mtok_mqa a;
    struct mtok_kv_seg seg[2];
    void **cache;
    size_t layers;
    struct mtok_indexer ix;
    void **keys;
    int32_t *idx;
    size_t topk;
};
static void mqa_fn(void *vc, int i)
{
    struct mqa_ctx *c = vc;
    c->seg[0].base = c->cache[(size_t)i % c->layers];
    mtok_attn_mqa(&c->a);
}
static void csa_fn(void *vc, int i)
{
    struct mqa_ctx *c = vc;
    size_t L = (size_t)i % c->layers;
    c->ix.keys = c->keys[L];
    mtok_indexer_score(&c->ix);
    mtok_topk(c->ix.scores, c->ix.n_keys, c->topk, c->idx);
    c->seg[0].base = c->cache[L];
    mtok_attn_mqa(&c->a);
}

static void roofline_row(const char *name, struct mtok_op op, struct stats s)
{
    double t_mem = mtok_op_bytes(&op) / g_ceil.bw;
    double t_cmp = (op.flops + op.other) / g_ceil.fma;
    double roof = t_mem > t_cmp ? t_mem : t_cmp;
    char vs[256];
    snprintf(vs, sizeof vs, "= %.1f%% of roofline (%s-bound: mem %.3f ms, fp32 compute %.3f ms)",
             100 * roof / s.med, t_mem > t_cmp ? "memory" : "compute", t_mem * 1e3, t_cmp * 1e3);
    print_row(name, mtok_op_bytes(&op) / s.med / 1e9, "GB/s", s, 0, vs);
    printf("%-34s %9.1f GFLOP/s, %.1f MB moved per call\n", "", op.flops / s.med / 1e9,
           mtok_op_bytes(&op) / 1e6);
}

static void section_attn(void)
{
    size_t ctx = 32768;
    printf("\n== decode attention at %zu context, %d threads, median of %d (roofline: max of "
           "bytes / DRAM BW and FLOPs / FMA peak)\n",
           ctx, g_threads, 3 * g_reps);
    /* GQA, Llama-3-8B shape: 32 heads, 8 KV heads, head dim 128, bf16 cache */
    {
        size_t H = 32, KH = 8, D = 128;
        size_t per = ctx * KH * D * 2;
        size_t layers = (size_t)ceil((g_quick ? 1.2e9 : 2.2e9) / (2.0 * per));
        struct gqa_ctx c = {.layers = layers};
        c.k = malloc(layers * sizeof(void *));
        c.v = malloc(layers * sizeof(void *));
        float *tmp = malloc(ctx * KH * D * sizeof(float));
        rng_fill(tmp, ctx * KH * D, 5);
        for (size_t l = 0; l < layers; l++) {
            c.k[l] = aligned_alloc(64, per);
            c.v[l] = aligned_alloc(64, per);
            mtok_f32_to_bf16(tmp, c.k[l], ctx * KH * D);
            mtok_f32_to_bf16(tmp, c.v[l], ctx * KH * D);
        }
        float *q = malloc(H * D * sizeof(float)), *out = malloc(H * D * sizeof(float));
        rng_fill(q, H * D, 6);
        for (int hm = 0; hm < 2; hm++) {
            c.a = (struct mtok_gqa){.q_len = 1, .kv_len = ctx, .heads = H, .kv_heads = KH,
                                    .dqk = D, .dv = D, .q = q, .q_stride = H * D,
                                    .kv_dtype = MTOK_BF16, .kv_stride = KH * D,
                                    .scale = 1.0f / sqrtf((float)D), .out = out,
                                    .out_stride = H * D};
            if (hm) { /* [kv head][pos][dim]: each head one contiguous stream */
                c.a.kv_stride = c.a.v_stride = D;
                c.a.k_head_stride = c.a.v_head_stride = ctx * D;
            }
            c.a.k = c.k[0];
            c.a.v = c.v[0];
            struct stats s = time_it(gqa_fn, &c, (int)layers, 3 * g_reps);
            roofline_row(hm ? "attn_gqa_bf16 h32/kv8/d128 [h][t][d]"
                            : "attn_gqa_bf16 h32/kv8/d128 [t][h][d]",
                         mtok_attn_gqa_op("attn", &c.a), s);
        }
        for (size_t l = 0; l < layers; l++) {
            free(c.k[l]);
            free(c.v[l]);
        }
        free(c.k), free(c.v), free(tmp), free(q), free(out);
    }
    /* MLA absorbed decode (DeepSeek V3 shape: 128 heads, 512 latent + 64 rope, bf16 cache) and
     * V4-Flash CSA (64 heads, indexer over ctx/4 MXFP4 keys, top-512 + 128 SWA of 584-byte
     * entries) */
    for (int kind = 0; kind < 2; kind++) {
        size_t H = kind == 0 ? 128 : 64, dim = kind == 0 ? 576 : 512, dv = 512;
        enum mtok_kv_fmt fmt = kind == 0 ? MTOK_KV_BF16 : MTOK_KV_V4;
        size_t n = kind == 0 ? ctx : ctx / 4, eb = mtok_kv_fmt_entry_bytes(fmt, dim);
        size_t layers = (size_t)ceil((g_quick ? 1.2e9 : 2.2e9) / (double)(n * eb));
        struct mqa_ctx c = {.layers = layers, .topk = 512};
        c.cache = malloc(layers * sizeof(void *));
        c.keys = malloc(layers * sizeof(void *));
        float *e = malloc(dim * sizeof(float));
        uint8_t *one = malloc(n * eb);
        for (size_t t = 0; t < n; t++) {
            rng_fill(e, dim, 100 + t % 97);
            mtok_kv_store(fmt, dim, e, one + t * eb);
        }
        size_t kb = mtok_ikey_bytes(128);
        uint8_t *k1 = malloc(n * kb);
        for (size_t t = 0; t < n; t++) {
            rng_fill(e, 128, 300 + t % 89);
            mtok_ikey_store(128, e, k1 + t * kb);
        }
        for (size_t l = 0; l < layers; l++) {
            c.cache[l] = malloc(n * eb);
            memcpy(c.cache[l], one, n * eb);
            c.keys[l] = NULL;
            if (kind == 1) {
                c.keys[l] = malloc(n * kb);
                memcpy(c.keys[l], k1, n * kb);
            }
        }
        float *q = malloc(H * dim * sizeof(float)), *out = malloc(H * dv * sizeof(float));
        rng_fill(q, H * dim, 7);
        for (size_t i = 0; i < H * dim; i++)
            q[i] *= 0.1f;
        c.a = (struct mtok_mqa){.heads = H, .dim = dim, .dv = dv, .q = q, .fmt = fmt,
                                .segs = c.seg, .n_segs = 1, .scale = 1.0f / sqrtf((float)dim),
                                .out = out};
        c.seg[0] = (struct mtok_kv_seg){c.cache[0], n, NULL};
        if (kind == 0) {
            struct stats s = time_it(mqa_fn, &c, (int)layers, g_quick ? 3 : g_reps);
            roofline_row("attn_mla_bf16 h128/576/512", mtok_attn_mqa_op("attn", &c.a), s);
        } else {
            float *qi = malloc(64 * 128 * sizeof(float)), wts[64];
            rng_fill(qi, 64 * 128, 8);
            rng_fill(wts, 64, 9);
            c.idx = malloc(512 * sizeof(int32_t));
            c.ix = (struct mtok_indexer){.heads = 64, .dim = 128, .q = qi, .w = wts,
                                         .scale = 0.088f, .keys = c.keys[0], .n_keys = n,
                                         .scores = malloc(n * sizeof(float))};
            /* top-512 of the compressed entries + the 128-entry window, one softmax */
            c.seg[0] = (struct mtok_kv_seg){c.cache[0], 512, c.idx};
            c.seg[1] = (struct mtok_kv_seg){one + (n - 128) * eb, 128, NULL};
            c.a.n_segs = 2;
            struct stats s = time_it(csa_fn, &c, (int)layers, 3 * g_reps);
            struct mtok_op oi = mtok_indexer_op("idx", &c.ix, 512);
            struct mtok_op oa = mtok_attn_mqa_op("attn", &c.a);
            struct mtok_op sum = oa;
            sum.flops += oi.flops;
            sum.other += oi.other;
            sum.kv_bytes += oi.kv_bytes;
            sum.a_bytes += oi.a_bytes;
            roofline_row("attn_v4_csa h64 idx64x128 top512", sum, s);
            free(qi);
            free(c.ix.scores);
            free(c.idx);
        }
        for (size_t l = 0; l < layers; l++) {
            free(c.cache[l]);
            free(c.keys[l]);
        }
        free(c.cache), free(c.keys), free(e), free(one), free(k1), free(q), free(out);
    }
}

/* ================================================================================================
 * Engine: the scaled-down V4-Flash decode, per-op breakdown through the engine's hooks */

#define MAX_OPS 128
struct op_row {
    const char *name;
    enum mtok_op_kind kind;
    double t, flops, bytes, roof;
    long calls;
};

/* Speed-of-light time of an op on this host from the measured ceilings: the slower of moving its
 * bytes at the DRAM read bandwidth and running its FLOPs at the peak of its arithmetic. */
static double roofline_s(const struct mtok_op *op)
{
    double peak = g_ceil.fma;
    if (op->cdtype == MTOK_INT8 && g_ceil.vnni > 0)
        peak = g_ceil.vnni;
    else if (op->cdtype == MTOK_BF16 && g_ceil.bf16 > 0)
        peak = g_ceil.bf16;
    double tc = (op->flops + op->other) / peak, tm = mtok_op_bytes(op) / g_ceil.bw;
    return tc > tm ? tc : tm;
}
struct prof {
    struct op_row rows[MAX_OPS];
    int n;
    double t0;
    bool on;
};

static void prof_before(void *ctx, const struct mtok_op *op, int layer)
{
    (void)op;
    (void)layer;
    ((struct prof *)ctx)->t0 = now_s();
}

static void prof_after(void *ctx, const struct mtok_op *op, int layer)
{
    struct prof *p = ctx;
    double dt = now_s() - p->t0;
    (void)layer;
    if (!p->on)
        return;
    int i = 0;
    while (i < p->n && strcmp(p->rows[i].name, op->name) != 0)
        i++;
    if (i == p->n) {
        if (p->n == MAX_OPS)
            return;
        p->rows[p->n++] = (struct op_row){.name = op->name, .kind = op->kind};
    }
    p->rows[i].t += dt;
    p->rows[i].flops += op->flops;
    p->rows[i].bytes += mtok_op_bytes(op);
    p->rows[i].roof += roofline_s(op);
    p->rows[i].calls++;
}

static int cmp_row(const void *a, const void *b)
{
    double x = ((const struct op_row *)a)->t, y = ((const struct op_row *)b)->t;
    return x > y ? -1 : x < y;
}

static size_t g_tokens = 32;
static const char *g_model = "data/engine/deepseek-v4-flash-mini_config.json";
static const char *g_contexts = "0,4096,32768";

static void section_engine(void)
{
    const char *json = NULL;
    size_t len = 0;
    char *owned = NULL;
    const struct mtok_blob *b = mtok_embedded_find(g_model);
    if (b) {
        json = (const char *)b->data;
        len = b->size;
    } else {
        struct mtok_error err;
        if (mtok_file_read(g_model, 1 << 20, &owned, &len, &err) != MTOK_OK) {
            printf("\n== engine: %s\n", err.msg);
            return;
        }
        json = owned;
    }
    size_t ctxs[8], nctx = 0, maxc = 0;
    for (const char *p = g_contexts; *p && nctx < 8;) {
        char *end;
        unsigned long v = strtoul(p, &end, 10);
        if (end == p)
            break;
        ctxs[nctx++] = v;
        maxc = v > maxc ? v : maxc;
        p = *end == ',' ? end + 1 : end;
    }
    struct mtok_engine *e = NULL;
    struct mtok_error err;
    double t0 = now_s();
    if (mtok_engine_create(&e, g_model, json, len, 1234, maxc + g_tokens + 8, &err) != MTOK_OK) {
        printf("\n== engine: %s\n", err.msg);
        free(owned);
        return;
    }
    printf("\n== engine decode: %s (%s), seed 1234, built in %.1f s\n", g_model,
           mtok_engine_describe(e), now_s() - t0);
    printf("   %zu tokens per context after 2 warm-up tokens; greedy; per-op times from the "
           "engine's hooks (sum over layers, per token)\n",
           g_tokens);
    double active = mtok_engine_active_weight_bytes(e);
    for (size_t c = 0; c < nctx; c++) {
        mtok_engine_fill(e, ctxs[c], 99, NULL);
        struct prof p = {0};
        struct mtok_engine_hooks hk = {prof_before, prof_after, &p};
        int32_t tok = 1;
        double ts[256];
        size_t nt = g_tokens > 256 ? 256 : g_tokens;
        for (size_t i = 0; i < nt + 2; i++) {
            p.on = i >= 2;
            double a = now_s();
            mtok_engine_step(e, tok, &hk, &tok, NULL, NULL);
            if (i >= 2)
                ts[i - 2] = now_s() - a;
        }
        double tot = 0;
        for (size_t i = 0; i < nt; i++)
            tot += ts[i];
        qsort(ts, nt, sizeof *ts, cmp_d);
        double med = ts[nt / 2], flops = 0, bytes = 0, optime = 0;
        for (int i = 0; i < p.n; i++) {
            flops += p.rows[i].flops;
            bytes += p.rows[i].bytes;
            optime += p.rows[i].t;
        }
        printf("\n-- context %zu: %.2f tok/s (median step %.2f ms, min %.2f, max %.2f); %.1f MB and "
               "%.1f MFLOP per token by the op costs = %.1f GB/s effective (%.1f%% of DRAM read BW); "
               "weights read per token %.1f MB\n",
               ctxs[c], 1.0 / med, med * 1e3, ts[0] * 1e3, ts[nt - 1] * 1e3, bytes / nt / 1e6,
               flops / nt / 1e6, bytes / nt / med / 1e9, 100 * bytes / nt / med / g_ceil.bw,
               active / 1e6);
        qsort(p.rows, (size_t)p.n, sizeof p.rows[0], cmp_row);
        printf("   %-22s %-12s %6s %9s %6s %10s %10s %9s %9s %9s %6s\n", "op", "kind", "calls",
               "ms/tok", "%", "MB/tok", "MFLOP/tok", "GB/s", "GFLOP/s", "roof ms", "util");
        double roof = 0;
        for (int i = 0; i < p.n; i++) {
            struct op_row *r = &p.rows[i];
            roof += r->roof;
            printf("   %-22s %-12s %6.1f %9.3f %5.1f%% %10.3f %10.3f %9.2f %9.2f %9.3f %5.1f%%\n",
                   r->name, mtok_op_kind_name(r->kind), (double)r->calls / nt, r->t / nt * 1e3,
                   100 * r->t / optime, r->bytes / nt / 1e6, r->flops / nt / 1e6,
                   r->t > 0 ? r->bytes / r->t / 1e9 : 0, r->t > 0 ? r->flops / r->t / 1e9 : 0,
                   r->roof / nt * 1e3, r->t > 0 ? 100 * r->roof / r->t : 0);
        }
        printf("   roofline of the step from these ceilings: %.2f ms = %.1f tok/s; measured reaches "
               "%.1f%% of it\n",
               roof / nt * 1e3, nt / roof, 100 * roof / nt / med);
        double bykind[MTOK_OP_KIND_COUNT] = {0};
        for (int i = 0; i < p.n; i++)
            bykind[p.rows[i].kind] += p.rows[i].t;
        printf("   by kind:");
        for (int k = 0; k < MTOK_OP_KIND_COUNT; k++)
            if (bykind[k] > 0)
                printf(" %s %.1f%%", mtok_op_kind_name((enum mtok_op_kind)k), 100 * bykind[k] / optime);
        printf("; ops cover %.1f%% of the step time (the rest: residual adds, hooks)\n",
               100 * optime / tot);
    }
    mtok_engine_destroy(e);
    free(owned);
}

/* ================================================================================================ */

int main(int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        long v;
        if (strcmp(argv[i], "--quick") == 0) {
            g_quick = true;
            g_reps = 3;
        } else if (strcmp(argv[i], "--reps") == 0 && i + 1 < argc &&
                   mtok_parse_long(argv[i + 1], 1, 64, &v) == MTOK_OK) {
            g_reps = (int)v;
            i++;
        } else if (strcmp(argv[i], "--threads") == 0 && i + 1 < argc &&
                   mtok_parse_long(argv[i + 1], 1, 1024, &v) == MTOK_OK) {
            mtok_kernels_set_threads((int)v);
            i++;
        } else if (strcmp(argv[i], "--only") == 0 && i + 1 < argc) {
            g_only = argv[++i];
        } else if (strcmp(argv[i], "--tokens") == 0 && i + 1 < argc &&
                   mtok_parse_long(argv[i + 1], 1, 256, &v) == MTOK_OK) {
            g_tokens = (size_t)v;
            i++;
        } else if (strcmp(argv[i], "--contexts") == 0 && i + 1 < argc) {
            g_contexts = argv[++i];
        } else if (strcmp(argv[i], "--model") == 0 && i + 1 < argc) {
            g_model = argv[++i];
        } else {
            fprintf(stderr,
                    "usage: bench_kernels [--quick] [--reps N] [--threads N] "
                    "[--only ceilings,gemm,gemv,attn,engine]\n"
                    "                     [--model CONFIG] [--tokens N] [--contexts 0,4096,...]\n");
            return 2;
        }
    }
    struct mtok_error err;
    if (mtok_kernels_init(&err) != MTOK_OK) {
        fprintf(stderr, "bench_kernels: %s\n", err.msg);
        return 2;
    }
    g_threads = mtok_kernels_threads();
    const struct mtok_cpu *c = mtok_cpu_get();
    char when[32];
    mtok_wall_iso8601(when, sizeof when);
    double load[3] = {0};
    FILE *f = fopen("/proc/loadavg", "r");
    if (f) {
        if (fscanf(f, "%lf %lf %lf", &load[0], &load[1], &load[2]) != 3)
            load[0] = -1;
        fclose(f);
    }
    printf("bench_kernels  %s  mtok %s\n", when, MTOK_VERSION);
    printf("cpu: %s family %d model %d; avx2 %d avx512 %d bf16 %d vnni %d vbmi %d amx %d (granted "
           "%d); load average %.2f %.2f %.2f\n",
           c->vendor, c->family, c->model, c->avx2, c->avx512f, c->avx512bf16, c->avx512vnni,
           c->avx512vbmi, c->amx_bf16, c->amx_granted, load[0], load[1], load[2]);
    printf("kernels: %s\n", mtok_kernels_describe());
    const char *wp = getenv("OMP_WAIT_POLICY");
    printf("OMP_WAIT_POLICY=%s%s\n", wp ? wp : "(unset: libgomp spins)",
           load[0] > 0.5 && !wp ? "  -- the machine is busy: set OMP_WAIT_POLICY=passive, or "
                                 "spinning workers steal the cores the kernels need"
                                : "");
    section_ceilings(); /* every ratio below needs them */
    if (want("gemm"))
        section_gemm();
    if (want("gemv"))
        section_gemv();
    if (want("attn"))
        section_attn();
    if (want("engine"))
        section_engine();
    return 0;
}
