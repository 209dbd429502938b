/*
 * lifecycle.h - how objects go: deletion with a propagation policy, the
 * garbage collector (ownerReferences) and namespace deletion, with
 * Kubernetes' semantics (kube-apiserver's delete, kube-controller-manager's
 * garbagecollector and namespace controllers).
 *
 * Deleting with a policy (kube_delete), as kube-apiserver's DELETE with
 * propagationPolicy:
 *   Background  the object goes at once (unless it has other finalizers);
 *               the garbage collector then deletes its dependents, each
 *               once none of its owners is left.
 *   Foreground  the object gets the finalizer "foregroundDeletion" and a
 *               deletionTimestamp; the collector deletes its dependents
 *               (in the foreground too when they have dependents of their
 *               own), and removes the finalizer once no dependent whose
 *               ownerReference has blockOwnerDeletion: true is left.
 *   Orphan      the object gets the finalizer "orphan" and a
 *               deletionTimestamp; the collector removes the
 *               ownerReferences to it from its dependents, then the
 *               finalizer.
 * The store knows only metadata.finalizers (store.h), so a policy is
 * applied as two writes: the finalizers, then the delete.
 *
 * Namespaces: kube_delete of a Namespace makes it Terminating as
 * kube-apiserver does: status.phase Terminating, spec.finalizers holding
 * "kubernetes", a deletionTimestamp.  Because the store only holds back
 * objects with metadata.finalizers, the same name "kubernetes" is put
 * there too while spec.finalizers is not empty.  The namespace controller
 * deletes everything of every namespaced kind in the namespace
 * (Background), reports progress in upstream's five status conditions
 * (NamespaceDeletionDiscoveryFailure, NamespaceDeletionGroupVersionParsing-
 * Failure, NamespaceDeletionContentFailure, NamespaceContentRemaining,
 * NamespaceFinalizersRemaining, with upstream's reasons and messages), and
 * once nothing is left removes "kubernetes" from spec.finalizers (and, when
 * that leaves none, from metadata.finalizers: the namespace goes).
 *
 * Threading: everything on the store's loop thread.  Errors through
 * kube_error_last().
 */
#ifndef LIBKUBE_LIFECYCLE_H
#define LIBKUBE_LIFECYCLE_H

#include "common.h"
#include "controller.h"
#include "informer.h"
#include "store.h"

KUBE_BEGIN_DECLS

/* upstream's metav1.FinalizerDeleteDependents / FinalizerOrphanDependents
 * and the namespace finalizer token (v1.FinalizerKubernetes) */
#define KUBE_FINALIZER_FOREGROUND "foregroundDeletion"
#define KUBE_FINALIZER_ORPHAN "orphan"
#define KUBE_FINALIZER_NAMESPACE "kubernetes"

typedef enum kube_propagation {
	KUBE_PROPAGATION_BACKGROUND = 0,
	KUBE_PROPAGATION_FOREGROUND = 1,
	KUBE_PROPAGATION_ORPHAN = 2
} kube_propagation;

/*
 * Deletes resource/namespace_/name with a propagation policy, as above
 * (Background also removes the "orphan" and "foregroundDeletion"
 * finalizers the object may carry, as upstream's does; an object already
 * being deleted is left as it is).  opts (may be NULL) are the store's
 * preconditions.  *out (optional) receives the object's last state.
 * Returns 0, KUBE_EINVAL (bad arguments or policy), KUBE_ENOTFOUND,
 * KUBE_ECONFLICT (a precondition failed), KUBE_ENOMEM, a backend error.
 */
KUBE_EXTERN int kube_delete(kube_object **out, kube_store *store, const char *resource,
                            const char *namespace_, const char *name, kube_propagation policy,
                            const kube_delete_options *opts);

/* ---- the garbage collector ---- */

typedef struct kube_gc kube_gc;

typedef struct kube_gc_options {
	unsigned int version;            /* KUBE_GC_OPTIONS_VERSION */
	unsigned int workers;            /* keys in flight (20, as kube-controller-manager) */
	/* The resources whose objects may be owners or dependents, NULL-
	 * terminated; NULL = pods, replicasets, deployments, statefulsets,
	 * daemonsets, controllerrevisions, replicationcontrollers, jobs,
	 * cronjobs, services, endpoints, endpointslices, configmaps, secrets,
	 * persistentvolumeclaims, serviceaccounts, leases, nodes.  Copied. */
	const char *const *resources;
	const kube_workqueue_options *queue;   /* NULL = client-go's default */
} kube_gc_options;

#define KUBE_GC_OPTIONS_VERSION 1
#define KUBE_GC_OPTIONS_INIT { KUBE_GC_OPTIONS_VERSION, 20, NULL, NULL }

/* Fills opts with the defaults of `version` (for bindings).  0 or KUBE_EINVAL. */
KUBE_EXTERN int kube_gc_options_init(kube_gc_options *opts, unsigned int version);

/*
 * A garbage collector over the resources in opts, reading through f's
 * informers (which it adds handlers to) and checking owners and writing
 * through store, started.  Owners are looked up in the store, never only
 * in a cache, before a dependent is deleted (upstream's live lookup).
 * Returns 0, KUBE_EINVAL (an unknown resource), KUBE_ENOMEM.
 */
KUBE_EXTERN int kube_gc_new(kube_gc **out, kube_informer_factory *f, kube_store *store,
                            const kube_gc_options *opts);
KUBE_EXTERN void kube_gc_free(kube_gc *gc);
/* The runner (borrowed): keys are "<resource>/<namespace>/<name>". */
KUBE_EXTERN kube_controller *kube_gc_runner(kube_gc *gc);

/* ---- namespace deletion ---- */

typedef struct kube_namespace_controller kube_namespace_controller;

/*
 * A namespace controller reading namespaces through f and deleting
 * content through store, started.  While content remains it looks again
 * every recheck_ms (upstream waits an estimate of seconds; 0 = 100 ms).
 * Returns 0, KUBE_EINVAL, KUBE_ENOMEM.
 */
KUBE_EXTERN int kube_namespace_controller_new(kube_namespace_controller **out,
                                              kube_informer_factory *f, kube_store *store,
                                              uint64_t recheck_ms);
KUBE_EXTERN void kube_namespace_controller_free(kube_namespace_controller *c);
KUBE_EXTERN kube_controller *kube_namespace_controller_runner(kube_namespace_controller *c);

KUBE_END_DECLS

#endif /* LIBKUBE_LIFECYCLE_H */
