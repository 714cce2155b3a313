/* The API price book over time: which price was in force on a date, discounts applied; the
 * history of a product; price snapshots into the database. */
#define _POSIX_C_SOURCE 200809L
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "pricing/pricing.h"
#include "store/store.h"

/* "YYYY-MM" or "YYYY-MM-DD" -> "YYYY-MM-DD" (a month means its 1st). False if malformed. */
static bool norm_date(const char *s, char out[11])
{
    size_t n = s ? strlen(s) : 0;
    if (n != 7 && n != 10)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((i == 4 || i == 7) ? s[i] != '-' : !isdigit((unsigned char)s[i]))
            return false;
    int month = (s[5] - '0') * 10 + (s[6] - '0');
    int day = n == 10 ? (s[8] - '0') * 10 + (s[9] - '0') : 1;
    if (month < 1 || month > 12 || day < 1 || day > 31)
        return false;
    memcpy(out, s, 7);
    memcpy(out + 7, n == 10 ? s + 7 : "-01", 3);
    out[10] = '\0';
    return true;
}

/* `product` may list several API names separated by " / " (deepseek-chat / deepseek-reasoner). */
static bool product_matches(const struct mtok_api_price *p, const char *q)
{
    if (p->model && strcmp(p->model, q) == 0)
        return true;
    size_t qn = strlen(q);
    for (const char *s = p->product; s;) {
        const char *sep = strstr(s, " / ");
        size_t n = sep ? (size_t)(sep - s) : strlen(s);
        if (n == qn && strncmp(s, q, n) == 0)
            return true;
        s = sep ? sep + 3 : NULL;
    }
    return false;
}

bool mtok_price_is_claim(const struct mtok_api_price *p)
{
    return strstr(p->id, "/seed-") != NULL;
}

static bool provider_ok(const struct mtok_api_price *p, const char *provider, bool resellers)
{
    if (provider)
        return strcasecmp(p->provider, provider) == 0;
    return resellers || strcmp(p->kind, "reseller") != 0;
}

/* Is candidate b a better pick than a (same class)? Later start, then USD, then book order (a is
 * earlier in the book when equal). */
static bool better(const struct mtok_api_price *a, const char *a_from,
                   const struct mtok_api_price *b, const char *b_from)
{
    if (!a)
        return true;
    int c = strcmp(b_from, a_from);
    if (c != 0)
        return c > 0;
    bool a_usd = strcmp(a->currency, "USD") == 0, b_usd = strcmp(b->currency, "USD") == 0;
    return b_usd && !a_usd;
}

static double off(double effective, double list)
{
    if (isnan(effective) || isnan(list) || !(list > 0))
        return NAN;
    return 1.0 - effective / list;
}

enum mtok_status mtok_pricing_api_in_force(const struct mtok_catalog *cat,
                                           const struct mtok_price_query *q,
                                           struct mtok_price_in_force *out, struct mtok_error *err)
{
    memset(out, 0, sizeof *out);
    char day[11];
    if (!q->product || !*q->product)
        return mtok_error_set(err, MTOK_EINVAL, "no product given");
    if (!norm_date(q->date, day))
        return mtok_error_set(err, MTOK_EINVAL, "\"%s\" is not a date (YYYY-MM-DD or YYYY-MM)",
                              q->date ? q->date : "");
    const struct mtok_api_price *list = NULL, *promo = NULL;
    char list_from[11] = "", promo_from[11] = "";
    size_t n = mtok_catalog_price_count(cat);
    /* Promotions are chosen after the list price (they must not predate it); keep them all. */
    const struct mtok_api_price **promos = mtok_xcalloc(n + 1, sizeof *promos);
    size_t n_promos = 0;
    for (size_t i = 0; i < n; i++) {
        const struct mtok_api_price *p = mtok_catalog_price_at(cat, i);
        if (!product_matches(p, q->product) || !provider_ok(p, q->provider, q->include_resellers))
            continue;
        if (q->skip_claims && mtok_price_is_claim(p))
            continue;
        char from[11], until[11];
        if (!norm_date(p->from, from) || (p->until && !norm_date(p->until, until)))
            continue; /* the catalog checked these; unreachable */
        if (strcmp(day, from) < 0 || (p->until && strcmp(day, until) >= 0))
            continue;
        out->candidates++;
        bool is_promo =
            strcmp(p->kind, "discount") == 0 || (q->off_peak && strcmp(p->kind, "off-peak") == 0);
        if (is_promo) {
            promos[n_promos++] = p;
        } else if (strcmp(p->kind, "off-peak") != 0 && better(list, list_from, p, from)) {
            list = p;
            memcpy(list_from, from, sizeof from);
        }
    }
    for (size_t i = 0; i < n_promos; i++) {
        char from[11];
        norm_date(promos[i]->from, from);
        if (list && strcmp(from, list_from) < 0)
            continue; /* the list price changed after the promotion began */
        if (better(promo, promo_from, promos[i], from)) {
            promo = promos[i];
            memcpy(promo_from, from, sizeof from);
        }
    }
    free(promos);
    if (!list && !promo)
        return mtok_error_set(err, MTOK_ENOTFOUND, "no price for \"%s\" in force on %s%s%s",
                              q->product, day, q->provider ? " from " : "",
                              q->provider ? q->provider : "");
    out->list = list;
    out->effective = promo ? promo : list;
    if (list && promo) {
        out->discount_input = off(promo->per_m_input, list->per_m_input);
        out->discount_cached_input = off(promo->per_m_cached_input, list->per_m_cached_input);
        out->discount_output = off(promo->per_m_output, list->per_m_output);
    } else if (!list) {
        out->discount_input = out->discount_cached_input = out->discount_output = NAN;
    }
    return MTOK_OK;
}

struct hist {
    const struct mtok_api_price *p;
    char from[11];
    size_t idx;
};

static int cmp_hist(const void *a, const void *b)
{
    const struct hist *x = a, *y = b;
    int c = strcmp(x->from, y->from);
    return c ? c : (x->idx > y->idx) - (x->idx < y->idx);
}

size_t mtok_pricing_api_history(const struct mtok_catalog *cat, const char *product,
                                const char *provider, const struct mtok_api_price **out, size_t max)
{
    size_t n = mtok_catalog_price_count(cat), k = 0;
    struct hist *h = mtok_xcalloc(n + 1, sizeof *h);
    for (size_t i = 0; i < n; i++) {
        const struct mtok_api_price *p = mtok_catalog_price_at(cat, i);
        if (!product_matches(p, product) || !provider_ok(p, provider, false))
            continue;
        h[k].p = p;
        h[k].idx = i;
        if (!norm_date(p->from, h[k].from))
            continue;
        k++;
    }
    qsort(h, k, sizeof *h, cmp_hist);
    for (size_t i = 0; i < k && i < max; i++)
        out[i] = h[i].p;
    free(h);
    return k;
}

enum mtok_status mtok_pricing_record(struct mtok_store *st, const char *args,
                                     const struct mtok_api_price *prices, size_t n,
                                     char run_uuid[33], struct mtok_error *err)
{
    struct mtok_run_info info = {.kind = "prices", .args = args};
    struct mtok_run *run = mtok_run_create(&info);
    for (size_t i = 0; i < n; i++) {
        const struct mtok_api_price *p = &prices[i];
        struct mtok_price_row row = {.price_id = p->id,
                                     .provider = p->provider,
                                     .product = p->product,
                                     .model = p->model,
                                     .kind = p->kind,
                                     .from_date = p->from,
                                     .until_date = p->until,
                                     .currency = p->currency,
                                     .per_m_input = p->per_m_input,
                                     .per_m_cached_input = p->per_m_cached_input,
                                     .per_m_output = p->per_m_output,
                                     .source = p->src.source};
        mtok_run_add_price(run, &row);
    }
    enum mtok_status s = mtok_store_run_save(st, run);
    if (s != MTOK_OK)
        mtok_error_set(err, s, "%s", mtok_store_errmsg(st));
    else if (run_uuid)
        mtok_strlcpy(run_uuid, mtok_run_uuid(run), 33);
    mtok_run_destroy(run);
    return s;
}
