/* core: UTF-8 validation, strict number parsing, buffers, dtypes, file read limits, diagnostics. */
#define _POSIX_C_SOURCE 200809L
#include <sys/stat.h>
#include <unistd.h>

#include "core/core.h"
#include "test.h"

static void test_utf8(void)
{
    CHECK(mtok_utf8_valid("plain ascii", 11));
    {
        const char *s = "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80";
        CHECK(mtok_utf8_valid(s, strlen(s)));
    }
    CHECK(!mtok_utf8_valid("\xff", 1));
    CHECK(!mtok_utf8_valid("\xc0\xaf", 2));         /* overlong '/' */
    CHECK(!mtok_utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
    CHECK(!mtok_utf8_valid("\xf4\x90\x80\x80", 4)); /* > U+10FFFF */
    CHECK(!mtok_utf8_valid("\xe2\x82", 2));         /* truncated */
}

static void test_parse(void)
{
    double d;
    long l;
    CHECK(mtok_parse_double("1.5e3", &d) == MTOK_OK && d == 1500);
    CHECK(mtok_parse_double("", &d) == MTOK_EINVAL);
    CHECK(mtok_parse_double("12x", &d) == MTOK_EINVAL);
    CHECK(mtok_parse_double(" 1", &d) == MTOK_EINVAL);
    CHECK(mtok_parse_double("nan", &d) == MTOK_EINVAL);
    CHECK(mtok_parse_double("inf", &d) == MTOK_EINVAL);
    CHECK(mtok_parse_double("1e999", &d) == MTOK_EINVAL);
    CHECK(mtok_parse_long("42", 0, 100, &l) == MTOK_OK && l == 42);
    CHECK(mtok_parse_long("101", 0, 100, &l) == MTOK_EINVAL);
    CHECK(mtok_parse_long("-1", 0, 100, &l) == MTOK_EINVAL);
    CHECK(mtok_parse_long("4.0", 0, 100, &l) == MTOK_EINVAL);
    CHECK(mtok_parse_long("99999999999999999999999", 0, 100, &l) == MTOK_EINVAL);
}

static void test_buf_and_diags(void)
{
    struct mtok_buf b = {0};
    for (int i = 0; i < 1000; i++)
        mtok_buf_printf(&b, "%d,", i);
    CHECK(b.len == strlen(b.data) && strncmp(b.data, "0,1,2,", 6) == 0);
    char *s = mtok_buf_steal(&b);
    CHECK(b.data == NULL && strlen(s) > 3000);
    free(s);
    struct mtok_diags d = {0};
    mtok_diags_add(&d, "f.json", "a.b", "bad\nvalue %d", 7);
    CHECK(d.n == 1 && strcmp(d.lines[0], "f.json: a.b: bad value 7") == 0);
    mtok_diags_free(&d);
    struct mtok_error e = {0};
    CHECK(mtok_error_set(&e, MTOK_EIO, "x\ny") == MTOK_EIO && strcmp(e.msg, "x y") == 0);
    char small[4];
    CHECK(mtok_strlcpy(small, "abcdef", sizeof small) == 6 && strcmp(small, "abc") == 0);
}

/* Text quoted from hostile input reaches a terminal only as one printable line. */
static void test_safe_lines(void)
{
    struct mtok_buf b = {0};
    static const char in[] = "a\x1b[2Jb\nc\td\xc2\x9b" "e\xff\xc3\xa9\x7f";
    mtok_buf_append_line(&b, in, sizeof in - 1);
    CHECK_MSG(strcmp(b.data, "a\\x1b[2Jb c d\\xc2\\x9be\\xff\xc3\xa9\\x7f") == 0, "%s", b.data);
    mtok_buf_free(&b);
    mtok_buf_append_line(&b, "", 0);
    CHECK(b.data && b.data[0] == '\0');
    mtok_buf_free(&b);

    char small[8];
    mtok_line_copy(small, sizeof small, "abcdefghij");
    CHECK(strcmp(small, "abcd...") == 0);
    mtok_line_copy(small, sizeof small, "ab\xc3\xa9\xc3\xa9\xc3\xa9"); /* never split a character */
    CHECK_MSG(strcmp(small, "ab\xc3\xa9...") == 0, "%s", small);
    mtok_line_copy(small, sizeof small, "short");
    CHECK(strcmp(small, "short") == 0);

    struct mtok_diags d = {0};
    char *big = mtok_xmalloc(10000);
    memset(big, 'k', 9999);
    big[9999] = '\0';
    mtok_diags_add(&d, "f.json", big, "unknown key \x1b]0;title\x07");
    CHECK(d.n == 1 && strlen(d.lines[0]) <= MTOK_DIAG_LINE_MAX);
    CHECK(strcmp(d.lines[0] + strlen(d.lines[0]) - 3, "...") == 0);
    mtok_diags_add(&d, "f.json", "k\x1b", "bad \xc2\x85 value");
    CHECK_MSG(strcmp(d.lines[1], "f.json: k\\x1b: bad \\xc2\\x85 value") == 0, "%s", d.lines[1]);
    mtok_diags_free(&d);
    free(big);

    struct mtok_error e = {0};
    mtok_error_set(&e, MTOK_EIO, "%s", "\x9b\x1b");
    CHECK(strcmp(e.msg, "\\x9b\\x1b") == 0);
}

static void test_dtypes(void)
{
    enum mtok_dtype dt;
    for (int i = 0; i < MTOK_DTYPE_COUNT; i++) {
        CHECK(mtok_dtype_parse(mtok_dtype_name((enum mtok_dtype)i), &dt) == MTOK_OK && (int)dt == i);
        CHECK(mtok_dtype_weight_bits((enum mtok_dtype)i) >= mtok_dtype_bits((enum mtok_dtype)i));
    }
    CHECK(mtok_dtype_parse("fp4", &dt) == MTOK_OK && dt == MTOK_MXFP4);
    CHECK(mtok_dtype_parse("fp32", &dt) == MTOK_OK && dt == MTOK_F32);
    CHECK(mtok_dtype_parse("bogus", &dt) == MTOK_EINVAL);
    CHECK(mtok_dtype_weight_bits(MTOK_MXFP4) == 4.25);
    CHECK(mtok_dtype_weight_bits(MTOK_NVFP4) == 4.5);
    CHECK(mtok_dtype_weight_bits(MTOK_FP8) > 8 && mtok_dtype_weight_bits(MTOK_FP8) < 8.01);
}

static void test_files(void)
{
    char path[] = "/tmp/mtok-core-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    char data[5000];
    memset(data, 'x', sizeof data);
    struct mtok_error e = {0};
    CHECK(mtok_file_write(path, data, sizeof data, &e) == MTOK_OK);
    char *got;
    size_t len;
    CHECK(mtok_file_read(path, 1 << 20, &got, &len, &e) == MTOK_OK && len == sizeof data &&
          got[len] == '\0');
    free(got);
    CHECK(mtok_file_read(path, 100, &got, &len, &e) == MTOK_EINVAL && got == NULL);
    CHECK(strstr(e.msg, "limit") != NULL);
    CHECK(mtok_file_read("/tmp", 100, &got, &len, &e) == MTOK_EIO);
    CHECK(mtok_file_read("/nonexistent/x", 100, &got, &len, &e) == MTOK_EIO);
    unlink(path);

    /* Not regular files: refused at once, without blocking (a FIFO with no writer) or reading
     * (/dev/zero never ends). */
    char fifo[] = "/tmp/mtok-core-fifo-XXXXXX";
    fd = mkstemp(fifo);
    close(fd);
    unlink(fifo);
    CHECK(mkfifo(fifo, 0600) == 0);
    uint64_t t0 = mtok_now_ns();
    CHECK(mtok_file_read(fifo, 100, &got, &len, &e) == MTOK_EIO && got == NULL);
    CHECK(strstr(e.msg, "not a regular file") != NULL);
    CHECK(mtok_now_ns() - t0 < 2000000000u);
    unlink(fifo);
    CHECK(mtok_file_read("/dev/zero", 100, &got, &len, &e) == MTOK_EIO && got == NULL);
    /* A file that reports size 0 but has content (procfs) is read to its end, within the limit. */
    CHECK(mtok_file_read("/proc/self/status", 1 << 20, &got, &len, &e) == MTOK_OK && len > 0 &&
          strlen(got) == len);
    free(got);
    CHECK(mtok_file_read("/proc/self/status", 10, &got, &len, &e) == MTOK_EINVAL && got == NULL);
    /* A path longer than the message buffer: the detail is the whole (cut) message. */
    char longpath[1500];
    memset(longpath, 'p', sizeof longpath - 1);
    longpath[sizeof longpath - 1] = '\0';
    CHECK(mtok_file_read(longpath, 10, &got, &len, &e) == MTOK_EIO);
    CHECK(mtok_error_detail(&e, longpath) == e.msg);
    CHECK(mtok_file_read("/nonexistent/x", 10, &got, &len, &e) == MTOK_EIO);
    CHECK(strncmp(mtok_error_detail(&e, "/nonexistent/x"), "cannot open", 11) == 0);
    CHECK(mtok_embedded_find("data/models/index.json") != NULL);
    CHECK(mtok_embedded_find("data/nope.json") == NULL);
}

int main(void)
{
    test_utf8();
    test_parse();
    test_buf_and_diags();
    test_safe_lines();
    test_dtypes();
    test_files();
    return test_status("test_core");
}
