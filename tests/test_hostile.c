/* Hostile inputs, through the real `mtok` binary and in-process: each must end in a clean error
 * (exit 2, nothing on stdout, printable one-line diagnostics naming the file, the expected
 * message), within a time limit (no hang), with small memory (a 100 MB file is refused by its
 * size), and with the database untouched (`--db` points at a database in a scratch directory whose
 * bytes, and the directory's listing, must not change).
 *
 * Inputs are generated here from the embedded catalog (one field broken at a time) or are files of
 * the wrong kind: FIFOs, /dev/zero, directories, symlink loops. tests/data/broken holds more,
 * checked by test_catalog. HTTP responses (HTML for JSON, past the cap, a hostile reason phrase) go
 * through mtok_fetch_handle. Prints "hostile inputs tried: N" for tests/reliability.sh. */
#define _DEFAULT_SOURCE /* wait4 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <dirent.h>

#include <cjson/cJSON.h>
#include <sqlite3.h>

#include "catalog/catalog.h"
#include "cli/cli.h"
#include "pricing/pricing.h"
#include "store/store.h"
#include "test.h"

#define TIMEOUT_S 20

static char tmp[] = "/tmp/mtok-hostile-XXXXXX";
static char bin[4096];
static int n_cases;

static const char *path_in(const char *name)
{
    static char buf[16][4096];
    static int slot;
    char *p = buf[slot++ % 16];
    snprintf(p, 4096, "%s/%s", tmp, name);
    return p;
}

static void put(const char *path, const char *data, size_t len)
{
    CHECK_MSG(mtok_file_write(path, data, len, NULL) == MTOK_OK, "write %s", path);
}

static void put_str(const char *path, const char *s)
{
    put(path, s, strlen(s));
}

static const char *embedded(const char *path)
{
    const struct mtok_blob *b = mtok_embedded_find(path);
    if (!b) {
        fprintf(stderr, "no embedded %s\n", path);
        exit(1);
    }
    return (const char *)b->data;
}

/* base with the first occurrence of `from` replaced by `to` (caller frees). */
static char *with(const char *base, const char *from, const char *to)
{
    const char *at = strstr(base, from);
    if (!at) {
        fprintf(stderr, "test_hostile: \"%s\" not in the base file\n", from);
        exit(1);
    }
    struct mtok_buf b = {0};
    mtok_buf_append(&b, base, (size_t)(at - base));
    mtok_buf_puts(&b, to);
    mtok_buf_puts(&b, at + strlen(from));
    return mtok_buf_steal(&b);
}

/* A catalog directory like data/, from the embedded copy. */
static void make_data(const char *dir)
{
    char p[4096];
    mkdir(dir, 0755);
    for (size_t i = 0; i < mtok_embedded_count; i++) {
        const struct mtok_blob *b = &mtok_embedded_files[i];
        const char *slash = strncmp(b->path, "data/", 5) == 0 ? strchr(b->path + 5, '/') : NULL;
        if (slash) {
            snprintf(p, sizeof p, "%s/%.*s", dir, (int)(slash - (b->path + 5)), b->path + 5);
            mkdir(p, 0755); /* each data/ folder (one level deep) */
            snprintf(p, sizeof p, "%s/%s", dir, b->path + 5);
            put(p, (const char *)b->data, b->size);
        }
    }
}

static char *slurp(const char *path, size_t *len)
{
    char *data = NULL;
    *len = 0;
    mtok_file_read(path, 1 << 26, &data, len, NULL);
    return data ? data : mtok_xstrdup("");
}

/* ---- the database that must not change ---- */

static char *db_bytes;
static size_t db_len;

static void make_db(void)
{
    mkdir(path_in("db"), 0755);
    struct mtok_error err = {0};
    struct mtok_store *st = NULL;
    CHECK(mtok_store_open(&st, path_in("db/mtok.db"), &err) == MTOK_OK);
    struct mtok_run_info info = {"bench", "default", "hostile", NULL, NULL};
    struct mtok_run *run = mtok_run_create(&info);
    struct mtok_result_row r = {.name = "gemm", .kernel = "gemm", .median_ns = 1};
    mtok_run_add_sample(run, mtok_run_add_result(run, &r), 1);
    CHECK(mtok_store_run_begin(st, run) == MTOK_OK && mtok_store_run_commit(st, run) == MTOK_OK);
    mtok_run_destroy(run);
    mtok_store_close(st);
    free(db_bytes);
    db_bytes = slurp(path_in("db/mtok.db"), &db_len);
}

static int db_dir_entries(void)
{
    DIR *d = opendir(path_in("db"));
    int n = 0;
    struct dirent *e;
    while (d && (e = readdir(d)))
        n += e->d_name[0] != '.';
    if (d)
        closedir(d);
    return n;
}

static bool db_untouched(void)
{
    size_t len;
    char *now = slurp(path_in("db/mtok.db"), &len);
    bool same = len == db_len && memcmp(now, db_bytes, len) == 0 && db_dir_entries() == 1;
    free(now);
    return same;
}

/* ---- running mtok ---- */

struct outcome {
    int status; /* exit code; -1 killed by a signal, -2 timed out */
    char *out, *err;
    long maxrss_kb;
};

static struct outcome run_binary(char **args, const char *cwd)
{
    struct outcome o = {0};
    const char *out = path_in("stdout"), *err = path_in("stderr");
    pid_t pid = fork();
    if (pid == 0) {
        int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int fe = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fo < 0 || fe < 0 || dup2(fo, 1) < 0 || dup2(fe, 2) < 0)
            _exit(126);
        if (cwd && chdir(cwd) != 0)
            _exit(126);
        unsetenv("MTOK_DB");
        unsetenv("MTOK_DATA_DIR");
        execv(bin, args);
        _exit(127);
    }
    int status = 0;
    struct rusage ru = {0};
    uint64_t deadline = mtok_now_ns() + (uint64_t)TIMEOUT_S * 1000000000u;
    for (;;) {
        pid_t got = wait4(pid, &status, WNOHANG, &ru);
        if (got == pid)
            break;
        if (mtok_now_ns() > deadline) {
            kill(pid, SIGKILL);
            wait4(pid, &status, 0, &ru);
            o.status = -2;
            break;
        }
        struct timespec ts = {0, 2000000};
        nanosleep(&ts, NULL);
    }
    if (o.status != -2)
        o.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    o.maxrss_kb = ru.ru_maxrss;
    size_t n;
    o.out = slurp(out, &n);
    o.err = slurp(err, &n);
    return o;
}

static struct outcome run_inprocess(int argc, char **args)
{
    struct outcome o = {0};
    FILE *out = tmpfile(), *err = tmpfile();
    o.status = mtok_cli_main(argc, args, out, err);
    FILE *f[2] = {out, err};
    char **dst[2] = {&o.out, &o.err};
    for (int i = 0; i < 2; i++) {
        long n = ftell(f[i]);
        rewind(f[i]);
        *dst[i] = mtok_xmalloc((size_t)n + 1);
        (*dst[i])[fread(*dst[i], 1, (size_t)n, f[i])] = '\0';
        fclose(f[i]);
    }
    return o;
}

static const char *line_problem(const char *s, size_t n)
{
    if (n > MTOK_DIAG_LINE_MAX)
        return "too long";
    if (!mtok_utf8_valid(s, n))
        return "not UTF-8";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7f || (c == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] < 0xa0))
            return "control character";
    }
    return NULL;
}

/* A clean error: exit 2, empty stdout, want_lines printable lines (0 = at least one), each
 * starting with `prefix` when given, one of them holding `expect`. */
static void check_outcome(const char *label, const char *how, const struct outcome *o,
                          const char *expect, const char *prefix, int want_lines)
{
    CHECK_MSG(o->status == 2, "%s (%s): exit %d%s; stderr: %.300s", label, how, o->status,
              o->status == -2 ? " (timed out: a hang)" : "", o->err);
    CHECK_MSG(o->out[0] == '\0', "%s (%s): stdout not empty: %.200s", label, how, o->out);
    int lines = 0;
    for (const char *p = o->err; *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        const char *why = line_problem(p, n);
        CHECK_MSG(!why, "%s (%s): stderr line %s: %.200s", label, how, why, p);
        if (prefix)
            CHECK_MSG(strncmp(p, prefix, strlen(prefix)) == 0,
                      "%s (%s): line does not name %s: %.200s", label, how, prefix, p);
        lines++;
        p += n + (nl != NULL);
    }
    CHECK_MSG(want_lines ? lines == want_lines : lines >= 1, "%s (%s): %d lines: %.500s", label,
              how, lines, o->err);
    CHECK_MSG(strstr(o->err, expect) != NULL, "%s (%s): expected \"%s\", got: %.500s", label, how,
              expect, o->err);
}

/* Run `mtok ARGS... --db DB` both ways and check a clean error. */
static void hostile_argv(const char *label, const char *expect, const char *prefix, int want_lines,
                         int argc, char **argv)
{
    n_cases++;
    char *args[40];
    int n = 0;
    args[n++] = bin;
    for (int i = 0; i < argc && n < 36; i++)
        args[n++] = argv[i];
    args[n++] = ARG("--db");
    args[n++] = (char *)path_in("db/mtok.db");
    args[n] = NULL;
    struct outcome o = run_binary(args, NULL);
    check_outcome(label, "binary", &o, expect, prefix, want_lines);
    CHECK_MSG(db_untouched(), "%s (binary): the database was created or changed", label);
    free(o.out), free(o.err);
    if (o.status == -2)
        return; /* would hang in-process too */
    o = run_inprocess(n, args);
    check_outcome(label, "in-process", &o, expect, prefix, want_lines);
    CHECK_MSG(db_untouched(), "%s (in-process): the database was created or changed", label);
    free(o.out), free(o.err);
}

/* `mtok check FILE` on a file holding `content`. */
static void hostile_file(const char *label, const char *name, const char *content, size_t len,
                         const char *expect, int want_lines)
{
    const char *p = path_in(name);
    put(p, content, len);
    char prefix[4200];
    snprintf(prefix, sizeof prefix, "%s: ", p);
    char *argv[] = {ARG("check"), (char *)p};
    hostile_argv(label, expect, prefix, want_lines, 2, argv);
    unlink(p);
}

static void hostile_text_n(const char *label, const char *content, const char *expect, int lines)
{
    char name[96];
    snprintf(name, sizeof name, "case-%d.json", n_cases);
    hostile_file(label, name, content, strlen(content), expect, lines);
}

static void hostile_text(const char *label, const char *content, const char *expect)
{
    hostile_text_n(label, content, expect, 1);
}

/* `mtok models --data DIR` on a copy of data/ prepared by the caller. */
static void hostile_data(const char *label, const char *dir, const char *expect)
{
    char *argv[] = {ARG("models"), ARG("--data"), (char *)dir};
    hostile_argv(label, expect, dir, 0, 3, argv);
}

/* ---- the cases ---- */

static const char *qwen, *h100;

static void numbers_and_types(void)
{
    static const struct {
        const char *label, *from, *to, *expect;
    } model[] = {
        {"NaN (Python literal)", "\"hidden_size\": 1024", "\"hidden_size\": NaN",
         "not a finite number"},
        {"Infinity", "\"hidden_size\": 1024", "\"hidden_size\": Infinity", "not a finite number"},
        {"-Infinity", "\"vocab_size\": 151936", "\"vocab_size\": -Infinity", "not a finite number"},
        {"number overflowing a double", "\"hidden_size\": 1024", "\"hidden_size\": 1e400",
         "not a finite number"},
        {"negative", "\"hidden_size\": 1024", "\"hidden_size\": -1024", "out of range"},
        {"huge", "\"hidden_size\": 1024", "\"hidden_size\": 1e300", "out of range"},
        {"past INT_MAX", "\"num_hidden_layers\": 28", "\"num_hidden_layers\": 2147483648",
         "out of range"},
        {"past INT64", "\"vocab_size\": 151936", "\"vocab_size\": 99999999999999999999999",
         "out of range"},
        {"negative zero layers", "\"num_hidden_layers\": 28", "\"num_hidden_layers\": -0",
         "out of range"},
        {"fraction", "\"num_attention_heads\": 16", "\"num_attention_heads\": 16.5",
         "not an integer"},
        {"tiny fraction", "\"num_attention_heads\": 16", "\"num_attention_heads\": 16.000000001",
         "not an integer"},
        {"string for a number", "\"hidden_size\": 1024", "\"hidden_size\": \"1024\"",
         "is a string, expected a number"},
        {"array for a number", "\"hidden_size\": 1024", "\"hidden_size\": [1024]",
         "is an array, expected a number"},
        {"object for a number", "\"hidden_size\": 1024", "\"hidden_size\": {}",
         "is an object, expected a number"},
        {"boolean for a number", "\"hidden_size\": 1024", "\"hidden_size\": true",
         "is a boolean, expected a number"},
        {"null for a required number", "\"hidden_size\": 1024", "\"hidden_size\": null",
         "is null but required"},
        {"missing required field", "\"vocab_size\": 151936", "\"vocab_sizes\": 151936",
         "vocab_size: missing"},
        {"number for a string", "\"model_type\": \"qwen3\"", "\"model_type\": 3",
         "model_type: is a number, expected a string"},
        {"number for a boolean", "\"use_sliding_window\": false", "\"use_sliding_window\": 0",
         "expected true or false"},
        {"C1 control in a value", "\"model_type\": \"qwen3\"",
         "\"model_type\": \"qwen3\\u009b31m\"", "contains a control character"},
        {"lone surrogate escape", "\"model_type\": \"qwen3\"", "\"model_type\": \"\\ud800\"",
         "(document): JSON syntax error"},
        {"shell metacharacters in model_type", "\"model_type\": \"qwen3\"",
         "\"model_type\": \"$(touch pwned); `id` | rm -rf ~ &\"", "is not a known model_type"},
        {"quotes in model_type", "\"model_type\": \"qwen3\"", "\"model_type\": \"q\\\"wen3'\"",
         "is not a known model_type"},
    };
    for (size_t i = 0; i < sizeof model / sizeof *model; i++) {
        char *s = with(qwen, model[i].from, model[i].to);
        hostile_text(model[i].label, s, model[i].expect);
        free(s);
    }

    static const struct {
        const char *label, *from, *to, *expect;
    } hw[] = {
        {"hw: NaN (Python literals only in configs)", "\"bandwidth_bytes_s\": 3.35e12",
         "\"bandwidth_bytes_s\": NaN", "JSON syntax error"},
        {"hw: overflow", "\"capacity_bytes\": 80e9", "\"capacity_bytes\": 1e999",
         "not a finite number"},
        {"hw: negative capacity", "\"capacity_bytes\": 80e9", "\"capacity_bytes\": -80e9",
         "out of range"},
        {"hw: huge peak", "\"bf16\": 989e12", "\"bf16\": 989e30", "out of range"},
        {"hw: peak as string", "\"bf16\": 989e12", "\"bf16\": \"989 TF\"",
         "is a string, expected a number"},
        {"hw: domain as fraction", "\"domain_size\": 8", "\"domain_size\": 8.5", "not an integer"},
        {"hw: misspelt group", "\"memory\": {", "\"memori\": {", "memori: unknown key (typo?)"},
        {"hw: id with quotes and shell", "\"id\": \"h100-sxm\"",
         "\"id\": \"h100\\\"; rm -rf ~; echo $(id) `id` | tee /etc/x &\"", "is not an id"},
        {"hw: id with unicode", "\"id\": \"h100-sxm\"", "\"id\": \"h100-\\u0455xm\"",
         "is not an id"},
        {"hw: bool as string", "\"uncertain\": false", "\"uncertain\": \"false\"",
         "expected true or false"},
        {"hw: date not a date", "\"date\": \"2026-08-21\"", "\"date\": \"2026-13-45\"",
         "is not a date"},
        {"hw: control character in name", "\"name\": \"NVIDIA H100 SXM5 80GB\"",
         "\"name\": \"H100\\r\\nok: fake line\"", "contains a control character"},
        {"hw: escape sequences in a key", "\"kind\": \"gpu\"",
         "\"kind\": \"gpu\", \"\\u001b]0;owned\\u0007\\u001b[2J\": 1", "unknown key"},
        {"hw: C1 control in a key", "\"kind\": \"gpu\"", "\"kind\": \"gpu\", \"\\u009b6n\": 1",
         "unknown key"},
        {"hw: very long name", "\"name\": \"NVIDIA H100 SXM5 80GB\"", NULL,
         "over the 200-byte limit"},
    };
    for (size_t i = 0; i < sizeof hw / sizeof *hw; i++) {
        char *s;
        if (hw[i].to) {
            s = with(h100, hw[i].from, hw[i].to);
        } else {
            char *name = mtok_xmalloc(100000);
            memset(name, 'N', 99990);
            snprintf(name + 99990, 10, "\"");
            struct mtok_buf b = {0};
            mtok_buf_printf(&b, "\"name\": \"%s", name);
            s = with(h100, hw[i].from, b.data);
            mtok_buf_free(&b);
            free(name);
        }
        hostile_text_n(hw[i].label, s, hw[i].expect, strstr(hw[i].label, "misspelt") ? 2 : 1);
        free(s);
    }
}

static void structure(void)
{
    /* 10,000-deep nesting, closed and unclosed, arrays and objects. */
    struct mtok_buf b = {0};
    for (int i = 0; i < 10000; i++)
        mtok_buf_puts(&b, "[");
    for (int i = 0; i < 10000; i++)
        mtok_buf_puts(&b, "]");
    hostile_text("10,000-deep arrays", b.data, "nested deeper than");
    mtok_buf_free(&b);
    for (int i = 0; i < 10000; i++)
        mtok_buf_puts(&b, "{\"a\":");
    mtok_buf_puts(&b, "1");
    for (int i = 0; i < 10000; i++)
        mtok_buf_puts(&b, "}");
    hostile_text("10,000-deep objects", b.data, "nested deeper than");
    mtok_buf_free(&b);
    mtok_buf_puts(&b, "{\"model_type\": \"qwen3\", \"x\": ");
    for (int i = 0; i < 10000; i++)
        mtok_buf_puts(&b, "[{\"k\":");
    hostile_text("10,000-deep, unclosed", b.data, "nested deeper than");
    mtok_buf_free(&b);
    /* deep inside a known field of a valid config */
    char *deep = NULL;
    for (int i = 0; i < 2000; i++)
        mtok_buf_puts(&b, "[");
    for (int i = 0; i < 2000; i++)
        mtok_buf_puts(&b, "]");
    struct mtok_buf v = {0};
    mtok_buf_printf(&v, "\"layer_types\": %s, \"hidden_size\": 1024", b.data);
    deep = with(qwen, "\"hidden_size\": 1024", v.data);
    hostile_text("2,000-deep inside a config", deep, "nested deeper than");
    free(deep);
    mtok_buf_free(&v);
    mtok_buf_free(&b);

    /* A million keys: the duplicate-key check must not be quadratic, the unknown-key report must
     * stop after the first problems. */
    mtok_buf_puts(&b, "{\"id\": \"x\", \"compute\": {}");
    for (int i = 0; i < 300000; i++)
        mtok_buf_printf(&b, ",\"k%d\":0", i);
    mtok_buf_puts(&b, "}");
    char name[64];
    snprintf(name, sizeof name, "case-%d.json", n_cases);
    hostile_file("300,000 unknown keys in a hardware file", name, b.data, b.len,
                 "more problems; only the first 50 are shown", 0);
    mtok_buf_free(&b);
    mtok_buf_puts(&b, "{");
    for (int i = 0; i < 300000; i++)
        mtok_buf_printf(&b, "\"k%d\":0,", i);
    mtok_buf_puts(&b, "\"k17\":1}");
    hostile_text("300,000 keys, one duplicated", b.data, "k17: key appears more than once");
    mtok_buf_free(&b);

    /* 1.2 million tiny values (2.4 MB): refused before cJSON builds a node for each */
    mtok_buf_puts(&b, "{\"a\": [0");
    for (int i = 0; i < 1200000; i++)
        mtok_buf_puts(&b, ",0");
    mtok_buf_puts(&b, "]}");
    hostile_text("1,200,000 JSON values", b.data, "holds more than 1000000 JSON values");
    mtok_buf_free(&b);
    /* a price book given to `check` is checked as one */
    char *pb =
        with(embedded("data/prices/api.json"), "\"per_m_input\": 0.55", "\"per_m_input\": -0.55");
    hostile_text("price book with a negative price", pb, "per_m_input: -0.55 is out of range");
    free(pb);

    hostile_text("empty file", "", "JSON ends too early");
    hostile_text("only whitespace", " \n\t\n", "JSON ends too early");
    hostile_text("truncated", "{\"model_type\": \"qwen3\", \"hidden_size\": 10",
                 "JSON ends too early");
    hostile_text("two documents", "{} {}", "unexpected data after the JSON value");
    hostile_text("UTF-8 BOM (tolerated, as by Python)", "\xef\xbb\xbf{}", "model_type: missing");
    hostile_text("not JSON at all", "#!/bin/sh\nrm -rf ~\n", "JSON syntax error");
    hostile_text("top-level string", "\"config\"", "is not a JSON object");
    hostile_text("duplicate key", "{\"model_type\": \"llama\", \"model_type\": \"qwen3\"}",
                 "model_type: key appears more than once");
    hostile_file("NUL byte", "nul.json", "{\"model_type\": \"q\0wen3\"}", 25, "contains a NUL byte",
                 1);

    static const struct {
        const char *label, *bytes, *expect;
    } utf8[] = {
        {"invalid UTF-8 byte", "{\"model_type\": \"qwen\xff\"}", "not valid UTF-8"},
        {"overlong UTF-8", "{\"model_type\": \"\xc0\xaf\"}", "not valid UTF-8"},
        {"UTF-8 surrogate", "{\"model_type\": \"\xed\xa0\x80\"}", "not valid UTF-8"},
        {"past U+10FFFF", "{\"model_type\": \"\xf4\x90\x80\x80\"}", "not valid UTF-8"},
        {"truncated sequence at the end", "{\"model_type\": \"qwen3\"}\xe2\x82", "not valid UTF-8"},
        {"invalid UTF-8 in a key", "{\"\xfe\xff\": 1}", "not valid UTF-8"},
        {"Latin-1 text", "{\"name\": \"caf\xe9\"}", "not valid UTF-8"},
    };
    for (size_t i = 0; i < sizeof utf8 / sizeof *utf8; i++)
        hostile_text(utf8[i].label, utf8[i].bytes, utf8[i].expect);
}

/* First, while this process is small: a child's maximum RSS includes what it inherited at fork. */
static void memory_check(void)
{
    /* A 100 MB file (sparse: no disk used): refused by its size before it is read, with small
     * memory. Baseline: the same command on a small valid file. */
    const char *big = path_in("big.json");
    int fd = open(big, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    CHECK(fd >= 0 && ftruncate(fd, 100L << 20) == 0);
    close(fd);
    const char *small = path_in("small.json");
    put_str(small, qwen);
    char *base_args[] = {bin, ARG("check"), (char *)small, NULL};
    struct outcome base = run_binary(base_args, NULL);
    CHECK_MSG(base.status == 0, "baseline check failed: %s", base.err);
    char *a8[] = {ARG("check"), (char *)big};
    hostile_argv("100 MB file", "over the 16777216-byte limit", big, 1, 2, a8);
    char *big_args[] = {bin, ARG("check"), (char *)big, NULL};
    struct outcome o = run_binary(big_args, NULL);
    printf("100 MB file: max RSS %ld KiB (a valid 1 KB config: %ld KiB)\n", o.maxrss_kb,
           base.maxrss_kb);
    CHECK_MSG(o.maxrss_kb < base.maxrss_kb + 8 * 1024, "100 MB file: max RSS %ld KiB vs %ld KiB",
              o.maxrss_kb, base.maxrss_kb);
    free(o.out), free(o.err), free(base.out), free(base.err);
    unlink(big);
}

static void files_of_the_wrong_kind(void)
{
    /* A FIFO with no writer: opening it to read would block forever. */
    const char *fifo = path_in("fifo.json");
    CHECK(mkfifo(fifo, 0644) == 0);
    char *a1[] = {ARG("check"), (char *)fifo};
    hostile_argv("FIFO given as a file", "not a regular file", fifo, 1, 2, a1);
    char *a2[] = {ARG("check"), ARG("/dev/zero")};
    hostile_argv("/dev/zero given as a file", "not a regular file", "/dev/zero", 1, 2, a2);
    char *a3[] = {ARG("check"), ARG("/dev/null")};
    hostile_argv("/dev/null given as a file", "not a regular file", "/dev/null", 1, 2, a3);

    const char *loop = path_in("loop.json");
    CHECK(symlink(loop, loop) == 0);
    char *a4[] = {ARG("check"), (char *)loop};
    hostile_argv("symlink loop given as a file", "Too many levels of symbolic links", loop, 1, 2,
                 a4);
    const char *dangling = path_in("dangling.json");
    CHECK(symlink(path_in("nowhere.json"), dangling) == 0);
    char *a5[] = {ARG("check"), (char *)dangling};
    hostile_argv("dangling symlink", "No such file or directory", dangling, 1, 2, a5);

    /* A directory given as a file: `check` reads a directory as a catalog; it is not one. */
    const char *dir = path_in("dir.json");
    mkdir(dir, 0755);
    char *a6[] = {ARG("check"), (char *)dir};
    hostile_argv("directory given as a file", "cannot open", dir, 0, 2, a6);
    /* and a file given as --data */
    const char *file = path_in("file-not-dir.json");
    put_str(file, "{}");
    char *a7[] = {ARG("models"), ARG("--data"), (char *)file};
    hostile_argv("file given as --data", "Not a directory", file, 0, 3, a7);

    /* one byte over the limit, real bytes */
    size_t over = MTOK_CATALOG_MAX_FILE + 1;
    char *junk = mtok_xmalloc(over);
    memset(junk, ' ', over);
    junk[0] = '{', junk[over - 1] = '}';
    hostile_file("16 MiB + 1 byte", "over.json", junk, over, "over the 16777216-byte limit", 1);
    free(junk);

    if (geteuid() != 0) { /* root reads anything */
        const char *locked = path_in("locked.json");
        put_str(locked, qwen);
        chmod(locked, 0);
        char *a9[] = {ARG("check"), (char *)locked};
        hostile_argv("unreadable file", "Permission denied", locked, 1, 2, a9);
    }

    /* A path with shell metacharacters and an escape sequence: quoted safely in the error. */
    const char *meta = path_in("$(touch pwned); `id` \x1b[2J.json");
    char *a10[] = {ARG("check"), (char *)meta};
    n_cases++;
    char *args[] = {bin, ARG("check"), (char *)meta, NULL};
    struct outcome o = run_binary(args, tmp);
    CHECK(o.status == 2 && strstr(o.err, "\\x1b[2J") && !strchr(o.err, '\x1b'));
    CHECK(access(path_in("pwned"), F_OK) != 0);
    free(o.out), free(o.err);
    (void)a10;
}

static void data_dirs(void)
{
    char dir[4096];
    int k = 0;
#define FRESH() (snprintf(dir, sizeof dir, "%s/data-%d", tmp, k++), make_data(dir), dir)
    char p[4200];

    FRESH();
    snprintf(p, sizeof p, "%s/hardware/loop.json", dir);
    CHECK(symlink(p, p) == 0);
    hostile_data("symlink loop in hardware/", dir, "Too many levels of symbolic links");

    FRESH();
    snprintf(p, sizeof p, "%s/models/index.json", dir);
    unlink(p);
    CHECK(symlink(p, p) == 0);
    hostile_data("models/index.json is a symlink loop", dir, "Too many levels of symbolic links");

    FRESH();
    snprintf(p, sizeof p, "%s/hardware/zero.json", dir);
    CHECK(symlink("/dev/zero", p) == 0);
    hostile_data("hardware/zero.json -> /dev/zero", dir, "not a regular file");

    FRESH();
    snprintf(p, sizeof p, "%s/hardware/fifo.json", dir);
    CHECK(mkfifo(p, 0644) == 0);
    hostile_data("FIFO in hardware/", dir, "not a regular file");

    FRESH();
    snprintf(p, sizeof p, "%s/prices/api.json", dir);
    unlink(p);
    CHECK(mkdir(p, 0755) == 0);
    hostile_data("prices/api.json is a directory", dir, "not a regular file");

    FRESH();
    snprintf(p, sizeof p, "%s/hardware", dir);
    char cmd[8400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", p);
    CHECK(system(cmd) == 0);
    CHECK(symlink(p, p) == 0);
    hostile_data("hardware/ is a symlink loop", dir, "cannot be opened");

    snprintf(dir, sizeof dir, "%s/data-loop", tmp);
    CHECK(symlink(dir, dir) == 0);
    hostile_data("--data is a symlink loop", dir, "Too many levels of symbolic links");

    FRESH();
    snprintf(p, sizeof p, "%s/models/deepseek-ai--DeepSeek-V3_config.json", dir);
    unlink(p);
    CHECK(symlink("/etc/passwd", p) == 0);
    hostile_data("a config symlinked to /etc/passwd", dir, "JSON syntax error");

    /* one broken field at a time in the index and the price book */
    static const struct {
        const char *label, *file, *from, *to, *expect;
    } edits[] = {
        {"index: NaN count", "models/index.json", "\"params_total\": 1.6e12",
         "\"params_total\": NaN", "JSON syntax error"},
        {"index: huge count", "models/index.json", "\"params_total\": 1.6e12",
         "\"params_total\": 1.6e300", "out of range"},
        {"index: config escapes the folder", "models/index.json",
         "\"config\": \"deepseek-ai--DeepSeek-V4-Pro_config.json\"",
         "\"config\": \"../../../../etc/passwd\"", "must be a file name"},
        {"index: config is the index itself", "models/index.json",
         "\"config\": \"deepseek-ai--DeepSeek-V4-Pro_config.json\"", "\"config\": \"index.json\"",
         "model_type: missing"},
        {"index: id with shell", "models/index.json", "\"id\": \"deepseek-v4-pro\"",
         "\"id\": \"v4; rm -rf / #\"", "is not an id"},
        {"index: duplicate id", "models/index.json", "\"id\": \"deepseek-v4-flash\"",
         "\"id\": \"deepseek-v4-pro\"", "is also the id of models[0]"},
        {"prices: NaN", "prices/api.json", "\"per_m_input\": 0.55", "\"per_m_input\": NaN",
         "JSON syntax error"},
        {"prices: negative", "prices/api.json", "\"per_m_input\": 0.55", "\"per_m_input\": -0.55",
         "out of range"},
        {"prices: overflow", "prices/api.json", "\"per_m_input\": 0.55", "\"per_m_input\": 1e999",
         "not a finite number"},
        {"prices: string price", "prices/api.json", "\"per_m_input\": 0.55",
         "\"per_m_input\": \"$0.55\"", "is a string, expected a number"},
        {"prices: duplicate currency rate", "prices/api.json", "\"currency_rates\": [",
         "\"currency_rates\": [{\"currency\": \"CNY\", \"usd_per_unit\": 9, \"source\": \"x\", "
         "\"date\": \"2026-01\", \"uncertain\": true},",
         "is also the currency of currency_rates[0]"},
        {"prices: a rate for USD", "prices/api.json", "\"currency_rates\": [",
         "\"currency_rates\": [{\"currency\": \"USD\", \"usd_per_unit\": 2, \"source\": \"x\", "
         "\"date\": \"2026-01\", \"uncertain\": true},",
         "USD is the base currency"},
        {"prices: missing output key", "prices/api.json", "\"per_m_output\": 2.19,", "",
         "per_m_output: missing"},
        {"prices: not an array", "prices/api.json", "\"prices\": [", "\"prices\": 5, \"x\": [",
         "prices: is a number, expected an array"},
    };
    /* 20,000 prices, the last one reusing the first id: found, and fast (no pairwise compare) */
    FRESH();
    snprintf(p, sizeof p, "%s/prices/api.json", dir);
    struct mtok_buf big = {0};
    mtok_buf_puts(&big, "{\"prices\": [");
    for (int i = 0; i <= 20000; i++)
        mtok_buf_printf(&big,
                        "%s{\"id\": \"p/%d\", \"provider\": \"P\", \"product\": \"p\", "
                        "\"kind\": \"list\", \"from\": \"2026-01\", \"currency\": \"USD\", "
                        "\"per_m_input\": 1, \"per_m_output\": 2, \"source\": \"s\", "
                        "\"date\": \"2026-01\", \"uncertain\": false}",
                        i ? ", " : "", i < 20000 ? i : 0);
    mtok_buf_puts(&big, "]}");
    put(p, big.data, big.len);
    mtok_buf_free(&big);
    hostile_data("prices: 20,000 entries, one id twice", dir,
                 "prices[20000].id: \"p/0\" is also the id of prices[0]");

    for (size_t i = 0; i < sizeof edits / sizeof *edits; i++) {
        FRESH();
        snprintf(p, sizeof p, "%s/%s", dir, edits[i].file);
        size_t len;
        char *orig = slurp(p, &len);
        char *s = with(orig, edits[i].from, edits[i].to);
        put_str(p, s);
        free(s), free(orig);
        hostile_data(edits[i].label, dir, edits[i].expect);
    }
#undef FRESH
}

/* Free text with quotes and shell metacharacters is data: accepted, shown exactly, never run. */
static void metacharacters_are_data(void)
{
    char dir[4200];
    snprintf(dir, sizeof dir, "%s/data-meta", tmp);
    make_data(dir);
    static const char name[] =
        "H100 \\\"quoted\\\" 'single' $(touch pwned) `touch pwned` ; | & > < * ~ \\\\";
    static const char want[] =
        "H100 \"quoted\" 'single' $(touch pwned) `touch pwned` ; | & > < * ~ \\";
    char *s = with(h100, "\"name\": \"NVIDIA H100 SXM5 80GB\"",
                   "\"name\": \""
                   "PLACEHOLDER"
                   "\"");
    char *t = with(s, "PLACEHOLDER", name);
    char p[4300];
    snprintf(p, sizeof p, "%s/hardware/h100-sxm.json", dir);
    put_str(p, t);
    free(s), free(t);
    char *args[] = {bin, ARG("hw"), ARG("--json"), ARG("--data"), dir, NULL};
    struct outcome o = run_binary(args, tmp);
    CHECK_MSG(o.status == 0, "metacharacters: exit %d: %s", o.status, o.err);
    cJSON *a = cJSON_Parse(o.out);
    bool found = false;
    const cJSON *e;
    cJSON_ArrayForEach(e, a)
    {
        const cJSON *n = cJSON_GetObjectItem(e, "name");
        found |= cJSON_IsString(n) && strcmp(n->valuestring, want) == 0;
    }
    CHECK_MSG(found, "metacharacters: the name did not round-trip: %.300s", o.out);
    CHECK(access(path_in("pwned"), F_OK) != 0);
    cJSON_Delete(a);
    free(o.out), free(o.err);
    n_cases++;
}

static void database_arguments(void)
{
    const char *fifo = path_in("fifo.db");
    CHECK(mkfifo(fifo, 0644) == 0);
    char *a1[] = {ARG("db"), ARG("stats"), ARG("--db"), (char *)fifo};
    n_cases++;
    char *args[] = {bin, ARG("db"), ARG("stats"), ARG("--db"), (char *)fifo, NULL};
    struct outcome o = run_binary(args, NULL);
    check_outcome("FIFO as --db", "binary", &o, "not a regular file", NULL, 1);
    free(o.out), free(o.err);
    (void)a1;

    /* db merge with hostile sources: the destination is neither created nor changed */
    const char *view = path_in("view.db");
    sqlite3 *h;
    sqlite3_open(view, &h);
    sqlite3_exec(h,
                 "PRAGMA user_version = 1; CREATE VIEW run AS WITH RECURSIVE c(i) AS "
                 "(SELECT 1 UNION ALL SELECT i + 1 FROM c) SELECT i FROM c;",
                 NULL, NULL, NULL);
    sqlite3_close(h);
    const char *text = path_in("text.db");
    put_str(text, "this is not a database but long enough to have a header of sorts........");
    static const struct {
        const char *label, *src, *expect;
    } merges[] = {
        {"merge: a view where a table belongs", "view.db", "not an mtok database"},
        {"merge: not a database", "text.db", "not a usable SQLite database"},
        {"merge: /dev/zero", "/dev/zero", "not a regular file"},
        {"merge: missing source", "missing.db", "No such file or directory"},
        {"merge: FIFO source", "fifo.db", "not a regular file"},
    };
    for (size_t i = 0; i < sizeof merges / sizeof *merges; i++) {
        const char *src = merges[i].src[0] == '/' ? merges[i].src : path_in(merges[i].src);
        const char *dst = path_in("db/merged.db");
        char *argv[] = {ARG("db"),   ARG("merge"),  (char *)path_in("db/mtok.db"),
                        (char *)src, ARG("--into"), (char *)dst};
        hostile_argv(merges[i].label, merges[i].expect, NULL, 1, 6, argv);
    }
}

/* Hostile HTTP responses, through mtok_fetch_handle (what mtok_fetch does once a transfer ends):
 * refused with one printable line naming the URL, and nothing written to the cache. The transfer
 * side (the cap while streaming, redirects, timeouts, TLS) is test_fetch's. */
struct http_ctx {
    struct mtok_catalog *cat;
    struct mtok_model *m;
    struct mtok_api_price *p;
    size_t n;
};

static enum mtok_status http_model(void *ctx, const char *url, const char *body, size_t len,
                                   struct mtok_diags *d)
{
    return mtok_model_parse(url, body, len, &((struct http_ctx *)ctx)->m, d);
}

static enum mtok_status http_prices(void *ctx, const char *url, const char *body, size_t len,
                                    struct mtok_diags *d)
{
    struct http_ctx *c = ctx;
    return mtok_prices_parse(c->cat, url, body, len, &c->p, &c->n, d);
}

static void hostile_response(const char *label, const char *head, const char *body, size_t len,
                             mtok_fetch_check_fn check, struct http_ctx *ctx, const char *expect)
{
    n_cases++;
    static const char url[] = "https://example.invalid/org/model/config.json";
    const char *cache = path_in("http-cache");
    struct mtok_fetch_opts o = {.cache_dir = cache};
    struct mtok_fetch_response r = {0};
    for (const char *p = head; *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl + 1 - p) : strlen(p);
        mtok_fetch_header_line(&r, p, n);
        if (strncmp(p, "HTTP/", 5) == 0)
            r.status = strtol(strchr(p, ' ') + 1, NULL, 10);
        p += n;
    }
    r.body = body, r.len = len;
    struct mtok_diags d = {0};
    struct mtok_fetch_info info;
    char *out = NULL;
    size_t out_len = 0;
    enum mtok_status s = mtok_fetch_handle(url, &o, &r, check, ctx, &out, &out_len, &info, &d);
    CHECK_MSG(s != MTOK_OK && !out && !info.stored, "%s: accepted", label);
    CHECK_MSG(d.n == 1, "%s: %zu diagnostics", label, d.n);
    for (size_t i = 0; i < d.n; i++) {
        const char *why = line_problem(d.lines[i], strlen(d.lines[i]));
        CHECK_MSG(!why, "%s: diagnostic %s: %.200s", label, why, d.lines[i]);
        CHECK_MSG(strncmp(d.lines[i], url, strlen(url)) == 0, "%s: does not name the URL: %.200s",
                  label, d.lines[i]);
        CHECK_MSG(strstr(d.lines[i], expect), "%s: expected \"%s\", got: %.300s", label, expect,
                  d.lines[i]);
    }
    struct stat st;
    CHECK_MSG(stat(cache, &st) != 0, "%s: the cache directory was created", label);
    mtok_diags_free(&d);
}

static void http_responses(void)
{
    struct http_ctx ctx = {0};
    struct mtok_diags d = {0};
    CHECK(mtok_catalog_open(&ctx.cat, NULL, &d) == MTOK_OK);
    static const char html[] = "<!DOCTYPE html><html><body><h1>Sign in</h1></body></html>\n";
    const char *ok_head = "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n";
    hostile_response("HTML served for a config.json", ok_head, html, strlen(html), http_model, &ctx,
                     "JSON");
    hostile_response("HTML served for a price book", ok_head, html, strlen(html), http_prices, &ctx,
                     "JSON");
    /* A body past the 16 MiB cap that did not come through a transfer (which stops at the cap). */
    size_t big = (size_t)MTOK_FETCH_MAX_BYTES + 1;
    char *huge = mtok_xmalloc(big);
    memset(huge, ' ', big);
    huge[0] = '{', huge[big - 1] = '}';
    hostile_response("a body one byte past the cap", "HTTP/1.1 200 OK\r\n", huge, big, http_model,
                     &ctx, "larger than the 16777216-byte limit");
    free(huge);
    hostile_response("a 404 page with an escape sequence in its reason",
                     "HTTP/1.1 404 Not \x1b[2J\x1b]0;pwned\x07Found\r\n", html, strlen(html),
                     http_model, &ctx, "HTTP 404");
    hostile_response("a 304 with nothing cached", "HTTP/1.1 304 Not Modified\r\n", NULL, 0,
                     http_model, &ctx, "HTTP 304");
    mtok_model_destroy(ctx.m);
    mtok_api_prices_free(ctx.p, ctx.n);
    mtok_catalog_destroy(ctx.cat);
    mtok_diags_free(&d);
}

int main(void)
{
    if (!mkdtemp(tmp)) {
        perror("mkdtemp");
        return 1;
    }
    const char *bd = getenv("MTOK_BINARY_DIR");
    snprintf(bin, sizeof bin, "%s/mtok", bd ? bd : ".");
    if (access(bin, X_OK) != 0) {
        fprintf(stderr, "test_hostile: no mtok binary at %s\n", bin);
        return 1;
    }
    qwen = embedded("data/models/Qwen--Qwen3-0.6B_config.json");
    h100 = embedded("data/hardware/h100-sxm.json");
    make_db();

    memory_check();
    numbers_and_types();
    structure();
    files_of_the_wrong_kind();
    data_dirs();
    metacharacters_are_data();
    database_arguments();
    http_responses();

    printf("hostile inputs tried: %d\n", n_cases);
    char cmd[600];
    snprintf(cmd, sizeof cmd, "chmod -R u+rwx '%s' 2>/dev/null; rm -rf '%s'", tmp, tmp);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", tmp);
    free(db_bytes);
    return test_status("test_hostile");
}
