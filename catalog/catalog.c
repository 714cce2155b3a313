/* The catalog: reads data/ (embedded or from a directory), runs every file through its checker and
 * keeps the results. Loading is all-or-nothing: any diagnostic and no catalog is returned. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/internal.h"

struct mtok_catalog {
    char *data_dir; /* NULL = embedded */
    struct mtok_model **models;
    size_t n_models;
    struct mtok_hw **hw;
    size_t n_hw;
    struct mtok_api_price *prices;
    size_t n_prices;
    struct mtok_model **retired; /* replaced by mtok_catalog_add_model, kept for old pointers */
    size_t n_retired;
};

/* ---- models ---- */

static bool plain_file_name(const char *s)
{
    return *s && !strchr(s, '/') && !strchr(s, '\\') && strcmp(s, ".") && strcmp(s, "..");
}

static struct mtok_model *load_index_entry(struct mtok_catalog *cat, struct ck *ck,
                                           const cJSON *e, const char *path,
                                           struct mtok_diags *d)
{
    static const char *const known[] = {"id", "name", "vendor", "license", "released", "hf_repo",
                                        "url", "config", "official", "weights", "note", NULL};
    ck_known_keys(ck, e, path, known);
    char *id = NULL, *name = NULL, *vendor = NULL, *license = NULL, *released = NULL,
         *hf_repo = NULL, *config = NULL;
    struct mtok_source osrc = {0}, wsrc = {0};
    double total = 0, active = 0, download = 0;
    size_t before = ck->errors;
    ck_id(ck, e, path, "id", &id);
    ck_string(ck, e, path, "name", CK_REQUIRED, 200, &name);
    ck_string(ck, e, path, "vendor", CK_REQUIRED, 200, &vendor);
    ck_string(ck, e, path, "license", CK_REQUIRED, 200, &license);
    /* released is required as a key but may be null when no source gives the date */
    if (!cJSON_GetObjectItemCaseSensitive(e, "released"))
        ck_fail(ck, path, "released", "missing (write null if unknown)");
    ck_date(ck, e, path, "released", CK_OPTIONAL, &released);
    ck_string(ck, e, path, "hf_repo", CK_REQUIRED, 200, &hf_repo);
    if (ck_string(ck, e, path, "config", CK_REQUIRED, 200, &config) && !plain_file_name(config))
        ck_fail(ck, path, "config", "must be a file name in the models folder");
    char sub[96];
    snprintf(sub, sizeof sub, "%s.official", path);
    const cJSON *o = ck_object(ck, e, path, "official", CK_REQUIRED);
    if (o) {
        static const char *const known_o[] = {"params_total", "params_active", "source", "date",
                                              "uncertain", "note", NULL};
        ck_known_keys(ck, o, sub, known_o);
        ck_source(ck, o, sub, &osrc);
        ck_number(ck, o, sub, "params_total", CK_REQUIRED, 1e6, 1e15, &total);
        ck_number(ck, o, sub, "params_active", CK_REQUIRED, 1e6, 1e15, &active);
        if (active > total)
            ck_fail(ck, sub, "params_active", "is larger than params_total");
    }
    snprintf(sub, sizeof sub, "%s.weights", path);
    const cJSON *w = ck_object(ck, e, path, "weights", CK_OPTIONAL);
    if (w) {
        static const char *const known_w[] = {"download_bytes", "source", "date", "uncertain",
                                              "note", NULL};
        ck_known_keys(ck, w, sub, known_w);
        ck_source(ck, w, sub, &wsrc);
        ck_number(ck, w, sub, "download_bytes", CK_REQUIRED, 1e6, 1e15, &download);
    }
    struct mtok_model *m = NULL;
    if (ck->errors == before) {
        struct mtok_buf rel = {0};
        mtok_buf_printf(&rel, "models/%s", config);
        char *cpath, *json;
        size_t len;
        if (mtok_data_read(cat->data_dir, rel.data, MTOK_CATALOG_MAX_FILE, &cpath, &json, &len,
                           d) == MTOK_OK) {
            struct ck cck = {.file = cpath, .d = d, .python_literals = true};
            cJSON *root = ck_parse(&cck, json, len);
            if (root)
                m = catalog_model_from_json(&cck, root);
            cJSON_Delete(root);
            ck->errors += cck.errors;
        } else {
            ck->errors++;
        }
        free(json);
        mtok_buf_free(&rel);
        if (m) {
            m->config_file = cpath;
            cpath = NULL;
        }
        free(cpath);
    }
    if (!m) {
        free(id), free(name), free(vendor), free(license), free(released), free(hf_repo);
        mtok_source_free(&osrc);
        mtok_source_free(&wsrc);
        free(config);
        return NULL;
    }
    free(config);
    m->id = id, m->name = name, m->vendor = vendor, m->license = license;
    m->released = released, m->hf_repo = hf_repo;
    m->official_total = total, m->official_active = active, m->official_src = osrc;
    m->download_bytes = download, m->download_src = wsrc;
    return m;
}

static bool load_models(struct mtok_catalog *cat, struct mtok_diags *d)
{
    char *path, *json;
    size_t len;
    if (mtok_data_read(cat->data_dir, "models/index.json", MTOK_CATALOG_MAX_FILE, &path, &json,
                       &len, d) != MTOK_OK) {
        free(path);
        free(json);
        return false;
    }
    struct ck ck = {.file = path, .d = d};
    cJSON *root = ck_parse(&ck, json, len);
    free(json);
    const cJSON *arr = root ? ck_array(&ck, root, "", "models", CK_REQUIRED) : NULL;
    if (arr) {
        int n = cJSON_GetArraySize(arr), i = 0;
        cat->models = mtok_xcalloc((size_t)n, sizeof *cat->models);
        const cJSON *e;
        cJSON_ArrayForEach(e, arr)
        {
            char ep[32];
            snprintf(ep, sizeof ep, "models[%d]", i++);
            if (!cJSON_IsObject(e)) {
                ck_fail(&ck, ep, NULL, "is not an object");
                continue;
            }
            struct mtok_model *m = load_index_entry(cat, &ck, e, ep, d);
            if (!m)
                continue;
            for (size_t k = 0; k < cat->n_models; k++)
                if (strcmp(cat->models[k]->id, m->id) == 0) {
                    ck_fail(&ck, ep, "id", "\"%s\" is also the id of models[%zu]", m->id, k);
                    mtok_model_destroy(m);
                    m = NULL;
                    break;
                }
            if (m)
                cat->models[cat->n_models++] = m;
        }
    }
    cJSON_Delete(root);
    free(path);
    return ck.errors == 0 && root;
}

/* ---- hardware ---- */

static struct mtok_hw *parse_hw(const char *name, const char *json, size_t len,
                                struct mtok_diags *d)
{
    struct ck ck = {.file = name, .d = d};
    cJSON *root = ck_parse(&ck, json, len);
    if (!root)
        return NULL;
    struct mtok_hw *hw = mtok_xcalloc(1, sizeof *hw);
    bool ok = catalog_hw_from_json(&ck, root, hw);
    cJSON_Delete(root);
    if (!ok) {
        free(hw);
        return NULL;
    }
    hw->file = mtok_xstrdup(name);
    return hw;
}

static void hw_destroy(struct mtok_hw *hw)
{
    if (hw) {
        catalog_hw_free(hw);
        free(hw);
    }
}

static bool load_hardware(struct mtok_catalog *cat, struct mtok_diags *d)
{
    size_t n;
    size_t before = d->n;
    char **names;
    if (mtok_data_json_names(cat->data_dir, "hardware", &names, &n, d) != MTOK_OK || !names)
        return d->n == before;
    cat->hw = mtok_xcalloc(n, sizeof *cat->hw);
    for (size_t i = 0; i < n; i++) {
        struct mtok_buf rel = {0};
        mtok_buf_printf(&rel, "hardware/%s", names[i]);
        char *path, *json;
        size_t len;
        if (mtok_data_read(cat->data_dir, rel.data, MTOK_CATALOG_MAX_FILE, &path, &json, &len,
                           d) == MTOK_OK) {
            struct mtok_hw *hw = parse_hw(path, json, len, d);
            if (hw) {
                size_t stem = strlen(names[i]) - 5;
                if (strlen(hw->id) != stem || strncmp(hw->id, names[i], stem) != 0) {
                    mtok_diags_add(d, path, "id", "\"%s\" does not match the file name", hw->id);
                    hw_destroy(hw);
                    hw = NULL;
                }
            }
            if (hw)
                cat->hw[cat->n_hw++] = hw;
        }
        free(json);
        free(path);
        mtok_buf_free(&rel);
    }
    mtok_names_free(names, n);
    return d->n == before;
}

/* ---- prices ---- */

struct rate {
    char *currency;
    double usd;
};

static void price_free(struct mtok_api_price *p)
{
    free(p->id), free(p->provider), free(p->product), free(p->model), free(p->kind);
    free(p->from), free(p->until), free(p->currency);
    mtok_source_free(&p->src);
}

#define MAX_RATES 16

struct id_at {
    const char *id;
    int at; /* index in the document */
};

static int cmp_id_at(const void *a, const void *b)
{
    const struct id_at *x = a, *y = b;
    int c = strcmp(x->id, y->id);
    return c ? c : (x->at > y->at) - (x->at < y->at);
}

/* Each price id that an earlier entry already has, by sorting (a 16 MB book holds ~50,000
 * entries: comparing every pair took seconds). */
static void report_duplicate_ids(struct ck *ck, const struct mtok_api_price *prices,
                                 const int *doc_index, size_t n)
{
    struct id_at *v = mtok_xcalloc(n + 1, sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = (struct id_at){prices[i].id, doc_index[i]};
    if (n)
        qsort(v, n, sizeof *v, cmp_id_at);
    for (size_t i = 1, first = 0; i < n; i++) {
        if (strcmp(v[i].id, v[first].id) != 0) {
            first = i;
            continue;
        }
        char ep[32];
        snprintf(ep, sizeof ep, "prices[%d]", v[i].at);
        ck_fail(ck, ep, "id", "\"%s\" is also the id of prices[%d]", v[i].id, v[first].at);
    }
    free(v);
}

/* Check one price book (the format of prices/api.json). Model ids are checked against `cat`'s
 * models; ids must be unique within the book. Returns false (diagnostics added) on any problem,
 * with *out NULL. */
static bool parse_price_book(const struct mtok_catalog *cat, const char *name, const char *json,
                             size_t len, struct mtok_api_price **out, size_t *n_out,
                             struct mtok_diags *d)
{
    *out = NULL;
    *n_out = 0;
    struct ck ck = {.file = name, .d = d};
    cJSON *root = ck_parse(&ck, json, len);
    if (root && !cJSON_IsObject(root)) {
        ck_fail(&ck, "", NULL, "is not a JSON object");
        cJSON_Delete(root);
        return false;
    }
    static const char *const known_root[] = {"currency_rates", "prices", "note", NULL};
    if (root)
        ck_known_keys(&ck, root, "", known_root);
    const cJSON *rates_j = root ? ck_array(&ck, root, "", "currency_rates", CK_OPTIONAL) : NULL;
    const cJSON *arr = root ? ck_array(&ck, root, "", "prices", CK_REQUIRED) : NULL;
    struct rate rates[MAX_RATES];
    size_t n_rates = 0;
    const cJSON *e;
    int i = 0;
    cJSON_ArrayForEach(e, rates_j)
    {
        char ep[40];
        snprintf(ep, sizeof ep, "currency_rates[%d]", i++);
        struct mtok_source src = {0};
        char *cur = NULL;
        double usd = 0;
        bool ok = ck_string(&ck, e, ep, "currency", CK_REQUIRED, 8, &cur);
        ok = ck_number(&ck, e, ep, "usd_per_unit", CK_REQUIRED, 1e-9, 1e9, &usd) && ok;
        ok = ck_source(&ck, e, ep, &src) && ok;
        mtok_source_free(&src);
        if (ok && strcmp(cur, "USD") == 0) {
            ck_fail(&ck, ep, "currency", "USD is the base currency and takes no rate");
            ok = false;
        }
        for (size_t r = 0; ok && r < n_rates; r++)
            if (strcmp(rates[r].currency, cur) == 0) {
                ck_fail(&ck, ep, "currency", "\"%s\" is also the currency of currency_rates[%zu]",
                        cur, r);
                ok = false;
            }
        if (ok && n_rates == MAX_RATES) {
            ck_fail(&ck, ep, NULL, "more than %d currency rates", MAX_RATES);
            ok = false;
        }
        if (ok)
            rates[n_rates++] = (struct rate){cur, usd};
        else
            free(cur);
    }
    int n = arr ? cJSON_GetArraySize(arr) : 0;
    struct mtok_api_price *prices = mtok_xcalloc((size_t)n + 1, sizeof *prices);
    int *doc_index = mtok_xcalloc((size_t)n + 1, sizeof *doc_index); /* prices[k] is the file's
                                                                       prices[doc_index[k]] */
    size_t n_prices = 0;
    i = 0;
    cJSON_ArrayForEach(e, arr)
    {
        char ep[32];
        snprintf(ep, sizeof ep, "prices[%d]", i++);
        if (!cJSON_IsObject(e)) {
            ck_fail(&ck, ep, NULL, "is not an object");
            continue;
        }
        static const char *const known[] = {
            "id", "provider", "product", "model", "kind", "from", "until", "currency",
            "per_m_input", "per_m_cached_input", "per_m_output", "source", "date", "uncertain",
            "note", "url", NULL};
        ck_known_keys(&ck, e, ep, known);
        struct mtok_api_price p = {0};
        size_t before = ck.errors;
        ck_id(&ck, e, ep, "id", &p.id);
        ck_string(&ck, e, ep, "provider", CK_REQUIRED, 200, &p.provider);
        ck_string(&ck, e, ep, "product", CK_REQUIRED, 200, &p.product);
        ck_string(&ck, e, ep, "model", CK_OPTIONAL, 64, &p.model);
        ck_string(&ck, e, ep, "kind", CK_REQUIRED, 32, &p.kind);
        ck_date(&ck, e, ep, "from", CK_REQUIRED, &p.from);
        ck_date(&ck, e, ep, "until", CK_OPTIONAL, &p.until);
        ck_string(&ck, e, ep, "currency", CK_REQUIRED, 8, &p.currency);
        p.orig_cached_input = NAN;
        ck_number(&ck, e, ep, "per_m_input", CK_REQUIRED, 0, 1e6, &p.orig_input);
        ck_number(&ck, e, ep, "per_m_cached_input", CK_OPTIONAL, 0, 1e6, &p.orig_cached_input);
        p.orig_output = NAN;
        if (!cJSON_GetObjectItemCaseSensitive(e, "per_m_output"))
            ck_fail(&ck, ep, "per_m_output", "missing (write null if not published)");
        ck_number(&ck, e, ep, "per_m_output", CK_OPTIONAL, 0, 1e6, &p.orig_output);
        ck_source(&ck, e, ep, &p.src);
        static const char *const kinds[] = {"list", "discount", "permanent", "peak", "off-peak",
                                            "reseller", NULL};
        if (p.kind) {
            const char *const *k = kinds;
            while (*k && strcmp(*k, p.kind))
                k++;
            if (!*k)
                ck_fail(&ck, ep, "kind", "\"%s\" is not list, discount, permanent, peak, off-peak "
                                         "or reseller", p.kind);
        }
        if (p.from && p.until && strcmp(p.until, p.from) < 0)
            ck_fail(&ck, ep, "until", "%s is before from %s", p.until, p.from);
        double rate = 0;
        if (p.currency) {
            if (strcmp(p.currency, "USD") == 0)
                rate = 1;
            for (size_t r = 0; r < n_rates && rate == 0; r++)
                if (strcmp(rates[r].currency, p.currency) == 0)
                    rate = rates[r].usd;
            if (rate == 0)
                ck_fail(&ck, ep, "currency", "\"%s\" has no entry in currency_rates", p.currency);
        }
        if (p.model && !mtok_catalog_model(cat, p.model))
            ck_fail(&ck, ep, "model", "\"%s\" is not a catalog model id", p.model);
        p.per_m_input = p.orig_input * rate;
        p.per_m_cached_input = p.orig_cached_input * rate; /* NAN stays NAN */
        p.per_m_output = p.orig_output * rate;
        if (ck.errors == before) {
            doc_index[n_prices] = i - 1;
            prices[n_prices++] = p;
        } else {
            price_free(&p);
        }
    }
    report_duplicate_ids(&ck, prices, doc_index, n_prices);
    free(doc_index);
    for (size_t r = 0; r < n_rates; r++)
        free(rates[r].currency);
    cJSON_Delete(root);
    if (ck.errors || !root) {
        mtok_api_prices_free(prices, n_prices);
        return false;
    }
    *out = prices;
    *n_out = n_prices;
    return true;
}

static bool load_prices(struct mtok_catalog *cat, struct mtok_diags *d)
{
    char *path, *json;
    size_t len;
    if (mtok_data_read(cat->data_dir, "prices/api.json", MTOK_CATALOG_MAX_FILE, &path, &json, &len,
                       d) != MTOK_OK) {
        free(path);
        free(json);
        return false;
    }
    bool ok = parse_price_book(cat, path, json, len, &cat->prices, &cat->n_prices, d);
    free(json);
    free(path);
    return ok;
}

/* ---- public ---- */

enum mtok_status mtok_catalog_open(struct mtok_catalog **out, const char *data_dir,
                                   struct mtok_diags *diags)
{
    *out = NULL;
    struct mtok_catalog *cat = mtok_xcalloc(1, sizeof *cat);
    cat->data_dir = data_dir ? mtok_xstrdup(data_dir) : NULL;
    size_t before = diags->n;
    bool ok = load_models(cat, diags);
    ok = load_hardware(cat, diags) && ok;
    ok = ok && load_prices(cat, diags); /* prices name model ids: check them against loaded models */
    if (!ok || diags->n != before) {
        if (diags->n == before)
            mtok_diags_add(diags, data_dir ? data_dir : "data", "(catalog)", "failed to load");
        mtok_catalog_destroy(cat);
        return MTOK_EINVAL;
    }
    *out = cat;
    return MTOK_OK;
}

void mtok_catalog_destroy(struct mtok_catalog *cat)
{
    if (!cat)
        return;
    for (size_t i = 0; i < cat->n_models; i++)
        mtok_model_destroy(cat->models[i]);
    free(cat->models);
    for (size_t i = 0; i < cat->n_hw; i++)
        hw_destroy(cat->hw[i]);
    free(cat->hw);
    mtok_api_prices_free(cat->prices, cat->n_prices);
    for (size_t i = 0; i < cat->n_retired; i++)
        mtok_model_destroy(cat->retired[i]);
    free(cat->retired);
    free(cat->data_dir);
    free(cat);
}

size_t mtok_catalog_model_count(const struct mtok_catalog *cat) { return cat->n_models; }

const struct mtok_model *mtok_catalog_model_at(const struct mtok_catalog *cat, size_t i)
{
    return i < cat->n_models ? cat->models[i] : NULL;
}

const struct mtok_model *mtok_catalog_model(const struct mtok_catalog *cat, const char *id)
{
    for (size_t i = 0; i < cat->n_models; i++)
        if (strcmp(cat->models[i]->id, id) == 0)
            return cat->models[i];
    return NULL;
}

size_t mtok_catalog_hw_count(const struct mtok_catalog *cat) { return cat->n_hw; }

const struct mtok_hw *mtok_catalog_hw_at(const struct mtok_catalog *cat, size_t i)
{
    return i < cat->n_hw ? cat->hw[i] : NULL;
}

const struct mtok_hw *mtok_catalog_hw(const struct mtok_catalog *cat, const char *id)
{
    for (size_t i = 0; i < cat->n_hw; i++)
        if (strcmp(cat->hw[i]->id, id) == 0)
            return cat->hw[i];
    return NULL;
}

size_t mtok_catalog_price_count(const struct mtok_catalog *cat) { return cat->n_prices; }

const struct mtok_api_price *mtok_catalog_price_at(const struct mtok_catalog *cat, size_t i)
{
    return i < cat->n_prices ? &cat->prices[i] : NULL;
}

static void put_hw(struct mtok_catalog *cat, struct mtok_hw *hw)
{
    for (size_t i = 0; i < cat->n_hw; i++)
        if (strcmp(cat->hw[i]->id, hw->id) == 0) {
            hw_destroy(cat->hw[i]);
            cat->hw[i] = hw;
            return;
        }
    cat->hw = mtok_xrealloc(cat->hw, (cat->n_hw + 1) * sizeof *cat->hw);
    cat->hw[cat->n_hw++] = hw;
}

enum mtok_status mtok_catalog_add_hw_json(struct mtok_catalog *cat, const char *name,
                                          const char *json, size_t len, struct mtok_diags *diags)
{
    struct mtok_hw *hw = parse_hw(name, json, len, diags);
    if (!hw)
        return MTOK_EINVAL;
    put_hw(cat, hw);
    return MTOK_OK;
}

static bool looks_like_path(const char *arg)
{
    size_t n = strlen(arg);
    return strchr(arg, '/') || (n > 5 && strcmp(arg + n - 5, ".json") == 0);
}

enum mtok_status mtok_catalog_resolve_model(struct mtok_catalog *cat, const char *arg,
                                            const struct mtok_model **out, struct mtok_diags *diags)
{
    *out = mtok_catalog_model(cat, arg);
    if (*out)
        return MTOK_OK;
    if (!looks_like_path(arg)) {
        mtok_diags_add(diags, "--model", arg, "not a catalog model id (see `mtok models`) "
                                              "nor a path to a config.json");
        return MTOK_ENOTFOUND;
    }
    char *json;
    size_t len;
    enum mtok_status s = mtok_file_read_diag(arg, MTOK_CATALOG_MAX_FILE, &json, &len, diags);
    if (s != MTOK_OK)
        return s;
    struct mtok_model *m;
    s = mtok_model_parse(arg, json, len, &m, diags);
    free(json);
    if (s != MTOK_OK)
        return s;
    cat->models = mtok_xrealloc(cat->models, (cat->n_models + 1) * sizeof *cat->models);
    cat->models[cat->n_models++] = m;
    *out = m;
    return MTOK_OK;
}

enum mtok_status mtok_catalog_resolve_hw(struct mtok_catalog *cat, const char *arg,
                                         const struct mtok_hw **out, struct mtok_diags *diags)
{
    *out = mtok_catalog_hw(cat, arg);
    if (*out)
        return MTOK_OK;
    if (!looks_like_path(arg)) {
        mtok_diags_add(diags, "--hw", arg, "not a hardware id (see `mtok hw`) nor a path to a "
                                           "hardware file");
        return MTOK_ENOTFOUND;
    }
    char *json;
    size_t len;
    enum mtok_status s = mtok_file_read_diag(arg, MTOK_CATALOG_MAX_FILE, &json, &len, diags);
    if (s != MTOK_OK)
        return s;
    struct mtok_hw *hw = parse_hw(arg, json, len, diags);
    free(json);
    if (!hw)
        return MTOK_EINVAL;
    put_hw(cat, hw);
    *out = hw;
    return MTOK_OK;
}

void mtok_api_prices_free(struct mtok_api_price *prices, size_t n)
{
    for (size_t i = 0; prices && i < n; i++)
        price_free(&prices[i]);
    free(prices);
}

enum mtok_status mtok_prices_parse(const struct mtok_catalog *cat, const char *name,
                                   const char *json, size_t len, struct mtok_api_price **out,
                                   size_t *n, struct mtok_diags *diags)
{
    if (len > MTOK_CATALOG_MAX_FILE) {
        *out = NULL;
        *n = 0;
        mtok_diags_add(diags, name, "(file)", "larger than %u bytes", MTOK_CATALOG_MAX_FILE);
        return MTOK_EINVAL;
    }
    return parse_price_book(cat, name, json, len, out, n, diags) ? MTOK_OK : MTOK_EINVAL;
}

enum mtok_status mtok_catalog_set_prices_json(struct mtok_catalog *cat, const char *name,
                                              const char *json, size_t len,
                                              struct mtok_diags *diags)
{
    struct mtok_api_price *prices;
    size_t n;
    size_t before = diags->n;
    if (mtok_prices_parse(cat, name, json, len, &prices, &n, diags) != MTOK_OK) {
        if (diags->n == before)
            mtok_diags_add(diags, name, "(document)", "is not a valid price book");
        return MTOK_EINVAL;
    }
    mtok_api_prices_free(cat->prices, cat->n_prices);
    cat->prices = prices;
    cat->n_prices = n;
    return MTOK_OK;
}

void mtok_catalog_add_prices(struct mtok_catalog *cat, struct mtok_api_price *prices, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t k = 0;
        while (k < cat->n_prices && strcmp(cat->prices[k].id, prices[i].id) != 0)
            k++;
        if (k < cat->n_prices) {
            price_free(&cat->prices[k]);
        } else {
            cat->prices = mtok_xrealloc(cat->prices, (cat->n_prices + 1) * sizeof *cat->prices);
            cat->n_prices++;
        }
        cat->prices[k] = prices[i];
    }
    free(prices);
}

void mtok_catalog_add_model(struct mtok_catalog *cat, struct mtok_model *m)
{
    for (size_t i = 0; i < cat->n_models; i++)
        if (strcmp(cat->models[i]->id, m->id) == 0) {
            cat->retired = mtok_xrealloc(cat->retired, (cat->n_retired + 1) * sizeof *cat->retired);
            cat->retired[cat->n_retired++] = cat->models[i];
            cat->models[i] = m;
            return;
        }
    cat->models = mtok_xrealloc(cat->models, (cat->n_models + 1) * sizeof *cat->models);
    cat->models[cat->n_models++] = m;
}
