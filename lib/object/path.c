/*
 * path.c - the path syntax that names a value inside an object.
 *
 *   path    := step ( '.' key | '[' index ']' | '[' bkey ']' | '["' qkey '"]' )*
 *   step    := key | '[' index ']' | '[' bkey ']' | '["' qkey '"]'
 *   key     := any bytes except '.', '[' (non-empty)
 *   bkey    := any bytes except ']' (non-empty): a map key, as upstream
 *              prints them in field paths (data[my.key])
 *   qkey    := any bytes, with \" and \\ escaped
 *   index   := decimal digits
 *
 * so "spec.containers[0].image" and 'metadata.annotations["a.b/c"]'.  An
 * index applied to a map looks up the digits as a key.  The
 * empty path names the root.  Paths are walked step by step without
 * allocating; a key is copied into a bounded stack buffer only because json-c
 * wants NUL-terminated keys.
 */
#include <string.h>

#include "object_private.h"
#include "path.h"

int kube__path_next(kube__path_cursor *c, kube__path_step *step)
{
	const char *p = c->p;

	if (*p == '\0')
		return 0;
	if (c->started) {
		if (*p == '.') {
			p++;
		} else if (*p != '[') {
			return kube__error_set(KUBE_EINVAL, NULL,
			                       "path \"%s\": expected '.' or '[' at offset %zu",
			                       c->path, (size_t)(p - c->path));
		}
	}
	c->started = 1;

	if (*p == '[' && p[1] == '"') {
		size_t n = 0;
		p += 2;
		while (*p && *p != '"') {
			if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
				p++;
			if (n + 1 >= sizeof(step->key))
				return kube__error_set(KUBE_EINVAL, NULL, "path \"%s\": key too long", c->path);
			step->key[n++] = *p++;
		}
		if (p[0] != '"' || p[1] != ']')
			return kube__error_set(KUBE_EINVAL, NULL,
			                       "path \"%s\": unterminated [\"...\"] key", c->path);
		step->key[n] = '\0';
		step->is_index = 0;
		c->p = p + 2;
		return 1;
	}
	if (*p == '[') {
		/* [N] is an index, or a map key made of digits; [key] a plain key
		 * (upstream prints map keys in field paths this way: data[key]) */
		const char *start = ++p;
		size_t n = strcspn(p, "]");
		size_t idx = 0;
		int digits = n > 0;

		if (p[n] != ']' || n == 0)
			return kube__error_set(KUBE_EINVAL, NULL,
			                       "path \"%s\": expected a key or number and ']' at offset %zu",
			                       c->path, (size_t)(start - c->path));
		if (n >= sizeof(step->key))
			return kube__error_set(KUBE_EINVAL, NULL, "path \"%s\": key too long", c->path);
		for (size_t i = 0; i < n && digits; i++) {
			if (p[i] < '0' || p[i] > '9' || idx > (SIZE_MAX - 9) / 10)
				digits = 0;
			else
				idx = idx * 10 + (size_t)(p[i] - '0');
		}
		memcpy(step->key, p, n);
		step->key[n] = '\0';
		step->index = idx;
		step->is_index = digits;
		c->p = p + n + 1;
		return 1;
	}

	size_t n = strcspn(p, ".[");
	if (n == 0)
		return kube__error_set(KUBE_EINVAL, NULL, "path \"%s\": empty key at offset %zu",
		                       c->path, (size_t)(p - c->path));
	if (n >= sizeof(step->key))
		return kube__error_set(KUBE_EINVAL, NULL, "path \"%s\": key too long", c->path);
	memcpy(step->key, p, n);
	step->key[n] = '\0';
	step->is_index = 0;
	c->p = p + n;
	return 1;
}

const char *kube__json_type_name(json_object *v)
{
	return kube__json_type_word(json_object_get_type(v));
}

const char *kube__json_type_word(enum json_type type)
{
	switch (type) {
	case json_type_null:    return "null";
	case json_type_boolean: return "bool";
	case json_type_double:  return "number";
	case json_type_int:     return "integer";
	case json_type_object:  return "map";
	case json_type_array:   return "array";
	case json_type_string:  return "string";
	}
	return "unknown";
}

int kube__path_not_found(kube__path_cursor *c)
{
	kube__path_step step;
	int rc;
	while ((rc = kube__path_next(c, &step)) == 1)
		;
	return rc < 0 ? rc : KUBE_ENOTFOUND;
}

int kube__path_cannot_index(const char *path, const char *type, size_t index)
{
	return kube__error_set(KUBE_EINVAL, path, "%s: cannot index a %s with [%zu]", path, type,
	                       index);
}

int kube__path_cannot_look_up(const char *path, const char *key, const char *type)
{
	return kube__error_set(KUBE_EINVAL, path, "%s: cannot look up key \"%s\" in a %s", path, key,
	                       type);
}

int kube__json_path_get(json_object *root, const char *path, json_object **out,
                        json_object **deepest)
{
	kube__path_cursor c = KUBE__PATH_CURSOR(path);
	kube__path_step step;
	json_object *cur = root;
	int rc;

	if (deepest)
		*deepest = root;
	while ((rc = kube__path_next(&c, &step)) == 1) {
		json_object *next = NULL;
		if (cur == NULL)
			goto notfound;
		if (step.is_index && !json_object_is_type(cur, json_type_object)) {
			if (!json_object_is_type(cur, json_type_array))
				return kube__path_cannot_index(path, kube__json_type_name(cur), step.index);
			if (step.index >= json_object_array_length(cur))
				goto notfound;
			next = json_object_array_get_idx(cur, step.index);
		} else {
			if (!json_object_is_type(cur, json_type_object))
				return kube__path_cannot_look_up(path, step.key, kube__json_type_name(cur));
			if (!json_object_object_get_ex(cur, step.key, &next))
				goto notfound;
		}
		cur = next;
		if (deepest && cur)
			*deepest = cur;
	}
	if (rc < 0)
		return rc;
	*out = cur;
	return 0;
notfound:
	return kube__path_not_found(&c);
}

