/*
 * codec.c - the public face of the codec: kube_decode, kube_encode and
 * kube_encode_list over the decoders and encoders of yaml.c and json.c.
 *
 * The decoders return every document of the stream as a bare json-c tree
 * (kube__docs), nulls included, and know nothing of objects.  This file
 * applies kubectl's rules on top: a document that is empty or null is
 * skipped, any other document must be a mapping, and each mapping becomes a
 * frozen kube_object that remembers where it came from.  It is all or
 * nothing: on any failure the partial list is dropped.
 *
 * Format detection (KUBE_FORMAT_AUTO) follows apimachinery's
 * YAMLOrJSONDecoder: after an optional UTF-8 BOM and whitespace, '{' or '['
 * means JSON, anything else YAML.  (So a YAML file that starts with a flow
 * mapping is read as JSON, exactly as kubectl does.)
 *
 * Options: a zero in max_document_bytes, max_depth or max_alias_nodes means
 * the default, so a zeroed struct with only `version` set is valid.
 */
#include <stdio.h>
#include <string.h>

#include "object_private.h"

int kube_decode_options_init(kube_decode_options *opts, unsigned int version)
{
	static const kube_decode_options defaults = KUBE_DECODE_OPTIONS_INIT;

	KUBE_CHECK_ARG(opts);
	if (version == 0 || version > KUBE_DECODE_OPTIONS_VERSION)
		return kube__error_set(KUBE_EINVAL, NULL,
		                       "kube_decode_options_init: unknown options version %u "
		                       "(this library knows 1 to %d)",
		                       version, KUBE_DECODE_OPTIONS_VERSION);
	*opts = defaults;
	opts->version = version;
	return 0;
}

void kube__docs_free(kube__docs *docs)
{
	if (!docs)
		return;
	for (size_t i = 0; i < docs->count; i++) {
		json_object_put(docs->items[i].root);
		kube__posmap_free(docs->items[i].pos);
	}
	kube_free(docs->items);
	docs->items = NULL;
	docs->count = docs->cap = 0;
}

int kube__docs_push(kube__docs *docs, json_object *root, int index, int line, int col,
                    kube__posmap *pos)
{
	if (docs->count == docs->cap) {
		size_t ncap = docs->cap ? docs->cap * 2 : 4;
		kube__doc *ni = kube_realloc(docs->items, ncap * sizeof(*ni));
		if (!ni)
			return kube__error_oom();
		docs->items = ni;
		docs->cap = ncap;
	}
	docs->items[docs->count++] = (kube__doc){ root, index, line, col, pos };
	return 0;
}

static kube_format sniff(const char *buf, size_t len)
{
	size_t i = 0;

	if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
		i = 3;
	while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' || buf[i] == '\n'))
		i++;
	return i < len && (buf[i] == '{' || buf[i] == '[') ? KUBE_FORMAT_JSON : KUBE_FORMAT_YAML;
}

static const char *yaml_kind(json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_array:   return "a sequence";
	case json_type_string:  return "a string";
	case json_type_int:     return "an integer";
	case json_type_double:  return "a number";
	case json_type_boolean: return "a boolean";
	default:                return "a mapping";
	}
}

static const char *json_kind(json_object *v)
{
	switch (json_object_get_type(v)) {
	case json_type_array:   return "an array";
	case json_type_string:  return "a string";
	case json_type_int:
	case json_type_double:  return "a number";
	case json_type_boolean: return "a boolean";
	default:                return "an object";
	}
}

/*
 * The object layer refused a document (say metadata.labels is a list): say
 * which document, and where the field is when positions were kept.
 */
static void adopt_error(int rc, const kube__doc *d, json_object *root)
{
	const kube_error *e = kube_error_last();
	char msg[1024], field[512];
	json_object *node = NULL, *deepest = NULL;
	int line = d->line, col = d->column;

	snprintf(msg, sizeof(msg), "%s", e && e->message ? e->message : kube_strerror(rc));
	snprintf(field, sizeof(field), "%s", e && e->field ? e->field : "");
	if (d->pos && field[0]) {
		if (kube__json_path_get(root, field, &node, &deepest) != 0 || !node)
			node = deepest;
		if (node)
			kube__posmap_lookup(d->pos, node, &line, &col);
	}
	kube__error_set(rc, field[0] ? field : NULL, "document %d, line %d, column %d: %s",
	                d->index, line, col, msg);
	kube__error_set_position(d->index, line, col);
}

int kube_decode(kube_object_list **out, const char *buf, size_t len,
                const kube_decode_options *opts)
{
	kube_decode_options o = KUBE_DECODE_OPTIONS_INIT;
	kube__docs docs = { 0 };
	kube_object_list *list = NULL;
	kube_format fmt;
	int rc;

	KUBE_CHECK_ARG(out);
	*out = NULL;
	KUBE_CHECK_ARG(buf || len == 0);
	if (opts) {
		if (opts->version == 0 || opts->version > KUBE_DECODE_OPTIONS_VERSION)
			return kube__error_set(KUBE_EINVAL, NULL,
			                       "kube_decode: unknown options version %u", opts->version);
		if (opts->format != KUBE_FORMAT_AUTO && opts->format != KUBE_FORMAT_JSON &&
		    opts->format != KUBE_FORMAT_YAML)
			return kube__error_set(KUBE_EINVAL, NULL, "kube_decode: unknown format %d",
			                       (int)opts->format);
		o = *opts;
	}
	if (!buf)
		buf = "";
	fmt = o.format == KUBE_FORMAT_AUTO ? sniff(buf, len) : o.format;
	rc = fmt == KUBE_FORMAT_JSON ? kube__json_decode(&docs, buf, len, &o)
	                             : kube__yaml_decode(&docs, buf, len, &o);
	if (rc)
		return rc;
	if ((rc = kube_object_list_new(&list)) != 0)
		goto fail;
	for (size_t i = 0; i < docs.count; i++) {
		kube__doc *d = &docs.items[i];
		kube_object *obj = NULL;
		json_object *keep;

		if (d->root == NULL)  /* empty or null document: skipped, as kubectl does */
			continue;
		if (!json_object_is_type(d->root, json_type_object)) {
			rc = kube__codec_error(KUBE_EINVAL, d->index, d->line, d->column,
			                       "expected %s, found %s",
			                       fmt == KUBE_FORMAT_JSON ? "an object" : "a mapping",
			                       fmt == KUBE_FORMAT_JSON ? json_kind(d->root)
			                                               : yaml_kind(d->root));
			goto fail;
		}
		keep = json_object_get(d->root);  /* to place an error in the tree */
		rc = kube__object_adopt(&obj, d->root);
		d->root = NULL;  /* adopted, or released by adopt on failure */
		if (rc)
			adopt_error(rc, d, keep);
		json_object_put(keep);
		if (rc)
			goto fail;
		kube__object_set_source(obj, d->index, d->line, d->column, d->pos);
		d->pos = NULL;
		rc = kube_object_list_append(list, obj);
		kube_object_unref(obj);
		if (rc)
			goto fail;
	}
	kube__docs_free(&docs);
	*out = list;
	return 0;
fail:
	kube_object_list_free(list);
	kube__docs_free(&docs);
	return rc;
}

static int check_format(kube_format format)
{
	if (format != KUBE_FORMAT_JSON && format != KUBE_FORMAT_YAML)
		return kube__error_set(KUBE_EINVAL, NULL,
		                       "encode: format must be KUBE_FORMAT_JSON or KUBE_FORMAT_YAML");
	return 0;
}

static int finish(kube__buf *b, int rc, char **out, size_t *len_out)
{
	if (rc == 0 && b->failed)
		rc = kube__error_oom();
	if (rc) {
		kube__buf_free(b);
		return rc;
	}
	*out = kube__buf_detach(b, len_out);
	return *out ? 0 : kube__error_oom();
}

/*
 * One object.  A store's objects are compact (object.c): compact JSON comes
 * from their text, anything else from a tree parsed for the call and
 * dropped, so encoding never makes a stored object build and keep its tree.
 */
static int encode_one(kube__buf *b, const kube_object *o, kube_format format, unsigned int flags)
{
	json_object *doc;
	int owned, rc;

	if (format == KUBE_FORMAT_JSON && flags == 0)
		return kube__object_put_json(b, o);
	if (!(doc = kube__object_doc_transient(o, &owned)))
		return KUBE_ENOMEM;
	rc = format == KUBE_FORMAT_JSON ? kube__json_encode(b, doc, flags) : kube__yaml_encode(b, doc);
	if (owned)
		json_object_put(doc);
	return rc;
}

int kube_encode(char **out, size_t *len_out, const kube_object *o, kube_format format,
                unsigned int flags)
{
	kube__buf b = KUBE__BUF_INIT;
	int rc;

	KUBE_CHECK_ARG(out);
	*out = NULL;
	if (len_out)
		*len_out = 0;
	KUBE_CHECK_ARG(o);
	if ((rc = check_format(format)) != 0)
		return rc;
	rc = encode_one(&b, o, format, flags);
	return finish(&b, rc, out, len_out);
}

/*
 * JSON lists are written around the items' own encodings; in pretty mode an
 * item is indented by re-indenting its lines (a JSON text has no raw newline
 * inside strings, so every '\n' starts a line of structure).
 */
static int put_json_item(kube__buf *b, const kube_object *o, unsigned int flags)
{
	kube__buf item = KUBE__BUF_INIT;
	int rc;

	if (!(flags & KUBE_ENCODE_PRETTY))
		return encode_one(b, o, KUBE_FORMAT_JSON, flags);
	rc = encode_one(&item, o, KUBE_FORMAT_JSON, flags);

	if (rc == 0 && (flags & KUBE_ENCODE_PRETTY)) {
		size_t n = item.len;
		while (n > 0 && item.data[n - 1] == '\n')
			n--;
		kube__buf_puts(b, "    ");
		for (size_t i = 0; i < n; i++) {
			kube__buf_putc(b, item.data[i]);
			if (item.data[i] == '\n')
				kube__buf_puts(b, "    ");
		}
	} else if (rc == 0) {
		kube__buf_put(b, item.data, item.len);
	}
	kube__buf_free(&item);
	return rc;
}

int kube_encode_list(char **out, size_t *len_out, const kube_object_list *list,
                     kube_format format, unsigned int flags)
{
	kube__buf b = KUBE__BUF_INIT;
	size_t n;
	int rc = 0, pretty = (flags & KUBE_ENCODE_PRETTY) != 0;

	KUBE_CHECK_ARG(out);
	*out = NULL;
	if (len_out)
		*len_out = 0;
	KUBE_CHECK_ARG(list);
	if ((rc = check_format(format)) != 0)
		return rc;
	n = kube_object_list_count(list);
	if (format == KUBE_FORMAT_YAML) {
		for (size_t i = 0; i < n && rc == 0; i++) {
			if (i)
				kube__buf_puts(&b, "---\n");
			rc = encode_one(&b, kube_object_list_get(list, i), KUBE_FORMAT_YAML, flags);
		}
		return finish(&b, rc, out, len_out);
	}
	kube__buf_puts(&b, pretty ? "{\n  \"apiVersion\": \"v1\",\n  \"kind\": \"List\",\n  \"items\": ["
	                          : "{\"apiVersion\":\"v1\",\"kind\":\"List\",\"items\":[");
	for (size_t i = 0; i < n && rc == 0; i++) {
		if (i)
			kube__buf_putc(&b, ',');
		if (pretty)
			kube__buf_putc(&b, '\n');
		rc = put_json_item(&b, kube_object_list_get(list, i), flags);
	}
	if (pretty)
		kube__buf_puts(&b, n ? "\n  ]\n}\n" : "]\n}\n");
	else
		kube__buf_puts(&b, "]}");
	return finish(&b, rc, out, len_out);
}
