/* Predictions and calibration: the simulator on the measured host, measurements turned into the
 * simulator's calibration table, and the accuracy of the one against the other. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/internal.h"

/* ---- the host at a thread count ---- */

void mtok_host_at_threads(const struct mtok_hw *host, const struct mtok_ceiling_row *rows, size_t n,
                          int threads, bool vector_only, struct mtok_hw *out)
{
    *out = *host;
    static const struct {
        const char *name;
        enum mtok_peak peak;
    } peaks[] = {{"fp64", MTOK_PEAK_FP64},
                 {"fp32", MTOK_PEAK_FP32},
                 {"bf16", MTOK_PEAK_BF16},
                 {"int8", MTOK_PEAK_INT8}};
    for (size_t k = 0; k < sizeof peaks / sizeof *peaks; k++) {
        const struct mtok_ceiling_row *r =
            bench_ceiling_row(rows, n, "peak", peaks[k].name, NULL, threads);
        if (r && r->value > 0 && !vector_only)
            out->peak[peaks[k].peak] = r->value;
        if (!vector_only)
            continue;
        /* the best loop that is not a tile unit's ("flops" rows are "<dtype>.<isa>") */
        double best = 0;
        size_t nl = strlen(peaks[k].name);
        for (size_t i = 0; i < n; i++)
            if (strcmp(rows[i].kind, "flops") == 0 && rows[i].threads == threads &&
                strncmp(rows[i].name, peaks[k].name, nl) == 0 && rows[i].name[nl] == '.' &&
                strcmp(rows[i].name + nl + 1, "amx") != 0 && rows[i].value > best)
                best = rows[i].value;
        if (best > 0)
            out->peak[peaks[k].peak] = best;
    }
    const struct mtok_ceiling_row *dram =
        bench_ceiling_row(rows, n, "plateau", "read", "DRAM", threads);
    const struct mtok_ceiling_row *largest = NULL;
    for (size_t i = 0; i < n; i++)
        if (strcmp(rows[i].kind, "bandwidth") == 0 && strcmp(rows[i].name, "read") == 0 &&
            rows[i].threads == threads && (!largest || rows[i].bytes > largest->bytes))
            largest = &rows[i];
    if (dram && dram->value > 0)
        out->mem_bw = dram->value;
    else if (largest && largest->value > 0)
        out->mem_bw = largest->value;
}

/* ---- calibration points ---- */

size_t mtok_calib_points(const struct mtok_calib_row *rows, size_t n, struct mtok_calib_point **out)
{
    *out = mtok_xcalloc(n + 1, sizeof **out);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        const struct mtok_calib_row *r = &rows[i];
        struct mtok_calib_point p = {.name = r->name,
                                     .threads = r->threads,
                                     .size = r->size,
                                     .utilisation = r->utilisation,
                                     .compute_size = r->compute_size,
                                     .memory_size = r->memory_size,
                                     .sol_compute_ns = r->sol_compute_ns,
                                     .sol_memory_ns = r->sol_memory_ns,
                                     .latency_ns = r->latency_ns,
                                     .measured_ns = r->measured_ns};
        if (!r->op_kind || !r->dtype || !r->bound ||
            mtok_op_kind_parse(r->op_kind, &p.kind) != MTOK_OK ||
            mtok_dtype_parse(r->dtype, &p.dtype) != MTOK_OK ||
            mtok_bound_parse(r->bound, &p.bound) != MTOK_OK || !(p.utilisation > 0) ||
            !(p.size > 0))
            continue;
        if (isnan(p.latency_ns))
            p.latency_ns = 0;
        (*out)[k++] = p;
    }
    return k;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median_of(double *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/* The thread count among the points nearest to `threads` (ties: the larger). */
static int nearest_threads(const struct mtok_calib_point *pts, size_t n, int threads, size_t skip)
{
    int best = 0;
    for (size_t i = 0; i < n; i++) {
        if (i == skip)
            continue;
        int t = pts[i].threads, d = abs(t - threads), bd = abs(best - threads);
        if (!best || d < bd || (d == bd && t > best))
            best = t;
    }
    return best;
}

static double clamp_u(double u)
{
    return u < 1e-6 ? 1e-6 : u > 1.5 ? 1.5 : u;
}

size_t mtok_calib_from_points(struct mtok_calib *c, const char *hw_id,
                              const struct mtok_calib_point *pts, size_t n, int threads,
                              size_t skip, const char *source)
{
    int t = nearest_threads(pts, n, threads, skip);
    if (!t)
        return 0;
    size_t added = 0;
    bool *done = mtok_xcalloc(n + 1, sizeof *done);
    double *us = mtok_xmalloc((n + 1) * sizeof *us);
    char src[512];
    /* 1. a curve per key; points within 1% in size merged (geometric mean) */
    for (size_t i = 0; i < n; i++) {
        const struct mtok_calib_point *p = &pts[i];
        if (i == skip || done[i] || p->threads != t)
            continue;
        double logsum = 0;
        size_t m = 0;
        for (size_t k = i; k < n; k++) {
            const struct mtok_calib_point *q = &pts[k];
            if (k == skip || done[k] || q->threads != t || q->kind != p->kind ||
                q->dtype != p->dtype || q->bound != p->bound ||
                fabs(q->size - p->size) > 0.01 * p->size)
                continue;
            done[k] = true;
            logsum += log(clamp_u(q->utilisation));
            m++;
        }
        snprintf(src, sizeof src, "%s: %s%s (%d thread%s)", source, p->name,
                 m > 1 ? " and others of its size" : "", t, t > 1 ? "s" : "");
        if (mtok_calib_add(c, hw_id, p->kind, p->dtype, p->bound, p->size, exp(logsum / (double)m),
                           MTOK_PROV_MEASURED, src, NULL) == MTOK_OK)
            added++;
    }
    /* 2. per op kind and roof, and 3. per roof: the medians, size-independent */
    for (int b = 0; b < 2; b++) {
        enum mtok_bound bound = b ? MTOK_BOUND_MEMORY : MTOK_BOUND_COMPUTE;
        for (int kind = 0; kind <= MTOK_OP_KIND_COUNT; kind++) {
            size_t m = 0;
            for (size_t i = 0; i < n; i++)
                if (i != skip && pts[i].threads == t && pts[i].bound == bound &&
                    (kind == MTOK_OP_KIND_COUNT || (int)pts[i].kind == kind))
                    us[m++] = clamp_u(pts[i].utilisation);
            if (!m)
                continue;
            snprintf(src, sizeof src, "%s: median of %zu %s-bound %s point%s (%d thread%s)", source,
                     m, mtok_bound_name(bound),
                     kind == MTOK_OP_KIND_COUNT ? "benchmark"
                                                : mtok_op_kind_name((enum mtok_op_kind)kind),
                     m > 1 ? "s" : "", t, t > 1 ? "s" : "");
            if (mtok_calib_add(c, hw_id, (enum mtok_op_kind)kind, MTOK_DTYPE_COUNT, bound, 0,
                               median_of(us, m), MTOK_PROV_CALIBRATED, src, NULL) == MTOK_OK)
                added++;
        }
    }
    free(done);
    free(us);
    return added;
}

double mtok_calib_point_predict(const struct mtok_calib *c, const char *hw_id,
                                const struct mtok_calib_point *p, enum mtok_prov *prov)
{
    struct mtok_util uc =
        mtok_calib_lookup(c, hw_id, p->kind, p->dtype, MTOK_BOUND_COMPUTE, p->compute_size);
    struct mtok_util um =
        mtok_calib_lookup(c, hw_id, p->kind, p->dtype, MTOK_BOUND_MEMORY, p->memory_size);
    double tc = p->sol_compute_ns / uc.u, tm = p->sol_memory_ns / um.u;
    if (prov)
        *prov = tc > tm ? uc.prov : um.prov;
    return (tc > tm ? tc : tm) + p->latency_ns;
}

/* The points of the latest complete bench run of this machine that has any (non-quick first). */
static enum mtok_status latest_calib_run(struct mtok_store *st, const char *fingerprint,
                                         struct mtok_run_summary *out, struct mtok_calib_row **rows,
                                         size_t *n, struct mtok_error *err)
{
    *rows = NULL, *n = 0;
    struct mtok_run_summary *runs = NULL;
    size_t nr = 0;
    if (mtok_store_runs(st, "bench", &runs, &nr) != MTOK_OK)
        return mtok_error_set(err, MTOK_EDB, "%s", mtok_store_errmsg(st));
    enum mtok_status s = MTOK_ENOTFOUND;
    for (int pass = 0; pass < 2 && s == MTOK_ENOTFOUND; pass++)
        for (size_t i = nr; i-- > 0;) {
            const struct mtok_run_summary *r = &runs[i];
            if ((fingerprint && strcmp(r->fingerprint, fingerprint) != 0) ||
                (pass == 0 && strcmp(r->suite, "quick") == 0))
                continue;
            struct mtok_calib_row *cr = NULL;
            size_t cn = 0;
            if (mtok_store_calibration(st, r->id, &cr, &cn) != MTOK_OK) {
                free(runs);
                return mtok_error_set(err, MTOK_EDB, "%s", mtok_store_errmsg(st));
            }
            if (!cn) {
                free(cr);
                continue;
            }
            *out = *r;
            *rows = cr, *n = cn;
            s = MTOK_OK;
            break;
        }
    free(runs);
    if (s == MTOK_ENOTFOUND)
        mtok_error_set(err, s, "no bench run with calibration points on this machine");
    return s;
}

enum mtok_status mtok_host_calib_load(struct mtok_calib *c, struct mtok_store *st,
                                      const char *fingerprint, int threads, char run_uuid[33],
                                      struct mtok_error *err)
{
    struct mtok_run_summary run;
    struct mtok_calib_row *rows = NULL;
    size_t n = 0;
    enum mtok_status s = latest_calib_run(st, fingerprint, &run, &rows, &n, err);
    if (s != MTOK_OK)
        return s;
    struct mtok_calib_point *pts = NULL;
    size_t np = mtok_calib_points(rows, n, &pts);
    char source[96];
    snprintf(source, sizeof source, "mtok bench run %.8s", run.uuid);
    mtok_calib_from_points(c, "host", pts, np, threads, SIZE_MAX, source);
    if (run_uuid)
        mtok_strlcpy(run_uuid, run.uuid, 33);
    free(pts);
    free(rows);
    return MTOK_OK;
}

/* ---- the predictor ---- */

#define MAX_T 8

struct model_cache {
    const char *json; /* the text it was parsed from (the case's, compared by pointer) */
    struct mtok_model *m;
};

struct mtok_predictor {
    const struct mtok_sim_defaults *d;
    const struct mtok_hw *host;
    struct mtok_ceiling_row *rows;
    size_t n_rows;
    struct mtok_calib_row *calib_rows;
    size_t n_calib_rows;
    struct mtok_calib_point *pts;
    size_t n_pts;
    char calib_run[33];
    char source[96];
    struct {
        int threads;
        struct mtok_hw hw;     /* the host entry at that thread count */
        struct mtok_hw hw_vec; /* the same with the vector units' peaks (no tile unit) */
        struct mtok_calib *calib;
    } at[MAX_T];
    int n_at;
    struct model_cache models[4];
    int n_models;
};

enum mtok_status mtok_predictor_create(struct mtok_predictor **out, struct mtok_store *st,
                                       const struct mtok_catalog *cat,
                                       const struct mtok_sim_defaults *d, const char *fingerprint,
                                       struct mtok_error *err)
{
    *out = NULL;
    const struct mtok_hw *host = mtok_catalog_hw(cat, "host");
    if (!host)
        return mtok_error_set(err, MTOK_ENOTFOUND,
                              "no host entry: run `mtok ceilings` on this machine first");
    struct mtok_run_summary ceil;
    if (mtok_store_run_latest(
            st, &(struct mtok_run_filter){.kind = "ceilings", .fingerprint = fingerprint}, &ceil) !=
        MTOK_OK)
        return mtok_error_set(err, MTOK_ENOTFOUND, "%s", mtok_store_errmsg(st));
    struct mtok_predictor *p = mtok_xcalloc(1, sizeof *p);
    p->d = d, p->host = host;
    if (mtok_store_ceilings(st, ceil.id, &p->rows, &p->n_rows) != MTOK_OK) {
        enum mtok_status s = mtok_error_set(err, MTOK_EDB, "%s", mtok_store_errmsg(st));
        mtok_predictor_destroy(p);
        return s;
    }
    struct mtok_run_summary run;
    struct mtok_error e2 = {0};
    enum mtok_status s =
        latest_calib_run(st, fingerprint, &run, &p->calib_rows, &p->n_calib_rows, &e2);
    if (s == MTOK_OK) {
        p->n_pts = mtok_calib_points(p->calib_rows, p->n_calib_rows, &p->pts);
        mtok_strlcpy(p->calib_run, run.uuid, sizeof p->calib_run);
        snprintf(p->source, sizeof p->source, "mtok bench run %.8s", run.uuid);
    } else if (s != MTOK_ENOTFOUND) {
        mtok_error_set(err, s, "%s", e2.msg);
        mtok_predictor_destroy(p);
        return s;
    }
    *out = p;
    return MTOK_OK;
}

void mtok_predictor_destroy(struct mtok_predictor *p)
{
    if (!p)
        return;
    for (int i = 0; i < p->n_at; i++)
        mtok_calib_destroy(p->at[i].calib);
    for (int i = 0; i < p->n_models; i++)
        mtok_model_destroy(p->models[i].m);
    free(p->rows);
    free(p->calib_rows);
    free(p->pts);
    free(p);
}

const char *mtok_predictor_calib_run(const struct mtok_predictor *p)
{
    return p->calib_run;
}

/* The host entry and calibration table at a thread count, made on first use. */
static int at_threads(struct mtok_predictor *p, int threads)
{
    for (int i = 0; i < p->n_at; i++)
        if (p->at[i].threads == threads)
            return i;
    int i = p->n_at < MAX_T ? p->n_at++ : MAX_T - 1;
    if (p->at[i].calib && i == MAX_T - 1)
        mtok_calib_destroy(p->at[i].calib);
    p->at[i].threads = threads;
    mtok_host_at_threads(p->host, p->rows, p->n_rows, threads, false, &p->at[i].hw);
    mtok_host_at_threads(p->host, p->rows, p->n_rows, threads, true, &p->at[i].hw_vec);
    /* the defaults' entries ("*"), then this machine's ("host", more specific: they win) */
    struct mtok_calib *c = mtok_calib_create();
    mtok_calib_merge(c, p->d->calib);
    if (p->n_pts)
        mtok_calib_from_points(c, "host", p->pts, p->n_pts, threads, SIZE_MAX, p->source);
    p->at[i].calib = c;
    return i;
}

const struct mtok_hw *mtok_predictor_hw(struct mtok_predictor *p, int threads)
{
    return &p->at[at_threads(p, threads)].hw;
}

static const struct mtok_calib *table_at(struct mtok_predictor *p, int i)
{
    return p->at[i].calib;
}

void mtok_predictor_op(struct mtok_predictor *p, const struct mtok_op *op, int threads,
                       struct mtok_prediction *out)
{
    int i = at_threads(p, threads);
    struct mtok_op c = mtok_sim_op_canonical(p->d, op);
    struct mtok_op_cost sol, cal;
    mtok_sim_op_cost(&c, &p->at[i].hw, p->d, NULL, true, &sol);
    mtok_sim_op_cost(&c, &p->at[i].hw, p->d, table_at(p, i), false, &cal);
    out->sol_ns = sol.t_s * 1e9;
    out->ns = cal.t_s * 1e9;
    out->prov = cal.prov;
    out->bound = cal.bound;
}

static struct mtok_model *model_of(struct mtok_predictor *p, const char *name, const char *json,
                                   struct mtok_error *err)
{
    for (int i = 0; i < p->n_models; i++)
        if (p->models[i].json == json)
            return p->models[i].m;
    struct mtok_diags d = {0};
    struct mtok_model *m = NULL;
    if (mtok_model_parse(name, json, strlen(json), &m, &d) != MTOK_OK) {
        mtok_error_set(err, MTOK_EINVAL, "%s", d.n ? d.lines[0] : "the model does not parse");
        mtok_diags_free(&d);
        return NULL;
    }
    mtok_diags_free(&d);
    if (p->n_models == 4) {
        mtok_model_destroy(p->models[3].m);
        p->n_models = 3;
    }
    p->models[p->n_models++] = (struct model_cache){json, m};
    return m;
}

struct kind_sum {
    double *per_kind;
};

static void sum_kind(void *arg, const struct mtok_op_cost *c)
{
    struct kind_sum *k = arg;
    if (k->per_kind && (unsigned)c->op.kind < MTOK_OP_KIND_COUNT)
        k->per_kind[c->op.kind] += c->count * c->t_s * 1e9;
}

enum mtok_status mtok_predictor_model(struct mtok_predictor *p, const char *name, const char *json,
                                      double ctx, int threads, struct mtok_prediction *out,
                                      double per_kind[MTOK_OP_KIND_COUNT],
                                      double sol_per_kind[MTOK_OP_KIND_COUNT],
                                      struct mtok_error *err)
{
    struct mtok_model *m = model_of(p, name, json, err);
    if (!m)
        return MTOK_EINVAL;
    int i = at_threads(p, threads);
    struct mtok_prec prec;
    if (mtok_prec_resolve(m, NULL, NULL, &prec, err) != MTOK_OK)
        return MTOK_EINVAL;
    struct mtok_deploy dep = mtok_deploy_default();
    dep.isl = ctx > 1 ? ctx : 1;
    dep.osl = 1;
    for (int pass = 0; pass < 2; pass++) {
        dep.sol = pass == 0;
        struct mtok_plan *plan = NULL;
        if (mtok_plan_create(&plan, m, &p->at[i].hw, p->d, dep.sol ? NULL : table_at(p, i), &prec,
                             &dep, err) != MTOK_OK)
            return MTOK_EINVAL;
        double t = mtok_plan_decode_step(plan, 1, ctx) * 1e9;
        double *pk = pass == 0 ? sol_per_kind : per_kind;
        if (pk) {
            memset(pk, 0, MTOK_OP_KIND_COUNT * sizeof *pk);
            struct kind_sum ks = {pk};
            mtok_plan_visit(plan, true, 1, ctx, sum_kind, &ks);
        }
        if (pass == 0) {
            out->sol_ns = t;
        } else {
            out->ns = t;
            out->prov = mtok_plan_prov(plan);
            out->bound = MTOK_BOUND_MEMORY;
        }
        mtok_plan_destroy(plan);
    }
    return MTOK_OK;
}

double mtok_predictor_bench(void *ctx, const struct mtok_bench_case *c, const struct mtok_op *op,
                            int threads, const char **provenance)
{
    struct mtok_predictor *p = ctx;
    struct mtok_prediction pr;
    if (c && c->model_json) {
        struct mtok_error err = {0};
        if (mtok_predictor_model(p, c->shape ? c->shape : c->kernel, c->model_json, c->model_ctx,
                                 threads, &pr, NULL, NULL, &err) != MTOK_OK) {
            *provenance = NULL;
            return NAN;
        }
    } else {
        mtok_predictor_op(p, op, threads, &pr);
    }
    *provenance = mtok_prov_name(pr.prov);
    return pr.ns;
}

bool mtok_predictor_point(struct mtok_predictor *p, const struct mtok_op *op, int threads,
                          double measured_ns, const char *name, struct mtok_calib_point *out)
{
    if (!(measured_ns > 0) || op->kind == MTOK_OP_COLLECTIVE)
        return false;
    int i = at_threads(p, threads);
    struct mtok_op c = mtok_sim_op_canonical(p->d, op);
    struct mtok_op_cost sol, raw;
    mtok_sim_op_cost(&c, &p->at[i].hw, p->d, NULL, true, &sol);
    /* Which roof bounds the kernel: the one that does at utilisation 1 with the arithmetic the
     * kernel itself runs (op->cdtype) at the vector units' peak (an f32 attention kernel is
     * compute-bound on this CPU although the simulator's bf16 (tile) peak would make the same op
     * memory-bound; a packed bf16 GEMM of 512 rows is compute-bound although AMX's 3 TFLOP/s would
     * put it under the DRAM roof: it runs far below a tile unit's peak at such sizes). The
     * utilisation is then taken against the simulator's roof for the op (its precision rules'
     * peak), which is what a model's op of the same kind is predicted with. */
    mtok_sim_op_cost(op, &p->at[i].hw_vec, p->d, NULL, true, &raw);
    double tc = sol.t_compute_s * 1e9, tm = sol.t_memory_s * 1e9;
    if (!(tc > 0 || tm > 0))
        return false;
    double lat = p->d->op_latency_s[c.kind] * 1e9;
    /* the time the roof accounts for: the median less the op's fixed latency, but at least half
     * of the median (a latency longer than the op itself says nothing about its roof) */
    double eff = measured_ns - lat;
    if (eff < 0.5 * measured_ns)
        eff = 0.5 * measured_ns;
    bool comp = raw.t_compute_s > raw.t_memory_s ? tc > 0 : !(tm > 0);
    *out = (struct mtok_calib_point){.name = name,
                                     .threads = threads,
                                     .kind = c.kind,
                                     .dtype = mtok_calib_dtype(&c),
                                     .bound = comp ? MTOK_BOUND_COMPUTE : MTOK_BOUND_MEMORY,
                                     .size = comp ? c.flops + c.other : mtok_op_bytes(&c),
                                     .utilisation = clamp_u((comp ? tc : tm) / eff),
                                     .compute_size = c.flops + c.other,
                                     .memory_size = mtok_op_bytes(&c),
                                     .sol_compute_ns = tc,
                                     .sol_memory_ns = tm,
                                     .latency_ns = lat,
                                     .measured_ns = measured_ns};
    return true;
}

size_t mtok_predictor_record(struct mtok_predictor *p, const struct mtok_bench_report *r,
                             struct mtok_run *run)
{
    size_t n = 0;
    for (size_t i = 0; i < r->n; i++) {
        const struct mtok_bench_result *x = &r->results[i];
        if (x->status != MTOK_OK || x->bc->no_calib || x->bc->model_json)
            continue;
        struct mtok_calib_point pt;
        if (!mtok_predictor_point(p, &x->op, x->bc->threads, x->median_ns, x->name, &pt))
            continue;
        struct mtok_calib_row row = {.name = x->name,
                                     .hw = "host",
                                     .threads = pt.threads,
                                     .op_kind = mtok_op_kind_name(pt.kind),
                                     .dtype = mtok_dtype_name(pt.dtype),
                                     .bound = mtok_bound_name(pt.bound),
                                     .size = pt.size,
                                     .utilisation = pt.utilisation,
                                     .compute_size = pt.compute_size,
                                     .memory_size = pt.memory_size,
                                     .sol_compute_ns = pt.sol_compute_ns,
                                     .sol_memory_ns = pt.sol_memory_ns,
                                     .latency_ns = pt.latency_ns,
                                     .measured_ns = pt.measured_ns};
        mtok_run_add_calib(run, &row);
        n++;
    }
    return n;
}

/* ---- accuracy ---- */

struct mtok_accuracy_stats mtok_accuracy_stats_of(const double *pred, const double *meas, size_t n)
{
    struct mtok_accuracy_stats s = {0, NAN, NAN};
    double *e = mtok_xmalloc((n + 1) * sizeof *e);
    for (size_t i = 0; i < n; i++)
        if (isfinite(pred[i]) && meas[i] > 0)
            e[s.n++] = fabs(pred[i] / meas[i] - 1);
    if (s.n) {
        s.worst = 0;
        for (size_t i = 0; i < s.n; i++)
            s.worst = e[i] > s.worst ? e[i] : s.worst;
        s.median = median_of(e, s.n);
    }
    free(e);
    return s;
}

void mtok_accuracy_destroy(struct mtok_accuracy *a)
{
    if (!a)
        return;
    free(a->rows);
    free(a);
}

static enum mtok_status run_points(struct mtok_store *st, int64_t id, struct mtok_calib_row **rows,
                                   size_t *nr, struct mtok_calib_point **pts, size_t *np,
                                   struct mtok_error *err)
{
    if (mtok_store_calibration(st, id, rows, nr) != MTOK_OK)
        return mtok_error_set(err, MTOK_EDB, "%s", mtok_store_errmsg(st));
    *np = mtok_calib_points(*rows, *nr, pts);
    return MTOK_OK;
}

enum mtok_status mtok_accuracy_compute(struct mtok_store *st, const char *fingerprint,
                                       const char *suite, const struct mtok_calib *base,
                                       struct mtok_accuracy **out, struct mtok_error *err)
{
    *out = NULL;
    if (!suite)
        suite = "default";
    struct mtok_run_summary *runs = NULL;
    size_t nr = 0;
    if (mtok_store_runs(st, "bench", &runs, &nr) != MTOK_OK)
        return mtok_error_set(err, MTOK_EDB, "%s", mtok_store_errmsg(st));
    /* the latest two complete runs of the suite on this machine that have calibration points */
    int64_t ids[2] = {0, 0};
    size_t found = 0, which[2] = {0, 0};
    for (size_t i = nr; i-- > 0 && found < 2;) {
        if (strcmp(runs[i].suite, suite) != 0 ||
            (fingerprint && strcmp(runs[i].fingerprint, fingerprint) != 0))
            continue;
        struct mtok_calib_row *cr = NULL;
        size_t cn = 0;
        if (mtok_store_calibration(st, runs[i].id, &cr, &cn) == MTOK_OK && cn) {
            which[found] = i;
            ids[found++] = runs[i].id;
        }
        free(cr);
    }
    if (!found) {
        free(runs);
        return mtok_error_set(err, MTOK_ENOTFOUND,
                              "no complete bench run of suite \"%s\" with calibration points on "
                              "this machine: run `mtok bench --suite %s` first",
                              suite, suite);
    }
    struct mtok_accuracy *a = mtok_xcalloc(1, sizeof *a);
    mtok_strlcpy(a->run, runs[which[0]].uuid, sizeof a->run);
    mtok_strlcpy(a->suite, suite, sizeof a->suite);
    mtok_strlcpy(a->started_at, runs[which[0]].started_at, sizeof a->started_at);
    if (found > 1) {
        mtok_strlcpy(a->base_run, runs[which[1]].uuid, sizeof a->base_run);
        mtok_strlcpy(a->base_started_at, runs[which[1]].started_at, sizeof a->base_started_at);
    }
    free(runs);
    struct mtok_calib_row *rows = NULL, *brows = NULL;
    struct mtok_calib_point *pts = NULL, *bpts = NULL;
    size_t nrow = 0, np = 0, nbrow = 0, nbp = 0;
    enum mtok_status s = run_points(st, ids[0], &rows, &nrow, &pts, &np, err);
    if (s == MTOK_OK && found > 1)
        s = run_points(st, ids[1], &brows, &nbrow, &bpts, &nbp, err);
    if (s != MTOK_OK) {
        free(rows), free(pts), free(brows), free(bpts);
        mtok_accuracy_destroy(a);
        return s;
    }
    char src[64], bsrc[64];
    snprintf(src, sizeof src, "mtok bench run %.8s", a->run);
    snprintf(bsrc, sizeof bsrc, "mtok bench run %.8s", a->base_run);
    a->rows = mtok_xcalloc(np + 1, sizeof *a->rows);
    double *meas = mtok_xcalloc(np + 1, sizeof *meas);
    double *v[4];
    for (int k = 0; k < 4; k++)
        v[k] = mtok_xcalloc(np + 1, sizeof **v);
    for (size_t i = 0; i < np; i++) {
        const struct mtok_calib_point *p = &pts[i];
        struct mtok_accuracy_row *r = &a->rows[a->n++];
        mtok_strlcpy(r->name, p->name, sizeof r->name);
        r->threads = p->threads;
        mtok_strlcpy(r->kind, mtok_op_kind_name(p->kind), sizeof r->kind);
        mtok_strlcpy(r->dtype, mtok_dtype_name(p->dtype), sizeof r->dtype);
        mtok_strlcpy(r->bound, mtok_bound_name(p->bound), sizeof r->bound);
        r->measured_ns = p->measured_ns;
        r->sol_ns = (p->sol_compute_ns > p->sol_memory_ns ? p->sol_compute_ns : p->sol_memory_ns);
        struct mtok_calib *c = mtok_calib_create();
        mtok_calib_merge(c, base);
        mtok_calib_from_points(c, "host", pts, np, p->threads, SIZE_MAX, src);
        r->in_ns = mtok_calib_point_predict(c, "host", p, &r->in_prov);
        mtok_calib_destroy(c);
        c = mtok_calib_create();
        mtok_calib_merge(c, base);
        mtok_calib_from_points(c, "host", pts, np, p->threads, i, src);
        r->loo_ns = mtok_calib_point_predict(c, "host", p, &r->loo_prov);
        mtok_calib_destroy(c);
        r->cross_ns = NAN;
        r->cross_prov = MTOK_PROV_SOL;
        if (nbp) {
            c = mtok_calib_create();
            mtok_calib_merge(c, base);
            mtok_calib_from_points(c, "host", bpts, nbp, p->threads, SIZE_MAX, bsrc);
            r->cross_ns = mtok_calib_point_predict(c, "host", p, &r->cross_prov);
            mtok_calib_destroy(c);
        }
        meas[i] = r->measured_ns;
        v[0][i] = r->sol_ns, v[1][i] = r->in_ns, v[2][i] = r->loo_ns, v[3][i] = r->cross_ns;
    }
    a->sol = mtok_accuracy_stats_of(v[0], meas, a->n);
    a->in = mtok_accuracy_stats_of(v[1], meas, a->n);
    a->loo = mtok_accuracy_stats_of(v[2], meas, a->n);
    a->cross = mtok_accuracy_stats_of(v[3], meas, a->n);
    for (int k = 0; k < 4; k++)
        free(v[k]);
    free(meas);
    free(rows), free(pts), free(brows), free(bpts);
    *out = a;
    return MTOK_OK;
}
