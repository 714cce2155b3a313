/* Claims: load data/claims/ *.json and evaluate each claim's check with the simulator.
 * Borrows catalog/'s strict JSON checker (catalog/internal.h) for `FILE: FIELD: problem` lines. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/internal.h"
#include "claims/claims.h"

#define MAX_MODELS 4

struct claim {
    char *id, *text, *unit, *metric, *compare, *wprec, *kvprec, *note;
    int article; /* index into articles */
    bool is_bool, stated_bool;
    double stated, tolerance, rel_tolerance, ctx;
    const struct mtok_model *models[MAX_MODELS];
    int n_models;
    const struct mtok_hw *hw;
};

struct article {
    char *id, *title, *date;
};

struct mtok_claims {
    struct claim *c;
    size_t n, cap;
    struct article *a;
    size_t n_a;
    struct mtok_model **owned; /* inline configs */
    size_t n_owned;
};

const char *mtok_verdict_name(enum mtok_verdict v)
{
    static const char *const names[] = {"consistent", "inconsistent", "unverifiable"};
    return (unsigned)v <= MTOK_VERDICT_UNVERIFIABLE ? names[v] : "?";
}

size_t mtok_claims_count(const struct mtok_claims *c) { return c ? c->n : 0; }

void mtok_claims_destroy(struct mtok_claims *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++) {
        struct claim *x = &c->c[i];
        free(x->id), free(x->text), free(x->unit), free(x->metric), free(x->compare);
        free(x->wprec), free(x->kvprec), free(x->note);
    }
    free(c->c);
    for (size_t i = 0; i < c->n_a; i++)
        free(c->a[i].id), free(c->a[i].title), free(c->a[i].date);
    free(c->a);
    for (size_t i = 0; i < c->n_owned; i++)
        mtok_model_destroy(c->owned[i]);
    free(c->owned);
    free(c);
}

/* ---- metrics ---- */

struct eval {
    const struct claim *cl;
    const struct mtok_sim_defaults *d;
    struct mtok_claim_result *r;
};

static void detail(struct eval *e, const char *fmt, ...) MTOK_PRINTF(2, 3);
static void detail(struct eval *e, const char *fmt, ...)
{
    size_t len = strlen(e->r->detail);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->r->detail + len, sizeof e->r->detail - len, fmt, ap);
    va_end(ap);
}

static bool prec(struct eval *e, const struct mtok_model *m, struct mtok_prec *p)
{
    struct mtok_error err = {0};
    if (mtok_prec_resolve(m, e->cl->wprec, e->cl->kvprec, p, &err) != MTOK_OK) {
        detail(e, "%s", err.msg);
        return false;
    }
    return true;
}

static double ctx_of(const struct eval *e) { return e->cl->ctx > 0 ? e->cl->ctx : 1048576; }

static bool m_kv_ratio(struct eval *e, double *v)
{
    const struct mtok_model *a = e->cl->models[0], *b = e->cl->models[1];
    struct mtok_prec pa, pb;
    if (!prec(e, a, &pa) || !prec(e, b, &pb))
        return false;
    double ctx = ctx_of(e);
    double ka = mtok_sim_kv_bytes(a, e->d, &pa, ctx, false);
    double kb = mtok_sim_kv_bytes(b, e->d, &pb, ctx, false);
    *v = ka / kb;
    detail(e, "KV cache of one sequence at %.0f tokens: %s %.4g GB (%.0f B per token, %s KV) vs "
              "%s %.4g GB (%.0f B per token, %s KV).", ctx, a->id, ka / 1e9,
           mtok_sim_kv_slope(a, e->d, &pa), pa.kv_label, b->id, kb / 1e9,
           mtok_sim_kv_slope(b, e->d, &pb), pb.kv_label);
    return true;
}

static bool m_flops_ratio(struct eval *e, double *v)
{
    const struct mtok_model *a = e->cl->models[0], *b = e->cl->models[1];
    struct mtok_prec pa, pb;
    if (!prec(e, a, &pa) || !prec(e, b, &pb))
        return false;
    double ctx = ctx_of(e);
    struct mtok_flops_split sa, sb;
    double fa = mtok_sim_flops_per_token(a, e->d, &pa, ctx, &sa);
    double fb = mtok_sim_flops_per_token(b, e->d, &pb, ctx, &sb);
    *v = fa / fb;
    detail(e, "FLOPs to decode one token at %.0f tokens of context (matrix FLOPs, each counted "
              "once: FP8-equivalent, FP4 indexer at the FP8 rate): %s %.4g G (GEMMs %.4g, "
              "attention %.4g, indexer %.4g) vs %s %.4g G (GEMMs %.4g, attention %.4g, indexer "
              "%.4g).", ctx, a->id, fa / 1e9, sa.gemm / 1e9, sa.attention / 1e9, sa.indexer / 1e9,
           b->id, fb / 1e9, sb.gemm / 1e9, sb.attention / 1e9, sb.indexer / 1e9);
    if (sa.fp4 > 0 || sb.fp4 > 0)
        detail(e, " Of these, %.4g G and %.4g G run in 4-bit arithmetic; counted as half an FP8 "
                  "FLOP each (the FP4 x FP4 rate of Blackwell-class parts) the ratio would be "
                  "%.4g.", sa.fp4 / 1e9, sb.fp4 / 1e9, (fa - sa.fp4 / 2) / (fb - sb.fp4 / 2));
    return true;
}

static void official(struct eval *e, const struct mtok_model *m, double v, double off,
                     const char *what)
{
    if (off > 0)
        detail(e, " The catalog's official %s count for %s is %.4g B (computed %+.2f%%).", what,
               m->id, off / 1e9, 100 * (v / off - 1));
}

static bool m_params_total(struct eval *e, double *v)
{
    const struct mtok_model *m = e->cl->models[0];
    struct mtok_params p;
    mtok_sim_params(m, &p);
    *v = p.total;
    detail(e, "Parameters of %s from its config, embeddings and LM head included, MTP layers "
              "(%.3g B) excluded: %.4g B.", m->id, p.mtp / 1e9, p.total / 1e9);
    official(e, m, p.total, m->official_total, "total");
    return true;
}

static bool m_params_active(struct eval *e, double *v)
{
    const struct mtok_model *m = e->cl->models[0];
    struct mtok_params p;
    mtok_sim_params(m, &p);
    *v = p.active;
    detail(e, "Parameters used per token by %s (routed top-k experts, shared experts, attention, "
              "LM head; one embedding row): %.4g B (%.4g B counting the whole embedding table).",
           m->id, p.active / 1e9, p.active_with_embedding / 1e9);
    official(e, m, p.active, m->official_active, "active");
    return true;
}

static bool m_active_fraction(struct eval *e, double *v)
{
    const struct mtok_model *m = e->cl->models[0];
    struct mtok_params p;
    mtok_sim_params(m, &p);
    *v = p.active / p.total;
    detail(e, "%s: %.4g B active of %.4g B total = %.2f%%.", m->id, p.active / 1e9, p.total / 1e9,
           100 * *v);
    return true;
}

static bool m_params_ratio(struct eval *e, double *v, bool active)
{
    const struct mtok_model *a = e->cl->models[0], *b = e->cl->models[1];
    struct mtok_params pa, pb;
    mtok_sim_params(a, &pa);
    mtok_sim_params(b, &pb);
    double va = active ? pa.active : pa.total, vb = active ? pb.active : pb.total;
    *v = va / vb;
    detail(e, "%s %.4g B / %s %.4g B (%s parameters, MTP layers excluded).", a->id, va / 1e9,
           b->id, vb / 1e9, active ? "active" : "total");
    return true;
}

static bool m_params_ratio_total(struct eval *e, double *v) { return m_params_ratio(e, v, false); }
static bool m_params_ratio_active(struct eval *e, double *v) { return m_params_ratio(e, v, true); }

static bool m_weight_bytes(struct eval *e, double *v)
{
    const struct mtok_model *m = e->cl->models[0];
    struct mtok_prec p;
    if (!prec(e, m, &p))
        return false;
    *v = mtok_sim_weight_bytes(m, &p, true);
    struct mtok_params pa;
    mtok_sim_params(m, &pa);
    detail(e, "Checkpoint of %s at %s weights (experts %s, attention/dense %s, embeddings %s; "
              "block scales included; MTP layers included as in the download): %.4g GB for %.4g B "
              "parameters.", m->id, p.label, mtok_dtype_name(p.w[MTOK_W_EXPERT]),
           mtok_dtype_name(p.w[MTOK_W_ATTN]), mtok_dtype_name(p.w[MTOK_W_EMBED]), *v / 1e9,
           (pa.total + pa.mtp) / 1e9);
    if (m->download_bytes > 0)
        detail(e, " The catalog records a %.4g GB download.", m->download_bytes / 1e9);
    return true;
}

/* Weights + one sequence's KV at ctx + workspace against the usable memory of one device. */
static double need_bytes(struct eval *e, const struct mtok_model *m, const struct mtok_prec *p,
                         double *weights, double *kv)
{
    *weights = mtok_sim_weight_bytes(m, p, false);
    *kv = mtok_sim_kv_bytes(m, e->d, p, e->cl->ctx > 0 ? e->cl->ctx : 4096, false);
    return *weights + *kv + e->d->workspace_bytes;
}

static bool m_fits(struct eval *e, double *v)
{
    const struct mtok_model *m = e->cl->models[0];
    const struct mtok_hw *hw = e->cl->hw;
    struct mtok_prec p;
    if (!prec(e, m, &p))
        return false;
    double w, kv, need = need_bytes(e, m, &p, &w, &kv);
    double usable = hw->mem_bytes * mtok_sim_usable_fraction(e->d, hw);
    *v = need <= usable;
    struct mtok_params pa;
    mtok_sim_params(m, &pa);
    double spare = usable - kv - e->d->workspace_bytes;
    double bits = spare > 0 ? spare * 8 / pa.total : 0;
    detail(e, "%s at %s weights needs %.4g GB of weights + %.3g GB KV for one %.0f-token sequence "
              "+ %.3g GB workspace = %.4g GB; one %s offers %.4g GB usable (%.0f%% of %.4g GB). "
              "The weights would fit at up to %.2f bits per parameter on average.", m->id,
           p.label, w / 1e9, kv / 1e9, e->cl->ctx > 0 ? e->cl->ctx : 4096,
           e->d->workspace_bytes / 1e9, need / 1e9, hw->id, usable / 1e9,
           100 * mtok_sim_usable_fraction(e->d, hw), hw->mem_bytes / 1e9, bits);
    return true;
}

static bool m_min_gpus(struct eval *e, double *v)
{
    const struct mtok_model *m = e->cl->models[0];
    const struct mtok_hw *hw = e->cl->hw;
    struct mtok_prec p;
    if (!prec(e, m, &p))
        return false;
    double w, kv;
    need_bytes(e, m, &p, &w, &kv);
    double usable = hw->mem_bytes * mtok_sim_usable_fraction(e->d, hw) - e->d->workspace_bytes;
    double n = 1;
    while (n < 1e6 && (w + kv) / n > usable)
        n++;
    *v = n;
    int domain = hw->scale_up_domain > 1 ? hw->scale_up_domain : 1;
    detail(e, "%s at %s weights: %.4g GB of weights + %.3g GB KV spread evenly need %.0f %s "
              "(%.4g GB usable each after %.3g GB workspace); its scale-up domain holds %d, so "
              "this is %s.", m->id, p.label, w / 1e9, kv / 1e9, n, hw->id, usable / 1e9,
           e->d->workspace_bytes / 1e9, domain,
           n <= 1 ? "a single device" : n <= domain ? "one multi-GPU node/domain" : "several nodes");
    return true;
}

typedef bool (*metric_fn)(struct eval *e, double *v);

/* The metrics. nmodels: how many models the check names; hw: whether it needs one; is_bool:
 * stated/computed are true/false. */
static const struct metric {
    const char *name;
    metric_fn fn;
    int nmodels;
    bool hw, is_bool;
    const char *unit;
} metrics[] = {
    {"kv_ratio", m_kv_ratio, 2, false, false, "ratio"},
    {"flops_ratio", m_flops_ratio, 2, false, false, "ratio"},
    {"params_total", m_params_total, 1, false, false, "parameters"},
    {"params_active", m_params_active, 1, false, false, "parameters"},
    {"active_fraction", m_active_fraction, 1, false, false, "ratio"},
    {"params_ratio", m_params_ratio_total, 2, false, false, "ratio"},
    {"active_ratio", m_params_ratio_active, 2, false, false, "ratio"},
    {"weight_bytes", m_weight_bytes, 1, false, false, "bytes"},
    {"fits", m_fits, 1, true, true, "bool"},
    {"min_gpus", m_min_gpus, 1, true, false, "devices"},
};
#define N_METRICS (sizeof metrics / sizeof *metrics)

const char *const *mtok_claims_metrics(void)
{
    static const char *names[N_METRICS + 1];
    for (size_t i = 0; i < N_METRICS; i++)
        names[i] = metrics[i].name;
    return names;
}

static const struct metric *find_metric(const char *name)
{
    for (size_t i = 0; i < N_METRICS; i++)
        if (strcmp(metrics[i].name, name) == 0)
            return &metrics[i];
    return NULL;
}

static const char *fmt_val(char *buf, size_t n, double v, const char *unit, bool is_bool)
{
    if (is_bool)
        snprintf(buf, n, "%s", v != 0 ? "true" : "false");
    else if (strcmp(unit, "ratio") == 0)
        snprintf(buf, n, "%.4g", v);
    else if (strcmp(unit, "bytes") == 0)
        snprintf(buf, n, "%.4g GB", v / 1e9);
    else if (strcmp(unit, "parameters") == 0)
        snprintf(buf, n, "%.4g B", v / 1e9);
    else
        snprintf(buf, n, "%.4g", v);
    return buf;
}

void mtok_claims_evaluate(const struct mtok_claims *set, const struct mtok_sim_defaults *d, size_t i,
                          struct mtok_claim_result *r)
{
    memset(r, 0, sizeof *r);
    const struct claim *cl = &set->c[i];
    const struct article *a = &set->a[cl->article];
    const struct metric *mt = find_metric(cl->metric);
    MTOK_ASSERT(mt != NULL); /* the loader only keeps claims with a known metric */
    r->id = cl->id, r->claim = cl->text, r->article = a->id, r->article_title = a->title;
    r->article_date = a->date, r->metric = cl->metric, r->unit = mt->unit;
    r->compare = cl->compare, r->is_bool = cl->is_bool, r->stated = cl->stated;
    r->tolerance = cl->tolerance > 0 ? cl->tolerance : cl->rel_tolerance * fabs(cl->stated);
    struct eval e = {cl, d, r};
    double v = NAN;
    if (!mt->fn(&e, &v) || !isfinite(v)) {
        r->verdict = MTOK_VERDICT_UNVERIFIABLE;
        r->computed = NAN;
        return;
    }
    r->computed = v;
    bool ok;
    if (cl->is_bool)
        ok = (v != 0) == cl->stated_bool;
    else if (strcmp(cl->compare, "ge") == 0)
        ok = v >= cl->stated - r->tolerance;
    else if (strcmp(cl->compare, "le") == 0)
        ok = v <= cl->stated + r->tolerance;
    else
        ok = fabs(v - cl->stated) <= r->tolerance;
    r->verdict = ok ? MTOK_VERDICT_CONSISTENT : MTOK_VERDICT_INCONSISTENT;
    char s1[64], s2[64], s3[64];
    fmt_val(s1, sizeof s1, v, mt->unit, cl->is_bool);
    fmt_val(s2, sizeof s2, cl->stated, mt->unit, cl->is_bool);
    fmt_val(s3, sizeof s3, r->tolerance, mt->unit, false);
    const char *how = cl->is_bool ? "" : strcmp(cl->compare, "ge") == 0 ? " (at least)"
                                       : strcmp(cl->compare, "le") == 0 ? " (at most)" : "";
    detail(&e, " Computed %s vs stated %s%s", s1, s2, how);
    if (!cl->is_bool)
        detail(&e, ", tolerance %s", s3);
    detail(&e, ": %s.", ok ? "consistent" : "inconsistent");
    if (cl->note)
        detail(&e, " Note: %s", cl->note);
}

/* ---- loading ---- */

static const struct mtok_model *resolve_model(struct ck *ck, struct mtok_claims *set,
                                              const struct mtok_catalog *cat, const cJSON *v,
                                              const char *path)
{
    if (cJSON_IsString(v)) {
        const struct mtok_model *m = mtok_catalog_model(cat, v->valuestring);
        if (!m)
            ck_fail(ck, "", path, "\"%s\" is not a catalog model id", v->valuestring);
        return m;
    }
    if (!cJSON_IsObject(v)) {
        ck_fail(ck, "", path, "is neither a model id nor an inline config object");
        return NULL;
    }
    /* an inline config: {"id": "...", "config": { HF config.json fields }} */
    char *id = NULL;
    bool ok = ck_id(ck, v, path, "id", &id);
    const cJSON *cfg = ck_object(ck, v, path, "config", CK_REQUIRED);
    if (!ok || !cfg) {
        free(id);
        return NULL;
    }
    char *text = cJSON_PrintUnformatted(cfg);
    struct mtok_buf name = {0};
    mtok_buf_printf(&name, "%s: %s.config", ck->file, path);
    struct mtok_model *m = NULL;
    size_t before = ck->d->n;
    if (mtok_model_parse(name.data, text, strlen(text), &m, ck->d) != MTOK_OK) {
        ck->errors += ck->d->n - before + (ck->d->n == before);
    } else {
        free(m->id), free(m->name);
        m->id = mtok_xstrdup(id);
        m->name = mtok_xstrdup(id);
        set->owned = mtok_xrealloc(set->owned, (set->n_owned + 1) * sizeof *set->owned);
        set->owned[set->n_owned++] = m;
    }
    cJSON_free(text);
    mtok_buf_free(&name);
    free(id);
    return m;
}

static void parse_check(struct ck *ck, struct mtok_claims *set, const struct mtok_catalog *cat,
                        const cJSON *e, const char *path, struct claim *cl)
{
    char cpath[64];
    snprintf(cpath, sizeof cpath, "%s.check", path);
    const cJSON *chk = ck_object(ck, e, path, "check", CK_REQUIRED);
    if (!chk)
        return;
    static const char *const known[] = {"metric", "models", "hw", "ctx", "wprec", "kvprec",
                                        "tolerance", "rel_tolerance", "compare", "note", NULL};
    ck_known_keys(ck, chk, cpath, known);
    if (!ck_string(ck, chk, cpath, "metric", CK_REQUIRED, 32, &cl->metric))
        return;
    const struct metric *mt = find_metric(cl->metric);
    if (!mt) {
        struct mtok_buf b = {0};
        for (size_t i = 0; i < N_METRICS; i++)
            mtok_buf_printf(&b, "%s%s", i ? ", " : "", metrics[i].name);
        ck_fail(ck, cpath, "metric", "\"%s\" is not a metric (%s)", cl->metric, b.data);
        mtok_buf_free(&b);
        return;
    }
    const cJSON *ms = ck_array(ck, chk, cpath, "models", CK_REQUIRED);
    if (ms && cJSON_GetArraySize(ms) != mt->nmodels) {
        ck_fail(ck, cpath, "models", "metric %s takes %d model%s, not %d", mt->name, mt->nmodels,
                mt->nmodels > 1 ? "s" : "", cJSON_GetArraySize(ms));
    } else if (ms) {
        const cJSON *v;
        int i = 0;
        cJSON_ArrayForEach(v, ms)
        {
            char mp[96];
            snprintf(mp, sizeof mp, "%s.models[%d]", cpath, i);
            cl->models[i++] = resolve_model(ck, set, cat, v, mp);
        }
        cl->n_models = i;
    }
    char *hw = NULL;
    ck_string(ck, chk, cpath, "hw", mt->hw ? CK_REQUIRED : CK_OPTIONAL, 64, &hw);
    if (hw) {
        cl->hw = mtok_catalog_hw(cat, hw);
        if (!cl->hw)
            ck_fail(ck, cpath, "hw", "\"%s\" is not a hardware id", hw);
        free(hw);
    }
    ck_number(ck, chk, cpath, "ctx", CK_OPTIONAL, 1, 1e9, &cl->ctx);
    ck_string(ck, chk, cpath, "wprec", CK_OPTIONAL, 40, &cl->wprec);
    ck_string(ck, chk, cpath, "kvprec", CK_OPTIONAL, 16, &cl->kvprec);
    if (cl->wprec || cl->kvprec) {
        struct mtok_model fake = {.wprec_dense = MTOK_BF16, .wprec_expert = MTOK_BF16,
                                  .wprec_embed = MTOK_BF16};
        struct mtok_prec p;
        struct mtok_error err = {0};
        if (mtok_prec_resolve(&fake, cl->wprec, cl->kvprec, &p, &err) != MTOK_OK)
            ck_fail(ck, cpath, cl->wprec && strstr(err.msg, "wprec") ? "wprec" : "kvprec", "%s",
                    strchr(err.msg, ':') ? strchr(err.msg, ':') + 2 : err.msg);
    }
    cl->is_bool = mt->is_bool;
    ck_number(ck, chk, cpath, "tolerance", CK_OPTIONAL, 0, 1e18, &cl->tolerance);
    ck_number(ck, chk, cpath, "rel_tolerance", CK_OPTIONAL, 0, 10, &cl->rel_tolerance);
    if (!mt->is_bool && !cJSON_GetObjectItemCaseSensitive(chk, "tolerance") &&
        !cJSON_GetObjectItemCaseSensitive(chk, "rel_tolerance"))
        ck_fail(ck, cpath, "tolerance", "missing (give tolerance or rel_tolerance)");
    ck_string(ck, chk, cpath, "compare", CK_OPTIONAL, 8, &cl->compare);
    if (!cl->compare)
        cl->compare = mtok_xstrdup("approx");
    else if (strcmp(cl->compare, "approx") && strcmp(cl->compare, "ge") &&
             strcmp(cl->compare, "le"))
        ck_fail(ck, cpath, "compare", "\"%s\" is not approx, ge or le", cl->compare);
}

enum mtok_status mtok_claims_parse(struct mtok_claims **setp, const char *name, const char *json,
                                   size_t len, const struct mtok_catalog *cat,
                                   struct mtok_diags *diags)
{
    if (!*setp)
        *setp = mtok_xcalloc(1, sizeof **setp);
    struct mtok_claims *set = *setp;
    struct ck ck = {.file = name, .d = diags};
    cJSON *root = ck_parse(&ck, json, len);
    if (!root)
        return MTOK_EINVAL;
    static const char *const known_root[] = {"article", "claims", "note", NULL};
    if (!cJSON_IsObject(root))
        ck_fail(&ck, "", NULL, "is not a JSON object");
    else
        ck_known_keys(&ck, root, "", known_root);
    const cJSON *art = cJSON_IsObject(root) ? ck_object(&ck, root, "", "article", CK_REQUIRED)
                                            : NULL;
    struct article a = {0};
    if (art) {
        static const char *const known_a[] = {"id", "title", "file", "url", "date", "source",
                                              "uncertain", "note", NULL};
        ck_known_keys(&ck, art, "article", known_a);
        ck_id(&ck, art, "article", "id", &a.id);
        ck_string(&ck, art, "article", "title", CK_REQUIRED, 400, &a.title);
        ck_date(&ck, art, "article", "date", CK_REQUIRED, &a.date);
        struct mtok_source src = {0};
        ck_source(&ck, art, "article", &src);
        mtok_source_free(&src);
        for (size_t i = 0; a.id && i < set->n_a; i++)
            if (strcmp(set->a[i].id, a.id) == 0)
                ck_fail(&ck, "article", "id", "\"%s\" is also the id of another claims file", a.id);
    }
    set->a = mtok_xrealloc(set->a, (set->n_a + 1) * sizeof *set->a);
    int art_index = (int)set->n_a;
    set->a[set->n_a++] = a;
    const cJSON *arr = cJSON_IsObject(root) ? ck_array(&ck, root, "", "claims", CK_REQUIRED) : NULL;
    if (arr && cJSON_GetArraySize(arr) == 0)
        ck_fail(&ck, "", "claims", "is empty");
    int i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, arr)
    {
        char path[32];
        snprintf(path, sizeof path, "claims[%d]", i++);
        if (!cJSON_IsObject(e)) {
            ck_fail(&ck, "", path, "is not an object");
            continue;
        }
        static const char *const known[] = {"id", "claim", "stated", "unit", "check", "note",
                                            NULL};
        ck_known_keys(&ck, e, path, known);
        struct claim cl = {.article = art_index};
        size_t before = ck.errors;
        ck_id(&ck, e, path, "id", &cl.id);
        ck_string(&ck, e, path, "claim", CK_REQUIRED, 600, &cl.text);
        ck_string(&ck, e, path, "unit", CK_OPTIONAL, 32, &cl.unit);
        ck_string(&ck, e, path, "note", CK_OPTIONAL, 600, &cl.note);
        parse_check(&ck, set, cat, e, path, &cl);
        const cJSON *st = ck_member(&ck, e, path, "stated", CK_REQUIRED);
        if (st && cl.metric && find_metric(cl.metric)) {
            if (cl.is_bool && !cJSON_IsBool(st))
                ck_fail(&ck, path, "stated", "metric %s needs true or false", cl.metric);
            else if (cl.is_bool)
                cl.stated_bool = cJSON_IsTrue(st), cl.stated = cl.stated_bool;
            else
                ck_number(&ck, e, path, "stated", CK_REQUIRED, -1e18, 1e18, &cl.stated);
        }
        for (size_t k = 0; cl.id && k < set->n; k++)
            if (strcmp(set->c[k].id, cl.id) == 0)
                ck_fail(&ck, path, "id", "\"%s\" is also the id of another claim", cl.id);
        if (ck.errors == before) {
            if (set->n == set->cap)
                set->c = mtok_xrealloc(set->c, (set->cap = set->cap ? 2 * set->cap : 16) *
                                                   sizeof *set->c);
            set->c[set->n++] = cl;
        } else {
            free(cl.id), free(cl.text), free(cl.unit), free(cl.metric), free(cl.compare);
            free(cl.wprec), free(cl.kvprec), free(cl.note);
        }
    }
    cJSON_Delete(root);
    return ck.errors ? MTOK_EINVAL : MTOK_OK;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

enum mtok_status mtok_claims_load(struct mtok_claims **out, const char *data_dir,
                                  const struct mtok_catalog *cat, struct mtok_diags *diags)
{
    *out = NULL;
    char **names = NULL;
    size_t n = 0, cap = 0;
    struct mtok_buf dir = {0};
    if (data_dir)
        mtok_buf_printf(&dir, "%s/claims", data_dir);
    else
        mtok_buf_puts(&dir, "data/claims");
    if (!data_dir) {
        for (size_t i = 0; i < mtok_embedded_count; i++) {
            const char *p = mtok_embedded_files[i].path;
            size_t len = strlen(p);
            if (strncmp(p, "data/claims/", 12) == 0 && !strchr(p + 12, '/') && len > 17 &&
                strcmp(p + len - 5, ".json") == 0) {
                if (n == cap)
                    names = mtok_xrealloc(names, (cap = cap ? 2 * cap : 16) * sizeof *names);
                names[n++] = mtok_xstrdup(p + 12);
            }
        }
    } else {
        DIR *dp = opendir(dir.data);
        if (!dp) {
            mtok_diags_add(diags, dir.data, "(directory)", "cannot be opened");
            mtok_buf_free(&dir);
            return MTOK_EIO;
        }
        struct dirent *e;
        while ((e = readdir(dp))) {
            size_t len = strlen(e->d_name);
            if (e->d_name[0] == '.' || len <= 5 || strcmp(e->d_name + len - 5, ".json") != 0)
                continue;
            if (n == cap)
                names = mtok_xrealloc(names, (cap = cap ? 2 * cap : 16) * sizeof *names);
            names[n++] = mtok_xstrdup(e->d_name);
        }
        closedir(dp);
    }
    if (n)
        qsort(names, n, sizeof *names, cmp_str);
    struct mtok_claims *set = mtok_xcalloc(1, sizeof *set);
    enum mtok_status st = MTOK_OK;
    size_t before = diags->n;
    for (size_t i = 0; i < n; i++) {
        struct mtok_buf path = {0};
        mtok_buf_printf(&path, "%s/%s", dir.data, names[i]);
        char *json = NULL;
        size_t len = 0;
        if (!data_dir) {
            const struct mtok_blob *b = mtok_embedded_find(path.data);
            json = mtok_xmalloc(b->size + 1);
            memcpy(json, b->data, b->size + 1);
            len = b->size;
        } else {
            struct mtok_error err = {0};
            if (mtok_file_read(path.data, MTOK_CATALOG_MAX_FILE, &json, &len, &err) != MTOK_OK) {
                mtok_diags_add(diags, path.data, "(file)", "%s", err.msg);
                st = MTOK_EIO;
            }
        }
        if (json)
            mtok_claims_parse(&set, path.data, json, len, cat, diags);
        free(json);
        mtok_buf_free(&path);
        free(names[i]);
    }
    free(names);
    mtok_buf_free(&dir);
    if (st == MTOK_OK && diags->n != before)
        st = MTOK_EINVAL;
    if (st != MTOK_OK) {
        mtok_claims_destroy(set);
        return st;
    }
    *out = set;
    return MTOK_OK;
}
