/* A scaled-down DeepSeek-V4-Flash decoding one sequence through the kernels of this module (see
 * kernels.h). Random weights from a seed; caches in V4's formats; every op announced to hooks with
 * its simulator cost. No timing here: bench/ times the hooks. */
#include <cjson/cJSON.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#include "catalog/catalog.h"
#include "kernels/internal.h"

#define KV_DIM 512
#define ROPE_DIM 64

/* ---- deterministic random weights ---- */

static uint64_t mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

struct rng {
    uint64_t s;
};
static inline uint64_t rng_next(struct rng *r) { return mix64(r->s += 0x9E3779B97F4A7C15ull); }
static inline float rng_unit(struct rng *r) /* [-1, 1) */
{
    return (float)((double)(rng_next(r) >> 11) * 0x1.0p-52 - 1.0);
}
static struct rng rng_for(uint64_t seed, uint64_t a, uint64_t b, uint64_t c)
{
    return (struct rng){mix64(seed ^ mix64(a * 0x100000001B3ull ^ mix64(b * 0xC2B2AE3D27D4EB4Full ^ c)))};
}

/* Acklam's inverse normal CDF (relative error < 1.2e-9): the 256 quantiles below turn one random
 * byte into a normally distributed value, quantised once per table, so drawing a billion weights
 * costs a table lookup each. */
static double norm_icdf(double p)
{
    static const double a[6] = {-3.969683028665376e+01, 2.209460984245205e+02,
                                -2.759285104469687e+02, 1.383577518672690e+02,
                                -3.066479806614716e+01, 2.506628277459239e+00};
    static const double b[5] = {-5.447609879822406e+01, 1.615858368580409e+02,
                                -1.556989798598866e+02, 6.680131188771972e+01,
                                -1.328068155288572e+01};
    static const double c[6] = {-7.784894002430293e-03, -3.223964580411365e-01,
                                -2.400758277161838e+00, -2.549732539343734e+00,
                                4.374664141464968e+00,  2.938163982698783e+00};
    static const double d[4] = {7.784695709041462e-03, 3.224671290700398e-01,
                                2.445134137142996e+00, 3.754408661907416e+00};
    if (p < 0.02425 || p > 1 - 0.02425) {
        double q = sqrt(-2 * log(p < 0.5 ? p : 1 - p));
        double v = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
                   ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
        return p < 0.5 ? v : -v;
    }
    double q = p - 0.5, r = q * q;
    return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
           (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

static double quantile(int i) { return norm_icdf((i + 0.5) / 256.0); }

static void fill_gauss(float *x, size_t n, float std, struct rng *r)
{
    for (size_t i = 0; i < n; i++) /* Irwin-Hall: sum of four uniforms, variance 4/3 */
        x[i] = std * 0.8660254f * (rng_unit(r) + rng_unit(r) + rng_unit(r) + rng_unit(r));
}

/* A weight matrix of random codes, N(0, std) in distribution. */
static struct mtok_wmat *rand_wmat(enum mtok_dtype dt, size_t n, size_t k, float std,
                                   uint64_t seed, uint64_t layer, uint64_t id)
{
    struct mtok_wmat *w;
    MTOK_ASSERT(mtok_wmat_create(&w, dt, n, k, NULL, k, NULL) == MTOK_OK);
    uint8_t lut[256];
    int E = 0;
    if (dt == MTOK_FP8) {
        for (int i = 0; i < 256; i++)
            lut[i] = mtok_e4m3_from_f32((float)(quantile(i) * 64));
        float *s = w->scales;
        for (size_t i = 0; i < w->scale_bytes / sizeof(float); i++)
            s[i] = std / 64;
    } else if (dt == MTOK_MXFP4) {
        /* the MX rule applied to the typical block maximum (about 2.2 std for 32 values) */
        E = (int)floor(log2(2.2 * std)) - 2;
        double r = std / ldexp(1, E);
        for (int i = 0; i < 256; i++)
            lut[i] = mtok_e2m1_from_f32((float)(quantile(i) * r));
        memset(w->scales, E + 127, w->scale_bytes);
    }
    size_t rows_per = 64, chunks = MTOK_CEIL_DIV(n, rows_per);
    int nt = mtok_kernels_threads();
#pragma omp parallel for schedule(static) num_threads(nt)
    for (size_t ch = 0; ch < chunks; ch++) {
        struct rng r = rng_for(seed, layer, id, ch);
        size_t r0 = ch * rows_per, r1 = MTOK_MIN(n, r0 + rows_per);
        switch (dt) {
        case MTOK_FP8: {
            uint8_t *d = (uint8_t *)w->data + r0 * k;
            for (size_t i = 0; i < (r1 - r0) * k; i += 8) {
                uint64_t v = rng_next(&r);
                for (size_t j = 0; j < 8 && i + j < (r1 - r0) * k; j++)
                    d[i + j] = lut[(v >> (8 * j)) & 255];
            }
            break;
        }
        case MTOK_MXFP4: { /* panels of 16 rows: rows_per is a multiple of 16 */
            size_t pb = w->data_bytes / (w->n_pad / 16);
            uint8_t *d = (uint8_t *)w->data + (r0 / 16) * pb;
            size_t nb = MTOK_CEIL_DIV(r1 - r0, (size_t)16) * pb;
            for (size_t i = 0; i < nb; i += 4) {
                uint64_t v = rng_next(&r);
                for (size_t j = 0; j < 4 && i + j < nb; j++)
                    d[i + j] = (uint8_t)(lut[(v >> (16 * j)) & 255] |
                                         (lut[(v >> (16 * j + 8)) & 255] << 4));
            }
            break;
        }
        case MTOK_BF16: {
            uint16_t *d = (uint16_t *)w->data + r0 * k;
            for (size_t i = 0; i < (r1 - r0) * k; i++)
                d[i] = mtok_bf16_from_f32(std * 0.8660254f *
                                          (rng_unit(&r) + rng_unit(&r) + rng_unit(&r) + rng_unit(&r)));
            break;
        }
        default:
            fill_gauss((float *)w->data + r0 * k, (r1 - r0) * k, std, &r);
            break;
        }
    }
    return w;
}

static float *rand_vec(size_t n, float center, float spread, uint64_t seed, uint64_t layer,
                       uint64_t id)
{
    struct rng r = rng_for(seed, layer, id, 0);
    float *v = mtok_xmalloc(n * sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = center + spread * rng_unit(&r);
    return v;
}

/* ---- the model ---- */

struct compressor {
    size_t m, series, dim;      /* ratio, overlapping series (CSA 2, HCA 1), entry dim */
    struct mtok_wmat *wkv, *wgate; /* hidden -> series * dim */
    float *ape;                 /* m x series * dim: positional bias of the gates */
    float *norm;                /* dim */
    float *state;               /* slots (series * m) x (2 * series * dim): kv then gate */
    size_t slots;
};

struct layer {
    int ratio; /* 0 SWA, 4 CSA, 128 HCA */
    bool hash;
    float *attn_norm, *q_norm, *kv_norm, *ffn_norm, *sinks;
    struct mtok_wmat *wq_a, *wq_b, *wkv, **wo_a, *wo_b;
    struct compressor comp, icomp; /* icomp: the indexer's keys (CSA) */
    struct mtok_wmat *iwq;         /* q_lora -> index heads x index dim */
    struct mtok_wmat *iwproj;      /* hidden -> index heads (f32) */
    uint8_t *swa;                  /* window x 584: ring of the last `window` entries */
    uint8_t *ccache;               /* compressed entries */
    uint8_t *ikeys;                /* indexer keys (MXFP4) */
    size_t ncomp;
    struct mtok_wmat *router;
    float *router_bias;
    struct mtok_wmat **gate_up, **down; /* routed experts: 2I x hidden, hidden x I (MXFP4) */
    struct mtok_wmat *sh_gate_up, *sh_down;
    int32_t *tid2eid; /* hash layers: vocab x topk */
};

struct mtok_engine {
    struct mtok_model *model;
    size_t hidden, L, H, D, ql, og, ol, win, ih, idim, itopk, E, topk, I, ish, vocab;
    float eps, limit, rscale;
    bool norm_topk;
    struct mtok_rope rope_swa, rope_c;
    float scale_swa, scale_c;
    uint16_t *embed;
    float *final_norm;
    struct mtok_wmat *lm_head;
    struct layer *layers;
    size_t pos, max_ctx;
    /* scratch */
    float *h, *xn, *cq, *q, *kv, *o, *ogo, *attn, *logits, *comp_kv, *entry, *iq, *iw, *iscores;
    float *rlogits, *rw, *xp, *gu, *act, *yp, *moe, *sgu, *sact, *sout;
    int32_t *ids, *isel, *row_slot, *slot_row;
    size_t *offsets;
    double wbytes, abytes;
    char desc[320];
};

static double json_num(const cJSON *o, const char *key, double dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

static void compressor_init(struct compressor *c, size_t m, size_t series, size_t dim,
                            size_t hidden, uint64_t seed, uint64_t layer, uint64_t id)
{
    c->m = m;
    c->series = series;
    c->dim = dim;
    float std = 1.0f / sqrtf((float)hidden);
    c->wkv = rand_wmat(MTOK_FP8, series * dim, hidden, std, seed, layer, id);
    c->wgate = rand_wmat(MTOK_FP8, series * dim, hidden, std, seed, layer, id + 1);
    c->ape = rand_vec(m * series * dim, 0, 0.5f, seed, layer, id + 2);
    c->norm = rand_vec(dim, 1, 0.1f, seed, layer, id + 3);
    c->slots = series * m;
    c->state = mtok_xcalloc(c->slots * 2 * series * dim, sizeof(float));
}

static void compressor_free(struct compressor *c)
{
    mtok_wmat_destroy(c->wkv);
    mtok_wmat_destroy(c->wgate);
    free(c->ape);
    free(c->norm);
    free(c->state);
}

void mtok_engine_destroy(struct mtok_engine *e)
{
    if (!e)
        return;
    if (e->layers)
        for (size_t l = 0; l < e->L; l++) {
            struct layer *y = &e->layers[l];
            free(y->attn_norm), free(y->q_norm), free(y->kv_norm), free(y->ffn_norm);
            free(y->sinks);
            mtok_wmat_destroy(y->wq_a), mtok_wmat_destroy(y->wq_b), mtok_wmat_destroy(y->wkv);
            if (y->wo_a)
                for (size_t g = 0; g < e->og; g++)
                    mtok_wmat_destroy(y->wo_a[g]);
            free(y->wo_a);
            mtok_wmat_destroy(y->wo_b);
            if (y->ratio) {
                compressor_free(&y->comp);
                free(y->ccache);
            }
            if (y->ratio == 4) {
                compressor_free(&y->icomp);
                mtok_wmat_destroy(y->iwq);
                mtok_wmat_destroy(y->iwproj);
                free(y->ikeys);
            }
            free(y->swa);
            mtok_wmat_destroy(y->router);
            free(y->router_bias);
            if (y->gate_up)
                for (size_t x = 0; x < e->E; x++) {
                    mtok_wmat_destroy(y->gate_up[x]);
                    mtok_wmat_destroy(y->down[x]);
                }
            free(y->gate_up), free(y->down);
            mtok_wmat_destroy(y->sh_gate_up), mtok_wmat_destroy(y->sh_down);
            free(y->tid2eid);
        }
    free(e->layers);
    mtok_rope_free(&e->rope_swa);
    mtok_rope_free(&e->rope_c);
    free(e->embed);
    free(e->final_norm);
    mtok_wmat_destroy(e->lm_head);
    float *bufs[] = {e->h,   e->xn,   e->cq,  e->q,  e->kv,   e->o,   e->ogo,     e->attn,
                     e->logits, e->comp_kv, e->entry, e->iq, e->iw, e->iscores, e->rlogits,
                     e->rw,  e->xp,   e->gu,  e->act, e->yp,  e->moe, e->sgu, e->sact, e->sout};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        mtok_kfree(bufs[i]);
    free(e->ids), free(e->isel), free(e->row_slot), free(e->slot_row), free(e->offsets);
    mtok_model_destroy(e->model);
    free(e);
}

enum mtok_status mtok_engine_create(struct mtok_engine **out, const char *name, const char *json,
                                    size_t len, uint64_t seed, size_t max_ctx,
                                    struct mtok_error *err)
{
    *out = NULL;
    struct mtok_diags d = {0};
    struct mtok_model *m = NULL;
    if (mtok_model_parse(name, json, len, &m, &d) != MTOK_OK) {
        enum mtok_status st = mtok_error_set(err, MTOK_EINVAL, "%s",
                                             d.n ? d.lines[0] : "config does not parse");
        mtok_diags_free(&d);
        return st;
    }
    mtok_diags_free(&d);
    if (!m->model_type || strcmp(m->model_type, "deepseek_v4") != 0 || m->head_dim != KV_DIM ||
        m->rope_dim != ROPE_DIM || m->n_kv_heads != 1 || m->index_head_dim % 32 || !m->n_experts) {
        mtok_model_destroy(m);
        return mtok_error_set(err, MTOK_EINVAL,
                              "%s: the engine runs deepseek_v4 configs with head_dim 512, "
                              "qk_rope_head_dim 64, one KV head, MoE and index_head_dim %% 32 == 0",
                              name);
    }
    if (max_ctx < 1) {
        mtok_model_destroy(m);
        return mtok_error_set(err, MTOK_EINVAL, "engine: max_ctx must be > 0");
    }
    cJSON *root = cJSON_ParseWithLength(json, len);
    struct mtok_engine *e = mtok_xcalloc(1, sizeof *e);
    e->model = m;
    e->hidden = (size_t)m->hidden;
    e->L = (size_t)m->n_layers;
    e->H = (size_t)m->n_heads;
    e->D = KV_DIM;
    e->ql = (size_t)m->q_lora_rank;
    e->og = (size_t)m->o_groups;
    e->ol = (size_t)m->o_lora_rank;
    e->win = (size_t)m->sliding_window;
    e->ih = (size_t)m->index_heads;
    e->idim = (size_t)m->index_head_dim;
    e->itopk = (size_t)m->index_topk;
    e->E = (size_t)m->n_experts;
    e->topk = (size_t)m->topk;
    e->I = (size_t)m->moe_intermediate;
    e->ish = (size_t)m->shared_intermediate;
    e->vocab = (size_t)m->vocab;
    e->rscale = (float)m->routed_scaling;
    e->eps = (float)json_num(root, "rms_norm_eps", 1e-6);
    e->limit = (float)json_num(root, "swiglu_limit", 0);
    const cJSON *nt = cJSON_GetObjectItemCaseSensitive(root, "norm_topk_prob");
    e->norm_topk = !cJSON_IsBool(nt) || cJSON_IsTrue(nt);
    double theta = json_num(root, "rope_theta", 10000), ctheta = json_num(root, "compress_rope_theta", theta);
    const cJSON *ys = cJSON_GetObjectItemCaseSensitive(root, "rope_scaling");
    double yf = json_num(ys, "factor", 1), yorig = json_num(ys, "original_max_position_embeddings", 0);
    double bf = json_num(ys, "beta_fast", 32), bs = json_num(ys, "beta_slow", 1);
    cJSON_Delete(root);
    enum mtok_status st = mtok_rope_init(&e->rope_swa, ROPE_DIM, theta, 1, 0, 0, 0, true, err);
    if (st == MTOK_OK)
        st = mtok_rope_init(&e->rope_c, ROPE_DIM, ctheta, yf, yorig, bf, bs, true, err);
    if (st != MTOK_OK) {
        mtok_engine_destroy(e);
        return st;
    }
    e->scale_swa = 1.0f / sqrtf((float)e->D);
    e->scale_c = e->scale_swa * e->rope_c.mscale * e->rope_c.mscale;
    e->max_ctx = max_ctx;

    size_t hid = e->hidden;
    float sh = 1.0f / sqrtf((float)hid);
    e->embed = mtok_xmalloc(e->vocab * hid * sizeof(uint16_t));
    {
        struct mtok_wmat *emb = rand_wmat(MTOK_BF16, e->vocab, hid, 1.0f, seed, 999, 1);
        memcpy(e->embed, emb->data, e->vocab * hid * sizeof(uint16_t));
        mtok_wmat_destroy(emb);
    }
    e->final_norm = rand_vec(hid, 1, 0.1f, seed, 999, 2);
    e->lm_head = rand_wmat(MTOK_FP8, e->vocab, hid, sh, seed, 999, 3);
    e->layers = mtok_xcalloc(e->L, sizeof *e->layers);
    size_t n_swa = 0, n_csa = 0, n_hca = 0;
    for (size_t l = 0; l < e->L; l++) {
        struct layer *y = &e->layers[l];
        y->ratio = m->layers[l].compress_ratio;
        y->hash = m->layers[l].hash_routed;
        n_swa += y->ratio == 0, n_csa += y->ratio == 4, n_hca += y->ratio == 128;
        y->attn_norm = rand_vec(hid, 1, 0.1f, seed, l, 1);
        y->q_norm = rand_vec(e->ql, 1, 0.1f, seed, l, 2);
        y->kv_norm = rand_vec(e->D, 1, 0.1f, seed, l, 3);
        y->ffn_norm = rand_vec(hid, 1, 0.1f, seed, l, 4);
        y->sinks = rand_vec(e->H, 0, 1, seed, l, 5);
        y->wq_a = rand_wmat(MTOK_FP8, e->ql, hid, sh, seed, l, 10);
        y->wq_b = rand_wmat(MTOK_FP8, e->H * e->D, e->ql, 1.0f / sqrtf((float)e->ql), seed, l, 11);
        y->wkv = rand_wmat(MTOK_FP8, e->D, hid, sh, seed, l, 12);
        size_t gin = e->H / e->og * e->D;
        y->wo_a = mtok_xcalloc(e->og, sizeof *y->wo_a);
        for (size_t g = 0; g < e->og; g++)
            y->wo_a[g] = rand_wmat(MTOK_FP8, e->ol, gin, 1.0f / sqrtf((float)gin), seed, l, 20 + g);
        y->wo_b = rand_wmat(MTOK_FP8, hid, e->og * e->ol, 1.0f / sqrtf((float)(e->og * e->ol)),
                            seed, l, 13);
        y->swa = mtok_xcalloc(e->win, 584);
        if (y->ratio) {
            compressor_init(&y->comp, (size_t)y->ratio, y->ratio == 4 ? 2 : 1, e->D, hid, seed, l, 40);
            y->ccache = mtok_xcalloc(max_ctx / (size_t)y->ratio + 1, 584);
        }
        if (y->ratio == 4) {
            compressor_init(&y->icomp, 4, 2, e->idim, hid, seed, l, 50);
            y->iwq = rand_wmat(MTOK_FP8, e->ih * e->idim, e->ql, 1.0f / sqrtf((float)e->ql), seed, l, 14);
            y->iwproj = rand_wmat(MTOK_F32, e->ih, hid, sh, seed, l, 15);
            y->ikeys = mtok_xcalloc(max_ctx / 4 + 1, mtok_ikey_bytes(e->idim));
        }
        y->router = rand_wmat(MTOK_F32, e->E, hid, sh, seed, l, 16);
        y->router_bias = rand_vec(e->E, 0, 0.05f, seed, l, 17);
        y->gate_up = mtok_xcalloc(e->E, sizeof *y->gate_up);
        y->down = mtok_xcalloc(e->E, sizeof *y->down);
        for (size_t x = 0; x < e->E; x++) {
            y->gate_up[x] = rand_wmat(MTOK_MXFP4, 2 * e->I, hid, sh, seed, l, 100 + 2 * x);
            y->down[x] = rand_wmat(MTOK_MXFP4, hid, e->I, 1.0f / sqrtf((float)e->I), seed, l, 101 + 2 * x);
        }
        if (e->ish) {
            y->sh_gate_up = rand_wmat(MTOK_FP8, 2 * e->ish, hid, sh, seed, l, 18);
            y->sh_down = rand_wmat(MTOK_FP8, hid, e->ish, 1.0f / sqrtf((float)e->ish), seed, l, 19);
        }
        if (y->hash) { /* distinct experts per token */
            y->tid2eid = mtok_xmalloc(e->vocab * e->topk * sizeof(int32_t));
            struct rng r = rng_for(seed, l, 30, 0);
            for (size_t t = 0; t < e->vocab; t++)
                for (size_t j = 0; j < e->topk; j++) {
                    int32_t id;
                    bool dup;
                    do {
                        id = (int32_t)(rng_next(&r) % e->E);
                        dup = false;
                        for (size_t i = 0; i < j; i++)
                            dup |= y->tid2eid[t * e->topk + i] == id;
                    } while (dup);
                    y->tid2eid[t * e->topk + j] = id;
                }
        }
    }
    /* scratch */
    size_t big = MTOK_MAX(e->H * e->D, MTOK_MAX(hid, e->ih * e->idim));
    e->h = mtok_kcalloc(hid * 4), e->xn = mtok_kcalloc(hid * 4), e->cq = mtok_kcalloc(e->ql * 4);
    e->q = mtok_kcalloc(big * 4), e->kv = mtok_kcalloc(e->D * 4), e->o = mtok_kcalloc(big * 4);
    e->ogo = mtok_kcalloc(e->og * e->ol * 4), e->attn = mtok_kcalloc(hid * 4);
    e->logits = mtok_kcalloc(e->vocab * 4);
    e->comp_kv = mtok_kcalloc(4 * e->D * 4), e->entry = mtok_kcalloc(e->D * 4);
    e->iq = mtok_kcalloc(e->ih * e->idim * 4), e->iw = mtok_kcalloc(e->ih * 4);
    e->iscores = mtok_kcalloc((max_ctx / 4 + 1) * 4);
    e->rlogits = mtok_kcalloc(e->E * 4), e->rw = mtok_kcalloc(e->topk * 4);
    e->xp = mtok_kcalloc(e->topk * hid * 4), e->gu = mtok_kcalloc(e->topk * 2 * e->I * 4);
    e->act = mtok_kcalloc(e->topk * e->I * 4), e->yp = mtok_kcalloc(e->topk * hid * 4);
    e->moe = mtok_kcalloc(hid * 4), e->sgu = mtok_kcalloc((2 * e->ish + 1) * 4);
    e->sact = mtok_kcalloc((e->ish + 1) * 4), e->sout = mtok_kcalloc(hid * 4);
    e->ids = mtok_xmalloc(e->topk * sizeof(int32_t));
    e->isel = mtok_xmalloc((e->itopk + 1) * sizeof(int32_t));
    e->row_slot = mtok_xmalloc(e->topk * sizeof(int32_t));
    e->slot_row = mtok_xmalloc(e->topk * sizeof(int32_t));
    e->offsets = mtok_xmalloc((e->E + 1) * sizeof(size_t));

    /* weight bytes: all, and read per token */
    double all = (double)e->vocab * hid * 2 + mtok_wmat_bytes(e->lm_head), act = hid * 2.0 + mtok_wmat_bytes(e->lm_head);
    for (size_t l = 0; l < e->L; l++) {
        struct layer *y = &e->layers[l];
        double a = mtok_wmat_bytes(y->wq_a) + mtok_wmat_bytes(y->wq_b) + mtok_wmat_bytes(y->wkv) +
                   mtok_wmat_bytes(y->wo_b) + mtok_wmat_bytes(y->router);
        for (size_t g = 0; g < e->og; g++)
            a += mtok_wmat_bytes(y->wo_a[g]);
        if (y->ratio)
            a += mtok_wmat_bytes(y->comp.wkv) + mtok_wmat_bytes(y->comp.wgate);
        if (y->ratio == 4)
            a += mtok_wmat_bytes(y->icomp.wkv) + mtok_wmat_bytes(y->icomp.wgate) +
                 mtok_wmat_bytes(y->iwq) + mtok_wmat_bytes(y->iwproj);
        if (e->ish)
            a += mtok_wmat_bytes(y->sh_gate_up) + mtok_wmat_bytes(y->sh_down);
        double ex = mtok_wmat_bytes(y->gate_up[0]) + mtok_wmat_bytes(y->down[0]);
        all += a + ex * (double)e->E;
        act += a + ex * (double)e->topk;
    }
    e->wbytes = all;
    e->abytes = act;
    snprintf(e->desc, sizeof e->desc,
             "hidden %zu, %zu layers (%zu SWA, %zu CSA, %zu HCA), %zu heads x 512, q_lora %zu, "
             "%zu experts (top-%zu, %zu x %zu) + shared, vocab %zu; weights %.2f GB, %.1f MB read "
             "per token",
             hid, e->L, n_swa, n_csa, n_hca, e->H, e->ql, e->E, e->topk, e->I, hid, e->vocab,
             all / 1e9, act / 1e6);
    *out = e;
    return MTOK_OK;
}

size_t mtok_engine_pos(const struct mtok_engine *e) { return e->pos; }
int mtok_engine_vocab(const struct mtok_engine *e) { return (int)e->vocab; }
double mtok_engine_weight_bytes(const struct mtok_engine *e) { return e->wbytes; }
double mtok_engine_active_weight_bytes(const struct mtok_engine *e) { return e->abytes; }
const char *mtok_engine_describe(const struct mtok_engine *e) { return e->desc; }

/* ---- one decode step ---- */

#define RUN(hk, layer, opexpr, ...)                                                                \
    do {                                                                                           \
        struct mtok_op op_ = (opexpr);                                                             \
        if ((hk) && (hk)->before)                                                                  \
            (hk)->before((hk)->ctx, &op_, layer);                                                  \
        __VA_ARGS__;                                                                               \
        if ((hk) && (hk)->after)                                                                   \
            (hk)->after((hk)->ctx, &op_, layer);                                                   \
    } while (0)

static void gemv(const struct mtok_wmat *w, const float *x, float *y) { mtok_gemm(w, 1, x, w->k, y, w->n); }

/* Per-head RMSNorm (no weight) and RoPE on the last 64 dims of each 512-dim head. */
static void heads_norm_rope(const struct mtok_engine *e, const struct mtok_rope *rope, float *x,
                            size_t heads, double pos)
{
    for (size_t h = 0; h < heads; h++)
        mtok_rmsnorm(x + h * e->D, x + h * e->D, NULL, e->D, e->eps);
    mtok_rope_apply(rope, x + e->D - ROPE_DIM, heads, e->D, pos, false);
}

/* Push this token's projections into a compressor; when its block completes, write the entry
 * (softmax over the block's positions per dimension, RMSNorm, RoPE at the block start) to out.
 * Returns whether an entry was produced. */
static bool compress_token(struct mtok_engine *e, struct compressor *c, const struct mtok_rope *rope,
                           size_t pos, const float *kvp, const float *gp, float *out)
{
    size_t sd = c->series * c->dim, slot = pos % c->slots;
    float *st = c->state + slot * 2 * sd;
    memcpy(st, kvp, sd * sizeof(float));
    for (size_t i = 0; i < sd; i++)
        st[sd + i] = gp[i] + c->ape[(pos % c->m) * sd + i];
    if ((pos + 1) % c->m != 0)
        return false;
    size_t blk = pos / c->m, first = blk * c->m;
    /* positions: series 0 reads the previous block (CSA overlap), series 1 (or 0 for HCA) this one */
    for (size_t d = 0; d < c->dim; d++) {
        float mx = -INFINITY;
        for (size_t s = 0; s < c->series; s++) {
            bool prev = c->series == 2 && s == 0;
            if (prev && blk == 0)
                continue;
            for (size_t i = 0; i < c->m; i++) {
                size_t p = (prev ? first - c->m : first) + i;
                mx = fmaxf(mx, c->state[(p % c->slots) * 2 * sd + sd + s * c->dim + d]);
            }
        }
        double num = 0, den = 0;
        for (size_t s = 0; s < c->series; s++) {
            bool prev = c->series == 2 && s == 0;
            if (prev && blk == 0)
                continue;
            for (size_t i = 0; i < c->m; i++) {
                size_t p = (prev ? first - c->m : first) + i;
                const float *sp = c->state + (p % c->slots) * 2 * sd;
                double wgt = exp((double)sp[sd + s * c->dim + d] - mx);
                num += wgt * sp[s * c->dim + d];
                den += wgt;
            }
        }
        out[d] = (float)(num / den);
    }
    mtok_rmsnorm(out, out, c->norm, c->dim, e->eps);
    if (c->dim == e->D)
        mtok_rope_apply(rope, out + e->D - ROPE_DIM, 1, e->D, (double)first, false);
    return true;
}

static struct mtok_op compress_op(const struct compressor *c)
{
    double window = (double)(c->series * c->m);
    /* per dim and position: exp, multiply-add twice, max; state read once */
    return mtok_op_elementwise("compress", window * (double)c->dim, 5, 8, 0);
}

enum mtok_status mtok_engine_step(struct mtok_engine *e, int32_t token,
                                  const struct mtok_engine_hooks *hk, int32_t *next, float *logits,
                                  struct mtok_error *err)
{
    if (token < 0 || (size_t)token >= e->vocab)
        return mtok_error_set(err, MTOK_EINVAL, "engine: token %d outside the vocabulary (%zu)",
                              (int)token, e->vocab);
    if (e->pos >= e->max_ctx)
        return mtok_error_set(err, MTOK_EINVAL, "engine: context full (%zu positions)", e->max_ctx);
    size_t hid = e->hidden, pos = e->pos, eb = 584;
    RUN(hk, -1, mtok_op_move("embed", (double)hid * 6),
        mtok_bf16_to_f32_array(e->embed + (size_t)token * hid, e->h, hid));
    for (size_t l = 0; l < e->L; l++) {
        struct layer *y = &e->layers[l];
        int li = (int)l;
        const struct mtok_rope *rope = y->ratio ? &e->rope_c : &e->rope_swa;
        /* ---- attention ---- */
        RUN(hk, li, mtok_rmsnorm_op("attn_norm", 1, hid), mtok_rmsnorm(e->xn, e->h, y->attn_norm, hid, e->eps));
        RUN(hk, li, mtok_gemm_op("wq_a", y->wq_a, 1), gemv(y->wq_a, e->xn, e->cq));
        RUN(hk, li, mtok_rmsnorm_op("q_norm", 1, e->ql), mtok_rmsnorm(e->cq, e->cq, y->q_norm, e->ql, e->eps));
        RUN(hk, li, mtok_gemm_op("wq_b", y->wq_b, 1), gemv(y->wq_b, e->cq, e->q));
        RUN(hk, li, mtok_rmsnorm_op("q_head_norm_rope", e->H, e->D),
            heads_norm_rope(e, rope, e->q, e->H, (double)pos));
        RUN(hk, li, mtok_gemm_op("wkv", y->wkv, 1), gemv(y->wkv, e->xn, e->kv));
        RUN(hk, li, mtok_rmsnorm_op("kv_norm_rope", 1, e->D), {
            mtok_rmsnorm(e->kv, e->kv, y->kv_norm, e->D, e->eps);
            mtok_rope_apply(rope, e->kv + e->D - ROPE_DIM, 1, e->D, (double)pos, false);
        });
        RUN(hk, li, mtok_op_move("kv_store", (double)e->D * 4 + (double)eb),
            mtok_kv_store(MTOK_KV_V4, e->D, e->kv, y->swa + (pos % e->win) * eb));
        size_t nsel = 0;
        if (y->ratio) {
            struct compressor *c = &y->comp;
            float *kvp = e->comp_kv, *gp = e->comp_kv + c->series * c->dim;
            RUN(hk, li, mtok_gemm_op("compress_kv", c->wkv, 1), gemv(c->wkv, e->xn, kvp));
            RUN(hk, li, mtok_gemm_op("compress_gate", c->wgate, 1), gemv(c->wgate, e->xn, gp));
            bool done = false;
            RUN(hk, li, compress_op(c), done = compress_token(e, c, rope, pos, kvp, gp, e->entry));
            if (done)
                RUN(hk, li, mtok_op_move("compress_store", (double)e->D * 4 + (double)eb),
                    mtok_kv_store(MTOK_KV_V4, e->D, e->entry, y->ccache + y->ncomp * eb));
            if (y->ratio == 4) {
                struct compressor *ic = &y->icomp;
                float *ikv = e->comp_kv, *ig = e->comp_kv + ic->series * ic->dim;
                RUN(hk, li, mtok_gemm_op("index_compress_kv", ic->wkv, 1), gemv(ic->wkv, e->xn, ikv));
                RUN(hk, li, mtok_gemm_op("index_compress_gate", ic->wgate, 1), gemv(ic->wgate, e->xn, ig));
                bool idone = false;
                RUN(hk, li, compress_op(ic), idone = compress_token(e, ic, rope, pos, ikv, ig, e->entry));
                if (idone)
                    RUN(hk, li, mtok_op_move("index_key_store", (double)ic->dim * 4 + (double)mtok_ikey_bytes(ic->dim)),
                        mtok_ikey_store(ic->dim, e->entry, y->ikeys + y->ncomp * mtok_ikey_bytes(ic->dim)));
            }
            y->ncomp += done;
            if (y->ratio == 4 && y->ncomp > 0) {
                RUN(hk, li, mtok_gemm_op("index_q", y->iwq, 1), gemv(y->iwq, e->cq, e->iq));
                RUN(hk, li, mtok_gemm_op("index_w", y->iwproj, 1), gemv(y->iwproj, e->xn, e->iw));
                struct mtok_indexer ix = {.heads = e->ih, .dim = e->idim, .q = e->iq, .w = e->iw,
                                          .scale = 1.0f / sqrtf((float)(e->idim * e->ih)),
                                          .keys = y->ikeys, .n_keys = y->ncomp, .scores = e->iscores};
                RUN(hk, li, mtok_indexer_op("indexer", &ix, e->itopk), {
                    mtok_indexer_score(&ix);
                    nsel = mtok_topk(e->iscores, y->ncomp, e->itopk, e->isel);
                });
            }
        }
        struct mtok_kv_seg segs[2];
        size_t ns = 0;
        if (y->ratio == 4 && nsel)
            segs[ns++] = (struct mtok_kv_seg){y->ccache, nsel, e->isel};
        if (y->ratio == 128 && y->ncomp)
            segs[ns++] = (struct mtok_kv_seg){y->ccache, y->ncomp, NULL};
        segs[ns++] = (struct mtok_kv_seg){y->swa, MTOK_MIN(pos + 1, e->win), NULL};
        struct mtok_mqa a = {.heads = e->H, .dim = e->D, .dv = e->D, .q = e->q, .fmt = MTOK_KV_V4,
                             .segs = segs, .n_segs = ns, .sinks = y->sinks,
                             .scale = y->ratio ? e->scale_c : e->scale_swa, .out = e->o};
        RUN(hk, li, mtok_attn_mqa_op(y->ratio == 0 ? "attn_swa" : y->ratio == 4 ? "attn_csa" : "attn_hca", &a),
            mtok_attn_mqa(&a));
        RUN(hk, li, mtok_rope_op("o_derope", e->H, ROPE_DIM),
            mtok_rope_apply(rope, e->o + e->D - ROPE_DIM, e->H, e->D, (double)pos, true));
        size_t goff[65];
        MTOK_ASSERT(e->og < 65);
        for (size_t g = 0; g <= e->og; g++)
            goff[g] = g;
        size_t gin = e->H / e->og * e->D;
        RUN(hk, li, mtok_grouped_gemm_op("wo_a", (const struct mtok_wmat *const *)y->wo_a, e->og, goff),
            mtok_grouped_gemm((const struct mtok_wmat *const *)y->wo_a, e->og, goff, e->o, gin, e->ogo, e->ol));
        RUN(hk, li, mtok_gemm_op("wo_b", y->wo_b, 1), gemv(y->wo_b, e->ogo, e->attn));
        for (size_t i = 0; i < hid; i++)
            e->h[i] += e->attn[i];
        /* ---- MoE ---- */
        RUN(hk, li, mtok_rmsnorm_op("ffn_norm", 1, hid), mtok_rmsnorm(e->xn, e->h, y->ffn_norm, hid, e->eps));
        RUN(hk, li, mtok_gemm_op("router", y->router, 1), gemv(y->router, e->xn, e->rlogits));
        RUN(hk, li, mtok_moe_route_op("moe_route", 1, e->E), {
            if (y->hash) { /* hash layers: experts from the token id, weights from the scores */
                double sum = 0;
                for (size_t j = 0; j < e->topk; j++) {
                    int32_t x = y->tid2eid[(size_t)token * e->topk + j];
                    float lg = e->rlogits[x];
                    e->ids[j] = x;
                    e->rw[j] = sqrtf(lg > 20.0f ? lg : log1pf(expf(lg)));
                    sum += e->rw[j];
                }
                for (size_t j = 0; j < e->topk; j++)
                    e->rw[j] = (float)(e->rw[j] * (e->norm_topk ? e->rscale / sum : e->rscale));
            } else {
                mtok_moe_route(e->rlogits, 1, e->E, e->topk, MTOK_SCORE_SQRTSOFTPLUS, y->router_bias,
                               e->norm_topk, e->rscale, e->ids, e->rw);
            }
        });
        RUN(hk, li, mtok_moe_move_op("moe_permute", e->topk, hid), {
            mtok_moe_permute(e->ids, 1, e->topk, e->E, e->offsets, e->row_slot, e->slot_row);
            mtok_moe_gather(e->xn, hid, e->topk, e->row_slot, e->topk, e->xp);
        });
        const struct mtok_wmat *const *gu = (const struct mtok_wmat *const *)y->gate_up;
        const struct mtok_wmat *const *dn = (const struct mtok_wmat *const *)y->down;
        RUN(hk, li, mtok_grouped_gemm_op("moe_gate_up", gu, e->E, e->offsets),
            mtok_grouped_gemm(gu, e->E, e->offsets, e->xp, hid, e->gu, 2 * e->I));
        RUN(hk, li, mtok_swiglu_op("moe_act", e->topk * e->I), {
            for (size_t r = 0; r < e->topk; r++)
                mtok_swiglu(e->act + r * e->I, e->gu + r * 2 * e->I, e->gu + r * 2 * e->I + e->I, e->I, e->limit);
        });
        RUN(hk, li, mtok_grouped_gemm_op("moe_down", dn, e->E, e->offsets),
            mtok_grouped_gemm(dn, e->E, e->offsets, e->act, e->I, e->yp, hid));
        RUN(hk, li, mtok_moe_move_op("moe_combine", e->topk, hid),
            mtok_moe_combine(e->yp, hid, e->slot_row, e->rw, 1, e->topk, e->moe));
        if (e->ish) {
            RUN(hk, li, mtok_gemm_op("shared_gate_up", y->sh_gate_up, 1), gemv(y->sh_gate_up, e->xn, e->sgu));
            RUN(hk, li, mtok_swiglu_op("shared_act", e->ish),
                mtok_swiglu(e->sact, e->sgu, e->sgu + e->ish, e->ish, e->limit));
            RUN(hk, li, mtok_gemm_op("shared_down", y->sh_down, 1), gemv(y->sh_down, e->sact, e->sout));
        }
        for (size_t i = 0; i < hid; i++)
            e->h[i] += e->moe[i] + (e->ish ? e->sout[i] : 0.0f);
    }
    RUN(hk, -1, mtok_rmsnorm_op("final_norm", 1, hid), mtok_rmsnorm(e->xn, e->h, e->final_norm, hid, e->eps));
    RUN(hk, -1, mtok_gemm_op("lm_head", e->lm_head, 1), gemv(e->lm_head, e->xn, e->logits));
    size_t best = 0;
    for (size_t i = 1; i < e->vocab; i++)
        if (e->logits[i] > e->logits[best])
            best = i;
    if (next)
        *next = (int32_t)best;
    if (logits)
        memcpy(logits, e->logits, e->vocab * sizeof(float));
    e->pos++;
    return MTOK_OK;
}

enum mtok_status mtok_engine_fill(struct mtok_engine *e, size_t n, uint64_t seed,
                                  struct mtok_error *err)
{
    if (n >= e->max_ctx)
        return mtok_error_set(err, MTOK_EINVAL, "engine: fill %zu >= context %zu", n, e->max_ctx);
    float *v = mtok_xmalloc(e->D * sizeof *v);
    for (size_t l = 0; l < e->L; l++) {
        struct layer *y = &e->layers[l];
        struct rng r = rng_for(seed, l, 77, n);
        for (size_t i = 0; i < e->win; i++) {
            fill_gauss(v, e->D, 1, &r);
            mtok_kv_store(MTOK_KV_V4, e->D, v, y->swa + i * 584);
        }
        if (!y->ratio)
            continue;
        y->ncomp = n / (size_t)y->ratio;
        for (size_t i = 0; i < y->ncomp; i++) {
            fill_gauss(v, e->D, 1, &r);
            mtok_kv_store(MTOK_KV_V4, e->D, v, y->ccache + i * 584);
            if (y->ratio == 4) {
                fill_gauss(v, e->idim, 1, &r);
                mtok_ikey_store(e->idim, v, y->ikeys + i * mtok_ikey_bytes(e->idim));
            }
        }
        fill_gauss(y->comp.state, y->comp.slots * 2 * y->comp.series * y->comp.dim, 1, &r);
        if (y->ratio == 4)
            fill_gauss(y->icomp.state, y->icomp.slots * 2 * y->icomp.series * y->icomp.dim, 1, &r);
    }
    free(v);
    e->pos = n;
    return MTOK_OK;
}
