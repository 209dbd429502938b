/*
 * reconcile_private.h - internals shared by the reconciler machinery
 * (workqueue.c, informer.c, controller.c, expectations.c, strmap.c) and the
 * built-in controllers (lib/controllers).
 */
#ifndef LIBKUBE_RECONCILE_PRIVATE_H
#define LIBKUBE_RECONCILE_PRIVATE_H

#include "base/base.h"
#include "libkube/controller.h"
#include "libkube/informer.h"
#include "libkube/workqueue.h"

/* ---- string-keyed hash map (strmap.c) ----
 *
 * Open addressing with linear probing and backward-shift deletion (no
 * tombstones).  Keys are borrowed: each must live as long as its entry,
 * which is easy because the values here own their keys.
 */
typedef struct kube__strmap_slot {
	const char *key;     /* NULL = empty */
	uint64_t hash;
	void *val;
} kube__strmap_slot;

typedef struct kube__strmap {
	kube__strmap_slot *slots;
	size_t cap;          /* 0 or a power of two */
	size_t count;
} kube__strmap;

#define KUBE__STRMAP_INIT { NULL, 0, 0 }

KUBE_INTERNAL uint64_t kube__str_hash(const char *s);
KUBE_INTERNAL void *kube__strmap_get(const kube__strmap *m, const char *key);
/* Inserts or replaces; *old (optional) receives a replaced value.  0 or ENOMEM. */
KUBE_INTERNAL int kube__strmap_put(kube__strmap *m, const char *key, void *val, void **old);
/* Removes key and returns its value (NULL when absent). */
KUBE_INTERNAL void *kube__strmap_remove(kube__strmap *m, const char *key);
KUBE_INTERNAL void kube__strmap_fini(kube__strmap *m);

/* ---- clocks (workqueue.c) ---- */

/* CLOCK_MONOTONIC and CLOCK_REALTIME in nanoseconds, as kube_clock_cb. */
KUBE_INTERNAL int64_t kube__clock_monotonic(void *userdata);
KUBE_INTERNAL int64_t kube__clock_realtime(void *userdata);

/* ---- informer.c ---- */

/* The store the informer reads (for controllers that write back). */
KUBE_INTERNAL kube_store *kube__informer_store(const kube_informer *inf);
KUBE_INTERNAL kube_store *kube__informer_factory_store(const kube_informer_factory *f);
/* Ends the informer's watch as the store ends one (code KUBE_EBUSY for a
 * watcher that fell behind, KUBE_EGONE): the informer lists again.  With
 * code KUBE_ECANCELED the watch just stops (tests use it to miss events,
 * then end it with KUBE_EBUSY). */
KUBE_INTERNAL void kube__informer_watch_ended(kube_informer *inf, int code);
/* The loop of the informer's store. */
KUBE_INTERNAL kube_loop *kube__informer_loop(const kube_informer *inf);

#endif /* LIBKUBE_RECONCILE_PRIVATE_H */
