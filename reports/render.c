/* The report: read what the store holds, write HTML, Markdown, CSV, JSON and gnuplot charts.
 *
 * Layout of this file: the report's state and small formatters; tables (one description written to
 * four formats); charts (script + data, rendered by gnuplot); the sections in the order the reader
 * meets them; mtok_report_write, which reads the store and drives the rest. */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench/bench.h"
#include "reports/reports.h"

/* ================================================================================================
 * State
 * ============================================================================================== */

struct pick {
    const struct mtok_stored_sim *row;   /* NULL: the cell is not in the database */
    cJSON *dep;                          /* the row's deployment JSON */
    const char *status;                  /* ok, target_unmet, does_not_fit, not_measured */
    const struct mtok_stored_cost *cost; /* the figure the table shows (primary tier or tco) */
    const char *basis;                   /* its tier name, "tco", or NULL (not priced) */
};

struct history_point {
    char commit[64], started_at[32];
    double median_ns;
};
struct history_series {
    char name[256];
    struct history_point *pts;
    size_t n;
};

struct rpt {
    struct mtok_store *st;
    const struct mtok_catalog *cat;
    const struct mtok_report_opts *o;
    const struct mtok_report_suite *s;
    struct mtok_report_info *info;
    struct mtok_error *err;
    enum mtok_status status; /* first write failure */

    bool have_run;
    struct mtok_run_summary run;
    struct mtok_stored_sim *sims;
    size_t n_sims;
    struct pick *picks; /* [lengths][models][hw] */

    bool have_ceil;
    struct mtok_run_summary ceil_run;
    struct mtok_ceiling_row *ceil;
    size_t n_ceil;

    bool have_bench;
    struct mtok_run_summary bench_run;
    struct mtok_stored_result *bench;
    size_t n_bench;

    struct history_series *hist;
    size_t n_hist, n_commits;
    char (*commits)[64];
    bool history_by_run; /* one commit only: one x per run */

    bool gnuplot_missing;
    char chart_note[1400];

    struct mtok_buf html, md;
};

static struct pick *pick_at(struct rpt *r, size_t li, size_t mi, size_t hi)
{
    return &r->picks[(li * r->s->n_models + mi) * r->s->n_hw + hi];
}

static const char *jstr(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

static double jnum(const cJSON *o, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* ---- names ---- */

static const char *model_name(struct rpt *r, const char *id)
{
    const struct mtok_model *m = mtok_catalog_model(r->cat, id);
    return m && m->name ? m->name : id;
}

/* A short column label from the catalog name: the part before any "(", without the vendor. */
static void hw_label(struct rpt *r, const char *id, char *buf, size_t n)
{
    const struct mtok_hw *hw = mtok_catalog_hw(r->cat, id);
    if (!hw) {
        snprintf(buf, n, "%s", strcmp(id, "host") == 0 ? "host (this machine)" : id);
        return;
    }
    const char *name = hw->name ? hw->name : id;
    size_t vl = hw->vendor ? strlen(hw->vendor) : 0;
    if (vl && strncmp(name, hw->vendor, vl) == 0 && name[vl] == ' ')
        name += vl + 1;
    mtok_strlcpy(buf, name, n);
    char *paren = strchr(buf, '(');
    if (paren && paren > buf)
        *paren = '\0';
    size_t len = strlen(buf);
    while (len && buf[len - 1] == ' ')
        buf[--len] = '\0';
    if (!len)
        snprintf(buf, n, "%s", id);
}

static void lengths_label(const struct mtok_report_lengths *l, char *buf, size_t n, char sep)
{
    char a[16], b[16];
    if (fmod(l->isl, 1024) == 0)
        snprintf(a, sizeof a, "%gk", l->isl / 1024);
    else
        snprintf(a, sizeof a, "%g", l->isl);
    if (fmod(l->osl, 1024) == 0)
        snprintf(b, sizeof b, "%gk", l->osl / 1024);
    else
        snprintf(b, sizeof b, "%g", l->osl);
    snprintf(buf, n, "%s%c%s", a, sep, b);
}

/* ---- numbers ---- */

static const char *fmt_usd(char *buf, size_t n, double v)
{
    if (!isfinite(v))
        snprintf(buf, n, "–");
    else if (v == 0)
        snprintf(buf, n, "$0");
    else if (v < 0.01)
        snprintf(buf, n, "$%.4f", v);
    else if (v < 1)
        snprintf(buf, n, "$%.3f", v);
    else if (v < 100)
        snprintf(buf, n, "$%.2f", v);
    else
        snprintf(buf, n, "$%.0f", v);
    return buf;
}

/* Thousands separators for counts and rates. */
static const char *fmt_count(char *buf, size_t n, double v)
{
    if (!isfinite(v)) {
        snprintf(buf, n, "–");
        return buf;
    }
    if (fabs(v) < 100) {
        snprintf(buf, n, "%.3g", v);
        return buf;
    }
    char raw[64];
    snprintf(raw, sizeof raw, "%.0f", fabs(v));
    size_t len = strlen(raw), o = 0;
    if (v < 0 && o + 1 < n)
        buf[o++] = '-';
    for (size_t i = 0; i < len && o + 2 < n; i++) {
        if (i && (len - i) % 3 == 0)
            buf[o++] = ',';
        buf[o++] = raw[i];
    }
    buf[o] = '\0';
    return buf;
}

static const char *fmt_sig(char *buf, size_t n, double v, int digits)
{
    if (!isfinite(v))
        snprintf(buf, n, "–");
    else
        snprintf(buf, n, "%.*g", digits, v);
    return buf;
}

/* SI prefix: 1.2e12 -> "1.2 T" */
static const char *fmt_si(char *buf, size_t n, double v, const char *unit)
{
    static const char *const p[] = {"", "k", "M", "G", "T", "P", "E"};
    if (!isfinite(v)) {
        snprintf(buf, n, "–");
        return buf;
    }
    int i = 0;
    double a = fabs(v);
    while (a >= 1000 && i < 6)
        a /= 1000, i++;
    snprintf(buf, n, "%.3g %s%s", v < 0 ? -a : a, p[i], unit);
    return buf;
}

/* ---- files ---- */

static void record_file(struct rpt *r, const char *name)
{
    struct mtok_report_info *in = r->info;
    in->files = mtok_xrealloc(in->files, (in->n_files + 1) * sizeof *in->files);
    in->files[in->n_files++] = mtok_xstrdup(name);
}

static void write_out(struct rpt *r, const char *name, const char *data, size_t len)
{
    struct mtok_buf p = {0};
    mtok_buf_printf(&p, "%s/%s", r->o->out_dir, name);
    struct mtok_error e = {0};
    if (mtok_file_write(p.data, data, len, &e) != MTOK_OK) {
        if (r->status == MTOK_OK)
            r->status = mtok_error_set(r->err, MTOK_EIO, "%s", e.msg);
    } else {
        record_file(r, name);
    }
    mtok_buf_free(&p);
}

static void write_buf(struct rpt *r, const char *name, const struct mtok_buf *b)
{
    write_out(r, name, b->data ? b->data : "", b->len);
}

/* ---- HTML / Markdown helpers ---- */

static void h(struct mtok_buf *b, const char *s)
{
    mtok_html_escape(b, s);
}

static void md(struct mtok_buf *b, const char *s)
{
    mtok_md_escape(b, s);
}

/* A paragraph of plain text in both documents. */
static void para(struct rpt *r, const char *cls, const char *text)
{
    mtok_buf_printf(&r->html, "<p class=\"%s\">", cls);
    h(&r->html, text);
    mtok_buf_puts(&r->html, "</p>\n");
    md(&r->md, text);
    mtok_buf_puts(&r->md, "\n\n");
}

static void heading(struct rpt *r, int level, const char *id, const char *text)
{
    mtok_buf_printf(&r->html, "<h%d id=\"%s\">", level, id);
    h(&r->html, text);
    mtok_buf_printf(&r->html, "</h%d>\n", level);
    for (int i = 0; i < level; i++)
        mtok_buf_puts(&r->md, "#");
    mtok_buf_puts(&r->md, " ");
    md(&r->md, text);
    mtok_buf_puts(&r->md, "\n\n");
}

/* ================================================================================================
 * Tables: one description, four formats (HTML, Markdown, CSV, JSON)
 * ============================================================================================== */

struct cell {
    char *text;      /* what is shown */
    char *sub;       /* HTML only: a second, smaller line (may be NULL) */
    char *tip;       /* HTML title attribute (may be NULL) */
    const char *cls; /* HTML class (static) */
    bool is_num;     /* CSV/JSON get `num` (NAN -> empty / null) instead of the text */
    double num;
};

struct table {
    const char *id; /* file stem: table_<id>.csv / .json */
    char *title;
    size_t ncols;
    char **keys;        /* machine names (CSV header, JSON keys) */
    char **labels;      /* shown headers */
    struct cell *cells; /* rows x ncols */
    size_t nrows, cap;
    const char *cls;         /* HTML table class */
    bool collapsed;          /* HTML: inside a closed <details> (long tables) */
    unsigned long hide_html; /* bit j: column j only in CSV/JSON (not HTML or Markdown) */
};

static struct table *table_new(const char *id, const char *title, size_t ncols, const char *cls)
{
    struct table *t = mtok_xcalloc(1, sizeof *t);
    t->id = id;
    t->title = mtok_xstrdup(title);
    t->ncols = ncols;
    t->keys = mtok_xcalloc(ncols, sizeof *t->keys);
    t->labels = mtok_xcalloc(ncols, sizeof *t->labels);
    t->cls = cls ? cls : "data";
    return t;
}

static void table_col(struct table *t, size_t i, const char *key, const char *label)
{
    t->keys[i] = mtok_xstrdup(key);
    t->labels[i] = mtok_xstrdup(label ? label : key);
}

/* A table whose columns are all known up front: {key, label} pairs. */
static struct table *table_of(const char *id, const char *title, const char *const (*cols)[2],
                              size_t ncols, const char *cls)
{
    struct table *t = table_new(id, title, ncols, cls);
    for (size_t j = 0; j < ncols; j++)
        table_col(t, j, cols[j][0], cols[j][1]);
    return t;
}
#define TABLE_OF(id, title, cols, cls) table_of(id, title, cols, sizeof cols / sizeof *cols, cls)

/* Start a row; returns its first cell. */
static struct cell *table_row(struct table *t)
{
    if (t->nrows == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 16;
        t->cells = mtok_xrealloc(t->cells, t->cap * t->ncols * sizeof *t->cells);
    }
    struct cell *c = &t->cells[t->nrows++ * t->ncols];
    memset(c, 0, t->ncols * sizeof *c);
    return c;
}

static void cell_text(struct cell *c, const char *text)
{
    free(c->text);
    c->text = mtok_xstrdup(text ? text : "");
    c->is_num = false;
}

static void cell_num(struct cell *c, double v, const char *text)
{
    free(c->text);
    c->text = mtok_xstrdup(text);
    c->is_num = true;
    c->num = v;
}

static void cell_sub(struct cell *c, const char *sub)
{
    free(c->sub);
    c->sub = sub ? mtok_xstrdup(sub) : NULL;
}

static void cell_tip(struct cell *c, const char *tip)
{
    free(c->tip);
    c->tip = tip ? mtok_xstrdup(tip) : NULL;
}

static void table_free(struct table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nrows * t->ncols; i++)
        free(t->cells[i].text), free(t->cells[i].sub), free(t->cells[i].tip);
    for (size_t i = 0; i < t->ncols; i++)
        free(t->keys[i]), free(t->labels[i]);
    free(t->keys), free(t->labels), free(t->cells), free(t->title);
    free(t);
}

/* Write the table into both documents and as CSV + JSON, then free it. */
static void table_emit(struct rpt *r, struct table *t)
{
    struct mtok_buf *b = &r->html;
    if (t->collapsed) {
        mtok_buf_puts(b, "<details><summary>");
        h(b, t->title);
        mtok_buf_printf(b, " (%zu rows; click to show)</summary>\n", t->nrows);
    }
    mtok_buf_printf(b, "<div class=\"tablewrap\"><table class=\"%s\" id=\"t-%s\">\n<caption>",
                    t->cls, t->id);
    h(b, t->title);
    mtok_buf_printf(b,
                    " <span class=\"files\">(<a href=\"table_%s.csv\">CSV</a>, "
                    "<a href=\"table_%s.json\">JSON</a>)</span></caption>\n<thead><tr>",
                    t->id, t->id);
    for (size_t j = 0; j < t->ncols; j++) {
        if (t->hide_html >> j & 1)
            continue;
        mtok_buf_puts(b, j == 0 ? "<th scope=\"col\" class=\"first\">" : "<th scope=\"col\">");
        h(b, t->labels[j]);
        mtok_buf_puts(b, "</th>");
    }
    mtok_buf_puts(b, "</tr></thead>\n<tbody>\n");
    for (size_t i = 0; i < t->nrows; i++) {
        mtok_buf_puts(b, "<tr>");
        for (size_t j = 0; j < t->ncols; j++) {
            const struct cell *c = &t->cells[i * t->ncols + j];
            if (t->hide_html >> j & 1)
                continue;
            mtok_buf_puts(b, j == 0 ? "<th scope=\"row\"" : "<td");
            if (c->cls || c->is_num)
                mtok_buf_printf(b, " class=\"%s%s%s\"", c->cls ? c->cls : "",
                                c->cls && c->is_num ? " " : "", c->is_num ? "num" : "");
            if (c->tip) {
                mtok_buf_puts(b, " title=\"");
                h(b, c->tip);
                mtok_buf_puts(b, "\"");
            }
            mtok_buf_puts(b, ">");
            h(b, c->text);
            if (c->sub) {
                mtok_buf_puts(b, "<span class=\"sub\">");
                h(b, c->sub);
                mtok_buf_puts(b, "</span>");
            }
            mtok_buf_puts(b, j == 0 ? "</th>" : "</td>");
        }
        mtok_buf_puts(b, "</tr>\n");
    }
    if (!t->nrows)
        mtok_buf_printf(b, "<tr><td colspan=\"%zu\" class=\"empty\">no rows</td></tr>\n", t->ncols);
    mtok_buf_puts(b, "</tbody></table></div>\n");
    if (t->collapsed)
        mtok_buf_puts(b, "</details>\n");

    /* Markdown */
    struct mtok_buf *m = &r->md;
    mtok_buf_puts(m, "**");
    md(m, t->title);
    mtok_buf_printf(m, "** ([CSV](table_%s.csv), [JSON](table_%s.json))\n\n|", t->id, t->id);
    for (size_t j = 0; j < t->ncols; j++) {
        if (t->hide_html >> j & 1)
            continue;
        mtok_buf_puts(m, " ");
        md(m, t->labels[j]);
        mtok_buf_puts(m, " |");
    }
    mtok_buf_puts(m, "\n|");
    for (size_t j = 0; j < t->ncols; j++)
        if (!(t->hide_html >> j & 1))
            mtok_buf_puts(m, j ? " ---: |" : " --- |");
    mtok_buf_puts(m, "\n");
    for (size_t i = 0; i < t->nrows; i++) {
        mtok_buf_puts(m, "|");
        for (size_t j = 0; j < t->ncols; j++) {
            const struct cell *c = &t->cells[i * t->ncols + j];
            if (t->hide_html >> j & 1)
                continue;
            mtok_buf_puts(m, " ");
            md(m, c->text);
            if (c->sub) {
                mtok_buf_puts(m, " (");
                md(m, c->sub);
                mtok_buf_puts(m, ")");
            }
            mtok_buf_puts(m, " |");
        }
        mtok_buf_puts(m, "\n");
    }
    mtok_buf_puts(m, "\n");

    /* CSV */
    struct mtok_buf csv = {0};
    for (size_t j = 0; j < t->ncols; j++) {
        if (j)
            mtok_buf_puts(&csv, ",");
        mtok_csv_field(&csv, t->keys[j]);
    }
    mtok_buf_puts(&csv, "\r\n");
    for (size_t i = 0; i < t->nrows; i++) {
        for (size_t j = 0; j < t->ncols; j++) {
            const struct cell *c = &t->cells[i * t->ncols + j];
            if (j)
                mtok_buf_puts(&csv, ",");
            if (c->is_num)
                mtok_csv_number(&csv, c->num);
            else
                mtok_csv_field(&csv, c->text);
        }
        mtok_buf_puts(&csv, "\r\n");
    }
    char name[128];
    snprintf(name, sizeof name, "table_%s.csv", t->id);
    write_buf(r, name, &csv);
    mtok_buf_free(&csv);

    /* JSON */
    cJSON *root = cJSON_CreateObject();
    cJSON_AddStringToObject(root, "table", t->id);
    cJSON_AddStringToObject(root, "title", t->title);
    cJSON *cols = cJSON_AddArrayToObject(root, "columns");
    for (size_t j = 0; j < t->ncols; j++) {
        cJSON *c = cJSON_CreateObject();
        cJSON_AddStringToObject(c, "key", t->keys[j]);
        cJSON_AddStringToObject(c, "label", t->labels[j]);
        cJSON_AddItemToArray(cols, c);
    }
    cJSON *rows = cJSON_AddArrayToObject(root, "rows");
    for (size_t i = 0; i < t->nrows; i++) {
        cJSON *o = cJSON_CreateObject();
        for (size_t j = 0; j < t->ncols; j++) {
            const struct cell *c = &t->cells[i * t->ncols + j];
            if (!c->is_num)
                cJSON_AddStringToObject(o, t->keys[j], c->text ? c->text : "");
            else if (isfinite(c->num))
                cJSON_AddNumberToObject(o, t->keys[j], c->num);
            else
                cJSON_AddNullToObject(o, t->keys[j]);
        }
        cJSON_AddItemToArray(rows, o);
    }
    char *js = cJSON_Print(root);
    snprintf(name, sizeof name, "table_%s.json", t->id);
    write_out(r, name, js, strlen(js));
    cJSON_free(js);
    cJSON_Delete(root);
    table_free(t);
}

/* ================================================================================================
 * Charts
 * ============================================================================================== */

struct chart {
    const char *base;     /* file stem: chartN_name */
    const char *title;    /* for the HTML figure */
    struct mtok_buf body; /* everything after `set terminal` / `set output` */
    struct mtok_buf data; /* the .dat file ("" = none) */
    int width, height;
    bool rendered;
    char why[1400]; /* why not rendered */
};

static void chart_init(struct chart *c, const char *base, const char *title, int w, int hgt)
{
    memset(c, 0, sizeof *c);
    c->base = base;
    c->title = title;
    c->width = w;
    c->height = hgt;
}

static void gp_str(struct mtok_buf *b, const char *s)
{
    mtok_gnuplot_string(b, s);
}

/* The common look; `foot` is the provenance/source line drawn under the plot. */
static void chart_style(struct chart *c, const char *title, const char *foot)
{
    struct mtok_buf *b = &c->body;
    mtok_buf_puts(b, "set encoding utf8\nset title ");
    gp_str(b, title);
    mtok_buf_puts(b, " font ',15'\nset border lw 1 lc rgb '#555555'\n"
                     "set grid lc rgb '#dddddd' lw 1\nset key outside right top box "
                     "lc rgb '#bbbbbb' spacing 1.1\nset tics textcolor rgb '#333333'\n"
                     "set bmargin 6\nset label 9999 ");
    gp_str(b, foot);
    mtok_buf_puts(b, " at screen 0.01, screen 0.025 left font ',10' textcolor rgb '#555555'\n");
}

/* Eight distinguishable colours, then repeat with other point types. */
static const char *const palette[] = {"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd",
                                      "#8c564b", "#e377c2", "#17becf", "#7f7f7f", "#bcbd22"};
#define PALETTE_N (sizeof palette / sizeof *palette)

/* Write CHART.gp (svg then png, no replot so multiplot works), CHART.dat, and run gnuplot. */
static void chart_emit(struct rpt *r, struct chart *c)
{
    struct mtok_buf gp = {0};
    mtok_buf_printf(&gp,
                    "# mtok report: %s\n"
                    "# Written by `mtok report` from the database; edit and re-render with\n"
                    "#   gnuplot %s.gp\n"
                    "# in this directory (it writes %s.svg and %s.png from %s.dat).\n\n",
                    c->base, c->base, c->base, c->base, c->base);
    const char *terms[2][2] = {{"svg noenhanced dynamic", "svg"}, {"pngcairo noenhanced", "png"}};
    for (int t = 0; t < 2; t++) {
        mtok_buf_printf(&gp,
                        "set terminal %s size %d,%d font 'Helvetica,%d' background rgb 'white'\n"
                        "set output '%s.%s'\n",
                        terms[t][0], c->width, c->height, t == 0 ? 12 : 11, c->base, terms[t][1]);
        mtok_buf_puts(&gp, c->body.data ? c->body.data : "");
        mtok_buf_puts(&gp, "\nunset multiplot\nset output\nreset\n\n");
    }
    char name[160];
    snprintf(name, sizeof name, "%s.gp", c->base);
    write_buf(r, name, &gp);
    mtok_buf_free(&gp);
    snprintf(name, sizeof name, "%s.dat", c->base);
    if (!c->data.len)
        mtok_buf_puts(&c->data, "# no data\n");
    write_buf(r, name, &c->data);
    if (r->o->no_charts) {
        snprintf(c->why, sizeof c->why, "not rendered (--no-charts); run gnuplot %s.gp", c->base);
    } else if (r->gnuplot_missing) {
        snprintf(c->why, sizeof c->why, "%s", r->chart_note);
    } else {
        struct mtok_error e = {0};
        snprintf(name, sizeof name, "%s.gp", c->base);
        if (mtok_gnuplot_run(r->o->gnuplot, r->o->out_dir, name, r->o->gnuplot_timeout_s, &e) ==
            MTOK_OK) {
            c->rendered = true;
            char f[160];
            snprintf(f, sizeof f, "%s.svg", c->base);
            record_file(r, f);
            snprintf(f, sizeof f, "%s.png", c->base);
            record_file(r, f);
        } else if (e.code == MTOK_ENOTFOUND) {
            /* no gnuplot: say so once and do not try the other charts */
            r->gnuplot_missing = true;
            snprintf(c->why, sizeof c->why,
                     "charts could not be rendered: %s (install gnuplot-nox, then run gnuplot on "
                     "the .gp scripts beside this report)",
                     e.msg);
        } else {
            snprintf(c->why, sizeof c->why, "%s", e.msg);
        }
        snprintf(name, sizeof name, "%s.gp.log", c->base);
        struct mtok_buf p = {0};
        mtok_buf_printf(&p, "%s/%s", r->o->out_dir, name);
        struct stat sb;
        if (stat(p.data, &sb) == 0)
            record_file(r, name);
        mtok_buf_free(&p);
    }
    if (!c->rendered) {
        if (r->info->charts_rendered)
            snprintf(r->chart_note, sizeof r->chart_note, "%s", c->why);
        r->info->charts_rendered = false;
    }
}

/* The figure in both documents, with its provenance and source lines. */
static void chart_figure(struct rpt *r, struct chart *c, const char *caption, const char *prov,
                         const char *source)
{
    struct mtok_buf *b = &r->html;
    mtok_buf_printf(b, "<figure id=\"%s\">\n", c->base);
    if (c->rendered) {
        mtok_buf_puts(b, "<img src=\"");
        h(b, c->base);
        mtok_buf_puts(b, ".svg\" alt=\"");
        h(b, c->title);
        mtok_buf_printf(b, "\" width=\"%d\" height=\"%d\">\n", c->width, c->height);
    } else {
        mtok_buf_puts(b, "<div class=\"nochart\">Chart not rendered: ");
        h(b, c->why);
        mtok_buf_puts(b, "</div>\n");
    }
    mtok_buf_puts(b, "<figcaption><strong>");
    h(b, c->title);
    mtok_buf_puts(b, ".</strong> ");
    h(b, caption);
    mtok_buf_puts(b, "<br><span class=\"prov\">Provenance: ");
    h(b, prov);
    mtok_buf_puts(b, ". Source: ");
    h(b, source);
    mtok_buf_printf(b,
                    ".</span> <span class=\"files\">Files: <a href=\"%s.svg\">SVG</a>, "
                    "<a href=\"%s.png\">PNG</a>, <a href=\"%s.gp\">gnuplot script</a>, "
                    "<a href=\"%s.dat\">data</a></span></figcaption>\n</figure>\n",
                    c->base, c->base, c->base, c->base);
    struct mtok_buf *m = &r->md;
    if (c->rendered) {
        mtok_buf_puts(m, "![");
        md(m, c->title);
        mtok_buf_printf(m, "](%s.svg)\n\n", c->base);
    } else {
        mtok_buf_puts(m, "*Chart not rendered: ");
        md(m, c->why);
        mtok_buf_puts(m, "*\n\n");
    }
    mtok_buf_puts(m, "**");
    md(m, c->title);
    mtok_buf_puts(m, ".** ");
    md(m, caption);
    mtok_buf_puts(m, " Provenance: ");
    md(m, prov);
    mtok_buf_puts(m, ". Source: ");
    md(m, source);
    mtok_buf_printf(m, ". Files: [SVG](%s.svg), [PNG](%s.png), [script](%s.gp), [data](%s.dat)\n\n",
                    c->base, c->base, c->base, c->base);
    mtok_buf_free(&c->body);
    mtok_buf_free(&c->data);
}

/* An empty plot with a centred message (nothing measured / simulated yet). */
static void chart_placeholder(struct chart *c, const char *msg)
{
    c->height = 320;
    struct mtok_buf *b = &c->body;
    mtok_buf_puts(b, "unset key\nset xrange [0:1]\nset yrange [0:1]\nunset xtics\nunset ytics\n"
                     "set label 1 ");
    gp_str(b, msg);
    mtok_buf_puts(b, " at graph 0.5, graph 0.5 center font ',16' textcolor rgb '#888888'\n"
                     "plot NaN notitle\n");
}

/* ================================================================================================
 * Reading the cells back
 * ============================================================================================== */

static const char *prov_words(const char *p)
{
    if (!p || !*p)
        return "none";
    if (!strcmp(p, "measured"))
        return "measured (a measurement at this size on this hardware)";
    if (!strcmp(p, "calibrated"))
        return "calibrated (utilisation interpolated from measurements on this hardware)";
    if (!strcmp(p, "default"))
        return "default (roofline with sourced default efficiencies, data/sim/defaults.json)";
    if (!strcmp(p, "sol"))
        return "sol (pure roofline, speed of light)";
    return p;
}

static int prov_rank(const char *p)
{
    static const char *const order[] = {"sol", "default", "calibrated", "measured"};
    for (int i = 0; i < 4; i++)
        if (p && !strcmp(p, order[i]))
            return i;
    return -1;
}

/* The weakest provenance among the picks that have a point. */
static const char *picks_prov(struct rpt *r)
{
    int worst = 99;
    const char *name = NULL;
    size_t n = r->s->n_lengths * r->s->n_models * r->s->n_hw;
    for (size_t i = 0; i < n; i++) {
        const struct pick *p = &r->picks[i];
        if (!p->row || !p->row->fits)
            continue;
        int k = prov_rank(p->row->provenance);
        if (k >= 0 && k < worst)
            worst = k, name = p->row->provenance;
    }
    return name;
}

static void find_picks(struct rpt *r)
{
    const struct mtok_report_suite *s = r->s;
    size_t n = s->n_lengths * s->n_models * s->n_hw;
    r->picks = mtok_xcalloc(n ? n : 1, sizeof *r->picks);
    for (size_t i = 0; i < r->n_sims; i++) {
        const struct mtok_stored_sim *x = &r->sims[i];
        if (strncmp(x->key, "pick|", 5) != 0)
            continue;
        cJSON *dep = cJSON_Parse(x->deployment);
        double isl = jnum(dep, "isl"), osl = jnum(dep, "osl");
        size_t li = 0, mi = 0, hi = 0;
        while (li < s->n_lengths && !(s->lengths[li].isl == isl && s->lengths[li].osl == osl))
            li++;
        while (mi < s->n_models && strcmp(s->models[mi], x->model))
            mi++;
        while (hi < s->n_hw && strcmp(s->hw[hi], x->hw))
            hi++;
        if (li == s->n_lengths || mi == s->n_models || hi == s->n_hw) {
            cJSON_Delete(dep);
            continue;
        }
        struct pick *p = pick_at(r, li, mi, hi);
        cJSON_Delete(p->dep);
        p->row = x;
        p->dep = dep;
        p->status = jstr(dep, "status");
        if (!p->status)
            p->status = x->fits ? "ok" : "does_not_fit";
        const char *basis = jstr(cJSON_GetObjectItemCaseSensitive(dep, "price"), "basis");
        p->cost = NULL;
        p->basis = NULL;
        for (size_t k = 0; basis && k < x->n_costs; k++)
            if (!strcmp(x->costs[k].tier, basis)) {
                p->cost = &x->costs[k];
                p->basis = x->costs[k].tier;
            }
    }
}

static void free_picks(struct rpt *r)
{
    size_t n = r->s->n_lengths * r->s->n_models * r->s->n_hw;
    for (size_t i = 0; r->picks && i < n; i++)
        cJSON_Delete(r->picks[i].dep);
    free(r->picks);
}

static const char *layout_of(const struct pick *p)
{
    const char *l = jstr(cJSON_GetObjectItemCaseSensitive(p->dep, "deployment"), "layout");
    return l ? l : "";
}

/* ================================================================================================
 * Sections
 * ============================================================================================== */

static const char css[] =
    "*{box-sizing:border-box}"
    "body{font:15px/1.5 -apple-system,'Segoe UI',Helvetica,Arial,sans-serif;color:#1d2330;"
    "margin:0;background:#f5f6f8}"
    "main{max-width:1240px;margin:0 auto;padding:24px 32px 64px;background:#fff;"
    "box-shadow:0 0 0 1px #e3e6ea}"
    "h1{font-size:28px;margin:8px 0 4px}h2{font-size:21px;margin:40px 0 8px;padding-top:12px;"
    "border-top:2px solid #1d2330}h3{font-size:17px;margin:24px 0 6px}"
    "p{margin:6px 0 10px;max-width:1100px}.lede{font-size:17px;color:#333}"
    ".meta{color:#555;font-size:13px}.note{color:#555;font-size:13px}"
    "nav ol{columns:3;font-size:14px;margin:8px 0;padding-left:20px}"
    "a{color:#1f5fbf}"
    ".kpis{display:flex;flex-wrap:wrap;gap:12px;margin:14px 0}"
    ".kpi{flex:1 1 220px;border:1px solid #d8dce2;border-radius:6px;padding:10px 14px;"
    "background:#fafbfc}.kpi b{display:block;font-size:22px}.kpi span{font-size:13px;color:#555}"
    ".tablewrap{overflow-x:auto;margin:10px 0 18px}"
    "table{border-collapse:collapse;font-size:13px;min-width:100%}"
    "caption{text-align:left;font-weight:600;padding:4px 0 6px;font-size:14px}"
    "th,td{border:1px solid #dde1e6;padding:5px 7px;vertical-align:top;text-align:left}"
    "td.num{text-align:right;font-variant-numeric:tabular-nums}"
    "thead th{background:#eef1f5;position:sticky;top:0;text-align:center;font-weight:600}"
    "tbody th{text-align:left;background:#fafbfc;font-weight:600;white-space:nowrap}"
    "td.text,th.text{text-align:left}"
    "table.matrix td{min-width:92px;text-align:center}"
    "table.matrix td .sub,td .sub{display:block;font-size:11px;color:#555;font-weight:400}"
    "td.ok{background:#eaf6ec;font-weight:600}td.tco{background:#eef3fb;font-weight:600}"
    "td.unmet{background:#fff5e0;font-weight:600}"
    "td.nofit{background:#f1f1f1;color:#777}td.na{background:#fbfbfb;color:#999;font-style:italic}"
    "td.noprice{background:#f7f2fb;color:#555}td.best{outline:2px solid "
    "#2a8f3a;outline-offset:-2px}"
    "td.consistent{color:#1c7a2c;font-weight:600}td.inconsistent{color:#b3261e;font-weight:600}"
    "td.unverifiable{color:#8a6d00;font-weight:600}td.contradicted{color:#8e1b5c;font-weight:600}"
    ".legend span{display:inline-block;padding:1px 8px;margin:0 6px 4px 0;border:1px solid #dde1e6;"
    "font-size:12px}"
    "figure{margin:14px 0 22px}figure img{max-width:100%;height:auto;border:1px solid #e3e6ea}"
    "figcaption{font-size:13px;color:#333;max-width:1100px}.prov{color:#555}"
    ".files{font-weight:400;font-size:12px;color:#555}"
    ".nochart{border:2px dashed #c8ccd2;padding:40px;text-align:center;color:#777;"
    "background:#fafbfc}"
    ".banner{border-left:4px solid #d98c00;background:#fff8e8;padding:8px 12px;margin:10px 0}"
    "code{background:#f0f2f5;padding:0 3px;border-radius:3px;font-size:13px}"
    "ul{margin:4px 0 10px}li{margin:2px 0}"
    "#t-claims td:nth-child(2){min-width:300px}#t-claims td:nth-child(6){min-width:180px}"
    "#t-claims td:nth-child(7){min-width:110px}"
    "details{margin:8px 0 16px}summary{cursor:pointer;font-weight:600;font-size:14px;"
    "padding:6px 8px;background:#eef1f5;border:1px solid #dde1e6}";

static void section_header(struct rpt *r, const char *generated)
{
    const struct mtok_report_suite *s = r->s;
    struct mtok_buf *b = &r->html;
    mtok_buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
                     "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
                     "<title>");
    h(b, s->title);
    mtok_buf_printf(b, " — mtok report</title>\n<style>%s</style>\n</head>\n<body>\n<main>\n", css);
    mtok_buf_puts(b, "<h1>");
    h(b, s->title);
    mtok_buf_puts(b, "</h1>\n");
    mtok_buf_puts(&r->md, "# ");
    md(&r->md, s->title);
    mtok_buf_puts(&r->md, "\n\n");
    if (s->description)
        para(r, "lede", s->description);
    struct mtok_buf meta = {0};
    mtok_buf_printf(&meta, "Generated %s by mtok %s from the database %s. ", generated,
                    MTOK_VERSION, mtok_store_path(r->st));
    if (r->have_run)
        mtok_buf_printf(&meta, "Report run %s (suite %s) started %s on %s%s%s%s. ", r->run.uuid,
                        r->run.suite, r->run.started_at, r->run.host,
                        r->run.git_commit[0] ? ", commit " : "", r->run.git_commit,
                        r->run.dirty ? " (dirty)" : "");
    else
        mtok_buf_puts(&meta, "The database holds no report run yet: every simulated figure is "
                             "marked \"not simulated yet\" (run mtok report without --no-run). ");
    mtok_buf_printf(&meta, "Host ceilings: %s. Kernel benchmarks: %s.",
                    r->have_ceil ? r->ceil_run.started_at : "not measured yet",
                    r->have_bench ? r->bench_run.started_at : "not measured yet");
    para(r, "meta", meta.data);
    mtok_buf_free(&meta);
    if (r->chart_note[0] && !r->info->charts_rendered) {
        mtok_buf_puts(b, "<p class=\"banner\">");
        h(b, r->chart_note);
        mtok_buf_puts(b, "</p>\n");
        mtok_buf_puts(&r->md, "> ");
        md(&r->md, r->chart_note);
        mtok_buf_puts(&r->md, "\n\n");
    }
    mtok_buf_puts(b, "<nav><ol>"
                     "<li><a href=\"#summary\">Summary</a></li>"
                     "<li><a href=\"#cost\">$/M tokens by model and hardware</a></li>"
                     "<li><a href=\"#method\">How each cell is deployed and read</a></li>"
                     "<li><a href=\"#chart1_cost_output\">Chart 1: $/M output tokens</a></li>"
                     "<li><a href=\"#pareto\">Chart 2: throughput vs interactivity</a></li>"
                     "<li><a href=\"#breakeven\">Chart 5: self-host vs API</a></li>"
                     "<li><a href=\"#cells\">Every cell in detail</a></li>"
                     "<li><a href=\"#roofline\">Chart 3: this machine's roofline</a></li>"
                     "<li><a href=\"#history\">Chart 4: benchmark history</a></li>"
                     "<li><a href=\"#claims\">Published claims, recomputed</a></li>"
                     "<li><a href=\"#sources\">Sources and assumptions</a></li>"
                     "</ol></nav>\n");
}

/* Key figures: the cheapest priced cell per model at the first lengths. */
static void section_summary(struct rpt *r)
{
    const struct mtok_report_suite *s = r->s;
    heading(r, 2, "summary", "Summary");
    char ll[32];
    lengths_label(&s->lengths[0], ll, sizeof ll, '/');
    struct mtok_buf t = {0};
    mtok_buf_printf(&t,
                    "Cost per million tokens (input and output together, InferenceX's total) at "
                    "%g tok/s per user, ISL/OSL %s, %s $/GPU-hour. The cheapest hardware for each "
                    "model:",
                    s->tps_user, ll, mtok_tier_name(s->tiers[0]));
    para(r, "", t.data);
    mtok_buf_free(&t);
    mtok_buf_puts(&r->html, "<div class=\"kpis\">\n");
    size_t shown = 0;
    for (size_t mi = 0; mi < s->n_models; mi++) {
        const struct pick *best = NULL;
        size_t best_hi = 0;
        for (size_t hi = 0; hi < s->n_hw; hi++) {
            const struct pick *p = pick_at(r, 0, mi, hi);
            if (p->cost && isfinite(p->cost->usd_per_m_total) &&
                (!best || p->cost->usd_per_m_total < best->cost->usd_per_m_total))
                best = p, best_hi = hi;
        }
        if (!best)
            continue;
        char usd[32], hwl[128], out[32];
        fmt_usd(usd, sizeof usd, best->cost->usd_per_m_total);
        fmt_usd(out, sizeof out, best->cost->usd_per_m_output);
        hw_label(r, s->hw[best_hi], hwl, sizeof hwl);
        mtok_buf_puts(&r->html, "<div class=\"kpi\"><span>");
        h(&r->html, model_name(r, s->models[mi]));
        mtok_buf_printf(&r->html, "</span><b>%s / M</b><span>on ", usd);
        h(&r->html, hwl);
        mtok_buf_puts(&r->html, " (");
        h(&r->html, layout_of(best));
        mtok_buf_printf(&r->html, "%s%s); output tokens %s / M on the price sheet</span></div>\n",
                        best->basis && !strcmp(best->basis, "tco") ? ", TCO" : "",
                        !strcmp(best->status, "ok") ? "" : ", target not met", out);
        mtok_buf_puts(&r->md, "- **");
        md(&r->md, model_name(r, s->models[mi]));
        mtok_buf_puts(&r->md, "**: ");
        md(&r->md, usd);
        mtok_buf_puts(&r->md, " / M tokens on ");
        md(&r->md, hwl);
        mtok_buf_puts(&r->md, " (");
        md(&r->md, layout_of(best));
        mtok_buf_puts(&r->md, "); output ");
        md(&r->md, out);
        mtok_buf_puts(&r->md, " / M\n");
        shown++;
    }
    if (!shown) {
        mtok_buf_puts(&r->html,
                      "<div class=\"kpi\"><b>not simulated yet</b><span>no priced cell in "
                      "the database</span></div>\n");
        mtok_buf_puts(&r->md, "- not simulated yet: no priced cell in the database\n");
    }
    mtok_buf_puts(&r->html, "</div>\n");
    mtok_buf_puts(&r->md, "\n");
}

/* The $/M matrix for lengths li: every model x hardware cell filled or marked. */
static void table_cost_matrix(struct rpt *r, size_t li)
{
    const struct mtok_report_suite *s = r->s;
    char ll[32], lf[32], title[256];
    lengths_label(&s->lengths[li], ll, sizeof ll, '/');
    lengths_label(&s->lengths[li], lf, sizeof lf, '-');
    snprintf(title, sizeof title,
             "$/M tokens, ISL/OSL %s, at %g tok/s/user (total tokens, %s tier; second line: output "
             "$/M on the price sheet and the deployment)",
             ll, s->tps_user, mtok_tier_name(s->tiers[0]));
    char *id = mtok_xmalloc(64);
    snprintf(id, 64, "cost_%s", lf);
    struct table *t = table_new(id, title, s->n_hw + 1, "matrix");
    table_col(t, 0, "model", "model");
    for (size_t hi = 0; hi < s->n_hw; hi++) {
        char lab[128];
        hw_label(r, s->hw[hi], lab, sizeof lab);
        table_col(t, hi + 1, s->hw[hi], lab);
    }
    for (size_t mi = 0; mi < s->n_models; mi++) {
        struct cell *c = table_row(t);
        cell_text(&c[0], model_name(r, s->models[mi]));
        double best = INFINITY;
        size_t best_hi = SIZE_MAX;
        for (size_t hi = 0; hi < s->n_hw; hi++) {
            const struct pick *p = pick_at(r, li, mi, hi);
            struct cell *x = &c[hi + 1];
            char a[64], b[64], sub[256];
            if (!p->row) {
                cell_text(x, "not simulated yet");
                x->cls = "na";
            } else if (!strcmp(p->status, "not_measured")) {
                cell_text(x, "not measured yet");
                x->cls = "na";
                cell_tip(x, jstr(p->dep, "reason"));
            } else if (!strcmp(p->status, "does_not_fit") || !p->row->fits) {
                cell_text(x, "does not fit");
                x->cls = "nofit";
                cell_tip(x, jstr(p->dep, "reason"));
            } else if (!p->cost) {
                cell_text(x, "no price");
                x->cls = "noprice";
                snprintf(sub, sizeof sub, "%s tok/s/GPU · %s",
                         fmt_count(a, sizeof a, p->row->tok_s_per_gpu), layout_of(p));
                cell_sub(x, sub);
                cell_tip(x, jstr(cJSON_GetObjectItemCaseSensitive(p->dep, "price"), "note"));
            } else {
                bool unmet = strcmp(p->status, "ok") != 0;
                bool tco = !strcmp(p->basis, "tco");
                cell_num(x, p->cost->usd_per_m_total,
                         fmt_usd(a, sizeof a, p->cost->usd_per_m_total));
                int o = snprintf(sub, sizeof sub, "out %s · %s",
                                 fmt_usd(b, sizeof b, p->cost->usd_per_m_output), layout_of(p));
                if (tco)
                    o += snprintf(sub + o, sizeof sub - (size_t)o, " · TCO");
                if (unmet)
                    snprintf(sub + o, sizeof sub - (size_t)o, " · max %s tok/s/user",
                             fmt_sig(b, sizeof b, p->row->tok_s_per_user, 3));
                cell_sub(x, sub);
                x->cls = unmet ? "unmet" : tco ? "tco" : "ok";
                char tip[512];
                snprintf(tip, sizeof tip,
                         "%s tok/s/GPU at %s tok/s/user, batch %g; $/GPU-hour %s (%s); "
                         "provenance %s",
                         fmt_count(a, sizeof a, p->row->tok_s_per_gpu),
                         fmt_sig(b, sizeof b, p->row->tok_s_per_user, 3), jnum(p->dep, "batch"),
                         fmt_sig(sub, 32, p->cost->usd_per_gpu_hour, 4), p->basis,
                         p->row->provenance);
                cell_tip(x, tip);
                if (!unmet && p->cost->usd_per_m_total < best)
                    best = p->cost->usd_per_m_total, best_hi = hi;
            }
        }
        if (best_hi != SIZE_MAX) {
            struct cell *x = &c[best_hi + 1];
            x->cls = !strcmp(x->cls, "tco") ? "tco best" : "ok best";
        }
    }
    table_emit(r, t);
    free(id);
}

static void section_cost(struct rpt *r)
{
    const struct mtok_report_suite *s = r->s;
    heading(r, 2, "cost", "$/M tokens by model and hardware");
    struct mtok_buf t = {0};
    mtok_buf_printf(&t,
                    "Each cell is one model served on one hardware target, read at %g tok/s per "
                    "user. The headline is InferenceX's figure: the whole GPU-hour divided by the "
                    "total (input + output) token throughput per GPU, so it compares with its "
                    "dashboards. The second line is the output price of a price sheet that "
                    "recovers the same hour (GPU time split between prefill and decode). A green "
                    "outline marks the cheapest hardware for the model.",
                    s->tps_user);
    para(r, "", t.data);
    mtok_buf_free(&t);
    mtok_buf_puts(
        &r->html,
        "<p class=\"legend\"><span class=\"\" style=\"background:#eaf6ec\">priced at the "
        "tier</span><span style=\"background:#eef3fb\">priced by TCO (no tier price)</span>"
        "<span style=\"background:#fff5e0\">target not reachable: fastest point "
        "priced</span><span style=\"background:#f7f2fb\">fits, no price</span>"
        "<span style=\"background:#f1f1f1\">does not fit</span><span "
        "style=\"background:#fbfbfb\">not measured / simulated yet</span></p>\n");
    mtok_buf_puts(&r->md, "Cell colours in the HTML: priced at the tier; priced by TCO; target "
                          "not reachable (fastest point priced); fits but no price; does not "
                          "fit; not measured / simulated yet.\n\n");
    for (size_t li = 0; li < s->n_lengths; li++)
        table_cost_matrix(r, li);
    const char *prov = picks_prov(r);
    struct mtok_buf pv = {0};
    mtok_buf_printf(&pv,
                    "Provenance: %s. Source: throughputs from the mtok simulator (run %s); "
                    "$/GPU-hour tiers and purchase prices from data/hardware/*.json, TCO "
                    "assumptions from data/pricing/tco.json (each with its source in the last "
                    "section). Hover a cell for its throughput, interactivity, batch and "
                    "$/GPU-hour; the detail table below has every figure.",
                    prov ? prov_words(prov) : "none (nothing simulated yet)",
                    r->have_run ? r->run.uuid : "none");
    para(r, "note", pv.data);
    mtok_buf_free(&pv);
}

static void section_method(struct rpt *r)
{
    const struct mtok_report_suite *s = r->s;
    heading(r, 2, "method", "How each cell is deployed and read");
    struct mtok_buf t = {0};
    mtok_buf_printf(
        &t,
        "Deployment: for every model and hardware pair, the smallest power-of-two instance whose "
        "GPUs hold the weights (native checkpoint precision) plus one request's KV cache, up to "
        "%d GPUs; then parallelism options at that size and %d larger size%s: tensor parallel "
        "(TPn); for mixture-of-experts models also data-parallel attention with expert "
        "parallelism (DEPn) and tensor-parallel attention with expert parallelism (TEPn); for "
        "dense models also two pipeline stages (TPn/2xPP2). Aggregated serving with chunked "
        "prefill, no speculative decoding, no prefix-cache hits.",
        s->max_gpus, s->sizes - 1, s->sizes - 1 == 1 ? "" : "s");
    para(r, "", t.data);
    t.len = 0;
    mtok_buf_printf(
        &t,
        "Reading: each option's concurrency sweep (1, 2, 4, ... requests up to what memory holds) "
        "gives a Pareto front of tok/s/GPU against tok/s/user; the cell's front is the envelope "
        "of its options. The cost is read at %g tok/s/user: the option with the most tok/s/GPU "
        "that still gives every user at least that speed, which is the cheapest per token on that "
        "hardware. Where no option reaches the target, the fastest point (one request at a time) "
        "is priced and the cell says so.",
        s->tps_user);
    para(r, "", t.data);
    t.len = 0;
    mtok_buf_printf(&t,
                    "Price: $/GPU-hour from the hardware catalog's %s tier (InferenceX's default); "
                    "other tiers are in the detail table. Hardware without that tier is priced by "
                    "TCO from its purchase price when the catalog has one%s. Why these choices: %s "
                    "(%s%s)%s%s",
                    mtok_tier_name(s->tiers[0]), s->tco_fallback ? "" : " (disabled in this suite)",
                    s->src.source ? s->src.source : "", s->src.date ? s->src.date : "",
                    s->src.uncertain ? ", a choice" : "", s->src.note ? ". " : "",
                    s->src.note ? s->src.note : "");
    para(r, "", t.data);
    mtok_buf_free(&t);
}

/* Chart 1: $/M output tokens (price sheet) per model x hardware, first lengths: a dot plot with
 * one row per model and one marker per hardware, log scale. */
static void chart_cost_output(struct rpt *r)
{
    const struct mtok_report_suite *s = r->s;
    struct chart c;
    char ll[32], title[256], foot[512];
    lengths_label(&s->lengths[0], ll, sizeof ll, '/');
    snprintf(title, sizeof title,
             "$/M output tokens per model and hardware (ISL/OSL %s, %g tok/s/user)", ll,
             s->tps_user);
    chart_init(&c, "chart1_cost_output", "Chart 1: $/M output tokens per model and hardware", 1100,
               600);
    const char *prov = picks_prov(r);
    snprintf(foot, sizeof foot,
             "provenance: %s; source: simulator (data/sim/defaults.json), $/GPU-hour %s tier or "
             "TCO (data/hardware/*.json, data/pricing/tco.json); run %s",
             prov ? prov : "none", mtok_tier_name(s->tiers[0]), r->have_run ? r->run.uuid : "none");
    chart_style(&c, title, foot);
    struct mtok_buf *b = &c.body;
    size_t series = 0;
    struct mtok_buf plot = {0};
    double lo = INFINITY, hi = 0;
    for (size_t hw = 0; hw < s->n_hw; hw++) {
        size_t pts = 0;
        for (size_t mi = 0; mi < s->n_models; mi++) {
            const struct pick *p = pick_at(r, 0, mi, hw);
            if (!p->cost || !(p->cost->usd_per_m_output > 0))
                continue;
            if (!pts)
                mtok_buf_printf(&c.data, "# %s\n", s->hw[hw]);
            mtok_buf_printf(&c.data, "%.8g %zu\n", p->cost->usd_per_m_output, mi);
            lo = fmin(lo, p->cost->usd_per_m_output);
            hi = fmax(hi, p->cost->usd_per_m_output);
            pts++;
        }
        if (!pts)
            continue;
        mtok_buf_puts(&c.data, "\n\n");
        char lab[128];
        hw_label(r, s->hw[hw], lab, sizeof lab);
        mtok_buf_printf(&plot,
                        "%s'%s.dat' index %zu using 1:2 with points pt %zu ps 1.6 "
                        "lc rgb '%s' title ",
                        series ? ", \\\n     " : "plot ", c.base, series, 5 + 2 * (series % 4),
                        palette[series % PALETTE_N]);
        gp_str(&plot, lab);
        series++;
    }
    if (!series) {
        chart_placeholder(&c, r->have_run ? "no priced cell" : "not simulated yet");
    } else {
        mtok_buf_printf(b,
                        "set logscale x 10\nset xrange [%g:%g]\nset xlabel '$ per million "
                        "output tokens (price sheet, log scale)'\n",
                        pow(10, floor(log10(lo))), pow(10, ceil(log10(hi))));
        mtok_buf_printf(b, "set yrange [%g:-0.6]\nset ytics (", (double)s->n_models - 0.4);
        for (size_t mi = 0; mi < s->n_models; mi++) {
            if (mi)
                mtok_buf_puts(b, ", ");
            mtok_gnuplot_tic(b, model_name(r, s->models[mi]));
            mtok_buf_printf(b, " %zu", mi);
        }
        size_t longest = 10;
        for (size_t mi = 0; mi < s->n_models; mi++) {
            size_t len = strlen(model_name(r, s->models[mi]));
            longest = len > longest ? len : longest;
        }
        mtok_buf_printf(b, ")\nset grid xtics mxtics ytics\nset mxtics 10\nset lmargin %zu\n",
                        (longest > 60 ? 60 : longest) + 3);
        mtok_buf_puts(b, plot.data);
        mtok_buf_puts(b, "\n");
    }
    mtok_buf_free(&plot);
    chart_emit(r, &c);
    char cap[512];
    snprintf(cap, sizeof cap,
             "One row per model, one marker per hardware target with a price; ISL/OSL %s at %g "
             "tok/s/user. The output price is the price sheet's: decode's share of the GPU-hour "
             "divided by output tokens. Targets without a price or where the model does not fit "
             "have no marker (see the table above).",
             ll, s->tps_user);
    char src[512];
    snprintf(src, sizeof src,
             "mtok simulator (roofline with data/sim/defaults.json efficiencies), $/GPU-hour from "
             "data/hardware/*.json (%s tier; hardware without it by TCO, data/pricing/tco.json)",
             mtok_tier_name(s->tiers[0]));
    chart_figure(r, &c, cap, prov ? prov_words(prov) : "none (nothing simulated yet)", src);
}

/* Chart 2: tok/s/GPU against tok/s/user, one panel per Pareto model, one line per hardware. */
static void chart_pareto(struct rpt *r)
{
    const struct mtok_report_suite *s = r->s;
    heading(r, 2, "pareto", "Throughput against interactivity");
    char ll[32], foot[512];
    lengths_label(&s->lengths[0], ll, sizeof ll, '/');
    size_t np = s->n_pareto_models;
    struct chart c;
    chart_init(&c, "chart2_pareto", "Chart 2: tok/s/GPU against tok/s/user per hardware", 1200,
               np > 1 ? 560 : 520);
    const char *prov = picks_prov(r);
    snprintf(foot, sizeof foot,
             "provenance: %s; source: simulator concurrency sweeps (Pareto envelope of the "
             "deployment options), ISL/OSL %s; run %s",
             prov ? prov : "none", ll, r->have_run ? r->run.uuid : "none");
    struct mtok_buf *b = &c.body;
    if (!np) {
        chart_style(&c, "Pareto fronts", foot);
        chart_placeholder(&c, "no Pareto models in this suite");
    } else {
        mtok_buf_puts(b, "set multiplot layout 1,");
        mtok_buf_printf(b, "%zu\n", np);
    }
    size_t block = 0;
    static const char *const pareto_cols[][2] = {{"model", "model"},
                                                 {"hw", "hardware"},
                                                 {"layout", "deployment"},
                                                 {"gpus", "GPUs"},
                                                 {"batch", "concurrency"},
                                                 {"tok_s_per_user", "tok/s/user"},
                                                 {"tok_s_per_gpu", "tok/s/GPU"},
                                                 {"ttft_s", "TTFT s"},
                                                 {"provenance", "provenance"}};
    struct table *t =
        TABLE_OF("pareto", "Pareto fronts (the points of chart 2)", pareto_cols, NULL);
    t->collapsed = true;
    for (size_t k = 0; k < np; k++) {
        const char *mid = s->pareto_models[k];
        char title[256];
        snprintf(title, sizeof title, "%s, ISL/OSL %s", model_name(r, mid), ll);
        if (k == 0)
            chart_style(&c, title, foot);
        else {
            mtok_buf_puts(b, "set title ");
            gp_str(b, title);
            mtok_buf_puts(b, " font ',15'\n");
        }
        struct mtok_buf plot = {0};
        size_t series = 0;
        double xmax = 0;
        for (size_t hw = 0; hw < s->n_hw; hw++) {
            char prefix[512];
            snprintf(prefix, sizeof prefix, "front|%s|%s|%.0fx%.0f|", mid, s->hw[hw],
                     s->lengths[0].isl, s->lengths[0].osl);
            size_t pts = 0;
            for (size_t i = 0; i < r->n_sims; i++) {
                const struct mtok_stored_sim *x = &r->sims[i];
                if (strncmp(x->key, prefix, strlen(prefix)) != 0 || !(x->tok_s_per_gpu > 0))
                    continue;
                mtok_buf_printf(&c.data, "%.8g %.8g\n", x->tok_s_per_user, x->tok_s_per_gpu);
                xmax = fmax(xmax, x->tok_s_per_user);
                pts++;
                cJSON *dep = cJSON_Parse(x->deployment);
                struct cell *row = table_row(t);
                char a[64], lab[128];
                cell_text(&row[0], model_name(r, mid));
                hw_label(r, s->hw[hw], lab, sizeof lab);
                cell_text(&row[1], lab);
                cell_text(&row[2], jstr(dep, "layout"));
                cell_num(&row[3], jnum(dep, "gpus"), fmt_sig(a, sizeof a, jnum(dep, "gpus"), 6));
                cell_num(&row[4], jnum(dep, "batch"), fmt_sig(a, sizeof a, jnum(dep, "batch"), 8));
                cell_num(&row[5], x->tok_s_per_user, fmt_sig(a, sizeof a, x->tok_s_per_user, 4));
                cell_num(&row[6], x->tok_s_per_gpu, fmt_count(a, sizeof a, x->tok_s_per_gpu));
                cell_num(&row[7], x->ttft_s, fmt_sig(a, sizeof a, x->ttft_s, 3));
                cell_text(&row[8], x->provenance);
                cJSON_Delete(dep);
            }
            if (!pts)
                continue;
            mtok_buf_puts(&c.data, "\n\n");
            char lab[128];
            hw_label(r, s->hw[hw], lab, sizeof lab);
            mtok_buf_printf(&plot,
                            "%s'%s.dat' index %zu using 1:2 with linespoints pt %zu ps 0.9 lw 2 "
                            "lc rgb '%s' title ",
                            series ? ", \\\n     " : "plot ", c.base, block++, 5 + 2 * (hw % 4),
                            palette[hw % PALETTE_N]);
            gp_str(&plot, lab);
            series++;
        }
        mtok_buf_printf(b,
                        "set arrow 1 from %g, graph 0 to %g, graph 1 nohead dt 2 lw 1.5 "
                        "lc rgb '#444444'\nset label 2 'target %g tok/s/user' at %g, graph 0.96 "
                        "left offset 0.5,0 font ',10' textcolor rgb '#444444'\n",
                        s->tps_user, s->tps_user, s->tps_user, s->tps_user);
        if (!series) {
            mtok_buf_puts(b, "unset key\nset xrange [0:1]\nset yrange [0:1]\nunset arrow 1\n"
                             "unset label 2\nset label 1 ");
            gp_str(b, r->have_run ? "no hardware fits this model" : "not simulated yet");
            mtok_buf_puts(b, " at graph 0.5, graph 0.5 center font ',14' textcolor rgb "
                             "'#888888'\nplot NaN notitle\nunset label 1\n");
        } else {
            mtok_buf_printf(b,
                            "set xrange [0:%g]\nset logscale y 10\nset xlabel 'tok/s per user "
                            "(interactivity)'\nset ylabel 'tok/s per GPU (log scale)'\n"
                            "set key inside top right box opaque font ',10'\n",
                            ceil(fmax(xmax, s->tps_user) * 1.08 / 10) * 10);
            mtok_buf_puts(b, plot.data);
            mtok_buf_puts(b, "\nunset logscale y\n");
        }
        mtok_buf_free(&plot);
    }
    if (np)
        mtok_buf_puts(b, "unset multiplot\n");
    chart_emit(r, &c);
    char cap[512];
    snprintf(
        cap, sizeof cap,
        "InferenceX-style fronts: each line is the best tok/s/GPU a hardware target reaches at "
        "each tok/s/user, over the concurrency sweeps of its deployment options (ISL/OSL %s). "
        "The dashed line is the %g tok/s/user target the costs are read at.",
        ll, s->tps_user);
    chart_figure(r, &c, cap, prov ? prov_words(prov) : "none (nothing simulated yet)",
                 "mtok simulator, hardware figures from data/hardware/*.json");
    table_emit(r, t);
}

/* Chart 5 and its table: self-hosting against the API as utilisation falls. */
static void section_breakeven(struct rpt *r, const char *api_date)
{
    const struct mtok_report_suite *s = r->s;
    heading(r, 2, "breakeven", "Self-hosting against the API");
    char ll[32];
    lengths_label(&s->lengths[0], ll, sizeof ll, '/');
    struct mtok_buf t = {0};
    mtok_buf_printf(&t,
                    "A self-hosted fleet costs the same per hour whether it is busy or not, so its "
                    "cost per token rises as 1 / utilisation; an API charges per token. For a "
                    "request mix of ISL/OSL %s (no cache hits), the break-even utilisation is "
                    "where the two meet: self-hosting is cheaper above it. API prices are those in "
                    "force on %s (discounts applied).",
                    ll, api_date);
    para(r, "", t.data);
    mtok_buf_free(&t);
    static const char *const breakeven_cols[][2] = {
        {"model", "model"},
        {"hw", "self-hosted on"},
        {"self_usd_per_m_full", "self-host $/M at 100% busy"},
        {"api_product", "API"},
        {"api_price_id", "API price in force"},
        {"api_usd_per_m", "API $/M of the mix"},
        {"breakeven_utilisation", "break-even utilisation"},
        {"verdict", "verdict"},
        {"api_source", "API price source"}};
    struct table *tb = TABLE_OF("breakeven", "Self-host vs API break-even", breakeven_cols, NULL);
    struct chart c;
    chart_init(&c, "chart5_breakeven", "Chart 5: self-host vs API cost against utilisation", 1100,
               560);
    char foot[512];
    const char *prov = picks_prov(r);
    snprintf(foot, sizeof foot,
             "provenance: %s (self-host), list prices (API); source: data/prices/api.json in "
             "force %s, $/GPU-hour %s tier; run %s",
             prov ? prov : "none", api_date, mtok_tier_name(s->tiers[0]),
             r->have_run ? r->run.uuid : "none");
    chart_style(&c, "$/M tokens of the request mix against fleet utilisation", foot);
    struct mtok_buf plot = {0}, pts = {0};
    size_t series = 0;
    double ymin = INFINITY, ymax = 0;
    for (size_t k = 0; k < s->n_breakeven; k++) {
        const struct mtok_report_breakeven *be = &s->breakeven[k];
        size_t mi = 0;
        while (mi < s->n_models && strcmp(s->models[mi], be->model))
            mi++;
        struct cell *row = table_row(tb);
        cell_text(&row[0], model_name(r, be->model));
        cell_text(&row[3], be->product);
        /* the hardware: named, or the cheapest priced one */
        const struct pick *p = NULL;
        size_t phw = 0;
        for (size_t hw = 0; mi < s->n_models && hw < s->n_hw; hw++) {
            const struct pick *q = pick_at(r, 0, mi, hw);
            if (be->hw && strcmp(be->hw, s->hw[hw]))
                continue;
            if (q->cost && isfinite(q->cost->usd_per_m_total) && !strcmp(q->status, "ok") &&
                (!p || q->cost->usd_per_m_total < p->cost->usd_per_m_total))
                p = q, phw = hw;
        }
        struct mtok_price_query q = {.product = be->product, .date = api_date};
        struct mtok_price_in_force pf;
        struct mtok_error e = {0};
        bool api_ok = mtok_pricing_api_in_force(r->cat, &q, &pf, &e) == MTOK_OK;
        char a[64], lab[128];
        if (api_ok) {
            cell_text(&row[4], pf.effective->id);
            char src[512];
            snprintf(src, sizeof src, "%s (%s)", pf.effective->src.source, pf.effective->src.date);
            cell_text(&row[8], src);
        } else {
            cell_text(&row[4], e.msg);
            cell_text(&row[8], "");
        }
        if (!p) {
            cell_text(&row[1],
                      mi < s->n_models && r->have_run ? "no priced cell" : "not simulated yet");
            for (int j = 2; j < 8; j++)
                if (j != 3 && j != 4)
                    cell_text(&row[j], "–");
            continue;
        }
        hw_label(r, s->hw[phw], lab, sizeof lab);
        char hwcell[256];
        snprintf(hwcell, sizeof hwcell, "%s (%s%s)", lab, layout_of(p),
                 !strcmp(p->basis, "tco") ? ", TCO" : "");
        cell_text(&row[1], hwcell);
        /* the stored cost, as pricing/ describes it */
        struct mtok_token_cost tc;
        memset(&tc, 0, sizeof tc);
        tc.inputs.utilisation = r->o->tco ? r->o->tco->utilisation : 1;
        tc.usd_per_m_input = p->cost->usd_per_m_input;
        tc.usd_per_m_cached_input = p->cost->usd_per_m_cached_input;
        tc.usd_per_m_output = p->cost->usd_per_m_output;
        tc.usd_per_m_total = p->cost->usd_per_m_total;
        struct mtok_workload w = {.input_tokens = s->lengths[0].isl,
                                  .output_tokens = s->lengths[0].osl};
        struct mtok_breakeven bk;
        if (!api_ok || mtok_pricing_breakeven(&tc, pf.effective, &w, &bk, &e) != MTOK_OK) {
            for (int j = 2; j < 8; j++)
                if (j != 3 && j != 4)
                    cell_text(&row[j], j == 7 ? e.msg : "–");
            continue;
        }
        cell_num(&row[2], bk.self_usd_per_m, fmt_usd(a, sizeof a, bk.self_usd_per_m));
        cell_num(&row[5], bk.api_usd_per_m, fmt_usd(a, sizeof a, bk.api_usd_per_m));
        char v[256];
        if (bk.utilisation <= 1) {
            snprintf(a, sizeof a, "%.1f%%", 100 * bk.utilisation);
            snprintf(v, sizeof v, "self-hosting is cheaper above %.0f%% utilisation",
                     100 * bk.utilisation);
        } else {
            snprintf(a, sizeof a, "never (%.0f%%)", 100 * bk.utilisation);
            snprintf(v, sizeof v, "the API is cheaper even with the fleet fully busy (%.2gx)",
                     bk.utilisation);
        }
        cell_num(&row[6], bk.utilisation, a);
        cell_text(&row[7], v);
        /* chart: self(u) = S / u against the flat API price */
        size_t col = series % PALETTE_N;
        char label[512];
        snprintf(label, sizeof label, "%s on %s (self-host)", model_name(r, be->model), lab);
        mtok_buf_printf(&plot, "%s%.10g/x with lines lw 2.2 lc rgb '%s' title ",
                        series ? ", \\\n     " : "plot ", bk.self_usd_per_m, palette[col]);
        gp_str(&plot, label);
        snprintf(label, sizeof label, "%s API (%s)", be->product, pf.effective->kind);
        mtok_buf_printf(&plot, ", \\\n     %.10g with lines lw 1.6 dt 2 lc rgb '%s' title ",
                        bk.api_usd_per_m, palette[col]);
        gp_str(&plot, label);
        if (bk.utilisation <= 1 && bk.utilisation >= 0.01)
            mtok_buf_printf(&pts, "%.8g %.8g %zu\n", bk.utilisation, bk.api_usd_per_m, col);
        ymin = fmin(ymin, fmin(bk.self_usd_per_m, bk.api_usd_per_m));
        ymax = fmax(ymax, fmax(bk.self_usd_per_m / 0.01, bk.api_usd_per_m));
        series++;
    }
    if (!series) {
        chart_placeholder(&c, r->have_run ? "no priced cell to compare" : "not simulated yet");
    } else {
        mtok_buf_printf(&c.data, "# break-even points: utilisation, $/M, colour index\n%s",
                        pts.len ? pts.data : "");
        mtok_buf_printf(&c.body,
                        "set logscale xy 10\nset xrange [0.01:1]\nset yrange [%g:%g]\n"
                        "set xtics ('1%%%%' 0.01, '2%%%%' 0.02, '5%%%%' 0.05, '10%%%%' 0.1, "
                        "'20%%%%' 0.2, '50%%%%' 0.5, '100%%%%' 1)\n"
                        "set xlabel 'utilisation (share of paid GPU-hours serving tokens, log "
                        "scale)'\n"
                        "set ylabel '$ per million tokens of the mix (log scale)'\n"
                        "set samples 400\nset key outside right top box font ',10'\n",
                        pow(10, floor(log10(ymin))), pow(10, ceil(log10(fmin(ymax, ymin * 1e4)))));
        mtok_buf_puts(&c.body, plot.data);
        if (pts.len)
            mtok_buf_printf(&c.body,
                            ", \\\n     '%s.dat' using 1:2 with points pt 7 ps 1.8 "
                            "lc rgb '#000000' title 'break-even'",
                            c.base);
        mtok_buf_puts(&c.body, "\n");
    }
    mtok_buf_free(&plot);
    mtok_buf_free(&pts);
    chart_emit(r, &c);
    chart_figure(r, &c,
                 "Solid: the self-hosted cost of the mix, which rises as the fleet idles. Dashed: "
                 "the API's price for the same mix. A black dot marks the break-even utilisation.",
                 prov ? prov_words(prov) : "none (nothing simulated yet)",
                 "data/prices/api.json (each price's own source in the table), self-host cost "
                 "from the cells above");
    table_emit(r, tb);
}

/* Every cell with its working: throughputs, the deployment options, all tiers. */
static void section_cells(struct rpt *r)
{
    const struct mtok_report_suite *s = r->s;
    heading(r, 2, "cells", "Every cell in detail");
    para(r, "",
         "Every model, hardware and workload with the deployment chosen, the point read, the "
         "price sheet ($/M input cache miss, cached input, output) and InferenceX's figures "
         "(total; input-only and output-only charge the whole GPU-hour to one token type), every "
         "priced tier, and the options tried. The CSV and JSON hold every column.");
    static const char *const cols[][2] = {
        {"model", "model"},
        {"hw", "hardware"},
        {"isl_osl", "ISL/OSL"},
        {"status", "status"},
        {"layout", "deployment"},
        {"gpus", "GPUs"},
        {"batch", "concurrency"},
        {"tok_s_per_user", "tok/s/user"},
        {"tok_s_per_gpu", "tok/s/GPU"},
        {"input_tok_s_per_gpu", "input tok/s/GPU"},
        {"output_tok_s_per_gpu", "output tok/s/GPU"},
        {"ttft_s", "TTFT s"},
        {"price_basis", "price basis"},
        {"usd_per_gpu_hour", "$/GPU-hour"},
        {"usd_per_m_input", "$/M input"},
        {"usd_per_m_cached_input", "$/M cached input"},
        {"usd_per_m_output", "$/M output"},
        {"usd_per_m_total", "$/M total (InferenceX)"},
        {"usd_per_m_input_inferencex", "$/M input-only (InferenceX)"},
        {"usd_per_m_output_inferencex", "$/M output-only (InferenceX)"},
        {"other_tiers", "$/M total, other bases"},
        {"provenance", "provenance"},
        {"options", "options tried (tok/s/GPU at target)"},
        {"note", "note"}};
    struct table *t = TABLE_OF("cells", "Every cell", cols, NULL);
    t->collapsed = true;
    for (size_t li = 0; li < s->n_lengths; li++)
        for (size_t mi = 0; mi < s->n_models; mi++)
            for (size_t hi = 0; hi < s->n_hw; hi++) {
                const struct pick *p = pick_at(r, li, mi, hi);
                struct cell *c = table_row(t);
                char a[128], lab[128];
                cell_text(&c[0], model_name(r, s->models[mi]));
                hw_label(r, s->hw[hi], lab, sizeof lab);
                cell_text(&c[1], lab);
                lengths_label(&s->lengths[li], a, sizeof a, '/');
                cell_text(&c[2], a);
                for (size_t j = 3; j < t->ncols; j++)
                    cell_text(&c[j], "");
                for (size_t j = 3; j < t->ncols; j++)
                    c[j].cls = "text";
                if (!p->row) {
                    cell_text(&c[3], "not simulated yet");
                    continue;
                }
                cell_text(&c[3], p->status);
                cell_text(&c[21], p->row->provenance);
                const char *note = jstr(p->dep, "reason");
                const cJSON *price = cJSON_GetObjectItemCaseSensitive(p->dep, "price");
                if (!note)
                    note = jstr(price, "note");
                if (!note)
                    note = jstr(price, "tco_note");
                cell_text(&c[23], note ? note : "");
                struct mtok_buf opt = {0};
                const cJSON *o;
                cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(p->dep, "options"))
                {
                    const char *l = jstr(o, "layout");
                    if (opt.len)
                        mtok_buf_puts(&opt, "; ");
                    if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(o, "fits")))
                        mtok_buf_printf(&opt, "%s: no (%s)", l ? l : "?",
                                        jstr(o, "why") ? jstr(o, "why") : "");
                    else if (isfinite(jnum(o, "tok_s_per_gpu_at_target")))
                        mtok_buf_printf(&opt, "%s: %s", l ? l : "?",
                                        fmt_count(a, sizeof a, jnum(o, "tok_s_per_gpu_at_target")));
                    else
                        mtok_buf_printf(&opt, "%s: max %.3g tok/s/user", l ? l : "?",
                                        jnum(o, "max_tok_s_per_user"));
                }
                cell_text(&c[22], opt.data ? opt.data : "");
                mtok_buf_free(&opt);
                if (!p->row->fits)
                    continue;
                const cJSON *d = cJSON_GetObjectItemCaseSensitive(p->dep, "deployment");
                cell_text(&c[4], jstr(d, "layout"));
                struct {
                    size_t col;
                    double v;
                    int kind; /* 0 count, 1 sig, 2 usd */
                } nums[] = {{5, jnum(d, "gpus"), 1},
                            {6, jnum(p->dep, "batch"), 1},
                            {7, p->row->tok_s_per_user, 1},
                            {8, p->row->tok_s_per_gpu, 0},
                            {9, p->row->input_tok_s_per_gpu, 0},
                            {10, p->row->output_tok_s_per_gpu, 0},
                            {11, p->row->ttft_s, 1},
                            {13, p->cost ? p->cost->usd_per_gpu_hour : NAN, 1},
                            {14, p->cost ? p->cost->usd_per_m_input : NAN, 2},
                            {15, p->cost ? p->cost->usd_per_m_cached_input : NAN, 2},
                            {16, p->cost ? p->cost->usd_per_m_output : NAN, 2},
                            {17, p->cost ? p->cost->usd_per_m_total : NAN, 2}};
                for (size_t k = 0; k < sizeof nums / sizeof *nums; k++) {
                    double v = nums[k].v;
                    cell_num(&c[nums[k].col], v,
                             nums[k].kind == 0   ? fmt_count(a, sizeof a, v)
                             : nums[k].kind == 1 ? fmt_sig(a, sizeof a, v, 4)
                                                 : fmt_usd(a, sizeof a, v));
                    c[nums[k].col].cls = NULL;
                }
                cell_text(&c[12], p->basis ? p->basis : "none");
                const cJSON *ix =
                    p->basis ? cJSON_GetObjectItemCaseSensitive(
                                   cJSON_GetObjectItemCaseSensitive(price, "inferencex"), p->basis)
                             : NULL;
                cell_num(&c[18], jnum(ix, "input_only"),
                         fmt_usd(a, sizeof a, jnum(ix, "input_only")));
                cell_num(&c[19], jnum(ix, "output_only"),
                         fmt_usd(a, sizeof a, jnum(ix, "output_only")));
                c[18].cls = c[19].cls = NULL;
                struct mtok_buf other = {0};
                for (size_t k = 0; k < p->row->n_costs; k++) {
                    const struct mtok_stored_cost *x = &p->row->costs[k];
                    if (p->cost == x)
                        continue;
                    mtok_buf_printf(&other, "%s%s %s", other.len ? "; " : "", x->tier,
                                    fmt_usd(a, sizeof a, x->usd_per_m_total));
                }
                cell_text(&c[20], other.data ? other.data : "");
                mtok_buf_free(&other);
            }
    table_emit(r, t);
}

/* How far the simulator's prediction for this machine is from the measurement, for the kernels of
 * the bench run above: the pure roofline, calibrated with the point held out (leave-one-out), and
 * calibrated on the suite's previous run (held out in time). */
static void accuracy_tables(struct rpt *r)
{
    if (!r->have_bench)
        return;
    struct mtok_accuracy *a = NULL;
    struct mtok_error e = {0};
    if (mtok_accuracy_compute(r->st, r->bench_run.fingerprint, r->bench_run.suite, r->o->calib_base,
                              &a, &e) != MTOK_OK) {
        char line[1200];
        snprintf(line, sizeof line, "Prediction accuracy: not computed (%.1000s).", e.msg);
        para(r, "note", line);
        return;
    }
    char line[600];
    snprintf(line, sizeof line,
             "The simulator against the measurement on this machine, for the %zu kernels of bench "
             "run %.8s (suite %s): the pure roofline on the measured ceilings (SOL), the roofline "
             "calibrated on the same run without the kernel itself (leave-one-out), and calibrated "
             "on the suite's previous run %s (cross-run). Errors are |predicted / measured - 1|.",
             a->n, a->run, a->suite, a->base_run[0] ? a->base_run : "(none yet: run it again)");
    para(r, "note", line);
    static const char *const accuracy_cols[][2] = {{"scheme", "prediction"},
                                                   {"median_abs_error", "median |error|"},
                                                   {"worst_abs_error", "worst |error|"},
                                                   {"n", "kernels"}};
    struct table *t =
        TABLE_OF("accuracy", "Prediction accuracy on this machine", accuracy_cols, NULL);
    const struct {
        const char *name;
        const struct mtok_accuracy_stats *st;
    } rows[] = {{"SOL (uncalibrated roofline)", &a->sol},
                {"calibrated, leave-one-out", &a->loo},
                {"calibrated on the previous run", &a->cross}};
    for (size_t i = 0; i < sizeof rows / sizeof *rows; i++) {
        struct cell *c = table_row(t);
        char b[64];
        cell_text(&c[0], rows[i].name);
        bool have = rows[i].st->n > 0;
        cell_num(&c[1], have ? rows[i].st->median : NAN,
                 have ? (snprintf(b, sizeof b, "%.1f%%", 100 * rows[i].st->median), b) : "-");
        cell_num(&c[2], have ? rows[i].st->worst : NAN,
                 have ? (snprintf(b, sizeof b, "%.1f%%", 100 * rows[i].st->worst), b) : "-");
        cell_num(&c[3], (double)rows[i].st->n, fmt_sig(b, sizeof b, (double)rows[i].st->n, 6));
    }
    table_emit(r, t);
    static const char *const kc[][2] = {
        {"name", "benchmark"},          {"measured_ns", "measured ns"},  {"sol_ns", "SOL ns"},
        {"loo_ns", "leave-one-out ns"}, {"cross_ns", "previous-run ns"}, {"bound", "bound"}};
    t = TABLE_OF("accuracy_kernels", "Prediction against measurement per kernel", kc, NULL);
    for (size_t i = 0; i < a->n; i++) {
        const struct mtok_accuracy_row *x = &a->rows[i];
        struct cell *c = table_row(t);
        char b[64];
        cell_text(&c[0], x->name);
        cell_num(&c[1], x->measured_ns, fmt_count(b, sizeof b, x->measured_ns));
        cell_num(&c[2], x->sol_ns, fmt_count(b, sizeof b, x->sol_ns));
        cell_num(&c[3], x->loo_ns, fmt_count(b, sizeof b, x->loo_ns));
        cell_num(&c[4], x->cross_ns,
                 isfinite(x->cross_ns) ? fmt_count(b, sizeof b, x->cross_ns) : "-");
        cell_text(&c[5], x->bound);
    }
    table_emit(r, t);
    mtok_accuracy_destroy(a);
}

/* ---- chart 3: the host roofline with the measured kernels ---- */

struct roof {
    char name[64];
    double value;
};

/* The thread count the roofline is drawn for: the one most of the benchmarks ran on (so that
 * they are compared with the roofs they had), else the most threads measured. */
static int roof_threads(struct rpt *r)
{
    int tmax = 0, best = 0;
    size_t best_n = 0;
    for (size_t i = 0; i < r->n_ceil; i++)
        if (r->ceil[i].threads > tmax)
            tmax = r->ceil[i].threads;
    for (size_t i = 0; i < r->n_bench; i++) {
        int t = r->bench[i].threads;
        size_t n = 0;
        bool measured = false;
        for (size_t k = 0; k < r->n_ceil && !measured; k++)
            measured = r->ceil[k].threads == t;
        for (size_t k = 0; k < r->n_bench; k++)
            n += r->bench[k].threads == t;
        if (measured && (n > best_n || (n == best_n && t > best)))
            best = t, best_n = n;
    }
    return best ? best : tmax;
}

/* Peaks per dtype and bandwidths per memory level, at the thread count roof_threads picks. */
static void roofs(struct rpt *r, struct roof *peaks, size_t *np, struct roof *bws, size_t *nb)
{
    *np = *nb = 0;
    bool have_peak = false, have_plateau = false, have_read = false;
    int tmax = roof_threads(r);
    for (size_t i = 0; i < r->n_ceil; i++) {
        have_peak = have_peak || !strcmp(r->ceil[i].kind, "peak");
        have_plateau = have_plateau || !strcmp(r->ceil[i].kind, "plateau");
        have_read = have_read || !strcmp(r->ceil[i].name, "read");
    }
    const char *pk = have_peak ? "peak" : "flops", *bk = have_plateau ? "plateau" : "bandwidth";
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < r->n_ceil; i++) {
            const struct mtok_ceiling_row *c = &r->ceil[i];
            if (c->threads != tmax || !(c->value > 0))
                continue;
            struct roof *list = pass == 0 ? peaks : bws;
            size_t *n = pass == 0 ? np : nb;
            char name[64];
            if (pass == 0) {
                if (strcmp(c->kind, pk))
                    continue;
                mtok_strlcpy(name, c->name, sizeof name);
                char *dot = strchr(name, '.');
                if (dot)
                    *dot = '\0';
            } else {
                if (strcmp(c->kind, bk) || !c->level || !c->level[0] || !strcmp(c->level, "?") ||
                    (have_read && strcmp(c->name, "read")))
                    continue;
                /* one pattern per level: read when it was measured, else the best of any */
                snprintf(name, sizeof name, "%s", c->level);
            }
            size_t k = 0;
            while (k < *n && strcmp(list[k].name, name))
                k++;
            if (k == *n) {
                if (*n >= 8)
                    continue;
                mtok_strlcpy(list[k].name, name, sizeof list[k].name);
                list[k].value = 0;
                (*n)++;
            }
            if (c->value > list[k].value)
                list[k].value = c->value;
        }
}

static void section_roofline(struct rpt *r)
{
    heading(r, 2, "roofline", "This machine's roofline and the measured kernels");
    struct roof peaks[8], bws[8];
    size_t np = 0, nb = 0;
    roofs(r, peaks, &np, bws, &nb);
    struct chart c;
    chart_init(&c, "chart3_roofline", "Chart 3: host roofline with the measured kernels", 1100,
               600);
    char foot[512];
    snprintf(foot, sizeof foot, "provenance: %s; source: mtok ceilings run %s, mtok bench run %s",
             r->have_ceil ? "measured" : "not measured yet",
             r->have_ceil ? r->ceil_run.uuid : "none", r->have_bench ? r->bench_run.uuid : "none");
    char title[160];
    int rt = roof_threads(r);
    snprintf(title, sizeof title,
             "Roofline of this machine (%d thread%s) with the measured kernels", rt,
             rt == 1 ? "" : "s");
    chart_style(&c, title, foot);
    if (!np || !nb) {
        chart_placeholder(&c, "not measured yet: mtok ceilings measures this machine's roofline");
    } else {
        double pmax = 0, xlo = 0.01, xhi = 1000, ylo = INFINITY;
        for (size_t i = 0; i < np; i++)
            pmax = fmax(pmax, peaks[i].value);
        for (size_t i = 0; i < nb; i++)
            ylo = fmin(ylo, bws[i].value * xlo);
        struct mtok_buf plot = {0};
        size_t series = 0;
        char a[64];
        for (size_t i = 0; i < nb; i++) {
            char lab[720];
            snprintf(lab, sizeof lab, "%s bandwidth %s", bws[i].name,
                     fmt_si(a, sizeof a, bws[i].value, "B/s"));
            mtok_buf_printf(&plot,
                            "%s(%.8g*x < %.8g ? %.8g*x : %.8g) with lines lw 2 lc rgb '%s' "
                            "title ",
                            series++ ? ", \\\n     " : "plot ", bws[i].value, pmax, bws[i].value,
                            pmax, palette[i % PALETTE_N]);
            gp_str(&plot, lab);
        }
        for (size_t i = 0; i < np; i++) {
            char lab[720];
            snprintf(lab, sizeof lab, "%s peak %s", peaks[i].name,
                     fmt_si(a, sizeof a, peaks[i].value, "FLOP/s"));
            mtok_buf_printf(&plot, ", \\\n     %.8g with lines dt 2 lw 1.5 lc rgb '#555555' title ",
                            peaks[i].value);
            gp_str(&plot, lab);
        }
        /* kernels: one series per kernel name */
        char kernels[10][64];
        size_t nk = 0, nkp = 0;
        for (size_t i = 0; i < r->n_bench; i++) {
            const struct mtok_stored_result *x = &r->bench[i];
            size_t kl = x->kernel ? strlen(x->kernel) : 0;
            if (!(x->flops > 0 && x->bytes > 0 && x->median_ns > 0) || !kl ||
                (kl > 3 && !strcmp(x->kernel + kl - 3, "_op"))) /* a decode step's parts */
                continue;
            size_t k = 0;
            while (k < nk && strcmp(kernels[k], x->kernel))
                k++;
            if (k == nk && nk < 10)
                mtok_strlcpy(kernels[nk++], x->kernel, sizeof kernels[0]);
        }
        for (size_t k = 0; k < nk; k++) {
            size_t pts = 0;
            for (size_t i = 0; i < r->n_bench; i++) {
                const struct mtok_stored_result *x = &r->bench[i];
                if (!(x->flops > 0 && x->bytes > 0 && x->median_ns > 0) || !x->kernel ||
                    strcmp(x->kernel, kernels[k]))
                    continue;
                double ai = x->flops / x->bytes, perf = x->flops / (x->median_ns * 1e-9);
                mtok_buf_printf(&c.data, "%.8g %.8g\n", ai, perf);
                xlo = fmin(xlo, ai / 2), xhi = fmax(xhi, ai * 2);
                ylo = fmin(ylo, perf / 2);
                pts++;
            }
            mtok_buf_puts(&c.data, "\n\n");
            mtok_buf_printf(&plot,
                            ", \\\n     '%s.dat' index %zu using 1:2 with points pt %zu ps "
                            "1.6 lc rgb '%s' title ",
                            c.base, nkp++, 5 + 2 * (k % 4), palette[(k + 3) % PALETTE_N]);
            char lab[96];
            snprintf(lab, sizeof lab, "kernel %s", kernels[k]);
            gp_str(&plot, lab);
            (void)pts;
        }
        mtok_buf_printf(&c.body,
                        "set logscale xy 10\nset xrange [%g:%g]\nset yrange [%g:%g]\n"
                        "set xlabel 'arithmetic intensity (FLOP per byte moved)'\n"
                        "set ylabel 'FLOP/s (log scale)'\nset format y '%%.0e'\n"
                        "set key outside right top box font ',10'\n",
                        xlo, xhi, pow(10, floor(log10(ylo))), pow(10, ceil(log10(pmax * 1.5))));
        mtok_buf_puts(&c.body, plot.data);
        mtok_buf_puts(&c.body, "\n");
        mtok_buf_free(&plot);
    }
    chart_emit(r, &c);
    chart_figure(r, &c,
                 "Roofs: each memory level's bandwidth (slanted) and each number format's peak "
                 "(dashed), as mtok ceilings measured them on the thread count most benchmarks ran "
                 "on. Points: the reference "
                 "kernels as mtok bench measured them, at their analytic FLOPs and bytes per call "
                 "(the same counting the simulator uses), so their distance below the roof is the "
                 "utilisation that calibrates the simulator.",
                 r->have_ceil ? "measured" : "not measured yet",
                 r->have_ceil ? "this machine, mtok ceilings and mtok bench runs in the database"
                              : "mtok ceilings has not been run on this database");
    static const char *const ceilings_cols[][2] = {{"kind", "kind"},
                                                   {"name", "name"},
                                                   {"level", "level"},
                                                   {"threads", "threads"},
                                                   {"bytes", "working set bytes"},
                                                   {"value", "value"},
                                                   {"unit", "unit"}};
    struct table *t = TABLE_OF("ceilings", "Host ceilings (measured)", ceilings_cols, NULL);
    for (size_t i = 0; i < r->n_ceil; i++) {
        const struct mtok_ceiling_row *x = &r->ceil[i];
        if (strcmp(x->kind, "peak") && strcmp(x->kind, "plateau") && strcmp(x->kind, "flops") &&
            strcmp(x->kind, "cache"))
            continue; /* the bandwidth sweep's points are in the database */
        struct cell *c2 = table_row(t);
        char a[64];
        cell_text(&c2[0], x->kind);
        cell_text(&c2[1], x->name);
        cell_text(&c2[2], x->level);
        cell_num(&c2[3], x->threads, fmt_sig(a, sizeof a, x->threads, 6));
        cell_num(&c2[4], x->bytes, fmt_si(a, sizeof a, x->bytes, "B"));
        cell_num(&c2[5], x->value, fmt_si(a, sizeof a, x->value, ""));
        cell_text(&c2[6], x->unit);
    }
    if (!r->have_ceil) {
        struct cell *c2 = table_row(t);
        cell_text(&c2[0], "not measured yet");
        for (int j = 1; j < 7; j++)
            cell_text(&c2[j], "");
    }
    table_emit(r, t);
    static const char *const kc[][2] = {{"name", "benchmark"},
                                        {"threads", "threads"},
                                        {"median_ns", "median ns"},
                                        {"mad_ns", "MAD ns"},
                                        {"gflop_s", "GFLOP/s"},
                                        {"gbyte_s", "GB/s"},
                                        {"intensity", "FLOP/byte"},
                                        {"predicted_ns", "predicted ns"},
                                        {"provenance", "prediction provenance"},
                                        {"variant", "variant"}};
    t = TABLE_OF("kernels", "Kernel benchmarks (measured)", kc, NULL);
    for (size_t i = 0; i < r->n_bench; i++) {
        const struct mtok_stored_result *x = &r->bench[i];
        struct cell *c2 = table_row(t);
        char a[64];
        double sec = x->median_ns * 1e-9;
        cell_text(&c2[0], x->name);
        cell_num(&c2[1], x->threads, fmt_sig(a, sizeof a, x->threads, 6));
        cell_num(&c2[2], x->median_ns, fmt_count(a, sizeof a, x->median_ns));
        cell_num(&c2[3], x->mad_ns, fmt_count(a, sizeof a, x->mad_ns));
        double gf = x->flops > 0 && sec > 0 ? x->flops / sec / 1e9 : NAN;
        double gb = x->bytes > 0 && sec > 0 ? x->bytes / sec / 1e9 : NAN;
        double ai = x->flops > 0 && x->bytes > 0 ? x->flops / x->bytes : NAN;
        cell_num(&c2[4], gf, fmt_sig(a, sizeof a, gf, 4));
        cell_num(&c2[5], gb, fmt_sig(a, sizeof a, gb, 4));
        cell_num(&c2[6], ai, fmt_sig(a, sizeof a, ai, 3));
        double pr = x->predicted_ns > 0 ? x->predicted_ns : NAN;
        cell_num(&c2[7], pr, fmt_count(a, sizeof a, pr));
        cell_text(&c2[8], x->provenance);
        cell_text(&c2[9], x->variant);
    }
    if (!r->have_bench) {
        struct cell *c2 = table_row(t);
        cell_text(&c2[0], "not measured yet");
        for (int j = 1; j < 10; j++)
            cell_text(&c2[j], "");
    }
    table_emit(r, t);
    accuracy_tables(r);
}

/* ---- chart 4: benchmark history over commits ---- */

/* The x label of a run: its commit, or, when every run is of one commit (a working tree
 * measured again and again), the run itself by its start time. */
static void history_label(const struct mtok_run_summary *run, bool by_run, char *buf, size_t n)
{
    if (by_run)
        snprintf(buf, n, "%.10s %.5s", run->started_at,
                 run->started_at[0] ? run->started_at + 11 : "");
    else if (run->git_commit[0])
        snprintf(buf, n, "%.12s%s", run->git_commit, run->dirty ? "+" : "");
    else
        snprintf(buf, n, "run %.8s", run->uuid);
}

static void load_history(struct rpt *r)
{
    struct mtok_run_summary *runs = NULL;
    size_t n = 0;
    if (mtok_store_runs(r->st, "bench", &runs, &n) != MTOK_OK)
        return;
    bool by_run = n > 1;
    for (size_t i = 1; i < n && by_run; i++)
        by_run =
            strcmp(runs[i].git_commit, runs[0].git_commit) == 0 && runs[i].dirty == runs[0].dirty;
    r->history_by_run = by_run;
    r->commits = mtok_xcalloc(n ? n : 1, sizeof *r->commits);
    for (size_t i = 0; i < n; i++) {
        char commit[64];
        history_label(&runs[i], by_run, commit, sizeof commit);
        size_t ci = 0;
        while (ci < r->n_commits && strcmp(r->commits[ci], commit))
            ci++;
        if (ci == r->n_commits)
            mtok_strlcpy(r->commits[r->n_commits++], commit, sizeof r->commits[0]);
        struct mtok_stored_result *res = NULL;
        size_t nr = 0;
        if (mtok_store_results(r->st, runs[i].id, &res, &nr) != MTOK_OK)
            continue;
        for (size_t k = 0; k < nr; k++) {
            size_t kl = res[k].kernel ? strlen(res[k].kernel) : 0;
            if (!(res[k].median_ns > 0) || (kl > 3 && !strcmp(res[k].kernel + kl - 3, "_op")))
                continue; /* a decode step's parts are not benchmarks of their own */
            size_t si = 0;
            while (si < r->n_hist && strcmp(r->hist[si].name, res[k].name))
                si++;
            if (si == r->n_hist) {
                r->hist = mtok_xrealloc(r->hist, (r->n_hist + 1) * sizeof *r->hist);
                memset(&r->hist[si], 0, sizeof r->hist[si]);
                mtok_strlcpy(r->hist[si].name, res[k].name, sizeof r->hist[si].name);
                r->hist[si].pts = mtok_xcalloc(n, sizeof *r->hist[si].pts);
                r->n_hist++;
            }
            struct history_series *sr = &r->hist[si];
            /* the latest run of a commit replaces an earlier one */
            size_t pi = 0;
            while (pi < sr->n && strcmp(sr->pts[pi].commit, commit))
                pi++;
            if (pi == sr->n)
                sr->n++;
            mtok_strlcpy(sr->pts[pi].commit, commit, sizeof sr->pts[pi].commit);
            mtok_strlcpy(sr->pts[pi].started_at, runs[i].started_at, sizeof sr->pts[pi].started_at);
            sr->pts[pi].median_ns = res[k].median_ns;
        }
        mtok_store_results_free(res, nr);
    }
    free(runs);
}

/* How much a series says: the headline benchmarks of the kernel issue first (the decode step,
 * GEMM 2048^3, GEMV 4096 x 14336, attention at 32K), then any. */
static int history_rank(const char *name)
{
    static const char *const headline[] = {"engine_decode/", "2048x2048x2048", "4096x14336/",
                                           "ctx=32768"};
    for (int i = 0; i < 4; i++)
        if (strstr(name, headline[i]))
            return 4 - i;
    return 0;
}

static size_t commit_index(struct rpt *r, const char *commit)
{
    size_t i = 0;
    while (i < r->n_commits && strcmp(r->commits[i], commit))
        i++;
    return i;
}

static void section_history(struct rpt *r)
{
    heading(r, 2, "history", "Benchmark history over commits");
    struct chart c;
    chart_init(&c, "chart4_history", "Chart 4: benchmark history over commits", 1100, 560);
    char foot[256];
    snprintf(foot, sizeof foot, "provenance: %s; source: every complete mtok bench run in %s",
             r->n_hist ? "measured" : "not measured yet", mtok_store_path(r->st));
    chart_style(&c,
                r->history_by_run
                    ? "Median time per call over the runs of one commit (one line per benchmark)"
                    : "Median time per call over commits (one line per benchmark)",
                foot);
    /* the benchmarks seen in the most commits (or runs), at most 8, headline benchmarks first */
    size_t order[8], no = 0;
    for (size_t pick = 0; pick < 8 && pick < r->n_hist; pick++) {
        size_t best = SIZE_MAX;
        for (size_t i = 0; i < r->n_hist; i++) {
            bool taken = false;
            for (size_t k = 0; k < no && !taken; k++)
                taken = order[k] == i;
            if (taken)
                continue;
            if (best == SIZE_MAX || r->hist[i].n > r->hist[best].n ||
                (r->hist[i].n == r->hist[best].n &&
                 history_rank(r->hist[i].name) > history_rank(r->hist[best].name)))
                best = i;
        }
        order[no++] = best;
    }
    if (!no) {
        chart_placeholder(&c, "not measured yet: mtok bench records benchmarks per commit");
    } else {
        struct mtok_buf plot = {0};
        for (size_t k = 0; k < no; k++) {
            const struct history_series *sr = &r->hist[order[k]];
            for (size_t i = 0; i < sr->n; i++)
                mtok_buf_printf(&c.data, "%zu %.8g\n", commit_index(r, sr->pts[i].commit),
                                sr->pts[i].median_ns);
            mtok_buf_puts(&c.data, "\n\n");
            mtok_buf_printf(&plot,
                            "%s'%s.dat' index %zu using 1:2 with linespoints lw 2 pt %zu "
                            "lc rgb '%s' title ",
                            k ? ", \\\n     " : "plot ", c.base, k, 5 + 2 * (k % 4),
                            palette[k % PALETTE_N]);
            gp_str(&plot, sr->name);
        }
        mtok_buf_printf(&c.body,
                        "set logscale y 10\nset xrange [-0.5:%g]\nset xtics rotate by 30 "
                        "right (",
                        (double)r->n_commits - 0.5);
        for (size_t i = 0; i < r->n_commits; i++) {
            if (i)
                mtok_buf_puts(&c.body, ", ");
            mtok_gnuplot_tic(&c.body, r->commits[i]);
            mtok_buf_printf(&c.body, " %zu", i);
        }
        mtok_buf_printf(&c.body, ")\nset xlabel '%s (oldest first)' offset 0,-1\n",
                        r->history_by_run ? "run of the one commit measured" : "commit");
        mtok_buf_puts(&c.body, ""
                               "set ylabel 'median ns per call (log scale)'\n"
                               "set key outside right top box font ',9'\n");
        mtok_buf_puts(&c.body, plot.data);
        mtok_buf_puts(&c.body, "\n");
        mtok_buf_free(&plot);
    }
    chart_emit(r, &c);
    chart_figure(r, &c,
                 "The median time per call of the benchmarks seen in the most commits; for each "
                 "commit its latest complete benchmark run. A rise is a slowdown; mtok compare "
                 "and mtok history test whether it is significant.",
                 no ? "measured" : "not measured yet",
                 "mtok bench runs recorded in the database, ordered by start time");
    static const char *const history_cols[][2] = {{"benchmark", "benchmark"},
                                                  {"commit", "commit"},
                                                  {"started_at", "run started"},
                                                  {"median_ns", "median ns"}};
    struct table *t = TABLE_OF("history", "Benchmark medians per commit (ns)", history_cols, NULL);
    t->collapsed = true;
    for (size_t i = 0; i < r->n_hist; i++)
        for (size_t k = 0; k < r->hist[i].n; k++) {
            struct cell *c2 = table_row(t);
            char a[64];
            cell_text(&c2[0], r->hist[i].name);
            cell_text(&c2[1], r->hist[i].pts[k].commit);
            cell_text(&c2[2], r->hist[i].pts[k].started_at);
            cell_num(&c2[3], r->hist[i].pts[k].median_ns,
                     fmt_count(a, sizeof a, r->hist[i].pts[k].median_ns));
        }
    if (!r->n_hist) {
        struct cell *c2 = table_row(t);
        cell_text(&c2[0], "not measured yet");
        cell_text(&c2[1], "");
        cell_text(&c2[2], "");
        cell_text(&c2[3], "");
    }
    table_emit(r, t);
}

/* ---- claims ---- */

static void claim_stated(char *buf, size_t n, const struct mtok_claim_result *c)
{
    char a[64], b[64];
    mtok_claims_format(a, sizeof a, c->unit, c->is_bool, c->stated);
    if (c->is_range)
        snprintf(buf, n, "%s to %s", a,
                 mtok_claims_format(b, sizeof b, c->unit, c->is_bool, c->stated_max));
    else
        snprintf(buf, n, "%s", a);
}

static void section_claims(struct rpt *r)
{
    heading(r, 2, "claims", "Published claims, recomputed");
    size_t counts[MTOK_VERDICT_COUNT] = {0};
    for (size_t i = 0; i < r->o->n_claims; i++)
        if ((unsigned)r->o->claims[i].verdict < MTOK_VERDICT_COUNT)
            counts[r->o->claims[i].verdict]++;
    struct mtok_buf t = {0};
    mtok_buf_printf(&t,
                    "Claims from the seed articles (data/claims/), each recomputed from the "
                    "catalogs, the simulator and the price book when this report was written "
                    "(mtok claims): %zu claims, %zu hold, %zu are off, %zu are contradicted by "
                    "another source, %zu cannot be checked. Hover a verdict for how it was "
                    "computed; the CSV and JSON hold the full working.",
                    r->o->n_claims, counts[MTOK_VERDICT_CONSISTENT],
                    counts[MTOK_VERDICT_INCONSISTENT], counts[MTOK_VERDICT_CONTRADICTED],
                    counts[MTOK_VERDICT_UNVERIFIABLE]);
    para(r, "", t.data);
    mtok_buf_free(&t);
    static const char *const cols[][2] = {{"id", "claim id"},
                                          {"claim", "claim"},
                                          {"stated", "stated"},
                                          {"computed", "computed"},
                                          {"verdict", "verdict"},
                                          {"why", "contradicted by / why not checkable"},
                                          {"article", "source article"},
                                          {"detail", "how it was computed"}};
    struct table *tb = TABLE_OF("claims", "Seed claims: stated, computed, verdict", cols, NULL);
    tb->hide_html = 1u << 7; /* the working is the verdict's tooltip (and in CSV/JSON) */
    for (size_t i = 0; i < r->o->n_claims; i++) {
        const struct mtok_claim_result *c = &r->o->claims[i];
        struct cell *x = table_row(tb);
        char a[160], art[768];
        cell_text(&x[0], c->id);
        cell_text(&x[1], c->claim);
        claim_stated(a, sizeof a, c);
        if (c->is_bool || c->is_range)
            cell_text(&x[2], a);
        else
            cell_num(&x[2], c->stated, a);
        mtok_claims_format(a, sizeof a, c->unit, c->is_bool, c->computed);
        if (c->is_bool)
            cell_text(&x[3], a);
        else
            cell_num(&x[3], c->computed, a);
        cell_text(&x[4], c->verdict_text[0] ? c->verdict_text : mtok_verdict_name(c->verdict));
        x[4].cls = mtok_verdict_name(c->verdict);
        cell_tip(&x[4], c->detail);
        cell_text(&x[5], c->contradicted_by[0] ? c->contradicted_by : c->reason ? c->reason : "");
        snprintf(art, sizeof art, "%s (%s)", c->article, c->article_date ? c->article_date : "");
        cell_text(&x[6], art);
        cell_tip(&x[6], c->article_title);
        cell_text(&x[7], c->detail);
    }
    if (!r->o->n_claims) {
        struct cell *x = table_row(tb);
        cell_text(&x[0], "not evaluated");
        for (int j = 1; j < 8; j++)
            cell_text(&x[j], "");
    }
    table_emit(r, tb);
}

/* ---- sources ---- */

static void src_text(char *buf, size_t n, const struct mtok_source *s)
{
    if (!s || !s->source)
        snprintf(buf, n, "–");
    else
        snprintf(buf, n, "%s (%s)%s%s%s", s->source, s->date ? s->date : "",
                 s->uncertain ? " [uncertain]" : "", s->note ? ". " : "", s->note ? s->note : "");
}

static void section_sources(struct rpt *r)
{
    const struct mtok_report_suite *s = r->s;
    heading(r, 2, "sources", "Sources and assumptions");
    para(r, "",
         "Every hardware figure and price below comes from the catalogs in data/ with its source "
         "and date; nothing is hard-coded in the program. Provenance of simulated figures: "
         "measured (a measurement at this size on this hardware), calibrated (utilisation "
         "interpolated from measurements), default (roofline with sourced default efficiencies) "
         "or sol (pure roofline). The weakest among an operation's inputs is reported.");
    static const char *const cols[][2] = {{"id", "hardware"},
                                          {"name", "name"},
                                          {"memory_bytes", "memory"},
                                          {"bandwidth_bytes_s", "bandwidth"},
                                          {"usd_per_hour", "$/GPU-hour tiers"},
                                          {"purchase_usd", "purchase $"},
                                          {"compute_source", "compute source"},
                                          {"memory_source", "memory source"},
                                          {"price_source", "price source"}};
    struct table *t = TABLE_OF("hardware", "Hardware targets and their sources", cols, NULL);
    for (size_t i = 0; i < s->n_hw; i++) {
        const struct mtok_hw *hw = mtok_catalog_hw(r->cat, s->hw[i]);
        struct cell *x = table_row(t);
        char a[1100], lab[128];
        hw_label(r, s->hw[i], lab, sizeof lab);
        cell_text(&x[0], lab);
        if (!hw) {
            cell_text(&x[1], "not measured yet (mtok ceilings writes the host entry)");
            for (int j = 2; j < 9; j++)
                cell_text(&x[j], "");
            continue;
        }
        cell_text(&x[1], hw->name);
        cell_num(&x[2], hw->mem_bytes, fmt_si(a, sizeof a, hw->mem_bytes, "B"));
        cell_num(&x[3], hw->mem_bw, fmt_si(a, sizeof a, hw->mem_bw, "B/s"));
        struct mtok_buf tiers = {0};
        for (int k = 0; k < MTOK_TIER_COUNT; k++)
            if (hw->usd_per_hour[k] > 0)
                mtok_buf_printf(&tiers, "%s%s $%.4g", tiers.len ? ", " : "",
                                mtok_tier_name((enum mtok_tier)k), hw->usd_per_hour[k]);
        cell_text(&x[4], tiers.data ? tiers.data : "none");
        mtok_buf_free(&tiers);
        if (hw->purchase_usd > 0)
            cell_num(&x[5], hw->purchase_usd, fmt_count(a, sizeof a, hw->purchase_usd));
        else
            cell_text(&x[5], "–");
        src_text(a, sizeof a, &hw->src_compute);
        cell_text(&x[6], a);
        src_text(a, sizeof a, &hw->src_memory);
        cell_text(&x[7], a);
        src_text(a, sizeof a, &hw->src_price);
        cell_text(&x[8], a);
        for (int j = 1; j < 9; j++)
            if (j != 2 && j != 3 && j != 5)
                x[j].cls = "text";
    }
    table_emit(r, t);

    static const char *const assumptions_cols[][2] = {{"group", "group"},
                                                      {"source", "values and source"}};
    t = TABLE_OF("assumptions", "Cost and simulator assumptions", assumptions_cols, NULL);
    char a[2048];
    if (r->o->tco) {
        const struct mtok_tco_defaults *d = r->o->tco;
        struct {
            const char *name;
            const struct mtok_source *src;
            char vals[256];
        } g[4] = {{"capital (TCO)", &d->src_capital, ""},
                  {"power (TCO)", &d->src_power, ""},
                  {"hosting (TCO)", &d->src_hosting, ""},
                  {"serving", &d->src_serving, ""}};
        snprintf(g[0].vals, sizeof g[0].vals,
                 "%g years at %g%% cost of capital, server x%g, network x%g, opex %g%%/year",
                 d->years, 100 * d->cost_of_capital, d->server_capex_ratio, d->network_capex_ratio,
                 100 * d->opex_per_year);
        snprintf(g[1].vals, sizeof g[1].vals, "PUE %g, $%g/kWh, load %g, server power x%g", d->pue,
                 d->usd_per_kwh, d->load_fraction, d->server_power_ratio);
        snprintf(g[2].vals, sizeof g[2].vals, "$%g per kW-month", d->hosting_usd_per_kw_month);
        snprintf(g[3].vals, sizeof g[3].vals,
                 "utilisation %g (1 = InferenceX's basis), a cache hit costs %g x a miss",
                 d->utilisation, d->cached_input_cost_ratio);
        for (int k = 0; k < 4; k++) {
            struct cell *x = table_row(t);
            char sb[1500];
            src_text(sb, sizeof sb, g[k].src);
            snprintf(a, sizeof a, "%s. %s", g[k].vals, sb);
            cell_text(&x[0], g[k].name);
            cell_text(&x[1], a);
            x[1].cls = "text";
        }
    }
    if (r->o->sim) {
        const struct mtok_sim_defaults *d = r->o->sim;
        const char *lines[] = {d->src_memory,    d->src_efficiency, d->src_latency, d->src_network,
                               d->src_precision, d->src_kv,         d->src_serving};
        for (size_t k = 0; k < sizeof lines / sizeof *lines; k++) {
            if (!lines[k])
                continue;
            struct cell *x = table_row(t);
            cell_text(&x[0], "simulator");
            cell_text(&x[1], lines[k]);
            x[1].cls = "text";
        }
    }
    {
        struct cell *x = table_row(t);
        src_text(a, sizeof a, &s->src);
        cell_text(&x[0], "this suite's choices");
        char b2[2300];
        snprintf(b2, sizeof b2, "%s: target %g tok/s/user, tiers from %s. %s", s->file, s->tps_user,
                 mtok_tier_name(s->tiers[0]), a);
        cell_text(&x[1], b2);
        x[1].cls = "text";
    }
    table_emit(r, t);
}

/* ================================================================================================
 * mtok_report_write
 * ============================================================================================== */

void mtok_report_info_free(struct mtok_report_info *info)
{
    if (!info)
        return;
    for (size_t i = 0; i < info->n_files; i++)
        free(info->files[i]);
    free(info->files);
    info->files = NULL;
    info->n_files = 0;
}

static void count_cells(struct rpt *r)
{
    size_t n = r->s->n_lengths * r->s->n_models * r->s->n_hw;
    struct mtok_report_info *in = r->info;
    in->cells = n;
    for (size_t i = 0; i < n; i++) {
        const struct pick *p = &r->picks[i];
        if (!p->row || !strcmp(p->status, "not_measured"))
            in->cells_not_measured++;
        else if (!p->row->fits)
            in->cells_no_fit++;
        else if (p->cost)
            in->cells_priced++;
    }
}

static void write_meta_json(struct rpt *r, const char *generated)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "generated", generated);
    cJSON_AddStringToObject(o, "mtok_version", MTOK_VERSION);
    cJSON_AddStringToObject(o, "database", mtok_store_path(r->st));
    cJSON_AddStringToObject(o, "suite", r->s->name);
    cJSON_AddStringToObject(o, "report_run", r->have_run ? r->run.uuid : "");
    cJSON_AddStringToObject(o, "ceilings_run", r->have_ceil ? r->ceil_run.uuid : "");
    cJSON_AddStringToObject(o, "bench_run", r->have_bench ? r->bench_run.uuid : "");
    cJSON_AddNumberToObject(o, "tps_user_target", r->s->tps_user);
    cJSON_AddStringToObject(o, "primary_tier", mtok_tier_name(r->s->tiers[0]));
    cJSON_AddBoolToObject(o, "charts_rendered", r->info->charts_rendered);
    cJSON_AddStringToObject(o, "chart_note", r->chart_note);
    cJSON *c = cJSON_AddObjectToObject(o, "cells");
    cJSON_AddNumberToObject(c, "total", (double)r->info->cells);
    cJSON_AddNumberToObject(c, "priced", (double)r->info->cells_priced);
    cJSON_AddNumberToObject(c, "does_not_fit", (double)r->info->cells_no_fit);
    cJSON_AddNumberToObject(c, "not_measured_or_simulated", (double)r->info->cells_not_measured);
    cJSON *f = cJSON_AddArrayToObject(o, "files");
    for (size_t i = 0; i < r->info->n_files; i++)
        cJSON_AddItemToArray(f, cJSON_CreateString(r->info->files[i]));
    cJSON_AddItemToArray(f, cJSON_CreateString("report.json"));
    char *js = cJSON_Print(o);
    write_out(r, "report.json", js, strlen(js));
    cJSON_free(js);
    cJSON_Delete(o);
}

bool mtok_report_out_usable(const char *out_dir)
{
    struct stat sb;
    if (stat(out_dir, &sb) == 0)
        return S_ISDIR(sb.st_mode) && access(out_dir, W_OK | X_OK) == 0;
    char parent[4096];
    mtok_strlcpy(parent, out_dir, sizeof parent);
    size_t n = strlen(parent);
    while (n > 1 && parent[n - 1] == '/')
        parent[--n] = '\0';
    char *slash = strrchr(parent, '/');
    const char *p = !slash ? "." : slash == parent ? "/" : (*slash = '\0', parent);
    return stat(p, &sb) == 0 && S_ISDIR(sb.st_mode) && access(p, W_OK | X_OK) == 0;
}

enum mtok_status mtok_report_write(struct mtok_store *st, const struct mtok_catalog *cat,
                                   const struct mtok_report_opts *o, struct mtok_report_info *info,
                                   struct mtok_error *err)
{
    struct mtok_report_info local;
    if (!info)
        info = &local;
    memset(info, 0, sizeof *info);
    if (!o || !o->out_dir || !o->suite || !o->suite->n_tiers || !o->suite->n_lengths)
        return mtok_error_set(err, MTOK_EINVAL, "report: an output directory and a suite needed");
    if (mkdir(o->out_dir, 0777) != 0 && errno != EEXIST)
        return mtok_error_set(err, MTOK_EIO, "%s: cannot create: %s", o->out_dir, strerror(errno));
    struct rpt r = {.st = st, .cat = cat, .o = o, .s = o->suite, .info = info, .err = err};
    info->charts_rendered = true;
    enum mtok_status s;
    /* what the database holds */
    s = mtok_store_run_latest(st, &(struct mtok_run_filter){.kind = "report"}, &r.run);
    if (s == MTOK_OK) {
        r.have_run = true;
        mtok_strlcpy(info->run_uuid, r.run.uuid, sizeof info->run_uuid);
        s = mtok_store_sims(st, r.run.id, &r.sims, &r.n_sims);
    }
    if (s == MTOK_OK || s == MTOK_ENOTFOUND) {
        s = mtok_store_run_latest(st, &(struct mtok_run_filter){.kind = "ceilings"}, &r.ceil_run);
        if (s == MTOK_OK) {
            r.have_ceil = true;
            s = mtok_store_ceilings(st, r.ceil_run.id, &r.ceil, &r.n_ceil);
        }
    }
    if (s == MTOK_OK || s == MTOK_ENOTFOUND) {
        /* the latest bench run, preferring one of a full suite over the quick smoke suite */
        struct mtok_run_summary *runs = NULL;
        size_t nr = 0;
        s = mtok_store_runs(st, "bench", &runs, &nr);
        if (s == MTOK_OK) {
            s = MTOK_ENOTFOUND;
            for (int pass = 0; pass < 2 && s == MTOK_ENOTFOUND; pass++)
                for (size_t i = nr; i-- > 0;)
                    if (pass || strcmp(runs[i].suite, "quick") != 0) {
                        r.bench_run = runs[i];
                        s = MTOK_OK;
                        break;
                    }
        }
        free(runs);
        if (s == MTOK_OK) {
            r.have_bench = true;
            s = mtok_store_results(st, r.bench_run.id, &r.bench, &r.n_bench);
        }
    }
    if (s != MTOK_OK && s != MTOK_ENOTFOUND) {
        s = mtok_error_set(err, MTOK_EDB, "%s", mtok_store_errmsg(st));
        mtok_store_sims_free(r.sims, r.n_sims);
        free(r.ceil);
        mtok_store_results_free(r.bench, r.n_bench);
        return s;
    }
    load_history(&r);
    info->have_ceilings = r.have_ceil;
    info->have_bench = r.have_bench;
    info->have_history = r.n_hist > 0;
    find_picks(&r);
    count_cells(&r);

    char generated[32], api_date[16];
    mtok_wall_iso8601(generated, sizeof generated);
    if (o->api_date)
        mtok_strlcpy(api_date, o->api_date, sizeof api_date);
    else
        snprintf(api_date, sizeof api_date, "%.10s", r.have_run ? r.run.started_at : generated);

    /* the body first (it renders the charts), then the header that reports how that went */
    section_summary(&r);
    section_cost(&r);
    section_method(&r);
    chart_cost_output(&r);
    chart_pareto(&r);
    section_breakeven(&r, api_date);
    section_cells(&r);
    section_roofline(&r);
    section_history(&r);
    section_claims(&r);
    section_sources(&r);
    struct mtok_buf body = r.html, mbody = r.md;
    memset(&r.html, 0, sizeof r.html);
    memset(&r.md, 0, sizeof r.md);
    section_header(&r, generated);
    mtok_buf_append(&r.html, body.data, body.len);
    mtok_buf_append(&r.md, mbody.data, mbody.len);
    mtok_buf_free(&body);
    mtok_buf_free(&mbody);
    mtok_buf_puts(&r.html, "<footer><p class=\"meta\">Every table has a CSV and a JSON file "
                           "beside this page; every chart its gnuplot script (.gp) and data "
                           "(.dat). report.md is this report in Markdown; report.json lists "
                           "every file.</p></footer>\n</main>\n</body>\n</html>\n");
    write_buf(&r, "index.html", &r.html);
    write_buf(&r, "report.md", &r.md);
    snprintf(info->index_html, sizeof info->index_html, "%s/index.html", o->out_dir);
    if (!info->charts_rendered)
        mtok_strlcpy(info->chart_note, r.chart_note, sizeof info->chart_note);
    write_meta_json(&r, generated);

    mtok_buf_free(&r.html);
    mtok_buf_free(&r.md);
    free_picks(&r);
    mtok_store_sims_free(r.sims, r.n_sims);
    free(r.ceil);
    mtok_store_results_free(r.bench, r.n_bench);
    for (size_t i = 0; i < r.n_hist; i++)
        free(r.hist[i].pts);
    free(r.hist);
    free(r.commits);
    if (info == &local)
        mtok_report_info_free(info);
    return r.status;
}
