/*
 * index.c - the label index: key -> value -> posting list of object ids.
 *
 *   keys[]   "app", "env", ...                 key id = position
 *   terms[]  {key id, value, postings[]}        one per (key, value) seen
 *   keytab / termtab                            open-addressing hash tables
 *                                               holding id + 1 (0 = empty)
 *   slots[id] {off, n + 1}                      object id -> its term ids,
 *   pool[]    term ids per object, by key id    n + 1 == 0 means "absent"
 *
 * Postings are sorted ascending so that a union of several values is a
 * merge and the answer comes out sorted.  Adding ids in increasing order
 * (the common case: a store hands out slots in order) appends.  Updates
 * move only the postings of the terms that changed.  The pool keeps each
 * object's term ids contiguous; replaced lists leave waste that compaction
 * reclaims once it passes half the pool.
 *
 * Hashes are the labels layer's FNV-1a, the same function label sets and
 * selectors store, so a set's precomputed hashes are reused as they are.
 *
 * A select compiles the selector against the dictionary (key ids, term ids
 * of the wanted values), picks the =/==/in requirement with the fewest
 * candidate ids, and checks each candidate's term list against the other
 * requirements.  Without such a requirement it scans every slot.
 */
#include <stdlib.h>
#include <string.h>

#include "labels_private.h"

typedef struct ikey {
	char *s;
	uint32_t len, hash;
} ikey;

typedef struct iterm {
	uint32_t key;
	uint32_t vhash;
	uint32_t vlen;
	char *v;
	uint32_t *post;
	uint32_t npost, cap;
} iterm;

typedef struct islot {
	uint32_t off;
	uint32_t n1;      /* number of terms + 1; 0 = no object with this id */
} islot;

struct kube_label_index {
	ikey *keys;
	uint32_t nkeys, capkeys;
	uint32_t *keytab;
	uint32_t keytab_cap;
	iterm *terms;
	uint32_t nterms, capterms;
	uint32_t *termtab;
	uint32_t termtab_cap;
	islot *slots;
	uint32_t nslots;
	uint32_t *pool;
	size_t plen, pcap, pwaste;
	size_t count;
	size_t bytes;     /* accounting for kube_label_index_memory */
};

static inline uint32_t mix(uint32_t h)
{
	h ^= h >> 16;
	h *= 0x7feb352dU;
	h ^= h >> 15;
	h *= 0x846ca68bU;
	h ^= h >> 16;
	return h;
}

static inline uint32_t term_hash(uint32_t key, uint32_t vhash)
{
	return mix(vhash ^ (key * 0x9E3779B1U));
}

static void *grow(kube_label_index *x, void *p, size_t oldbytes, size_t newbytes)
{
	void *q = kube_realloc(p, newbytes);
	if (q)
		x->bytes += newbytes - oldbytes;
	return q;
}

int kube_label_index_new(kube_label_index **out)
{
	kube_label_index *x;

	KUBE_CHECK_ARG(out);
	*out = NULL;
	x = kube_calloc(1, sizeof(*x));
	if (!x)
		return kube__error_oom();
	x->bytes = sizeof(*x);
	*out = x;
	return 0;
}

void kube_label_index_free(kube_label_index *x)
{
	if (!x)
		return;
	for (uint32_t i = 0; i < x->nkeys; i++)
		kube_free(x->keys[i].s);
	for (uint32_t i = 0; i < x->nterms; i++) {
		kube_free(x->terms[i].v);
		kube_free(x->terms[i].post);
	}
	kube_free(x->keys);
	kube_free(x->keytab);
	kube_free(x->terms);
	kube_free(x->termtab);
	kube_free(x->slots);
	kube_free(x->pool);
	kube_free(x);
}

/* ---- dictionary ---- */

static uint32_t find_key(const kube_label_index *x, const char *s, uint32_t len, uint32_t h)
{
	if (!x->keytab_cap)
		return UINT32_MAX;
	uint32_t mask = x->keytab_cap - 1;
	for (uint32_t i = mix(h) & mask;; i = (i + 1) & mask) {
		uint32_t k = x->keytab[i];
		if (!k)
			return UINT32_MAX;
		const ikey *e = &x->keys[k - 1];
		if (e->hash == h && kube__streq(e->s, e->len, s, len))
			return k - 1;
	}
}

static int rehash_keys(kube_label_index *x, uint32_t cap)
{
	uint32_t *t = kube_calloc(cap, sizeof(uint32_t));
	if (!t)
		return kube__error_oom();
	for (uint32_t k = 0; k < x->nkeys; k++) {
		uint32_t i = mix(x->keys[k].hash) & (cap - 1);
		while (t[i])
			i = (i + 1) & (cap - 1);
		t[i] = k + 1;
	}
	x->bytes += (size_t)(cap - x->keytab_cap) * sizeof(uint32_t);
	kube_free(x->keytab);
	x->keytab = t;
	x->keytab_cap = cap;
	return 0;
}

static int intern_key(kube_label_index *x, const char *s, uint32_t len, uint32_t h, uint32_t *out)
{
	uint32_t k = find_key(x, s, len, h);
	int rc;

	if (k != UINT32_MAX) {
		*out = k;
		return 0;
	}
	if ((x->nkeys + 1) * 2 > x->keytab_cap &&
	    (rc = rehash_keys(x, x->keytab_cap ? x->keytab_cap * 2 : 16)) != 0)
		return rc;
	if (x->nkeys == x->capkeys) {
		uint32_t cap = x->capkeys ? x->capkeys * 2 : 16;
		ikey *p = grow(x, x->keys, x->capkeys * sizeof(ikey), cap * sizeof(ikey));
		if (!p)
			return kube__error_oom();
		x->keys = p;
		x->capkeys = cap;
	}
	char *copy = kube_strndup(s, len);
	if (!copy)
		return kube__error_oom();
	x->bytes += len + 1;
	x->keys[x->nkeys] = (ikey){ copy, len, h };
	uint32_t i = mix(h) & (x->keytab_cap - 1);
	while (x->keytab[i])
		i = (i + 1) & (x->keytab_cap - 1);
	x->keytab[i] = ++x->nkeys;
	*out = x->nkeys - 1;
	return 0;
}

static uint32_t find_term(const kube_label_index *x, uint32_t key, const char *v, uint32_t vlen,
                          uint32_t vh)
{
	if (!x->termtab_cap)
		return UINT32_MAX;
	uint32_t mask = x->termtab_cap - 1;
	for (uint32_t i = term_hash(key, vh) & mask;; i = (i + 1) & mask) {
		uint32_t t = x->termtab[i];
		if (!t)
			return UINT32_MAX;
		const iterm *e = &x->terms[t - 1];
		if (e->key == key && e->vhash == vh && kube__streq(e->v, e->vlen, v, vlen))
			return t - 1;
	}
}

static int rehash_terms(kube_label_index *x, uint32_t cap)
{
	uint32_t *t = kube_calloc(cap, sizeof(uint32_t));
	if (!t)
		return kube__error_oom();
	for (uint32_t k = 0; k < x->nterms; k++) {
		uint32_t i = term_hash(x->terms[k].key, x->terms[k].vhash) & (cap - 1);
		while (t[i])
			i = (i + 1) & (cap - 1);
		t[i] = k + 1;
	}
	x->bytes += (size_t)(cap - x->termtab_cap) * sizeof(uint32_t);
	kube_free(x->termtab);
	x->termtab = t;
	x->termtab_cap = cap;
	return 0;
}

static int intern_term(kube_label_index *x, uint32_t key, const char *v, uint32_t vlen,
                       uint32_t vh, uint32_t *out)
{
	uint32_t t = find_term(x, key, v, vlen, vh);
	int rc;

	if (t != UINT32_MAX) {
		*out = t;
		return 0;
	}
	if ((x->nterms + 1) * 2 > x->termtab_cap &&
	    (rc = rehash_terms(x, x->termtab_cap ? x->termtab_cap * 2 : 64)) != 0)
		return rc;
	if (x->nterms == x->capterms) {
		uint32_t cap = x->capterms ? x->capterms * 2 : 64;
		iterm *p = grow(x, x->terms, x->capterms * sizeof(iterm), cap * sizeof(iterm));
		if (!p)
			return kube__error_oom();
		x->terms = p;
		x->capterms = cap;
	}
	char *copy = kube_strndup(v, vlen);
	if (!copy)
		return kube__error_oom();
	x->bytes += vlen + 1;
	x->terms[x->nterms] = (iterm){ key, vh, vlen, copy, NULL, 0, 0 };
	uint32_t i = term_hash(key, vh) & (x->termtab_cap - 1);
	while (x->termtab[i])
		i = (i + 1) & (x->termtab_cap - 1);
	x->termtab[i] = ++x->nterms;
	*out = x->nterms - 1;
	return 0;
}

/* ---- postings ---- */

static size_t lower_u32(const uint32_t *a, size_t n, uint32_t v)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (a[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int post_add(kube_label_index *x, iterm *t, uint32_t id)
{
	if (t->npost == t->cap) {
		uint32_t cap = t->cap ? t->cap + t->cap / 2 + 2 : 2;
		uint32_t *p = grow(x, t->post, t->cap * sizeof(uint32_t), cap * sizeof(uint32_t));
		if (!p)
			return kube__error_oom();
		t->post = p;
		t->cap = cap;
	}
	if (t->npost == 0 || t->post[t->npost - 1] < id) {
		t->post[t->npost++] = id;
		return 0;
	}
	size_t at = lower_u32(t->post, t->npost, id);
	memmove(&t->post[at + 1], &t->post[at], (t->npost - at) * sizeof(uint32_t));
	t->post[at] = id;
	t->npost++;
	return 0;
}

static void post_remove(kube_label_index *x, iterm *t, uint32_t id)
{
	size_t at = lower_u32(t->post, t->npost, id);
	if (at < t->npost && t->post[at] == id) {
		memmove(&t->post[at], &t->post[at + 1], (t->npost - at - 1) * sizeof(uint32_t));
		t->npost--;
	}
	if (t->npost == 0 && t->post) {
		x->bytes -= t->cap * sizeof(uint32_t);
		kube_free(t->post);
		t->post = NULL;
		t->cap = 0;
	}
}

/* ---- object records ---- */

static int ensure_slot(kube_label_index *x, uint32_t id)
{
	if (id < x->nslots)
		return 0;
	uint32_t n = x->nslots ? x->nslots : 1024;
	while (n <= id)
		n *= 2;
	if (n > KUBE_LABEL_INDEX_MAX_ID)
		n = KUBE_LABEL_INDEX_MAX_ID;
	islot *p = grow(x, x->slots, x->nslots * sizeof(islot), n * sizeof(islot));
	if (!p)
		return kube__error_oom();
	memset(p + x->nslots, 0, (n - x->nslots) * sizeof(islot));
	x->slots = p;
	x->nslots = n;
	return 0;
}

static int compact_pool(kube_label_index *x)
{
	uint32_t *fresh = kube_malloc((x->plen - x->pwaste + 1) * sizeof(uint32_t));
	size_t len = 0;

	if (!fresh)
		return kube__error_oom();
	for (uint32_t id = 0; id < x->nslots; id++) {
		islot *s = &x->slots[id];
		if (s->n1 > 1) {
			memcpy(fresh + len, x->pool + s->off, (s->n1 - 1) * sizeof(uint32_t));
			s->off = (uint32_t)len;
			len += s->n1 - 1;
		}
	}
	x->bytes -= x->pcap * sizeof(uint32_t);
	x->bytes += (x->plen - x->pwaste + 1) * sizeof(uint32_t);
	kube_free(x->pool);
	x->pool = fresh;
	x->pcap = x->plen - x->pwaste + 1;
	x->plen = len;
	x->pwaste = 0;
	return 0;
}

static int pool_reserve(kube_label_index *x, size_t extra)
{
	if (x->plen + extra <= x->pcap)
		return 0;
	if (x->pwaste > x->plen / 2) {
		int rc = compact_pool(x);
		if (rc)
			return rc;
		if (x->plen + extra <= x->pcap)
			return 0;
	}
	size_t cap = x->pcap ? x->pcap : 1024;
	while (cap < x->plen + extra)
		cap = cap + cap / 2;
	if (cap > UINT32_MAX)
		return kube__error_set(KUBE_ETOOBIG, NULL, "label index: too many labels");
	uint32_t *p = grow(x, x->pool, x->pcap * sizeof(uint32_t), cap * sizeof(uint32_t));
	if (!p)
		return kube__error_oom();
	x->pool = p;
	x->pcap = cap;
	return 0;
}

/* The term ids of a label set, interned, sorted by key id (into tids). */
static int terms_of(kube_label_index *x, const kube_labels *l, uint32_t *tids)
{
	uint32_t n = l ? l->count : 0;
	int rc;

	for (uint32_t i = 0; i < n; i++) {
		const kube__label_ent *e = &l->ents[i];
		uint32_t key = 0, t = 0;
		if ((rc = intern_key(x, kube__label_key(l, e), e->klen, e->khash, &key)) != 0 ||
		    (rc = intern_term(x, key, kube__label_value(l, e), e->vlen, e->vhash, &t)) != 0)
			return rc;
		/* insertion by key id: sets are small */
		uint32_t j = i;
		while (j > 0 && x->terms[tids[j - 1]].key > key) {
			tids[j] = tids[j - 1];
			j--;
		}
		tids[j] = t;
	}
	return 0;
}

static int store_object(kube_label_index *x, uint32_t id, const kube_labels *l, int replace)
{
	uint32_t inl[32], *tids = inl;
	uint32_t n = l ? l->count : 0;
	int rc;

	if (id >= KUBE_LABEL_INDEX_MAX_ID)
		return kube__error_set(KUBE_ERANGE, NULL, "label index: id %u is too large (max %u)",
		                       id, KUBE_LABEL_INDEX_MAX_ID - 1);
	if ((rc = ensure_slot(x, id)) != 0)
		return rc;
	if (x->slots[id].n1 && !replace)
		return kube__error_set(KUBE_EEXISTS, NULL, "label index: id %u is already indexed", id);
	if (n > KUBE_ARRAY_SIZE(inl) && !(tids = kube_malloc(n * sizeof(uint32_t))))
		return kube__error_oom();
	if ((rc = terms_of(x, l, tids)) != 0 || (rc = pool_reserve(x, n)) != 0)
		goto done;

	islot *s = &x->slots[id];
	const uint32_t *old = s->n1 ? x->pool + s->off : NULL;
	uint32_t nold = s->n1 ? s->n1 - 1 : 0;
	/* postings: add the new terms the object did not have, drop the gone ones */
	for (uint32_t i = 0; i < n; i++) {
		int had = 0;
		for (uint32_t j = 0; j < nold && !had; j++)
			had = old[j] == tids[i];
		if (!had && (rc = post_add(x, &x->terms[tids[i]], id)) != 0) {
			/* undo the postings added so far */
			for (uint32_t k = 0; k < i; k++) {
				int had2 = 0;
				for (uint32_t j = 0; j < nold && !had2; j++)
					had2 = old[j] == tids[k];
				if (!had2)
					post_remove(x, &x->terms[tids[k]], id);
			}
			goto done;
		}
	}
	for (uint32_t j = 0; j < nold; j++) {
		int kept = 0;
		for (uint32_t i = 0; i < n && !kept; i++)
			kept = old[j] == tids[i];
		if (!kept)
			post_remove(x, &x->terms[old[j]], id);
	}
	if (!s->n1)
		x->count++;
	x->pwaste += nold;
	s->off = (uint32_t)x->plen;
	s->n1 = n + 1;
	if (n)	/* the pool may still be NULL when an object has no labels */
		memcpy(x->pool + x->plen, tids, n * sizeof(uint32_t));
	x->plen += n;
done:
	if (tids != inl)
		kube_free(tids);
	return rc;
}

int kube_label_index_add(kube_label_index *x, uint32_t id, const kube_labels *labels)
{
	KUBE_CHECK_ARG(x);
	return store_object(x, id, labels, 0);
}

int kube_label_index_update(kube_label_index *x, uint32_t id, const kube_labels *labels)
{
	KUBE_CHECK_ARG(x);
	return store_object(x, id, labels, 1);
}

int kube_label_index_remove(kube_label_index *x, uint32_t id)
{
	KUBE_CHECK_ARG(x);
	if (id >= x->nslots || !x->slots[id].n1)
		return kube__error_set(KUBE_ENOTFOUND, NULL, "label index: id %u is not indexed", id);
	islot *s = &x->slots[id];
	for (uint32_t j = 0; j + 1 < s->n1; j++)
		post_remove(x, &x->terms[x->pool[s->off + j]], id);
	x->pwaste += s->n1 - 1;
	s->n1 = 0;
	s->off = 0;
	x->count--;
	return 0;
}

int kube_label_index_contains(const kube_label_index *x, uint32_t id)
{
	return x && id < x->nslots && x->slots[id].n1 != 0;
}

size_t kube_label_index_count(const kube_label_index *x)
{
	return x ? x->count : 0;
}

size_t kube_label_index_memory(const kube_label_index *x)
{
	return x ? x->bytes : 0;
}

/* ---- select ---- */

typedef struct creq {
	uint32_t op;
	uint32_t key;          /* UINT32_MAX: no object has this key */
	uint32_t nt;           /* term ids of the wanted values that exist */
	const uint32_t *t;
	int64_t num;
	size_t cost;           /* candidates, for =/==/in */
} creq;

static int creq_eval(const kube_label_index *x, const creq *r, const uint32_t *tids, uint32_t n)
{
	uint32_t found = UINT32_MAX;

	if (r->key != UINT32_MAX) {
		for (uint32_t i = 0; i < n; i++) {
			uint32_t k = x->terms[tids[i]].key;
			if (k == r->key) {
				found = tids[i];
				break;
			}
			if (k > r->key)
				break;
		}
	}
	int in = 0;
	if (found != UINT32_MAX)
		for (uint32_t j = 0; j < r->nt && !in; j++)
			in = r->t[j] == found;
	switch (r->op) {
	case KUBE_SELECTOR_EQUALS:
	case KUBE_SELECTOR_DOUBLE_EQUALS:
	case KUBE_SELECTOR_IN:
		return in;
	case KUBE_SELECTOR_NOT_EQUALS:
	case KUBE_SELECTOR_NOT_IN:
		return !in;
	case KUBE_SELECTOR_EXISTS:
		return found != UINT32_MAX;
	case KUBE_SELECTOR_DOES_NOT_EXIST:
		return found == UINT32_MAX;
	case KUBE_SELECTOR_GT:
	case KUBE_SELECTOR_LT: {
		int64_t v;
		if (found == UINT32_MAX ||
		    kube__parse_int64(x->terms[found].v, x->terms[found].vlen, &v) != 0)
			return 0;
		return r->op == KUBE_SELECTOR_GT ? v > r->num : v < r->num;
	}
	}
	return 0;
}

typedef struct idbuf {
	uint32_t *v;
	size_t n, cap;
} idbuf;

static int idbuf_push(idbuf *b, uint32_t id)
{
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 64;
		uint32_t *p = kube_realloc(b->v, cap * sizeof(uint32_t));
		if (!p)
			return kube__error_oom();
		b->v = p;
		b->cap = cap;
	}
	b->v[b->n++] = id;
	return 0;
}

static int passes(const kube_label_index *x, const creq *rs, size_t nr, size_t skip, uint32_t id)
{
	const islot *s = &x->slots[id];
	const uint32_t *tids = x->pool + s->off;
	uint32_t n = s->n1 - 1;
	for (size_t i = 0; i < nr; i++)
		if (i != skip && !creq_eval(x, &rs[i], tids, n))
			return 0;
	return 1;
}

/* Visits the union of the postings of r's terms in ascending order. */
static int union_filter(const kube_label_index *x, const creq *rs, size_t nr, size_t best,
                        idbuf *out)
{
	const creq *r = &rs[best];
	size_t pos_inl[16], *pos = pos_inl;
	int rc = 0;

	if (r->nt > KUBE_ARRAY_SIZE(pos_inl) && !(pos = kube_calloc(r->nt, sizeof(size_t))))
		return kube__error_oom();
	memset(pos, 0, (r->nt <= KUBE_ARRAY_SIZE(pos_inl) ? r->nt : 0) * sizeof(size_t));
	if (r->nt == 1) {
		const iterm *t = &x->terms[r->t[0]];
		for (uint32_t i = 0; i < t->npost && !rc; i++)
			if (passes(x, rs, nr, best, t->post[i]))
				rc = idbuf_push(out, t->post[i]);
	} else {
		/* an object has one value per key, so the lists are disjoint:
		 * repeatedly take the smallest head */
		for (;;) {
			uint32_t min = UINT32_MAX;
			size_t which = SIZE_MAX;
			for (size_t j = 0; j < r->nt; j++) {
				const iterm *t = &x->terms[r->t[j]];
				if (pos[j] < t->npost && t->post[pos[j]] < min) {
					min = t->post[pos[j]];
					which = j;
				}
			}
			if (which == SIZE_MAX || rc)
				break;
			pos[which]++;
			if (passes(x, rs, nr, best, min))
				rc = idbuf_push(out, min);
		}
	}
	if (pos != pos_inl)
		kube_free(pos);
	return rc;
}

int kube_label_index_select(const kube_label_index *x, const kube_selector *sel, uint32_t **ids,
                            size_t *count)
{
	creq inl[16], *rs = inl;
	uint32_t tinl[64], *tpool = tinl;
	size_t ntv = 0, best = SIZE_MAX;
	idbuf out = { NULL, 0, 0 };
	int rc = 0;

	KUBE_CHECK_ARG(ids);
	KUBE_CHECK_ARG(count);
	*ids = NULL;
	*count = 0;
	KUBE_CHECK_ARG(x);
	KUBE_CHECK_ARG(sel);
	if (sel->nothing || x->count == 0)
		return 0;
	for (uint32_t i = 0; i < sel->nreqs; i++)
		ntv += sel->reqs[i].nvals;
	if (sel->nreqs > KUBE_ARRAY_SIZE(inl) && !(rs = kube_malloc(sel->nreqs * sizeof(creq))))
		return kube__error_oom();
	if (ntv > KUBE_ARRAY_SIZE(tinl) && !(tpool = kube_malloc(ntv * sizeof(uint32_t)))) {
		rc = kube__error_oom();
		goto done;
	}
	/* compile against the dictionary */
	ntv = 0;
	for (uint32_t i = 0; i < sel->nreqs; i++) {
		const kube__sreq *q = &sel->reqs[i];
		creq *r = &rs[i];
		r->op = q->op;
		r->num = q->num;
		r->key = find_key(x, q->key, q->klen, q->khash);
		r->t = tpool + ntv;
		r->nt = 0;
		r->cost = 0;
		if (r->key != UINT32_MAX) {
			for (uint32_t j = 0; j < q->nvals; j++) {
				uint32_t t = find_term(x, r->key, q->vals[j].s, q->vals[j].len,
				                       q->vals[j].hash);
				if (t == UINT32_MAX)
					continue;
				/* builder selectors may repeat a value: keep term ids unique */
				int dup = 0;
				for (uint32_t k = 0; k < r->nt; k++)
					dup |= tpool[ntv + k] == t;
				if (!dup) {
					tpool[ntv + r->nt++] = t;
					r->cost += x->terms[t].npost;
				}
			}
		}
		ntv += r->nt;
		if (q->op == KUBE_SELECTOR_EQUALS || q->op == KUBE_SELECTOR_DOUBLE_EQUALS ||
		    q->op == KUBE_SELECTOR_IN) {
			if (best == SIZE_MAX || r->cost < rs[best].cost)
				best = i;
		}
	}
	if (best != SIZE_MAX) {
		if (rs[best].cost)
			rc = union_filter(x, rs, sel->nreqs, best, &out);
	} else {
		for (uint32_t id = 0; id < x->nslots && !rc; id++)
			if (x->slots[id].n1 && passes(x, rs, sel->nreqs, SIZE_MAX, id))
				rc = idbuf_push(&out, id);
	}
done:
	if (rs != inl)
		kube_free(rs);
	if (tpool != tinl)
		kube_free(tpool);
	if (rc) {
		kube_free(out.v);
		return rc;
	}
	*ids = out.n ? out.v : NULL;
	if (!out.n)
		kube_free(out.v);
	*count = out.n;
	return 0;
}
