#define _GNU_SOURCE /* memmem */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/internal.h"

static void field_name(char *buf, size_t n, const char *path, const char *key)
{
    if (!key || !*key)
        snprintf(buf, n, "%s", (path && *path) ? path : "(document)");
    else if (path && *path)
        snprintf(buf, n, "%s.%s", path, key);
    else
        snprintf(buf, n, "%s", key);
}

void ck_fail(struct ck *ck, const char *path, const char *key, const char *fmt, ...)
{
    /* A hostile file can hold millions of problems (unknown keys): report the first ones. */
    if (++ck->errors > CK_MAX_REPORTED) {
        if (ck->errors == CK_MAX_REPORTED + 1)
            mtok_diags_add(ck->d, ck->file, "(document)",
                           "more problems; only the first %d are shown", CK_MAX_REPORTED);
        return;
    }
    char field[256];
    field_name(field, sizeof field, path, key);
    struct mtok_buf b = {0};
    va_list ap;
    va_start(ap, fmt);
    mtok_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    mtok_diags_add(ck->d, ck->file, field, "%s", b.data);
    mtok_buf_free(&b);
}

static void line_col(const char *json, size_t off, int *line, int *col)
{
    *line = 1, *col = 1;
    for (size_t i = 0; i < off; i++) {
        if (json[i] == '\n')
            ++*line, *col = 1;
        else
            ++*col;
    }
}

static int cmp_key(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Sorting the keys keeps this O(n log n): a 16 MB object holds a million keys. */
static bool has_duplicate_keys(struct ck *ck, const cJSON *node, int depth)
{
    if (depth > CJSON_NESTING_LIMIT)
        return false; /* ck_parse refused deeper documents already */
    if (cJSON_IsObject(node) && node->child && node->child->next) {
        size_t n = 0;
        for (const cJSON *c = node->child; c; c = c->next)
            n++;
        const char **keys = mtok_xmalloc(n * sizeof *keys);
        n = 0;
        for (const cJSON *c = node->child; c; c = c->next)
            keys[n++] = c->string ? c->string : "";
        qsort(keys, n, sizeof *keys, cmp_key);
        for (size_t i = 1; i < n; i++)
            if (strcmp(keys[i - 1], keys[i]) == 0) {
                ck_fail(ck, "", keys[i], "key appears more than once in one object");
                free(keys);
                return true;
            }
        free(keys);
    }
    for (const cJSON *c = node->child; c; c = c->next)
        if (has_duplicate_keys(ck, c, depth + 1))
            return true;
    return false;
}

/* A copy of json with Python's non-finite literals outside strings replaced by 1e999 (which
 * strtod reads as infinity). Infinity keeps its length (padded); NaN grows by two bytes, which
 * only shifts column numbers in later error messages on that line. */
static char *replace_python_literals(const char *json, size_t len, size_t *out_len)
{
    struct mtok_buf b = {0};
    bool in_str = false;
    for (size_t i = 0; i < len; i++) {
        char c = json[i];
        if (in_str) {
            if (c == '\\' && i + 1 < len) {
                mtok_buf_append(&b, json + i, 2);
                i++;
                continue;
            }
            in_str = c != '"';
        } else if (c == '"') {
            in_str = true;
        } else if (len - i >= 8 && memcmp(json + i, "Infinity", 8) == 0) {
            mtok_buf_append(&b, "1e999   ", 8);
            i += 7;
            continue;
        } else if (len - i >= 3 && memcmp(json + i, "NaN", 3) == 0) {
            mtok_buf_append(&b, "1e999", 5);
            i += 2;
            continue;
        }
        mtok_buf_append(&b, &c, 1);
    }
    *out_len = b.len;
    return mtok_buf_steal(&b);
}

/* Deepest array/object nesting outside strings; *open tells whether the text ends inside a string
 * or with brackets left open (a truncated document); *values counts the values (at most one more
 * than the commas and brackets outside strings), which bounds what cJSON will allocate. */
static int max_depth(const char *json, size_t len, bool *open, size_t *values)
{
    int depth = 0, max = 0;
    bool in_str = false;
    size_t n = 1;
    for (size_t i = 0; i < len; i++) {
        char c = json[i];
        if (in_str) {
            if (c == '\\')
                i++;
            else if (c == '"')
                in_str = false;
        } else if (c == '"') {
            in_str = true;
        } else if (c == '[' || c == '{') {
            max = ++depth > max ? depth : max;
            n++;
        } else if (c == ']' || c == '}') {
            depth--;
        } else if (c == ',') {
            n++;
        }
    }
    *open = in_str || depth > 0;
    *values = n;
    return max;
}

cJSON *ck_parse(struct ck *ck, const char *json, size_t len)
{
    if (!mtok_utf8_valid(json, len)) {
        /* the offset of the first byte that does not start a well-formed character */
        size_t i = 0;
        for (;;) {
            size_t k = 1;
            while (k <= 4 && i + k <= len && !mtok_utf8_valid(json + i, k))
                k++;
            if (k > 4 || i + k > len)
                break;
            i += k;
        }
        int line, col;
        line_col(json, i, &line, &col);
        ck_fail(ck, "", NULL, "not valid UTF-8 (byte %zu, line %d)", i, line);
        return NULL;
    }
    if (memchr(json, '\0', len)) {
        ck_fail(ck, "", NULL, "contains a NUL byte");
        return NULL;
    }
    bool open = false;
    size_t values = 0;
    if (max_depth(json, len, &open, &values) > CJSON_NESTING_LIMIT) {
        ck_fail(ck, "", NULL, "nested deeper than %d levels", CJSON_NESTING_LIMIT);
        return NULL;
    }
    /* A 16 MB file of `0,0,0,...` is 8 million values: about 700 MB of cJSON nodes. */
    if (values > MTOK_CATALOG_MAX_VALUES) {
        ck_fail(ck, "", NULL, "holds more than %d JSON values", MTOK_CATALOG_MAX_VALUES);
        return NULL;
    }
    char *copy = NULL;
    if (ck->python_literals) {
        copy = replace_python_literals(json, len, &len);
        json = copy;
    }
    const char *end = NULL;
    cJSON *root = cJSON_ParseWithLengthOpts(json, len, &end, 0);
    if (!root) {
        size_t off = end && end >= json && end <= json + len ? (size_t)(end - json) : 0;
        int line, col;
        line_col(json, off, &line, &col);
        size_t ws = 0;
        while (ws < len && isspace((unsigned char)json[ws]))
            ws++;
        if (ws == len)
            ck_fail(ck, "", NULL, "JSON ends too early (the document is empty)");
        else if (off >= len || open)
            ck_fail(ck, "", NULL, "JSON ends too early (truncated or unbalanced)");
        else
            ck_fail(ck, "", NULL, "JSON syntax error at line %d, column %d", line, col);
        free(copy);
        return NULL;
    }
    size_t off = (size_t)(end - json);
    while (off < len && isspace((unsigned char)json[off]))
        off++;
    if (off < len) {
        int line, col;
        line_col(json, off, &line, &col);
        ck_fail(ck, "", NULL, "unexpected data after the JSON value at line %d, column %d", line,
                col);
        cJSON_Delete(root);
        free(copy);
        return NULL;
    }
    free(copy);
    if (has_duplicate_keys(ck, root, 0)) {
        cJSON_Delete(root);
        return NULL;
    }
    return root;
}

static const char *type_name(const cJSON *v)
{
    if (cJSON_IsNull(v))
        return "null";
    if (cJSON_IsBool(v))
        return "a boolean";
    if (cJSON_IsNumber(v))
        return "a number";
    if (cJSON_IsString(v))
        return "a string";
    if (cJSON_IsArray(v))
        return "an array";
    if (cJSON_IsObject(v))
        return "an object";
    return "invalid";
}

const cJSON *ck_member(struct ck *ck, const cJSON *obj, const char *path, const char *key,
                       enum ck_need need)
{
    const cJSON *v = cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
    if (v && !cJSON_IsNull(v))
        return v;
    if (need == CK_REQUIRED)
        ck_fail(ck, path, key, v ? "is null but required" : "missing (required)");
    return NULL;
}

static const cJSON *typed(struct ck *ck, const cJSON *obj, const char *path, const char *key,
                          enum ck_need need, cJSON_bool (*is)(const cJSON *), const char *want)
{
    const cJSON *v = ck_member(ck, obj, path, key, need);
    if (v && !is(v)) {
        ck_fail(ck, path, key, "is %s, expected %s", type_name(v), want);
        return NULL;
    }
    return v;
}

const cJSON *ck_object(struct ck *ck, const cJSON *obj, const char *path, const char *key,
                       enum ck_need need)
{
    return typed(ck, obj, path, key, need, cJSON_IsObject, "an object");
}

const cJSON *ck_array(struct ck *ck, const cJSON *obj, const char *path, const char *key,
                      enum ck_need need)
{
    return typed(ck, obj, path, key, need, cJSON_IsArray, "an array");
}

bool ck_string(struct ck *ck, const cJSON *obj, const char *path, const char *key, enum ck_need need,
               size_t max_len, char **out)
{
    *out = NULL;
    const cJSON *v = typed(ck, obj, path, key, need, cJSON_IsString, "a string");
    if (!v)
        return need == CK_OPTIONAL && !ck_member(ck, obj, path, key, CK_OPTIONAL);
    const char *s = v->valuestring;
    size_t n = strlen(s);
    if (n > max_len) {
        ck_fail(ck, path, key, "is %zu bytes long, over the %zu-byte limit", n, max_len);
        return false;
    }
    /* C0, DEL and C1 (U+0080..U+009F, which some terminals obey as escape sequences) */
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f ||
            ((unsigned char)s[i] == 0xC2 && (unsigned char)s[i + 1] >= 0x80 &&
             (unsigned char)s[i + 1] < 0xA0)) {
            ck_fail(ck, path, key, "contains a control character");
            return false;
        }
    if (need == CK_REQUIRED && n == 0) {
        ck_fail(ck, path, key, "is empty");
        return false;
    }
    *out = mtok_xstrdup(s);
    return true;
}

bool ck_id(struct ck *ck, const cJSON *obj, const char *path, const char *key, char **out)
{
    if (!ck_string(ck, obj, path, key, CK_REQUIRED, 64, out))
        return false;
    const char *s = *out;
    bool ok = isalnum((unsigned char)s[0]);
    for (const char *p = s; *p && ok; p++)
        ok = (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '.' || *p == '-' ||
             *p == '_' || *p == '/' || *p == '@';
    if (!ok) {
        ck_fail(ck, path, key, "\"%s\" is not an id (lowercase letters, digits and ._-/@ only)", s);
        free(*out);
        *out = NULL;
        return false;
    }
    return true;
}

bool ck_date(struct ck *ck, const cJSON *obj, const char *path, const char *key, enum ck_need need,
             char **out)
{
    if (!ck_string(ck, obj, path, key, need, 10, out) || !*out)
        return *out != NULL || need == CK_OPTIONAL;
    const char *s = *out;
    size_t n = strlen(s);
    bool ok = (n == 7 || n == 10) && s[4] == '-' && (n == 7 || s[7] == '-');
    for (size_t i = 0; ok && i < n; i++)
        ok = (i == 4 || i == 7) ? s[i] == '-' : isdigit((unsigned char)s[i]);
    if (ok) {
        int month = (s[5] - '0') * 10 + (s[6] - '0');
        int day = n == 10 ? (s[8] - '0') * 10 + (s[9] - '0') : 1;
        ok = month >= 1 && month <= 12 && day >= 1 && day <= 31;
    }
    if (!ok) {
        ck_fail(ck, path, key, "\"%s\" is not a date (YYYY-MM or YYYY-MM-DD)", s);
        free(*out);
        *out = NULL;
        return false;
    }
    return true;
}

static bool number_value(struct ck *ck, const cJSON *v, const char *path, const char *key,
                         double min, double max, double *out)
{
    if (!cJSON_IsNumber(v)) {
        ck_fail(ck, path, key, "is %s, expected a number", type_name(v));
        return false;
    }
    double x = v->valuedouble;
    if (!isfinite(x)) {
        ck_fail(ck, path, key, "is not a finite number");
        return false;
    }
    if (x < min || x > max) {
        ck_fail(ck, path, key, "%g is out of range [%g, %g]", x, min, max);
        return false;
    }
    *out = x;
    return true;
}

bool ck_number(struct ck *ck, const cJSON *obj, const char *path, const char *key,
               enum ck_need need, double min, double max, double *out)
{
    const cJSON *v = ck_member(ck, obj, path, key, need);
    if (!v)
        return need == CK_OPTIONAL;
    return number_value(ck, v, path, key, min, max, out);
}

bool ck_number_or_null(struct ck *ck, const cJSON *obj, const char *path, const char *key,
                       double min, double max, double *out)
{
    const cJSON *v = cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
    if (!v) {
        ck_fail(ck, path, key, "missing (write null if unknown)");
        return false;
    }
    if (cJSON_IsNull(v)) {
        *out = 0;
        return true;
    }
    return number_value(ck, v, path, key, min, max, out);
}

bool ck_int(struct ck *ck, const cJSON *obj, const char *path, const char *key, enum ck_need need,
            long min, long max, int *out)
{
    double x;
    const cJSON *v = ck_member(ck, obj, path, key, need);
    if (!v)
        return need == CK_OPTIONAL;
    if (!number_value(ck, v, path, key, (double)min, (double)max, &x))
        return false;
    if (x != floor(x)) {
        ck_fail(ck, path, key, "%g is not an integer", x);
        return false;
    }
    *out = (int)x;
    return true;
}

bool ck_bool(struct ck *ck, const cJSON *obj, const char *path, const char *key, enum ck_need need,
             bool *out)
{
    const cJSON *v = typed(ck, obj, path, key, need, cJSON_IsBool, "true or false");
    if (!v)
        return need == CK_OPTIONAL && !ck_member(ck, obj, path, key, CK_OPTIONAL);
    *out = cJSON_IsTrue(v);
    return true;
}

bool ck_source(struct ck *ck, const cJSON *group, const char *path, struct mtok_source *out)
{
    bool ok = ck_string(ck, group, path, "source", CK_REQUIRED, 2000, &out->source);
    ok = ck_date(ck, group, path, "date", CK_REQUIRED, &out->date) && ok;
    ok = ck_bool(ck, group, path, "uncertain", CK_REQUIRED, &out->uncertain) && ok;
    ok = ck_string(ck, group, path, "note", CK_OPTIONAL, 4000, &out->note) && ok;
    return ok;
}

void ck_known_keys(struct ck *ck, const cJSON *obj, const char *path, const char *const *known)
{
    if (!cJSON_IsObject(obj))
        return;
    for (const cJSON *c = obj->child; c; c = c->next) {
        bool found = false;
        for (const char *const *k = known; *k && !found; k++)
            found = strcmp(*k, c->string) == 0;
        if (!found)
            ck_fail(ck, path, c->string, "unknown key (typo?)");
    }
}

void mtok_source_free(struct mtok_source *s)
{
    free(s->source);
    free(s->date);
    free(s->note);
    memset(s, 0, sizeof *s);
}

int mtok_json_top_key(const char *json, size_t len, const char *const *keys)
{
    struct mtok_diags d = {0};
    struct ck ck = {.file = "", .d = &d, .python_literals = true};
    cJSON *root = ck_parse(&ck, json, len);
    mtok_diags_free(&d);
    int found = -1;
    for (int i = 0; keys[i] && found < 0; i++) {
        bool has;
        if (root) {
            has = cJSON_IsObject(root) && cJSON_GetObjectItemCaseSensitive(root, keys[i]);
        } else { /* does not parse: judged by the quoted key appearing at all */
            char quoted[40];
            int n = snprintf(quoted, sizeof quoted, "\"%s\"", keys[i]);
            has = n > 0 && (size_t)n < sizeof quoted && memmem(json, len, quoted, (size_t)n);
        }
        if (has)
            found = i;
    }
    cJSON_Delete(root);
    return found;
}
