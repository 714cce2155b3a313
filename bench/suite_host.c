/* The built-in "host" suite: the ceilings' own loops and STREAM-style memory benchmarks, as
 * harness cases. They measure the machine; mtok's kernels are in the suites of data/suites/
 * (bench/kcases.c). */
#define _GNU_SOURCE
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "bench/internal.h"

/* ---- peak loops ---- */

struct peak_state {
    const struct ceil_flops_kernel *k;
    int threads;
    double sink;
};

static enum mtok_status peak_setup(void *ctx, int threads, void **state, struct mtok_error *err)
{
    (void)err;
    struct peak_state *s = mtok_xcalloc(1, sizeof *s);
    s->k = ctx;
    s->threads = threads;
    *state = s;
    return MTOK_OK;
}

/* One iteration = one pass of the chains on every thread. */
static void peak_run(void *state, uint64_t iters)
{
    struct peak_state *s = state;
    if (s->threads == 1) {
        s->sink += s->k->fn(iters);
        return;
    }
    double acc = 0;
#pragma omp parallel num_threads(s->threads) reduction(+ : acc)
    acc += s->k->fn(iters);
    s->sink += acc;
}

static void peak_teardown(void *state)
{
    free(state);
}

static const char *mtok_dtype_of(const char *ceiling_dtype)
{
    return strcmp(ceiling_dtype, "fp64") == 0   ? "f64"
           : strcmp(ceiling_dtype, "fp32") == 0 ? "f32"
                                                : ceiling_dtype; /* bf16, int8 */
}

static enum mtok_dtype dtype_enum(const char *name)
{
    enum mtok_dtype d = MTOK_F32;
    mtok_dtype_parse(name, &d);
    return d;
}

/* ---- streaming loops ---- */

enum stream_kind { STREAM_COPY, STREAM_TRIAD, STREAM_SUM };

struct stream_ctx {
    enum stream_kind kind;
    size_t n; /* elements per array, a multiple of 64 x threads */
};

struct stream_state {
    ceil_bw_fn fn;
    double *a, *b, *c;
    void *mem;
    size_t n;
    int threads;
    double sink;
};

static enum mtok_status stream_setup(void *ctx, int threads, void **state, struct mtok_error *err)
{
    const struct stream_ctx *x = ctx;
    struct mtok_machine m;
    mtok_machine_detect(&m);
    const struct ceil_bw_kernels *k = ceil_bw_best(m.isa);
    struct stream_state *s = mtok_xcalloc(1, sizeof *s);
    s->fn = x->kind == STREAM_COPY ? k->copy : x->kind == STREAM_TRIAD ? k->triad : k->read;
    s->n = x->n;
    s->threads = threads;
    size_t bytes = (3 * x->n + 64) * sizeof(double), align = 2u << 20;
    bytes = (bytes + align - 1) / align * align;
    if (posix_memalign(&s->mem, align, bytes) != 0) {
        free(s);
        return mtok_error_set(err, MTOK_ENOMEM, "cannot allocate %.0f MiB",
                              (double)bytes / 1048576);
    }
#ifdef MADV_HUGEPAGE
    madvise(s->mem, bytes, MADV_HUGEPAGE);
#endif
    s->b = s->mem;
    s->c = s->b + x->n + 8;
    s->a = s->c + x->n + 8;
    size_t total = bytes / sizeof(double);
    double *d = s->mem;
    /* First touch by the threads that will use the data (NUMA placement). */
#pragma omp parallel for num_threads(threads) schedule(static)
    for (size_t i = 0; i < total; i++)
        d[i] = 1.0;
    *state = s;
    return MTOK_OK;
}

static void stream_run(void *state, uint64_t iters)
{
    struct stream_state *s = state;
    if (s->threads == 1) {
        s->sink += s->fn(s->a, s->b, s->c, s->n, iters);
        return;
    }
    size_t chunk = s->n / (size_t)s->threads;
    double acc = 0;
#pragma omp parallel num_threads(s->threads) reduction(+ : acc)
    {
        size_t off = (size_t)omp_get_thread_num() * chunk;
        acc += s->fn(s->a + off, s->b + off, s->c + off, chunk, iters);
    }
    s->sink += acc;
}

static void stream_teardown(void *state)
{
    struct stream_state *s = state;
    free(s->mem);
    free(s);
}

static void add_stream(struct mtok_bench_suite *suite, const char *isa, enum stream_kind kind,
                       double ws_bytes, int threads)
{
    static const char *const names[] = {"stream_copy", "stream_triad", "sum"};
    static const int arrays[] = {2, 3, 1};
    size_t quantum = 64 * (size_t)threads;
    size_t n = (size_t)(ws_bytes / (8.0 * arrays[kind])) / quantum * quantum;
    if (!n)
        n = quantum;
    struct stream_ctx *ctx = mtok_xmalloc(sizeof *ctx);
    ctx->kind = kind, ctx->n = n;
    char shape[64];
    snprintf(shape, sizeof shape, "n=%zu", n);
    struct mtok_op op = {.kind = kind == STREAM_COPY ? MTOK_OP_MOVE : MTOK_OP_ELEMENTWISE,
                         .name = names[kind],
                         .wdtype = MTOK_F64,
                         .adtype = MTOK_F64,
                         .cdtype = MTOK_F64,
                         .m = (double)n,
                         /* STREAM counting: triad 2 FLOPs and 24 bytes per element, copy 16 bytes,
                          * the sum 1 FLOP and 8 bytes (no write-allocate traffic counted). */
                         .flops = kind == STREAM_TRIAD ? 2.0 * (double)n
                                  : kind == STREAM_SUM ? (double)n
                                                       : 0,
                         .a_bytes = 8.0 * arrays[kind] * (double)n};
    struct mtok_bench_case c = {.kernel = names[kind],
                                .dtype = "f64",
                                .shape = shape,
                                .variant = isa,
                                .threads = threads,
                                .suite = "host",
                                .op = op,
                                .ctx = ctx,
                                .ctx_free = free,
                                .setup = stream_setup,
                                .run = stream_run,
                                .teardown = stream_teardown};
    mtok_bench_suite_add(suite, &c);
}

enum mtok_status mtok_bench_suite_builtin(struct mtok_bench_suite **out, const char *name,
                                          const struct mtok_machine *m, bool quick,
                                          struct mtok_error *err)
{
    *out = NULL;
    /* the kernel suites are files (data/suites/, mtok_bench_suite_load) */
    if (strcmp(name, "host") != 0)
        return mtok_error_set(err, MTOK_ENOTFOUND, "no built-in suite \"%s\" (built in: host)",
                              name);
    struct mtok_bench_suite *s = mtok_bench_suite_create(name);
    int cpus[1024];
    int tall = bench_allowed_cpus(cpus, 1024);
    int counts[2] = {1, tall}, n_counts = tall > 1 ? 2 : 1;

    /* Peak loops: every ISA level the CPU runs (quick: the widest per dtype). */
    const struct ceil_flops_kernel *ks[32];
    size_t nk = ceil_flops_all(ks, 32);
    for (size_t i = 0; i < nk; i++) {
        const struct ceil_flops_kernel *k = ks[i];
        if (!ceil_flops_runs(k, m->isa))
            continue;
        if (quick) { /* a later (wider) kernel of the same dtype that runs here supersedes it */
            bool superseded = false;
            for (size_t j = i + 1; j < nk; j++)
                superseded |= strcmp(ks[j]->dtype, k->dtype) == 0 && ceil_flops_runs(ks[j], m->isa);
            if (superseded)
                continue;
        }
        for (int t = 0; t < n_counts; t++) {
            const char *dt = mtok_dtype_of(k->dtype);
            struct mtok_op op = {.kind = MTOK_OP_ELEMENTWISE,
                                 .name = "peak",
                                 .wdtype = dtype_enum(dt),
                                 .adtype = dtype_enum(dt),
                                 .cdtype = dtype_enum(dt),
                                 .flops = k->flops_per_iter * counts[t]};
            struct mtok_bench_case c = {.kernel = strcmp(k->dtype, "fp64") == 0 ||
                                                          strcmp(k->dtype, "fp32") == 0
                                                      ? "peak_fma"
                                                      : "peak_dot",
                                        .dtype = dt,
                                        .shape = "registers",
                                        .variant = k->isa,
                                        .threads = counts[t],
                                        .suite = "host",
                                        .op = op,
                                        .ctx = (void *)(uintptr_t)k,
                                        .setup = peak_setup,
                                        .run = peak_run,
                                        .teardown = peak_teardown};
            mtok_bench_suite_add(s, &c);
        }
    }

    /* Streaming: an L2-resident working set (half of L2 per thread) and a DRAM one (4x the
     * last-level cache, at most a quarter of RAM; 16 MiB when quick). */
    const char *isa = ceil_bw_best(m->isa)->isa;
    double l2 = m->l2_bytes > 0 ? m->l2_bytes : 1 << 20;
    double llc = m->l3_bytes > 0 ? m->l3_bytes : l2;
    double dram = 4 * llc;
    if (m->mem_bytes > 0 && dram > m->mem_bytes / 4)
        dram = m->mem_bytes / 4;
    if (quick)
        dram = 16 << 20;
    for (int t = 0; t < n_counts; t++) {
        add_stream(s, isa, STREAM_TRIAD, l2 / 2 * counts[t], counts[t]);
        add_stream(s, isa, STREAM_COPY, dram, counts[t]);
        add_stream(s, isa, STREAM_TRIAD, dram, counts[t]);
        add_stream(s, isa, STREAM_SUM, dram, counts[t]);
    }
    *out = s;
    return MTOK_OK;
}
