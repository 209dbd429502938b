/*
 * runner.c - the scheduler driven by a store, as kube-scheduler is driven
 * by its informers: three watches keep the snapshot, the queue, the
 * nominations and the PodDisruptionBudgets current, one event at a time,
 * and kube_sched_runner_run() schedules what is ready.
 *
 *   nodes  ADDED / MODIFIED  kube_sched_node_add (the node's pods stay),
 *                            then pods that named it before it was known
 *          DELETED           kube_sched_node_remove
 *   pods   assigned          kube_sched_pod_add (replaces an assumed one),
 *          (spec.nodeName)   out of the queue; a terminated pod
 *                            (Succeeded, Failed) is forgotten instead
 *          pending           into the queue when a profile serves its
 *                            schedulerName; its status.nominatedNodeName
 *                            feeds the nominator
 *          DELETED           forgotten everywhere
 *   pdbs   ADDED / MODIFIED / DELETED  kube_sched_pdb_add / _remove
 *   namespaces  the same          kube_sched_namespace_add / _remove
 *
 * Node events and pod deletions are the cluster events that release
 * unschedulable pods; they are remembered and applied (move_all) at the
 * next run, whose clock is the caller's.  Everything happens on the
 * store's loop thread; the store never delivers an event inside a call,
 * so the writes run() makes come back as events afterwards.
 */
#include <stdio.h>
#include <string.h>

#include "libkube/store.h"
#include "object/object_private.h"
#include "sched_private.h"

struct kube_sched_runner {
	kube_sched *s;
	kube_store *store;
	kube_sched_queue *q;
	kube_watch *w_nodes, *w_pods, *w_pdbs, *w_ns;
	kube__map attempts;         /* "ns/name" -> attempts so far (as a pointer) */
	kube_object **orphans;      /* assigned pods whose node is not known yet */
	size_t norphans, cap_orphans;
	int moved;                  /* a cluster event since the last run */
	int failed;                 /* a watch ended: the first error */
};

static void key_of(char *buf, size_t len, const kube_object *o)
{
	const char *ns = kube_object_namespace(o);
	snprintf(buf, len, "%s/%s", ns ? ns : "", kube_object_name(o) ? kube_object_name(o) : "");
}

static void orphan_drop(kube_sched_runner *r, const char *key)
{
	for (size_t i = 0; i < r->norphans; i++) {
		char k[512];
		key_of(k, sizeof(k), r->orphans[i]);
		if (strcmp(k, key) == 0) {
			kube_object_unref(r->orphans[i]);
			r->orphans[i] = r->orphans[--r->norphans];
			return;
		}
	}
}

static void orphan_keep(kube_sched_runner *r, kube_object *pod)
{
	char key[512];
	key_of(key, sizeof(key), pod);
	orphan_drop(r, key);
	if (r->norphans == r->cap_orphans) {
		size_t nc = r->cap_orphans ? r->cap_orphans * 2 : 8;
		kube_object **v = kube_realloc(r->orphans, nc * sizeof(*v));
		if (!v)
			return; /* the pod is seen again at its next event */
		r->orphans = v;
		r->cap_orphans = nc;
	}
	r->orphans[r->norphans++] = kube_object_ref(pod);
}

static void adopt_orphans(kube_sched_runner *r, const char *node)
{
	for (size_t i = 0; i < r->norphans;) {
		const char *nn = kube__object_node_name(r->orphans[i]);
		if (nn && strcmp(nn, node) == 0 && kube_sched_pod_add(r->s, r->orphans[i]) == 0) {
			kube_object_unref(r->orphans[i]);
			r->orphans[i] = r->orphans[--r->norphans];
			continue;
		}
		i++;
	}
	kube_error_clear();
}

static void watch_failed(kube_sched_runner *r, const kube_watch_event *ev)
{
	if (!r->failed)
		r->failed = ev->error ? ev->error : KUBE_ERROR;
	KUBE_LOG(KUBE_LOG_ERROR, "sched", "a scheduler watch ended: %s", kube_strerror(ev->error));
}

static void on_node(kube_watch *w, const kube_watch_event *ev, void *ud)
{
	(void)w;
	kube_sched_runner *r = ud;
	switch (ev->type) {
	case KUBE_WATCH_ADDED:
	case KUBE_WATCH_MODIFIED:
		if (kube_sched_node_add(r->s, ev->object) == 0) {
			adopt_orphans(r, kube_object_name(ev->object));
			r->moved = 1;
		} else {
			KUBE_LOG(KUBE_LOG_WARN, "sched", "node %s left out: %s",
			         kube_object_name(ev->object), kube_error_last()->message);
		}
		break;
	case KUBE_WATCH_DELETED:
		kube_sched_node_remove(r->s, kube_object_name(ev->object));
		r->moved = 1;
		break;
	case KUBE_WATCH_ERROR:
		r->w_nodes = NULL;
		watch_failed(r, ev);
		break;
	default:
		break;
	}
	kube_error_clear();
}

static int has_profile(const kube_sched *s, const char *name)
{
	for (size_t i = 0; i < s->nprofiles; i++)
		if (strcmp(kube__profile_name(s->profiles[i]), name) == 0)
			return 1;
	return 0;
}

static void pod_gone(kube_sched_runner *r, const kube_object *pod)
{
	char key[512];
	const char *ns = kube_object_namespace(pod), *name = kube_object_name(pod);
	key_of(key, sizeof(key), pod);
	kube_sched_pod_remove(r->s, ns, name);
	kube_sched_queue_remove(r->q, ns, name);
	kube__nominee_forget(r->s, key);
	kube__map_del(&r->attempts, key);
	orphan_drop(r, key);
}

/* Could status.phase be Succeeded or Failed?  A stored pod's text is the
 * encoder's, which writes those words as they are: a text holding neither
 * quoted cannot (memmem costs a tenth of walking the text to the field). */
static int may_have_ended(const kube_object *pod)
{
	size_t n;
	const char *t = kube__object_text(pod, &n);
	return !t || memmem(t, n, "\"Succeeded\"", 11) || memmem(t, n, "\"Failed\"", 8);
}

static void on_pod(kube_watch *w, const kube_watch_event *ev, void *ud)
{
	(void)w;
	kube_sched_runner *r = ud;
	kube_object *pod = ev->object;
	const char *node = NULL, *phase = NULL, *sched = NULL, *nom = NULL;
	kube__buf scratch = KUBE__BUF_INIT;
	char key[512];
	switch (ev->type) {
	case KUBE_WATCH_ADDED:
	case KUBE_WATCH_MODIFIED:
		/* peeked, not kube_object_get_string: that would build and keep
		 * the tree of every pod version the store holds */
		node = kube__object_node_name(pod);
		if (may_have_ended(pod) &&
		    kube__object_peek_string(pod, "status.phase", &scratch, &phase) &&
		    (strcmp(phase, "Succeeded") == 0 || strcmp(phase, "Failed") == 0)) {
			/* a terminated pod holds nothing on its node */
			pod_gone(r, pod);
			r->moved = 1;
			break;
		}
		if (node && *node) {
			key_of(key, sizeof(key), pod);
			kube_sched_queue_remove(r->q, kube_object_namespace(pod), kube_object_name(pod));
			kube__map_del(&r->attempts, key);
			int rc = kube_sched_pod_add(r->s, pod);
			if (rc == KUBE_ENOTFOUND)
				orphan_keep(r, pod);
			else if (rc != 0)
				KUBE_LOG(KUBE_LOG_WARN, "sched", "pod %s left out: %s", key,
				         kube_error_last()->message);
			break;
		}
		if (kube_object_deletion_timestamp(pod))
			break;
		if (!kube__object_peek_string(pod, "spec.schedulerName", &scratch, &sched) || !*sched)
			sched = KUBE_SCHED_DEFAULT_PROFILE;
		if (!has_profile(r->s, sched))
			break;
		kube__object_peek_string(pod, "status.nominatedNodeName", &scratch, &nom);
		kube_sched_nominate(r->s, pod, nom);
		kube_sched_queue_add(r->q, pod, 0);
		break;
	case KUBE_WATCH_DELETED:
		pod_gone(r, pod);
		r->moved = 1;
		break;
	case KUBE_WATCH_ERROR:
		r->w_pods = NULL;
		watch_failed(r, ev);
		break;
	default:
		break;
	}
	kube__buf_free(&scratch);
	kube_error_clear();
}

static void on_pdb(kube_watch *w, const kube_watch_event *ev, void *ud)
{
	(void)w;
	kube_sched_runner *r = ud;
	switch (ev->type) {
	case KUBE_WATCH_ADDED:
	case KUBE_WATCH_MODIFIED:
		kube_sched_pdb_add(r->s, ev->object);
		break;
	case KUBE_WATCH_DELETED:
		kube_sched_pdb_remove(r->s, kube_object_namespace(ev->object),
		                      kube_object_name(ev->object));
		break;
	case KUBE_WATCH_ERROR:
		r->w_pdbs = NULL;
		watch_failed(r, ev);
		break;
	default:
		break;
	}
	kube_error_clear();
}

static void on_namespace(kube_watch *w, const kube_watch_event *ev, void *ud)
{
	(void)w;
	kube_sched_runner *r = ud;
	switch (ev->type) {
	case KUBE_WATCH_ADDED:
	case KUBE_WATCH_MODIFIED:
		kube_sched_namespace_add(r->s, ev->object);
		break;
	case KUBE_WATCH_DELETED:
		kube_sched_namespace_remove(r->s, kube_object_name(ev->object));
		break;
	case KUBE_WATCH_ERROR:
		r->w_ns = NULL;
		watch_failed(r, ev);
		break;
	default:
		break;
	}
	kube_error_clear();
}

int kube_sched_runner_new(kube_sched_runner **out, kube_sched *s, kube_store *store)
{
	KUBE_CHECK_ARG(out != NULL && s != NULL && store != NULL);
	*out = NULL;
	kube_sched_runner *r = kube_calloc(1, sizeof(*r));
	if (!r)
		return kube__error_oom();
	r->s = s;
	r->store = store;
	int rc = kube_sched_queue_new(&r->q);
	for (size_t i = 0; rc == 0 && i < s->nprofiles; i++) {
		rc = kube_sched_store_binder(s, kube__profile_name(s->profiles[i]), store);
		if (rc == KUBE_EEXISTS)
			rc = 0; /* the embedder's binder stays */
	}
	if (rc == 0 && !s->has_preemptor)
		rc = kube_sched_store_preemptor(s, store);
	/* nodes first: with revision 0 each watch starts with the objects
	 * that exist, and pods that name an unknown node wait as orphans */
	kube_watch_options wo = KUBE_WATCH_OPTIONS_INIT;
	if (rc == 0)
		rc = kube_store_watch(&r->w_nodes, store, "nodes", &wo, on_node, r, NULL);
	if (rc == 0)
		rc = kube_store_watch(&r->w_pdbs, store, "poddisruptionbudgets", &wo, on_pdb, r, NULL);
	if (rc == 0)
		rc = kube_store_watch(&r->w_ns, store, "namespaces", &wo, on_namespace, r, NULL);
	if (rc == 0)
		rc = kube_store_watch(&r->w_pods, store, "pods", &wo, on_pod, r, NULL);
	if (rc != 0) {
		kube_sched_runner_free(r);
		return rc;
	}
	kube_error_clear();
	*out = r;
	return 0;
}

void kube_sched_runner_free(kube_sched_runner *r)
{
	if (!r)
		return;
	kube_watch_cancel(r->w_nodes);
	kube_watch_cancel(r->w_pods);
	kube_watch_cancel(r->w_pdbs);
	kube_watch_cancel(r->w_ns);
	kube_sched_queue_free(r->q);
	kube__map_free(&r->attempts);
	for (size_t i = 0; i < r->norphans; i++)
		kube_object_unref(r->orphans[i]);
	kube_free(r->orphans);
	kube_free(r);
}

kube_sched_queue *kube_sched_runner_queue(kube_sched_runner *r)
{
	return r ? r->q : NULL;
}

static uint32_t next_attempt(kube_sched_runner *r, const char *key)
{
	uintptr_t n = (uintptr_t)kube__map_get(&r->attempts, key) + 1;
	if (kube__map_put(&r->attempts, key, (void *)n) != 0)
		kube_error_clear();
	return (uint32_t)n;
}

int kube_sched_runner_run(kube_sched_runner *r, int64_t now_ms, size_t *bound, size_t *failed)
{
	if (bound)
		*bound = 0;
	if (failed)
		*failed = 0;
	KUBE_CHECK_ARG(r != NULL);
	if (r->failed)
		return kube__error_set(r->failed, NULL, "a scheduler watch ended: %s",
		                       kube_strerror(r->failed));
	int rc = 0;
	if (r->moved) {
		if ((rc = kube_sched_queue_move_all(r->q, now_ms)) != 0)
			return rc;
		r->moved = 0;
	}
	kube_object *pod;
	while (kube_sched_queue_pop(r->q, now_ms, &pod) == 0) {
		char key[512], *node = NULL, *msg = NULL;
		key_of(key, sizeof(key), pod);
		int src = kube_sched_schedule(r->s, pod, &node, &msg);
		if (src == 0) {
			kube__map_del(&r->attempts, key);
			if (bound)
				(*bound)++;
		} else if (src == KUBE_EBUSY) {
			/* as handleSchedulingFailure: the condition, then the pod
			 * waits for a cluster event */
			int wrc = kube_sched_store_set_unschedulable(r->store, pod, msg);
			if (wrc == KUBE_ENOTFOUND) {
				kube__map_del(&r->attempts, key);
			} else {
				uint32_t n = next_attempt(r, key);
				rc = kube_sched_queue_unschedulable(r->q, pod, n, now_ms);
			}
			if (failed)
				(*failed)++;
		} else if (src == KUBE_ENOTFOUND) {
			kube__map_del(&r->attempts, key); /* the pod is gone */
		} else if (src == KUBE_ENOMEM) {
			rc = src;
		} else {
			/* a bind conflict, a store or plugin error: back off */
			KUBE_LOG(KUBE_LOG_WARN, "sched", "scheduling %s failed: %s", key,
			         kube_error_last()->message);
			rc = kube_sched_queue_backoff(r->q, pod, next_attempt(r, key), now_ms);
			if (failed)
				(*failed)++;
		}
		kube_free(node);
		kube_free(msg);
		kube_object_unref(pod);
		if (rc)
			break;
	}
	if (rc == 0)
		kube_error_clear();
	return rc;
}
