/* Calibration tables: utilisation per (hardware, op kind, dtype, roof), as constants or curves over
 * op size. Defaults come from data/sim/defaults.json; measured points come from `mtok bench`. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim.h"

struct entry {
    char *hw; /* NULL = any */
    enum mtok_op_kind kind;
    enum mtok_dtype dtype;
    enum mtok_bound bound;
    double size; /* <= 0: size-independent */
    double u;
    enum mtok_prov prov;
    char *source;
};

struct mtok_calib {
    struct entry *e;
    size_t n, cap;
};

const char *mtok_prov_name(enum mtok_prov p)
{
    static const char *const names[MTOK_PROV_COUNT] = {"sol", "default", "calibrated", "measured"};
    return (unsigned)p < MTOK_PROV_COUNT ? names[p] : "?";
}

const char *mtok_bound_name(enum mtok_bound b)
{
    static const char *const names[MTOK_BOUND_COUNT] = {"compute", "memory", "network"};
    return (unsigned)b < MTOK_BOUND_COUNT ? names[b] : "?";
}

enum mtok_status mtok_bound_parse(const char *name, enum mtok_bound *out)
{
    for (int b = 0; b < MTOK_BOUND_COUNT; b++)
        if (strcmp(name, mtok_bound_name((enum mtok_bound)b)) == 0) {
            *out = (enum mtok_bound)b;
            return MTOK_OK;
        }
    return MTOK_EINVAL;
}

enum mtok_status mtok_op_kind_parse(const char *name, enum mtok_op_kind *out)
{
    for (int k = 0; k < MTOK_OP_KIND_COUNT; k++)
        if (strcmp(name, mtok_op_kind_name((enum mtok_op_kind)k)) == 0) {
            *out = (enum mtok_op_kind)k;
            return MTOK_OK;
        }
    return MTOK_EINVAL;
}

enum mtok_dtype mtok_calib_dtype(const struct mtok_op *op)
{
    switch (op->kind) {
    case MTOK_OP_GEMM:
    case MTOK_OP_GROUPED_GEMM:
    case MTOK_OP_ATTENTION:
    case MTOK_OP_INDEXER: return op->wdtype;
    default: return op->cdtype;
    }
}

struct mtok_calib *mtok_calib_create(void) { return mtok_xcalloc(1, sizeof(struct mtok_calib)); }

void mtok_calib_destroy(struct mtok_calib *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++) {
        free(c->e[i].hw);
        free(c->e[i].source);
    }
    free(c->e);
    free(c);
}

size_t mtok_calib_count(const struct mtok_calib *c) { return c ? c->n : 0; }

static bool any_hw(const char *hw) { return !hw || strcmp(hw, "*") == 0; }

void mtok_calib_merge(struct mtok_calib *dst, const struct mtok_calib *src)
{
    for (size_t i = 0; src && i < src->n; i++) {
        const struct entry *e = &src->e[i];
        if (dst->n == dst->cap)
            dst->e =
                mtok_xrealloc(dst->e, (dst->cap = dst->cap ? 2 * dst->cap : 16) * sizeof *dst->e);
        dst->e[dst->n++] = (struct entry){
            .hw = e->hw ? mtok_xstrdup(e->hw) : NULL,
            .kind = e->kind,
            .dtype = e->dtype,
            .bound = e->bound,
            .size = e->size,
            .u = e->u,
            .prov = e->prov,
            .source = mtok_xstrdup(e->source ? e->source : ""),
        };
    }
}

enum mtok_status mtok_calib_add(struct mtok_calib *c, const char *hw_id, enum mtok_op_kind kind,
                                enum mtok_dtype dtype, enum mtok_bound bound, double size,
                                double utilisation, enum mtok_prov prov, const char *source,
                                struct mtok_error *err)
{
    if ((unsigned)kind > MTOK_OP_KIND_COUNT || (unsigned)dtype > MTOK_DTYPE_COUNT ||
        (unsigned)bound >= MTOK_BOUND_COUNT)
        return mtok_error_set(err, MTOK_EINVAL, "calibration: op kind, dtype or bound out of range");
    if (!(utilisation > 0 && utilisation <= 1.5))
        return mtok_error_set(err, MTOK_EINVAL,
                              "calibration: utilisation %g is not in (0, 1.5]", utilisation);
    if (prov == MTOK_PROV_SOL || (unsigned)prov >= MTOK_PROV_COUNT)
        return mtok_error_set(err, MTOK_EINVAL,
                              "calibration: provenance must be default, calibrated or measured");
    if (isnan(size) || size <= 0)
        size = 0;
    if (!isfinite(size))
        return mtok_error_set(err, MTOK_EINVAL, "calibration: size is not finite");
    if (c->n == c->cap)
        c->e = mtok_xrealloc(c->e, (c->cap = c->cap ? 2 * c->cap : 16) * sizeof *c->e);
    c->e[c->n++] = (struct entry){
        .hw = any_hw(hw_id) ? NULL : mtok_xstrdup(hw_id),
        .kind = kind,
        .dtype = dtype,
        .bound = bound,
        .size = size,
        .u = utilisation,
        .prov = prov,
        .source = mtok_xstrdup(source ? source : ""),
    };
    return MTOK_OK;
}

/* How specific an entry's key is for this query, or -1 when it does not match. */
static int score(const struct entry *e, const char *hw_id, enum mtok_op_kind kind,
                 enum mtok_dtype dtype, enum mtok_bound bound)
{
    if (e->bound != bound)
        return -1;
    int s = 0;
    if (e->hw) {
        if (!hw_id || strcmp(e->hw, hw_id) != 0)
            return -1;
        s += 4;
    }
    if (e->kind != MTOK_OP_KIND_COUNT) {
        if (e->kind != kind)
            return -1;
        s += 2;
    }
    if (e->dtype != MTOK_DTYPE_COUNT) {
        if (e->dtype != dtype)
            return -1;
        s += 1;
    }
    return s;
}

static bool same_key(const struct entry *a, const struct entry *b)
{
    return a->bound == b->bound && a->kind == b->kind && a->dtype == b->dtype &&
           ((!a->hw && !b->hw) || (a->hw && b->hw && strcmp(a->hw, b->hw) == 0));
}

struct mtok_util mtok_calib_lookup(const struct mtok_calib *c, const char *hw_id,
                                   enum mtok_op_kind kind, enum mtok_dtype dtype,
                                   enum mtok_bound bound, double size)
{
    struct mtok_util none = {1.0, MTOK_PROV_SOL, "none"};
    if (!c)
        return none;
    int best = -1;
    const struct entry *key = NULL;
    for (size_t i = 0; i < c->n; i++) {
        int s = score(&c->e[i], hw_id, kind, dtype, bound);
        if (s > best || (s == best && s >= 0)) { /* later entries of equal rank win */
            best = s;
            key = &c->e[i];
        }
    }
    if (!key)
        return none;
    /* The curve of that key: the nearest points below and above `size`. */
    const struct entry *lo = NULL, *hi = NULL, *flat = NULL;
    bool all_default = true;
    for (size_t i = 0; i < c->n; i++) {
        const struct entry *e = &c->e[i];
        if (!same_key(e, key))
            continue;
        if (e->size <= 0) {
            flat = e;
            continue;
        }
        all_default = all_default && e->prov == MTOK_PROV_DEFAULT;
        if (e->size <= size && (!lo || e->size >= lo->size))
            lo = e;
        if (e->size >= size && (!hi || e->size <= hi->size))
            hi = e;
    }
    if (!lo && !hi)
        return (struct mtok_util){flat->u, flat->prov, flat->source};
    const struct entry *near = !lo ? hi : !hi ? lo : (log(size / lo->size) <= log(hi->size / size) ? lo : hi);
    double u;
    if (!lo && size > 0) {
        /* below the smallest point: fixed costs weigh more the smaller the op, so continue the
         * first segment's trend in log-log (slope within [0, 1]: utilisation falls at most in
         * proportion to size, and never rises as the op shrinks); one point alone: its value */
        const struct entry *next = NULL;
        for (size_t i = 0; i < c->n; i++) {
            const struct entry *e = &c->e[i];
            if (same_key(e, key) && e->size > hi->size && (!next || e->size < next->size))
                next = e;
        }
        double slope = 0;
        if (next && next->u > 0 && hi->u > 0)
            slope = log(next->u / hi->u) / log(next->size / hi->size);
        slope = slope < 0 ? 0 : slope > 1 ? 1 : slope;
        u = hi->u * pow(size / hi->size, slope);
    } else if (!lo || !hi || lo == hi || !(size > 0))
        u = near->u;
    else {
        double f = log(size / lo->size) / log(hi->size / lo->size);
        u = lo->u + f * (hi->u - lo->u);
    }
    enum mtok_prov prov = all_default ? MTOK_PROV_DEFAULT : MTOK_PROV_CALIBRATED;
    if (near->prov == MTOK_PROV_MEASURED && size > 0 && fabs(size - near->size) <= 0.01 * near->size)
        prov = MTOK_PROV_MEASURED;
    return (struct mtok_util){u, prov, near->source};
}

bool mtok_calib_sized(const struct mtok_calib *c, const char *hw_id)
{
    for (size_t i = 0; c && i < c->n; i++)
        if (c->e[i].size > 0 && (!c->e[i].hw || (hw_id && strcmp(c->e[i].hw, hw_id) == 0)))
            return true;
    return false;
}
