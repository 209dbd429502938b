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

/* the result list: problems in the order they were found */
typedef struct kube__val_problem {
	char *field;
	char *message;
} kube__val_problem;

struct kube_validation {
	kube__val_problem *items;
	size_t count, cap;
};

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

/* a name check as base.h's kube__check_*: 0, or KUBE_EINVAL and upstream's messages in msg */
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
KUBE_INTERNAL size_t kube__val_push(kube__val_ctx *c, const char *name);
KUBE_INTERNAL size_t kube__val_push_index(kube__val_ctx *c, size_t i);
KUBE_INTERNAL size_t kube__val_push_key(kube__val_ctx *c, const char *key);
KUBE_INTERNAL void kube__val_pop(kube__val_ctx *c, size_t mark);
KUBE_INTERNAL void kube__val_put_go_json_string(kube__buf *b, const char *s);
KUBE_INTERNAL const char *kube__val_str_of(json_object *v);
KUBE_INTERNAL void kube__val_put_go_json(kube__buf *b, json_object *v);
KUBE_INTERNAL kube__val_value kube__val_vstr(const char *s);
KUBE_INTERNAL kube__val_value kube__val_vint(int64_t i);
KUBE_INTERNAL kube__val_value kube__val_vraw(const char *s);
KUBE_INTERNAL void kube__val_required(kube__val_ctx *c, const char *child, const char *detail);
KUBE_INTERNAL void kube__val_forbidden(kube__val_ctx *c, const char *child, const char *detail);
KUBE_INTERNAL void kube__val_invalid(kube__val_ctx *c, const char *child, kube__val_value val, const char *detail);
KUBE_INTERNAL void kube__val_duplicate(kube__val_ctx *c, const char *child, kube__val_value val);
KUBE_INTERNAL void kube__val_not_found(kube__val_ctx *c, const char *child, kube__val_value val);
KUBE_INTERNAL void kube__val_too_long(kube__val_ctx *c, const char *child, long max);
KUBE_INTERNAL void kube__val_not_supported(kube__val_ctx *c, const char *child, kube__val_value val, const char *const *supported);
KUBE_INTERNAL int kube__val_check_name(kube__val_ctx *c, const char *child, kube__val_check_fn fn, const char *value);
KUBE_INTERNAL json_object *kube__val_member(json_object *map, const char *key);
KUBE_INTERNAL void kube__val_type_problem(kube__val_ctx *c, const char *child, json_object *v, const char *type);
KUBE_INTERNAL int kube__val_get_map(kube__val_ctx *c, json_object *map, const char *key, json_object **out);
KUBE_INTERNAL int kube__val_get_array(kube__val_ctx *c, json_object *map, const char *key, json_object **out);
KUBE_INTERNAL int kube__val_get_string(kube__val_ctx *c, json_object *map, const char *key, const char **out);
KUBE_INTERNAL const char *kube__val_get_str_or(kube__val_ctx *c, json_object *map, const char *key, const char *dflt);
KUBE_INTERNAL const char *kube__val_get_str_dflt(kube__val_ctx *c, json_object *map, const char *key, const char *dflt);
KUBE_INTERNAL int kube__val_get_bool(kube__val_ctx *c, json_object *map, const char *key, int *out);
KUBE_INTERNAL int kube__val_get_int32(kube__val_ctx *c, json_object *map, const char *key, int64_t *out);
KUBE_INTERNAL int kube__val_get_int64(kube__val_ctx *c, json_object *map, const char *key, int64_t *out);
KUBE_INTERNAL int kube__val_get_intstr(kube__val_ctx *c, json_object *map, const char *key, kube__val_intstr *out);
KUBE_INTERNAL kube__val_value kube__val_intstr_value(const kube__val_intstr *v);
KUBE_INTERNAL void kube__val_nonnegative(kube__val_ctx *c, const char *child, int64_t value);
KUBE_INTERNAL void kube__val_nonnegative_member(kube__val_ctx *c, json_object *map, const char *key);
KUBE_INTERNAL int kube__val_is_one_of(const char *s, const char *const *list);
KUBE_INTERNAL void kube__val_msg_add(kube__buf *msg, int *count, const char *text);
KUBE_INTERNAL int kube__val_check_object_name(kube__val_name_rule rule, const char *name, int prefix, kube__buf *msg);
KUBE_INTERNAL void kube__val_validate_labels(kube__val_ctx *c, const char *child, json_object *labels);
KUBE_INTERNAL json_object *kube__val_get_labels_member(kube__val_ctx *c, json_object *map, const char *key);
KUBE_INTERNAL void kube__val_validate_annotations(kube__val_ctx *c, const char *child, json_object *ann);
KUBE_INTERNAL int kube__val_validate_label_selector(kube__val_ctx *c, const char *child, json_object *sel);
KUBE_INTERNAL int kube__val_selector_is_empty(json_object *sel);
KUBE_INTERNAL int kube__val_selector_matches(json_object *sel, json_object *labels);
KUBE_INTERNAL void kube__val_put_selector_json(kube__buf *b, json_object *sel);
KUBE_INTERNAL void kube__val_invalid_json(kube__val_ctx *c, const char *child, void (*put)(kube__buf *, json_object *),
                         json_object *v, const char *detail);
KUBE_INTERNAL void kube__val_put_labels_json(kube__buf *b, json_object *labels);
KUBE_INTERNAL void kube__val_validate_kube_finalizer(kube__val_ctx *c, const char *f);
KUBE_INTERNAL int kube__val_nameset_has(const kube__val_nameset *s, const char *name);
KUBE_INTERNAL void kube__val_nameset_add(kube__val_ctx *c, kube__val_nameset *s, const char *name);
KUBE_INTERNAL void kube__val_nameset_free(kube__val_nameset *s);

/* containers (validation_container.c), also used for Services and PVCs */
KUBE_INTERNAL int kube__val_parse_quantity(kube__val_ctx *c, json_object *v, kube_quantity *q);
KUBE_INTERNAL void kube__val_invalid_quantity(kube__val_ctx *c, const char *child, const kube_quantity *q, const char *detail);
KUBE_INTERNAL int kube__val_quantity_sign(const kube_quantity *q);
KUBE_INTERNAL int kube__val_has_prefix(const char *s, const char *prefix);
KUBE_INTERNAL void kube__val_valid_port_num(kube__val_ctx *c, const char *child, int64_t port);
KUBE_INTERNAL void kube__val_validate_port_num_or_name(kube__val_ctx *c, const char *child, const kube__val_intstr *p);
KUBE_INTERNAL extern const char *const kube__val_port_protocols[];
KUBE_INTERNAL int kube__val_check_config_key(const char *s, size_t n, kube__buf *msg);
KUBE_INTERNAL void kube__val_validate_containers(kube__val_ctx *c, json_object *spec, const kube__val_nameset *vols, kube__val_nameset *names);
KUBE_INTERNAL void kube__val_validate_init_containers(kube__val_ctx *c, json_object *spec, const kube__val_nameset *vols,
                                     kube__val_nameset *names);

/* pod specs and templates (validation_pod.c) */
KUBE_INTERNAL json_object *kube__val_validate_pod_template(kube__val_ctx *c, json_object *parent, const kube__val_nameset *extra_vols,
                                          const char **rp);
KUBE_INTERNAL json_object *kube__val_template_labels(json_object *tpl);
KUBE_INTERNAL void kube__val_validate_pod(kube__val_ctx *c, json_object *doc);

/* workload controllers (validation_workloads.c) */
KUBE_INTERNAL json_object *kube__val_spec_of(kube__val_ctx *c, json_object *doc);
KUBE_INTERNAL void kube__val_validate_deployment(kube__val_ctx *c, json_object *doc);
KUBE_INTERNAL void kube__val_validate_replicaset(kube__val_ctx *c, json_object *doc);
KUBE_INTERNAL void kube__val_validate_daemonset(kube__val_ctx *c, json_object *doc);
KUBE_INTERNAL void kube__val_validate_statefulset(kube__val_ctx *c, json_object *doc);
KUBE_INTERNAL void kube__val_validate_job(kube__val_ctx *c, json_object *doc);
KUBE_INTERNAL void kube__val_validate_cronjob(kube__val_ctx *c, json_object *doc);

/* cron schedules (validation_cron.c): 0, or -1 and upstream's error text in msg */
KUBE_INTERNAL int kube__val_cron_parse_standard(const char *spec, char *msg, size_t len);

/* core kinds (validation_core.c) */
KUBE_INTERNAL void kube__val_validate_service(kube__val_ctx *c, json_object *doc);
KUBE_INTERNAL void kube__val_validate_configmap(kube__val_ctx *c, json_object *doc);
KUBE_INTERNAL void kube__val_validate_secret(kube__val_ctx *c, json_object *doc);
KUBE_INTERNAL void kube__val_validate_pvc(kube__val_ctx *c, json_object *doc);
KUBE_INTERNAL void kube__val_validate_namespace(kube__val_ctx *c, json_object *doc);

#endif
