/* Fuzz target: an HTTP response through mtok_fetch_handle, everything mtok_fetch does after the
 * transfer (status, the header fields, the size cap, the catalog checks, the on-disk cache).
 *
 * Input: a response as it comes off the wire, or a bare body.
 *   - Starting with "HTTP/": the head, one line per '\n' (each line, with its CR LF, goes to
 *     mtok_fetch_header_line as libcurl's header callback hands it over; a later status line
 *     starts a new response as after a redirect, and its three digits are the status libcurl
 *     reports, 0 when there are none), up to the first empty line ("" or "\r"); the rest is the
 *     body. No empty line: the head is everything and the body is empty (a cut response).
 *   - Anything else: the whole input is the body of a "200 OK" without headers (so the files in
 *     data/models, data/prices and tests/data/broken are seeds as they are).
 *
 * Each input is handled three times, as a config.json (checked by mtok_model_parse, as
 * mtok_fetch_model does), as a price book (mtok_prices_parse against the embedded catalog, as
 * mtok_fetch_prices does) and unchecked (as `mtok fetch` of any document), each at its own URL,
 * with a 32 KiB cap and a scratch cache that already holds a valid entry for the first two URLs
 * (so a 304 is served from it), none for the third.
 *
 * Oracles: diagnostics are printable lines starting with the URL, none on success; success only
 * for a 200 within the cap or a 304 with a stored copy; a rejected response leaves the cache
 * byte-for-byte as it was; an accepted one round-trips: the caller gets the body, a 200's body is
 * what the cache now holds, and a following bare 304 serves those same bytes with the validators
 * the 200 gave (and the checker accepts them again, parsing the same document). */
#include "fuzz.h" /* first: it sets _POSIX_C_SOURCE */

#include "catalog/catalog.h"
#include "pricing/pricing.h"

#define CAP (32u << 10)

static struct mtok_catalog *cat;
static struct mtok_fetch_opts opts;

/* ---- the checkers, as mtok_fetch_model and mtok_fetch_prices use them ---- */

struct check_ctx {
    struct mtok_model *model;
    struct mtok_api_price *prices;
    size_t n_prices;
};

static void ctx_free(struct check_ctx *c)
{
    mtok_model_destroy(c->model);
    mtok_api_prices_free(c->prices, c->n_prices);
    memset(c, 0, sizeof *c);
}

static enum mtok_status check_model(void *ctx, const char *url, const char *body, size_t len,
                                    struct mtok_diags *diags)
{
    struct check_ctx *c = ctx;
    return mtok_model_parse(url, body, len, &c->model, diags);
}

static enum mtok_status check_prices(void *ctx, const char *url, const char *body, size_t len,
                                     struct mtok_diags *diags)
{
    struct check_ctx *c = ctx;
    return mtok_prices_parse(cat, url, body, len, &c->prices, &c->n_prices, diags);
}

static const struct {
    const char *url;
    mtok_fetch_check_fn check;
    const char *stored; /* embedded file the cache holds for this URL, or NULL */
} kinds[] = {
    {"https://fuzz.invalid/Qwen/Qwen3-0.6B/config.json", check_model,
     "data/models/Qwen--Qwen3-0.6B_config.json"},
    {"https://fuzz.invalid/prices/api.json", check_prices, "data/prices/api.json"},
    {"https://fuzz.invalid/any.json", NULL, NULL},
};
#define N_KINDS (sizeof kinds / sizeof *kinds)

/* ---- the cache directory as data ---- */

struct snap {
    size_t n;
    char *name[16];
    struct mtok_buf data[16];
};

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void snap_free(struct snap *s)
{
    for (size_t i = 0; i < s->n; i++) {
        free(s->name[i]);
        mtok_buf_free(&s->data[i]);
    }
    s->n = 0;
}

static void snap_take(struct snap *s, const char *dir)
{
    snap_free(s);
    DIR *dp = opendir(dir);
    FUZZ_ASSERT(dp, "cannot list the cache %s", dir);
    struct dirent *e;
    while ((e = readdir(dp))) {
        if (e->d_name[0] == '.')
            continue;
        FUZZ_ASSERT(s->n < 16, "more than 16 files in the cache");
        s->name[s->n++] = mtok_xstrdup(e->d_name);
    }
    closedir(dp);
    qsort(s->name, s->n, sizeof *s->name, cmp_str);
    for (size_t i = 0; i < s->n; i++) {
        struct mtok_buf p = {0};
        mtok_buf_printf(&p, "%s/%s", dir, s->name[i]);
        char *data = NULL;
        size_t len = 0;
        FUZZ_ASSERT(mtok_file_read(p.data, 1u << 26, &data, &len, NULL) == MTOK_OK,
                    "cannot read %s", p.data);
        s->data[i] = (struct mtok_buf){0};
        mtok_buf_append(&s->data[i], data, len);
        free(data);
        mtok_buf_free(&p);
    }
}

static bool snap_equal(const struct snap *a, const struct snap *b)
{
    if (a->n != b->n)
        return false;
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->name[i], b->name[i]) != 0 || a->data[i].len != b->data[i].len ||
            (a->data[i].len && memcmp(a->data[i].data, b->data[i].data, a->data[i].len) != 0))
            return false;
    return true;
}

static void snap_restore(const struct snap *s, const char *dir)
{
    fuzz_rm_tree(dir);
    FUZZ_ASSERT(mkdir(dir, 0700) == 0, "cannot make %s", dir);
    for (size_t i = 0; i < s->n; i++) {
        struct mtok_buf p = {0};
        mtok_buf_printf(&p, "%s/%s", dir, s->name[i]);
        fuzz_write(p.data, s->data[i].data ? s->data[i].data : "", s->data[i].len);
        mtok_buf_free(&p);
    }
}

static struct snap baseline, now;

/* The body file the cache keeps for a URL (the one accepted 200 wrote). */
static bool cache_body(const struct mtok_fetch_info *info, struct mtok_buf *out)
{
    char *data = NULL;
    size_t len = 0;
    if (!info->cache_path[0] || mtok_file_read(info->cache_path, CAP + 1, &data, &len, NULL) != 0)
        return false;
    mtok_buf_append(out, data, len);
    free(data);
    return true;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    struct mtok_diags d = {0};
    if (mtok_catalog_open(&cat, NULL, &d) != MTOK_OK) {
        fprintf(stderr, "fuzz_http: embedded catalog does not load\n");
        abort();
    }
    opts.cache_dir = mtok_xstrdup(fuzz_path("cache"));
    opts.max_bytes = CAP;
    mkdir(opts.cache_dir, 0700);
    for (size_t k = 0; k < N_KINDS; k++) {
        if (!kinds[k].stored)
            continue;
        const struct mtok_blob *b = mtok_embedded_find(kinds[k].stored);
        FUZZ_ASSERT(b && b->size <= CAP, "%s is not embedded or over the cap", kinds[k].stored);
        struct mtok_fetch_response r = {.status = 200, .body = (const char *)b->data,
                                        .len = b->size};
        snprintf(r.etag, sizeof r.etag, "\"stored-%zu\"", k);
        struct check_ctx c = {0};
        char *body = NULL;
        size_t len = 0;
        struct mtok_fetch_info info;
        enum mtok_status s = mtok_fetch_handle(kinds[k].url, &opts, &r, kinds[k].check, &c, &body,
                                               &len, &info, &d);
        FUZZ_ASSERT(s == MTOK_OK && info.stored, "storing %s: %s", kinds[k].stored,
                    d.n ? d.lines[d.n - 1] : info.warning);
        free(body);
        ctx_free(&c);
    }
    mtok_diags_free(&d);
    snap_take(&baseline, opts.cache_dir);
    FUZZ_ASSERT(baseline.n == 4, "the baseline cache holds %zu files, not 4", baseline.n);
    return 0;
}

/* The response the input describes (see the top of the file); body points into data. */
static void parse_input(const uint8_t *data, size_t size, struct mtok_fetch_response *r)
{
    memset(r, 0, sizeof *r);
    const char *p = (const char *)data, *end = p + size;
    if (size < 5 || memcmp(p, "HTTP/", 5) != 0) {
        r->status = 200;
        r->body = p;
        r->len = size;
        return;
    }
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl + 1 : end;
        size_t n = (size_t)(eol - p);
        if (n == 1 || (n == 2 && p[0] == '\r')) { /* the empty line */
            p = eol;
            r->body = p;
            r->len = (size_t)(end - p);
            return;
        }
        mtok_fetch_header_line(r, p, n);
        if (n >= 5 && memcmp(p, "HTTP/", 5) == 0) {
            const char *sp = memchr(p, ' ', n);
            r->status = 0;
            if (sp && eol - sp > 3 && sp[1] >= '1' && sp[1] <= '9' && sp[2] >= '0' &&
                sp[2] <= '9' && sp[3] >= '0' && sp[3] <= '9')
                r->status = (sp[1] - '0') * 100 + (sp[2] - '0') * 10 + (sp[3] - '0');
        }
        p = eol;
    }
}

static void one(size_t k, const struct mtok_fetch_response *r)
{
    const char *url = kinds[k].url;
    struct check_ctx c = {0}, c2 = {0};
    struct mtok_diags d = {0};
    struct mtok_fetch_info info, info2;
    char *body = NULL, *body2 = NULL;
    size_t len = 0, len2 = 0;
    enum mtok_status s =
        mtok_fetch_handle(url, &opts, r, kinds[k].check, &c, &body, &len, &info, &d);
    fuzz_check_diags_prefix(&d, 0, s == MTOK_OK, url);
    FUZZ_ASSERT(info.http_status == r->status, "status %ld reported as %ld", r->status,
                info.http_status);
    snap_take(&now, opts.cache_dir);
    if (s != MTOK_OK) {
        FUZZ_ASSERT(!body && len == 0 && !info.stored, "%s: a rejected response was handed out",
                    url);
        FUZZ_ASSERT(snap_equal(&now, &baseline), "%s: a rejected response (status %ld) changed "
                    "the cache", url, r->status);
        goto done;
    }
    bool fresh = r->status == 200;
    FUZZ_ASSERT(fresh || (r->status == 304 && kinds[k].stored), "%s: status %ld accepted", url,
                r->status);
    FUZZ_ASSERT(body && body[len] == '\0' && info.bytes == len, "%s: the body handed out", url);
    if (!fresh) {
        const struct mtok_blob *b = mtok_embedded_find(kinds[k].stored);
        FUZZ_ASSERT(info.from_cache && !info.stored && len == b->size &&
                        memcmp(body, b->data, len) == 0,
                    "%s: a 304 did not serve the stored copy", url);
        FUZZ_ASSERT(snap_equal(&now, &baseline), "%s: a 304 changed the cache", url);
        goto done;
    }
    FUZZ_ASSERT(len == r->len && len <= CAP && (!len || memcmp(body, r->body, len) == 0),
                "%s: the body handed out is not the one received", url);
    FUZZ_ASSERT(info.stored && !info.from_cache, "%s: an accepted 200 was not cached (%s)", url,
                info.warning);
    FUZZ_ASSERT(strcmp(info.etag, r->etag) == 0 &&
                    strcmp(info.last_modified, r->last_modified) == 0 &&
                    strcmp(info.content_type, r->content_type) == 0,
                "%s: the validators reported are not the response's", url);
    struct mtok_buf stored = {0};
    FUZZ_ASSERT(cache_body(&info, &stored) && stored.len == len &&
                    (!len || memcmp(stored.data, body, len) == 0),
                "%s: the cache does not hold the accepted body", url);
    mtok_buf_free(&stored);

    /* Round trip: a bare 304 now serves the same bytes, with the 200's validators. */
    struct mtok_fetch_response r304 = {.status = 304};
    s = mtok_fetch_handle(url, &opts, &r304, kinds[k].check, &c2, &body2, &len2, &info2, &d);
    FUZZ_ASSERT(s == MTOK_OK && info2.from_cache && len2 == len &&
                    (!len || memcmp(body2, body, len) == 0),
                "%s: the cached copy of an accepted body does not come back (%s)", url,
                d.n ? d.lines[d.n - 1] : "no diagnostic");
    /* Stored validators come back as the 200 gave them, unless they held a NUL (cut there). */
    FUZZ_ASSERT(strcmp(info2.etag, info.etag) == 0 &&
                    strcmp(info2.last_modified, info.last_modified) == 0,
                "%s: validators did not round-trip: \"%s\" / \"%s\" became \"%s\" / \"%s\"", url,
                info.etag, info.last_modified, info2.etag, info2.last_modified);
    if (c.model)
        FUZZ_ASSERT(c2.model && strcmp(c.model->id, c2.model->id) == 0 &&
                        c.model->n_layers == c2.model->n_layers &&
                        c.model->hidden == c2.model->hidden,
                    "%s: the cached config parses differently", url);
    FUZZ_ASSERT(c.n_prices == c2.n_prices, "%s: the cached price book parses differently", url);
    snap_restore(&baseline, opts.cache_dir);
done:
    free(body);
    free(body2);
    ctx_free(&c);
    ctx_free(&c2);
    mtok_diags_free(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct mtok_fetch_response r;
    parse_input(data, size, &r);
    for (size_t k = 0; k < N_KINDS; k++)
        one(k, &r);
    return 0;
}
