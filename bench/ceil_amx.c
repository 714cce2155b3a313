/* AMX tile dot products (tdpbf16ps, tdpbssd; compiled with -mamx-tile -mamx-bf16 -mamx-int8).
 * Each thread configures its own tiles (tile state is per thread) and releases them at the end.
 * Run only when the CPU has AMX and the OS granted this process the tile data (core/cpu.h). */
#include <immintrin.h>
#include <string.h>

#include "bench/internal.h"

struct tilecfg {
    uint8_t palette, start;
    uint8_t pad[14];
    uint16_t colsb[16];
    uint8_t rows[16];
};

/* Four 16 x 16 f32 (or int32) accumulators fed by the same two 16 x 64-byte operand tiles: four
 * independent chains, enough to cover the instruction's latency at its issue rate. */
static void config(void)
{
    struct tilecfg cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.palette = 1;
    for (int t = 0; t < 6; t++) {
        cfg.colsb[t] = 64;
        cfg.rows[t] = 16;
    }
    _tile_loadconfig(&cfg);
}

static double dot_amx_bf16(uint64_t iters)
{
    /* small operands (1e-3 in bf16): no overflow however long the loop */
    uint16_t buf[16 * 32] __attribute__((aligned(64)));
    for (int i = 0; i < 16 * 32; i++)
        buf[i] = 0x3A83;
    config();
    _tile_loadd(4, buf, 64);
    _tile_loadd(5, buf, 64);
    _tile_zero(0);
    _tile_zero(1);
    _tile_zero(2);
    _tile_zero(3);
    for (uint64_t i = 0; i < iters; i++) {
        _tile_dpbf16ps(0, 4, 5);
        _tile_dpbf16ps(1, 4, 5);
        _tile_dpbf16ps(2, 4, 5);
        _tile_dpbf16ps(3, 4, 5);
    }
    float out[16 * 16] __attribute__((aligned(64)));
    _tile_stored(0, out, 64);
    _tile_release();
    return (double)out[0] + (double)out[255];
}

static double dot_amx_int8(uint64_t iters)
{
    int8_t buf[16 * 64] __attribute__((aligned(64)));
    memset(buf, 1, sizeof buf);
    config();
    _tile_loadd(4, buf, 64);
    _tile_loadd(5, buf, 64);
    _tile_zero(0);
    _tile_zero(1);
    _tile_zero(2);
    _tile_zero(3);
    for (uint64_t i = 0; i < iters; i++) {
        _tile_dpbssd(0, 4, 5);
        _tile_dpbssd(1, 4, 5);
        _tile_dpbssd(2, 4, 5);
        _tile_dpbssd(3, 4, 5);
    }
    int32_t out[16 * 16] __attribute__((aligned(64)));
    _tile_stored(0, out, 64);
    _tile_release();
    return (double)out[0] + (double)out[255];
}

/* tdpbf16ps: 16 x 16 outputs x 32 bf16 pairs = 8192 multiply-adds; tdpbssd: 16 x 16 x 64 = 16384.
 */
const struct ceil_flops_kernel mtok_ceil_flops_amx[] = {
    {"bf16", "amx", MTOK_CPUF_AMX_TILE | MTOK_CPUF_AMX_BF16, 2.0 * 8192 * 4, dot_amx_bf16},
    {"int8", "amx", MTOK_CPUF_AMX_TILE | MTOK_CPUF_AMX_INT8, 2.0 * 16384 * 4, dot_amx_int8},
};
const size_t mtok_ceil_flops_amx_n = 2;
