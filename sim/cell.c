/* Cells: one model on one hardware target at one ISL/OSL, served the way a buyer would deploy it.
 *
 * The choice, stated once here and in sim.h:
 *   1. the smallest instance that fits: the least power-of-two GPU count n (up to max_gpus) at
 *      which some layout holds the weights plus one sequence at isl + osl;
 *   2. a few parallelism options at n and at larger sizes (2n, 4n, ... `sizes` of them): tensor
 *      parallel (TP n), and for MoE models data-parallel attention with expert parallelism (DEP:
 *      dp n, ep n) and tensor-parallel attention with expert parallelism (TEP: tp n, ep n); dense
 *      models also try two pipeline stages (TP n/2 x PP 2), which keeps tensor parallelism inside
 *      half the GPUs;
 *   3. each option's concurrency sweep and Pareto front; the cell's front is the upper envelope
 *      of them all (InferenceX plots one front per hardware and precision);
 *   4. the point read at the interactivity target: among the options, the highest tok/s/GPU whose
 *      tok/s/user meets the target (so the cheapest per token at that speed). When no option can
 *      reach the target, the fastest point (batch 1 of the fastest option) is reported with
 *      target_met false. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "sim/internal.h"

static void add_candidate(struct mtok_cell *c, const struct mtok_model *m, const struct mtok_hw *hw,
                          const struct mtok_sim_defaults *d, const struct mtok_calib *calib,
                          const struct mtok_prec *prec, const struct mtok_cell_opts *o, int tp,
                          int ep, int dp, int pp, const char *layout)
{
    if (c->n_cand >= MTOK_CELL_MAX_CAND)
        return;
    struct mtok_cell_candidate *k = &c->cand[c->n_cand];
    memset(k, 0, sizeof *k);
    k->dep = mtok_deploy_default();
    k->dep.tp = tp, k->dep.ep = ep, k->dep.dp = dp, k->dep.pp = pp;
    k->dep.isl = o->isl, k->dep.osl = o->osl;
    k->dep.cache_hit = o->cache_hit;
    k->dep.mtp = o->mtp;
    snprintf(k->layout, sizeof k->layout, "%s", layout);
    struct mtok_plan *p = NULL;
    struct mtok_error err = {0};
    if (mtok_plan_create(&p, m, hw, d, calib, prec, &k->dep, &err) != MTOK_OK) {
        snprintf(k->why, sizeof k->why, "%s", err.msg);
        c->n_cand++;
        return;
    }
    k->built = true;
    struct mtok_mem mem;
    mtok_plan_memory(p, 0, &mem);
    k->fits = mem.fits;
    k->max_batch = mem.max_batch;
    k->weights_per_gpu = mem.weights;
    k->usable_per_gpu = mem.usable;
    k->prov = mtok_plan_prov(p);
    if (!k->fits) {
        snprintf(k->why, sizeof k->why, "%.4g GB of weights per GPU, %.4g GB usable",
                 mem.weights / 1e9, mem.usable / 1e9);
    } else {
        struct mtok_serve_point pts[64];
        size_t n = mtok_serve_pareto(p, pts, 64);
        for (size_t i = 0; i < n && c->n_front < MTOK_CELL_MAX_FRONT; i++) {
            c->front[c->n_front].pt = pts[i];
            c->front[c->n_front].candidate = (int)c->n_cand;
            c->n_front++;
        }
        k->target_met = mtok_serve_for_tps_user(p, o->tps_user, &k->at_target) == MTOK_OK;
        mtok_serve_point(p, 1, &k->fastest);
    }
    mtok_plan_destroy(p);
    c->n_cand++;
}

/* Keep the non-dominated points of the union, rising tok/s/user. */
static void envelope(struct mtok_cell *c)
{
    size_t k = 0;
    for (size_t i = 0; i < c->n_front; i++) {
        const struct mtok_serve_point *a = &c->front[i].pt;
        bool dominated = false;
        for (size_t j = 0; j < c->n_front && !dominated; j++) {
            const struct mtok_serve_point *b = &c->front[j].pt;
            if (j == i)
                continue;
            bool ge =
                b->tok_s_per_user >= a->tok_s_per_user && b->tok_s_per_gpu >= a->tok_s_per_gpu;
            bool gt = b->tok_s_per_user > a->tok_s_per_user || b->tok_s_per_gpu > a->tok_s_per_gpu;
            /* exact duplicates: keep the first */
            dominated = ge && (gt || j < i);
        }
        if (!dominated)
            c->front[k++] = c->front[i];
    }
    c->n_front = k;
    for (size_t i = 1; i < k; i++)
        for (size_t j = i;
             j > 0 && c->front[j].pt.tok_s_per_user < c->front[j - 1].pt.tok_s_per_user; j--) {
            struct mtok_cell_point t = c->front[j];
            c->front[j] = c->front[j - 1];
            c->front[j - 1] = t;
        }
}

static void try_size(struct mtok_cell *c, const struct mtok_model *m, const struct mtok_hw *hw,
                     const struct mtok_sim_defaults *d, const struct mtok_calib *calib,
                     const struct mtok_prec *prec, const struct mtok_cell_opts *o, int n)
{
    char name[48];
    snprintf(name, sizeof name, "TP%d", n);
    add_candidate(c, m, hw, d, calib, prec, o, n, 1, 1, 1, name);
    if (m->n_experts > 0 && n > 1) {
        snprintf(name, sizeof name, "DEP%d", n);
        add_candidate(c, m, hw, d, calib, prec, o, 1, n, n, 1, name);
        snprintf(name, sizeof name, "TEP%d", n);
        add_candidate(c, m, hw, d, calib, prec, o, n, n, 1, 1, name);
    } else if (m->n_experts == 0 && n > 2) {
        snprintf(name, sizeof name, "TP%dxPP2", n / 2);
        add_candidate(c, m, hw, d, calib, prec, o, n / 2, 1, 1, 2, name);
    }
}

static bool any_fits(const struct mtok_cell *c, size_t from)
{
    for (size_t i = from; i < c->n_cand; i++)
        if (c->cand[i].fits)
            return true;
    return false;
}

enum mtok_status mtok_cell_eval(const struct mtok_model *m, const struct mtok_hw *hw,
                                const struct mtok_sim_defaults *d, const struct mtok_calib *calib,
                                const struct mtok_prec *prec, const struct mtok_cell_opts *o,
                                struct mtok_cell *out, struct mtok_error *err)
{
    memset(out, 0, sizeof *out);
    out->pick = -1;
    if (!(o->isl >= 1 && o->osl >= 1 && o->tps_user > 0) || o->max_gpus < 1 || o->sizes < 1)
        return mtok_error_set(err, MTOK_EINVAL,
                              "cell options: isl/osl >= 1, tps_user > 0, max_gpus >= 1 and sizes "
                              ">= 1 are required");
    /* 1. the smallest power-of-two instance with a layout that fits */
    int n = 1;
    for (; n <= o->max_gpus; n *= 2) {
        size_t before = out->n_cand;
        try_size(out, m, hw, d, calib, prec, o, n);
        if (any_fits(out, before))
            break;
        /* keep the last failure of each layout for the reason, not the candidates */
        const struct mtok_cell_candidate *last = &out->cand[out->n_cand - 1];
        for (size_t i = before; i < out->n_cand; i++)
            if (out->cand[i].built)
                last = &out->cand[i];
        snprintf(out->reason, sizeof out->reason, "does not fit in %d GPU%s (%s: %s)", n,
                 n > 1 ? "s" : "", last->layout, last->why);
        out->n_cand = before;
        out->n_front = 0;
    }
    if (n > o->max_gpus || out->n_cand == 0) {
        out->min_gpus = 0;
        return MTOK_OK;
    }
    out->min_gpus = n;
    out->reason[0] = '\0';
    /* 2. more parallelism options at larger sizes */
    for (int s = 1, g = n * 2; s < o->sizes && g <= o->max_gpus; s++, g *= 2)
        try_size(out, m, hw, d, calib, prec, o, g);
    envelope(out);
    /* 4. the point at the target */
    double best = -1;
    for (size_t i = 0; i < out->n_cand; i++) {
        const struct mtok_cell_candidate *k = &out->cand[i];
        if (k->fits && k->target_met && k->at_target.tok_s_per_gpu > best) {
            best = k->at_target.tok_s_per_gpu;
            out->pick = (int)i;
            out->pt = k->at_target;
            out->target_met = true;
        }
    }
    if (out->pick < 0) {
        for (size_t i = 0; i < out->n_cand; i++) {
            const struct mtok_cell_candidate *k = &out->cand[i];
            if (k->fits && k->fastest.tok_s_per_user > best) {
                best = k->fastest.tok_s_per_user;
                out->pick = (int)i;
                out->pt = k->fastest;
            }
        }
    }
    return MTOK_OK;
}
