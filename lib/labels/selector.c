/*
 * selector.c - label selectors: parser, canonical string, builder, matcher.
 *
 * The parser follows apimachinery's pkg/labels Parse step by step, because
 * its answers and its error messages are the contract: the whole input is
 * first cut into tokens (whitespace is only space, tab, CR and LF; the
 * special characters are = ! ( ) , > <; "in" and "notin" are keywords
 * after a key and plain values inside a value list), then a recursive
 * descent reads requirements separated by commas.  A NUL byte inside an
 * explicit-length input behaves as in Go's lexer, which reads 0 as "end".
 *
 * Parsing allocates twice: the header and one block that holds every
 * requirement, value and string.  Tokens and pending requirements live on
 * the stack for ordinary inputs and spill to the heap for huge ones.
 *
 * Matching never allocates.  Requirements are kept twice in the block: in
 * canonical order (by key, stable) for String(), and by (key hash, key) for
 * matching, which merges them with the label set's entries, also sorted by
 * (key hash, key):
 *
 *   set  ents:   h=07 app   h=1c env   h=5a tier   h=c3 zone ...
 *   sel  mreqs:             h=1c env in (prod,staging)   h=5a tier notin (cache)
 *
 * so a match walks both arrays once, compares 32-bit hashes, and confirms a
 * hash hit on the bytes.  Values carry their hash too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "labels_private.h"

/* ---- tokens ---- */

typedef enum tok {
	T_ERROR = 0, T_EOS, T_CPAR, T_COMMA, T_NOT, T_DEQ, T_EQ, T_GT, T_IDENT, T_IN, T_LT,
	T_NE, T_NOTIN, T_OPAR
} tok;

typedef struct token {
	tok t;
	uint32_t len;
	const char *s;
} token;

typedef struct lexer {
	const char *s;
	size_t n, pos;
} lexer;

/* Go's Lexer.read: 0 at the end (without moving) or for a NUL byte (moving). */
static unsigned char lx_read(lexer *l)
{
	if (l->pos < l->n)
		return (unsigned char)l->s[l->pos++];
	return 0;
}

static int is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static int is_special(unsigned char c)
{
	switch (c) {
	case '=': case '!': case '(': case ')': case ',': case '>': case '<':
		return 1;
	}
	return 0;
}

static tok special_tok(const char *s, size_t n)
{
	if (n == 1) {
		switch (s[0]) {
		case ')': return T_CPAR;
		case ',': return T_COMMA;
		case '!': return T_NOT;
		case '=': return T_EQ;
		case '>': return T_GT;
		case '<': return T_LT;
		case '(': return T_OPAR;
		}
	} else if (n == 2 && s[1] == '=') {
		if (s[0] == '=')
			return T_DEQ;
		if (s[0] == '!')
			return T_NE;
	}
	return T_ERROR;
}

static token lx_next(lexer *l)
{
	token t = { T_EOS, 0, "" };
	unsigned char c;

	do
		c = lx_read(l);
	while (is_ws(c));
	if (c == 0)
		return t;
	l->pos--;
	if (is_special(c)) {
		/* the longest run of specials that is still a token */
		size_t start = l->pos, len = 0;
		tok last = T_ERROR;
		for (;;) {
			unsigned char ch = lx_read(l);
			if (ch == 0)
				break;
			if (!is_special(ch)) {
				l->pos--;
				break;
			}
			len++;
			tok k = special_tok(l->s + start, len);
			if (k != T_ERROR) {
				last = k;
				t.len = (uint32_t)len;
			} else if (last != T_ERROR) {
				l->pos--;
				break;
			}
		}
		t.t = last;   /* never T_ERROR: every single special is a token */
		t.s = l->s + start;
		return t;
	}
	{
		size_t start = l->pos, len = 0;
		for (;;) {
			unsigned char ch = lx_read(l);
			if (ch == 0)
				break;
			if (is_special(ch) || is_ws(ch)) {
				l->pos--;
				break;
			}
			len++;
		}
		t.s = l->s + start;
		t.len = (uint32_t)len;
		if (len == 2 && memcmp(t.s, "in", 2) == 0)
			t.t = T_IN;
		else if (len == 5 && memcmp(t.s, "notin", 5) == 0)
			t.t = T_NOTIN;
		else
			t.t = T_IDENT;
		return t;
	}
}

/* ---- small vectors with inline storage ---- */

typedef struct pval {
	const char *s;
	size_t len;
} pval;

typedef struct preq {
	const char *key;
	size_t klen;
	kube_selector_op op;
	size_t vstart, nvals;   /* into the pending values */
	int64_t num;
} preq;

#define VEC(T, N) struct { T *v; size_t n, cap; T inl[N]; }

#define VEC_INIT(x) do { (x).v = (x).inl; (x).n = 0; (x).cap = KUBE_ARRAY_SIZE((x).inl); } while (0)
#define VEC_FREE(x) do { if ((x).v != (x).inl) kube_free((x).v); } while (0)

static int vec_grow(void **v, size_t *cap, void *inl, size_t elem)
{
	size_t ncap = *cap * 2;
	void *p = kube_malloc(ncap * elem);
	if (!p)
		return kube__error_oom();
	memcpy(p, *v, *cap * elem);
	if (*v != inl)
		kube_free(*v);
	*v = p;
	*cap = ncap;
	return 0;
}

#define VEC_PUSH(x, item) \
	(((x).n < (x).cap || vec_grow((void **)&(x).v, &(x).cap, (x).inl, sizeof((x).inl[0])) == 0) \
	 ? ((x).v[(x).n++] = (item), 0) : KUBE_ENOMEM)

typedef VEC(token, 48) tokvec;
typedef VEC(pval, 32) pvalvec;
typedef VEC(preq, 16) preqvec;

/* ---- building the block ---- */

static int pval_cmp(const void *a, const void *b)
{
	const pval *x = a, *y = b;
	size_t n = x->len < y->len ? x->len : y->len;
	for (size_t i = 0; i < n; i++)
		if (x->s[i] != y->s[i])
			return (unsigned char)x->s[i] < (unsigned char)y->s[i] ? -1 : 1;
	return x->len < y->len ? -1 : x->len > y->len;
}

static void sort_pvals(pval *v, size_t n)
{
	if (n > 16) {
		qsort(v, n, sizeof(*v), pval_cmp);
		return;
	}
	for (size_t i = 1; i < n; i++) {
		pval x = v[i];
		size_t j = i;
		while (j > 0 && pval_cmp(&v[j - 1], &x) > 0) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = x;
	}
}

/* Byte order; keys are short, so an inline loop beats a call to memcmp. */
static inline int key_cmp_bytes(const char *a, uint32_t alen, const char *b, uint32_t blen)
{
	uint32_t n = alen < blen ? alen : blen;
	for (uint32_t i = 0; i < n; i++)
		if (a[i] != b[i])
			return (unsigned char)a[i] < (unsigned char)b[i] ? -1 : 1;
	return alen < blen ? -1 : alen > blen;
}

/* Stable sort of requirements by key: insertion for the usual few, merge above. */
static void sort_by_key(kube__sreq *r, size_t n, kube__sreq *tmp)
{
	if (n <= 16) {
		for (size_t i = 1; i < n; i++) {
			kube__sreq x = r[i];
			size_t j = i;
			while (j > 0 && key_cmp_bytes(r[j - 1].key, r[j - 1].klen, x.key, x.klen) > 0) {
				r[j] = r[j - 1];
				j--;
			}
			r[j] = x;
		}
		return;
	}
	size_t h = n / 2;
	sort_by_key(r, h, tmp);
	sort_by_key(r + h, n - h, tmp);
	size_t i = 0, j = h, k = 0;
	while (i < h && j < n) {
		if (key_cmp_bytes(r[j].key, r[j].klen, r[i].key, r[i].klen) < 0)
			tmp[k++] = r[j++];
		else
			tmp[k++] = r[i++];
	}
	while (i < h)
		tmp[k++] = r[i++];
	while (j < n)
		tmp[k++] = r[j++];
	memcpy(r, tmp, n * sizeof(*r));
}

static int hreq_cmp(const void *a, const void *b)
{
	const kube__sreq *x = a, *y = b;
	return kube__hkey_cmp(x->khash, x->key, x->klen, y->khash, y->key, y->klen);
}

/*
 * Builds a fresh block from pending requirements (whose strings may point
 * into the selector's current block) and swaps it in.  With *selp NULL, a
 * new selector is made whose header and block share one allocation (the
 * parser's case: one malloc per parse); its block pointer stays NULL, as
 * only a separately allocated block is freed on its own.
 */
static int build(kube_selector **selp, const preq *reqs, size_t n, pval *vals, int sorted)
{
	size_t nvals = 0, bytes = 0, total, head;
	char *block, *str, *mem;
	kube__sreq *cr, *mr;
	kube__sval *sv;
	kube_selector *sel = *selp;

	for (size_t i = 0; i < n; i++) {
		nvals += reqs[i].nvals;
		bytes += reqs[i].klen + 1;
		for (size_t j = 0; j < reqs[i].nvals; j++)
			bytes += vals[reqs[i].vstart + j].len + 1;
	}
	if (n > UINT32_MAX / 4 || bytes > UINT32_MAX)
		return kube__error_set(KUBE_ETOOBIG, NULL, "selector too large");
	total = 2 * n * sizeof(kube__sreq) + nvals * sizeof(kube__sval) + bytes;
	head = sel ? 0 : (sizeof(kube_selector) + 15) & ~(size_t)15;
	mem = kube_malloc(head + total + KUBE__PAD);
	if (!mem)
		return kube__error_oom();
	block = mem + head;
	cr = (kube__sreq *)block;
	mr = cr + n;
	sv = (kube__sval *)(mr + n);
	str = (char *)(sv + nvals);

	for (size_t i = 0; i < n; i++) {
		const preq *p = &reqs[i];
		kube__sreq *r = &cr[i];
		memcpy(str, p->key, p->klen);
		str[p->klen] = '\0';
		r->key = str;
		r->klen = (uint32_t)p->klen;
		r->khash = kube__strhash(str, p->klen);
		r->kmask = kube__mask8(r->klen);
		r->kword = kube__load8(str) & r->kmask;
		r->op = (uint16_t)p->op;
		r->num = p->num;
		switch (p->op) {
		case KUBE_SELECTOR_EXISTS:
		case KUBE_SELECTOR_DOES_NOT_EXIST:
			r->kind = KUBE__KIND_EXISTS;
			break;
		case KUBE_SELECTOR_GT:
		case KUBE_SELECTOR_LT:
			r->kind = KUBE__KIND_NUMBER;
			break;
		default:
			r->kind = KUBE__KIND_VALUE;
		}
		r->neg = p->op == KUBE_SELECTOR_DOES_NOT_EXIST || p->op == KUBE_SELECTOR_NOT_EQUALS ||
		         p->op == KUBE_SELECTOR_NOT_IN;
		r->nvals = (uint32_t)p->nvals;
		r->vals = sv;
		str += p->klen + 1;
		if (!sorted)
			sort_pvals(vals + p->vstart, p->nvals);
		for (size_t j = 0; j < p->nvals; j++) {
			const pval *v = &vals[p->vstart + j];
			memcpy(str, v->s, v->len);
			str[v->len] = '\0';
			sv->s = str;
			sv->len = (uint32_t)v->len;
			sv->hash = kube__strhash(str, v->len);
			sv->mask = kube__mask8(sv->len);
			sv->word = 0;   /* filled below, once the block's padding is in place */
			sv++;
			str += v->len + 1;
		}
	}
	/* the first words may reach into the padding, which must be defined */
	memset(str, 0, KUBE__PAD);
	for (size_t i = 0; i < nvals; i++) {
		kube__sval *w = (kube__sval *)(mr + n) + i;
		w->word = kube__load8(w->s) & w->mask;
	}
	for (size_t i = 0; i < n; i++)
		cr[i].kword = kube__load8(cr[i].key) & cr[i].kmask;
	/* mreqs is scratch for the merge sort first, then the hash order */
	sort_by_key(cr, n, mr);
	memcpy(mr, cr, n * sizeof(*mr));
	if (n > 16) {
		qsort(mr, n, sizeof(*mr), hreq_cmp);
	} else {
		for (size_t i = 1; i < n; i++) {
			kube__sreq x = mr[i];
			size_t j = i;
			while (j > 0 && hreq_cmp(&mr[j - 1], &x) > 0) {
				mr[j] = mr[j - 1];
				j--;
			}
			mr[j] = x;
		}
	}

	if (sel) {
		kube_free(sel->block);
		sel->block = block;
	} else {
		sel = (kube_selector *)mem;
		memset(sel, 0, sizeof(*sel));
		*selp = sel;
	}
	sel->reqs = cr;
	sel->mreqs = mr;
	sel->nreqs = (uint32_t)n;
	return 0;
}

/* ---- NewRequirement's checks ---- */

static void add_values_json(kube__ferrs *e, const char *field, const pval *v, size_t n,
                            const char *detail)
{
	kube__buf *b = kube__ferrs_begin(e);
	kube__buf_puts(b, field);
	kube__buf_puts(b, ": Invalid value: ");
	if (n == 0) {
		kube__buf_puts(b, "null");
	} else {
		kube__buf_putc(b, '[');
		for (size_t i = 0; i < n; i++) {
			if (i)
				kube__buf_putc(b, ',');
			kube__go_json_string(b, v[i].s, v[i].len);
		}
		kube__buf_putc(b, ']');
	}
	kube__buf_puts(b, ": ");
	kube__buf_puts(b, detail);
}

/*
 * labels.NewRequirement: checks key, operator arity, integers and values, in
 * upstream's order.  `path_nil` is how the caller's path prints; the parser
 * and LabelSelectorAsSelector pass no path, so fields are "key", "values".
 * Sets p->num for gt/lt.  Collects errors into e.
 */
static void check_requirement(kube__ferrs *e, preq *p, const pval *v, int key_checked)
{
	kube__buf msg = KUBE__BUF_INIT;
	char field[512];

	if (!key_checked && kube__check_qualified_name(p->key, p->klen, &msg) != 0)
		kube__ferrs_invalid(e, "key", p->key, p->klen, msg.data ? msg.data : "");
	kube__buf_free(&msg);

	switch (p->op) {
	case KUBE_SELECTOR_IN:
	case KUBE_SELECTOR_NOT_IN:
		if (p->nvals == 0)
			add_values_json(e, "values", v, 0,
			                "for 'in', 'notin' operators, values set can't be empty");
		break;
	case KUBE_SELECTOR_EQUALS:
	case KUBE_SELECTOR_DOUBLE_EQUALS:
	case KUBE_SELECTOR_NOT_EQUALS:
		if (p->nvals != 1)
			add_values_json(e, "values", v, p->nvals,
			                "exact-match compatibility requires one single value");
		break;
	case KUBE_SELECTOR_EXISTS:
	case KUBE_SELECTOR_DOES_NOT_EXIST:
		if (p->nvals != 0)
			add_values_json(e, "values", v, p->nvals,
			                "values set must be empty for exists and does not exist");
		break;
	case KUBE_SELECTOR_GT:
	case KUBE_SELECTOR_LT:
		if (p->nvals != 1)
			add_values_json(e, "values", v, p->nvals,
			                "for 'Gt', 'Lt' operators, exactly one value is required");
		for (size_t i = 0; i < p->nvals; i++) {
			int64_t num;
			if (kube__parse_int64(v[i].s, v[i].len, &num) != 0) {
				snprintf(field, sizeof(field), "values[%zu]", i);
				kube__ferrs_invalid(e, field, v[i].s, v[i].len,
				                    "for 'Gt', 'Lt' operators, the value must be an integer");
			} else if (i == 0) {
				p->num = num;
			}
		}
		break;
	default: {
		kube__buf *b = kube__ferrs_begin(e);
		kube__buf_printf(b, "operator: Unsupported value: \"%d\": supported values: ",
		                 (int)p->op);
		kube__buf_puts(b, "\"in\", \"notin\", \"=\", \"==\", \"!=\", \"gt\", \"lt\", "
		               "\"exists\", \"!\"");
		break;
	}
	}
	for (size_t i = 0; i < p->nvals; i++) {
		if (kube__check_label_value(v[i].s, v[i].len, &msg) != 0) {
			snprintf(field, sizeof(field), "values[%zu][%.*s]", i,
			         (int)(p->klen > 400 ? 400 : p->klen), p->key);
			kube__ferrs_invalid(e, field, v[i].s, v[i].len, msg.data ? msg.data : "");
		}
		kube__buf_free(&msg);
	}
}

/* ---- the parser ---- */

typedef struct parser {
	const token *toks;
	size_t pos;
	pvalvec vals;
	preqvec reqs;
	kube__buf err;     /* the message, without "unable to parse requirement: " */
	int in_req;        /* the error came from inside parseRequirement */
	int oom;
} parser;

enum { CTX_KEY_OP, CTX_VALUES };

static tok ctx_tok(tok t, int ctx)
{
	if (ctx == CTX_VALUES && (t == T_IN || t == T_NOTIN))
		return T_IDENT;
	return t;
}

static const token *lookahead(parser *p, int ctx, tok *t)
{
	const token *k = &p->toks[p->pos];
	*t = ctx_tok(k->t, ctx);
	return k;
}

static const token *consume(parser *p, int ctx, tok *t)
{
	const token *k = &p->toks[p->pos++];
	*t = ctx_tok(k->t, ctx);
	return k;
}

static int fail_found(parser *p, const token *k, const char *expected)
{
	kube__buf_puts(&p->err, "found '");
	kube__buf_put(&p->err, k->s, k->len);
	kube__buf_puts(&p->err, expected);
	return -1;
}

/* Inserts into the current requirement's value set (kept unsorted here). */
static int set_insert(parser *p, size_t vstart, const char *s, size_t len)
{
	for (size_t i = vstart; i < p->vals.n; i++)
		if (p->vals.v[i].len == len && memcmp(p->vals.v[i].s, s, len) == 0)
			return 0;
	if (VEC_PUSH(p->vals, ((pval){ s, len }))) {
		p->oom = 1;
		return -1;
	}
	return 0;
}

static int parse_values(parser *p, size_t vstart)
{
	tok t;
	const token *k = consume(p, CTX_VALUES, &t);

	if (t != T_OPAR)
		return fail_found(p, k, "' expected: '('");
	k = lookahead(p, CTX_VALUES, &t);
	if (t == T_CPAR) {
		p->pos++;
		return set_insert(p, vstart, "", 0);
	}
	if (t != T_IDENT && t != T_COMMA)
		return fail_found(p, k, "', expected: ',', ')' or identifier");
	/* parseIdentifiersList */
	for (;;) {
		const token *c = consume(p, CTX_VALUES, &t);
		tok t2;
		if (t == T_IDENT) {
			if (set_insert(p, vstart, c->s, c->len))
				return -1;
			const token *n2 = lookahead(p, CTX_VALUES, &t2);
			if (t2 == T_COMMA)
				continue;
			if (t2 == T_CPAR)
				break;
			return fail_found(p, n2, "', expected: ',' or ')'");
		} else if (t == T_COMMA) {
			if (p->vals.n == vstart && set_insert(p, vstart, "", 0))
				return -1;
			lookahead(p, CTX_VALUES, &t2);
			if (t2 == T_CPAR) {
				if (set_insert(p, vstart, "", 0))
					return -1;
				break;
			}
			if (t2 == T_COMMA && set_insert(p, vstart, "", 0))
				return -1;
		} else {
			return fail_found(p, c, "', expected: ',', or identifier");
		}
	}
	p->pos++;   /* the ')' seen by the lookahead */
	return 0;
}

static int parse_requirement(parser *p)
{
	tok t;
	const token *k = consume(p, CTX_VALUES, &t);
	preq r = { NULL, 0, KUBE_SELECTOR_EXISTS, p->vals.n, 0, 0 };
	int has_op = 0;

	/* parseKeyAndInferOperator */
	if (t == T_NOT) {
		r.op = KUBE_SELECTOR_DOES_NOT_EXIST;
		has_op = 1;
		k = consume(p, CTX_VALUES, &t);
	}
	if (t != T_IDENT)
		return fail_found(p, k, "', expected: identifier");
	{
		kube__buf msg = KUBE__BUF_INIT;
		if (kube__check_qualified_name(k->s, k->len, &msg) != 0) {
			kube__buf_puts(&p->err, "<nil>: Invalid value: ");
			kube__go_quote(&p->err, k->s, k->len);
			kube__buf_puts(&p->err, ": ");
			kube__buf_puts(&p->err, msg.data ? msg.data : "");
			kube__buf_free(&msg);
			return -1;
		}
		kube__buf_free(&msg);
	}
	r.key = k->s;
	r.klen = k->len;
	lookahead(p, CTX_VALUES, &t);
	if (t == T_EOS || t == T_COMMA)
		has_op = 1;   /* Exists, or the DoesNotExist already seen */

	if (!has_op) {
		/* parseOperator */
		k = consume(p, CTX_KEY_OP, &t);
		switch (t) {
		case T_IN: r.op = KUBE_SELECTOR_IN; break;
		case T_EQ: r.op = KUBE_SELECTOR_EQUALS; break;
		case T_DEQ: r.op = KUBE_SELECTOR_DOUBLE_EQUALS; break;
		case T_GT: r.op = KUBE_SELECTOR_GT; break;
		case T_LT: r.op = KUBE_SELECTOR_LT; break;
		case T_NOTIN: r.op = KUBE_SELECTOR_NOT_IN; break;
		case T_NE: r.op = KUBE_SELECTOR_NOT_EQUALS; break;
		default:
			return fail_found(p, k, "', expected: in, notin, =, ==, !=, gt, lt");
		}
		if (r.op == KUBE_SELECTOR_IN || r.op == KUBE_SELECTOR_NOT_IN) {
			if (parse_values(p, r.vstart))
				return -1;
		} else {
			/* parseExactValue */
			lookahead(p, CTX_VALUES, &t);
			if (t == T_EOS || t == T_COMMA) {
				if (set_insert(p, r.vstart, "", 0))
					return -1;
			} else {
				k = consume(p, CTX_VALUES, &t);
				if (t != T_IDENT)
					return fail_found(p, k, "', expected: identifier");
				if (set_insert(p, r.vstart, k->s, k->len))
					return -1;
			}
		}
	}
	r.nvals = p->vals.n - r.vstart;
	/* sets.String.List(): sorted, and the indexes in messages follow it */
	sort_pvals(p->vals.v + r.vstart, r.nvals);
	{
		kube__ferrs e = KUBE__FERRS_INIT;
		check_requirement(&e, &r, p->vals.v + r.vstart, 1);
		if (e.count) {
			if (e.text.failed) {
				p->oom = 1;
			} else {
				/* render the aggregate into p->err */
				const char *msgs[64];
				size_t nm = 0;
				const char *q = e.text.data;
				for (size_t i = 0; i < e.count && nm < 64; i++) {
					int seen = 0;
					for (size_t j = 0; j < nm; j++)
						seen |= strcmp(msgs[j], q) == 0;
					if (!seen)
						msgs[nm++] = q;
					q += strlen(q) + 1;
				}
				if (nm > 1)
					kube__buf_putc(&p->err, '[');
				for (size_t j = 0; j < nm; j++) {
					if (j)
						kube__buf_puts(&p->err, ", ");
					kube__buf_puts(&p->err, msgs[j]);
				}
				if (nm > 1)
					kube__buf_putc(&p->err, ']');
			}
			kube__ferrs_free(&e);
			return -1;
		}
		kube__ferrs_free(&e);
	}
	if (VEC_PUSH(p->reqs, r)) {
		p->oom = 1;
		return -1;
	}
	return 0;
}

static int parse_all(parser *p)
{
	for (;;) {
		tok t;
		const token *k = lookahead(p, CTX_VALUES, &t);
		if (t == T_IDENT || t == T_NOT) {
			if (parse_requirement(p)) {
				p->in_req = 1;
				return -1;
			}
			k = consume(p, CTX_VALUES, &t);
			if (t == T_EOS)
				return 0;
			if (t == T_COMMA) {
				const token *k2 = lookahead(p, CTX_VALUES, &t);
				if (t != T_IDENT && t != T_NOT)
					return fail_found(p, k2, "', expected: identifier after ','");
				continue;
			}
			return fail_found(p, k, "', expected: ',' or 'end of string'");
		}
		if (t == T_EOS)
			return 0;
		return fail_found(p, k, "', expected: !, identifier, or 'end of string'");
	}
}

static int new_header(kube_selector **out)
{
	kube_selector *sel = kube_calloc(1, sizeof(*sel));
	if (!sel)
		return kube__error_oom();
	*out = sel;
	return 0;
}

int kube_selector_parse_len(kube_selector **out, const char *text, size_t len)
{
	lexer lx = { text, len, 0 };
	tokvec toks;
	parser p;
	kube_selector *sel = NULL;
	int rc = 0;

	KUBE_CHECK_ARG(out);
	*out = NULL;
	KUBE_CHECK_ARG(text || len == 0);
	if (!text)
		text = "";
	VEC_INIT(toks);
	memset(&p, 0, sizeof(p));
	VEC_INIT(p.vals);
	VEC_INIT(p.reqs);
	p.err = (kube__buf)KUBE__BUF_INIT;

	for (;;) {
		token t = lx_next(&lx);
		if (VEC_PUSH(toks, t)) {
			rc = KUBE_ENOMEM;
			goto done;
		}
		if (t.t == T_EOS)
			break;
	}
	p.toks = toks.v;
	if (parse_all(&p) != 0) {
		if (p.oom || p.err.failed) {
			rc = kube__error_oom();
		} else {
			rc = kube__error_set(KUBE_EINVAL, NULL, "%s%s",
			                     p.in_req ? "unable to parse requirement: " : "",
			                     p.err.data ? p.err.data : "");
		}
		goto done;
	}
	if ((rc = build(&sel, p.reqs.v, p.reqs.n, p.vals.v, 1)) != 0)
		goto done;
	*out = sel;
done:
	VEC_FREE(toks);
	VEC_FREE(p.vals);
	VEC_FREE(p.reqs);
	kube__buf_free(&p.err);
	return rc;
}

int kube_selector_parse(kube_selector **out, const char *text)
{
	KUBE_CHECK_ARG(out);
	*out = NULL;
	KUBE_CHECK_ARG(text);
	return kube_selector_parse_len(out, text, strlen(text));
}

int kube_selector_new(kube_selector **out)
{
	KUBE_CHECK_ARG(out);
	*out = NULL;
	return new_header(out);
}

int kube_selector_everything(kube_selector **out)
{
	return kube_selector_new(out);
}

int kube_selector_nothing(kube_selector **out)
{
	int rc;
	KUBE_CHECK_ARG(out);
	*out = NULL;
	if ((rc = new_header(out)) == 0)
		(*out)->nothing = 1;
	return rc;
}

void kube_selector_free(kube_selector *sel)
{
	if (!sel)
		return;
	kube_free(sel->block);
	kube_free(sel);
}

/* The existing requirements as pending ones, plus room for `extra` more. */
static int pending_from(const kube_selector *sel, preqvec *reqs, pvalvec *vals)
{
	for (uint32_t i = 0; i < sel->nreqs; i++) {
		const kube__sreq *r = &sel->reqs[i];
		preq q = { r->key, r->klen, (kube_selector_op)r->op, vals->n, r->nvals, r->num };
		for (uint32_t j = 0; j < r->nvals; j++)
			if (VEC_PUSH(*vals, ((pval){ r->vals[j].s, r->vals[j].len })))
				return KUBE_ENOMEM;
		if (VEC_PUSH(*reqs, q))
			return KUBE_ENOMEM;
	}
	return 0;
}

int kube_selector_add(kube_selector *sel, const char *key, kube_selector_op op,
                      const char *const *values, size_t nvalues)
{
	preqvec reqs;
	pvalvec vals;
	kube__ferrs e = KUBE__FERRS_INIT;
	int rc;

	KUBE_CHECK_ARG(sel);
	KUBE_CHECK_ARG(key);
	KUBE_CHECK_ARG(values || nvalues == 0);
	for (size_t i = 0; i < nvalues; i++)
		KUBE_CHECK_ARG(values[i]);
	VEC_INIT(reqs);
	VEC_INIT(vals);
	if ((rc = pending_from(sel, &reqs, &vals)) != 0) {
		rc = kube__error_oom();
		goto done;
	}
	preq q = { key, strlen(key), op, vals.n, nvalues, 0 };
	for (size_t i = 0; i < nvalues; i++) {
		if (VEC_PUSH(vals, ((pval){ values[i], strlen(values[i]) }))) {
			rc = kube__error_oom();
			goto done;
		}
	}
	check_requirement(&e, &q, vals.v + q.vstart, 0);
	if (e.count) {
		rc = kube__ferrs_raise(&e, NULL);
		goto done;
	}
	if (VEC_PUSH(reqs, q)) {
		rc = kube__error_oom();
		goto done;
	}
	rc = build(&sel, reqs.v, reqs.n, vals.v, 0);
done:
	kube__ferrs_free(&e);
	VEC_FREE(reqs);
	VEC_FREE(vals);
	return rc;
}

int kube_selector_copy(kube_selector **out, const kube_selector *sel)
{
	preqvec reqs;
	pvalvec vals;
	kube_selector *c = NULL;
	int rc;

	KUBE_CHECK_ARG(out);
	*out = NULL;
	KUBE_CHECK_ARG(sel);
	if ((rc = new_header(&c)) != 0)
		return rc;
	c->nothing = sel->nothing;
	VEC_INIT(reqs);
	VEC_INIT(vals);
	if (pending_from(sel, &reqs, &vals) != 0)
		rc = kube__error_oom();
	else
		rc = build(&c, reqs.v, reqs.n, vals.v, 1);
	VEC_FREE(reqs);
	VEC_FREE(vals);
	if (rc) {
		kube_selector_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

/* ---- String() ---- */

char *kube_selector_string(const kube_selector *sel)
{
	kube__buf b = KUBE__BUF_INIT;

	if (!sel || sel->nothing || sel->nreqs == 0)
		return kube_strdup("");
	for (uint32_t i = 0; i < sel->nreqs; i++) {
		const kube__sreq *r = &sel->reqs[i];
		static const char *const sep[] = { "=", "==", "!=", " in (", " notin (", "", "", ">", "<" };
		if (i)
			kube__buf_putc(&b, ',');
		if (r->op == KUBE_SELECTOR_DOES_NOT_EXIST)
			kube__buf_putc(&b, '!');
		kube__buf_put(&b, r->key, r->klen);
		kube__buf_puts(&b, sep[r->op]);
		if (r->op == KUBE_SELECTOR_EXISTS || r->op == KUBE_SELECTOR_DOES_NOT_EXIST)
			continue;
		for (uint32_t j = 0; j < r->nvals; j++) {
			if (j)
				kube__buf_putc(&b, ',');
			kube__buf_put(&b, r->vals[j].s, r->vals[j].len);
		}
		if (r->op == KUBE_SELECTOR_IN || r->op == KUBE_SELECTOR_NOT_IN)
			kube__buf_putc(&b, ')');
	}
	if (b.failed) {
		kube__buf_free(&b);
		return NULL;
	}
	return kube__buf_detach(&b, NULL);
}

/* ---- matching ---- */

/* Value requirements always carry at least one value (NewRequirement's rules). */
static inline int has_value(const kube__sreq *r, const kube_labels *l, const kube__label_ent *e)
{
	const char *v = kube__label_value(l, e);
	const uint32_t vlen = e->vlen;
	const uint64_t w = kube__load8(v);
	const kube__sval *sv = r->vals, *end = sv + r->nvals;
	do {
		if (sv->len == vlen && (w & sv->mask) == sv->word &&
		    (vlen <= 8 || memcmp(sv->s + 8, v + 8, vlen - 8) == 0))
			return 1;
	} while (++sv < end);
	return 0;
}

/*
 * One requirement: "found" for exists/!k, "found with a wanted value" for
 * =, ==, in and their negations, a number comparison for gt/lt.  Written as
 * two predictable branches rather than a switch (an indirect jump).
 */
static inline int eval(const kube__sreq *r, const kube_labels *l, const kube__label_ent *e)
{
	int ok;

	if (KUBE_LIKELY(r->kind == KUBE__KIND_VALUE)) {
		ok = e && has_value(r, l, e);
	} else if (r->kind == KUBE__KIND_EXISTS) {
		ok = e != NULL;
	} else {
		int64_t n;
		if (!e || kube__parse_int64(kube__label_value(l, e), e->vlen, &n) != 0)
			return 0;
		return r->op == KUBE_SELECTOR_GT ? n > r->num : n < r->num;
	}
	return ok ^ r->neg;
}

int kube__sreq_matches(const kube__sreq *r, const kube_labels *l)
{
	const kube__label_ent *e = l ? kube__labels_find(l, r->key, r->klen, r->khash) : NULL;
	return eval(r, l, e);
}

int kube_selector_matches(const kube_selector *sel, const kube_labels *l)
{
	static const kube__label_ent sentinel = { UINT32_MAX, 0, 0, 0, 0 };
	const kube__label_ent *e, *end;
	const char *arena;

	if (!sel || KUBE_UNLIKELY(sel->nothing))
		return 0;
	/* the empty selector matches everything (and has no requirement array:
	 * NULL + 0 below would be undefined) */
	if (sel->nreqs == 0)
		return 1;
	if (l && l->ents) {
		e = l->ents;
		end = e + l->count;
		arena = l->arena;
	} else {
		e = end = &sentinel;
		arena = NULL;
	}
	for (const kube__sreq *r = sel->mreqs, *rend = r + sel->nreqs; r < rend; r++) {
		const uint32_t h = r->khash;
		const kube__label_ent *found = NULL;
		/* the sentinel (khash UINT32_MAX) stops this without a bounds check */
		while (e->khash < h)
			e++;
		for (const kube__label_ent *k = e; k < end && k->khash == h; k++) {
			if (k->klen == r->klen &&
			    kube__wordeq(r->kword, r->kmask, r->key, arena + k->off, r->klen)) {
				found = k;
				break;
			}
		}
		if (!eval(r, l, found))
			return 0;
	}
	return 1;
}

/* ---- introspection ---- */

int kube_selector_empty(const kube_selector *sel)
{
	return sel && !sel->nothing && sel->nreqs == 0;
}

int kube_selector_matches_nothing(const kube_selector *sel)
{
	return sel && sel->nothing;
}

size_t kube_selector_requirement_count(const kube_selector *sel)
{
	return sel ? sel->nreqs : 0;
}

int kube_selector_requirement(const kube_selector *sel, size_t i, const char **key,
                              kube_selector_op *op, size_t *nvalues)
{
	KUBE_CHECK_ARG(sel);
	if (i >= sel->nreqs)
		return kube__error_set(KUBE_ENOTFOUND, NULL, "requirement %zu out of range", i);
	if (key)
		*key = sel->reqs[i].key;
	if (op)
		*op = (kube_selector_op)sel->reqs[i].op;
	if (nvalues)
		*nvalues = sel->reqs[i].nvals;
	return 0;
}

const char *kube_selector_requirement_value(const kube_selector *sel, size_t i, size_t j)
{
	if (!sel || i >= sel->nreqs || j >= sel->reqs[i].nvals)
		return NULL;
	return sel->reqs[i].vals[j].s;
}

int kube_selector_requires_exact_match(const kube_selector *sel, const char *label,
                                       const char **value)
{
	if (!sel || !label)
		return 0;
	for (uint32_t i = 0; i < sel->nreqs; i++) {
		const kube__sreq *r = &sel->reqs[i];
		if (strcmp(r->key, label) != 0)
			continue;
		if ((r->op == KUBE_SELECTOR_EQUALS || r->op == KUBE_SELECTOR_DOUBLE_EQUALS ||
		     r->op == KUBE_SELECTOR_IN) && r->nvals == 1) {
			if (value)
				*value = r->vals[0].s;
			return 1;
		}
		return 0;
	}
	return 0;
}
