/*
 * list.c - kube_object_list: a growable array of object references.
 *
 * The list owns one reference per element; appending freezes the object,
 * since from then on it is shared between the list and the caller.
 */
#include "object_private.h"

struct kube_object_list {
	kube_object **items;
	size_t count, cap;
};

int kube_object_list_new(kube_object_list **out)
{
	KUBE_CHECK_ARG(out);
	*out = kube_calloc(1, sizeof(**out));
	return *out ? 0 : kube__error_oom();
}

int kube_object_list_append(kube_object_list *l, kube_object *o)
{
	KUBE_CHECK_ARG(l);
	KUBE_CHECK_ARG(o);
	if (l->count == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		size_t bytes;
		kube_object **p;
		if (kube__size_mul(cap, sizeof(*p), &bytes))
			return kube__error_oom();
		p = kube_realloc(l->items, bytes);
		if (!p)
			return kube__error_oom();
		l->items = p;
		l->cap = cap;
	}
	l->items[l->count++] = kube_object_ref(o);
	return 0;
}

size_t kube_object_list_count(const kube_object_list *l)
{
	return l ? l->count : 0;
}

kube_object *kube_object_list_get(const kube_object_list *l, size_t i)
{
	return l && i < l->count ? l->items[i] : NULL;
}

void kube_object_list_free(kube_object_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->count; i++)
		kube_object_unref(l->items[i]);
	kube_free(l->items);
	kube_free(l);
}
