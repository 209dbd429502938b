/*
 * strmap.c - the string-keyed hash map the reconciler keeps its per-key
 * records in (workqueue items, informer cache entries, index buckets,
 * expectations).
 *
 * Linear probing at load <= 1/2, and deletion by backward shift: the
 * entries after a removed one that probed past it move back, so a lookup
 * can stop at the first empty slot and no tombstones accumulate under the
 * add/remove churn a workqueue sees.
 */
#include <string.h>

#include "reconcile_private.h"

uint64_t kube__str_hash(const char *s)
{
	/* FNV-1a, then a finalizer so the low bits (the slot) mix well */
	uint64_t h = 1469598103934665603ull;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return h;
}

static kube__strmap_slot *find(const kube__strmap *m, const char *key, uint64_t h)
{
	size_t mask = m->cap - 1;

	for (size_t i = h & mask;; i = (i + 1) & mask) {
		kube__strmap_slot *s = &m->slots[i];
		if (!s->key || (s->hash == h && strcmp(s->key, key) == 0))
			return s;
	}
}

void *kube__strmap_get(const kube__strmap *m, const char *key)
{
	if (!m->cap)
		return NULL;
	kube__strmap_slot *s = find(m, key, kube__str_hash(key));
	return s->key ? s->val : NULL;
}

static int grow(kube__strmap *m)
{
	size_t cap = m->cap ? m->cap * 2 : 16;
	kube__strmap_slot *slots = kube_calloc(cap, sizeof(*slots)), *old = m->slots;
	size_t oldcap = m->cap;

	if (!slots)
		return kube__error_oom();
	m->slots = slots;
	m->cap = cap;
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].key)
			*find(m, old[i].key, old[i].hash) = old[i];
	kube_free(old);
	return 0;
}

int kube__strmap_put(kube__strmap *m, const char *key, void *val, void **old)
{
	uint64_t h = kube__str_hash(key);
	kube__strmap_slot *s;
	int rc;

	if (old)
		*old = NULL;
	if ((m->count + 1) * 2 > m->cap && (rc = grow(m)) != 0)
		return rc;
	s = find(m, key, h);
	if (s->key) {
		if (old)
			*old = s->val;
		s->key = key;
		s->val = val;
		return 0;
	}
	s->key = key;
	s->hash = h;
	s->val = val;
	m->count++;
	return 0;
}

void *kube__strmap_remove(kube__strmap *m, const char *key)
{
	size_t mask, i, j;
	void *val;

	if (!m->cap)
		return NULL;
	kube__strmap_slot *s = find(m, key, kube__str_hash(key));
	if (!s->key)
		return NULL;
	val = s->val;
	mask = m->cap - 1;
	i = (size_t)(s - m->slots);
	/* backward shift: move later entries whose home is not in (i, j] */
	for (j = (i + 1) & mask; m->slots[j].key; j = (j + 1) & mask) {
		size_t home = m->slots[j].hash & mask;
		int between = i <= j ? (home > i && home <= j) : (home > i || home <= j);
		if (!between) {
			m->slots[i] = m->slots[j];
			i = j;
		}
	}
	m->slots[i].key = NULL;
	m->slots[i].val = NULL;
	m->count--;
	return val;
}

void kube__strmap_fini(kube__strmap *m)
{
	kube_free(m->slots);
	m->slots = NULL;
	m->cap = m->count = 0;
}
