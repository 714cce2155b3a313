/* Reading runs back: runs, results with their samples, ceilings, calibration points, simulation
 * rows with their costs. The one set of read queries every module uses (store.h). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/internal.h"

static double col_real(sqlite3_stmt *s, int i)
{
    return sqlite3_column_type(s, i) == SQLITE_NULL ? NAN : sqlite3_column_double(s, i);
}

static void col_text(sqlite3_stmt *s, int i, char *buf, size_t n)
{
    const unsigned char *t = sqlite3_column_text(s, i);
    mtok_strlcpy(buf, t ? (const char *)t : "", n);
}

/* A copy of the column, "" for NULL. */
static char *col_dup_empty(sqlite3_stmt *s, int i)
{
    const unsigned char *t = sqlite3_column_text(s, i);
    return mtok_xstrdup(t ? (const char *)t : "");
}

/* A copy of the column, NULL for NULL. */
static char *col_dup(sqlite3_stmt *s, int i)
{
    const unsigned char *t = sqlite3_column_text(s, i);
    return t ? mtok_xstrdup((const char *)t) : NULL;
}

/* ---- runs ---- */

#define RUN_SUMMARY_COLS                                                                           \
    "r.id, r.uuid, r.kind, r.status, r.suite, r.started_at, r.finished_at, r.host, "               \
    "m.fingerprint, m.cpu_model, m.mem_bytes, b.git_commit, b.dirty, b.simd, r.args FROM run r "   \
    "LEFT JOIN machine m ON m.id = r.machine_id LEFT JOIN build b ON b.id = r.build_id "

static void read_summary(sqlite3_stmt *s, struct mtok_run_summary *o)
{
    memset(o, 0, sizeof *o);
    o->id = sqlite3_column_int64(s, 0);
    col_text(s, 1, o->uuid, sizeof o->uuid);
    col_text(s, 2, o->kind, sizeof o->kind);
    col_text(s, 3, o->status, sizeof o->status);
    col_text(s, 4, o->suite, sizeof o->suite);
    col_text(s, 5, o->started_at, sizeof o->started_at);
    col_text(s, 6, o->finished_at, sizeof o->finished_at);
    col_text(s, 7, o->host, sizeof o->host);
    col_text(s, 8, o->fingerprint, sizeof o->fingerprint);
    col_text(s, 9, o->cpu_model, sizeof o->cpu_model);
    o->mem_bytes = sqlite3_column_type(s, 10) == SQLITE_NULL ? 0 : sqlite3_column_double(s, 10);
    col_text(s, 11, o->git_commit, sizeof o->git_commit);
    o->dirty = sqlite3_column_int(s, 12) != 0;
    col_text(s, 13, o->simd, sizeof o->simd);
    col_text(s, 14, o->args, sizeof o->args);
}

enum mtok_status mtok_store_run_get(struct mtok_store *st, int64_t id, struct mtok_run_summary *out)
{
    sqlite3_stmt *s = store_prep(st, "SELECT " RUN_SUMMARY_COLS "WHERE r.id = ?1");
    if (!s)
        return MTOK_EDB;
    sqlite3_bind_int64(s, 1, id);
    int rc = sqlite3_step(s);
    enum mtok_status status = MTOK_OK;
    if (rc == SQLITE_ROW) {
        read_summary(s, out);
    } else if (rc == SQLITE_DONE) {
        store_set_errmsg(st, "no run with id %lld", (long long)id);
        status = MTOK_ENOTFOUND;
    } else {
        status = store_fail(st, "select run");
    }
    sqlite3_finalize(s);
    return status;
}

static bool all_hex(const char *s)
{
    if (!*s)
        return false;
    for (; *s; s++)
        if (!strchr("0123456789abcdefABCDEF", *s))
            return false;
    return true;
}

enum mtok_status mtok_store_run_find_uuid(struct mtok_store *st, const char *uuid, int64_t *id)
{
    size_t n = strlen(uuid);
    if (n < 8 || n > 32 || !all_hex(uuid)) {
        store_set_errmsg(st, "\"%s\" is not a run UUID (8 to 32 hex digits)", uuid);
        return MTOK_EINVAL;
    }
    /* substr() rather than LIKE: a UUID prefix is matched literally, case-insensitively. */
    sqlite3_stmt *s =
        store_prep(st, "SELECT id FROM run WHERE substr(uuid, 1, ?2) = lower(?1) LIMIT 2");
    if (!s)
        return MTOK_EDB;
    store_bind_text(s, 1, uuid);
    sqlite3_bind_int64(s, 2, (sqlite3_int64)n);
    int found = 0, rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        *id = sqlite3_column_int64(s, 0), found++;
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE)
        return store_fail(st, "select run by uuid");
    if (found == 1)
        return MTOK_OK;
    if (found)
        store_set_errmsg(st, "run UUID prefix \"%s\" is ambiguous", uuid);
    else
        store_set_errmsg(st, "no run with UUID \"%s\"", uuid);
    return found ? MTOK_EINVAL : MTOK_ENOTFOUND;
}

enum mtok_status mtok_store_run_latest(struct mtok_store *st, const struct mtok_run_filter *f,
                                       struct mtok_run_summary *out)
{
    memset(out, 0, sizeof *out);
    if (f->commit) {
        /* A prefix must name one commit among the builds of complete runs. */
        sqlite3_stmt *c =
            store_prep(st, "SELECT DISTINCT b.git_commit FROM run r JOIN build b ON "
                           "b.id = r.build_id WHERE r.status = 'complete' AND r.kind = ?1 "
                           "AND substr(b.git_commit, 1, length(?2)) = lower(?2) LIMIT 2");
        if (!c)
            return MTOK_EDB;
        store_bind_text(c, 1, f->kind), store_bind_text(c, 2, f->commit);
        int n = 0, rc;
        while ((rc = sqlite3_step(c)) == SQLITE_ROW)
            n++;
        sqlite3_finalize(c);
        if (rc != SQLITE_DONE)
            return store_fail(st, "select commit");
        if (n > 1) {
            store_set_errmsg(st, "commit prefix \"%s\" matches more than one built commit",
                             f->commit);
            return MTOK_EINVAL;
        }
    }
    sqlite3_stmt *s =
        store_prep(st, "SELECT " RUN_SUMMARY_COLS
                       "WHERE r.status = 'complete' AND r.kind = ?1 AND (?2 IS NULL OR "
                       "substr(b.git_commit, 1, length(?2)) = lower(?2)) AND (?3 IS NULL "
                       "OR m.fingerprint = ?3) AND (?4 IS NULL OR r.suite = ?4) "
                       "ORDER BY r.started_at DESC, r.id DESC LIMIT 1");
    if (!s)
        return MTOK_EDB;
    store_bind_text(s, 1, f->kind), store_bind_text(s, 2, f->commit);
    store_bind_text(s, 3, f->fingerprint), store_bind_text(s, 4, f->suite);
    int rc = sqlite3_step(s);
    enum mtok_status status = MTOK_OK;
    if (rc == SQLITE_ROW) {
        read_summary(s, out);
    } else if (rc == SQLITE_DONE) {
        store_set_errmsg(st, "no complete %s run%s%s%s%s%s", f->kind, f->suite ? " of suite " : "",
                         f->suite ? f->suite : "", f->commit ? " of commit " : "",
                         f->commit ? f->commit : "", f->fingerprint ? " on this machine" : "");
        status = MTOK_ENOTFOUND;
    } else {
        status = store_fail(st, "select latest run");
    }
    sqlite3_finalize(s);
    return status;
}

enum mtok_status mtok_store_runs(struct mtok_store *st, const char *kind,
                                 struct mtok_run_summary **out, size_t *n)
{
    *out = NULL, *n = 0;
    sqlite3_stmt *s = store_prep(st, "SELECT " RUN_SUMMARY_COLS "WHERE r.status = 'complete' AND "
                                     "r.kind = ?1 ORDER BY r.started_at, r.id");
    if (!s)
        return MTOK_EDB;
    store_bind_text(s, 1, kind);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            *out = mtok_xrealloc(*out, cap * sizeof **out);
        }
        read_summary(s, &(*out)[(*n)++]);
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) {
        free(*out);
        *out = NULL, *n = 0;
        return store_fail(st, "select runs");
    }
    return MTOK_OK;
}

/* ---- results ---- */

void mtok_store_results_free(struct mtok_stored_result *r, size_t n)
{
    for (size_t i = 0; r && i < n; i++) {
        free(r[i].name), free(r[i].kernel), free(r[i].dtype), free(r[i].shape);
        free(r[i].variant), free(r[i].provenance), free(r[i].error), free(r[i].samples);
    }
    free(r);
}

enum mtok_status mtok_store_results(struct mtok_store *st, int64_t run_id,
                                    struct mtok_stored_result **out, size_t *n)
{
    *out = NULL, *n = 0;
    sqlite3_stmt *s =
        store_prep(st, "SELECT id, name, kernel, dtype, shape, variant, provenance, error, "
                       "threads, iters, min_ns, median_ns, mad_ns, ci_lo_ns, ci_hi_ns, "
                       "flops, bytes, kv_bytes, predicted_ns, n_samples FROM result "
                       "WHERE run_id = ?1 ORDER BY name");
    sqlite3_stmt *q = store_prep(st, "SELECT ns FROM sample WHERE result_id = ?1 ORDER BY idx");
    if (!s || !q) {
        sqlite3_finalize(s), sqlite3_finalize(q);
        return MTOK_EDB;
    }
    sqlite3_bind_int64(s, 1, run_id);
    size_t cap = 0;
    int rc = SQLITE_DONE;
    bool ok = true;
    while (ok && (rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            *out = mtok_xrealloc(*out, cap * sizeof **out);
        }
        struct mtok_stored_result *r = &(*out)[(*n)++];
        memset(r, 0, sizeof *r);
        r->id = sqlite3_column_int64(s, 0);
        r->name = col_dup(s, 1), r->kernel = col_dup(s, 2), r->dtype = col_dup(s, 3);
        r->shape = col_dup(s, 4), r->variant = col_dup(s, 5), r->provenance = col_dup(s, 6);
        r->error = col_dup(s, 7);
        r->threads = sqlite3_column_int(s, 8);
        r->iters = col_real(s, 9), r->min_ns = col_real(s, 10), r->median_ns = col_real(s, 11);
        r->mad_ns = col_real(s, 12), r->ci_lo_ns = col_real(s, 13), r->ci_hi_ns = col_real(s, 14);
        r->flops = col_real(s, 15), r->bytes = col_real(s, 16), r->kv_bytes = col_real(s, 17);
        r->predicted_ns = col_real(s, 18);
        size_t want = (size_t)sqlite3_column_int64(s, 19);
        r->samples = mtok_xmalloc((want + 1) * sizeof *r->samples);
        sqlite3_bind_int64(q, 1, r->id);
        int qrc;
        while ((qrc = sqlite3_step(q)) == SQLITE_ROW) {
            if (r->n_samples == want) { /* n_samples disagrees with the sample rows: trust rows */
                want = 2 * want + 1;
                r->samples = mtok_xrealloc(r->samples, (want + 1) * sizeof *r->samples);
            }
            r->samples[r->n_samples++] = sqlite3_column_double(q, 0);
        }
        ok = qrc == SQLITE_DONE || (store_fail(st, "select samples"), false);
        sqlite3_reset(q);
    }
    if (ok && rc != SQLITE_DONE)
        ok = (store_fail(st, "select results"), false);
    sqlite3_finalize(s), sqlite3_finalize(q);
    if (!ok) {
        mtok_store_results_free(*out, *n);
        *out = NULL, *n = 0;
        return MTOK_EDB;
    }
    return MTOK_OK;
}

/* ---- rows whose strings live in one allocation with them ---- */

/* Run `s` (bound already) twice: count rows and the bytes of the text columns cols[0..ncols), then
 * fill one block of `rows` structs of size `size` followed by the strings. For each row, fill(row,
 * s, strs) is called with strs[k] pointing at the copy of text column cols[k] (NULL for NULL). */
static enum mtok_status read_block(struct mtok_store *st, sqlite3_stmt *s, const int *cols,
                                   int ncols, size_t size, void **out, size_t *n,
                                   void (*fill)(void *row, sqlite3_stmt *s, const char **strs),
                                   const char *what)
{
    *out = NULL, *n = 0;
    size_t rows = 0, chars = 0;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        rows++;
        for (int k = 0; k < ncols; k++)
            chars += (size_t)sqlite3_column_bytes(s, cols[k]) + 1;
    }
    if (rc != SQLITE_DONE) {
        sqlite3_finalize(s);
        return store_fail(st, what);
    }
    sqlite3_reset(s);
    char *block = mtok_xcalloc(1, rows * size + chars + 1);
    char *p = block + rows * size;
    size_t i = 0;
    while (i < rows && sqlite3_step(s) == SQLITE_ROW) {
        const char *strs[16] = {0};
        for (int k = 0; k < ncols && k < 16; k++) {
            const unsigned char *t = sqlite3_column_text(s, cols[k]);
            if (!t)
                continue;
            size_t len = strlen((const char *)t);
            memcpy(p, t, len + 1);
            strs[k] = p;
            p += len + 1;
        }
        fill(block + i * size, s, strs);
        i++;
    }
    sqlite3_finalize(s);
    *out = block, *n = i;
    return MTOK_OK;
}

static void fill_ceiling(void *row, sqlite3_stmt *s, const char **strs)
{
    struct mtok_ceiling_row *v = row;
    v->kind = strs[0], v->name = strs[1], v->level = strs[2], v->unit = strs[3];
    v->threads = sqlite3_column_int(s, 3);
    v->bytes = sqlite3_column_double(s, 4);
    v->value = sqlite3_column_double(s, 5);
}

enum mtok_status mtok_store_ceilings(struct mtok_store *st, int64_t run_id,
                                     struct mtok_ceiling_row **out, size_t *n)
{
    *out = NULL, *n = 0;
    sqlite3_stmt *s =
        store_prep(st, "SELECT kind, name, level, threads, bytes, value, unit FROM ceiling "
                       "WHERE run_id = ?1 ORDER BY id");
    if (!s)
        return MTOK_EDB;
    sqlite3_bind_int64(s, 1, run_id);
    static const int cols[] = {0, 1, 2, 6};
    void *v = NULL;
    enum mtok_status r =
        read_block(st, s, cols, 4, sizeof **out, &v, n, fill_ceiling, "select ceilings");
    *out = v;
    return r;
}

static void fill_calib(void *row, sqlite3_stmt *s, const char **strs)
{
    struct mtok_calib_row *v = row;
    v->name = strs[0], v->hw = strs[1], v->op_kind = strs[2], v->dtype = strs[3];
    v->bound = strs[4];
    v->threads = sqlite3_column_int(s, 5);
    v->size = col_real(s, 6);
    v->utilisation = col_real(s, 7);
    v->compute_size = col_real(s, 8);
    v->memory_size = col_real(s, 9);
    v->sol_compute_ns = col_real(s, 10);
    v->sol_memory_ns = col_real(s, 11);
    v->latency_ns = col_real(s, 12);
    v->measured_ns = col_real(s, 13);
}

enum mtok_status mtok_store_calibration(struct mtok_store *st, int64_t run_id,
                                        struct mtok_calib_row **out, size_t *n)
{
    *out = NULL, *n = 0;
    sqlite3_stmt *s =
        store_prep(st, "SELECT name, hw, op_kind, dtype, bound, threads, size, "
                       "utilisation, compute_size, memory_size, sol_compute_ns, "
                       "sol_memory_ns, latency_ns, measured_ns FROM calibration WHERE "
                       "run_id = ?1 ORDER BY id");
    if (!s)
        return MTOK_EDB;
    sqlite3_bind_int64(s, 1, run_id);
    static const int cols[] = {0, 1, 2, 3, 4};
    void *v = NULL;
    enum mtok_status r =
        read_block(st, s, cols, 5, sizeof **out, &v, n, fill_calib, "select calibration");
    *out = v;
    return r;
}

/* ---- simulations ---- */

enum mtok_status mtok_store_sims(struct mtok_store *st, int64_t run_id,
                                 struct mtok_stored_sim **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *s =
        store_prep(st, "SELECT id, key, model, hw, deployment, provenance, fits, max_batch, "
                       "ttft_s, tpot_s, tok_s_per_user, tok_s_per_gpu, "
                       "input_tok_s_per_gpu, output_tok_s_per_gpu, weight_bytes, "
                       "kv_bytes_per_token, flops_per_token FROM simulation WHERE "
                       "run_id = ?1 ORDER BY id");
    sqlite3_stmt *c =
        store_prep(st, "SELECT tier, usd_per_gpu_hour, usd_per_m_input, "
                       "usd_per_m_cached_input, usd_per_m_output, usd_per_m_total FROM cost "
                       "WHERE simulation_id = ?1 ORDER BY id");
    if (!s || !c) {
        sqlite3_finalize(s);
        sqlite3_finalize(c);
        return MTOK_EDB;
    }
    sqlite3_bind_int64(s, 1, run_id);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 64;
            *out = mtok_xrealloc(*out, cap * sizeof **out);
        }
        struct mtok_stored_sim *x = &(*out)[(*n)++];
        memset(x, 0, sizeof *x);
        x->id = sqlite3_column_int64(s, 0);
        x->key = col_dup_empty(s, 1), x->model = col_dup_empty(s, 2);
        x->hw = col_dup_empty(s, 3), x->deployment = col_dup_empty(s, 4);
        x->provenance = col_dup_empty(s, 5);
        x->fits = sqlite3_column_int(s, 6) != 0;
        double *v[] = {&x->max_batch,
                       &x->ttft_s,
                       &x->tpot_s,
                       &x->tok_s_per_user,
                       &x->tok_s_per_gpu,
                       &x->input_tok_s_per_gpu,
                       &x->output_tok_s_per_gpu,
                       &x->weight_bytes,
                       &x->kv_bytes_per_token,
                       &x->flops_per_token};
        for (int i = 0; i < 10; i++)
            *v[i] = col_real(s, 7 + i);
        sqlite3_reset(c);
        sqlite3_bind_int64(c, 1, x->id);
        size_t ccap = 0;
        int crc;
        while ((crc = sqlite3_step(c)) == SQLITE_ROW) {
            if (x->n_costs == ccap) {
                ccap = ccap ? 2 * ccap : 4;
                x->costs = mtok_xrealloc(x->costs, ccap * sizeof *x->costs);
            }
            struct mtok_stored_cost *k = &x->costs[x->n_costs++];
            col_text(c, 0, k->tier, sizeof k->tier);
            k->usd_per_gpu_hour = col_real(c, 1);
            k->usd_per_m_input = col_real(c, 2);
            k->usd_per_m_cached_input = col_real(c, 3);
            k->usd_per_m_output = col_real(c, 4);
            k->usd_per_m_total = col_real(c, 5);
        }
        if (crc != SQLITE_DONE) {
            rc = crc;
            break;
        }
    }
    sqlite3_finalize(s);
    sqlite3_finalize(c);
    if (rc != SQLITE_DONE) {
        enum mtok_status e = store_fail(st, "read simulations");
        mtok_store_sims_free(*out, *n);
        *out = NULL;
        *n = 0;
        return e;
    }
    return MTOK_OK;
}

void mtok_store_sims_free(struct mtok_stored_sim *s, size_t n)
{
    for (size_t i = 0; s && i < n; i++) {
        free(s[i].key), free(s[i].model), free(s[i].hw), free(s[i].deployment);
        free(s[i].provenance), free(s[i].costs);
    }
    free(s);
}
