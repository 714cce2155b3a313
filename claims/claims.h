/* claims: published claims about models, prices, hardware and training recomputed with the
 * simulator, the price book and the cost models.
 *
 * Claims are data (data/claims/ *.json, format in data/SCHEMA.md): each has a paraphrase, the value
 * an article states (or a range), the article it comes from, optionally the other claims it
 * conflicts with, and a `check` naming a metric (kv_ratio, params_total, api_price, price_ratio,
 * workload_cost, throughput_ratio, cost_ratio, training_cost, ... or `unverifiable` with the
 * reason) with its inputs and tolerance. This module loads and checks those files and evaluates
 * each claim into a stated value, a computed value, a verdict and the working behind it.
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
 * hardware ids against cat (which must outlive the set); also reads the TCO defaults and training
 * runs the cost metrics use (from data_dir when it has them, else the embedded copies), and checks
 * that every `contradicts` id names a claim of the set. Each problem is one `FILE: FIELD: problem`
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
    MTOK_VERDICT_CONSISTENT,   /* holds: the computed value agrees within the stated tolerance */
    MTOK_VERDICT_INCONSISTENT, /* off: it does not; off_by and the detail say by how much, why */
    MTOK_VERDICT_UNVERIFIABLE, /* not checkable: mtok cannot compute it; `reason` says why */
    MTOK_VERDICT_CONTRADICTED  /* off, and another source states what mtok finds (a claim of
                                  another article that holds, or the price book / hardware entry
                                  the check read): contradicted_by names it */
};
#define MTOK_VERDICT_COUNT 4
/* "consistent", "inconsistent", "unverifiable", "contradicted". */
const char *mtok_verdict_name(enum mtok_verdict v);

struct mtok_claim_result {
    const char *id, *claim, *article, *article_title, *article_date; /* owned by the set */
    const char *article_source, *article_file;                      /* may be NULL */
    const char *metric, *unit, *compare;
    const char *note;   /* the claim's note: the interpretation taken (may be NULL) */
    const char *reason; /* unverifiable: why (NULL otherwise) */
    bool is_bool;
    bool is_range;           /* stated .. stated_max */
    double stated, computed; /* booleans as 0/1 */
    double stated_max;       /* is_range only */
    double tolerance;        /* absolute, in the metric's unit */
    double off_by;           /* computed / stated - 1 (to the nearer end of a range); NAN when the
                                claim holds, is boolean or was not computed */
    enum mtok_verdict verdict;
    char verdict_text[96];      /* "holds", "off by +57%", "contradicted", "not checkable" */
    char contradicted_by[768];  /* "; "-separated: claim ids (article) or a source; "" if none */
    char detail[4096];          /* how it was computed, and why it differs when it does */
};

/* Evaluate claim i with the simulator defaults d. Never fails for a loaded claim. */
void mtok_claims_evaluate(const struct mtok_claims *c, const struct mtok_sim_defaults *d, size_t i,
                          struct mtok_claim_result *out);

/* The metric names the loader accepts, NULL-terminated. */
const char *const *mtok_claims_metrics(void);

/* A value in a claim's unit for tables ("1573 B", "159.2 GB", "$0.14/M", "$4,200/month", "75%",
 * "2.78", "true"); "-" for NAN. Returns buf. */
const char *mtok_claims_format(char *buf, size_t n, const char *unit, bool is_bool, double v);

#endif
