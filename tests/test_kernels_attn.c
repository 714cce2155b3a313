/* kernels: attention. Every variant (ref included) against a naive attention written here
 * (materialised scores, softmax in double): GQA/MHA prefill and decode with windows, sinks and bf16
 * or f32 caches; shared-KV MQA over bf16 and V4 fp8 entries, contiguous and gathered segments;
 * the lightning indexer; top-k; and the costs against the simulator's constructors. */
#include "kernels_common.h"

#define ATTN_BOUND 2e-5

/* ---- GQA ---- */

static float kv_at(const struct mtok_gqa *a, bool isv, size_t pos, size_t head, size_t c)
{
    size_t ps = isv && a->v_stride ? a->v_stride : a->kv_stride;
    size_t hs = isv ? (a->v_head_stride ? a->v_head_stride : a->dv)
                    : (a->k_head_stride ? a->k_head_stride : a->dqk);
    size_t off = pos * ps + head * hs + c;
    const void *base = isv ? a->v : a->k;
    if (a->kv_dtype == MTOK_F32)
        return ((const float *)base)[off];
    return mtok_bf16_to_f32(((const uint16_t *)base)[off]);
}

static void naive_gqa(const struct mtok_gqa *a, float *out)
{
    size_t G = a->heads / a->kv_heads;
    double *s = malloc(a->kv_len * sizeof *s);
    for (size_t i = 0; i < a->q_len; i++)
        for (size_t h = 0; h < a->heads; h++) {
            size_t hk = h / G, P = a->kv_len - a->q_len + i;
            size_t lo = a->window && P + 1 > a->window ? P + 1 - a->window : 0;
            double m = a->sinks ? a->sinks[h] : -INFINITY;
            for (size_t t = lo; t <= P; t++) {
                double d = 0;
                for (size_t c = 0; c < a->dqk; c++)
                    d += (double)a->q[i * a->q_stride + h * a->dqk + c] * kv_at(a, false, t, hk, c);
                s[t] = d * a->scale;
                m = fmax(m, s[t]);
            }
            double l = a->sinks ? exp(a->sinks[h] - m) : 0;
            for (size_t t = lo; t <= P; t++)
                l += exp(s[t] - m);
            for (size_t c = 0; c < a->dv; c++) {
                double o = 0;
                for (size_t t = lo; t <= P; t++)
                    o += exp(s[t] - m) * kv_at(a, true, t, hk, c);
                out[i * a->out_stride + h * a->dv + c] = (float)(o / l);
            }
        }
    free(s);
}

static bool g_head_major;

static void run_gqa_dv(size_t q_len, size_t kv_len, size_t heads, size_t kvh, size_t d, size_t dv,
                       size_t window, bool sinks, enum mtok_dtype kvdt)
{
    struct mtok_gqa a = {.q_len = q_len, .kv_len = kv_len, .heads = heads, .kv_heads = kvh,
                         .dqk = d, .dv = dv, .kv_dtype = kvdt, .window = window,
                         .scale = 1.0f / sqrtf((float)d)};
    a.q_stride = heads * a.dqk + 3;
    a.out_stride = heads * a.dv + 1;
    size_t cells;
    if (g_head_major) { /* [kv head][pos][dim], one padded cache length for both */
        size_t T = kv_len + 3;
        a.kv_stride = d;
        a.v_stride = dv;
        a.k_head_stride = T * d;
        a.v_head_stride = T * dv;
        cells = kvh * T * (d > dv ? d : dv);
    } else {
        a.kv_stride = kvh * (a.dv > a.dqk ? a.dv : a.dqk) + 2;
        cells = kv_len * a.kv_stride;
    }
    size_t esz = kvdt == MTOK_F32 ? 4 : 2;
    float *q = malloc(q_len * a.q_stride * sizeof(float));
    rng_fill(q, q_len * a.q_stride, 2.0f);
    void *k = malloc(cells * esz), *v = malloc(cells * esz);
    for (size_t i = 0; i < cells; i++) {
        float kf = rng_f() * 2, vf = rng_f();
        if (kvdt == MTOK_F32) {
            ((float *)k)[i] = kf;
            ((float *)v)[i] = vf;
        } else {
            ((uint16_t *)k)[i] = mtok_bf16_from_f32(kf);
            ((uint16_t *)v)[i] = mtok_bf16_from_f32(vf);
        }
    }
    float sk[64];
    rng_fill(sk, 64, 1);
    a.q = q;
    a.k = k;
    a.v = v;
    a.sinks = sinks ? sk : NULL;
    size_t on = q_len * a.out_stride;
    float *want = calloc(on, sizeof(float)), *got = malloc(on * sizeof(float));
    naive_gqa(&a, want);
    for (size_t vi = 0; vi < N_VARIANTS; vi++) {
        if (!variant_select(&all_variants[vi]))
            continue;
        memcpy(got, want, on * sizeof(float));
        for (size_t i = 0; i < q_len; i++)
            for (size_t c = 0; c < heads * a.dv; c++)
                got[i * a.out_stride + c] = NAN;
        a.out = got;
        mtok_attn_gqa(&a);
        CHECK_NERR(got, want, on, ATTN_BOUND,
                   "gqa %s q%zu kv%zu h%zu/%zu d%zu w%zu sink%d %s%s", all_variants[vi].name, q_len,
                   kv_len, heads, kvh, d, window, sinks, mtok_dtype_name(kvdt),
                   g_head_major ? " head-major" : "");
    }
    variant_reset();
    struct mtok_op op = mtok_attn_gqa_op("a", &a);
    CHECK(op.kind == MTOK_OP_ATTENTION && op.kv_bytes > 0);
    if (q_len == 1 && !window) {
        struct mtok_attn_shape sh = {1, 1, (double)kv_len, (double)kv_len, 0, (double)heads,
                                     (double)kvh, (double)a.dqk, (double)a.dv,
                                     (double)((a.dqk + a.dv) * esz)};
        struct mtok_op w = mtok_op_attention("a", &sh, MTOK_F32, MTOK_F32);
        w.wdtype = kvdt; /* attention ops carry the KV format in wdtype (mtok_calib_dtype) */
        CHECK(op_equal(&op, &w));
    }
    free(q), free(k), free(v), free(want), free(got);
}

/* value dims d + 8 (not a multiple of the vector width) unless d <= 16 */
static void run_gqa(size_t q_len, size_t kv_len, size_t heads, size_t kvh, size_t d, size_t window,
                    bool sinks, enum mtok_dtype kvdt)
{
    run_gqa_dv(q_len, kv_len, heads, kvh, d, d + (d > 16 ? 8 : 0), window, sinks, kvdt);
}

static void test_gqa(void)
{
    /* dims a multiple of 16 on bf16 caches: the kernels read the cache in place */
    run_gqa_dv(1, 1000, 32, 8, 128, 128, 0, false, MTOK_BF16);
    run_gqa_dv(1, 333, 8, 2, 64, 64, 0, true, MTOK_BF16);
    run_gqa_dv(1, 300, 6, 2, 64, 64, 100, true, MTOK_BF16);
    run_gqa_dv(40, 100, 8, 2, 128, 128, 0, false, MTOK_BF16);
    run_gqa_dv(3, 70, 5, 5, 32, 32, 9, true, MTOK_BF16);
    /* groups of 8, 7 (padded to 8) and 2 rows; dv 96 (odd number of 16-dim tiles per chunk pair) */
    run_gqa_dv(1, 517, 16, 2, 128, 96, 0, true, MTOK_BF16);
    run_gqa_dv(1, 250, 14, 2, 64, 64, 50, false, MTOK_BF16);
    run_gqa_dv(1, 129, 4, 2, 32, 32, 0, false, MTOK_BF16);
    /* decode */
    run_gqa(1, 1, 4, 1, 16, 0, false, MTOK_F32);
    run_gqa(1, 37, 8, 2, 40, 0, true, MTOK_BF16);
    run_gqa(1, 1000, 4, 4, 64, 0, false, MTOK_BF16);
    run_gqa(1, 700, 6, 1, 128, 0, true, MTOK_BF16);
    run_gqa(1, 300, 8, 2, 64, 7, false, MTOK_F32);
    run_gqa(1, 300, 8, 8, 24, 129, true, MTOK_BF16);
    /* prefill */
    run_gqa(5, 9, 4, 1, 16, 0, false, MTOK_F32);
    run_gqa(17, 17, 8, 2, 64, 0, true, MTOK_BF16);
    run_gqa(33, 70, 6, 6, 40, 0, false, MTOK_BF16);
    run_gqa(33, 70, 4, 2, 128, 5, true, MTOK_F32);
    run_gqa(70, 70, 16, 1, 24, 0, false, MTOK_BF16);
    /* head-major caches */
    g_head_major = true;
    run_gqa_dv(1, 1000, 32, 8, 128, 128, 0, true, MTOK_BF16);
    run_gqa_dv(1, 77, 6, 2, 40, 48, 0, false, MTOK_F32);
    run_gqa_dv(21, 90, 8, 4, 64, 64, 30, true, MTOK_BF16);
    g_head_major = false;
}

/* ---- shared-KV MQA ---- */

static void naive_mqa(const struct mtok_mqa *a, float *out)
{
    size_t n = 0, eb = mtok_kv_fmt_entry_bytes(a->fmt, a->dim);
    for (size_t s = 0; s < a->n_segs; s++)
        n += a->segs[s].n;
    float *E = malloc((n ? n : 1) * a->dim * sizeof(float));
    size_t e = 0;
    for (size_t s = 0; s < a->n_segs; s++)
        for (size_t i = 0; i < a->segs[s].n; i++, e++) {
            size_t j = a->segs[s].idx ? (size_t)a->segs[s].idx[i] : i;
            mtok_kv_load(a->fmt, a->dim, (const char *)a->segs[s].base + j * eb, E + e * a->dim);
        }
    double *sc = malloc((n ? n : 1) * sizeof *sc);
    for (size_t h = 0; h < a->heads; h++) {
        double m = a->sinks ? a->sinks[h] : -INFINITY;
        for (size_t t = 0; t < n; t++) {
            double d = 0;
            for (size_t c = 0; c < a->dim; c++)
                d += (double)a->q[h * a->dim + c] * E[t * a->dim + c];
            sc[t] = d * a->scale;
            m = fmax(m, sc[t]);
        }
        double l = a->sinks ? exp(a->sinks[h] - m) : 0;
        for (size_t t = 0; t < n; t++)
            l += exp(sc[t] - m);
        for (size_t c = 0; c < a->dv; c++) {
            double o = 0;
            for (size_t t = 0; t < n; t++)
                o += exp(sc[t] - m) * E[t * a->dim + c];
            out[h * a->dv + c] = n || a->sinks ? (float)(o / l) : 0.0f;
        }
    }
    free(sc);
    free(E);
}

static void run_mqa(enum mtok_kv_fmt fmt, size_t dim, size_t dv, size_t heads, size_t n1,
                    size_t n2, size_t n3, bool sinks)
{
    size_t eb = mtok_kv_fmt_entry_bytes(fmt, dim), cache = n1 + n2 + 50;
    uint8_t *c1 = malloc(cache * eb), *c2 = malloc(cache * eb);
    float *e = malloc(dim * sizeof(float));
    for (size_t i = 0; i < cache; i++) {
        rng_fill(e, dim, 1.5f);
        mtok_kv_store(fmt, dim, e, c1 + i * eb);
        rng_fill(e, dim, 1.5f);
        mtok_kv_store(fmt, dim, e, c2 + i * eb);
    }
    int32_t *idx = malloc((n2 ? n2 : 1) * sizeof *idx);
    for (size_t i = 0; i < n2; i++)
        idx[i] = (int32_t)((i * 7919) % cache);
    struct mtok_kv_seg segs[3] = {{c1, n1, NULL}, {c1, n2, idx}, {c2 + 10 * eb, n3, NULL}};
    float *q = malloc(heads * dim * sizeof(float)), sk[64];
    rng_fill(q, heads * dim, 0.2f);
    rng_fill(sk, 64, 2);
    struct mtok_mqa a = {.heads = heads, .dim = dim, .dv = dv, .q = q, .fmt = fmt, .segs = segs,
                         .n_segs = 3, .sinks = sinks ? sk : NULL, .scale = 1.0f / sqrtf((float)dim)};
    float *want = malloc(heads * dv * sizeof(float)), *got = malloc(heads * dv * sizeof(float));
    naive_mqa(&a, want);
    for (size_t vi = 0; vi < N_VARIANTS; vi++) {
        if (!variant_select(&all_variants[vi]))
            continue;
        for (size_t i = 0; i < heads * dv; i++)
            got[i] = NAN;
        a.out = got;
        mtok_attn_mqa(&a);
        CHECK_NERR(got, want, heads * dv, ATTN_BOUND, "mqa %s fmt%d dim%zu dv%zu h%zu n%zu+%zu+%zu",
                   all_variants[vi].name, (int)fmt, dim, dv, heads, n1, n2, n3);
    }
    variant_reset();
    struct mtok_op op = mtok_attn_mqa_op("m", &a);
    double n = (double)(n1 + n2 + n3);
    struct mtok_attn_shape sh = {1, 1, n, n, 0, (double)heads, 1, (double)dim, (double)dv, (double)eb};
    struct mtok_op w = mtok_op_attention("m", &sh, MTOK_F32, MTOK_F32);
    w.wdtype = fmt == MTOK_KV_V4 ? MTOK_FP8 : MTOK_BF16;
    CHECK(op_equal(&op, &w));
    free(c1), free(c2), free(e), free(idx), free(q), free(want), free(got);
}

static void test_mqa(void)
{
    run_mqa(MTOK_KV_V4, 512, 512, 16, 100, 37, 20, true);
    run_mqa(MTOK_KV_V4, 512, 512, 5, 1, 0, 0, false);
    run_mqa(MTOK_KV_V4, 512, 512, 20, 0, 300, 17, true);
    run_mqa(MTOK_KV_BF16, 576, 512, 16, 130, 9, 3, false); /* MLA absorbed: 512 latent + 64 rope */
    run_mqa(MTOK_KV_BF16, 64, 48, 3, 33, 5, 0, true);
    run_mqa(MTOK_KV_BF16, 64, 64, 17, 0, 0, 0, true);      /* no entries: sink only */
}

/* ---- indexer and top-k ---- */

static void run_indexer(size_t heads, size_t dim, size_t n)
{
    size_t kb = mtok_ikey_bytes(dim);
    uint8_t *keys = malloc(n * kb);
    float *key = malloc(dim * sizeof(float)), *kd = malloc(dim * sizeof(float));
    float *q = malloc(heads * dim * sizeof(float)), *w = malloc(heads * sizeof(float));
    rng_fill(q, heads * dim, 1);
    rng_fill(w, heads, 1);
    for (size_t t = 0; t < n; t++) {
        rng_fill(key, dim, 2);
        mtok_ikey_store(dim, key, keys + t * kb);
    }
    float *want = malloc(n * sizeof(float)), *got = malloc(n * sizeof(float));
    for (size_t t = 0; t < n; t++) {
        mtok_dequant_mxfp4(keys + t * kb, keys + t * kb + dim / 2, dim, kd);
        double s = 0;
        for (size_t h = 0; h < heads; h++) {
            double d = 0;
            for (size_t c = 0; c < dim; c++)
                d += (double)q[h * dim + c] * kd[c];
            d *= 0.125;
            s += w[h] * (d > 0 ? d : 0);
        }
        want[t] = (float)s;
    }
    struct mtok_indexer ix = {.heads = heads, .dim = dim, .q = q, .w = w, .scale = 0.125f,
                              .keys = keys, .n_keys = n, .scores = got};
    for (size_t vi = 0; vi < N_VARIANTS; vi++) {
        if (!variant_select(&all_variants[vi]))
            continue;
        for (size_t t = 0; t < n; t++)
            got[t] = NAN;
        mtok_indexer_score(&ix);
        CHECK_NERR(got, want, n, ATTN_BOUND, "indexer %s h%zu d%zu n%zu", all_variants[vi].name,
                   heads, dim, n);
    }
    variant_reset();
    struct mtok_op op = mtok_indexer_op("i", &ix, 7);
    struct mtok_op ref = mtok_op_indexer("i", 1, 1, (double)n, (double)heads, (double)dim,
                                         (double)kb, 7, MTOK_F32, MTOK_F32);
    ref.wdtype = MTOK_MXFP4; /* the keys' format */
    CHECK(op_equal(&op, &ref));
    CHECK(mtok_ikey_bytes(128) == 68);
    free(keys), free(key), free(kd), free(q), free(w), free(want), free(got);
}

static const float *g_sc;
static int cmp_desc(const void *a, const void *b)
{
    int32_t i = *(const int32_t *)a, j = *(const int32_t *)b;
    float x = g_sc[i], y = g_sc[j];
    bool xn = isnan(x), yn = isnan(y);
    if (xn != yn)
        return xn ? 1 : -1;
    if (!xn && x != y)
        return x > y ? -1 : 1;
    return i < j ? -1 : i > j;
}
static int cmp_int(const void *a, const void *b)
{
    int32_t i = *(const int32_t *)a, j = *(const int32_t *)b;
    return i < j ? -1 : i > j;
}

static void test_topk(void)
{
    for (int rep = 0; rep < 40; rep++) {
        size_t n = 1 + rng_u64() % 3000, k = rng_u64() % (n + 5);
        float *s = malloc(n * sizeof *s);
        for (size_t i = 0; i < n; i++) {
            s[i] = (float)(rng_u64() % (rep % 2 ? 7 : 100000)); /* many ties on odd reps */
            if (rng_u64() % 50 == 0)
                s[i] = rep % 3 ? NAN : -INFINITY;
        }
        int32_t *got = malloc((n + 5) * sizeof *got), *ord = malloc(n * sizeof *ord);
        size_t cnt = mtok_topk(s, n, k, got);
        for (size_t i = 0; i < n; i++)
            ord[i] = (int32_t)i;
        g_sc = s;
        qsort(ord, n, sizeof *ord, cmp_desc);
        size_t want = k < n ? k : n;
        qsort(ord, want, sizeof *ord, cmp_int);
        CHECK(cnt == want);
        CHECK_MSG(memcmp(got, ord, want * sizeof *ord) == 0, "topk n=%zu k=%zu", n, k);
        free(s), free(got), free(ord);
    }
}

int main(void)
{
    test_gqa();
    test_mqa();
    run_indexer(3, 64, 1);
    run_indexer(16, 128, 17);
    run_indexer(64, 128, 100);
    run_indexer(20, 96, 45);
    test_topk();
    return test_status("test_kernels_attn");
}
