/*
 * kinds.h - the registry of built-in kinds: group/version/kind <-> resource.
 *
 * Static data, read-only, thread-safe.  Lookups accept what kubectl accepts
 * on its command line: the plural resource ("deployments"), the singular
 * ("deployment"), short names ("deploy"), the kind ("Deployment"), each
 * case-insensitively, optionally qualified by group ("deployments.apps").
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

/* The kind with this apiVersion ("apps/v1") and kind, or NULL. */
KUBE_EXTERN const kube_kind_info *kube_kind_lookup(const char *api_version, const char *kind);

/* Resolves a name as kubectl does (see above), or NULL. */
KUBE_EXTERN const kube_kind_info *kube_kind_find(const char *name);

/* Iteration over the whole registry. */
KUBE_EXTERN size_t kube_kind_count(void);
KUBE_EXTERN const kube_kind_info *kube_kind_at(size_t i);

KUBE_END_DECLS

#endif /* LIBKUBE_KINDS_H */
