/*
 * validation_container.c - the checks of one container, for pod specs.
 *
 * Mirrors the container half of pkg/apis/core/validation/validation.go:
 * validateContainers() and validateInitContainers() (names unique across
 * both lists, host ports unique across all containers), and beneath them
 * validateContainerCommon(): the image and pull policies,
 * validateContainerPorts(), validateEnv() / validateEnvFrom() with
 * validateEnvVarValueFrom() and validateObjectFieldSelector(),
 * ValidateVolumeMounts(), validateProbe() / validateHandler(), and
 * ValidateContainerResourceRequirements() with validateContainerResourceName()
 * and ValidateResourceQuantityValue().  Quantities and port numbers are
 * checked here for Services and PVCs too (validation_core.c).
 *
 * Every function records into the walk's context (validation_private.h) at
 * the path it is given; none keeps state between calls.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "validation_private.h"

/* ------------------------------------------------------------------------ */
/* quantities and resource requirements                                      */

/*
 * A resource.Quantity value (a JSON string or number) parsed quietly: 0,
 * or -1 when it is not a quantity.  Numbers keep their source text.
 */
static int quantity_of(json_object *v, kube_quantity *q, kube__buf *text)
{
	if (json_object_is_type(v, json_type_string))
		kube__buf_puts(text, json_object_get_string(v));
	else if (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double))
		kube__number_text(text, v);
	else
		return -1;
	if (text->failed || !text->data)
		return -1;
	return kube_quantity_parse(q, text->data) == 0 ? 0 : -1;
}

/* A resource.Quantity member value, with its problem recorded. */
int kube__val_parse_quantity(kube__val_ctx *c, json_object *v, kube_quantity *q)
{
	kube__buf text = KUBE__BUF_INIT;
	int rc = 0;

	if (!json_object_is_type(v, json_type_string) && !json_object_is_type(v, json_type_int) &&
	    !json_object_is_type(v, json_type_double)) {
		kube__val_type_problem(c, NULL, v, "quantity");
		return -1;
	}
	if (quantity_of(v, q, &text) != 0) {
		const kube_error *e = kube_error_last();
		if (text.failed || (e && e->code == KUBE_ENOMEM))
			c->oom = 1;
		else
			kube__val_invalid(c, NULL, kube__val_vstr(text.data ? text.data : ""),
			        e && e->message ? e->message : "invalid quantity");
		rc = -1;
	}
	kube__buf_free(&text);
	return rc;
}

/* Records Invalid with the quantity's canonical string as the value. */
void kube__val_invalid_quantity(kube__val_ctx *c, const char *child, const kube_quantity *q, const char *detail)
{
	char *s = kube_quantity_string(q);
	if (!s) {
		c->oom = 1;
		return;
	}
	kube__val_invalid(c, child, kube__val_vstr(s), detail);
	kube_free(s);
}

int kube__val_quantity_sign(const kube_quantity *q)
{
	kube_quantity zero;
	if (kube_quantity_parse(&zero, "0") != 0)
		return 0;
	return kube_quantity_cmp(q, &zero);
}

static const char *const standard_resources[] = {
	"cpu", "memory", "ephemeral-storage", "requests.cpu", "requests.memory",
	"requests.ephemeral-storage", "limits.cpu", "limits.memory", "limits.ephemeral-storage",
	"pods", "resourcequotas", "services", "replicationcontrollers", "secrets", "configmaps",
	"persistentvolumeclaims", "storage", "requests.storage", "services.nodeports",
	"services.loadbalancers", NULL,
};

static const char *const integer_resources[] = {
	"pods", "resourcequotas", "services", "replicationcontrollers", "secrets", "configmaps",
	"persistentvolumeclaims", "services.nodeports", "services.loadbalancers", NULL,
};

int kube__val_has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static int is_hugepages(const char *name)
{
	return kube__val_has_prefix(name, "hugepages-");
}

static int is_native_resource(const char *name)
{
	return !strchr(name, '/') || strstr(name, "kubernetes.io/") != NULL;
}

static int is_extended_resource(const char *name)
{
	char buf[512];
	int n;

	if (is_native_resource(name) || kube__val_has_prefix(name, "requests."))
		return 0;
	n = snprintf(buf, sizeof(buf), "requests.%s", name);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return 0;
	return kube__check_qualified_name(buf, (size_t)n, NULL) == 0;
}

static int is_overcommit_allowed(const char *name)
{
	return is_native_resource(name) && !is_hugepages(name);
}

/* validateContainerResourceName() at the current path. */
static void validate_container_resource_name(kube__val_ctx *c, const char *name)
{
	int slash = strchr(name, '/') != NULL;

	if (kube__val_check_name(c, NULL, kube__check_qualified_name, name) == 0 && !slash &&
	    !kube__val_is_one_of(name, standard_resources) && !is_hugepages(name) &&
	    !kube__val_has_prefix(name, "requests.hugepages-"))
		kube__val_invalid(c, NULL, kube__val_vstr(name), "must be a standard resource type or fully qualified");
	if (!slash) {
		if (strcmp(name, "cpu") != 0 && strcmp(name, "memory") != 0 &&
		    strcmp(name, "ephemeral-storage") != 0 && !is_hugepages(name))
			kube__val_invalid(c, NULL, kube__val_vstr(name), "must be a standard resource for containers");
	} else if (!is_native_resource(name) && !is_extended_resource(name)) {
		kube__val_invalid(c, NULL, kube__val_vstr(name), "doesn't follow extended resource name standard");
	}
}

/* ValidateResourceQuantityValue() at the current path. */
static void validate_quantity_value(kube__val_ctx *c, const char *name, const kube_quantity *q)
{
	int64_t milli;

	if (kube__val_quantity_sign(q) < 0)
		kube__val_invalid_quantity(c, NULL, q, "must be greater than or equal to 0");
	if (kube__val_is_one_of(name, integer_resources) || is_extended_resource(name)) {
		if (kube_quantity_milli(q, &milli) != 0 || milli % 1000 != 0)
			kube__val_invalid_quantity(c, NULL, q, "must be an integer");
	}
}

/* ValidateContainerResourceRequirements() at "resources". */
static void validate_resources(kube__val_ctx *c, json_object *ctr)
{
	json_object *res, *limits, *requests;
	size_t mark;
	int cpu_mem = 0, huge = 0;

	if (kube__val_get_map(c, ctr, "resources", &res) != 1)
		return;
	mark = kube__val_push(c, "resources");
	kube__val_get_map(c, res, "limits", &limits);
	kube__val_get_map(c, res, "requests", &requests);
	if (limits) {
		size_t m2 = kube__val_push(c, "limits");
		json_object_object_foreach(limits, name, val) {
			kube_quantity q;
			size_t m3 = kube__val_push_key(c, name);
			validate_container_resource_name(c, name);
			if (val && kube__val_parse_quantity(c, val, &q) == 0)
				validate_quantity_value(c, name, &q);
			huge |= is_hugepages(name);
			cpu_mem |= strcmp(name, "cpu") == 0 || strcmp(name, "memory") == 0;
			kube__val_pop(c, m3);
		}
		kube__val_pop(c, m2);
	}
	if (requests) {
		json_object_object_foreach(requests, name, val) {
			kube_quantity q, lq;
			json_object *lim = kube__val_member(limits, name);
			size_t m2 = kube__val_push(c, "requests");
			int ok;

			kube__val_push_key(c, name);
			validate_container_resource_name(c, name);
			ok = val && kube__val_parse_quantity(c, val, &q) == 0;
			if (ok)
				validate_quantity_value(c, name, &q);
			kube__val_pop(c, m2);
			if (ok && lim) {
				kube__buf ltext = KUBE__BUF_INIT;
				/* the limit's own problems were reported with the limits */
				int lok = quantity_of(lim, &lq, &ltext) == 0;
				kube__buf_free(&ltext);
				if (lok) {
					int cmp = kube_quantity_cmp(&q, &lq);
					char *ls = kube_quantity_string(&lq);
					char detail[600];
					if (!ls) {
						c->oom = 1;
						break;
					}
					if (cmp != 0 && !is_overcommit_allowed(name)) {
						snprintf(detail, sizeof(detail), "must be equal to %s limit of %s", name, ls);
						kube__val_invalid_quantity(c, "requests", &q, detail);
					} else if (cmp > 0) {
						snprintf(detail, sizeof(detail),
						         "must be less than or equal to %s limit of %s", name, ls);
						kube__val_invalid_quantity(c, "requests", &q, detail);
					}
					kube_free(ls);
				}
			} else if (!lim && !is_overcommit_allowed(name)) {
				kube__val_required(c, "limits", "Limit must be set for non overcommitable resources");
			}
			huge |= is_hugepages(name);
			cpu_mem |= strcmp(name, "cpu") == 0 || strcmp(name, "memory") == 0;
		}
	}
	if (huge && !cpu_mem)
		kube__val_forbidden(c, NULL, "HugePages require cpu or memory");
	kube__val_pop(c, mark);
}

/* ------------------------------------------------------------------------ */
/* ports, env, mounts, probes                                                */

/* validation.IsValidPortName(): an IANA_SVC_NAME. */
static int check_port_name(const char *s, size_t n, kube__buf *msg)
{
	int count = 0, charset = n > 0, letter = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch >= 'a' && ch <= 'z')
			letter = 1;
		else if (!(ch >= '0' && ch <= '9') && ch != '-')
			charset = 0;
	}
	if (n > 15)
		kube__val_msg_add(msg, &count, "must be no more than 15 characters");
	if (!charset)
		kube__val_msg_add(msg, &count, "must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
	if (!letter)
		kube__val_msg_add(msg, &count, "must contain at least one letter (a-z)");
	if (n >= 2 && strstr(s, "--"))
		kube__val_msg_add(msg, &count, "must not contain consecutive hyphens");
	if (n > 0 && (s[0] == '-' || s[n - 1] == '-'))
		kube__val_msg_add(msg, &count, "must not begin or end with a hyphen");
	return count ? KUBE_EINVAL : 0;
}

#define PORT_RANGE_MSG "must be between 1 and 65535, inclusive"

void kube__val_valid_port_num(kube__val_ctx *c, const char *child, int64_t port)
{
	if (port < 1 || port > 65535)
		kube__val_invalid(c, child, kube__val_vint(port), PORT_RANGE_MSG);
}

/* ValidatePortNumOrName() */
void kube__val_validate_port_num_or_name(kube__val_ctx *c, const char *child, const kube__val_intstr *p)
{
	if (p->is_str)
		kube__val_check_name(c, child, check_port_name, p->s);
	else
		kube__val_valid_port_num(c, child, p->i);
}

const char *const kube__val_port_protocols[] = { "SCTP", "TCP", "UDP", NULL };

/* validateContainerPorts() at "ports". */
static void validate_container_ports(kube__val_ctx *c, json_object *ctr)
{
	json_object *ports;
	kube__val_nameset names = { 0 };
	size_t mark;

	if (kube__val_get_array(c, ctr, "ports", &ports) != 1)
		return;
	mark = kube__val_push(c, "ports");
	for (size_t i = 0; i < json_object_array_length(ports); i++) {
		json_object *p = json_object_array_get_idx(ports, i);
		size_t m2 = kube__val_push_index(c, i);
		const char *name, *proto;
		int64_t port = 0, host = 0;

		if (!p || !json_object_is_type(p, json_type_object)) {
			kube__val_type_problem(c, NULL, p, "object");
			kube__val_pop(c, m2);
			continue;
		}
		name = kube__val_get_str_or(c, p, "name", "");
		if (*name) {
			if (kube__val_check_name(c, "name", check_port_name, name) == 0) {
				if (kube__val_nameset_has(&names, name))
					kube__val_duplicate(c, "name", kube__val_vstr(name));
				else
					kube__val_nameset_add(c, &names, name);
			}
		}
		if (kube__val_get_int32(c, p, "containerPort", &port) >= 0) {
			if (port == 0)
				kube__val_required(c, "containerPort", NULL);
			else
				kube__val_valid_port_num(c, "containerPort", port);
		}
		if (kube__val_get_int32(c, p, "hostPort", &host) == 1 && host != 0)
			kube__val_valid_port_num(c, "hostPort", host);
		proto = kube__val_get_str_dflt(c, p, "protocol", "TCP");
		if (!*proto)
			kube__val_required(c, "protocol", NULL);
		else if (!kube__val_is_one_of(proto, kube__val_port_protocols))
			kube__val_not_supported(c, "protocol", kube__val_vstr(proto), kube__val_port_protocols);
		kube__val_pop(c, m2);
	}
	kube__val_pop(c, mark);
	kube__val_nameset_free(&names);
}

/* A set of strings it owns. */
typedef struct strset {
	char **v;
	size_t n, cap;
} strset;

static int strset_has(const strset *s, const char *str)
{
	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->v[i], str) == 0)
			return 1;
	return 0;
}

static void strset_add(kube__val_ctx *c, strset *s, const char *str)
{
	char *dup = kube_strdup(str);
	if (!dup) {
		c->oom = 1;
		return;
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		char **v = kube_realloc(s->v, cap * sizeof(*v));
		if (!v) {
			kube_free(dup);
			c->oom = 1;
			return;
		}
		s->v = v;
		s->cap = cap;
	}
	s->v[s->n++] = dup;
}

static void strset_free(strset *s)
{
	for (size_t i = 0; i < s->n; i++)
		kube_free(s->v[i]);
	kube_free(s->v);
	memset(s, 0, sizeof(*s));
}

/*
 * AccumulateUniqueHostPorts() over containers[first, first+count), at the
 * current path (a containers list): "<protocol>/<hostIP>/<hostPort>" must be
 * unique.  Indexes are relative to `first`, as upstream passes a sub-slice.
 */
static void check_host_ports(kube__val_ctx *c, json_object *containers, size_t first, size_t count,
                             strset *seen)
{
	for (size_t ci = first; ci < first + count; ci++) {
		json_object *ports = kube__val_member(json_object_array_get_idx(containers, ci), "ports");
		for (size_t pi = 0; ports && json_object_is_type(ports, json_type_array) &&
		                    pi < json_object_array_length(ports); pi++) {
			json_object *p = json_object_array_get_idx(ports, pi), *hp = kube__val_member(p, "hostPort");
			json_object *pr = kube__val_member(p, "protocol"), *hip = kube__val_member(p, "hostIP");
			const char *proto = pr && json_object_is_type(pr, json_type_string) &&
			                    json_object_get_string_len(pr) > 0 ?
			                    kube__val_str_of(pr) : "TCP";   /* defaulted */
			const char *ip = hip && json_object_is_type(hip, json_type_string) ?
			                 kube__val_str_of(hip) : "";
			char key[600];
			int64_t host;
			size_t m;

			if (!hp || !json_object_is_type(hp, json_type_int))
				continue;
			host = json_object_get_int64(hp);
			if (host == 0)
				continue;
			snprintf(key, sizeof(key), "%s/%s/%" PRId64, proto, ip, host);
			m = kube__val_push_index(c, ci - first);
			kube__val_push(c, "ports");
			kube__val_push_index(c, pi);
			if (strset_has(seen, key))
				kube__val_duplicate(c, "hostPort", kube__val_vstr(key));
			else
				strset_add(c, seen, key);
			kube__val_pop(c, m);
		}
	}
}

/* IsRelaxedEnvVarName(): printable ASCII other than '='. */
static int check_env_name(const char *s, size_t n, kube__buf *msg)
{
	int count = 0;
	if (n == 0)
		kube__val_msg_add(msg, &count, "environment variable name must be non-empty");
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch < 0x20 || ch > 0x7e || ch == '=') {
			kube__val_msg_add(msg, &count, "a valid environment variable name must consist only of "
			                     "printable ASCII characters other than '='");
			break;
		}
	}
	return count ? KUBE_EINVAL : 0;
}

/* validation.IsConfigMapKey() */
int kube__val_check_config_key(const char *s, size_t n, kube__buf *msg)
{
	int count = 0, ok = n > 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (!isalnum(ch) || ch > 0x7f)
			if (ch != '-' && ch != '.' && ch != '_')
				ok = 0;
	}
	if (n > 253)
		kube__val_msg_add(msg, &count, "must be no more than 253 characters");
	if (!ok)
		kube__val_msg_add(msg, &count, "a valid config key must consist of alphanumeric characters, "
		                     "'-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', "
		                     "regex used for validation is '[-._a-zA-Z0-9]+')");
	if (n == 1 && s[0] == '.')
		kube__val_msg_add(msg, &count, "must not be '.'");
	else if (n == 2 && s[0] == '.' && s[1] == '.')
		kube__val_msg_add(msg, &count, "must not be '..'");
	else if (n >= 2 && s[0] == '.' && s[1] == '.')
		kube__val_msg_add(msg, &count, "must not start with '..'");
	return count ? KUBE_EINVAL : 0;
}

static int check_subdomain_prefix(const char *s, size_t n, kube__buf *msg)
{
	char *z = kube_strndup(s, n);
	int rc;
	if (!z) {
		msg->failed = 1;
		return KUBE_ENOMEM;
	}
	rc = kube__val_check_object_name(KUBE__VAL_NAME_SUBDOMAIN, z, 1, msg);
	kube_free(z);
	return rc;
}

/* validateConfigMapKeySelector() / validateSecretKeySelector() */
static void validate_key_selector(kube__val_ctx *c, json_object *sel)
{
	const char *key = kube__val_get_str_or(c, sel, "key", "");
	kube__val_check_name(c, "name", kube__check_dns1123_subdomain, kube__val_get_str_or(c, sel, "name", ""));
	if (!*key)
		kube__val_required(c, "key", NULL);
	else
		kube__val_check_name(c, "key", kube__val_check_config_key, key);
}

static const char *const env_field_paths[] = {
	"metadata.name", "metadata.namespace", "metadata.uid", "spec.nodeName",
	"spec.serviceAccountName", "status.hostIP", "status.hostIPs", "status.podIP",
	"status.podIPs", NULL,
};

/* Field labels podshelper.ConvertDownwardAPIFieldLabel() accepts for pods. */
static const char *const pod_field_labels[] = {
	"metadata.annotations", "metadata.labels", "metadata.name", "metadata.namespace",
	"metadata.uid", "spec.nodeName", "spec.restartPolicy", "spec.serviceAccountName",
	"spec.schedulerName", "status.phase", "status.hostIP", "status.hostIPs", "status.podIP",
	"status.podIPs", NULL,
};

/* validateObjectFieldSelector() for env vars, at "fieldRef". */
static void validate_field_ref(kube__val_ctx *c, json_object *fs)
{
	const char *api = kube__val_get_str_dflt(c, fs, "apiVersion", "v1");   /* defaulted */
	const char *fp = kube__val_get_str_or(c, fs, "fieldPath", "");
	const char *bracket;
	char path[256], detail[600];

	if (!*api) {
		kube__val_required(c, "apiVersion", NULL);
		return;
	}
	if (!*fp) {
		kube__val_required(c, "fieldPath", NULL);
		return;
	}
	/* SplitMaybeSubscriptedPath(): "metadata.labels['key']" */
	bracket = strchr(fp, '[');
	if (bracket && strlen(bracket) >= 4 && bracket[1] == '\'' &&
	    strcmp(bracket + strlen(bracket) - 2, "']") == 0 && (size_t)(bracket - fp) < sizeof(path)) {
		const char *sub = bracket + 2;
		size_t sublen = strlen(sub) - 2;
		char *key;

		memcpy(path, fp, (size_t)(bracket - fp));
		path[bracket - fp] = '\0';
		if (strcmp(api, "v1") != 0) {
			snprintf(detail, sizeof(detail), "error converting fieldPath: unsupported pod version: %s", api);
			kube__val_invalid(c, "fieldPath", kube__val_vstr(fp), detail);
			return;
		}
		if (strcmp(path, "metadata.annotations") != 0 && strcmp(path, "metadata.labels") != 0) {
			snprintf(detail, sizeof(detail),
			         "error converting fieldPath: field label does not support subscript: %s", path);
			kube__val_invalid(c, "fieldPath", kube__val_vstr(fp), detail);
			return;
		}
		key = kube_strndup(sub, sublen);
		if (!key) {
			c->oom = 1;
			return;
		}
		if (strcmp(path, "metadata.annotations") == 0)
			for (char *p = key; *p; p++)
				*p = (char)tolower((unsigned char)*p);
		kube__val_check_name(c, NULL, kube__check_qualified_name, key);
		kube_free(key);
		return;
	}
	if (strcmp(api, "v1") != 0) {
		snprintf(detail, sizeof(detail), "error converting fieldPath: unsupported pod version: %s", api);
		kube__val_invalid(c, "fieldPath", kube__val_vstr(fp), detail);
		return;
	}
	if (strcmp(fp, "spec.host") == 0)
		fp = "spec.nodeName";
	else if (!kube__val_is_one_of(fp, pod_field_labels)) {
		snprintf(detail, sizeof(detail), "error converting fieldPath: field label not supported: %s", fp);
		kube__val_invalid(c, "fieldPath", kube__val_vstr(fp), detail);
		return;
	}
	if (!kube__val_is_one_of(fp, env_field_paths))
		kube__val_not_supported(c, "fieldPath", kube__val_vstr(fp), env_field_paths);
}

static const char *const env_resource_paths[] = {
	"limits.cpu", "limits.ephemeral-storage", "limits.memory", "requests.cpu",
	"requests.ephemeral-storage", "requests.memory", NULL,
};

/* validateEnvVarValueFrom() at "valueFrom". */
static void validate_value_from(kube__val_ctx *c, json_object *ev, int has_value)
{
	json_object *vf, *m;
	int sources = 0;
	size_t mark;

	if (kube__val_get_map(c, ev, "valueFrom", &vf) != 1)
		return;
	mark = kube__val_push(c, "valueFrom");
	if (kube__val_get_map(c, vf, "fieldRef", &m) == 1) {
		size_t m2 = kube__val_push(c, "fieldRef");
		sources++;
		validate_field_ref(c, m);
		kube__val_pop(c, m2);
	}
	if (kube__val_get_map(c, vf, "resourceFieldRef", &m) == 1) {
		const char *res = kube__val_get_str_or(c, m, "resource", "");
		size_t m2 = kube__val_push(c, "resourceFieldRef");
		sources++;
		if (!*res)
			kube__val_required(c, "resource", NULL);
		else if (!kube__val_is_one_of(res, env_resource_paths) && !kube__val_has_prefix(res, "limits.hugepages-") &&
		         !kube__val_has_prefix(res, "requests.hugepages-"))
			kube__val_not_supported(c, "resource", kube__val_vstr(res), env_resource_paths);
		kube__val_pop(c, m2);
	}
	if (kube__val_get_map(c, vf, "configMapKeyRef", &m) == 1) {
		size_t m2 = kube__val_push(c, "configMapKeyRef");
		sources++;
		validate_key_selector(c, m);
		kube__val_pop(c, m2);
	}
	if (kube__val_get_map(c, vf, "secretKeyRef", &m) == 1) {
		size_t m2 = kube__val_push(c, "secretKeyRef");
		sources++;
		validate_key_selector(c, m);
		kube__val_pop(c, m2);
	}
	if (sources == 0)
		kube__val_invalid(c, NULL, kube__val_vstr(""), "must specify one of: `fieldRef`, `resourceFieldRef`, "
		                           "`configMapKeyRef` or `secretKeyRef`");
	else if (has_value)
		kube__val_invalid(c, NULL, kube__val_vstr(""), "may not be specified when `value` is not empty");
	else if (sources > 1)
		kube__val_invalid(c, NULL, kube__val_vstr(""), "may not have more than one field specified at a time");
	kube__val_pop(c, mark);
}

/* ValidateEnv() at "env". */
static void validate_env(kube__val_ctx *c, json_object *ctr)
{
	json_object *env;
	size_t mark;

	if (kube__val_get_array(c, ctr, "env", &env) != 1)
		return;
	mark = kube__val_push(c, "env");
	for (size_t i = 0; i < json_object_array_length(env); i++) {
		json_object *ev = json_object_array_get_idx(env, i);
		size_t m2 = kube__val_push_index(c, i);
		const char *name, *value;

		if (!ev || !json_object_is_type(ev, json_type_object)) {
			kube__val_type_problem(c, NULL, ev, "object");
			kube__val_pop(c, m2);
			continue;
		}
		name = kube__val_get_str_or(c, ev, "name", "");
		value = kube__val_get_str_or(c, ev, "value", "");
		if (!*name)
			kube__val_required(c, "name", NULL);
		else
			kube__val_check_name(c, "name", check_env_name, name);
		validate_value_from(c, ev, *value != '\0');
		kube__val_pop(c, m2);
	}
	kube__val_pop(c, mark);
}

/* ValidateEnvFrom() at "envFrom". */
static void validate_env_from(kube__val_ctx *c, json_object *ctr)
{
	static const char *const refs[] = { "configMapRef", "secretRef", NULL };
	json_object *list;
	size_t mark;

	if (kube__val_get_array(c, ctr, "envFrom", &list) != 1)
		return;
	mark = kube__val_push(c, "envFrom");
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		json_object *ev = json_object_array_get_idx(list, i), *ref;
		const char *prefix;
		size_t m2 = kube__val_push_index(c, i);
		int sources = 0;

		if (!ev || !json_object_is_type(ev, json_type_object)) {
			kube__val_type_problem(c, NULL, ev, "object");
			kube__val_pop(c, m2);
			continue;
		}
		prefix = kube__val_get_str_or(c, ev, "prefix", "");
		if (*prefix)
			kube__val_check_name(c, "prefix", check_env_name, prefix);
		for (size_t r = 0; refs[r]; r++) {
			if (kube__val_get_map(c, ev, refs[r], &ref) == 1) {
				const char *name = kube__val_get_str_or(c, ref, "name", "");
				size_t m3 = kube__val_push(c, refs[r]);
				sources++;
				if (!*name)
					kube__val_required(c, "name", NULL);
				else
					kube__val_check_name(c, "name", check_subdomain_prefix, name);
				kube__val_pop(c, m3);
			}
		}
		kube__val_pop(c, m2);
		if (sources == 0)
			kube__val_invalid(c, NULL, kube__val_vstr(""), "must specify one of: `configMapRef` or `secretRef`");
		else if (sources > 1)
			kube__val_invalid(c, NULL, kube__val_vstr(""), "may not have more than one field specified at a time");
	}
	kube__val_pop(c, mark);
}

/* validateLocalDescendingPath() at `child`. */
static void validate_local_descending_path(kube__val_ctx *c, const char *child, const char *p)
{
	if (p[0] == '/')
		kube__val_invalid(c, child, kube__val_vstr(p), "must be a relative path");
	for (const char *s = p; *s;) {
		const char *e = strchr(s, '/');
		size_t n = e ? (size_t)(e - s) : strlen(s);
		if (n == 2 && s[0] == '.' && s[1] == '.') {
			kube__val_invalid(c, child, kube__val_vstr(p), "must not contain '..'");
			break;
		}
		s += n;
		if (*s == '/')
			s++;
	}
}

/* ValidateVolumeMounts() at "volumeMounts"; `vols` are the valid volumes. */
static void validate_volume_mounts(kube__val_ctx *c, json_object *ctr, const kube__val_nameset *vols)
{
	json_object *mounts;
	kube__val_nameset paths = { 0 };
	size_t mark;

	if (kube__val_get_array(c, ctr, "volumeMounts", &mounts) != 1)
		return;
	mark = kube__val_push(c, "volumeMounts");
	for (size_t i = 0; i < json_object_array_length(mounts); i++) {
		json_object *m = json_object_array_get_idx(mounts, i);
		const char *name, *mp, *sub, *subexpr;
		size_t m2 = kube__val_push_index(c, i);

		if (!m || !json_object_is_type(m, json_type_object)) {
			kube__val_type_problem(c, NULL, m, "object");
			kube__val_pop(c, m2);
			continue;
		}
		name = kube__val_get_str_or(c, m, "name", "");
		mp = kube__val_get_str_or(c, m, "mountPath", "");
		sub = kube__val_get_str_or(c, m, "subPath", "");
		subexpr = kube__val_get_str_or(c, m, "subPathExpr", "");
		if (!*name)
			kube__val_required(c, "name", NULL);
		if (!kube__val_nameset_has(vols, name))
			kube__val_not_found(c, "name", kube__val_vstr(name));
		if (!*mp)
			kube__val_required(c, "mountPath", NULL);
		if (kube__val_nameset_has(&paths, mp))
			kube__val_invalid(c, "mountPath", kube__val_vstr(mp), "must be unique");
		kube__val_nameset_add(c, &paths, mp);
		kube__val_pop(c, m2);
		/* upstream reports these two on the list's path, not the item's */
		if (*sub)
			validate_local_descending_path(c, "subPath", sub);
		if (*subexpr) {
			if (*sub) {
				m2 = kube__val_push_index(c, i);
				kube__val_invalid(c, "subPathExpr", kube__val_vstr(subexpr), "subPathExpr and subPath are mutually exclusive");
				kube__val_pop(c, m2);
			}
			validate_local_descending_path(c, "subPathExpr", subexpr);
		}
	}
	kube__val_pop(c, mark);
	kube__val_nameset_free(&paths);
}

/* validateHandler() + validateProbe() at `child`. */
static void validate_probe(kube__val_ctx *c, json_object *ctr, const char *child, int liveness_like)
{
	static const char *const handlers[] = { "exec", "httpGet", "tcpSocket", "grpc", NULL };
	static const char *const counters[] = { "initialDelaySeconds", "timeoutSeconds", "periodSeconds",
	                                        "successThreshold", "failureThreshold", NULL };
	json_object *probe, *h;
	int handlers_seen = 0;
	int64_t v;
	size_t mark;

	if (kube__val_get_map(c, ctr, child, &probe) != 1)
		return;
	mark = kube__val_push(c, child);
	for (size_t i = 0; handlers[i]; i++) {
		if (kube__val_get_map(c, probe, handlers[i], &h) != 1)
			continue;
		if (handlers_seen++) {
			kube__val_forbidden(c, handlers[i], "may not specify more than 1 handler type");
			continue;
		}
		if (strcmp(handlers[i], "exec") == 0) {
			json_object *cmd;
			if (kube__val_get_array(c, h, "command", &cmd) >= 0 && (!cmd || json_object_array_length(cmd) == 0)) {
				size_t m2 = kube__val_push(c, "exec");
				kube__val_required(c, "command", NULL);
				kube__val_pop(c, m2);
			}
		} else if (strcmp(handlers[i], "grpc") == 0) {
			size_t m2 = kube__val_push(c, "grpc");
			if (kube__val_get_int32(c, h, "port", &v) >= 0)
				kube__val_valid_port_num(c, "port", v);
			kube__val_pop(c, m2);
		} else {
			kube__val_intstr port;
			size_t m2 = kube__val_push(c, handlers[i]);
			if (kube__val_get_intstr(c, h, "port", &port) >= 0) {
				if (!port.present)
					port.is_str = 0, port.i = 0;
				kube__val_validate_port_num_or_name(c, "port", &port);
			}
			kube__val_pop(c, m2);
		}
	}
	if (handlers_seen == 0)
		kube__val_required(c, NULL, "must specify a handler type");
	for (size_t i = 0; counters[i]; i++)
		kube__val_nonnegative_member(c, probe, counters[i]);
	if (kube__val_get_int64(c, probe, "terminationGracePeriodSeconds", &v) == 1 && v <= 0)
		kube__val_invalid(c, "terminationGracePeriodSeconds", kube__val_vint(v), "must be greater than 0");
	if (liveness_like && kube__val_get_int32(c, probe, "successThreshold", &v) == 1 && v != 1)
		kube__val_invalid(c, "successThreshold", kube__val_vint(v), "must be 1");
	kube__val_pop(c, mark);
}

static const char *const pull_policies[] = { "Always", "IfNotPresent", "Never", NULL };
static const char *const message_policies[] = { "File", "FallbackToLogsOnError", NULL };

/* ValidateSecurityContext(): the ID ranges (the privilege rules print
 * upstream's whole internal struct and are left out). */
static void validate_container_security_context(kube__val_ctx *c, json_object *ctr)
{
	static const char *const ids[] = { "runAsUser", "runAsGroup", NULL };
	json_object *sc;
	int64_t v;
	size_t mark;

	if (kube__val_get_map(c, ctr, "securityContext", &sc) != 1)
		return;
	mark = kube__val_push(c, "securityContext");
	for (size_t i = 0; ids[i]; i++)
		if (kube__val_get_int64(c, sc, ids[i], &v) == 1 && (v < 0 || v > INT32_MAX))
			kube__val_invalid(c, ids[i], kube__val_vint(v), "must be between 0 and 2147483647, inclusive");
	kube__val_pop(c, mark);
}

/* validateContainerCommon() at the container's path. */
static void validate_container_common(kube__val_ctx *c, json_object *ctr, const kube__val_nameset *vols)
{
	const char *name = kube__val_get_str_or(c, ctr, "name", "");
	const char *image = kube__val_get_str_or(c, ctr, "image", "");
	const char *tmp = kube__val_get_str_dflt(c, ctr, "terminationMessagePolicy", "File");
	const char *pull;

	if (!*name)
		kube__val_required(c, "name", NULL);
	else
		kube__val_check_name(c, "name", kube__check_dns1123_label, name);
	if (!*image)
		kube__val_required(c, "image", NULL);
	if (!*tmp)
		kube__val_required(c, "terminationMessagePolicy", NULL);
	else if (!kube__val_is_one_of(tmp, message_policies))
		kube__val_not_supported(c, "terminationMessagePolicy", kube__val_vstr(tmp), message_policies);
	validate_container_ports(c, ctr);
	validate_env(c, ctr);
	validate_env_from(c, ctr);
	validate_volume_mounts(c, ctr, vols);
	/* defaulted from the image's tag when absent */
	if (kube__val_get_string(c, ctr, "imagePullPolicy", &pull) == 1 && *pull) {
		if (!kube__val_is_one_of(pull, pull_policies))
			kube__val_not_supported(c, "imagePullPolicy", kube__val_vstr(pull), pull_policies);
	}
	validate_resources(c, ctr);
	validate_container_security_context(c, ctr);
}

/* validateContainers() at "containers"; fills `names` with every name. */
void kube__val_validate_containers(kube__val_ctx *c, json_object *spec, const kube__val_nameset *vols, kube__val_nameset *names)
{
	json_object *list;
	strset hostports = { 0 };
	size_t mark, n;

	if (kube__val_get_array(c, spec, "containers", &list) < 0)
		return;
	n = list ? json_object_array_length(list) : 0;
	if (n == 0) {
		kube__val_required(c, "containers", NULL);
		return;
	}
	mark = kube__val_push(c, "containers");
	for (size_t i = 0; i < n; i++) {
		json_object *ctr = json_object_array_get_idx(list, i);
		size_t m2 = kube__val_push_index(c, i);
		const char *name;

		if (!ctr || !json_object_is_type(ctr, json_type_object)) {
			kube__val_type_problem(c, NULL, ctr, "object");
			kube__val_pop(c, m2);
			continue;
		}
		validate_container_common(c, ctr, vols);
		name = kube__val_get_str_or(c, ctr, "name", "");
		if (kube__val_nameset_has(names, name))
			kube__val_duplicate(c, "name", kube__val_vstr(name));
		else
			kube__val_nameset_add(c, names, name);
		validate_probe(c, ctr, "livenessProbe", 1);
		validate_probe(c, ctr, "readinessProbe", 0);
		validate_probe(c, ctr, "startupProbe", 1);
		if (kube__val_member(ctr, "restartPolicy"))
			kube__val_forbidden(c, "restartPolicy", "may not be set for non-init containers");
		kube__val_pop(c, m2);
	}
	check_host_ports(c, list, 0, n, &hostports);
	strset_free(&hostports);
	kube__val_pop(c, mark);
}

/* validateInitContainers() at "initContainers". */
void kube__val_validate_init_containers(kube__val_ctx *c, json_object *spec, const kube__val_nameset *vols,
                                     kube__val_nameset *names)
{
	static const char *const always[] = { "Always", NULL };
	static const char *const probes[] = { "lifecycle", "livenessProbe", "readinessProbe",
	                                      "startupProbe", NULL };
	json_object *list;
	size_t mark;

	if (kube__val_get_array(c, spec, "initContainers", &list) != 1)
		return;
	mark = kube__val_push(c, "initContainers");
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		json_object *ctr = json_object_array_get_idx(list, i);
		size_t m2 = kube__val_push_index(c, i);
		const char *name, *rp = NULL;
		strset hostports = { 0 };
		int restart_always = 0;

		if (!ctr || !json_object_is_type(ctr, json_type_object)) {
			kube__val_type_problem(c, NULL, ctr, "object");
			kube__val_pop(c, m2);
			continue;
		}
		validate_container_common(c, ctr, vols);
		if (kube__val_get_string(c, ctr, "restartPolicy", &rp) == 1) {
			if (strcmp(rp, "Always") == 0)
				restart_always = 1;
			else
				kube__val_not_supported(c, "restartPolicy", kube__val_vstr(rp), always);
		}
		name = kube__val_get_str_or(c, ctr, "name", "");
		if (kube__val_nameset_has(names, name))
			kube__val_duplicate(c, "name", kube__val_vstr(name));
		else if (*name)
			kube__val_nameset_add(c, names, name);
		/* upstream checks each init container alone, as index 0 of the list */
		kube__val_pop(c, m2);
		check_host_ports(c, list, i, 1, &hostports);
		strset_free(&hostports);
		kube__val_push_index(c, i);
		if (restart_always) {
			validate_probe(c, ctr, "livenessProbe", 1);
			validate_probe(c, ctr, "readinessProbe", 0);
			validate_probe(c, ctr, "startupProbe", 1);
		} else {
			for (size_t p = 0; probes[p]; p++)
				if (kube__val_member(ctr, probes[p]))
					kube__val_forbidden(c, probes[p], "may not be set for init containers without "
					                        "restartPolicy=Always");
		}
		kube__val_pop(c, m2);
	}
	kube__val_pop(c, mark);
}

