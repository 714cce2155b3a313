/* mtok check [PATH...]: validate catalog files, or whole catalog directories, without using them.
 * No path checks the embedded catalogs. A file's kind is recognised by a top-level key; each kind
 * has one checker below. */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench/bench.h"
#include "claims/claims.h"
#include "cli/cli.h"
#include "pricing/pricing.h"
#include "reports/reports.h"
#include "sim/sim.h"

/* Each checker appends its problems to d and, when there are none, prints what it found. */
typedef void (*check_fn)(struct cli *c, const char *path, const char *json, size_t len,
                         struct mtok_diags *d);

static void check_suite(struct cli *c, const char *path, const char *json, size_t len,
                        struct mtok_diags *d)
{
    struct mtok_suite *s = NULL;
    if (mtok_suite_parse(&s, path, json, len, c->cat, d) == MTOK_OK)
        cli_printf_line(c->out, "%s: suite ok (%zu points)", path, mtok_suite_points(s));
    mtok_suite_destroy(s);
}

static void check_bench_suite(struct cli *c, const char *path, const char *json, size_t len,
                              struct mtok_diags *d)
{
    struct mtok_machine m;
    mtok_machine_detect(&m);
    struct mtok_sim_defaults *def = NULL;
    struct mtok_diags dd = {0};
    mtok_sim_defaults_load(&def, c->data_dir, &dd);
    mtok_diags_free(&dd);
    struct mtok_bench_load_opts lo = {.data_dir = c->data_dir, .cat = c->cat, .sim = def};
    struct mtok_bench_suite *s = NULL;
    if (mtok_bench_suite_parse(&s, path, json, len, &m, &lo, d) == MTOK_OK)
        cli_printf_line(c->out, "%s: benchmark suite ok (%zu cases)", path,
                        mtok_bench_suite_count(s));
    mtok_bench_suite_destroy(s);
    mtok_sim_defaults_destroy(def);
}

static void check_report_suite(struct cli *c, const char *path, const char *json, size_t len,
                               struct mtok_diags *d)
{
    struct mtok_report_suite *s = NULL;
    if (mtok_report_suite_parse(&s, path, json, len, c->cat, d) == MTOK_OK)
        cli_printf_line(c->out, "%s: report suite ok (%zu cells)", path,
                        mtok_report_suite_cells(s));
    mtok_report_suite_destroy(s);
}

static void check_claims(struct cli *c, const char *path, const char *json, size_t len,
                         struct mtok_diags *d)
{
    struct mtok_claims *cl = NULL;
    if (mtok_claims_parse(&cl, path, json, len, c->cat, d) == MTOK_OK)
        cli_printf_line(c->out, "%s: claims ok (%zu claims)", path, mtok_claims_count(cl));
    mtok_claims_destroy(cl);
}

static void check_workload(struct cli *c, const char *path, const char *json, size_t len,
                           struct mtok_diags *d)
{
    struct mtok_workload_spec w;
    if (mtok_workload_parse(&w, path, json, len, c->cat, d) == MTOK_OK)
        cli_printf_line(c->out, "%s: workload ok (%s, %g requests/day)", path, w.model,
                        w.requests_per_day);
    mtok_workload_spec_free(&w);
}

static void check_training(struct cli *c, const char *path, const char *json, size_t len,
                           struct mtok_diags *d)
{
    struct mtok_train_runs r = {0};
    if (mtok_train_runs_parse(&r, path, json, len, c->cat, d) == MTOK_OK)
        cli_printf_line(c->out, "%s: training runs ok (%zu runs)", path, r.n);
    mtok_train_runs_free(&r);
}

static void check_sim_defaults(struct cli *c, const char *path, const char *json, size_t len,
                               struct mtok_diags *d)
{
    struct mtok_sim_defaults *def = NULL;
    if (mtok_sim_defaults_parse(&def, path, json, len, d) == MTOK_OK)
        cli_printf_line(c->out, "%s: simulator defaults ok", path);
    mtok_sim_defaults_destroy(def);
}

static void check_tco(struct cli *c, const char *path, const char *json, size_t len,
                      struct mtok_diags *d)
{
    struct mtok_tco_defaults tco = {0};
    if (mtok_tco_defaults_parse(path, json, len, &tco, d) == MTOK_OK)
        cli_printf_line(c->out, "%s: TCO defaults ok", path);
    mtok_tco_defaults_free(&tco);
}

static void check_prices(struct cli *c, const char *path, const char *json, size_t len,
                         struct mtok_diags *d)
{
    struct mtok_api_price *p = NULL;
    size_t n = 0;
    if (mtok_prices_parse(c->cat, path, json, len, &p, &n, d) == MTOK_OK)
        cli_printf_line(c->out, "%s: price book ok (%zu prices)", path, n);
    mtok_api_prices_free(p, n);
}

static void check_hw(struct cli *c, const char *path, const char *json, size_t len,
                     struct mtok_diags *d)
{
    if (mtok_catalog_add_hw_json(c->cat, path, json, len, d) == MTOK_OK)
        cli_printf_line(c->out, "%s: hardware ok", path);
}

static void check_model(struct cli *c, const char *path, const char *json, size_t len,
                        struct mtok_diags *d)
{
    struct mtok_model *m = NULL;
    if (mtok_model_parse(path, json, len, &m, d) == MTOK_OK)
        cli_printf_line(c->out, "%s: %s model ok (%d layers)", path, m->model_type, m->n_layers);
    mtok_model_destroy(m);
}

static void check_index(struct cli *c, const char *path, const char *json, size_t len,
                        struct mtok_diags *d)
{
    (void)c, (void)json, (void)len;
    mtok_diags_add(d, path, "(file)",
                   "a models index is checked with its catalog: mtok check DIR "
                   "(the folder holding models/)");
}

/* In order: the first kind whose key the document has wins; a config.json is the fallback. */
static const struct {
    const char *key;
    check_fn check;
} kinds[] = {
    {"suite", check_suite},
    {"report", check_report_suite},
    {"bench", check_bench_suite},
    {"claims", check_claims},
    {"efficiency", check_sim_defaults},
    {"capital", check_tco},
    {"prices", check_prices},
    {"compute", check_hw},
    {"workload", check_workload},
    {"runs", check_training},
    {"models", check_index},
};

static void check_file(struct cli *c, const char *path, struct mtok_diags *d)
{
    char *json = NULL;
    size_t len = 0;
    if (mtok_file_read_diag(path, MTOK_CATALOG_MAX_FILE, &json, &len, d) != MTOK_OK)
        return;
    enum { N_KINDS = sizeof kinds / sizeof *kinds };
    const char *keys[N_KINDS + 1] = {0};
    for (size_t k = 0; k < N_KINDS; k++)
        keys[k] = kinds[k].key;
    int k = mtok_json_top_key(json, len, keys);
    (k >= 0 ? kinds[k].check : check_model)(c, path, json, len, d);
    free(json);
}

static bool exists(const char *dir, const char *rel)
{
    struct mtok_buf p = {0};
    mtok_buf_printf(&p, "%s/%s", dir, rel);
    struct stat st;
    bool ok = stat(p.data, &st) == 0;
    mtok_buf_free(&p);
    return ok;
}

/* Every data/workloads/ *.json of a catalog directory (data_dir NULL = the embedded ones). */
static void check_workloads(const char *data_dir, const struct mtok_catalog *cat,
                            struct mtok_diags *d)
{
    char **names;
    size_t n;
    if (mtok_data_json_names(data_dir, "workloads", &names, &n, NULL) != MTOK_OK)
        return; /* optional in a user's directory */
    for (size_t i = 0; i < n; i++) {
        struct mtok_buf rel = {0};
        mtok_buf_printf(&rel, "workloads/%s", names[i]);
        char *path, *json;
        size_t len;
        if (mtok_data_read(data_dir, rel.data, MTOK_CATALOG_MAX_FILE, &path, &json, &len, d) ==
            MTOK_OK) {
            struct mtok_workload_spec w;
            mtok_workload_parse(&w, path, json, len, cat, d);
            mtok_workload_spec_free(&w);
        }
        free(json);
        free(path);
        mtok_buf_free(&rel);
    }
    mtok_names_free(names, n);
}

/* A catalog directory (data_dir NULL = the embedded one): the catalogs, then the other data the
 * commands read. In a user's directory the files beyond the catalogs are optional. */
static bool check_dir(struct cli *c, const char *data_dir, struct mtok_diags *d, size_t *n_claims)
{
    size_t before = d->n;
    struct mtok_catalog *cat = NULL;
    if (mtok_catalog_open(&cat, data_dir, d) != MTOK_OK)
        return false;
    struct mtok_tco_defaults tco = {0};
    if (!data_dir || exists(data_dir, "pricing/tco.json"))
        mtok_tco_defaults_load(data_dir, &tco, d);
    mtok_tco_defaults_free(&tco);
    struct mtok_sim_defaults *def = NULL;
    if (!data_dir || exists(data_dir, "sim/defaults.json"))
        mtok_sim_defaults_load(&def, data_dir, d);
    struct mtok_train_runs runs = {0};
    if (!data_dir || exists(data_dir, "training/runs.json"))
        mtok_train_runs_load(&runs, data_dir, cat, d);
    mtok_train_runs_free(&runs);
    check_workloads(data_dir, cat, d);
    struct mtok_claims *cl = NULL;
    if (!data_dir || exists(data_dir, "claims"))
        mtok_claims_load(&cl, data_dir, cat, d);
    *n_claims = mtok_claims_count(cl);
    mtok_claims_destroy(cl);
    struct mtok_report_suite *rs = NULL;
    if (!data_dir || exists(data_dir, "reports/default.json"))
        mtok_report_suite_load(&rs, "default", data_dir, cat, d);
    mtok_report_suite_destroy(rs);
    /* every benchmark suite (data/suites/ files with a "bench" key) expands */
    char **names = NULL;
    size_t nn = mtok_bench_suite_names(data_dir, &names);
    struct mtok_machine m;
    mtok_machine_detect(&m);
    for (size_t i = 0; i < nn; i++) {
        struct mtok_bench_load_opts lo = {.data_dir = data_dir, .cat = cat, .sim = def};
        struct mtok_bench_suite *bs = NULL;
        mtok_bench_suite_load(&bs, names[i], &m, &lo, d);
        mtok_bench_suite_destroy(bs);
        free(names[i]);
    }
    free(names);
    mtok_sim_defaults_destroy(def);
    if (d->n == before && !data_dir)
        cli_printf_line(c->out,
                        "catalog ok: %zu models, %zu hardware targets, %zu prices, %zu claims",
                        mtok_catalog_model_count(cat), mtok_catalog_hw_count(cat),
                        mtok_catalog_price_count(cat), *n_claims);
    mtok_catalog_destroy(cat);
    return d->n == before;
}

int cli_check(struct cli *c, int argc, char **argv)
{
    char *pos[64];
    int n = cli_parse(c, argc, argv, NULL, 0, pos, 64);
    if (n < 0)
        return CLI_ERROR;
    struct mtok_diags d = {0};
    size_t n_claims = 0;
    if (n == 0) {
        bool ok = check_dir(c, c->data_dir, &d, &n_claims);
        int rc = ok ? CLI_OK : cli_fail_diags(c, &d);
        mtok_diags_free(&d);
        return rc;
    }
    /* Single files are checked against the catalog in use (model and hardware ids). */
    if (!cli_catalog(c))
        return CLI_ERROR;
    int bad = 0;
    for (int i = 0; i < n; i++) {
        size_t before = d.n;
        struct stat st;
        if (stat(pos[i], &st) == 0 && S_ISDIR(st.st_mode)) {
            if (check_dir(c, pos[i], &d, &n_claims))
                cli_printf_line(c->out, "%s: catalog ok", pos[i]);
        } else {
            check_file(c, pos[i], &d);
        }
        bad += d.n != before;
    }
    for (size_t i = 0; i < d.n; i++)
        fprintf(c->err, "%s\n", d.lines[i]);
    mtok_diags_free(&d);
    return bad ? CLI_ERROR : CLI_OK;
}
