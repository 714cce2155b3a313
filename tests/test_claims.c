/* claims: every claim file loads; each metric against a hand-computed case; verdicts (holds, off,
 * contradicted, not checkable), ranges and `contradicts`; mtok claims --json covers every claim
 * issue #8 lists and keeps its existing keys. */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "claims/claims.h"
#include "cli/cli.h"
#include "pricing/pricing.h"
#include "test.h"

static struct mtok_catalog *cat;
static struct mtok_sim_defaults *def;

static const char head[] = "{\"article\":{\"id\":\"t\",\"title\":\"t\",\"date\":\"2026-01\","
                           "\"source\":\"s\",\"uncertain\":false},\"claims\":[";

/* Results point into their set, so the sets live until the end of the test. */
static struct mtok_claims *kept[64];
static size_t n_kept;

/* Evaluate the claims of a JSON "claims" array body (without brackets); results into r[]. */
static size_t eval_text(const char *body, struct mtok_claim_result *r, size_t max)
{
    struct mtok_buf b = {0};
    mtok_buf_printf(&b, "%s%s]}", head, body);
    struct mtok_diags d = {0};
    struct mtok_claims *set = NULL;
    enum mtok_status st = mtok_claims_parse(&set, "t.json", b.data, b.len, cat, &d);
    CHECK_MSG(st == MTOK_OK, "%s", d.n ? d.lines[0] : "?");
    size_t n = st == MTOK_OK ? mtok_claims_count(set) : 0;
    for (size_t i = 0; i < n && i < max; i++)
        mtok_claims_evaluate(set, def, i, &r[i]);
    if (n_kept < sizeof kept / sizeof *kept)
        kept[n_kept++] = set;
    else
        mtok_claims_destroy(set);
    mtok_diags_free(&d);
    mtok_buf_free(&b);
    return n;
}

static struct mtok_claim_result one(const char *claim)
{
    struct mtok_claim_result r[1];
    memset(r, 0, sizeof r);
    r[0].computed = NAN;
    eval_text(claim, r, 1);
    return r[0];
}

#define CLAIM(stated, check)                                                                       \
    "{\"id\":\"a\",\"claim\":\"c\",\"stated\":" stated ",\"check\":" check "}"

static void test_price_metrics(void)
{
    struct mtok_claim_result r;
    r = one(CLAIM("3.48", "{\"metric\":\"api_price\",\"prices\":[{\"product\":\"deepseek-v4-pro\","
                          "\"date\":\"2026-04-24\",\"token\":\"output\"}],\"tolerance\":0.01}"));
    CHECK(r.computed == 3.48 && r.verdict == MTOK_VERDICT_CONSISTENT);
    CHECK(strcmp(r.verdict_text, "holds") == 0 && isnan(r.off_by));
    /* the effective price during the promotion, and the list price the same day */
    r = one(CLAIM("0.87", "{\"metric\":\"api_price\",\"prices\":[{\"product\":\"deepseek-v4-pro\","
                          "\"date\":\"2026-05-01\",\"token\":\"output\",\"basis\":\"effective\"}],"
                          "\"tolerance\":0.01}"));
    CHECK(r.computed == 0.87);
    r = one(CLAIM("3.48", "{\"metric\":\"api_price\",\"prices\":[{\"product\":\"deepseek-v4-pro\","
                          "\"date\":\"2026-05-01\",\"token\":\"output\"}],\"tolerance\":0.01}"));
    CHECK(r.computed == 3.48);
    /* an off price is contradicted by the book entry it was checked against */
    r = one(CLAIM("15", "{\"metric\":\"api_price\",\"prices\":[{\"product\":\"claude-opus-4.7\","
                        "\"date\":\"2026-05-01\",\"token\":\"input\"}],\"tolerance\":0.5}"));
    CHECK(r.computed == 5 && r.verdict == MTOK_VERDICT_CONTRADICTED);
    CHECK(strstr(r.contradicted_by, "claude-opus-4.7/list/2026-04-30"));
    CHECK_NEAR(r.off_by, 5.0 / 15 - 1, 1e-12);
    /* the article's own entry is left out of the lookup */
    r = one(CLAIM("180", "{\"metric\":\"api_price\",\"prices\":[{\"product\":\"gpt-5.5-pro\","
                         "\"date\":\"2026-05-01\",\"token\":\"output\"}],\"tolerance\":1}"));
    CHECK(r.computed == 180 && strstr(r.detail, "gpt-5.5-pro/list/seed-001"));
    /* ratios: GPT-5.5 output over V4-Pro output, 30 / 3.48 */
    r = one(CLAIM("8.6", "{\"metric\":\"price_ratio\",\"prices\":[{\"product\":\"gpt-5.5\","
                         "\"date\":\"2026-05-01\",\"token\":\"output\"},{\"product\":"
                         "\"deepseek-v4-pro\",\"date\":\"2026-05-01\",\"token\":\"output\"}],"
                         "\"rel_tolerance\":0.05}"));
    CHECK_NEAR(r.computed, 30 / 3.48, 1e-12);
    CHECK(r.verdict == MTOK_VERDICT_CONSISTENT);
    /* a 3:1 blend: (3 x 0.14 + 0.28) / (3 x 1.25 + 10) */
    r = one(CLAIM("0.05", "{\"metric\":\"price_ratio\",\"prices\":[{\"product\":"
                          "\"deepseek-v4-flash\",\"date\":\"2026-04-24\",\"token\":\"blend\","
                          "\"mix\":{\"input\":3,\"output\":1}},{\"product\":\"gpt-5\",\"date\":"
                          "\"2026-04-24\",\"token\":\"blend\",\"mix\":{\"input\":3,\"output\":1}}],"
                          "\"tolerance\":0.01}"));
    CHECK_NEAR(r.computed, (3 * 0.14 + 0.28) / (3 * 1.25 + 10), 1e-12);
    /* the cache-hit cut: 0.0028 / 0.028 */
    r = one(CLAIM("0.1",
                  "{\"metric\":\"price_ratio\",\"prices\":[{\"product\":\"deepseek-v4-flash\","
                  "\"date\":\"2026-04-26\",\"token\":\"cached_input\"},{\"product\":"
                  "\"deepseek-v4-flash\",\"date\":\"2026-04-25\",\"token\":\"cached_input\"}],"
                  "\"tolerance\":0.001}"));
    CHECK_NEAR(r.computed, 0.0028 / 0.028, 1e-12);
    /* the discount: 1 - 0.435 / 1.74 */
    r = one(CLAIM("0.75", "{\"metric\":\"discount\",\"prices\":[{\"product\":\"deepseek-v4-pro\","
                          "\"date\":\"2026-04-27\",\"token\":\"input\"}],\"tolerance\":0.001}"));
    CHECK_NEAR(r.computed, 1 - 0.435 / 1.74, 1e-12);
    /* a workload: 1,000 requests/day x 30 days x (100 x $1.25 + 50 x $10) / 1e6 = $18.75 */
    r = one(CLAIM("18.75", "{\"metric\":\"workload_cost\",\"prices\":[{\"product\":\"gpt-5\","
                           "\"date\":\"2026-01-01\",\"token\":\"input\"}],\"workload\":{"
                           "\"requests_per_day\":1000,\"input_tokens\":100,\"output_tokens\":50,"
                           "\"days_per_month\":30},\"tolerance\":0.001}"));
    CHECK_NEAR(r.computed, 18.75, 1e-12);
    CHECK(strstr(r.detail, "$18.75/month") && strcmp(r.unit, "usd_per_month") == 0);
    /* with half the input hitting the cache ($0.125): 30000 x (50 x 1.25 + 50 x 0.125 + 500) */
    r = one(CLAIM("1", "{\"metric\":\"workload_cost\",\"prices\":[{\"product\":\"gpt-5\","
                       "\"date\":\"2026-01-01\",\"token\":\"input\"}],\"workload\":{"
                       "\"requests_per_day\":1000,\"input_tokens\":100,\"output_tokens\":50,"
                       "\"cache_hit_share\":0.5,\"days_per_month\":30},\"tolerance\":0.001}"));
    CHECK_NEAR(r.computed, 30000 * (50 * 1.25 + 50 * 0.125 + 50 * 10) / 1e6, 1e-12);
    /* no price in force: not checkable, with the reason */
    r = one(CLAIM("1", "{\"metric\":\"api_price\",\"prices\":[{\"product\":\"gpt-5.5\","
                       "\"date\":\"2020-01-01\",\"token\":\"input\"}],\"tolerance\":0.1}"));
    CHECK(r.verdict == MTOK_VERDICT_UNVERIFIABLE && isnan(r.computed) && r.reason);
    CHECK(strcmp(r.verdict_text, "not checkable") == 0);
}

static void test_hw_metrics(void)
{
    const struct mtok_model *flash = mtok_catalog_model(cat, "deepseek-v4-flash");
    const struct mtok_hw *a = mtok_catalog_hw(cat, "b200"), *b = mtok_catalog_hw(cat, "h100-sxm");
    /* throughput_ratio against the simulator called directly */
    struct mtok_prec p;
    struct mtok_error e = {0};
    CHECK(mtok_prec_resolve(flash, NULL, NULL, &p, &e) == MTOK_OK);
    struct mtok_deploy dep = mtok_deploy_default();
    dep.dp = 8, dep.ep = 8;
    struct mtok_plan *pa = NULL, *pb = NULL;
    CHECK(mtok_plan_create(&pa, flash, a, def, NULL, &p, &dep, &e) == MTOK_OK);
    CHECK(mtok_plan_create(&pb, flash, b, def, NULL, &p, &dep, &e) == MTOK_OK);
    struct mtok_serve_point sa, sb;
    CHECK(mtok_serve_for_tps_user(pa, 35, &sa) == MTOK_OK);
    CHECK(mtok_serve_for_tps_user(pb, 35, &sb) == MTOK_OK);
    mtok_plan_destroy(pa);
    mtok_plan_destroy(pb);
    struct mtok_claim_result r;
    r = one(CLAIM("2", "{\"metric\":\"throughput_ratio\",\"models\":[\"deepseek-v4-flash\"],\"hw\":"
                       "[\"b200\",\"h100-sxm\"],\"deploy\":{\"dp\":8,\"ep\":8},\"tps_user\":35,"
                       "\"compare\":\"ge\",\"tolerance\":0}"));
    CHECK_NEAR(r.computed, sa.tok_s_per_gpu / sb.tok_s_per_gpu, 1e-12);
    CHECK(strstr(r.detail, "FP8 peak"));
    /* cost_ratio: ($/hour / tok/s) over ($/hour / tok/s), by each side's hyperscaler tier */
    r = one(CLAIM("1", "{\"metric\":\"cost_ratio\",\"models\":[\"deepseek-v4-flash\"],\"hw\":"
                       "[\"b200\",\"h100-sxm\"],\"deploy\":{\"dp\":8,\"ep\":8},\"tps_user\":35,"
                       "\"cost\":{\"tier\":\"hyperscaler\"},\"tolerance\":10}"));
    CHECK_NEAR(r.computed, (1.95 / sa.tok_s_per_gpu) / (1.30 / sb.tok_s_per_gpu), 1e-9);
    /* a target nobody meets makes it not checkable */
    r = one(CLAIM("2", "{\"metric\":\"throughput_ratio\",\"models\":[\"deepseek-v4-flash\"],\"hw\":"
                       "[\"b200\",\"h100-sxm\"],\"deploy\":{\"dp\":8,\"ep\":8},\"tps_user\":90000,"
                       "\"tolerance\":0}"));
    CHECK(r.verdict == MTOK_VERDICT_UNVERIFIABLE && strstr(r.detail, "cannot reach"));
    /* per-user speed at batch 1 */
    r = one(CLAIM("100", "{\"metric\":\"throughput\",\"models\":[\"deepseek-v4-flash\"],\"hw\":"
                         "\"b200\",\"deploy\":{\"tp\":8},\"quantity\":\"tok_s_per_user\","
                         "\"rel_tolerance\":10}"));
    CHECK(r.computed > 0 && strstr(r.detail, "batch 1"));
    /* power: 600 W / 700 W */
    r = one(CLAIM("0.6", "{\"metric\":\"power_ratio\",\"hw\":[\"ascend-950pr\",\"h100-sxm\"],"
                         "\"tolerance\":0.05}"));
    CHECK_NEAR(r.computed, 600.0 / 700, 1e-12);
    CHECK(r.verdict == MTOK_VERDICT_CONTRADICTED);
    /* purchase: 1.5M x $35,000 */
    r = one(CLAIM("30e9", "{\"metric\":\"purchase_price\",\"hw\":\"h200\",\"devices\":1.5e6,"
                          "\"rel_tolerance\":0.1}"));
    CHECK_NEAR(r.computed, 1.5e6 * 35000, 1e-12);
    CHECK(strstr(r.detail, "$20000 per device"));
    CHECK_NEAR(r.off_by, 52.5 / 30 - 1, 1e-12);
}

static void test_other_metrics(void)
{
    struct mtok_claim_result r;
    r = one(CLAIM("1e6", "{\"metric\":\"config_field\",\"models\":[\"deepseek-v4-pro\"],\"field\":"
                         "\"max_context\",\"rel_tolerance\":0.05}"));
    CHECK(r.computed == 1048576);
    r = one(CLAIM("128", "{\"metric\":\"config_field\",\"models\":[\"deepseek-v4-pro\"],\"field\":"
                         "\"max_compress_ratio\",\"tolerance\":0}"));
    CHECK(r.computed == 128);
    r = one(CLAIM("6", "{\"metric\":\"config_field\",\"models\":[\"deepseek-v4-flash\"],\"field\":"
                       "\"experts_per_token\",\"tolerance\":0}"));
    CHECK(r.computed == 6);
    /* days, across a month end and a leap day */
    r = one(CLAIM("11", "{\"metric\":\"days_between\",\"from\":\"2026-03-27\",\"until\":"
                        "\"2026-04-07\",\"tolerance\":0}"));
    CHECK(r.computed == 11);
    r = one(CLAIM("2", "{\"metric\":\"days_between\",\"from\":\"2024-02-28\",\"until\":"
                       "\"2024-03-01\",\"tolerance\":0}"));
    CHECK(r.computed == 2);
    r = one(CLAIM("365", "{\"metric\":\"days_between\",\"from\":\"2025-01-01\",\"until\":"
                         "\"2026-01-01\",\"tolerance\":0}"));
    CHECK(r.computed == 365);
    /* 5 March is 50 days before the 24 April release */
    r = one(CLAIM("0", "{\"metric\":\"release_offset\",\"models\":[\"deepseek-v4-pro\"],\"date\":"
                       "\"2026-03-05\",\"tolerance\":5}"));
    CHECK(r.computed == -50 && r.verdict == MTOK_VERDICT_CONTRADICTED);
    /* V3's run at $2 per GPU-hour */
    r = one(CLAIM("5.6e6", "{\"metric\":\"training_cost\",\"models\":[\"deepseek-v3\"],\"hw\":"
                           "\"h800\",\"cost\":{\"usd_per_gpu_hour\":2},\"rel_tolerance\":0.02}"));
    CHECK_NEAR(r.computed, 2.788e6 * 2, 1e-9);
    CHECK(r.verdict == MTOK_VERDICT_CONSISTENT);
    /* a given MFU halves the hours when doubled */
    struct mtok_claim_result r2 =
        one(CLAIM("1", "{\"metric\":\"training_cost\",\"models\":[\"deepseek-v3\"],\"hw\":\"h800\","
                       "\"cost\":{\"usd_per_gpu_hour\":2},\"mfu\":0.2,\"tolerance\":1e12}"));
    struct mtok_claim_result r3 =
        one(CLAIM("1", "{\"metric\":\"training_cost\",\"models\":[\"deepseek-v3\"],\"hw\":\"h800\","
                       "\"cost\":{\"usd_per_gpu_hour\":2},\"mfu\":0.4,\"tolerance\":1e12}"));
    CHECK_NEAR(r2.computed, 2 * r3.computed, 1e-12);
    /* not checkable, with the reason */
    r = one("{\"id\":\"a\",\"claim\":\"c\",\"stated\":26e9,\"unit\":\"usd\",\"check\":{\"metric\":"
            "\"unverifiable\",\"reason\":\"not modelled\"}}");
    CHECK(r.verdict == MTOK_VERDICT_UNVERIFIABLE && strcmp(r.reason, "not modelled") == 0);
    CHECK(strcmp(r.unit, "usd") == 0);
}

static void test_verdicts(void)
{
    struct mtok_claim_result r[4];
    memset(r, 0, sizeof r);
    /* b conflicts with a; a holds, so b is contradicted by a; c conflicts with b (which does not
     * hold), so c is merely off */
    size_t n = eval_text(
        "{\"id\":\"a\",\"claim\":\"c\",\"stated\":1.6e12,\"check\":{\"metric\":\"params_total\","
        "\"models\":[\"deepseek-v4-pro\"],\"rel_tolerance\":0.03}},"
        "{\"id\":\"b\",\"claim\":\"c\",\"stated\":1e12,\"contradicts\":[\"a\"],\"check\":{"
        "\"metric\":"
        "\"params_total\",\"models\":[\"deepseek-v4-pro\"],\"rel_tolerance\":0.05}},"
        "{\"id\":\"c\",\"claim\":\"c\",\"stated\":0.9e12,\"contradicts\":[\"b\"],\"check\":{"
        "\"metric\":\"params_total\",\"models\":[\"deepseek-v4-pro\"],\"rel_tolerance\":0.05}},"
        "{\"id\":\"d\",\"claim\":\"c\",\"stated\":1e6,\"stated_max\":9.999e6,\"check\":{\"metric\":"
        "\"training_cost\",\"models\":[\"deepseek-v4-pro\"],\"hw\":\"h800\",\"cost\":{"
        "\"usd_per_gpu_hour\":2},\"tolerance\":0}}",
        r, 4);
    CHECK(n == 4);
    CHECK(r[0].verdict == MTOK_VERDICT_CONSISTENT);
    CHECK(r[1].verdict == MTOK_VERDICT_CONTRADICTED && strstr(r[1].contradicted_by, "a (t,"));
    CHECK(strncmp(r[1].verdict_text, "contradicted", 12) == 0);
    CHECK(r[2].verdict == MTOK_VERDICT_INCONSISTENT && strstr(r[2].detail, "Conflicts with: b"));
    CHECK(strncmp(r[2].verdict_text, "off", 3) == 0 && r[2].contradicted_by[0] == '\0');
    /* a range: off by how far the value is above its upper end */
    CHECK(r[3].is_range && r[3].verdict == MTOK_VERDICT_INCONSISTENT);
    CHECK_NEAR(r[3].off_by, r[3].computed / 9.999e6 - 1, 1e-12);
    CHECK(strcmp(mtok_verdict_name(MTOK_VERDICT_CONTRADICTED), "contradicted") == 0);
    char buf[64];
    CHECK(strcmp(mtok_claims_format(buf, sizeof buf, "usd_per_m", false, 0.14), "$0.14/M") == 0);
    CHECK(strcmp(mtok_claims_format(buf, sizeof buf, "share", false, 0.75), "75%") == 0);
    CHECK(strcmp(mtok_claims_format(buf, sizeof buf, "usd", false, 5.576e6), "$5.576M") == 0);
    CHECK(strcmp(mtok_claims_format(buf, sizeof buf, "ratio", false, NAN), "-") == 0);
}

/* Every problem in a claims file is one line; `contradicts` must name claims of the set. */
static void test_broken(void)
{
    char dir[] = "/tmp/mtok-claims-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char sub[512], file[600];
    snprintf(sub, sizeof sub, "%s/claims", dir);
    CHECK(mkdir(sub, 0700) == 0);
    snprintf(file, sizeof file, "%s/x.json", sub);
    struct mtok_buf b = {0};
    mtok_buf_printf(&b,
                    "%s{\"id\":\"a\",\"claim\":\"c\",\"stated\":1,\"contradicts\":[\"zz\"],"
                    "\"check\":{\"metric\":\"params_total\",\"models\":[\"deepseek-v3\"],"
                    "\"tolerance\":0}}]}",
                    head);
    CHECK(mtok_file_write(file, b.data, b.len, NULL) == MTOK_OK);
    mtok_buf_free(&b);
    struct mtok_diags d = {0};
    struct mtok_claims *set = NULL;
    CHECK(mtok_claims_load(&set, dir, cat, &d) == MTOK_EINVAL && set == NULL);
    CHECK(d.n == 1 &&
          strstr(d.lines[0], "x.json: claims[0].contradicts: \"zz\" is not a claim id"));
    mtok_diags_free(&d);
    unlink(file);
    rmdir(sub);
    rmdir(dir);
    /* inputs a metric does not take, or lacks */
    static const char *const bad[][2] = {
        {"{\"metric\":\"api_price\",\"models\":[\"deepseek-v3\"],\"prices\":[{\"product\":\"gpt-"
         "5\","
         "\"date\":\"2026-01-01\",\"token\":\"input\"}],\"tolerance\":1}",
         "claims[0].check.models: metric api_price takes 0 models"},
        {"{\"metric\":\"price_ratio\",\"prices\":[{\"product\":\"gpt-5\",\"date\":\"2026-01-01\","
         "\"token\":\"input\"}],\"tolerance\":1}",
         "claims[0].check.prices: metric price_ratio takes 2 prices, not 1"},
        {"{\"metric\":\"workload_cost\",\"prices\":[{\"product\":\"gpt-5\",\"date\":\"2026-01-01\","
         "\"token\":\"input\"}],\"tolerance\":1}",
         "claims[0].check.workload: missing"},
        {"{\"metric\":\"price_ratio\",\"prices\":[{\"product\":\"gpt-5\",\"date\":\"2026-01-01\","
         "\"token\":\"blend\"},{\"product\":\"gpt-5\",\"date\":\"2026-01-01\",\"token\":\"input\"}]"
         ","
         "\"tolerance\":1}",
         "claims[0].check.prices[0].mix: missing"},
        {"{\"metric\":\"throughput\",\"models\":[\"deepseek-v3\"],\"hw\":\"b200\",\"tolerance\":1}",
         "claims[0].check.quantity: missing"},
        {"{\"metric\":\"config_field\",\"models\":[\"deepseek-v3\"],\"field\":\"heads\","
         "\"tolerance\":1}",
         "claims[0].check.field: \"heads\" is not"},
        {"{\"metric\":\"power_ratio\",\"hw\":[\"b200\",\"tpu9\"],\"tolerance\":1}",
         "claims[0].check.hw: \"tpu9\" is not a hardware id"},
        {"{\"metric\":\"cost_ratio\",\"models\":[\"deepseek-v3\"],\"hw\":[\"b200\",\"h200\"],"
         "\"cost\":{\"tier\":\"cheap\"},\"tolerance\":1}",
         "claims[0].check.cost.tier: \"cheap\" is not tco or a price tier"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        struct mtok_buf t = {0};
        mtok_buf_printf(&t, "%s{\"id\":\"a\",\"claim\":\"c\",\"stated\":1,\"check\":%s}]}", head,
                        bad[i][0]);
        struct mtok_claims *s = NULL;
        struct mtok_diags dd = {0};
        CHECK(mtok_claims_parse(&s, "b.json", t.data, t.len, cat, &dd) == MTOK_EINVAL);
        CHECK_MSG(dd.n == 1 && strstr(dd.lines[0], bad[i][1]) &&
                      strncmp(dd.lines[0], "b.json: ", 8) == 0,
                  "case %zu: %zu lines, first %s", i, dd.n, dd.n ? dd.lines[0] : "-");
        mtok_claims_destroy(s);
        mtok_diags_free(&dd);
        mtok_buf_free(&t);
    }
}

/* Every data/claims file loads on its own and in the set. */
static void test_files(void)
{
    struct mtok_diags d = {0};
    struct mtok_claims *set = NULL;
    CHECK(mtok_claims_load(&set, NULL, cat, &d) == MTOK_OK);
    CHECK(mtok_claims_count(set) >= 130);
    mtok_claims_destroy(set);
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/data/claims", test_source_dir());
    DIR *dp = opendir(dir);
    CHECK(dp != NULL);
    struct dirent *e;
    int files = 0;
    while (dp && (e = readdir(dp))) {
        size_t len = strlen(e->d_name);
        if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0)
            continue;
        char path[8192];
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        char *json;
        size_t n;
        CHECK(mtok_file_read(path, 1 << 24, &json, &n, NULL) == MTOK_OK);
        struct mtok_claims *one_set = NULL;
        CHECK_MSG(mtok_claims_parse(&one_set, path, json, n, cat, &d) == MTOK_OK, "%s", path);
        CHECK(mtok_claims_count(one_set) > 0);
        mtok_claims_destroy(one_set);
        free(json);
        files++;
    }
    if (dp)
        closedir(dp);
    CHECK(files >= 6);
    CHECK_MSG(d.n == 0, "%s", d.n ? d.lines[0] : "");
    mtok_diags_free(&d);
}

/* mtok claims --json: the old keys, the new ones, and every claim issue #8 lists. */
static void test_json(void)
{
    static char out[1 << 22], err[1 << 16];
    char *argv[] = {ARG("mtok"), ARG("claims"), ARG("--json"), NULL};
    FILE *o = tmpfile(), *e = tmpfile();
    CHECK(mtok_cli_main(3, argv, o, e) == 0);
    rewind(o);
    out[fread(out, 1, sizeof out - 1, o)] = '\0';
    rewind(e);
    err[fread(err, 1, sizeof err - 1, e)] = '\0';
    fclose(o);
    fclose(e);
    cJSON *root = cJSON_Parse(out);
    CHECK(root != NULL);
    if (!root)
        return;
    cJSON *arr = cJSON_GetObjectItem(root, "claims");
    static const struct {
        const char *id, *verdict;
    } want[] = {
        {"seed001-pro-total", "consistent"},
        {"seed001-pro-active", "consistent"},
        {"seed001-flash-total", "consistent"},
        {"seed001-flash-active", "consistent"},
        {"seed001-context-1m", "consistent"},
        {"seed004-v4-one-trillion", "contradicted"},
        {"seed004-v4-32b-active", "contradicted"},
        {"seed004-active-37-to-32", "contradicted"},
        {"seed001-three-percent-active", "consistent"},
        {"seed001-pro-2.4x-v32", "consistent"},
        {"seed001-pro-1.3x-active", "consistent"},
        {"report-v4-pro-flops-1m", "consistent"},
        {"report-v4-pro-kv-1m", "consistent"},
        {"report-v4-flash-flops-1m", "consistent"},
        {"report-v4-flash-kv-1m", "consistent"},
        {"seed001-flash-download", "consistent"},
        {"seed001-flash-128gb-quantised", "inconsistent"},
        {"seed001-pro-download", "consistent"},
        {"seed001-pro-multi-gpu", "consistent"},
        {"seed001-flash-input", "consistent"},
        {"seed001-flash-output", "consistent"},
        {"seed001-pro-input", "consistent"},
        {"seed001-pro-output", "consistent"},
        {"seed001-pro-8.6x-gpt55pro", "contradicted"},
        {"seed001-flash-107x", "contradicted"},
        {"seed001-pro-1-10th-gpt55", "consistent"},
        {"seed002-flash-1pct", "consistent"},
        {"seed004-18x", "contradicted"},
        {"seed004-1-20th", "consistent"},
        {"seed001-pro-discount-75", "consistent"},
        {"seed001-pro-discount-input", "consistent"},
        {"seed001-pro-discount-output", "consistent"},
        {"seed001-flash-cache-hit-1-10th", "consistent"},
        {"seed001-gpt55pro-output", "contradicted"},
        {"seed001-opus47-output", "contradicted"},
        {"seed001-950pr-60pct-h100", "inconsistent"},
        {"seed001-950pr-2.8x-h20", "inconsistent"},
        {"seed001-950pr-89pct-h100", "inconsistent"},
        {"seed001-950pr-40pct-less-power", "contradicted"},
        {"seed001-950pr-price", "unverifiable"},
        {"seed001-h100-price", "consistent"},
        {"seed001-b200-price", "consistent"},
        {"seed001-unit-price-per-token", NULL},
        {"seed001-nvidia-3500-per-gpu", NULL},
        {"seed001-nvidia-35x-flash", "inconsistent"},
        {"seed004-docs-gpt5-4200", "consistent"},
        {"seed004-docs-v4-210", "consistent"},
        {"seed004-v3-5.6m", "consistent"},
        {"seed004-v4-single-digit", "inconsistent"},
        {"seed004-gpt5-100m", "unverifiable"},
    };
    for (size_t i = 0; i < sizeof want / sizeof *want; i++) {
        const cJSON *c, *hit = NULL;
        cJSON_ArrayForEach(
            c, arr) if (!strcmp(cJSON_GetObjectItem(c, "id")->valuestring, want[i].id)) hit = c;
        CHECK_MSG(hit != NULL, "claim %s missing", want[i].id);
        if (!hit)
            continue;
        const char *v = cJSON_GetObjectItem(hit, "verdict")->valuestring;
        if (want[i].verdict)
            CHECK_MSG(strcmp(v, want[i].verdict) == 0, "%s is %s, want %s", want[i].id, v,
                      want[i].verdict);
    }
    /* the keys every row carries: the existing ones first, then the new */
    static const char *const keys[] = {
        "id",     "claim",           "article",  "article_title", "article_date", "metric",
        "unit",   "stated",          "computed", "verdict",       "detail",       "verdict_text",
        "off_by", "contradicted_by", "reason",   "note"};
    const cJSON *c;
    int n = 0, contra = 0;
    cJSON_ArrayForEach(c, arr)
    {
        n++;
        for (size_t k = 0; k < sizeof keys / sizeof *keys; k++)
            CHECK_MSG(cJSON_GetObjectItem(c, keys[k]) != NULL, "%s lacks %s",
                      cJSON_GetObjectItem(c, "id")->valuestring, keys[k]);
        const char *v = cJSON_GetObjectItem(c, "verdict")->valuestring;
        if (!strcmp(v, "contradicted")) {
            contra++;
            CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(c, "contradicted_by")) > 0);
        }
        if (!strcmp(v, "unverifiable"))
            CHECK(cJSON_IsString(cJSON_GetObjectItem(c, "reason")));
    }
    cJSON *s = cJSON_GetObjectItem(root, "summary");
    CHECK(cJSON_GetObjectItem(s, "claims")->valueint == n);
    CHECK(cJSON_GetObjectItem(s, "consistent")->valueint +
              cJSON_GetObjectItem(s, "inconsistent")->valueint +
              cJSON_GetObjectItem(s, "unverifiable")->valueint +
              cJSON_GetObjectItem(s, "contradicted")->valueint ==
          n);
    CHECK(cJSON_GetObjectItem(s, "contradicted")->valueint == contra && contra >= 10);
    cJSON_Delete(root);
}

int main(void)
{
    struct mtok_diags d = {0};
    CHECK(mtok_catalog_open(&cat, NULL, &d) == MTOK_OK);
    CHECK(mtok_sim_defaults_load(&def, NULL, &d) == MTOK_OK);
    if (!cat || !def)
        return test_status("test_claims");
    test_price_metrics();
    test_hw_metrics();
    test_other_metrics();
    test_verdicts();
    test_broken();
    test_files();
    test_json();
    for (size_t i = 0; i < n_kept; i++)
        mtok_claims_destroy(kept[i]);
    mtok_sim_defaults_destroy(def);
    mtok_catalog_destroy(cat);
    mtok_diags_free(&d);
    return test_status("test_claims");
}
