/*
 * test_lifecycle.c - deletion with propagation policies, the garbage
 * collector and namespace deletion, against the memory store, in the
 * style of upstream's garbagecollector and namespace controller tests:
 *   background  the owner goes at once, then its dependents; a dependent
 *               with another owner alive only loses the dangling reference
 *   foreground  the owner waits with foregroundDeletion until every
 *               blocking dependent is gone (a Deployment -> ReplicaSet ->
 *               Pods chain goes bottom up, observed by a watch)
 *   orphan      dependents lose their reference, then the owner goes
 *   namespace   Terminating, content deleted, the conditions with
 *               upstream's messages while a finalizer holds content back,
 *               then the namespace goes
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libkube/kube.h"
#include "libkube/lifecycle.h"

static kube_loop *loop;
static kube_store *st;
static kube_informer_factory *fac;
static kube_gc *gc;

static void setup(void)
{
	ck_assert_int_eq(kube_loop_new(&loop, NULL), 0);
	ck_assert_int_eq(kube_store_open(&st, loop, NULL), 0);
	ck_assert_int_eq(kube_informer_factory_new(&fac, st, 0), 0);
	ck_assert_int_eq(kube_gc_new(&gc, fac, st, NULL), 0);
	ck_assert_int_eq(kube_informer_factory_start(fac), 0);
}

static void teardown(void)
{
	kube_gc_free(gc);
	kube_informer_factory_free(fac);
	kube_store_close(st);
	kube_loop_free(loop);
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void run_for(int64_t ms)
{
	int64_t end = mono_ms() + ms;
	struct timespec nap = { 0, 1000000 };
	do {
		for (int i = 0; i < 50; i++)
			ck_assert_int_eq(kube_loop_run_once(loop, KUBE_LOOP_NOWAIT), 0);
		nanosleep(&nap, NULL);
	} while (mono_ms() < end);
}

static char *create(const char *json)
{
	kube_object *o = NULL, *out = NULL;
	static char uids[32][64];
	static int next;
	char *uid = uids[next++ % 32];
	ck_assert_int_eq(kube_object_from_json(&o, json, strlen(json)), 0);
	ck_assert_int_eq(kube_store_create(&out, st, o), 0);
	snprintf(uid, 64, "%s", kube_object_uid(out));
	kube_object_unref(o);
	kube_object_unref(out);
	return uid;
}

static char *create_owned(const char *api, const char *kind, const char *ns, const char *name,
                          const char *refs, const char *finalizers)
{
	char buf[2048];
	snprintf(buf, sizeof(buf),
	         "{\"apiVersion\":\"%s\",\"kind\":\"%s\",\"metadata\":{\"namespace\":\"%s\","
	         "\"name\":\"%s\"%s%s%s%s}}",
	         api, kind, ns, name, refs ? ",\"ownerReferences\":" : "", refs ? refs : "",
	         finalizers ? ",\"finalizers\":" : "", finalizers ? finalizers : "");
	return create(buf);
}

static char *ref(const char *api, const char *kind, const char *name, const char *uid, int block)
{
	static char bufs[8][512];
	static int next;
	char *b = bufs[next++ % 8];
	snprintf(b, 512,
	         "{\"apiVersion\":\"%s\",\"kind\":\"%s\",\"name\":\"%s\",\"uid\":\"%s\","
	         "\"controller\":true%s}",
	         api, kind, name, uid, block ? ",\"blockOwnerDeletion\":true" : "");
	return b;
}

static int exists(const char *res, const char *ns, const char *name)
{
	kube_object *o = NULL;
	int rc = kube_store_get(&o, st, res, ns, name);
	kube_object_unref(o);
	ck_assert(rc == 0 || rc == KUBE_ENOTFOUND);
	return rc == 0;
}

static kube_object *get(const char *res, const char *ns, const char *name)
{
	kube_object *o = NULL;
	ck_assert_int_eq(kube_store_get(&o, st, res, ns, name), 0);
	return o;
}

static const char *str(const kube_object *o, const char *path)
{
	const char *v = NULL;
	return kube_object_get_string(o, path, &v) == 0 ? v : "<none>";
}

static int drop_finalizers(kube_object *o, void *ud)
{
	(void)ud;
	return kube_object_remove(o, "metadata.finalizers");
}

/* The order in which objects went, as a watch sees it. */
static char gone[64][64];
static int ngone;

static void record_deleted(kube_watch *w, const kube_watch_event *ev, void *ud)
{
	(void)w;
	if (ev->type == KUBE_WATCH_DELETED && ngone < 64)
		snprintf(gone[ngone++], 64, "%s/%s", (const char *)ud, kube_object_name(ev->object));
}

START_TEST(test_lifecycle_background_deletes_dependents_after_owner)
{
	char *cm = create_owned("v1", "ConfigMap", "ns", "owner", NULL, NULL);
	char *other = create_owned("v1", "ConfigMap", "ns", "other", NULL, NULL);
	char two[1024];
	char *r = ref("v1", "ConfigMap", "owner", cm, 0);

	char one[600];
	snprintf(one, sizeof(one), "[%s]", r);
	create_owned("v1", "Pod", "ns", "dep-1", one, NULL);
	create_owned("v1", "Secret", "ns", "dep-2", one, NULL);
	snprintf(two, sizeof(two), "[%s,{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"name\":"
	         "\"other\",\"uid\":\"%s\"}]", r, other);
	create_owned("v1", "Pod", "ns", "shared", two, NULL);
	run_for(30);
	ck_assert(exists("pods", "ns", "dep-1"));   /* owners alive: nothing happens */

	ck_assert_int_eq(kube_delete(NULL, st, "configmaps", "ns", "owner",
	                             KUBE_PROPAGATION_BACKGROUND, NULL), 0);
	ck_assert(!exists("configmaps", "ns", "owner"));   /* at once */
	run_for(50);
	ck_assert(!exists("pods", "ns", "dep-1"));
	ck_assert(!exists("secrets", "ns", "dep-2"));
	kube_object *s = get("pods", "ns", "shared");
	ck_assert_uint_eq(kube_object_owner_ref_count(s), 1);
	ck_assert_str_eq(str(s, "metadata.ownerReferences[0].name"), "other");
	kube_object_unref(s);

	/* an object whose owner never existed goes too (a dangling uid) */
	create_owned("v1", "Pod", "ns", "stray", "[{\"apiVersion\":\"apps/v1\",\"kind\":"
	             "\"ReplicaSet\",\"name\":\"nope\",\"uid\":\"0000\"}]", NULL);
	run_for(50);
	ck_assert(!exists("pods", "ns", "stray"));
	/* an owner of a kind nobody knows keeps its dependent */
	create_owned("v1", "Pod", "ns", "odd", "[{\"apiVersion\":\"example.com/v1\",\"kind\":"
	             "\"Thing\",\"name\":\"t\",\"uid\":\"1111\"}]", NULL);
	run_for(30);
	ck_assert(exists("pods", "ns", "odd"));
}
END_TEST

START_TEST(test_lifecycle_foreground_waits_for_blocking_dependents)
{
	char *rs = create_owned("apps/v1", "ReplicaSet", "ns", "rs", NULL, NULL);
	char blocking[600], loose[600];
	snprintf(blocking, sizeof(blocking), "[%s]", ref("apps/v1", "ReplicaSet", "rs", rs, 1));
	snprintf(loose, sizeof(loose), "[%s]", ref("apps/v1", "ReplicaSet", "rs", rs, 0));
	create_owned("v1", "Pod", "ns", "p1", blocking, NULL);
	create_owned("v1", "Pod", "ns", "held", blocking, "[\"example.com/hold\"]");
	create_owned("v1", "Pod", "ns", "loose", loose, "[\"example.com/hold\"]");
	run_for(20);

	ck_assert_int_eq(kube_delete(NULL, st, "replicasets", "ns", "rs",
	                             KUBE_PROPAGATION_FOREGROUND, NULL), 0);
	kube_object *o = get("replicasets", "ns", "rs");
	ck_assert_ptr_nonnull(kube_object_deletion_timestamp(o));
	ck_assert(kube_object_has_finalizer(o, KUBE_FINALIZER_FOREGROUND));
	kube_object_unref(o);
	run_for(50);
	ck_assert(!exists("pods", "ns", "p1"));
	o = get("pods", "ns", "held");   /* deleted, held by its finalizer */
	ck_assert_ptr_nonnull(kube_object_deletion_timestamp(o));
	kube_object_unref(o);
	o = get("pods", "ns", "loose");
	ck_assert_ptr_nonnull(kube_object_deletion_timestamp(o));
	kube_object_unref(o);
	ck_assert(exists("replicasets", "ns", "rs"));   /* "held" blocks it */

	ck_assert_int_eq(kube_store_guaranteed_update(NULL, st, "pods", "ns", "held",
	                                              drop_finalizers, NULL), 0);
	run_for(50);
	ck_assert(!exists("pods", "ns", "held"));
	/* "loose" does not block: its owner went while it is still held */
	ck_assert(!exists("replicasets", "ns", "rs"));
	ck_assert(exists("pods", "ns", "loose"));
}
END_TEST

START_TEST(test_lifecycle_foreground_chain_goes_bottom_up)
{
	kube_watch_options wo = KUBE_WATCH_OPTIONS_INIT;
	wo.revision = kube_store_revision(st);
	char *d = create_owned("apps/v1", "Deployment", "ns", "web", NULL, NULL);
	char r1[600], r2[600];
	snprintf(r1, sizeof(r1), "[%s]", ref("apps/v1", "Deployment", "web", d, 1));
	char *rs = create_owned("apps/v1", "ReplicaSet", "ns", "web-5d9c", r1, NULL);
	snprintf(r2, sizeof(r2), "[%s]", ref("apps/v1", "ReplicaSet", "web-5d9c", rs, 1));
	create_owned("v1", "Pod", "ns", "web-5d9c-a", r2, NULL);
	create_owned("v1", "Pod", "ns", "web-5d9c-b", r2, NULL);
	run_for(20);
	ngone = 0;
	wo.revision = kube_store_revision(st);
	ck_assert_int_eq(kube_store_watch(NULL, st, "pods", &wo, record_deleted, "pods", NULL), 0);
	ck_assert_int_eq(kube_store_watch(NULL, st, "replicasets", &wo, record_deleted, "rs", NULL), 0);
	ck_assert_int_eq(kube_store_watch(NULL, st, "deployments", &wo, record_deleted, "deploy",
	                                  NULL), 0);

	ck_assert_int_eq(kube_delete(NULL, st, "deployments", "ns", "web",
	                             KUBE_PROPAGATION_FOREGROUND, NULL), 0);
	run_for(100);
	ck_assert_int_eq(ngone, 4);
	/* the pods (in either order), then the ReplicaSet, then the Deployment */
	ck_assert_int_eq(strncmp(gone[0], "pods/web-5d9c-", 14), 0);
	ck_assert_int_eq(strncmp(gone[1], "pods/web-5d9c-", 14), 0);
	ck_assert_str_eq(gone[2], "rs/web-5d9c");
	ck_assert_str_eq(gone[3], "deploy/web");
}
END_TEST

/* The case with the real controllers: a Deployment's pods are made
 * by its ReplicaSet; foreground deletion takes every pod first, then the
 * ReplicaSet, then the Deployment, and no pod is made again meanwhile. */
START_TEST(test_lifecycle_foreground_deployment_with_controllers)
{
	kube_replicaset_controller *rsc = NULL;
	kube_deployment_controller *dc = NULL;
	kube_watch_options wo = KUBE_WATCH_OPTIONS_INIT;
	kube_object_list *l = NULL;
	int64_t end;

	ck_assert_int_eq(kube_replicaset_controller_new(&rsc, fac, st, "ReplicaSet", NULL), 0);
	ck_assert_int_eq(kube_deployment_controller_new(&dc, fac, st, NULL), 0);
	create("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"namespace\":"
	       "\"ns\",\"name\":\"web\"},\"spec\":{\"replicas\":3,\"selector\":{\"matchLabels\":"
	       "{\"app\":\"web\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\"}},"
	       "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"nginx\"}]}}}}");
	end = mono_ms() + 5000;
	size_t n = 0;
	do {
		run_for(10);
		ck_assert_int_eq(kube_store_list(&l, st, "pods", NULL, NULL, NULL), 0);
		n = kube_object_list_count(l);
		kube_object_list_free(l);
	} while (n < 3 && mono_ms() < end);
	ck_assert_uint_eq(n, 3);

	ngone = 0;
	wo.revision = kube_store_revision(st);
	ck_assert_int_eq(kube_store_watch(NULL, st, "pods", &wo, record_deleted, "pods", NULL), 0);
	ck_assert_int_eq(kube_store_watch(NULL, st, "replicasets", &wo, record_deleted, "rs", NULL), 0);
	ck_assert_int_eq(kube_store_watch(NULL, st, "deployments", &wo, record_deleted, "deploy",
	                                  NULL), 0);
	ck_assert_int_eq(kube_delete(NULL, st, "deployments", "ns", "web",
	                             KUBE_PROPAGATION_FOREGROUND, NULL), 0);
	end = mono_ms() + 5000;
	while (exists("deployments", "ns", "web") && mono_ms() < end)
		run_for(10);
	run_for(50);
	ck_assert_int_eq(ngone, 5);
	for (int i = 0; i < 3; i++)
		ck_assert_int_eq(strncmp(gone[i], "pods/web-", 9), 0);
	ck_assert_int_eq(strncmp(gone[3], "rs/web-", 7), 0);
	ck_assert_str_eq(gone[4], "deploy/web");
	ck_assert_int_eq(kube_store_list(&l, st, "pods", NULL, NULL, NULL), 0);
	ck_assert_uint_eq(kube_object_list_count(l), 0);
	kube_object_list_free(l);
	kube_deployment_controller_free(dc);
	kube_replicaset_controller_free(rsc);
}
END_TEST

/* A dependent with another owner alive is not deleted for a foreground
 * owner: it drops that owner's reference (upstream's solid + waiting case),
 * and the owner, no longer blocked, goes. */
START_TEST(test_lifecycle_foreground_spares_dependent_with_solid_owner)
{
	char *a = create_owned("v1", "ConfigMap", "ns", "a", NULL, NULL);
	char *b = create_owned("v1", "ConfigMap", "ns", "b", NULL, NULL);
	char refs[1200];
	snprintf(refs, sizeof(refs), "[%s,%s]", ref("v1", "ConfigMap", "a", a, 1),
	         ref("v1", "ConfigMap", "b", b, 1));
	create_owned("v1", "Pod", "ns", "shared", refs, NULL);
	run_for(20);

	ck_assert_int_eq(kube_delete(NULL, st, "configmaps", "ns", "a", KUBE_PROPAGATION_FOREGROUND,
	                             NULL), 0);
	run_for(60);
	ck_assert(!exists("configmaps", "ns", "a"));
	kube_object *p = get("pods", "ns", "shared");
	ck_assert_ptr_null(kube_object_deletion_timestamp(p));
	ck_assert_uint_eq(kube_object_owner_ref_count(p), 1);
	ck_assert_str_eq(str(p, "metadata.ownerReferences[0].name"), "b");
	kube_object_unref(p);

	/* a second delete of an object already going changes nothing */
	char *c = create_owned("v1", "ConfigMap", "ns", "c", NULL, "[\"example.com/hold\"]");
	(void)c;
	kube_object *before = NULL, *after = NULL;
	ck_assert_int_eq(kube_delete(&before, st, "configmaps", "ns", "c",
	                             KUBE_PROPAGATION_BACKGROUND, NULL), 0);
	ck_assert_int_eq(kube_delete(&after, st, "configmaps", "ns", "c", KUBE_PROPAGATION_ORPHAN,
	                             NULL), 0);
	ck_assert_str_eq(kube_object_resource_version(after), kube_object_resource_version(before));
	ck_assert(!kube_object_has_finalizer(after, KUBE_FINALIZER_ORPHAN));
	kube_object_unref(before);
	kube_object_unref(after);
}
END_TEST

START_TEST(test_lifecycle_orphan_keeps_dependents)
{
	char *rs = create_owned("apps/v1", "ReplicaSet", "ns", "rs", NULL, NULL);
	char *cm = create_owned("v1", "ConfigMap", "ns", "cm", NULL, NULL);
	char refs[1200], one[600];
	snprintf(one, sizeof(one), "[%s]", ref("apps/v1", "ReplicaSet", "rs", rs, 1));
	create_owned("v1", "Pod", "ns", "a", one, NULL);
	snprintf(refs, sizeof(refs), "[%s,%s]", ref("apps/v1", "ReplicaSet", "rs", rs, 1),
	         ref("v1", "ConfigMap", "cm", cm, 0));
	create_owned("v1", "Pod", "ns", "b", refs, NULL);
	run_for(20);

	kube_object *last = NULL;
	ck_assert_int_eq(kube_delete(&last, st, "replicasets", "ns", "rs", KUBE_PROPAGATION_ORPHAN,
	                             NULL), 0);
	ck_assert(kube_object_has_finalizer(last, KUBE_FINALIZER_ORPHAN));
	ck_assert_ptr_nonnull(kube_object_deletion_timestamp(last));
	kube_object_unref(last);
	run_for(50);
	ck_assert(!exists("replicasets", "ns", "rs"));
	kube_object *a = get("pods", "ns", "a"), *b = get("pods", "ns", "b");
	ck_assert_uint_eq(kube_object_owner_ref_count(a), 0);
	ck_assert_uint_eq(kube_object_owner_ref_count(b), 1);
	ck_assert_str_eq(str(b, "metadata.ownerReferences[0].kind"), "ConfigMap");
	kube_object_unref(a);
	kube_object_unref(b);
}
END_TEST

START_TEST(test_lifecycle_namespace_terminating)
{
	kube_namespace_controller *nc = NULL;
	ck_assert_int_eq(kube_namespace_controller_new(&nc, fac, st, 10), 0);
	ck_assert_ptr_nonnull(kube_namespace_controller_runner(nc));
	create("{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"team\"}}");
	create_owned("v1", "Pod", "team", "p1", NULL, NULL);
	create_owned("v1", "Pod", "team", "p2", NULL, "[\"example.com/hold\"]");
	create_owned("v1", "ConfigMap", "team", "cfg", NULL, NULL);
	create_owned("apps/v1", "Deployment", "team", "web", NULL, NULL);
	create_owned("v1", "Pod", "other", "keep", NULL, NULL);
	run_for(20);

	ck_assert_int_eq(kube_delete(NULL, st, "namespaces", NULL, "team",
	                             KUBE_PROPAGATION_BACKGROUND, NULL), 0);
	kube_object *ns = get("namespaces", NULL, "team");
	ck_assert_str_eq(str(ns, "status.phase"), "Terminating");
	ck_assert_str_eq(str(ns, "spec.finalizers[0]"), "kubernetes");
	ck_assert_ptr_nonnull(kube_object_deletion_timestamp(ns));
	kube_object_unref(ns);
	run_for(60);
	ck_assert(!exists("pods", "team", "p1"));
	ck_assert(!exists("configmaps", "team", "cfg"));
	ck_assert(!exists("deployments", "team", "web"));
	ck_assert(exists("pods", "team", "p2"));
	ck_assert(exists("pods", "other", "keep"));
	ns = get("namespaces", NULL, "team");
	static const char *const want[][4] = {
		{ "NamespaceDeletionDiscoveryFailure", "False", "ResourcesDiscovered",
		  "All resources successfully discovered" },
		{ "NamespaceDeletionGroupVersionParsingFailure", "False", "ParsedGroupVersions",
		  "All legacy kube types successfully parsed" },
		{ "NamespaceDeletionContentFailure", "False", "ContentDeleted",
		  "All content successfully deleted, may be waiting on finalization" },
		{ "NamespaceContentRemaining", "True", "SomeResourcesRemain",
		  "Some resources are remaining: pods. has 1 resource instances" },
		{ "NamespaceFinalizersRemaining", "True", "SomeFinalizersRemain",
		  "Some content in the namespace has finalizers remaining: example.com/hold in 1 "
		  "resource instances" },
	};
	for (size_t i = 0; i < 5; i++) {
		char path[64];
		const char *fields[] = { "type", "status", "reason", "message" };
		for (size_t f = 0; f < 4; f++) {
			snprintf(path, sizeof(path), "status.conditions[%zu].%s", i, fields[f]);
			ck_assert_str_eq(str(ns, path), want[i][f]);
		}
	}
	kube_object_unref(ns);

	ck_assert_int_eq(kube_store_guaranteed_update(NULL, st, "pods", "team", "p2",
	                                              drop_finalizers, NULL), 0);
	run_for(80);
	ck_assert(!exists("pods", "team", "p2"));
	ck_assert(!exists("namespaces", NULL, "team"));
	ck_assert(exists("pods", "other", "keep"));
	kube_namespace_controller_free(nc);
}
END_TEST

START_TEST(test_lifecycle_delete_checked)
{
	kube_gc_options o;
	kube_gc *g = NULL;
	const char *bad[] = { "pods", "frobs", NULL };
	char *uid = create_owned("v1", "ConfigMap", "ns", "c", NULL, NULL);
	kube_delete_options d = KUBE_DELETE_OPTIONS_INIT;

	ck_assert_int_eq(kube_delete(NULL, st, "configmaps", "ns", "c", (kube_propagation)7, NULL),
	                 KUBE_EINVAL);
	ck_assert_int_eq(kube_delete(NULL, st, "configmaps", "ns", "nope",
	                             KUBE_PROPAGATION_FOREGROUND, NULL), KUBE_ENOTFOUND);
	d.uid = "not-the-uid";
	ck_assert_int_eq(kube_delete(NULL, st, "configmaps", "ns", "c", KUBE_PROPAGATION_FOREGROUND,
	                             &d), KUBE_ECONFLICT);
	char msg[400];
	snprintf(msg, sizeof(msg),
	         "Operation cannot be fulfilled on ConfigMap \"c\": the UID in the precondition "
	         "(not-the-uid) does not match the UID in record (%s). The object might have been "
	         "deleted and then recreated", uid);
	ck_assert_str_eq(kube_error_last()->message, msg);
	kube_object *c = get("configmaps", "ns", "c");
	ck_assert_uint_eq(kube_object_finalizer_count(c), 0);   /* nothing was written */
	kube_object_unref(c);
	d.uid = uid;
	ck_assert_int_eq(kube_delete(NULL, st, "configmaps", "ns", "c", KUBE_PROPAGATION_ORPHAN, &d),
	                 0);
	run_for(30);
	ck_assert(!exists("configmaps", "ns", "c"));

	ck_assert_int_eq(kube_gc_options_init(&o, 0), KUBE_EINVAL);
	ck_assert_int_eq(kube_gc_options_init(&o, KUBE_GC_OPTIONS_VERSION), 0);
	ck_assert_uint_eq(o.workers, 20);
	o.resources = bad;
	ck_assert_int_eq(kube_gc_new(&g, fac, st, &o), KUBE_EINVAL);
	ck_assert_str_eq(kube_error_last()->message, "kube_gc_new: unknown resource \"frobs\"");
	ck_assert_ptr_null(g);
	ck_assert_ptr_nonnull(kube_gc_runner(gc));
	ck_assert_ptr_null(kube_gc_runner(NULL));
}
END_TEST

int main(void)
{
	Suite *s = suite_create("lifecycle");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_lifecycle_background_deletes_dependents_after_owner);
	tcase_add_test(tc, test_lifecycle_foreground_waits_for_blocking_dependents);
	tcase_add_test(tc, test_lifecycle_foreground_chain_goes_bottom_up);
	tcase_add_test(tc, test_lifecycle_foreground_deployment_with_controllers);
	tcase_add_test(tc, test_lifecycle_foreground_spares_dependent_with_solid_owner);
	tcase_add_test(tc, test_lifecycle_orphan_keeps_dependents);
	tcase_add_test(tc, test_lifecycle_namespace_terminating);
	tcase_add_test(tc, test_lifecycle_delete_checked);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
