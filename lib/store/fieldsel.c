/*
 * fieldsel.c - field selectors for list and watch: which fields each
 * resource accepts, and their values on an object.
 *
 * Parsing (grammar, escapes, upstream's error messages) is the labels
 * layer's kube_field_selector_parse.  On top of it, each term's field must
 * be one the resource's kind accepts, as kube-apiserver checks every term
 * through the kind's field label conversion function before listing:
 *
 *   pods                    metadata.name metadata.namespace spec.nodeName
 *                           spec.restartPolicy spec.schedulerName
 *                           spec.serviceAccountName spec.hostNetwork
 *                           status.phase status.podIP status.podIPs
 *                           status.nominatedNodeName; spec.host (old
 *                           clients) means spec.nodeName
 *   nodes                   metadata.name spec.unschedulable
 *   namespaces              metadata.name status.phase
 *   secrets                 metadata.name metadata.namespace type
 *   services                metadata.name metadata.namespace spec.clusterIP
 *                           spec.type
 *   replicationcontrollers  metadata.name metadata.namespace status.replicas
 *   events (v1)             metadata.name metadata.namespace
 *                           involvedObject.{kind,namespace,name,uid,
 *                           apiVersion,resourceVersion,fieldPath} reason
 *                           reportingComponent source type
 *   jobs (batch)            metadata.name metadata.namespace status.successful
 *   anything else           metadata.name metadata.namespace
 *
 * (pkg/apis/core/v1/conversion.go, pkg/apis/batch/v1/conversion.go; the
 * default is runtime.DefaultMetaV1FieldSelectorConversion.  apps/v1
 * registers no function, so replicasets take only the metadata fields,
 * whatever their registry's field set holds: kubernetes/kubernetes#135136.)
 * A refused field gets the function's own message: "field label not
 * supported: x"; Jobs: `field label "x" not supported for batchv1.Job`; the
 * default: `"x" is not a known field selector: only "metadata.name",
 * "metadata.namespace"`.
 *
 * Values are those of the registries' ToSelectableFields, read from the
 * JSON tree, or from a stored (compact) object's text without building
 * its tree: a missing string is "", a missing bool
 * "false" and a missing count "0" (a Go struct's zero values);
 * status.podIP is status.podIP, else status.podIPs[0].ip (the conversion
 * from v1 makes podIP authoritative, and the field set reads the first
 * converted podIPs); spec.serviceAccountName is the deprecated
 * spec.serviceAccount when unset (the conversion's fallback); an Event's
 * source is source.component, else reportingComponent; status.podIPs is
 * accepted but never set upstream, so it reads ""; Jobs' status.successful
 * is status.succeeded.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "object/object_private.h"
#include "store_private.h"

typedef enum vkind {
	V_NAME,          /* metadata.name */
	V_NAMESPACE,     /* metadata.namespace */
	V_STRING,        /* the string at path, "" */
	V_BOOL,          /* "true"/"false" at path, "false" */
	V_INT,           /* the integer at path, "0" */
	V_POD_IP,        /* status.podIP, else status.podIPs[0].ip */
	V_EVENT_SOURCE,  /* source.component, else reportingComponent */
	V_POD_SA,        /* spec.serviceAccountName, else spec.serviceAccount */
	V_UNSET          /* accepted but never set: "" */
} vkind;

typedef struct field_rule {
	const char *label;   /* what a selector may name */
	const char *path;    /* where the value is ("a.b", two levels at most) */
	vkind kind;
} field_rule;

typedef enum reject_style {
	R_NOT_SUPPORTED,     /* field label not supported: x */
	R_JOB,               /* field label "x" not supported for batchv1.Job */
	R_DEFAULT            /* "x" is not a known field selector: only ... */
} reject_style;

typedef struct kind_rules {
	const char *group, *resource;
	const field_rule *fields;    /* ends with a NULL label */
	reject_style reject;
} kind_rules;

#define META_NAME { "metadata.name", NULL, V_NAME }
#define META_NS   { "metadata.namespace", NULL, V_NAMESPACE }
#define END       { NULL, NULL, V_UNSET }

static const field_rule POD_FIELDS[] = {
	META_NAME, META_NS,
	{ "spec.nodeName", "spec.nodeName", V_STRING },
	{ "spec.host", "spec.nodeName", V_STRING },
	{ "spec.restartPolicy", "spec.restartPolicy", V_STRING },
	{ "spec.schedulerName", "spec.schedulerName", V_STRING },
	{ "spec.serviceAccountName", NULL, V_POD_SA },
	{ "spec.hostNetwork", "spec.hostNetwork", V_BOOL },
	{ "status.phase", "status.phase", V_STRING },
	{ "status.podIP", NULL, V_POD_IP },
	{ "status.podIPs", NULL, V_UNSET },
	{ "status.nominatedNodeName", "status.nominatedNodeName", V_STRING },
	END
};

static const field_rule NODE_FIELDS[] = {
	META_NAME,
	{ "spec.unschedulable", "spec.unschedulable", V_BOOL },
	END
};

static const field_rule NAMESPACE_FIELDS[] = {
	META_NAME,
	{ "status.phase", "status.phase", V_STRING },
	END
};

static const field_rule SECRET_FIELDS[] = {
	META_NAME, META_NS,
	{ "type", "type", V_STRING },
	END
};

static const field_rule SERVICE_FIELDS[] = {
	META_NAME, META_NS,
	{ "spec.clusterIP", "spec.clusterIP", V_STRING },
	{ "spec.type", "spec.type", V_STRING },
	END
};

static const field_rule RC_FIELDS[] = {
	META_NAME, META_NS,
	{ "status.replicas", "status.replicas", V_INT },
	END
};

static const field_rule EVENT_FIELDS[] = {
	META_NAME, META_NS,
	{ "involvedObject.kind", "involvedObject.kind", V_STRING },
	{ "involvedObject.namespace", "involvedObject.namespace", V_STRING },
	{ "involvedObject.name", "involvedObject.name", V_STRING },
	{ "involvedObject.uid", "involvedObject.uid", V_STRING },
	{ "involvedObject.apiVersion", "involvedObject.apiVersion", V_STRING },
	{ "involvedObject.resourceVersion", "involvedObject.resourceVersion", V_STRING },
	{ "involvedObject.fieldPath", "involvedObject.fieldPath", V_STRING },
	{ "reason", "reason", V_STRING },
	{ "reportingComponent", "reportingComponent", V_STRING },
	{ "source", NULL, V_EVENT_SOURCE },
	{ "type", "type", V_STRING },
	END
};

static const field_rule JOB_FIELDS[] = {
	META_NAME, META_NS,
	{ "status.successful", "status.succeeded", V_INT },
	END
};

static const field_rule DEFAULT_FIELDS[] = { META_NAME, META_NS, END };

static const kind_rules KINDS[] = {
	{ "", "pods", POD_FIELDS, R_NOT_SUPPORTED },
	{ "", "nodes", NODE_FIELDS, R_NOT_SUPPORTED },
	{ "", "namespaces", NAMESPACE_FIELDS, R_NOT_SUPPORTED },
	{ "", "secrets", SECRET_FIELDS, R_NOT_SUPPORTED },
	{ "", "services", SERVICE_FIELDS, R_NOT_SUPPORTED },
	{ "", "replicationcontrollers", RC_FIELDS, R_NOT_SUPPORTED },
	{ "", "events", EVENT_FIELDS, R_NOT_SUPPORTED },
	{ "batch", "jobs", JOB_FIELDS, R_JOB },
};

static const kind_rules DEFAULT_RULES = { NULL, NULL, DEFAULT_FIELDS, R_DEFAULT };

/* One term, its field resolved. */
typedef struct term {
	const field_rule *rule;
	const char *value;       /* borrowed from sel */
	int equals;
} term;

struct kube__fieldsel {
	kube_field_selector *sel;
	size_t n;
	term terms[];
};

static const kind_rules *rules_for(const char *resource)
{
	const kube_kind_info *k = resource ? kube__resource_info(resource) : NULL;

	if (k)
		for (size_t i = 0; i < sizeof(KINDS) / sizeof(KINDS[0]); i++)
			if (strcmp(KINDS[i].resource, k->resource) == 0 && strcmp(KINDS[i].group, k->group) == 0)
				return &KINDS[i];
	return &DEFAULT_RULES;
}

static int refuse(const kind_rules *r, const char *field)
{
	kube__buf b = KUBE__BUF_INIT;
	int rc;

	switch (r->reject) {
	case R_NOT_SUPPORTED:
		kube__buf_printf(&b, "field label not supported: %s", field);
		break;
	case R_JOB:
		kube__buf_puts(&b, "field label ");
		kube__go_quote(&b, field, strlen(field));
		kube__buf_puts(&b, " not supported for batchv1.Job");
		break;
	default:
		kube__go_quote(&b, field, strlen(field));
		kube__buf_puts(&b, " is not a known field selector: only \"metadata.name\", \"metadata.namespace\"");
		break;
	}
	rc = b.failed ? kube__error_oom() : kube__error_set(KUBE_EINVAL, NULL, "%s", b.data);
	kube__buf_free(&b);
	return rc;
}

void kube__fieldsel_free(kube__fieldsel *fs)
{
	if (!fs)
		return;
	kube_field_selector_free(fs->sel);
	kube_free(fs);
}

int kube__fieldsel_parse(kube__fieldsel **out, const char *resource, const char *text)
{
	const kind_rules *r = rules_for(resource);
	kube_field_selector *sel = NULL;
	kube__fieldsel *fs;
	size_t n;
	int rc;

	*out = NULL;
	if (!text || !*text)
		return 0;
	if ((rc = kube_field_selector_parse(&sel, text)) != 0)
		return rc;
	if (kube_field_selector_empty(sel)) {
		kube_field_selector_free(sel);
		return 0;
	}
	n = kube_field_selector_term_count(sel);
	if (!(fs = kube_calloc(1, sizeof(*fs) + n * sizeof(term)))) {
		kube_field_selector_free(sel);
		return kube__error_oom();
	}
	fs->sel = sel;
	fs->n = n;
	for (size_t i = 0; i < n; i++) {
		const char *field;
		kube_field_op op;
		const field_rule *f = r->fields;
		kube_field_selector_term(sel, i, &field, &op, &fs->terms[i].value);
		while (f->label && strcmp(f->label, field) != 0)
			f++;
		if (!f->label) {
			rc = refuse(r, field);
			kube__fieldsel_free(fs);
			return rc;
		}
		fs->terms[i].rule = f;
		fs->terms[i].equals = op == KUBE_FIELD_EQUALS;
	}
	*out = fs;
	return 0;
}

/* The node at "a" or "a.b" (NULL if absent, null, or under a non-map). */
static json_object *at(json_object *root, const char *path)
{
	const char *dot = strchr(path, '.');
	char first[64];
	json_object *x = NULL;

	if (!dot)
		return json_object_object_get_ex(root, path, &x) ? x : NULL;
	if ((size_t)(dot - path) >= sizeof(first))
		return NULL;
	memcpy(first, path, (size_t)(dot - path));
	first[dot - path] = '\0';
	if (!json_object_object_get_ex(root, first, &x) || !json_object_is_type(x, json_type_object))
		return NULL;
	return json_object_object_get_ex(x, dot + 1, &x) ? x : NULL;
}

static const char *str_at(json_object *root, const char *path)
{
	json_object *x = at(root, path);
	return x && json_object_is_type(x, json_type_string) ? json_object_get_string(x) : "";
}

/* ---- the same values read from a compact object's text ---- */

/* The offset of the value at "a" or "a.b" in the map at t[p], or SIZE_MAX. */
static size_t text_at(const char *t, size_t n, size_t p, const char *path)
{
	const char *dot = strchr(path, '.');
	char first[64];

	if (!dot)
		return kube__json_text_member(t, n, p, path);
	if ((size_t)(dot - path) >= sizeof(first))
		return SIZE_MAX;
	memcpy(first, path, (size_t)(dot - path));
	first[dot - path] = '\0';
	if ((p = kube__json_text_member(t, n, p, first)) == SIZE_MAX)
		return SIZE_MAX;
	return kube__json_text_member(t, n, p, dot + 1);
}

/* The string at path ("" when absent or not a string), in scratch. */
static const char *text_str(const char *t, size_t n, size_t p, const char *path, kube__buf *scratch)
{
	size_t v = text_at(t, n, p, path);

	if (v == SIZE_MAX || t[v] != '"' || kube__json_text_string(t, n, v, scratch) != 0 ||
	    scratch->failed || !scratch->data)
		return "";
	return scratch->data;
}

/* A JSON integer that fits int64 (what the tree holds as an int), else 0. */
static int64_t text_int(const char *t, size_t n, size_t v)
{
	size_t e = kube__json_text_skip(t, n, v), i = v;
	int neg = 0;
	uint64_t u = 0, lim;

	if (i < e && t[i] == '-') {
		neg = 1;
		i++;
	}
	if (i >= e)
		return 0;
	lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < e; i++) {
		unsigned d = (unsigned)(t[i] - '0');
		if (d > 9 || u > (lim - d) / 10)
			return 0;   /* a fraction, an exponent, or too big: a double */
		u = u * 10 + d;
	}
	return neg ? (u == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)u) : (int64_t)u;
}

static const char *text_value_of(const field_rule *f, const char *t, size_t n, char buf[24],
                                 kube__buf *scratch)
{
	const char *v;
	size_t x;

	switch (f->kind) {
	case V_STRING:
		return text_str(t, n, 0, f->path, scratch);
	case V_BOOL:
		x = text_at(t, n, 0, f->path);
		return x != SIZE_MAX && n - x >= 4 && memcmp(t + x, "true", 4) == 0 ? "true" : "false";
	case V_INT:
		x = text_at(t, n, 0, f->path);
		snprintf(buf, 24, "%" PRId64, x == SIZE_MAX ? (int64_t)0 : text_int(t, n, x));
		return buf;
	case V_POD_IP:
		v = text_str(t, n, 0, "status.podIP", scratch);
		if (*v)
			return v;
		x = text_at(t, n, 0, "status.podIPs");
		if (x != SIZE_MAX && t[x] == '[') {
			size_t first = x + 1;
			while (first < n && (t[first] == ' ' || t[first] == '\n' || t[first] == '\t' ||
			                     t[first] == '\r'))
				first++;
			if (first < n && t[first] != ']')
				return t[first] == '{' ? text_str(t, n, first, "ip", scratch) : "";
		}
		return "";
	case V_EVENT_SOURCE:
		v = text_str(t, n, 0, "source.component", scratch);
		return *v ? v : text_str(t, n, 0, "reportingComponent", scratch);
	case V_POD_SA:
		v = text_str(t, n, 0, "spec.serviceAccountName", scratch);
		return *v ? v : text_str(t, n, 0, "spec.serviceAccount", scratch);
	default:
		return "";
	}
}

/* The term's field on obj; buf holds numbers, scratch strings read from a
 * compact object's text (which is walked rather than parsed, so a watch
 * with a field selector leaves the objects it filters compact). */
static const char *value_of(const field_rule *f, const kube_object *obj, char buf[24],
                            kube__buf *scratch)
{
	json_object *root, *x;
	const char *v, *text;
	size_t len;

	switch (f->kind) {
	case V_NAME:
		v = kube_object_name(obj);
		return v ? v : "";
	case V_NAMESPACE:
		v = kube_object_namespace(obj);
		return v ? v : "";
	default:
		break;
	}
	if ((text = kube__object_text(obj, &len)) != NULL)
		return text_value_of(f, text, len, buf, scratch);
	root = kube__object_doc(obj);
	switch (f->kind) {
	case V_STRING:
		return str_at(root, f->path);
	case V_BOOL:
		x = at(root, f->path);
		return x && json_object_is_type(x, json_type_boolean) && json_object_get_boolean(x) ? "true"
		                                                                                   : "false";
	case V_INT:
		x = at(root, f->path);
		snprintf(buf, 24, "%" PRId64, x && json_object_is_type(x, json_type_int) ? json_object_get_int64(x) : 0);
		return buf;
	case V_POD_IP:
		v = str_at(root, "status.podIP");
		if (*v)
			return v;
		x = at(root, "status.podIPs");
		if (x && json_object_is_type(x, json_type_array) && json_object_array_length(x) > 0) {
			json_object *first = json_object_array_get_idx(x, 0);
			return first && json_object_is_type(first, json_type_object) ? str_at(first, "ip") : "";
		}
		return "";
	case V_EVENT_SOURCE:
		v = str_at(root, "source.component");
		return *v ? v : str_at(root, "reportingComponent");
	case V_POD_SA:
		v = str_at(root, "spec.serviceAccountName");
		return *v ? v : str_at(root, "spec.serviceAccount");
	default:
		return "";
	}
}

int kube__fieldsel_matches(const kube__fieldsel *fs, const kube_object *obj)
{
	kube__buf scratch = KUBE__BUF_INIT;
	char buf[24];
	int ok = 1;

	if (!fs)
		return 1;
	for (size_t i = 0; i < fs->n && ok; i++) {
		const term *t = &fs->terms[i];
		int eq = strcmp(value_of(t->rule, obj, buf, &scratch), t->value) == 0;
		if (eq != t->equals)
			ok = 0;
	}
	kube__buf_free(&scratch);
	return ok;
}
