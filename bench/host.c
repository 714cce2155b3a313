/* Ceilings as stored rows, and the `host` hardware entry the simulator uses, built from them. */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/internal.h"
#include "catalog/catalog.h"

static const char *flops_unit(const char *dtype)
{
    return strcmp(dtype, "int8") == 0 ? "OP/s" : "FLOP/s";
}

void mtok_ceilings_record(const struct mtok_ceilings *c, const struct mtok_machine *m,
                          struct mtok_run *run)
{
    char name[48];
    for (size_t i = 0; i < c->n_peaks; i++) {
        const struct mtok_ceiling_peak *p = &c->peaks[i];
        snprintf(name, sizeof name, "%s.%s", p->dtype, p->isa);
        mtok_run_add_ceiling(run, &(struct mtok_ceiling_row){"flops", name, NULL, p->threads, 0,
                                                             p->flops_s, flops_unit(p->dtype)});
    }
    /* Best over ISA levels per dtype and thread count. */
    for (size_t i = 0; i < c->n_peaks; i++) {
        const struct mtok_ceiling_peak *p = &c->peaks[i], *best = p;
        bool first = true;
        for (size_t k = 0; k < c->n_peaks; k++) {
            const struct mtok_ceiling_peak *q = &c->peaks[k];
            if (strcmp(q->dtype, p->dtype) != 0 || q->threads != p->threads)
                continue;
            if (k < i)
                first = false;
            if (q->flops_s > best->flops_s)
                best = q;
        }
        if (first)
            mtok_run_add_ceiling(run, &(struct mtok_ceiling_row){"peak", p->dtype, best->isa,
                                                                 p->threads, 0, best->flops_s,
                                                                 flops_unit(p->dtype)});
    }
    for (size_t i = 0; i < c->n_points; i++) {
        const struct mtok_ceiling_point *p = &c->points[i];
        const char *level = p->plateau >= 0 ? c->plateaus[p->plateau].level : NULL;
        mtok_run_add_ceiling(run,
                             &(struct mtok_ceiling_row){"bandwidth", p->pattern, level, p->threads,
                                                        p->bytes, p->bytes_s, "B/s"});
    }
    for (size_t i = 0; i < c->n_plateaus; i++) {
        const struct mtok_ceiling_plateau *p = &c->plateaus[i];
        mtok_run_add_ceiling(run,
                             &(struct mtok_ceiling_row){"plateau", p->pattern, p->level, p->threads,
                                                        p->hi_bytes, p->bytes_s, "B/s"});
    }
    const double sizes[3] = {m->l1d_bytes, m->l2_bytes, m->l3_bytes};
    static const char *const names[3] = {"L1d", "L2", "L3"};
    for (int k = 0; k < 3; k++)
        if (sizes[k] > 0)
            mtok_run_add_ceiling(run, &(struct mtok_ceiling_row){"cache", names[k], NULL, 1,
                                                                 sizes[k], sizes[k], "B"});
}

/* ---- the host entry ---- */

const struct mtok_ceiling_row *bench_ceiling_row(const struct mtok_ceiling_row *rows, size_t n,
                                                 const char *kind, const char *name,
                                                 const char *level, int threads)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(rows[i].kind, kind) == 0 && strcmp(rows[i].name, name) == 0 &&
            rows[i].threads == threads &&
            (!level || (rows[i].level && strcmp(rows[i].level, level) == 0)))
            return &rows[i];
    return NULL;
}

static const char *vendor_of(const char *model)
{
    if (strstr(model, "Intel"))
        return "Intel";
    if (strstr(model, "AMD"))
        return "AMD";
    if (strstr(model, "Apple"))
        return "Apple";
    return "unknown";
}

char *mtok_host_json(const struct mtok_ceiling_row *rows, size_t n, const char *cpu_model,
                     double mem_bytes, const char *run_uuid, const char *date,
                     struct mtok_error *err)
{
    int tmax = 0, tbw = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(rows[i].kind, "peak") == 0 && rows[i].threads > tmax)
            tmax = rows[i].threads;
        if (strcmp(rows[i].kind, "bandwidth") == 0 && strcmp(rows[i].name, "read") == 0 &&
            rows[i].threads > tbw)
            tbw = rows[i].threads;
    }
    const struct mtok_ceiling_row *fp32 = bench_ceiling_row(rows, n, "peak", "fp32", NULL, tmax);
    if (!tmax || !fp32) {
        mtok_error_set(err, MTOK_EINVAL, "run %s has no fp32 peak: not a complete ceilings run",
                       run_uuid);
        return NULL;
    }
    if (!(mem_bytes >= 1e6)) {
        mtok_error_set(err, MTOK_EINVAL, "run %s does not record the machine's memory size",
                       run_uuid);
        return NULL;
    }
    /* Memory bandwidth: the DRAM plateau of the read-only sweep on every thread. */
    const struct mtok_ceiling_row *dram =
        bench_ceiling_row(rows, n, "plateau", "read", "DRAM", tbw);
    const struct mtok_ceiling_row *largest = NULL;
    for (size_t i = 0; i < n; i++)
        if (strcmp(rows[i].kind, "bandwidth") == 0 && strcmp(rows[i].name, "read") == 0 &&
            rows[i].threads == tbw && (!largest || rows[i].bytes > largest->bytes))
            largest = &rows[i];
    if (!dram && !largest) {
        mtok_error_set(err, MTOK_EINVAL, "run %s has no read bandwidth", run_uuid);
        return NULL;
    }
    const struct mtok_ceiling_row *triad =
        bench_ceiling_row(rows, n, "plateau", "triad", "DRAM", tbw);

    char day[11];
    mtok_strlcpy(day, date && strlen(date) >= 10 ? date : "1970-01-01", sizeof day);
    char source[160];
    snprintf(source, sizeof source, "mtok ceilings run %s", run_uuid);

    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", "host");
    char name[200];
    snprintf(name, sizeof name, "%.150s (this machine, measured)",
             cpu_model && *cpu_model ? cpu_model : "unknown CPU");
    cJSON_AddStringToObject(o, "name", name);
    cJSON_AddStringToObject(o, "vendor", vendor_of(cpu_model ? cpu_model : ""));
    cJSON_AddStringToObject(o, "kind", "cpu");

    cJSON *compute = cJSON_AddObjectToObject(o, "compute");
    cJSON *flops = cJSON_AddObjectToObject(compute, "flops");
    struct mtok_buf note = {0};
    mtok_buf_printf(&note,
                    "Empirical peaks on %d thread%s (best over ISA levels, register-resident "
                    "FMA/dot-product chains, best of N):",
                    tmax, tmax > 1 ? "s" : "");
    static const char *const dtypes[] = {"fp64", "fp32", "bf16", "int8"};
    for (int d = 0; d < 4; d++) {
        const struct mtok_ceiling_row *p =
            bench_ceiling_row(rows, n, "peak", dtypes[d], NULL, tmax);
        const struct mtok_ceiling_row *p1 = bench_ceiling_row(rows, n, "peak", dtypes[d], NULL, 1);
        if (p) {
            cJSON_AddNumberToObject(flops, dtypes[d], p->value);
            mtok_buf_printf(&note, " %s %.4g G%s via %s", dtypes[d], p->value / 1e9,
                            d == 3 ? "OP/s" : "FLOP/s", p->level ? p->level : "?");
            if (p1 && tmax > 1)
                mtok_buf_printf(&note, " (1 thread %.4g)", p1->value / 1e9);
            mtok_buf_puts(&note, ";");
        } else if (d == 2) {
            /* No bf16 dot product: bf16 data is widened to fp32 and runs at the fp32 rate. */
            cJSON_AddNumberToObject(flops, "bf16", fp32->value);
            mtok_buf_puts(&note, " bf16: no native dot product (no AVX512-BF16), the fp32 peak "
                                 "applies;");
        } else {
            cJSON_AddNullToObject(flops, dtypes[d]);
        }
    }
    cJSON_AddNullToObject(flops, "fp8");
    cJSON_AddNullToObject(flops, "fp4");
    mtok_buf_puts(&note, " fp8 and fp4: no such arithmetic on this CPU.");
    cJSON_AddStringToObject(compute, "source", source);
    cJSON_AddStringToObject(compute, "date", day);
    cJSON_AddFalseToObject(compute, "uncertain");
    char *s = mtok_buf_steal(&note);
    cJSON_AddStringToObject(compute, "note", s);
    free(s);

    cJSON *mem = cJSON_AddObjectToObject(o, "memory");
    cJSON_AddNumberToObject(mem, "capacity_bytes", mem_bytes);
    cJSON_AddNumberToObject(mem, "bandwidth_bytes_s", dram ? dram->value : largest->value);
    cJSON_AddStringToObject(mem, "source", source);
    cJSON_AddStringToObject(mem, "date", day);
    cJSON_AddFalseToObject(mem, "uncertain");
    if (dram)
        mtok_buf_printf(&note,
                        "DRAM plateau of the read-only working-set sweep on %d thread%s "
                        "(STREAM rules: best of N, first excluded)",
                        tbw, tbw > 1 ? "s" : "");
    else
        mtok_buf_printf(&note,
                        "No DRAM plateau was detected: read bandwidth at the largest "
                        "working set (%.0f MiB) on %d thread%s",
                        largest->bytes / 1048576, tbw, tbw > 1 ? "s" : "");
    if (triad)
        mtok_buf_printf(&note, "; STREAM triad %.4g GB/s", triad->value / 1e9);
    mtok_buf_puts(&note, ". Capacity: physical memory.");
    s = mtok_buf_steal(&note);
    cJSON_AddStringToObject(mem, "note", s);
    free(s);

    char *json = cJSON_Print(o);
    cJSON_Delete(o);
    if (!json)
        mtok_error_set(err, MTOK_ENOMEM, "cannot print the host entry");
    return json;
}

enum mtok_status mtok_host_load(struct mtok_catalog *cat, struct mtok_store *st,
                                const char *fingerprint, struct mtok_diags *diags)
{
    struct mtok_run_summary run;
    enum mtok_status s = mtok_store_run_latest(
        st, &(struct mtok_run_filter){.kind = "ceilings", .fingerprint = fingerprint}, &run);
    if (s != MTOK_OK) {
        mtok_diags_add(diags, "host", "(store)", "%s%s", mtok_store_errmsg(st),
                       s == MTOK_ENOTFOUND ? " (run `mtok ceilings` first)" : "");
        return s;
    }
    struct mtok_ceiling_row *rows = NULL;
    size_t n = 0;
    if ((s = mtok_store_ceilings(st, run.id, &rows, &n)) != MTOK_OK) {
        mtok_diags_add(diags, "host", "(store)", "%s", mtok_store_errmsg(st));
        return s;
    }
    struct mtok_error err = {0};
    char *json =
        mtok_host_json(rows, n, run.cpu_model, run.mem_bytes, run.uuid, run.started_at, &err);
    free(rows);
    if (!json) {
        mtok_diags_add(diags, "host", "(store)", "%s", err.msg);
        return err.code;
    }
    char name[64];
    snprintf(name, sizeof name, "host (run %.8s)", run.uuid);
    s = mtok_catalog_add_hw_json(cat, name, json, strlen(json), diags);
    free(json);
    return s;
}
