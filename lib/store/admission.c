/*
 * admission.c - hooks that may refuse a write before it is made, as
 * kube-apiserver's admission chain does between a request and etcd.
 *
 * The hooks are a short list, looked at for every write: kept in the order
 * they were added, each for one resource or for all.  A write that no hook
 * wants costs one walk of the list; only a wanted one pays for the view of
 * its new state (an object over the prepared tree, which stays the
 * store's).
 */
#include <stdio.h>
#include <string.h>

#include "object/object_private.h"
#include "store_private.h"

typedef struct kube__admission {
	struct kube__admission *next;
	char *resource;                  /* NULL: every resource */
	kube_admission_cb cb;
	void *userdata;
	void (*destroy)(void *);
} kube__admission;

int kube_store_add_admission(kube_store *store, const char *resource, kube_admission_cb cb,
                             void *userdata, void (*destroy)(void *))
{
	kube__admission *a, **tail;

	KUBE_CHECK_ARG(store);
	KUBE_CHECK_ARG(cb);
	if (resource && !kube__resource_info(resource))
		return kube__error_set(KUBE_EINVAL, NULL,
		                       "the server doesn't have a resource type \"%s\"", resource);
	if (!(a = kube_calloc(1, sizeof(*a))) || (resource && !(a->resource = kube_strdup(resource)))) {
		kube_free(a);
		return kube__error_oom();
	}
	a->cb = cb;
	a->userdata = userdata;
	a->destroy = destroy;
	for (tail = &store->admission; *tail; tail = &(*tail)->next)
		;
	*tail = a;
	return 0;
}

static void admission_free(kube__admission *a)
{
	if (a->destroy)
		a->destroy(a->userdata);
	kube_free(a->resource);
	kube_free(a);
}

int kube_store_remove_admission(kube_store *store, kube_admission_cb cb, void *userdata)
{
	KUBE_CHECK_ARG(store);
	KUBE_CHECK_ARG(cb);
	for (kube__admission **pp = &store->admission; *pp; pp = &(*pp)->next) {
		kube__admission *a = *pp;
		if (a->cb == cb && a->userdata == userdata) {
			*pp = a->next;
			admission_free(a);
			return 0;
		}
	}
	return kube__error_set(KUBE_ENOTFOUND, NULL, "no such admission hook");
}

void kube__admission_fini(kube_store *s)
{
	while (s->admission) {
		kube__admission *a = s->admission;
		s->admission = a->next;
		admission_free(a);
	}
}

static int wants(const kube__admission *a, const char *resource)
{
	return !a->resource || strcmp(a->resource, resource) == 0;
}

int kube__admission_wants(const kube_store *s, const char *resource)
{
	for (const kube__admission *a = s->admission; a; a = a->next)
		if (wants(a, resource))
			return 1;
	return 0;
}

int kube__admit(kube_store *s, kube_admission_operation op, const kube_kind_info *k,
                const char *ns, const char *name, const kube_object *obj, const kube_object *old)
{
	kube_admission_request req = { op, k->resource, k->namespaced ? ns : NULL, name, obj, old };

	for (const kube__admission *a = s->admission; a; a = a->next) {
		char why[1024] = "";
		int rc;

		if (!wants(a, k->resource))
			continue;
		if ((rc = a->cb(&req, why, sizeof(why), a->userdata)) == 0)
			continue;
		why[sizeof(why) - 1] = '\0';
		if (rc > 0 || rc < KUBE_EUNAUTHENTICATED)
			rc = KUBE_ERROR;   /* not one of ours: keep the contract */
		if (rc == KUBE_EPERM) {
			char qr[160];
			kube__qualified_resource(qr, sizeof(qr), k);
			return kube__error_set(rc, NULL, "%s \"%s\" is forbidden: %s", qr, name,
			                       *why ? why : "refused by an admission hook");
		}
		return kube__error_set(rc, NULL, "%s", *why ? why : "refused by an admission hook");
	}
	return 0;
}
