/* Private to catalog/: the strict JSON field checker shared by the model, hardware and price
 * loaders. Every failed check appends one `FILE: FIELD: what is wrong` line and returns false. */
#ifndef MTOK_CATALOG_INTERNAL_H
#define MTOK_CATALOG_INTERNAL_H

#include <cjson/cJSON.h>

#include "catalog/catalog.h"

struct ck {
    const char *file;
    struct mtok_diags *d;
    size_t errors;
    /* Accept NaN, Infinity and -Infinity outside strings, as Python's json module writes them
     * (HuggingFace config.json files are Python output and some carry them). They parse as
     * infinite numbers, so a field mtok reads still fails its finite-number check. */
    bool python_literals;
};

/* Parse a whole document: valid UTF-8, syntactically valid JSON, nothing after it, no duplicate
 * keys in any object. Returns NULL (one diagnostic) on failure. */
cJSON *ck_parse(struct ck *ck, const char *json, size_t len);

/* At most this many diagnostics per file, then one line saying there are more. */
#define CK_MAX_REPORTED 50

/* `path` names the object in diagnostics ("" for the root, "compute", "models[3]", ...). Counts
 * every failure in ck->errors; reports the first CK_MAX_REPORTED. */
void ck_fail(struct ck *ck, const char *path, const char *key, const char *fmt, ...)
    MTOK_PRINTF(4, 5);

enum ck_need { CK_OPTIONAL, CK_REQUIRED };

/* Object member `key` of `obj`, NULL when absent or JSON null. Required + absent is an error. */
const cJSON *ck_member(struct ck *ck, const cJSON *obj, const char *path, const char *key,
                       enum ck_need need);
const cJSON *ck_object(struct ck *ck, const cJSON *obj, const char *path, const char *key,
                       enum ck_need need);
const cJSON *ck_array(struct ck *ck, const cJSON *obj, const char *path, const char *key,
                      enum ck_need need);

/* A string: valid UTF-8, no control characters (C0, DEL, C1), at most max_len bytes. *out is a new copy or
 * NULL when optional and absent. */
bool ck_string(struct ck *ck, const cJSON *obj, const char *path, const char *key, enum ck_need need,
               size_t max_len, char **out);
/* An id: 1-64 characters from [a-z0-9._-], starting with a letter or digit. */
bool ck_id(struct ck *ck, const cJSON *obj, const char *path, const char *key, char **out);
/* A date YYYY-MM or YYYY-MM-DD with a real month and day. */
bool ck_date(struct ck *ck, const cJSON *obj, const char *path, const char *key, enum ck_need need,
             char **out);
/* A finite number in [min, max]. Absent optional leaves *out untouched and returns true. */
bool ck_number(struct ck *ck, const cJSON *obj, const char *path, const char *key,
               enum ck_need need, double min, double max, double *out);
/* Same, but the value may also be JSON null (stored as 0). */
bool ck_number_or_null(struct ck *ck, const cJSON *obj, const char *path, const char *key,
                       double min, double max, double *out);
/* An integer (a JSON number with no fractional part) in [min, max]. */
bool ck_int(struct ck *ck, const cJSON *obj, const char *path, const char *key, enum ck_need need,
            long min, long max, int *out);
bool ck_bool(struct ck *ck, const cJSON *obj, const char *path, const char *key, enum ck_need need,
             bool *out);
/* The provenance keys of a group: source, date, uncertain (required), note (optional). */
bool ck_source(struct ck *ck, const cJSON *group, const char *path, struct mtok_source *out);
/* Report members of `obj` whose names are not in the NULL-terminated list `known`. */
void ck_known_keys(struct ck *ck, const cJSON *obj, const char *path, const char *const *known);

void mtok_source_free(struct mtok_source *s);

/* Loaders (one per file kind). Each appends diagnostics and returns NULL / false on any problem. */
struct mtok_model *catalog_model_from_json(struct ck *ck, const cJSON *root);
bool catalog_hw_from_json(struct ck *ck, const cJSON *root, struct mtok_hw *out);
void catalog_hw_free(struct mtok_hw *hw);

#endif
