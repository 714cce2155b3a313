/* Fuzz target: the models index (data/models/index.json layout) through a catalog opened on a
 * scratch data directory, the `--data DIR` path: the input becomes models/index.json next to
 * every embedded config file, one hardware file and an empty price book, and mtok_catalog_open
 * reads the directory. Oracles: diagnostics name a file under the directory (fuzz.h); an opened
 * catalog has unique, findable model ids with official counts active <= total. */
#include "fuzz.h" /* first: it sets _POSIX_C_SOURCE */
#include "catalog/catalog.h"

static char data_dir[512];

static void mkdir_or_die(const char *path)
{
    if (mkdir(path, 0755) != 0 && errno != EEXIST) {
        fprintf(stderr, "fuzz_index: mkdir %s: %s\n", path, strerror(errno));
        abort();
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    snprintf(data_dir, sizeof data_dir, "%s", fuzz_path("data"));
    char p[1024];
    mkdir_or_die(data_dir);
    static const char *const subs[] = {"models", "hardware", "prices"};
    for (int i = 0; i < 3; i++) {
        snprintf(p, sizeof p, "%s/%s", data_dir, subs[i]);
        mkdir_or_die(p);
    }
    for (size_t i = 0; i < mtok_embedded_count; i++) {
        const struct mtok_blob *b = &mtok_embedded_files[i];
        if (strncmp(b->path, "data/models/", 12) == 0 || strcmp(b->path, "data/hardware/h100-sxm.json") == 0) {
            snprintf(p, sizeof p, "%s/%s", data_dir, b->path + 5);
            fuzz_write(p, b->data, b->size);
        }
    }
    snprintf(p, sizeof p, "%s/prices/api.json", data_dir);
    fuzz_write(p, "{\"prices\": []}", 14);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char index[1024], prefix[1024];
    snprintf(index, sizeof index, "%s/models/index.json", data_dir);
    snprintf(prefix, sizeof prefix, "%s", data_dir);
    fuzz_write(index, data, size);
    struct mtok_diags d = {0};
    struct mtok_catalog *cat = NULL;
    enum mtok_status s = mtok_catalog_open(&cat, data_dir, &d);
    fuzz_check_diags_prefix(&d, 0, s == MTOK_OK, prefix);
    FUZZ_ASSERT((s == MTOK_OK) == (cat != NULL), "status %d", s);
    if (cat) {
        size_t n = mtok_catalog_model_count(cat);
        for (size_t i = 0; i < n; i++) {
            const struct mtok_model *m = mtok_catalog_model_at(cat, i);
            FUZZ_ASSERT(m->id && mtok_catalog_model(cat, m->id) == m, "model %zu id", i);
            FUZZ_ASSERT(m->official_active <= m->official_total, "%s: active > total", m->id);
            FUZZ_ASSERT(m->name && m->config_file && m->n_layers > 0, "%s: fields", m->id);
        }
        FUZZ_ASSERT(mtok_catalog_hw(cat, "h100-sxm") != NULL, "hardware lost");
    }
    mtok_catalog_destroy(cat);
    mtok_diags_free(&d);
    return 0;
}
