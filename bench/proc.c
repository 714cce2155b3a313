/* Child processes without a shell: argv arrays only, so no argument is ever re-parsed. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench/internal.h"

extern char **environ;

#define TAIL_MAX (64u << 10)

/* argv[0] resolved against PATH in the parent (after fork only async-signal-safe calls). */
static char *resolve(const char *prog)
{
    if (strchr(prog, '/'))
        return mtok_xstrdup(prog);
    const char *path = getenv("PATH");
    if (!path || !*path)
        path = "/usr/local/bin:/usr/bin:/bin";
    struct mtok_buf b = {0};
    for (const char *p = path; *p;) {
        const char *end = strchr(p, ':');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        b.len = 0;
        if (b.data)
            b.data[0] = '\0';
        mtok_buf_printf(&b, "%.*s/%s", (int)n, n ? p : ".", prog);
        if (access(b.data, X_OK) == 0)
            return mtok_buf_steal(&b);
        p = end ? end + 1 : p + n;
    }
    mtok_buf_free(&b);
    return NULL;
}

/* environ with the NAME=value entries of env replacing or adding to it. */
static char **make_env(const char *const *env)
{
    size_t n = 0, extra = 0;
    while (environ[n])
        n++;
    while (env && env[extra])
        extra++;
    char **out = mtok_xcalloc(n + extra + 1, sizeof *out);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        bool replaced = false;
        for (size_t j = 0; j < extra && !replaced; j++) {
            const char *eq = strchr(env[j], '=');
            size_t len = eq ? (size_t)(eq - env[j]) : strlen(env[j]);
            replaced = strncmp(environ[i], env[j], len) == 0 && environ[i][len] == '=';
        }
        if (!replaced)
            out[k++] = environ[i];
    }
    for (size_t j = 0; j < extra; j++)
        out[k++] = (char *)(uintptr_t)env[j];
    out[k] = NULL;
    return out;
}

static int spawn(const char *const *argv, const char *cwd, const char *const *env, char **output,
                 bool with_stderr)
{
    if (output)
        *output = NULL;
    char *path = resolve(argv[0]);
    if (!path) {
        if (output) {
            struct mtok_buf b = {0};
            mtok_buf_printf(&b, "%s: not found in PATH", argv[0]);
            *output = mtok_buf_steal(&b);
        }
        return -1;
    }
    char **envp = make_env(env);
    int fds[2];
    if (pipe(fds) != 0) {
        free(path), free(envp);
        return -1;
    }
    int devnull = open("/dev/null", O_RDWR);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(devnull, 0);
        dup2(fds[1], 1);
        dup2(with_stderr ? fds[1] : devnull, 2);
        close(fds[0]), close(fds[1]), close(devnull);
        if (cwd && chdir(cwd) != 0)
            _exit(126);
        execve(path, (char *const *)(uintptr_t)argv, envp);
        _exit(127);
    }
    close(fds[1]);
    close(devnull);
    free(path), free(envp);
    if (pid < 0) {
        close(fds[0]);
        return -1;
    }
    /* Keep the last TAIL_MAX bytes: a failing build's last lines are what explain it. */
    char *buf = mtok_xmalloc(TAIL_MAX + 1);
    size_t len = 0;
    char chunk[8192];
    for (;;) {
        ssize_t got = read(fds[0], chunk, sizeof chunk);
        if (got < 0 && errno == EINTR)
            continue;
        if (got <= 0)
            break;
        size_t g = (size_t)got;
        if (len + g > TAIL_MAX) {
            size_t drop = len + g - TAIL_MAX;
            memmove(buf, buf + drop, len - drop);
            len -= drop;
        }
        memcpy(buf + len, chunk, g); /* g <= sizeof chunk < TAIL_MAX */
        len += g;
    }
    close(fds[0]);
    buf[len] = '\0';
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (output)
        *output = buf;
    else
        free(buf);
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
}

int bench_spawn(const char *const *argv, const char *cwd, const char *const *env, char **output)
{
    return spawn(argv, cwd, env, output, true);
}

int bench_git(const char *dir, char **out, const char *arg0, ...)
{
    const char *argv[32] = {"git", "-C", dir ? dir : ".", arg0};
    int n = 4;
    va_list ap;
    va_start(ap, arg0);
    const char *a;
    while (n < 31 && (a = va_arg(ap, const char *)) != NULL)
        argv[n++] = a;
    va_end(ap);
    argv[n] = NULL;
    char *o = NULL;
    int rc = spawn(argv, NULL, NULL, &o, false);
    if (o) {
        size_t len = strlen(o);
        while (len && (o[len - 1] == '\n' || o[len - 1] == ' '))
            o[--len] = '\0';
    }
    if (out)
        *out = o;
    else
        free(o);
    return rc;
}

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    remove(path);
    return 0;
}

void bench_rmtree(const char *path)
{
    nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}
