/* Op cost descriptions: the formulas shared by the simulator and the kernels (see sim.h). */
#include "sim/sim.h"

static double wbytes(enum mtok_dtype dt, double elems) { return elems * mtok_dtype_weight_bits(dt) / 8; }
static double ebytes(enum mtok_dtype dt, double elems) { return elems * mtok_dtype_bits(dt) / 8; }

double mtok_op_bytes(const struct mtok_op *op) { return op->w_bytes + op->a_bytes + op->kv_bytes; }

struct mtok_op mtok_op_gemm(const char *name, double m, double n, double k, enum mtok_dtype w,
                            enum mtok_dtype a, enum mtok_dtype c)
{
    return (struct mtok_op){
        .kind = MTOK_OP_GEMM, .name = name, .wdtype = w, .adtype = a, .cdtype = c,
        .m = m, .n = n, .k = k, .groups = 1,
        .flops = 2 * m * n * k,
        .w_bytes = wbytes(w, n * k),
        .a_bytes = ebytes(a, m * k) + ebytes(a, m * n),
    };
}

struct mtok_op mtok_op_grouped_gemm(const char *name, double rows, double groups, double n,
                                    double k, enum mtok_dtype w, enum mtok_dtype a,
                                    enum mtok_dtype c)
{
    return (struct mtok_op){
        .kind = MTOK_OP_GROUPED_GEMM, .name = name, .wdtype = w, .adtype = a, .cdtype = c,
        .m = rows, .n = n, .k = k, .groups = groups,
        .flops = 2 * rows * n * k,
        .w_bytes = wbytes(w, groups * n * k),
        .a_bytes = ebytes(a, rows * k) + ebytes(a, rows * n),
    };
}

struct mtok_op mtok_op_attention(const char *name, const struct mtok_attn_shape *s,
                                 enum mtok_dtype a, enum mtok_dtype c)
{
    double qh = s->batch * s->q_len * s->heads;
    return (struct mtok_op){
        .kind = MTOK_OP_ATTENTION, .name = name, .wdtype = a, .adtype = a, .cdtype = c,
        .m = s->batch * s->q_len, .n = s->kv_len, .k = s->dqk, .groups = s->heads,
        .flops = 2 * qh * s->kv_len * (s->dqk + s->dv),
        .other = 5 * qh * s->kv_len,
        .a_bytes = ebytes(a, qh * s->dqk) + ebytes(a, qh * s->dv),
        .kv_bytes = s->batch * s->kv_heads * (s->kv_read + s->kv_write) * s->kv_entry_bytes,
    };
}

struct mtok_op mtok_op_indexer(const char *name, double batch, double q, double keys, double heads,
                               double dim, double key_bytes, double topk, enum mtok_dtype a,
                               enum mtok_dtype c)
{
    double scores = batch * q * keys;
    return (struct mtok_op){
        .kind = MTOK_OP_INDEXER, .name = name, .wdtype = a, .adtype = a, .cdtype = c,
        .m = batch * q, .n = keys, .k = dim, .groups = heads,
        .flops = 2 * scores * heads * dim,
        /* ReLU + head-weighted sum per score, then a top-k selection pass over the scores */
        .other = scores * (2 * heads + (topk > 0 ? 2 : 0)),
        .a_bytes = ebytes(a, batch * q * heads * dim) + 4 * batch * q * topk,
        .kv_bytes = batch * keys * key_bytes,
    };
}

struct mtok_op mtok_op_elementwise(const char *name, double elems, double ops_per_elem,
                                   double bytes_in, double bytes_out)
{
    return (struct mtok_op){
        .kind = MTOK_OP_ELEMENTWISE, .name = name, .wdtype = MTOK_F32, .adtype = MTOK_F32,
        .cdtype = MTOK_F32, .m = elems, .n = 1, .k = 1, .groups = 1,
        .other = elems * ops_per_elem,
        .a_bytes = elems * (bytes_in + bytes_out),
    };
}

struct mtok_op mtok_op_move(const char *name, double bytes)
{
    return (struct mtok_op){
        .kind = MTOK_OP_MOVE, .name = name, .wdtype = MTOK_BF16, .adtype = MTOK_BF16,
        .cdtype = MTOK_BF16, .m = bytes, .n = 1, .k = 1, .groups = 1, .a_bytes = bytes,
    };
}

struct mtok_op mtok_op_scan(const char *name, double flops, double state_bytes, double act_bytes)
{
    return (struct mtok_op){
        .kind = MTOK_OP_SCAN, .name = name, .wdtype = MTOK_F32, .adtype = MTOK_BF16,
        .cdtype = MTOK_F32, .m = 1, .n = 1, .k = 1, .groups = 1,
        .other = flops, .a_bytes = act_bytes, .kv_bytes = state_bytes,
    };
}

struct mtok_op mtok_op_collective(const char *name, enum mtok_collective kind, double bytes,
                                  int group)
{
    double g = group > 1 ? group : 1, f;
    switch (kind) {
    case MTOK_COLL_ALLREDUCE: f = 2 * (g - 1) / g; break;
    case MTOK_COLL_SENDRECV: f = g > 1 ? 1 : 0; break;
    default: f = (g - 1) / g; break;
    }
    return (struct mtok_op){
        .kind = MTOK_OP_COLLECTIVE, .name = name, .wdtype = MTOK_BF16, .adtype = MTOK_BF16,
        .cdtype = MTOK_BF16, .m = bytes, .n = 1, .k = 1, .groups = 1,
        .comm_bytes = bytes * f, .coll = kind, .group_size = group,
    };
}

const char *mtok_op_kind_name(enum mtok_op_kind k)
{
    static const char *const names[MTOK_OP_KIND_COUNT] = {
        "gemm", "grouped_gemm", "attention", "indexer", "scan", "elementwise", "move", "collective"};
    return (unsigned)k < MTOK_OP_KIND_COUNT ? names[k] : "?";
}
