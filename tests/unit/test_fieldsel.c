/*
 * test_fieldsel.c - field sets and field selectors against upstream's
 * splitting, sorting, escaping, matching and error messages.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libkube/kube.h"

static char *canon(const char *text)
{
	static char buf[4096];
	kube_field_selector *s;
	int rc = kube_field_selector_parse(&s, text);
	ck_assert_msg(rc == 0, "%s: %s", text, rc ? kube_error_last()->message : "");
	char *str = kube_field_selector_string(s);
	snprintf(buf, sizeof(buf), "%s", str);
	kube_free(str);
	kube_field_selector_free(s);
	return buf;
}

static void expect_err(const char *text, const char *msg)
{
	kube_field_selector *s = (kube_field_selector *)1;
	ck_assert_int_eq(kube_field_selector_parse(&s, text), KUBE_EINVAL);
	ck_assert_ptr_null(s);
	ck_assert_str_eq(kube_error_last()->message, msg);
}

static kube_fields *pod_fields(void)
{
	kube_fields *f;
	ck_assert_int_eq(kube_fields_new(&f), 0);
	ck_assert_int_eq(kube_fields_set(f, "metadata.name", "web-1"), 0);
	ck_assert_int_eq(kube_fields_set(f, "metadata.namespace", "default"), 0);
	ck_assert_int_eq(kube_fields_set(f, "spec.nodeName", "node=a,b"), 0);
	ck_assert_int_eq(kube_fields_set(f, "status.phase", "Running"), 0);
	return f;
}

static int match(const char *sel, const kube_fields *f)
{
	kube_field_selector *s;
	ck_assert_msg(kube_field_selector_parse(&s, sel) == 0, "%s", sel);
	int m = kube_field_selector_matches(s, f);
	kube_field_selector_free(s);
	return m;
}

START_TEST(test_fieldsel_canonical_string)
{
	ck_assert_str_eq(canon(""), "");
	ck_assert_str_eq(canon("a=b"), "a=b");
	ck_assert_str_eq(canon("a==b"), "a=b");
	ck_assert_str_eq(canon("a!=b"), "a!=b");
	/* terms are sorted as raw strings */
	ck_assert_str_eq(canon("b=1,a=2"), "a=2,b=1");
	ck_assert_str_eq(canon("a=x,a!=y"), "a!=y,a=x");
	ck_assert_str_eq(canon("x=a\\,b"), "x=a\\,b");
	ck_assert_str_eq(canon("x=a\\=b\\\\c"), "x=a\\=b\\\\c");
	ck_assert_str_eq(canon("x="), "x=");
	ck_assert_str_eq(canon("x!="), "x!=");
	/* empty terms and "=" terms vanish */
	ck_assert_str_eq(canon(",a=b,,"), "a=b");
	ck_assert_str_eq(canon("="), "");
	ck_assert_str_eq(canon("==,!="), "");
	ck_assert_str_eq(canon("=x"), "=x");
	ck_assert_str_eq(canon("a!b=c"), "a!b=c");
	ck_assert_str_eq(canon("a=b\\=\\="), "a=b\\=\\=");
	ck_assert_str_eq(canon(" a = b "), " a = b ");
	ck_assert_str_eq(canon("a=b,a=b"), "a=b,a=b");
	ck_assert_str_eq(canon("spec.nodeName=,metadata.name=x"), "metadata.name=x,spec.nodeName=");
}
END_TEST

START_TEST(test_fieldsel_errors)
{
	expect_err("a", "invalid selector: 'a'; can't understand 'a'");
	expect_err("b=1,a", "invalid selector: 'b=1,a'; can't understand 'a'");
	expect_err("a!b", "invalid selector: 'a!b'; can't understand 'a!b'");
	expect_err("a=b,c", "invalid selector: 'a=b,c'; can't understand 'c'");
	expect_err("a=b=c", "invalid field selector: unescaped character in value: 61");
	expect_err("a==b=c", "invalid field selector: unescaped character in value: 61");
	expect_err("a=\\x", "invalid field selector: invalid escape sequence: \\x");
	expect_err("a=b\\", "invalid field selector: invalid escape sequence: \\");
	expect_err("a=\\\xc3\xa9", "invalid field selector: invalid escape sequence: \\\xc3\xa9");
	expect_err("a=\\\xff", "invalid field selector: invalid escape sequence: \\\xef\xbf\xbd");
	/* the first error in sorted order wins */
	expect_err("b=\\x,a", "invalid selector: 'b=\\x,a'; can't understand 'a'");
	ck_assert_int_eq(kube_field_selector_parse(NULL, "a=b"), KUBE_EINVAL);
}
END_TEST

START_TEST(test_fieldsel_unescape_invalid_utf8)
{
	/* a value that needs unescaping is decoded as UTF-8: bad bytes become U+FFFD */
	kube_field_selector *s;
	ck_assert_int_eq(kube_field_selector_parse(&s, "a=\xff\\,"), 0);
	const char *f, *v;
	kube_field_op op;
	ck_assert_int_eq(kube_field_selector_term(s, 0, &f, &op, &v), 0);
	ck_assert_str_eq(f, "a");
	ck_assert_int_eq(op, KUBE_FIELD_EQUALS);
	ck_assert_str_eq(v, "\xef\xbf\xbd,");
	kube_field_selector_free(s);
	/* without escapes the value is kept byte for byte */
	ck_assert_int_eq(kube_field_selector_parse(&s, "a=\xff"), 0);
	ck_assert_int_eq(kube_field_selector_term(s, 0, NULL, NULL, &v), 0);
	ck_assert_str_eq(v, "\xff");
	ck_assert_int_eq(kube_field_selector_term(s, 1, NULL, NULL, &v), KUBE_ENOTFOUND);
	kube_field_selector_free(s);
}
END_TEST

START_TEST(test_fieldsel_matches)
{
	kube_fields *f = pod_fields();
	ck_assert_int_eq(match("", f), 1);
	ck_assert_int_eq(match("metadata.name=web-1", f), 1);
	ck_assert_int_eq(match("metadata.name==web-1", f), 1);
	ck_assert_int_eq(match("metadata.name!=web-1", f), 0);
	ck_assert_int_eq(match("metadata.name=web-2", f), 0);
	ck_assert_int_eq(match("metadata.name=web-1,status.phase=Running", f), 1);
	ck_assert_int_eq(match("metadata.name=web-1,status.phase!=Running", f), 0);
	ck_assert_int_eq(match("spec.nodeName=node\\=a\\,b", f), 1);
	/* a missing field reads as "" */
	ck_assert_int_eq(match("spec.unknown=", f), 1);
	ck_assert_int_eq(match("spec.unknown!=", f), 0);
	ck_assert_int_eq(match("spec.unknown!=x", f), 1);
	ck_assert_int_eq(match("spec.unknown=x", f), 0);
	kube_field_selector *s;
	ck_assert_int_eq(kube_field_selector_parse(&s, "spec.unknown="), 0);
	ck_assert_int_eq(kube_field_selector_matches(s, NULL), 1);
	ck_assert_int_eq(kube_field_selector_matches(NULL, f), 0);
	const char *v;
	ck_assert_int_eq(kube_field_selector_requires_exact_match(s, "spec.unknown", &v), 1);
	ck_assert_str_eq(v, "");
	ck_assert_int_eq(kube_field_selector_requires_exact_match(s, "x", &v), 0);
	kube_field_selector_free(s);
	kube_fields_free(f);
}
END_TEST

START_TEST(test_fieldsel_builder_and_sets)
{
	kube_field_selector *s;
	ck_assert_int_eq(kube_field_selector_new(&s), 0);
	ck_assert_int_eq(kube_field_selector_empty(s), 1);
	ck_assert_int_eq(kube_field_selector_add(s, "status.phase", KUBE_FIELD_NOT_EQUALS, "a,b"), 0);
	ck_assert_int_eq(kube_field_selector_add(s, "metadata.name", KUBE_FIELD_EQUALS, "x"), 0);
	ck_assert_int_eq(kube_field_selector_add(s, "x", (kube_field_op)7, "x"), KUBE_EINVAL);
	ck_assert_int_eq(kube_field_selector_empty(s), 0);
	ck_assert_int_eq(kube_field_selector_term_count(s), 2);
	char *str = kube_field_selector_string(s);
	ck_assert_str_eq(str, "status.phase!=a\\,b,metadata.name=x");
	kube_free(str);
	kube_fields *f;
	ck_assert_int_eq(kube_fields_new(&f), 0);
	ck_assert_int_eq(kube_fields_set(f, "metadata.name", "x"), 0);
	ck_assert_int_eq(kube_field_selector_matches(s, f), 1);
	ck_assert_int_eq(kube_fields_set(f, "status.phase", "a,b"), 0);
	ck_assert_int_eq(kube_field_selector_matches(s, f), 0);
	/* field sets take any strings */
	ck_assert_int_eq(kube_fields_set(f, "Not A Label!", " any thing "), 0);
	ck_assert_str_eq(kube_fields_get(f, "Not A Label!"), " any thing ");
	ck_assert_int_eq(kube_fields_count(f), 3);
	const char *k;
	ck_assert_int_eq(kube_fields_at(f, 0, &k, NULL), 0);
	ck_assert_str_eq(k, "Not A Label!");
	ck_assert_ptr_null(kube_fields_get(f, "nope"));
	kube_fields_free(f);
	kube_field_selector_free(s);
}
END_TEST

/* ---- objects' field sets ---- */

static kube_object *obj(const char *json)
{
	kube_object *o;
	int rc = kube_object_from_json(&o, json, strlen(json));
	ck_assert_msg(rc == 0, "%s", rc ? kube_error_last()->message : "");
	return o;
}

static int match_obj(const char *sel, const kube_object *o)
{
	kube_field_selector *s;
	kube_fields *f;
	ck_assert_msg(kube_field_selector_parse(&s, sel) == 0, "%s", sel);
	int m = kube_field_selector_matches_object(s, o);
	/* the built set must give the same answer */
	ck_assert_int_eq(kube_fields_from_object(&f, o), 0);
	ck_assert_int_eq(kube_field_selector_matches(s, f), m);
	kube_fields_free(f);
	kube_field_selector_free(s);
	return m;
}

START_TEST(test_fieldsel_pod_fields)
{
	kube_object *o = obj("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\",\"namespace\":\"ns\"},"
	                     "\"spec\":{\"nodeName\":\"n1\",\"restartPolicy\":\"Always\",\"schedulerName\":\"s\","
	                     "\"serviceAccountName\":\"sa\",\"hostNetwork\":true},"
	                     "\"status\":{\"phase\":\"Running\",\"podIP\":\"10.0.0.9\",\"podIPs\":[{\"ip\":\"10.0.0.1\"}],"
	                     "\"nominatedNodeName\":\"n2\"}}");
	ck_assert_int_eq(match_obj("metadata.name=p,metadata.namespace=ns", o), 1);
	ck_assert_int_eq(match_obj("spec.nodeName=n1,spec.restartPolicy=Always", o), 1);
	ck_assert_int_eq(match_obj("spec.schedulerName=s,spec.serviceAccountName=sa", o), 1);
	ck_assert_int_eq(match_obj("spec.hostNetwork=true", o), 1);
	ck_assert_int_eq(match_obj("status.phase=Running,status.nominatedNodeName=n2", o), 1);
	/* podIP and podIPs[0] differ: podIP is authoritative (v1 conversion) */
	ck_assert_int_eq(match_obj("status.podIP=10.0.0.9", o), 1);
	ck_assert_int_eq(match_obj("status.podIP=10.0.0.1", o), 0);
	ck_assert_int_eq(match_obj("spec.nodeName!=n1", o), 0);
	/* not a selectable field of pods: reads as "" */
	ck_assert_int_eq(match_obj("spec.hostname=", o), 1);
	kube_fields *f;
	ck_assert_int_eq(kube_fields_from_object(&f, o), 0);
	ck_assert_int_eq(kube_fields_count(f), 10);
	ck_assert_str_eq(kube_fields_get(f, "spec.hostNetwork"), "true");
	kube_fields_free(f);
	kube_object_unref(o);

	o = obj("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"q\"},"
	        "\"status\":{\"podIP\":\"10.1.1.1\"}}");
	ck_assert_int_eq(match_obj("spec.hostNetwork=false,spec.nodeName=,metadata.namespace=", o), 1);
	ck_assert_int_eq(match_obj("status.podIP=10.1.1.1", o), 1);
	kube_object_unref(o);

	/* only podIPs: its first; only the deprecated serviceAccount: that */
	o = obj("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"r\"},"
	        "\"spec\":{\"serviceAccount\":\"old\"},"
	        "\"status\":{\"podIPs\":[{\"ip\":\"10.2.2.2\"},{\"ip\":\"fd00::2\"}]}}");
	ck_assert_int_eq(match_obj("status.podIP=10.2.2.2,spec.serviceAccountName=old", o), 1);
	kube_object_unref(o);

	o = obj("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\",\"namespace\":\"d\"},"
	        "\"spec\":{\"nodeName\":\"n1\"}}");
	ck_assert_int_eq(match_obj("metadata.name=c", o), 1);
	ck_assert_int_eq(match_obj("spec.nodeName=", o), 1);
	ck_assert_int_eq(kube_fields_from_object(&f, o), 0);
	ck_assert_int_eq(kube_fields_count(f), 2);
	kube_fields_free(f);
	kube_object_unref(o);
}
END_TEST

START_TEST(test_fieldsel_event_fields)
{
	kube_object *o = obj("{\"apiVersion\":\"v1\",\"kind\":\"Event\",\"metadata\":{\"name\":\"e\",\"namespace\":\"ns\"},"
	                     "\"involvedObject\":{\"kind\":\"Pod\",\"namespace\":\"ns\",\"name\":\"p\",\"uid\":\"u1\","
	                     "\"apiVersion\":\"v1\",\"resourceVersion\":\"7\",\"fieldPath\":\"spec.containers{c}\"},"
	                     "\"reason\":\"Started\",\"source\":{\"component\":\"kubelet\"},\"type\":\"Normal\"}");
	ck_assert_int_eq(match_obj("involvedObject.kind=Pod,involvedObject.name=p,involvedObject.namespace=ns", o), 1);
	ck_assert_int_eq(match_obj("involvedObject.uid=u1,involvedObject.apiVersion=v1", o), 1);
	ck_assert_int_eq(match_obj("involvedObject.resourceVersion=7,involvedObject.fieldPath=spec.containers{c}", o), 1);
	ck_assert_int_eq(match_obj("reason=Started,source=kubelet,type=Normal", o), 1);
	ck_assert_int_eq(match_obj("type!=Normal", o), 0);
	kube_fields *f;
	ck_assert_int_eq(kube_fields_from_object(&f, o), 0);
	ck_assert_int_eq(kube_fields_count(f), 12);
	kube_fields_free(f);
	kube_object_unref(o);

	o = obj("{\"apiVersion\":\"events.k8s.io/v1\",\"kind\":\"Event\",\"metadata\":{\"name\":\"e\"},"
	        "\"regarding\":{\"kind\":\"Node\",\"name\":\"n\"},\"reason\":\"R\",\"reportingController\":\"ctl\"}");
	ck_assert_int_eq(match_obj("involvedObject.kind=Node,involvedObject.name=n,source=ctl,reason=R", o), 1);
	ck_assert_int_eq(kube_field_selector_matches_object(NULL, o), 0);
	kube_object_unref(o);
}
END_TEST

static Suite *fieldsel_suite(void)
{
	Suite *s = suite_create("fieldsel");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_fieldsel_canonical_string);
	tcase_add_test(tc, test_fieldsel_errors);
	tcase_add_test(tc, test_fieldsel_unescape_invalid_utf8);
	tcase_add_test(tc, test_fieldsel_matches);
	tcase_add_test(tc, test_fieldsel_builder_and_sets);
	tcase_add_test(tc, test_fieldsel_pod_fields);
	tcase_add_test(tc, test_fieldsel_event_fields);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(fieldsel_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
