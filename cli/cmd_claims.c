/* mtok claims */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "claims/claims.h"
#include "core/core.h"
#include "cli/cli.h"
#include "cli/sim_json.h"

static const char *val(char *buf, size_t n, const struct mtok_claim_result *r, double v)
{
    return mtok_claims_format(buf, n, r->unit, r->is_bool, v);
}

static const char *stated(char *buf, size_t n, const struct mtok_claim_result *r)
{
    char a[48], b[48];
    if (!r->is_range && !r->is_bool && r->compare && strcmp(r->compare, "approx") != 0) {
        snprintf(buf, n, "%s %s", strcmp(r->compare, "ge") == 0 ? ">=" : "<=",
                 val(a, sizeof a, r, r->stated));
        return buf;
    }
    if (!r->is_range)
        return val(buf, n, r, r->stated);
    snprintf(buf, n, "%s-%s", val(a, sizeof a, r, r->stated), val(b, sizeof b, r, r->stated_max));
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
    size_t counts[MTOK_VERDICT_COUNT] = {0};
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
            /* added by issue #8; the keys above keep their meaning */
            cJSON_AddStringToObject(o, "verdict_text", r->verdict_text);
            if (r->is_range)
                cJSON_AddNumberToObject(o, "stated_max", r->stated_max);
            if (isfinite(r->off_by))
                cJSON_AddNumberToObject(o, "off_by", r->off_by);
            else
                cJSON_AddNullToObject(o, "off_by");
            cJSON *cb = cJSON_AddArrayToObject(o, "contradicted_by");
            for (const char *p = r->contradicted_by; *p;) {
                const char *sep = strstr(p, "; ");
                size_t len = sep ? (size_t)(sep - p) : strlen(p);
                char *item = mtok_xmalloc(len + 1);
                memcpy(item, p, len);
                item[len] = '\0';
                cJSON_AddItemToArray(cb, cJSON_CreateString(item));
                free(item);
                p = sep ? sep + 2 : p + len;
            }
            if (r->reason)
                cJSON_AddStringToObject(o, "reason", r->reason);
            else
                cJSON_AddNullToObject(o, "reason");
            if (r->note)
                cJSON_AddStringToObject(o, "note", r->note);
            else
                cJSON_AddNullToObject(o, "note");
            if (r->article_source)
                cJSON_AddStringToObject(o, "source", r->article_source);
            if (r->article_file)
                cJSON_AddStringToObject(o, "article_file", r->article_file);
            cJSON_AddItemToArray(arr, o);
        } else {
            cli_table_row(t, r->id, r->article, stated(s1, sizeof s1, r),
                          val(s2, sizeof s2, r, r->computed), r->verdict_text);
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
        cJSON_AddNumberToObject(s, "contradicted", (double)counts[MTOK_VERDICT_CONTRADICTED]);
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
        fprintf(c->out,
                "\n%zu claims: %zu hold, %zu off, %zu contradicted by another source, %zu not "
                "checkable\n\n",
                n, counts[MTOK_VERDICT_CONSISTENT], counts[MTOK_VERDICT_INCONSISTENT],
                counts[MTOK_VERDICT_CONTRADICTED], counts[MTOK_VERDICT_UNVERIFIABLE]);
        for (size_t i = 0; i < n; i++)
            fprintf(c->out, "%s (%s, %s): %s\n  %s\n", rs[i].id, rs[i].verdict_text, rs[i].article,
                    rs[i].claim, rs[i].detail);
    }
    free(rs);
    mtok_claims_destroy(set);
    mtok_sim_defaults_destroy(def);
    return CLI_OK;
}
