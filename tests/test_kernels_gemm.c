/* kernels: GEMM / GEMV / grouped GEMM. Every variant against the reference on odd shapes (not
 * multiples of any block: m = 1, n = 17, k = 33 ...), per format; the reference itself against
 * plain f32 arithmetic within each format's rounding; weight storage round trips; costs equal the
 * simulator's constructors. */
#include "kernels_common.h"

static const enum mtok_dtype formats[] = {MTOK_F32, MTOK_BF16, MTOK_FP8, MTOK_MXFP4, MTOK_NVFP4,
                                          MTOK_INT8};
#define N_FORMATS (sizeof formats / sizeof formats[0])

/* Normalised error of the stored weights against the floats they came from. */
static double storage_bound(enum mtok_dtype dt)
{
    switch (dt) {
    case MTOK_F32: return 0;
    case MTOK_BF16: return 3e-3;
    case MTOK_FP8: return 0.05;
    case MTOK_MXFP4: return 0.2;
    case MTOK_NVFP4: return 0.15;
    case MTOK_INT8: return 0.01;
    default: return 0;
    }
}

/* The reference against y = x W_deq^T in double with unrounded x: the activation rounding of each
 * format (bf16, int8 blocks) is all that may differ. */
static double semantics_bound(enum mtok_dtype dt)
{
    switch (dt) {
    case MTOK_F32: return 1e-6;
    case MTOK_BF16:
    case MTOK_FP8: return 6e-3;
    default: return 2e-2;
    }
}

/* Variants against the reference: same arithmetic up to summation order (f32 accumulators). */
#define VARIANT_BOUND 2e-5

struct shape {
    size_t m, n, k;
};
static const struct shape shapes[] = {{1, 1, 1},   {1, 17, 33},   {1, 130, 300}, {1, 64, 1000},
                                      {2, 33, 65}, {3, 47, 129},  {5, 31, 64},   {13, 100, 257},
                                      {29, 70, 530}, {40, 129, 384}, {17, 33, 77}, {20, 300, 70}};
#define N_SHAPES (sizeof shapes / sizeof shapes[0])

static void test_storage(void)
{
    for (size_t f = 0; f < N_FORMATS; f++) {
        size_t n = 37, k = 301;
        float *src = malloc(n * k * sizeof *src), *back = malloc(n * k * sizeof *back);
        rng_fill(src, n * k, 2.0f);
        struct mtok_wmat *w;
        struct mtok_error err;
        CHECK(mtok_wmat_create(&w, formats[f], n, k, src, k, &err) == MTOK_OK);
        mtok_wmat_dequant_rows(w, 0, n, back);
        CHECK_NERR(back, src, n * k, storage_bound(formats[f]), "storage %s",
                   mtok_dtype_name(formats[f]));
        size_t bad = 0;
        for (size_t r = 0; r < n; r += 5)
            for (size_t c = 0; c < k; c += 3)
                bad += mtok_wmat_get(w, r, c) != back[r * k + c];
        CHECK_MSG(bad == 0, "%s: get vs dequant_rows", mtok_dtype_name(formats[f]));
        CHECK(mtok_wmat_bytes(w) == (double)n * k * mtok_dtype_weight_bits(formats[f]) / 8);
        mtok_wmat_destroy(w);
        free(src);
        free(back);
    }
    struct mtok_wmat *w = NULL;
    CHECK(mtok_wmat_create(&w, MTOK_INT4, 4, 4, NULL, 4, NULL) == MTOK_EUNSUPPORTED && !w);
    CHECK(mtok_wmat_create(&w, MTOK_F32, 0, 4, NULL, 4, NULL) == MTOK_EINVAL && !w);
    mtok_wmat_destroy(NULL);
}

static void test_gemm(void)
{
    for (size_t f = 0; f < N_FORMATS; f++)
        for (size_t s = 0; s < N_SHAPES; s++) {
            enum mtok_dtype dt = formats[f];
            size_t m = shapes[s].m, n = shapes[s].n, k = shapes[s].k, ldx = k + 3, ldy = n + 5;
            float *wsrc = malloc(n * k * sizeof(float)), *x = malloc(m * ldx * sizeof(float));
            float *yref = calloc(m * ldy, sizeof(float)), *y = malloc(m * ldy * sizeof(float));
            float *wdeq = malloc(n * k * sizeof(float)), *yplain = calloc(m * ldy, sizeof(float));
            rng_fill(wsrc, n * k, 1.0f);
            rng_fill(x, m * ldx, 3.0f);
            struct mtok_wmat *w;
            CHECK(mtok_wmat_create(&w, dt, n, k, wsrc, k, NULL) == MTOK_OK);
            variant_reset();
            mtok_gemm(w, m, x, ldx, yref, ldy);
            mtok_wmat_dequant_rows(w, 0, n, wdeq);
            for (size_t i = 0; i < m; i++)
                for (size_t j = 0; j < n; j++) {
                    double a = 0;
                    for (size_t c = 0; c < k; c++)
                        a += (double)x[i * ldx + c] * wdeq[j * k + c];
                    yplain[i * ldy + j] = (float)a;
                }
            CHECK_NERR(yref, yplain, m * ldy, semantics_bound(dt), "ref semantics %s %zux%zux%zu",
                       mtok_dtype_name(dt), m, n, k);
            for (size_t v = 1; v < N_VARIANTS; v++) {
                if (!variant_select(&all_variants[v]))
                    continue;
                for (size_t i = 0; i < m * ldy; i++)
                    y[i] = yref[i] + (i % ldy >= n ? 0.0f : 12345.0f); /* padding must survive */
                mtok_gemm(w, m, x, ldx, y, ldy);
                CHECK_NERR(y, yref, m * ldy, VARIANT_BOUND, "%s %s %zux%zux%zu",
                           all_variants[v].name, mtok_dtype_name(dt), m, n, k);
            }
            variant_reset();
            struct mtok_op op = mtok_gemm_op("t", w, m);
            struct mtok_op want = mtok_op_gemm("t", (double)m, (double)n, (double)k, dt, MTOK_F32,
                                               op.cdtype);
            CHECK(op_equal(&op, &want));
            CHECK(op.flops == 2.0 * m * n * k && op.w_bytes == mtok_wmat_bytes(w));
            mtok_wmat_destroy(w);
            free(wsrc), free(x), free(yref), free(y), free(wdeq), free(yplain);
        }
}

/* One threading split must not change a GEMV's bits (each row is computed by one thread). */
static void test_threads(void)
{
    size_t n = 300, k = 1000;
    float *src = malloc(n * k * sizeof(float)), x[1000], y1[300], y2[300];
    rng_fill(src, n * k, 1);
    rng_fill(x, k, 1);
    for (size_t f = 0; f < N_FORMATS; f++) {
        struct mtok_wmat *w;
        mtok_wmat_create(&w, formats[f], n, k, src, k, NULL);
        for (size_t v = 0; v < N_VARIANTS; v++) {
            if (!variant_select(&all_variants[v]))
                continue;
            mtok_kernels_set_threads(1);
            mtok_gemm(w, 1, x, k, y1, n);
            mtok_kernels_set_threads(2);
            mtok_gemm(w, 1, x, k, y2, n);
            CHECK_MSG(memcmp(y1, y2, sizeof y1) == 0, "%s %s: 1 vs 2 threads", all_variants[v].name,
                      mtok_dtype_name(formats[f]));
        }
        mtok_wmat_destroy(w);
    }
    mtok_kernels_set_threads(0);
    variant_reset();
    free(src);
}

static void test_grouped(void)
{
    const size_t G = 5, n = 40, k = 70;
    /* one row per group (decode), a few (the GEMV jobs), and groups past MTOK_GROUPED_GEMV_MAX_M
     * (8) beside small ones (GEMMs and GEMV jobs in one call) */
    const size_t rows_sets[3][5] = {{1, 0, 1, 1, 1}, {3, 0, 2, 5, 1}, {1, 11, 0, 2, 9}};
    for (size_t f = 0; f < N_FORMATS; f++)
        for (int set = 0; set < 3; set++) {
            struct mtok_wmat *w[5];
            float *src = malloc(n * k * sizeof(float));
            for (size_t g = 0; g < G; g++) {
                rng_fill(src, n * k, 1);
                mtok_wmat_create(&w[g], formats[f], n, k, src, k, NULL);
            }
            size_t off[6] = {0};
            for (size_t g = 0; g < G; g++)
                off[g + 1] = off[g] + rows_sets[set][g];
            size_t R = off[G];
            float *x = malloc(R * k * sizeof(float)), *yref = malloc(R * n * sizeof(float)),
                  *y = malloc(R * n * sizeof(float));
            rng_fill(x, R * k, 1);
            variant_reset();
            for (size_t g = 0; g < G; g++)
                if (off[g + 1] > off[g])
                    mtok_gemm(w[g], off[g + 1] - off[g], x + off[g] * k, k, yref + off[g] * n, n);
            for (size_t v = 0; v < N_VARIANTS; v++) {
                if (!variant_select(&all_variants[v]))
                    continue;
                memset(y, 0, R * n * sizeof(float));
                mtok_grouped_gemm((const struct mtok_wmat *const *)w, G, off, x, k, y, n);
                CHECK_NERR(y, yref, R * n, VARIANT_BOUND, "grouped %s %s set %d",
                           all_variants[v].name, mtok_dtype_name(formats[f]), set);
            }
            variant_reset();
            struct mtok_op op = mtok_grouped_gemm_op("g", (const struct mtok_wmat *const *)w, G, off);
            struct mtok_op want = mtok_op_grouped_gemm("g", (double)R, 4, (double)n, (double)k,
                                                       formats[f], MTOK_F32, op.cdtype);
            CHECK(op_equal(&op, &want));
            for (size_t g = 0; g < G; g++)
                mtok_wmat_destroy(w[g]);
            free(src), free(x), free(yref), free(y);
        }
}

int main(void)
{
    test_storage();
    test_gemm();
    test_threads();
    test_grouped();
    return test_status("test_kernels_gemm");
}
