/* Private to bench/: the generated build info, the ceiling loops of each ISA file, thread pinning
 * and child processes. */
#ifndef MTOK_BENCH_INTERNAL_H
#define MTOK_BENCH_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "bench/bench.h"

/* Written at build time by cmake/build_info.cmake (build/mtok_build_info.c). */
extern const char mtok_build_git_commit[];
extern const int mtok_build_git_dirty;
extern const char mtok_build_compiler[];
extern const char mtok_build_flags[];

/* ---- ceiling loops (ceil_*.c; each ISA file is compiled with its own -m flags) ---- */

/* A register-resident loop: `iters` iterations of independent FMA / dot-product chains. Returns a
 * value derived from every accumulator so that no chain can be optimised away. */
struct ceil_flops_kernel {
    const char *dtype;     /* fp64 fp32 bf16 int8 */
    const char *isa;       /* ref avx2 avx_vnni avx512 */
    unsigned needs;        /* MTOK_CPUF_* bits the CPU must have */
    double flops_per_iter; /* multiply-add = 2 */
    double (*fn)(uint64_t iters);
};

/* Streaming loops over doubles: `passes` sweeps of n elements (n a multiple of 64, arrays 64-byte
 * aligned). read: sum of b; write: a = constant; copy: a = b; triad: a = b + s*c. Returns a value
 * that depends on the data (read) or 0, so that the loads cannot be dropped. */
typedef double (*ceil_bw_fn)(double *a, const double *b, const double *c, size_t n,
                             uint64_t passes);
struct ceil_bw_kernels {
    const char *isa;
    unsigned needs;
    ceil_bw_fn read, write, copy, triad;
};

extern const struct ceil_flops_kernel mtok_ceil_flops_ref[];
extern const size_t mtok_ceil_flops_ref_n;
extern const struct ceil_bw_kernels mtok_ceil_bw_ref;
#ifdef MTOK_X86_KERNELS
extern const struct ceil_flops_kernel mtok_ceil_flops_avx2[];
extern const size_t mtok_ceil_flops_avx2_n;
extern const struct ceil_flops_kernel mtok_ceil_flops_avxvnni[];
extern const size_t mtok_ceil_flops_avxvnni_n;
extern const struct ceil_flops_kernel mtok_ceil_flops_avx512[];
extern const size_t mtok_ceil_flops_avx512_n;
extern const struct ceil_flops_kernel mtok_ceil_flops_avx512bf16[];
extern const size_t mtok_ceil_flops_avx512bf16_n;
extern const struct ceil_flops_kernel mtok_ceil_flops_avx512vnni[];
extern const size_t mtok_ceil_flops_avx512vnni_n;
extern const struct ceil_flops_kernel mtok_ceil_flops_amx[];
extern const size_t mtok_ceil_flops_amx_n;
extern const struct ceil_bw_kernels mtok_ceil_bw_avx2;
extern const struct ceil_bw_kernels mtok_ceil_bw_avx512;
#endif

/* Every FLOP loop this build has, whether or not the CPU can run it (ceil_flops_runs). */
size_t ceil_flops_all(const struct ceil_flops_kernel **out, size_t max);
/* Whether this machine can run loop k: the ISA flags it needs, and for AMX loops the OS's grant of
 * the tile data to this process. */
bool ceil_flops_runs(const struct ceil_flops_kernel *k, unsigned isa);
/* The widest streaming loops the CPU can run. */
const struct ceil_bw_kernels *ceil_bw_best(unsigned isa);

/* The stored ceiling of this kind, name and thread count (and memory level, unless NULL), or NULL.
 */
const struct mtok_ceiling_row *bench_ceiling_row(const struct mtok_ceiling_row *rows, size_t n,
                                                 const char *kind, const char *name,
                                                 const char *level, int threads);

/* Keep a value alive / order memory without emitting code. */
#define CEIL_BARRIER(p) __asm__ __volatile__("" : : "r"(p) : "memory")

/* ---- threads ---- */

/* The CPUs this process may run on, in order (at most max). */
int bench_allowed_cpus(int *cpus, int max);
/* Pin `threads` OpenMP threads (the calling thread is thread 0) to cpus[0..threads); the calling
 * thread alone when threads == 1. Writes the list as "0,1" into desc. */
void bench_pin(const int *cpus, int threads, char *desc, size_t n);
/* Give every OpenMP thread (and the caller) the affinity the process started with. */
void bench_unpin(void);

/* ---- child processes (track, git) ---- */

/* Run argv (argv[0] looked up in PATH) in cwd (NULL = ours) with extra environment entries
 * ("NAME=value", NULL-terminated, may be NULL). stdout+stderr are captured into *output (malloc'd,
 * the last 64 KiB, may be NULL). Returns the exit status, 128+signal when killed, -1 when it could
 * not start (errno-style message in *output). */
int bench_spawn(const char *const *argv, const char *cwd, const char *const *env, char **output);
/* `git -C dir ARGS... NULL` with stdout (trimmed; stderr discarded) in *out (malloc'd, may be
 * NULL). Returns the exit status. */
#if defined(__GNUC__) || defined(__clang__)
#define BENCH_SENTINEL __attribute__((sentinel))
#else
#define BENCH_SENTINEL
#endif
int bench_git(const char *dir, char **out, const char *arg0, ...) BENCH_SENTINEL;
/* Remove a directory tree (no shell). */
void bench_rmtree(const char *path);

#endif
