/*
 * expectations.c - upstream's ControllerExpectations with
 * UIDTrackingControllerExpectations' deletion tracking
 * (pkg/controller/controller_utils.go).
 *
 * Per controller key: how many creations and deletions it still expects to
 * see, when they were set, and which objects' deletions it waits for.  A
 * deletion only counts once and only for an object it asked to delete, so
 * a pod deleted by someone else, or a DELETED event seen twice (a watch
 * event, then a re-list), cannot make the controller act early.  Counts may
 * go below zero (an object observed that was not expected), which still
 * reads as fulfilled, as upstream.
 */
#include <string.h>

#include <pthread.h>

#include "reconcile_private.h"

typedef struct exp_rec {
	char *key;
	int64_t add, del;
	int64_t timestamp;
	kube__strmap uids;           /* deleted key -> its copy */
} exp_rec;

struct kube_expectations {
	pthread_mutex_t mu;
	kube__strmap recs;
	kube_clock_cb clock;
	void *clock_userdata;
};

int kube_expectations_new(kube_expectations **out, kube_clock_cb clock, void *clock_userdata)
{
	kube_expectations *e;

	KUBE_CHECK_ARG(out);
	*out = NULL;
	if (!(e = kube_calloc(1, sizeof(*e))))
		return kube__error_oom();
	pthread_mutex_init(&e->mu, NULL);
	e->clock = clock ? clock : kube__clock_monotonic;
	e->clock_userdata = clock ? clock_userdata : NULL;
	*out = e;
	return 0;
}

static void clear_uids(exp_rec *r)
{
	for (size_t i = 0; i < r->uids.cap; i++)
		if (r->uids.slots[i].key)
			kube_free(r->uids.slots[i].val);
	kube__strmap_fini(&r->uids);
}

static void free_rec(exp_rec *r)
{
	clear_uids(r);
	kube_free(r->key);
	kube_free(r);
}

void kube_expectations_free(kube_expectations *e)
{
	if (!e)
		return;
	for (size_t i = 0; i < e->recs.cap; i++)
		if (e->recs.slots[i].key)
			free_rec(e->recs.slots[i].val);
	kube__strmap_fini(&e->recs);
	pthread_mutex_destroy(&e->mu);
	kube_free(e);
}

/* SetExpectations: new counts and timestamp (the tracked deletions stay). */
static exp_rec *set_locked(kube_expectations *e, const char *key, int64_t add, int64_t del)
{
	exp_rec *r = kube__strmap_get(&e->recs, key);

	if (!r) {
		if (!(r = kube_calloc(1, sizeof(*r))))
			return NULL;
		if (!(r->key = kube_strdup(key)) || kube__strmap_put(&e->recs, r->key, r, NULL) != 0) {
			kube_free(r->key);
			kube_free(r);
			return NULL;
		}
	}
	r->add = add;
	r->del = del;
	r->timestamp = e->clock(e->clock_userdata);
	return r;
}

int kube_expectations_expect_creations(kube_expectations *e, const char *key, int64_t adds)
{
	exp_rec *r;

	KUBE_CHECK_ARG(e);
	KUBE_CHECK_ARG(key);
	pthread_mutex_lock(&e->mu);
	r = set_locked(e, key, adds, 0);
	pthread_mutex_unlock(&e->mu);
	return r ? 0 : kube__error_oom();
}

int kube_expectations_expect_deletions(kube_expectations *e, const char *key,
                                       const char *const *deleted_keys, size_t n)
{
	kube__strmap uids = KUBE__STRMAP_INIT;
	exp_rec *r;

	KUBE_CHECK_ARG(e);
	KUBE_CHECK_ARG(key);
	KUBE_CHECK_ARG(deleted_keys || n == 0);
	for (size_t i = 0; i < n; i++) {
		char *k = NULL;
		void *old = NULL;
		int rc = 0;
		if (!deleted_keys[i])
			rc = kube__error_set(KUBE_EINVAL, NULL,
			                     "kube_expectations_expect_deletions: NULL key");
		else if (!(k = kube_strdup(deleted_keys[i])) || kube__strmap_put(&uids, k, k, &old) != 0)
			rc = kube__error_oom();
		if (rc != 0) {
			exp_rec tmp = { NULL, 0, 0, 0, uids };
			kube_free(k);
			clear_uids(&tmp);
			return rc;
		}
		kube_free(old);   /* a key listed twice counts once */
	}
	pthread_mutex_lock(&e->mu);
	if (!(r = set_locked(e, key, 0, (int64_t)uids.count))) {
		pthread_mutex_unlock(&e->mu);
		exp_rec tmp = { NULL, 0, 0, 0, uids };
		clear_uids(&tmp);
		return kube__error_oom();
	}
	clear_uids(r);
	r->uids = uids;
	pthread_mutex_unlock(&e->mu);
	return 0;
}

static void adjust(kube_expectations *e, const char *key, int64_t adds, int64_t dels)
{
	exp_rec *r;

	if (!e || !key)
		return;
	pthread_mutex_lock(&e->mu);
	if ((r = kube__strmap_get(&e->recs, key)) != NULL) {
		r->add += adds;
		r->del += dels;
	}
	pthread_mutex_unlock(&e->mu);
}

void kube_expectations_raise(kube_expectations *e, const char *key, int64_t adds, int64_t dels)
{
	adjust(e, key, adds, dels);
}

void kube_expectations_lower(kube_expectations *e, const char *key, int64_t adds, int64_t dels)
{
	adjust(e, key, -adds, -dels);
}

void kube_expectations_creation_observed(kube_expectations *e, const char *key)
{
	adjust(e, key, -1, 0);
}

void kube_expectations_deletion_observed(kube_expectations *e, const char *key,
                                         const char *deleted_key)
{
	exp_rec *r;

	if (!e || !key || !deleted_key)
		return;
	pthread_mutex_lock(&e->mu);
	if ((r = kube__strmap_get(&e->recs, key)) != NULL) {
		char *k = kube__strmap_remove(&r->uids, deleted_key);
		if (k) {
			r->del--;
			kube_free(k);
		}
	}
	pthread_mutex_unlock(&e->mu);
}

int kube_expectations_satisfied(kube_expectations *e, const char *key)
{
	exp_rec *r;
	int ok = 1;

	if (!e || !key)
		return 1;
	pthread_mutex_lock(&e->mu);
	if ((r = kube__strmap_get(&e->recs, key)) != NULL) {
		int fulfilled = r->add <= 0 && r->del <= 0;
		int expired = e->clock(e->clock_userdata) - r->timestamp > KUBE_EXPECTATIONS_TIMEOUT_NS;
		ok = fulfilled || expired;
	}
	pthread_mutex_unlock(&e->mu);
	return ok;
}

int kube_expectations_get(kube_expectations *e, const char *key, int64_t *adds, int64_t *dels)
{
	exp_rec *r;
	int rc = 0;

	KUBE_CHECK_ARG(e);
	KUBE_CHECK_ARG(key);
	pthread_mutex_lock(&e->mu);
	if ((r = kube__strmap_get(&e->recs, key)) != NULL) {
		if (adds)
			*adds = r->add;
		if (dels)
			*dels = r->del;
	} else {
		rc = KUBE_ENOTFOUND;
	}
	pthread_mutex_unlock(&e->mu);
	return rc;
}

void kube_expectations_delete(kube_expectations *e, const char *key)
{
	exp_rec *r;

	if (!e || !key)
		return;
	pthread_mutex_lock(&e->mu);
	if ((r = kube__strmap_remove(&e->recs, key)) != NULL)
		free_rec(r);
	pthread_mutex_unlock(&e->mu);
}
