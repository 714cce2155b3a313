/* The report suite: which cells the report covers and how they are read (data/reports/NAME.json),
 * and the run that evaluates them into the database. The run only orchestrates: sim/ decides and
 * evaluates (mtok_cell_eval), pricing/ prices, store/ records. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/reports.h"

/* ---- parsing ---- */

struct ck {
    const char *file;
    struct mtok_diags *d;
    size_t before; /* d->n when the document's checks began: more means errors */
};

/* A problem with `field` of the document, as one diagnostic line. */
#define bad(ck, field, ...) mtok_diags_add((ck)->d, (ck)->file, field, __VA_ARGS__)

static char *get_str(struct ck *ck, const cJSON *o, const char *key, bool required)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v) {
        if (required)
            bad(ck, key, "missing");
        return NULL;
    }
    if (!cJSON_IsString(v) || !v->valuestring[0]) {
        bad(ck, key, "must be a non-empty string");
        return NULL;
    }
    return mtok_xstrdup(v->valuestring);
}

static double get_num(struct ck *ck, const cJSON *o, const char *where, const char *key, double lo,
                      double hi, double dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v)
        return dflt;
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble) || v->valuedouble < lo ||
        v->valuedouble > hi) {
        char field[96];
        snprintf(field, sizeof field, "%s%s", where, key);
        bad(ck, field, "must be a number in [%g, %g]", lo, hi);
        return dflt;
    }
    return v->valuedouble;
}

static bool get_bool(struct ck *ck, const cJSON *o, const char *key, bool dflt)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!v)
        return dflt;
    if (!cJSON_IsBool(v)) {
        bad(ck, key, "must be true or false");
        return dflt;
    }
    return cJSON_IsTrue(v);
}

static void free_strs(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        free(v[i]);
    free(v);
}

/* A non-empty array of distinct ids, each accepted by `known` (NULL = any). */
static char **get_ids(struct ck *ck, const cJSON *o, const char *key, size_t *n,
                      bool (*known)(const struct mtok_catalog *, const char *),
                      const struct mtok_catalog *cat, const char *what, bool required)
{
    *n = 0;
    const cJSON *a = cJSON_GetObjectItemCaseSensitive(o, key);
    if (!a) {
        if (required)
            bad(ck, key, "missing");
        return NULL;
    }
    if (!cJSON_IsArray(a) || cJSON_GetArraySize(a) == 0 || cJSON_GetArraySize(a) > 256) {
        bad(ck, key, "must be a list of 1 to 256 %s ids", what);
        return NULL;
    }
    char **v = mtok_xcalloc((size_t)cJSON_GetArraySize(a), sizeof *v);
    const cJSON *e;
    cJSON_ArrayForEach(e, a)
    {
        char field[64];
        snprintf(field, sizeof field, "%s[%zu]", key, *n);
        if (!cJSON_IsString(e)) {
            bad(ck, field, "must be a string");
            continue;
        }
        if (known && !known(cat, e->valuestring)) {
            bad(ck, field, "\"%s\" is not a %s in the catalog", e->valuestring, what);
            continue;
        }
        bool dup = false;
        for (size_t i = 0; i < *n && !dup; i++)
            dup = strcmp(v[i], e->valuestring) == 0;
        if (dup) {
            bad(ck, field, "\"%s\" is listed twice", e->valuestring);
            continue;
        }
        v[(*n)++] = mtok_xstrdup(e->valuestring);
    }
    return v;
}

static bool known_model(const struct mtok_catalog *cat, const char *id)
{
    return mtok_catalog_model(cat, id) != NULL;
}

/* "host" is the measured entry `mtok ceilings` adds; it may not exist yet. */
static bool known_hw(const struct mtok_catalog *cat, const char *id)
{
    return strcmp(id, "host") == 0 || mtok_catalog_hw(cat, id) != NULL;
}

static void check_keys(struct ck *ck, const cJSON *o, const char *where, const char *const *known)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, o)
    {
        bool ok = false;
        for (const char *const *k = known; *k && !ok; k++)
            ok = strcmp(*k, e->string) == 0;
        if (!ok) {
            char field[160];
            snprintf(field, sizeof field, "%s%s", where, e->string);
            bad(ck, field, "unknown key");
        }
    }
}

void mtok_report_suite_destroy(struct mtok_report_suite *s)
{
    if (!s)
        return;
    free(s->name), free(s->title), free(s->description), free(s->file);
    free_strs(s->models, s->n_models);
    free_strs(s->hw, s->n_hw);
    free(s->lengths);
    free(s->tiers);
    free_strs(s->pareto_models, s->n_pareto_models);
    for (size_t i = 0; i < s->n_breakeven; i++)
        free(s->breakeven[i].model), free(s->breakeven[i].hw), free(s->breakeven[i].product);
    free(s->breakeven);
    free(s->src.source), free(s->src.date), free(s->src.note);
    free(s);
}

size_t mtok_report_suite_cells(const struct mtok_report_suite *s)
{
    return s->n_models * s->n_hw * s->n_lengths;
}

enum mtok_status mtok_report_suite_parse(struct mtok_report_suite **out, const char *name,
                                         const char *json, size_t len,
                                         const struct mtok_catalog *cat, struct mtok_diags *diags)
{
    *out = NULL;
    struct ck ck = {.file = name, .d = diags, .before = diags->n};
    cJSON *root = cJSON_ParseWithLength(json, len);
    if (!root || !cJSON_IsObject(root)) {
        bad(&ck, "(file)", "not a JSON object");
        cJSON_Delete(root);
        return MTOK_EINVAL;
    }
    static const char *const known[] = {
        "report",       "title",         "description", "models",  "hardware",
        "lengths",      "tps_user",      "max_gpus",    "sizes",   "tiers",
        "tco_fallback", "pareto_models", "breakeven",   "measure", "source",
        "date",         "uncertain",     "note",        NULL};
    check_keys(&ck, root, "", known);
    struct mtok_report_suite *s = mtok_xcalloc(1, sizeof *s);
    s->file = mtok_xstrdup(name);
    s->name = get_str(&ck, root, "report", true);
    if (s->name)
        for (const char *c = s->name; *c; c++)
            if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || strchr("._-", *c))) {
                bad(&ck, "report", "\"%s\" is not an id ([a-z0-9._-])", s->name);
                break;
            }
    s->title = get_str(&ck, root, "title", false);
    if (!s->title)
        s->title = mtok_xstrdup("What a million tokens costs");
    s->description = get_str(&ck, root, "description", false);
    s->models = get_ids(&ck, root, "models", &s->n_models, known_model, cat, "model", true);
    s->hw = get_ids(&ck, root, "hardware", &s->n_hw, known_hw, cat, "hardware", true);

    const cJSON *ls = cJSON_GetObjectItemCaseSensitive(root, "lengths");
    if (!cJSON_IsArray(ls) || cJSON_GetArraySize(ls) < 1 || cJSON_GetArraySize(ls) > 8) {
        bad(&ck, "lengths", "must be a list of 1 to 8 {\"isl\": N, \"osl\": N}");
    } else {
        s->lengths = mtok_xcalloc((size_t)cJSON_GetArraySize(ls), sizeof *s->lengths);
        const cJSON *e;
        cJSON_ArrayForEach(e, ls)
        {
            static const char *const kl[] = {"isl", "osl", NULL};
            char where[32];
            snprintf(where, sizeof where, "lengths[%zu].", s->n_lengths);
            if (!cJSON_IsObject(e)) {
                bad(&ck, where, "must be an object");
                continue;
            }
            check_keys(&ck, e, where, kl);
            struct mtok_report_lengths l = {get_num(&ck, e, where, "isl", 1, 1e7, NAN),
                                            get_num(&ck, e, where, "osl", 1, 1e7, NAN)};
            if (isnan(l.isl) || isnan(l.osl) || l.isl != floor(l.isl) || l.osl != floor(l.osl)) {
                where[strlen(where) - 1] = '\0';
                bad(&ck, where, "isl and osl are required whole numbers");
            } else
                s->lengths[s->n_lengths++] = l;
        }
    }
    s->tps_user = get_num(&ck, root, "", "tps_user", 1e-3, 1e5, NAN);
    if (isnan(s->tps_user))
        bad(&ck, "tps_user", "required: the interactivity target, tok/s/user");
    s->max_gpus = (int)get_num(&ck, root, "", "max_gpus", 1, 4096, 64);
    s->sizes = (int)get_num(&ck, root, "", "sizes", 1, 4, 2);

    const cJSON *ts = cJSON_GetObjectItemCaseSensitive(root, "tiers");
    if (!cJSON_IsArray(ts) || cJSON_GetArraySize(ts) < 1 ||
        cJSON_GetArraySize(ts) > MTOK_TIER_COUNT) {
        bad(&ck, "tiers",
            "must be a list of price tiers (hyperscaler, neocloud, rental, spot, "
            "list), the primary first");
    } else {
        s->tiers = mtok_xcalloc((size_t)cJSON_GetArraySize(ts), sizeof *s->tiers);
        const cJSON *e;
        cJSON_ArrayForEach(e, ts)
        {
            enum mtok_tier t;
            if (!cJSON_IsString(e) || mtok_tier_parse(e->valuestring, &t) != MTOK_OK) {
                bad(&ck, "tiers", "%s is not a price tier",
                    cJSON_IsString(e) ? e->valuestring : "an entry");
                continue;
            }
            s->tiers[s->n_tiers++] = t;
        }
    }
    s->tco_fallback = get_bool(&ck, root, "tco_fallback", true);
    s->pareto_models =
        get_ids(&ck, root, "pareto_models", &s->n_pareto_models, known_model, cat, "model", false);
    for (size_t i = 0; i < s->n_pareto_models; i++) {
        bool in = false;
        for (size_t j = 0; j < s->n_models && !in; j++)
            in = strcmp(s->models[j], s->pareto_models[i]) == 0;
        if (!in)
            bad(&ck, "pareto_models", "\"%s\" is not one of the suite's models",
                s->pareto_models[i]);
    }
    const cJSON *be = cJSON_GetObjectItemCaseSensitive(root, "breakeven");
    if (be && (!cJSON_IsArray(be) || cJSON_GetArraySize(be) > 16)) {
        bad(&ck, "breakeven", "must be a list of at most 16 {\"model\", \"api\", \"hw\"?}");
    } else if (be) {
        s->breakeven = mtok_xcalloc((size_t)cJSON_GetArraySize(be) + 1, sizeof *s->breakeven);
        const cJSON *e;
        cJSON_ArrayForEach(e, be)
        {
            static const char *const kb[] = {"model", "api", "hw", NULL};
            char where[32];
            snprintf(where, sizeof where, "breakeven[%zu].", s->n_breakeven);
            if (!cJSON_IsObject(e)) {
                bad(&ck, where, "must be an object");
                continue;
            }
            check_keys(&ck, e, where, kb);
            struct mtok_report_breakeven b = {get_str(&ck, e, "model", true),
                                              get_str(&ck, e, "hw", false),
                                              get_str(&ck, e, "api", true)};
            if (b.model && !known_model(cat, b.model))
                bad(&ck, where, "model \"%s\" is not in the catalog", b.model);
            if (b.hw && !known_hw(cat, b.hw))
                bad(&ck, where, "hw \"%s\" is not in the catalog", b.hw);
            s->breakeven[s->n_breakeven++] = b;
        }
    }
    const cJSON *me = cJSON_GetObjectItemCaseSensitive(root, "measure");
    if (me) {
        static const char *const km[] = {"ceilings", "bench", NULL};
        if (!cJSON_IsObject(me))
            bad(&ck, "measure", "must be {\"ceilings\": bool, \"bench\": bool}");
        else {
            check_keys(&ck, me, "measure.", km);
            s->ceilings = get_bool(&ck, me, "ceilings", false);
            s->bench = get_bool(&ck, me, "bench", false);
        }
    }
    s->src.source = get_str(&ck, root, "source", true);
    s->src.date = get_str(&ck, root, "date", true);
    s->src.note = get_str(&ck, root, "note", false);
    const cJSON *u = cJSON_GetObjectItemCaseSensitive(root, "uncertain");
    if (!cJSON_IsBool(u))
        bad(&ck, "uncertain", "required: true or false");
    else
        s->src.uncertain = cJSON_IsTrue(u);
    cJSON_Delete(root);
    if (diags->n != ck.before) {
        mtok_report_suite_destroy(s);
        return MTOK_EINVAL;
    }
    *out = s;
    return MTOK_OK;
}

enum mtok_status mtok_report_suite_load(struct mtok_report_suite **out, const char *name_or_path,
                                        const char *data_dir, const struct mtok_catalog *cat,
                                        struct mtok_diags *diags)
{
    *out = NULL;
    size_t n = strlen(name_or_path);
    bool is_path =
        strchr(name_or_path, '/') || (n > 5 && strcmp(name_or_path + n - 5, ".json") == 0);
    if (!is_path)
        for (const char *c = name_or_path; *c; c++)
            if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || strchr("._-", *c))) {
                mtok_diags_add(diags, "--suite", name_or_path,
                               "not a report suite name ([a-z0-9._-]) nor a path to one");
                return MTOK_EINVAL;
            }
    struct mtok_buf path = {0};
    char *json = NULL;
    size_t len = 0;
    enum mtok_status st = MTOK_ENOTFOUND;
    if (is_path) {
        mtok_buf_puts(&path, name_or_path);
    } else if (data_dir) {
        /* a user's catalog directory may leave the report suites out: then the embedded ones */
        mtok_buf_printf(&path, "%s/reports/%s.json", data_dir, name_or_path);
        FILE *f = fopen(path.data, "rb");
        if (f)
            fclose(f);
        else
            data_dir = NULL;
    }
    if (!is_path && !data_dir) {
        path.len = 0;
        mtok_buf_printf(&path, "data/reports/%s.json", name_or_path);
        const struct mtok_blob *b = mtok_embedded_find(path.data);
        if (!b) {
            mtok_diags_add(diags, "--suite", name_or_path, "no such report suite in data/reports");
        } else {
            json = mtok_xmalloc(b->size + 1);
            memcpy(json, b->data, b->size + 1);
            len = b->size;
            st = MTOK_OK;
        }
    } else {
        st = mtok_file_read_diag(path.data, MTOK_CATALOG_MAX_FILE, &json, &len, diags);
    }
    if (st == MTOK_OK)
        st = mtok_report_suite_parse(out, path.data, json, len, cat, diags);
    free(json);
    mtok_buf_free(&path);
    return st;
}

/* ---- the run ---- */

static void add_num(cJSON *o, const char *key, double v)
{
    if (isfinite(v))
        cJSON_AddNumberToObject(o, key, v);
    else
        cJSON_AddNullToObject(o, key);
}

static void cell_key(char *buf, size_t n, const char *role, const char *model, const char *hw,
                     const struct mtok_report_lengths *l)
{
    snprintf(buf, n, "%s|%s|%s|%.0fx%.0f", role, model, hw, l->isl, l->osl);
}

/* Price one fitting pick: a cost row per tier the hardware has and one "tco" row when it has a
 * purchase price (into rows[], at most MTOK_TIER_COUNT + 1). Returns the JSON object describing the
 * basis of the primary figure and InferenceX's input-only/output-only figures. */
static cJSON *price_pick(const struct mtok_report_suite *s, const struct mtok_hw *hw,
                         const struct mtok_serve_point *pt, const struct mtok_deploy *dep,
                         const struct mtok_report_run_opts *o, struct mtok_cost_row *rows,
                         size_t *n_rows)
{
    *n_rows = 0;
    cJSON *pj = cJSON_CreateObject();
    cJSON *ix = cJSON_CreateObject();
    struct mtok_cost_inputs in = mtok_cost_inputs_default(o->tco);
    struct mtok_serving sv = mtok_serving_from_sim(pt, dep, hw);
    struct mtok_error err = {0};
    bool primary = false, tco = false;
    char note[1100] = "";
    for (size_t t = 0; t < s->n_tiers; t++) {
        struct mtok_device_hour hour;
        struct mtok_token_cost c;
        if (mtok_pricing_hour_tier(hw, s->tiers[t], &hour, &err) != MTOK_OK ||
            mtok_pricing_tokens(&hour, &sv, &in, &c, &err) != MTOK_OK) {
            if (t == 0)
                snprintf(note, sizeof note, "%s", err.msg);
            continue;
        }
        mtok_pricing_cost_row(&c, &rows[*n_rows]);
        cJSON *x = cJSON_AddObjectToObject(ix, rows[(*n_rows)++].tier);
        add_num(x, "input_only", c.usd_per_m_input_only);
        add_num(x, "output_only", c.usd_per_m_output_only);
        primary = primary || t == 0;
    }
    struct mtok_tco tin;
    struct mtok_device_hour hour;
    struct mtok_token_cost c;
    if (mtok_tco_for_hw(o->tco, hw, &tin, &err) == MTOK_OK &&
        mtok_pricing_hour_tco(&tin, hw, &o->tco->src_capital, &hour, &err) == MTOK_OK &&
        mtok_pricing_tokens(&hour, &sv, &in, &c, &err) == MTOK_OK) {
        mtok_pricing_cost_row(&c, &rows[*n_rows]);
        cJSON *x = cJSON_AddObjectToObject(ix, rows[(*n_rows)++].tier);
        add_num(x, "input_only", c.usd_per_m_input_only);
        add_num(x, "output_only", c.usd_per_m_output_only);
        tco = true;
        add_num(pj, "tco_usd_per_hour", hour.usd_per_hour);
        if (hour.note[0])
            cJSON_AddStringToObject(pj, "tco_note", hour.note);
    }
    if (primary) {
        cJSON_AddStringToObject(pj, "basis", mtok_tier_name(s->tiers[0]));
    } else if (tco && s->tco_fallback) {
        cJSON_AddStringToObject(pj, "basis", "tco");
        char n2[1300];
        snprintf(n2, sizeof n2,
                 "%s: priced by TCO instead (purchase price, capital, power, "
                 "hosting; data/pricing/tco.json)",
                 note);
        cJSON_AddStringToObject(pj, "note", n2);
    } else {
        cJSON_AddStringToObject(pj, "basis", "none");
        cJSON_AddStringToObject(pj, "note", note[0] ? note : "no price");
    }
    cJSON_AddItemToObject(pj, "inferencex", ix);
    return pj;
}

static cJSON *deploy_json(const struct mtok_deploy *d, const char *layout)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "layout", layout);
    add_num(o, "gpus", mtok_deploy_gpus(d));
    add_num(o, "tp", d->tp);
    add_num(o, "ep", d->ep);
    add_num(o, "dp", d->dp);
    add_num(o, "pp", d->pp);
    return o;
}

static void add_sim(struct mtok_run *run, const char *key, const char *model, const char *hw,
                    cJSON *dj, const struct mtok_serve_point *pt, bool fits, double wbytes,
                    double kv, double flops, enum mtok_prov prov, size_t *row)
{
    char *dep = cJSON_PrintUnformatted(dj);
    struct mtok_sim_row r = {.key = key,
                             .model = model,
                             .hw = hw,
                             .deployment = dep,
                             .fits = fits,
                             .max_batch = pt ? pt->max_batch : NAN,
                             .ttft_s = pt ? pt->ttft_s : NAN,
                             .tpot_s = pt ? pt->tpot_s : NAN,
                             .tok_s_per_user = pt ? pt->tok_s_per_user : NAN,
                             .tok_s_per_gpu = pt ? pt->tok_s_per_gpu : NAN,
                             .input_tok_s_per_gpu = pt ? pt->input_tok_s_per_gpu : NAN,
                             .output_tok_s_per_gpu = pt ? pt->output_tok_s_per_gpu : NAN,
                             .weight_bytes = wbytes,
                             .kv_bytes_per_token = kv,
                             .flops_per_token = flops,
                             .provenance = mtok_prov_name(prov)};
    size_t i = mtok_run_add_sim(run, &r);
    if (row)
        *row = i;
    cJSON_free(dep);
}

/* What one model's rows share. */
struct model_facts {
    const struct mtok_model *m;
    struct mtok_prec prec;
    double weight_bytes, kv_slope, flops;
};

/* One cell: its pick row (with costs) and its Pareto front rows. */
static void run_cell(const struct mtok_report_suite *s, const struct mtok_report_run_opts *o,
                     struct mtok_run *run, const struct model_facts *mf, const char *hw_id,
                     const struct mtok_hw *hw, const struct mtok_report_lengths *l,
                     struct mtok_cell *cell)
{
    const struct mtok_model *m = mf->m;
    char key[512];
    cell_key(key, sizeof key, "pick", m->id, hw_id, l);
    cJSON *dj = cJSON_CreateObject();
    cJSON_AddStringToObject(dj, "role", "pick");
    add_num(dj, "isl", l->isl);
    add_num(dj, "osl", l->osl);
    add_num(dj, "tps_user_target", s->tps_user);
    cJSON_AddStringToObject(dj, "wprec", mf->prec.label);
    cJSON_AddStringToObject(dj, "kvprec", mf->prec.kv_label);
    if (!hw) {
        cJSON_AddStringToObject(dj, "status", "not_measured");
        cJSON_AddStringToObject(dj, "reason",
                                "no host entry yet: mtok ceilings measures this machine");
        add_sim(run, key, m->id, hw_id, dj, NULL, false, mf->weight_bytes, mf->kv_slope, mf->flops,
                MTOK_PROV_SOL, NULL);
        cJSON_Delete(dj);
        return;
    }
    struct mtok_cell_opts co = {.isl = l->isl,
                                .osl = l->osl,
                                .tps_user = s->tps_user,
                                .max_gpus = s->max_gpus,
                                .sizes = s->sizes};
    mtok_cell_eval(m, hw, o->sim, o->calib, &mf->prec, &co, cell, NULL);
    cJSON *opts = cJSON_AddArrayToObject(dj, "options");
    for (size_t k = 0; k < cell->n_cand; k++) {
        const struct mtok_cell_candidate *cd = &cell->cand[k];
        cJSON *x = deploy_json(&cd->dep, cd->layout);
        cJSON_AddBoolToObject(x, "fits", cd->fits);
        if (cd->fits) {
            cJSON_AddBoolToObject(x, "target_met", cd->target_met);
            add_num(x, "tok_s_per_gpu_at_target",
                    cd->target_met ? cd->at_target.tok_s_per_gpu : NAN);
            add_num(x, "max_tok_s_per_user", cd->fastest.tok_s_per_user);
        } else {
            cJSON_AddStringToObject(x, "why", cd->why);
        }
        cJSON_AddItemToArray(opts, x);
    }
    add_num(dj, "min_gpus", cell->min_gpus);
    if (cell->pick < 0) {
        cJSON_AddStringToObject(dj, "status", "does_not_fit");
        char why[1400];
        snprintf(why, sizeof why, "%s (instances up to %d GPUs tried)", cell->reason, s->max_gpus);
        cJSON_AddStringToObject(dj, "reason", why);
        add_sim(run, key, m->id, hw->id, dj, NULL, false, mf->weight_bytes, mf->kv_slope, mf->flops,
                MTOK_PROV_SOL, NULL);
        cJSON_Delete(dj);
        return;
    }
    const struct mtok_cell_candidate *pc = &cell->cand[cell->pick];
    cJSON_AddStringToObject(dj, "status", cell->target_met ? "ok" : "target_unmet");
    cJSON_AddItemToObject(dj, "deployment", deploy_json(&pc->dep, pc->layout));
    add_num(dj, "batch", cell->pt.batch);
    add_num(dj, "prefill_time_share", cell->pt.prefill_time_share);
    struct mtok_cost_row costs[MTOK_TIER_COUNT + 1];
    size_t n_costs = 0, row = 0;
    cJSON_AddItemToObject(dj, "price", price_pick(s, hw, &cell->pt, &pc->dep, o, costs, &n_costs));
    add_sim(run, key, m->id, hw->id, dj, &cell->pt, true, mf->weight_bytes, mf->kv_slope, mf->flops,
            cell->pt.prov, &row);
    for (size_t k = 0; k < n_costs; k++)
        mtok_run_add_cost(run, row, &costs[k]);
    cJSON_Delete(dj);
    for (size_t k = 0; k < cell->n_front; k++) {
        const struct mtok_cell_point *fp = &cell->front[k];
        const struct mtok_cell_candidate *fc = &cell->cand[fp->candidate];
        char fkey[600];
        snprintf(fkey, sizeof fkey, "front|%s|%s|%.0fx%.0f|%zu", m->id, hw->id, l->isl, l->osl, k);
        cJSON *fj = deploy_json(&fc->dep, fc->layout);
        cJSON_AddStringToObject(fj, "role", "front");
        add_num(fj, "isl", l->isl);
        add_num(fj, "osl", l->osl);
        add_num(fj, "batch", fp->pt.batch);
        add_sim(run, fkey, m->id, hw->id, fj, &fp->pt, fp->pt.fits, mf->weight_bytes, mf->kv_slope,
                mf->flops, fp->pt.prov, NULL);
        cJSON_Delete(fj);
    }
}

enum mtok_status mtok_report_suite_run(const struct mtok_report_suite *s,
                                       const struct mtok_catalog *cat, struct mtok_store *st,
                                       const struct mtok_report_run_opts *o, char run_uuid[33],
                                       struct mtok_error *err)
{
    if (!o || !o->sim || !o->tco)
        return mtok_error_set(err, MTOK_EINVAL, "report run: simulator and TCO defaults needed");
    struct mtok_run_info info = {.kind = "report",
                                 .suite = s->name,
                                 .args = o->args,
                                 .machine = o->machine,
                                 .build = o->build};
    struct mtok_run *run = mtok_run_create(&info);
    if (run_uuid)
        mtok_strlcpy(run_uuid, mtok_run_uuid(run), 33);
    if (mtok_store_run_begin(st, run) != MTOK_OK) {
        enum mtok_status e = mtok_error_set(err, MTOK_EDB, "%s", mtok_store_errmsg(st));
        mtok_run_destroy(run);
        return e;
    }
    size_t total = mtok_report_suite_cells(s), done = 0;
    struct mtok_cell *cell = mtok_xmalloc(sizeof *cell);
    for (size_t li = 0; li < s->n_lengths; li++) {
        const struct mtok_report_lengths *l = &s->lengths[li];
        for (size_t mi = 0; mi < s->n_models; mi++) {
            struct model_facts mf = {.m = mtok_catalog_model(cat, s->models[mi])};
            if (!mf.m || mtok_prec_resolve(mf.m, NULL, NULL, &mf.prec, err) != MTOK_OK) {
                free(cell);
                mtok_store_run_fail(st, run);
                mtok_run_destroy(run);
                return mf.m ? MTOK_EINVAL
                            : mtok_error_set(err, MTOK_ENOTFOUND, "model %s is not in the catalog",
                                             s->models[mi]);
            }
            mf.weight_bytes = mtok_sim_weight_bytes(mf.m, &mf.prec, false);
            mf.kv_slope = mtok_sim_kv_slope(mf.m, o->sim, &mf.prec);
            mf.flops = mtok_sim_flops_per_token(mf.m, o->sim, &mf.prec, l->isl + l->osl / 2, NULL);
            for (size_t hi = 0; hi < s->n_hw; hi++) {
                run_cell(s, o, run, &mf, s->hw[hi], mtok_catalog_hw(cat, s->hw[hi]), l, cell);
                if (o->progress)
                    o->progress(o->progress_arg, ++done, total);
            }
        }
    }
    free(cell);
    enum mtok_status e = MTOK_OK;
    if (mtok_store_run_commit(st, run) != MTOK_OK) {
        e = mtok_error_set(err, MTOK_EDB, "%s", mtok_store_errmsg(st));
        mtok_store_run_fail(st, run);
    }
    mtok_run_destroy(run);
    return e;
}
