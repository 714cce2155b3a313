/* core/cpu: what the CPU can run, detected once (CPUID + XCR0 for the OS's register state, and the
 * Linux permission for AMX tile data). The one CPU-feature detector of mtok: kernels/ dispatches
 * from it, bench/ fingerprints the machine and picks its ceiling loops from it.
 *
 * Thread-safe: detection runs once (pthread_once); the result is read-only afterwards. On a
 * non-x86 build every flag is false and the vendor is "unknown". */
#ifndef MTOK_CORE_CPU_H
#define MTOK_CORE_CPU_H

#include <stdbool.h>

/* The instruction-set flags a machine is fingerprinted by (bench/): CPU support AND OS support for
 * the register state (ymm/zmm/tile bits of XCR0). The order is part of the fingerprint: append
 * only. */
enum mtok_cpu_flag {
    MTOK_CPUF_SSE42 = 1u << 0,
    MTOK_CPUF_AVX = 1u << 1,
    MTOK_CPUF_AVX2 = 1u << 2,
    MTOK_CPUF_FMA = 1u << 3,
    MTOK_CPUF_F16C = 1u << 4,
    MTOK_CPUF_AVX_VNNI = 1u << 5,
    MTOK_CPUF_AVX512F = 1u << 6,
    MTOK_CPUF_AVX512BW = 1u << 7,
    MTOK_CPUF_AVX512DQ = 1u << 8,
    MTOK_CPUF_AVX512VL = 1u << 9,
    MTOK_CPUF_AVX512_VNNI = 1u << 10,
    MTOK_CPUF_AVX512_BF16 = 1u << 11,
    MTOK_CPUF_AVX512_FP16 = 1u << 12,
    MTOK_CPUF_AMX_TILE = 1u << 13,
    MTOK_CPUF_AMX_BF16 = 1u << 14,
    MTOK_CPUF_AMX_INT8 = 1u << 15,
    MTOK_CPUF_COUNT_ = 16
};
/* The lowercase /proc/cpuinfo-style name of one flag ("avx512_bf16"), "?" otherwise. */
const char *mtok_cpu_flag_name(unsigned flag);

struct mtok_cpu {
    char vendor[13]; /* GenuineIntel, AuthenticAMD, ... ("unknown" without CPUID) */
    char brand[49];  /* the CPUID brand string, leading spaces removed ("" when absent) */
    int family, model, stepping;
    unsigned flags; /* MTOK_CPUF_* */
    /* the same as booleans, plus features the kernels use that are not fingerprinted */
    bool sse42, avx, avx2, fma, f16c, bmi2, avx_vnni; /* with OS support for ymm state */
    bool avx512f, avx512bw, avx512vl, avx512dq, avx512vbmi, avx512vnni, avx512bf16,
        avx512fp16;                    /* with OS support for zmm state */
    bool amx_tile, amx_bf16, amx_int8; /* CPUID and XCR0 */
    bool amx_granted;                  /* the OS granted tile data to us */
};

/* The CPU's features (detected on first call). */
const struct mtok_cpu *mtok_cpu_get(void);

#endif
