/* main() for fuzz targets built without libFuzzer: run the target once on every file named on the
 * command line (directories: every file in them, one level, sorted), as libFuzzer would replay a
 * corpus. Used by CTest on every build, so each kept crash input stays a regression test under gcc
 * and under the sanitizers. Exit 0 when every input ran; a crash or failed oracle aborts. */
#define _XOPEN_SOURCE 700 /* realpath */
#include "fuzz.h"

__attribute__((weak)) int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc, (void)argv;
    return 0;
}

static int cmp(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static size_t run_file(const char *path)
{
    printf("%s\n", path); /* so a failure names its input */
    fflush(stdout);
    char *data = NULL;
    size_t len = 0;
    struct mtok_error err = {0};
    if (mtok_file_read(path, 64u << 20, &data, &len, &err) != MTOK_OK) {
        fprintf(stderr, "replay: %s\n", err.msg);
        exit(1);
    }
    /* An exact-size copy, so that ASan sees a read past the input's end. */
    uint8_t *copy = malloc(len ? len : 1);
    memcpy(copy, data, len);
    free(data);
    LLVMFuzzerTestOneInput(copy, len);
    free(copy);
    return 1;
}

static size_t run_path(const char *path)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        fprintf(stderr, "replay: %s: %s\n", path, strerror(errno));
        exit(1);
    }
    if (!S_ISDIR(st.st_mode))
        return run_file(path);
    DIR *dp = opendir(path);
    if (!dp) {
        fprintf(stderr, "replay: cannot open %s\n", path);
        exit(1);
    }
    char **names = NULL;
    size_t n = 0, cap = 0, ran = 0;
    struct dirent *e;
    while ((e = readdir(dp))) {
        if (e->d_name[0] == '.')
            continue;
        if (n == cap)
            names = realloc(names, (cap = cap ? 2 * cap : 64) * sizeof *names);
        names[n++] = strdup(e->d_name);
    }
    closedir(dp);
    if (n)
        qsort(names, n, sizeof *names, cmp);
    for (size_t i = 0; i < n; i++) {
        char p[4096 + 260];
        snprintf(p, sizeof p, "%s/%s", path, names[i]);
        if (stat(p, &st) == 0 && S_ISREG(st.st_mode))
            ran += run_file(p);
        free(names[i]);
    }
    free(names);
    return ran;
}

int main(int argc, char **argv)
{
    /* Targets may chdir in their initialisation: resolve the inputs first. */
    char **paths = calloc((size_t)argc + 1, sizeof *paths);
    for (int i = 1; i < argc; i++) {
        paths[i] = realpath(argv[i], NULL);
        if (!paths[i]) {
            fprintf(stderr, "replay: %s: %s\n", argv[i], strerror(errno));
            return 1;
        }
    }
    LLVMFuzzerInitialize(&argc, &argv);
    size_t ran = 0;
    for (int i = 1; i < argc; i++) {
        ran += run_path(paths[i]);
        free(paths[i]);
    }
    free(paths);
    printf("%s: %zu inputs replayed, no crash\n", argv[0], ran);
    return 0;
}
