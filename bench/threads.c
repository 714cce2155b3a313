/* Pinning: one thread per CPU, as likwid-pin does, recorded and undone afterwards. */
#define _GNU_SOURCE
#include <omp.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>

#include "bench/internal.h"

static cpu_set_t initial;
static bool have_initial;
static int pinned_threads; /* the most OpenMP threads pinned so far */
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void save_initial(void)
{
    have_initial = sched_getaffinity(0, sizeof initial, &initial) == 0;
}

int bench_allowed_cpus(int *cpus, int max)
{
    pthread_once(&once, save_initial);
    int n = 0;
    if (!have_initial) {
        cpus[0] = 0;
        return 1;
    }
    for (int c = 0; c < CPU_SETSIZE && n < max; c++)
        if (CPU_ISSET(c, &initial))
            cpus[n++] = c;
    return n ? n : (cpus[0] = 0, 1);
}

static void pin_self(int cpu)
{
    cpu_set_t s;
    CPU_ZERO(&s);
    CPU_SET(cpu, &s);
    sched_setaffinity(0, sizeof s, &s); /* best effort: a refused pin is reported by desc only */
}

void bench_pin(const int *cpus, int threads, char *desc, size_t n)
{
    pthread_once(&once, save_initial);
    if (threads <= 1) {
        pin_self(cpus[0]);
    } else {
#pragma omp parallel num_threads(threads)
        pin_self(cpus[omp_get_thread_num()]);
        if (threads > pinned_threads)
            pinned_threads = threads;
    }
    size_t off = 0;
    desc[0] = '\0';
    for (int t = 0; t < threads && off < n; t++)
        off += (size_t)snprintf(desc + off, n - off, t ? ",%d" : "%d", cpus[t]);
}

void bench_unpin(void)
{
    pthread_once(&once, save_initial);
    if (!have_initial)
        return;
    if (pinned_threads > 1) {
#pragma omp parallel num_threads(pinned_threads)
        sched_setaffinity(0, sizeof initial, &initial);
    }
    sched_setaffinity(0, sizeof initial, &initial);
}
