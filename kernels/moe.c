/* Mixture of experts: router scoring and top-k, token permutation, gather, combine. The expert
 * matrices themselves run through mtok_grouped_gemm (gemm.c). Scalar code: these are O(tokens x
 * experts) and O(tokens x dim) passes, far below the expert GEMMs. */
#include <math.h>
#include <stdlib.h>

#include "kernels/internal.h"

static float score(enum mtok_score_fn fn, float x)
{
    switch (fn) {
    case MTOK_SCORE_SIGMOID: return 1.0f / (1.0f + expf(-x));
    case MTOK_SCORE_SQRTSOFTPLUS: return sqrtf(x > 20.0f ? x : log1pf(expf(x)));
    case MTOK_SCORE_SOFTMAX: break;
    }
    return x; /* softmax is normalised over the row below */
}

/* The selection order: a larger key first, a NaN after every number; equal keys keep their index
 * order (the insertion below is stable), so the lowest index wins a tie. */
static bool ranks_above(float a, float b)
{
    return !isnan(a) && (isnan(b) || a > b);
}

void mtok_moe_route(const float *logits, size_t tokens, size_t experts, size_t topk,
                    enum mtok_score_fn fn, const float *bias, bool normalize, float scaling,
                    int32_t *ids, float *weights)
{
    MTOK_ASSERT(topk >= 1 && topk <= experts);
    float *s = mtok_xmalloc(experts * sizeof *s);
    float *key = mtok_xmalloc(topk * sizeof *key);
    for (size_t t = 0; t < tokens; t++) {
        const float *lg = logits + t * experts;
        for (size_t e = 0; e < experts; e++)
            s[e] = score(fn, lg[e]);
        if (fn == MTOK_SCORE_SOFTMAX)
            mtok_softmax_ref(s, experts);
        /* One pass keeping the best topk so far in order: O(experts) compares plus the few
         * insertions, not topk passes over every expert. */
        int32_t *id = ids + t * topk;
        size_t n = 0;
        for (size_t e = 0; e < experts; e++) {
            float k = s[e] + (bias ? bias[e] : 0.0f);
            if (n == topk && !ranks_above(k, key[n - 1]))
                continue;
            size_t p = n < topk ? n++ : n - 1;
            for (; p > 0 && ranks_above(k, key[p - 1]); p--) {
                key[p] = key[p - 1];
                id[p] = id[p - 1];
            }
            key[p] = k;
            id[p] = (int32_t)e;
        }
        double sum = 0;
        for (size_t j = 0; j < topk; j++) {
            weights[t * topk + j] = s[id[j]];
            sum += s[id[j]];
        }
        float f = normalize && sum > 0 ? (float)(scaling / sum) : scaling;
        for (size_t j = 0; j < topk; j++)
            weights[t * topk + j] *= f;
    }
    free(key);
    free(s);
}

struct mtok_op mtok_moe_route_op(const char *name, size_t tokens, size_t experts)
{
    /* scoring function (~4) + selection compare (~2) per logit; logits read, ids/weights written */
    return mtok_op_elementwise(name, (double)tokens * (double)experts, 6, 4, 0);
}

void mtok_moe_permute(const int32_t *ids, size_t tokens, size_t topk, size_t experts,
                      size_t *offsets, int32_t *row_slot, int32_t *slot_row)
{
    size_t slots = tokens * topk;
    size_t *fill = mtok_xcalloc(experts + 1, sizeof *fill);
    for (size_t i = 0; i < slots; i++) {
        MTOK_ASSERT(ids[i] >= 0 && (size_t)ids[i] < experts);
        fill[ids[i] + 1]++;
    }
    offsets[0] = 0;
    for (size_t e = 0; e < experts; e++)
        offsets[e + 1] = offsets[e] + fill[e + 1];
    memset(fill, 0, (experts + 1) * sizeof *fill);
    for (size_t i = 0; i < slots; i++) {
        size_t e = (size_t)ids[i], r = offsets[e] + fill[e]++;
        row_slot[r] = (int32_t)i;
        slot_row[i] = (int32_t)r;
    }
    free(fill);
}

void mtok_moe_gather(const float *x, size_t dim, size_t topk, const int32_t *row_slot,
                     size_t rows, float *x_perm)
{
    for (size_t r = 0; r < rows; r++)
        memcpy(x_perm + r * dim, x + ((size_t)row_slot[r] / topk) * dim, dim * sizeof *x_perm);
}

void mtok_moe_combine(const float *y_perm, size_t dim, const int32_t *slot_row,
                      const float *weights, size_t tokens, size_t topk, float *out)
{
    for (size_t t = 0; t < tokens; t++) {
        float *o = out + t * dim;
        memset(o, 0, dim * sizeof *o);
        for (size_t j = 0; j < topk; j++) {
            float w = weights[t * topk + j];
            const float *y = y_perm + (size_t)slot_row[t * topk + j] * dim;
            for (size_t d = 0; d < dim; d++)
                o[d] += w * y[d];
        }
    }
}

struct mtok_op mtok_moe_move_op(const char *name, size_t rows, size_t dim)
{
    /* each permuted row is read once and written once */
    return mtok_op_move(name, 2.0 * (double)rows * (double)dim * sizeof(float));
}
