/* bench: measuring this machine. The harness (warm-up, auto-scaled iterations, repetitions,
 * pinning, statistics), machine and build identity, PAPI event sets with mtok's analytic counters
 * exported as software-defined events, the host's empirical roofline (`mtok ceilings`), and the
 * regression machinery over stored runs (`compare`, `history`, `track`).
 *
 * bench measures; it does not model hardware. A benchmark case says what one iteration costs with
 * the simulator's own `struct mtok_op` (sim/sim.h), so a measured kernel and the simulator's
 * prediction of the same op count FLOPs and bytes identically.
 *
 * Thread safety: everything here is meant for one thread at a time, except where a function says
 * otherwise. The harness and the ceilings pin threads of the calling process while they run and
 * restore the affinity they found. */
#ifndef MTOK_BENCH_H
#define MTOK_BENCH_H

#include <signal.h>

#include "catalog/catalog.h"
#include "core/core.h"
#include "core/cpu.h"
#include "sim/sim.h"
#include "store/store.h"

/* ================================================================================================
 * Statistics. Inputs are never modified; n == 0 gives NAN. */

double mtok_stats_median(const double *x, size_t n);
/* Median absolute deviation from the median, unscaled (multiply by 1.4826 for a normal sigma). */
double mtok_stats_mad(const double *x, size_t n);
/* Quantile q in [0, 1], linear between order statistics (R type 7, numpy's default). */
double mtok_stats_quantile(const double *x, size_t n, double q);
/* Distribution-free confidence interval for the median from order statistics: the widest rank
 * pair (k, n+1-k) whose binomial(n, 1/2) coverage is at least `conf`. Returns the coverage
 * achieved, which is below `conf` only when n is too small for any such pair (then [min, max]).
 * n = 10, conf 0.95 gives [x(2), x(9)] with coverage 0.9785. */
double mtok_stats_median_ci(const double *x, size_t n, double conf, double *lo, double *hi);

enum mtok_mwu_method { MTOK_MWU_AUTO, MTOK_MWU_EXACT, MTOK_MWU_ASYMPTOTIC };
struct mtok_mwu {
    double u;   /* U of x: pairs with x > y, plus half the ties (scipy's statistic) */
    double z;   /* normal deviate (asymptotic method), 0 for exact */
    double p;   /* two-sided p-value */
    bool exact; /* the exact null distribution was used */
};
/* Two-sided Mann-Whitney U test of x against y. AUTO is exact when there are no ties and
 * nx + ny <= 40, else the normal approximation with tie correction and continuity correction
 * (scipy.stats.mannwhitneyu semantics). EXACT with ties falls back to the approximation (exact =
 * false). MTOK_EINVAL when a side is empty or holds a NaN. */
enum mtok_status mtok_stats_mann_whitney(const double *x, size_t nx, const double *y, size_t ny,
                                         enum mtok_mwu_method method, struct mtok_mwu *out);

/* Step changes in a series of positive values (medians over commits): binary segmentation of
 * log(x) (least squares picks the split); a split is kept when the segment medians differ by at
 * least `min_rel_shift` (0.05 = 5%) and, for series of 6 or more, by at least 3 robust sigmas of
 * the series' noise (from the median successive difference). Writes the indices where a new level
 * starts (ascending) and returns their number (at most max_cps). */
size_t mtok_stats_changepoints(const double *x, size_t n, double min_rel_shift, size_t *cps,
                               size_t max_cps);

/* ================================================================================================
 * Machine and build identity. */

/* CPU feature flags (enum mtok_cpu_flag, mtok_cpu_flag_name): core/cpu.h, shared with kernels/. */

/* What the fingerprint is made of: only fields that do not change between boots or with load. */
struct mtok_machine {
    char vendor[16];     /* GenuineIntel, AuthenticAMD, ... */
    char cpu_model[128]; /* brand string */
    int family, model, stepping;
    unsigned isa;        /* MTOK_CPUF_* the CPU has AND the OS enables (XCR0) */
    char isa_names[320]; /* the same, as space-separated names */
    int n_cpus;          /* CPUs configured */
    /* per instance, as sysfs (else CPUID) reports; 0 = none */
    double l1d_bytes, l2_bytes, l3_bytes;
    int l1d_shared, l2_shared, l3_shared; /* CPUs sharing one instance (not fingerprinted) */
    double mem_bytes;                     /* physical memory rounded to GiB */
    char os[64];                          /* kernel name and major version: "Linux 6" */
    char hostname[256];                   /* recorded, not fingerprinted */
    char fingerprint[17];                 /* 64-bit FNV-1a of `detail`, hex */
    char detail[1024];                    /* JSON object of every fingerprinted field */
};
/* Fill m from CPUID, sysfs and /proc. Never fails: what cannot be read stays 0/"". */
void mtok_machine_detect(struct mtok_machine *m);
/* A store row whose strings point into m. */
struct mtok_machine_row mtok_machine_row(const struct mtok_machine *m);

/* The SIMD variant mtok's kernels dispatch to on this machine: $MTOK_ARCH when it names one the CPU
 * has ("ref", "avx2", "avx512"), else the widest the CPU has. */
const char *mtok_simd_variant(const struct mtok_machine *m);

struct mtok_build {
    char git_commit[64]; /* full hash, or "unknown" outside a git checkout */
    bool dirty;          /* tracked files differed from the commit when it was built */
    char compiler[128];  /* "GNU 12.2.0" */
    char flags[512];     /* build type and C flags */
    char simd[16];       /* mtok_simd_variant() */
    char version[16];    /* MTOK_VERSION */
};
/* The build this binary is: generated by CMake at build time (cmake/build_info.cmake; configure
 * with -DMTOK_GIT_COMMIT=<hash> to override the commit). At run time $MTOK_BUILD_COMMIT and
 * $MTOK_BUILD_DIRTY (0/1) override commit and dirty flag: `mtok track` sets them for the binary
 * it builds in a temporary worktree. */
void mtok_build_detect(struct mtok_build *b, const struct mtok_machine *m);
struct mtok_build_row mtok_build_row(const struct mtok_build *b);

/* How busy the rest of the machine was while we measured: CPU time other processes used and time
 * the hypervisor gave to other guests (steal), as fractions of all online CPUs over the interval.
 * From /proc/stat and getrusage; zeros where they cannot be read. */
struct mtok_load {
    double wall_s, self_cpu_s, busy_s, steal_s; /* at begin */
    int cpus;
};
void mtok_load_begin(struct mtok_load *l);
void mtok_load_end(const struct mtok_load *l, double *others, double *steal);

/* ================================================================================================
 * Benchmark cases and the harness.
 *
 * A case is one thing to time: setup once, run N iterations many times, teardown once. The harness
 * warms it up, scales N until one sample takes at least min_sample_s, takes `reps` samples (time
 * per iteration), then one more sample under the PAPI event sets (hardware presets where there are
 * any, and mtok's analytic counters as software-defined events, fed from `op` x iterations).
 *
 * The kernel suites (data/suites/, mtok_bench_suite_load) register one case per kernel x dtype x
 * shape x threads, with `op` from the kernel's own _op() function (kernels/kernels.h), which builds
 * it with the simulator's constructors: a measured kernel and the simulator's op are the same op.
 * A decode step of the reference engine is one case whose op sums the step's ops; it names the
 * model it runs (model_json) so that the prediction simulates the model, and it times its ops one
 * by one after the samples (parts). */

/* One op of a composite case's iteration (a decode step's q_a_proj, attn_csa, ...), timed by the
 * case after the samples: its op per call, calls per iteration and time per iteration. */
struct mtok_bench_part {
    char name[48];       /* the op's role (op.name) */
    int layer;           /* the first layer it ran in (-1: outside layers) */
    struct mtok_op op;   /* one call (op.name points at `name`) */
    double calls;        /* per iteration */
    double ns;           /* measured, per iteration (all calls) */
    double predicted_ns; /* the simulator's prediction for the same calls (NAN without one) */
    const char *provenance;
};

struct mtok_bench_case {
    const char *kernel; /* "gemm", "stream_triad", "peak_fma" ... */
    const char *dtype;  /* dtype name (core.h): f32, bf16, fp8, mxfp4, nvfp4, int8, f64 */
    const char *shape;  /* "2048x2048x2048", "n=1048576", "ctx=32768" ... */
    const char
        *variant;      /* ISA variant that runs ("ref", "avx2", "avx512"), NULL = not applicable */
    int threads;       /* threads one iteration uses (>= 1); the harness pins that many */
    const char *suite; /* the suite it belongs to ("host", "default", ...); NULL = any */
    struct mtok_op op; /* what ONE iteration costs (flops, bytes by class) */
    void *ctx;         /* the case's parameters, handed to setup */
    void (*ctx_free)(void *ctx); /* called when the suite is destroyed, may be NULL */
    /* Allocate and initialise what run needs. Called with `threads` OpenMP threads already pinned.
     * NULL = no state. Returns MTOK_EUNSUPPORTED when this machine cannot run the case (the case
     * is then skipped, not failed). */
    enum mtok_status (*setup)(void *ctx, int threads, void **state, struct mtok_error *err);
    /* Run `iters` iterations (>= 1). Must do the same work on every call and must not fail. Use
     * `#pragma omp parallel num_threads(threads)` for multi-threaded cases. */
    void (*run)(void *state, uint64_t iters);
    void (*teardown)(void *state); /* may be NULL */
    /* Optional, for cases whose cost is only known once set up: the op of one iteration (the
     * result records it instead of `op`). */
    void (*op_of)(void *state, struct mtok_op *op);
    /* Optional: time the ops of one iteration after the samples (a decode step's breakdown).
     * Returns the number of parts written into *out (malloc'd, the caller frees). */
    size_t (*parts)(void *state, struct mtok_bench_part **out);
    /* The model config.json (text) a composite case decodes, at context model_ctx with batch 1:
     * the predictor simulates the model's decode step instead of `op`. NULL for single ops. */
    const char *model_json;
    double model_ctx;
    /* Excluded from the simulator's calibration (composite and cache-resident cases). */
    bool no_calib;
};

/* A list of cases. mtok_bench_suite_add copies the case struct and its strings (not ctx, which
 * the suite owns from then on when ctx_free is set). */
struct mtok_bench_suite;
struct mtok_bench_suite *mtok_bench_suite_create(const char *name);
void mtok_bench_suite_destroy(struct mtok_bench_suite *s);
void mtok_bench_suite_add(struct mtok_bench_suite *s, const struct mtok_bench_case *c);
size_t mtok_bench_suite_count(const struct mtok_bench_suite *s);
const struct mtok_bench_case *mtok_bench_suite_at(const struct mtok_bench_suite *s, size_t i);
const char *mtok_bench_suite_name(const struct mtok_bench_suite *s);
/* The result name of a case: kernel/dtype/shape[/variant]/tTHREADS. Unique within a run. */
void mtok_bench_case_name(const struct mtok_bench_case *c, char *buf, size_t n);

/* Suites built into bench/: "host" (the ceilings' own loops and STREAM-style memory benchmarks).
 * `quick` shrinks working sets for smoke tests. MTOK_ENOTFOUND for an unknown name. */
enum mtok_status mtok_bench_suite_builtin(struct mtok_bench_suite **out, const char *name,
                                          const struct mtok_machine *m, bool quick,
                                          struct mtok_error *err);

/* How a kernel suite is expanded into cases. */
struct mtok_bench_load_opts {
    const char *data_dir;                /* catalog directory; NULL = the embedded data/ */
    const struct mtok_catalog *cat;      /* for model entries ("model": id); may be NULL */
    const struct mtok_sim_defaults *sim; /* for model entries; may be NULL */
    int threads;                         /* > 0: every case on this many threads */
    int threads_all;                     /* what "all" means; 0 = the CPUs we may run on */
    double rotate_bytes;                 /* > 0: overrides the suite's rotate_mib */
};

/* A kernel suite (data/suites/NAME.json with a "bench" key, format in data/SCHEMA.md): NAME in
 * data_dir/suites or the embedded data/suites, or a path to a file (anything with a '/' or ending
 * in .json). "host" gives the built-in suite. Every problem is one `FILE: FIELD: problem` line in
 * diags (MTOK_EINVAL; MTOK_ENOTFOUND for an unknown name); *out NULL on failure. */
enum mtok_status mtok_bench_suite_load(struct mtok_bench_suite **out, const char *name_or_path,
                                       const struct mtok_machine *m,
                                       const struct mtok_bench_load_opts *o,
                                       struct mtok_diags *diags);
/* The same from JSON text; `name` names it in diagnostics. */
enum mtok_status mtok_bench_suite_parse(struct mtok_bench_suite **out, const char *name,
                                        const char *json, size_t len, const struct mtok_machine *m,
                                        const struct mtok_bench_load_opts *o,
                                        struct mtok_diags *diags);
/* Names of the kernel suites in data_dir/suites (or the embedded data/suites), malloc'd. */
size_t mtok_bench_suite_names(const char *data_dir, char ***out);

struct mtok_bench_result; /* below */

struct mtok_bench_config {
    int reps; /* timed samples per case; at least 10 (default 10) */
    double
        min_sample_s;   /* minimum duration of one sample; iterations scale up to reach it (0.02) */
    double warmup_s;    /* run the case this long before sampling (0.05) */
    double max_case_s;  /* stop adding samples past this, once 10 are taken (30) */
    bool pin;           /* pin the case's threads to distinct CPUs (true) */
    bool counters;      /* the extra sample under PAPI (true) */
    const char *filter; /* POSIX extended regex over result names; NULL = every case */
    /* The simulator's prediction for one iteration of case c (op: the op the result records, or
     * one part's op with c NULL) on `host` at `threads` threads, in ns, and its provenance (a
     * static string). NULL: predicted_ns is NAN and provenance NULL. mtok_predictor_bench is one.
     */
    double (*predict)(void *ctx, const struct mtok_bench_case *c, const struct mtok_op *op,
                      int threads, const char **provenance);
    void *predict_ctx;
    /* Called once per case when it is about to run (r == NULL) and when done. For the CLI's
     * progress lines; the library itself never prints. */
    void (*progress)(void *ctx, size_t i, size_t n, const char *name,
                     const struct mtok_bench_result *r);
    void *progress_ctx;
};
void mtok_bench_config_default(struct mtok_bench_config *cfg);

/* One counter read in the PAPI sample, per iteration. */
struct mtok_bench_counter {
    char name[64]; /* PAPI event name: PAPI_TOT_CYC, perf::CONTEXT-SWITCHES, sde:::mtok::FLOPS */
    double value;  /* per iteration; 0 when unavailable */
    bool available;
    char note[160]; /* why unavailable, or what the value covers */
};

struct mtok_bench_result {
    char name[256];
    const struct mtok_bench_case *bc; /* the case (owned by the suite) */
    enum mtok_status status;          /* MTOK_OK, MTOK_EUNSUPPORTED (skipped), or the failure */
    char error[256];                  /* why it was skipped or failed, "" when ok */
    uint64_t iters;                   /* iterations per sample */
    double *samples;                  /* ns per iteration, in the order taken */
    size_t n_samples;
    double min_ns, median_ns, mad_ns, ci_lo_ns, ci_hi_ns; /* CI: 95% order-statistic */
    double gflops;                                        /* op.flops / median, GFLOP/s */
    double gbytes_s;                                      /* mtok_op_bytes(op) / median, GB/s */
    double predicted_ns;                                  /* NAN without a predictor */
    const char *provenance;                               /* of predicted_ns, NULL without one */
    char pinned[64]; /* CPUs the threads were pinned to ("0", "0,1"), "" none */
    struct mtok_bench_counter *counters;
    size_t n_counters;
    struct mtok_op op;             /* what one iteration cost: the case's op, or op_of's */
    struct mtok_bench_part *parts; /* the case's breakdown (parts), NULL without one */
    size_t n_parts;
};

struct mtok_bench_report {
    struct mtok_bench_result *results;
    size_t n;
};

/* Run every case of the suite that matches cfg->filter. A case that fails or is unsupported gets
 * a result with status and error set; only a bad configuration (regex, reps < 10) fails the whole
 * call (MTOK_EINVAL). */
enum mtok_status mtok_bench_run(const struct mtok_bench_suite *s,
                                const struct mtok_bench_config *cfg, struct mtok_bench_report **out,
                                struct mtok_error *err);
void mtok_bench_report_destroy(struct mtok_bench_report *r);
/* Add results, raw samples and counters to a run being recorded (skipped cases are not added).
 * A case's parts become results of their own, kernel "<kernel>_op", shape "<shape>:<op kind>:<op>",
 * median = the part's time per iteration (one sample). */
void mtok_bench_report_record(const struct mtok_bench_report *r, struct mtok_run *run);
/* The result name of part i of result r. */
void mtok_bench_part_name(const struct mtok_bench_result *r, size_t i, char *buf, size_t n);

/* ================================================================================================
 * PAPI. One event set per PAPI component (PAPI cannot mix components in one set): the CPU
 * component with the hardware presets (and the kernel's software events perf::CONTEXT-SWITCHES,
 * perf::CPU-MIGRATIONS where they exist, as noise indicators), and the sde component with mtok's
 * analytic counters sde:::mtok::FLOPS, ::BYTES, ::KV_BYTES, which mtok_sde_account feeds. */

/* The SDE counters mtok exports (names without the "sde:::mtok::" prefix). */
enum mtok_sde { MTOK_SDE_FLOPS, MTOK_SDE_BYTES, MTOK_SDE_KV_BYTES, MTOK_SDE_COUNT };
const char *mtok_sde_name(enum mtok_sde c);
/* Add `calls` x the op's FLOPs, bytes (mtok_op_bytes) and KV bytes, each rounded to an integer per
 * call, to the SDE counters. Registers the counters with libsde on first use. Thread-safe. */
void mtok_sde_account(const struct mtok_op *op, uint64_t calls);

struct mtok_counters;
/* Build the event sets: every preset in the list below that PAPI can count, the others recorded
 * unavailable with the reason; the SDE counters always. Fails (MTOK_EUNSUPPORTED) only when PAPI
 * itself cannot initialise. */
enum mtok_status mtok_counters_create(struct mtok_counters **out, struct mtok_error *err);
void mtok_counters_destroy(struct mtok_counters *c);
size_t mtok_counters_count(const struct mtok_counters *c);
/* Name, availability and note of event i (note: why unavailable). */
const struct mtok_bench_counter *mtok_counters_info(const struct mtok_counters *c, size_t i);
/* How many hardware presets are countable here (0 on a VM without a PMU). */
int mtok_counters_hw_available(const struct mtok_counters *c);
enum mtok_status mtok_counters_start(struct mtok_counters *c, struct mtok_error *err);
/* Stop and store the counts since start in values[count] (unavailable events: 0). */
enum mtok_status mtok_counters_stop(struct mtok_counters *c, long long *values,
                                    struct mtok_error *err);

/* ================================================================================================
 * Ceilings: the host's empirical roofline, measured the way ERT and likwid-bench do.
 *   - peak FLOP/s per dtype (fp64, fp32, bf16 via AVX512-BF16 vdpbf16ps, int8 via vpdpbusd) and
 *     per ISA level (avx2, avx512, plus a plain-C "ref"), register-resident loops of independent
 *     FMA/dot-product chains, 1 thread and all threads;
 *   - bandwidth per access pattern (read, write, copy, triad) over working sets from 4 KiB up to
 *     at least 4x the last-level cache in x1.2 steps (x2 with quick), best of N with the first
 *     sample excluded (STREAM rules), 1 thread and all threads;
 *   - plateaus found in the data (steps of the bandwidth curve), labelled L1/L2/L3/DRAM by the
 *     cache sizes the OS reports, with notes where the two disagree. */

struct mtok_ceilings_config {
    bool quick;          /* seconds: fewer sizes (x2 steps), read and triad only, best of 3 */
    int threads;         /* "all threads": 0 = every CPU this process may run on */
    double max_bytes;    /* largest working set; 0 = 4 x LLC (capped at a quarter of RAM) */
    int best_of;         /* samples kept per point (STREAM's NTIMES - 1); 0 = 5 (3 when quick) */
    double min_sample_s; /* minimum duration of one sample; 0 = 0.005 (0.001 when quick) */
    void (*progress)(void *ctx, const char *what); /* one line per phase, may be NULL */
    void *progress_ctx;
};

struct mtok_ceiling_peak {
    char dtype[8]; /* fp64 fp32 bf16 int8 */
    char isa[16];  /* ref avx2 avx512 */
    int threads;
    double flops_s; /* best of N */
    double flops_per_iter;
};
struct mtok_ceiling_point {
    char pattern[8]; /* read write copy triad */
    int threads;
    double bytes;   /* working set (all arrays) */
    double bytes_s; /* best of N; traffic counted as STREAM does (no write-allocate) */
    int plateau;    /* index into plateaus, -1 in a transition */
};
struct mtok_ceiling_plateau {
    char pattern[8];
    int threads;
    char level[8];             /* L1 L2 L3 DRAM, or "?" when it matches no cache level */
    double lo_bytes, hi_bytes; /* working sets of its first and last point */
    double bytes_s;            /* median of its points */
    double edge_bytes;         /* where the step that ends it lies, 0 for the last plateau */
};
struct mtok_ceilings {
    struct mtok_ceiling_peak *peaks;
    size_t n_peaks;
    struct mtok_ceiling_point *points;
    size_t n_points;
    struct mtok_ceiling_plateau *plateaus;
    size_t n_plateaus;
    int threads_all;           /* what "all threads" was */
    double others_busy, steal; /* mtok_load_end over the whole measurement */
    char isa[16];              /* the ISA the bandwidth loops used */
    char **notes;              /* cross-check findings, one line each */
    size_t n_notes;
};

enum mtok_status mtok_ceilings_measure(const struct mtok_machine *m,
                                       const struct mtok_ceilings_config *cfg,
                                       struct mtok_ceilings **out, struct mtok_error *err);
void mtok_ceilings_destroy(struct mtok_ceilings *c);
/* The ceiling rows of a measurement (kinds: flops, peak, bandwidth, plateau, cache; see
 * store/store.h), added to a run. */
void mtok_ceilings_record(const struct mtok_ceilings *c, const struct mtok_machine *m,
                          struct mtok_run *run);

/* Plateaus of one bandwidth curve (bytes ascending, bandwidth > 0), found in the data:
 *   1. a non-increasing fit of log(bandwidth) (pool-adjacent-violators), so that a noise spike
 *      cannot make a step;
 *   2. steps: the drop of the fit across a window of about x1.7 in working set, taken at its
 *      largest point in each stretch where it exceeds 25%; at most one step per cache boundary
 *      the sweep crosses (caches[0..n_caches) are the L1d, L2, L3 capacities as this thread count
 *      sees them), the largest drops first;
 *   3. the steps are matched in order to those boundaries (least total log distance), so a step
 *      far from where the OS says the cache ends is still the step of that cache;
 *   4. the levels lie between steps, minus a window either side; the first is L1, and each step
 *      starts the level after its boundary (L2, L3, DRAM);
 * Each plateau is valued at the median bandwidth of its points; edge_bytes is the step that ends
 * it (0 for the last). plateau_of[i] receives the plateau of point i or -1. Returns the number of
 * plateaus written (at most max). */
size_t mtok_ceilings_plateaus(const double *bytes, const double *bw, size_t n, const double *caches,
                              size_t n_caches, struct mtok_ceiling_plateau *out, size_t max,
                              int *plateau_of);

/* The `host` hardware entry (data/SCHEMA.md, kind cpu) from the ceiling rows of one run: peaks at
 * all threads per dtype (fp8/fp4 null), memory capacity from the machine row and bandwidth from
 * the DRAM read plateau at all threads. `source` names the run. Returns malloc'd JSON, or NULL
 * with err set when the rows lack a peak or a DRAM plateau. */
char *mtok_host_json(const struct mtok_ceiling_row *rows, size_t n, const char *cpu_model,
                     double mem_bytes, const char *run_uuid, const char *date,
                     struct mtok_error *err);
/* Load the host entry of the latest complete `ceilings` run on this machine (fingerprint; NULL =
 * any machine) from the store into the catalog, replacing any `host` there. MTOK_ENOTFOUND when
 * there is no such run; MTOK_EINVAL (diags filled) when the entry does not validate. */
enum mtok_status mtok_host_load(struct mtok_catalog *cat, struct mtok_store *st,
                                const char *fingerprint, struct mtok_diags *diags);

/* ================================================================================================
 * Predictions and calibration: the simulator (sim/) on the measured `host`.
 *
 * A benchmark's op is predicted exactly as the simulator predicts the same op of a model: through
 * its precision rules (mtok_sim_op_canonical), on the `host` entry as it stands at the case's
 * thread count (the peaks and DRAM bandwidth `mtok ceilings` measured with that many threads),
 * with the calibration of the latest bench run of this machine (mtok_sim_op_cost). A measurement
 * calibrates its op's key (host, op kind, calibration dtype, the roof that bounds the op at
 * utilisation 1): utilisation = roofline time on that roof / (median - the op kind's latency), a
 * point at the op's size on that roof. Points of one key form a curve over size (provenance
 * measured at a point, calibrated in between); each op kind and roof also gets the median of its
 * points, and each roof the median of all, for ops no point matches (calibrated). */

/* The host entry at `threads` threads: host's figures with the peaks ("peak" rows) and the DRAM
 * read plateau (else the largest working set's read bandwidth) of the ceiling rows measured with
 * that many threads, where the rows have them. vector_only: the peaks of the vector units only
 * (the best "flops" loop that is not a tile unit's, AMX). */
void mtok_host_at_threads(const struct mtok_hw *host, const struct mtok_ceiling_row *rows, size_t n,
                          int threads, bool vector_only, struct mtok_hw *out);

/* A calibration point (a store row with parsed keys; strings point into the row). */
struct mtok_calib_point {
    const char *name;
    int threads;
    enum mtok_op_kind kind;
    enum mtok_dtype dtype; /* mtok_calib_dtype of the op */
    enum mtok_bound bound;
    double size, utilisation;
    double compute_size, memory_size;
    double sol_compute_ns, sol_memory_ns, latency_ns, measured_ns;
};
/* Parse stored rows into points (rows with unknown keys are dropped). Returns how many; *out
 * malloc'd, pointing into rows. */
size_t mtok_calib_points(const struct mtok_calib_row *rows, size_t n,
                         struct mtok_calib_point **out);

/* Add calibration entries for hardware hw_id from the points at thread count `threads` (the
 * nearest thread count that has points when none has exactly that many), leaving out point `skip`
 * (SIZE_MAX: none): a curve per key (measured), a size-independent entry per op kind and roof and
 * one per roof (calibrated, the medians). Points of one key within 1% in size are merged (the
 * geometric mean of their utilisations). `source` names the run. Returns the entries added. */
size_t mtok_calib_from_points(struct mtok_calib *c, const char *hw_id,
                              const struct mtok_calib_point *pts, size_t n, int threads,
                              size_t skip, const char *source);

/* A point's time under calibration c on hw_id, by the simulator's op formula: max(compute roof /
 * u_compute, memory roof / u_memory) + latency; *prov: the bounding roof's provenance. */
double mtok_calib_point_predict(const struct mtok_calib *c, const char *hw_id,
                                const struct mtok_calib_point *p, enum mtok_prov *prov);

/* Load into c the calibration of hardware "host" simulated at `threads` threads: the points of
 * the latest complete bench run of this machine that has any (a run of the "quick" suite only
 * when there is no other). run_uuid (may be NULL) receives that run's UUID. MTOK_ENOTFOUND when
 * there is none (c is then unchanged). */
enum mtok_status mtok_host_calib_load(struct mtok_calib *c, struct mtok_store *st,
                                      const char *fingerprint, int threads, char run_uuid[33],
                                      struct mtok_error *err);

struct mtok_predictor;

/* A predictor for this machine: the `host` entry of cat (see mtok_host_load) with the ceiling
 * rows of the latest ceilings run of `fingerprint`, and the calibration mtok_host_calib_load
 * finds (none: the simulator's sourced defaults, or pure roofline). d is kept (it must outlive
 * the predictor). MTOK_ENOTFOUND without a host entry or ceilings run. */
enum mtok_status mtok_predictor_create(struct mtok_predictor **out, struct mtok_store *st,
                                       const struct mtok_catalog *cat,
                                       const struct mtok_sim_defaults *d, const char *fingerprint,
                                       struct mtok_error *err);
void mtok_predictor_destroy(struct mtok_predictor *p);
/* The bench run whose calibration the predictor uses ("" = none). */
const char *mtok_predictor_calib_run(const struct mtok_predictor *p);
/* The host entry at `threads` threads, as the predictor simulates it. */
const struct mtok_hw *mtok_predictor_hw(struct mtok_predictor *p, int threads);

struct mtok_prediction {
    double sol_ns; /* pure roofline */
    double ns;     /* with the calibration (or the defaults without one) */
    enum mtok_prov prov;
    enum mtok_bound bound; /* of the calibrated prediction */
};
/* One op (canonicalised first) at `threads` threads. */
void mtok_predictor_op(struct mtok_predictor *p, const struct mtok_op *op, int threads,
                       struct mtok_prediction *out);
/* One decode step (batch 1) of the model in `json` (a config.json; `name` for diagnostics) at
 * context ctx, native precision. per_kind (may be NULL) receives the calibrated time per op kind
 * and sol_per_kind (may be NULL) the pure-roofline one, in ns. */
enum mtok_status mtok_predictor_model(struct mtok_predictor *p, const char *name, const char *json,
                                      double ctx, int threads, struct mtok_prediction *out,
                                      double per_kind[MTOK_OP_KIND_COUNT],
                                      double sol_per_kind[MTOK_OP_KIND_COUNT],
                                      struct mtok_error *err);
/* The harness's predict callback (mtok_bench_config.predict; predict_ctx = the predictor). */
double mtok_predictor_bench(void *ctx, const struct mtok_bench_case *c, const struct mtok_op *op,
                            int threads, const char **provenance);
/* The calibration point a measurement of op makes (strings of *out point at name). False when it
 * makes none (no positive time or roof). */
bool mtok_predictor_point(struct mtok_predictor *p, const struct mtok_op *op, int threads,
                          double measured_ns, const char *name, struct mtok_calib_point *out);
/* Add the calibration rows of a bench report to the run: one per result of a case that
 * calibrates (not no_calib), for hardware "host". Returns how many. */
size_t mtok_predictor_record(struct mtok_predictor *p, const struct mtok_bench_report *r,
                             struct mtok_run *run);

/* ---- accuracy: the simulator's prediction against the measurement ---- */

struct mtok_accuracy_row {
    char name[256];
    int threads;
    char kind[16], dtype[8], bound[8];
    double measured_ns;
    double sol_ns;   /* pure roofline */
    double in_ns;    /* calibrated on the same run, this point included */
    double loo_ns;   /* calibrated on the same run without this point (leave one out) */
    double cross_ns; /* calibrated on the previous run of the suite (NAN: none) */
    enum mtok_prov in_prov, loo_prov, cross_prov;
};
struct mtok_accuracy_stats {
    size_t n;
    double median, worst; /* of |predicted / measured - 1| */
};
struct mtok_accuracy {
    char run[33], base_run[33]; /* evaluated run; the previous run of the suite ("" none) */
    char suite[128], started_at[32], base_started_at[32];
    struct mtok_accuracy_row *rows;
    size_t n;
    struct mtok_accuracy_stats sol, in, loo, cross;
};
/* Compute it from the store: the latest complete bench run of `suite` (NULL = "default") on this
 * machine (fingerprint) with calibration points, and the one before it. base (may be NULL): the
 * table the host entries are added to (the simulator's defaults). */
enum mtok_status mtok_accuracy_compute(struct mtok_store *st, const char *fingerprint,
                                       const char *suite, const struct mtok_calib *base,
                                       struct mtok_accuracy **out, struct mtok_error *err);
void mtok_accuracy_destroy(struct mtok_accuracy *a);
/* Median and worst absolute relative error of pred against meas over n entries (NAN skipped). */
struct mtok_accuracy_stats mtok_accuracy_stats_of(const double *pred, const double *meas, size_t n);

/* ================================================================================================
 * Regressions. */

/* Resolve one side of a comparison to a complete run:
 *   - a path to an existing file: a database; its latest complete run of `kind`;
 *   - an integer: a run id in st;  32 hex digits (or a unique prefix of 8+): a run UUID in st;
 *   - otherwise a commit (anything git rev-parse understands, when run inside a checkout, or a
 *     prefix of a stored commit hash): the latest complete run of `kind` built from it.
 * On success *run_store is st or a store opened on the other file (the caller closes it when it
 * differs from st). Incomplete and failed runs are refused (MTOK_EINVAL). */
enum mtok_status mtok_compare_resolve(struct mtok_store *st, const char *spec, const char *kind,
                                      struct mtok_store **run_store, int64_t *run_id,
                                      struct mtok_error *err);

enum mtok_mark {
    MTOK_MARK_SAME = '~',          /* not significant, or within the threshold */
    MTOK_MARK_WORSE = '+',         /* significantly slower beyond the threshold */
    MTOK_MARK_BETTER = '-',        /* significantly faster beyond the threshold */
    MTOK_MARK_FAILED = '!',        /* a side has no samples or recorded an error */
    MTOK_MARK_NOT_COMPARABLE = 'x' /* missing on one side, or different machines */
};

struct mtok_compare_row {
    char name[256];
    enum mtok_mark mark;
    double base_ns, head_ns; /* medians of the raw samples, NAN when absent */
    double ratio;            /* head / base */
    double p;                /* two-sided Mann-Whitney p, NAN when not tested */
    size_t n_base, n_head;
    bool head_failed; /* the failure (mark !) is on HEAD's side */
    char why[128];    /* for ! and x */
};

struct mtok_compare_opts {
    double threshold; /* relative change that matters: 0.05 */
    double alpha;     /* significance level: 0.05 */
};

struct mtok_compare {
    struct mtok_run_summary base, head;
    bool same_machine;
    struct mtok_compare_row *rows;
    size_t n;
    int worse, better, same, failed, not_comparable;
};

/* Compare every benchmark of two runs (union of names). */
enum mtok_status mtok_compare_runs(struct mtok_store *base_st, int64_t base_run,
                                   struct mtok_store *head_st, int64_t head_run,
                                   const struct mtok_compare_opts *o, struct mtok_compare **out,
                                   struct mtok_error *err);
void mtok_compare_destroy(struct mtok_compare *c);
/* 1 when HEAD regressed (a `+`, or a `!` on HEAD's side), else 0: the exit code of compare. */
int mtok_compare_verdict(const struct mtok_compare *c);

/* A benchmark over commits. Points are the latest complete bench run of each commit (of the
 * current machine's fingerprint when given), in commit order: `git rev-list` order of the
 * repository when there is one, else by run start time. */
struct mtok_history_point {
    char commit[64];
    char run_uuid[33];
    char started_at[32];
    double median_ns;
    bool step;         /* a step change starts here */
    double step_ratio; /* median after / before the step */
    double step_p;     /* Mann-Whitney p of the pooled samples either side */
};
struct mtok_history_series {
    char name[256];
    struct mtok_history_point *points;
    size_t n;
};
struct mtok_history {
    struct mtok_history_series *series;
    size_t n;
    bool git_order; /* commits were ordered by git */
};
struct mtok_history_opts {
    const char *filter;      /* POSIX extended regex over benchmark names; NULL = all */
    const char *fingerprint; /* only runs on this machine; NULL = all machines */
    const char *repo_dir;    /* where to ask git for commit order; NULL = current directory */
    double threshold;        /* step size that matters: 0.05 */
    double alpha;            /* significance of a step: 0.05 */
};
enum mtok_status mtok_history_build(struct mtok_store *st, const struct mtok_history_opts *o,
                                    struct mtok_history **out, struct mtok_error *err);
void mtok_history_destroy(struct mtok_history *h);
/* The chart is written by reports/ (mtok_report_history_chart in reports/reports.h). */

/* asv-style tracking: for each commit of a range, a temporary git worktree, a build, the suite run
 * by that build's own binary into the caller's database, and the worktree removed again (also when
 * a step fails or *cancel becomes non-zero). */
struct mtok_track_config {
    const char *repo_dir;          /* repository to take commits from; NULL = current directory */
    const char *range;             /* "A..B" (commits after A up to B), or one commit */
    const char *suite;             /* suite for `mtok bench --suite`; NULL = default */
    const char *db_path;           /* the caller's database (absolute or relative to the cwd) */
    const char *const *bench_args; /* extra arguments for `mtok bench` (NULL-terminated), or NULL */
    int jobs;                      /* build parallelism; 0 = number of CPUs */
    const volatile sig_atomic_t *cancel; /* set by a signal handler to stop early; may be NULL */
    void (*log)(void *ctx, const char *line); /* progress lines, may be NULL */
    void *log_ctx;
};
struct mtok_track_commit {
    char commit[41];
    bool ok;
    char stage[16];  /* where it failed: worktree, configure, build, bench, cancelled */
    char error[512]; /* last line(s) of the failing step's output */
};
/* Returns MTOK_OK when every commit was built and benchmarked, MTOK_EINVAL for a bad range or
 * repository (nothing done), MTOK_EIO when some commit failed (*out says which). */
enum mtok_status mtok_track(const struct mtok_track_config *cfg, struct mtok_track_commit **out,
                            size_t *n, struct mtok_error *err);

#endif
