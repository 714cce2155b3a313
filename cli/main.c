#include "cli/cli.h"

int main(int argc, char **argv) { return mtok_cli_main(argc, argv, stdout, stderr); }
