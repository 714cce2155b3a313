#define _POSIX_C_SOURCE 200809L
#include "core/core.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

const char *mtok_status_str(enum mtok_status s)
{
    switch (s) {
    case MTOK_OK: return "ok";
    case MTOK_EINVAL: return "invalid input";
    case MTOK_ENOTFOUND: return "not found";
    case MTOK_ENOMEM: return "out of memory";
    case MTOK_EIO: return "i/o error";
    case MTOK_EDB: return "database error";
    case MTOK_ENET: return "network error";
    case MTOK_EUNSUPPORTED: return "unsupported";
    case MTOK_EINTERNAL: return "internal error";
    }
    return "unknown status";
}

enum mtok_status mtok_error_set(struct mtok_error *err, enum mtok_status code, const char *fmt, ...)
{
    if (!err)
        return code;
    err->code = code;
    struct mtok_buf b = {0};
    va_list ap;
    va_start(ap, fmt);
    mtok_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    mtok_line_copy(err->msg, sizeof err->msg, b.data);
    mtok_buf_free(&b);
    return code;
}

const char *mtok_error_detail(const struct mtok_error *err, const char *path)
{
    size_t n = strlen(path);
    if (strncmp(err->msg, path, n) == 0 && err->msg[n] == ':' && err->msg[n + 1] == ' ')
        return err->msg + n + 2;
    return err->msg;
}

_Noreturn void mtok_assert_fail(const char *file, int line, const char *expr)
{
    fprintf(stderr, "%s:%d: assertion failed: %s\n", file, line, expr);
    fflush(stderr);
    abort();
}

void *mtok_xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    MTOK_ASSERT(p != NULL);
    return p;
}

void *mtok_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    MTOK_ASSERT(p != NULL);
    return p;
}

void *mtok_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    MTOK_ASSERT(q != NULL);
    return q;
}

char *mtok_xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = mtok_xmalloc(n);
    memcpy(p, s, n);
    return p;
}

static void buf_reserve(struct mtok_buf *b, size_t extra)
{
    MTOK_ASSERT(extra < SIZE_MAX - b->len - 1);
    size_t need = b->len + extra + 1;
    if (need <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    b->data = mtok_xrealloc(b->data, cap);
    b->cap = cap;
}

void mtok_buf_append(struct mtok_buf *b, const char *s, size_t n)
{
    buf_reserve(b, n);
    if (n)
        memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void mtok_buf_puts(struct mtok_buf *b, const char *s) { mtok_buf_append(b, s, strlen(s)); }

void mtok_buf_vprintf(struct mtok_buf *b, const char *fmt, va_list ap)
{
    va_list ap2;
    va_copy(ap2, ap);
    int n = vsnprintf(NULL, 0, fmt, ap2);
    va_end(ap2);
    MTOK_ASSERT(n >= 0);
    buf_reserve(b, (size_t)n);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    b->len += (size_t)n;
}

void mtok_buf_printf(struct mtok_buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    mtok_buf_vprintf(b, fmt, ap);
    va_end(ap);
}

char *mtok_buf_steal(struct mtok_buf *b)
{
    if (!b->data)
        buf_reserve(b, 0), b->data[0] = '\0';
    char *s = b->data;
    b->data = NULL;
    b->len = b->cap = 0;
    return s;
}

void mtok_buf_free(struct mtok_buf *b)
{
    free(b->data);
    b->data = NULL;
    b->len = b->cap = 0;
}

/* Length of the well-formed UTF-8 sequence at s[0..n), or 0 when it is not one. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len;
    uint32_t cp;
    if (c < 0x80)
        return 1;
    if ((c & 0xE0) == 0xC0)
        len = 2, cp = c & 0x1F;
    else if ((c & 0xF0) == 0xE0)
        len = 3, cp = c & 0x0F;
    else if ((c & 0xF8) == 0xF0)
        len = 4, cp = c & 0x07;
    else
        return 0;
    if (n < len)
        return 0;
    for (size_t k = 1; k < len; k++) {
        if ((s[k] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[k] & 0x3F);
    }
    static const uint32_t min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min_cp[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

void mtok_buf_append_line(struct mtok_buf *b, const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n) {
        size_t run = i;
        /* Printable ASCII and well-formed non-C1 sequences go through in one append. */
        for (;;) {
            if (run >= n)
                break;
            unsigned c = s[run];
            if (c >= 0x20 && c < 0x7f) {
                run++;
                continue;
            }
            size_t len = c >= 0x80 ? utf8_seq(s + run, n - run) : 0;
            if (len == 0 || (len == 2 && c == 0xC2 && s[run + 1] < 0xA0))
                break;
            run += len;
        }
        mtok_buf_append(b, str + i, run - i);
        i = run;
        if (i >= n)
            break;
        unsigned c = s[i];
        if (c == '\n' || c == '\r' || c == '\t') {
            mtok_buf_append(b, " ", 1);
            i++;
        } else if (c == 0xC2 && i + 1 < n && s[i + 1] >= 0x80 && s[i + 1] < 0xA0) {
            mtok_buf_printf(b, "\\x%02x\\x%02x", c, s[i + 1]); /* a C1 control */
            i += 2;
        } else {
            mtok_buf_printf(b, "\\x%02x", c);
            i++;
        }
    }
    if (!b->data)
        mtok_buf_append(b, "", 0);
}

/* Cut the safe line in b to at most max bytes, on a character boundary, ending in "...". */
static void line_cut(struct mtok_buf *b, size_t max)
{
    if (b->len <= max)
        return;
    MTOK_ASSERT(max >= 4);
    size_t k = max - 3;
    while (k > 0 && ((unsigned char)b->data[k] & 0xC0) == 0x80)
        k--; /* do not split a UTF-8 sequence */
    memcpy(b->data + k, "...", 4);
    b->len = k + 3;
}

void mtok_line_copy(char *dst, size_t n, const char *src)
{
    struct mtok_buf b = {0};
    mtok_buf_append_line(&b, src, strlen(src));
    line_cut(&b, n - 1);
    memcpy(dst, b.data, b.len + 1);
    mtok_buf_free(&b);
}

size_t mtok_strlcpy(char *dst, const char *src, size_t n)
{
    size_t len = strlen(src);
    if (n) {
        size_t k = len < n - 1 ? len : n - 1;
        memcpy(dst, src, k);
        dst[k] = '\0';
    }
    return len;
}

enum mtok_status mtok_file_read(const char *path, size_t max_bytes, char **out, size_t *out_len,
                                struct mtok_error *err)
{
    *out = NULL;
    if (out_len)
        *out_len = 0;
    /* O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer, forever. The file
     * type is checked on the open descriptor (no race with a rename), and only regular files are
     * read: a FIFO, a device such as /dev/zero or a directory is refused before any read. */
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
    if (fd < 0)
        return mtok_error_set(err, MTOK_EIO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        return mtok_error_set(err, MTOK_EIO, "%s: not a regular file", path);
    }
    if ((uint64_t)st.st_size > max_bytes) {
        close(fd);
        return mtok_error_set(err, MTOK_EINVAL, "%s: file is %lld bytes, over the %zu-byte limit",
                              path, (long long)st.st_size, max_bytes);
    }
    int flags = fcntl(fd, F_GETFL);
    if (flags >= 0)
        fcntl(fd, F_SETFL, flags & ~O_NONBLOCK);
    /* Read to end of file: the size may have been wrong (a file growing, /proc reports 0), so keep
     * going, but never past max_bytes and never holding more than max_bytes + 1 in memory. */
    size_t cap = (size_t)st.st_size + 1, len = 0;
    char *data = mtok_xmalloc(cap);
    enum mtok_status status = MTOK_OK;
    for (;;) {
        if (len + 1 == cap) {
            if (len >= max_bytes) {
                char probe;
                ssize_t more;
                while ((more = read(fd, &probe, 1)) < 0 && errno == EINTR)
                    ;
                if (more > 0)
                    status = mtok_error_set(err, MTOK_EINVAL,
                                            "%s: file is over the %zu-byte limit", path, max_bytes);
                else if (more < 0)
                    status = mtok_error_set(err, MTOK_EIO, "%s: read error: %s", path,
                                            strerror(errno));
                break;
            }
            size_t grow = cap < 4096 ? 4096 : cap;
            cap = len + grow > max_bytes ? max_bytes + 1 : len + grow + 1;
            data = mtok_xrealloc(data, cap);
        }
        ssize_t got = read(fd, data + len, cap - 1 - len);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0) {
            status = mtok_error_set(err, MTOK_EIO, "%s: read error: %s", path, strerror(errno));
            break;
        }
        if (got == 0)
            break;
        len += (size_t)got;
    }
    close(fd);
    if (status != MTOK_OK) {
        free(data);
        return status;
    }
    data[len] = '\0';
    *out = data;
    if (out_len)
        *out_len = len;
    return MTOK_OK;
}

enum mtok_status mtok_file_write(const char *path, const void *data, size_t len,
                                 struct mtok_error *err)
{
    struct mtok_buf tmp = {0};
    mtok_buf_printf(&tmp, "%s.tmp.%ld", path, (long)getpid());
    int fd = open(tmp.data, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) {
        enum mtok_status s =
            mtok_error_set(err, MTOK_EIO, "%s: cannot create: %s", path, strerror(errno));
        mtok_buf_free(&tmp);
        return s;
    }
    const char *p = data;
    size_t left = len;
    while (left) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        p += w;
        left -= (size_t)w;
    }
    int ok = left == 0 && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    if (!ok || rename(tmp.data, path) != 0) {
        enum mtok_status s =
            mtok_error_set(err, MTOK_EIO, "%s: write failed: %s", path, strerror(errno));
        unlink(tmp.data);
        mtok_buf_free(&tmp);
        return s;
    }
    mtok_buf_free(&tmp);
    return MTOK_OK;
}

uint64_t mtok_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

double mtok_wall_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void mtok_wall_iso8601(char *buf, size_t n)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, n, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

enum mtok_status mtok_parse_double(const char *s, double *out)
{
    if (!s || !*s || isspace((unsigned char)*s))
        return MTOK_EINVAL;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (*end != '\0' || errno == ERANGE || !isfinite(v))
        return MTOK_EINVAL;
    *out = v;
    return MTOK_OK;
}

enum mtok_status mtok_parse_long(const char *s, long min, long max, long *out)
{
    if (!s || !*s || isspace((unsigned char)*s))
        return MTOK_EINVAL;
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (*end != '\0' || errno == ERANGE || v < min || v > max)
        return MTOK_EINVAL;
    *out = v;
    return MTOK_OK;
}

const struct mtok_blob *mtok_embedded_find(const char *path)
{
    for (size_t i = 0; i < mtok_embedded_count; i++)
        if (strcmp(mtok_embedded_files[i].path, path) == 0)
            return &mtok_embedded_files[i];
    return NULL;
}

static bool is_json_name(const char *name, size_t len)
{
    return name[0] != '.' && len > 5 && strcmp(name + len - 5, ".json") == 0;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void add_name(char ***names, size_t *n, size_t *cap, const char *name)
{
    if (*n == *cap)
        *names = mtok_xrealloc(*names, (*cap = *cap ? 2 * *cap : 16) * sizeof **names);
    (*names)[(*n)++] = mtok_xstrdup(name);
}

enum mtok_status mtok_data_json_names(const char *data_dir, const char *sub, char ***names,
                                      size_t *n, struct mtok_diags *d)
{
    size_t cap = 0;
    *names = NULL;
    *n = 0;
    if (!data_dir) {
        struct mtok_buf prefix = {0};
        mtok_buf_printf(&prefix, "data/%s/", sub);
        for (size_t i = 0; i < mtok_embedded_count; i++) {
            const char *p = mtok_embedded_files[i].path;
            if (strncmp(p, prefix.data, prefix.len) == 0 && !strchr(p + prefix.len, '/') &&
                is_json_name(p + prefix.len, strlen(p + prefix.len)))
                add_name(names, n, &cap, p + prefix.len);
        }
        mtok_buf_free(&prefix);
    } else {
        struct mtok_buf dir = {0};
        mtok_buf_printf(&dir, "%s/%s", data_dir, sub);
        DIR *dp = opendir(dir.data);
        if (!dp) {
            if (d)
                mtok_diags_add(d, dir.data, "(directory)", "cannot be opened");
            mtok_buf_free(&dir);
            return MTOK_EIO;
        }
        struct dirent *e;
        while ((e = readdir(dp)))
            if (is_json_name(e->d_name, strlen(e->d_name)))
                add_name(names, n, &cap, e->d_name);
        closedir(dp);
        mtok_buf_free(&dir);
    }
    if (*n)
        qsort(*names, *n, sizeof **names, cmp_name);
    return MTOK_OK;
}

void mtok_names_free(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

enum mtok_status mtok_file_read_diag(const char *path, size_t max_bytes, char **out,
                                     size_t *out_len, struct mtok_diags *d)
{
    struct mtok_error err = {0};
    enum mtok_status s = mtok_file_read(path, max_bytes, out, out_len, &err);
    if (s != MTOK_OK && d)
        mtok_diags_add(d, path, "(file)", "%s", mtok_error_detail(&err, path));
    return s;
}

enum mtok_status mtok_data_read(const char *data_dir, const char *rel, size_t max_bytes,
                                char **path, char **out, size_t *out_len, struct mtok_diags *d)
{
    struct mtok_buf p = {0};
    mtok_buf_printf(&p, "%s/%s", data_dir ? data_dir : "data", rel);
    *path = mtok_buf_steal(&p);
    *out = NULL;
    *out_len = 0;
    if (data_dir)
        return mtok_file_read_diag(*path, max_bytes, out, out_len, d);
    const struct mtok_blob *b = mtok_embedded_find(*path);
    if (!b) {
        if (d)
            mtok_diags_add(d, *path, "(file)", "not found in the embedded catalog");
        return MTOK_ENOTFOUND;
    }
    *out = mtok_xmalloc(b->size + 1);
    memcpy(*out, b->data, b->size);
    (*out)[b->size] = '\0';
    *out_len = b->size;
    return MTOK_OK;
}

void mtok_diags_add(struct mtok_diags *d, const char *file, const char *field, const char *fmt, ...)
{
    struct mtok_buf raw = {0}, b = {0};
    mtok_buf_printf(&raw, "%s: %s: ", file, field);
    va_list ap;
    va_start(ap, fmt);
    mtok_buf_vprintf(&raw, fmt, ap);
    va_end(ap);
    mtok_buf_append_line(&b, raw.data, raw.len);
    mtok_buf_free(&raw);
    line_cut(&b, MTOK_DIAG_LINE_MAX);
    if (d->n == d->cap) {
        d->cap = d->cap ? 2 * d->cap : 8;
        d->lines = mtok_xrealloc(d->lines, d->cap * sizeof *d->lines);
    }
    d->lines[d->n++] = mtok_buf_steal(&b);
}

void mtok_diags_free(struct mtok_diags *d)
{
    for (size_t i = 0; i < d->n; i++)
        free(d->lines[i]);
    free(d->lines);
    d->lines = NULL;
    d->n = d->cap = 0;
}

bool mtok_utf8_valid(const char *str, size_t n)
{
    const unsigned char *s = (const unsigned char *)str;
    for (size_t i = 0, len; i < n; i += len)
        if ((len = utf8_seq(s + i, n - i)) == 0)
            return false;
    return true;
}

static const struct {
    const char *name;
    double bits, weight_bits;
} dtype_info[MTOK_DTYPE_COUNT] = {
    [MTOK_F64] = {"f64", 64, 64},
    [MTOK_F32] = {"f32", 32, 32},
    [MTOK_BF16] = {"bf16", 16, 16},
    [MTOK_F16] = {"f16", 16, 16},
    [MTOK_FP8] = {"fp8", 8, 8 + 32.0 / (128 * 128)},
    [MTOK_MXFP4] = {"mxfp4", 4, 4 + 8.0 / 32},
    [MTOK_NVFP4] = {"nvfp4", 4, 4 + 8.0 / 16},
    [MTOK_INT8] = {"int8", 8, 8},
    [MTOK_INT4] = {"int4", 4, 4 + 16.0 / 32},
};

const char *mtok_dtype_name(enum mtok_dtype dt)
{
    return (unsigned)dt < MTOK_DTYPE_COUNT ? dtype_info[dt].name : "?";
}

enum mtok_status mtok_dtype_parse(const char *name, enum mtok_dtype *out)
{
    static const struct {
        const char *alias;
        enum mtok_dtype dt;
    } aliases[] = {{"fp64", MTOK_F64}, {"fp32", MTOK_F32}, {"fp16", MTOK_F16},
                   {"e4m3", MTOK_FP8}, {"fp4", MTOK_MXFP4}};
    for (int i = 0; i < MTOK_DTYPE_COUNT; i++)
        if (strcmp(name, dtype_info[i].name) == 0)
            return *out = (enum mtok_dtype)i, MTOK_OK;
    for (size_t i = 0; i < sizeof aliases / sizeof *aliases; i++)
        if (strcmp(name, aliases[i].alias) == 0)
            return *out = aliases[i].dt, MTOK_OK;
    return MTOK_EINVAL;
}

double mtok_dtype_bits(enum mtok_dtype dt)
{
    MTOK_ASSERT((unsigned)dt < MTOK_DTYPE_COUNT);
    return dtype_info[dt].bits;
}

double mtok_dtype_weight_bits(enum mtok_dtype dt)
{
    MTOK_ASSERT((unsigned)dt < MTOK_DTYPE_COUNT);
    return dtype_info[dt].weight_bits;
}
