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
    float *s = (float *)((char *)buf + qpad);
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

/* ---- packed GEMM (BLIS loop nest; W is the "A" operand loaded as vectors along n, x the
 * broadcast operand along m) ---- */

#define KC_F32 384
#define MC_F32 512
#define NC_F32 3072

/* Pack rows [j0, j0 + mr) (zero beyond n) x cols [p0, p0 + kc) of W, dequantised, into
 * wp[kc][mr]. */
static void pack_w_f32(const struct mtok_wmat *w, size_t j0, size_t mr, size_t p0, size_t kc,
                       float *wp, float *tmp)
{
    for (size_t r = 0; r < mr; r++) {
        size_t j = j0 + r;
        const float *src;
        if (j >= w->n) {
            for (size_t p = 0; p < kc; p++)
                wp[p * mr + r] = 0;
            continue;
        }
        if (w->dtype == MTOK_F32) {
            src = (const float *)w->data + j * w->k + p0;
        } else {
            mtok_wmat_dequant_rows(w, j, j + 1, tmp); /* whole row; cached per panel below */
            src = tmp + p0;
        }
        for (size_t p = 0; p < kc; p++)
            wp[p * mr + r] = src[p];
    }
}

/* Pack x rows [i0, i0 + nr) (zero beyond m) x cols [p0, p0 + kc) into xp[kc][nr]. */
static void pack_x_f32(const float *x, size_t ldx, size_t m, size_t i0, size_t nr, size_t p0,
                       size_t kc, float *xp)
{
    for (size_t r = 0; r < nr; r++) {
        size_t i = i0 + r;
        if (i >= m) {
            for (size_t p = 0; p < kc; p++)
                xp[p * nr + r] = 0;
        } else {
            const float *src = x + i * ldx + p0;
            for (size_t p = 0; p < kc; p++)
                xp[p * nr + r] = src[p];
        }
    }
}

/* For quantised weights, dequantise each whole W row block once per call into f32 (mc x k), so the
 * pc loop does not decode a row k / KC times. */
static void gemm_packed_f32(const struct mtok_ktab *t, const struct mtok_wmat *w, size_t m,
                            const float *x, size_t ldx, float *y, size_t ldy)
{
    const size_t MR = t->mr_f32, NR = t->nr_f32, n = w->n, k = w->k;
    int nt = threads_for((double)m * n * k);
    size_t ncb = MTOK_MIN(m, (size_t)NC_F32);
    float *xp = mtok_kalloc(MTOK_ROUND_UP(ncb, NR) * KC_F32 * sizeof(float));
    /* a dense f32 view of W: the weights themselves, or a dequantised copy */
    const struct mtok_wmat *wf = w;
    struct mtok_wmat *deq = NULL;
    if (w->dtype != MTOK_F32) {
        deq = mtok_xcalloc(1, sizeof *deq);
        *deq = (struct mtok_wmat){.dtype = MTOK_F32, .n = n, .k = k, .n_pad = n, .k_pad = k,
                                  .gscale = 1};
        deq->data = mtok_kalloc(n * k * sizeof(float));
#pragma omp parallel for num_threads(nt) schedule(static)
        for (size_t j = 0; j < n; j += 16)
            mtok_wmat_dequant_rows(w, j, MTOK_MIN(n, j + 16), (float *)deq->data + j * k);
        wf = deq;
    }
#pragma omp parallel num_threads(nt)
    {
        int ti = omp_get_thread_num(), tn = omp_get_num_threads();
        size_t n0, n1;
        split_rows(n, MR, ti, tn, &n0, &n1);
        size_t share = n1 - n0;
        size_t nblk = MTOK_MAX((size_t)1, MTOK_CEIL_DIV(share, (size_t)MC_F32));
        size_t mc = MTOK_ROUND_UP(MTOK_CEIL_DIV(MTOK_MAX(share, (size_t)1), nblk), MR);
        float *wp = mtok_kalloc(mc * KC_F32 * sizeof(float));
        for (size_t jc = 0; jc < m; jc += NC_F32) {
            size_t nc = MTOK_MIN((size_t)NC_F32, m - jc), npan = MTOK_CEIL_DIV(nc, NR);
            for (size_t pc = 0; pc < k; pc += KC_F32) {
                size_t kc = MTOK_MIN((size_t)KC_F32, k - pc);
#pragma omp for schedule(static)
                for (size_t pj = 0; pj < npan; pj++)
                    pack_x_f32(x, ldx, m, jc + pj * NR, NR, pc, kc, xp + pj * NR * kc);
                for (size_t ic = n0; ic < n1; ic += mc) {
                    size_t mcur = MTOK_MIN(mc, n1 - ic), ipan = MTOK_CEIL_DIV(mcur, MR);
                    for (size_t pi = 0; pi < ipan; pi++)
                        pack_w_f32(wf, ic + pi * MR, MR, pc, kc, wp + pi * MR * kc, NULL);
                    for (size_t pj = 0; pj < npan; pj++) {
                        size_t i0 = jc + pj * NR, nr_eff = MTOK_MIN(NR, m - i0);
                        for (size_t pi = 0; pi < ipan; pi++) {
                            size_t j0 = ic + pi * MR, mr_eff = MTOK_MIN(MR, n1 - j0);
                            t->ukr_f32(kc, wp + pi * MR * kc, xp + pj * NR * kc,
                                       y + i0 * ldy + j0, ldy, pc > 0, mr_eff, nr_eff);
                        }
                    }
                }
#pragma omp barrier
            }
        }
        mtok_kfree(wp);
    }
    mtok_kfree(xp);
    if (deq) {
        mtok_kfree(deq->data);
        free(deq);
    }
}

/* bf16 x bf16 -> f32 with vdpbf16ps: W and x packed as k-pairs. */
#define KC_BF16 512

static void gemm_packed_bf16(const struct mtok_ktab *t, const struct mtok_wmat *w, size_t m,
                             const float *x, size_t ldx, float *y, size_t ldy)
{
    const size_t MR = t->mr_bf16, NR = t->nr_bf16, n = w->n, k = w->k;
    const uint16_t *wd = w->data;
    int nt = threads_for((double)m * n * k);
    size_t ncb = MTOK_MIN(m, (size_t)NC_F32);
    uint16_t *xp = mtok_kalloc(MTOK_ROUND_UP(ncb, NR) * KC_BF16 * sizeof(uint16_t));
#pragma omp parallel num_threads(nt)
    {
        int ti = omp_get_thread_num(), tn = omp_get_num_threads();
        size_t n0, n1;
        split_rows(n, MR, ti, tn, &n0, &n1);
        size_t share = n1 - n0;
        size_t nblk = MTOK_MAX((size_t)1, MTOK_CEIL_DIV(share, (size_t)MC_F32));
        size_t mc = MTOK_ROUND_UP(MTOK_CEIL_DIV(MTOK_MAX(share, (size_t)1), nblk), MR);
        uint16_t *wp = mtok_kalloc(mc * KC_BF16 * sizeof(uint16_t));
        for (size_t jc = 0; jc < m; jc += NC_F32) {
            size_t nc = MTOK_MIN((size_t)NC_F32, m - jc), npan = MTOK_CEIL_DIV(nc, NR);
            for (size_t pc = 0; pc < k; pc += KC_BF16) {
                size_t kc = MTOK_MIN((size_t)KC_BF16, k - pc), kc2 = MTOK_CEIL_DIV(kc, 2);
#pragma omp for schedule(static)
                for (size_t pj = 0; pj < npan; pj++) {
                    uint16_t *dst = xp + pj * NR * kc2 * 2;
                    for (size_t r = 0; r < NR; r++) {
                        size_t i = jc + pj * NR + r;
                        for (size_t p = 0; p < kc2 * 2; p++) {
                            uint16_t v = 0;
                            if (i < m && p < kc)
                                v = mtok_bf16_from_f32(x[i * ldx + pc + p]);
                            dst[(p / 2) * NR * 2 + r * 2 + (p & 1)] = v;
                        }
                    }
                }
                for (size_t ic = n0; ic < n1; ic += mc) {
                    size_t mcur = MTOK_MIN(mc, n1 - ic), ipan = MTOK_CEIL_DIV(mcur, MR);
                    for (size_t pi = 0; pi < ipan; pi++) {
                        uint16_t *dst = wp + pi * MR * kc2 * 2;
                        for (size_t r = 0; r < MR; r++) {
                            size_t j = ic + pi * MR + r;
                            const uint16_t *src = wd + j * k + pc;
                            for (size_t p = 0; p < kc2 * 2; p++)
                                dst[(p / 2) * MR * 2 + r * 2 + (p & 1)] =
                                    (j < n && p < kc) ? src[p] : 0;
                        }
                    }
                    for (size_t pj = 0; pj < npan; pj++) {
                        size_t i0 = jc + pj * NR, nr_eff = MTOK_MIN(NR, m - i0);
                        for (size_t pi = 0; pi < ipan; pi++) {
                            size_t j0 = ic + pi * MR, mr_eff = MTOK_MIN(MR, n1 - j0);
                            t->ukr_bf16(kc2, wp + pi * MR * kc2 * 2, xp + pj * NR * kc2 * 2,
                                        y + i0 * ldy + j0, ldy, pc > 0, mr_eff, nr_eff);
                        }
                    }
                }
#pragma omp barrier
            }
        }
        mtok_kfree(wp);
    }
    mtok_kfree(xp);
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
        gemm_packed_bf16(t, w, m, x, ldx, y, ldy);
    } else if (w->dtype == MTOK_F32) {
        gemm_packed_f32(t, w, m, x, ldx, y, ldy);
    } else {
        /* quantised weights: the activations are rounded as the format defines, then the f32
         * kernel multiplies them with the dequantised weights */
        size_t k = w->k, bs = mtok_act_block(w);
        float *xe = mtok_kalloc(m * k * sizeof *xe);
        for (size_t i = 0; i < m; i++)
            mtok_act_effective(w->dtype, bs, x + i * ldx, k, xe + i * k);
        gemm_packed_f32(t, w, m, xe, k, y, ldy);
        mtok_kfree(xe);
    }
}

/* The arithmetic a call runs in, for the cost report. */
static enum mtok_dtype gemm_cdtype(const struct mtok_ktab *t, const struct mtok_wmat *w, size_t m)
{
    if (m <= MTOK_GEMV_MAX_M)
        return t->gemv[w->dtype].cdtype;
    if (w->dtype == MTOK_BF16 && t->ukr_bf16)
        return MTOK_BF16;
    return MTOK_F32;
}

struct mtok_op mtok_gemm_op(const char *name, const struct mtok_wmat *w, size_t m)
{
    return mtok_op_gemm(name, (double)m, (double)w->n, (double)w->k, w->dtype, MTOK_F32,
                        gemm_cdtype(mtok_ktab(), w, m));
}

/* ---- grouped GEMM ---- */

void mtok_grouped_gemm(const struct mtok_wmat *const *w, size_t groups, const size_t *offsets,
                       const float *x, size_t ldx, float *y, size_t ldy)
{
    const struct mtok_ktab *t = mtok_ktab();
    size_t maxrows = 0, active = 0;
    for (size_t g = 0; g < groups; g++) {
        size_t r = offsets[g + 1] - offsets[g];
        maxrows = MTOK_MAX(maxrows, r);
        active += r > 0;
    }
    if (active == 0)
        return;
    if (maxrows > 1) {
        for (size_t g = 0; g < groups; g++)
            if (offsets[g + 1] > offsets[g])
                mtok_gemm(w[g], offsets[g + 1] - offsets[g], x + offsets[g] * ldx, ldx,
                          y + offsets[g] * ldy, ldy);
        return;
    }
    /* Decode: one row per active group. Prepare each group's x, then split the concatenated rows
     * of all active groups evenly over the threads, so every thread streams the same weight bytes
     * whatever the experts' order. */
    size_t *gidx = mtok_xmalloc(active * sizeof *gidx);
    void **bufs = mtok_xmalloc(active * sizeof *bufs);
    size_t a = 0, n = 0, k = 0;
    for (size_t g = 0; g < groups; g++)
        if (offsets[g + 1] > offsets[g]) {
            const struct mtok_gemv_slot *s = &t->gemv[w[g]->dtype];
            gidx[a] = g;
            bufs[a] = mtok_kalloc(s->prep_bytes(w[g]));
            s->prep(w[g], x + offsets[g] * ldx, bufs[a]);
            n = w[g]->n;
            k = w[g]->k;
            a++;
        }
    const struct mtok_gemv_slot *s = &t->gemv[w[gidx[0]]->dtype];
    size_t units_per = MTOK_CEIL_DIV(n, s->granule), units = units_per * active;
    int nt = threads_for((double)active * n * k);
#pragma omp parallel num_threads(nt)
    {
        int ti = omp_get_thread_num(), tn = omp_get_num_threads();
        size_t u0 = units * (size_t)ti / (size_t)tn, u1 = units * (size_t)(ti + 1) / (size_t)tn;
        for (size_t u = u0; u < u1;) {
            size_t ai = u / units_per, first = u % units_per;
            size_t last = MTOK_MIN(units_per, first + (u1 - u));
            size_t g = gidx[ai];
            size_t r0 = first * s->granule, r1 = MTOK_MIN(n, last * s->granule);
            s->run(w[g], bufs[ai], y + offsets[g] * ldy, r0, r1);
            u += last - first;
        }
    }
    for (size_t i = 0; i < active; i++)
        mtok_kfree(bufs[i]);
    free(bufs);
    free(gidx);
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
    return mtok_op_grouped_gemm(name, (double)rows, (double)touched, (double)any->n,
                                (double)any->k, any->dtype, MTOK_F32,
                                gemm_cdtype(mtok_ktab(), any, maxrows));
}
