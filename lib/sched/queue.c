/*
 * queue.c - the scheduling queue: pending pods in three places, as
 * upstream's PriorityQueue.
 *
 *   active         a binary heap: higher spec.priority first, then the pod
 *                  that entered the queue earlier (PrioritySort)
 *   backoff        pods that failed and wait out their backoff:
 *                  1 s x 2^(attempts - 1), at most 10 s, from the last
 *                  attempt; pop() moves the expired ones to active first
 *   unschedulable  pods that failed; a cluster event (move_all: a node
 *                  added or changed, a pod deleted) sends them to backoff,
 *                  or straight to active when their backoff has passed
 *
 * Time is the caller's (milliseconds on any monotonic clock), so the queue
 * is plain data: no timers, no loop.  Every pod is known by
 * "namespace/name" and is in exactly one place.
 */
#include <stdio.h>
#include <string.h>

#include "object/object_private.h"
#include "sched_private.h"

#define INITIAL_BACKOFF_MS 1000
#define MAX_BACKOFF_MS 10000

enum { IN_ACTIVE = 1, IN_BACKOFF, IN_UNSCHED };

typedef struct qitem {
	kube_object *pod;       /* referenced */
	char *key;
	int64_t priority;
	int64_t added_ms;       /* entered the queue */
	int64_t last_attempt_ms;
	uint32_t attempts;
	int where;
	size_t heap_index;
} qitem;

struct kube_sched_queue {
	kube__map items;        /* key -> qitem */
	qitem **heap;           /* active */
	size_t nheap, cap_heap;
	qitem **parked;         /* backoff and unschedulable */
	size_t nparked, cap_parked;
};

static int before(const qitem *a, const qitem *b)
{
	if (a->priority != b->priority)
		return a->priority > b->priority;
	return a->added_ms < b->added_ms;
}

static void heap_swap(kube_sched_queue *q, size_t i, size_t j)
{
	qitem *t = q->heap[i];
	q->heap[i] = q->heap[j];
	q->heap[j] = t;
	q->heap[i]->heap_index = i;
	q->heap[j]->heap_index = j;
}

static void heap_up(kube_sched_queue *q, size_t i)
{
	while (i > 0 && before(q->heap[i], q->heap[(i - 1) / 2])) {
		heap_swap(q, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
}

static void heap_down(kube_sched_queue *q, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < q->nheap && before(q->heap[l], q->heap[m]))
			m = l;
		if (r < q->nheap && before(q->heap[r], q->heap[m]))
			m = r;
		if (m == i)
			return;
		heap_swap(q, i, m);
		i = m;
	}
}

static int heap_push(kube_sched_queue *q, qitem *it)
{
	if (q->nheap == q->cap_heap) {
		size_t nc = q->cap_heap ? q->cap_heap * 2 : 16;
		qitem **v = kube_realloc(q->heap, nc * sizeof(*v));
		if (!v)
			return kube__error_oom();
		q->heap = v;
		q->cap_heap = nc;
	}
	it->where = IN_ACTIVE;
	it->heap_index = q->nheap;
	q->heap[q->nheap++] = it;
	heap_up(q, it->heap_index);
	return 0;
}

static void heap_remove(kube_sched_queue *q, qitem *it)
{
	size_t i = it->heap_index;
	q->nheap--;
	if (i != q->nheap) {
		q->heap[i] = q->heap[q->nheap];
		q->heap[i]->heap_index = i;
		heap_down(q, i);
		heap_up(q, i);
	}
}

static int park(kube_sched_queue *q, qitem *it, int where)
{
	if (q->nparked == q->cap_parked) {
		size_t nc = q->cap_parked ? q->cap_parked * 2 : 16;
		qitem **v = kube_realloc(q->parked, nc * sizeof(*v));
		if (!v)
			return kube__error_oom();
		q->parked = v;
		q->cap_parked = nc;
	}
	it->where = where;
	it->heap_index = q->nparked;
	q->parked[q->nparked++] = it;
	return 0;
}

static void unpark(kube_sched_queue *q, qitem *it)
{
	size_t i = it->heap_index;
	q->parked[i] = q->parked[--q->nparked];
	q->parked[i]->heap_index = i;
}

static int64_t backoff_ms(const qitem *it)
{
	int64_t d = INITIAL_BACKOFF_MS;
	for (uint32_t i = 1; i < it->attempts && d < MAX_BACKOFF_MS; i++)
		d *= 2;
	return d > MAX_BACKOFF_MS ? MAX_BACKOFF_MS : d;
}

static void item_free(qitem *it)
{
	kube_object_unref(it->pod);
	kube_free(it->key);
	kube_free(it);
}

static int pod_key(char *buf, size_t len, const kube_object *pod)
{
	const char *ns = kube_object_namespace(pod), *name = kube_object_name(pod);
	if (!name || !*name)
		return kube__error_set(KUBE_EINVAL, "metadata.name", "metadata.name: Required value");
	snprintf(buf, len, "%s/%s", ns ? ns : "", name);
	return 0;
}

static int park_after_attempt(kube_sched_queue *q, kube_object *pod, uint32_t attempts,
                              int64_t now_ms, int where);

int kube_sched_queue_new(kube_sched_queue **out)
{
	KUBE_CHECK_ARG(out != NULL);
	*out = kube_calloc(1, sizeof(**out));
	return *out ? 0 : kube__error_oom();
}

void kube_sched_queue_free(kube_sched_queue *q)
{
	if (!q)
		return;
	for (size_t i = 0; i < q->nheap; i++)
		item_free(q->heap[i]);
	for (size_t i = 0; i < q->nparked; i++)
		item_free(q->parked[i]);
	kube_free(q->heap);
	kube_free(q->parked);
	kube__map_free(&q->items);
	kube_free(q);
}

int kube_sched_queue_add(kube_sched_queue *q, kube_object *pod, int64_t now_ms)
{
	KUBE_CHECK_ARG(q != NULL && pod != NULL);
	char key[512];
	int rc = pod_key(key, sizeof(key), pod);
	if (rc)
		return rc;
	qitem *it = kube__map_get(&q->items, key);
	if (it) {
		/* an update: the new version, same place and age */
		kube_object_unref(it->pod);
		it->pod = kube_object_ref(pod);
		int64_t pr = 0;
		kube__object_peek_int(pod, "spec.priority", &pr);
		it->priority = pr;
		if (it->where == IN_ACTIVE) {
			heap_down(q, it->heap_index);
			heap_up(q, it->heap_index);
		}
		return 0;
	}
	it = kube_calloc(1, sizeof(*it));
	if (!it || !(it->key = kube_strdup(key))) {
		kube_free(it);
		return kube__error_oom();
	}
	/* peeked: kube_object_get_int would build and keep the pod's tree */
	kube__object_peek_int(pod, "spec.priority", &it->priority);
	it->added_ms = now_ms;
	if ((rc = kube__map_put(&q->items, key, it)) != 0 || (rc = heap_push(q, it)) != 0) {
		kube__map_del(&q->items, key);
		kube_free(it->key);
		kube_free(it);
		return rc;
	}
	it->pod = kube_object_ref(pod);
	return 0;
}

/* Backoff pods whose time has come go to active. */
static int flush_backoff(kube_sched_queue *q, int64_t now_ms)
{
	for (size_t i = 0; i < q->nparked;) {
		qitem *it = q->parked[i];
		if (it->where == IN_BACKOFF && it->last_attempt_ms + backoff_ms(it) <= now_ms) {
			unpark(q, it);
			int rc = heap_push(q, it);
			if (rc) {
				park(q, it, IN_BACKOFF);
				return rc;
			}
			continue;
		}
		i++;
	}
	return 0;
}

int kube_sched_queue_pop(kube_sched_queue *q, int64_t now_ms, kube_object **out)
{
	if (out)
		*out = NULL;
	KUBE_CHECK_ARG(q != NULL && out != NULL);
	int rc = flush_backoff(q, now_ms);
	if (rc)
		return rc;
	if (!q->nheap)
		return kube__error_set(KUBE_ENOTFOUND, NULL, "no pod is ready to schedule");
	qitem *it = q->heap[0];
	heap_remove(q, it);
	kube__map_del(&q->items, it->key);
	*out = it->pod;
	it->pod = NULL;
	item_free(it);
	return 0;
}

int kube_sched_queue_unschedulable(kube_sched_queue *q, kube_object *pod, uint32_t attempts,
                                   int64_t now_ms)
{
	KUBE_CHECK_ARG(q != NULL && pod != NULL && attempts > 0);
	return park_after_attempt(q, pod, attempts, now_ms, IN_UNSCHED);
}

static int park_after_attempt(kube_sched_queue *q, kube_object *pod, uint32_t attempts,
                              int64_t now_ms, int where)
{
	int rc = kube_sched_queue_add(q, pod, now_ms);
	if (rc)
		return rc;
	char key[512];
	pod_key(key, sizeof(key), pod);
	qitem *it = kube__map_get(&q->items, key);
	if (it->where == IN_ACTIVE)
		heap_remove(q, it);
	else
		unpark(q, it);
	it->attempts = attempts;
	it->last_attempt_ms = now_ms;
	if ((rc = park(q, it, where)) != 0) {
		kube__map_del(&q->items, key);
		item_free(it);
	}
	return rc;
}

int kube_sched_queue_backoff(kube_sched_queue *q, kube_object *pod, uint32_t attempts,
                             int64_t now_ms)
{
	KUBE_CHECK_ARG(q != NULL && pod != NULL && attempts > 0);
	return park_after_attempt(q, pod, attempts, now_ms, IN_BACKOFF);
}

int kube_sched_queue_move_all(kube_sched_queue *q, int64_t now_ms)
{
	KUBE_CHECK_ARG(q != NULL);
	for (size_t i = 0; i < q->nparked; i++)
		if (q->parked[i]->where == IN_UNSCHED)
			q->parked[i]->where = IN_BACKOFF;
	return flush_backoff(q, now_ms);
}

int kube_sched_queue_remove(kube_sched_queue *q, const char *ns, const char *name)
{
	KUBE_CHECK_ARG(q != NULL && name != NULL);
	char key[512];
	snprintf(key, sizeof(key), "%s/%s", ns ? ns : "", name);
	qitem *it = kube__map_del(&q->items, key);
	if (!it)
		return kube__error_set(KUBE_ENOTFOUND, NULL, "pod \"%s\" is not queued", key);
	if (it->where == IN_ACTIVE)
		heap_remove(q, it);
	else
		unpark(q, it);
	item_free(it);
	return 0;
}

void kube_sched_queue_counts(const kube_sched_queue *q, size_t *active, size_t *backoff,
                             size_t *unschedulable)
{
	size_t b = 0, u = 0;
	for (size_t i = 0; q && i < q->nparked; i++) {
		if (q->parked[i]->where == IN_BACKOFF)
			b++;
		else
			u++;
	}
	if (active)
		*active = q ? q->nheap : 0;
	if (backoff)
		*backoff = b;
	if (unschedulable)
		*unschedulable = u;
}
