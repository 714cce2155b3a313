/* Minimal test harness: CHECK records a failure with file:line and keeps going; main returns
 * test_status(). Exit 77 means skipped (CTest SKIP_RETURN_CODE). */
#ifndef MTOK_TEST_H
#define MTOK_TEST_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int test_failures;

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);              \
            test_failures++;                                                                       \
        }                                                                                          \
    } while (0)

#define CHECK_MSG(cond, ...)                                                                       \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: CHECK failed: %s: ", __FILE__, __LINE__, #cond);              \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fputc('\n', stderr);                                                                   \
            test_failures++;                                                                       \
        }                                                                                          \
    } while (0)

/* |a - b| <= rel * |b| */
#define CHECK_NEAR(a, b, rel)                                                                      \
    CHECK_MSG(fabs((double)(a) - (double)(b)) <= (rel) * fabs((double)(b)), "%.10g vs %.10g",     \
              (double)(a), (double)(b))

static inline int test_status(const char *name)
{
    if (test_failures)
        fprintf(stderr, "%s: %d check(s) failed\n", name, test_failures);
    else
        printf("%s: ok\n", name);
    return test_failures ? 1 : 0;
}

/* A string literal as the char* an argv holds (the CLI never writes to its arguments). */
#define ARG(s) ((char *)(uintptr_t)(s))

/* The source tree (for data/ and tests/data/), from CTest's environment. */
static inline const char *test_source_dir(void)
{
    const char *s = getenv("MTOK_SOURCE_DIR");
    return s ? s : ".";
}

#endif
