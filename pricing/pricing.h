/* pricing: what a device-hour costs, what a million tokens cost, what the APIs charge, and fetching
 * configs and price books over HTTP(S).
 *
 * The cost chain, each step a plain function of plain inputs:
 *
 *   $/device-hour        mtok_pricing_hour_tier   (an InferenceX tier from the hardware file)
 *                        mtok_pricing_hour_tco    (purchase, annuity, power, hosting, opex)
 *                        mtok_pricing_hour_given  (a figure the user typed: --usd-per-gpu-hour)
 *        |
 *        v
 *   $/M tokens           mtok_pricing_tokens(hour, serving, inputs)
 *                        serving = what the simulator says one deployment point does:
 *                        tok/s/GPU (total, input, output), prefill/decode GPU counts, kW per GPU
 *        |
 *        v
 *   vs the APIs          mtok_pricing_api_in_force (the price on a date, discounts applied)
 *                        mtok_pricing_breakeven    (the utilisation at which self-hosting pays)
 *
 * Every result struct holds a copy of its inputs next to its outputs, so a report can print the
 * working. Nothing here prints, allocates behind the caller's back (except where noted) or keeps
 * global state beyond libcurl's one-time initialisation. All cost functions are thread-safe.
 *
 * Units: USD, hours, tokens per second per device, kW. "$/M" is USD per 10^6 tokens. */
#ifndef MTOK_PRICING_H
#define MTOK_PRICING_H

#include "catalog/catalog.h"
#include "sim/sim.h"
#include "store/store.h"

/* ================================================================================================
 * $/device-hour
 * ============================================================================================== */

/* Hours per year used to spread yearly costs: 365 x 24. */
#define MTOK_HOURS_PER_YEAR 8760.0

enum mtok_hour_basis {
    MTOK_HOUR_TIER, /* a $/device-hour tier from the hardware file (InferenceX tiers) */
    MTOK_HOUR_TCO,  /* built up from purchase price, capital, power and hosting */
    MTOK_HOUR_GIVEN /* a figure the caller supplied */
};
/* "tier", "tco", "given". */
const char *mtok_hour_basis_name(enum mtok_hour_basis b);

/* TCO inputs for one device. Fill from mtok_tco_for_hw and override what you know better. */
struct mtok_tco {
    double purchase_usd;             /* accelerator price */
    double server_capex_ratio;       /* >= 1: server cost per accelerator / accelerator price */
    double network_capex_ratio;      /* >= 1: cluster network multiplier */
    double years;                    /* amortisation period (> 0) */
    double cost_of_capital;          /* annual rate of the annuity, >= 0 (0 = straight line) */
    double opex_per_year;            /* maintenance, staff: share of system capex per year */
    double all_in_kw;                /* kW at the utility meter: host, network, PUE included */
    double pue;                      /* facility / IT power, >= 1 (all_in_kw / pue = IT kW) */
    double load_fraction;            /* average draw / all_in_kw, (0, 1] */
    double usd_per_kwh;              /* electricity price */
    double hosting_usd_per_kw_month; /* colocation rent per kW of IT capacity */
};

/* A $/device-hour with its working. */
struct mtok_device_hour {
    enum mtok_hour_basis basis;
    const char *hw_id;                /* borrowed from the catalog entry, NULL for GIVEN */
    enum mtok_tier tier;              /* basis TIER */
    const struct mtok_source *source; /* borrowed: the tier's or the TCO defaults' provenance;
                                         NULL for GIVEN. Lives as long as its owner. */
    struct mtok_tco tco;              /* basis TCO: every input, as used */
    double system_capex_usd;          /* TCO: purchase x server x network ratios */
    double annuity_factor;            /* TCO: yearly payment per dollar of capex */
    /* TCO: the parts (NAN for the other bases) */
    double capex_usd_h, power_usd_h, hosting_usd_h, opex_usd_h;
    double usd_per_hour; /* the answer */
    char note[256];      /* caveat for the reader ("" if none) */
};

/* The yearly payment that repays 1 dollar over `years` at `rate`: r / (1 - (1 + r)^-n), or 1/n
 * when r = 0. Fractional years are allowed. NAN for years <= 0 or rate < 0. */
double mtok_annuity_factor(double rate, double years);

/* $/device-hour from the hardware file's tier. MTOK_ENOTFOUND (err says which tiers the entry has)
 * when the entry has no price for that tier. */
enum mtok_status mtok_pricing_hour_tier(const struct mtok_hw *hw, enum mtok_tier tier,
                                        struct mtok_device_hour *out, struct mtok_error *err);

/* TCO inputs for `hw` from the defaults: purchase_usd from the hardware file, all_in_kw from its
 * power.all_in_kw, or tdp_w/1000 x server_power_ratio x pue when it has only a TDP. MTOK_ENOTFOUND
 * when the entry has no purchase price. An entry with no power figure gets all_in_kw 0 (its power
 * and hosting then cost nothing; mtok_pricing_hour_tco says so in its note). */
enum mtok_status mtok_tco_for_hw(const struct mtok_tco_defaults *d, const struct mtok_hw *hw,
                                 struct mtok_tco *out, struct mtok_error *err);

/* $/device-hour from TCO inputs:
 *   system capex = purchase x server_capex_ratio x network_capex_ratio
 *   capex/h      = system capex x annuity_factor(cost_of_capital, years) / 8760
 *   power/h      = all_in_kw x load_fraction x usd_per_kwh
 *   hosting/h    = all_in_kw / pue x hosting_usd_per_kw_month x 12 / 8760
 *   opex/h       = system capex x opex_per_year / 8760
 * MTOK_EINVAL (err names the field) for an input out of range. `hw` and `source` may be NULL; they
 * are only recorded. */
enum mtok_status mtok_pricing_hour_tco(const struct mtok_tco *in, const struct mtok_hw *hw,
                                       const struct mtok_source *source,
                                       struct mtok_device_hour *out, struct mtok_error *err);

/* A given $/device-hour (must be > 0 and finite: MTOK_EINVAL otherwise). */
enum mtok_status mtok_pricing_hour_given(double usd_per_hour, struct mtok_device_hour *out,
                                         struct mtok_error *err);

/* ================================================================================================
 * $/M tokens
 * ============================================================================================== */

/* What one deployment point does, as the simulator (issue #3) or a benchmark reports it. The field
 * meanings are InferenceX's (SemiAnalysisAI/InferenceX utils/process_result.py):
 *   aggregated serving (prefill_gpus = decode_gpus = 0): every rate is per GPU of the deployment;
 *   disaggregated: input_tok_s_per_gpu is per PREFILL GPU, output_tok_s_per_gpu per DECODE GPU,
 *   tok_s_per_gpu per GPU of both pools.
 * Input tokens include prefix-cache hits; the rates must have been obtained at cache_hit_share.
 *
 * Cache hits: a hit skips the prefill compute, so a simulator run at cache_hit_share h already
 * has the higher input rate that buys; what a hit still costs (holding and reading its KV) is
 * priced as cached_input_cost_ratio x the price of a miss (struct mtok_cost_inputs).
 *
 * From a simulator point (issue #3, `mtok sim`): tok_s_per_gpu, input_tok_s_per_gpu and
 * output_tok_s_per_gpu are its keys of the same names; prefill_gpus / decode_gpus are --disagg
 * P,D (both 0 otherwise); kw_per_gpu is the hardware entry's all_in_kw; prefill_time_share is the
 * prefill share of the step time in aggregated serving. The $/device-hour comes from --tier
 * (mtok_pricing_hour_tier), --usd-per-gpu-hour (mtok_pricing_hour_given) or a TCO; the result
 * maps onto the database's cost row with mtok_pricing_cost_row. */
struct mtok_serving {
    double tok_s_per_gpu; /* (input + output) tokens/s per GPU; 0 = derive from the two below */
    double input_tok_s_per_gpu; /* 0 with output 0 = only the total is known */
    double output_tok_s_per_gpu;
    int prefill_gpus, decode_gpus;
    double prefill_time_share; /* aggregated only: share of GPU time spent in prefill, in (0, 1);
                                  0 = not known (then the input/output split is not priced) */
    double cache_hit_share;    /* share of input tokens served from the prefix cache, [0, 1) */
    double kw_per_gpu;         /* all-in kW per GPU (hardware power.all_in_kw); 0 = not known */
};

/* The serving description of a simulator point (sim/sim.h) of deployment `dep` on `hw`: the three
 * throughputs, the pools of a disaggregated deployment, the prefill share of GPU time (aggregated),
 * the prefix-cache share (dep->cache_hit) and the hardware's all-in kW. Never fails; a point
 * that does not fit is described all the same (the caller decides whether to price it). */
struct mtok_serving mtok_serving_from_sim(const struct mtok_serve_point *pt,
                                          const struct mtok_deploy *dep, const struct mtok_hw *hw);

/* Choices the cost depends on besides the hour price and the throughput. */
struct mtok_cost_inputs {
    double utilisation;             /* (0, 1]: share of paid hours spent serving; 1 = InferenceX */
    double cached_input_cost_ratio; /* [0, 1]: a cache-hit input token costs this x a miss */
};

/* $/M tokens for one deployment point, with its working.
 *
 * InferenceX figures (comparable with its dashboards): the whole GPU-hour divided by one
 * throughput, usd_per_m_X = (usd_per_hour / utilisation) / (X tok/s/GPU x 3600 / 1e6),  X = total,
 * input, output. The input-only and output-only figures each charge ALL the cost to one token type;
 * they do not add.
 *
 * Allocated figures (an API-style price sheet that recovers the cost exactly): the GPU-hours are
 * split between prefill and decode, prefill_cost_share = prefill GPUs / all GPUs (disaggregated) or
 * prefill_time_share (aggregated). Prefill spend is spread over input tokens weighting a cache miss
 * 1 and a hit cached_input_cost_ratio; decode spend over output tokens. So, per GPU-hour,
 *   input_tokens x ((1 - h) x usd_per_m_input + h x usd_per_m_cached_input) / 1e6
 *   + output_tokens x usd_per_m_output / 1e6 = usd_per_hour / utilisation.
 * Fields that cannot be computed from the inputs are NAN and `split_note` says why. */
struct mtok_token_cost {
    struct mtok_device_hour hour; /* copies of every input */
    struct mtok_serving serving;
    struct mtok_cost_inputs inputs;
    double usd_per_gpu_hour; /* hour.usd_per_hour / utilisation: the cost of a busy hour */
    int gpus;                /* prefill + decode GPUs, or 1 for aggregated (per-GPU figures) */

    double usd_per_m_total; /* InferenceX */
    double usd_per_m_input_only;
    double usd_per_m_output_only;

    double prefill_cost_share;     /* allocated */
    double usd_per_m_input;        /* cache-miss input */
    double usd_per_m_cached_input; /* cache-hit input */
    double usd_per_m_output;
    double usd_per_m_input_blended; /* at cache_hit_share */
    char split_note[160];

    double tok_s_per_mw; /* tok/s/GPU x 1000 / kW per GPU; NAN without kW */
    double output_tok_s_per_mw;
    double j_per_token; /* kW x 1000 / tok/s/GPU */
    double j_per_output_token;
};

/* The serving group of the data defaults (utilisation, cached_input_cost_ratio). */
struct mtok_cost_inputs mtok_cost_inputs_default(const struct mtok_tco_defaults *d);

/* Price one deployment point. MTOK_EINVAL (err names the field) for negative, non-finite or
 * inconsistent inputs: a zero total throughput, a given total that disagrees with the input/output
 * rates by more than 1 %, one pool count without the other, utilisation outside (0, 1]. */
enum mtok_status mtok_pricing_tokens(const struct mtok_device_hour *hour,
                                     const struct mtok_serving *serving,
                                     const struct mtok_cost_inputs *inputs,
                                     struct mtok_token_cost *out, struct mtok_error *err);

/* InferenceX's formula on its own: usd_per_hour / (tok_s_per_gpu x 3600 / 1e6). NAN unless both
 * are > 0. */
double mtok_usd_per_m(double usd_per_hour, double tok_s_per_gpu);

/* ================================================================================================
 * API prices
 * ============================================================================================== */

/* Which price: `product` is an API product name (deepseek-v4-pro) or a catalog model id
 * (deepseek-v3.2); `date` is YYYY-MM-DD or YYYY-MM (= the 1st). Resellers are left out unless
 * `provider` names them or include_resellers is set. */
struct mtok_price_query {
    const char *product;
    const char *date;
    const char *provider; /* NULL = any; compared case-insensitively */
    bool include_resellers;
    bool off_peak;    /* where peak and off-peak prices exist, take off-peak */
    bool skip_claims; /* leave out entries recorded only as an article's claim: ids with a
                         "/seed-" part (data/README.md: such entries end in /seed-NNN) */
};

/* The price in force. An entry is in force on D when from <= D < until (until is the day the next
 * price took over; a month-only date means its 1st; until null = no end known).
 *   list      the undiscounted price: among in-force list / permanent / peak (or off-peak) entries,
 *             the one that started last (a later list change supersedes an open-ended older one).
 *   effective what a buyer paid: an in-force discount that started no earlier than `list`, else
 *             `list`. Ties prefer prices published in USD, then the order of the book.
 *   discount_* 1 - effective / list per token type (0 when no discount applies; NAN when either
 *             price is not published). */
struct mtok_price_in_force {
    const struct mtok_api_price *list, *effective; /* borrowed from the catalog */
    double discount_input, discount_cached_input, discount_output;
    size_t candidates; /* entries for the product in force that day, before choosing */
};

/* MTOK_ENOTFOUND (err says the product and date) when no entry is in force; MTOK_EINVAL for a bad
 * date. Thread-safe on a catalog nobody is modifying. */
enum mtok_status mtok_pricing_api_in_force(const struct mtok_catalog *cat,
                                           const struct mtok_price_query *q,
                                           struct mtok_price_in_force *out, struct mtok_error *err);

/* Every entry for `product` (name or model id, as above; resellers only when provider names them),
 * sorted by from date then book order, into out[0..max). Returns how many exist (may be > max). */
/* True for an entry recorded only because an article claims it (id with a "/seed-" part); such
 * entries keep conflicts visible but are not quotes (planner and claims leave them out). */
bool mtok_price_is_claim(const struct mtok_api_price *p);

size_t mtok_pricing_api_history(const struct mtok_catalog *cat, const char *product,
                                const char *provider, const struct mtok_api_price **out,
                                size_t max);

/* ================================================================================================
 * Self-host vs API
 * ============================================================================================== */

/* A token mix: per request, or any consistent unit. */
struct mtok_workload {
    double input_tokens, output_tokens;
    double cache_hit_share; /* [0, 1): share of input tokens that hit the prefix cache */
};

/* At what utilisation does self-hosting cost the same as the API for this mix?
 *   self_usd_per_m   self-hosted $/M tokens of the mix at full utilisation: the allocated prices
 *                    when the cost has them, else the InferenceX total
 *   api_usd_per_m    the API's $/M tokens of the mix (cached price = input price when the API
 *                    publishes none: api_cached_is_input)
 *   utilisation      self_usd_per_m / api_usd_per_m: self-hosting is cheaper above it; > 1 means
 *                    never (even a fully busy fleet costs more than the API) */
struct mtok_breakeven {
    struct mtok_workload workload;
    const struct mtok_api_price *api; /* borrowed */
    double self_usd_per_m, api_usd_per_m;
    double utilisation;
    bool api_cached_is_input;
    bool self_used_split; /* self_usd_per_m came from the allocated prices */
};

/* `cost` may have been computed at any utilisation; it is scaled back to full. MTOK_EINVAL when the
 * API has no output price for a mix with output tokens, or the mix is empty. */
enum mtok_status mtok_pricing_breakeven(const struct mtok_token_cost *cost,
                                        const struct mtok_api_price *api,
                                        const struct mtok_workload *w, struct mtok_breakeven *out,
                                        struct mtok_error *err);

/* The store's cost row (store/store.h) for a priced point: tier = the tier's name, "tco" or
 * "given"; usd_per_m_input / cached_input / output = the allocated prices (NAN when the split is
 * not known); usd_per_m_total = InferenceX's total. Strings are borrowed (static). */
void mtok_pricing_cost_row(const struct mtok_token_cost *c, struct mtok_cost_row *row);

/* ================================================================================================
 * Training cost (issue #8)
 *
 *   training FLOPs  = 6 x N_active x T                      (dense: forward 2, backward 4 per
 *                                                             parameter and token)
 *                   + 3 x A(L) x T                          (attention core, lightning indexer and
 *                                                             recurrent-state arithmetic of one
 *                                                             training sequence of L tokens, per
 *                                                             token, forward + backward)
 *                   + 3 x M x T                             (the MTP layers trained alongside:
 *                                                             their forward FLOPs per token, their
 *                                                             input projection and a second pass
 *                                                             through the shared LM head)
 *   device-hours    = training FLOPs / (peak[dtype] x MFU) / 3600
 *   dollars         = device-hours x $/device-hour
 *
 * N_active is mtok's active-parameter count (sim/: routed top-k and shared experts, attention,
 * the LM head, one embedding row). A(L) and M come from the simulator's prefill of one L-token
 * sequence (sim/: the same ops that price serving), so sparse and compressed attention are counted
 * as they run. MFU is relative to the dense peak of `dtype` (bf16 by default).
 *
 * Calibration: a published run (data/training/runs.json, the one marked "calibration": DeepSeek-V3,
 * 2.788M H800 GPU-hours for 14.8T tokens) gives MFU = FLOPs / (GPU-hours x 3600 x peak), the
 * default MFU for every estimate, with its provenance.
 * ============================================================================================== */

/* One published (or announced) training run. */
struct mtok_train_run {
    char *id, *model; /* model: a catalog id */
    char *hw;         /* catalog id, NULL when not published */
    double tokens, seq_len;
    double gpu_hours;        /* 0 = not published */
    double usd_per_gpu_hour; /* 0 = not published */
    bool calibration;        /* the run whose MFU is the default */
    struct mtok_source src;
};

struct mtok_train_runs {
    struct mtok_train_run *v;
    size_t n;
};

/* Read data/training/runs.json from data_dir (NULL = the embedded data/), checking model and
 * hardware ids against cat. Every problem is one `FILE: FIELD: problem` line in diags; on any
 * problem MTOK_EINVAL (or MTOK_EIO) and *out stays empty. Free with mtok_train_runs_free. */
enum mtok_status mtok_train_runs_load(struct mtok_train_runs *out, const char *data_dir,
                                      const struct mtok_catalog *cat, struct mtok_diags *diags);
/* The same checks on a document in memory; `name` names it in diagnostics. */
enum mtok_status mtok_train_runs_parse(struct mtok_train_runs *out, const char *name,
                                       const char *json, size_t len,
                                       const struct mtok_catalog *cat, struct mtok_diags *diags);
/* No-op on an empty set; leaves it empty. */
void mtok_train_runs_free(struct mtok_train_runs *r);
/* The run with this id, else the first run of this model id; NULL when none. */
const struct mtok_train_run *mtok_train_run_find(const struct mtok_train_runs *r, const char *id);
/* The calibration run (exactly one in a checked file). */
const struct mtok_train_run *mtok_train_run_calibration(const struct mtok_train_runs *r);

/* Training FLOPs with their parts (the formula above). */
struct mtok_train_flops {
    double tokens, seq_len;
    double n_active;     /* parameters per token, main model */
    double dense;        /* 6 x n_active x tokens */
    double attention;    /* 3 x attention_fwd x tokens */
    double mtp;          /* 3 x mtp_fwd x tokens; 0 without MTP */
    double total;
    double attention_fwd; /* per token, forward, at seq_len (causal: a token sees (L+1)/2 on average) */
    double mtp_fwd;       /* per token, forward */
    int mtp_layers;       /* MTP layers counted (0 = excluded or none) */
};

/* FLOPs to train model m on `tokens` tokens in sequences of seq_len; with_mtp counts the model's
 * MTP layers (if it has any). hw only hosts the simulator plan (FLOP counts do not depend on it).
 * MTOK_EINVAL with err set for tokens or seq_len out of range or a plan that cannot be built. */
enum mtok_status mtok_train_flops(const struct mtok_model *m, const struct mtok_hw *hw,
                                  const struct mtok_sim_defaults *d, double tokens, double seq_len,
                                  bool with_mtp, struct mtok_train_flops *out,
                                  struct mtok_error *err);

/* The MFU a published run implies under mtok's FLOP count. */
struct mtok_train_calibration {
    const struct mtok_train_run *run; /* borrowed */
    struct mtok_train_flops flops;
    enum mtok_dtype dtype;
    double peak_flops;             /* per device, dense, of dtype */
    double achieved_flops_per_gpu; /* flops.total / (gpu_hours x 3600) */
    double mfu;                    /* achieved / peak */
    char provenance[768];          /* one line: the run, its figures and its source */
};

/* MTOK_EINVAL when the run has no GPU-hours or hardware, or its hardware has no `dtype` peak. */
enum mtok_status mtok_train_calibrate(const struct mtok_catalog *cat,
                                      const struct mtok_sim_defaults *d,
                                      const struct mtok_train_run *run, enum mtok_dtype dtype,
                                      struct mtok_train_calibration *out, struct mtok_error *err);

/* A training-cost estimate with its working. */
struct mtok_train_estimate {
    struct mtok_train_flops flops;
    const char *hw_id;
    enum mtok_dtype dtype;
    double peak_flops, mfu;
    double device_hours;
    struct mtok_device_hour hour; /* copy */
    double usd;
};

/* device_hours and dollars from FLOPs, a device's dtype peak, an MFU in (0, 1] and a
 * $/device-hour (hour may be NULL: no dollars, usd NAN). MTOK_EINVAL for a missing peak or an
 * MFU out of range. */
enum mtok_status mtok_train_estimate(const struct mtok_train_flops *f, const struct mtok_hw *hw,
                                     enum mtok_dtype dtype, double mfu,
                                     const struct mtok_device_hour *hour,
                                     struct mtok_train_estimate *out, struct mtok_error *err);

/* The dense peak of hw for a dtype (bf16, fp8, fp4/mxfp4/nvfp4 -> fp4, int8, f32, f64); 0 when
 * the hardware file gives none. */
double mtok_hw_peak(const struct mtok_hw *hw, enum mtok_dtype dtype);

/* ================================================================================================
 * Workload planner (issue #8): what a workload costs a month on every API in the price book and
 * self-hosted on every hardware target, cheapest first.
 *
 *   API         requests/month x (input x ((1 - h) x $in + h x $cached) + output x $out) / 1e6,
 *               at the effective price in force on the date (discounts applied; cached = input
 *               when no cached price is published). Entries recorded only as an article's claim
 *               are left out.
 *   self-hosted for each hardware target, each instance shape tried (1, 2, 4 ... max_gpus GPUs;
 *               tensor-parallel, and for MoE models data-parallel attention with expert
 *               parallelism): the simulator's best point meeting the latency target (tok/s/user,
 *               TTFT) gives requests/s per instance = tok/s/GPU x GPUs / (input + output);
 *               instances = ceil(peak requests/s / that), peak = average x peak_to_average;
 *               $/month = instances x GPUs x $/device-hour x 24 x days_per_month (the fleet is
 *               sized for the peak and paid all month); the cheapest shape is kept.
 *               utilisation = average requests/s / fleet capacity.
 *   break-even  against a reference API (the option's `vs`): the daily volume above which the row's
 *               deployment, scaled in whole instances, never costs more than the API.
 * ============================================================================================== */

/* A workload (data/workloads/ *.json, format in data/SCHEMA.md). Strings are owned. */
struct mtok_workload_spec {
    char *id, *description, *model, *date, *note, *source, *file;
    double requests_per_day;
    double input_tokens, output_tokens; /* per request */
    double cache_hit_share;             /* [0, 1): share of input tokens that hit a prefix cache */
    double peak_to_average;             /* >= 1 */
    double tps_user;                    /* per-user decode speed target; 0 = none */
    double ttft_s;                      /* time-to-first-token target; 0 = none */
    double days_per_month;              /* default 365 / 12 */
};

/* Defaults: peak_to_average 1, days_per_month 365/12, everything else 0 / NULL. */
void mtok_workload_spec_init(struct mtok_workload_spec *w);
void mtok_workload_spec_free(struct mtok_workload_spec *w);
/* Parse and check one workload file against the catalog (the model must exist). Problems are
 * `FILE: FIELD: problem` lines; on any problem MTOK_EINVAL and *out is left initialised-empty. */
enum mtok_status mtok_workload_parse(struct mtok_workload_spec *out, const char *name,
                                     const char *json, size_t len,
                                     const struct mtok_catalog *cat, struct mtok_diags *diags);
/* NAME (data/workloads/NAME.json in data_dir or the embedded data/) or a path to a file. */
enum mtok_status mtok_workload_load(struct mtok_workload_spec *out, const char *name_or_path,
                                    const char *data_dir, const struct mtok_catalog *cat,
                                    struct mtok_diags *diags);
/* The same range checks on a spec built from flags; MTOK_EINVAL with err naming the field. */
enum mtok_status mtok_workload_check(const struct mtok_workload_spec *w, struct mtok_error *err);

/* Tokens per request that make two stated monthly costs (cost_a on price a, cost_b on price b)
 * hold at `requests_per_month` with cache share h: the 2x2 linear solve of
 *   cost_x = requests x (in x ((1-h) $in_x + h $cached_x) + out x $out_x) / 1e6.
 * MTOK_EINVAL when the system is singular or the solution negative. */
enum mtok_status mtok_workload_solve_tokens(const struct mtok_api_price *a, double cost_a,
                                            const struct mtok_api_price *b, double cost_b,
                                            double requests_per_month, double h, double *input,
                                            double *output, struct mtok_error *err);

/* $ per month of a workload on one API price (NAN when the price lacks an output price and the
 * workload has output). cached_is_input (may be NULL) says a missing cached price was replaced. */
double mtok_workload_api_month(const struct mtok_workload_spec *w, const struct mtok_api_price *p,
                               bool *cached_is_input);

enum mtok_option_kind { MTOK_OPTION_API, MTOK_OPTION_SELF };

/* One row of the plan: an API product or a self-hosted deployment. Strings are owned by the plan
 * (or the catalog). */
struct mtok_workload_row {
    enum mtok_option_kind kind;
    bool feasible; /* priced and able to serve the workload; infeasible rows sort last */
    char name[128];
    /* API */
    const struct mtok_api_price *price; /* the effective price used */
    const char *provider, *product;
    bool same_model;      /* the API serves the workload's model */
    bool cached_is_input; /* no cached price: hits billed as misses */
    double discount;      /* on input, 1 - effective / list (0 when none) */
    /* self-hosted */
    const char *hw_id;
    char deployment[96]; /* "tp8", "dp8 ep8" */
    int gpus_per_instance, instances, devices;
    double batch, tok_s_per_user, ttft_s, tok_s_per_gpu;
    double requests_per_s_per_instance;
    double utilisation; /* average load / fleet capacity */
    char hour_basis[48]; /* "hyperscaler", "tco", "given", "rental (no hyperscaler price)" */
    double usd_per_device_hour;
    /* both */
    double usd_per_month;
    double usd_per_m_tokens; /* usd_per_month / million tokens (input + output) a month */
    double breakeven_requests_per_day; /* self: above it never dearer than the reference API;
                                          INFINITY = never; NAN for API rows */
    char note[480];
};

struct mtok_workload_opts {
    const char *date;            /* NULL = the spec's date, else today (UTC) */
    const char *tier;            /* a tier name or "tco"; NULL = hyperscaler. A target without it
                                    falls back to TCO, then to any tier it has */
    double usd_per_gpu_hour;     /* > 0: this price for every target (basis "given") */
    const char *vs;              /* reference API product; NULL = the cheapest for the model */
    const char *const *hw_ids;   /* NULL-terminated subset of targets; NULL = every target */
    int max_gpus;                /* largest instance tried; 0 = 64 */
    const struct mtok_tco_defaults *tco;     /* required */
    const struct mtok_sim_defaults *sim;     /* required */
};

struct mtok_workload_plan {
    struct mtok_workload_spec spec; /* a copy (strings owned by the plan) */
    char date[11];                  /* the price date used */
    const struct mtok_model *model;
    double requests_per_month, tokens_per_month;
    double avg_requests_per_s, peak_requests_per_s;
    struct mtok_workload_row *rows; /* cheapest first; infeasible last */
    size_t n_rows;
    int reference; /* row index of the reference API, -1 = none */
    char reference_note[160];
};

/* Plan the workload. MTOK_EINVAL (err set) for a bad spec or options; never fails because one
 * target cannot run the model (that becomes an infeasible row). */
enum mtok_status mtok_workload_plan_create(struct mtok_workload_plan **out,
                                           const struct mtok_catalog *cat,
                                           const struct mtok_workload_spec *w,
                                           const struct mtok_workload_opts *opts,
                                           struct mtok_error *err);
/* No-op on NULL. */
void mtok_workload_plan_destroy(struct mtok_workload_plan *p);
/* The plan as plain rows for a report (cheapest first): returns n_rows, *rows points into p. */
size_t mtok_workload_plan_rows(const struct mtok_workload_plan *p,
                               const struct mtok_workload_row **rows);
/* The plan as one JSON object (inputs, date, reference, rows, assumptions); caller frees with
 * free(). */
char *mtok_workload_plan_json(const struct mtok_workload_plan *p);
/* Record the plan as one run (kind "cost", args as given) in ONE transaction: a workload_cost row
 * per plan row. Returns the store's status; err says why. */
enum mtok_status mtok_workload_plan_record(struct mtok_store *st, const char *args,
                                           const struct mtok_workload_plan *p, char run_uuid[33],
                                           struct mtok_error *err);

/* ================================================================================================
 * Price snapshots in the database
 * ============================================================================================== */

/* Record `n` prices as one run (kind "prices", args as given, e.g. the URL) in ONE transaction:
 * either every row is written or none. Returns the store's status; err says why. */
enum mtok_status mtok_pricing_record(struct mtok_store *st, const char *args,
                                     const struct mtok_api_price *prices, size_t n,
                                     char run_uuid[33], struct mtok_error *err);

/* ================================================================================================
 * Fetching over HTTP(S)
 * ============================================================================================== */

/* Defaults and limits. */
#define MTOK_FETCH_MAX_BYTES          (16u << 20) /* the body cap, enforced while streaming */
#define MTOK_FETCH_CONNECT_TIMEOUT_MS 10000L
#define MTOK_FETCH_TIMEOUT_MS         60000L
#define MTOK_FETCH_MAX_REDIRECTS      5L

struct mtok_fetch_opts {
    const char *cache_dir;   /* NULL = $MTOK_CACHE_DIR, else $XDG_CACHE_HOME/mtok, else
                                $HOME/.cache/mtok */
    bool no_cache;           /* neither read nor write the cache */
    long connect_timeout_ms; /* 0 = MTOK_FETCH_CONNECT_TIMEOUT_MS */
    long timeout_ms;         /* whole transfer; 0 = MTOK_FETCH_TIMEOUT_MS */
    size_t max_bytes;        /* 0 = MTOK_FETCH_MAX_BYTES (a larger value is clamped to it) */
    const char *ca_file;     /* CA bundle to trust instead of the system's (tests, private CAs);
                                peer and host verification stay on regardless */
    bool offline_fallback;   /* on a network failure, serve the cached copy, then the embedded
                                catalog, with a warning (instead of failing) */
};

/* How a fetch went: for the user's one-line summary or warning and for --json. */
struct mtok_fetch_info {
    long http_status; /* of the last response (200, 304, 404 ...); 0 = no response */
    bool from_cache;  /* the body came from the on-disk cache (304, or offline fallback) */
    bool offline;     /* the network failed and a fallback served */
    bool stored;      /* the body was written to the cache */
    bool embedded;    /* offline fallback to the embedded catalog */
    size_t bytes;     /* body size */
    double elapsed_s;
    char etag[256], last_modified[64];
    char content_type[128]; /* as the server said it ("" = not said); informational */
    char cache_path[1024];  /* body file in the cache ("" when not cached) */
    char warning[1024];    /* one line for the user, "" if none */
};

/* Checks a fetched body before it is used or cached: returns MTOK_OK to accept, else adds its
 * diagnostics (named after `url`) and returns MTOK_EINVAL. */
typedef enum mtok_status (*mtok_fetch_check_fn)(void *ctx, const char *url, const char *body,
                                                size_t len, struct mtok_diags *diags);

/* Fetch `url` (http or https only), following at most 5 redirects (to http/https only; from an
 * https URL to https only), with TLS
 * peer and host verification on, the connect and total timeouts, and the size cap enforced as the
 * body streams in (the transfer is aborted the moment it passes the cap). With a cache, a stored
 * copy is revalidated (If-None-Match / If-Modified-Since) and a 304 serves it. The body is
 * passed to `check` (may be NULL) and only an accepted body is written to the cache or returned.
 * On success *body (NUL-terminated, caller frees) and *len. On failure: MTOK_ENET (transport, HTTP
 * status other than 200/304), MTOK_EINVAL (bad URL, rejected body), MTOK_EIO (cache); every
 * diagnostic line starts with the URL; nothing is written to the cache. `info` may be NULL.
 * Offline fallback to the cache applies when opts->offline_fallback; there is no embedded fallback
 * at this level. Thread-safe (each call has its own handle; libcurl runs with CURLOPT_NOSIGNAL, so
 * a process that fetches over TLS should ignore SIGPIPE, as the mtok CLI does). */
enum mtok_status mtok_fetch(const char *url, const struct mtok_fetch_opts *opts,
                            mtok_fetch_check_fn check, void *ctx, char **body, size_t *len,
                            struct mtok_fetch_info *info, struct mtok_diags *diags);

/* A response as it arrived, for mtok_fetch_handle: the HTTP status, the header fields
 * mtok_fetch_header_line picked out of the head, and the body (any bytes). */
struct mtok_fetch_response {
    long status;      /* 200, 304, 404 ...; 0 = no response */
    char reason[128]; /* the status line's reason phrase ("Not Found"), "" if none */
    char etag[256], last_modified[64], content_type[128]; /* "" = absent; longer values are cut */
    const char *body; /* len bytes, not necessarily NUL-terminated; may be NULL when len is 0 */
    size_t len;
};

/* Feed one line of a response head (a status line "HTTP/1.1 404 Not Found" or a header "Name:
 * value", with or without its CR LF; n bytes, not NUL-terminated) into r: a status line starts a
 * new response (after a redirect) and clears the fields; ETag, Last-Modified and Content-Type
 * (case-insensitive names) are kept, trimmed. r->status is not parsed here (libcurl reports it). */
void mtok_fetch_header_line(struct mtok_fetch_response *r, const char *line, size_t n);

/* Everything mtok_fetch does once a transfer has completed, for a response given as data: 304 with
 * a valid cached copy serves that copy; 200 a body within the cap (opts->max_bytes); any other
 * status fails with "HTTP STATUS REASON". The body then goes to `check` (may be NULL) and, only
 * when accepted, to the cache (a fresh body, with its ETag and Last-Modified) and to *body
 * (NUL-terminated, caller frees) and *len. A cached copy that `check` refuses is removed from the
 * cache. Errors as for mtok_fetch (every diagnostic line starts with the URL; a rejected response
 * writes nothing to the cache). mtok_fetch calls it for every completed transfer; tests and the
 * fuzzer call it without a network. `info` may be NULL. Reentrant. */
enum mtok_status mtok_fetch_handle(const char *url, const struct mtok_fetch_opts *opts,
                                   const struct mtok_fetch_response *r, mtok_fetch_check_fn check,
                                   void *ctx, char **body, size_t *len,
                                   struct mtok_fetch_info *info, struct mtok_diags *diags);

/* True for a string that mtok_fetch would try (http:// or https://, case-insensitive). --model and
 * price-book arguments use this to choose between a catalog id, a path and a URL. */
bool mtok_fetch_is_url(const char *s);

/* The cache directory opts would use (without creating it), into buf. "" when none can be found. */
void mtok_fetch_cache_dir(const struct mtok_fetch_opts *opts, char *buf, size_t n);

/* Fetch a config.json (checked by mtok_model_parse, named after the URL, which becomes its id) and
 * add it to `cat`; *out points into the catalog. With opts->offline_fallback and a network failure,
 * serves the cached copy, or else the embedded catalog model whose HuggingFace repo appears in the
 * URL ("/org/name/"), and says so in info->warning. */
enum mtok_status mtok_fetch_model(struct mtok_catalog *cat, const char *url,
                                  const struct mtok_fetch_opts *opts, const struct mtok_model **out,
                                  struct mtok_fetch_info *info, struct mtok_diags *diags);

/* Fetch a price book (checked like data/prices/api.json against `cat`). On success *out holds *n
 * prices owned by the caller (mtok_api_prices_free, or give them to mtok_catalog_add_prices). With
 * opts->offline_fallback and a network failure with nothing cached: MTOK_OK with *n = 0,
 * info->embedded set and a warning that the embedded price book serves. */
enum mtok_status mtok_fetch_prices(const struct mtok_catalog *cat, const char *url,
                                   const struct mtok_fetch_opts *opts, struct mtok_api_price **out,
                                   size_t *n, struct mtok_fetch_info *info,
                                   struct mtok_diags *diags);

#endif
