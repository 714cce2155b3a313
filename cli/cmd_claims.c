/* mtok claims */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "claims/claims.h"
#include "cli/cli.h"
#include "cli/sim_json.h"

static const char *val(char *buf, size_t n, const struct mtok_claim_result *r, double v)
{
    if (isnan(v))
        snprintf(buf, n, "-");
    else if (r->is_bool)
        snprintf(buf, n, "%s", v != 0 ? "true" : "false");
    else if (strcmp(r->unit, "bytes") == 0)
        snprintf(buf, n, "%.4g GB", v / 1e9);
    else if (strcmp(r->unit, "parameters") == 0)
        snprintf(buf, n, "%.4g B", v / 1e9);
    else
        snprintf(buf, n, "%.4g", v);
    return buf;
}

int cli_claims(struct cli *c, int argc, char **argv)
{
    char *pos[1];
    if (cli_parse(c, argc, argv, NULL, 0, pos, 0) < 0)
        return CLI_ERROR;
    struct mtok_catalog *cat = cli_catalog(c);
    if (!cat)
        return CLI_ERROR;
    struct mtok_sim_defaults *def = cli_sim_defaults(c);
    if (!def)
        return CLI_ERROR;
    struct mtok_diags d = {0};
    struct mtok_claims *set = NULL;
    if (mtok_claims_load(&set, c->data_dir, cat, &d) != MTOK_OK) {
        int rc = cli_fail_diags(c, &d);
        mtok_diags_free(&d);
        mtok_sim_defaults_destroy(def);
        return rc;
    }
    size_t n = mtok_claims_count(set);
    size_t counts[3] = {0};
    cJSON *arr = c->json ? cJSON_CreateArray() : NULL;
    struct cli_table *t = NULL;
    static const char *const hdr[] = {"claim", "article", "stated", "computed", "verdict"};
    if (!c->json)
        t = cli_table_create(5, hdr);
    struct mtok_claim_result *rs = mtok_xcalloc(n + 1, sizeof *rs);
    for (size_t i = 0; i < n; i++) {
        struct mtok_claim_result *r = &rs[i];
        mtok_claims_evaluate(set, def, i, r);
        counts[r->verdict]++;
        char s1[64], s2[64];
        if (arr) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "id", r->id);
            cJSON_AddStringToObject(o, "claim", r->claim);
            cJSON_AddStringToObject(o, "article", r->article);
            cJSON_AddStringToObject(o, "article_title", r->article_title);
            cJSON_AddStringToObject(o, "article_date", r->article_date);
            cJSON_AddStringToObject(o, "metric", r->metric);
            cJSON_AddStringToObject(o, "unit", r->unit);
            if (r->is_bool) {
                cJSON_AddBoolToObject(o, "stated", r->stated != 0);
                if (isnan(r->computed))
                    cJSON_AddNullToObject(o, "computed");
                else
                    cJSON_AddBoolToObject(o, "computed", r->computed != 0);
            } else {
                cJSON_AddNumberToObject(o, "stated", r->stated);
                if (isnan(r->computed))
                    cJSON_AddNullToObject(o, "computed");
                else
                    cJSON_AddNumberToObject(o, "computed", r->computed);
                cJSON_AddNumberToObject(o, "tolerance", r->tolerance);
                cJSON_AddStringToObject(o, "compare", r->compare);
            }
            cJSON_AddStringToObject(o, "verdict", mtok_verdict_name(r->verdict));
            cJSON_AddStringToObject(o, "detail", r->detail);
            cJSON_AddItemToArray(arr, o);
        } else {
            cli_table_row(t, r->id, r->article, val(s1, sizeof s1, r, r->stated),
                          val(s2, sizeof s2, r, r->computed), mtok_verdict_name(r->verdict));
        }
    }
    if (arr) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddItemToObject(o, "claims", arr);
        cJSON *s = cJSON_AddObjectToObject(o, "summary");
        cJSON_AddNumberToObject(s, "claims", (double)n);
        cJSON_AddNumberToObject(s, "consistent", (double)counts[MTOK_VERDICT_CONSISTENT]);
        cJSON_AddNumberToObject(s, "inconsistent", (double)counts[MTOK_VERDICT_INCONSISTENT]);
        cJSON_AddNumberToObject(s, "unverifiable", (double)counts[MTOK_VERDICT_UNVERIFIABLE]);
        cJSON_AddStringToObject(
            o, "flops_counting",
            "flops_ratio compares FLOPs to decode one token at the stated context on one device: "
            "matrix FLOPs (2 per multiply-add) of every GEMM incl. the LM head, of the attention "
            "core over the positions it reads and of the lightning indexer over the keys it "
            "scores; each FLOP counts once whatever its precision (equivalent FP8 FLOPs: FP4 x FP8 "
            "runs at the FP8 rate on current hardware); softmax and element-wise work excluded");
        cJSON_AddStringToObject(o, "kv_counting",
                                "kv_ratio compares the KV cache of one sequence at the stated "
                                "context in each model's native serving layout (V3.2 656 B + "
                                "132 B indexer key per token per layer; V4 584 B compressed "
                                "entries + 68 B FP4 indexer keys + the fixed sliding-window and "
                                "compressor state), see data/sim/defaults.json kv_cache");
        cli_print_json(c, o);
    } else {
        cli_table_print(t, c->out);
        cli_table_destroy(t);
        fprintf(c->out, "\n%zu claims: %zu consistent, %zu inconsistent, %zu unverifiable\n\n", n,
                counts[0], counts[1], counts[2]);
        for (size_t i = 0; i < n; i++)
            fprintf(c->out, "%s (%s): %s\n  %s\n", rs[i].id, mtok_verdict_name(rs[i].verdict),
                    rs[i].claim, rs[i].detail);
    }
    free(rs);
    mtok_claims_destroy(set);
    mtok_sim_defaults_destroy(def);
    return CLI_OK;
}
