/* Shared by the fuzz targets: a scratch directory, whole-file writes, and the oracles every target
 * applies beyond "does not crash". A failed oracle aborts, which libFuzzer reports as a crash and
 * the replay driver (replay.c) as a failed test.
 *
 * Each target defines LLVMFuzzerTestOneInput and may define LLVMFuzzerInitialize. Built with
 * -DMTOK_FUZZ=ON (clang), a target links libFuzzer; otherwise it links replay.c, which runs the
 * target once over every file it is given (seeds and kept crash inputs), as a CTest. */
#ifndef MTOK_FUZZ_H
#define MTOK_FUZZ_H

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

#define FUZZ_ASSERT(cond, ...)                                                                     \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: oracle failed: %s: ", __FILE__, __LINE__, #cond);             \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static inline void fuzz_rm_tree(const char *path);
static char fuzz_dir[256];
static void fuzz_cleanup(void) { fuzz_rm_tree(fuzz_dir); }

/* A private scratch directory (on tmpfs when there is one: SQLite and file writes are then cheap),
 * created once per process and removed when it exits normally (a crash leaves it for a look). */
static inline const char *fuzz_tmpdir(void)
{
    char *dir = fuzz_dir;
    if (dir[0])
        return dir;
    const char *base = getenv("MTOK_FUZZ_TMP");
    if (!base || !*base) {
        struct stat st;
        base = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) && access("/dev/shm", W_OK) == 0
                   ? "/dev/shm"
                   : "/tmp";
    }
    snprintf(dir, sizeof fuzz_dir, "%s/mtok-fuzz-XXXXXX", base);
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        abort();
    }
    atexit(fuzz_cleanup);
    return dir;
}

/* tmpdir/name, in one of a few rotating static buffers. */
static inline const char *fuzz_path(const char *name)
{
    static char buf[8][512];
    static int slot;
    char *p = buf[slot++ % 8];
    snprintf(p, 512, "%s/%s", fuzz_tmpdir(), name);
    return p;
}

static inline void fuzz_write(const char *path, const void *data, size_t len)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        fprintf(stderr, "fuzz: cannot write %s: %s\n", path, strerror(errno));
        abort();
    }
    const char *p = data;
    while (len) {
        ssize_t w = write(fd, p, len);
        if (w <= 0) {
            fprintf(stderr, "fuzz: write %s failed\n", path);
            abort();
        }
        p += w, len -= (size_t)w;
    }
    close(fd);
}

/* rm -rf without a shell. */
static inline void fuzz_rm_tree(const char *path)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return;
    if (S_ISDIR(st.st_mode)) {
        DIR *dp = opendir(path);
        if (dp) {
            struct dirent *e;
            while ((e = readdir(dp))) {
                if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                    continue;
                struct mtok_buf p = {0};
                mtok_buf_printf(&p, "%s/%s", path, e->d_name);
                fuzz_rm_tree(p.data);
                mtok_buf_free(&p);
            }
            closedir(dp);
        }
        rmdir(path);
    } else {
        unlink(path);
    }
}

/* One line of text a user may see on a terminal: valid UTF-8, no control characters but tab (C0,
 * DEL or C1: an escape sequence in a config's key must not reach the terminal), at most max
 * bytes. */
static inline const char *fuzz_line_problem(const char *s, size_t n, size_t max)
{
    if (n > max)
        return "longer than the line limit";
    if (!mtok_utf8_valid(s, n))
        return "not valid UTF-8";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && c != '\t') || c == 0x7f)
            return "contains a C0 control character";
        if (c == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] >= 0x80 &&
            (unsigned char)s[i + 1] <= 0x9f)
            return "contains a C1 control character";
    }
    return NULL;
}

/* An accepted catalog string (NULL = absent) is printable: it ends up in tables on a terminal. */
static inline void fuzz_check_text(const char *what, const char *s)
{
    const char *why = s ? fuzz_line_problem(s, strlen(s), 1 << 20) : NULL;
    FUZZ_ASSERT(!why && (!s || !strchr(s, '\t')), "accepted %s %s", what, why ? why : "has a tab");
}

/* Oracles for a loader's diagnostics: a failure says why (at least one line), success says nothing,
 * and every line starts with `prefix` (the file it is about), is printable and bounded. */
static inline void fuzz_check_diags_prefix(const struct mtok_diags *d, size_t before, bool ok,
                                           const char *prefix)
{
    FUZZ_ASSERT(ok ? d->n == before : d->n > before, "ok=%d but %zu diagnostics", ok,
                d->n - before);
    for (size_t i = before; i < d->n; i++) {
        const char *line = d->lines[i];
        const char *why = fuzz_line_problem(line, strlen(line), MTOK_DIAG_LINE_MAX);
        FUZZ_ASSERT(!why, "diagnostic %s: %.300s", why, line);
        FUZZ_ASSERT(strncmp(line, prefix, strlen(prefix)) == 0,
                    "diagnostic does not start with \"%s\": %.300s", prefix, line);
    }
}

/* Same, for diagnostics about one file: every line is `NAME: FIELD: what is wrong`. */
static inline void fuzz_check_diags(const struct mtok_diags *d, size_t before, bool ok,
                                    const char *name)
{
    char prefix[512];
    snprintf(prefix, sizeof prefix, "%s: ", name);
    fuzz_check_diags_prefix(d, before, ok, prefix);
}

#endif
