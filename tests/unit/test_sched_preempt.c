/*
 * test_sched_preempt.c - the scheduler's PostFilter (DefaultPreemption),
 * nominated pods, PodDisruptionBudgets, the store-driven runner end to
 * end, and the parallel option.
 *
 * Expected victims and nodes are worked out by hand from upstream's
 * SelectVictimsOnNode (remove every lower-priority pod, reprieve PDB
 * violators first, then the others, most important first) and
 * pickOneNodeForPreemption (fewest violations, lowest highest victim
 * priority, smallest priority sum, fewest victims, latest start, first
 * node); messages are upstream's FitError texts.
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libkube/kube.h"

static kube_object *obj(const char *fmt, ...) KUBE_PRINTF(1, 2);
static kube_object *obj(const char *fmt, ...)
{
	char buf[8192];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	kube_object *o = NULL;
	int rc = kube_object_from_json(&o, buf, strlen(buf));
	ck_assert_msg(rc == 0, "bad test JSON: %s", buf);
	return o;
}

static void node_add(kube_sched *s, const char *name, const char *cpu, const char *extra)
{
	kube_object *o = obj("{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"%s\","
	                     "\"labels\":{\"kubernetes.io/hostname\":\"%s\"}},\"spec\":%s,"
	                     "\"status\":{\"allocatable\":{\"cpu\":\"%s\",\"memory\":\"8Gi\",\"pods\":\"110\"}}}",
	                     name, name, extra ? extra : "{}", cpu);
	ck_assert_int_eq(kube_sched_node_add(s, o), 0);
	kube_object_unref(o);
}

/* A pod with a priority and a cpu request; more spec / labels / status as JSON. */
static kube_object *ppod(const char *name, long prio, const char *cpu, const char *labels,
                         const char *more_spec, const char *status)
{
	return obj("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"namespace\":\"default\","
	           "\"name\":\"%s\",\"labels\":%s},\"spec\":{\"priority\":%ld,%s\"containers\":[{\"name\":\"c\","
	           "\"image\":\"i\",\"resources\":{\"requests\":{\"cpu\":\"%s\"}}}]},\"status\":%s}",
	           name, labels ? labels : "{}", prio, more_spec ? more_spec : "", cpu,
	           status ? status : "{}");
}

/* An assigned pod started at `start` (or not started when NULL). */
static void bound(kube_sched *s, const char *name, long prio, const char *cpu, const char *node,
                  const char *labels, const char *start)
{
	char spec[128], status[128];
	snprintf(spec, sizeof(spec), "\"nodeName\":\"%s\",", node);
	if (start)
		snprintf(status, sizeof(status), "{\"startTime\":\"%s\"}", start);
	else
		snprintf(status, sizeof(status), "{}");
	kube_object *p = ppod(name, prio, cpu, labels, spec, status);
	ck_assert_int_eq(kube_sched_pod_add(s, p), 0);
	kube_object_unref(p);
}

static void pdb_add(kube_sched *s, const char *name, const char *match, int allowed)
{
	kube_object *o = obj("{\"apiVersion\":\"policy/v1\",\"kind\":\"PodDisruptionBudget\","
	                     "\"metadata\":{\"namespace\":\"default\",\"name\":\"%s\"},"
	                     "\"spec\":{\"selector\":{\"matchLabels\":%s}},"
	                     "\"status\":{\"disruptionsAllowed\":%d}}", name, match, allowed);
	ck_assert_int_eq(kube_sched_pdb_add(s, o), 0);
	kube_object_unref(o);
}

/* ---- a preemptor that records what it is asked to do ---- */

typedef struct recorder {
	char log[2048];
	int fail_evict;
	int destroyed;
} recorder;

static void rec_append(recorder *r, const char *fmt, ...) KUBE_PRINTF(2, 3);
static void rec_append(recorder *r, const char *fmt, ...)
{
	size_t n = strlen(r->log);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->log + n, sizeof(r->log) - n, fmt, ap);
	va_end(ap);
}

static int rec_evict(const kube_object *victim, const kube_object *preemptor, const char *node,
                     void *ud)
{
	recorder *r = ud;
	if (r->fail_evict)
		return KUBE_EIO;
	rec_append(r, "evict %s by %s on %s; ", kube_object_name(victim), kube_object_name(preemptor),
	           node);
	return 0;
}

static int rec_nominate(const kube_object *pod, const char *node, void *ud)
{
	rec_append(ud, "nominate %s to '%s'; ", kube_object_name(pod), node);
	return 0;
}

static void rec_destroy(void *ud)
{
	((recorder *)ud)->destroyed++;
}

static kube_sched *new_sched(recorder *r)
{
	kube_sched *s;
	ck_assert_int_eq(kube_sched_new(&s), 0);
	memset(r, 0, sizeof(*r));
	kube_sched_preemptor ops = { KUBE_SCHED_PREEMPTOR_VERSION, sizeof(ops), rec_evict, rec_nominate };
	ck_assert_int_eq(kube_sched_set_preemptor(s, &ops, r, rec_destroy), 0);
	return s;
}

/* Schedules a pod that must fail; checks the message. */
static void expect_fail(kube_sched *s, kube_object *p, const char *want)
{
	char *node = NULL, *msg = NULL;
	int rc = kube_sched_schedule(s, p, &node, &msg);
	ck_assert_msg(rc == KUBE_EBUSY, "rc %d node %s", rc, node ? node : "");
	ck_assert_ptr_null(node);
	ck_assert_str_eq(msg, want);
	kube_free(msg);
}

static void expect_bind(kube_sched *s, kube_object *p, const char *want)
{
	char *node = NULL, *msg = NULL;
	int rc = kube_sched_schedule(s, p, &node, &msg);
	ck_assert_msg(rc == 0, "rc %d msg %s", rc, msg ? msg : "");
	ck_assert_str_eq(node, want);
	kube_free(node);
	kube_free(msg);
}

/* ---- SelectVictimsOnNode ---- */

START_TEST(test_sched_preempt_fewest_victims_on_one_node)
{
	recorder r;
	kube_sched *s = new_sched(&r);
	node_add(s, "n1", "2", NULL);
	/* equal priority: a started first, so it is more important and is
	 * reprieved first; with a back there is no room for b */
	bound(s, "a", 1, "1", "n1", NULL, "2024-01-01T00:00:00Z");
	bound(s, "b", 1, "1", "n1", NULL, "2024-02-01T00:00:00Z");
	kube_object *p = ppod("vip", 10, "1", NULL, NULL, NULL);
	expect_fail(s, p, "0/1 nodes are available: 1 Insufficient cpu.");
	ck_assert_str_eq(r.log, "evict b by vip on n1; nominate vip to 'n1'; ");
	ck_assert_str_eq(kube_sched_nominated_node(s, "default", "vip"), "n1");
	/* the victim is gone from the snapshot; the next attempt binds there
	 * and forgets the nomination */
	ck_assert_uint_eq(kube_sched_node_pod_count(s, "n1"), 1);
	expect_bind(s, p, "n1");
	ck_assert_ptr_null(kube_sched_nominated_node(s, "default", "vip"));
	kube_object_unref(p);
	kube_sched_free(s);
	ck_assert_int_eq(r.destroyed, 1);
}
END_TEST

START_TEST(test_sched_preempt_reprieves_pdb_violators_first)
{
	for (int k = 0; k < 4; k++) {
		int with_pdb = k % 2;
		recorder r;
		kube_sched *s = new_sched(&r);
		if (k >= 2) {
			/* the general path (see test_sched_preempt_node_order) */
			kube_object *far = ppod("far", 0, "1", NULL, NULL, NULL);
			ck_assert_int_eq(kube_sched_nominate(s, far, "elsewhere"), 0);
			kube_object_unref(far);
		}
		node_add(s, "n1", "3", NULL);
		bound(s, "x", 10, "1", "n1", NULL, "2024-01-01T00:00:00Z");
		bound(s, "y", 5, "1", "n1", "{\"app\":\"db\"}", "2024-01-01T00:00:00Z");
		bound(s, "z", 5, "1", "n1", "{\"app\":\"db\"}", "2024-03-01T00:00:00Z");
		/* one disruption allowed: evicting y and z together would
		 * violate it for z (the second in importance order) */
		if (with_pdb)
			pdb_add(s, "db", "{\"app\":\"db\"}", 1);
		kube_object *p = ppod("vip", 100, "1", NULL, NULL, NULL);
		expect_fail(s, p, "0/1 nodes are available: 1 Insufficient cpu.");
		/* without a PDB: x, y reprieved in importance order, z goes;
		 * with it: z (violating) is reprieved first, then x, and y goes */
		ck_assert_str_eq(r.log, with_pdb ? "evict y by vip on n1; nominate vip to 'n1'; "
		                                 : "evict z by vip on n1; nominate vip to 'n1'; ");
		kube_object_unref(p);
		kube_sched_free(s);
	}
}
END_TEST

/* ---- pickOneNodeForPreemption ---- */

typedef struct pick_case {
	const char *what;
	void (*setup)(kube_sched *s);
	const char *want;
} pick_case;

static void pick_pdb(kube_sched *s)
{
	/* n1's victim breaks a budget, n2's has a higher priority but none */
	bound(s, "a1", 1, "2", "n1", "{\"app\":\"guarded\"}", NULL);
	bound(s, "a2", 50, "2", "n2", NULL, NULL);
	pdb_add(s, "guard", "{\"app\":\"guarded\"}", 0);
}

static void pick_highest(kube_sched *s)
{
	bound(s, "b1", 20, "2", "n1", NULL, NULL);
	bound(s, "b2", 10, "1", "n2", NULL, NULL);
	bound(s, "b3", 10, "1", "n2", NULL, NULL);
}

static void pick_sum(kube_sched *s)
{
	bound(s, "c1", 10, "1", "n1", NULL, NULL);
	bound(s, "c2", 10, "1", "n1", NULL, NULL);
	bound(s, "c3", 10, "1", "n2", NULL, NULL);
	bound(s, "c4", 5, "1", "n2", NULL, NULL);
}

static void pick_count(kube_sched *s)
{
	/* equal sums: (5 + 2^31) + (-2^31 + 2^31) == 5 + 2^31; n2 has one victim */
	bound(s, "d1", 5, "1", "n1", NULL, NULL);
	bound(s, "d2", -2147483648L, "1", "n1", NULL, NULL);
	bound(s, "d3", 5, "2", "n2", NULL, NULL);
}

static void pick_start(kube_sched *s)
{
	bound(s, "e1", 5, "2", "n1", NULL, "2024-01-01T00:00:00Z");
	bound(s, "e2", 5, "2", "n2", NULL, "2024-06-01T00:00:00+02:00");
}

static void pick_tie(kube_sched *s)
{
	bound(s, "f1", 5, "2", "n1", NULL, "2024-01-01T00:00:00Z");
	bound(s, "f2", 5, "2", "n2", NULL, "2024-01-01T00:00:00Z");
}

START_TEST(test_sched_preempt_node_order)
{
	static const pick_case cases[] = {
		{ "fewest PDB violations", pick_pdb, "evict a2 by vip on n2; nominate vip to 'n2'; " },
		{ "lowest highest priority", pick_highest,
		  "evict b2 by vip on n2; evict b3 by vip on n2; nominate vip to 'n2'; " },
		{ "smallest priority sum", pick_sum,
		  "evict c3 by vip on n2; evict c4 by vip on n2; nominate vip to 'n2'; " },
		{ "fewest victims", pick_count, "evict d3 by vip on n2; nominate vip to 'n2'; " },
		{ "latest start", pick_start, "evict e2 by vip on n2; nominate vip to 'n2'; " },
		{ "first node", pick_tie, "evict f1 by vip on n1; nominate vip to 'n1'; " },
	};
	/* general: a nominee elsewhere makes preemption place and unplace
	 * pods in the snapshot instead of its arithmetic on the columns;
	 * both must choose alike */
	for (size_t k = 0; k < 2 * sizeof(cases) / sizeof(cases[0]); k++) {
		size_t i = k / 2;
		int general = (int)(k % 2);
		recorder r;
		kube_sched *s = new_sched(&r);
		node_add(s, "n1", "2", NULL);
		node_add(s, "n2", "2", NULL);
		cases[i].setup(s);
		if (general) {
			kube_object *far = ppod("far", 0, "1", NULL, NULL, NULL);
			ck_assert_int_eq(kube_sched_nominate(s, far, "elsewhere"), 0);
			kube_object_unref(far);
		}
		kube_object *p = ppod("vip", 100, "2", NULL, NULL, NULL);
		char *node = NULL, *msg = NULL;
		ck_assert_int_eq(kube_sched_schedule(s, p, &node, &msg), KUBE_EBUSY);
		ck_assert_msg(strcmp(r.log, cases[i].want) == 0, "%s (%s): got %s", cases[i].what,
		              general ? "general" : "arithmetic", r.log);
		kube_free(msg);
		kube_object_unref(p);
		kube_sched_free(s);
	}
}
END_TEST

/* ---- when preemption cannot help ---- */

START_TEST(test_sched_preempt_not_helpful_messages)
{
	recorder r;
	kube_sched *s = new_sched(&r);
	node_add(s, "n1", "4", "{\"taints\":[{\"key\":\"k\",\"value\":\"v\",\"effect\":\"NoSchedule\"}]}");
	node_add(s, "n2", "2", NULL);
	node_add(s, "n3", "1", NULL);
	node_add(s, "n4", "2", NULL);
	bound(s, "high", 100, "1", "n2", NULL, NULL);      /* no lower-priority pod on n2 */
	bound(s, "low", 1, "1", "n4", NULL, NULL);
	kube_object *big = obj("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"namespace\":\"default\","
	                       "\"name\":\"hog\"},\"spec\":{\"priority\":100,\"nodeName\":\"n4\",\"containers\":[{\"name\":\"c\","
	                       "\"image\":\"i\",\"resources\":{\"requests\":{\"memory\":\"7Gi\"}}}]}}");
	ck_assert_int_eq(kube_sched_pod_add(s, big), 0);
	kube_object_unref(big);
	/* wants 2 cpu and 2Gi: n1 tainted and n3 too small (unresolvable);
	 * n2 has no victim; n4 still lacks memory without "low" */
	kube_object *p = obj("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"namespace\":\"default\","
	                     "\"name\":\"vip\"},\"spec\":{\"priority\":10,\"containers\":[{\"name\":\"c\","
	                     "\"image\":\"i\",\"resources\":{\"requests\":{\"cpu\":\"2\",\"memory\":\"2Gi\"}}}]}}");
	expect_fail(s, p, "0/4 nodes are available: 1 Insufficient memory, 1 node(s) had untolerated taint {k: v}, "
	                  "3 Insufficient cpu. preemption: 0/4 nodes are available: 1 Insufficient memory, "
	                  "1 No preemption victims found for incoming pod, 2 Preemption is not helpful for scheduling..");
	ck_assert_str_eq(r.log, "");
	ck_assert_ptr_null(kube_sched_nominated_node(s, "default", "vip"));
	/* a nomination the pod had is cleared */
	ck_assert_int_eq(kube_sched_nominate(s, p, "n4"), 0);
	char *node = NULL, *msg = NULL;
	ck_assert_int_eq(kube_sched_schedule(s, p, &node, &msg), KUBE_EBUSY);
	kube_free(msg);
	ck_assert_str_eq(r.log, "nominate vip to ''; ");
	ck_assert_ptr_null(kube_sched_nominated_node(s, "default", "vip"));
	kube_object_unref(p);

	/* preemptionPolicy: Never */
	p = ppod("polite", 1000, "3", NULL, "\"preemptionPolicy\":\"Never\",", NULL);
	expect_fail(s, p, "0/4 nodes are available: 1 node(s) had untolerated taint {k: v}, 3 Insufficient cpu. "
	                  "preemption: not eligible due to preemptionPolicy=Never..");
	kube_object_unref(p);
	/* without the DefaultPreemption plugin, only the FitError */
	ck_assert_int_eq(kube_sched_plugin_disable(s, KUBE_SCHED_DEFAULT_PROFILE, "DefaultPreemption"), 0);
	p = ppod("vip2", 1000, "2", NULL, NULL, NULL);
	expect_fail(s, p, "0/4 nodes are available: 1 node(s) had untolerated taint {k: v}, 3 Insufficient cpu.");
	kube_object_unref(p);
	ck_assert_str_eq(r.log, "nominate vip to ''; ");
	kube_sched_free(s);
}
END_TEST

START_TEST(test_sched_preempt_affinity_victim_and_failed_eviction)
{
	recorder r;
	kube_sched *s = new_sched(&r);
	node_add(s, "n1", "4", NULL);
	bound(s, "web-old", 1, "100m", "n1", "{\"app\":\"web\"}", NULL);
	/* required anti-affinity to app=web by hostname: the node is
	 * rejected, and removing the lower-priority pod cures it */
	kube_object *p = ppod("web-new", 10, "100m", "{\"app\":\"web\"}",
	                      "\"affinity\":{\"podAntiAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":"
	                      "[{\"labelSelector\":{\"matchLabels\":{\"app\":\"web\"}},"
	                      "\"topologyKey\":\"kubernetes.io/hostname\"}]}},", NULL);
	r.fail_evict = 1;
	char *node = NULL, *msg = NULL;
	ck_assert_int_eq(kube_sched_schedule(s, p, &node, &msg), KUBE_EIO);
	ck_assert_ptr_null(msg);
	ck_assert_uint_eq(kube_sched_node_pod_count(s, "n1"), 1);
	ck_assert_ptr_null(kube_sched_nominated_node(s, "default", "web-new"));
	r.fail_evict = 0;
	expect_fail(s, p, "0/1 nodes are available: 1 node(s) didn't match pod anti-affinity rules.");
	ck_assert_str_eq(r.log, "evict web-old by web-new on n1; nominate web-new to 'n1'; ");
	expect_bind(s, p, "n1");
	kube_object_unref(p);
	kube_sched_free(s);
}
END_TEST

/* ---- nominated pods ---- */

START_TEST(test_sched_nominated_pods_hold_their_room)
{
	recorder r;
	kube_sched *s = new_sched(&r);
	node_add(s, "n1", "3", NULL);
	node_add(s, "n2", "2", NULL);
	kube_object *nom = ppod("nom", 10, "2", NULL, NULL, NULL);
	ck_assert_int_eq(kube_sched_nominate(s, nom, "n1"), 0);
	ck_assert_str_eq(kube_sched_nominated_node(s, "default", "nom"), "n1");
	/* equal priority respects the nomination: n1 would hold 2 + 2 > 3 */
	kube_object *p = ppod("eq", 10, "2", NULL, NULL, NULL);
	expect_bind(s, p, "n2");
	kube_object_unref(p);
	/* higher priority does not */
	p = ppod("hi", 20, "2", NULL, NULL, NULL);
	expect_bind(s, p, "n1");
	kube_object_unref(p);
	/* lower priority: n1 has 3 - 2 (hi) = 1 free, but the nominee wants
	 * 2; and every pod in the way has a higher priority */
	p = ppod("lo", 5, "1", NULL, NULL, NULL);
	expect_fail(s, p, "0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are "
	                  "available: 2 No preemption victims found for incoming pod..");
	kube_object_unref(p);
	/* the nominee goes to its node when it fits there, not where it
	 * would score best */
	ck_assert_int_eq(kube_sched_pod_remove(s, "default", "hi"), 0);
	node_add(s, "n3", "64", NULL);
	expect_bind(s, nom, "n1");
	ck_assert_ptr_null(kube_sched_nominated_node(s, "default", "nom"));
	kube_object_unref(nom);
	/* forgetting an unknown pod is fine; a bad pod is not */
	kube_object *anon = obj("{\"kind\":\"Pod\",\"metadata\":{},\"spec\":{}}");
	ck_assert_int_eq(kube_sched_nominate(s, anon, "n1"), KUBE_EINVAL);
	kube_object_unref(anon);
	kube_sched_free(s);
}
END_TEST

START_TEST(test_sched_preempt_clears_lower_nominations)
{
	recorder r;
	kube_sched *s = new_sched(&r);
	node_add(s, "n1", "2", NULL);
	bound(s, "low", 1, "2", "n1", NULL, NULL);
	kube_object *mid = ppod("mid", 5, "1", NULL, NULL, "{\"nominatedNodeName\":\"n1\"}");
	ck_assert_int_eq(kube_sched_nominate(s, mid, "n1"), 0);
	kube_object *top = ppod("top", 10, "2", NULL, NULL, NULL);
	expect_fail(s, top, "0/1 nodes are available: 1 Insufficient cpu.");
	ck_assert_str_eq(r.log, "evict low by top on n1; nominate mid to ''; nominate top to 'n1'; ");
	ck_assert_ptr_null(kube_sched_nominated_node(s, "default", "mid"));
	ck_assert_str_eq(kube_sched_nominated_node(s, "default", "top"), "n1");
	kube_object_unref(mid);
	kube_object_unref(top);
	kube_sched_free(s);
}
END_TEST

START_TEST(test_sched_preempt_api_errors)
{
	kube_sched *s;
	recorder r;
	memset(&r, 0, sizeof(r));
	ck_assert_int_eq(kube_sched_new(&s), 0);
	kube_sched_preemptor ops = { KUBE_SCHED_PREEMPTOR_VERSION, sizeof(ops), rec_evict, NULL };
	ops.abi_version = 2;
	ck_assert_int_eq(kube_sched_set_preemptor(s, &ops, &r, rec_destroy), KUBE_EABI);
	ck_assert_int_eq(r.destroyed, 1);
	ops.abi_version = KUBE_SCHED_PREEMPTOR_VERSION;
	ops.struct_size = 8;
	ck_assert_int_eq(kube_sched_set_preemptor(s, &ops, &r, rec_destroy), KUBE_EABI);
	ck_assert_int_eq(r.destroyed, 2);
	ops.struct_size = sizeof(ops);
	ops.evict = NULL;
	ck_assert_int_eq(kube_sched_set_preemptor(s, &ops, &r, rec_destroy), KUBE_EINVAL);
	ck_assert_int_eq(r.destroyed, 3);
	ops.evict = rec_evict;
	ck_assert_int_eq(kube_sched_set_preemptor(s, &ops, &r, rec_destroy), 0);
	/* replacing (here: turning off) runs the old destroy */
	ck_assert_int_eq(kube_sched_set_preemptor(s, NULL, NULL, NULL), 0);
	ck_assert_int_eq(r.destroyed, 4);
	ck_assert_int_eq(kube_sched_pdb_remove(s, "default", "none"), KUBE_ENOTFOUND);
	ck_assert_str_eq(kube_error_last()->message, "poddisruptionbudget \"default/none\" not found");
	kube_object *nameless = obj("{\"apiVersion\":\"policy/v1\",\"kind\":\"PodDisruptionBudget\",\"metadata\":{}}");
	ck_assert_int_eq(kube_sched_pdb_add(s, nameless), KUBE_EINVAL);
	kube_object_unref(nameless);
	pdb_add(s, "a", "{\"x\":\"y\"}", 1);
	pdb_add(s, "a", "{\"x\":\"z\"}", 2); /* replaces */
	ck_assert_int_eq(kube_sched_pdb_remove(s, "default", "a"), 0);
	ck_assert_int_eq(kube_sched_pdb_remove(s, "default", "a"), KUBE_ENOTFOUND);

	kube_sched_options o;
	ck_assert_int_eq(kube_sched_options_init(&o, 99), KUBE_EINVAL);
	ck_assert_int_eq(kube_sched_options_init(&o, KUBE_SCHED_OPTIONS_VERSION), 0);
	ck_assert_uint_eq(o.threads, 1);
	o.threads = 65;
	kube_sched *t = NULL;
	ck_assert_int_eq(kube_sched_new_2(&t, &o), KUBE_EINVAL);
	o.version = 7;
	o.threads = 2;
	ck_assert_int_eq(kube_sched_new_2(&t, &o), KUBE_EINVAL);
	ck_assert_ptr_null(t);
	kube_sched_free(s);
}
END_TEST

/* ---- the parallel option ---- */

/* A cluster of n nodes with zones, taints, sizes and pods, identical
 * for every scheduler it is built in. */
static void big_cluster(kube_sched *s, int n)
{
	for (int i = 0; i < n; i++) {
		char name[32];
		snprintf(name, sizeof(name), "node-%04d", i);
		kube_object *o = obj("{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"%s\","
		                     "\"labels\":{\"kubernetes.io/hostname\":\"%s\",\"zone\":\"z%d\",\"disk\":\"%s\"}},"
		                     "\"spec\":{%s},\"status\":{\"allocatable\":{\"cpu\":\"%d\",\"memory\":\"%dGi\",\"pods\":\"110\"}}}",
		                     name, name, i % 5, i % 3 ? "hdd" : "ssd",
		                     i % 7 == 0 ? "\"taints\":[{\"key\":\"gpu\",\"value\":\"yes\",\"effect\":\"NoSchedule\"}]" : "",
		                     2 + i % 4, 4 + (i * 3) % 8);
		ck_assert_int_eq(kube_sched_node_add(s, o), 0);
		kube_object_unref(o);
		if (i % 4 == 0) {
			char pn[32], labels[64];
			snprintf(pn, sizeof(pn), "seed-%04d", i);
			snprintf(labels, sizeof(labels), "{\"app\":\"a%d\"}", i % 6);
			bound(s, pn, 0, i % 8 ? "500m" : "1", name, labels, NULL);
		}
	}
}

/* Concatenated pieces are parenthesised: one entry each (clang's
 * -Wstring-concatenation). */
static const char *const mixed_specs[] = {
	"\"containers\":[{\"name\":\"c\",\"image\":\"i\",\"resources\":{\"requests\":{\"cpu\":\"300m\",\"memory\":\"1Gi\"}}}]",
	"\"nodeSelector\":{\"disk\":\"ssd\"},\"containers\":[{\"name\":\"c\",\"image\":\"i\",\"resources\":{\"requests\":{\"cpu\":\"1\"}}}]",
	("\"affinity\":{\"podAntiAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":[{\"labelSelector\":"
	 "{\"matchLabels\":{\"app\":\"a1\"}},\"topologyKey\":\"kubernetes.io/hostname\"}]}},"
	 "\"containers\":[{\"name\":\"c\",\"image\":\"i\",\"resources\":{\"requests\":{\"cpu\":\"200m\"}}}]"),
	("\"topologySpreadConstraints\":[{\"maxSkew\":1,\"topologyKey\":\"zone\",\"whenUnsatisfiable\":\"DoNotSchedule\","
	 "\"labelSelector\":{\"matchLabels\":{\"app\":\"a2\"}}}],"
	 "\"containers\":[{\"name\":\"c\",\"image\":\"i\",\"resources\":{\"requests\":{\"cpu\":\"100m\"}}}]"),
	("\"tolerations\":[{\"key\":\"gpu\",\"operator\":\"Exists\"}],\"containers\":[{\"name\":\"c\",\"image\":\"i\","
	 "\"resources\":{\"requests\":{\"cpu\":\"2\",\"memory\":\"6Gi\"}}}]"),
	"\"containers\":[{\"name\":\"c\",\"image\":\"i\",\"resources\":{\"requests\":{\"cpu\":\"64\"}}}]",
};

START_TEST(test_sched_parallel_same_decisions)
{
	kube_sched *one, *four;
	kube_sched_options o = KUBE_SCHED_OPTIONS_INIT;
	ck_assert_int_eq(kube_sched_new(&one), 0);
	o.threads = 4;
	ck_assert_int_eq(kube_sched_new_2(&four, &o), 0);
	big_cluster(one, 1500);
	big_cluster(four, 1500);
	int fits = 0, fails = 0;
	for (int i = 0; i < 300; i++) {
		size_t k = (size_t)i % (sizeof(mixed_specs) / sizeof(mixed_specs[0]));
		kube_object *p = obj("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"namespace\":\"default\","
		                     "\"name\":\"p%d\",\"labels\":{\"app\":\"a%d\"}},\"spec\":{%s}}", i, i % 3,
		                     mixed_specs[k]);
		char *n1 = NULL, *m1 = NULL, *n4 = NULL, *m4 = NULL;
		int r1 = kube_sched_schedule(one, p, &n1, &m1);
		int r4 = kube_sched_schedule(four, p, &n4, &m4);
		ck_assert_int_eq(r1, r4);
		if (r1 == 0) {
			ck_assert_str_eq(n1, n4);
			fits++;
		} else {
			ck_assert_int_eq(r1, KUBE_EBUSY);
			ck_assert_str_eq(m1, m4);
			fails++;
		}
		kube_free(n1);
		kube_free(m1);
		kube_free(n4);
		kube_free(m4);
		kube_object_unref(p);
	}
	/* both paths were taken, and a FitError with several reasons */
	ck_assert_int_gt(fits, 200);
	ck_assert_int_gt(fails, 40);
	kube_object *p = obj("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"namespace\":\"default\","
	                     "\"name\":\"huge\"},\"spec\":{%s}}", mixed_specs[5]);
	char *n1 = NULL, *m1 = NULL;
	/* every 7th node (215 of 1500) is tainted and turned away first */
	ck_assert_int_eq(kube_sched_schedule(four, p, &n1, &m1), KUBE_EBUSY);
	ck_assert_ptr_null(n1);
	ck_assert_str_eq(m1, "0/1500 nodes are available: 1285 Insufficient cpu, "
	                     "215 node(s) had untolerated taint {gpu: yes}.");
	kube_free(m1);
	kube_object_unref(p);
	kube_sched_free(one);
	kube_sched_free(four);
}
END_TEST

/* ---- end to end through the store ---- */

static void pump(kube_loop *loop)
{
	for (int i = 0; i < 50; i++)
		kube_loop_run_once(loop, KUBE_LOOP_NOWAIT);
}

static void store_create(kube_store *st, kube_object *o)
{
	ck_assert_int_eq(kube_store_create(NULL, st, o), 0);
	kube_object_unref(o);
}

static void store_node(kube_store *st, const char *name, const char *cpu)
{
	store_create(st, obj("{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"%s\","
	                     "\"labels\":{\"kubernetes.io/hostname\":\"%s\"}},\"spec\":{},"
	                     "\"status\":{\"allocatable\":{\"cpu\":\"%s\",\"memory\":\"8Gi\",\"pods\":\"110\"}}}",
	                     name, name, cpu));
}

static const char *field(kube_store *st, const char *name, const char *path)
{
	static char buf[512];
	kube_object *got = NULL;
	const char *v = NULL;
	buf[0] = 0;
	if (kube_store_get(&got, st, "pods", "default", name) != 0)
		return "<gone>";
	if (kube_object_get_string(got, path, &v) == 0 && v)
		snprintf(buf, sizeof(buf), "%s", v);
	else
		snprintf(buf, sizeof(buf), "<none>");
	kube_object_unref(got);
	return buf;
}

START_TEST(test_sched_runner_end_to_end)
{
	kube_loop *loop;
	kube_store *st;
	kube_sched *s;
	kube_sched_runner *r;
	size_t bound_n, failed_n;
	ck_assert_int_eq(kube_loop_new(&loop, NULL), 0);
	ck_assert_int_eq(kube_store_open(&st, loop, NULL), 0);
	ck_assert_int_eq(kube_sched_new(&s), 0);
	store_node(st, "n1", "1");
	store_create(st, ppod("small-1", 0, "500m", NULL, NULL, NULL));
	store_create(st, ppod("small-2", 0, "500m", NULL, NULL, NULL));
	store_create(st, ppod("big", 0, "2", NULL, NULL, NULL));
	/* a pod of another scheduler is left alone */
	store_create(st, ppod("theirs", 0, "1m", NULL, "\"schedulerName\":\"other\",", NULL));
	ck_assert_int_eq(kube_sched_runner_new(&r, s, st), 0);
	pump(loop);
	ck_assert_uint_eq(kube_sched_node_count(s), 1);

	/* pending -> bound; the big one asks more than n1 has at all */
	ck_assert_int_eq(kube_sched_runner_run(r, 1000, &bound_n, &failed_n), 0);
	ck_assert_uint_eq(bound_n, 2);
	ck_assert_uint_eq(failed_n, 1);
	pump(loop);
	ck_assert_str_eq(field(st, "small-1", "spec.nodeName"), "n1");
	ck_assert_str_eq(field(st, "small-2", "spec.nodeName"), "n1");
	ck_assert_str_eq(field(st, "big", "spec.nodeName"), "<none>");
	ck_assert_str_eq(field(st, "theirs", "spec.nodeName"), "<none>");
	ck_assert_str_eq(field(st, "big", "status.conditions[0].message"),
	                 "0/1 nodes are available: 1 Insufficient cpu. preemption: 0/1 nodes are "
	                 "available: 1 Preemption is not helpful for scheduling..");
	/* the binds came back as events: the snapshot holds the bound pods */
	ck_assert_uint_eq(kube_sched_node_pod_count(s, "n1"), 2);

	/* unschedulable pods are retried when a node appears, after backoff */
	store_node(st, "n2", "4");
	pump(loop);
	ck_assert_int_eq(kube_sched_runner_run(r, 1500, &bound_n, &failed_n), 0);
	ck_assert_uint_eq(bound_n, 0);
	ck_assert_int_eq(kube_sched_runner_run(r, 2000, &bound_n, &failed_n), 0);
	ck_assert_uint_eq(bound_n, 1);
	pump(loop);
	ck_assert_str_eq(field(st, "big", "spec.nodeName"), "n2");

	/* preemption: vip (priority 1000, 3 cpu) only fits n2 without big;
	 * big has a finalizer, so its deletion leaves it terminating */
	kube_object *b = NULL, *bm = NULL;
	ck_assert_int_eq(kube_store_get(&b, st, "pods", "default", "big"), 0);
	ck_assert_int_eq(kube_object_mutable(&bm, b), 0);
	ck_assert_int_eq(kube_object_set_json(bm, "metadata.finalizers", "[\"test/keep\"]"), 0);
	ck_assert_int_eq(kube_store_update(NULL, st, bm), 0);
	kube_object_unref(b);
	kube_object_unref(bm);
	store_create(st, ppod("vip", 1000, "3", NULL, NULL, NULL));
	pump(loop);
	ck_assert_int_eq(kube_sched_runner_run(r, 3000, &bound_n, &failed_n), 0);
	ck_assert_uint_eq(bound_n, 0);
	ck_assert_uint_eq(failed_n, 1);
	pump(loop);
	ck_assert_str_eq(field(st, "vip", "status.nominatedNodeName"), "n2");
	ck_assert_str_eq(field(st, "vip", "status.conditions[0].message"),
	                 "0/2 nodes are available: 2 Insufficient cpu.");
	ck_assert_str_ne(field(st, "big", "metadata.deletionTimestamp"), "<none>");
	/* the bind made PodScheduled True; preemption added DisruptionTarget */
	ck_assert_str_eq(field(st, "big", "status.conditions[0].type"), "PodScheduled");
	ck_assert_str_eq(field(st, "big", "status.conditions[0].status"), "True");
	ck_assert_str_eq(field(st, "big", "status.conditions[0].message"), "<none>");
	ck_assert_str_eq(field(st, "big", "status.conditions[1].type"), "DisruptionTarget");
	ck_assert_str_eq(field(st, "big", "status.conditions[1].status"), "True");
	ck_assert_str_eq(field(st, "big", "status.conditions[1].reason"), "PreemptionByScheduler");
	ck_assert_str_eq(field(st, "big", "status.conditions[1].message"),
	                 "default-scheduler: preempting to accommodate a higher priority pod");
	ck_assert_str_eq(field(st, "small-1", "metadata.deletionTimestamp"), "<none>");
	ck_assert_str_eq(field(st, "small-2", "metadata.deletionTimestamp"), "<none>");
	ck_assert_str_eq(kube_sched_nominated_node(s, "default", "vip"), "n2");

	/* a node event retries vip while big still terminates: not eligible */
	store_node(st, "n3", "1");
	pump(loop);
	ck_assert_int_eq(kube_sched_runner_run(r, 4000, &bound_n, &failed_n), 0);
	ck_assert_uint_eq(failed_n, 1);
	pump(loop);
	ck_assert_str_eq(field(st, "vip", "status.conditions[0].message"),
	                 "0/3 nodes are available: 3 Insufficient cpu. preemption: not eligible "
	                 "due to a terminating pod on the nominated node..");

	/* big finishes: its deletion is the event that lets vip in, on n2 */
	ck_assert_int_eq(kube_store_get(&b, st, "pods", "default", "big"), 0);
	ck_assert_int_eq(kube_object_mutable(&bm, b), 0);
	ck_assert_int_eq(kube_object_remove(bm, "metadata.finalizers"), 0);
	ck_assert_int_eq(kube_store_update(NULL, st, bm), 0);
	kube_object_unref(b);
	kube_object_unref(bm);
	pump(loop);
	ck_assert_str_eq(field(st, "big", "spec.nodeName"), "<gone>");
	ck_assert_int_eq(kube_sched_runner_run(r, 4500, &bound_n, &failed_n), 0);
	ck_assert_uint_eq(bound_n, 0); /* backoff: 2 s after the second attempt */
	ck_assert_int_eq(kube_sched_runner_run(r, 6000, &bound_n, &failed_n), 0);
	ck_assert_uint_eq(bound_n, 1);
	pump(loop);
	ck_assert_str_eq(field(st, "vip", "spec.nodeName"), "n2");
	ck_assert_ptr_null(kube_sched_nominated_node(s, "default", "vip"));
	ck_assert_uint_eq(kube_sched_node_pod_count(s, "n2"), 1);

	/* deleting a node and a pod reaches the snapshot */
	ck_assert_int_eq(kube_store_delete(NULL, st, "pods", "default", "small-1", NULL), 0);
	ck_assert_int_eq(kube_store_delete(NULL, st, "nodes", NULL, "n3", NULL), 0);
	pump(loop);
	ck_assert_uint_eq(kube_sched_node_pod_count(s, "n1"), 1);
	ck_assert_uint_eq(kube_sched_node_count(s), 2);
	size_t a, bo, u;
	kube_sched_queue_counts(kube_sched_runner_queue(r), &a, &bo, &u);
	ck_assert_uint_eq(a + bo + u, 0);

	kube_sched_runner_free(r);
	kube_sched_free(s);
	kube_store_close(st);
	kube_loop_free(loop);
}
END_TEST

START_TEST(test_sched_runner_pdb_from_store)
{
	kube_loop *loop;
	kube_store *st;
	kube_sched *s;
	kube_sched_runner *r;
	size_t bound_n, failed_n;
	ck_assert_int_eq(kube_loop_new(&loop, NULL), 0);
	ck_assert_int_eq(kube_store_open(&st, loop, NULL), 0);
	ck_assert_int_eq(kube_sched_new(&s), 0);
	ck_assert_int_eq(kube_sched_runner_new(&r, s, st), 0);
	store_node(st, "n1", "2");
	store_node(st, "n2", "2");
	/* pods bound from the start (created with spec.nodeName) */
	store_create(st, ppod("guarded", 1, "2", "{\"app\":\"db\"}", "\"nodeName\":\"n1\",", NULL));
	store_create(st, ppod("plain", 5, "2", NULL, "\"nodeName\":\"n2\",", NULL));
	store_create(st, obj("{\"apiVersion\":\"policy/v1\",\"kind\":\"PodDisruptionBudget\","
	                     "\"metadata\":{\"namespace\":\"default\",\"name\":\"db\"},"
	                     "\"spec\":{\"selector\":{\"matchLabels\":{\"app\":\"db\"}}},"
	                     "\"status\":{\"disruptionsAllowed\":0}}"));
	store_create(st, ppod("vip", 100, "2", NULL, NULL, NULL));
	pump(loop);
	ck_assert_int_eq(kube_sched_runner_run(r, 1000, &bound_n, &failed_n), 0);
	ck_assert_uint_eq(failed_n, 1);
	pump(loop);
	/* the budget steers preemption to n2 despite plain's higher priority */
	ck_assert_str_eq(field(st, "plain", "spec.nodeName"), "<gone>");
	ck_assert_str_eq(field(st, "guarded", "spec.nodeName"), "n1");
	ck_assert_str_eq(field(st, "vip", "status.nominatedNodeName"), "n2");
	ck_assert_int_eq(kube_sched_runner_run(r, 2000, &bound_n, &failed_n), 0);
	ck_assert_uint_eq(bound_n, 1);
	pump(loop);
	ck_assert_str_eq(field(st, "vip", "spec.nodeName"), "n2");
	/* namespaces reach namespaceSelector */
	store_create(st, obj("{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"team\","
	                     "\"labels\":{\"tier\":\"gold\"}}}"));
	pump(loop);
	ck_assert_int_eq(kube_sched_namespace_remove(s, "team"), 0);
	/* a deleted budget is forgotten */
	ck_assert_int_eq(kube_store_delete(NULL, st, "poddisruptionbudgets", "default", "db", NULL), 0);
	pump(loop);
	ck_assert_int_eq(kube_sched_pdb_remove(s, "default", "db"), KUBE_ENOTFOUND);
	kube_sched_runner_free(r);
	kube_sched_free(s);
	kube_store_close(st);
	kube_loop_free(loop);
}
END_TEST

static int set_phase(kube_object *o, void *ud)
{
	return kube_object_set_string(o, "status.phase", ud);
}

/*
 * The runner forgets a pod that ended (Succeeded, Failed): it holds
 * nothing on its node.  A Running pod, and a pod whose text only mentions
 * "Failed" elsewhere, stay where they are.
 */
START_TEST(test_sched_runner_forgets_ended_pods)
{
	kube_loop *loop;
	kube_store *st;
	kube_sched *s;
	kube_sched_runner *r;
	size_t bound_n;
	int64_t alloc = 0, req = 0;
	ck_assert_int_eq(kube_loop_new(&loop, NULL), 0);
	ck_assert_int_eq(kube_store_open(&st, loop, NULL), 0);
	ck_assert_int_eq(kube_sched_new(&s), 0);
	store_node(st, "n1", "2");
	store_create(st, ppod("a", 0, "500m", "{\"note\":\"Failed\"}", NULL, NULL));
	store_create(st, ppod("b", 0, "300m", NULL, NULL, NULL));
	store_create(st, ppod("c", 0, "100m", NULL, NULL, NULL));
	ck_assert_int_eq(kube_sched_runner_new(&r, s, st), 0);
	pump(loop);
	ck_assert_int_eq(kube_sched_runner_run(r, 1000, &bound_n, NULL), 0);
	ck_assert_uint_eq(bound_n, 3);
	pump(loop);
	ck_assert_uint_eq(kube_sched_node_pod_count(s, "n1"), 3);

	static const char *const names[] = { "a", "b", "c" };
	static const char *const phases[] = { "Running", "Succeeded", "Failed" };
	static const int64_t left[] = { 900, 600, 500 };
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(kube_store_guaranteed_update(NULL, st, "pods", "default", names[i],
		                                              set_phase, (void *)phases[i]), 0);
		pump(loop);
		ck_assert_int_eq(kube_sched_node_resource(s, "n1", "cpu", &alloc, &req), 0);
		ck_assert_int_eq(req, left[i]);
	}
	ck_assert_uint_eq(kube_sched_node_pod_count(s, "n1"), 1);
	kube_sched_runner_free(r);
	kube_sched_free(s);
	kube_store_close(st);
	kube_loop_free(loop);
}
END_TEST

static Suite *sched_preempt_suite(void)
{
	Suite *s = suite_create("sched_preempt");
	TCase *tc = tcase_create("preempt");
	tcase_add_test(tc, test_sched_preempt_fewest_victims_on_one_node);
	tcase_add_test(tc, test_sched_preempt_reprieves_pdb_violators_first);
	tcase_add_test(tc, test_sched_preempt_node_order);
	tcase_add_test(tc, test_sched_preempt_not_helpful_messages);
	tcase_add_test(tc, test_sched_preempt_affinity_victim_and_failed_eviction);
	tcase_add_test(tc, test_sched_nominated_pods_hold_their_room);
	tcase_add_test(tc, test_sched_preempt_clears_lower_nominations);
	tcase_add_test(tc, test_sched_preempt_api_errors);
	suite_add_tcase(s, tc);
	TCase *tp = tcase_create("parallel");
	tcase_set_timeout(tp, 120);
	tcase_add_test(tp, test_sched_parallel_same_decisions);
	suite_add_tcase(s, tp);
	TCase *te = tcase_create("store");
	tcase_add_test(te, test_sched_runner_end_to_end);
	tcase_add_test(te, test_sched_runner_pdb_from_store);
	tcase_add_test(te, test_sched_runner_forgets_ended_pods);
	suite_add_tcase(s, te);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(sched_preempt_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
