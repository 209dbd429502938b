/*
 * test_base.c - errors, allocator hooks, the log sink, buffers, version.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "libkube/kube.h"

START_TEST(test_base_error_set_and_clear)
{
	kube_error_clear();
	ck_assert_ptr_null(kube_error_last());
	ck_assert_int_eq(kube__error_set(KUBE_ECONFLICT, "metadata.resourceVersion",
	                                 "stale %s", "rv"), KUBE_ECONFLICT);
	const kube_error *e = kube_error_last();
	ck_assert_ptr_nonnull(e);
	ck_assert_int_eq(e->code, KUBE_ECONFLICT);
	ck_assert_str_eq(e->message, "stale rv");
	ck_assert_str_eq(e->field, "metadata.resourceVersion");
	ck_assert_int_eq(e->line, 0);
	kube__error_set_position(2, 7, 3);
	ck_assert_int_eq(e->document, 2);
	ck_assert_int_eq(e->line, 7);
	ck_assert_int_eq(e->column, 3);
	kube__error_prefix_field("items[0]");
	ck_assert_str_eq(e->field, "items[0].metadata.resourceVersion");
	kube__error_set(KUBE_EINVAL, "[2]", "x");
	kube__error_prefix_field("spec.containers");
	ck_assert_str_eq(kube_error_last()->field, "spec.containers[2]");
	kube__error_set(KUBE_EINVAL, NULL, "no field");
	ck_assert_ptr_null(kube_error_last()->field);
	kube_error_clear();
	ck_assert_ptr_null(kube_error_last());
}
END_TEST

START_TEST(test_base_error_long_message_truncated)
{
	char big[5000];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	kube__error_set(KUBE_EINVAL, NULL, "%s", big);
	const char *m = kube_error_last()->message;
	ck_assert_uint_eq(strlen(m), 2047);
	ck_assert_str_eq(m + 2044, "...");
}
END_TEST

START_TEST(test_base_error_oom_and_check_arg)
{
	ck_assert_int_eq(kube__error_oom(), KUBE_ENOMEM);
	ck_assert_str_eq(kube_error_last()->message, "out of memory");
	ck_assert_int_eq(kube_validate_dns1123_label(NULL), KUBE_EINVAL);
	ck_assert_str_eq(kube_error_last()->message, "DNS-1123 label: the string is NULL");
}
END_TEST

START_TEST(test_base_strerror)
{
	ck_assert_str_eq(kube_strerror(KUBE_OK), "success");
	ck_assert_str_eq(kube_strerror(KUBE_ENOTFOUND), "not found");
	ck_assert_str_eq(kube_strerror(KUBE_EEXISTS), "already exists");
	ck_assert_str_eq(kube_strerror(KUBE_ECONFLICT), "conflict");
	ck_assert_str_eq(kube_strerror(KUBE_EGONE), "resource version too old");
	ck_assert_str_eq(kube_strerror(KUBE_EABI), "incompatible plugin ABI");
	ck_assert_str_eq(kube_strerror(KUBE_ETOOBIG), "input too large");
	ck_assert_str_eq(kube_strerror(-999), "unknown error");
	ck_assert_str_eq(kube_strerror(42), "unknown error");
	/* the numbers are ABI: they never change */
	ck_assert_int_eq(KUBE_ENOTFOUND, -4);
	ck_assert_int_eq(KUBE_EGONE, -7);
	ck_assert_int_eq(KUBE_ETIMEDOUT, -11);
}
END_TEST

static size_t n_malloc, n_free;
static void *count_malloc(size_t size, void *ud) { (void)ud; n_malloc++; return malloc(size); }
static void *count_realloc(void *p, size_t size, void *ud) { (void)ud; if (!p) n_malloc++; return realloc(p, size); }
static void count_free(void *p, void *ud) { (void)ud; n_free++; free(p); }
static void *fail_malloc(size_t size, void *ud) { (void)size; (void)ud; return NULL; }
static void *fail_realloc(void *p, size_t size, void *ud) { (void)p; (void)size; (void)ud; return NULL; }

START_TEST(test_base_allocator_hooks)
{
	kube_allocator a = { count_malloc, count_realloc, count_free, NULL };
	ck_assert_int_eq(kube_set_allocator(&a), 0);
	char *s = kube_strdup("hello");
	ck_assert_str_eq(s, "hello");
	char *t = kube_strndup("hello", 2);
	ck_assert_str_eq(t, "he");
	int *z = kube_calloc(4, sizeof(int));
	ck_assert_int_eq(z[0] + z[3], 0);
	char *m = kube_malloc(0);	/* a zero-size request still gives a pointer */
	ck_assert_ptr_nonnull(m);
	m = kube_realloc(m, 4096);
	ck_assert_ptr_nonnull(m);
	memset(m, 'a', 4096);
	kube_free(m);
	kube_free(s);
	kube_free(t);
	kube_free(z);
	kube_free(NULL);
	ck_assert_uint_eq(n_malloc, 4);
	ck_assert_uint_eq(n_free, 4);
	ck_assert_ptr_null(kube_calloc(SIZE_MAX / 2, 4));
	ck_assert_ptr_null(kube_strdup(NULL));

	kube_allocator broken = { count_malloc, NULL, count_free, NULL };
	ck_assert_int_eq(kube_set_allocator(&broken), KUBE_EINVAL);
	ck_assert_str_eq(kube_error_last()->message,
	                 "kube_set_allocator: malloc, realloc and free are all required");

	kube_allocator failing = { fail_malloc, fail_realloc, count_free, NULL };
	ck_assert_int_eq(kube_set_allocator(&failing), 0);
	ck_assert_ptr_null(kube_strdup("x"));
	kube__buf b = KUBE__BUF_INIT;
	ck_assert_int_eq(kube__buf_puts(&b, "abc"), KUBE_ENOMEM);
	ck_assert_int_eq(b.failed, 1);
	ck_assert_ptr_null(kube__buf_detach(&b, NULL));
	ck_assert_int_eq(kube_set_allocator(NULL), 0);
	s = kube_strdup("back");
	ck_assert_str_eq(s, "back");
	kube_free(s);
}
END_TEST

typedef struct log_capture {
	int calls;
	kube_log_level level;
	char subsystem[32];
	char message[256];
	size_t nfields;
	char first_key[32], first_value[32];
} log_capture;

static int destroyed;

static void capture_sink(kube_log_level level, const char *subsystem, const char *message,
                         const kube_log_field *fields, size_t nfields, void *userdata)
{
	log_capture *c = userdata;
	c->calls++;
	c->level = level;
	snprintf(c->subsystem, sizeof(c->subsystem), "%s", subsystem);
	snprintf(c->message, sizeof(c->message), "%s", message);
	c->nfields = nfields;
	if (nfields) {
		snprintf(c->first_key, sizeof(c->first_key), "%s", fields[0].key);
		snprintf(c->first_value, sizeof(c->first_value), "%s", fields[0].value);
	}
}

static void capture_destroy(void *ud)
{
	(void)ud;
	destroyed++;
}

START_TEST(test_base_log_sink)
{
	log_capture c = { 0 };
	ck_assert(!kube__log_enabled(KUBE_LOG_ERROR));
	KUBE_LOG(KUBE_LOG_ERROR, "test", "dropped %d", 1);
	ck_assert_int_eq(kube_log_set_sink(capture_sink, KUBE_LOG_INFO, &c, capture_destroy), 0);
	ck_assert(kube__log_enabled(KUBE_LOG_INFO));
	ck_assert(!kube__log_enabled(KUBE_LOG_DEBUG));
	KUBE_LOG(KUBE_LOG_DEBUG, "store", "too verbose");
	ck_assert_int_eq(c.calls, 0);
	KUBE_LOG(KUBE_LOG_WARN, "store", "compacted to %d", 42);
	ck_assert_int_eq(c.calls, 1);
	ck_assert_int_eq(c.level, KUBE_LOG_WARN);
	ck_assert_str_eq(c.subsystem, "store");
	ck_assert_str_eq(c.message, "compacted to 42");
	kube_log_field f[] = { { "key", "pods/default/web-0" }, { "rv", "17" } };
	kube__log(KUBE_LOG_INFO, "store", f, 2, "created");
	ck_assert_int_eq(c.calls, 2);
	ck_assert_uint_eq(c.nfields, 2);
	ck_assert_str_eq(c.first_key, "key");
	ck_assert_str_eq(c.first_value, "pods/default/web-0");
	ck_assert_int_eq(kube_log_set_sink(capture_sink, (kube_log_level)9, &c, NULL), KUBE_EINVAL);
	ck_assert_int_eq(destroyed, 0);
	ck_assert_int_eq(kube_log_set_sink(NULL, KUBE_LOG_ERROR, NULL, NULL), 0);
	ck_assert_int_eq(destroyed, 1);
	KUBE_LOG(KUBE_LOG_ERROR, "store", "dropped");
	ck_assert_int_eq(c.calls, 2);
	ck_assert_str_eq(kube_log_level_name(KUBE_LOG_TRACE), "trace");
	ck_assert_str_eq(kube_log_level_name((kube_log_level)7), "unknown");
}
END_TEST

START_TEST(test_base_buf)
{
	kube__buf b = KUBE__BUF_INIT;
	size_t len;
	ck_assert_int_eq(kube__buf_puts(&b, "ab"), 0);
	ck_assert_int_eq(kube__buf_putc(&b, 'c'), 0);
	ck_assert_int_eq(kube__buf_printf(&b, "-%d-%s", 42, "x"), 0);
	for (int i = 0; i < 1000; i++)
		kube__buf_putc(&b, 'z');
	char *s = kube__buf_detach(&b, &len);
	ck_assert_uint_eq(len, 1008);
	ck_assert_int_eq(strncmp(s, "abc-42-xz", 9), 0);
	ck_assert_ptr_null(b.data);
	kube_free(s);
	s = kube__buf_detach(&b, &len);
	ck_assert_str_eq(s, "");
	ck_assert_uint_eq(len, 0);
	kube_free(s);
}
END_TEST

START_TEST(test_base_version)
{
	ck_assert_str_eq(kube_version(), "0.1.0");
	ck_assert_int_eq(kube_version_number(), 100);
}
END_TEST

static Suite *base_suite(void)
{
	Suite *s = suite_create("base");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_base_error_set_and_clear);
	tcase_add_test(tc, test_base_error_long_message_truncated);
	tcase_add_test(tc, test_base_error_oom_and_check_arg);
	tcase_add_test(tc, test_base_strerror);
	tcase_add_test(tc, test_base_allocator_hooks);
	tcase_add_test(tc, test_base_log_sink);
	tcase_add_test(tc, test_base_buf);
	tcase_add_test(tc, test_base_version);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(base_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
