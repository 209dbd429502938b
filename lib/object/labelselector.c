/*
 * labelselector.c - metav1.LabelSelector (JSON) -> kube_selector.
 *
 * The rules are metav1.LabelSelectorAsSelector's:
 *   absent or null          -> labels.Nothing(): matches no set
 *   {} (no labels, no exprs)-> labels.Everything(): matches every set
 *   matchLabels k: v        -> k=v
 *   matchExpressions        -> In, NotIn, Exists, DoesNotExist; anything
 *                              else is "\"Op\" is not a valid label
 *                              selector operator"
 * Each requirement goes through kube_selector_add, which is
 * labels.NewRequirement, so messages are upstream's ("key: Invalid value:
 * ...", "values: Invalid value: null: for 'in', 'notin' operators, values
 * set can't be empty").  The first failing requirement stops the
 * conversion, as upstream; its path in the document is the error's field.
 * matchLabels are added first, in document order, then the expressions;
 * the selector's stable key sort then gives upstream's order (Go's map
 * order is random, but matchLabels keys are unique, so only their order
 * relative to expressions on the same key shows, and that is "labels first").
 *
 * JSON that does not have the LabelSelector shape (matchLabels not a map of
 * strings, ...) fails with KUBE_EINVAL naming the field; upstream would
 * have failed earlier, when decoding.
 */
#include <stdio.h>
#include <string.h>

#include "object_private.h"
#include "labels/labels_private.h"

static int shape_error(const char *base, const char *sub, const char *what)
{
	char field[512];
	snprintf(field, sizeof(field), "%.300s%s%.200s", base ? base : "", base && *base ? "." : "", sub);
	return kube__error_set(KUBE_EINVAL, field, "%s: %s", field, what);
}

/* Re-raises the current error with `field` set (the message is kept). */
static int with_field(int rc, const char *field)
{
	char msg[2048];
	const kube_error *e = kube_error_last();

	if (rc == KUBE_ENOMEM || !e || !field || !*field)
		return rc;
	snprintf(msg, sizeof(msg), "%s", e->message);
	return kube__error_set(rc, field, "%s", msg);
}

static int compile(kube_selector **out, json_object *v, const char *base)
{
	kube_selector *sel = NULL;
	json_object *ml = NULL, *me = NULL;
	const char *inl[16], **vals = inl;
	char field[512];
	int rc;

	*out = NULL;
	if (v == NULL)
		return kube_selector_nothing(out);
	if (!json_object_is_type(v, json_type_object))
		return shape_error(base, "", "a label selector must be a map");
	json_object_object_get_ex(v, "matchLabels", &ml);
	json_object_object_get_ex(v, "matchExpressions", &me);
	if (ml && !json_object_is_type(ml, json_type_object))
		return shape_error(base, "matchLabels", "must be a map of strings");
	if (me && !json_object_is_type(me, json_type_array))
		return shape_error(base, "matchExpressions", "must be an array");
	if ((rc = kube_selector_new(&sel)) != 0)
		return rc;

	if (ml) {
		json_object_object_foreach(ml, key, val) {
			const char *s;
			if (!val || !json_object_is_type(val, json_type_string)) {
				snprintf(field, sizeof(field), "matchLabels[\"%s\"]", key);
				rc = shape_error(base, field, "must be a string");
				goto fail;
			}
			s = json_object_get_string(val);
			if ((rc = kube_selector_add(sel, key, KUBE_SELECTOR_EQUALS, &s, 1)) != 0) {
				snprintf(field, sizeof(field), "%s%smatchLabels[\"%s\"]", base ? base : "",
				         base && *base ? "." : "", key);
				rc = with_field(rc, field);
				goto fail;
			}
		}
	}
	for (size_t i = 0; me && i < json_object_array_length(me); i++) {
		json_object *e = json_object_array_get_idx(me, i), *k = NULL, *op = NULL, *vs = NULL;
		kube_selector_op sop;
		size_t nv = 0;
		const char *opname;

		snprintf(field, sizeof(field), "%s%smatchExpressions[%zu]", base ? base : "",
		         base && *base ? "." : "", i);
		if (!e || !json_object_is_type(e, json_type_object)) {
			rc = kube__error_set(KUBE_EINVAL, field, "%s: must be a map", field);
			goto fail;
		}
		json_object_object_get_ex(e, "key", &k);
		json_object_object_get_ex(e, "operator", &op);
		json_object_object_get_ex(e, "values", &vs);
		if ((k && !json_object_is_type(k, json_type_string)) ||
		    (op && !json_object_is_type(op, json_type_string)) ||
		    (vs && !json_object_is_type(vs, json_type_array))) {
			rc = kube__error_set(KUBE_EINVAL, field,
			                     "%s: key and operator must be strings, values an array", field);
			goto fail;
		}
		opname = op ? json_object_get_string(op) : "";
		if (strcmp(opname, "In") == 0) {
			sop = KUBE_SELECTOR_IN;
		} else if (strcmp(opname, "NotIn") == 0) {
			sop = KUBE_SELECTOR_NOT_IN;
		} else if (strcmp(opname, "Exists") == 0) {
			sop = KUBE_SELECTOR_EXISTS;
		} else if (strcmp(opname, "DoesNotExist") == 0) {
			sop = KUBE_SELECTOR_DOES_NOT_EXIST;
		} else {
			kube__buf m = KUBE__BUF_INIT;
			kube__go_quote(&m, opname, strlen(opname));
			kube__buf_puts(&m, " is not a valid label selector operator");
			rc = m.failed ? kube__error_oom() : kube__error_set(KUBE_EINVAL, field, "%s", m.data);
			kube__buf_free(&m);
			goto fail;
		}
		if (vs)
			nv = json_object_array_length(vs);
		if (nv > KUBE_ARRAY_SIZE(inl) && vals == inl) {
			vals = kube_malloc(nv * sizeof(*vals));
			if (!vals) {
				vals = inl;
				rc = kube__error_oom();
				goto fail;
			}
		} else if (nv > KUBE_ARRAY_SIZE(inl)) {
			const char **p = kube_realloc(vals, nv * sizeof(*vals));
			if (!p) {
				rc = kube__error_oom();
				goto fail;
			}
			vals = p;
		}
		for (size_t j = 0; j < nv; j++) {
			json_object *x = json_object_array_get_idx(vs, j);
			if (!x || !json_object_is_type(x, json_type_string)) {
				rc = kube__error_set(KUBE_EINVAL, field, "%s.values[%zu]: must be a string",
				                     field, j);
				goto fail;
			}
			vals[j] = json_object_get_string(x);
		}
		rc = kube_selector_add(sel, k ? json_object_get_string(k) : "", sop, vals, nv);
		if (rc) {
			rc = with_field(rc, field);
			goto fail;
		}
	}
	if (vals != inl)
		kube_free(vals);
	*out = sel;
	return 0;
fail:
	if (vals != inl)
		kube_free(vals);
	kube_selector_free(sel);
	return rc;
}

int kube_selector_from_object(kube_selector **out, const kube_object *o, const char *path)
{
	json_object *v = NULL;
	int rc;

	KUBE_CHECK_ARG(out);
	*out = NULL;
	KUBE_CHECK_ARG(o);
	KUBE_CHECK_ARG(path);
	rc = kube__json_path_get(kube__object_doc(o), path, &v, NULL);
	if (rc == KUBE_ENOTFOUND)
		v = NULL;
	else if (rc)
		return rc;
	return compile(out, v, path);
}

int kube_selector_from_json(kube_selector **out, const char *json, size_t len)
{
	json_tokener *tok;
	json_object *root;
	enum json_tokener_error jerr;
	size_t end;
	int rc;

	KUBE_CHECK_ARG(out);
	*out = NULL;
	KUBE_CHECK_ARG(json);
	if (len > INT32_MAX)
		return kube__error_set(KUBE_ETOOBIG, NULL, "label selector JSON too large");
	tok = json_tokener_new();
	if (!tok)
		return kube__error_oom();
	root = json_tokener_parse_ex(tok, json, (int)len);
	jerr = json_tokener_get_error(tok);
	end = json_tokener_get_parse_end(tok);
	if (jerr == json_tokener_continue) {
		end = len;
		/* flush a top-level number or literal that ends at the input's end */
		root = json_tokener_parse_ex(tok, "", 1);
		jerr = json_tokener_get_error(tok);
	}
	if (jerr != json_tokener_success) {
		rc = kube__error_set(KUBE_EINVAL, NULL, "label selector: invalid JSON: %s",
		                     json_tokener_error_desc(jerr));
		json_tokener_free(tok);
		json_object_put(root);
		return rc;
	}
	{
		for (size_t i = end; i < len; i++) {
			char c = json[i];
			if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
				json_tokener_free(tok);
				json_object_put(root);
				return kube__error_set(KUBE_EINVAL, NULL,
				                       "label selector: invalid JSON: data after the value");
			}
		}
	}
	json_tokener_free(tok);
	rc = compile(out, root, "");
	json_object_put(root);
	return rc;
}
