#define _POSIX_C_SOURCE 200809L
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"

/* The measuring commands run the kernels with OpenMP. libgomp reads OMP_WAIT_POLICY when the
 * program loads, and its default spin-waiting lets idle workers take the cores the kernels need
 * on a shared machine (kernels/README.md). When the user has not chosen, these commands run again
 * with OMP_WAIT_POLICY=passive set (once: the new process has it). */
static void passive_openmp(int argc, char **argv)
{
    static const char *const measuring[] = {"bench", "ceilings", "report", "track", NULL};
    if (argc < 2 || getenv("OMP_WAIT_POLICY"))
        return;
    bool measure = false;
    for (const char *const *m = measuring; *m && !measure; m++)
        measure = strcmp(argv[1], *m) == 0;
    if (!measure || setenv("OMP_WAIT_POLICY", "passive", 1) != 0)
        return;
    execv("/proc/self/exe", argv); /* returns only on failure: then go on as we are */
}

int main(int argc, char **argv)
{
    passive_openmp(argc, argv);
    /* A peer that closes a TLS connection early must give a transfer error, not kill the process:
     * libcurl runs with CURLOPT_NOSIGNAL (thread-safe), so SIGPIPE is the application's to ignore. */
    signal(SIGPIPE, SIG_IGN);
    return mtok_cli_main(argc, argv, stdout, stderr);
}
