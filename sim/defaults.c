/* data/sim/defaults.json: the simulator's sourced assumptions, loaded and checked like the other
 * catalogs. This file borrows catalog/'s strict JSON checker (catalog/internal.h) so that its
 * diagnostics read exactly like the catalog's: `FILE: FIELD: problem`, all problems at once. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog/internal.h"
#include "sim/internal.h"

#define DEFAULTS_REL "sim/defaults.json"

void mtok_sim_defaults_destroy(struct mtok_sim_defaults *d)
{
    if (!d)
        return;
    free(d->file);
    for (size_t i = 0; i < d->n_hw_usable; i++)
        free(d->hw_usable_id[i]);
    free(d->hw_usable_id);
    free(d->hw_usable_fraction);
    mtok_calib_destroy(d->calib);
    for (size_t i = 0; i < d->n_formats; i++)
        free(d->formats[i].name);
    free(d->formats);
    free(d->src_memory), free(d->src_efficiency), free(d->src_latency), free(d->src_network);
    free(d->src_precision), free(d->src_kv), free(d->src_serving);
    free(d);
}

double mtok_sim_usable_fraction(const struct mtok_sim_defaults *d, const struct mtok_hw *hw)
{
    for (size_t i = 0; hw && i < d->n_hw_usable; i++)
        if (strcmp(d->hw_usable_id[i], hw->id) == 0)
            return d->hw_usable_fraction[i];
    return d->usable_fraction;
}

/* "group: source" for the assumptions list. */
static char *source_line(struct ck *ck, const cJSON *g, const char *path)
{
    struct mtok_source src = {0};
    char *line = NULL;
    if (ck_source(ck, g, path, &src)) {
        struct mtok_buf b = {0};
        mtok_buf_printf(&b, "%s: %s (%s%s)", path, src.source, src.date,
                        src.uncertain ? ", uncertain" : "");
        line = mtok_buf_steal(&b);
    }
    mtok_source_free(&src);
    return line;
}

static bool get_dtype(struct ck *ck, const cJSON *o, const char *path, const char *key,
                      enum mtok_dtype *out)
{
    char *s = NULL;
    if (!ck_string(ck, o, path, key, CK_REQUIRED, 16, &s))
        return false;
    bool ok = mtok_dtype_parse(s, out) == MTOK_OK;
    if (!ok)
        ck_fail(ck, path, key, "\"%s\" is not a dtype (f32 bf16 f16 fp8 mxfp4 nvfp4 int8 int4)", s);
    free(s);
    return ok;
}

static void parse_memory(struct ck *ck, const cJSON *root, struct mtok_sim_defaults *d)
{
    const char *p = "memory";
    const cJSON *g = ck_object(ck, root, "", p, CK_REQUIRED);
    if (!g)
        return;
    static const char *const known[] = {"usable_fraction", "workspace_bytes",
                                        "activation_bytes_per_token", "prefill_tokens", "per_hw",
                                        "source", "date", "uncertain", "note", NULL};
    ck_known_keys(ck, g, p, known);
    ck_number(ck, g, p, "usable_fraction", CK_REQUIRED, 0.05, 1, &d->usable_fraction);
    ck_number(ck, g, p, "workspace_bytes", CK_REQUIRED, 0, 1e12, &d->workspace_bytes);
    ck_number(ck, g, p, "activation_bytes_per_token", CK_REQUIRED, 0, 1e4, &d->act_bytes_per_token);
    ck_number(ck, g, p, "prefill_tokens", CK_REQUIRED, 1, 1e8, &d->prefill_tokens);
    const cJSON *a = ck_array(ck, g, p, "per_hw", CK_OPTIONAL);
    int n = a ? cJSON_GetArraySize(a) : 0;
    d->hw_usable_id = mtok_xcalloc((size_t)n + 1, sizeof *d->hw_usable_id);
    d->hw_usable_fraction = mtok_xcalloc((size_t)n + 1, sizeof *d->hw_usable_fraction);
    int i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, a)
    {
        char ep[48];
        snprintf(ep, sizeof ep, "memory.per_hw[%d]", i++);
        static const char *const known_e[] = {"hw", "usable_fraction", "note", NULL};
        ck_known_keys(ck, e, ep, known_e);
        char *id = NULL;
        double f = 0;
        bool ok = ck_id(ck, e, ep, "hw", &id);
        ok = ck_number(ck, e, ep, "usable_fraction", CK_REQUIRED, 0.05, 1, &f) && ok;
        if (ok) {
            d->hw_usable_id[d->n_hw_usable] = id;
            d->hw_usable_fraction[d->n_hw_usable++] = f;
        } else {
            free(id);
        }
    }
    d->src_memory = source_line(ck, g, p);
}

static void parse_efficiency(struct ck *ck, const cJSON *root, struct mtok_sim_defaults *d)
{
    const char *p = "efficiency";
    const cJSON *g = ck_object(ck, root, "", p, CK_REQUIRED);
    if (!g)
        return;
    static const char *const known[] = {"entries", "source", "date", "uncertain", "note", NULL};
    ck_known_keys(ck, g, p, known);
    const cJSON *a = ck_array(ck, g, p, "entries", CK_REQUIRED);
    bool have_memory = false, have_network = false;
    int i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, a)
    {
        char ep[48];
        snprintf(ep, sizeof ep, "efficiency.entries[%d]", i++);
        static const char *const known_e[] = {"op", "bound", "dtype", "hw", "u", "source", "note",
                                              NULL};
        ck_known_keys(ck, e, ep, known_e);
        char *op = NULL, *bound = NULL, *dtype = NULL, *hw = NULL, *src = NULL;
        double u = 0;
        size_t before = ck->errors;
        ck_string(ck, e, ep, "op", CK_REQUIRED, 32, &op);
        ck_string(ck, e, ep, "bound", CK_REQUIRED, 16, &bound);
        ck_string(ck, e, ep, "dtype", CK_OPTIONAL, 16, &dtype);
        ck_string(ck, e, ep, "hw", CK_OPTIONAL, 64, &hw);
        ck_string(ck, e, ep, "source", CK_REQUIRED, 1000, &src);
        ck_number(ck, e, ep, "u", CK_REQUIRED, 0.01, 1.5, &u);
        enum mtok_op_kind kind = MTOK_OP_KIND_COUNT;
        enum mtok_bound b = MTOK_BOUND_COMPUTE;
        enum mtok_dtype dt = MTOK_DTYPE_COUNT;
        if (op && strcmp(op, "*") != 0 && mtok_op_kind_parse(op, &kind) != MTOK_OK)
            ck_fail(ck, ep, "op", "\"%s\" is not an op kind (gemm grouped_gemm attention indexer "
                                  "scan elementwise move collective, or *)", op);
        if (bound && mtok_bound_parse(bound, &b) != MTOK_OK)
            ck_fail(ck, ep, "bound", "\"%s\" is not compute, memory or network", bound);
        if (dtype && strcmp(dtype, "*") != 0 && mtok_dtype_parse(dtype, &dt) != MTOK_OK)
            ck_fail(ck, ep, "dtype", "\"%s\" is not a dtype", dtype);
        if (ck->errors == before) {
            struct mtok_error err = {0};
            if (mtok_calib_add(d->calib, hw, kind, dt, b, 0, u, MTOK_PROV_DEFAULT, src, &err) !=
                MTOK_OK)
                ck_fail(ck, ep, "u", "%s", err.msg);
            have_memory = have_memory || (b == MTOK_BOUND_MEMORY && kind == MTOK_OP_KIND_COUNT);
            have_network = have_network || b == MTOK_BOUND_NETWORK;
        }
        free(op), free(bound), free(dtype), free(hw), free(src);
    }
    if (a && !have_memory)
        ck_fail(ck, p, "entries", "needs an entry with op \"*\" and bound \"memory\"");
    if (a && !have_network)
        ck_fail(ck, p, "entries", "needs an entry with bound \"network\"");
    d->src_efficiency = source_line(ck, g, p);
}

static void parse_latency(struct ck *ck, const cJSON *root, struct mtok_sim_defaults *d)
{
    const char *p = "latency";
    const cJSON *g = ck_object(ck, root, "", p, CK_REQUIRED);
    if (!g)
        return;
    static const char *const known[] = {"per_op_s", "source", "date", "uncertain", "note", NULL};
    ck_known_keys(ck, g, p, known);
    const cJSON *o = ck_object(ck, g, p, "per_op_s", CK_REQUIRED);
    if (o) {
        for (int k = 0; k < MTOK_OP_KIND_COUNT; k++)
            ck_number(ck, o, "latency.per_op_s", mtok_op_kind_name((enum mtok_op_kind)k),
                      CK_REQUIRED, 0, 1, &d->op_latency_s[k]);
        for (const cJSON *c = o->child; c; c = c->next) {
            enum mtok_op_kind k;
            if (mtok_op_kind_parse(c->string, &k) != MTOK_OK)
                ck_fail(ck, "latency.per_op_s", c->string, "is not an op kind");
        }
    }
    d->src_latency = source_line(ck, g, p);
}

static void parse_network(struct ck *ck, const cJSON *root, struct mtok_sim_defaults *d)
{
    const char *p = "network";
    const cJSON *g = ck_object(ck, root, "", p, CK_REQUIRED);
    if (!g)
        return;
    static const char *const known[] = {"scale_up_alpha_s", "scale_out_alpha_s", "overlap_tp",
                                        "overlap_ep", "source", "date", "uncertain", "note", NULL};
    ck_known_keys(ck, g, p, known);
    ck_number(ck, g, p, "scale_up_alpha_s", CK_REQUIRED, 0, 1, &d->alpha_up_s);
    ck_number(ck, g, p, "scale_out_alpha_s", CK_REQUIRED, 0, 1, &d->alpha_out_s);
    ck_number(ck, g, p, "overlap_tp", CK_REQUIRED, 0, 1, &d->overlap_tp);
    ck_number(ck, g, p, "overlap_ep", CK_REQUIRED, 0, 1, &d->overlap_ep);
    d->src_network = source_line(ck, g, p);
}

static void parse_precision(struct ck *ck, const cJSON *root, struct mtok_sim_defaults *d)
{
    const char *p = "precision";
    const cJSON *g = ck_object(ck, root, "", p, CK_REQUIRED);
    if (!g)
        return;
    static const char *const known[] = {"weights", "attention_compute", "source", "date",
                                        "uncertain", "note", NULL};
    ck_known_keys(ck, g, p, known);
    bool seen[MTOK_DTYPE_COUNT] = {0};
    for (int k = 0; k < MTOK_DTYPE_COUNT; k++)
        d->act_for[k] = d->compute_for[k] = (enum mtok_dtype)k;
    const cJSON *a = ck_array(ck, g, p, "weights", CK_REQUIRED);
    int i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, a)
    {
        char ep[48];
        snprintf(ep, sizeof ep, "precision.weights[%d]", i++);
        static const char *const known_e[] = {"weight", "activation", "compute", "note", NULL};
        ck_known_keys(ck, e, ep, known_e);
        enum mtok_dtype w, act, comp;
        bool ok = get_dtype(ck, e, ep, "weight", &w);
        ok = get_dtype(ck, e, ep, "activation", &act) && ok;
        ok = get_dtype(ck, e, ep, "compute", &comp) && ok;
        if (!ok)
            continue;
        if (seen[w])
            ck_fail(ck, ep, "weight", "%s appears twice", mtok_dtype_name(w));
        seen[w] = true;
        d->act_for[w] = act;
        d->compute_for[w] = comp;
    }
    get_dtype(ck, g, p, "attention_compute", &d->attn_compute);
    d->src_precision = source_line(ck, g, p);
}

static int find_format(const struct mtok_sim_defaults *d, const char *name)
{
    for (size_t i = 0; i < d->n_formats; i++)
        if (strcmp(d->formats[i].name, name) == 0)
            return (int)i;
    return -1;
}

static void parse_kv(struct ck *ck, const cJSON *root, struct mtok_sim_defaults *d)
{
    const char *p = "kv_cache";
    const cJSON *g = ck_object(ck, root, "", p, CK_REQUIRED);
    if (!g)
        return;
    static const char *const known[] = {"formats", "families", "recurrent_state", "conv_state",
                                        "compressor_tail", "source", "date", "uncertain", "note",
                                        NULL};
    ck_known_keys(ck, g, p, known);
    const cJSON *a = ck_array(ck, g, p, "formats", CK_REQUIRED);
    int n = a ? cJSON_GetArraySize(a) : 0;
    d->formats = mtok_xcalloc((size_t)n + 1, sizeof *d->formats);
    int i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, a)
    {
        char ep[48];
        snprintf(ep, sizeof ep, "kv_cache.formats[%d]", i++);
        static const char *const known_e[] = {"name", "quant", "rope", "tile", "scale_bytes",
                                              "align", "note", NULL};
        ck_known_keys(ck, e, ep, known_e);
        struct mtok_kv_format f = {0};
        size_t before = ck->errors;
        ck_id(ck, e, ep, "name", &f.name);
        get_dtype(ck, e, ep, "quant", &f.quant);
        get_dtype(ck, e, ep, "rope", &f.rope);
        ck_int(ck, e, ep, "tile", CK_REQUIRED, 0, 1 << 16, &f.tile);
        ck_number(ck, e, ep, "scale_bytes", CK_REQUIRED, 0, 64, &f.scale_bytes);
        ck_int(ck, e, ep, "align", CK_REQUIRED, 1, 4096, &f.align);
        if (f.name && find_format(d, f.name) >= 0)
            ck_fail(ck, ep, "name", "\"%s\" is defined twice", f.name);
        if (ck->errors == before)
            d->formats[d->n_formats++] = f;
        else
            free(f.name);
    }
    static const char *const fam_names[MTOK_KVF_COUNT] = {"gqa", "mla", "mla-dsa", "v4"};
    static const char *const prec_keys[MTOK_KVPREC_COUNT] = {"native", "bf16", "fp8"};
    bool seen[MTOK_KVF_COUNT] = {0};
    for (int f = 0; f < MTOK_KVF_COUNT; f++) {
        d->kv_index_format[f] = -1;
        for (int q = 0; q < MTOK_KVPREC_COUNT; q++)
            d->kv_format[f][q] = -1;
    }
    const cJSON *fams = ck_array(ck, g, p, "families", CK_REQUIRED);
    i = 0;
    cJSON_ArrayForEach(e, fams)
    {
        char ep[48];
        snprintf(ep, sizeof ep, "kv_cache.families[%d]", i++);
        static const char *const known_e[] = {"family", "native", "bf16", "fp8", "index_keys",
                                              "note", NULL};
        ck_known_keys(ck, e, ep, known_e);
        char *fam = NULL;
        if (!ck_string(ck, e, ep, "family", CK_REQUIRED, 16, &fam))
            continue;
        int f = 0;
        while (f < MTOK_KVF_COUNT && strcmp(fam, fam_names[f]) != 0)
            f++;
        if (f == MTOK_KVF_COUNT) {
            ck_fail(ck, ep, "family", "\"%s\" is not gqa, mla, mla-dsa or v4", fam);
            free(fam);
            continue;
        }
        free(fam);
        if (seen[f])
            ck_fail(ck, ep, "family", "\"%s\" appears twice", fam_names[f]);
        seen[f] = true;
        for (int q = 0; q <= MTOK_KVPREC_COUNT; q++) {
            const char *key = q < MTOK_KVPREC_COUNT ? prec_keys[q] : "index_keys";
            char *name = NULL;
            if (!ck_string(ck, e, ep, key, q < MTOK_KVPREC_COUNT ? CK_REQUIRED : CK_OPTIONAL, 64,
                           &name) ||
                !name)
                continue;
            int idx = find_format(d, name);
            if (idx < 0)
                ck_fail(ck, ep, key, "\"%s\" is not a format in kv_cache.formats", name);
            else if (q < MTOK_KVPREC_COUNT)
                d->kv_format[f][q] = idx;
            else
                d->kv_index_format[f] = idx;
            free(name);
        }
    }
    for (int f = 0; fams && f < MTOK_KVF_COUNT; f++)
        if (!seen[f])
            ck_fail(ck, p, "families", "has no entry for \"%s\"", fam_names[f]);
    if (fams && d->kv_index_format[MTOK_KVF_MLA_DSA] < 0)
        ck_fail(ck, p, "families", "mla-dsa needs index_keys");
    if (fams && d->kv_index_format[MTOK_KVF_V4] < 0)
        ck_fail(ck, p, "families", "v4 needs index_keys");
    get_dtype(ck, g, p, "recurrent_state", &d->state_dtype);
    get_dtype(ck, g, p, "conv_state", &d->conv_dtype);
    get_dtype(ck, g, p, "compressor_tail", &d->tail_dtype);
    d->src_kv = source_line(ck, g, p);
}

static void parse_serving(struct ck *ck, const cJSON *root, struct mtok_sim_defaults *d)
{
    const char *p = "serving";
    const cJSON *g = ck_object(ck, root, "", p, CK_REQUIRED);
    if (!g)
        return;
    static const char *const known[] = {"mtp_acceptance", "moe_imbalance", "scan_chunk", "source",
                                        "date", "uncertain", "note", NULL};
    ck_known_keys(ck, g, p, known);
    ck_number(ck, g, p, "mtp_acceptance", CK_REQUIRED, 0, 1, &d->mtp_accept);
    ck_number(ck, g, p, "moe_imbalance", CK_REQUIRED, 1, 64, &d->moe_imbalance);
    ck_number(ck, g, p, "scan_chunk", CK_REQUIRED, 1, 65536, &d->scan_chunk);
    d->src_serving = source_line(ck, g, p);
}

enum mtok_status mtok_sim_defaults_parse(struct mtok_sim_defaults **out, const char *name,
                                         const char *json, size_t len, struct mtok_diags *diags)
{
    *out = NULL;
    struct ck ck = {.file = name, .d = diags};
    cJSON *root = ck_parse(&ck, json, len);
    if (!root)
        return MTOK_EINVAL;
    struct mtok_sim_defaults *d = mtok_xcalloc(1, sizeof *d);
    d->calib = mtok_calib_create();
    if (!cJSON_IsObject(root)) {
        ck_fail(&ck, "", NULL, "is not a JSON object");
    } else {
        static const char *const known[] = {"memory", "efficiency", "latency", "network",
                                            "precision", "kv_cache", "serving", "note", NULL};
        ck_known_keys(&ck, root, "", known);
        parse_memory(&ck, root, d);
        parse_efficiency(&ck, root, d);
        parse_latency(&ck, root, d);
        parse_network(&ck, root, d);
        parse_precision(&ck, root, d);
        parse_kv(&ck, root, d);
        parse_serving(&ck, root, d);
    }
    cJSON_Delete(root);
    if (ck.errors) {
        mtok_sim_defaults_destroy(d);
        return MTOK_EINVAL;
    }
    d->file = mtok_xstrdup(name);
    *out = d;
    return MTOK_OK;
}

enum mtok_status mtok_sim_defaults_load(struct mtok_sim_defaults **out, const char *data_dir,
                                        struct mtok_diags *diags)
{
    *out = NULL;
    char *path, *json;
    size_t len;
    enum mtok_status s =
        mtok_data_read(data_dir, DEFAULTS_REL, MTOK_CATALOG_MAX_FILE, &path, &json, &len, diags);
    if (s == MTOK_OK)
        s = mtok_sim_defaults_parse(out, path, json, len, diags);
    free(json);
    free(path);
    return s;
}

double mtok_kv_entry_bytes(const struct mtok_kv_format *f, double quant_dims, double rope_dims)
{
    double b = quant_dims * mtok_dtype_bits(f->quant) / 8 + rope_dims * mtok_dtype_bits(f->rope) / 8;
    if (f->tile > 0)
        b += ceil(quant_dims / f->tile) * f->scale_bytes;
    if (f->align > 1)
        b = ceil(b / f->align) * f->align;
    return b;
}
