/* Pinning: one thread per CPU, as likwid-pin does, recorded and undone afterwards. */
#define _GNU_SOURCE
#include <omp.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

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

/* ---- how busy the machine is ---- */

/* Busy and steal seconds of all CPUs together since boot. */
static bool proc_stat(double *busy, double *steal)
{
    FILE *f = fopen("/proc/stat", "r");
    if (!f)
        return false;
    unsigned long long v[10] = {0};
    int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2],
                   &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9]);
    fclose(f);
    if (n < 8)
        return false;
    double hz = (double)sysconf(_SC_CLK_TCK);
    /* user nice system (idle iowait) irq softirq; steal apart; guest time is inside user */
    *busy = (double)(v[0] + v[1] + v[2] + v[5] + v[6]) / hz;
    *steal = (double)v[7] / hz;
    return true;
}

static double self_cpu(void)
{
    struct rusage u;
    if (getrusage(RUSAGE_SELF, &u) != 0)
        return 0;
    return (double)u.ru_utime.tv_sec + (double)u.ru_utime.tv_usec * 1e-6 +
           (double)u.ru_stime.tv_sec + (double)u.ru_stime.tv_usec * 1e-6;
}

void mtok_load_begin(struct mtok_load *l)
{
    memset(l, 0, sizeof *l);
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    l->cpus = n > 0 ? (int)n : 1;
    l->wall_s = (double)mtok_now_ns() * 1e-9;
    l->self_cpu_s = self_cpu();
    if (!proc_stat(&l->busy_s, &l->steal_s))
        l->cpus = 0;
}

void mtok_load_end(const struct mtok_load *l, double *others, double *steal)
{
    *others = *steal = 0;
    double busy, st;
    if (!l->cpus || !proc_stat(&busy, &st))
        return;
    double span = ((double)mtok_now_ns() * 1e-9 - l->wall_s) * l->cpus;
    if (span <= 0)
        return;
    double o = (busy - l->busy_s) - (self_cpu() - l->self_cpu_s);
    *others = o > 0 ? o / span : 0;
    *steal = (st - l->steal_s) / span;
}
