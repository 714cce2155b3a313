/* `mtok compare BASE HEAD`: per benchmark, a two-sided Mann-Whitney U test on the raw samples and
 * a ratio threshold, as asv compare does. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench/internal.h"

static bool all_of(const char *s, const char *set)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!strchr(set, *s))
            return false;
    return true;
}

static enum mtok_status check_complete(struct mtok_store *st, int64_t id, const char *spec,
                                       const char *kind, struct mtok_error *err)
{
    struct mtok_run_summary r;
    if (mtok_store_run_get(st, id, &r) != MTOK_OK)
        return mtok_error_set(err, MTOK_ENOTFOUND, "%s", mtok_store_errmsg(st));
    if (strcmp(r.status, "complete") != 0)
        return mtok_error_set(err, MTOK_EINVAL, "%s: run %s is %s, not complete", spec, r.uuid,
                              r.status);
    if (strcmp(r.kind, kind) != 0)
        return mtok_error_set(err, MTOK_EINVAL, "%s: run %s is a %s run, not %s", spec, r.uuid,
                              r.kind, kind);
    return MTOK_OK;
}

enum mtok_status mtok_compare_resolve(struct mtok_store *st, const char *spec, const char *kind,
                                      struct mtok_store **run_store, int64_t *run_id,
                                      struct mtok_error *err)
{
    *run_store = st;
    *run_id = 0;
    if (!spec || !*spec)
        return mtok_error_set(err, MTOK_EINVAL, "an empty run specification");

    /* A database file. */
    struct stat sb;
    if (stat(spec, &sb) == 0 && S_ISREG(sb.st_mode)) {
        struct mtok_store *other = NULL;
        struct mtok_error e = {0};
        if (mtok_store_open(&other, spec, &e) != MTOK_OK)
            return mtok_error_set(err, MTOK_EINVAL, "%s", e.msg);
        struct mtok_run_summary latest;
        if (mtok_store_run_latest(other, &(struct mtok_run_filter){.kind = kind}, &latest) !=
            MTOK_OK) {
            mtok_error_set(err, MTOK_ENOTFOUND, "%s", mtok_store_errmsg(other));
            mtok_store_close(other);
            return MTOK_ENOTFOUND;
        }
        *run_store = other;
        *run_id = latest.id;
        return MTOK_OK;
    }
    /* A run id. */
    if (all_of(spec, "0123456789") && strlen(spec) <= 18) {
        struct mtok_run_summary r;
        int64_t id = strtoll(spec, NULL, 10);
        if (mtok_store_run_get(st, id, &r) == MTOK_OK) {
            *run_id = id;
            return check_complete(st, id, spec, kind, err);
        }
    }
    /* A run UUID or a unique prefix of one. */
    size_t len = strlen(spec);
    if (all_of(spec, "0123456789abcdefABCDEF") && len >= 8 && len <= 32) {
        int64_t id;
        enum mtok_status s = mtok_store_run_find_uuid(st, spec, &id);
        if (s == MTOK_OK) {
            *run_id = id;
            return check_complete(st, id, spec, kind, err);
        }
        if (s == MTOK_EINVAL)
            return mtok_error_set(err, s, "%s", mtok_store_errmsg(st));
    }
    /* A commit: whatever git understands here (HEAD~3, a tag, a short hash), else a prefix of a
     * stored commit hash. */
    char *full = NULL;
    char rev[300];
    snprintf(rev, sizeof rev, "%s^{commit}", spec);
    const char *commit = NULL;
    if (spec[0] != '-' &&
        bench_git(NULL, &full, "rev-parse", "--verify", "--quiet", rev, NULL) == 0 && full &&
        all_of(full, "0123456789abcdef"))
        commit = full;
    else if (all_of(spec, "0123456789abcdefABCDEF") && len >= 4)
        commit = spec;
    enum mtok_status s = MTOK_ENOTFOUND;
    if (commit) {
        struct mtok_run_summary latest;
        s = mtok_store_run_latest(st, &(struct mtok_run_filter){.kind = kind, .commit = commit},
                                  &latest);
        if (s == MTOK_OK)
            *run_id = latest.id;
        else
            mtok_error_set(err, s, "%s", mtok_store_errmsg(st));
    } else {
        mtok_error_set(err, MTOK_ENOTFOUND,
                       "\"%s\" is not a database file, run id, run UUID or known commit", spec);
    }
    free(full);
    return s;
}

/* ---- the comparison ---- */

void mtok_compare_destroy(struct mtok_compare *c)
{
    if (!c)
        return;
    free(c->rows);
    free(c);
}

int mtok_compare_verdict(const struct mtok_compare *c)
{
    for (size_t i = 0; i < c->n; i++)
        if (c->rows[i].mark == MTOK_MARK_WORSE ||
            (c->rows[i].mark == MTOK_MARK_FAILED && c->rows[i].head_failed))
            return 1;
    return 0;
}

static bool failed(const struct mtok_stored_result *r, char *why, size_t n, const char *side)
{
    if (r->error) {
        snprintf(why, n, "%s: %s", side, r->error);
        return true;
    }
    if (!r->n_samples) {
        snprintf(why, n, "%s: no samples", side);
        return true;
    }
    return false;
}

static void compare_one(struct mtok_compare_row *row, const struct mtok_stored_result *b,
                        const struct mtok_stored_result *h, bool same_machine,
                        const struct mtok_compare_opts *o)
{
    row->base_ns = b && b->n_samples ? mtok_stats_median(b->samples, b->n_samples) : NAN;
    row->head_ns = h && h->n_samples ? mtok_stats_median(h->samples, h->n_samples) : NAN;
    row->ratio = row->head_ns / row->base_ns;
    row->p = NAN;
    row->n_base = b ? b->n_samples : 0;
    row->n_head = h ? h->n_samples : 0;
    if (!b || !h) {
        row->mark = MTOK_MARK_NOT_COMPARABLE;
        snprintf(row->why, sizeof row->why, "only in %s", b ? "base" : "head");
        return;
    }
    if (!same_machine) {
        row->mark = MTOK_MARK_NOT_COMPARABLE;
        snprintf(row->why, sizeof row->why, "different machines");
        return;
    }
    char whyb[128], whyh[128];
    bool fb = failed(b, whyb, sizeof whyb, "base"), fh = failed(h, whyh, sizeof whyh, "head");
    if (fb || fh) {
        row->mark = MTOK_MARK_FAILED;
        row->head_failed = fh && !fb;
        snprintf(row->why, sizeof row->why, "%s", fh ? whyh : whyb);
        return;
    }
    struct mtok_mwu u;
    if (mtok_stats_mann_whitney(h->samples, h->n_samples, b->samples, b->n_samples, MTOK_MWU_AUTO,
                                &u) != MTOK_OK) {
        row->mark = MTOK_MARK_FAILED;
        snprintf(row->why, sizeof row->why, "samples are not numbers");
        return;
    }
    row->p = u.p;
    bool significant = u.p < o->alpha;
    if (significant && row->ratio > 1 + o->threshold)
        row->mark = MTOK_MARK_WORSE;
    else if (significant && row->ratio < 1 / (1 + o->threshold))
        row->mark = MTOK_MARK_BETTER;
    else
        row->mark = MTOK_MARK_SAME;
}

enum mtok_status mtok_compare_runs(struct mtok_store *base_st, int64_t base_run,
                                   struct mtok_store *head_st, int64_t head_run,
                                   const struct mtok_compare_opts *o, struct mtok_compare **out,
                                   struct mtok_error *err)
{
    *out = NULL;
    struct mtok_compare *c = mtok_xcalloc(1, sizeof *c);
    struct mtok_stored_result *b = NULL, *h = NULL;
    size_t nb = 0, nh = 0;
    if (mtok_store_run_get(base_st, base_run, &c->base) != MTOK_OK ||
        mtok_store_results(base_st, base_run, &b, &nb) != MTOK_OK) {
        mtok_error_set(err, MTOK_EDB, "base: %s", mtok_store_errmsg(base_st));
        goto fail;
    }
    if (mtok_store_run_get(head_st, head_run, &c->head) != MTOK_OK ||
        mtok_store_results(head_st, head_run, &h, &nh) != MTOK_OK) {
        mtok_error_set(err, MTOK_EDB, "head: %s", mtok_store_errmsg(head_st));
        goto fail;
    }
    c->same_machine =
        c->base.fingerprint[0] && strcmp(c->base.fingerprint, c->head.fingerprint) == 0;
    c->rows = mtok_xcalloc(nb + nh + 1, sizeof *c->rows);
    /* Both lists are sorted by name: merge them. */
    size_t i = 0, k = 0;
    while (i < nb || k < nh) {
        int cmp = i == nb ? 1 : k == nh ? -1 : strcmp(b[i].name, h[k].name);
        struct mtok_compare_row *row = &c->rows[c->n++];
        const struct mtok_stored_result *rb = cmp <= 0 ? &b[i] : NULL;
        const struct mtok_stored_result *rh = cmp >= 0 ? &h[k] : NULL;
        const struct mtok_stored_result *named = rb ? rb : rh;
        MTOK_ASSERT(named);
        mtok_strlcpy(row->name, named->name, sizeof row->name);
        compare_one(row, rb, rh, c->same_machine, o);
        i += rb != NULL, k += rh != NULL;
        switch (row->mark) {
        case MTOK_MARK_WORSE: c->worse++; break;
        case MTOK_MARK_BETTER: c->better++; break;
        case MTOK_MARK_SAME: c->same++; break;
        case MTOK_MARK_FAILED: c->failed++; break;
        case MTOK_MARK_NOT_COMPARABLE: c->not_comparable++; break;
        }
    }
    mtok_store_results_free(b, nb);
    mtok_store_results_free(h, nh);
    *out = c;
    return MTOK_OK;
fail:
    mtok_store_results_free(b, nb);
    mtok_store_results_free(h, nh);
    mtok_compare_destroy(c);
    return MTOK_EDB;
}
