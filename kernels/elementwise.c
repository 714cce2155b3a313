/* Element-wise kernels: dispatch wrappers, RoPE (plain and YaRN), and their costs. */
#include <math.h>
#include <stdlib.h>

#include "kernels/internal.h"

#define MTOK_PI 3.14159265358979323846

void mtok_rmsnorm(float *y, const float *x, const float *w, size_t n, float eps)
{
    mtok_ktab()->rmsnorm(y, x, w, n, eps);
}

void mtok_swiglu(float *out, const float *gate, const float *up, size_t n, float limit)
{
    mtok_ktab()->swiglu(out, gate, up, n, limit);
}

void mtok_softmax(float *x, size_t n) { mtok_ktab()->softmax(x, n); }

/* Operation counts per element: rmsnorm square+add, scale, weight (4); swiglu clamp, exp, divide,
 * two multiplies (~8); softmax max, subtract, exp, add, multiply (5); rope 2 mul + 1 add per
 * output (3). */
struct mtok_op mtok_rmsnorm_op(const char *name, size_t rows, size_t n)
{
    return mtok_op_elementwise(name, (double)rows * (double)n, 4, 4, 4);
}

struct mtok_op mtok_swiglu_op(const char *name, size_t n)
{
    return mtok_op_elementwise(name, (double)n, 8, 8, 4);
}

struct mtok_op mtok_softmax_op(const char *name, size_t rows, size_t n)
{
    return mtok_op_elementwise(name, (double)rows * (double)n, 5, 4, 4);
}

struct mtok_op mtok_rope_op(const char *name, size_t count, size_t dim)
{
    return mtok_op_elementwise(name, (double)count * (double)dim, 3, 4, 4);
}

/* ---- RoPE ---- */

enum mtok_status mtok_rope_init(struct mtok_rope *r, size_t dim, double theta, double yarn_factor,
                                double orig_ctx, double beta_fast, double beta_slow,
                                bool interleaved, struct mtok_error *err)
{
    memset(r, 0, sizeof *r);
    if (dim == 0 || dim % 2 || !(theta > 1))
        return mtok_error_set(err, MTOK_EINVAL, "rope: dim %zu must be even and > 0, theta > 1",
                              dim);
    r->dim = dim;
    r->interleaved = interleaved;
    r->mscale = 1.0f;
    r->inv_freq = mtok_xmalloc(dim / 2 * sizeof *r->inv_freq);
    double d = (double)dim;
    double low = 0, high = 0;
    bool yarn = yarn_factor > 1;
    if (yarn) {
        if (!(orig_ctx > 0) || !(beta_fast > 0) || !(beta_slow > 0)) {
            mtok_rope_free(r);
            return mtok_error_set(err, MTOK_EINVAL, "rope: YaRN needs orig_ctx and betas > 0");
        }
        /* DeepSeek's find_correction_range: dims whose wavelength spans beta rotations over the
         * original context */
        double lo = d * log(orig_ctx / (beta_fast * 2 * MTOK_PI)) / (2 * log(theta));
        double hi = d * log(orig_ctx / (beta_slow * 2 * MTOK_PI)) / (2 * log(theta));
        low = fmax(floor(lo), 0);
        high = fmin(ceil(hi), d - 1);
        if (low == high)
            high += 0.001;
        r->mscale = (float)(0.1 * log(yarn_factor) + 1.0);
    }
    for (size_t i = 0; i < dim / 2; i++) {
        double f = 1.0 / pow(theta, (double)(2 * i) / d);
        if (yarn) {
            double ramp = fmin(fmax(((double)i - low) / (high - low), 0), 1);
            double smooth = 1 - ramp;
            f = f / yarn_factor * (1 - smooth) + f * smooth;
        }
        r->inv_freq[i] = (float)f;
    }
    return MTOK_OK;
}

void mtok_rope_free(struct mtok_rope *r)
{
    if (!r)
        return;
    free(r->inv_freq);
    r->inv_freq = NULL;
}

void mtok_rope_apply(const struct mtok_rope *r, float *x, size_t count, size_t stride, double pos,
                     bool inverse)
{
    size_t half = r->dim / 2;
    float cs[256], sn[256];
    float *c = half <= 256 ? cs : mtok_xmalloc(half * sizeof *c);
    float *s = half <= 256 ? sn : mtok_xmalloc(half * sizeof *s);
    for (size_t i = 0; i < half; i++) {
        double a = pos * (double)r->inv_freq[i];
        c[i] = (float)cos(a);
        s[i] = (float)(inverse ? -sin(a) : sin(a));
    }
    for (size_t v = 0; v < count; v++) {
        float *p = x + v * stride;
        for (size_t i = 0; i < half; i++) {
            size_t a = r->interleaved ? 2 * i : i, b = r->interleaved ? 2 * i + 1 : i + half;
            float x0 = p[a], x1 = p[b];
            p[a] = x0 * c[i] - x1 * s[i];
            p[b] = x0 * s[i] + x1 * c[i];
        }
    }
    if (c != cs)
        free(c);
    if (s != sn)
        free(s);
}
