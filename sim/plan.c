/* Plans: a model deployed on hardware. Roofline per op, alpha-beta collectives, memory per device,
 * and the folded decode step.
 *
 * Folding. Within a decode step every op quantity (FLOPs, bytes, message size) of a layer class is
 * an affine function of the batch B, of B times each of the class's two context features x0, x1
 * (the positions its attention and indexer read), and of the fraction of experts touched f:
 *     q = q0 + B (qB + qX0 x0 + qX1 x1) + qF f.
 * With size-independent utilisations the compute and memory times are the same affine forms, so a
 * plan stores five coefficients per op for each roof and evaluates a decode step as a few dozen
 * fused multiply-adds and maxima per layer class. The coefficients are read off the shared op
 * constructors at five points (see fold_class) and checked at a sixth, so the fast path cannot
 * drift from the op descriptions: the tests compare it against the op-by-op evaluation. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/internal.h"

#define NCOEF 5 /* const, B, B*x0, B*x1, f */

struct fold {
    double c[NCOEF], m[NCOEF], lat;
};

struct pclass {
    struct sim_class c; /* for head passes: attn/ffn NONE */
    bool head, mtp_head;
    double count; /* times per decode step */
    double q;     /* tokens per sequence in its pass */
    bool mtp_pass;
    size_t op0, op1; /* folded ops */
    double tp_a, tp_b, ep_a, ep_b;
};

struct mtok_plan {
    const struct mtok_model *m;
    const struct mtok_hw *hw;
    const struct mtok_sim_defaults *d;
    const struct mtok_calib *calib;
    struct mtok_prec prec;
    struct mtok_deploy dep;
    struct sim_emit e;
    int gpus;
    double peak[MTOK_PEAK_COUNT]; /* after fallbacks are known */
    double vec_peak;
    bool fast;
    enum mtok_prov prov;

    struct sim_class *classes; /* model classes */
    size_t n_classes;
    struct pclass *pc; /* decode passes: main classes, head, then MTP classes and MTP head */
    size_t n_pc;
    struct fold *fold;
    size_t n_fold;

    char **notes;
    size_t n_notes;

    /* batch-independent parts of a serving point, computed once */
    struct mtok_mem mem;
    double pf_per_request, pf_ttft;
};

struct mtok_deploy mtok_deploy_default(void)
{
    return (struct mtok_deploy){.tp = 1, .ep = 1, .dp = 1, .pp = 1, .isl = 1024, .osl = 1024};
}

int mtok_deploy_gpus(const struct mtok_deploy *dep) { return dep->tp * dep->dp * dep->pp; }

const struct mtok_deploy *mtok_plan_deploy(const struct mtok_plan *p) { return &p->dep; }
enum mtok_prov mtok_plan_prov(const struct mtok_plan *p) { return p->prov; }
size_t mtok_plan_note_count(const struct mtok_plan *p) { return p->n_notes; }
const char *mtok_plan_note(const struct mtok_plan *p, size_t i)
{
    return i < p->n_notes ? p->notes[i] : NULL;
}
size_t mtok_plan_class_count(const struct mtok_plan *p) { return p->n_classes; }
const char *mtok_plan_class_name(const struct mtok_plan *p, size_t i, int *count)
{
    if (i >= p->n_classes)
        return NULL;
    if (count)
        *count = p->classes[i].count;
    return p->classes[i].name;
}

static void note(struct mtok_plan *p, const char *fmt, ...) MTOK_PRINTF(2, 3);
static void note(struct mtok_plan *p, const char *fmt, ...)
{
    struct mtok_buf b = {0};
    va_list ap;
    va_start(ap, fmt);
    mtok_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    for (size_t i = 0; i < p->n_notes; i++)
        if (strcmp(p->notes[i], b.data) == 0) {
            mtok_buf_free(&b);
            return;
        }
    p->notes = mtok_xrealloc(p->notes, (p->n_notes + 1) * sizeof *p->notes);
    p->notes[p->n_notes++] = mtok_buf_steal(&b);
}

/* ---- peaks ---- */

static int peak_index(enum mtok_dtype dt)
{
    switch (dt) {
    case MTOK_F64: return MTOK_PEAK_FP64;
    case MTOK_F32: return MTOK_PEAK_FP32;
    case MTOK_BF16:
    case MTOK_F16: return MTOK_PEAK_BF16;
    case MTOK_FP8: return MTOK_PEAK_FP8;
    case MTOK_MXFP4:
    case MTOK_NVFP4:
    case MTOK_INT4: return MTOK_PEAK_FP4;
    case MTOK_INT8: return MTOK_PEAK_INT8;
    default: return MTOK_PEAK_BF16;
    }
}

/* The peak for arithmetic in dtype dt, falling back to the next wider format the hardware has a
 * figure for (fp4 -> fp8 -> bf16 -> fp32; int8 -> bf16). *used gets the format whose peak it is. */
static double peak_for(struct mtok_plan *p, enum mtok_dtype dt, enum mtok_dtype *used)
{
    static const int chain_fp[] = {MTOK_PEAK_FP4, MTOK_PEAK_FP8, MTOK_PEAK_BF16, MTOK_PEAK_FP32,
                                   MTOK_PEAK_FP64};
    static const enum mtok_dtype chain_dt[] = {MTOK_NVFP4, MTOK_FP8, MTOK_BF16, MTOK_F32, MTOK_F64};
    int want = peak_index(dt);
    *used = dt;
    if (p->hw->peak[want] > 0)
        return p->hw->peak[want];
    size_t start = 0;
    if (want == MTOK_PEAK_INT8)
        start = 2;
    else
        while (start < 5 && chain_fp[start] != want)
            start++;
    for (size_t i = start; i < 5; i++)
        if (p->hw->peak[chain_fp[i]] > 0) {
            *used = chain_dt[i];
            note(p, "%s has no %s peak: %s arithmetic runs at its %s peak", p->hw->id,
                 mtok_peak_name((enum mtok_peak)want), mtok_dtype_name(dt),
                 mtok_peak_name((enum mtok_peak)chain_fp[i]));
            return p->hw->peak[chain_fp[i]];
        }
    for (int i = MTOK_PEAK_COUNT - 1; i >= 0; i--) /* narrower than asked: last resort */
        if (p->hw->peak[i] > 0) {
            note(p, "%s has no %s or wider peak: %s arithmetic runs at its %s peak", p->hw->id,
                 mtok_peak_name((enum mtok_peak)want), mtok_dtype_name(dt),
                 mtok_peak_name((enum mtok_peak)i));
            return p->hw->peak[i];
        }
    return 1e12;
}

/* ---- roofline of one op ---- */

struct opt {
    double inv_c, inv_v, inv_m; /* seconds per FLOP (matrix, other) and per byte, utilisation in */
    double lat;
    enum mtok_prov prov_c, prov_m; /* of the compute and the memory utilisation */
    enum mtok_dtype used;
};

static struct opt op_rates(struct mtok_plan *p, const struct mtok_op *op, double csize,
                           double msize)
{
    struct opt r = {0};
    double pk = peak_for(p, op->cdtype, &r.used);
    if (p->dep.sol) {
        r.inv_c = 1 / pk, r.inv_v = 1 / p->vec_peak, r.inv_m = 1 / p->hw->mem_bw;
        r.prov_c = r.prov_m = MTOK_PROV_SOL;
        return r;
    }
    enum mtok_dtype key = mtok_calib_dtype(op);
    struct mtok_util uc =
        mtok_calib_lookup(p->calib, p->hw->id, op->kind, key, MTOK_BOUND_COMPUTE, csize);
    struct mtok_util um =
        mtok_calib_lookup(p->calib, p->hw->id, op->kind, key, MTOK_BOUND_MEMORY, msize);
    r.inv_c = 1 / (pk * uc.u);
    r.inv_v = 1 / (p->vec_peak * uc.u);
    r.inv_m = 1 / (p->hw->mem_bw * um.u);
    r.lat = p->d->op_latency_s[op->kind];
    r.prov_c = uc.prov, r.prov_m = um.prov;
    return r;
}

/* The provenance of an op's time is that of the roof that bounds it: the other roof's
 * utilisation does not enter the time. */
static enum mtok_prov bound_prov(const struct opt *r, bool compute)
{
    return compute ? r->prov_c : r->prov_m;
}

/* A collective costs alpha + kappa * S for a message of S bytes (op->m): a flat ring or pairwise
 * exchange inside the scale-up domain, hierarchical when the group spans several domains. */
static void coll_cost(struct mtok_plan *p, const struct mtok_op *op, double *alpha, double *kappa,
                      enum mtok_prov *prov)
{
    const struct mtok_hw *hw = p->hw;
    double g = op->group_size, D = hw->scale_up_domain > 1 ? hw->scale_up_domain : 1;
    double u = 1;
    *prov = MTOK_PROV_SOL;
    if (!p->dep.sol) {
        struct mtok_util un = mtok_calib_lookup(p->calib, hw->id, MTOK_OP_COLLECTIVE, MTOK_BF16,
                                                MTOK_BOUND_NETWORK, op->m);
        u = un.u;
        *prov = un.prov;
    }
    double up = hw->scale_up_bw * u, out = hw->scale_out_bw * u;
    double a_up = p->dep.sol ? 0 : p->d->alpha_up_s, a_out = p->dep.sol ? 0 : p->d->alpha_out_s;
    bool crosses = op->coll == MTOK_COLL_SENDRECV ? p->gpus > D : g > D;
    if (!crosses) {
        *alpha = a_up;
        /* the per-byte factor of the shared formula (ring all-reduce 2(g-1)/g, ...) */
        *kappa = mtok_op_collective(op->name, op->coll, 1, op->group_size).comm_bytes / up;
        return;
    }
    double n = ceil(g / D);
    switch (op->coll) {
    case MTOK_COLL_ALLREDUCE:
        *alpha = a_up + a_out;
        *kappa = 2 * (D - 1) / D / up + 2 * (n - 1) / n / D / out;
        return;
    case MTOK_COLL_ALLGATHER:
    case MTOK_COLL_REDUCESCATTER:
        *alpha = a_up + a_out;
        *kappa = (D - 1) / D / up + (n - 1) / n / D / out;
        return;
    case MTOK_COLL_ALLTOALL: {
        double k_up = (D - 1) / g / up, k_out = (g - D) / g / out;
        *alpha = a_out;
        *kappa = k_up > k_out ? k_up : k_out;
        return;
    }
    case MTOK_COLL_SENDRECV:
        *alpha = a_out;
        *kappa = 1 / out;
        return;
    }
}

/* Fill a full cost record for one op (slow path, size-dependent utilisations). */
static void op_cost(struct mtok_plan *p, const struct mtok_op *op, struct mtok_op_cost *c)
{
    memset(c, 0, sizeof *c);
    c->op = *op;
    if (op->kind == MTOK_OP_COLLECTIVE) {
        double a, k;
        coll_cost(p, op, &a, &k, &c->prov);
        c->t_s = a + k * op->m;
        c->t_latency_s = a;
        c->bound = MTOK_BOUND_NETWORK;
        c->peak_dtype = op->cdtype;
        return;
    }
    double bytes = mtok_op_bytes(op);
    struct opt r = op_rates(p, op, op->flops + op->other, bytes);
    c->t_compute_s = op->flops * r.inv_c + op->other * r.inv_v;
    c->t_memory_s = bytes * r.inv_m;
    c->t_latency_s = r.lat;
    c->bound = c->t_compute_s > c->t_memory_s ? MTOK_BOUND_COMPUTE : MTOK_BOUND_MEMORY;
    c->t_s = (c->t_compute_s > c->t_memory_s ? c->t_compute_s : c->t_memory_s) + r.lat;
    c->prov = bound_prov(&r, c->bound == MTOK_BOUND_COMPUTE);
    c->peak_dtype = r.used;
}

void mtok_sim_op_cost(const struct mtok_op *op, const struct mtok_hw *hw,
                      const struct mtok_sim_defaults *d, const struct mtok_calib *calib, bool sol,
                      struct mtok_op_cost *out)
{
    /* a plan of no model: what op_cost reads (hardware, defaults, calibration, sol, the vector
     * peak) and somewhere for peak_for's notes, which are dropped */
    struct mtok_plan p;
    memset(&p, 0, sizeof p);
    p.hw = hw, p.d = d, p.calib = calib ? calib : d->calib;
    p.dep = mtok_deploy_default();
    p.dep.sol = sol;
    p.vec_peak = hw->peak[MTOK_PEAK_FP32] > 0 ? hw->peak[MTOK_PEAK_FP32] : hw->peak[MTOK_PEAK_BF16];
    op_cost(&p, op, out);
    for (size_t i = 0; i < p.n_notes; i++)
        free(p.notes[i]);
    free(p.notes);
}

struct mtok_op mtok_sim_op_canonical(const struct mtok_sim_defaults *d, const struct mtok_op *op)
{
    struct mtok_op c = *op;
    switch (op->kind) {
    case MTOK_OP_GEMM:
    case MTOK_OP_GROUPED_GEMM:
        if ((unsigned)op->wdtype < MTOK_DTYPE_COUNT)
            c.cdtype = d->compute_for[op->wdtype];
        break;
    case MTOK_OP_ATTENTION: c.cdtype = d->attn_compute; break;
    case MTOK_OP_INDEXER: c.cdtype = op->wdtype; break;
    default: break;
    }
    return c;
}

/* ---- collecting emitted ops ---- */

struct capture {
    struct sim_sink k;
    struct mtok_op *ops;
    int *flags;
    size_t n, cap;
};

static void capture_op(struct sim_sink *k, const struct mtok_op *op, int flags)
{
    struct capture *c = (struct capture *)k;
    if (c->n == c->cap) {
        c->cap = c->cap ? 2 * c->cap : 64;
        c->ops = mtok_xrealloc(c->ops, c->cap * sizeof *c->ops);
        c->flags = mtok_xrealloc(c->flags, c->cap * sizeof *c->flags);
    }
    c->ops[c->n] = *op;
    c->flags[c->n++] = flags;
}

static void capture_free(struct capture *c)
{
    free(c->ops);
    free(c->flags);
}

static void emit_pass(const struct mtok_plan *p, const struct pclass *pc, const struct sim_step *s,
                      struct sim_sink *k)
{
    if (pc->head)
        sim_emit_head(&p->e, s, pc->mtp_head, k);
    else
        sim_emit_layer(&p->e, &pc->c, s, k);
}

/* ---- folding ---- */

static void fold_class(struct mtok_plan *p, struct pclass *pc)
{
    static const double pts[NCOEF][4] = {
        /* B, x0, x1, f */
        {0, 0, 0, 0}, {1, 0, 0, 0}, {1, 1, 0, 0}, {1, 0, 1, 0}, {0, 0, 0, 1}};
    struct capture cap[NCOEF + 1] = {0};
    for (int i = 0; i <= NCOEF; i++) {
        cap[i].k.op = capture_op;
        const double *v = i < NCOEF ? pts[i] : (const double[]){3.7, 123.4, 56.7, 0.37};
        struct sim_step s = {.decode = true, .B = v[0], .q = pc->q, .x = {v[1], v[2]}, .frac = v[3]};
        emit_pass(p, pc, &s, &cap[i].k);
        MTOK_ASSERT(cap[i].n == cap[0].n);
    }
    size_t n = cap[0].n;
    pc->op0 = p->n_fold;
    p->fold = mtok_xrealloc(p->fold, (p->n_fold + n + 1) * sizeof *p->fold);
    for (size_t j = 0; j < n; j++) {
        const struct mtok_op *o[NCOEF + 1];
        for (int i = 0; i <= NCOEF; i++) {
            o[i] = &cap[i].ops[j];
            MTOK_ASSERT(o[i]->name == o[0]->name && o[i]->kind == o[0]->kind);
        }
        /* coefficient vectors of one quantity read off the five points */
#define COEF(out, expr)                                                                            \
    do {                                                                                           \
        double q_[NCOEF];                                                                          \
        for (int i_ = 0; i_ < NCOEF; i_++) {                                                       \
            const struct mtok_op *op = o[i_];                                                      \
            q_[i_] = (expr);                                                                       \
        }                                                                                          \
        out[0] = q_[0], out[1] = q_[1] - q_[0], out[2] = q_[2] - q_[1], out[3] = q_[3] - q_[1];   \
        out[4] = q_[4] - q_[0];                                                                    \
    } while (0)
        if (o[0]->kind == MTOK_OP_COLLECTIVE) {
            double a, k, S[NCOEF];
            enum mtok_prov prov;
            coll_cost(p, o[0], &a, &k, &prov);
            p->prov = prov < p->prov ? prov : p->prov;
            COEF(S, op->m);
            MTOK_ASSERT(fabs(S[2]) + fabs(S[3]) + fabs(S[4]) == 0);
            if (cap[0].flags[j] & SIM_EP)
                pc->ep_a += a + k * S[0], pc->ep_b += k * S[1];
            else
                pc->tp_a += a + k * S[0], pc->tp_b += k * S[1];
            continue;
        }
        struct opt r = op_rates(p, o[0], 0, 0);
        {
            /* the roof that bounds the op at the check point decides its provenance */
            const struct mtok_op *chk = &cap[NCOEF].ops[j];
            bool comp = chk->flops * r.inv_c + chk->other * r.inv_v > mtok_op_bytes(chk) * r.inv_m;
            enum mtok_prov pr = bound_prov(&r, comp);
            p->prov = pr < p->prov ? pr : p->prov;
        }
        struct fold *f = &p->fold[p->n_fold++];
        double F[NCOEF], X[NCOEF], M[NCOEF];
        COEF(F, op->flops);
        COEF(X, op->other);
        COEF(M, mtok_op_bytes(op));
        for (int i = 0; i < NCOEF; i++) {
            f->c[i] = F[i] * r.inv_c + X[i] * r.inv_v;
            f->m[i] = M[i] * r.inv_m;
        }
        f->lat = r.lat;
        /* the affine form must reproduce the sixth point exactly */
        const struct mtok_op *chk = &cap[NCOEF].ops[j];
        const double *v = (const double[]){3.7, 123.4, 56.7, 0.37};
        double want = chk->flops + chk->other + mtok_op_bytes(chk);
        double got = 0;
        for (int i = 0; i < NCOEF; i++) {
            double w = i == 0 ? 1 : i == 1 ? v[0] : i == 2 ? v[0] * v[1] : i == 3 ? v[0] * v[2] : v[3];
            got += (F[i] + X[i] + M[i]) * w;
        }
        MTOK_ASSERT(fabs(got - want) <= 1e-6 * (fabs(want) + 1));
#undef COEF
    }
    pc->op1 = p->n_fold;
    for (int i = 0; i <= NCOEF; i++)
        capture_free(&cap[i]);
}

/* ---- building ---- */

static double prefill_time(const struct mtok_plan *p, double requests, double isl, double prior,
                           mtok_op_visit_fn fn, void *arg);

static enum mtok_status check_group(const struct mtok_plan *p, const char *what, int g,
                                    struct mtok_error *err)
{
    const struct mtok_hw *hw = p->hw;
    int D = hw->scale_up_domain > 1 ? hw->scale_up_domain : 1;
    if (g <= 1)
        return MTOK_OK;
    if (hw->scale_up_bw <= 0)
        return mtok_error_set(err, MTOK_EUNSUPPORTED,
                              "%s: a group of %d devices needs a scale-up link, and %s has none "
                              "recorded", what, g, hw->id);
    if (g > D && hw->scale_out_bw <= 0)
        return mtok_error_set(err, MTOK_EUNSUPPORTED,
                              "%s: a group of %d devices spans more than %s's scale-up domain of "
                              "%d, and it has no scale-out figure", what, g, hw->id, D);
    return MTOK_OK;
}

static enum mtok_status validate(struct mtok_plan *p, struct mtok_error *err)
{
    const struct mtok_deploy *d = &p->dep;
    const struct mtok_model *m = p->m;
    if (d->tp < 1 || d->ep < 1 || d->dp < 1 || d->pp < 1)
        return mtok_error_set(err, MTOK_EINVAL, "--tp/--ep/--dp/--pp must be at least 1");
    int world = d->tp * d->dp;
    if (world % d->ep != 0)
        return mtok_error_set(err, MTOK_EINVAL, "--ep: %d does not divide tp x dp = %d", d->ep,
                              world);
    if (d->ep > 1 && !m->n_experts)
        return mtok_error_set(err, MTOK_EINVAL, "--ep: %s has no experts", m->id);
    if (m->n_experts && d->ep > m->n_experts)
        return mtok_error_set(err, MTOK_EINVAL, "--ep: %d is more than the %d experts of %s",
                              d->ep, m->n_experts, m->id);
    if (d->pp > m->n_layers)
        return mtok_error_set(err, MTOK_EINVAL, "--pp: %d stages for %d layers", d->pp,
                              m->n_layers);
    int heads = m->n_heads ? m->n_heads : (m->mamba_heads ? m->mamba_heads : m->gdn_v_heads);
    if (heads && heads % d->tp != 0)
        return mtok_error_set(err, MTOK_EINVAL, "--tp: %d does not divide the %d attention heads "
                              "of %s", d->tp, heads, m->id);
    if (m->mamba_heads && m->mamba_heads % d->tp != 0)
        return mtok_error_set(err, MTOK_EINVAL, "--tp: %d does not divide the %d Mamba heads of %s",
                              d->tp, m->mamba_heads, m->id);
    if (m->gdn_v_heads && m->gdn_k_heads % d->tp != 0)
        return mtok_error_set(err, MTOK_EINVAL,
                              "--tp: %d does not divide the %d DeltaNet key heads of %s", d->tp,
                              m->gdn_k_heads, m->id);
    if (m->o_groups && m->o_groups % d->tp != 0)
        return mtok_error_set(err, MTOK_EINVAL,
                              "--tp: %d does not divide the %d output-projection groups of %s",
                              d->tp, m->o_groups, m->id);
    if (d->mtp < 0 || d->mtp > 16)
        return mtok_error_set(err, MTOK_EINVAL, "--mtp: %d is not in [0, 16]", d->mtp);
    if (d->mtp > 0 && m->n_mtp == 0)
        return mtok_error_set(err, MTOK_EINVAL, "--mtp: %s has no MTP layers", m->id);
    if (d->mtp_accept > 1)
        return mtok_error_set(err, MTOK_EINVAL, "--mtp-accept: %g is not in [0, 1]", d->mtp_accept);
    if (!(d->isl >= 1 && d->isl <= 1e8) || !(d->osl >= 1 && d->osl <= 1e8))
        return mtok_error_set(err, MTOK_EINVAL, "--isl/--osl must be in [1, 1e8]");
    if (!(d->cache_hit >= 0 && d->cache_hit < 1))
        return mtok_error_set(err, MTOK_EINVAL, "--cache-hit: %g is not in [0, 1)", d->cache_hit);
    if (d->ctx > 1e9)
        return mtok_error_set(err, MTOK_EINVAL, "--ctx: %g is more than 1e9", d->ctx);
    if ((d->prefill_gpus > 0) != (d->decode_gpus > 0))
        return mtok_error_set(err, MTOK_EINVAL, "--disagg needs both PREFILL_GPUS,DECODE_GPUS");
    if (d->prefill_gpus > 0 &&
        (d->prefill_gpus % p->gpus != 0 || d->decode_gpus % p->gpus != 0))
        return mtok_error_set(err, MTOK_EINVAL,
                              "--disagg: %d,%d are not multiples of the %d GPUs of one instance "
                              "(tp x dp x pp)", d->prefill_gpus, d->decode_gpus, p->gpus);
    enum mtok_status s;
    if ((s = check_group(p, "--tp", d->tp, err)) != MTOK_OK ||
        (s = check_group(p, "--ep", d->ep, err)) != MTOK_OK ||
        (s = check_group(p, "--dp (MoE all-gather)", d->ep == 1 && d->dp > 1 ? world : 1, err)) !=
            MTOK_OK ||
        (s = check_group(p, "--pp", d->pp > 1 ? p->gpus : 1, err)) != MTOK_OK)
        return s;
    return MTOK_OK;
}

void mtok_plan_destroy(struct mtok_plan *p)
{
    if (!p)
        return;
    free(p->classes);
    free(p->pc);
    free(p->fold);
    for (size_t i = 0; i < p->n_notes; i++)
        free(p->notes[i]);
    free(p->notes);
    free(p);
}

enum mtok_status mtok_plan_create(struct mtok_plan **out, const struct mtok_model *m,
                                  const struct mtok_hw *hw, const struct mtok_sim_defaults *d,
                                  const struct mtok_calib *calib, const struct mtok_prec *prec,
                                  const struct mtok_deploy *dep, struct mtok_error *err)
{
    *out = NULL;
    struct mtok_plan *p = mtok_xcalloc(1, sizeof *p);
    p->m = m, p->hw = hw, p->d = d, p->calib = calib ? calib : d->calib;
    p->prec = *prec;
    p->dep = *dep;
    if (p->dep.mtp_accept <= 0)
        p->dep.mtp_accept = d->mtp_accept;
    p->gpus = mtok_deploy_gpus(dep);
    enum mtok_status s = validate(p, err);
    if (s != MTOK_OK) {
        mtok_plan_destroy(p);
        return s;
    }
    struct sim_shard sh = {.tp = dep->tp, .dp = dep->dp, .ep = dep->ep, .pp = dep->pp,
                           .world = (double)dep->tp * dep->dp};
    sh.etp = sh.world / sh.ep;
    sim_emit_init(&p->e, m, d, &p->prec, &sh);
    p->vec_peak = hw->peak[MTOK_PEAK_FP32] > 0 ? hw->peak[MTOK_PEAK_FP32] : hw->peak[MTOK_PEAK_BF16];
    if (!(hw->peak[MTOK_PEAK_FP32] > 0))
        note(p, "%s has no fp32 peak: element-wise work runs at its bf16 peak", hw->id);
    p->fast = !mtok_calib_sized(p->calib, hw->id) || dep->sol;
    p->prov = MTOK_PROV_MEASURED;

    p->n_classes = sim_classes(m, &p->classes);
    /* decode passes: main classes and the head over 1+mtp tokens per sequence, then the MTP
     * draft passes (each MTP layer and the head once per draft token) */
    p->pc = mtok_xcalloc(p->n_classes + 3, sizeof *p->pc);
    double q = 1 + dep->mtp;
    for (size_t i = 0; i < p->n_classes; i++) {
        if (p->classes[i].mtp)
            continue;
        p->pc[p->n_pc++] = (struct pclass){.c = p->classes[i], .count = p->classes[i].count, .q = q};
    }
    p->pc[p->n_pc++] = (struct pclass){.head = true, .count = 1, .q = q};
    if (dep->mtp > 0) {
        for (size_t i = 0; i < p->n_classes; i++)
            if (p->classes[i].mtp)
                p->pc[p->n_pc++] = (struct pclass){.c = p->classes[i], .mtp_pass = true,
                                                   .count = (double)p->classes[i].count * dep->mtp,
                                                   .q = 1};
        p->pc[p->n_pc++] = (struct pclass){.head = true, .mtp_head = true, .mtp_pass = true,
                                           .count = dep->mtp, .q = 1};
    }
    for (size_t i = 0; i < p->n_pc; i++)
        fold_class(p, &p->pc[i]);
    if (dep->sol)
        p->prov = MTOK_PROV_SOL;
    /* one prefill pass now, single-threaded, so every note a later (concurrent) evaluation could
     * raise already exists */
    prefill_time(p, 1, 16, 0, NULL, NULL);
    mtok_plan_memory(p, 0, &p->mem);
    sim_plan_prefill_cost(p, &p->pf_per_request, &p->pf_ttft);

    if (dep->tp > 1) {
        for (size_t i = 0; i < p->n_classes; i++) {
            int f = mtok_kv_family_of(p->classes[i].attn);
            if (f == MTOK_KVF_MLA || f == MTOK_KVF_MLA_DSA || f == MTOK_KVF_V4) {
                note(p, "tp %d: the single latent/shared KV head is replicated on every TP rank "
                        "(use --dp for attention data parallelism)", dep->tp);
                break;
            }
        }
    }
    if (m->n_experts && d->moe_imbalance == 1 && dep->ep > 1)
        note(p, "experts assumed perfectly balanced across EP ranks (EPLB)");
    *out = p;
    return MTOK_OK;
}

/* ---- evaluation ---- */

static double frac_for(const struct mtok_plan *p, const struct pclass *pc, double batch)
{
    const struct mtok_model *m = p->m;
    return sim_expert_frac(m->n_experts, m->topk, batch * pc->q / p->dep.pp);
}

static double combine(const struct mtok_plan *p, double comp, double tp, double ep)
{
    double v = comp;
    double ov_ep = p->dep.sol ? 1 : p->d->overlap_ep, ov_tp = p->dep.sol ? 0 : p->d->overlap_tp;
    if (ep > ov_ep * comp)
        v += ep - ov_ep * comp;
    if (tp > ov_tp * comp)
        v += tp - ov_tp * comp;
    return v;
}

static double fast_step(const struct mtok_plan *p, double B, double ctx)
{
    double total = 0;
    double fr_main = -1, fr_mtp = -1;
    for (size_t i = 0; i < p->n_pc; i++) {
        const struct pclass *pc = &p->pc[i];
        double x[2] = {0, 0};
        if (!pc->head)
            sim_features(p->m, &pc->c, ctx, x);
        double *fr = pc->mtp_pass ? &fr_mtp : &fr_main;
        if (*fr < 0)
            *fr = frac_for(p, pc, B);
        double bx = B, b0 = B * x[0], b1 = B * x[1], f = *fr;
        double comp = 0;
        for (size_t j = pc->op0; j < pc->op1; j++) {
            const struct fold *o = &p->fold[j];
            double tc = o->c[0] + bx * o->c[1] + b0 * o->c[2] + b1 * o->c[3] + f * o->c[4];
            double tm = o->m[0] + bx * o->m[1] + b0 * o->m[2] + b1 * o->m[3] + f * o->m[4];
            comp += (tc > tm ? tc : tm) + o->lat;
        }
        total += pc->count *
                 combine(p, comp, pc->tp_a + pc->tp_b * B, pc->ep_a + pc->ep_b * B);
    }
    return total;
}

struct eval_sink {
    struct sim_sink k;
    struct mtok_plan *p;
    double comp, tp, ep;
    const struct pclass *pc;
    mtok_op_visit_fn fn;
    void *arg;
};

static void eval_op(struct sim_sink *k, const struct mtok_op *op, int flags)
{
    struct eval_sink *s = (struct eval_sink *)k;
    struct mtok_op_cost c;
    op_cost(s->p, op, &c);
    if (op->kind == MTOK_OP_COLLECTIVE)
        *(flags & SIM_EP ? &s->ep : &s->tp) += c.t_s;
    else
        s->comp += c.t_s;
    if (s->fn) {
        c.layer = s->pc->head ? (s->pc->mtp_head ? "mtp:head" : "head") : s->pc->c.name;
        c.count = s->pc->count;
        c.overlapped = (flags & SIM_EP) != 0;
        s->fn(s->arg, &c);
    }
}

/* Op-by-op evaluation of a set of passes. The plan is only read: op_cost's notes were all made
 * when the plan was folded (the same ops), so the cast away from const writes nothing new. */
static double slow_passes(const struct mtok_plan *cp, const struct pclass *pcs, size_t n,
                          const struct sim_step *base, double ctx, mtok_op_visit_fn fn, void *arg)
{
    struct mtok_plan *p = (struct mtok_plan *)(uintptr_t)cp;
    double total = 0;
    for (size_t i = 0; i < n; i++) {
        const struct pclass *pc = &pcs[i];
        struct sim_step s = *base;
        s.q = base->decode ? pc->q : base->q;
        if (base->decode && !pc->head)
            sim_features(p->m, &pc->c, ctx, s.x);
        s.frac = sim_expert_frac(p->m->n_experts, p->m->topk, s.B * s.q / p->dep.pp);
        struct eval_sink k = {.k.op = eval_op, .p = p, .pc = pc, .fn = fn, .arg = arg};
        emit_pass(p, pc, &s, &k.k);
        total += pc->count * combine(p, k.comp, k.tp, k.ep);
    }
    return total;
}

/* With data-parallel attention and pipeline micro-batches every rank runs the same number of
 * sequences: the busiest rank sets the step time, the others pad (CUDA-graph batch padding). */
static double padded(const struct mtok_plan *p, double batch)
{
    double ranks = (double)p->dep.dp * p->dep.pp;
    return ranks > 1 ? ceil(batch / ranks - 1e-9) * ranks : batch;
}

double mtok_plan_decode_step_slow(const struct mtok_plan *p, double batch, double ctx)
{
    struct sim_step s = {.decode = true, .B = padded(p, batch)};
    return slow_passes(p, p->pc, p->n_pc, &s, ctx, NULL, NULL);
}

double mtok_plan_decode_step(const struct mtok_plan *p, double batch, double ctx)
{
    if (!p->fast)
        return mtok_plan_decode_step_slow(p, batch, ctx);
    return fast_step(p, padded(p, batch), ctx);
}

/* Prefill passes: the main layers and head, plus the MTP layers (which fill their own KV) when
 * drafting is on. With pp stages the requests go through as pp micro-batches: one micro-batch's
 * full latency plus pp-1 further stage times. */
static size_t prefill_passes(const struct mtok_plan *p, struct pclass *out)
{
    size_t n = 0;
    for (size_t i = 0; i < p->n_classes; i++)
        if (!p->classes[i].mtp || p->dep.mtp > 0)
            out[n++] = (struct pclass){.c = p->classes[i], .count = p->classes[i].count};
    out[n++] = (struct pclass){.head = true, .count = 1};
    return n;
}

static double prefill_time(const struct mtok_plan *p, double requests, double isl, double prior,
                           mtok_op_visit_fn fn, void *arg)
{
    struct pclass *pcs = mtok_xcalloc(p->n_classes + 2, sizeof *pcs);
    size_t n = prefill_passes(p, pcs);
    struct sim_step s = {.decode = false, .B = requests, .q = isl, .prior = prior};
    double t = slow_passes(p, pcs, n, &s, 0, fn, arg);
    free(pcs);
    double pp = p->dep.pp;
    return t * (2 * pp - 1) / pp;
}

double mtok_plan_prefill(const struct mtok_plan *p, double requests, double isl, double prior)
{
    return prefill_time(p, requests, isl, prior, NULL, NULL);
}

void mtok_plan_visit(const struct mtok_plan *p, bool decode, double batch, double ctx_or_isl,
                     mtok_op_visit_fn fn, void *arg)
{
    if (decode) {
        struct sim_step s = {.decode = true, .B = padded(p, batch)};
        slow_passes(p, p->pc, p->n_pc, &s, ctx_or_isl, fn, arg);
    } else {
        prefill_time(p, batch, ctx_or_isl, 0, fn, arg);
    }
}

/* ---- memory ---- */

struct wsum {
    const struct mtok_prec *prec;
    double bytes;
};

static void wsum_fn(void *arg, double elems, enum mtok_wclass wc, double active, double dev)
{
    (void)active;
    struct wsum *w = arg;
    w->bytes += elems * dev * mtok_dtype_weight_bits(w->prec->w[wc]) / 8;
}

void mtok_plan_memory(const struct mtok_plan *p, double ctx, struct mtok_mem *out)
{
    const struct mtok_deploy *d = &p->dep;
    const struct mtok_model *m = p->m;
    memset(out, 0, sizeof *out);
    out->ctx = ctx > 0 ? ctx : d->isl + d->osl;
    if (d->ctx > out->ctx)
        out->ctx = d->ctx;
    out->capacity = p->hw->mem_bytes;
    out->usable = out->capacity * mtok_sim_usable_fraction(p->d, p->hw);
    out->workspace = p->d->workspace_bytes;
    double pp = d->pp;
    struct wsum head = {&p->prec, 0}, layers = {&p->prec, 0};
    sim_layer_weights(m, NULL, &p->e.sh, wsum_fn, &head);
    double kv_dev = 0;
    for (size_t i = 0; i < p->n_classes; i++) {
        const struct sim_class *c = &p->classes[i];
        if (c->mtp && d->mtp == 0)
            continue;
        struct wsum w = {&p->prec, 0};
        sim_layer_weights(m, c, &p->e.sh, wsum_fn, &w);
        /* MTP layers sit on the last stage; main layers are split evenly */
        layers.bytes += c->count * w.bytes / (c->mtp ? 1 : pp);
        double kv = c->count * sim_layer_kv(&p->e, c, out->ctx);
        out->kv_per_seq += kv;
        kv_dev += kv * sim_layer_kv_dev_frac(m, c, &p->e.sh) / (c->mtp ? 1 : pp);
    }
    out->weights = layers.bytes + head.bytes * (pp > 1 && !m->tie_embeddings ? 0.5 : 1);
    out->kv_per_seq_device = kv_dev;
    double tokens = p->d->prefill_tokens;
    out->activations = tokens * m->hidden * (m->hc_mult > 1 ? m->hc_mult : 1) *
                       p->d->act_bytes_per_token;
    double avail = out->usable - out->weights - out->workspace - out->activations;
    if (avail <= 0) {
        out->max_batch = 0;
    } else if (kv_dev <= 0) {
        out->max_batch = 1e9;
    } else {
        out->max_batch = floor(avail / kv_dev) * d->dp;
        if (out->max_batch > 1e9)
            out->max_batch = 1e9;
    }
    out->fits = out->max_batch >= 1;
}

double sim_plan_prefill_tokens(const struct mtok_plan *p) { return p->d->prefill_tokens; }

double sim_plan_kv_transfer_s(const struct mtok_plan *p, double tokens)
{
    double kv = 0;
    for (size_t i = 0; i < p->n_classes; i++)
        if (!p->classes[i].mtp || p->dep.mtp > 0)
            kv += p->classes[i].count * sim_layer_kv(&p->e, &p->classes[i], tokens);
    double bw = p->hw->scale_out_bw > 0 ? p->hw->scale_out_bw : p->hw->scale_up_bw;
    if (bw <= 0)
        return 0;
    struct mtok_util un = mtok_calib_lookup(p->calib, p->hw->id, MTOK_OP_COLLECTIVE, MTOK_BF16,
                                            MTOK_BOUND_NETWORK, kv);
    return (p->dep.sol ? 0 : p->d->alpha_out_s) + kv / (p->gpus * bw * (p->dep.sol ? 1 : un.u));
}

/* Instance-seconds of prefill per request, and the time to first token of one request. Requests
 * are prefilled dp x floor(prefill_tokens / isl) at a time (at least one per DP rank), a prompt
 * longer than prefill_tokens in chunks. TTFT is one request per DP rank, alone. */
void sim_plan_prefill_cost(const struct mtok_plan *p, double *per_request, double *ttft)
{
    const struct mtok_deploy *d = &p->dep;
    double budget = p->d->prefill_tokens;
    /* prefix-cache hits: only the missed tail is computed, after the cached prefix */
    double cached = floor(d->isl * d->cache_hit), fresh = d->isl - cached;
    if (fresh < 1)
        fresh = 1, cached = d->isl - 1;
    double per_rank = floor(budget / fresh);
    if (per_rank < 1)
        per_rank = 1;
    double chunk = fresh < budget ? fresh : budget;
    double batch = 0, alone = 0;
    for (double done = 0; done < fresh; done += chunk) {
        double q = fresh - done < chunk ? fresh - done : chunk;
        batch += mtok_plan_prefill(p, per_rank * d->dp, q, cached + done);
        alone += per_rank > 1 ? mtok_plan_prefill(p, d->dp, q, cached + done) : 0;
    }
    /* with pp stages a pass's latency is (2pp-1)/pp of the time the stages stay busy with it;
     * throughput is set by the busy time, TTFT by the latency */
    double pp = d->pp;
    *per_request = batch * pp / (2 * pp - 1) / (per_rank * d->dp);
    *ttft = per_rank > 1 ? alone : batch;
}

void sim_plan_cached(const struct mtok_plan *p, struct mtok_mem *mem, double *pf_per_request,
                     double *pf_ttft)
{
    *mem = p->mem;
    *pf_per_request = p->pf_per_request;
    *pf_ttft = p->pf_ttft;
}

void mtok_plan_class_kv(const struct mtok_plan *p, size_t i, double ctx, double *bytes,
                        double *per_token)
{
    *bytes = *per_token = 0;
    if (i >= p->n_classes)
        return;
    *bytes = sim_layer_kv(&p->e, &p->classes[i], ctx);
    *per_token = sim_layer_kv_slope(&p->e, &p->classes[i]);
}
