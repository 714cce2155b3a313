/* Suites and sweeps: a suite file lists the values of each input; the sweep evaluates their
 * product. Work is split by plan (model x hardware x deployment x precision x MTP x lengths), each
 * plan evaluated at every batch, so a plan is built once per thread-task and the batches reuse it.
 * Like defaults.c this borrows catalog/'s strict JSON checker for `FILE: FIELD: problem` lines. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/internal.h"
#include "sim/internal.h"

struct suite_dep {
    int tp, ep, dp, pp, prefill_gpus, decode_gpus;
};

struct suite_len {
    double isl, osl;
};

struct mtok_suite {
    char *name, *file;
    const struct mtok_model **models;
    size_t n_models;
    const struct mtok_hw **hw;
    size_t n_hw;
    struct suite_dep *deps;
    size_t n_deps;
    char **wprec, **kvprec;
    size_t n_wprec, n_kvprec;
    int *mtp;
    size_t n_mtp;
    double *batch;
    size_t n_batch;
    struct suite_len *lens;
    size_t n_lens;
};

const char *mtok_suite_name(const struct mtok_suite *s) { return s->name; }

size_t mtok_suite_points(const struct mtok_suite *s)
{
    return s->n_models * s->n_hw * s->n_deps * s->n_wprec * s->n_kvprec * s->n_mtp * s->n_batch *
           s->n_lens;
}

static void free_strs(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

void mtok_suite_destroy(struct mtok_suite *s)
{
    if (!s)
        return;
    free(s->name), free(s->file);
    free(s->models), free(s->hw), free(s->deps);
    free_strs(s->wprec, s->n_wprec);
    free_strs(s->kvprec, s->n_kvprec);
    free(s->mtp), free(s->batch), free(s->lens);
    free(s);
}

/* A required non-empty array of at most max entries. */
static const cJSON *list(struct ck *ck, const cJSON *root, const char *key, int max, int *n)
{
    const cJSON *a = ck_array(ck, root, "", key, CK_REQUIRED);
    *n = a ? cJSON_GetArraySize(a) : 0;
    if (a && *n == 0)
        ck_fail(ck, "", key, "is empty");
    if (a && *n > max)
        ck_fail(ck, "", key, "has %d entries (at most %d)", *n, max);
    return a && *n > 0 && *n <= max ? a : NULL;
}

static bool valid_wprec(const char *s)
{
    struct mtok_model fake = {.wprec_dense = MTOK_BF16, .wprec_expert = MTOK_BF16,
                              .wprec_embed = MTOK_BF16};
    struct mtok_prec p;
    return mtok_prec_resolve(&fake, s, NULL, &p, NULL) == MTOK_OK;
}

static void parse_strings(struct ck *ck, const cJSON *root, const char *key, char ***out,
                          size_t *n_out, bool wprec)
{
    int n;
    const cJSON *a = list(ck, root, key, 64, &n);
    *out = mtok_xcalloc((size_t)n + 1, sizeof **out);
    const cJSON *e;
    int i = 0;
    cJSON_ArrayForEach(e, a)
    {
        char path[48];
        snprintf(path, sizeof path, "%s[%d]", key, i++);
        if (!cJSON_IsString(e) || strlen(e->valuestring) > 40) {
            ck_fail(ck, "", path, "expected a short string");
            continue;
        }
        const char *v = e->valuestring;
        bool ok = wprec ? valid_wprec(v)
                        : (!strcmp(v, "native") || !strcmp(v, "bf16") || !strcmp(v, "fp8"));
        if (!ok) {
            ck_fail(ck, "", path, wprec ? "\"%s\" is not native, a dtype or EXPERTS/DENSE"
                                        : "\"%s\" is not native, bf16 or fp8", v);
            continue;
        }
        (*out)[(*n_out)++] = mtok_xstrdup(v);
    }
}

static bool whole(const cJSON *v, double lo, double hi)
{
    return cJSON_IsNumber(v) && v->valuedouble == floor(v->valuedouble) && v->valuedouble >= lo &&
           v->valuedouble <= hi;
}

enum mtok_status mtok_suite_parse(struct mtok_suite **out, const char *name, const char *json,
                                  size_t len, const struct mtok_catalog *cat,
                                  struct mtok_diags *diags)
{
    *out = NULL;
    struct ck ck = {.file = name, .d = diags};
    cJSON *root = ck_parse(&ck, json, len);
    if (!root)
        return MTOK_EINVAL;
    struct mtok_suite *s = mtok_xcalloc(1, sizeof *s);
    if (!cJSON_IsObject(root)) {
        ck_fail(&ck, "", NULL, "is not a JSON object");
        goto done;
    }
    if (cJSON_GetObjectItemCaseSensitive(root, "bench")) {
        ck_fail(&ck, "", "bench", "is a benchmark suite: run it with mtok bench --suite");
        goto done;
    }
    static const char *const known[] = {"suite", "description", "models", "hardware",
                                        "deployments", "wprec", "kvprec", "mtp", "batch",
                                        "lengths", "note", NULL};
    ck_known_keys(&ck, root, "", known);
    ck_id(&ck, root, "", "suite", &s->name);
    char *desc = NULL;
    ck_string(&ck, root, "", "description", CK_OPTIONAL, 2000, &desc);
    free(desc);
    int n;
    const cJSON *a, *e;
    int i;

    a = list(&ck, root, "models", 1000, &n);
    s->models = mtok_xcalloc((size_t)n + 1, sizeof *s->models);
    i = 0;
    cJSON_ArrayForEach(e, a)
    {
        char path[32];
        snprintf(path, sizeof path, "models[%d]", i++);
        const struct mtok_model *m = cJSON_IsString(e) ? mtok_catalog_model(cat, e->valuestring)
                                                       : NULL;
        if (!m)
            ck_fail(&ck, "", path, "is not a catalog model id (see mtok models)");
        else
            s->models[s->n_models++] = m;
    }
    a = list(&ck, root, "hardware", 1000, &n);
    s->hw = mtok_xcalloc((size_t)n + 1, sizeof *s->hw);
    i = 0;
    cJSON_ArrayForEach(e, a)
    {
        char path[32];
        snprintf(path, sizeof path, "hardware[%d]", i++);
        const struct mtok_hw *h = cJSON_IsString(e) ? mtok_catalog_hw(cat, e->valuestring) : NULL;
        if (!h)
            ck_fail(&ck, "", path, "is not a hardware id (see mtok hw)");
        else
            s->hw[s->n_hw++] = h;
    }
    a = list(&ck, root, "deployments", 1000, &n);
    s->deps = mtok_xcalloc((size_t)n + 1, sizeof *s->deps);
    i = 0;
    cJSON_ArrayForEach(e, a)
    {
        char path[32];
        snprintf(path, sizeof path, "deployments[%d]", i++);
        if (!cJSON_IsObject(e)) {
            ck_fail(&ck, "", path, "is not an object");
            continue;
        }
        static const char *const known_d[] = {"tp", "ep", "dp", "pp", "prefill_gpus",
                                              "decode_gpus", "note", NULL};
        ck_known_keys(&ck, e, path, known_d);
        struct suite_dep d = {1, 1, 1, 1, 0, 0};
        size_t before = ck.errors;
        ck_int(&ck, e, path, "tp", CK_OPTIONAL, 1, 4096, &d.tp);
        ck_int(&ck, e, path, "ep", CK_OPTIONAL, 1, 4096, &d.ep);
        ck_int(&ck, e, path, "dp", CK_OPTIONAL, 1, 4096, &d.dp);
        ck_int(&ck, e, path, "pp", CK_OPTIONAL, 1, 256, &d.pp);
        ck_int(&ck, e, path, "prefill_gpus", CK_OPTIONAL, 1, 1 << 20, &d.prefill_gpus);
        ck_int(&ck, e, path, "decode_gpus", CK_OPTIONAL, 1, 1 << 20, &d.decode_gpus);
        if (ck.errors != before)
            continue;
        int gpus = d.tp * d.dp * d.pp;
        if ((d.tp * d.dp) % d.ep != 0)
            ck_fail(&ck, path, "ep", "%d does not divide tp x dp = %d", d.ep, d.tp * d.dp);
        else if ((d.prefill_gpus > 0) != (d.decode_gpus > 0))
            ck_fail(&ck, path, "prefill_gpus", "needs decode_gpus too (and the reverse)");
        else if (d.prefill_gpus && (d.prefill_gpus % gpus || d.decode_gpus % gpus))
            ck_fail(&ck, path, "prefill_gpus",
                    "prefill and decode GPUs must be multiples of tp x dp x pp = %d", gpus);
        else
            s->deps[s->n_deps++] = d;
    }
    parse_strings(&ck, root, "wprec", &s->wprec, &s->n_wprec, true);
    parse_strings(&ck, root, "kvprec", &s->kvprec, &s->n_kvprec, false);
    a = list(&ck, root, "mtp", 16, &n);
    s->mtp = mtok_xcalloc((size_t)n + 1, sizeof *s->mtp);
    i = 0;
    cJSON_ArrayForEach(e, a)
    {
        char path[32];
        snprintf(path, sizeof path, "mtp[%d]", i++);
        if (!whole(e, 0, 16))
            ck_fail(&ck, "", path, "is not an integer in [0, 16]");
        else
            s->mtp[s->n_mtp++] = (int)e->valuedouble;
    }
    a = list(&ck, root, "batch", 10000, &n);
    s->batch = mtok_xcalloc((size_t)n + 1, sizeof *s->batch);
    i = 0;
    cJSON_ArrayForEach(e, a)
    {
        char path[32];
        snprintf(path, sizeof path, "batch[%d]", i++);
        if (!whole(e, 1, 1e7))
            ck_fail(&ck, "", path, "is not an integer in [1, 1e7]");
        else
            s->batch[s->n_batch++] = e->valuedouble;
    }
    a = list(&ck, root, "lengths", 1000, &n);
    s->lens = mtok_xcalloc((size_t)n + 1, sizeof *s->lens);
    i = 0;
    cJSON_ArrayForEach(e, a)
    {
        char path[32];
        snprintf(path, sizeof path, "lengths[%d]", i++);
        if (!cJSON_IsObject(e)) {
            ck_fail(&ck, "", path, "is not an object");
            continue;
        }
        static const char *const known_l[] = {"isl", "osl", "note", NULL};
        ck_known_keys(&ck, e, path, known_l);
        int isl = 0, osl = 0;
        bool ok = ck_int(&ck, e, path, "isl", CK_REQUIRED, 1, 100000000, &isl);
        ok = ck_int(&ck, e, path, "osl", CK_REQUIRED, 1, 100000000, &osl) && ok;
        if (ok)
            s->lens[s->n_lens++] = (struct suite_len){isl, osl};
    }
    if (ck.errors == 0 && mtok_suite_points(s) > 100000000)
        ck_fail(&ck, "", "batch", "the suite expands to %zu points (at most 1e8)",
                mtok_suite_points(s));
done:
    cJSON_Delete(root);
    if (ck.errors) {
        mtok_suite_destroy(s);
        return MTOK_EINVAL;
    }
    s->file = mtok_xstrdup(name);
    *out = s;
    return MTOK_OK;
}

enum mtok_status mtok_suite_load(struct mtok_suite **out, const char *name_or_path,
                                 const char *data_dir, const struct mtok_catalog *cat,
                                 struct mtok_diags *diags)
{
    *out = NULL;
    size_t n = strlen(name_or_path);
    bool is_path = strchr(name_or_path, '/') || (n > 5 && strcmp(name_or_path + n - 5, ".json") == 0);
    struct mtok_buf path = {0};
    char *json = NULL;
    size_t len = 0;
    enum mtok_status st = MTOK_OK;
    if (!is_path) {
        for (const char *c = name_or_path; *c; c++)
            if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '-' || *c == '_' ||
                  *c == '.')) {
                mtok_diags_add(diags, "--suite", name_or_path,
                               "not a suite name ([a-z0-9._-]) nor a path to a suite file");
                return MTOK_EINVAL;
            }
        if (data_dir)
            mtok_buf_printf(&path, "%s/suites/%s.json", data_dir, name_or_path);
        else
            mtok_buf_printf(&path, "data/suites/%s.json", name_or_path);
    } else {
        mtok_buf_puts(&path, name_or_path);
    }
    if (!is_path && !data_dir) {
        const struct mtok_blob *b = mtok_embedded_find(path.data);
        if (!b) {
            mtok_diags_add(diags, "--suite", name_or_path, "no such suite in data/suites");
            st = MTOK_ENOTFOUND;
        } else {
            json = mtok_xmalloc(b->size + 1);
            memcpy(json, b->data, b->size + 1);
            len = b->size;
        }
    } else {
        st = mtok_file_read_diag(path.data, MTOK_CATALOG_MAX_FILE, &json, &len, diags);
    }
    if (st == MTOK_OK)
        st = mtok_suite_parse(out, path.data, json, len, cat, diags);
    free(json);
    mtok_buf_free(&path);
    return st;
}

/* ---- running ---- */

struct mtok_sweep {
    struct mtok_sweep_row *rows;
    size_t n;
};

void mtok_sweep_destroy(struct mtok_sweep *sw)
{
    if (!sw)
        return;
    free(sw->rows);
    free(sw);
}

size_t mtok_sweep_count(const struct mtok_sweep *sw) { return sw->n; }

const struct mtok_sweep_row *mtok_sweep_row_at(const struct mtok_sweep *sw, size_t i)
{
    return i < sw->n ? &sw->rows[i] : NULL;
}

/* Per-model figures that do not depend on the deployment. */
struct model_fig {
    double total, active, kv_slope;
};

struct job {
    const struct mtok_suite *s;
    const struct mtok_catalog *cat;
    const struct mtok_sim_defaults *d;
    const struct mtok_calib *calib;
    struct mtok_sweep *sw;
    struct model_fig *figs;
    size_t n_tasks;
    atomic_size_t next, done;
    pthread_mutex_t lock; /* serialises progress callbacks */
    void (*progress)(void *arg, size_t done, size_t total);
    void *arg;
};

/* Task index -> its inputs, in the order models, hw, deps, wprec, kvprec, mtp, lengths. */
static void task_inputs(const struct mtok_suite *s, size_t t, size_t idx[7])
{
    const size_t dims[7] = {s->n_models, s->n_hw, s->n_deps, s->n_wprec, s->n_kvprec, s->n_mtp,
                            s->n_lens};
    for (int k = 6; k >= 0; k--) {
        idx[k] = t % dims[k];
        t /= dims[k];
    }
}

static void run_task(struct job *j, size_t t)
{
    const struct mtok_suite *s = j->s;
    size_t idx[7];
    task_inputs(s, t, idx);
    const struct mtok_model *m = s->models[idx[0]];
    const struct mtok_hw *hw = s->hw[idx[1]];
    const struct suite_dep *sd = &s->deps[idx[2]];
    const char *wp = s->wprec[idx[3]], *kp = s->kvprec[idx[4]];
    int mtp = s->mtp[idx[5]];
    const struct suite_len *L = &s->lens[idx[6]];
    struct mtok_deploy dep = mtok_deploy_default();
    dep.tp = sd->tp, dep.ep = sd->ep, dep.dp = sd->dp, dep.pp = sd->pp;
    dep.prefill_gpus = sd->prefill_gpus, dep.decode_gpus = sd->decode_gpus;
    dep.mtp = mtp, dep.isl = L->isl, dep.osl = L->osl;
    struct mtok_error err = {0};
    struct mtok_prec prec;
    struct mtok_plan *plan = NULL;
    enum mtok_status st = mtok_prec_resolve(m, wp, kp, &prec, &err);
    if (st == MTOK_OK)
        st = mtok_plan_create(&plan, m, hw, j->d, j->calib, &prec, &dep, &err);
    double wbytes = st == MTOK_OK ? mtok_sim_weight_bytes(m, &prec, mtp > 0) : 0;
    double flops = st == MTOK_OK ? mtok_sim_flops_per_token(m, j->d, &prec, L->isl + L->osl / 2,
                                                            NULL)
                                 : 0;
    double kv_slope = st == MTOK_OK ? mtok_sim_kv_slope(m, j->d, &prec) : 0;
    const struct model_fig *fig = &j->figs[idx[0]];
    for (size_t b = 0; b < s->n_batch; b++) {
        struct mtok_sweep_row *r = &j->sw->rows[t * s->n_batch + b];
        r->model = m->id;
        r->hw = hw->id;
        r->params_total = fig->total;
        r->params_active = fig->active;
        r->weight_bytes = wbytes;
        r->kv_bytes_per_token = kv_slope;
        r->flops_per_token = flops;
        double batch = s->batch[b];
        char disagg[48] = "";
        if (sd->prefill_gpus)
            snprintf(disagg, sizeof disagg, "|pd%d,%d", sd->prefill_gpus, sd->decode_gpus);
        snprintf(r->key, sizeof r->key, "%s|%s|tp%d-ep%d-dp%d-pp%d%s|w:%s|kv:%s|mtp%d|%g/%g|b%g",
                 m->id, hw->id, sd->tp, sd->ep, sd->dp, sd->pp, disagg, wp, kp, mtp, L->isl, L->osl,
                 batch);
        int len = snprintf(r->deployment, sizeof r->deployment,
                           "{\"gpus\":%d,\"tp\":%d,\"ep\":%d,\"dp\":%d,\"pp\":%d,\"prefill_gpus\":%d,"
                           "\"decode_gpus\":%d,\"wprec\":\"%s\",\"kvprec\":\"%s\",\"mtp\":%d,"
                           "\"isl\":%g,\"osl\":%g,\"batch\":%g",
                           sd->tp * sd->dp * sd->pp, sd->tp, sd->ep, sd->dp, sd->pp,
                           sd->prefill_gpus, sd->decode_gpus, wp, kp, mtp, L->isl, L->osl, batch);
        if (st == MTOK_OK) {
            mtok_serve_point(plan, batch, &r->pt);
            snprintf(r->deployment + len, sizeof r->deployment - (size_t)len, "}");
        } else {
            memset(&r->pt, 0, sizeof r->pt);
            r->pt.batch = batch;
            r->pt.prov = MTOK_PROV_SOL;
            /* the reason, without characters that would need JSON escaping */
            char why[120];
            mtok_strlcpy(why, err.msg, sizeof why);
            for (char *c = why; *c; c++)
                if (*c == '"' || *c == '\\' || (unsigned char)*c < 0x20)
                    *c = '\'';
            snprintf(r->deployment + len, sizeof r->deployment - (size_t)len,
                     ",\"infeasible\":\"%s\"}", why);
        }
    }
    mtok_plan_destroy(plan);
}

static void *worker(void *arg)
{
    struct job *j = arg;
    for (;;) {
        size_t t = atomic_fetch_add(&j->next, 1);
        if (t >= j->n_tasks)
            break;
        run_task(j, t);
        size_t done = atomic_fetch_add(&j->done, 1) + 1;
        if (j->progress && pthread_mutex_trylock(&j->lock) == 0) {
            j->progress(j->arg, done * j->s->n_batch, j->n_tasks * j->s->n_batch);
            pthread_mutex_unlock(&j->lock);
        }
    }
    return NULL;
}

enum mtok_status mtok_sweep_run(struct mtok_sweep **out, const struct mtok_suite *s,
                                const struct mtok_catalog *cat, const struct mtok_sim_defaults *d,
                                const struct mtok_calib *calib, int threads,
                                void (*progress)(void *arg, size_t done, size_t total), void *arg,
                                struct mtok_error *err)
{
    *out = NULL;
    if (threads < 1 || threads > 1024)
        return mtok_error_set(err, MTOK_EINVAL, "-j: %d threads is not in [1, 1024]", threads);
    struct mtok_sweep *sw = mtok_xcalloc(1, sizeof *sw);
    sw->n = mtok_suite_points(s);
    sw->rows = mtok_xcalloc(sw->n + 1, sizeof *sw->rows);
    struct job j = {.s = s, .cat = cat, .d = d, .calib = calib, .sw = sw, .progress = progress,
                    .arg = arg};
    j.n_tasks = sw->n / s->n_batch;
    atomic_init(&j.next, 0);
    atomic_init(&j.done, 0);
    pthread_mutex_init(&j.lock, NULL);
    j.figs = mtok_xcalloc(s->n_models, sizeof *j.figs);
    for (size_t i = 0; i < s->n_models; i++) {
        struct mtok_params p;
        mtok_sim_params(s->models[i], &p);
        j.figs[i] = (struct model_fig){p.total, p.active, 0};
    }
    pthread_t *tid = mtok_xcalloc((size_t)threads, sizeof *tid);
    int started = 0;
    for (int i = 1; i < threads; i++)
        if (pthread_create(&tid[i], NULL, worker, &j) == 0)
            started = i;
        else
            break;
    worker(&j); /* the calling thread works too */
    for (int i = 1; i <= started; i++)
        pthread_join(tid[i], NULL);
    if (progress)
        progress(arg, sw->n, sw->n);
    pthread_mutex_destroy(&j.lock);
    free(tid);
    free(j.figs);
    *out = sw;
    return MTOK_OK;
}
