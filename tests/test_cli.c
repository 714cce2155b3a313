/* End-to-end CLI: the catalog listings in JSON carry every required id with its official counts and
 * sources; help, unknown commands and bad options behave as documented (exit codes, one-line
 * errors); db merge/stats work from the command line. */
#define _POSIX_C_SOURCE 200809L
#include <cjson/cJSON.h>
#include <unistd.h>

#include "cli/cli.h"
#include "test.h"

struct result {
    int rc;
    char *out, *err;
};

static char *slurp(FILE *f)
{
    fflush(f);
    long n = ftell(f);
    rewind(f);
    char *s = mtok_xmalloc((size_t)n + 1);
    size_t got = fread(s, 1, (size_t)n, f);
    s[got] = '\0';
    fclose(f);
    return s;
}

static struct result run(int argc, char **argv)
{
    FILE *out = tmpfile(), *err = tmpfile();
    struct result r;
    r.rc = mtok_cli_main(argc, argv, out, err);
    r.out = slurp(out);
    r.err = slurp(err);
    return r;
}

static void drop(struct result *r)
{
    free(r->out);
    free(r->err);
}

static int lines(const char *s)
{
    int n = 0;
    for (; *s; s++)
        n += *s == '\n';
    return n;
}

static void test_models_json(void)
{
    char *argv[] = {ARG("mtok"), ARG("models"), ARG("--json")};
    struct result r = run(3, argv);
    CHECK(r.rc == 0 && r.err[0] == '\0');
    cJSON *a = cJSON_Parse(r.out);
    CHECK(cJSON_IsArray(a) && cJSON_GetArraySize(a) >= 24);
    static const char *const ids[] = {
        "deepseek-v4-pro", "deepseek-v4-flash", "deepseek-v3", "deepseek-r1", "deepseek-v3.2",
        "kimi-k2", "kimi-k2.5", "kimi-k2.6", "qwen3-235b-a22b", "qwen3.5-397b-a17b",
        "qwen3-30b-a3b", "glm-5", "glm-5.1", "minimax-m2.5", "minimax-m2.7", "llama-3.1-405b",
        "llama-3.1-70b", "llama-3.1-8b", "nemotron-3-nano", "nemotron-3-super",
        "nemotron-3-ultra", "gpt-oss-120b", "gpt-oss-20b", "mixtral-8x7b"};
    for (size_t i = 0; i < sizeof ids / sizeof *ids; i++) {
        const cJSON *found = NULL, *e;
        cJSON_ArrayForEach(e, a)
        {
            const cJSON *id = cJSON_GetObjectItem(e, "id");
            if (cJSON_IsString(id) && strcmp(id->valuestring, ids[i]) == 0)
                found = e;
        }
        CHECK_MSG(found != NULL, "%s missing from models --json", ids[i]);
        if (!found)
            continue;
        CHECK(cJSON_IsNumber(cJSON_GetObjectItem(found, "params_total_official")));
        CHECK(cJSON_IsNumber(cJSON_GetObjectItem(found, "params_active_official")));
        const cJSON *src = cJSON_GetObjectItem(found, "official_source");
        CHECK(cJSON_IsString(cJSON_GetObjectItem(src, "source")));
    }
    /* V4-Pro's official counts come through as numbers, not strings. */
    cJSON *e;
    cJSON_ArrayForEach(e, a) if (strcmp(cJSON_GetObjectItem(e, "id")->valuestring,
                                        "deepseek-v4-pro") == 0)
    {
        CHECK(cJSON_GetObjectItem(e, "params_total_official")->valuedouble == 1.6e12);
        CHECK(cJSON_GetObjectItem(e, "params_active_official")->valuedouble == 49e9);
    }
    cJSON_Delete(a);
    drop(&r);
}

static void test_hw_json(void)
{
    char *argv[] = {ARG("mtok"), ARG("hw"), ARG("--json")};
    struct result r = run(3, argv);
    CHECK(r.rc == 0);
    cJSON *a = cJSON_Parse(r.out);
    CHECK(cJSON_GetArraySize(a) >= 17);
    cJSON *e;
    cJSON_ArrayForEach(e, a)
    {
        const char *id = cJSON_GetObjectItem(e, "id")->valuestring;
        static const char *const groups[] = {"compute_source", "memory_source"};
        for (int g = 0; g < 2; g++) {
            const cJSON *src = cJSON_GetObjectItem(e, groups[g]);
            CHECK_MSG(cJSON_IsString(cJSON_GetObjectItem(src, "source")) &&
                          cJSON_IsString(cJSON_GetObjectItem(src, "date")) &&
                          cJSON_IsBool(cJSON_GetObjectItem(src, "uncertain")),
                      "%s: %s", id, groups[g]);
        }
        const cJSON *flops = cJSON_GetObjectItem(e, "dense_flops");
        CHECK(cJSON_IsObject(flops) && cJSON_GetObjectItem(flops, "bf16"));
        CHECK(cJSON_GetObjectItem(e, "memory_bandwidth_bytes_s")->valuedouble > 0);
    }
    cJSON_Delete(a);
    drop(&r);
}

static void test_errors(void)
{
    char *help[] = {ARG("mtok"), ARG("--help")};
    struct result r = run(2, help);
    CHECK(r.rc == 0 && strstr(r.out, "usage: mtok"));
    drop(&r);

    char *none[] = {ARG("mtok")};
    r = run(1, none);
    CHECK(r.rc == 2 && strstr(r.err, "usage"));
    drop(&r);

    char *bad_cmd[] = {ARG("mtok"), ARG("frobnicate")};
    r = run(2, bad_cmd);
    CHECK(r.rc == 2 && lines(r.err) == 1 && strstr(r.err, "frobnicate"));
    drop(&r);

    char *bad_opt[] = {ARG("mtok"), ARG("models"), ARG("--jsn")};
    r = run(3, bad_opt);
    CHECK(r.rc == 2 && lines(r.err) == 1 && strstr(r.err, "--jsn") && r.out[0] == '\0');
    drop(&r);

    char *extra[] = {ARG("mtok"), ARG("hw"), ARG("h100")};
    r = run(3, extra);
    CHECK(r.rc == 2 && lines(r.err) == 1 && strstr(r.err, "h100"));
    drop(&r);

    char *missing_val[] = {ARG("mtok"), ARG("models"), ARG("--db")};
    r = run(3, missing_val);
    CHECK(r.rc == 2 && strstr(r.err, "--db needs a value"));
    drop(&r);

    char *bad_dir[] = {ARG("mtok"), ARG("models"), ARG("--data"), ARG("/nonexistent-mtok-dir")};
    r = run(4, bad_dir);
    CHECK(r.rc == 2 && strstr(r.err, "/nonexistent-mtok-dir/models/index.json"));
    drop(&r);

    char *no_into[] = {ARG("mtok"), ARG("db"), ARG("merge"), ARG("a.db")};
    r = run(4, no_into);
    CHECK(r.rc == 2 && strstr(r.err, "--into"));
    drop(&r);

    char *check_ok[] = {ARG("mtok"), ARG("check")};
    r = run(2, check_ok);
    CHECK(r.rc == 0 && strstr(r.out, "catalog ok"));
    drop(&r);
}

static void test_db_cli(void)
{
    char dir[] = "/tmp/mtok-cli-XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char a[256], b[256];
    snprintf(a, sizeof a, "%s/a.db", dir);
    snprintf(b, sizeof b, "%s/b.db", dir);
    char *stats[] = {ARG("mtok"), ARG("db"), ARG("stats"), ARG("--db"), a, ARG("--json")};
    struct result r = run(6, stats);
    CHECK(r.rc == 0);
    cJSON *o = cJSON_Parse(r.out);
    CHECK(cJSON_GetObjectItem(o, "schema_version") &&
          cJSON_GetObjectItem(cJSON_GetObjectItem(o, "rows"), "run")->valuedouble == 0);
    cJSON_Delete(o);
    drop(&r);
    char *merge[] = {ARG("mtok"), ARG("db"), ARG("merge"), a, ARG("--into"), b};
    r = run(6, merge);
    CHECK(r.rc == 0 && strstr(r.out, "0 runs added"));
    drop(&r);
    char *self[] = {ARG("mtok"), ARG("db"), ARG("merge"), b, ARG("--into"), b};
    r = run(6, self);
    CHECK(r.rc == 2 && strstr(r.err, "into itself"));
    drop(&r);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
}

int main(void)
{
    test_models_json();
    test_hw_json();
    test_errors();
    test_db_cli();
    return test_status("test_cli");
}
