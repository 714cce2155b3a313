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

#define MTOK_STORE_SCHEMA_VERSION 4

struct mtok_store;

/* Open (creating if needed) and migrate to the current schema. path NULL = $MTOK_DB or ./mtok.db.
 * On failure *out is NULL and err says why (MTOK_EDB, or MTOK_EINVAL for a database written by a
 * newer mtok or a path that is not a regular file: a FIFO, device or directory). A file this call
 * created is removed again when it fails. */
enum mtok_status mtok_store_open(struct mtok_store **out, const char *path, struct mtok_error *err);
/* No-op on NULL. */
void mtok_store_close(struct mtok_store *st);
/* Delete the database at `path` (with its -wal, -shm and -journal files) unless a -wal file shows
 * that a connection has it open: for a command that created a database and then failed, so that
 * an error leaves nothing behind. Call it after closing the handle. */
void mtok_store_remove_unused(const char *path);
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
    const char *kind;  /* bench | ceilings | sweep | sim | cost | report | test ... */
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

/* Ceiling rows as `mtok ceilings` writes them (bench/bench.h documents the kinds):
 *   flops     name "<dtype>.<isa>" (fp32.avx512): one loop's best FLOP/s
 *   peak      name "<dtype>", level = the ISA that reached it: best over ISAs
 *   bandwidth name "<pattern>" (read, write, copy, triad), bytes = working set, level = the plateau
 *             the point was assigned to (NULL in a transition)
 *   plateau   name "<pattern>", level L1/L2/L3/DRAM, bytes = largest working set in the plateau
 *   cache     name "L1d"/"L2"/"L3", value = size the OS reports (bytes), for the cross-check */
struct mtok_ceiling_row {
    const char *kind;  /* flops | peak | bandwidth | plateau | cache */
    const char *name;  /* dtype for flops (fp32, bf16 ...); access pattern for bandwidth */
    const char *level; /* L1/L2/L3/DRAM for bandwidth plateaus, the ISA for peaks, else NULL */
    int threads;
    double bytes; /* working-set size (bandwidth), 0 for flops */
    double value; /* FLOP/s or B/s */
    const char *unit;
};

/* One calibration point (schema v4): what a measured benchmark says about the simulator's
 * utilisation for its op on hardware `hw` (sim/sim.h, mtok_calib_add), with the op's roofline so
 * that it can be predicted again under another calibration. */
struct mtok_calib_row {
    const char *name;    /* the benchmark result it comes from (unique within the run) */
    const char *hw;      /* hardware id: "host" */
    int threads;         /* threads the benchmark ran on */
    const char *op_kind; /* mtok_op_kind_name */
    const char *dtype;   /* the calibration dtype (mtok_dtype_name) */
    const char *bound;   /* compute | memory: the roof that bounds the op */
    double size;         /* the op's size on that roof */
    double utilisation;  /* roofline time on that roof / (measured - latency) */
    double compute_size, memory_size;     /* FLOPs + other operations; bytes */
    double sol_compute_ns, sol_memory_ns; /* the two roofs at utilisation 1 */
    double latency_ns;                    /* the op kind's latency (sim defaults) */
    double measured_ns;                   /* the median it was calibrated on */
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

/* One option of a workload plan (pricing/, `mtok cost`): an API or a self-hosted deployment with
 * its monthly cost. Schema v2. */
struct mtok_workload_cost_row {
    const char *key;      /* unique within the run: "api:PROVIDER/PRODUCT" or "self:HW" */
    const char *workload; /* the workload's inputs as a JSON object */
    const char *kind;     /* "api" | "self" */
    const char *name, *provider, *product, *price_id, *hw, *deployment, *hour_basis, *note;
    bool feasible;
    int devices;
    double usd_per_month, usd_per_m_tokens, utilisation, usd_per_device_hour;
    double breakeven_requests_per_day; /* INFINITY = never (stored as NULL) */
};

/* ---- a run being recorded (in memory until committed) ---- */

struct mtok_run;

/* Copies everything it is given. Never fails. */
struct mtok_run *mtok_run_create(const struct mtok_run_info *info);
void mtok_run_destroy(struct mtok_run *run);
/* The run's UUID (32 hex digits), stable from creation. */
const char *mtok_run_uuid(const struct mtok_run *run);

/* Schema v2 extras, kept out of the row structs above so that existing initialisers stay complete.
 * Each copies its input; NULL clears.
 *   machine detail: JSON object of every fingerprinted field (the fingerprint hashes it);
 *   meta: JSON object of how the run was made (harness settings, CPUs pinned); written at begin
 *   and again at commit/fail, so it may be set while the run is under way;
 *   result extra: iterations timed per sample (samples are ns per iteration; 0 = not given) and why
 *   the benchmark failed (it has no samples then; NULL = ok). */
void mtok_run_set_machine_detail(struct mtok_run *run, const char *json);
void mtok_run_set_meta(struct mtok_run *run, const char *json);
void mtok_run_set_result_extra(struct mtok_run *run, size_t result, double iters,
                               const char *error);

/* Each add copies its input and returns the row's index within the run (for samples/counters/costs). */
size_t mtok_run_add_result(struct mtok_run *run, const struct mtok_result_row *r);
void mtok_run_add_sample(struct mtok_run *run, size_t result, double ns);
void mtok_run_add_counter(struct mtok_run *run, size_t result, const char *name, double value,
                          bool available, const char *note);
void mtok_run_add_ceiling(struct mtok_run *run, const struct mtok_ceiling_row *c);
void mtok_run_add_calib(struct mtok_run *run, const struct mtok_calib_row *c);
size_t mtok_run_add_sim(struct mtok_run *run, const struct mtok_sim_row *s);
void mtok_run_add_cost(struct mtok_run *run, size_t sim, const struct mtok_cost_row *c);
void mtok_run_add_price(struct mtok_run *run, const struct mtok_price_row *p);
void mtok_run_add_workload_cost(struct mtok_run *run, const struct mtok_workload_cost_row *w);

/* Record the run as `running` (machine and build rows are created or reused). */
enum mtok_status mtok_store_run_begin(struct mtok_store *st, struct mtok_run *run);
/* Write every row of the run and mark it `complete`, in one transaction. On failure nothing of the
 * run's rows is written and the run stays `running` (so it later reads as incomplete). */
enum mtok_status mtok_store_run_commit(struct mtok_store *st, struct mtok_run *run);
/* Mark a begun run `failed` (its rows are not written). */
enum mtok_status mtok_store_run_fail(struct mtok_store *st, struct mtok_run *run);
/* A run whose rows are all in memory already: begin and commit it (marked `failed` when the
 * commit fails). */
enum mtok_status mtok_store_run_save(struct mtok_store *st, struct mtok_run *run);
/* The database id of a begun run (0 before begin). */
int64_t mtok_run_id(const struct mtok_run *run);

/* ---- queries ---- */

/* Row counts of every table, for tests and `mtok db stats`. Fills up to n names/counts in schema
 * order and returns how many tables there are. */
size_t mtok_store_table_counts(struct mtok_store *st, const char **names, int64_t *counts, size_t n);

/* ---- reading runs back ----
 *
 * One set of queries for every reader (compare, history, the host entry and calibration, the
 * report). Lists read `complete` runs only; MTOK_OK with n = 0 when there is nothing; MTOK_EDB with
 * the message on the handle when SQLite fails; MTOK_ENOTFOUND (message on the handle) for a single
 * thing that is not there. What they return is allocated; free it as each says. */

/* A run. Strings are "" when the column is NULL. */
struct mtok_run_summary {
    int64_t id;
    char uuid[33];
    char kind[32], status[16], suite[128];
    char started_at[32], finished_at[32]; /* ISO 8601 UTC */
    char host[256];
    char fingerprint[64];  /* machine fingerprint, "" without a machine row */
    char cpu_model[256];   /* of the machine row */
    double mem_bytes;      /* of the machine row, 0 when unknown */
    char git_commit[64];   /* build commit, "" without a build row */
    bool dirty;
    char simd[32];
    char args[1024]; /* the command line, truncated */
};

/* The run with database id `id`, whatever its status. MTOK_ENOTFOUND when there is none. */
enum mtok_status mtok_store_run_get(struct mtok_store *st, int64_t id,
                                    struct mtok_run_summary *out);
/* The run whose UUID is `uuid` or starts with it (at least 8 hex digits). MTOK_ENOTFOUND when none,
 * MTOK_EINVAL when the prefix is ambiguous. */
enum mtok_status mtok_store_run_find_uuid(struct mtok_store *st, const char *uuid, int64_t *id);

/* Which runs a "latest" query considers; NULL fields do not filter. */
struct mtok_run_filter {
    const char *kind;        /* required */
    const char *suite;       /* exactly this suite */
    const char *commit;      /* builds whose git_commit equals it or starts with it */
    const char *fingerprint; /* this machine */
};
/* The latest `complete` run matching f ("latest" by start time, then id). MTOK_ENOTFOUND when
 * none; MTOK_EINVAL when a commit prefix matches builds of more than one commit. */
enum mtok_status mtok_store_run_latest(struct mtok_store *st, const struct mtok_run_filter *f,
                                       struct mtok_run_summary *out);
/* Every `complete` run of `kind`, oldest first. *out is malloc'd (free it); *n may be 0. */
enum mtok_status mtok_store_runs(struct mtok_store *st, const char *kind,
                                 struct mtok_run_summary **out, size_t *n);

/* One stored result with its raw samples (in sample order). Owned strings; free with
 * mtok_store_results_free. */
struct mtok_stored_result {
    int64_t id;
    char *name, *kernel, *dtype, *shape, *variant, *provenance, *error; /* NULL when NULL */
    int threads;
    double iters, min_ns, median_ns, mad_ns, ci_lo_ns, ci_hi_ns; /* NAN when NULL */
    double flops, bytes, kv_bytes, predicted_ns;                 /* NAN when NULL */
    double *samples;
    size_t n_samples;
};
/* The results of run `run_id`, ordered by name, with their samples. */
enum mtok_status mtok_store_results(struct mtok_store *st, int64_t run_id,
                                    struct mtok_stored_result **out, size_t *n);
void mtok_store_results_free(struct mtok_stored_result *r, size_t n);

/* The ceiling rows of run `run_id`, in insertion order. Every string of every row lives in the one
 * allocation *out (free(*out) releases all); level is NULL when the column is. */
enum mtok_status mtok_store_ceilings(struct mtok_store *st, int64_t run_id,
                                     struct mtok_ceiling_row **out, size_t *n);

/* The calibration rows of run `run_id`, in insertion order, in one allocation (free(*out)). */
enum mtok_status mtok_store_calibration(struct mtok_store *st, int64_t run_id,
                                        struct mtok_calib_row **out, size_t *n);

struct mtok_stored_cost {
    char tier[32];
    double usd_per_gpu_hour, usd_per_m_input, usd_per_m_cached_input, usd_per_m_output,
        usd_per_m_total;
};
/* A simulation row and its cost rows (cost rows ordered by id). NULL numbers read as NAN, NULL
 * strings as "". */
struct mtok_stored_sim {
    int64_t id;
    char *key, *model, *hw, *deployment, *provenance;
    bool fits;
    double max_batch, ttft_s, tpot_s, tok_s_per_user, tok_s_per_gpu, input_tok_s_per_gpu,
        output_tok_s_per_gpu, weight_bytes, kv_bytes_per_token, flops_per_token;
    struct mtok_stored_cost *costs;
    size_t n_costs;
};
/* The simulation rows of run `run_id` in insertion order; free with mtok_store_sims_free. */
enum mtok_status mtok_store_sims(struct mtok_store *st, int64_t run_id,
                                 struct mtok_stored_sim **out, size_t *n);
void mtok_store_sims_free(struct mtok_stored_sim *s, size_t n);

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
