#define _POSIX_C_SOURCE 200809L
#include "cli/cli.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench/bench.h"
#include "store/store.h"

static const char usage[] =
    "usage: mtok COMMAND [ARGS] [--json] [--db PATH] [--data DIR]\n"
    "\n"
    "What a million tokens costs on model M and hardware H, with the evidence.\n"
    "\n"
    "catalogs\n"
    "  models | hw | prices [--json]      list the embedded catalogs\n"
    "  prices --book URL|FILE             list another price book (offline: the embedded one)\n"
    "  check [PATH...]                    validate catalog files or a catalog directory\n"
    "simulate and price\n"
    "  sim --model M --hw H [...]         roofline simulation of one deployment:\n"
    "      [--gpus N --tp N --ep N --dp N --pp N --wprec P|EXPERTS/DENSE --kvprec P\n"
    "       --isl N --osl N --ctx N --batch N | --concurrency N | --tps-user X\n"
    "       --mtp N --mtp-accept A --disagg PREFILL_GPUS,DECODE_GPUS --tier T\n"
    "       --usd-per-gpu-hour X --cache-hit H --sol --ops --pareto]\n"
    "  sweep --suite NAME|FILE [-j N]     design-space sweep into the database\n"
    "  claims                             check the seed articles' claims (stated vs computed)\n"
    "  cost --workload NAME|FILE          a workload's monthly cost on every API and self-hosted\n"
    "      [--model M --requests-per-day N --input-tokens N --output-tokens N --cache-hit H\n"
    "       --peak-to-average R --tps-user X --ttft S --days-per-month D --date D\n"
    "       --tier T|tco --usd-per-gpu-hour X --vs PRODUCT --hw H,H --max-gpus N --no-record]\n"
    "  train --model M [--tokens T]       training FLOPs, device-hours and dollars\n"
    "      [--hw H --mfu U --usd-per-gpu-hour X | --tier T|tco --seq-len L --dtype bf16|fp8\n"
    "       --no-mtp]\n"
    "measure\n"
    "  ceilings [--quick]                 empirical roofline of this machine (the `host` entry)\n"
    "  bench [--suite NAME] [--filter RE] run a kernel suite (default, quick, v4-pro, v4-flash,\n"
    "      [--threads N --list --reps N    v3.2, llama-3.1-70b, host) with the simulator's\n"
    "       --quick --rotate-mib N]        predictions; records the calibration of --hw host\n"
    "  bench --accuracy [--suite NAME]    prediction vs measurement (in-sample, held out)\n"
    "  compare BASE HEAD [--threshold P]  regression verdict (exit 1 = regression)\n"
    "  track REV-RANGE [--suite NAME]     build and bench each commit in a temporary worktree\n"
    "  history [--filter RE] [--out F]    benchmarks over commits, step changes, gnuplot chart\n"
    "report\n"
    "  report [--out DIR] [--suite S]     run the report suite into the database and write the\n"
    "      [--no-run --no-charts          HTML/Markdown/CSV/JSON report with gnuplot charts\n"
    "       --no-measure                  (measures this machine first unless --no-measure)\n"
    "       --gnuplot PROG --api-date D]  (default reports/out; --no-run renders the database)\n"
    "  fetch URL [--as model|prices]      fetch, check and cache a config or price book\n"
    "database\n"
    "  db merge SRC.db... --into DST.db   merge databases without duplicates\n"
    "  db stats                           row counts per table\n"
    "\n"
    "Common options: --json (machine-readable output), --db PATH (default $MTOK_DB or ./mtok.db),\n"
    "--data DIR (catalog directory instead of the embedded one; also $MTOK_DATA_DIR).\n"
    "Exit status: 0 ok, 1 regression found (compare), 2 error.\n";

struct command {
    const char *name;
    int (*run)(struct cli *c, int argc, char **argv);
};

static const struct command commands[] = {
    {"models", cli_models},
    {"hw", cli_hw},
    {"prices", cli_prices},
    {"check", cli_check},
    {"db", cli_db},
    {"sim", cli_sim},
    {"sweep", cli_sweep},
    {"claims", cli_claims},
    {"cost", cli_cost},
    {"train", cli_train},
    {"ceilings", cli_ceilings},
    {"bench", cli_bench},
    {"compare", cli_compare},
    {"track", cli_track},
    {"history", cli_history},
    {"report", cli_report},
    {"fetch", cli_fetch},
};

/* Print one error line; arguments it quotes are made safe for a terminal first. */
static void print_line(FILE *f, const char *fmt, va_list ap)
{
    struct mtok_buf raw = {0}, line = {0};
    mtok_buf_vprintf(&raw, fmt, ap);
    mtok_buf_append_line(&line, raw.data, raw.len);
    fprintf(f, "%s\n", line.data);
    mtok_buf_free(&raw);
    mtok_buf_free(&line);
}

int cli_fail(struct cli *c, const char *fmt, ...)
{
    struct mtok_buf b = {0};
    mtok_buf_printf(&b, "mtok %s: %s", c->cmd ? c->cmd : "", fmt);
    va_list ap;
    va_start(ap, fmt);
    print_line(c->err, b.data, ap);
    va_end(ap);
    mtok_buf_free(&b);
    return CLI_ERROR;
}

void cli_printf_line(FILE *f, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    print_line(f, fmt, ap);
    va_end(ap);
}

int cli_fail_diags(struct cli *c, struct mtok_diags *d)
{
    for (size_t i = 0; i < d->n; i++)
        fprintf(c->err, "%s\n", d->lines[i]);
    if (!d->n)
        cli_fail(c, "failed");
    return CLI_ERROR;
}

static const char *db_path(const struct cli *c)
{
    const char *path = c->db_path ? c->db_path : getenv("MTOK_DB");
    return path && *path ? path : "mtok.db";
}

/* The measured `host` entry: the latest complete `mtok ceilings` run of this machine in the
 * database, when there is a database and such a run (otherwise `host` is simply absent). */
static void load_host(struct cli *c)
{
    const char *fingerprint;
    struct mtok_store *st = cli_existing_db(c, &fingerprint);
    if (!st)
        return;
    struct mtok_diags d = {0};
    mtok_host_load(c->cat, st, fingerprint, &d);
    mtok_diags_free(&d);
    mtok_store_close(st);
}

struct mtok_store *cli_existing_db(struct cli *c, const char **fingerprint)
{
    const char *path = db_path(c);
    struct stat sb;
    /* never create a database just to look for one, nor write the schema into an empty file
     * (opening does that): an empty file holds no measurements */
    if (access(path, R_OK) != 0 || stat(path, &sb) != 0 || sb.st_size == 0)
        return NULL;
    struct mtok_error err = {0};
    struct mtok_store *st = NULL;
    if (mtok_store_open(&st, path, &err) != MTOK_OK)
        return NULL;
    *fingerprint = cli_fingerprint(c);
    return st;
}

const char *cli_fingerprint(struct cli *c)
{
    if (!c->fingerprint[0]) {
        struct mtok_machine m;
        mtok_machine_detect(&m);
        mtok_strlcpy(c->fingerprint, m.fingerprint, sizeof c->fingerprint);
    }
    return c->fingerprint;
}

struct mtok_store *cli_read_db_open(struct cli *c, bool *created)
{
    const char *path = db_path(c);
    *created = access(path, F_OK) != 0;
    struct mtok_error err = {0};
    struct mtok_store *st = NULL;
    if (mtok_store_open(&st, path, &err) != MTOK_OK) {
        if (*created)
            mtok_store_remove_unused(path);
        cli_fail(c, "%s", err.msg);
        return NULL;
    }
    return st;
}

void cli_read_db_close(struct cli *c, struct mtok_store *st, bool created)
{
    mtok_store_close(st);
    if (created)
        mtok_store_remove_unused(db_path(c));
}

struct mtok_catalog *cli_catalog(struct cli *c)
{
    if (c->cat)
        return c->cat;
    struct mtok_diags d = {0};
    if (mtok_catalog_open(&c->cat, c->data_dir, &d) != MTOK_OK)
        cli_fail_diags(c, &d);
    mtok_diags_free(&d);
    if (c->cat)
        load_host(c);
    return c->cat;
}

/* cJSON copies string bytes as they are, so a path that is not UTF-8 (legal on Linux) would make
 * the output invalid JSON. Such bytes can only sit inside strings: each becomes the escape \ufffd,
 * and DEL and C1 controls become \u00XX, which keeps the output valid JSON and safe on a
 * terminal. */
static void put_json_text(FILE *f, const char *s)
{
    size_t n = strlen(s), i = 0;
    while (i < n) {
        size_t run = i;
        while (run < n && (unsigned char)s[run] < 0x7f)
            run++;
        fwrite(s + i, 1, run - i, f);
        i = run;
        if (i >= n)
            break;
        if (s[i] == 0x7f) { /* cJSON escapes the other controls, not DEL */
            fputs("\\u007f", f);
            i++;
            continue;
        }
        size_t k = 1;
        while (i + k < n && k < 4 && ((unsigned char)s[i + k] & 0xC0) == 0x80)
            k++;
        while (k > 0 && !mtok_utf8_valid(s + i, k))
            k--;
        if (k == 0) {
            fputs("\\ufffd", f);
            i++;
        } else if (k == 2 && (unsigned char)s[i] == 0xC2 && (unsigned char)s[i + 1] < 0xA0) {
            fprintf(f, "\\u%04x", (unsigned char)s[i + 1]);
            i += 2;
        } else {
            fwrite(s + i, 1, k, f);
            i += k;
        }
    }
}

void cli_print_json(struct cli *c, cJSON *v)
{
    char *s = cJSON_Print(v);
    if (s) {
        put_json_text(c->out, s);
        fputc('\n', c->out);
    }
    cJSON_free(s);
    cJSON_Delete(v);
}

static int set_opt(struct cli *c, struct cli_opt *o, const char *val)
{
    o->seen = 1;
    switch (o->type) {
    case OPT_FLAG: *(int *)o->dst = 1; return 0;
    case OPT_STR: *(const char **)o->dst = val; return 0;
    case OPT_LONG:
        if (mtok_parse_long(val, o->min, o->max, (long *)o->dst) != MTOK_OK) {
            cli_fail(c, "--%s: \"%s\" is not an integer in [%ld, %ld]", o->name, val, o->min,
                     o->max);
            return -1;
        }
        return 0;
    case OPT_DOUBLE:
        if (mtok_parse_double(val, (double *)o->dst) != MTOK_OK) {
            cli_fail(c, "--%s: \"%s\" is not a number", o->name, val);
            return -1;
        }
        return 0;
    }
    return -1;
}

int cli_parse(struct cli *c, int argc, char **argv, struct cli_opt *opts, size_t n_opts, char **pos,
              int max_pos)
{
    struct cli_opt common[] = {
        {"json", OPT_FLAG, &c->json, 0, 0, 0},
        {"db", OPT_STR, &c->db_path, 0, 0, 0},
        {"data", OPT_STR, &c->data_dir, 0, 0, 0},
    };
    int n_pos = 0;
    bool only_pos = false;
    for (int i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (only_pos || a[0] != '-' || strcmp(a, "-") == 0) {
            if (n_pos >= max_pos) {
                cli_fail(c, "unexpected argument \"%s\"", a);
                return -1;
            }
            pos[n_pos++] = argv[i];
            continue;
        }
        if (strcmp(a, "--") == 0) {
            only_pos = true;
            continue;
        }
        /* -j N is the one short option (sweep); everything else is --name [value] or --name=value
         */
        const char *name = a[1] == '-' ? a + 2 : a + 1;
        const char *eq = strchr(name, '=');
        size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
        struct cli_opt *o = NULL;
        for (size_t k = 0; k < n_opts + 3 && !o; k++) {
            struct cli_opt *cand = k < n_opts ? &opts[k] : &common[k - n_opts];
            if (strlen(cand->name) == nlen && strncmp(cand->name, name, nlen) == 0 &&
                (a[1] == '-' || nlen == 1))
                o = cand;
        }
        if (!o) {
            cli_fail(c, "%.*s: unknown option (see mtok --help)", (int)(nlen + (a[1] == '-') + 1),
                     a);
            return -1;
        }
        const char *val = NULL;
        if (o->type == OPT_FLAG) {
            if (eq) {
                cli_fail(c, "--%s takes no value", o->name);
                return -1;
            }
        } else if (eq) {
            val = eq + 1;
        } else if (i + 1 < argc) {
            val = argv[++i];
        } else {
            cli_fail(c, "--%s needs a value", o->name);
            return -1;
        }
        if (set_opt(c, o, val) != 0)
            return -1;
    }
    return n_pos;
}

const char *cli_num(char *buf, size_t n, double v, int digits)
{
    if (v == 0 || isnan(v))
        snprintf(buf, n, "-");
    else if (digits >= 0)
        snprintf(buf, n, "%.*f", digits, v);
    else
        snprintf(buf, n, "%.*g", -digits, v);
    return buf;
}

int mtok_cli_main(int argc, char **argv, FILE *out, FILE *err)
{
    struct cli c = {.out = out, .err = err, .cmd = ""};
    c.data_dir = getenv("MTOK_DATA_DIR");
    if (c.data_dir && !*c.data_dir)
        c.data_dir = NULL;
    if (argc < 2) {
        fputs(usage, err);
        return CLI_ERROR;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
        fputs(usage, out);
        return CLI_OK;
    }
    if (strcmp(name, "--version") == 0) {
        fprintf(out, "mtok %s\n", MTOK_VERSION);
        return CLI_OK;
    }
    for (size_t i = 0; i < sizeof commands / sizeof *commands; i++) {
        if (strcmp(commands[i].name, name) != 0)
            continue;
        c.cmd = name;
        for (int k = 2; k < argc; k++)
            if (strcmp(argv[k], "--help") == 0 || strcmp(argv[k], "-h") == 0) {
                fputs(usage, out);
                return CLI_OK;
            }
        int rc = commands[i].run(&c, argc - 2, argv + 2);
        mtok_catalog_destroy(c.cat);
        return rc;
    }
    cli_printf_line(err, "mtok: \"%s\" is not a command (see mtok --help)", name);
    return CLI_ERROR;
}
