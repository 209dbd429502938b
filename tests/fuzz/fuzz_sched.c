/*
 * fuzz_sched.c - the scheduler's reading of nodes, pods and
 * PodDisruptionBudgets on arbitrary bytes.
 *
 * The input is decoded as YAML or JSON documents; each Node is added to a
 * scheduler that already holds three nodes and a few low-priority pods,
 * each PodDisruptionBudget given to preemption, each Pod with a nodeName
 * accounted on its node, and each other Pod nominated, scored on a node
 * and scheduled (a filter and score pass over every node, preemption when
 * nothing fits; the parallel option on every other input).  Besides
 * memory safety, one invariant: once every pod is forgotten, every node's
 * requested cpu, memory and pod count are back to zero, so placing,
 * unplacing and evicting pods kept the columns exact.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libkube/kube.h"

#define MAX_PODS 64

typedef struct seen {
	char ns[256], name[256];
} seen;

static seen pods[MAX_PODS];
static size_t npods;
static int unchecked;   /* a pod we could not remember: skip the invariant */

static void remember(const kube_object *o)
{
	const char *ns = kube_object_namespace(o), *name = kube_object_name(o);
	if (npods == MAX_PODS || (ns && strlen(ns) >= sizeof(pods[0].ns)) ||
	    (name && strlen(name) >= sizeof(pods[0].name))) {
		unchecked = 1;
		return;
	}
	snprintf(pods[npods].ns, sizeof(pods[npods].ns), "%s", ns ? ns : "");
	snprintf(pods[npods].name, sizeof(pods[npods].name), "%s", name ? name : "");
	npods++;
}

static int evict(const kube_object *victim, const kube_object *preemptor, const char *node, void *ud)
{
	(void)victim;
	(void)preemptor;
	(void)node;
	(void)ud;
	return 0;
}

static const char *const base[] = {
	"{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"n1\",\"labels\":"
	"{\"kubernetes.io/hostname\":\"n1\",\"zone\":\"a\"}},\"status\":{\"allocatable\":"
	"{\"cpu\":\"2\",\"memory\":\"4Gi\",\"pods\":\"10\",\"example.com/gpu\":\"1\"}}}",
	"{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"n2\",\"labels\":"
	"{\"kubernetes.io/hostname\":\"n2\",\"zone\":\"b\"}},\"spec\":{\"taints\":[{\"key\":\"k\","
	"\"value\":\"v\",\"effect\":\"NoSchedule\"}]},\"status\":{\"allocatable\":{\"cpu\":\"4\","
	"\"memory\":\"8Gi\",\"pods\":\"10\"},\"images\":[{\"names\":[\"nginx:latest\"],\"sizeBytes\":100000000}]}}",
	"{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"n3\",\"labels\":"
	"{\"kubernetes.io/hostname\":\"n3\",\"zone\":\"a\"}},\"status\":{\"allocatable\":"
	"{\"cpu\":\"1\",\"memory\":\"2Gi\",\"pods\":\"3\"}}}",
	"{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"namespace\":\"default\",\"name\":\"low-1\","
	"\"labels\":{\"app\":\"web\"}},\"spec\":{\"nodeName\":\"n1\",\"priority\":1,\"containers\":[{\"name\":\"c\","
	"\"image\":\"nginx\",\"ports\":[{\"containerPort\":80,\"hostPort\":80}],"
	"\"resources\":{\"requests\":{\"cpu\":\"1\",\"memory\":\"1Gi\"}}}]}}",
	"{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"namespace\":\"default\",\"name\":\"low-2\","
	"\"labels\":{\"app\":\"db\"}},\"spec\":{\"nodeName\":\"n3\",\"priority\":0,\"containers\":[{\"name\":\"c\","
	"\"image\":\"db\",\"resources\":{\"requests\":{\"cpu\":\"500m\"}}}],\"affinity\":{\"podAntiAffinity\":"
	"{\"requiredDuringSchedulingIgnoredDuringExecution\":[{\"labelSelector\":{\"matchLabels\":"
	"{\"app\":\"web\"}},\"topologyKey\":\"zone\"}]}}}}",
};

static kube_sched *setup(unsigned threads)
{
	kube_sched *s;
	kube_sched_options opts = KUBE_SCHED_OPTIONS_INIT;
	opts.threads = threads;
	if (kube_sched_new_2(&s, &opts) != 0)
		abort();
	kube_sched_preemptor ops = { KUBE_SCHED_PREEMPTOR_VERSION, sizeof(ops), evict, NULL };
	if (kube_sched_set_preemptor(s, &ops, NULL, NULL) != 0)
		abort();
	for (size_t i = 0; i < sizeof(base) / sizeof(base[0]); i++) {
		kube_object *o;
		if (kube_object_from_json(&o, base[i], strlen(base[i])) != 0)
			abort();
		int rc = i < 3 ? kube_sched_node_add(s, o) : kube_sched_pod_add(s, o);
		if (rc != 0)
			abort();
		if (i >= 3)
			remember(o);
		kube_object_unref(o);
	}
	return s;
}

static void one(kube_sched *s, kube_object *o)
{
	const char *kind = NULL, *node = NULL;
	kube_object_get_string(o, "kind", &kind);
	if (!kind)
		return;
	if (strcmp(kind, "Node") == 0) {
		kube_sched_node_add(s, o);
		return;
	}
	if (strcmp(kind, "PodDisruptionBudget") == 0) {
		kube_sched_pdb_add(s, o);
		return;
	}
	if (strcmp(kind, "Pod") != 0)
		return;
	kube_object_get_string(o, "spec.nodeName", &node);
	if (node && *node) {
		if (kube_sched_pod_add(s, o) == 0)
			remember(o);
		return;
	}
	int64_t total;
	kube_sched_score_node(s, o, "n1", &total);
	kube_sched_nominate(s, o, "n3");
	char *chosen = NULL, *msg = NULL;
	if (kube_sched_schedule(s, o, &chosen, &msg) == 0) {
		remember(o);
	} else {
		/* a second attempt lands where preemption nominated it */
		kube_free(msg);
		if (kube_sched_schedule(s, o, &chosen, &msg) == 0)
			remember(o);
	}
	kube_free(chosen);
	kube_free(msg);
	kube_sched_nominate(s, o, NULL);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned calls;
	kube_object_list *docs = NULL;
	if (kube_decode(&docs, (const char *)data, size, NULL) != 0)
		return 0;
	npods = 0;
	unchecked = 0;
	kube_sched *s = setup(++calls % 2 ? 1 : 3);
	size_t n = kube_object_list_count(docs);
	for (size_t i = 0; i < n && i < 16; i++)
		one(s, kube_object_list_get(docs, i));
	for (size_t i = 0; i < npods; i++)
		kube_sched_pod_remove(s, pods[i].ns, pods[i].name);
	static const char *const names[] = { "n1", "n2", "n3" };
	static const char *const cols[] = { "cpu", "memory", "pods" };
	for (size_t i = 0; i < 3; i++)
		for (size_t c = 0; c < 3; c++) {
			int64_t alloc, req;
			/* a document may have replaced the node: still known */
			if (!unchecked && kube_sched_node_resource(s, names[i], cols[c], &alloc, &req) == 0 &&
			    req != 0)
				abort();
		}
	kube_sched_free(s);
	kube_object_list_free(docs);
	return 0;
}
