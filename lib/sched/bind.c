/*
 * bind.c - the scheduler's writes through the store: binding (upstream's
 * DefaultBinder, which posts a Binding) and the PodScheduled=False
 * condition of a pod no node fits.
 *
 * A bind is the store's binding subresource (kube_store_bind: spec.nodeName
 * and PodScheduled=True, edited into the stored pod), so a concurrent
 * change of other fields does not fail it; what fails it is what fails
 * upstream's binding: the pod is gone (KUBE_ENOTFOUND), made again under
 * its name (the uid precondition), being deleted or already assigned
 * (KUBE_ECONFLICT: "Operation cannot be fulfilled on pods/binding \"x\":
 * pod x is already assigned to node \"n\""); and the node being gone
 * from the store (KUBE_ECONFLICT: node "n" is gone: binding pod ns/x
 * refused).  The framework then unreserves and forgets the assumed pod,
 * and the caller puts it back in the queue.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "libkube/store.h"
#include "sched_private.h"

/* Sets the PodScheduled condition to json, replacing the one there. */
static int put_scheduled(kube_object *pod, const char *json)
{
	size_t n = 0, at;
	char path[64];
	kube_object_get_len(pod, "status.conditions", &n);
	for (at = 0; at < n; at++) {
		const char *type = NULL;
		snprintf(path, sizeof(path), "status.conditions[%zu].type", at);
		if (kube_object_get_string(pod, path, &type) == 0 && type && strcmp(type, "PodScheduled") == 0)
			break;
	}
	kube_error_clear();
	if (n == 0) {
		kube__buf arr = KUBE__BUF_INIT;
		kube__buf_printf(&arr, "[%s]", json);
		int rc = arr.failed ? kube__error_oom() : kube_object_set_json(pod, "status.conditions", arr.data);
		kube__buf_free(&arr);
		return rc;
	}
	snprintf(path, sizeof(path), "status.conditions[%zu]", at);
	return kube_object_set_json(pod, path, json);
}

static void now_stamp(char stamp[32])
{
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(stamp, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/*
 * kube_store_guaranteed_update, except that the changed copy goes to the
 * store with kube_store_update_take: a mutable object's tree is written
 * as it is, where kube_store_update would deep-copy it first (a bind is
 * one write per pod: the copy was a tenth of its cost).  The copy carries
 * the resourceVersion it was made from, so a concurrent write fails it
 * with KUBE_ECONFLICT and it starts again from the fresh pod.
 */
static int update_pod(kube_store *store, const char *ns, const char *name,
                      kube_store_mutate_cb mutate, void *userdata)
{
	int rc = KUBE_ECONFLICT;
	for (int attempt = 0; attempt < 64 && rc == KUBE_ECONFLICT; attempt++) {
		kube_object *cur = NULL, *copy = NULL;
		char rv[32];
		if ((rc = kube_store_get(&cur, store, "pods", ns, name)) != 0)
			return rc;
		snprintf(rv, sizeof(rv), "%s", kube_object_resource_version(cur));
		rc = kube_object_mutable(&copy, cur);
		kube_object_unref(cur);
		if (rc)
			return rc;
		/* the write is conditional on the version mutate started from */
		if ((rc = mutate(copy, userdata)) != 0 ||
		    (strcmp(rv, kube_object_resource_version(copy) ? kube_object_resource_version(copy)
		                                                   : "") != 0 &&
		     (rc = kube_object_set_string(copy, "metadata.resourceVersion", rv)) != 0)) {
			kube_object_unref(copy);
			return rc;
		}
		rc = kube_store_update_take(NULL, store, copy);
	}
	return rc;
}

static int store_bind(const kube_object *pod, const char *node, void *userdata)
{
	kube_store *store = userdata;
	kube_object *out = NULL;
	/* the snapshot may still hold a node the store has just lost (its
	 * DELETED event not delivered yet): then the pod goes back to the
	 * queue instead of onto a node that is gone */
	int rc = kube_store_get(&out, store, "nodes", NULL, node);
	kube_object_unref(out);
	out = NULL;
	if (rc == KUBE_ENOTFOUND)
		return kube__error_set(KUBE_ECONFLICT, NULL, "node \"%s\" is gone: binding pod %s/%s refused",
		                       node, kube_object_namespace(pod) ? kube_object_namespace(pod) : "",
		                       kube_object_name(pod));
	if (rc)
		return rc;
	/* the binding subresource, with the pod's uid as its precondition
	 * (a pod made again under the name is another pod) */
	kube_preconditions pre = KUBE_PRECONDITIONS_INIT;
	pre.uid = kube_object_uid(pod);
	return kube_store_bind(NULL, store, kube_object_namespace(pod), kube_object_name(pod), node,
	                       &pre);
}

int kube_sched_store_binder(kube_sched *s, const char *profile, kube_store *store)
{
	KUBE_CHECK_ARG(s != NULL && profile != NULL && store != NULL);
	kube_sched_plugin p = { KUBE_SCHED_PLUGIN_VERSION, sizeof(p), "DefaultBinder", NULL, NULL,
	                        NULL, NULL, NULL, NULL, store_bind };
	return kube_sched_plugin_register(s, profile, &p, 0, store, NULL);
}

typedef struct cond_ctx {
	const char *message;
} cond_ctx;

static int set_condition(kube_object *pod, void *userdata)
{
	const cond_ctx *c = userdata;
	char stamp[32];
	now_stamp(stamp);
	kube__buf b = KUBE__BUF_INIT;
	kube__buf_printf(&b, "{\"type\":\"PodScheduled\",\"status\":\"False\",\"lastProbeTime\":null,"
	                     "\"lastTransitionTime\":\"%s\",\"reason\":\"Unschedulable\",\"message\":", stamp);
	kube__go_json_string(&b, c->message, strlen(c->message));
	kube__buf_putc(&b, '}');
	if (b.failed) {
		kube__buf_free(&b);
		return kube__error_oom();
	}
	int rc = put_scheduled(pod, b.data);
	kube__buf_free(&b);
	return rc;
}

int kube_sched_store_set_unschedulable(kube_store *store, const kube_object *pod,
                                       const char *message)
{
	KUBE_CHECK_ARG(store != NULL && pod != NULL && message != NULL);
	cond_ctx c = { message };
	return update_pod(store, kube_object_namespace(pod), kube_object_name(pod), set_condition, &c);
}
