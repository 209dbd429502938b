/*
 * validation_private.h - what the files of whole-object validation share.
 *
 * kube_validate_object() is one walk over an object's JSON tree, split by
 * concept over several files:
 *
 *   validation.c            the result list, the walk's context, recording
 *                           problems, typed access, names, metadata, dispatch
 *   validation_container.c  one container (ports, env, mounts, probes, resources)
 *   validation_pod.c        the pod spec, pod templates, the Pod kind
 *   validation_workloads.c  Deployment, ReplicaSet, DaemonSet, StatefulSet, Job, CronJob
 *   validation_cron.c       the cron schedule parser (robfig/cron's ParseStandard)
 *   validation_core.c       Service, ConfigMap, Secret, PVC, Namespace
 *
 * Each check records problems into a kube__val_ctx at its current path
 * (kube__val_push() / kube__val_pop()); the comments at the definitions say
 * what each helper does.  Nothing here is exported from libkube.so.
 */
#ifndef LIBKUBE_OBJECT_VALIDATION_PRIVATE_H
#define LIBKUBE_OBJECT_VALIDATION_PRIVATE_H

#include <stdint.h>

#include "object_private.h"

/* the walk's context: the current field path and the problems so far */
typedef struct kube__val_ctx {
	kube_validation *v;
	kube__buf path;   /* "spec.template.spec.containers[0]" */
	int oom;          /* sticky: an allocation failed */
} kube__val_ctx;

/* a bad value, printed as field/errors.go prints it */
enum kube__val_kind { KUBE__VAL_NONE, KUBE__VAL_STR, KUBE__VAL_INT, KUBE__VAL_RAW };

typedef struct kube__val_value {
	enum kube__val_kind kind;
	const char *s;     /* _STR: the string; _RAW: preformatted JSON */
	int64_t i;         /* _INT */
} kube__val_value;

/* a name check: 0, or the number of messages appended to msg */
typedef int (*kube__val_check_fn)(const char *, size_t, kube__buf *);

/* An intstr.IntOrString member. */
typedef struct kube__val_intstr {
	int present;     /* 0 absent, 1 present */
	int is_str;
	int64_t i;
	const char *s;
} kube__val_intstr;

/* which rule an object's name follows */
typedef enum kube__val_name_rule {
	KUBE__VAL_NAME_SUBDOMAIN,      /* NameIsDNSSubdomain: most kinds */
	KUBE__VAL_NAME_LABEL,          /* NameIsDNSLabel: Namespace, StatefulSet */
	KUBE__VAL_NAME_DNS1035,        /* NameIsDNS1035Label: Service */
	KUBE__VAL_NAME_PATH_SEGMENT    /* ValidatePathSegmentName: RBAC kinds */
} kube__val_name_rule;

/* a small set of names it does not own */
typedef struct kube__val_nameset {
	const char **v;
	size_t n, cap;
} kube__val_nameset;

/* the walk (validation.c): path, problems, typed access, names, labels, metadata */
KUBE_INTERNAL void kube__val_put_go_quoted(kube__buf *b, const char *s, size_t n);
KUBE_INTERNAL int kube__val_is_one_of(const char *s, const char *const *list);
KUBE_INTERNAL int kube__val_has_prefix(const char *s, const char *prefix);

/* cron schedules (validation_cron.c): 0, or -1 and upstream's error text in msg */
KUBE_INTERNAL int kube__val_cron_parse_standard(const char *spec, char *msg, size_t len);

#endif
