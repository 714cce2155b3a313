/* Fuzz target: the suite files, checked against the embedded catalog as `mtok sweep --suite FILE`,
 * `mtok bench --suite FILE`, `mtok report --suite FILE` and `mtok plan --workload FILE` check them.
 *
 * Input: the first byte picks the parser and the rest is the document:
 *   'S' mtok_suite_parse (a sweep suite)      'B' mtok_bench_suite_parse (a kernel suite)
 *   'R' mtok_report_suite_parse (a report)    'W' mtok_workload_parse (a workload)
 * Any other first byte: the whole input is the document and every parser gets it (so the files in
 * data/suites, data/reports and data/workloads are seeds as they are).
 *
 * Oracles: diagnostics (fuzz.h: at least one printable `NAME: ` line on failure, none on success);
 * a parser returns an object exactly when it succeeds; an accepted document is self-consistent: a
 * sweep suite or report expands to at least one point or cell, a kernel suite's cases have a
 * kernel, a dtype, a shape, at least one thread, unique names and finite non-negative costs, and a
 * workload passes mtok_workload_check (the same range checks as the command-line flags) with its
 * model in the catalog and printable strings. */
#include "fuzz.h" /* first: it sets _POSIX_C_SOURCE */
#include <math.h>

#include "bench/bench.h"
#include "catalog/catalog.h"
#include "pricing/pricing.h"
#include "reports/reports.h"
#include "sim/sim.h"

static struct mtok_catalog *cat;
static struct mtok_sim_defaults *sim;
static struct mtok_machine machine;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    struct mtok_diags d = {0};
    if (mtok_catalog_open(&cat, NULL, &d) != MTOK_OK ||
        mtok_sim_defaults_load(&sim, NULL, &d) != MTOK_OK) {
        fprintf(stderr, "fuzz_suite: the embedded catalog does not load\n");
        abort();
    }
    mtok_diags_free(&d);
    mtok_machine_detect(&machine);
    return 0;
}

static void sweep_suite(const char *doc, size_t len)
{
    static const char name[] = "sweep.json";
    struct mtok_diags d = {0};
    struct mtok_suite *s = NULL;
    enum mtok_status st = mtok_suite_parse(&s, name, doc, len, cat, &d);
    fuzz_check_diags(&d, 0, st == MTOK_OK, name);
    FUZZ_ASSERT((st == MTOK_OK) == (s != NULL), "status %d, suite %p", st, (void *)s);
    if (s) {
        FUZZ_ASSERT(mtok_suite_points(s) > 0, "an accepted sweep suite has no points");
        fuzz_check_text("suite name", mtok_suite_name(s));
    }
    mtok_suite_destroy(s);
    mtok_diags_free(&d);
}

static void bench_suite(const char *doc, size_t len)
{
    static const char name[] = "bench.json";
    struct mtok_diags d = {0};
    struct mtok_bench_suite *s = NULL;
    struct mtok_bench_load_opts o = {.cat = cat, .sim = sim};
    enum mtok_status st = mtok_bench_suite_parse(&s, name, doc, len, &machine, &o, &d);
    fuzz_check_diags(&d, 0, st == MTOK_OK, name);
    FUZZ_ASSERT((st == MTOK_OK) == (s != NULL), "status %d, suite %p", st, (void *)s);
    if (s) {
        size_t n = mtok_bench_suite_count(s);
        FUZZ_ASSERT(n > 0, "an accepted kernel suite has no cases");
        fuzz_check_text("suite name", mtok_bench_suite_name(s));
        char (*names)[256] = mtok_xcalloc(n, sizeof *names);
        for (size_t i = 0; i < n; i++) {
            const struct mtok_bench_case *c = mtok_bench_suite_at(s, i);
            FUZZ_ASSERT(c->kernel && *c->kernel && c->dtype && c->shape && c->threads >= 1,
                        "case %zu: kernel, dtype, shape or threads missing", i);
            FUZZ_ASSERT(isfinite(c->op.flops) && c->op.flops >= 0, "case %zu: flops %g", i,
                        c->op.flops);
            mtok_bench_case_name(c, names[i], sizeof names[i]);
            fuzz_check_text("case name", names[i]);
            for (size_t k = 0; k < i; k++)
                FUZZ_ASSERT(strcmp(names[k], names[i]) != 0, "two cases named %s", names[i]);
        }
        free(names);
    }
    mtok_bench_suite_destroy(s);
    mtok_diags_free(&d);
}

static void report_suite(const char *doc, size_t len)
{
    static const char name[] = "report.json";
    struct mtok_diags d = {0};
    struct mtok_report_suite *s = NULL;
    enum mtok_status st = mtok_report_suite_parse(&s, name, doc, len, cat, &d);
    fuzz_check_diags(&d, 0, st == MTOK_OK, name);
    FUZZ_ASSERT((st == MTOK_OK) == (s != NULL), "status %d, report %p", st, (void *)s);
    if (s)
        FUZZ_ASSERT(mtok_report_suite_cells(s) > 0, "an accepted report has no cells");
    mtok_report_suite_destroy(s);
    mtok_diags_free(&d);
}

static void workload(const char *doc, size_t len)
{
    static const char name[] = "workload.json";
    struct mtok_diags d = {0};
    struct mtok_workload_spec w;
    mtok_workload_spec_init(&w);
    enum mtok_status st = mtok_workload_parse(&w, name, doc, len, cat, &d);
    fuzz_check_diags(&d, 0, st == MTOK_OK, name);
    if (st == MTOK_OK) {
        struct mtok_error err = {0};
        FUZZ_ASSERT(mtok_workload_check(&w, &err) == MTOK_OK,
                    "an accepted workload fails the flags' checks: %s", err.msg);
        FUZZ_ASSERT(w.model && mtok_catalog_model(cat, w.model), "model %s not in the catalog",
                    w.model ? w.model : "(none)");
        fuzz_check_text("id", w.id), fuzz_check_text("description", w.description);
        fuzz_check_text("note", w.note), fuzz_check_text("source", w.source);
    } else {
        FUZZ_ASSERT(!w.id && !w.model && !w.description, "a rejected workload kept its strings");
    }
    mtok_workload_spec_free(&w);
    mtok_diags_free(&d);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *doc = (const char *)data + 1;
    size_t len = size ? size - 1 : 0;
    switch (size ? data[0] : 0) {
    case 'S': sweep_suite(doc, len); break;
    case 'B': bench_suite(doc, len); break;
    case 'R': report_suite(doc, len); break;
    case 'W': workload(doc, len); break;
    default:
        doc = (const char *)data, len = size;
        sweep_suite(doc, len);
        bench_suite(doc, len);
        report_suite(doc, len);
        workload(doc, len);
    }
    return 0;
}
