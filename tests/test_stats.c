/* bench statistics against known values. Mann-Whitney and quantile references were computed with
 * scipy 1.17.1 / numpy (scipy.stats.mannwhitneyu(x, y, alternative='two-sided', method=...),
 * numpy.quantile) and the order-statistic ranks with scipy.stats.binom; the exact small cases are
 * also the textbook values (U = 0 for 3 vs 3 fully separated: p = 2 / C(6,3) = 0.1). */
#include "bench/bench.h"
#include "test.h"

#define N(a) (sizeof(a) / sizeof *(a))

static void test_summaries(void)
{
    const double odd[] = {4, 100, 1, 3, 2};
    CHECK(mtok_stats_median(odd, 5) == 3);
    CHECK(mtok_stats_mad(odd, 5) == 1); /* |x - 3| = 1 97 2 0 1 -> median 1 */
    const double even[] = {4, 1, 3, 2};
    CHECK(mtok_stats_median(even, 4) == 2.5);
    CHECK(mtok_stats_mad(even, 4) == 1);
    CHECK(isnan(mtok_stats_median(even, 0)) && isnan(mtok_stats_mad(even, 0)));
    /* Inputs are left alone. */
    CHECK(odd[0] == 4 && odd[1] == 100);
    const double q[] = {3, 1, 4, 1, 5, 9, 2, 6};
    CHECK_NEAR(mtok_stats_quantile(q, 8, 0.1), 1.0, 1e-12);
    CHECK_NEAR(mtok_stats_quantile(q, 8, 0.25), 1.75, 1e-12);
    CHECK_NEAR(mtok_stats_quantile(q, 8, 0.5), 3.5, 1e-12);
    CHECK_NEAR(mtok_stats_quantile(q, 8, 0.9), 6.9, 1e-12);
    CHECK(mtok_stats_quantile(q, 8, 1) == 9 && mtok_stats_quantile(q, 8, 0) == 1);
}

static void test_median_ci(void)
{
    double x[30];
    for (int i = 0; i < 30; i++)
        x[i] = 30 - i; /* x(k) = k */
    double lo, hi;
    /* n = 10: ranks (2, 9), coverage 1 - 2 * 11/1024. */
    double c = mtok_stats_median_ci(x + 20, 10, 0.95, &lo, &hi);
    CHECK(lo == 2 && hi == 9);
    CHECK_NEAR(c, 0.978515625, 1e-12);
    c = mtok_stats_median_ci(x + 10, 20, 0.95, &lo, &hi);
    CHECK(lo == 6 && hi == 15);
    CHECK_NEAR(c, 0.9586105346679688, 1e-9);
    c = mtok_stats_median_ci(x, 30, 0.95, &lo, &hi);
    CHECK(lo == 10 && hi == 21);
    CHECK_NEAR(c, 0.9572260547429323, 1e-9);
    /* Too few samples for 95%: the whole range, with the coverage it really has (1 - 2/32). */
    c = mtok_stats_median_ci(x + 25, 5, 0.95, &lo, &hi);
    CHECK(lo == 1 && hi == 5);
    CHECK_NEAR(c, 0.9375, 1e-12);
}

static void mwu(const double *x, size_t nx, const double *y, size_t ny, enum mtok_mwu_method m,
                double u, double p, bool exact)
{
    struct mtok_mwu r;
    CHECK(mtok_stats_mann_whitney(x, nx, y, ny, m, &r) == MTOK_OK);
    CHECK_MSG(r.u == u, "U %g, expected %g", r.u, u);
    CHECK_NEAR(r.p, p, 1e-9);
    CHECK(r.exact == exact);
}

static void test_mann_whitney(void)
{
    const double a[] = {1, 2, 3}, b[] = {4, 5, 6};
    mwu(a, 3, b, 3, MTOK_MWU_EXACT, 0, 0.1, true);
    mwu(b, 3, a, 3, MTOK_MWU_AUTO, 9, 0.1, true);

    double lo[10], hi[10];
    for (int i = 0; i < 10; i++)
        lo[i] = i, hi[i] = 10 + i;
    mwu(lo, 10, hi, 10, MTOK_MWU_AUTO, 0, 1.082508822446903e-05, true);

    const double c[] = {19, 22, 16, 29, 24}, d[] = {20, 11, 17, 12};
    mwu(c, 5, d, 4, MTOK_MWU_EXACT, 17, 0.1111111111111111, true);
    mwu(c, 5, d, 4, MTOK_MWU_ASYMPTOTIC, 17, 0.11134688653314041, false);

    /* Ties: the normal approximation with tie correction, whatever was asked. */
    const double e[] = {1, 2, 2, 3, 4, 5, 5, 6}, f[] = {3, 4, 4, 5, 6, 7, 7, 8, 9};
    mwu(e, N(e), f, N(f), MTOK_MWU_AUTO, 14, 0.03714012623439529, false);
    mwu(e, N(e), f, N(f), MTOK_MWU_EXACT, 14, 0.03714012623439529, false);

    const double g[] = {100.0, 101.5, 103.0, 104.5, 106.0, 107.5,
                        100.5, 102.0, 103.5, 105.0, 106.5, 108.0};
    const double h[] = {103.0, 110.5, 108.5, 106.5, 104.5, 112.0, 110.0, 108.0,
                        106.0, 104.0, 111.5, 109.5, 107.5, 105.5, 103.5};
    mwu(g, N(g), h, N(h), MTOK_MWU_AUTO, 37.5, 0.011083491882712798, false);

    /* 12 vs 15 without ties: exact and asymptotic differ, as in scipy. */
    const double k[] = {100.0,  102.96, 105.92, 108.88, 101.11, 104.07,
                        107.03, 109.99, 102.22, 105.18, 108.14, 100.37};
    const double l[] = {102.0,  111.02, 107.33, 103.64, 112.66, 108.97, 105.28, 114.3,
                        110.61, 106.92, 103.23, 112.25, 108.56, 104.87, 113.89};
    mwu(k, N(k), l, N(l), MTOK_MWU_AUTO, 44, 0.024586944441568215, true);
    mwu(k, N(k), l, N(l), MTOK_MWU_ASYMPTOTIC, 44, 0.02640704903191421, false);

    /* Identical samples: no evidence of a difference. */
    const double same[] = {5, 5, 5};
    struct mtok_mwu r;
    CHECK(mtok_stats_mann_whitney(same, 3, same, 3, MTOK_MWU_AUTO, &r) == MTOK_OK && r.p == 1);
    CHECK(mtok_stats_mann_whitney(same, 0, same, 3, MTOK_MWU_AUTO, &r) == MTOK_EINVAL);
    const double withnan[] = {1, NAN};
    CHECK(mtok_stats_mann_whitney(withnan, 2, same, 3, MTOK_MWU_AUTO, &r) == MTOK_EINVAL);
}

static void test_changepoints(void)
{
    size_t cp[8];
    const double step[] = {10, 10, 10, 10, 12, 12, 12, 12};
    CHECK(mtok_stats_changepoints(step, N(step), 0.05, cp, 8) == 1 && cp[0] == 4);

    const double noisy_flat[] = {10, 10.1, 9.9, 10.05, 9.95, 10.02, 9.98, 10.1};
    CHECK(mtok_stats_changepoints(noisy_flat, N(noisy_flat), 0.05, cp, 8) == 0);

    const double two[] = {1, 1.01, 0.99, 2, 2.02, 1.98, 1, 1.01, 0.99};
    size_t n = mtok_stats_changepoints(two, N(two), 0.05, cp, 8);
    CHECK(n == 2 && cp[0] == 3 && cp[1] == 6);

    /* A single-commit spike is not a step; a change at the last commit is. */
    const double spike[] = {10, 10, 10, 20, 10, 10, 10};
    CHECK(mtok_stats_changepoints(spike, N(spike), 0.05, cp, 8) == 0);
    const double last[] = {10, 10.1, 9.9, 10, 12.5};
    CHECK(mtok_stats_changepoints(last, N(last), 0.05, cp, 8) == 1 && cp[0] == 4);

    /* A 3% shift is below a 5% threshold; a step buried in noise larger than itself is not kept. */
    const double small[] = {10, 10, 10, 10.3, 10.3, 10.3};
    CHECK(mtok_stats_changepoints(small, N(small), 0.05, cp, 8) == 0);
    const double buried[] = {10, 13, 8, 12, 9, 12.6, 9.5, 14, 9.8, 13};
    CHECK(mtok_stats_changepoints(buried, N(buried), 0.05, cp, 8) == 0);

    /* A 20% slowdown from commit 5 on, with 1% noise. */
    double s[12];
    for (int i = 0; i < 12; i++)
        s[i] = (i < 5 ? 100 : 120) * (1 + 0.01 * ((i * 7) % 3 - 1));
    CHECK(mtok_stats_changepoints(s, 12, 0.05, cp, 8) == 1 && cp[0] == 5);
}

int main(void)
{
    test_summaries();
    test_median_ci();
    test_mann_whitney();
    test_changepoints();
    return test_status("test_stats");
}
