/* kernels, internal: the dispatch table, the per-ISA fill functions and helpers shared by the
 * drivers and the variants. Not part of the public face (kernels.h is). */
#ifndef MTOK_KERNELS_INTERNAL_H
#define MTOK_KERNELS_INTERNAL_H

#include <string.h>

#include "kernels/kernels.h"

#define MTOK_ALIGN 64
#define MTOK_MIN(a, b) ((a) < (b) ? (a) : (b))
#define MTOK_MAX(a, b) ((a) > (b) ? (a) : (b))
#define MTOK_CEIL_DIV(a, b) (((a) + (b)-1) / (b))
#define MTOK_ROUND_UP(a, b) (MTOK_CEIL_DIV(a, b) * (b))

/* 64-byte aligned allocation (never NULL for n > 0; out of memory is an invariant failure). */
void *mtok_kalloc(size_t n);
void *mtok_kcalloc(size_t n);
void mtok_kfree(void *p);

/* ---- activation preparation for the GEMV kernels (see kernels.h "Activation rounding") ---- */

/* int8 activations quantised per block: codes, scales (amax / 127; 0 for an all-zero block) and
 * per-block sums of the codes. q is padded with zeros to kb * bs. */
struct mtok_q8 {
    int8_t *q;
    float *s;
    int32_t *sum;
    size_t k, bs, kb;
};
/* Symmetric int8 quantisation of x[0..n) with scale amax / 127: q = round_even(x * (127 / amax)),
 * clamped to +-127. Returns the scale (0, and zero codes, when amax is 0 or not finite).
 * mtok_q8_quant_ref is the definition; mtok_q8_quant dispatches to a bit-exact variant. */
float mtok_q8_quant_ref(const float *x, size_t n, int8_t *q);
float mtok_q8_quant(const float *x, size_t n, int8_t *q);
/* The f32 activations a format's GEMM really multiplies (bf16-rounded, int8 quantise-dequantise,
 * ...), for rows of k. Used by the reference and by the packed GEMM. */
void mtok_act_effective(enum mtok_dtype wdtype, size_t bs, const float *x, size_t k, float *out);
/* Activation block size of a weight format's GEMV (mxfp4 32, nvfp4 16, int8: whole row). */
size_t mtok_act_block(const struct mtok_wmat *w);

/* The int8 block activations of the fp4 GEMV kernels, laid out in one buffer:
 * q[qpad] (int8, zero-padded), s[kb] (f32 scales), c12[kb] (12 x the block sums of q: the
 * compensation for the +12 offset that makes e2m1 x 2 unsigned for vpdpbusd / vpmaddubsw). */
size_t mtok_prep_q8blk_bytes(const struct mtok_wmat *w);
void mtok_prep_q8blk(const struct mtok_wmat *w, const float *x, void *buf);
static inline size_t mtok_q8blk_qpad(const struct mtok_wmat *w)
{
    return MTOK_ROUND_UP(w->k_pad, 64);
}

/* ---- dispatch table ---- */

typedef void (*mtok_gemv_prep_fn)(const struct mtok_wmat *w, const float *x, void *buf);
typedef size_t (*mtok_gemv_prep_bytes_fn)(const struct mtok_wmat *w);
typedef void (*mtok_gemv_run_fn)(const struct mtok_wmat *w, const void *xp, float *y, size_t r0,
                                 size_t r1);

/* One GEMV variant for one weight format: prepare x once per call, then any row range
 * [r0, r1) with r0 a multiple of `granule` (r1 may be n). */
struct mtok_gemv_slot {
    mtok_gemv_prep_bytes_fn prep_bytes;
    mtok_gemv_prep_fn prep;
    mtok_gemv_run_fn run;
    size_t granule;
    enum mtok_dtype cdtype; /* arithmetic: selects the peak a measurement is compared with */
    const char *name;
};

/* f32 GEMM micro-kernel: C[nr x mr] (+)= Xp^T Wp over kc, where Wp is a packed W panel
 * (kc x mr floats, k-major) and Xp a packed x panel (kc x nr floats, k-major). C row i (token)
 * starts at c + i * ldc and holds mr consecutive outputs. mr_eff / nr_eff < mr / nr: edge tile. */
typedef void (*mtok_ukr_f32_fn)(size_t kc, const float *wp, const float *xp, float *c, size_t ldc,
                                bool accumulate, size_t mr_eff, size_t nr_eff);
/* bf16 micro-kernel: as above with kc2 = kc / 2 pairs; Wp: kc2 x mr x 2 bf16, Xp: kc2 x nr x 2. */
typedef void (*mtok_ukr_bf16_fn)(size_t kc2, const uint16_t *wp, const uint16_t *xp, float *c,
                                 size_t ldc, bool accumulate, size_t mr_eff, size_t nr_eff);

/* Pack `rows` (<= width) rows of kc 32-bit elements (row r at src + r * ld) into dst[kc][width],
 * rows >= `rows` zero. The transpose behind every GEMM panel (f32 values, or bf16 k-pairs). */
typedef void (*mtok_pack32_fn)(const void *src, size_t ld, size_t rows, size_t kc,
                               size_t width, void *dst);

/* GQA worker: nkv KV heads, each with G query rows (rows ordered [kv head][g], R = nkv * G),
 * against positions [t0, t1). Element d of KV head j at position p: k + p * k_ps + j * k_hs + d
 * (V likewise). Online-softmax state (m, l, o) updated in place; row r sees positions in
 * [lo[r], hi[r]]. Decode passes all KV heads of a position chunk; prefill one KV head with all its
 * query rows. */
struct mtok_gqa_work {
    size_t nkv, G, dqk, dv;
    const float *q;       /* R x dqk, row stride q_rs */
    size_t q_rs;
    enum mtok_dtype kv_dtype;
    const void *k, *v;
    size_t k_ps, v_ps, k_hs, v_hs; /* position and head strides, elements */
    const int64_t *lo, *hi;
    float scale;
    float *m, *l, *o;     /* R, R, R x dv */
};
typedef void (*mtok_gqa_fn)(const struct mtok_gqa_work *wk, size_t t0, size_t t1);

/* Shared-KV MQA worker: all heads against `n` entries (entries[i] pointers), state updated. */
struct mtok_mqa_work {
    size_t heads, dim, dv;
    const float *q;       /* heads x dim (already scaled by nothing: scale applied to scores) */
    float scale;
    enum mtok_kv_fmt fmt;
    float *m, *l, *o;     /* heads, heads, heads x dv */
};
typedef void (*mtok_mqa_fn)(const struct mtok_mqa_work *wk, const void *const *entries, size_t n);

/* Indexer worker: scores for keys [t0, t1). */
typedef void (*mtok_indexer_fn)(const struct mtok_indexer *ix, size_t t0, size_t t1);

typedef void (*mtok_cvt_f32_u16_fn)(const float *, uint16_t *, size_t);
typedef void (*mtok_cvt_u16_f32_fn)(const uint16_t *, float *, size_t);
typedef void (*mtok_cvt_f32_u8_fn)(const float *, uint8_t *, size_t);
typedef void (*mtok_cvt_u8_f32_fn)(const uint8_t *, float *, size_t);

struct mtok_ktab {
    enum mtok_isa isa;
    bool amx;

    mtok_cvt_f32_u16_fn f32_to_bf16;
    mtok_cvt_u16_f32_fn bf16_to_f32;
    mtok_cvt_f32_u8_fn f32_to_e4m3;
    mtok_cvt_u8_f32_fn e4m3_to_f32;
    mtok_cvt_f32_u8_fn f32_to_e5m2;
    float (*q8_quant)(const float *x, size_t n, int8_t *q);
    const char *cvt_name;

    struct mtok_gemv_slot gemv[MTOK_DTYPE_COUNT];

    mtok_pack32_fn pack32;
    mtok_ukr_f32_fn ukr_f32;
    size_t mr_f32, nr_f32;
    const char *ukr_f32_name;
    mtok_ukr_bf16_fn ukr_bf16;
    size_t mr_bf16, nr_bf16;
    const char *ukr_bf16_name;
    /* AMX bf16 GEMM for m >= 16 (NULL when absent): whole call, threads inside. */
    void (*gemm_bf16_amx)(const struct mtok_wmat *w, size_t m, const float *x, size_t ldx,
                          float *y, size_t ldy);
    const char *gemm_bf16_amx_name;

    void (*rmsnorm)(float *y, const float *x, const float *w, size_t n, float eps);
    void (*swiglu)(float *out, const float *gate, const float *up, size_t n, float limit);
    void (*softmax)(float *x, size_t n);
    const char *elem_name;

    mtok_gqa_fn gqa;
    const char *gqa_name;
    mtok_mqa_fn mqa;
    const char *mqa_name;
    mtok_indexer_fn indexer;
    const char *indexer_name;
};

/* The selected table (selecting on first use). */
const struct mtok_ktab *mtok_ktab(void);

/* Fill functions: each overwrites the slots its ISA can serve better, given the CPU. The
 * dispatcher calls ref, then avx2, then avx512, up to the selected level. */
void mtok_ktab_fill_ref(struct mtok_ktab *t, const struct mtok_cpu *cpu);
void mtok_ktab_fill_avx2(struct mtok_ktab *t, const struct mtok_cpu *cpu);
void mtok_ktab_fill_avx512(struct mtok_ktab *t, const struct mtok_cpu *cpu);
void mtok_ktab_fill_amx(struct mtok_ktab *t, const struct mtok_cpu *cpu);

/* ---- small scalar helpers shared by the variants ---- */

static inline float mtok_f32_from_bits(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}
static inline uint32_t mtok_bits_from_f32(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

/* e2m1 code -> value * 2 (an integer in [-12, 12]). */
extern const int8_t mtok_e2m1_x2[16];
/* e4m3 code -> f32 value, all 256 codes (0x7F / 0xFF are NaN). */
extern const float *mtok_e4m3_table(void);

/* Reference pieces the variants reuse (ref.c). */
void mtok_rmsnorm_ref(float *y, const float *x, const float *w, size_t n, float eps);
void mtok_swiglu_ref(float *out, const float *gate, const float *up, size_t n, float limit);
void mtok_softmax_ref(float *x, size_t n);

#endif
