/* kernels: the reference engine. Real inference kernels on the CPU: a scalar reference for every
 * kernel, AVX2 and AVX-512 variants where they pay (plus an optional AMX path), chosen once through
 * a dispatch table, multi-threaded with OpenMP. Every kernel family can describe a call as the
 * simulator's `struct mtok_op` (sim/sim.h), built with the simulator's own constructors, so a
 * measured kernel and a predicted op are the same op.
 *
 * This module never times itself, never prints and knows nothing about SQLite (bench/ times it).
 *
 * Conventions
 *   - Activations are f32 in memory. Matrices are row-major.
 *   - A weight matrix W has n rows (outputs) and k columns (inputs); y = x W^T, as in a Linear layer.
 *   - Every public function is thread-safe in the sense that concurrent calls on disjoint outputs
 *     are fine; each call itself uses up to mtok_kernels_threads() OpenMP threads.
 *   - Bad shapes and NULL pointers are programming errors (MTOK_ASSERT), not statuses.
 *   - Results are deterministic for a given ISA selection and thread count: no atomics on floats,
 *     static work splitting, combines in a fixed order. */
#ifndef MTOK_KERNELS_H
#define MTOK_KERNELS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core.h"
#include "core/cpu.h"
#include "sim/sim.h"

/* ================================================================================================
 * Dispatch
 *
 * Three ISA levels. `avx2` needs AVX2 + FMA + F16C; `avx512` needs AVX-512 F/BW/VL/DQ. Within a
 * level, kernels that need more (AVX512-BF16, -VNNI, -VBMI, AVX-VNNI) check for it and otherwise
 * fall back to the best kernel the CPU can run (BLIS-style: each table slot is filled with the best
 * variant at or below the selected level). AMX (tile + bf16) is an optional extra at the avx512
 * level, used for bf16-arithmetic GEMM with m >= 16; it needs the OS to grant the tile state
 * (Linux arch_prctl(ARCH_REQ_XCOMP_PERM)), which mtok_kernels_init requests.
 *
 * The table is filled once, on first use or by mtok_kernels_init, from CPUID (and XCR0 for OS
 * support). MTOK_ARCH=ref|avx2|avx512 caps the level; MTOK_AMX=0 disables AMX; MTOK_UKR=32x12
 * selects the other AVX-512 f32 GEMM micro-kernel (48x8 is the default: it measured faster). */

enum mtok_isa { MTOK_ISA_REF, MTOK_ISA_AVX2, MTOK_ISA_AVX512, MTOK_ISA_COUNT };

/* CPU features: core/cpu.h (mtok_cpu_get), shared with bench/. */

/* "ref", "avx2", "avx512"; "?" otherwise. */
const char *mtok_isa_name(enum mtok_isa isa);
enum mtok_status mtok_isa_parse(const char *name, enum mtok_isa *out);
/* Whether this CPU (and OS) can run kernels of that level. ref: always. */
bool mtok_isa_available(enum mtok_isa isa);

/* Select kernels from the environment (MTOK_ARCH, MTOK_AMX). A requested level the CPU lacks is an
 * error (MTOK_EUNSUPPORTED, message in err) and leaves the previous selection. Without a call, the
 * first kernel call selects the same way but silently clamps an unavailable MTOK_ARCH to the best
 * available level. Not thread-safe against concurrently running kernels. */
enum mtok_status mtok_kernels_init(struct mtok_error *err);
/* Select an explicit level (tests, benchmarks). amx: use AMX when the CPU has it. */
enum mtok_status mtok_kernels_select(enum mtok_isa isa, bool amx, struct mtok_error *err);
enum mtok_isa mtok_kernels_isa(void);
bool mtok_kernels_amx(void);
/* Threads used by each kernel call (default: omp_get_max_threads()). n < 1 restores the default. */
void mtok_kernels_set_threads(int n);
int mtok_kernels_threads(void);
/* One line naming the selection and the kernel in each slot, e.g.
 * "isa=avx512 amx=on threads=2 gemm_f32=gemm_f32_avx512_32x12 ...". Static storage, rewritten by
 * every selection; not thread-safe against a concurrent selection. */
const char *mtok_kernels_describe(void);

/* ================================================================================================
 * Number formats. Scalar conversions are the reference; array versions dispatch and are tested
 * bit-exact against them.
 *
 * Rounding and special values (all conversions from f32):
 *   bf16   round to nearest, ties to even; NaN stays NaN (quiet, sign kept); inf stays inf.
 *   e4m3   (OCP E4M3FN: bias 7, max 448, subnormals down to 2^-9, no inf, NaN = S.1111.111)
 *          round to nearest even, SATURATING: finite values beyond 448 and +-inf become +-448
 *          (CUDA's __NV_SATFINITE); NaN -> 0x7F with the input's sign. -0 stays -0.
 *   e5m2   (bias 15, max 57344, subnormals down to 2^-16, inf = S.11111.00, NaN = S.11111.xx)
 *          round to nearest even, saturating as e4m3 (beyond 57344 and +-inf -> +-57344);
 *          NaN -> 0x7E with the input's sign.
 *   e2m1   (FP4: values 0, 0.5, 1, 1.5, 2, 3, 4, 6) round to nearest even, saturating to +-6;
 *          NaN -> +0 (FP4 has no NaN; block quantisers flag NaN blocks through the scale).
 *   e8m0   (MX scale: 2^(c-127), c = 0..254, 255 = NaN).
 *   ue8m0  as e8m0, used by V4's KV cache for fp8 tiles.
 */
uint16_t mtok_bf16_from_f32(float x);
float mtok_bf16_to_f32(uint16_t b);
uint8_t mtok_e4m3_from_f32(float x);
float mtok_e4m3_to_f32(uint8_t c);
uint8_t mtok_e5m2_from_f32(float x);
float mtok_e5m2_to_f32(uint8_t c);
uint8_t mtok_e2m1_from_f32(float x); /* 4-bit code in the low nibble */
float mtok_e2m1_to_f32(uint8_t c);   /* uses the low nibble */
float mtok_e8m0_to_f32(uint8_t c);   /* 255 -> NaN */

/* Element-wise array conversions (dispatched; bit-exact with the scalar ones). */
void mtok_f32_to_bf16(const float *x, uint16_t *out, size_t n);
void mtok_bf16_to_f32_array(const uint16_t *x, float *out, size_t n);
void mtok_f32_to_e4m3(const float *x, uint8_t *out, size_t n);
void mtok_e4m3_to_f32_array(const uint8_t *x, float *out, size_t n);
void mtok_f32_to_e5m2(const float *x, uint8_t *out, size_t n);

/* Block quantisers over one vector of n elements (n need not be a multiple of the block; the last
 * block is padded with zeros). Elements are packed two per byte, element 2i in the low nibble (OCP).
 *
 * MXFP4 (OCP MX v1.0 §6.3): per block of 32, shared exponent E = floor(log2(amax)) - 2 clamped to
 *   [-127, 127], scale code E + 127; elements = e2m1(x * 2^-E) (saturating). amax = 0 gives code 0
 *   and zero elements. A NaN or infinity anywhere in the block gives scale code 255 (NaN) and zero
 *   elements.
 * NVFP4: per block of 16, scale code = e4m3(amax / 6 / gscale) (saturating e4m3, as above),
 *   elements = e2m1(x / (dec(code) * gscale)) (an f32 division); a zero scale gives zero elements.
 *   A NaN or infinity in the block gives scale code 0x7F (NaN) and zero elements. gscale is the
 *   per-tensor f32 scale (mtok_nvfp4_gscale picks amax_tensor / (448 * 6), 1 for 0 or non-finite).
 * Sizes: nibbles (n + 1) / 2 rounded up to whole blocks; scales one byte per block. */
void mtok_quant_mxfp4(const float *x, size_t n, uint8_t *nibbles, uint8_t *scales);
void mtok_dequant_mxfp4(const uint8_t *nibbles, const uint8_t *scales, size_t n, float *out);
float mtok_nvfp4_gscale(float amax);
void mtok_quant_nvfp4(const float *x, size_t n, float gscale, uint8_t *nibbles, uint8_t *scales);
void mtok_dequant_nvfp4(const uint8_t *nibbles, const uint8_t *scales, size_t n, float gscale,
                        float *out);

/* ================================================================================================
 * Weight matrices
 *
 * A weight matrix of n rows (outputs) x k columns (inputs) in one storage format. The layouts are
 * the engine's own (repacked at load, as ggml and oneDNN do); the bytes per element, scales
 * included, are those of the format (core's mtok_dtype_weight_bits), so cost reports hold.
 *
 *   MTOK_F32    n x k floats, row-major.
 *   MTOK_BF16   n x k bf16, row-major.
 *   MTOK_FP8    n x k e4m3 bytes, row-major; one f32 scale per 128 x 128 block,
 *               scales[(row / 128) * ceil(k / 128) + col / 128]. Quantised with amax / 448.
 *   MTOK_MXFP4  rows in panels of 16 (n padded to 16), columns in blocks of 32 (k padded to 32).
 *               Panel p, block b: 256 bytes at data + (p * kb + b) * 256, four groups g of 64
 *               bytes; byte j of group g holds row 16p + j/4: low nibble = column 32b + 8g + j%4,
 *               high nibble = column 32b + 8g + 4 + j%4. Scale codes (e8m0) at
 *               scales[(p * kb + b) * 16 + r]. This layout lets one 64-byte load feed two VNNI
 *               dot products over 16 rows without any shuffling of the activations.
 *   MTOK_NVFP4  as MXFP4 with blocks of 16 columns (128 bytes, two groups per block), e4m3 scale
 *               codes, and the per-tensor f32 scale in gscale.
 *   MTOK_INT8   n x k int8, row-major, symmetric per-row f32 scale (amax / 127) in scales, and the
 *               per-row sum of the codes in rowsum (the VNNI unsigned-offset compensation).
 *
 * Activation rounding is part of each format's GEMM semantics, the same in every variant:
 *   f32: none. bf16, fp8: x rounded to bf16. mxfp4 / nvfp4: x quantised to int8 per block of the
 *   weight's block size (symmetric, amax / 127, round to nearest even). int8: x quantised to int8
 *   per row (token), symmetric. Accumulation is f32 or exact int32, then f32. */
struct mtok_wmat {
    enum mtok_dtype dtype;
    size_t n, k;          /* logical shape */
    size_t n_pad, k_pad;  /* stored shape */
    void *data;           /* element codes (64-byte aligned) */
    void *scales;         /* block scales; NULL for f32 and bf16 */
    int32_t *rowsum;      /* int8 only */
    float gscale;         /* nvfp4 per-tensor scale; 1 otherwise */
    size_t data_bytes, scale_bytes;
};

/* Quantise `src` (n x k f32, row-major, leading dimension ld >= k) into a new matrix of format
 * `dtype` (F32, BF16, FP8, MXFP4, NVFP4, INT8). src NULL gives an all-zero matrix. Returns
 * MTOK_EUNSUPPORTED for other formats, MTOK_EINVAL for a zero dimension; *out is NULL on failure.
 * The caller owns *out (mtok_wmat_destroy). Uses up to mtok_kernels_threads() threads. */
enum mtok_status mtok_wmat_create(struct mtok_wmat **out, enum mtok_dtype dtype, size_t n,
                                  size_t k, const float *src, size_t ld, struct mtok_error *err);
/* No-op on NULL. */
void mtok_wmat_destroy(struct mtok_wmat *w);
/* The dequantised value of element (row, col). Reference accessor, slow. */
float mtok_wmat_get(const struct mtok_wmat *w, size_t row, size_t col);
/* Dequantise rows [r0, r1) into out ((r1 - r0) x k, row-major). */
void mtok_wmat_dequant_rows(const struct mtok_wmat *w, size_t r0, size_t r1, float *out);
/* Bytes the matrix occupies as the format defines them (n * k * weight_bits / 8): what the cost
 * model counts; padding excluded. */
double mtok_wmat_bytes(const struct mtok_wmat *w);

/* ================================================================================================
 * GEMM / GEMV:  y[m x n] = x[m x k] W^T   (y overwritten; ldx >= k, ldy >= n)
 *
 * m == 1 (decode) runs the memory-bound GEMV kernels (they stream the weights once); larger m runs
 * the packed, cache-blocked GEMM (f32 micro-kernel on dequantised panels; vdpbf16ps or AMX for
 * bf16 weights). */
void mtok_gemm(const struct mtok_wmat *w, size_t m, const float *x, size_t ldx, float *y,
               size_t ldy);
/* The op for that call: sim's mtok_op_gemm(name, m, n, k, w->dtype, f32, arithmetic dtype). */
struct mtok_op mtok_gemm_op(const char *name, const struct mtok_wmat *w, size_t m);

/* Grouped GEMM (MoE experts): for each group g with rows [offsets[g], offsets[g+1]) of x,
 * y_rows = x_rows W_g^T. All W_g share n and k and dtype; groups with no rows are skipped. Decode
 * (one row per group) splits all groups' weights evenly over the threads. */
void mtok_grouped_gemm(const struct mtok_wmat *const *w, size_t groups, const size_t *offsets,
                       const float *x, size_t ldx, float *y, size_t ldy);
struct mtok_op mtok_grouped_gemm_op(const char *name, const struct mtok_wmat *const *w,
                                    size_t groups, const size_t *offsets);

/* ================================================================================================
 * Element-wise kernels (in place allowed: y may equal x) */

/* y = x / sqrt(mean(x^2) + eps) * w  (w NULL: no weight). */
void mtok_rmsnorm(float *y, const float *x, const float *w, size_t n, float eps);
struct mtok_op mtok_rmsnorm_op(const char *name, size_t rows, size_t n);
/* out = silu(gate) * up, with DeepSeek's clamp when limit > 0: gate <= limit, |up| <= limit. */
void mtok_swiglu(float *out, const float *gate, const float *up, size_t n, float limit);
struct mtok_op mtok_swiglu_op(const char *name, size_t n);
/* x = softmax(x) over n elements (max-subtracted). */
void mtok_softmax(float *x, size_t n);
struct mtok_op mtok_softmax_op(const char *name, size_t rows, size_t n);

/* Rotary embedding with precomputed frequencies (plain, or YaRN as in DeepSeek V3/V4). */
struct mtok_rope {
    size_t dim;       /* rotated dims (even) */
    float *inv_freq;  /* dim / 2 */
    float mscale;     /* YaRN's 0.1 ln(factor) + 1 (1 for plain RoPE); not applied to cos/sin:
                         DeepSeek multiplies the softmax scale by mscale^2 */
    bool interleaved; /* pairs (2i, 2i+1) (GPT-J, DeepSeek) vs halves (i, i + dim/2) (NeoX) */
};
/* yarn_factor <= 1: plain RoPE. Otherwise YaRN with original context orig_ctx and beta_fast,
 * beta_slow (DeepSeek's yarn_find_correction_range / linear ramp; mscale = 0.1 ln(f) + 1). */
enum mtok_status mtok_rope_init(struct mtok_rope *r, size_t dim, double theta, double yarn_factor,
                                double orig_ctx, double beta_fast, double beta_slow,
                                bool interleaved, struct mtok_error *err);
void mtok_rope_free(struct mtok_rope *r);
/* Rotate `count` vectors x + i * stride (i < count), dims [0, r->dim) of each, to position pos
 * (inverse: by -pos, V4's de-rotation of the attention output). */
void mtok_rope_apply(const struct mtok_rope *r, float *x, size_t count, size_t stride, double pos,
                     bool inverse);
struct mtok_op mtok_rope_op(const char *name, size_t count, size_t dim);

/* ================================================================================================
 * Attention
 *
 * GQA/MHA over separate K and V caches (f32 or bf16). Element d of KV head h at position p is at
 * k + p * kv_stride + h * k_head_stride + d (V: v_stride, v_head_stride). The defaults (0) give the
 * token-major layout K[pos][kv_head][dqk] (head strides dqk / dv, V's position stride kv_stride);
 * a head-major cache (HF's [kv_head][pos][dim]) sets kv_stride = dqk, v_stride = dv and the head
 * strides to the cache length times the dims, and then streams each head contiguously. The q_len
 * queries are the last q_len
 * positions of the kv_len cached ones (causal: query i sits at kv_len - q_len + i and sees
 * positions <= its own; with window w > 0 only the last w of those). Query heads h use kv head
 * h / (heads / kv_heads). Prefill is tiled over query blocks and KV blocks with an online softmax;
 * decode (q_len 1) splits the KV length over the threads (flash-decoding) and combines the
 * partial softmaxes in a fixed order. Optional per-head sink logits join the softmax denominator. */
struct mtok_gqa {
    size_t q_len, kv_len, heads, kv_heads, dqk, dv;
    const float *q;      /* q_len x heads x dqk; token stride q_stride floats */
    size_t q_stride;
    enum mtok_dtype kv_dtype; /* MTOK_F32 or MTOK_BF16 */
    const void *k, *v;
    size_t kv_stride;    /* elements between positions of K (and of V unless v_stride) */
    size_t v_stride;     /* elements between positions of V; 0 = kv_stride */
    size_t k_head_stride, v_head_stride; /* elements between KV heads; 0 = dqk, dv */
    size_t window;       /* 0 = none */
    const float *sinks;  /* heads, or NULL */
    float scale;         /* usually 1 / sqrt(dqk) */
    float *out;          /* q_len x heads x dv; token stride out_stride floats */
    size_t out_stride;
};
void mtok_attn_gqa(const struct mtok_gqa *a);
struct mtok_op mtok_attn_gqa_op(const char *name, const struct mtok_gqa *a);

/* Shared-KV multi-query attention, the decode core of MLA (absorbed: 512 latent + 64 rope, value =
 * the first 512 dims) and of DeepSeek V4 (one 512-dim entry is both key and value). All query
 * heads attend to the same entries. The entries come from segments: contiguous runs of a cache or
 * gathered by an index list (top-k sparse attention). One softmax spans all segments (V4: the
 * compressed entries plus the sliding window) and the optional per-head sinks.
 *
 * Cache entry formats:
 *   MTOK_KV_BF16  dim bf16 values (2 * dim bytes).
 *   MTOK_KV_V4    DeepSeek V4's 584-byte entry for dim 512 with the last 64 dims rotary: 448 e4m3
 *                 bytes (dims 0..447) + 64 bf16 (dims 448..511) + 7 ue8m0 scale codes, one per
 *                 64-dim tile of the fp8 part (scale = 2^ceil(log2(amax / 448))) + 1 pad byte.
 *                 FlashMLA keeps the 8 scale bytes of a page apart from its 576-byte data rows;
 *                 the bytes per entry are the same. */
enum mtok_kv_fmt { MTOK_KV_BF16, MTOK_KV_V4 };
size_t mtok_kv_fmt_entry_bytes(enum mtok_kv_fmt fmt, size_t dim);
/* Quantise one entry (dim floats) into dst (mtok_kv_fmt_entry_bytes bytes). MTOK_KV_V4 needs dim 512. */
void mtok_kv_store(enum mtok_kv_fmt fmt, size_t dim, const float *entry, void *dst);
/* Dequantise one entry. */
void mtok_kv_load(enum mtok_kv_fmt fmt, size_t dim, const void *src, float *entry);

struct mtok_kv_seg {
    const void *base;     /* entry 0 of the cache */
    size_t n;             /* entries attended */
    const int32_t *idx;   /* NULL: entries 0..n-1; else the n entries base[idx[i]] */
};
struct mtok_mqa {
    size_t heads, dim, dv; /* dv <= dim: value = first dv dims of the entry */
    const float *q;        /* heads x dim */
    enum mtok_kv_fmt fmt;
    const struct mtok_kv_seg *segs;
    size_t n_segs;
    const float *sinks;    /* heads, or NULL */
    float scale;
    float *out;            /* heads x dv */
};
void mtok_attn_mqa(const struct mtok_mqa *a);
struct mtok_op mtok_attn_mqa_op(const char *name, const struct mtok_mqa *a);

/* Lightning indexer (DeepSeek V3.2 DSA / V4 CSA): score[t] = sum_h w[h] * relu(scale * q_h . k_t)
 * over n keys cached in MXFP4 (dim e2m1 + dim/32 e8m0 scales: 68 bytes for dim 128). */
size_t mtok_ikey_bytes(size_t dim);
void mtok_ikey_store(size_t dim, const float *key, void *dst);
struct mtok_indexer {
    size_t heads, dim;
    const float *q;        /* heads x dim */
    const float *w;        /* heads */
    float scale;
    const void *keys;      /* n_keys x mtok_ikey_bytes(dim) */
    size_t n_keys;
    float *scores;         /* n_keys */
};
void mtok_indexer_score(const struct mtok_indexer *ix);
/* The op for scoring plus a top-k of `topk` (sim's mtok_op_indexer). */
struct mtok_op mtok_indexer_op(const char *name, const struct mtok_indexer *ix, size_t topk);

/* Indices of the k largest scores (NaN ranks lowest; ties: smaller index first), in increasing
 * index order. Returns min(k, n). */
size_t mtok_topk(const float *scores, size_t n, size_t k, int32_t *idx);

/* ================================================================================================
 * Mixture of experts */

enum mtok_score_fn { MTOK_SCORE_SOFTMAX, MTOK_SCORE_SIGMOID, MTOK_SCORE_SQRTSOFTPLUS };

/* Router: per token, scores = f(logits); the topk experts with the largest score + bias (bias NULL:
 * none; DeepSeek's noaux_tc correction, used for selection only; ties: smaller expert id) are
 * chosen; their weights are the scores, divided by their sum when normalize, times scaling.
 * logits: tokens x experts. ids, weights: tokens x topk, ids in selection order. */
void mtok_moe_route(const float *logits, size_t tokens, size_t experts, size_t topk,
                    enum mtok_score_fn fn, const float *bias, bool normalize, float scaling,
                    int32_t *ids, float *weights);
struct mtok_op mtok_moe_route_op(const char *name, size_t tokens, size_t experts);

/* Token permutation: rows sorted by expert (stable in token-slot order). The caller provides
 * offsets (experts + 1), row_slot (tokens * topk: the token-slot t * topk + j each permuted row
 * came from) and slot_row (its inverse). */
void mtok_moe_permute(const int32_t *ids, size_t tokens, size_t topk, size_t experts,
                      size_t *offsets, int32_t *row_slot, int32_t *slot_row);
/* x_perm[r] = x[row_slot[r] / topk] for r < rows (rows of `dim` floats). */
void mtok_moe_gather(const float *x, size_t dim, size_t topk, const int32_t *row_slot,
                     size_t rows, float *x_perm);
/* out[t] = sum_j weights[t * topk + j] * y_perm[slot_row[t * topk + j]] (overwrites out). */
void mtok_moe_combine(const float *y_perm, size_t dim, const int32_t *slot_row,
                      const float *weights, size_t tokens, size_t topk, float *out);
struct mtok_op mtok_moe_move_op(const char *name, size_t rows, size_t dim);

/* ================================================================================================
 * Engine: a scaled-down DeepSeek-V4-Flash decoding one sequence through these kernels.
 *
 * The configuration is a DeepSeek-V4 config.json (the catalog's parser checks it, so the simulator
 * can load the same file): per layer sliding-window (compress ratio 0), CSA (4: compressor with two
 * overlapping series, lightning indexer over MXFP4 keys, top-k) or HCA (128: dense over the
 * compressed entries) attention, each with the 128-token window branch, attention sinks, grouped
 * output projection; MoE with a shared expert and sqrt-softplus routing (the first
 * num_hash_layers routed by a token-id hash table). Weights are random from a seed: routed experts
 * MXFP4, other projections FP8 (128 x 128 scales), router and norms f32, embeddings bf16. KV
 * entries use V4's 584-byte layout, indexer keys MXFP4. Not modelled: manifold hyper-connections
 * (hc_mult, treated as 1), multi-token prediction, prefill (prompt tokens are decoded one by one).
 *
 * The engine never times itself. Every op it runs is announced to optional hooks, before and after
 * the kernel call, with its cost as the simulator's `struct mtok_op` (layer -1: outside layers). */
struct mtok_engine;

struct mtok_engine_hooks {
    void (*before)(void *ctx, const struct mtok_op *op, int layer);
    void (*after)(void *ctx, const struct mtok_op *op, int layer);
    void *ctx;
};

/* Build an engine from config.json text (`name` for diagnostics), weights drawn from `seed`, caches
 * sized for max_ctx positions. MTOK_EINVAL with a message for a config this engine cannot run (not
 * deepseek_v4, head_dim other than 512, ...). *out NULL on failure. Uses the kernel threads. */
enum mtok_status mtok_engine_create(struct mtok_engine **out, const char *name, const char *json,
                                    size_t len, uint64_t seed, size_t max_ctx,
                                    struct mtok_error *err);
/* No-op on NULL. */
void mtok_engine_destroy(struct mtok_engine *e);
/* Decode one token at the current position (then advance it): *next gets the greedy next token,
 * logits (vocab floats, may be NULL) the final logits. MTOK_EINVAL when the token is out of range
 * or the context is full. Not thread-safe on one engine. */
enum mtok_status mtok_engine_step(struct mtok_engine *e, int32_t token,
                                  const struct mtok_engine_hooks *hooks, int32_t *next,
                                  float *logits, struct mtok_error *err);
/* Make the caches look as if `n` random tokens had been decoded (entries drawn from `seed`), so a
 * benchmark can decode at a long context without decoding the prompt. Resets the position to n. */
enum mtok_status mtok_engine_fill(struct mtok_engine *e, size_t n, uint64_t seed,
                                  struct mtok_error *err);
size_t mtok_engine_pos(const struct mtok_engine *e);
int mtok_engine_vocab(const struct mtok_engine *e);
/* Weight bytes as the formats define them: all, and those one decoded token reads (embedding row,
 * every non-expert matrix, the shared and top-k routed experts of each layer, the LM head). */
double mtok_engine_weight_bytes(const struct mtok_engine *e);
double mtok_engine_active_weight_bytes(const struct mtok_engine *e);
/* One-line summary of the configuration ("hidden 2048, 8 layers (2 SWA, 3 CSA, 3 HCA), ..."). */
const char *mtok_engine_describe(const struct mtok_engine *e);

#endif
