/* The kernel suites: data/suites/NAME.json files with a "bench" key, expanded into harness cases
 * that run kernels/'s kernels. Each case's op comes from the kernel's own _op() function, so the
 * FLOPs and bytes it is measured at are the simulator's.
 *
 * Memory-bound cases rotate through copies of their weights or caches (at least rotate_mib in
 * all), so that every call streams from DRAM as in a real decode step, where the rest of the
 * model's weights pass through the caches between two calls of one layer. */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/internal.h"
#include "kernels/kernels.h"

/* ================================================================================================
 * Case parameters and state */

enum kc { KC_GEMM, KC_GQA, KC_MQA, KC_INDEXER, KC_ROUTE, KC_GROUPED, KC_COMBINE, KC_ENGINE };
enum v4t { V4_NONE, V4_CSA, V4_HCA, V4_SWA };

struct kctx {
    enum kc kc;
    double rotate; /* bytes the rotated copies add up to at least; 0 = no rotation */
    uint64_t seed;
    /* GEMM: y[m x n] = x[m x k] W^T; grouped: per expert n x k */
    enum mtok_dtype dt;
    size_t m, n, k;
    /* attention / indexer */
    size_t heads, kv_heads, dim, dv, ctx, window, topk, ratio;
    enum mtok_dtype kv; /* GQA cache: f32 or bf16 */
    enum v4t v4;        /* MQA: V4 layer type, NONE = MLA (bf16 cache) */
    /* MoE */
    size_t tokens, experts, etopk;
    enum mtok_score_fn score;
    size_t *offsets;   /* experts + 1 */
    int32_t *slot_row; /* tokens x etopk */
    float *weights;    /* tokens x etopk */
    size_t rows, touched;
    /* engine */
    char *json, *model;
};

static void kctx_free(void *p)
{
    struct kctx *c = p;
    if (!c)
        return;
    free(c->offsets), free(c->slot_row), free(c->weights), free(c->json), free(c->model);
    free(c);
}

struct kstate {
    const struct kctx *c;
    int threads;
    size_t next; /* rotation position */
    /* GEMM */
    struct mtok_wmat **w;
    size_t copies;
    const struct mtok_wmat **wp; /* grouped: this call's expert matrices */
    float *x, *y, *out;
    /* attention */
    void **a, **b; /* per copy: K and V (GQA), compressed and window caches (MQA), keys (indexer) */
    struct mtok_gqa gqa;
    struct mtok_mqa mqa;
    struct mtok_kv_seg seg[2];
    struct mtok_indexer ix;
    int32_t *idx;
    float *q, *sinks, *w_ix, *scores, *logits, *bias;
    int32_t *ids;
    /* engine */
    struct mtok_engine *e;
    int32_t tok;
    size_t max_ctx;
};

/* 64-byte aligned buffers (the kernels' vector loads like them aligned). */
static void *kalloc(size_t n)
{
    void *p = NULL;
    if (posix_memalign(&p, 64, n ? (n + 63) / 64 * 64 : 64) != 0)
        p = NULL;
    MTOK_ASSERT(p != NULL);
    return p;
}

static void kfree(void *p)
{
    free(p);
}

static void rng_fill(float *x, size_t n, uint64_t seed, float scale)
{
    uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
    for (size_t i = 0; i < n; i++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        x[i] = scale * (float)((double)(s >> 11) * 0x1.0p-52 - 1.0);
    }
}

static size_t copies_for(double each, double rotate, size_t cap)
{
    if (!(rotate > 0) || !(each > 0))
        return 1;
    double c = ceil(rotate / each);
    return c < 1 ? 1 : c > (double)cap ? cap : (size_t)c;
}

static void kstate_free(struct kstate *s)
{
    if (!s)
        return;
    for (size_t i = 0; s->w && i < s->copies; i++)
        mtok_wmat_destroy(s->w[i]);
    for (size_t i = 0; s->a && i < s->copies; i++)
        kfree(s->a[i]);
    for (size_t i = 0; s->b && i < s->copies; i++)
        kfree(s->b[i]);
    free(s->w), free(s->a), free(s->b), free(s->wp);
    kfree(s->x), kfree(s->y), kfree(s->out);
    free(s->idx), free(s->q), free(s->sinks), free(s->w_ix), free(s->scores), free(s->logits);
    free(s->bias), free(s->ids);
    mtok_engine_destroy(s->e);
    free(s);
    mtok_kernels_set_threads(0);
}

static void teardown(void *state)
{
    kstate_free(state);
}

/* A weight matrix of random values. Large ones are made of a 128-row tile repeated (the formats'
 * storage is contiguous per 128 rows), so that no n x k f32 source is needed. */
static enum mtok_status make_wmat(struct mtok_wmat **out, enum mtok_dtype dt, size_t n, size_t k,
                                  uint64_t seed, struct mtok_error *err)
{
    const size_t R = 128;
    bool tiled = (double)n * (double)k > 64e6 && n % R == 0;
    size_t rows = tiled ? R : n;
    float *src = malloc(rows * k * sizeof *src);
    if (!src)
        return mtok_error_set(err, MTOK_ENOMEM, "cannot allocate a %zu x %zu source", rows, k);
    rng_fill(src, rows * k, seed, 1.0f);
    struct mtok_wmat *tile = NULL;
    enum mtok_status s = mtok_wmat_create(&tile, dt, rows, k, src, k, err);
    free(src);
    if (s != MTOK_OK || !tiled) {
        *out = tile;
        return s;
    }
    struct mtok_wmat *w = NULL;
    s = mtok_wmat_create(&w, dt, n, k, NULL, k, err);
    if (s == MTOK_OK) {
        for (size_t g = 0; g < n / R; g++) {
            memcpy((char *)w->data + g * tile->data_bytes, tile->data, tile->data_bytes);
            if (tile->scale_bytes)
                memcpy((char *)w->scales + g * tile->scale_bytes, tile->scales, tile->scale_bytes);
            if (tile->rowsum)
                memcpy(w->rowsum + g * R, tile->rowsum, R * sizeof *tile->rowsum);
        }
        w->gscale = tile->gscale;
    }
    mtok_wmat_destroy(tile);
    *out = w;
    return s;
}

static struct mtok_wmat *wmat_clone(const struct mtok_wmat *w)
{
    struct mtok_wmat *c = NULL;
    if (mtok_wmat_create(&c, w->dtype, w->n, w->k, NULL, w->k, NULL) != MTOK_OK)
        return NULL;
    memcpy(c->data, w->data, w->data_bytes);
    if (w->scale_bytes)
        memcpy(c->scales, w->scales, w->scale_bytes);
    if (w->rowsum)
        memcpy(c->rowsum, w->rowsum, w->n * sizeof *w->rowsum);
    c->gscale = w->gscale;
    return c;
}

static struct kstate *state_new(const struct kctx *c, int threads)
{
    struct kstate *s = mtok_xcalloc(1, sizeof *s);
    s->c = c;
    s->threads = threads;
    mtok_kernels_set_threads(threads);
    return s;
}

static float *fbuf(size_t n, uint64_t seed, float scale)
{
    float *p = kalloc((n ? n : 1) * sizeof *p);
    rng_fill(p, n, seed, scale);
    return p;
}

/* ================================================================================================
 * GEMM / GEMV and grouped GEMM */

static enum mtok_status weights_setup(struct kstate *s, size_t min_copies, struct mtok_error *err)
{
    const struct kctx *c = s->c;
    struct mtok_wmat *w0 = NULL;
    enum mtok_status st = make_wmat(&w0, c->dt, c->n, c->k, c->seed, err);
    if (st != MTOK_OK)
        return st;
    size_t copies = copies_for(mtok_wmat_bytes(w0), c->rotate, 4096);
    if (copies < min_copies)
        copies = min_copies;
    s->w = mtok_xcalloc(copies, sizeof *s->w);
    s->w[0] = w0;
    s->copies = 1;
    for (size_t i = 1; i < copies; i++) {
        if (!(s->w[i] = wmat_clone(w0)))
            return mtok_error_set(err, MTOK_ENOMEM, "cannot allocate weight copy %zu", i);
        s->copies++;
    }
    return MTOK_OK;
}

static enum mtok_status gemm_setup(void *ctx, int threads, void **state, struct mtok_error *err)
{
    const struct kctx *c = ctx;
    struct kstate *s = state_new(c, threads);
    enum mtok_status st = weights_setup(s, 1, err);
    if (st != MTOK_OK) {
        kstate_free(s);
        return st;
    }
    s->x = fbuf(c->m * c->k, c->seed + 1, 1.0f);
    s->y = fbuf(c->m * c->n, 0, 0.0f);
    *state = s;
    return MTOK_OK;
}

static void gemm_run(void *state, uint64_t iters)
{
    struct kstate *s = state;
    const struct kctx *c = s->c;
    mtok_kernels_set_threads(s->threads);
    for (uint64_t i = 0; i < iters; i++) {
        const struct mtok_wmat *w = s->w[s->next];
        s->next = (s->next + 1) % s->copies;
        mtok_gemm(w, c->m, s->x, c->k, s->y, c->n);
    }
}

static enum mtok_status grouped_setup(void *ctx, int threads, void **state, struct mtok_error *err)
{
    const struct kctx *c = ctx;
    struct kstate *s = state_new(c, threads);
    enum mtok_status st = weights_setup(s, c->touched, err);
    if (st != MTOK_OK) {
        kstate_free(s);
        return st;
    }
    s->wp = mtok_xcalloc(c->experts, sizeof *s->wp);
    for (size_t e = 0; e < c->experts; e++)
        s->wp[e] = s->w[0];
    s->x = fbuf(c->rows * c->k, c->seed + 1, 1.0f);
    s->y = fbuf(c->rows * c->n, 0, 0.0f);
    *state = s;
    return MTOK_OK;
}

static void grouped_run(void *state, uint64_t iters)
{
    struct kstate *s = state;
    const struct kctx *c = s->c;
    mtok_kernels_set_threads(s->threads);
    for (uint64_t i = 0; i < iters; i++) {
        /* each touched expert reads the next matrix of the pool */
        for (size_t e = 0; e < c->experts; e++)
            if (c->offsets[e + 1] > c->offsets[e]) {
                s->wp[e] = s->w[s->next];
                s->next = (s->next + 1) % s->copies;
            }
        mtok_grouped_gemm(s->wp, c->experts, c->offsets, s->x, c->k, s->y, c->n);
    }
}

/* ================================================================================================
 * Attention: GQA decode, shared-KV MQA (MLA absorbed, DeepSeek V4), lightning indexer */

static void *cache_alloc(size_t bytes)
{
    return kalloc(bytes ? bytes : 64);
}

static enum mtok_status gqa_setup(void *ctx, int threads, void **state, struct mtok_error *err)
{
    (void)err;
    const struct kctx *c = ctx;
    struct kstate *s = state_new(c, threads);
    size_t elems = c->ctx * c->kv_heads * c->dim, esz = c->kv == MTOK_BF16 ? 2 : 4;
    size_t per = elems * esz;
    s->copies = copies_for(2.0 * (double)per, c->rotate, 1024);
    s->a = mtok_xcalloc(s->copies, sizeof *s->a);
    s->b = mtok_xcalloc(s->copies, sizeof *s->b);
    float *tmp = fbuf(elems, c->seed, 1.0f);
    for (size_t l = 0; l < s->copies; l++) {
        s->a[l] = cache_alloc(per);
        s->b[l] = cache_alloc(per);
        if (l == 0) {
            if (c->kv == MTOK_BF16)
                mtok_f32_to_bf16(tmp, s->a[0], elems);
            else
                memcpy(s->a[0], tmp, per);
        } else {
            memcpy(s->a[l], s->a[0], per);
        }
        memcpy(s->b[l], s->a[0], per);
    }
    kfree(tmp);
    s->q = malloc(c->heads * c->dim * sizeof *s->q);
    rng_fill(s->q, c->heads * c->dim, c->seed + 1, 0.1f);
    s->out = fbuf(c->heads * c->dim, 0, 0.0f);
    s->gqa = (struct mtok_gqa){.q_len = 1,
                               .kv_len = c->ctx,
                               .heads = c->heads,
                               .kv_heads = c->kv_heads,
                               .dqk = c->dim,
                               .dv = c->dim,
                               .q = s->q,
                               .q_stride = c->heads * c->dim,
                               .kv_dtype = c->kv,
                               .k = s->a[0],
                               .v = s->b[0],
                               .kv_stride = c->kv_heads * c->dim,
                               .window = c->window,
                               .scale = 1.0f / sqrtf((float)c->dim),
                               .out = s->out,
                               .out_stride = c->heads * c->dim};
    *state = s;
    return MTOK_OK;
}

static void gqa_run(void *state, uint64_t iters)
{
    struct kstate *s = state;
    mtok_kernels_set_threads(s->threads);
    for (uint64_t i = 0; i < iters; i++) {
        s->gqa.k = s->a[s->next];
        s->gqa.v = s->b[s->next];
        s->next = (s->next + 1) % s->copies;
        mtok_attn_gqa(&s->gqa);
    }
}

/* MQA layout: entries of the main segment (MLA: the whole cache; V4: the compressed entries) and
 * of the window (V4). */
static void mqa_sizes(const struct kctx *c, size_t *main_n, size_t *win_n, size_t *attended)
{
    size_t w = c->window < c->ctx ? c->window : c->ctx;
    *main_n = *win_n = *attended = 0;
    switch (c->v4) {
    case V4_NONE: *main_n = c->ctx, *win_n = 0, *attended = c->ctx; return;
    case V4_CSA:
        *main_n = c->ctx / 4, *win_n = w;
        *attended = (c->topk < *main_n ? c->topk : *main_n) + w;
        return;
    case V4_HCA: *main_n = c->ctx / 128, *win_n = w, *attended = *main_n + w; return;
    case V4_SWA: *main_n = 0, *win_n = w, *attended = w; return;
    }
}

static enum mtok_kv_fmt mqa_fmt(const struct kctx *c)
{
    return c->v4 == V4_NONE ? MTOK_KV_BF16 : MTOK_KV_V4;
}

/* The MQA call description (segments without bases) for the op. */
static void mqa_desc(const struct kctx *c, struct mtok_mqa *a, struct mtok_kv_seg seg[2])
{
    size_t mn, wn, att;
    mqa_sizes(c, &mn, &wn, &att);
    size_t ns = 0;
    if (mn)
        seg[ns++] = (struct mtok_kv_seg){NULL, c->v4 == V4_CSA ? att - wn : mn, NULL};
    if (wn)
        seg[ns++] = (struct mtok_kv_seg){NULL, wn, NULL};
    *a = (struct mtok_mqa){.heads = c->heads,
                           .dim = c->dim,
                           .dv = c->dv,
                           .fmt = mqa_fmt(c),
                           .segs = seg,
                           .n_segs = ns,
                           .scale = 1.0f / sqrtf((float)c->dim)};
}

static enum mtok_status mqa_setup(void *ctx, int threads, void **state, struct mtok_error *err)
{
    (void)err;
    const struct kctx *c = ctx;
    struct kstate *s = state_new(c, threads);
    enum mtok_kv_fmt fmt = mqa_fmt(c);
    size_t eb = mtok_kv_fmt_entry_bytes(fmt, c->dim), mn, wn, att;
    mqa_sizes(c, &mn, &wn, &att);
    s->copies = copies_for((double)(mn + wn) * (double)eb, c->rotate, 4096);
    s->a = mtok_xcalloc(s->copies, sizeof *s->a);
    s->b = mtok_xcalloc(s->copies, sizeof *s->b);
    float *e = malloc(c->dim * sizeof *e);
    for (size_t l = 0; l < s->copies; l++) {
        s->a[l] = cache_alloc(mn * eb);
        s->b[l] = cache_alloc(wn * eb);
        if (l == 0) {
            for (size_t t = 0; t < mn + wn; t++) {
                rng_fill(e, c->dim, c->seed + 100 + t % 97, 1.0f);
                mtok_kv_store(fmt, c->dim, e,
                              t < mn ? (char *)s->a[0] + t * eb : (char *)s->b[0] + (t - mn) * eb);
            }
        } else {
            memcpy(s->a[l], s->a[0], mn * eb);
            memcpy(s->b[l], s->b[0], wn * eb);
        }
    }
    free(e);
    s->q = malloc(c->heads * c->dim * sizeof *s->q);
    rng_fill(s->q, c->heads * c->dim, c->seed + 1, 0.1f);
    s->out = fbuf(c->heads * c->dv, 0, 0.0f);
    mqa_desc(c, &s->mqa, s->seg);
    s->mqa.q = s->q;
    s->mqa.out = s->out;
    s->mqa.segs = s->seg;
    if (c->v4 != V4_NONE) {
        s->sinks = malloc(c->heads * sizeof *s->sinks);
        rng_fill(s->sinks, c->heads, c->seed + 2, 1.0f);
        s->mqa.sinks = s->sinks;
    }
    if (c->v4 == V4_CSA) {
        /* top-k: k distinct entries spread over the compressed cache, increasing (as mtok_topk
         * returns them) */
        size_t k = s->seg[0].n;
        s->idx = malloc((k ? k : 1) * sizeof *s->idx);
        uint64_t r = c->seed | 1;
        for (size_t i = 0; i < k; i++) {
            size_t lo = mn * i / k, hi = mn * (i + 1) / k;
            r = r * 6364136223846793005ull + 1442695040888963407ull;
            s->idx[i] = (int32_t)(lo + (hi > lo ? (size_t)(r >> 33) % (hi - lo) : 0));
        }
        s->seg[0].idx = s->idx;
    }
    *state = s;
    return MTOK_OK;
}

static void mqa_run(void *state, uint64_t iters)
{
    struct kstate *s = state;
    const struct kctx *c = s->c;
    mtok_kernels_set_threads(s->threads);
    size_t mn, wn, att;
    mqa_sizes(c, &mn, &wn, &att);
    for (uint64_t i = 0; i < iters; i++) {
        size_t ns = 0;
        if (mn)
            s->seg[ns++].base = s->a[s->next];
        if (wn)
            s->seg[ns++].base = s->b[s->next];
        s->next = (s->next + 1) % s->copies;
        mtok_attn_mqa(&s->mqa);
    }
}

static size_t indexer_keys(const struct kctx *c)
{
    return c->ctx / (c->ratio ? c->ratio : 1);
}

static enum mtok_status indexer_setup(void *ctx, int threads, void **state, struct mtok_error *err)
{
    (void)err;
    const struct kctx *c = ctx;
    struct kstate *s = state_new(c, threads);
    size_t n = indexer_keys(c), kb = mtok_ikey_bytes(c->dim);
    s->copies = copies_for((double)n * (double)kb, c->rotate, 4096);
    s->a = mtok_xcalloc(s->copies, sizeof *s->a);
    float *e = malloc(c->dim * sizeof *e);
    for (size_t l = 0; l < s->copies; l++) {
        s->a[l] = cache_alloc(n * kb);
        if (l == 0)
            for (size_t t = 0; t < n; t++) {
                rng_fill(e, c->dim, c->seed + 300 + t % 89, 1.0f);
                mtok_ikey_store(c->dim, e, (char *)s->a[0] + t * kb);
            }
        else
            memcpy(s->a[l], s->a[0], n * kb);
    }
    free(e);
    s->q = malloc(c->heads * c->dim * sizeof *s->q);
    rng_fill(s->q, c->heads * c->dim, c->seed + 1, 1.0f);
    s->w_ix = malloc(c->heads * sizeof *s->w_ix);
    rng_fill(s->w_ix, c->heads, c->seed + 2, 1.0f);
    s->scores = malloc((n ? n : 1) * sizeof *s->scores);
    s->idx = malloc((c->topk ? c->topk : 1) * sizeof *s->idx);
    s->ix = (struct mtok_indexer){.heads = c->heads,
                                  .dim = c->dim,
                                  .q = s->q,
                                  .w = s->w_ix,
                                  .scale = 1.0f / sqrtf((float)c->dim),
                                  .keys = s->a[0],
                                  .n_keys = n,
                                  .scores = s->scores};
    *state = s;
    return MTOK_OK;
}

static void indexer_run(void *state, uint64_t iters)
{
    struct kstate *s = state;
    mtok_kernels_set_threads(s->threads);
    for (uint64_t i = 0; i < iters; i++) {
        s->ix.keys = s->a[s->next];
        s->next = (s->next + 1) % s->copies;
        mtok_indexer_score(&s->ix);
        mtok_topk(s->scores, s->ix.n_keys, s->c->topk, s->idx);
    }
}

/* ================================================================================================
 * MoE routing and combine */

static enum mtok_status route_setup(void *ctx, int threads, void **state, struct mtok_error *err)
{
    (void)err;
    const struct kctx *c = ctx;
    struct kstate *s = state_new(c, threads);
    s->logits = malloc(c->tokens * c->experts * sizeof *s->logits);
    rng_fill(s->logits, c->tokens * c->experts, c->seed, 4.0f);
    s->bias = malloc(c->experts * sizeof *s->bias);
    rng_fill(s->bias, c->experts, c->seed + 1, 0.1f);
    s->ids = malloc(c->tokens * c->etopk * sizeof *s->ids);
    s->scores = malloc(c->tokens * c->etopk * sizeof *s->scores);
    *state = s;
    return MTOK_OK;
}

static void route_run(void *state, uint64_t iters)
{
    struct kstate *s = state;
    const struct kctx *c = s->c;
    for (uint64_t i = 0; i < iters; i++)
        mtok_moe_route(s->logits, c->tokens, c->experts, c->etopk, c->score,
                       c->score == MTOK_SCORE_SOFTMAX ? NULL : s->bias, true, 1.0f, s->ids,
                       s->scores);
}

static enum mtok_status combine_setup(void *ctx, int threads, void **state, struct mtok_error *err)
{
    (void)err;
    const struct kctx *c = ctx;
    struct kstate *s = state_new(c, threads);
    s->y = fbuf(c->rows * c->n, c->seed, 1.0f);
    s->out = fbuf(c->tokens * c->n, 0, 0.0f);
    *state = s;
    return MTOK_OK;
}

static void combine_run(void *state, uint64_t iters)
{
    struct kstate *s = state;
    const struct kctx *c = s->c;
    for (uint64_t i = 0; i < iters; i++)
        mtok_moe_combine(s->y, c->n, c->slot_row, c->weights, c->tokens, c->etopk, s->out);
}

/* Deterministic routing of `tokens` tokens to etopk of `experts` experts (softmax of random
 * logits): offsets, slot_row, weights, rows and the experts touched. */
static void route_fixed(struct kctx *c)
{
    size_t T = c->tokens, E = c->experts, K = c->etopk;
    float *logits = malloc(T * E * sizeof *logits);
    rng_fill(logits, T * E, c->seed + 7, 4.0f);
    int32_t *ids = malloc(T * K * sizeof *ids), *row_slot = malloc(T * K * sizeof *row_slot);
    c->weights = malloc(T * K * sizeof *c->weights);
    c->slot_row = malloc(T * K * sizeof *c->slot_row);
    c->offsets = malloc((E + 1) * sizeof *c->offsets);
    mtok_moe_route(logits, T, E, K, MTOK_SCORE_SOFTMAX, NULL, true, 1.0f, ids, c->weights);
    mtok_moe_permute(ids, T, K, E, c->offsets, row_slot, c->slot_row);
    c->rows = T * K;
    c->touched = 0;
    for (size_t e = 0; e < E; e++)
        c->touched += c->offsets[e + 1] > c->offsets[e];
    free(logits), free(ids), free(row_slot);
}

/* ================================================================================================
 * The reference engine's decode step */

static enum mtok_status engine_setup(void *ctx, int threads, void **state, struct mtok_error *err)
{
    const struct kctx *c = ctx;
    struct kstate *s = state_new(c, threads);
    s->max_ctx = c->ctx + 1024;
    enum mtok_status st =
        mtok_engine_create(&s->e, c->model, c->json, strlen(c->json), 1234, s->max_ctx, err);
    if (st == MTOK_OK && c->ctx)
        st = mtok_engine_fill(s->e, c->ctx, 99, err);
    if (st != MTOK_OK) {
        kstate_free(s);
        return st;
    }
    s->tok = 1;
    *state = s;
    return MTOK_OK;
}

static void engine_step(struct kstate *s, const struct mtok_engine_hooks *hk)
{
    if (mtok_engine_pos(s->e) + 1 >= s->max_ctx)
        mtok_engine_fill(s->e, s->c->ctx, 99, NULL);
    int32_t next = 0;
    if (mtok_engine_step(s->e, s->tok, hk, &next, NULL, NULL) == MTOK_OK)
        s->tok = next;
}

static void engine_run(void *state, uint64_t iters)
{
    struct kstate *s = state;
    mtok_kernels_set_threads(s->threads);
    for (uint64_t i = 0; i < iters; i++)
        engine_step(s, NULL);
}

static void sum_after(void *ctx, const struct mtok_op *op, int layer)
{
    (void)layer;
    struct mtok_op *t = ctx;
    t->flops += op->flops, t->other += op->other, t->w_bytes += op->w_bytes;
    t->a_bytes += op->a_bytes, t->kv_bytes += op->kv_bytes;
}

static void engine_op_of(void *state, struct mtok_op *op)
{
    struct kstate *s = state;
    struct mtok_op t = {.kind = MTOK_OP_GEMM,
                        .name = "decode_step",
                        .wdtype = MTOK_FP8,
                        .adtype = MTOK_F32,
                        .cdtype = MTOK_F32,
                        .m = 1,
                        .n = 1,
                        .k = 1,
                        .groups = 1};
    struct mtok_engine_hooks hk = {NULL, sum_after, &t};
    mtok_kernels_set_threads(s->threads);
    engine_step(s, &hk);
    *op = t;
}

struct prof {
    struct mtok_bench_part *parts;
    size_t n, cap;
    uint64_t t0;
    bool on;
};

static void prof_before(void *ctx, const struct mtok_op *op, int layer)
{
    (void)op, (void)layer;
    ((struct prof *)ctx)->t0 = mtok_now_ns();
}

static bool same_cost(const struct mtok_op *a, const struct mtok_op *b)
{
    return a->kind == b->kind && a->flops == b->flops && a->other == b->other &&
           mtok_op_bytes(a) == mtok_op_bytes(b) && a->wdtype == b->wdtype;
}

static void prof_after(void *ctx, const struct mtok_op *op, int layer)
{
    struct prof *p = ctx;
    double dt = (double)(mtok_now_ns() - p->t0);
    if (!p->on)
        return;
    size_t i = 0;
    while (i < p->n && !(strcmp(p->parts[i].name, op->name) == 0 && same_cost(&p->parts[i].op, op)))
        i++;
    if (i == p->n) {
        if (p->n == p->cap)
            p->parts =
                mtok_xrealloc(p->parts, (p->cap = p->cap ? 2 * p->cap : 64) * sizeof *p->parts);
        struct mtok_bench_part *x = &p->parts[p->n++];
        memset(x, 0, sizeof *x);
        mtok_strlcpy(x->name, op->name ? op->name : "?", sizeof x->name);
        x->layer = layer;
        x->op = *op;
        x->op.name = x->name;
    }
    p->parts[i].calls += 1;
    p->parts[i].ns += dt;
}

#define ENGINE_PART_STEPS 6

static size_t engine_parts(void *state, struct mtok_bench_part **out)
{
    struct kstate *s = state;
    struct prof p = {0};
    struct mtok_engine_hooks hk = {prof_before, prof_after, &p};
    mtok_kernels_set_threads(s->threads);
    engine_step(s, &hk); /* warm */
    p.on = true;
    for (int i = 0; i < ENGINE_PART_STEPS; i++)
        engine_step(s, &hk);
    for (size_t i = 0; i < p.n; i++) {
        p.parts[i].calls /= ENGINE_PART_STEPS;
        p.parts[i].ns /= ENGINE_PART_STEPS;
        p.parts[i].op.name = p.parts[i].name;
    }
    *out = p.parts;
    return p.n;
}

/* ================================================================================================
 * Adding cases */

struct adder {
    struct mtok_bench_suite *s;
    const char *suite;
    const int *threads;
    size_t n_threads;
    double rotate;
    uint64_t seed;
};

static bool has_case(const struct mtok_bench_suite *s, const struct mtok_bench_case *c)
{
    char a[256], b[256];
    mtok_bench_case_name(c, a, sizeof a);
    for (size_t i = 0; i < mtok_bench_suite_count(s); i++) {
        mtok_bench_case_name(mtok_bench_suite_at(s, i), b, sizeof b);
        if (strcmp(a, b) == 0)
            return true;
    }
    return false;
}

/* Add case c (ctx a template) once per thread count; the ctx is copied per case. */
static void add_each(struct adder *ad, struct mtok_bench_case c, const struct kctx *tmpl)
{
    for (size_t t = 0; t < ad->n_threads; t++) {
        c.threads = ad->threads[t];
        c.suite = ad->suite;
        c.variant = mtok_isa_name(mtok_kernels_isa());
        if (has_case(ad->s, &c))
            continue;
        struct kctx *x = mtok_xmalloc(sizeof *x);
        *x = *tmpl;
        size_t E = tmpl->experts;
        if (tmpl->offsets) {
            x->offsets = mtok_xmalloc((E + 1) * sizeof *x->offsets);
            memcpy(x->offsets, tmpl->offsets, (E + 1) * sizeof *x->offsets);
        }
        size_t slots = tmpl->tokens * tmpl->etopk;
        if (tmpl->slot_row) {
            x->slot_row = mtok_xmalloc(slots * sizeof *x->slot_row);
            memcpy(x->slot_row, tmpl->slot_row, slots * sizeof *x->slot_row);
        }
        if (tmpl->weights) {
            x->weights = mtok_xmalloc(slots * sizeof *x->weights);
            memcpy(x->weights, tmpl->weights, slots * sizeof *x->weights);
        }
        x->json = tmpl->json ? mtok_xstrdup(tmpl->json) : NULL;
        x->model = tmpl->model ? mtok_xstrdup(tmpl->model) : NULL;
        c.ctx = x;
        c.ctx_free = kctx_free;
        if (c.model_json)
            c.model_json = x->json;
        mtok_bench_suite_add(ad->s, &c);
    }
}

static void add_gemm(struct adder *ad, enum mtok_dtype dt, size_t m, size_t n, size_t k)
{
    struct kctx x = {.kc = KC_GEMM, .dt = dt, .m = m, .n = n, .k = k, .seed = ad->seed};
    /* weights stream from DRAM in decode-sized calls; large-m GEMMs reuse them from cache */
    x.rotate = m < 16 ? ad->rotate : 0;
    struct mtok_wmat desc = {.dtype = dt, .n = n, .k = k};
    char shape[96];
    if (m == 1)
        snprintf(shape, sizeof shape, "%zux%zu", n, k);
    else
        snprintf(shape, sizeof shape, "%zux%zux%zu", m, n, k);
    struct mtok_bench_case c = {.kernel = m == 1 ? "gemv" : "gemm",
                                .dtype = mtok_dtype_name(dt),
                                .shape = shape,
                                .op = mtok_gemm_op(m == 1 ? "gemv" : "gemm", &desc, m),
                                .setup = gemm_setup,
                                .run = gemm_run,
                                .teardown = teardown};
    add_each(ad, c, &x);
}

static void add_gqa(struct adder *ad, enum mtok_dtype kv, size_t heads, size_t kvh, size_t dim,
                    size_t ctx, size_t window)
{
    struct kctx x = {.kc = KC_GQA,
                     .kv = kv,
                     .heads = heads,
                     .kv_heads = kvh,
                     .dim = dim,
                     .ctx = ctx,
                     .window = window,
                     .rotate = ad->rotate,
                     .seed = ad->seed};
    struct mtok_gqa a = {.q_len = 1,
                         .kv_len = ctx,
                         .heads = heads,
                         .kv_heads = kvh,
                         .dqk = dim,
                         .dv = dim,
                         .kv_dtype = kv,
                         .window = window};
    char shape[96];
    snprintf(shape, sizeof shape, "ctx=%zu,h=%zu,kv=%zu,d=%zu%s", ctx, heads, kvh, dim,
             window ? ",window" : "");
    struct mtok_bench_case c = {.kernel = "attn_gqa",
                                .dtype = mtok_dtype_name(kv),
                                .shape = shape,
                                .op = mtok_attn_gqa_op("attn_gqa", &a),
                                .setup = gqa_setup,
                                .run = gqa_run,
                                .teardown = teardown};
    add_each(ad, c, &x);
}

static void add_mqa(struct adder *ad, enum v4t v4, size_t heads, size_t ctx, size_t topk,
                    size_t window, size_t kv_lora, size_t rope)
{
    struct kctx x = {.kc = KC_MQA,
                     .v4 = v4,
                     .heads = heads,
                     .ctx = ctx,
                     .topk = topk,
                     .window = window,
                     .rotate = ad->rotate,
                     .seed = ad->seed};
    x.dim = v4 == V4_NONE ? kv_lora + rope : 512;
    x.dv = v4 == V4_NONE ? kv_lora : 512;
    struct mtok_mqa a;
    struct mtok_kv_seg seg[2];
    mqa_desc(&x, &a, seg);
    static const char *const names[] = {"mla", "csa", "hca", "swa"};
    char shape[128];
    if (v4 == V4_NONE)
        snprintf(shape, sizeof shape, "ctx=%zu,h=%zu,d=%zu", ctx, heads, x.dim);
    else if (v4 == V4_CSA)
        snprintf(shape, sizeof shape, "csa,ctx=%zu,h=%zu,top=%zu,w=%zu", ctx, heads, topk, window);
    else
        snprintf(shape, sizeof shape, "%s,ctx=%zu,h=%zu,w=%zu", names[v4], ctx, heads, window);
    struct mtok_bench_case c = {.kernel = v4 == V4_NONE ? "attn_mla" : "attn_v4",
                                .dtype = v4 == V4_NONE ? "bf16" : "fp8",
                                .shape = shape,
                                .op = mtok_attn_mqa_op(v4 == V4_NONE ? "attn_mla" : "attn_v4", &a),
                                .setup = mqa_setup,
                                .run = mqa_run,
                                .teardown = teardown};
    add_each(ad, c, &x);
}

static void add_indexer(struct adder *ad, size_t heads, size_t dim, size_t ctx, size_t ratio,
                        size_t topk)
{
    struct kctx x = {.kc = KC_INDEXER,
                     .heads = heads,
                     .dim = dim,
                     .ctx = ctx,
                     .ratio = ratio,
                     .topk = topk,
                     .rotate = ad->rotate,
                     .seed = ad->seed};
    struct mtok_indexer ix = {.heads = heads, .dim = dim, .n_keys = indexer_keys(&x)};
    char shape[96];
    snprintf(shape, sizeof shape, "keys=%zu,h=%zu,d=%zu,top=%zu", ix.n_keys, heads, dim, topk);
    struct mtok_bench_case c = {.kernel = "indexer",
                                .dtype = "mxfp4",
                                .shape = shape,
                                .op = mtok_indexer_op("indexer", &ix, topk),
                                .setup = indexer_setup,
                                .run = indexer_run,
                                .teardown = teardown};
    add_each(ad, c, &x);
}

/* MoE at `tokens` tokens: routing, the grouped gate/up and down GEMMs, the combine. */
static void add_moe(struct adder *ad, enum mtok_dtype dt, size_t tokens, size_t experts,
                    size_t topk, size_t hidden, size_t inter, enum mtok_score_fn score)
{
    char shape[128];
    struct kctx r = {.kc = KC_ROUTE,
                     .tokens = tokens,
                     .experts = experts,
                     .etopk = topk,
                     .score = score,
                     .seed = ad->seed};
    snprintf(shape, sizeof shape, "t=%zu,e=%zu,k=%zu", tokens, experts, topk);
    struct mtok_bench_case c = {.kernel = "moe_route",
                                .dtype = "f32",
                                .shape = shape,
                                .op = mtok_moe_route_op("moe_route", tokens, experts),
                                .setup = route_setup,
                                .run = route_run,
                                .teardown = teardown,
                                .no_calib = true};
    add_each(ad, c, &r);

    struct kctx g = {.kc = KC_GROUPED,
                     .dt = dt,
                     .tokens = tokens,
                     .experts = experts,
                     .etopk = topk,
                     .rotate = ad->rotate,
                     .seed = ad->seed};
    route_fixed(&g);
    const struct mtok_wmat **wd = mtok_xcalloc(experts, sizeof *wd);
    for (int which = 0; which < 2; which++) {
        g.n = which ? hidden : 2 * inter;
        g.k = which ? inter : hidden;
        g.m = g.rows;
        struct mtok_wmat desc = {.dtype = dt, .n = g.n, .k = g.k};
        for (size_t e = 0; e < experts; e++)
            wd[e] = &desc;
        snprintf(shape, sizeof shape, "%s,t=%zu,e=%zu,k=%zu,%zux%zu", which ? "down" : "gate_up",
                 tokens, experts, topk, g.n, g.k);
        struct mtok_bench_case gc = {
            .kernel = "moe_gemm",
            .dtype = mtok_dtype_name(dt),
            .shape = shape,
            .op = mtok_grouped_gemm_op(which ? "moe_down" : "moe_gate_up", wd, experts, g.offsets),
            .setup = grouped_setup,
            .run = grouped_run,
            .teardown = teardown};
        add_each(ad, gc, &g);
    }
    free(wd);

    struct kctx cb = g; /* the routing's slot_row and weights */
    cb.kc = KC_COMBINE;
    cb.n = hidden;
    cb.rotate = 0;
    snprintf(shape, sizeof shape, "t=%zu,k=%zu,d=%zu", tokens, topk, hidden);
    struct mtok_bench_case cc = {.kernel = "moe_combine",
                                 .dtype = "f32",
                                 .shape = shape,
                                 .op = mtok_moe_move_op("moe_combine", g.rows, hidden),
                                 .setup = combine_setup,
                                 .run = combine_run,
                                 .teardown = teardown,
                                 .no_calib = true};
    add_each(ad, cc, &cb);
    free(g.offsets), free(g.slot_row), free(g.weights);
}

static void add_engine(struct adder *ad, const char *model, const char *json, size_t ctx)
{
    struct kctx x = {.kc = KC_ENGINE, .ctx = ctx, .seed = ad->seed};
    x.json = (char *)(uintptr_t)json; /* copied by add_each */
    x.model = (char *)(uintptr_t)model;
    char shape[160];
    const char *base = strrchr(model, '/');
    base = base ? base + 1 : model;
    size_t bl = strlen(base);
    if (bl > 12 && strcmp(base + bl - 12, "_config.json") == 0)
        bl -= 12;
    snprintf(shape, sizeof shape, "%.*s,ctx=%zu", (int)(bl > 100 ? 100 : bl), base, ctx);
    struct mtok_bench_case c = {
        .kernel = "engine_decode",
        .dtype = "mixed",
        .shape = shape,
        .op = {.kind = MTOK_OP_GEMM, .name = "decode_step", .wdtype = MTOK_FP8, .m = 1},
        .setup = engine_setup,
        .run = engine_run,
        .teardown = teardown,
        .op_of = engine_op_of,
        .parts = engine_parts,
        .model_json = json,
        .model_ctx = (double)ctx,
        .no_calib = true};
    add_each(ad, c, &x);
}

/* ================================================================================================
 * Suite files */

struct ck {
    const char *file;
    struct mtok_diags *d;
    size_t before; /* d->n when the document's checks began: more means errors */
};

/* A problem with `field` of the document, as one diagnostic line. */
#define bad(ck, field, ...) mtok_diags_add((ck)->d, (ck)->file, field, __VA_ARGS__)

static void check_keys(struct ck *ck, const cJSON *o, const char *where, const char *const *known)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, o)
    {
        bool ok = false;
        for (const char *const *k = known; *k && !ok; k++)
            ok = strcmp(*k, e->string) == 0;
        if (!ok) {
            char field[160];
            snprintf(field, sizeof field, "%s%s", where, e->string);
            bad(ck, field, "unknown key");
        }
    }
}

#define MAXV 16

/* The values of key: the item itself when it is not a list, else the list's items (at most
 * MAXV). Returns the count, 0 with a diagnostic when the list is empty or too long. */
static size_t items_of(struct ck *ck, const cJSON *a, const char *field, const cJSON **items)
{
    size_t n = 0;
    if (!cJSON_IsArray(a)) {
        items[n++] = a;
        return n;
    }
    if (cJSON_GetArraySize(a) < 1 || cJSON_GetArraySize(a) > MAXV) {
        bad(ck, field, "must be a value or a list of 1 to %d values", MAXV);
        return 0;
    }
    const cJSON *e;
    cJSON_ArrayForEach(e, a) items[n++] = e;
    return n;
}

/* A whole number or a list of 1..MAXV of them, each in [lo, hi]. Returns the count (0 when absent
 * and not required, or on error). */
static size_t get_nums(struct ck *ck, const cJSON *o, const char *where, const char *key, double lo,
                       double hi, bool required, size_t *v)
{
    char field[160];
    snprintf(field, sizeof field, "%s%s", where, key);
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!a) {
        if (required)
            bad(ck, field, "missing");
        return 0;
    }
    const cJSON *items[MAXV];
    size_t n = items_of(ck, a, field, items);
    for (size_t i = 0; i < n; i++) {
        const cJSON *e = items[i];
        if (!cJSON_IsNumber(e) || e->valuedouble != floor(e->valuedouble) || e->valuedouble < lo ||
            e->valuedouble > hi) {
            bad(ck, field, "values must be whole numbers in [%g, %g]", lo, hi);
            return 0;
        }
        v[i] = (size_t)e->valuedouble;
    }
    return n;
}

static size_t get_num1(struct ck *ck, const cJSON *o, const char *where, const char *key, double lo,
                       double hi, size_t dflt)
{
    size_t v[MAXV];
    if (!cJSON_GetObjectItemCaseSensitive(o, key))
        return dflt;
    size_t n = get_nums(ck, o, where, key, lo, hi, false, v);
    if (n > 1) {
        char field[160];
        snprintf(field, sizeof field, "%s%s", where, key);
        bad(ck, field, "one value expected");
    }
    return n ? v[0] : dflt;
}

/* A dtype name or a list of them, each among `allowed` (NULL-terminated names). */
static size_t get_dtypes(struct ck *ck, const cJSON *o, const char *where, const char *key,
                         const char *const *allowed, bool required, enum mtok_dtype *v)
{
    char field[160];
    snprintf(field, sizeof field, "%s%s", where, key);
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!a) {
        if (required)
            bad(ck, field, "missing");
        return 0;
    }
    const cJSON *items[MAXV];
    size_t n = items_of(ck, a, field, items);
    for (size_t i = 0; i < n; i++) {
        bool ok = false;
        for (const char *const *k = allowed; *k && !ok; k++)
            ok = cJSON_IsString(items[i]) && strcmp(*k, items[i]->valuestring) == 0;
        if (!ok) {
            struct mtok_buf b = {0};
            for (const char *const *k = allowed; *k; k++)
                mtok_buf_printf(&b, "%s%s", k == allowed ? "" : ", ", *k);
            bad(ck, field, "%s is not one of %s",
                cJSON_IsString(items[i]) ? items[i]->valuestring : "an entry", b.data);
            mtok_buf_free(&b);
            return 0;
        }
        mtok_dtype_parse(items[i]->valuestring, &v[i]);
    }
    return n;
}

static const char *const gemm_dtypes[] = {"f32", "bf16", "fp8", "mxfp4", "nvfp4", "int8", NULL};

struct expand {
    struct adder ad;
    struct ck *ck;
    const struct mtok_bench_load_opts *o;
};

static void case_gemm(struct expand *x, const cJSON *e, const char *w, bool gemv)
{
    static const char *const known[] = {"kernel", "dtype", "shape", "note", NULL};
    check_keys(x->ck, e, w, known);
    enum mtok_dtype dt[MAXV];
    size_t nd = get_dtypes(x->ck, e, w, "dtype", gemm_dtypes, true, dt);
    const cJSON *sh = cJSON_GetObjectItemCaseSensitive(e, "shape");
    char field[160];
    snprintf(field, sizeof field, "%sshape", w);
    size_t want = gemv ? 2 : 3;
    if (!cJSON_IsArray(sh) || cJSON_GetArraySize(sh) < 1 || cJSON_GetArraySize(sh) > 64) {
        bad(x->ck, field, "must be a list of %s", gemv ? "[n, k]" : "[m, n, k]");
        return;
    }
    const cJSON *s;
    cJSON_ArrayForEach(s, sh)
    {
        size_t d[3] = {1, 0, 0}, n = 0;
        const cJSON *v;
        bool ok = cJSON_IsArray(s) && (size_t)cJSON_GetArraySize(s) == want;
        if (ok)
            cJSON_ArrayForEach(v, s)
            {
                if (!cJSON_IsNumber(v) || v->valuedouble < 1 || v->valuedouble > 1e6 ||
                    v->valuedouble != floor(v->valuedouble))
                    ok = false;
                else
                    d[n++ + (gemv ? 1 : 0)] = (size_t)v->valuedouble;
            }
        if (!ok) {
            bad(x->ck, field, "each shape is %s of whole numbers in [1, 1e6]",
                gemv ? "[n, k]" : "[m, n, k]");
            return;
        }
        for (size_t i = 0; i < nd; i++)
            add_gemm(&x->ad, dt[i], d[0], d[1], d[2]);
    }
}

static void case_attention(struct expand *x, const cJSON *e, const char *w, const char *kernel)
{
    size_t ctx[MAXV];
    if (strcmp(kernel, "attn_gqa") == 0) {
        static const char *const known[] = {"kernel", "dtype",  "heads", "kv_heads", "head_dim",
                                            "ctx",    "window", "note",  NULL};
        check_keys(x->ck, e, w, known);
        static const char *const kvs[] = {"bf16", "f32", NULL};
        enum mtok_dtype kv[MAXV];
        size_t nk = get_dtypes(x->ck, e, w, "dtype", kvs, false, kv);
        if (!nk)
            kv[nk++] = MTOK_BF16;
        size_t h = get_num1(x->ck, e, w, "heads", 1, 1024, 32);
        size_t kvh = get_num1(x->ck, e, w, "kv_heads", 1, 1024, 8);
        size_t d = get_num1(x->ck, e, w, "head_dim", 16, 1024, 128);
        size_t win = get_num1(x->ck, e, w, "window", 0, 1e7, 0);
        size_t nc = get_nums(x->ck, e, w, "ctx", 1, 1 << 20, true, ctx);
        if (h % kvh) {
            char field[160];
            snprintf(field, sizeof field, "%sheads", w);
            bad(x->ck, field, "heads %zu is not a multiple of kv_heads %zu", h, kvh);
            return;
        }
        for (size_t i = 0; i < nk; i++)
            for (size_t c = 0; c < nc; c++)
                add_gqa(&x->ad, kv[i], h, kvh, d, ctx[c], win);
        return;
    }
    if (strcmp(kernel, "attn_mla") == 0) {
        static const char *const known[] = {"kernel", "heads", "kv_lora_rank", "rope_dim", "ctx",
                                            "note",   NULL};
        check_keys(x->ck, e, w, known);
        size_t h = get_num1(x->ck, e, w, "heads", 1, 1024, 128);
        size_t kvl = get_num1(x->ck, e, w, "kv_lora_rank", 16, 4096, 512);
        size_t rope = get_num1(x->ck, e, w, "rope_dim", 0, 512, 64);
        size_t nc = get_nums(x->ck, e, w, "ctx", 1, 1 << 20, true, ctx);
        for (size_t c = 0; c < nc; c++)
            add_mqa(&x->ad, V4_NONE, h, ctx[c], 0, 0, kvl, rope);
        return;
    }
    if (strcmp(kernel, "attn_v4") == 0) {
        static const char *const known[] = {"kernel", "type",   "heads", "ctx",
                                            "topk",   "window", "note",  NULL};
        check_keys(x->ck, e, w, known);
        const cJSON *t = cJSON_GetObjectItemCaseSensitive(e, "type");
        enum v4t types[3];
        size_t nt = 0;
        const cJSON *items[3];
        size_t ni = 0;
        if (cJSON_IsString(t))
            items[ni++] = t;
        else if (cJSON_IsArray(t) && cJSON_GetArraySize(t) >= 1 && cJSON_GetArraySize(t) <= 3) {
            const cJSON *v;
            cJSON_ArrayForEach(v, t) items[ni++] = v;
        }
        for (size_t i = 0; i < ni; i++) {
            const char *s = cJSON_IsString(items[i]) ? items[i]->valuestring : "";
            if (!strcmp(s, "csa"))
                types[nt++] = V4_CSA;
            else if (!strcmp(s, "hca"))
                types[nt++] = V4_HCA;
            else if (!strcmp(s, "swa"))
                types[nt++] = V4_SWA;
        }
        if (!ni || nt != ni) {
            char field[160];
            snprintf(field, sizeof field, "%stype", w);
            bad(x->ck, field, "must be csa, hca or swa, or a list of them");
            return;
        }
        size_t h = get_num1(x->ck, e, w, "heads", 1, 1024, 64);
        size_t topk = get_num1(x->ck, e, w, "topk", 1, 1 << 16, 512);
        size_t win = get_num1(x->ck, e, w, "window", 1, 1 << 16, 128);
        size_t nc = get_nums(x->ck, e, w, "ctx", 1, 1 << 20, true, ctx);
        for (size_t i = 0; i < nt; i++)
            for (size_t c = 0; c < nc; c++)
                add_mqa(&x->ad, types[i], h, ctx[c], topk, win, 0, 0);
        return;
    }
    /* indexer */
    static const char *const known[] = {"kernel", "heads", "head_dim", "ctx",
                                        "ratio",  "topk",  "note",     NULL};
    check_keys(x->ck, e, w, known);
    size_t h = get_num1(x->ck, e, w, "heads", 1, 1024, 64);
    size_t d = get_num1(x->ck, e, w, "head_dim", 32, 1024, 128);
    size_t ratio = get_num1(x->ck, e, w, "ratio", 1, 1024, 4);
    size_t topk = get_num1(x->ck, e, w, "topk", 1, 1 << 16, 512);
    size_t nc = get_nums(x->ck, e, w, "ctx", 1, 1 << 22, true, ctx);
    if (d % 32) {
        char field[160];
        snprintf(field, sizeof field, "%shead_dim", w);
        bad(x->ck, field, "must be a multiple of 32 (MXFP4 keys)");
        return;
    }
    for (size_t c = 0; c < nc; c++)
        add_indexer(&x->ad, h, d, ctx[c], ratio, topk);
}

static bool score_parse(const char *s, enum mtok_score_fn *out)
{
    if (!strcmp(s, "softmax"))
        *out = MTOK_SCORE_SOFTMAX;
    else if (!strcmp(s, "sigmoid"))
        *out = MTOK_SCORE_SIGMOID;
    else if (!strcmp(s, "sqrtsoftplus"))
        *out = MTOK_SCORE_SQRTSOFTPLUS;
    else
        return false;
    return true;
}

static void case_moe(struct expand *x, const cJSON *e, const char *w)
{
    static const char *const known[] = {"kernel", "dtype",        "tokens", "experts", "topk",
                                        "hidden", "intermediate", "score",  "note",    NULL};
    check_keys(x->ck, e, w, known);
    enum mtok_dtype dt[MAXV];
    size_t nd = get_dtypes(x->ck, e, w, "dtype", gemm_dtypes, true, dt);
    size_t tokens[MAXV];
    size_t nt = get_nums(x->ck, e, w, "tokens", 1, 65536, true, tokens);
    size_t E = get_num1(x->ck, e, w, "experts", 1, 4096, 0);
    size_t K = get_num1(x->ck, e, w, "topk", 1, 64, 0);
    size_t H = get_num1(x->ck, e, w, "hidden", 16, 65536, 0);
    size_t I = get_num1(x->ck, e, w, "intermediate", 16, 65536, 0);
    enum mtok_score_fn fn = MTOK_SCORE_SOFTMAX;
    const cJSON *sc = cJSON_GetObjectItemCaseSensitive(e, "score");
    char field[160];
    if (sc && (!cJSON_IsString(sc) || !score_parse(sc->valuestring, &fn))) {
        snprintf(field, sizeof field, "%sscore", w);
        bad(x->ck, field, "must be softmax, sigmoid or sqrtsoftplus");
    }
    if (!E || !K || !H || !I || K > E) {
        snprintf(field, sizeof field, "%sexperts", w);
        bad(x->ck, field, "experts, topk (<= experts), hidden and intermediate are required");
        return;
    }
    for (size_t i = 0; i < nd; i++)
        for (size_t t = 0; t < nt; t++)
            add_moe(&x->ad, dt[i], tokens[t], E, K, H, I, fn);
}

/* The config.json of an engine entry: an embedded file (data/...) or one in data_dir/engine. */
static char *engine_json(struct expand *x, const char *config, const char *w)
{
    char field[160];
    snprintf(field, sizeof field, "%sconfig", w);
    const struct mtok_blob *b = mtok_embedded_find(config);
    if (b)
        return mtok_xstrdup((const char *)b->data);
    char *json = NULL;
    size_t len = 0;
    struct mtok_error err = {0};
    struct mtok_buf p = {0};
    if (x->o && x->o->data_dir && strncmp(config, "data/", 5) == 0)
        mtok_buf_printf(&p, "%s/%s", x->o->data_dir, config + 5);
    else
        mtok_buf_puts(&p, config);
    if (mtok_file_read(p.data, MTOK_CATALOG_MAX_FILE, &json, &len, &err) != MTOK_OK)
        bad(x->ck, field, "%s", err.msg);
    mtok_buf_free(&p);
    return json;
}

static void case_engine(struct expand *x, const cJSON *e, const char *w)
{
    static const char *const known[] = {"kernel", "config", "ctx", "note", NULL};
    check_keys(x->ck, e, w, known);
    const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(e, "config");
    char field[160];
    snprintf(field, sizeof field, "%sconfig", w);
    if (!cJSON_IsString(cfg) || !cfg->valuestring[0]) {
        bad(x->ck, field, "required: the path of a deepseek_v4 config.json (data/engine/...)");
        return;
    }
    size_t ctx[MAXV];
    size_t nc = get_nums(x->ck, e, w, "ctx", 0, 1 << 20, true, ctx);
    char *json = engine_json(x, cfg->valuestring, w);
    if (!json)
        return;
    struct mtok_model *m = NULL;
    struct mtok_diags d = {0};
    if (mtok_model_parse(cfg->valuestring, json, strlen(json), &m, &d) != MTOK_OK)
        bad(x->ck, field, "%s", d.n ? d.lines[0] : "not a model config");
    else if (strcmp(m->model_type, "deepseek_v4") != 0)
        bad(x->ck, field, "the engine runs deepseek_v4 configs, not %s", m->model_type);
    else
        for (size_t c = 0; c < nc; c++)
            add_engine(&x->ad, cfg->valuestring, json, ctx[c]);
    mtok_model_destroy(m);
    mtok_diags_free(&d);
    free(json);
}

/* ---- model entries: a catalog model's real shapes ---- */

struct gemm_list {
    size_t (*v)[4]; /* m, n, k, dtype */
    size_t n;
};

static void collect_gemm(void *arg, const struct mtok_op_cost *c)
{
    struct gemm_list *g = arg;
    const struct mtok_op *op = &c->op;
    if (op->kind != MTOK_OP_GEMM || op->m < 1 || op->n < 1 || op->k < 1 || op->m != floor(op->m) ||
        op->n != floor(op->n) || op->k != floor(op->k))
        return;
    size_t t[4] = {(size_t)op->m, (size_t)op->n, (size_t)op->k, (size_t)op->wdtype};
    for (size_t i = 0; i < g->n; i++)
        if (!memcmp(g->v[i], t, sizeof t))
            return;
    g->v = mtok_xrealloc(g->v, (g->n + 1) * sizeof *g->v);
    memcpy(g->v[g->n++], t, sizeof t);
}

static void case_model(struct expand *x, const cJSON *e, const char *w)
{
    static const char *const known[] = {"model", "wprec",      "batch", "prefill",
                                        "ctx",   "moe_tokens", "note",  NULL};
    check_keys(x->ck, e, w, known);
    char field[160];
    snprintf(field, sizeof field, "%smodel", w);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(e, "model");
    if (!cJSON_IsString(id)) {
        bad(x->ck, field, "must be a model id");
        return;
    }
    if (!x->o || !x->o->cat || !x->o->sim || !mtok_catalog_hw_count(x->o->cat)) {
        bad(x->ck, field, "model entries need the catalog and the simulator's defaults");
        return;
    }
    const struct mtok_model *m = mtok_catalog_model(x->o->cat, id->valuestring);
    if (!m) {
        bad(x->ck, field, "\"%s\" is not a model in the catalog", id->valuestring);
        return;
    }
    size_t batch[MAXV], prefill[MAXV], ctx[MAXV], mtok[MAXV];
    size_t nb = get_nums(x->ck, e, w, "batch", 1, 4096, false, batch);
    size_t np = get_nums(x->ck, e, w, "prefill", 1, 65536, false, prefill);
    size_t nc = get_nums(x->ck, e, w, "ctx", 1, 1 << 20, false, ctx);
    size_t nm = get_nums(x->ck, e, w, "moe_tokens", 1, 65536, false, mtok);
    const char *wprec[MAXV];
    size_t nw = 0;
    const cJSON *wp = cJSON_GetObjectItemCaseSensitive(e, "wprec");
    if (!wp)
        wprec[nw++] = "native";
    else if (cJSON_IsString(wp))
        wprec[nw++] = wp->valuestring;
    else if (cJSON_IsArray(wp) && cJSON_GetArraySize(wp) <= MAXV) {
        const cJSON *v;
        cJSON_ArrayForEach(v, wp) wprec[nw++] = cJSON_IsString(v) ? v->valuestring : "?";
    }
    const struct mtok_hw *hw = mtok_catalog_hw_at(x->o->cat, 0);
    for (size_t i = 0; i < nw; i++) {
        struct mtok_prec prec;
        struct mtok_error err = {0};
        snprintf(field, sizeof field, "%swprec", w);
        if (mtok_prec_resolve(m, wprec[i], NULL, &prec, &err) != MTOK_OK) {
            bad(x->ck, field, "%s", err.msg);
            continue;
        }
        struct mtok_deploy dep = mtok_deploy_default();
        struct mtok_plan *plan = NULL;
        if (mtok_plan_create(&plan, m, hw, x->o->sim, NULL, &prec, &dep, &err) != MTOK_OK) {
            bad(x->ck, field, "%s", err.msg);
            continue;
        }
        /* per-layer GEMMs at the decode batches and prefill chunks, as the simulator emits them */
        struct gemm_list g = {0};
        for (size_t b = 0; b < nb; b++)
            mtok_plan_visit(plan, true, (double)batch[b], 4096, collect_gemm, &g);
        for (size_t p = 0; p < np; p++)
            mtok_plan_visit(plan, false, 1, (double)prefill[p], collect_gemm, &g);
        for (size_t k = 0; k < g.n; k++)
            add_gemm(&x->ad, (enum mtok_dtype)g.v[k][3], g.v[k][0], g.v[k][1], g.v[k][2]);
        free(g.v);
        mtok_plan_destroy(plan);
        /* MoE at the token counts, in the routed experts' format */
        enum mtok_score_fn fn = m->router == MTOK_ROUTER_SIGMOID        ? MTOK_SCORE_SIGMOID
                                : m->router == MTOK_ROUTER_SQRTSOFTPLUS ? MTOK_SCORE_SQRTSOFTPLUS
                                                                        : MTOK_SCORE_SOFTMAX;
        if (m->n_experts && m->topk)
            for (size_t t = 0; t < nm; t++)
                add_moe(&x->ad, prec.w[MTOK_W_EXPERT], mtok[t], (size_t)m->n_experts,
                        (size_t)m->topk, (size_t)m->hidden, (size_t)m->moe_intermediate, fn);
    }
    /* attention at the contexts, by the layer kinds the model has */
    bool kinds[MTOK_ATTN_KIND_COUNT] = {0};
    for (int l = 0; l < m->n_layers; l++)
        kinds[m->layers[l].attn] = true;
    size_t win = m->sliding_window > 0 ? (size_t)m->sliding_window : 128;
    for (size_t c = 0; c < nc; c++) {
        if (kinds[MTOK_ATTN_FULL])
            add_gqa(&x->ad, MTOK_BF16, (size_t)m->n_heads, (size_t)m->n_kv_heads,
                    (size_t)m->head_dim, ctx[c], 0);
        if (kinds[MTOK_ATTN_MLA])
            add_mqa(&x->ad, V4_NONE, (size_t)m->n_heads, ctx[c], 0, 0, (size_t)m->kv_lora_rank,
                    (size_t)m->rope_dim);
        if (kinds[MTOK_ATTN_MLA_DSA]) {
            add_indexer(&x->ad, (size_t)m->index_heads, (size_t)m->index_head_dim, ctx[c], 1,
                        (size_t)m->index_topk);
            add_mqa(&x->ad, V4_NONE, (size_t)m->n_heads,
                    ctx[c] < (size_t)m->index_topk ? ctx[c] : (size_t)m->index_topk, 0, 0,
                    (size_t)m->kv_lora_rank, (size_t)m->rope_dim);
        }
        if (kinds[MTOK_ATTN_V4_CSA]) {
            add_indexer(&x->ad, (size_t)m->index_heads, (size_t)m->index_head_dim, ctx[c], 4,
                        (size_t)m->index_topk);
            add_mqa(&x->ad, V4_CSA, (size_t)m->n_heads, ctx[c], (size_t)m->index_topk, win, 0, 0);
        }
        if (kinds[MTOK_ATTN_V4_HCA])
            add_mqa(&x->ad, V4_HCA, (size_t)m->n_heads, ctx[c], 0, win, 0, 0);
        if (kinds[MTOK_ATTN_V4_SWA])
            add_mqa(&x->ad, V4_SWA, (size_t)m->n_heads, ctx[c], 0, win, 0, 0);
    }
}

static void expand_entry(struct expand *x, const cJSON *e, size_t i)
{
    char w[48];
    snprintf(w, sizeof w, "cases[%zu].", i);
    if (!cJSON_IsObject(e)) {
        w[strlen(w) - 1] = '\0';
        bad(x->ck, w, "must be an object");
        return;
    }
    if (cJSON_GetObjectItemCaseSensitive(e, "model")) {
        case_model(x, e, w);
        return;
    }
    const cJSON *k = cJSON_GetObjectItemCaseSensitive(e, "kernel");
    const char *kn = cJSON_IsString(k) ? k->valuestring : "";
    if (!strcmp(kn, "gemm") || !strcmp(kn, "gemv"))
        case_gemm(x, e, w, !strcmp(kn, "gemv"));
    else if (!strcmp(kn, "attn_gqa") || !strcmp(kn, "attn_mla") || !strcmp(kn, "attn_v4") ||
             !strcmp(kn, "indexer"))
        case_attention(x, e, w, kn);
    else if (!strcmp(kn, "moe"))
        case_moe(x, e, w);
    else if (!strcmp(kn, "engine_decode"))
        case_engine(x, e, w);
    else {
        char field[64];
        snprintf(field, sizeof field, "%skernel", w);
        bad(x->ck, field,
            "must be gemm, gemv, attn_gqa, attn_mla, attn_v4, indexer, moe or engine_decode "
            "(or the entry a {\"model\": id})");
    }
}

static bool id_ok(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || strchr("._-", *s)))
            return false;
    return true;
}

enum mtok_status mtok_bench_suite_parse(struct mtok_bench_suite **out, const char *name,
                                        const char *json, size_t len, const struct mtok_machine *m,
                                        const struct mtok_bench_load_opts *o,
                                        struct mtok_diags *diags)
{
    *out = NULL;
    struct ck ck = {.file = name, .d = diags, .before = diags->n};
    cJSON *root = cJSON_ParseWithLength(json, len);
    if (!root || !cJSON_IsObject(root)) {
        bad(&ck, "(file)", "not a JSON object");
        cJSON_Delete(root);
        return MTOK_EINVAL;
    }
    static const char *const known[] = {"bench",  "description", "threads",   "rotate_mib", "cases",
                                        "source", "date",        "uncertain", "note",       NULL};
    check_keys(&ck, root, "", known);
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(root, "bench");
    if (!cJSON_IsString(id) || !id_ok(id->valuestring))
        bad(&ck, "bench", "must be the suite's id ([a-z0-9._-])");
    const cJSON *desc = cJSON_GetObjectItemCaseSensitive(root, "description");
    if (!cJSON_IsString(desc) || !desc->valuestring[0])
        bad(&ck, "description", "required: what the suite measures and why");
    static const char *const src_keys[] = {"source", "date"};
    for (int i = 0; i < 2; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(root, src_keys[i]);
        if (!cJSON_IsString(v) || !v->valuestring[0])
            bad(&ck, src_keys[i], "required: a non-empty string");
    }
    if (!cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(root, "uncertain")))
        bad(&ck, "uncertain", "required: true or false");
    /* threads: a list of counts and/or "all" */
    int cpus[1024];
    int tall = o && o->threads_all > 0 ? o->threads_all : bench_allowed_cpus(cpus, 1024);
    int threads[MAXV];
    size_t nth = 0;
    const cJSON *th = cJSON_GetObjectItemCaseSensitive(root, "threads");
    if (th) {
        const cJSON *v;
        if (!cJSON_IsArray(th) || cJSON_GetArraySize(th) < 1 || cJSON_GetArraySize(th) > MAXV)
            bad(&ck, "threads", "must be a list of thread counts or \"all\"");
        else
            cJSON_ArrayForEach(v, th)
            {
                int t = 0;
                if (cJSON_IsString(v) && !strcmp(v->valuestring, "all"))
                    t = tall;
                else if (cJSON_IsNumber(v) && v->valuedouble >= 1 && v->valuedouble <= 4096 &&
                         v->valuedouble == floor(v->valuedouble))
                    t = (int)v->valuedouble;
                else {
                    bad(&ck, "threads", "entries are whole numbers >= 1 or \"all\"");
                    continue;
                }
                bool dup = false;
                for (size_t k = 0; k < nth; k++)
                    dup |= threads[k] == t;
                if (!dup)
                    threads[nth++] = t;
            }
    }
    if (!nth)
        threads[nth++] = tall;
    if (o && o->threads > 0)
        threads[0] = o->threads, nth = 1;
    double rotate = 1024.0 * 1048576;
    const cJSON *rm = cJSON_GetObjectItemCaseSensitive(root, "rotate_mib");
    if (rm) {
        if (!cJSON_IsNumber(rm) || rm->valuedouble < 0 || rm->valuedouble > 1 << 20)
            bad(&ck, "rotate_mib", "must be a number of MiB in [0, 1048576]");
        else
            rotate = rm->valuedouble * 1048576;
    }
    if (o && o->rotate_bytes > 0)
        rotate = o->rotate_bytes;
    /* never more than a quarter of the machine's memory in rotated copies */
    if (m && m->mem_bytes > 0 && rotate > m->mem_bytes / 4)
        rotate = m->mem_bytes / 4;
    const cJSON *cases = cJSON_GetObjectItemCaseSensitive(root, "cases");
    if (!cJSON_IsArray(cases) || cJSON_GetArraySize(cases) < 1)
        bad(&ck, "cases", "required: a non-empty list of cases");
    struct mtok_bench_suite *s =
        mtok_bench_suite_create(cJSON_IsString(id) ? id->valuestring : name);
    struct expand x = {.ad = {.s = s,
                              .suite = cJSON_IsString(id) ? id->valuestring : name,
                              .threads = threads,
                              .n_threads = nth,
                              .rotate = rotate,
                              .seed = 42},
                       .ck = &ck,
                       .o = o};
    if (cJSON_IsArray(cases)) {
        size_t i = 0;
        const cJSON *e;
        cJSON_ArrayForEach(e, cases) expand_entry(&x, e, i++);
    }
    cJSON_Delete(root);
    if (diags->n != ck.before) {
        mtok_bench_suite_destroy(s);
        return MTOK_EINVAL;
    }
    *out = s;
    return MTOK_OK;
}

static bool is_bench_json(const char *json, size_t len)
{
    cJSON *r = cJSON_ParseWithLength(json, len);
    bool b = r && cJSON_GetObjectItemCaseSensitive(r, "bench") != NULL;
    cJSON_Delete(r);
    return b;
}

enum mtok_status mtok_bench_suite_load(struct mtok_bench_suite **out, const char *name_or_path,
                                       const struct mtok_machine *m,
                                       const struct mtok_bench_load_opts *o,
                                       struct mtok_diags *diags)
{
    *out = NULL;
    size_t n = strlen(name_or_path);
    bool is_path =
        strchr(name_or_path, '/') || (n > 5 && strcmp(name_or_path + n - 5, ".json") == 0);
    if (!is_path && strcmp(name_or_path, "host") == 0) {
        struct mtok_error err = {0};
        if (mtok_bench_suite_builtin(out, "host", m, false, &err) != MTOK_OK) {
            mtok_diags_add(diags, "--suite", "host", "%s", err.msg);
            return err.code;
        }
        return MTOK_OK;
    }
    if (!is_path && !id_ok(name_or_path)) {
        mtok_diags_add(diags, "--suite", name_or_path,
                       "not a suite name ([a-z0-9._-]) nor a path to a suite file");
        return MTOK_EINVAL;
    }
    struct mtok_buf path = {0};
    char *json = NULL;
    size_t len = 0;
    enum mtok_status st = MTOK_ENOTFOUND;
    const char *data_dir = o ? o->data_dir : NULL;
    if (is_path) {
        mtok_buf_puts(&path, name_or_path);
    } else if (data_dir) {
        mtok_buf_printf(&path, "%s/suites/%s.json", data_dir, name_or_path);
        FILE *f = fopen(path.data, "rb");
        if (f)
            fclose(f);
        else
            data_dir = NULL; /* a user's directory may leave the suites out: the embedded ones */
    }
    if (!is_path && !data_dir) {
        path.len = 0;
        mtok_buf_printf(&path, "data/suites/%s.json", name_or_path);
        const struct mtok_blob *b = mtok_embedded_find(path.data);
        if (!b) {
            mtok_diags_add(diags, "--suite", name_or_path,
                           "no such benchmark suite (host, or a file in data/suites)");
        } else {
            json = mtok_xmalloc(b->size + 1);
            memcpy(json, b->data, b->size + 1);
            len = b->size;
            st = MTOK_OK;
        }
    } else {
        st = mtok_file_read_diag(path.data, MTOK_CATALOG_MAX_FILE, &json, &len, diags);
    }
    if (st == MTOK_OK && !is_bench_json(json, len)) {
        mtok_diags_add(diags, path.data, "bench",
                       "not a benchmark suite (a design-space sweep suite is run by mtok sweep)");
        st = MTOK_EINVAL;
    }
    if (st == MTOK_OK)
        st = mtok_bench_suite_parse(out, path.data, json, len, m, o, diags);
    free(json);
    mtok_buf_free(&path);
    return st;
}

size_t mtok_bench_suite_names(const char *data_dir, char ***out)
{
    char **names;
    size_t nn, n = 0;
    *out = NULL;
    if (mtok_data_json_names(data_dir, "suites", &names, &nn, NULL) != MTOK_OK)
        return 0;
    for (size_t i = 0; i < nn; i++) {
        struct mtok_buf rel = {0};
        mtok_buf_printf(&rel, "suites/%s", names[i]);
        char *path, *json;
        size_t len;
        if (mtok_data_read(data_dir, rel.data, MTOK_CATALOG_MAX_FILE, &path, &json, &len, NULL) ==
                MTOK_OK &&
            is_bench_json(json, len)) { /* sorted already: the names come sorted */
            *out = mtok_xrealloc(*out, (n + 1) * sizeof **out);
            (*out)[n] = names[i];
            (*out)[n++][strlen(names[i]) - 5] = '\0';
            names[i] = NULL;
        }
        free(json);
        free(path);
        mtok_buf_free(&rel);
    }
    mtok_names_free(names, nn);
    return n;
}
