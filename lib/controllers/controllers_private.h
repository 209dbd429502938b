/*
 * controllers_private.h - helpers shared by the built-in controllers
 * (replicaset.c, deployment.c, daemonset.c, statefulset.c): upstream's pod
 * utilities (readiness, availability, activity), timestamps, selectors
 * from label maps, and ControllerRefManager.ClaimPods.
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
/* status.phase, "" when absent (or not a string).  These four read a
 * stored (compact) pod without building its tree.  The phase returned is
 * static for the five known phases, else borrowed from the pod. */
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

/* The object whose JSON the controller wrote into b, which this frees:
 * every append's out-of-memory is reported here, once (the buffer's
 * failure is sticky).  0, KUBE_ENOMEM, or the decoder's error. */
KUBE_INTERNAL int kube__object_from_buf(kube_object **out, kube__buf *b);

/* int64 at path, or def when absent. */
KUBE_INTERNAL int64_t kube__get_int_or(const kube_object *o, const char *path, int64_t def);

/* ---- the options every workload controller's _new reads ---- */

typedef struct kube__workload_setup {
	const kube_workload_controller_options *opts;   /* the caller's, or the defaults */
	kube_clock_cb clock;                            /* opts->clock, or the real time */
	void *clock_userdata;
	kube_workqueue_options queue;                   /* opts->queue, on opts->clock */
	kube_controller_options runner;                 /* .queue is &queue: never copy */
} kube__workload_setup;

/*
 * Checks opts (NULL: the defaults) as every workload controller's _new
 * does, and fills *out with what its runner is made from.  fn names the
 * caller in the messages; uses_burst also requires burst_replicas >= 1.
 * 0, or KUBE_EINVAL for an unknown version or a zero that is not allowed.
 */
KUBE_INTERNAL int kube__workload_setup_init(kube__workload_setup *out,
                                            const kube_workload_controller_options *opts,
                                            const char *fn, const char *runner_name,
                                            int uses_burst);

/* ---- pod events ---- */

/* resolveControllerRef: the owner (borrowed from the cache of `owners`) in
 * namespace_ that ref names, when ref is of `kind` and has the owner's
 * uid; NULL for anything else (another kind, a deleted and remade owner). */
KUBE_INTERNAL kube_object *kube__resolve_controller_ref(const kube_informer *owners,
                                                        const char *namespace_,
                                                        const kube_owner_ref *ref,
                                                        const char *kind);

/* An owner's selector; *out belongs to the caller. */
typedef int (*kube__selector_of_cb)(kube_selector **out, const kube_object *owner,
                                    void *userdata);

/* An orphan pod appeared or changed: enqueues on runner every owner of the
 * pod's namespace in `owners` whose selector, not empty, selects it (they
 * may adopt it).  selector_of NULL reads spec.selector; an owner whose
 * selector cannot be read is skipped. */
KUBE_INTERNAL void kube__enqueue_selecting(kube_controller *runner, const kube_informer *owners,
                                           const kube_object *pod,
                                           kube__selector_of_cb selector_of, void *userdata);

/* ---- claiming (ControllerRefManager.ClaimPods) ---- */

/* The controllers claim alike but for these; each is what that controller
 * did before the claim was shared, kept so that none changes behaviour. */
/* An empty selector matches no pod (DaemonSet, StatefulSet), rather than
 * every pod (ReplicaSet / ReplicationController). */
#define KUBE__CLAIM_EMPTY_SELECTS_NONE 0x1u
/* Adopt or release a pod only if the store's pod still has the uid seen in
 * the list, so a pod made again under the same name is left for the next
 * sync (ReplicaSet / ReplicationController). */
#define KUBE__CLAIM_SAME_UID 0x2u

/* Who claims, and the controllerRef it writes on the pods it adopts. */
typedef struct kube__claimer {
	kube_store *store;
	const char *resource;               /* the owner's, re-read before adopting */
	const char *api_version, *kind;     /* the owner's, for the controllerRef */
	unsigned flags;                     /* KUBE__CLAIM_* */
} kube__claimer;

/*
 * ClaimPods: of `pods`, appends to out references to those owner keeps:
 * its own that match sel, and orphans that match (adopted, as written,
 * after the owner has been re-read from the store and found the same and
 * not being deleted); its own that stopped matching are released.  An
 * owner being deleted adopts and releases nothing.  Returns 0, the
 * re-read's error (nothing more is claimed), or else the first adoption or
 * release error that is not KUBE_ENOTFOUND (every pod is still looked at).
 */
KUBE_INTERNAL int kube__claim_pods(kube_object_list *out, const kube__claimer *cl,
                                   const kube_object *owner, const kube_selector *sel,
                                   const kube_object_list *pods);

/*
 * The DaemonSet and StatefulSet claim: *out (new, the caller frees it even
 * on error) gets the pods of the owner's namespace in `pods` claimed with
 * the owner's spec.selector.  Errors of adoption and release are not
 * returned: the next sync tries again, and this one works with what was
 * claimed.  Returns 0 or the error of making the list or the selector or
 * of listing.
 */
KUBE_INTERNAL int kube__claim_namespace_pods(kube_object_list **out, const kube__claimer *cl,
                                             const kube_object *owner,
                                             const kube_informer *pods);

#endif /* LIBKUBE_CONTROLLERS_PRIVATE_H */
