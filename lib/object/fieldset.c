/*
 * fieldset.c - an object's field set, for field selectors.
 *
 * Upstream's registries expose per kind a fields.Set (ToSelectableFields
 * plus generic.ObjectMetaFieldsSet): metadata.name and metadata.namespace
 * for every object, and per-kind fields read from the typed object:
 *
 *   v1 Pod     spec.nodeName spec.restartPolicy spec.schedulerName
 *              spec.serviceAccountName spec.hostNetwork ("true"/"false")
 *              status.phase status.podIP (status.podIP, else
 *              status.podIPs[0].ip) status.nominatedNodeName; and
 *              spec.serviceAccountName is spec.serviceAccount when unset
 *   v1 Event   involvedObject.{kind,namespace,name,uid,apiVersion,
 *              resourceVersion,fieldPath} reason source (source.component)
 *              type
 *   events.k8s.io Event  the same names read from regarding.*, with source
 *              from deprecatedSource.component or else reportingController
 *
 * A field that is absent reads as "" (a Go struct's zero value).  Matching
 * resolves each term's field straight from the JSON tree, so
 * kube_field_selector_matches_object never allocates.
 */
#include <string.h>

#include "object_private.h"
#include "labels/labels_private.h"

enum okind { OK_OTHER, OK_POD, OK_EVENT_V1, OK_EVENT_EVENTS };

static enum okind kind_of(const kube_object *o)
{
	const char *kind = kube_object_kind(o), *av = kube_object_api_version(o);

	if (!kind || !av)
		return OK_OTHER;
	if (strcmp(kind, "Pod") == 0 && strcmp(av, "v1") == 0)
		return OK_POD;
	if (strcmp(kind, "Event") == 0) {
		if (strcmp(av, "v1") == 0)
			return OK_EVENT_V1;
		if (strncmp(av, "events.k8s.io/", 14) == 0)
			return OK_EVENT_EVENTS;
	}
	return OK_OTHER;
}

/* root.a.b as a string, or "" (absent, null or not a string). */
static const char *str2(json_object *root, const char *a, const char *b)
{
	json_object *x = NULL;

	if (!json_object_object_get_ex(root, a, &x) || !x)
		return "";
	if (b && (!json_object_is_type(x, json_type_object) ||
	          !json_object_object_get_ex(x, b, &x) || !x))
		return "";
	return json_object_is_type(x, json_type_string) ? json_object_get_string(x) : "";
}

/* status.podIP, else status.podIPs[0].ip: the conversion from v1 makes
 * podIP authoritative when both are set and differ, and the field set
 * reads the first of the converted podIPs. */
static const char *pod_ip(json_object *root)
{
	json_object *st = NULL, *ips = NULL;
	const char *ip = str2(root, "status", "podIP");

	if (*ip)
		return ip;
	if (json_object_object_get_ex(root, "status", &st) && st &&
	    json_object_is_type(st, json_type_object) &&
	    json_object_object_get_ex(st, "podIPs", &ips) && ips &&
	    json_object_is_type(ips, json_type_array) && json_object_array_length(ips) > 0) {
		json_object *first = json_object_array_get_idx(ips, 0), *first_ip = NULL;
		if (first && json_object_is_type(first, json_type_object) &&
		    json_object_object_get_ex(first, "ip", &first_ip) && first_ip &&
		    json_object_is_type(first_ip, json_type_string))
			return json_object_get_string(first_ip);
		return "";
	}
	return "";
}

static const char *host_network(json_object *root)
{
	json_object *spec = NULL, *hn = NULL;

	if (json_object_object_get_ex(root, "spec", &spec) && spec &&
	    json_object_is_type(spec, json_type_object) &&
	    json_object_object_get_ex(spec, "hostNetwork", &hn) && hn &&
	    json_object_is_type(hn, json_type_boolean) && json_object_get_boolean(hn))
		return "true";
	return "false";
}

static const char *const pod_fields[] = {
	"spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
	"spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName",
};

static const char *const event_fields[] = {
	"involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
	"involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion",
	"involvedObject.fieldPath", "reason", "source", "type",
};

/*
 * The value of field `name` for o, or NULL when o's kind has no such field
 * (which a selector reads as "").
 */
static const char *field_value(const kube_object *o, enum okind k, const char *name)
{
	json_object *root = kube__object_doc(o);

	if (strcmp(name, "metadata.name") == 0) {
		const char *v = kube_object_name(o);
		return v ? v : "";
	}
	if (strcmp(name, "metadata.namespace") == 0) {
		const char *v = kube_object_namespace(o);
		return v ? v : "";
	}
	if (k == OK_POD) {
		if (strcmp(name, "spec.hostNetwork") == 0)
			return host_network(root);
		if (strcmp(name, "status.podIP") == 0)
			return pod_ip(root);
		if (strcmp(name, "spec.serviceAccountName") == 0) {
			/* the conversion from v1 falls back on the deprecated name */
			const char *sa = str2(root, "spec", "serviceAccountName");
			return *sa ? sa : str2(root, "spec", "serviceAccount");
		}
		for (size_t i = 0; i < KUBE_ARRAY_SIZE(pod_fields); i++) {
			if (strcmp(name, pod_fields[i]) == 0) {
				const char *dot = strchr(name, '.');
				char top[8];
				size_t n = (size_t)(dot - name);
				memcpy(top, name, n);
				top[n] = '\0';
				return str2(root, top, dot + 1);
			}
		}
		return NULL;
	}
	if (k == OK_EVENT_V1 || k == OK_EVENT_EVENTS) {
		int events = k == OK_EVENT_EVENTS;
		if (strncmp(name, "involvedObject.", 15) == 0) {
			for (size_t i = 0; i < 7; i++)
				if (strcmp(name, event_fields[i]) == 0)
					return str2(root, events ? "regarding" : "involvedObject", name + 15);
			return NULL;
		}
		if (strcmp(name, "reason") == 0 || strcmp(name, "type") == 0)
			return str2(root, name, NULL);
		if (strcmp(name, "source") == 0) {
			if (!events)
				return str2(root, "source", "component");
			const char *s = str2(root, "deprecatedSource", "component");
			return *s ? s : str2(root, "reportingController", NULL);
		}
		return NULL;
	}
	return NULL;
}

int kube_field_selector_matches_object(const kube_field_selector *sel, const kube_object *o)
{
	enum okind k;

	if (!sel || !o)
		return 0;
	k = kind_of(o);
	for (size_t i = 0; i < kube_field_selector_term_count(sel); i++) {
		const char *field, *want, *have;
		kube_field_op op;
		if (kube_field_selector_term(sel, i, &field, &op, &want) != 0)
			return 0;
		have = field_value(o, k, field);
		if (!have)
			have = "";
		if ((strcmp(have, want) == 0) != (op == KUBE_FIELD_EQUALS))
			return 0;
	}
	return 1;
}

int kube_fields_from_object(kube_fields **out, const kube_object *o)
{
	kube_fields *f;
	enum okind k;
	int rc;

	KUBE_CHECK_ARG(out);
	*out = NULL;
	KUBE_CHECK_ARG(o);
	if ((rc = kube_fields_new(&f)) != 0)
		return rc;
	k = kind_of(o);
	rc = kube_fields_set(f, "metadata.name", field_value(o, k, "metadata.name"));
	if (!rc)
		rc = kube_fields_set(f, "metadata.namespace", field_value(o, k, "metadata.namespace"));
	if (k == OK_POD) {
		for (size_t i = 0; i < KUBE_ARRAY_SIZE(pod_fields) && !rc; i++)
			rc = kube_fields_set(f, pod_fields[i], field_value(o, k, pod_fields[i]));
	} else if (k == OK_EVENT_V1 || k == OK_EVENT_EVENTS) {
		for (size_t i = 0; i < KUBE_ARRAY_SIZE(event_fields) && !rc; i++)
			rc = kube_fields_set(f, event_fields[i], field_value(o, k, event_fields[i]));
	}
	if (rc) {
		kube_fields_free(f);
		return rc;
	}
	*out = f;
	return 0;
}
