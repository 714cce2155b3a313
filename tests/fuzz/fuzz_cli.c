/* Fuzz target: the whole CLI in-process, mtok_cli_main with an argv built from the input (one
 * argument per line, at most 24). It runs in a scratch directory holding fixtures a user might
 * point mtok at: a config (m.json), a hardware file (h.json), a broken file (bad.json), a catalog
 * directory (d), databases (a.db with runs, e.db empty), a FIFO (p.json), /dev/zero (z.json), a
 * symlink loop (loop.json) and an empty directory (dir.json).
 *
 * Containment: arguments holding '/' or starting with ".." are rejected, so every path is inside
 * the scratch directory; MTOK_DB and MTOK_DATA_DIR are unset. Commands that would reach the
 * network (fetch: curl reads "example.com" as a URL), build commits (track) or run for minutes
 * (bench, ceilings, sweep) are not run: `denied` below. Part B lifts sweep and bench with small
 * suites and --reps 1 once they exist, and fetch only against a local mock.
 *
 * Oracles: exit status 0 or 2; status 2 prints at least one line on stderr; stdout and stderr are
 * printable, valid UTF-8 lines of bounded length; a failing command leaves the directory as it was
 * (no file created, no fixture changed). Fixtures are restored after every run. */
#include "fuzz.h" /* first: it sets _POSIX_C_SOURCE */
#include <sys/types.h>

#include "cli/cli.h"
#include "store/store.h"

#define MAX_ARGS 24

struct fixture {
    const char *name;
    char *data;
    size_t len;
};
static struct fixture files[8];
static size_t n_files;
static char dir[512];

static void add_file(const char *name, const char *data, size_t len)
{
    files[n_files].name = name;
    files[n_files].data = mtok_xmalloc(len + 1);
    memcpy(files[n_files].data, data, len);
    files[n_files].len = len;
    n_files++;
    fuzz_write(name, data, len);
}

static void add_embedded(const char *name, const char *path)
{
    const struct mtok_blob *b = mtok_embedded_find(path);
    if (!b)
        abort();
    add_file(name, (const char *)b->data, b->size);
}

static const char *const specials[] = {"d", "p.json", "z.json", "loop.json", "dir.json"};

static bool is_fixture(const char *name)
{
    for (size_t i = 0; i < n_files; i++)
        if (strcmp(files[i].name, name) == 0)
            return true;
    for (size_t i = 0; i < sizeof specials / sizeof *specials; i++)
        if (strcmp(specials[i], name) == 0)
            return true;
    return false;
}

/* A fixture database with two complete runs, as bytes. */
static void make_db(void)
{
    struct mtok_error err = {0};
    struct mtok_store *st = NULL;
    if (mtok_store_open(&st, "seed.db", &err) != MTOK_OK)
        abort();
    for (int r = 0; r < 2; r++) {
        struct mtok_machine_row m = {"fp-fuzz", "fuzz", "cpu", "avx2", "Linux", 2, 1e9};
        struct mtok_build_row b = {"abc", false, "cc", "-O2", "ref", "0"};
        struct mtok_run_info info = {"bench", "fuzz", "args", &m, &b};
        struct mtok_run *run = mtok_run_create(&info);
        struct mtok_result_row row = {.name = "k", .kernel = "gemm", .threads = 1, .median_ns = 1};
        size_t i = mtok_run_add_result(run, &row);
        mtok_run_add_sample(run, i, 1.5);
        if (mtok_store_run_begin(st, run) != MTOK_OK || mtok_store_run_commit(st, run) != MTOK_OK)
            abort();
        mtok_run_destroy(run);
    }
    mtok_store_close(st); /* the last close checkpoints the WAL into the file */
    char *data;
    size_t len;
    if (mtok_file_read("seed.db", 1 << 24, &data, &len, &err) != MTOK_OK)
        abort();
    unlink("seed.db");
    add_file("a.db", data, len);
    free(data);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    unsetenv("MTOK_DB");
    unsetenv("MTOK_DATA_DIR");
    snprintf(dir, sizeof dir, "%s", fuzz_path("cwd"));
    if (mkdir(dir, 0755) != 0 || chdir(dir) != 0)
        abort();
    add_embedded("m.json", "data/models/Qwen--Qwen3-0.6B_config.json");
    add_embedded("h.json", "data/hardware/h100-sxm.json");
    add_file("bad.json", "{\"model_type\": \"llama\", \"hidden_size\": NaN}", 43);
    add_file("e.db", "", 0);
    make_db();
    /* d: a catalog directory like data/ */
    mkdir("d", 0755);
    for (size_t i = 0; i < mtok_embedded_count; i++) {
        const struct mtok_blob *b = &mtok_embedded_files[i];
        const char *slash = strncmp(b->path, "data/", 5) == 0 ? strchr(b->path + 5, '/') : NULL;
        if (strncmp(b->path, "data/", 5) == 0) {
            char p[512];
            if (slash) { /* each data/ folder (one level deep) */
                snprintf(p, sizeof p, "d/%.*s", (int)(slash - (b->path + 5)), b->path + 5);
                mkdir(p, 0755);
            }
            snprintf(p, sizeof p, "d/%s", b->path + 5);
            fuzz_write(p, b->data, b->size);
        }
    }
    if (mkfifo("p.json", 0644) != 0 || symlink("/dev/zero", "z.json") != 0 ||
        symlink("loop.json", "loop.json") != 0 || mkdir("dir.json", 0755) != 0)
        abort();
    return 0;
}

/* Remove whatever the run created, restore the fixtures. Returns the number of new entries. */
static int restore(void)
{
    int created = 0;
    DIR *dp = opendir(".");
    struct dirent *e;
    while ((e = readdir(dp))) {
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0 || is_fixture(e->d_name))
            continue;
        created++;
        fuzz_rm_tree(e->d_name);
    }
    closedir(dp);
    return created;
}

static int changed_fixtures(void)
{
    int changed = 0;
    for (size_t i = 0; i < n_files; i++) {
        char *data = NULL;
        size_t len = 0;
        if (mtok_file_read(files[i].name, 1 << 24, &data, &len, NULL) != MTOK_OK ||
            len != files[i].len || memcmp(data, files[i].data, len) != 0) {
            changed++;
            fuzz_write(files[i].name, files[i].data, files[i].len);
        }
        free(data);
    }
    return changed;
}

static void check_stream(const char *what, const char *s, size_t n)
{
    const char *p = s, *end = s + n;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t len = nl ? (size_t)(nl - p) : (size_t)(end - p);
        const char *why = fuzz_line_problem(p, len, 4 * MTOK_DIAG_LINE_MAX);
        FUZZ_ASSERT(!why, "%s line %s: %.200s", what, why, p);
        p += len + 1;
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *argv[MAX_ARGS + 2];
    int argc = 0;
    argv[argc++] = (char *)"mtok";
    char *buf = mtok_xmalloc(size + 1);
    memcpy(buf, data, size);
    buf[size] = '\0';
    if (memchr(buf, '\0', size)) { /* an argument cannot hold a NUL */
        free(buf);
        return 0;
    }
    int dirs = 0;
    for (char *p = buf, *nl; p && argc <= MAX_ARGS; p = nl ? nl + 1 : NULL) {
        nl = strchr(p, '\n');
        if (nl)
            *nl = '\0';
        dirs += strcmp(p, "d") == 0;
        /* the catalog folder at most once: each `check d` loads every suite (~25 ms under ASan),
         * and the corpus had drifted to inputs naming it 10-20 times (30 executions/s) */
        if (strchr(p, '/') || strncmp(p, "..", 2) == 0 || dirs > 1) {
            free(buf);
            return 0;
        }
        argv[argc++] = p;
    }
    argv[argc] = NULL;
    static const char *const denied[] = {"fetch", "track", "bench", "ceilings", "sweep"};
    for (size_t i = 0; argc > 1 && i < sizeof denied / sizeof *denied; i++)
        if (strcmp(argv[1], denied[i]) == 0) {
            free(buf);
            return 0;
        }

    char *out_s = NULL, *err_s = NULL;
    size_t out_n = 0, err_n = 0;
    FILE *out = open_memstream(&out_s, &out_n), *err = open_memstream(&err_s, &err_n);
    int rc = mtok_cli_main(argc, argv, out, err);
    fclose(out);
    fclose(err);

    FUZZ_ASSERT(rc == 0 || rc == 2, "exit status %d", rc);
    if (rc == 2)
        FUZZ_ASSERT(err_n > 0 && err_s[err_n - 1] == '\n', "exit 2 without an error line");
    check_stream("stderr", err_s, err_n);
    check_stream("stdout", out_s, out_n);
    int created = restore();
    int changed = changed_fixtures();
    if (rc == 2)
        FUZZ_ASSERT(created == 0 && changed == 0,
                    "a failing command wrote: %d files created, %d fixtures changed (%s)", created,
                    changed, argc > 1 ? argv[1] : "");
    free(out_s);
    free(err_s);
    free(buf);
    return 0;
}
