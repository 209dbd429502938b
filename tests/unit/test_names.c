/*
 * test_names.c - the name validators against upstream's answers and messages.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/base.h"
#include "libkube/kube.h"

#define SUB_MSG "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
#define LABEL_MSG "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
#define QN_MSG "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
#define VAL_MSG "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
#define D1035_MSG "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"

static char *repeat(char c, size_t n)
{
	char *s = malloc(n + 1);
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static void expect_msg(int rc, const char *msg)
{
	ck_assert_int_eq(rc, KUBE_EINVAL);
	ck_assert_ptr_nonnull(kube_error_last());
	ck_assert_int_eq(kube_error_last()->code, KUBE_EINVAL);
	ck_assert_str_eq(kube_error_last()->message, msg);
}

START_TEST(test_names_qualified_valid)
{
	static const char *ok[] = {
		"simple", "now-with-dashes", "1-starts-with-num", "1234", "simple/simple",
		"now-with-dashes/simple", "now-with-dashes/now-with-dashes",
		"now.with.dots/simple", "now-with.dashes-and.dots/simple",
		"1-num.2-num/3-num", "1234/5678", "1.2.3.4/5678", "Uppercase_Is_OK_123",
		"example.com/Uppercase_Is_OK_123", "requests.storage-foo", "a", "a/A", NULL,
	};
	for (int i = 0; ok[i]; i++)
		ck_assert_msg(kube_validate_qualified_name(ok[i]) == 0, "%s", ok[i]);
	char *name63 = repeat('a', 63);
	ck_assert_int_eq(kube_validate_qualified_name(name63), 0);
	char buf[320];
	char *p253 = repeat('a', 63);
	snprintf(buf, sizeof(buf), "%s.%s.%s.%.61s/%s", p253, p253, p253, p253, "b");
	ck_assert_int_eq(strlen(buf) - 2, 253);
	ck_assert_int_eq(kube_validate_qualified_name(buf), 0);
	free(name63);
	free(p253);
}
END_TEST

START_TEST(test_names_qualified_invalid)
{
	static const char *bad[] = {
		"nospecialchars%^=@", "cantendwithadash-", "-cantstartwithadash-",
		"only/one/slash", "Example.com/abc", "example_com/abc", "example.com/",
		"/simple", "a/", "", "has space", "tab\there", "end\n", "ütf8", NULL,
	};
	for (int i = 0; bad[i]; i++)
		ck_assert_msg(kube_validate_qualified_name(bad[i]) == KUBE_EINVAL, "%s", bad[i]);
	char *name64 = repeat('a', 64);
	ck_assert_int_eq(kube_validate_qualified_name(name64), KUBE_EINVAL);
	free(name64);
}
END_TEST

START_TEST(test_names_qualified_messages)
{
	expect_msg(kube_validate_qualified_name("a/b/c"),
	           "a qualified name " QN_MSG " with an optional DNS subdomain prefix and '/' "
	           "(e.g. 'example.com/MyName')");
	expect_msg(kube_validate_qualified_name(""), "name part must be non-empty; name part " QN_MSG);
	expect_msg(kube_validate_qualified_name("/a"), "prefix part must be non-empty");
	expect_msg(kube_validate_qualified_name("Foo/a"), "prefix part " SUB_MSG);
	expect_msg(kube_validate_qualified_name("-x"), "name part " QN_MSG);
	char *name64 = repeat('a', 64);
	expect_msg(kube_validate_qualified_name(name64), "name part must be no more than 63 characters");
	free(name64);
	ck_assert_int_eq(kube_validate_qualified_name(NULL), KUBE_EINVAL);
}
END_TEST

START_TEST(test_names_label_value)
{
	static const char *ok[] = { "", "simple", "now-with-dashes", "1-starts-with-num",
		"end-with-num-1", "1234", "Upper_Case.9", NULL };
	static const char *bad[] = { "nospecialchars%^=@", "Tama-nui-te-rā.is.Māori.sun",
		"\\backslashes\\are\\bad", "-starts-with-dash", "ends-with-dash-",
		".starts.with.dot", "ends.with.dot.", "a/b", NULL };
	for (int i = 0; ok[i]; i++)
		ck_assert_msg(kube_validate_label_value(ok[i]) == 0, "%s", ok[i]);
	for (int i = 0; bad[i]; i++)
		ck_assert_msg(kube_validate_label_value(bad[i]) == KUBE_EINVAL, "%s", bad[i]);
	expect_msg(kube_validate_label_value("-x"), VAL_MSG);
	char *v64 = repeat('a', 64);
	expect_msg(kube_validate_label_value(v64), "must be no more than 63 characters");
	v64[63] = '-';
	expect_msg(kube_validate_label_value(v64), "must be no more than 63 characters; " VAL_MSG);
	free(v64);
}
END_TEST

START_TEST(test_names_dns1123_label)
{
	static const char *ok[] = { "a", "ab", "abc", "a1", "a-1", "a--1--2--b", "0", "01", "0-1", NULL };
	static const char *bad[] = { "", "A", "ABC", "aBc", "A1", "A-1", "1-A", "-", "a-", "-a",
		"1-", "-1", "_", "a_", "_a", "a_b", "1_", "_1", "1_2", ".", "a.", ".a", "a.b",
		"1.", ".1", "1.2", " ", "a ", " a", "a b", "1 ", " 1", "1 2", NULL };
	for (int i = 0; ok[i]; i++)
		ck_assert_msg(kube_validate_dns1123_label(ok[i]) == 0, "%s", ok[i]);
	for (int i = 0; bad[i]; i++)
		ck_assert_msg(kube_validate_dns1123_label(bad[i]) == KUBE_EINVAL, "%s", bad[i]);
	expect_msg(kube_validate_dns1123_label("a.b"), "must not contain dots");
	expect_msg(kube_validate_dns1123_label("A"), LABEL_MSG);
	char *l = repeat('a', 64);
	expect_msg(kube_validate_dns1123_label(l), "must be no more than 63 characters");
	l[63] = '\0';
	ck_assert_int_eq(kube_validate_dns1123_label(l), 0);
	free(l);
}
END_TEST

START_TEST(test_names_dns1123_subdomain)
{
	static const char *ok[] = { "a", "ab", "abc", "a1", "a-1", "a--1--2--b", "0", "01",
		"0-1", "a.a", "ab.a", "abc.a", "a1.a", "a-1.a", "a--1--2--b.a", "a.1", "ab.1",
		"0.0", "01.0", "0-1.0", "a.b.c.d.e", "aa.bb.cc.dd.ee", "1.2.3.4.5", NULL };
	static const char *bad[] = { "", "A", "ABC", "aBc", "A1", "A-1", "1-A", "-", "a-",
		"-a", "1-", "-1", "_", "a_", "_a", "a_b", ".", "a.", ".a", "a..b", "1.", ".1",
		"1..2", " ", "a ", " a", "a b", "A.a", "aBc.a", "a.A", "a.aBc", "a.-a", "a-.a",
		"a.a-", NULL };
	for (int i = 0; ok[i]; i++)
		ck_assert_msg(kube_validate_dns1123_subdomain(ok[i]) == 0, "%s", ok[i]);
	for (int i = 0; bad[i]; i++)
		ck_assert_msg(kube_validate_dns1123_subdomain(bad[i]) == KUBE_EINVAL, "%s", bad[i]);
	expect_msg(kube_validate_dns1123_subdomain("A_b"), SUB_MSG);
	char *s = repeat('a', 254);
	expect_msg(kube_validate_dns1123_subdomain(s), "must be no more than 253 characters");
	s[253] = '\0';
	ck_assert_int_eq(kube_validate_dns1123_subdomain(s), 0);
	free(s);
}
END_TEST

START_TEST(test_names_dns1035_label)
{
	static const char *ok[] = { "a", "ab", "abc", "a1", "a-1", "a--1--2--b", NULL };
	static const char *bad[] = { "0", "01", "0-1", "1-a", "", "A", "a-", "-a", "a.b",
		"a_b", "a b", NULL };
	for (int i = 0; ok[i]; i++)
		ck_assert_msg(kube_validate_dns1035_label(ok[i]) == 0, "%s", ok[i]);
	for (int i = 0; bad[i]; i++)
		ck_assert_msg(kube_validate_dns1035_label(bad[i]) == KUBE_EINVAL, "%s", bad[i]);
	expect_msg(kube_validate_dns1035_label("1a"), D1035_MSG);
}
END_TEST

START_TEST(test_names_internal_checks_without_buffer)
{
	/* the internal checks answer the same with or without a message buffer */
	ck_assert_int_eq(kube__check_qualified_name("bad key", 7, NULL), KUBE_EINVAL);
	ck_assert_int_eq(kube__check_qualified_name("a/b", 3, NULL), 0);
	ck_assert_int_eq(kube__check_label_value("-v", 2, NULL), KUBE_EINVAL);
	ck_assert_int_eq(kube__check_label_value("", 0, NULL), 0);
	ck_assert_int_eq(kube__check_dns1123_label("a.b", 3, NULL), KUBE_EINVAL);
	ck_assert_int_eq(kube__check_dns1123_subdomain("a..b", 4, NULL), KUBE_EINVAL);
	ck_assert_int_eq(kube__check_dns1035_label("1a", 2, NULL), KUBE_EINVAL);
	ck_assert_int_eq(kube__check_dns1035_label("a1", 2, NULL), 0);
	/* and raise no error of their own */
	kube_error_clear();
	kube__check_qualified_name("bad key", 7, NULL);
	ck_assert_ptr_null(kube_error_last());
}
END_TEST

static Suite *names_suite(void)
{
	Suite *s = suite_create("names");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_names_qualified_valid);
	tcase_add_test(tc, test_names_qualified_invalid);
	tcase_add_test(tc, test_names_qualified_messages);
	tcase_add_test(tc, test_names_label_value);
	tcase_add_test(tc, test_names_dns1123_label);
	tcase_add_test(tc, test_names_dns1123_subdomain);
	tcase_add_test(tc, test_names_dns1035_label);
	tcase_add_test(tc, test_names_internal_checks_without_buffer);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(names_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
