/*
 * test_selector.c - label selectors against upstream's grammar, canonical
 * strings, matching rules and error messages, plus a property test:
 * parse(string(parse(s))) gives the same string and the same answers.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libkube/kube.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define QN_MSG "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
#define VAL_MSG "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
#define UPR "unable to parse requirement: "
#define BINOPS "in, notin, =, ==, !=, gt, lt"

static char *canon(const char *text)
{
	static char buf[8192];
	kube_selector *s;
	int rc = kube_selector_parse(&s, text);
	ck_assert_msg(rc == 0, "%s: %s", text, rc ? kube_error_last()->message : "");
	char *str = kube_selector_string(s);
	ck_assert_ptr_nonnull(str);
	snprintf(buf, sizeof(buf), "%s", str);
	kube_free(str);
	kube_selector_free(s);
	return buf;
}

static void expect_err(const char *text, const char *msg)
{
	kube_selector *s = (kube_selector *)1;
	int rc = kube_selector_parse(&s, text);
	ck_assert_msg(rc == KUBE_EINVAL, "%s: rc %d", text, rc);
	ck_assert_ptr_null(s);
	ck_assert_msg(strcmp(kube_error_last()->message, msg) == 0, "%s:\n got  %s\n want %s", text,
	              kube_error_last()->message, msg);
}

static kube_labels *set_of(const char *text)
{
	kube_labels *l;
	ck_assert_int_eq(kube_labels_parse(&l, text), 0);
	return l;
}

static int match(const char *sel, const char *labels)
{
	kube_selector *s;
	kube_labels *l = set_of(labels);
	ck_assert_msg(kube_selector_parse(&s, sel) == 0, "%s", sel);
	int m = kube_selector_matches(s, l);
	kube_selector_free(s);
	kube_labels_free(l);
	return m;
}

START_TEST(test_selector_canonical_string)
{
	static const char *good[] = {
		"x=a,y=b,z=c", "", "x!=a,y=b", "x=", "x= ", "x=,z= ", "x= ,z= ", "!x", "x>1",
		"x>1,z<5", NULL,
	};
	for (int i = 0; good[i]; i++) {
		char want[64];
		size_t k = 0;
		for (const char *p = good[i]; *p; p++)
			if (*p != ' ')
				want[k++] = *p;
		want[k] = '\0';
		ck_assert_str_eq(canon(good[i]), want);
	}
	ck_assert_str_eq(canon("x=a,a=x"), "a=x,x=a");
	ck_assert_str_eq(canon("a=x,x=a"), "a=x,x=a");
	ck_assert_str_eq(canon("x==a"), "x==a");
	ck_assert_str_eq(canon("  x  in  ( c , a , b , a )  "), "x in (a,b,c)");
	ck_assert_str_eq(canon("x notin (b,a)"), "x notin (a,b)");
	ck_assert_str_eq(canon("x in ()"), "x in ()");
	ck_assert_str_eq(canon("x notin ()"), "x notin ()");
	ck_assert_str_eq(canon("x in (,a)"), "x in (,a)");
	ck_assert_str_eq(canon("x in (a,)"), "x in (,a)");
	ck_assert_str_eq(canon("x in (a,,b)"), "x in (,a,b)");
	ck_assert_str_eq(canon("x in (,)"), "x in ()");
	ck_assert_str_eq(canon("x in (in,notin)"), "x in (in,notin)");
	ck_assert_str_eq(canon("notin=in"), "notin=in");
	ck_assert_str_eq(canon("in in (notin)"), "in in (notin)");
	ck_assert_str_eq(canon("\tx\r\n=\ny"), "x=y");
	ck_assert_str_eq(canon("b,!a,c!=d,a in (x),a=y"), "!a,a in (x),a=y,b,c!=d");
	/* duplicate keys are kept, in the order written (stable sort) */
	ck_assert_str_eq(canon("k=1,k!=2,k"), "k=1,k!=2,k");
	ck_assert_str_eq(canon("k,k!=2,k=1"), "k,k!=2,k=1");
	ck_assert_str_eq(canon("example.com/app=web,app=x"), "app=x,example.com/app=web");
	ck_assert_str_eq(canon("! in"), "!in");
}
END_TEST

START_TEST(test_selector_gt_lt_values)
{
	ck_assert_str_eq(canon("k>007"), "k>007");
	ck_assert_str_eq(canon("k<9223372036854775807"), "k<9223372036854775807");
	/* a negative number is an integer but not a valid label value */
	expect_err("k>-1", UPR "values[0][k]: Invalid value: \"-1\": " VAL_MSG);
	expect_err("x<a", UPR "values[0]: Invalid value: \"a\": for 'Gt', 'Lt' operators, "
	           "the value must be an integer");
	expect_err("x>9223372036854775808", UPR "values[0]: Invalid value: \"9223372036854775808\": "
	           "for 'Gt', 'Lt' operators, the value must be an integer");
	expect_err("x>", UPR "values[0]: Invalid value: \"\": for 'Gt', 'Lt' operators, "
	           "the value must be an integer");
	expect_err("x>a-", UPR "[values[0]: Invalid value: \"a-\": for 'Gt', 'Lt' operators, "
	           "the value must be an integer, values[0][x]: Invalid value: \"a-\": " VAL_MSG "]");
	ck_assert_int_eq(match("x>1", "x=2"), 1);
	ck_assert_int_eq(match("x>1", "x=1"), 0);
	ck_assert_int_eq(match("x<1", "x=0"), 1);
	ck_assert_int_eq(match("x<1", "x=2"), 0);
	ck_assert_int_eq(match("x>1", "y=2"), 0);
	ck_assert_int_eq(match("x<1", ""), 0);
	ck_assert_int_eq(match("x>1", "x=abc"), 0);
	ck_assert_int_eq(match("x<100", "x=abc"), 0);
	ck_assert_int_eq(match("x>1", "x=0010"), 1);
	ck_assert_int_eq(match("x<9223372036854775807", "x=9223372036854775808"), 0);
	ck_assert_int_eq(match("x>0", "x="), 0);
}
END_TEST

START_TEST(test_selector_matches_rules)
{
	ck_assert_int_eq(match("", "x=y"), 1);
	ck_assert_int_eq(match("", ""), 1);
	ck_assert_int_eq(match("x=y", "x=y"), 1);
	ck_assert_int_eq(match("x==y", "x=y"), 1);
	ck_assert_int_eq(match("x=y,z=w", "x=y,z=w"), 1);
	ck_assert_int_eq(match("x!=y,z!=w", "x=z,z=a"), 1);
	ck_assert_int_eq(match("notin=in", "notin=in"), 1);
	ck_assert_int_eq(match("x", "x=z"), 1);
	ck_assert_int_eq(match("x", "x="), 1);
	ck_assert_int_eq(match("!x", "y=z"), 1);
	ck_assert_int_eq(match("x=z", ""), 0);
	ck_assert_int_eq(match("x=y", "x=z"), 0);
	ck_assert_int_eq(match("x=y,z=w", "x=w,z=w"), 0);
	ck_assert_int_eq(match("x!=y,z!=w", "x=z,z=w"), 0);
	ck_assert_int_eq(match("x", "y=z"), 0);
	ck_assert_int_eq(match("!x", "x=z"), 0);
	ck_assert_int_eq(match("x!=y", ""), 1);
	ck_assert_int_eq(match("x=", "x="), 1);
	ck_assert_int_eq(match("x=", ""), 0);
	ck_assert_int_eq(match("x!=", ""), 1);
	ck_assert_int_eq(match("x!=", "x="), 0);
	ck_assert_int_eq(match("x in (a,b)", "x=b"), 1);
	ck_assert_int_eq(match("x in (a,b)", "x=c"), 0);
	ck_assert_int_eq(match("x in (a,b)", "y=a"), 0);
	ck_assert_int_eq(match("x notin (a,b)", "x=c"), 1);
	ck_assert_int_eq(match("x notin (a,b)", "x=a"), 0);
	ck_assert_int_eq(match("x notin (a,b)", "y=a"), 1);
	ck_assert_int_eq(match("x in ()", "x="), 1);
	ck_assert_int_eq(match("x in ()", "x=a"), 0);
	ck_assert_int_eq(match("x notin ()", "x="), 0);
	ck_assert_int_eq(match("x notin ()", "x=a"), 1);
	ck_assert_int_eq(match("x=a,x=b", "x=a"), 0);
	ck_assert_int_eq(match("x=a,x!=b,x", "x=a"), 1);
	ck_assert_int_eq(match("foo=bar,baz=blah", "foo=bar,baz=blah"), 1);
	ck_assert_int_eq(match("foo=bar,foobar=bar,baz=blah", "foo=bar,baz=blah"), 0);
	ck_assert_int_eq(match("env in (prod,staging),tier notin (cache),!canary",
	                       "env=prod,tier=web,app=a"), 1);
	ck_assert_int_eq(match("env in (prod,staging),tier notin (cache),!canary",
	                       "env=prod,tier=web,canary=true"), 0);
	ck_assert_int_eq(match("env in (prod,staging),tier notin (cache),!canary",
	                       "env=prod,tier=cache"), 0);
	/* NULL labels are the empty set; NULL selector matches nothing */
	kube_selector *s;
	ck_assert_int_eq(kube_selector_parse(&s, "!x"), 0);
	ck_assert_int_eq(kube_selector_matches(s, NULL), 1);
	kube_selector_free(s);
	ck_assert_int_eq(kube_selector_matches(NULL, NULL), 0);
}
END_TEST

START_TEST(test_selector_syntax_errors)
{
	expect_err("x=a||y=b", UPR "values[0][x]: Invalid value: \"a||y\": " VAL_MSG);
	expect_err("x=a b", "found 'b', expected: ',' or 'end of string'");
	expect_err("x==a==b", "found '==', expected: ',' or 'end of string'");
	expect_err("!x=a", "found '=', expected: ',' or 'end of string'");
	expect_err("x=a,", "found '', expected: identifier after ','");
	expect_err("x=a,,y=b", "found ',', expected: identifier after ','");
	expect_err(",x", "found ',', expected: !, identifier, or 'end of string'");
	expect_err("=a", "found '=', expected: !, identifier, or 'end of string'");
	expect_err("(", "found '(', expected: !, identifier, or 'end of string'");
	expect_err("x y", UPR "found 'y', expected: " BINOPS);
	expect_err("x (a)", UPR "found '(', expected: " BINOPS);
	expect_err("x in", UPR "found '' expected: '('");
	expect_err("x in a", UPR "found 'a' expected: '('");
	expect_err("x in (a", UPR "found '', expected: ',' or ')'");
	expect_err("x in (a b)", UPR "found 'b', expected: ',' or ')'");
	expect_err("x in (=)", UPR "found '=', expected: ',', ')' or identifier");
	expect_err("x in (", UPR "found '', expected: ',', ')' or identifier");
	expect_err("x in (a,=)", UPR "found '=', expected: ',', or identifier");
	expect_err("x in (a,", UPR "found '', expected: ',', or identifier");
	expect_err("x=(", UPR "found '(', expected: identifier");
	expect_err("x=)", UPR "found ')', expected: identifier");
	expect_err("!", UPR "found '', expected: identifier");
	expect_err("!!x", UPR "found '!', expected: identifier");
	expect_err("!=x", "found '!=', expected: !, identifier, or 'end of string'");
}
END_TEST

START_TEST(test_selector_validation_errors)
{
	expect_err("-x", UPR "<nil>: Invalid value: \"-x\": name part " QN_MSG);
	expect_err("a/b/c=d", UPR "<nil>: Invalid value: \"a/b/c\": a qualified name " QN_MSG
	           " with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')");
	expect_err("x=-a", UPR "values[0][x]: Invalid value: \"-a\": " VAL_MSG);
	/* the index follows the sorted value set */
	expect_err("x in (b,-a)", UPR "values[0][x]: Invalid value: \"-a\": " VAL_MSG);
	expect_err("x in (a,b-)", UPR "values[1][x]: Invalid value: \"b-\": " VAL_MSG);
	expect_err("x in (-b,-a)", UPR "[values[0][x]: Invalid value: \"-a\": " VAL_MSG
	           ", values[1][x]: Invalid value: \"-b\": " VAL_MSG "]");
	expect_err("x=a\"b", UPR "values[0][x]: Invalid value: \"a\\\"b\": " VAL_MSG);
	expect_err("x=\xc3\xa9", UPR "values[0][x]: Invalid value: \"\xc3\xa9\": " VAL_MSG);
	expect_err("x=\xff", UPR "values[0][x]: Invalid value: \"\\xff\": " VAL_MSG);
	expect_err("x=\x01", UPR "values[0][x]: Invalid value: \"\\x01\": " VAL_MSG);
	char big[80];
	memset(big, 'a', 64);
	snprintf(big + 64, sizeof(big) - 64, "=b");
	char want[512];
	snprintf(want, sizeof(want), UPR "<nil>: Invalid value: \"%.64s\": name part must be no more than 63 characters", big);
	expect_err(big, want);
	ck_assert_int_eq(kube_selector_parse(NULL, "x"), KUBE_EINVAL);
	kube_selector *s;
	ck_assert_int_eq(kube_selector_parse(&s, NULL), KUBE_EINVAL);
}
END_TEST

START_TEST(test_selector_parse_len_nul)
{
	kube_selector *s;
	/* Go's lexer reads NUL as the end: after a token it is skipped, at a
	 * token start it ends the input */
	ck_assert_int_eq(kube_selector_parse_len(&s, "a=b\0,c", 6), 0);
	char *str = kube_selector_string(s);
	ck_assert_str_eq(str, "a=b,c");
	kube_free(str);
	kube_selector_free(s);
	ck_assert_int_eq(kube_selector_parse_len(&s, "a=b,\0c", 6), 0);
	str = kube_selector_string(s);
	ck_assert_str_eq(str, "a=b,c");
	kube_free(str);
	kube_selector_free(s);
	ck_assert_int_eq(kube_selector_parse_len(&s, "a=b, \0c", 7), KUBE_EINVAL);
	ck_assert_str_eq(kube_error_last()->message, "found '', expected: identifier after ','");
	ck_assert_int_eq(kube_selector_parse_len(&s, "a=b \0junk", 9), 0);
	kube_selector_free(s);
	ck_assert_int_eq(kube_selector_parse_len(&s, NULL, 0), 0);
	ck_assert_int_eq(kube_selector_empty(s), 1);
	kube_selector_free(s);
}
END_TEST

START_TEST(test_selector_builder)
{
	kube_selector *s;
	const char *ab[] = { "b", "a", "a" };
	const char *one[] = { "web" };
	const char *five[] = { "5" };
	ck_assert_int_eq(kube_selector_new(&s), 0);
	ck_assert_int_eq(kube_selector_empty(s), 1);
	ck_assert_int_eq(kube_selector_matches(s, NULL), 1);
	ck_assert_int_eq(kube_selector_add(s, "tier", KUBE_SELECTOR_IN, ab, 3), 0);
	ck_assert_int_eq(kube_selector_add(s, "app", KUBE_SELECTOR_EQUALS, one, 1), 0);
	ck_assert_int_eq(kube_selector_add(s, "gen", KUBE_SELECTOR_GT, five, 1), 0);
	ck_assert_int_eq(kube_selector_add(s, "canary", KUBE_SELECTOR_DOES_NOT_EXIST, NULL, 0), 0);
	ck_assert_int_eq(kube_selector_empty(s), 0);
	char *str = kube_selector_string(s);
	/* upstream's String() sorts but does not deduplicate builder values */
	ck_assert_str_eq(str, "app=web,!canary,gen>5,tier in (a,a,b)");
	kube_free(str);
	ck_assert_int_eq(kube_selector_requirement_count(s), 4);
	const char *key;
	kube_selector_op op;
	size_t nv;
	ck_assert_int_eq(kube_selector_requirement(s, 3, &key, &op, &nv), 0);
	ck_assert_str_eq(key, "tier");
	ck_assert_int_eq(op, KUBE_SELECTOR_IN);
	ck_assert_int_eq(nv, 3);
	ck_assert_str_eq(kube_selector_requirement_value(s, 3, 2), "b");
	ck_assert_ptr_null(kube_selector_requirement_value(s, 3, 3));
	ck_assert_int_eq(kube_selector_requirement(s, 4, NULL, NULL, NULL), KUBE_ENOTFOUND);
	const char *v;
	ck_assert_int_eq(kube_selector_requires_exact_match(s, "app", &v), 1);
	ck_assert_str_eq(v, "web");
	ck_assert_int_eq(kube_selector_requires_exact_match(s, "tier", &v), 0);
	ck_assert_int_eq(kube_selector_requires_exact_match(s, "zzz", &v), 0);

	kube_labels *l = set_of("app=web,tier=a,gen=6");
	ck_assert_int_eq(kube_selector_matches(s, l), 1);
	kube_selector *c;
	ck_assert_int_eq(kube_selector_copy(&c, s), 0);
	ck_assert_int_eq(kube_selector_matches(c, l), 1);
	kube_labels_set(l, "gen", "5");
	ck_assert_int_eq(kube_selector_matches(s, l), 0);
	ck_assert_int_eq(kube_selector_matches(c, l), 0);
	kube_selector_free(c);
	kube_labels_free(l);

	/* errors: NewRequirement's messages and order; the selector is unchanged */
	ck_assert_int_eq(kube_selector_add(s, "x", KUBE_SELECTOR_IN, NULL, 0), KUBE_EINVAL);
	ck_assert_str_eq(kube_error_last()->message,
	                 "values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty");
	ck_assert_int_eq(kube_selector_add(s, "x", KUBE_SELECTOR_EQUALS, ab, 2), KUBE_EINVAL);
	ck_assert_str_eq(kube_error_last()->message,
	                 "values: Invalid value: [\"b\",\"a\"]: exact-match compatibility requires one single value");
	const char *bad[] = { "-a" };
	ck_assert_int_eq(kube_selector_add(s, "-x", KUBE_SELECTOR_EXISTS, bad, 1), KUBE_EINVAL);
	ck_assert_str_eq(kube_error_last()->message,
	                 "[key: Invalid value: \"-x\": name part " QN_MSG ", values: Invalid value: [\"-a\"]: "
	                 "values set must be empty for exists and does not exist, "
	                 "values[0][-x]: Invalid value: \"-a\": " VAL_MSG "]");
	const char *html[] = { "<a&b>" };
	ck_assert_int_eq(kube_selector_add(s, "x", KUBE_SELECTOR_DOES_NOT_EXIST, html, 1), KUBE_EINVAL);
	ck_assert_str_eq(kube_error_last()->message,
	                 "[values: Invalid value: [\"\\u003ca\\u0026b\\u003e\"]: values set must be empty for "
	                 "exists and does not exist, values[0][x]: Invalid value: \"<a&b>\": " VAL_MSG "]");
	ck_assert_int_eq(kube_selector_add(s, "x", KUBE_SELECTOR_LT, ab, 2), KUBE_EINVAL);
	ck_assert_str_eq(kube_error_last()->message,
	                 "[values: Invalid value: [\"b\",\"a\"]: for 'Gt', 'Lt' operators, exactly one value is required, "
	                 "values[0]: Invalid value: \"b\": for 'Gt', 'Lt' operators, the value must be an integer, "
	                 "values[1]: Invalid value: \"a\": for 'Gt', 'Lt' operators, the value must be an integer]");
	ck_assert_int_eq(kube_selector_add(s, "x", (kube_selector_op)42, NULL, 0), KUBE_EINVAL);
	ck_assert_str_eq(kube_error_last()->message,
	                 "operator: Unsupported value: \"42\": supported values: \"in\", \"notin\", \"=\", \"==\", "
	                 "\"!=\", \"gt\", \"lt\", \"exists\", \"!\"");
	ck_assert_int_eq(kube_selector_add(NULL, "x", KUBE_SELECTOR_EXISTS, NULL, 0), KUBE_EINVAL);
	ck_assert_int_eq(kube_selector_add(s, NULL, KUBE_SELECTOR_EXISTS, NULL, 0), KUBE_EINVAL);
	ck_assert_int_eq(kube_selector_requirement_count(s), 4);
	kube_selector_free(s);
}
END_TEST

START_TEST(test_selector_nothing_everything)
{
	kube_selector *n, *e;
	kube_labels *l = set_of("a=b");
	ck_assert_int_eq(kube_selector_nothing(&n), 0);
	ck_assert_int_eq(kube_selector_matches(n, l), 0);
	ck_assert_int_eq(kube_selector_matches(n, NULL), 0);
	ck_assert_int_eq(kube_selector_empty(n), 0);
	ck_assert_int_eq(kube_selector_matches_nothing(n), 1);
	char *s = kube_selector_string(n);
	ck_assert_str_eq(s, "");
	kube_free(s);
	ck_assert_int_eq(kube_selector_add(n, "a", KUBE_SELECTOR_EXISTS, NULL, 0), 0);
	ck_assert_int_eq(kube_selector_matches(n, l), 0);
	kube_selector *c;
	ck_assert_int_eq(kube_selector_copy(&c, n), 0);
	ck_assert_int_eq(kube_selector_matches_nothing(c), 1);
	kube_selector_free(c);
	ck_assert_int_eq(kube_selector_everything(&e), 0);
	ck_assert_int_eq(kube_selector_empty(e), 1);
	ck_assert_int_eq(kube_selector_matches(e, l), 1);
	ck_assert_int_eq(kube_selector_matches(e, NULL), 1);
	kube_selector_free(e);
	ck_assert_int_eq(kube_selector_parse(&e, ""), 0);
	ck_assert_int_eq(kube_selector_empty(e), 1);
	ck_assert_int_eq(kube_selector_matches_nothing(e), 0);
	ck_assert_int_eq(kube_selector_matches(e, l), 1);
	kube_selector_free(e);
	kube_selector_free(n);
	kube_selector_free(NULL);
	kube_labels_free(l);
}
END_TEST

/* ---- the property test ---- */

static unsigned long long rng_state = 0x9E3779B97F4A7C15ull;

static unsigned rnd(unsigned n)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (unsigned)(rng_state % n);
}

static const char *const keys[] = { "a", "b", "app", "env", "x.io/t", "a.b", "a0", "in", "notin", "k-1" };
static const char *const vals[] = { "", "1", "2", "10", "v", "in", "notin", "prod", "a_b", "007", "x" };

static const char *ws(void)
{
	static const char *const w[] = { "", "", "", " ", "  ", "\t", "\r\n" };
	return w[rnd(7)];
}

static void gen_selector(char *buf, size_t cap)
{
	size_t n = rnd(6), len = 0;
	buf[0] = '\0';
#define APP(...) (len += (size_t)snprintf(buf + len, cap - len, __VA_ARGS__))
	APP("%s", ws());
	for (size_t i = 0; i < n; i++) {
		const char *k = keys[rnd(ARRAY_SIZE(keys))];
		if (i)
			APP("%s,%s", ws(), ws());
		switch (rnd(9)) {
		case 0: APP("%s%s=%s%s", k, ws(), ws(), vals[rnd(ARRAY_SIZE(vals))]); break;
		case 1: APP("%s==%s", k, vals[rnd(ARRAY_SIZE(vals))]); break;
		case 2: APP("%s%s!=%s", k, ws(), vals[rnd(ARRAY_SIZE(vals))]); break;
		case 3: case 4: {
			APP("%s %s%s(", k, rnd(2) ? "in" : "notin", ws());
			size_t m = rnd(4);
			for (size_t j = 0; j < m; j++)
				APP("%s%s%s", j ? "," : "", ws(), vals[rnd(ARRAY_SIZE(vals))]);
			APP("%s)", ws());
			break;
		}
		case 5: APP("%s", k); break;
		case 6: APP("!%s%s", ws(), k); break;
		case 7: APP("%s>%u", k, rnd(20)); break;
		case 8: APP("%s%s<%s%u", k, ws(), ws(), rnd(20)); break;
		}
	}
	APP("%s", ws());
#undef APP
}

static kube_labels *gen_labels(void)
{
	kube_labels *l;
	ck_assert_int_eq(kube_labels_new(&l), 0);
	size_t n = rnd(7);
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(kube_labels_set(l, keys[rnd(ARRAY_SIZE(keys))],
		                                 vals[rnd(ARRAY_SIZE(vals))]), 0);
	return l;
}

/* A second, naive matcher written from upstream's Requirement.Matches. */
static int ref_matches(const kube_selector *s, const kube_labels *l)
{
	for (size_t i = 0; i < kube_selector_requirement_count(s); i++) {
		const char *key;
		kube_selector_op op;
		size_t nv;
		ck_assert_int_eq(kube_selector_requirement(s, i, &key, &op, &nv), 0);
		const char *v = kube_labels_get(l, key);
		int in = 0;
		for (size_t j = 0; v && j < nv; j++)
			in |= strcmp(kube_selector_requirement_value(s, i, j), v) == 0;
		int ok;
		switch (op) {
		case KUBE_SELECTOR_EQUALS: case KUBE_SELECTOR_DOUBLE_EQUALS: case KUBE_SELECTOR_IN:
			ok = v && in; break;
		case KUBE_SELECTOR_NOT_EQUALS: case KUBE_SELECTOR_NOT_IN:
			ok = !v || !in; break;
		case KUBE_SELECTOR_EXISTS: ok = v != NULL; break;
		case KUBE_SELECTOR_DOES_NOT_EXIST: ok = v == NULL; break;
		default: {
			char *end;
			if (!v || !*v) { ok = 0; break; }
			long long lv = strtoll(v, &end, 10);
			long long rv = strtoll(kube_selector_requirement_value(s, i, 0), NULL, 10);
			if (*end) { ok = 0; break; }
			ok = op == KUBE_SELECTOR_GT ? lv > rv : lv < rv;
		}
		}
		if (!ok)
			return 0;
	}
	return 1;
}

static void check_roundtrip(const char *text, kube_labels **sets, size_t nsets)
{
	kube_selector *a, *b;
	int rc = kube_selector_parse(&a, text);
	ck_assert_msg(rc == 0, "[%s]: %s", text, rc ? kube_error_last()->message : "");
	char *s1 = kube_selector_string(a);
	ck_assert_msg(kube_selector_parse(&b, s1) == 0, "reparse [%s] of [%s]", s1, text);
	char *s2 = kube_selector_string(b);
	ck_assert_msg(strcmp(s1, s2) == 0, "[%s] -> [%s] -> [%s]", text, s1, s2);
	for (size_t i = 0; i < nsets; i++) {
		int m1 = kube_selector_matches(a, sets[i]);
		int m2 = kube_selector_matches(b, sets[i]);
		int mr = ref_matches(a, sets[i]);
		char *ls = kube_labels_string(sets[i]);
		ck_assert_msg(m1 == m2 && m1 == mr, "[%s] on {%s}: %d %d ref %d", text, ls, m1, m2, mr);
		kube_free(ls);
	}
	kube_free(s1);
	kube_free(s2);
	kube_selector_free(a);
	kube_selector_free(b);
}

START_TEST(test_selector_property_roundtrip)
{
	static const char *hand[] = {
		"", "x", "!x", "x=", "x==y", "x!=y", "x in ()", "x notin ()", "x in (,)", "x in (a,,b)",
		"in in (in,notin)", "notin notin (in)", "x>0", "x<10,x>1", "a=1,a=1,a!=1",
		"example.com/a in (x),example.com/a notin (y)", "a.b=1,a=2,a0=3", "k in (b,a,b,a)",
		" a , b , !c ", "a\t=\tb", "x in (  a  ,  b  )",
	};
	kube_labels *sets[64];
	for (size_t i = 0; i < 64; i++)
		sets[i] = gen_labels();
	for (size_t i = 0; i < ARRAY_SIZE(hand); i++)
		check_roundtrip(hand[i], sets, 64);
	char buf[1024];
	for (int i = 0; i < 4000; i++) {
		gen_selector(buf, sizeof(buf));
		check_roundtrip(buf, sets, 64);
	}
	for (size_t i = 0; i < 64; i++)
		kube_labels_free(sets[i]);
}
END_TEST

START_TEST(test_selector_many_requirements)
{
	/* more than 16 requirements takes the merge sort; equal keys stay in order */
	char buf[2048] = "";
	size_t len = 0;
	for (int i = 0; i < 40; i++)
		len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%sk%d=%d", i ? "," : "",
		                        (i * 7) % 13, i);
	kube_selector *s;
	ck_assert_int_eq(kube_selector_parse(&s, buf), 0);
	ck_assert_int_eq(kube_selector_requirement_count(s), 40);
	const char *prev = "";
	int prev_val = -1;
	for (size_t i = 0; i < 40; i++) {
		const char *k;
		ck_assert_int_eq(kube_selector_requirement(s, i, &k, NULL, NULL), 0);
		ck_assert_int_le(strcmp(prev, k), 0);
		int v = atoi(kube_selector_requirement_value(s, i, 0));
		if (strcmp(prev, k) == 0)
			ck_assert_int_gt(v, prev_val);
		prev = k;
		prev_val = v;
	}
	kube_selector_free(s);
	/* a huge value list spills the inline vectors */
	char *big = malloc(200000);
	len = (size_t)sprintf(big, "x in (");
	for (int i = 0; i < 20000; i++)
		len += (size_t)sprintf(big + len, "%s%d", i ? "," : "", 19999 - i);
	sprintf(big + len, ")");
	ck_assert_int_eq(kube_selector_parse(&s, big), 0);
	ck_assert_str_eq(kube_selector_requirement_value(s, 0, 0), "0");
	ck_assert_str_eq(kube_selector_requirement_value(s, 0, 1), "1");
	ck_assert_str_eq(kube_selector_requirement_value(s, 0, 2), "10");
	kube_labels *l = set_of("x=12345");
	ck_assert_int_eq(kube_selector_matches(s, l), 1);
	kube_labels_free(l);
	kube_selector_free(s);
	free(big);
}
END_TEST

/* ---- metav1.LabelSelector ---- */

static kube_object *obj(const char *json)
{
	kube_object *o;
	int rc = kube_object_from_json(&o, json, strlen(json));
	ck_assert_msg(rc == 0, "%s", rc ? kube_error_last()->message : "");
	return o;
}

static char *sel_string(const kube_selector *s)
{
	static char buf[1024];
	char *str = kube_selector_string(s);
	snprintf(buf, sizeof(buf), "%s", str);
	kube_free(str);
	return buf;
}

START_TEST(test_selector_label_selector_object)
{
	kube_object *o = obj("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\","
	                     "\"metadata\":{\"name\":\"d\"},\"spec\":{\"selector\":{"
	                     "\"matchLabels\":{\"tier\":\"web\",\"app\":\"x\"},"
	                     "\"matchExpressions\":[{\"key\":\"env\",\"operator\":\"In\",\"values\":[\"prod\",\"dev\",\"prod\"]},"
	                     "{\"key\":\"app\",\"operator\":\"NotIn\",\"values\":[\"y\"]},"
	                     "{\"key\":\"canary\",\"operator\":\"DoesNotExist\"},"
	                     "{\"key\":\"zone\",\"operator\":\"Exists\",\"values\":[]}]},"
	                     "\"template\":{\"spec\":{\"affinity\":{\"podAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":"
	                     "[{\"labelSelector\":{},\"topologyKey\":\"z\"}]}}}}}}");
	kube_selector *s;
	ck_assert_int_eq(kube_selector_from_object(&s, o, "spec.selector"), 0);
	/* matchLabels first, then expressions; stable by key; values sorted, not deduplicated */
	ck_assert_str_eq(sel_string(s), "app=x,app notin (y),!canary,env in (dev,prod,prod),tier=web,zone");
	kube_labels *l = set_of("app=x,tier=web,env=prod,zone=a");
	ck_assert_int_eq(kube_selector_matches(s, l), 1);
	kube_labels_set(l, "canary", "1");
	ck_assert_int_eq(kube_selector_matches(s, l), 0);
	kube_labels_free(l);
	kube_selector_free(s);

	/* an empty selector matches everything; a missing one nothing */
	ck_assert_int_eq(kube_selector_from_object(&s, o,
	                 "spec.template.spec.affinity.podAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].labelSelector"), 0);
	ck_assert_int_eq(kube_selector_empty(s), 1);
	ck_assert_int_eq(kube_selector_matches(s, NULL), 1);
	kube_selector_free(s);
	ck_assert_int_eq(kube_selector_from_object(&s, o, "spec.nothere"), 0);
	ck_assert_int_eq(kube_selector_matches_nothing(s), 1);
	ck_assert_int_eq(kube_selector_matches(s, NULL), 0);
	kube_selector_free(s);
	ck_assert_int_eq(kube_selector_from_object(&s, o, "metadata.name"), KUBE_EINVAL);
	ck_assert_int_eq(kube_selector_from_object(NULL, o, "spec.selector"), KUBE_EINVAL);
	kube_object_unref(o);
}
END_TEST

static void expect_json_err(const char *json, const char *msg, const char *field)
{
	kube_selector *s = (kube_selector *)1;
	ck_assert_int_eq(kube_selector_from_json(&s, json, strlen(json)), KUBE_EINVAL);
	ck_assert_ptr_null(s);
	ck_assert_str_eq(kube_error_last()->message, msg);
	if (field)
		ck_assert_str_eq(kube_error_last()->field, field);
}

START_TEST(test_selector_label_selector_json)
{
	kube_selector *s;
	ck_assert_int_eq(kube_selector_from_json(&s, "null", 4), 0);
	ck_assert_int_eq(kube_selector_matches_nothing(s), 1);
	kube_selector_free(s);
	ck_assert_int_eq(kube_selector_from_json(&s, " {} ", 4), 0);
	ck_assert_int_eq(kube_selector_empty(s), 1);
	kube_selector_free(s);
	ck_assert_int_eq(kube_selector_from_json(&s, "{\"matchLabels\":{},\"matchExpressions\":[]}", 40), 0);
	ck_assert_int_eq(kube_selector_empty(s), 1);
	kube_selector_free(s);
	const char *j = "{\"matchLabels\":{\"a\":\"b\"}}";
	ck_assert_int_eq(kube_selector_from_json(&s, j, strlen(j)), 0);
	ck_assert_str_eq(sel_string(s), "a=b");
	kube_selector_free(s);

	expect_json_err("{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"Foo\"}]}",
	                "\"Foo\" is not a valid label selector operator", "matchExpressions[0]");
	expect_json_err("{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"in\",\"values\":[\"x\"]}]}",
	                "\"in\" is not a valid label selector operator", NULL);
	expect_json_err("{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"In\"}]}",
	                "values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty",
	                "matchExpressions[0]");
	expect_json_err("{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"NotIn\",\"values\":[]}]}",
	                "values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty", NULL);
	expect_json_err("{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"Exists\",\"values\":[\"x\"]}]}",
	                "values: Invalid value: [\"x\"]: values set must be empty for exists and does not exist", NULL);
	expect_json_err("{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"In\",\"values\":[\"ok\",\"-x\"]}]}",
	                "values[1][a]: Invalid value: \"-x\": " VAL_MSG, NULL);
	expect_json_err("{\"matchLabels\":{\"-k\":\"v\"}}",
	                "key: Invalid value: \"-k\": name part " QN_MSG, "matchLabels[\"-k\"]");
	expect_json_err("{\"matchLabels\":{\"k\":\"v v\"}}",
	                "values[0][k]: Invalid value: \"v v\": " VAL_MSG, NULL);
	expect_json_err("{\"matchExpressions\":[{\"operator\":\"Exists\"}]}",
	                "key: Invalid value: \"\": name part must be non-empty; name part " QN_MSG, NULL);
	expect_json_err("{\"matchLabels\":{\"k\":1}}", "matchLabels[\"k\"]: must be a string", NULL);
	expect_json_err("[]", ": a label selector must be a map", NULL);
	expect_json_err("{", "label selector: invalid JSON: unexpected end of data", NULL);
	expect_json_err("{} x", "label selector: invalid JSON: data after the value", NULL);
}
END_TEST

static Suite *selector_suite(void)
{
	Suite *s = suite_create("selector");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_selector_canonical_string);
	tcase_add_test(tc, test_selector_gt_lt_values);
	tcase_add_test(tc, test_selector_matches_rules);
	tcase_add_test(tc, test_selector_syntax_errors);
	tcase_add_test(tc, test_selector_validation_errors);
	tcase_add_test(tc, test_selector_parse_len_nul);
	tcase_add_test(tc, test_selector_builder);
	tcase_add_test(tc, test_selector_nothing_everything);
	tcase_add_test(tc, test_selector_property_roundtrip);
	tcase_add_test(tc, test_selector_many_requirements);
	tcase_add_test(tc, test_selector_label_selector_object);
	tcase_add_test(tc, test_selector_label_selector_json);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(selector_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
