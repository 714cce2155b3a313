/* AVX-512 variants (F/BW/VL/DQ baseline for this file; VNNI, BF16 and VBMI per function through
 * target attributes, used only when CPUID reports them). Each kernel sits after the reference it
 * must match (ref.c) in spirit: same activation rounding, same block structure, only the summation
 * order differs. */
#include <immintrin.h>
#include <math.h>
#include <stdlib.h>

#include "kernels/internal.h"

#define TGT_BF16 __attribute__((target("avx512bf16")))
#define TGT_VNNI __attribute__((target("avx512vnni")))
#define TGT_VBMI_BF16 __attribute__((target("avx512vbmi,avx512bf16")))

static inline __mmask16 mask16(size_t n) { return n >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << n) - 1); }
static inline __mmask32 mask32(size_t n) { return n >= 32 ? (__mmask32)0xFFFFFFFFu : (__mmask32)((1u << n) - 1); }
static inline __mmask64 mask64(size_t n) { return n >= 64 ? (__mmask64)~0ull : (__mmask64)((1ull << n) - 1); }

/* ---- exp: Cody-Waite reduction, Cephes degree-6 polynomial, scalef for 2^n (about 1 ulp) ---- */
static inline __m512 exp512(__m512 x)
{
    x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-104.0f)), _mm512_set1_ps(89.0f));
    __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
    r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
    __m512 p = _mm512_set1_ps(1.9875691500e-4f);
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
    p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
    p = _mm512_fmadd_ps(_mm512_mul_ps(p, r), r, _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
    return _mm512_scalef_ps(p, n);
}

/* Lanes i = horizontal sum of v[i], for 16 vectors (a transpose-and-add tree, 46 operations). */
static inline __m512 hsum16(const __m512 *v)
{
    __m512 a[8], b[4];
    for (int i = 0; i < 8; i++)
        a[i] = _mm512_add_ps(_mm512_shuffle_f32x4(v[2 * i], v[2 * i + 1], 0x44),
                             _mm512_shuffle_f32x4(v[2 * i], v[2 * i + 1], 0xEE));
    for (int i = 0; i < 4; i++)
        b[i] = _mm512_add_ps(_mm512_shuffle_f32x4(a[2 * i], a[2 * i + 1], 0x88),
                             _mm512_shuffle_f32x4(a[2 * i], a[2 * i + 1], 0xDD));
    /* b[i] chunk j holds the 4 partial sums of v[4i + j] */
    __m512 d0 = _mm512_add_ps(_mm512_unpacklo_ps(b[0], b[1]), _mm512_unpackhi_ps(b[0], b[1]));
    __m512 d1 = _mm512_add_ps(_mm512_unpacklo_ps(b[2], b[3]), _mm512_unpackhi_ps(b[2], b[3]));
    __m512 e0 = _mm512_castpd_ps(_mm512_unpacklo_pd(_mm512_castps_pd(d0), _mm512_castps_pd(d1)));
    __m512 e1 = _mm512_castpd_ps(_mm512_unpackhi_pd(_mm512_castps_pd(d0), _mm512_castps_pd(d1)));
    __m512 f = _mm512_add_ps(e0, e1); /* lane 4j + i = sum v[4i + j] */
    const __m512i perm = _mm512_setr_epi32(0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15);
    return _mm512_permutexvar_ps(perm, f);
}

/* bf16 (16 values at p) -> f32 */
static inline __m512 bf16x16_to_f32(const void *p)
{
    return _mm512_castsi512_ps(
        _mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const void *)p)), 16));
}
static inline __m512 bf16x16_to_f32_mask(const void *p, __mmask16 m)
{
    return _mm512_castsi512_ps(_mm512_slli_epi32(
        _mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(m, p)), 16));
}

/* e4m3 (16 codes at p) -> f32 x 2^-8: the code shifted into an f16's exponent and mantissa is
 * exactly the value x 2^-8, subnormals included; vcvtph2ps widens it exactly. */
static inline __m512 e4m3x16_to_f32_div256(__m128i codes)
{
    __m256i w = _mm256_cvtepu8_epi16(codes);
    __m256i h = _mm256_or_si256(_mm256_slli_epi16(_mm256_and_si256(w, _mm256_set1_epi16(0x7F)), 7),
                                _mm256_slli_epi16(_mm256_and_si256(w, _mm256_set1_epi16(0x80)), 8));
    return _mm512_cvtph_ps(h);
}

/* ================================================================================================
 * Conversions, bit-exact with quant.c */

static void f32_to_bf16_avx512(const float *x, uint16_t *o, size_t n)
{
    size_t i = 0;
    for (; i < n; i += 16) {
        __mmask16 m = mask16(n - i);
        __m512i u = _mm512_castps_si512(_mm512_maskz_loadu_ps(m, x + i));
        __m512i a = _mm512_and_si512(u, _mm512_set1_epi32(0x7FFFFFFF));
        __mmask16 nan = _mm512_cmpgt_epu32_mask(a, _mm512_set1_epi32(0x7F800000));
        __m512i lsb = _mm512_and_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(1));
        __m512i r = _mm512_srli_epi32(
            _mm512_add_epi32(_mm512_add_epi32(u, _mm512_set1_epi32(0x7FFF)), lsb), 16);
        __m512i qn = _mm512_or_si512(_mm512_srli_epi32(u, 16), _mm512_set1_epi32(0x40));
        r = _mm512_mask_mov_epi32(r, nan, qn);
        _mm256_mask_storeu_epi16(o + i, m, _mm512_cvtepi32_epi16(r));
    }
}

static void bf16_to_f32_avx512(const uint16_t *x, float *o, size_t n)
{
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 m = mask16(n - i);
        _mm512_mask_storeu_ps(o + i, m, bf16x16_to_f32_mask(x + i, m));
    }
}

/* A minifloat encoder in integer SIMD: normals round their f32 bits at the mantissa cut (the
 * carry walks into the exponent as it should), subnormals round by adding a power of two whose
 * ulp is the format's subnormal quantum. mb mantissa bits, bias, code of the largest finite, NaN
 * code, the f32 bits of the largest finite and of the smallest normal. */
static inline __m512i minifloat16(__m512 xv, int mb, int bias, int maxc, int nanc, uint32_t maxbits,
                                  uint32_t minnorm_bits, float magic)
{
    __m512i u = _mm512_castps_si512(xv);
    __m512i a = _mm512_and_si512(u, _mm512_set1_epi32(0x7FFFFFFF));
    __m512i sign = _mm512_and_si512(_mm512_srli_epi32(u, 24), _mm512_set1_epi32(0x80));
    int sh = 23 - mb;
    __m512i lsb = _mm512_and_si512(_mm512_srlv_epi32(a, _mm512_set1_epi32(sh)), _mm512_set1_epi32(1));
    __m512i rn = _mm512_add_epi32(a, _mm512_add_epi32(_mm512_set1_epi32((1 << (sh - 1)) - 1), lsb));
    __m512i norm = _mm512_sub_epi32(_mm512_srlv_epi32(rn, _mm512_set1_epi32(sh)),
                                    _mm512_set1_epi32((127 - bias) << mb));
    __m512 mg = _mm512_set1_ps(magic);
    __m512i sub = _mm512_sub_epi32(
        _mm512_castps_si512(_mm512_add_ps(_mm512_castsi512_ps(a), mg)), _mm512_castps_si512(mg));
    __mmask16 is_sub = _mm512_cmplt_epu32_mask(a, _mm512_set1_epi32((int)minnorm_bits));
    __m512i c = _mm512_mask_mov_epi32(norm, is_sub, sub);
    __mmask16 sat = _mm512_cmpge_epu32_mask(a, _mm512_set1_epi32((int)maxbits));
    c = _mm512_mask_mov_epi32(c, sat, _mm512_set1_epi32(maxc));
    __mmask16 nan = _mm512_cmpgt_epu32_mask(a, _mm512_set1_epi32(0x7F800000));
    c = _mm512_mask_mov_epi32(c, nan, _mm512_set1_epi32(nanc));
    return _mm512_or_si512(c, sign);
}

static void f32_to_e4m3_avx512(const float *x, uint8_t *o, size_t n)
{
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 m = mask16(n - i);
        /* 448 = 0x43E00000; 2^-6 = 0x3C800000; subnormal quantum 2^-9 = ulp of 2^14 */
        __m512i c = minifloat16(_mm512_maskz_loadu_ps(m, x + i), 3, 7, 0x7E, 0x7F, 0x43E00000u,
                                0x3C800000u, 16384.0f);
        _mm_mask_storeu_epi8(o + i, m, _mm512_cvtepi32_epi8(c));
    }
}

static void f32_to_e5m2_avx512(const float *x, uint8_t *o, size_t n)
{
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 m = mask16(n - i);
        /* 57344 = 0x47600000; 2^-14 = 0x38800000; quantum 2^-16 = ulp of 2^7 */
        __m512i c = minifloat16(_mm512_maskz_loadu_ps(m, x + i), 2, 15, 0x7B, 0x7E, 0x47600000u,
                                0x38800000u, 128.0f);
        _mm_mask_storeu_epi8(o + i, m, _mm512_cvtepi32_epi8(c));
    }
}

/* int8 quantisation, bit-exact with mtok_q8_quant_ref: the same f32 multiply by 127 / amax, and
 * vcvtps2dq rounds to nearest even as nearbyintf does in the default environment. */
static float q8_quant_avx512(const float *x, size_t n, int8_t *q)
{
    __m512 mx = _mm512_setzero_ps();
    for (size_t i = 0; i < n; i += 16)
        mx = _mm512_max_ps(mx, _mm512_abs_ps(_mm512_maskz_loadu_ps(mask16(n - i), x + i)));
    float amax = _mm512_reduce_max_ps(mx);
    if (!(amax > 0) || !isfinite(amax)) {
        memset(q, 0, n);
        return 0.0f;
    }
    __m512 inv = _mm512_set1_ps(127.0f / amax);
    const __m512i lo = _mm512_set1_epi32(-127), hi = _mm512_set1_epi32(127);
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 m = mask16(n - i);
        __m512i v = _mm512_cvtps_epi32(_mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + i), inv));
        v = _mm512_min_epi32(_mm512_max_epi32(v, lo), hi);
        _mm_mask_storeu_epi8(q + i, m, _mm512_cvtepi32_epi8(v));
    }
    return amax / 127.0f;
}

static void e4m3_to_f32_avx512(const uint8_t *x, float *o, size_t n)
{
    const float *t = mtok_e4m3_table();
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 m = mask16(n - i);
        __m512i idx = _mm512_cvtepu8_epi32(_mm_maskz_loadu_epi8(m, x + i));
        _mm512_mask_storeu_ps(o + i, m, _mm512_i32gather_ps(idx, t, 4));
    }
}

/* ================================================================================================
 * GEMV */

/* Streaming kernels that spend real time per cache line outrun the hardware prefetcher's
 * lookahead; one software prefetch per line consumed, this far ahead, keeps DRAM busy. */
#define MTOK_PF_AHEAD 2048
#define MTOK_PF_FP4 MTOK_PF_AHEAD /* into L1 (512 to 8192 tried: 2 KiB is best), plus 4x that into L2 */



static size_t prep_f32_bytes(const struct mtok_wmat *w) { return MTOK_ROUND_UP(w->k, 64) * 4; }
static void prep_f32(const struct mtok_wmat *w, const float *x, void *buf)
{
    memset(buf, 0, prep_f32_bytes(w));
    memcpy(buf, x, w->k * sizeof(float));
}

static void gemv_f32_avx512(const struct mtok_wmat *w, const void *xp, float *y, size_t r0,
                            size_t r1)
{
    const float *x = xp, *W = w->data;
    size_t k = w->k, r = r0;
    for (; r + 4 <= r1; r += 4) {
        const float *w0 = W + r * k, *w1 = w0 + k, *w2 = w1 + k, *w3 = w2 + k;
        __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        size_t c = 0;
        for (; c + 16 <= k; c += 16) {
            __m512 xv = _mm512_load_ps(x + c);
            a0 = _mm512_fmadd_ps(_mm512_loadu_ps(w0 + c), xv, a0);
            a1 = _mm512_fmadd_ps(_mm512_loadu_ps(w1 + c), xv, a1);
            a2 = _mm512_fmadd_ps(_mm512_loadu_ps(w2 + c), xv, a2);
            a3 = _mm512_fmadd_ps(_mm512_loadu_ps(w3 + c), xv, a3);
        }
        if (c < k) {
            __mmask16 m = mask16(k - c);
            __m512 xv = _mm512_load_ps(x + c);
            a0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, w0 + c), xv, a0);
            a1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, w1 + c), xv, a1);
            a2 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, w2 + c), xv, a2);
            a3 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(m, w3 + c), xv, a3);
        }
        y[r] = _mm512_reduce_add_ps(a0);
        y[r + 1] = _mm512_reduce_add_ps(a1);
        y[r + 2] = _mm512_reduce_add_ps(a2);
        y[r + 3] = _mm512_reduce_add_ps(a3);
    }
    for (; r < r1; r++) {
        __m512 a0 = _mm512_setzero_ps();
        for (size_t c = 0; c < k; c += 16)
            a0 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mask16(k - c), W + r * k + c),
                                 _mm512_load_ps(x + c), a0);
        y[r] = _mm512_reduce_add_ps(a0);
    }
}

/* bf16 weights, AVX512-BF16: x rounded to bf16, vdpbf16ps, 4 rows share each x load. */
static size_t prep_bf16_bytes(const struct mtok_wmat *w) { return MTOK_ROUND_UP(w->k, 64) * 2; }
static void prep_bf16(const struct mtok_wmat *w, const float *x, void *buf)
{
    memset(buf, 0, prep_bf16_bytes(w));
    f32_to_bf16_avx512(x, buf, w->k);
}

TGT_BF16 static void gemv_bf16_avx512bf16(const struct mtok_wmat *w, const void *xp, float *y,
                                          size_t r0, size_t r1)
{
    const uint16_t *x = xp, *W = w->data;
    size_t k = w->k, r = r0;
    /* within the row for long rows, else the next group of 4 rows (see the fp8 kernel) */
    const size_t pfo = 2 * k >= 4 * MTOK_PF_AHEAD ? MTOK_PF_AHEAD : 8 * k;
    for (; r + 4 <= r1; r += 4) {
        const uint16_t *w0 = W + r * k, *w1 = w0 + k, *w2 = w1 + k, *w3 = w2 + k;
        __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        size_t c = 0;
        for (; c + 32 <= k; c += 32) {
            _mm_prefetch((const char *)(w0 + c) + pfo, _MM_HINT_T0);
            _mm_prefetch((const char *)(w1 + c) + pfo, _MM_HINT_T0);
            _mm_prefetch((const char *)(w2 + c) + pfo, _MM_HINT_T0);
            _mm_prefetch((const char *)(w3 + c) + pfo, _MM_HINT_T0);
            __m512bh xv = (__m512bh)_mm512_load_si512(x + c);
            a0 = _mm512_dpbf16_ps(a0, (__m512bh)_mm512_loadu_si512(w0 + c), xv);
            a1 = _mm512_dpbf16_ps(a1, (__m512bh)_mm512_loadu_si512(w1 + c), xv);
            a2 = _mm512_dpbf16_ps(a2, (__m512bh)_mm512_loadu_si512(w2 + c), xv);
            a3 = _mm512_dpbf16_ps(a3, (__m512bh)_mm512_loadu_si512(w3 + c), xv);
        }
        if (c < k) {
            __mmask32 m = mask32(k - c);
            __m512bh xv = (__m512bh)_mm512_load_si512(x + c);
            a0 = _mm512_dpbf16_ps(a0, (__m512bh)_mm512_maskz_loadu_epi16(m, w0 + c), xv);
            a1 = _mm512_dpbf16_ps(a1, (__m512bh)_mm512_maskz_loadu_epi16(m, w1 + c), xv);
            a2 = _mm512_dpbf16_ps(a2, (__m512bh)_mm512_maskz_loadu_epi16(m, w2 + c), xv);
            a3 = _mm512_dpbf16_ps(a3, (__m512bh)_mm512_maskz_loadu_epi16(m, w3 + c), xv);
        }
        y[r] = _mm512_reduce_add_ps(a0);
        y[r + 1] = _mm512_reduce_add_ps(a1);
        y[r + 2] = _mm512_reduce_add_ps(a2);
        y[r + 3] = _mm512_reduce_add_ps(a3);
    }
    for (; r < r1; r++) {
        __m512 a0 = _mm512_setzero_ps();
        for (size_t c = 0; c < k; c += 32)
            a0 = _mm512_dpbf16_ps(
                a0, (__m512bh)_mm512_maskz_loadu_epi16(mask32(k - c), W + r * k + c),
                (__m512bh)_mm512_load_si512(x + c));
        y[r] = _mm512_reduce_add_ps(a0);
    }
}

/* bf16 weights without AVX512-BF16: widen to f32 (a shift), FMA with the bf16-rounded x. */
static size_t prep_f32r_bytes(const struct mtok_wmat *w) { return MTOK_ROUND_UP(w->k, 64) * 4; }
static void prep_f32r(const struct mtok_wmat *w, const float *x, void *buf)
{
    float *o = buf;
    memset(buf, 0, prep_f32r_bytes(w));
    for (size_t i = 0; i < w->k; i += 16) { /* round to bf16 and back, as f32_to_bf16 does */
        __mmask16 m = mask16(w->k - i);
        uint16_t b[16];
        f32_to_bf16_avx512(x + i, b, MTOK_MIN((size_t)16, w->k - i));
        _mm512_mask_storeu_ps(o + i, m, bf16x16_to_f32_mask(b, m));
    }
}

static void gemv_bf16_avx512(const struct mtok_wmat *w, const void *xp, float *y, size_t r0,
                             size_t r1)
{
    const float *x = xp;
    const uint16_t *W = w->data;
    size_t k = w->k;
    for (size_t r = r0; r < r1; r++) {
        __m512 a0 = _mm512_setzero_ps(), a1 = a0;
        size_t c = 0;
        for (; c + 32 <= k; c += 32) {
            a0 = _mm512_fmadd_ps(bf16x16_to_f32(W + r * k + c), _mm512_load_ps(x + c), a0);
            a1 = _mm512_fmadd_ps(bf16x16_to_f32(W + r * k + c + 16), _mm512_load_ps(x + c + 16), a1);
        }
        for (; c < k; c += 16)
            a0 = _mm512_fmadd_ps(bf16x16_to_f32_mask(W + r * k + c, mask16(k - c)),
                                 _mm512_load_ps(x + c), a0);
        y[r] = _mm512_reduce_add_ps(_mm512_add_ps(a0, a1));
    }
}

/* fp8 e4m3 weights, VBMI + BF16: each code's bf16 high and low bytes come from two 128-entry
 * byte tables (vpermi2b, in place), the sign goes into the high byte, and two shifts + two
 * ternary-logic ops assemble the bf16 words of the even and of the odd elements (no vpunpck: port
 * 5 already runs the table lookups, and vdpbf16ps issues only every other cycle on some cores).
 * x is prepared as bf16 with each 64-chunk split into its 32 even and 32 odd elements. Block
 * scales (128 x 128) are applied once per 128 columns. */
static uint8_t g_fp8_hi[128] __attribute__((aligned(64)));
static uint8_t g_fp8_lo[128] __attribute__((aligned(64)));

static size_t prep_fp8_bytes(const struct mtok_wmat *w) { return MTOK_ROUND_UP(w->k, 64) * 2; }
static void prep_fp8_evenodd(const struct mtok_wmat *w, const float *x, void *buf)
{
    uint16_t *o = buf;
    size_t kp = MTOK_ROUND_UP(w->k, 64);
    memset(o, 0, kp * sizeof *o);
    f32_to_bf16_avx512(x, o, w->k);
    const __m512i ie = _mm512_setr_epi32(0x00020000, 0x00060004, 0x000A0008, 0x000E000C,
                                         0x00120010, 0x00160014, 0x001A0018, 0x001E001C,
                                         0x00220020, 0x00260024, 0x002A0028, 0x002E002C,
                                         0x00320030, 0x00360034, 0x003A0038, 0x003E003C);
    const __m512i io = _mm512_add_epi16(ie, _mm512_set1_epi16(1));
    for (size_t c = 0; c < kp; c += 64) {
        __m512i v0 = _mm512_load_si512(o + c), v1 = _mm512_load_si512(o + c + 32);
        _mm512_store_si512(o + c, _mm512_permutex2var_epi16(v0, ie, v1));
        _mm512_store_si512(o + c + 32, _mm512_permutex2var_epi16(v0, io, v1));
    }
}

TGT_VBMI_BF16 static void gemv_fp8_avx512vbmi(const struct mtok_wmat *w, const void *xp, float *y,
                                              size_t r0, size_t r1)
{
    const uint16_t *x = xp;
    const uint8_t *W = w->data;
    const float *S = w->scales;
    size_t k = w->k, kb = MTOK_CEIL_DIV(k, 128);
    const __m512i th0 = _mm512_load_si512(g_fp8_hi), th1 = _mm512_load_si512(g_fp8_hi + 64);
    const __m512i tl0 = _mm512_load_si512(g_fp8_lo), tl1 = _mm512_load_si512(g_fp8_lo + 64);
    const __m512i m7f = _mm512_set1_epi8(0x7F), m80 = _mm512_set1_epi8((char)0x80);
    const __m512i mlo = _mm512_set1_epi16(0x00FF), mhi = _mm512_set1_epi16((short)0xFF00);
    /* Prefetch distance: within the row for long rows; for short ones the same column of the next
     * group of 4 rows (2 KiB ahead would land inside this group). */
    const size_t pfo = k >= 4 * MTOK_PF_AHEAD ? MTOK_PF_AHEAD : 4 * k;
#define FP8_DOT(acc, V, xe, xo)                                                                    \
    do {                                                                                           \
        __m512i v_ = (V);                                                                          \
        __m512i i_ = _mm512_and_si512(v_, m7f);                                                    \
        __m512i h_ = _mm512_permutex2var_epi8(th0, i_, th1);                                       \
        __m512i l_ = _mm512_permutex2var_epi8(tl0, i_, tl1);                                       \
        h_ = _mm512_ternarylogic_epi32(h_, v_, m80, 0xF8);                   /* h | (v & 80) */    \
        __m512i e_ = _mm512_ternarylogic_epi32(_mm512_slli_epi16(h_, 8), l_, mlo, 0xF8);           \
        __m512i o_ = _mm512_ternarylogic_epi32(h_, mhi, _mm512_srli_epi16(l_, 8), 0xEA);           \
        acc##e = _mm512_dpbf16_ps(acc##e, (__m512bh)e_, xe);                                       \
        acc##o = _mm512_dpbf16_ps(acc##o, (__m512bh)o_, xo);                                       \
    } while (0)
    for (size_t r = r0; r < r1; r += 4) {
        size_t nr = MTOK_MIN((size_t)4, r1 - r);
        const float *srow = S + (r / 128) * kb;
        const uint8_t *w0 = W + r * k, *w1 = nr > 1 ? w0 + k : w0, *w2 = nr > 2 ? w0 + 2 * k : w0,
                      *w3 = nr > 3 ? w0 + 3 * k : w0;
        __m512 a0 = _mm512_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        for (size_t b = 0; b < kb; b++) {
            /* two accumulators per row: vdpbf16ps has a long latency */
            __m512 b0e = _mm512_setzero_ps(), b1e = b0e, b2e = b0e, b3e = b0e;
            __m512 b0o = b0e, b1o = b0e, b2o = b0e, b3o = b0e;
            size_t c = b * 128, ce = MTOK_MIN(k, c + 128);
            for (; c + 64 <= ce; c += 64) {
                _mm_prefetch((const char *)(w0 + c) + pfo, _MM_HINT_T0);
                _mm_prefetch((const char *)(w1 + c) + pfo, _MM_HINT_T0);
                _mm_prefetch((const char *)(w2 + c) + pfo, _MM_HINT_T0);
                _mm_prefetch((const char *)(w3 + c) + pfo, _MM_HINT_T0);
                __m512bh xe = (__m512bh)_mm512_load_si512(x + c);
                __m512bh xo = (__m512bh)_mm512_load_si512(x + c + 32);
                FP8_DOT(b0, _mm512_loadu_si512(w0 + c), xe, xo);
                FP8_DOT(b1, _mm512_loadu_si512(w1 + c), xe, xo);
                FP8_DOT(b2, _mm512_loadu_si512(w2 + c), xe, xo);
                FP8_DOT(b3, _mm512_loadu_si512(w3 + c), xe, xo);
            }
            if (c < ce) {
                __mmask64 m = mask64(ce - c);
                __m512bh xe = (__m512bh)_mm512_load_si512(x + c);
                __m512bh xo = (__m512bh)_mm512_load_si512(x + c + 32);
                FP8_DOT(b0, _mm512_maskz_loadu_epi8(m, w0 + c), xe, xo);
                FP8_DOT(b1, _mm512_maskz_loadu_epi8(m, w1 + c), xe, xo);
                FP8_DOT(b2, _mm512_maskz_loadu_epi8(m, w2 + c), xe, xo);
                FP8_DOT(b3, _mm512_maskz_loadu_epi8(m, w3 + c), xe, xo);
            }
            __m512 sv = _mm512_set1_ps(srow[b]);
            a0 = _mm512_fmadd_ps(_mm512_add_ps(b0e, b0o), sv, a0);
            a1 = _mm512_fmadd_ps(_mm512_add_ps(b1e, b1o), sv, a1);
            a2 = _mm512_fmadd_ps(_mm512_add_ps(b2e, b2o), sv, a2);
            a3 = _mm512_fmadd_ps(_mm512_add_ps(b3e, b3o), sv, a3);
        }
        float out[4] = {_mm512_reduce_add_ps(a0), _mm512_reduce_add_ps(a1),
                        _mm512_reduce_add_ps(a2), _mm512_reduce_add_ps(a3)};
        memcpy(y + r, out, nr * sizeof *out);
    }
#undef FP8_DOT
}

/* fp8 without VBMI/BF16: the f16 trick and vcvtph2ps, FMA with the bf16-rounded x. */
static void gemv_fp8_avx512(const struct mtok_wmat *w, const void *xp, float *y, size_t r0,
                            size_t r1)
{
    const float *x = xp, *S = w->scales;
    const uint8_t *W = w->data;
    size_t k = w->k, kb = MTOK_CEIL_DIV(k, 128);
    for (size_t r = r0; r < r1; r++) {
        const float *srow = S + (r / 128) * kb;
        const uint8_t *wr = W + r * k;
        __m512 acc = _mm512_setzero_ps();
        for (size_t b = 0; b < kb; b++) {
            __m512 a0 = _mm512_setzero_ps(), a1 = a0;
            size_t c = b * 128, ce = MTOK_MIN(k, c + 128);
            for (; c + 32 <= ce; c += 32) {
                a0 = _mm512_fmadd_ps(e4m3x16_to_f32_div256(_mm_loadu_si128((const void *)(wr + c))),
                                     _mm512_load_ps(x + c), a0);
                a1 = _mm512_fmadd_ps(
                    e4m3x16_to_f32_div256(_mm_loadu_si128((const void *)(wr + c + 16))),
                    _mm512_load_ps(x + c + 16), a1);
            }
            for (; c < ce; c += 16)
                a0 = _mm512_fmadd_ps(
                    e4m3x16_to_f32_div256(_mm_maskz_loadu_epi8(mask16(ce - c), wr + c)),
                    _mm512_load_ps(x + c), a0);
            acc = _mm512_fmadd_ps(_mm512_add_ps(a0, a1), _mm512_set1_ps(srow[b] * 256.0f), acc);
        }
        y[r] = _mm512_reduce_add_ps(acc);
    }
}

/* fp4 weights (MXFP4 / NVFP4), 16-row panels: a 64-byte load holds 16 rows x 8 columns; its low
 * and high nibbles become unsigned bytes 12 + 2 * e2m1 through one vpshufb each, and each feeds a
 * dot product with 4 broadcast int8 activations (vpdpbusd, or vpmaddubsw + vpmaddwd without VNNI).
 * Per block: remove the +12 offset with the precomputed 12 * sum(x), convert, scale. */
static const int8_t g_e2m1_u8[16] = {12, 13, 14, 15, 16, 18, 20, 24, 12, 11, 10, 9, 8, 6, 4, 0};

#define DOT_VNNI(acc, a, b) acc = _mm512_dpbusd_epi32(acc, a, b)
#define DOT_BW(acc, a, b)                                                                          \
    acc = _mm512_add_epi32(acc, _mm512_madd_epi16(_mm512_maddubs_epi16(a, b), _mm512_set1_epi16(1)))

/* MXFP4 scale codes (16 rows) -> f32 2^(c-127) (code 0 flushes to 0). */
static inline __m512 e8m0x16(const uint8_t *p)
{
    return _mm512_castsi512_ps(
        _mm512_slli_epi32(_mm512_cvtepu8_epi32(_mm_loadu_si128((const void *)p)), 23));
}

#define GEMV_FP4_BODY(DOT, BS, SCALE16, SCALE_MUL)                                                 \
    const uint8_t *D = w->data, *SC = w->scales;                                                   \
    size_t kb = w->k_pad / (BS), qpad = mtok_q8blk_qpad(w);                                        \
    const int8_t *q8 = xp;                                                                         \
    const float *xs = (const float *)(const void *)((const char *)xp + qpad);                                    \
    const int32_t *xc = (const int32_t *)(const void *)(xs + kb);                                                \
    const __m512i lut = _mm512_broadcast_i32x4(_mm_loadu_si128((const void *)g_e2m1_u8));       \
    const __m512i m0f = _mm512_set1_epi8(0x0F);                                                    \
    for (size_t p = r0 / 16; p * 16 < r1; p++) {                                                   \
        const uint8_t *d = D + p * kb * (BS)*8;                                                    \
        const uint8_t *sc = SC + p * kb * 16;                                                      \
        __m512 acc = _mm512_setzero_ps();                                                          \
        for (size_t b = 0; b < kb; b++) {                                                          \
            __m512i i0 = _mm512_setzero_si512(), i1 = i0;                                          \
            for (size_t g = 0; g < (BS) / 8; g++) {                                                \
                _mm_prefetch((const char *)(d + b * (BS)*8 + g * 64) + MTOK_PF_FP4, _MM_HINT_T0);   \
                _mm_prefetch((const char *)(d + b * (BS)*8 + g * 64) + 4 * MTOK_PF_FP4, _MM_HINT_T1); \
                __m512i v = _mm512_load_si512(d + b * (BS)*8 + g * 64);                            \
                __m512i lo = _mm512_and_si512(v, m0f);                                             \
                __m512i hi = _mm512_and_si512(_mm512_srli_epi16(v, 4), m0f);                       \
                int32_t x0, x1;                                                                    \
                memcpy(&x0, q8 + b * (BS) + g * 8, 4);                                             \
                memcpy(&x1, q8 + b * (BS) + g * 8 + 4, 4);                                         \
                DOT(i0, _mm512_shuffle_epi8(lut, lo), _mm512_set1_epi32(x0));                      \
                DOT(i1, _mm512_shuffle_epi8(lut, hi), _mm512_set1_epi32(x1));                      \
            }                                                                                      \
            __m512i id = _mm512_sub_epi32(_mm512_add_epi32(i0, i1), _mm512_set1_epi32(xc[b]));     \
            __m512 s = _mm512_mul_ps(SCALE16(sc + b * 16), _mm512_set1_ps(xs[b] * (SCALE_MUL)));   \
            acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(id), s, acc);                                 \
        }                                                                                          \
        size_t rows = MTOK_MIN((size_t)16, r1 - p * 16);                                           \
        _mm512_mask_storeu_ps(y + p * 16, mask16(rows), acc);                                      \
    }

static inline __m512 e4m3x16_scale(const uint8_t *p)
{
    return e4m3x16_to_f32_div256(_mm_loadu_si128((const void *)p));
}

TGT_VNNI static void gemv_mxfp4_avx512vnni(const struct mtok_wmat *w, const void *xp, float *y,
                                           size_t r0, size_t r1)
{
    GEMV_FP4_BODY(DOT_VNNI, 32, e8m0x16, 0.5f)
}
static void gemv_mxfp4_avx512(const struct mtok_wmat *w, const void *xp, float *y, size_t r0,
                              size_t r1)
{
    GEMV_FP4_BODY(DOT_BW, 32, e8m0x16, 0.5f)
}
TGT_VNNI static void gemv_nvfp4_avx512vnni(const struct mtok_wmat *w, const void *xp, float *y,
                                           size_t r0, size_t r1)
{
    GEMV_FP4_BODY(DOT_VNNI, 16, e4m3x16_scale, 0.5f * 256.0f * w->gscale)
}
static void gemv_nvfp4_avx512(const struct mtok_wmat *w, const void *xp, float *y, size_t r0,
                              size_t r1)
{
    GEMV_FP4_BODY(DOT_BW, 16, e4m3x16_scale, 0.5f * 256.0f * w->gscale)
}

/* int8 weights (per-row scale): x quantised per row; VNNI needs one unsigned operand, so x goes in
 * offset by 128 and the per-row code sums remove the offset. */
static size_t prep_q8row_bytes(const struct mtok_wmat *w) { return MTOK_ROUND_UP(w->k, 64) + 64; }
static void prep_q8row_u(const struct mtok_wmat *w, const float *x, void *buf)
{
    size_t kp = MTOK_ROUND_UP(w->k, 64);
    uint8_t *u = buf;
    float s = mtok_q8_quant(x, w->k, (int8_t *)u);
    for (size_t i = 0; i < w->k; i++)
        u[i] ^= 0x80;
    memset(u + w->k, 0x80, kp - w->k);
    memcpy(u + kp, &s, sizeof s);
}

TGT_VNNI static void gemv_int8_avx512vnni(const struct mtok_wmat *w, const void *xp, float *y,
                                          size_t r0, size_t r1)
{
    const uint8_t *x = xp;
    const int8_t *W = w->data;
    const float *ws = w->scales;
    size_t k = w->k;
    float xs;
    memcpy(&xs, x + MTOK_ROUND_UP(k, 64), sizeof xs);
    for (size_t r = r0; r < r1; r += 4) {
        size_t nr = MTOK_MIN((size_t)4, r1 - r);
        const int8_t *w0 = W + r * k, *w1 = nr > 1 ? w0 + k : w0, *w2 = nr > 2 ? w0 + 2 * k : w0,
                     *w3 = nr > 3 ? w0 + 3 * k : w0;
        __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
        size_t c = 0;
        for (; c + 64 <= k; c += 64) {
            __m512i xv = _mm512_load_si512(x + c);
            a0 = _mm512_dpbusd_epi32(a0, xv, _mm512_loadu_si512(w0 + c));
            a1 = _mm512_dpbusd_epi32(a1, xv, _mm512_loadu_si512(w1 + c));
            a2 = _mm512_dpbusd_epi32(a2, xv, _mm512_loadu_si512(w2 + c));
            a3 = _mm512_dpbusd_epi32(a3, xv, _mm512_loadu_si512(w3 + c));
        }
        if (c < k) {
            __mmask64 m = mask64(k - c);
            __m512i xv = _mm512_load_si512(x + c);
            a0 = _mm512_dpbusd_epi32(a0, xv, _mm512_maskz_loadu_epi8(m, w0 + c));
            a1 = _mm512_dpbusd_epi32(a1, xv, _mm512_maskz_loadu_epi8(m, w1 + c));
            a2 = _mm512_dpbusd_epi32(a2, xv, _mm512_maskz_loadu_epi8(m, w2 + c));
            a3 = _mm512_dpbusd_epi32(a3, xv, _mm512_maskz_loadu_epi8(m, w3 + c));
        }
        int32_t d[4] = {_mm512_reduce_add_epi32(a0), _mm512_reduce_add_epi32(a1),
                        _mm512_reduce_add_epi32(a2), _mm512_reduce_add_epi32(a3)};
        for (size_t i = 0; i < nr; i++)
            y[r + i] = ws[r + i] * xs * (float)(d[i] - 128 * w->rowsum[r + i]);
    }
}

/* int8 without VNNI: widen both operands to int16 and vpmaddwd (exact). */
static size_t prep_q8row_s_bytes(const struct mtok_wmat *w) { return MTOK_ROUND_UP(w->k, 64) + 64; }
static void prep_q8row_s(const struct mtok_wmat *w, const float *x, void *buf)
{
    size_t kp = MTOK_ROUND_UP(w->k, 64);
    int8_t *q = buf;
    float s = mtok_q8_quant(x, w->k, q);
    memset(q + w->k, 0, kp - w->k);
    memcpy(q + kp, &s, sizeof s);
}

static void gemv_int8_avx512(const struct mtok_wmat *w, const void *xp, float *y, size_t r0,
                             size_t r1)
{
    const int8_t *x = xp, *W = w->data;
    const float *ws = w->scales;
    size_t k = w->k;
    float xs;
    memcpy(&xs, x + MTOK_ROUND_UP(k, 64), sizeof xs);
    for (size_t r = r0; r < r1; r++) {
        __m512i a = _mm512_setzero_si512();
        for (size_t c = 0; c < k; c += 32) {
            __m512i wv = _mm512_cvtepi8_epi16(_mm256_maskz_loadu_epi8(mask32(k - c), W + r * k + c));
            __m512i xv = _mm512_cvtepi8_epi16(_mm256_loadu_si256((const void *)(x + c)));
            a = _mm512_add_epi32(a, _mm512_madd_epi16(wv, xv));
        }
        y[r] = ws[r] * xs * (float)_mm512_reduce_add_epi32(a);
    }
}

/* ================================================================================================
 * GEMM panel packing: 16 x 16 transposes of 32-bit elements (f32, or bf16 k-pairs). */

static inline void transpose16(__m512 r[16])
{
    __m512 t[16];
    for (int i = 0; i < 8; i++) {
        t[2 * i] = _mm512_unpacklo_ps(r[2 * i], r[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(r[2 * i], r[2 * i + 1]);
    }
    for (int i = 0; i < 4; i++) {
        r[4 * i] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0x44);
        r[4 * i + 1] = _mm512_shuffle_ps(t[4 * i], t[4 * i + 2], 0xEE);
        r[4 * i + 2] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0x44);
        r[4 * i + 3] = _mm512_shuffle_ps(t[4 * i + 1], t[4 * i + 3], 0xEE);
    }
    /* r[4i + j], 128-bit chunk L: rows 4i..4i+3 of column 4L + j */
    for (int j = 0; j < 4; j++) {
        __m512 u = _mm512_shuffle_f32x4(r[j], r[4 + j], 0x88);
        __m512 v = _mm512_shuffle_f32x4(r[j], r[4 + j], 0xDD);
        __m512 u2 = _mm512_shuffle_f32x4(r[8 + j], r[12 + j], 0x88);
        __m512 v2 = _mm512_shuffle_f32x4(r[8 + j], r[12 + j], 0xDD);
        t[j] = _mm512_shuffle_f32x4(u, u2, 0x88);
        t[8 + j] = _mm512_shuffle_f32x4(u, u2, 0xDD);
        t[4 + j] = _mm512_shuffle_f32x4(v, v2, 0x88);
        t[12 + j] = _mm512_shuffle_f32x4(v, v2, 0xDD);
    }
    for (int i = 0; i < 16; i++)
        r[i] = t[i];
}

static void pack32_avx512(const void *src, size_t ld, size_t rows, size_t kc, size_t width,
                          void *dst)
{
    const float *s = src;
    float *d = dst;
    for (size_t g = 0; g < width; g += 16) {
        size_t gw = MTOK_MIN((size_t)16, width - g), gr = rows > g ? MTOK_MIN((size_t)16, rows - g) : 0;
        __mmask16 sm = mask16(gw);
        for (size_t p = 0; p < kc; p += 16) {
            size_t np = MTOK_MIN((size_t)16, kc - p);
            __mmask16 lm = mask16(np);
            __m512 r[16];
            for (size_t i = 0; i < 16; i++)
                r[i] = i < gr ? _mm512_maskz_loadu_ps(lm, s + (g + i) * ld + p) : _mm512_setzero_ps();
            transpose16(r);
            for (size_t j = 0; j < np; j++)
                _mm512_mask_storeu_ps(d + (p + j) * width + g, sm, r[j]);
        }
    }
}

/* ================================================================================================
 * GEMM micro-kernels: 32 outputs (two zmm along n) x 12 tokens (broadcasts), 24 accumulators. */

#define UKR_STORE(cij, row, col)                                                                   \
    do {                                                                                           \
        float *p_ = c + (size_t)(row)*ldc + (col);                                                 \
        __mmask16 m_ = mask16(mr_eff > (col) ? mr_eff - (col) : 0);                                \
        if ((row) < nr_eff && m_) {                                                                \
            __m512 v_ = cij;                                                                       \
            if (accumulate)                                                                        \
                v_ = _mm512_add_ps(v_, _mm512_maskz_loadu_ps(m_, p_));                             \
            _mm512_mask_storeu_ps(p_, m_, v_);                                                     \
        }                                                                                          \
    } while (0)

#define UKR_DECL(j) __m512 c##j##0 = _mm512_setzero_ps(), c##j##1 = _mm512_setzero_ps()
#define UKR_STORE_ROW(j)                                                                           \
    UKR_STORE(c##j##0, j, 0);                                                                      \
    UKR_STORE(c##j##1, j, 16)

static void ukr_f32_avx512_32x12(size_t kc, const float *wp, const float *xp, float *c,
                                 size_t ldc, bool accumulate, size_t mr_eff, size_t nr_eff)
{
    UKR_DECL(0); UKR_DECL(1); UKR_DECL(2); UKR_DECL(3); UKR_DECL(4); UKR_DECL(5);
    UKR_DECL(6); UKR_DECL(7); UKR_DECL(8); UKR_DECL(9); UKR_DECL(10); UKR_DECL(11);
#define STEP(j)                                                                                    \
    do {                                                                                           \
        __m512 b_ = _mm512_set1_ps(xp[j]);                                                         \
        c##j##0 = _mm512_fmadd_ps(a0, b_, c##j##0);                                                \
        c##j##1 = _mm512_fmadd_ps(a1, b_, c##j##1);                                                \
    } while (0)
#pragma GCC unroll 4
    for (size_t p = 0; p < kc; p++) {
        __m512 a0 = _mm512_load_ps(wp), a1 = _mm512_load_ps(wp + 16);
        _mm_prefetch((const char *)(wp + 32 * 8), _MM_HINT_T0);
        STEP(0); STEP(1); STEP(2); STEP(3); STEP(4); STEP(5);
        STEP(6); STEP(7); STEP(8); STEP(9); STEP(10); STEP(11);
        wp += 32;
        xp += 12;
    }
#undef STEP
    UKR_STORE_ROW(0); UKR_STORE_ROW(1); UKR_STORE_ROW(2); UKR_STORE_ROW(3);
    UKR_STORE_ROW(4); UKR_STORE_ROW(5); UKR_STORE_ROW(6); UKR_STORE_ROW(7);
    UKR_STORE_ROW(8); UKR_STORE_ROW(9); UKR_STORE_ROW(10); UKR_STORE_ROW(11);
}

/* 48 outputs (three zmm) x 8 tokens: 3 loads + 8 broadcasts per 24 FMAs. */
#define UKR3_DECL(j)                                                                               \
    __m512 c##j##0 = _mm512_setzero_ps(), c##j##1 = _mm512_setzero_ps(),                           \
           c##j##2 = _mm512_setzero_ps()
#define UKR3_STORE_ROW(j)                                                                          \
    UKR_STORE(c##j##0, j, 0);                                                                      \
    UKR_STORE(c##j##1, j, 16);                                                                     \
    UKR_STORE(c##j##2, j, 32)

static void ukr_f32_avx512_48x8(size_t kc, const float *wp, const float *xp, float *c, size_t ldc,
                                bool accumulate, size_t mr_eff, size_t nr_eff)
{
    UKR3_DECL(0); UKR3_DECL(1); UKR3_DECL(2); UKR3_DECL(3);
    UKR3_DECL(4); UKR3_DECL(5); UKR3_DECL(6); UKR3_DECL(7);
    if (accumulate) /* the C tile is read at the end: start fetching its 24 lines now */
        for (size_t j = 0; j < nr_eff; j++) {
            _mm_prefetch((const char *)(c + j * ldc), _MM_HINT_T0);
            _mm_prefetch((const char *)(c + j * ldc + 16), _MM_HINT_T0);
            _mm_prefetch((const char *)(c + j * ldc + 32), _MM_HINT_T0);
        }
#define STEP3(j)                                                                                   \
    do {                                                                                           \
        __m512 b_ = _mm512_set1_ps(xp[j]);                                                         \
        c##j##0 = _mm512_fmadd_ps(a0, b_, c##j##0);                                                \
        c##j##1 = _mm512_fmadd_ps(a1, b_, c##j##1);                                                \
        c##j##2 = _mm512_fmadd_ps(a2, b_, c##j##2);                                                \
    } while (0)
#pragma GCC unroll 4
    for (size_t p = 0; p < kc; p++) {
        __m512 a0 = _mm512_load_ps(wp), a1 = _mm512_load_ps(wp + 16), a2 = _mm512_load_ps(wp + 32);
        _mm_prefetch((const char *)(wp + 48 * 6), _MM_HINT_T0);
        STEP3(0); STEP3(1); STEP3(2); STEP3(3); STEP3(4); STEP3(5); STEP3(6); STEP3(7);
        wp += 48;
        xp += 8;
    }
#undef STEP3
    UKR3_STORE_ROW(0); UKR3_STORE_ROW(1); UKR3_STORE_ROW(2); UKR3_STORE_ROW(3);
    UKR3_STORE_ROW(4); UKR3_STORE_ROW(5); UKR3_STORE_ROW(6); UKR3_STORE_ROW(7);
}

TGT_BF16 static void ukr_bf16_avx512bf16_32x12(size_t kc2, const uint16_t *wp, const uint16_t *xp,
                                              float *c, size_t ldc, bool accumulate,
                                              size_t mr_eff, size_t nr_eff)
{
    UKR_DECL(0); UKR_DECL(1); UKR_DECL(2); UKR_DECL(3); UKR_DECL(4); UKR_DECL(5);
    UKR_DECL(6); UKR_DECL(7); UKR_DECL(8); UKR_DECL(9); UKR_DECL(10); UKR_DECL(11);
#define STEP(j)                                                                                    \
    do {                                                                                           \
        int32_t x_;                                                                                \
        memcpy(&x_, xp + 2 * (j), 4);                                                              \
        __m512bh b_ = (__m512bh)_mm512_set1_epi32(x_);                                             \
        c##j##0 = _mm512_dpbf16_ps(c##j##0, a0, b_);                                               \
        c##j##1 = _mm512_dpbf16_ps(c##j##1, a1, b_);                                               \
    } while (0)
    for (size_t p = 0; p < kc2; p++) {
        __m512bh a0 = (__m512bh)_mm512_load_si512(wp), a1 = (__m512bh)_mm512_load_si512(wp + 32);
        _mm_prefetch((const char *)(wp + 64 * 8), _MM_HINT_T0);
        STEP(0); STEP(1); STEP(2); STEP(3); STEP(4); STEP(5);
        STEP(6); STEP(7); STEP(8); STEP(9); STEP(10); STEP(11);
        wp += 64;
        xp += 24;
    }
#undef STEP
    UKR_STORE_ROW(0); UKR_STORE_ROW(1); UKR_STORE_ROW(2); UKR_STORE_ROW(3);
    UKR_STORE_ROW(4); UKR_STORE_ROW(5); UKR_STORE_ROW(6); UKR_STORE_ROW(7);
    UKR_STORE_ROW(8); UKR_STORE_ROW(9); UKR_STORE_ROW(10); UKR_STORE_ROW(11);
}

/* ================================================================================================
 * Element-wise */

static void rmsnorm_avx512(float *y, const float *x, const float *w, size_t n, float eps)
{
    __m512 s0 = _mm512_setzero_ps(), s1 = s0;
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m512 a = _mm512_loadu_ps(x + i), b = _mm512_loadu_ps(x + i + 16);
        s0 = _mm512_fmadd_ps(a, a, s0);
        s1 = _mm512_fmadd_ps(b, b, s1);
    }
    for (; i < n; i += 16) {
        __m512 a = _mm512_maskz_loadu_ps(mask16(n - i), x + i);
        s0 = _mm512_fmadd_ps(a, a, s0);
    }
    double ss = _mm512_reduce_add_ps(_mm512_add_ps(s0, s1));
    __m512 r = _mm512_set1_ps((float)(1.0 / sqrt(ss / (double)n + eps)));
    for (i = 0; i < n; i += 16) {
        __mmask16 m = mask16(n - i);
        __m512 v = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, x + i), r);
        if (w)
            v = _mm512_mul_ps(v, _mm512_maskz_loadu_ps(m, w + i));
        _mm512_mask_storeu_ps(y + i, m, v);
    }
}

static void swiglu_avx512(float *out, const float *gate, const float *up, size_t n, float limit)
{
    const __m512 one = _mm512_set1_ps(1.0f), lim = _mm512_set1_ps(limit),
                 nlim = _mm512_set1_ps(-limit);
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 m = mask16(n - i);
        __m512 g = _mm512_maskz_loadu_ps(m, gate + i), u = _mm512_maskz_loadu_ps(m, up + i);
        if (limit > 0) {
            g = _mm512_min_ps(g, lim);
            u = _mm512_min_ps(_mm512_max_ps(u, nlim), lim);
        }
        __m512 sg = _mm512_div_ps(g, _mm512_add_ps(one, exp512(_mm512_sub_ps(_mm512_setzero_ps(), g))));
        _mm512_mask_storeu_ps(out + i, m, _mm512_mul_ps(sg, u));
    }
}

static void softmax_avx512(float *x, size_t n)
{
    if (n == 0)
        return;
    __m512 mx = _mm512_set1_ps(-INFINITY);
    for (size_t i = 0; i < n; i += 16)
        mx = _mm512_max_ps(mx, _mm512_mask_loadu_ps(_mm512_set1_ps(-INFINITY), mask16(n - i), x + i));
    __m512 m = _mm512_set1_ps(_mm512_reduce_max_ps(mx)), s = _mm512_setzero_ps();
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 k = mask16(n - i);
        __m512 e = _mm512_maskz_mov_ps(k, exp512(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, x + i), m)));
        s = _mm512_add_ps(s, e);
        _mm512_mask_storeu_ps(x + i, k, e);
    }
    __m512 inv = _mm512_set1_ps((float)(1.0 / (double)_mm512_reduce_add_ps(s)));
    for (size_t i = 0; i < n; i += 16) {
        __mmask16 k = mask16(n - i);
        _mm512_mask_storeu_ps(x + i, k, _mm512_mul_ps(_mm512_maskz_loadu_ps(k, x + i), inv));
    }
}

/* ================================================================================================
 * Attention */

/* GQA: blocks of 32 positions. A bf16 cache with head dims a multiple of 16 is read in place
 * (widened in registers, with one software prefetch into L2 per line read, two heads ahead:
 * without it the strided [t][h][d] rows ran at half speed); otherwise K and V of the block are widened to f32 once (rows
 * padded to 16 floats). Scores come from register blocks of 2 query rows x 8 positions (10 loads
 * feed 16 FMAs) reduced by one hsum16; the online softmax rescales once per block; PV keeps 8
 * output vectors of a row in registers. */
#define GQA_BT 32 /* positions per block (16 doubled the per-position softmax overhead) */

/* Scores of rows a and b (q rows of dq floats) against 8 K rows (stride dq): lanes 0-7 row a,
 * lanes 8-15 row b. */
static inline __m512 qk_2x8(const float *qa, const float *qb, const float *K, size_t dq)
{
    __m512 acc[16];
    for (int j = 0; j < 16; j++)
        acc[j] = _mm512_setzero_ps();
    for (size_t d = 0; d < dq; d += 16) {
        __m512 va = _mm512_load_ps(qa + d), vb = _mm512_load_ps(qb + d);
        for (int j = 0; j < 8; j++) {
            __m512 kv = _mm512_load_ps(K + j * dq + d);
            acc[j] = _mm512_fmadd_ps(va, kv, acc[j]);
            acc[8 + j] = _mm512_fmadd_ps(vb, kv, acc[8 + j]);
        }
    }
    return hsum16(acc);
}

/* As qk_2x8 with the 8 K rows read from a bf16 cache in place (row j at K + j * stride). pf != 0:
 * prefetch the rows pf bytes away (what the worker reads next), one line per line read. */
static inline __m512 qk_2x8_bf16(const float *qa, const float *qb, const uint16_t *K,
                                 size_t stride, size_t dq, ptrdiff_t pf)
{
    __m512 acc[16];
    for (int j = 0; j < 16; j++)
        acc[j] = _mm512_setzero_ps();
    for (size_t d = 0; d < dq; d += 16) {
        __m512 va = _mm512_load_ps(qa + d), vb = _mm512_load_ps(qb + d);
        if (pf && d % 32 == 0)
            for (int j = 0; j < 8; j++)
                _mm_prefetch((const char *)(K + (size_t)j * stride + d) + pf, _MM_HINT_T1);
        for (int j = 0; j < 8; j++) {
            __m512 kv = bf16x16_to_f32(K + (size_t)j * stride + d);
            acc[j] = _mm512_fmadd_ps(va, kv, acc[j]);
            acc[8 + j] = _mm512_fmadd_ps(vb, kv, acc[8 + j]);
        }
    }
    return hsum16(acc);
}

/* Scores of 4 query rows against 4 K rows read from a bf16 cache in place: each K chunk is
 * widened once for the 4 rows. Lane 4r + j: row r, position j. pf as in qk_2x8_bf16. */
static inline __m512 qk_4x4_bf16(const float *const *q, const uint16_t *K, size_t stride,
                                 size_t dq, ptrdiff_t pf)
{
    __m512 acc[16];
    for (int j = 0; j < 16; j++)
        acc[j] = _mm512_setzero_ps();
    for (size_t d = 0; d < dq; d += 16) {
        __m512 q0 = _mm512_load_ps(q[0] + d), q1 = _mm512_load_ps(q[1] + d);
        __m512 q2 = _mm512_load_ps(q[2] + d), q3 = _mm512_load_ps(q[3] + d);
        if (pf && d % 32 == 0)
            for (int j = 0; j < 4; j++)
                _mm_prefetch((const char *)(K + (size_t)j * stride + d) + pf, _MM_HINT_T1);
        for (int j = 0; j < 4; j++) {
            __m512 kv = bf16x16_to_f32(K + (size_t)j * stride + d);
            acc[j] = _mm512_fmadd_ps(q0, kv, acc[j]);
            acc[4 + j] = _mm512_fmadd_ps(q1, kv, acc[4 + j]);
            acc[8 + j] = _mm512_fmadd_ps(q2, kv, acc[8 + j]);
            acc[12 + j] = _mm512_fmadd_ps(q3, kv, acc[12 + j]);
        }
    }
    return hsum16(acc);
}

/* bf16 cache, head dims a multiple of 32, G >= 3: every 64-byte K or V load holds 32 values whose
 * even elements become f32 by one shift and odd ones by one AND (two operations per 32 values
 * instead of a widening move and a shift per 16). Q and O are kept with each 32-chunk split into
 * its 16 even then 16 odd elements, so no lane shuffles are needed. Query rows go 4 at a time
 * (a KV head's rows padded to a multiple of 4 with zero rows); scores stay in qk_4x4 order (lane
 * 4r + j: row r, position j), so the online softmax runs on whole vectors for the 4 rows, with the
 * row maxima and sums reduced inside each group of 4 lanes. A partial last block is copied into a
 * zero-padded buffer so that every block is read the same way. */
static inline __m512 qk_4x4_bf16eo(const float *q, size_t dq, const uint16_t *K, size_t stride,
                                   ptrdiff_t pf)
{
    const __m512i hi16 = _mm512_set1_epi32((int)0xFFFF0000u);
    __m512 acc[16];
    for (int j = 0; j < 16; j++)
        acc[j] = _mm512_setzero_ps();
    for (size_t d = 0; d < dq; d += 32) {
        for (int j = 0; j < 4; j++) {
            const uint16_t *kr = K + (size_t)j * stride + d;
            if (pf)
                _mm_prefetch((const char *)kr + pf, _MM_HINT_T1);
            __m512i kv = _mm512_loadu_si512(kr);
            __m512 ke = _mm512_castsi512_ps(_mm512_slli_epi32(kv, 16));
            __m512 ko = _mm512_castsi512_ps(_mm512_and_si512(kv, hi16));
            for (int r = 0; r < 4; r++) {
                acc[4 * r + j] = _mm512_fmadd_ps(_mm512_load_ps(q + r * dq + d), ke, acc[4 * r + j]);
                acc[4 * r + j] = _mm512_fmadd_ps(_mm512_load_ps(q + r * dq + d + 16), ko, acc[4 * r + j]);
            }
        }
    }
    return hsum16(acc);
}

/* Lanes of each group of 4 get the group's max / sum. */
static inline __m512 max4(__m512 v)
{
    v = _mm512_max_ps(v, _mm512_permute_ps(v, 0xB1));
    return _mm512_max_ps(v, _mm512_permute_ps(v, 0x4E));
}
static inline __m512 sum4(__m512 v)
{
    v = _mm512_add_ps(v, _mm512_permute_ps(v, 0xB1));
    return _mm512_add_ps(v, _mm512_permute_ps(v, 0x4E));
}

/* f32 row of n (a multiple of 32) to or from the even/odd split layout */
static void eo_split(const float *x, float *o, size_t n)
{
    const __m512i ie = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i io = _mm512_add_epi32(ie, _mm512_set1_epi32(1));
    for (size_t d = 0; d < n; d += 32) {
        __m512 a = _mm512_loadu_ps(x + d), b = _mm512_loadu_ps(x + d + 16);
        _mm512_store_ps(o + d, _mm512_permutex2var_ps(a, ie, b));
        _mm512_store_ps(o + d + 16, _mm512_permutex2var_ps(a, io, b));
    }
}
static void eo_merge(const float *x, float *o, size_t n)
{
    const __m512i lo = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const __m512i hi = _mm512_add_epi32(lo, _mm512_set1_epi32(8));
    for (size_t d = 0; d < n; d += 32) {
        __m512 e = _mm512_load_ps(x + d), od = _mm512_load_ps(x + d + 16);
        _mm512_storeu_ps(o + d, _mm512_permutex2var_ps(e, lo, od));
        _mm512_storeu_ps(o + d + 16, _mm512_permutex2var_ps(e, hi, od));
    }
}

static void gqa_bf16eo_avx512(const struct mtok_gqa_work *wk, size_t t0, size_t t1)
{
    size_t G = wk->G, Gp = MTOK_ROUND_UP(G, 4), ng = Gp / 4, nkv = wk->nkv, Rp = nkv * Gp;
    size_t dq = wk->dqk, dv = wk->dv;
    float *buf = mtok_kalloc((Rp * (dq + dv) + 2 * Rp * 4 + GQA_BT * 4) * sizeof(float));
    float *Q = buf, *O = Q + Rp * dq, *M = O + Rp * dv, *L = M + Rp * 4, *P = L + Rp * 4;
    uint16_t *Kt = NULL, *Vt = NULL;
    if ((t1 - t0) % GQA_BT) {
        Kt = mtok_kcalloc(GQA_BT * nkv * (dq + dv) * sizeof(uint16_t));
        Vt = Kt + GQA_BT * nkv * dq;
    }
    int32_t lo4[16], hi4[16]; /* per padded row of a group, replicated over 4 lanes */
    memset(Q, 0, Rp * (dq + dv) * sizeof(float));
    for (size_t h = 0; h < nkv; h++)
        for (size_t g = 0; g < G; g++) {
            size_t r = h * G + g, rp = h * Gp + g;
            eo_split(wk->q + r * wk->q_rs, Q + rp * dq, dq);
            eo_split(wk->o + r * dv, O + rp * dv, dv);
        }
    for (size_t rp = 0; rp < Rp; rp++) {
        size_t h = rp / Gp, g = rp % Gp;
        bool in = g < G;
        for (int i = 0; i < 4; i++) { /* M, L: lane 4 (rp % 4) + i of vector rp / 4 */
            M[(rp / 4) * 16 + (rp % 4) * 4 + (size_t)i] = in ? wk->m[h * G + g] : -INFINITY;
            L[(rp / 4) * 16 + (rp % 4) * 4 + (size_t)i] = in ? wk->l[h * G + g] : 0.0f;
        }
    }
    const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3, 0, 1, 2, 3);
    const __m512 scale = _mm512_set1_ps(wk->scale), ninf = _mm512_set1_ps(-INFINITY);
    const __m512i hi16 = _mm512_set1_epi32((int)0xFFFF0000u);
    for (size_t tb = t0; tb < t1; tb += GQA_BT) {
        size_t nt = MTOK_MIN((size_t)GQA_BT, t1 - tb);
        const uint16_t *kbase = (const uint16_t *)wk->k + tb * wk->k_ps;
        const uint16_t *vbase = (const uint16_t *)wk->v + tb * wk->v_ps;
        size_t kps = wk->k_ps, vps = wk->v_ps, khs = wk->k_hs, vhs = wk->v_hs;
        if (nt < GQA_BT) {
            for (size_t j = 0; j < nt; j++)
                for (size_t h = 0; h < nkv; h++) {
                    memcpy(Kt + (j * nkv + h) * dq, kbase + j * kps + h * khs, dq * 2);
                    memcpy(Vt + (j * nkv + h) * dv, vbase + j * vps + h * vhs, dv * 2);
                }
            kbase = Kt, vbase = Vt, kps = nkv * dq, vps = nkv * dv, khs = dq, vhs = dv;
        }
        for (size_t h = 0; h < nkv; h++) {
            const uint16_t *kb = kbase + h * khs, *vb = vbase + h * vhs;
            ptrdiff_t pfk = 0, pfv = 0;
            size_t hn = h + 2, tn = tb + (hn / nkv) * GQA_BT; /* as in gqa_avx512 */
            hn %= nkv;
            if (tn + GQA_BT <= t1) {
                pfk = 2 * ((ptrdiff_t)(tn * wk->k_ps + hn * wk->k_hs) - (ptrdiff_t)(tb * wk->k_ps + h * wk->k_hs));
                pfv = 2 * ((ptrdiff_t)(tn * wk->v_ps + hn * wk->v_hs) - (ptrdiff_t)(tb * wk->v_ps + h * wk->v_hs));
            }
            for (size_t gi = 0; gi < ng; gi++) {
                size_t rp0 = h * Gp + 4 * gi;
                const float *q = Q + rp0 * dq;
                __m512 sv[GQA_BT / 4];
                ptrdiff_t pf = gi == 0 ? pfk : 0;
                for (size_t i = 0; i < GQA_BT / 4; i++)
                    sv[i] = qk_4x4_bf16eo(q, dq, kb + 4 * i * kps, kps, pf);
                /* visibility of lane 4r + j at position tb + 4i + j for row r */
                for (size_t i = 0; i < 4; i++) {
                    size_t g = 4 * gi + i, r = h * G + g;
                    int32_t l = g < G ? (int32_t)MTOK_MAX(wk->lo[r], (int64_t)tb) : 1;
                    int32_t u = g < G ? (int32_t)MTOK_MIN(wk->hi[r], (int64_t)(tb + nt) - 1) : 0;
                    for (int j = 0; j < 4; j++)
                        lo4[4 * i + (size_t)j] = l, hi4[4 * i + (size_t)j] = u;
                }
                __m512i lov = _mm512_loadu_si512(lo4), hiv = _mm512_loadu_si512(hi4);
                __m512i pos = _mm512_add_epi32(_mm512_set1_epi32((int32_t)tb), lane);
                __mmask16 vis[GQA_BT / 4];
                __m512 mx = ninf;
                for (size_t i = 0; i < GQA_BT / 4; i++) {
                    __m512i pi = _mm512_add_epi32(pos, _mm512_set1_epi32((int32_t)(4 * i)));
                    vis[i] = _mm512_cmpge_epi32_mask(pi, lov) & _mm512_cmple_epi32_mask(pi, hiv);
                    sv[i] = _mm512_mask_mul_ps(ninf, vis[i], sv[i], scale);
                    mx = _mm512_max_ps(mx, sv[i]);
                }
                __m512 mold = _mm512_load_ps(M + rp0 * 4);
                __m512 mnew = _mm512_max_ps(max4(mx), mold);
                __m512 sum = _mm512_setzero_ps();
                for (size_t i = 0; i < GQA_BT / 4; i++) {
                    __m512 p = _mm512_maskz_mov_ps(vis[i], exp512(_mm512_sub_ps(sv[i], mnew)));
                    sum = _mm512_add_ps(sum, p);
                    _mm512_store_ps(P + 16 * i, p);
                }
                __mmask16 live = _mm512_cmp_ps_mask(mold, ninf, _CMP_NEQ_OQ);
                __m512 corr = _mm512_maskz_mov_ps(live, exp512(_mm512_sub_ps(mold, mnew)));
                _mm512_store_ps(L + rp0 * 4, _mm512_fmadd_ps(_mm512_load_ps(L + rp0 * 4), corr, sum4(sum)));
                _mm512_store_ps(M + rp0 * 4, mnew);
                float cf[16];
                _mm512_storeu_ps(cf, corr);
                /* PV: 4 rows x 64 dims per pass (4 accumulators per row) */
                float *o = O + rp0 * dv;
                ptrdiff_t pv = gi == 0 ? pfv : 0;
                for (size_t d0 = 0; d0 < dv; d0 += 64) {
                    size_t nc = MTOK_MIN((size_t)2, (dv - d0) / 32);
                    __m512 a[4][4];
                    for (size_t r = 0; r < 4; r++)
                        for (size_t c = 0; c < 2 * nc; c++)
                            a[r][c] = _mm512_mul_ps(_mm512_load_ps(o + r * dv + d0 + 16 * c),
                                                    _mm512_set1_ps(cf[4 * r]));
                    for (size_t j = 0; j < GQA_BT; j++) {
                        const uint16_t *vr = vb + j * vps + d0;
                        const float *pj = P + (j / 4) * 16 + j % 4;
                        __m512 p0 = _mm512_set1_ps(pj[0]), p1 = _mm512_set1_ps(pj[4]);
                        __m512 p2 = _mm512_set1_ps(pj[8]), p3 = _mm512_set1_ps(pj[12]);
                        for (size_t c = 0; c < nc; c++) {
                            if (pv)
                                _mm_prefetch((const char *)(vr + 32 * c) + pv, _MM_HINT_T1);
                            __m512i vv = _mm512_loadu_si512(vr + 32 * c);
                            __m512 ve = _mm512_castsi512_ps(_mm512_slli_epi32(vv, 16));
                            __m512 vo = _mm512_castsi512_ps(_mm512_and_si512(vv, hi16));
                            a[0][2 * c] = _mm512_fmadd_ps(p0, ve, a[0][2 * c]);
                            a[1][2 * c] = _mm512_fmadd_ps(p1, ve, a[1][2 * c]);
                            a[2][2 * c] = _mm512_fmadd_ps(p2, ve, a[2][2 * c]);
                            a[3][2 * c] = _mm512_fmadd_ps(p3, ve, a[3][2 * c]);
                            a[0][2 * c + 1] = _mm512_fmadd_ps(p0, vo, a[0][2 * c + 1]);
                            a[1][2 * c + 1] = _mm512_fmadd_ps(p1, vo, a[1][2 * c + 1]);
                            a[2][2 * c + 1] = _mm512_fmadd_ps(p2, vo, a[2][2 * c + 1]);
                            a[3][2 * c + 1] = _mm512_fmadd_ps(p3, vo, a[3][2 * c + 1]);
                        }
                    }
                    for (size_t r = 0; r < 4; r++)
                        for (size_t c = 0; c < 2 * nc; c++)
                            _mm512_store_ps(o + r * dv + d0 + 16 * c, a[r][c]);
                }
            }
        }
    }
    for (size_t h = 0; h < nkv; h++)
        for (size_t g = 0; g < G; g++) {
            size_t r = h * G + g, rp = h * Gp + g;
            eo_merge(O + rp * dv, wk->o + r * dv, dv);
            wk->m[r] = M[rp * 4];
            wk->l[r] = L[rp * 4];
        }
    mtok_kfree(Kt);
    mtok_kfree(buf);
}

static void gqa_avx512(const struct mtok_gqa_work *wk, size_t t0, size_t t1)
{
    if (wk->kv_dtype == MTOK_BF16 && wk->dqk % 32 == 0 && wk->dv % 32 == 0 && wk->G >= 3) {
        gqa_bf16eo_avx512(wk, t0, t1);
        return;
    }
    size_t G = wk->G, R = wk->nkv * G, dq = MTOK_ROUND_UP(wk->dqk, 16), dv = MTOK_ROUND_UP(wk->dv, 16);
    size_t esz = wk->kv_dtype == MTOK_F32 ? 4 : 2;
    float *buf = mtok_kalloc((R * dq + dq + GQA_BT * (dq + dv) + R * GQA_BT + R * dv + GQA_BT + dv) *
                             sizeof(float));
    float *Q = buf, *Z = Q + R * dq, *Kf = Z + dq, *Vf = Kf + GQA_BT * dq, *S = Vf + GQA_BT * dv,
          *O = S + R * GQA_BT, *Pz = O + R * dv, *Od = Pz + GQA_BT; /* zero P row, dummy O row */
    memset(Z, 0, dq * sizeof(float));
    memset(Pz, 0, GQA_BT * sizeof(float));
    for (size_t r = 0; r < R; r++) {
        memset(Q + r * dq, 0, dq * sizeof(float));
        memcpy(Q + r * dq, wk->q + r * wk->q_rs, wk->dqk * sizeof(float));
        memset(O + r * dv, 0, dv * sizeof(float));
        memcpy(O + r * dv, wk->o + r * wk->dv, wk->dv * sizeof(float));
    }
    const __mmask16 mkq = mask16(wk->dqk % 16 ? wk->dqk % 16 : 16);
    const __mmask16 mkv = mask16(wk->dv % 16 ? wk->dv % 16 : 16);
    const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    for (size_t tb = t0; tb < t1; tb += GQA_BT) {
        size_t nt = MTOK_MIN((size_t)GQA_BT, t1 - tb);
        /* bf16 cache with dims a multiple of 16: read it in place, widening in registers */
        const bool direct = esz == 2 && dq == wk->dqk && dv == wk->dv && nt == GQA_BT;
        for (size_t h = 0; h < wk->nkv; h++) {
            const uint16_t *kb = (const uint16_t *)wk->k + tb * wk->k_ps + h * wk->k_hs;
            const uint16_t *vb = (const uint16_t *)wk->v + tb * wk->v_ps + h * wk->v_hs;
            /* prefetch what comes two heads later (wrapping into the next block), into L2: an L1
             * prefetch holds a fill buffer for the whole DRAM latency (T1 measured 1.05x; 1, 4, 8
             * or 16 heads ahead were no better) */
            ptrdiff_t pfk = 0, pfv = 0;
            size_t hn = h + 2, tn = tb + (hn / wk->nkv) * GQA_BT; /* two heads ahead (measured) */
            hn %= wk->nkv;
            if (tn + GQA_BT <= t1) {
                pfk = 2 * ((ptrdiff_t)(tn * wk->k_ps + hn * wk->k_hs) - (ptrdiff_t)(tb * wk->k_ps + h * wk->k_hs));
                pfv = 2 * ((ptrdiff_t)(tn * wk->v_ps + hn * wk->v_hs) - (ptrdiff_t)(tb * wk->v_ps + h * wk->v_hs));
            }
            for (size_t j = 0; j < GQA_BT && !direct; j++) {
                float *kr = Kf + j * dq, *vr = Vf + j * dv;
                if (j >= nt) {
                    memset(kr, 0, dq * sizeof(float));
                    memset(vr, 0, dv * sizeof(float));
                    continue;
                }
                const char *ks = (const char *)wk->k + ((tb + j) * wk->k_ps + h * wk->k_hs) * esz;
                const char *vs = (const char *)wk->v + ((tb + j) * wk->v_ps + h * wk->v_hs) * esz;
                for (size_t d = 0; d < dq; d += 16) {
                    __mmask16 m = d + 16 < dq ? (__mmask16)0xFFFF : mkq;
                    _mm512_store_ps(kr + d, esz == 4 ? _mm512_maskz_loadu_ps(m, (const float *)(const void *)ks + d)
                                                     : bf16x16_to_f32_mask((const uint16_t *)(const void *)ks + d, m));
                }
                for (size_t d = 0; d < dv; d += 16) {
                    __mmask16 m = d + 16 < dv ? (__mmask16)0xFFFF : mkv;
                    _mm512_store_ps(vr + d, esz == 4 ? _mm512_maskz_loadu_ps(m, (const float *)(const void *)vs + d)
                                                     : bf16x16_to_f32_mask((const uint16_t *)(const void *)vs + d, m));
                }
            }
            size_t r0 = h * G;
            /* G >= 3 on a bf16 cache in place: 4-row blocks (missing rows are zero rows) */
            const bool four = direct && G >= 3;
            for (size_t g = 0; four && g < G; g += 4) {
                const float *qs[4];
                for (size_t i = 0; i < 4; i++)
                    qs[i] = g + i < G ? Q + (r0 + g + i) * dq : Z;
                ptrdiff_t pf = g == 0 ? pfk : 0;
                for (size_t j4 = 0; j4 < GQA_BT; j4 += 4) {
                    float tmp[16];
                    _mm512_storeu_ps(tmp, qk_4x4_bf16(qs, kb + j4 * wk->k_ps, wk->k_ps, dq, pf));
                    for (size_t i = 0; i < 4 && g + i < G; i++)
                        memcpy(S + (r0 + g + i) * GQA_BT + j4, tmp + 4 * i, 4 * sizeof(float));
                }
            }
            /* otherwise two rows at a time (an odd last row pairs with a zero row) */
            for (size_t g = 0; !four && g < G; g += 2) {
                size_t ra = r0 + g, rb = g + 1 < G ? ra + 1 : (size_t)-1;
                const float *qa = Q + ra * dq, *qb = rb != (size_t)-1 ? Q + rb * dq : Z;
                for (size_t j8 = 0; j8 < GQA_BT; j8 += 8) {
                    if (j8 >= nt) { /* no positions left in this part of the block */
                        memset(S + ra * GQA_BT + j8, 0, 8 * sizeof(float));
                        if (rb != (size_t)-1)
                            memset(S + rb * GQA_BT + j8, 0, 8 * sizeof(float));
                        continue;
                    }
                    float tmp[16];
                    ptrdiff_t pf = g == 0 ? pfk : 0;
                    _mm512_storeu_ps(tmp, direct ? qk_2x8_bf16(qa, qb, kb + j8 * wk->k_ps, wk->k_ps, dq, pf)
                                                 : qk_2x8(qa, qb, Kf + j8 * dq, dq));
                    memcpy(S + ra * GQA_BT + j8, tmp, 8 * sizeof(float));
                    if (rb != (size_t)-1)
                        memcpy(S + rb * GQA_BT + j8, tmp + 8, 8 * sizeof(float));
                }
            }
            float corr[64];
            for (size_t g = 0; g < G; g++) {
                size_t r = r0 + g;
                float *pr = S + r * GQA_BT;
                corr[g % 64] = 1.0f;
                int64_t lo = MTOK_MAX(wk->lo[r], (int64_t)tb), hi = MTOK_MIN(wk->hi[r], (int64_t)(tb + nt) - 1);
                if (hi < lo) {
                    memset(pr, 0, GQA_BT * sizeof(float));
                    continue;
                }
                __m512 sv[GQA_BT / 16];
                __mmask16 vis[GQA_BT / 16];
                __m512 mx = _mm512_set1_ps(-INFINITY);
                for (size_t i = 0; i < GQA_BT / 16; i++) {
                    __m512i pos = _mm512_add_epi32(_mm512_set1_epi32((int)(tb + 16 * i)), lane);
                    vis[i] = _mm512_cmpge_epi32_mask(pos, _mm512_set1_epi32((int)lo)) &
                             _mm512_cmple_epi32_mask(pos, _mm512_set1_epi32((int)hi));
                    sv[i] = _mm512_mask_mov_ps(_mm512_set1_ps(-INFINITY), vis[i],
                                               _mm512_mul_ps(_mm512_load_ps(pr + 16 * i),
                                                             _mm512_set1_ps(wk->scale)));
                    mx = _mm512_max_ps(mx, sv[i]);
                }
                float bm = _mm512_reduce_max_ps(mx), mold = wk->m[r];
                float mnew = bm > mold ? bm : mold;
                __m512 mv = _mm512_set1_ps(mnew), sum = _mm512_setzero_ps();
                for (size_t i = 0; i < GQA_BT / 16; i++) {
                    __m512 p = _mm512_maskz_mov_ps(vis[i], exp512(_mm512_sub_ps(sv[i], mv)));
                    sum = _mm512_add_ps(sum, p);
                    _mm512_store_ps(pr + 16 * i, p);
                }
                float cr = mold == -INFINITY ? 0.0f : (mold == mnew ? 1.0f : expf(mold - mnew));
                wk->l[r] = wk->l[r] * cr + _mm512_reduce_add_ps(sum);
                wk->m[r] = mnew;
                corr[g % 64] = cr;
            }
            /* PV, 4 rows x 4 output vectors per pass: each V chunk widened once for 4 rows */
            for (size_t g = 0; four && g < G; g += 4) {
                const float *pr[4];
                float *orow[4];
                __m512 cv[4];
                for (size_t i = 0; i < 4; i++) {
                    bool in = g + i < G;
                    pr[i] = in ? S + (r0 + g + i) * GQA_BT : Pz;
                    orow[i] = in ? O + (r0 + g + i) * dv : Od;
                    cv[i] = _mm512_set1_ps(in ? corr[(g + i) % 64] : 0.0f);
                }
                ptrdiff_t pf = g == 0 ? pfv : 0;
                for (size_t d0 = 0; d0 < dv; d0 += 64) {
                    size_t nd = MTOK_MIN((size_t)4, (dv - d0) / 16);
                    __m512 a[4][4];
                    for (size_t i = 0; i < 4; i++)
                        for (size_t c = 0; c < nd; c++)
                            a[i][c] = _mm512_mul_ps(_mm512_load_ps(orow[i] + d0 + 16 * c), cv[i]);
                    for (size_t j = 0; j < nt; j++) {
                        const uint16_t *vr = vb + j * wk->v_ps + d0;
                        if (pf) { /* the 128 bytes this step reads, in the next rows */
                            _mm_prefetch((const char *)vr + pf, _MM_HINT_T1);
                            _mm_prefetch((const char *)vr + pf + 64, _MM_HINT_T1);
                        }
                        __m512 p0 = _mm512_set1_ps(pr[0][j]), p1 = _mm512_set1_ps(pr[1][j]);
                        __m512 p2 = _mm512_set1_ps(pr[2][j]), p3 = _mm512_set1_ps(pr[3][j]);
                        for (size_t c = 0; c < nd; c++) {
                            __m512 vv = bf16x16_to_f32(vr + 16 * c);
                            a[0][c] = _mm512_fmadd_ps(p0, vv, a[0][c]);
                            a[1][c] = _mm512_fmadd_ps(p1, vv, a[1][c]);
                            a[2][c] = _mm512_fmadd_ps(p2, vv, a[2][c]);
                            a[3][c] = _mm512_fmadd_ps(p3, vv, a[3][c]);
                        }
                    }
                    for (size_t i = 0; i < 4; i++)
                        for (size_t c = 0; c < nd; c++)
                            _mm512_store_ps(orow[i] + d0 + 16 * c, a[i][c]);
                }
            }
            /* otherwise two rows at a time sharing each V load; 8 output vectors per row */
            for (size_t g = 0; !four && g < G; g += 2) {
                size_t ra = r0 + g;
                bool two = g + 1 < G;
                const float *pa = S + ra * GQA_BT, *pb = two ? pa + GQA_BT : pa;
                float *oa = O + ra * dv, *ob = two ? oa + dv : oa;
                __m512 ca = _mm512_set1_ps(corr[g % 64]), cb = _mm512_set1_ps(two ? corr[(g + 1) % 64] : 0.0f);
                for (size_t d0 = 0; d0 < dv; d0 += 128) {
                    size_t nd = MTOK_MIN((size_t)8, (dv - d0) / 16);
                    __m512 a[8], b[8];
                    for (size_t i = 0; i < nd; i++) {
                        a[i] = _mm512_mul_ps(_mm512_load_ps(oa + d0 + 16 * i), ca);
                        b[i] = _mm512_mul_ps(_mm512_load_ps(ob + d0 + 16 * i), cb);
                    }
                    if (direct) {
                        ptrdiff_t pf = g == 0 ? pfv : 0;
                        for (size_t j = 0; j < nt; j++) {
                            __m512 pja = _mm512_set1_ps(pa[j]), pjb = _mm512_set1_ps(pb[j]);
                            const uint16_t *vr = vb + j * wk->v_ps + d0;
                            if (pf)
                                for (size_t i = 0; i < nd; i += 2)
                                    _mm_prefetch((const char *)(vr + 16 * i) + pf, _MM_HINT_T1);
                            for (size_t i = 0; i < nd; i++) {
                                __m512 vv = bf16x16_to_f32(vr + 16 * i);
                                a[i] = _mm512_fmadd_ps(pja, vv, a[i]);
                                b[i] = _mm512_fmadd_ps(pjb, vv, b[i]);
                            }
                        }
                    } else {
                        for (size_t j = 0; j < nt; j++) {
                            __m512 pja = _mm512_set1_ps(pa[j]), pjb = _mm512_set1_ps(pb[j]);
                            const float *vr = Vf + j * dv + d0;
                            for (size_t i = 0; i < nd; i++) {
                                __m512 vv = _mm512_load_ps(vr + 16 * i);
                                a[i] = _mm512_fmadd_ps(pja, vv, a[i]);
                                b[i] = _mm512_fmadd_ps(pjb, vv, b[i]);
                            }
                        }
                    }
                    for (size_t i = 0; i < nd; i++) {
                        if (two)
                            _mm512_store_ps(ob + d0 + 16 * i, b[i]);
                        _mm512_store_ps(oa + d0 + 16 * i, a[i]);
                    }
                }
            }
        }
    }
    for (size_t r = 0; r < R; r++)
        memcpy(wk->o + r * wk->dv, O + r * dv, wk->dv * sizeof(float));
    mtok_kfree(buf);
}

/* Dequantise one cache entry into f32 (dim floats, dim a multiple of 16). */
static inline void kv_entry_f32(enum mtok_kv_fmt fmt, size_t dim, const void *src, float *e)
{
    const uint8_t *s = src;
    if (fmt == MTOK_KV_BF16) {
        for (size_t d = 0; d < dim; d += 16)
            _mm512_store_ps(e + d, bf16x16_to_f32(s + 2 * d));
        return;
    }
    for (int t = 0; t < 7; t++) {
        /* 2^(c - 127) * 256: the f16 trick's 2^-8 undone in the same multiply */
        __m512 sc = _mm512_set1_ps(s[576 + t] <= 246 ? mtok_f32_from_bits((uint32_t)(s[576 + t] + 8) << 23)
                                                      : mtok_e8m0_to_f32(s[576 + t]) * 256.0f);
        for (int i = 0; i < 64; i += 16)
            _mm512_store_ps(e + t * 64 + i,
                            _mm512_mul_ps(e4m3x16_to_f32_div256(
                                              _mm_loadu_si128((const void *)(s + t * 64 + i))),
                                          sc));
    }
    for (int i = 0; i < 64; i += 16)
        _mm512_store_ps(e + 448 + i, bf16x16_to_f32(s + 448 + 2 * i));
}

/* Shared-KV MQA: query heads in the vector lanes. Per block of 16 entries: dequantise them once,
 * scores S^T[t] (lanes = 16 heads) by broadcasting entry values against the transposed queries,
 * online softmax lane-wise, then PV with two heads' outputs in registers. */
#define MQA_BT 16

/* S^T[j][hb + 16 i + lane] = q_{head} . E[j] for 8 entries j and nb (1..3) blocks of 16 heads:
 * per dimension nb query loads and 8 broadcasts feed 8 * nb FMAs. */
static inline __attribute__((always_inline)) void mqa_qk_block(const float *Qt, size_t H16,
                                                               size_t hb, size_t nb,
                                                               const float *E, size_t dim,
                                                               float *St)
{
    __m512 acc[3][8];
    for (size_t i = 0; i < nb; i++)
        for (int j = 0; j < 8; j++)
            acc[i][j] = _mm512_setzero_ps();
    for (size_t d = 0; d < dim; d++) {
        __m512 q[3];
        for (size_t i = 0; i < nb; i++)
            q[i] = _mm512_load_ps(Qt + d * H16 + hb + 16 * i);
        for (int j = 0; j < 8; j++) {
            __m512 e = _mm512_set1_ps(E[(size_t)j * dim + d]);
            for (size_t i = 0; i < nb; i++)
                acc[i][j] = _mm512_fmadd_ps(q[i], e, acc[i][j]);
        }
    }
    for (size_t i = 0; i < nb; i++)
        for (int j = 0; j < 8; j++)
            _mm512_store_ps(St + (size_t)j * H16 + hb + 16 * i, acc[i][j]);
}

static void mqa_avx512(const struct mtok_mqa_work *wk, const void *const *entries, size_t n)
{
    size_t H = wk->heads, H16 = MTOK_ROUND_UP(H, 16), dim = wk->dim, dv = wk->dv;
    MTOK_ASSERT(dim % 16 == 0 && dv % 16 == 0);
    float *buf = mtok_kalloc((dim * H16 + MQA_BT * dim + 2 * MQA_BT * H16 + 3 * H16) * sizeof(float));
    float *Qt = buf, *E = Qt + dim * H16, *Pt = E + MQA_BT * dim, *M = Pt + MQA_BT * H16,
          *L = M + H16, *C = L + H16, *St = C + H16;
    for (size_t d = 0; d < dim; d++)
        for (size_t h = 0; h < H16; h++)
            Qt[d * H16 + h] = h < H ? wk->q[h * dim + d] : 0.0f;
    for (size_t h = 0; h < H16; h++) {
        M[h] = h < H ? wk->m[h] : -INFINITY;
        L[h] = h < H ? wk->l[h] : 0.0f;
    }
    const __m512 scale = _mm512_set1_ps(wk->scale), ninf = _mm512_set1_ps(-INFINITY);
    for (size_t tb = 0; tb < n; tb += MQA_BT) {
        size_t nt = MTOK_MIN((size_t)MQA_BT, n - tb);
        for (size_t j = 0; j < nt; j++)
            kv_entry_f32(wk->fmt, dim, entries[tb + j], E + j * dim);
        if (nt < MQA_BT) /* the register blocks read all 16 rows */
            memset(E + nt * dim, 0, (MQA_BT - nt) * dim * sizeof(float));
        /* scores S^T[entry][head] in register blocks of up to 3 head blocks x 8 entries */
        for (size_t hb = 0; hb < H16; hb += 48) {
            size_t nb = MTOK_MIN((size_t)3, (H16 - hb) / 16);
            for (size_t half = 0; half < MQA_BT; half += 8) {
                if (nb == 3)
                    mqa_qk_block(Qt, H16, hb, 3, E + half * dim, dim, St + half * H16);
                else if (nb == 2)
                    mqa_qk_block(Qt, H16, hb, 2, E + half * dim, dim, St + half * H16);
                else
                    mqa_qk_block(Qt, H16, hb, 1, E + half * dim, dim, St + half * H16);
            }
        }
        for (size_t hb = 0; hb < H16; hb += 16) {
            __m512 acc[MQA_BT];
            for (size_t j = 0; j < MQA_BT; j++)
                acc[j] = _mm512_load_ps(St + j * H16 + hb);
            __m512 mx = ninf;
            for (size_t j = 0; j < nt; j++) {
                acc[j] = _mm512_mul_ps(acc[j], scale);
                mx = _mm512_max_ps(mx, acc[j]);
            }
            __m512 mold = _mm512_load_ps(M + hb), mnew = _mm512_max_ps(mold, mx);
            __mmask16 fresh = _mm512_cmpeq_ps_mask(mold, ninf);
            __m512 corr = _mm512_maskz_mov_ps((__mmask16)~fresh, exp512(_mm512_sub_ps(mold, mnew)));
            __m512 lsum = _mm512_setzero_ps();
            for (size_t j = 0; j < MQA_BT; j++) {
                __m512 p = j < nt ? exp512(_mm512_sub_ps(acc[j], mnew)) : _mm512_setzero_ps();
                lsum = _mm512_add_ps(lsum, p);
                _mm512_store_ps(Pt + j * H16 + hb, p);
            }
            _mm512_store_ps(L + hb, _mm512_fmadd_ps(_mm512_load_ps(L + hb), corr, lsum));
            _mm512_store_ps(M + hb, mnew);
            _mm512_store_ps(C + hb, corr);
        }
        for (size_t h = 0; h < H; h += 2) {
            bool two = h + 1 < H;
            float *o0 = wk->o + h * dv, *o1 = two ? o0 + dv : o0;
            __m512 c0 = _mm512_set1_ps(C[h]), c1 = _mm512_set1_ps(two ? C[h + 1] : 0.0f);
            for (size_t d0 = 0; d0 < dv; d0 += 128) {
                size_t nd = MTOK_MIN((size_t)8, (dv - d0) / 16);
                __m512 a[8], b[8];
                for (size_t i = 0; i < nd; i++) {
                    a[i] = _mm512_mul_ps(_mm512_loadu_ps(o0 + d0 + 16 * i), c0);
                    b[i] = _mm512_mul_ps(_mm512_loadu_ps(o1 + d0 + 16 * i), c1);
                }
                for (size_t j = 0; j < nt; j++) {
                    __m512 p0 = _mm512_set1_ps(Pt[j * H16 + h]);
                    __m512 p1 = _mm512_set1_ps(two ? Pt[j * H16 + h + 1] : 0.0f);
                    const float *er = E + j * dim + d0;
                    for (size_t i = 0; i < nd; i++) {
                        __m512 ev = _mm512_load_ps(er + 16 * i);
                        a[i] = _mm512_fmadd_ps(p0, ev, a[i]);
                        b[i] = _mm512_fmadd_ps(p1, ev, b[i]);
                    }
                }
                for (size_t i = 0; i < nd; i++) {
                    if (two)
                        _mm512_storeu_ps(o1 + d0 + 16 * i, b[i]);
                    _mm512_storeu_ps(o0 + d0 + 16 * i, a[i]);
                }
            }
        }
    }
    for (size_t h = 0; h < H; h++) {
        wk->m[h] = M[h];
        wk->l[h] = L[h];
    }
    mtok_kfree(buf);
}

/* Lightning indexer over MXFP4 keys: keys dequantised with a 16-entry vpermps table (even and odd
 * elements of each 32-block kept apart; the transposed queries use the same order), heads in the
 * lanes, ReLU and head weights lane-wise, one hsum16 per 16 keys. */
static void indexer_avx512(const struct mtok_indexer *ix, size_t t0, size_t t1)
{
    size_t H = ix->heads, H16 = MTOK_ROUND_UP(H, 16), dim = ix->dim, kb = mtok_ikey_bytes(dim);
    float *buf = mtok_kalloc((dim * H16 + 16 * dim + H16) * sizeof(float));
    float *Qt = buf, *K = Qt + dim * H16, *Wv = K + 16 * dim;
    for (size_t e = 0; e < dim; e++) {
        size_t pe = (e / 32) * 32 + (e % 2) * 16 + (e % 32) / 2; /* position after dequant */
        for (size_t h = 0; h < H16; h++)
            Qt[pe * H16 + h] = h < H ? ix->q[h * dim + e] : 0.0f;
    }
    for (size_t h = 0; h < H16; h++)
        Wv[h] = h < H ? ix->w[h] : 0.0f;
    const __m512 tab = _mm512_setr_ps(0, 0.5f, 1, 1.5f, 2, 3, 4, 6, -0.0f, -0.5f, -1, -1.5f, -2,
                                      -3, -4, -6);
    const __m512i m15 = _mm512_set1_epi32(15);
    const __m512 zero = _mm512_setzero_ps(), scale = _mm512_set1_ps(ix->scale);
    for (size_t tb = t0; tb < t1; tb += 16) {
        size_t nt = MTOK_MIN((size_t)16, t1 - tb);
        for (size_t j = 0; j < nt; j++) {
            const uint8_t *src = (const uint8_t *)ix->keys + (tb + j) * kb;
            const uint8_t *sc = src + dim / 2;
            for (size_t b = 0; b < dim / 32; b++) {
                __m512i v = _mm512_cvtepu8_epi32(_mm_loadu_si128((const void *)(src + b * 16)));
                __m512 s = _mm512_set1_ps(mtok_e8m0_to_f32(sc[b]));
                _mm512_store_ps(K + j * dim + b * 32,
                                _mm512_mul_ps(_mm512_permutexvar_ps(_mm512_and_si512(v, m15), tab), s));
                _mm512_store_ps(K + j * dim + b * 32 + 16,
                                _mm512_mul_ps(_mm512_permutexvar_ps(_mm512_srli_epi32(v, 4), tab), s));
            }
        }
        __m512 tot[16];
        for (size_t j = 0; j < 16; j++)
            tot[j] = zero;
        for (size_t hb = 0; hb < H16; hb += 16) {
            __m512 acc[16];
            for (size_t j = 0; j < 16; j++)
                acc[j] = zero;
            for (size_t d = 0; d < dim; d++) {
                __m512 qv = _mm512_load_ps(Qt + d * H16 + hb);
                for (size_t j = 0; j < nt; j++)
                    acc[j] = _mm512_fmadd_ps(qv, _mm512_set1_ps(K[j * dim + d]), acc[j]);
            }
            __m512 wv = _mm512_load_ps(Wv + hb);
            for (size_t j = 0; j < nt; j++)
                tot[j] = _mm512_fmadd_ps(_mm512_max_ps(_mm512_mul_ps(acc[j], scale), zero), wv, tot[j]);
        }
        _mm512_mask_storeu_ps(ix->scores + tb, mask16(nt), hsum16(tot));
    }
    mtok_kfree(buf);
}

/* ================================================================================================ */

void mtok_ktab_fill_avx512(struct mtok_ktab *t, const struct mtok_cpu *cpu)
{
    for (int c = 0; c < 128; c++) {
        uint16_t b = mtok_bf16_from_f32(mtok_e4m3_to_f32((uint8_t)c));
        g_fp8_hi[c] = (uint8_t)(b >> 8);
        g_fp8_lo[c] = (uint8_t)(b & 0xFF);
    }
    t->f32_to_bf16 = f32_to_bf16_avx512;
    t->bf16_to_f32 = bf16_to_f32_avx512;
    t->f32_to_e4m3 = f32_to_e4m3_avx512;
    t->e4m3_to_f32 = e4m3_to_f32_avx512;
    t->f32_to_e5m2 = f32_to_e5m2_avx512;
    t->q8_quant = q8_quant_avx512;
    t->cvt_name = "cvt_avx512";

    t->gemv[MTOK_F32] = (struct mtok_gemv_slot){prep_f32_bytes, prep_f32, gemv_f32_avx512, 4,
                                                MTOK_F32, "gemv_f32_avx512_4row"};
    if (cpu->avx512bf16)
        t->gemv[MTOK_BF16] = (struct mtok_gemv_slot){prep_bf16_bytes, prep_bf16,
                                                     gemv_bf16_avx512bf16, 4, MTOK_BF16,
                                                     "gemv_bf16_avx512bf16_4row"};
    else
        t->gemv[MTOK_BF16] = (struct mtok_gemv_slot){prep_f32r_bytes, prep_f32r, gemv_bf16_avx512,
                                                     1, MTOK_F32, "gemv_bf16_avx512_cvt"};
    if (cpu->avx512bf16 && cpu->avx512vbmi)
        t->gemv[MTOK_FP8] = (struct mtok_gemv_slot){prep_fp8_bytes, prep_fp8_evenodd,
                                                    gemv_fp8_avx512vbmi, 4, MTOK_BF16,
                                                    "gemv_fp8_avx512vbmi_lut_bf16_4row"};
    else
        t->gemv[MTOK_FP8] = (struct mtok_gemv_slot){prep_f32r_bytes, prep_f32r, gemv_fp8_avx512, 1,
                                                    MTOK_F32, "gemv_fp8_avx512_f16cvt"};
    if (cpu->avx512vnni) {
        t->gemv[MTOK_MXFP4] = (struct mtok_gemv_slot){mtok_prep_q8blk_bytes, mtok_prep_q8blk,
                                                      gemv_mxfp4_avx512vnni, 16, MTOK_INT8,
                                                      "gemv_mxfp4_avx512vnni_16row"};
        t->gemv[MTOK_NVFP4] = (struct mtok_gemv_slot){mtok_prep_q8blk_bytes, mtok_prep_q8blk,
                                                      gemv_nvfp4_avx512vnni, 16, MTOK_INT8,
                                                      "gemv_nvfp4_avx512vnni_16row"};
        t->gemv[MTOK_INT8] = (struct mtok_gemv_slot){prep_q8row_bytes, prep_q8row_u,
                                                     gemv_int8_avx512vnni, 4, MTOK_INT8,
                                                     "gemv_int8_avx512vnni_4row"};
    } else {
        t->gemv[MTOK_MXFP4] = (struct mtok_gemv_slot){mtok_prep_q8blk_bytes, mtok_prep_q8blk,
                                                      gemv_mxfp4_avx512, 16, MTOK_INT8,
                                                      "gemv_mxfp4_avx512bw_16row"};
        t->gemv[MTOK_NVFP4] = (struct mtok_gemv_slot){mtok_prep_q8blk_bytes, mtok_prep_q8blk,
                                                      gemv_nvfp4_avx512, 16, MTOK_INT8,
                                                      "gemv_nvfp4_avx512bw_16row"};
        t->gemv[MTOK_INT8] = (struct mtok_gemv_slot){prep_q8row_s_bytes, prep_q8row_s,
                                                     gemv_int8_avx512, 1, MTOK_INT8,
                                                     "gemv_int8_avx512bw_widen"};
    }

    t->pack32 = pack32_avx512;
    /* 48 x 8 measured 3-4% faster than 32 x 12 here (fewer loads per FMA); 32 x 12 stays for
     * comparison (MTOK_UKR=32x12). */
    const char *u = getenv("MTOK_UKR");
    if (u && strcmp(u, "32x12") == 0) {
        t->ukr_f32 = ukr_f32_avx512_32x12;
        t->mr_f32 = 32;
        t->nr_f32 = 12;
        t->ukr_f32_name = "gemm_f32_avx512_32x12";
    } else {
        t->ukr_f32 = ukr_f32_avx512_48x8;
        t->mr_f32 = 48;
        t->nr_f32 = 8;
        t->ukr_f32_name = "gemm_f32_avx512_48x8";
    }
    if (cpu->avx512bf16) {
        t->ukr_bf16 = ukr_bf16_avx512bf16_32x12;
        t->mr_bf16 = 32;
        t->nr_bf16 = 12;
        t->ukr_bf16_name = "gemm_bf16_avx512bf16_32x12";
    }

    t->rmsnorm = rmsnorm_avx512;
    t->swiglu = swiglu_avx512;
    t->softmax = softmax_avx512;
    t->elem_name = "elementwise_avx512";
    t->gqa = gqa_avx512;
    t->gqa_name = "attn_gqa_avx512_bt32_4x4eo";
    t->mqa = mqa_avx512;
    t->mqa_name = "attn_mqa_avx512_heads16";
    t->indexer = indexer_avx512;
    t->indexer_name = "indexer_mxfp4_avx512_heads16";
}
