/* A writer for test_faults: records runs into DB forever, until killed.
 *
 *   fault_writer DB [SEED]
 *
 * Each run has a random number of results, samples, counters, simulations, costs, ceilings and
 * price rows; the counts are written into the run's `args` ("rows results=R samples=S ...") so a
 * checker can verify any complete run without trusting this process. On stdout, unbuffered, one
 * line per event: "begin UUID" after mtok_store_run_begin returned and "commit UUID" after
 * mtok_store_run_commit returned. Now and then the store is closed and reopened, so kills also land
 * in open, migration and reaping. Exits 1 on any store error (a lock must never fail). */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/store.h"

static uint64_t rng;

static unsigned next(unsigned n)
{
    rng = rng * 6364136223846793005u + 1442695040888963407u;
    return (unsigned)(rng >> 33) % n;
}

static void say(const char *what, const char *uuid)
{
    char line[80];
    int n = snprintf(line, sizeof line, "%s %s\n", what, uuid);
    if (write(1, line, (size_t)n) != n)
        exit(1);
}

static const struct mtok_machine_row machine = {"fp-fault", "fault-host", "Fault CPU", "avx2",
                                                "Linux", 2, 4e9};
static const struct mtok_build_row build = {"f00d", false, "cc", "-O2", "ref", "0.1.0"};

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: fault_writer DB [SEED]\n");
        return 2;
    }
    rng = (argc > 2 ? strtoull(argv[2], NULL, 10) : 1) ^ ((uint64_t)getpid() << 20);
    struct mtok_store *st = NULL;
    for (;;) {
        struct mtok_error err = {0};
        if (!st && mtok_store_open(&st, argv[1], &err) != MTOK_OK) {
            fprintf(stderr, "fault_writer: %s\n", err.msg);
            return 1;
        }
        /* Draw the run's shape, then build it with its counts in `args`. */
        unsigned results = 1 + next(60), sims = next(10), ceilings = next(4), prices = next(3);
        unsigned samples = 0, counters = 0, costs = 0;
        unsigned *ns = malloc(results * sizeof *ns), *nc = malloc((sims + 1) * sizeof *nc);
        bool *ctr = malloc(results * sizeof *ctr);
        for (unsigned i = 0; i < results; i++) {
            ns[i] = 1 + next(40), ctr[i] = next(2);
            samples += ns[i], counters += ctr[i];
        }
        for (unsigned i = 0; i < sims; i++)
            nc[i] = next(3), costs += nc[i];
        char args[200];
        snprintf(args, sizeof args,
                 "rows results=%u samples=%u counters=%u sims=%u costs=%u ceilings=%u prices=%u",
                 results, samples, counters, sims, costs, ceilings, prices);
        struct mtok_run_info info = {"bench", "faults", args, &machine, &build};
        struct mtok_run *run = mtok_run_create(&info);
        for (unsigned i = 0; i < results; i++) {
            char name[48];
            snprintf(name, sizeof name, "kernel-%u/f32", i);
            struct mtok_result_row r = {.name = name, .kernel = "gemm", .dtype = "f32",
                                        .threads = 1, .median_ns = 100 + i, .provenance = "sol"};
            size_t k = mtok_run_add_result(run, &r);
            for (unsigned s = 0; s < ns[i]; s++)
                mtok_run_add_sample(run, k, 100.0 + s);
            if (ctr[i])
                mtok_run_add_counter(run, k, "PAPI_TOT_CYC", 0, false, "no PMU");
        }
        static const char *const tiers[] = {"hyperscaler", "neocloud", "rental"};
        for (unsigned i = 0; i < sims; i++) {
            char key[32];
            snprintf(key, sizeof key, "point-%u", i);
            struct mtok_sim_row s = {.key = key, .model = "m", .hw = "h", .deployment = "{}",
                                     .fits = true, .tpot_s = 0.01, .provenance = "sol"};
            size_t k = mtok_run_add_sim(run, &s);
            for (unsigned c = 0; c < nc[i]; c++) {
                struct mtok_cost_row cost = {tiers[c], 2, 0.1, 0.01, 0.4, 0.2};
                mtok_run_add_cost(run, k, &cost);
            }
        }
        for (unsigned i = 0; i < ceilings; i++) {
            struct mtok_ceiling_row c = {"bandwidth", "read", "L1", 1, (double)(1024u << i),
                                         1e11, "B/s"};
            mtok_run_add_ceiling(run, &c);
        }
        for (unsigned i = 0; i < prices; i++) {
            char id[32];
            snprintf(id, sizeof id, "p/%u", i);
            struct mtok_price_row p = {id, "P", "p", NULL, "list", "2026-01", NULL, "USD", 1,
                                       0.5, 2, "test"};
            mtok_run_add_price(run, &p);
        }
        free(ns), free(nc), free(ctr);
        if (mtok_store_run_begin(st, run) != MTOK_OK) {
            fprintf(stderr, "fault_writer: begin: %s\n", mtok_store_errmsg(st));
            return 1;
        }
        say("begin", mtok_run_uuid(run));
        if (mtok_store_run_commit(st, run) != MTOK_OK) {
            fprintf(stderr, "fault_writer: commit: %s\n", mtok_store_errmsg(st));
            return 1;
        }
        say("commit", mtok_run_uuid(run));
        mtok_run_destroy(run);
        if (next(4) == 0) {
            mtok_store_close(st);
            st = NULL;
        }
    }
}
