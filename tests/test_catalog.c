/* catalog: every catalog file loads and normalises to the layout its config describes; every broken
 * file in tests/data/broken gives its one-line diagnostic and exit 2. */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "catalog/catalog.h"
#include "cli/cli.h"
#include "test.h"

static const char *const required_models[] = {
    "deepseek-v4-pro", "deepseek-v4-flash", "deepseek-v3",     "deepseek-r1",
    "deepseek-v3.2",   "kimi-k2",           "kimi-k2.5",       "kimi-k2.6",
    "qwen3-235b-a22b", "qwen3.5-397b-a17b", "qwen3-30b-a3b",   "glm-5",
    "glm-5.1",         "minimax-m2.5",      "minimax-m2.7",    "llama-3.1-405b",
    "llama-3.1-70b",   "llama-3.1-8b",      "nemotron-3-nano", "nemotron-3-super",
    "nemotron-3-ultra", "gpt-oss-120b",     "gpt-oss-20b",     "mixtral-8x7b"};

static const char *const required_hw[] = {
    "h100-sxm", "h200",        "h800",        "h20",          "b200",         "gb200",
    "b300",     "gb300",       "mi300x",      "mi325x",       "mi355x",       "ascend-910b",
    "ascend-910c", "ascend-950pr", "ascend-950dt", "m3-ultra", "m4-max"};

static int count_attn(const struct mtok_model *m, enum mtok_attn_kind k, bool mtp)
{
    int n = 0;
    for (int i = 0; i < m->n_layers + m->n_mtp; i++)
        n += m->layers[i].attn == k && m->layers[i].mtp == mtp;
    return n;
}

static int count_ffn(const struct mtok_model *m, enum mtok_ffn_kind k)
{
    int n = 0;
    for (int i = 0; i < m->n_layers; i++)
        n += m->layers[i].ffn == k;
    return n;
}

static void test_embedded(void)
{
    struct mtok_diags d = {0};
    struct mtok_catalog *cat = NULL;
    CHECK(mtok_catalog_open(&cat, NULL, &d) == MTOK_OK);
    for (size_t i = 0; i < d.n; i++)
        fprintf(stderr, "  %s\n", d.lines[i]);
    mtok_diags_free(&d);
    if (!cat)
        return;
    for (size_t i = 0; i < sizeof required_models / sizeof *required_models; i++) {
        const struct mtok_model *m = mtok_catalog_model(cat, required_models[i]);
        CHECK_MSG(m != NULL, "model %s", required_models[i]);
        if (m)
            CHECK_MSG(m->official_total > 0 && m->official_active > 0 && m->official_src.source,
                      "official counts for %s", m->id);
    }
    for (size_t i = 0; i < sizeof required_hw / sizeof *required_hw; i++) {
        const struct mtok_hw *h = mtok_catalog_hw(cat, required_hw[i]);
        CHECK_MSG(h != NULL, "hardware %s", required_hw[i]);
        if (h)
            CHECK_MSG(h->src_compute.source && h->src_memory.source && h->mem_bw > 0,
                      "sources for %s", h->id);
    }
    CHECK(mtok_catalog_price_count(cat) >= 20);

    /* Layouts, against the counts FACTS.md gives for each config. */
    const struct mtok_model *m = mtok_catalog_model(cat, "deepseek-v4-pro");
    if (m) {
        CHECK(m->n_layers == 61 && m->n_mtp == 1);
        CHECK(count_attn(m, MTOK_ATTN_V4_CSA, false) == 30);
        CHECK(count_attn(m, MTOK_ATTN_V4_HCA, false) == 31);
        CHECK(count_attn(m, MTOK_ATTN_V4_SWA, true) == 1);
        CHECK(m->layers[0].hash_routed && m->layers[2].hash_routed && !m->layers[3].hash_routed);
        CHECK(m->index_topk == 1024 && m->o_groups == 16 && m->head_dim == 512);
        CHECK(m->wprec_expert == MTOK_MXFP4 && m->wprec_dense == MTOK_FP8);
        CHECK(m->router == MTOK_ROUTER_SQRTSOFTPLUS && m->hc_mult == 4);
    }
    m = mtok_catalog_model(cat, "deepseek-v4-flash");
    if (m) {
        CHECK(count_attn(m, MTOK_ATTN_V4_SWA, false) == 2);
        CHECK(count_attn(m, MTOK_ATTN_V4_CSA, false) == 21);
        CHECK(count_attn(m, MTOK_ATTN_V4_HCA, false) == 20);
        CHECK(m->index_topk == 512);
    }
    m = mtok_catalog_model(cat, "deepseek-v3");
    if (m) {
        CHECK(count_attn(m, MTOK_ATTN_MLA, false) == 61 && count_ffn(m, MTOK_FFN_DENSE) == 3);
        CHECK(m->kv_lora_rank == 512 && m->rope_dim == 64 && m->head_dim == 192);
        CHECK(m->shared_intermediate == 2048);
    }
    m = mtok_catalog_model(cat, "deepseek-v3.2");
    if (m)
        CHECK(count_attn(m, MTOK_ATTN_MLA_DSA, false) == 61 && m->index_topk == 2048);
    m = mtok_catalog_model(cat, "glm-5");
    if (m)
        CHECK(m->n_layers == 78 && m->index_heads == 32 && m->v_head_dim == 256 &&
              count_ffn(m, MTOK_FFN_DENSE) == 3);
    m = mtok_catalog_model(cat, "kimi-k2.5");
    if (m)
        CHECK(m->n_heads == 64 && m->n_experts == 384 && count_ffn(m, MTOK_FFN_DENSE) == 1 &&
              m->wprec_expert == MTOK_INT4 && m->wprec_dense == MTOK_BF16);
    m = mtok_catalog_model(cat, "kimi-k2.6");
    if (m)
        CHECK(m->wprec_expert == MTOK_NVFP4 && m->n_layers == 61);
    m = mtok_catalog_model(cat, "qwen3.5-397b-a17b");
    if (m) {
        CHECK(count_attn(m, MTOK_ATTN_GDN, false) == 45 && count_attn(m, MTOK_ATTN_FULL, false) == 15);
        CHECK(m->rope_dim == 64 && m->attn_output_gate && m->n_mtp == 1);
        CHECK(m->gdn_v_heads == 64 && m->shared_intermediate == 1024 && m->topk == 10);
    }
    static const struct {
        const char *id;
        int mamba, moe, attn;
    } nemo[] = {{"nemotron-3-nano", 23, 23, 6}, {"nemotron-3-super", 40, 40, 8},
                {"nemotron-3-ultra", 48, 48, 12}};
    for (size_t i = 0; i < 3; i++) {
        m = mtok_catalog_model(cat, nemo[i].id);
        if (!m)
            continue;
        CHECK_MSG(count_attn(m, MTOK_ATTN_MAMBA2, false) == nemo[i].mamba, "%s mamba", m->id);
        CHECK_MSG(count_ffn(m, MTOK_FFN_MOE) == nemo[i].moe, "%s moe", m->id);
        CHECK_MSG(count_attn(m, MTOK_ATTN_FULL, false) == nemo[i].attn, "%s attention", m->id);
        CHECK(m->act == MTOK_ACT_RELU2);
    }
    m = mtok_catalog_model(cat, "nemotron-3-ultra");
    if (m)
        CHECK(m->moe_latent == 2048 && m->n_mtp == 2);
    m = mtok_catalog_model(cat, "gpt-oss-120b");
    if (m) {
        CHECK(count_attn(m, MTOK_ATTN_SLIDING, false) == 18 && count_attn(m, MTOK_ATTN_FULL, false) == 18);
        CHECK(m->sliding_window == 128 && m->wprec_expert == MTOK_MXFP4 && m->attn_sink);
    }
    m = mtok_catalog_model(cat, "minimax-m2.7");
    if (m)
        CHECK(m->n_mtp == 3 && m->rope_dim == 64 && m->router == MTOK_ROUTER_SIGMOID);
    m = mtok_catalog_model(cat, "llama-3.1-8b");
    if (m)
        CHECK(m->n_layers == 32 && m->n_kv_heads == 8 && m->head_dim == 128 &&
              count_ffn(m, MTOK_FFN_DENSE) == 32);

    /* The measured host entry is accepted without price or links and replaces by id. */
    static const char host[] =
        "{\"id\":\"host\",\"name\":\"this machine\",\"vendor\":\"Intel\",\"kind\":\"cpu\","
        "\"compute\":{\"flops\":{\"fp64\":1e11,\"fp32\":2e11,\"bf16\":4e11,\"fp8\":null,\"fp4\":null,"
        "\"int8\":8e11},\"source\":\"mtok ceilings run 1\",\"date\":\"2026-11-22\",\"uncertain\":false},"
        "\"memory\":{\"capacity_bytes\":24e9,\"bandwidth_bytes_s\":4e10,\"source\":\"mtok ceilings\","
        "\"date\":\"2026-11-22\",\"uncertain\":false}}";
    d = (struct mtok_diags){0};
    CHECK(mtok_catalog_add_hw_json(cat, "host", host, sizeof host - 1, &d) == MTOK_OK);
    CHECK(d.n == 0);
    const struct mtok_hw *h = mtok_catalog_hw(cat, "host");
    CHECK(h && h->peak[MTOK_PEAK_FP32] == 2e11 && h->scale_up_domain == 1);
    CHECK(mtok_catalog_add_hw_json(cat, "host", host, sizeof host - 3, &d) == MTOK_EINVAL);
    CHECK(d.n == 1 && mtok_catalog_hw(cat, "host") == h);
    mtok_diags_free(&d);

    /* --model takes a path as well as an id. */
    char path[4096];
    snprintf(path, sizeof path, "%s/data/models/Qwen--Qwen3-8B_config.json", test_source_dir());
    const struct mtok_model *q = NULL;
    CHECK(mtok_catalog_resolve_model(cat, path, &q, &d) == MTOK_OK && q && q->n_layers == 36);
    CHECK(mtok_catalog_resolve_model(cat, "no-such-model", &q, &d) == MTOK_ENOTFOUND);
    CHECK(d.n == 1 && strstr(d.lines[0], "no-such-model"));
    mtok_diags_free(&d);
    mtok_catalog_destroy(cat);

    /* The data/ folder on disk loads exactly like the embedded copy. */
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/data", test_source_dir());
    CHECK(mtok_catalog_open(&cat, dir, &d) == MTOK_OK && d.n == 0);
    mtok_catalog_destroy(cat);
    mtok_diags_free(&d);
}

/* ---- broken files ---- */

static int copy_tree(const char *from, const char *to)
{
    if (mkdir(to, 0755) != 0)
        return -1;
    DIR *dp = opendir(from);
    if (!dp)
        return -1;
    struct dirent *e;
    int rc = 0;
    while (rc == 0 && (e = readdir(dp))) {
        if (e->d_name[0] == '.')
            continue;
        char a[4096], b[4096];
        snprintf(a, sizeof a, "%s/%s", from, e->d_name);
        snprintf(b, sizeof b, "%s/%s", to, e->d_name);
        struct stat st;
        if (stat(a, &st) != 0)
            rc = -1;
        else if (S_ISDIR(st.st_mode))
            rc = copy_tree(a, b);
        else {
            char *data;
            size_t len;
            rc = mtok_file_read(a, 1 << 26, &data, &len, NULL) == MTOK_OK &&
                         mtok_file_write(b, data, len, NULL) == MTOK_OK
                     ? 0
                     : -1;
            free(data);
        }
    }
    closedir(dp);
    return rc;
}

static void rm_tree(const char *path)
{
    DIR *dp = opendir(path);
    if (dp) {
        struct dirent *e;
        while ((e = readdir(dp))) {
            if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
                continue;
            char p[4096];
            snprintf(p, sizeof p, "%s/%s", path, e->d_name);
            rm_tree(p);
        }
        closedir(dp);
        rmdir(path);
    } else {
        unlink(path);
    }
}

/* Run the CLI in-process; stderr is captured into errbuf. */
static int run_cli(int argc, char **argv, char *errbuf, size_t n)
{
    FILE *out = tmpfile(), *err = tmpfile();
    int rc = mtok_cli_main(argc, argv, out, err);
    rewind(err);
    size_t got = fread(errbuf, 1, n - 1, err);
    errbuf[got] = '\0';
    fclose(out);
    fclose(err);
    return rc;
}

static void test_broken(void)
{
    char manifest[4096];
    snprintf(manifest, sizeof manifest, "%s/tests/data/broken/MANIFEST.tsv", test_source_dir());
    FILE *f = fopen(manifest, "r");
    CHECK(f != NULL);
    if (!f)
        return;
    char line[1024], tmp[] = "/tmp/mtok-broken-XXXXXX";
    CHECK(mkdtemp(tmp) != NULL);
    int n_files = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        line[strcspn(line, "\n")] = '\0';
        char *fields[5] = {0};
        int nf = 0;
        for (char *p = strtok(line, "\t"); p && nf < 5; p = strtok(NULL, "\t"))
            fields[nf++] = p;
        CHECK(nf >= 4);
        if (nf < 4)
            continue;
        int want_lines = nf == 5 ? atoi(fields[4]) : 1;
        char file[4096], errbuf[8192], shown[4096];
        snprintf(file, sizeof file, "%s/tests/data/broken/%s", test_source_dir(), fields[0]);
        int rc;
        if (strcmp(fields[1], "file") == 0) {
            char *argv[] = {ARG("mtok"), ARG("check"), file, NULL};
            rc = run_cli(3, argv, errbuf, sizeof errbuf);
            mtok_strlcpy(shown, file, sizeof shown);
        } else {
            char data[4096], src[4096], dst[8192];
            snprintf(data, sizeof data, "%s/data-%d", tmp, n_files);
            snprintf(src, sizeof src, "%s/data", test_source_dir());
            CHECK(copy_tree(src, data) == 0);
            snprintf(dst, sizeof dst, "%s/%s", data, fields[2]);
            char *json;
            size_t len;
            CHECK(mtok_file_read(file, 1 << 26, &json, &len, NULL) == MTOK_OK);
            CHECK(mtok_file_write(dst, json, len, NULL) == MTOK_OK);
            free(json);
            char dbpath[4096];
            snprintf(dbpath, sizeof dbpath, "%s/should-not-exist.db", tmp);
            char *argv[] = {ARG("mtok"), ARG("models"), ARG("--data"), data, ARG("--db"), dbpath, NULL};
            rc = run_cli(6, argv, errbuf, sizeof errbuf);
            CHECK_MSG(access(dbpath, F_OK) != 0, "%s: a database was written", fields[0]);
            mtok_strlcpy(shown, dst, sizeof shown);
        }
        n_files++;
        int lines = 0;
        for (const char *p = errbuf; *p; p++)
            lines += *p == '\n';
        CHECK_MSG(rc == 2, "%s: exit %d", fields[0], rc);
        CHECK_MSG(lines == want_lines, "%s: %d lines: %s", fields[0], lines, errbuf);
        /* Every line reads FILE: FIELD: what is wrong */
        for (const char *p = errbuf; *p;) {
            CHECK_MSG(strncmp(p, shown, strlen(shown)) == 0 && p[strlen(shown)] == ':',
                      "%s: line does not start with the file name: %s", fields[0], p);
            const char *nl = strchr(p, '\n');
            p = nl ? nl + 1 : p + strlen(p);
        }
        CHECK_MSG(strstr(errbuf, fields[3]) != NULL, "%s: expected \"%s\", got: %s", fields[0],
                  fields[3], errbuf);
    }
    fclose(f);
    rm_tree(tmp);
    CHECK_MSG(n_files >= 20, "only %d broken files", n_files);
    printf("broken files checked: %d\n", n_files);
}

int main(void)
{
    test_embedded();
    test_broken();
    return test_status("test_catalog");
}
