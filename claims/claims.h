/* claims: published claims about models recomputed with the simulator.
 *
 * Claims are data (data/claims/ *.json, format in data/SCHEMA.md): each has a paraphrase, the value
 * an article states, the article it comes from, and a `check` naming a metric (kv_ratio,
 * flops_ratio, params_total, weight_bytes, fits, ...) with its models, context, precision and
 * tolerance. This module loads and checks those files and evaluates each claim into a stated
 * value, a computed value, a verdict and the reason behind it.
 *
 * Adding a metric (prices, hardware, ...): write one evaluator function in claims.c and add a row
 * to its `metrics` table; the loader then accepts the metric name and checks its required fields.
 *
 * A claim set is read-only after loading and may be evaluated from several threads. */
#ifndef MTOK_CLAIMS_H
#define MTOK_CLAIMS_H

#include "catalog/catalog.h"
#include "core/core.h"
#include "sim/sim.h"

struct mtok_claims;

/* Load every data/claims/ *.json from data_dir (NULL = the embedded data/), resolving model and
 * hardware ids against cat (which must outlive the set). Each problem is one `FILE: FIELD: problem`
 * line in diags; on any problem *out is NULL and MTOK_EINVAL (or MTOK_EIO) is returned. */
enum mtok_status mtok_claims_load(struct mtok_claims **out, const char *data_dir,
                                  const struct mtok_catalog *cat, struct mtok_diags *diags);
/* The same for one file's text; `name` names it in diagnostics. Claims accumulate in *set (created
 * when *set is NULL). */
enum mtok_status mtok_claims_parse(struct mtok_claims **set, const char *name, const char *json,
                                   size_t len, const struct mtok_catalog *cat,
                                   struct mtok_diags *diags);
/* No-op on NULL. */
void mtok_claims_destroy(struct mtok_claims *c);
size_t mtok_claims_count(const struct mtok_claims *c);

enum mtok_verdict {
    MTOK_VERDICT_CONSISTENT,   /* the computed value agrees within the stated tolerance */
    MTOK_VERDICT_INCONSISTENT, /* it does not; the detail says by how much and why */
    MTOK_VERDICT_UNVERIFIABLE  /* the simulator cannot compute it; the detail says why */
};
/* "consistent", "inconsistent", "unverifiable". */
const char *mtok_verdict_name(enum mtok_verdict v);

struct mtok_claim_result {
    const char *id, *claim, *article, *article_title, *article_date; /* owned by the set */
    const char *metric, *unit, *compare;
    bool is_bool;
    double stated, computed; /* booleans as 0/1 */
    double tolerance;        /* absolute, in the metric's unit */
    enum mtok_verdict verdict;
    char detail[1536]; /* how it was computed, and why it differs when it does */
};

/* Evaluate claim i with the simulator defaults d. Never fails for a loaded claim. */
void mtok_claims_evaluate(const struct mtok_claims *c, const struct mtok_sim_defaults *d, size_t i,
                          struct mtok_claim_result *out);

/* The metric names the loader accepts, NULL-terminated. */
const char *const *mtok_claims_metrics(void);

#endif
