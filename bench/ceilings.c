/* `mtok ceilings`: peak FLOP/s per dtype and ISA level, and the bandwidth of each memory level from
 * a working-set sweep, as ERT and likwid-bench measure them. */
#define _GNU_SOURCE
#include <math.h>
#include <stdatomic.h>
#include <omp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "bench/internal.h"

/* ---- the loops this build has ---- */

size_t ceil_flops_all(const struct ceil_flops_kernel **out, size_t max)
{
    struct {
        const struct ceil_flops_kernel *v;
        size_t n;
    } tables[] = {
        {mtok_ceil_flops_ref, mtok_ceil_flops_ref_n},
#ifdef MTOK_X86_KERNELS
        {mtok_ceil_flops_avx2, mtok_ceil_flops_avx2_n},
        {mtok_ceil_flops_avxvnni, mtok_ceil_flops_avxvnni_n},
        {mtok_ceil_flops_avx512, mtok_ceil_flops_avx512_n},
        {mtok_ceil_flops_avx512bf16, mtok_ceil_flops_avx512bf16_n},
        {mtok_ceil_flops_avx512vnni, mtok_ceil_flops_avx512vnni_n},
        {mtok_ceil_flops_amx, mtok_ceil_flops_amx_n},
#endif
    };
    size_t n = 0;
    for (size_t t = 0; t < sizeof tables / sizeof *tables; t++)
        for (size_t i = 0; i < tables[t].n && n < max; i++)
            out[n++] = &tables[t].v[i];
    return n;
}

bool ceil_flops_runs(const struct ceil_flops_kernel *k, unsigned isa)
{
    if ((isa & k->needs) != k->needs)
        return false;
    return !(k->needs & MTOK_CPUF_AMX_TILE) || mtok_cpu_get()->amx_granted;
}

const struct ceil_bw_kernels *ceil_bw_best(unsigned isa)
{
#ifdef MTOK_X86_KERNELS
    if ((isa & mtok_ceil_bw_avx512.needs) == mtok_ceil_bw_avx512.needs)
        return &mtok_ceil_bw_avx512;
    if ((isa & mtok_ceil_bw_avx2.needs) == mtok_ceil_bw_avx2.needs)
        return &mtok_ceil_bw_avx2;
#else
    (void)isa;
#endif
    return &mtok_ceil_bw_ref;
}

/* ---- timing ---- */

static double sink; /* results of the loops end here so that they stay live */

/* The timed part of a multi-thread loop starts and ends at a spinning barrier. OpenMP's own barrier
 * sleeps under OMP_WAIT_POLICY=passive (which the measuring commands set), and waking a sleeping
 * thread took long enough in this VM to cut the 2-thread L1 figure from ~480 to ~58 GB/s. */
struct spin_barrier {
    atomic_int arrived;
    atomic_int generation;
};

static void spin_barrier_wait(struct spin_barrier *b, int n)
{
    int gen = atomic_load_explicit(&b->generation, memory_order_acquire);
    if (atomic_fetch_add_explicit(&b->arrived, 1, memory_order_acq_rel) == n - 1) {
        atomic_store_explicit(&b->arrived, 0, memory_order_relaxed);
        atomic_store_explicit(&b->generation, gen + 1, memory_order_release);
        return;
    }
    while (atomic_load_explicit(&b->generation, memory_order_acquire) == gen) {
#if defined(__x86_64__) || defined(__i386__)
        __builtin_ia32_pause();
#endif
    }
}

/* Seconds for `iters` iterations of k on `threads` pinned threads (the slowest thread counts:
 * timed between barriers). */
static double time_flops(const struct ceil_flops_kernel *k, int threads, uint64_t iters)
{
    if (threads == 1) {
        uint64_t t0 = mtok_now_ns();
        sink += k->fn(iters);
        return (double)(mtok_now_ns() - t0) * 1e-9;
    }
    uint64_t t0 = 0, t1 = 0;
    double acc = 0;
    struct spin_barrier b = {0};
#pragma omp parallel num_threads(threads) reduction(+ : acc)
    {
        spin_barrier_wait(&b, threads);
#pragma omp master
        t0 = mtok_now_ns();
        spin_barrier_wait(&b, threads);
        acc += k->fn(iters);
        spin_barrier_wait(&b, threads);
#pragma omp master
        t1 = mtok_now_ns();
    }
    sink += acc;
    return (double)(t1 - t0) * 1e-9;
}

struct bw_job {
    ceil_bw_fn fn;
    double *a, *b, *c;
    size_t n; /* elements per array, a multiple of 64 x threads */
};

static double time_bw(const struct bw_job *j, int threads, uint64_t passes)
{
    if (threads == 1) {
        uint64_t t0 = mtok_now_ns();
        sink += j->fn(j->a, j->b, j->c, j->n, passes);
        return (double)(mtok_now_ns() - t0) * 1e-9;
    }
    uint64_t t0 = 0, t1 = 0;
    double acc = 0;
    size_t chunk = j->n / (size_t)threads;
    struct spin_barrier b = {0};
#pragma omp parallel num_threads(threads) reduction(+ : acc)
    {
        size_t off = (size_t)omp_get_thread_num() * chunk;
        spin_barrier_wait(&b, threads);
#pragma omp master
        t0 = mtok_now_ns();
        spin_barrier_wait(&b, threads);
        /* b and c are NULL for the read-only sweeps: no offset on a null pointer */
        acc += j->fn(j->a + off, j->b ? j->b + off : NULL, j->c ? j->c + off : NULL, chunk, passes);
        spin_barrier_wait(&b, threads);
#pragma omp master
        t1 = mtok_now_ns();
    }
    sink += acc;
    return (double)(t1 - t0) * 1e-9;
}

/* ---- results ---- */

static void add_note(struct mtok_ceilings *c, const char *fmt, ...) MTOK_PRINTF(2, 3);
static void add_note(struct mtok_ceilings *c, const char *fmt, ...)
{
    struct mtok_buf b = {0};
    va_list ap;
    va_start(ap, fmt);
    mtok_buf_vprintf(&b, fmt, ap);
    va_end(ap);
    c->notes = mtok_xrealloc(c->notes, (c->n_notes + 1) * sizeof *c->notes);
    c->notes[c->n_notes++] = mtok_buf_steal(&b);
}

void mtok_ceilings_destroy(struct mtok_ceilings *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n_notes; i++)
        free(c->notes[i]);
    free(c->notes);
    free(c->peaks);
    free(c->points);
    free(c->plateaus);
    free(c);
}

static void progress(const struct mtok_ceilings_config *cfg, const char *fmt, ...)
    MTOK_PRINTF(2, 3);
static void progress(const struct mtok_ceilings_config *cfg, const char *fmt, ...)
{
    if (!cfg->progress)
        return;
    char line[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    cfg->progress(cfg->progress_ctx, line);
}

/* ---- peak FLOP/s ---- */

static void measure_flops(const struct mtok_machine *m, const struct mtok_ceilings_config *cfg,
                          const int *thread_counts, int n_counts, int best_of, double min_s,
                          struct mtok_ceilings *out)
{
    const struct ceil_flops_kernel *ks[32];
    size_t nk = ceil_flops_all(ks, 32);
    out->peaks = mtok_xcalloc(nk * (size_t)n_counts + 1, sizeof *out->peaks);
    for (size_t i = 0; i < nk; i++) {
        const struct ceil_flops_kernel *k = ks[i];
        if (!ceil_flops_runs(k, m->isa))
            continue;
        for (int t = 0; t < n_counts; t++) {
            int threads = thread_counts[t];
            progress(cfg, "flops %s.%s on %d thread%s", k->dtype, k->isa, threads,
                     threads > 1 ? "s" : "");
            /* Scale the iteration count until one sample takes min_s (this also warms up: the
             * first samples run at whatever clock the core was idling at). */
            uint64_t iters = 1024;
            double t_s = time_flops(k, threads, iters);
            while (t_s < min_s && iters < (UINT64_C(1) << 40)) {
                double f = t_s > 0 ? 1.2 * min_s / t_s : 16;
                iters = (uint64_t)((double)iters * (f > 16 ? 16 : f < 2 ? 2 : f));
                t_s = time_flops(k, threads, iters);
            }
            double best = INFINITY;
            for (int s = 0; s <= best_of; s++) { /* sample 0 is excluded (STREAM rule) */
                double x = time_flops(k, threads, iters);
                if (s > 0 && x < best)
                    best = x;
            }
            struct mtok_ceiling_peak *p = &out->peaks[out->n_peaks++];
            mtok_strlcpy(p->dtype, k->dtype, sizeof p->dtype);
            mtok_strlcpy(p->isa, k->isa, sizeof p->isa);
            p->threads = threads;
            p->flops_per_iter = k->flops_per_iter;
            p->flops_s = k->flops_per_iter * (double)iters * threads / best;
        }
    }
}

/* ---- bandwidth sweep ---- */

static void effective_caches(const struct mtok_machine *m, int threads, double caps[3]);
static void cross_check(struct mtok_ceilings *c, const struct mtok_machine *m, const char *pattern,
                        int threads, size_t first, size_t n, double max_bytes);

static const struct {
    const char *name;
    int arrays;
} patterns[] = {{"read", 1}, {"write", 1}, {"copy", 2}, {"triad", 3}};

static ceil_bw_fn pattern_fn(const struct ceil_bw_kernels *k, int p)
{
    ceil_bw_fn fns[] = {k->read, k->write, k->copy, k->triad};
    return fns[p];
}

static enum mtok_status measure_bandwidth(const struct mtok_machine *m,
                                          const struct mtok_ceilings_config *cfg,
                                          const int *thread_counts, int n_counts, int best_of,
                                          double min_s, double max_bytes, struct mtok_ceilings *out,
                                          struct mtok_error *err)
{
    const struct ceil_bw_kernels *k = ceil_bw_best(m->isa);
    mtok_strlcpy(out->isa, k->isa, sizeof out->isa);
    double step = cfg->quick ? 2.0 : 1.2;
    size_t max_points = (size_t)(log(max_bytes / 4096) / log(step)) + 4;
    out->points = mtok_xcalloc(max_points * 4 * (size_t)n_counts + 1, sizeof *out->points);

    /* One buffer for every size: a working set is split between the pattern's arrays, so
     * max_bytes plus the staggers covers every case. */
    size_t bytes = (size_t)max_bytes + 4096 * 4;
    size_t align = 2u << 20;
    bytes = (bytes + align - 1) / align * align;
    void *mem = NULL;
    if (posix_memalign(&mem, align, bytes) != 0)
        return mtok_error_set(err, MTOK_ENOMEM, "cannot allocate %.0f MiB for the bandwidth sweep",
                              (double)bytes / 1048576);
#ifdef MADV_HUGEPAGE
    madvise(mem, bytes, MADV_HUGEPAGE); /* fewer TLB misses, as likwid-bench gets with THP */
#endif
    double *buf = mem;
    size_t total = bytes / sizeof *buf;
    int tmax = thread_counts[n_counts - 1];
    progress(cfg, "touching %.0f MiB on %d thread%s", (double)bytes / 1048576, tmax,
             tmax > 1 ? "s" : "");
#pragma omp parallel for num_threads(tmax) schedule(static)
    for (size_t i = 0; i < total; i++)
        buf[i] = 1.0;

    bool quick_patterns[] = {true, false, false, true}; /* read and triad */
    for (int p = 0; p < 4; p++) {
        if (cfg->quick && !quick_patterns[p])
            continue;
        for (int t = 0; t < n_counts; t++) {
            int threads = thread_counts[t];
            progress(cfg, "bandwidth %s on %d thread%s, 4 KiB to %.0f MiB", patterns[p].name,
                     threads, threads > 1 ? "s" : "", max_bytes / 1048576);
            size_t first = out->n_points;
            double prev_ws = 0;
            for (double ws = 4096;; ws *= step) {
                bool last = ws >= max_bytes;
                if (last)
                    ws = max_bytes;
                size_t quantum = 64 * (size_t)threads;
                size_t n = (size_t)(ws / (8.0 * patterns[p].arrays)) / quantum * quantum;
                double actual = (double)n * 8 * patterns[p].arrays;
                if (n && actual > prev_ws) {
                    prev_ws = actual;
                    /* Arrays back to back, each 64 bytes further into its page than the last,
                     * so that loads and stores do not alias at 4 KiB. */
                    struct bw_job job = {pattern_fn(k, p), NULL, buf, NULL, n};
                    if (p == 1)
                        job.a = buf; /* write: a only */
                    else if (p == 2)
                        job.a = buf + n + 8; /* copy: b, then a */
                    else if (p == 3)
                        job.c = buf + n + 8, job.a = buf + 2 * n + 16; /* triad: b, c, a */
                    double traffic = 8.0 * (double)n * patterns[p].arrays;
                    double t1 = time_bw(&job, threads, 1);
                    uint64_t passes = 1;
                    if (t1 < min_s)
                        passes = (uint64_t)ceil(min_s / (t1 > 1e-9 ? t1 : 1e-9));
                    double best = INFINITY;
                    for (int s = 0; s <= best_of; s++) {
                        double x = time_bw(&job, threads, passes);
                        if (s > 0 && x < best)
                            best = x;
                    }
                    struct mtok_ceiling_point *pt = &out->points[out->n_points++];
                    mtok_strlcpy(pt->pattern, patterns[p].name, sizeof pt->pattern);
                    pt->threads = threads;
                    pt->bytes = actual;
                    pt->bytes_s = traffic * (double)passes / best;
                    pt->plateau = -1;
                }
                if (last)
                    break;
            }
            /* Plateaus of this curve. */
            size_t np = out->n_points - first;
            double *x = mtok_xmalloc((np + 1) * sizeof *x), *y = mtok_xmalloc((np + 1) * sizeof *y);
            int *of = mtok_xmalloc((np + 1) * sizeof *of);
            for (size_t i = 0; i < np; i++)
                x[i] = out->points[first + i].bytes, y[i] = out->points[first + i].bytes_s;
            double caches[3];
            effective_caches(m, threads, caches);
            struct mtok_ceiling_plateau pl[16];
            size_t npl = mtok_ceilings_plateaus(x, y, np, caches, 3, pl, 16, of);
            size_t base = out->n_plateaus;
            out->plateaus = mtok_xrealloc(out->plateaus, (base + npl + 1) * sizeof *out->plateaus);
            for (size_t i = 0; i < npl; i++) {
                pl[i].threads = threads;
                mtok_strlcpy(pl[i].pattern, patterns[p].name, sizeof pl[i].pattern);
                out->plateaus[base + i] = pl[i];
            }
            out->n_plateaus += npl;
            for (size_t i = 0; i < np; i++)
                out->points[first + i].plateau = of[i] >= 0 ? (int)(base + (size_t)of[i]) : -1;
            free(x), free(y), free(of);
            cross_check(out, m, patterns[p].name, threads, base, npl, max_bytes);
        }
    }
    free(mem);
    return MTOK_OK;
}

/* ---- plateaus ---- */

/* Order-preserving assignment of steps (edges, ascending) to boundaries (caps, ascending) with the
 * least total |log(edge / cap)|: at most 4 of each, so try them all. */
static double assign(const double *edge, size_t ne, const double *cap, size_t nc, size_t ei,
                     size_t ci, int *to, int *best_to)
{
    if (ei == ne) {
        for (size_t i = 0; i < ne; i++)
            best_to[i] = to[i];
        return 0;
    }
    double best = INFINITY;
    int keep[8];
    for (size_t c = ci; c + (ne - ei) <= nc; c++) {
        to[ei] = (int)c;
        int sub[8];
        double d = fabs(log(edge[ei] / cap[c])) + assign(edge, ne, cap, nc, ei + 1, c + 1, to, sub);
        if (d < best) {
            best = d;
            for (size_t i = 0; i < ne; i++)
                keep[i] = i < ei ? to[i] : i == ei ? (int)c : sub[i];
        }
    }
    for (size_t i = 0; i < ne; i++)
        best_to[i] = keep[i];
    return best;
}

size_t mtok_ceilings_plateaus(const double *bytes, const double *bw, size_t n, const double *caches,
                              size_t n_caches, struct mtok_ceiling_plateau *out, size_t max,
                              int *plateau_of)
{
    for (size_t i = 0; i < n; i++)
        plateau_of[i] = -1;
    if (n < 3 || !max)
        return 0;
    /* 1. Non-increasing least-squares fit of log(bw): pool adjacent violators. */
    double *fit = mtok_xmalloc(n * sizeof *fit), *mean = mtok_xmalloc(n * sizeof *mean);
    size_t *len = mtok_xmalloc(n * sizeof *len), nb = 0;
    for (size_t i = 0; i < n; i++) {
        mean[nb] = log(bw[i] > 0 ? bw[i] : 1e-300), len[nb] = 1, nb++;
        while (nb > 1 && mean[nb - 1] > mean[nb - 2]) {
            double w = (double)(len[nb - 2] + len[nb - 1]);
            mean[nb - 2] =
                (mean[nb - 2] * (double)len[nb - 2] + mean[nb - 1] * (double)len[nb - 1]) / w;
            len[nb - 2] += len[nb - 1];
            nb--;
        }
    }
    for (size_t b = 0, i = 0; b < nb; b++)
        for (size_t k = 0; k < len[b]; k++)
            fit[i++] = mean[b];
    free(mean), free(len);

    /* 2. The window: about x1.7 in working set (3 points at x1.2, 1 at x2). */
    double *ratio = mtok_xmalloc(n * sizeof *ratio);
    for (size_t i = 1; i < n; i++)
        ratio[i - 1] = bytes[i] / bytes[i - 1];
    double step = mtok_stats_median(ratio, n - 1);
    free(ratio);
    size_t w = step > 1 ? (size_t)lround(log(1.7) / log(step)) : 1;
    if (w < 1)
        w = 1;
    /* drop[k]: fall of the fit from w points before k to w-1 points after (k = first point of the
     * lower level). */
    double *drop = mtok_xcalloc(n, sizeof *drop);
    for (size_t k = 1; k < n; k++) {
        size_t a = k >= w ? k - w : 0, b = k + w - 1 < n ? k + w - 1 : n - 1;
        drop[k] = fit[a] - fit[b];
    }
    /* Boundaries the sweep crosses (a cache it goes well past). */
    double cap[4];
    int cap_level[4];
    size_t ncap = 0;
    for (size_t c = 0; c < n_caches && ncap < 4; c++)
        if (caches[c] > 0 && caches[c] * 1.5 <= bytes[n - 1] &&
            (!ncap || caches[c] > cap[ncap - 1]))
            cap[ncap] = caches[c], cap_level[ncap++] = (int)c;
    /* Candidates: the largest drop of each stretch above 25%. A drop at a quarter of the smallest
     * cache or below is not a cache boundary but loop overhead (a 2-thread triad on 4 KiB). */
    const double min_drop = log(1.25);
    const double floor_bytes = ncap ? cap[0] / 4 : 0;
    size_t cand[64], nc = 0;
    for (size_t k = 1; k < n && nc < 64;) {
        if (drop[k] < min_drop || bytes[k] <= floor_bytes) {
            k++;
            continue;
        }
        size_t best = k;
        for (; k < n && drop[k] >= min_drop; k++)
            if (drop[k] > drop[best])
                best = k;
        cand[nc++] = best;
    }
    /* The largest drops first, one per boundary, at least two windows apart. */
    size_t steps[4], ns = 0;
    while (ns < ncap) {
        size_t pick = SIZE_MAX;
        for (size_t i = 0; i < nc; i++) {
            bool near = false;
            for (size_t j = 0; j < ns; j++)
                near |= (cand[i] > steps[j] ? cand[i] - steps[j] : steps[j] - cand[i]) < 2 * w;
            if (!near && (pick == SIZE_MAX || drop[cand[i]] > drop[cand[pick]]))
                pick = i;
        }
        if (pick == SIZE_MAX)
            break;
        steps[ns++] = cand[pick];
        cand[pick] = cand[--nc];
    }
    free(drop), free(fit);
    for (size_t i = 1; i < ns; i++) /* ascending */
        for (size_t j = i; j > 0 && steps[j] < steps[j - 1]; j--) {
            size_t t = steps[j];
            steps[j] = steps[j - 1], steps[j - 1] = t;
        }
    /* 3. Steps to boundaries. */
    double edge[4];
    int to[8] = {0}, which[8] = {0};
    for (size_t i = 0; i < ns; i++)
        edge[i] = sqrt(bytes[steps[i] - 1] * bytes[steps[i]]);
    if (ns)
        assign(edge, ns, cap, ncap, 0, 0, to, which);

    /* 4. Levels between the steps: from w-1 points after one step to w-1 points before the next
     * (the window of a step straddles it). */
    static const char *const names[] = {"L1", "L2", "L3", "L4", "DRAM"};
    int last_cache = -1;
    for (size_t c = 0; c < n_caches && c < 4; c++)
        if (caches[c] > 0)
            last_cache = (int)c;
    size_t nout = 0;
    for (size_t s = 0; s <= ns && nout < max; s++) {
        size_t a = s ? steps[s - 1] + w - 1 : 0;
        size_t b = s < ns ? (steps[s] + 1 > w ? steps[s] + 1 - w : 0) : n;
        if (a >= n)
            a = n - 1;
        if (b <= a) { /* a level too short to see between two steps: its middle point */
            a = s ? (steps[s - 1] + (s < ns ? steps[s] : n)) / 2 : 0;
            b = a + 1;
        }
        int level = s ? cap_level[which[s - 1]] + 1 : 0;
        if (level > last_cache || level > 3)
            level = 4; /* past the last cache: DRAM */
        struct mtok_ceiling_plateau *p = &out[nout];
        memset(p, 0, sizeof *p);
        p->lo_bytes = bytes[a], p->hi_bytes = bytes[b - 1];
        p->bytes_s = mtok_stats_median(bw + a, b - a);
        p->edge_bytes = s < ns ? edge[s] : 0;
        mtok_strlcpy(p->level, names[level], sizeof p->level);
        for (size_t i = a; i < b; i++)
            plateau_of[i] = (int)nout;
        nout++;
    }
    return nout;
}

/* The cache capacities `threads` threads on distinct CPUs see: a cache shared by S CPUs counts
 * once per S threads (private L1/L2 add up, a shared L3 does not). */
static void effective_caches(const struct mtok_machine *m, int threads, double caps[3])
{
    const double size[3] = {m->l1d_bytes, m->l2_bytes, m->l3_bytes};
    const int shared[3] = {m->l1d_shared, m->l2_shared, m->l3_shared};
    for (int k = 0; k < 3; k++) {
        int s = shared[k] > 0 ? shared[k] : 1;
        caps[k] = size[k] * (double)((threads + s - 1) / s);
    }
}

/* Compare the steps found with the cache sizes the OS reports, one note per disagreement. */
static void cross_check(struct mtok_ceilings *c, const struct mtok_machine *m, const char *pattern,
                        int threads, size_t first, size_t n, double max_bytes)
{
    double caps[3];
    effective_caches(m, threads, caps);
    static const char *const names[] = {"L1", "L2", "L3", "DRAM"};
    bool seen[4] = {false};
    for (size_t i = first; i < first + n; i++)
        for (int k = 0; k < 4; k++)
            seen[k] |= strcmp(c->plateaus[i].level, names[k]) == 0;
    double largest = caps[2] > 0 ? caps[2] : caps[1] > 0 ? caps[1] : caps[0];
    const char *ts = threads > 1 ? "s" : "";
    for (int k = 0; k < 4; k++) {
        bool expected = k < 3 ? caps[k] > 0 && (k == 0 || caps[k - 1] * 1.5 <= max_bytes)
                              : largest * 1.5 <= max_bytes;
        if (expected && !seen[k])
            add_note(c, "%s, %d thread%s: no %s level found (no step where the %s ends)", pattern,
                     threads, ts, names[k], k ? names[k - 1] : "?");
    }
    if (strcmp(pattern, "read") != 0)
        return; /* the steps sit at the same working sets for every pattern: say it once */
    for (size_t i = first; i + 1 < first + n; i++) {
        const struct mtok_ceiling_plateau *p = &c->plateaus[i], *q = &c->plateaus[i + 1];
        int k = -1;
        for (int j = 0; j < 3; j++)
            if (strcmp(p->level, names[j]) == 0)
                k = j;
        if (k < 0 || caps[k] <= 0 || p->edge_bytes <= 0)
            continue;
        if (fabs(log(p->edge_bytes / caps[k])) > log(2.0))
            add_note(c,
                     "read, %d thread%s: the %s-to-%s step is at about %.3g MiB, but the OS "
                     "reports %.3g MiB of %s for %d thread%s%s",
                     threads, ts, p->level, q->level, p->edge_bytes / 1048576, caps[k] / 1048576,
                     p->level, threads, ts,
                     p->edge_bytes < caps[k] ? " (a virtual machine's share of a shared cache, or "
                                               "other tenants using it, leaves less usable)"
                                             : "");
    }
}

/* ---- the whole measurement ---- */

enum mtok_status mtok_ceilings_measure(const struct mtok_machine *m,
                                       const struct mtok_ceilings_config *cfg_in,
                                       struct mtok_ceilings **out, struct mtok_error *err)
{
    *out = NULL;
    struct mtok_ceilings_config cfg = *cfg_in;
    int cpus[1024];
    int n_allowed = bench_allowed_cpus(cpus, 1024);
    int tall = cfg.threads > 0 ? cfg.threads : n_allowed;
    if (tall > n_allowed)
        return mtok_error_set(err, MTOK_EINVAL, "--threads %d: only %d CPUs are available",
                              cfg.threads, n_allowed);
    int counts[2] = {1, tall}, n_counts = tall > 1 ? 2 : 1;
    int best_of = cfg.best_of > 0 ? cfg.best_of : cfg.quick ? 3 : 5;
    double min_bw = cfg.min_sample_s > 0 ? cfg.min_sample_s : cfg.quick ? 0.001 : 0.005;
    double min_flops = cfg.quick ? 0.005 : 0.02;
    double llc = m->l3_bytes > 0 ? m->l3_bytes : m->l2_bytes > 0 ? m->l2_bytes : 32 << 20;
    double max_bytes = cfg.max_bytes > 0 ? cfg.max_bytes : 4 * llc;
    struct mtok_ceilings *c = mtok_xcalloc(1, sizeof *c);
    if (cfg.max_bytes <= 0 && m->mem_bytes > 0 && max_bytes > m->mem_bytes / 4) {
        max_bytes = m->mem_bytes / 4;
        add_note(c, "sweep capped at a quarter of RAM (%.0f MiB), below 4x the last-level cache",
                 max_bytes / 1048576);
    }
    if (max_bytes < 65536)
        max_bytes = 65536;
    c->threads_all = tall;

    char desc[256];
    struct mtok_load load;
    mtok_load_begin(&load);
    bench_pin(cpus, tall, desc, sizeof desc);
    measure_flops(m, &cfg, counts, n_counts, best_of, min_flops, c);
    enum mtok_status s =
        measure_bandwidth(m, &cfg, counts, n_counts, best_of, min_bw, max_bytes, c, err);
    bench_unpin();
    if (s != MTOK_OK) {
        mtok_ceilings_destroy(c);
        return s;
    }
    mtok_load_end(&load, &c->others_busy, &c->steal);
    if (c->others_busy > 0.1 || c->steal > 0.05)
        add_note(c,
                 "the machine was busy: other processes used %.0f%% and the hypervisor took %.0f%% "
                 "of the CPUs during the measurement, so these figures are likely low; measure "
                 "again when it is idle",
                 100 * c->others_busy, 100 * c->steal);
    *out = c;
    return MTOK_OK;
}
