/* reports: the $/M-token report. Writers for HTML, Markdown, CSV and JSON, gnuplot scripts and
 * their invocation, and the report suite that fills the database the report is rendered from.
 *
 * reports computes no model numbers. The suite runner (mtok_report_suite_run) only orchestrates:
 * sim/ chooses deployments and evaluates them (mtok_cell_eval), pricing/ turns them into $/M
 * tokens, store/ records them as ONE run. The renderer (mtok_report_write) reads that run, the
 * latest host ceilings, benchmark results and their history back from the store, asks pricing/ for
 * API prices and break-evens, and formats what it is given; every figure keeps its provenance
 * (measured / calibrated / default / sol) and its source.
 *
 * Output safety: every string that reaches a file goes through one of the escapers below (HTML,
 * Markdown, CSV, gnuplot); numbers are written with printf formats. gnuplot is run with a fixed
 * argv (no shell), in the output directory, with a timeout; when it is missing or fails, the
 * report says so and everything else (scripts included) is still written.
 *
 * Nothing here prints or keeps global state. Functions are thread-compatible (not for concurrent
 * use of one store handle). */
#ifndef MTOK_REPORTS_H
#define MTOK_REPORTS_H

#include "catalog/catalog.h"
#include "claims/claims.h"
#include "core/core.h"
#include "pricing/pricing.h"
#include "sim/sim.h"
#include "store/store.h"

/* ================================================================================================
 * Escaping. Each appends the escaped form of s (NULL = "") to b.
 * ============================================================================================== */

/* HTML text and attribute values: & < > " ' become entities; control characters other than tab
 * become spaces; invalid UTF-8 bytes become U+FFFD. */
void mtok_html_escape(struct mtok_buf *b, const char *s);
/* Markdown table cells and text: the characters Markdown (CommonMark, GitHub's tables and math)
 * acts on inside a line are backslash-escaped: \ ` * _ [ ] | # $ ~; < > & become entities (no
 * inline HTML); newlines and other controls become spaces. */
void mtok_md_escape(struct mtok_buf *b, const char *s);
/* One CSV field (RFC 4180): quoted when it holds a comma, quote, CR or LF (quotes doubled). A text
 * field starting with = + - @ or a tab gets a leading ' so that spreadsheets do not run it as a
 * formula. Use mtok_csv_number for numbers. */
void mtok_csv_field(struct mtok_buf *b, const char *s);
/* A number for CSV: %.10g, or an empty field for NAN/inf. */
void mtok_csv_number(struct mtok_buf *b, double v);
/* A gnuplot string literal in single quotes: ' is doubled, control characters become spaces. In
 * single quotes gnuplot expands neither backquotes, macros (@) nor backslash escapes, and with
 * `noenhanced` terminals nothing is markup; so the literal is shown as the text it holds. */
void mtok_gnuplot_string(struct mtok_buf *b, const char *s);
/* The same for a tic label (set xtics ('label' pos, ...)), which gnuplot also reads as a printf
 * format of the tic's position: % is doubled as well. */
void mtok_gnuplot_tic(struct mtok_buf *b, const char *s);

/* ================================================================================================
 * gnuplot
 * ============================================================================================== */

/* Run `program script` (program NULL = "gnuplot", looked up in PATH; script relative to dir) with
 * the working directory dir, stdin from /dev/null and stdout/stderr to dir/script.log, killing it
 * after timeout_s seconds (<= 0: 60). No shell is involved. MTOK_ENOTFOUND when the program cannot
 * be run, MTOK_EIO when it fails or times out (err says which, with the log's last line). */
enum mtok_status mtok_gnuplot_run(const char *program, const char *dir, const char *script,
                                  double timeout_s, struct mtok_error *err);

/* The chart of `mtok history` (bench/bench.h builds the series): OUT (.png or .svg by extension),
 * its data OUT.dat and gnuplot script OUT.gp beside it, then gnuplot (program NULL = "gnuplot") run
 * on the script with a timeout (<= 0: 60 s); *rendered says whether it produced the chart. Fails
 * only when a file cannot be written. */
struct mtok_history;
enum mtok_status mtok_report_history_chart(const struct mtok_history *h, const char *out_path,
                                           const char *gnuplot, double timeout_s, bool *rendered,
                                           struct mtok_error *err);

/* ================================================================================================
 * The report suite: data/reports/NAME.json (format in data/SCHEMA.md)
 * ============================================================================================== */

struct mtok_report_lengths {
    double isl, osl;
};

/* A self-host vs API comparison: `model` served on `hw` (NULL = the hardware with the lowest
 * total $/M at the primary tier) against the API `product` (a price-book product or model id). */
struct mtok_report_breakeven {
    char *model, *hw, *product;
};

struct mtok_report_suite {
    char *name, *title, *description, *file;
    char **models;
    size_t n_models;
    char **hw; /* catalog ids; "host" may be absent from the catalog (not measured yet) */
    size_t n_hw;
    struct mtok_report_lengths *lengths;
    size_t n_lengths;
    double tps_user;       /* the interactivity target costs are read at */
    int max_gpus, sizes;   /* struct mtok_cell_opts */
    enum mtok_tier *tiers; /* priced tiers; the first is the primary (the table's) */
    size_t n_tiers;
    bool tco_fallback;    /* hardware without the primary tier is priced by TCO when it can be */
    char **pareto_models; /* models whose Pareto fronts are charted (first lengths) */
    size_t n_pareto_models;
    struct mtok_report_breakeven *breakeven;
    size_t n_breakeven;
    bool ceilings, bench;   /* measure host ceilings / a quick kernel bench as part of the run */
    struct mtok_source src; /* why these choices (the target, the lengths) */
};

/* Load and check a report suite: NAME (data/reports/NAME.json in data_dir, else the embedded data/)
 * or a path to a file (anything with a '/' or ending in .json). Model and hardware ids are checked
 * against cat (hardware "host" may be missing). Every problem is one `FILE: FIELD: problem` line;
 * on any problem *out is NULL and MTOK_EINVAL (MTOK_ENOTFOUND / MTOK_EIO for the file) returned. */
enum mtok_status mtok_report_suite_load(struct mtok_report_suite **out, const char *name_or_path,
                                        const char *data_dir, const struct mtok_catalog *cat,
                                        struct mtok_diags *diags);
/* The same for JSON text; `name` names it in diagnostics. */
enum mtok_status mtok_report_suite_parse(struct mtok_report_suite **out, const char *name,
                                         const char *json, size_t len,
                                         const struct mtok_catalog *cat, struct mtok_diags *diags);
/* No-op on NULL. */
void mtok_report_suite_destroy(struct mtok_report_suite *s);
/* Cells the suite evaluates (models x hardware x lengths). */
size_t mtok_report_suite_cells(const struct mtok_report_suite *s);

struct mtok_report_run_opts {
    const struct mtok_sim_defaults *sim;    /* required */
    const struct mtok_tco_defaults *tco;    /* required: utilisation, cache ratio, TCO inputs */
    const struct mtok_calib *calib;         /* NULL = the defaults' table */
    const char *args;                       /* recorded as the run's command line, may be NULL */
    const struct mtok_machine_row *machine; /* recorded with the run, may be NULL */
    const struct mtok_build_row *build;     /* recorded with the run, may be NULL */
    /* called after each cell with cells done so far and the total; may be NULL */
    void (*progress)(void *arg, size_t done, size_t total);
    void *progress_arg;
};

/* Evaluate every cell and record ONE run of kind "report" (suite = the suite's name) in st:
 *   - per cell, a simulation row "pick|MODEL|HW|ISLxOSL" (the point read at the target; fits
 *     false when nothing fits or the hardware is not measured) whose deployment JSON holds the
 *     role, the status (ok, target_unmet, does_not_fit, not_measured), the layout and every option
 *     tried with why it was refused, the price basis and note, and InferenceX's input-only and
 *     output-only figures per tier;
 *   - per cell, the Pareto front as rows "front|MODEL|HW|ISLxOSL|i";
 *   - per priced pick, a cost row per tier the hardware has, plus "tco" when it has a purchase
 *     price.
 * The run is committed in one transaction; on failure it is marked failed and nothing of it is
 * written. run_uuid (may be NULL) receives its UUID. */
enum mtok_status mtok_report_suite_run(const struct mtok_report_suite *s,
                                       const struct mtok_catalog *cat, struct mtok_store *st,
                                       const struct mtok_report_run_opts *o, char run_uuid[33],
                                       struct mtok_error *err);

/* ================================================================================================
 * Rendering
 * ============================================================================================== */

struct mtok_report_opts {
    const char *out_dir; /* created if missing (one level) */
    /* presentation: model/hardware order, lengths, target, tiers, Pareto models, break-evens.
     * Required (the CLI loads the suite the run was made with, or the default). */
    const struct mtok_report_suite *suite;
    /* the seed-claims table (from claims/); NULL with n 0 = "not evaluated" */
    const struct mtok_claim_result *claims;
    size_t n_claims;
    const struct mtok_tco_defaults *tco; /* sources of the cost assumptions; may be NULL */
    const struct mtok_sim_defaults *sim; /* sources of the simulator's assumptions; may be NULL */
    /* the simulator's default calibration without this machine's measurements, which the accuracy
     * table calibrates from (held-out points must not be in it); NULL = none */
    const struct mtok_calib *calib_base;
    const char *gnuplot;                 /* program; NULL = "gnuplot" */
    double gnuplot_timeout_s;            /* per chart; <= 0 = 60 */
    bool no_charts;                      /* write the scripts but do not run gnuplot */
    const char *api_date; /* YYYY-MM-DD for API prices in force; NULL = the run's date */
};

#define MTOK_REPORT_CHARTS 5

struct mtok_report_info {
    char index_html[1024]; /* path of index.html */
    char **files;          /* every file written, relative to out_dir */
    size_t n_files;
    bool charts_rendered;  /* every chart was rendered to SVG and PNG */
    char chart_note[1400]; /* why not, one line ("" when they were) */
    char run_uuid[33];     /* the report run rendered ("" = none in the database) */
    size_t cells, cells_priced, cells_no_fit, cells_not_measured;
    bool have_ceilings, have_bench, have_history;
};

/* Write index.html, report.md, the CSV and JSON of every table, and the five charts (.gp script,
 * .dat data, .svg and .png) into o->out_dir from what st holds (the latest complete report,
 * ceilings and bench runs; every complete bench run for the history) and cat (names, sources,
 * API prices). An empty database renders with "not measured yet" / "not simulated yet" markers.
 * MTOK_EIO when a file cannot be written, MTOK_EDB when the store fails; gnuplot failing is not
 * an error (info->chart_note says so). info may be NULL; free with mtok_report_info_free. */
enum mtok_status mtok_report_write(struct mtok_store *st, const struct mtok_catalog *cat,
                                   const struct mtok_report_opts *o, struct mtok_report_info *info,
                                   struct mtok_error *err);
void mtok_report_info_free(struct mtok_report_info *info);
/* Whether mtok_report_write can write into `out_dir`: a writable folder, or one it can make (it
 * makes one level, so the parent must exist and be writable). For checking before a command
 * measures or records anything. */
bool mtok_report_out_usable(const char *out_dir);

#endif
