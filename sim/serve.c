/* Serving: operating points of a plan (TTFT, TPOT, throughput per GPU and per user), the
 * concurrency sweep and its Pareto front, and the best point for a per-user speed target.
 *
 * Aggregated serving (one pool does prefill and decode, chunked prefill): in steady state with B
 * requests in flight each decode step emits B x (tokens per step) tokens, so B x tps / osl requests
 * finish per step and as many new ones must be prefilled inside the same time. The inter-token
 * time a user sees is therefore (step + finished-per-step x prefill-time-per-request) / tps.
 *
 * Disaggregated serving: decode instances run pure decode steps; prefill instances prefill; the
 * request rate is the smaller of what each pool sustains. Output throughput is counted over the
 * decode GPUs, input throughput over the prefill GPUs, and total throughput over all of them
 * (InferenceX's convention, FACTS D6). */
#include <math.h>
#include <string.h>

#include "sim/internal.h"

/* Expected tokens per decode step per sequence with n drafts each accepted with probability a
 * given the previous one was: 1 + a + a^2 + ... + a^n. */
static double tokens_per_step(int n, double a)
{
    double t = 1, p = 1;
    for (int i = 0; i < n; i++)
        t += (p *= a);
    return t;
}

void mtok_serve_point(const struct mtok_plan *p, double batch, struct mtok_serve_point *out)
{
    const struct mtok_deploy *d = mtok_plan_deploy(p);
    memset(out, 0, sizeof *out);
    struct mtok_mem mem;
    double ttft;
    sim_plan_cached(p, &mem, &out->prefill_s_per_request, &ttft);
    out->batch = batch;
    out->ctx = d->ctx > 0 ? d->ctx : d->isl + d->osl / 2;
    out->max_batch = mem.max_batch;
    out->fits = mem.fits && batch <= mem.max_batch;
    out->prov = mtok_plan_prov(p);
    out->decode_step_s = mtok_plan_decode_step(p, batch, out->ctx);
    out->tokens_per_step = tokens_per_step(d->mtp, d->mtp_accept);
    double G = mtok_deploy_gpus(d);
    double tps = out->tokens_per_step;
    if (d->prefill_gpus > 0) {
        double n_dec = d->decode_gpus / G, n_pre = d->prefill_gpus / G;
        out->tpot_s = out->decode_step_s / tps;
        double rate_dec = n_dec * batch / out->tpot_s / d->osl; /* requests / s */
        double rate_pre = n_pre / out->prefill_s_per_request;
        out->prefill_bound = rate_pre < rate_dec;
        double rate = out->prefill_bound ? rate_pre : rate_dec;
        out->output_tok_s_per_gpu = rate * d->osl / d->decode_gpus;
        out->input_tok_s_per_gpu = rate * d->isl / d->prefill_gpus;
        out->tok_s_per_gpu = rate * (d->isl + d->osl) / (d->prefill_gpus + d->decode_gpus);
        /* the prompt's KV moves from the prefill to the decode pool over the scale-out link */
        out->ttft_s = ttft + sim_plan_kv_transfer_s(p, d->isl);
    } else {
        double finished = batch * tps / d->osl; /* requests finishing per step */
        double step = out->decode_step_s + finished * out->prefill_s_per_request;
        out->prefill_time_share = finished * out->prefill_s_per_request / step;
        out->tpot_s = step / tps;
        double out_rate = batch / out->tpot_s; /* output tokens / s per instance */
        out->output_tok_s_per_gpu = out_rate / G;
        out->input_tok_s_per_gpu = out_rate * d->isl / d->osl / G;
        out->tok_s_per_gpu = out->output_tok_s_per_gpu + out->input_tok_s_per_gpu;
        out->ttft_s = ttft;
    }
    out->tok_s_per_user = 1 / out->tpot_s;
}

size_t mtok_serve_pareto(const struct mtok_plan *p, struct mtok_serve_point *pts, size_t cap)
{
    struct mtok_mem mem;
    double pr, tt;
    sim_plan_cached(p, &mem, &pr, &tt);
    size_t n = 0;
    if (!mem.fits || cap == 0)
        return 0;
    double maxb = mem.max_batch > 1e6 ? 1e6 : mem.max_batch;
    for (double b = 1; n < cap; b *= 2) {
        if (b > maxb)
            b = maxb;
        mtok_serve_point(p, b, &pts[n++]);
        if (b >= maxb)
            break;
    }
    /* keep the non-dominated points: sorted by rising batch, tok/s/user falls; a point stays when
     * no point with at least its tok/s/user has more tok/s/GPU */
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        bool dominated = false;
        for (size_t j = 0; j < n && !dominated; j++)
            dominated = j != i && pts[j].tok_s_per_user >= pts[i].tok_s_per_user &&
                        pts[j].tok_s_per_gpu >= pts[i].tok_s_per_gpu &&
                        (pts[j].tok_s_per_user > pts[i].tok_s_per_user ||
                         pts[j].tok_s_per_gpu > pts[i].tok_s_per_gpu);
        if (!dominated)
            pts[k++] = pts[i];
    }
    /* rising tok/s/user */
    for (size_t i = 1; i < k; i++)
        for (size_t j = i; j > 0 && pts[j].tok_s_per_user < pts[j - 1].tok_s_per_user; j--) {
            struct mtok_serve_point t = pts[j];
            pts[j] = pts[j - 1];
            pts[j - 1] = t;
        }
    return k;
}

enum mtok_status mtok_serve_for_tps_user(const struct mtok_plan *p, double tps_user,
                                         struct mtok_serve_point *out)
{
    mtok_serve_point(p, 1, out);
    if (!out->fits || out->tok_s_per_user < tps_user)
        return MTOK_ENOTFOUND;
    double lo = 1, hi = out->max_batch > 1e6 ? 1e6 : out->max_batch;
    struct mtok_serve_point t;
    mtok_serve_point(p, hi, &t);
    if (t.tok_s_per_user >= tps_user) {
        *out = t;
        return MTOK_OK;
    }
    /* tok/s/user falls with batch: find the largest batch that still meets the target */
    while (hi - lo > 1) {
        double mid = floor((lo + hi) / 2);
        mtok_serve_point(p, mid, &t);
        if (t.tok_s_per_user >= tps_user)
            lo = mid;
        else
            hi = mid;
    }
    mtok_serve_point(p, lo, out);
    return MTOK_OK;
}
