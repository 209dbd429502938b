/*
 * test_store.c - the object store on the memory backend: keys and system
 * fields, optimistic concurrency, finalizers, guaranteed update, size
 * limit, lists with selectors and continue tokens, indexes, and watch
 * (order, exactly once, sharing, history, slow watchers, bookmarks).  The
 * kill -9 test of the SQLite backend is tests/integration/test_crash.c.
 */
#include <check.h>
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "libkube/kube.h"
#include "object/object_private.h"

static kube_loop *loop;
static kube_store *st;

/*
 * Generated names on demand: the store's random bytes come from
 * getrandom(), which this definition replaces for the whole test program.
 * It passes through to the kernel unless a test sets forced_random before
 * its first write (Check forks each test, and a forked child refills the
 * store's pool): then every byte is a multiple of 27, the size of the
 * generateName alphabet, so every generated suffix is "bbbbb" while uids
 * still differ.
 */
static int forced_random;

ssize_t getrandom(void *buf, size_t len, unsigned int flags)
{
	static unsigned k;
	unsigned char *b = buf;

	if (!forced_random)
		return syscall(SYS_getrandom, buf, len, flags);
	for (size_t i = 0; i < len; i++, k++) {
		if (forced_random == 2)   /* see test_store_create_name_conflicts */
			b[i] = (unsigned char)(k >= 26 && k < 31 ? 1 : k < 5 || (k >= 21 && k < 26) ? 0 : k);
		else
			b[i] = (unsigned char)(27 * (k % 10));
	}
	return (ssize_t)len;
}

static void setup_opts(const kube_store_options *o)
{
	ck_assert_int_eq(kube_loop_new(&loop, NULL), 0);
	ck_assert_int_eq(kube_store_open(&st, loop, o), 0);
}

static void setup(void)
{
	setup_opts(NULL);
}

static void teardown(void)
{
	kube_store_close(st);
	kube_loop_free(loop);
	st = NULL;
	loop = NULL;
}

/* Closes the store now (watchers get their final ERROR before the test
 * frees what they write into). */
static void close_store(void)
{
	kube_store_close(st);
	st = NULL;
}

/* Runs the loop until nothing is ready. */
static void pump(void)
{
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(kube_loop_run_once(loop, KUBE_LOOP_NOWAIT), 0);
}

static kube_object *obj(const char *json)
{
	kube_object *o = NULL;
	ck_assert_int_eq(kube_object_from_json(&o, json, strlen(json)), 0);
	return o;
}

static kube_object *pod_json(const char *ns, const char *name, const char *labels, const char *extra)
{
	char buf[2048];
	snprintf(buf, sizeof(buf),
	         "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"namespace\":\"%s\",\"name\":\"%s\","
	         "\"labels\":{%s}%s},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"busybox\"}]}}",
	         ns, name, labels ? labels : "", extra ? extra : "");
	return obj(buf);
}

/* Creates a pod and returns the stored object (a reference). */
static kube_object *create_pod(const char *ns, const char *name, const char *labels)
{
	kube_object *in = pod_json(ns, name, labels, NULL), *out = NULL;
	ck_assert_int_eq(kube_store_create(&out, st, in), 0);
	kube_object_unref(in);
	return out;
}

static void expect_err(int rc, int code, const char *msg)
{
	ck_assert_int_eq(rc, code);
	ck_assert_ptr_nonnull(kube_error_last());
	ck_assert_str_eq(kube_error_last()->message, msg);
}

/* ---- create / get ---- */

START_TEST(test_store_open_options)
{
	kube_loop *l;
	kube_store *s = NULL;
	kube_store_options o = KUBE_STORE_OPTIONS_INIT;

	ck_assert_int_eq(kube_loop_new(&l, NULL), 0);
	o.backend = "leveldb";
	expect_err(kube_store_open(&s, l, &o), KUBE_EINVAL, "kube_store_open: unknown backend \"leveldb\"");
	ck_assert_ptr_null(s);
	o.backend = "memory";
	o.history = 0;
	expect_err(kube_store_open(&s, l, &o), KUBE_EINVAL,
	           "kube_store_open: history and watch_backlog must be > 0");
	o.history = 10;
	o.max_object_bytes = KUBE_STORE_MAX_OBJECT_BYTES + 1;
	ck_assert_int_eq(kube_store_open(&s, l, &o), KUBE_EINVAL);
	ck_assert_int_eq(kube_store_open(&s, NULL, NULL), KUBE_EINVAL);
	ck_assert_int_eq(kube_store_options_init(&o, 1), 0);
	ck_assert_uint_eq(o.history, 10000);
	ck_assert_uint_eq(o.max_object_bytes, 1572864);
	ck_assert_int_eq(kube_store_open(&s, l, &o), 0);
	ck_assert_int_eq(kube_store_revision(s), 0);
	kube_store_close(s);
	kube_store_close(NULL);
	kube_loop_free(l);
}
END_TEST

START_TEST(test_store_create_sets_system_fields)
{
	kube_object *in = pod_json("default", "a", "\"app\":\"web\"",
	                           ",\"uid\":\"mine\",\"generation\":7,\"creationTimestamp\":\"2000-01-01T00:00:00Z\"");
	kube_object *out = NULL, *got = NULL;
	const char *uid, *ts;

	ck_assert_int_eq(kube_store_create(&out, st, in), 0);
	ck_assert_int_eq(kube_object_is_frozen(in), 0);   /* the input is copied, not kept */
	ck_assert_str_eq(kube_object_uid(in), "mine");
	ck_assert_int_eq(kube_object_is_frozen(out), 1);
	ck_assert_str_eq(kube_object_resource_version(out), "1");
	ck_assert_int_eq(kube_store_revision(st), 1);
	ck_assert_int_eq(kube_object_generation(out), 1);
	uid = kube_object_uid(out);
	ck_assert_uint_eq(strlen(uid), 36);
	ck_assert_str_ne(uid, "mine");
	ck_assert_int_eq(uid[8], '-');
	ck_assert_int_eq(uid[14], '4');   /* version 4 */
	ck_assert(strchr("89ab", uid[19]) != NULL);
	ts = kube_object_creation_timestamp(out);
	ck_assert_uint_eq(strlen(ts), 20);
	ck_assert_str_ne(ts, "2000-01-01T00:00:00Z");
	ck_assert_int_eq(ts[10], 'T');
	ck_assert_int_eq(ts[19], 'Z');
	ck_assert_int_eq(kube_store_get(&got, st, "pods", "default", "a"), 0);
	ck_assert_ptr_eq(got, out);   /* shared, not copied */
	kube_object_unref(got);

	/* a second create gets a new uid and the next revision */
	kube_object *b = create_pod("default", "b", NULL);
	ck_assert_str_eq(kube_object_resource_version(b), "2");
	ck_assert_str_ne(kube_object_uid(b), uid);
	kube_object_unref(b);
	kube_object_unref(out);
	kube_object_unref(in);
}
END_TEST

START_TEST(test_store_create_errors)
{
	kube_object *in, *out = NULL;

	kube_object_unref(create_pod("default", "a", NULL));
	in = pod_json("default", "a", NULL, NULL);
	expect_err(kube_store_create(&out, st, in), KUBE_EEXISTS, "pods \"a\" already exists");
	ck_assert_ptr_null(out);
	kube_object_unref(in);
	ck_assert_int_eq(kube_store_revision(st), 1);   /* nothing written */

	in = pod_json("default", "r", NULL, ",\"resourceVersion\":\"5\"");
	expect_err(kube_store_create(NULL, st, in), KUBE_EINVAL,
	           "resourceVersion should not be set on objects to be created");
	kube_object_unref(in);

	in = obj("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"namespace\":\"default\"}}");
	expect_err(kube_store_create(NULL, st, in), KUBE_EINVAL,
	           "metadata.name: Required value: name or generateName is required");
	kube_object_unref(in);

	in = pod_json("default", "a/b", NULL, NULL);
	expect_err(kube_store_create(NULL, st, in), KUBE_EINVAL,
	           "metadata.name: Invalid value: \"a/b\": may not contain '/'");
	kube_object_unref(in);
	in = pod_json("default", "..", NULL, NULL);
	expect_err(kube_store_create(NULL, st, in), KUBE_EINVAL,
	           "metadata.name: Invalid value: \"..\": may not be '..'");
	kube_object_unref(in);
	/* a name that is not UTF-8 (only a setter makes one: JSON cannot)
	 * would be stored as U+FFFD, under a key that does not say so */
	in = pod_json("default", "x", NULL, NULL);
	ck_assert_int_eq(kube_object_set_string(in, "metadata.name", "ab\xc3"), 0);
	expect_err(kube_store_create(NULL, st, in), KUBE_EINVAL,
	           "metadata.name: Invalid value: not valid UTF-8 (byte 2)");
	kube_object_unref(in);

	in = obj("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"x\"}}");
	expect_err(kube_store_create(NULL, st, in), KUBE_EINVAL, "metadata.namespace: Required value");
	kube_object_unref(in);

	in = obj("{\"apiVersion\":\"example.com/v1\",\"kind\":\"Widget\",\"metadata\":{\"name\":\"x\"}}");
	expect_err(kube_store_create(NULL, st, in), KUBE_EINVAL,
	           "no matches for kind \"Widget\" in version \"example.com/v1\"");
	kube_object_unref(in);

	in = obj("{\"metadata\":{\"name\":\"x\"}}");
	expect_err(kube_store_create(NULL, st, in), KUBE_EINVAL,
	           "Object 'Kind' is missing or 'apiVersion' is missing");
	kube_object_unref(in);
	ck_assert_int_eq(kube_store_create(NULL, NULL, in), KUBE_EINVAL);
	ck_assert_int_eq(kube_store_revision(st), 1);
}
END_TEST

/* ---- creates from JSON text ---- */

/* The stored text of o: its JSON as a store keeps it (no resourceVersion)
 * is what kube_encode writes with resourceVersion; printed to compare. */
static char *stored_json(const kube_object *o)
{
	char *s = NULL;
	ck_assert_int_eq(kube_encode(&s, NULL, o, KUBE_FORMAT_JSON, 0), 0);
	return s;
}

/* o is stored as fmt says, with o's uid and creationTimestamp for its two
 * %s, in that order: what a create made up. */
static void expect_stored(const kube_object *o, const char *fmt)
{
	char want[1024], *have;

	snprintf(want, sizeof(want), fmt, kube_object_uid(o), kube_object_creation_timestamp(o));
	have = stored_json(o);
	ck_assert_str_eq(have, want);
	free(have);
}

/* What the namespace below is stored as, with what its create made up. */
static void expect_team_namespace(const kube_object *o)
{
	char want[1024], *have;

	snprintf(want, sizeof(want),
	         "{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"generateName\":\"team-\","
	         "\"name\":\"%s\",\"uid\":\"%s\",\"generation\":1,\"labels\":{\"a\":\"b\"},"
	         "\"creationTimestamp\":\"%s\",\"resourceVersion\":\"1\"},"
	         "\"spec\":{\"finalizers\":[\"kubernetes\"]}}",
	         kube_object_name(o), kube_object_uid(o), kube_object_creation_timestamp(o));
	have = stored_json(o);
	ck_assert_str_eq(have, want);
	free(have);
}

/* Text in the encoder's form is stored as it came, with what a create
 * sets spliced into metadata where the tree path puts it: uid, generation
 * and creationTimestamp replaced in place, deletionTimestamp,
 * deletionGracePeriodSeconds, selfLink and (cluster-scoped) namespace
 * dropped, an empty name replaced by a generated one, the rest appended;
 * members after metadata kept.  The same request through a tree gives
 * the same object, but for what a create makes up. */
START_TEST(test_store_create_json_splices_system_fields)
{
	static const char ns_json[] =
		"{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"generateName\":\"team-\","
		"\"namespace\":\"x\",\"name\":\"\",\"uid\":\"mine\",\"selfLink\":\"/api\",\"generation\":7,"
		"\"labels\":{\"a\":\"b\"},\"deletionTimestamp\":\"2020-01-01T00:00:00Z\","
		"\"deletionGracePeriodSeconds\":30},\"spec\":{\"finalizers\":[\"kubernetes\"]}}";
	static const char pod[] =
		"{\"metadata\":{\"namespace\":\"default\",\"name\":\"p\"},\"kind\":\"Pod\",\"apiVersion\":\"v1\","
		"\"spec\":{\"nodeName\":\"n1\"}}";
	kube_object *out = NULL, *got = NULL, *viatree = NULL, *in;
	kube_store *tree_st;

	ck_assert_int_eq(kube_store_create_json(&out, st, ns_json, strlen(ns_json)), 0);
	ck_assert_str_eq(kube_object_generate_name(out), "team-");
	ck_assert_uint_eq(strlen(kube_object_name(out)), 10);
	ck_assert_int_eq(strncmp(kube_object_name(out), "team-", 5), 0);
	ck_assert_ptr_null(kube_object_namespace(out));
	ck_assert_ptr_null(kube_object_deletion_timestamp(out));
	ck_assert_int_eq(kube_object_generation(out), 1);
	ck_assert_str_ne(kube_object_uid(out), "mine");
	ck_assert_str_eq(kube_object_resource_version(out), "1");
	ck_assert_str_eq(kube_labels_get(kube_object_labels(out), "a"), "b");
	expect_team_namespace(out);
	ck_assert_int_eq(kube_store_get(&got, st, "namespaces", NULL, kube_object_name(out)), 0);
	ck_assert_ptr_eq(got, out);
	kube_object_unref(got);

	/* through a tree: the same text, made-up fields aside */
	ck_assert_int_eq(kube_store_open(&tree_st, loop, NULL), 0);
	in = obj(ns_json);
	ck_assert_int_eq(kube_store_create_take(&viatree, tree_st, in), 0);
	expect_team_namespace(viatree);
	kube_object_unref(viatree);
	kube_store_close(tree_st);
	kube_object_unref(out);

	/* metadata first, members after it, a namespaced kind keeps its
	 * namespace; what was absent is appended in the tree's order */
	ck_assert_int_eq(kube_store_create_json(&out, st, pod, strlen(pod)), 0);
	expect_stored(out, "{\"metadata\":{\"namespace\":\"default\",\"name\":\"p\",\"uid\":\"%s\","
	                   "\"creationTimestamp\":\"%s\",\"generation\":1,\"resourceVersion\":\"2\"},"
	                   "\"kind\":\"Pod\",\"apiVersion\":\"v1\",\"spec\":{\"nodeName\":\"n1\"}}");
	kube_object_unref(out);
	/* the node index saw spec.nodeName */
	kube_object_list *l = NULL;
	kube_list_options lo = KUBE_LIST_OPTIONS_INIT;
	lo.field_selector = "spec.nodeName=n1";
	ck_assert_int_eq(kube_store_list(&l, st, "pods", &lo, NULL, NULL), 0);
	ck_assert_uint_eq(kube_object_list_count(l), 1);
	kube_object_list_free(l);
}
END_TEST

static int create_json(kube_store *store, const char *json)
{
	return kube_store_create_json(NULL, store, json, strlen(json));
}

/* JSON not in the encoder's form is decoded (the same object); bad input
 * fails as kube_object_from_json and kube_store_create say, and writes
 * nothing. */
START_TEST(test_store_create_json_decodes_other_json_and_errors)
{
	static const char spaced[] =
		"{ \"apiVersion\": \"v1\", \"kind\": \"Pod\",\n \"metadata\": { \"name\": \"s\", "
		"\"namespace\": \"default\", \"labels\": {\"a\": \"b\\u0021\"} } }";
	kube_object *out = NULL;

	ck_assert_int_eq(kube_store_create_json(&out, st, spaced, strlen(spaced)), 0);
	expect_stored(out, "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"s\","
	                   "\"namespace\":\"default\",\"labels\":{\"a\":\"b!\"},\"uid\":\"%s\","
	                   "\"creationTimestamp\":\"%s\",\"generation\":1,\"resourceVersion\":\"1\"}}");
	kube_object_unref(out);

	expect_err(kube_store_create_json(&out, st, "{\"apiVersion\":", 14), KUBE_EINVAL,
	           "document 1, line 1, column 15: unexpected end of input, expected a value");
	ck_assert_ptr_null(out);
	expect_err(kube_store_create_json(NULL, st, "[1]", 3), KUBE_EINVAL,
	           "kube_object_from_json: expected a JSON object, found array");
	expect_err(create_json(st, "{\"apiVersion\":\"v1\",\"kind\":\"Pod\","
	                           "\"metadata\":{\"name\":\"s\",\"namespace\":\"default\"}}"),
	           KUBE_EEXISTS, "pods \"s\" already exists");
	expect_err(create_json(st, "{\"apiVersion\":\"v1\",\"kind\":\"Pod\","
	                           "\"metadata\":{\"name\":\"r\",\"namespace\":\"default\","
	                           "\"resourceVersion\":\"5\"}}"),
	           KUBE_EINVAL, "resourceVersion should not be set on objects to be created");
	expect_err(create_json(st, "{\"apiVersion\":\"v1\",\"kind\":\"Pod\","
	                           "\"metadata\":{\"name\":\"l\",\"namespace\":\"default\","
	                           "\"labels\":{\"a\":1}}}"),
	           KUBE_EINVAL, "metadata.labels[\"a\"]: expected a string, found integer");
	expect_err(create_json(st, "{\"apiVersion\":\"v1\",\"kind\":\"Pod\","
	                           "\"metadata\":{\"namespace\":\"default\"}}"),
	           KUBE_EINVAL, "metadata.name: Required value: name or generateName is required");
	ck_assert_int_eq(kube_store_create_json(NULL, NULL, spaced, strlen(spaced)), KUBE_EINVAL);
	ck_assert_int_eq(kube_store_create_json(NULL, st, NULL, 0), KUBE_EINVAL);
	ck_assert_int_eq(kube_store_revision(st), 1);
}
END_TEST

START_TEST(test_store_generate_name_and_cluster_scope)
{
	kube_object *in, *out = NULL, *got = NULL;
	const char *name;

	in = obj("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"namespace\":\"ns\","
	         "\"generateName\":\"web-\"}}");
	ck_assert_int_eq(kube_store_create(&out, st, in), 0);
	name = kube_object_name(out);
	ck_assert_uint_eq(strlen(name), 9);
	ck_assert_int_eq(strncmp(name, "web-", 4), 0);
	for (int i = 4; i < 9; i++)
		ck_assert_msg(strchr("bcdfghjklmnpqrstvwxz2456789", name[i]) != NULL, "%s", name);
	ck_assert_int_eq(kube_store_get(&got, st, "pods", "ns", name), 0);
	kube_object_unref(got);
	kube_object_unref(out);
	kube_object_unref(in);

	/* Nodes are cluster-scoped: a namespace is dropped, the key has none. */
	in = obj("{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"n1\",\"namespace\":\"x\"}}");
	ck_assert_int_eq(kube_store_create(&out, st, in), 0);
	ck_assert_ptr_null(kube_object_namespace(out));
	ck_assert_int_eq(kube_store_get(&got, st, "nodes", NULL, "n1"), 0);
	ck_assert_ptr_eq(got, out);
	kube_object_unref(got);
	ck_assert_int_eq(kube_store_get(&got, st, "nodes", "ignored", "n1"), 0);
	kube_object_unref(got);
	expect_err(kube_store_get(&got, st, "nodes", NULL, "n2"), KUBE_ENOTFOUND, "nodes \"n2\" not found");
	expect_err(kube_store_get(&got, st, "pods", "ns", "zz"), KUBE_ENOTFOUND, "pods \"zz\" not found");
	expect_err(kube_store_get(&got, st, "widgets", "ns", "zz"), KUBE_EINVAL,
	           "the server doesn't have a resource type \"widgets\"");
	kube_object_unref(out);
	kube_object_unref(in);

	/* A group resource is named with its group in messages. */
	in = obj("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"d\","
	         "\"namespace\":\"ns\"},\"spec\":{\"replicas\":1}}");
	ck_assert_int_eq(kube_store_create(NULL, st, in), 0);
	expect_err(kube_store_create(NULL, st, in), KUBE_EEXISTS, "deployments.apps \"d\" already exists");
	kube_object_unref(in);
}
END_TEST

START_TEST(test_store_object_size_limit)
{
	size_t n = 1600 * 1024;
	char *big = malloc(n + 256);
	kube_object *in;

	int len = snprintf(big, 256, "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":"
	                   "{\"namespace\":\"ns\",\"name\":\"big\"},\"data\":{\"x\":\"");
	memset(big + len, 'a', n);
	strcpy(big + len + n, "\"}}");
	in = obj(big);
	ck_assert_int_eq(kube_store_create(NULL, st, in), KUBE_EINVAL);
	ck_assert_msg(strncmp(kube_error_last()->message, "configmaps/ns/big: the object is too large: ", 44) == 0,
	              "%s", kube_error_last()->message);
	ck_assert_ptr_nonnull(strstr(kube_error_last()->message, " bytes of JSON, the limit is 1572864"));
	kube_object_unref(in);
	ck_assert_int_eq(kube_store_revision(st), 0);

	/* just under the limit passes */
	big[len + 1500 * 1024] = '\0';
	strcat(big, "\"}}");
	in = obj(big);
	ck_assert_int_eq(kube_store_create(NULL, st, in), 0);
	kube_object_unref(in);
	free(big);
}
END_TEST

/* ---- update ---- */

/* An update is compared with the stored version by its encoding first;
 * the same document with its members in another order is still the same
 * document (no write, same generation), and a spec that differs only in
 * order is the same spec. */
START_TEST(test_store_update_member_order)
{
	kube_object *a = NULL, *m = NULL, *out = NULL;
	char json[512];

	ck_assert_int_eq(kube_store_create_take(&a, st, obj("{\"apiVersion\":\"v1\",\"kind\":\"Pod\","
	                 "\"metadata\":{\"name\":\"o\",\"namespace\":\"ns\"},\"spec\":{\"nodeName\":"
	                 "\"n1\",\"priority\":5},\"status\":{\"phase\":\"Pending\"}}")), 0);
	/* the same, members reordered (metadata and spec) */
	snprintf(json, sizeof(json),
	         "{\"status\":{\"phase\":\"Pending\"},\"kind\":\"Pod\",\"apiVersion\":\"v1\","
	         "\"spec\":{\"priority\":5,\"nodeName\":\"n1\"},\"metadata\":{\"namespace\":\"ns\","
	         "\"resourceVersion\":\"%s\",\"name\":\"o\",\"uid\":\"%s\",\"creationTimestamp\":\"%s\","
	         "\"generation\":1}}",
	         kube_object_resource_version(a), kube_object_uid(a), kube_object_creation_timestamp(a));
	ck_assert_int_eq(kube_store_update_take(&out, st, obj(json)), 0);
	ck_assert_ptr_eq(out, a);
	ck_assert_int_eq(kube_store_revision(st), 1);
	kube_object_unref(out);
	/* status changed, spec reordered: written, generation kept */
	snprintf(json, sizeof(json),
	         "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"o\",\"namespace\":"
	         "\"ns\"},\"spec\":{\"priority\":5,\"nodeName\":\"n1\"},\"status\":{\"phase\":"
	         "\"Running\"}}");
	ck_assert_int_eq(kube_store_update_take(&out, st, obj(json)), 0);
	ck_assert_str_eq(kube_object_resource_version(out), "2");
	ck_assert_int_eq(kube_object_generation(out), 1);
	ck_assert_str_eq(kube_object_uid(out), kube_object_uid(a));
	ck_assert_str_eq(kube_object_creation_timestamp(out), kube_object_creation_timestamp(a));
	kube_object_unref(out);
	/* a spec change: generation 2 */
	ck_assert_int_eq(kube_store_get(&out, st, "pods", "ns", "o"), 0);
	ck_assert_int_eq(kube_object_mutable(&m, out), 0);
	ck_assert_int_eq(kube_object_set_int(m, "spec.priority", 6), 0);
	kube_object_unref(out);
	ck_assert_int_eq(kube_store_update_take(&out, st, m), 0);
	ck_assert_int_eq(kube_object_generation(out), 2);
	kube_object_unref(out);
	kube_object_unref(a);
}
END_TEST

START_TEST(test_store_update_conflict_and_generation)
{
	kube_object *a = create_pod("default", "a", "\"app\":\"web\""), *m = NULL, *out = NULL, *out2 = NULL;

	/* labels only: new revision, same generation */
	ck_assert_int_eq(kube_object_mutable(&m, a), 0);
	ck_assert_int_eq(kube_object_set_label(m, "tier", "front"), 0);
	ck_assert_int_eq(kube_store_update(&out, st, m), 0);
	ck_assert_str_eq(kube_object_resource_version(out), "2");
	ck_assert_int_eq(kube_object_generation(out), 1);
	ck_assert_str_eq(kube_object_uid(out), kube_object_uid(a));
	ck_assert_str_eq(kube_object_creation_timestamp(out), kube_object_creation_timestamp(a));

	/* the same change again from the stale copy (resourceVersion 1) */
	expect_err(kube_store_update(NULL, st, m), KUBE_ECONFLICT,
	           "Operation cannot be fulfilled on pods \"a\": the object has been modified; "
	           "please apply your changes to the latest version and try again");
	kube_object_unref(m);

	/* spec change: generation 2 */
	ck_assert_int_eq(kube_object_mutable(&m, out), 0);
	ck_assert_int_eq(kube_object_set_string(m, "spec.containers[0].image", "nginx"), 0);
	ck_assert_int_eq(kube_object_set_int(m, "metadata.generation", 40), 0);   /* ignored */
	ck_assert_int_eq(kube_object_set_string(m, "metadata.uid", ""), 0);
	ck_assert_int_eq(kube_store_update(&out2, st, m), 0);
	ck_assert_int_eq(kube_object_generation(out2), 2);
	ck_assert_str_eq(kube_object_resource_version(out2), "3");
	ck_assert_str_eq(kube_object_uid(out2), kube_object_uid(a));
	kube_object_unref(m);

	/* an update that changes nothing writes nothing */
	ck_assert_int_eq(kube_object_mutable(&m, out2), 0);
	kube_object_unref(out);
	ck_assert_int_eq(kube_store_update(&out, st, m), 0);
	ck_assert_ptr_eq(out, out2);
	ck_assert_int_eq(kube_store_revision(st), 3);
	kube_object_unref(m);

	/* empty resourceVersion: unconditional */
	ck_assert_int_eq(kube_object_mutable(&m, a), 0);   /* from revision 1 */
	ck_assert_int_eq(kube_object_set_string(m, "metadata.resourceVersion", ""), 0);
	ck_assert_int_eq(kube_object_set_string(m, "status.phase", "Running"), 0);
	kube_object_unref(out);
	ck_assert_int_eq(kube_store_update(&out, st, m), 0);
	ck_assert_str_eq(kube_object_resource_version(out), "4");
	ck_assert_int_eq(kube_object_generation(out), 3);   /* spec went back to busybox */
	kube_object_unref(m);

	/* uid precondition, checked before the resourceVersion (stale here) */
	ck_assert_int_eq(kube_object_mutable(&m, out), 0);
	ck_assert_int_eq(kube_object_set_string(m, "metadata.uid", "other"), 0);
	char want[300];
	snprintf(want, sizeof(want), "Operation cannot be fulfilled on pods \"a\": Precondition failed: "
	         "UID in precondition: other, UID in object meta: %s", kube_object_uid(a));
	expect_err(kube_store_update(NULL, st, m), KUBE_ECONFLICT, want);
	ck_assert_int_eq(kube_object_set_string(m, "metadata.resourceVersion", "1"), 0);
	expect_err(kube_store_update(NULL, st, m), KUBE_ECONFLICT, want);
	kube_object_unref(m);

	/* not found */
	m = pod_json("default", "nope", NULL, NULL);
	expect_err(kube_store_update(NULL, st, m), KUBE_ENOTFOUND, "pods \"nope\" not found");
	kube_object_unref(m);
	kube_object_unref(out);
	kube_object_unref(out2);
	kube_object_unref(a);
}
END_TEST

typedef struct mut_ctx {
	int calls;
	int conflicts_to_induce;
} mut_ctx;

static int mutate_add_label(kube_object *o, void *ud)
{
	mut_ctx *c = ud;
	c->calls++;
	if (c->conflicts_to_induce > 0) {
		/* Someone else writes the object between our read and our write. */
		kube_object *other = NULL;
		c->conflicts_to_induce--;
		ck_assert_int_eq(kube_object_mutable(&other, o), 0);
		char v[16];
		snprintf(v, sizeof(v), "w%d", c->calls);
		ck_assert_int_eq(kube_object_set_annotation(other, "writer", v), 0);
		ck_assert_int_eq(kube_store_update(NULL, st, other), 0);
		kube_object_unref(other);
	}
	return kube_object_set_label(o, "mutated", "yes");
}

static int mutate_fail(kube_object *o, void *ud)
{
	(void)o;
	(void)ud;
	return KUBE_ECANCELED;
}

START_TEST(test_store_guaranteed_update_retries)
{
	kube_object *a = create_pod("default", "a", NULL), *out = NULL;
	mut_ctx c = { 0, 3 };

	ck_assert_int_eq(kube_store_guaranteed_update(&out, st, "pods", "default", "a",
	                                              mutate_add_label, &c), 0);
	ck_assert_int_eq(c.calls, 4);   /* three conflicts, then success */
	ck_assert_str_eq(kube_labels_get(kube_object_labels(out), "mutated"), "yes");
	ck_assert_str_eq(kube_object_annotation(out, "writer"), "w3");   /* the others' write kept */
	ck_assert_str_eq(kube_object_resource_version(out), "5");
	kube_object_unref(out);

	ck_assert_int_eq(kube_store_guaranteed_update(&out, st, "pods", "default", "a", mutate_fail, NULL),
	                 KUBE_ECANCELED);
	ck_assert_ptr_null(out);
	ck_assert_int_eq(kube_store_revision(st), 5);
	expect_err(kube_store_guaranteed_update(&out, st, "pods", "default", "zz", mutate_fail, NULL),
	           KUBE_ENOTFOUND, "pods \"zz\" not found");
	kube_object_unref(a);
}
END_TEST

/* ---- watch helpers ---- */

typedef struct rec_event {
	kube_watch_event_type type;
	int64_t revision;
	kube_object *obj;   /* a reference */
	int error;
	char name[64];
} rec_event;

typedef struct recorder {
	rec_event ev[4096];
	size_t n;
	int destroyed;
	int cancel_after;    /* cancel itself after this many events (0 = never) */
	kube_watch *self;
	int write_on_first;  /* create a pod inside the first callback */
} recorder;

static void rec_cb(kube_watch *w, const kube_watch_event *e, void *ud)
{
	recorder *r = ud;
	ck_assert_uint_lt(r->n, 4096);
	rec_event *x = &r->ev[r->n++];
	x->type = e->type;
	x->revision = e->revision;
	x->obj = kube_object_ref(e->object);
	x->error = e->error;
	snprintf(x->name, sizeof(x->name), "%s", e->object && kube_object_name(e->object) ?
	         kube_object_name(e->object) : "");
	if (r->write_on_first && r->n == 1)
		kube_object_unref(create_pod("default", "from-callback", NULL));
	if (r->cancel_after && (int)r->n == r->cancel_after)
		kube_watch_cancel(w);
}

static void rec_destroy(void *ud)
{
	((recorder *)ud)->destroyed++;
}

static recorder *rec_new(void)
{
	return calloc(1, sizeof(recorder));
}

static void rec_free(recorder *r)
{
	for (size_t i = 0; i < r->n; i++)
		kube_object_unref(r->ev[i].obj);
	free(r);
}

/* ---- delete and finalizers ---- */

START_TEST(test_store_delete_preconditions)
{
	kube_object *a = create_pod("default", "a", NULL), *out = NULL;
	kube_delete_options o = KUBE_DELETE_OPTIONS_INIT;
	char want[300];

	/* upstream's rest.BeforeDelete: a Conflict on the kind */
	o.uid = "bad";
	snprintf(want, sizeof(want), "Operation cannot be fulfilled on Pod \"a\": the UID in the "
	         "precondition (bad) does not match the UID in record (%s). The object might have been "
	         "deleted and then recreated", kube_object_uid(a));
	expect_err(kube_store_delete(NULL, st, "pods", "default", "a", &o), KUBE_ECONFLICT, want);
	o.uid = kube_object_uid(a);
	o.resource_version = "7";
	expect_err(kube_store_delete(NULL, st, "pods", "default", "a", &o), KUBE_ECONFLICT,
	           "Operation cannot be fulfilled on Pod \"a\": the ResourceVersion in the precondition "
	           "(7) does not match the ResourceVersion in record (1). The object might have been "
	           "modified");
	o.resource_version = "1";
	ck_assert_int_eq(kube_store_delete(&out, st, "pods", "default", "a", &o), 0);
	ck_assert_str_eq(kube_object_resource_version(out), "2");   /* the deletion's revision */
	ck_assert_str_eq(kube_object_uid(out), kube_object_uid(a));
	kube_object_unref(out);
	ck_assert_int_eq(kube_store_get(&out, st, "pods", "default", "a"), KUBE_ENOTFOUND);
	expect_err(kube_store_delete(NULL, st, "pods", "default", "a", NULL), KUBE_ENOTFOUND,
	           "pods \"a\" not found");
	/* the name is free again; the new object is another one */
	kube_object *b = create_pod("default", "a", NULL);
	ck_assert_str_ne(kube_object_uid(b), kube_object_uid(a));
	ck_assert_str_eq(kube_object_resource_version(b), "3");
	kube_object_unref(b);
	kube_object_unref(a);
	/* a kind of a named group: "Deployment.apps" */
	{
		kube_object *d = obj("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":"
		                     "{\"namespace\":\"default\",\"name\":\"d\"}}");
		kube_delete_options od = KUBE_DELETE_OPTIONS_INIT;
		ck_assert_int_eq(kube_store_create(NULL, st, d), 0);
		kube_object_unref(d);
		od.resource_version = "1";   /* it was created at 4 */
		expect_err(kube_store_delete(NULL, st, "deployments", "default", "d", &od), KUBE_ECONFLICT,
		           "Operation cannot be fulfilled on Deployment.apps \"d\": the ResourceVersion in "
		           "the precondition (1) does not match the ResourceVersion in record (4). The "
		           "object might have been modified");
	}
}
END_TEST

START_TEST(test_store_finalizer_flow)
{
	kube_object *in = pod_json("default", "f", NULL, ",\"finalizers\":[\"example.com/a\",\"example.com/b\"]");
	kube_object *a = NULL, *out = NULL, *m = NULL, *again = NULL;
	recorder *r = rec_new();
	kube_watch_options wo = KUBE_WATCH_OPTIONS_INIT;

	ck_assert_int_eq(kube_store_create(&a, st, in), 0);
	kube_object_unref(in);
	wo.revision = kube_store_revision(st);
	ck_assert_int_eq(kube_store_watch(NULL, st, "pods", &wo, rec_cb, r, rec_destroy), 0);

	ck_assert_int_eq(kube_store_delete(&out, st, "pods", "default", "f", NULL), 0);
	ck_assert_ptr_nonnull(kube_object_deletion_timestamp(out));
	int64_t grace = -1;
	ck_assert_int_eq(kube_object_get_int(out, "metadata.deletionGracePeriodSeconds", &grace), 0);
	ck_assert_int_eq(grace, 0);
	ck_assert_int_eq(kube_object_generation(out), 2);   /* markAsDeleting */
	ck_assert_str_eq(kube_object_resource_version(out), "2");
	/* deleting again changes nothing */
	ck_assert_int_eq(kube_store_delete(&again, st, "pods", "default", "f", NULL), 0);
	ck_assert_ptr_eq(again, out);
	ck_assert_int_eq(kube_store_revision(st), 2);
	kube_object_unref(again);

	/* no new finalizers on an object being deleted */
	ck_assert_int_eq(kube_object_mutable(&m, out), 0);
	ck_assert_int_eq(kube_object_set_json(m, "metadata.finalizers",
	                                      "[\"example.com/b\",\"z/late\",\"example.com/a\",\"a/late\"]"), 0);
	expect_err(kube_store_update(NULL, st, m), KUBE_EINVAL,
	           "metadata.finalizers: Forbidden: no new finalizers can be added if the object is being "
	           "deleted, found new finalizers []string{\"a/late\", \"z/late\"}");
	kube_object_unref(m);

	/* removing one finalizer: still there */
	ck_assert_int_eq(kube_object_mutable(&m, out), 0);
	ck_assert_int_eq(kube_object_set_json(m, "metadata.finalizers", "[\"example.com/b\"]"), 0);
	ck_assert_int_eq(kube_object_remove(m, "metadata.deletionTimestamp"), 0);   /* cannot undo */
	kube_object_unref(out);
	ck_assert_int_eq(kube_store_update(&out, st, m), 0);
	ck_assert_ptr_nonnull(kube_object_deletion_timestamp(out));
	ck_assert_uint_eq(kube_object_finalizer_count(out), 1);
	kube_object_unref(m);

	/* removing the last: gone */
	ck_assert_int_eq(kube_object_mutable(&m, out), 0);
	ck_assert_int_eq(kube_object_remove(m, "metadata.finalizers"), 0);
	kube_object_unref(out);
	ck_assert_int_eq(kube_store_update(&out, st, m), 0);
	ck_assert_str_eq(kube_object_resource_version(out), "4");
	kube_object_unref(m);
	ck_assert_int_eq(kube_store_get(&m, st, "pods", "default", "f"), KUBE_ENOTFOUND);

	ck_assert_uint_eq(r->n, 0);   /* nothing inside the writes */
	pump();
	ck_assert_uint_eq(r->n, 3);
	ck_assert_int_eq(r->ev[0].type, KUBE_WATCH_MODIFIED);
	ck_assert_int_eq(r->ev[0].revision, 2);
	ck_assert_int_eq(r->ev[1].type, KUBE_WATCH_MODIFIED);
	ck_assert_int_eq(r->ev[1].revision, 3);
	ck_assert_int_eq(r->ev[2].type, KUBE_WATCH_DELETED);
	ck_assert_int_eq(r->ev[2].revision, 4);
	/* the stored state goes (upstream's watch sends the deleted value),
	 * at the delete's revision; the writer got its own object */
	ck_assert_ptr_ne(r->ev[2].obj, out);
	ck_assert_uint_eq(kube_object_finalizer_count(out), 0);
	ck_assert_uint_eq(kube_object_finalizer_count(r->ev[2].obj), 1);
	ck_assert_str_eq(kube_object_finalizer(r->ev[2].obj, 0), "example.com/b");
	ck_assert_str_eq(kube_object_resource_version(r->ev[2].obj), "4");
	ck_assert_ptr_nonnull(kube_object_deletion_timestamp(r->ev[2].obj));
	kube_object_unref(out);
	kube_object_unref(a);
	kube_store_close(st);
	st = NULL;
	ck_assert_int_eq(r->destroyed, 1);
	ck_assert_int_eq(r->ev[3].type, KUBE_WATCH_ERROR);   /* close ends the watch */
	ck_assert_int_eq(r->ev[3].error, KUBE_ECANCELED);
	rec_free(r);
}
END_TEST

/* ---- list ---- */

static kube_object_list *list(const kube_list_options *o, int64_t *rev, char **cont)
{
	kube_object_list *l = NULL;
	ck_assert_int_eq(kube_store_list(&l, st, "pods", o, rev, cont), 0);
	return l;
}

static void expect_names(kube_object_list *l, const char *names)
{
	char buf[1024] = "";
	for (size_t i = 0; i < kube_object_list_count(l); i++) {
		kube_object *o = kube_object_list_get(l, i);
		if (i)
			strcat(buf, " ");
		strcat(buf, kube_object_namespace(o));
		strcat(buf, "/");
		strcat(buf, kube_object_name(o));
	}
	ck_assert_str_eq(buf, names);
}

START_TEST(test_store_list_selectors)
{
	kube_list_options o = KUBE_LIST_OPTIONS_INIT;
	kube_object_list *l;
	int64_t rev = 0;
	kube_object *m;

	kube_object_unref(create_pod("b", "y", "\"app\":\"web\",\"tier\":\"front\""));
	kube_object_unref(create_pod("a", "z", "\"app\":\"db\""));
	kube_object_unref(create_pod("a", "x", "\"app\":\"web\""));
	kube_object_unref(create_pod("b", "w", NULL));
	/* a node must not show up in a pod list */
	m = obj("{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"n\"}}");
	ck_assert_int_eq(kube_store_create(NULL, st, m), 0);
	kube_object_unref(m);

	l = list(NULL, &rev, NULL);
	expect_names(l, "a/x a/z b/w b/y");   /* key order */
	ck_assert_int_eq(rev, 5);
	kube_object_list_free(l);

	o.label_selector = "app=web";
	l = list(&o, NULL, NULL);
	expect_names(l, "a/x b/y");
	kube_object_list_free(l);
	o.label_selector = "app in (web,db),tier!=front";
	l = list(&o, NULL, NULL);
	expect_names(l, "a/x a/z");
	kube_object_list_free(l);
	o.label_selector = "!app";
	l = list(&o, NULL, NULL);
	expect_names(l, "b/w");
	kube_object_list_free(l);

	o.label_selector = NULL;
	o.namespace_ = "a";
	l = list(&o, NULL, NULL);
	expect_names(l, "a/x a/z");
	kube_object_list_free(l);

	o.namespace_ = NULL;
	o.field_selector = "metadata.name=y";
	l = list(&o, NULL, NULL);
	expect_names(l, "b/y");
	kube_object_list_free(l);
	o.field_selector = "metadata.namespace!=a,metadata.name!=y";
	l = list(&o, NULL, NULL);
	expect_names(l, "b/w");
	kube_object_list_free(l);
	o.field_selector = "spec.nodeName=";   /* unscheduled */
	l = list(&o, NULL, NULL);
	expect_names(l, "a/x a/z b/w b/y");
	kube_object_list_free(l);

	o.field_selector = "metadata.name";
	expect_err(kube_store_list(&l, st, "pods", &o, NULL, NULL), KUBE_EINVAL,
	           "invalid selector: 'metadata.name'; can't understand 'metadata.name'");
	o.field_selector = NULL;
	o.label_selector = "app=";
	ck_assert_int_eq(kube_store_list(&l, st, "pods", &o, NULL, NULL), 0);
	expect_names(l, "");
	kube_object_list_free(l);
	o.label_selector = "a b";
	ck_assert_int_eq(kube_store_list(&l, st, "pods", &o, NULL, NULL), KUBE_EINVAL);
	ck_assert_ptr_null(l);
	o.label_selector = NULL;
	o.field_selector = "metadata.name=a\\x";
	expect_err(kube_store_list(&l, st, "pods", &o, NULL, NULL), KUBE_EINVAL,
	           "invalid field selector: invalid escape sequence: \\x");
}
END_TEST

/* Lists by an equality selector go through the label index: it must follow
 * label changes and deletions, and page in key order. */
/* Creates an object from JSON text (no checks beyond the store's). */
static void put(const char *json)
{
	kube_object *o = obj(json);
	ck_assert_int_eq(kube_store_create_take(NULL, st, o), 0);
}

/* The names a field-selected list of `resource` gives, space-separated. */
static void expect_fields(const char *resource, const char *sel, const char *names)
{
	kube_list_options o = KUBE_LIST_OPTIONS_INIT;
	kube_object_list *l = NULL;
	char buf[512] = "";

	o.field_selector = sel;
	ck_assert_msg(kube_store_list(&l, st, resource, &o, NULL, NULL) == 0, "%s %s: %s", resource, sel,
	              kube_error_last()->message);
	for (size_t i = 0; i < kube_object_list_count(l); i++) {
		if (i)
			strcat(buf, " ");
		strcat(buf, kube_object_name(kube_object_list_get(l, i)));
	}
	kube_object_list_free(l);
	ck_assert_msg(strcmp(buf, names) == 0, "%s %s: got \"%s\", want \"%s\"", resource, sel, buf, names);
}

static void expect_field_error(const char *resource, const char *sel, const char *msg)
{
	kube_list_options o = KUBE_LIST_OPTIONS_INIT;
	kube_watch_options wo = KUBE_WATCH_OPTIONS_INIT;
	kube_object_list *l = NULL;

	o.field_selector = sel;
	expect_err(kube_store_list(&l, st, resource, &o, NULL, NULL), KUBE_EINVAL, msg);
	ck_assert_ptr_null(l);
	wo.field_selector = sel;
	expect_err(kube_store_watch(NULL, st, resource, &wo, rec_cb, NULL, NULL), KUBE_EINVAL, msg);
}

static int compact_without_tree(const kube_object *o);

/* The store's own readers (field selectors, the nodeName index, encoding
 * a list) read a stored object's compact text: the objects keep no tree. */
START_TEST(test_store_readers_keep_objects_compact)
{
	kube_list_options lo = KUBE_LIST_OPTIONS_INIT;
	kube_object_list *l = NULL;
	kube_object *got;
	char *json;

	put("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"namespace\":\"a\",\"name\":\"p1\"},"
	    "\"spec\":{\"nodeName\":\"n\\u00e9\\\"1\",\"hostNetwork\" : true},"
	    "\"status\":{\"podIPs\":[ {\"x\":{\"ip\":\"no\"},\"ip\":\"10.0.0.1\"}],\"phase\":\"Running\"}}");
	put("{\"apiVersion\":\"v1\",\"kind\":\"ReplicationController\",\"metadata\":{\"namespace\":\"a\","
	    "\"name\":\"rc1\"},\"status\":{\"replicas\":3.0}}");
	put("{\"apiVersion\":\"v1\",\"kind\":\"ReplicationController\",\"metadata\":{\"namespace\":\"a\","
	    "\"name\":\"rc2\"},\"status\":{\"replicas\":99999999999999999999}}");
	put("{\"apiVersion\":\"v1\",\"kind\":\"ReplicationController\",\"metadata\":{\"namespace\":\"a\","
	    "\"name\":\"rc3\"},\"status\":{\"replicas\":-7}}");
	expect_fields("pods", "spec.nodeName=n\xc3\xa9\"1", "p1");
	expect_fields("pods", "spec.hostNetwork=true,status.podIP=10.0.0.1,status.phase=Running", "p1");
	/* only integers that fit int64 count, as in the tree; others read 0 */
	expect_fields("replicationcontrollers", "status.replicas=0", "rc1 rc2");
	expect_fields("replicationcontrollers", "status.replicas=-7", "rc3");
	lo.label_selector = NULL;
	ck_assert_int_eq(kube_store_list(&l, st, "pods", &lo, NULL, NULL), 0);
	ck_assert_int_eq(kube_encode_list(&json, NULL, l, KUBE_FORMAT_JSON, 0), 0);
	ck_assert_ptr_nonnull(strstr(json, "\"nodeName\":\"n\xc3\xa9\\\"1\",\"hostNetwork\":true"));
	kube_free(json);
	kube_object_list_free(l);
	ck_assert_int_eq(kube_store_get(&got, st, "pods", "a", "p1"), 0);
	ck_assert(compact_without_tree(got));
	ck_assert_str_eq(kube__object_node_name(got), "n\xc3\xa9\"1");
	kube_object_unref(got);
	ck_assert_int_eq(kube_store_get(&got, st, "replicationcontrollers", "a", "rc2"), 0);
	ck_assert(compact_without_tree(got));
	kube_object_unref(got);
}
END_TEST

START_TEST(test_store_field_selectors_per_resource)
{
	put("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"namespace\":\"a\",\"name\":\"p1\"},"
	    "\"spec\":{\"nodeName\":\"n1\",\"hostNetwork\":true,\"restartPolicy\":\"Never\"},"
	    "\"status\":{\"phase\":\"Running\",\"podIP\":\"10.0.0.9\",\"podIPs\":[{\"ip\":\"10.0.0.1\"}]}}");
	put("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"namespace\":\"b\",\"name\":\"p2\"},"
	    "\"spec\":{\"schedulerName\":\"s\",\"serviceAccountName\":\"sa\"},"
	    "\"status\":{\"phase\":\"Pending\",\"podIP\":\"10.0.0.2\",\"nominatedNodeName\":\"n2\"}}");
	expect_fields("pods", "status.phase=Running", "p1");
	expect_fields("pods", "status.phase!=Running", "p2");
	expect_fields("pods", "spec.nodeName=", "p2");
	expect_fields("pods", "spec.host=n1", "p1");   /* old clients' name for spec.nodeName */
	expect_fields("pods", "spec.hostNetwork=false", "p2");   /* unset is false */
	expect_fields("pods", "spec.hostNetwork=true", "p1");
	expect_fields("pods", "spec.restartPolicy=Never", "p1");
	expect_fields("pods", "spec.schedulerName=s,spec.serviceAccountName=sa", "p2");
	expect_fields("pods", "status.podIP=10.0.0.9", "p1");   /* podIP wins over podIPs[0] */
	expect_fields("pods", "status.podIP=10.0.0.1", "");
	expect_fields("pods", "status.podIP=10.0.0.2", "p2");
	expect_fields("pods", "status.nominatedNodeName=n2", "p2");
	expect_fields("pods", "status.podIPs=10.0.0.1", "");   /* accepted, never set */
	expect_fields("pods", "status.podIPs=", "p1 p2");
	expect_fields("pods", "metadata.namespace=b,metadata.name==p2", "p2");
	expect_field_error("pods", "spec.containers=x", "field label not supported: spec.containers");
	/* only podIPs: its first; only the deprecated serviceAccount: that */
	put("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"namespace\":\"c\",\"name\":\"p3\"},"
	    "\"spec\":{\"serviceAccount\":\"old\"},\"status\":{\"podIPs\":[{\"ip\":\"10.0.0.3\"}]}}");
	expect_fields("pods", "status.podIP=10.0.0.3,spec.serviceAccountName=old", "p3");
	expect_field_error("pods", "status.phase=Running,metadata.labels=x",
	                   "field label not supported: metadata.labels");

	put("{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"n1\"},\"spec\":{\"unschedulable\":true}}");
	put("{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"n2\"}}");
	expect_fields("nodes", "spec.unschedulable=false", "n2");
	expect_fields("nodes", "spec.unschedulable=true,metadata.name=n1", "n1");
	/* cluster-scoped kinds with their own conversion take no namespace */
	expect_field_error("nodes", "metadata.namespace=", "field label not supported: metadata.namespace");

	put("{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"ns1\"},"
	    "\"status\":{\"phase\":\"Terminating\"}}");
	expect_fields("namespaces", "status.phase=Terminating", "ns1");
	expect_field_error("namespaces", "metadata.namespace=x", "field label not supported: metadata.namespace");

	put("{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"namespace\":\"a\",\"name\":\"s1\"},"
	    "\"type\":\"kubernetes.io/tls\"}");
	put("{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"namespace\":\"a\",\"name\":\"s2\"}}");
	expect_fields("secrets", "type=kubernetes.io/tls", "s1");
	expect_fields("secrets", "type=", "s2");
	expect_field_error("secrets", "data.x=y", "field label not supported: data.x");

	put("{\"apiVersion\":\"v1\",\"kind\":\"ReplicationController\",\"metadata\":{\"namespace\":\"a\","
	    "\"name\":\"rc1\"},\"status\":{\"replicas\":3}}");
	put("{\"apiVersion\":\"v1\",\"kind\":\"ReplicationController\",\"metadata\":{\"namespace\":\"a\","
	    "\"name\":\"rc2\"}}");
	expect_fields("replicationcontrollers", "status.replicas=3", "rc1");
	expect_fields("replicationcontrollers", "status.replicas=0", "rc2");

	put("{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"namespace\":\"a\",\"name\":\"svc\"},"
	    "\"spec\":{\"type\":\"NodePort\",\"clusterIP\":\"10.96.0.5\"}}");
	expect_fields("services", "spec.type=NodePort,spec.clusterIP=10.96.0.5", "svc");

	put("{\"apiVersion\":\"v1\",\"kind\":\"Event\",\"metadata\":{\"namespace\":\"a\",\"name\":\"e1\"},"
	    "\"involvedObject\":{\"kind\":\"Pod\",\"name\":\"p1\",\"uid\":\"u\"},\"reason\":\"Started\","
	    "\"type\":\"Normal\",\"source\":{\"component\":\"kubelet\"},\"reportingComponent\":\"rc\"}");
	put("{\"apiVersion\":\"v1\",\"kind\":\"Event\",\"metadata\":{\"namespace\":\"a\",\"name\":\"e2\"},"
	    "\"involvedObject\":{\"kind\":\"Node\"},\"reportingComponent\":\"sched\"}");
	expect_fields("events", "involvedObject.kind=Pod,involvedObject.name=p1,involvedObject.uid=u", "e1");
	expect_fields("events", "source=kubelet", "e1");
	expect_fields("events", "source=sched", "e2");   /* reportingComponent when no source */
	expect_fields("events", "reportingComponent=rc,reason=Started,type=Normal", "e1");
	expect_field_error("events", "message=x", "field label not supported: message");

	put("{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"metadata\":{\"namespace\":\"a\",\"name\":\"j1\"},"
	    "\"status\":{\"succeeded\":2}}");
	put("{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"metadata\":{\"namespace\":\"a\",\"name\":\"j2\"}}");
	expect_fields("jobs", "status.successful=2", "j1");
	expect_fields("jobs", "status.successful!=2", "j2");
	expect_field_error("jobs", "status.succeeded=2", "field label \"status.succeeded\" not supported for batchv1.Job");

	/* kinds without a conversion function: metadata only, the default message
	 * (apps/v1 registers none, so replicasets refuse status.replicas too) */
	put("{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\",\"metadata\":{\"namespace\":\"a\",\"name\":\"rs\"}}");
	expect_fields("replicasets", "metadata.name=rs", "rs");
	expect_field_error("replicasets", "status.replicas=0",
	                   "\"status.replicas\" is not a known field selector: only \"metadata.name\", "
	                   "\"metadata.namespace\"");
	expect_field_error("configmaps", "data.\"k\"=x",   /* quoted as Go's %q */
	                   "\"data.\\\"k\\\"\" is not a known field selector: only \"metadata.name\", "
	                   "\"metadata.namespace\"");
}
END_TEST

START_TEST(test_store_list_label_index)
{
	kube_list_options o = KUBE_LIST_OPTIONS_INIT;
	kube_object_list *l;
	kube_object *cur, *m;
	char *cont = NULL, name[8];

	for (int i = 9; i >= 0; i--) {   /* created out of key order */
		snprintf(name, sizeof(name), "p%d", i);
		kube_object_unref(create_pod(i % 2 ? "b" : "a", name, i % 3 ? "\"app\":\"web\"" : "\"app\":\"db\""));
	}
	o.label_selector = "app=web";
	l = list(&o, NULL, NULL);
	expect_names(l, "a/p2 a/p4 a/p8 b/p1 b/p5 b/p7");
	kube_object_list_free(l);
	o.limit = 4;
	l = list(&o, NULL, &cont);
	expect_names(l, "a/p2 a/p4 a/p8 b/p1");
	kube_object_list_free(l);
	o.continue_token = cont;
	char *cont2 = NULL;
	l = list(&o, NULL, &cont2);
	expect_names(l, "b/p5 b/p7");
	ck_assert_ptr_null(cont2);
	kube_object_list_free(l);
	kube_free(cont);
	o.continue_token = NULL;
	o.limit = 0;

	ck_assert_int_eq(kube_store_get(&cur, st, "pods", "a", "p2"), 0);
	ck_assert_int_eq(kube_object_mutable(&m, cur), 0);
	ck_assert_int_eq(kube_object_set_label(m, "app", "db"), 0);
	ck_assert_int_eq(kube_store_update(NULL, st, m), 0);
	kube_object_unref(m);
	kube_object_unref(cur);
	ck_assert_int_eq(kube_store_delete(NULL, st, "pods", "b", "p5", NULL), 0);
	kube_object_unref(create_pod("a", "p0x", "\"app\":\"web\""));   /* reuses p5's slot */
	l = list(&o, NULL, NULL);
	expect_names(l, "a/p0x a/p4 a/p8 b/p1 b/p7");
	kube_object_list_free(l);
	o.label_selector = "app in (db),app!=web";
	o.namespace_ = "a";
	l = list(&o, NULL, NULL);
	expect_names(l, "a/p0 a/p2 a/p6");
	kube_object_list_free(l);
	o.field_selector = "metadata.name!=p0";
	l = list(&o, NULL, NULL);
	expect_names(l, "a/p2 a/p6");
	kube_object_list_free(l);
}
END_TEST

START_TEST(test_store_list_pages_consistent)
{
	kube_list_options o = KUBE_LIST_OPTIONS_INIT;
	kube_object_list *l;
	kube_object *m;
	char *cont = NULL, *cont2 = NULL;
	int64_t rev = 0, rev2 = 0;
	char name[8];

	for (int i = 0; i < 7; i++) {
		snprintf(name, sizeof(name), "p%d", i);
		kube_object_unref(create_pod("ns", name, "\"app\":\"web\""));
	}
	o.limit = 3;
	l = list(&o, &rev, &cont);
	expect_names(l, "ns/p0 ns/p1 ns/p2");
	ck_assert_int_eq(rev, 7);
	ck_assert_ptr_nonnull(cont);
	kube_object_list_free(l);

	/* Writes between pages: later pages still show revision 7. */
	ck_assert_int_eq(kube_store_delete(NULL, st, "pods", "ns", "p4", NULL), 0);
	kube_object_unref(create_pod("ns", "p35", NULL));
	ck_assert_int_eq(kube_store_get(&m, st, "pods", "ns", "p5"), 0);
	kube_object *mm;
	ck_assert_int_eq(kube_object_mutable(&mm, m), 0);
	ck_assert_int_eq(kube_object_set_label(mm, "app", "db"), 0);
	ck_assert_int_eq(kube_store_update(NULL, st, mm), 0);
	kube_object_unref(mm);

	o.continue_token = cont;
	o.label_selector = "app=web";
	l = list(&o, &rev2, &cont2);
	expect_names(l, "ns/p3 ns/p4 ns/p5");   /* p35 did not exist, p4 still did, p5 was web */
	ck_assert_int_eq(rev2, 7);
	ck_assert_ptr_eq(kube_object_list_get(l, 2), m);   /* the state at 7 is the old object */
	ck_assert_ptr_nonnull(cont2);
	kube_object_list_free(l);
	kube_object_unref(m);
	kube_free(cont);

	o.continue_token = cont2;
	l = list(&o, &rev2, &cont);
	expect_names(l, "ns/p6");
	ck_assert_ptr_null(cont);   /* the last page */
	kube_object_list_free(l);
	kube_free(cont2);

	/* A fresh list sees the present. */
	o.continue_token = NULL;
	o.limit = 0;
	l = list(&o, &rev, NULL);
	expect_names(l, "ns/p0 ns/p1 ns/p2 ns/p3 ns/p6");
	ck_assert_int_eq(rev, 10);
	kube_object_list_free(l);

	/* An exact page: no token when nothing follows. */
	o.limit = 5;
	l = list(&o, NULL, &cont);
	ck_assert_uint_eq(kube_object_list_count(l), 5);
	ck_assert_ptr_null(cont);
	kube_object_list_free(l);
}
END_TEST

START_TEST(test_store_list_bad_tokens)
{
	kube_list_options o = KUBE_LIST_OPTIONS_INIT;
	kube_object_list *l = NULL;

	kube_object_unref(create_pod("ns", "a", NULL));
	o.continue_token = "!!!!";
	expect_err(kube_store_list(&l, st, "pods", &o, NULL, NULL), KUBE_EINVAL,
	           "continue key is not valid: illegal base64 data at input byte 0");
	ck_assert_ptr_null(l);
	/* {"v":"meta.k8s.io/v2","rv":1,"start":"a"} */
	o.continue_token = "eyJ2IjoibWV0YS5rOHMuaW8vdjIiLCJydiI6MSwic3RhcnQiOiJhIn0";
	expect_err(kube_store_list(&l, st, "pods", &o, NULL, NULL), KUBE_EINVAL,
	           "continue key is not valid: server does not recognize this encoded version \"meta.k8s.io/v2\"");
	/* {"v":"meta.k8s.io/v1","rv":0,"start":"a"} */
	o.continue_token = "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MCwic3RhcnQiOiJhIn0";
	expect_err(kube_store_list(&l, st, "pods", &o, NULL, NULL), KUBE_EINVAL,
	           "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)");
	/* {"v":"meta.k8s.io/v1","rv":1,"start":""} */
	o.continue_token = "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MSwic3RhcnQiOiIifQ";
	expect_err(kube_store_list(&l, st, "pods", &o, NULL, NULL), KUBE_EINVAL,
	           "continue key is not valid: encoded start key empty (version meta.k8s.io/v1)");
	/* {"v":"meta.k8s.io/v1","rv":1,"start":"../secrets/x"} */
	o.continue_token = "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MSwic3RhcnQiOiIuLi9zZWNyZXRzL3gifQ";
	expect_err(kube_store_list(&l, st, "pods", &o, NULL, NULL), KUBE_EINVAL,
	           "continue key is not valid: ../secrets/x");
	/* {"v":"meta.k8s.io/v1","rv":99,"start":"a"}: a revision from the future */
	o.continue_token = "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6OTksInN0YXJ0IjoiYSJ9";
	ck_assert_int_eq(kube_store_list(&l, st, "pods", &o, NULL, NULL), KUBE_EINVAL);
	/* {"v":"meta.k8s.io/v1","rv":1,"start":"ns/a"}: inclusive start, valid */
	o.continue_token = "eyJ2IjoibWV0YS5rOHMuaW8vdjEiLCJydiI6MSwic3RhcnQiOiJucy9hIn0";
	l = list(&o, NULL, NULL);
	expect_names(l, "ns/a");
	kube_object_list_free(l);
	o.continue_token = NULL;
	o.index = "nope";
	o.index_value = "x";
	expect_err(kube_store_list(&l, st, "pods", &o, NULL, NULL), KUBE_EINVAL,
	           "Index with name nope does not exist");
}
END_TEST

START_TEST(test_store_list_token_gone)
{
	kube_store_options so = KUBE_STORE_OPTIONS_INIT;
	kube_list_options o = KUBE_LIST_OPTIONS_INIT;
	kube_object_list *l;
	char *cont = NULL;

	so.history = 4;
	setup_opts(&so);
	for (int i = 0; i < 3; i++) {
		char n[4] = { 'a', (char)('0' + i), 0, 0 };
		kube_object_unref(create_pod("ns", n, NULL));
	}
	o.limit = 1;
	l = list(&o, NULL, &cont);
	kube_object_list_free(l);
	for (int i = 0; i < 5; i++) {
		char n[4] = { 'b', (char)('0' + i), 0, 0 };
		kube_object_unref(create_pod("ns", n, NULL));
	}
	o.continue_token = cont;
	expect_err(kube_store_list(&l, st, "pods", &o, NULL, NULL), KUBE_EGONE,
	           "The provided continue parameter is too old to display a consistent list result. "
	           "You can start a new list without the continue parameter.");
	kube_free(cont);
}
END_TEST

/* ---- indexes ---- */

static int index_by_app(const kube_object *o, kube_index_values *v, void *ud)
{
	const char *app = kube_labels_get(kube_object_labels(o), "app");
	(*(int *)ud)++;
	return app ? kube_index_values_add(v, app) : 0;
}

static void destroy_count(void *ud)
{
	(*(int *)ud) += 1000;
}

START_TEST(test_store_indexes)
{
	kube_list_options o = KUBE_LIST_OPTIONS_INIT;
	kube_object_list *l;
	kube_object *in, *m, *cur;
	int calls = 0;
	char *cont = NULL;

	kube_object_unref(create_pod("a", "p1", "\"app\":\"web\""));
	kube_object_unref(create_pod("b", "p2", "\"app\":\"web\""));
	in = pod_json("a", "p3", "\"app\":\"db\"", ",\"ownerReferences\":[{\"apiVersion\":\"apps/v1\","
	              "\"kind\":\"ReplicaSet\",\"name\":\"rs\",\"uid\":\"u-1\",\"controller\":true}]");
	ck_assert_int_eq(kube_object_set_string(in, "spec.nodeName", "node-1"), 0);
	ck_assert_int_eq(kube_store_create(NULL, st, in), 0);
	kube_object_unref(in);

	o.index = KUBE_INDEX_NAMESPACE;
	o.index_value = "a";
	l = list(&o, NULL, NULL);
	expect_names(l, "a/p1 a/p3");
	kube_object_list_free(l);
	o.index = KUBE_INDEX_OWNER;
	o.index_value = "u-1";
	l = list(&o, NULL, NULL);
	expect_names(l, "a/p3");
	kube_object_list_free(l);
	o.index = KUBE_INDEX_NODE_NAME;
	o.index_value = "node-1";
	l = list(&o, NULL, NULL);
	expect_names(l, "a/p3");
	kube_object_list_free(l);

	/* a custom index over existing objects */
	ck_assert_int_eq(kube_store_add_index(st, "pods", "app", index_by_app, &calls, destroy_count), 0);
	ck_assert_int_eq(calls, 3);
	expect_err(kube_store_add_index(st, "pods", "app", index_by_app, &calls, NULL), KUBE_EEXISTS,
	           "indexer conflict: map[app:{}]");
	o.index = "app";
	o.index_value = "web";
	l = list(&o, NULL, NULL);
	expect_names(l, "a/p1 b/p2");
	kube_object_list_free(l);
	/* combined with other filters and pages */
	o.limit = 1;
	l = list(&o, NULL, &cont);
	expect_names(l, "a/p1");
	kube_object_list_free(l);
	o.continue_token = cont;
	l = list(&o, NULL, NULL);
	expect_names(l, "b/p2");
	kube_object_list_free(l);
	kube_free(cont);
	o.continue_token = NULL;
	o.limit = 0;

	/* moving between buckets on update: p3 gets scheduled elsewhere and becomes web */
	ck_assert_int_eq(kube_store_get(&cur, st, "pods", "a", "p3"), 0);
	ck_assert_int_eq(kube_object_mutable(&m, cur), 0);
	ck_assert_int_eq(kube_object_set_string(m, "spec.nodeName", "node-2"), 0);
	ck_assert_int_eq(kube_object_set_label(m, "app", "web"), 0);
	ck_assert_int_eq(kube_store_update(NULL, st, m), 0);
	kube_object_unref(m);
	kube_object_unref(cur);
	l = list(&o, NULL, NULL);
	expect_names(l, "a/p1 a/p3 b/p2");
	kube_object_list_free(l);
	o.index_value = "db";
	l = list(&o, NULL, NULL);
	expect_names(l, "");
	kube_object_list_free(l);
	o.index = KUBE_INDEX_NODE_NAME;
	o.index_value = "node-1";
	l = list(&o, NULL, NULL);
	expect_names(l, "");
	kube_object_list_free(l);
	o.index_value = "node-2";
	l = list(&o, NULL, NULL);
	expect_names(l, "a/p3");
	kube_object_list_free(l);

	/* delete leaves every bucket */
	ck_assert_int_eq(kube_store_delete(NULL, st, "pods", "a", "p3", NULL), 0);
	l = list(&o, NULL, NULL);
	expect_names(l, "");
	kube_object_list_free(l);
	o.index = KUBE_INDEX_OWNER;
	o.index_value = "u-1";
	l = list(&o, NULL, NULL);
	expect_names(l, "");
	kube_object_list_free(l);

	kube_store_close(st);
	st = NULL;
	ck_assert_int_ge(calls, 1000);   /* destroy ran once at close */
	ck_assert_int_lt(calls, 2000);
}
END_TEST

/* ---- watch ---- */

START_TEST(test_store_watch_order_exactly_once_many_watchers)
{
	recorder *r[3];
	kube_watch_options wo = KUBE_WATCH_OPTIONS_INIT;
	char name[16];
	int64_t expect_rev = 0;

	for (int i = 0; i < 3; i++) {
		r[i] = rec_new();
		ck_assert_int_eq(kube_store_watch(NULL, st, "pods", &wo, rec_cb, r[i], rec_destroy), 0);
	}
	/* 300 creates, 200 updates, 100 deletes, pumping the loop now and then */
	for (int i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "p%03d", i);
		kube_object_unref(create_pod("ns", name, NULL));
		if (i % 37 == 0)
			pump();
	}
	for (int i = 0; i < 200; i++) {
		kube_object *cur, *m;
		snprintf(name, sizeof(name), "p%03d", i);
		ck_assert_int_eq(kube_store_get(&cur, st, "pods", "ns", name), 0);
		ck_assert_int_eq(kube_object_mutable(&m, cur), 0);
		ck_assert_int_eq(kube_object_set_label(m, "n", "1"), 0);
		ck_assert_int_eq(kube_store_update(NULL, st, m), 0);
		kube_object_unref(m);
		kube_object_unref(cur);
		if (i % 53 == 0)
			pump();
	}
	for (int i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "p%03d", i * 3);
		ck_assert_int_eq(kube_store_delete(NULL, st, "pods", "ns", name, NULL), 0);
	}
	pump();
	for (int w = 0; w < 3; w++) {
		ck_assert_uint_eq(r[w]->n, 600);
		expect_rev = 0;
		for (size_t i = 0; i < 600; i++) {
			rec_event *e = &r[w]->ev[i];
			ck_assert_int_eq(e->revision, ++expect_rev);   /* every one, in order */
			ck_assert_int_eq(e->type, i < 300 ? KUBE_WATCH_ADDED : i < 500 ? KUBE_WATCH_MODIFIED
			                                                             : KUBE_WATCH_DELETED);
			char rv[24];
			snprintf(rv, sizeof(rv), "%lld", (long long)e->revision);
			ck_assert_str_eq(kube_object_resource_version(e->obj), rv);
			/* every watcher got the same object, not a copy */
			ck_assert_ptr_eq(e->obj, r[0]->ev[i].obj);
		}
	}
	close_store();
	for (int i = 0; i < 3; i++)
		rec_free(r[i]);
}
END_TEST

START_TEST(test_store_watch_from_revision_and_initial_events)
{
	recorder *from2 = rec_new(), *from0 = rec_new();
	kube_watch_options wo = KUBE_WATCH_OPTIONS_INIT;

	kube_object_unref(create_pod("ns", "a", NULL));
	kube_object_unref(create_pod("ns", "c", NULL));
	kube_object_unref(create_pod("ns", "b", NULL));
	ck_assert_int_eq(kube_store_delete(NULL, st, "pods", "ns", "c", NULL), 0);
	wo.revision = 2;
	ck_assert_int_eq(kube_store_watch(NULL, st, "pods", &wo, rec_cb, from2, rec_destroy), 0);
	wo.revision = 0;
	ck_assert_int_eq(kube_store_watch(NULL, st, "pods", &wo, rec_cb, from0, rec_destroy), 0);
	ck_assert_uint_eq(from2->n, 0);
	pump();
	/* from 2: the events of revisions 3 and 4 */
	ck_assert_uint_eq(from2->n, 2);
	ck_assert_int_eq(from2->ev[0].type, KUBE_WATCH_ADDED);
	ck_assert_str_eq(from2->ev[0].name, "b");
	ck_assert_int_eq(from2->ev[1].type, KUBE_WATCH_DELETED);
	ck_assert_str_eq(from2->ev[1].name, "c");
	ck_assert_int_eq(from2->ev[1].revision, 4);
	/* from 0: what exists now, in key order, then changes */
	ck_assert_uint_eq(from0->n, 2);
	ck_assert_int_eq(from0->ev[0].type, KUBE_WATCH_ADDED);
	ck_assert_str_eq(from0->ev[0].name, "a");
	ck_assert_int_eq(from0->ev[0].revision, 1);
	ck_assert_str_eq(from0->ev[1].name, "b");
	ck_assert_int_eq(from0->ev[1].revision, 3);
	kube_object_unref(create_pod("ns", "d", NULL));
	pump();
	ck_assert_uint_eq(from0->n, 3);
	ck_assert_str_eq(from0->ev[2].name, "d");
	ck_assert_int_eq(from0->ev[2].revision, 5);
	ck_assert_uint_eq(from2->n, 3);

	wo.revision = 6;
	expect_err(kube_store_watch(NULL, st, "pods", &wo, rec_cb, from0, rec_destroy), KUBE_EINVAL,
	           "Too large resource version: 6, current: 5");
	close_store();
	rec_free(from2);
	rec_free(from0);
}
END_TEST

START_TEST(test_store_watch_gone)
{
	kube_store_options so = KUBE_STORE_OPTIONS_INIT;
	kube_watch_options wo = KUBE_WATCH_OPTIONS_INIT;
	recorder *r = rec_new(), *late = rec_new();
	char name[8];

	so.history = 5;
	setup_opts(&so);
	ck_assert_int_eq(kube_store_watch(NULL, st, "pods", &wo, rec_cb, late, rec_destroy), 0);
	for (int i = 0; i < 8; i++) {
		snprintf(name, sizeof(name), "p%d", i);
		kube_object_unref(create_pod("ns", name, NULL));
	}
	/* the ring holds revisions 4..8: a watch may start at 3 or later */
	wo.revision = 2;
	expect_err(kube_store_watch(NULL, st, "pods", &wo, rec_cb, r, rec_destroy), KUBE_EGONE,
	           "too old resource version: 2 (3)");
	ck_assert_int_eq(r->destroyed, 0);
	wo.revision = 3;
	ck_assert_int_eq(kube_store_watch(NULL, st, "pods", &wo, rec_cb, r, rec_destroy), 0);
	pump();
	ck_assert_uint_eq(r->n, 5);
	ck_assert_int_eq(r->ev[0].revision, 4);
	/* `late` watched from 0 but never ran before its events left the ring */
	ck_assert_uint_eq(late->n, 1);
	ck_assert_int_eq(late->ev[0].type, KUBE_WATCH_ERROR);
	ck_assert_int_eq(late->ev[0].error, KUBE_EGONE);
	ck_assert_int_eq(late->destroyed, 1);   /* freed after its ERROR */
	close_store();
	rec_free(r);
	rec_free(late);
}
END_TEST

START_TEST(test_store_watch_slow_watcher_ended)
{
	kube_store_options so = KUBE_STORE_OPTIONS_INIT;
	kube_watch_options wo = KUBE_WATCH_OPTIONS_INIT;
	recorder *slow = rec_new(), *fast = rec_new();
	kube_watch *ws;
	char name[8];

	so.watch_backlog = 3;
	setup_opts(&so);
	ck_assert_int_eq(kube_store_watch(&ws, st, "pods", &wo, rec_cb, slow, rec_destroy), 0);
	ck_assert_int_eq(kube_store_watch(NULL, st, "pods", &wo, rec_cb, fast, rec_destroy), 0);
	kube_watch_pause(ws);
	for (int i = 0; i < 3; i++) {
		snprintf(name, sizeof(name), "p%d", i);
		kube_object_unref(create_pod("ns", name, NULL));
	}
	pump();
	ck_assert_uint_eq(slow->n, 0);   /* paused, within its bound */
	kube_watch_resume(ws);
	pump();
	ck_assert_uint_eq(slow->n, 3);
	kube_watch_pause(ws);
	for (int i = 3; i < 7; i++) {
		snprintf(name, sizeof(name), "p%d", i);
		kube_object_unref(create_pod("ns", name, NULL));   /* writers never wait */
	}
	ck_assert_int_eq(kube_store_revision(st), 7);
	pump();
	ck_assert_uint_eq(slow->n, 4);
	ck_assert_int_eq(slow->ev[3].type, KUBE_WATCH_ERROR);
	ck_assert_int_eq(slow->ev[3].error, KUBE_EBUSY);
	ck_assert_int_eq(slow->destroyed, 1);
	ck_assert_uint_eq(fast->n, 7);   /* the others are unaffected */
	ck_assert_int_eq(fast->ev[6].revision, 7);
	close_store();
	rec_free(slow);
	rec_free(fast);
}
END_TEST

static void create_configmap(const char *name)
{
	char json[256];
	snprintf(json, sizeof(json), "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":"
	         "{\"namespace\":\"ns\",\"name\":\"%s\"}}", name);
	ck_assert_int_eq(kube_store_create_json(NULL, st, json, strlen(json)), 0);
}

/* A paused watcher's backlog is what it would be sent: writes to other
 * resources (or outside its selector) neither end it as slow nor, with a
 * short history, as gone; its own do, past the bound. */
START_TEST(test_store_watch_backlog_counts_its_own_events)
{
	kube_store_options so = KUBE_STORE_OPTIONS_INIT;
	kube_watch_options wo = KUBE_WATCH_OPTIONS_INIT;
	recorder *pods = rec_new(), *web = rec_new();
	kube_watch *wp, *ww;
	char name[8];

	so.watch_backlog = 3;
	so.history = 4;
	setup_opts(&so);
	ck_assert_int_eq(kube_store_watch(&wp, st, "pods", &wo, rec_cb, pods, rec_destroy), 0);
	wo.label_selector = "app=web";
	ck_assert_int_eq(kube_store_watch(&ww, st, "pods", &wo, rec_cb, web, rec_destroy), 0);
	kube_watch_pause(wp);
	kube_watch_pause(ww);
	for (int i = 0; i < 10; i++) {   /* more than the history holds */
		snprintf(name, sizeof(name), "c%d", i);
		create_configmap(name);
		pump();
	}
	kube_object_unref(create_pod("ns", "p0", "\"app\":\"db\""));
	kube_object_unref(create_pod("ns", "p1", "\"app\":\"db\""));
	pump();
	ck_assert_uint_eq(pods->n, 0);
	ck_assert_uint_eq(web->n, 0);
	kube_watch_resume(wp);
	kube_watch_resume(ww);
	pump();
	ck_assert_uint_eq(pods->n, 2);
	ck_assert_int_eq(pods->ev[0].type, KUBE_WATCH_ADDED);
	ck_assert_str_eq(pods->ev[0].name, "p0");
	ck_assert_int_eq(pods->ev[0].revision, 11);
	ck_assert_str_eq(pods->ev[1].name, "p1");
	ck_assert_uint_eq(web->n, 0);

	/* its own events past the bound end it; the other is still within */
	kube_watch_pause(wp);
	kube_watch_pause(ww);
	for (int i = 2; i < 6; i++) {
		snprintf(name, sizeof(name), "p%d", i);
		kube_object_unref(create_pod("ns", name, NULL));
		pump();
	}
	ck_assert_uint_eq(pods->n, 3);
	ck_assert_int_eq(pods->ev[2].type, KUBE_WATCH_ERROR);
	ck_assert_int_eq(pods->ev[2].error, KUBE_EBUSY);
	ck_assert_int_eq(pods->destroyed, 1);
	ck_assert_uint_eq(web->n, 0);
	ck_assert_int_eq(web->destroyed, 0);
	kube_watch_cancel(ww);
	ck_assert_int_eq(web->destroyed, 1);
	close_store();
	rec_free(pods);
	rec_free(web);
}
END_TEST

/* A destroy callback that cancels other watches: the store frees those at
 * once, and must not walk on to them (use after free under ASan). */
typedef struct canceller {
	kube_watch *others[2];
	int destroyed;
} canceller;

static void cancel_others(void *ud)
{
	canceller *c = ud;
	c->destroyed++;
	for (int i = 0; i < 2; i++)
		kube_watch_cancel(c->others[i]);
}

static void ignore_event(kube_watch *w, const kube_watch_event *e, void *ud)
{
	(void)w;
	(void)e;
	(void)ud;
}

START_TEST(test_store_watch_destroy_cancels_others)
{
	kube_watch_options wo = KUBE_WATCH_OPTIONS_INIT;
	recorder *r[4];
	canceller c = { { NULL, NULL }, 0 };
	kube_watch *first, *w[4];

	setup_opts(NULL);
	ck_assert_int_eq(kube_store_watch(&first, st, "pods", &wo, ignore_event, &c, cancel_others), 0);
	for (int i = 0; i < 4; i++) {
		r[i] = rec_new();
		ck_assert_int_eq(kube_store_watch(&w[i], st, "pods", &wo, rec_cb, r[i], rec_destroy), 0);
	}
	/* freeing the first watch cancels (and frees) the two after it */
	c.others[0] = w[0];
	c.others[1] = w[1];
	kube_watch_cancel(first);
	ck_assert_int_eq(c.destroyed, 1);
	ck_assert_int_eq(r[0]->destroyed, 1);
	ck_assert_int_eq(r[1]->destroyed, 1);
	ck_assert_int_eq(r[2]->destroyed, 0);
	ck_assert_int_eq(r[3]->destroyed, 0);
	kube_object_unref(create_pod("ns", "a", NULL));
	pump();
	ck_assert_uint_eq(r[0]->n, 0);
	ck_assert_uint_eq(r[2]->n, 1);
	ck_assert_uint_eq(r[3]->n, 1);
	close_store();
	ck_assert_int_eq(r[2]->destroyed, 1);
	for (int i = 0; i < 4; i++)
		rec_free(r[i]);
}
END_TEST

START_TEST(test_store_watch_selectors_and_cancel)
{
	kube_watch_options wo = KUBE_WATCH_OPTIONS_INIT;
	recorder *sel = rec_new(), *ns = rec_new(), *once = rec_new();
	kube_watch *w;
	kube_object *cur, *m;

	wo.label_selector = "app=web";
	ck_assert_int_eq(kube_store_watch(NULL, st, "pods", &wo, rec_cb, sel, rec_destroy), 0);
	wo.label_selector = NULL;
	wo.namespace_ = "other";
	ck_assert_int_eq(kube_store_watch(NULL, st, "pods", &wo, rec_cb, ns, rec_destroy), 0);
	wo.namespace_ = NULL;
	once->cancel_after = 1;
	ck_assert_int_eq(kube_store_watch(&w, st, "pods", &wo, rec_cb, once, rec_destroy), 0);

	kube_object_unref(create_pod("ns", "a", "\"app\":\"db\""));             /* 1 */
	ck_assert_int_eq(kube_store_get(&cur, st, "pods", "ns", "a"), 0);
	ck_assert_int_eq(kube_object_mutable(&m, cur), 0);
	ck_assert_int_eq(kube_object_set_label(m, "app", "web"), 0);
	ck_assert_int_eq(kube_store_update(NULL, st, m), 0);                     /* 2: now selected */
	kube_object_unref(m);
	kube_object_unref(cur);
	ck_assert_int_eq(kube_store_get(&cur, st, "pods", "ns", "a"), 0);
	ck_assert_int_eq(kube_object_mutable(&m, cur), 0);
	ck_assert_int_eq(kube_object_set_string(m, "status.phase", "Running"), 0);
	ck_assert_int_eq(kube_store_update(NULL, st, m), 0);                     /* 3 */
	kube_object_unref(m);
	kube_object_unref(cur);
	ck_assert_int_eq(kube_store_get(&cur, st, "pods", "ns", "a"), 0);
	ck_assert_int_eq(kube_object_mutable(&m, cur), 0);
	ck_assert_int_eq(kube_object_set_label(m, "app", NULL), 0);
	ck_assert_int_eq(kube_store_update(NULL, st, m), 0);                     /* 4: no longer */
	kube_object_unref(m);
	kube_object_unref(cur);
	kube_object_unref(create_pod("other", "b", "\"app\":\"web\""));          /* 5 */
	pump();

	ck_assert_uint_eq(sel->n, 4);
	ck_assert_int_eq(sel->ev[0].type, KUBE_WATCH_ADDED);
	ck_assert_int_eq(sel->ev[0].revision, 2);
	ck_assert_int_eq(sel->ev[1].type, KUBE_WATCH_MODIFIED);
	ck_assert_int_eq(sel->ev[1].revision, 3);
	ck_assert_int_eq(sel->ev[2].type, KUBE_WATCH_DELETED);
	ck_assert_int_eq(sel->ev[2].revision, 4);
	/* the state it was selected in, stamped with the change's version */
	ck_assert_str_eq(kube_labels_get(kube_object_labels(sel->ev[2].obj), "app"), "web");
	ck_assert_str_eq(kube_object_resource_version(sel->ev[2].obj), "4");
	ck_assert_int_eq(sel->ev[3].type, KUBE_WATCH_ADDED);
	ck_assert_str_eq(sel->ev[3].name, "b");
	ck_assert_uint_eq(ns->n, 1);
	ck_assert_str_eq(ns->ev[0].name, "b");
	/* cancelled inside its first callback: one event, destroy ran */
	ck_assert_uint_eq(once->n, 1);
	ck_assert_int_eq(once->destroyed, 1);
	kube_watch_cancel(NULL);
	close_store();
	rec_free(sel);
	rec_free(ns);
	rec_free(once);
}
END_TEST

START_TEST(test_store_watch_write_inside_callback)
{
	kube_watch_options wo = KUBE_WATCH_OPTIONS_INIT;
	recorder *r = rec_new(), *other = rec_new();

	r->write_on_first = 1;
	ck_assert_int_eq(kube_store_watch(NULL, st, "pods", &wo, rec_cb, r, rec_destroy), 0);
	ck_assert_int_eq(kube_store_watch(NULL, st, "pods", &wo, rec_cb, other, rec_destroy), 0);
	kube_object_unref(create_pod("default", "first", NULL));
	pump();
	ck_assert_uint_eq(r->n, 2);
	ck_assert_str_eq(r->ev[0].name, "first");
	ck_assert_str_eq(r->ev[1].name, "from-callback");
	ck_assert_uint_eq(other->n, 2);
	ck_assert_str_eq(other->ev[0].name, "first");
	ck_assert_str_eq(other->ev[1].name, "from-callback");
	close_store();
	rec_free(r);
	rec_free(other);
}
END_TEST

static void stop_loop(kube_timer *t, void *ud)
{
	(void)t;
	kube_loop_stop(ud);
}

static recorder *bm_watch;

/* Stops the loop once the bookmark watcher has two events. */
static void stop_at_two(kube_timer *t, void *ud)
{
	(void)t;
	if (bm_watch->n >= 2)
		kube_loop_stop(ud);
}

START_TEST(test_store_watch_bookmarks)
{
	kube_store_options so = KUBE_STORE_OPTIONS_INIT;
	kube_watch_options wo = KUBE_WATCH_OPTIONS_INIT;
	recorder *bm = rec_new(), *plain = rec_new();
	kube_timer *t;

	so.bookmark_ms = 10;
	setup_opts(&so);
	kube_object_unref(create_pod("ns", "a", "\"app\":\"db\""));
	wo.label_selector = "app=web";   /* sees no object events at all */
	wo.bookmarks = 1;
	wo.revision = 1;
	ck_assert_int_eq(kube_store_watch(NULL, st, "pods", &wo, rec_cb, bm, rec_destroy), 0);
	wo.bookmarks = 0;
	ck_assert_int_eq(kube_store_watch(NULL, st, "pods", &wo, rec_cb, plain, rec_destroy), 0);
	kube_object_unref(create_pod("ns", "b", "\"app\":\"db\""));
	kube_timer *check;
	bm_watch = bm;
	ck_assert_int_eq(kube_timer_new(&t, loop, stop_loop, loop, NULL), 0);
	ck_assert_int_eq(kube_timer_start(t, 5000, 0), 0);   /* a bound, not the expected path */
	ck_assert_int_eq(kube_timer_new(&check, loop, stop_at_two, loop, NULL), 0);
	ck_assert_int_eq(kube_timer_start(check, 1, 1), 0);
	ck_assert_int_eq(kube_loop_run(loop), 0);
	kube_timer_free(check);
	ck_assert_uint_ge(bm->n, 2);
	for (size_t i = 0; i < bm->n; i++) {
		ck_assert_int_eq(bm->ev[i].type, KUBE_WATCH_BOOKMARK);
		ck_assert_int_eq(bm->ev[i].revision, 2);
		ck_assert_ptr_null(bm->ev[i].obj);
	}
	ck_assert_uint_eq(plain->n, 0);
	kube_timer_free(t);
	close_store();
	rec_free(bm);
	rec_free(plain);
}
END_TEST

/* ---- the SQLite backend ---- */

static char tmpdir[64];

static void sqlite_setup(void)
{
	strcpy(tmpdir, "/tmp/kube-store-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	ck_assert_int_eq(kube_loop_new(&loop, NULL), 0);
}

static void rm_tree(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char p[512];

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, de->d_name);
		if (de->d_type == DT_DIR)
			rm_tree(p);
		else
			unlink(p);
	}
	closedir(d);
	rmdir(dir);
}

static void sqlite_teardown(void)
{
	kube_store_close(st);
	st = NULL;
	kube_loop_free(loop);
	loop = NULL;
	rm_tree(tmpdir);
}

static int open_sqlite(kube_store **out, const char *dir)
{
	kube_store_options o = KUBE_STORE_OPTIONS_INIT;
	o.backend = "sqlite";
	o.path = dir;
	return kube_store_open(out, loop, &o);
}

static void set_string(const char *ns, const char *name, const char *path, const char *value)
{
	kube_object *cur, *m;
	ck_assert_int_eq(kube_store_get(&cur, st, "pods", ns, name), 0);
	ck_assert_int_eq(kube_object_mutable(&m, cur), 0);
	ck_assert_int_eq(kube_object_set_string(m, path, value), 0);
	ck_assert_int_eq(kube_store_update(NULL, st, m), 0);
	kube_object_unref(m);
	kube_object_unref(cur);
}

/* An object nested deeper than the decoder's default for callers' JSON
 * (256) can be written through a tree; the store must open with it. */
START_TEST(test_store_sqlite_reopens_deep_object)
{
	kube_object *m = NULL, *out = NULL;
	char deep[1024], *before, *after;
	size_t n = 0;

	ck_assert_int_eq(open_sqlite(&st, tmpdir), 0);
	/* 255 levels (the most the decoder takes in one piece), two maps
	 * above them: 257 */
	for (int i = 0; i < 255; i++)
		deep[n++] = '[';
	for (int i = 0; i < 255; i++)
		deep[n++] = ']';
	deep[n] = '\0';
	ck_assert_int_eq(kube_object_from_json(&m, "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\","
	                                          "\"metadata\":{\"name\":\"deep\",\"namespace\":\"ns\"}}", 82), 0);
	ck_assert_int_eq(kube_object_set_json(m, "data", "{}"), 0);
	ck_assert_int_eq(kube_object_set_json(m, "data2", "{}"), 0);
	ck_assert_int_eq(kube_object_set_json(m, "data2.x", deep), 0);
	ck_assert_int_eq(kube_store_create_take(&out, st, m), 0);
	ck_assert_int_eq(kube_encode(&before, NULL, out, KUBE_FORMAT_JSON, 0), 0);
	kube_object_unref(out);
	kube_store_close(st);
	ck_assert_int_eq(open_sqlite(&st, tmpdir), 0);
	ck_assert_int_eq(kube_store_get(&out, st, "configmaps", "ns", "deep"), 0);
	ck_assert_int_eq(kube_encode(&after, NULL, out, KUBE_FORMAT_JSON, 0), 0);
	ck_assert_str_eq(after, before);
	free(before);
	free(after);
	kube_object_unref(out);
}
END_TEST

/* Rows in the encoder's form are read from their bytes at open, others
 * decoded: both give the object a write would have left, stamped with the
 * row's revision and indexed. */
START_TEST(test_store_sqlite_reopen_reads_rows_as_stored)
{
	kube_list_options lo = KUBE_LIST_OPTIONS_INIT;
	static const struct {
		const char *name, *want;
	} rows[] = {
		{ "c", "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"c\",\"namespace\":"
		       "\"ns\",\"uid\":\"u-c\",\"labels\":{\"app\":\"x\"},\"generation\":3,"
		       "\"resourceVersion\":\"2\"},\"spec\":{\"nodeName\":\"n1\"}}" },
		{ "d", "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"d\",\"namespace\":"
		       "\"ns\",\"uid\":\"u-d\",\"resourceVersion\":\"3\"},\"spec\":{\"x\":1.50}}" },
		{ "e", "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"e\",\"namespace\":"
		       "\"ns\",\"resourceVersion\":\"4\"}}" },
	};
	kube_object_list *l = NULL;
	kube_object *got;
	char file[128], *json;
	sqlite3 *db;

	ck_assert_int_eq(open_sqlite(&st, tmpdir), 0);
	kube_object_unref(create_pod("ns", "a", NULL));   /* rev 1: schema 3 */
	close_store();
	snprintf(file, sizeof(file), "%s/store.db", tmpdir);
	ck_assert_int_eq(sqlite3_open(file, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db,
		/* the encoder's form */
		"INSERT INTO log VALUES(2, 'pods/ns/c', '{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":"
		"{\"name\":\"c\",\"namespace\":\"ns\",\"uid\":\"u-c\",\"labels\":{\"app\":\"x\"},"
		"\"generation\":3},\"spec\":{\"nodeName\":\"n1\"}}');"
		/* spaces, an escape, a float (kept as written): decoded */
		"INSERT INTO log VALUES(3, 'pods/ns/d', '{ \"apiVersion\": \"v1\", \"kind\": \"Pod\", "
		"\"metadata\": {\"name\": \"d\", \"namespace\": \"ns\", \"uid\": \"u-\\u0064\"}, "
		"\"spec\": {\"x\": 1.50}}');"
		/* a resourceVersion of its own: the row's revision wins */
		"INSERT INTO log VALUES(4, 'pods/ns/e', '{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":"
		"{\"name\":\"e\",\"namespace\":\"ns\",\"resourceVersion\":\"99\"}}');"
		"UPDATE meta SET value=4", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	ck_assert_int_eq(open_sqlite(&st, tmpdir), 0);
	ck_assert_int_eq(kube_store_revision(st), 4);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		ck_assert_int_eq(kube_store_get(&got, st, "pods", "ns", rows[i].name), 0);
		json = stored_json(got);
		ck_assert_str_eq(json, rows[i].want);
		free(json);
		kube_object_unref(got);
	}
	ck_assert_int_eq(kube_store_get(&got, st, "pods", "ns", "c"), 0);
	ck_assert_int_eq(kube_object_generation(got), 3);
	ck_assert_str_eq(kube_object_uid(got), "u-c");
	kube_object_unref(got);
	lo.label_selector = "app=x";
	ck_assert_int_eq(kube_store_list(&l, st, "pods", &lo, NULL, NULL), 0);
	ck_assert_uint_eq(kube_object_list_count(l), 1);
	ck_assert_str_eq(kube_object_name(kube_object_list_get(l, 0)), "c");
	kube_object_list_free(l);
	lo.label_selector = NULL;
	lo.field_selector = "spec.nodeName=n1";
	ck_assert_int_eq(kube_store_list(&l, st, "pods", &lo, NULL, NULL), 0);
	ck_assert_uint_eq(kube_object_list_count(l), 1);
	ck_assert_str_eq(kube_object_name(kube_object_list_get(l, 0)), "c");
	kube_object_list_free(l);
	/* and they are written on as any object */
	set_string("ns", "c", "metadata.labels.app", "y");
	ck_assert_int_eq(kube_store_get(&got, st, "pods", "ns", "c"), 0);
	ck_assert_str_eq(kube_object_resource_version(got), "5");
	ck_assert_int_eq(kube_object_generation(got), 3);
	kube_object_unref(got);
}
END_TEST

START_TEST(test_store_sqlite_reopen)
{
	kube_object *a, *in, *got;
	kube_list_options lo = KUBE_LIST_OPTIONS_INIT;
	kube_watch_options wo = KUBE_WATCH_OPTIONS_INIT;
	kube_object_list *l;
	recorder *r = rec_new();
	char uid[40];
	int64_t rev;

	ck_assert_int_eq(open_sqlite(&st, tmpdir), 0);
	a = create_pod("ns", "a", "\"app\":\"web\"");                    /* 1 */
	snprintf(uid, sizeof(uid), "%s", kube_object_uid(a));
	kube_object_unref(a);
	set_string("ns", "a", "spec.nodeName", "n1");                       /* 2 */
	kube_object_unref(create_pod("ns", "b", "\"app\":\"db\""));       /* 3 */
	kube_object_unref(create_pod("ns", "c", NULL));                    /* 4 */
	ck_assert_int_eq(kube_store_delete(NULL, st, "pods", "ns", "c", NULL), 0);   /* 5 */
	in = pod_json("ns", "d", NULL, ",\"finalizers\":[\"x/y\"]");
	ck_assert_int_eq(kube_store_create(NULL, st, in), 0);              /* 6 */
	kube_object_unref(in);
	ck_assert_int_eq(kube_store_delete(NULL, st, "pods", "ns", "d", NULL), 0);   /* 7 */
	close_store();

	ck_assert_int_eq(open_sqlite(&st, tmpdir), 0);
	ck_assert_int_eq(kube_store_revision(st), 7);
	ck_assert_int_eq(kube_store_get(&got, st, "pods", "ns", "a"), 0);
	ck_assert_str_eq(kube_object_uid(got), uid);
	ck_assert_str_eq(kube_object_resource_version(got), "2");
	ck_assert_int_eq(kube_object_is_frozen(got), 1);
	kube_object_unref(got);
	ck_assert_int_eq(kube_store_get(&got, st, "pods", "ns", "c"), KUBE_ENOTFOUND);
	ck_assert_int_eq(kube_store_get(&got, st, "pods", "ns", "d"), 0);
	ck_assert_ptr_nonnull(kube_object_deletion_timestamp(got));
	ck_assert_str_eq(kube_object_resource_version(got), "7");
	kube_object_unref(got);

	/* indexes are rebuilt */
	l = list(NULL, &rev, NULL);
	expect_names(l, "ns/a ns/b ns/d");
	ck_assert_int_eq(rev, 7);
	kube_object_list_free(l);
	lo.index = KUBE_INDEX_NODE_NAME;
	lo.index_value = "n1";
	l = list(&lo, NULL, NULL);
	expect_names(l, "ns/a");
	kube_object_list_free(l);
	lo.index = NULL;
	lo.index_value = NULL;
	lo.label_selector = "app=db";
	l = list(&lo, NULL, NULL);
	expect_names(l, "ns/b");
	kube_object_list_free(l);

	/* the history did not survive, the revision did */
	wo.revision = 6;
	expect_err(kube_store_watch(NULL, st, "pods", &wo, rec_cb, r, rec_destroy), KUBE_EGONE,
	           "too old resource version: 6 (7)");
	wo.revision = 7;
	ck_assert_int_eq(kube_store_watch(NULL, st, "pods", &wo, rec_cb, r, rec_destroy), 0);
	a = create_pod("ns", "e", NULL);
	ck_assert_str_eq(kube_object_resource_version(a), "8");
	kube_object_unref(a);
	pump();
	ck_assert_uint_eq(r->n, 1);
	ck_assert_int_eq(r->ev[0].revision, 8);

	/* removing the last finalizer of d deletes it, durably */
	ck_assert_int_eq(kube_store_get(&got, st, "pods", "ns", "d"), 0);
	ck_assert_int_eq(kube_object_mutable(&in, got), 0);
	ck_assert_int_eq(kube_object_remove(in, "metadata.finalizers"), 0);
	ck_assert_int_eq(kube_store_update(NULL, st, in), 0);
	kube_object_unref(in);
	kube_object_unref(got);
	ck_assert_int_eq(kube_store_get(&got, st, "pods", "ns", "d"), KUBE_ENOTFOUND);
	close_store();
	rec_free(r);
	ck_assert_int_eq(open_sqlite(&st, tmpdir), 0);
	ck_assert_int_eq(kube_store_revision(st), 9);
}
END_TEST


/* A database of schema 1 (one row per key in a table ordered by key) is
 * converted on open: the same objects, revisions and next revision. */
START_TEST(test_store_sqlite_schema1_converted)
{
	char file[128];
	sqlite3 *db;
	kube_object *got;
	const char *rv;

	snprintf(file, sizeof(file), "%s/store.db", tmpdir);
	ck_assert_int_eq(sqlite3_open(file, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db,
		"PRAGMA page_size=16384; PRAGMA journal_mode=WAL;"
		"CREATE TABLE kv(key TEXT PRIMARY KEY NOT NULL, value BLOB NOT NULL,"
		" mod_revision INTEGER NOT NULL) WITHOUT ROWID;"
		"CREATE TABLE meta(name TEXT PRIMARY KEY NOT NULL, value INTEGER NOT NULL) WITHOUT ROWID;"
		"INSERT INTO meta VALUES('revision', 9);"
		"INSERT INTO kv VALUES('pods/ns/a', '{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":"
		"{\"name\":\"a\",\"namespace\":\"ns\",\"uid\":\"u-a\",\"labels\":{\"app\":\"web\"}}}', 4);"
		"INSERT INTO kv VALUES('pods/ns/b', '{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":"
		"{\"name\":\"b\",\"namespace\":\"ns\",\"uid\":\"u-b\"},\"spec\":{\"nodeName\":\"n1\"}}', 7);"
		"PRAGMA user_version=1;", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	ck_assert_int_eq(open_sqlite(&st, tmpdir), 0);
	ck_assert_int_eq(kube_store_revision(st), 9);
	ck_assert_int_eq(kube_store_get(&got, st, "pods", "ns", "a"), 0);
	ck_assert_str_eq(kube_object_resource_version(got), "4");
	ck_assert_str_eq(kube_object_uid(got), "u-a");
	ck_assert(compact_without_tree(got));
	kube_object_unref(got);
	expect_fields("pods", "spec.nodeName=n1", "b");
	kube_object_unref(create_pod("ns", "c", NULL));
	ck_assert_int_eq(kube_store_get(&got, st, "pods", "ns", "b"), 0);
	ck_assert_str_eq(kube_object_resource_version(got), "7");
	kube_object_unref(got);
	close_store();

	/* reopened: schema 3, the rows as they were plus the new one */
	ck_assert_int_eq(open_sqlite(&st, tmpdir), 0);
	ck_assert_int_eq(kube_store_revision(st), 10);
	ck_assert_int_eq(kube_store_get(&got, st, "pods", "ns", "c"), 0);
	ck_assert_str_eq(kube_object_resource_version(got), "10");
	kube_object_unref(got);
	ck_assert_int_eq(kube_store_get(&got, st, "pods", "ns", "a"), 0);
	ck_assert_int_eq(kube_object_get_string(got, "metadata.resourceVersion", &rv), 0);
	ck_assert_str_eq(rv, "4");
	kube_object_unref(got);
	close_store();
	ck_assert_int_eq(sqlite3_open(file, &db), SQLITE_OK);
	sqlite3_stmt *q;
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT (SELECT group_concat(rev || '=' || key, ' ') FROM "
	                 "(SELECT rev, key FROM log ORDER BY rev)), (SELECT count(*) FROM sqlite_master WHERE "
	                 "name='kv'), (SELECT user_version FROM pragma_user_version)", -1, &q, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(q), SQLITE_ROW);
	ck_assert_str_eq((const char *)sqlite3_column_text(q, 0), "4=pods/ns/a 7=pods/ns/b 10=pods/ns/c");
	ck_assert_int_eq(sqlite3_column_int(q, 1), 0);
	ck_assert_int_eq(sqlite3_column_int(q, 2), 3);
	sqlite3_finalize(q);
	sqlite3_close(db);
}
END_TEST

/* The number of indexes on table log, and the schema version. */
static void expect_schema3(const char *file)
{
	sqlite3 *db;
	sqlite3_stmt *q;

	ck_assert_int_eq(sqlite3_open(file, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT (SELECT count(*) FROM sqlite_master WHERE "
	                 "type='index' AND tbl_name='log'), (SELECT user_version FROM pragma_user_version)",
	                 -1, &q, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(q), SQLITE_ROW);
	ck_assert_int_eq(sqlite3_column_int(q, 0), 0);
	ck_assert_int_eq(sqlite3_column_int(q, 1), 3);
	sqlite3_finalize(q);
	sqlite3_close(db);
}

/* Schema 2 (log with a UNIQUE key, whose index cost a commit one random
 * leaf per key) is rebuilt without the index: same objects and revisions,
 * and updates and deletes find their rows. */
START_TEST(test_store_sqlite_schema2_converted)
{
	char file[128];
	sqlite3 *db;
	kube_object *got;

	snprintf(file, sizeof(file), "%s/store.db", tmpdir);
	ck_assert_int_eq(sqlite3_open(file, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db,
		"PRAGMA page_size=4096; PRAGMA journal_mode=WAL;"
		"CREATE TABLE log(rev INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE, value BLOB NOT NULL);"
		"CREATE TABLE meta(name TEXT PRIMARY KEY NOT NULL, value INTEGER NOT NULL) WITHOUT ROWID;"
		"INSERT INTO meta VALUES('revision', 12);"
		"INSERT INTO log VALUES(5, 'pods/ns/a', '{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":"
		"{\"name\":\"a\",\"namespace\":\"ns\",\"uid\":\"u-a\"}}');"
		"INSERT INTO log VALUES(11, 'pods/ns/b', '{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":"
		"{\"name\":\"b\",\"namespace\":\"ns\",\"uid\":\"u-b\"}}');"
		"PRAGMA user_version=2;", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	ck_assert_int_eq(open_sqlite(&st, tmpdir), 0);
	ck_assert_int_eq(kube_store_revision(st), 12);
	ck_assert_int_eq(kube_store_get(&got, st, "pods", "ns", "a"), 0);
	ck_assert_str_eq(kube_object_resource_version(got), "5");
	kube_object_unref(got);
	set_string("ns", "a", "metadata.labels.x", "y");                    /* rev 13 */
	ck_assert_int_eq(kube_store_delete(NULL, st, "pods", "ns", "b", NULL), 0);   /* rev 14 */
	close_store();
	expect_schema3(file);
	ck_assert_int_eq(open_sqlite(&st, tmpdir), 0);
	ck_assert_int_eq(kube_store_revision(st), 14);
	ck_assert_int_eq(kube_store_get(&got, st, "pods", "ns", "a"), 0);
	ck_assert_str_eq(kube_object_resource_version(got), "13");
	ck_assert_str_eq(kube_labels_get(kube_object_labels(got), "x"), "y");
	kube_object_unref(got);
	ck_assert_int_eq(kube_store_get(&got, st, "pods", "ns", "b"), KUBE_ENOTFOUND);
}
END_TEST

/* generateName is cut to 58 bytes, as upstream does, but never inside a
 * character: 57 ASCII bytes and an "é" keep the 57, and the store opens
 * again with the name (a cut "é" stored invalid UTF-8 from JSON, and U+FFFD
 * under a key that did not say so from a tree: neither store reopened). */
START_TEST(test_store_sqlite_generated_name_cut_at_a_character)
{
	char json[256], base[64];
	kube_object *in, *a = NULL, *b = NULL, *got;
	char name_a[80], name_b[80];

	memset(base, 'a', 57);
	strcpy(base + 57, "\xc3\xa9z");
	snprintf(json, sizeof(json), "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":"
	         "{\"namespace\":\"ns\",\"generateName\":\"%s\"}}", base);
	ck_assert_int_eq(open_sqlite(&st, tmpdir), 0);
	ck_assert_int_eq(kube_store_create_json(&a, st, json, strlen(json)), 0);
	in = obj(json);
	ck_assert_int_eq(kube_store_create(&b, st, in), 0);
	kube_object_unref(in);
	snprintf(name_a, sizeof(name_a), "%s", kube_object_name(a));
	snprintf(name_b, sizeof(name_b), "%s", kube_object_name(b));
	kube_object_unref(a);
	kube_object_unref(b);
	ck_assert_uint_eq(strlen(name_a), 62);
	ck_assert_uint_eq(strlen(name_b), 62);
	ck_assert_int_eq(strncmp(name_a, base, 57), 0);
	ck_assert_int_eq(strncmp(name_b, base, 57), 0);
	close_store();
	ck_assert_int_eq(open_sqlite(&st, tmpdir), 0);
	ck_assert_int_eq(kube_store_get(&got, st, "configmaps", "ns", name_a), 0);
	kube_object_unref(got);
	ck_assert_int_eq(kube_store_get(&got, st, "configmaps", "ns", name_b), 0);
	kube_object_unref(got);
}
END_TEST

/* Rows that a damaged or hand-edited file holds are refused at open with
 * KUBE_EIO naming the file, the row and what is wrong, never loaded as
 * something else.  Nothing in the database keeps a key unique any more:
 * a key stored twice is one of them, never merged. */
START_TEST(test_store_sqlite_bad_rows_refused_at_open)
{
	static const struct {
		const char *sql;    /* run on the file of a store holding pods/ns/a */
		const char *want;   /* the message after "store: <file>" */
	} cases[] = {
		{ "INSERT INTO log SELECT 2, key, value FROM log WHERE rev=1; UPDATE meta SET value=2",
		  ": the key pods/ns/a is stored twice (revisions 1 and 2)" },
		{ "UPDATE log SET value=substr(value, 1, 40)",
		  ": the stored object pods/ns/a does not decode: document 1, line 1, column 33: "
		  "unterminated string" },
		{ "UPDATE log SET value='{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":"
		  "{\"name\":\"a\",\"name\":\"b\"}}'",
		  ": the stored object pods/ns/a does not decode: document 1, line 1, column 56: "
		  "object key \"name\" already defined" },
		{ "INSERT INTO log VALUES (2, 'namespaces/x', '{\"apiVersion\":\"v1\",\"kind\":"
		  "\"Namespace\"}'); UPDATE meta SET value=2",
		  ": the stored object namespaces/x has no metadata.name" },
		{ "UPDATE log SET value=replace(value, '\"name\":\"a\"', '\"name\":\"b\"')",
		  ": the stored object pods/ns/a is not the object its key names" },
		{ "UPDATE log SET key=CAST('pods/ns/a' || char(0) || 'x' AS BLOB)",
		  " is corrupt: a bad row (revision 1: its key is not plain text)" },
		{ "UPDATE log SET key=CAST('pods/ns/a' || char(0) || 'x' AS TEXT)",
		  " is corrupt: a bad row (revision 1: its key is not plain text)" },
	};
	char file[128], want[512];

	snprintf(file, sizeof(file), "%s/store.db", tmpdir);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		kube_store *s = NULL;
		sqlite3 *db;

		unlink(file);
		ck_assert_int_eq(open_sqlite(&st, tmpdir), 0);
		kube_object_unref(create_pod("ns", "a", NULL));
		close_store();
		ck_assert_int_eq(sqlite3_open(file, &db), SQLITE_OK);
		ck_assert_msg(sqlite3_exec(db, cases[i].sql, NULL, NULL, NULL) == SQLITE_OK, "%s: %s",
		              cases[i].sql, sqlite3_errmsg(db));
		sqlite3_close(db);
		snprintf(want, sizeof(want), "store: %s%s", file, cases[i].want);
		expect_err(open_sqlite(&s, tmpdir), KUBE_EIO, want);
		ck_assert_ptr_null(s);
	}
}
END_TEST


START_TEST(test_store_sqlite_open_errors)
{
	kube_store *other = NULL;
	kube_store_options o = KUBE_STORE_OPTIONS_INIT;
	char want[512], path[256];
	FILE *f;

	o.backend = "sqlite";
	expect_err(kube_store_open(&other, loop, &o), KUBE_EINVAL,
	           "kube_store_open: the sqlite backend needs a data directory (path)");

	/* one store per directory */
	ck_assert_int_eq(open_sqlite(&st, tmpdir), 0);
	kube_object_unref(create_pod("ns", "a", NULL));
	snprintf(want, sizeof(want), "store: %s/store.db is in use by another store or process "
	         "(database is locked)", tmpdir);
	expect_err(open_sqlite(&other, tmpdir), KUBE_EBUSY, want);
	ck_assert_ptr_null(other);
	close_store();

	/* a path that is a file, and a directory we may not create */
	snprintf(path, sizeof(path), "%s/afile", tmpdir);
	f = fopen(path, "w");
	fclose(f);
	snprintf(want, sizeof(want), "store: cannot use data directory %s: Not a directory", path);
	expect_err(open_sqlite(&other, path), KUBE_EIO, want);
	expect_err(open_sqlite(&other, "/sys/kube-store-test"), KUBE_EPERM,
	           "store: cannot use data directory /sys/kube-store-test: Operation not permitted");
	if (geteuid() != 0) {
		snprintf(path, sizeof(path), "%s/ro", tmpdir);
		ck_assert_int_eq(mkdir(path, 0500), 0);
		snprintf(want, sizeof(want), "store: cannot use data directory %s: Permission denied", path);
		expect_err(open_sqlite(&other, path), KUBE_EPERM, want);
	}
}
END_TEST

START_TEST(test_store_sqlite_corrupt_file)
{
	char file[256], want[512], junk[8192];
	kube_store *s = NULL;
	FILE *f;

	snprintf(file, sizeof(file), "%s/store.db", tmpdir);
	f = fopen(file, "w");
	memset(junk, 'x', sizeof(junk));
	fwrite(junk, 1, sizeof(junk), f);
	fclose(f);
	snprintf(want, sizeof(want), "store: %s is corrupt or not a libkube database (file is not a "
	         "database, during reading the schema version)", file);
	expect_err(open_sqlite(&s, tmpdir), KUBE_EIO, want);
	ck_assert_ptr_null(s);
}
END_TEST

START_TEST(test_store_sqlite_truncated_file)
{
	char file[256], name[16], data[4096];
	kube_store *s = NULL;
	struct stat sb;

	ck_assert_int_eq(open_sqlite(&st, tmpdir), 0);
	memset(data, 'd', sizeof(data) - 1);
	data[sizeof(data) - 1] = '\0';
	for (int i = 0; i < 200; i++) {
		kube_object *in;
		snprintf(name, sizeof(name), "p%03d", i);
		in = pod_json("ns", name, NULL, NULL);
		ck_assert_int_eq(kube_object_set_annotation(in, "data", data), 0);
		ck_assert_int_eq(kube_store_create(NULL, st, in), 0);
		kube_object_unref(in);
	}
	close_store();   /* checkpoints the WAL into store.db */
	snprintf(file, sizeof(file), "%s/store.db", tmpdir);
	ck_assert_int_eq(stat(file, &sb), 0);
	ck_assert_int_gt(sb.st_size, 400000);
	ck_assert_int_eq(truncate(file, sb.st_size / 2), 0);
	ck_assert_int_eq(open_sqlite(&s, tmpdir), KUBE_EIO);
	ck_assert_ptr_null(s);
	char prefix[512];
	snprintf(prefix, sizeof(prefix), "store: %s is corrupt or not a libkube database (", file);
	ck_assert_msg(strncmp(kube_error_last()->message, prefix, strlen(prefix)) == 0, "%s",
	              kube_error_last()->message);
}
END_TEST

START_TEST(test_store_sqlite_disk_full)
{
	struct rlimit old, lim;
	char name[16], *data;
	kube_object *got;
	int rc = 0, n;
	int64_t rev;

	ck_assert_int_eq(open_sqlite(&st, tmpdir), 0);
	kube_object_unref(create_pod("ns", "first", NULL));
	data = malloc(200 * 1024);
	memset(data, 'z', 200 * 1024 - 1);
	data[200 * 1024 - 1] = '\0';
	/* A file size limit stands in for a full disk: writes past it fail
	 * with EFBIG (SIGXFSZ ignored), as they would with ENOSPC. */
	signal(SIGXFSZ, SIG_IGN);
	ck_assert_int_eq(getrlimit(RLIMIT_FSIZE, &old), 0);
	lim = old;
	lim.rlim_cur = 1024 * 1024;
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &lim), 0);
	for (n = 0; n < 20; n++) {
		kube_object *in;
		snprintf(name, sizeof(name), "big%02d", n);
		in = pod_json("ns", name, NULL, NULL);
		ck_assert_int_eq(kube_object_set_annotation(in, "data", data), 0);
		rev = kube_store_revision(st);
		rc = kube_store_create(NULL, st, in);
		kube_object_unref(in);
		if (rc)
			break;
	}
	ck_assert_msg(rc == KUBE_ENOSPC, "%d %s", rc, kube_error_last()->message);
	ck_assert_int_gt(n, 0);
	ck_assert_msg(strstr(kube_error_last()->message, "store.db") != NULL, "%s", kube_error_last()->message);
	ck_assert_msg(strstr(kube_error_last()->message, "File too large") != NULL, "%s",
	              kube_error_last()->message);
	/* nothing changed: not the revision, not the key */
	ck_assert_int_eq(kube_store_revision(st), rev);
	ck_assert_int_eq(kube_store_get(&got, st, "pods", "ns", name), KUBE_ENOTFOUND);
	ck_assert_int_eq(kube_store_get(&got, st, "pods", "ns", "first"), 0);
	kube_object_unref(got);
	/* room again: writes work, and everything acknowledged is there after a reopen */
	ck_assert_int_eq(setrlimit(RLIMIT_FSIZE, &old), 0);
	kube_object_unref(create_pod("ns", "after", NULL));
	close_store();
	signal(SIGXFSZ, SIG_DFL);
	ck_assert_int_eq(open_sqlite(&st, tmpdir), 0);
	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "big%02d", i);
		ck_assert_int_eq(kube_store_get(&got, st, "pods", "ns", name), 0);
		kube_object_unref(got);
	}
	ck_assert_int_eq(kube_store_get(&got, st, "pods", "ns", "after"), 0);
	kube_object_unref(got);
	ck_assert_int_eq(kube_store_revision(st), rev + 1);
	free(data);
}
END_TEST

/* ---- asynchronous writes ---- */

typedef struct wrec {
	int n;
	int status[4096];
	int64_t rev[4096];
	char msg[8][256];
	int destroyed;
	int inside;          /* set while the test is inside a store call */
	int during_call;     /* callbacks that ran inside a store call */
} wrec;

static void wcb(int status, kube_object *o, void *ud)
{
	wrec *w = ud;
	if (w->inside)
		w->during_call++;
	if (status && w->n < 8)
		snprintf(w->msg[w->n], sizeof(w->msg[0]), "%s", kube_error_last()->message);
	w->status[w->n] = status;
	w->rev[w->n] = o ? strtoll(kube_object_resource_version(o), NULL, 10) : 0;
	w->n++;
}

static void wdestroy(void *ud)
{
	((wrec *)ud)->destroyed++;
}

static void run_until(wrec *w, int n)
{
	for (int i = 0; i < 100000 && w->n < n; i++)
		ck_assert_int_eq(kube_loop_run_once(loop, 0), 0);
	ck_assert_int_eq(w->n, n);
}

START_TEST(test_store_async_order_and_errors)
{
	wrec *w = calloc(1, sizeof(*w));
	kube_object *in, *got;
	char name[16];

	w->inside = 1;
	in = pod_json("ns", "dup", NULL, NULL);
	ck_assert_int_eq(kube_store_create_async(st, in, wcb, w, wdestroy), 0);
	ck_assert_int_eq(kube_store_create_async(st, in, wcb, w, wdestroy), 0);   /* EEXISTS */
	kube_object_unref(in);
	for (int i = 0; i < 50; i++) {
		snprintf(name, sizeof(name), "p%02d", i);
		in = pod_json("ns", name, NULL, NULL);
		ck_assert_int_eq(kube_store_create_async(st, in, wcb, w, wdestroy), 0);
		kube_object_unref(in);
	}
	ck_assert_int_eq(kube_store_delete_async(st, "pods", "ns", "p07", NULL, wcb, w, wdestroy), 0);
	ck_assert_int_eq(kube_store_delete_async(st, "pods", "ns", "nope", NULL, wcb, w, wdestroy), 0);
	ck_assert_int_eq(kube_store_create_async(st, NULL, wcb, w, wdestroy), KUBE_EINVAL);
	ck_assert_int_eq(kube_store_create_async(NULL, in, wcb, w, wdestroy), KUBE_EINVAL);
	ck_assert_int_eq(w->n, 0);                 /* never inside the call */
	ck_assert_int_eq(kube_store_revision(st), 0);
	w->inside = 0;
	run_until(w, 54);
	ck_assert_int_eq(w->during_call, 0);
	/* in submission order, revisions ascending */
	ck_assert_int_eq(w->status[0], 0);
	ck_assert_int_eq(w->rev[0], 1);
	ck_assert_int_eq(w->status[1], KUBE_EEXISTS);
	ck_assert_str_eq(w->msg[1], "pods \"dup\" already exists");
	for (int i = 0; i < 50; i++) {
		ck_assert_int_eq(w->status[2 + i], 0);
		ck_assert_int_eq(w->rev[2 + i], 2 + i);
	}
	ck_assert_int_eq(w->status[52], 0);
	ck_assert_int_eq(w->rev[52], 52);          /* the delete's revision */
	ck_assert_int_eq(w->status[53], KUBE_ENOTFOUND);
	ck_assert_int_eq(w->destroyed, 54);
	ck_assert_int_eq(kube_store_get(&got, st, "pods", "ns", "p07"), KUBE_ENOTFOUND);
	ck_assert_int_eq(kube_store_revision(st), 52);
	free(w);
}
END_TEST

/* Counts the creates it admits, and their names; refuses the n-th call. */
typedef struct admitted {
	int calls, creates, refuse_at;
	char names[256];
} admitted;

static int count_admitted(const kube_admission_request *req, char *msg, size_t n, void *ud)
{
	admitted *a = ud;
	size_t len = strlen(a->names);

	if (++a->calls == a->refuse_at) {
		snprintf(msg, n, "no more");
		return KUBE_EPERM;
	}
	if (req->operation == KUBE_ADMISSION_CREATE) {
		a->creates++;
		snprintf(a->names + len, sizeof(a->names) - len, "%s;", req->name);
	}
	return 0;
}

#define GEN_POD(base) "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"namespace\":" \
	"\"ns\",\"generateName\":\"" base "\"}}"

/* A create's name conflicts as upstream's registry answers them: a name a
 * stored object holds is drawn again (createWithGenerateNameRetry); one
 * drawn eight times over, or given, fails with upstream's message, which
 * also says when the holder is being deleted; and a write of a batch that
 * fails leaves its key free for a later create of the same batch.
 *
 * forced_random 2 makes the store's random stream: bytes 0-4 (the first
 * create's name) and 21-25 (the second's first draw) say "bbbbb", 26-30
 * (its second draw) "ccccc"; the uids (5-20, 31-46) differ. */
START_TEST(test_store_create_name_conflicts)
{
	kube_object *out = NULL, *in;

	forced_random = 2;
	ck_assert_int_eq(kube_loop_new(&loop, NULL), 0);
	ck_assert_int_eq(kube_store_open(&st, loop, NULL), 0);
	ck_assert_int_eq(kube_store_create_take(&out, st, obj(GEN_POD("g-"))), 0);
	ck_assert_str_eq(kube_object_name(out), "g-bbbbb");
	kube_object_unref(out);
	ck_assert_int_eq(kube_store_create_take(&out, st, obj(GEN_POD("g-"))), 0);
	ck_assert_str_eq(kube_object_name(out), "g-ccccc");
	kube_object_unref(out);

	/* a given name that is taken, with a generateName beside it: the
	 * server's name (upstream words it so whenever generateName is set) */
	in = obj("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"namespace\":\"ns\","
	         "\"name\":\"g-ccccc\",\"generateName\":\"g-\"}}");
	expect_err(kube_store_create(NULL, st, in), KUBE_EEXISTS,
	           "pods \"g-ccccc\" already exists, the server was not able to generate a unique "
	           "name for the object");
	kube_object_unref(in);

	/* the holder is being deleted (a finalizer keeps it) */
	in = pod_json("ns", "t", NULL, ",\"finalizers\":[\"example.com/a\"]");
	ck_assert_int_eq(kube_store_create(NULL, st, in), 0);
	ck_assert_int_eq(kube_store_delete(NULL, st, "pods", "ns", "t", NULL), 0);
	expect_err(kube_store_create(NULL, st, in), KUBE_EEXISTS,
	           "object is being deleted: pods \"t\" already exists");
	kube_object_unref(in);
}
END_TEST

/* One batch: a delete of a pod that is not there, then a create of that
 * very name by generateName; the failed delete leaves the name free. */
START_TEST(test_store_failed_write_leaves_its_key_to_the_batch)
{
	wrec *w = calloc(1, sizeof(*w));
	kube_object *out = NULL;

	forced_random = 1;   /* every generated suffix is "bbbbb" */
	ck_assert_int_eq(kube_loop_new(&loop, NULL), 0);
	ck_assert_int_eq(kube_store_open(&st, loop, NULL), 0);
	ck_assert_int_eq(kube_store_delete_async(st, "pods", "ns", "g-bbbbb", NULL, wcb, w, NULL), 0);
	ck_assert_int_eq(kube_store_create_async_take(st, obj(GEN_POD("g-")), wcb, w, NULL), 0);
	run_until(w, 2);
	ck_assert_int_eq(w->status[0], KUBE_ENOTFOUND);
	ck_assert_str_eq(w->msg[0], "pods \"g-bbbbb\" not found");
	ck_assert_int_eq(w->status[1], 0);
	ck_assert_int_eq(w->rev[1], 1);
	ck_assert_int_eq(kube_store_get(&out, st, "pods", "ns", "g-bbbbb"), 0);
	kube_object_unref(out);
	free(w);
}
END_TEST

/* A generated name taken by an earlier write of the same batch fails the
 * create before the admission hooks see it: a hook that counts what it
 * admits (ResourceQuota) must not count a create the store then refuses. */
START_TEST(test_store_generated_name_checked_before_admission)
{
	wrec *w = calloc(1, sizeof(*w));
	admitted a = { .refuse_at = 0 };
	kube_object *got;

	forced_random = 1;   /* every generated suffix is "bbbbb" */
	ck_assert_int_eq(kube_loop_new(&loop, NULL), 0);
	ck_assert_int_eq(kube_store_open(&st, loop, NULL), 0);
	ck_assert_int_eq(kube_store_add_admission(st, "pods", count_admitted, &a, NULL), 0);
	/* one batch: three creates, one generated name */
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(kube_store_create_async_take(st, obj(GEN_POD("g-")), wcb, w, NULL), 0);
	run_until(w, 3);
	ck_assert_int_eq(w->status[0], 0);
	ck_assert_int_eq(w->status[1], KUBE_EEXISTS);
	ck_assert_int_eq(w->status[2], KUBE_EEXISTS);
	ck_assert_str_eq(w->msg[1], "pods \"g-bbbbb\" already exists, the server was not able to generate a unique name for the object");
	ck_assert_str_eq(w->msg[2], "pods \"g-bbbbb\" already exists, the server was not able to generate a unique name for the object");
	ck_assert_int_eq(a.creates, 1);
	ck_assert_int_eq(a.calls, 1);
	ck_assert_str_eq(a.names, "g-bbbbb;");
	ck_assert_int_eq(kube_store_revision(st), 1);

	/* taken by a stored object: refused before the hooks too (after
	 * drawing the same name eight times) */
	expect_err(kube_store_create_take(NULL, st, obj(GEN_POD("g-"))), KUBE_EEXISTS,
	           "pods \"g-bbbbb\" already exists, the server was not able to generate a unique name for the object");
	ck_assert_int_eq(a.calls, 1);

	/* a create the hooks refuse does not take its name: the next one
	 * in the batch gets it */
	a.refuse_at = 2;
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(kube_store_create_async_take(st, obj(GEN_POD("h-")), wcb, w, NULL), 0);
	run_until(w, 5);
	ck_assert_int_eq(w->status[3], KUBE_EPERM);
	ck_assert_str_eq(w->msg[3], "pods \"h-bbbbb\" is forbidden: no more");
	ck_assert_int_eq(w->status[4], 0);
	ck_assert_int_eq(a.calls, 3);
	ck_assert_int_eq(a.creates, 2);
	ck_assert_str_eq(a.names, "g-bbbbb;h-bbbbb;");
	ck_assert_int_eq(kube_store_get(&got, st, "pods", "ns", "h-bbbbb"), 0);
	ck_assert_str_eq(kube_object_resource_version(got), "2");
	kube_object_unref(got);
	free(w);
}
END_TEST

START_TEST(test_store_async_update_chain_same_key)
{
	wrec *w = calloc(1, sizeof(*w));
	kube_object *a = create_pod("ns", "a", NULL), *m, *got;

	/* three unconditional updates of one key, queued together: each sees
	 * the one before it */
	for (int i = 0; i < 3; i++) {
		char v[4] = { (char)('0' + i), 0, 0, 0 };
		ck_assert_int_eq(kube_object_mutable(&m, a), 0);
		ck_assert_int_eq(kube_object_set_string(m, "metadata.resourceVersion", ""), 0);
		ck_assert_int_eq(kube_object_set_label(m, "step", v), 0);
		ck_assert_int_eq(kube_store_update_async(st, m, wcb, w, NULL), 0);
		kube_object_unref(m);
	}
	/* a conditional one on the version we read: stale by then */
	ck_assert_int_eq(kube_object_mutable(&m, a), 0);
	ck_assert_int_eq(kube_object_set_label(m, "step", "x"), 0);
	ck_assert_int_eq(kube_store_update_async(st, m, wcb, w, NULL), 0);
	kube_object_unref(m);
	run_until(w, 4);
	ck_assert_int_eq(w->rev[0], 2);
	ck_assert_int_eq(w->rev[1], 3);
	ck_assert_int_eq(w->rev[2], 4);
	ck_assert_int_eq(w->status[3], KUBE_ECONFLICT);
	ck_assert_str_eq(w->msg[3], "Operation cannot be fulfilled on pods \"a\": the object has been "
	                 "modified; please apply your changes to the latest version and try again");
	ck_assert_int_eq(kube_store_get(&got, st, "pods", "ns", "a"), 0);
	ck_assert_str_eq(kube_labels_get(kube_object_labels(got), "step"), "2");
	kube_object_unref(got);
	kube_object_unref(a);
	free(w);
}
END_TEST

/* ---- ownership-taking writes ---- */

/* The image string of a pod: a pointer into its document (a compact
 * object's: the string kept for it), so two objects giving the same
 * pointer share one. */
static const char *image_ptr(const kube_object *o)
{
	const char *img = NULL;
	ck_assert_int_eq(kube_object_get_string(o, "spec.containers[0].image", &img), 0);
	return img;
}

/* 1 when o is compact (object.c) and has not built its tree. */
static int compact_without_tree(const kube_object *o)
{
	return kube__object_text(o, NULL) && !kube__object_has_tree(o);
}

START_TEST(test_store_take_writes_without_copy)
{
	kube_object *in = pod_json("ns", "a", "\"app\":\"web\"", NULL), *out = NULL, *m, *got;
	char img[64];

	/* create: the caller's document, stamped, is encoded once and kept as
	 * the stored object's compact text; its tree is gone until asked for */
	snprintf(img, sizeof(img), "%s", image_ptr(in));
	ck_assert_int_eq(kube_store_create_take(&out, st, in), 0);
	ck_assert(compact_without_tree(out));
	ck_assert_str_eq(image_ptr(out), img);
	ck_assert(compact_without_tree(out));    /* read from the text */
	ck_assert_ptr_eq(image_ptr(out), image_ptr(out));   /* and kept */
	ck_assert(kube_object_is_frozen(out));
	ck_assert_str_eq(kube_object_resource_version(out), "1");
	ck_assert_int_eq(kube_object_generation(out), 1);
	ck_assert_uint_eq(strlen(kube_object_uid(out)), 36);
	ck_assert_ptr_nonnull(kube_object_creation_timestamp(out));
	ck_assert_int_eq(kube_store_get(&got, st, "pods", "ns", "a"), 0);
	ck_assert_ptr_eq(got, out);
	kube_object_unref(got);

	/* update: the same, and the rules of a plain update hold */
	ck_assert_int_eq(kube_object_mutable(&m, out), 0);
	ck_assert_ptr_ne(image_ptr(m), image_ptr(out));
	ck_assert_int_eq(kube_object_set_string(m, "spec.containers[0].image", "nginx"), 0);
	kube_object_unref(out);
	ck_assert_int_eq(kube_store_update_take(&out, st, m), 0);
	ck_assert(compact_without_tree(out));
	ck_assert_str_eq(image_ptr(out), "nginx");
	ck_assert_str_eq(kube_object_resource_version(out), "2");
	ck_assert_int_eq(kube_object_generation(out), 2);   /* spec changed */

	/* a stale resourceVersion still conflicts; the reference is taken */
	ck_assert_int_eq(kube_object_mutable(&m, out), 0);
	ck_assert_int_eq(kube_object_set_string(m, "metadata.resourceVersion", "1"), 0);
	expect_err(kube_store_update_take(NULL, st, m), KUBE_ECONFLICT,
	           "Operation cannot be fulfilled on pods \"a\": the object has been modified; please "
	           "apply your changes to the latest version and try again");
	kube_object_unref(out);
	ck_assert_int_eq(kube_store_revision(st), 2);
}
END_TEST

START_TEST(test_store_take_errors_and_frozen)
{
	kube_object *in = pod_json("ns", "a", NULL, NULL), *out = NULL, *shared;

	ck_assert_int_eq(kube_store_create_take(NULL, st, in), 0);
	/* failures release the reference too (the leak checker sees it) */
	expect_err(kube_store_create_take(&out, st, pod_json("ns", "a", NULL, NULL)), KUBE_EEXISTS,
	           "pods \"a\" already exists");
	ck_assert_ptr_null(out);
	ck_assert_int_eq(kube_store_create_take(&out, NULL, pod_json("ns", "b", NULL, NULL)), KUBE_EINVAL);
	ck_assert_int_eq(kube_store_create_take(&out, st, NULL), KUBE_EINVAL);
	ck_assert_int_eq(kube_store_create_async_take(st, pod_json("ns", "b", NULL, NULL), NULL, NULL, NULL),
	                 KUBE_EINVAL);
	ck_assert_int_eq(kube_store_get(&out, st, "pods", "ns", "b"), KUBE_ENOTFOUND);

	/* a frozen object is copied: the caller's other reference stays as it was */
	in = pod_json("ns", "c", NULL, NULL);
	shared = kube_object_ref(in);   /* freezes; two references */
	ck_assert_int_eq(kube_store_create_take(&out, st, in), 0);
	ck_assert_ptr_ne(out, shared);
	ck_assert_ptr_ne(image_ptr(out), image_ptr(shared));
	ck_assert_ptr_null(kube_object_resource_version(shared));
	ck_assert_str_eq(kube_object_resource_version(out), "2");
	kube_object_unref(out);
	kube_object_unref(shared);
}
END_TEST

START_TEST(test_store_take_async)
{
	wrec *w = calloc(1, sizeof(*w));
	kube_object *in = pod_json("ns", "a", NULL, NULL), *m, *got;
	char img[64];

	snprintf(img, sizeof(img), "%s", image_ptr(in));
	ck_assert_int_eq(kube_store_create_async_take(st, in, wcb, w, NULL), 0);
	run_until(w, 1);
	ck_assert_int_eq(w->status[0], 0);
	ck_assert_int_eq(kube_store_get(&got, st, "pods", "ns", "a"), 0);
	ck_assert(compact_without_tree(got));
	ck_assert_str_eq(image_ptr(got), img);
	ck_assert_int_eq(kube_object_mutable(&m, got), 0);
	kube_object_unref(got);
	ck_assert_int_eq(kube_object_set_label(m, "x", "y"), 0);
	ck_assert_int_eq(kube_store_update_async_take(st, m, wcb, w, NULL), 0);
	/* the same key again, queued behind it: a conflict on the old version */
	ck_assert_int_eq(kube_store_get(&got, st, "pods", "ns", "a"), 0);
	ck_assert_int_eq(kube_object_mutable(&m, got), 0);
	kube_object_unref(got);
	ck_assert_int_eq(kube_store_update_async_take(st, m, wcb, w, NULL), 0);
	run_until(w, 3);
	ck_assert_int_eq(w->status[1], 0);
	ck_assert_int_eq(w->rev[1], 2);
	ck_assert_int_eq(w->status[2], KUBE_ECONFLICT);
	ck_assert_int_eq(kube_store_get(&got, st, "pods", "ns", "a"), 0);
	ck_assert(compact_without_tree(got));
	ck_assert_str_eq(image_ptr(got), img);
	ck_assert_str_eq(kube_labels_get(kube_object_labels(got), "x"), "y");
	kube_object_unref(got);
	free(w);
}
END_TEST

static long file_size(const char *dir, const char *name)
{
	char p[256];
	struct stat sb;

	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return stat(p, &sb) == 0 ? (long)sb.st_size : -1;
}

/* A big-endian 32-bit field of the WAL header (at byte `at`); -1 with
 * no WAL. */
static long wal_header_field(const char *dir, int at)
{
	char p[256];
	unsigned char h[16];
	FILE *f;
	size_t got;

	snprintf(p, sizeof(p), "%s/store.db-wal", dir);
	if (!(f = fopen(p, "rb")))
		return -1;
	got = fread(h, 1, sizeof(h), f);
	fclose(f);
	if (got != sizeof(h))
		return -1;
	return (long)h[at] << 24 | (long)h[at + 1] << 16 | (long)h[at + 2] << 8 | (long)h[at + 3];
}

/* The checkpoint sequence number: how many times the WAL restarted from
 * its beginning since it was created. */
static long wal_restarts(const char *dir)
{
	return wal_header_field(dir, 12);
}

/* WAL frames in a WAL of `size` bytes that never restarted: a 32-byte
 * header, then per frame a 24-byte header and a page (of the size at
 * byte 8 of the header: 8 KB for a new store). */
static long wal_frames(const char *dir, long size)
{
	long page = wal_header_field(dir, 8);

	return page > 0 ? (size - 32) / (page + 24) : -1;
}

/* Checkpoints run on their own thread: store.db grows while writes go on
 * (no commit copies the WAL), and the WAL stays bounded: it restarts from
 * its beginning once a checkpoint caught up (every ~1,000 frames, 8 MB),
 * so it never holds the ~3,000 frames written (a pod of 8 KB takes a
 * page, and an eighth of another). */
START_TEST(test_store_sqlite_checkpoints_in_background)
{
	wrec *w = calloc(1, sizeof(*w));
	char name[16], *data;
	kube_object *got;
	long db0, wal_max = 0, restarts;
	int n = 3000;

	data = malloc(8000);
	memset(data, 'q', 7999);
	data[7999] = '\0';
	ck_assert_int_eq(open_sqlite(&st, tmpdir), 0);
	db0 = file_size(tmpdir, "store.db");
	for (int i = 0; i < n; i++) {
		kube_object *in;
		snprintf(name, sizeof(name), "p%04d", i);
		in = pod_json("ns", name, NULL, NULL);
		ck_assert_int_eq(kube_object_set_annotation(in, "data", data), 0);
		ck_assert_int_eq(kube_store_create_async_take(st, in, wcb, w, NULL), 0);
		if (i % 50 == 49) {
			run_until(w, i + 1);
			long wal = file_size(tmpdir, "store.db-wal");
			wal_max = wal > wal_max ? wal : wal_max;
		}
	}
	run_until(w, n);
	for (int i = 0; i < n; i++)
		ck_assert_int_eq(w->status[i], 0);
	restarts = wal_restarts(tmpdir);
	/* ~24 MB written: several checkpoints' worth (8 MB of WAL each) */
	for (int i = 0; i < 200 && file_size(tmpdir, "store.db") <= db0 + 16 * 1024 * 1024; i++)
		usleep(10000);
	ck_assert_int_gt(file_size(tmpdir, "store.db"), db0 + 16 * 1024 * 1024);
	ck_assert_msg(restarts >= 2, "the WAL restarted %ld times", restarts);
	ck_assert_int_eq(wal_header_field(tmpdir, 8), 8192);
	ck_assert_msg(wal_frames(tmpdir, wal_max) <= 3000, "the WAL grew to %ld frames",
	              wal_frames(tmpdir, wal_max));
	close_store();
	ck_assert_int_eq(open_sqlite(&st, tmpdir), 0);
	ck_assert_int_eq(kube_store_revision(st), n);
	ck_assert_int_eq(kube_store_get(&got, st, "pods", "ns", "p2999"), 0);
	kube_object_unref(got);
	free(data);
	free(w);
}
END_TEST

/* The WAL's frames of a commit go out gathered (sqlite_vfs.c), at most
 * 120 KB per write: batches of 20 pods of 8 KB each need two or three
 * such writes.  Every pod comes back byte for byte after a reopen, each
 * with its own letter (a frame written at another's place would show). */
START_TEST(test_store_sqlite_batch_larger_than_one_write)
{
	wrec *w = calloc(1, sizeof(*w));
	char name[16], data[8001], *got_data;
	kube_object *got;
	const int n = 40;

	ck_assert_int_eq(open_sqlite(&st, tmpdir), 0);
	for (int i = 0; i < n; i++) {
		kube_object *in;
		snprintf(name, sizeof(name), "big%02d", i);
		memset(data, 'a' + i % 26, 8000);
		data[8000] = '\0';
		in = pod_json("ns", name, NULL, NULL);
		ck_assert_int_eq(kube_object_set_annotation(in, "data", data), 0);
		ck_assert_int_eq(kube_store_create_async_take(st, in, wcb, w, NULL), 0);
	}
	run_until(w, n);
	for (int i = 0; i < n; i++)
		ck_assert_int_eq(w->status[i], 0);
	close_store();
	ck_assert_int_eq(open_sqlite(&st, tmpdir), 0);
	ck_assert_int_eq(kube_store_revision(st), n);
	for (int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "big%02d", i);
		memset(data, 'a' + i % 26, 8000);
		ck_assert_int_eq(kube_store_get(&got, st, "pods", "ns", name), 0);
		ck_assert_int_eq(kube_object_get_string(got, "metadata.annotations.data",
		                                        (const char **)&got_data), 0);
		ck_assert_str_eq(got_data, data);
		kube_object_unref(got);
	}
	free(w);
}
END_TEST

/* Creates from JSON text, queued on the durable store: each callback has
 * its object, and after a reopen (the text as SQLite kept it) every
 * object encodes to what its callback saw.  A request that does not
 * decode fails at the call. */
typedef struct json_rec {
	int n, failed;
	char *seen[32];
} json_rec;

static void json_cb(int status, kube_object *o, void *ud)
{
	json_rec *r = ud;
	if (status)
		r->failed++;
	else
		r->seen[r->n] = stored_json(o);
	r->n++;
}

START_TEST(test_store_sqlite_create_json_async)
{
	json_rec r = { 0 };
	char json[256], name[16];
	kube_object *got;

	ck_assert_int_eq(open_sqlite(&st, tmpdir), 0);
	for (int i = 0; i < 32; i++) {
		snprintf(json, sizeof(json), "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"j%02d\","
		         "\"namespace\":\"ns\",\"labels\":{\"i\":\"%d\"}},\"spec\":{\"nodeName\":\"n%d\"}}", i, i, i % 3);
		ck_assert_int_eq(kube_store_create_json_async(st, json, strlen(json), json_cb, &r, NULL), 0);
	}
	expect_err(kube_store_create_json_async(st, "{", 1, json_cb, &r, NULL), KUBE_EINVAL,
	           "document 1, line 1, column 2: expected a string key, found end of input");
	for (int i = 0; i < 100000 && r.n < 32; i++)
		ck_assert_int_eq(kube_loop_run_once(loop, 0), 0);
	ck_assert_int_eq(r.n, 32);
	ck_assert_int_eq(r.failed, 0);
	close_store();
	ck_assert_int_eq(open_sqlite(&st, tmpdir), 0);
	ck_assert_int_eq(kube_store_revision(st), 32);
	for (int i = 0; i < 32; i++) {
		char *now;
		snprintf(name, sizeof(name), "j%02d", i);
		ck_assert_int_eq(kube_store_get(&got, st, "pods", "ns", name), 0);
		now = stored_json(got);
		ck_assert_str_eq(now, r.seen[i]);
		ck_assert_ptr_nonnull(strstr(now, "\"spec\":{\"nodeName\":\"n"));
		free(now);
		free(r.seen[i]);
		kube_object_unref(got);
	}
}
END_TEST

/* 16 writers, each with one write in flight (the bench's shape, where two
 * batches go in flight): each writer creates its pod and then updates it
 * 30 times, each update read at the revision its previous write returned.
 * No write conflicts or waits out of order: revisions grow in callback
 * order, each writer's pod ends at its last write, and a reopen agrees. */
typedef struct chain {
	int writer, step, failed;
	int64_t last;
	int64_t *global_last;
	int *done;
} chain;

static void chain_next(chain *c, kube_object *prev);

static void chain_cb(int status, kube_object *o, void *ud)
{
	chain *c = ud;
	int64_t rv;

	if (status) {
		c->failed++;
		(*c->done)++;
		return;
	}
	rv = strtoll(kube_object_resource_version(o), NULL, 10);
	if (rv <= *c->global_last || rv <= c->last)
		c->failed++;
	*c->global_last = rv;
	c->last = rv;
	if (++c->step > 30) {
		(*c->done)++;
		return;
	}
	chain_next(c, o);
}

static void chain_next(chain *c, kube_object *prev)
{
	kube_object *m;
	char v[16];

	if (!prev) {
		char name[16];
		snprintf(name, sizeof(name), "w%02d", c->writer);
		ck_assert_int_eq(kube_store_create_async_take(st, pod_json("ns", name, NULL, NULL), chain_cb,
		                                              c, NULL), 0);
		return;
	}
	ck_assert_int_eq(kube_object_mutable(&m, prev), 0);
	snprintf(v, sizeof(v), "%d", c->step);
	ck_assert_int_eq(kube_object_set_annotation(m, "step", v), 0);
	ck_assert_int_eq(kube_store_update_async_take(st, m, chain_cb, c, NULL), 0);
}

START_TEST(test_store_async_sqlite_writers_in_flight)
{
	chain c[16];
	int64_t global_last = 0;
	int done = 0;
	kube_object *got;
	char name[16];

	setenv("KUBE_STORE_TWO_BATCHES", "1", 1);   /* whatever the timings */
	ck_assert_int_eq(open_sqlite(&st, tmpdir), 0);
	for (int i = 0; i < 16; i++) {
		c[i] = (chain){ .writer = i, .global_last = &global_last, .done = &done };
		chain_next(&c[i], NULL);
		/* read at the store's first asynchronous write: later stores
		 * (the reopen below) run in the default mode */
		unsetenv("KUBE_STORE_TWO_BATCHES");
	}
	for (int i = 0; i < 1000000 && done < 16; i++)
		ck_assert_int_eq(kube_loop_run_once(loop, 0), 0);
	ck_assert_int_eq(done, 16);
	for (int i = 0; i < 16; i++)
		ck_assert_int_eq(c[i].failed, 0);
	ck_assert_int_eq(global_last, 16 * 31);
	ck_assert_int_eq(kube_store_revision(st), 16 * 31);
	close_store();
	ck_assert_int_eq(open_sqlite(&st, tmpdir), 0);
	ck_assert_int_eq(kube_store_revision(st), 16 * 31);
	for (int i = 0; i < 16; i++) {
		char rv[24];
		snprintf(name, sizeof(name), "w%02d", i);
		snprintf(rv, sizeof(rv), "%lld", (long long)c[i].last);
		ck_assert_int_eq(kube_store_get(&got, st, "pods", "ns", name), 0);
		ck_assert_str_eq(kube_object_resource_version(got), rv);
		ck_assert_str_eq(kube_object_annotation(got, "step"), "30");
		kube_object_unref(got);
	}
}
END_TEST

static void count_cb(int status, kube_object *o, void *ud)
{
	(void)o;
	ck_assert_int_eq(status, 0);
	(*(int *)ud)++;
}

/* With one batch in flight, writers that send their next write once called
 * back, from outside the callback (as the store benchmark's do), all go in
 * the next batch: it starts from the flush timer, after them.  Two groups
 * of 8 (the second sent while the first's batch commits) become one batch
 * of 16 from the second round on; started at once, the next batch would take
 * only the group queued meanwhile, and the groups would take turns for
 * good, each waiting for the other's commit (groups of 8, then 8, ...). */
START_TEST(test_store_one_batch_gathers_its_writers)
{
	int groups[64], ngroups = 0, sent = 0, done = 0;
	char name[16];

	setenv("KUBE_STORE_TWO_BATCHES", "0", 1);
	ck_assert_int_eq(open_sqlite(&st, tmpdir), 0);
	for (int i = 0; i < 8; i++, sent++) {
		snprintf(name, sizeof(name), "p%03d", sent);
		ck_assert_int_eq(kube_store_create_async_take(st, pod_json("ns", name, NULL, NULL),
		                                              count_cb, &done, NULL), 0);
	}
	unsetenv("KUBE_STORE_TWO_BATCHES");   /* read at the first asynchronous write */
	ck_assert_int_eq(kube_loop_run_once(loop, 0), 0);   /* the first 8 commit */
	for (int spins = 0; sent < 168 || done < sent; spins++) {
		int before = done, k;
		ck_assert_int_lt(spins, 1000000);
		/* a write to send for each one called back, the second group
		 * now and then each of its writers' next */
		k = sent == 8 ? 8 : 0;
		for (; k > 0 && sent < 168; k--, sent++) {
			snprintf(name, sizeof(name), "p%03d", sent);
			ck_assert_int_eq(kube_store_create_async_take(st, pod_json("ns", name, NULL, NULL),
			                                              count_cb, &done, NULL), 0);
		}
		ck_assert_int_eq(kube_loop_run_once(loop, 0), 0);
		if (done > before) {
			ck_assert_int_lt(ngroups, 64);
			groups[ngroups++] = done - before;
			for (int i = 0; i < done - before && sent < 168; i++, sent++) {
				snprintf(name, sizeof(name), "p%03d", sent);
				ck_assert_int_eq(kube_store_create_async_take(
					st, pod_json("ns", name, NULL, NULL), count_cb, &done, NULL), 0);
			}
		}
	}
	ck_assert_int_eq(done, 168);
	/* 8 (the first group alone), then 16 at a time */
	ck_assert_int_eq(ngroups, 11);
	ck_assert_int_eq(groups[0], 8);
	for (int i = 1; i < ngroups; i++)
		ck_assert_int_eq(groups[i], 16);
	ck_assert_int_eq(kube_store_revision(st), 168);
}
END_TEST

/* What each generateName create was told: its name, or its error. */
typedef struct gen_rec {
	int n;
	int status[400];
	int64_t rev[400];
	char name[400][32];   /* the stored name, or the taken one */
} gen_rec;

static void gen_cb(int status, kube_object *o, void *ud)
{
	gen_rec *g = ud;
	const char *m;

	g->status[g->n] = status;
	if (status == 0) {
		snprintf(g->name[g->n], sizeof(g->name[0]), "%s", kube_object_name(o));
		g->rev[g->n] = strtoll(kube_object_resource_version(o), NULL, 10);
	} else if (status == KUBE_EEXISTS && (m = kube_error_last()->message) &&
	           strncmp(m, "pods \"", 6) == 0 && strchr(m + 6, '"') &&
	           strcmp(strchr(m + 6, '"'), "\" already exists") == 0) {
		snprintf(g->name[g->n], sizeof(g->name[0]), "%.*s", (int)(strchr(m + 6, '"') - (m + 6)),
		         m + 6);
	}
	g->n++;
}

static int str_ptr_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Creates by generateName in flight together: each gets its own name (the
 * generator's form), in submission order of revisions, and a reopen loads
 * exactly those, each once (nothing in the file keeps keys unique).  A
 * create may only fail as AlreadyExists naming a name another one got (one
 * in ~180 runs: 400 names from 27^5). */
START_TEST(test_store_async_sqlite_generate_name)
{
	gen_rec *g = calloc(1, sizeof(*g));
	kube_list_options lo = KUBE_LIST_OPTIONS_INIT;
	kube_object_list *l;
	const char *got[400], *want[400];
	int n = 400, ok = 0;

	setenv("KUBE_STORE_TWO_BATCHES", "1", 1);
	ck_assert_int_eq(open_sqlite(&st, tmpdir), 0);
	for (int i = 0; i < n; i++) {
		ck_assert_int_eq(kube_store_create_async_take(st, obj("{\"apiVersion\":\"v1\",\"kind\":\"Pod\","
		                 "\"metadata\":{\"namespace\":\"ns\",\"generateName\":\"g-\"}}"), gen_cb, g, NULL), 0);
		unsetenv("KUBE_STORE_TWO_BATCHES");   /* read at the first write */
	}
	for (int i = 0; i < 100000 && g->n < n; i++)
		ck_assert_int_eq(kube_loop_run_once(loop, 0), 0);
	ck_assert_int_eq(g->n, n);
	for (int i = 0; i < n; i++) {
		ck_assert_msg(strlen(g->name[i]) == 7 && strncmp(g->name[i], "g-", 2) == 0 &&
		              strspn(g->name[i] + 2, "bcdfghjklmnpqrstvwxz2456789") == 5,
		              "write %d: status %d, name '%s'", i, g->status[i], g->name[i]);
		if (g->status[i] == 0) {
			ck_assert_int_eq(g->rev[i], ++ok);
			want[ok - 1] = g->name[i];
			continue;
		}
		ck_assert_int_eq(g->status[i], KUBE_EEXISTS);
		int taken = 0;
		for (int j = 0; j < n; j++)
			taken += j != i && g->status[j] == 0 && strcmp(g->name[j], g->name[i]) == 0;
		ck_assert_int_eq(taken, 1);
	}
	ck_assert_int_ge(ok, n - 3);
	close_store();
	ck_assert_int_eq(open_sqlite(&st, tmpdir), 0);
	ck_assert_int_eq(kube_store_revision(st), ok);
	ck_assert_int_eq(kube_store_list(&l, st, "pods", &lo, NULL, NULL), 0);
	ck_assert_uint_eq(kube_object_list_count(l), (size_t)ok);
	for (int i = 0; i < ok; i++)
		got[i] = kube_object_name(kube_object_list_get(l, (size_t)i));
	qsort(want, (size_t)ok, sizeof(want[0]), str_ptr_cmp);
	for (int i = 0; i < ok; i++) {
		ck_assert_str_eq(got[i], want[i]);   /* the list is in key order */
		if (i > 0)
			ck_assert_str_ne(want[i - 1], want[i]);
	}
	kube_object_list_free(l);
	free(g);
}
END_TEST

/* A batch with nothing to commit (a create that fails AlreadyExists) is
 * finished on the loop while an older batch commits on a worker: the
 * older batch's callbacks must not run inside that, where one writing
 * synchronously would wait for a batch only this thread can commit. */
static int sync_in_cb_done;

static void sync_in_cb(int status, kube_object *o, void *ud)
{
	kube_object *out = NULL;
	(void)o;
	(void)ud;
	ck_assert_int_eq(status, 0);
	ck_assert_int_eq(kube_store_create_take(&out, st, obj("{\"apiVersion\":\"v1\",\"kind\":"
	                 "\"Pod\",\"metadata\":{\"namespace\":\"ns\",\"name\":\"s\"}}")), 0);
	kube_object_unref(out);
	sync_in_cb_done++;
}

static void exists_cb(int status, kube_object *o, void *ud)
{
	(void)o;
	(void)ud;
	ck_assert_int_eq(status, KUBE_EEXISTS);
	ck_assert_int_eq(sync_in_cb_done, 1);   /* callbacks keep their order */
	sync_in_cb_done++;
}

START_TEST(test_store_async_sqlite_sync_write_in_callback_two_batches)
{
	const char *x = "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"namespace\":\"ns\","
	                "\"name\":\"x\"}}";

	setenv("KUBE_STORE_TWO_BATCHES", "1", 1);
	ck_assert_int_eq(open_sqlite(&st, tmpdir), 0);
	ck_assert_int_eq(kube_store_create_take(NULL, st, obj(x)), 0);
	ck_assert_int_eq(kube_store_create_async_take(st, obj("{\"apiVersion\":\"v1\",\"kind\":"
	                 "\"Pod\",\"metadata\":{\"namespace\":\"ns\",\"name\":\"a\"}}"), sync_in_cb, NULL,
	                 NULL), 0);
	unsetenv("KUBE_STORE_TWO_BATCHES");   /* read at the first asynchronous write */
	ck_assert_int_eq(kube_store_create_async_take(st, obj(x), exists_cb, NULL, NULL), 0);
	for (int i = 0; i < 100000 && sync_in_cb_done < 2; i++)
		ck_assert_int_eq(kube_loop_run_once(loop, 0), 0);
	ck_assert_int_eq(sync_in_cb_done, 2);
	ck_assert_int_eq(kube_store_revision(st), 3);
}
END_TEST

START_TEST(test_store_async_sqlite_group_commit)
{
	wrec *w = calloc(1, sizeof(*w));
	recorder *r = rec_new();
	kube_watch_options wo = KUBE_WATCH_OPTIONS_INIT;
	kube_object *got;
	char name[16];
	int n = 3000;

	ck_assert_int_eq(open_sqlite(&st, tmpdir), 0);
	wo.revision = 0;
	ck_assert_int_eq(kube_store_watch(NULL, st, "pods", &wo, rec_cb, r, rec_destroy), 0);
	for (int i = 0; i < n; i++) {
		kube_object *in;
		snprintf(name, sizeof(name), "p%04d", i);
		in = pod_json("ns", name, NULL, NULL);
		ck_assert_int_eq(kube_store_create_async(st, in, wcb, w, NULL), 0);
		kube_object_unref(in);
	}
	run_until(w, n);
	for (int i = 0; i < n; i++) {
		ck_assert_int_eq(w->status[i], 0);
		ck_assert_int_eq(w->rev[i], i + 1);
	}
	pump();
	ck_assert_uint_eq(r->n, (size_t)n);   /* watchers saw each, in order */
	for (int i = 0; i < n; i++)
		ck_assert_int_eq(r->ev[i].revision, i + 1);
	close_store();
	rec_free(r);
	ck_assert_int_eq(open_sqlite(&st, tmpdir), 0);
	ck_assert_int_eq(kube_store_revision(st), n);
	ck_assert_int_eq(kube_store_get(&got, st, "pods", "ns", "p2999"), 0);
	kube_object_unref(got);
	free(w);
}
END_TEST

START_TEST(test_store_async_sync_write_waits_for_batch)
{
	wrec *w = calloc(1, sizeof(*w));
	kube_object *out;
	char name[16];

	ck_assert_int_eq(open_sqlite(&st, tmpdir), 0);
	for (int i = 0; i < 20; i++) {
		kube_object *in;
		snprintf(name, sizeof(name), "p%02d", i);
		in = pod_json("ns", name, NULL, NULL);
		ck_assert_int_eq(kube_store_create_async(st, in, wcb, w, NULL), 0);
		kube_object_unref(in);
	}
	/* one iteration: the batch goes to a worker */
	ck_assert_int_eq(kube_loop_run_once(loop, KUBE_LOOP_NOWAIT), 0);
	w->inside = 1;
	out = create_pod("ns", "sync", NULL);
	w->inside = 0;
	ck_assert_str_eq(kube_object_resource_version(out), "21");   /* after the whole batch */
	ck_assert_int_eq(w->during_call, 0);
	kube_object_unref(out);
	run_until(w, 20);
	for (int i = 0; i < 20; i++)
		ck_assert_int_eq(w->rev[i], i + 1);
	free(w);
}
END_TEST

START_TEST(test_store_async_close_cancels_queued)
{
	wrec *w = calloc(1, sizeof(*w));
	kube_object *in = pod_json("ns", "a", NULL, NULL);

	ck_assert_int_eq(open_sqlite(&st, tmpdir), 0);
	ck_assert_int_eq(kube_store_create_async(st, in, wcb, w, wdestroy), 0);
	ck_assert_int_eq(kube_store_delete_async(st, "pods", "ns", "a", NULL, wcb, w, wdestroy), 0);
	kube_object_unref(in);
	close_store();
	ck_assert_int_eq(w->n, 2);
	ck_assert_int_eq(w->status[0], KUBE_ECANCELED);
	ck_assert_str_eq(w->msg[0], "the store was closed before the write started");
	ck_assert_int_eq(w->status[1], KUBE_ECANCELED);
	ck_assert_int_eq(w->destroyed, 2);
	free(w);
}
END_TEST

/* Ends another connection's write transaction a little later. */
static void *unlock_later(void *db)
{
	struct timespec ts = { 0, 100 * 1000 * 1000 };
	nanosleep(&ts, NULL);
	return (void *)(intptr_t)sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
}

START_TEST(test_store_async_close_with_batch_in_flight)
{
	wrec *w = calloc(1, sizeof(*w));
	kube_object *got;
	char name[16], file[256];
	sqlite3 *db;
	pthread_t t;
	void *trc;

	ck_assert_int_eq(open_sqlite(&st, tmpdir), 0);
	/* Another connection holds the write lock, so that the commit is
	 * still under way at the close (a fast disk would otherwise finish it,
	 * and the pool report it, inside the loop's one run below). */
	snprintf(file, sizeof(file), "%s/store.db", tmpdir);
	ck_assert_int_eq(sqlite3_open(file, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	for (int i = 0; i < 10; i++) {
		kube_object *in;
		snprintf(name, sizeof(name), "p%d", i);
		in = pod_json("ns", name, NULL, NULL);
		ck_assert_int_eq(kube_store_create_async(st, in, wcb, w, wdestroy), 0);
		kube_object_unref(in);
	}
	ck_assert_int_eq(kube_loop_run_once(loop, KUBE_LOOP_NOWAIT), 0);   /* batch to a worker */
	ck_assert_int_eq(w->n, 0);
	ck_assert_int_eq(pthread_create(&t, NULL, unlock_later, db), 0);
	close_store();   /* waits for it: durable, so reported as done */
	ck_assert_int_eq(pthread_join(t, &trc), 0);
	ck_assert_int_eq((int)(intptr_t)trc, SQLITE_OK);
	sqlite3_close(db);
	ck_assert_int_eq(w->n, 10);
	for (int i = 0; i < 10; i++) {
		ck_assert_int_eq(w->status[i], 0);
		ck_assert_int_eq(w->rev[i], i + 1);
	}
	ck_assert_int_eq(w->destroyed, 0);   /* freed when the pool reports back */
	pump();
	ck_assert_int_eq(w->destroyed, 10);
	ck_assert_int_eq(open_sqlite(&st, tmpdir), 0);
	ck_assert_int_eq(kube_store_get(&got, st, "pods", "ns", "p9"), 0);
	kube_object_unref(got);
	free(w);
}
END_TEST

/* Batches that a synchronous write applied call back at the close in the
 * order they applied (two in flight, then a synchronous create). */
START_TEST(test_store_close_calls_back_in_apply_order)
{
	wrec *w = calloc(1, sizeof(*w));
	char name[8], file[256];
	sqlite3 *db;
	pthread_t t;
	void *trc;

	setenv("KUBE_STORE_TWO_BATCHES", "1", 1);
	ck_assert_int_eq(open_sqlite(&st, tmpdir), 0);
	for (int i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "p%d", i);
		ck_assert_int_eq(kube_store_create_async_take(st, pod_json("ns", name, NULL, NULL), wcb, w,
		                                              NULL), 0);
	}
	unsetenv("KUBE_STORE_TWO_BATCHES");   /* read at the first asynchronous write */
	/* another connection's write lock keeps both batches in flight (a
	 * fast disk would otherwise commit them, and the pool report them,
	 * within the loop's runs) until the synchronous create waits */
	snprintf(file, sizeof(file), "%s/store.db", tmpdir);
	ck_assert_int_eq(sqlite3_open(file, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_eq(kube_loop_run_once(loop, KUBE_LOOP_NOWAIT), 0);
	ck_assert_int_eq(kube_loop_run_once(loop, KUBE_LOOP_NOWAIT), 0);
	ck_assert_int_eq(pthread_create(&t, NULL, unlock_later, db), 0);
	ck_assert_int_eq(kube_store_create_take(NULL, st, pod_json("ns", "sync", NULL, NULL)), 0);
	ck_assert_int_eq(pthread_join(t, &trc), 0);
	ck_assert_int_eq((int)(intptr_t)trc, SQLITE_OK);
	sqlite3_close(db);
	ck_assert_int_eq(w->n, 0);
	close_store();
	ck_assert_int_eq(w->n, 4);
	for (int i = 0; i < 4; i++) {
		ck_assert_int_eq(w->status[i], 0);
		ck_assert_int_eq(w->rev[i], i + 1);
	}
	pump();
	free(w);
}
END_TEST

/* A row the store's entries say is there, gone from store.db (changed
 * behind the store's back: no other store writes it, the lock file keeps
 * them out): not a conflict, an I/O error naming the file, key and
 * revision; the whole batch fails with it and nothing of it is applied. */
START_TEST(test_store_sqlite_missing_row_is_eio)
{
	wrec *w = calloc(1, sizeof(*w));
	char file[256], want[512];
	kube_object *a, *m, *got;
	sqlite3 *db;
	sqlite3_stmt *q;

	ck_assert_int_eq(open_sqlite(&st, tmpdir), 0);
	a = create_pod("ns", "a", NULL);
	snprintf(file, sizeof(file), "%s/store.db", tmpdir);
	ck_assert_int_eq(sqlite3_open(file, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "DELETE FROM log WHERE key='pods/ns/a'", NULL, NULL, NULL),
	                 SQLITE_OK);
	ck_assert_int_eq(sqlite3_changes(db), 1);
	snprintf(want, sizeof(want), "store: %s has no row for pods/ns/a at revision 1: the database "
	         "changed outside this store", file);

	ck_assert_int_eq(kube_object_mutable(&m, a), 0);
	ck_assert_int_eq(kube_object_set_label(m, "x", "y"), 0);
	expect_err(kube_store_update(NULL, st, m), KUBE_EIO, want);
	expect_err(kube_store_delete(NULL, st, "pods", "ns", "a", NULL), KUBE_EIO, want);
	ck_assert_int_eq(kube_store_get(&got, st, "pods", "ns", "a"), 0);
	ck_assert_str_eq(kube_object_resource_version(got), "1");
	ck_assert_ptr_null(kube_labels_get(kube_object_labels(got), "x"));
	kube_object_unref(got);

	/* one batch: the good creates around the update fail with it (one
	 * batch in flight, else the three go in two) */
	setenv("KUBE_STORE_TWO_BATCHES", "0", 1);
	ck_assert_int_eq(kube_store_create_async_take(st, pod_json("ns", "b", NULL, NULL), wcb, w, NULL), 0);
	unsetenv("KUBE_STORE_TWO_BATCHES");   /* read at the first asynchronous write */
	ck_assert_int_eq(kube_store_update_async(st, m, wcb, w, NULL), 0);
	ck_assert_int_eq(kube_store_create_async_take(st, pod_json("ns", "c", NULL, NULL), wcb, w, NULL), 0);
	run_until(w, 3);
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(w->status[i], KUBE_EIO);
		ck_assert_str_eq(w->msg[i], want);
	}
	ck_assert_int_eq(kube_store_revision(st), 1);
	ck_assert_int_eq(kube_store_get(&got, st, "pods", "ns", "b"), KUBE_ENOTFOUND);
	ck_assert_int_eq(kube_store_get(&got, st, "pods", "ns", "c"), KUBE_ENOTFOUND);
	ck_assert_int_eq(kube_store_get(&got, st, "pods", "ns", "a"), 0);
	ck_assert_str_eq(kube_object_resource_version(got), "1");
	kube_object_unref(got);
	/* rolled back: the file holds none of them */
	ck_assert_int_eq(sqlite3_prepare_v2(db, "SELECT count(*) FROM log", -1, &q, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(q), SQLITE_ROW);
	ck_assert_int_eq(sqlite3_column_int(q, 0), 0);
	sqlite3_finalize(q);
	sqlite3_close(db);

	/* other keys are written as before */
	got = create_pod("ns", "d", NULL);
	ck_assert_str_eq(kube_object_resource_version(got), "2");
	kube_object_unref(got);
	kube_object_unref(m);
	kube_object_unref(a);
	free(w);
}
END_TEST

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* store.db locked by another connection: a second store gets the lock
 * file's error, an open fails at once, and a write waits 5 s and says so. */
START_TEST(test_store_sqlite_locked_messages)
{
	kube_store *other = NULL;
	char file[256], want[512];
	kube_object *got;
	sqlite3 *db;
	int64_t t0, waited;

	snprintf(file, sizeof(file), "%s/store.db", tmpdir);
	ck_assert_int_eq(open_sqlite(&st, tmpdir), 0);
	kube_object_unref(create_pod("ns", "a", NULL));
	/* a second store: the lock file, as before */
	snprintf(want, sizeof(want), "store: %s is in use by another store or process "
	         "(database is locked)", file);
	expect_err(open_sqlite(&other, tmpdir), KUBE_EBUSY, want);
	close_store();

	/* another program's write transaction at open: no wait */
	ck_assert_int_eq(sqlite3_open(file, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	snprintf(want, sizeof(want), "store: %s is locked by another connection or process "
	         "(database is locked)", file);
	expect_err(open_sqlite(&other, tmpdir), KUBE_EBUSY, want);
	ck_assert_ptr_null(other);
	ck_assert_int_eq(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);

	/* ... at a write: the busy wait, then the error */
	ck_assert_int_eq(open_sqlite(&st, tmpdir), 0);
	ck_assert_int_eq(sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK);
	snprintf(want, sizeof(want), "store: %s stayed locked for 5 s (database is locked): another "
	         "process holds it, or a checkpoint took that long", file);
	t0 = now_ms();
	expect_err(kube_store_create_take(NULL, st, pod_json("ns", "b", NULL, NULL)), KUBE_EBUSY, want);
	waited = now_ms() - t0;
	ck_assert_msg(waited >= 5000 && waited < 15000, "waited %lld ms", (long long)waited);
	ck_assert_int_eq(kube_store_get(&got, st, "pods", "ns", "b"), KUBE_ENOTFOUND);
	ck_assert_int_eq(sqlite3_exec(db, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	got = create_pod("ns", "b", NULL);
	ck_assert_str_eq(kube_object_resource_version(got), "2");
	kube_object_unref(got);
}
END_TEST

/* What the store logs about restarting the WAL. */
static pthread_mutex_t restart_mu = PTHREAD_MUTEX_INITIALIZER;
static int restart_logs;
static char restart_msg[512];

static void restart_sink(kube_log_level level, const char *subsystem, const char *message,
                         const kube_log_field *fields, size_t nfields, void *userdata)
{
	(void)level;
	(void)subsystem;
	(void)fields;
	(void)nfields;
	(void)userdata;
	if (!strstr(message, "could not be restarted"))
		return;
	pthread_mutex_lock(&restart_mu);
	restart_logs++;
	snprintf(restart_msg, sizeof(restart_msg), "%s", message);
	pthread_mutex_unlock(&restart_mu);
}

/* Another program's long read transaction keeps the WAL from restarting.
 * The commit thread forces a restart at 8,000 frames (sqlite.c's
 * WAL_HARD_FRAMES); failed, it is tried again, and logged, only after
 * another 2,000 frames, not at each commit.  Once the reader is gone the
 * WAL restarts and stops growing.  The database is one of 4 KB pages (an
 * older store's: it keeps its page size), so 12,000 frames are 48 MB. */
START_TEST(test_store_sqlite_wal_restart_spaced_while_read)
{
	char file[256], name[16], want[512], *data;
	long frames = 0, next = 8000, size, restarts;
	int expected = 0, i = 0;
	sqlite3 *rd;

	snprintf(file, sizeof(file), "%s/store.db", tmpdir);
	ck_assert_int_eq(sqlite3_open(file, &rd), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(rd, "PRAGMA page_size=4096; PRAGMA journal_mode=WAL;", NULL,
	                              NULL, NULL), SQLITE_OK);
	sqlite3_close(rd);
	ck_assert_int_eq(open_sqlite(&st, tmpdir), 0);
	kube_object_unref(create_pod("ns", "seed", NULL));
	ck_assert_int_eq(wal_header_field(tmpdir, 8), 4096);
	ck_assert_int_eq(sqlite3_open(file, &rd), SQLITE_OK);
	/* a snapshot inside the WAL (after the seed's frames) */
	ck_assert_int_eq(sqlite3_exec(rd, "BEGIN; SELECT count(*) FROM log", NULL, NULL, NULL), SQLITE_OK);
	ck_assert_int_eq(kube_log_set_sink(restart_sink, KUBE_LOG_WARN, NULL, NULL), 0);
	data = malloc(1000 * 1000);
	memset(data, 'w', 1000 * 1000 - 1);
	data[1000 * 1000 - 1] = '\0';
	for (; expected < 3 && i < 100; i++) {
		kube_object *in;
		snprintf(name, sizeof(name), "big%03d", i);
		in = pod_json("ns", name, NULL, NULL);
		ck_assert_int_eq(kube_object_set_annotation(in, "data", data), 0);
		ck_assert_int_eq(kube_store_create_take(NULL, st, in), 0);
		frames = wal_frames(tmpdir, file_size(tmpdir, "store.db-wal"));
		if (frames >= next) {
			expected++;
			next = frames + 2000;
			snprintf(want, sizeof(want), "store: %s: the WAL has %ld frames and could not be "
			         "restarted (database is locked: another connection reads it, or a "
			         "checkpoint was running); next try at %ld frames", file, frames, next);
		}
		pthread_mutex_lock(&restart_mu);
		ck_assert_msg(restart_logs == expected, "write %d, %ld frames: %d logged, %d expected",
		              i, frames, restart_logs, expected);
		if (expected)
			ck_assert_str_eq(restart_msg, want);
		pthread_mutex_unlock(&restart_mu);
	}
	ck_assert_int_eq(expected, 3);
	ck_assert_int_eq(wal_restarts(tmpdir), 0);

	/* the reader goes: the WAL restarts, and is then rewritten in place */
	ck_assert_int_eq(sqlite3_exec(rd, "COMMIT", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(rd);
	size = file_size(tmpdir, "store.db-wal");
	for (int j = 0; j < 60 && (restarts = wal_restarts(tmpdir)) == 0; j++, i++) {
		kube_object *in;
		snprintf(name, sizeof(name), "big%03d", i);
		in = pod_json("ns", name, NULL, NULL);
		ck_assert_int_eq(kube_object_set_annotation(in, "data", data), 0);
		ck_assert_int_eq(kube_store_create_take(NULL, st, in), 0);
	}
	ck_assert_int_gt(restarts, 0);
	size = file_size(tmpdir, "store.db-wal");
	for (int j = 0; j < 20; j++, i++) {
		kube_object *in;
		snprintf(name, sizeof(name), "big%03d", i);
		in = pod_json("ns", name, NULL, NULL);
		ck_assert_int_eq(kube_object_set_annotation(in, "data", data), 0);
		ck_assert_int_eq(kube_store_create_take(NULL, st, in), 0);
	}
	ck_assert_int_eq(file_size(tmpdir, "store.db-wal"), size);
	ck_assert_int_gt(wal_restarts(tmpdir), restarts);
	kube_log_set_sink(NULL, KUBE_LOG_ERROR, NULL, NULL);
	free(data);
}
END_TEST

/* No file of the store leaks into a child the embedder starts: the lock
 * file's descriptor, and SQLite's, are close-on-exec. */
START_TEST(test_store_sqlite_fds_close_on_exec)
{
	DIR *d;
	struct dirent *de;
	char link[512], target[512];
	int locks = 0, files = 0;

	ck_assert_int_eq(open_sqlite(&st, tmpdir), 0);
	kube_object_unref(create_pod("ns", "a", NULL));
	ck_assert_ptr_nonnull(d = opendir("/proc/self/fd"));
	while ((de = readdir(d))) {
		ssize_t n;
		int fd;
		if (de->d_name[0] == '.')
			continue;
		fd = atoi(de->d_name);
		snprintf(link, sizeof(link), "/proc/self/fd/%s", de->d_name);
		if ((n = readlink(link, target, sizeof(target) - 1)) < 0)
			continue;
		target[n] = '\0';
		if (strncmp(target, tmpdir, strlen(tmpdir)) != 0)
			continue;
		files++;
		if (n >= 11 && strcmp(target + n - 11, "/store.lock") == 0)
			locks++;
		ck_assert_msg(fcntl(fd, F_GETFD) & FD_CLOEXEC, "%s (fd %d) is not close-on-exec", target, fd);
	}
	closedir(d);
	ck_assert_int_eq(locks, 1);
	ck_assert_int_ge(files, 4);   /* store.lock, store.db, -wal, -shm */
}
END_TEST

/* Many keys created and deleted in waves: lookups, key order and counts
 * stay right through table growth and tombstones. */
START_TEST(test_store_key_churn)
{
	char name[16];
	kube_object *got;
	kube_object_list *l;

	for (int wave = 0; wave < 4; wave++) {
		for (int i = 0; i < 1500; i++) {
			snprintf(name, sizeof(name), "k%05d", wave * 1000 + i);
			if (kube_store_get(&got, st, "pods", "ns", name) == 0) {
				kube_object_unref(got);
				continue;
			}
			kube_object_unref(create_pod("ns", name, NULL));
		}
		for (int i = 0; i < 1500; i += 2) {
			snprintf(name, sizeof(name), "k%05d", wave * 1000 + i);
			ck_assert_int_eq(kube_store_delete(NULL, st, "pods", "ns", name, NULL), 0);
		}
	}
	l = list(NULL, NULL, NULL);
	size_t n = kube_object_list_count(l);
	for (size_t i = 1; i < n; i++)
		ck_assert_str_lt(kube_object_name(kube_object_list_get(l, i - 1)),
		                 kube_object_name(kube_object_list_get(l, i)));
	for (size_t i = 0; i < n; i++) {
		const char *nm = kube_object_name(kube_object_list_get(l, i));
		ck_assert_int_eq(kube_store_get(&got, st, "pods", "ns", nm), 0);
		ck_assert_ptr_eq(got, kube_object_list_get(l, i));
		kube_object_unref(got);
	}
	/* every odd key of the last wave is there, every even one is not */
	for (int i = 0; i < 1500; i++) {
		snprintf(name, sizeof(name), "k%05d", 3000 + i);
		ck_assert_int_eq(kube_store_get(&got, st, "pods", "ns", name), i % 2 ? 0 : KUBE_ENOTFOUND);
		if (i % 2)
			kube_object_unref(got);
	}
	kube_object_list_free(l);
}
END_TEST

static Suite *store_suite(void)
{
	Suite *s = suite_create("store");
	TCase *tc = tcase_create("memory");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_store_create_sets_system_fields);
	tcase_add_test(tc, test_store_create_errors);
	tcase_add_test(tc, test_store_create_json_splices_system_fields);
	tcase_add_test(tc, test_store_create_json_decodes_other_json_and_errors);
	tcase_add_test(tc, test_store_generate_name_and_cluster_scope);
	tcase_add_test(tc, test_store_object_size_limit);
	tcase_add_test(tc, test_store_update_conflict_and_generation);
	tcase_add_test(tc, test_store_update_member_order);
	tcase_add_test(tc, test_store_guaranteed_update_retries);
	tcase_add_test(tc, test_store_delete_preconditions);
	tcase_add_test(tc, test_store_finalizer_flow);
	tcase_add_test(tc, test_store_list_selectors);
	tcase_add_test(tc, test_store_list_label_index);
	tcase_add_test(tc, test_store_field_selectors_per_resource);
	tcase_add_test(tc, test_store_readers_keep_objects_compact);
	tcase_add_test(tc, test_store_list_pages_consistent);
	tcase_add_test(tc, test_store_list_bad_tokens);
	tcase_add_test(tc, test_store_indexes);
	tcase_add_test(tc, test_store_key_churn);
	tcase_add_test(tc, test_store_watch_order_exactly_once_many_watchers);
	tcase_add_test(tc, test_store_watch_from_revision_and_initial_events);
	tcase_add_test(tc, test_store_watch_selectors_and_cancel);
	tcase_add_test(tc, test_store_watch_write_inside_callback);
	tcase_add_test(tc, test_store_async_order_and_errors);
	tcase_add_test(tc, test_store_async_update_chain_same_key);
	tcase_add_test(tc, test_store_take_writes_without_copy);
	tcase_add_test(tc, test_store_take_errors_and_frozen);
	tcase_add_test(tc, test_store_take_async);
	suite_add_tcase(s, tc);

	/* tests that open their own store */
	TCase *own = tcase_create("options");
	tcase_add_checked_fixture(own, NULL, teardown);
	tcase_set_timeout(own, 60);
	tcase_add_test(own, test_store_open_options);
	tcase_add_test(own, test_store_list_token_gone);
	tcase_add_test(own, test_store_watch_gone);
	tcase_add_test(own, test_store_watch_slow_watcher_ended);
	tcase_add_test(own, test_store_watch_backlog_counts_its_own_events);
	tcase_add_test(own, test_store_watch_destroy_cancels_others);
	tcase_add_test(own, test_store_watch_bookmarks);
	tcase_add_test(own, test_store_generated_name_checked_before_admission);
	tcase_add_test(own, test_store_create_name_conflicts);
	tcase_add_test(own, test_store_failed_write_leaves_its_key_to_the_batch);
	suite_add_tcase(s, own);

	TCase *sq = tcase_create("sqlite");
	tcase_add_checked_fixture(sq, sqlite_setup, sqlite_teardown);
	tcase_set_timeout(sq, 120);
	tcase_add_test(sq, test_store_sqlite_reopen);
	tcase_add_test(sq, test_store_sqlite_reopen_reads_rows_as_stored);
	tcase_add_test(sq, test_store_sqlite_reopens_deep_object);
	tcase_add_test(sq, test_store_sqlite_schema1_converted);
	tcase_add_test(sq, test_store_sqlite_schema2_converted);
	tcase_add_test(sq, test_store_sqlite_bad_rows_refused_at_open);
	tcase_add_test(sq, test_store_sqlite_generated_name_cut_at_a_character);
	tcase_add_test(sq, test_store_sqlite_checkpoints_in_background);
	tcase_add_test(sq, test_store_sqlite_batch_larger_than_one_write);
	tcase_add_test(sq, test_store_sqlite_create_json_async);
	tcase_add_test(sq, test_store_sqlite_open_errors);
	tcase_add_test(sq, test_store_sqlite_corrupt_file);
	tcase_add_test(sq, test_store_sqlite_truncated_file);
	tcase_add_test(sq, test_store_sqlite_disk_full);
	tcase_add_test(sq, test_store_async_sqlite_group_commit);
	tcase_add_test(sq, test_store_async_sqlite_writers_in_flight);
	tcase_add_test(sq, test_store_one_batch_gathers_its_writers);
	tcase_add_test(sq, test_store_async_sqlite_generate_name);
	tcase_add_test(sq, test_store_async_sqlite_sync_write_in_callback_two_batches);
	tcase_add_test(sq, test_store_async_sync_write_waits_for_batch);
	tcase_add_test(sq, test_store_async_close_cancels_queued);
	tcase_add_test(sq, test_store_async_close_with_batch_in_flight);
	tcase_add_test(sq, test_store_close_calls_back_in_apply_order);
	tcase_add_test(sq, test_store_sqlite_missing_row_is_eio);
	tcase_add_test(sq, test_store_sqlite_locked_messages);
	tcase_add_test(sq, test_store_sqlite_wal_restart_spaced_while_read);
	tcase_add_test(sq, test_store_sqlite_fds_close_on_exec);
	suite_add_tcase(s, sq);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(store_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
