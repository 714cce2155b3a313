/* Private to sim/: the layer classes and the op emitter shared by the accounting (graph.c), the
 * plans (plan.c) and the serving model (serve.c). */
#ifndef MTOK_SIM_INTERNAL_H
#define MTOK_SIM_INTERNAL_H

#include "sim/sim.h"

/* A group of identical layers: same token mixer, FFN kind and compression ratio. Hash-routed and
 * learned-router MoE layers cost the same (the hash router still computes gate scores), so they
 * share a class. */
struct sim_class {
    enum mtok_attn_kind attn;
    enum mtok_ffn_kind ffn;
    int ratio;
    bool mtp;
    int count;
    char name[40];
};

/* The classes of a model, main layers first then MTP layers. Returns the count; *out is malloc'd. */
size_t sim_classes(const struct mtok_model *m, struct sim_class **out);

/* How a deployment shards one layer. All ratios are per device. */
struct sim_shard {
    double tp, dp, ep, etp, pp, world;
};

/* One forward pass, instance-wide. `B` sequences, `q` new tokens each. Decode passes carry the
 * per-class context features x[] (see sim_features); prefill passes carry `prior`, the tokens
 * already cached. `frac` is the fraction of routed experts touched by the pass. */
struct sim_step {
    bool decode;
    double B, q, prior;
    double x[2];
    double frac;
};

/* Context features of a class for a decode step at context ctx: the positions its attention and
 * indexer read (they enter every cost linearly, which is what lets plans fold costs). */
void sim_features(const struct mtok_model *m, const struct sim_class *c, double ctx, double x[2]);

/* Expected fraction of `experts` experts touched when `tokens` tokens each pick `topk` distinct
 * ones uniformly. */
double sim_expert_frac(double experts, double topk, double tokens);

/* Where an emitted op goes. flags: SIM_EP for collectives that may overlap compute (MoE
 * dispatch/combine), SIM_TP for the rest. */
enum { SIM_TP = 1, SIM_EP = 2 };
struct sim_sink {
    void (*op)(struct sim_sink *k, const struct mtok_op *op, int flags);
};

struct sim_emit {
    const struct mtok_model *m;
    const struct mtok_sim_defaults *d;
    const struct mtok_prec *prec;
    struct sim_shard sh;
    int kv_format[MTOK_KVF_COUNT]; /* resolved format index per family */
};

/* Emit the per-device ops of one layer of class c for step s. The ops, their number and order
 * depend only on the model, precision and sharding, never on s (plans rely on this). */
void sim_emit_layer(const struct sim_emit *e, const struct sim_class *c, const struct sim_step *s,
                    struct sim_sink *k);
/* Embedding, final norm, LM head and sampling of a pass; `mtp_head` for an MTP draft pass (adds
 * the MTP layer's input projection). */
void sim_emit_head(const struct sim_emit *e, const struct sim_step *s, bool mtp_head,
                   struct sim_sink *k);

/* Parameter tensors of one layer of class c (or the embedding/head when c is NULL): calls fn with
 * the element count, its class, the fraction active per token and the fraction one device holds. */
typedef void (*sim_weight_fn)(void *arg, double elems, enum mtok_wclass wc, double active,
                              double dev_frac);
void sim_layer_weights(const struct mtok_model *m, const struct sim_class *c,
                       const struct sim_shard *sh, sim_weight_fn fn, void *arg);

/* KV bytes of one sequence at context ctx for one layer of class c (unsharded), and the fraction
 * of it one device holds under the sharding. */
double sim_layer_kv(const struct sim_emit *e, const struct sim_class *c, double ctx);
double sim_layer_kv_slope(const struct sim_emit *e, const struct sim_class *c);
double sim_layer_kv_dev_frac(const struct mtok_model *m, const struct sim_class *c,
                             const struct sim_shard *sh);

/* Initialise an emitter for one device of a deployment (sh NULL = a single device). */
void sim_emit_init(struct sim_emit *e, const struct mtok_model *m,
                   const struct mtok_sim_defaults *d, const struct mtok_prec *prec,
                   const struct sim_shard *sh);

/* Mean over the q tokens after `prior` of min((prior + i) / scale, cap), i = 1..q. */
double sim_mean_min(double prior, double q, double scale, double cap);

/* Plan internals the serving model needs: the prefill chunk budget, and the seconds to move the KV
 * cache of `tokens` prompt tokens from a prefill to a decode instance (scale-out link, all of the
 * instance's devices sending in parallel). */
double sim_plan_prefill_tokens(const struct mtok_plan *p);
double sim_plan_kv_transfer_s(const struct mtok_plan *p, double tokens);
void sim_plan_prefill_cost(const struct mtok_plan *p, double *per_request, double *ttft);
/* The batch-independent parts of a serving point, computed when the plan was built: memory at the
 * default sizing context, prefill instance-seconds per request and TTFT. */
void sim_plan_cached(const struct mtok_plan *p, struct mtok_mem *mem, double *pf_per_request,
                     double *pf_ttft);

#endif
