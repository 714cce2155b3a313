/* Training cost: FLOPs of a training run (6 N T + attention + MTP), device-hours at an MFU,
 * dollars, and the MFU a published run implies. Borrows catalog/'s strict JSON checker for
 * data/training/runs.json. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "catalog/internal.h"
#include "pricing/pricing.h"

/* ---- data/training/runs.json ---- */

static void run_free(struct mtok_train_run *r)
{
    free(r->id), free(r->model), free(r->hw);
    mtok_source_free(&r->src);
}

void mtok_train_runs_free(struct mtok_train_runs *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->n; i++)
        run_free(&r->v[i]);
    free(r->v);
    r->v = NULL;
    r->n = 0;
}

enum mtok_status mtok_train_runs_parse(struct mtok_train_runs *out, const char *name,
                                       const char *json, size_t len, const struct mtok_catalog *cat,
                                       struct mtok_diags *diags)
{
    memset(out, 0, sizeof *out);
    struct ck ck = {.file = name, .d = diags};
    cJSON *root = ck_parse(&ck, json, len);
    if (!root)
        return MTOK_EINVAL;
    static const char *const known_root[] = {"runs", "note", NULL};
    const cJSON *arr = NULL;
    if (!cJSON_IsObject(root)) {
        ck_fail(&ck, "", NULL, "is not a JSON object");
    } else {
        ck_known_keys(&ck, root, "", known_root);
        arr = ck_array(&ck, root, "", "runs", CK_REQUIRED);
        if (arr && cJSON_GetArraySize(arr) == 0)
            ck_fail(&ck, "", "runs", "is empty");
    }
    struct mtok_train_runs set = {0};
    int i = 0, n_cal = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, arr)
    {
        char path[32];
        snprintf(path, sizeof path, "runs[%d]", i++);
        if (!cJSON_IsObject(e)) {
            ck_fail(&ck, "", path, "is not an object");
            continue;
        }
        static const char *const known[] = {"id",
                                            "model",
                                            "hw",
                                            "tokens",
                                            "seq_len",
                                            "gpu_hours",
                                            "usd_per_gpu_hour",
                                            "calibration",
                                            "source",
                                            "date",
                                            "uncertain",
                                            "note",
                                            NULL};
        ck_known_keys(&ck, e, path, known);
        struct mtok_train_run r = {0};
        size_t before = ck.errors;
        ck_id(&ck, e, path, "id", &r.id);
        if (ck_string(&ck, e, path, "model", CK_REQUIRED, 64, &r.model) &&
            !mtok_catalog_model(cat, r.model))
            ck_fail(&ck, path, "model", "\"%s\" is not a catalog model id", r.model);
        if (ck_string(&ck, e, path, "hw", CK_OPTIONAL, 64, &r.hw) && r.hw &&
            !mtok_catalog_hw(cat, r.hw))
            ck_fail(&ck, path, "hw", "\"%s\" is not a hardware id", r.hw);
        ck_number(&ck, e, path, "tokens", CK_REQUIRED, 1e6, 1e18, &r.tokens);
        ck_number(&ck, e, path, "seq_len", CK_REQUIRED, 16, 1e8, &r.seq_len);
        ck_number_or_null(&ck, e, path, "gpu_hours", 1, 1e12, &r.gpu_hours);
        ck_number_or_null(&ck, e, path, "usd_per_gpu_hour", 0.001, 1e4, &r.usd_per_gpu_hour);
        ck_bool(&ck, e, path, "calibration", CK_REQUIRED, &r.calibration);
        ck_source(&ck, e, path, &r.src);
        if (r.calibration && ck.errors == before) {
            n_cal++;
            if (!(r.gpu_hours > 0))
                ck_fail(&ck, path, "gpu_hours", "a calibration run needs its GPU-hours");
            if (!r.hw)
                ck_fail(&ck, path, "hw", "a calibration run needs its hardware");
        }
        for (size_t k = 0; r.id && k < set.n; k++)
            if (strcmp(set.v[k].id, r.id) == 0)
                ck_fail(&ck, path, "id", "\"%s\" is also the id of another run", r.id);
        if (ck.errors == before) {
            set.v = mtok_xrealloc(set.v, (set.n + 1) * sizeof *set.v);
            set.v[set.n++] = r;
        } else {
            run_free(&r);
        }
    }
    if (arr && ck.errors == 0 && n_cal != 1)
        ck_fail(&ck, "", "runs", "%d runs are marked \"calibration\": true; exactly one must be",
                n_cal);
    cJSON_Delete(root);
    if (ck.errors) {
        mtok_train_runs_free(&set);
        return MTOK_EINVAL;
    }
    *out = set;
    return MTOK_OK;
}

enum mtok_status mtok_train_runs_load(struct mtok_train_runs *out, const char *data_dir,
                                      const struct mtok_catalog *cat, struct mtok_diags *diags)
{
    memset(out, 0, sizeof *out);
    struct mtok_buf path = {0};
    struct stat sb;
    if (data_dir)
        mtok_buf_printf(&path, "%s/training/runs.json", data_dir);
    /* A user's catalog directory may omit the file: the embedded runs serve. */
    bool embedded = !data_dir || stat(path.data, &sb) != 0;
    enum mtok_status st;
    if (embedded) {
        const struct mtok_blob *b = mtok_embedded_find("data/training/runs.json");
        MTOK_ASSERT(b != NULL);
        st = mtok_train_runs_parse(out, "data/training/runs.json", (const char *)b->data, b->size,
                                   cat, diags);
    } else {
        char *json = NULL;
        size_t len = 0;
        st = mtok_file_read_diag(path.data, MTOK_CATALOG_MAX_FILE, &json, &len, diags);
        if (st == MTOK_OK)
            st = mtok_train_runs_parse(out, path.data, json, len, cat, diags);
        free(json);
    }
    mtok_buf_free(&path);
    return st;
}

const struct mtok_train_run *mtok_train_run_find(const struct mtok_train_runs *r, const char *id)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->v[i].id, id) == 0)
            return &r->v[i];
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(r->v[i].model, id) == 0)
            return &r->v[i];
    return NULL;
}

const struct mtok_train_run *mtok_train_run_calibration(const struct mtok_train_runs *r)
{
    for (size_t i = 0; i < r->n; i++)
        if (r->v[i].calibration)
            return &r->v[i];
    return NULL;
}

/* ---- FLOPs ---- */

struct fsum {
    double attention, mtp;
};

static void fsum_visit(void *arg, const struct mtok_op_cost *c)
{
    struct fsum *f = arg;
    enum mtok_op_kind k = c->op.kind;
    double v = c->op.flops * c->count;
    if (strncmp(c->layer, "mtp:", 4) == 0) {
        if (k == MTOK_OP_GEMM || k == MTOK_OP_GROUPED_GEMM || k == MTOK_OP_ATTENTION ||
            k == MTOK_OP_INDEXER || k == MTOK_OP_SCAN)
            f->mtp += v;
    } else if (k == MTOK_OP_ATTENTION || k == MTOK_OP_INDEXER || k == MTOK_OP_SCAN) {
        f->attention += v;
    }
}

enum mtok_status mtok_train_flops(const struct mtok_model *m, const struct mtok_hw *hw,
                                  const struct mtok_sim_defaults *d, double tokens, double seq_len,
                                  bool with_mtp, struct mtok_train_flops *out,
                                  struct mtok_error *err)
{
    memset(out, 0, sizeof *out);
    if (!(tokens >= 1 && tokens <= 1e18))
        return mtok_error_set(err, MTOK_EINVAL, "tokens: %g is not in [1, 1e18]", tokens);
    if (!(seq_len >= 1 && seq_len <= 1e8))
        return mtok_error_set(err, MTOK_EINVAL, "sequence length: %g is not in [1, 1e8]", seq_len);
    struct mtok_prec prec;
    if (mtok_prec_resolve(m, NULL, NULL, &prec, err) != MTOK_OK)
        return err->code;
    struct mtok_deploy dep = mtok_deploy_default();
    dep.isl = seq_len;
    dep.osl = 1;
    dep.mtp = with_mtp && m->n_mtp > 0 ? 1 : 0;
    struct mtok_plan *plan = NULL;
    if (mtok_plan_create(&plan, m, hw, d, NULL, &prec, &dep, err) != MTOK_OK)
        return err->code;
    struct fsum f = {0};
    mtok_plan_visit(plan, false, 1, seq_len, fsum_visit, &f);
    mtok_plan_destroy(plan);
    struct mtok_params p;
    mtok_sim_params(m, &p);
    out->tokens = tokens;
    out->seq_len = seq_len;
    out->n_active = p.active;
    out->dense = 6 * p.active * tokens;
    out->attention_fwd = f.attention / seq_len;
    out->attention = 3 * out->attention_fwd * tokens;
    if (dep.mtp) {
        /* each MTP layer: its own layer FLOPs (from the plan), the projection of [embedding;
         * hidden] (2D -> D) and one more pass through the shared LM head */
        double D = m->hidden, V = m->vocab;
        out->mtp_layers = m->n_mtp;
        out->mtp_fwd = f.mtp / seq_len + m->n_mtp * (2 * 2 * D * D + 2 * V * D);
        out->mtp = 3 * out->mtp_fwd * tokens;
    }
    out->total = out->dense + out->attention + out->mtp;
    return MTOK_OK;
}

double mtok_hw_peak(const struct mtok_hw *hw, enum mtok_dtype dtype)
{
    switch (dtype) {
    case MTOK_F64: return hw->peak[MTOK_PEAK_FP64];
    case MTOK_F32: return hw->peak[MTOK_PEAK_FP32];
    case MTOK_BF16:
    case MTOK_F16: return hw->peak[MTOK_PEAK_BF16];
    case MTOK_FP8: return hw->peak[MTOK_PEAK_FP8];
    case MTOK_MXFP4:
    case MTOK_NVFP4:
    case MTOK_INT4: return hw->peak[MTOK_PEAK_FP4];
    case MTOK_INT8: return hw->peak[MTOK_PEAK_INT8];
    case MTOK_DTYPE_COUNT: break;
    }
    return 0;
}

enum mtok_status mtok_train_estimate(const struct mtok_train_flops *f, const struct mtok_hw *hw,
                                     enum mtok_dtype dtype, double mfu,
                                     const struct mtok_device_hour *hour,
                                     struct mtok_train_estimate *out, struct mtok_error *err)
{
    memset(out, 0, sizeof *out);
    double peak = mtok_hw_peak(hw, dtype);
    if (!(peak > 0))
        return mtok_error_set(err, MTOK_EINVAL, "%s has no %s peak in its hardware file", hw->id,
                              mtok_dtype_name(dtype));
    if (!(mfu > 0 && mfu <= 1))
        return mtok_error_set(err, MTOK_EINVAL, "MFU %g is not in (0, 1]", mfu);
    out->flops = *f;
    out->hw_id = hw->id;
    out->dtype = dtype;
    out->peak_flops = peak;
    out->mfu = mfu;
    out->device_hours = f->total / (peak * mfu) / 3600;
    if (hour) {
        out->hour = *hour;
        out->usd = out->device_hours * hour->usd_per_hour;
    } else {
        out->usd = NAN;
    }
    return MTOK_OK;
}

enum mtok_status mtok_train_calibrate(const struct mtok_catalog *cat,
                                      const struct mtok_sim_defaults *d,
                                      const struct mtok_train_run *run, enum mtok_dtype dtype,
                                      struct mtok_train_calibration *out, struct mtok_error *err)
{
    memset(out, 0, sizeof *out);
    if (!(run->gpu_hours > 0) || !run->hw)
        return mtok_error_set(err, MTOK_EINVAL,
                              "training run %s has no published GPU-hours and hardware to "
                              "calibrate with",
                              run->id);
    const struct mtok_model *m = mtok_catalog_model(cat, run->model);
    const struct mtok_hw *hw = mtok_catalog_hw(cat, run->hw);
    if (!m || !hw)
        return mtok_error_set(err, MTOK_ENOTFOUND,
                              "training run %s: %s or %s is not in the "
                              "catalog",
                              run->id, run->model, run->hw);
    double peak = mtok_hw_peak(hw, dtype);
    if (!(peak > 0))
        return mtok_error_set(err, MTOK_EINVAL, "%s has no %s peak in its hardware file", hw->id,
                              mtok_dtype_name(dtype));
    if (mtok_train_flops(m, hw, d, run->tokens, run->seq_len, true, &out->flops, err) != MTOK_OK)
        return err->code;
    out->run = run;
    out->dtype = dtype;
    out->peak_flops = peak;
    out->achieved_flops_per_gpu = out->flops.total / (run->gpu_hours * 3600);
    out->mfu = out->achieved_flops_per_gpu / peak;
    snprintf(out->provenance, sizeof out->provenance,
             "calibrated: %s, %.4g M %s GPU-hours for %.4g T tokens at sequence length %.0f "
             "give %.4g FLOPs by mtok's count, %.4g TFLOP/s per GPU = %.1f%% of its %s peak "
             "(data/training/runs.json; source: %.300s)",
             run->id, run->gpu_hours / 1e6, hw->id, run->tokens / 1e12, run->seq_len,
             out->flops.total, out->achieved_flops_per_gpu / 1e12, 100 * out->mfu,
             mtok_dtype_name(dtype), run->src.source);
    return MTOK_OK;
}
