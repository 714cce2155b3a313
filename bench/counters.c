/* PAPI event sets: hardware presets where the machine has a PMU (and the kernel's context-switch
 * and migration counts as noise indicators), plus mtok's analytic counters exported as
 * software-defined events through libsde and read back through PAPI like any other event. */
#include <math.h>
#include <papi.h>
#include <pthread.h>
#include <sde_lib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/internal.h"

/* ---- the software-defined events ---- */

static const char *const sde_names[MTOK_SDE_COUNT] = {"FLOPS", "BYTES", "KV_BYTES"};
static const char *const sde_descr[MTOK_SDE_COUNT] = {
    "matrix FLOPs of the ops run, from their analytic cost (2 per multiply-add)",
    "bytes the ops move through memory (weights + activations + KV), analytic",
    "KV-cache and recurrent-state bytes the ops read and write, analytic"};

static void *sde_handle;
static void *sde_counter[MTOK_SDE_COUNT];
static pthread_once_t sde_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t sde_lock = PTHREAD_MUTEX_INITIALIZER;

static void sde_init(void)
{
    sde_handle = papi_sde_init("mtok");
    for (int i = 0; i < MTOK_SDE_COUNT; i++) {
        if (papi_sde_create_counter(sde_handle, sde_names[i], PAPI_SDE_DELTA, &sde_counter[i]) !=
            PAPI_OK)
            sde_counter[i] = NULL;
        papi_sde_describe_counter(sde_handle, sde_names[i], sde_descr[i]);
    }
}

const char *mtok_sde_name(enum mtok_sde c)
{
    return (unsigned)c < MTOK_SDE_COUNT ? sde_names[c] : "?";
}

void mtok_sde_account(const struct mtok_op *op, uint64_t calls)
{
    pthread_once(&sde_once, sde_init);
    const double per_call[MTOK_SDE_COUNT] = {op->flops, mtok_op_bytes(op), op->kv_bytes};
    /* Our own lock: whether libsde serialises increments depends on how it was built. */
    pthread_mutex_lock(&sde_lock);
    for (int i = 0; i < MTOK_SDE_COUNT; i++)
        if (sde_counter[i] && per_call[i] > 0)
            papi_sde_inc_counter(sde_counter[i],
                                 (long long)llround(per_call[i]) * (long long)calls);
    pthread_mutex_unlock(&sde_lock);
}

/* ---- event sets ---- */

static const struct {
    int code;
    const char *name;
} presets[] = {
    {PAPI_TOT_CYC, "PAPI_TOT_CYC"}, {PAPI_TOT_INS, "PAPI_TOT_INS"}, {PAPI_FP_OPS, "PAPI_FP_OPS"},
    {PAPI_SP_OPS, "PAPI_SP_OPS"},   {PAPI_DP_OPS, "PAPI_DP_OPS"},   {PAPI_L1_DCM, "PAPI_L1_DCM"},
    {PAPI_L2_TCM, "PAPI_L2_TCM"},   {PAPI_L3_TCM, "PAPI_L3_TCM"},
};
/* Kernel software events (no PMU needed): a sample with a context switch or a migration was
 * disturbed. */
static const char *const os_events[] = {"perf::CONTEXT-SWITCHES", "perf::CPU-MIGRATIONS"};

#define N_PRESETS (sizeof presets / sizeof *presets)
#define N_OS      (sizeof os_events / sizeof *os_events)
#define N_EVENTS  (N_PRESETS + N_OS + MTOK_SDE_COUNT)

struct mtok_counters {
    struct mtok_bench_counter info[N_EVENTS];
    int cpu_set, sde_set;   /* PAPI event sets, PAPI_NULL when empty */
    int slot_cpu[N_EVENTS]; /* position in the cpu set's values, -1 = not in it */
    int slot_sde[N_EVENTS];
    int n_cpu, n_sde;
    int hw_available;
    bool running;
};

static int papi_state; /* 0 = not tried, 1 = ok, -1 = failed */
static char papi_error[160];

static bool papi_init(void)
{
    if (papi_state)
        return papi_state > 0;
    pthread_once(&sde_once, sde_init); /* libsde first, so the sde component finds mtok's events */
    int v = PAPI_library_init(PAPI_VER_CURRENT);
    if (v != PAPI_VER_CURRENT) {
        snprintf(papi_error, sizeof papi_error, "PAPI_library_init: %s",
                 v > 0 ? "version mismatch" : PAPI_strerror(v));
        papi_state = -1;
        return false;
    }
    papi_state = 1;
    return true;
}

/* Why no hardware preset can be counted here. */
static void no_pmu_reason(char *buf, size_t n, int available)
{
    const PAPI_hw_info_t *hw = PAPI_get_hardware_info();
    if (available == 0)
        snprintf(buf, n, "no PMU: PAPI reports 0 available hardware presets%s%.32s%s",
                 hw && hw->virtualized ? " (virtual machine: " : "",
                 hw && hw->virtualized ? hw->virtual_vendor_string : "",
                 hw && hw->virtualized ? ")" : "");
    else
        snprintf(buf, n, "not available on this CPU (PAPI_ENOEVNT)");
}

enum mtok_status mtok_counters_create(struct mtok_counters **out, struct mtok_error *err)
{
    *out = NULL;
    if (!papi_init())
        return mtok_error_set(err, MTOK_EUNSUPPORTED, "%s", papi_error);
    struct mtok_counters *c = mtok_xcalloc(1, sizeof *c);
    c->cpu_set = c->sde_set = PAPI_NULL;
    PAPI_create_eventset(&c->cpu_set);
    PAPI_create_eventset(&c->sde_set);
    for (size_t i = 0; i < N_EVENTS; i++)
        c->slot_cpu[i] = c->slot_sde[i] = -1;

    for (size_t i = 0; i < N_PRESETS; i++)
        c->hw_available += PAPI_query_event(presets[i].code) == PAPI_OK;
    size_t e = 0;
    for (size_t i = 0; i < N_PRESETS; i++, e++) {
        struct mtok_bench_counter *x = &c->info[e];
        mtok_strlcpy(x->name, presets[i].name, sizeof x->name);
        int rc = PAPI_query_event(presets[i].code);
        if (rc != PAPI_OK) {
            no_pmu_reason(x->note, sizeof x->note, c->hw_available);
            continue;
        }
        rc = PAPI_add_event(c->cpu_set, presets[i].code);
        if (rc != PAPI_OK) {
            snprintf(x->note, sizeof x->note, "cannot be counted with the events before it: %s",
                     PAPI_strerror(rc));
            continue;
        }
        x->available = true;
        c->slot_cpu[e] = c->n_cpu++;
    }
    for (size_t i = 0; i < N_OS; i++, e++) {
        struct mtok_bench_counter *x = &c->info[e];
        mtok_strlcpy(x->name, os_events[i], sizeof x->name);
        int rc = PAPI_add_named_event(c->cpu_set, os_events[i]);
        if (rc != PAPI_OK) {
            snprintf(x->note, sizeof x->note, "PAPI_add_named_event: %s", PAPI_strerror(rc));
            continue;
        }
        x->available = true;
        mtok_strlcpy(x->note, "kernel software event", sizeof x->note);
        c->slot_cpu[e] = c->n_cpu++;
    }
    for (int i = 0; i < MTOK_SDE_COUNT; i++, e++) {
        struct mtok_bench_counter *x = &c->info[e];
        snprintf(x->name, sizeof x->name, "sde:::mtok::%s", sde_names[i]);
        int rc = PAPI_add_named_event(c->sde_set, x->name);
        if (rc != PAPI_OK) {
            snprintf(x->note, sizeof x->note, "PAPI_add_named_event: %s", PAPI_strerror(rc));
            continue;
        }
        x->available = true;
        mtok_strlcpy(x->note, "analytic, from the op the case reports (libsde)", sizeof x->note);
        c->slot_sde[e] = c->n_sde++;
    }
    *out = c;
    return MTOK_OK;
}

void mtok_counters_destroy(struct mtok_counters *c)
{
    if (!c)
        return;
    long long junk[N_EVENTS];
    if (c->running) {
        if (c->n_cpu)
            PAPI_stop(c->cpu_set, junk);
        if (c->n_sde)
            PAPI_stop(c->sde_set, junk);
    }
    PAPI_cleanup_eventset(c->cpu_set);
    PAPI_destroy_eventset(&c->cpu_set);
    PAPI_cleanup_eventset(c->sde_set);
    PAPI_destroy_eventset(&c->sde_set);
    free(c);
}

size_t mtok_counters_count(const struct mtok_counters *c)
{
    (void)c;
    return N_EVENTS;
}

const struct mtok_bench_counter *mtok_counters_info(const struct mtok_counters *c, size_t i)
{
    return i < N_EVENTS ? &c->info[i] : NULL;
}

int mtok_counters_hw_available(const struct mtok_counters *c)
{
    return c->hw_available;
}

enum mtok_status mtok_counters_start(struct mtok_counters *c, struct mtok_error *err)
{
    if (c->running)
        return mtok_error_set(err, MTOK_EINTERNAL, "counters already running");
    int rc;
    if (c->n_cpu && (rc = PAPI_start(c->cpu_set)) != PAPI_OK) {
        /* e.g. perf_event_paranoid forbids it: keep going with the SDE events alone */
        for (size_t i = 0; i < N_EVENTS; i++)
            if (c->slot_cpu[i] >= 0) {
                c->info[i].available = false;
                snprintf(c->info[i].note, sizeof c->info[i].note, "PAPI_start: %s",
                         PAPI_strerror(rc));
                c->slot_cpu[i] = -1;
            }
        c->n_cpu = 0;
    }
    if (c->n_sde && (rc = PAPI_start(c->sde_set)) != PAPI_OK) {
        long long junk[N_EVENTS];
        if (c->n_cpu)
            PAPI_stop(c->cpu_set, junk);
        return mtok_error_set(err, MTOK_EUNSUPPORTED, "PAPI_start (sde): %s", PAPI_strerror(rc));
    }
    c->running = true;
    return MTOK_OK;
}

enum mtok_status mtok_counters_stop(struct mtok_counters *c, long long *values,
                                    struct mtok_error *err)
{
    if (!c->running)
        return mtok_error_set(err, MTOK_EINTERNAL, "counters not running");
    long long cpu[N_EVENTS] = {0}, sde[N_EVENTS] = {0};
    int rc1 = c->n_cpu ? PAPI_stop(c->cpu_set, cpu) : PAPI_OK;
    int rc2 = c->n_sde ? PAPI_stop(c->sde_set, sde) : PAPI_OK;
    c->running = false;
    for (size_t i = 0; i < N_EVENTS; i++)
        values[i] = c->slot_cpu[i] >= 0   ? cpu[c->slot_cpu[i]]
                    : c->slot_sde[i] >= 0 ? sde[c->slot_sde[i]]
                                          : 0;
    if (rc1 != PAPI_OK || rc2 != PAPI_OK)
        return mtok_error_set(err, MTOK_EINTERNAL, "PAPI_stop: %s",
                              PAPI_strerror(rc1 != PAPI_OK ? rc1 : rc2));
    return MTOK_OK;
}
