/* Dispatch: detect the CPU once (CPUID + XCR0, and the Linux AMX permission), fill the table of
 * kernels once per selection. Baseline x86-64 code: nothing here may use AVX. */
#define _GNU_SOURCE
#include <omp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "kernels/internal.h"

#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#define MTOK_X86 1
#else
#define MTOK_X86 0
#endif
#if defined(__linux__)
#include <sys/syscall.h>
#include <unistd.h>
#endif

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

/* ---- CPU detection ---- */

static struct mtok_cpu g_cpu;
static pthread_once_t g_cpu_once = PTHREAD_ONCE_INIT;

#if MTOK_X86
static uint64_t xgetbv0(void)
{
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}

/* Linux gates the AMX tile data (XFEATURE 18) behind a per-process permission request. */
static bool request_amx(void)
{
#if defined(__linux__) && defined(SYS_arch_prctl)
    const long ARCH_GET_XCOMP_PERM = 0x1022, ARCH_REQ_XCOMP_PERM = 0x1023, XTILEDATA = 18;
    if (syscall(SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XTILEDATA) != 0)
        return false;
    unsigned long bits = 0;
    if (syscall(SYS_arch_prctl, ARCH_GET_XCOMP_PERM, &bits) != 0)
        return false;
    return (bits >> XTILEDATA) & 1;
#else
    return false;
#endif
}
#endif

static void detect(void)
{
    struct mtok_cpu *c = &g_cpu;
    memset(c, 0, sizeof *c);
    mtok_strlcpy(c->vendor, "unknown", sizeof c->vendor);
#if MTOK_X86
    unsigned a, b, cx, d;
    if (!__get_cpuid(0, &a, &b, &cx, &d))
        return;
    unsigned max_leaf = a;
    memcpy(c->vendor, &b, 4);
    memcpy(c->vendor + 4, &d, 4);
    memcpy(c->vendor + 8, &cx, 4);
    c->vendor[12] = 0;
    __get_cpuid(1, &a, &b, &cx, &d);
    unsigned fam = (a >> 8) & 15, model = (a >> 4) & 15;
    if (fam == 15)
        fam += (a >> 20) & 255;
    if (fam == 6 || fam >= 15)
        model += ((a >> 16) & 15) << 4;
    c->family = (int)fam;
    c->model = (int)model;
    bool osxsave = (cx >> 27) & 1;
    bool fma = (cx >> 12) & 1, avx = (cx >> 28) & 1, f16c = (cx >> 29) & 1;
    uint64_t xcr0 = osxsave ? xgetbv0() : 0;
    bool os_ymm = (xcr0 & 6) == 6;
    bool os_zmm = os_ymm && (xcr0 & 0xE0) == 0xE0;
    bool os_amx = (xcr0 & 0x60000) == 0x60000;
    unsigned b7 = 0, c7 = 0, d7 = 0, a71 = 0;
    if (max_leaf >= 7) {
        __cpuid_count(7, 0, a, b7, c7, d7);
        unsigned sub = a;
        if (sub >= 1) {
            unsigned bb, cc, dd;
            __cpuid_count(7, 1, a71, bb, cc, dd);
        }
    }
    c->avx = avx && os_ymm;
    c->fma = fma && c->avx;
    c->f16c = f16c && c->avx;
    c->avx2 = c->avx && ((b7 >> 5) & 1);
    c->bmi2 = (b7 >> 8) & 1;
    c->avx_vnni = c->avx2 && ((a71 >> 4) & 1);
    c->avx512f = os_zmm && ((b7 >> 16) & 1);
    c->avx512dq = c->avx512f && ((b7 >> 17) & 1);
    c->avx512bw = c->avx512f && ((b7 >> 30) & 1);
    c->avx512vl = c->avx512f && ((b7 >> 31) & 1);
    c->avx512vbmi = c->avx512f && ((c7 >> 1) & 1);
    c->avx512vnni = c->avx512f && ((c7 >> 11) & 1);
    c->avx512bf16 = c->avx512f && ((a71 >> 5) & 1);
    c->avx512fp16 = c->avx512f && ((d7 >> 23) & 1);
    c->amx_tile = os_amx && ((d7 >> 24) & 1);
    c->amx_bf16 = c->amx_tile && ((d7 >> 22) & 1);
    c->amx_int8 = c->amx_tile && ((d7 >> 25) & 1);
    if (c->amx_tile)
        c->amx_granted = request_amx();
#endif
}

const struct mtok_cpu *mtok_cpu_get(void)
{
    pthread_once(&g_cpu_once, detect);
    return &g_cpu;
}

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
