/* CPU feature detection: CPUID, XCR0 and the Linux AMX permission, once per process. Baseline
 * x86-64 code (nothing here may use AVX). */
#define _GNU_SOURCE
#include "core/cpu.h"

#include <pthread.h>
#include <stdint.h>
#include <string.h>

#include "core/core.h"

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

static const char *const flag_names[MTOK_CPUF_COUNT_] = {
    "sse4_2",      "avx",      "avx2",     "fma",      "f16c",        "avx_vnni",
    "avx512f",     "avx512bw", "avx512dq", "avx512vl", "avx512_vnni", "avx512_bf16",
    "avx512_fp16", "amx_tile", "amx_bf16", "amx_int8"};

const char *mtok_cpu_flag_name(unsigned flag)
{
    for (int i = 0; i < MTOK_CPUF_COUNT_; i++)
        if (flag == 1u << i)
            return flag_names[i];
    return "?";
}

static struct mtok_cpu g_cpu;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;

#if MTOK_X86
static uint64_t xgetbv0(void)
{
    uint32_t lo, hi;
    __asm__ __volatile__("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
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
    c->stepping = (int)(a & 15);
    bool osxsave = (cx >> 27) & 1;
    uint64_t xcr0 = osxsave ? xgetbv0() : 0;
    bool os_ymm = (xcr0 & 6) == 6;
    bool os_zmm = os_ymm && (xcr0 & 0xE0) == 0xE0;
    bool os_amx = (xcr0 & 0x60000) == 0x60000;
    c->sse42 = (cx >> 20) & 1;
    c->avx = os_ymm && ((cx >> 28) & 1);
    c->fma = os_ymm && ((cx >> 12) & 1);
    c->f16c = os_ymm && ((cx >> 29) & 1);
    unsigned b7 = 0, c7 = 0, d7 = 0, a71 = 0;
    if (max_leaf >= 7) {
        __cpuid_count(7, 0, a, b7, c7, d7);
        if (a >= 1) {
            unsigned bb, cc, dd;
            __cpuid_count(7, 1, a71, bb, cc, dd);
        }
    }
    c->avx2 = os_ymm && ((b7 >> 5) & 1);
    c->bmi2 = (b7 >> 8) & 1;
    c->avx_vnni = os_ymm && ((a71 >> 4) & 1);
    c->avx512f = os_zmm && ((b7 >> 16) & 1);
    c->avx512dq = os_zmm && ((b7 >> 17) & 1);
    c->avx512bw = os_zmm && ((b7 >> 30) & 1);
    c->avx512vl = os_zmm && ((b7 >> 31) & 1);
    c->avx512vbmi = os_zmm && ((c7 >> 1) & 1);
    c->avx512vnni = os_zmm && ((c7 >> 11) & 1);
    c->avx512bf16 = os_zmm && ((a71 >> 5) & 1);
    c->avx512fp16 = os_zmm && ((d7 >> 23) & 1);
    c->amx_tile = os_amx && ((d7 >> 24) & 1);
    c->amx_bf16 = os_amx && ((d7 >> 22) & 1);
    c->amx_int8 = os_amx && ((d7 >> 25) & 1);
    if (c->amx_tile)
        c->amx_granted = request_amx();
    const bool bits[MTOK_CPUF_COUNT_] = {c->sse42,      c->avx,      c->avx2,       c->fma,
                                         c->f16c,       c->avx_vnni, c->avx512f,    c->avx512bw,
                                         c->avx512dq,   c->avx512vl, c->avx512vnni, c->avx512bf16,
                                         c->avx512fp16, c->amx_tile, c->amx_bf16,   c->amx_int8};
    for (int i = 0; i < MTOK_CPUF_COUNT_; i++)
        if (bits[i])
            c->flags |= 1u << i;
    __get_cpuid(0x80000000, &a, &b, &cx, &d);
    if (a >= 0x80000004) {
        unsigned regs[12];
        for (unsigned i = 0; i < 3; i++)
            __get_cpuid(0x80000002 + i, &regs[4 * i], &regs[4 * i + 1], &regs[4 * i + 2],
                        &regs[4 * i + 3]);
        char brand[49];
        memcpy(brand, regs, 48);
        brand[48] = '\0';
        const char *s = brand;
        while (*s == ' ')
            s++;
        mtok_strlcpy(c->brand, s, sizeof c->brand);
    }
#endif
}

const struct mtok_cpu *mtok_cpu_get(void)
{
    pthread_once(&g_once, detect);
    return &g_cpu;
}
