/* Fetching configs and price books over HTTP(S) with libcurl, with an on-disk cache.
 *
 * Safety rules, all enforced here rather than left to callers: http and https only (for redirects
 * too, and an https URL only redirects to https), at most MTOK_FETCH_MAX_REDIRECTS redirects, TLS
 * peer and host verification always on, connect and total timeouts, and a body cap checked in the
 * write callback so an oversized response is cut off the moment it passes the cap (not after it has
 * all arrived). A body reaches the cache or the caller only after the caller's check accepted it.
 * Everything after the transfer (status, cap, check, cache) is mtok_fetch_handle, which takes the
 * response as data, so tests and the fuzzer reach it without a network.
 *
 * Cache layout: DIR/<fnv64(url)>.body holds the body, DIR/<fnv64(url)>.meta a small JSON object
 * (url, etag, last_modified, stored_at, bytes, fnv64 of the body). An entry is used only when the
 * meta names the same URL and the body matches its size and hash, so a torn or foreign entry reads
 * as a miss. Both files are written atomically (temp file + rename), body first. */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pricing/pricing.h"

/* ---- helpers ---- */

bool mtok_fetch_is_url(const char *s)
{
    return s && (strncasecmp(s, "http://", 7) == 0 || strncasecmp(s, "https://", 8) == 0);
}

static uint64_t fnv1a(const void *data, size_t n)
{
    const unsigned char *p = data;
    uint64_t h = 1469598103934665603u;
    for (size_t i = 0; i < n; i++) {
        h ^= p[i];
        h *= 1099511628211u;
    }
    return h;
}

void mtok_fetch_cache_dir(const struct mtok_fetch_opts *opts, char *buf, size_t n)
{
    const char *s;
    buf[0] = '\0';
    if (opts && opts->cache_dir && *opts->cache_dir)
        snprintf(buf, n, "%s", opts->cache_dir);
    else if ((s = getenv("MTOK_CACHE_DIR")) && *s)
        snprintf(buf, n, "%s", s);
    else if ((s = getenv("XDG_CACHE_HOME")) && *s == '/')
        snprintf(buf, n, "%s/mtok", s);
    else if ((s = getenv("HOME")) && *s)
        snprintf(buf, n, "%s/.cache/mtok", s);
}

/* mkdir -p, private to the user. */
static int make_dirs(const char *path)
{
    char tmp[1024];
    if (snprintf(tmp, sizeof tmp, "%s", path) >= (int)sizeof tmp)
        return -1;
    for (char *p = tmp + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    if (mkdir(tmp, 0700) != 0 && errno != EEXIST)
        return -1;
    struct stat st;
    return stat(tmp, &st) == 0 && S_ISDIR(st.st_mode) ? 0 : -1;
}

static void copy(char *dst, size_t n, const char *src)
{
    mtok_strlcpy(dst, src ? src : "", n);
}

/* ---- the cache ---- */

struct cache_entry {
    bool valid;
    char body_path[1088], meta_path[1088]; /* dir (< 1024) + "/" + 16 hex digits + ".body" */
    char etag[256], last_modified[64], stored_at[32];
    char *body;
    size_t len;
};

static void cache_paths(struct cache_entry *c, const char *dir, const char *url)
{
    unsigned long long h = (unsigned long long)fnv1a(url, strlen(url));
    snprintf(c->body_path, sizeof c->body_path, "%s/%016llx.body", dir, h);
    snprintf(c->meta_path, sizeof c->meta_path, "%s/%016llx.meta", dir, h);
}

static void cache_read(struct cache_entry *c, const char *url, size_t max_bytes)
{
    char *meta = NULL;
    size_t mlen = 0;
    if (mtok_file_read(c->meta_path, 1 << 16, &meta, &mlen, NULL) != MTOK_OK)
        return;
    cJSON *m = cJSON_ParseWithLength(meta, mlen);
    free(meta);
    const cJSON *u = cJSON_GetObjectItemCaseSensitive(m, "url");
    const cJSON *bytes = cJSON_GetObjectItemCaseSensitive(m, "bytes");
    const cJSON *hash = cJSON_GetObjectItemCaseSensitive(m, "fnv64");
    if (cJSON_IsString(u) && strcmp(u->valuestring, url) == 0 && cJSON_IsNumber(bytes) &&
        cJSON_IsString(hash) &&
        mtok_file_read(c->body_path, max_bytes, &c->body, &c->len, NULL) == MTOK_OK) {
        char want[17];
        snprintf(want, sizeof want, "%016llx", (unsigned long long)fnv1a(c->body, c->len));
        if ((double)c->len == bytes->valuedouble && strcmp(want, hash->valuestring) == 0) {
            c->valid = true;
            copy(c->etag, sizeof c->etag, cJSON_GetStringValue(cJSON_GetObjectItem(m, "etag")));
            copy(c->last_modified, sizeof c->last_modified,
                 cJSON_GetStringValue(cJSON_GetObjectItem(m, "last_modified")));
            copy(c->stored_at, sizeof c->stored_at,
                 cJSON_GetStringValue(cJSON_GetObjectItem(m, "stored_at")));
        }
    }
    if (!c->valid) {
        free(c->body);
        c->body = NULL;
        c->len = 0;
    }
    cJSON_Delete(m);
}

static enum mtok_status cache_write(const struct cache_entry *c, const char *url, const char *body,
                                    size_t len, const char *etag, const char *last_modified,
                                    struct mtok_error *err)
{
    enum mtok_status s = mtok_file_write(c->body_path, body, len, err);
    if (s != MTOK_OK)
        return s;
    char stamp[32], hash[17];
    mtok_wall_iso8601(stamp, sizeof stamp);
    snprintf(hash, sizeof hash, "%016llx", (unsigned long long)fnv1a(body, len));
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "url", url);
    cJSON_AddStringToObject(m, "etag", etag);
    cJSON_AddStringToObject(m, "last_modified", last_modified);
    cJSON_AddStringToObject(m, "stored_at", stamp);
    cJSON_AddNumberToObject(m, "bytes", (double)len);
    cJSON_AddStringToObject(m, "fnv64", hash);
    char *text = cJSON_PrintUnformatted(m);
    cJSON_Delete(m);
    s = text ? mtok_file_write(c->meta_path, text, strlen(text), err)
             : mtok_error_set(err, MTOK_ENOMEM, "cannot format cache metadata");
    cJSON_free(text);
    if (s != MTOK_OK)
        unlink(c->body_path);
    return s;
}

/* ---- the response head ---- */

static void header_value(char *dst, size_t n, const char *v, size_t len)
{
    while (len && (*v == ' ' || *v == '\t'))
        v++, len--;
    while (len && (v[len - 1] == '\r' || v[len - 1] == '\n' || v[len - 1] == ' '))
        len--;
    if (len >= n)
        len = n - 1; /* an absurdly long validator is cut; it then just never matches */
    memcpy(dst, v, len);
    dst[len] = '\0';
}

void mtok_fetch_header_line(struct mtok_fetch_response *r, const char *line, size_t n)
{
    if (n >= 5 && memcmp(line, "HTTP/", 5) == 0) {
        /* A new response (after a redirect): forget the previous one's validators. */
        r->etag[0] = r->last_modified[0] = r->content_type[0] = r->reason[0] = '\0';
        const char *sp = memchr(line, ' ', n);
        const char *sp2 = sp ? memchr(sp + 1, ' ', n - (size_t)(sp + 1 - line)) : NULL;
        if (sp2)
            header_value(r->reason, sizeof r->reason, sp2 + 1, n - (size_t)(sp2 + 1 - line));
    } else if (n > 5 && strncasecmp(line, "etag:", 5) == 0) {
        header_value(r->etag, sizeof r->etag, line + 5, n - 5);
    } else if (n > 14 && strncasecmp(line, "last-modified:", 14) == 0) {
        header_value(r->last_modified, sizeof r->last_modified, line + 14, n - 14);
    } else if (n > 13 && strncasecmp(line, "content-type:", 13) == 0) {
        header_value(r->content_type, sizeof r->content_type, line + 13, n - 13);
    }
}

/* ---- one transfer ---- */

struct xfer {
    struct mtok_buf body;
    size_t cap;
    size_t received;
    bool too_big;
    struct mtok_fetch_response head;
};

static size_t on_body(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct xfer *x = userdata;
    size_t n = size * nmemb;
    if (n > x->cap - x->received) {
        /* Returning short aborts the transfer now, with everything past the cap unread. */
        x->too_big = true;
        x->received += n;
        return 0;
    }
    mtok_buf_append(&x->body, ptr, n);
    x->received += n;
    return n;
}

static size_t on_header(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct xfer *x = userdata;
    size_t n = size * nmemb;
    mtok_fetch_header_line(&x->head, ptr, n);
    return n;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static CURLcode curl_init_rc = CURLE_FAILED_INIT;
static void init_curl(void)
{
    curl_init_rc = curl_global_init(CURL_GLOBAL_DEFAULT);
}

static bool offline_error(CURLcode rc)
{
    return rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
           rc == CURLE_COULDNT_RESOLVE_PROXY || rc == CURLE_OPERATION_TIMEDOUT;
}

/* Run the transfer. Returns the curl code; *status the HTTP status (0 = none). `msg` gets a
 * one-line description of a failure. */
static CURLcode transfer(const char *url, const struct mtok_fetch_opts *o, size_t cap,
                         const struct cache_entry *cached, struct xfer *x, long *status, char *msg,
                         size_t msg_n)
{
    *status = 0;
    msg[0] = '\0';
    CURL *h = curl_easy_init();
    if (!h) {
        snprintf(msg, msg_n, "cannot create a libcurl handle");
        return CURLE_FAILED_INIT;
    }
    long connect_ms =
        o->connect_timeout_ms > 0 ? o->connect_timeout_ms : MTOK_FETCH_CONNECT_TIMEOUT_MS;
    long total_ms = o->timeout_ms > 0 ? o->timeout_ms : MTOK_FETCH_TIMEOUT_MS;
    char errbuf[CURL_ERROR_SIZE] = "";
    struct curl_slist *hdrs = curl_slist_append(NULL, "Accept: application/json");
    char line[400];
    if (cached && cached->valid && cached->etag[0]) {
        snprintf(line, sizeof line, "If-None-Match: %s", cached->etag);
        hdrs = curl_slist_append(hdrs, line);
    }
    if (cached && cached->valid && cached->last_modified[0]) {
        snprintf(line, sizeof line, "If-Modified-Since: %s", cached->last_modified);
        hdrs = curl_slist_append(hdrs, line);
    }
    curl_easy_setopt(h, CURLOPT_URL, url);
    /* A document asked for over TLS never continues in clear text. */
    bool https = strncasecmp(url, "https://", 8) == 0;
#if LIBCURL_VERSION_NUM >= 0x075500 /* 7.85: the _STR forms; the bitmasks are deprecated there */
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS_STR, https ? "https" : "http,https");
#else
    curl_easy_setopt(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
    curl_easy_setopt(h, CURLOPT_REDIR_PROTOCOLS,
                     https ? (long)CURLPROTO_HTTPS : (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 1L);
    curl_easy_setopt(h, CURLOPT_MAXREDIRS, MTOK_FETCH_MAX_REDIRECTS);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, total_ms);
    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)cap);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
    if (o->ca_file)
        curl_easy_setopt(h, CURLOPT_CAINFO, o->ca_file);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL,
                     1L); /* thread-safe; callers ignore SIGPIPE (see main.c) */
    curl_easy_setopt(h, CURLOPT_USERAGENT, "mtok/" MTOK_VERSION);
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, ""); /* the cap applies to decoded bytes */
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);

    CURLcode rc = curl_easy_perform(h);
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
    const char *detail = errbuf[0] ? errbuf : curl_easy_strerror(rc);
    if (rc == CURLE_OK) {
        /* done */
    } else if (x->too_big || rc == CURLE_FILESIZE_EXCEEDED) {
        x->too_big = true;
        if (rc == CURLE_FILESIZE_EXCEEDED)
            snprintf(msg, msg_n,
                     "response is larger than the %zu-byte limit (its Content-Length "
                     "says so); not downloaded",
                     cap);
        else
            snprintf(msg, msg_n,
                     "response is larger than the %zu-byte limit; transfer aborted "
                     "after %zu bytes",
                     cap, x->received);
    } else if (rc == CURLE_OPERATION_TIMEDOUT) {
        snprintf(msg, msg_n, "timed out (connect limit %ld ms, total limit %ld ms): %s", connect_ms,
                 total_ms, detail);
    } else if (rc == CURLE_PARTIAL_FILE) {
        snprintf(msg, msg_n,
                 "truncated: the connection closed before the whole body arrived "
                 "(%s)",
                 detail);
    } else if (rc == CURLE_TOO_MANY_REDIRECTS) {
        snprintf(msg, msg_n, "more than %ld redirects", MTOK_FETCH_MAX_REDIRECTS);
    } else if (rc == CURLE_UNSUPPORTED_PROTOCOL) {
        char *target = NULL;
        curl_easy_getinfo(h, CURLINFO_REDIRECT_URL, &target);
        const char *rule =
            https ? "an https URL only redirects to https" : "only http and https are fetched";
        if (target)
            snprintf(msg, msg_n, "refused a redirect to %.300s: %s", target, rule);
        else
            snprintf(msg, msg_n, "refused a redirect: %s (%s)", rule, detail);
    } else if (rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CONNECT_ERROR ||
               rc == CURLE_SSL_CACERT_BADFILE) {
        snprintf(msg, msg_n, "TLS failed (certificates are always verified): %s", detail);
    } else if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST ||
               rc == CURLE_COULDNT_RESOLVE_PROXY) {
        snprintf(msg, msg_n, "unreachable: %s", detail);
    } else {
        snprintf(msg, msg_n, "%s", detail);
    }
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(h);
    return rc;
}

/* ---- after the transfer ---- */

/* What every fetch sets up before it has a response: the options, the cap, the cache entry. */
struct fetch_state {
    const struct mtok_fetch_opts *o;
    size_t cap;
    char dir[1024]; /* "" = no cache */
    struct cache_entry cached;
    uint64_t t0;
};

static enum mtok_status fetch_begin(struct fetch_state *f, const char *url,
                                    const struct mtok_fetch_opts *opts, char **body, size_t *len,
                                    struct mtok_fetch_info *info, struct mtok_diags *diags)
{
    static const struct mtok_fetch_opts no_opts;
    memset(f, 0, sizeof *f);
    f->o = opts ? opts : &no_opts;
    memset(info, 0, sizeof *info);
    *body = NULL;
    *len = 0;
    f->t0 = mtok_now_ns();
    if (!mtok_fetch_is_url(url)) {
        mtok_diags_add(diags, url ? url : "(null)", "(http)",
                       "not fetched: only http:// and https:// URLs are");
        return MTOK_EINVAL;
    }
    f->cap = f->o->max_bytes && f->o->max_bytes < MTOK_FETCH_MAX_BYTES ? f->o->max_bytes
                                                                       : MTOK_FETCH_MAX_BYTES;
    if (!f->o->no_cache)
        mtok_fetch_cache_dir(f->o, f->dir, sizeof f->dir);
    if (f->dir[0]) {
        cache_paths(&f->cached, f->dir, url);
        cache_read(&f->cached, url, f->cap);
    }
    return MTOK_OK;
}

static void fetch_end(struct fetch_state *f, struct mtok_fetch_info *info)
{
    info->elapsed_s = (double)(mtok_now_ns() - f->t0) / 1e9;
    free(f->cached.body);
    f->cached.body = NULL;
}

static void head_info(struct mtok_fetch_info *info, const struct mtok_fetch_response *r)
{
    info->http_status = r->status;
    copy(info->etag, sizeof info->etag, r->etag);
    copy(info->last_modified, sizeof info->last_modified, r->last_modified);
    copy(info->content_type, sizeof info->content_type, r->content_type);
}

/* The last step of every fetch that has a body (a fresh one, or a cached copy a 304 or the offline
 * fallback serves): the check, then the cache write (fresh bodies only, and only once accepted),
 * then the caller's copy. A cached copy the check refuses is dropped, so the next fetch starts
 * clean. */
static enum mtok_status deliver(struct fetch_state *f, const char *url, const char *data,
                                size_t data_len, bool fresh, const struct mtok_fetch_response *r,
                                mtok_fetch_check_fn check, void *ctx, char **body, size_t *len,
                                struct mtok_fetch_info *info, struct mtok_diags *diags)
{
    enum mtok_status s = check ? check(ctx, url, data, data_len, diags) : MTOK_OK;
    if (s != MTOK_OK) {
        if (!fresh && f->dir[0]) {
            unlink(f->cached.meta_path);
            unlink(f->cached.body_path);
        }
        return s;
    }
    info->bytes = data_len;
    if (fresh && f->dir[0]) {
        struct mtok_error err = {0};
        if (make_dirs(f->dir) != 0)
            snprintf(info->warning, sizeof info->warning,
                     "%.400s: not cached: cannot create the cache directory %.400s", url, f->dir);
        else if (cache_write(&f->cached, url, data, data_len, r->etag, r->last_modified, &err) !=
                 MTOK_OK)
            snprintf(info->warning, sizeof info->warning, "%.400s: not cached: %.500s", url,
                     err.msg);
        else
            info->stored = true;
    }
    if (f->dir[0] && (info->stored || info->from_cache))
        copy(info->cache_path, sizeof info->cache_path, f->cached.body_path);
    *body = mtok_xmalloc(data_len + 1);
    memcpy(*body, data, data_len);
    (*body)[data_len] = '\0';
    *len = data_len;
    return MTOK_OK;
}

/* A response that arrived whole: 304 serves the cached copy, 200 its body (within the cap), any
 * other status is an error. */
static enum mtok_status handle(struct fetch_state *f, const char *url,
                               const struct mtok_fetch_response *r, mtok_fetch_check_fn check,
                               void *ctx, char **body, size_t *len, struct mtok_fetch_info *info,
                               struct mtok_diags *diags)
{
    head_info(info, r);
    if (r->status == 304 && f->cached.valid) {
        info->from_cache = true;
        /* A 304 may omit the validators; keep the stored ones for the next revalidation. */
        if (!info->etag[0])
            copy(info->etag, sizeof info->etag, f->cached.etag);
        if (!info->last_modified[0])
            copy(info->last_modified, sizeof info->last_modified, f->cached.last_modified);
        return deliver(f, url, f->cached.body, f->cached.len, false, r, check, ctx, body, len, info,
                       diags);
    }
    if (r->status == 200) {
        /* The transfer stops at the cap; this is for bodies that did not come through it. */
        if (r->len > f->cap) {
            mtok_diags_add(diags, url, "(http)",
                           "response is larger than the %zu-byte limit (%zu bytes); not used",
                           f->cap, r->len);
            return MTOK_ENET;
        }
        return deliver(f, url, r->len ? r->body : "", r->len, true, r, check, ctx, body, len, info,
                       diags);
    }
    mtok_diags_add(diags, url, "(http)", "HTTP %ld%s%s", r->status, r->reason[0] ? " " : "",
                   r->reason);
    return MTOK_ENET;
}

enum mtok_status mtok_fetch_handle(const char *url, const struct mtok_fetch_opts *opts,
                                   const struct mtok_fetch_response *r, mtok_fetch_check_fn check,
                                   void *ctx, char **body, size_t *len,
                                   struct mtok_fetch_info *info, struct mtok_diags *diags)
{
    struct mtok_fetch_info scratch;
    if (!info)
        info = &scratch;
    struct fetch_state f;
    enum mtok_status s = fetch_begin(&f, url, opts, body, len, info, diags);
    if (s == MTOK_OK)
        s = handle(&f, url, r, check, ctx, body, len, info, diags);
    fetch_end(&f, info);
    return s;
}

/* ---- the public fetch ---- */

enum mtok_status mtok_fetch(const char *url, const struct mtok_fetch_opts *opts,
                            mtok_fetch_check_fn check, void *ctx, char **body, size_t *len,
                            struct mtok_fetch_info *info, struct mtok_diags *diags)
{
    struct mtok_fetch_info scratch;
    if (!info)
        info = &scratch;
    struct fetch_state f;
    enum mtok_status s = fetch_begin(&f, url, opts, body, len, info, diags);
    if (s != MTOK_OK) {
        fetch_end(&f, info);
        return s;
    }
    pthread_once(&curl_once, init_curl);
    if (curl_init_rc != CURLE_OK) {
        mtok_diags_add(diags, url, "(http)", "libcurl failed to initialise: %s",
                       curl_easy_strerror(curl_init_rc));
        fetch_end(&f, info);
        return MTOK_ENET;
    }

    struct xfer x = {.cap = f.cap};
    long status = 0;
    char msg[768];
    CURLcode rc = transfer(url, f.o, f.cap, &f.cached, &x, &status, msg, sizeof msg);
    x.head.status = status;
    x.head.body = x.body.data;
    x.head.len = x.body.len;
    if (rc == CURLE_OK) {
        s = handle(&f, url, &x.head, check, ctx, body, len, info, diags);
    } else if (offline_error(rc) && f.o->offline_fallback && f.cached.valid) {
        head_info(info, &x.head);
        info->offline = info->from_cache = true;
        snprintf(info->warning, sizeof info->warning,
                 "%s: offline (%.300s); serving the cached copy stored %s", url, msg,
                 f.cached.stored_at[0] ? f.cached.stored_at : "earlier");
        s = deliver(&f, url, f.cached.body, f.cached.len, false, &x.head, check, ctx, body, len,
                    info, diags);
    } else {
        head_info(info, &x.head);
        info->offline = offline_error(rc);
        mtok_diags_add(diags, url, "(http)", "%s", msg);
        s = MTOK_ENET;
    }
    fetch_end(&f, info);
    mtok_buf_free(&x.body);
    return s;
}

/* ---- configs and price books ---- */

struct model_ctx {
    struct mtok_model *m;
};

static enum mtok_status check_model(void *ctx, const char *url, const char *body, size_t len,
                                    struct mtok_diags *diags)
{
    struct model_ctx *c = ctx;
    return mtok_model_parse(url, body, len, &c->m, diags);
}

struct prices_ctx {
    const struct mtok_catalog *cat;
    struct mtok_api_price *p;
    size_t n;
};

static enum mtok_status check_prices(void *ctx, const char *url, const char *body, size_t len,
                                     struct mtok_diags *diags)
{
    struct prices_ctx *c = ctx;
    return mtok_prices_parse(c->cat, url, body, len, &c->p, &c->n, diags);
}

/* The embedded model whose HuggingFace repo the URL names ("/org/name/" or ending "/org/name"). */
static const struct mtok_model *model_for_url(const struct mtok_catalog *cat, const char *url)
{
    for (size_t i = 0; i < mtok_catalog_model_count(cat); i++) {
        const struct mtok_model *m = mtok_catalog_model_at(cat, i);
        if (!m->hf_repo || !*m->hf_repo)
            continue;
        size_t n = strlen(m->hf_repo);
        for (const char *p = strstr(url, m->hf_repo); p; p = strstr(p + 1, m->hf_repo))
            if (p > url && p[-1] == '/' && (p[n] == '/' || p[n] == '\0'))
                return m;
    }
    return NULL;
}

/* Offline with a fallback: the transport error (the last diagnostic since `before`) becomes the
 * warning, and the embedded copy `what` serves. */
static void serve_embedded(struct mtok_fetch_info *info, struct mtok_diags *diags, size_t before,
                           const char *url, const char *what)
{
    char reason[600] = "";
    if (diags->n > before) {
        const char *line = diags->lines[diags->n - 1];
        const char *r = strstr(line, ": (http): ");
        copy(reason, sizeof reason, r ? r + 10 : line);
        free(diags->lines[--diags->n]);
    }
    info->embedded = true;
    snprintf(info->warning, sizeof info->warning, "%s: offline (%.300s); using %s", url, reason,
             what);
}

enum mtok_status mtok_fetch_model(struct mtok_catalog *cat, const char *url,
                                  const struct mtok_fetch_opts *opts, const struct mtok_model **out,
                                  struct mtok_fetch_info *info, struct mtok_diags *diags)
{
    struct mtok_fetch_info scratch;
    if (!info)
        info = &scratch;
    *out = NULL;
    struct model_ctx ctx = {0};
    char *body = NULL;
    size_t len = 0;
    size_t before = diags->n;
    enum mtok_status s = mtok_fetch(url, opts, check_model, &ctx, &body, &len, info, diags);
    free(body);
    if (s == MTOK_OK) {
        mtok_catalog_add_model(cat, ctx.m);
        *out = ctx.m;
        return MTOK_OK;
    }
    mtok_model_destroy(ctx.m);
    const struct mtok_model *m;
    if (s == MTOK_ENET && info->offline && opts && opts->offline_fallback &&
        (m = model_for_url(cat, url))) {
        char what[300];
        snprintf(what, sizeof what, "the embedded catalog's %s (%s)", m->id,
                 m->config_file ? m->config_file : "embedded");
        serve_embedded(info, diags, before, url, what);
        *out = m;
        return MTOK_OK;
    }
    return s;
}

enum mtok_status mtok_fetch_prices(const struct mtok_catalog *cat, const char *url,
                                   const struct mtok_fetch_opts *opts, struct mtok_api_price **out,
                                   size_t *n, struct mtok_fetch_info *info,
                                   struct mtok_diags *diags)
{
    struct mtok_fetch_info scratch;
    if (!info)
        info = &scratch;
    *out = NULL;
    *n = 0;
    struct prices_ctx ctx = {.cat = cat};
    char *body = NULL;
    size_t len = 0;
    size_t before = diags->n;
    enum mtok_status s = mtok_fetch(url, opts, check_prices, &ctx, &body, &len, info, diags);
    free(body);
    if (s == MTOK_OK) {
        *out = ctx.p;
        *n = ctx.n;
        return MTOK_OK;
    }
    mtok_api_prices_free(ctx.p, ctx.n);
    if (s == MTOK_ENET && info->offline && opts && opts->offline_fallback) {
        serve_embedded(info, diags, before, url, "the embedded price book (data/prices/api.json)");
        return MTOK_OK;
    }
    return s;
}
