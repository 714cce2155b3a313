/* cli: the result of `mtok sim` and its JSON object, shared so that later modules (pricing, issue
 * #5) can add their keys to the same object: build it with cli_sim_json, add keys, print. */
#ifndef MTOK_CLI_SIM_JSON_H
#define MTOK_CLI_SIM_JSON_H

#include "cli/cli.h"
#include "pricing/pricing.h"
#include "sim/sim.h"

struct cli_sim_result {
    const struct mtok_model *m;
    const struct mtok_hw *hw;
    const struct mtok_sim_defaults *d;
    const struct mtok_plan *plan;
    const struct mtok_prec *prec;
    double ctx;                   /* decode context of the point and of flops_per_token */
    struct mtok_serve_point pt;   /* the point reported */
    const char *mode;             /* "batch", "concurrency", "tps-user", "max-throughput" */
    double tps_user;              /* NAN unless --tps-user */
    bool unmet;                   /* --tps-user cannot be met */
    const struct mtok_serve_point *front; /* Pareto front, rising tok/s/user */
    size_t n_front;
    const char *tier;             /* --tier, NULL if not given (for pricing) */
    double usd_per_gpu_hour;      /* --usd-per-gpu-hour, NAN if not given */
    /* the cost of the point (issue #5): when `priced`, `cost` holds it; otherwise cost_note says
     * why not (no price for the tier, the point does not fit, ...) */
    bool priced;
    struct mtok_token_cost cost;
    char cost_note[1100];
};

/* The `mtok sim --json` object: the contract keys first (model ... provenance), then extras.
 * The caller owns the result. */
struct cJSON *cli_sim_json(const struct cli_sim_result *r);
/* The human-readable form. */
void cli_sim_print(struct cli *c, const struct cli_sim_result *r);
/* data/pricing/tco.json from the CLI's data directory when it has one, else the embedded copy.
 * Returns CLI_OK, or CLI_ERROR after printing diagnostics. */
int cli_tco_defaults(struct cli *c, struct mtok_tco_defaults *out);
/* data/sim/defaults.json from the CLI's data directory, its calibration table extended with the
 * measured `host` entry's calibration (the latest bench run of this machine in the database, when
 * the catalog has a host entry); NULL after printing diagnostics. Call cli_catalog first. */
struct mtok_sim_defaults *cli_sim_defaults(struct cli *c);
/* The same without the host's calibration (mtok bench builds its own per thread count). */
struct mtok_sim_defaults *cli_sim_defaults_base(struct cli *c);
/* Add the host's calibration to def (what cli_sim_defaults adds), e.g. after new measurements. */
void cli_sim_add_host_calib(struct cli *c, struct mtok_sim_defaults *def);

/* Measurements made by other commands (mtok report), each recorded as its own run in st: the
 * quick ceilings, and the kernel suite `suite` with quick sample times, predictions and
 * calibration points. progress (may be NULL) gets the phase, the steps done and the total (0 when
 * unknown). uuid (may be NULL) receives the run's UUID. */
struct mtok_store;
enum mtok_status cli_measure_ceilings(struct cli *c, struct mtok_store *st,
                                      void (*progress)(void *, const char *, size_t, size_t),
                                      void *arg, char uuid[33], struct mtok_error *err);
enum mtok_status cli_measure_bench(struct cli *c, struct mtok_store *st, const char *suite,
                                   const struct mtok_catalog *cat,
                                   const struct mtok_sim_defaults *def,
                                   void (*progress)(void *, const char *, size_t, size_t),
                                   void *arg, char uuid[33], struct mtok_error *err);

#endif
