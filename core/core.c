#define _POSIX_C_SOURCE 200809L
#include "core/core.h"

#include <ctype.h>
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
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    for (char *p = err->msg; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
    return code;
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
    FILE *f = fopen(path, "rb");
    if (!f)
        return mtok_error_set(err, MTOK_EIO, "%s: cannot open: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return mtok_error_set(err, MTOK_EIO, "%s: not a regular file", path);
    }
    if ((uint64_t)st.st_size > max_bytes) {
        fclose(f);
        return mtok_error_set(err, MTOK_EINVAL, "%s: file is %lld bytes, over the %zu-byte limit",
                              path, (long long)st.st_size, max_bytes);
    }
    size_t cap = (size_t)st.st_size + 1, len = 0;
    char *data = mtok_xmalloc(cap);
    for (;;) {
        size_t got = fread(data + len, 1, cap - 1 - len, f);
        len += got;
        if (len < cap - 1)
            break;
        /* The file grew while we read it: keep going up to the limit. */
        int c = fgetc(f);
        if (c == EOF)
            break;
        if (len + 1 > max_bytes) {
            free(data);
            fclose(f);
            return mtok_error_set(err, MTOK_EINVAL, "%s: file is over the %zu-byte limit", path,
                                  max_bytes);
        }
        cap = cap * 2;
        data = mtok_xrealloc(data, cap);
        data[len++] = (char)c;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) {
        free(data);
        return mtok_error_set(err, MTOK_EIO, "%s: read error", path);
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

void mtok_diags_add(struct mtok_diags *d, const char *file, const char *field, const char *fmt, ...)
{
    struct mtok_buf b = {0};
    mtok_buf_printf(&b, "%s: %s: ", file, field);
    va_list ap;
    va_start(ap, fmt);
    mtok_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    for (size_t i = 0; i < b.len; i++)
        if (b.data[i] == '\n' || b.data[i] == '\r')
            b.data[i] = ' ';
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
    size_t i = 0;
    while (i < n) {
        unsigned c = s[i];
        size_t len;
        uint32_t cp;
        if (c < 0x80) {
            i++;
            continue;
        } else if ((c & 0xE0) == 0xC0) {
            len = 2, cp = c & 0x1F;
        } else if ((c & 0xF0) == 0xE0) {
            len = 3, cp = c & 0x0F;
        } else if ((c & 0xF8) == 0xF0) {
            len = 4, cp = c & 0x07;
        } else {
            return false;
        }
        if (n - i < len)
            return false;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                return false;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        static const uint32_t min_cp[5] = {0, 0, 0x80, 0x800, 0x10000};
        if (cp < min_cp[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            return false;
        i += len;
    }
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
