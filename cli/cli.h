/* cli: the `mtok` command. Parses arguments, calls the library, prints. No logic a test cannot reach:
 * everything runs through mtok_cli_main, which tests and fuzzers call in-process. */
#ifndef MTOK_CLI_H
#define MTOK_CLI_H

#include <stdbool.h>
#include <stdio.h>

#include "catalog/catalog.h"

/* Exit codes. */
enum { CLI_OK = 0, CLI_REGRESSION = 1, CLI_ERROR = 2 };

/* Run `mtok argv[1..]`, writing results to out and diagnostics to err. Returns the exit code. */
int mtok_cli_main(int argc, char **argv, FILE *out, FILE *err);

/* ---- shared by the subcommands (cli/ only) ---- */

struct cli {
    FILE *out, *err;
    const char *cmd;      /* "models", "db merge", ... for messages */
    const char *data_dir; /* --data / MTOK_DATA_DIR, NULL = embedded */
    const char *db_path;  /* --db / MTOK_DB, NULL = ./mtok.db */
    int json;             /* --json */
    struct mtok_catalog *cat;
    char fingerprint[17]; /* this machine's (cli_fingerprint), "" until detected */
};

/* The database, when it already exists (never created here), and this machine's fingerprint
 * (detected once per command): for reading what was measured on this machine. NULL without a
 * database. */
struct mtok_store *cli_existing_db(struct cli *c, const char **fingerprint);
/* This machine's fingerprint, detected on first use in a command. */
const char *cli_fingerprint(struct cli *c);

/* The database of a command that only reads it (compare, history): opened, or created when it did
 * not exist (an empty history is a valid one), in which case cli_read_db_close removes it again, so
 * that such a command, failing or not, leaves no file behind. NULL after printing the error. */
struct mtok_store *cli_read_db_open(struct cli *c, bool *created);
void cli_read_db_close(struct cli *c, struct mtok_store *st, bool created);

enum cli_opt_type { OPT_FLAG, OPT_STR, OPT_LONG, OPT_DOUBLE };

struct cli_opt {
    const char *name; /* without the leading "--" */
    enum cli_opt_type type;
    void *dst;        /* int* (flag), const char** (str), long* (long), double* (double) */
    long min, max;    /* OPT_LONG bounds */
    int seen;
};

/* Parse argv[0..argc) against opts (plus the common --json, --db, --data). Positional arguments are
 * returned in pos (at most max_pos; more is an error). Prints one error line and returns -1 on a
 * bad argument. */
int cli_parse(struct cli *c, int argc, char **argv, struct cli_opt *opts, size_t n_opts,
              char **pos, int max_pos);

/* Print `mtok CMD: message` to err and return CLI_ERROR. */
int cli_fail(struct cli *c, const char *fmt, ...) MTOK_PRINTF(2, 3);
/* Print a printf-formatted line, made safe for a terminal (mtok_buf_append_line), plus '\n'. For
 * every line that quotes an argument or a file name. */
void cli_printf_line(FILE *f, const char *fmt, ...) MTOK_PRINTF(2, 3);
/* Print each diagnostic line and return CLI_ERROR. */
int cli_fail_diags(struct cli *c, struct mtok_diags *d);
/* The catalog, opened on first use; NULL after printing its diagnostics. */
struct mtok_catalog *cli_catalog(struct cli *c);
/* Print a cJSON value (takes ownership) followed by a newline. */
struct cJSON;
void cli_print_json(struct cli *c, struct cJSON *v);

/* A plain-text table: add a header, then rows; columns are sized to fit. */
struct cli_table;
struct cli_table *cli_table_create(int ncols, const char *const *header);
void cli_table_row(struct cli_table *t, ...); /* ncols const char* cells */
void cli_table_print(struct cli_table *t, FILE *out);
void cli_table_destroy(struct cli_table *t);

/* Format a number for tables: `digits` decimals (%.Nf), or -N for N significant digits (%.Ng);
 * "-" for 0 or NAN (not given). */
const char *cli_num(char *buf, size_t n, double v, int digits);

/* Subcommands. */
int cli_models(struct cli *c, int argc, char **argv);
int cli_hw(struct cli *c, int argc, char **argv);
int cli_prices(struct cli *c, int argc, char **argv);
int cli_check(struct cli *c, int argc, char **argv);
int cli_db(struct cli *c, int argc, char **argv);
int cli_fetch(struct cli *c, int argc, char **argv);
int cli_sim(struct cli *c, int argc, char **argv);    /* cmd_sim.c */
int cli_sweep(struct cli *c, int argc, char **argv);  /* cmd_sim.c */
int cli_claims(struct cli *c, int argc, char **argv); /* cmd_claims.c */
int cli_cost(struct cli *c, int argc, char **argv);   /* cmd_cost.c */
int cli_train(struct cli *c, int argc, char **argv);  /* cmd_cost.c */
int cli_report(struct cli *c, int argc, char **argv); /* cmd_report.c */
int cli_ceilings(struct cli *c, int argc, char **argv);
int cli_bench(struct cli *c, int argc, char **argv);
int cli_compare(struct cli *c, int argc, char **argv);
int cli_history(struct cli *c, int argc, char **argv);
int cli_track(struct cli *c, int argc, char **argv);

#endif
