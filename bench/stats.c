/* Statistics for benchmarks: robust summaries, the median's confidence interval, the Mann-Whitney
 * U test and a change-point detector. Reference values in tests/test_stats.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "bench/bench.h"

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double *sorted_copy(const double *x, size_t n)
{
    double *s = mtok_xmalloc((n ? n : 1) * sizeof *s);
    memcpy(s, x, n * sizeof *s);
    qsort(s, n, sizeof *s, cmp_double);
    return s;
}

static double median_sorted(const double *s, size_t n)
{
    return n % 2 ? s[n / 2] : 0.5 * (s[n / 2 - 1] + s[n / 2]);
}

double mtok_stats_median(const double *x, size_t n)
{
    if (!n)
        return NAN;
    double *s = sorted_copy(x, n);
    double m = median_sorted(s, n);
    free(s);
    return m;
}

double mtok_stats_mad(const double *x, size_t n)
{
    if (!n)
        return NAN;
    double m = mtok_stats_median(x, n);
    double *d = mtok_xmalloc(n * sizeof *d);
    for (size_t i = 0; i < n; i++)
        d[i] = fabs(x[i] - m);
    double mad = mtok_stats_median(d, n);
    free(d);
    return mad;
}

double mtok_stats_quantile(const double *x, size_t n, double q)
{
    if (!n || !(q >= 0 && q <= 1))
        return NAN;
    double *s = sorted_copy(x, n);
    double h = (double)(n - 1) * q;
    size_t lo = (size_t)floor(h);
    double v = lo + 1 < n ? s[lo] + (h - (double)lo) * (s[lo + 1] - s[lo]) : s[n - 1];
    free(s);
    return v;
}

/* P(B <= j) for B ~ binomial(n, 1/2), summed in log space so that large n does not overflow. */
static double binom_half_cdf(size_t n, size_t j)
{
    double sum = 0, lnorm = (double)n * log(0.5);
    for (size_t i = 0; i <= j && i <= n; i++)
        sum += exp(lgamma((double)n + 1) - lgamma((double)i + 1) - lgamma((double)(n - i) + 1) +
                   lnorm);
    return sum;
}

double mtok_stats_median_ci(const double *x, size_t n, double conf, double *lo, double *hi)
{
    if (!n) {
        *lo = *hi = NAN;
        return 0;
    }
    double *s = sorted_copy(x, n);
    /* Ranks k and n+1-k (1-based) cover the median with probability 1 - 2 P(B <= k-1). Take the
     * largest k (narrowest interval) that still reaches conf. */
    size_t best = 0;
    double coverage = 0;
    for (size_t k = 1; k <= (n + 1) / 2; k++) {
        double c = 1 - 2 * binom_half_cdf(n, k - 1);
        if (c + 1e-12 < conf)
            break;
        best = k, coverage = c;
    }
    if (!best) { /* too few samples for conf: the full range is the best there is */
        best = 1;
        coverage = 1 - 2 * binom_half_cdf(n, 0);
        if (n == 1)
            coverage = 0;
    }
    *lo = s[best - 1];
    *hi = s[n - best];
    free(s);
    return coverage;
}

/* ---- Mann-Whitney U ---- */

/* Counts of each U value under H0 for sizes m, n with no ties: the coefficients of the Gaussian
 * binomial [m+n choose m]_q = prod_{i=1..m} (1 - q^(n+i)) / (1 - q^i). Exact in doubles up to
 * C(m+n, m) < 2^53 (m + n <= 50 is far below). */
static double *u_counts(size_t m, size_t n)
{
    /* Working modulo q^(deg+1) is exact: every step below computes a coefficient from lower ones
     * only, and the final product has degree m*n. */
    size_t deg = m * n;
    double *p = mtok_xcalloc(deg + 1, sizeof *p);
    p[0] = 1;
    for (size_t i = 1; i <= m; i++) {
        size_t a = n + i;
        for (size_t k = deg + 1; k-- > a;) /* p *= (1 - q^a) */
            p[k] -= p[k - a];
        for (size_t k = i; k <= deg; k++) /* p /= (1 - q^i) */
            p[k] += p[k - i];
    }
    return p;
}

enum mtok_status mtok_stats_mann_whitney(const double *x, size_t nx, const double *y, size_t ny,
                                         enum mtok_mwu_method method, struct mtok_mwu *out)
{
    memset(out, 0, sizeof *out);
    out->p = NAN;
    if (!nx || !ny)
        return MTOK_EINVAL;
    size_t N = nx + ny;
    struct item {
        double v;
        int from_x;
    } *all = mtok_xmalloc(N * sizeof *all);
    for (size_t i = 0; i < nx; i++)
        all[i] = (struct item){x[i], 1};
    for (size_t i = 0; i < ny; i++)
        all[nx + i] = (struct item){y[i], 0};
    for (size_t i = 0; i < N; i++)
        if (isnan(all[i].v)) {
            free(all);
            return MTOK_EINVAL;
        }
    /* Sort by value (insertion into qsort via the first member). */
    qsort(all, N, sizeof *all, cmp_double);
    double r1 = 0, tie_term = 0;
    for (size_t i = 0; i < N;) {
        size_t j = i;
        while (j + 1 < N && all[j + 1].v == all[i].v)
            j++;
        double rank = 0.5 * ((double)i + (double)j) + 1; /* average 1-based rank */
        double t = (double)(j - i + 1);
        tie_term += t * t * t - t;
        for (size_t k = i; k <= j; k++)
            if (all[k].from_x)
                r1 += rank;
        i = j + 1;
    }
    free(all);
    double u1 = r1 - (double)nx * ((double)nx + 1) / 2;
    double u2 = (double)nx * (double)ny - u1;
    out->u = u1;
    bool ties = tie_term > 0;
    bool exact = method == MTOK_MWU_EXACT || (method == MTOK_MWU_AUTO && N <= 40);
    if (exact && !ties && N <= 50) {
        double *c = u_counts(nx, ny);
        size_t deg = nx * ny, u = (size_t)llround(u1 < u2 ? u1 : u2);
        double total = 0, tail = 0;
        for (size_t k = 0; k <= deg; k++) {
            total += c[k];
            if (k <= u)
                tail += c[k];
        }
        free(c);
        out->p = fmin(1.0, 2 * tail / total);
        out->exact = true;
        return MTOK_OK;
    }
    double mu = (double)nx * (double)ny / 2;
    double var =
        (double)nx * (double)ny / 12 * (((double)N + 1) - tie_term / ((double)N * ((double)N - 1)));
    if (!(var > 0)) { /* every value equal: no evidence either way */
        out->p = 1;
        return MTOK_OK;
    }
    double umax = u1 > u2 ? u1 : u2;
    out->z = (umax - mu - 0.5) / sqrt(var);
    out->p = fmin(1.0, erfc(out->z / sqrt(2.0)));
    return MTOK_OK;
}

/* ---- change points ---- */

/* Sum of squared deviations from the mean over y[a..b): where to split. (An L1 cost around the
 * median is flat for a segment holding two levels and misplaces the split; the squares do not.
 * Whether a split is kept is decided on medians, so one outlier cannot make a step.) */
static double l2_cost(const double *y, size_t a, size_t b)
{
    double m = 0, c = 0;
    for (size_t i = a; i < b; i++)
        m += y[i];
    m /= (double)(b - a);
    for (size_t i = a; i < b; i++)
        c += (y[i] - m) * (y[i] - m);
    return c;
}

static void segment(const double *y, size_t a, size_t b, double min_shift, double sigma,
                    size_t *cps, size_t *ncp, size_t max_cps)
{
    if (b - a < 2 || *ncp >= max_cps)
        return;
    size_t best = 0;
    double best_cost = INFINITY;
    for (size_t k = a + 1; k < b; k++) {
        double c = l2_cost(y, a, k) + l2_cost(y, k, b);
        if (c < best_cost - 1e-12)
            best_cost = c, best = k;
    }
    double ml = mtok_stats_median(y + a, best - a), mr = mtok_stats_median(y + best, b - best);
    double shift = fabs(mr - ml);
    if (shift < log1p(min_shift) - 1e-12 || shift < 3 * sigma)
        return;
    segment(y, a, best, min_shift, sigma, cps, ncp, max_cps);
    if (*ncp < max_cps)
        cps[(*ncp)++] = best;
    segment(y, best, b, min_shift, sigma, cps, ncp, max_cps);
}

size_t mtok_stats_changepoints(const double *x, size_t n, double min_rel_shift, size_t *cps,
                               size_t max_cps)
{
    if (n < 2 || !max_cps)
        return 0;
    double *y = mtok_xmalloc(n * sizeof *y);
    for (size_t i = 0; i < n; i++)
        y[i] = x[i] > 0 ? log(x[i]) : -INFINITY;
    for (size_t i = 0; i < n; i++)
        if (!isfinite(y[i])) { /* only positive values have a level to compare */
            free(y);
            return 0;
        }
    /* The noise level from successive differences: steps are rare, so the median difference is
     * noise (sigma of one value = that of a difference / sqrt 2). Needs enough differences that a
     * step or two cannot be the median; shorter series rely on the threshold alone. */
    double sigma = 0;
    if (n >= 6) {
        double *d = mtok_xmalloc((n - 1) * sizeof *d);
        for (size_t i = 1; i < n; i++)
            d[i - 1] = fabs(y[i] - y[i - 1]);
        sigma = 1.4826 * mtok_stats_median(d, n - 1) / sqrt(2.0);
        free(d);
    }
    size_t ncp = 0;
    segment(y, 0, n, min_rel_shift, sigma, cps, &ncp, max_cps);
    free(y);
    /* In-order recursion already yields ascending indices. */
    return ncp;
}
