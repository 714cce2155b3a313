/* GEMM / GEMV drivers: threading, cache blocking and packing around the ISA micro-kernels, the
 * reference triple loop, grouped GEMM, and the cost of each call. Baseline x86-64 code. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>

#include "kernels/internal.h"

/* Below this many multiply-adds a call runs on one thread (fork/join costs a few microseconds). */
#define MTOK_PAR_MIN_MACS 262144.0

static int threads_for(double macs)
{
    int nt = mtok_kernels_threads();
    return macs < MTOK_PAR_MIN_MACS ? 1 : nt;
}

/* ---- GEMV ---- */

size_t mtok_prep_q8blk_bytes(const struct mtok_wmat *w)
{
    size_t kb = w->k_pad / mtok_act_block(w);
    return mtok_q8blk_qpad(w) + kb * (sizeof(float) + sizeof(int32_t));
}

void mtok_prep_q8blk(const struct mtok_wmat *w, const float *x, void *buf)
{
    size_t bs = mtok_act_block(w), kb = w->k_pad / bs, qpad = mtok_q8blk_qpad(w);
    int8_t *q = buf;
    float *s = (float *)(void *)((char *)buf + qpad);
    int32_t *c = (int32_t *)(s + kb);
    memset(q, 0, qpad);
    for (size_t b = 0; b < kb; b++) {
        size_t i0 = b * bs, len = i0 < w->k ? MTOK_MIN(bs, w->k - i0) : 0;
        s[b] = len ? mtok_q8_quant(x + i0, len, q + i0) : 0.0f;
        int32_t sum = 0;
        for (size_t i = 0; i < len; i++)
            sum += q[i0 + i];
        c[b] = 12 * sum;
    }
}

/* Rows [r0, r1) of thread `i` of `nt` for n rows in units of `granule`. */
static void split_rows(size_t n, size_t granule, int i, int nt, size_t *r0, size_t *r1)
{
    size_t units = MTOK_CEIL_DIV(n, granule);
    size_t u0 = units * (size_t)i / (size_t)nt, u1 = units * (size_t)(i + 1) / (size_t)nt;
    *r0 = MTOK_MIN(n, u0 * granule);
    *r1 = MTOK_MIN(n, u1 * granule);
}

static void gemv(const struct mtok_ktab *t, const struct mtok_wmat *w, const float *x, float *y)
{
    const struct mtok_gemv_slot *s = &t->gemv[w->dtype];
    MTOK_ASSERT(s->run != NULL);
    void *buf = mtok_kalloc(s->prep_bytes(w));
    s->prep(w, x, buf);
    int nt = threads_for((double)w->n * (double)w->k);
    if (nt == 1) {
        s->run(w, buf, y, 0, w->n);
    } else {
#pragma omp parallel num_threads(nt)
        {
            size_t r0, r1;
            split_rows(w->n, s->granule, omp_get_thread_num(), omp_get_num_threads(), &r0, &r1);
            if (r1 > r0)
                s->run(w, buf, y, r0, r1);
        }
    }
    mtok_kfree(buf);
}

/* ---- reference GEMM: x rounded as the format says, weights dequantised, dot in double ---- */

static void gemm_ref(const struct mtok_wmat *w, size_t m, const float *x, size_t ldx, float *y,
                     size_t ldy)
{
    size_t n = w->n, k = w->k, bs = mtok_act_block(w);
    float *xe = mtok_xmalloc(m * k * sizeof *xe), *row = mtok_xmalloc(k * sizeof *row);
    for (size_t i = 0; i < m; i++)
        mtok_act_effective(w->dtype, bs, x + i * ldx, k, xe + i * k);
    for (size_t j = 0; j < n; j++) {
        mtok_wmat_dequant_rows(w, j, j + 1, row);
        for (size_t i = 0; i < m; i++) {
            double acc = 0;
            for (size_t c = 0; c < k; c++)
                acc += (double)xe[i * k + c] * row[c];
            y[i * ldy + j] = (float)acc;
        }
    }
    free(xe);
    free(row);
}

/* ---- packed GEMM (BLIS loop nest; W is the "A" operand, loaded as vectors along n, x the
 * broadcast operand along m). Both operands are 32-bit elements: f32 values, or bf16 k-pairs for
 * vdpbf16ps. x is packed once per call for all of k (one barrier), then the threads take blocks of
 * W rows dynamically: no barrier inside the k loop, and a core shared with another process does
 * not hold the other threads back. Each output is written by one thread in a fixed k order, so the
 * result does not depend on the schedule. ---- */

#define KC_ELEMS 384        /* k-block in 32-bit elements (f32: 384 k; bf16: 768 k) */
#define MC_BLK 288          /* rows of W per block (a multiple of the MRs 16, 32, 48) */
#define XP_MAX (16u << 20)  /* packed x per pass, in elements (64 MiB) */

static void gemm_packed(const struct mtok_ktab *t, bool bf16, size_t m, size_t n, size_t kd,
                        const void *x, size_t ldx, const void *w, size_t ldw, float *y, size_t ldy)
{
    const size_t MR = bf16 ? t->mr_bf16 : t->mr_f32, NR = bf16 ? t->nr_bf16 : t->nr_f32;
    const size_t KC = KC_ELEMS;
    const uint32_t *xs = x, *wsrc = w;
    int nt = threads_for((double)m * n * kd * (bf16 ? 2 : 1));
    size_t nc_max = MTOK_MIN(m, MTOK_MAX(NR, (size_t)XP_MAX / kd / NR * NR));
    uint32_t *xp = mtok_kalloc(MTOK_ROUND_UP(nc_max, NR) * kd * sizeof(uint32_t));
    size_t nblk = MTOK_CEIL_DIV(n, (size_t)MC_BLK), nkb = MTOK_CEIL_DIV(kd, KC);
#pragma omp parallel num_threads(nt)
    {
        uint32_t *wp = mtok_kalloc((size_t)MC_BLK * KC * sizeof(uint32_t));
        for (size_t jc = 0; jc < m; jc += nc_max) {
            size_t nc = MTOK_MIN(nc_max, m - jc), npan = MTOK_CEIL_DIV(nc, NR), ncr = npan * NR;
#pragma omp for schedule(static)
            for (size_t it = 0; it < nkb * npan; it++) {
                size_t pc = (it / npan) * KC, pj = it % npan, i0 = jc + pj * NR;
                size_t kc = MTOK_MIN(KC, kd - pc);
                t->pack32(xs + i0 * ldx + pc, ldx, MTOK_MIN(NR, m - i0), kc, NR,
                          xp + pc * ncr + pj * NR * kc);
            }
#pragma omp for schedule(dynamic, 1)
            for (size_t b = 0; b < nblk; b++) {
                size_t ic = b * MC_BLK, mc = MTOK_MIN((size_t)MC_BLK, n - ic);
                size_t ipan = MTOK_CEIL_DIV(mc, MR);
                for (size_t pc = 0; pc < kd; pc += KC) {
                    size_t kc = MTOK_MIN(KC, kd - pc);
                    for (size_t pi = 0; pi < ipan; pi++) {
                        size_t j0 = ic + pi * MR;
                        t->pack32(wsrc + j0 * ldw + pc, ldw, MTOK_MIN(MR, ic + mc - j0), kc, MR,
                                  wp + pi * MR * kc);
                    }
                    for (size_t pj = 0; pj < npan; pj++) {
                        size_t i0 = jc + pj * NR, nr_eff = MTOK_MIN(NR, m - i0);
                        const uint32_t *xpp = xp + pc * ncr + pj * NR * kc;
                        for (size_t pi = 0; pi < ipan; pi++) {
                            size_t j0 = ic + pi * MR, mr_eff = MTOK_MIN(MR, ic + mc - j0);
                            const uint32_t *wpp = wp + pi * MR * kc;
                            float *c = y + i0 * ldy + j0;
                            if (bf16)
                                t->ukr_bf16(kc, (const uint16_t *)wpp, (const uint16_t *)xpp, c,
                                            ldy, pc > 0, mr_eff, nr_eff);
                            else
                                t->ukr_f32(kc, (const float *)wpp, (const float *)xpp, c, ldy,
                                           pc > 0, mr_eff, nr_eff);
                        }
                    }
                }
            }
        }
        mtok_kfree(wp);
    }
    mtok_kfree(xp);
}

/* f32 GEMM; quantised weights are dequantised once into a dense f32 copy. */
static void gemm_f32_path(const struct mtok_ktab *t, const struct mtok_wmat *w, size_t m,
                          const float *x, size_t ldx, float *y, size_t ldy)
{
    size_t n = w->n, k = w->k;
    const float *wf = w->data;
    float *deq = NULL;
    if (w->dtype != MTOK_F32) {
        deq = mtok_kalloc(n * k * sizeof(float));
        int nt = threads_for((double)m * n * k);
#pragma omp parallel for num_threads(nt) schedule(static)
        for (size_t j = 0; j < n; j += 16)
            mtok_wmat_dequant_rows(w, j, MTOK_MIN(n, j + 16), deq + j * k);
        wf = deq;
    }
    gemm_packed(t, false, m, n, k, x, ldx, wf, k, y, ldy);
    mtok_kfree(deq);
}

/* bf16 x bf16 -> f32: x rounded to bf16 into rows of even length, W used in place (copied with
 * an even stride when k is odd). */
static void gemm_bf16_path(const struct mtok_ktab *t, const struct mtok_wmat *w, size_t m,
                           const float *x, size_t ldx, float *y, size_t ldy)
{
    size_t n = w->n, k = w->k, kp = MTOK_ROUND_UP(k, 2);
    uint16_t *xb = mtok_kalloc(m * kp * sizeof(uint16_t));
    for (size_t i = 0; i < m; i++) {
        t->f32_to_bf16(x + i * ldx, xb + i * kp, k);
        if (kp > k)
            xb[i * kp + k] = 0;
    }
    const uint16_t *wb = w->data;
    uint16_t *wpad = NULL;
    if (kp != k) {
        wpad = mtok_kcalloc(n * kp * sizeof(uint16_t));
        for (size_t j = 0; j < n; j++)
            memcpy(wpad + j * kp, wb + j * k, k * sizeof(uint16_t));
        wb = wpad;
    }
    gemm_packed(t, true, m, n, kp / 2, xb, kp / 2, wb, kp / 2, y, ldy);
    mtok_kfree(wpad);
    mtok_kfree(xb);
}

/* m up to this runs as m GEMVs: the weights stream once per row but no packing is paid. */
#define MTOK_GEMV_MAX_M 2

void mtok_gemm(const struct mtok_wmat *w, size_t m, const float *x, size_t ldx, float *y,
               size_t ldy)
{
    MTOK_ASSERT(w && x && y && ldx >= w->k && ldy >= w->n);
    if (m == 0)
        return;
    const struct mtok_ktab *t = mtok_ktab();
    if (m <= MTOK_GEMV_MAX_M) {
        for (size_t i = 0; i < m; i++)
            gemv(t, w, x + i * ldx, y + i * ldy);
    } else if (!t->ukr_f32) {
        gemm_ref(w, m, x, ldx, y, ldy);
    } else if (w->dtype == MTOK_BF16 && t->gemm_bf16_amx && m >= 16) {
        t->gemm_bf16_amx(w, m, x, ldx, y, ldy);
    } else if (w->dtype == MTOK_BF16 && t->ukr_bf16) {
        gemm_bf16_path(t, w, m, x, ldx, y, ldy);
    } else if (w->dtype == MTOK_F32) {
        gemm_f32_path(t, w, m, x, ldx, y, ldy);
    } else {
        /* quantised weights: the activations are rounded as the format defines, then the f32
         * kernel multiplies them with the dequantised weights */
        size_t k = w->k, bs = mtok_act_block(w);
        float *xe = mtok_kalloc(m * k * sizeof *xe);
        for (size_t i = 0; i < m; i++)
            mtok_act_effective(w->dtype, bs, x + i * ldx, k, xe + i * k);
        gemm_f32_path(t, w, m, xe, k, y, ldy);
        mtok_kfree(xe);
    }
}

/* The arithmetic a call runs in, for the cost report. */
static enum mtok_dtype gemm_cdtype(const struct mtok_ktab *t, const struct mtok_wmat *w, size_t m)
{
    if (m <= MTOK_GEMV_MAX_M)
        return t->gemv[w->dtype].cdtype;
    if (w->dtype == MTOK_BF16 && (t->ukr_bf16 || (t->gemm_bf16_amx && m >= 16)))
        return MTOK_BF16;
    return MTOK_F32;
}

struct mtok_op mtok_gemm_op(const char *name, const struct mtok_wmat *w, size_t m)
{
    return mtok_op_gemm(name, (double)m, (double)w->n, (double)w->k, w->dtype, MTOK_F32,
                        gemm_cdtype(mtok_ktab(), w, m));
}

/* ---- grouped GEMM ---- */

/* Groups with at most this many rows run as GEMVs, one per row, all in one parallel region: a
 * few tokens per expert is the MoE's normal case at small batch, and for quantised experts the
 * GEMM path dequantises the whole matrix per call (measured: 8 tokens over 32 MXFP4 experts of
 * 1024x1024 took 11 ms through it, where streaming the weights takes about 1 ms). */
#define MTOK_GROUPED_GEMV_MAX_M 8

static size_t grouped_rows_as_gemv(size_t rows)
{
    return rows <= MTOK_GROUPED_GEMV_MAX_M ? rows : 0;
}

void mtok_grouped_gemm(const struct mtok_wmat *const *w, size_t groups, const size_t *offsets,
                       const float *x, size_t ldx, float *y, size_t ldy)
{
    const struct mtok_ktab *t = mtok_ktab();
    /* Large groups: a GEMM each. The rest: one job per row. */
    size_t jobs = 0;
    for (size_t g = 0; g < groups; g++) {
        size_t r = offsets[g + 1] - offsets[g];
        if (r && !grouped_rows_as_gemv(r))
            mtok_gemm(w[g], r, x + offsets[g] * ldx, ldx, y + offsets[g] * ldy, ldy);
        jobs += grouped_rows_as_gemv(r);
    }
    if (jobs == 0)
        return;
    /* Prepare each row's x, then split the concatenated output rows of all jobs evenly over the
     * threads, so every thread streams the same weight bytes whatever the experts' order. A
     * group's rows are adjacent jobs: its weights are read again from cache for its next row. */
    size_t *jg = mtok_xmalloc(jobs * sizeof *jg), *jrow = mtok_xmalloc(jobs * sizeof *jrow);
    void **bufs = mtok_xmalloc(jobs * sizeof *bufs);
    size_t j = 0, n = 0, k = 0;
    for (size_t g = 0; g < groups; g++) {
        size_t r = offsets[g + 1] - offsets[g];
        if (!grouped_rows_as_gemv(r))
            continue;
        const struct mtok_gemv_slot *s = &t->gemv[w[g]->dtype];
        for (size_t i = offsets[g]; i < offsets[g + 1]; i++, j++) {
            jg[j] = g, jrow[j] = i;
            bufs[j] = mtok_kalloc(s->prep_bytes(w[g]));
            s->prep(w[g], x + i * ldx, bufs[j]);
        }
        n = w[g]->n;
        k = w[g]->k;
    }
    const struct mtok_gemv_slot *s = &t->gemv[w[jg[0]]->dtype];
    size_t units_per = MTOK_CEIL_DIV(n, s->granule), units = units_per * jobs;
    int nt = threads_for((double)jobs * n * k);
#pragma omp parallel num_threads(nt)
    {
        int ti = omp_get_thread_num(), tn = omp_get_num_threads();
        size_t u0 = units * (size_t)ti / (size_t)tn, u1 = units * (size_t)(ti + 1) / (size_t)tn;
        for (size_t u = u0; u < u1;) {
            size_t ji = u / units_per, first = u % units_per;
            size_t last = MTOK_MIN(units_per, first + (u1 - u));
            size_t r0 = first * s->granule, r1 = MTOK_MIN(n, last * s->granule);
            s->run(w[jg[ji]], bufs[ji], y + jrow[ji] * ldy, r0, r1);
            u += last - first;
        }
    }
    for (size_t i = 0; i < jobs; i++)
        mtok_kfree(bufs[i]);
    free(bufs);
    free(jg);
    free(jrow);
}

struct mtok_op mtok_grouped_gemm_op(const char *name, const struct mtok_wmat *const *w,
                                    size_t groups, const size_t *offsets)
{
    size_t rows = offsets[groups] - offsets[0], touched = 0, maxrows = 0;
    const struct mtok_wmat *any = NULL;
    for (size_t g = 0; g < groups; g++)
        if (offsets[g + 1] > offsets[g]) {
            touched++;
            any = w[g];
            maxrows = MTOK_MAX(maxrows, offsets[g + 1] - offsets[g]);
        }
    if (!any)
        any = w[0];
    /* the arithmetic of the largest group (small groups run as GEMVs) */
    size_t m_arith = grouped_rows_as_gemv(maxrows) ? 1 : maxrows;
    return mtok_op_grouped_gemm(name, (double)rows, (double)touched, (double)any->n, (double)any->k,
                                any->dtype, MTOK_F32, gemm_cdtype(mtok_ktab(), any, m_arith));
}
