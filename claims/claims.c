/* Claims: load data/claims/ *.json and evaluate each claim's check with the simulator, the price
 * book and the cost models. Borrows catalog/'s strict JSON checker (catalog/internal.h) for
 * `FILE: FIELD: problem` lines. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "catalog/internal.h"
#include "claims/claims.h"
#include "pricing/pricing.h"

#define MAX_MODELS 4
#define MAX_CONTRA 8

/* A price from the book: product on a date, one token type (or a blend), list or effective. */
struct psel {
    char *product, *provider, *date, *token, *basis;
    double mix[3]; /* input, cached_input, output weights (token "blend") */
};

struct claim {
    char *id, *text, *unit, *metric, *compare, *wprec, *kvprec, *note;
    int article; /* index into articles */
    int index;   /* position in its file's claims array (diagnostics) */
    bool is_bool, stated_bool, is_range;
    double stated, stated_max, tolerance, rel_tolerance, ctx;
    const struct mtok_model *models[MAX_MODELS];
    int n_models;
    const struct mtok_hw *hw[2];
    int n_hw;
    char *contradicts[MAX_CONTRA];
    int n_contra;
    /* metric inputs (each metric reads its own) */
    char *reason, *field, *quantity, *from, *until, *date, *run, *tier;
    struct psel sel[2];
    int n_sel;
    double rpd, in_tok, out_tok, hit, days; /* workload */
    bool has_workload;
    int tp, ep, dp, mtp;
    double isl, osl, tps_user;
    double devices, tokens, seq_len, usd_per_hour, mfu;
};

struct article {
    char *id, *title, *date, *source, *file, *path;
};

struct mtok_claims {
    struct claim *c;
    size_t n, cap;
    struct article *a;
    size_t n_a;
    struct mtok_model **owned; /* inline configs */
    size_t n_owned;
    const struct mtok_catalog *cat;
    struct mtok_tco_defaults tco;
    bool have_tco;
    struct mtok_train_runs runs;
};

const char *mtok_verdict_name(enum mtok_verdict v)
{
    static const char *const names[] = {"consistent", "inconsistent", "unverifiable",
                                        "contradicted"};
    return (unsigned)v < MTOK_VERDICT_COUNT ? names[v] : "?";
}

size_t mtok_claims_count(const struct mtok_claims *c)
{
    return c ? c->n : 0;
}

static void psel_free(struct psel *s)
{
    free(s->product), free(s->provider), free(s->date), free(s->token), free(s->basis);
}

static void claim_free(struct claim *x)
{
    free(x->id), free(x->text), free(x->unit), free(x->metric), free(x->compare);
    free(x->wprec), free(x->kvprec), free(x->note);
    for (int i = 0; i < x->n_contra; i++)
        free(x->contradicts[i]);
    free(x->reason), free(x->field), free(x->quantity), free(x->from), free(x->until);
    free(x->date), free(x->run), free(x->tier);
    for (int i = 0; i < 2; i++)
        psel_free(&x->sel[i]);
}

void mtok_claims_destroy(struct mtok_claims *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++)
        claim_free(&c->c[i]);
    free(c->c);
    for (size_t i = 0; i < c->n_a; i++) {
        struct article *a = &c->a[i];
        free(a->id), free(a->title), free(a->date), free(a->source), free(a->file), free(a->path);
    }
    free(c->a);
    for (size_t i = 0; i < c->n_owned; i++)
        mtok_model_destroy(c->owned[i]);
    free(c->owned);
    if (c->have_tco)
        mtok_tco_defaults_free(&c->tco);
    mtok_train_runs_free(&c->runs);
    free(c);
}

/* ---- formatting ---- */

const char *mtok_claims_format(char *buf, size_t n, const char *unit, bool is_bool, double v)
{
    if (isnan(v))
        snprintf(buf, n, "-");
    else if (is_bool)
        snprintf(buf, n, "%s", v != 0 ? "true" : "false");
    else if (!unit)
        snprintf(buf, n, "%.4g", v);
    else if (strcmp(unit, "bytes") == 0)
        snprintf(buf, n, "%.4g GB", v / 1e9);
    else if (strcmp(unit, "parameters") == 0)
        snprintf(buf, n, "%.4g B", v / 1e9);
    else if (strcmp(unit, "usd_per_m") == 0)
        snprintf(buf, n, "$%.4g/M", v);
    else if (strcmp(unit, "usd_per_month") == 0)
        snprintf(buf, n, "$%.4g/month", v);
    else if (strcmp(unit, "usd") == 0)
        snprintf(buf, n,
                 v >= 1e9   ? "$%.4gB"
                 : v >= 1e6 ? "$%.4gM"
                            : "$%.5g",
                 v >= 1e9   ? v / 1e9
                 : v >= 1e6 ? v / 1e6
                            : v);
    else if (strcmp(unit, "share") == 0)
        snprintf(buf, n, "%.3g%%", 100 * v);
    else if (strcmp(unit, "tok_s") == 0)
        snprintf(buf, n, "%.4g tok/s", v);
    else if (strcmp(unit, "days") == 0)
        snprintf(buf, n, "%.4g days", v);
    else if (strcmp(unit, "tokens") == 0)
        snprintf(buf, n, "%.0f", v);
    else
        snprintf(buf, n, "%.4g", v);
    return buf;
}

/* ---- metrics ---- */

struct eval {
    const struct mtok_claims *set;
    const struct claim *cl;
    const struct mtok_sim_defaults *d;
    struct mtok_claim_result *r;
    char other[512]; /* a source whose figure the computed value is (for `contradicted`) */
};

static void detail(struct eval *e, const char *fmt, ...) MTOK_PRINTF(2, 3);
static void detail(struct eval *e, const char *fmt, ...)
{
    size_t len = strlen(e->r->detail);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->r->detail + len, sizeof e->r->detail - len, fmt, ap);
    va_end(ap);
}

static void set_other(struct eval *e, const char *fmt, ...) MTOK_PRINTF(2, 3);
static void set_other(struct eval *e, const char *fmt, ...)
{
    size_t len = strlen(e->other);
    if (len && len + 2 < sizeof e->other)
        memcpy(e->other + len, "; ", 3), len += 2;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->other + len, sizeof e->other - len, fmt, ap);
    va_end(ap);
}

static bool prec(struct eval *e, const struct mtok_model *m, struct mtok_prec *p)
{
    struct mtok_error err = {0};
    if (mtok_prec_resolve(m, e->cl->wprec, e->cl->kvprec, p, &err) != MTOK_OK) {
        detail(e, "%s", err.msg);
        return false;
    }
    return true;
}

static double ctx_of(const struct eval *e)
{
    return e->cl->ctx > 0 ? e->cl->ctx : 1048576;
}

static bool m_kv_ratio(struct eval *e, double *v)
{
    const struct mtok_model *a = e->cl->models[0], *b = e->cl->models[1];
    struct mtok_prec pa, pb;
    if (!prec(e, a, &pa) || !prec(e, b, &pb))
        return false;
    double ctx = ctx_of(e);
    double ka = mtok_sim_kv_bytes(a, e->d, &pa, ctx, false);
    double kb = mtok_sim_kv_bytes(b, e->d, &pb, ctx, false);
    *v = ka / kb;
    detail(e,
           "KV cache of one sequence at %.0f tokens: %s %.4g GB (%.0f B per token, %s KV) vs "
           "%s %.4g GB (%.0f B per token, %s KV).",
           ctx, a->id, ka / 1e9, mtok_sim_kv_slope(a, e->d, &pa), pa.kv_label, b->id, kb / 1e9,
           mtok_sim_kv_slope(b, e->d, &pb), pb.kv_label);
    return true;
}

static bool m_flops_ratio(struct eval *e, double *v)
{
    const struct mtok_model *a = e->cl->models[0], *b = e->cl->models[1];
    struct mtok_prec pa, pb;
    if (!prec(e, a, &pa) || !prec(e, b, &pb))
        return false;
    double ctx = ctx_of(e);
    struct mtok_flops_split sa, sb;
    double fa = mtok_sim_flops_per_token(a, e->d, &pa, ctx, &sa);
    double fb = mtok_sim_flops_per_token(b, e->d, &pb, ctx, &sb);
    *v = fa / fb;
    detail(e,
           "FLOPs to decode one token at %.0f tokens of context (matrix FLOPs, each counted "
           "once: FP8-equivalent, FP4 indexer at the FP8 rate): %s %.4g G (GEMMs %.4g, "
           "attention %.4g, indexer %.4g) vs %s %.4g G (GEMMs %.4g, attention %.4g, indexer "
           "%.4g).",
           ctx, a->id, fa / 1e9, sa.gemm / 1e9, sa.attention / 1e9, sa.indexer / 1e9, b->id,
           fb / 1e9, sb.gemm / 1e9, sb.attention / 1e9, sb.indexer / 1e9);
    if (sa.fp4 > 0 || sb.fp4 > 0)
        detail(e,
               " Of these, %.4g G and %.4g G run in 4-bit arithmetic; counted as half an FP8 "
               "FLOP each (the FP4 x FP4 rate of Blackwell-class parts) the ratio would be "
               "%.4g.",
               sa.fp4 / 1e9, sb.fp4 / 1e9, (fa - sa.fp4 / 2) / (fb - sb.fp4 / 2));
    return true;
}

static void official(struct eval *e, const struct mtok_model *m, double v, double off,
                     const char *what)
{
    if (off > 0)
        detail(e, " The catalog's official %s count for %s is %.4g B (computed %+.2f%%).", what,
               m->id, off / 1e9, 100 * (v / off - 1));
}

static bool m_params_total(struct eval *e, double *v)
{
    const struct mtok_model *m = e->cl->models[0];
    struct mtok_params p;
    mtok_sim_params(m, &p);
    *v = p.total;
    detail(e,
           "Parameters of %s from its config, embeddings and LM head included, MTP layers "
           "(%.3g B) excluded: %.4g B.",
           m->id, p.mtp / 1e9, p.total / 1e9);
    official(e, m, p.total, m->official_total, "total");
    return true;
}

static bool m_params_active(struct eval *e, double *v)
{
    const struct mtok_model *m = e->cl->models[0];
    struct mtok_params p;
    mtok_sim_params(m, &p);
    *v = p.active;
    detail(e,
           "Parameters used per token by %s (routed top-k experts, shared experts, attention, "
           "LM head; one embedding row): %.4g B (%.4g B counting the whole embedding table).",
           m->id, p.active / 1e9, p.active_with_embedding / 1e9);
    official(e, m, p.active, m->official_active, "active");
    return true;
}

static bool m_active_fraction(struct eval *e, double *v)
{
    const struct mtok_model *m = e->cl->models[0];
    struct mtok_params p;
    mtok_sim_params(m, &p);
    *v = p.active / p.total;
    detail(e, "%s: %.4g B active of %.4g B total = %.2f%%.", m->id, p.active / 1e9, p.total / 1e9,
           100 * *v);
    return true;
}

static bool m_params_ratio(struct eval *e, double *v, bool active)
{
    const struct mtok_model *a = e->cl->models[0], *b = e->cl->models[1];
    struct mtok_params pa, pb;
    mtok_sim_params(a, &pa);
    mtok_sim_params(b, &pb);
    double va = active ? pa.active : pa.total, vb = active ? pb.active : pb.total;
    *v = va / vb;
    detail(e, "%s %.4g B / %s %.4g B (%s parameters, MTP layers excluded).", a->id, va / 1e9, b->id,
           vb / 1e9, active ? "active" : "total");
    return true;
}

static bool m_params_ratio_total(struct eval *e, double *v)
{
    return m_params_ratio(e, v, false);
}
static bool m_params_ratio_active(struct eval *e, double *v)
{
    return m_params_ratio(e, v, true);
}

static bool m_weight_bytes(struct eval *e, double *v)
{
    const struct mtok_model *m = e->cl->models[0];
    struct mtok_prec p;
    if (!prec(e, m, &p))
        return false;
    *v = mtok_sim_weight_bytes(m, &p, true);
    struct mtok_params pa;
    mtok_sim_params(m, &pa);
    detail(e,
           "Checkpoint of %s at %s weights (experts %s, attention/dense %s, embeddings %s; "
           "block scales included; MTP layers included as in the download): %.4g GB for %.4g B "
           "parameters.",
           m->id, p.label, mtok_dtype_name(p.w[MTOK_W_EXPERT]), mtok_dtype_name(p.w[MTOK_W_ATTN]),
           mtok_dtype_name(p.w[MTOK_W_EMBED]), *v / 1e9, (pa.total + pa.mtp) / 1e9);
    if (m->download_bytes > 0)
        detail(e, " The catalog records a %.4g GB download.", m->download_bytes / 1e9);
    return true;
}

/* Weights + one sequence's KV at ctx + workspace against the usable memory of one device. */
static double need_bytes(struct eval *e, const struct mtok_model *m, const struct mtok_prec *p,
                         double *weights, double *kv)
{
    *weights = mtok_sim_weight_bytes(m, p, false);
    *kv = mtok_sim_kv_bytes(m, e->d, p, e->cl->ctx > 0 ? e->cl->ctx : 4096, false);
    return *weights + *kv + e->d->workspace_bytes;
}

static bool m_fits(struct eval *e, double *v)
{
    const struct mtok_model *m = e->cl->models[0];
    const struct mtok_hw *hw = e->cl->hw[0];
    struct mtok_prec p;
    if (!prec(e, m, &p))
        return false;
    double w, kv, need = need_bytes(e, m, &p, &w, &kv);
    double usable = hw->mem_bytes * mtok_sim_usable_fraction(e->d, hw);
    *v = need <= usable;
    struct mtok_params pa;
    mtok_sim_params(m, &pa);
    double spare = usable - kv - e->d->workspace_bytes;
    double bits = spare > 0 ? spare * 8 / pa.total : 0;
    detail(e,
           "%s at %s weights needs %.4g GB of weights + %.3g GB KV for one %.0f-token sequence "
           "+ %.3g GB workspace = %.4g GB; one %s offers %.4g GB usable (%.0f%% of %.4g GB). "
           "The weights would fit at up to %.2f bits per parameter on average.",
           m->id, p.label, w / 1e9, kv / 1e9, e->cl->ctx > 0 ? e->cl->ctx : 4096,
           e->d->workspace_bytes / 1e9, need / 1e9, hw->id, usable / 1e9,
           100 * mtok_sim_usable_fraction(e->d, hw), hw->mem_bytes / 1e9, bits);
    return true;
}

static bool m_min_gpus(struct eval *e, double *v)
{
    const struct mtok_model *m = e->cl->models[0];
    const struct mtok_hw *hw = e->cl->hw[0];
    struct mtok_prec p;
    if (!prec(e, m, &p))
        return false;
    double w, kv;
    need_bytes(e, m, &p, &w, &kv);
    double usable = hw->mem_bytes * mtok_sim_usable_fraction(e->d, hw) - e->d->workspace_bytes;
    double n = 1;
    while (n < 1e6 && (w + kv) / n > usable)
        n++;
    *v = n;
    int domain = hw->scale_up_domain > 1 ? hw->scale_up_domain : 1;
    detail(e,
           "%s at %s weights: %.4g GB of weights + %.3g GB KV spread evenly need %.0f %s "
           "(%.4g GB usable each after %.3g GB workspace); its scale-up domain holds %d, so "
           "this is %s.",
           m->id, p.label, w / 1e9, kv / 1e9, n, hw->id, usable / 1e9, e->d->workspace_bytes / 1e9,
           domain,
           n <= 1        ? "a single device"
           : n <= domain ? "one multi-GPU node/domain"
                         : "several nodes");
    return true;
}

/* ---- prices ---- */

static double token_price(const struct mtok_api_price *p, const char *token, const double mix[3])
{
    if (strcmp(token, "input") == 0)
        return p->per_m_input;
    if (strcmp(token, "cached_input") == 0)
        return p->per_m_cached_input;
    if (strcmp(token, "output") == 0)
        return p->per_m_output;
    /* blend: a cached price missing is billed as input */
    double c = isnan(p->per_m_cached_input) ? p->per_m_input : p->per_m_cached_input;
    double w = mix[0] + mix[1] + mix[2];
    double v = (mix[0] > 0 ? mix[0] * p->per_m_input : 0) + (mix[1] > 0 ? mix[1] * c : 0) +
               (mix[2] > 0 ? mix[2] * p->per_m_output : 0);
    return w > 0 ? v / w : NAN;
}

static const char *what_price(char *buf, size_t n, const struct psel *s)
{
    if (strcmp(s->token, "blend") == 0)
        snprintf(buf, n, "blended price (%g input : %g cached : %g output tokens)", s->mix[0],
                 s->mix[1], s->mix[2]);
    else
        snprintf(buf, n, "%s price", s->token);
    return buf;
}

/* The entry an article recorded for a product (id ending "/<article id>"), if any. */
static const struct mtok_api_price *own_entry(const struct eval *e, const char *product)
{
    const struct mtok_api_price *h[32];
    size_t n = mtok_pricing_api_history(e->set->cat, product, NULL, h, 32);
    const char *art = e->set->a[e->cl->article].id;
    size_t al = strlen(art);
    for (size_t i = 0; i < n && i < 32; i++) {
        size_t il = strlen(h[i]->id);
        if (il > al + 1 && h[i]->id[il - al - 1] == '/' && strcmp(h[i]->id + il - al, art) == 0)
            return h[i];
    }
    return NULL;
}

/* The price a selector names, from the book without the articles' own entries. */
static bool price_of(struct eval *e, const struct psel *s, const struct mtok_api_price **entry,
                     double *v)
{
    struct mtok_price_query q = {
        .product = s->product, .date = s->date, .provider = s->provider, .skip_claims = true};
    struct mtok_price_in_force f;
    struct mtok_error err = {0};
    if (mtok_pricing_api_in_force(e->set->cat, &q, &f, &err) != MTOK_OK) {
        detail(e,
               "The price book has no price for %s in force on %s (entries recorded only "
               "from articles are left out). ",
               s->product, s->date);
        return false;
    }
    bool list = !s->basis || strcmp(s->basis, "list") == 0;
    *entry = list && f.list ? f.list : f.effective;
    *v = token_price(*entry, s->token, s->mix);
    const struct mtok_api_price *p = *entry;
    char c[32];
    snprintf(c, sizeof c, isnan(p->per_m_cached_input) ? "-" : "$%.4g", p->per_m_cached_input);
    detail(e,
           "%s on %s (%s price): book entry %s (%s, from %s%s%s), $%.4g input / %s cached / "
           "$%.4g output per M, source: %s%s. ",
           s->product, s->date, list ? "list" : "effective", p->id, p->kind, p->from,
           p->until ? " until " : "", p->until ? p->until : "", p->per_m_input, c, p->per_m_output,
           p->src.source, p->src.uncertain ? " [uncertain]" : "");
    if (!list && f.list && f.effective != f.list)
        detail(e, "(List price %s: $%.4g / $%.4g; discount %.0f%% on input.) ", f.list->id,
               f.list->per_m_input, f.list->per_m_output, 100 * f.discount_input);
    if (isnan(*v)) {
        detail(e, "That entry publishes no %s price. ", s->token);
        return false;
    }
    return true;
}

static bool m_api_price(struct eval *e, double *v)
{
    const struct psel *s = &e->cl->sel[0];
    const struct mtok_api_price *p;
    if (!price_of(e, s, &p, v))
        return false;
    set_other(e, "price book %s (%s)", p->id, p->src.source);
    /* every other figure recorded for the product, so conflicts show */
    const struct mtok_api_price *h[32];
    size_t n = mtok_pricing_api_history(e->set->cat, s->product, NULL, h, 32);
    for (size_t i = 0; i < n && i < 32; i++)
        if (mtok_price_is_claim(h[i])) {
            char in[32], out[32];
            mtok_claims_format(in, sizeof in, "usd_per_m", false, h[i]->per_m_input);
            mtok_claims_format(out, sizeof out, "usd_per_m", false, h[i]->per_m_output);
            detail(e, "Recorded from an article: %s %s input / %s output (%s). ", h[i]->id, in, out,
                   h[i]->src.source);
        }
    return true;
}

/* Input-only and output-only ratios bound the ratio of any blend of the two. */
static void ratio_bounds(struct eval *e, const struct mtok_api_price *a,
                         const struct mtok_api_price *b)
{
    double ri = a->per_m_input / b->per_m_input, ro = a->per_m_output / b->per_m_output;
    if (isfinite(ri) && isfinite(ro))
        detail(e,
               "Input-only ratio %.4g, output-only ratio %.4g; every mix of input and output "
               "tokens lies between. ",
               ri, ro);
}

static bool m_price_ratio(struct eval *e, double *v)
{
    const struct psel *s0 = &e->cl->sel[0], *s1 = &e->cl->sel[1];
    const struct mtok_api_price *a, *b;
    double pa, pb;
    if (!price_of(e, s0, &a, &pa) || !price_of(e, s1, &b, &pb))
        return false;
    *v = pa / pb;
    char w0[96], w1[96];
    detail(e, "Ratio of %s of %s ($%.4g/M) to %s of %s ($%.4g/M) = %.4g. ",
           what_price(w0, sizeof w0, s0), s0->product, pa, what_price(w1, sizeof w1, s1),
           s1->product, pb, *v);
    if (strcmp(s0->token, "cached_input") != 0 && strcmp(s1->token, "cached_input") != 0 &&
        strcmp(s0->product, s1->product) != 0)
        ratio_bounds(e, a, b);
    /* the article's own figures, where it recorded some that differ */
    const struct mtok_api_price *oa = own_entry(e, s0->product), *ob = own_entry(e, s1->product);
    double qa = oa ? token_price(oa, s0->token, s0->mix) : pa;
    double qb = ob ? token_price(ob, s1->token, s1->mix) : pb;
    if ((oa && qa != pa) || (ob && qb != pb)) {
        if (isfinite(qa / qb))
            detail(e,
                   "With the article's own figure%s (%s%s%s) the ratio is %.4g: the "
                   "arithmetic follows from its premise, and the premise conflicts with the "
                   "price book. ",
                   oa && ob ? "s" : "", oa ? oa->id : "", oa && ob ? ", " : "", ob ? ob->id : "",
                   qa / qb);
        else
            detail(e, "The article's own entry (%s) gives no %s price. ", oa ? oa->id : ob->id,
                   oa ? s0->token : s1->token);
        if (oa && qa != pa)
            set_other(e, "price book %s (%s)", a->id, a->src.source);
        if (ob && qb != pb)
            set_other(e, "price book %s (%s)", b->id, b->src.source);
    }
    return true;
}

static bool m_discount(struct eval *e, double *v)
{
    const struct psel *s = &e->cl->sel[0];
    struct mtok_price_query q = {
        .product = s->product, .date = s->date, .provider = s->provider, .skip_claims = true};
    struct mtok_price_in_force f;
    struct mtok_error err = {0};
    if (mtok_pricing_api_in_force(e->set->cat, &q, &f, &err) != MTOK_OK || !f.list) {
        detail(e, "No list price for %s in force on %s. ", s->product, s->date);
        return false;
    }
    double l = token_price(f.list, s->token, s->mix),
           x = token_price(f.effective, s->token, s->mix);
    *v = 1 - x / l;
    detail(e,
           "%s on %s: list %s $%.4g, effective %s $%.4g (%s): discount 1 - %.4g / %.4g = "
           "%.4g. ",
           s->product, s->date, f.list->id, l, f.effective->id, x, f.effective->kind, x, l, *v);
    set_other(e, "price book %s (%s)", f.effective->id, f.effective->src.source);
    return isfinite(*v);
}

static struct mtok_workload_spec claim_workload(const struct claim *cl)
{
    struct mtok_workload_spec w;
    mtok_workload_spec_init(&w);
    w.requests_per_day = cl->rpd;
    w.input_tokens = cl->in_tok;
    w.output_tokens = cl->out_tok;
    w.cache_hit_share = cl->hit;
    if (cl->days > 0)
        w.days_per_month = cl->days;
    return w;
}

static bool m_workload_cost(struct eval *e, double *v)
{
    const struct claim *cl = e->cl;
    const struct psel *s = &cl->sel[0];
    const struct mtok_api_price *p;
    double dummy;
    struct psel full = *s;
    char tok[] = "input"; /* any: price_of reports the entry, the month uses all three */
    full.token = tok;
    if (!price_of(e, &full, &p, &dummy))
        return false;
    struct mtok_workload_spec w = claim_workload(cl);
    bool cached_in = false;
    *v = mtok_workload_api_month(&w, p, &cached_in);
    double req = w.requests_per_day * w.days_per_month;
    detail(e,
           "%.6g requests/day x %.4g days = %.6g requests/month, each %.6g input (%.0f%% "
           "cache hits) + %.6g output tokens at %s: %.6g x (%.6g x $%.4g + %.6g x $%.4g) / 1e6 "
           "= $%.5g/month. ",
           w.requests_per_day, w.days_per_month, req, w.input_tokens, 100 * w.cache_hit_share,
           w.output_tokens, p->id, req, w.input_tokens, p->per_m_input, w.output_tokens,
           p->per_m_output, *v);
    if (cached_in)
        detail(e, "(No cached price published: hits billed as misses.) ");
    /* the token counts that would make the stated figure hold */
    double st = cl->stated;
    if (st > 0 && isfinite(p->per_m_input) && p->per_m_input > 0) {
        double per_req = st / req * 1e6; /* $/M-token units per request */
        detail(e,
               "The stated $%.5g/month is $%.4g per request: %.4g input tokens a request with "
               "no output",
               st, st / req, per_req / p->per_m_input);
        double rest = per_req - w.output_tokens * p->per_m_output;
        if (w.output_tokens > 0 && rest > 0)
            detail(e, ", or %.4g input tokens with the %.6g output tokens assumed",
                   rest / p->per_m_input, w.output_tokens);
        detail(e, ". ");
    }
    const struct mtok_api_price *own = own_entry(e, s->product);
    if (own && (own->per_m_input != p->per_m_input || own->per_m_output != p->per_m_output)) {
        double m2 = mtok_workload_api_month(&w, own, NULL);
        if (isfinite(m2))
            detail(e, "At the article's own price (%s) the month would cost $%.5g. ", own->id, m2);
        else
            detail(e,
                   "At the article's own input price (%s, $%.4g; it gives no output price) "
                   "the input alone would cost $%.5g/month. ",
                   own->id, own->per_m_input, req * w.input_tokens * own->per_m_input / 1e6);
        set_other(e, "price book %s (%s)", p->id, p->src.source);
    }
    return isfinite(*v);
}

/* ---- hardware ---- */

static void deploy_of(const struct claim *cl, struct mtok_deploy *dep)
{
    *dep = mtok_deploy_default();
    dep->tp = cl->tp > 0 ? cl->tp : 1;
    dep->ep = cl->ep > 0 ? cl->ep : 1;
    dep->dp = cl->dp > 0 ? cl->dp : 1;
    dep->mtp = cl->mtp;
    if (cl->isl > 0)
        dep->isl = cl->isl;
    if (cl->osl > 0)
        dep->osl = cl->osl;
}

struct hw_point {
    struct mtok_serve_point at;  /* at the tps_user target (or max throughput without one) */
    struct mtok_serve_point max; /* the highest tok/s/GPU on the Pareto front */
    struct mtok_serve_point one; /* batch 1 */
    struct mtok_serve_point front[64];
    size_t n_front;
    int gpus;
};

static bool serve_on(struct eval *e, const struct mtok_hw *hw, struct hw_point *hp)
{
    const struct claim *cl = e->cl;
    const struct mtok_model *m = cl->models[0];
    struct mtok_prec p;
    if (!prec(e, m, &p))
        return false;
    struct mtok_deploy dep;
    deploy_of(cl, &dep);
    struct mtok_error err = {0};
    struct mtok_plan *plan = NULL;
    if (mtok_plan_create(&plan, m, hw, e->d, NULL, &p, &dep, &err) != MTOK_OK) {
        detail(e, "%s on %s cannot be deployed: %s. ", m->id, hw->id, err.msg);
        return false;
    }
    hp->gpus = mtok_deploy_gpus(&dep);
    hp->n_front = mtok_serve_pareto(plan, hp->front, 64);
    mtok_serve_point(plan, 1, &hp->one);
    bool ok = hp->n_front > 0;
    if (!ok)
        detail(e, "%s does not fit on %d x %s. ", m->id, hp->gpus, hw->id);
    if (ok) {
        hp->max = hp->front[0];
        for (size_t i = 1; i < hp->n_front; i++)
            if (hp->front[i].tok_s_per_gpu > hp->max.tok_s_per_gpu)
                hp->max = hp->front[i];
        hp->at = hp->max;
        if (cl->tps_user > 0 && mtok_serve_for_tps_user(plan, cl->tps_user, &hp->at) != MTOK_OK) {
            detail(e, "%d x %s cannot reach %.4g tok/s/user with %s (batch 1 gives %.4g). ",
                   hp->gpus, hw->id, cl->tps_user, m->id, hp->one.tok_s_per_user);
            ok = false;
        }
    }
    mtok_plan_destroy(plan);
    return ok;
}

static void describe_deploy(struct eval *e)
{
    const struct claim *cl = e->cl;
    struct mtok_deploy dep;
    deploy_of(cl, &dep);
    detail(e,
           "%s on %d devices each (tp %d, dp %d, ep %d), %s weights, %.0f in / %.0f out tokens "
           "per request, %s: ",
           cl->models[0]->id, mtok_deploy_gpus(&dep), dep.tp, dep.dp, dep.ep,
           cl->wprec ? cl->wprec : "native", dep.isl, dep.osl,
           cl->tps_user > 0 ? "best point at the tok/s/user target" : "highest-throughput point");
}

static void describe_point(struct eval *e, const struct mtok_hw *hw, const struct hw_point *hp)
{
    detail(e, "%s batch %.0f, %.4g tok/s/user, %.4g tok/s/GPU (max %.4g at %.3g tok/s/user); ",
           hw->id, hp->at.batch, hp->at.tok_s_per_user, hp->at.tok_s_per_gpu, hp->max.tok_s_per_gpu,
           hp->max.tok_s_per_user);
}

static void peaks(struct eval *e, const struct mtok_hw *a, const struct mtok_hw *b)
{
    double fa = a->peak[MTOK_PEAK_FP8], fb = b->peak[MTOK_PEAK_FP8];
    detail(e,
           "Datasheet ratios %s/%s: FP8 peak %.4g (%.4g vs %.4g PFLOP/s), memory bandwidth "
           "%.4g (%.4g vs %.4g TB/s), memory %.4g vs %.4g GB. ",
           a->id, b->id, fa / fb, fa / 1e15, fb / 1e15, a->mem_bw / b->mem_bw, a->mem_bw / 1e12,
           b->mem_bw / 1e12, a->mem_bytes / 1e9, b->mem_bytes / 1e9);
}

static bool m_throughput_ratio(struct eval *e, double *v)
{
    const struct mtok_hw *a = e->cl->hw[0], *b = e->cl->hw[1];
    struct hw_point pa, pb;
    describe_deploy(e);
    if (!serve_on(e, a, &pa) || !serve_on(e, b, &pb)) {
        peaks(e, a, b);
        return false;
    }
    describe_point(e, a, &pa);
    describe_point(e, b, &pb);
    *v = pa.at.tok_s_per_gpu / pb.at.tok_s_per_gpu;
    detail(e, "ratio %.4g (at maximum throughput, no latency target: %.4g). ", *v,
           pa.max.tok_s_per_gpu / pb.max.tok_s_per_gpu);
    peaks(e, a, b);
    return true;
}

/* $/device-hour for a claim's cost basis: "tco" (default), a tier name, or a given price. */
static bool claim_hour(struct eval *e, const struct mtok_hw *hw, struct mtok_device_hour *h)
{
    struct mtok_error err = {0};
    const char *basis = e->cl->tier ? e->cl->tier : "tco";
    if (e->cl->usd_per_hour > 0)
        return mtok_pricing_hour_given(e->cl->usd_per_hour, h, &err) == MTOK_OK;
    if (strcmp(basis, "tco") == 0) {
        struct mtok_tco in;
        if (mtok_tco_for_hw(&e->set->tco, hw, &in, &err) != MTOK_OK ||
            mtok_pricing_hour_tco(&in, hw, NULL, h, &err) != MTOK_OK) {
            detail(e, "No TCO for %s: %s. ", hw->id, err.msg);
            return false;
        }
        detail(e,
               "%s TCO $%.4g/hour (purchase $%.6g x %.3g server x %.3g network, %.3g-year "
               "annuity at %.0f%% = $%.4g/h capital, $%.4g/h power at %.3g kW all-in, $%.4g/h "
               "hosting); ",
               hw->id, h->usd_per_hour, in.purchase_usd, in.server_capex_ratio,
               in.network_capex_ratio, in.years, 100 * in.cost_of_capital, h->capex_usd_h,
               h->power_usd_h, in.all_in_kw, h->hosting_usd_h);
        return true;
    }
    enum mtok_tier t;
    if (mtok_tier_parse(basis, &t) != MTOK_OK ||
        mtok_pricing_hour_tier(hw, t, h, &err) != MTOK_OK) {
        detail(e, "No %s price for %s. ", basis, hw->id);
        return false;
    }
    detail(e, "%s %s tier $%.4g/hour; ", hw->id, basis, h->usd_per_hour);
    return true;
}

static bool m_cost_ratio(struct eval *e, double *v)
{
    const struct mtok_hw *a = e->cl->hw[0], *b = e->cl->hw[1];
    struct hw_point pa, pb;
    describe_deploy(e);
    if (!serve_on(e, a, &pa) || !serve_on(e, b, &pb))
        return false;
    describe_point(e, a, &pa);
    describe_point(e, b, &pb);
    struct mtok_device_hour ha, hb;
    if (!claim_hour(e, a, &ha) || !claim_hour(e, b, &hb))
        return false;
    double ca = mtok_usd_per_m(ha.usd_per_hour, pa.at.tok_s_per_gpu);
    double cb = mtok_usd_per_m(hb.usd_per_hour, pb.at.tok_s_per_gpu);
    *v = ca / cb;
    detail(e,
           "$/M tokens = $/hour / (tok/s/GPU x 3600 / 1e6): %s $%.4g/M, %s $%.4g/M; ratio "
           "%.4g = hourly-cost ratio %.4g / throughput ratio %.4g. ",
           a->id, ca, b->id, cb, *v, ha.usd_per_hour / hb.usd_per_hour,
           pa.at.tok_s_per_gpu / pb.at.tok_s_per_gpu);
    return isfinite(*v);
}

static bool m_throughput(struct eval *e, double *v)
{
    const struct claim *cl = e->cl;
    const struct mtok_hw *hw = cl->hw[0];
    struct hw_point hp;
    describe_deploy(e);
    if (!serve_on(e, hw, &hp))
        return false;
    const char *q = cl->quantity;
    double G = hp.gpus;
    if (strcmp(q, "tok_s_per_user") == 0)
        *v = cl->tps_user > 0 ? hp.at.tok_s_per_user : hp.one.tok_s_per_user;
    else if (strcmp(q, "tok_s_per_gpu") == 0)
        *v = hp.at.tok_s_per_gpu;
    else if (strcmp(q, "output_tok_s_per_gpu") == 0)
        *v = hp.at.output_tok_s_per_gpu;
    else /* output_tok_s_system */
        *v = hp.at.output_tok_s_per_gpu * G;
    detail(e,
           "on %d x %s: one user alone (batch 1) gets %.4g tok/s; the highest-throughput "
           "point gives %.4g tok/s/GPU (%.4g output tok/s/GPU, %.4g output tok/s for the "
           "system) at %.3g tok/s/user, batch %.0f. %s = %.4g. ",
           hp.gpus, hw->id, hp.one.tok_s_per_user, hp.max.tok_s_per_gpu,
           hp.max.output_tok_s_per_gpu, hp.max.output_tok_s_per_gpu * G, hp.max.tok_s_per_user,
           hp.max.batch, q, *v);
    /* where on the front the stated figure sits (per-GPU output quantities) */
    if (strstr(q, "output") && cl->stated > 0) {
        double want = strcmp(q, "output_tok_s_system") == 0 ? cl->stated / G : cl->stated;
        for (size_t i = 0; i < hp.n_front; i++)
            if (hp.front[i].output_tok_s_per_gpu <= want) {
                detail(e,
                       "The stated figure is reached on the Pareto front at about %.3g "
                       "tok/s/user (batch %.0f). ",
                       hp.front[i].tok_s_per_user, hp.front[i].batch);
                break;
            }
    }
    return true;
}

static bool m_power_ratio(struct eval *e, double *v)
{
    const struct mtok_hw *a = e->cl->hw[0], *b = e->cl->hw[1];
    if (!(a->tdp_w > 0) || !(b->tdp_w > 0)) {
        detail(e, "No TDP recorded for %s. ", a->tdp_w > 0 ? b->id : a->id);
        return false;
    }
    *v = a->tdp_w / b->tdp_w;
    detail(e, "TDP %s %.0f W / %s %.0f W = %.4g (%s: %s%s). ", a->id, a->tdp_w, b->id, b->tdp_w, *v,
           a->id, a->src_power.source, a->src_power.uncertain ? " [uncertain]" : "");
    if (a->all_in_kw > 0 && b->all_in_kw > 0)
        detail(e, "All-in kW ratio %.4g. ", a->all_in_kw / b->all_in_kw);
    set_other(e, "hardware files %s and %s (power)", a->id, b->id);
    return true;
}

static bool m_purchase_price(struct eval *e, double *v)
{
    const struct mtok_hw *hw = e->cl->hw[0];
    if (!(hw->purchase_usd > 0)) {
        detail(e, "%s has no purchase price in its hardware file. ", hw->id);
        return false;
    }
    double n = e->cl->devices > 0 ? e->cl->devices : 1;
    *v = hw->purchase_usd * n;
    detail(e, "%.6g x %s at $%.6g each = $%.6g (hardware file price source: %s%s). ", n, hw->id,
           hw->purchase_usd, *v, hw->src_price.source,
           hw->src_price.uncertain ? " [uncertain]" : "");
    if (n > 1 && e->cl->stated > 0)
        detail(e, "The stated total implies $%.6g per device. ", e->cl->stated / n);
    set_other(e, "hardware file %s (%s)", hw->id, hw->src_price.source);
    return true;
}

static bool m_config_field(struct eval *e, double *v)
{
    const struct mtok_model *m = e->cl->models[0];
    const char *f = e->cl->field;
    if (strcmp(f, "max_context") == 0) {
        *v = m->max_pos;
        detail(e, "%s config: max_position_embeddings = %d. ", m->id, m->max_pos);
    } else if (strcmp(f, "max_compress_ratio") == 0) {
        int mx = 0;
        for (int i = 0; i < m->n_layers; i++)
            if (m->layers[i].compress_ratio > mx)
                mx = m->layers[i].compress_ratio;
        *v = mx;
        detail(e, "%s config: largest compress_ratios entry = %d. ", m->id, mx);
    } else if (strcmp(f, "routed_experts") == 0) {
        *v = m->n_experts;
        detail(e, "%s config: %d routed experts. ", m->id, m->n_experts);
    } else {
        *v = m->topk;
        detail(e, "%s config: %d experts per token. ", m->id, m->topk);
    }
    return true;
}

/* Days from the civil date (y, m, d) to 1970-01-01 (Howard Hinnant's algorithm). */
static long days_from_civil(long y, long m, long d)
{
    y -= m <= 2;
    long era = (y >= 0 ? y : y - 399) / 400;
    long yoe = y - era * 400;
    long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static bool day_number(const char *s, long *out)
{
    int y, m, d = 1;
    if (!s || (sscanf(s, "%4d-%2d-%2d", &y, &m, &d) < 2))
        return false;
    *out = days_from_civil(y, m, d);
    return true;
}

static bool m_days_between(struct eval *e, double *v)
{
    long a, b;
    if (!day_number(e->cl->from, &a) || !day_number(e->cl->until, &b))
        return false;
    *v = (double)(b - a);
    detail(e,
           "From %s to %s: %.0f days (arithmetic on the article's own dates; the dates "
           "themselves are not in FACTS). ",
           e->cl->from, e->cl->until, *v);
    return true;
}

static bool m_release_offset(struct eval *e, double *v)
{
    const struct mtok_model *m = e->cl->models[0];
    long a, b;
    if (!m->released || !day_number(m->released, &b)) {
        detail(e, "The catalog has no release date for %s. ", m->id);
        return false;
    }
    if (!day_number(e->cl->date, &a))
        return false;
    *v = (double)(a - b);
    detail(e, "The article's date %s vs the catalog's release date of %s, %s: %+.0f days. ",
           e->cl->date, m->id, m->released, *v);
    set_other(e, "catalog release date of %s (%s)", m->id, m->official_src.source);
    return true;
}

static bool m_training_cost(struct eval *e, double *v)
{
    const struct claim *cl = e->cl;
    const struct mtok_model *m = cl->models[0];
    const struct mtok_hw *hw = cl->hw[0];
    const struct mtok_train_runs *runs = &e->set->runs;
    const struct mtok_train_run *run =
        cl->run ? mtok_train_run_find(runs, cl->run) : mtok_train_run_find(runs, m->id);
    double tokens = cl->tokens > 0 ? cl->tokens : run ? run->tokens : 0;
    double seq = cl->seq_len > 0 ? cl->seq_len : run ? run->seq_len : 4096;
    if (!(tokens > 0)) {
        detail(e, "No token count for %s (give tokens or a run). ", m->id);
        return false;
    }
    struct mtok_error err = {0};
    struct mtok_train_calibration cal;
    const struct mtok_train_run *cr = mtok_train_run_calibration(runs);
    if (!cr || mtok_train_calibrate(e->set->cat, e->d, cr, MTOK_BF16, &cal, &err) != MTOK_OK) {
        detail(e, "No calibration: %s. ", err.msg);
        return false;
    }
    struct mtok_train_flops f;
    if (mtok_train_flops(m, hw, e->d, tokens, seq, true, &f, &err) != MTOK_OK) {
        detail(e, "%s. ", err.msg);
        return false;
    }
    double mfu = cl->mfu > 0 ? cl->mfu : cal.mfu;
    struct mtok_device_hour h;
    if (!claim_hour(e, hw, &h))
        return false;
    struct mtok_train_estimate est;
    if (mtok_train_estimate(&f, hw, MTOK_BF16, mfu, &h, &est, &err) != MTOK_OK) {
        detail(e, "%s. ", err.msg);
        return false;
    }
    *v = est.usd;
    detail(e,
           "Training %s on %.4g T tokens (sequence %.0f%s): 6 x %.4g B active x T = %.4g + "
           "attention %.4g + MTP %.4g = %.4g FLOPs; on %s at MFU %.2f%% of the bf16 peak "
           "(%s) = %.4g M device-hours x $%.4g = $%.5g M. ",
           m->id, tokens / 1e12, seq, run ? ", tokens from data/training/runs.json" : "",
           f.n_active / 1e9, f.dense, f.attention, f.mtp, f.total, hw->id, 100 * mfu,
           cl->mfu > 0 ? "given" : cal.provenance, est.device_hours / 1e6, h.usd_per_hour,
           est.usd / 1e6);
    if (run && run->gpu_hours > 0)
        detail(e, "Published: %.4g M GPU-hours. ", run->gpu_hours / 1e6);
    return true;
}

static bool m_unverifiable(struct eval *e, double *v)
{
    (void)v;
    e->r->reason = e->cl->reason;
    detail(e, "Not checkable: %s ", e->cl->reason);
    return false;
}

typedef bool (*metric_fn)(struct eval *e, double *v);

enum {
    NEED_PRICE1 = 1 << 0,
    NEED_PRICE2 = 1 << 1,
    NEED_WORKLOAD = 1 << 2,
    NEED_REASON = 1 << 3,
    NEED_FIELD = 1 << 4,
    NEED_DATES = 1 << 5,
    NEED_DATE = 1 << 6,
    NEED_QUANTITY = 1 << 7,
};

/* The metrics. nmodels: how many models the check names; nhw: hardware ids; needs: other inputs;
 * is_bool: stated/computed are true/false. */
static const struct metric {
    const char *name;
    metric_fn fn;
    int nmodels, nhw;
    unsigned needs;
    bool is_bool;
    const char *unit;
} metrics[] = {
    {"kv_ratio", m_kv_ratio, 2, 0, 0, false, "ratio"},
    {"flops_ratio", m_flops_ratio, 2, 0, 0, false, "ratio"},
    {"params_total", m_params_total, 1, 0, 0, false, "parameters"},
    {"params_active", m_params_active, 1, 0, 0, false, "parameters"},
    {"active_fraction", m_active_fraction, 1, 0, 0, false, "ratio"},
    {"params_ratio", m_params_ratio_total, 2, 0, 0, false, "ratio"},
    {"active_ratio", m_params_ratio_active, 2, 0, 0, false, "ratio"},
    {"weight_bytes", m_weight_bytes, 1, 0, 0, false, "bytes"},
    {"fits", m_fits, 1, 1, 0, true, "bool"},
    {"min_gpus", m_min_gpus, 1, 1, 0, false, "devices"},
    {"api_price", m_api_price, 0, 0, NEED_PRICE1, false, "usd_per_m"},
    {"price_ratio", m_price_ratio, 0, 0, NEED_PRICE1 | NEED_PRICE2, false, "ratio"},
    {"discount", m_discount, 0, 0, NEED_PRICE1, false, "share"},
    {"workload_cost", m_workload_cost, 0, 0, NEED_PRICE1 | NEED_WORKLOAD, false, "usd_per_month"},
    {"throughput_ratio", m_throughput_ratio, 1, 2, 0, false, "ratio"},
    {"cost_ratio", m_cost_ratio, 1, 2, 0, false, "ratio"},
    {"throughput", m_throughput, 1, 1, NEED_QUANTITY, false, "tok_s"},
    {"power_ratio", m_power_ratio, 0, 2, 0, false, "ratio"},
    {"purchase_price", m_purchase_price, 0, 1, 0, false, "usd"},
    {"config_field", m_config_field, 1, 0, NEED_FIELD, false, "tokens"},
    {"days_between", m_days_between, 0, 0, NEED_DATES, false, "days"},
    {"release_offset", m_release_offset, 1, 0, NEED_DATE, false, "days"},
    {"training_cost", m_training_cost, 1, 1, 0, false, "usd"},
    {"unverifiable", m_unverifiable, 0, 0, NEED_REASON, false, NULL},
};
#define N_METRICS (sizeof metrics / sizeof *metrics)

const char *const *mtok_claims_metrics(void)
{
    static const char *names[N_METRICS + 1];
    for (size_t i = 0; i < N_METRICS; i++)
        names[i] = metrics[i].name;
    return names;
}

static const struct metric *find_metric(const char *name)
{
    for (size_t i = 0; i < N_METRICS; i++)
        if (strcmp(metrics[i].name, name) == 0)
            return &metrics[i];
    return NULL;
}

static const char *unit_of(const struct claim *cl, const struct metric *mt)
{
    if (mt->unit)
        return strcmp(mt->name, "config_field") == 0 && strcmp(cl->field, "max_context") != 0
                   ? "count"
                   : mt->unit;
    return cl->unit ? cl->unit : "-";
}

static bool holds(const struct claim *cl, double v, double tol)
{
    if (cl->is_bool)
        return (v != 0) == cl->stated_bool;
    if (cl->is_range)
        return v >= cl->stated - tol && v <= cl->stated_max + tol;
    if (strcmp(cl->compare, "ge") == 0)
        return v >= cl->stated - tol;
    if (strcmp(cl->compare, "le") == 0)
        return v <= cl->stated + tol;
    return fabs(v - cl->stated) <= tol;
}

/* The verdict from the claim's own check only (no contradictions). */
static void evaluate_base(const struct mtok_claims *set, const struct mtok_sim_defaults *d,
                          size_t i, struct mtok_claim_result *r, char *other, size_t n_other)
{
    memset(r, 0, sizeof *r);
    const struct claim *cl = &set->c[i];
    const struct article *a = &set->a[cl->article];
    const struct metric *mt = find_metric(cl->metric);
    MTOK_ASSERT(mt != NULL); /* the loader only keeps claims with a known metric */
    r->id = cl->id, r->claim = cl->text, r->article = a->id, r->article_title = a->title;
    r->article_date = a->date, r->article_source = a->source, r->article_file = a->file;
    r->metric = cl->metric, r->unit = unit_of(cl, mt), r->note = cl->note;
    r->compare = cl->is_range ? "range" : cl->compare, r->is_bool = cl->is_bool;
    r->stated = cl->stated, r->is_range = cl->is_range;
    r->stated_max = cl->is_range ? cl->stated_max : NAN;
    r->tolerance = cl->tolerance > 0 ? cl->tolerance : cl->rel_tolerance * fabs(cl->stated);
    r->off_by = NAN;
    struct eval e = {set, cl, d, r, ""};
    double v = NAN;
    if (!mt->fn(&e, &v) || !isfinite(v)) {
        r->verdict = MTOK_VERDICT_UNVERIFIABLE;
        r->computed = NAN;
        if (!r->reason)
            r->reason = "the inputs the check needs are missing (see detail)";
        if (cl->note)
            detail(&e, " Note: %s", cl->note);
        return;
    }
    r->computed = v;
    bool ok = holds(cl, v, r->tolerance);
    r->verdict = ok ? MTOK_VERDICT_CONSISTENT : MTOK_VERDICT_INCONSISTENT;
    if (!ok && !cl->is_bool) {
        double ref = cl->stated;
        if (cl->is_range && v > cl->stated_max)
            ref = cl->stated_max;
        if (ref != 0)
            r->off_by = v / ref - 1;
    }
    size_t dl = strlen(r->detail);
    while (dl && r->detail[dl - 1] == ' ')
        r->detail[--dl] = '\0';
    char s1[64], s2[64], s3[64], s4[64];
    mtok_claims_format(s1, sizeof s1, r->unit, cl->is_bool, v);
    mtok_claims_format(s2, sizeof s2, r->unit, cl->is_bool, cl->stated);
    mtok_claims_format(s3, sizeof s3, r->unit, false, r->tolerance);
    const char *how = cl->is_bool || cl->is_range      ? ""
                      : strcmp(cl->compare, "ge") == 0 ? " (at least)"
                      : strcmp(cl->compare, "le") == 0 ? " (at most)"
                                                       : "";
    if (cl->is_range)
        detail(&e, " Computed %s vs stated %s to %s", s1, s2,
               mtok_claims_format(s4, sizeof s4, r->unit, false, cl->stated_max));
    else
        detail(&e, " Computed %s vs stated %s%s", s1, s2, how);
    if (!cl->is_bool)
        detail(&e, ", tolerance %s", s3);
    detail(&e, ": %s.", ok ? "consistent" : "inconsistent");
    if (cl->note)
        detail(&e, " Note: %s", cl->note);
    if (other)
        mtok_strlcpy(other, e.other, n_other);
}

static void verdict_text(struct mtok_claim_result *r)
{
    switch (r->verdict) {
    case MTOK_VERDICT_CONSISTENT: snprintf(r->verdict_text, sizeof r->verdict_text, "holds"); break;
    case MTOK_VERDICT_UNVERIFIABLE:
        snprintf(r->verdict_text, sizeof r->verdict_text, "not checkable");
        break;
    case MTOK_VERDICT_INCONSISTENT:
    case MTOK_VERDICT_CONTRADICTED: {
        const char *head = r->verdict == MTOK_VERDICT_CONTRADICTED ? "contradicted" : "off";
        if (isfinite(r->off_by)) {
            double x = r->off_by;
            if (x >= 1)
                snprintf(r->verdict_text, sizeof r->verdict_text, "%s: %.3gx higher", head, x + 1);
            else if (x <= -0.5)
                snprintf(r->verdict_text, sizeof r->verdict_text, "%s: %.3gx lower", head,
                         1 / (1 + x));
            else
                snprintf(r->verdict_text, sizeof r->verdict_text, "%s by %+.0f%%", head, 100 * x);
        } else {
            snprintf(r->verdict_text, sizeof r->verdict_text, "%s", head);
        }
        break;
    }
    }
}

static void append(char *buf, size_t n, const char *fmt, ...) MTOK_PRINTF(3, 4);
static void append(char *buf, size_t n, const char *fmt, ...)
{
    size_t len = strlen(buf);
    if (len >= n - 1)
        return;
    if (len)
        len += (size_t)snprintf(buf + len, n - len, "; ");
    if (len >= n - 1)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf + len, n - len, fmt, ap);
    va_end(ap);
}

static int claim_index(const struct mtok_claims *set, const char *id)
{
    for (size_t i = 0; i < set->n; i++)
        if (strcmp(set->c[i].id, id) == 0)
            return (int)i;
    return -1;
}

void mtok_claims_evaluate(const struct mtok_claims *set, const struct mtok_sim_defaults *d,
                          size_t i, struct mtok_claim_result *r)
{
    char other[512] = "";
    evaluate_base(set, d, i, r, other, sizeof other);
    const struct claim *cl = &set->c[i];
    /* Conflicting claims of other articles: the ones mtok's computation supports contradict this
     * claim; the others are listed as conflicts. */
    char holding[768] = "", conflicting[768] = "";
    for (int k = 0; k < cl->n_contra; k++) {
        int j = claim_index(set, cl->contradicts[k]);
        if (j < 0)
            continue;
        struct mtok_claim_result *o = mtok_xcalloc(1, sizeof *o);
        evaluate_base(set, d, (size_t)j, o, NULL, 0);
        char sv[64];
        mtok_claims_format(sv, sizeof sv, o->unit, o->is_bool, o->stated);
        if (o->verdict == MTOK_VERDICT_CONSISTENT)
            append(holding, sizeof holding, "%s (%s, states %s, which holds)", o->id, o->article,
                   sv);
        else
            append(conflicting, sizeof conflicting, "%s (%s, states %s, %s)", o->id, o->article, sv,
                   mtok_verdict_name(o->verdict));
        free(o);
    }
    if (r->verdict == MTOK_VERDICT_INCONSISTENT && (holding[0] || other[0])) {
        r->verdict = MTOK_VERDICT_CONTRADICTED;
        if (holding[0])
            append(r->contradicted_by, sizeof r->contradicted_by, "%s", holding);
        if (other[0])
            append(r->contradicted_by, sizeof r->contradicted_by, "%s", other);
        size_t len = strlen(r->detail);
        snprintf(r->detail + len, sizeof r->detail - len, " Contradicted by: %s.",
                 r->contradicted_by);
    }
    if (conflicting[0] || (holding[0] && r->verdict != MTOK_VERDICT_CONTRADICTED)) {
        size_t len = strlen(r->detail);
        snprintf(r->detail + len, sizeof r->detail - len, " Conflicts with: %s%s%s.", holding,
                 holding[0] && conflicting[0] ? "; " : "", conflicting);
    }
    verdict_text(r);
}

/* ---- loading ---- */

static const struct mtok_model *resolve_model(struct ck *ck, struct mtok_claims *set,
                                              const struct mtok_catalog *cat, const cJSON *v,
                                              const char *path)
{
    if (cJSON_IsString(v)) {
        const struct mtok_model *m = mtok_catalog_model(cat, v->valuestring);
        if (!m)
            ck_fail(ck, "", path, "\"%s\" is not a catalog model id", v->valuestring);
        return m;
    }
    if (!cJSON_IsObject(v)) {
        ck_fail(ck, "", path, "is neither a model id nor an inline config object");
        return NULL;
    }
    /* an inline config: {"id": "...", "config": { HF config.json fields }} */
    char *id = NULL;
    bool ok = ck_id(ck, v, path, "id", &id);
    const cJSON *cfg = ck_object(ck, v, path, "config", CK_REQUIRED);
    if (!ok || !cfg) {
        free(id);
        return NULL;
    }
    char *text = cJSON_PrintUnformatted(cfg);
    struct mtok_buf name = {0};
    mtok_buf_printf(&name, "%s: %s.config", ck->file, path);
    struct mtok_model *m = NULL;
    size_t before = ck->d->n;
    if (mtok_model_parse(name.data, text, strlen(text), &m, ck->d) != MTOK_OK) {
        ck->errors += ck->d->n - before + (ck->d->n == before);
    } else {
        free(m->id), free(m->name);
        m->id = mtok_xstrdup(id);
        m->name = mtok_xstrdup(id);
        set->owned = mtok_xrealloc(set->owned, (set->n_owned + 1) * sizeof *set->owned);
        set->owned[set->n_owned++] = m;
    }
    cJSON_free(text);
    mtok_buf_free(&name);
    free(id);
    return m;
}

static void parse_psel(struct ck *ck, const struct mtok_catalog *cat, const cJSON *o,
                       const char *path, struct psel *s)
{
    static const char *const known[] = {"product", "provider", "date", "token",
                                        "basis",   "mix",      NULL};
    if (!cJSON_IsObject(o)) {
        ck_fail(ck, "", path, "is not an object");
        return;
    }
    ck_known_keys(ck, o, path, known);
    ck_string(ck, o, path, "product", CK_REQUIRED, 128, &s->product);
    ck_string(ck, o, path, "provider", CK_OPTIONAL, 128, &s->provider);
    ck_date(ck, o, path, "date", CK_REQUIRED, &s->date);
    ck_string(ck, o, path, "token", CK_REQUIRED, 16, &s->token);
    ck_string(ck, o, path, "basis", CK_OPTIONAL, 16, &s->basis);
    if (s->token && strcmp(s->token, "input") && strcmp(s->token, "cached_input") &&
        strcmp(s->token, "output") && strcmp(s->token, "blend"))
        ck_fail(ck, path, "token", "\"%s\" is not input, cached_input, output or blend", s->token);
    if (s->basis && strcmp(s->basis, "list") && strcmp(s->basis, "effective"))
        ck_fail(ck, path, "basis", "\"%s\" is not list or effective", s->basis);
    if (s->product && mtok_pricing_api_history(cat, s->product, s->provider, NULL, 0) == 0)
        ck_fail(ck, path, "product", "\"%s\" has no entry in the price book", s->product);
    const cJSON *mix = ck_object(
        ck, o, path, "mix", s->token && strcmp(s->token, "blend") == 0 ? CK_REQUIRED : CK_OPTIONAL);
    if (mix) {
        char mp[160];
        snprintf(mp, sizeof mp, "%s.mix", path);
        static const char *const km[] = {"input", "cached_input", "output", NULL};
        ck_known_keys(ck, mix, mp, km);
        ck_number(ck, mix, mp, "input", CK_OPTIONAL, 0, 1e12, &s->mix[0]);
        ck_number(ck, mix, mp, "cached_input", CK_OPTIONAL, 0, 1e12, &s->mix[1]);
        ck_number(ck, mix, mp, "output", CK_OPTIONAL, 0, 1e12, &s->mix[2]);
        if (!(s->mix[0] + s->mix[1] + s->mix[2] > 0))
            ck_fail(ck, path, "mix", "needs a positive weight");
    }
}

static void parse_inputs(struct ck *ck, const struct mtok_catalog *cat, const cJSON *chk,
                         const char *cpath, const struct metric *mt, struct claim *cl)
{
    /* prices */
    int want = (mt->needs & NEED_PRICE2) ? 2 : (mt->needs & NEED_PRICE1) ? 1 : 0;
    const cJSON *ps = ck_array(ck, chk, cpath, "prices", want ? CK_REQUIRED : CK_OPTIONAL);
    if (ps && cJSON_GetArraySize(ps) != want) {
        ck_fail(ck, cpath, "prices", "metric %s takes %d price%s, not %d", mt->name, want,
                want == 1 ? "" : "s", cJSON_GetArraySize(ps));
    } else if (ps) {
        const cJSON *v;
        int i = 0;
        cJSON_ArrayForEach(v, ps)
        {
            char pp[96];
            snprintf(pp, sizeof pp, "%s.prices[%d]", cpath, i);
            parse_psel(ck, cat, v, pp, &cl->sel[i++]);
        }
        cl->n_sel = i;
    }
    /* workload */
    const cJSON *w = ck_object(ck, chk, cpath, "workload",
                               (mt->needs & NEED_WORKLOAD) ? CK_REQUIRED : CK_OPTIONAL);
    if (w) {
        char wp[96];
        snprintf(wp, sizeof wp, "%s.workload", cpath);
        static const char *const kw[] = {"requests_per_day", "input_tokens",   "output_tokens",
                                         "cache_hit_share",  "days_per_month", NULL};
        ck_known_keys(ck, w, wp, kw);
        ck_number(ck, w, wp, "requests_per_day", CK_REQUIRED, 1e-6, 1e12, &cl->rpd);
        ck_number(ck, w, wp, "input_tokens", CK_REQUIRED, 0, 1e8, &cl->in_tok);
        ck_number(ck, w, wp, "output_tokens", CK_REQUIRED, 0, 1e8, &cl->out_tok);
        ck_number(ck, w, wp, "cache_hit_share", CK_OPTIONAL, 0, 0.999999, &cl->hit);
        ck_number(ck, w, wp, "days_per_month", CK_OPTIONAL, 1, 31, &cl->days);
        cl->has_workload = true;
    }
    /* deployment */
    const cJSON *dp = ck_object(ck, chk, cpath, "deploy", CK_OPTIONAL);
    if (dp) {
        char dpp[96];
        snprintf(dpp, sizeof dpp, "%s.deploy", cpath);
        static const char *const kd[] = {"tp", "ep", "dp", "mtp", "isl", "osl", NULL};
        ck_known_keys(ck, dp, dpp, kd);
        ck_int(ck, dp, dpp, "tp", CK_OPTIONAL, 1, 4096, &cl->tp);
        ck_int(ck, dp, dpp, "ep", CK_OPTIONAL, 1, 4096, &cl->ep);
        ck_int(ck, dp, dpp, "dp", CK_OPTIONAL, 1, 4096, &cl->dp);
        ck_int(ck, dp, dpp, "mtp", CK_OPTIONAL, 0, 16, &cl->mtp);
        ck_number(ck, dp, dpp, "isl", CK_OPTIONAL, 1, 1e8, &cl->isl);
        ck_number(ck, dp, dpp, "osl", CK_OPTIONAL, 1, 1e8, &cl->osl);
    }
    ck_number(ck, chk, cpath, "tps_user", CK_OPTIONAL, 0.001, 1e6, &cl->tps_user);
    ck_string(ck, chk, cpath, "quantity", (mt->needs & NEED_QUANTITY) ? CK_REQUIRED : CK_OPTIONAL,
              32, &cl->quantity);
    if (cl->quantity && strcmp(cl->quantity, "tok_s_per_user") &&
        strcmp(cl->quantity, "tok_s_per_gpu") && strcmp(cl->quantity, "output_tok_s_per_gpu") &&
        strcmp(cl->quantity, "output_tok_s_system"))
        ck_fail(ck, cpath, "quantity",
                "\"%s\" is not tok_s_per_user, tok_s_per_gpu, output_tok_s_per_gpu or "
                "output_tok_s_system",
                cl->quantity);
    const cJSON *cost = ck_object(ck, chk, cpath, "cost", CK_OPTIONAL);
    if (cost) {
        char cp[96];
        snprintf(cp, sizeof cp, "%s.cost", cpath);
        static const char *const kc[] = {"tier", "usd_per_gpu_hour", NULL};
        ck_known_keys(ck, cost, cp, kc);
        ck_string(ck, cost, cp, "tier", CK_OPTIONAL, 16, &cl->tier);
        ck_number(ck, cost, cp, "usd_per_gpu_hour", CK_OPTIONAL, 0.001, 1e5, &cl->usd_per_hour);
        enum mtok_tier t;
        if (cl->tier && strcmp(cl->tier, "tco") && mtok_tier_parse(cl->tier, &t) != MTOK_OK)
            ck_fail(ck, cp, "tier", "\"%s\" is not tco or a price tier", cl->tier);
    }
    ck_number(ck, chk, cpath, "devices", CK_OPTIONAL, 1, 1e12, &cl->devices);
    ck_string(ck, chk, cpath, "field", (mt->needs & NEED_FIELD) ? CK_REQUIRED : CK_OPTIONAL, 32,
              &cl->field);
    if (cl->field && strcmp(cl->field, "max_context") && strcmp(cl->field, "max_compress_ratio") &&
        strcmp(cl->field, "routed_experts") && strcmp(cl->field, "experts_per_token"))
        ck_fail(ck, cpath, "field",
                "\"%s\" is not max_context, max_compress_ratio, routed_experts or "
                "experts_per_token",
                cl->field);
    ck_date(ck, chk, cpath, "from", (mt->needs & NEED_DATES) ? CK_REQUIRED : CK_OPTIONAL,
            &cl->from);
    ck_date(ck, chk, cpath, "until", (mt->needs & NEED_DATES) ? CK_REQUIRED : CK_OPTIONAL,
            &cl->until);
    ck_date(ck, chk, cpath, "date", (mt->needs & NEED_DATE) ? CK_REQUIRED : CK_OPTIONAL, &cl->date);
    ck_number(ck, chk, cpath, "tokens", CK_OPTIONAL, 1e6, 1e18, &cl->tokens);
    ck_number(ck, chk, cpath, "seq_len", CK_OPTIONAL, 16, 1e8, &cl->seq_len);
    ck_string(ck, chk, cpath, "run", CK_OPTIONAL, 64, &cl->run);
    ck_number(ck, chk, cpath, "mfu", CK_OPTIONAL, 1e-4, 1, &cl->mfu);
    ck_string(ck, chk, cpath, "reason", (mt->needs & NEED_REASON) ? CK_REQUIRED : CK_OPTIONAL, 1000,
              &cl->reason);
}

static void parse_check(struct ck *ck, struct mtok_claims *set, const struct mtok_catalog *cat,
                        const cJSON *e, const char *path, struct claim *cl)
{
    char cpath[64];
    snprintf(cpath, sizeof cpath, "%s.check", path);
    const cJSON *chk = ck_object(ck, e, path, "check", CK_REQUIRED);
    if (!chk)
        return;
    static const char *const known[] = {
        "metric",        "models",  "hw",      "ctx",    "wprec",    "kvprec", "tolerance",
        "rel_tolerance", "compare", "note",    "prices", "workload", "deploy", "tps_user",
        "quantity",      "cost",    "devices", "field",  "from",     "until",  "date",
        "tokens",        "seq_len", "run",     "mfu",    "reason",   NULL};
    ck_known_keys(ck, chk, cpath, known);
    if (!ck_string(ck, chk, cpath, "metric", CK_REQUIRED, 32, &cl->metric))
        return;
    const struct metric *mt = find_metric(cl->metric);
    if (!mt) {
        struct mtok_buf b = {0};
        for (size_t i = 0; i < N_METRICS; i++)
            mtok_buf_printf(&b, "%s%s", i ? ", " : "", metrics[i].name);
        ck_fail(ck, cpath, "metric", "\"%s\" is not a metric (%s)", cl->metric, b.data);
        mtok_buf_free(&b);
        return;
    }
    const cJSON *ms = ck_array(ck, chk, cpath, "models", mt->nmodels ? CK_REQUIRED : CK_OPTIONAL);
    if (ms && cJSON_GetArraySize(ms) != mt->nmodels) {
        ck_fail(ck, cpath, "models", "metric %s takes %d model%s, not %d", mt->name, mt->nmodels,
                mt->nmodels == 1 ? "" : "s", cJSON_GetArraySize(ms));
    } else if (ms) {
        const cJSON *v;
        int i = 0;
        cJSON_ArrayForEach(v, ms)
        {
            char mp[96];
            snprintf(mp, sizeof mp, "%s.models[%d]", cpath, i);
            cl->models[i++] = resolve_model(ck, set, cat, v, mp);
        }
        cl->n_models = i;
    }
    /* hw: one id, or an array of ids for the metrics that compare two */
    const cJSON *hw = cJSON_GetObjectItemCaseSensitive(chk, "hw");
    if (mt->nhw && (!hw || cJSON_IsNull(hw))) {
        ck_fail(ck, cpath, "hw", "missing (metric %s takes %d hardware id%s)", mt->name, mt->nhw,
                mt->nhw > 1 ? "s" : "");
    } else if (hw && !cJSON_IsNull(hw)) {
        int n = cJSON_IsArray(hw) ? cJSON_GetArraySize(hw) : 1;
        if (n != mt->nhw || (cJSON_IsArray(hw) != (mt->nhw > 1))) {
            ck_fail(ck, cpath, "hw",
                    mt->nhw > 1 ? "metric %s takes an array of %d hardware ids"
                                : "metric %s takes %d hardware id",
                    mt->name, mt->nhw);
        } else {
            const cJSON *v = cJSON_IsArray(hw) ? hw->child : hw;
            for (int i = 0; i < n && v; i++, v = v->next) {
                if (!cJSON_IsString(v)) {
                    ck_fail(ck, cpath, "hw", "is not a hardware id string");
                    break;
                }
                cl->hw[i] = mtok_catalog_hw(cat, v->valuestring);
                if (!cl->hw[i])
                    ck_fail(ck, cpath, "hw", "\"%s\" is not a hardware id", v->valuestring);
            }
            cl->n_hw = n;
        }
    }
    ck_number(ck, chk, cpath, "ctx", CK_OPTIONAL, 1, 1e9, &cl->ctx);
    ck_string(ck, chk, cpath, "wprec", CK_OPTIONAL, 40, &cl->wprec);
    ck_string(ck, chk, cpath, "kvprec", CK_OPTIONAL, 16, &cl->kvprec);
    if (cl->wprec || cl->kvprec) {
        struct mtok_model fake = {
            .wprec_dense = MTOK_BF16, .wprec_expert = MTOK_BF16, .wprec_embed = MTOK_BF16};
        struct mtok_prec p;
        struct mtok_error err = {0};
        if (mtok_prec_resolve(&fake, cl->wprec, cl->kvprec, &p, &err) != MTOK_OK)
            ck_fail(ck, cpath, cl->wprec && strstr(err.msg, "wprec") ? "wprec" : "kvprec", "%s",
                    strchr(err.msg, ':') ? strchr(err.msg, ':') + 2 : err.msg);
    }
    parse_inputs(ck, cat, chk, cpath, mt, cl);
    cl->is_bool = mt->is_bool;
    ck_number(ck, chk, cpath, "tolerance", CK_OPTIONAL, 0, 1e18, &cl->tolerance);
    ck_number(ck, chk, cpath, "rel_tolerance", CK_OPTIONAL, 0, 10, &cl->rel_tolerance);
    if (!mt->is_bool && !(mt->needs & NEED_REASON) &&
        !cJSON_GetObjectItemCaseSensitive(chk, "tolerance") &&
        !cJSON_GetObjectItemCaseSensitive(chk, "rel_tolerance"))
        ck_fail(ck, cpath, "tolerance", "missing (give tolerance or rel_tolerance)");
    ck_string(ck, chk, cpath, "compare", CK_OPTIONAL, 8, &cl->compare);
    if (!cl->compare)
        cl->compare = mtok_xstrdup("approx");
    else if (strcmp(cl->compare, "approx") && strcmp(cl->compare, "ge") &&
             strcmp(cl->compare, "le"))
        ck_fail(ck, cpath, "compare", "\"%s\" is not approx, ge or le", cl->compare);
}

/* The cost defaults and training runs the cost metrics read: from data_dir when it has them,
 * else the embedded copies. */
static struct mtok_claims *set_create(const char *data_dir, const struct mtok_catalog *cat,
                                      struct mtok_diags *diags)
{
    struct mtok_claims *set = mtok_xcalloc(1, sizeof *set);
    set->cat = cat;
    struct stat sb;
    const char *tdir = data_dir;
    if (tdir) {
        struct mtok_buf p = {0};
        mtok_buf_printf(&p, "%s/pricing/tco.json", tdir);
        if (stat(p.data, &sb) != 0)
            tdir = NULL;
        mtok_buf_free(&p);
    }
    set->have_tco = mtok_tco_defaults_load(tdir, &set->tco, diags) == MTOK_OK;
    /* the embedded runs may name models a user's catalog lacks: then training claims are simply
     * not checkable, which is no fault of the user's files */
    bool own_runs = false;
    if (data_dir) {
        struct mtok_buf p = {0};
        mtok_buf_printf(&p, "%s/training/runs.json", data_dir);
        own_runs = stat(p.data, &sb) == 0;
        mtok_buf_free(&p);
    }
    struct mtok_diags scratch = {0};
    mtok_train_runs_load(&set->runs, data_dir, cat, own_runs ? diags : &scratch);
    mtok_diags_free(&scratch);
    return set;
}

enum mtok_status mtok_claims_parse(struct mtok_claims **setp, const char *name, const char *json,
                                   size_t len, const struct mtok_catalog *cat,
                                   struct mtok_diags *diags)
{
    if (!*setp) {
        /* a file on its own: the embedded cost defaults serve; their problems are not this
         * file's */
        struct mtok_diags scratch = {0};
        *setp = set_create(NULL, cat, &scratch);
        mtok_diags_free(&scratch);
    }
    struct mtok_claims *set = *setp;
    struct ck ck = {.file = name, .d = diags};
    cJSON *root = ck_parse(&ck, json, len);
    if (!root)
        return MTOK_EINVAL;
    static const char *const known_root[] = {"article", "claims", "note", NULL};
    if (!cJSON_IsObject(root))
        ck_fail(&ck, "", NULL, "is not a JSON object");
    else
        ck_known_keys(&ck, root, "", known_root);
    const cJSON *art =
        cJSON_IsObject(root) ? ck_object(&ck, root, "", "article", CK_REQUIRED) : NULL;
    struct article a = {0};
    if (art) {
        static const char *const known_a[] = {"id",     "title",     "file", "url", "date",
                                              "source", "uncertain", "note", NULL};
        ck_known_keys(&ck, art, "article", known_a);
        ck_id(&ck, art, "article", "id", &a.id);
        ck_string(&ck, art, "article", "title", CK_REQUIRED, 400, &a.title);
        ck_date(&ck, art, "article", "date", CK_REQUIRED, &a.date);
        ck_string(&ck, art, "article", "file", CK_OPTIONAL, 400, &a.file);
        struct mtok_source src = {0};
        ck_source(&ck, art, "article", &src);
        a.source = src.source ? mtok_xstrdup(src.source) : NULL;
        mtok_source_free(&src);
        for (size_t i = 0; a.id && i < set->n_a; i++)
            if (strcmp(set->a[i].id, a.id) == 0)
                ck_fail(&ck, "article", "id", "\"%s\" is also the id of another claims file", a.id);
    }
    a.path = mtok_xstrdup(name);
    set->a = mtok_xrealloc(set->a, (set->n_a + 1) * sizeof *set->a);
    int art_index = (int)set->n_a;
    set->a[set->n_a++] = a;
    const cJSON *arr = cJSON_IsObject(root) ? ck_array(&ck, root, "", "claims", CK_REQUIRED) : NULL;
    if (arr && cJSON_GetArraySize(arr) == 0)
        ck_fail(&ck, "", "claims", "is empty");
    int i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, arr)
    {
        char path[32];
        snprintf(path, sizeof path, "claims[%d]", i++);
        if (!cJSON_IsObject(e)) {
            ck_fail(&ck, "", path, "is not an object");
            continue;
        }
        static const char *const known[] = {"id",    "claim", "stated",      "stated_max", "unit",
                                            "check", "note",  "contradicts", NULL};
        ck_known_keys(&ck, e, path, known);
        struct claim cl = {.article = art_index, .index = i - 1};
        size_t before = ck.errors;
        ck_id(&ck, e, path, "id", &cl.id);
        ck_string(&ck, e, path, "claim", CK_REQUIRED, 600, &cl.text);
        ck_string(&ck, e, path, "unit", CK_OPTIONAL, 32, &cl.unit);
        ck_string(&ck, e, path, "note", CK_OPTIONAL, 1200, &cl.note);
        parse_check(&ck, set, cat, e, path, &cl);
        const cJSON *st = ck_member(&ck, e, path, "stated", CK_REQUIRED);
        if (st && cl.metric && find_metric(cl.metric)) {
            if (cl.is_bool && !cJSON_IsBool(st))
                ck_fail(&ck, path, "stated", "metric %s needs true or false", cl.metric);
            else if (cl.is_bool)
                cl.stated_bool = cJSON_IsTrue(st), cl.stated = cl.stated_bool;
            else
                ck_number(&ck, e, path, "stated", CK_REQUIRED, -1e18, 1e18, &cl.stated);
        }
        if (cJSON_GetObjectItemCaseSensitive(e, "stated_max")) {
            ck_number(&ck, e, path, "stated_max", CK_REQUIRED, -1e18, 1e18, &cl.stated_max);
            if (cl.is_bool)
                ck_fail(&ck, path, "stated_max", "a boolean claim has no range");
            else if (cl.stated_max < cl.stated)
                ck_fail(&ck, path, "stated_max", "%g is below stated %g", cl.stated_max, cl.stated);
            else if (cl.compare && strcmp(cl.compare, "approx") != 0)
                ck_fail(&ck, path, "stated_max", "a range cannot also be compared %s", cl.compare);
            cl.is_range = true;
        }
        const cJSON *co = ck_array(&ck, e, path, "contradicts", CK_OPTIONAL);
        if (co && cJSON_GetArraySize(co) > MAX_CONTRA)
            ck_fail(&ck, path, "contradicts", "lists more than %d claims", MAX_CONTRA);
        else if (co) {
            const cJSON *v;
            cJSON_ArrayForEach(v, co)
            {
                if (!cJSON_IsString(v) || !*v->valuestring) {
                    ck_fail(&ck, path, "contradicts", "holds something other than a claim id");
                    break;
                }
                cl.contradicts[cl.n_contra++] = mtok_xstrdup(v->valuestring);
            }
        }
        for (size_t k = 0; cl.id && k < set->n; k++)
            if (strcmp(set->c[k].id, cl.id) == 0)
                ck_fail(&ck, path, "id", "\"%s\" is also the id of another claim", cl.id);
        if (ck.errors == before) {
            if (set->n == set->cap)
                set->c = mtok_xrealloc(set->c,
                                       (set->cap = set->cap ? 2 * set->cap : 16) * sizeof *set->c);
            set->c[set->n++] = cl;
        } else {
            claim_free(&cl);
        }
    }
    cJSON_Delete(root);
    return ck.errors ? MTOK_EINVAL : MTOK_OK;
}

enum mtok_status mtok_claims_load(struct mtok_claims **out, const char *data_dir,
                                  const struct mtok_catalog *cat, struct mtok_diags *diags)
{
    *out = NULL;
    char **names;
    size_t n;
    if (mtok_data_json_names(data_dir, "claims", &names, &n, diags) != MTOK_OK)
        return MTOK_EIO;
    size_t before = diags->n;
    struct mtok_claims *set = set_create(data_dir, cat, diags);
    enum mtok_status st = MTOK_OK;
    for (size_t i = 0; i < n; i++) {
        struct mtok_buf rel = {0};
        mtok_buf_printf(&rel, "claims/%s", names[i]);
        char *path, *json;
        size_t len;
        if (mtok_data_read(data_dir, rel.data, MTOK_CATALOG_MAX_FILE, &path, &json, &len, diags) ==
            MTOK_OK)
            mtok_claims_parse(&set, path, json, len, cat, diags);
        else
            st = MTOK_EIO;
        free(json);
        free(path);
        mtok_buf_free(&rel);
    }
    mtok_names_free(names, n);
    /* every `contradicts` id names a claim of the set */
    for (size_t i = 0; i < set->n; i++) {
        const struct claim *cl = &set->c[i];
        for (int k = 0; k < cl->n_contra; k++) {
            int j = claim_index(set, cl->contradicts[k]);
            char field[64];
            snprintf(field, sizeof field, "claims[%d].contradicts", cl->index);
            if (j < 0)
                mtok_diags_add(diags, set->a[cl->article].path, field, "\"%s\" is not a claim id",
                               cl->contradicts[k]);
            else if ((size_t)j == i)
                mtok_diags_add(diags, set->a[cl->article].path, field, "names the claim itself");
        }
    }
    if (st == MTOK_OK && diags->n != before)
        st = MTOK_EINVAL;
    if (st != MTOK_OK) {
        mtok_claims_destroy(set);
        return st;
    }
    *out = set;
    return MTOK_OK;
}
