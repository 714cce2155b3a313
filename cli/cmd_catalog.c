/* mtok models | hw | prices */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <sys/stat.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "pricing/pricing.h"

static cJSON *source_json(const struct mtok_source *s)
{
    if (!s->source)
        return cJSON_CreateNull();
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "source", s->source);
    cJSON_AddStringToObject(o, "date", s->date);
    cJSON_AddBoolToObject(o, "uncertain", s->uncertain);
    if (s->note)
        cJSON_AddStringToObject(o, "note", s->note);
    return o;
}

/* A figure that may be absent (0 or NAN) as a number or null. */
static void add_num(cJSON *o, const char *key, double v)
{
    if (v == 0 || isnan(v))
        cJSON_AddNullToObject(o, key);
    else
        cJSON_AddNumberToObject(o, key, v);
}

static void add_str(cJSON *o, const char *key, const char *s)
{
    if (s)
        cJSON_AddStringToObject(o, key, s);
    else
        cJSON_AddNullToObject(o, key);
}

/* ---- models ---- */

static cJSON *model_json(const struct mtok_model *m)
{
    cJSON *o = cJSON_CreateObject();
    add_str(o, "id", m->id);
    add_str(o, "name", m->name);
    add_str(o, "vendor", m->vendor);
    add_str(o, "license", m->license);
    add_str(o, "released", m->released);
    add_str(o, "hf_repo", m->hf_repo);
    if (m->hf_repo) {
        struct mtok_buf url = {0};
        mtok_buf_printf(&url, "https://huggingface.co/%s", m->hf_repo);
        cJSON_AddStringToObject(o, "source_url", url.data);
        mtok_buf_free(&url);
    }
    add_str(o, "config", m->config_file);
    add_str(o, "model_type", m->model_type);
    add_num(o, "params_total_official", m->official_total);
    add_num(o, "params_active_official", m->official_active);
    cJSON_AddItemToObject(o, "official_source", source_json(&m->official_src));
    if (m->download_bytes > 0) {
        cJSON_AddNumberToObject(o, "download_bytes", m->download_bytes);
        cJSON_AddItemToObject(o, "download_source", source_json(&m->download_src));
    }
    cJSON_AddNumberToObject(o, "hidden_size", m->hidden);
    cJSON_AddNumberToObject(o, "layers", m->n_layers);
    cJSON_AddNumberToObject(o, "mtp_layers", m->n_mtp);
    cJSON_AddNumberToObject(o, "experts", m->n_experts);
    cJSON_AddNumberToObject(o, "experts_per_token", m->topk);
    cJSON_AddStringToObject(o, "weights_dense", mtok_dtype_name(m->wprec_dense));
    cJSON_AddStringToObject(o, "weights_experts", mtok_dtype_name(m->wprec_expert));
    /* Per-kind layer counts: the layout at a glance. */
    cJSON *mix = cJSON_CreateObject();
    int counts[MTOK_ATTN_KIND_COUNT] = {0};
    for (int i = 0; i < m->n_layers; i++)
        counts[m->layers[i].attn]++;
    for (int k = 0; k < MTOK_ATTN_KIND_COUNT; k++)
        if (counts[k])
            cJSON_AddNumberToObject(mix, mtok_attn_kind_name((enum mtok_attn_kind)k), counts[k]);
    cJSON_AddItemToObject(o, "attention_layers", mix);
    return o;
}

static const char *attn_summary(const struct mtok_model *m, char *buf, size_t n)
{
    int counts[MTOK_ATTN_KIND_COUNT] = {0};
    for (int i = 0; i < m->n_layers; i++)
        counts[m->layers[i].attn]++;
    size_t len = 0;
    buf[0] = '\0';
    for (int k = 0; k < MTOK_ATTN_KIND_COUNT && len < n; k++)
        if (counts[k] && k != MTOK_ATTN_NONE)
            len += (size_t)snprintf(buf + len, n - len, "%s%d %s", len ? "+" : "", counts[k],
                                    mtok_attn_kind_name((enum mtok_attn_kind)k));
    return buf;
}

int cli_models(struct cli *c, int argc, char **argv)
{
    char *pos[1];
    if (cli_parse(c, argc, argv, NULL, 0, pos, 0) < 0)
        return CLI_ERROR;
    struct mtok_catalog *cat = cli_catalog(c);
    if (!cat)
        return CLI_ERROR;
    size_t n = mtok_catalog_model_count(cat);
    if (c->json) {
        cJSON *a = cJSON_CreateArray();
        for (size_t i = 0; i < n; i++)
            cJSON_AddItemToArray(a, model_json(mtok_catalog_model_at(cat, i)));
        cli_print_json(c, a);
        return CLI_OK;
    }
    static const char *const hdr[] = {"id", "name", "vendor", "type", "released", "total B",
                                      "active B", "layers", "weights", "license"};
    struct cli_table *t = cli_table_create(10, hdr);
    for (size_t i = 0; i < n; i++) {
        const struct mtok_model *m = mtok_catalog_model_at(cat, i);
        char tot[32], act[32], lay[160], w[32];
        cli_num(tot, sizeof tot, m->official_total / 1e9, 1);
        cli_num(act, sizeof act, m->official_active / 1e9, 1);
        attn_summary(m, lay, sizeof lay);
        snprintf(w, sizeof w, "%s/%s", mtok_dtype_name(m->wprec_dense),
                 mtok_dtype_name(m->wprec_expert));
        cli_table_row(t, m->id, m->name, m->vendor, m->model_type, m->released, tot, act, lay, w,
                      m->license);
    }
    cli_table_print(t, c->out);
    cli_table_destroy(t);
    return CLI_OK;
}

/* ---- hardware ---- */

static cJSON *hw_json(const struct mtok_hw *h)
{
    cJSON *o = cJSON_CreateObject();
    add_str(o, "id", h->id);
    add_str(o, "name", h->name);
    add_str(o, "vendor", h->vendor);
    add_str(o, "kind", h->kind);
    add_str(o, "released", h->released);
    add_str(o, "file", h->file);
    cJSON *peaks = cJSON_CreateObject();
    for (int p = 0; p < MTOK_PEAK_COUNT; p++)
        add_num(peaks, mtok_peak_name((enum mtok_peak)p), h->peak[p]);
    cJSON_AddItemToObject(o, "dense_flops", peaks);
    cJSON_AddItemToObject(o, "compute_source", source_json(&h->src_compute));
    add_num(o, "memory_bytes", h->mem_bytes);
    add_num(o, "memory_bandwidth_bytes_s", h->mem_bw);
    cJSON_AddItemToObject(o, "memory_source", source_json(&h->src_memory));
    add_str(o, "scale_up_name", h->scale_up_name);
    add_num(o, "scale_up_bandwidth_bytes_s", h->scale_up_bw);
    cJSON_AddNumberToObject(o, "scale_up_domain", h->scale_up_domain);
    cJSON_AddItemToObject(o, "scale_up_source", source_json(&h->src_scale_up));
    add_str(o, "scale_out_name", h->scale_out_name);
    add_num(o, "scale_out_bandwidth_bytes_s", h->scale_out_bw);
    cJSON_AddItemToObject(o, "scale_out_source", source_json(&h->src_scale_out));
    add_num(o, "tdp_w", h->tdp_w);
    add_num(o, "all_in_kw", h->all_in_kw);
    cJSON_AddItemToObject(o, "power_source", source_json(&h->src_power));
    cJSON *tiers = cJSON_CreateObject();
    for (int t = 0; t < MTOK_TIER_COUNT; t++)
        if (h->usd_per_hour[t] > 0)
            cJSON_AddNumberToObject(tiers, mtok_tier_name((enum mtok_tier)t), h->usd_per_hour[t]);
    cJSON_AddItemToObject(o, "usd_per_hour", tiers);
    add_num(o, "purchase_usd", h->purchase_usd);
    cJSON_AddItemToObject(o, "price_source", source_json(&h->src_price));
    return o;
}

int cli_hw(struct cli *c, int argc, char **argv)
{
    char *pos[1];
    if (cli_parse(c, argc, argv, NULL, 0, pos, 0) < 0)
        return CLI_ERROR;
    struct mtok_catalog *cat = cli_catalog(c);
    if (!cat)
        return CLI_ERROR;
    size_t n = mtok_catalog_hw_count(cat);
    if (c->json) {
        cJSON *a = cJSON_CreateArray();
        for (size_t i = 0; i < n; i++)
            cJSON_AddItemToArray(a, hw_json(mtok_catalog_hw_at(cat, i)));
        cli_print_json(c, a);
        return CLI_OK;
    }
    static const char *const hdr[] = {"id",       "name",    "bf16 TF", "fp8 TF",  "fp4 TF",
                                      "mem GB",   "TB/s",    "up GB/s", "domain",  "$/h hyper",
                                      "$/h neo",  "$/h rent", "price $"};
    struct cli_table *t = cli_table_create(13, hdr);
    for (size_t i = 0; i < n; i++) {
        const struct mtok_hw *h = mtok_catalog_hw_at(cat, i);
        char b[13][32];
        cli_num(b[0], 32, h->peak[MTOK_PEAK_BF16] / 1e12, 0);
        cli_num(b[1], 32, h->peak[MTOK_PEAK_FP8] / 1e12, 0);
        cli_num(b[2], 32, h->peak[MTOK_PEAK_FP4] / 1e12, 0);
        cli_num(b[3], 32, h->mem_bytes / 1e9, 0);
        cli_num(b[4], 32, h->mem_bw / 1e12, 2);
        cli_num(b[5], 32, h->scale_up_bw / 1e9, 0);
        snprintf(b[6], 32, "%d", h->scale_up_domain);
        cli_num(b[7], 32, h->usd_per_hour[MTOK_TIER_HYPERSCALER], 2);
        cli_num(b[8], 32, h->usd_per_hour[MTOK_TIER_NEOCLOUD], 2);
        cli_num(b[9], 32, h->usd_per_hour[MTOK_TIER_RENTAL], 2);
        cli_num(b[10], 32, h->purchase_usd, 0);
        cli_table_row(t, h->id, h->name, b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8],
                      b[9], b[10]);
    }
    cli_table_print(t, c->out);
    cli_table_destroy(t);
    return CLI_OK;
}

/* ---- prices ---- */

static void print_prices(struct cli *c, const struct mtok_api_price *const *v, size_t n)
{
    if (c->json) {
        cJSON *a = cJSON_CreateArray();
        for (size_t i = 0; i < n; i++) {
            const struct mtok_api_price *p = v[i];
            cJSON *o = cJSON_CreateObject();
            add_str(o, "id", p->id);
            add_str(o, "provider", p->provider);
            add_str(o, "product", p->product);
            add_str(o, "model", p->model);
            add_str(o, "kind", p->kind);
            add_str(o, "from", p->from);
            add_str(o, "until", p->until);
            add_str(o, "currency", p->currency);
            add_num(o, "usd_per_m_input", p->per_m_input);
            add_num(o, "usd_per_m_cached_input", p->per_m_cached_input);
            add_num(o, "usd_per_m_output", p->per_m_output);
            cJSON_AddItemToObject(o, "source", source_json(&p->src));
            cJSON_AddItemToArray(a, o);
        }
        cli_print_json(c, a);
        return;
    }
    static const char *const hdr[] = {"provider", "product", "kind", "from",  "until",
                                      "$/M in",   "$/M cached", "$/M out", "currency", "uncertain"};
    struct cli_table *t = cli_table_create(10, hdr);
    for (size_t i = 0; i < n; i++) {
        const struct mtok_api_price *p = v[i];
        char in[32], ca[32], out[32];
        snprintf(in, sizeof in, "%.4g", p->per_m_input);
        cli_num(ca, sizeof ca, p->per_m_cached_input, -4);
        cli_num(out, sizeof out, p->per_m_output, -4);
        cli_table_row(t, p->provider, p->product, p->kind, p->from, p->until ? p->until : "",
                      in, isnan(p->per_m_cached_input) ? "n/a" : ca, out, p->currency,
                      p->src.uncertain ? "yes" : "");
    }
    cli_table_print(t, c->out);
    cli_table_destroy(t);
}

/* --book URL|FILE: a price book other than the embedded one. A URL that cannot be reached leaves
 * the embedded book in place, with a warning. */
static int load_book(struct cli *c, struct mtok_catalog *cat, const char *book,
                     struct mtok_api_price **prices, size_t *n)
{
    struct mtok_diags d = {0};
    enum mtok_status s;
    if (mtok_fetch_is_url(book)) {
        struct mtok_fetch_opts fo = {.offline_fallback = true};
        struct mtok_fetch_info info;
        s = mtok_fetch_prices(cat, book, &fo, prices, n, &info, &d);
        if (s == MTOK_OK && info.warning[0])
            fprintf(c->err, "mtok %s: warning: %s\n", c->cmd, info.warning);
    } else {
        char *json = NULL;
        size_t len = 0;
        s = mtok_file_read_diag(book, MTOK_CATALOG_MAX_FILE, &json, &len, &d);
        if (s == MTOK_OK)
            s = mtok_prices_parse(cat, book, json, len, prices, n, &d);
        free(json);
    }
    int rc = s == MTOK_OK ? CLI_OK : cli_fail_diags(c, &d);
    mtok_diags_free(&d);
    return rc;
}

int cli_prices(struct cli *c, int argc, char **argv)
{
    const char *book = NULL;
    struct cli_opt opts[] = {{"book", OPT_STR, &book, 0, 0, 0}};
    char *pos[1];
    if (cli_parse(c, argc, argv, opts, 1, pos, 0) < 0)
        return CLI_ERROR;
    struct mtok_catalog *cat = cli_catalog(c);
    if (!cat)
        return CLI_ERROR;
    struct mtok_api_price *fetched = NULL;
    size_t n_fetched = 0;
    if (book && load_book(c, cat, book, &fetched, &n_fetched) != CLI_OK)
        return CLI_ERROR;
    size_t n = fetched ? n_fetched : mtok_catalog_price_count(cat);
    const struct mtok_api_price **v = mtok_xcalloc(n + 1, sizeof *v);
    for (size_t i = 0; i < n; i++)
        v[i] = fetched ? &fetched[i] : mtok_catalog_price_at(cat, i);
    print_prices(c, v, n);
    free(v);
    mtok_api_prices_free(fetched, n_fetched);
    return CLI_OK;
}
