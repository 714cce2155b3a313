/* kernels: dispatch, element-wise kernels (every variant against the reference), RoPE / YaRN,
 * and the MoE router, permutation, gather and combine. */
#define _POSIX_C_SOURCE 200809L
#include <stdlib.h>

#include "kernels_common.h"
#include "kernels/internal.h" /* the scalar references, for comparison */

static void test_dispatch(void)
{
    const struct mtok_cpu *c = mtok_cpu_get();
    printf("  cpu: %s family %d model %d avx2 %d avx512 %d bf16 %d vnni %d vbmi %d amx %d/%d\n",
           c->vendor, c->family, c->model, c->avx2, c->avx512f, c->avx512bf16, c->avx512vnni,
           c->avx512vbmi, c->amx_bf16, c->amx_granted);
    enum mtok_isa isa;
    CHECK(mtok_isa_parse("avx2", &isa) == MTOK_OK && isa == MTOK_ISA_AVX2);
    CHECK(mtok_isa_parse("sse", &isa) == MTOK_EINVAL);
    CHECK(mtok_isa_available(MTOK_ISA_REF));
    for (size_t v = 0; v < N_VARIANTS; v++) {
        struct mtok_error err = {0};
        enum mtok_status st = mtok_kernels_select(all_variants[v].isa, all_variants[v].amx, &err);
        if (mtok_isa_available(all_variants[v].isa)) {
            CHECK(st == MTOK_OK && mtok_kernels_isa() == all_variants[v].isa);
            CHECK(strstr(mtok_kernels_describe(), mtok_isa_name(all_variants[v].isa)) != NULL);
        } else {
            CHECK(st == MTOK_EUNSUPPORTED && err.msg[0]);
        }
    }
    /* MTOK_ARCH overrides; an unknown name is an error from init */
    setenv("MTOK_ARCH", "ref", 1);
    CHECK(mtok_kernels_init(NULL) == MTOK_OK && mtok_kernels_isa() == MTOK_ISA_REF);
    setenv("MTOK_ARCH", "neon", 1);
    struct mtok_error err = {0};
    CHECK(mtok_kernels_init(&err) == MTOK_EINVAL && strstr(err.msg, "MTOK_ARCH"));
    unsetenv("MTOK_ARCH");
    CHECK(mtok_kernels_init(NULL) == MTOK_OK);
    mtok_kernels_set_threads(3);
    CHECK(mtok_kernels_threads() == 3);
    mtok_kernels_set_threads(0);
    CHECK(mtok_kernels_threads() >= 1);
}

static void test_elementwise(void)
{
    static const size_t ns[] = {1, 7, 16, 17, 33, 100, 4096};
    for (size_t s = 0; s < sizeof ns / sizeof ns[0]; s++) {
        size_t n = ns[s];
        float *x = malloc(n * 4), *w = malloc(n * 4), *u = malloc(n * 4);
        float *ref = malloc(n * 4), *got = malloc(n * 4);
        rng_fill(x, n, 8);
        rng_fill(w, n, 1);
        rng_fill(u, n, 12);
        for (size_t v = 0; v < N_VARIANTS; v++) {
            if (!variant_select(&all_variants[v]))
                continue;
            const char *nm = all_variants[v].name;
            mtok_rmsnorm_ref(ref, x, w, n, 1e-6f);
            mtok_rmsnorm(got, x, w, n, 1e-6f);
            CHECK_NERR(got, ref, n, 1e-6, "rmsnorm %s n=%zu", nm, n);
            memcpy(got, x, n * 4);
            mtok_rmsnorm(got, got, NULL, n, 1e-6f); /* in place, no weight */
            mtok_rmsnorm_ref(ref, x, NULL, n, 1e-6f);
            CHECK_NERR(got, ref, n, 1e-6, "rmsnorm in place %s n=%zu", nm, n);
            for (int lim = 0; lim < 2; lim++) {
                mtok_swiglu_ref(ref, x, u, n, lim ? 10.0f : 0.0f);
                mtok_swiglu(got, x, u, n, lim ? 10.0f : 0.0f);
                CHECK_NERR(got, ref, n, 1e-6, "swiglu %s n=%zu limit %d", nm, n, lim);
            }
            memcpy(ref, x, n * 4);
            memcpy(got, x, n * 4);
            mtok_softmax_ref(ref, n);
            mtok_softmax(got, n);
            CHECK_NERR(got, ref, n, 1e-6, "softmax %s n=%zu", nm, n);
        }
        variant_reset();
        free(x), free(w), free(u), free(ref), free(got);
    }
    struct mtok_op op = mtok_rmsnorm_op("n", 2, 10);
    CHECK(op.kind == MTOK_OP_ELEMENTWISE && op.a_bytes == 2 * 10 * 8.0);
}

static void test_rope(void)
{
    struct mtok_rope r;
    CHECK(mtok_rope_init(&r, 7, 10000, 1, 0, 0, 0, true, NULL) == MTOK_EINVAL);
    CHECK(mtok_rope_init(&r, 64, 10000, 1, 0, 0, 0, true, NULL) == MTOK_OK);
    CHECK(fabsf(r.inv_freq[1] - powf(10000, -2.0f / 64)) < 1e-7f && r.mscale == 1.0f);
    float x[3 * 70], y[3 * 70];
    rng_fill(x, 3 * 70, 1);
    memcpy(y, x, sizeof x);
    mtok_rope_apply(&r, y, 3, 70, 1234.0, false);
    CHECK(nerr(y, x, 3 * 70) > 0.1);
    for (int v = 0; v < 3; v++) /* dims past r.dim untouched, norms of pairs kept */
        for (int i = 64; i < 70; i++)
            CHECK(y[v * 70 + i] == x[v * 70 + i]);
    CHECK(fabsf(hypotf(y[0], y[1]) - hypotf(x[0], x[1])) < 1e-5f);
    mtok_rope_apply(&r, y, 3, 70, 1234.0, true);
    CHECK_NERR(y, x, 3 * 70, 1e-5, "rope inverse");
    /* position 1, pair 0 rotates by exactly 1 radian */
    float p[64] = {1, 0};
    mtok_rope_apply(&r, p, 1, 64, 1.0, false);
    CHECK(fabsf(p[0] - cosf(1)) < 1e-6f && fabsf(p[1] - sinf(1)) < 1e-6f);
    mtok_rope_free(&r);
    /* YaRN (DeepSeek V4's compressed layers): high-frequency dims unchanged, low ones / factor */
    CHECK(mtok_rope_init(&r, 64, 160000, 16, 65536, 32, 1, true, NULL) == MTOK_OK);
    CHECK(fabsf(r.inv_freq[0] - 1.0f) < 1e-7f);
    CHECK(fabsf(r.inv_freq[31] - powf(160000, -62.0f / 64) / 16) < 1e-12f);
    CHECK(fabsf(r.mscale - (0.1f * logf(16) + 1)) < 1e-6f);
    mtok_rope_free(&r);
}

static void test_moe(void)
{
    const size_t T = 5, E = 19, K = 4;
    float logits[5 * 19], bias[19];
    rng_fill(logits, T * E, 4);
    rng_fill(bias, E, 0.5f);
    int32_t ids[20];
    float wts[20];
    for (int fn = 0; fn < 3; fn++) {
        mtok_moe_route(logits, T, E, K, (enum mtok_score_fn)fn, fn ? bias : NULL, true, 1.5f, ids,
                       wts);
        for (size_t t = 0; t < T; t++) {
            double s[19], tot = 0, sum_sel = 0;
            for (size_t e = 0; e < E; e++) {
                double x = logits[t * E + e];
                s[e] = fn == 1 ? 1 / (1 + exp(-x)) : fn == 2 ? sqrt(log1p(exp(x))) : exp(x);
                tot += s[e];
            }
            if (fn == 0)
                for (size_t e = 0; e < E; e++)
                    s[e] /= tot;
            bool used[19] = {0};
            for (size_t j = 0; j < K; j++) { /* the j-th pick is the best remaining score + bias */
                size_t best = 0;
                double bk = -INFINITY;
                for (size_t e = 0; e < E; e++) {
                    double key = s[e] + (fn ? bias[e] : 0);
                    if (!used[e] && key > bk) {
                        bk = key;
                        best = e;
                    }
                }
                used[best] = true;
                CHECK(ids[t * K + j] == (int32_t)best);
                sum_sel += s[best];
            }
            for (size_t j = 0; j < K; j++)
                CHECK(fabs(wts[t * K + j] - 1.5 * s[ids[t * K + j]] / sum_sel) < 1e-5);
        }
    }
    /* ties go to the lower index, a NaN score ranks below every number */
    const float tl[6] = {1, NAN, 3, 3, 1, -INFINITY};
    const int32_t order[6] = {2, 3, 0, 4, 5, 1};
    int32_t tid[6];
    float tw[6];
    for (size_t k = 1; k <= 6; k++) {
        mtok_moe_route(tl, 1, 6, k, MTOK_SCORE_SIGMOID, NULL, false, 1.0f, tid, tw);
        CHECK(memcmp(tid, order, k * sizeof *tid) == 0);
    }
    size_t off[20];
    int32_t row_slot[20], slot_row[20];
    mtok_moe_permute(ids, T, K, E, off, row_slot, slot_row);
    CHECK(off[0] == 0 && off[E] == T * K);
    for (size_t e = 0; e < E; e++)
        for (size_t r = off[e]; r < off[e + 1]; r++) {
            CHECK(ids[row_slot[r]] == (int32_t)e);
            CHECK(slot_row[row_slot[r]] == (int32_t)r);
            if (r > off[e])
                CHECK(row_slot[r] > row_slot[r - 1]); /* stable */
        }
    const size_t D = 13;
    float x[5 * 13], xp[20 * 13], out[5 * 13];
    rng_fill(x, T * D, 1);
    mtok_moe_gather(x, D, K, row_slot, T * K, xp);
    for (size_t r = 0; r < T * K; r++)
        CHECK(memcmp(xp + r * D, x + (row_slot[r] / K) * D, D * 4) == 0);
    /* identity experts: combine gives sum_j w_j x_t */
    mtok_moe_combine(xp, D, slot_row, wts, T, K, out);
    for (size_t t = 0; t < T; t++) {
        double ws = 0;
        for (size_t j = 0; j < K; j++)
            ws += wts[t * K + j];
        for (size_t d = 0; d < D; d++)
            CHECK(fabs(out[t * D + d] - ws * x[t * D + d]) < 1e-5);
    }
    struct mtok_op op = mtok_moe_move_op("p", 20, 13);
    struct mtok_op want = mtok_op_move("p", 2.0 * 20 * 13 * 4);
    CHECK(op_equal(&op, &want));
}

int main(void)
{
    test_dispatch();
    test_elementwise();
    test_rope();
    test_moe();
    return test_status("test_kernels_misc");
}
