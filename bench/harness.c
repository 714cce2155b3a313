/* The benchmark harness: suites of cases; warm-up, auto-scaled iterations, repetitions, pinning,
 * robust statistics and one extra sample under PAPI per case. */
#define _GNU_SOURCE
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/internal.h"

/* ---- suites ---- */

struct mtok_bench_suite {
    char *name;
    struct mtok_bench_case *v;
    size_t n, cap;
};

struct mtok_bench_suite *mtok_bench_suite_create(const char *name)
{
    struct mtok_bench_suite *s = mtok_xcalloc(1, sizeof *s);
    s->name = mtok_xstrdup(name ? name : "");
    return s;
}

static char *dup_or_null(const char *s)
{
    return s ? mtok_xstrdup(s) : NULL;
}
#define FREE_CONST(p) free((void *)(uintptr_t)(p))

void mtok_bench_suite_destroy(struct mtok_bench_suite *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->n; i++) {
        struct mtok_bench_case *c = &s->v[i];
        if (c->ctx_free)
            c->ctx_free(c->ctx);
        FREE_CONST(c->kernel), FREE_CONST(c->dtype), FREE_CONST(c->shape);
        FREE_CONST(c->variant), FREE_CONST(c->suite);
    }
    free(s->v);
    free(s->name);
    free(s);
}

void mtok_bench_suite_add(struct mtok_bench_suite *s, const struct mtok_bench_case *c)
{
    MTOK_ASSERT(c->kernel && c->run && c->threads >= 1);
    if (s->n == s->cap) {
        s->cap = s->cap ? 2 * s->cap : 16;
        s->v = mtok_xrealloc(s->v, s->cap * sizeof *s->v);
    }
    struct mtok_bench_case *d = &s->v[s->n++];
    *d = *c;
    d->kernel = mtok_xstrdup(c->kernel);
    d->dtype = dup_or_null(c->dtype), d->shape = dup_or_null(c->shape);
    d->variant = dup_or_null(c->variant), d->suite = dup_or_null(c->suite);
}

size_t mtok_bench_suite_count(const struct mtok_bench_suite *s)
{
    return s->n;
}
const struct mtok_bench_case *mtok_bench_suite_at(const struct mtok_bench_suite *s, size_t i)
{
    return i < s->n ? &s->v[i] : NULL;
}
const char *mtok_bench_suite_name(const struct mtok_bench_suite *s)
{
    return s->name;
}

void mtok_bench_case_name(const struct mtok_bench_case *c, char *buf, size_t n)
{
    snprintf(buf, n, "%s/%s/%s%s%s/t%d", c->kernel, c->dtype ? c->dtype : "-",
             c->shape ? c->shape : "-", c->variant ? "/" : "", c->variant ? c->variant : "",
             c->threads);
}

/* ---- configuration ---- */

void mtok_bench_config_default(struct mtok_bench_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    cfg->reps = 10;
    cfg->min_sample_s = 0.02;
    cfg->warmup_s = 0.05;
    cfg->max_case_s = 30;
    cfg->pin = true;
    cfg->counters = true;
}

/* ---- running ---- */

static double time_run(const struct mtok_bench_case *c, void *state, uint64_t iters)
{
    uint64_t t0 = mtok_now_ns();
    c->run(state, iters);
    return (double)(mtok_now_ns() - t0) * 1e-9;
}

static void summarise(struct mtok_bench_result *r)
{
    const double *x = r->samples;
    size_t n = r->n_samples;
    r->min_ns = INFINITY;
    for (size_t i = 0; i < n; i++)
        if (x[i] < r->min_ns)
            r->min_ns = x[i];
    r->median_ns = mtok_stats_median(x, n);
    r->mad_ns = mtok_stats_mad(x, n);
    mtok_stats_median_ci(x, n, 0.95, &r->ci_lo_ns, &r->ci_hi_ns);
    const struct mtok_op *op = &r->op;
    r->gflops = op->flops > 0 ? op->flops / r->median_ns : 0; /* FLOP/ns = GFLOP/s */
    r->gbytes_s = mtok_op_bytes(op) > 0 ? mtok_op_bytes(op) / r->median_ns : 0; /* B/ns = GB/s */
}

/* Counters per iteration in one extra sample. */
static void count(struct mtok_bench_result *r, struct mtok_counters *ctr, const char *ctr_error,
                  void *state)
{
    const struct mtok_bench_case *c = r->bc;
    if (!ctr) { /* PAPI unusable: the analytic events are recorded unavailable, with why */
        r->n_counters = MTOK_SDE_COUNT;
        r->counters = mtok_xcalloc(r->n_counters, sizeof *r->counters);
        for (int i = 0; i < MTOK_SDE_COUNT; i++) {
            snprintf(r->counters[i].name, sizeof r->counters[i].name, "sde:::mtok::%s",
                     mtok_sde_name((enum mtok_sde)i));
            mtok_strlcpy(r->counters[i].note, ctr_error, sizeof r->counters[i].note);
        }
        return;
    }
    size_t n = mtok_counters_count(ctr);
    long long *values = mtok_xcalloc(n, sizeof *values);
    struct mtok_error err = {0};
    bool ok = mtok_counters_start(ctr, &err) == MTOK_OK;
    if (ok) {
        c->run(state, r->iters);
        mtok_sde_account(&r->op, r->iters);
        ok = mtok_counters_stop(ctr, values, &err) == MTOK_OK;
    }
    r->n_counters = n;
    r->counters = mtok_xcalloc(n, sizeof *r->counters);
    for (size_t i = 0; i < n; i++) {
        struct mtok_bench_counter *x = &r->counters[i];
        *x = *mtok_counters_info(ctr, i);
        if (!ok) {
            x->available = false;
            mtok_strlcpy(x->note, err.msg, sizeof x->note);
        }
        if (x->available) {
            x->value = (double)values[i] / (double)r->iters;
            if (c->threads > 1 && strncmp(x->name, "sde:::", 6) != 0)
                mtok_strlcpy(x->note, "the calling thread only (thread 0 of the case)",
                             sizeof x->note);
        } else {
            x->value = 0;
        }
    }
    free(values);
}

static void run_case(struct mtok_bench_result *r, const struct mtok_bench_config *cfg,
                     const int *cpus, int n_cpus, struct mtok_counters *ctr, const char *ctr_error)
{
    const struct mtok_bench_case *c = r->bc;
    r->predicted_ns = NAN;
    r->op = c->op;
    if (c->threads > n_cpus) {
        r->status = MTOK_EUNSUPPORTED;
        snprintf(r->error, sizeof r->error, "needs %d CPUs, this process may use %d", c->threads,
                 n_cpus);
        return;
    }
    if (cfg->pin)
        bench_pin(cpus, c->threads, r->pinned, sizeof r->pinned);
    void *state = NULL;
    struct mtok_error err = {0};
    if (c->setup) {
        enum mtok_status s = c->setup(c->ctx, c->threads, &state, &err);
        if (s != MTOK_OK) {
            r->status = s;
            mtok_strlcpy(r->error, err.msg[0] ? err.msg : mtok_status_str(s), sizeof r->error);
            return;
        }
    }
    if (c->op_of)
        c->op_of(state, &r->op);
    /* Scale the iteration count until one sample lasts min_sample_s. This is the first part of
     * the warm-up (caches, page faults, clock ramp). */
    uint64_t iters = 1;
    uint64_t start = mtok_now_ns();
    double t = time_run(c, state, iters);
    while (t < cfg->min_sample_s && iters < (UINT64_C(1) << 40)) {
        double f = t > 0 ? 1.2 * cfg->min_sample_s / t : 100;
        iters = (uint64_t)ceil((double)iters * (f > 100 ? 100 : f < 2 ? 2 : f));
        t = time_run(c, state, iters);
    }
    r->iters = iters;
    while ((double)(mtok_now_ns() - start) * 1e-9 < cfg->warmup_s)
        time_run(c, state, iters);
    /* The samples: at least 10, reps when time allows. */
    r->samples = mtok_xmalloc((size_t)cfg->reps * sizeof *r->samples);
    uint64_t t0 = mtok_now_ns();
    for (int i = 0; i < cfg->reps; i++) {
        double s = time_run(c, state, iters);
        mtok_sde_account(&r->op, iters);
        r->samples[r->n_samples++] = s * 1e9 / (double)iters;
        if (r->n_samples >= 10 && (double)(mtok_now_ns() - t0) * 1e-9 > cfg->max_case_s)
            break;
    }
    summarise(r);
    if (cfg->counters)
        count(r, ctr, ctr_error, state);
    if (c->parts)
        r->n_parts = c->parts(state, &r->parts);
    if (c->teardown)
        c->teardown(state);
    if (cfg->predict) {
        r->predicted_ns = cfg->predict(cfg->predict_ctx, c, &r->op, c->threads, &r->provenance);
        for (size_t i = 0; i < r->n_parts; i++) {
            struct mtok_bench_part *p = &r->parts[i];
            p->op.name = p->name;
            p->predicted_ns =
                p->calls * cfg->predict(cfg->predict_ctx, NULL, &p->op, c->threads, &p->provenance);
        }
    } else {
        for (size_t i = 0; i < r->n_parts; i++)
            r->parts[i].predicted_ns = NAN, r->parts[i].provenance = NULL;
    }
    r->status = MTOK_OK;
}

enum mtok_status mtok_bench_run(const struct mtok_bench_suite *s,
                                const struct mtok_bench_config *cfg, struct mtok_bench_report **out,
                                struct mtok_error *err)
{
    *out = NULL;
    if (cfg->reps < 10)
        return mtok_error_set(err, MTOK_EINVAL, "--reps %d: at least 10 repetitions", cfg->reps);
    if (!(cfg->min_sample_s > 0))
        return mtok_error_set(err, MTOK_EINVAL, "the minimum sample time must be positive");
    regex_t re;
    if (cfg->filter) {
        int rc = regcomp(&re, cfg->filter, REG_EXTENDED | REG_NOSUB);
        if (rc != 0) {
            char msg[256];
            regerror(rc, &re, msg, sizeof msg);
            return mtok_error_set(err, MTOK_EINVAL, "--filter \"%s\": %s", cfg->filter, msg);
        }
    }
    struct mtok_bench_report *rep = mtok_xcalloc(1, sizeof *rep);
    rep->results = mtok_xcalloc(s->n + 1, sizeof *rep->results);
    size_t *sel = mtok_xmalloc((s->n + 1) * sizeof *sel), n_sel = 0;
    char name[256];
    for (size_t i = 0; i < s->n; i++) {
        mtok_bench_case_name(&s->v[i], name, sizeof name);
        if (!cfg->filter || regexec(&re, name, 0, NULL, 0) == 0)
            sel[n_sel++] = i;
    }
    if (cfg->filter)
        regfree(&re);

    struct mtok_counters *ctr = NULL;
    struct mtok_error cerr = {0};
    if (cfg->counters && n_sel)
        mtok_counters_create(&ctr, &cerr);
    int cpus[1024];
    int n_cpus = bench_allowed_cpus(cpus, 1024);
    for (size_t k = 0; k < n_sel; k++) {
        struct mtok_bench_result *r = &rep->results[rep->n++];
        r->bc = &s->v[sel[k]];
        mtok_bench_case_name(r->bc, r->name, sizeof r->name);
        if (cfg->progress)
            cfg->progress(cfg->progress_ctx, k, n_sel, r->name, NULL);
        run_case(r, cfg, cpus, n_cpus, ctr, cerr.msg);
        if (cfg->progress)
            cfg->progress(cfg->progress_ctx, k, n_sel, r->name, r);
    }
    if (cfg->pin)
        bench_unpin();
    mtok_counters_destroy(ctr);
    free(sel);
    *out = rep;
    return MTOK_OK;
}

void mtok_bench_report_destroy(struct mtok_bench_report *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++) {
        free(r->results[i].samples);
        free(r->results[i].counters);
        free(r->results[i].parts);
    }
    free(r->results);
    free(r);
}

void mtok_bench_report_record(const struct mtok_bench_report *rep, struct mtok_run *run)
{
    for (size_t i = 0; i < rep->n; i++) {
        const struct mtok_bench_result *r = &rep->results[i];
        if (r->status == MTOK_EUNSUPPORTED)
            continue;
        const struct mtok_bench_case *c = r->bc;
        bool ok = r->status == MTOK_OK;
        struct mtok_result_row row = {.name = r->name,
                                      .kernel = c->kernel,
                                      .dtype = c->dtype,
                                      .shape = c->shape,
                                      .variant = c->variant,
                                      .threads = c->threads,
                                      .min_ns = ok ? r->min_ns : NAN,
                                      .median_ns = ok ? r->median_ns : NAN,
                                      .mad_ns = ok ? r->mad_ns : NAN,
                                      .ci_lo_ns = ok ? r->ci_lo_ns : NAN,
                                      .ci_hi_ns = ok ? r->ci_hi_ns : NAN,
                                      .flops = r->op.flops,
                                      .bytes = mtok_op_bytes(&r->op),
                                      .kv_bytes = r->op.kv_bytes,
                                      .predicted_ns = isnan(r->predicted_ns) ? 0 : r->predicted_ns,
                                      .provenance = isnan(r->predicted_ns) ? NULL : r->provenance};
        size_t idx = mtok_run_add_result(run, &row);
        mtok_run_set_result_extra(run, idx, (double)r->iters, ok ? NULL : r->error);
        for (size_t k = 0; k < r->n_samples; k++)
            mtok_run_add_sample(run, idx, r->samples[k]);
        for (size_t k = 0; k < r->n_counters; k++) {
            const struct mtok_bench_counter *x = &r->counters[k];
            mtok_run_add_counter(run, idx, x->name, x->value, x->available,
                                 x->note[0] ? x->note : NULL);
        }
        for (size_t k = 0; k < r->n_parts; k++) {
            const struct mtok_bench_part *p = &r->parts[k];
            char name[256], kernel[64], shape[256];
            mtok_bench_part_name(r, k, name, sizeof name);
            snprintf(kernel, sizeof kernel, "%s_op", c->kernel);
            /* the shape is the part of the name between the dtype and the variant */
            const char *s0 = strchr(name, '/');
            s0 = s0 ? strchr(s0 + 1, '/') : NULL;
            snprintf(shape, sizeof shape, "%s", s0 ? s0 + 1 : name);
            char *end = strrchr(shape, '/');
            if (end && c->variant)
                *end = '\0', end = strrchr(shape, '/');
            if (end)
                *end = '\0';
            struct mtok_op op = p->op;
            op.flops *= p->calls, op.other *= p->calls, op.w_bytes *= p->calls;
            op.a_bytes *= p->calls, op.kv_bytes *= p->calls;
            struct mtok_result_row pr = {
                .name = name,
                .kernel = kernel,
                .dtype = mtok_dtype_name(mtok_calib_dtype(&p->op)),
                .shape = shape,
                .variant = c->variant,
                .threads = c->threads,
                .min_ns = p->ns,
                .median_ns = p->ns,
                .mad_ns = NAN,
                .ci_lo_ns = NAN,
                .ci_hi_ns = NAN,
                .flops = op.flops,
                .bytes = mtok_op_bytes(&op),
                .kv_bytes = op.kv_bytes,
                .predicted_ns = isnan(p->predicted_ns) ? 0 : p->predicted_ns,
                .provenance = isnan(p->predicted_ns) ? NULL : p->provenance};
            size_t pi = mtok_run_add_result(run, &pr);
            mtok_run_set_result_extra(run, pi, 1, NULL);
            mtok_run_add_sample(run, pi, p->ns);
        }
    }
}

void mtok_bench_part_name(const struct mtok_bench_result *r, size_t i, char *buf, size_t n)
{
    const struct mtok_bench_case *c = r->bc;
    const struct mtok_bench_part *p = &r->parts[i];
    /* the same op name can run at several shapes (layers of different kinds): number repeats */
    int dup = 0;
    for (size_t k = 0; k < i; k++)
        dup += strcmp(r->parts[k].name, p->name) == 0;
    char suffix[16] = "";
    if (dup)
        snprintf(suffix, sizeof suffix, "#%d", dup + 1);
    snprintf(buf, n, "%s_op/%s/%s:%s:%s%s%s%s/t%d", c->kernel,
             mtok_dtype_name(mtok_calib_dtype(&p->op)), c->shape ? c->shape : "-",
             mtok_op_kind_name(p->op.kind), p->name, suffix, c->variant ? "/" : "",
             c->variant ? c->variant : "", c->threads);
}
