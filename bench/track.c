/* `mtok track REV-RANGE`: build and benchmark each commit in a temporary git worktree, as asv
 * does, recording into the caller's database; the worktree is removed whatever happens. */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/internal.h"

static void logf_(const struct mtok_track_config *cfg, const char *fmt, ...) MTOK_PRINTF(2, 3);
static void logf_(const struct mtok_track_config *cfg, const char *fmt, ...)
{
    if (!cfg->log)
        return;
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    cfg->log(cfg->log_ctx, line);
}

static bool cancelled(const struct mtok_track_config *cfg)
{
    return cfg->cancel && *cfg->cancel;
}

/* The last `lines` lines of a step's output, on one line. */
static void tail_of(const char *out, char *dst, size_t n, int lines)
{
    dst[0] = '\0';
    if (!out)
        return;
    size_t len = strlen(out);
    while (len && out[len - 1] == '\n')
        len--;
    size_t start = len;
    for (int k = 0; k < lines && start > 0;) {
        start--;
        if (out[start] == '\n' && ++k == lines) {
            start++;
            break;
        }
    }
    snprintf(dst, n, "%.*s", (int)(len - start), out + start);
    for (char *p = dst; *p; p++)
        if (*p == '\n' || *p == '\r')
            *p = ' ';
}

static char *absolute(const char *path)
{
    if (path[0] == '/')
        return mtok_xstrdup(path);
    char cwd[4096];
    if (!getcwd(cwd, sizeof cwd))
        return mtok_xstrdup(path);
    struct mtok_buf b = {0};
    mtok_buf_printf(&b, "%s/%s", cwd, path);
    return mtok_buf_steal(&b);
}

/* One step: run argv; on failure fill c and return false. */
static bool step(const struct mtok_track_config *cfg, struct mtok_track_commit *c,
                 const char *stage, const char *const *argv, const char *cwd,
                 const char *const *env)
{
    if (cancelled(cfg)) {
        mtok_strlcpy(c->stage, "cancelled", sizeof c->stage);
        mtok_strlcpy(c->error, "interrupted", sizeof c->error);
        return false;
    }
    logf_(cfg, "%.12s: %s", c->commit, stage);
    char *out = NULL;
    int rc = bench_spawn(argv, cwd, env, &out);
    if (rc != 0) {
        mtok_strlcpy(c->stage, cancelled(cfg) ? "cancelled" : stage, sizeof c->stage);
        char tail[400];
        tail_of(out, tail, sizeof tail, 3);
        snprintf(c->error, sizeof c->error, "%s exited with %d: %s", argv[0], rc, tail);
    }
    free(out);
    return rc == 0;
}

static void track_one(const struct mtok_track_config *cfg, const char *repo, const char *db,
                      struct mtok_track_commit *c)
{
    const char *tmpbase = getenv("TMPDIR");
    struct mtok_buf tmp = {0}, wt = {0}, bdir = {0}, bin = {0};
    mtok_buf_printf(&tmp, "%s/mtok-track-XXXXXX", tmpbase && *tmpbase ? tmpbase : "/tmp");
    if (!mkdtemp(tmp.data)) {
        mtok_strlcpy(c->stage, "worktree", sizeof c->stage);
        snprintf(c->error, sizeof c->error, "mkdtemp %s failed", tmp.data);
        mtok_buf_free(&tmp);
        return;
    }
    mtok_buf_printf(&wt, "%s/src", tmp.data);
    mtok_buf_printf(&bdir, "%s/build", wt.data);
    mtok_buf_printf(&bin, "%s/mtok", bdir.data);
    char jobs[16], defcommit[80], envcommit[80];
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    snprintf(jobs, sizeof jobs, "%d", cfg->jobs > 0 ? cfg->jobs : ncpu > 0 ? (int)ncpu : 2);
    snprintf(defcommit, sizeof defcommit, "-DMTOK_GIT_COMMIT=%s", c->commit);
    snprintf(envcommit, sizeof envcommit, "MTOK_BUILD_COMMIT=%s", c->commit);

    const char *add[] = {"git",      "-C",      repo,    "worktree", "add",
                         "--detach", "--quiet", wt.data, c->commit,  NULL};
    bool made = step(cfg, c, "worktree", add, NULL, NULL);
    bool ok = made;
    if (ok) {
        const char *configure[] = {"cmake",
                                   "-S",
                                   wt.data,
                                   "-B",
                                   bdir.data,
                                   "-DCMAKE_BUILD_TYPE=Release",
                                   "-DBUILD_TESTING=OFF",
                                   defcommit,
                                   NULL};
        ok = step(cfg, c, "configure", configure, NULL, NULL);
    }
    if (ok) {
        const char *build[] = {"cmake", "--build", bdir.data, "--target", "mtok", "-j", jobs, NULL};
        ok = step(cfg, c, "build", build, NULL, NULL);
    }
    if (ok) {
        const char *argv[64] = {bin.data, "bench", "--db", db};
        int n = 4;
        if (cfg->suite)
            argv[n++] = "--suite", argv[n++] = cfg->suite;
        for (int i = 0; cfg->bench_args && cfg->bench_args[i] && n < 63; i++)
            argv[n++] = cfg->bench_args[i];
        argv[n] = NULL;
        /* The binary records its own build info; these make sure it names this commit, clean,
         * even if a build system of that age wrote something else. */
        const char *env[] = {envcommit, "MTOK_BUILD_DIRTY=0", NULL};
        ok = step(cfg, c, "bench", argv, wt.data, env);
    }
    c->ok = ok;
    /* Clean up whatever happened above. */
    if (made) {
        const char *rm[] = {"git", "-C", repo, "worktree", "remove", "--force", wt.data, NULL};
        char *out = NULL;
        if (bench_spawn(rm, NULL, NULL, &out) != 0)
            logf_(cfg, "%.12s: git worktree remove failed; removing the folder", c->commit);
        free(out);
    }
    bench_rmtree(tmp.data);
    const char *prune[] = {"git", "-C", repo, "worktree", "prune", NULL};
    bench_spawn(prune, NULL, NULL, NULL);
    logf_(cfg, "%.12s: %s%s", c->commit, ok ? "recorded" : "FAILED at ", ok ? "" : c->stage);
    mtok_buf_free(&tmp), mtok_buf_free(&wt), mtok_buf_free(&bdir), mtok_buf_free(&bin);
}

enum mtok_status mtok_track(const struct mtok_track_config *cfg, struct mtok_track_commit **out,
                            size_t *n, struct mtok_error *err)
{
    *out = NULL, *n = 0;
    const char *repo_in = cfg->repo_dir ? cfg->repo_dir : ".";
    char *top = NULL;
    if (bench_git(repo_in, &top, "rev-parse", "--show-toplevel", NULL) != 0 || !top || !*top) {
        free(top);
        return mtok_error_set(err, MTOK_EINVAL, "%s is not inside a git repository", repo_in);
    }
    if (!cfg->range || !*cfg->range || cfg->range[0] == '-') {
        free(top);
        return mtok_error_set(err, MTOK_EINVAL, "give a revision range (A..B) or a commit");
    }
    char *list = NULL;
    int rc;
    if (strstr(cfg->range, "..")) {
        rc = bench_git(top, &list, "rev-list", "--reverse", cfg->range, NULL);
    } else {
        char rev[300];
        snprintf(rev, sizeof rev, "%s^{commit}", cfg->range);
        rc = bench_git(top, &list, "rev-parse", "--verify", "--quiet", rev, NULL);
    }
    if (rc != 0 || !list || !*list) {
        free(top), free(list);
        return mtok_error_set(err, MTOK_EINVAL, "\"%s\": %s", cfg->range,
                              rc != 0 ? "not a revision or range git knows" : "no commits in it");
    }
    size_t count = 1;
    for (const char *p = list; *p; p++)
        count += *p == '\n';
    struct mtok_track_commit *v = mtok_xcalloc(count, sizeof *v);
    size_t k = 0;
    for (char *save = NULL, *line = strtok_r(list, "\n", &save); line && k < count;
         line = strtok_r(NULL, "\n", &save), k++)
        mtok_strlcpy(v[k].commit, line, sizeof v[k].commit);
    free(list);
    char *db = absolute(cfg->db_path ? cfg->db_path : "mtok.db");
    bool all_ok = true;
    for (size_t i = 0; i < k; i++) {
        logf_(cfg, "[%zu/%zu] %.12s", i + 1, k, v[i].commit);
        if (cancelled(cfg)) {
            mtok_strlcpy(v[i].stage, "cancelled", sizeof v[i].stage);
            mtok_strlcpy(v[i].error, "interrupted", sizeof v[i].error);
            all_ok = false;
            continue;
        }
        track_one(cfg, top, db, &v[i]);
        all_ok &= v[i].ok;
    }
    free(db), free(top);
    *out = v, *n = k;
    if (!all_ok)
        mtok_error_set(err, MTOK_EIO, "some commits could not be built or benchmarked");
    return all_ok ? MTOK_OK : MTOK_EIO;
}
