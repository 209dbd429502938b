/*
 * createtext.c - the text a create stores, made from the request's text.
 *
 * A create sets a few members of metadata (BeforeCreate upstream) and
 * stores the object's JSON.  Done on a tree, that is a parse, the edits,
 * an encoding and freeing the tree: for a pod of 2 KB, most of the loop
 * thread's work for a create.  When the request is compact JSON already
 * in the encoder's form (kube_store_create_json checks), this writes the
 * stored text directly: the request's bytes, metadata's members edited in
 * place.  The result is
 * byte for byte what the tree would encode to (fuzz_create checks), as
 * the store's text readers rely on (subresource.c says why).
 *
 * What the tree does (write.c, prepare_create), and so what this does:
 *   - namespace is removed for a cluster-scoped kind;
 *   - name (a generated one only), uid, creationTimestamp and generation
 *     are set: in place when the member is there (json-c replaces a value
 *     where its key is), else appended to metadata in that order;
 *   - deletionTimestamp, deletionGracePeriodSeconds, resourceVersion and
 *     selfLink are removed.
 */
#include <stdint.h>
#include <string.h>

#include "object/object_private.h"
#include "store_private.h"

static void put_member(kube__buf *b, int *first, const char *key, const char *value, int quoted)
{
	if (!*first)
		kube__buf_putc(b, ',');
	*first = 0;
	kube__buf_putc(b, '"');
	kube__buf_puts(b, key);
	kube__buf_put(b, "\":", 2);
	if (quoted)
		kube__buf_putc(b, '"');
	kube__buf_puts(b, value);
	if (quoted)
		kube__buf_putc(b, '"');
}

int kube__create_text(kube__buf *out, size_t *meta_end, const char *t, size_t n,
                      const kube__create_fields *f)
{
	static const char *const dropped[] = { "deletionTimestamp", "deletionGracePeriodSeconds",
	                                       "resourceVersion", "selfLink" };
	size_t md = kube__json_text_member(t, n, 0, "metadata"), close, p;
	int first = 1, set_name = 0, set_uid = 0, set_ts = 0, set_gen = 0;

	if (md == SIZE_MAX || t[md] != '{')
		return kube__error_set(KUBE_EINVAL, "metadata", "metadata: Required value");
	close = kube__json_text_skip(t, n, md) - 1;
	kube__buf_grow(out, n + 160);
	kube__buf_put(out, t, md + 1);
	for (p = md + 1; p < close && t[p] == '"';) {
		size_t ke = kube__json_text_skip(t, n, p);        /* past the key */
		size_t ve = kube__json_text_skip(t, n, ke + 1);   /* past ':' and the value */
		int drop = f->drop_namespace && kube__json_text_key_plain(t, p, ke, "namespace");

		for (size_t i = 0; i < KUBE_ARRAY_SIZE(dropped) && !drop; i++)
			drop = kube__json_text_key_plain(t, p, ke, dropped[i]);
		if (drop) {
			/* not stored */
		} else if (f->name && kube__json_text_key_plain(t, p, ke, "name")) {
			put_member(out, &first, "name", f->name, 1);
			set_name = 1;
		} else if (kube__json_text_key_plain(t, p, ke, "uid")) {
			put_member(out, &first, "uid", f->uid, 1);
			set_uid = 1;
		} else if (kube__json_text_key_plain(t, p, ke, "creationTimestamp")) {
			put_member(out, &first, "creationTimestamp", f->creation_timestamp, 1);
			set_ts = 1;
		} else if (kube__json_text_key_plain(t, p, ke, "generation")) {
			put_member(out, &first, "generation", "1", 0);
			set_gen = 1;
		} else {
			if (!first)
				kube__buf_putc(out, ',');
			first = 0;
			kube__buf_put(out, t + p, ve - p);
		}
		p = ve < close && t[ve] == ',' ? ve + 1 : ve;
	}
	if (f->name && !set_name)
		put_member(out, &first, "name", f->name, 1);
	if (!set_uid)
		put_member(out, &first, "uid", f->uid, 1);
	if (!set_ts)
		put_member(out, &first, "creationTimestamp", f->creation_timestamp, 1);
	if (!set_gen)
		put_member(out, &first, "generation", "1", 0);
	*meta_end = out->len;
	kube__buf_put(out, t + close, n - close);
	return out->failed ? kube__error_oom() : 0;
}
