/*
 * labels.c - label sets: a compact, sorted map of label key -> value.
 *
 * A set is built rarely (once per object version) and read constantly (every
 * selector match, every index update), so it is laid out for the reader:
 *
 *   ents[]   {khash, vhash, off, klen, vlen}  sorted by (khash, klen, key)
 *   order[]  indexes into ents, sorted by key bytes (for callers)
 *   arena    "app\0web\0tier\0db\0..."        every string NUL-terminated
 *
 * ents[count] is a sentinel whose khash is UINT32_MAX (whenever ents
 * exists), so the matcher's merge needs no bounds check while it advances.
 *
 * Selectors keep their requirements in the same (hash, key) order, so a
 * match is one merge over two short sorted arrays that compares 32-bit
 * hashes and confirms equal hashes on the bytes; it never allocates.
 * Replacing a value appends the new pair to the arena and leaves the old
 * bytes as waste, reclaimed by compaction once waste is half the arena.
 *
 * Keys and values are validated with the base layer's validators, which
 * give upstream's messages.  A field set (kube__fieldset_new) is the same
 * structure without those rules: field selectors match arbitrary strings.
 */
#include <stdio.h>
#include <string.h>

#include "labels_private.h"

#define ARENA_MAX UINT32_MAX

static int reserve_ents(kube_labels *l, uint32_t need)
{
	uint32_t cap;
	size_t bytes;
	void *block;

	if (need <= l->cap)
		return 0;
	cap = l->cap ? l->cap * 2 : 4;
	while (cap < need)
		cap *= 2;
	bytes = (size_t)cap * (sizeof(kube__label_ent) + sizeof(uint32_t));
	block = kube_malloc(bytes);
	if (!block)
		return kube__error_oom();
	/* ents and order share one block: ents first, order after cap entries */
	if (l->count) {
		memcpy(block, l->ents, l->count * sizeof(kube__label_ent));
		memcpy((kube__label_ent *)block + cap, l->order, l->count * sizeof(uint32_t));
	}
	kube_free(l->ents);
	l->ents = block;
	l->order = (uint32_t *)((kube__label_ent *)block + cap);
	l->cap = cap;
	l->ents[l->count].khash = UINT32_MAX;   /* the sentinel, cap > count here */
	return 0;
}

/* Rewrites the arena without waste, into a buffer of at least `cap` bytes. */
static int compact(kube_labels *l, uint32_t cap)
{
	char *fresh = kube_malloc((size_t)cap + KUBE__PAD);
	uint32_t len = 0;

	if (!fresh)
		return kube__error_oom();
	for (uint32_t i = 0; i < l->count; i++) {
		kube__label_ent *e = &l->ents[i];
		uint32_t n = e->klen + e->vlen + 2;
		memcpy(fresh + len, l->arena + e->off, n);
		e->off = len;
		len += n;
	}
	kube_free(l->arena);
	l->arena = fresh;
	l->alen = len;
	l->acap = cap;
	l->waste = 0;
	return 0;
}

static int reserve_arena(kube_labels *l, size_t extra)
{
	size_t live = (size_t)l->alen - l->waste;
	size_t need, cap;

	if ((size_t)l->alen + extra <= l->acap)
		return 0;
	need = live + extra;
	if (need > ARENA_MAX)
		return kube__error_set(KUBE_ETOOBIG, NULL, "label set: more than 4 GiB of strings");
	/* grow unless compaction alone leaves a quarter free, so replacing
	 * values in a loop does not compact on every call */
	cap = l->acap ? l->acap : 64;
	while (cap < need + need / 4)
		cap *= 2;
	if (cap > ARENA_MAX)
		cap = ARENA_MAX;
	return compact(l, (uint32_t)cap);
}

static int new_set(kube_labels **out, uint32_t novalidate)
{
	kube_labels *l;

	*out = NULL;
	l = kube_calloc(1, sizeof(*l));
	if (!l)
		return kube__error_oom();
	l->novalidate = novalidate;
	*out = l;
	return 0;
}

int kube_labels_new(kube_labels **out)
{
	KUBE_CHECK_ARG(out);
	return new_set(out, 0);
}

int kube__fieldset_new(kube_labels **out)
{
	return new_set(out, 1);
}

void kube_labels_free(kube_labels *l)
{
	if (!l)
		return;
	kube_free(l->ents);
	kube_free(l->arena);
	kube_free(l);
}

/* Position of the first entry not below (h, key); *found when equal. */
static uint32_t lower_bound(const kube_labels *l, const char *key, uint32_t n, uint32_t h,
                            int *found)
{
	uint32_t lo = 0, hi = l->count;

	while (lo < hi) {
		uint32_t mid = lo + (hi - lo) / 2;
		const kube__label_ent *e = &l->ents[mid];
		if (kube__hkey_cmp(e->khash, kube__label_key(l, e), e->klen, h, key, n) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = lo < l->count && l->ents[lo].khash == h &&
	         kube__streq(kube__label_key(l, &l->ents[lo]), l->ents[lo].klen, key, n);
	return lo;
}

const kube__label_ent *kube__labels_find(const kube_labels *l, const char *key, uint32_t n,
                                         uint32_t h)
{
	int found;
	uint32_t i = lower_bound(l, key, n, h, &found);
	return found ? &l->ents[i] : NULL;
}

static int key_cmp(const char *a, uint32_t alen, const char *b, uint32_t blen)
{
	uint32_t n = alen < blen ? alen : blen;
	int c = memcmp(a, b, n);
	if (c)
		return c;
	return alen < blen ? -1 : alen > blen;
}

int kube__labels_put(kube_labels *l, const char *key, size_t klen, const char *value, size_t vlen)
{
	uint32_t h, pos, off;
	int found, rc;
	size_t need;

	if (klen > UINT32_MAX / 4 || vlen > UINT32_MAX / 4)
		return kube__error_set(KUBE_ETOOBIG, NULL, "label set: string too long");
	h = kube__strhash(key, klen);
	need = klen + vlen + 2;
	/* key and value may point into our own arena (a copy within a set) */
	if ((rc = reserve_ents(l, l->count + 2)) != 0)   /* + the sentinel */
		return rc;
	pos = lower_bound(l, key, (uint32_t)klen, h, &found);
	if (found) {
		kube__label_ent *e = &l->ents[pos];
		if (e->vlen == vlen && memcmp(kube__label_value(l, e), value, vlen) == 0)
			return 0;
	}
	if ((rc = reserve_arena(l, need)) != 0)
		return rc;
	off = l->alen;
	memcpy(l->arena + off, key, klen);
	l->arena[off + klen] = '\0';
	memcpy(l->arena + off + klen + 1, value, vlen);
	l->arena[off + klen + 1 + vlen] = '\0';
	l->alen += (uint32_t)need;

	if (found) {
		kube__label_ent *e = &l->ents[pos];
		l->waste += e->klen + e->vlen + 2;
		e->off = off;
		e->vlen = (uint32_t)vlen;
		e->vhash = kube__strhash(value, vlen);
		return 0;
	}

	/* insert into ents at pos; renumber order[] and insert by key bytes */
	memmove(&l->ents[pos + 1], &l->ents[pos], (l->count - pos) * sizeof(kube__label_ent));
	l->ents[pos] = (kube__label_ent){ h, kube__strhash(value, vlen), off, (uint32_t)klen,
	                                  (uint32_t)vlen };
	uint32_t opos = l->count;
	for (uint32_t i = 0; i < l->count; i++) {
		if (l->order[i] >= pos)
			l->order[i]++;
	}
	{
		uint32_t lo = 0, hi = l->count;
		while (lo < hi) {
			uint32_t mid = lo + (hi - lo) / 2;
			const kube__label_ent *e = &l->ents[l->order[mid]];
			if (key_cmp(kube__label_key(l, e), e->klen, key, (uint32_t)klen) < 0)
				lo = mid + 1;
			else
				hi = mid;
		}
		opos = lo;
	}
	memmove(&l->order[opos + 1], &l->order[opos], (l->count - opos) * sizeof(uint32_t));
	l->order[opos] = pos;
	l->count++;
	l->ents[l->count].khash = UINT32_MAX;
	return 0;
}

/* Splits a "; "-joined validator message into one field error per part. */
static void add_split(kube__ferrs *errs, const char *field, const char *bad, size_t badlen,
                      const char *joined)
{
	char part[1024];
	const char *p = joined;

	for (;;) {
		const char *end = strstr(p, "; ");
		size_t n = end ? (size_t)(end - p) : strlen(p);
		if (n >= sizeof(part))
			n = sizeof(part) - 1;
		memcpy(part, p, n);
		part[n] = '\0';
		kube__ferrs_invalid(errs, field, bad, badlen, part);
		if (!end)
			break;
		p = end + 2;
	}
}

int kube_labels_set(kube_labels *l, const char *key, const char *value)
{
	size_t klen, vlen;

	KUBE_CHECK_ARG(l);
	KUBE_CHECK_ARG(key);
	KUBE_CHECK_ARG(value);
	klen = strlen(key);
	vlen = strlen(value);
	if (!l->novalidate) {
		/* metav1 validation.ValidateLabels: one error per message, at the set's path */
		kube__buf msg = KUBE__BUF_INIT;
		kube__ferrs errs = KUBE__FERRS_INIT;
		int rc = 0;

		if (kube__check_qualified_name(key, klen, &msg) != 0) {
			add_split(&errs, "metadata.labels", key, klen, msg.data ? msg.data : "");
			kube__buf_free(&msg);
		}
		if (kube__check_label_value(value, vlen, &msg) != 0)
			add_split(&errs, "metadata.labels", value, vlen, msg.data ? msg.data : "");
		kube__buf_free(&msg);
		if (errs.count)
			rc = kube__ferrs_raise(&errs, NULL);
		kube__ferrs_free(&errs);
		if (rc)
			return rc;
	}
	return kube__labels_put(l, key, klen, value, vlen);
}

int kube_labels_remove(kube_labels *l, const char *key)
{
	uint32_t n, h, pos;
	int found;

	KUBE_CHECK_ARG(l);
	KUBE_CHECK_ARG(key);
	n = (uint32_t)strlen(key);
	h = kube__strhash(key, n);
	pos = lower_bound(l, key, n, h, &found);
	if (!found)
		return kube__error_set(KUBE_ENOTFOUND, NULL, "label %s not found", key);
	l->waste += l->ents[pos].klen + l->ents[pos].vlen + 2;
	memmove(&l->ents[pos], &l->ents[pos + 1], (l->count - pos - 1) * sizeof(kube__label_ent));
	uint32_t j = 0;
	for (uint32_t i = 0; i < l->count; i++) {
		if (l->order[i] == pos)
			continue;
		l->order[j++] = l->order[i] > pos ? l->order[i] - 1 : l->order[i];
	}
	l->count--;
	l->ents[l->count].khash = UINT32_MAX;
	return 0;
}

const char *kube_labels_get(const kube_labels *l, const char *key)
{
	const kube__label_ent *e;
	uint32_t n;

	if (!l || !key)
		return NULL;
	n = (uint32_t)strlen(key);
	e = kube__labels_find(l, key, n, kube__strhash(key, n));
	return e ? kube__label_value(l, e) : NULL;
}

int kube_labels_has(const kube_labels *l, const char *key)
{
	return kube_labels_get(l, key) != NULL;
}

size_t kube_labels_count(const kube_labels *l)
{
	return l ? l->count : 0;
}

int kube_labels_at(const kube_labels *l, size_t i, const char **key, const char **value)
{
	const kube__label_ent *e;

	KUBE_CHECK_ARG(l);
	if (i >= l->count)
		return kube__error_set(KUBE_ENOTFOUND, NULL, "label index %zu out of range (%u labels)",
		                       i, l->count);
	e = &l->ents[l->order[i]];
	if (key)
		*key = kube__label_key(l, e);
	if (value)
		*value = kube__label_value(l, e);
	return 0;
}

int kube_labels_copy(kube_labels **out, const kube_labels *src)
{
	kube_labels *l;
	int rc;

	KUBE_CHECK_ARG(out);
	*out = NULL;
	KUBE_CHECK_ARG(src);
	if ((rc = new_set(&l, src->novalidate)) != 0)
		return rc;
	if (src->count) {
		uint32_t live = src->alen - src->waste;
		if ((rc = reserve_ents(l, src->count + 1)) != 0 ||
		    !(l->arena = kube_malloc((size_t)live + KUBE__PAD))) {
			kube_labels_free(l);
			return rc ? rc : kube__error_oom();
		}
		l->acap = live;
		memcpy(l->ents, src->ents, (src->count + 1) * sizeof(kube__label_ent));
		memcpy(l->order, src->order, src->count * sizeof(uint32_t));
		l->count = src->count;
		/* copy only the live strings, re-pointing each entry */
		uint32_t len = 0;
		for (uint32_t i = 0; i < l->count; i++) {
			kube__label_ent *e = &l->ents[i];
			uint32_t n = e->klen + e->vlen + 2;
			memcpy(l->arena + len, src->arena + e->off, n);
			e->off = len;
			len += n;
		}
		l->alen = len;
	}
	*out = l;
	return 0;
}

int kube_labels_equal(const kube_labels *a, const kube_labels *b)
{
	if (a == b)
		return 1;
	if (!a || !b)
		return (a ? a->count : 0) == (b ? b->count : 0);
	if (a->count != b->count)
		return 0;
	for (uint32_t i = 0; i < a->count; i++) {
		const kube__label_ent *x = &a->ents[i], *y = &b->ents[i];
		if (x->khash != y->khash || x->vhash != y->vhash ||
		    !kube__streq(kube__label_key(a, x), x->klen, kube__label_key(b, y), y->klen) ||
		    !kube__streq(kube__label_value(a, x), x->vlen, kube__label_value(b, y), y->vlen))
			return 0;
	}
	return 1;
}

/*
 * Set.String() sorts the joined "key=value" strings, not the keys: "a.b=1"
 * comes before "a=2" because '.' < '='.  Keys never contain '=', so that is
 * the key order with a virtual '=' after each key.
 */
static int entry_string_cmp(const kube_labels *l, const kube__label_ent *x,
                            const kube__label_ent *y)
{
	const unsigned char *a = (const unsigned char *)kube__label_key(l, x);
	const unsigned char *b = (const unsigned char *)kube__label_key(l, y);
	uint32_t n = x->klen > y->klen ? x->klen : y->klen;

	for (uint32_t i = 0; i <= n; i++) {
		unsigned ca = i < x->klen ? a[i] : '=';
		unsigned cb = i < y->klen ? b[i] : '=';
		if (ca != cb)
			return ca < cb ? -1 : 1;
		if (i >= x->klen || i >= y->klen)
			break;
	}
	/* equal keys cannot occur in one set; fall back to the values */
	return key_cmp(kube__label_value(l, x), x->vlen, kube__label_value(l, y), y->vlen);
}

char *kube_labels_string(const kube_labels *l)
{
	kube__buf b = KUBE__BUF_INIT;
	uint32_t *idx;

	if (!l || l->count == 0)
		return kube_strdup("");
	idx = kube_malloc(l->count * sizeof(uint32_t));
	if (!idx)
		return NULL;
	/* insertion sort: label sets are small */
	for (uint32_t i = 0; i < l->count; i++) {
		uint32_t j = i;
		while (j > 0 && entry_string_cmp(l, &l->ents[idx[j - 1]], &l->ents[i]) > 0) {
			idx[j] = idx[j - 1];
			j--;
		}
		idx[j] = i;
	}
	for (uint32_t i = 0; i < l->count; i++) {
		const kube__label_ent *e = &l->ents[idx[i]];
		if (i)
			kube__buf_putc(&b, ',');
		kube__buf_put(&b, kube__label_key(l, e), e->klen);
		kube__buf_putc(&b, '=');
		kube__buf_put(&b, kube__label_value(l, e), e->vlen);
	}
	kube_free(idx);
	if (b.failed) {
		kube__buf_free(&b);
		return NULL;
	}
	return kube__buf_detach(&b, NULL);
}

/* ---- parsing "k=v,k2=v2" (labels.ConvertSelectorToLabelsMap) ---- */

/* Go's unicode.IsSpace for the code point starting at s (length in *w). */
static int go_space_at(const unsigned char *s, size_t n, size_t *w)
{
	*w = 1;
	if (n == 0)
		return 0;
	switch (s[0]) {
	case ' ': case '\t': case '\n': case '\v': case '\f': case '\r':
		return 1;
	}
	if (n >= 2 && s[0] == 0xC2 && (s[1] == 0x85 || s[1] == 0xA0)) {
		*w = 2;
		return 1;
	}
	if (n >= 3) {
		unsigned cp = ((unsigned)(s[0] & 0x0F) << 12) | ((unsigned)(s[1] & 0x3F) << 6) |
		              (s[2] & 0x3F);
		if ((s[0] & 0xF0) == 0xE0 && (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80 &&
		    (cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
		     cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000)) {
			*w = 3;
			return 1;
		}
	}
	return 0;
}

/* The byte length of the UTF-8 sequence ending at s[n-1], if it is a space. */
static int go_space_before(const unsigned char *s, size_t n, size_t *w)
{
	for (size_t k = 1; k <= 3 && k <= n; k++) {
		size_t ww;
		if (go_space_at(s + n - k, k, &ww) && ww == k) {
			*w = k;
			return 1;
		}
	}
	return 0;
}

static void trim_space(const char **s, size_t *n)
{
	size_t w;
	while (*n && go_space_at((const unsigned char *)*s, *n, &w)) {
		*s += w;
		*n -= w;
	}
	while (*n && go_space_before((const unsigned char *)*s, *n, &w))
		*n -= w;
}

int kube_labels_parse(kube_labels **out, const char *text)
{
	kube_labels *l;
	const char *p;
	int rc;

	KUBE_CHECK_ARG(out);
	*out = NULL;
	KUBE_CHECK_ARG(text);
	if ((rc = kube_labels_new(&l)) != 0)
		return rc;
	p = text;
	while (*text) {
		const char *end = strchr(p, ',');
		size_t n = end ? (size_t)(end - p) : strlen(p);
		const char *eq = memchr(p, '=', n);
		const char *key = p, *val;
		size_t klen, vlen;

		if (!eq || memchr(eq + 1, '=', n - (size_t)(eq - p) - 1)) {
			/* fmt %s of the []string from strings.Split: "[a b c]" */
			kube__buf m = KUBE__BUF_INIT;
			kube__buf_puts(&m, "invalid selector: [");
			for (size_t i = 0; i < n; i++)
				kube__buf_putc(&m, p[i] == '=' ? ' ' : p[i]);
			kube__buf_putc(&m, ']');
			rc = m.failed ? kube__error_oom()
			              : kube__error_set(KUBE_EINVAL, NULL, "%s", m.data);
			kube__buf_free(&m);
			goto fail;
		}
		klen = (size_t)(eq - p);
		val = eq + 1;
		vlen = n - klen - 1;
		trim_space(&key, &klen);
		trim_space(&val, &vlen);
		{
			kube__buf msg = KUBE__BUF_INIT;
			kube__ferrs errs = KUBE__FERRS_INIT;
			char field[400];
			if (kube__check_qualified_name(key, klen, &msg) != 0) {
				kube__ferrs_invalid(&errs, "<nil>", key, klen, msg.data ? msg.data : "");
			} else if (kube__check_label_value(val, vlen, &msg) != 0) {
				snprintf(field, sizeof(field), "[%.*s]", (int)klen, key);
				kube__ferrs_invalid(&errs, field, val, vlen, msg.data ? msg.data : "");
			}
			kube__buf_free(&msg);
			rc = errs.count ? kube__ferrs_raise(&errs, NULL) : 0;
			kube__ferrs_free(&errs);
			if (rc)
				goto fail;
		}
		if ((rc = kube__labels_put(l, key, klen, val, vlen)) != 0)
			goto fail;
		if (!end)
			break;
		p = end + 1;
	}
	*out = l;
	return 0;
fail:
	kube_labels_free(l);
	return rc;
}
