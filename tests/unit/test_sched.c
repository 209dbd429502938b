/*
 * test_sched.c - the scheduler: snapshot accounting, each filter's
 * decision table with upstream's reason strings, the aggregated FitError
 * message, the scores' exact values, profiles and embedders' plugins.
 *
 * Expected values are worked out by hand from Kubernetes' documented
 * behaviour and upstream's formulas (see the comment of each test), never
 * read back from the code under test.
 */
#include <check.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libkube/kube.h"
#include "sched/sched_private.h"

#define ALLOC "{\"cpu\":\"4\",\"memory\":\"8Gi\",\"pods\":\"110\",\"ephemeral-storage\":\"100Gi\"}"

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

static void node_add(kube_sched *s, const char *name, const char *labels, const char *spec,
                     const char *alloc, const char *images)
{
	kube_object *o = obj("{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"%s\","
	                     "\"labels\":%s},\"spec\":%s,\"status\":{\"allocatable\":%s,\"images\":%s}}",
	                     name, labels ? labels : "{}", spec ? spec : "{}", alloc ? alloc : ALLOC,
	                     images ? images : "[]");
	ck_assert_int_eq(kube_sched_node_add(s, o), 0);
	kube_object_unref(o);
}

static kube_object *pod(const char *name, const char *spec)
{
	return obj("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"namespace\":\"default\","
	           "\"name\":\"%s\"},\"spec\":%s}", name, spec);
}

/* Schedules; returns rc, fills *node / *msg (caller frees). */
static int sched(kube_sched *s, const char *name, const char *spec, char **node, char **msg)
{
	kube_object *p = pod(name, spec);
	int rc = kube_sched_schedule(s, p, node, msg);
	kube_object_unref(p);
	return rc;
}

static void expect_node(kube_sched *s, const char *spec, const char *want)
{
	char *node = NULL, *msg = NULL;
	int rc = sched(s, "p", spec, &node, &msg);
	ck_assert_msg(rc == 0, "spec %s: rc %d msg %s", spec, rc, msg ? msg : "");
	ck_assert_str_eq(node, want);
	kube_free(node);
	kube_free(msg);
}

static void expect_msg(kube_sched *s, const char *spec, const char *want)
{
	char *node = NULL, *msg = NULL;
	int rc = sched(s, "p", spec, &node, &msg);
	ck_assert_msg(rc == KUBE_EBUSY, "spec %s: rc %d node %s", spec, rc, node ? node : "");
	ck_assert_ptr_null(node);
	ck_assert_str_eq(msg, want);
	ck_assert_str_eq(kube_error_last()->message, want);
	kube_free(msg);
}

/* One node with labels/spec; the pod either lands there or is rejected with
 * "0/1 nodes are available: 1 <reason>." */
static void one_node_case(const char *labels, const char *node_spec, const char *pod_spec,
                          const char *reason)
{
	kube_sched *s;
	ck_assert_int_eq(kube_sched_new(&s), 0);
	node_add(s, "n1", labels, node_spec, NULL, NULL);
	if (!reason) {
		expect_node(s, pod_spec, "n1");
	} else {
		char want[512];
		snprintf(want, sizeof(want), "0/1 nodes are available: 1 %s.", reason);
		expect_msg(s, pod_spec, want);
	}
	kube_sched_free(s);
}

#define C1 "\"containers\":[{\"name\":\"c\",\"image\":\"nginx\"}]"
#define REQ(cpu, mem) "\"containers\":[{\"name\":\"c\",\"image\":\"nginx\",\"resources\":{\"requests\":{\"cpu\":\"" cpu "\",\"memory\":\"" mem "\"}}}]"

/* ---- snapshot ---- */

START_TEST(test_sched_snapshot_accounting)
{
	kube_sched *s;
	int64_t a, r;
	ck_assert_int_eq(kube_sched_new(&s), 0);
	node_add(s, "n1", NULL, NULL, NULL, NULL);
	node_add(s, "n2", NULL, NULL, NULL, NULL);
	ck_assert_uint_eq(kube_sched_node_count(s), 2);

	kube_object *p = obj("{\"kind\":\"Pod\",\"metadata\":{\"namespace\":\"ns\",\"name\":\"a\"},"
	                     "\"spec\":{\"nodeName\":\"n1\"," REQ("500m", "1Gi") "}}");
	ck_assert_int_eq(kube_sched_pod_add(s, p), 0);
	kube_object_unref(p);
	ck_assert_int_eq(kube_sched_node_resource(s, "n1", "cpu", &a, &r), 0);
	ck_assert_int_eq(a, 4000);
	ck_assert_int_eq(r, 500);
	ck_assert_int_eq(kube_sched_node_resource(s, "n1", "memory", &a, &r), 0);
	ck_assert_int_eq(a, 8LL << 30);
	ck_assert_int_eq(r, 1LL << 30);
	ck_assert_int_eq(kube_sched_node_resource(s, "n1", "pods", &a, &r), 0);
	ck_assert_int_eq(a, 110);
	ck_assert_int_eq(r, 1);
	ck_assert_uint_eq(kube_sched_node_pod_count(s, "n1"), 1);

	/* the same pod again replaces, it does not add */
	p = obj("{\"kind\":\"Pod\",\"metadata\":{\"namespace\":\"ns\",\"name\":\"a\"},"
	        "\"spec\":{\"nodeName\":\"n1\"," REQ("250m", "1Gi") "}}");
	ck_assert_int_eq(kube_sched_pod_add(s, p), 0);
	kube_object_unref(p);
	ck_assert_int_eq(kube_sched_node_resource(s, "n1", "cpu", &a, &r), 0);
	ck_assert_int_eq(r, 250);

	/* a node update keeps its pods and takes the new allocatable */
	node_add(s, "n1", "{\"zone\":\"a\"}", NULL,
	         "{\"cpu\":\"8\",\"memory\":\"16Gi\",\"pods\":\"10\"}", NULL);
	ck_assert_uint_eq(kube_sched_node_count(s), 2);
	ck_assert_int_eq(kube_sched_node_resource(s, "n1", "cpu", &a, &r), 0);
	ck_assert_int_eq(a, 8000);
	ck_assert_int_eq(r, 250);
	ck_assert_uint_eq(kube_sched_node_pod_count(s, "n1"), 1);

	ck_assert_int_eq(kube_sched_pod_remove(s, "ns", "a"), 0);
	ck_assert_int_eq(kube_sched_node_resource(s, "n1", "cpu", &a, &r), 0);
	ck_assert_int_eq(r, 0);
	ck_assert_int_eq(kube_sched_pod_remove(s, "ns", "a"), KUBE_ENOTFOUND);

	/* errors */
	p = obj("{\"kind\":\"Pod\",\"metadata\":{\"name\":\"b\"},\"spec\":{" C1 "}}");
	ck_assert_int_eq(kube_sched_pod_add(s, p), KUBE_EINVAL);
	kube_object_unref(p);
	p = obj("{\"kind\":\"Pod\",\"metadata\":{\"name\":\"b\"},\"spec\":{\"nodeName\":\"zz\"," C1 "}}");
	ck_assert_int_eq(kube_sched_pod_add(s, p), KUBE_ENOTFOUND);
	kube_object_unref(p);
	p = obj("{\"kind\":\"Node\",\"metadata\":{}}");
	ck_assert_int_eq(kube_sched_node_add(s, p), KUBE_EINVAL);
	kube_object_unref(p);
	p = obj("{\"kind\":\"Node\",\"metadata\":{\"name\":\"bad\"},\"status\":{\"allocatable\":{\"cpu\":\"x\"}}}");
	ck_assert_int_eq(kube_sched_node_add(s, p), KUBE_EINVAL);
	kube_object_unref(p);
	ck_assert_uint_eq(kube_sched_node_count(s), 2);
	ck_assert_int_eq(kube_sched_node_resource(s, "zz", "cpu", &a, &r), KUBE_ENOTFOUND);
	ck_assert_int_eq(kube_sched_node_resource(s, "n1", "example.com/gpu", &a, &r), KUBE_ENOTFOUND);

	/* removing a node forgets its pods; the slot is reused */
	p = obj("{\"kind\":\"Pod\",\"metadata\":{\"namespace\":\"ns\",\"name\":\"c\"},"
	        "\"spec\":{\"nodeName\":\"n2\"," C1 "}}");
	ck_assert_int_eq(kube_sched_pod_add(s, p), 0);
	kube_object_unref(p);
	ck_assert_int_eq(kube_sched_node_remove(s, "n2"), 0);
	ck_assert_int_eq(kube_sched_node_remove(s, "n2"), KUBE_ENOTFOUND);
	ck_assert_int_eq(kube_sched_pod_remove(s, "ns", "c"), KUBE_ENOTFOUND);
	ck_assert_uint_eq(kube_sched_node_count(s), 1);
	node_add(s, "n3", NULL, NULL, NULL, NULL);
	ck_assert_uint_eq(kube_sched_node_pod_count(s, "n3"), 0);
	ck_assert_int_eq(kube_sched_node_resource(s, "n3", "cpu", &a, &r), 0);
	ck_assert_int_eq(r, 0);
	kube_sched_free(s);
}
END_TEST

START_TEST(test_sched_pod_requests)
{
	/* upstream's PodRequests: max(sum(containers) + sidecars,
	 * each init container + the sidecars before it) + overhead */
	static const struct {
		const char *spec;
		int64_t cpu, mem;
	} rows[] = {
		/* two containers add up */
		{ "\"containers\":[{\"name\":\"a\",\"resources\":{\"requests\":{\"cpu\":\"100m\",\"memory\":\"1Mi\"}}},"
		  "{\"name\":\"b\",\"resources\":{\"requests\":{\"cpu\":\"200m\"}}}]", 300, 1 << 20 },
		/* an init container larger than the sum wins */
		{ "\"initContainers\":[{\"name\":\"i\",\"resources\":{\"requests\":{\"cpu\":\"1\",\"memory\":\"1\"}}}],"
		  "\"containers\":[{\"name\":\"a\",\"resources\":{\"requests\":{\"cpu\":\"100m\",\"memory\":\"1Mi\"}}}]",
		  1000, 1 << 20 },
		/* a sidecar adds to the containers and to later init containers:
		 * containers 100m + sidecar 200m = 300m; init after it 200m + 500m = 700m */
		{ "\"initContainers\":[{\"name\":\"s\",\"restartPolicy\":\"Always\",\"resources\":{\"requests\":{\"cpu\":\"200m\"}}},"
		  "{\"name\":\"i\",\"resources\":{\"requests\":{\"cpu\":\"500m\"}}}],"
		  "\"containers\":[{\"name\":\"a\",\"resources\":{\"requests\":{\"cpu\":\"100m\"}}}]", 700, 0 },
		/* overhead is added on top */
		{ "\"overhead\":{\"cpu\":\"250m\",\"memory\":\"10\"},"
		  "\"containers\":[{\"name\":\"a\",\"resources\":{\"requests\":{\"cpu\":\"100m\"}}}]", 350, 10 },
		/* no requests: nothing (the defaults are for scoring only) */
		{ C1, 0, 0 },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		kube_sched *s;
		int64_t a, r;
		ck_assert_int_eq(kube_sched_new(&s), 0);
		node_add(s, "n1", NULL, NULL, NULL, NULL);
		kube_object *p = obj("{\"kind\":\"Pod\",\"metadata\":{\"name\":\"p\"},"
		                     "\"spec\":{\"nodeName\":\"n1\",%s}}", rows[i].spec);
		ck_assert_int_eq(kube_sched_pod_add(s, p), 0);
		kube_object_unref(p);
		ck_assert_int_eq(kube_sched_node_resource(s, "n1", "cpu", &a, &r), 0);
		ck_assert_msg(r == rows[i].cpu, "row %zu cpu %lld", i, (long long)r);
		ck_assert_int_eq(kube_sched_node_resource(s, "n1", "memory", &a, &r), 0);
		ck_assert_msg(r == rows[i].mem, "row %zu mem %lld", i, (long long)r);
		kube_sched_free(s);
	}
}
END_TEST

START_TEST(test_sched_node_update_changes_decisions)
{
	kube_sched *s;
	ck_assert_int_eq(kube_sched_new(&s), 0);
	node_add(s, "n1", NULL, "{\"unschedulable\":true}", NULL, NULL);
	expect_msg(s, "{" C1 "}", "0/1 nodes are available: 1 node(s) were unschedulable.");
	/* uncordoned, tainted, labelled: the new object is what counts */
	node_add(s, "n1", "{\"zone\":\"a\"}", "{\"taints\":[{\"key\":\"k\",\"value\":\"v\",\"effect\":\"NoExecute\"}]}",
	         NULL, NULL);
	expect_msg(s, "{" C1 "}", "0/1 nodes are available: 1 node(s) had untolerated taint {k: v}.");
	node_add(s, "n1", "{\"zone\":\"a\"}", NULL, NULL, NULL);
	expect_node(s, "{\"nodeSelector\":{\"zone\":\"a\"}," C1 "}", "n1");
	node_add(s, "n1", "{\"zone\":\"b\"}", NULL, NULL, NULL);
	expect_msg(s, "{\"nodeSelector\":{\"zone\":\"a\"}," C1 "}",
	           "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector.");
	/* the assumed pod stayed on the node through the updates */
	ck_assert_uint_eq(kube_sched_node_pod_count(s, "n1"), 1);
	/* a smaller node: the pod already there still counts */
	node_add(s, "n1", NULL, NULL, "{\"cpu\":\"1\",\"memory\":\"1Gi\",\"pods\":\"1\"}", NULL);
	char *node = NULL, *msg = NULL;
	ck_assert_int_eq(sched(s, "q", "{\"nodeName\":\"n1\"," C1 "}", &node, &msg), KUBE_EBUSY);
	ck_assert_str_eq(msg, "0/1 nodes are available: 1 Too many pods.");
	kube_free(msg);
	ck_assert_int_eq(kube_sched_node_remove(s, "n1"), 0);
	expect_msg(s, "{" C1 "}", "no nodes available to schedule pods");
	kube_sched_free(s);
}
END_TEST

/* ---- filters ---- */

START_TEST(test_sched_filter_node_name)
{
	one_node_case(NULL, NULL, "{\"nodeName\":\"n1\"," C1 "}", NULL);
	one_node_case(NULL, NULL, "{\"nodeName\":\"other\"," C1 "}",
	              "node(s) didn't match the requested node name");
}
END_TEST

START_TEST(test_sched_filter_unschedulable)
{
	const char *un = "{\"unschedulable\":true}";
	one_node_case(NULL, "{\"unschedulable\":false}", "{" C1 "}", NULL);
	one_node_case(NULL, un, "{" C1 "}", "node(s) were unschedulable");
	/* tolerating node.kubernetes.io/unschedulable:NoSchedule lets it in */
	one_node_case(NULL, un, "{\"tolerations\":[{\"key\":\"node.kubernetes.io/unschedulable\","
	              "\"operator\":\"Exists\",\"effect\":\"NoSchedule\"}]," C1 "}", NULL);
	one_node_case(NULL, un, "{\"tolerations\":[{\"operator\":\"Exists\"}]," C1 "}", NULL);
	one_node_case(NULL, un, "{\"tolerations\":[{\"key\":\"node.kubernetes.io/unschedulable\","
	              "\"operator\":\"Exists\",\"effect\":\"NoExecute\"}]," C1 "}",
	              "node(s) were unschedulable");
}
END_TEST

START_TEST(test_sched_filter_node_affinity)
{
	const char *labels = "{\"zone\":\"a\",\"disk\":\"ssd\",\"cores\":\"8\",\"bad\":\"x8\"}";
	const char *no = "node(s) didn't match Pod's node affinity/selector";
#define REQUIRED(terms) "{\"affinity\":{\"nodeAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":" \
	"{\"nodeSelectorTerms\":" terms "}}}," C1 "}"
#define EXPR(k, op, vals) "{\"matchExpressions\":[{\"key\":\"" k "\",\"operator\":\"" op "\"" vals "}]}"
	static const struct {
		const char *spec;
		int fits;
	} rows[] = {
		/* nodeSelector: every pair must match */
		{ "{\"nodeSelector\":{\"zone\":\"a\"}," C1 "}", 1 },
		{ "{\"nodeSelector\":{\"zone\":\"a\",\"disk\":\"ssd\"}," C1 "}", 1 },
		{ "{\"nodeSelector\":{\"zone\":\"a\",\"disk\":\"hdd\"}," C1 "}", 0 },
		{ "{\"nodeSelector\":{\"missing\":\"\"}," C1 "}", 0 },
		/* In / NotIn */
		{ REQUIRED("[" EXPR("zone", "In", ",\"values\":[\"b\",\"a\"]") "]"), 1 },
		{ REQUIRED("[" EXPR("zone", "In", ",\"values\":[\"b\"]") "]"), 0 },
		{ REQUIRED("[" EXPR("missing", "In", ",\"values\":[\"a\"]") "]"), 0 },
		{ REQUIRED("[" EXPR("zone", "NotIn", ",\"values\":[\"b\"]") "]"), 1 },
		{ REQUIRED("[" EXPR("zone", "NotIn", ",\"values\":[\"a\"]") "]"), 0 },
		{ REQUIRED("[" EXPR("missing", "NotIn", ",\"values\":[\"a\"]") "]"), 1 },
		/* Exists / DoesNotExist */
		{ REQUIRED("[" EXPR("disk", "Exists", "") "]"), 1 },
		{ REQUIRED("[" EXPR("missing", "Exists", "") "]"), 0 },
		{ REQUIRED("[" EXPR("missing", "DoesNotExist", "") "]"), 1 },
		{ REQUIRED("[" EXPR("disk", "DoesNotExist", "") "]"), 0 },
		/* Gt / Lt compare integers; a non-integer label never matches */
		{ REQUIRED("[" EXPR("cores", "Gt", ",\"values\":[\"7\"]") "]"), 1 },
		{ REQUIRED("[" EXPR("cores", "Gt", ",\"values\":[\"8\"]") "]"), 0 },
		{ REQUIRED("[" EXPR("cores", "Lt", ",\"values\":[\"9\"]") "]"), 1 },
		{ REQUIRED("[" EXPR("cores", "Lt", ",\"values\":[\"8\"]") "]"), 0 },
		{ REQUIRED("[" EXPR("bad", "Gt", ",\"values\":[\"1\"]") "]"), 0 },
		{ REQUIRED("[" EXPR("missing", "Lt", ",\"values\":[\"100\"]") "]"), 0 },
		/* malformed terms match nothing */
		{ REQUIRED("[" EXPR("cores", "Gt", ",\"values\":[\"x\"]") "]"), 0 },
		{ REQUIRED("[" EXPR("zone", "Equals", ",\"values\":[\"a\"]") "]"), 0 },
		{ REQUIRED("[" EXPR("zone", "In", ",\"values\":[]") "]"), 0 },
		{ REQUIRED("[" EXPR("zone", "Exists", ",\"values\":[\"a\"]") "]"), 0 },
		/* expressions in a term are ANDed */
		{ REQUIRED("[{\"matchExpressions\":[{\"key\":\"zone\",\"operator\":\"In\",\"values\":[\"a\"]},"
		           "{\"key\":\"disk\",\"operator\":\"In\",\"values\":[\"hdd\"]}]}]"), 0 },
		/* terms are ORed */
		{ REQUIRED("[" EXPR("zone", "In", ",\"values\":[\"b\"]") "," EXPR("disk", "Exists", "") "]"), 1 },
		/* an empty term matches nothing, and so do no terms */
		{ REQUIRED("[{}]"), 0 },
		{ REQUIRED("[]"), 0 },
		/* matchFields on metadata.name */
		{ REQUIRED("[{\"matchFields\":[{\"key\":\"metadata.name\",\"operator\":\"In\",\"values\":[\"n1\"]}]}]"), 1 },
		{ REQUIRED("[{\"matchFields\":[{\"key\":\"metadata.name\",\"operator\":\"In\",\"values\":[\"n2\"]}]}]"), 0 },
		{ REQUIRED("[{\"matchFields\":[{\"key\":\"metadata.name\",\"operator\":\"NotIn\",\"values\":[\"n2\"]}]}]"), 1 },
		{ REQUIRED("[{\"matchFields\":[{\"key\":\"metadata.name\",\"operator\":\"NotIn\",\"values\":[\"n1\"]}]}]"), 0 },
		{ REQUIRED("[{\"matchFields\":[{\"key\":\"metadata.uid\",\"operator\":\"In\",\"values\":[\"n1\"]}]}]"), 0 },
		/* fields and expressions of one term are ANDed */
		{ REQUIRED("[{\"matchFields\":[{\"key\":\"metadata.name\",\"operator\":\"In\",\"values\":[\"n1\"]}],"
		           "\"matchExpressions\":[{\"key\":\"zone\",\"operator\":\"In\",\"values\":[\"b\"]}]}]"), 0 },
		/* nodeSelector and affinity must both hold */
		{ "{\"nodeSelector\":{\"zone\":\"b\"},\"affinity\":{\"nodeAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":"
		  "{\"nodeSelectorTerms\":[" EXPR("disk", "Exists", "") "]}}}," C1 "}", 0 },
		/* preferred terms never filter */
		{ "{\"affinity\":{\"nodeAffinity\":{\"preferredDuringSchedulingIgnoredDuringExecution\":"
		  "[{\"weight\":5,\"preference\":" EXPR("zone", "In", ",\"values\":[\"b\"]") "}]}}," C1 "}", 1 },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		one_node_case(labels, NULL, rows[i].spec, rows[i].fits ? NULL : no);
#undef REQUIRED
#undef EXPR
}
END_TEST

START_TEST(test_sched_filter_taints)
{
#define TAINT(k, v, e) "{\"taints\":[{\"key\":\"" k "\",\"value\":\"" v "\",\"effect\":\"" e "\"}]}"
#define TOL(body) "{\"tolerations\":[" body "]," C1 "}"
	static const struct {
		const char *node_spec, *pod_spec, *reason;
	} rows[] = {
		{ TAINT("k", "v", "NoSchedule"), "{" C1 "}", "node(s) had untolerated taint {k: v}" },
		{ TAINT("k", "v", "NoExecute"), "{" C1 "}", "node(s) had untolerated taint {k: v}" },
		{ TAINT("k", "", "NoSchedule"), "{" C1 "}", "node(s) had untolerated taint {k: }" },
		/* PreferNoSchedule only scores */
		{ TAINT("k", "v", "PreferNoSchedule"), "{" C1 "}", NULL },
		/* Equal (explicit or default) needs the value */
		{ TAINT("k", "v", "NoSchedule"), TOL("{\"key\":\"k\",\"operator\":\"Equal\",\"value\":\"v\",\"effect\":\"NoSchedule\"}"), NULL },
		{ TAINT("k", "v", "NoSchedule"), TOL("{\"key\":\"k\",\"value\":\"v\"}"), NULL },
		{ TAINT("k", "v", "NoSchedule"), TOL("{\"key\":\"k\",\"value\":\"w\"}"), "node(s) had untolerated taint {k: v}" },
		/* Exists ignores the value */
		{ TAINT("k", "v", "NoSchedule"), TOL("{\"key\":\"k\",\"operator\":\"Exists\"}"), NULL },
		{ TAINT("k", "v", "NoSchedule"), TOL("{\"key\":\"j\",\"operator\":\"Exists\"}"), "node(s) had untolerated taint {k: v}" },
		/* the effect must match unless empty */
		{ TAINT("k", "v", "NoSchedule"), TOL("{\"key\":\"k\",\"operator\":\"Exists\",\"effect\":\"NoExecute\"}"), "node(s) had untolerated taint {k: v}" },
		{ TAINT("k", "v", "NoExecute"), TOL("{\"key\":\"k\",\"operator\":\"Exists\",\"effect\":\"NoExecute\"}"), NULL },
		{ TAINT("k", "v", "NoSchedule"), TOL("{\"key\":\"k\",\"operator\":\"Exists\",\"effect\":\"PreferNoSchedule\"}"), "node(s) had untolerated taint {k: v}" },
		/* an empty key with Exists tolerates everything */
		{ TAINT("k", "v", "NoExecute"), TOL("{\"operator\":\"Exists\"}"), NULL },
		{ TAINT("k", "v", "NoSchedule"), TOL("{\"operator\":\"Exists\",\"effect\":\"NoSchedule\"}"), NULL },
		/* an unknown operator tolerates nothing */
		{ TAINT("k", "v", "NoSchedule"), TOL("{\"key\":\"k\",\"operator\":\"Like\",\"value\":\"v\"}"), "node(s) had untolerated taint {k: v}" },
		/* the first untolerated taint names the reason */
		{ "{\"taints\":[{\"key\":\"a\",\"value\":\"1\",\"effect\":\"NoSchedule\"},{\"key\":\"b\",\"value\":\"2\",\"effect\":\"NoExecute\"}]}",
		  TOL("{\"key\":\"a\",\"operator\":\"Exists\"}"), "node(s) had untolerated taint {b: 2}" },
		{ "{\"taints\":[{\"key\":\"a\",\"value\":\"1\",\"effect\":\"NoSchedule\"},{\"key\":\"b\",\"value\":\"2\",\"effect\":\"NoExecute\"}]}",
		  "{" C1 "}", "node(s) had untolerated taint {a: 1}" },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		one_node_case(NULL, rows[i].node_spec, rows[i].pod_spec, rows[i].reason);
#undef TAINT
#undef TOL
}
END_TEST

START_TEST(test_sched_filter_fit)
{
	kube_sched *s;
	ck_assert_int_eq(kube_sched_new(&s), 0);
	node_add(s, "n1", NULL, NULL,
	         "{\"cpu\":\"1\",\"memory\":\"1Gi\",\"pods\":\"2\",\"ephemeral-storage\":\"1Gi\","
	         "\"example.com/gpu\":\"1\"}", NULL);
	expect_node(s, "{" REQ("1", "1Gi") "}", "n1"); /* exactly full fits */
	expect_msg(s, "{" REQ("1m", "1") "}",
	           "0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory.");
	kube_sched_free(s);

	ck_assert_int_eq(kube_sched_new(&s), 0);
	node_add(s, "n1", NULL, NULL,
	         "{\"cpu\":\"1\",\"memory\":\"1Gi\",\"pods\":\"1\",\"ephemeral-storage\":\"1Gi\","
	         "\"example.com/gpu\":\"1\"}", NULL);
	expect_msg(s, "{" REQ("2", "1Mi") "}", "0/1 nodes are available: 1 Insufficient cpu.");
	expect_msg(s, "{" REQ("1", "2Gi") "}", "0/1 nodes are available: 1 Insufficient memory.");
	expect_msg(s, "{\"containers\":[{\"name\":\"c\",\"resources\":{\"requests\":{\"ephemeral-storage\":\"2Gi\"}}}]}",
	           "0/1 nodes are available: 1 Insufficient ephemeral-storage.");
	expect_msg(s, "{\"containers\":[{\"name\":\"c\",\"resources\":{\"requests\":{\"example.com/gpu\":\"2\"}}}]}",
	           "0/1 nodes are available: 1 Insufficient example.com/gpu.");
	expect_msg(s, "{\"containers\":[{\"name\":\"c\",\"resources\":{\"requests\":{\"example.com/fpga\":\"1\"}}}]}",
	           "0/1 nodes are available: 1 Insufficient example.com/fpga.");
	/* a zero extended request is skipped */
	expect_node(s, "{\"containers\":[{\"name\":\"c\",\"resources\":{\"requests\":{\"example.com/fpga\":\"0\"}}}]}", "n1");
	/* the node is now full (pods: 1): every further pod is "Too many pods",
	 * together with whatever else does not fit */
	expect_msg(s, "{" C1 "}", "0/1 nodes are available: 1 Too many pods.");
	expect_msg(s, "{" REQ("2", "2Gi") "}",
	           "0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory, 1 Too many pods.");
	/* removing the assumed pod frees the room */
	ck_assert_int_eq(kube_sched_pod_remove(s, "default", "p"), 0);
	expect_node(s, "{\"containers\":[{\"name\":\"c\",\"resources\":{\"requests\":{\"example.com/gpu\":\"1\"}}}]}", "n1");
	int64_t a, r;
	ck_assert_int_eq(kube_sched_node_resource(s, "n1", "example.com/gpu", &a, &r), 0);
	ck_assert_int_eq(a, 1);
	ck_assert_int_eq(r, 1);
	kube_sched_free(s);
}
END_TEST

START_TEST(test_sched_filter_ports)
{
#define PORT(ip, proto, port) "{\"containers\":[{\"name\":\"c\",\"ports\":[{\"containerPort\":80" ip proto ",\"hostPort\":" port "}]}]}"
	static const struct {
		const char *used, *want;
		int conflict;
	} rows[] = {
		{ PORT("", "", "80"), PORT("", "", "80"), 1 },
		{ PORT("", "", "80"), PORT("", "", "81"), 0 },
		{ PORT("", "", "80"), PORT("", ",\"protocol\":\"UDP\"", "80"), 0 },
		{ PORT("", ",\"protocol\":\"TCP\"", "80"), PORT("", "", "80"), 1 },
		/* 0.0.0.0 conflicts with every address */
		{ PORT(",\"hostIP\":\"10.0.0.1\"", "", "80"), PORT("", "", "80"), 1 },
		{ PORT("", "", "80"), PORT(",\"hostIP\":\"10.0.0.1\"", "", "80"), 1 },
		{ PORT(",\"hostIP\":\"10.0.0.1\"", "", "80"), PORT(",\"hostIP\":\"10.0.0.2\"", "", "80"), 0 },
		{ PORT(",\"hostIP\":\"10.0.0.1\"", "", "80"), PORT(",\"hostIP\":\"10.0.0.1\"", "", "80"), 1 },
		/* containerPort alone is not a host port */
		{ PORT("", "", "80"), "{\"containers\":[{\"name\":\"c\",\"ports\":[{\"containerPort\":80}]}]}", 0 },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		kube_sched *s;
		ck_assert_int_eq(kube_sched_new(&s), 0);
		node_add(s, "n1", NULL, NULL, NULL, NULL);
		expect_node(s, rows[i].used, "n1");
		char *node = NULL, *msg = NULL;
		int rc = sched(s, "q", rows[i].want, &node, &msg);
		if (rows[i].conflict) {
			ck_assert_msg(rc == KUBE_EBUSY, "row %zu", i);
			ck_assert_str_eq(msg, "0/1 nodes are available: 1 node(s) didn't have free ports for the requested pod ports.");
		} else {
			ck_assert_msg(rc == 0, "row %zu: %s", i, msg ? msg : "");
		}
		kube_free(node);
		kube_free(msg);
		/* once the user is gone the port is free again */
		ck_assert_int_eq(kube_sched_pod_remove(s, "default", "p"), 0);
		if (rows[i].conflict)
			expect_node(s, rows[i].want, "n1");
		kube_sched_free(s);
	}
#undef PORT
}
END_TEST

START_TEST(test_sched_fit_error_message)
{
	kube_sched *s;
	ck_assert_int_eq(kube_sched_new(&s), 0);
	expect_msg(s, "{" C1 "}", "no nodes available to schedule pods");
	for (int i = 0; i < 3; i++) {
		char name[16];
		snprintf(name, sizeof(name), "small-%d", i);
		node_add(s, name, NULL, NULL, "{\"cpu\":\"1\",\"memory\":\"8Gi\",\"pods\":\"110\"}", NULL);
	}
	for (int i = 0; i < 2; i++) {
		char name[16];
		snprintf(name, sizeof(name), "tainted-%d", i);
		node_add(s, name, NULL, "{\"taints\":[{\"key\":\"dedicated\",\"value\":\"gpu\",\"effect\":\"NoSchedule\"}]}",
		         NULL, NULL);
	}
	/* the first failing filter decides per node; reasons are counted and
	 * the "N reason" strings sorted as strings */
	expect_msg(s, "{" REQ("2", "1Gi") "}",
	           "0/5 nodes are available: 2 node(s) had untolerated taint {dedicated: gpu}, 3 Insufficient cpu.");
	for (int i = 0; i < 8; i++) {
		char name[16];
		snprintf(name, sizeof(name), "more-%d", i);
		node_add(s, name, NULL, NULL, "{\"cpu\":\"1\",\"memory\":\"8Gi\",\"pods\":\"110\"}", NULL);
	}
	/* "11 ..." sorts before "2 ..." as upstream's sort.Strings does */
	expect_msg(s, "{" REQ("2", "1Gi") "}",
	           "0/13 nodes are available: 11 Insufficient cpu, 2 node(s) had untolerated taint {dedicated: gpu}.");
	kube_sched_free(s);
}
END_TEST

/* ---- InterPodAffinity ---- */

static int64_t total_labelled(kube_sched *s, const char *ns, const char *labels, const char *spec,
                              const char *node)
{
	int64_t t = -2;
	kube_object *p = obj("{\"kind\":\"Pod\",\"metadata\":{\"namespace\":\"%s\",\"name\":\"in\","
	                     "\"labels\":%s},\"spec\":%s}", ns, labels, spec);
	ck_assert_int_eq(kube_sched_score_node(s, p, node, &t), 0);
	kube_object_unref(p);
	return t;
}

static void bind_pod(kube_sched *s, const char *name, const char *labels, const char *node,
                     const char *spec_extra)
{
	kube_object *p = obj("{\"kind\":\"Pod\",\"metadata\":{\"namespace\":\"default\",\"name\":\"%s\","
	                     "\"labels\":%s},\"spec\":{\"nodeName\":\"%s\",%s" C1 "}}",
	                     name, labels, node, spec_extra);
	ck_assert_int_eq(kube_sched_pod_add(s, p), 0);
	kube_object_unref(p);
}

START_TEST(test_sched_filter_inter_pod_affinity)
{
	kube_sched *s;
	ck_assert_int_eq(kube_sched_new(&s), 0);
	node_add(s, "n1", "{\"zone\":\"a\",\"kubernetes.io/hostname\":\"n1\"}", NULL, NULL, NULL);
	node_add(s, "n2", "{\"zone\":\"a\",\"kubernetes.io/hostname\":\"n2\"}", NULL, NULL, NULL);
	node_add(s, "n3", "{\"zone\":\"b\",\"kubernetes.io/hostname\":\"n3\"}", NULL, NULL, NULL);
	node_add(s, "n4", "{\"kubernetes.io/hostname\":\"n4\"}", NULL, NULL, NULL);
	bind_pod(s, "web-1", "{\"app\":\"web\"}", "n1", "");
#define AFF(kind, sel, key, extra) "{\"affinity\":{\"" kind "\":{\"requiredDuringSchedulingIgnoredDuringExecution\":" \
	"[{\"labelSelector\":" sel ",\"topologyKey\":\"" key "\"" extra "}]}}," C1 "}"
#define WEB "{\"matchLabels\":{\"app\":\"web\"}}"
	static const struct {
		const char *labels, *spec;
		int fits[4];    /* n1..n4 */
	} rows[] = {
		/* affinity to web by zone: zone a only; n4 has no zone label */
		{ "{}", AFF("podAffinity", WEB, "zone", ""), { 1, 1, 0, 0 } },
		{ "{}", AFF("podAffinity", WEB, "kubernetes.io/hostname", ""), { 1, 0, 0, 0 } },
		/* matchExpressions work too */
		{ "{}", AFF("podAffinity", "{\"matchExpressions\":[{\"key\":\"app\",\"operator\":\"In\",\"values\":[\"web\",\"x\"]}]}", "zone", ""), { 1, 1, 0, 0 } },
		/* nothing matches anywhere: only a pod that matches its own terms may go
		 * (to nodes that have the topology key) */
		{ "{}", AFF("podAffinity", "{\"matchLabels\":{\"app\":\"db\"}}", "zone", ""), { 0, 0, 0, 0 } },
		{ "{\"app\":\"db\"}", AFF("podAffinity", "{\"matchLabels\":{\"app\":\"db\"}}", "zone", ""), { 1, 1, 1, 0 } },
		/* a missing labelSelector matches nothing */
		{ "{}", "{\"affinity\":{\"podAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":[{\"topologyKey\":\"zone\"}]}}," C1 "}", { 0, 0, 0, 0 } },
		/* namespaces: another namespace does not see web-1; {} selects all;
		 * the kubernetes.io/metadata.name label selects by name */
		{ "{}", AFF("podAffinity", WEB, "zone", ",\"namespaces\":[\"other\"]"), { 0, 0, 0, 0 } },
		{ "{}", AFF("podAffinity", WEB, "zone", ",\"namespaces\":[\"other\",\"default\"]"), { 1, 1, 0, 0 } },
		{ "{}", AFF("podAffinity", WEB, "zone", ",\"namespaceSelector\":{}"), { 1, 1, 0, 0 } },
		{ "{}", AFF("podAffinity", WEB, "zone", ",\"namespaceSelector\":{\"matchLabels\":{\"kubernetes.io/metadata.name\":\"default\"}}"), { 1, 1, 0, 0 } },
		{ "{}", AFF("podAffinity", WEB, "zone", ",\"namespaceSelector\":{\"matchLabels\":{\"kubernetes.io/metadata.name\":\"kube-system\"}}"), { 0, 0, 0, 0 } },
		/* anti-affinity: away from web's host or zone; a node without the key is fine */
		{ "{}", AFF("podAntiAffinity", WEB, "kubernetes.io/hostname", ""), { 0, 1, 1, 1 } },
		{ "{}", AFF("podAntiAffinity", WEB, "zone", ""), { 0, 0, 1, 1 } },
		{ "{}", AFF("podAntiAffinity", "{\"matchLabels\":{\"app\":\"db\"}}", "zone", ""), { 1, 1, 1, 1 } },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		for (int n = 0; n < 4; n++) {
			char name[4] = { 'n', (char)('1' + n), 0, 0 };
			int64_t t = total_labelled(s, "default", rows[i].labels, rows[i].spec, name);
			ck_assert_msg((t >= 0) == rows[i].fits[n], "row %zu node %s: %lld", i, name, (long long)t);
		}
	/* no node has a "rack" label */
	expect_msg(s, AFF("podAffinity", WEB, "rack", ""),
	           "0/4 nodes are available: 4 node(s) didn't match pod affinity rules.");
	/* {} selects every pod: away from web-1's host, the first of the rest */
	expect_node(s, AFF("podAntiAffinity", "{}", "kubernetes.io/hostname", ""), "n2");
	ck_assert_int_eq(kube_sched_pod_remove(s, "default", "p"), 0);

	/* an existing pod's anti-affinity keeps matching pods out of its zone */
	bind_pod(s, "guard", "{}", "n3",
	         "\"affinity\":{\"podAntiAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":"
	         "[{\"labelSelector\":{\"matchLabels\":{\"app\":\"new\"}},\"topologyKey\":\"zone\"}]}},");
	ck_assert_int_eq(total_labelled(s, "default", "{\"app\":\"new\"}", "{" C1 "}", "n3"), -1);
	ck_assert_int_ne(total_labelled(s, "default", "{\"app\":\"new\"}", "{" C1 "}", "n1"), -1);
	ck_assert_int_ne(total_labelled(s, "default", "{\"app\":\"old\"}", "{" C1 "}", "n3"), -1);
	/* its term defaults to its own namespace */
	ck_assert_int_ne(total_labelled(s, "other", "{\"app\":\"new\"}", "{" C1 "}", "n3"), -1);
	/* reasons, in the first failing check's words */
	kube_object *p = obj("{\"kind\":\"Pod\",\"metadata\":{\"namespace\":\"default\",\"name\":\"x\","
	                     "\"labels\":{\"app\":\"new\"}},\"spec\":" AFF("podAntiAffinity", WEB, "zone", "") "}");
	char *node = NULL, *msg = NULL;
	ck_assert_int_eq(kube_sched_schedule(s, p, &node, &msg), 0);
	ck_assert_str_eq(node, "n4");
	kube_free(node);
	ck_assert_int_eq(kube_sched_schedule(s, p, &node, &msg), 0); /* replaces itself on n4 */
	kube_free(node);
	kube_object_unref(p);
	ck_assert_int_eq(kube_sched_node_remove(s, "n4"), 0);
	p = obj("{\"kind\":\"Pod\",\"metadata\":{\"namespace\":\"default\",\"name\":\"y\","
	        "\"labels\":{\"app\":\"new\"}},\"spec\":" AFF("podAntiAffinity", WEB, "zone", "") "}");
	ck_assert_int_eq(kube_sched_schedule(s, p, &node, &msg), KUBE_EBUSY);
	ck_assert_str_eq(msg, "0/3 nodes are available: 1 node(s) didn't satisfy existing pods anti-affinity rules, "
	                      "2 node(s) didn't match pod anti-affinity rules.");
	kube_free(msg);
	kube_object_unref(p);
	/* the guard gone, zone b is open again */
	ck_assert_int_eq(kube_sched_pod_remove(s, "default", "guard"), 0);
	ck_assert_int_ne(total_labelled(s, "default", "{\"app\":\"new\"}", "{" C1 "}", "n3"), -1);
	kube_sched_free(s);
#undef AFF
#undef WEB
}
END_TEST

/* ---- PodTopologySpread ---- */

START_TEST(test_sched_filter_topology_spread)
{
	kube_sched *s;
	ck_assert_int_eq(kube_sched_new(&s), 0);
	node_add(s, "n1", "{\"zone\":\"a\"}", NULL, NULL, NULL);
	node_add(s, "n2", "{\"zone\":\"b\"}", NULL, NULL, NULL);
	node_add(s, "n3", "{\"zone\":\"c\"}", "{\"taints\":[{\"key\":\"k\",\"effect\":\"NoSchedule\"}]}", NULL, NULL);
	node_add(s, "n4", "{}", NULL, NULL, NULL);
	/* matching pods: zone a 2, zone b 1, zone c 0; others do not count */
	bind_pod(s, "w1", "{\"app\":\"web\"}", "n1", "");
	bind_pod(s, "w2", "{\"app\":\"web\"}", "n1", "");
	bind_pod(s, "w3", "{\"app\":\"web\"}", "n2", "");
	bind_pod(s, "db", "{\"app\":\"db\"}", "n3", "");
	kube_object *other = obj("{\"kind\":\"Pod\",\"metadata\":{\"namespace\":\"other\",\"name\":\"w4\","
	                         "\"labels\":{\"app\":\"web\"}},\"spec\":{\"nodeName\":\"n3\"," C1 "}}");
	ck_assert_int_eq(kube_sched_pod_add(s, other), 0);
	kube_object_unref(other);
#define TSC(skew, extra) "{\"topologySpreadConstraints\":[{\"maxSkew\":" skew ",\"topologyKey\":\"zone\"," \
	"\"whenUnsatisfiable\":\"DoNotSchedule\",\"labelSelector\":{\"matchLabels\":{\"app\":\"web\"}}" extra "}]," \
	"\"tolerations\":[{\"key\":\"k\",\"operator\":\"Exists\"}]," C1 "}"
	static const struct {
		const char *labels, *spec;
		int fits[4];
	} rows[] = {
		/* skew = domain + self - min(0): a 3, b 2, c 1; n4 lacks the key */
		{ "{\"app\":\"web\"}", TSC("1", ""), { 0, 0, 1, 0 } },
		{ "{\"app\":\"web\"}", TSC("2", ""), { 0, 1, 1, 0 } },
		/* a pod outside its own selector adds nothing: a 2, b 1, c 0 */
		{ "{\"app\":\"other\"}", TSC("1", ""), { 0, 1, 1, 0 } },
		/* ScheduleAnyway never filters */
		{ "{\"app\":\"web\"}", "{\"topologySpreadConstraints\":[{\"maxSkew\":1,\"topologyKey\":\"zone\","
		  "\"whenUnsatisfiable\":\"ScheduleAnyway\",\"labelSelector\":{\"matchLabels\":{\"app\":\"web\"}}}],"
		  "\"tolerations\":[{\"key\":\"k\",\"operator\":\"Exists\"}]," C1 "}", { 1, 1, 1, 1 } },
		/* nodeAffinityPolicy Honor (default): zone c is not a domain for a pod
		 * that requires a or b, so the minimum is 1 and b fits; Ignore counts c */
		{ "{\"app\":\"web\"}", "{\"affinity\":{\"nodeAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":"
		  "{\"nodeSelectorTerms\":[{\"matchExpressions\":[{\"key\":\"zone\",\"operator\":\"In\",\"values\":[\"a\",\"b\"]}]}]}}},"
		  "\"topologySpreadConstraints\":[{\"maxSkew\":1,\"topologyKey\":\"zone\",\"whenUnsatisfiable\":\"DoNotSchedule\","
		  "\"labelSelector\":{\"matchLabels\":{\"app\":\"web\"}}}]," C1 "}", { 0, 1, 0, 0 } },
		{ "{\"app\":\"web\"}", "{\"affinity\":{\"nodeAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":"
		  "{\"nodeSelectorTerms\":[{\"matchExpressions\":[{\"key\":\"zone\",\"operator\":\"In\",\"values\":[\"a\",\"b\"]}]}]}}},"
		  "\"topologySpreadConstraints\":[{\"maxSkew\":1,\"topologyKey\":\"zone\",\"whenUnsatisfiable\":\"DoNotSchedule\","
		  "\"nodeAffinityPolicy\":\"Ignore\",\"labelSelector\":{\"matchLabels\":{\"app\":\"web\"}}}]," C1 "}", { 0, 0, 0, 0 } },
		/* nodeTaintsPolicy Honor: the tainted zone c is left out for a pod that
		 * does not tolerate it (min 1: b fits); Ignore (default) keeps it */
		{ "{\"app\":\"web\"}", "{\"topologySpreadConstraints\":[{\"maxSkew\":1,\"topologyKey\":\"zone\","
		  "\"whenUnsatisfiable\":\"DoNotSchedule\",\"nodeTaintsPolicy\":\"Honor\","
		  "\"labelSelector\":{\"matchLabels\":{\"app\":\"web\"}}}]," C1 "}", { 0, 1, 0, 0 } },
		{ "{\"app\":\"web\"}", "{\"topologySpreadConstraints\":[{\"maxSkew\":1,\"topologyKey\":\"zone\","
		  "\"whenUnsatisfiable\":\"DoNotSchedule\",\"labelSelector\":{\"matchLabels\":{\"app\":\"web\"}}}]," C1 "}",
		  { 0, 0, 0, 0 } },
		/* matchLabelKeys narrows the selector with the pod's own value:
		 * app in (web) AND tier in (x) matches nothing existing: min 0, all +1 */
		{ "{\"app\":\"web\",\"tier\":\"x\"}", "{\"topologySpreadConstraints\":[{\"maxSkew\":1,\"topologyKey\":\"zone\","
		  "\"whenUnsatisfiable\":\"DoNotSchedule\",\"matchLabelKeys\":[\"tier\"],"
		  "\"labelSelector\":{\"matchLabels\":{\"app\":\"web\"}}}],"
		  "\"tolerations\":[{\"key\":\"k\",\"operator\":\"Exists\"}]," C1 "}", { 1, 1, 1, 0 } },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++)
		for (int n = 0; n < 4; n++) {
			char name[4] = { 'n', (char)('1' + n), 0, 0 };
			int64_t t = total_labelled(s, "default", rows[i].labels, rows[i].spec, name);
			ck_assert_msg((t >= 0) == rows[i].fits[n], "row %zu node %s: %lld", i, name, (long long)t);
		}
	/* minDomains above the number of domains makes the minimum 0: with a
	 * web pod in c too (a 2, b 1, c 1, min 1) b and c fit, with minDomains 4 none */
	bind_pod(s, "w5", "{\"app\":\"web\"}", "n3", "\"tolerations\":[{\"key\":\"k\",\"operator\":\"Exists\"}],");
	ck_assert_int_ge(total_labelled(s, "default", "{\"app\":\"web\"}", TSC("1", ""), "n2"), 0);
	ck_assert_int_ge(total_labelled(s, "default", "{\"app\":\"web\"}", TSC("1", ""), "n3"), 0);
	ck_assert_int_ge(total_labelled(s, "default", "{\"app\":\"web\"}", TSC("1", ",\"minDomains\":3"), "n2"), 0);
	ck_assert_int_eq(total_labelled(s, "default", "{\"app\":\"web\"}", TSC("1", ",\"minDomains\":4"), "n2"), -1);
	kube_object *p = obj("{\"kind\":\"Pod\",\"metadata\":{\"namespace\":\"default\",\"name\":\"x\","
	                     "\"labels\":{\"app\":\"web\"}},\"spec\":" TSC("1", ",\"minDomains\":4") "}");
	char *node = NULL, *msg = NULL;
	ck_assert_int_eq(kube_sched_schedule(s, p, &node, &msg), KUBE_EBUSY);
	ck_assert_str_eq(msg, "0/4 nodes are available: 1 node(s) didn't match pod topology spread constraints "
	                      "(missing required label), 3 node(s) didn't match pod topology spread constraints.");
	kube_free(msg);
	kube_object_unref(p);
	kube_sched_free(s);
#undef TSC
}
END_TEST

/* ---- scores ---- */

static int64_t total_of(kube_sched *s, const char *spec, const char *node)
{
	int64_t t = -2;
	kube_object *p = pod("score", spec);
	ck_assert_int_eq(kube_sched_score_node(s, p, node, &t), 0);
	kube_object_unref(p);
	return t;
}

START_TEST(test_sched_score_resources)
{
	kube_sched *s;
	ck_assert_int_eq(kube_sched_new(&s), 0);
	node_add(s, "big", NULL, NULL, "{\"cpu\":\"4\",\"memory\":\"8Gi\",\"pods\":\"110\"}", NULL);
	node_add(s, "small", NULL, NULL, "{\"cpu\":\"2\",\"memory\":\"4Gi\",\"pods\":\"110\"}", NULL);
	/*
	 * pod 1 cpu, 1Gi; TaintToleration: no taints, reversed -> 100 x 3;
	 * NodeAffinity skipped; ImageLocality: no images -> 0.
	 * big:   least (75 + 87) / 2 = 81; balanced fractions .25 .125 -> sd .0625 -> 93
	 * small: least (50 + 75) / 2 = 62; balanced .5 .25 -> sd .125 -> 87
	 */
	ck_assert_int_eq(total_of(s, "{" REQ("1", "1Gi") "}", "big"), 300 + 81 + 93);
	ck_assert_int_eq(total_of(s, "{" REQ("1", "1Gi") "}", "small"), 300 + 62 + 87);
	/* no requests: scored as 100m / 200Mi, balanced skipped:
	 * big cpu 3900*100/4000 = 97, memory 7992Mi*100/8192Mi = 97 */
	ck_assert_int_eq(total_of(s, "{" C1 "}", "big"), 300 + 97);
	expect_node(s, "{" REQ("1", "1Gi") "}", "big");
	/* the same pod shape again sees the assumed pod (remembered scores are
	 * per node version): big least (50 + 75) / 2 = 62, balanced .5 .25 -> 87 */
	ck_assert_int_eq(total_of(s, "{" REQ("1", "1Gi") "}", "big"), 300 + 62 + 87);
	ck_assert_int_eq(total_of(s, "{" REQ("1", "1Gi") "}", "small"), 300 + 62 + 87);
	ck_assert_int_eq(kube_sched_pod_remove(s, "default", "p"), 0);
	ck_assert_int_eq(total_of(s, "{" REQ("1", "1Gi") "}", "big"), 300 + 81 + 93);
	/* and a node update is a new version too */
	node_add(s, "small", NULL, NULL, "{\"cpu\":\"4\",\"memory\":\"8Gi\",\"pods\":\"110\"}", NULL);
	ck_assert_int_eq(total_of(s, "{" REQ("1", "1Gi") "}", "small"), 300 + 81 + 93);
	node_add(s, "small", NULL, NULL, "{\"cpu\":\"2\",\"memory\":\"4Gi\",\"pods\":\"110\"}", NULL);
	ck_assert_int_eq(total_of(s, "{" REQ("1", "1Gi") "}", "small"), 300 + 62 + 87);

	/* MostAllocated: big (25 + 12) / 2 = 18, small (50 + 25) / 2 = 37 */
	ck_assert_int_eq(kube_sched_profile_set_fit_strategy(s, KUBE_SCHED_DEFAULT_PROFILE,
	                                                     KUBE_SCHED_MOST_ALLOCATED), 0);
	ck_assert_int_eq(total_of(s, "{" REQ("1", "1Gi") "}", "big"), 300 + 18 + 93);
	ck_assert_int_eq(total_of(s, "{" REQ("1", "1Gi") "}", "small"), 300 + 37 + 87);
	expect_node(s, "{" REQ("1", "1Gi") "}", "small");
	/* an infeasible node scores -1 */
	ck_assert_int_eq(total_of(s, "{" REQ("3", "1Gi") "}", "small"), -1);
	ck_assert_int_eq(kube_sched_profile_set_fit_strategy(s, "nope", KUBE_SCHED_MOST_ALLOCATED),
	                 KUBE_ENOTFOUND);

	ck_assert_int_eq(kube_sched_pod_remove(s, "default", "p"), 0); /* small is empty again */
	/* RequestedToCapacityRatio, shape (0, 0) (100, 10): utilization x 1,
	 * big cpu 25 memory 12 -> round(18.5) = 19; small 50, 25 -> 38 */
	static const int32_t up[] = { 0, 100 }, s_up[] = { 0, 10 }, s_down[] = { 10, 0 };
	ck_assert_int_eq(kube_sched_profile_set_requested_to_capacity_ratio(s, KUBE_SCHED_DEFAULT_PROFILE, up, s_up, 2), 0);
	ck_assert_int_eq(total_of(s, "{" REQ("1", "1Gi") "}", "big"), 300 + 19 + 93);
	ck_assert_int_eq(total_of(s, "{" REQ("1", "1Gi") "}", "small"), 300 + 38 + 87);
	/* (0, 10) (100, 0): 100 - utilization, big 75, 88 -> round(81.5) = 82
	 * (LeastAllocated gives 81: it floors); small 50, 75 -> 63 */
	ck_assert_int_eq(kube_sched_profile_set_requested_to_capacity_ratio(s, KUBE_SCHED_DEFAULT_PROFILE, up, s_down, 2), 0);
	ck_assert_int_eq(total_of(s, "{" REQ("1", "1Gi") "}", "big"), 300 + 82 + 93);
	ck_assert_int_eq(total_of(s, "{" REQ("1", "1Gi") "}", "small"), 300 + 63 + 87);
	/* a step: (0, 0) (50, 10): anything at or over 50% scores 100 */
	static const int32_t half[] = { 0, 50 };
	ck_assert_int_eq(kube_sched_profile_set_requested_to_capacity_ratio(s, KUBE_SCHED_DEFAULT_PROFILE, half, s_up, 2), 0);
	ck_assert_int_eq(total_of(s, "{" REQ("1", "1Gi") "}", "small"), 300 + 75 + 87); /* 100, 50 */
	static const int32_t bad_order[] = { 50, 50 }, bad_score[] = { 0, 11 };
	ck_assert_int_eq(kube_sched_profile_set_requested_to_capacity_ratio(s, KUBE_SCHED_DEFAULT_PROFILE, bad_order, s_up, 2), KUBE_EINVAL);
	ck_assert_str_eq(kube_error_last()->message,
	                 "shape[1].utilization: Invalid value: 50: utilization values must be sorted in increasing order");
	ck_assert_int_eq(kube_sched_profile_set_requested_to_capacity_ratio(s, KUBE_SCHED_DEFAULT_PROFILE, up, bad_score, 2), KUBE_EINVAL);
	ck_assert_int_eq(kube_sched_profile_set_requested_to_capacity_ratio(s, KUBE_SCHED_DEFAULT_PROFILE, up, s_up, 0), KUBE_EINVAL);
	/* the failed calls kept the step shape */
	ck_assert_int_eq(total_of(s, "{" REQ("1", "1Gi") "}", "small"), 300 + 75 + 87);
	kube_sched_free(s);
}
END_TEST

START_TEST(test_sched_score_affinity_taints_images)
{
	kube_sched *s;
	ck_assert_int_eq(kube_sched_new(&s), 0);
	node_add(s, "a", "{\"zone\":\"a\"}",
	         "{\"taints\":[{\"key\":\"x\",\"effect\":\"PreferNoSchedule\"},{\"key\":\"y\",\"effect\":\"PreferNoSchedule\"}]}",
	         NULL, "[{\"names\":[\"nginx:latest\"],\"sizeBytes\":524288000}]");
	node_add(s, "b", "{\"zone\":\"b\"}",
	         "{\"taints\":[{\"key\":\"x\",\"effect\":\"PreferNoSchedule\"}]}", NULL, NULL);
	node_add(s, "c", "{\"zone\":\"c\"}", NULL, NULL, NULL);
	/*
	 * no requests: fit 97 everywhere (4 / 8Gi), balanced skipped.
	 * taints untolerated: a 2, b 1, c 0 -> reversed 0, 50, 100, x 3.
	 * image nginx -> nginx:latest on a: 500 MB x 1/3 nodes = 166.67 MB ->
	 *   (174762666 - 23 MB) * 100 / (977 MB) = 14 on a, 0 elsewhere.
	 */
	ck_assert_int_eq(total_of(s, "{" C1 "}", "a"), 0 + 97 + 14);
	ck_assert_int_eq(total_of(s, "{" C1 "}", "b"), 150 + 97);
	ck_assert_int_eq(total_of(s, "{" C1 "}", "c"), 300 + 97);
	/* a PreferNoSchedule toleration for x: a 1, b 0, c 0 -> 0, 100, 100 */
	const char *tol = "{\"tolerations\":[{\"key\":\"x\",\"operator\":\"Exists\",\"effect\":\"PreferNoSchedule\"}]," C1 "}";
	ck_assert_int_eq(total_of(s, tol, "a"), 0 + 97 + 14);
	ck_assert_int_eq(total_of(s, tol, "b"), 300 + 97);
	/* a NoSchedule toleration does not count for scoring */
	tol = "{\"tolerations\":[{\"key\":\"x\",\"operator\":\"Exists\",\"effect\":\"NoSchedule\"}]," C1 "}";
	ck_assert_int_eq(total_of(s, tol, "b"), 150 + 97);
	/* preferred affinity: a matches weight 10, b weight 30 + 20 -> 50;
	 * normalised a 20, b 100, c 0; x 2 */
	const char *pref = "{\"affinity\":{\"nodeAffinity\":{\"preferredDuringSchedulingIgnoredDuringExecution\":["
	                   "{\"weight\":10,\"preference\":{\"matchExpressions\":[{\"key\":\"zone\",\"operator\":\"In\",\"values\":[\"a\"]}]}},"
	                   "{\"weight\":30,\"preference\":{\"matchExpressions\":[{\"key\":\"zone\",\"operator\":\"In\",\"values\":[\"b\"]}]}},"
	                   "{\"weight\":20,\"preference\":{\"matchFields\":[{\"key\":\"metadata.name\",\"operator\":\"In\",\"values\":[\"b\"]}]}},"
	                   "{\"weight\":0,\"preference\":{\"matchExpressions\":[{\"key\":\"zone\",\"operator\":\"In\",\"values\":[\"c\"]}]}}"
	                   "]}}," C1 "}";
	ck_assert_int_eq(total_of(s, pref, "a"), 40 + 0 + 97 + 14);
	ck_assert_int_eq(total_of(s, pref, "b"), 200 + 150 + 97);
	ck_assert_int_eq(total_of(s, pref, "c"), 0 + 300 + 97);
	expect_node(s, pref, "b");
	kube_sched_free(s);
}
END_TEST

START_TEST(test_sched_score_topology_spread)
{
	kube_sched *s;
	ck_assert_int_eq(kube_sched_new(&s), 0);
	node_add(s, "z1", "{\"zone\":\"a\",\"kubernetes.io/hostname\":\"z1\"}", NULL, NULL, NULL);
	node_add(s, "z2", "{\"zone\":\"a\",\"kubernetes.io/hostname\":\"z2\"}", NULL, NULL, NULL);
	node_add(s, "z3", "{\"zone\":\"b\",\"kubernetes.io/hostname\":\"z3\"}", NULL, NULL, NULL);
	node_add(s, "z4", "{\"kubernetes.io/hostname\":\"z4\"}", NULL, NULL, NULL);
	bind_pod(s, "w1", "{\"app\":\"web\"}", "z1", "");
	bind_pod(s, "w2", "{\"app\":\"web\"}", "z1", "");
	bind_pod(s, "w3", "{\"app\":\"web\"}", "z3", "");
	/*
	 * Fit with the existing pods' default requests: z1 (300m, 600Mi) 92,
	 * z2 and z4 97, z3 (200m, 400Mi) 95; taints 100 x 3 everywhere.
	 * zone, maxSkew 1: z4 ignored (no zone); domains a, b -> weight ln 4;
	 * raw a 2 x 1.386 = 3, b 1.386 = 1 -> normalised a 100 x (3+1-3)/3 = 33,
	 * b 100, z4 0; x 2.
	 */
#define SOFT(key, skew) "{\"topologySpreadConstraints\":[{\"maxSkew\":" skew ",\"topologyKey\":\"" key "\"," \
	"\"whenUnsatisfiable\":\"ScheduleAnyway\",\"labelSelector\":{\"matchLabels\":{\"app\":\"web\"}}}]," C1 "}"
	const char *web = "{\"app\":\"web\"}";
	ck_assert_int_eq(total_labelled(s, "default", web, SOFT("zone", "1"), "z1"), 300 + 92 + 66);
	ck_assert_int_eq(total_labelled(s, "default", web, SOFT("zone", "1"), "z2"), 300 + 97 + 66);
	ck_assert_int_eq(total_labelled(s, "default", web, SOFT("zone", "1"), "z3"), 300 + 95 + 200);
	ck_assert_int_eq(total_labelled(s, "default", web, SOFT("zone", "1"), "z4"), 300 + 97 + 0);
	/* maxSkew 3 adds 2: raw a 5, b 3 -> a 100 x (5+3-5)/5 = 60 */
	ck_assert_int_eq(total_labelled(s, "default", web, SOFT("zone", "3"), "z1"), 300 + 92 + 120);
	/* hostname: weight ln(4 + 2); raw z1 2 x 1.79 = 4, z2 0, z3 2, z4 0 ->
	 * 0, 100, 50, 100 */
	ck_assert_int_eq(total_labelled(s, "default", web, SOFT("kubernetes.io/hostname", "1"), "z1"), 300 + 92 + 0);
	ck_assert_int_eq(total_labelled(s, "default", web, SOFT("kubernetes.io/hostname", "1"), "z2"), 300 + 97 + 200);
	ck_assert_int_eq(total_labelled(s, "default", web, SOFT("kubernetes.io/hostname", "1"), "z3"), 300 + 95 + 100);
	ck_assert_int_eq(total_labelled(s, "default", web, SOFT("kubernetes.io/hostname", "1"), "z4"), 300 + 97 + 200);
	/* pods of another namespace do not count: every domain empty -> all 100 */
	ck_assert_int_eq(total_labelled(s, "other", web, SOFT("zone", "1"), "z1"), 300 + 92 + 200);
	ck_assert_int_eq(total_labelled(s, "other", web, SOFT("zone", "1"), "z4"), 300 + 97 + 0);
	kube_sched_free(s);
#undef SOFT
}
END_TEST

START_TEST(test_sched_score_inter_pod_affinity)
{
	kube_sched *s;
	ck_assert_int_eq(kube_sched_new(&s), 0);
	node_add(s, "h1", "{\"zone\":\"a\",\"kubernetes.io/hostname\":\"h1\"}", NULL, NULL, NULL);
	node_add(s, "h2", "{\"zone\":\"a\",\"kubernetes.io/hostname\":\"h2\"}", NULL, NULL, NULL);
	node_add(s, "h3", "{\"zone\":\"b\",\"kubernetes.io/hostname\":\"h3\"}", NULL, NULL, NULL);
	bind_pod(s, "web", "{\"app\":\"web\"}", "h1", "");
	/*
	 * preferred affinity 50 to web by zone, anti 20 by hostname:
	 * (zone a) +50, (host h1) -20 -> h1 30, h2 50, h3 0 -> 60, 100, 0, x 2.
	 * Fit: h1 holds web's default requests (95), h2 and h3 97.
	 */
	const char *pref = "{\"affinity\":{\"podAffinity\":{\"preferredDuringSchedulingIgnoredDuringExecution\":"
	                   "[{\"weight\":50,\"podAffinityTerm\":{\"labelSelector\":{\"matchLabels\":{\"app\":\"web\"}},\"topologyKey\":\"zone\"}}]},"
	                   "\"podAntiAffinity\":{\"preferredDuringSchedulingIgnoredDuringExecution\":"
	                   "[{\"weight\":20,\"podAffinityTerm\":{\"labelSelector\":{\"matchLabels\":{\"app\":\"web\"}},\"topologyKey\":\"kubernetes.io/hostname\"}}]}},"
	                   C1 "}";
	ck_assert_int_eq(total_labelled(s, "default", "{}", pref, "h1"), 300 + 95 + 120);
	ck_assert_int_eq(total_labelled(s, "default", "{}", pref, "h2"), 300 + 97 + 200);
	ck_assert_int_eq(total_labelled(s, "default", "{}", pref, "h3"), 300 + 97 + 0);
	/* existing pods' terms: fan (h3) prefers app=new by zone with 10, glue
	 * (h2) requires app=new by hostname (+1): h1 0, h2 1, h3 10 -> 0, 10, 100 */
	bind_pod(s, "fan", "{}", "h3",
	         "\"affinity\":{\"podAffinity\":{\"preferredDuringSchedulingIgnoredDuringExecution\":"
	         "[{\"weight\":10,\"podAffinityTerm\":{\"labelSelector\":{\"matchLabels\":{\"app\":\"new\"}},\"topologyKey\":\"zone\"}}]}},");
	bind_pod(s, "glue", "{}", "h2",
	         "\"affinity\":{\"podAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":"
	         "[{\"labelSelector\":{\"matchLabels\":{\"app\":\"new\"}},\"topologyKey\":\"kubernetes.io/hostname\"}]}},");
	const char *plain = "{" C1 "}";
	ck_assert_int_eq(total_labelled(s, "default", "{\"app\":\"new\"}", plain, "h1"), 300 + 95 + 0);
	ck_assert_int_eq(total_labelled(s, "default", "{\"app\":\"new\"}", plain, "h2"), 300 + 95 + 20);
	ck_assert_int_eq(total_labelled(s, "default", "{\"app\":\"new\"}", plain, "h3"), 300 + 95 + 200);
	/* nothing matches: the plugin scores nothing */
	ck_assert_int_eq(total_labelled(s, "default", "{\"app\":\"old\"}", plain, "h3"), 300 + 95);
	/* another namespace does not match their terms */
	ck_assert_int_eq(total_labelled(s, "other", "{\"app\":\"new\"}", plain, "h3"), 300 + 95);
	/* removing fan removes its preference: h2 alone is the best (100) */
	ck_assert_int_eq(kube_sched_pod_remove(s, "default", "fan"), 0);
	ck_assert_int_eq(total_labelled(s, "default", "{\"app\":\"new\"}", plain, "h2"), 300 + 95 + 200);
	ck_assert_int_eq(total_labelled(s, "default", "{\"app\":\"new\"}", plain, "h3"), 300 + 97 + 0);
	kube_sched_free(s);
}
END_TEST

START_TEST(test_sched_div_floor_exact)
{
	/* the scores' division by reciprocal must equal integer division */
	uint64_t x = 88172645463325252ull;
	for (int i = 0; i < 200000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		int64_t den = (int64_t)(x % 2000000000000ull) + 1;
		int64_t num = (int64_t)((x >> 11) % ((uint64_t)den * 101));
		if (i % 3 == 0)
			num = den * (int64_t)(x % 101); /* exact multiples */
		ck_assert_int_eq(kube__div_floor(num, den, 1.0 / (double)den), num / den);
	}
	ck_assert_int_eq(kube__div_floor(0, 7, 1.0 / 7), 0);
	ck_assert_int_eq(kube__div_floor(300, 3, 1.0 / 3), 100);
	ck_assert_int_eq(kube__div_floor(299, 3, 1.0 / 3), 99);
	ck_assert_int_eq(kube__div_floor((1LL << 60), 3, 1.0 / 3), (1LL << 60) / 3);
}
END_TEST

START_TEST(test_sched_remembered_answers_follow_the_pod)
{
	/* alternating pod shapes on one scheduler: each decision is the pod's own */
	kube_sched *s;
	ck_assert_int_eq(kube_sched_new(&s), 0);
	node_add(s, "a1", "{\"zone\":\"a\"}", NULL, NULL, NULL);
	node_add(s, "b1", "{\"zone\":\"b\"}", NULL, NULL, NULL);
	const char *to_a = "{\"nodeSelector\":{\"zone\":\"a\"}," C1 "}";
	const char *to_b = "{\"nodeSelector\":{\"zone\":\"b\"}," C1 "}";
	const char *pref_b = "{\"affinity\":{\"nodeAffinity\":{\"preferredDuringSchedulingIgnoredDuringExecution\":"
	                     "[{\"weight\":1,\"preference\":{\"matchExpressions\":[{\"key\":\"zone\",\"operator\":\"In\",\"values\":[\"b\"]}]}}]}}," C1 "}";
	for (int round = 0; round < 3; round++) {
		ck_assert_int_ge(total_of(s, to_a, "a1"), 0);
		ck_assert_int_eq(total_of(s, to_a, "b1"), -1);
		ck_assert_int_eq(total_of(s, to_b, "a1"), -1);
		ck_assert_int_ge(total_of(s, to_b, "b1"), 0);
		/* fit 97, taints 300, affinity 0 / 200 */
		ck_assert_int_eq(total_of(s, pref_b, "a1"), 397);
		ck_assert_int_eq(total_of(s, pref_b, "b1"), 597);
		ck_assert_int_eq(total_of(s, "{" C1 "}", "b1"), 397);
	}
	/* relabelled nodes answer anew */
	node_add(s, "a1", "{\"zone\":\"b\"}", NULL, NULL, NULL);
	ck_assert_int_ge(total_of(s, to_b, "a1"), 0);
	ck_assert_int_eq(total_of(s, pref_b, "a1"), 597);
	node_add(s, "a1", "{\"zone\":\"a\"}", NULL, NULL, NULL);

	/* pod (anti-)affinity and spreading: alternate pods, then a new pod on a node */
	bind_pod(s, "w", "{\"app\":\"web\"}", "a1", "");
	const char *anti = "{\"affinity\":{\"podAntiAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":"
	                   "[{\"labelSelector\":{\"matchLabels\":{\"app\":\"web\"}},\"topologyKey\":\"zone\"}]}}," C1 "}";
	const char *with = "{\"affinity\":{\"podAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":"
	                   "[{\"labelSelector\":{\"matchLabels\":{\"app\":\"web\"}},\"topologyKey\":\"zone\"}]}}," C1 "}";
	const char *spread = "{\"topologySpreadConstraints\":[{\"maxSkew\":1,\"topologyKey\":\"zone\","
	                     "\"whenUnsatisfiable\":\"DoNotSchedule\",\"labelSelector\":{\"matchLabels\":{\"app\":\"web\"}}}]," C1 "}";
	for (int round = 0; round < 2; round++) {
		ck_assert_int_eq(total_labelled(s, "default", "{}", anti, "a1"), -1);
		ck_assert_int_ge(total_labelled(s, "default", "{}", anti, "b1"), 0);
		ck_assert_int_ge(total_labelled(s, "default", "{}", with, "a1"), 0);
		ck_assert_int_eq(total_labelled(s, "default", "{}", with, "b1"), -1);
		/* a web pod: zone a 1, b 0 -> a1 skew 2 */
		ck_assert_int_eq(total_labelled(s, "default", "{\"app\":\"web\"}", spread, "a1"), -1);
		ck_assert_int_ge(total_labelled(s, "default", "{\"app\":\"web\"}", spread, "b1"), 0);
	}
	bind_pod(s, "w2", "{\"app\":\"web\"}", "b1", "");
	ck_assert_int_eq(total_labelled(s, "default", "{}", anti, "b1"), -1);
	ck_assert_int_ge(total_labelled(s, "default", "{}", with, "b1"), 0);
	ck_assert_int_ge(total_labelled(s, "default", "{\"app\":\"web\"}", spread, "a1"), 0);
	ck_assert_int_eq(kube_sched_pod_remove(s, "default", "w"), 0);
	ck_assert_int_ge(total_labelled(s, "default", "{}", anti, "a1"), 0);
	ck_assert_int_eq(total_labelled(s, "default", "{\"app\":\"web\"}", spread, "b1"), -1);
	kube_sched_free(s);
}
END_TEST

/* ---- profiles and plugins ---- */

typedef struct counter {
	int filters, scores, reserves, unreserves, binds, destroyed;
	int bind_rc;
	char bound[64];
} counter;

static int f_only_even(const kube_object *pod, const kube_sched_node *n, const char **reason, void *ud)
{
	(void)pod;
	counter *c = ud;
	c->filters++;
	const char *name = kube_sched_node_name(n);
	if ((name[strlen(name) - 1] - '0') % 2 == 0)
		return 0;
	*reason = "node(s) were odd";
	return KUBE_SCHED_UNSCHEDULABLE;
}

static int s_by_digit(const kube_object *pod, const kube_sched_node *n, int64_t *score, void *ud)
{
	(void)pod;
	counter *c = ud;
	c->scores++;
	const char *name = kube_sched_node_name(n);
	*score = (name[strlen(name) - 1] - '0') * 10;
	return 0;
}

static int r_count(const kube_object *pod, const char *node, void *ud)
{
	(void)pod;
	(void)node;
	((counter *)ud)->reserves++;
	return 0;
}

static void u_count(const kube_object *pod, const char *node, void *ud)
{
	(void)pod;
	(void)node;
	((counter *)ud)->unreserves++;
}

static int b_record(const kube_object *pod, const char *node, void *ud)
{
	counter *c = ud;
	c->binds++;
	snprintf(c->bound, sizeof(c->bound), "%s/%s", kube_object_name(pod), node);
	return c->bind_rc;
}

static void destroy_counter(void *ud)
{
	((counter *)ud)->destroyed++;
}

START_TEST(test_sched_profiles_and_plugins)
{
	kube_sched *s;
	counter c = { 0 };
	ck_assert_int_eq(kube_sched_new(&s), 0);
	for (int i = 0; i < 5; i++) {
		char name[8];
		snprintf(name, sizeof(name), "n%d", i);
		node_add(s, name, NULL, NULL, NULL, NULL);
	}
	kube_sched_plugin p = { KUBE_SCHED_PLUGIN_VERSION, sizeof(kube_sched_plugin), "Even",
	                        NULL, f_only_even, s_by_digit, NULL, r_count, u_count, b_record };
	ck_assert_int_eq(kube_sched_profile_add(s, "custom", 0), 0);
	ck_assert_int_eq(kube_sched_profile_add(s, "custom", 1), KUBE_EEXISTS);
	ck_assert_int_eq(kube_sched_plugin_register(s, "custom", &p, 1, &c, destroy_counter), 0);
	ck_assert_int_eq(kube_sched_plugin_register(s, "custom", &p, 1, &c, destroy_counter), KUBE_EEXISTS);
	ck_assert_int_eq(c.destroyed, 1); /* a refused registration releases userdata */
	ck_assert_int_eq(kube_sched_plugin_register(s, "nope", &p, 1, &c, NULL), KUBE_ENOTFOUND);
	kube_sched_plugin old = p;
	old.abi_version = 2;
	ck_assert_int_eq(kube_sched_plugin_register(s, "custom", &old, 1, &c, NULL), KUBE_EABI);
	old = p;
	old.struct_size = 8;
	ck_assert_int_eq(kube_sched_plugin_register(s, "custom", &old, 1, &c, NULL), KUBE_EABI);

	/* the custom profile: only even nodes, the highest digit wins */
	const char *spec = "{\"schedulerName\":\"custom\"," C1 "}";
	expect_node(s, spec, "n4");
	ck_assert_int_eq(c.filters, 5);
	ck_assert_int_eq(c.scores, 3);
	ck_assert_int_eq(c.reserves, 1);
	ck_assert_int_eq(c.binds, 1);
	ck_assert_str_eq(c.bound, "p/n4");
	/* the default profile does not run it */
	expect_node(s, "{" C1 "}", "n0");
	ck_assert_int_eq(c.filters, 5);
	/* unknown scheduler name */
	char *node = NULL, *msg = NULL;
	ck_assert_int_eq(sched(s, "x", "{\"schedulerName\":\"other\"," C1 "}", &node, &msg), KUBE_ENOTFOUND);
	ck_assert_str_eq(kube_error_last()->message, "profile \"other\" not found");
	/* a failing bind undoes the reservation and forgets the pod */
	c.bind_rc = KUBE_ECONFLICT;
	ck_assert_int_eq(sched(s, "y", spec, &node, &msg), KUBE_ECONFLICT);
	ck_assert_ptr_null(node);
	ck_assert_int_eq(c.unreserves, 1);
	ck_assert_uint_eq(kube_sched_node_pod_count(s, "n4"), 0);
	ck_assert_uint_eq(kube_sched_node_pod_count(s, "n0"), 1); /* "p" moved there */
	c.bind_rc = 0;
	/* the plugin's reason in the FitError */
	ck_assert_int_eq(kube_sched_plugin_disable(s, "custom", "Even"), 0);
	ck_assert_int_eq(c.destroyed, 2);
	ck_assert_int_eq(kube_sched_plugin_disable(s, "custom", "Even"), KUBE_ENOTFOUND);
	kube_sched_plugin f = { KUBE_SCHED_PLUGIN_VERSION, sizeof(f), "Odd", NULL, f_only_even,
	                        NULL, NULL, NULL, NULL, NULL };
	ck_assert_int_eq(kube_sched_plugin_register(s, KUBE_SCHED_DEFAULT_PROFILE, &f, 0, &c, NULL), 0);
	ck_assert_int_eq(kube_sched_plugin_set_weight(s, KUBE_SCHED_DEFAULT_PROFILE, "NodeResourcesFit", 5), 0);
	ck_assert_int_eq(kube_sched_plugin_set_weight(s, KUBE_SCHED_DEFAULT_PROFILE, "Nope", 5), KUBE_ENOTFOUND);
	ck_assert_int_eq(kube_sched_plugin_disable(s, KUBE_SCHED_DEFAULT_PROFILE, "NodeResourcesFit"), 0);
	node_add(s, "n5", NULL, "{\"unschedulable\":true}", NULL, NULL);
	node_add(s, "n7", NULL, NULL, NULL, NULL);
	kube_sched_node_remove(s, "n0");
	kube_sched_node_remove(s, "n2");
	kube_sched_node_remove(s, "n4");
	expect_msg(s, "{" C1 "}", "0/4 nodes are available: 1 node(s) were unschedulable, 3 node(s) were odd.");
	kube_sched_free(s);
	ck_assert_int_eq(c.destroyed, 2); /* Odd had no destroy */
}
END_TEST

static int s_out_of_range(const kube_object *pod, const kube_sched_node *n, int64_t *score, void *ud)
{
	(void)pod;
	(void)n;
	(void)ud;
	*score = 101;
	return 0;
}

static int pf_reject(const kube_object *pod, const char **reason, void *ud)
{
	(void)pod;
	(void)ud;
	*reason = "pod is gated";
	return KUBE_SCHED_UNSCHEDULABLE;
}

START_TEST(test_sched_plugin_errors)
{
	kube_sched *s;
	ck_assert_int_eq(kube_sched_new(&s), 0);
	node_add(s, "n1", NULL, NULL, NULL, NULL);
	node_add(s, "n2", NULL, NULL, NULL, NULL);
	kube_sched_plugin p = { KUBE_SCHED_PLUGIN_VERSION, sizeof(p), "Bad", NULL, NULL,
	                        s_out_of_range, NULL, NULL, NULL, NULL };
	ck_assert_int_eq(kube_sched_profile_add(s, "bad", 1), 0);
	ck_assert_int_eq(kube_sched_plugin_register(s, "bad", &p, 1, NULL, NULL), 0);
	char *node = NULL, *msg = NULL;
	ck_assert_int_eq(sched(s, "p", "{\"schedulerName\":\"bad\"," C1 "}", &node, &msg), KUBE_ERANGE);
	ck_assert_str_eq(kube_error_last()->message,
	                 "plugin \"Bad\" returns an invalid score 101, it should in the range of [0, 100] after normalizing");
	kube_sched_plugin g = { KUBE_SCHED_PLUGIN_VERSION, sizeof(g), "Gate", pf_reject, NULL,
	                        NULL, NULL, NULL, NULL, NULL };
	ck_assert_int_eq(kube_sched_plugin_register(s, KUBE_SCHED_DEFAULT_PROFILE, &g, 0, NULL, NULL), 0);
	expect_msg(s, "{" C1 "}", "0/2 nodes are available: pod is gated.");
	/* argument checks */
	ck_assert_int_eq(kube_sched_schedule(NULL, NULL, &node, &msg), KUBE_EINVAL);
	ck_assert_int_eq(kube_sched_new(NULL), KUBE_EINVAL);
	ck_assert_int_eq(kube_sched_profile_add(s, "", 1), KUBE_EINVAL);
	ck_assert_int_eq(kube_sched_plugin_register(s, "bad", NULL, 1, NULL, NULL), KUBE_EINVAL);
	/* a malformed quantity in a pod names the field */
	ck_assert_int_eq(sched(s, "p", "{\"containers\":[{\"name\":\"c\",\"resources\":{\"requests\":{\"cpu\":\"lots\"}}}]}",
	                       &node, &msg), KUBE_EINVAL);
	ck_assert_str_eq(kube_error_last()->field, "spec.containers[0].resources.requests.cpu");
	kube_sched_free(s);
	kube_sched_free(NULL);
}
END_TEST

/* ---- the scheduling queue ---- */

static kube_object *qpod(const char *name, const char *priority)
{
	if (priority)
		return obj("{\"kind\":\"Pod\",\"metadata\":{\"namespace\":\"q\",\"name\":\"%s\"},"
		           "\"spec\":{\"priority\":%s," C1 "}}", name, priority);
	return obj("{\"kind\":\"Pod\",\"metadata\":{\"namespace\":\"q\",\"name\":\"%s\"},\"spec\":{" C1 "}}", name);
}

static void queue_add(kube_sched_queue *q, const char *name, const char *priority, int64_t now)
{
	kube_object *p = qpod(name, priority);
	ck_assert_int_eq(kube_sched_queue_add(q, p, now), 0);
	kube_object_unref(p);
}

static void expect_pop(kube_sched_queue *q, int64_t now, const char *want)
{
	kube_object *p = NULL;
	int rc = kube_sched_queue_pop(q, now, &p);
	if (!want) {
		ck_assert_int_eq(rc, KUBE_ENOTFOUND);
		ck_assert_ptr_null(p);
		return;
	}
	ck_assert_msg(rc == 0, "want %s at %lld", want, (long long)now);
	ck_assert_str_eq(kube_object_name(p), want);
	kube_object_unref(p);
}

static void expect_counts(kube_sched_queue *q, size_t a, size_t b, size_t u)
{
	size_t x, y, z;
	kube_sched_queue_counts(q, &x, &y, &z);
	ck_assert_uint_eq(x, a);
	ck_assert_uint_eq(y, b);
	ck_assert_uint_eq(z, u);
}

START_TEST(test_sched_queue_priority_order)
{
	kube_sched_queue *q;
	ck_assert_int_eq(kube_sched_queue_new(&q), 0);
	queue_add(q, "a", "0", 0);
	queue_add(q, "b", "10", 1);
	queue_add(q, "c", "10", 2);
	queue_add(q, "d", NULL, 3);
	queue_add(q, "e", "-5", 4);
	queue_add(q, "f", "1000000000", 5);
	expect_counts(q, 6, 0, 0);
	/* a new version keeps the pod's age but takes its priority */
	queue_add(q, "d", "10", 6);
	expect_counts(q, 6, 0, 0);
	expect_pop(q, 7, "f");
	expect_pop(q, 7, "b");
	expect_pop(q, 7, "c");
	expect_pop(q, 7, "d");
	expect_pop(q, 7, "a");
	expect_pop(q, 7, "e");
	expect_pop(q, 7, NULL);
	/* errors */
	kube_object *p = obj("{\"kind\":\"Pod\",\"metadata\":{}}");
	ck_assert_int_eq(kube_sched_queue_add(q, p, 0), KUBE_EINVAL);
	ck_assert_int_eq(kube_sched_queue_unschedulable(q, p, 0, 0), KUBE_EINVAL);
	kube_object_unref(p);
	ck_assert_int_eq(kube_sched_queue_pop(q, 0, NULL), KUBE_EINVAL);
	ck_assert_int_eq(kube_sched_queue_remove(q, "q", "zz"), KUBE_ENOTFOUND);
	kube_sched_queue_free(q);
	kube_sched_queue_free(NULL);
}
END_TEST

START_TEST(test_sched_queue_backoff)
{
	kube_sched_queue *q;
	ck_assert_int_eq(kube_sched_queue_new(&q), 0);
	kube_object *x = qpod("x", NULL), *y = qpod("y", NULL), *z = qpod("z", NULL);
	/* failed once at 1000: unschedulable until an event, then 1 s of backoff */
	ck_assert_int_eq(kube_sched_queue_unschedulable(q, x, 1, 1000), 0);
	expect_counts(q, 0, 0, 1);
	expect_pop(q, 60000, NULL);
	ck_assert_int_eq(kube_sched_queue_move_all(q, 1500), 0);
	expect_counts(q, 0, 1, 0);
	expect_pop(q, 1999, NULL);
	expect_pop(q, 2000, "x");
	/* 3 attempts: 4 s; 5 attempts: 16 s, capped at 10 s */
	ck_assert_int_eq(kube_sched_queue_unschedulable(q, y, 3, 0), 0);
	ck_assert_int_eq(kube_sched_queue_unschedulable(q, z, 5, 0), 0);
	ck_assert_int_eq(kube_sched_queue_move_all(q, 100), 0);
	expect_counts(q, 0, 2, 0);
	expect_pop(q, 3999, NULL);
	expect_pop(q, 4000, "y");
	expect_pop(q, 9999, NULL);
	expect_pop(q, 10000, "z");
	/* an event after the backoff has passed goes straight to active */
	ck_assert_int_eq(kube_sched_queue_unschedulable(q, x, 1, 0), 0);
	ck_assert_int_eq(kube_sched_queue_move_all(q, 5000), 0);
	expect_counts(q, 1, 0, 0);
	/* a queued pod that fails again moves, it is not duplicated */
	ck_assert_int_eq(kube_sched_queue_unschedulable(q, x, 2, 6000), 0);
	expect_counts(q, 0, 0, 1);
	/* removal from any area */
	ck_assert_int_eq(kube_sched_queue_remove(q, "q", "x"), 0);
	ck_assert_int_eq(kube_sched_queue_remove(q, "q", "x"), KUBE_ENOTFOUND);
	expect_counts(q, 0, 0, 0);
	ck_assert_int_eq(kube_sched_queue_add(q, y, 0), 0);
	ck_assert_int_eq(kube_sched_queue_unschedulable(q, z, 1, 0), 0);
	kube_object_unref(x);
	kube_object_unref(y);
	kube_object_unref(z);
	kube_sched_queue_free(q); /* frees what is still queued */
}
END_TEST

/* ---- through the store ---- */

static kube_object *stored_pod(kube_store *st, const char *name)
{
	kube_object *got = NULL;
	ck_assert_int_eq(kube_store_get(&got, st, "pods", "default", name), 0);
	return got;
}

/* A node in the scheduler and in the store. */
static void node_add_stored(kube_sched *s, kube_store *st, const char *name, const char *alloc)
{
	node_add(s, name, NULL, NULL, alloc, NULL);
	kube_object *o = obj("{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"%s\"},"
	                     "\"status\":{\"allocatable\":%s}}", name, alloc);
	ck_assert_int_eq(kube_store_create(NULL, st, o), 0);
	kube_object_unref(o);
}

START_TEST(test_sched_store_bind_and_unschedulable)
{
	kube_loop *loop;
	kube_store *st;
	kube_sched *s;
	kube_sched_queue *q;
	ck_assert_int_eq(kube_loop_new(&loop, NULL), 0);
	ck_assert_int_eq(kube_store_open(&st, loop, NULL), 0);
	ck_assert_int_eq(kube_sched_new(&s), 0);
	ck_assert_int_eq(kube_sched_queue_new(&q), 0);
	ck_assert_int_eq(kube_sched_store_binder(s, KUBE_SCHED_DEFAULT_PROFILE, st), 0);
	node_add_stored(s, st, "n1", "{\"cpu\":\"1\",\"memory\":\"1Gi\",\"pods\":\"10\"}");

	/* three pending pods in the store; the big one fits nowhere */
	static const char *const names[] = { "small-1", "small-2", "big" };
	static const char *const cpus[] = { "500m", "500m", "2" };
	for (int i = 0; i < 3; i++) {
		kube_object *p = obj("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"namespace\":\"default\","
		                     "\"name\":\"%s\"},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"nginx\","
		                     "\"resources\":{\"requests\":{\"cpu\":\"%s\"}}}]}}", names[i], cpus[i]);
		kube_object *out = NULL;
		ck_assert_int_eq(kube_store_create(&out, st, p), 0);
		ck_assert_int_eq(kube_sched_queue_add(q, out, i), 0);
		kube_object_unref(out);
		kube_object_unref(p);
	}
	/* the scheduling loop: pop, schedule, bind or park */
	int64_t now = 100;
	kube_object *p;
	while (kube_sched_queue_pop(q, now, &p) == 0) {
		char *node = NULL, *msg = NULL;
		int rc = kube_sched_schedule(s, p, &node, &msg);
		if (rc == KUBE_EBUSY) {
			ck_assert_int_eq(kube_sched_store_set_unschedulable(st, p, msg), 0);
			ck_assert_int_eq(kube_sched_queue_unschedulable(q, p, 1, now), 0);
		} else {
			ck_assert_int_eq(rc, 0);
			ck_assert_str_eq(node, "n1");
		}
		kube_free(node);
		kube_free(msg);
		kube_object_unref(p);
	}
	kube_object *got = stored_pod(st, "small-1");
	const char *v = NULL;
	ck_assert_int_eq(kube_object_get_string(got, "spec.nodeName", &v), 0);
	ck_assert_str_eq(v, "n1");
	kube_object_unref(got);
	got = stored_pod(st, "small-2");
	ck_assert_int_eq(kube_object_get_string(got, "spec.nodeName", &v), 0);
	ck_assert_str_eq(v, "n1");
	kube_object_unref(got);
	got = stored_pod(st, "big");
	ck_assert_int_eq(kube_object_get_string(got, "spec.nodeName", &v), KUBE_ENOTFOUND);
	ck_assert_int_eq(kube_object_get_string(got, "status.conditions[0].type", &v), 0);
	ck_assert_str_eq(v, "PodScheduled");
	ck_assert_int_eq(kube_object_get_string(got, "status.conditions[0].status", &v), 0);
	ck_assert_str_eq(v, "False");
	ck_assert_int_eq(kube_object_get_string(got, "status.conditions[0].reason", &v), 0);
	ck_assert_str_eq(v, "Unschedulable");
	ck_assert_int_eq(kube_object_get_string(got, "status.conditions[0].message", &v), 0);
	ck_assert_str_eq(v, "0/1 nodes are available: 1 Insufficient cpu.");
	/* a second failure replaces the condition, it does not add one */
	ck_assert_int_eq(kube_sched_store_set_unschedulable(st, got, "0/2 nodes are available: x."), 0);
	kube_object_unref(got);
	got = stored_pod(st, "big");
	size_t n = 0;
	ck_assert_int_eq(kube_object_get_len(got, "status.conditions", &n), 0);
	ck_assert_uint_eq(n, 1);
	kube_object_unref(got);
	expect_counts(q, 0, 0, 1);

	/* a bigger node appears: the event releases the pod, its backoff
	 * (1 s from the failed attempt) passes, it binds there */
	node_add_stored(s, st, "n2", "{\"cpu\":\"4\",\"memory\":\"8Gi\",\"pods\":\"10\"}");
	ck_assert_int_eq(kube_sched_queue_move_all(q, now + 10), 0);
	expect_pop(q, now + 999, NULL);
	ck_assert_int_eq(kube_sched_queue_pop(q, now + 1000, &p), 0);
	char *node = NULL, *msg = NULL;
	ck_assert_int_eq(kube_sched_schedule(s, p, &node, &msg), 0);
	ck_assert_str_eq(node, "n2");
	kube_free(node);
	kube_object_unref(p);
	got = stored_pod(st, "big");
	ck_assert_int_eq(kube_object_get_string(got, "spec.nodeName", &v), 0);
	ck_assert_str_eq(v, "n2");
	/* as the binding subresource: PodScheduled is now True */
	ck_assert_int_eq(kube_object_get_string(got, "status.conditions[0].type", &v), 0);
	ck_assert_str_eq(v, "PodScheduled");
	ck_assert_int_eq(kube_object_get_string(got, "status.conditions[0].status", &v), 0);
	ck_assert_str_eq(v, "True");
	ck_assert_int_eq(kube_object_get_string(got, "status.conditions[0].message", &v), KUBE_ENOTFOUND);

	/* binding a pod that is already assigned fails and leaves no trace */
	ck_assert_int_eq(kube_sched_pod_remove(s, "default", "big"), 0);
	ck_assert_int_eq(kube_sched_schedule(s, got, &node, &msg), KUBE_ECONFLICT);
	ck_assert_str_eq(kube_error_last()->message, "Operation cannot be fulfilled on pods/binding \"big\": pod big is already assigned to node \"n2\"");
	ck_assert_ptr_null(node);
	ck_assert_uint_eq(kube_sched_node_pod_count(s, "n2"), 0);
	kube_object_unref(got);
	/* and a pod that is gone */
	kube_object *ghost = obj("{\"kind\":\"Pod\",\"metadata\":{\"namespace\":\"default\",\"name\":\"ghost\"},\"spec\":{" C1 "}}");
	ck_assert_int_eq(kube_sched_schedule(s, ghost, &node, &msg), KUBE_ENOTFOUND);
	ck_assert_int_eq(kube_sched_store_set_unschedulable(st, ghost, "x"), KUBE_ENOTFOUND);
	kube_object_unref(ghost);
	/* a node the store has lost (its deletion not seen yet): refused, the
	 * assumed pod forgotten, the pod left pending for the queue */
	node_add(s, "gone", NULL, NULL, "{\"cpu\":\"64\",\"memory\":\"64Gi\",\"pods\":\"10\"}", NULL);
	kube_object *late = obj("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"namespace\":\"default\","
	                        "\"name\":\"late\"},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"x\","
	                        "\"resources\":{\"requests\":{\"cpu\":\"32\"}}}]}}");
	kube_object *stored = NULL;
	ck_assert_int_eq(kube_store_create(&stored, st, late), 0);
	ck_assert_int_eq(kube_sched_schedule(s, stored, &node, &msg), KUBE_ECONFLICT);
	ck_assert_str_eq(kube_error_last()->message, "node \"gone\" is gone: binding pod default/late refused");
	ck_assert_uint_eq(kube_sched_node_pod_count(s, "gone"), 0);
	kube_object_unref(stored);
	kube_object_unref(late);
	got = stored_pod(st, "late");
	ck_assert_int_eq(kube_object_get_string(got, "spec.nodeName", &v), KUBE_ENOTFOUND);
	kube_object_unref(got);

	kube_sched_queue_free(q);
	kube_sched_free(s);
	kube_store_close(st);
	kube_loop_free(loop);
}
END_TEST

static int set_running(kube_object *o, void *ud)
{
	(void)ud;
	int rc = kube_object_set_string(o, "status.phase", "Running");
	return rc ? rc : kube_object_set_json(o, "status.conditions[1]",
	                                      "{\"type\":\"Ready\",\"status\":\"True\"}");
}

/* ud: "path=value" */
static int set_string(kube_object *o, void *ud)
{
	char path[128];
	const char *eq = strchr(ud, '=');
	snprintf(path, sizeof(path), "%.*s", (int)(eq - (const char *)ud), (const char *)ud);
	return kube_object_set_string(o, path, eq + 1);
}

static int set_cpu(kube_object *o, void *ud)
{
	return kube_object_set_string(o, "spec.containers[0].resources.requests.cpu", ud);
}

static int set_label(kube_object *o, void *ud)
{
	(void)ud;
	return kube_object_set_label(o, "tier", "web");
}

static int64_t cpu_requested(kube_sched *s, const char *node)
{
	int64_t a = 0, r = 0;
	ck_assert_int_eq(kube_sched_node_resource(s, node, "cpu", &a, &r), 0);
	return r;
}

/*
 * A stored pod's new versions reach the snapshot as the runner sees them:
 * the bind of the assumed pod and a kubelet's status writes keep the view
 * (derived once, moved to the new version); a change of what the view
 * reads (the spec, the labels) derives it again.  Either way the node
 * accounts for the pod once, with its current requests.
 */
START_TEST(test_sched_pod_versions_keep_view)
{
	kube_loop *loop;
	kube_store *st;
	kube_sched *s;
	char *node = NULL, *msg = NULL;
	ck_assert_int_eq(kube_loop_new(&loop, NULL), 0);
	ck_assert_int_eq(kube_store_open(&st, loop, NULL), 0);
	ck_assert_int_eq(kube_sched_new(&s), 0);
	ck_assert_int_eq(kube_sched_store_binder(s, KUBE_SCHED_DEFAULT_PROFILE, st), 0);
	node_add_stored(s, st, "n1", "{\"cpu\":\"2\",\"memory\":\"1Gi\",\"pods\":\"10\"}");
	kube_object *p = pod("p", "{\"containers\":[{\"name\":\"c\",\"image\":\"x\",\"resources\":"
	                          "{\"requests\":{\"cpu\":\"500m\"}}}]}");
	kube_object *pending = NULL;
	ck_assert_int_eq(kube_store_create(&pending, st, p), 0);
	kube_object_unref(p);
	ck_assert_int_eq(kube_sched_schedule(s, pending, &node, &msg), 0);
	ck_assert_str_eq(node, "n1");
	kube_free(node);
	kube_object_unref(pending);
	kube__pod *view = kube__map_get(&s->pods_by_key, "default/p");
	ck_assert_ptr_nonnull(view);
	ck_assert_int_eq(view->assumed, 1);
	ck_assert_int_eq(cpu_requested(s, "n1"), 500);

	/* the bound version: the assumed view is confirmed where it is */
	kube_object *got = stored_pod(st, "p");
	ck_assert_int_eq(kube_sched_pod_add(s, got), 0);
	ck_assert_ptr_eq(kube__map_get(&s->pods_by_key, "default/p"), view);
	ck_assert_int_eq(view->assumed, 0);
	ck_assert_str_eq(view->node_name, "n1");
	ck_assert_ptr_eq(view->obj, got);
	kube_object_unref(got);
	ck_assert_int_eq(cpu_requested(s, "n1"), 500);
	ck_assert_uint_eq(kube_sched_node_pod_count(s, "n1"), 1);

	/* Running and Ready: status only, the same view */
	ck_assert_int_eq(kube_store_guaranteed_update(&got, st, "pods", "default", "p", set_running,
	                                              NULL), 0);
	ck_assert_int_eq(kube_sched_pod_add(s, got), 0);
	ck_assert_ptr_eq(kube__map_get(&s->pods_by_key, "default/p"), view);
	ck_assert_ptr_eq(view->obj, got);
	kube_object_unref(got);
	ck_assert_int_eq(cpu_requested(s, "n1"), 500);

	/* a start time (preemption reads it): read into the same view */
	ck_assert_int_eq(view->start_time, INT64_MAX);
	ck_assert_int_eq(kube_store_guaranteed_update(&got, st, "pods", "default", "p", set_string,
	                                              "status.startTime=1970-01-01T00:01:40Z"), 0);
	ck_assert_int_eq(kube_sched_pod_add(s, got), 0);
	kube_object_unref(got);
	ck_assert_ptr_eq(kube__map_get(&s->pods_by_key, "default/p"), view);
	ck_assert_int_eq(view->start_time, 100);
	ck_assert_int_eq(cpu_requested(s, "n1"), 500);

	/* new requests: derived again */
	ck_assert_int_eq(kube_store_guaranteed_update(&got, st, "pods", "default", "p", set_cpu,
	                                              "700m"), 0);
	ck_assert_int_eq(kube_sched_pod_add(s, got), 0);
	kube_object_unref(got);
	view = kube__map_get(&s->pods_by_key, "default/p");
	ck_assert_int_eq(cpu_requested(s, "n1"), 700);
	ck_assert_uint_eq(kube_sched_node_pod_count(s, "n1"), 1);

	/* new labels (other pods' terms match them): derived again */
	ck_assert_int_eq(kube_store_guaranteed_update(&got, st, "pods", "default", "p", set_label,
	                                              NULL), 0);
	ck_assert_int_eq(kube_sched_pod_add(s, got), 0);
	kube_object_unref(got);
	ck_assert_ptr_ne(kube__map_get(&s->pods_by_key, "default/p"), view);
	ck_assert_int_eq(cpu_requested(s, "n1"), 700);
	ck_assert_uint_eq(kube_sched_node_pod_count(s, "n1"), 1);

	ck_assert_int_eq(kube_sched_pod_remove(s, "default", "p"), 0);
	ck_assert_int_eq(cpu_requested(s, "n1"), 0);
	kube_sched_free(s);
	kube_store_close(st);
	kube_loop_free(loop);
}
END_TEST

/*
 * Replicas share their spec: the second stored pod with the same spec
 * bytes gets the first one's view without a parse, with its own
 * namespace, start time and nomination; another spec is derived afresh.
 */
START_TEST(test_sched_view_of_same_spec)
{
	kube_loop *loop;
	kube_store *st;
	kube_sched *s;
	ck_assert_int_eq(kube_loop_new(&loop, NULL), 0);
	ck_assert_int_eq(kube_store_open(&st, loop, NULL), 0);
	ck_assert_int_eq(kube_sched_new(&s), 0);
	static const char *const specs[] = {
		"{\"containers\":[{\"name\":\"c\",\"image\":\"x\",\"resources\":{\"requests\":"
		"{\"cpu\":\"300m\",\"example.com/gpu\":\"2\"}},\"ports\":[{\"hostPort\":8080}]}],"
		"\"tolerations\":[{\"key\":\"k\",\"operator\":\"Exists\"}],\"nodeSelector\":{\"a\":\"b\"}}",
		"{\"containers\":[{\"name\":\"c\",\"image\":\"x\",\"resources\":{\"requests\":"
		"{\"cpu\":\"400m\"}}}]}",
	};
	kube__pod *v[4];
	for (int i = 0; i < 4; i++) {
		kube_object *o = obj("{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"namespace\":"
		                     "\"%s\",\"name\":\"p%d\"},\"spec\":%s%s}", i == 1 ? "other" : "default",
		                     i, specs[i == 3], i == 1 ? ",\"status\":{\"startTime\":"
		                     "\"1970-01-01T00:01:40Z\",\"nominatedNodeName\":\"n1\"}" : "");
		kube_object *stored = NULL;
		ck_assert_int_eq(kube_store_create(&stored, st, o), 0);
		ck_assert_int_eq(kube__pod_new(&v[i], stored, s), 0);
		kube_object_unref(stored);
		kube_object_unref(o);
		ck_assert_ptr_nonnull(s->tmpl_view);
	}
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(v[i]->req[KUBE__R_CPU], 300);
		ck_assert_uint_eq(v[i]->nscalars, 1);
		ck_assert_int_eq(v[i]->scalars[0].value, 2);
		ck_assert_uint_eq(v[i]->nports, 1);
		ck_assert_int_eq(v[i]->ports[0].port, 8080);
		ck_assert_str_eq(v[i]->ports[0].protocol, "TCP");
		ck_assert_uint_eq(v[i]->ntols, 1);
		ck_assert_str_eq(v[i]->tols[0].key, "k");
		ck_assert_uint_eq(v[i]->nsel, 1);
		ck_assert_uint_eq(v[i]->nimages, 1);
		ck_assert_str_eq(v[i]->name, i == 0 ? "p0" : i == 1 ? "p1" : "p2");
	}
	ck_assert_ptr_ne(v[1]->scalars, v[0]->scalars);
	ck_assert_str_eq(v[1]->ns, "other");
	ck_assert_uint_ne(v[1]->ns_id, v[0]->ns_id);
	ck_assert_uint_eq(v[2]->ns_id, v[0]->ns_id);
	ck_assert_int_eq(v[1]->start_time, 100);
	ck_assert_str_eq(v[1]->nominated, "n1");
	ck_assert_int_eq(v[0]->start_time, INT64_MAX);
	ck_assert_ptr_null(v[0]->nominated);
	ck_assert_int_eq(v[2]->start_time, INT64_MAX);
	ck_assert_ptr_null(v[2]->nominated);
	ck_assert_int_eq(v[3]->req[KUBE__R_CPU], 400);
	ck_assert_uint_eq(v[3]->nscalars, 0);
	ck_assert_uint_eq(v[3]->nports, 0);
	for (int i = 0; i < 4; i++)
		kube__pod_free(v[i]);
	kube_sched_free(s);
	kube_store_close(st);
	kube_loop_free(loop);
}
END_TEST

/* namespaceSelector reads the labels of the namespaces the scheduler was
 * given, and without them the one label every namespace has; a change of
 * a namespace changes the next answer (remembered answers follow it). */
START_TEST(test_sched_namespace_selector)
{
	kube_sched *s;
	ck_assert_int_eq(kube_sched_new(&s), 0);
	node_add(s, "n1", "{\"kubernetes.io/hostname\":\"n1\"}", NULL, NULL, NULL);
	node_add(s, "n2", "{\"kubernetes.io/hostname\":\"n2\"}", NULL, NULL, NULL);
	bind_pod(s, "db", "{\"app\":\"db\"}", "n1", "");
	static const char *const anti_team =
		"{\"affinity\":{\"podAntiAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":"
		"[{\"labelSelector\":{\"matchLabels\":{\"app\":\"db\"}},\"namespaceSelector\":"
		"{\"matchLabels\":{\"team\":\"payments\"}},\"topologyKey\":\"kubernetes.io/hostname\"}]}}," C1 "}";
	static const char *const anti_name =
		"{\"affinity\":{\"podAntiAffinity\":{\"requiredDuringSchedulingIgnoredDuringExecution\":"
		"[{\"labelSelector\":{\"matchLabels\":{\"app\":\"db\"}},\"namespaceSelector\":"
		"{\"matchLabels\":{\"kubernetes.io/metadata.name\":\"default\"}},"
		"\"topologyKey\":\"kubernetes.io/hostname\"}]}}," C1 "}";
	/* default is not known: only kubernetes.io/metadata.name=default */
	ck_assert_int_ge(total_labelled(s, "other", "{}", anti_team, "n1"), 0);
	ck_assert_int_eq(total_labelled(s, "other", "{}", anti_name, "n1"), -1);
	kube_object *ns = obj("{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"default\","
	                      "\"labels\":{\"team\":\"payments\",\"kubernetes.io/metadata.name\":\"default\"}}}");
	ck_assert_int_eq(kube_sched_namespace_add(s, ns), 0);
	kube_object_unref(ns);
	ck_assert_int_eq(total_labelled(s, "other", "{}", anti_team, "n1"), -1);
	ck_assert_int_ge(total_labelled(s, "other", "{}", anti_team, "n2"), 0);
	/* relabelled: the team moves away */
	ns = obj("{\"apiVersion\":\"v1\",\"kind\":\"Namespace\",\"metadata\":{\"name\":\"default\","
	         "\"labels\":{\"team\":\"search\"}}}");
	ck_assert_int_eq(kube_sched_namespace_add(s, ns), 0);
	kube_object_unref(ns);
	ck_assert_int_ge(total_labelled(s, "other", "{}", anti_team, "n1"), 0);
	/* the Namespace object's labels replace the default one */
	ck_assert_int_ge(total_labelled(s, "other", "{}", anti_name, "n1"), 0);
	ck_assert_int_eq(kube_sched_namespace_remove(s, "default"), 0);
	ck_assert_int_eq(total_labelled(s, "other", "{}", anti_name, "n1"), -1);
	ck_assert_int_eq(kube_sched_namespace_remove(s, "default"), KUBE_ENOTFOUND);
	ck_assert_str_eq(kube_error_last()->message, "namespace \"default\" not found");
	kube_object *bad = obj("{\"kind\":\"Namespace\",\"metadata\":{}}");
	ck_assert_int_eq(kube_sched_namespace_add(s, bad), KUBE_EINVAL);
	kube_object_unref(bad);
	kube_sched_free(s);
}
END_TEST

/* Any number of extended resources: 20 on the node, the pod asks for
 * all 20 (one of them in an init container, the max rule), then one more
 * than there is of the last. */
START_TEST(test_sched_many_extended_resources)
{
	kube_sched *s;
	ck_assert_int_eq(kube_sched_new(&s), 0);
	char alloc[2048] = "{\"cpu\":\"4\",\"memory\":\"8Gi\",\"pods\":\"110\"", req[2048] = "";
	for (int i = 0; i < 20; i++) {
		size_t n = strlen(alloc), m = strlen(req);
		snprintf(alloc + n, sizeof(alloc) - n, ",\"example.com/r%02d\":\"2\"", i);
		if (i < 19)
			snprintf(req + m, sizeof(req) - m, "%s\"example.com/r%02d\":\"2\"", i ? "," : "", i);
	}
	strcat(alloc, "}");
	node_add(s, "n1", NULL, NULL, alloc, NULL);
	char spec[4096];
	snprintf(spec, sizeof(spec), "{\"initContainers\":[{\"name\":\"i\",\"image\":\"x\",\"resources\":"
	         "{\"requests\":{\"example.com/r19\":\"%s\"}}}],\"containers\":[{\"name\":\"c\",\"image\":\"x\","
	         "\"resources\":{\"requests\":{%s,\"example.com/r19\":\"1\"}}}]}", "2", req);
	expect_node(s, spec, "n1");
	int64_t a = 0, r = 0;
	ck_assert_int_eq(kube_sched_node_resource(s, "n1", "example.com/r19", &a, &r), 0);
	ck_assert_int_eq(a, 2);
	ck_assert_int_eq(r, 2); /* max(init 2, containers 1) */
	ck_assert_int_eq(kube_sched_node_resource(s, "n1", "example.com/r07", &a, &r), 0);
	ck_assert_int_eq(r, 2);
	ck_assert_int_eq(kube_sched_pod_remove(s, "default", "p"), 0);
	snprintf(spec, sizeof(spec), "{\"initContainers\":[{\"name\":\"i\",\"image\":\"x\",\"resources\":"
	         "{\"requests\":{\"example.com/r19\":\"%s\"}}}],\"containers\":[{\"name\":\"c\",\"image\":\"x\","
	         "\"resources\":{\"requests\":{%s,\"example.com/r19\":\"1\"}}}]}", "3", req);
	expect_msg(s, spec, "0/1 nodes are available: 1 Insufficient example.com/r19.");
	kube_sched_free(s);
}
END_TEST

static Suite *sched_suite(void)
{
	Suite *s = suite_create("sched");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_sched_snapshot_accounting);
	tcase_add_test(tc, test_sched_pod_requests);
	tcase_add_test(tc, test_sched_node_update_changes_decisions);
	tcase_add_test(tc, test_sched_filter_node_name);
	tcase_add_test(tc, test_sched_filter_unschedulable);
	tcase_add_test(tc, test_sched_filter_node_affinity);
	tcase_add_test(tc, test_sched_filter_taints);
	tcase_add_test(tc, test_sched_filter_fit);
	tcase_add_test(tc, test_sched_filter_ports);
	tcase_add_test(tc, test_sched_fit_error_message);
	tcase_add_test(tc, test_sched_filter_inter_pod_affinity);
	tcase_add_test(tc, test_sched_filter_topology_spread);
	tcase_add_test(tc, test_sched_score_resources);
	tcase_add_test(tc, test_sched_score_affinity_taints_images);
	tcase_add_test(tc, test_sched_score_topology_spread);
	tcase_add_test(tc, test_sched_score_inter_pod_affinity);
	tcase_add_test(tc, test_sched_div_floor_exact);
	tcase_add_test(tc, test_sched_remembered_answers_follow_the_pod);
	tcase_add_test(tc, test_sched_profiles_and_plugins);
	tcase_add_test(tc, test_sched_plugin_errors);
	tcase_add_test(tc, test_sched_many_extended_resources);
	tcase_add_test(tc, test_sched_namespace_selector);
	suite_add_tcase(s, tc);
	TCase *tq = tcase_create("queue");
	tcase_add_test(tq, test_sched_queue_priority_order);
	tcase_add_test(tq, test_sched_queue_backoff);
	tcase_add_test(tq, test_sched_store_bind_and_unschedulable);
	tcase_add_test(tq, test_sched_pod_versions_keep_view);
	tcase_add_test(tq, test_sched_view_of_same_spec);
	suite_add_tcase(s, tq);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(sched_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
