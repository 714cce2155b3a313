/* sim: the roofline simulator. Model -> layers -> ops; the cost of each op; roofline time per op
 * on a hardware entry; deployments; serving sweeps.
 *
 * This header starts with the one idea that ties mtok together: AN OP HAS ONE COST DESCRIPTION.
 * The simulator builds ops from a model; a kernel in kernels/ describes each call it makes with
 * the SAME constructors below. So a kernel measured on this machine and the op the simulator
 * predicts for this machine count FLOPs and bytes identically, and their ratio calibrates the
 * roofline.
 *
 * Conventions: FLOPs count multiply-adds as 2 and only the arithmetic that dominates (matrix
 * products; exp/normalisation counted separately as `other`); bytes are what must move between
 * memory and the chip at least once per op (weights, activations read + written, KV cache read +
 * appended), split by class. All counts are doubles. Nothing here allocates or fails. */
#ifndef MTOK_SIM_H
#define MTOK_SIM_H

#include "catalog/catalog.h"
#include "core/core.h"

/* ------------------------------------------------------------------------------------------------
 * Ops and their cost */

enum mtok_op_kind {
    MTOK_OP_GEMM,         /* dense matmul: m tokens x k in -> n out, weights k x n */
    MTOK_OP_GROUPED_GEMM, /* MoE experts: `groups` weight matrices, m routed token-rows in total */
    MTOK_OP_ATTENTION,    /* softmax attention core (QK^T, softmax, PV) of any kind */
    MTOK_OP_INDEXER,      /* lightning-indexer scoring of cached keys (+ top-k selection) */
    MTOK_OP_SCAN,         /* recurrent/linear mixers: Mamba-2 SSM, Gated DeltaNet state update */
    MTOK_OP_ELEMENTWISE,  /* norms, RoPE, activations, softmax, router scoring, (de)quantise */
    MTOK_OP_MOVE,         /* data movement only: embedding gather, token permute/combine, KV write */
    MTOK_OP_COLLECTIVE,   /* communication between devices */
    MTOK_OP_KIND_COUNT
};

enum mtok_collective { MTOK_COLL_ALLREDUCE, MTOK_COLL_ALLGATHER, MTOK_COLL_REDUCESCATTER,
                       MTOK_COLL_ALLTOALL, MTOK_COLL_SENDRECV };

struct mtok_op {
    enum mtok_op_kind kind;
    const char *name;    /* static string: the op's role ("wq_a", "moe_gate_up", "attn_csa" ...) */
    enum mtok_dtype wdtype;  /* weight storage */
    enum mtok_dtype adtype;  /* activation storage */
    enum mtok_dtype cdtype;  /* the arithmetic the hardware runs (selects the peak) */
    /* shape (meaning per kind; see constructors) */
    double m, n, k, groups;
    /* cost */
    double flops;        /* matrix FLOPs (2 per multiply-add) */
    double other;        /* non-matrix operations (exp, divides, comparisons) */
    double w_bytes;      /* weight bytes read */
    double a_bytes;      /* activation bytes read + written */
    double kv_bytes;     /* KV-cache / recurrent-state bytes read + written */
    double comm_bytes;   /* bytes each device sends (collectives) */
    enum mtok_collective coll;
    int group_size;      /* devices in the collective */
};

/* Total bytes that move through memory for an op (weights + activations + KV). */
double mtok_op_bytes(const struct mtok_op *op);

/* Dense GEMM [m x k] x [k x n]: flops 2mnk; weights n*k in w (block scales included); activations
 * m*k read + m*n written in a. cdtype is the arithmetic used. */
struct mtok_op mtok_op_gemm(const char *name, double m, double n, double k, enum mtok_dtype w,
                            enum mtok_dtype a, enum mtok_dtype c);

/* Grouped GEMM for routed experts: `rows` token-rows in total (tokens x top-k) spread over
 * `groups` distinct experts that are touched (each expert's n x k weights read once). */
struct mtok_op mtok_op_grouped_gemm(const char *name, double rows, double groups, double n,
                                    double k, enum mtok_dtype w, enum mtok_dtype a,
                                    enum mtok_dtype c);

/* The shape of one attention core call. */
struct mtok_attn_shape {
    double batch;      /* sequences */
    double q_len;      /* query tokens per sequence */
    double kv_len;     /* positions each query attends to (causal prefill: the mean, ~ctx/2 + q/2) */
    double kv_read;    /* distinct cached positions read per sequence (decode: kv_len) */
    double kv_write;   /* positions appended to the cache per sequence */
    double heads;      /* query heads */
    double kv_heads;   /* K/V heads (1 for MQA/MLA/V4) */
    double dqk, dv;    /* per-head dims of the score product and of the value product */
    double kv_entry_bytes; /* cache bytes per position per kv head (K and V together, incl. scales) */
};

/* flops = 2 * batch * q_len * heads * kv_len * (dqk + dv); other = 5 * batch * q_len * heads *
 * kv_len (softmax); kv_bytes = batch * kv_heads * (kv_read + kv_write) * kv_entry_bytes;
 * a_bytes = q read + output written in a. */
struct mtok_op mtok_op_attention(const char *name, const struct mtok_attn_shape *s,
                                 enum mtok_dtype a, enum mtok_dtype c);

/* Lightning indexer: each of q tokens scores `keys` cached index keys with `heads` heads of dim
 * `dim` (ReLU score, weighted sum over heads), then keeps its top-k. flops = 2*batch*q*keys*heads*
 * dim; kv_bytes = batch * keys * key_bytes (+ q*... activations). */
struct mtok_op mtok_op_indexer(const char *name, double batch, double q, double keys, double heads,
                               double dim, double key_bytes, double topk, enum mtok_dtype a,
                               enum mtok_dtype c);

/* Element-wise op over `elems` elements: `ops_per_elem` operations, bytes_in/out per element. */
struct mtok_op mtok_op_elementwise(const char *name, double elems, double ops_per_elem,
                                   double bytes_in, double bytes_out);

/* Pure data movement of `bytes` (read + written counted once each by the caller). */
struct mtok_op mtok_op_move(const char *name, double bytes);

/* Recurrent mixer state update (Mamba-2 / Gated DeltaNet): flops and state bytes read+written. */
struct mtok_op mtok_op_scan(const char *name, double flops, double state_bytes, double act_bytes);

/* Collective of a `bytes` message per device over `group` devices. comm_bytes is what each device
 * sends with the usual bandwidth-optimal algorithm (ring all-reduce 2(g-1)/g, all-gather and
 * reduce-scatter (g-1)/g, all-to-all (g-1)/g, send/recv 1). */
struct mtok_op mtok_op_collective(const char *name, enum mtok_collective kind, double bytes,
                                  int group);

const char *mtok_op_kind_name(enum mtok_op_kind k);

/* ================================================================================================
 * The simulator (issue #3). Everything below builds on the op section above and never changes the
 * meaning of its constructors. Sections: extra op constructors; provenance and calibration; the
 * sourced defaults (data/sim/defaults.json); precision schemes; model accounting (parameters,
 * weight bytes, KV bytes, FLOPs); deployments and plans (per-op roofline, collectives, the fast
 * decode-step evaluator); serving (TTFT, TPOT, throughput, Pareto); sweeps over suite files.
 *
 * Threads: defaults, calibration tables and plans are read-only once built and may be shared
 * between threads; every evaluation function below is reentrant.
 * ================================================================================================ */

/* ---- extra op constructors ---- */

/* A KV-cache or recurrent-state write (or read-modify-write) of `bytes`: a MOVE whose bytes count
 * as KV (kv_bytes), not activations. */
struct mtok_op mtok_op_kv_write(const char *name, double bytes);

/* ---- provenance and calibration ---- */

/* Where a predicted time's utilisation came from, weakest first. A result that combines several
 * ops carries the weakest provenance among them. */
enum mtok_prov {
    MTOK_PROV_SOL,        /* pure roofline: utilisation 1, no latency */
    MTOK_PROV_DEFAULT,    /* a sourced default efficiency (data/sim/defaults.json) */
    MTOK_PROV_CALIBRATED, /* interpolated between measurements on this hardware */
    MTOK_PROV_MEASURED,   /* a measurement at this size on this hardware */
    MTOK_PROV_COUNT
};
/* "sol", "default", "calibrated", "measured". */
const char *mtok_prov_name(enum mtok_prov p);

/* Which roof bounds an op: arithmetic, memory traffic, or a link between devices. */
enum mtok_bound { MTOK_BOUND_COMPUTE, MTOK_BOUND_MEMORY, MTOK_BOUND_NETWORK, MTOK_BOUND_COUNT };
/* "compute", "memory", "network". */
const char *mtok_bound_name(enum mtok_bound b);
enum mtok_status mtok_bound_parse(const char *name, enum mtok_bound *out);
enum mtok_status mtok_op_kind_parse(const char *name, enum mtok_op_kind *out);

/* A calibration table: utilisations keyed by hardware id, op kind, calibration dtype and roof, each
 * a curve over a size metric (FLOPs + other operations of the op for compute, bytes for memory and
 * network). */
struct mtok_calib;

/* The dtype an op's utilisation is keyed by: the storage format that shapes the kernel's work,
 * which the simulator's op and a measured kernel of the same op share (their arithmetic may
 * differ: a CPU runs an fp8 GEMV in f32). GEMMs and grouped GEMMs: the weight format (wdtype);
 * attention: the KV cache's format and the indexer: the key format (both carried in wdtype by the
 * simulator and the kernels); every other op: its arithmetic (cdtype). */
enum mtok_dtype mtok_calib_dtype(const struct mtok_op *op);

/* An empty table. Never NULL. */
struct mtok_calib *mtok_calib_create(void);
/* No-op on NULL. */
void mtok_calib_destroy(struct mtok_calib *c);

/* Add one utilisation point. hw_id NULL or "*" matches every hardware entry; kind
 * MTOK_OP_KIND_COUNT every op kind; dtype MTOK_DTYPE_COUNT every dtype. size <= 0 (or NAN) makes a
 * size-independent entry; otherwise points with the same key form a curve interpolated linearly in
 * log(size), held at its largest point above it and, below its smallest, continued along its
 * first segment in log-log with a slope clamped to [0, 1] (fixed costs weigh more on smaller
 * ops; a curve of one point is flat). utilisation must be in (0, 1.5] (a little over 1 allows for a
 * datasheet peak below what the part reaches); prov is DEFAULT, CALIBRATED or MEASURED; source
 * (copied) says where the number came from. Returns MTOK_EINVAL with err set otherwise. */
enum mtok_status mtok_calib_add(struct mtok_calib *c, const char *hw_id, enum mtok_op_kind kind,
                                enum mtok_dtype dtype, enum mtok_bound bound, double size,
                                double utilisation, enum mtok_prov prov, const char *source,
                                struct mtok_error *err);

/* One looked-up utilisation. `source` points into the table. */
struct mtok_util {
    double u;
    enum mtok_prov prov; /* MEASURED when the size is within 1% of a measured point */
    const char *source;
};

/* The utilisation for an op of `kind` with calibration dtype `dtype`, bounded by `bound`, of the
 * given size on hardware `hw_id`. The most specific matching key wins (hardware id over "*", then
 * op kind over any, then dtype over any). With no match at all: u = 1, prov SOL, source "none". */
struct mtok_util mtok_calib_lookup(const struct mtok_calib *c, const char *hw_id,
                                   enum mtok_op_kind kind, enum mtok_dtype dtype,
                                   enum mtok_bound bound, double size);

/* True when some entry matching hw_id has a size curve (so utilisations vary with op size and the
 * fast decode evaluator cannot fold them into constants). */
bool mtok_calib_sized(const struct mtok_calib *c, const char *hw_id);

/* Entries in the table. */
size_t mtok_calib_count(const struct mtok_calib *c);
/* Append a copy of every entry of src (NULL: none) to dst. */
void mtok_calib_merge(struct mtok_calib *dst, const struct mtok_calib *src);

/* ---- sourced defaults: data/sim/defaults.json ---- */

/* A KV-cache entry layout: `quant` dims in one format, RoPE dims in another, one scale of
 * scale_bytes per `tile` quantised elements (tile 0: none), the whole padded to `align` bytes. */
struct mtok_kv_format {
    char *name;
    enum mtok_dtype quant, rope;
    int tile, align;
    double scale_bytes;
};

/* Bytes of one entry with `quant_dims` quantised and `rope_dims` RoPE elements. */
double mtok_kv_entry_bytes(const struct mtok_kv_format *f, double quant_dims, double rope_dims);

/* Cache families: how the attention kinds store K/V. */
enum mtok_kv_family { MTOK_KVF_GQA, MTOK_KVF_MLA, MTOK_KVF_MLA_DSA, MTOK_KVF_V4, MTOK_KVF_COUNT };
/* The family of an attention kind, or -1 for kinds without a KV cache (GDN, Mamba-2, none). */
int mtok_kv_family_of(enum mtok_attn_kind k);

enum mtok_kvprec { MTOK_KVPREC_NATIVE, MTOK_KVPREC_BF16, MTOK_KVPREC_FP8, MTOK_KVPREC_COUNT };

struct mtok_sim_defaults {
    char *file; /* where they were read from */

    /* memory */
    double usable_fraction, workspace_bytes, act_bytes_per_token, prefill_tokens;
    size_t n_hw_usable;
    char **hw_usable_id;
    double *hw_usable_fraction;

    /* roofline: default utilisations live in `calib` (hardware "*", provenance DEFAULT) */
    struct mtok_calib *calib;
    double op_latency_s[MTOK_OP_KIND_COUNT];
    double alpha_up_s, alpha_out_s, overlap_tp, overlap_ep;

    /* precision rules: a GEMM whose weights are stored as dtype w reads act_for[w] activations and
     * runs compute_for[w] arithmetic */
    enum mtok_dtype act_for[MTOK_DTYPE_COUNT], compute_for[MTOK_DTYPE_COUNT];
    enum mtok_dtype attn_compute;

    /* KV cache */
    struct mtok_kv_format *formats;
    size_t n_formats;
    int kv_format[MTOK_KVF_COUNT][MTOK_KVPREC_COUNT]; /* index into formats */
    int kv_index_format[MTOK_KVF_COUNT];              /* indexer keys, -1 = none */
    enum mtok_dtype state_dtype, conv_dtype, tail_dtype;

    /* serving */
    double mtp_accept, moe_imbalance, scan_chunk;

    /* one line per group: "memory: SOURCE" etc., for the assumptions a result lists */
    char *src_memory, *src_efficiency, *src_latency, *src_network, *src_precision, *src_kv,
        *src_serving;
};

/* Load sim/defaults.json from data_dir (NULL = the embedded data/). Every problem becomes one
 * `FILE: FIELD: problem` line in diags; on any problem *out is NULL and MTOK_EINVAL (or MTOK_EIO)
 * is returned. */
enum mtok_status mtok_sim_defaults_load(struct mtok_sim_defaults **out, const char *data_dir,
                                        struct mtok_diags *diags);
/* The same from JSON text; `name` names the file in diagnostics. */
enum mtok_status mtok_sim_defaults_parse(struct mtok_sim_defaults **out, const char *name,
                                         const char *json, size_t len, struct mtok_diags *diags);
/* No-op on NULL. */
void mtok_sim_defaults_destroy(struct mtok_sim_defaults *d);
/* The usable-memory fraction for a hardware entry (its override, else the default). */
double mtok_sim_usable_fraction(const struct mtok_sim_defaults *d, const struct mtok_hw *hw);

/* ---- precision schemes ---- */

/* Weight classes, each stored in one format. */
enum mtok_wclass {
    MTOK_W_ATTN,   /* attention / token-mixer projections */
    MTOK_W_DENSE,  /* dense FFN layers */
    MTOK_W_SHARED, /* shared experts */
    MTOK_W_EXPERT, /* routed experts */
    MTOK_W_EMBED,  /* embeddings and LM head */
    MTOK_W_SMALL,  /* routers, norms, mHC mixers, biases, sinks: always BF16 */
    MTOK_W_CLASS_COUNT
};
const char *mtok_wclass_name(enum mtok_wclass c);

struct mtok_prec {
    enum mtok_dtype w[MTOK_W_CLASS_COUNT];
    enum mtok_kvprec kv;
    char label[48];    /* "native", "fp8", "mxfp4/fp8" */
    char kv_label[16]; /* "native", "bf16", "fp8" */
};

/* Resolve --wprec / --kvprec for a model. wprec: NULL or "native" (the checkpoint's formats); a
 * dtype name (every weight class but SMALL stored that way); or "E/D" (routed experts in E,
 * attention, dense and shared-expert weights in D, embeddings native). kvprec: NULL, "native",
 * "bf16" or "fp8". On a bad value returns MTOK_EINVAL with a message naming the flag. */
enum mtok_status mtok_prec_resolve(const struct mtok_model *m, const char *wprec,
                                   const char *kvprec, struct mtok_prec *out,
                                   struct mtok_error *err);

/* ---- model accounting ---- */

struct mtok_params {
    double total;  /* main model (MTP layers excluded), embeddings and LM head included */
    double active; /* per token: the input embedding counts one row (a lookup), the LM head fully */
    double active_with_embedding; /* the same counting the whole input embedding table */
    double mtp;           /* parameters of the MTP layers (their own; embedding/head are shared) */
    double by_class[MTOK_W_CLASS_COUNT];        /* main model */
    double active_by_class[MTOK_W_CLASS_COUNT]; /* per token */
    double mtp_by_class[MTOK_W_CLASS_COUNT];
};
/* Parameter counts from the model's layer list. Never fails. */
void mtok_sim_params(const struct mtok_model *m, struct mtok_params *out);

/* Weight bytes at a precision scheme (block scales included), main model plus, if with_mtp, the
 * MTP layers. */
double mtok_sim_weight_bytes(const struct mtok_model *m, const struct mtok_prec *p, bool with_mtp);

/* KV cache of one sequence at context ctx (tokens), all layers, no sharding, in bytes: compressed
 * and full caches, indexer keys, sliding windows, recurrent states and compressor tails. MTP
 * layers are included when with_mtp. */
double mtok_sim_kv_bytes(const struct mtok_model *m, const struct mtok_sim_defaults *d,
                         const struct mtok_prec *p, double ctx, bool with_mtp);
/* Long-context growth of that cache per token of context (bounded windows and states excluded). */
double mtok_sim_kv_slope(const struct mtok_model *m, const struct mtok_sim_defaults *d,
                         const struct mtok_prec *p);

/* FLOPs to decode one token at context ctx on one device (no parallelism, no MTP): the tech
 * report's "single-token inference FLOPs". Convention: matrix FLOPs (2 per multiply-add) of every
 * GEMM (LM head included, embedding lookup none), of the attention core over the positions it
 * reads, of the lightning indexer over the keys it scores, plus the arithmetic of recurrent-state
 * updates; softmax/exp and element-wise work are not counted. Each FLOP counts once whatever its
 * precision (FP4 and BF16 FLOPs count as one FP8-equivalent FLOP; on current hardware FP4 x FP8
 * runs at the FP8 rate). `split` (may be NULL) gets the parts. */
struct mtok_flops_split {
    double gemm, attention, indexer, scan;
    double fp4; /* the part (of any of the above) run in 4-bit arithmetic */
};
double mtok_sim_flops_per_token(const struct mtok_model *m, const struct mtok_sim_defaults *d,
                                const struct mtok_prec *p, double ctx,
                                struct mtok_flops_split *split);

/* ---- deployments and plans ---- */

/* One serving deployment. An instance has tp*dp*pp GPUs: attention is tensor-parallel over tp
 * and data-parallel over dp; MoE experts are split over ep (which divides tp*dp) and tensor-
 * parallel over the rest (tp*dp/ep); layers are split over pp stages. With prefill_gpus and
 * decode_gpus both > 0 the deployment is disaggregated: pools of that many GPUs, each made of
 * instances of this shape. */
struct mtok_deploy {
    int tp, ep, dp, pp;
    int mtp;           /* draft tokens per decode step (0 = off) */
    double mtp_accept; /* per-draft-token acceptance; <= 0 = the default */
    double isl, osl;   /* input / output tokens per request */
    double ctx;        /* decode context; <= 0 = isl + osl/2 (the mean over a request) */
    int prefill_gpus, decode_gpus;
    double cache_hit;  /* share of prompt tokens served from the prefix cache, [0, 1): a hit skips
                          prefill compute (the new tokens still attend to the cached prefix) */
    bool sol;          /* pure roofline: utilisation 1, no latency, no alpha */
};
/* tp = ep = dp = pp = 1, no MTP, isl = osl = 1024, aggregated. */
struct mtok_deploy mtok_deploy_default(void);
/* GPUs in one instance. */
int mtok_deploy_gpus(const struct mtok_deploy *dep);

struct mtok_plan;

/* Build a plan: the model's distinct layer classes (identical layers grouped with their count),
 * the per-device ops of each with their roofline times, memory per device, and a folded form of
 * the decode step that evaluates in well under a microsecond. calib NULL uses the defaults' table.
 * The plan keeps pointers to m, hw, d and calib (they must outlive it). Fails with MTOK_EINVAL or
 * MTOK_EUNSUPPORTED and a one-line message naming the field (e.g. tp*dp not divisible by ep, or a
 * group larger than the hardware's scale-up domain with no scale-out link). */
enum mtok_status mtok_plan_create(struct mtok_plan **out, const struct mtok_model *m,
                                  const struct mtok_hw *hw, const struct mtok_sim_defaults *d,
                                  const struct mtok_calib *calib, const struct mtok_prec *prec,
                                  const struct mtok_deploy *dep, struct mtok_error *err);
/* No-op on NULL. */
void mtok_plan_destroy(struct mtok_plan *p);

const struct mtok_deploy *mtok_plan_deploy(const struct mtok_plan *p);

/* Seconds for one decode step of `batch` sequences (the instance's whole batch, across its DP
 * ranks) at context ctx: the main model over 1+mtp tokens per sequence plus mtp draft passes of
 * the MTP layer. The batch is padded up to a multiple of dp x pp (every rank runs as many
 * sequences as the busiest). Reentrant; the fast path unless the calibration is size-dependent. */
double mtok_plan_decode_step(const struct mtok_plan *p, double batch, double ctx);

/* The same evaluated op by op through the shared constructors (the reference the fast path is
 * tested against). */
double mtok_plan_decode_step_slow(const struct mtok_plan *p, double batch, double ctx);

/* Seconds for one prefill forward pass of `requests` requests (instance-wide) of `isl` new tokens
 * each, after `prior` cached tokens. */
double mtok_plan_prefill(const struct mtok_plan *p, double requests, double isl, double prior);

/* One op of a step with its roofline. */
struct mtok_op_cost {
    struct mtok_op op;   /* per device, for one layer of its class */
    const char *layer;   /* layer class ("v4-csa/moe", "head", "mtp:v4-swa/moe") */
    double count;        /* layers of this class in the step (per pipeline pass) */
    double t_s;          /* per layer: max(compute, memory) + latency, or the collective's time */
    double t_compute_s, t_memory_s, t_latency_s;
    enum mtok_bound bound;
    enum mtok_prov prov;        /* of the utilisation of the bounding roof */
    enum mtok_dtype peak_dtype; /* the arithmetic whose peak was used (after any fallback) */
    bool overlapped;            /* a collective that may hide behind compute */
};
typedef void (*mtok_op_visit_fn)(void *arg, const struct mtok_op_cost *c);
/* Call fn for every op of a decode step (decode = true) or a prefill pass (`batch` requests of isl
 * tokens, decode = false). */
void mtok_plan_visit(const struct mtok_plan *p, bool decode, double batch, double ctx_or_isl,
                     mtok_op_visit_fn fn, void *arg);

/* The roofline of one op on hardware hw, exactly as a plan costs each of its ops (peaks with their
 * fallbacks, utilisations from calib, NULL = the defaults' table, or none with sol, plus the op
 * kind's latency); layer NULL, count 1. */
void mtok_sim_op_cost(const struct mtok_op *op, const struct mtok_hw *hw,
                      const struct mtok_sim_defaults *d, const struct mtok_calib *calib, bool sol,
                      struct mtok_op_cost *out);

/* The op as the simulator's precision rules describe it: the same shape, FLOPs and bytes, with
 * the arithmetic (cdtype, which selects the peak) the rules assign to its formats: GEMMs
 * compute_for[wdtype], attention attention_compute, the indexer its key format (wdtype). A
 * measured kernel's op goes through this before it is predicted or calibrates the simulator, so
 * that its utilisation is relative to the peak the simulator uses for the same op of a model. */
struct mtok_op mtok_sim_op_canonical(const struct mtok_sim_defaults *d, const struct mtok_op *op);

/* Memory per device. */
struct mtok_mem {
    double capacity, usable;  /* bytes per device */
    double weights;           /* weights per device */
    double workspace, activations;
    double kv_per_seq;        /* per sequence, whole model, unsharded, at the sizing context */
    double kv_per_seq_device; /* what one sequence adds to one device */
    double ctx;               /* the sizing context */
    double max_batch;         /* sequences per instance */
    bool fits;                /* weights fit and at least one sequence does */
};
/* Memory at sizing context ctx (<= 0: isl + osl, the longest a request gets). */
void mtok_plan_memory(const struct mtok_plan *p, double ctx, struct mtok_mem *out);

/* The weakest provenance among the plan's ops. */
enum mtok_prov mtok_plan_prov(const struct mtok_plan *p);

/* Human-readable notes: precision fallbacks, sharding assumptions. Lines live with the plan. */
size_t mtok_plan_note_count(const struct mtok_plan *p);
const char *mtok_plan_note(const struct mtok_plan *p, size_t i);

/* Distinct layer classes and their counts (main model, then MTP). */
size_t mtok_plan_class_count(const struct mtok_plan *p);
const char *mtok_plan_class_name(const struct mtok_plan *p, size_t i, int *count);
/* The KV cache (or recurrent state) one layer of class i holds for one sequence at context ctx,
 * unsharded, in bytes, and its long-context growth per token (0 for bounded caches). */
void mtok_plan_class_kv(const struct mtok_plan *p, size_t i, double ctx, double *bytes,
                        double *per_token);

/* ---- serving ---- */

struct mtok_serve_point {
    double batch, ctx;
    bool fits;          /* batch <= max_batch */
    double max_batch;
    double decode_step_s;        /* one decode step (main model + MTP drafts) */
    double tokens_per_step;      /* per sequence: 1 + accepted drafts */
    double prefill_s_per_request;/* instance-seconds of prefill per request, amortised */
    double ttft_s, tpot_s;       /* tpot includes chunked-prefill interference when aggregated */
    double tok_s_per_user;       /* 1 / tpot */
    double tok_s_per_gpu;        /* (input + output) tokens / s / GPU over all GPUs */
    double input_tok_s_per_gpu;  /* input tokens / s per prefill GPU (aggregated: per GPU) */
    double output_tok_s_per_gpu; /* output tokens / s per decode GPU (aggregated: per GPU) */
    bool prefill_bound;          /* disaggregated: the prefill pool limits the request rate */
    double prefill_time_share;   /* aggregated: share of GPU time spent prefilling (0 if disagg) */
    enum mtok_prov prov;
};

/* One operating point at `batch` concurrent requests per instance (the decode batch). */
void mtok_serve_point(const struct mtok_plan *p, double batch, struct mtok_serve_point *out);

/* Concurrency sweep 1, 2, 4, ... up to max_batch (and max_batch itself): writes at most cap
 * points into pts, keeps only the Pareto front of (tok_s_per_user, tok_s_per_gpu), sorted by
 * rising tok_s_per_user, and returns how many. */
size_t mtok_serve_pareto(const struct mtok_plan *p, struct mtok_serve_point *pts, size_t cap);

/* The fitting point with the highest tok_s_per_gpu whose tok_s_per_user >= tps_user (the batch is
 * searched exactly). MTOK_ENOTFOUND when even batch 1 is slower (out then holds batch 1). */
enum mtok_status mtok_serve_for_tps_user(const struct mtok_plan *p, double tps_user,
                                         struct mtok_serve_point *out);

/* ---- cells: a sensible deployment of one model on one hardware target ---- */

/* How a cell is served and read (see mtok_cell_eval). */
struct mtok_cell_opts {
    double isl, osl;  /* tokens per request */
    double tps_user;  /* interactivity target, tok/s/user (> 0) */
    int max_gpus;     /* largest instance tried (>= 1) */
    int sizes;        /* instance sizes tried from the smallest that fits: 2 = n and 2n (>= 1) */
    double cache_hit; /* prefix-cache share of prompt tokens, [0, 1) */
    int mtp;          /* draft tokens per step (0 = off; models without MTP layers need 0) */
};

#define MTOK_CELL_MAX_CAND  16
#define MTOK_CELL_MAX_FRONT 256

/* One parallelism option of a cell. */
struct mtok_cell_candidate {
    struct mtok_deploy dep;
    char layout[24];      /* "TP8", "DEP16", "TEP8", "TP4xPP2" */
    bool built;           /* mtok_plan_create accepted it (else `why`) */
    bool fits;            /* weights + one sequence fit (else `why`) */
    char why[1100];
    double max_batch, weights_per_gpu, usable_per_gpu;
    enum mtok_prov prov;
    bool target_met;
    struct mtok_serve_point at_target; /* the best point meeting the target (when target_met) */
    struct mtok_serve_point fastest;   /* batch 1 */
};

/* A point of the cell's Pareto front and the option it comes from. */
struct mtok_cell_point {
    struct mtok_serve_point pt;
    int candidate;
};

struct mtok_cell {
    int min_gpus; /* the smallest instance that fits; 0 = nothing fits up to max_gpus */
    char reason[1300]; /* when min_gpus is 0: why the largest size tried does not fit */
    struct mtok_cell_candidate cand[MTOK_CELL_MAX_CAND];
    size_t n_cand;
    struct mtok_cell_point front[MTOK_CELL_MAX_FRONT]; /* upper envelope, rising tok/s/user */
    size_t n_front;
    int pick;                   /* the option read at the target; -1 when nothing fits */
    struct mtok_serve_point pt; /* the point read: at the target, or the fastest when unmet */
    bool target_met;
};

/* Serve model m on hw the way a buyer would and read it at an interactivity target:
 *   1. the smallest power-of-two instance n <= max_gpus with a layout that holds the weights and
 *      one sequence of isl + osl tokens;
 *   2. parallelism options at n, 2n, ... (`sizes` sizes): TP n; for MoE models DEP n (dp n, ep n)
 *      and TEP n (tp n, ep n); for dense models TP n/2 x PP 2 (n > 2). Options the plan refuses
 *      (tp not dividing the heads, a group beyond the links) are kept with `why`;
 *   3. each option's concurrency sweep (mtok_serve_pareto); the cell's front is their envelope;
 *   4. the option whose best point meeting tps_user has the most tok/s/GPU (so the lowest cost
 *      per token at that speed on this hardware); when none meets it, the fastest point.
 * MTOK_EINVAL for bad options; a cell where nothing fits is MTOK_OK with min_gpus 0. Reentrant. */
enum mtok_status mtok_cell_eval(const struct mtok_model *m, const struct mtok_hw *hw,
                                const struct mtok_sim_defaults *d, const struct mtok_calib *calib,
                                const struct mtok_prec *prec, const struct mtok_cell_opts *o,
                                struct mtok_cell *out, struct mtok_error *err);

/* ---- sweeps ---- */

/* A suite file (data/suites/NAME.json, format in data/SCHEMA.md): lists of models, hardware,
 * deployments, precisions, batches, lengths and MTP settings whose product is the set of points. */
struct mtok_suite;

/* Parse and check a suite against the catalog (model and hardware ids must exist). Diagnostics are
 * `FILE: FIELD: problem` lines; on any problem *out is NULL and MTOK_EINVAL is returned. */
enum mtok_status mtok_suite_parse(struct mtok_suite **out, const char *name, const char *json,
                                  size_t len, const struct mtok_catalog *cat,
                                  struct mtok_diags *diags);
/* Resolve NAME (a file in suites/ of data_dir or the embedded data/) or a path to a file. */
enum mtok_status mtok_suite_load(struct mtok_suite **out, const char *name_or_path,
                                 const char *data_dir, const struct mtok_catalog *cat,
                                 struct mtok_diags *diags);
void mtok_suite_destroy(struct mtok_suite *s);
const char *mtok_suite_name(const struct mtok_suite *s);
/* Points the suite expands to. */
size_t mtok_suite_points(const struct mtok_suite *s);

/* One evaluated point. Strings are owned by the sweep result. */
struct mtok_sweep_row {
    const char *model, *hw;
    char key[160];         /* unique: every input of the point */
    char deployment[320];  /* the inputs as a JSON object */
    double params_total, params_active, weight_bytes, kv_bytes_per_token, flops_per_token;
    struct mtok_serve_point pt;
};

struct mtok_sweep;
/* Evaluate every point with `threads` threads (>= 1). progress (may be NULL) is called from one
 * thread at a time with points done so far. A deployment that cannot be built on a hardware entry
 * (for example a group larger than its scale-up domain with no scale-out link) gives a row with
 * fits = false and zero times, not a failure. Fails only on allocation (never) or bad arguments. */
enum mtok_status mtok_sweep_run(struct mtok_sweep **out, const struct mtok_suite *s,
                                const struct mtok_catalog *cat, const struct mtok_sim_defaults *d,
                                const struct mtok_calib *calib, int threads,
                                void (*progress)(void *arg, size_t done, size_t total), void *arg,
                                struct mtok_error *err);
void mtok_sweep_destroy(struct mtok_sweep *sw);
size_t mtok_sweep_count(const struct mtok_sweep *sw);
const struct mtok_sweep_row *mtok_sweep_row_at(const struct mtok_sweep *sw, size_t i);

#endif
