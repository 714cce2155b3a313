/* Number formats (scalar reference conversions, block quantisers) and weight matrices. The scalar
 * conversions here are THE definition; SIMD versions are tested bit-exact against them, and they
 * are tested against brute-force nearest-value search over the decode tables. Assumes the default
 * floating-point environment (round to nearest even, no flush-to-zero). */
#include <float.h>
#include <math.h>
#include <omp.h>
#include <pthread.h>
#include <stdlib.h>

#include "kernels/internal.h"

/* ---- scalar conversions ---- */

uint16_t mtok_bf16_from_f32(float x)
{
    uint32_t u = mtok_bits_from_f32(x);
    if ((u & 0x7FFFFFFFu) > 0x7F800000u)
        return (uint16_t)((u >> 16) | 0x40);
    return (uint16_t)((u + 0x7FFFu + ((u >> 16) & 1)) >> 16);
}

float mtok_bf16_to_f32(uint16_t b) { return mtok_f32_from_bits((uint32_t)b << 16); }

/* Magnitude code of a non-negative finite f32 in a minifloat with mb mantissa bits, exponent bias
 * `bias` (normals from 2^(1-bias)), rounded to nearest even, not saturated (may exceed the format). */
static uint64_t minifloat_code(float a, int mb, int bias)
{
    uint32_t u = mtok_bits_from_f32(a);
    int ef = (int)(u >> 23);
    uint64_t m = u & 0x7FFFFFu;
    int e;
    if (ef == 0) {
        e = -126;
    } else {
        e = ef - 127;
        m |= 0x800000u;
    }
    if (m == 0)
        return 0;
    int emin = 1 - bias;
    int eq = e < emin ? emin : e;
    int sh = 23 + eq - mb - e; /* value / quantum = m * 2^-sh */
    uint64_t q;
    if (sh >= 48)
        q = 0;
    else
        q = (m + ((1ull << (sh - 1)) - 1) + ((m >> sh) & 1)) >> sh;
    return ((uint64_t)(eq + bias - 1) << mb) + q;
}

static uint8_t minifloat_from_f32(float x, int mb, int bias, uint8_t maxmag, uint8_t nan_code,
                                  uint8_t sign_bit)
{
    uint32_t u = mtok_bits_from_f32(x);
    uint8_t s = (u >> 31) ? sign_bit : 0;
    if ((u & 0x7FFFFFFFu) > 0x7F800000u)
        return (uint8_t)(nan_code | s);
    if ((u & 0x7FFFFFFFu) == 0x7F800000u)
        return (uint8_t)(maxmag | s);
    uint64_t c = minifloat_code(fabsf(x), mb, bias);
    if (c > maxmag)
        c = maxmag;
    return (uint8_t)(c | s);
}

static float minifloat_to_f32(unsigned c, int eb, int mb, int bias)
{
    unsigned mag = c & ((1u << (eb + mb)) - 1);
    unsigned E = mag >> mb, M = mag & ((1u << mb) - 1);
    float v = E == 0 ? ldexpf((float)M, 1 - bias - mb) : ldexpf((float)((1u << mb) + M), (int)E - bias - mb);
    return (c >> (eb + mb)) & 1 ? -v : v;
}

uint8_t mtok_e4m3_from_f32(float x) { return minifloat_from_f32(x, 3, 7, 0x7E, 0x7F, 0x80); }

float mtok_e4m3_to_f32(uint8_t c)
{
    if ((c & 0x7F) == 0x7F)
        return (c & 0x80) ? -NAN : NAN;
    return minifloat_to_f32(c, 4, 3, 7);
}

uint8_t mtok_e5m2_from_f32(float x) { return minifloat_from_f32(x, 2, 15, 0x7B, 0x7E, 0x80); }

float mtok_e5m2_to_f32(uint8_t c)
{
    if ((c & 0x7C) == 0x7C) {
        if ((c & 3) == 0)
            return (c & 0x80) ? -INFINITY : INFINITY;
        return (c & 0x80) ? -NAN : NAN;
    }
    return minifloat_to_f32(c, 5, 2, 15);
}

uint8_t mtok_e2m1_from_f32(float x)
{
    if (isnan(x))
        return 0;
    return minifloat_from_f32(x, 1, 1, 0x7, 0, 0x8);
}

float mtok_e2m1_to_f32(uint8_t c) { return minifloat_to_f32(c & 15u, 2, 1, 1); }

float mtok_e8m0_to_f32(uint8_t c) { return c == 255 ? NAN : ldexpf(1.0f, (int)c - 127); }

const int8_t mtok_e2m1_x2[16] = {0, 1, 2, 3, 4, 6, 8, 12, 0, -1, -2, -3, -4, -6, -8, -12};

static float g_e4m3_table[256];
static pthread_once_t g_e4m3_once = PTHREAD_ONCE_INIT;
static void e4m3_table_init(void)
{
    for (int c = 0; c < 256; c++)
        g_e4m3_table[c] = mtok_e4m3_to_f32((uint8_t)c);
}
const float *mtok_e4m3_table(void)
{
    pthread_once(&g_e4m3_once, e4m3_table_init);
    return g_e4m3_table;
}

/* ---- array conversions (dispatched) ---- */

void mtok_f32_to_bf16(const float *x, uint16_t *out, size_t n) { mtok_ktab()->f32_to_bf16(x, out, n); }
void mtok_bf16_to_f32_array(const uint16_t *x, float *out, size_t n) { mtok_ktab()->bf16_to_f32(x, out, n); }
void mtok_f32_to_e4m3(const float *x, uint8_t *out, size_t n) { mtok_ktab()->f32_to_e4m3(x, out, n); }
void mtok_e4m3_to_f32_array(const uint8_t *x, float *out, size_t n) { mtok_ktab()->e4m3_to_f32(x, out, n); }
void mtok_f32_to_e5m2(const float *x, uint8_t *out, size_t n) { mtok_ktab()->f32_to_e5m2(x, out, n); }

/* ---- block quantisers ---- */

void mtok_quant_mxfp4(const float *x, size_t n, uint8_t *nibbles, uint8_t *scales)
{
    size_t nb = MTOK_CEIL_DIV(n, 32);
    for (size_t b = 0; b < nb; b++) {
        size_t i0 = b * 32, i1 = MTOK_MIN(n, i0 + 32);
        float amax = 0;
        bool bad = false;
        for (size_t i = i0; i < i1; i++) {
            float a = fabsf(x[i]);
            if (!isfinite(a))
                bad = true;
            else if (a > amax)
                amax = a;
        }
        int E = -127;
        if (bad) {
            scales[b] = 255;
        } else if (amax > 0) {
            int ex;
            frexpf(amax, &ex); /* amax = f * 2^ex, f in [0.5, 1): floor(log2 amax) = ex - 1 */
            E = MTOK_MAX(-127, MTOK_MIN(127, ex - 1 - 2));
            scales[b] = (uint8_t)(E + 127);
        } else {
            scales[b] = 0;
        }
        uint8_t *dst = nibbles + b * 16;
        for (int j = 0; j < 16; j++) {
            size_t i = i0 + 2 * (size_t)j;
            uint8_t lo = 0, hi = 0;
            if (!bad && amax > 0) {
                if (i < i1)
                    lo = mtok_e2m1_from_f32(ldexpf(x[i], -E));
                if (i + 1 < i1)
                    hi = mtok_e2m1_from_f32(ldexpf(x[i + 1], -E));
            }
            dst[j] = (uint8_t)(lo | (hi << 4));
        }
    }
}

void mtok_dequant_mxfp4(const uint8_t *nibbles, const uint8_t *scales, size_t n, float *out)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t c = (nibbles[i / 2] >> ((i & 1) * 4)) & 15;
        out[i] = mtok_e2m1_to_f32(c) * mtok_e8m0_to_f32(scales[i / 32]);
    }
}

float mtok_nvfp4_gscale(float amax)
{
    if (!(amax > 0) || !isfinite(amax))
        return 1.0f;
    return amax / (448.0f * 6.0f);
}

void mtok_quant_nvfp4(const float *x, size_t n, float gscale, uint8_t *nibbles, uint8_t *scales)
{
    size_t nb = MTOK_CEIL_DIV(n, 16);
    for (size_t b = 0; b < nb; b++) {
        size_t i0 = b * 16, i1 = MTOK_MIN(n, i0 + 16);
        float amax = 0;
        bool bad = false;
        for (size_t i = i0; i < i1; i++) {
            float a = fabsf(x[i]);
            if (!isfinite(a))
                bad = true;
            else if (a > amax)
                amax = a;
        }
        uint8_t sc = bad ? 0x7F : mtok_e4m3_from_f32(amax / 6.0f / gscale);
        scales[b] = sc;
        float s = bad ? 0.0f : mtok_e4m3_to_f32(sc) * gscale;
        uint8_t *dst = nibbles + b * 8;
        for (int j = 0; j < 8; j++) {
            size_t i = i0 + 2 * (size_t)j;
            uint8_t lo = 0, hi = 0;
            if (s > 0) {
                if (i < i1)
                    lo = mtok_e2m1_from_f32(x[i] / s);
                if (i + 1 < i1)
                    hi = mtok_e2m1_from_f32(x[i + 1] / s);
            }
            dst[j] = (uint8_t)(lo | (hi << 4));
        }
    }
}

void mtok_dequant_nvfp4(const uint8_t *nibbles, const uint8_t *scales, size_t n, float gscale,
                        float *out)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t c = (nibbles[i / 2] >> ((i & 1) * 4)) & 15;
        out[i] = mtok_e2m1_to_f32(c) * (mtok_e4m3_to_f32(scales[i / 16]) * gscale);
    }
}

/* ---- int8 activations ---- */

float mtok_q8_quant(const float *x, size_t n, int8_t *q) { return mtok_ktab()->q8_quant(x, n, q); }

float mtok_q8_quant_ref(const float *x, size_t n, int8_t *q)
{
    float amax = 0;
    for (size_t i = 0; i < n; i++)
        amax = fmaxf(amax, fabsf(x[i]));
    if (!(amax > 0) || !isfinite(amax)) {
        memset(q, 0, n);
        return 0.0f;
    }
    float inv = 127.0f / amax;
    for (size_t i = 0; i < n; i++) {
        float v = nearbyintf(x[i] * inv);
        q[i] = (int8_t)(v > 127 ? 127 : v < -127 ? -127 : v);
    }
    return amax / 127.0f;
}

size_t mtok_act_block(const struct mtok_wmat *w)
{
    switch (w->dtype) {
    case MTOK_MXFP4: return 32;
    case MTOK_NVFP4: return 16;
    case MTOK_INT8: return w->k;
    default: return 0;
    }
}

void mtok_act_effective(enum mtok_dtype wdtype, size_t bs, const float *x, size_t k, float *out)
{
    switch (wdtype) {
    case MTOK_BF16:
    case MTOK_FP8:
        for (size_t i = 0; i < k; i++)
            out[i] = mtok_bf16_to_f32(mtok_bf16_from_f32(x[i]));
        return;
    case MTOK_MXFP4:
    case MTOK_NVFP4:
    case MTOK_INT8: {
        int8_t q[64];
        int8_t *qq = bs <= 64 ? q : mtok_xmalloc(bs);
        for (size_t i0 = 0; i0 < k; i0 += bs) {
            size_t len = MTOK_MIN(bs, k - i0);
            float s = mtok_q8_quant(x + i0, len, qq);
            for (size_t i = 0; i < len; i++)
                out[i0 + i] = (float)qq[i] * s;
        }
        if (qq != q)
            free(qq);
        return;
    }
    default:
        memcpy(out, x, k * sizeof *out);
        return;
    }
}

/* ---- weight matrices ---- */

static size_t fp4_bs(enum mtok_dtype dt) { return dt == MTOK_MXFP4 ? 32 : 16; }

/* Byte offset and nibble shift of element (row, col) in the panel layout. */
static inline size_t fp4_pos(const struct mtok_wmat *w, size_t row, size_t col, int *shift)
{
    size_t bs = fp4_bs(w->dtype), kb = w->k_pad / bs;
    size_t p = row / 16, r = row % 16, b = col / bs, c = col % bs, g = c / 8, cc = c % 8;
    *shift = cc < 4 ? 0 : 4;
    return (p * kb + b) * (bs * 8) + g * 64 + r * 4 + (cc % 4);
}

static inline size_t fp4_scale_pos(const struct mtok_wmat *w, size_t row, size_t col)
{
    size_t bs = fp4_bs(w->dtype), kb = w->k_pad / bs;
    return ((row / 16) * kb + col / bs) * 16 + row % 16;
}

float mtok_wmat_get(const struct mtok_wmat *w, size_t row, size_t col)
{
    MTOK_ASSERT(row < w->n && col < w->k);
    switch (w->dtype) {
    case MTOK_F32: return ((const float *)w->data)[row * w->k + col];
    case MTOK_BF16: return mtok_bf16_to_f32(((const uint16_t *)w->data)[row * w->k + col]);
    case MTOK_FP8: {
        const float *s = w->scales;
        size_t kb = MTOK_CEIL_DIV(w->k, 128);
        return mtok_e4m3_to_f32(((const uint8_t *)w->data)[row * w->k + col]) *
               s[(row / 128) * kb + col / 128];
    }
    case MTOK_INT8:
        return (float)((const int8_t *)w->data)[row * w->k + col] * ((const float *)w->scales)[row];
    case MTOK_MXFP4:
    case MTOK_NVFP4: {
        int sh;
        size_t pos = fp4_pos(w, row, col, &sh); /* before reading sh: the call sets it */
        uint8_t c = (((const uint8_t *)w->data)[pos] >> sh) & 15;
        uint8_t sc = ((const uint8_t *)w->scales)[fp4_scale_pos(w, row, col)];
        float s = w->dtype == MTOK_MXFP4 ? mtok_e8m0_to_f32(sc) : mtok_e4m3_to_f32(sc) * w->gscale;
        return mtok_e2m1_to_f32(c) * s;
    }
    default: MTOK_ASSERT(!"unsupported weight format"); return 0;
    }
}

void mtok_wmat_dequant_rows(const struct mtok_wmat *w, size_t r0, size_t r1, float *out)
{
    MTOK_ASSERT(r0 <= r1 && r1 <= w->n);
    size_t k = w->k;
    for (size_t r = r0; r < r1; r++) {
        float *o = out + (r - r0) * k;
        switch (w->dtype) {
        case MTOK_F32: memcpy(o, (const float *)w->data + r * k, k * sizeof *o); break;
        case MTOK_BF16: {
            const uint16_t *s = (const uint16_t *)w->data + r * k;
            for (size_t c = 0; c < k; c++)
                o[c] = mtok_bf16_to_f32(s[c]);
            break;
        }
        case MTOK_FP8: {
            const uint8_t *s = (const uint8_t *)w->data + r * k;
            const float *sc = (const float *)w->scales + (r / 128) * MTOK_CEIL_DIV(k, 128);
            const float *t = mtok_e4m3_table();
            for (size_t c = 0; c < k; c++)
                o[c] = t[s[c]] * sc[c / 128];
            break;
        }
        case MTOK_INT8: {
            const int8_t *s = (const int8_t *)w->data + r * k;
            float sc = ((const float *)w->scales)[r];
            for (size_t c = 0; c < k; c++)
                o[c] = (float)s[c] * sc;
            break;
        }
        case MTOK_MXFP4:
        case MTOK_NVFP4: {
            /* per block: the scale once, then a table lookup per nibble (the same products as
             * mtok_wmat_get, so the same values) */
            float e2m1[16];
            for (int i = 0; i < 16; i++)
                e2m1[i] = mtok_e2m1_to_f32((uint8_t)i);
            size_t bs = fp4_bs(w->dtype), kb = w->k_pad / bs, p = r / 16, rr = r % 16;
            const uint8_t *data = w->data, *scales = w->scales;
            for (size_t b = 0; b < kb && b * bs < k; b++) {
                uint8_t sc = scales[(p * kb + b) * 16 + rr];
                float sf = w->dtype == MTOK_MXFP4 ? mtok_e8m0_to_f32(sc)
                                                  : mtok_e4m3_to_f32(sc) * w->gscale;
                const uint8_t *blk = data + (p * kb + b) * (bs * 8);
                for (size_t c = 0; c < bs && b * bs + c < k; c++) {
                    uint8_t byte = blk[(c / 8) * 64 + rr * 4 + (c % 4)];
                    uint8_t nib = (c % 8) < 4 ? byte & 15 : byte >> 4;
                    o[b * bs + c] = e2m1[nib] * sf;
                }
            }
            break;
        }
        default:
            for (size_t c = 0; c < k; c++)
                o[c] = mtok_wmat_get(w, r, c);
            break;
        }
    }
}

double mtok_wmat_bytes(const struct mtok_wmat *w)
{
    return (double)w->n * (double)w->k * mtok_dtype_weight_bits(w->dtype) / 8;
}

void mtok_wmat_destroy(struct mtok_wmat *w)
{
    if (!w)
        return;
    mtok_kfree(w->data);
    mtok_kfree(w->scales);
    mtok_kfree(w->rowsum);
    free(w);
}

/* Quantise rows [r0, r1) of src into w (formats with per-row or per-panel independence). */
static void quant_rows(struct mtok_wmat *w, const float *src, size_t ld, size_t r0, size_t r1)
{
    size_t n = w->n, k = w->k;
    switch (w->dtype) {
    case MTOK_F32:
        for (size_t r = r0; r < r1; r++)
            memcpy((float *)w->data + r * k, src + r * ld, k * sizeof(float));
        break;
    case MTOK_BF16:
        for (size_t r = r0; r < r1; r++)
            for (size_t c = 0; c < k; c++)
                ((uint16_t *)w->data)[r * k + c] = mtok_bf16_from_f32(src[r * ld + c]);
        break;
    case MTOK_FP8: { /* r0, r1 are multiples of 128 (or n) */
        size_t kb = MTOK_CEIL_DIV(k, 128);
        for (size_t rb = r0; rb < r1; rb += 128)
            for (size_t cb = 0; cb < k; cb += 128) {
                size_t re = MTOK_MIN(n, rb + 128), ce = MTOK_MIN(k, cb + 128);
                float amax = 0;
                for (size_t r = rb; r < re; r++)
                    for (size_t c = cb; c < ce; c++)
                        amax = fmaxf(amax, fabsf(src[r * ld + c]));
                float s = amax > 0 && isfinite(amax) ? amax / 448.0f : 1.0f;
                ((float *)w->scales)[(rb / 128) * kb + cb / 128] = s;
                for (size_t r = rb; r < re; r++)
                    for (size_t c = cb; c < ce; c++)
                        ((uint8_t *)w->data)[r * k + c] = mtok_e4m3_from_f32(src[r * ld + c] / s);
            }
        break;
    }
    case MTOK_INT8:
        for (size_t r = r0; r < r1; r++) {
            int8_t *q = (int8_t *)w->data + r * k;
            ((float *)w->scales)[r] = mtok_q8_quant(src + r * ld, k, q);
            int32_t sum = 0;
            for (size_t c = 0; c < k; c++)
                sum += q[c];
            w->rowsum[r] = sum;
        }
        break;
    case MTOK_MXFP4:
    case MTOK_NVFP4: { /* r0, r1 multiples of 16 (or n) */
        size_t bs = fp4_bs(w->dtype), kb = w->k_pad / bs;
        uint8_t *nib = mtok_xmalloc(w->k_pad / 2), *sc = mtok_xmalloc(kb);
        for (size_t r = r0; r < r1; r++) {
            if (w->dtype == MTOK_MXFP4)
                mtok_quant_mxfp4(src + r * ld, k, nib, sc);
            else
                mtok_quant_nvfp4(src + r * ld, k, w->gscale, nib, sc);
            for (size_t c = 0; c < w->k_pad; c++) {
                int sh;
                uint8_t code = (nib[c / 2] >> ((c & 1) * 4)) & 15;
                size_t pos = fp4_pos(w, r, c, &sh);
                ((uint8_t *)w->data)[pos] |= (uint8_t)(code << sh);
            }
            for (size_t b = 0; b < kb; b++)
                ((uint8_t *)w->scales)[fp4_scale_pos(w, r, b * bs)] = sc[b];
        }
        free(nib);
        free(sc);
        break;
    }
    default: break;
    }
}

enum mtok_status mtok_wmat_create(struct mtok_wmat **out, enum mtok_dtype dtype, size_t n,
                                  size_t k, const float *src, size_t ld, struct mtok_error *err)
{
    *out = NULL;
    if (n == 0 || k == 0)
        return mtok_error_set(err, MTOK_EINVAL, "weight matrix %zu x %zu: empty", n, k);
    if (src && ld < k)
        return mtok_error_set(err, MTOK_EINVAL, "weight matrix: leading dimension %zu < k %zu",
                              ld, k);
    struct mtok_wmat *w = mtok_xcalloc(1, sizeof *w);
    w->dtype = dtype;
    w->n = w->n_pad = n;
    w->k = w->k_pad = k;
    w->gscale = 1.0f;
    switch (dtype) {
    case MTOK_F32: w->data_bytes = n * k * 4; break;
    case MTOK_BF16: w->data_bytes = n * k * 2; break;
    case MTOK_FP8:
        w->data_bytes = n * k;
        w->scale_bytes = MTOK_CEIL_DIV(n, 128) * MTOK_CEIL_DIV(k, 128) * sizeof(float);
        break;
    case MTOK_INT8:
        w->data_bytes = n * k;
        w->scale_bytes = n * sizeof(float);
        w->rowsum = mtok_kcalloc(n * sizeof(int32_t));
        break;
    case MTOK_MXFP4:
    case MTOK_NVFP4:
        w->n_pad = MTOK_ROUND_UP(n, 16);
        w->k_pad = MTOK_ROUND_UP(k, fp4_bs(dtype));
        w->data_bytes = w->n_pad * w->k_pad / 2;
        w->scale_bytes = w->n_pad * (w->k_pad / fp4_bs(dtype));
        break;
    default:
        free(w);
        return mtok_error_set(err, MTOK_EUNSUPPORTED, "weight format %s is not supported",
                              mtok_dtype_name(dtype));
    }
    w->data = mtok_kcalloc(w->data_bytes);
    if (w->scale_bytes)
        w->scales = mtok_kcalloc(w->scale_bytes);
    if (!src) {
        if (dtype == MTOK_FP8)
            for (size_t i = 0; i < w->scale_bytes / sizeof(float); i++)
                ((float *)w->scales)[i] = 1.0f;
        *out = w;
        return MTOK_OK;
    }
    if (dtype == MTOK_NVFP4) {
        float amax = 0;
        for (size_t r = 0; r < n; r++)
            for (size_t c = 0; c < k; c++)
                amax = fmaxf(amax, fabsf(src[r * ld + c]));
        w->gscale = mtok_nvfp4_gscale(amax);
    }
    /* Independent row groups: 128 rows for fp8 blocks, 16-row panels for fp4. */
    size_t group = dtype == MTOK_FP8 ? 128 : 16;
    size_t ngroups = MTOK_CEIL_DIV(n, group);
    int nt = mtok_kernels_threads();
#pragma omp parallel for schedule(dynamic, 1) num_threads(nt) if (nt > 1 && n * k > 65536)
    for (size_t g = 0; g < ngroups; g++)
        quant_rows(w, src, ld, g * group, MTOK_MIN(n, (g + 1) * group));
    *out = w;
    return MTOK_OK;
}
