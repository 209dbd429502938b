/*
 * validate.h - Kubernetes' validation rules.
 *
 * The name validators give exactly the answers of k8s.io/apimachinery's
 * util/validation (IsQualifiedName, IsValidLabelValue, IsDNS1123Label,
 * IsDNS1123Subdomain, IsDNS1035Label) on every input, and raise the same
 * messages: on failure they return KUBE_EINVAL and kube_error_last()->message
 * holds upstream's message(s), joined by "; " when there are several.
 * They are pure and thread-safe.
 */
#ifndef LIBKUBE_VALIDATE_H
#define LIBKUBE_VALIDATE_H

#include "common.h"

KUBE_BEGIN_DECLS

/* A label key / qualified name: optional DNS-1123 subdomain prefix and '/',
 * then a name of at most 63 characters matching
 * ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]. */
KUBE_EXTERN int kube_validate_qualified_name(const char *s);

/* A label value: empty, or at most 63 characters matching the name pattern. */
KUBE_EXTERN int kube_validate_label_value(const char *s);

/* An RFC 1123 label: [a-z0-9]([-a-z0-9]*[a-z0-9])?, at most 63 characters. */
KUBE_EXTERN int kube_validate_dns1123_label(const char *s);

/* An RFC 1123 subdomain: labels joined by '.', at most 253 characters. */
KUBE_EXTERN int kube_validate_dns1123_subdomain(const char *s);

/* An RFC 1035 label: [a-z]([-a-z0-9]*[a-z0-9])?, at most 63 characters. */
KUBE_EXTERN int kube_validate_dns1035_label(const char *s);

/* ---- whole objects (lib/object/validation.c) ---- */

typedef struct kube_object kube_object;
typedef struct kube_validation kube_validation;

/*
 * Checks o against Kubernetes' rules for its kind, as the API server does on
 * create: metadata (name by the kind's rule, namespace, labels, annotations
 * and their 256 KiB total, owner references, finalizers) and the structural
 * rules of Pod, Deployment, ReplicaSet, DaemonSet, StatefulSet, Job, CronJob,
 * Service, ConfigMap, Secret, PersistentVolumeClaim and Namespace (a Pod
 * needs containers with unique names and images, ...).  Every problem is
 * collected, in upstream's order of checks (top-down through the document;
 * map entries in document order), in upstream's field.Error form:
 *   metadata.name: Invalid value: "A_b": a lowercase RFC 1123 subdomain must ...
 *   spec.template.spec.containers[0].image: Required value
 *
 * The object is judged as the server would see it after defaulting: fields
 * upstream defaults are checked as their defaults when absent; a missing
 * namespace is fine (the request supplies it) and a cluster-scoped object's
 * namespace is ignored (the server clears it).  Kinds the registry
 * (kinds.h) does not know, such as custom resources, get only the metadata
 * rules, with the DNS-1123 subdomain name rule.  A list (kind "List" or
 * "<Kind>List" with items) is checked item by item, as kubectl sends them,
 * with paths under "items[N]".  apiVersion and kind are
 * required ("kind: Required value").  A field of the wrong JSON type reads
 * "<path>: Invalid value: <json>: must be of type <type>" (upstream fails to
 * decode such objects before validating).
 *
 * Returns 0 when valid, KUBE_EINVAL when there are problems (the first is
 * also raised as the thread's error, with its field path) or o is NULL,
 * KUBE_ENOMEM.  If out is not NULL it receives the list (empty when valid;
 * NULL on KUBE_ENOMEM or a NULL o); release it with kube_validation_free().
 * o may be frozen or mutable and is not changed.  Thread-safe for frozen
 * objects.
 */
KUBE_EXTERN int kube_validate_object(kube_validation **out, const kube_object *o);
/* The number of problems; 0 for NULL. */
KUBE_EXTERN size_t kube_validation_count(const kube_validation *v);
/* The field path of problem i ("spec.replicas"), borrowed from v; NULL past
 * the end or for NULL.  The message always starts with it and ": ". */
KUBE_EXTERN const char *kube_validation_field(const kube_validation *v, size_t i);
/* The whole message of problem i, borrowed from v; NULL past the end. */
KUBE_EXTERN const char *kube_validation_message(const kube_validation *v, size_t i);
/* Releases the list and its strings; NULL is a no-op. */
KUBE_EXTERN void kube_validation_free(kube_validation *v);

KUBE_END_DECLS

#endif /* LIBKUBE_VALIDATE_H */
