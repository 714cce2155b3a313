/* Scalar reference kernels: the definition every SIMD variant is tested against. Plain C, double
 * accumulation where it costs nothing in clarity, no cleverness. */
#include <math.h>
#include <stdlib.h>

#include "kernels/internal.h"

/* ---- conversions ---- */

static void f32_to_bf16_ref(const float *x, uint16_t *o, size_t n)
{
    for (size_t i = 0; i < n; i++)
        o[i] = mtok_bf16_from_f32(x[i]);
}
static void bf16_to_f32_ref(const uint16_t *x, float *o, size_t n)
{
    for (size_t i = 0; i < n; i++)
        o[i] = mtok_bf16_to_f32(x[i]);
}
static void f32_to_e4m3_ref(const float *x, uint8_t *o, size_t n)
{
    for (size_t i = 0; i < n; i++)
        o[i] = mtok_e4m3_from_f32(x[i]);
}
static void e4m3_to_f32_ref(const uint8_t *x, float *o, size_t n)
{
    for (size_t i = 0; i < n; i++)
        o[i] = mtok_e4m3_to_f32(x[i]);
}
static void f32_to_e5m2_ref(const float *x, uint8_t *o, size_t n)
{
    for (size_t i = 0; i < n; i++)
        o[i] = mtok_e5m2_from_f32(x[i]);
}

/* ---- GEMV: x rounded as the format says, weights dequantised, dot in double ---- */

static size_t prep_bytes_ref(const struct mtok_wmat *w) { return w->k * sizeof(float); }
static void prep_ref(const struct mtok_wmat *w, const float *x, void *buf)
{
    mtok_act_effective(w->dtype, mtok_act_block(w), x, w->k, buf);
}
static void gemv_ref(const struct mtok_wmat *w, const void *xp, float *y, size_t r0, size_t r1)
{
    const float *x = xp;
    float *row = mtok_xmalloc(w->k * sizeof *row);
    for (size_t r = r0; r < r1; r++) {
        mtok_wmat_dequant_rows(w, r, r + 1, row);
        double acc = 0;
        for (size_t c = 0; c < w->k; c++)
            acc += (double)x[c] * row[c];
        y[r] = (float)acc;
    }
    free(row);
}

/* ---- GEMM panel packing (a transpose of 32-bit elements) ---- */

static void pack32_ref(const void *src, size_t ld, size_t rows, size_t kc, size_t width, void *dst)
{
    const char *s = src;
    char *d = dst;
    const uint32_t zero = 0;
    for (size_t p = 0; p < kc; p++)
        for (size_t r = 0; r < width; r++)
            memcpy(d + 4 * (p * width + r), r < rows ? s + 4 * (r * ld + p) : (const char *)&zero, 4);
}

/* ---- element-wise ---- */

void mtok_rmsnorm_ref(float *y, const float *x, const float *w, size_t n, float eps)
{
    double ss = 0;
    for (size_t i = 0; i < n; i++)
        ss += (double)x[i] * x[i];
    float r = (float)(1.0 / sqrt(ss / (double)n + eps));
    for (size_t i = 0; i < n; i++)
        y[i] = x[i] * r * (w ? w[i] : 1.0f);
}

void mtok_swiglu_ref(float *out, const float *gate, const float *up, size_t n, float limit)
{
    for (size_t i = 0; i < n; i++) {
        float g = gate[i], u = up[i];
        if (limit > 0) {
            g = fminf(g, limit);
            u = fminf(fmaxf(u, -limit), limit);
        }
        out[i] = g / (1.0f + expf(-g)) * u;
    }
}

void mtok_softmax_ref(float *x, size_t n)
{
    if (n == 0)
        return;
    float m = -INFINITY;
    for (size_t i = 0; i < n; i++)
        m = fmaxf(m, x[i]);
    double s = 0;
    for (size_t i = 0; i < n; i++) {
        x[i] = expf(x[i] - m);
        s += x[i];
    }
    float inv = (float)(1.0 / s);
    for (size_t i = 0; i < n; i++)
        x[i] *= inv;
}

/* ---- attention workers: one online-softmax update per visible score ---- */

static inline void online_update(float *m, float *l, float *o, size_t dv, float s, const float *v)
{
    if (s > *m) {
        float c = expf(*m - s); /* m = -inf: c = 0 */
        *l = *l * c + 1.0f;
        for (size_t d = 0; d < dv; d++)
            o[d] = o[d] * c + v[d];
        *m = s;
    } else {
        float p = expf(s - *m);
        *l += p;
        for (size_t d = 0; d < dv; d++)
            o[d] += p * v[d];
    }
}

static void kv_row_f32(enum mtok_dtype dt, const void *base, size_t off, size_t n, float *out)
{
    if (dt == MTOK_F32)
        memcpy(out, (const float *)base + off, n * sizeof *out);
    else
        for (size_t i = 0; i < n; i++)
            out[i] = mtok_bf16_to_f32(((const uint16_t *)base)[off + i]);
}

static void gqa_ref(const struct mtok_gqa_work *wk, size_t t0, size_t t1)
{
    float *k = mtok_xmalloc((wk->dqk + wk->dv) * sizeof *k), *v = k + wk->dqk;
    for (size_t t = t0; t < t1; t++)
        for (size_t j = 0; j < wk->nkv; j++) {
            kv_row_f32(wk->kv_dtype, wk->k, t * wk->k_ps + j * wk->k_hs, wk->dqk, k);
            kv_row_f32(wk->kv_dtype, wk->v, t * wk->v_ps + j * wk->v_hs, wk->dv, v);
            for (size_t g = 0; g < wk->G; g++) {
                size_t r = j * wk->G + g;
                if ((int64_t)t < wk->lo[r] || (int64_t)t > wk->hi[r])
                    continue;
                const float *q = wk->q + r * wk->q_rs;
                double dot = 0;
                for (size_t d = 0; d < wk->dqk; d++)
                    dot += (double)q[d] * k[d];
                online_update(&wk->m[r], &wk->l[r], wk->o + r * wk->dv, wk->dv,
                              (float)dot * wk->scale, v);
            }
        }
    free(k);
}

static void mqa_ref(const struct mtok_mqa_work *wk, const void *const *entries, size_t n)
{
    float *e = mtok_xmalloc(wk->dim * sizeof *e);
    for (size_t t = 0; t < n; t++) {
        mtok_kv_load(wk->fmt, wk->dim, entries[t], e);
        for (size_t h = 0; h < wk->heads; h++) {
            const float *q = wk->q + h * wk->dim;
            double dot = 0;
            for (size_t d = 0; d < wk->dim; d++)
                dot += (double)q[d] * e[d];
            online_update(&wk->m[h], &wk->l[h], wk->o + h * wk->dv, wk->dv,
                          (float)dot * wk->scale, e);
        }
    }
    free(e);
}

static void indexer_ref(const struct mtok_indexer *ix, size_t t0, size_t t1)
{
    size_t kb = mtok_ikey_bytes(ix->dim);
    float *key = mtok_xmalloc(ix->dim * sizeof *key);
    for (size_t t = t0; t < t1; t++) {
        const uint8_t *src = (const uint8_t *)ix->keys + t * kb;
        mtok_dequant_mxfp4(src, src + ix->dim / 2, ix->dim, key);
        double score = 0;
        for (size_t h = 0; h < ix->heads; h++) {
            double dot = 0;
            for (size_t d = 0; d < ix->dim; d++)
                dot += (double)ix->q[h * ix->dim + d] * key[d];
            dot *= ix->scale;
            score += (double)ix->w[h] * (dot > 0 ? dot : 0);
        }
        ix->scores[t] = (float)score;
    }
    free(key);
}

void mtok_ktab_fill_ref(struct mtok_ktab *t, const struct mtok_cpu *cpu)
{
    (void)cpu;
    t->f32_to_bf16 = f32_to_bf16_ref;
    t->bf16_to_f32 = bf16_to_f32_ref;
    t->f32_to_e4m3 = f32_to_e4m3_ref;
    t->e4m3_to_f32 = e4m3_to_f32_ref;
    t->f32_to_e5m2 = f32_to_e5m2_ref;
    t->q8_quant = mtok_q8_quant_ref;
    t->cvt_name = "cvt_ref";
    static const enum mtok_dtype dts[] = {MTOK_F32, MTOK_BF16, MTOK_FP8, MTOK_MXFP4, MTOK_NVFP4,
                                          MTOK_INT8};
    static const char *const names[] = {"gemv_f32_ref", "gemv_bf16_ref", "gemv_fp8_ref",
                                        "gemv_mxfp4_ref", "gemv_nvfp4_ref", "gemv_int8_ref"};
    for (size_t i = 0; i < sizeof dts / sizeof dts[0]; i++)
        t->gemv[dts[i]] = (struct mtok_gemv_slot){prep_bytes_ref, prep_ref, gemv_ref, 1, MTOK_F32,
                                                  names[i]};
    t->pack32 = pack32_ref;
    t->ukr_f32 = NULL; /* the reference GEMM is a plain triple loop (gemm.c) */
    t->ukr_f32_name = "gemm_ref";
    t->ukr_bf16 = NULL;
    t->ukr_bf16_name = "gemm_ref";
    t->rmsnorm = mtok_rmsnorm_ref;
    t->swiglu = mtok_swiglu_ref;
    t->softmax = mtok_softmax_ref;
    t->elem_name = "elementwise_ref";
    t->gqa = gqa_ref;
    t->gqa_name = "attn_gqa_ref";
    t->mqa = mqa_ref;
    t->mqa_name = "attn_mqa_ref";
    t->indexer = indexer_ref;
    t->indexer_name = "indexer_mxfp4_ref";
}
