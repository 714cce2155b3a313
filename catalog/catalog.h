/* catalog: loads and checks the data in data/ (embedded at build time, or a directory on disk):
 * model configs (HuggingFace config.json, normalised into struct mtok_model), hardware targets and
 * the API price book. Every problem found becomes one diagnostic line `FILE: FIELD: what is wrong`;
 * a catalog with any problem is not opened at all, so nothing downstream sees half-checked data.
 *
 * The catalog owns every struct it returns; they live until mtok_catalog_destroy. A catalog is
 * read-only after it is opened and may be shared between threads. */
#ifndef MTOK_CATALOG_H
#define MTOK_CATALOG_H

#include "core/core.h"

/* ------------------------------------------------------------------------------------------------
 * Provenance of a group of figures, as written next to them in data/. */
struct mtok_source {
    char *source; /* publication, URL, file at commit */
    char *date;   /* YYYY-MM-DD or YYYY-MM */
    bool uncertain;
    char *note; /* may be NULL */
};

/* ------------------------------------------------------------------------------------------------
 * Models.
 *
 * A config.json is normalised into one flat description plus a per-layer list. Fields a family does
 * not have are 0. The per-layer list is the model's real layout (HF `layer_types`,
 * `compress_ratios`, `hybrid_override_pattern`, `first_k_dense_replace`, ...), main layers first,
 * then the multi-token-prediction (MTP) layers flagged `mtp`. */

enum mtok_attn_kind {
    MTOK_ATTN_NONE,     /* layer has no token mixer (Nemotron-H MoE/MLP-only blocks) */
    MTOK_ATTN_FULL,     /* softmax attention, MHA/GQA/MQA by n_kv_heads */
    MTOK_ATTN_SLIDING,  /* softmax attention over the last `sliding_window` tokens (gpt-oss) */
    MTOK_ATTN_MLA,      /* DeepSeek multi-head latent attention (V3, R1, Kimi K2) */
    MTOK_ATTN_MLA_DSA,  /* MLA + lightning indexer + top-k sparse attention (V3.2, GLM-5) */
    MTOK_ATTN_V4_SWA,   /* DeepSeek V4, compress ratio 0: sliding window only */
    MTOK_ATTN_V4_CSA,   /* DeepSeek V4 compressed sparse attention (ratio 4, indexer top-k) + SWA */
    MTOK_ATTN_V4_HCA,   /* DeepSeek V4 heavily compressed attention (ratio 128, dense) + SWA */
    MTOK_ATTN_GDN,      /* Gated DeltaNet linear attention (Qwen3.5) */
    MTOK_ATTN_MAMBA2,   /* Mamba-2 SSM mixer (Nemotron-H) */
    MTOK_ATTN_KIND_COUNT
};

enum mtok_ffn_kind {
    MTOK_FFN_NONE,  /* no FFN in this block (Nemotron-H mixer-only blocks) */
    MTOK_FFN_DENSE, /* dense MLP of width intermediate_size */
    MTOK_FFN_MOE,   /* routed experts (+ shared experts) */
    MTOK_FFN_KIND_COUNT
};

enum mtok_act { MTOK_ACT_SWIGLU, MTOK_ACT_RELU2 }; /* gated (3 matrices) vs. squared ReLU (2) */

enum mtok_router { MTOK_ROUTER_SOFTMAX, MTOK_ROUTER_SIGMOID, MTOK_ROUTER_SQRTSOFTPLUS };

struct mtok_layer {
    enum mtok_attn_kind attn;
    enum mtok_ffn_kind ffn;
    int compress_ratio; /* V4: 0, 4 or 128 */
    bool hash_routed;   /* V4: MoE routed by a token-id hash table, no learned router */
    bool mtp;           /* multi-token-prediction layer (not run in plain decoding) */
};

struct mtok_model {
    /* identity, from data/models/index.json (a bare config file gets its file name as id) */
    char *id, *name, *vendor, *license, *released, *hf_repo;
    char *config_file; /* path as given (data/models/x.json, or the user's path) */
    char *model_type;  /* the config's model_type (text_config's for multimodal wrappers) */
    double official_total, official_active; /* vendor's counts; 0 = not given */
    struct mtok_source official_src;
    double download_bytes; /* published checkpoint size; 0 = not given */
    struct mtok_source download_src;

    /* trunk */
    int hidden, vocab, max_pos;
    bool tie_embeddings;
    int n_layers; /* main layers (excludes MTP) */
    int n_mtp;    /* MTP layers, appended to layers[] */
    int hc_mult;  /* V4 manifold-constrained hyper-connections width (1 = plain residual) */

    /* softmax attention */
    int n_heads, n_kv_heads, head_dim; /* head_dim: q/k dim for GQA, KV entry dim for V4 */
    int v_head_dim;                    /* MLA/GQA value dim (defaults to head_dim) */
    int rope_dim;                      /* dims with rotary embedding (qk_rope_head_dim, rotary_dim) */
    int qk_nope_dim;                   /* MLA non-rotary q/k dims */
    int q_lora_rank, kv_lora_rank;     /* MLA/V4 low-rank q and kv (0 = full projection) */
    int o_groups, o_lora_rank;         /* V4 grouped output projection */
    int sliding_window;                /* window for SLIDING and V4 layers */
    bool attn_output_gate;             /* Qwen3.5 gated attention output */
    bool attn_bias;                    /* q/k/v/o biases (gpt-oss) */
    bool attn_sink;                    /* learned per-head sink logit (gpt-oss, V4) */
    int index_heads, index_head_dim, index_topk; /* lightning indexer (DSA, V4 CSA) */

    /* Gated DeltaNet */
    int gdn_k_heads, gdn_v_heads, gdn_k_dim, gdn_v_dim, gdn_conv;
    /* Mamba-2 */
    int mamba_heads, mamba_head_dim, mamba_state, mamba_groups, mamba_conv;

    /* feed-forward */
    enum mtok_act act;
    int intermediate;                  /* dense MLP width */
    int n_experts, n_shared, topk;     /* routed experts, shared experts, experts per token */
    int moe_intermediate;              /* routed expert width */
    int shared_intermediate;           /* total shared-expert width (n_shared x width when per-expert) */
    int moe_latent;                    /* Nemotron latent MoE: experts run in this smaller width */
    enum mtok_router router;
    double routed_scaling;

    /* native weight precision of the published checkpoint */
    enum mtok_dtype wprec_dense;  /* attention, dense FFN, shared experts */
    enum mtok_dtype wprec_expert; /* routed experts */
    enum mtok_dtype wprec_embed;  /* embeddings and LM head */

    struct mtok_layer *layers; /* n_layers + n_mtp entries */
};

/* ------------------------------------------------------------------------------------------------
 * Hardware. A figure of 0 means "not given" (for peaks: not supported). */

enum mtok_peak { MTOK_PEAK_FP64, MTOK_PEAK_FP32, MTOK_PEAK_BF16, MTOK_PEAK_FP8, MTOK_PEAK_FP4,
                 MTOK_PEAK_INT8, MTOK_PEAK_COUNT };
/* "fp64", "fp32", "bf16", "fp8", "fp4", "int8" (the keys of compute.flops). */
const char *mtok_peak_name(enum mtok_peak p);

enum mtok_tier { MTOK_TIER_HYPERSCALER, MTOK_TIER_NEOCLOUD, MTOK_TIER_RENTAL, MTOK_TIER_SPOT,
                 MTOK_TIER_LIST, MTOK_TIER_COUNT };
/* "hyperscaler", "neocloud", "rental", "spot", "list". */
const char *mtok_tier_name(enum mtok_tier t);
enum mtok_status mtok_tier_parse(const char *name, enum mtok_tier *out);

struct mtok_hw {
    char *id, *name, *vendor, *kind, *released, *file;
    double peak[MTOK_PEAK_COUNT]; /* dense FLOP/s */
    double mem_bytes, mem_bw;     /* capacity (B), bandwidth (B/s) */
    char *scale_up_name;
    double scale_up_bw; /* per device, one direction (B/s) */
    int scale_up_domain;
    char *scale_out_name;
    double scale_out_bw; /* per device (B/s) */
    double tdp_w, all_in_kw;
    double usd_per_hour[MTOK_TIER_COUNT];
    double purchase_usd;
    struct mtok_source src_compute, src_memory, src_scale_up, src_scale_out, src_power, src_price;
};

/* ------------------------------------------------------------------------------------------------
 * API price book. Prices are in USD per million tokens (converted from the listed currency with the
 * book's currency_rates); cached input is NAN when not published. */

struct mtok_api_price {
    char *id, *provider, *product, *model, *kind, *from, *until; /* model, until may be NULL */
    char *currency;
    double per_m_input, per_m_cached_input, per_m_output;        /* USD */
    double orig_input, orig_cached_input, orig_output;           /* in `currency` */
    struct mtok_source src;
};

/* ------------------------------------------------------------------------------------------------ */

struct mtok_catalog;

/* Open the catalogs. data_dir NULL uses the embedded copy of data/; otherwise data_dir must hold
 * models/index.json, hardware/ *.json and prices/api.json laid out like data/.
 * Every problem is appended to `diags` (required). Returns MTOK_OK and *out, or MTOK_EINVAL (any
 * diagnostic) / MTOK_EIO with *out NULL and nothing allocated. */
enum mtok_status mtok_catalog_open(struct mtok_catalog **out, const char *data_dir,
                                   struct mtok_diags *diags);
/* No-op on NULL. */
void mtok_catalog_destroy(struct mtok_catalog *cat);

size_t mtok_catalog_model_count(const struct mtok_catalog *cat);
const struct mtok_model *mtok_catalog_model_at(const struct mtok_catalog *cat, size_t i);
/* By id; NULL when absent. */
const struct mtok_model *mtok_catalog_model(const struct mtok_catalog *cat, const char *id);

size_t mtok_catalog_hw_count(const struct mtok_catalog *cat);
const struct mtok_hw *mtok_catalog_hw_at(const struct mtok_catalog *cat, size_t i);
const struct mtok_hw *mtok_catalog_hw(const struct mtok_catalog *cat, const char *id);

size_t mtok_catalog_price_count(const struct mtok_catalog *cat);
const struct mtok_api_price *mtok_catalog_price_at(const struct mtok_catalog *cat, size_t i);

/* Add a hardware entry from JSON text (the measured `host` entry, or a user's file). `name` is used
 * in diagnostics. An entry with an existing id replaces it. Fails with MTOK_EINVAL (diags filled)
 * and leaves the catalog unchanged. Not thread-safe against concurrent readers. */
enum mtok_status mtok_catalog_add_hw_json(struct mtok_catalog *cat, const char *name,
                                          const char *json, size_t len, struct mtok_diags *diags);

/* Replace the catalog's API price book with `json`, a document laid out like data/prices/api.json
 * (fetched, or a user's file). `name` is used in diagnostics. Every check of the embedded book
 * applies, and model ids it names must be catalog models. Fails with MTOK_EINVAL (diags filled)
 * and leaves the catalog unchanged. Not thread-safe against concurrent readers. */
enum mtok_status mtok_catalog_set_prices_json(struct mtok_catalog *cat, const char *name,
                                              const char *json, size_t len,
                                              struct mtok_diags *diags);

/* Resolve a --model / --hw argument: a catalog id, or a path to a JSON file (anything containing
 * '/' or ending in .json). A file is loaded, checked and kept in the catalog (so the returned
 * pointer lives as long as it). Unknown ids give MTOK_ENOTFOUND with a diagnostic naming the
 * argument. */
enum mtok_status mtok_catalog_resolve_model(struct mtok_catalog *cat, const char *arg,
                                            const struct mtok_model **out, struct mtok_diags *diags);
enum mtok_status mtok_catalog_resolve_hw(struct mtok_catalog *cat, const char *arg,
                                         const struct mtok_hw **out, struct mtok_diags *diags);

/* Parse and check one config.json held in memory. `name` is used in diagnostics and as the id.
 * On success *out is a new model owned by the caller (free with mtok_model_destroy). */
enum mtok_status mtok_model_parse(const char *name, const char *json, size_t len,
                                  struct mtok_model **out, struct mtok_diags *diags);
void mtok_model_destroy(struct mtok_model *m);

/* ------------------------------------------------------------------------------------------------
 * Price books from elsewhere (a user's file, or one fetched over HTTP by pricing/). */

/* Parse and check a price book held in memory, in the format of data/prices/api.json, with the same
 * checks (model ids are checked against `cat`). `name` is used in diagnostics (a path or URL). On
 * success *out holds *n prices owned by the caller (free with mtok_api_prices_free, or hand them to
 * mtok_catalog_add_prices). On failure: MTOK_EINVAL, diagnostics added, *out NULL. */
enum mtok_status mtok_prices_parse(const struct mtok_catalog *cat, const char *name,
                                   const char *json, size_t len, struct mtok_api_price **out,
                                   size_t *n, struct mtok_diags *diags);
void mtok_api_prices_free(struct mtok_api_price *prices, size_t n);
/* Move parsed prices into the catalog (it takes ownership of the array and its strings). An entry
 * whose id is already in the catalog replaces it. Invalidates pointers to catalog prices. Not
 * thread-safe against concurrent readers. */
void mtok_catalog_add_prices(struct mtok_catalog *cat, struct mtok_api_price *prices, size_t n);

/* Add a parsed model (from mtok_model_parse); the catalog takes ownership. A model with the same id
 * takes the old one's place in lookups; the old one stays alive until mtok_catalog_destroy, so
 * pointers to it remain valid. Not thread-safe against concurrent readers. */
void mtok_catalog_add_model(struct mtok_catalog *cat, struct mtok_model *m);

/* ------------------------------------------------------------------------------------------------
 * TCO defaults (data/pricing/tco.json): the assumptions that turn a device's purchase price and
 * power into $/device-hour, each group with its source. pricing/ uses them; users override any. */

struct mtok_tco_defaults {
    /* capital */
    double years;               /* amortisation period */
    double cost_of_capital;     /* annual rate of the annuity (0.10 = 10 %) */
    double server_capex_ratio;  /* server cost per accelerator / accelerator price */
    double network_capex_ratio; /* cluster network multiplier on top of the server */
    double opex_per_year;       /* maintenance, staff, software: fraction of system capex per year */
    struct mtok_source src_capital;
    /* power */
    double pue;                /* facility power / IT power */
    double usd_per_kwh;        /* electricity price */
    double load_fraction;      /* average draw / provisioned all-in power */
    double server_power_ratio; /* IT power per accelerator / accelerator TDP (host, network share) */
    struct mtok_source src_power;
    /* hosting */
    double hosting_usd_per_kw_month; /* colocation rent per kW of IT capacity */
    struct mtok_source src_hosting;
    /* serving */
    double utilisation;             /* share of hours doing billable work (1 = InferenceX basis) */
    double cached_input_cost_ratio; /* cost of a prefix-cache-hit input token / a miss */
    struct mtok_source src_serving;
    char *file; /* where they were read from */
};

/* Read data/pricing/tco.json from the embedded copy (data_dir NULL) or DATA_DIR/pricing/tco.json.
 * Problems are appended to `diags` as `FILE: FIELD: what is wrong`; returns MTOK_EINVAL / MTOK_EIO
 * and leaves *out zeroed on failure. Free with mtok_tco_defaults_free. */
enum mtok_status mtok_tco_defaults_load(const char *data_dir, struct mtok_tco_defaults *out,
                                        struct mtok_diags *diags);
/* Same checks on a document in memory; `name` is used in diagnostics. */
enum mtok_status mtok_tco_defaults_parse(const char *name, const char *json, size_t len,
                                         struct mtok_tco_defaults *out, struct mtok_diags *diags);
/* No-op on NULL; leaves *t zeroed. */
void mtok_tco_defaults_free(struct mtok_tco_defaults *t);

/* Short names for the enums (for tables, JSON and the database). */
const char *mtok_attn_kind_name(enum mtok_attn_kind k);
const char *mtok_ffn_kind_name(enum mtok_ffn_kind k);

/* Upper bound on any catalog file (bigger files are rejected before they are read). */
#define MTOK_CATALOG_MAX_FILE (16u << 20)
/* Upper bound on the JSON values in one document (checked before parsing): memory stays under
 * about 100 MB whatever a file holds. Real files hold thousands. */
#define MTOK_CATALOG_MAX_VALUES 1000000

/* What a data file holds, judged by its top-level keys: the index of the first of `keys` (a NULL-
 * terminated list) that the document's top-level object has, or -1. The document is parsed within
 * the limits above; one that does not parse is judged by whether a quoted key appears at all, so
 * that its errors come from the right checker. For `mtok check FILE`. */
int mtok_json_top_key(const char *json, size_t len, const char *const *keys);

#endif
