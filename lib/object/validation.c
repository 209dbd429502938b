/*
 * validation.c - whole-object validation with Kubernetes' rules and messages.
 *
 * kube_validate_object() walks an object's JSON tree the way the API server's
 * create path does (ValidateObjectMeta, then the kind's Validate<Kind>) and
 * collects every problem as upstream's field.Error would print it:
 *
 *   <field path>: <type>[: <bad value>][: <detail>]
 *
 *   metadata.name: Invalid value: "A_b": a lowercase RFC 1123 subdomain must ...
 *   spec.template.spec.containers[0].image: Required value
 *   spec.ports[0].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"
 *
 * Bad values print as field/errors.go prints them: strings Go-%q-quoted,
 * integers bare, anything else as Go's encoding/json would marshal it (maps
 * with sorted keys, upstream's internal structs with their Go field names).
 *
 * What the server would see.  The API server defaults an object before it
 * validates it, and a manifest on disk is not defaulted; so a field that
 * upstream defaults (a port's protocol, a pod's restartPolicy, a
 * Deployment's strategy, ...) is checked as its default when absent, never
 * reported as missing.  For the same reason a namespaced object without a
 * namespace is valid (the request supplies one) and the namespace of a
 * cluster-scoped object is ignored (the server clears it before validating).
 *
 * Order.  Problems come in upstream's order of checks, which visits the
 * object top-down (metadata, then spec); where upstream iterates a Go map
 * (labels, annotations, resource lists, ConfigMap data) its order is random
 * and we use the document's order instead.
 *
 * Kinds.  The kind is resolved through the kinds registry (kinds.h).  Known
 * kinds get the metadata rules of pkg/apis/core/validation and their
 * structural rules where implemented; a kind the registry does not
 * know (a custom resource) gets only apimachinery's metadata rules with the
 * DNS-subdomain name rule, as the API server applies to custom resources.
 *
 * A field with the wrong JSON type is a decoding error upstream, not a
 * validation error; we report it as "<path>: Invalid value: <json>: must be
 * of type <type>" and skip the checks beneath it.
 *
 * Not checked yet (upstream checks them; they rarely matter in manifests):
 * security contexts beyond user and group IDs, lifecycle handlers, ephemeral containers' fields, the
 * inner fields of volume sources other than the one required member of
 * hostPath/secret/configMap/persistentVolumeClaim, topology spread
 * matchLabelKeys, DNS config details, host aliases, pod-specific annotations (mirror, seccomp,
 * AppArmor, deletion cost), hugepage sizes and downward-API divisors,
 * Service IPs/families/CIDRs and session affinity timeouts, whether a
 * CronJob's timeZone is in the zone database, Job completion modes and failure/success policies, the JSON
 * inside dockercfg Secrets, PVC data sources.  A StatefulSet's pod template
 * is checked although upstream leaves it to the pods (see
 * kube__val_validate_statefulset() in validation_workloads.c).
 *
 * Nothing here keeps global state: the walk is a pure function of the tree.
 *
 * Files.  This file is the walk itself: the result list, the context and
 * its field path, recording and printing problems, typed access to the
 * tree, names, labels, selectors, object metadata and the dispatch by kind.
 * The kinds' rules live in files of their own, sharing what is declared in
 * validation_private.h:
 *
 *   validation_container.c  containers: resources, ports, env, mounts, probes
 *   validation_pod.c        the pod spec, pod templates, Pod
 *   validation_workloads.c  Deployment, ReplicaSet, DaemonSet, StatefulSet, Job, CronJob
 *   validation_cron.c       CronJob schedules, robfig/cron's parser
 *   validation_core.c       Service, ConfigMap, Secret, PersistentVolumeClaim, Namespace
 */
#include <ctype.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <strings.h>
#include <string.h>

#include "validation_private.h"

/* ------------------------------------------------------------------------ */
/* the result list                                                           */

size_t kube_validation_count(const kube_validation *v)
{
	return v ? v->count : 0;
}

const char *kube_validation_field(const kube_validation *v, size_t i)
{
	return v && i < v->count ? v->items[i].field : NULL;
}

const char *kube_validation_message(const kube_validation *v, size_t i)
{
	return v && i < v->count ? v->items[i].message : NULL;
}

void kube_validation_free(kube_validation *v)
{
	if (!v)
		return;
	for (size_t i = 0; i < v->count; i++) {
		kube_free(v->items[i].field);
		kube_free(v->items[i].message);
	}
	kube_free(v->items);
	kube_free(v);
}

/* ------------------------------------------------------------------------ */
/* Appends ".name" (or "name" at the root); returns the length to pop back to. */
size_t kube__val_push(kube__val_ctx *c, const char *name)
{
	size_t mark = c->path.len;
	if (c->path.len > 0)
		kube__buf_putc(&c->path, '.');
	kube__buf_puts(&c->path, name);
	return mark;
}

/* Appends "[i]". */
size_t kube__val_push_index(kube__val_ctx *c, size_t i)
{
	size_t mark = c->path.len;
	kube__buf_printf(&c->path, "[%zu]", i);
	return mark;
}

/* Appends "[key]", upstream's Path.Key(): the key is not quoted. */
size_t kube__val_push_key(kube__val_ctx *c, const char *key)
{
	size_t mark = c->path.len;
	kube__buf_putc(&c->path, '[');
	kube__buf_puts(&c->path, key);
	kube__buf_putc(&c->path, ']');
	return mark;
}

void kube__val_pop(kube__val_ctx *c, size_t mark)
{
	if (c->path.data && mark <= c->path.len) {
		c->path.len = mark;
		c->path.data[mark] = '\0';
	}
}

/* ---- value printing ---- */

/* A string as Go's encoding/json writes it (HTML-safe escapes included). */
void kube__val_put_go_json_string(kube__buf *b, const char *s)
{
	kube__go_json_string(b, s, strlen(s));
}

/*
 * The string of a string node, else NULL.  json_object_get_string() would
 * print other types into a buffer cached on the node, which writes to a
 * frozen object that other threads may be reading.
 */
const char *kube__val_str_of(json_object *v)
{
	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static int cmp_str_ptr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}


/* A JSON map with Go's sorted keys; json-c keeps document order. */
static void put_go_json_map(kube__buf *b, json_object *m)
{
	size_t n = (size_t)json_object_object_length(m), i = 0;
	const char **keys = n ? kube_calloc(n, sizeof(*keys)) : NULL;

	if (n && !keys) {
		b->failed = 1;
		return;
	}
	json_object_object_foreach(m, k, unused) {
		KUBE_UNUSED(unused);
		keys[i++] = k;
	}
	if (n > 1)
		qsort(keys, n, sizeof(*keys), cmp_str_ptr);
	kube__buf_putc(b, '{');
	for (i = 0; i < n; i++) {
		json_object *val = NULL;
		if (i)
			kube__buf_putc(b, ',');
		kube__val_put_go_json_string(b, keys[i]);
		kube__buf_putc(b, ':');
		json_object_object_get_ex(m, keys[i], &val);
		kube__val_put_go_json(b, val);
	}
	kube__buf_putc(b, '}');
	kube_free(keys);
}

/* Any JSON value as Go's encoding/json would re-marshal it. */
void kube__val_put_go_json(kube__buf *b, json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_null:
		kube__buf_puts(b, "null");
		break;
	case json_type_boolean:
		kube__buf_puts(b, json_object_get_boolean(v) ? "true" : "false");
		break;
	case json_type_int:
	case json_type_double:
		if (kube__number_text(b, v) != 0)
			kube__buf_puts(b, "null");   /* NaN or infinity: JSON has no text for them */
		break;
	case json_type_string:
		kube__val_put_go_json_string(b, kube__val_str_of(v));
		break;
	case json_type_array:
		kube__buf_putc(b, '[');
		for (size_t i = 0; i < json_object_array_length(v); i++) {
			if (i)
				kube__buf_putc(b, ',');
			kube__val_put_go_json(b, json_object_array_get_idx(v, i));
		}
		kube__buf_putc(b, ']');
		break;
	case json_type_object:
		put_go_json_map(b, v);
		break;
	}
}

/* ---- recording problems ---- */

static const kube__val_value NO_VALUE = { KUBE__VAL_NONE, NULL, 0 };

kube__val_value kube__val_vstr(const char *s) { kube__val_value v = { KUBE__VAL_STR, s ? s : "", 0 }; return v; }
kube__val_value kube__val_vint(int64_t i) { kube__val_value v = { KUBE__VAL_INT, NULL, i }; return v; }
kube__val_value kube__val_vraw(const char *s) { kube__val_value v = { KUBE__VAL_RAW, s ? s : "null", 0 }; return v; }

/*
 * Records one problem at the current path (plus `child` when not NULL):
 * "<path>: <type>[: <value>][: <detail>]".  The first problem recorded is
 * what kube_validate_object() raises as the thread's error.
 */
static void add(kube__val_ctx *c, const char *child, const char *type, kube__val_value val, const char *detail)
{
	kube__buf field = KUBE__BUF_INIT, msg = KUBE__BUF_INIT;
	kube_validation *v = c->v;

	if (c->oom)
		return;
	kube__buf_puts(&field, c->path.data ? c->path.data : "");
	if (child) {
		if (field.len > 0 && child[0] != '[')
			kube__buf_putc(&field, '.');
		kube__buf_puts(&field, child);
	}
	if (field.len == 0)
		kube__buf_puts(&field, "[]");   /* upstream's field.NewPath("") prints so */
	kube__buf_put(&msg, field.data, field.len);
	kube__buf_puts(&msg, ": ");
	kube__buf_puts(&msg, type);
	switch (val.kind) {
	case KUBE__VAL_NONE:
		break;
	case KUBE__VAL_STR:
		kube__buf_puts(&msg, ": ");
		kube__go_quote(&msg, val.s, strlen(val.s));
		break;
	case KUBE__VAL_INT:
		kube__buf_printf(&msg, ": %" PRId64, val.i);
		break;
	case KUBE__VAL_RAW:
		kube__buf_puts(&msg, ": ");
		kube__buf_puts(&msg, val.s);
		break;
	}
	if (detail && *detail) {
		kube__buf_puts(&msg, ": ");
		kube__buf_puts(&msg, detail);
	}
	if (c->path.failed || field.failed || msg.failed)
		goto oom;
	if (v->count == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 8, bytes;
		kube__val_problem *items;
		if (kube__size_mul(cap, sizeof(*items), &bytes))
			goto oom;
		items = kube_realloc(v->items, bytes);
		if (!items)
			goto oom;
		v->items = items;
		v->cap = cap;
	}
	v->items[v->count].field = kube__buf_detach(&field, NULL);
	v->items[v->count].message = kube__buf_detach(&msg, NULL);
	v->count++;
	return;
oom:
	kube__buf_free(&field);
	kube__buf_free(&msg);
	c->oom = 1;
}

void kube__val_required(kube__val_ctx *c, const char *child, const char *detail)
{
	add(c, child, "Required value", NO_VALUE, detail);
}

void kube__val_forbidden(kube__val_ctx *c, const char *child, const char *detail)
{
	add(c, child, "Forbidden", NO_VALUE, detail);
}

void kube__val_invalid(kube__val_ctx *c, const char *child, kube__val_value val, const char *detail)
{
	add(c, child, "Invalid value", val, detail);
}

void kube__val_duplicate(kube__val_ctx *c, const char *child, kube__val_value val)
{
	add(c, child, "Duplicate value", val, NULL);
}

void kube__val_not_found(kube__val_ctx *c, const char *child, kube__val_value val)
{
	add(c, child, "Not found", val, NULL);
}

/* upstream's TooLong(): the value is never shown */
void kube__val_too_long(kube__val_ctx *c, const char *child, long max)
{
	char detail[64];
	snprintf(detail, sizeof(detail), "may not be more than %ld byte%s", max, max == 1 ? "" : "s");
	add(c, child, "Too long", NO_VALUE, detail);
}

/* NotSupported(): `supported` is NULL-terminated, printed in the given order. */
void kube__val_not_supported(kube__val_ctx *c, const char *child, kube__val_value val, const char *const *supported)
{
	kube__buf detail = KUBE__BUF_INIT;

	if (supported && supported[0]) {
		kube__buf_puts(&detail, "supported values: ");
		for (size_t i = 0; supported[i]; i++) {
			if (i)
				kube__buf_puts(&detail, ", ");
			kube__go_quote(&detail, supported[i], strlen(supported[i]));
		}
	}
	if (detail.failed)
		c->oom = 1;
	else
		add(c, child, "Unsupported value", val, detail.data);
	kube__buf_free(&detail);
}

/*
 * The kube__check_* functions join upstream's messages with "; "; upstream
 * makes one field error per message, so split them back.
 */
static void invalid_msgs(kube__val_ctx *c, const char *child, kube__val_value val, kube__buf *msgs)
{
	const char *p;

	if (msgs->failed) {
		c->oom = 1;
		return;
	}
	p = msgs->data;
	while (p && *p) {
		const char *end = strstr(p, "; ");
		size_t n = end ? (size_t)(end - p) : strlen(p);
		char *one = kube_strndup(p, n);
		if (!one) {
			c->oom = 1;
			return;
		}
		kube__val_invalid(c, child, val, one);
		kube_free(one);
		p = end ? end + 2 : p + n;
	}
}

/* Runs a name check and records each of its messages against `value`. */
int kube__val_check_name(kube__val_ctx *c, const char *child, kube__val_check_fn fn, const char *value)
{
	kube__buf msgs = KUBE__BUF_INIT;
	int rc = fn(value, strlen(value), &msgs);
	if (rc)
		invalid_msgs(c, child, kube__val_vstr(value), &msgs);
	kube__buf_free(&msgs);
	return rc;
}

/* ---- typed access to the tree ---- */

/* A member of a map; NULL when the map is not a map, or the member is absent or null. */
json_object *kube__val_member(json_object *map, const char *key)
{
	json_object *v = NULL;
	if (!map || !json_object_is_type(map, json_type_object))
		return NULL;
	if (!json_object_object_get_ex(map, key, &v))
		return NULL;
	return v;
}

void kube__val_type_problem(kube__val_ctx *c, const char *child, json_object *v, const char *type)
{
	kube__buf raw = KUBE__BUF_INIT;
	char detail[64];

	kube__val_put_go_json(&raw, v);
	snprintf(detail, sizeof(detail), "must be of type %s", type);
	if (raw.failed)
		c->oom = 1;
	else
		kube__val_invalid(c, child, kube__val_vraw(raw.data), detail);
	kube__buf_free(&raw);
}

/*
 * get_*: 1 and the value when present with the right type, 0 when absent
 * (or null), -1 when present with another type (recorded as a problem).
 */
int kube__val_get_map(kube__val_ctx *c, json_object *map, const char *key, json_object **out)
{
	json_object *v = kube__val_member(map, key);
	*out = NULL;
	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_object)) {
		kube__val_type_problem(c, key, v, "object");
		return -1;
	}
	*out = v;
	return 1;
}

int kube__val_get_array(kube__val_ctx *c, json_object *map, const char *key, json_object **out)
{
	json_object *v = kube__val_member(map, key);
	*out = NULL;
	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_array)) {
		kube__val_type_problem(c, key, v, "array");
		return -1;
	}
	*out = v;
	return 1;
}

int kube__val_get_string(kube__val_ctx *c, json_object *map, const char *key, const char **out)
{
	json_object *v = kube__val_member(map, key);
	*out = NULL;
	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_string)) {
		kube__val_type_problem(c, key, v, "string");
		return -1;
	}
	*out = kube__val_str_of(v);
	return 1;
}

/* "" when absent or of another type (a type problem is recorded then). */
const char *kube__val_get_str_or(kube__val_ctx *c, json_object *map, const char *key, const char *dflt)
{
	const char *s;
	return kube__val_get_string(c, map, key, &s) == 1 ? s : dflt;
}

/*
 * A string field upstream defaults: Go cannot tell "" from absent, so both
 * take the default before validation.
 */
const char *kube__val_get_str_dflt(kube__val_ctx *c, json_object *map, const char *key, const char *dflt)
{
	const char *s = kube__val_get_str_or(c, map, key, "");
	return *s ? s : dflt;
}

int kube__val_get_bool(kube__val_ctx *c, json_object *map, const char *key, int *out)
{
	json_object *v = kube__val_member(map, key);
	*out = 0;
	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_boolean)) {
		kube__val_type_problem(c, key, v, "boolean");
		return -1;
	}
	*out = json_object_get_boolean(v);
	return 1;
}

static int get_int_range(kube__val_ctx *c, json_object *map, const char *key, int64_t lo, int64_t hi,
                         const char *type, int64_t *out)
{
	json_object *v = kube__val_member(map, key);
	int64_t i;

	*out = 0;
	if (!v)
		return 0;
	if (!json_object_is_type(v, json_type_int)) {
		kube__val_type_problem(c, key, v, type);
		return -1;
	}
	i = json_object_get_int64(v);
	if (i < lo || i > hi) {
		kube__val_type_problem(c, key, v, type);
		return -1;
	}
	*out = i;
	return 1;
}

int kube__val_get_int32(kube__val_ctx *c, json_object *map, const char *key, int64_t *out)
{
	return get_int_range(c, map, key, INT32_MIN, INT32_MAX, "int32", out);
}

int kube__val_get_int64(kube__val_ctx *c, json_object *map, const char *key, int64_t *out)
{
	return get_int_range(c, map, key, INT64_MIN, INT64_MAX, "int64", out);
}

int kube__val_get_intstr(kube__val_ctx *c, json_object *map, const char *key, kube__val_intstr *out)
{
	json_object *v = kube__val_member(map, key);

	memset(out, 0, sizeof(*out));
	if (!v)
		return 0;
	if (json_object_is_type(v, json_type_string)) {
		out->present = 1;
		out->is_str = 1;
		out->s = kube__val_str_of(v);
		return 1;
	}
	if (json_object_is_type(v, json_type_int)) {
		int64_t i = json_object_get_int64(v);
		if (i >= INT32_MIN && i <= INT32_MAX) {
			out->present = 1;
			out->i = i;
			return 1;
		}
	}
	kube__val_type_problem(c, key, v, "int-or-string");
	return -1;
}

kube__val_value kube__val_intstr_value(const kube__val_intstr *v)
{
	return v->is_str ? kube__val_vstr(v->s) : kube__val_vint(v->i);
}

/* ValidateNonnegativeField() */
void kube__val_nonnegative(kube__val_ctx *c, const char *child, int64_t value)
{
	if (value < 0)
		kube__val_invalid(c, child, kube__val_vint(value), "must be greater than or equal to 0");
}

/* An optional int32 member that must not be negative. */
void kube__val_nonnegative_member(kube__val_ctx *c, json_object *map, const char *key)
{
	int64_t i;
	if (kube__val_get_int32(c, map, key, &i) == 1)
		kube__val_nonnegative(c, key, i);
}

int kube__val_is_one_of(const char *s, const char *const *list)
{
	for (size_t i = 0; list[i]; i++)
		if (strcmp(s, list[i]) == 0)
			return 1;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* names                                                                     */

void kube__val_msg_add(kube__buf *msg, int *count, const char *text)
{
	if ((*count)++ > 0)
		kube__buf_puts(msg, "; ");
	kube__buf_puts(msg, text);
}

/* content.IsPathSegmentPrefix(): may not contain '/' or '%'. */
static int check_path_segment_prefix(const char *s, size_t n, kube__buf *msg)
{
	int count = 0;
	if (memchr(s, '/', n))
		kube__val_msg_add(msg, &count, "may not contain '/'");
	if (memchr(s, '%', n))
		kube__val_msg_add(msg, &count, "may not contain '%'");
	return count ? KUBE_EINVAL : 0;
}

/* content.IsPathSegmentName(): also may not be "." or "..". */
static int check_path_segment(const char *s, size_t n, kube__buf *msg)
{
	int count = 0;
	if (n == 1 && s[0] == '.') {
		kube__val_msg_add(msg, &count, "may not be '.'");
		return KUBE_EINVAL;
	}
	if (n == 2 && s[0] == '.' && s[1] == '.') {
		kube__val_msg_add(msg, &count, "may not be '..'");
		return KUBE_EINVAL;
	}
	return check_path_segment_prefix(s, n, msg);
}

/*
 * A ValidateNameFunc: the messages for `name` under `rule`, joined by "; ".
 * With prefix (a generateName), a trailing dash is allowed the way
 * upstream's maskTrailingDash() allows it: the last two characters are
 * replaced by one "a" before the check.
 */
int kube__val_check_object_name(kube__val_name_rule rule, const char *name, int prefix, kube__buf *msg)
{
	size_t n = strlen(name);
	char *masked = NULL;
	int rc;

	if (rule == KUBE__VAL_NAME_PATH_SEGMENT)
		return prefix ? check_path_segment_prefix(name, n, msg) : check_path_segment(name, n, msg);
	if (prefix && n > 1 && name[n - 1] == '-') {
		masked = kube_malloc(n);
		if (!masked) {
			msg->failed = 1;
			return KUBE_ENOMEM;
		}
		memcpy(masked, name, n - 2);
		masked[n - 2] = 'a';
		masked[n - 1] = '\0';
		name = masked;
		n--;
	}
	switch (rule) {
	case KUBE__VAL_NAME_LABEL:
		rc = kube__check_dns1123_label(name, n, msg);
		break;
	case KUBE__VAL_NAME_DNS1035:
		rc = kube__check_dns1035_label(name, n, msg);
		break;
	default:
		rc = kube__check_dns1123_subdomain(name, n, msg);
		break;
	}
	kube_free(masked);
	return rc;
}

static void check_object_name_at(kube__val_ctx *c, const char *child, kube__val_name_rule rule, const char *name,
                                 int prefix)
{
	kube__buf msgs = KUBE__BUF_INIT;
	if (kube__val_check_object_name(rule, name, prefix, &msgs))
		invalid_msgs(c, child, kube__val_vstr(name), &msgs);
	kube__buf_free(&msgs);
}

/* ------------------------------------------------------------------------ */
/* labels, annotations, selectors                                            */

/* ValidateLabels(): keys are qualified names, values label values; every
 * problem is reported on the map's path with the bad key or value. */
void kube__val_validate_labels(kube__val_ctx *c, const char *child, json_object *labels)
{
	size_t mark;

	if (!labels || !json_object_is_type(labels, json_type_object))
		return;
	mark = child ? kube__val_push(c, child) : c->path.len;
	json_object_object_foreach(labels, key, val) {
		const char *s = "";
		kube__val_check_name(c, NULL, kube__check_qualified_name, key);
		if (val && json_object_is_type(val, json_type_string))
			s = kube__val_str_of(val);
		else if (val) {
			kube__val_type_problem(c, NULL, val, "string");
			continue;
		}
		kube__val_check_name(c, NULL, kube__check_label_value, s);
	}
	kube__val_pop(c, mark);
}

/* A labels-like member: a map of strings; wrong types are recorded. */
json_object *kube__val_get_labels_member(kube__val_ctx *c, json_object *map, const char *key)
{
	json_object *m;
	return kube__val_get_map(c, map, key, &m) == 1 ? m : NULL;
}

#define TOTAL_ANNOTATION_SIZE_LIMIT (256L * 1024L)

/* ValidateAnnotations(): keys are qualified names ignoring case; keys and
 * values together may not pass 256 KiB. */
void kube__val_validate_annotations(kube__val_ctx *c, const char *child, json_object *ann)
{
	size_t mark;
	uint64_t total = 0;

	if (!ann || !json_object_is_type(ann, json_type_object))
		return;
	mark = kube__val_push(c, child);
	json_object_object_foreach(ann, key, val) {
		size_t n = strlen(key);
		char *lower = kube_strdup(key);
		kube__buf msgs = KUBE__BUF_INIT;

		if (!lower) {
			c->oom = 1;
			break;
		}
		for (size_t i = 0; i < n; i++)
			lower[i] = (char)tolower((unsigned char)lower[i]);
		if (kube__check_qualified_name(lower, n, &msgs))
			invalid_msgs(c, NULL, kube__val_vstr(key), &msgs);
		kube__buf_free(&msgs);
		kube_free(lower);
		total += n;
		if (val && json_object_is_type(val, json_type_string))
			total += (uint64_t)json_object_get_string_len(val);
		else if (val)
			kube__val_type_problem(c, NULL, val, "string");
	}
	kube__val_pop(c, mark);
	if (total > (uint64_t)TOTAL_ANNOTATION_SIZE_LIMIT)
		kube__val_too_long(c, child, TOTAL_ANNOTATION_SIZE_LIMIT);
}

/*
 * ValidateLabelSelector() on a metav1.LabelSelector at `child`.  Returns 1
 * when the selector has problems: exactly the selectors that upstream's
 * LabelSelectorAsSelector() then refuses too.
 */
int kube__val_validate_label_selector(kube__val_ctx *c, const char *child, json_object *sel)
{
	size_t before = c->v->count, mark;
	json_object *ml, *exprs;
	int bad_types = 0;

	if (!sel)
		return 0;
	mark = kube__val_push(c, child);
	if (kube__val_get_map(c, sel, "matchLabels", &ml) < 0)
		bad_types = 1;
	kube__val_validate_labels(c, "matchLabels", ml);
	if (kube__val_get_array(c, sel, "matchExpressions", &exprs) < 0)
		bad_types = 1;
	for (size_t i = 0; exprs && i < json_object_array_length(exprs); i++) {
		json_object *e = json_object_array_get_idx(exprs, i), *vals;
		size_t m2 = kube__val_push(c, "matchExpressions"), m3;
		const char *op, *key;
		size_t nvals = 0;

		kube__val_push_index(c, i);
		if (!e || !json_object_is_type(e, json_type_object)) {
			kube__val_type_problem(c, NULL, e, "object");
			kube__val_pop(c, m2);
			continue;
		}
		op = kube__val_get_str_or(c, e, "operator", "");
		key = kube__val_get_str_or(c, e, "key", "");
		if (kube__val_get_array(c, e, "values", &vals) == 1)
			nvals = json_object_array_length(vals);
		if (strcmp(op, "In") == 0 || strcmp(op, "NotIn") == 0) {
			if (nvals == 0)
				kube__val_required(c, "values", "must be specified when `operator` is 'In' or 'NotIn'");
		} else if (strcmp(op, "Exists") == 0 || strcmp(op, "DoesNotExist") == 0) {
			if (nvals > 0)
				kube__val_forbidden(c, "values", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
		} else {
			kube__val_invalid(c, "operator", kube__val_vstr(op), "not a valid selector operator");
		}
		kube__val_check_name(c, "key", kube__check_qualified_name, key);
		for (size_t j = 0; j < nvals; j++) {
			json_object *s = json_object_array_get_idx(vals, j);
			m3 = kube__val_push(c, "values");
			kube__val_push_index(c, j);
			if (s && json_object_is_type(s, json_type_string))
				kube__val_check_name(c, NULL, kube__check_label_value, kube__val_str_of(s));
			else
				kube__val_type_problem(c, NULL, s, "string");
			kube__val_pop(c, m3);
		}
		kube__val_pop(c, m2);
	}
	kube__val_pop(c, mark);
	return bad_types || c->v->count > before;
}

/* 1 when the selector has neither matchLabels nor matchExpressions entries. */
int kube__val_selector_is_empty(json_object *sel)
{
	json_object *ml = kube__val_member(sel, "matchLabels"), *ex = kube__val_member(sel, "matchExpressions");
	size_t n = 0;
	if (ml && json_object_is_type(ml, json_type_object))
		n += (size_t)json_object_object_length(ml);
	if (ex && json_object_is_type(ex, json_type_array))
		n += json_object_array_length(ex);
	return n == 0;
}

static const char *label_get(json_object *labels, const char *key, int *found)
{
	json_object *v = NULL;
	*found = labels && json_object_is_type(labels, json_type_object) &&
	         json_object_object_get_ex(labels, key, &v);
	if (!*found)
		return NULL;
	return v && json_object_is_type(v, json_type_string) ? kube__val_str_of(v) : "";
}

/* labels.Selector.Matches() for a valid selector; a nil selector matches nothing. */
int kube__val_selector_matches(json_object *sel, json_object *labels)
{
	json_object *ml = kube__val_member(sel, "matchLabels"), *ex = kube__val_member(sel, "matchExpressions");

	if (!sel)
		return 0;
	if (ml && json_object_is_type(ml, json_type_object)) {
		json_object_object_foreach(ml, key, val) {
			int found;
			const char *have = label_get(labels, key, &found);
			const char *want = kube__val_str_of(val) ? kube__val_str_of(val) : "";
			if (!found || strcmp(have, want) != 0)
				return 0;
		}
	}
	for (size_t i = 0; ex && json_object_is_type(ex, json_type_array) &&
	                   i < json_object_array_length(ex); i++) {
		json_object *e = json_object_array_get_idx(ex, i);
		json_object *vals = kube__val_member(e, "values");
		const char *op = kube__val_str_of(kube__val_member(e, "operator"));
		const char *key = kube__val_str_of(kube__val_member(e, "key"));
		int found, in = 0;
		const char *have;

		if (!op || !key)
			return 0;
		have = label_get(labels, key, &found);
		for (size_t j = 0; found && vals && j < json_object_array_length(vals); j++) {
			const char *v = kube__val_str_of(json_object_array_get_idx(vals, j));
			if (v && strcmp(v, have) == 0)
				in = 1;
		}
		if (strcmp(op, "In") == 0 && !in)
			return 0;
		if (strcmp(op, "NotIn") == 0 && in)
			return 0;
		if (strcmp(op, "Exists") == 0 && !found)
			return 0;
		if (strcmp(op, "DoesNotExist") == 0 && found)
			return 0;
	}
	return 1;
}

/* A metav1.LabelSelector as Go's json marshals it (omitempty members). */
void kube__val_put_selector_json(kube__buf *b, json_object *sel)
{
	json_object *ml = kube__val_member(sel, "matchLabels"), *ex = kube__val_member(sel, "matchExpressions");
	int first = 1;

	if (!sel) {
		kube__buf_puts(b, "null");
		return;
	}
	kube__buf_putc(b, '{');
	if (ml && json_object_is_type(ml, json_type_object) && json_object_object_length(ml) > 0) {
		kube__buf_puts(b, "\"matchLabels\":");
		put_go_json_map(b, ml);
		first = 0;
	}
	if (ex && json_object_is_type(ex, json_type_array) && json_object_array_length(ex) > 0) {
		if (!first)
			kube__buf_putc(b, ',');
		kube__buf_puts(b, "\"matchExpressions\":[");
		for (size_t i = 0; i < json_object_array_length(ex); i++) {
			json_object *e = json_object_array_get_idx(ex, i), *vals = kube__val_member(e, "values");
			if (i)
				kube__buf_putc(b, ',');
			kube__buf_puts(b, "{\"key\":");
			kube__val_put_go_json_string(b, kube__val_str_of(kube__val_member(e, "key")) ?
			                      kube__val_str_of(kube__val_member(e, "key")) : "");
			kube__buf_puts(b, ",\"operator\":");
			kube__val_put_go_json_string(b, kube__val_str_of(kube__val_member(e, "operator")) ?
			                      kube__val_str_of(kube__val_member(e, "operator")) : "");
			if (vals && json_object_is_type(vals, json_type_array) &&
			    json_object_array_length(vals) > 0) {
				kube__buf_puts(b, ",\"values\":");
				kube__val_put_go_json(b, vals);
			}
			kube__buf_putc(b, '}');
		}
		kube__buf_putc(b, ']');
	}
	kube__buf_putc(b, '}');
}

/* Records Invalid at `child` with the JSON of `v` rendered by `put`. */
void kube__val_invalid_json(kube__val_ctx *c, const char *child, void (*put)(kube__buf *, json_object *),
                         json_object *v, const char *detail)
{
	kube__buf raw = KUBE__BUF_INIT;
	put(&raw, v);
	if (raw.failed)
		c->oom = 1;
	else
		kube__val_invalid(c, child, kube__val_vraw(raw.data), detail);
	kube__buf_free(&raw);
}

/* A map[string]string as Go marshals it: sorted keys, nil as null. */
void kube__val_put_labels_json(kube__buf *b, json_object *labels)
{
	if (!labels || !json_object_is_type(labels, json_type_object))
		kube__buf_puts(b, "null");
	else
		put_go_json_map(b, labels);
}

/* ------------------------------------------------------------------------ */
/* metadata                                                                  */

static const char *const standard_finalizers[] = { "kubernetes", "orphan", "foregroundDeletion", NULL };

/* metav1.OwnerReference as Go marshals it. */
static void put_owner_ref_json(kube__buf *b, json_object *ref)
{
	static const char *const keys[] = { "apiVersion", "kind", "name", "uid", NULL };
	static const char *const flags[] = { "controller", "blockOwnerDeletion", NULL };

	kube__buf_putc(b, '{');
	for (size_t i = 0; keys[i]; i++) {
		const char *s = kube__val_str_of(kube__val_member(ref, keys[i]));
		kube__buf_printf(b, "%s\"%s\":", i ? "," : "", keys[i]);
		kube__val_put_go_json_string(b, s ? s : "");
	}
	for (size_t i = 0; flags[i]; i++) {
		json_object *f = kube__val_member(ref, flags[i]);
		if (f)
			kube__buf_printf(b, ",\"%s\":%s", flags[i],
			                 json_object_get_boolean(f) ? "true" : "false");
	}
	kube__buf_putc(b, '}');
}

static void put_owner_refs_json(kube__buf *b, json_object *refs)
{
	kube__buf_putc(b, '[');
	for (size_t i = 0; i < json_object_array_length(refs); i++) {
		if (i)
			kube__buf_putc(b, ',');
		put_owner_ref_json(b, json_object_array_get_idx(refs, i));
	}
	kube__buf_putc(b, ']');
}

/* ValidateOwnerReferences(), at metadata.ownerReferences. */
static void validate_owner_refs(kube__val_ctx *c, json_object *refs)
{
	char first[1024] = "";
	size_t mark;

	if (!refs || !json_object_is_type(refs, json_type_array))
		return;
	mark = kube__val_push(c, "ownerReferences");
	for (size_t i = 0; i < json_object_array_length(refs); i++) {
		json_object *ref = json_object_array_get_idx(refs, i);
		const char *api = kube__val_get_str_or(c, ref, "apiVersion", "");
		const char *kind = kube__val_get_str_or(c, ref, "kind", "");
		const char *name = kube__val_get_str_or(c, ref, "name", "");
		const char *uid = kube__val_get_str_or(c, ref, "uid", "");
		const char *slash = strchr(api, '/');
		size_t m2 = kube__val_push_index(c, i);
		int controller = 0;

		if (!*api) {
			kube__val_required(c, "apiVersion", "must not be empty");
		} else if (slash && (strchr(slash + 1, '/') || slash[1] == '\0')) {
			/* schema.ParseGroupVersion(): at most one '/', and a version */
			kube__val_invalid(c, "apiVersion", kube__val_vstr(api), "must be <group>/<version> or <version>");
		}
		if (!*kind)
			kube__val_required(c, "kind", "must not be empty");
		if (!*name)
			kube__val_required(c, "name", "must not be empty");
		if (!*uid)
			kube__val_required(c, "uid", "must not be empty");
		if ((strcmp(api, "v1") == 0 || strcmp(api, "/v1") == 0) && strcmp(kind, "Event") == 0)
			kube__val_invalid_json(c, NULL, put_owner_ref_json, ref,
			             "/v1, Kind=Event is disallowed from being an owner");
		kube__val_pop(c, m2);
		kube__val_get_bool(c, ref, "controller", &controller);
		if (controller) {
			char cur[1024];
			snprintf(cur, sizeof(cur), "%s/%s", kind, name);
			if (first[0]) {
				char detail[2200];
				snprintf(detail, sizeof(detail),
				         "Only one reference can have Controller set to true. "
				         "Found \"true\" in references for %s and %s", first, cur);
				kube__val_invalid_json(c, NULL, put_owner_refs_json, refs, detail);
			} else {
				snprintf(first, sizeof(first), "%s", cur);
			}
		}
	}
	kube__val_pop(c, mark);
}

/* apimachinery's ValidateFinalizers(), at metadata.finalizers. */
static void validate_finalizers(kube__val_ctx *c, const char *child, json_object *fins)
{
	int orphan = 0, foreground = 0;

	if (!fins || !json_object_is_type(fins, json_type_array))
		return;
	for (size_t i = 0; i < json_object_array_length(fins); i++) {
		const char *f = kube__val_str_of(json_object_array_get_idx(fins, i));
		if (!f)
			f = "";
		kube__val_check_name(c, child, kube__check_qualified_name, f);
		orphan |= strcmp(f, "orphan") == 0;
		foreground |= strcmp(f, "foregroundDeletion") == 0;
	}
	if (orphan && foreground)
		kube__val_invalid_json(c, child, kube__val_put_go_json, fins,
		             "finalizer orphan and foregroundDeletion cannot be both set");
}

/* core's validateKubeFinalizerName(): unqualified names must be standard. */
void kube__val_validate_kube_finalizer(kube__val_ctx *c, const char *f)
{
	if (!strchr(f, '/') && !kube__val_is_one_of(f, standard_finalizers))
		kube__val_invalid(c, NULL, kube__val_vstr(f), "name is neither a standard finalizer name nor is it fully qualified");
}

typedef struct meta_opts {
	kube__val_name_rule rule;
	int namespaced;   /* 1 namespaced, 0 cluster-scoped, -1 unknown (custom resource) */
	int core;         /* 1: pkg/apis/core's ValidateObjectMeta (finalizer names too) */
} meta_opts;

/* ValidateObjectMeta() at "metadata". */
static void validate_object_meta(kube__val_ctx *c, json_object *doc, const meta_opts *mo)
{
	json_object *md;
	const char *name = "", *gen = "", *ns = "";
	int64_t generation;
	size_t mark;

	if (kube__val_get_map(c, doc, "metadata", &md) < 0)
		return;
	mark = kube__val_push(c, "metadata");
	if (md) {
		name = kube__val_get_str_or(c, md, "name", "");
		gen = kube__val_get_str_or(c, md, "generateName", "");
		ns = kube__val_get_str_or(c, md, "namespace", "");
	}
	if (*gen)
		check_object_name_at(c, "generateName", mo->rule, gen, 1);
	if (!*name) {
		/* with generateName the server makes the name up before validating */
		if (!*gen)
			kube__val_required(c, "name", "name or generateName is required");
	} else {
		check_object_name_at(c, "name", mo->rule, name, 0);
	}
	/* a cluster-scoped object's namespace is cleared by the server first */
	if (*ns && mo->namespaced != 0)
		check_object_name_at(c, "namespace", KUBE__VAL_NAME_LABEL, ns, 0);
	if (md && kube__val_get_int64(c, md, "generation", &generation) == 1)
		kube__val_nonnegative(c, "generation", generation);
	if (md) {
		json_object *fins = kube__val_member(md, "finalizers");
		kube__val_validate_labels(c, "labels", kube__val_member(md, "labels"));
		kube__val_validate_annotations(c, "annotations", kube__val_member(md, "annotations"));
		validate_owner_refs(c, kube__val_member(md, "ownerReferences"));
		validate_finalizers(c, "finalizers", fins);
		if (mo->core && fins && json_object_is_type(fins, json_type_array)) {
			for (size_t i = 0; i < json_object_array_length(fins); i++) {
				const char *f = kube__val_str_of(json_object_array_get_idx(fins, i));
				size_t m2 = kube__val_push(c, "finalizers");
				kube__val_push_index(c, i);
				kube__val_validate_kube_finalizer(c, f ? f : "");
				kube__val_pop(c, m2);
			}
		}
	}
	kube__val_pop(c, mark);
}

/* ------------------------------------------------------------------------ */
/* small sets of names                                                       */

int kube__val_nameset_has(const kube__val_nameset *s, const char *name)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i], name) == 0)
			return 1;
	return 0;
}

void kube__val_nameset_add(kube__val_ctx *c, kube__val_nameset *s, const char *name)
{
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		const char **v = kube_realloc(s->v, cap * sizeof(*v));
		if (!v) {
			c->oom = 1;
			return;
		}
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = name;
}

void kube__val_nameset_free(kube__val_nameset *s)
{
	kube_free(s->v);
	memset(s, 0, sizeof(*s));
}

/* ------------------------------------------------------------------------ */
/* dispatch                                                                  */

typedef void (*kind_fn)(kube__val_ctx *c, json_object *doc);

static const struct kind_rules {
	const char *group;   /* "" for the core group */
	const char *kind;
	kube__val_name_rule rule;
	kind_fn validate;
} kind_rules[] = {
	{ "", "Pod", KUBE__VAL_NAME_SUBDOMAIN, kube__val_validate_pod },
	{ "", "Service", KUBE__VAL_NAME_DNS1035, kube__val_validate_service },
	{ "", "ConfigMap", KUBE__VAL_NAME_SUBDOMAIN, kube__val_validate_configmap },
	{ "", "Secret", KUBE__VAL_NAME_SUBDOMAIN, kube__val_validate_secret },
	{ "", "PersistentVolumeClaim", KUBE__VAL_NAME_SUBDOMAIN, kube__val_validate_pvc },
	{ "", "Namespace", KUBE__VAL_NAME_LABEL, kube__val_validate_namespace },
	{ "apps", "Deployment", KUBE__VAL_NAME_SUBDOMAIN, kube__val_validate_deployment },
	{ "apps", "ReplicaSet", KUBE__VAL_NAME_SUBDOMAIN, kube__val_validate_replicaset },
	{ "apps", "DaemonSet", KUBE__VAL_NAME_SUBDOMAIN, kube__val_validate_daemonset },
	{ "apps", "StatefulSet", KUBE__VAL_NAME_LABEL, kube__val_validate_statefulset },
	{ "batch", "Job", KUBE__VAL_NAME_SUBDOMAIN, kube__val_validate_job },
	{ "batch", "CronJob", KUBE__VAL_NAME_SUBDOMAIN, kube__val_validate_cronjob },
	{ "rbac.authorization.k8s.io", "Role", KUBE__VAL_NAME_PATH_SEGMENT, NULL },
	{ "rbac.authorization.k8s.io", "ClusterRole", KUBE__VAL_NAME_PATH_SEGMENT, NULL },
	{ "rbac.authorization.k8s.io", "RoleBinding", KUBE__VAL_NAME_PATH_SEGMENT, NULL },
	{ "rbac.authorization.k8s.io", "ClusterRoleBinding", KUBE__VAL_NAME_PATH_SEGMENT, NULL },
	{ NULL, NULL, KUBE__VAL_NAME_SUBDOMAIN, NULL },
};

/* The group of an apiVersion ("apps/v1" -> "apps", "v1" -> ""), into buf. */
static const char *api_group(const char *api_version, char *buf, size_t len)
{
	const char *slash = strchr(api_version, '/');
	if (!slash)
		return "";
	snprintf(buf, len, "%.*s", (int)(slash - api_version), api_version);
	return buf;
}

/*
 * Resolves the kind: the registry's entry for (apiVersion, kind), or for the
 * kind in the same group at another version (older manifests); NULL for kinds
 * the registry does not know.
 */
static const kube_kind_info *resolve_kind(const char *api_version, const char *kind)
{
	const kube_kind_info *info;
	char group[256];

	info = kube_kind_lookup(api_version, kind);
	if (info)
		return info;
	for (size_t i = 0; i < kube_kind_count(); i++) {
		const kube_kind_info *k = kube_kind_at(i);
		if (k && strcmp(k->kind, kind) == 0 &&
		    strcmp(k->group, api_group(api_version, group, sizeof(group))) == 0)
			return k;
	}
	return NULL;
}

static void validate_doc(kube__val_ctx *c, json_object *doc, const char *list_api, const char *list_kind);

/*
 * A list (kind "List", or "<Kind>List", with an items array) never reaches
 * the server as such: kubectl sends each item on its own.  So each item is
 * validated as an object, at "items[i]"; items without apiVersion or kind
 * take the list's apiVersion and the kind it names, as client-go fills them.
 */
static int validate_list(kube__val_ctx *c, json_object *doc, const char *api, const char *kind)
{
	json_object *items = kube__val_member(doc, "items");
	size_t n = strlen(kind);
	char item_kind[256] = "";

	if (n < 4 || strcmp(kind + n - 4, "List") != 0 || !items ||
	    !json_object_is_type(items, json_type_array))
		return 0;
	if (n > 4 && n - 4 < sizeof(item_kind))
		snprintf(item_kind, sizeof(item_kind), "%.*s", (int)(n - 4), kind);
	for (size_t i = 0; i < json_object_array_length(items); i++) {
		json_object *item = json_object_array_get_idx(items, i);
		size_t mark = kube__val_push(c, "items");
		kube__val_push_index(c, i);
		if (!item || !json_object_is_type(item, json_type_object))
			kube__val_type_problem(c, NULL, item, "object");
		else
			validate_doc(c, item, api, item_kind);
		kube__val_pop(c, mark);
	}
	return 1;
}

static void validate_doc(kube__val_ctx *c, json_object *doc, const char *list_api, const char *list_kind)
{
	const char *api = kube__val_get_str_or(c, doc, "apiVersion", "");
	const char *kind = kube__val_get_str_or(c, doc, "kind", "");
	const kube_kind_info *info = NULL;
	const struct kind_rules *rules = NULL;
	meta_opts mo = { KUBE__VAL_NAME_SUBDOMAIN, -1, 0 };

	if (!*api && list_api)
		api = list_api;
	if (!*kind && list_kind)
		kind = list_kind;
	if (!*api)
		kube__val_required(c, "apiVersion", NULL);
	if (!*kind)
		kube__val_required(c, "kind", NULL);
	if (*api && *kind)
		info = resolve_kind(api, kind);
	if (!info && *kind && validate_list(c, doc, api, kind))
		return;
	if (info) {
		mo.namespaced = info->namespaced ? 1 : 0;
		mo.core = 1;
		for (size_t i = 0; kind_rules[i].kind; i++) {
			if (strcmp(kind_rules[i].kind, info->kind) == 0 &&
			    strcmp(kind_rules[i].group, info->group) == 0) {
				rules = &kind_rules[i];
				mo.rule = rules->rule;
				break;
			}
		}
	}
	validate_object_meta(c, doc, &mo);
	if (rules && rules->validate)
		rules->validate(c, doc);
}

int kube_validate_object(kube_validation **out, const kube_object *o)
{
	kube_validation *v;
	kube__val_ctx c;
	int rc = 0;

	if (out)
		*out = NULL;
	KUBE_CHECK_ARG(o);
	v = kube_calloc(1, sizeof(*v));
	if (!v)
		return kube__error_oom();
	memset(&c, 0, sizeof(c));
	c.v = v;
	validate_doc(&c, kube__object_doc(o), NULL, NULL);
	kube__buf_free(&c.path);
	if (c.oom) {
		kube_validation_free(v);
		return kube__error_oom();
	}
	if (v->count > 0)
		rc = kube__error_set(KUBE_EINVAL, v->items[0].field, "%s", v->items[0].message);
	if (out)
		*out = v;
	else
		kube_validation_free(v);
	return rc;
}

