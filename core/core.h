/* core: what every mtok module shares: status codes, the error record, invariant checks, a growable
 * string buffer, whole-file I/O, clocks, strict number parsing and the catalogs embedded at build time.
 *
 * Nothing here knows about models, hardware or SQLite. */
#ifndef MTOK_CORE_H
#define MTOK_CORE_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MTOK_VERSION "0.1.0"

#if defined(__GNUC__) || defined(__clang__)
#define MTOK_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#else
#define MTOK_PRINTF(fmt, args)
#endif

/* Every function that can fail returns one of these; 0 is success. */
enum mtok_status {
    MTOK_OK = 0,
    MTOK_EINVAL,       /* bad input: a file, field or argument is wrong */
    MTOK_ENOTFOUND,    /* a named thing (model id, run, file) does not exist */
    MTOK_ENOMEM,       /* allocation failed */
    MTOK_EIO,          /* file system error */
    MTOK_EDB,          /* SQLite error */
    MTOK_ENET,         /* network / HTTP error */
    MTOK_EUNSUPPORTED, /* valid request this build or machine cannot serve */
    MTOK_EINTERNAL     /* a bug */
};

/* Short lowercase name of a status ("invalid input", ...). Never NULL. */
const char *mtok_status_str(enum mtok_status s);

/* Number formats, for storage and for compute. Names are what users type and what the database
 * stores: f64 f32 bf16 f16 fp8 mxfp4 nvfp4 int8 int4. */
enum mtok_dtype {
    MTOK_F64,
    MTOK_F32,
    MTOK_BF16,
    MTOK_F16,
    MTOK_FP8,   /* e4m3; weights carry one fp32 scale per 128x128 block (DeepSeek/Kimi/MiniMax) */
    MTOK_MXFP4, /* e2m1 + one e8m0 scale per 32 elements (OCP MX) */
    MTOK_NVFP4, /* e2m1 + one e4m3 scale per 16 elements (+ an fp32 scale per tensor) */
    MTOK_INT8,
    MTOK_INT4, /* symmetric int4 + one bf16 scale per 32 elements (compressed-tensors) */
    MTOK_DTYPE_COUNT
};
/* "f32", "bf16", ... ; "?" for an out-of-range value. */
const char *mtok_dtype_name(enum mtok_dtype dt);
/* Accepts the names above plus the aliases fp32, fp16, fp64, e4m3 and fp4 (= mxfp4). */
enum mtok_status mtok_dtype_parse(const char *name, enum mtok_dtype *out);
/* Bits per element of the bare element type (fp8 = 8, mxfp4 = 4). */
double mtok_dtype_bits(enum mtok_dtype dt);
/* Bits per element of a weight matrix stored in this format, block scales included
 * (fp8 = 8 + 32/16384, mxfp4 = 4.25, nvfp4 = 4.5, int4 = 4.5). */
double mtok_dtype_weight_bits(enum mtok_dtype dt);

/* An error record: a code and a one-line message. Callers own it (usually on the stack); functions
 * that take one fill it on failure and leave it untouched on success. */
struct mtok_error {
    enum mtok_status code;
    char msg[1024];
};

/* Record `code` and a printf-formatted message in `err` (NULL allowed); returns `code`, so a failing
 * function can `return mtok_error_set(err, MTOK_EINVAL, "...")`. The message is made one safe line
 * (mtok_line_copy): an error is always one printable line, whatever input it quotes. */
enum mtok_status mtok_error_set(struct mtok_error *err, enum mtok_status code, const char *fmt, ...)
    MTOK_PRINTF(3, 4);

/* err->msg without a leading "PATH: " (file functions start their messages with the path), for
 * callers that print the path themselves. The whole message when it does not start so. */
const char *mtok_error_detail(const struct mtok_error *err, const char *path);

/* Always-on invariant check, for programming errors only (bad input returns a status instead).
 * On failure it writes `file:line: assertion failed: expr` to stderr and aborts. */
#define MTOK_ASSERT(x)                                                                             \
    do {                                                                                           \
        if (!(x))                                                                                  \
            mtok_assert_fail(__FILE__, __LINE__, #x);                                              \
    } while (0)
_Noreturn void mtok_assert_fail(const char *file, int line, const char *expr);

/* Allocation that never returns NULL for a non-zero size: out of memory is an invariant failure
 * (mtok's working sets are small; a failed malloc means the process cannot continue honestly). */
void *mtok_xmalloc(size_t n);
void *mtok_xcalloc(size_t n, size_t size);
void *mtok_xrealloc(void *p, size_t n);
char *mtok_xstrdup(const char *s);

/* Growable NUL-terminated string buffer. Zero-initialise, append, then mtok_buf_free. */
struct mtok_buf {
    char *data;
    size_t len, cap;
};
void mtok_buf_append(struct mtok_buf *b, const char *s, size_t n);
void mtok_buf_puts(struct mtok_buf *b, const char *s);
void mtok_buf_printf(struct mtok_buf *b, const char *fmt, ...) MTOK_PRINTF(2, 3);
void mtok_buf_vprintf(struct mtok_buf *b, const char *fmt, va_list ap);
/* Detach the string (caller frees); the buffer is left empty. Never NULL. */
char *mtok_buf_steal(struct mtok_buf *b);
void mtok_buf_free(struct mtok_buf *b);

/* Text from a file or an argument, made safe to print as one terminal line: newline, carriage
 * return and tab become spaces; other control characters (C0, DEL, and C1 such as U+009B, which
 * some terminals read as an escape sequence) and bytes that are not valid UTF-8 become \xNN
 * escapes. Appends the result for s[0..n) to b. */
void mtok_buf_append_line(struct mtok_buf *b, const char *s, size_t n);
/* Copy src into dst[n] (n > 0) as one safe line (as above), cut at a character boundary and ended
 * with "..." when it does not fit. */
void mtok_line_copy(char *dst, size_t n, const char *src);

/* Copy at most n-1 bytes and always terminate (n > 0). Returns strlen(src). */
size_t mtok_strlcpy(char *dst, const char *src, size_t n);

/* Read a whole regular file into a NUL-terminated malloc'd buffer. Fails with MTOK_EINVAL when the
 * file is larger than max_bytes (checked before reading; memory use stays under max_bytes + 1 even
 * when the size was wrong), MTOK_EIO when it cannot be opened or read or is not a regular file
 * (a FIFO, /dev/zero or a directory is refused at once, without blocking or reading). */
enum mtok_status mtok_file_read(const char *path, size_t max_bytes, char **out, size_t *out_len,
                                struct mtok_error *err);
/* Write a file atomically: to PATH.tmp.PID, fsync, then rename over PATH. */
enum mtok_status mtok_file_write(const char *path, const void *data, size_t len,
                                 struct mtok_error *err);

/* Monotonic clock. */
uint64_t mtok_now_ns(void);
/* Wall clock, seconds since the epoch (UTC) and as "YYYY-MM-DDTHH:MM:SSZ" into buf[21+]. */
double mtok_wall_s(void);
void mtok_wall_iso8601(char *buf, size_t n);

/* Strict number parsing: the whole string must be the number (no trailing junk, no empty string),
 * finite, and in range. Returns MTOK_EINVAL otherwise. No atoi/strtod foot-guns at call sites. */
enum mtok_status mtok_parse_double(const char *s, double *out);
enum mtok_status mtok_parse_long(const char *s, long min, long max, long *out);

/* A list of problems found while checking input, each one line `FILE: FIELD: what is wrong`, made
 * safe to print (mtok_buf_append_line) and at most MTOK_DIAG_LINE_MAX bytes.
 * Zero-initialise; mtok_diags_free releases it. Loaders append to it and keep going, so a user sees
 * every problem in a file at once rather than one per attempt. */
struct mtok_diags {
    char **lines;
    size_t n, cap;
};
/* Longest diagnostic line, in bytes; longer ones are cut (quoted input can be long). */
#define MTOK_DIAG_LINE_MAX 2048
void mtok_diags_add(struct mtok_diags *d, const char *file, const char *field, const char *fmt, ...)
    MTOK_PRINTF(4, 5);
void mtok_diags_free(struct mtok_diags *d);

/* True when s[0..n) is well-formed UTF-8 (no overlongs, surrogates or code points past U+10FFFF). */
bool mtok_utf8_valid(const char *s, size_t n);

/* A file compiled into the library (see tools/embed.c). `data` is NUL-terminated at data[size]. */
struct mtok_blob {
    const char *path; /* relative to the source root, e.g. "data/models/index.json" */
    const unsigned char *data;
    size_t size;
};
extern const struct mtok_blob mtok_embedded_files[];
extern const size_t mtok_embedded_count;
/* The embedded file at exactly `path`, or NULL. */
const struct mtok_blob *mtok_embedded_find(const char *path);

/* The names ("x.json") of the *.json files directly under `sub` of a directory laid out like data/
 * (data_dir NULL: the embedded copy), sorted. A directory that cannot be opened gives MTOK_EIO,
 * with a diagnostic when d is not NULL; *names is then NULL and *n 0. Free with mtok_names_free. */
enum mtok_status mtok_data_json_names(const char *data_dir, const char *sub, char ***names,
                                      size_t *n, struct mtok_diags *d);
void mtok_names_free(char **names, size_t n);

/* mtok_file_read that reports a failure as one diagnostic "PATH: (file): why" (when d is not
 * NULL). */
enum mtok_status mtok_file_read_diag(const char *path, size_t max_bytes, char **out,
                                     size_t *out_len, struct mtok_diags *d);
/* Read `rel` (e.g. "pricing/tco.json") of a directory laid out like data/: DATA_DIR/rel, or the
 * embedded data/rel when data_dir is NULL (MTOK_ENOTFOUND when absent). *path (always set; the
 * caller frees it) is the name diagnostics use; *out is NUL-terminated, NULL on failure, which is
 * reported as one diagnostic when d is not NULL. */
enum mtok_status mtok_data_read(const char *data_dir, const char *rel, size_t max_bytes,
                                char **path, char **out, size_t *out_len, struct mtok_diags *d);

#endif
