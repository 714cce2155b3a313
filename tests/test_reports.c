/* reports/: escaping for HTML, Markdown, CSV and gnuplot against hostile strings; gnuplot run with
 * a fixed argv and a timeout; the store's read queries; the report end to end: every file present
 * and well-formed (JSON and CSV parsed back), the $/M table with every cell filled or marked, the
 * five charts; an empty database ("not measured yet" markers); no gnuplot; and a catalog whose
 * model and hardware names are hostile, rendered as text by HTML and gnuplot alike. */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cli.h"
#include "reports/reports.h"
#include "store/store.h"
#include "test.h"

static char tmpdir[] = "/tmp/mtok-reports-XXXXXX";
static bool have_gnuplot;

static char *esc(void (*fn)(struct mtok_buf *, const char *), const char *s)
{
    struct mtok_buf b = {0};
    fn(&b, s);
    return (char *)mtok_buf_steal(&b);
}

#define CHECK_ESC(fn, in, want)                                                                    \
    do {                                                                                           \
        const char *in_ = (in);                                                                    \
        char *got_ = esc(fn, in_);                                                                 \
        CHECK_MSG(strcmp(got_, want) == 0, "%s(%s) = [%s], want [%s]", #fn, in_ ? in_ : "NULL",    \
                  got_, want);                                                                     \
        free(got_);                                                                                \
    } while (0)

static void test_escape(void)
{
    const char *hostile = "a\"b;rm -rf x";
    CHECK_ESC(mtok_html_escape, hostile, "a&quot;b;rm -rf x");
    CHECK_ESC(mtok_html_escape, "<script>alert('x')</script>&amp;",
              "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;amp;");
    CHECK_ESC(mtok_html_escape, "line\nbreak\x01", "line break ");
    CHECK_ESC(mtok_html_escape, "bad \xff utf8 é", "bad \xef\xbf\xbd utf8 é");
    CHECK_ESC(mtok_html_escape, NULL, "");

    CHECK_ESC(mtok_md_escape, "a|b*c_[d](e)<f>$1", "a\\|b\\*c\\_\\[d\\](e)&lt;f&gt;\\$1");
    CHECK_ESC(mtok_md_escape, hostile, "a\"b;rm -rf x");
    CHECK_ESC(mtok_md_escape, "two\nlines", "two lines");

    CHECK_ESC(mtok_csv_field, "plain", "plain");
    CHECK_ESC(mtok_csv_field, hostile, "\"a\"\"b;rm -rf x\"");
    CHECK_ESC(mtok_csv_field, "a,b", "\"a,b\"");
    CHECK_ESC(mtok_csv_field, "=HYPERLINK(\"x\")", "\"'=HYPERLINK(\"\"x\"\")\"");
    CHECK_ESC(mtok_csv_field, "-1+2", "\"'-1+2\"");
    CHECK_ESC(mtok_csv_field, "@SUM(A1)", "\"'@SUM(A1)\"");
    CHECK_ESC(mtok_csv_field, "multi\nline", "\"multi\nline\"");
    struct mtok_buf b = {0};
    mtok_csv_number(&b, NAN);
    mtok_csv_number(&b, 0.25);
    CHECK(b.data && strcmp(b.data, "0.25") == 0);
    mtok_buf_free(&b);

    /* gnuplot: single quotes, ' doubled, no newline can end the command */
    CHECK_ESC(mtok_gnuplot_string, hostile, "'a\"b;rm -rf x'");
    CHECK_ESC(mtok_gnuplot_string, "it's `touch p` @m \\", "'it''s `touch p` @m \\'");
    CHECK_ESC(mtok_gnuplot_string, "a\nplot 1\r", "'a plot 1 '");
    CHECK_ESC(mtok_gnuplot_string, "100%", "'100%'");
    CHECK_ESC(mtok_gnuplot_tic, "100% %s", "'100%% %%s'");
}

/* ---- gnuplot ---- */

static void write_file(const char *dir, const char *name, const char *text)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    CHECK(f != NULL);
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

static bool exists(const char *dir, const char *name)
{
    char p[1024];
    struct stat sb;
    snprintf(p, sizeof p, "%s/%s", dir, name);
    return stat(p, &sb) == 0;
}

static char *slurp(const char *dir, const char *name)
{
    char p[1024];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    char *s = NULL;
    size_t n = 0;
    if (mtok_file_read(p, 64u << 20, &s, &n, NULL) != MTOK_OK)
        return NULL;
    return s;
}

static void test_gnuplot(void)
{
    char dir[512];
    snprintf(dir, sizeof dir, "%s/gp", tmpdir);
    CHECK(mkdir(dir, 0777) == 0);
    struct mtok_error err = {0};
    /* a program that does not exist */
    CHECK(mtok_gnuplot_run("/nonexistent/gnuplot", dir, "x.gp", 5, &err) == MTOK_ENOTFOUND);
    CHECK(strstr(err.msg, "/nonexistent/gnuplot") != NULL);
    if (!have_gnuplot)
        return;
    /* a hostile title renders as text: nothing runs, the SVG holds the string */
    struct mtok_buf gp = {0};
    mtok_buf_puts(&gp, "set terminal svg noenhanced\nset output 't.svg'\nset title ");
    mtok_gnuplot_string(
        &gp, "a\"b;rm -rf x `touch pwned1` $(touch pwned2) @x it's\nsystem('touch pwned3')");
    mtok_buf_puts(&gp, "\nset xtics (");
    mtok_gnuplot_tic(&gp, "50% `touch pwned4` %s");
    mtok_buf_puts(&gp, " 0)\nplot x title ");
    mtok_gnuplot_string(&gp, "<b>&amp;</b>");
    mtok_buf_puts(&gp, "\n");
    write_file(dir, "t.gp", gp.data);
    mtok_buf_free(&gp);
    char canary[600];
    snprintf(canary, sizeof canary, "%s/x", dir);
    CHECK(mkdir(canary, 0777) == 0); /* rm -rf x must not run */
    CHECK_MSG(mtok_gnuplot_run(NULL, dir, "t.gp", 30, &err) == MTOK_OK, "%s", err.msg);
    CHECK(exists(dir, "x") && !exists(dir, "pwned1") && !exists(dir, "pwned2") &&
          !exists(dir, "pwned3") && !exists(dir, "pwned4") && !exists(".", "pwned1"));
    char *svg = slurp(dir, "t.svg");
    CHECK(svg && strstr(svg, "rm -rf x `touch pwned1` $(touch pwned2) @x it's system(") != NULL);
    CHECK(svg && strstr(svg, "50% `touch pwned4` %s") != NULL);
    CHECK(svg && strstr(svg, "&lt;b>&amp;amp;&lt;/b>") != NULL);
    free(svg);
    /* a failing script: the message says why */
    write_file(dir, "bad.gp", "plot (\n");
    CHECK(mtok_gnuplot_run(NULL, dir, "bad.gp", 30, &err) == MTOK_EIO);
    CHECK(strstr(err.msg, "bad.gp") != NULL);
    /* a script that hangs is killed */
    write_file(dir, "slow.gp", "pause 30\n");
    uint64_t t0 = mtok_now_ns();
    CHECK(mtok_gnuplot_run(NULL, dir, "slow.gp", 0.5, &err) == MTOK_EIO);
    CHECK(strstr(err.msg, "killed") != NULL);
    CHECK((mtok_now_ns() - t0) / 1e9 < 10);
}

/* ---- store read queries ---- */

static void test_store_read(void)
{
    char path[512];
    snprintf(path, sizeof path, "%s/read.db", tmpdir);
    struct mtok_store *st = NULL;
    struct mtok_error err = {0};
    CHECK(mtok_store_open(&st, path, &err) == MTOK_OK);
    if (!st)
        return;
    struct mtok_run_summary b;
    struct mtok_run_filter report = {.kind = "report"};
    CHECK(mtok_store_run_latest(st, &report, &b) == MTOK_ENOTFOUND);
    struct mtok_build_row build = {.git_commit = "0123456789abcdef",
                                   .dirty = true,
                                   .compiler = "cc",
                                   .flags = "-O2",
                                   .simd = "avx2",
                                   .version = "0.1.0"};
    struct mtok_run_info info = {
        .kind = "report", .suite = "s1", .args = "report", .build = &build};
    struct mtok_run *run = mtok_run_create(&info);
    CHECK(mtok_store_run_begin(st, run) == MTOK_OK);
    struct mtok_sim_row s1 = {.key = "k1",
                              .model = "m",
                              .hw = "h",
                              .deployment = "{\"a\":1}",
                              .fits = true,
                              .tok_s_per_gpu = 100,
                              .ttft_s = NAN,
                              .provenance = "default"};
    size_t i1 = mtok_run_add_sim(run, &s1);
    struct mtok_cost_row c1 = {.tier = "hyperscaler",
                               .usd_per_gpu_hour = 2,
                               .usd_per_m_input = NAN,
                               .usd_per_m_total = 5.5};
    struct mtok_cost_row c2 = {.tier = "tco", .usd_per_gpu_hour = 1, .usd_per_m_total = 2.75};
    mtok_run_add_cost(run, i1, &c1);
    mtok_run_add_cost(run, i1, &c2);
    struct mtok_sim_row s2 = {.key = "k2", .model = "m2", .hw = "h", .deployment = "{}"};
    mtok_run_add_sim(run, &s2);
    struct mtok_ceiling_row ce = {.kind = "peak",
                                  .name = "fp32",
                                  .level = "avx512",
                                  .threads = 2,
                                  .value = 4e11,
                                  .unit = "FLOP/s"};
    mtok_run_add_ceiling(run, &ce);
    struct mtok_result_row rr = {.name = "gemm/f32/64/t1",
                                 .kernel = "gemm",
                                 .dtype = "f32",
                                 .threads = 1,
                                 .median_ns = 1000,
                                 .mad_ns = NAN,
                                 .flops = 5e5,
                                 .bytes = 4e4,
                                 .provenance = "default"};
    mtok_run_add_result(run, &rr);
    CHECK(mtok_store_run_commit(st, run) == MTOK_OK);
    /* a later, failed run of the same kind is ignored */
    struct mtok_run *run2 = mtok_run_create(&info);
    CHECK(mtok_store_run_begin(st, run2) == MTOK_OK);
    CHECK(mtok_store_run_fail(st, run2) == MTOK_OK);

    CHECK(mtok_store_run_latest(st, &report, &b) == MTOK_OK);
    CHECK(!strcmp(b.uuid, mtok_run_uuid(run)) && !strcmp(b.suite, "s1") &&
          !strcmp(b.git_commit, "0123456789abcdef") && b.dirty && !strcmp(b.args, "report"));
    struct mtok_run_summary none;
    CHECK(mtok_store_run_latest(st, &(struct mtok_run_filter){.kind = "report", .suite = "other"},
                                &none) == MTOK_ENOTFOUND);
    struct mtok_stored_sim *sims = NULL;
    size_t n = 0;
    enum mtok_status rs = mtok_store_sims(st, b.id, &sims, &n);
    CHECK_MSG(rs == MTOK_OK && n == 2, "%d %zu %s", (int)rs, n, mtok_store_errmsg(st));
    if (n == 2) {
        CHECK(!strcmp(sims[0].key, "k1") && sims[0].fits && sims[0].tok_s_per_gpu == 100 &&
              isnan(sims[0].ttft_s) && !strcmp(sims[0].deployment, "{\"a\":1}"));
        CHECK(sims[0].n_costs == 2 && !strcmp(sims[0].costs[0].tier, "hyperscaler") &&
              sims[0].costs[0].usd_per_m_total == 5.5 && isnan(sims[0].costs[0].usd_per_m_input) &&
              !strcmp(sims[0].costs[1].tier, "tco"));
        CHECK(!strcmp(sims[1].key, "k2") && !sims[1].fits && sims[1].n_costs == 0 &&
              !strcmp(sims[1].provenance, ""));
    }
    mtok_store_sims_free(sims, n);
    struct mtok_ceiling_row *ceil = NULL;
    CHECK(mtok_store_ceilings(st, b.id, &ceil, &n) == MTOK_OK && n == 1 &&
          !strcmp(ceil[0].kind, "peak") && ceil[0].value == 4e11 && ceil[0].threads == 2);
    free(ceil);
    struct mtok_stored_result *res = NULL;
    CHECK(mtok_store_results(st, b.id, &res, &n) == MTOK_OK && n == 1 &&
          !strcmp(res[0].kernel, "gemm") && res[0].median_ns == 1000 && isnan(res[0].mad_ns));
    mtok_store_results_free(res, n);
    struct mtok_run_summary *runs = NULL;
    CHECK(mtok_store_runs(st, "report", &runs, &n) == MTOK_OK && n == 1);
    free(runs);
    CHECK(mtok_store_runs(st, "bench", &runs, &n) == MTOK_OK && n == 0 && !runs);
    mtok_run_destroy(run);
    mtok_run_destroy(run2);
    mtok_store_close(st);
}

/* ---- the report end to end ---- */

static int run_cli(char *out, size_t n_out, char *err, size_t n_err, char **argv)
{
    int argc = 0;
    while (argv[argc])
        argc++;
    FILE *o = tmpfile(), *e = tmpfile();
    int rc = mtok_cli_main(argc, argv, o, e);
    rewind(o);
    rewind(e);
    size_t a = fread(out, 1, n_out - 1, o), b = fread(err, 1, n_err - 1, e);
    out[a] = err[b] = '\0';
    fclose(o);
    fclose(e);
    return rc;
}

static char out[1 << 20], err[1 << 16];

/* Parse RFC 4180 CSV; returns rows (header included) or -1 when malformed or ragged. */
static long csv_rows(const char *s, size_t *ncols)
{
    long rows = 0;
    size_t cols = 0, want = 0;
    const char *p = s;
    while (*p) {
        cols = 0;
        for (;;) {
            if (*p == '"') {
                p++;
                for (;;) {
                    if (!*p)
                        return -1;
                    if (*p == '"' && p[1] == '"')
                        p += 2;
                    else if (*p == '"') {
                        p++;
                        break;
                    } else
                        p++;
                }
            } else {
                while (*p && *p != ',' && *p != '\r' && *p != '\n') {
                    if (*p == '"')
                        return -1;
                    p++;
                }
            }
            cols++;
            if (*p == ',') {
                p++;
                continue;
            }
            if (*p == '\r' && p[1] == '\n') {
                p += 2;
                break;
            }
            return -1; /* every record ends with CRLF */
        }
        if (rows == 0)
            want = cols;
        else if (cols != want)
            return -1;
        rows++;
    }
    *ncols = want;
    return rows;
}

/* Every file report.json lists exists; every JSON parses; every CSV is rectangular. */
static void check_files(const char *dir, bool charts)
{
    char *meta = slurp(dir, "report.json");
    cJSON *m = meta ? cJSON_Parse(meta) : NULL;
    free(meta);
    CHECK(m != NULL);
    if (!m)
        return;
    const cJSON *files = cJSON_GetObjectItem(m, "files"), *f;
    size_t n = 0, csv = 0, json = 0, svg = 0, png = 0, gp = 0;
    cJSON_ArrayForEach(f, files)
    {
        const char *name = f->valuestring;
        n++;
        CHECK_MSG(exists(dir, name), "%s listed but missing", name);
        size_t len = strlen(name);
        char *text = slurp(dir, name);
        CHECK_MSG(text != NULL, "%s unreadable", name);
        if (len > 5 && !strcmp(name + len - 5, ".json")) {
            cJSON *j = text ? cJSON_Parse(text) : NULL;
            CHECK_MSG(j != NULL, "%s is not JSON", name);
            cJSON_Delete(j);
            json++;
        } else if (len > 4 && !strcmp(name + len - 4, ".csv")) {
            size_t cols = 0;
            long rows = text ? csv_rows(text, &cols) : -1;
            CHECK_MSG(rows >= 1 && cols >= 2, "%s is not well-formed CSV", name);
            csv++;
        } else if (len > 4 && !strcmp(name + len - 4, ".svg")) {
            CHECK(text && strstr(text, "<svg") && strstr(text, "</svg>"));
            svg++;
        } else if (len > 4 && !strcmp(name + len - 4, ".png")) {
            CHECK(text && !memcmp(text, "\x89PNG", 4));
            png++;
        } else if (len > 3 && !strcmp(name + len - 3, ".gp")) {
            gp++;
        }
        free(text);
    }
    CHECK_MSG(gp == 5, "%zu scripts", gp);
    CHECK(csv >= 10 && csv + 1 == json); /* a JSON per table plus report.json */
    if (charts)
        CHECK_MSG(svg == 5 && png == 5, "%zu svg, %zu png", svg, png);
    CHECK(exists(dir, "index.html") && exists(dir, "report.md"));
    cJSON_Delete(m);
    char *html = slurp(dir, "index.html");
    CHECK(html && strstr(html, "<!DOCTYPE html>") && strstr(html, "</html>"));
    /* self-contained: no external resources, no scripts */
    CHECK(html && !strstr(html, "<script") && !strstr(html, "http://") && !strstr(html, "<link"));
    for (int k = 1; html && k <= 5; k++) {
        char want[64];
        static const char *const names[] = {"",
                                            "chart1_cost_output",
                                            "chart2_pareto",
                                            "chart3_roofline",
                                            "chart4_history",
                                            "chart5_breakeven"};
        snprintf(want, sizeof want, "<figure id=\"%s\">", names[k]);
        CHECK_MSG(strstr(html, want) != NULL, "%s missing", want);
        snprintf(want, sizeof want, "<img src=\"%s.svg\"", names[k]);
        CHECK_MSG(!charts || strstr(html, want) != NULL, "%s missing", want);
    }
    free(html);
}

/* The $/M matrix: every model x hardware cell is a price or an explicit marker. */
static size_t check_matrix(const char *dir, const char *name, size_t *priced)
{
    char *text = slurp(dir, name);
    cJSON *t = text ? cJSON_Parse(text) : NULL;
    free(text);
    CHECK_MSG(t != NULL, "%s", name);
    size_t cells = 0;
    *priced = 0;
    const cJSON *row;
    cJSON_ArrayForEach(row, cJSON_GetObjectItem(t, "rows"))
    {
        const cJSON *c;
        cJSON_ArrayForEach(c, row)
        {
            if (!strcmp(c->string, "model"))
                continue;
            cells++;
            if (cJSON_IsNumber(c)) {
                CHECK(c->valuedouble > 0 && isfinite(c->valuedouble));
                (*priced)++;
            } else {
                CHECK_MSG(cJSON_IsString(c) && (!strcmp(c->valuestring, "does not fit") ||
                                                !strcmp(c->valuestring, "no price") ||
                                                !strcmp(c->valuestring, "not measured yet") ||
                                                !strcmp(c->valuestring, "not simulated yet")),
                          "%s: cell %s = %s", name, c->string,
                          cJSON_IsString(c) ? c->valuestring : "?");
            }
        }
    }
    cJSON_Delete(t);
    return cells;
}

static void test_report_default(void)
{
    char dir[512], db[512];
    snprintf(dir, sizeof dir, "%s/default", tmpdir);
    snprintf(db, sizeof db, "%s/default.db", tmpdir);
    char *argv[] = {ARG("mtok"), ARG("report"), ARG("--out"),        dir, ARG("--db"),
                    db,          ARG("--json"), ARG("--no-measure"), NULL};
    int rc = run_cli(out, sizeof out, err, sizeof err, argv);
    CHECK_MSG(rc == 0, "%s", err);
    cJSON *o = cJSON_Parse(out);
    CHECK(o != NULL);
    if (!o)
        return;
    const cJSON *cells = cJSON_GetObjectItem(o, "cells");
    CHECK(cJSON_GetObjectItem(cells, "total")->valuedouble == 200);
    CHECK(cJSON_GetObjectItem(cells, "priced")->valuedouble >= 100);
    CHECK(cJSON_IsTrue(cJSON_GetObjectItem(o, "charts_rendered")) == have_gnuplot);
    cJSON_Delete(o);
    check_files(dir, have_gnuplot);
    size_t priced = 0;
    CHECK(check_matrix(dir, "table_cost_8k-1k.json", &priced) == 100 && priced >= 50);
    CHECK(check_matrix(dir, "table_cost_1k-1k.json", &priced) == 100 && priced >= 50);
    char *html = slurp(dir, "index.html");
    CHECK(html && strstr(html, "does not fit") && strstr(html, "not measured yet"));
    /* hand check of one cell against the database's own figures: the table's total is the
     * hyperscaler $/GPU-hour over InferenceX's total throughput */
    char *cj = slurp(dir, "table_cells.json");
    cJSON *t = cj ? cJSON_Parse(cj) : NULL;
    free(cj);
    const cJSON *row;
    size_t checked = 0;
    cJSON_ArrayForEach(row, cJSON_GetObjectItem(t, "rows"))
    {
        const cJSON *basis = cJSON_GetObjectItem(row, "price_basis");
        if (!cJSON_IsString(basis) || strcmp(basis->valuestring, "hyperscaler"))
            continue;
        double h = cJSON_GetObjectItem(row, "usd_per_gpu_hour")->valuedouble;
        double tps = cJSON_GetObjectItem(row, "tok_s_per_gpu")->valuedouble;
        double in = cJSON_GetObjectItem(row, "input_tok_s_per_gpu")->valuedouble;
        double outr = cJSON_GetObjectItem(row, "output_tok_s_per_gpu")->valuedouble;
        CHECK_NEAR(cJSON_GetObjectItem(row, "usd_per_m_total")->valuedouble, h / (tps * 0.0036),
                   1e-9);
        CHECK_NEAR(cJSON_GetObjectItem(row, "usd_per_m_output_inferencex")->valuedouble,
                   h / (outr * 0.0036), 1e-9);
        /* the price sheet recovers the hour (no cache hits) */
        CHECK_NEAR((in * cJSON_GetObjectItem(row, "usd_per_m_input")->valuedouble +
                    outr * cJSON_GetObjectItem(row, "usd_per_m_output")->valuedouble) *
                       0.0036,
                   h, 1e-6);
        CHECK(cJSON_GetObjectItem(row, "tok_s_per_user")->valuedouble >= 30 ||
              !strcmp(cJSON_GetObjectItem(row, "status")->valuestring, "target_unmet"));
        checked++;
    }
    CHECK(checked >= 50);
    cJSON_Delete(t);
    free(html);

    /* rendering again from the same database (no run) gives the same cells */
    char *again[] = {ARG("mtok"), ARG("report"),   ARG("--out"),       dir, ARG("--db"),
                     db,          ARG("--no-run"), ARG("--no-charts"), NULL};
    CHECK(run_cli(out, sizeof out, err, sizeof err, again) == 0);
    CHECK(strstr(out, "200 cells") != NULL);
}

static void test_report_empty(void)
{
    char dir[512], db[512];
    snprintf(dir, sizeof dir, "%s/empty", tmpdir);
    snprintf(db, sizeof db, "%s/empty.db", tmpdir);
    char *argv[] = {ARG("mtok"), ARG("report"),   ARG("--out"), dir, ARG("--db"),
                    db,          ARG("--no-run"), NULL};
    CHECK_MSG(run_cli(out, sizeof out, err, sizeof err, argv) == 0, "%s", err);
    CHECK(strstr(out, "200 cells (0 priced, 0 do not fit, 200 not measured/simulated yet)"));
    check_files(dir, have_gnuplot);
    size_t priced = 1;
    CHECK(check_matrix(dir, "table_cost_8k-1k.json", &priced) == 100 && priced == 0);
    char *html = slurp(dir, "index.html");
    CHECK(html && strstr(html, "not simulated yet") && strstr(html, "not measured yet"));
    char *gp = slurp(dir, "chart3_roofline.gp");
    CHECK(gp && strstr(gp, "not measured yet"));
    free(gp);
    free(html);
}

static void test_report_no_gnuplot(void)
{
    char dir[512], db[512];
    snprintf(dir, sizeof dir, "%s/nognuplot", tmpdir);
    snprintf(db, sizeof db, "%s/nognuplot.db", tmpdir);
    char *argv[] = {ARG("mtok"),         ARG("report"),
                    ARG("--out"),        dir,
                    ARG("--db"),         db,
                    ARG("--gnuplot"),    ARG("/nonexistent/bin/gnuplot"),
                    ARG("--no-measure"), NULL};
    CHECK_MSG(run_cli(out, sizeof out, err, sizeof err, argv) == 0, "%s", err);
    CHECK(strstr(out, "charts: charts could not be rendered") != NULL);
    check_files(dir, false);
    CHECK(!exists(dir, "chart1_cost_output.svg") && exists(dir, "chart1_cost_output.gp"));
    char *html = slurp(dir, "index.html");
    CHECK(html && strstr(html, "class=\"banner\">charts could not be rendered") &&
          strstr(html, "Chart not rendered"));
    free(html);
}

/* ---- hostile names through a catalog directory ---- */

static void copy_tree(const char *from, const char *to)
{
    CHECK(mkdir(to, 0777) == 0);
    DIR *d = opendir(from);
    CHECK(d != NULL);
    struct dirent *e;
    while (d && (e = readdir(d))) {
        if (e->d_name[0] == '.')
            continue;
        char a[1024], b[1024];
        snprintf(a, sizeof a, "%s/%s", from, e->d_name);
        snprintf(b, sizeof b, "%s/%s", to, e->d_name);
        struct stat sb;
        if (stat(a, &sb) != 0)
            continue;
        if (S_ISDIR(sb.st_mode)) {
            copy_tree(a, b);
        } else {
            char *text = NULL;
            size_t n = 0;
            CHECK(mtok_file_read(a, 64u << 20, &text, &n, NULL) == MTOK_OK);
            CHECK(mtok_file_write(b, text, n, NULL) == MTOK_OK);
            free(text);
        }
    }
    if (d)
        closedir(d);
}

/* Set key of the object in array `list` whose `id` is `id` (or of the root when list is NULL). */
static void patch_json(const char *path, const char *list, const char *id, const char *key,
                       const char *value)
{
    char *text = NULL;
    size_t n = 0;
    CHECK(mtok_file_read(path, 64u << 20, &text, &n, NULL) == MTOK_OK);
    cJSON *root = text ? cJSON_Parse(text) : NULL;
    free(text);
    CHECK(root != NULL);
    cJSON *obj = root;
    if (list) {
        obj = NULL;
        cJSON *e;
        cJSON_ArrayForEach(e, cJSON_GetObjectItem(root, list))
        {
            const cJSON *i = cJSON_GetObjectItem(e, "id");
            if (cJSON_IsString(i) && !strcmp(i->valuestring, id))
                obj = e;
        }
    }
    CHECK(obj != NULL);
    if (obj)
        cJSON_ReplaceItemInObject(obj, key, cJSON_CreateString(value));
    char *s = cJSON_Print(root);
    CHECK(mtok_file_write(path, s, strlen(s), NULL) == MTOK_OK);
    cJSON_free(s);
    cJSON_Delete(root);
}

static void test_report_hostile(void)
{
    const char *model_name = "a\"b;rm -rf x `touch pwned` $(touch pwned) 100% <i>x</i>'q\\";
    const char *hw_name = "H\"1'00 <script>alert(1)</script> %s @x `touch pwned`";
    char data[512], dir[512], db[512], p[1024];
    snprintf(data, sizeof data, "%s/data", tmpdir);
    snprintf(dir, sizeof dir, "%s/hostile", tmpdir);
    snprintf(db, sizeof db, "%s/hostile.db", tmpdir);
    char src[1024];
    snprintf(src, sizeof src, "%s/data", test_source_dir());
    copy_tree(src, data);
    snprintf(p, sizeof p, "%s/models/index.json", data);
    patch_json(p, "models", "llama-3.1-8b", "name", model_name);
    snprintf(p, sizeof p, "%s/hardware/h100-sxm.json", data);
    patch_json(p, NULL, NULL, "name", hw_name);
    snprintf(p, sizeof p, "%s/reports/hostile.json", data);
    write_file(
        data, "reports/hostile.json",
        "{\"report\": \"hostile\", \"title\": \"<b>Title</b> & \\\"co\\\"\","
        " \"models\": [\"llama-3.1-8b\", \"deepseek-v4-flash\"],"
        " \"hardware\": [\"h100-sxm\", \"b200\", \"host\"],"
        " \"lengths\": [{\"isl\": 1024, \"osl\": 1024}], \"tps_user\": 30,"
        " \"tiers\": [\"hyperscaler\"], \"pareto_models\": [\"llama-3.1-8b\"],"
        " \"breakeven\": [{\"model\": \"deepseek-v4-flash\", \"api\": \"deepseek-v4-flash\"}],"
        " \"source\": \"test\", \"date\": \"2026-11\", \"uncertain\": true}");
    /* canaries in the directories gnuplot and the CLI run in */
    snprintf(p, sizeof p, "%s/x", dir);
    CHECK(mkdir(dir, 0777) == 0 && mkdir(p, 0777) == 0);
    char *argv[] = {ARG("mtok"),
                    ARG("report"),
                    ARG("--data"),
                    data,
                    ARG("--suite"),
                    ARG("hostile"),
                    ARG("--out"),
                    dir,
                    ARG("--db"),
                    db,
                    NULL};
    CHECK_MSG(run_cli(out, sizeof out, err, sizeof err, argv) == 0, "%s", err);
    CHECK_MSG(!have_gnuplot || !strstr(out, "charts:"), "%s", out);
    check_files(dir, have_gnuplot);
    CHECK(exists(dir, "x") && !exists(dir, "pwned") && !exists(".", "pwned"));
    char *html = slurp(dir, "index.html");
    CHECK(html != NULL);
    if (html) {
        CHECK(strstr(html, "a&quot;b;rm -rf x `touch pwned` $(touch pwned) 100% "
                           "&lt;i&gt;x&lt;/i&gt;&#39;q\\") != NULL);
        CHECK(strstr(html, "H&quot;1&#39;00 &lt;script&gt;alert(1)&lt;/script&gt; %s") != NULL);
        CHECK(!strstr(html, "<script>") && !strstr(html, "a\"b;rm") && !strstr(html, "<i>x"));
        CHECK(strstr(html, "<title>&lt;b&gt;Title&lt;/b&gt; &amp; &quot;co&quot;") != NULL);
    }
    free(html);
    char *md = slurp(dir, "report.md");
    CHECK(md && !strstr(md, "<script>") && !strstr(md, "<i>x"));
    free(md);
    /* gnuplot scripts hold the names as single-quoted literals (tic labels with % doubled) */
    char *gp = slurp(dir, "chart1_cost_output.gp");
    CHECK(gp && strstr(gp, "'a\"b;rm -rf x `touch pwned` $(touch pwned) 100%% <i>x</i>''q\\' 0"));
    /* (the column label is the catalog name up to its first parenthesis) */
    CHECK(gp && strstr(gp, "title 'H\"1''00 <script>alert'"));
    free(gp);
    if (have_gnuplot) {
        char *svg = slurp(dir, "chart2_pareto.svg");
        CHECK(svg && strstr(svg, "rm -rf x `touch pwned` $(touch pwned) 100% &lt;i>x&lt;/i>'q\\"));
        free(svg);
    }
    /* CSV keeps the name as one field */
    char *csv = slurp(dir, "table_cost_1k-1k.csv");
    CHECK(csv && strstr(csv, "\"a\"\"b;rm -rf x `touch pwned` $(touch pwned) 100% <i>x</i>'q\\\""));
    free(csv);
}

/* ---- main ---- */

static void rm_rf(const char *path)
{
    struct stat sb;
    if (lstat(path, &sb) != 0)
        return;
    if (S_ISDIR(sb.st_mode)) {
        DIR *d = opendir(path);
        struct dirent *e;
        while (d && (e = readdir(d))) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            char p[2048];
            snprintf(p, sizeof p, "%s/%s", path, e->d_name);
            rm_rf(p);
        }
        if (d)
            closedir(d);
        rmdir(path);
    } else {
        unlink(path);
    }
}

int main(void)
{
    CHECK(mkdtemp(tmpdir) != NULL);
    /* gnuplot is optional: without it the chart checks are left out (the rest must still hold) */
    const char *path = getenv("PATH");
    char buf[4096];
    snprintf(buf, sizeof buf, "%s", path ? path : "/usr/bin:/bin");
    for (char *tok = strtok(buf, ":"); tok && !have_gnuplot; tok = strtok(NULL, ":")) {
        char p[4200];
        snprintf(p, sizeof p, "%s/gnuplot", tok);
        have_gnuplot = access(p, X_OK) == 0;
    }
    if (!have_gnuplot)
        fprintf(stderr, "test_reports: gnuplot not installed; chart rendering not checked\n");
    test_escape();
    test_gnuplot();
    test_store_read();
    test_report_default();
    test_report_empty();
    test_report_no_gnuplot();
    test_report_hostile();
    if (!test_failures)
        rm_rf(tmpdir);
    else
        fprintf(stderr, "test_reports: files kept in %s\n", tmpdir);
    return test_status("test_reports");
}
