/* store: mtok's SQLite database. Schema, migrations (PRAGMA user_version), writes and queries.
 *
 * Writing a run: create an in-memory run (mtok_run_create), announce it (mtok_store_run_begin: a
 * small transaction records it as `running`), add rows to it as they are produced, then
 * mtok_store_run_commit writes every row and marks the run `complete` in ONE transaction. A process
 * killed mid-run therefore leaves a `running` row and no partial data; the next open marks such
 * runs `incomplete` (their process is gone) and queries ignore them.
 *
 * A store handle is not shared between threads; open one per thread/process. Many processes may
 * write one database at once: WAL mode, a long busy timeout and BEGIN IMMEDIATE keep them from
 * failing on locks. All SQL is prepared; no value is ever formatted into SQL text. */
#ifndef MTOK_STORE_H
#define MTOK_STORE_H

#include "core/core.h"

#define MTOK_STORE_SCHEMA_VERSION 1

struct mtok_store;

/* Open (creating if needed) and migrate to the current schema. path NULL = $MTOK_DB or ./mtok.db.
 * On failure *out is NULL and err says why (MTOK_EDB, or MTOK_EINVAL for a database written by a
 * newer mtok or a path that is not a regular file: a FIFO, device or directory). A file this call
 * created is removed again when it fails. */
enum mtok_status mtok_store_open(struct mtok_store **out, const char *path, struct mtok_error *err);
/* No-op on NULL. */
void mtok_store_close(struct mtok_store *st);
/* Message of the last failure on this handle ("" if none). */
const char *mtok_store_errmsg(const struct mtok_store *st);
const char *mtok_store_path(const struct mtok_store *st);
/* The schema version the file is at (after migration: MTOK_STORE_SCHEMA_VERSION). */
int mtok_store_schema_version(struct mtok_store *st);

/* ---- what a run records ---- */

struct mtok_machine_row {
    const char *fingerprint; /* hash of the stable fields below */
    const char *hostname, *cpu_model, *cpu_flags, *os;
    int n_cpus;
    double mem_bytes;
};

struct mtok_build_row {
    const char *git_commit; /* full hash, or "unknown" */
    bool dirty;
    const char *compiler, *flags, *simd, *version;
};

struct mtok_run_info {
    const char *kind;  /* bench | ceilings | sweep | sim | report | test ... */
    const char *suite; /* may be NULL */
    const char *args;  /* command line, may be NULL */
    const struct mtok_machine_row *machine; /* may be NULL */
    const struct mtok_build_row *build;     /* may be NULL */
};

/* One benchmark result (summary statistics; raw samples go in separately). */
struct mtok_result_row {
    const char *name;   /* unique within the run: kernel/dtype/shape/threads */
    const char *kernel, *dtype, *shape, *variant;
    int threads;
    double min_ns, median_ns, mad_ns, ci_lo_ns, ci_hi_ns;
    double flops, bytes, kv_bytes; /* analytic, per call */
    double predicted_ns;           /* simulator prediction for the same op on `host`, 0 = none */
    const char *provenance;        /* of predicted_ns: measured|calibrated|default|sol */
};

struct mtok_ceiling_row {
    const char *kind;  /* "flops" or "bandwidth" */
    const char *name;  /* dtype for flops (fp32, bf16 ...); access pattern for bandwidth */
    const char *level; /* L1/L2/L3/DRAM for bandwidth plateaus, NULL otherwise */
    int threads;
    double bytes; /* working-set size (bandwidth), 0 for flops */
    double value; /* FLOP/s or B/s */
    const char *unit;
};

struct mtok_sim_row {
    const char *key; /* unique within the run: the point's parameters */
    const char *model, *hw;
    const char *deployment; /* JSON object with every input of the point */
    bool fits;
    double max_batch, ttft_s, tpot_s, tok_s_per_user, tok_s_per_gpu;
    double input_tok_s_per_gpu, output_tok_s_per_gpu;
    double weight_bytes, kv_bytes_per_token, flops_per_token;
    const char *provenance;
};

struct mtok_cost_row {
    const char *tier;
    double usd_per_gpu_hour, usd_per_m_input, usd_per_m_cached_input, usd_per_m_output,
        usd_per_m_total;
};

struct mtok_price_row {
    const char *price_id, *provider, *product, *model, *kind, *from_date, *until_date, *currency;
    double per_m_input, per_m_cached_input, per_m_output; /* USD; NAN = not published */
    const char *source;
};

/* ---- a run being recorded (in memory until committed) ---- */

struct mtok_run;

/* Copies everything it is given. Never fails. */
struct mtok_run *mtok_run_create(const struct mtok_run_info *info);
void mtok_run_destroy(struct mtok_run *run);
/* The run's UUID (32 hex digits), stable from creation. */
const char *mtok_run_uuid(const struct mtok_run *run);

/* Each add copies its input and returns the row's index within the run (for samples/counters/costs). */
size_t mtok_run_add_result(struct mtok_run *run, const struct mtok_result_row *r);
void mtok_run_add_sample(struct mtok_run *run, size_t result, double ns);
void mtok_run_add_counter(struct mtok_run *run, size_t result, const char *name, double value,
                          bool available, const char *note);
void mtok_run_add_ceiling(struct mtok_run *run, const struct mtok_ceiling_row *c);
size_t mtok_run_add_sim(struct mtok_run *run, const struct mtok_sim_row *s);
void mtok_run_add_cost(struct mtok_run *run, size_t sim, const struct mtok_cost_row *c);
void mtok_run_add_price(struct mtok_run *run, const struct mtok_price_row *p);

/* Record the run as `running` (machine and build rows are created or reused). */
enum mtok_status mtok_store_run_begin(struct mtok_store *st, struct mtok_run *run);
/* Write every row of the run and mark it `complete`, in one transaction. On failure nothing of the
 * run's rows is written and the run stays `running` (so it later reads as incomplete). */
enum mtok_status mtok_store_run_commit(struct mtok_store *st, struct mtok_run *run);
/* Mark a begun run `failed` (its rows are not written). */
enum mtok_status mtok_store_run_fail(struct mtok_store *st, struct mtok_run *run);
/* The database id of a begun run (0 before begin). */
int64_t mtok_run_id(const struct mtok_run *run);

/* ---- queries ---- */

/* Row counts of every table, for tests and `mtok db stats`. Fills up to n names/counts in schema
 * order and returns how many tables there are. */
size_t mtok_store_table_counts(struct mtok_store *st, const char **names, int64_t *counts, size_t n);

/* Runs whose status is `running` but whose process (same host) is gone are marked `incomplete`.
 * Done on open; exposed for tests. Returns the number of runs marked. */
int mtok_store_reap(struct mtok_store *st);

/* ---- merging ---- */

/* Can the database at path be merged (read only, nothing is written): an existing regular file that
 * SQLite reads, of a schema version this mtok knows, whose tables and indexes are exactly those of
 * that version. MTOK_OK, or MTOK_EIO / MTOK_EDB / MTOK_EINVAL with err saying why. Thread-safe. */
enum mtok_status mtok_store_check_source(const char *path, struct mtok_error *err);

struct mtok_merge_stats {
    int64_t runs_added, runs_skipped, rows_added;
};

/* Merge the database at src_path into st: machines, builds, runs and everything under them,
 * matched by natural keys (machine fingerprint, build identity, run UUID, row names), so merging
 * twice adds nothing. src is checked first (mtok_store_check_source) and never written: an older
 * schema is migrated in a temporary copy next to st's file. Runs still `running` in src arrive as
 * `incomplete`. One transaction: on failure st is unchanged. src naming st's own file (by any
 * path) is refused with MTOK_EINVAL. */
enum mtok_status mtok_store_merge(struct mtok_store *st, const char *src_path,
                                  struct mtok_merge_stats *stats);

#endif
