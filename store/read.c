/* Reading runs back for reports: runs, simulation rows with their costs, ceilings, results. */
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

static char *col_dup(sqlite3_stmt *s, int i)
{
    const unsigned char *t = sqlite3_column_text(s, i);
    return mtok_xstrdup(t ? (const char *)t : "");
}

static sqlite3_stmt *prep(struct mtok_store *st, const char *sql)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(store_sqlite(st), sql, -1, &s, NULL) != SQLITE_OK) {
        store_fail(st, "prepare");
        sqlite3_finalize(s);
        return NULL;
    }
    return s;
}

#define RUN_COLUMNS                                                                                \
    "SELECT r.id, r.uuid, r.kind, r.suite, r.started_at, r.finished_at, r.host, b.git_commit, "    \
    "b.dirty, r.args FROM run r LEFT JOIN build b ON b.id = r.build_id "

static void run_brief(sqlite3_stmt *s, struct mtok_run_brief *b)
{
    memset(b, 0, sizeof *b);
    b->id = sqlite3_column_int64(s, 0);
    col_text(s, 1, b->uuid, sizeof b->uuid);
    col_text(s, 2, b->kind, sizeof b->kind);
    col_text(s, 3, b->suite, sizeof b->suite);
    col_text(s, 4, b->started_at, sizeof b->started_at);
    col_text(s, 5, b->finished_at, sizeof b->finished_at);
    col_text(s, 6, b->host, sizeof b->host);
    col_text(s, 7, b->git_commit, sizeof b->git_commit);
    b->dirty = sqlite3_column_int(s, 8) != 0;
    col_text(s, 9, b->args, sizeof b->args);
}

enum mtok_status mtok_store_read_last_run(struct mtok_store *st, const char *kind,
                                          const char *suite, struct mtok_run_brief *out)
{
    memset(out, 0, sizeof *out);
    sqlite3_stmt *s = prep(st, RUN_COLUMNS "WHERE r.status = 'complete' AND r.kind = ?1 AND "
                                           "(?2 IS NULL OR r.suite = ?2) ORDER BY r.started_at "
                                           "DESC, r.id DESC LIMIT 1");
    if (!s)
        return MTOK_EDB;
    sqlite3_bind_text(s, 1, kind, -1, SQLITE_TRANSIENT);
    if (suite)
        sqlite3_bind_text(s, 2, suite, -1, SQLITE_TRANSIENT);
    int rc = sqlite3_step(s);
    enum mtok_status ret = MTOK_OK;
    if (rc == SQLITE_ROW)
        run_brief(s, out);
    else if (rc == SQLITE_DONE)
        ret = MTOK_ENOTFOUND;
    else
        ret = store_fail(st, "read run");
    sqlite3_finalize(s);
    return ret;
}

enum mtok_status mtok_store_read_runs(struct mtok_store *st, const char *kind,
                                      struct mtok_run_brief **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *s = prep(st, RUN_COLUMNS "WHERE r.status = 'complete' AND r.kind = ?1 "
                                           "ORDER BY r.started_at, r.id");
    if (!s)
        return MTOK_EDB;
    sqlite3_bind_text(s, 1, kind, -1, SQLITE_TRANSIENT);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            *out = mtok_xrealloc(*out, cap * sizeof **out);
        }
        run_brief(s, &(*out)[(*n)++]);
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) {
        free(*out);
        *out = NULL;
        *n = 0;
        return store_fail(st, "read runs");
    }
    return MTOK_OK;
}

enum mtok_status mtok_store_read_sims(struct mtok_store *st, int64_t run_id,
                                      struct mtok_stored_sim **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *s =
        prep(st, "SELECT id, key, model, hw, deployment, provenance, fits, max_batch, "
                 "ttft_s, tpot_s, tok_s_per_user, tok_s_per_gpu, "
                 "input_tok_s_per_gpu, output_tok_s_per_gpu, weight_bytes, "
                 "kv_bytes_per_token, flops_per_token FROM simulation WHERE "
                 "run_id = ?1 ORDER BY id");
    sqlite3_stmt *c =
        prep(st, "SELECT tier, usd_per_gpu_hour, usd_per_m_input, "
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
        x->key = col_dup(s, 1), x->model = col_dup(s, 2), x->hw = col_dup(s, 3);
        x->deployment = col_dup(s, 4), x->provenance = col_dup(s, 5);
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

enum mtok_status mtok_store_read_ceilings(struct mtok_store *st, int64_t run_id,
                                          struct mtok_stored_ceiling **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *s = prep(st, "SELECT kind, name, level, unit, threads, bytes, value FROM ceiling "
                               "WHERE run_id = ?1 ORDER BY id");
    if (!s)
        return MTOK_EDB;
    sqlite3_bind_int64(s, 1, run_id);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 32;
            *out = mtok_xrealloc(*out, cap * sizeof **out);
        }
        struct mtok_stored_ceiling *x = &(*out)[(*n)++];
        col_text(s, 0, x->kind, sizeof x->kind);
        col_text(s, 1, x->name, sizeof x->name);
        col_text(s, 2, x->level, sizeof x->level);
        col_text(s, 3, x->unit, sizeof x->unit);
        x->threads = sqlite3_column_int(s, 4);
        x->bytes = col_real(s, 5);
        x->value = col_real(s, 6);
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) {
        free(*out);
        *out = NULL;
        *n = 0;
        return store_fail(st, "read ceilings");
    }
    return MTOK_OK;
}

enum mtok_status mtok_store_read_results(struct mtok_store *st, int64_t run_id,
                                         struct mtok_stored_bench **out, size_t *n)
{
    *out = NULL;
    *n = 0;
    sqlite3_stmt *s = prep(st, "SELECT name, kernel, dtype, shape, variant, provenance, threads, "
                               "min_ns, median_ns, mad_ns, flops, bytes, kv_bytes, predicted_ns "
                               "FROM result WHERE run_id = ?1 ORDER BY name");
    if (!s)
        return MTOK_EDB;
    sqlite3_bind_int64(s, 1, run_id);
    size_t cap = 0;
    int rc;
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        if (*n == cap) {
            cap = cap ? 2 * cap : 32;
            *out = mtok_xrealloc(*out, cap * sizeof **out);
        }
        struct mtok_stored_bench *x = &(*out)[(*n)++];
        col_text(s, 0, x->name, sizeof x->name);
        col_text(s, 1, x->kernel, sizeof x->kernel);
        col_text(s, 2, x->dtype, sizeof x->dtype);
        col_text(s, 3, x->shape, sizeof x->shape);
        col_text(s, 4, x->variant, sizeof x->variant);
        col_text(s, 5, x->provenance, sizeof x->provenance);
        x->threads = sqlite3_column_int(s, 6);
        x->min_ns = col_real(s, 7);
        x->median_ns = col_real(s, 8);
        x->mad_ns = col_real(s, 9);
        x->flops = col_real(s, 10);
        x->bytes = col_real(s, 11);
        x->kv_bytes = col_real(s, 12);
        x->predicted_ns = col_real(s, 13);
    }
    sqlite3_finalize(s);
    if (rc != SQLITE_DONE) {
        free(*out);
        *out = NULL;
        *n = 0;
        return store_fail(st, "read results");
    }
    return MTOK_OK;
}
