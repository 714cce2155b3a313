/* pricing/ fetching, against an HTTP server this test runs itself on 127.0.0.1 (a thread, on an
 * ephemeral port; nothing leaves the machine): 200, 304 revalidation served from the cache, 404,
 * a server that stalls past the total timeout, a truncated body, an oversized body (aborted early:
 * the server counts what it managed to send), malformed JSON, a redirect chain longer than 5, a
 * redirect to file://, a price book that fails its checks; offline fallbacks (cached copy, embedded
 * catalog); the `mtok fetch` command (exit codes, one-line errors naming the URL, snapshots in the
 * database only on success); and, when built with OpenSSL, TLS: an untrusted certificate and a
 * certificate for another host are refused, a trusted one works. After every failure the cache
 * directory must hold exactly what it held before. */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifdef MTOK_TEST_TLS
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#endif

#include "cli/cli.h"
#include "pricing/pricing.h"
#include "store/store.h"
#include "test.h"

#define HUGE_BODY ((size_t)256 << 20) /* what the oversized routes try to send */

/* ================================================================================================
 * The server
 * ============================================================================================== */

struct server {
    int fd, port;
    pthread_t thread;
    atomic_bool stop;
    pthread_mutex_t mu;
    int requests;     /* requests read */
    int finished;     /* connections fully handled */
    char last[8192];  /* the last request's head */
    size_t huge_sent; /* bytes of the last oversized body that the kernel accepted */
    char *model;      /* a valid config.json */
    char *prices;     /* a valid price book */
#ifdef MTOK_TEST_TLS
    SSL_CTX *tls;
#endif
};

struct conn {
    int fd;
#ifdef MTOK_TEST_TLS
    SSL *ssl;
#endif
};

static ssize_t conn_send(struct conn *c, const void *p, size_t n)
{
#ifdef MTOK_TEST_TLS
    if (c->ssl) {
        int w = SSL_write(c->ssl, p, (int)n);
        return w > 0 ? w : -1;
    }
#endif
    return send(c->fd, p, n, MSG_NOSIGNAL);
}

static int conn_send_all(struct conn *c, const char *p, size_t n)
{
    while (n) {
        ssize_t w = conn_send(c, p, n);
        if (w <= 0)
            return -1;
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

static ssize_t conn_recv(struct conn *c, void *p, size_t n)
{
#ifdef MTOK_TEST_TLS
    if (c->ssl) {
        int r = SSL_read(c->ssl, p, (int)n);
        return r > 0 ? r : -1;
    }
#endif
    return recv(c->fd, p, n, 0);
}

static void respond(struct conn *c, const char *status, const char *headers, const char *body)
{
    char head[1024];
    size_t blen = body ? strlen(body) : 0;
    snprintf(head, sizeof head, "HTTP/1.1 %s\r\nContent-Length: %zu\r\nConnection: close\r\n%s\r\n",
             status, blen, headers ? headers : "");
    conn_send_all(c, head, strlen(head));
    if (blen)
        conn_send_all(c, body, blen);
}

/* Push up to HUGE_BODY bytes until the client goes away; record how much got through. */
static void send_huge(struct server *s, struct conn *c, bool with_length)
{
    char head[256];
    if (with_length)
        snprintf(head, sizeof head,
                 "HTTP/1.1 200 OK\r\nContent-Length: %zu\r\nConnection: close\r\n\r\n", HUGE_BODY);
    else
        snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n");
    conn_send_all(c, head, strlen(head));
    static char chunk[64 << 10];
    memset(chunk, ' ', sizeof chunk);
    size_t sent = 0;
    while (sent < HUGE_BODY) {
        ssize_t w = conn_send(c, chunk, sizeof chunk);
        if (w <= 0)
            break;
        sent += (size_t)w;
    }
    pthread_mutex_lock(&s->mu);
    s->huge_sent = sent;
    pthread_mutex_unlock(&s->mu);
}

static void handle(struct server *s, struct conn *c)
{
    char req[8192] = "";
    size_t n = 0;
    while (n < sizeof req - 1 && !strstr(req, "\r\n\r\n")) {
        struct pollfd p = {.fd = c->fd, .events = POLLIN};
#ifdef MTOK_TEST_TLS
        if (!(c->ssl && SSL_pending(c->ssl)))
#endif
            if (poll(&p, 1, 5000) <= 0)
                return;
        ssize_t r = conn_recv(c, req + n, sizeof req - 1 - n);
        if (r <= 0)
            return;
        n += (size_t)r;
        req[n] = '\0';
    }
    char path[256] = "";
    sscanf(req, "GET %255s", path);
    pthread_mutex_lock(&s->mu);
    s->requests++;
    mtok_strlcpy(s->last, req, sizeof s->last);
    pthread_mutex_unlock(&s->mu);

    int hops;
    if (strcmp(path, "/model.json") == 0) {
        if (strstr(req, "If-None-Match: \"m1\""))
            respond(c, "304 Not Modified", "ETag: \"m1\"\r\n", NULL);
        else
            respond(c, "200 OK",
                    "Content-Type: application/json\r\nETag: \"m1\"\r\n"
                    "Last-Modified: Wed, 21 Oct 2026 07:28:00 GMT\r\n",
                    s->model);
    } else if (strcmp(path, "/model-lm.json") == 0) {
        if (strstr(req, "If-Modified-Since: Wed, 21 Oct 2026 07:28:00 GMT"))
            respond(c, "304 Not Modified", NULL, NULL);
        else
            respond(c, "200 OK", "Last-Modified: Wed, 21 Oct 2026 07:28:00 GMT\r\n", s->model);
    } else if (strcmp(path, "/prices.json") == 0) {
        respond(c, "200 OK", "ETag: \"p1\"\r\n", s->prices);
    } else if (strcmp(path, "/bad-prices.json") == 0) {
        respond(
            c, "200 OK", NULL,
            "{\"prices\":[{\"id\":\"x/list/2026-11-01\",\"provider\":\"X\",\"product\":\"x\","
            "\"kind\":\"list\",\"from\":\"2026-11-01\",\"currency\":\"USD\",\"per_m_input\":-1,"
            "\"per_m_output\":1,\"source\":\"t\",\"date\":\"2026-11-01\",\"uncertain\":false}]}");
    } else if (strcmp(path, "/malformed.json") == 0) {
        respond(c, "200 OK", NULL, "{\"model_type\": \"qwen3\", \"hidden_size\": ");
    } else if (strcmp(path, "/missing.json") == 0) {
        respond(c, "404 Not Found", NULL, "no such file\n");
    } else if (strcmp(path, "/slow.json") == 0) {
        /* Say nothing; wait (at most 10 s) for the client to give up and close. */
        struct pollfd p = {.fd = c->fd, .events = POLLIN};
        char buf[64];
        while (poll(&p, 1, 10000) > 0 && recv(c->fd, buf, sizeof buf, 0) > 0) {
        }
    } else if (strcmp(path, "/truncated.json") == 0) {
        const char *head = "HTTP/1.1 200 OK\r\nContent-Length: 5000\r\nConnection: close\r\n\r\n";
        conn_send_all(c, head, strlen(head));
        conn_send_all(c, s->model, 100);
    } else if (strcmp(path, "/huge.json") == 0) {
        send_huge(s, c, false);
    } else if (strcmp(path, "/huge-cl.json") == 0) {
        send_huge(s, c, true);
    } else if (sscanf(path, "/redirect/%d", &hops) == 1) {
        char loc[64];
        snprintf(loc, sizeof loc, "Location: /redirect/%d\r\n", hops - 1);
        if (hops > 0)
            respond(c, "302 Found", loc, NULL);
        else
            respond(c, "200 OK", NULL, s->model);
    } else if (strcmp(path, "/to-file") == 0) {
        respond(c, "302 Found", "Location: file:///etc/passwd\r\n", NULL);
    } else if (strcmp(path, "/to-http") == 0) {
        respond(c, "302 Found", "Location: http://127.0.0.1:1/model.json\r\n", NULL);
    } else {
        respond(c, "404 Not Found", NULL, NULL);
    }
}

static void *serve(void *arg)
{
    struct server *s = arg;
    while (!atomic_load(&s->stop)) {
        struct pollfd p = {.fd = s->fd, .events = POLLIN};
        if (poll(&p, 1, 50) <= 0)
            continue;
        int cfd = accept(s->fd, NULL, NULL);
        if (cfd < 0)
            continue;
        struct conn c = {.fd = cfd};
#ifdef MTOK_TEST_TLS
        if (s->tls) {
            c.ssl = SSL_new(s->tls);
            SSL_set_fd(c.ssl, cfd);
            if (SSL_accept(c.ssl) == 1)
                handle(s, &c);
            else
                ERR_clear_error(); /* the client refused our certificate */
            SSL_shutdown(c.ssl);
            SSL_free(c.ssl);
        } else
#endif
            handle(s, &c);
        close(cfd);
        pthread_mutex_lock(&s->mu);
        s->finished++;
        pthread_mutex_unlock(&s->mu);
    }
    return NULL;
}

static int listen_local(int *port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || listen(fd, 16) != 0 ||
        getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    *port = ntohs(a.sin_port);
    return fd;
}

static int server_start(struct server *s)
{
    s->fd = listen_local(&s->port);
    if (s->fd < 0)
        return -1;
    atomic_store(&s->stop, false);
    pthread_mutex_init(&s->mu, NULL);
    return pthread_create(&s->thread, NULL, serve, s);
}

static void server_stop(struct server *s)
{
    atomic_store(&s->stop, true);
    pthread_join(s->thread, NULL);
    close(s->fd);
    pthread_mutex_destroy(&s->mu);
}

static int server_get(struct server *s, int *field)
{
    pthread_mutex_lock(&s->mu);
    int v = *field;
    pthread_mutex_unlock(&s->mu);
    return v;
}

/* Wait until the server has finished `n` connections (the client may close before the server's
 * handler notices). */
static void server_wait(struct server *s, int n)
{
    struct timespec ten_ms = {0, 10000000};
    for (int i = 0; i < 1000 && server_get(s, &s->finished) < n; i++)
        nanosleep(&ten_ms, NULL);
}

/* A port nothing listens on: bind one, then close it. */
static int closed_port(void)
{
    int port = 0, fd = listen_local(&port);
    if (fd >= 0)
        close(fd);
    return port;
}

/* ================================================================================================
 * Helpers
 * ============================================================================================== */

static char cache_dir[256];
static struct mtok_catalog *cat;

static int count_files(const char *dir)
{
    DIR *dp = opendir(dir);
    if (!dp)
        return 0;
    int n = 0;
    struct dirent *e;
    while ((e = readdir(dp)))
        n += e->d_name[0] != '.';
    closedir(dp);
    return n;
}

static void rm_dir(const char *dir)
{
    DIR *dp = opendir(dir);
    if (!dp)
        return;
    struct dirent *e;
    while ((e = readdir(dp))) {
        if (e->d_name[0] == '.')
            continue;
        char p[512];
        snprintf(p, sizeof p, "%s/%s", dir, e->d_name);
        unlink(p);
    }
    closedir(dp);
    rmdir(dir);
}

static void url_of(char *buf, size_t n, const char *scheme, int port, const char *path)
{
    snprintf(buf, n, "%s://127.0.0.1:%d%s", scheme, port, path);
}

static struct mtok_fetch_opts opts(void)
{
    return (struct mtok_fetch_opts){
        .cache_dir = cache_dir, .timeout_ms = 5000, .connect_timeout_ms = 2000};
}

/* Fetch and expect failure: status, one diagnostic line that starts with the URL and contains
 * `what`, and no new file in the cache. */
static void expect_fail(const char *url, const struct mtok_fetch_opts *o, enum mtok_status want,
                        const char *what)
{
    int before = count_files(cache_dir);
    char *body = NULL;
    size_t len = 0;
    struct mtok_fetch_info info;
    struct mtok_diags d = {0};
    enum mtok_status s = mtok_fetch(url, o, NULL, NULL, &body, &len, &info, &d);
    CHECK_MSG(s == want, "%s: status %d, wanted %d", url, (int)s, (int)want);
    CHECK_MSG(d.n == 1, "%s: %zu diagnostics", url, d.n);
    if (getenv("MTOK_TEST_VERBOSE"))
        for (size_t i = 0; i < d.n; i++)
            fprintf(stderr, "  %s\n", d.lines[i]);
    if (d.n >= 1) {
        CHECK_MSG(strncmp(d.lines[0], url, strlen(url)) == 0, "%s", d.lines[0]);
        CHECK_MSG(strstr(d.lines[0], what) != NULL, "'%s' not in: %s", what, d.lines[0]);
        CHECK(!strchr(d.lines[0], '\n'));
    }
    CHECK(body == NULL && len == 0 && !info.stored);
    CHECK_MSG(count_files(cache_dir) == before, "%s: the cache changed", url);
    mtok_diags_free(&d);
}

/* ================================================================================================
 * Cases
 * ============================================================================================== */

static void test_ok_and_revalidate(struct server *s)
{
    char url[256];
    url_of(url, sizeof url, "http", s->port, "/model.json");
    struct mtok_fetch_opts o = opts();
    struct mtok_fetch_info info;
    struct mtok_diags d = {0};
    const struct mtok_model *m = NULL;

    /* 200: parsed, added to the catalog under the URL, cached with its validators. */
    CHECK(mtok_fetch_model(cat, url, &o, &m, &info, &d) == MTOK_OK && d.n == 0);
    CHECK(m && strcmp(m->id, url) == 0 && strcmp(m->model_type, "qwen3") == 0 && m->n_layers == 28);
    CHECK(mtok_catalog_model(cat, url) == m);
    CHECK(info.http_status == 200 && info.stored && !info.from_cache);
    CHECK(strcmp(info.etag, "\"m1\"") == 0 && info.bytes == strlen(s->model));
    CHECK(count_files(cache_dir) == 2 && info.cache_path[0]);
    int requests = server_get(s, &s->requests);

    /* 304: the second fetch revalidates with If-None-Match and is served from the cache. */
    const struct mtok_model *m2 = NULL;
    CHECK(mtok_fetch_model(cat, url, &o, &m2, &info, &d) == MTOK_OK && d.n == 0);
    CHECK(server_get(s, &s->requests) == requests + 1);
    pthread_mutex_lock(&s->mu);
    CHECK(strstr(s->last, "If-None-Match: \"m1\"") != NULL);
    CHECK(strstr(s->last, "If-Modified-Since: Wed, 21 Oct 2026 07:28:00 GMT") != NULL);
    pthread_mutex_unlock(&s->mu);
    CHECK(info.http_status == 304 && info.from_cache && !info.stored);
    CHECK(info.bytes == strlen(s->model) && strcmp(info.etag, "\"m1\"") == 0);
    CHECK(m2 && m2->n_layers == 28 && count_files(cache_dir) == 2);
    /* The first model stays valid (the catalog keeps replaced entries alive). */
    CHECK(m->n_layers == 28 && mtok_catalog_model(cat, url) == m2);

    /* Last-Modified alone: If-Modified-Since, 304. */
    url_of(url, sizeof url, "http", s->port, "/model-lm.json");
    char *body = NULL;
    size_t len = 0;
    CHECK(mtok_fetch(url, &o, NULL, NULL, &body, &len, &info, &d) == MTOK_OK && info.stored);
    free(body);
    CHECK(mtok_fetch(url, &o, NULL, NULL, &body, &len, &info, &d) == MTOK_OK);
    CHECK(info.http_status == 304 && info.from_cache && len == strlen(s->model) &&
          memcmp(body, s->model, len) == 0);
    free(body);
    CHECK(count_files(cache_dir) == 4);

    /* Without a cache: no conditional request, nothing stored. */
    struct mtok_fetch_opts nc = o;
    nc.no_cache = true;
    url_of(url, sizeof url, "http", s->port, "/model.json");
    CHECK(mtok_fetch(url, &nc, NULL, NULL, &body, &len, &info, &d) == MTOK_OK);
    CHECK(info.http_status == 200 && !info.stored && !info.from_cache);
    free(body);
    mtok_diags_free(&d);
}

static void test_errors(struct server *s)
{
    char url[256];
    struct mtok_fetch_opts o = opts();

    url_of(url, sizeof url, "http", s->port, "/missing.json");
    expect_fail(url, &o, MTOK_ENET, "HTTP 404 Not Found");

    /* Slow: the server says nothing; a 1 s total timeout ends it cleanly in about 1 s. */
    url_of(url, sizeof url, "http", s->port, "/slow.json");
    struct mtok_fetch_opts quick = o;
    quick.timeout_ms = 1000;
    uint64_t t0 = mtok_now_ns();
    expect_fail(url, &quick, MTOK_ENET, "timed out");
    double took = (double)(mtok_now_ns() - t0) / 1e9;
    CHECK_MSG(took >= 0.9 && took < 4.0, "slow fetch took %.2f s", took); /* server stalls 10 s */

    url_of(url, sizeof url, "http", s->port, "/truncated.json");
    expect_fail(url, &o, MTOK_ENET, "truncated");

    /* Oversized, no Content-Length: aborted as soon as it passes 16 MiB. The server tried to send
     * 256 MiB; what it got through is the cap plus what the socket buffers held. */
    int done = server_get(s, &s->finished);
    url_of(url, sizeof url, "http", s->port, "/huge.json");
    expect_fail(url, &o, MTOK_ENET, "larger than the 16777216-byte limit; transfer aborted");
    server_wait(s, done + 1);
    pthread_mutex_lock(&s->mu);
    size_t sent = s->huge_sent;
    pthread_mutex_unlock(&s->mu);
    if (getenv("MTOK_TEST_VERBOSE"))
        fprintf(stderr, "  oversized: the server got %zu of %zu bytes out\n", sent, HUGE_BODY);
    CHECK_MSG(sent >= MTOK_FETCH_MAX_BYTES && sent < ((size_t)64 << 20),
              "server sent %zu bytes of %zu before the client stopped it", sent, HUGE_BODY);

    /* Oversized with an honest Content-Length: refused before the body is read. */
    done = server_get(s, &s->finished);
    url_of(url, sizeof url, "http", s->port, "/huge-cl.json");
    expect_fail(url, &o, MTOK_ENET, "Content-Length");
    server_wait(s, done + 1);
    pthread_mutex_lock(&s->mu);
    sent = s->huge_sent;
    pthread_mutex_unlock(&s->mu);
    CHECK_MSG(sent < ((size_t)48 << 20), "server sent %zu bytes", sent);

    /* A smaller cap is honoured too (the config is about 700 bytes). */
    struct mtok_fetch_opts tiny = o;
    tiny.max_bytes = 100;
    url_of(url, sizeof url, "http", s->port, "/model-lm.json");
    tiny.no_cache = true;
    expect_fail(url, &tiny, MTOK_ENET, "100-byte limit");

    /* Redirects: 5 are followed, 6 are not. */
    url_of(url, sizeof url, "http", s->port, "/redirect/5");
    char *body = NULL;
    size_t len = 0;
    struct mtok_diags d = {0};
    struct mtok_fetch_info info;
    CHECK(mtok_fetch(url, &o, NULL, NULL, &body, &len, &info, &d) == MTOK_OK && len > 0);
    free(body);
    url_of(url, sizeof url, "http", s->port, "/redirect/6");
    expect_fail(url, &o, MTOK_ENET, "more than 5 redirects");

    /* A redirect to another scheme is refused. */
    url_of(url, sizeof url, "http", s->port, "/to-file");
    expect_fail(url, &o, MTOK_ENET, "only http and https");
    /* So is asking for one. */
    expect_fail("file:///etc/passwd", &o, MTOK_EINVAL, "only http:// and https://");
    expect_fail("ftp://127.0.0.1/x.json", &o, MTOK_EINVAL, "only http:// and https://");

    /* Connection refused. */
    url_of(url, sizeof url, "http", closed_port(), "/model.json");
    expect_fail(url, &o, MTOK_ENET, "unreachable");
    mtok_diags_free(&d);
}

static void test_checked(struct server *s)
{
    char url[256];
    struct mtok_fetch_opts o = opts();
    struct mtok_fetch_info info;
    struct mtok_diags d = {0};
    int before = count_files(cache_dir);

    /* Malformed JSON: rejected, one line naming the URL, not cached. */
    url_of(url, sizeof url, "http", s->port, "/malformed.json");
    const struct mtok_model *m = NULL;
    size_t n_models = mtok_catalog_model_count(cat);
    CHECK(mtok_fetch_model(cat, url, &o, &m, &info, &d) == MTOK_EINVAL && !m);
    CHECK(d.n == 1 && strncmp(d.lines[0], url, strlen(url)) == 0);
    CHECK(info.http_status == 200 && !info.stored && count_files(cache_dir) == before);
    CHECK(mtok_catalog_model_count(cat) == n_models);
    mtok_diags_free(&d);

    /* A price book that fails the api.json checks: rejected, not cached. */
    url_of(url, sizeof url, "http", s->port, "/bad-prices.json");
    struct mtok_api_price *p = NULL;
    size_t n = 0;
    CHECK(mtok_fetch_prices(cat, url, &o, &p, &n, &info, &d) == MTOK_EINVAL && !p && n == 0);
    CHECK(d.n == 1 && strncmp(d.lines[0], url, strlen(url)) == 0 &&
          strstr(d.lines[0], "prices[0].per_m_input"));
    CHECK(count_files(cache_dir) == before);
    mtok_diags_free(&d);

    /* A good one, and its snapshot in the database. */
    url_of(url, sizeof url, "http", s->port, "/prices.json");
    CHECK(mtok_fetch_prices(cat, url, &o, &p, &n, &info, &d) == MTOK_OK && n == 2 && d.n == 0);
    CHECK(info.stored && count_files(cache_dir) == before + 2);
    mtok_api_prices_free(p, n);
}

/* ---- the command ---- */

struct result {
    int rc;
    char out[1 << 17], err[8192];
};

static void run_cli(struct result *r, int argc, char **argv)
{
    FILE *out = tmpfile(), *err = tmpfile();
    r->rc = mtok_cli_main(argc, argv, out, err);
    rewind(out);
    rewind(err);
    r->out[fread(r->out, 1, sizeof r->out - 1, out)] = '\0';
    r->err[fread(r->err, 1, sizeof r->err - 1, err)] = '\0';
    fclose(out);
    fclose(err);
}

static int lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static void test_offline(struct server *s, int dead_port)
{
    char url[256];
    struct mtok_fetch_opts o = opts();
    struct mtok_fetch_info info;
    struct mtok_diags d = {0};
    char *body = NULL;
    size_t len = 0;

    /* The server is gone. A cached URL is served from the cache, with a warning, when fallback is
     * on; without fallback it is an error. */
    url_of(url, sizeof url, "http", s->port, "/model.json");
    expect_fail(url, &o, MTOK_ENET, "unreachable");
    o.offline_fallback = true;
    CHECK(mtok_fetch(url, &o, NULL, NULL, &body, &len, &info, &d) == MTOK_OK && d.n == 0);
    CHECK(info.offline && info.from_cache && len == strlen(s->model));
    CHECK(strncmp(info.warning, url, strlen(url)) == 0 && strstr(info.warning, "offline") &&
          strstr(info.warning, "cached copy") && !strchr(info.warning, '\n'));
    free(body);

    /* Nothing cached, but the URL names an embedded model's HuggingFace repo: it serves. */
    snprintf(url, sizeof url,
             "http://127.0.0.1:%d/deepseek-ai/DeepSeek-V4-Pro/resolve/main/config.json", dead_port);
    const struct mtok_model *m = NULL;
    CHECK(mtok_fetch_model(cat, url, &o, &m, &info, &d) == MTOK_OK && d.n == 0);
    CHECK(m && strcmp(m->id, "deepseek-v4-pro") == 0 && info.embedded && info.offline);
    CHECK(strstr(info.warning, "offline") && strstr(info.warning, "deepseek-v4-pro"));
    /* A URL that names no catalog model has nothing to fall back to. */
    snprintf(url, sizeof url, "http://127.0.0.1:%d/someone/unknown/config.json", dead_port);
    CHECK(mtok_fetch_model(cat, url, &o, &m, &info, &d) == MTOK_ENET && d.n == 1);
    mtok_diags_free(&d);

    /* A price book: the embedded one serves. */
    snprintf(url, sizeof url, "http://127.0.0.1:%d/prices.json", dead_port);
    struct mtok_api_price *p = NULL;
    size_t n = 9;
    CHECK(mtok_fetch_prices(cat, url, &o, &p, &n, &info, &d) == MTOK_OK && d.n == 0);
    CHECK(n == 0 && !p && info.embedded && strstr(info.warning, "embedded price book"));
    mtok_diags_free(&d);

    /* The command: one warning line, the embedded book listed, exit 0. */
    static struct result r;
    char *argv[] = {ARG("mtok"), ARG("prices"), ARG("--book"), url, ARG("--json")};
    run_cli(&r, 5, argv);
    cJSON *a = cJSON_Parse(r.out);
    CHECK(r.rc == 0 && lines(r.err) == 1 && strstr(r.err, "warning") && strstr(r.err, url));
    CHECK_MSG(cJSON_GetArraySize(a) == (int)mtok_catalog_price_count(cat), "%d vs %zu: %.200s",
              cJSON_GetArraySize(a), mtok_catalog_price_count(cat), r.out);
    cJSON_Delete(a);
}

static int64_t snapshots(const char *db)
{
    struct stat st;
    if (stat(db, &st) != 0)
        return -1; /* no database at all */
    struct mtok_store *sto = NULL;
    if (mtok_store_open(&sto, db, NULL) != MTOK_OK)
        return -2;
    const char *names[32];
    int64_t counts[32], v = -3;
    size_t n = mtok_store_table_counts(sto, names, counts, 32);
    for (size_t i = 0; i < n; i++)
        if (strcmp(names[i], "price_snapshot") == 0)
            v = counts[i];
    mtok_store_close(sto);
    return v;
}

static void test_cli(struct server *s)
{
    char url[256], db[300], db2[300];
    snprintf(db, sizeof db, "%s.db", cache_dir);
    snprintf(db2, sizeof db2, "%s-2.db", cache_dir);
    setenv("MTOK_CACHE_DIR", cache_dir, 1);
    static struct result r;

    /* Errors: exit 2, one line naming the URL, no cache entry, no database. */
    static const char *const bad[] = {"/missing.json", "/malformed.json", "/truncated.json",
                                      "/redirect/6",   "/to-file",        "/huge.json"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        url_of(url, sizeof url, "http", s->port, bad[i]);
        int before = count_files(cache_dir);
        char *argv[] = {ARG("mtok"), ARG("fetch"), url, ARG("--db"), db};
        run_cli(&r, 5, argv);
        CHECK_MSG(r.rc == 2, "%s: exit %d", bad[i], r.rc);
        CHECK_MSG(lines(r.err) == 1 && strncmp(r.err, url, strlen(url)) == 0, "%s: %s", bad[i],
                  r.err);
        CHECK(count_files(cache_dir) == before && snapshots(db) == -1);
    }
    url_of(url, sizeof url, "http", s->port, "/bad-prices.json");
    char *bp[] = {ARG("mtok"), ARG("fetch"), url, ARG("--as"), ARG("prices"), ARG("--db"), db};
    run_cli(&r, 7, bp);
    CHECK(r.rc == 2 && lines(r.err) == 1 && strstr(r.err, url) && snapshots(db) == -1);

    /* Slow, with --timeout. */
    url_of(url, sizeof url, "http", s->port, "/slow.json");
    char *slow[] = {ARG("mtok"), ARG("fetch"), url, ARG("--timeout"), ARG("0.5")};
    run_cli(&r, 5, slow);
    CHECK(r.rc == 2 && lines(r.err) == 1 && strstr(r.err, "timed out"));

    /* A price book: recorded as one run of snapshots. */
    url_of(url, sizeof url, "http", s->port, "/prices.json");
    char *ok[] = {ARG("mtok"), ARG("fetch"), url, ARG("--as"), ARG("prices"), ARG("--db"), db};
    run_cli(&r, 7, ok);
    CHECK_MSG(r.rc == 0, "%s", r.err);
    CHECK(strstr(r.out, "2 prices") && strstr(r.out, "recorded as run"));
    CHECK(snapshots(db) == 2);
    /* --no-record leaves the database alone; auto-detection finds the price book. */
    char *nr[] = {ARG("mtok"), ARG("fetch"), url, ARG("--no-record"), ARG("--db"), db2};
    run_cli(&r, 6, nr);
    CHECK(r.rc == 0 && strstr(r.out, "price book") && snapshots(db2) == -1);

    /* A config, auto-detected, then revalidated (--json). */
    url_of(url, sizeof url, "http", s->port, "/model.json");
    char *mj[] = {ARG("mtok"), ARG("fetch"), url, ARG("--json")};
    run_cli(&r, 4, mj);
    CHECK_MSG(r.rc == 0, "%s", r.err);
    cJSON *o = cJSON_Parse(r.out);
    CHECK(cJSON_IsObject(o));
    CHECK(cJSON_GetNumberValue(cJSON_GetObjectItem(o, "http_status")) == 304);
    CHECK(cJSON_IsTrue(cJSON_GetObjectItem(o, "from_cache")));
    CHECK(strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(o, "as")), "model") == 0);
    cJSON *m = cJSON_GetObjectItem(o, "model");
    CHECK(strcmp(cJSON_GetStringValue(cJSON_GetObjectItem(m, "model_type")), "qwen3") == 0);
    cJSON_Delete(o);
    /* `mtok prices --book URL` lists a fetched book. */
    url_of(url, sizeof url, "http", s->port, "/prices.json");
    char *pb[] = {ARG("mtok"), ARG("prices"), ARG("--book"), url, ARG("--json")};
    run_cli(&r, 5, pb);
    o = cJSON_Parse(r.out);
    CHECK(r.rc == 0 && r.err[0] == '\0' && cJSON_GetArraySize(o) == 2);
    cJSON_Delete(o);
    url_of(url, sizeof url, "http", s->port, "/model.json");
    char *bad_as[] = {ARG("mtok"), ARG("fetch"), url, ARG("--as"), ARG("weights")};
    run_cli(&r, 5, bad_as);
    CHECK(r.rc == 2 && lines(r.err) == 1);
    char *none[] = {ARG("mtok"), ARG("fetch")};
    run_cli(&r, 2, none);
    CHECK(r.rc == 2);

    unlink(db);
    unlink(db2);
    char side[400];
    snprintf(side, sizeof side, "%s-wal", db), unlink(side);
    snprintf(side, sizeof side, "%s-shm", db), unlink(side);
    unsetenv("MTOK_CACHE_DIR");
}

/* ---- TLS ---- */

#ifdef MTOK_TEST_TLS
static X509 *make_cert(EVP_PKEY *key, const char *san)
{
    X509 *x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, key);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)"mtok test", -1, -1,
                               0);
    X509_set_issuer_name(x, name);
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
    X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, san);
    X509_add_ext(x, e, -1);
    X509_EXTENSION_free(e);
    e = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints, "critical,CA:TRUE");
    X509_add_ext(x, e, -1);
    X509_EXTENSION_free(e);
    X509_sign(x, key, EVP_sha256());
    return x;
}

static void write_pem(const char *path, X509 *x)
{
    FILE *f = fopen(path, "w");
    if (f) {
        PEM_write_X509(f, x);
        fclose(f);
    }
}

static void test_tls(const char *model)
{
    EVP_PKEY *key = EVP_EC_gen("P-256");
    X509 *good = make_cert(key, "IP:127.0.0.1,DNS:localhost");
    X509 *other = make_cert(key, "DNS:example.invalid");
    char good_pem[300], other_pem[300];
    snprintf(good_pem, sizeof good_pem, "%s.good.pem", cache_dir);
    snprintf(other_pem, sizeof other_pem, "%s.other.pem", cache_dir);
    write_pem(good_pem, good);
    write_pem(other_pem, other);

    struct server s = {.model = (char *)(uintptr_t)model};
    s.tls = SSL_CTX_new(TLS_server_method());
    CHECK(SSL_CTX_use_certificate(s.tls, good) == 1 && SSL_CTX_use_PrivateKey(s.tls, key) == 1);
    CHECK(server_start(&s) == 0);
    char url[256];
    url_of(url, sizeof url, "https", s.port, "/model.json");
    struct mtok_fetch_opts o = opts();
    o.no_cache = true;

    /* Not trusted (self-signed, not in the system store): refused. */
    expect_fail(url, &o, MTOK_ENET, "TLS failed");
    /* Trusted: works, over TLS. */
    o.ca_file = good_pem;
    char *body = NULL;
    size_t len = 0;
    struct mtok_fetch_info info;
    struct mtok_diags d = {0};
    CHECK(mtok_fetch(url, &o, NULL, NULL, &body, &len, &info, &d) == MTOK_OK);
    CHECK(info.http_status == 200 && len == strlen(model));
    free(body);
    mtok_diags_free(&d);
    /* An https document does not continue over http. */
    url_of(url, sizeof url, "https", s.port, "/to-http");
    expect_fail(url, &o, MTOK_ENET, "an https URL only redirects to https");
    url_of(url, sizeof url, "https", s.port, "/model.json");
    /* Trusting a certificate does not excuse the wrong host name: the server now presents one
     * for example.invalid, which is trusted but does not match 127.0.0.1. */
    server_stop(&s);
    SSL_CTX_free(s.tls);
    s.tls = SSL_CTX_new(TLS_server_method());
    CHECK(SSL_CTX_use_certificate(s.tls, other) == 1 && SSL_CTX_use_PrivateKey(s.tls, key) == 1);
    CHECK(server_start(&s) == 0);
    url_of(url, sizeof url, "https", s.port, "/model.json");
    o.ca_file = other_pem;
    expect_fail(url, &o, MTOK_ENET, "TLS failed");
    server_stop(&s);
    SSL_CTX_free(s.tls);

    X509_free(good);
    X509_free(other);
    EVP_PKEY_free(key);
    unlink(good_pem);
    unlink(other_pem);
}
#endif

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    /* Requests to 127.0.0.1 must not be sent to a proxy from the environment. */
    static const char *const proxies[] = {"http_proxy",  "HTTP_PROXY", "https_proxy",
                                          "HTTPS_PROXY", "all_proxy",  "ALL_PROXY"};
    for (size_t i = 0; i < sizeof proxies / sizeof *proxies; i++)
        unsetenv(proxies[i]);
    unsetenv("MTOK_CACHE_DIR");

    snprintf(cache_dir, sizeof cache_dir, "/tmp/mtok-fetch-XXXXXX");
    if (!mkdtemp(cache_dir))
        return 1;
    struct mtok_diags d = {0};
    if (mtok_catalog_open(&cat, NULL, &d) != MTOK_OK)
        return 1;

    struct server s = {0};
    char path[4096];
    snprintf(path, sizeof path, "%s/data/models/Qwen--Qwen3-0.6B_config.json", test_source_dir());
    size_t len;
    CHECK(mtok_file_read(path, 1 << 20, &s.model, &len, NULL) == MTOK_OK);
    s.prices = mtok_xstrdup(
        "{\"prices\":["
        "{\"id\":\"acme/list/2026-11-01\",\"provider\":\"Acme\",\"product\":\"acme-1\","
        "\"model\":\"deepseek-v4-flash\",\"kind\":\"list\",\"from\":\"2026-11-01\",\"until\":null,"
        "\"currency\":\"USD\",\"per_m_input\":0.1,\"per_m_cached_input\":0.01,"
        "\"per_m_output\":0.2,\"source\":\"t\",\"date\":\"2026-11-01\",\"uncertain\":false},"
        "{\"id\":\"acme/discount/2026-11-15\",\"provider\":\"Acme\",\"product\":\"acme-1\","
        "\"kind\":\"discount\",\"from\":\"2026-11-15\",\"until\":\"2026-12-01\","
        "\"currency\":\"USD\",\"per_m_input\":0.05,\"per_m_output\":0.1,\"source\":\"t\","
        "\"date\":\"2026-11-15\",\"uncertain\":false}]}");
    if (!s.model || server_start(&s) != 0) {
        fprintf(stderr, "test_fetch: cannot start the local server\n");
        return 1;
    }
    char dflt[1024];
    mtok_fetch_cache_dir(NULL, dflt, sizeof dflt);
    CHECK(dflt[0] != '\0');
    setenv("MTOK_CACHE_DIR", "/x/y", 1);
    mtok_fetch_cache_dir(NULL, dflt, sizeof dflt);
    CHECK(strcmp(dflt, "/x/y") == 0);
    unsetenv("MTOK_CACHE_DIR");
    CHECK(mtok_fetch_is_url("HTTPS://a/b") && !mtok_fetch_is_url("data/x.json"));

    test_ok_and_revalidate(&s);
    test_errors(&s);
    test_checked(&s);
    test_cli(&s);
    int dead = closed_port();
    server_stop(&s);
    test_offline(&s, dead);
#ifdef MTOK_TEST_TLS
    test_tls(s.model);
#else
    fprintf(stderr, "test_fetch: built without OpenSSL headers: TLS cases skipped\n");
#endif

    free(s.model);
    free(s.prices);
    rm_dir(cache_dir);
    mtok_catalog_destroy(cat);
    mtok_diags_free(&d);
    return test_status("test_fetch");
}
