/* mtok's analytic counters, exported as PAPI software-defined events (libsde) and read back through
 * PAPI event sets, equal the analytic figures exactly: per window, repeatedly, and nothing outside
 * the window. Skipped (77) only where PAPI itself cannot initialise. */
#include "bench/bench.h"
#include "test.h"

/* The counters directly: start, account, stop; repeated. */
static void test_sde_direct(void)
{
    struct mtok_counters *c = NULL;
    struct mtok_error err = {0};
    if (mtok_counters_create(&c, &err) != MTOK_OK) {
        printf("test_sde: skipped: %s\n", err.msg);
        exit(77);
    }
    size_t n = mtok_counters_count(c);
    long long *v = calloc(n, sizeof *v);
    struct mtok_op op = mtok_op_gemm("g", 2048, 2048, 2048, MTOK_F32, MTOK_F32, MTOK_F32);
    int found = 0;
    for (size_t i = 0; i < n; i++)
        found += strncmp(mtok_counters_info(c, i)->name, "sde:::mtok::", 12) == 0;
    CHECK(found == MTOK_SDE_COUNT);
    for (int round = 0; round < 2; round++) {
        CHECK(mtok_counters_start(c, &err) == MTOK_OK);
        mtok_sde_account(&op, 3);
        CHECK(mtok_counters_stop(c, v, &err) == MTOK_OK);
        for (size_t i = 0; i < n; i++) {
            const struct mtok_bench_counter *x = mtok_counters_info(c, i);
            if (strcmp(x->name, "sde:::mtok::FLOPS") == 0)
                CHECK_MSG(x->available && v[i] == 3LL * 2 * 2048 * 2048 * 2048, "%lld", v[i]);
            if (strcmp(x->name, "sde:::mtok::BYTES") == 0)
                CHECK(x->available && v[i] == 3LL * (long long)mtok_op_bytes(&op));
            if (strcmp(x->name, "sde:::mtok::KV_BYTES") == 0)
                CHECK(x->available && v[i] == 0);
        }
    }
    /* Outside the window nothing is counted. */
    mtok_sde_account(&op, 5);
    CHECK(mtok_counters_start(c, &err) == MTOK_OK);
    CHECK(mtok_counters_stop(c, v, &err) == MTOK_OK);
    for (size_t i = 0; i < n; i++)
        if (strncmp(mtok_counters_info(c, i)->name, "sde:::", 6) == 0)
            CHECK(v[i] == 0);
    CHECK(mtok_counters_stop(c, v, &err) == MTOK_EINTERNAL);
    free(v);
    mtok_counters_destroy(c);
    mtok_counters_destroy(NULL);
}

int main(void)
{
    test_sde_direct();
    return test_status("test_sde");
}
