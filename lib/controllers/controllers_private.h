/*
 * controllers_private.h - helpers shared by the built-in controllers
 * (replicaset.c, deployment.c): upstream's pod utilities (readiness,
 * availability, activity), timestamps, and selectors from label maps.
 */
#ifndef LIBKUBE_CONTROLLERS_PRIVATE_H
#define LIBKUBE_CONTROLLERS_PRIVATE_H

#include "base/base.h"
#include "libkube/controllers.h"
#include "reconcile/reconcile_private.h"

#define KUBE__NS_PER_SEC ((int64_t)1000000000)

/* RFC 3339 ("2026-11-28T10:20:18Z", fractions and offsets allowed) to
 * nanoseconds since the epoch; 0 for NULL or unparsable text (Go's zero
 * time, which every comparison here treats as "empty"). */
KUBE_INTERNAL int64_t kube__rfc3339_ns(const char *s);
/* ns since the epoch as "2026-11-28T10:20:18Z" (seconds, as metav1.Time). */
KUBE_INTERNAL void kube__format_rfc3339(int64_t ns, char out[32]);

/* podutil.IsPodReady; *since (optional) gets the Ready condition's
 * lastTransitionTime (0 when absent). */
KUBE_INTERNAL int kube__pod_ready(const kube_object *pod, int64_t *since);
/* podutil.IsPodAvailable. */
KUBE_INTERNAL int kube__pod_available(const kube_object *pod, int64_t min_ready_seconds,
                                      int64_t now_ns);
/* controller.IsPodActive: not Succeeded, not Failed, not being deleted. */
KUBE_INTERNAL int kube__pod_active(const kube_object *pod);
/* status.phase, "" when absent. */
KUBE_INTERNAL const char *kube__pod_phase(const kube_object *pod);

/* A selector of k=v requirements from a map of strings at path (e.g. a
 * ReplicationController's spec.selector, a template's labels).  A missing
 * map gives the empty selector; *found (optional) says whether it existed. */
KUBE_INTERNAL int kube__selector_from_map(kube_selector **out, const kube_object *o,
                                          const char *path, int *found);

/*
 * slowStartBatch: calls fn `count` times in batches of initial, 2*initial,
 * 4*initial, ... (capped by what remains), and stops after the first batch
 * in which a call failed (the whole batch still runs, as upstream runs it
 * in parallel).  Returns how many calls succeeded; *err gets the first
 * failure (0 when none) and *attempted how many calls were made.
 */
KUBE_INTERNAL int64_t kube__slow_start_batch(int64_t count, int64_t initial,
                                             int (*fn)(void *ud), void *ud, int *err,
                                             int64_t *attempted);

/* int64 at path, or def when absent. */
KUBE_INTERNAL int64_t kube__get_int_or(const kube_object *o, const char *path, int64_t def);

#endif /* LIBKUBE_CONTROLLERS_PRIVATE_H */
