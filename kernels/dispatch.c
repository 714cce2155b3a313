/* Dispatch: fill the table of kernels once per selection, from the CPU's features (core/cpu.h).
 * Baseline x86-64 code: nothing here may use AVX. */
#define _GNU_SOURCE
#include <omp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "kernels/internal.h"

void *mtok_kalloc(size_t n)
{
    void *p = NULL;
    if (posix_memalign(&p, MTOK_ALIGN, n ? MTOK_ROUND_UP(n, MTOK_ALIGN) : MTOK_ALIGN) != 0)
        p = NULL;
    MTOK_ASSERT(p != NULL);
    return p;
}

void *mtok_kcalloc(size_t n)
{
    void *p = mtok_kalloc(n);
    memset(p, 0, n ? n : 1);
    return p;
}

void mtok_kfree(void *p) { free(p); }

const char *mtok_isa_name(enum mtok_isa isa)
{
    switch (isa) {
    case MTOK_ISA_REF: return "ref";
    case MTOK_ISA_AVX2: return "avx2";
    case MTOK_ISA_AVX512: return "avx512";
    case MTOK_ISA_COUNT: break;
    }
    return "?";
}

enum mtok_status mtok_isa_parse(const char *name, enum mtok_isa *out)
{
    for (int i = 0; i < MTOK_ISA_COUNT; i++)
        if (name && strcmp(name, mtok_isa_name((enum mtok_isa)i)) == 0) {
            *out = (enum mtok_isa)i;
            return MTOK_OK;
        }
    return MTOK_EINVAL;
}

bool mtok_isa_available(enum mtok_isa isa)
{
    const struct mtok_cpu *c = mtok_cpu_get();
#ifndef MTOK_X86_KERNELS
    if (isa != MTOK_ISA_REF)
        return false;
#endif
    switch (isa) {
    case MTOK_ISA_REF: return true;
    case MTOK_ISA_AVX2: return c->avx2 && c->fma && c->f16c;
    case MTOK_ISA_AVX512:
        return mtok_isa_available(MTOK_ISA_AVX2) && c->avx512f && c->avx512bw && c->avx512vl &&
               c->avx512dq;
    case MTOK_ISA_COUNT: break;
    }
    return false;
}

/* ---- the table ---- */

static struct mtok_ktab g_tab;
static bool g_tab_ready;
static pthread_mutex_t g_tab_lock = PTHREAD_MUTEX_INITIALIZER;
static int g_threads;
static char g_describe[2048];

static void describe(const struct mtok_ktab *t)
{
    struct mtok_buf b = {0};
    mtok_buf_printf(&b, "isa=%s amx=%s threads=%d cvt=%s", mtok_isa_name(t->isa),
                    t->amx ? "on" : "off", mtok_kernels_threads(), t->cvt_name);
    for (int d = 0; d < MTOK_DTYPE_COUNT; d++)
        if (t->gemv[d].run)
            mtok_buf_printf(&b, " gemv_%s=%s", mtok_dtype_name((enum mtok_dtype)d),
                            t->gemv[d].name);
    mtok_buf_printf(&b, " gemm_f32=%s gemm_bf16=%s", t->ukr_f32_name, t->ukr_bf16_name);
    if (t->gemm_bf16_amx)
        mtok_buf_printf(&b, "+%s", t->gemm_bf16_amx_name);
    mtok_buf_printf(&b, " elementwise=%s gqa=%s mqa=%s indexer=%s", t->elem_name, t->gqa_name,
                    t->mqa_name, t->indexer_name);
    mtok_strlcpy(g_describe, b.data ? b.data : "", sizeof g_describe);
    mtok_buf_free(&b);
}

static void fill(enum mtok_isa isa, bool amx)
{
    const struct mtok_cpu *cpu = mtok_cpu_get();
    struct mtok_ktab t;
    memset(&t, 0, sizeof t);
    mtok_ktab_fill_ref(&t, cpu);
#ifdef MTOK_X86_KERNELS
    if (isa >= MTOK_ISA_AVX2)
        mtok_ktab_fill_avx2(&t, cpu);
    if (isa >= MTOK_ISA_AVX512)
        mtok_ktab_fill_avx512(&t, cpu);
    if (isa >= MTOK_ISA_AVX512 && amx && cpu->amx_bf16 && cpu->amx_granted)
        mtok_ktab_fill_amx(&t, cpu);
#else
    (void)amx;
#endif
    t.isa = isa;
    t.amx = t.gemm_bf16_amx != NULL;
    g_tab = t;
    g_tab_ready = true;
    describe(&g_tab);
}

static enum mtok_isa best_isa(void)
{
    for (int i = MTOK_ISA_COUNT - 1; i > 0; i--)
        if (mtok_isa_available((enum mtok_isa)i))
            return (enum mtok_isa)i;
    return MTOK_ISA_REF;
}

static bool env_amx(void)
{
    const char *s = getenv("MTOK_AMX");
    return !(s && (strcmp(s, "0") == 0 || strcmp(s, "off") == 0 || strcmp(s, "no") == 0));
}

static enum mtok_status select_from_env(bool strict, struct mtok_error *err)
{
    enum mtok_isa isa = best_isa();
    const char *s = getenv("MTOK_ARCH");
    if (s && *s) {
        enum mtok_isa want;
        if (mtok_isa_parse(s, &want) != MTOK_OK) {
            if (strict)
                return mtok_error_set(err, MTOK_EINVAL,
                                      "MTOK_ARCH=%s: expected ref, avx2 or avx512", s);
        } else if (!mtok_isa_available(want)) {
            if (strict)
                return mtok_error_set(err, MTOK_EUNSUPPORTED,
                                      "MTOK_ARCH=%s: this CPU lacks it (best: %s)", s,
                                      mtok_isa_name(isa));
        } else {
            isa = want;
        }
    }
    fill(isa, env_amx());
    return MTOK_OK;
}

const struct mtok_ktab *mtok_ktab(void)
{
    if (!__atomic_load_n(&g_tab_ready, __ATOMIC_ACQUIRE)) {
        pthread_mutex_lock(&g_tab_lock);
        if (!g_tab_ready)
            select_from_env(false, NULL);
        pthread_mutex_unlock(&g_tab_lock);
    }
    return &g_tab;
}

enum mtok_status mtok_kernels_init(struct mtok_error *err)
{
    pthread_mutex_lock(&g_tab_lock);
    enum mtok_status st = select_from_env(true, err);
    pthread_mutex_unlock(&g_tab_lock);
    return st;
}

enum mtok_status mtok_kernels_select(enum mtok_isa isa, bool amx, struct mtok_error *err)
{
    if ((unsigned)isa >= MTOK_ISA_COUNT)
        return mtok_error_set(err, MTOK_EINVAL, "unknown ISA level %d", (int)isa);
    if (!mtok_isa_available(isa))
        return mtok_error_set(err, MTOK_EUNSUPPORTED, "this CPU cannot run %s kernels",
                              mtok_isa_name(isa));
    pthread_mutex_lock(&g_tab_lock);
    fill(isa, amx);
    pthread_mutex_unlock(&g_tab_lock);
    return MTOK_OK;
}

enum mtok_isa mtok_kernels_isa(void) { return mtok_ktab()->isa; }
bool mtok_kernels_amx(void) { return mtok_ktab()->amx; }

void mtok_kernels_set_threads(int n)
{
    __atomic_store_n(&g_threads, n > 0 ? n : 0, __ATOMIC_RELAXED);
    if (g_tab_ready)
        describe(&g_tab);
}

int mtok_kernels_threads(void)
{
    int n = __atomic_load_n(&g_threads, __ATOMIC_RELAXED);
    return n > 0 ? n : omp_get_max_threads();
}

const char *mtok_kernels_describe(void)
{
    mtok_ktab();
    return g_describe;
}
