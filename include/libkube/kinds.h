/*
 * kinds.h - the registry of built-in kinds: group/version/kind <-> resource.
 *
 * Static data, read-only, thread-safe; no function here allocates.  The
 * entries are those `kubectl api-resources` lists for Kubernetes 1.32 at
 * each group's preferred version, with upstream's plural and singular
 * resource names, scope and short names: the core group (Pod, Node,
 * Namespace, Service, Endpoints, ConfigMap, Secret, PersistentVolume(Claim),
 * ResourceQuota, LimitRange, ReplicationController, Event, ServiceAccount,
 * PodTemplate), apps, events.k8s.io, autoscaling/v2, batch, networking.k8s.io,
 * policy, rbac.authorization.k8s.io, storage.k8s.io, apiextensions.k8s.io,
 * scheduling.k8s.io, coordination.k8s.io and discovery.k8s.io.  "List" is
 * not a kind here.
 *
 * The order of kube_kind_at() is kubectl's order of preference: the core
 * group first, then the groups in the order the API server advertises them.
 * A name two groups share ("events": core/v1 and events.k8s.io/v1) resolves
 * to the earlier entry, as kubectl resolves it.
 */
#ifndef LIBKUBE_KINDS_H
#define LIBKUBE_KINDS_H

#include "common.h"

KUBE_BEGIN_DECLS

typedef struct kube_kind_info {
	const char *group;        /* "" for the core group */
	const char *version;      /* preferred version, e.g. "v1" */
	const char *api_version;  /* "v1" or "apps/v1" */
	const char *kind;         /* "Deployment" */
	const char *resource;     /* plural: "deployments" */
	const char *singular;     /* "deployment" */
	int namespaced;           /* 1 if objects live in a namespace */
	const char *const *short_names;  /* NULL-terminated, maybe empty */
} kube_kind_info;

/*
 * The kind with exactly this apiVersion ("apps/v1") and kind
 * ("Deployment"), case-sensitive as in a manifest, or NULL (also for NULL
 * arguments and for versions other than the preferred one).  The returned
 * pointer is static.
 */
KUBE_EXTERN const kube_kind_info *kube_kind_lookup(const char *api_version, const char *kind);

/*
 * Resolves a name as kubectl does on its command line, or returns NULL:
 * the plural resource ("deployments"), the singular ("deployment"), the
 * kind ("Deployment"), or a short name ("deploy"), ASCII case-insensitively.
 * A full name wins over a short name, and between groups the earlier entry
 * wins ("events" and "ev" are core/v1 Event).  The name may be qualified by
 * group, "deployments.apps", "deploy.apps", "events.events.k8s.io", or by
 * version and group, "deployments.v1.apps" (tried first when the name has
 * two dots or more, as kubectl does; the version must be the preferred one).
 * kubectl's prefix match of a group on short names ("deploy.app") is not
 * done.  The returned pointer is static.
 */
KUBE_EXTERN const kube_kind_info *kube_kind_find(const char *name);

/* Iteration over the whole registry, in the order of preference above;
 * kube_kind_at() returns NULL for i >= kube_kind_count(). */
KUBE_EXTERN size_t kube_kind_count(void);
KUBE_EXTERN const kube_kind_info *kube_kind_at(size_t i);

/*
 * The kind served at group ("" for core) and plural resource ("pods"),
 * exactly as they appear in an API path (/apis/<group>/<version>/<resource>),
 * or NULL.  Case-sensitive.  The returned pointer is static.
 */
KUBE_EXTERN const kube_kind_info *kube_kind_for_resource(const char *group,
                                                         const char *resource);

KUBE_END_DECLS

#endif /* LIBKUBE_KINDS_H */
