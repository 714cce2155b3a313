/* The workload planner: a workload's monthly cost on every API in the price book and self-hosted on
 * every hardware target (devices at peak for the latency target, utilisation at average load),
 * cheapest first, with the break-even volume against a reference API. Workload files are checked
 * with catalog/'s strict JSON checker. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "catalog/internal.h"
#include "pricing/pricing.h"

#define SECONDS_PER_DAY 86400.0

/* ---- the workload ---- */

void mtok_workload_spec_init(struct mtok_workload_spec *w)
{
    memset(w, 0, sizeof *w);
    w->peak_to_average = 1;
    w->days_per_month = 365.0 / 12;
}

void mtok_workload_spec_free(struct mtok_workload_spec *w)
{
    if (!w)
        return;
    free(w->id), free(w->description), free(w->model), free(w->date), free(w->note);
    free(w->source), free(w->file);
    mtok_workload_spec_init(w);
}

static char *dup_or_null(const char *s)
{
    return s ? mtok_xstrdup(s) : NULL;
}

static void spec_copy(struct mtok_workload_spec *dst, const struct mtok_workload_spec *src)
{
    *dst = *src;
    dst->id = dup_or_null(src->id), dst->description = dup_or_null(src->description);
    dst->model = dup_or_null(src->model), dst->date = dup_or_null(src->date);
    dst->note = dup_or_null(src->note), dst->source = dup_or_null(src->source);
    dst->file = dup_or_null(src->file);
}

enum mtok_status mtok_workload_check(const struct mtok_workload_spec *w, struct mtok_error *err)
{
    if (!w->model || !*w->model)
        return mtok_error_set(err, MTOK_EINVAL, "model: missing (the model to self-host)");
    if (!(w->requests_per_day > 0 && w->requests_per_day <= 1e12))
        return mtok_error_set(err, MTOK_EINVAL, "requests_per_day: %g is not in (0, 1e12]",
                              w->requests_per_day);
    if (!(w->input_tokens >= 0 && w->input_tokens <= 1e8))
        return mtok_error_set(err, MTOK_EINVAL, "input_tokens: %g is not in [0, 1e8]",
                              w->input_tokens);
    if (!(w->output_tokens >= 0 && w->output_tokens <= 1e8))
        return mtok_error_set(err, MTOK_EINVAL, "output_tokens: %g is not in [0, 1e8]",
                              w->output_tokens);
    if (!(w->input_tokens + w->output_tokens > 0))
        return mtok_error_set(err, MTOK_EINVAL, "input_tokens: a request needs some tokens");
    if (!(w->cache_hit_share >= 0 && w->cache_hit_share < 1))
        return mtok_error_set(err, MTOK_EINVAL, "cache_hit_share: %g is not in [0, 1)",
                              w->cache_hit_share);
    if (!(w->peak_to_average >= 1 && w->peak_to_average <= 1000))
        return mtok_error_set(err, MTOK_EINVAL, "peak_to_average: %g is not in [1, 1000]",
                              w->peak_to_average);
    if (!(w->tps_user >= 0 && w->tps_user < 1e6))
        return mtok_error_set(err, MTOK_EINVAL, "tps_user: %g is not a speed", w->tps_user);
    if (!(w->ttft_s >= 0 && w->ttft_s < 1e5))
        return mtok_error_set(err, MTOK_EINVAL, "ttft_s: %g is not a time", w->ttft_s);
    if (!(w->days_per_month >= 1 && w->days_per_month <= 31))
        return mtok_error_set(err, MTOK_EINVAL, "days_per_month: %g is not in [1, 31]",
                              w->days_per_month);
    return MTOK_OK;
}

enum mtok_status mtok_workload_parse(struct mtok_workload_spec *out, const char *name,
                                     const char *json, size_t len, const struct mtok_catalog *cat,
                                     struct mtok_diags *diags)
{
    mtok_workload_spec_init(out);
    struct ck ck = {.file = name, .d = diags};
    cJSON *root = ck_parse(&ck, json, len);
    if (!root)
        return MTOK_EINVAL;
    struct mtok_workload_spec w;
    mtok_workload_spec_init(&w);
    if (!cJSON_IsObject(root)) {
        ck_fail(&ck, "", NULL, "is not a JSON object");
    } else {
        static const char *const known[] = {"workload",
                                            "description",
                                            "model",
                                            "requests_per_day",
                                            "input_tokens",
                                            "output_tokens",
                                            "cache_hit_share",
                                            "peak_to_average",
                                            "tps_user",
                                            "ttft_s",
                                            "days_per_month",
                                            "price_date",
                                            "source",
                                            "note",
                                            NULL};
        ck_known_keys(&ck, root, "", known);
        ck_id(&ck, root, "", "workload", &w.id);
        ck_string(&ck, root, "", "description", CK_OPTIONAL, 600, &w.description);
        if (ck_string(&ck, root, "", "model", CK_REQUIRED, 64, &w.model) &&
            !mtok_catalog_model(cat, w.model))
            ck_fail(&ck, "", "model", "\"%s\" is not a catalog model id", w.model);
        ck_number(&ck, root, "", "requests_per_day", CK_REQUIRED, 1e-6, 1e12, &w.requests_per_day);
        ck_number(&ck, root, "", "input_tokens", CK_REQUIRED, 0, 1e8, &w.input_tokens);
        ck_number(&ck, root, "", "output_tokens", CK_REQUIRED, 0, 1e8, &w.output_tokens);
        if (ck.errors == 0 && !(w.input_tokens + w.output_tokens > 0))
            ck_fail(&ck, "", "input_tokens", "a request needs some input or output tokens");
        ck_number(&ck, root, "", "cache_hit_share", CK_OPTIONAL, 0, 0.999999, &w.cache_hit_share);
        ck_number(&ck, root, "", "peak_to_average", CK_OPTIONAL, 1, 1000, &w.peak_to_average);
        /* optional; null = no target */
        if (cJSON_GetObjectItemCaseSensitive(root, "tps_user"))
            ck_number_or_null(&ck, root, "", "tps_user", 0, 1e6, &w.tps_user);
        if (cJSON_GetObjectItemCaseSensitive(root, "ttft_s"))
            ck_number_or_null(&ck, root, "", "ttft_s", 0, 1e5, &w.ttft_s);
        ck_number(&ck, root, "", "days_per_month", CK_OPTIONAL, 1, 31, &w.days_per_month);
        ck_date(&ck, root, "", "price_date", CK_OPTIONAL, &w.date);
        ck_string(&ck, root, "", "source", CK_OPTIONAL, 600, &w.source);
        ck_string(&ck, root, "", "note", CK_OPTIONAL, 2000, &w.note);
    }
    cJSON_Delete(root);
    if (ck.errors) {
        mtok_workload_spec_free(&w);
        return MTOK_EINVAL;
    }
    w.file = mtok_xstrdup(name);
    *out = w;
    return MTOK_OK;
}

enum mtok_status mtok_workload_load(struct mtok_workload_spec *out, const char *name_or_path,
                                    const char *data_dir, const struct mtok_catalog *cat,
                                    struct mtok_diags *diags)
{
    mtok_workload_spec_init(out);
    bool is_path = strchr(name_or_path, '/') || strstr(name_or_path, ".json");
    struct mtok_buf path = {0};
    char *json = NULL;
    size_t len = 0;
    enum mtok_status st = MTOK_OK;
    if (is_path) {
        mtok_buf_puts(&path, name_or_path);
    } else {
        if (data_dir)
            mtok_buf_printf(&path, "%s/workloads/%s.json", data_dir, name_or_path);
        else
            mtok_buf_printf(&path, "data/workloads/%s.json", name_or_path);
    }
    if (!is_path && !data_dir) {
        const struct mtok_blob *b = mtok_embedded_find(path.data);
        if (!b) {
            mtok_diags_add(diags, name_or_path, "(workload)",
                           "is neither a file nor a workload in data/workloads");
            st = MTOK_ENOTFOUND;
        } else {
            st = mtok_workload_parse(out, path.data, (const char *)b->data, b->size, cat, diags);
        }
    } else {
        st = mtok_file_read_diag(path.data, MTOK_CATALOG_MAX_FILE, &json, &len, diags);
        if (st == MTOK_OK)
            st = mtok_workload_parse(out, path.data, json, len, cat, diags);
    }
    free(json);
    mtok_buf_free(&path);
    return st;
}

/* ---- prices ---- */

/* USD per request of w at price p; NAN when p lacks a needed price. */
static double api_per_request(const struct mtok_workload_spec *w, const struct mtok_api_price *p,
                              bool *cached_is_input)
{
    double in = w->input_tokens, out = w->output_tokens, h = w->cache_hit_share;
    double cached = p->per_m_cached_input;
    bool missing = isnan(cached);
    if (cached_is_input)
        *cached_is_input = missing && h > 0;
    if (missing)
        cached = p->per_m_input;
    if (out > 0 && isnan(p->per_m_output))
        return NAN;
    if (in > 0 && isnan(p->per_m_input))
        return NAN;
    return (in * ((1 - h) * p->per_m_input + h * cached) + (out > 0 ? out * p->per_m_output : 0)) /
           1e6;
}

double mtok_workload_api_month(const struct mtok_workload_spec *w, const struct mtok_api_price *p,
                               bool *cached_is_input)
{
    return api_per_request(w, p, cached_is_input) * w->requests_per_day * w->days_per_month;
}

enum mtok_status mtok_workload_solve_tokens(const struct mtok_api_price *a, double cost_a,
                                            const struct mtok_api_price *b, double cost_b,
                                            double requests_per_month, double h, double *input,
                                            double *output, struct mtok_error *err)
{
    *input = *output = NAN;
    if (!(requests_per_month > 0) || !(h >= 0 && h < 1))
        return mtok_error_set(err, MTOK_EINVAL,
                              "requests per month and cache share must be "
                              "positive and in [0, 1)");
    double ca = isnan(a->per_m_cached_input) ? a->per_m_input : a->per_m_cached_input;
    double cb = isnan(b->per_m_cached_input) ? b->per_m_input : b->per_m_cached_input;
    /* per request, in $/M: x1 in + y1 out = ra, x2 in + y2 out = rb */
    double x1 = (1 - h) * a->per_m_input + h * ca, y1 = a->per_m_output;
    double x2 = (1 - h) * b->per_m_input + h * cb, y2 = b->per_m_output;
    double ra = cost_a / requests_per_month * 1e6, rb = cost_b / requests_per_month * 1e6;
    double det = x1 * y2 - x2 * y1;
    if (!isfinite(det) || fabs(det) < 1e-12 * fabs(x1 * y2))
        return mtok_error_set(err, MTOK_EINVAL,
                              "%s and %s price input and output in the same "
                              "proportion: no unique token mix",
                              a->id, b->id);
    double in = (ra * y2 - rb * y1) / det, out = (x1 * rb - x2 * ra) / det;
    if (in < 0 || out < 0)
        return mtok_error_set(err, MTOK_EINVAL,
                              "the two costs need a negative token count "
                              "(input %.4g, output %.4g): no mix makes both hold",
                              in, out);
    *input = in;
    *output = out;
    return MTOK_OK;
}

/* ---- self-hosting ---- */

/* $/device-hour for hw under the options, with the basis named. */
static bool hour_for(const struct mtok_hw *hw, const struct mtok_workload_opts *o,
                     struct mtok_device_hour *h, char *basis, size_t n, char *why, size_t wn)
{
    struct mtok_error err = {0};
    if (o->usd_per_gpu_hour > 0) {
        mtok_pricing_hour_given(o->usd_per_gpu_hour, h, &err);
        snprintf(basis, n, "given");
        return true;
    }
    const char *want = o->tier ? o->tier : "hyperscaler";
    enum mtok_tier t;
    bool want_tco = strcmp(want, "tco") == 0;
    if (!want_tco && mtok_tier_parse(want, &t) == MTOK_OK &&
        mtok_pricing_hour_tier(hw, t, h, &err) == MTOK_OK) {
        snprintf(basis, n, "%s", want);
        return true;
    }
    struct mtok_tco in;
    if (mtok_tco_for_hw(o->tco, hw, &in, &err) == MTOK_OK &&
        mtok_pricing_hour_tco(&in, hw, NULL, h, &err) == MTOK_OK) {
        snprintf(basis, n, want_tco ? "tco" : "tco (no %s price)", want);
        return true;
    }
    for (int k = 0; k < MTOK_TIER_COUNT; k++)
        if (mtok_pricing_hour_tier(hw, (enum mtok_tier)k, h, &err) == MTOK_OK) {
            snprintf(basis, n, "%s (no %s price)", mtok_tier_name((enum mtok_tier)k), want);
            return true;
        }
    snprintf(why, wn, "%s has no $/hour tier and no purchase price", hw->id);
    return false;
}

struct shape {
    int tp, dp, ep;
};

/* The best point of one instance shape under the latency targets; false with why set when the
 * shape cannot serve the workload. */
static bool serve_shape(const struct mtok_model *m, const struct mtok_hw *hw,
                        const struct mtok_workload_spec *w, const struct mtok_workload_opts *o,
                        const struct shape *sh, struct mtok_serve_point *pt, char *why, size_t wn)
{
    struct mtok_error err = {0};
    struct mtok_prec prec;
    if (mtok_prec_resolve(m, NULL, NULL, &prec, &err) != MTOK_OK) {
        snprintf(why, wn, "%.250s", err.msg);
        return false;
    }
    struct mtok_deploy dep = mtok_deploy_default();
    dep.tp = sh->tp, dep.dp = sh->dp, dep.ep = sh->ep;
    /* the simulator needs at least one token each way */
    dep.isl = w->input_tokens >= 1 ? w->input_tokens : 1;
    dep.osl = w->output_tokens >= 1 ? w->output_tokens : 1;
    dep.cache_hit = w->cache_hit_share;
    struct mtok_plan *plan = NULL;
    if (mtok_plan_create(&plan, m, hw, o->sim, NULL, &prec, &dep, &err) != MTOK_OK) {
        snprintf(why, wn, "%.250s", err.msg);
        return false;
    }
    bool ok = true;
    if (w->tps_user > 0) {
        if (mtok_serve_for_tps_user(plan, w->tps_user, pt) != MTOK_OK) {
            if (pt->fits)
                snprintf(why, wn, "%.3g tok/s/user at best (target %.3g)", pt->tok_s_per_user,
                         w->tps_user);
            else
                snprintf(why, wn, "does not fit in memory");
            ok = false;
        }
    } else {
        struct mtok_serve_point front[64];
        size_t n = mtok_serve_pareto(plan, front, 64);
        if (!n) {
            snprintf(why, wn, "does not fit in memory");
            ok = false;
        } else {
            *pt = front[0];
            for (size_t i = 1; i < n; i++)
                if (front[i].tok_s_per_gpu > pt->tok_s_per_gpu)
                    *pt = front[i];
        }
    }
    if (ok && w->ttft_s > 0 && pt->ttft_s > w->ttft_s) {
        snprintf(why, wn, "TTFT %.3g s (target %.3g s)", pt->ttft_s, w->ttft_s);
        ok = false;
    }
    if (ok && !(pt->tok_s_per_gpu > 0)) {
        snprintf(why, wn, "no throughput");
        ok = false;
    }
    mtok_plan_destroy(plan);
    return ok;
}

/* The volume (requests/day) above which a deployment of one-instance monthly cost c1 and capacity
 * vcap requests/day per instance never costs more than an API charging `a` per (request/day) a
 * month: in step k (k-1 < V/vcap <= k) self = k c1; a whole step wins when (k-1) vcap a >= k c1,
 * i.e. from k_f = a vcap / (a vcap - c1); the step before wins from (k_f' c1 / a). */
static double breakeven(double c1, double vcap, double a)
{
    if (!(a * vcap > c1))
        return INFINITY;
    double kf = a * vcap / (a * vcap - c1);
    double k = ceil(kf - 1e-9) - 1;
    if (k < 1)
        return 0;
    return k * c1 / a;
}

static void self_rows(const struct mtok_catalog *cat, const struct mtok_workload_plan *p,
                      const struct mtok_workload_opts *o, const struct mtok_hw *hw,
                      struct mtok_workload_row *r)
{
    const struct mtok_workload_spec *w = &p->spec;
    const struct mtok_model *m = p->model;
    (void)cat;
    memset(r, 0, sizeof *r);
    r->kind = MTOK_OPTION_SELF;
    r->hw_id = hw->id;
    r->usd_per_month = r->usd_per_m_tokens = r->breakeven_requests_per_day = NAN;
    r->utilisation = r->usd_per_device_hour = NAN;
    snprintf(r->name, sizeof r->name, "self-hosted %s", hw->id);
    struct mtok_device_hour dh;
    char why[200] = "";
    bool priced = hour_for(hw, o, &dh, r->hour_basis, sizeof r->hour_basis, why, sizeof why);
    int max_g = o->max_gpus > 0 ? o->max_gpus : 64;
    double hours = 24 * w->days_per_month;
    double best = INFINITY;
    char first_why[300] = "", last_why[300] = "no instance shape tried";
    for (int g = 1; g <= max_g; g *= 2) {
        struct shape shapes[2] = {{g, 1, 1}, {1, g, g}};
        int ns = m->n_experts > 0 && g > 1 ? 2 : 1;
        for (int s = 0; s < ns; s++) {
            struct mtok_serve_point pt;
            char sw[256] = "";
            if (!serve_shape(m, hw, w, o, &shapes[s], &pt, sw, sizeof sw)) {
                snprintf(last_why, sizeof last_why, "%d GPU%s: %.250s", g, g > 1 ? "s" : "", sw);
                if (!first_why[0])
                    snprintf(first_why, sizeof first_why, "%.299s", last_why);
                continue;
            }
            double tok_per_req = (w->input_tokens >= 1 ? w->input_tokens : 1) +
                                 (w->output_tokens >= 1 ? w->output_tokens : 1);
            double rps = pt.tok_s_per_gpu * g / tok_per_req;
            double inst = ceil(p->peak_requests_per_s / rps - 1e-9);
            if (inst < 1)
                inst = 1;
            double cost = priced ? inst * g * dh.usd_per_hour * hours : inst * g;
            if (cost < best || (cost == best && inst * g < r->devices)) {
                best = cost;
                r->feasible = priced;
                r->gpus_per_instance = g;
                r->instances = (int)inst;
                r->devices = (int)inst * g;
                r->batch = pt.batch;
                r->tok_s_per_user = pt.tok_s_per_user;
                r->ttft_s = pt.ttft_s;
                r->tok_s_per_gpu = pt.tok_s_per_gpu;
                r->requests_per_s_per_instance = rps;
                r->utilisation = p->avg_requests_per_s / (inst * rps);
                if (shapes[s].tp > 1)
                    snprintf(r->deployment, sizeof r->deployment, "tp%d", shapes[s].tp);
                else if (shapes[s].dp > 1)
                    snprintf(r->deployment, sizeof r->deployment, "dp%d ep%d", shapes[s].dp,
                             shapes[s].ep);
                else
                    snprintf(r->deployment, sizeof r->deployment, "1 GPU");
            }
        }
    }
    if (!isfinite(best)) {
        r->feasible = false;
        if (strcmp(first_why, last_why) == 0)
            snprintf(r->note, sizeof r->note, "cannot serve %.64s (%.299s)", m->id, last_why);
        else
            snprintf(r->note, sizeof r->note,
                     "cannot serve %.64s with 1 to %d GPUs per instance "
                     "(%.150s; ...; %.150s)",
                     m->id, max_g, first_why, last_why);
        return;
    }
    snprintf(r->name, sizeof r->name, "self-hosted %s: %d x %d GPU%s (%s)", hw->id, r->instances,
             r->gpus_per_instance, r->gpus_per_instance > 1 ? "s" : "", r->deployment);
    if (!priced) {
        snprintf(r->note, sizeof r->note, "%d devices would serve it, but %s", r->devices, why);
        return;
    }
    r->usd_per_device_hour = dh.usd_per_hour;
    r->usd_per_month = best;
    r->usd_per_m_tokens = best / (p->tokens_per_month / 1e6);
    if (dh.note[0])
        snprintf(r->note, sizeof r->note, "%s", dh.note);
}

/* ---- the plan ---- */

static void today(char out[11])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

/* The first alternative of a product list ("deepseek-chat / deepseek-reasoner"). */
static void first_product(const char *product, char *out, size_t n)
{
    const char *sep = strstr(product, " / ");
    size_t len = sep ? (size_t)(sep - product) : strlen(product);
    if (len >= n)
        len = n - 1;
    memcpy(out, product, len);
    out[len] = '\0';
}

static void api_rows(const struct mtok_catalog *cat, struct mtok_workload_plan *p,
                     struct mtok_workload_row **rows, size_t *n, size_t *cap)
{
    size_t np = mtok_catalog_price_count(cat);
    for (size_t i = 0; i < np; i++) {
        const struct mtok_api_price *e = mtok_catalog_price_at(cat, i);
        if (mtok_price_is_claim(e))
            continue;
        char prod[128];
        first_product(e->product, prod, sizeof prod);
        /* one row per (provider, product): skip if an earlier entry had the pair */
        bool seen = false;
        for (size_t k = 0; k < i && !seen; k++) {
            const struct mtok_api_price *f = mtok_catalog_price_at(cat, k);
            char fp[128];
            first_product(f->product, fp, sizeof fp);
            seen = !mtok_price_is_claim(f) && strcmp(fp, prod) == 0 &&
                   strcasecmp(f->provider, e->provider) == 0;
        }
        if (seen)
            continue;
        struct mtok_price_query q = {.product = prod,
                                     .date = p->date,
                                     .provider = e->provider,
                                     .include_resellers = true,
                                     .skip_claims = true};
        struct mtok_price_in_force f;
        struct mtok_error err = {0};
        if (mtok_pricing_api_in_force(cat, &q, &f, &err) != MTOK_OK)
            continue;
        if (*n == *cap)
            *rows = mtok_xrealloc(*rows, (*cap = *cap ? 2 * *cap : 32) * sizeof **rows);
        struct mtok_workload_row *r = &(*rows)[(*n)++];
        memset(r, 0, sizeof *r);
        r->kind = MTOK_OPTION_API;
        r->price = f.effective;
        r->provider = f.effective->provider;
        r->product = f.effective->product;
        r->same_model = (f.effective->model && strcmp(f.effective->model, p->model->id) == 0) ||
                        strcmp(prod, p->model->id) == 0;
        r->discount = isnan(f.discount_input) ? 0 : f.discount_input;
        r->utilisation = r->usd_per_device_hour = r->breakeven_requests_per_day = NAN;
        snprintf(r->name, sizeof r->name, "%.60s %.60s", r->provider, prod);
        snprintf(r->hour_basis, sizeof r->hour_basis, "%s", f.effective->kind);
        r->usd_per_month = mtok_workload_api_month(&p->spec, f.effective, &r->cached_is_input);
        r->feasible = isfinite(r->usd_per_month);
        r->usd_per_m_tokens = r->usd_per_month / (p->tokens_per_month / 1e6);
        size_t len = 0;
#define NOTE(...)                                                                                  \
    len += (size_t)snprintf(r->note + len, len < sizeof r->note ? sizeof r->note - len : 0,        \
                            __VA_ARGS__)
        NOTE("price %s (%s, from %s)", f.effective->id, f.effective->kind, f.effective->from);
        if (!r->feasible)
            NOTE("; publishes no %s price", isnan(f.effective->per_m_output) ? "output" : "input");
        if (f.list && f.effective != f.list)
            NOTE("; %.0f%% off the list price %s", 100 * r->discount, f.list->id);
        if (r->cached_is_input)
            NOTE("; no cached-input price published: cache hits billed as misses");
        if (strcmp(f.effective->kind, "peak") == 0)
            NOTE("; peak-hour price (off-peak is cheaper)");
        if (strcmp(f.effective->kind, "reseller") == 0)
            NOTE("; third-party reseller");
        if (f.effective->src.uncertain)
            NOTE("; price marked uncertain in the book");
#undef NOTE
    }
}

static int row_cmp(const void *a, const void *b)
{
    const struct mtok_workload_row *x = a, *y = b;
    if (x->feasible != y->feasible)
        return x->feasible ? -1 : 1;
    if (x->feasible) {
        if (x->usd_per_month != y->usd_per_month)
            return x->usd_per_month < y->usd_per_month ? -1 : 1;
    }
    if (x->kind != y->kind)
        return x->kind == MTOK_OPTION_API ? -1 : 1;
    return strcmp(x->name, y->name);
}

enum mtok_status mtok_workload_plan_create(struct mtok_workload_plan **out,
                                           const struct mtok_catalog *cat,
                                           const struct mtok_workload_spec *w,
                                           const struct mtok_workload_opts *o,
                                           struct mtok_error *err)
{
    *out = NULL;
    if (mtok_workload_check(w, err) != MTOK_OK)
        return err->code;
    if (!o->sim || !o->tco)
        return mtok_error_set(err, MTOK_EINVAL, "the planner needs simulator and TCO defaults");
    const struct mtok_model *m = mtok_catalog_model(cat, w->model);
    if (!m)
        return mtok_error_set(err, MTOK_ENOTFOUND, "model: \"%s\" is not in the catalog", w->model);
    struct mtok_workload_plan *p = mtok_xcalloc(1, sizeof *p);
    spec_copy(&p->spec, w);
    p->model = m;
    const char *date = o->date ? o->date : w->date;
    if (date) {
        struct mtok_price_query probe = {.product = "-", .date = date};
        struct mtok_price_in_force f;
        if (mtok_pricing_api_in_force(cat, &probe, &f, err) == MTOK_EINVAL) {
            mtok_workload_plan_destroy(p);
            return err->code;
        }
        snprintf(p->date, sizeof p->date, "%s%s", date, strlen(date) == 7 ? "-01" : "");
    } else {
        today(p->date);
    }
    p->requests_per_month = w->requests_per_day * w->days_per_month;
    p->tokens_per_month = p->requests_per_month * (w->input_tokens + w->output_tokens);
    p->avg_requests_per_s = w->requests_per_day / SECONDS_PER_DAY;
    p->peak_requests_per_s = p->avg_requests_per_s * w->peak_to_average;

    size_t n = 0, cap = 0;
    struct mtok_workload_row *rows = NULL;
    api_rows(cat, p, &rows, &n, &cap);
    for (size_t i = 0; i < mtok_catalog_hw_count(cat); i++) {
        const struct mtok_hw *hw = mtok_catalog_hw_at(cat, i);
        if (o->hw_ids) {
            bool want = false;
            for (const char *const *h = o->hw_ids; *h && !want; h++)
                want = strcmp(*h, hw->id) == 0;
            if (!want)
                continue;
        }
        if (n == cap)
            rows = mtok_xrealloc(rows, (cap = cap ? 2 * cap : 32) * sizeof *rows);
        self_rows(cat, p, o, hw, &rows[n++]);
    }
    if (n)
        qsort(rows, n, sizeof *rows, row_cmp);
    p->rows = rows;
    p->n_rows = n;

    /* the reference API */
    p->reference = -1;
    if (o->vs) {
        for (size_t i = 0; i < n && p->reference < 0; i++) {
            char prod[128];
            if (rows[i].kind != MTOK_OPTION_API || !rows[i].feasible)
                continue;
            first_product(rows[i].product, prod, sizeof prod);
            if (strcmp(prod, o->vs) == 0 || strcmp(rows[i].price->id, o->vs) == 0)
                p->reference = (int)i;
        }
        if (p->reference < 0) {
            mtok_error_set(err, MTOK_EINVAL,
                           "--vs: no API price for \"%s\" in force on %s that "
                           "can price this workload",
                           o->vs, p->date);
            mtok_workload_plan_destroy(p);
            return MTOK_EINVAL;
        }
        snprintf(p->reference_note, sizeof p->reference_note, "as asked (--vs %s)", o->vs);
    } else {
        for (size_t i = 0; i < n && p->reference < 0; i++)
            if (rows[i].kind == MTOK_OPTION_API && rows[i].feasible && rows[i].same_model)
                p->reference = (int)i;
        if (p->reference >= 0) {
            snprintf(p->reference_note, sizeof p->reference_note, "the cheapest API serving %s",
                     m->id);
        } else {
            for (size_t i = 0; i < n && p->reference < 0; i++)
                if (rows[i].kind == MTOK_OPTION_API && rows[i].feasible)
                    p->reference = (int)i;
            if (p->reference >= 0)
                snprintf(p->reference_note, sizeof p->reference_note,
                         "no API serves %s on %s: the cheapest API of any model", m->id, p->date);
        }
    }
    if (p->reference >= 0) {
        const struct mtok_workload_row *ref = &rows[p->reference];
        double a = ref->usd_per_month / w->requests_per_day; /* $/month per request/day */
        for (size_t i = 0; i < n; i++) {
            struct mtok_workload_row *r = &rows[i];
            if (r->kind != MTOK_OPTION_SELF || !r->feasible)
                continue;
            double c1 = r->gpus_per_instance * r->usd_per_device_hour * 24 * w->days_per_month;
            double vcap = r->requests_per_s_per_instance * SECONDS_PER_DAY / w->peak_to_average;
            r->breakeven_requests_per_day = breakeven(c1, vcap, a);
        }
    }
    *out = p;
    return MTOK_OK;
}

void mtok_workload_plan_destroy(struct mtok_workload_plan *p)
{
    if (!p)
        return;
    mtok_workload_spec_free(&p->spec);
    free(p->rows);
    free(p);
}

size_t mtok_workload_plan_rows(const struct mtok_workload_plan *p,
                               const struct mtok_workload_row **rows)
{
    *rows = p->rows;
    return p->n_rows;
}

/* ---- JSON ---- */

static void num(cJSON *o, const char *k, double v)
{
    if (isfinite(v))
        cJSON_AddNumberToObject(o, k, v);
    else
        cJSON_AddNullToObject(o, k);
}

static void str(cJSON *o, const char *k, const char *v)
{
    if (v)
        cJSON_AddStringToObject(o, k, v);
    else
        cJSON_AddNullToObject(o, k);
}

static cJSON *spec_json(const struct mtok_workload_spec *w)
{
    cJSON *o = cJSON_CreateObject();
    str(o, "workload", w->id);
    str(o, "file", w->file);
    str(o, "model", w->model);
    num(o, "requests_per_day", w->requests_per_day);
    num(o, "input_tokens", w->input_tokens);
    num(o, "output_tokens", w->output_tokens);
    num(o, "cache_hit_share", w->cache_hit_share);
    num(o, "peak_to_average", w->peak_to_average);
    num(o, "tps_user", w->tps_user > 0 ? w->tps_user : NAN);
    num(o, "ttft_s", w->ttft_s > 0 ? w->ttft_s : NAN);
    num(o, "days_per_month", w->days_per_month);
    return o;
}

static cJSON *row_json(const struct mtok_workload_row *r, int rank)
{
    cJSON *o = cJSON_CreateObject();
    num(o, "rank", rank);
    cJSON_AddStringToObject(o, "kind", r->kind == MTOK_OPTION_API ? "api" : "self");
    cJSON_AddStringToObject(o, "name", r->name);
    cJSON_AddBoolToObject(o, "feasible", r->feasible);
    num(o, "usd_per_month", r->usd_per_month);
    num(o, "usd_per_m_tokens", r->usd_per_m_tokens);
    if (r->kind == MTOK_OPTION_API) {
        str(o, "provider", r->provider);
        str(o, "product", r->product);
        str(o, "price_id", r->price ? r->price->id : NULL);
        str(o, "price_kind", r->price ? r->price->kind : NULL);
        if (r->price) {
            num(o, "usd_per_m_input", r->price->per_m_input);
            num(o, "usd_per_m_cached_input", r->price->per_m_cached_input);
            num(o, "usd_per_m_output", r->price->per_m_output);
            str(o, "price_source", r->price->src.source);
        }
        cJSON_AddBoolToObject(o, "same_model", r->same_model);
        cJSON_AddBoolToObject(o, "cached_billed_as_input", r->cached_is_input);
        num(o, "discount", r->discount);
    } else {
        cJSON_AddStringToObject(o, "hw", r->hw_id);
        cJSON_AddStringToObject(o, "deployment", r->deployment);
        num(o, "gpus_per_instance", r->gpus_per_instance);
        num(o, "instances", r->instances);
        num(o, "devices", r->devices);
        num(o, "batch_per_instance", r->batch);
        num(o, "tok_s_per_user", r->tok_s_per_user);
        num(o, "ttft_s", r->ttft_s);
        num(o, "tok_s_per_gpu", r->tok_s_per_gpu);
        num(o, "requests_per_s_per_instance", r->requests_per_s_per_instance);
        num(o, "utilisation", r->utilisation);
        cJSON_AddStringToObject(o, "hour_basis", r->hour_basis);
        num(o, "usd_per_device_hour", r->usd_per_device_hour);
        if (isinf(r->breakeven_requests_per_day))
            cJSON_AddStringToObject(o, "breakeven_requests_per_day", "never");
        else
            num(o, "breakeven_requests_per_day", r->breakeven_requests_per_day);
    }
    cJSON_AddStringToObject(o, "note", r->note);
    return o;
}

char *mtok_workload_plan_json(const struct mtok_workload_plan *p)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "workload", spec_json(&p->spec));
    cJSON_AddStringToObject(o, "price_date", p->date);
    num(o, "requests_per_month", p->requests_per_month);
    num(o, "tokens_per_month", p->tokens_per_month);
    num(o, "avg_requests_per_s", p->avg_requests_per_s);
    num(o, "peak_requests_per_s", p->peak_requests_per_s);
    if (p->reference >= 0) {
        cJSON *r = cJSON_AddObjectToObject(o, "reference");
        cJSON_AddStringToObject(r, "name", p->rows[p->reference].name);
        num(r, "usd_per_month", p->rows[p->reference].usd_per_month);
        cJSON_AddStringToObject(r, "why", p->reference_note);
    } else {
        cJSON_AddNullToObject(o, "reference");
    }
    cJSON *arr = cJSON_AddArrayToObject(o, "rows");
    for (size_t i = 0; i < p->n_rows; i++)
        cJSON_AddItemToArray(arr, row_json(&p->rows[i], (int)i + 1));
    cJSON *as = cJSON_AddArrayToObject(o, "assumptions");
    static const char *const a[] = {
        "API: requests/month x (input x ((1 - cache_hit) x $input + cache_hit x $cached) + "
        "output x $output) / 1e6 at the effective price in force on price_date (discounts "
        "applied); entries recorded only as an article's claim are left out",
        "self-hosted: the simulator's highest-throughput point meeting tps_user and ttft_s per "
        "instance shape (1..64 GPUs, tensor-parallel or data-parallel attention + expert "
        "parallelism); instances = ceil(peak requests/s / requests/s per instance); the fleet is "
        "sized for the peak and paid 24 h x days_per_month; no autoscaling, no queueing",
        "utilisation = average requests/s / fleet capacity in requests/s",
        "break-even: the requests/day above which the row's deployment, grown in whole "
        "instances, never costs more than the reference API",
        "$/device-hour: the tier asked for (default hyperscaler), else TCO from the purchase "
        "price (data/pricing/tco.json), else another tier; basis named per row"};
    for (size_t i = 0; i < sizeof a / sizeof *a; i++)
        cJSON_AddItemToArray(as, cJSON_CreateString(a[i]));
    char *s = cJSON_Print(o);
    cJSON_Delete(o);
    char *copy = mtok_xstrdup(s);
    cJSON_free(s);
    return copy;
}

/* ---- the database ---- */

enum mtok_status mtok_workload_plan_record(struct mtok_store *st, const char *args,
                                           const struct mtok_workload_plan *p, char run_uuid[33],
                                           struct mtok_error *err)
{
    struct mtok_run_info info = {.kind = "cost", .suite = p->spec.id, .args = args};
    struct mtok_run *run = mtok_run_create(&info);
    cJSON *wj = spec_json(&p->spec);
    cJSON_AddStringToObject(wj, "price_date", p->date);
    char *wtext = cJSON_PrintUnformatted(wj);
    cJSON_Delete(wj);
    for (size_t i = 0; i < p->n_rows; i++) {
        const struct mtok_workload_row *r = &p->rows[i];
        char key[256];
        if (r->kind == MTOK_OPTION_API)
            snprintf(key, sizeof key, "api:%s/%s", r->provider, r->product);
        else
            snprintf(key, sizeof key, "self:%s", r->hw_id);
        struct mtok_workload_cost_row row = {
            .key = key,
            .workload = wtext,
            .kind = r->kind == MTOK_OPTION_API ? "api" : "self",
            .name = r->name,
            .provider = r->provider,
            .product = r->product,
            .price_id = r->price ? r->price->id : NULL,
            .hw = r->hw_id,
            .deployment = r->kind == MTOK_OPTION_SELF ? r->deployment : NULL,
            .hour_basis = r->hour_basis,
            .note = r->note,
            .feasible = r->feasible,
            .devices = r->devices,
            .usd_per_month = r->usd_per_month,
            .usd_per_m_tokens = r->usd_per_m_tokens,
            .utilisation = r->utilisation,
            .usd_per_device_hour = r->usd_per_device_hour,
            .breakeven_requests_per_day = r->breakeven_requests_per_day};
        mtok_run_add_workload_cost(run, &row);
    }
    cJSON_free(wtext);
    enum mtok_status s = mtok_store_run_save(st, run);
    if (s != MTOK_OK)
        mtok_error_set(err, s, "%s", mtok_store_errmsg(st));
    else if (run_uuid)
        mtok_strlcpy(run_uuid, mtok_run_uuid(run), 33);
    mtok_run_destroy(run);
    return s;
}
