/* Model -> layer classes -> parameter tensors and per-device ops.
 *
 * Every architecture in the catalog is described here once, from the normalised struct mtok_model:
 * the tensors each layer holds (for parameter counts and weight bytes) and the ops one device runs
 * for a forward pass (for FLOPs, bytes and time). The ops go through the shared constructors of
 * sim/op.c, so a kernel measured by `mtok bench` and the op predicted here count alike.
 *
 * Shapes are per device after sharding (struct sim_shard). Token counts are doubles: a batch
 * spread over DP ranks gives fractional averages, which is what a steady state is. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/internal.h"

struct mtok_op mtok_op_kv_write(const char *name, double bytes)
{
    struct mtok_op op = mtok_op_move(name, bytes);
    op.a_bytes = 0;
    op.kv_bytes = bytes;
    return op;
}

int mtok_kv_family_of(enum mtok_attn_kind k)
{
    switch (k) {
    case MTOK_ATTN_FULL:
    case MTOK_ATTN_SLIDING: return MTOK_KVF_GQA;
    case MTOK_ATTN_MLA: return MTOK_KVF_MLA;
    case MTOK_ATTN_MLA_DSA: return MTOK_KVF_MLA_DSA;
    case MTOK_ATTN_V4_SWA:
    case MTOK_ATTN_V4_CSA:
    case MTOK_ATTN_V4_HCA: return MTOK_KVF_V4;
    default: return -1;
    }
}

const char *mtok_wclass_name(enum mtok_wclass c)
{
    static const char *const names[MTOK_W_CLASS_COUNT] = {"attention", "dense", "shared",
                                                          "experts",   "embed", "small"};
    return (unsigned)c < MTOK_W_CLASS_COUNT ? names[c] : "?";
}

/* ---- precision ---- */

enum mtok_status mtok_prec_resolve(const struct mtok_model *m, const char *wprec,
                                   const char *kvprec, struct mtok_prec *out,
                                   struct mtok_error *err)
{
    memset(out, 0, sizeof *out);
    out->w[MTOK_W_ATTN] = out->w[MTOK_W_DENSE] = out->w[MTOK_W_SHARED] = m->wprec_dense;
    out->w[MTOK_W_EXPERT] = m->wprec_expert;
    out->w[MTOK_W_EMBED] = m->wprec_embed;
    out->w[MTOK_W_SMALL] = MTOK_BF16;
    if (!wprec || !*wprec || strcmp(wprec, "native") == 0) {
        mtok_strlcpy(out->label, "native", sizeof out->label);
    } else {
        char a[24] = "", b[24] = "";
        const char *slash = strchr(wprec, '/');
        size_t la = slash ? (size_t)(slash - wprec) : strlen(wprec);
        if (la == 0 || la >= sizeof a || (slash && (strlen(slash + 1) == 0 ||
                                                    strlen(slash + 1) >= sizeof b)))
            return mtok_error_set(err, MTOK_EINVAL,
                                  "--wprec: \"%s\" is not native, a dtype or EXPERTS/DENSE", wprec);
        memcpy(a, wprec, la);
        if (slash)
            mtok_strlcpy(b, slash + 1, sizeof b);
        enum mtok_dtype da, db;
        if (mtok_dtype_parse(a, &da) != MTOK_OK || (slash && mtok_dtype_parse(b, &db) != MTOK_OK))
            return mtok_error_set(err, MTOK_EINVAL,
                                  "--wprec: \"%s\" names an unknown dtype (f32 bf16 f16 fp8 mxfp4 "
                                  "nvfp4 int8 int4)", wprec);
        if (da == MTOK_F64 || (slash && db == MTOK_F64))
            return mtok_error_set(err, MTOK_EINVAL, "--wprec: f64 weights are not modelled");
        if (slash) {
            out->w[MTOK_W_EXPERT] = da;
            out->w[MTOK_W_ATTN] = out->w[MTOK_W_DENSE] = out->w[MTOK_W_SHARED] = db;
        } else {
            for (int c = 0; c < MTOK_W_SMALL; c++)
                out->w[c] = da;
        }
        mtok_strlcpy(out->label, wprec, sizeof out->label);
    }
    if (!kvprec || !*kvprec || strcmp(kvprec, "native") == 0)
        out->kv = MTOK_KVPREC_NATIVE;
    else if (strcmp(kvprec, "bf16") == 0)
        out->kv = MTOK_KVPREC_BF16;
    else if (strcmp(kvprec, "fp8") == 0)
        out->kv = MTOK_KVPREC_FP8;
    else
        return mtok_error_set(err, MTOK_EINVAL, "--kvprec: \"%s\" is not native, bf16 or fp8",
                              kvprec);
    static const char *const kvl[] = {"native", "bf16", "fp8"};
    mtok_strlcpy(out->kv_label, kvl[out->kv], sizeof out->kv_label);
    return MTOK_OK;
}

/* ---- layer classes ---- */

size_t sim_classes(const struct mtok_model *m, struct sim_class **out)
{
    int n = m->n_layers + m->n_mtp;
    struct sim_class *c = mtok_xcalloc((size_t)n + 1, sizeof *c);
    size_t nc = 0;
    for (int i = 0; i < n; i++) {
        const struct mtok_layer *L = &m->layers[i];
        size_t k = 0;
        while (k < nc && !(c[k].attn == L->attn && c[k].ffn == L->ffn &&
                           c[k].ratio == L->compress_ratio && c[k].mtp == L->mtp))
            k++;
        if (k == nc) {
            c[nc] = (struct sim_class){.attn = L->attn, .ffn = L->ffn,
                                       .ratio = L->compress_ratio, .mtp = L->mtp};
            const char *a = L->attn != MTOK_ATTN_NONE ? mtok_attn_kind_name(L->attn) : "";
            const char *f = L->ffn != MTOK_FFN_NONE ? mtok_ffn_kind_name(L->ffn) : "";
            snprintf(c[nc].name, sizeof c[nc].name, "%s%s%s%s", L->mtp ? "mtp:" : "", a,
                     *a && *f ? "+" : "", f);
            nc++;
        }
        c[k].count++;
    }
    *out = c;
    return nc;
}

/* ---- small helpers ---- */

double sim_expert_frac(double experts, double topk, double tokens)
{
    if (experts <= 0 || tokens <= 0)
        return 0;
    if (topk >= experts)
        return 1;
    return -expm1(tokens * log1p(-topk / experts));
}

double sim_mean_min(double prior, double q, double scale, double cap)
{
    if (q <= 0)
        return 0;
    /* values v_i = (prior + i) / scale for i = 1..q; those with prior + i <= cap*scale are below */
    double lim = cap * scale - prior; /* i <= lim stay under the cap */
    double n1 = lim <= 0 ? 0 : (lim >= q ? q : floor(lim));
    double sum_lin = (n1 * prior + n1 * (n1 + 1) / 2) / scale;
    return (sum_lin + (q - n1) * cap) / q;
}

static double bytes_of(enum mtok_dtype dt) { return mtok_dtype_bits(dt) / 8; }

/* Bytes per activation element moved between devices, block scales included. */
static double wire_bytes(enum mtok_dtype dt)
{
    switch (dt) {
    case MTOK_FP8: return 1 + 4.0 / 128;  /* fp32 scale per 128 elements (DeepEP FP8 dispatch) */
    case MTOK_MXFP4: return 0.5 + 1.0 / 32;
    case MTOK_NVFP4: return 0.5 + 1.0 / 16;
    default: return bytes_of(dt);
    }
}

static int nmat(const struct mtok_model *m) { return m->act == MTOK_ACT_SWIGLU ? 3 : 2; }

static double hc(const struct mtok_model *m) { return m->hc_mult > 1 ? m->hc_mult : 1; }

void sim_emit_init(struct sim_emit *e, const struct mtok_model *m,
                   const struct mtok_sim_defaults *d, const struct mtok_prec *prec,
                   const struct sim_shard *sh)
{
    e->m = m;
    e->d = d;
    e->prec = prec;
    e->sh = sh ? *sh : (struct sim_shard){1, 1, 1, 1, 1, 1};
    for (int f = 0; f < MTOK_KVF_COUNT; f++) {
        int idx = d->kv_format[f][prec->kv];
        e->kv_format[f] = idx >= 0 ? idx : d->kv_format[f][MTOK_KVPREC_NATIVE];
    }
}

/* ---- KV cache ---- */

static const struct mtok_kv_format *fmt(const struct sim_emit *e, int family)
{
    return &e->d->formats[e->kv_format[family]];
}

static double index_key_bytes(const struct sim_emit *e, int family)
{
    int idx = e->d->kv_index_format[family];
    return idx < 0 ? 0 : mtok_kv_entry_bytes(&e->d->formats[idx], e->m->index_head_dim, 0);
}

/* One cached position of one layer (all KV heads). */
static double entry_bytes(const struct sim_emit *e, enum mtok_attn_kind k)
{
    const struct mtok_model *m = e->m;
    switch (mtok_kv_family_of(k)) {
    case MTOK_KVF_GQA: return m->n_kv_heads * mtok_kv_entry_bytes(fmt(e, MTOK_KVF_GQA), 2.0 * m->head_dim, 0);
    case MTOK_KVF_MLA: return mtok_kv_entry_bytes(fmt(e, MTOK_KVF_MLA), m->kv_lora_rank, m->rope_dim);
    case MTOK_KVF_MLA_DSA:
        return mtok_kv_entry_bytes(fmt(e, MTOK_KVF_MLA_DSA), m->kv_lora_rank, m->rope_dim);
    case MTOK_KVF_V4:
        return mtok_kv_entry_bytes(fmt(e, MTOK_KVF_V4), m->head_dim - m->rope_dim, m->rope_dim);
    }
    return 0;
}

/* Pending-tail state of a V4 compressor: up to ratio-1 projected tokens (kv + gate), plus the
 * previous full window for CSA's overlapping series, for the main and the indexer compressors. */
static double v4_tail_bytes(const struct sim_emit *e, int ratio)
{
    const struct mtok_model *m = e->m;
    double tb = bytes_of(e->d->tail_dtype);
    bool overlap = ratio == 4;
    double tokens = (ratio - 1) + (overlap ? ratio : 0);
    double width = (overlap ? 2.0 : 1.0) * 2; /* series x (kv, gate) */
    double b = tokens * width * m->head_dim * tb;
    if (overlap)
        b += tokens * width * m->index_head_dim * tb;
    return b;
}

double sim_layer_kv(const struct sim_emit *e, const struct sim_class *c, double ctx)
{
    const struct mtok_model *m = e->m;
    double win = ctx < m->sliding_window ? ctx : m->sliding_window;
    double sb = bytes_of(e->d->state_dtype), cb = bytes_of(e->d->conv_dtype);
    switch (c->attn) {
    case MTOK_ATTN_FULL:
    case MTOK_ATTN_MLA: return ctx * entry_bytes(e, c->attn);
    case MTOK_ATTN_SLIDING: return win * entry_bytes(e, c->attn);
    case MTOK_ATTN_MLA_DSA:
        return ctx * (entry_bytes(e, c->attn) + index_key_bytes(e, MTOK_KVF_MLA_DSA));
    case MTOK_ATTN_V4_SWA: return win * entry_bytes(e, c->attn);
    case MTOK_ATTN_V4_CSA:
        return floor(ctx / c->ratio) * (entry_bytes(e, c->attn) + index_key_bytes(e, MTOK_KVF_V4)) +
               win * entry_bytes(e, c->attn) + v4_tail_bytes(e, c->ratio);
    case MTOK_ATTN_V4_HCA:
        return floor(ctx / c->ratio) * entry_bytes(e, c->attn) + win * entry_bytes(e, c->attn) +
               v4_tail_bytes(e, c->ratio);
    case MTOK_ATTN_GDN: {
        double conv_dim = 2.0 * m->gdn_k_heads * m->gdn_k_dim + (double)m->gdn_v_heads * m->gdn_v_dim;
        return (double)m->gdn_v_heads * m->gdn_k_dim * m->gdn_v_dim * sb +
               (m->gdn_conv - 1) * conv_dim * cb;
    }
    case MTOK_ATTN_MAMBA2: {
        double d_inner = (double)m->mamba_heads * m->mamba_head_dim;
        double conv_dim = d_inner + 2.0 * m->mamba_groups * m->mamba_state;
        return d_inner * m->mamba_state * sb + (m->mamba_conv - 1) * conv_dim * cb;
    }
    default: return 0;
    }
}

double sim_layer_kv_slope(const struct sim_emit *e, const struct sim_class *c)
{
    switch (c->attn) {
    case MTOK_ATTN_FULL:
    case MTOK_ATTN_MLA: return entry_bytes(e, c->attn);
    case MTOK_ATTN_MLA_DSA: return entry_bytes(e, c->attn) + index_key_bytes(e, MTOK_KVF_MLA_DSA);
    case MTOK_ATTN_V4_CSA:
        return (entry_bytes(e, c->attn) + index_key_bytes(e, MTOK_KVF_V4)) / c->ratio;
    case MTOK_ATTN_V4_HCA: return entry_bytes(e, c->attn) / c->ratio;
    default: return 0;
    }
}

static double kv_heads_dev(const struct mtok_model *m, const struct sim_shard *sh)
{
    return sh->tp <= m->n_kv_heads ? m->n_kv_heads / sh->tp : 1;
}

double sim_layer_kv_dev_frac(const struct mtok_model *m, const struct sim_class *c,
                             const struct sim_shard *sh)
{
    switch (mtok_kv_family_of(c->attn)) {
    case MTOK_KVF_GQA: return kv_heads_dev(m, sh) / m->n_kv_heads;
    case MTOK_KVF_MLA:
    case MTOK_KVF_MLA_DSA:
    case MTOK_KVF_V4: return 1; /* one latent/shared KV head: every TP rank holds all of it */
    }
    return c->attn == MTOK_ATTN_NONE ? 0 : 1 / sh->tp; /* recurrent states split by heads */
}

/* ---- parameter tensors ---- */

struct wl {
    sim_weight_fn fn;
    void *arg;
    const struct sim_shard *sh;
};

static void W(struct wl *w, double elems, enum mtok_wclass wc, double active, double dev)
{
    w->fn(w->arg, elems, wc, active, dev);
}

static void attn_weights(struct wl *w, const struct mtok_model *m, enum mtok_attn_kind k, int ratio)
{
    double H = m->n_heads, D = m->hidden, tp = w->sh->tp;
    double col = 1 / tp;
    switch (k) {
    case MTOK_ATTN_FULL:
    case MTOK_ATTN_SLIDING: {
        double hd = m->head_dim, kvh = m->n_kv_heads;
        double kvfrac = kv_heads_dev(m, w->sh) / kvh;
        W(w, D * H * hd * (m->attn_output_gate ? 2 : 1), MTOK_W_ATTN, 1, col);
        W(w, 2 * D * kvh * hd, MTOK_W_ATTN, 1, kvfrac);
        W(w, H * hd * D, MTOK_W_ATTN, 1, col);
        if (m->attn_bias)
            W(w, H * hd + 2 * kvh * hd + D, MTOK_W_SMALL, 1, col);
        if (m->attn_sink)
            W(w, H, MTOK_W_SMALL, 1, col);
        return;
    }
    case MTOK_ATTN_MLA:
    case MTOK_ATTN_MLA_DSA: {
        double qk = m->qk_nope_dim + m->rope_dim;
        if (m->q_lora_rank) {
            W(w, D * m->q_lora_rank, MTOK_W_ATTN, 1, 1);
            W(w, m->q_lora_rank, MTOK_W_SMALL, 1, 1);
            W(w, m->q_lora_rank * H * qk, MTOK_W_ATTN, 1, col);
        } else {
            W(w, D * H * qk, MTOK_W_ATTN, 1, col);
        }
        W(w, D * (m->kv_lora_rank + m->rope_dim), MTOK_W_ATTN, 1, 1);
        W(w, m->kv_lora_rank, MTOK_W_SMALL, 1, 1);
        W(w, (double)m->kv_lora_rank * H * (m->qk_nope_dim + m->v_head_dim), MTOK_W_ATTN, 1, col);
        W(w, H * m->v_head_dim * D, MTOK_W_ATTN, 1, col);
        if (k == MTOK_ATTN_MLA_DSA) {
            double ih = m->index_heads, id = m->index_head_dim;
            W(w, m->q_lora_rank * ih * id, MTOK_W_ATTN, 1, 1); /* wq_b */
            W(w, D * id, MTOK_W_ATTN, 1, 1);                   /* wk */
            W(w, D * ih, MTOK_W_ATTN, 1, 1);                   /* weights_proj */
            W(w, 2 * id, MTOK_W_SMALL, 1, 1);                  /* k LayerNorm */
        }
        return;
    }
    case MTOK_ATTN_V4_SWA:
    case MTOK_ATTN_V4_CSA:
    case MTOK_ATTN_V4_HCA: {
        double hd = m->head_dim, g = m->o_groups;
        W(w, D * m->q_lora_rank, MTOK_W_ATTN, 1, 1);
        W(w, m->q_lora_rank + hd, MTOK_W_SMALL, 1, 1); /* q_norm, kv_norm */
        W(w, m->q_lora_rank * H * hd, MTOK_W_ATTN, 1, col);
        W(w, D * hd, MTOK_W_ATTN, 1, 1);
        W(w, H * hd * m->o_lora_rank, MTOK_W_ATTN, 1, col); /* grouped o_a: g x (H hd/g) x d_g */
        W(w, g * m->o_lora_rank * D, MTOK_W_ATTN, 1, col);
        W(w, H, MTOK_W_SMALL, 1, col); /* sinks */
        if (k == MTOK_ATTN_V4_CSA) {
            double id = m->index_head_dim, ih = m->index_heads;
            W(w, D * 4 * hd, MTOK_W_ATTN, 1, 1);          /* compressor kv + gate, two series */
            W(w, ratio * 2 * hd + hd, MTOK_W_SMALL, 1, 1); /* position bias + norm */
            W(w, D * 4 * id, MTOK_W_ATTN, 1, 1);          /* indexer compressor */
            W(w, ratio * 2 * id + id, MTOK_W_SMALL, 1, 1);
            W(w, m->q_lora_rank * ih * id, MTOK_W_ATTN, 1, 1);
            W(w, D * ih, MTOK_W_ATTN, 1, 1);
        } else if (k == MTOK_ATTN_V4_HCA) {
            W(w, D * 2 * hd, MTOK_W_ATTN, 1, 1);
            W(w, ratio * hd + hd, MTOK_W_SMALL, 1, 1);
        }
        return;
    }
    case MTOK_ATTN_GDN: {
        double key = (double)m->gdn_k_heads * m->gdn_k_dim, val = (double)m->gdn_v_heads * m->gdn_v_dim;
        W(w, D * (2 * key + 2 * val), MTOK_W_ATTN, 1, col);
        W(w, D * 2 * m->gdn_v_heads, MTOK_W_ATTN, 1, col);
        W(w, (2 * key + val) * m->gdn_conv + 2.0 * m->gdn_v_heads + m->gdn_v_dim, MTOK_W_SMALL, 1, col);
        W(w, val * D, MTOK_W_ATTN, 1, col);
        return;
    }
    case MTOK_ATTN_MAMBA2: {
        double di = (double)m->mamba_heads * m->mamba_head_dim;
        double gs = 2.0 * m->mamba_groups * m->mamba_state;
        W(w, D * (2 * di + gs + m->mamba_heads), MTOK_W_ATTN, 1, col);
        W(w, (di + gs) * (m->mamba_conv + 1) + 3.0 * m->mamba_heads + di, MTOK_W_SMALL, 1, col);
        W(w, di * D, MTOK_W_ATTN, 1, col);
        return;
    }
    default: return;
    }
}

static void ffn_weights(struct wl *w, const struct mtok_model *m, enum mtok_ffn_kind k)
{
    double D = m->hidden, tp = w->sh->tp, nm = nmat(m);
    if (k == MTOK_FFN_DENSE) {
        W(w, nm * D * m->intermediate, MTOK_W_DENSE, 1, 1 / tp);
    } else if (k == MTOK_FFN_MOE) {
        double E = m->n_experts, dm = m->moe_latent ? m->moe_latent : D;
        W(w, D * E + E, MTOK_W_SMALL, 1, 1); /* router + its score bias */
        W(w, E * nm * dm * m->moe_intermediate, MTOK_W_EXPERT, m->topk / E, 1 / w->sh->world);
        if (m->moe_latent)
            W(w, 2 * D * m->moe_latent, MTOK_W_DENSE, 1, 1);
        if (m->shared_intermediate)
            W(w, nm * D * m->shared_intermediate, MTOK_W_SHARED, 1, 1 / tp);
    }
}

void sim_layer_weights(const struct mtok_model *m, const struct sim_class *c,
                       const struct sim_shard *sh, sim_weight_fn fn, void *arg)
{
    struct sim_shard one = {1, 1, 1, 1, 1, 1};
    struct wl w = {fn, arg, sh ? sh : &one};
    double D = m->hidden, H = hc(m);
    double tp = w.sh->tp;
    if (!c) { /* embedding, LM head, final norm (+ V4's hyper-connection head) */
        W(&w, (double)m->vocab * D, MTOK_W_EMBED, 1.0 / m->vocab, 1 / tp);
        if (!m->tie_embeddings)
            W(&w, (double)m->vocab * D, MTOK_W_EMBED, 1, 1 / tp);
        W(&w, D, MTOK_W_SMALL, 1, 1);
        if (H > 1)
            W(&w, H * H * D + H + 1, MTOK_W_SMALL, 1, 1);
        return;
    }
    int sub = (c->attn != MTOK_ATTN_NONE) + (c->ffn != MTOK_FFN_NONE);
    W(&w, sub * D, MTOK_W_SMALL, 1, 1); /* pre-norms */
    if (H > 1) /* mHC: fn ((2+n)n x nD), base, 3 scales per sub-layer */
        W(&w, sub * ((2 + H) * H * H * D + (2 + H) * H + 3), MTOK_W_SMALL, 1, 1);
    if (c->mtp) { /* MTP input: enorm, hnorm, eh_proj (2D -> D), shared-head norm */
        W(&w, 2 * D * D, MTOK_W_ATTN, 1, 1);
        W(&w, 3 * D, MTOK_W_SMALL, 1, 1);
    }
    attn_weights(&w, m, c->attn, c->ratio);
    ffn_weights(&w, m, c->ffn);
}

/* ---- ops ---- */

struct em {
    const struct sim_emit *e;
    const struct mtok_model *m;
    const struct sim_step *s;
    struct sim_sink *k;
    double b; /* sequences per DP rank */
    double t; /* tokens per DP rank */
    double T; /* tokens in the instance (all DP ranks) */
};

static void put(struct em *x, struct mtok_op op, int flags) { x->k->op(x->k, &op, flags); }

static void gemm(struct em *x, const char *name, enum mtok_wclass wc, double rows, double n, double k)
{
    enum mtok_dtype w = x->e->prec->w[wc];
    put(x, mtok_op_gemm(name, rows, n, k, w, x->e->d->act_for[w], x->e->d->compute_for[w]), 0);
}

static void ggemm(struct em *x, const char *name, enum mtok_wclass wc, double rows, double groups,
                  double n, double k)
{
    enum mtok_dtype w = x->e->prec->w[wc];
    put(x, mtok_op_grouped_gemm(name, rows, groups, n, k, w, x->e->d->act_for[w],
                                x->e->d->compute_for[w]),
        0);
}

static void ew(struct em *x, const char *name, double elems, double ops)
{
    put(x, mtok_op_elementwise(name, elems, ops, 2, 2), 0);
}

static void coll(struct em *x, const char *name, enum mtok_collective kind, double bytes,
                 double group, int flags)
{
    if (group > 1)
        put(x, mtok_op_collective(name, kind, bytes, (int)group), flags);
}

static void allreduce_tp(struct em *x, const char *name)
{
    coll(x, name, MTOK_COLL_ALLREDUCE, x->t * x->m->hidden * 2, x->e->sh.tp, SIM_TP);
}

/* The op's wdtype names the KV cache's storage format (the family's quantised part): attention has
 * no weights, and the format is what a calibration keys on (mtok_calib_dtype). */
static void attention(struct em *x, const char *name, int family, double kv_len, double kv_read,
                      double heads, double kv_heads, double dqk, double dv, double entry)
{
    struct mtok_attn_shape a = {.batch = x->b, .q_len = x->s->q, .kv_len = kv_len,
                                .kv_read = kv_read, .kv_write = x->s->q, .heads = heads,
                                .kv_heads = kv_heads, .dqk = dqk, .dv = dv,
                                .kv_entry_bytes = entry};
    struct mtok_op op = mtok_op_attention(name, &a, MTOK_BF16, x->e->d->attn_compute);
    op.wdtype = fmt(x->e, family)->quant;
    put(x, op, 0);
}

static void indexer(struct em *x, int family, double keys)
{
    const struct mtok_model *m = x->m;
    /* queries are quantised like the cached keys and multiplied in that format (V3.2: FP8,
     * V4: FP4, FACTS A1.2), so the key format is the arithmetic */
    int idx = x->e->d->kv_index_format[family];
    enum mtok_dtype kd = x->e->d->formats[idx].quant;
    struct mtok_op op =
        mtok_op_indexer("indexer", x->b, x->s->q, keys, m->index_heads, m->index_head_dim,
                        index_key_bytes(x->e, family), m->index_topk, MTOK_BF16, kd);
    op.wdtype = kd; /* the key format, as for attention's KV format */
    put(x, op, 0);
}

static void emit_gqa(struct em *x, bool sliding)
{
    const struct mtok_model *m = x->m;
    const struct sim_step *s = x->s;
    double tp = x->e->sh.tp, hq = m->n_heads / tp, kvh = kv_heads_dev(m, &x->e->sh);
    double hd = m->head_dim, W = m->sliding_window;
    double qn = hq * hd * (m->attn_output_gate ? 2 : 1);
    gemm(x, "qkv_proj", MTOK_W_ATTN, x->t, qn + 2 * kvh * hd, m->hidden);
    ew(x, "qk_norm_rope", x->t * (hq + kvh) * hd, 6);
    double per_head = mtok_kv_entry_bytes(fmt(x->e, MTOK_KVF_GQA), 2 * hd, 0);
    double len, rd;
    if (s->decode)
        len = rd = s->x[0];
    else if (sliding)
        len = sim_mean_min(s->prior, s->q, 1, W), rd = s->prior < W ? s->prior : W;
    else
        len = s->prior + (s->q + 1) / 2, rd = s->prior;
    attention(x, sliding ? "attn_sliding" : "attn", MTOK_KVF_GQA, len, rd, hq, kvh, hd, hd,
              per_head);
    if (m->attn_output_gate)
        ew(x, "attn_gate", x->t * hq * hd, 5);
    gemm(x, "o_proj", MTOK_W_ATTN, x->t, m->hidden, hq * hd);
    allreduce_tp(x, "attn_allreduce");
}

static void emit_mla(struct em *x, bool dsa)
{
    const struct mtok_model *m = x->m;
    const struct sim_step *s = x->s;
    double tp = x->e->sh.tp, hq = m->n_heads / tp, qk = m->qk_nope_dim + m->rope_dim;
    if (m->q_lora_rank) {
        gemm(x, "q_a_proj", MTOK_W_ATTN, x->t, m->q_lora_rank, m->hidden);
        ew(x, "q_norm", x->t * m->q_lora_rank, 4);
        gemm(x, "q_b_proj", MTOK_W_ATTN, x->t, hq * qk, m->q_lora_rank);
    } else {
        gemm(x, "q_proj", MTOK_W_ATTN, x->t, hq * qk, m->hidden);
    }
    gemm(x, "kv_a_proj", MTOK_W_ATTN, x->t, m->kv_lora_rank + m->rope_dim, m->hidden);
    ew(x, "kv_norm_rope", x->t * (m->kv_lora_rank + m->rope_dim) + x->t * hq * m->rope_dim, 6);
    int fam = dsa ? MTOK_KVF_MLA_DSA : MTOK_KVF_MLA;
    double entry = entry_bytes(x->e, dsa ? MTOK_ATTN_MLA_DSA : MTOK_ATTN_MLA);
    double topk = m->index_topk;
    if (dsa) {
        double ih = m->index_heads, id = m->index_head_dim;
        gemm(x, "idx_q_proj", MTOK_W_ATTN, x->t, ih * id, m->q_lora_rank);
        gemm(x, "idx_k_proj", MTOK_W_ATTN, x->t, id, m->hidden);
        gemm(x, "idx_weights_proj", MTOK_W_ATTN, x->t, ih, m->hidden);
        ew(x, "idx_norm_rope", x->t * (id + ih * id), 6);
        put(x, mtok_op_kv_write("idx_key_write", x->t * index_key_bytes(x->e, fam)), 0);
        indexer(x, fam, s->decode ? s->x[0] : s->prior + (s->q + 1) / 2);
    }
    if (s->decode || dsa) {
        /* absorbed form: MQA over the kv_lora + rope latent; DSA prefill runs sparse MQA too */
        double len, rd;
        if (s->decode)
            len = rd = dsa ? s->x[1] : s->x[0];
        else
            len = sim_mean_min(s->prior, s->q, 1, topk), rd = s->prior;
        ggemm(x, "q_absorb", MTOK_W_ATTN, x->t * hq, hq, m->kv_lora_rank, m->qk_nope_dim);
        attention(x, dsa ? "attn_mla_sparse" : "attn_mla", fam, len, rd, hq, 1,
                  m->kv_lora_rank + m->rope_dim, m->kv_lora_rank, entry);
        ggemm(x, "v_up", MTOK_W_ATTN, x->t * hq, hq, m->v_head_dim, m->kv_lora_rank);
    } else {
        /* prefill form: K/V decompressed for every cached and new token, then causal MHA */
        gemm(x, "kv_b_proj", MTOK_W_ATTN, x->b * (s->prior + s->q),
             hq * (m->qk_nope_dim + m->v_head_dim), m->kv_lora_rank);
        attention(x, "attn_mla_prefill", fam, s->prior + (s->q + 1) / 2, s->prior, hq, 1, qk,
                  m->v_head_dim, entry);
    }
    gemm(x, "o_proj", MTOK_W_ATTN, x->t, m->hidden, hq * m->v_head_dim);
    allreduce_tp(x, "attn_allreduce");
}

static void emit_v4(struct em *x, enum mtok_attn_kind kind, int ratio)
{
    const struct mtok_model *m = x->m;
    const struct sim_step *s = x->s;
    double tp = x->e->sh.tp, hq = m->n_heads / tp, hd = m->head_dim, g = m->o_groups / tp;
    double W = m->sliding_window, P = s->prior, q = s->q;
    gemm(x, "q_a_proj", MTOK_W_ATTN, x->t, m->q_lora_rank, m->hidden);
    ew(x, "q_norm", x->t * m->q_lora_rank, 4);
    gemm(x, "q_b_proj", MTOK_W_ATTN, x->t, hq * hd, m->q_lora_rank);
    ew(x, "q_head_norm_rope", x->t * hq * hd, 6);
    gemm(x, "kv_proj", MTOK_W_ATTN, x->t, hd, m->hidden);
    ew(x, "kv_norm_rope", x->t * hd, 6);
    double entry = entry_bytes(x->e, kind);
    double win_prefill = sim_mean_min(P, q, 1, W), win_read = P < W ? P : W;
    double len, rd;
    if (kind == MTOK_ATTN_V4_CSA) {
        double id = m->index_head_dim, ih = m->index_heads, kb = index_key_bytes(x->e, MTOK_KVF_V4);
        gemm(x, "compressor_proj", MTOK_W_ATTN, x->t, 4 * hd, m->hidden);
        ew(x, "compressor_pool", x->t * 2 * hd, 8);
        put(x, mtok_op_kv_write("compressed_write", x->b * q / ratio * entry), 0);
        gemm(x, "idx_compressor_proj", MTOK_W_ATTN, x->t, 4 * id, m->hidden);
        ew(x, "idx_compressor_pool", x->t * 2 * id, 8);
        put(x, mtok_op_kv_write("idx_key_write", x->b * q / ratio * kb), 0);
        gemm(x, "idx_q_proj", MTOK_W_ATTN, x->t, ih * id, m->q_lora_rank);
        gemm(x, "idx_weights_proj", MTOK_W_ATTN, x->t, ih, m->hidden);
        indexer(x, MTOK_KVF_V4, s->decode ? s->x[0] : (P + (q + 1) / 2) / ratio);
        if (s->decode)
            len = rd = s->x[1];
        else
            len = sim_mean_min(P, q, ratio, m->index_topk) + win_prefill, rd = P / ratio + win_read;
        attention(x, "attn_csa", MTOK_KVF_V4, len, rd, hq, 1, hd, hd, entry);
    } else if (kind == MTOK_ATTN_V4_HCA) {
        gemm(x, "compressor_proj", MTOK_W_ATTN, x->t, 2 * hd, m->hidden);
        ew(x, "compressor_pool", x->t * hd, 8);
        put(x, mtok_op_kv_write("compressed_write", x->b * q / ratio * entry), 0);
        if (s->decode)
            len = rd = s->x[0];
        else
            len = (P + (q + 1) / 2) / ratio + win_prefill, rd = P / ratio + win_read;
        attention(x, "attn_hca", MTOK_KVF_V4, len, rd, hq, 1, hd, hd, entry);
    } else {
        if (s->decode)
            len = rd = s->x[0];
        else
            len = win_prefill, rd = win_read;
        attention(x, "attn_swa", MTOK_KVF_V4, len, rd, hq, 1, hd, hd, entry);
    }
    ew(x, "out_rope", x->t * hq * m->rope_dim, 4);
    ggemm(x, "o_a_proj_grouped", MTOK_W_ATTN, x->t * g, g, m->o_lora_rank,
          (double)m->n_heads * hd / m->o_groups);
    gemm(x, "o_b_proj", MTOK_W_ATTN, x->t, m->hidden, g * m->o_lora_rank);
    allreduce_tp(x, "attn_allreduce");
}

/* Gated DeltaNet (Qwen3.5) and Mamba-2 (Nemotron-H): projections, a depthwise conv, the state
 * update (decode: one step per token, reading and writing the state once per sequence; prefill:
 * chunked, the state read and written once per chunk), a gated norm and the output projection. */
static void emit_recurrent(struct em *x, bool gdn)
{
    const struct mtok_model *m = x->m;
    const struct sim_step *s = x->s;
    double tp = x->e->sh.tp, sb = bytes_of(x->e->d->state_dtype), cb = bytes_of(x->e->d->conv_dtype);
    double Lc = x->e->d->scan_chunk;
    double heads, kd, vd, key, val, conv_dim, in_n;
    if (gdn) {
        heads = m->gdn_v_heads / tp, kd = m->gdn_k_dim, vd = m->gdn_v_dim;
        key = (double)m->gdn_k_heads * m->gdn_k_dim / tp, val = heads * vd;
        conv_dim = 2 * key + val, in_n = 2 * key + 2 * val + 2 * heads;
    } else {
        heads = m->mamba_heads / tp, kd = m->mamba_state, vd = m->mamba_head_dim;
        val = heads * vd, key = 2.0 * m->mamba_groups * m->mamba_state / tp;
        conv_dim = val + key, in_n = 2 * val + key + heads;
    }
    int conv = gdn ? m->gdn_conv : m->mamba_conv;
    gemm(x, gdn ? "gdn_in_proj" : "mamba_in_proj", MTOK_W_ATTN, x->t, in_n, m->hidden);
    ew(x, "conv1d", x->t * conv_dim, 2.0 * conv);
    put(x, mtok_op_kv_write("conv_state", x->b * 2 * (conv - 1) * conv_dim * cb), 0);
    double state = heads * kd * vd * sb;
    double flops, state_rw;
    if (s->decode) {
        flops = x->t * heads * kd * vd * 7; /* decay, k.S, rank-1 update, q.S */
        state_rw = 2 * x->b * state;
    } else {
        flops = x->t * heads * (4 * kd * vd + 2 * Lc * (2 * kd + vd));
        state_rw = 2 * x->b * state * (s->q / Lc);
    }
    put(x, mtok_op_scan(gdn ? "gdn_scan" : "ssd_scan", flops, state_rw,
                        x->t * (conv_dim + val) * 2),
        0);
    ew(x, "gated_norm", x->t * val, 6);
    gemm(x, gdn ? "gdn_out_proj" : "mamba_out_proj", MTOK_W_ATTN, x->t, m->hidden, val);
    allreduce_tp(x, "mixer_allreduce");
}

static void emit_ffn(struct em *x, enum mtok_ffn_kind kind)
{
    const struct mtok_model *m = x->m;
    const struct sim_shard *sh = &x->e->sh;
    double D = m->hidden, nm1 = nmat(m) - 1;
    if (kind == MTOK_FFN_DENSE) {
        double I = m->intermediate / sh->tp;
        gemm(x, "mlp_up", MTOK_W_DENSE, x->t, nm1 * I, D);
        ew(x, "mlp_act", x->t * I, 4);
        gemm(x, "mlp_down", MTOK_W_DENSE, x->t, D, I);
        allreduce_tp(x, "mlp_allreduce");
        return;
    }
    if (kind != MTOK_FFN_MOE)
        return;
    double E = m->n_experts, k = m->topk, dm = m->moe_latent ? m->moe_latent : D;
    gemm(x, "router", MTOK_W_SMALL, x->t, E, D);
    ew(x, "router_topk", x->t * E, 4);
    if (m->moe_latent)
        gemm(x, "latent_down", MTOK_W_DENSE, x->t, dm, D);
    enum mtok_dtype adt = x->e->d->act_for[x->e->prec->w[MTOK_W_EXPERT]];
    double owned = x->T / sh->world; /* tokens each device dispatches */
    if (sh->ep > 1)
        coll(x, "ep_dispatch", MTOK_COLL_ALLTOALL, owned * k * dm * wire_bytes(adt), sh->ep, SIM_EP);
    else if (sh->dp > 1)
        coll(x, "moe_allgather", MTOK_COLL_ALLGATHER, x->T * dm * wire_bytes(adt), sh->world, SIM_EP);
    double rows = x->T * k / sh->ep * x->e->d->moe_imbalance;
    double groups = E / sh->ep * x->s->frac, I = m->moe_intermediate / sh->etp;
    ggemm(x, "experts_up", MTOK_W_EXPERT, rows, groups, nm1 * I, dm);
    ew(x, "experts_act", rows * I, 4);
    ggemm(x, "experts_down", MTOK_W_EXPERT, rows, groups, dm, I);
    if (sh->ep > 1)
        coll(x, "ep_combine", MTOK_COLL_ALLTOALL, owned * k * dm * 2, sh->ep, SIM_EP);
    else if (sh->dp > 1)
        coll(x, "moe_reducescatter", MTOK_COLL_REDUCESCATTER, x->T * dm * 2, sh->world, SIM_EP);
    if (m->moe_latent)
        gemm(x, "latent_up", MTOK_W_DENSE, x->t, D, dm);
    if (m->shared_intermediate) {
        double Is = m->shared_intermediate / sh->tp;
        gemm(x, "shared_up", MTOK_W_SHARED, x->t, nm1 * Is, D);
        ew(x, "shared_act", x->t * Is, 4);
        gemm(x, "shared_down", MTOK_W_SHARED, x->t, D, Is);
    }
    allreduce_tp(x, "moe_allreduce");
}

static void em_init(struct em *x, const struct sim_emit *e, const struct sim_step *s,
                    struct sim_sink *k)
{
    *x = (struct em){.e = e, .m = e->m, .s = s, .k = k};
    x->b = s->B / e->sh.dp / e->sh.pp;
    x->t = x->b * s->q;
    x->T = s->B * s->q / e->sh.pp;
}

/* The residual path of one sub-layer: mHC (pre-mix gemm + collapse, then expand/mix) or a plain
 * residual add, and the pre-norm. */
static void residual(struct em *x, const char *norm)
{
    const struct mtok_model *m = x->m;
    double H = hc(m), D = m->hidden;
    if (H > 1) {
        gemm(x, "hc_mix_proj", MTOK_W_SMALL, x->t, (2 + H) * H, H * D);
        ew(x, "hc_collapse", x->t * H * D, 2);
        ew(x, "hc_expand", x->t * H * D, 2 * H);
    } else {
        ew(x, "residual_add", x->t * D, 1);
    }
    ew(x, norm, x->t * D, 4);
}

void sim_emit_layer(const struct sim_emit *e, const struct sim_class *c, const struct sim_step *s,
                    struct sim_sink *k)
{
    struct em x;
    em_init(&x, e, s, k);
    if (c->attn != MTOK_ATTN_NONE) {
        residual(&x, "attn_norm");
        switch (c->attn) {
        case MTOK_ATTN_FULL: emit_gqa(&x, false); break;
        case MTOK_ATTN_SLIDING: emit_gqa(&x, true); break;
        case MTOK_ATTN_MLA: emit_mla(&x, false); break;
        case MTOK_ATTN_MLA_DSA: emit_mla(&x, true); break;
        case MTOK_ATTN_V4_SWA:
        case MTOK_ATTN_V4_CSA:
        case MTOK_ATTN_V4_HCA: emit_v4(&x, c->attn, c->ratio); break;
        case MTOK_ATTN_GDN: emit_recurrent(&x, true); break;
        case MTOK_ATTN_MAMBA2: emit_recurrent(&x, false); break;
        default: break;
        }
    }
    if (c->ffn != MTOK_FFN_NONE) {
        residual(&x, "ffn_norm");
        emit_ffn(&x, c->ffn);
    }
}

void sim_emit_head(const struct sim_emit *e, const struct sim_step *s, bool mtp_head,
                   struct sim_sink *k)
{
    struct em x;
    em_init(&x, e, s, k);
    const struct mtok_model *m = x.m;
    double D = m->hidden, H = hc(m), tp = e->sh.tp;
    double out = s->decode ? x.t : x.b; /* prefill needs logits of the last token only */
    put(&x, mtok_op_move("embed_gather", x.t * D * bytes_of(e->prec->w[MTOK_W_EMBED])), 0);
    coll(&x, "embed_allreduce", MTOK_COLL_ALLREDUCE, x.t * D * 2, tp, SIM_TP);
    if (mtp_head) {
        ew(&x, "mtp_enorm_hnorm", 2 * x.t * D, 4);
        gemm(&x, "mtp_eh_proj", MTOK_W_ATTN, x.t, D, 2 * D);
    }
    if (H > 1) {
        ew(&x, "hc_init", x.t * H * D, 1);
        gemm(&x, "hc_head_proj", MTOK_W_SMALL, out, H, H * D);
        ew(&x, "hc_head_collapse", out * H * D, 2);
    }
    ew(&x, "final_norm", out * D, 4);
    gemm(&x, "lm_head", MTOK_W_EMBED, out, m->vocab / tp, D);
    coll(&x, "logits_allgather", MTOK_COLL_ALLGATHER, out * m->vocab * 2, tp, SIM_TP);
    ew(&x, "sample", out * m->vocab / tp, 3);
    for (int i = 1; i < (int)e->sh.pp; i++)
        coll(&x, "pp_sendrecv", MTOK_COLL_SENDRECV, x.t * D * H * 2, 2, SIM_TP);
}

void sim_features(const struct mtok_model *m, const struct sim_class *c, double ctx, double x[2])
{
    double W = m->sliding_window, win = ctx < W ? ctx : W;
    x[0] = x[1] = 0;
    switch (c->attn) {
    case MTOK_ATTN_FULL:
    case MTOK_ATTN_MLA: x[0] = ctx; break;
    case MTOK_ATTN_SLIDING:
    case MTOK_ATTN_V4_SWA: x[0] = win; break;
    case MTOK_ATTN_MLA_DSA:
        x[0] = ctx;
        x[1] = ctx < m->index_topk ? ctx : m->index_topk;
        break;
    case MTOK_ATTN_V4_CSA: {
        double n = floor(ctx / c->ratio);
        x[0] = n;
        x[1] = (n < m->index_topk ? n : m->index_topk) + win;
        break;
    }
    case MTOK_ATTN_V4_HCA: x[0] = floor(ctx / c->ratio) + win; break;
    default: break;
    }
}

/* ---- model accounting ---- */

struct pacc {
    double count;
    struct mtok_params *p;
    double *cls;    /* by_class or mtp_by_class */
    double *active; /* active_by_class or NULL */
};

static void pacc_fn(void *arg, double elems, enum mtok_wclass wc, double active, double dev)
{
    (void)dev;
    struct pacc *a = arg;
    a->cls[wc] += a->count * elems;
    if (a->active)
        a->active[wc] += a->count * elems * active;
}

void mtok_sim_params(const struct mtok_model *m, struct mtok_params *out)
{
    memset(out, 0, sizeof *out);
    struct sim_class *c;
    size_t n = sim_classes(m, &c);
    struct pacc a = {1, out, out->by_class, out->active_by_class};
    sim_layer_weights(m, NULL, NULL, pacc_fn, &a);
    for (size_t i = 0; i < n; i++) {
        a.count = c[i].count;
        a.cls = c[i].mtp ? out->mtp_by_class : out->by_class;
        a.active = c[i].mtp ? NULL : out->active_by_class;
        sim_layer_weights(m, &c[i], NULL, pacc_fn, &a);
    }
    free(c);
    for (int k = 0; k < MTOK_W_CLASS_COUNT; k++) {
        out->total += out->by_class[k];
        out->active += out->active_by_class[k];
        out->mtp += out->mtp_by_class[k];
    }
    out->active_with_embedding = out->active + ((double)m->vocab - 1) * m->hidden;
}

double mtok_sim_weight_bytes(const struct mtok_model *m, const struct mtok_prec *p, bool with_mtp)
{
    struct mtok_params pa;
    mtok_sim_params(m, &pa);
    double b = 0;
    for (int k = 0; k < MTOK_W_CLASS_COUNT; k++)
        b += (pa.by_class[k] + (with_mtp ? pa.mtp_by_class[k] : 0)) *
             mtok_dtype_weight_bits(p->w[k]) / 8;
    return b;
}

double mtok_sim_kv_bytes(const struct mtok_model *m, const struct mtok_sim_defaults *d,
                         const struct mtok_prec *p, double ctx, bool with_mtp)
{
    struct sim_emit e;
    sim_emit_init(&e, m, d, p, NULL);
    struct sim_class *c;
    size_t n = sim_classes(m, &c);
    double b = 0;
    for (size_t i = 0; i < n; i++)
        if (!c[i].mtp || with_mtp)
            b += c[i].count * sim_layer_kv(&e, &c[i], ctx);
    free(c);
    return b;
}

double mtok_sim_kv_slope(const struct mtok_model *m, const struct mtok_sim_defaults *d,
                         const struct mtok_prec *p)
{
    struct sim_emit e;
    sim_emit_init(&e, m, d, p, NULL);
    struct sim_class *c;
    size_t n = sim_classes(m, &c);
    double b = 0;
    for (size_t i = 0; i < n; i++)
        if (!c[i].mtp)
            b += c[i].count * sim_layer_kv_slope(&e, &c[i]);
    free(c);
    return b;
}

struct flops_sink {
    struct sim_sink k;
    double count;
    struct mtok_flops_split *s;
};

static void flops_op(struct sim_sink *k, const struct mtok_op *op, int flags)
{
    (void)flags;
    struct flops_sink *f = (struct flops_sink *)k;
    if (op->kind != MTOK_OP_SCAN && mtok_dtype_bits(op->cdtype) <= 4)
        f->s->fp4 += f->count * op->flops;
    switch (op->kind) {
    case MTOK_OP_ATTENTION: f->s->attention += f->count * op->flops; break;
    case MTOK_OP_INDEXER: f->s->indexer += f->count * op->flops; break;
    case MTOK_OP_SCAN: f->s->scan += f->count * op->other; break;
    default: f->s->gemm += f->count * op->flops; break;
    }
}

double mtok_sim_flops_per_token(const struct mtok_model *m, const struct mtok_sim_defaults *d,
                                const struct mtok_prec *p, double ctx,
                                struct mtok_flops_split *split)
{
    struct mtok_flops_split tmp = {0};
    if (!split)
        split = &tmp;
    memset(split, 0, sizeof *split);
    struct sim_emit e;
    sim_emit_init(&e, m, d, p, NULL);
    struct flops_sink f = {{flops_op}, 1, split};
    struct sim_step s = {.decode = true, .B = 1, .q = 1};
    s.frac = sim_expert_frac(m->n_experts, m->topk, 1);
    sim_emit_head(&e, &s, false, &f.k);
    struct sim_class *c;
    size_t n = sim_classes(m, &c);
    for (size_t i = 0; i < n; i++) {
        if (c[i].mtp)
            continue;
        sim_features(m, &c[i], ctx, s.x);
        f.count = c[i].count;
        sim_emit_layer(&e, &c[i], &s, &f.k);
    }
    free(c);
    return split->gemm + split->attention + split->indexer + split->scan;
}
