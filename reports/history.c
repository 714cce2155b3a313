/* The chart of `mtok history`: each benchmark's median over commits relative to its first point,
 * step changes circled. Written like the report's charts: data file, gnuplot script (every string
 * through the gnuplot escaper, noenhanced terminals) and gnuplot run with a timeout. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"
#include "reports/reports.h"

enum mtok_status mtok_report_history_chart(const struct mtok_history *h, const char *out_path,
                                           const char *gnuplot, double timeout_s, bool *rendered,
                                           struct mtok_error *err)
{
    *rendered = false;
    size_t len = strlen(out_path);
    bool svg = len > 4 && strcmp(out_path + len - 4, ".svg") == 0;
    struct mtok_buf dat = {0}, gp = {0}, datpath = {0}, gppath = {0};
    /* The data: one block per benchmark; x = position in commit order. Times are relative to the
     * benchmark's first point, so that every benchmark fits one axis. */
    mtok_buf_printf(&dat, "# mtok history: x commit median_ns relative step(0/1) run\n");
    for (size_t s = 0; s < h->n; s++) {
        const struct mtok_history_series *se = &h->series[s];
        mtok_buf_puts(&dat, "# benchmark ");
        for (const char *c = se->name; *c; c++) /* a comment line: no newline may end it early */
            mtok_buf_append(&dat, (*c == '\n' || *c == '\r') ? " " : c, 1);
        mtok_buf_puts(&dat, "\n");
        for (size_t i = 0; i < se->n; i++) {
            const struct mtok_history_point *p = &se->points[i];
            char commit[16];
            size_t k = 0;
            for (const char *c = p->commit; *c && k < 10; c++) /* hex: no spaces or quotes */
                if ((*c >= '0' && *c <= '9') || (*c >= 'a' && *c <= 'f') ||
                    (*c >= 'A' && *c <= 'F'))
                    commit[k++] = *c;
            commit[k] = '\0';
            mtok_buf_printf(&dat, "%zu %s %.6g %.6g %d %s\n", i, k ? commit : "unknown",
                            p->median_ns, p->median_ns / se->points[0].median_ns, p->step ? 1 : 0,
                            p->run_uuid[0] ? p->run_uuid : "-");
        }
        mtok_buf_puts(&dat, "\n\n");
    }
    mtok_buf_printf(&datpath, "%s.dat", out_path);
    mtok_buf_printf(&gppath, "%s.gp", out_path);
    const char *datbase = strrchr(datpath.data, '/');
    datbase = datbase ? datbase + 1 : datpath.data;
    const char *outbase = strrchr(out_path, '/');
    outbase = outbase ? outbase + 1 : out_path;
    const char *gpbase = strrchr(gppath.data, '/');
    gpbase = gpbase ? gpbase + 1 : gppath.data;

    mtok_buf_puts(&gp, "# Written by mtok history; re-render with: gnuplot ");
    mtok_gnuplot_string(&gp, gpbase);
    mtok_buf_printf(&gp, "\nset terminal %s noenhanced size 1200,700 font 'sans,10'\n",
                    svg ? "svg" : "pngcairo");
    mtok_buf_puts(&gp, "set output ");
    mtok_gnuplot_string(&gp, outbase);
    mtok_buf_printf(&gp,
                    "\nset title 'Benchmark medians over %s (1 = first point); circled: step "
                    "change'\n",
                    h->git_order ? "commits (git order)" : "runs (time order)");
    mtok_buf_puts(&gp, "set ylabel 'median time relative to the first point'\n"
                       "set xlabel 'commit'\nset xtics rotate by -45\nset grid\n"
                       "set key outside right top\n");
    if (h->n == 0) {
        mtok_buf_puts(&gp, "set label 'no benchmark runs' at graph 0.5, graph 0.5 center\n"
                           "plot [0:1] [0:1] 1/0 notitle\n");
    } else {
        mtok_buf_puts(&gp, "plot ");
        for (size_t s = 0; s < h->n; s++) {
            mtok_buf_printf(&gp, "%s\\\n  ", s ? ", " : "");
            mtok_gnuplot_string(&gp, datbase);
            mtok_buf_printf(&gp, " index %zu using 1:4:xtic(2) with linespoints title ", s);
            mtok_gnuplot_string(&gp, h->series[s].name);
            mtok_buf_puts(&gp, ", \\\n  ");
            mtok_gnuplot_string(&gp, datbase);
            mtok_buf_printf(&gp,
                            " index %zu using 1:($5 > 0 ? $4 : 1/0) with points pt 6 ps 3 lc "
                            "rgb 'red' notitle",
                            s);
        }
        mtok_buf_puts(&gp, "\n");
    }
    enum mtok_status st = mtok_file_write(datpath.data, dat.data, dat.len, err);
    if (st == MTOK_OK)
        st = mtok_file_write(gppath.data, gp.data, gp.len, err);
    if (st == MTOK_OK) {
        /* gnuplot runs in the chart's folder, where the script names its files; its failing is
         * not an error (the script and data are written; *rendered says it did not run). */
        char *dir = mtok_xstrdup(out_path);
        char *slash = strrchr(dir, '/');
        if (slash)
            *slash = '\0';
        struct mtok_error gerr = {0};
        *rendered = mtok_gnuplot_run(gnuplot, slash ? (dir[0] ? dir : "/") : ".", gpbase, timeout_s,
                                     &gerr) == MTOK_OK;
        free(dir);
    }
    mtok_buf_free(&dat), mtok_buf_free(&gp), mtok_buf_free(&datpath), mtok_buf_free(&gppath);
    return st;
}
