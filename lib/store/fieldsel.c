/*
 * fieldsel.c - field selectors for list and watch, matched on objects.
 *
 * Parsing (grammar, escapes, upstream's error messages) is the labels
 * layer's kube_field_selector_parse; matching is here, term by term against
 * the object's hot metadata or a path lookup, without building a field set
 * per object.  A missing field reads as "", so "spec.nodeName=" selects
 * unscheduled pods as it does upstream.
 *
 * TODO(store): upstream accepts only each resource's registered fields
 * (pods: metadata.*, spec.nodeName, spec.restartPolicy, spec.schedulerName,
 * spec.serviceAccountName, spec.hostNetwork, status.phase, status.podIP,
 * status.nominatedNodeName) and refuses others with "field label not
 * supported: x"; this matcher takes any path.  Switch to the object layer's
 * per-kind field sets (fieldset.c) when they land.
 */
#include <string.h>

#include "store_private.h"

struct kube__fieldsel {
	kube_field_selector *sel;
};

void kube__fieldsel_free(kube__fieldsel *fs)
{
	if (!fs)
		return;
	kube_field_selector_free(fs->sel);
	kube_free(fs);
}

int kube__fieldsel_parse(kube__fieldsel **out, const char *text)
{
	kube_field_selector *sel = NULL;
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
	if (!(*out = kube_calloc(1, sizeof(**out)))) {
		kube_field_selector_free(sel);
		return kube__error_oom();
	}
	(*out)->sel = sel;
	return 0;
}

static const char *field_value(const kube_object *obj, const char *field)
{
	const char *v = NULL;
	kube_value_type t;

	if (strcmp(field, "metadata.name") == 0)
		v = kube_object_name(obj);
	else if (strcmp(field, "metadata.namespace") == 0)
		v = kube_object_namespace(obj);
	/* get_type first: a missing field is normal here, not an error to raise */
	else if (kube_object_get_type(obj, field, &t) == 0 && t == KUBE_VALUE_STRING)
		kube_object_get_string(obj, field, &v);
	return v ? v : "";
}

int kube__fieldsel_matches(const kube__fieldsel *fs, const kube_object *obj)
{
	size_t n;

	if (!fs)
		return 1;
	n = kube_field_selector_term_count(fs->sel);
	for (size_t i = 0; i < n; i++) {
		const char *field, *value;
		kube_field_op op;
		kube_field_selector_term(fs->sel, i, &field, &op, &value);
		int eq = strcmp(field_value(obj, field), value) == 0;
		if (eq != (op == KUBE_FIELD_EQUALS))
			return 0;
	}
	return 1;
}
