/*
 * subresource.c - the new text of an object written through a
 * subresource: /status (a new status, all else kept) and pods/binding
 * (spec.nodeName and the PodScheduled condition).
 *
 * Both change a few members of an object the store holds as compact text
 * (object.c), so they edit that text instead of parsing it into a tree,
 * changing the tree and encoding it again: the edits are spans of the old
 * text replaced by new encoded values, spliced in one pass.  What they
 * splice is what the encoder writes for the same values (compact, strings
 * as kube__json_put_string writes them), and new members go where setting
 * them on the tree would put them (last in their map), so the result is
 * byte for byte the encoding of the edited tree: the store's other text
 * readers (noop_by_text, spec_equal_text, the peek readers) rely on that.
 * write.c does the rest (preconditions, the write itself).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "object/object_private.h"
#include "store_private.h"

/* t[start..end) becomes rep[0..replen). */
typedef struct edit {
	size_t start, end;
	const char *rep;
	size_t replen;
} edit;

static int edit_cmp(const void *a, const void *b)
{
	const edit *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* Where metadata's closing brace is in t[0..n), or SIZE_MAX. */
static size_t meta_end_of(const char *t, size_t n)
{
	size_t v = kube__json_text_member(t, n, 0, "metadata");
	if (v == SIZE_MAX || t[v] != '{')
		return SIZE_MAX;
	return kube__json_text_skip(t, n, v) - 1;
}

/* out = t with the edits made (sorted here; they do not overlap),
 * allocated to size: it becomes the stored object's text. */
static int splice(kube__buf *out, size_t *meta_end, const char *t, size_t n, edit *ed, size_t ne)
{
	size_t at = 0, len = n;
	char *d;

	qsort(ed, ne, sizeof(*ed), edit_cmp);
	for (size_t i = 0; i < ne; i++)
		len = len - (ed[i].end - ed[i].start) + ed[i].replen;
	if (!(d = kube_malloc(len + 1)))
		return kube__error_oom();
	kube__buf_free(out);
	out->data = d;
	out->len = len;
	out->cap = len + 1;
	out->failed = 0;
	for (size_t i = 0; i < ne; i++) {
		memcpy(d, t + at, ed[i].start - at);
		d += ed[i].start - at;
		memcpy(d, ed[i].rep, ed[i].replen);
		d += ed[i].replen;
		at = ed[i].end;
	}
	memcpy(d, t + at, n - at);
	d[n - at] = '\0';
	*meta_end = meta_end_of(out->data, out->len);
	return 0;
}

/* The position of the closing brace of the map at t[v]. */
static size_t map_close(const char *t, size_t n, size_t v)
{
	return kube__json_text_skip(t, n, v) - 1;
}

/* An edit that adds member `"key":value` (already encoded as member) at
 * the end of the map at t[v]. */
static void add_member(edit *e, const char *t, size_t n, size_t v, kube__buf *member)
{
	size_t close = map_close(t, n, v);
	e->start = e->end = close;
	e->rep = member->data;
	e->replen = member->len;
	/* a map with members already needs a comma first: member starts
	 * with one, dropped for an empty map */
	if (close == v + 1 && member->len && member->data[0] == ',') {
		e->rep++;
		e->replen--;
	}
}

/*
 * Whether s[p..n) starts with a JSON value written exactly as the encoder
 * writes it, so that its bytes can be spliced without a tree: compact;
 * strings of plain bytes and well-formed UTF-8 (no escapes, no control
 * bytes: the encoder would write those otherwise); integers as int64
 * prints them; maps without a repeated key (a tree keeps one).  Returns
 * the offset past the value, or SIZE_MAX for "not sure": then the caller
 * decodes and encodes, which also says what is wrong with bad input.
 */
#define CANON_DEPTH 64                 /* well under the decoder's 256 */
#define CANON_KEYS 32                  /* a bigger map: not sure */

static size_t canon_value(const char *s, size_t n, size_t p, int depth);

static size_t canon_string(const char *s, size_t n, size_t p)
{
	if (p >= n || s[p] != '"')
		return SIZE_MAX;
	for (p++; p < n;) {
		unsigned char c = (unsigned char)s[p];
		if (c == '"')
			return p + 1;
		if (c < 0x20 || c == '\\')
			return SIZE_MAX;
		if (c < 0x80) {
			p++;
			continue;
		}
		size_t l = kube__utf8_len((const unsigned char *)s + p, n - p);
		if (!l)
			return SIZE_MAX;
		p += l;
	}
	return SIZE_MAX;
}

static size_t canon_number(const char *s, size_t n, size_t p)
{
	size_t d = p + (p < n && s[p] == '-'), e = d;

	while (e < n && s[e] >= '0' && s[e] <= '9')
		e++;
	if (e == d || e - d > 18 || (s[d] == '0' && e - d > 1))
		return SIZE_MAX;
	if (d > p && e - d == 1 && s[d] == '0')
		return SIZE_MAX;   /* -0: an integer 0 */
	if (e < n && (s[e] == '.' || s[e] == 'e' || s[e] == 'E'))
		return SIZE_MAX;   /* a float: kept as written, but let the decoder say */
	return e;
}

static size_t canon_value(const char *s, size_t n, size_t p, int depth)
{
	if (p >= n || depth > CANON_DEPTH)
		return SIZE_MAX;
	switch (s[p]) {
	case '"':
		return canon_string(s, n, p);
	case 't':
		return n - p >= 4 && memcmp(s + p, "true", 4) == 0 ? p + 4 : SIZE_MAX;
	case 'f':
		return n - p >= 5 && memcmp(s + p, "false", 5) == 0 ? p + 5 : SIZE_MAX;
	case 'n':
		return n - p >= 4 && memcmp(s + p, "null", 4) == 0 ? p + 4 : SIZE_MAX;
	case '[':
		if (++p < n && s[p] == ']')
			return p + 1;
		for (;;) {
			if ((p = canon_value(s, n, p, depth + 1)) == SIZE_MAX || p >= n)
				return SIZE_MAX;
			if (s[p] == ']')
				return p + 1;
			if (s[p++] != ',')
				return SIZE_MAX;
		}
	case '{': {
		size_t key[CANON_KEYS], klen[CANON_KEYS], nk = 0;
		if (++p < n && s[p] == '}')
			return p + 1;
		for (;;) {
			size_t ke = canon_string(s, n, p);
			if (ke == SIZE_MAX || ke >= n || s[ke] != ':' || nk == CANON_KEYS)
				return SIZE_MAX;
			for (size_t i = 0; i < nk; i++)
				if (klen[i] == ke - p && memcmp(s + key[i], s + p, ke - p) == 0)
					return SIZE_MAX;
			key[nk] = p;
			klen[nk++] = ke - p;
			if ((p = canon_value(s, n, ke + 1, depth + 1)) == SIZE_MAX || p >= n)
				return SIZE_MAX;
			if (s[p] == '}')
				return p + 1;
			if (s[p++] != ',')
				return SIZE_MAX;
		}
	}
	default:
		return s[p] == '-' || (s[p] >= '0' && s[p] <= '9') ? canon_number(s, n, p) : SIZE_MAX;
	}
}

int kube__json_canonical(const char *s, size_t n)
{
	return n > 0 && canon_value(s, n, 0, 0) == n;
}

/* The caller's status in the encoder's form, into enc: its own bytes when
 * they are that already, else decoded (checked) and encoded. */
static int canonical_status(kube__buf *enc, const char *status, size_t slen)
{
	kube_decode_options opts = KUBE_DECODE_OPTIONS_INIT;
	kube__docs docs = { 0 };
	int rc;

	if (slen && status[0] == '{' && canon_value(status, slen, 0, 0) == slen)
		return kube__buf_put(enc, status, slen);
	opts.format = KUBE_FORMAT_JSON;
	/* one level under the object, which must decode as stored */
	opts.max_depth = opts.max_depth - 1;
	if ((rc = kube__json_decode(&docs, status, slen, &opts)) != 0) {
		char why[256];
		snprintf(why, sizeof(why), "%s",
		         kube_error_last() && kube_error_last()->message ? kube_error_last()->message
		                                                         : kube_strerror(rc));
		return kube__error_set(rc, "status", "status: %s", why);
	}
	if (docs.count != 1 || !json_object_is_type(docs.items[0].root, json_type_object)) {
		kube__docs_free(&docs);
		return kube__error_set(KUBE_EINVAL, "status", "status: must be one JSON map");
	}
	rc = kube__json_encode(enc, docs.items[0].root, 0);
	kube__docs_free(&docs);
	return rc;
}

/* The built-in resources upstream serves a /status for (1.32). */
int kube__has_status(const char *resource)
{
	static const char *const with_status[] = {
		"pods", "nodes", "namespaces", "services", "persistentvolumes",
		"persistentvolumeclaims", "replicationcontrollers", "resourcequotas", "deployments",
		"replicasets", "statefulsets", "daemonsets", "jobs", "cronjobs",
		"horizontalpodautoscalers", "ingresses", "poddisruptionbudgets", "volumeattachments",
		"customresourcedefinitions",
	};
	for (size_t i = 0; i < sizeof(with_status) / sizeof(with_status[0]); i++)
		if (strcmp(resource, with_status[i]) == 0)
			return 1;
	return 0;
}

/*
 * A pod's QoS class is set at creation and immutable: upstream's pod status
 * strategy (PrepareForUpdate) keeps the stored one when the new status has
 * none or "" (old kubelets dropped it).  The stored value's bytes go into
 * enc, a new member last, as setting it on the tree puts it.
 */
static int keep_qos_class(kube__buf *enc, const char *old, size_t olen, size_t ost)
{
	size_t ov, nv, oe;
	kube__buf fixed = KUBE__BUF_INIT;

	if (ost == SIZE_MAX || old[ost] != '{' ||
	    (ov = kube__json_text_member(old, olen, ost, "qosClass")) == SIZE_MAX ||
	    old[ov] != '"' || old[ov + 1] == '"')
		return 0;   /* none stored: nothing to keep */
	oe = kube__json_text_skip(old, olen, ov);
	nv = kube__json_text_member(enc->data, enc->len, 0, "qosClass");
	if (nv != SIZE_MAX && !(enc->data[nv] == '"' && enc->data[nv + 1] == '"'))
		return 0;   /* the new status says one */
	if (nv != SIZE_MAX) {   /* "": the stored value in its place */
		kube__buf_put(&fixed, enc->data, nv);
		kube__buf_put(&fixed, old + ov, oe - ov);
		kube__buf_put(&fixed, enc->data + nv + 2, enc->len - nv - 2);
	} else {                /* absent: last */
		kube__buf_put(&fixed, enc->data, enc->len - 1);
		if (enc->len > 2)
			kube__buf_putc(&fixed, ',');
		kube__buf_puts(&fixed, "\"qosClass\":");
		kube__buf_put(&fixed, old + ov, oe - ov);
		kube__buf_putc(&fixed, '}');
	}
	if (fixed.failed) {
		kube__buf_free(&fixed);
		return kube__error_oom();
	}
	kube__buf_free(enc);
	*enc = fixed;
	return 0;
}

int kube__status_text(kube__buf *out, size_t *meta_end, int *same, const char *old, size_t olen,
                      const char *resource, const char *status, size_t slen)
{
	kube__buf enc = KUBE__BUF_INIT, member = KUBE__BUF_INIT;
	size_t v = kube__json_text_member(old, olen, 0, "status");
	edit e;
	int rc;

	*same = 0;
	if ((rc = canonical_status(&enc, status, slen)) != 0 ||
	    (strcmp(resource, "pods") == 0 && (rc = keep_qos_class(&enc, old, olen, v)) != 0)) {
		kube__buf_free(&enc);
		return rc;
	}
	if (v != SIZE_MAX) {
		e.start = v;
		e.end = kube__json_text_skip(old, olen, v);
		if (e.end - e.start == enc.len && memcmp(old + v, enc.data, enc.len) == 0) {
			*same = 1;
			kube__buf_free(&enc);
			return 0;
		}
		e.rep = enc.data;
		e.replen = enc.len;
	} else {
		kube__buf_puts(&member, ",\"status\":");
		kube__buf_put(&member, enc.data, enc.len);
		if (member.failed) {
			kube__buf_free(&enc);
			kube__buf_free(&member);
			return kube__error_oom();
		}
		add_member(&e, old, olen, 0, &member);
	}
	rc = splice(out, meta_end, old, olen, &e, 1);
	kube__buf_free(&enc);
	kube__buf_free(&member);
	return rc;
}

int kube__binding_text(kube__buf *out, size_t *meta_end, kube__buf *assigned, const char *old,
                       size_t olen, const char *node, const char *stamp, int64_t generation)
{
	kube__buf gen = KUBE__BUF_INIT, nn = KUBE__BUF_INIT, cond = KUBE__BUF_INIT;
	kube__buf m1 = KUBE__BUF_INIT, m2 = KUBE__BUF_INIT, m3 = KUBE__BUF_INIT;
	size_t md = kube__json_text_member(old, olen, 0, "metadata");
	size_t spec = kube__json_text_member(old, olen, 0, "spec");
	size_t st = kube__json_text_member(old, olen, 0, "status");
	size_t v;
	edit ed[4];
	size_t ne = 0;
	int rc;

	/* already bound: upstream refuses (the caller names the node) */
	if (spec != SIZE_MAX && old[spec] == '{' &&
	    (v = kube__json_text_member(old, olen, spec, "nodeName")) != SIZE_MAX && old[v] == '"' &&
	    old[v + 1] != '"') {
		if ((rc = kube__json_text_string(old, olen, v, assigned)) != 0)
			return rc == KUBE_ENOMEM ? rc
			                         : kube__error_set(KUBE_EIO, NULL,
			                                           "store: a stored pod's spec.nodeName does not read");
		return KUBE_ECONFLICT;
	}
	/* scheduling gates left: upstream refuses (the caller says so) */
	if (spec != SIZE_MAX && old[spec] == '{' &&
	    (v = kube__json_text_member(old, olen, spec, "schedulingGates")) != SIZE_MAX &&
	    old[v] == '[' && v + 1 < olen && old[v + 1] != ']')
		return KUBE_EBUSY;
	/* the values, encoded */
	kube__buf_printf(&gen, "%lld", (long long)generation);
	kube__json_put_string(&nn, node, strlen(node));
	kube__buf_puts(&cond, "{\"type\":\"PodScheduled\",\"status\":\"True\",\"lastProbeTime\":null,"
	                      "\"lastTransitionTime\":");
	kube__json_put_string(&cond, stamp, strlen(stamp));
	kube__buf_putc(&cond, '}');
	if (gen.failed || nn.failed || cond.failed) {
		rc = kube__error_oom();
		goto out;
	}

	/* metadata.generation */
	if (md != SIZE_MAX && old[md] == '{') {
		if ((v = kube__json_text_member(old, olen, md, "generation")) != SIZE_MAX) {
			ed[ne++] = (edit){ v, kube__json_text_skip(old, olen, v), gen.data, gen.len };
		} else {
			kube__buf_printf(&m1, ",\"generation\":%s", gen.data);
			add_member(&ed[ne++], old, olen, md, &m1);
		}
	}
	/* spec.nodeName: an empty (or non-string) one is replaced, else added */
	if (spec != SIZE_MAX && old[spec] == '{') {
		if ((v = kube__json_text_member(old, olen, spec, "nodeName")) != SIZE_MAX) {
			ed[ne++] = (edit){ v, kube__json_text_skip(old, olen, v), nn.data, nn.len };
		} else {
			kube__buf_puts(&m2, ",\"nodeName\":");
			kube__buf_put(&m2, nn.data, nn.len);
			add_member(&ed[ne++], old, olen, spec, &m2);
		}
	} else {
		kube__buf_puts(&m2, ",\"spec\":{\"nodeName\":");
		kube__buf_put(&m2, nn.data, nn.len);
		kube__buf_putc(&m2, '}');
		if (spec != SIZE_MAX)
			ed[ne++] = (edit){ spec, kube__json_text_skip(old, olen, spec), m2.data + 8, m2.len - 8 };
		else
			add_member(&ed[ne++], old, olen, 0, &m2);
	}
	/* status.conditions: PodScheduled replaced, else added last
	 * (upstream's UpdatePodCondition) */
	if (st != SIZE_MAX && old[st] == '{') {
		size_t cs, ce;
		if ((v = kube__json_text_member(old, olen, st, "conditions")) != SIZE_MAX && old[v] == '[') {
			if ((cs = kube__json_text_typed(old, olen, v, "PodScheduled", &ce)) != SIZE_MAX) {
				/* already True: it keeps its lastTransitionTime (as
				 * UpdatePodCondition; none is Go's zero time, null) */
				size_t sv = kube__json_text_member(old, olen, cs, "status");
				if (sv != SIZE_MAX && olen - sv >= 6 && memcmp(old + sv, "\"True\"", 6) == 0) {
					size_t tv = kube__json_text_member(old, olen, cs, "lastTransitionTime");
					cond.len = 0;
					kube__buf_puts(&cond, "{\"type\":\"PodScheduled\",\"status\":\"True\","
					                      "\"lastProbeTime\":null,\"lastTransitionTime\":");
					if (tv == SIZE_MAX)
						kube__buf_puts(&cond, "null");
					else
						kube__buf_put(&cond, old + tv, kube__json_text_skip(old, olen, tv) - tv);
					kube__buf_putc(&cond, '}');
					if (cond.failed) {
						rc = kube__error_oom();
						goto out;
					}
				}
				ed[ne++] = (edit){ cs, ce, cond.data, cond.len };
			} else {
				size_t close = kube__json_text_skip(old, olen, v) - 1;
				kube__buf_putc(&m3, ',');
				kube__buf_put(&m3, cond.data, cond.len);
				ed[ne] = (edit){ close, close, m3.data, m3.len };
				if (close == v + 1) {
					ed[ne].rep++;
					ed[ne].replen--;
				}
				ne++;
			}
		} else if (v != SIZE_MAX) {
			kube__buf_putc(&m3, '[');
			kube__buf_put(&m3, cond.data, cond.len);
			kube__buf_putc(&m3, ']');
			ed[ne++] = (edit){ v, kube__json_text_skip(old, olen, v), m3.data, m3.len };
		} else {
			kube__buf_puts(&m3, ",\"conditions\":[");
			kube__buf_put(&m3, cond.data, cond.len);
			kube__buf_putc(&m3, ']');
			add_member(&ed[ne++], old, olen, st, &m3);
		}
	} else {
		kube__buf_puts(&m3, ",\"status\":{\"conditions\":[");
		kube__buf_put(&m3, cond.data, cond.len);
		kube__buf_puts(&m3, "]}");
		if (st != SIZE_MAX)
			ed[ne++] = (edit){ st, kube__json_text_skip(old, olen, st), m3.data + 10, m3.len - 10 };
		else if (ne && ed[ne - 1].start == map_close(old, olen, 0)) {
			/* spec was added at the same place: one edit, spec first */
			kube__buf_put(&m2, m3.data, m3.len);
			ed[ne - 1].rep = m2.data;
			ed[ne - 1].replen = m2.len;
		} else {
			add_member(&ed[ne++], old, olen, 0, &m3);
		}
	}
	if (m1.failed || m2.failed || m3.failed) {
		rc = kube__error_oom();
		goto out;
	}
	rc = splice(out, meta_end, old, olen, ed, ne);
out:
	kube__buf_free(&gen);
	kube__buf_free(&nn);
	kube__buf_free(&cond);
	kube__buf_free(&m1);
	kube__buf_free(&m2);
	kube__buf_free(&m3);
	return rc;
}
