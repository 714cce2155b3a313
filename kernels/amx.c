/* AMX bf16 GEMM (Sapphire Rapids and later), optional beside the AVX-512 level: chosen only when
 * CPUID reports AMX-TILE + AMX-BF16, XCR0 enables the tile state and Linux granted it
 * (arch_prctl(ARCH_REQ_XCOMP_PERM), done by the dispatcher). Same semantics as the vdpbf16ps
 * kernel: x rounded to bf16, bf16 weights, f32 accumulation.
 *
 * Register blocking: 2 x 2 C tiles (32 tokens x 32 outputs, f32), 2 A tiles (16 tokens x 32 k),
 * 2 B tiles (16 k-pairs x 16 outputs x 2, the "VNNI" layout). x is packed once into 1 KiB tiles
 * (contiguous, so tile loads never alias in L1), W into 32-output panels; a thread owns a group of
 * 4 panels (~512 KiB of W for k = 2048, L2-resident) and sweeps all token blocks over it. */
#include <immintrin.h>
#include <omp.h>
#include <stdlib.h>

#include "kernels/internal.h"

#define AMX_TGT __attribute__((target("amx-tile,amx-bf16,avx512f,avx512bw")))

struct tilecfg {
    uint8_t palette, start;
    uint8_t reserved[14];
    uint16_t colsb[16];
    uint8_t rows[16];
};

#define PANEL 32  /* outputs per W panel */
#define GROUP 4   /* panels per thread work unit */

/* W (n x k bf16, row-major) -> panels [n / 32][kp / 2][32][2], zero-padded in n and k. */
static void pack_w(const uint16_t *w, size_t n, size_t k, size_t kp, size_t p, uint16_t *dst)
{
    size_t kp2 = kp / 2;
    for (size_t q = 0; q < kp2; q++)
        for (size_t c = 0; c < PANEL; c++) {
            size_t j = p * PANEL + c;
            for (size_t e = 0; e < 2; e++) {
                size_t kk = 2 * q + e;
                dst[(q * PANEL + c) * 2 + e] = j < n && kk < k ? w[j * k + kk] : 0;
            }
        }
}

AMX_TGT static void gemm_bf16_amx(const struct mtok_wmat *w, size_t m, const float *x, size_t ldx,
                                  float *y, size_t ldy)
{
    const struct mtok_ktab *t = mtok_ktab();
    size_t n = w->n, k = w->k, kp = MTOK_ROUND_UP(k, 32), kb = kp / 32;
    size_t mp = MTOK_ROUND_UP(m, 32), np = MTOK_CEIL_DIV(n, PANEL);
    size_t ngroups = MTOK_CEIL_DIV(np, GROUP);
    /* x tiles: [mb16][kb][16][32] bf16 */
    uint16_t *xa = mtok_kalloc(mp * kp * sizeof(uint16_t));
    uint16_t *wb = mtok_kalloc(np * PANEL * kp * sizeof(uint16_t));
    int nt = mtok_kernels_threads();
#pragma omp parallel num_threads(nt)
    {
        uint16_t row[32];
#pragma omp for schedule(static)
        for (size_t i = 0; i < mp; i++) {
            size_t tb = i / 16, r = i % 16;
            for (size_t b = 0; b < kb; b++) {
                uint16_t *dst = xa + ((tb * kb + b) * 16 + r) * 32;
                size_t c0 = b * 32, len = i < m && c0 < k ? MTOK_MIN((size_t)32, k - c0) : 0;
                if (len)
                    t->f32_to_bf16(x + i * ldx + c0, row, len);
                for (size_t c = len; c < 32; c++)
                    row[c] = 0;
                memcpy(dst, row, sizeof row);
            }
        }
#pragma omp for schedule(static)
        for (size_t p = 0; p < np; p++) {
            uint16_t *dst = wb + p * PANEL * kp;
            if (k % 2 == 0) { /* k-pairs are 32-bit elements: the SIMD transpose packer */
                size_t j0 = p * PANEL;
                t->pack32((const uint16_t *)w->data + j0 * k, k / 2, MTOK_MIN((size_t)PANEL, n - j0),
                          k / 2, PANEL, dst);
                memset(dst + PANEL * k, 0, PANEL * (kp - k) * sizeof(uint16_t));
            } else {
                pack_w(w->data, n, k, kp, p, dst);
            }
        }

        struct tilecfg cfg;
        memset(&cfg, 0, sizeof cfg);
        cfg.palette = 1;
        for (int i = 0; i < 8; i++) {
            cfg.colsb[i] = 64;
            cfg.rows[i] = 16;
        }
        _tile_loadconfig(&cfg);
        float tmp[16 * 16] __attribute__((aligned(64)));
#pragma omp for schedule(dynamic, 1)
        for (size_t g = 0; g < ngroups; g++) {
            for (size_t tb = 0; tb < mp / 32; tb++) {
                const uint16_t *a0 = xa + (2 * tb) * kb * 512, *a1 = a0 + kb * 512;
                for (size_t p = g * GROUP; p < MTOK_MIN(np, (g + 1) * GROUP); p++) {
                    const uint16_t *bp = wb + p * PANEL * kp;
                    _tile_zero(0);
                    _tile_zero(1);
                    _tile_zero(2);
                    _tile_zero(3);
                    for (size_t b = 0; b < kb; b++) {
                        _tile_loadd(4, a0 + b * 512, 64);
                        _tile_loadd(5, a1 + b * 512, 64);
                        _tile_loadd(6, bp + b * 1024, 128);
                        _tile_loadd(7, bp + b * 1024 + 32, 128);
                        _tile_dpbf16ps(0, 4, 6);
                        _tile_dpbf16ps(1, 4, 7);
                        _tile_dpbf16ps(2, 5, 6);
                        _tile_dpbf16ps(3, 5, 7);
                    }
                    /* C tile (ti, tj): tokens 32 tb + 16 ti, outputs 32 p + 16 tj */
                    for (int q = 0; q < 4; q++) {
                        size_t i0 = 32 * tb + 16 * (size_t)(q >> 1), j0 = 32 * p + 16 * (size_t)(q & 1);
                        if (i0 >= m || j0 >= n)
                            continue;
                        float *c = y + i0 * ldy + j0;
                        bool full = i0 + 16 <= m && j0 + 16 <= n;
                        float *dst = full ? c : tmp;
                        size_t stride = full ? ldy * sizeof(float) : 64;
                        switch (q) {
                        case 0: _tile_stored(0, dst, stride); break;
                        case 1: _tile_stored(1, dst, stride); break;
                        case 2: _tile_stored(2, dst, stride); break;
                        default: _tile_stored(3, dst, stride); break;
                        }
                        if (!full) {
                            size_t rows = MTOK_MIN((size_t)16, m - i0), cols = MTOK_MIN((size_t)16, n - j0);
                            for (size_t r = 0; r < rows; r++)
                                memcpy(c + r * ldy, tmp + r * 16, cols * sizeof(float));
                        }
                    }
                }
            }
        }
        _tile_release();
    }
    mtok_kfree(xa);
    mtok_kfree(wb);
}

void mtok_ktab_fill_amx(struct mtok_ktab *t, const struct mtok_cpu *cpu)
{
    if (!(cpu->amx_tile && cpu->amx_bf16 && cpu->amx_granted))
        return;
    t->gemm_bf16_amx = gemm_bf16_amx;
    t->gemm_bf16_amx_name = "gemm_bf16_amx_32x32";
}
