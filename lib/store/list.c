/*
 * list.c - kube_store_list: filters, indexes, pages and continue tokens.
 *
 * A list walks keys in order from a start key: the whole key tree, an index
 * bucket (list by index value), or the label index's matches sorted by key
 * (a label selector with =, == or in).  A page ends after `limit` matches
 * and, when another match follows, hands out upstream's continue token:
 * base64url of {"v":"meta.k8s.io/v1","rv":<list revision>,"start":"<key
 * after the list prefix>\u0000"}.
 *
 * Pages after the first show the store as it was at the first page's
 * revision, as etcd's MVCC does.  The keys changed since then are found in
 * the watch ring; the "before" object of each key's earliest change there
 * is its state at that revision (none for a key created since), and it
 * replaces the current state in the walk:
 *
 *   current keys  a ─ b ─ c ─ d          ring after rev: b MODIFIED (prev b0)
 *   at rev        a ─ b0 ─ c ─ (d new)                   d ADDED    (prev -)
 *
 * A token older than the ring is KUBE_EGONE, like a compacted revision.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "object/object_private.h"
#include "store_private.h"

/* ---- continue tokens: base64url(JSON {"v","rv","start"}) as upstream ---- */

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

static char *b64url_encode(const unsigned char *in, size_t n)
{
	char *out = kube_malloc((n + 2) / 3 * 4 + 1), *p = out;

	if (!out)
		return NULL;
	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16;
		if (i + 1 < n)
			v |= (uint32_t)in[i + 1] << 8;
		if (i + 2 < n)
			v |= in[i + 2];
		*p++ = B64[(v >> 18) & 63];
		*p++ = B64[(v >> 12) & 63];
		if (i + 1 < n)
			*p++ = B64[(v >> 6) & 63];
		if (i + 2 < n)
			*p++ = B64[v & 63];
	}
	*p = '\0';
	return out;
}

/* Go's base64.RawURLEncoding: no padding; errors name the offending byte. */
static int b64url_decode(const char *in, kube__buf *out)
{
	size_t n = strlen(in);
	uint32_t acc = 0;
	int bits = 0;

	if (n % 4 == 1)
		return kube__error_set(KUBE_EINVAL, NULL,
		                       "continue key is not valid: illegal base64 data at input byte %zu", n - 1);
	for (size_t i = 0; i < n; i++) {
		const char *p = strchr(B64, in[i]);
		if (!p || !in[i])
			return kube__error_set(KUBE_EINVAL, NULL,
			                       "continue key is not valid: illegal base64 data at input byte %zu", i);
		acc = (acc << 6) | (uint32_t)(p - B64);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			kube__buf_putc(out, (char)((acc >> bits) & 0xff));
		}
	}
	return out->failed ? kube__error_oom() : 0;
}

static char *encode_continue(int64_t rev, const char *rel_key)
{
	kube__buf j = KUBE__BUF_INIT;
	char *tok;

	kube__buf_printf(&j, "{\"v\":\"meta.k8s.io/v1\",\"rv\":%lld,\"start\":\"", (long long)rev);
	for (const char *p = rel_key; *p; p++) {
		if (*p == '"' || *p == '\\')
			kube__buf_putc(&j, '\\');
		kube__buf_putc(&j, *p);
	}
	kube__buf_puts(&j, "\\u0000\"}");
	if (j.failed) {
		kube__buf_free(&j);
		return NULL;
	}
	tok = b64url_encode((const unsigned char *)j.data, j.len);
	kube__buf_free(&j);
	return tok;
}

/* path.Clean("/" + key) == "/" + key, the check upstream uses against
 * tokens that climb out of the listed prefix. */
static int clean_path(const char *k, size_t n)
{
	size_t i = 0;

	if (n == 0)
		return 1;
	if (k[n - 1] == '/')
		return 0;
	while (i < n) {
		size_t j = i;
		while (j < n && k[j] != '/')
			j++;
		size_t len = j - i;
		if (len == 0 || (len == 1 && k[i] == '.') || (len == 2 && k[i] == '.' && k[i + 1] == '.'))
			return 0;
		i = j + 1;
	}
	return 1;
}

/* Decodes a token into its revision and the absolute start key (copied into
 * *start, release with kube_free); *exclusive is 1 when the token's key ends
 * with NUL (start after that key). */
static int decode_continue(const char *tok, const char *prefix, int64_t *rev, char **start,
                           int *exclusive)
{
	kube__buf raw = KUBE__BUF_INIT;
	json_object *root = NULL, *v, *rv, *st;
	const char *sk;
	size_t sklen;
	int rc;

	if ((rc = b64url_decode(tok, &raw)) != 0)
		goto done;
	root = raw.data ? json_tokener_parse(raw.data) : NULL;
	if (!root || !json_object_is_type(root, json_type_object)) {
		rc = kube__error_set(KUBE_EINVAL, NULL, "continue key is not valid: not a JSON object");
		goto done;
	}
	if (!json_object_object_get_ex(root, "v", &v) || !json_object_is_type(v, json_type_string) ||
	    strcmp(json_object_get_string(v), "meta.k8s.io/v1") != 0) {
		rc = kube__error_set(KUBE_EINVAL, NULL,
		                     "continue key is not valid: server does not recognize this encoded version \"%s\"",
		                     v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : "");
		goto done;
	}
	if (!json_object_object_get_ex(root, "rv", &rv) || !json_object_is_type(rv, json_type_int) ||
	    json_object_get_int64(rv) <= 0) {
		rc = kube__error_set(KUBE_EINVAL, NULL,
		                     "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)");
		goto done;
	}
	if (!json_object_object_get_ex(root, "start", &st) || !json_object_is_type(st, json_type_string) ||
	    json_object_get_string_len(st) == 0) {
		rc = kube__error_set(KUBE_EINVAL, NULL,
		                     "continue key is not valid: encoded start key empty (version meta.k8s.io/v1)");
		goto done;
	}
	sk = json_object_get_string(st);
	sklen = (size_t)json_object_get_string_len(st);
	*exclusive = sk[sklen - 1] == '\0';
	if (memchr(sk, '\0', sklen - (size_t)*exclusive) || !clean_path(sk, sklen - (size_t)*exclusive)) {
		rc = kube__error_set(KUBE_EINVAL, NULL, "continue key is not valid: %.*s",
		                     (int)(sklen - (size_t)*exclusive), sk);
		goto done;
	}
	*rev = json_object_get_int64(rv);
	kube__buf b = KUBE__BUF_INIT;
	kube__buf_puts(&b, prefix);
	kube__buf_put(&b, sk, sklen - (size_t)*exclusive);
	kube__buf_putc(&b, '\0');
	if (b.failed) {
		kube__buf_free(&b);
		rc = kube__error_oom();
		goto done;
	}
	*start = kube__buf_detach(&b, NULL);
	rc = 0;
done:
	json_object_put(root);
	kube__buf_free(&raw);
	return rc;
}

/* ---- list ---- */

/* A key's state at the list revision when it changed since. */
typedef struct change {
	const char *key;
	kube_object *obj;   /* NULL: the key did not exist then */
	size_t seq;
} change;

static int change_cmp(const void *a, const void *b)
{
	const change *x = a, *y = b;
	int c = strcmp(x->key, y->key);
	return c ? c : (x->seq < y->seq ? -1 : x->seq > y->seq);
}

static int collect_changes(kube_store *s, int64_t rev, const char *prefix, change **out, size_t *n)
{
	size_t plen = strlen(prefix), first = kube__ring_after(s, rev), m = 0;
	change *c;

	*out = NULL;
	*n = 0;
	if (first >= s->ring_len)
		return 0;
	if (!(c = kube_calloc(s->ring_len - first, sizeof(*c))))
		return kube__error_oom();
	for (size_t i = first; i < s->ring_len; i++) {
		kube__event *ev = kube__ring_at(s, i);
		if (strncmp(ev->key, prefix, plen) != 0)
			continue;
		c[m].key = ev->key;
		c[m].obj = ev->prev;
		c[m].seq = i;
		m++;
	}
	qsort(c, m, sizeof(*c), change_cmp);
	/* keep the earliest change of each key: its "before" is the state at rev */
	size_t w = 0;
	for (size_t i = 0; i < m; i++)
		if (w == 0 || strcmp(c[w - 1].key, c[i].key) != 0)
			c[w++] = c[i];
	*out = c;
	*n = w;
	return 0;
}

static int entry_key_cmp(const void *a, const void *b)
{
	return strcmp((*(kube__entry *const *)a)->key, (*(kube__entry *const *)b)->key);
}

/*
 * A list answered from the label index: the ids whose labels match, kept
 * when in range and passing the other filters, sorted by key.  Used when
 * the selector names exact values (so the matches are few) and the page
 * is at the current revision.
 */
static int list_by_labels(kube_store *s, const kube__filter *f, const char *prefix,
                          const char *pos, int inclusive, size_t limit, int64_t rev,
                          kube_object_list *list, char **cont)
{
	kube_label_index *li = kube__lindex_for(s, f->resource, f->resource_len, 0);
	size_t n = 0, m = 0, plen = strlen(prefix);
	uint32_t *ids = NULL;
	kube__entry **v = NULL;
	int rc;

	if (!li)
		return 0;
	if ((rc = kube_label_index_select(li, f->labels, &ids, &n)) != 0)
		return rc;
	if (n > 0 && !(v = kube_malloc(n * sizeof(*v)))) {
		kube_free(ids);
		return kube__error_oom();
	}
	for (size_t i = 0; i < n; i++) {
		kube__entry *e = ids[i] < s->nslots ? s->slots[ids[i]] : NULL;
		int c;
		if (!e || strncmp(e->key, prefix, plen) != 0)
			continue;
		c = strcmp(e->key, pos);
		if (c < 0 || (c == 0 && !inclusive))
			continue;
		if (kube__filter_matches(f, e->key, e->obj))
			v[m++] = e;
	}
	kube_free(ids);
	if (m > 1)
		qsort(v, m, sizeof(*v), entry_key_cmp);
	for (size_t i = 0; i < m && rc == 0; i++) {
		if (limit && i == limit) {
			if (cont && !(*cont = encode_continue(rev, v[i - 1]->key + plen)))
				rc = kube__error_oom();
			break;
		}
		rc = kube_object_list_append(list, v[i]->obj);
	}
	kube_free(v);
	return rc;
}

int kube_store_list(kube_object_list **out, kube_store *store, const char *resource,
                    const kube_list_options *opts, int64_t *revision, char **continue_token)
{
	kube_list_options def = KUBE_LIST_OPTIONS_INIT;
	kube__filter f;
	kube__index *idx = NULL;
	kube__tnode *root;
	kube_object_list *list = NULL;
	kube_index_values iv = { 0 };
	change *changes = NULL;
	size_t nchanges = 0, ci = 0, found = 0;
	char prefix[512], *pos = NULL, *last = NULL;
	int64_t rev;
	int rc, inclusive = 1;

	KUBE_CHECK_ARG(out);
	*out = NULL;
	if (continue_token)
		*continue_token = NULL;
	KUBE_CHECK_ARG(store);
	KUBE_CHECK_ARG(resource && *resource && !strchr(resource, '/'));
	if (!opts)
		opts = &def;
	KUBE_CHECK_ARG(opts->version >= 1 && opts->version <= KUBE_LIST_OPTIONS_VERSION);
	KUBE_CHECK_ARG(!opts->index == !opts->index_value);
	KUBE_CHECK_ARG(!opts->namespace_ || !strchr(opts->namespace_, '/'));
	if (opts->index && !(idx = kube__find_index(store, resource, opts->index)))
		return kube__error_set(KUBE_EINVAL, NULL, "Index with name %s does not exist", opts->index);
	if ((rc = kube__filter_init(&f, resource, opts->namespace_, opts->label_selector,
	                            opts->field_selector)) != 0)
		return rc;
	snprintf(prefix, sizeof(prefix), "%s/%s%s", resource, f.namespace_ ? f.namespace_ : "",
	         f.namespace_ ? "/" : "");
	rev = store->revision;
	if (opts->continue_token && *opts->continue_token) {
		int exclusive = 0;
		if ((rc = decode_continue(opts->continue_token, prefix, &rev, &pos, &exclusive)) != 0)
			goto done;
		inclusive = !exclusive;
		if (rev > store->revision) {
			rc = kube__error_set(KUBE_EINVAL, NULL,
			                     "continue key is not valid: incorrect encoded start resourceVersion (version meta.k8s.io/v1)");
			goto done;
		}
		if (rev < kube__ring_oldest_start(store)) {
			rc = kube__error_set(KUBE_EGONE, NULL,
			                     "The provided continue parameter is too old to display a consistent "
			                     "list result. You can start a new list without the continue parameter.");
			goto done;
		}
		if ((rc = collect_changes(store, rev, prefix, &changes, &nchanges)) != 0)
			goto done;
	} else if (!(pos = kube_strdup(prefix))) {
		rc = kube__error_oom();
		goto done;
	}
	if ((rc = kube_object_list_new(&list)) != 0)
		goto done;
	if (!idx && f.labels && nchanges == 0 && kube__selector_indexable(f.labels)) {
		if ((rc = list_by_labels(store, &f, prefix, pos, inclusive, opts->limit, rev, list,
		                         continue_token)) != 0)
			goto done;
		goto finish;
	}
	root = store->entries;
	if (idx)
		root = kube__index_members(idx, opts->index_value);
	size_t plen = strlen(prefix);
	for (;;) {
		kube__tnode *t = kube__tree_next(root, pos, inclusive);
		const char *key = NULL;
		kube_object *obj = NULL;
		int from_change = 0;

		if (t && strncmp(t->key, prefix, plen) != 0)
			t = NULL;
		while (ci < nchanges && (strcmp(changes[ci].key, pos) < 0 ||
		                         (!inclusive && strcmp(changes[ci].key, pos) == 0)))
			ci++;
		if (ci < nchanges && (!t || strcmp(changes[ci].key, t->key) <= 0)) {
			key = changes[ci].key;
			obj = changes[ci].obj;
			from_change = 1;
			ci++;
		} else if (t) {
			key = t->key;
			obj = ((kube__entry *)t->val)->obj;
		} else {
			break;
		}
		/* The next step starts after this key. */
		char *np = kube_strdup(key);
		if (!np) {
			rc = kube__error_oom();
			goto done;
		}
		kube_free(pos);
		pos = np;
		inclusive = 0;
		if (!from_change && nchanges) {
			/* A current key changed since rev: its state then is in changes
			 * (already consumed above when it sorted first). */
			size_t lo = 0, hi = nchanges;
			while (lo < hi) {
				size_t mid = (lo + hi) / 2;
				if (strcmp(changes[mid].key, key) < 0)
					lo = mid + 1;
				else
					hi = mid;
			}
			if (lo < nchanges && strcmp(changes[lo].key, key) == 0)
				continue;
		}
		if (!obj || !kube__filter_matches(&f, key, obj))
			continue;
		if (idx && from_change) {
			kube__index_values(idx, obj, &iv);
			if (!kube__values_contain(&iv, opts->index_value))
				continue;
		}
		if (opts->limit && found == opts->limit) {
			/* One more match exists: this page ends at the last one kept. */
			if (continue_token && !(*continue_token = encode_continue(rev, last + plen))) {
				rc = kube__error_oom();
				goto done;
			}
			break;
		}
		if ((rc = kube_object_list_append(list, obj)) != 0)
			goto done;
		found++;
		kube_free(last);
		if (!(last = kube_strdup(key))) {
			rc = kube__error_oom();
			goto done;
		}
	}
finish:
	if (revision)
		*revision = rev;
	*out = list;
	list = NULL;
	rc = 0;
done:
	if (rc && continue_token) {
		kube_free(*continue_token);
		*continue_token = NULL;
	}
	kube__values_clear(&iv);
	kube_free(iv.v);
	kube_object_list_free(list);
	kube_free(changes);
	kube_free(pos);
	kube_free(last);
	kube__filter_fini(&f);
	return rc;
}
