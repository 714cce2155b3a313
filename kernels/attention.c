/* Attention drivers: work splitting (query blocks for prefill, KV chunks for decode), the fixed-order
 * combine of partial softmaxes, KV-cache entry formats, the lightning indexer, top-k, and costs.
 * The per-block arithmetic is in the ISA variants (struct mtok_ktab: gqa, mqa, indexer). */
#include <math.h>
#include <omp.h>
#include <stdlib.h>

#include "kernels/internal.h"

/* ---- KV entry formats ---- */

size_t mtok_kv_fmt_entry_bytes(enum mtok_kv_fmt fmt, size_t dim)
{
    return fmt == MTOK_KV_V4 ? 584 : 2 * dim;
}

/* ue8m0 code of the smallest power of two >= amax / 448 (127 = 1 for an all-zero tile). */
static uint8_t v4_tile_scale(float amax)
{
    if (!(amax > 0) || !isfinite(amax))
        return 127;
    int ex;
    float f = frexpf(amax / 448.0f, &ex); /* v = f * 2^ex, f in [0.5, 1) */
    int e = f == 0.5f ? ex - 1 : ex;
    return (uint8_t)MTOK_MAX(0, MTOK_MIN(254, e + 127));
}

void mtok_kv_store(enum mtok_kv_fmt fmt, size_t dim, const float *entry, void *dst)
{
    uint8_t *d = dst;
    if (fmt == MTOK_KV_BF16) {
        for (size_t i = 0; i < dim; i++) {
            uint16_t b = mtok_bf16_from_f32(entry[i]);
            memcpy(d + 2 * i, &b, 2);
        }
        return;
    }
    MTOK_ASSERT(dim == 512);
    for (int t = 0; t < 7; t++) {
        float amax = 0;
        for (int i = 0; i < 64; i++)
            amax = fmaxf(amax, fabsf(entry[t * 64 + i]));
        uint8_t sc = v4_tile_scale(amax);
        d[576 + t] = sc;
        for (int i = 0; i < 64; i++)
            d[t * 64 + i] = mtok_e4m3_from_f32(ldexpf(entry[t * 64 + i], 127 - (int)sc));
    }
    for (int i = 0; i < 64; i++) {
        uint16_t b = mtok_bf16_from_f32(entry[448 + i]);
        memcpy(d + 448 + 2 * i, &b, 2);
    }
    d[583] = 0;
}

void mtok_kv_load(enum mtok_kv_fmt fmt, size_t dim, const void *src, float *entry)
{
    const uint8_t *s = src;
    if (fmt == MTOK_KV_BF16) {
        for (size_t i = 0; i < dim; i++) {
            uint16_t b;
            memcpy(&b, s + 2 * i, 2);
            entry[i] = mtok_bf16_to_f32(b);
        }
        return;
    }
    MTOK_ASSERT(dim == 512);
    const float *t = mtok_e4m3_table();
    for (int i = 0; i < 448; i++)
        entry[i] = t[s[i]] * mtok_e8m0_to_f32(s[576 + i / 64]);
    for (int i = 0; i < 64; i++) {
        uint16_t b;
        memcpy(&b, s + 448 + 2 * i, 2);
        entry[448 + i] = mtok_bf16_to_f32(b);
    }
}

/* ---- indexer keys ---- */

size_t mtok_ikey_bytes(size_t dim) { return dim / 2 + dim / 32; }

void mtok_ikey_store(size_t dim, const float *key, void *dst)
{
    MTOK_ASSERT(dim % 32 == 0);
    uint8_t *d = dst;
    mtok_quant_mxfp4(key, dim, d, d + dim / 2);
}

/* ---- online-softmax state ---- */

struct state {
    float *m, *l, *o;
};

static void state_init(struct state *s, size_t rows, size_t dv, float *mem)
{
    s->m = mem;
    s->l = mem + rows;
    s->o = mem + 2 * rows;
    for (size_t r = 0; r < rows; r++) {
        s->m[r] = -INFINITY;
        s->l[r] = 0;
    }
    memset(s->o, 0, rows * dv * sizeof(float));
}

/* Combine row r of `parts` states (in order) with an optional sink logit into out[dv]. */
static void combine(const struct state *parts, size_t nparts, size_t r, size_t dv,
                    const float *sink, float *out)
{
    float M = sink ? *sink : -INFINITY;
    for (size_t c = 0; c < nparts; c++)
        M = fmaxf(M, parts[c].m[r]);
    if (M == -INFINITY) {
        memset(out, 0, dv * sizeof *out);
        return;
    }
    double L = sink ? exp((double)*sink - M) : 0;
    for (size_t d = 0; d < dv; d++)
        out[d] = 0;
    for (size_t c = 0; c < nparts; c++) {
        if (parts[c].m[r] == -INFINITY)
            continue;
        float f = expf(parts[c].m[r] - M);
        L += (double)parts[c].l[r] * f;
        const float *o = parts[c].o + r * dv;
        for (size_t d = 0; d < dv; d++)
            out[d] += o[d] * f;
    }
    float inv = L > 0 ? (float)(1.0 / L) : 0;
    for (size_t d = 0; d < dv; d++)
        out[d] *= inv;
}

/* ---- GQA ---- */

static size_t kv_esz(enum mtok_dtype dt) { return dt == MTOK_F32 ? 4 : 2; }
static size_t k_hs(const struct mtok_gqa *a) { return a->k_head_stride ? a->k_head_stride : a->dqk; }
static size_t v_hs(const struct mtok_gqa *a) { return a->v_head_stride ? a->v_head_stride : a->dv; }
static size_t v_ps(const struct mtok_gqa *a) { return a->v_stride ? a->v_stride : a->kv_stride; }

/* Decode: the KV length split into chunks, each chunk covering every KV head (so the caches
 * stream contiguously), partial softmaxes combined in chunk order. */
static void gqa_decode(const struct mtok_ktab *t, const struct mtok_gqa *a)
{
    size_t G = a->heads / a->kv_heads;
    int64_t P = (int64_t)a->kv_len - 1;
    int64_t lo = a->window ? MTOK_MAX((int64_t)0, P - (int64_t)a->window + 1) : 0;
    size_t total = (size_t)(P + 1 - lo);
    int nt = mtok_kernels_threads();
    size_t nchunks = MTOK_MAX((size_t)1, MTOK_MIN(MTOK_CEIL_DIV(total, (size_t)256), (size_t)(4 * nt)));
    size_t per = a->heads * (2 + a->dv);
    float *mem = mtok_kalloc(nchunks * per * sizeof(float));
    struct state *st = mtok_xmalloc(nchunks * sizeof *st);
    int64_t *lim = mtok_xmalloc(2 * a->heads * sizeof *lim);
    for (size_t r = 0; r < a->heads; r++) {
        lim[r] = lo;
        lim[a->heads + r] = P;
    }
    if (total * a->heads * (a->dqk + a->dv) < 65536)
        nt = 1;
#pragma omp parallel for schedule(static) num_threads(nt)
    for (size_t c = 0; c < nchunks; c++) {
        size_t t0 = (size_t)lo + total * c / nchunks, t1 = (size_t)lo + total * (c + 1) / nchunks;
        state_init(&st[c], a->heads, a->dv, mem + c * per);
        struct mtok_gqa_work wk = {
            .nkv = a->kv_heads, .G = G, .dqk = a->dqk, .dv = a->dv, .q = a->q, .q_rs = a->dqk,
            .kv_dtype = a->kv_dtype, .k = a->k, .v = a->v, .k_ps = a->kv_stride, .v_ps = v_ps(a),
            .k_hs = k_hs(a), .v_hs = v_hs(a), .lo = lim,
            .hi = lim + a->heads, .scale = a->scale, .m = st[c].m, .l = st[c].l, .o = st[c].o};
        if (t1 > t0)
            t->gqa(&wk, t0, t1);
    }
    for (size_t h = 0; h < a->heads; h++)
        combine(st, nchunks, h, a->dv, a->sinks ? a->sinks + h : NULL, a->out + h * a->dv);
    free(lim);
    free(st);
    mtok_kfree(mem);
}

static void gqa_prefill(const struct mtok_ktab *t, const struct mtok_gqa *a)
{
    size_t G = a->heads / a->kv_heads, esz = kv_esz(a->kv_dtype);
    size_t bq = MTOK_MAX((size_t)1, 64 / G), nqb = MTOK_CEIL_DIV(a->q_len, bq);
    size_t items = a->kv_heads * nqb, R = bq * G;
    int nt = mtok_kernels_threads();
#pragma omp parallel num_threads(nt)
    {
        float *mem = mtok_kalloc(R * (2 + a->dv + a->dqk) * sizeof(float));
        int64_t *lim = mtok_xmalloc(2 * R * sizeof *lim);
#pragma omp for schedule(dynamic, 1)
        for (size_t it = 0; it < items; it++) {
            size_t hk = it / nqb, qb = it % nqb;
            size_t i0 = qb * bq, nq = MTOK_MIN(bq, a->q_len - i0), rows = nq * G;
            struct state st;
            state_init(&st, rows, a->dv, mem);
            float *q = mem + rows * (2 + a->dv);
            int64_t tmin = INT64_MAX, tmax = -1;
            for (size_t i = 0; i < nq; i++) {
                int64_t P = (int64_t)(a->kv_len - a->q_len + i0 + i);
                int64_t lo = a->window ? MTOK_MAX((int64_t)0, P - (int64_t)a->window + 1) : 0;
                for (size_t g = 0; g < G; g++) {
                    size_t r = i * G + g;
                    lim[r] = lo;
                    lim[rows + r] = P;
                    memcpy(q + r * a->dqk, a->q + (i0 + i) * a->q_stride + (hk * G + g) * a->dqk,
                           a->dqk * sizeof(float));
                }
                tmin = MTOK_MIN(tmin, lo);
                tmax = MTOK_MAX(tmax, P);
            }
            struct mtok_gqa_work wk = {
                .nkv = 1, .G = rows, .dqk = a->dqk, .dv = a->dv, .q = q, .q_rs = a->dqk,
                .kv_dtype = a->kv_dtype,
                .k = (const char *)a->k + hk * k_hs(a) * esz,
                .v = (const char *)a->v + hk * v_hs(a) * esz,
                .k_ps = a->kv_stride, .v_ps = v_ps(a), .k_hs = 0, .v_hs = 0, .lo = lim,
                .hi = lim + rows, .scale = a->scale,
                .m = st.m, .l = st.l, .o = st.o};
            t->gqa(&wk, (size_t)tmin, (size_t)tmax + 1);
            for (size_t i = 0; i < nq; i++)
                for (size_t g = 0; g < G; g++) {
                    size_t h = hk * G + g;
                    combine(&st, 1, i * G + g, a->dv, a->sinks ? a->sinks + h : NULL,
                            a->out + (i0 + i) * a->out_stride + h * a->dv);
                }
        }
        free(lim);
        mtok_kfree(mem);
    }
}

void mtok_attn_gqa(const struct mtok_gqa *a)
{
    MTOK_ASSERT(a && a->q && a->k && a->v && a->out);
    MTOK_ASSERT(a->kv_heads > 0 && a->heads % a->kv_heads == 0);
    MTOK_ASSERT(a->q_len >= 1 && a->q_len <= a->kv_len);
    MTOK_ASSERT(a->kv_dtype == MTOK_F32 || a->kv_dtype == MTOK_BF16);
    MTOK_ASSERT(a->kv_stride >= a->dqk && v_ps(a) >= a->dv);
    MTOK_ASSERT(a->k_head_stride || a->kv_stride >= a->kv_heads * a->dqk);
    MTOK_ASSERT(a->v_head_stride || v_ps(a) >= a->kv_heads * a->dv);
    const struct mtok_ktab *t = mtok_ktab();
    if (a->q_len == 1)
        gqa_decode(t, a);
    else
        gqa_prefill(t, a);
}

struct mtok_op mtok_attn_gqa_op(const char *name, const struct mtok_gqa *a)
{
    double seen = 0, first = (double)a->kv_len;
    for (size_t i = 0; i < a->q_len; i++) {
        double P = (double)(a->kv_len - a->q_len + i);
        double lo = a->window ? fmax(0, P - (double)a->window + 1) : 0;
        seen += P - lo + 1;
        first = fmin(first, lo);
    }
    struct mtok_attn_shape s = {
        .batch = 1, .q_len = (double)a->q_len, .kv_len = seen / (double)a->q_len,
        .kv_read = (double)a->kv_len - first, .kv_write = 0, .heads = (double)a->heads,
        .kv_heads = (double)a->kv_heads, .dqk = (double)a->dqk, .dv = (double)a->dv,
        .kv_entry_bytes = (double)((a->dqk + a->dv) * kv_esz(a->kv_dtype))};
    struct mtok_op op = mtok_op_attention(name, &s, MTOK_F32, MTOK_F32);
    op.wdtype = a->kv_dtype; /* the KV cache's format (sim.h: mtok_calib_dtype) */
    return op;
}

/* ---- shared-KV MQA ---- */

void mtok_attn_mqa(const struct mtok_mqa *a)
{
    MTOK_ASSERT(a && a->q && a->out && a->dv <= a->dim && (a->segs || a->n_segs == 0));
    MTOK_ASSERT(a->fmt == MTOK_KV_BF16 || a->dim == 512);
    const struct mtok_ktab *t = mtok_ktab();
    size_t n = 0, eb = mtok_kv_fmt_entry_bytes(a->fmt, a->dim);
    for (size_t s = 0; s < a->n_segs; s++)
        n += a->segs[s].n;
    const void **ent = mtok_xmalloc(MTOK_MAX(n, (size_t)1) * sizeof *ent);
    size_t e = 0;
    for (size_t s = 0; s < a->n_segs; s++) {
        const struct mtok_kv_seg *g = &a->segs[s];
        for (size_t i = 0; i < g->n; i++)
            ent[e++] = (const char *)g->base + (g->idx ? (size_t)g->idx[i] : i) * eb;
    }
    int nt = mtok_kernels_threads();
    size_t nchunks = MTOK_MAX((size_t)1, MTOK_MIN(MTOK_CEIL_DIV(n, (size_t)64), (size_t)(4 * nt)));
    if (n * a->heads * a->dim < 65536)
        nt = 1;
    size_t per = a->heads * (2 + a->dv);
    float *mem = mtok_kalloc(nchunks * per * sizeof(float));
    struct state *st = mtok_xmalloc(nchunks * sizeof *st);
#pragma omp parallel for schedule(static) num_threads(nt)
    for (size_t c = 0; c < nchunks; c++) {
        size_t t0 = n * c / nchunks, t1 = n * (c + 1) / nchunks;
        state_init(&st[c], a->heads, a->dv, mem + c * per);
        struct mtok_mqa_work wk = {.heads = a->heads, .dim = a->dim, .dv = a->dv, .q = a->q,
                                   .scale = a->scale, .fmt = a->fmt, .m = st[c].m, .l = st[c].l,
                                   .o = st[c].o};
        if (t1 > t0)
            t->mqa(&wk, (const void *const *)ent + t0, t1 - t0);
    }
    for (size_t h = 0; h < a->heads; h++)
        combine(st, nchunks, h, a->dv, a->sinks ? a->sinks + h : NULL, a->out + h * a->dv);
    free(st);
    mtok_kfree(mem);
    free(ent);
}

struct mtok_op mtok_attn_mqa_op(const char *name, const struct mtok_mqa *a)
{
    double n = 0;
    for (size_t s = 0; s < a->n_segs; s++)
        n += (double)a->segs[s].n;
    struct mtok_attn_shape s = {
        .batch = 1, .q_len = 1, .kv_len = n, .kv_read = n, .kv_write = 0,
        .heads = (double)a->heads, .kv_heads = 1, .dqk = (double)a->dim, .dv = (double)a->dv,
        .kv_entry_bytes = (double)mtok_kv_fmt_entry_bytes(a->fmt, a->dim)};
    struct mtok_op op = mtok_op_attention(name, &s, MTOK_F32, MTOK_F32);
    op.wdtype = a->fmt == MTOK_KV_V4 ? MTOK_FP8 : MTOK_BF16; /* the KV format's quantised part */
    return op;
}

/* ---- lightning indexer ---- */

void mtok_indexer_score(const struct mtok_indexer *ix)
{
    MTOK_ASSERT(ix && ix->q && ix->w && ix->scores && (ix->keys || ix->n_keys == 0));
    MTOK_ASSERT(ix->dim % 32 == 0);
    if (ix->n_keys == 0)
        return;
    const struct mtok_ktab *t = mtok_ktab();
    int nt = mtok_kernels_threads();
    size_t nchunks = MTOK_MAX((size_t)1, MTOK_MIN(MTOK_CEIL_DIV(ix->n_keys, (size_t)64),
                                                  (size_t)(4 * nt)));
    if (ix->n_keys * ix->heads * ix->dim < 65536)
        nt = 1;
#pragma omp parallel for schedule(static) num_threads(nt)
    for (size_t c = 0; c < nchunks; c++) {
        size_t t0 = ix->n_keys * c / nchunks, t1 = ix->n_keys * (c + 1) / nchunks;
        if (t1 > t0)
            t->indexer(ix, t0, t1);
    }
}

struct mtok_op mtok_indexer_op(const char *name, const struct mtok_indexer *ix, size_t topk)
{
    struct mtok_op op =
        mtok_op_indexer(name, 1, 1, (double)ix->n_keys, (double)ix->heads, (double)ix->dim,
                        (double)mtok_ikey_bytes(ix->dim), (double)topk, MTOK_F32, MTOK_F32);
    op.wdtype = MTOK_MXFP4; /* the keys' format (sim.h: mtok_calib_dtype) */
    return op;
}

/* ---- top-k ---- */

/* Order-preserving map of floats to unsigned keys; NaN maps to 0 (below -inf). */
static inline uint32_t sort_key(float f)
{
    if (isnan(f))
        return 0;
    uint32_t u = mtok_bits_from_f32(f);
    return (u >> 31) ? ~u : (u | 0x80000000u);
}

/* The k-th largest (k >= 1) of a[0..n), reordering a. */
static uint32_t select_kth_largest(uint32_t *a, size_t n, size_t k)
{
    size_t lo = 0, hi = n, want = k - 1; /* index in descending order */
    while (hi - lo > 1) {
        uint32_t x = a[lo], y = a[lo + (hi - lo) / 2], z = a[hi - 1];
        uint32_t p = x > y ? (y > z ? y : (x > z ? z : x)) : (x > z ? x : (y > z ? z : y));
        /* three-way partition into > p | == p | < p */
        size_t i = lo, gt = lo, lt = hi;
        while (i < lt) {
            if (a[i] > p) {
                uint32_t tmp = a[i];
                a[i++] = a[gt];
                a[gt++] = tmp;
            } else if (a[i] < p) {
                uint32_t tmp = a[i];
                a[i] = a[--lt];
                a[lt] = tmp;
            } else {
                i++;
            }
        }
        /* [lo, gt) > p, [gt, lt) == p, [lt, hi) < p */
        if (want < gt)
            hi = gt;
        else if (want < lt)
            return p;
        else
            lo = lt;
    }
    return a[lo];
}

size_t mtok_topk(const float *scores, size_t n, size_t k, int32_t *idx)
{
    if (k == 0 || n == 0)
        return 0;
    if (k >= n) {
        for (size_t i = 0; i < n; i++)
            idx[i] = (int32_t)i;
        return n;
    }
    uint32_t *keys = mtok_xmalloc(n * sizeof *keys);
    for (size_t i = 0; i < n; i++)
        keys[i] = sort_key(scores[i]);
    uint32_t thr = select_kth_largest(keys, n, k);
    size_t above = 0;
    for (size_t i = 0; i < n; i++)
        above += sort_key(scores[i]) > thr;
    size_t ties = k - above, out = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t key = sort_key(scores[i]);
        if (key > thr || (key == thr && ties > 0)) {
            if (key == thr)
                ties--;
            idx[out++] = (int32_t)i;
        }
    }
    free(keys);
    return out;
}
