/* AVX2 + FMA + F16C variants: the same algorithms as the AVX-512 file with 8-lane vectors, for
 * x86-64 machines without AVX-512. Tails are handled by padded buffers or scalar loops (AVX2 has
 * no byte/word masks). */
#include <immintrin.h>
#include <math.h>

#include "kernels/internal.h"

static inline float hsum256(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

static inline int32_t hsum256i(__m256i v)
{
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0x4E));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, 0xB1));
    return _mm_cvtsi128_si32(s);
}

/* lanes i = sum of v[i] */
static inline __m256 hsum8x8(const __m256 *v)
{
    __m256 u0 = _mm256_hadd_ps(_mm256_hadd_ps(v[0], v[1]), _mm256_hadd_ps(v[2], v[3]));
    __m256 u1 = _mm256_hadd_ps(_mm256_hadd_ps(v[4], v[5]), _mm256_hadd_ps(v[6], v[7]));
    return _mm256_add_ps(_mm256_permute2f128_ps(u0, u1, 0x20), _mm256_permute2f128_ps(u0, u1, 0x31));
}

/* exp with 2^n built in the exponent field; inputs below -87.3 give 0. */
static inline __m256 exp256(__m256 x)
{
    const __m256 lo = _mm256_set1_ps(-87.3f);
    __m256 under = _mm256_cmp_ps(x, lo, _CMP_LT_OQ);
    x = _mm256_min_ps(_mm256_max_ps(x, lo), _mm256_set1_ps(88.3f));
    __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
    p = _mm256_fmadd_ps(_mm256_mul_ps(p, r), r, _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
    __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_andnot_ps(under, _mm256_mul_ps(p, _mm256_castsi256_ps(e)));
}

static inline __m256 bf16x8_to_f32(const void *p)
{
    return _mm256_castsi256_ps(
        _mm256_slli_epi32(_mm256_cvtepu16_epi32(_mm_loadu_si128((const void *)p)), 16));
}

/* 16 e4m3 codes -> two vectors of 8 f32 values x 2^-8 (see avx512.c for the f16 trick) */
static inline void e4m3x16_to_f32_div256(__m128i codes, __m256 *lo, __m256 *hi)
{
    __m256i w = _mm256_cvtepu8_epi16(codes);
    __m256i h = _mm256_or_si256(_mm256_slli_epi16(_mm256_and_si256(w, _mm256_set1_epi16(0x7F)), 7),
                                _mm256_slli_epi16(_mm256_and_si256(w, _mm256_set1_epi16(0x80)), 8));
    *lo = _mm256_cvtph_ps(_mm256_castsi256_si128(h));
    *hi = _mm256_cvtph_ps(_mm256_extracti128_si256(h, 1));
}

/* ---- conversions ---- */

static void f32_to_bf16_avx2(const float *x, uint16_t *o, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256i u = _mm256_castps_si256(_mm256_loadu_ps(x + i));
        __m256i a = _mm256_and_si256(u, _mm256_set1_epi32(0x7FFFFFFF));
        __m256i nan = _mm256_cmpgt_epi32(a, _mm256_set1_epi32(0x7F800000));
        __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(1));
        __m256i r = _mm256_srli_epi32(
            _mm256_add_epi32(_mm256_add_epi32(u, _mm256_set1_epi32(0x7FFF)), lsb), 16);
        __m256i qn = _mm256_or_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(0x40));
        r = _mm256_blendv_epi8(r, qn, nan);
        __m128i p = _mm_packus_epi32(_mm256_castsi256_si128(r), _mm256_extracti128_si256(r, 1));
        _mm_storeu_si128((void *)(o + i), p);
    }
    for (; i < n; i++)
        o[i] = mtok_bf16_from_f32(x[i]);
}

static void bf16_to_f32_avx2(const uint16_t *x, float *o, size_t n)
{
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(o + i, bf16x8_to_f32(x + i));
    for (; i < n; i++)
        o[i] = mtok_bf16_to_f32(x[i]);
}

/* ---- GEMV ---- */

static size_t prep_f32_bytes(const struct mtok_wmat *w) { return MTOK_ROUND_UP(w->k, 64) * 4; }
static void prep_f32(const struct mtok_wmat *w, const float *x, void *buf)
{
    memset(buf, 0, prep_f32_bytes(w));
    memcpy(buf, x, w->k * sizeof(float));
}
static void prep_f32r(const struct mtok_wmat *w, const float *x, void *buf)
{
    memset(buf, 0, prep_f32_bytes(w));
    mtok_act_effective(MTOK_BF16, 0, x, w->k, buf);
}

static void gemv_f32_avx2(const struct mtok_wmat *w, const void *xp, float *y, size_t r0, size_t r1)
{
    const float *x = xp, *W = w->data;
    size_t k = w->k, k8 = k / 8 * 8;
    for (size_t r = r0; r < r1; r += 4) {
        size_t nr = MTOK_MIN((size_t)4, r1 - r);
        const float *w0 = W + r * k, *w1 = nr > 1 ? w0 + k : w0, *w2 = nr > 2 ? w0 + 2 * k : w0,
                    *w3 = nr > 3 ? w0 + 3 * k : w0;
        __m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0;
        for (size_t c = 0; c < k8; c += 8) {
            __m256 xv = _mm256_load_ps(x + c);
            a0 = _mm256_fmadd_ps(_mm256_loadu_ps(w0 + c), xv, a0);
            a1 = _mm256_fmadd_ps(_mm256_loadu_ps(w1 + c), xv, a1);
            a2 = _mm256_fmadd_ps(_mm256_loadu_ps(w2 + c), xv, a2);
            a3 = _mm256_fmadd_ps(_mm256_loadu_ps(w3 + c), xv, a3);
        }
        float out[4] = {hsum256(a0), hsum256(a1), hsum256(a2), hsum256(a3)};
        for (size_t c = k8; c < k; c++) {
            out[0] += w0[c] * x[c];
            out[1] += w1[c] * x[c];
            out[2] += w2[c] * x[c];
            out[3] += w3[c] * x[c];
        }
        memcpy(y + r, out, nr * sizeof *out);
    }
}

static void gemv_bf16_avx2(const struct mtok_wmat *w, const void *xp, float *y, size_t r0,
                           size_t r1)
{
    const float *x = xp;
    const uint16_t *W = w->data;
    size_t k = w->k, k16 = k / 16 * 16;
    for (size_t r = r0; r < r1; r++) {
        const uint16_t *wr = W + r * k;
        __m256 a0 = _mm256_setzero_ps(), a1 = a0;
        for (size_t c = 0; c < k16; c += 16) {
            a0 = _mm256_fmadd_ps(bf16x8_to_f32(wr + c), _mm256_load_ps(x + c), a0);
            a1 = _mm256_fmadd_ps(bf16x8_to_f32(wr + c + 8), _mm256_load_ps(x + c + 8), a1);
        }
        float s = hsum256(_mm256_add_ps(a0, a1));
        for (size_t c = k16; c < k; c++)
            s += mtok_bf16_to_f32(wr[c]) * x[c];
        y[r] = s;
    }
}

static void gemv_fp8_avx2(const struct mtok_wmat *w, const void *xp, float *y, size_t r0,
                          size_t r1)
{
    const float *x = xp, *S = w->scales;
    const uint8_t *W = w->data;
    const float *tab = mtok_e4m3_table();
    size_t k = w->k, kb = MTOK_CEIL_DIV(k, 128);
    for (size_t r = r0; r < r1; r++) {
        const float *srow = S + (r / 128) * kb;
        const uint8_t *wr = W + r * k;
        float acc = 0;
        for (size_t b = 0; b < kb; b++) {
            __m256 a0 = _mm256_setzero_ps(), a1 = a0;
            size_t c = b * 128, ce = MTOK_MIN(k, c + 128);
            for (; c + 16 <= ce; c += 16) {
                __m256 lo, hi;
                e4m3x16_to_f32_div256(_mm_loadu_si128((const void *)(wr + c)), &lo, &hi);
                a0 = _mm256_fmadd_ps(lo, _mm256_load_ps(x + c), a0);
                a1 = _mm256_fmadd_ps(hi, _mm256_load_ps(x + c + 8), a1);
            }
            float s = hsum256(_mm256_add_ps(a0, a1)) * 256.0f;
            for (; c < ce; c++)
                s += tab[wr[c]] * x[c];
            acc += s * srow[b];
        }
        y[r] = acc;
    }
}

/* fp4 panels: 32-byte halves of each 64-byte group are rows 0-7 and 8-15. */
static const int8_t g_e2m1_u8[16] = {12, 13, 14, 15, 16, 18, 20, 24, 12, 11, 10, 9, 8, 6, 4, 0};

static inline __m256i dot_u8s8(__m256i a, __m256i b)
{
    return _mm256_madd_epi16(_mm256_maddubs_epi16(a, b), _mm256_set1_epi16(1));
}

static inline __m256 e8m0x8(const uint8_t *p)
{
    return _mm256_castsi256_ps(
        _mm256_slli_epi32(_mm256_cvtepu8_epi32(_mm_loadl_epi64((const void *)p)), 23));
}

static inline __m256 e4m3x8_div256(const uint8_t *p)
{
    __m128i w = _mm_cvtepu8_epi16(_mm_loadl_epi64((const void *)p));
    __m128i h = _mm_or_si128(_mm_slli_epi16(_mm_and_si128(w, _mm_set1_epi16(0x7F)), 7),
                             _mm_slli_epi16(_mm_and_si128(w, _mm_set1_epi16(0x80)), 8));
    return _mm256_cvtph_ps(h);
}

static void gemv_fp4_avx2(const struct mtok_wmat *w, const void *xp, float *y, size_t r0,
                          size_t r1)
{
    const bool mx = w->dtype == MTOK_MXFP4;
    const size_t BS = mx ? 32 : 16;
    const uint8_t *D = w->data, *SC = w->scales;
    size_t kb = w->k_pad / BS, qpad = mtok_q8blk_qpad(w);
    const int8_t *q8 = xp;
    const float *xs = (const float *)(const void *)((const char *)xp + qpad);
    const int32_t *xc = (const int32_t *)(const void *)(xs + kb);
    const __m256i lut = _mm256_broadcastsi128_si256(_mm_loadu_si128((const void *)g_e2m1_u8));
    const __m256i m0f = _mm256_set1_epi8(0x0F);
    const float smul = mx ? 0.5f : 0.5f * 256.0f * w->gscale;
    for (size_t p = r0 / 16; p * 16 < r1; p++) {
        const uint8_t *d = D + p * kb * BS * 8, *sc = SC + p * kb * 16;
        __m256 accA = _mm256_setzero_ps(), accB = accA;
        for (size_t b = 0; b < kb; b++) {
            __m256i iA = _mm256_setzero_si256(), iB = iA;
            for (size_t g = 0; g < BS / 8; g++) {
                const uint8_t *gp = d + b * BS * 8 + g * 64;
                int32_t x0, x1;
                memcpy(&x0, q8 + b * BS + g * 8, 4);
                memcpy(&x1, q8 + b * BS + g * 8 + 4, 4);
                __m256i xb0 = _mm256_set1_epi32(x0), xb1 = _mm256_set1_epi32(x1);
                __m256i vA = _mm256_load_si256((const void *)gp);
                __m256i vB = _mm256_load_si256((const void *)(gp + 32));
                iA = _mm256_add_epi32(iA, dot_u8s8(_mm256_shuffle_epi8(lut, _mm256_and_si256(vA, m0f)), xb0));
                iA = _mm256_add_epi32(iA, dot_u8s8(_mm256_shuffle_epi8(lut, _mm256_and_si256(_mm256_srli_epi16(vA, 4), m0f)), xb1));
                iB = _mm256_add_epi32(iB, dot_u8s8(_mm256_shuffle_epi8(lut, _mm256_and_si256(vB, m0f)), xb0));
                iB = _mm256_add_epi32(iB, dot_u8s8(_mm256_shuffle_epi8(lut, _mm256_and_si256(_mm256_srli_epi16(vB, 4), m0f)), xb1));
            }
            __m256i c = _mm256_set1_epi32(xc[b]);
            __m256 f = _mm256_set1_ps(xs[b] * smul);
            __m256 sA = mx ? e8m0x8(sc + b * 16) : e4m3x8_div256(sc + b * 16);
            __m256 sB = mx ? e8m0x8(sc + b * 16 + 8) : e4m3x8_div256(sc + b * 16 + 8);
            accA = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(iA, c)), _mm256_mul_ps(sA, f), accA);
            accB = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(iB, c)), _mm256_mul_ps(sB, f), accB);
        }
        float out[16];
        _mm256_storeu_ps(out, accA);
        _mm256_storeu_ps(out + 8, accB);
        memcpy(y + p * 16, out, MTOK_MIN((size_t)16, r1 - p * 16) * sizeof(float));
    }
}

/* int8: |w| (unsigned) times x with w's sign (vpsignb), vpmaddubsw cannot saturate (127 * 127 * 2). */
static size_t prep_q8row_bytes(const struct mtok_wmat *w) { return MTOK_ROUND_UP(w->k, 64) + 64; }
static void prep_q8row(const struct mtok_wmat *w, const float *x, void *buf)
{
    size_t kp = MTOK_ROUND_UP(w->k, 64);
    int8_t *q = buf;
    float s = mtok_q8_quant(x, w->k, q);
    memset(q + w->k, 0, kp - w->k);
    memcpy(q + kp, &s, sizeof s);
}

static void gemv_int8_avx2(const struct mtok_wmat *w, const void *xp, float *y, size_t r0,
                           size_t r1)
{
    const int8_t *x = xp, *W = w->data;
    const float *ws = w->scales;
    size_t k = w->k, k32 = k / 32 * 32;
    float xs;
    memcpy(&xs, x + MTOK_ROUND_UP(k, 64), sizeof xs);
    for (size_t r = r0; r < r1; r++) {
        const int8_t *wr = W + r * k;
        __m256i a = _mm256_setzero_si256();
        for (size_t c = 0; c < k32; c += 32) {
            __m256i wv = _mm256_loadu_si256((const void *)(wr + c));
            __m256i xv = _mm256_load_si256((const void *)(x + c));
            a = _mm256_add_epi32(a, dot_u8s8(_mm256_sign_epi8(wv, wv), _mm256_sign_epi8(xv, wv)));
        }
        int32_t s = hsum256i(a);
        for (size_t c = k32; c < k; c++)
            s += wr[c] * x[c];
        y[r] = ws[r] * xs * (float)s;
    }
}

/* ---- GEMM micro-kernel: 16 outputs (two ymm) x 6 tokens ---- */

static void ukr_f32_avx2_16x6(size_t kc, const float *wp, const float *xp, float *c, size_t ldc,
                              bool accumulate, size_t mr_eff, size_t nr_eff)
{
    __m256 c00 = _mm256_setzero_ps(), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00,
           c30 = c00, c31 = c00, c40 = c00, c41 = c00, c50 = c00, c51 = c00;
    for (size_t p = 0; p < kc; p++) {
        __m256 a0 = _mm256_load_ps(wp), a1 = _mm256_load_ps(wp + 8), b;
        b = _mm256_broadcast_ss(xp + 0);
        c00 = _mm256_fmadd_ps(a0, b, c00);
        c01 = _mm256_fmadd_ps(a1, b, c01);
        b = _mm256_broadcast_ss(xp + 1);
        c10 = _mm256_fmadd_ps(a0, b, c10);
        c11 = _mm256_fmadd_ps(a1, b, c11);
        b = _mm256_broadcast_ss(xp + 2);
        c20 = _mm256_fmadd_ps(a0, b, c20);
        c21 = _mm256_fmadd_ps(a1, b, c21);
        b = _mm256_broadcast_ss(xp + 3);
        c30 = _mm256_fmadd_ps(a0, b, c30);
        c31 = _mm256_fmadd_ps(a1, b, c31);
        b = _mm256_broadcast_ss(xp + 4);
        c40 = _mm256_fmadd_ps(a0, b, c40);
        c41 = _mm256_fmadd_ps(a1, b, c41);
        b = _mm256_broadcast_ss(xp + 5);
        c50 = _mm256_fmadd_ps(a0, b, c50);
        c51 = _mm256_fmadd_ps(a1, b, c51);
        wp += 16;
        xp += 6;
    }
    float tile[6][16];
    _mm256_storeu_ps(tile[0], c00); _mm256_storeu_ps(tile[0] + 8, c01);
    _mm256_storeu_ps(tile[1], c10); _mm256_storeu_ps(tile[1] + 8, c11);
    _mm256_storeu_ps(tile[2], c20); _mm256_storeu_ps(tile[2] + 8, c21);
    _mm256_storeu_ps(tile[3], c30); _mm256_storeu_ps(tile[3] + 8, c31);
    _mm256_storeu_ps(tile[4], c40); _mm256_storeu_ps(tile[4] + 8, c41);
    _mm256_storeu_ps(tile[5], c50); _mm256_storeu_ps(tile[5] + 8, c51);
    for (size_t i = 0; i < nr_eff; i++) {
        float *row = c + i * ldc;
        if (mr_eff == 16) {
            __m256 v0 = _mm256_loadu_ps(tile[i]), v1 = _mm256_loadu_ps(tile[i] + 8);
            if (accumulate) {
                v0 = _mm256_add_ps(v0, _mm256_loadu_ps(row));
                v1 = _mm256_add_ps(v1, _mm256_loadu_ps(row + 8));
            }
            _mm256_storeu_ps(row, v0);
            _mm256_storeu_ps(row + 8, v1);
        } else {
            for (size_t j = 0; j < mr_eff; j++)
                row[j] = accumulate ? row[j] + tile[i][j] : tile[i][j];
        }
    }
}

/* ---- element-wise ---- */

static void swiglu_avx2(float *out, const float *gate, const float *up, size_t n, float limit)
{
    size_t i = 0;
    const __m256 one = _mm256_set1_ps(1.0f), lim = _mm256_set1_ps(limit), nlim = _mm256_set1_ps(-limit);
    for (; i + 8 <= n; i += 8) {
        __m256 g = _mm256_loadu_ps(gate + i), u = _mm256_loadu_ps(up + i);
        if (limit > 0) {
            g = _mm256_min_ps(g, lim);
            u = _mm256_min_ps(_mm256_max_ps(u, nlim), lim);
        }
        __m256 e = exp256(_mm256_sub_ps(_mm256_setzero_ps(), g));
        _mm256_storeu_ps(out + i, _mm256_mul_ps(_mm256_div_ps(g, _mm256_add_ps(one, e)), u));
    }
    if (i < n)
        mtok_swiglu_ref(out + i, gate + i, up + i, n - i, limit);
}

static void softmax_avx2(float *x, size_t n)
{
    if (n < 8) {
        mtok_softmax_ref(x, n);
        return;
    }
    size_t n8 = n / 8 * 8;
    __m256 mv = _mm256_set1_ps(-INFINITY);
    for (size_t i = 0; i < n8; i += 8)
        mv = _mm256_max_ps(mv, _mm256_loadu_ps(x + i));
    float m = -INFINITY, buf[8];
    _mm256_storeu_ps(buf, mv);
    for (int i = 0; i < 8; i++)
        m = fmaxf(m, buf[i]);
    for (size_t i = n8; i < n; i++)
        m = fmaxf(m, x[i]);
    __m256 mm = _mm256_set1_ps(m), s = _mm256_setzero_ps();
    for (size_t i = 0; i < n8; i += 8) {
        __m256 e = exp256(_mm256_sub_ps(_mm256_loadu_ps(x + i), mm));
        s = _mm256_add_ps(s, e);
        _mm256_storeu_ps(x + i, e);
    }
    double sum = hsum256(s);
    for (size_t i = n8; i < n; i++) {
        x[i] = expf(x[i] - m);
        sum += x[i];
    }
    __m256 inv = _mm256_set1_ps((float)(1.0 / sum));
    for (size_t i = 0; i < n8; i += 8)
        _mm256_storeu_ps(x + i, _mm256_mul_ps(_mm256_loadu_ps(x + i), inv));
    for (size_t i = n8; i < n; i++)
        x[i] *= (float)(1.0 / sum);
}

/* ---- attention: blocks of 8 positions, as avx512.c with 8 lanes ---- */

static void gqa_avx2(const struct mtok_gqa_work *wk, size_t t0, size_t t1)
{
    enum { BT = 8 };
    size_t R = wk->nkv * wk->G, dq = MTOK_ROUND_UP(wk->dqk, 8), dv = MTOK_ROUND_UP(wk->dv, 8);
    size_t esz = wk->kv_dtype == MTOK_F32 ? 4 : 2;
    float *buf = mtok_kcalloc((R * dq + BT * (dq + dv) + R * BT + R * dv) * sizeof(float));
    float *Q = buf, *Kf = Q + R * dq, *Vf = Kf + BT * dq, *P = Vf + BT * dv, *O = P + R * BT;
    for (size_t r = 0; r < R; r++) {
        memcpy(Q + r * dq, wk->q + r * wk->q_rs, wk->dqk * sizeof(float));
        memcpy(O + r * dv, wk->o + r * wk->dv, wk->dv * sizeof(float));
    }
    for (size_t tb = t0; tb < t1; tb += BT)
      for (size_t hk = 0; hk < wk->nkv; hk++) {
        size_t nt = MTOK_MIN((size_t)BT, t1 - tb), rb0 = hk * wk->G, rb1 = rb0 + wk->G;
        for (size_t j = 0; j < BT; j++) {
            float *kr = Kf + j * dq, *vr = Vf + j * dv;
            if (j >= nt) {
                memset(kr, 0, dq * sizeof(float));
                memset(vr, 0, dv * sizeof(float));
                continue;
            }
            const char *ks = (const char *)wk->k + ((tb + j) * wk->k_ps + hk * wk->k_hs) * esz;
            const char *vs = (const char *)wk->v + ((tb + j) * wk->v_ps + hk * wk->v_hs) * esz;
            if (esz == 4) {
                memcpy(kr, ks, wk->dqk * sizeof(float));
                memcpy(vr, vs, wk->dv * sizeof(float));
            } else {
                bf16_to_f32_avx2((const uint16_t *)(const void *)ks, kr, wk->dqk);
                bf16_to_f32_avx2((const uint16_t *)(const void *)vs, vr, wk->dv);
            }
        }
        for (size_t r = rb0; r < rb1; r++) {
            __m256 acc[BT];
            for (size_t j = 0; j < BT; j++)
                acc[j] = _mm256_setzero_ps();
            for (size_t d = 0; d < dq; d += 8) {
                __m256 qv = _mm256_load_ps(Q + r * dq + d);
                for (size_t j = 0; j < BT; j++)
                    acc[j] = _mm256_fmadd_ps(qv, _mm256_load_ps(Kf + j * dq + d), acc[j]);
            }
            float s[BT];
            _mm256_storeu_ps(s, _mm256_mul_ps(hsum8x8(acc), _mm256_set1_ps(wk->scale)));
            float bm = -INFINITY;
            bool vis[BT];
            for (size_t j = 0; j < BT; j++) {
                int64_t t = (int64_t)(tb + j);
                vis[j] = j < nt && t >= wk->lo[r] && t <= wk->hi[r];
                if (vis[j])
                    bm = fmaxf(bm, s[j]);
            }
            float *pr = P + r * BT;
            if (bm == -INFINITY) {
                memset(pr, 0, BT * sizeof(float));
                continue;
            }
            float mold = wk->m[r], mnew = fmaxf(mold, bm), lsum = 0;
            for (size_t j = 0; j < BT; j++) {
                pr[j] = vis[j] ? expf(s[j] - mnew) : 0.0f;
                lsum += pr[j];
            }
            float corr = mold == -INFINITY ? 0.0f : expf(mold - mnew);
            wk->l[r] = wk->l[r] * corr + lsum;
            wk->m[r] = mnew;
            if (corr != 1.0f)
                for (size_t d = 0; d < dv; d += 8)
                    _mm256_store_ps(O + r * dv + d,
                                    _mm256_mul_ps(_mm256_load_ps(O + r * dv + d), _mm256_set1_ps(corr)));
        }
        for (size_t r = rb0; r < rb1; r++) {
            float *o = O + r * dv;
            const float *pr = P + r * BT;
            for (size_t d0 = 0; d0 < dv; d0 += 64) {
                size_t nd = MTOK_MIN((size_t)8, (dv - d0) / 8);
                __m256 a[8];
                for (size_t i = 0; i < nd; i++)
                    a[i] = _mm256_load_ps(o + d0 + 8 * i);
                for (size_t j = 0; j < nt; j++) {
                    __m256 pj = _mm256_set1_ps(pr[j]);
                    for (size_t i = 0; i < nd; i++)
                        a[i] = _mm256_fmadd_ps(pj, _mm256_load_ps(Vf + j * dv + d0 + 8 * i), a[i]);
                }
                for (size_t i = 0; i < nd; i++)
                    _mm256_store_ps(o + d0 + 8 * i, a[i]);
            }
        }
    }
    for (size_t r = 0; r < R; r++)
        memcpy(wk->o + r * wk->dv, O + r * dv, wk->dv * sizeof(float));
    mtok_kfree(buf);
}

static void kv_entry_f32_avx2(enum mtok_kv_fmt fmt, size_t dim, const void *src, float *e)
{
    const uint8_t *s = src;
    if (fmt == MTOK_KV_BF16) {
        bf16_to_f32_avx2((const uint16_t *)(const void *)s, e, dim);
        return;
    }
    for (int t = 0; t < 7; t++) {
        __m256 sc = _mm256_set1_ps(mtok_e8m0_to_f32(s[576 + t]) * 256.0f);
        for (int i = 0; i < 64; i += 16) {
            __m256 lo, hi;
            e4m3x16_to_f32_div256(_mm_loadu_si128((const void *)(s + t * 64 + i)), &lo, &hi);
            _mm256_storeu_ps(e + t * 64 + i, _mm256_mul_ps(lo, sc));
            _mm256_storeu_ps(e + t * 64 + i + 8, _mm256_mul_ps(hi, sc));
        }
    }
    bf16_to_f32_avx2((const uint16_t *)(const void *)(s + 448), e + 448, 64);
}

/* heads in the 8 lanes, 8 entries per block */
static void mqa_avx2(const struct mtok_mqa_work *wk, const void *const *entries, size_t n)
{
    enum { BT = 8 };
    size_t H = wk->heads, H8 = MTOK_ROUND_UP(H, 8), dim = wk->dim, dv = wk->dv;
    MTOK_ASSERT(dim % 8 == 0 && dv % 8 == 0);
    float *buf = mtok_kcalloc((dim * H8 + BT * dim + BT * H8 + 3 * H8) * sizeof(float));
    float *Qt = buf, *E = Qt + dim * H8, *Pt = E + BT * dim, *M = Pt + BT * H8, *L = M + H8,
          *C = L + H8;
    for (size_t d = 0; d < dim; d++)
        for (size_t h = 0; h < H; h++)
            Qt[d * H8 + h] = wk->q[h * dim + d];
    for (size_t h = 0; h < H8; h++) {
        M[h] = h < H ? wk->m[h] : -INFINITY;
        L[h] = h < H ? wk->l[h] : 0.0f;
    }
    for (size_t tb = 0; tb < n; tb += BT) {
        size_t nt = MTOK_MIN((size_t)BT, n - tb);
        for (size_t j = 0; j < nt; j++)
            kv_entry_f32_avx2(wk->fmt, dim, entries[tb + j], E + j * dim);
        for (size_t hb = 0; hb < H8; hb += 8) {
            __m256 acc[BT];
            for (size_t j = 0; j < BT; j++)
                acc[j] = _mm256_setzero_ps();
            for (size_t d = 0; d < dim; d++) {
                __m256 qv = _mm256_load_ps(Qt + d * H8 + hb);
                for (size_t j = 0; j < nt; j++)
                    acc[j] = _mm256_fmadd_ps(qv, _mm256_broadcast_ss(E + j * dim + d), acc[j]);
            }
            __m256 mx = _mm256_set1_ps(-INFINITY), sc = _mm256_set1_ps(wk->scale);
            for (size_t j = 0; j < nt; j++) {
                acc[j] = _mm256_mul_ps(acc[j], sc);
                mx = _mm256_max_ps(mx, acc[j]);
            }
            __m256 mold = _mm256_load_ps(M + hb), mnew = _mm256_max_ps(mold, mx);
            __m256 fresh = _mm256_cmp_ps(mold, _mm256_set1_ps(-INFINITY), _CMP_EQ_OQ);
            __m256 corr = _mm256_andnot_ps(fresh, exp256(_mm256_sub_ps(mold, mnew)));
            __m256 lsum = _mm256_setzero_ps();
            for (size_t j = 0; j < BT; j++) {
                __m256 p = j < nt ? exp256(_mm256_sub_ps(acc[j], mnew)) : _mm256_setzero_ps();
                lsum = _mm256_add_ps(lsum, p);
                _mm256_store_ps(Pt + j * H8 + hb, p);
            }
            _mm256_store_ps(L + hb, _mm256_fmadd_ps(_mm256_load_ps(L + hb), corr, lsum));
            _mm256_store_ps(M + hb, mnew);
            _mm256_store_ps(C + hb, corr);
        }
        for (size_t h = 0; h < H; h++) {
            float *o = wk->o + h * dv;
            __m256 c = _mm256_set1_ps(C[h]);
            for (size_t d0 = 0; d0 < dv; d0 += 64) {
                size_t nd = MTOK_MIN((size_t)8, (dv - d0) / 8);
                __m256 a[8];
                for (size_t i = 0; i < nd; i++)
                    a[i] = _mm256_mul_ps(_mm256_loadu_ps(o + d0 + 8 * i), c);
                for (size_t j = 0; j < nt; j++) {
                    __m256 p = _mm256_set1_ps(Pt[j * H8 + h]);
                    for (size_t i = 0; i < nd; i++)
                        a[i] = _mm256_fmadd_ps(p, _mm256_loadu_ps(E + j * dim + d0 + 8 * i), a[i]);
                }
                for (size_t i = 0; i < nd; i++)
                    _mm256_storeu_ps(o + d0 + 8 * i, a[i]);
            }
        }
    }
    for (size_t h = 0; h < H; h++) {
        wk->m[h] = M[h];
        wk->l[h] = L[h];
    }
    mtok_kfree(buf);
}

void mtok_ktab_fill_avx2(struct mtok_ktab *t, const struct mtok_cpu *cpu)
{
    (void)cpu;
    t->f32_to_bf16 = f32_to_bf16_avx2;
    t->bf16_to_f32 = bf16_to_f32_avx2;
    t->cvt_name = "cvt_avx2";
    t->gemv[MTOK_F32] = (struct mtok_gemv_slot){prep_f32_bytes, prep_f32, gemv_f32_avx2, 4,
                                                MTOK_F32, "gemv_f32_avx2_4row"};
    t->gemv[MTOK_BF16] = (struct mtok_gemv_slot){prep_f32_bytes, prep_f32r, gemv_bf16_avx2, 1,
                                                 MTOK_F32, "gemv_bf16_avx2_cvt"};
    t->gemv[MTOK_FP8] = (struct mtok_gemv_slot){prep_f32_bytes, prep_f32r, gemv_fp8_avx2, 1,
                                                MTOK_F32, "gemv_fp8_avx2_f16cvt"};
    t->gemv[MTOK_MXFP4] = (struct mtok_gemv_slot){mtok_prep_q8blk_bytes, mtok_prep_q8blk,
                                                  gemv_fp4_avx2, 16, MTOK_INT8,
                                                  "gemv_mxfp4_avx2_16row"};
    t->gemv[MTOK_NVFP4] = (struct mtok_gemv_slot){mtok_prep_q8blk_bytes, mtok_prep_q8blk,
                                                  gemv_fp4_avx2, 16, MTOK_INT8,
                                                  "gemv_nvfp4_avx2_16row"};
    t->gemv[MTOK_INT8] = (struct mtok_gemv_slot){prep_q8row_bytes, prep_q8row, gemv_int8_avx2, 1,
                                                 MTOK_INT8, "gemv_int8_avx2_sign"};
    t->ukr_f32 = ukr_f32_avx2_16x6;
    t->mr_f32 = 16;
    t->nr_f32 = 6;
    t->ukr_f32_name = "gemm_f32_avx2_16x6";
    t->swiglu = swiglu_avx2;
    t->softmax = softmax_avx2;
    t->elem_name = "elementwise_avx2";
    t->gqa = gqa_avx2;
    t->gqa_name = "attn_gqa_avx2_bt8";
    t->mqa = mqa_avx2;
    t->mqa_name = "attn_mqa_avx2_heads8";
}
