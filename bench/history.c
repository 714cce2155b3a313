/* `mtok history`: each benchmark's median over commits, step changes flagged. The chart is
 * reports/'s (mtok_report_history_chart): reports/ owns gnuplot scripts and running gnuplot. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/internal.h"

struct point_samples {
    double *v;
    size_t n;
};

struct series_build {
    struct mtok_history_series s;
    struct point_samples *samples; /* parallel to s.points */
};

static int find_commit(char **order, size_t n, const char *commit)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(order[i], commit) == 0)
            return (int)i;
    return -1;
}

/* The repository's commits, oldest first (every ref, so that branches order too). */
static size_t git_order(const char *repo, char ***out)
{
    *out = NULL;
    char *text = NULL;
    if (bench_git(repo, &text, "rev-list", "--all", "--topo-order", "--reverse", NULL) != 0 ||
        !text) {
        free(text);
        return 0;
    }
    size_t n = 0, cap = 0;
    for (char *save = NULL, *line = strtok_r(text, "\n", &save); line;
         line = strtok_r(NULL, "\n", &save)) {
        if (n == cap)
            *out = mtok_xrealloc(*out, (cap = cap ? 2 * cap : 256) * sizeof **out);
        (*out)[n++] = mtok_xstrdup(line);
    }
    free(text);
    return n;
}

struct run_point {
    struct mtok_run_summary run; /* the commit's latest complete run */
    char first_at[32];           /* when the commit was first benchmarked: its place in time */
    int order;                   /* position in git order, -1 when unknown */
};

static int cmp_points(const void *a, const void *b)
{
    const struct run_point *x = a, *y = b;
    if (x->order != y->order)
        return x->order < y->order ? -1 : 1;
    int c = strcmp(x->first_at, y->first_at);
    return c ? c : (x->run.id > y->run.id) - (x->run.id < y->run.id);
}

void mtok_history_destroy(struct mtok_history *h)
{
    if (!h)
        return;
    for (size_t i = 0; i < h->n; i++)
        free(h->series[i].points);
    free(h->series);
    free(h);
}

static void flag_steps(struct series_build *sb, const struct mtok_history_opts *o)
{
    size_t n = sb->s.n;
    if (n < 2)
        return;
    double *med = mtok_xmalloc(n * sizeof *med);
    for (size_t i = 0; i < n; i++)
        med[i] = sb->s.points[i].median_ns;
    size_t cps[64];
    size_t ncp = mtok_stats_changepoints(med, n, o->threshold, cps, 64);
    for (size_t c = 0; c < ncp; c++) {
        size_t lo = c ? cps[c - 1] : 0, k = cps[c], hi = c + 1 < ncp ? cps[c + 1] : n;
        /* Pool the raw samples of each side's runs and test them. */
        size_t nl = 0, nr = 0;
        for (size_t i = lo; i < k; i++)
            nl += sb->samples[i].n;
        for (size_t i = k; i < hi; i++)
            nr += sb->samples[i].n;
        double *l = mtok_xmalloc((nl + 1) * sizeof *l), *r = mtok_xmalloc((nr + 1) * sizeof *r);
        nl = nr = 0;
        for (size_t i = lo; i < k; i++)
            for (size_t j = 0; j < sb->samples[i].n; j++)
                l[nl++] = sb->samples[i].v[j];
        for (size_t i = k; i < hi; i++)
            for (size_t j = 0; j < sb->samples[i].n; j++)
                r[nr++] = sb->samples[i].v[j];
        struct mtok_mwu u;
        struct mtok_history_point *p = &sb->s.points[k];
        p->step_ratio = mtok_stats_median(med + k, hi - k) / mtok_stats_median(med + lo, k - lo);
        p->step_p = mtok_stats_mann_whitney(r, nr, l, nl, MTOK_MWU_AUTO, &u) == MTOK_OK ? u.p : NAN;
        p->step = p->step_p < o->alpha;
        free(l), free(r);
    }
    free(med);
}

enum mtok_status mtok_history_build(struct mtok_store *st, const struct mtok_history_opts *o,
                                    struct mtok_history **out, struct mtok_error *err)
{
    *out = NULL;
    regex_t re;
    if (o->filter) {
        int rc = regcomp(&re, o->filter, REG_EXTENDED | REG_NOSUB);
        if (rc != 0) {
            char msg[256];
            regerror(rc, &re, msg, sizeof msg);
            return mtok_error_set(err, MTOK_EINVAL, "--filter \"%s\": %s", o->filter, msg);
        }
    }
    struct mtok_run_summary *runs = NULL;
    size_t nruns = 0;
    if (mtok_store_runs(st, "bench", &runs, &nruns) != MTOK_OK) {
        if (o->filter)
            regfree(&re);
        return mtok_error_set(err, MTOK_EDB, "%s", mtok_store_errmsg(st));
    }
    /* One point per commit: its latest complete run (runs come oldest first). A run without a
     * commit is a point of its own. */
    struct run_point *pts = mtok_xcalloc(nruns + 1, sizeof *pts);
    size_t npts = 0;
    for (size_t i = 0; i < nruns; i++) {
        const struct mtok_run_summary *r = &runs[i];
        if (o->fingerprint && strcmp(r->fingerprint, o->fingerprint) != 0)
            continue;
        bool known = r->git_commit[0] && strcmp(r->git_commit, "unknown") != 0;
        size_t k = npts;
        for (size_t j = 0; known && j < npts; j++)
            if (strcmp(pts[j].run.git_commit, r->git_commit) == 0)
                k = j;
        pts[k].run = *r;
        pts[k].order = -1;
        if (k == npts)
            mtok_strlcpy(pts[npts++].first_at, r->started_at, sizeof pts[k].first_at);
    }
    free(runs);
    char **order = NULL;
    size_t norder = git_order(o->repo_dir, &order);
    bool all_known = norder > 0;
    for (size_t i = 0; i < npts; i++) {
        pts[i].order = norder ? find_commit(order, norder, pts[i].run.git_commit) : -1;
        all_known &= pts[i].order >= 0;
    }
    if (!all_known) /* some commit git does not know: time order for all, consistently */
        for (size_t i = 0; i < npts; i++)
            pts[i].order = -1;
    for (size_t i = 0; i < norder; i++)
        free(order[i]);
    free(order);
    qsort(pts, npts, sizeof *pts, cmp_points);

    struct mtok_history *h = mtok_xcalloc(1, sizeof *h);
    h->git_order = all_known && npts > 0;
    struct series_build *sb = NULL;
    size_t nsb = 0;
    enum mtok_status status = MTOK_OK;
    for (size_t i = 0; i < npts && status == MTOK_OK; i++) {
        struct mtok_stored_result *res = NULL;
        size_t nres = 0;
        if (mtok_store_results(st, pts[i].run.id, &res, &nres) != MTOK_OK) {
            status = mtok_error_set(err, MTOK_EDB, "%s", mtok_store_errmsg(st));
            break;
        }
        for (size_t k = 0; k < nres; k++) {
            const struct mtok_stored_result *r = &res[k];
            if (!r->n_samples || (o->filter && regexec(&re, r->name, 0, NULL, 0) != 0))
                continue;
            size_t s = 0;
            while (s < nsb && strcmp(sb[s].s.name, r->name) != 0)
                s++;
            if (s == nsb) {
                sb = mtok_xrealloc(sb, (nsb + 1) * sizeof *sb);
                memset(&sb[nsb], 0, sizeof *sb);
                mtok_strlcpy(sb[nsb].s.name, r->name, sizeof sb[nsb].s.name);
                sb[nsb].s.points = mtok_xcalloc(npts, sizeof *sb[nsb].s.points);
                sb[nsb].samples = mtok_xcalloc(npts, sizeof *sb[nsb].samples);
                nsb++;
            }
            struct mtok_history_point *p = &sb[s].s.points[sb[s].s.n];
            const struct mtok_run_summary *run = &pts[i].run;
            mtok_strlcpy(p->commit, run->git_commit[0] ? run->git_commit : "unknown",
                         sizeof p->commit);
            mtok_strlcpy(p->run_uuid, run->uuid, sizeof p->run_uuid);
            mtok_strlcpy(p->started_at, run->started_at, sizeof p->started_at);
            p->median_ns = mtok_stats_median(r->samples, r->n_samples);
            p->step_ratio = p->step_p = NAN;
            struct point_samples *ps = &sb[s].samples[sb[s].s.n];
            ps->v = mtok_xmalloc(r->n_samples * sizeof *ps->v);
            memcpy(ps->v, r->samples, r->n_samples * sizeof *ps->v);
            ps->n = r->n_samples;
            sb[s].s.n++;
        }
        mtok_store_results_free(res, nres);
    }
    if (o->filter)
        regfree(&re);
    free(pts);
    h->series = mtok_xcalloc(nsb + 1, sizeof *h->series);
    for (size_t s = 0; s < nsb; s++) {
        if (status == MTOK_OK)
            flag_steps(&sb[s], o);
        for (size_t i = 0; i < sb[s].s.n; i++)
            free(sb[s].samples[i].v);
        free(sb[s].samples);
        h->series[h->n++] = sb[s].s;
    }
    free(sb);
    if (status != MTOK_OK) {
        mtok_history_destroy(h);
        return status;
    }
    *out = h;
    return MTOK_OK;
}
