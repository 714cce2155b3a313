/* kernels: number formats. The scalar conversions against brute-force nearest-value search over
 * each format's decode table (all 2^16 bf16 inputs, a stride sample of f32 and every rounding
 * boundary), the dispatched array conversions of every variant bit-exact against the scalar ones,
 * the MXFP4 / NVFP4 block quantisers against an independent recomputation, and the V4 KV entry. */
#include <float.h>

#include "kernels_common.h"
#include "kernels/internal.h" /* mtok_q8_quant_ref */

/* ---- independent reference: nearest finite code, ties to the even code ---- */

static double mf_value(unsigned mag, int mb, int bias)
{
    unsigned E = mag >> mb, M = mag & ((1u << mb) - 1);
    return E == 0 ? ldexp((double)M, 1 - bias - mb) : ldexp((double)((1u << mb) + M), (int)E - bias - mb);
}

static unsigned brute_minifloat(float x, int mb, int bias, unsigned maxc, unsigned nanc,
                                unsigned signbit, bool nan_to_zero)
{
    if (isnan(x))
        return nan_to_zero ? 0 : (nanc | (signbit(x) ? signbit : 0));
    unsigned s = signbit(x) ? signbit : 0;
    if (isinf(x))
        return maxc | s;
    double a = fabs((double)x);
    if (a >= mf_value(maxc, mb, bias)) /* beyond the grid (and exact distances there) */
        return maxc | s;
    unsigned best = 0;
    double bd = INFINITY;
    for (unsigned c = 0; c <= maxc; c++) {
        double d = fabs(a - mf_value(c, mb, bias));
        if (d < bd || (d == bd && (c & 1) == 0)) {
            best = c;
            bd = d;
        }
    }
    return best | s;
}

static unsigned brute_e4m3(float x) { return brute_minifloat(x, 3, 7, 0x7E, 0x7F, 0x80, false); }
static unsigned brute_e5m2(float x) { return brute_minifloat(x, 2, 15, 0x7B, 0x7E, 0x80, false); }
static unsigned brute_e2m1(float x) { return brute_minifloat(x, 1, 1, 0x7, 0, 0x8, true); }

static uint16_t brute_bf16(float x)
{
    uint32_t u;
    memcpy(&u, &x, 4);
    if (isnan(x))
        return (uint16_t)((u >> 16) | 0x40);
    uint16_t lo = (uint16_t)(u >> 16), hi = (uint16_t)(lo + 1);
    if ((u & 0xFFFF) == 0)
        return lo;
    double a = fabs((double)x), vl = fabs((double)mtok_bf16_to_f32(lo));
    double vh = (hi & 0x7FFF) == 0x7F80 ? ldexp(1, 128) : fabs((double)mtok_bf16_to_f32(hi));
    double dl = a - vl, dh = vh - a;
    if (dl < dh || (dl == dh && (lo & 1) == 0))
        return lo;
    return hi;
}

static float f_from_u(uint32_t u)
{
    float f;
    memcpy(&f, &u, 4);
    return f;
}

/* Inputs that exercise every rounding decision: all bf16 values, a stride sample of all f32
 * patterns, and for each e4m3 / e5m2 / e2m1 value its neighbours and the midpoints between
 * consecutive values, each +- one f32 ulp. */
static float *make_inputs(size_t *n)
{
    size_t cap = 65536 + 70000 + 6 * 3 * 256 + 64, k = 0;
    float *v = malloc(cap * sizeof *v);
    for (uint32_t b = 0; b < 65536; b++)
        v[k++] = mtok_bf16_to_f32((uint16_t)b);
    for (uint64_t u = 0; u < 0x100000000ull; u += 65521)
        v[k++] = f_from_u((uint32_t)u);
    struct { int mb, bias; unsigned maxc; } fm[3] = {{3, 7, 0x7E}, {2, 15, 0x7B}, {1, 1, 7}};
    for (int f = 0; f < 3; f++)
        for (unsigned c = 0; c <= fm[f].maxc; c++) {
            double a = mf_value(c, fm[f].mb, fm[f].bias);
            double b = c < fm[f].maxc ? mf_value(c + 1, fm[f].mb, fm[f].bias) : a * 1.1;
            float mid = (float)((a + b) / 2);
            float pts[3] = {mid, nextafterf(mid, INFINITY), nextafterf(mid, -INFINITY)};
            for (int i = 0; i < 3; i++) {
                v[k++] = pts[i];
                v[k++] = -pts[i];
            }
        }
    float sp[] = {0.0f, -0.0f, INFINITY, -INFINITY, NAN, -NAN, 448, 464, 480, 1e9f, 57344, 61440,
                  65536, 6, 7, 5, 0x1p-10f, 0x1p-9f, 0x1p-17f, 0x1p-16f, 0x1p-149f, FLT_MAX};
    for (size_t i = 0; i < sizeof sp / sizeof sp[0]; i++)
        v[k++] = sp[i];
    MTOK_ASSERT(k <= cap);
    *n = k;
    return v;
}

static void test_scalar_vs_brute(const float *v, size_t n)
{
    size_t bad4 = 0, bad5 = 0, bad2 = 0, badb = 0;
    for (size_t i = 0; i < n; i++) {
        bad4 += mtok_e4m3_from_f32(v[i]) != brute_e4m3(v[i]);
        bad5 += mtok_e5m2_from_f32(v[i]) != brute_e5m2(v[i]);
        bad2 += mtok_e2m1_from_f32(v[i]) != brute_e2m1(v[i]);
        badb += mtok_bf16_from_f32(v[i]) != brute_bf16(v[i]);
    }
    CHECK_MSG(bad4 == 0, "e4m3: %zu of %zu inputs differ from nearest-even", bad4, n);
    CHECK_MSG(bad5 == 0, "e5m2: %zu of %zu inputs differ", bad5, n);
    CHECK_MSG(bad2 == 0, "e2m1: %zu of %zu inputs differ", bad2, n);
    CHECK_MSG(badb == 0, "bf16: %zu of %zu inputs differ", badb, n);
}

static void test_specials(void)
{
    CHECK(mtok_e4m3_from_f32(448) == 0x7E);
    CHECK(mtok_e4m3_from_f32(464) == 0x7E); /* saturating, not NaN */
    CHECK(mtok_e4m3_from_f32(INFINITY) == 0x7E && mtok_e4m3_from_f32(-INFINITY) == 0xFE);
    CHECK(mtok_e4m3_from_f32(NAN) == 0x7F && mtok_e4m3_from_f32(-NAN) == 0xFF);
    CHECK(mtok_e4m3_from_f32(0x1p-10f) == 0x00);          /* tie between 0 and 2^-9: even */
    CHECK(mtok_e4m3_from_f32(3 * 0x1p-10f) == 0x02);      /* tie between 1 and 2: even */
    CHECK(mtok_e4m3_from_f32(-0.0f) == 0x80);
    CHECK(mtok_e4m3_to_f32(0x38) == 1.0f && mtok_e4m3_to_f32(0x01) == 0x1p-9f);
    CHECK(isnan(mtok_e4m3_to_f32(0x7F)) && mtok_e4m3_to_f32(0x7E) == 448.0f);
    CHECK(mtok_e5m2_from_f32(1e9f) == 0x7B && mtok_e5m2_to_f32(0x7B) == 57344.0f);
    CHECK(isinf(mtok_e5m2_to_f32(0x7C)) && isnan(mtok_e5m2_to_f32(0x7E)));
    CHECK(mtok_e5m2_to_f32(0x01) == 0x1p-16f);
    static const float e2m1[8] = {0, 0.5f, 1, 1.5f, 2, 3, 4, 6};
    for (int c = 0; c < 16; c++)
        CHECK(mtok_e2m1_to_f32((uint8_t)c) == (c & 8 ? -e2m1[c & 7] : e2m1[c & 7]));
    CHECK(mtok_e2m1_from_f32(100) == 7 && mtok_e2m1_from_f32(-5) == 0xE); /* -5: tie of 4 and 6: even (4) */
    CHECK(mtok_e2m1_from_f32(5) == 6);   /* 5 is the midpoint of 4 (code 6) and 6 (code 7): even */
    CHECK(mtok_e2m1_from_f32(NAN) == 0);
    CHECK(isnan(mtok_e8m0_to_f32(255)) && mtok_e8m0_to_f32(127) == 1.0f);
    CHECK(mtok_bf16_from_f32(1.0f) == 0x3F80 && mtok_bf16_from_f32(INFINITY) == 0x7F80);
    CHECK((mtok_bf16_from_f32(NAN) & 0x7FC0) == 0x7FC0);
}

/* The dispatched array conversions of every variant, bit-exact with the scalar ones. */
static void test_arrays(const float *v, size_t n)
{
    uint16_t *b = malloc(n * 2), *bref = malloc(n * 2);
    uint8_t *q = malloc(n), *qref = malloc(n);
    float *f = malloc(n * 4), *fref = malloc(n * 4);
    for (size_t i = 0; i < n; i++)
        bref[i] = mtok_bf16_from_f32(v[i]);
    for (size_t vi = 0; vi < N_VARIANTS; vi++) {
        if (!variant_select(&all_variants[vi]))
            continue;
        const char *nm = all_variants[vi].name;
        mtok_f32_to_bf16(v, b, n);
        CHECK_MSG(memcmp(b, bref, n * 2) == 0, "%s: f32_to_bf16 differs", nm);
        mtok_bf16_to_f32_array(bref, f, n);
        for (size_t i = 0; i < n; i++)
            fref[i] = mtok_bf16_to_f32(bref[i]);
        CHECK_MSG(memcmp(f, fref, n * 4) == 0, "%s: bf16_to_f32 differs", nm);
        mtok_f32_to_e4m3(v, q, n);
        size_t bad = 0;
        for (size_t i = 0; i < n; i++)
            bad += q[i] != mtok_e4m3_from_f32(v[i]);
        CHECK_MSG(bad == 0, "%s: f32_to_e4m3 differs on %zu inputs", nm, bad);
        mtok_f32_to_e5m2(v, q, n);
        bad = 0;
        for (size_t i = 0; i < n; i++)
            bad += q[i] != mtok_e5m2_from_f32(v[i]);
        CHECK_MSG(bad == 0, "%s: f32_to_e5m2 differs on %zu inputs", nm, bad);
        for (size_t i = 0; i < 256; i++)
            qref[i] = (uint8_t)i;
        mtok_e4m3_to_f32_array(qref, f, 256);
        bad = 0;
        for (size_t i = 0; i < 256; i++) {
            float r = mtok_e4m3_to_f32((uint8_t)i);
            bad += !(f[i] == r || (isnan(f[i]) && isnan(r)));
        }
        CHECK_MSG(bad == 0, "%s: e4m3_to_f32 differs on %zu codes", nm, bad);
        /* int8 activation quantiser: codes and scale bit-exact with the reference */
        for (size_t len = 1; len < 300; len += 37) {
            int8_t qa[300], qb[300];
            float sa = mtok_q8_quant(v + 70000 + len, len, qa);
            float sb = mtok_q8_quant_ref(v + 70000 + len, len, qb);
            CHECK_MSG(sa == sb && memcmp(qa, qb, len) == 0, "%s: q8_quant len %zu", nm, len);
        }
        {
            int8_t qa[256], qb[256]; /* every rounding tie: k + 0.5 steps of the scale */
            float xs[256];
            for (int i = 0; i < 256; i++)
                xs[i] = (float)(i - 127) + (i % 2 ? 0.5f : 0.25f);
            xs[0] = 127.0f;
            mtok_q8_quant(xs, 256, qa);
            mtok_q8_quant_ref(xs, 256, qb);
            CHECK_MSG(memcmp(qa, qb, 256) == 0, "%s: q8_quant ties", nm);
        }
        /* odd lengths exercise the tails */
        for (size_t len = 1; len < 40; len += 3) {
            memset(q, 0xAA, 64);
            mtok_f32_to_e4m3(v + 70000, q, len);
            for (size_t i = 0; i < len; i++)
                CHECK(q[i] == mtok_e4m3_from_f32(v[70000 + i]));
            CHECK(q[len] == 0xAA);
        }
    }
    variant_reset();
    free(b), free(bref), free(q), free(qref), free(f), free(fref);
}

/* MXFP4 against an independent recomputation of OCP's rule (no frexp). */
static int floor_log2(double a)
{
    int e = 0;
    while (ldexp(1, e + 1) <= a)
        e++;
    while (ldexp(1, e) > a)
        e--;
    return e;
}

static void test_mxfp4(void)
{
    for (size_t n = 1; n <= 100; n += 11) {
        float x[100];
        for (size_t i = 0; i < n; i++)
            x[i] = rng_f() * ldexpf(1, (int)(rng_u64() % 20) - 10);
        if (n > 40)
            for (size_t i = 32; i < 64 && i < n; i++)
                x[i] = 0; /* an all-zero block */
        size_t nb = (n + 31) / 32;
        uint8_t nib[64], sc[4];
        mtok_quant_mxfp4(x, n, nib, sc);
        for (size_t b = 0; b < nb; b++) {
            double amax = 0;
            for (size_t i = b * 32; i < n && i < b * 32 + 32; i++)
                amax = fmax(amax, fabs(x[i]));
            int E = amax > 0 ? floor_log2(amax) - 2 : -127;
            CHECK(sc[b] == (amax > 0 ? E + 127 : 0));
            for (size_t i = b * 32; i < b * 32 + 32; i++) {
                unsigned code = (nib[i / 2] >> ((i & 1) * 4)) & 15;
                unsigned want = i < n && amax > 0 ? brute_e2m1((float)ldexp(x[i], -E)) : 0;
                CHECK_MSG(code == want, "n %zu elem %zu: code %u want %u", n, i, code, want);
            }
        }
        float back[100];
        mtok_dequant_mxfp4(nib, sc, n, back);
        CHECK_NERR(back, x, n, 0.25, "mxfp4 round trip n=%zu", n);
    }
    float bad[32] = {1, 2, NAN};
    uint8_t nib[16], sc[1];
    mtok_quant_mxfp4(bad, 32, nib, sc);
    CHECK(sc[0] == 255);
    bad[2] = INFINITY;
    mtok_quant_mxfp4(bad, 32, nib, sc);
    CHECK(sc[0] == 255);
}

static void test_nvfp4(void)
{
    for (size_t n = 1; n <= 70; n += 13) {
        float x[70], amax = 0;
        for (size_t i = 0; i < n; i++) {
            x[i] = rng_f() * 3;
            amax = fmaxf(amax, fabsf(x[i]));
        }
        float g = mtok_nvfp4_gscale(amax);
        CHECK(g == amax / (448.0f * 6.0f));
        uint8_t nib[40], sc[5];
        mtok_quant_nvfp4(x, n, g, nib, sc);
        for (size_t b = 0; b < (n + 15) / 16; b++) {
            float bmax = 0;
            for (size_t i = b * 16; i < n && i < b * 16 + 16; i++)
                bmax = fmaxf(bmax, fabsf(x[i]));
            unsigned want_sc = brute_e4m3(bmax / 6.0f / g);
            CHECK(sc[b] == want_sc);
            float s = mtok_e4m3_to_f32((uint8_t)want_sc) * g;
            for (size_t i = b * 16; i < b * 16 + 16; i++) {
                unsigned code = (nib[i / 2] >> ((i & 1) * 4)) & 15;
                unsigned want = i < n && s > 0 ? brute_e2m1(x[i] / s) : 0;
                CHECK_MSG(code == want, "n %zu elem %zu: code %u want %u", n, i, code, want);
            }
        }
        float back[70];
        mtok_dequant_nvfp4(nib, sc, n, g, back);
        CHECK_NERR(back, x, n, 0.2, "nvfp4 round trip n=%zu", n);
    }
    CHECK(mtok_nvfp4_gscale(0) == 1.0f);
}

/* V4 KV entry: 584 bytes, power-of-two tile scales >= amax / 448 (so nothing saturates), bf16
 * rope part exact, and the dequantised entry close to the original. */
static void test_kv_entry(void)
{
    CHECK(mtok_kv_fmt_entry_bytes(MTOK_KV_V4, 512) == 584);
    CHECK(mtok_kv_fmt_entry_bytes(MTOK_KV_BF16, 576) == 1152);
    float e[512], back[512];
    uint8_t buf[584];
    for (int rep = 0; rep < 20; rep++) {
        for (int i = 0; i < 512; i++)
            e[i] = rng_f() * ldexpf(1, rep - 10) * (i % 64 == 5 ? 30.0f : 1.0f);
        mtok_kv_store(MTOK_KV_V4, 512, e, buf);
        for (int t = 0; t < 7; t++) {
            float amax = 0;
            for (int i = 0; i < 64; i++)
                amax = fmaxf(amax, fabsf(e[t * 64 + i]));
            float s = mtok_e8m0_to_f32(buf[576 + t]);
            CHECK(s >= amax / 448 && (s / 2 < amax / 448 || amax == 0));
        }
        CHECK(buf[583] == 0);
        mtok_kv_load(MTOK_KV_V4, 512, buf, back);
        for (int i = 448; i < 512; i++)
            CHECK(back[i] == mtok_bf16_to_f32(mtok_bf16_from_f32(e[i])));
        CHECK_NERR(back, e, 512, 0.04, "v4 entry round trip");
    }
    float z[512] = {0};
    mtok_kv_store(MTOK_KV_V4, 512, z, buf);
    mtok_kv_load(MTOK_KV_V4, 512, buf, back);
    CHECK(nerr(back, z, 512) == 0);
}

int main(void)
{
    size_t n;
    float *v = make_inputs(&n);
    test_specials();
    test_scalar_vs_brute(v, n);
    test_arrays(v, n);
    free(v);
    test_mxfp4();
    test_nvfp4();
    test_kv_entry();
    return test_status("test_kernels_formats");
}
