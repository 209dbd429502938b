/*
 * posmap.c - where each node of a decoded tree starts in the source text.
 *
 * The decoders record one (line, column) per json_object they create; the
 * object layer looks positions up when it reports an error about a field.
 * json-c nodes have no spare field to hold this, so the map is keyed by the
 * node's address: an open-addressing hash table with linear probing, never
 * shrinking, grown at 50% load.  Nodes are never removed (a decoded tree
 * does not lose nodes while the map lives; when a mutable copy is taken the
 * object layer drops the map), so there are no tombstones.
 *
 *   slots[]:  { node, line, column }   node == NULL marks a free slot
 *
 * JSON null is the NULL pointer in json-c, so nulls have no position of
 * their own: a lookup falls back to the nearest ancestor (object.c).
 */
#include <string.h>

#include "object_private.h"

typedef struct pos_slot {
	const json_object *node;
	int line;
	int column;
} pos_slot;

struct kube__posmap {
	pos_slot *slots;
	size_t cap;      /* a power of two, or 0 */
	size_t count;
};

/* Fibonacci hashing of the address; the low bits of a heap pointer are
 * mostly zero, so mix before masking. */
static size_t slot_of(const json_object *node, size_t cap)
{
	uint64_t h = (uint64_t)(uintptr_t)node;
	h ^= h >> 29;
	h *= UINT64_C(0x9E3779B97F4A7C15);
	h ^= h >> 32;
	return (size_t)h & (cap - 1);
}

int kube__posmap_new(kube__posmap **out)
{
	kube__posmap *pm = kube_calloc(1, sizeof(*pm));
	if (!pm)
		return kube__error_oom();
	*out = pm;
	return 0;
}

static int posmap_grow(kube__posmap *pm)
{
	size_t ncap = pm->cap ? pm->cap * 2 : 64;
	pos_slot *ns;

	if (ncap < pm->cap || ncap > SIZE_MAX / sizeof(pos_slot))
		return kube__error_oom();
	ns = kube_calloc(ncap, sizeof(pos_slot));
	if (!ns)
		return kube__error_oom();
	for (size_t i = 0; i < pm->cap; i++) {
		const pos_slot *s = &pm->slots[i];
		size_t j;
		if (!s->node)
			continue;
		j = slot_of(s->node, ncap);
		while (ns[j].node)
			j = (j + 1) & (ncap - 1);
		ns[j] = *s;
	}
	kube_free(pm->slots);
	pm->slots = ns;
	pm->cap = ncap;
	return 0;
}

int kube__posmap_add(kube__posmap *pm, const json_object *node, int line, int column)
{
	size_t j;
	int rc;

	if (!pm || !node)
		return 0;
	if ((pm->count + 1) * 2 > pm->cap && (rc = posmap_grow(pm)) != 0)
		return rc;
	j = slot_of(node, pm->cap);
	while (pm->slots[j].node && pm->slots[j].node != node)
		j = (j + 1) & (pm->cap - 1);
	if (!pm->slots[j].node)
		pm->count++;
	pm->slots[j].node = node;
	pm->slots[j].line = line;
	pm->slots[j].column = column;
	return 0;
}

int kube__posmap_lookup(const kube__posmap *pm, const json_object *node, int *line, int *column)
{
	size_t j;

	if (!pm || !node || pm->cap == 0)
		return KUBE_ENOTFOUND;
	j = slot_of(node, pm->cap);
	while (pm->slots[j].node) {
		if (pm->slots[j].node == node) {
			if (line)
				*line = pm->slots[j].line;
			if (column)
				*column = pm->slots[j].column;
			return 0;
		}
		j = (j + 1) & (pm->cap - 1);
	}
	return KUBE_ENOTFOUND;
}

void kube__posmap_free(kube__posmap *pm)
{
	if (!pm)
		return;
	kube_free(pm->slots);
	kube_free(pm);
}
