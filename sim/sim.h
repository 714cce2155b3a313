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

#endif
