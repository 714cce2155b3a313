/* config.json -> struct mtok_model. One parser per architecture family; the table at the bottom
 * maps each HuggingFace model_type to its parser. Each parser asks for exactly the fields that
 * family needs (missing ones are errors), checks their ranges and builds the per-layer list. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/internal.h"

#define MAX_DIM (1L << 20)    /* hidden sizes, widths */
#define MAX_LAYERS 10000L
#define MAX_HEADS (1L << 14)
#define MAX_EXPERTS (1L << 16)
#define MAX_VOCAB (1L << 24)
#define MAX_POS (1L << 30)

struct mctx {
    struct ck *ck;
    const cJSON *root; /* the whole document */
    const cJSON *cfg;  /* root, or root.text_config for multimodal wrappers */
    const char *path;  /* "" or "text_config" */
    struct mtok_model *m;
};

static bool req_int(struct mctx *x, const char *key, long min, long max, int *out)
{
    return ck_int(x->ck, x->cfg, x->path, key, CK_REQUIRED, min, max, out);
}

static bool opt_int(struct mctx *x, const char *key, long min, long max, int *out)
{
    return ck_int(x->ck, x->cfg, x->path, key, CK_OPTIONAL, min, max, out);
}

static bool opt_bool(struct mctx *x, const char *key, bool *out)
{
    return ck_bool(x->ck, x->cfg, x->path, key, CK_OPTIONAL, out);
}

static void alloc_layers(struct mctx *x)
{
    struct mtok_model *m = x->m;
    m->layers = mtok_xcalloc((size_t)(m->n_layers + m->n_mtp), sizeof *m->layers);
    for (int i = 0; i < m->n_mtp; i++)
        m->layers[m->n_layers + i].mtp = true;
}

/* hidden, layers, vocab, max_pos, tie_word_embeddings */
static bool parse_trunk(struct mctx *x, bool layers_required)
{
    struct mtok_model *m = x->m;
    bool ok = req_int(x, "hidden_size", 1, MAX_DIM, &m->hidden);
    if (layers_required)
        ok = req_int(x, "num_hidden_layers", 1, MAX_LAYERS, &m->n_layers) && ok;
    ok = req_int(x, "vocab_size", 1, MAX_VOCAB, &m->vocab) && ok;
    ok = opt_int(x, "max_position_embeddings", 1, MAX_POS, &m->max_pos) && ok;
    ok = opt_bool(x, "tie_word_embeddings", &m->tie_embeddings) && ok;
    m->hc_mult = 1;
    return ok;
}

/* num_attention_heads, num_key_value_heads, head_dim for softmax attention with separate K/V */
static bool parse_gqa(struct mctx *x)
{
    struct mtok_model *m = x->m;
    bool ok = req_int(x, "num_attention_heads", 1, MAX_HEADS, &m->n_heads);
    m->n_kv_heads = m->n_heads;
    ok = opt_int(x, "num_key_value_heads", 1, MAX_HEADS, &m->n_kv_heads) && ok;
    if (!ok)
        return false;
    if (m->n_heads % m->n_kv_heads != 0) {
        ck_fail(x->ck, x->path, "num_key_value_heads", "%d does not divide num_attention_heads %d",
                m->n_kv_heads, m->n_heads);
        return false;
    }
    m->head_dim = m->hidden / m->n_heads;
    ok = opt_int(x, "head_dim", 1, MAX_HEADS, &m->head_dim);
    m->v_head_dim = m->head_dim;
    m->rope_dim = m->head_dim;
    bool bias = false;
    ok = opt_bool(x, "attention_bias", &bias) && ok;
    m->attn_bias = bias;
    return ok;
}

static bool parse_router(struct mctx *x, enum mtok_router dflt)
{
    struct mtok_model *m = x->m;
    m->router = dflt;
    m->routed_scaling = 1.0;
    const cJSON *v = ck_member(x->ck, x->cfg, x->path, "scoring_func", CK_OPTIONAL);
    if (v) {
        if (!cJSON_IsString(v)) {
            ck_fail(x->ck, x->path, "scoring_func", "expected a string");
            return false;
        }
        if (strcmp(v->valuestring, "softmax") == 0)
            m->router = MTOK_ROUTER_SOFTMAX;
        else if (strcmp(v->valuestring, "sigmoid") == 0)
            m->router = MTOK_ROUTER_SIGMOID;
        else if (strcmp(v->valuestring, "sqrtsoftplus") == 0)
            m->router = MTOK_ROUTER_SQRTSOFTPLUS;
        else {
            ck_fail(x->ck, x->path, "scoring_func", "\"%s\" is not softmax, sigmoid or sqrtsoftplus",
                    v->valuestring);
            return false;
        }
    }
    return ck_number(x->ck, x->cfg, x->path, "routed_scaling_factor", CK_OPTIONAL, 0, 1e3,
                     &m->routed_scaling);
}

static bool check_topk(struct mctx *x, const char *key)
{
    if (x->m->topk > x->m->n_experts) {
        ck_fail(x->ck, x->path, key, "%d experts per token but only %d experts", x->m->topk,
                x->m->n_experts);
        return false;
    }
    return true;
}

/* Qwen-style sliding window: layers at index >= max_window_layers slide when use_sliding_window. */
static bool parse_qwen_window(struct mctx *x, int *first_sliding)
{
    bool use = false;
    *first_sliding = x->m->n_layers;
    if (!opt_bool(x, "use_sliding_window", &use))
        return false;
    if (!use)
        return true;
    bool ok = req_int(x, "sliding_window", 1, MAX_POS, &x->m->sliding_window);
    int mwl = 0;
    ok = opt_int(x, "max_window_layers", 0, MAX_LAYERS, &mwl) && ok;
    *first_sliding = mwl;
    return ok;
}

/* ---- dense decoder: llama, qwen3, qwen2, mistral ---- */
static bool parse_dense(struct mctx *x)
{
    struct mtok_model *m = x->m;
    bool ok = parse_trunk(x, true) && parse_gqa(x);
    ok = req_int(x, "intermediate_size", 1, MAX_DIM, &m->intermediate) && ok;
    int first_sliding = m->n_layers;
    ok = ok && parse_qwen_window(x, &first_sliding);
    if (!ok)
        return false;
    alloc_layers(x);
    for (int i = 0; i < m->n_layers; i++) {
        m->layers[i].attn = i >= first_sliding ? MTOK_ATTN_SLIDING : MTOK_ATTN_FULL;
        m->layers[i].ffn = MTOK_FFN_DENSE;
    }
    return true;
}

/* ---- Mistral-style sliding window for every layer when sliding_window is set ---- */
static bool parse_mistral_window(struct mctx *x)
{
    const cJSON *v = ck_member(x->ck, x->cfg, x->path, "sliding_window", CK_OPTIONAL);
    if (!v)
        return true;
    return req_int(x, "sliding_window", 1, MAX_POS, &x->m->sliding_window);
}

static bool parse_mistral(struct mctx *x)
{
    struct mtok_model *m = x->m;
    bool ok = parse_trunk(x, true) && parse_gqa(x);
    ok = req_int(x, "intermediate_size", 1, MAX_DIM, &m->intermediate) && ok;
    ok = ok && parse_mistral_window(x);
    if (!ok)
        return false;
    alloc_layers(x);
    for (int i = 0; i < m->n_layers; i++) {
        m->layers[i].attn = m->sliding_window ? MTOK_ATTN_SLIDING : MTOK_ATTN_FULL;
        m->layers[i].ffn = MTOK_FFN_DENSE;
    }
    return true;
}

/* ---- Mixtral: every layer MoE, softmax top-k ---- */
static bool parse_mixtral(struct mctx *x)
{
    struct mtok_model *m = x->m;
    bool ok = parse_trunk(x, true) && parse_gqa(x);
    ok = req_int(x, "num_local_experts", 1, MAX_EXPERTS, &m->n_experts) && ok;
    ok = req_int(x, "num_experts_per_tok", 1, MAX_EXPERTS, &m->topk) && ok;
    ok = req_int(x, "intermediate_size", 1, MAX_DIM, &m->moe_intermediate) && ok;
    ok = ok && parse_mistral_window(x) && parse_router(x, MTOK_ROUTER_SOFTMAX) &&
         check_topk(x, "num_experts_per_tok");
    if (!ok)
        return false;
    alloc_layers(x);
    for (int i = 0; i < m->n_layers; i++) {
        m->layers[i].attn = m->sliding_window ? MTOK_ATTN_SLIDING : MTOK_ATTN_FULL;
        m->layers[i].ffn = MTOK_FFN_MOE;
    }
    return true;
}

/* mlp_only_layers: indices of dense layers in an otherwise-MoE stack. */
static bool parse_mlp_only(struct mctx *x, bool *dense)
{
    const cJSON *a = ck_array(x->ck, x->cfg, x->path, "mlp_only_layers", CK_OPTIONAL);
    if (!a)
        return !ck_member(x->ck, x->cfg, x->path, "mlp_only_layers", CK_OPTIONAL);
    const cJSON *v;
    cJSON_ArrayForEach(v, a)
    {
        if (!cJSON_IsNumber(v) || v->valuedouble != floor(v->valuedouble) || v->valuedouble < 0 ||
            v->valuedouble >= x->m->n_layers) {
            ck_fail(x->ck, x->path, "mlp_only_layers", "holds something that is not a layer index");
            return false;
        }
        dense[(int)v->valuedouble] = true;
    }
    return true;
}

/* ---- Qwen3-MoE: MoE every decoder_sparse_step layers except mlp_only_layers ---- */
static bool parse_qwen3_moe(struct mctx *x)
{
    struct mtok_model *m = x->m;
    bool ok = parse_trunk(x, true) && parse_gqa(x);
    ok = req_int(x, "num_experts", 1, MAX_EXPERTS, &m->n_experts) && ok;
    ok = req_int(x, "num_experts_per_tok", 1, MAX_EXPERTS, &m->topk) && ok;
    ok = req_int(x, "moe_intermediate_size", 1, MAX_DIM, &m->moe_intermediate) && ok;
    ok = opt_int(x, "intermediate_size", 1, MAX_DIM, &m->intermediate) && ok;
    int step = 1;
    ok = opt_int(x, "decoder_sparse_step", 1, MAX_LAYERS, &step) && ok;
    int first_sliding = 0;
    ok = ok && parse_qwen_window(x, &first_sliding) && parse_router(x, MTOK_ROUTER_SOFTMAX) &&
         check_topk(x, "num_experts_per_tok");
    if (!ok)
        return false;
    bool *dense = mtok_xcalloc((size_t)m->n_layers, sizeof *dense);
    ok = parse_mlp_only(x, dense);
    alloc_layers(x);
    for (int i = 0; ok && i < m->n_layers; i++) {
        m->layers[i].attn = i >= first_sliding ? MTOK_ATTN_SLIDING : MTOK_ATTN_FULL;
        m->layers[i].ffn = (!dense[i] && (i + 1) % step == 0) ? MTOK_FFN_MOE : MTOK_FFN_DENSE;
        if (m->layers[i].ffn == MTOK_FFN_DENSE && !m->intermediate) {
            ck_fail(x->ck, x->path, "intermediate_size", "missing (required by dense layer %d)", i);
            ok = false;
        }
    }
    free(dense);
    return ok;
}

/* ---- MiniMax-M2: all layers full attention + MoE, sigmoid router, MTP modules ---- */
static bool parse_minimax(struct mctx *x)
{
    struct mtok_model *m = x->m;
    bool ok = parse_trunk(x, true) && parse_gqa(x);
    ok = req_int(x, "num_local_experts", 1, MAX_EXPERTS, &m->n_experts) && ok;
    ok = req_int(x, "num_experts_per_tok", 1, MAX_EXPERTS, &m->topk) && ok;
    ok = req_int(x, "intermediate_size", 1, MAX_DIM, &m->moe_intermediate) && ok;
    ok = opt_int(x, "shared_intermediate_size", 0, MAX_DIM, &m->shared_intermediate) && ok;
    ok = opt_int(x, "rotary_dim", 1, MAX_HEADS, &m->rope_dim) && ok;
    bool use_mtp = false;
    int modules = 0, per_module = 1;
    ok = opt_bool(x, "use_mtp", &use_mtp) && ok;
    ok = opt_int(x, "num_mtp_modules", 0, 64, &modules) && ok;
    ok = opt_int(x, "mtp_transformer_layers", 1, 64, &per_module) && ok;
    ok = ok && parse_router(x, MTOK_ROUTER_SIGMOID) && check_topk(x, "num_experts_per_tok");
    if (!ok)
        return false;
    m->n_shared = m->shared_intermediate ? 1 : 0;
    m->n_mtp = use_mtp ? modules * per_module : 0;
    const cJSON *types = ck_array(x->ck, x->cfg, x->path, "attn_type_list", CK_OPTIONAL);
    if (types) {
        if (cJSON_GetArraySize(types) != m->n_layers) {
            ck_fail(x->ck, x->path, "attn_type_list", "has %d entries for %d layers",
                    cJSON_GetArraySize(types), m->n_layers);
            return false;
        }
        const cJSON *v;
        cJSON_ArrayForEach(v, types) if (!cJSON_IsNumber(v) || v->valuedouble != 1)
        {
            ck_fail(x->ck, x->path, "attn_type_list",
                    "has a non-1 entry (lightning/linear attention is not modelled for minimax_m2)");
            return false;
        }
    }
    alloc_layers(x);
    for (int i = 0; i < m->n_layers + m->n_mtp; i++) {
        m->layers[i].attn = MTOK_ATTN_FULL;
        m->layers[i].ffn = MTOK_FFN_MOE;
    }
    return true;
}

/* layer_types: an array of strings, one per layer, mapped through `names`/`kinds`. */
static bool parse_layer_types(struct mctx *x, const char *const *names,
                              const enum mtok_attn_kind *kinds, size_t n_names)
{
    struct mtok_model *m = x->m;
    const cJSON *a = ck_array(x->ck, x->cfg, x->path, "layer_types", CK_REQUIRED);
    if (!a)
        return false;
    if (cJSON_GetArraySize(a) != m->n_layers) {
        ck_fail(x->ck, x->path, "layer_types", "has %d entries for %d layers", cJSON_GetArraySize(a),
                m->n_layers);
        return false;
    }
    int i = 0;
    const cJSON *v;
    cJSON_ArrayForEach(v, a)
    {
        size_t k = 0;
        while (k < n_names && !(cJSON_IsString(v) && strcmp(v->valuestring, names[k]) == 0))
            k++;
        if (k == n_names) {
            ck_fail(x->ck, x->path, "layer_types", "entry %d is not a known layer type", i);
            return false;
        }
        m->layers[i++].attn = kinds[k];
    }
    return true;
}

/* ---- gpt-oss: alternating sliding/full attention with sinks, MoE everywhere ---- */
static bool parse_gpt_oss(struct mctx *x)
{
    struct mtok_model *m = x->m;
    bool ok = parse_trunk(x, true) && parse_gqa(x);
    ok = req_int(x, "num_local_experts", 1, MAX_EXPERTS, &m->n_experts) && ok;
    m->topk = 0;
    ok = opt_int(x, "experts_per_token", 1, MAX_EXPERTS, &m->topk) && ok;
    ok = opt_int(x, "num_experts_per_tok", 1, MAX_EXPERTS, &m->topk) && ok;
    if (ok && !m->topk) {
        ck_fail(x->ck, x->path, "num_experts_per_tok", "missing (required)");
        ok = false;
    }
    ok = req_int(x, "intermediate_size", 1, MAX_DIM, &m->moe_intermediate) && ok;
    ok = req_int(x, "sliding_window", 1, MAX_POS, &m->sliding_window) && ok;
    ok = ok && parse_router(x, MTOK_ROUTER_SOFTMAX) && check_topk(x, "num_experts_per_tok");
    if (!ok)
        return false;
    m->attn_sink = true;
    alloc_layers(x);
    static const char *const names[] = {"sliding_attention", "full_attention"};
    static const enum mtok_attn_kind kinds[] = {MTOK_ATTN_SLIDING, MTOK_ATTN_FULL};
    if (!parse_layer_types(x, names, kinds, 2))
        return false;
    for (int i = 0; i < m->n_layers; i++)
        m->layers[i].ffn = MTOK_FFN_MOE;
    return true;
}

/* ---- DeepSeek-V3 family: MLA (+ DSA indexer), first_k_dense_replace dense layers, MoE ---- */
static bool parse_mla(struct mctx *x, bool dsa)
{
    struct mtok_model *m = x->m;
    bool ok = parse_trunk(x, true);
    ok = req_int(x, "num_attention_heads", 1, MAX_HEADS, &m->n_heads) && ok;
    m->q_lora_rank = 0; /* null q_lora_rank = full q projection (V2-Lite) */
    ok = ck_int(x->ck, x->cfg, x->path, "q_lora_rank", CK_OPTIONAL, 1, MAX_DIM, &m->q_lora_rank) &&
         ok;
    ok = req_int(x, "kv_lora_rank", 1, MAX_DIM, &m->kv_lora_rank) && ok;
    ok = req_int(x, "qk_nope_head_dim", 1, MAX_HEADS, &m->qk_nope_dim) && ok;
    ok = req_int(x, "qk_rope_head_dim", 1, MAX_HEADS, &m->rope_dim) && ok;
    ok = req_int(x, "v_head_dim", 1, MAX_HEADS, &m->v_head_dim) && ok;
    ok = req_int(x, "intermediate_size", 1, MAX_DIM, &m->intermediate) && ok;
    ok = req_int(x, "n_routed_experts", 1, MAX_EXPERTS, &m->n_experts) && ok;
    ok = opt_int(x, "n_shared_experts", 0, 64, &m->n_shared) && ok;
    ok = req_int(x, "num_experts_per_tok", 1, MAX_EXPERTS, &m->topk) && ok;
    ok = req_int(x, "moe_intermediate_size", 1, MAX_DIM, &m->moe_intermediate) && ok;
    int fkdr = 0, freq = 1;
    ok = opt_int(x, "first_k_dense_replace", 0, MAX_LAYERS, &fkdr) && ok;
    ok = opt_int(x, "moe_layer_freq", 1, MAX_LAYERS, &freq) && ok;
    ok = opt_int(x, "num_nextn_predict_layers", 0, 64, &m->n_mtp) && ok;
    if (dsa) {
        ok = req_int(x, "index_n_heads", 1, MAX_HEADS, &m->index_heads) && ok;
        ok = req_int(x, "index_head_dim", 1, MAX_HEADS, &m->index_head_dim) && ok;
        ok = req_int(x, "index_topk", 1, MAX_POS, &m->index_topk) && ok;
    }
    ok = ok && parse_router(x, MTOK_ROUTER_SOFTMAX) && check_topk(x, "num_experts_per_tok");
    if (!ok)
        return false;
    m->n_kv_heads = m->n_heads;
    m->head_dim = m->qk_nope_dim + m->rope_dim;
    m->shared_intermediate = m->n_shared * m->moe_intermediate;
    alloc_layers(x);
    for (int i = 0; i < m->n_layers + m->n_mtp; i++) {
        m->layers[i].attn = dsa ? MTOK_ATTN_MLA_DSA : MTOK_ATTN_MLA;
        bool moe = m->layers[i].mtp || (i >= fkdr && i % freq == 0);
        m->layers[i].ffn = moe ? MTOK_FFN_MOE : MTOK_FFN_DENSE;
    }
    return true;
}

static bool parse_mla_plain(struct mctx *x) { return parse_mla(x, false); }
static bool parse_mla_dsa(struct mctx *x) { return parse_mla(x, true); }

/* ---- DeepSeek-V4: per-layer compress_ratios (0 SWA, 4 CSA, 128 HCA), hash-routed first layers ---- */
static bool parse_v4(struct mctx *x)
{
    struct mtok_model *m = x->m;
    bool ok = parse_trunk(x, true);
    ok = req_int(x, "num_attention_heads", 1, MAX_HEADS, &m->n_heads) && ok;
    m->n_kv_heads = 1;
    ok = opt_int(x, "num_key_value_heads", 1, 1, &m->n_kv_heads) && ok;
    ok = req_int(x, "head_dim", 1, MAX_HEADS, &m->head_dim) && ok;
    ok = req_int(x, "qk_rope_head_dim", 1, MAX_HEADS, &m->rope_dim) && ok;
    ok = req_int(x, "q_lora_rank", 1, MAX_DIM, &m->q_lora_rank) && ok;
    ok = req_int(x, "o_groups", 1, MAX_HEADS, &m->o_groups) && ok;
    ok = req_int(x, "o_lora_rank", 1, MAX_DIM, &m->o_lora_rank) && ok;
    ok = req_int(x, "sliding_window", 1, MAX_POS, &m->sliding_window) && ok;
    ok = req_int(x, "index_n_heads", 1, MAX_HEADS, &m->index_heads) && ok;
    ok = req_int(x, "index_head_dim", 1, MAX_HEADS, &m->index_head_dim) && ok;
    ok = req_int(x, "index_topk", 1, MAX_POS, &m->index_topk) && ok;
    ok = req_int(x, "n_routed_experts", 1, MAX_EXPERTS, &m->n_experts) && ok;
    ok = opt_int(x, "n_shared_experts", 0, 64, &m->n_shared) && ok;
    ok = req_int(x, "num_experts_per_tok", 1, MAX_EXPERTS, &m->topk) && ok;
    ok = req_int(x, "moe_intermediate_size", 1, MAX_DIM, &m->moe_intermediate) && ok;
    ok = opt_int(x, "num_nextn_predict_layers", 0, 64, &m->n_mtp) && ok;
    ok = opt_int(x, "hc_mult", 1, 64, &m->hc_mult) && ok;
    int hash_layers = 0;
    ok = opt_int(x, "num_hash_layers", 0, MAX_LAYERS, &hash_layers) && ok;
    ok = ok && parse_router(x, MTOK_ROUTER_SQRTSOFTPLUS) && check_topk(x, "num_experts_per_tok");
    if (!ok)
        return false;
    if (m->rope_dim > m->head_dim || m->n_heads % m->o_groups != 0) {
        ck_fail(x->ck, x->path, m->rope_dim > m->head_dim ? "qk_rope_head_dim" : "o_groups",
                "is inconsistent with head_dim/num_attention_heads");
        return false;
    }
    m->v_head_dim = m->head_dim;
    m->attn_sink = true;
    m->shared_intermediate = m->n_shared * m->moe_intermediate;
    const cJSON *a = ck_array(x->ck, x->cfg, x->path, "compress_ratios", CK_REQUIRED);
    if (!a)
        return false;
    int n = cJSON_GetArraySize(a);
    if (n != m->n_layers && n != m->n_layers + m->n_mtp) {
        ck_fail(x->ck, x->path, "compress_ratios", "has %d entries for %d layers (+%d MTP)", n,
                m->n_layers, m->n_mtp);
        return false;
    }
    alloc_layers(x);
    int i = 0;
    const cJSON *v;
    cJSON_ArrayForEach(v, a)
    {
        double r = cJSON_IsNumber(v) ? v->valuedouble : -1;
        struct mtok_layer *L = &m->layers[i];
        if (r == 0)
            L->attn = MTOK_ATTN_V4_SWA;
        else if (r == 4)
            L->attn = MTOK_ATTN_V4_CSA;
        else if (r == 128)
            L->attn = MTOK_ATTN_V4_HCA;
        else {
            ck_fail(x->ck, x->path, "compress_ratios", "entry %d is not 0, 4 or 128", i);
            return false;
        }
        L->compress_ratio = (int)r;
        i++;
    }
    for (; i < m->n_layers + m->n_mtp; i++)
        m->layers[i].attn = MTOK_ATTN_V4_SWA;
    for (i = 0; i < m->n_layers + m->n_mtp; i++) {
        m->layers[i].ffn = MTOK_FFN_MOE;
        m->layers[i].hash_routed = i < hash_layers && !m->layers[i].mtp;
    }
    return true;
}

/* partial_rotary_factor, either top-level or inside rope_parameters */
static bool parse_partial_rotary(struct mctx *x)
{
    double f = 1.0;
    bool ok = ck_number(x->ck, x->cfg, x->path, "partial_rotary_factor", CK_OPTIONAL, 0, 1, &f);
    const cJSON *rp = ck_object(x->ck, x->cfg, x->path, "rope_parameters", CK_OPTIONAL);
    if (rp) {
        char path[64];
        snprintf(path, sizeof path, "%s%srope_parameters", x->path, *x->path ? "." : "");
        ok = ck_number(x->ck, rp, path, "partial_rotary_factor", CK_OPTIONAL, 0, 1, &f) && ok;
    }
    x->m->rope_dim = (int)lround(f * x->m->head_dim);
    return ok;
}

/* ---- Qwen3.5 / Qwen3-Next: Gated DeltaNet + gated full attention, MoE with a shared expert ---- */
static bool parse_qwen35(struct mctx *x)
{
    struct mtok_model *m = x->m;
    bool ok = parse_trunk(x, true) && parse_gqa(x);
    ok = ok && parse_partial_rotary(x);
    ok = req_int(x, "linear_num_key_heads", 1, MAX_HEADS, &m->gdn_k_heads) && ok;
    ok = req_int(x, "linear_num_value_heads", 1, MAX_HEADS, &m->gdn_v_heads) && ok;
    ok = req_int(x, "linear_key_head_dim", 1, MAX_HEADS, &m->gdn_k_dim) && ok;
    ok = req_int(x, "linear_value_head_dim", 1, MAX_HEADS, &m->gdn_v_dim) && ok;
    ok = req_int(x, "linear_conv_kernel_dim", 1, 64, &m->gdn_conv) && ok;
    ok = req_int(x, "num_experts", 1, MAX_EXPERTS, &m->n_experts) && ok;
    ok = req_int(x, "num_experts_per_tok", 1, MAX_EXPERTS, &m->topk) && ok;
    ok = req_int(x, "moe_intermediate_size", 1, MAX_DIM, &m->moe_intermediate) && ok;
    ok = opt_int(x, "shared_expert_intermediate_size", 0, MAX_DIM, &m->shared_intermediate) && ok;
    ok = opt_int(x, "intermediate_size", 1, MAX_DIM, &m->intermediate) && ok;
    ok = opt_int(x, "mtp_num_hidden_layers", 0, 64, &m->n_mtp) && ok;
    bool gate = false;
    ok = opt_bool(x, "attn_output_gate", &gate) && ok;
    ok = ok && parse_router(x, MTOK_ROUTER_SOFTMAX) && check_topk(x, "num_experts_per_tok");
    if (!ok)
        return false;
    if (m->gdn_v_heads % m->gdn_k_heads != 0) {
        ck_fail(x->ck, x->path, "linear_num_value_heads", "is not a multiple of linear_num_key_heads");
        return false;
    }
    m->attn_output_gate = gate;
    m->n_shared = m->shared_intermediate ? 1 : 0;
    alloc_layers(x);
    static const char *const names[] = {"linear_attention", "full_attention"};
    static const enum mtok_attn_kind kinds[] = {MTOK_ATTN_GDN, MTOK_ATTN_FULL};
    if (!parse_layer_types(x, names, kinds, 2))
        return false;
    bool *dense = mtok_xcalloc((size_t)m->n_layers, sizeof *dense);
    ok = parse_mlp_only(x, dense);
    for (int i = 0; ok && i < m->n_layers + m->n_mtp; i++) {
        if (m->layers[i].mtp)
            m->layers[i].attn = MTOK_ATTN_FULL;
        m->layers[i].ffn = (i < m->n_layers && dense[i]) ? MTOK_FFN_DENSE : MTOK_FFN_MOE;
        if (m->layers[i].ffn == MTOK_FFN_DENSE && !m->intermediate) {
            ck_fail(x->ck, x->path, "intermediate_size", "missing (required by dense layer %d)", i);
            ok = false;
        }
    }
    free(dense);
    return ok;
}

/* Nemotron-H block letters: M = Mamba-2, E = MoE, * = attention, - = MLP. */
static bool nemotron_block(char c, struct mtok_layer *L)
{
    switch (c) {
    case 'M': L->attn = MTOK_ATTN_MAMBA2, L->ffn = MTOK_FFN_NONE; return true;
    case 'E': L->attn = MTOK_ATTN_NONE, L->ffn = MTOK_FFN_MOE; return true;
    case '*': L->attn = MTOK_ATTN_FULL, L->ffn = MTOK_FFN_NONE; return true;
    case '-': L->attn = MTOK_ATTN_NONE, L->ffn = MTOK_FFN_DENSE; return true;
    }
    return false;
}

/* The block pattern as letters, from a pattern string or a list of block names. */
static char *nemotron_pattern(struct mctx *x, const char *str_key, const char *list_key,
                              bool required)
{
    char *s = NULL;
    if (ck_member(x->ck, x->cfg, x->path, str_key, CK_OPTIONAL)) {
        if (!ck_string(x->ck, x->cfg, x->path, str_key, CK_REQUIRED, MAX_LAYERS, &s))
            return NULL;
        return s;
    }
    const cJSON *a = ck_array(x->ck, x->cfg, x->path, list_key, CK_OPTIONAL);
    if (!a) {
        if (required)
            ck_fail(x->ck, x->path, str_key, "missing (or %s) (required)", list_key);
        return NULL;
    }
    int n = cJSON_GetArraySize(a);
    if (n > MAX_LAYERS) {
        ck_fail(x->ck, x->path, list_key, "has too many entries");
        return NULL;
    }
    s = mtok_xmalloc((size_t)n + 1);
    static const char *const names[] = {"mamba", "moe", "attention", "mlp"};
    static const char letters[] = "ME*-";
    int i = 0;
    const cJSON *v;
    cJSON_ArrayForEach(v, a)
    {
        int k = 0;
        while (k < 4 && !(cJSON_IsString(v) && strcmp(v->valuestring, names[k]) == 0))
            k++;
        if (k == 4) {
            ck_fail(x->ck, x->path, list_key, "entry %d is not mamba, moe, attention or mlp", i);
            free(s);
            return NULL;
        }
        s[i++] = letters[k];
    }
    s[i] = '\0';
    return s;
}

/* ---- Nemotron-H (Nemotron 3): Mamba-2 + attention + (latent) MoE blocks ---- */
static bool parse_nemotron_h(struct mctx *x)
{
    struct mtok_model *m = x->m;
    bool ok = parse_trunk(x, false) && parse_gqa(x);
    ok = req_int(x, "mamba_num_heads", 1, MAX_HEADS, &m->mamba_heads) && ok;
    ok = req_int(x, "mamba_head_dim", 1, MAX_HEADS, &m->mamba_head_dim) && ok;
    ok = req_int(x, "ssm_state_size", 1, MAX_HEADS, &m->mamba_state) && ok;
    ok = req_int(x, "n_groups", 1, MAX_HEADS, &m->mamba_groups) && ok;
    ok = req_int(x, "conv_kernel", 1, 64, &m->mamba_conv) && ok;
    ok = req_int(x, "n_routed_experts", 1, MAX_EXPERTS, &m->n_experts) && ok;
    ok = req_int(x, "num_experts_per_tok", 1, MAX_EXPERTS, &m->topk) && ok;
    ok = req_int(x, "moe_intermediate_size", 1, MAX_DIM, &m->moe_intermediate) && ok;
    ok = opt_int(x, "n_shared_experts", 0, 64, &m->n_shared) && ok;
    ok = opt_int(x, "moe_shared_expert_intermediate_size", 0, MAX_DIM, &m->shared_intermediate) &&
         ok;
    ok = opt_int(x, "moe_latent_size", 1, MAX_DIM, &m->moe_latent) && ok;
    ok = opt_int(x, "intermediate_size", 1, MAX_DIM, &m->intermediate) && ok;
    int nextn = 0;
    ok = opt_int(x, "num_nextn_predict_layers", 0, 64, &nextn) && ok;
    ok = ok && parse_router(x, MTOK_ROUTER_SIGMOID) && check_topk(x, "num_experts_per_tok");
    if (!ok)
        return false;
    const cJSON *act = ck_member(x->ck, x->cfg, x->path, "mlp_hidden_act", CK_OPTIONAL);
    m->act = act && cJSON_IsString(act) && strcmp(act->valuestring, "relu2") == 0 ? MTOK_ACT_RELU2
                                                                                 : MTOK_ACT_SWIGLU;
    char *pat = nemotron_pattern(x, "hybrid_override_pattern", "layers_block_type", true);
    if (!pat)
        return false;
    char *mtp = nextn ? nemotron_pattern(x, "mtp_hybrid_override_pattern", "mtp_layers_block_type",
                                         false)
                      : NULL;
    if (mtp && !*mtp) {
        free(mtp);
        mtp = NULL;
    }
    if (x->ck->errors) {
        free(pat);
        free(mtp);
        return false;
    }
    int n_pat = (int)strlen(pat);
    int declared = 0;
    ok = opt_int(x, "num_hidden_layers", 1, MAX_LAYERS, &declared);
    if (ok && declared && declared != n_pat) {
        ck_fail(x->ck, x->path, "num_hidden_layers", "is %d but the block pattern has %d blocks",
                declared, n_pat);
        ok = false;
    }
    if (ok && n_pat == 0) {
        ck_fail(x->ck, x->path, "hybrid_override_pattern", "is empty");
        ok = false;
    }
    if (ok) {
        m->n_layers = n_pat;
        m->n_mtp = mtp ? nextn * (int)strlen(mtp) : 0;
        alloc_layers(x);
        for (int i = 0; ok && i < m->n_layers + m->n_mtp; i++) {
            char c = i < n_pat ? pat[i] : mtp[(i - n_pat) % (int)strlen(mtp)];
            if (!nemotron_block(c, &m->layers[i])) {
                ck_fail(x->ck, x->path, "hybrid_override_pattern",
                        "block %d is not one of M, E, * or -", i);
                ok = false;
            } else if (m->layers[i].ffn == MTOK_FFN_DENSE && !m->intermediate) {
                ck_fail(x->ck, x->path, "intermediate_size", "missing (required by MLP blocks)");
                ok = false;
            }
        }
    }
    free(pat);
    free(mtp);
    return ok;
}

/* ---- weight precision from quantization_config (and V4's expert_dtype) ---- */

static bool parse_dtype_name(const char *s, enum mtok_dtype *out)
{
    if (strcmp(s, "bfloat16") == 0)
        return *out = MTOK_BF16, true;
    if (strcmp(s, "float16") == 0)
        return *out = MTOK_F16, true;
    if (strcmp(s, "float32") == 0)
        return *out = MTOK_F32, true;
    return false;
}

static bool parse_ct_group(struct mctx *x, const cJSON *w, const char *path, enum mtok_dtype *out)
{
    int bits = 0, group = 0;
    char *type = NULL;
    bool ok = ck_int(x->ck, w, path, "num_bits", CK_REQUIRED, 1, 64, &bits);
    ok = ck_int(x->ck, w, path, "group_size", CK_OPTIONAL, 1, 1 << 20, &group) && ok;
    ok = ck_string(x->ck, w, path, "type", CK_REQUIRED, 32, &type) && ok;
    if (ok) {
        bool is_float = strcmp(type, "float") == 0;
        if (bits == 4 && is_float)
            *out = group == 32 ? MTOK_MXFP4 : MTOK_NVFP4;
        else if (bits == 4)
            *out = MTOK_INT4;
        else if (bits == 8)
            *out = is_float ? MTOK_FP8 : MTOK_INT8;
        else {
            ck_fail(x->ck, path, "num_bits", "%d-bit %s weights are not a format mtok models", bits,
                    type);
            ok = false;
        }
    }
    free(type);
    return ok;
}

static bool parse_quant(struct mctx *x)
{
    struct mtok_model *m = x->m;
    enum mtok_dtype base = MTOK_BF16;
    for (int pass = 0; pass < 2; pass++) {
        const cJSON *src = pass ? x->root : x->cfg;
        for (int k = 0; k < 2; k++) {
            const cJSON *v = cJSON_GetObjectItemCaseSensitive(src, k ? "dtype" : "torch_dtype");
            if (cJSON_IsString(v))
                parse_dtype_name(v->valuestring, &base);
        }
    }
    m->wprec_dense = m->wprec_expert = m->wprec_embed = base;

    const cJSON *qc = cJSON_GetObjectItemCaseSensitive(x->cfg, "quantization_config");
    const char *qpath = "quantization_config";
    char qbuf[64];
    if (!qc || cJSON_IsNull(qc))
        qc = cJSON_GetObjectItemCaseSensitive(x->root, "quantization_config");
    else if (*x->path) {
        snprintf(qbuf, sizeof qbuf, "%s.quantization_config", x->path);
        qpath = qbuf;
    }
    if (qc && !cJSON_IsNull(qc)) {
        if (!cJSON_IsObject(qc)) {
            ck_fail(x->ck, "", qpath, "expected an object");
            return false;
        }
        char *method = NULL;
        if (!ck_string(x->ck, qc, qpath, "quant_method", CK_REQUIRED, 64, &method))
            return false;
        bool ok = true;
        if (strcmp(method, "fp8") == 0) {
            m->wprec_dense = m->wprec_expert = MTOK_FP8;
        } else if (strcmp(method, "mxfp4") == 0) {
            m->wprec_expert = MTOK_MXFP4;
        } else if (strcmp(method, "compressed-tensors") == 0 || strcmp(method, "modelopt") == 0) {
            const cJSON *groups = ck_object(x->ck, qc, qpath, "config_groups", CK_REQUIRED);
            ok = groups != NULL;
            for (const cJSON *g = groups ? groups->child : NULL; ok && g; g = g->next) {
                char gpath[160];
                snprintf(gpath, sizeof gpath, "%s.config_groups.%s.weights", qpath, g->string);
                const cJSON *w = cJSON_GetObjectItemCaseSensitive(g, "weights");
                if (!cJSON_IsObject(w)) {
                    ck_fail(x->ck, "", gpath, "missing (required)");
                    ok = false;
                } else {
                    ok = parse_ct_group(x, w, gpath, &m->wprec_expert);
                }
            }
        } else {
            ck_fail(x->ck, qpath, "quant_method",
                    "\"%s\" is not a format mtok models (fp8, mxfp4, compressed-tensors)", method);
            ok = false;
        }
        free(method);
        if (!ok)
            return false;
    }

    const cJSON *ed = cJSON_GetObjectItemCaseSensitive(x->cfg, "expert_dtype");
    if (ed && !cJSON_IsNull(ed)) {
        if (!cJSON_IsString(ed)) {
            ck_fail(x->ck, x->path, "expert_dtype", "expected a string");
            return false;
        }
        if (strcmp(ed->valuestring, "fp4") == 0)
            m->wprec_expert = MTOK_MXFP4; /* the V4 report: MXFP4 QAT experts */
        else if (mtok_dtype_parse(ed->valuestring, &m->wprec_expert) != MTOK_OK) {
            ck_fail(x->ck, x->path, "expert_dtype", "\"%s\" is not a known dtype", ed->valuestring);
            return false;
        }
    }
    return true;
}

/* ------------------------------------------------------------------------------------------------ */

static const struct family {
    const char *model_type;
    bool (*parse)(struct mctx *x);
} families[] = {
    {"llama", parse_dense},          {"qwen2", parse_dense},
    {"qwen3", parse_dense},          {"mistral", parse_mistral},
    {"mixtral", parse_mixtral},      {"qwen3_moe", parse_qwen3_moe},
    {"minimax_m2", parse_minimax},   {"gpt_oss", parse_gpt_oss},
    {"deepseek_v3", parse_mla_plain}, {"kimi_k2", parse_mla_plain},
    {"deepseek_v32", parse_mla_dsa}, {"glm_moe_dsa", parse_mla_dsa},
    {"deepseek_v4", parse_v4},       {"qwen3_5_moe_text", parse_qwen35},
    {"qwen3_next", parse_qwen35},    {"nemotron_h", parse_nemotron_h},
};

/* Multimodal wrappers whose language model sits in text_config. */
static const char *const wrappers[] = {"qwen3_5_moe", "kimi_k25", "qwen3_vl_moe", NULL};

static const char *model_types_list(void)
{
    return "llama, qwen2, qwen3, mistral, mixtral, qwen3_moe, minimax_m2, gpt_oss, deepseek_v3, "
           "kimi_k2, deepseek_v32, glm_moe_dsa, deepseek_v4, qwen3_5_moe, qwen3_next, nemotron_h, "
           "kimi_k25";
}

struct mtok_model *catalog_model_from_json(struct ck *ck, const cJSON *root)
{
    if (!cJSON_IsObject(root)) {
        ck_fail(ck, "", NULL, "is not a JSON object");
        return NULL;
    }
    struct mctx x = {.ck = ck, .root = root, .cfg = root, .path = ""};
    char *mt = NULL;
    if (!ck_string(ck, root, "", "model_type", CK_REQUIRED, 64, &mt))
        return NULL;
    for (const char *const *w = wrappers; *w; w++)
        if (strcmp(mt, *w) == 0) {
            const cJSON *tc = ck_object(ck, root, "", "text_config", CK_REQUIRED);
            free(mt);
            mt = NULL;
            if (!tc || !ck_string(ck, tc, "text_config", "model_type", CK_REQUIRED, 64, &mt))
                return NULL;
            x.cfg = tc;
            x.path = "text_config";
            break;
        }
    const struct family *fam = NULL;
    for (size_t i = 0; i < sizeof families / sizeof *families; i++)
        if (strcmp(mt, families[i].model_type) == 0)
            fam = &families[i];
    if (!fam) {
        ck_fail(ck, x.path, "model_type", "\"%s\" is not a known model_type (known: %s)", mt,
                model_types_list());
        free(mt);
        return NULL;
    }
    struct mtok_model *m = mtok_xcalloc(1, sizeof *m);
    m->model_type = mt;
    x.m = m;
    size_t before = ck->errors;
    bool ok = fam->parse(&x);
    ok = parse_quant(&x) && ok;
    if (!ok || ck->errors != before) {
        if (ck->errors == before)
            ck_fail(ck, x.path, "model_type", "config is incomplete for \"%s\"", mt);
        mtok_model_destroy(m);
        return NULL;
    }
    return m;
}

void mtok_model_destroy(struct mtok_model *m)
{
    if (!m)
        return;
    free(m->id);
    free(m->name);
    free(m->vendor);
    free(m->license);
    free(m->released);
    free(m->hf_repo);
    free(m->config_file);
    free(m->model_type);
    mtok_source_free(&m->official_src);
    mtok_source_free(&m->download_src);
    free(m->layers);
    free(m);
}

enum mtok_status mtok_model_parse(const char *name, const char *json, size_t len,
                                  struct mtok_model **out, struct mtok_diags *diags)
{
    *out = NULL;
    struct ck ck = {.file = name, .d = diags, .python_literals = true};
    cJSON *root = ck_parse(&ck, json, len);
    if (!root)
        return MTOK_EINVAL;
    struct mtok_model *m = catalog_model_from_json(&ck, root);
    cJSON_Delete(root);
    if (!m)
        return MTOK_EINVAL;
    m->config_file = mtok_xstrdup(name);
    m->id = mtok_xstrdup(name);
    m->name = mtok_xstrdup(name);
    *out = m;
    return MTOK_OK;
}

const char *mtok_attn_kind_name(enum mtok_attn_kind k)
{
    static const char *const names[MTOK_ATTN_KIND_COUNT] = {
        "none", "full", "sliding", "mla", "mla-dsa", "v4-swa", "v4-csa", "v4-hca", "gdn", "mamba2"};
    return (unsigned)k < MTOK_ATTN_KIND_COUNT ? names[k] : "?";
}

const char *mtok_ffn_kind_name(enum mtok_ffn_kind k)
{
    static const char *const names[MTOK_FFN_KIND_COUNT] = {"none", "dense", "moe"};
    return (unsigned)k < MTOK_FFN_KIND_COUNT ? names[k] : "?";
}
