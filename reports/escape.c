/* Escaping for every output format the report writes. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "reports/reports.h"

/* Length of the valid UTF-8 sequence at s (1..4), or 0 when the bytes there are not one. */
static size_t utf8_len(const unsigned char *s)
{
    size_t n = s[0] < 0x80             ? 1
               : (s[0] & 0xe0) == 0xc0 ? 2
               : (s[0] & 0xf0) == 0xe0 ? 3
               : (s[0] & 0xf8) == 0xf0 ? 4
                                       : 0;
    for (size_t i = 1; i < n; i++)
        if (!s[i] || (s[i] & 0xc0) != 0x80)
            return 0;
    return n && mtok_utf8_valid((const char *)s, n) ? n : 0;
}

void mtok_html_escape(struct mtok_buf *b, const char *s)
{
    mtok_buf_puts(b, "");
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p;) {
        switch (*p) {
        case '&':
            mtok_buf_puts(b, "&amp;");
            p++;
            continue;
        case '<':
            mtok_buf_puts(b, "&lt;");
            p++;
            continue;
        case '>':
            mtok_buf_puts(b, "&gt;");
            p++;
            continue;
        case '"':
            mtok_buf_puts(b, "&quot;");
            p++;
            continue;
        case '\'':
            mtok_buf_puts(b, "&#39;");
            p++;
            continue;
        default: break;
        }
        if (*p < 0x20 || *p == 0x7f) {
            mtok_buf_puts(b, *p == '\t' ? "\t" : " ");
            p++;
            continue;
        }
        size_t n = utf8_len(p);
        if (!n) {
            mtok_buf_puts(b, "\xef\xbf\xbd");
            p++;
            continue;
        }
        mtok_buf_append(b, (const char *)p, n);
        p += n;
    }
}

void mtok_md_escape(struct mtok_buf *b, const char *s)
{
    mtok_buf_puts(b, "");
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p;) {
        if (*p == '<') {
            mtok_buf_puts(b, "&lt;"), p++;
        } else if (*p == '>') {
            mtok_buf_puts(b, "&gt;"), p++;
        } else if (*p == '&') {
            mtok_buf_puts(b, "&amp;"), p++;
        } else if (*p < 0x20 || *p == 0x7f) {
            mtok_buf_puts(b, " "), p++;
        } else if (strchr("\\`*_[]|#$~", *p)) {
            char e[3] = {'\\', (char)*p, 0};
            mtok_buf_puts(b, e), p++;
        } else {
            size_t n = utf8_len(p);
            if (!n) {
                mtok_buf_puts(b, "\xef\xbf\xbd"), p++;
            } else {
                mtok_buf_append(b, (const char *)p, n);
                p += n;
            }
        }
    }
}

void mtok_csv_field(struct mtok_buf *b, const char *s)
{
    s = s ? s : "";
    bool formula = strchr("=+-@\t\r", s[0]) && s[0];
    bool quote = formula || strpbrk(s, ",\"\r\n") != NULL;
    if (quote)
        mtok_buf_puts(b, "\"");
    if (formula)
        mtok_buf_puts(b, "'");
    for (const char *p = s; *p; p++) {
        if (*p == '"')
            mtok_buf_puts(b, "\"\"");
        else
            mtok_buf_append(b, p, 1);
    }
    if (quote)
        mtok_buf_puts(b, "\"");
}

void mtok_csv_number(struct mtok_buf *b, double v)
{
    if (isfinite(v))
        mtok_buf_printf(b, "%.10g", v);
}

static void gnuplot_literal(struct mtok_buf *b, const char *s, bool tic)
{
    mtok_buf_puts(b, "'");
    for (const unsigned char *p = (const unsigned char *)(s ? s : ""); *p;) {
        if (*p == '\'') {
            mtok_buf_puts(b, "''"), p++;
        } else if (tic && *p == '%') {
            mtok_buf_puts(b, "%%"), p++;
        } else if (*p < 0x20 || *p == 0x7f) {
            mtok_buf_puts(b, " "), p++;
        } else {
            size_t n = utf8_len(p);
            if (!n) {
                mtok_buf_puts(b, "?"), p++;
            } else {
                mtok_buf_append(b, (const char *)p, n);
                p += n;
            }
        }
    }
    mtok_buf_puts(b, "'");
}

void mtok_gnuplot_string(struct mtok_buf *b, const char *s)
{
    gnuplot_literal(b, s, false);
}

void mtok_gnuplot_tic(struct mtok_buf *b, const char *s)
{
    gnuplot_literal(b, s, true);
}
