/*
 * test_informer.c - informers on the memory store: the first list and the
 * handlers' order, watch events into the cache, the built-in and custom
 * indexes, resync, recovery from a watch that ended with KUBE_EGONE (the
 * synthetic add / update / delete-with-unknown-state events), late
 * handlers, handler removal inside a handler, selectors, the shared
 * factory, and the readers that look into a stored object's text.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libkube/kube.h"
#include "object/object_private.h"
#include "reconcile/reconcile_private.h"

static kube_loop *loop;
static kube_store *st;

static void setup_history(size_t history)
{
	kube_store_options o = KUBE_STORE_OPTIONS_INIT;
	o.history = history;
	ck_assert_int_eq(kube_loop_new(&loop, NULL), 0);
	ck_assert_int_eq(kube_store_open(&st, loop, &o), 0);
}

static void setup(void)
{
	setup_history(10000);
}

static void teardown(void)
{
	kube_store_close(st);
	kube_loop_free(loop);
	st = NULL;
	loop = NULL;
}

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

/* Creates a pod: labels like "\"app\":\"web\"", extra spec fields, owner uid. */
static void create_pod(const char *ns, const char *name, const char *labels, const char *node,
                       const char *owner_uid)
{
	char buf[2048], own[256] = "";
	kube_object *o;

	if (owner_uid)
		snprintf(own, sizeof(own),
		         ",\"ownerReferences\":[{\"apiVersion\":\"apps/v1\",\"kind\":\"ReplicaSet\","
		         "\"name\":\"rs\",\"uid\":\"%s\",\"controller\":true}]", owner_uid);
	snprintf(buf, sizeof(buf),
	         "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"namespace\":\"%s\",\"name\":\"%s\","
	         "\"labels\":{%s}%s},\"spec\":{%s%s%s\"containers\":[{\"name\":\"c\",\"image\":\"busybox\"}]}}",
	         ns, name, labels ? labels : "", own, node ? "\"nodeName\":\"" : "", node ? node : "",
	         node ? "\"," : "");
	o = obj(buf);
	ck_assert_int_eq(kube_store_create(NULL, st, o), 0);
	kube_object_unref(o);
}

static int set_image(kube_object *o, void *ud)
{
	return kube_object_set_string(o, "spec.containers[0].image", ud);
}

static int set_label(kube_object *o, void *ud)
{
	const char **kv = ud;
	return kube_object_set_label(o, kv[0], kv[1]);
}

static void update_image(const char *ns, const char *name, const char *image)
{
	ck_assert_int_eq(kube_store_guaranteed_update(NULL, st, "pods", ns, name, set_image,
	                                              (void *)image), 0);
}

static void delete_pod(const char *ns, const char *name)
{
	ck_assert_int_eq(kube_store_delete(NULL, st, "pods", ns, name, NULL), 0);
}

/* ---- a recording handler ---- */

typedef struct rec {
	char log[8192];
	int destroyed;
} rec;

static void rec_add(kube_informer *inf, kube_object *o, int initial, void *ud)
{
	rec *r = ud;
	(void)inf;
	snprintf(r->log + strlen(r->log), sizeof(r->log) - strlen(r->log), "add%s %s/%s;",
	         initial ? "(list)" : "", kube_object_namespace(o), kube_object_name(o));
}

static void rec_update(kube_informer *inf, kube_object *old, kube_object *o, void *ud)
{
	rec *r = ud;
	(void)inf;
	snprintf(r->log + strlen(r->log), sizeof(r->log) - strlen(r->log), "update %s %s%s;",
	         kube_object_name(o), old == o ? "same" : kube_object_resource_version(old),
	         old == o ? "" : strcmp(kube_object_resource_version(old),
	                                kube_object_resource_version(o)) ? "->new" : "=");
}

static void rec_delete(kube_informer *inf, kube_object *o, int unknown, void *ud)
{
	rec *r = ud;
	(void)inf;
	snprintf(r->log + strlen(r->log), sizeof(r->log) - strlen(r->log), "delete%s %s;",
	         unknown ? "(unknown)" : "", kube_object_name(o));
}

static void rec_destroy(void *ud)
{
	((rec *)ud)->destroyed++;
}

static const kube_informer_handlers rec_handlers = {
	KUBE_INFORMER_HANDLERS_VERSION, rec_add, rec_update, rec_delete
};

static kube_informer *new_informer(const kube_informer_options *o)
{
	kube_informer *inf = NULL;
	ck_assert_int_eq(kube_informer_new(&inf, st, "pods", o), 0);
	return inf;
}

/* The names of a list, comma-separated. */
static char *names(kube_object_list *l)
{
	static char buf[1024];
	buf[0] = 0;
	for (size_t i = 0; i < kube_object_list_count(l); i++)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s", i ? "," : "",
		         kube_object_name(kube_object_list_get(l, i)));
	kube_object_list_free(l);
	return buf;
}

START_TEST(test_informer_list_then_watch)
{
	kube_informer *inf;
	rec r = { "", 0 };

	create_pod("b", "p2", NULL, NULL, NULL);
	create_pod("a", "p1", NULL, NULL, NULL);
	create_pod("b", "p1", NULL, NULL, NULL);
	inf = new_informer(NULL);
	ck_assert_int_eq(kube_informer_add_handler(NULL, inf, &rec_handlers, &r, rec_destroy), 0);
	ck_assert_int_eq(kube_informer_has_synced(inf), 0);
	ck_assert_int_eq(kube_informer_start(inf), 0);
	ck_assert_int_eq(kube_informer_start(inf), KUBE_EINVAL);
	ck_assert_str_eq(kube_error_last()->message, "informer pods: already started");
	ck_assert_int_eq(kube_informer_has_synced(inf), 1);
	ck_assert_uint_eq(kube_informer_list_count(inf), 1);
	ck_assert_str_eq(r.log, "add(list) a/p1;add(list) b/p1;add(list) b/p2;");
	ck_assert_uint_eq(kube_informer_count(inf), 3);
	ck_assert_str_eq(kube_informer_resource(inf), "pods");

	r.log[0] = 0;
	create_pod("a", "p3", NULL, NULL, NULL);
	update_image("b", "p1", "nginx");
	delete_pod("b", "p2");
	ck_assert_str_eq(r.log, "");          /* events come from the loop */
	pump();
	ck_assert_str_eq(r.log, "add a/p3;update p1 3->new;delete p2;");
	ck_assert_uint_eq(kube_informer_count(inf), 3);
	kube_object *p = kube_informer_get(inf, "b", "p1");
	ck_assert_ptr_nonnull(p);
	const char *img;
	ck_assert_int_eq(kube_object_get_string(p, "spec.containers[0].image", &img), 0);
	ck_assert_str_eq(img, "nginx");
	ck_assert_ptr_eq(kube_informer_get_by_key(inf, "b/p1"), p);
	ck_assert_ptr_null(kube_informer_get(inf, "b", "p2"));
	kube_object_list *l;
	ck_assert_int_eq(kube_informer_list(&l, inf, NULL, NULL), 0);
	ck_assert_str_eq(names(l), "p1,p3,p1");
	kube_informer_free(inf);
	ck_assert_int_eq(r.destroyed, 1);
}
END_TEST

static int by_image(const kube_object *o, kube_index_values *v, void *ud)
{
	const char *img;
	(void)ud;
	if (kube_object_get_string(o, "spec.containers[0].image", &img) == 0)
		return kube_index_values_add(v, img);
	return 0;
}

static int destroyed_index;

static void index_destroy(void *ud)
{
	(void)ud;
	destroyed_index++;
}

START_TEST(test_informer_indexes)
{
	kube_informer *inf = new_informer(NULL);
	kube_object_list *l;
	kube_selector *sel;

	create_pod("ns1", "a", "\"app\":\"web\",\"tier\":\"fe\"", "node-1", "uid-1");
	create_pod("ns1", "b", "\"app\":\"web\"", "node-2", "uid-1");
	create_pod("ns2", "c", "\"app\":\"db\"", "node-1", "uid-2");
	create_pod("ns2", "d", "\"app\":\"web\"", NULL, NULL);
	ck_assert_int_eq(kube_informer_start(inf), 0);
	/* a custom index added after start indexes what is cached */
	ck_assert_int_eq(kube_informer_add_index(inf, "image", by_image, NULL, index_destroy), 0);
	ck_assert_int_eq(kube_informer_add_index(inf, "image", by_image, NULL, NULL), KUBE_EEXISTS);
	ck_assert_int_eq(kube_informer_add_index(inf, "namespace", by_image, NULL, NULL), KUBE_EEXISTS);
	ck_assert_str_eq(kube_error_last()->message, "informer pods: index \"namespace\" exists");

	ck_assert_int_eq(kube_informer_by_index(&l, inf, KUBE_INFORMER_INDEX_NAMESPACE, "ns2"), 0);
	ck_assert_str_eq(names(l), "c,d");
	ck_assert_int_eq(kube_informer_by_index(&l, inf, KUBE_INFORMER_INDEX_OWNER, "uid-1"), 0);
	ck_assert_str_eq(names(l), "a,b");
	ck_assert_int_eq(kube_informer_by_index(&l, inf, KUBE_INFORMER_INDEX_NODE_NAME, "node-1"), 0);
	ck_assert_str_eq(names(l), "a,c");
	ck_assert_int_eq(kube_informer_by_index(&l, inf, "image", "busybox"), 0);
	ck_assert_str_eq(names(l), "a,b,c,d");
	ck_assert_int_eq(kube_informer_by_index(&l, inf, "image", "nginx"), 0);
	ck_assert_str_eq(names(l), "");
	ck_assert_int_eq(kube_informer_by_index(&l, inf, "nope", "x"), KUBE_ENOTFOUND);
	ck_assert_str_eq(kube_error_last()->message, "informer pods: no index \"nope\"");

	ck_assert_int_eq(kube_selector_parse(&sel, "app=web"), 0);
	ck_assert_int_eq(kube_informer_list(&l, inf, NULL, sel), 0);
	ck_assert_str_eq(names(l), "a,b,d");
	ck_assert_int_eq(kube_informer_list(&l, inf, "ns1", sel), 0);
	ck_assert_str_eq(names(l), "a,b");
	ck_assert_int_eq(kube_informer_list(&l, inf, "ns2", NULL), 0);
	ck_assert_str_eq(names(l), "c,d");
	kube_selector_free(sel);
	ck_assert_int_eq(kube_selector_nothing(&sel), 0);
	ck_assert_int_eq(kube_informer_list(&l, inf, NULL, sel), 0);
	ck_assert_str_eq(names(l), "");
	kube_selector_free(sel);

	/* changes move the object between buckets */
	const char *kv[2] = { "app", "db" };
	ck_assert_int_eq(kube_store_guaranteed_update(NULL, st, "pods", "ns1", "a", set_label, kv), 0);
	update_image("ns1", "b", "nginx");
	delete_pod("ns1", "b");
	create_pod("ns1", "b", "\"app\":\"web\"", NULL, NULL);
	update_image("ns1", "b", "nginx");
	pump();
	ck_assert_int_eq(kube_selector_parse(&sel, "app in (db)"), 0);
	ck_assert_int_eq(kube_informer_list(&l, inf, NULL, sel), 0);
	ck_assert_str_eq(names(l), "a,c");
	kube_selector_free(sel);
	ck_assert_int_eq(kube_informer_by_index(&l, inf, "image", "nginx"), 0);
	ck_assert_str_eq(names(l), "b");
	ck_assert_int_eq(kube_informer_by_index(&l, inf, KUBE_INFORMER_INDEX_OWNER, "uid-1"), 0);
	ck_assert_str_eq(names(l), "a");
	ck_assert_int_eq(kube_informer_by_index(&l, inf, KUBE_INFORMER_INDEX_NODE_NAME, "node-2"), 0);
	ck_assert_str_eq(names(l), "");
	kube_informer_free(inf);
	ck_assert_int_eq(destroyed_index, 1);
}
END_TEST

START_TEST(test_informer_resync)
{
	kube_informer_options o = KUBE_INFORMER_OPTIONS_INIT;
	kube_informer *inf;
	rec r = { "", 0 };

	create_pod("x", "b", NULL, NULL, NULL);
	create_pod("x", "a", NULL, NULL, NULL);
	o.resync_ms = 20;
	inf = new_informer(&o);
	ck_assert_int_eq(kube_informer_start(inf), 0);
	ck_assert_int_eq(kube_informer_add_handler(NULL, inf, &rec_handlers, &r, NULL), 0);
	/* a late handler gets the cache replayed, in key order */
	ck_assert_str_eq(r.log, "add(list) x/a;add(list) x/b;");
	r.log[0] = 0;
	ck_assert_int_eq(kube_informer_resync(inf), 0);
	ck_assert_str_eq(r.log, "update a same;update b same;");
	/* the timer: wait for two periodic resyncs */
	r.log[0] = 0;
	while (strlen(r.log) < strlen("update a same;update b same;update a same;update b same;"))
		ck_assert_int_eq(kube_loop_run_once(loop, 0), 0);
	ck_assert_str_eq(r.log, "update a same;update b same;update a same;update b same;");
	kube_informer_free(inf);
}
END_TEST

START_TEST(test_informer_recovers_from_gone)
{
	kube_informer *inf;
	rec r = { "", 0 };
	char name[16];

	kube_store_close(st);
	kube_loop_free(loop);
	setup_history(4);
	create_pod("n", "a", NULL, NULL, NULL);
	create_pod("n", "b", NULL, NULL, NULL);
	create_pod("n", "c", NULL, NULL, NULL);
	inf = new_informer(NULL);
	ck_assert_int_eq(kube_informer_add_handler(NULL, inf, &rec_handlers, &r, NULL), 0);
	ck_assert_int_eq(kube_informer_start(inf), 0);
	r.log[0] = 0;
	/* more writes than the history keeps, before the watcher reads any */
	update_image("n", "a", "nginx");
	delete_pod("n", "b");
	create_pod("n", "d", NULL, NULL, NULL);
	for (int i = 0; i < 4; i++) {
		snprintf(name, sizeof(name), "e%d", i);
		create_pod("other", name, NULL, NULL, NULL);
		delete_pod("other", name);
	}
	pump();
	ck_assert_uint_eq(kube_informer_list_count(inf), 2);
	/* Replace: listed and cached -> update (changed or not), new -> add,
	 * gone -> delete with the final state unknown; an unchanged object is
	 * the very pointer the cache held */
	ck_assert_str_eq(r.log, "update a 1->new;update c same;add(list) n/d;delete(unknown) b;");
	ck_assert_uint_eq(kube_informer_count(inf), 3);
	/* and the new watch goes on from the list's revision */
	r.log[0] = 0;
	delete_pod("n", "c");
	pump();
	ck_assert_str_eq(r.log, "delete c;");
	kube_informer_free(inf);
}
END_TEST

START_TEST(test_informer_recovers_from_slow_consumer_end)
{
	kube_informer *inf;
	rec r = { "", 0 };

	create_pod("n", "a", NULL, NULL, NULL);
	create_pod("n", "b", NULL, NULL, NULL);
	inf = new_informer(NULL);
	ck_assert_int_eq(kube_informer_add_handler(NULL, inf, &rec_handlers, &r, NULL), 0);
	ck_assert_int_eq(kube_informer_start(inf), 0);
	/* the watch stops; changes are missed */
	kube__informer_watch_ended(inf, KUBE_ECANCELED);
	r.log[0] = 0;
	delete_pod("n", "a");
	create_pod("n", "c", NULL, NULL, NULL);
	pump();
	ck_assert_str_eq(r.log, "");
	ck_assert_uint_eq(kube_informer_list_count(inf), 1);
	/* the store ends a watcher that fell behind with KUBE_EBUSY: re-list */
	kube__informer_watch_ended(inf, KUBE_EBUSY);
	ck_assert_uint_eq(kube_informer_list_count(inf), 2);
	ck_assert_str_eq(r.log, "update b same;add(list) n/c;delete(unknown) a;");
	r.log[0] = 0;
	update_image("n", "c", "nginx");
	pump();
	ck_assert_str_eq(r.log, "update c 4->new;");   /* watching again */
	kube_informer_free(inf);
}
END_TEST

static kube_informer_handler *self_h;

static void remove_self(kube_informer *inf, kube_object *o, int initial, void *ud)
{
	rec *r = ud;
	(void)o;
	(void)initial;
	strcat(r->log, "once;");
	kube_informer_remove_handler(inf, self_h);
}

START_TEST(test_informer_remove_handler_inside)
{
	kube_informer *inf = new_informer(NULL);
	kube_informer_handlers h = { KUBE_INFORMER_HANDLERS_VERSION, remove_self, NULL, NULL };
	kube_informer_handlers bad = { 7, NULL, NULL, NULL };
	rec r = { "", 0 }, r2 = { "", 0 };

	ck_assert_int_eq(kube_informer_add_handler(NULL, inf, &bad, NULL, NULL), KUBE_EINVAL);
	ck_assert_int_eq(kube_informer_add_handler(&self_h, inf, &h, &r, rec_destroy), 0);
	ck_assert_int_eq(kube_informer_add_handler(NULL, inf, &rec_handlers, &r2, NULL), 0);
	ck_assert_int_eq(kube_informer_start(inf), 0);
	create_pod("n", "a", NULL, NULL, NULL);
	create_pod("n", "b", NULL, NULL, NULL);
	pump();
	ck_assert_str_eq(r.log, "once;");
	ck_assert_int_eq(r.destroyed, 1);
	ck_assert_str_eq(r2.log, "add n/a;add n/b;");
	kube_informer_free(inf);
}
END_TEST

START_TEST(test_informer_selector_filters)
{
	kube_informer_options o = KUBE_INFORMER_OPTIONS_INIT;
	kube_informer *inf = NULL;
	rec r = { "", 0 };
	const char *kv[2] = { "app", "db" };

	o.label_selector = "app=web";
	o.namespace_ = "n";
	create_pod("n", "a", "\"app\":\"web\"", NULL, NULL);
	create_pod("n", "b", "\"app\":\"db\"", NULL, NULL);
	create_pod("m", "c", "\"app\":\"web\"", NULL, NULL);
	inf = new_informer(&o);
	ck_assert_int_eq(kube_informer_add_handler(NULL, inf, &rec_handlers, &r, NULL), 0);
	ck_assert_int_eq(kube_informer_start(inf), 0);
	ck_assert_str_eq(r.log, "add(list) n/a;");
	r.log[0] = 0;
	/* relabelled out of the selector: a delete */
	ck_assert_int_eq(kube_store_guaranteed_update(NULL, st, "pods", "n", "a", set_label, kv), 0);
	pump();
	ck_assert_str_eq(r.log, "delete a;");
	ck_assert_uint_eq(kube_informer_count(inf), 0);
	kube_informer_free(inf);

	o.label_selector = "app in (";
	ck_assert_int_eq(kube_informer_new(&inf, st, "pods", &o), KUBE_EINVAL);
	ck_assert_ptr_null(inf);
	o.version = 99;
	ck_assert_int_eq(kube_informer_new(&inf, st, "pods", &o), KUBE_EINVAL);
	ck_assert_int_eq(kube_informer_options_init(&o, 1), 0);
	ck_assert_uint_eq(o.resync_ms, 0);
	ck_assert_int_eq(kube_informer_options_init(&o, 2), KUBE_EINVAL);
}
END_TEST

START_TEST(test_informer_factory_shares)
{
	kube_informer_factory *f;
	kube_informer *a, *b, *c;

	create_pod("n", "a", NULL, NULL, NULL);
	ck_assert_int_eq(kube_informer_factory_new(&f, st, 0), 0);
	ck_assert_int_eq(kube_informer_factory_get(&a, f, "pods"), 0);
	ck_assert_int_eq(kube_informer_factory_get(&b, f, "pods"), 0);
	ck_assert_ptr_eq(a, b);
	ck_assert_uint_eq(kube_informer_factory_count(f), 1);
	ck_assert_int_eq(kube_informer_has_synced(a), 0);
	ck_assert_int_eq(kube_informer_factory_start(f), 0);
	ck_assert_int_eq(kube_informer_has_synced(a), 1);
	ck_assert_uint_eq(kube_informer_count(a), 1);
	/* made after start: started at once */
	ck_assert_int_eq(kube_informer_factory_get(&c, f, "replicasets"), 0);
	ck_assert_ptr_ne(a, c);
	ck_assert_int_eq(kube_informer_has_synced(c), 1);
	ck_assert_uint_eq(kube_informer_factory_count(f), 2);
	ck_assert_int_eq(kube_informer_factory_get(&c, f, ""), KUBE_EINVAL);
	ck_assert_uint_eq(kube_informer_factory_count(f), 2);
	kube_informer_factory_free(f);
}
END_TEST

START_TEST(test_informer_cache_keys)
{
	kube_object *o = obj("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"namespace\":\"ns\",\"name\":\"p\"}}");
	kube_object *n = obj("{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"node-1\"}}");
	char *k, *ns, *name;

	ck_assert_int_eq(kube_object_cache_key(&k, o), 0);
	ck_assert_str_eq(k, "ns/p");
	kube_free(k);
	ck_assert_int_eq(kube_object_cache_key(&k, n), 0);
	ck_assert_str_eq(k, "node-1");
	kube_free(k);
	ck_assert_int_eq(kube_cache_key_split(&ns, &name, "ns/p"), 0);
	ck_assert_str_eq(ns, "ns");
	ck_assert_str_eq(name, "p");
	kube_free(ns);
	kube_free(name);
	ck_assert_int_eq(kube_cache_key_split(&ns, &name, "node-1"), 0);
	ck_assert_str_eq(ns, "");
	ck_assert_str_eq(name, "node-1");
	kube_free(ns);
	kube_free(name);
	ck_assert_int_eq(kube_cache_key_split(&ns, &name, "a/b/c"), KUBE_EINVAL);
	ck_assert_str_eq(kube_error_last()->message, "unexpected key format: \"a/b/c\"");
	kube_object_unref(o);
	kube_object_unref(n);
}
END_TEST

/*
 * The peek readers (lib/reconcile/peek.c) answer from a stored pod's
 * compact text exactly what the getters answer from its tree, escapes,
 * nesting, types and absent fields included, and from a mutable object's
 * tree alike.
 */
START_TEST(test_informer_peek_compact)
{
	kube_object *stored = NULL, *copy = NULL;
	kube__buf scratch = KUBE__BUF_INIT, status = KUBE__BUF_INIT, since = KUBE__BUF_INIT;
	kube__buf js = KUBE__BUF_INIT;
	const char *v;
	int64_t n;

	kube_object *o = obj(
	        "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"namespace\":\"default\","
	        "\"name\":\"p\",\"labels\":{\"phase\":\"x\"},"
	        "\"annotations\":{\"x\":\"ends\\\\\",\"y\":\"br\\\\\\\"}]{[\"}},\"spec\":{\"schedulerName\":\"a\\\"b\\u00e9\","
	        "\"priority\":-42,\"big\":18446744073709551615,\"ratio\":1.5,\"nodeSelector\":{\"k\":\"v\"},"
	        "\"containers\":[{\"name\":\"c\",\"image\":\"i\"}]},"
	        "\"status\":{\"phase\":\"Running\",\"nominatedNodeName\":null,\"conditions\":["
	        "{\"type\":\"PodScheduled\",\"status\":\"True\"},\"junk\",{\"type\":7},"
	        "{\"type\":\"Ready\",\"status\":\"False\",\"lastTransitionTime\":\"2026-01-02T03:04:05Z\"},"
	        "{\"type\":\"Ready\",\"status\":\"True\"}]}}");
	ck_assert_int_eq(kube_store_create_take(&stored, st, o), 0);
	ck_assert_ptr_nonnull(kube__object_text(stored, NULL));
	ck_assert_int_eq(kube_object_mutable(&copy, stored), 0);

	kube_object *both[2] = { stored, copy };
	for (int i = 0; i < 2; i++) {
		kube_object *x = both[i];
		ck_assert_int_eq(kube__object_peek_string(x, "status.phase", &scratch, &v), 1);
		ck_assert_str_eq(v, "Running");
		ck_assert_int_eq(kube__object_peek_string(x, "spec.schedulerName", &scratch, &v), 1);
		ck_assert_str_eq(v, "a\"b\xc3\xa9");
		ck_assert_int_eq(kube__object_peek_string(x, "status.nominatedNodeName", &scratch, &v), 0);
		ck_assert_ptr_null(v);
		ck_assert_int_eq(kube__object_peek_string(x, "spec.nodeName", &scratch, &v), 0);
		/* strings that end in a backslash, or hold quotes and brackets */
		ck_assert_int_eq(kube__object_peek_string(x, "metadata.annotations.x", &scratch, &v), 1);
		ck_assert_str_eq(v, "ends\\");
		ck_assert_int_eq(kube__object_peek_string(x, "metadata.annotations.y", &scratch, &v), 1);
		ck_assert_str_eq(v, "br\\\"}]{[");
		ck_assert_int_eq(kube__object_peek_string(x, "spec.priority", &scratch, &v), 0);
		ck_assert_int_eq(kube__object_peek_string(x, "spec.containers.name", &scratch, &v), 0);
		ck_assert_int_eq(kube__object_peek_int(x, "spec.priority", &n), 1);
		ck_assert_int_eq(n, -42);
		ck_assert_int_eq(kube__object_peek_int(x, "spec.big", &n), 0);
		ck_assert_int_eq(kube__object_peek_int(x, "spec.ratio", &n), 0);
		ck_assert_int_eq(kube__object_peek_int(x, "status.phase", &n), 0);
		ck_assert_int_eq(kube__object_peek_int(x, "spec.missing", &n), 0);
		/* the first Ready condition, past elements that are not maps */
		ck_assert_int_eq(kube__object_peek_condition(x, "status.conditions", "Ready", &status,
		                                             &since), 1);
		ck_assert_str_eq(status.data, "False");
		ck_assert_str_eq(since.data, "2026-01-02T03:04:05Z");
		ck_assert_int_eq(kube__object_peek_condition(x, "status.conditions", "PodScheduled",
		                                             &status, &since), 1);
		ck_assert_str_eq(status.data, "True");
		ck_assert_str_eq(since.data, "");
		ck_assert_int_eq(kube__object_peek_condition(x, "status.conditions", "Initialized",
		                                             &status, NULL), 0);
		ck_assert_int_eq(kube__object_peek_condition(x, "status.phase", "Ready", NULL, NULL), 0);
		js.len = 0;
		ck_assert_int_eq(kube__object_peek_json(x, "spec.nodeSelector", &js), 1);
		ck_assert_str_eq(js.data, "{\"k\":\"v\"}");
		ck_assert_int_eq(kube__object_peek_json(x, "spec.affinity", &js), 0);
	}
	/* the stored pod was read, not expanded: its copy still parses afresh */
	ck_assert_ptr_nonnull(kube__object_text(stored, NULL));
	kube__buf_free(&scratch);
	kube__buf_free(&status);
	kube__buf_free(&since);
	kube__buf_free(&js);
	kube_object_unref(copy);
	kube_object_unref(stored);
}
END_TEST

static Suite *informer_suite(void)
{
	Suite *s = suite_create("informer");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_informer_list_then_watch);
	tcase_add_test(tc, test_informer_indexes);
	tcase_add_test(tc, test_informer_resync);
	tcase_add_test(tc, test_informer_recovers_from_gone);
	tcase_add_test(tc, test_informer_recovers_from_slow_consumer_end);
	tcase_add_test(tc, test_informer_remove_handler_inside);
	tcase_add_test(tc, test_informer_selector_filters);
	tcase_add_test(tc, test_informer_factory_shares);
	tcase_add_test(tc, test_informer_cache_keys);
	tcase_add_test(tc, test_informer_peek_compact);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(informer_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
