#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

struct cli_table {
    int ncols;
    size_t nrows, cap;
    char **cells; /* row-major, row 0 is the header */
};

struct cli_table *cli_table_create(int ncols, const char *const *header)
{
    struct cli_table *t = mtok_xcalloc(1, sizeof *t);
    t->ncols = ncols;
    t->cap = 16;
    t->cells = mtok_xmalloc(t->cap * (size_t)ncols * sizeof *t->cells);
    for (int i = 0; i < ncols; i++)
        t->cells[i] = mtok_xstrdup(header[i]);
    t->nrows = 1;
    return t;
}

void cli_table_row(struct cli_table *t, ...)
{
    if (t->nrows == t->cap) {
        t->cap *= 2;
        t->cells = mtok_xrealloc(t->cells, t->cap * (size_t)t->ncols * sizeof *t->cells);
    }
    va_list ap;
    va_start(ap, t);
    for (int i = 0; i < t->ncols; i++) {
        const char *s = va_arg(ap, const char *);
        t->cells[t->nrows * (size_t)t->ncols + (size_t)i] = mtok_xstrdup(s ? s : "");
    }
    va_end(ap);
    t->nrows++;
}

/* Display width: count UTF-8 lead bytes only, so names with accents still line up. */
static size_t width(const char *s)
{
    size_t w = 0;
    for (; *s; s++)
        w += ((unsigned char)*s & 0xC0) != 0x80;
    return w;
}

void cli_table_print(struct cli_table *t, FILE *out)
{
    size_t *w = mtok_xcalloc((size_t)t->ncols, sizeof *w);
    for (size_t r = 0; r < t->nrows; r++)
        for (int c = 0; c < t->ncols; c++) {
            size_t x = width(t->cells[r * (size_t)t->ncols + (size_t)c]);
            if (x > w[c])
                w[c] = x;
        }
    for (size_t r = 0; r < t->nrows; r++) {
        for (int c = 0; c < t->ncols; c++) {
            const char *s = t->cells[r * (size_t)t->ncols + (size_t)c];
            fputs(s, out);
            if (c + 1 < t->ncols)
                fprintf(out, "%*s", (int)(w[c] - width(s) + 2), "");
        }
        fputc('\n', out);
        if (r == 0) {
            for (int c = 0; c < t->ncols; c++) {
                for (size_t k = 0; k < w[c]; k++)
                    fputc('-', out);
                if (c + 1 < t->ncols)
                    fputs("  ", out);
            }
            fputc('\n', out);
        }
    }
    free(w);
}

void cli_table_destroy(struct cli_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nrows * (size_t)t->ncols; i++)
        free(t->cells[i]);
    free(t->cells);
    free(t);
}
