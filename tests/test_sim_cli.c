/* sim/sweep/claims end to end through mtok_cli_main: the --json contract keys, one-line errors
 * with exit 2 for bad flags and files (and nothing written to the database), a sweep into SQLite,
 * and the V4 claims' ratios in the ranges the issue asks for. */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "claims/claims.h"
#include "cli/cli.h"
#include "store/store.h"
#include "test.h"

static char tmpdir[] = "/tmp/mtok-simcli-XXXXXX";

/* Run mtok with argv (NULL-terminated); stdout and stderr land in the buffers. */
static int run(char *out, size_t n_out, char *err, size_t n_err, char **argv)
{
    int argc = 0;
    while (argv[argc])
        argc++;
    FILE *o = tmpfile(), *e = tmpfile();
    int rc = mtok_cli_main(argc, argv, o, e);
    rewind(o);
    rewind(e);
    size_t a = fread(out, 1, n_out - 1, o), b = fread(err, 1, n_err - 1, e);
    out[a] = err[b] = '\0';
    fclose(o);
    fclose(e);
    return rc;
}

static char out[1 << 20], err[1 << 16];

static int lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static void test_sim_json(void)
{
    char *argv[] = {ARG("mtok"), ARG("sim"), ARG("--model"), ARG("llama-3.1-8b"), ARG("--hw"),
                    ARG("h100-sxm"), ARG("--batch"), ARG("8"), ARG("--json"), NULL};
    CHECK(run(out, sizeof out, err, sizeof err, argv) == 0);
    cJSON *o = cJSON_Parse(out);
    CHECK(o != NULL);
    if (!o)
        return;
    static const char *const keys[] = {
        "model", "hw", "params_total", "params_active", "weight_bytes", "kv_bytes_per_token",
        "flops_per_token", "fits", "max_batch", "ttft_s", "tpot_s", "tok_s_per_user",
        "tok_s_per_gpu", "input_tok_s_per_gpu", "output_tok_s_per_gpu", "provenance"};
    const cJSON *k = o->child;
    for (size_t i = 0; i < sizeof keys / sizeof *keys; i++, k = k ? k->next : NULL)
        CHECK_MSG(k && strcmp(k->string, keys[i]) == 0, "key %zu is %s, want %s", i,
                  k ? k->string : "(none)", keys[i]);
    CHECK(!strcmp(cJSON_GetObjectItem(o, "model")->valuestring, "llama-3.1-8b"));
    CHECK(cJSON_IsTrue(cJSON_GetObjectItem(o, "fits")));
    CHECK(cJSON_GetObjectItem(o, "kv_bytes_per_token")->valuedouble == 131072);
    CHECK_NEAR(cJSON_GetObjectItem(o, "params_total")->valuedouble, 8.03e9, 0.001);
    CHECK(!strcmp(cJSON_GetObjectItem(o, "provenance")->valuestring, "default"));
    double tpot = cJSON_GetObjectItem(o, "tpot_s")->valuedouble;
    CHECK_NEAR(cJSON_GetObjectItem(o, "tok_s_per_user")->valuedouble, 1 / tpot, 1e-9);
    CHECK(cJSON_GetObjectItem(o, "max_batch")->valuedouble == 198);
    CHECK(cJSON_IsArray(cJSON_GetObjectItem(o, "assumptions")));
    cJSON_Delete(o);

    /* V4-Pro at 1M tokens: FLOPs per token and the 584-B KV slope */
    char *v4[] = {ARG("mtok"), ARG("sim"), ARG("--model"), ARG("deepseek-v4-pro"), ARG("--hw"),
                  ARG("b200"), ARG("--gpus"), ARG("8"), ARG("--dp"), ARG("8"), ARG("--ep"),
                  ARG("8"), ARG("--ctx"), ARG("1048576"), ARG("--batch"), ARG("1"), ARG("--ops"),
                  ARG("--json"), NULL};
    CHECK(run(out, sizeof out, err, sizeof err, v4) == 0);
    o = cJSON_Parse(out);
    CHECK(o != NULL);
    if (!o)
        return;
    CHECK_NEAR(cJSON_GetObjectItem(o, "flops_per_token")->valuedouble, 303.2e9, 0.001);
    CHECK(cJSON_GetObjectItem(o, "kv_bytes_per_token")->valuedouble == 5031.4375);
    CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(o, "ops_decode_step")) > 50);
    CHECK(cJSON_GetObjectItem(o, "gpus")->valuedouble == 8);
    cJSON_Delete(o);

    /* --tps-user picks a point meeting the target */
    char *tps[] = {ARG("mtok"), ARG("sim"), ARG("--model"), ARG("deepseek-r1"), ARG("--hw"),
                   ARG("h200"), ARG("--dp"), ARG("8"), ARG("--ep"), ARG("8"), ARG("--tps-user"),
                   ARG("40"), ARG("--json"), NULL};
    CHECK(run(out, sizeof out, err, sizeof err, tps) == 0);
    o = cJSON_Parse(out);
    if (o) {
        CHECK(cJSON_GetObjectItem(o, "tok_s_per_user")->valuedouble >= 40);
        CHECK(cJSON_IsTrue(cJSON_GetObjectItem(o, "tps_user_met")));
        CHECK(cJSON_GetArraySize(cJSON_GetObjectItem(o, "pareto")) >= 3);
    }
    cJSON_Delete(o);
    /* the human form */
    char *human[] = {ARG("mtok"), ARG("sim"), ARG("--model"), ARG("gpt-oss-120b"), ARG("--hw"),
                     ARG("b200"), NULL};
    CHECK(run(out, sizeof out, err, sizeof err, human) == 0);
    CHECK(strstr(out, "TPOT") && strstr(out, "Pareto front"));
}

static void test_sim_errors(void)
{
    static const struct {
        const char *args[14];
        const char *want;
    } cases[] = {
        {{"--model", "llama-3.1-8b", "--hw", "h100-sxm", "--tp", "3"}, "--tp"},
        {{"--model", "llama-3.1-8b", "--hw", "h100-sxm", "--kvprec", "int3"}, "--kvprec"},
        {{"--model", "llama-3.1-8b", "--hw", "h100-sxm", "--wprec", "fp5"}, "--wprec"},
        {{"--model", "llama-3.1-8b", "--hw", "h100-sxm", "--batch", "4", "--tps-user", "9"}, "--tps-user"},
        {{"--model", "no-such-model", "--hw", "h100-sxm"}, "--model"},
        {{"--model", "llama-3.1-8b", "--hw", "no-such-gpu"}, "--hw"},
        {{"--model", "llama-3.1-8b", "--hw", "h100-sxm", "--disagg", "3"}, "--disagg"},
        {{"--model", "llama-3.1-8b", "--hw", "h100-sxm", "--gpus", "8", "--tp", "4", "--dp", "4"}, "--gpus"},
        {{"--model", "llama-3.1-8b", "--hw", "h100-sxm", "--batch", "0"}, "--batch"},
        {{"--model", "llama-3.1-8b", "--hw", "h100-sxm", "--mtp", "1"}, "--mtp"},
        {{"--model", "llama-3.1-8b", "--hw", "h100-sxm", "--ep", "2", "--dp", "2"}, "--ep"},
        {{"--model", "llama-3.1-8b", "--hw", "h100-sxm", "--tier", "cheap"}, "--tier"},
        {{"--model", "llama-3.1-8b", "--hw", "h100-sxm", "--ctx", "-5"}, "--ctx"},
        {{"--hw", "h100-sxm"}, "--model"},
        {{"--model", "llama-3.1-8b", "--hw", "h100-sxm", "--cache-hit", "1"}, "--cache-hit"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char *argv[20] = {ARG("mtok"), ARG("sim")};
        int n = 2;
        for (int k = 0; cases[i].args[k]; k++)
            argv[n++] = ARG(cases[i].args[k]);
        argv[n] = NULL;
        int rc = run(out, sizeof out, err, sizeof err, argv);
        CHECK_MSG(rc == 2, "case %zu: exit %d", i, rc);
        CHECK_MSG(lines(err) == 1, "case %zu: %d lines: %s", i, lines(err), err);
        CHECK_MSG(strstr(err, cases[i].want) != NULL, "case %zu: want %s in: %s", i,
                  cases[i].want, err);
        CHECK(out[0] == '\0');
    }
}

static void test_sweep(void)
{
    char db[512];
    snprintf(db, sizeof db, "%s/sweep.db", tmpdir);
    char *argv[] = {ARG("mtok"), ARG("sweep"), ARG("--suite"), ARG("smoke"), ARG("-j"), ARG("2"),
                    ARG("--db"), db, ARG("--json"), NULL};
    CHECK(run(out, sizeof out, err, sizeof err, argv) == 0);
    cJSON *o = cJSON_Parse(out);
    CHECK(o != NULL);
    if (o) {
        CHECK(cJSON_GetObjectItem(o, "points")->valuedouble == 16);
        CHECK(cJSON_GetObjectItem(o, "points_per_s")->valuedouble > 0);
        CHECK(cJSON_GetObjectItem(o, "infeasible")->valuedouble == 4); /* EP on a dense model */
    }
    cJSON_Delete(o);
    struct mtok_store *st = NULL;
    struct mtok_error e = {0};
    CHECK(mtok_store_open(&st, db, &e) == MTOK_OK);
    const char *names[16];
    int64_t counts[16];
    size_t nt = mtok_store_table_counts(st, names, counts, 16);
    for (size_t i = 0; i < nt; i++) {
        if (!strcmp(names[i], "simulation"))
            CHECK(counts[i] == 16);
        if (!strcmp(names[i], "run"))
            CHECK(counts[i] == 1);
    }
    mtok_store_close(st);

    /* a broken suite file: one line naming file and field, exit 2, no database */
    char bad[512], db2[512];
    snprintf(bad, sizeof bad, "%s/bad-suite.json", tmpdir);
    snprintf(db2, sizeof db2, "%s/never.db", tmpdir);
    static const char text[] =
        "{\"suite\":\"bad\",\"models\":[\"llama-3.1-8b\",\"no-such-model\"],\"hardware\":[\"b200\"],"
        "\"deployments\":[{\"tp\":1}],\"wprec\":[\"native\"],\"kvprec\":[\"native\"],\"mtp\":[0],"
        "\"batch\":[1],\"lengths\":[{\"isl\":1,\"osl\":1}]}";
    CHECK(mtok_file_write(bad, text, sizeof text - 1, NULL) == MTOK_OK);
    char *b1[] = {ARG("mtok"), ARG("sweep"), ARG("--suite"), bad, ARG("--db"), db2, NULL};
    CHECK(run(out, sizeof out, err, sizeof err, b1) == 2);
    CHECK_MSG(lines(err) == 1 && strncmp(err, bad, strlen(bad)) == 0 && strstr(err, "models[1]"),
              "%s", err);
    CHECK(access(db2, F_OK) != 0);
    static const char text2[] =
        "{\"suite\":\"bad\",\"models\":[\"llama-3.1-8b\"],\"hardware\":[\"b200\"],"
        "\"deployments\":[{\"tp\":2,\"ep\":3}],\"wprec\":[\"native\"],\"kvprec\":[\"fp7\"],"
        "\"mtp\":[0],\"batch\":[0],\"lengths\":[{\"isl\":1}]}";
    CHECK(mtok_file_write(bad, text2, sizeof text2 - 1, NULL) == MTOK_OK);
    CHECK(run(out, sizeof out, err, sizeof err, b1) == 2);
    CHECK_MSG(lines(err) == 4 && strstr(err, "deployments[0].ep") && strstr(err, "kvprec[0]") &&
                  strstr(err, "batch[0]") && strstr(err, "lengths[0].osl"),
              "%s", err);
    CHECK(access(db2, F_OK) != 0);
    char *b2[] = {ARG("mtok"), ARG("sweep"), ARG("--suite"), ARG("no-such-suite"), ARG("--db"),
                  db2, NULL};
    CHECK(run(out, sizeof out, err, sizeof err, b2) == 2 && lines(err) == 1 &&
          strstr(err, "--suite"));
    char *b3[] = {ARG("mtok"), ARG("sweep"), ARG("--suite"), ARG("smoke"), ARG("-j"), ARG("0"),
                  ARG("--db"), db2, NULL};
    CHECK(run(out, sizeof out, err, sizeof err, b3) == 2 && lines(err) == 1 && strstr(err, "-j"));
    CHECK(access(db2, F_OK) != 0);
}

static double claim_value(cJSON *arr, const char *id)
{
    const cJSON *c;
    cJSON_ArrayForEach(c, arr)
    {
        if (!strcmp(cJSON_GetObjectItem(c, "id")->valuestring, id))
            return cJSON_GetObjectItem(c, "computed")->valuedouble;
    }
    CHECK_MSG(0, "claim %s missing", id);
    return NAN;
}

static void test_claims(void)
{
    char *argv[] = {ARG("mtok"), ARG("claims"), ARG("--json"), NULL};
    CHECK(run(out, sizeof out, err, sizeof err, argv) == 0);
    cJSON *o = cJSON_Parse(out);
    CHECK(o != NULL);
    if (!o)
        return;
    cJSON *arr = cJSON_GetObjectItem(o, "claims");
    CHECK(cJSON_GetArraySize(arr) >= 20);
    double kv = claim_value(arr, "report-v4-pro-kv-1m");
    double fl = claim_value(arr, "report-v4-pro-flops-1m");
    double fkv = claim_value(arr, "report-v4-flash-kv-1m");
    double ffl = claim_value(arr, "report-v4-flash-flops-1m");
    CHECK_MSG(kv >= 0.09 && kv <= 0.115, "%g", kv);
    CHECK_MSG(fl >= 0.22 && fl <= 0.32, "%g", fl);
    CHECK_MSG(fkv >= 0.06 && fkv <= 0.085, "%g", fkv);
    CHECK_MSG(ffl >= 0.07 && ffl <= 0.13, "%g", ffl);
    const cJSON *c;
    cJSON_ArrayForEach(c, arr)
    {
        CHECK(cJSON_GetObjectItem(c, "stated") && cJSON_GetObjectItem(c, "computed") &&
              cJSON_GetObjectItem(c, "verdict") && cJSON_GetObjectItem(c, "detail") &&
              cJSON_GetObjectItem(c, "article"));
        const char *v = cJSON_GetObjectItem(c, "verdict")->valuestring;
        CHECK(!strcmp(v, "consistent") || !strcmp(v, "inconsistent") || !strcmp(v, "unverifiable") ||
              !strcmp(v, "contradicted"));
        /* an inconsistent or contradicted verdict says what was computed and why it differs */
        if (!strcmp(v, "inconsistent") || !strcmp(v, "contradicted"))
            CHECK(strstr(cJSON_GetObjectItem(c, "detail")->valuestring, "Computed"));
    }
    CHECK(cJSON_IsString(cJSON_GetObjectItem(o, "flops_counting")));
    /* the pre-release article's figures are refuted, the report's are not */
    cJSON_ArrayForEach(c, arr)
    {
        const char *id = cJSON_GetObjectItem(c, "id")->valuestring;
        const char *v = cJSON_GetObjectItem(c, "verdict")->valuestring;
        if (!strcmp(id, "seed001-flash-128gb-quantised"))
            CHECK(!strcmp(v, "inconsistent"));
        /* the 32B figure is refuted by the config and contradicted by the report's 49B */
        if (!strcmp(id, "seed004-v4-32b-active"))
            CHECK(!strcmp(v, "contradicted"));
        if (!strncmp(id, "report-", 7))
            CHECK_MSG(!strcmp(v, "consistent"), "%s is %s", id, v);
    }
    cJSON_Delete(o);
}

/* A claims file with problems: every problem on its own line, exit 2. */
static void test_claims_broken(void)
{
    struct mtok_diags d = {0};
    struct mtok_catalog *cat = NULL;
    CHECK(mtok_catalog_open(&cat, NULL, &d) == MTOK_OK);
    static const char text[] =
        "{\"article\":{\"id\":\"x\",\"title\":\"t\",\"date\":\"2026-01\",\"source\":\"s\","
        "\"uncertain\":false},\"claims\":["
        "{\"id\":\"a\",\"claim\":\"c\",\"stated\":0.1,\"check\":{\"metric\":\"kv_ratio\","
        "\"models\":[\"deepseek-v4-pro\"],\"tolerance\":0.1}},"
        "{\"id\":\"b\",\"claim\":\"c\",\"stated\":1,\"check\":{\"metric\":\"speed\","
        "\"models\":[\"deepseek-v4-pro\"],\"tolerance\":0.1}},"
        "{\"id\":\"c\",\"claim\":\"c\",\"stated\":1,\"check\":{\"metric\":\"fits\","
        "\"models\":[\"deepseek-v4-pro\"]}},"
        "{\"id\":\"d\",\"claim\":\"c\",\"stated\":1,\"check\":{\"metric\":\"params_total\","
        "\"models\":[\"nope\"]}}]}";
    struct mtok_claims *set = NULL;
    CHECK(mtok_claims_parse(&set, "bad-claims.json", text, sizeof text - 1, cat, &d) ==
          MTOK_EINVAL);
    bool models = false, metric = false, hw = false, stated = false, id = false, tol = false;
    for (size_t i = 0; i < d.n; i++) {
        CHECK(strncmp(d.lines[i], "bad-claims.json: ", 17) == 0);
        models = models || strstr(d.lines[i], "claims[0].check.models: metric kv_ratio takes 2");
        metric = metric || strstr(d.lines[i], "claims[1].check.metric");
        hw = hw || strstr(d.lines[i], "claims[2].check.hw");
        stated = stated || strstr(d.lines[i], "claims[2].stated");
        id = id || strstr(d.lines[i], "claims[3].check.models[0]");
        tol = tol || strstr(d.lines[i], "claims[3].check.tolerance");
    }
    CHECK_MSG(models && metric && hw && stated && id && tol, "%zu lines", d.n);
    mtok_claims_destroy(set);
    mtok_diags_free(&d);
    mtok_catalog_destroy(cat);
}

static double num(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItem(o, k);
    return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

/* The cost keys of `mtok sim --json` (issue #5): their place after the contract keys, the
 * arithmetic against the point's own throughputs, and what happens without a price. */
static void test_sim_cost(void)
{
    static const char *const cost_keys[] = {
        "usd_per_gpu_hour", "usd_per_m_input", "usd_per_m_cached_input", "usd_per_m_output",
        "usd_per_m_total", "usd_per_m_input_inferencex", "usd_per_m_output_inferencex"};
    char *argv[] = {ARG("mtok"), ARG("sim"), ARG("--model"), ARG("deepseek-v4-pro"), ARG("--hw"),
                    ARG("b200"), ARG("--dp"), ARG("8"), ARG("--ep"), ARG("8"), ARG("--isl"),
                    ARG("8192"), ARG("--osl"), ARG("1024"), ARG("--tps-user"), ARG("30"),
                    ARG("--cache-hit"), ARG("0.5"), ARG("--json"), NULL};
    CHECK(run(out, sizeof out, err, sizeof err, argv) == 0);
    cJSON *o = cJSON_Parse(out);
    CHECK(o != NULL);
    if (!o)
        return;
    const cJSON *k = cJSON_GetObjectItem(o, "provenance");
    for (size_t i = 0; i < sizeof cost_keys / sizeof *cost_keys; i++) {
        k = k ? k->next : NULL;
        CHECK_MSG(k && strcmp(k->string, cost_keys[i]) == 0 && cJSON_IsNumber(k),
                  "key after provenance %zu is %s, want %s", i, k ? k->string : "(none)",
                  cost_keys[i]);
    }
    double hour = num(o, "usd_per_gpu_hour"), tot = num(o, "tok_s_per_gpu");
    double in = num(o, "input_tok_s_per_gpu"), outr = num(o, "output_tok_s_per_gpu");
    /* B200's hyperscaler tier is $1.95 (FACTS D6); the default tier is hyperscaler */
    CHECK(hour == 1.95);
    /* InferenceX: the whole hour over one throughput: $/h / (tok/s x 3600 / 1e6) */
    CHECK_NEAR(num(o, "usd_per_m_total"), 1.95 / (tot * 0.0036), 1e-9);
    CHECK_NEAR(num(o, "usd_per_m_input_inferencex"), 1.95 / (in * 0.0036), 1e-9);
    CHECK_NEAR(num(o, "usd_per_m_output_inferencex"), 1.95 / (outr * 0.0036), 1e-9);
    /* the sheet recovers the hour: half the input tokens hit the cache at 0.1 x a miss */
    double p_in = num(o, "usd_per_m_input"), p_c = num(o, "usd_per_m_cached_input");
    double p_out = num(o, "usd_per_m_output");
    CHECK_NEAR(p_c, 0.1 * p_in, 1e-9);
    CHECK_NEAR((in * (0.5 * p_in + 0.5 * p_c) + outr * p_out) * 0.0036, 1.95, 1e-9);
    /* prefill's share of GPU time is what the input side is charged */
    const cJSON *cj = cJSON_GetObjectItem(o, "cost");
    CHECK(cJSON_IsTrue(cJSON_GetObjectItem(cj, "priced")));
    CHECK(!strcmp(cJSON_GetObjectItem(cj, "tier")->valuestring, "hyperscaler"));
    CHECK_NEAR(num(cj, "prefill_cost_share"), num(o, "prefill_time_share"), 1e-12);
    CHECK_NEAR(in * (0.5 * p_in + 0.5 * p_c) * 0.0036, 1.95 * num(o, "prefill_time_share"),
               1e-9);
    cJSON_Delete(o);

    /* a given $/GPU-hour; human output carries the same lines */
    char *given[] = {ARG("mtok"), ARG("sim"), ARG("--model"), ARG("llama-3.1-8b"), ARG("--hw"),
                     ARG("h100-sxm"), ARG("--batch"), ARG("8"), ARG("--usd-per-gpu-hour"),
                     ARG("2.5"), ARG("--json"), NULL};
    CHECK(run(out, sizeof out, err, sizeof err, given) == 0);
    o = cJSON_Parse(out);
    CHECK(o && num(o, "usd_per_gpu_hour") == 2.5 &&
          !strcmp(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "cost"), "basis")->valuestring,
                  "given"));
    CHECK(o && fabs(num(o, "usd_per_m_total") - 2.5 / (num(o, "tok_s_per_gpu") * 0.0036)) < 1e-12);
    cJSON_Delete(o);
    given[10] = NULL;
    CHECK(run(out, sizeof out, err, sizeof err, given) == 0);
    CHECK(strstr(out, "$/GPU-hour       2.5 (--usd-per-gpu-hour)") != NULL);
    CHECK(strstr(out, "$/M price sheet  input ") != NULL);
    CHECK(strstr(out, "$/M InferenceX   total ") != NULL);

    /* no price for the default tier: null keys and one note naming the tier */
    char *noprice[] = {ARG("mtok"), ARG("sim"), ARG("--model"), ARG("llama-3.1-8b"), ARG("--hw"),
                       ARG("ascend-910c"), ARG("--batch"), ARG("8"), ARG("--json"), NULL};
    CHECK(run(out, sizeof out, err, sizeof err, noprice) == 0);
    o = cJSON_Parse(out);
    CHECK(o != NULL);
    for (size_t i = 0; o && i < sizeof cost_keys / sizeof *cost_keys; i++)
        CHECK_MSG(cJSON_IsNull(cJSON_GetObjectItem(o, cost_keys[i])), "%s not null", cost_keys[i]);
    const cJSON *note = o ? cJSON_GetObjectItem(cJSON_GetObjectItem(o, "cost"), "note") : NULL;
    CHECK(note && strstr(note->valuestring, "no hyperscaler") &&
          !strchr(note->valuestring, '\n'));
    cJSON_Delete(o);
    /* ... an error when that tier was asked for */
    char *explicit_tier[] = {ARG("mtok"), ARG("sim"), ARG("--model"), ARG("llama-3.1-8b"),
                             ARG("--hw"), ARG("ascend-910c"), ARG("--tier"), ARG("neocloud"),
                             NULL};
    CHECK(run(out, sizeof out, err, sizeof err, explicit_tier) == 2);
    CHECK(strstr(err, "no neocloud") && lines(err) == 1 && out[0] == '\0');
    /* ... and a tier with a price is used */
    explicit_tier[5] = ARG("h200");
    CHECK(run(out, sizeof out, err, sizeof err, explicit_tier) == 0);
    CHECK(strstr(out, "$/GPU-hour       1.74 (neocloud tier") != NULL);
    /* both ways of giving a price at once, or a non-positive one, are refused */
    char *both[] = {ARG("mtok"), ARG("sim"), ARG("--model"), ARG("llama-3.1-8b"), ARG("--hw"),
                    ARG("h100-sxm"), ARG("--tier"), ARG("rental"), ARG("--usd-per-gpu-hour"),
                    ARG("1"), NULL};
    CHECK(run(out, sizeof out, err, sizeof err, both) == 2 && lines(err) == 1);
    char *zero[] = {ARG("mtok"), ARG("sim"), ARG("--model"), ARG("llama-3.1-8b"), ARG("--hw"),
                    ARG("h100-sxm"), ARG("--usd-per-gpu-hour"), ARG("0"), NULL};
    CHECK(run(out, sizeof out, err, sizeof err, zero) == 2 && lines(err) == 1);
    /* a point that does not fit is not priced */
    char *nofit[] = {ARG("mtok"), ARG("sim"), ARG("--model"), ARG("llama-3.1-405b"), ARG("--hw"),
                     ARG("h100-sxm"), ARG("--batch"), ARG("1"), ARG("--json"), NULL};
    CHECK(run(out, sizeof out, err, sizeof err, nofit) == 0);
    o = cJSON_Parse(out);
    CHECK(o && cJSON_IsFalse(cJSON_GetObjectItem(o, "fits")) &&
          cJSON_IsNull(cJSON_GetObjectItem(o, "usd_per_m_total")));
    cJSON_Delete(o);
}

int main(void)
{
    CHECK(mkdtemp(tmpdir) != NULL);
    test_sim_json();
    test_sim_cost();
    test_sim_errors();
    test_sweep();
    test_claims();
    test_claims_broken();
    /* clean up */
    DIR *dp = opendir(tmpdir);
    struct dirent *e;
    while (dp && (e = readdir(dp))) {
        if (e->d_name[0] == '.')
            continue;
        char p[1024];
        snprintf(p, sizeof p, "%s/%s", tmpdir, e->d_name);
        unlink(p);
    }
    if (dp)
        closedir(dp);
    rmdir(tmpdir);
    return test_status("test_sim_cli");
}
