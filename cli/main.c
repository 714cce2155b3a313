#define _POSIX_C_SOURCE 200809L
#include <signal.h>

#include "cli/cli.h"

int main(int argc, char **argv)
{
    /* A peer that closes a TLS connection early must give a transfer error, not kill the process:
     * libcurl runs with CURLOPT_NOSIGNAL (thread-safe), so SIGPIPE is the application's to ignore. */
    signal(SIGPIPE, SIG_IGN);
    return mtok_cli_main(argc, argv, stdout, stderr);
}
