/*
 * test_labels.c - label sets: order, replacement, copies, parse and format,
 * and upstream's validation messages.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libkube/kube.h"

#define QN_MSG "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
#define VAL_MSG "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"

static void expect_msg(int rc, const char *msg)
{
	ck_assert_int_eq(rc, KUBE_EINVAL);
	ck_assert_ptr_nonnull(kube_error_last());
	ck_assert_str_eq(kube_error_last()->message, msg);
}

static char *str_of(const kube_labels *l)
{
	static char buf[4096];
	char *s = kube_labels_string(l);
	ck_assert_ptr_nonnull(s);
	snprintf(buf, sizeof(buf), "%s", s);
	kube_free(s);
	return buf;
}

START_TEST(test_labels_set_get_replace)
{
	kube_labels *l;
	ck_assert_int_eq(kube_labels_new(&l), 0);
	ck_assert_int_eq(kube_labels_count(l), 0);
	ck_assert_ptr_null(kube_labels_get(l, "app"));
	ck_assert_int_eq(kube_labels_set(l, "app", "web"), 0);
	ck_assert_int_eq(kube_labels_set(l, "tier", "front"), 0);
	ck_assert_int_eq(kube_labels_set(l, "empty", ""), 0);
	ck_assert_int_eq(kube_labels_count(l), 3);
	ck_assert_str_eq(kube_labels_get(l, "app"), "web");
	ck_assert_str_eq(kube_labels_get(l, "empty"), "");
	ck_assert_int_eq(kube_labels_has(l, "empty"), 1);
	ck_assert_int_eq(kube_labels_has(l, "nope"), 0);
	ck_assert_int_eq(kube_labels_set(l, "app", "api"), 0);
	ck_assert_int_eq(kube_labels_count(l), 3);
	ck_assert_str_eq(kube_labels_get(l, "app"), "api");
	/* many replacements exercise arena compaction */
	char v[32];
	for (int i = 0; i < 1000; i++) {
		snprintf(v, sizeof(v), "value-%d", i);
		ck_assert_int_eq(kube_labels_set(l, "app", v), 0);
	}
	ck_assert_str_eq(kube_labels_get(l, "app"), "value-999");
	ck_assert_str_eq(kube_labels_get(l, "tier"), "front");
	ck_assert_int_eq(kube_labels_remove(l, "tier"), 0);
	ck_assert_int_eq(kube_labels_remove(l, "tier"), KUBE_ENOTFOUND);
	ck_assert_int_eq(kube_labels_count(l), 2);
	ck_assert_ptr_null(kube_labels_get(l, "tier"));
	ck_assert_str_eq(str_of(l), "app=value-999,empty=");
	kube_labels_free(l);
	kube_labels_free(NULL);
}
END_TEST

START_TEST(test_labels_sorted_iteration)
{
	kube_labels *l;
	static const char *keys[] = { "zeta", "a", "b.example.com/x", "a0", "A", "a.b", "m" };
	static const char *sorted[] = { "A", "a", "a.b", "a0", "b.example.com/x", "m", "zeta" };
	ck_assert_int_eq(kube_labels_new(&l), 0);
	for (size_t i = 0; i < 7; i++)
		ck_assert_int_eq(kube_labels_set(l, keys[i], keys[i][0] == 'b' ? "v" : "1"), 0);
	for (size_t i = 0; i < 7; i++) {
		const char *k, *v;
		ck_assert_int_eq(kube_labels_at(l, i, &k, &v), 0);
		ck_assert_str_eq(k, sorted[i]);
	}
	ck_assert_int_eq(kube_labels_at(l, 7, NULL, NULL), KUBE_ENOTFOUND);
	/* Set.String sorts "key=value" strings: "a.b=1" < "a0=1" < "a=1" */
	ck_assert_str_eq(str_of(l), "A=1,a.b=1,a0=1,a=1,b.example.com/x=v,m=1,zeta=1");
	ck_assert_int_eq(kube_labels_remove(l, "a0"), 0);
	const char *k;
	ck_assert_int_eq(kube_labels_at(l, 3, &k, NULL), 0);
	ck_assert_str_eq(k, "b.example.com/x");
	kube_labels_free(l);
}
END_TEST

START_TEST(test_labels_copy_equal)
{
	kube_labels *a, *b, *c;
	ck_assert_int_eq(kube_labels_new(&a), 0);
	ck_assert_int_eq(kube_labels_set(a, "x", "1"), 0);
	ck_assert_int_eq(kube_labels_set(a, "y", "2"), 0);
	ck_assert_int_eq(kube_labels_set(a, "x", "3"), 0);
	ck_assert_int_eq(kube_labels_copy(&b, a), 0);
	ck_assert_int_eq(kube_labels_equal(a, b), 1);
	ck_assert_str_eq(kube_labels_get(b, "x"), "3");
	ck_assert_int_eq(kube_labels_set(b, "y", "4"), 0);
	ck_assert_int_eq(kube_labels_equal(a, b), 0);
	ck_assert_str_eq(kube_labels_get(a, "y"), "2");
	ck_assert_int_eq(kube_labels_new(&c), 0);
	ck_assert_int_eq(kube_labels_equal(c, NULL), 1);
	ck_assert_int_eq(kube_labels_equal(a, NULL), 0);
	ck_assert_int_eq(kube_labels_set(c, "y", "2"), 0);
	ck_assert_int_eq(kube_labels_set(c, "x", "3"), 0);
	ck_assert_int_eq(kube_labels_equal(a, c), 1);
	kube_labels_free(b);
	ck_assert_int_eq(kube_labels_copy(&b, NULL), KUBE_EINVAL);
	ck_assert_ptr_null(b);
	kube_labels_free(a);
	kube_labels_free(c);
}
END_TEST

START_TEST(test_labels_validation_messages)
{
	kube_labels *l;
	ck_assert_int_eq(kube_labels_new(&l), 0);
	expect_msg(kube_labels_set(l, "-x", "v"),
	           "metadata.labels: Invalid value: \"-x\": name part " QN_MSG);
	expect_msg(kube_labels_set(l, "x", "-v"),
	           "metadata.labels: Invalid value: \"-v\": " VAL_MSG);
	expect_msg(kube_labels_set(l, "", "v"),
	           "[metadata.labels: Invalid value: \"\": name part must be non-empty, "
	           "metadata.labels: Invalid value: \"\": name part " QN_MSG "]");
	expect_msg(kube_labels_set(l, "a\"b", "v"),
	           "metadata.labels: Invalid value: \"a\\\"b\": name part " QN_MSG);
	char v64[65];
	memset(v64, 'a', 64);
	v64[64] = '\0';
	char want[1024];
	snprintf(want, sizeof(want), "metadata.labels: Invalid value: \"%s\": must be no more than 63 characters", v64);
	expect_msg(kube_labels_set(l, "k", v64), want);
	ck_assert_int_eq(kube_labels_set(NULL, "k", "v"), KUBE_EINVAL);
	ck_assert_int_eq(kube_labels_set(l, NULL, "v"), KUBE_EINVAL);
	ck_assert_int_eq(kube_labels_count(l), 0);
	kube_labels_free(l);
}
END_TEST

START_TEST(test_labels_parse_format)
{
	kube_labels *l;
	ck_assert_int_eq(kube_labels_parse(&l, ""), 0);
	ck_assert_int_eq(kube_labels_count(l), 0);
	ck_assert_str_eq(str_of(l), "");
	kube_labels_free(l);

	ck_assert_int_eq(kube_labels_parse(&l, " tier = db ,app=web,x=,app=api"), 0);
	ck_assert_int_eq(kube_labels_count(l), 3);
	ck_assert_str_eq(kube_labels_get(l, "tier"), "db");
	ck_assert_str_eq(kube_labels_get(l, "app"), "api");
	ck_assert_str_eq(str_of(l), "app=api,tier=db,x=");
	kube_labels_free(l);

	ck_assert_int_eq(kube_labels_parse(&l, "a=1,b=2"), 0);
	kube_labels *m;
	char *s = kube_labels_string(l);
	ck_assert_int_eq(kube_labels_parse(&m, s), 0);
	ck_assert_int_eq(kube_labels_equal(l, m), 1);
	kube_free(s);
	kube_labels_free(l);
	kube_labels_free(m);
}
END_TEST

START_TEST(test_labels_parse_errors)
{
	kube_labels *l = (kube_labels *)1;
	expect_msg(kube_labels_parse(&l, "a"), "invalid selector: [a]");
	ck_assert_ptr_null(l);
	expect_msg(kube_labels_parse(&l, "a=b=c"), "invalid selector: [a b c]");
	expect_msg(kube_labels_parse(&l, "a=b,"), "invalid selector: []");
	expect_msg(kube_labels_parse(&l, "a=b,,c=d"), "invalid selector: []");
	expect_msg(kube_labels_parse(&l, "a==b"), "invalid selector: [a  b]");
	expect_msg(kube_labels_parse(&l, "-a=b"),
	           "<nil>: Invalid value: \"-a\": name part " QN_MSG);
	expect_msg(kube_labels_parse(&l, "a=b c"),
	           "[a]: Invalid value: \"b c\": " VAL_MSG);
	ck_assert_int_eq(kube_labels_parse(NULL, "a=b"), KUBE_EINVAL);
	ck_assert_int_eq(kube_labels_parse(&l, NULL), KUBE_EINVAL);
}
END_TEST

/*
 * Regression: growing the entry array while replacing a value must keep the
 * matcher's end marker, or a selector on an absent key reads past the set.
 */
START_TEST(test_labels_grow_then_replace_keeps_matching)
{
	kube_labels *l;
	kube_selector *s;
	ck_assert_int_eq(kube_labels_new(&l), 0);
	ck_assert_int_eq(kube_labels_set(l, "a", "1"), 0);
	ck_assert_int_eq(kube_labels_set(l, "b", "1"), 0);
	ck_assert_int_eq(kube_labels_set(l, "c", "1"), 0);
	ck_assert_int_eq(kube_labels_set(l, "a", "2"), 0);   /* grows, then replaces */
	ck_assert_int_eq(kube_selector_parse(&s, "!zzzzzz,!yyyy,!x,a=2"), 0);
	ck_assert_int_eq(kube_selector_matches(s, l), 1);
	kube_selector_free(s);
	/* many keys: every one still found after removals */
	char k[16];
	for (int i = 0; i < 100; i++) {
		snprintf(k, sizeof(k), "k%d", i);
		ck_assert_int_eq(kube_labels_set(l, k, "v"), 0);
	}
	for (int i = 0; i < 100; i += 3) {
		snprintf(k, sizeof(k), "k%d", i);
		ck_assert_int_eq(kube_labels_remove(l, k), 0);
	}
	for (int i = 0; i < 100; i++) {
		char sel[32];
		snprintf(sel, sizeof(sel), "k%d", i);
		ck_assert_int_eq(kube_selector_parse(&s, sel), 0);
		ck_assert_int_eq(kube_selector_matches(s, l), i % 3 != 0);
		kube_selector_free(s);
	}
	ck_assert_int_eq(kube_labels_count(l), 3 + 100 - 34);
	kube_labels_free(l);
}
END_TEST

static Suite *labels_suite(void)
{
	Suite *s = suite_create("labels");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_labels_set_get_replace);
	tcase_add_test(tc, test_labels_sorted_iteration);
	tcase_add_test(tc, test_labels_copy_equal);
	tcase_add_test(tc, test_labels_validation_messages);
	tcase_add_test(tc, test_labels_parse_format);
	tcase_add_test(tc, test_labels_parse_errors);
	tcase_add_test(tc, test_labels_grow_then_replace_keeps_matching);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(labels_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
