/* Running gnuplot: fixed argv, no shell, in the output directory, with a timeout. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "reports/reports.h"

/* The last non-empty line of the log, for the error message. */
static void last_line(const char *path, char *buf, size_t n)
{
    buf[0] = '\0';
    char *text = NULL;
    size_t len = 0;
    if (mtok_file_read(path, 1u << 20, &text, &len, NULL) != MTOK_OK)
        return;
    while (len && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' '))
        text[--len] = '\0';
    char *nl = strrchr(text, '\n');
    mtok_strlcpy(buf, nl ? nl + 1 : text, n);
    free(text);
}

enum mtok_status mtok_gnuplot_run(const char *program, const char *dir, const char *script,
                                  double timeout_s, struct mtok_error *err)
{
    if (!program || !*program)
        program = "gnuplot";
    if (!(timeout_s > 0))
        timeout_s = 60;
    struct mtok_buf log = {0};
    mtok_buf_printf(&log, "%s/%s.log", dir, script);
    /* Prepare everything the child needs before fork: it only calls async-signal-safe functions. */
    int out = open(log.data, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    int in = open("/dev/null", O_RDONLY | O_CLOEXEC);
    int pipefd[2] = {-1, -1}; /* tells the parent whether exec worked */
    if (out < 0 || in < 0 || pipe(pipefd) != 0) {
        enum mtok_status s = mtok_error_set(err, MTOK_EIO, "%s: %s", log.data, strerror(errno));
        if (out >= 0)
            close(out);
        if (in >= 0)
            close(in);
        mtok_buf_free(&log);
        return s;
    }
    fcntl(pipefd[1], F_SETFD, FD_CLOEXEC);
    char *const argv[] = {(char *)program, (char *)script, NULL};
    pid_t pid = fork();
    if (pid == 0) {
        close(pipefd[0]);
        if (chdir(dir) != 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0) {
            int e = errno;
            ssize_t w = write(pipefd[1], &e, sizeof e);
            (void)w;
            _exit(127);
        }
        setpgid(0, 0); /* a process group, so a timeout kills whatever gnuplot started too */
        execvp(program, argv);
        int e = errno;
        ssize_t w = write(pipefd[1], &e, sizeof e);
        (void)w;
        _exit(127);
    }
    close(pipefd[1]);
    close(out);
    close(in);
    enum mtok_status s = MTOK_OK;
    if (pid < 0) {
        close(pipefd[0]);
        s = mtok_error_set(err, MTOK_EIO, "cannot start %s: %s", program, strerror(errno));
        goto done;
    }
    int child_errno = 0;
    ssize_t got;
    do
        got = read(pipefd[0], &child_errno, sizeof child_errno);
    while (got < 0 && errno == EINTR);
    close(pipefd[0]);
    uint64_t deadline = mtok_now_ns() + (uint64_t)(timeout_s * 1e9);
    int status = 0;
    bool timed_out = false;
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid)
            break;
        if (r < 0 && errno != EINTR) {
            status = -1;
            break;
        }
        if (mtok_now_ns() > deadline) {
            kill(-pid, SIGKILL);
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            timed_out = true;
            break;
        }
        struct timespec ts = {0, 5 * 1000000L};
        nanosleep(&ts, NULL);
    }
    if (got == (ssize_t)sizeof child_errno) {
        s = mtok_error_set(err, child_errno == ENOENT ? MTOK_ENOTFOUND : MTOK_EIO,
                           "cannot run %s: %s", program, strerror(child_errno));
    } else if (timed_out) {
        s = mtok_error_set(err, MTOK_EIO, "%s %s: killed after %g s", program, script, timeout_s);
    } else if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        char line[512];
        last_line(log.data, line, sizeof line);
        s = mtok_error_set(err, MTOK_EIO, "%s %s failed (exit %d): %s", program, script,
                           WIFEXITED(status) ? WEXITSTATUS(status) : -1, line);
    }
done:
    mtok_buf_free(&log);
    return s;
}
