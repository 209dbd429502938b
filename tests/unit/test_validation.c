/*
 * test_validation.c - kube_validate_object() against upstream's rules and
 * messages.
 *
 * Each test feeds a manifest (JSON, written with ' for " to stay readable)
 * and compares the exact list of messages, in order, with what the API
 * server would answer; realistic manifests in tests/data/validation/ must
 * give none.
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libkube/kube.h"

#define SUB_MSG "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
#define LABEL_MSG "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
#define QN_MSG "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
#define VAL_MSG "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
#define D1035_MSG "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
#define KEY_MSG "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"
#define RANGE_MSG "must be between 1 and 65535, inclusive"
#define NEG_MSG "must be greater than or equal to 0"
#define MISMATCH "`selector` does not match template `labels`"

/* A copy of s with every ' turned into ", so JSON reads well in C. */
static char *dq(const char *s)
{
	char *out = strdup(s);
	ck_assert_ptr_nonnull(out);
	for (char *p = out; *p; p++)
		if (*p == '\'')
			*p = '"';
	return out;
}

static kube_object *parse(const char *sq_json)
{
	char *json = dq(sq_json);
	kube_object *o = NULL;
	int rc = kube_object_from_json(&o, json, strlen(json));
	ck_assert_msg(rc == 0, "parse failed: %s", kube_error_last() ? kube_error_last()->message : "?");
	free(json);
	return o;
}

/* Validates o and asserts the exact messages (NULL-terminated `want`). */
static void expect_object(kube_object *o, const char *const *want)
{
	kube_validation *v = NULL;
	size_t n = 0;
	int rc;

	while (want[n])
		n++;
	kube_error_clear();
	rc = kube_validate_object(&v, o);
	ck_assert_ptr_nonnull(v);
	for (size_t i = 0; i < kube_validation_count(v) || i < n; i++) {
		const char *got = kube_validation_message(v, i);
		ck_assert_msg(i < n && got && strcmp(got, want[i]) == 0,
		              "problem %zu:\n  got  %s\n  want %s\n  (%zu problems, %zu wanted)", i,
		              got ? got : "(none)", i < n ? want[i] : "(none)",
		              kube_validation_count(v), n);
		/* the field is the message's prefix */
		ck_assert_msg(strncmp(got, kube_validation_field(v, i), strlen(kube_validation_field(v, i))) == 0 &&
		              strncmp(got + strlen(kube_validation_field(v, i)), ": ", 2) == 0,
		              "field %s does not prefix %s", kube_validation_field(v, i), got);
	}
	ck_assert_uint_eq(kube_validation_count(v), n);
	ck_assert_ptr_null(kube_validation_message(v, n));
	ck_assert_ptr_null(kube_validation_field(v, n));
	if (n == 0) {
		ck_assert_int_eq(rc, 0);
	} else {
		ck_assert_int_eq(rc, KUBE_EINVAL);
		ck_assert_ptr_nonnull(kube_error_last());
		ck_assert_int_eq(kube_error_last()->code, KUBE_EINVAL);
		ck_assert_str_eq(kube_error_last()->message, want[0]);
		ck_assert_str_eq(kube_error_last()->field, kube_validation_field(v, 0));
	}
	kube_validation_free(v);
}

static void expect_json(const char *sq_json, const char *const *want)
{
	kube_object *o = parse(sq_json);
	expect_object(o, want);
	kube_object_unref(o);
}

#define EXPECT(json, ...) expect_json((json), (const char *const[]){ __VA_ARGS__, NULL })
#define EXPECT_VALID(json) expect_json((json), (const char *const[]){ NULL })

static char *read_file(const char *name)
{
	char path[512];
	FILE *f;
	long n;
	char *buf;

	snprintf(path, sizeof(path), "%s/validation/%s", KUBE_TEST_DATA, name);
	f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(buf);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* ---- the API itself ---- */

START_TEST(test_validation_null_arguments)
{
	kube_validation *v = (kube_validation *)1;
	kube_object *o = parse("{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'ok'}}");

	ck_assert_int_eq(kube_validate_object(&v, NULL), KUBE_EINVAL);
	ck_assert_ptr_null(v);
	ck_assert_int_eq(kube_error_last()->code, KUBE_EINVAL);
	ck_assert_int_eq(kube_validate_object(NULL, NULL), KUBE_EINVAL);
	ck_assert_uint_eq(kube_validation_count(NULL), 0);
	ck_assert_ptr_null(kube_validation_field(NULL, 0));
	ck_assert_ptr_null(kube_validation_message(NULL, 0));
	kube_validation_free(NULL);
	/* out may be NULL: only the code and the thread's error are wanted */
	ck_assert_int_eq(kube_validate_object(NULL, o), 0);
	kube_object_unref(o);
	o = parse("{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'Not_OK'}}");
	ck_assert_int_eq(kube_validate_object(NULL, o), KUBE_EINVAL);
	ck_assert_str_eq(kube_error_last()->field, "metadata.name");
	ck_assert_str_eq(kube_error_last()->message, "metadata.name: Invalid value: \"Not_OK\": " SUB_MSG);
	kube_object_unref(o);
}
END_TEST

START_TEST(test_validation_frozen_object)
{
	kube_object *o = parse("{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'x_y'}}");
	kube_object_freeze(o);
	expect_object(o, (const char *const[]){ "metadata.name: Invalid value: \"x_y\": " SUB_MSG, NULL });
	kube_object_unref(o);
}
END_TEST

START_TEST(test_validation_valid_manifests)
{
	static const char *const files[] = {
		"deployment.json", "service.json", "service-headless.json", "statefulset.json",
		"daemonset.json", "job.json", "cronjob.json", "configmap.json", "secret.json",
		"pvc.json", "namespace.json", "pod.json", NULL,
	};
	for (size_t i = 0; files[i]; i++) {
		char *json = read_file(files[i]);
		kube_object *o = NULL;
		kube_validation *v = NULL;
		int rc;

		ck_assert_int_eq(kube_object_from_json(&o, json, strlen(json)), 0);
		rc = kube_validate_object(&v, o);
		ck_assert_msg(rc == 0 && kube_validation_count(v) == 0, "%s: %s", files[i],
		              kube_validation_message(v, 0) ? kube_validation_message(v, 0) : "?");
		kube_validation_free(v);
		kube_object_unref(o);
		free(json);
	}
}
END_TEST

/* A manifest with many problems at once: every one, in upstream's order. */
START_TEST(test_validation_broken_manifest_fixture)
{
	char *json = read_file("broken-deployment.json");
	char *want = read_file("broken-deployment.expected");
	const char *lines[64];
	size_t n = 0;
	kube_object *o = NULL;

	for (char *p = want; *p && n < 63;) {
		char *nl = strchr(p, '\n');
		lines[n++] = p;
		if (!nl)
			break;
		*nl = '\0';
		p = nl + 1;
	}
	lines[n] = NULL;
	ck_assert_uint_eq(n, 10);
	ck_assert_int_eq(kube_object_from_json(&o, json, strlen(json)), 0);
	expect_object(o, lines);
	kube_object_unref(o);
	free(json);
	free(want);
}
END_TEST

/* kubectl sends a list's items one by one: each is validated as an object */
START_TEST(test_validation_lists)
{
	EXPECT_VALID("{'apiVersion':'v1','kind':'List','metadata':{},'items':[]}");
	EXPECT("{'apiVersion':'v1','kind':'List','items':["
	       "{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'ok'}},"
	       "{'apiVersion':'v1','kind':'Service','metadata':{'name':'Bad'},'spec':{'clusterIP':'None'}},"
	       "{'apiVersion':'v1','kind':'ConfigMap'}, 7]}",
	       "items[1].metadata.name: Invalid value: \"Bad\": " D1035_MSG,
	       "items[2].metadata.name: Required value: name or generateName is required",
	       "items[3]: Invalid value: 7: must be of type object");
	/* typed lists: items may leave out apiVersion and kind */
	EXPECT("{'apiVersion':'v1','kind':'PodList','items':[{'metadata':{'name':'p'},'spec':{'containers':[{'name':'c'}]}}]}",
	       "items[0].spec.containers[0].image: Required value");
}
END_TEST

/* An allocator that fails after a budget of allocations; it delegates to
 * the C library, so memory crosses freely between it and the default. */
static long alloc_budget = -1;

static void *budget_malloc(size_t n, void *ud)
{
	(void)ud;
	if (alloc_budget == 0)
		return NULL;
	if (alloc_budget > 0)
		alloc_budget--;
	return malloc(n);
}

static void *budget_realloc(void *p, size_t n, void *ud)
{
	(void)ud;
	if (alloc_budget == 0)
		return NULL;
	if (alloc_budget > 0)
		alloc_budget--;
	return realloc(p, n);
}

static void budget_free(void *p, void *ud)
{
	(void)ud;
	free(p);
}

/* Every allocation failure gives KUBE_ENOMEM and no list, never a partial one. */
START_TEST(test_validation_out_of_memory)
{
	static const kube_allocator budget = { budget_malloc, budget_realloc, budget_free, NULL };
	char *json = read_file("broken-deployment.json");
	kube_object *o = NULL;
	int done = 0;

	ck_assert_int_eq(kube_set_allocator(&budget), 0);
	ck_assert_int_eq(kube_object_from_json(&o, json, strlen(json)), 0);
	for (long n = 0; !done && n < 100000; n++) {
		kube_validation *v = (kube_validation *)1;
		int rc;

		alloc_budget = n;
		rc = kube_validate_object(&v, o);
		alloc_budget = -1;
		if (rc == KUBE_ENOMEM) {
			ck_assert_ptr_null(v);
			ck_assert_int_eq(kube_error_last()->code, KUBE_ENOMEM);
			continue;
		}
		ck_assert_int_eq(rc, KUBE_EINVAL);
		ck_assert_uint_eq(kube_validation_count(v), 10);
		kube_validation_free(v);
		done = 1;
	}
	ck_assert(done);
	kube_object_unref(o);
	ck_assert_int_eq(kube_set_allocator(NULL), 0);
	free(json);
}
END_TEST

/* A frozen object is read-only: many threads may validate it at once and
 * each gets the same report (run under TSan to check for races). */
static kube_object *shared_object;

static void *validate_many(void *arg)
{
	char *first = NULL;
	long bad = 0;

	(void)arg;
	for (int i = 0; i < 200; i++) {
		kube_validation *v = NULL;
		kube_validate_object(&v, shared_object);
		if (kube_validation_count(v) != 3)
			bad++;
		else if (!first)
			first = strdup(kube_validation_message(v, 0));
		else if (strcmp(first, kube_validation_message(v, 0)) != 0)
			bad++;
		kube_validation_free(v);
	}
	free(first);
	return (void *)bad;
}

START_TEST(test_validation_shared_object_threads)
{
	pthread_t threads[4];

	shared_object = parse("{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'d'},'spec':{'replicas':2.5,"
	                      "'selector':{'matchLabels':{'a':'b'}},'template':{'metadata':{'labels':{'a':'b'}},"
	                      "'spec':{'containers':[{'name':'c','image':'i','resources':{'requests':{'cpu':2.5},'limits':{'cpu':1}}},"
	                      "{'name':'d','image':'i','ports':[{'containerPort':1.5}]}]}}}}");
	kube_object_freeze(shared_object);
	expect_object(shared_object, (const char *const[]){
		"spec.replicas: Invalid value: 2.5: must be of type int32",
		"spec.template.spec.containers[0].resources.requests: Invalid value: \"2500m\": must be less than or equal to cpu limit of 1",
		"spec.template.spec.containers[1].ports[0].containerPort: Invalid value: 1.5: must be of type int32",
		NULL });
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&threads[i], NULL, validate_many, NULL), 0);
	for (int i = 0; i < 4; i++) {
		void *bad;
		ck_assert_int_eq(pthread_join(threads[i], &bad), 0);
		ck_assert_ptr_null(bad);
	}
	shared_object = kube_object_unref(shared_object);
}
END_TEST

/* ---- metadata ---- */

START_TEST(test_validation_apiversion_and_kind_required)
{
	EXPECT("{}",
	       "apiVersion: Required value",
	       "kind: Required value",
	       "metadata.name: Required value: name or generateName is required");
	EXPECT("{'apiVersion':'v1','metadata':{'name':'x'}}", "kind: Required value");
}
END_TEST

START_TEST(test_validation_name_rules_by_kind)
{
	EXPECT("{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'A_b'}}",
	       "metadata.name: Invalid value: \"A_b\": " SUB_MSG);
	EXPECT_VALID("{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'a.b-c'}}");
	EXPECT("{'apiVersion':'v1','kind':'Namespace','metadata':{'name':'a.b'}}",
	       "metadata.name: Invalid value: \"a.b\": must not contain dots");
	EXPECT("{'apiVersion':'v1','kind':'Service','metadata':{'name':'1web'},'spec':{'clusterIP':'None'}}",
	       "metadata.name: Invalid value: \"1web\": " D1035_MSG);
	EXPECT("{'apiVersion':'apps/v1','kind':'StatefulSet','metadata':{'name':'db.v2'},"
	       "'spec':{'selector':{'matchLabels':{'a':'b'}},'template':{'metadata':{'labels':{'a':'b'}},"
	       "'spec':{'containers':[{'name':'c','image':'i'}]}}}}",
	       "metadata.name: Invalid value: \"db.v2\": must not contain dots");
	/* RBAC names only need to be safe path segments */
	EXPECT_VALID("{'apiVersion':'rbac.authorization.k8s.io/v1','kind':'ClusterRole','metadata':{'name':'system:Admin'}}");
	EXPECT("{'apiVersion':'rbac.authorization.k8s.io/v1','kind':'ClusterRole','metadata':{'name':'a/b%c'}}",
	       "metadata.name: Invalid value: \"a/b%c\": may not contain '/'",
	       "metadata.name: Invalid value: \"a/b%c\": may not contain '%'");
	EXPECT("{'apiVersion':'rbac.authorization.k8s.io/v1','kind':'Role','metadata':{'name':'..'}}",
	       "metadata.name: Invalid value: \"..\": may not be '..'");
	/* too long: both the length and the pattern are reported */
	{
		char json[512];
		char name[80];
		memset(name, 'a', 64);
		name[64] = '\0';
		snprintf(json, sizeof(json), "{'apiVersion':'v1','kind':'Namespace','metadata':{'name':'%s'}}", name);
		EXPECT(json, "metadata.name: Invalid value: \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\": must be no more than 63 characters");
	}
}
END_TEST

START_TEST(test_validation_generate_name)
{
	EXPECT_VALID("{'apiVersion':'v1','kind':'ConfigMap','metadata':{'generateName':'cm-'}}");
	/* upstream masks a trailing dash by replacing the last two characters with 'a' */
	EXPECT_VALID("{'apiVersion':'v1','kind':'Namespace','metadata':{'generateName':'x.-'}}");
	EXPECT("{'apiVersion':'v1','kind':'ConfigMap','metadata':{'generateName':'Bad-'}}",
	       "metadata.generateName: Invalid value: \"Bad-\": " SUB_MSG);
	EXPECT("{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'','generateName':''}}",
	       "metadata.name: Required value: name or generateName is required");
}
END_TEST

START_TEST(test_validation_namespace_field)
{
	EXPECT("{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'x','namespace':'Bad_NS'}}",
	       "metadata.namespace: Invalid value: \"Bad_NS\": " LABEL_MSG);
	/* the server fills in a missing namespace and clears a cluster-scoped one */
	EXPECT_VALID("{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'x'}}");
	EXPECT_VALID("{'apiVersion':'v1','kind':'Namespace','metadata':{'name':'x','namespace':'Bad_NS'}}");
	/* unknown (custom) kinds: the namespace is still checked */
	EXPECT("{'apiVersion':'example.com/v1','kind':'Widget','metadata':{'name':'w','namespace':'a.b'}}",
	       "metadata.namespace: Invalid value: \"a.b\": must not contain dots");
}
END_TEST

START_TEST(test_validation_labels)
{
	EXPECT("{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'x',"
	       "'labels':{'good':'yes','bad key':'v','k':'-x','example.com/':'v'}}}",
	       "metadata.labels: Invalid value: \"bad key\": name part " QN_MSG,
	       "metadata.labels: Invalid value: \"-x\": " VAL_MSG,
	       "metadata.labels: Invalid value: \"example.com/\": name part must be non-empty",
	       "metadata.labels: Invalid value: \"example.com/\": name part " QN_MSG);
	/* values print as Go's %q: escapes for controls, UTF-8 kept */
	EXPECT("{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'x','labels':{'a':'x\\ny','b':'\xc3\xbc'}}}",
	       "metadata.labels: Invalid value: \"x\\ny\": " VAL_MSG,
	       "metadata.labels: Invalid value: \"\xc3\xbc\": " VAL_MSG);
}
END_TEST

START_TEST(test_validation_annotations)
{
	/* keys are checked ignoring case; the report shows the key as written */
	EXPECT_VALID("{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'x','annotations':{'Example.COM/Owner':'a'}}}");
	EXPECT("{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'x','annotations':{'a b':'1','/x':'2'}}}",
	       "metadata.annotations: Invalid value: \"a b\": name part " QN_MSG,
	       "metadata.annotations: Invalid value: \"/x\": prefix part must be non-empty");
}
END_TEST

/* keys + values of exactly 256 KiB pass; one byte more is Too long */
START_TEST(test_validation_annotation_size_boundary)
{
	const size_t limit = 256 * 1024;
	char *value = malloc(limit + 1);
	kube_object *o = NULL;

	ck_assert_ptr_nonnull(value);
	ck_assert_int_eq(kube_object_new(&o, "v1", "ConfigMap"), 0);
	ck_assert_int_eq(kube_object_set_string(o, "metadata.name", "big"), 0);
	/* "k1" + "k2" + values: 2 + 2 + (limit - 4 - 10) + 10 == limit */
	memset(value, 'v', limit);
	value[10] = '\0';
	ck_assert_int_eq(kube_object_set_annotation(o, "k1", value), 0);
	memset(value, 'v', limit);
	value[limit - 14] = '\0';
	ck_assert_int_eq(kube_object_set_annotation(o, "k2", value), 0);
	expect_object(o, (const char *const[]){ NULL });

	value[limit - 14] = 'v';
	value[limit - 13] = '\0';
	ck_assert_int_eq(kube_object_set_annotation(o, "k2", value), 0);
	expect_object(o, (const char *const[]){
		"metadata.annotations: Too long: may not be more than 262144 bytes", NULL });
	kube_object_unref(o);
	free(value);
}
END_TEST

START_TEST(test_validation_owner_references)
{
	EXPECT("{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'x','ownerReferences':[{}]}}",
	       "metadata.ownerReferences[0].apiVersion: Required value: must not be empty",
	       "metadata.ownerReferences[0].kind: Required value: must not be empty",
	       "metadata.ownerReferences[0].name: Required value: must not be empty",
	       "metadata.ownerReferences[0].uid: Required value: must not be empty");
	EXPECT("{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'x','ownerReferences':["
	       "{'apiVersion':'a/b/c','kind':'K','name':'n','uid':'u'},"
	       "{'apiVersion':'v1','kind':'Event','name':'e','uid':'u2'}]}}",
	       "metadata.ownerReferences[0].apiVersion: Invalid value: \"a/b/c\": must be <group>/<version> or <version>",
	       "metadata.ownerReferences[1]: Invalid value: {\"apiVersion\":\"v1\",\"kind\":\"Event\",\"name\":\"e\",\"uid\":\"u2\"}: /v1, Kind=Event is disallowed from being an owner");
	EXPECT("{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'x','ownerReferences':["
	       "{'apiVersion':'apps/v1','kind':'ReplicaSet','name':'a','uid':'1','controller':true},"
	       "{'apiVersion':'apps/v1','kind':'ReplicaSet','name':'b','uid':'2','controller':false},"
	       "{'apiVersion':'apps/v1','kind':'StatefulSet','name':'c','uid':'3','controller':true}]}}",
	       "metadata.ownerReferences: Invalid value: [{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\",\"name\":\"a\",\"uid\":\"1\",\"controller\":true},"
	       "{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\",\"name\":\"b\",\"uid\":\"2\",\"controller\":false},"
	       "{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"name\":\"c\",\"uid\":\"3\",\"controller\":true}]: "
	       "Only one reference can have Controller set to true. Found \"true\" in references for ReplicaSet/a and StatefulSet/c");
}
END_TEST

START_TEST(test_validation_finalizers)
{
	EXPECT("{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'x','finalizers':['kubernetes','foo','bad name','example.com/ok']}}",
	       "metadata.finalizers: Invalid value: \"bad name\": name part " QN_MSG,
	       "metadata.finalizers[1]: Invalid value: \"foo\": name is neither a standard finalizer name nor is it fully qualified",
	       "metadata.finalizers[2]: Invalid value: \"bad name\": name is neither a standard finalizer name nor is it fully qualified");
	EXPECT("{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'x','finalizers':['orphan','foregroundDeletion']}}",
	       "metadata.finalizers: Invalid value: [\"orphan\",\"foregroundDeletion\"]: finalizer orphan and foregroundDeletion cannot be both set");
	/* custom resources only get apimachinery's rule */
	EXPECT_VALID("{'apiVersion':'example.com/v1','kind':'Widget','metadata':{'name':'w','finalizers':['foo']}}");
}
END_TEST

START_TEST(test_validation_generation)
{
	EXPECT("{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'x','generation':-1}}",
	       "metadata.generation: Invalid value: -1: " NEG_MSG);
}
END_TEST

START_TEST(test_validation_unknown_kind_metadata_only)
{
	EXPECT_VALID("{'apiVersion':'example.com/v1','kind':'Widget','metadata':{'name':'w'},'spec':{'containers':[]}}");
	EXPECT("{'apiVersion':'example.com/v1','kind':'Widget','metadata':{'name':'W'},'spec':{'replicas':-1}}",
	       "metadata.name: Invalid value: \"W\": " SUB_MSG);
}
END_TEST

START_TEST(test_validation_wrong_types)
{
	EXPECT("{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'d'},'spec':{'replicas':'3',"
	       "'selector':{'matchLabels':{'a':'b'}},'template':{'metadata':{'labels':{'a':'b'}},"
	       "'spec':{'containers':[{'name':'c','image':'i','ports':[{'containerPort':99999999999}]}]}}}}",
	       "spec.replicas: Invalid value: \"3\": must be of type int32",
	       "spec.template.spec.containers[0].ports[0].containerPort: Invalid value: 99999999999: must be of type int32");
}
END_TEST

/* ---- pods and containers ---- */

#define POD(spec) "{'apiVersion':'v1','kind':'Pod','metadata':{'name':'p'},'spec':" spec "}"

START_TEST(test_validation_pod_containers)
{
	EXPECT(POD("{}"), "spec.containers: Required value");
	EXPECT(POD("{'containers':[]}"), "spec.containers: Required value");
	EXPECT(POD("{'containers':[{}]}"),
	       "spec.containers[0].name: Required value",
	       "spec.containers[0].image: Required value");
	EXPECT(POD("{'containers':[{'name':'Web','image':'i'}]}"),
	       "spec.containers[0].name: Invalid value: \"Web\": " LABEL_MSG);
	/* names are unique across containers and init containers */
	EXPECT(POD("{'containers':[{'name':'a','image':'i'},{'name':'a','image':'i'}],"
	           "'initContainers':[{'name':'a','image':'i'},{'name':'b','image':'i'},{'name':'b','image':'i'}]}"),
	       "spec.containers[1].name: Duplicate value: \"a\"",
	       "spec.initContainers[0].name: Duplicate value: \"a\"",
	       "spec.initContainers[2].name: Duplicate value: \"b\"");
	EXPECT(POD("{'containers':[{'name':'a','image':'i','imagePullPolicy':'Sometimes','terminationMessagePolicy':'Never','restartPolicy':'Always'}],"
	           "'ephemeralContainers':[{'name':'e','image':'i'}]}"),
	       "spec.containers[0].terminationMessagePolicy: Unsupported value: \"Never\": supported values: \"File\", \"FallbackToLogsOnError\"",
	       "spec.containers[0].imagePullPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"IfNotPresent\", \"Never\"",
	       "spec.containers[0].restartPolicy: Forbidden: may not be set for non-init containers",
	       "spec.ephemeralContainers: Forbidden: cannot be set on create");
}
END_TEST

START_TEST(test_validation_container_ports)
{
	EXPECT(POD("{'containers':[{'name':'a','image':'i','ports':["
	           "{'name':'http','containerPort':80},{'name':'http','containerPort':0},"
	           "{'containerPort':70000,'hostPort':-1,'protocol':'ICMP'},{'name':'HTTP-','containerPort':1},"
	           "{'name':'a--b-very-long-name','containerPort':2},{'name':'123','protocol':'UDP'}]}]}"),
	       "spec.containers[0].ports[1].name: Duplicate value: \"http\"",
	       "spec.containers[0].ports[1].containerPort: Required value",
	       "spec.containers[0].ports[2].containerPort: Invalid value: 70000: " RANGE_MSG,
	       "spec.containers[0].ports[2].hostPort: Invalid value: -1: " RANGE_MSG,
	       "spec.containers[0].ports[2].protocol: Unsupported value: \"ICMP\": supported values: \"SCTP\", \"TCP\", \"UDP\"",
	       "spec.containers[0].ports[3].name: Invalid value: \"HTTP-\": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
	       "spec.containers[0].ports[3].name: Invalid value: \"HTTP-\": must contain at least one letter (a-z)",
	       "spec.containers[0].ports[3].name: Invalid value: \"HTTP-\": must not begin or end with a hyphen",
	       "spec.containers[0].ports[4].name: Invalid value: \"a--b-very-long-name\": must be no more than 15 characters",
	       "spec.containers[0].ports[4].name: Invalid value: \"a--b-very-long-name\": must not contain consecutive hyphens",
	       "spec.containers[0].ports[5].name: Invalid value: \"123\": must contain at least one letter (a-z)",
	       "spec.containers[0].ports[5].containerPort: Required value");
	/* host ports are unique by protocol and host IP across containers */
	EXPECT(POD("{'containers':[{'name':'a','image':'i','ports':[{'containerPort':80,'hostPort':8080}]},"
	           "{'name':'b','image':'i','ports':[{'containerPort':81,'hostPort':8080},{'containerPort':82,'hostPort':8080,'protocol':'UDP'}]}]}"),
	       "spec.containers[1].ports[0].hostPort: Duplicate value: \"TCP//8080\"");
}
END_TEST

START_TEST(test_validation_container_resources)
{
	EXPECT(POD("{'containers':[{'name':'a','image':'i','resources':{"
	           "'limits':{'cpu':'1','memory':'512Mi'},'requests':{'cpu':2,'memory':'1Gi'}}}]}"),
	       "spec.containers[0].resources.requests: Invalid value: \"2\": must be less than or equal to cpu limit of 1",
	       "spec.containers[0].resources.requests: Invalid value: \"1Gi\": must be less than or equal to memory limit of 512Mi");
	EXPECT(POD("{'containers':[{'name':'a','image':'i','resources':{"
	           "'limits':{'gpu':'1','cpu':'-1'},'requests':{'memory':'abc','example.com/gpu':'0.5'}}}]}"),
	       "spec.containers[0].resources.limits[gpu]: Invalid value: \"gpu\": must be a standard resource type or fully qualified",
	       "spec.containers[0].resources.limits[gpu]: Invalid value: \"gpu\": must be a standard resource for containers",
	       "spec.containers[0].resources.limits[cpu]: Invalid value: \"-1\": " NEG_MSG,
	       "spec.containers[0].resources.requests[memory]: Invalid value: \"abc\": quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'",
	       "spec.containers[0].resources.requests[example.com/gpu]: Invalid value: \"500m\": must be an integer",
	       "spec.containers[0].resources.limits: Required value: Limit must be set for non overcommitable resources");
	EXPECT(POD("{'containers':[{'name':'a','image':'i','resources':{"
	           "'limits':{'example.com/gpu':2},'requests':{'example.com/gpu':1}}}]}"),
	       "spec.containers[0].resources.requests: Invalid value: \"1\": must be equal to example.com/gpu limit of 2");
	EXPECT(POD("{'containers':[{'name':'a','image':'i','resources':{'limits':{'hugepages-2Mi':'2Mi'}}}]}"),
	       "spec.containers[0].resources: Forbidden: HugePages require cpu or memory");
}
END_TEST

START_TEST(test_validation_container_env)
{
	EXPECT(POD("{'containers':[{'name':'a','image':'i','env':["
	           "{'name':'OK.name-1'},{'name':''},{'name':'A=B'},{'name':'X','valueFrom':{}},"
	           "{'name':'Y','value':'v','valueFrom':{'fieldRef':{'fieldPath':'metadata.name'}}},"
	           "{'name':'Z','valueFrom':{'fieldRef':{'fieldPath':'spec.restartPolicy'}}},"
	           "{'name':'W','valueFrom':{'fieldRef':{'fieldPath':'metadata.bogus'}}},"
	           "{'name':'V','valueFrom':{'configMapKeyRef':{'name':'cm','key':'a b'},'secretKeyRef':{'name':'s','key':'k'}}}]}]}"),
	       "spec.containers[0].env[1].name: Required value",
	       "spec.containers[0].env[2].name: Invalid value: \"A=B\": a valid environment variable name must consist only of printable ASCII characters other than '='",
	       "spec.containers[0].env[3].valueFrom: Invalid value: \"\": must specify one of: `fieldRef`, `resourceFieldRef`, `configMapKeyRef` or `secretKeyRef`",
	       "spec.containers[0].env[4].valueFrom: Invalid value: \"\": may not be specified when `value` is not empty",
	       "spec.containers[0].env[5].valueFrom.fieldRef.fieldPath: Unsupported value: \"spec.restartPolicy\": supported values: "
	       "\"metadata.name\", \"metadata.namespace\", \"metadata.uid\", \"spec.nodeName\", \"spec.serviceAccountName\", "
	       "\"status.hostIP\", \"status.hostIPs\", \"status.podIP\", \"status.podIPs\"",
	       "spec.containers[0].env[6].valueFrom.fieldRef.fieldPath: Invalid value: \"metadata.bogus\": error converting fieldPath: field label not supported: metadata.bogus",
	       "spec.containers[0].env[7].valueFrom.configMapKeyRef.key: Invalid value: \"a b\": " KEY_MSG,
	       "spec.containers[0].env[7].valueFrom: Invalid value: \"\": may not have more than one field specified at a time");
	EXPECT(POD("{'containers':[{'name':'a','image':'i','envFrom':[{},{'prefix':'P=','configMapRef':{'name':'Cm'}}]}]}"),
	       "spec.containers[0].envFrom: Invalid value: \"\": must specify one of: `configMapRef` or `secretRef`",
	       "spec.containers[0].envFrom[1].prefix: Invalid value: \"P=\": a valid environment variable name must consist only of printable ASCII characters other than '='",
	       "spec.containers[0].envFrom[1].configMapRef.name: Invalid value: \"Cm\": " SUB_MSG);
}
END_TEST

START_TEST(test_validation_volumes_and_mounts)
{
	EXPECT(POD("{'volumes':[{'name':'data','emptyDir':{}},{'name':'data','emptyDir':{}},{'name':'x'},"
	           "{'name':'y','emptyDir':{},'hostPath':{'path':'/'}},{'name':'Bad','configMap':{}}],"
	           "'containers':[{'name':'a','image':'i','volumeMounts':["
	           "{'name':'data','mountPath':'/d'},{'name':'missing','mountPath':'/d'},{'name':'x','mountPath':'/x','subPath':'../up'},{'name':'','mountPath':''}]}]}"),
	       "spec.volumes[1].name: Duplicate value: \"data\"",
	       "spec.volumes[2]: Required value: must specify a volume type",
	       "spec.volumes[3].hostPath: Forbidden: may not specify more than 1 volume type",
	       "spec.volumes[4].configMap.name: Required value",
	       "spec.volumes[4].name: Invalid value: \"Bad\": " LABEL_MSG,
	       "spec.containers[0].volumeMounts[1].name: Not found: \"missing\"",
	       "spec.containers[0].volumeMounts[1].mountPath: Invalid value: \"/d\": must be unique",
	       "spec.containers[0].volumeMounts[2].name: Not found: \"x\"",
	       "spec.containers[0].volumeMounts.subPath: Invalid value: \"../up\": must not contain '..'",
	       "spec.containers[0].volumeMounts[3].name: Required value",
	       "spec.containers[0].volumeMounts[3].name: Not found: \"\"",
	       "spec.containers[0].volumeMounts[3].mountPath: Required value");
}
END_TEST

START_TEST(test_validation_probes)
{
	EXPECT(POD("{'containers':[{'name':'a','image':'i','livenessProbe':{'successThreshold':2,'periodSeconds':-1},"
	           "'readinessProbe':{'exec':{'command':['true']},'httpGet':{'port':80}},"
	           "'startupProbe':{'httpGet':{'port':'HTTP'}}}],"
	           "'initContainers':[{'name':'i','image':'i','readinessProbe':{'exec':{'command':['true']}}},"
	           "{'name':'s','image':'i','restartPolicy':'Always','livenessProbe':{'tcpSocket':{'port':0}}},"
	           "{'name':'t','image':'i','restartPolicy':'OnFailure'}]}"),
	       "spec.containers[0].livenessProbe: Required value: must specify a handler type",
	       "spec.containers[0].livenessProbe.periodSeconds: Invalid value: -1: " NEG_MSG,
	       "spec.containers[0].livenessProbe.successThreshold: Invalid value: 2: must be 1",
	       "spec.containers[0].readinessProbe.httpGet: Forbidden: may not specify more than 1 handler type",
	       "spec.containers[0].startupProbe.httpGet.port: Invalid value: \"HTTP\": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
	       "spec.containers[0].startupProbe.httpGet.port: Invalid value: \"HTTP\": must contain at least one letter (a-z)",
	       "spec.initContainers[0].readinessProbe: Forbidden: may not be set for init containers without restartPolicy=Always",
	       "spec.initContainers[1].livenessProbe.tcpSocket.port: Invalid value: 0: " RANGE_MSG,
	       "spec.initContainers[2].restartPolicy: Unsupported value: \"OnFailure\": supported values: \"Always\"");
}
END_TEST

START_TEST(test_validation_pod_spec_fields)
{
	EXPECT(POD("{'containers':[{'name':'a','image':'i'}],'restartPolicy':'Sometimes','dnsPolicy':'None',"
	           "'nodeSelector':{'disk type':'ssd'},'serviceAccountName':'Admin','nodeName':'node_1',"
	           "'activeDeadlineSeconds':0,'hostname':'web.1','subdomain':'Sub','priorityClassName':'high!'}"),
	       "spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnFailure\", \"Never\"",
	       "spec.nodeSelector: Invalid value: \"disk type\": name part " QN_MSG,
	       "spec.dnsConfig: Required value: must provide `dnsConfig` when `dnsPolicy` is None",
	       "spec.serviceAccountName: Invalid value: \"Admin\": " SUB_MSG,
	       "spec.nodeName: Invalid value: \"node_1\": " SUB_MSG,
	       "spec.activeDeadlineSeconds: Invalid value: 0: must be between 1 and 2147483647, inclusive",
	       "spec.hostname: Invalid value: \"web.1\": must not contain dots",
	       "spec.subdomain: Invalid value: \"Sub\": " LABEL_MSG,
	       "spec.priorityClassName: Invalid value: \"high!\": " SUB_MSG);
	/* "" is what Go decodes for absent strings: such fields take their defaults */
	EXPECT_VALID(POD("{'restartPolicy':'','dnsPolicy':'','containers':[{'name':'a','image':'i','imagePullPolicy':'',"
	                 "'terminationMessagePolicy':'','ports':[{'containerPort':80,'protocol':''}]}]}"));
	EXPECT(POD("{'containers':[{'name':'a','image':'i'}],'dnsPolicy':'Custom','nodeName':'n1','schedulingGates':[{'name':'g'}]}"),
	       "spec.dnsPolicy: Unsupported value: \"Custom\": supported values: \"ClusterFirstWithHostNet\", \"ClusterFirst\", \"Default\", \"None\"",
	       "spec.nodeName: Forbidden: cannot be set until all schedulingGates have been cleared");
}
END_TEST

START_TEST(test_validation_pod_security_and_spread)
{
	EXPECT(POD("{'containers':[{'name':'a','image':'i','securityContext':{'runAsUser':1000,'runAsGroup':-5}}]}"),
	       "spec.containers[0].securityContext.runAsGroup: Invalid value: -5: must be between 0 and 2147483647, inclusive");
	EXPECT(POD("{'containers':[{'name':'a','image':'i'}],'hostPID':true,'shareProcessNamespace':true,"
	           "'securityContext':{'runAsUser':-1,'fsGroup':2147483648,'supplementalGroups':[5,-2]},"
	           "'readinessGates':[{'conditionType':'example.com/ready'},{'conditionType':'not ok'}],"
	           "'topologySpreadConstraints':["
	           "{'maxSkew':0,'topologyKey':'zone','whenUnsatisfiable':'DoNotSchedule','minDomains':0},"
	           "{'maxSkew':1,'topologyKey':'','whenUnsatisfiable':'Maybe','nodeTaintsPolicy':'Obey'},"
	           "{'maxSkew':1,'topologyKey':'zone','whenUnsatisfiable':'ScheduleAnyway','minDomains':2,'labelSelector':{'matchLabels':{'a':'-'}}},"
	           "{'maxSkew':1,'topologyKey':'zone','whenUnsatisfiable':'DoNotSchedule'}]}"),
	       "spec.securityContext.fsGroup: Invalid value: 2147483648: must be between 0 and 2147483647, inclusive",
	       "spec.securityContext.runAsUser: Invalid value: -1: must be between 0 and 2147483647, inclusive",
	       "spec.securityContext.supplementalGroups[1]: Invalid value: -2: must be between 0 and 2147483647, inclusive",
	       "spec.securityContext.shareProcessNamespace: Invalid value: true: ShareProcessNamespace and HostPID cannot both be enabled",
	       "spec.readinessGates[1].conditionType: Invalid value: \"not ok\": name part " QN_MSG,
	       "spec.topologySpreadConstraints[0].maxSkew: Invalid value: 0: must be greater than zero",
	       "spec.topologySpreadConstraints[0].{topologyKey, whenUnsatisfiable}: Duplicate value: \"{zone, DoNotSchedule}\"",
	       "spec.topologySpreadConstraints[0].minDomains: Invalid value: 0: must be greater than zero",
	       "spec.topologySpreadConstraints[1].topologyKey: Required value: can not be empty",
	       "spec.topologySpreadConstraints[1].whenUnsatisfiable: Unsupported value: \"Maybe\": supported values: \"DoNotSchedule\", \"ScheduleAnyway\"",
	       "spec.topologySpreadConstraints[1].nodeTaintsPolicy: Unsupported value: \"Obey\": supported values: \"Honor\", \"Ignore\"",
	       "spec.topologySpreadConstraints[2].minDomains: Invalid value: 2: can only use minDomains if whenUnsatisfiable=DoNotSchedule, not ScheduleAnyway",
	       "spec.topologySpreadConstraints[2].labelSelector.matchLabels: Invalid value: \"-\": " VAL_MSG);
}
END_TEST

START_TEST(test_validation_affinity)
{
	EXPECT(POD("{'containers':[{'name':'a','image':'i'}],'affinity':{"
	           "'nodeAffinity':{'requiredDuringSchedulingIgnoredDuringExecution':{'nodeSelectorTerms':[{"
	           "'matchExpressions':[{'key':'zone','operator':'Near','values':['-a']},{'key':'gpu','operator':'Gt','values':['1','2']}],"
	           "'matchFields':[{'key':'metadata.uid','operator':'In','values':['x']}]}]},"
	           "'preferredDuringSchedulingIgnoredDuringExecution':[{'weight':0,'preference':{'matchExpressions':[{'key':'k','operator':'In','values':['-ok-here']}]}}]},"
	           "'podAntiAffinity':{'requiredDuringSchedulingIgnoredDuringExecution':[{'labelSelector':{'matchLabels':{'app':'web'}},'namespaces':['A'],'topologyKey':''}]}}}"),
	       "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].operator: Invalid value: \"Near\": not a valid selector operator",
	       "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[0].values[0]: Invalid value: \"-a\": " VAL_MSG,
	       "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchExpressions[1].values: Required value: must be specified single value when `operator` is 'Lt' or 'Gt'",
	       "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms[0].matchFields[0].key: Invalid value: \"metadata.uid\": not a valid field selector key",
	       "spec.affinity.nodeAffinity.preferredDuringSchedulingIgnoredDuringExecution[0].weight: Invalid value: 0: must be in the range 1-100",
	       "spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].namespace: Invalid value: \"A\": " LABEL_MSG,
	       "spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey: Required value: can not be empty",
	       "spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey: Invalid value: \"\": name part must be non-empty",
	       "spec.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0].topologyKey: Invalid value: \"\": name part " QN_MSG);
	EXPECT(POD("{'containers':[{'name':'a','image':'i'}],'affinity':{'nodeAffinity':{'requiredDuringSchedulingIgnoredDuringExecution':{'nodeSelectorTerms':[]}}}}"),
	       "spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms: Required value: must have at least one node selector term");
}
END_TEST

START_TEST(test_validation_tolerations)
{
	EXPECT(POD("{'containers':[{'name':'a','image':'i'}],'tolerations':[{'operator':'Exists'},{'operator':'Equal'},"
	           "{'key':'k','operator':'Exists','value':'v'},"
	           "{'key':'k','value':'-bad-','tolerationSeconds':5,'effect':'NoSchedule'},"
	           "{'key':'bad key','operator':'Gt','effect':'Sometimes'}]}"),
	       "spec.tolerations[1].operator: Invalid value: \"Equal\": operator must be Exists when `key` is empty, which means \"match all values and all keys\"",
	       "spec.tolerations[2].operator: Invalid value: {\"Key\":\"k\",\"Operator\":\"Exists\",\"Value\":\"v\",\"Effect\":\"\",\"TolerationSeconds\":null}: value must be empty when `operator` is 'Exists'",
	       "spec.tolerations[3].effect: Invalid value: \"NoSchedule\": effect must be 'NoExecute' when `tolerationSeconds` is set",
	       "spec.tolerations[3].operator: Invalid value: \"-bad-\": " VAL_MSG,
	       "spec.tolerations[4].key: Invalid value: \"bad key\": name part " QN_MSG,
	       "spec.tolerations[4].operator: Unsupported value: \"Gt\": supported values: \"Equal\", \"Exists\"",
	       "spec.tolerations[4].effect: Unsupported value: \"Sometimes\": supported values: \"NoSchedule\", \"PreferNoSchedule\", \"NoExecute\"");
}
END_TEST

/* ---- workloads ---- */

#define DEPLOY(spec) "{'apiVersion':'apps/v1','kind':'Deployment','metadata':{'name':'web'},'spec':" spec "}"
#define TEMPLATE "'template':{'metadata':{'labels':{'app':'web'}},'spec':{'containers':[{'name':'c','image':'i'}]}}"

START_TEST(test_validation_deployment_selector)
{
	EXPECT(DEPLOY("{" TEMPLATE "}"),
	       "spec.selector: Required value",
	       "spec.template.metadata.labels: Invalid value: {\"app\":\"web\"}: " MISMATCH);
	EXPECT(DEPLOY("{'selector':{'matchLabels':{'app':'api'}}," TEMPLATE "}"),
	       "spec.template.metadata.labels: Invalid value: {\"app\":\"web\"}: " MISMATCH);
	EXPECT(DEPLOY("{'selector':{'matchExpressions':[{'key':'app','operator':'NotIn','values':['web']}]}," TEMPLATE "}"),
	       "spec.template.metadata.labels: Invalid value: {\"app\":\"web\"}: " MISMATCH);
	EXPECT(DEPLOY("{'selector':{'matchLabels':{'app':'web'}},'template':{'spec':{'containers':[{'name':'c','image':'i'}]}}}"),
	       "spec.template.metadata.labels: Invalid value: null: " MISMATCH);
	EXPECT(DEPLOY("{'selector':{'matchLabels':{'app':'web'}},'template':{'metadata':{'labels':{}},'spec':{'containers':[{'name':'c','image':'i'}]}}}"),
	       "spec.template.metadata.labels: Invalid value: {}: " MISMATCH);
	EXPECT(DEPLOY("{'selector':{}," TEMPLATE "}"),
	       "spec.selector: Invalid value: {}: empty selector is invalid for deployment");
	EXPECT(DEPLOY("{'selector':{'matchExpressions':[{'key':'app','operator':'Like','values':['w']},"
	              "{'key':'tier','operator':'Exists','values':['x']},{'key':'z','operator':'In'}]}," TEMPLATE "}"),
	       "spec.selector.matchExpressions[0].operator: Invalid value: \"Like\": not a valid selector operator",
	       "spec.selector.matchExpressions[1].values: Forbidden: may not be specified when `operator` is 'Exists' or 'DoesNotExist'",
	       "spec.selector.matchExpressions[2].values: Required value: must be specified when `operator` is 'In' or 'NotIn'",
	       "spec.selector: Invalid value: {\"matchExpressions\":[{\"key\":\"app\",\"operator\":\"Like\",\"values\":[\"w\"]},"
	       "{\"key\":\"tier\",\"operator\":\"Exists\",\"values\":[\"x\"]},{\"key\":\"z\",\"operator\":\"In\"}]}: invalid label selector");
}
END_TEST

START_TEST(test_validation_deployment_spec)
{
	EXPECT(DEPLOY("{'replicas':-1,'minReadySeconds':700,'revisionHistoryLimit':-2,'selector':{'matchLabels':{'app':'web'}},"
	              "'template':{'metadata':{'labels':{'app':'web','bad key':'x'}},'spec':{'restartPolicy':'Never','activeDeadlineSeconds':5,"
	              "'containers':[{'name':'c','image':'i'}]}},"
	              "'strategy':{'rollingUpdate':{'maxSurge':0,'maxUnavailable':0}}}"),
	       "spec.replicas: Invalid value: -1: " NEG_MSG,
	       "spec.template.labels: Invalid value: \"bad key\": name part " QN_MSG,
	       "spec.template.spec.restartPolicy: Unsupported value: \"Never\": supported values: \"Always\"",
	       "spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in ReplicaSet is not Supported",
	       "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0",
	       "spec.revisionHistoryLimit: Invalid value: -2: " NEG_MSG,
	       "spec.progressDeadlineSeconds: Invalid value: 600: must be greater than minReadySeconds");
	EXPECT(DEPLOY("{'selector':{'matchLabels':{'app':'web'}}," TEMPLATE ",'strategy':{'rollingUpdate':{'maxSurge':'25','maxUnavailable':'150%'}}}"),
	       "spec.strategy.rollingUpdate.maxSurge: Invalid value: \"25\": a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')",
	       "spec.strategy.rollingUpdate.maxUnavailable: Invalid value: \"150%\": must not be greater than 100%");
	EXPECT(DEPLOY("{'selector':{'matchLabels':{'app':'web'}}," TEMPLATE ",'strategy':{'type':'Blue'}}"),
	       "spec.strategy: Unsupported value: {\"Type\":\"Blue\",\"RollingUpdate\":null}: supported values: \"Recreate\", \"RollingUpdate\"");
	EXPECT(DEPLOY("{'selector':{'matchLabels':{'app':'web'}}," TEMPLATE ",'strategy':{'type':'Recreate','rollingUpdate':{}}}"),
	       "spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy `type` is 'Recreate'");
	/* pod template problems carry the template's path */
	EXPECT(DEPLOY("{'selector':{'matchLabels':{'app':'web'}},'template':{'metadata':{'labels':{'app':'web'}},"
	              "'spec':{'containers':[{'name':'c'}]}}}"),
	       "spec.template.spec.containers[0].image: Required value");
}
END_TEST

START_TEST(test_validation_replicaset_daemonset)
{
	EXPECT("{'apiVersion':'apps/v1','kind':'ReplicaSet','metadata':{'name':'rs'},'spec':{'replicas':-3," TEMPLATE "}}",
	       "spec.replicas: Invalid value: -3: " NEG_MSG,
	       "spec.selector: Required value",
	       "spec.template.metadata.labels: Invalid value: {\"app\":\"web\"}: " MISMATCH);
	EXPECT("{'apiVersion':'apps/v1','kind':'DaemonSet','metadata':{'name':'ds'},'spec':{'selector':{'matchLabels':{'app':'web'}}," TEMPLATE ","
	       "'updateStrategy':{'rollingUpdate':{'maxSurge':1}}}}",
	       "spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: 1: may not be set when maxUnavailable is non-zero");
	EXPECT("{'apiVersion':'apps/v1','kind':'DaemonSet','metadata':{'name':'ds'},'spec':{'selector':{'matchLabels':{'app':'web'}}," TEMPLATE ","
	       "'updateStrategy':{'rollingUpdate':{'maxUnavailable':0}}}}",
	       "spec.updateStrategy.rollingUpdate.maxUnavailable: Required value: cannot be 0 when maxSurge is 0");
	EXPECT("{'apiVersion':'apps/v1','kind':'DaemonSet','metadata':{'name':'ds'},'spec':{" TEMPLATE ",'updateStrategy':{'type':'Never'}}}",
	       "spec.template.metadata.labels: Invalid value: {\"app\":\"web\"}: " MISMATCH,
	       "spec.updateStrategy: Unsupported value: {\"Type\":\"Never\",\"RollingUpdate\":null}: supported values: \"RollingUpdate\", \"OnDelete\"");
}
END_TEST

START_TEST(test_validation_statefulset)
{
	EXPECT("{'apiVersion':'apps/v1','kind':'StatefulSet','metadata':{'name':'db'},'spec':{'serviceName':'My_Svc',"
	       "'podManagementPolicy':'Random','replicas':-1,'updateStrategy':{'type':'OnDelete','rollingUpdate':{'partition':2}},"
	       "'selector':{'matchLabels':{'app':'db'}}," TEMPLATE "}}",
	       "spec.serviceName: Invalid value: \"My_Svc\": " LABEL_MSG,
	       "spec.podManagementPolicy: Invalid value: \"Random\": must be 'OrderedReady' or 'Parallel'",
	       "spec.updateStrategy.rollingUpdate: Invalid value: {\"Partition\":2,\"MaxUnavailable\":null}: only allowed for updateStrategy 'RollingUpdate'",
	       "spec.replicas: Invalid value: -1: " NEG_MSG,
	       "spec.template.metadata.labels: Invalid value: {\"app\":\"web\"}: " MISMATCH);
	/* volumeClaimTemplates provide the volumes the pods mount */
	EXPECT("{'apiVersion':'apps/v1','kind':'StatefulSet','metadata':{'name':'db'},'spec':{'selector':{'matchLabels':{'app':'db'}},"
	       "'updateStrategy':{'rollingUpdate':{'partition':-1,'maxUnavailable':0}},"
	       "'template':{'metadata':{'labels':{'app':'db'}},'spec':{'containers':[{'name':'c','image':'i',"
	       "'volumeMounts':[{'name':'data','mountPath':'/d'},{'name':'logs','mountPath':'/l'}]}]}},"
	       "'volumeClaimTemplates':[{'metadata':{'name':'data'}}]}}",
	       "spec.updateStrategy.rollingUpdate.partition: Invalid value: -1: " NEG_MSG,
	       "spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: 0: cannot be 0",
	       "spec.template.spec.containers[0].volumeMounts[1].name: Not found: \"logs\"");
}
END_TEST

#define JOB(spec) "{'apiVersion':'batch/v1','kind':'Job','metadata':{'name':'j'},'spec':" spec "}"

START_TEST(test_validation_job)
{
	EXPECT(JOB("{'completions':-1,'parallelism':-2,'backoffLimit':-3,'activeDeadlineSeconds':-4,"
	           "'template':{'spec':{'containers':[{'name':'c','image':'i'}]}}}"),
	       "spec.parallelism: Invalid value: -2: " NEG_MSG,
	       "spec.completions: Invalid value: -1: " NEG_MSG,
	       "spec.activeDeadlineSeconds: Invalid value: -4: " NEG_MSG,
	       "spec.backoffLimit: Invalid value: -3: " NEG_MSG,
	       "spec.template.spec.restartPolicy: Required value: valid values: \"OnFailure\", \"Never\"");
	EXPECT(JOB("{'template':{'spec':{'restartPolicy':'Always','containers':[{'name':'c','image':'i'}]}}}"),
	       "spec.template.spec.restartPolicy: Required value: valid values: \"OnFailure\", \"Never\"");
	EXPECT(JOB("{'template':{'spec':{'restartPolicy':'Sometimes','containers':[{'name':'c','image':'i'}]}}}"),
	       "spec.template.spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"Always\", \"OnFailure\", \"Never\"",
	       "spec.template.spec.restartPolicy: Unsupported value: \"Sometimes\": supported values: \"OnFailure\", \"Never\"");
	EXPECT(JOB("{'completionMode':'Indexed','parallelism':200000,'maxFailedIndexes':-1,'podFailurePolicy':{'rules':[]},"
	           "'template':{'spec':{'restartPolicy':'OnFailure','containers':[{'name':'c','image':'i'}]}}}"),
	       "spec.maxFailedIndexes: Invalid value: -1: " NEG_MSG,
	       "spec.backoffLimitPerIndex: Required value: when maxFailedIndexes is specified",
	       "spec.completions: Required value: when completion mode is Indexed",
	       "spec.parallelism: Invalid value: 200000: must be less than or equal to 100000 when completion mode is Indexed",
	       "spec.template.spec.restartPolicy: Invalid value: \"OnFailure\": only \"Never\" is supported when podFailurePolicy is specified");
	EXPECT(JOB("{'completionMode':'Sometimes','backoffLimitPerIndex':1,'template':{'spec':{'restartPolicy':'Never','containers':[{'name':'c','image':'i'}]}}}"),
	       "spec.completionMode: Unsupported value: \"Sometimes\": supported values: \"NonIndexed\", \"Indexed\"");
	EXPECT(JOB("{'backoffLimitPerIndex':1,'template':{'spec':{'restartPolicy':'Never','containers':[{'name':'c','image':'i'}]}}}"),
	       "spec.backoffLimitPerIndex: Invalid value: 1: requires indexed completion mode");
	EXPECT("{'apiVersion':'batch/v1','kind':'Job','metadata':{'name':'a.b'},'spec':{'completionMode':'Indexed','completions':3,"
	       "'template':{'spec':{'restartPolicy':'Never','containers':[{'name':'c','image':'i'}]}}}}",
	       "metadata.name: Invalid value: \"a.b\": will not able to create pod with invalid DNS label: a.b-2");
	/* with manualSelector the selector is the user's and must match */
	EXPECT(JOB("{'manualSelector':true,'template':{'metadata':{'labels':{'a':'b'}},'spec':{'restartPolicy':'Never','containers':[{'name':'c','image':'i'}]}}}"),
	       "spec.selector: Required value",
	       "spec.template.metadata.labels: Invalid value: {\"a\":\"b\"}: " MISMATCH);
}
END_TEST

#define CRON(sched) "{'apiVersion':'batch/v1','kind':'CronJob','metadata':{'name':'c'},'spec':{'schedule':'" sched "'," \
	"'jobTemplate':{'spec':{'template':{'spec':{'restartPolicy':'OnFailure','containers':[{'name':'c','image':'i'}]}}}}}}"

START_TEST(test_validation_cronjob_schedule)
{
	static const char *const ok[] = { "*/5 * * * *", "0 0 1 JAN,jul *", "0 12 * * MON-FRI", "@weekly",
		"@every 1h30m", "0 0 * * ?", "1-59/2 * * * *", NULL };
	for (size_t i = 0; ok[i]; i++) {
		char json[1024];
		snprintf(json, sizeof(json), CRON("%s"), ok[i]);
		EXPECT_VALID(json);
	}
	EXPECT(CRON(""), "spec.schedule: Required value");
	EXPECT(CRON("61 * * * *"), "spec.schedule: Invalid value: \"61 * * * *\": end of range (61) above maximum (59): 61");
	EXPECT(CRON("* * *"), "spec.schedule: Invalid value: \"* * *\": expected exactly 5 fields, found 3: [* * *]");
	EXPECT(CRON("x * * * *"), "spec.schedule: Invalid value: \"x * * * *\": failed to parse int from x: strconv.Atoi: parsing \"x\": invalid syntax");
	EXPECT(CRON("* * 0 * *"), "spec.schedule: Invalid value: \"* * 0 * *\": beginning of range (0) below minimum (1): 0");
	EXPECT(CRON("5-1 * * * *"), "spec.schedule: Invalid value: \"5-1 * * * *\": beginning of range (5) beyond end of range (1): 5-1");
	EXPECT(CRON("1-2-3 * * * *"), "spec.schedule: Invalid value: \"1-2-3 * * * *\": too many hyphens: 1-2-3");
	EXPECT(CRON("*/1/2 * * * *"), "spec.schedule: Invalid value: \"*/1/2 * * * *\": too many slashes: */1/2");
	EXPECT(CRON("*/0 * * * *"), "spec.schedule: Invalid value: \"*/0 * * * *\": step of range should be a positive number: */0");
	EXPECT(CRON("@fortnightly"), "spec.schedule: Invalid value: \"@fortnightly\": unrecognized descriptor: @fortnightly");
	EXPECT(CRON("@every 5x"), "spec.schedule: Invalid value: \"@every 5x\": failed to parse duration @every 5x: time: unknown unit \"x\" in duration \"5x\"");
	EXPECT(CRON("TZ=UTC 0 * * * *"), "spec.schedule: Invalid value: \"TZ=UTC 0 * * * *\": cannot use TZ or CRON_TZ in schedule, use timeZone field instead");
}
END_TEST

START_TEST(test_validation_cronjob_spec)
{
	EXPECT_VALID("{'apiVersion':'batch/v1','kind':'CronJob','metadata':{'name':'c'},'spec':{'schedule':'@daily','timeZone':'Etc/GMT+5',"
	             "'jobTemplate':{'spec':{'template':{'spec':{'restartPolicy':'Never','containers':[{'name':'c','image':'i'}]}}}}}}");
	EXPECT("{'apiVersion':'batch/v1','kind':'CronJob','metadata':{'name':'c'},'spec':{'schedule':'@daily','timeZone':'Europe/../Paris',"
	       "'jobTemplate':{'spec':{'template':{'spec':{'restartPolicy':'Never','containers':[{'name':'c','image':'i'}]}}}}}}",
	       "spec.timeZone: Invalid value: \"Europe/../Paris\": unknown time zone Europe/../Paris");
	EXPECT("{'apiVersion':'batch/v1','kind':'CronJob','metadata':{'name':'c'},'spec':{'schedule':'@daily','timeZone':'local',"
	       "'jobTemplate':{'spec':{'template':{'spec':{'restartPolicy':'Never','containers':[{'name':'c','image':'i'}]}}}}}}",
	       "spec.timeZone: Invalid value: \"local\": timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones");

	EXPECT("{'apiVersion':'batch/v1','kind':'CronJob','metadata':{'name':'a-very-long-cronjob-name-that-is-longer-than-fifty-two'},"
	       "'spec':{'schedule':'@hourly','concurrencyPolicy':'Sometimes','startingDeadlineSeconds':-5,'failedJobsHistoryLimit':-1,"
	       "'jobTemplate':{'spec':{'selector':{'matchLabels':{'a':'b'}},'manualSelector':true,"
	       "'template':{'spec':{'containers':[{'name':'c','image':'i'}]}}}}}}",
	       "spec.startingDeadlineSeconds: Invalid value: -5: " NEG_MSG,
	       "spec.concurrencyPolicy: Unsupported value: \"Sometimes\": supported values: \"Allow\", \"Forbid\", \"Replace\"",
	       "spec.jobTemplate.spec.template.spec.restartPolicy: Required value: valid values: \"OnFailure\", \"Never\"",
	       "spec.jobTemplate.spec.selector: Invalid value: {\"matchLabels\":{\"a\":\"b\"}}: `selector` will be auto-generated",
	       "spec.jobTemplate.spec.manualSelector: Unsupported value: true: supported values: \"nil\", \"false\"",
	       "spec.failedJobsHistoryLimit: Invalid value: -1: " NEG_MSG,
	       "metadata.name: Invalid value: \"a-very-long-cronjob-name-that-is-longer-than-fifty-two\": must be no more than 52 characters");
}
END_TEST

/* ---- services ---- */

#define SVC(spec) "{'apiVersion':'v1','kind':'Service','metadata':{'name':'svc'},'spec':" spec "}"

START_TEST(test_validation_service)
{
	EXPECT(SVC("{}"), "spec.ports: Required value");
	EXPECT_VALID(SVC("{'clusterIP':'None'}"));
	EXPECT(SVC("{'ports':[{'port':80},{'port':0,'protocol':'ICMP','targetPort':'HTTP'}]}"),
	       "spec.ports[0].name: Required value",
	       "spec.ports[1].name: Required value",
	       "spec.ports[1].port: Invalid value: 0: " RANGE_MSG,
	       "spec.ports[1].protocol: Unsupported value: \"ICMP\": supported values: \"SCTP\", \"TCP\", \"UDP\"",
	       "spec.ports[1].targetPort: Invalid value: \"HTTP\": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)",
	       "spec.ports[1].targetPort: Invalid value: \"HTTP\": must contain at least one letter (a-z)");
	/* the targetPort defaults to the port */
	EXPECT(SVC("{'ports':[{'port':70000}]}"),
	       "spec.ports[0].port: Invalid value: 70000: " RANGE_MSG,
	       "spec.ports[0].targetPort: Invalid value: 70000: " RANGE_MSG);
	EXPECT(SVC("{'type':'Magic','sessionAffinity':'Sticky','selector':{'a':'-'},'ports':[{'name':'a','port':80,'nodePort':30000},"
	           "{'name':'a','port':80,'nodePort':30000},{'name':'Web','port':81,'protocol':'UDP'}]}"),
	       "spec.ports[1].name: Duplicate value: \"a\"",
	       "spec.ports[2].name: Invalid value: \"Web\": " LABEL_MSG,
	       "spec.selector: Invalid value: \"-\": " VAL_MSG,
	       "spec.sessionAffinity: Unsupported value: \"Sticky\": supported values: \"ClientIP\", \"None\"",
	       "spec.type: Unsupported value: \"Magic\": supported values: \"ClusterIP\", \"ExternalName\", \"LoadBalancer\", \"NodePort\"",
	       "spec.ports[1].nodePort: Duplicate value: 30000",
	       "spec.ports[1]: Duplicate value: {\"Name\":\"\",\"Protocol\":\"TCP\",\"AppProtocol\":null,\"Port\":80,\"TargetPort\":0,\"NodePort\":0}");
	EXPECT(SVC("{'ports':[{'port':80,'nodePort':30000}],'externalTrafficPolicy':'Local','healthCheckNodePort':30001}"),
	       "spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'",
	       "spec.externalTrafficPolicy: Invalid value: \"Local\": may only be set for externally-accessible services",
	       "spec.healthCheckNodePort: Invalid value: 30001: may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'");
	EXPECT(SVC("{'type':'ExternalName'}"), "spec.externalName: Required value");
	EXPECT_VALID(SVC("{'type':'ExternalName','externalName':'db.example.com.'}"));
	EXPECT(SVC("{'type':'LoadBalancer','clusterIP':'None','ports':[{'port':443}],'externalTrafficPolicy':'Everywhere','internalTrafficPolicy':'Nearby'}"),
	       "spec.clusterIPs[0]: Invalid value: \"None\": may not be set to 'None' for LoadBalancer services",
	       "spec.externalTrafficPolicy: Unsupported value: \"Everywhere\": supported values: \"Cluster\", \"Local\"",
	       "spec.internalTrafficPolicy: Unsupported value: \"Nearby\": supported values: \"Cluster\", \"Local\"");
}
END_TEST

/* ---- config ---- */

START_TEST(test_validation_configmap)
{
	EXPECT("{'apiVersion':'v1','kind':'ConfigMap','metadata':{'name':'cm'},"
	       "'data':{'ok.key':'1','bad key':'2','..':'3','dup':'4'},'binaryData':{'dup':'AA==','a/b':'AA=='}}",
	       "data[bad key]: Invalid value: \"bad key\": " KEY_MSG,
	       "data[..]: Invalid value: \"..\": must not be '..'",
	       "data[dup]: Invalid value: \"dup\": duplicate of key present in binaryData",
	       "binaryData[a/b]: Invalid value: \"a/b\": " KEY_MSG);
}
END_TEST

/* data of exactly 1 MiB passes; one byte more is Too long on the whole object */
START_TEST(test_validation_configmap_size)
{
	const size_t limit = 1024 * 1024;
	char *value = malloc(limit + 2);
	kube_object *o = NULL;

	ck_assert_ptr_nonnull(value);
	memset(value, 'x', limit + 1);
	value[limit] = '\0';
	ck_assert_int_eq(kube_object_new(&o, "v1", "ConfigMap"), 0);
	ck_assert_int_eq(kube_object_set_string(o, "metadata.name", "big"), 0);
	ck_assert_int_eq(kube_object_set_string(o, "data.a", value), 0);
	expect_object(o, (const char *const[]){ NULL });
	value[limit] = 'x';
	value[limit + 1] = '\0';
	ck_assert_int_eq(kube_object_set_string(o, "data.a", value), 0);
	expect_object(o, (const char *const[]){ "[]: Too long: may not be more than 1048576 bytes", NULL });
	kube_object_unref(o);
	free(value);
}
END_TEST

START_TEST(test_validation_secret)
{
	EXPECT("{'apiVersion':'v1','kind':'Secret','metadata':{'name':'s'},'type':'kubernetes.io/tls','data':{'tls.crt':'QQ=='}}",
	       "data[tls.key]: Required value");
	EXPECT("{'apiVersion':'v1','kind':'Secret','metadata':{'name':'s'},'type':'kubernetes.io/basic-auth','stringData':{'bad key':'x'}}",
	       "data[bad key]: Invalid value: \"bad key\": " KEY_MSG,
	       "data[username]: Required value",
	       "data[password]: Required value");
	EXPECT("{'apiVersion':'v1','kind':'Secret','metadata':{'name':'s'},'type':'kubernetes.io/service-account-token'}",
	       "metadata.annotations[kubernetes.io/service-account.name]: Required value");
	EXPECT("{'apiVersion':'v1','kind':'Secret','metadata':{'name':'s'},'type':'kubernetes.io/dockerconfigjson','data':{}}",
	       "data[.dockerconfigjson]: Required value");
	EXPECT("{'apiVersion':'v1','kind':'Secret','metadata':{'name':'s'},'type':'kubernetes.io/ssh-auth','stringData':{'ssh-privatekey':''}}",
	       "data[ssh-privatekey]: Required value");
	EXPECT_VALID("{'apiVersion':'v1','kind':'Secret','metadata':{'name':'s'},'type':'example.com/custom','data':{'k':'dg=='}}");
}
END_TEST

START_TEST(test_validation_secret_size)
{
	const size_t limit = 1024 * 1024;
	char *value = malloc(limit + 2);
	kube_object *o = NULL;

	ck_assert_ptr_nonnull(value);
	memset(value, 'x', limit + 1);
	value[limit] = '\0';
	ck_assert_int_eq(kube_object_new(&o, "v1", "Secret"), 0);
	ck_assert_int_eq(kube_object_set_string(o, "metadata.name", "big"), 0);
	ck_assert_int_eq(kube_object_set_string(o, "stringData.a", value), 0);
	expect_object(o, (const char *const[]){ NULL });
	/* base64 "QUJD" is 3 bytes once decoded: one too many */
	ck_assert_int_eq(kube_object_set_string(o, "data.b", "QUJD"), 0);
	expect_object(o, (const char *const[]){ "data: Too long: may not be more than 1048576 bytes", NULL });
	kube_object_unref(o);
	free(value);
}
END_TEST

START_TEST(test_validation_pvc)
{
	EXPECT("{'apiVersion':'v1','kind':'PersistentVolumeClaim','metadata':{'name':'c'},'spec':{}}",
	       "spec.accessModes: Required value: at least 1 access mode is required",
	       "spec.resources[storage]: Required value");
	EXPECT("{'apiVersion':'v1','kind':'PersistentVolumeClaim','metadata':{'name':'c'},'spec':{"
	       "'accessModes':['ReadWriteSometimes','ReadWriteOncePod','ReadOnlyMany'],'storageClassName':'Fast',"
	       "'volumeMode':'Disk','resources':{'requests':{'storage':'0'}}}}",
	       "spec.accessModes: Unsupported value: \"ReadWriteSometimes\": supported values: \"ReadOnlyMany\", \"ReadWriteMany\", \"ReadWriteOnce\", \"ReadWriteOncePod\"",
	       "spec.accessModes: Forbidden: may not use ReadWriteOncePod with other access modes",
	       "spec.resources[storage]: Invalid value: \"0\": must be greater than zero",
	       "spec.storageClassName: Invalid value: \"Fast\": " SUB_MSG,
	       "spec.volumeMode: Unsupported value: \"Disk\": supported values: \"Block\", \"Filesystem\"");
}
END_TEST

START_TEST(test_validation_namespace_finalizers)
{
	EXPECT("{'apiVersion':'v1','kind':'Namespace','metadata':{'name':'ns'},'spec':{'finalizers':['kubernetes','foo','x y']}}",
	       "spec.finalizers: Invalid value: \"foo\": name is neither a standard finalizer name nor is it fully qualified",
	       "spec.finalizers: Invalid value: \"x y\": name part " QN_MSG,
	       "spec.finalizers: Invalid value: \"x y\": name is neither a standard finalizer name nor is it fully qualified");
}
END_TEST

static Suite *validation_suite(void)
{
	Suite *s = suite_create("validation");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_validation_null_arguments);
	tcase_add_test(tc, test_validation_frozen_object);
	tcase_add_test(tc, test_validation_valid_manifests);
	tcase_add_test(tc, test_validation_broken_manifest_fixture);
	tcase_add_test(tc, test_validation_lists);
	tcase_add_test(tc, test_validation_out_of_memory);
	tcase_add_test(tc, test_validation_shared_object_threads);
	tcase_add_test(tc, test_validation_apiversion_and_kind_required);
	tcase_add_test(tc, test_validation_name_rules_by_kind);
	tcase_add_test(tc, test_validation_generate_name);
	tcase_add_test(tc, test_validation_namespace_field);
	tcase_add_test(tc, test_validation_labels);
	tcase_add_test(tc, test_validation_annotations);
	tcase_add_test(tc, test_validation_annotation_size_boundary);
	tcase_add_test(tc, test_validation_owner_references);
	tcase_add_test(tc, test_validation_finalizers);
	tcase_add_test(tc, test_validation_generation);
	tcase_add_test(tc, test_validation_unknown_kind_metadata_only);
	tcase_add_test(tc, test_validation_wrong_types);
	tcase_add_test(tc, test_validation_pod_containers);
	tcase_add_test(tc, test_validation_container_ports);
	tcase_add_test(tc, test_validation_container_resources);
	tcase_add_test(tc, test_validation_container_env);
	tcase_add_test(tc, test_validation_volumes_and_mounts);
	tcase_add_test(tc, test_validation_probes);
	tcase_add_test(tc, test_validation_pod_spec_fields);
	tcase_add_test(tc, test_validation_tolerations);
	tcase_add_test(tc, test_validation_affinity);
	tcase_add_test(tc, test_validation_pod_security_and_spread);
	tcase_add_test(tc, test_validation_deployment_selector);
	tcase_add_test(tc, test_validation_deployment_spec);
	tcase_add_test(tc, test_validation_replicaset_daemonset);
	tcase_add_test(tc, test_validation_statefulset);
	tcase_add_test(tc, test_validation_job);
	tcase_add_test(tc, test_validation_cronjob_schedule);
	tcase_add_test(tc, test_validation_cronjob_spec);
	tcase_add_test(tc, test_validation_service);
	tcase_add_test(tc, test_validation_configmap);
	tcase_add_test(tc, test_validation_configmap_size);
	tcase_add_test(tc, test_validation_secret);
	tcase_add_test(tc, test_validation_secret_size);
	tcase_add_test(tc, test_validation_pvc);
	tcase_add_test(tc, test_validation_namespace_finalizers);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(validation_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
