/*
 * yaml.c - the YAML stream decoder (libyaml's event parser) and the YAML
 * encoder (libyaml's emitter), with kubectl's scalar rules.
 *
 * kubectl reads YAML through sigs.k8s.io/yaml, which decodes with go-yaml v2
 * (YAML 1.1 rules) and converts the result to JSON.  This file reproduces
 * what comes out of that pipe, building json-c nodes straight from parser
 * events, so limits apply while parsing and no document tree is ever built
 * by libyaml.  Plain (unquoted, untagged) scalars resolve as go-yaml v2's
 * resolve() does:
 *   null     "" ~ null Null NULL
 *   bool     y Y yes Yes YES true True TRUE on On ON
 *            n N no No NO false False FALSE off Off OFF      (yes: y is a bool)
 *   int      Go's ParseInt(s, 0, 64) after removing every '_': 0x1F, 0o17,
 *            017 (octal: 15), 0b101, +5, 1_000; 2^63..2^64-1 via ParseUint
 *   float    [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?  ('_' removed
 *            first); 09, .5 and 1.0 are numbers.  A
 *            float that overflows a double (1e400) stays a string, as there.
 *   .inf -.inf +.inf .nan (and .Inf/.INF, ...) are floats that JSON cannot
 *            hold: kubectl fails on them ("json: unsupported value"), and so
 *            does this decoder (KUBE_EINVAL) unless they are map keys.
 *   timestamps (2001-12-14, ...) stay strings, as go-yaml v2 leaves them.
 *   anything else is a string; quoted and block scalars are always strings.
 * Where this differs from kubectl, on purpose: numbers keep their text.
 * Upstream turns 1.0 into 1 and any integer beyond 64 bits into a float64;
 * here an int64 is an int and every other number is a double node that
 * serializes as its own text (a YAML spelling that JSON lacks is normalized:
 * .5 -> 0.5, +1 -> 1, 1_000.5 -> 1000.5).  A hex, octal or binary literal
 * beyond 64 bits stays a string, as in kubectl 1.32.
 *
 * Tags: !!str forces a string, !!binary a string of the decoded base64 (its
 * bytes that are not UTF-8 become U+FFFD, as JSON writes them); !!int, !!float, !!bool, !!null resolve the text and fail if it is
 * something else ("cannot decode !!str `abc` as a !!int"); any other tag is
 * ignored and the scalar is a string, as go-yaml does for unknown tags.
 *
 * Map keys become strings as sigs.k8s.io/yaml makes them: an int key is its
 * decimal digits (0x1F: a -> "31"), a bool key "true"/"false" (so `on:` is
 * "true"), a float key Go's FormatFloat(f, 'g', -1, 32) (so is a decimal
 * integer key beyond 64 bits, which go-yaml reads as a float), .inf ".inf";
 * a null key, a key in the uint64 range beyond int64, or a mapping or
 * sequence as a key is an error ("unsupported map key").
 *
 * A key written twice in one mapping is an error, 'mapping key "x" already
 * defined', as in upstream's strict decoding (kubectl's client keeps the
 * last one silently; the server's strict field validation refuses them); a
 * key brought in by a merge may be set again.  Merge keys (<<)
 * work as in go-yaml v2 (checked against kubectl): the value is a mapping or
 * a sequence of mappings, earlier mappings of a sequence win over later ones,
 * and keys are assigned in document order, so a merge overrides the keys
 * written above it and is overridden by those written below it.  New keys
 * from a merge are added where the << stands.
 *
 * Hostile input: a document larger than max_document_bytes (in bytes, from
 * its first token, its "---" when it has one, to where the next document
 * starts, so its trailing comments and line breaks count), nesting deeper
 * than max_depth, or more than max_alias_nodes nodes created by alias
 * expansion (aliases and merges are copied, counting each node) fails at
 * once with KUBE_ETOOBIG.
 * The billion laughs stop after max_alias_nodes copies.  An alias to an
 * unknown anchor, or to an anchor whose node is still open, is KUBE_EINVAL.
 *
 * Positions are 1-based; libyaml counts columns in characters.  libyaml
 * counts its mark.index in characters too, so the document size check walks
 * a byte cursor along the input to turn characters into bytes.
 *
 * The encoder drives libyaml's emitter, which is what go-yaml v2's emitter
 * was ported from, so its choices are kubectl's -o yaml: block style,
 * 2-space indent, sequences inside a mapping at the key's own indentation,
 * plain scalars where the emitter allows them (else single quotes), double
 * quotes for strings that would read back as something else ("1", "true",
 * "y", "", "2001-12-14", "1:20"), literal blocks with the right chomping
 * indicator for multi-line strings, {} and [] for empty collections, and
 * long scalars folded at 80 columns as go-yaml folds them.  Given the same
 * tree (kubectl sorts keys, we keep document order), the output is byte for
 * byte kubectl's; this was checked on the example manifests.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "object_private.h"

/* ---- scalar resolution ---- */

typedef enum rkind {
	R_STR,
	R_NULL,
	R_BOOL,
	R_INT,      /* fits int64: ival */
	R_BIGINT,   /* an integer beyond int64: decimal text in the scratch buffer */
	R_FLOAT,    /* JSON text in the scratch buffer */
	R_SPECIAL,  /* .inf, -.inf, .nan: special holds the key spelling */
	R_TOOLONG   /* a number longer than KUBE__NUMBER_MAX */
} rkind;

typedef struct resolved {
	rkind kind;
	int bval;
	int64_t ival;
	int uint64;         /* R_BIGINT from the uint64 range (Go's ParseUint) */
	const char *special;
	kube__buf text;
} resolved;

static const struct {
	const char *s;
	rkind kind;
	int bval;
	const char *special;
} resolve_table[] = {
	{ "y", R_BOOL, 1, NULL }, { "Y", R_BOOL, 1, NULL }, { "yes", R_BOOL, 1, NULL },
	{ "Yes", R_BOOL, 1, NULL }, { "YES", R_BOOL, 1, NULL }, { "true", R_BOOL, 1, NULL },
	{ "True", R_BOOL, 1, NULL }, { "TRUE", R_BOOL, 1, NULL }, { "on", R_BOOL, 1, NULL },
	{ "On", R_BOOL, 1, NULL }, { "ON", R_BOOL, 1, NULL },
	{ "n", R_BOOL, 0, NULL }, { "N", R_BOOL, 0, NULL }, { "no", R_BOOL, 0, NULL },
	{ "No", R_BOOL, 0, NULL }, { "NO", R_BOOL, 0, NULL }, { "false", R_BOOL, 0, NULL },
	{ "False", R_BOOL, 0, NULL }, { "FALSE", R_BOOL, 0, NULL }, { "off", R_BOOL, 0, NULL },
	{ "Off", R_BOOL, 0, NULL }, { "OFF", R_BOOL, 0, NULL },
	{ "~", R_NULL, 0, NULL }, { "null", R_NULL, 0, NULL }, { "Null", R_NULL, 0, NULL },
	{ "NULL", R_NULL, 0, NULL },
	{ ".nan", R_SPECIAL, 0, ".nan" }, { ".NaN", R_SPECIAL, 0, ".nan" },
	{ ".NAN", R_SPECIAL, 0, ".nan" },
	{ ".inf", R_SPECIAL, 0, ".inf" }, { ".Inf", R_SPECIAL, 0, ".inf" },
	{ ".INF", R_SPECIAL, 0, ".inf" }, { "+.inf", R_SPECIAL, 0, ".inf" },
	{ "+.Inf", R_SPECIAL, 0, ".inf" }, { "+.INF", R_SPECIAL, 0, ".inf" },
	{ "-.inf", R_SPECIAL, 0, "-.inf" }, { "-.Inf", R_SPECIAL, 0, "-.inf" },
	{ "-.INF", R_SPECIAL, 0, "-.inf" },
};

static int digit_val(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'Z')
		return c - 'A' + 10;
	return 99;
}

/*
 * Go's strconv.ParseUint(s, 0, 64) on s (no sign).  Returns 0 and *v, or
 * 1 for a syntax error, 2 for out of range.  *base and *digits tell where
 * the digits are, for the big-integer path.
 */
static int go_parse_uint(const char *s, size_t n, uint64_t *v, int *base, size_t *digits)
{
	uint64_t acc = 0;
	size_t i = 0;
	int b = 10;

	if (n == 0)
		return 1;
	if (s[0] == '0') {
		char l = n >= 3 ? (char)(s[1] | 0x20) : 0;
		if (l == 'b' || l == 'o' || l == 'x') {
			b = l == 'b' ? 2 : l == 'o' ? 8 : 16;
			i = 2;
		} else {
			b = 8;
			i = 1;
		}
	}
	*base = b;
	*digits = i;
	for (; i < n; i++) {
		int dv = digit_val(s[i]);
		if (dv >= b)
			return 1;
		if (acc > (UINT64_MAX - (uint64_t)dv) / (uint64_t)b)
			return 2;  /* Go stops at the overflow, before checking further digits */
		acc = acc * (uint64_t)b + (uint64_t)dv;
	}
	*v = acc;
	return 0;
}

/* Go's strconv.ParseInt(s, 0, 64). */
static int go_parse_int(const char *s, size_t n, int64_t *v)
{
	int neg = 0, base, rc;
	uint64_t u;
	size_t digits;

	if (n > 0 && (s[0] == '+' || s[0] == '-')) {
		neg = s[0] == '-';
		s++;
		n--;
	}
	if ((rc = go_parse_uint(s, n, &u, &base, &digits)) != 0)
		return rc;
	if (neg) {
		if (u > (uint64_t)INT64_MAX + 1)
			return 2;
		*v = u == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)u;
	} else {
		if (u > (uint64_t)INT64_MAX)
			return 2;
		*v = (int64_t)u;
	}
	return 0;
}

/* Matches [-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)? and writes
 * the JSON spelling into out.  *integer says there was neither '.' nor 'e'. */
static int yaml_float(const char *s, size_t n, kube__buf *out, int *integer)
{
	size_t i = 0, ds;
	int neg = 0;

	*integer = 1;
	out->len = 0;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	ds = i;
	while (i < n && s[i] >= '0' && s[i] <= '9')
		i++;
	if (neg)
		kube__buf_putc(out, '-');
	if (i == ds) {
		if (i >= n || s[i] != '.' || i + 1 >= n || s[i + 1] < '0' || s[i + 1] > '9')
			return 0;
		kube__buf_putc(out, '0');
	} else {
		size_t z = ds;
		while (z + 1 < i && s[z] == '0')
			z++;  /* JSON has no leading zeros */
		kube__buf_put(out, s + z, i - z);
	}
	if (i < n && s[i] == '.') {
		size_t fs = ++i;
		*integer = 0;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i > fs) {
			kube__buf_putc(out, '.');
			kube__buf_put(out, s + fs, i - fs);
		}
	}
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		size_t es = i++;
		*integer = 0;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if (i >= n || s[i] < '0' || s[i] > '9')
			return 0;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		kube__buf_put(out, s + es, i - es);
	}
	if (i != n)
		return 0;
	if (out->len == 2 && out->data[0] == '-' && out->data[1] == '0')
		out->len = 1, out->data[0] = '0', out->data[1] = '\0';
	return 1;
}

/*
 * Resolves a plain scalar as go-yaml v2 does (see the file comment).
 * Returns 0 or KUBE_ENOMEM; r->text must start empty and be freed by the
 * caller.
 */
static int resolve_plain(const char *s, size_t n, resolved *r)
{
	kube__buf plain = KUBE__BUF_INIT;
	char c = n ? s[0] : 0;
	int rc = 0, integer, base, ur;
	uint64_t u;
	size_t digits;

	r->kind = R_STR;
	r->uint64 = 0;
	if (n == 0) {
		r->kind = R_NULL;
		return 0;
	}
	if (!((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.' ||
	      strchr("yYnNtTfFoO~", c)))
		return 0;
	if (n <= 6) {
		for (size_t i = 0; i < KUBE_ARRAY_SIZE(resolve_table); i++) {
			if (strlen(resolve_table[i].s) == n && memcmp(resolve_table[i].s, s, n) == 0) {
				r->kind = resolve_table[i].kind;
				r->bval = resolve_table[i].bval;
				r->special = resolve_table[i].special;
				return 0;
			}
		}
	}
	if (c != '.' && !(c >= '0' && c <= '9') && c != '+' && c != '-')
		return 0;  /* the y/n/t/f/o/~ letters resolve only through the table */
	for (size_t i = 0; i < n; i++)
		if (s[i] != '_')
			kube__buf_putc(&plain, s[i]);
	if (plain.failed) {
		kube__buf_free(&plain);
		return KUBE_ENOMEM;
	}
	if (plain.len == 0)
		goto out;
	if (c == '.') {
		/* kubectl 1.32 reads .5_0 as 0.5: '_' goes here too */
		if (yaml_float(plain.data, plain.len, &r->text, &integer)) {
			if (plain.len > KUBE__NUMBER_MAX)
				r->kind = R_TOOLONG;
			else if (isfinite(strtod(plain.data, NULL)))
				r->kind = R_FLOAT;
		}
		goto out;
	}
	if (go_parse_int(plain.data, plain.len, &r->ival) == 0) {
		r->kind = R_INT;
		goto out;
	}
	ur = go_parse_uint(plain.data, plain.len, &u, &base, &digits);
	if (ur == 0) {
		r->kind = R_BIGINT;
		r->uint64 = 1;
		r->text.len = 0;
		kube__buf_printf(&r->text, "%llu", (unsigned long long)u);
		goto out;
	}
	if (yaml_float(plain.data, plain.len, &r->text, &integer)) {
		if (plain.len > KUBE__NUMBER_MAX) {
			r->kind = R_TOOLONG;
		} else if (integer) {
			/* 09, -09, or an integer beyond 64 bits: decimal, digits kept */
			if (go_parse_int(r->text.data, r->text.len, &r->ival) == 0 &&
			    r->text.data[r->text.len > 1 && r->text.data[0] == '-' ? 1 : 0] != '0')
				r->kind = R_INT;
			else if (r->text.len == 1 && r->text.data[0] == '0')
				r->kind = R_INT, r->ival = 0;
			else
				r->kind = R_BIGINT;
		} else if (isfinite(strtod(plain.data, NULL))) {
			r->kind = R_FLOAT;
		}
		goto out;
	}
	/* A hex, octal or binary integer beyond 64 bits: newer go-yaml makes a
	 * big.Int of it, but kubectl 1.32's leaves it a string, and so do we. */
	(void)base;
	(void)digits;
out:
	kube__buf_free(&plain);
	if (r->text.failed)
		rc = KUBE_ENOMEM;
	return rc;
}

/* Go's strconv.FormatFloat(f, 'g', -1, 32), with .inf/.nan spellings. */
static void format_float32(char *buf, size_t cap, double d)
{
	float f = (float)d;
	int nd, exp;
	char e[32];

	if (isnan(f)) {
		snprintf(buf, cap, ".nan");
		return;
	}
	if (isinf(f)) {
		snprintf(buf, cap, f > 0 ? ".inf" : "-.inf");
		return;
	}
	for (nd = 1; nd < 9; nd++) {
		snprintf(e, sizeof(e), "%.*e", nd - 1, (double)f);
		if (strtof(e, NULL) == f)
			break;
	}
	snprintf(e, sizeof(e), "%.*e", nd - 1, (double)f);
	exp = atoi(strchr(e, 'e') + 1);
	if (f == 0)
		exp = 0;
	if (exp < -4 || exp >= 6)
		snprintf(buf, cap, "%s", e);
	else
		snprintf(buf, cap, "%.*f", nd - 1 - exp > 0 ? nd - 1 - exp : 0, (double)f);
}

/* ---- decoder ---- */

typedef struct frame {
	json_object *node;
	int is_map;
	int want_key;           /* map: the next node is a key */
	char *key;              /* map: the pending key */
	int key_line, key_col;
	int merge;              /* map: the pending key is << */
	json_object *merged;    /* map: keys that came in by a merge (a set), or NULL */
	int anchor;             /* index in anchors, or -1 */
	yaml_mark_t start;      /* where the node starts */
} frame;

typedef struct anchor {
	json_object *node;      /* a reference, NULL for null */
	int done;               /* 0 while the anchored node is still open */
} anchor;

typedef struct ydec {
	size_t max_doc, max_alias;
	unsigned int max_depth;
	int want_pos;
	const char *buf;
	size_t len;
	size_t cur_chars, cur_bytes;   /* a character index -> byte cursor */
	int doc, in_doc;
	size_t doc_start;
	int doc_line, doc_col;
	frame *st;
	size_t depth, cap;
	json_object *root;
	kube__posmap *pos;
	json_object *anchor_names;     /* name -> index into anchors */
	anchor *anchors;
	size_t nanchors, acap;
	size_t alias_nodes;
	resolved res;                  /* scratch */
} ydec;

static int yerr(ydec *d, int code, const yaml_mark_t *m, const char *fmt, ...) KUBE_PRINTF(4, 5);

static int yerr(ydec *d, int code, const yaml_mark_t *m, const char *fmt, ...)
{
	char what[900];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return kube__codec_error(code, d->in_doc ? d->doc : d->doc + 1,
	                         m ? (int)m->line + 1 : 0, m ? (int)m->column + 1 : 0, "%s", what);
}

static size_t byte_at(ydec *d, size_t chars)
{
	while (d->cur_chars < chars && d->cur_bytes < d->len) {
		unsigned char c = (unsigned char)d->buf[d->cur_bytes];
		d->cur_bytes += c < 0x80 ? 1 : c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
		d->cur_chars++;
	}
	return d->cur_bytes < d->len ? d->cur_bytes : d->len;
}

static void free_anchors(ydec *d)
{
	for (size_t i = 0; i < d->nanchors; i++)
		json_object_put(d->anchors[i].node);
	d->nanchors = 0;
	json_object_put(d->anchor_names);
	d->anchor_names = NULL;
}

static void free_frames(ydec *d)
{
	while (d->depth > 0) {
		frame *f = &d->st[--d->depth];
		json_object_put(f->node);
		json_object_put(f->merged);
		kube_free(f->key);
	}
}

/* Starts an anchor (its node still open). */
static int anchor_begin(ydec *d, const char *name, int *index)
{
	json_object *iv;

	*index = -1;
	if (!name)
		return 0;
	if (!d->anchor_names && !(d->anchor_names = json_object_new_object()))
		return kube__error_oom();
	if (d->nanchors == d->acap) {
		size_t ncap = d->acap ? d->acap * 2 : 16;
		anchor *na = kube_realloc(d->anchors, ncap * sizeof(*na));
		if (!na)
			return kube__error_oom();
		d->anchors = na;
		d->acap = ncap;
	}
	iv = json_object_new_int64((int64_t)d->nanchors);
	if (!iv || json_object_object_add(d->anchor_names, name, iv)) {
		json_object_put(iv);
		return kube__error_oom();
	}
	d->anchors[d->nanchors] = (anchor){ NULL, 0 };
	*index = (int)d->nanchors++;
	return 0;
}

static void anchor_end(ydec *d, int index, json_object *node)
{
	if (index < 0)
		return;
	d->anchors[index].node = json_object_get(node);
	d->anchors[index].done = 1;
}

/* Deep copy for alias expansion, counting nodes against the budget. */
static int copy_node(ydec *d, json_object *src, unsigned int depth, const yaml_mark_t *m,
                     json_object **out)
{
	json_object *c = NULL;
	int rc;

	*out = NULL;
	if (++d->alias_nodes > d->max_alias)
		return yerr(d, KUBE_ETOOBIG, m,
		            "alias expansion creates more than %zu nodes (max_alias_nodes)",
		            d->max_alias);
	switch (json_object_get_type(src)) {
	case json_type_null:
		return 0;
	case json_type_boolean:
		c = json_object_new_boolean(json_object_get_boolean(src));
		break;
	case json_type_int:
		c = json_object_new_int64(json_object_get_int64(src));
		break;
	case json_type_double:
		c = json_object_get_userdata(src)
		        ? json_object_new_double_s(json_object_get_double(src),
		                                   (const char *)json_object_get_userdata(src))
		        : json_object_new_double(json_object_get_double(src));
		break;
	case json_type_string:
		c = json_object_new_string_len(json_object_get_string(src),
		                               json_object_get_string_len(src));
		break;
	case json_type_array:
	case json_type_object:
		if (depth > d->max_depth)
			return yerr(d, KUBE_ETOOBIG, m, "nesting deeper than %u (max_depth)",
			            d->max_depth);
		if (json_object_is_type(src, json_type_array)) {
			size_t n = json_object_array_length(src);
			if (!(c = json_object_new_array_ext((int)(n ? n : 1))))
				return kube__error_oom();
			for (size_t i = 0; i < n; i++) {
				json_object *e;
				if ((rc = copy_node(d, json_object_array_get_idx(src, i), depth + 1, m, &e))) {
					json_object_put(c);
					return rc;
				}
				if (json_object_array_add(c, e)) {
					json_object_put(e);
					json_object_put(c);
					return kube__error_oom();
				}
			}
		} else {
			if (!(c = json_object_new_object()))
				return kube__error_oom();
			json_object_object_foreach(src, k, v) {
				json_object *e;
				if ((rc = copy_node(d, v, depth + 1, m, &e))) {
					json_object_put(c);
					return rc;
				}
				if (json_object_object_add_ex(c, k, e, JSON_C_OBJECT_ADD_KEY_IS_NEW)) {
					json_object_put(e);
					json_object_put(c);
					return kube__error_oom();
				}
			}
		}
		break;
	}
	if (!c)
		return kube__error_oom();
	if (d->pos && kube__posmap_add(d->pos, c, (int)m->line + 1, (int)m->column + 1)) {
		json_object_put(c);
		return KUBE_ENOMEM;
	}
	*out = c;
	return 0;
}

/* Merges the mapping(s) of `v` into map frame f (see the file comment). */
static int merge_into(ydec *d, frame *f, json_object *v, const yaml_mark_t *m)
{
	json_object *mine = NULL;  /* keys set by this merge, for a sequence */
	size_t n = 1;
	int is_seq = json_object_is_type(v, json_type_array);

	if (is_seq) {
		n = json_object_array_length(v);
		for (size_t i = 0; i < n; i++)
			if (!json_object_is_type(json_object_array_get_idx(v, i), json_type_object))
				goto want_map;
	} else if (!json_object_is_type(v, json_type_object)) {
		goto want_map;
	}
	if (!f->merged && !(f->merged = json_object_new_object()))
		return kube__error_oom();
	if (n > 1 && !(mine = json_object_new_object()))
		return kube__error_oom();
	for (size_t i = 0; i < n; i++) {
		json_object *src = is_seq ? json_object_array_get_idx(v, i) : v;
		json_object_object_foreach(src, k, val) {
			int had = json_object_object_get_ex(f->node, k, NULL);
			if (had && mine && json_object_object_get_ex(mine, k, NULL))
				continue;  /* an earlier mapping of this merge has it */
			/* new keys are added at the end; a key set before (explicitly
			 * or by an earlier merge) is overwritten in place, as go-yaml
			 * assigns in order */
			if (json_object_object_add(f->node, k, json_object_get(val)) ||
			    (!had && json_object_object_add(f->merged, k, NULL)) ||
			    (had && !json_object_object_get_ex(f->merged, k, NULL) &&
			     json_object_object_add(f->merged, k, NULL)) ||
			    (mine && json_object_object_add(mine, k, NULL))) {
				json_object_put(mine);
				return kube__error_oom();
			}
		}
	}
	json_object_put(mine);
	return 0;
want_map:
	return yerr(d, KUBE_EINVAL, m, "map merge requires map or sequence of maps as the value");
}

/* Hands a finished node (owned) to its parent, or makes it the root. */
static int add_value(ydec *d, json_object *v, const yaml_mark_t *m)
{
	frame *f;
	int rc = 0;

	if (d->depth == 0) {
		d->root = v;
		d->doc_line = (int)m->line + 1;
		d->doc_col = (int)m->column + 1;
		return 0;
	}
	f = &d->st[d->depth - 1];
	if (!f->is_map) {
		if (json_object_array_add(f->node, v)) {
			json_object_put(v);
			return kube__error_oom();
		}
		return 0;
	}
	if (f->merge) {
		rc = merge_into(d, f, v, m);
		json_object_put(v);
	} else if (json_object_object_get_ex(f->node, f->key, NULL)) {
		if (f->merged && json_object_object_get_ex(f->merged, f->key, NULL)) {
			/* an explicit key overrides a merged one, in place */
			json_object_object_del(f->merged, f->key);
			if (json_object_object_add(f->node, f->key, v))
				rc = kube__error_oom();
		} else {
			yaml_mark_t km = { 0, (size_t)f->key_line - 1, (size_t)f->key_col - 1 };
			rc = yerr(d, KUBE_EINVAL, &km, "mapping key \"%s\" already defined", f->key);
			json_object_put(v);
		}
	} else if (json_object_object_add_ex(f->node, f->key, v, JSON_C_OBJECT_ADD_KEY_IS_NEW)) {
		json_object_put(v);
		rc = kube__error_oom();
	}
	kube_free(f->key);
	f->key = NULL;
	f->merge = 0;
	f->want_key = 1;
	return rc;
}

static const char *short_tag(const char *tag)
{
	static const char prefix[] = "tag:yaml.org,2002:";
	if (tag && strncmp(tag, prefix, sizeof(prefix) - 1) == 0)
		return tag + sizeof(prefix) - 1;
	return NULL;
}

static int binary_node(ydec *d, const char *s, size_t n, const yaml_mark_t *m, json_object **out);

/*
 * The node of a scalar event, as a value.  *special is set for .inf/.nan
 * (no node; only a key may be one).
 */
static int scalar_node(ydec *d, const yaml_event_t *e, json_object **out, const char **special)
{
	const char *s = (const char *)e->data.scalar.value;
	size_t n = e->data.scalar.length;
	const char *tag = (const char *)e->data.scalar.tag;
	const char *st = short_tag(tag);
	const yaml_mark_t *m = &e->start_mark;
	resolved *r = &d->res;
	json_object *v = NULL;
	int rc;

	*out = NULL;
	*special = NULL;
	r->kind = R_STR;
	r->uint64 = 0;
	r->text.len = 0;
	if (n > INT32_MAX)
		return yerr(d, KUBE_ETOOBIG, m, "scalar too long");
	if (st && !strcmp(st, "binary"))
		return binary_node(d, s, n, m, out);
	if ((tag && !st) || (st && !strcmp(st, "str")) ||
	    (!tag && e->data.scalar.style != YAML_PLAIN_SCALAR_STYLE) ||
	    (st && !strcmp(st, "timestamp")) ||
	    (st && strcmp(st, "int") && strcmp(st, "float") && strcmp(st, "bool") &&
	     strcmp(st, "null"))) {
		v = json_object_new_string_len(s, (int)n);
		goto made;
	}
	if ((rc = resolve_plain(s, n, r)) != 0)
		return kube__error_oom();
	if (st) {
		static const char *names[] = { "str", "null", "bool", "int", "int", "float",
		                               "float", "int" };
		const char *got = names[r->kind];
		int ok = !strcmp(got, st) || (!strcmp(st, "float") && !strcmp(got, "int"));
		if (!ok)
			return yerr(d, KUBE_EINVAL, m, "cannot decode !!%s `%.*s` as a !!%s", got,
			            n > 64 ? 64 : (int)n, s, st);
	}
	switch (r->kind) {
	case R_STR:
		v = json_object_new_string_len(s, (int)n);
		break;
	case R_NULL:
		return 0;
	case R_BOOL:
		v = json_object_new_boolean(r->bval);
		break;
	case R_INT:
		v = json_object_new_int64(r->ival);
		break;
	case R_BIGINT:
	case R_FLOAT:
		v = kube__number_new(r->text.data, r->text.len, 0);
		break;
	case R_SPECIAL:
		*special = r->special;
		return 0;
	case R_TOOLONG:
		return yerr(d, KUBE_ETOOBIG, m, "number is longer than %d characters",
		            KUBE__NUMBER_MAX);
	}
made:
	if (!v)
		return kube__error_oom();
	*out = v;
	return 0;
}

/*
 * !!binary: go-yaml decodes the base64 (StdEncoding, line breaks ignored)
 * into a Go string, and JSON then writes each byte that is not UTF-8 as
 * U+FFFD.  Both steps are done here.
 */
static int binary_node(ydec *d, const char *s, size_t n, const yaml_mark_t *m, json_object **out)
{
	static const char alphabet[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	kube__buf raw = KUBE__BUF_INIT, text = KUBE__BUF_INIT;
	uint32_t acc = 0;
	int got = 0, pad = 0, rc = 0;

	for (size_t i = 0; i < n; i++) {
		const char *p;
		if (s[i] == '\r' || s[i] == '\n')
			continue;
		if (s[i] == '=' && got >= 2) {
			pad++;
			acc <<= 6;
			got++;
		} else if (!pad && s[i] && (p = strchr(alphabet, s[i])) != NULL) {
			acc = (acc << 6) | (uint32_t)(p - alphabet);
			got++;
		} else {
			goto bad;
		}
		if (got == 4) {
			char b[3] = { (char)(acc >> 16), (char)(acc >> 8), (char)acc };
			kube__buf_put(&raw, b, (size_t)(3 - pad));
			acc = 0;
			got = 0;
			if (pad)
				pad = -1;  /* nothing may follow the padding */
		}
	}
	if (got != 0)
		goto bad;
	for (size_t i = 0; i < raw.len;) {
		size_t l = kube__utf8_len((const unsigned char *)raw.data + i, raw.len - i);
		if (l) {
			kube__buf_put(&text, raw.data + i, l);
			i += l;
		} else {
			kube__buf_puts(&text, "\xEF\xBF\xBD");
			i++;
		}
	}
	if (raw.failed || text.failed || text.len > INT32_MAX)
		rc = kube__error_oom();
	else if (!(*out = json_object_new_string_len(text.data ? text.data : "", (int)text.len)))
		rc = kube__error_oom();
	kube__buf_free(&raw);
	kube__buf_free(&text);
	return rc;
bad:
	kube__buf_free(&raw);
	return yerr(d, KUBE_EINVAL, m, "!!binary value contains invalid base64 data");
}

/* The string a map key becomes (sigs.k8s.io/yaml's conversion); *out owned. */
static int key_string(ydec *d, json_object *v, const char *special, const yaml_mark_t *m,
                      char **out)
{
	char tmp[64];
	const char *s = tmp;
	size_t n;

	*out = NULL;
	if (special) {
		s = special;
		n = strlen(s);
	} else {
		switch (json_object_get_type(v)) {
		case json_type_null:
			return yerr(d, KUBE_EINVAL, m, "unsupported map key: null");
		case json_type_boolean:
			s = json_object_get_boolean(v) ? "true" : "false";
			n = strlen(s);
			break;
		case json_type_int:
			snprintf(tmp, sizeof(tmp), "%lld", (long long)json_object_get_int64(v));
			n = strlen(tmp);
			break;
		case json_type_double:
			format_float32(tmp, sizeof(tmp), json_object_get_double(v));
			n = strlen(tmp);
			break;
		case json_type_string:
			s = json_object_get_string(v);
			n = (size_t)json_object_get_string_len(v);
			if (memchr(s, '\0', n))
				return yerr(d, KUBE_EINVAL, m, "map key contains a NUL character");
			break;
		case json_type_array:
			return yerr(d, KUBE_EINVAL, m, "unsupported map key: a sequence");
		default:
			return yerr(d, KUBE_EINVAL, m, "unsupported map key: a mapping");
		}
	}
	if (!(*out = kube_strndup(s, n)))
		return kube__error_oom();
	return 0;
}

static int set_key(ydec *d, frame *f, json_object *v, const char *special, const yaml_mark_t *m)
{
	int rc = key_string(d, v, special, m, &f->key);
	if (rc)
		return rc;
	f->want_key = 0;
	f->key_line = (int)m->line + 1;
	f->key_col = (int)m->column + 1;
	return 0;
}

static int on_scalar(ydec *d, const yaml_event_t *e)
{
	frame *f = d->depth ? &d->st[d->depth - 1] : NULL;
	const char *special;
	json_object *v;
	int rc, ai;

	if ((rc = anchor_begin(d, (const char *)e->data.scalar.anchor, &ai)) != 0)
		return rc;
	if (f && f->is_map && f->want_key && e->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	    e->data.scalar.length == 2 && memcmp(e->data.scalar.value, "<<", 2) == 0 &&
	    (!e->data.scalar.tag || !strcmp((const char *)e->data.scalar.tag,
	                                    "tag:yaml.org,2002:merge"))) {
		f->merge = 1;
		f->want_key = 0;
		f->key_line = (int)e->start_mark.line + 1;
		f->key_col = (int)e->start_mark.column + 1;
		return 0;
	}
	if ((rc = scalar_node(d, e, &v, &special)) != 0)
		return rc;
	if (special && !(f && f->is_map && f->want_key))
		return yerr(d, KUBE_EINVAL, &e->start_mark,
		            "%.*s cannot be represented in JSON", (int)e->data.scalar.length,
		            (const char *)e->data.scalar.value);
	anchor_end(d, ai, v);
	if (f && f->is_map && f->want_key) {
		if (d->res.kind == R_BIGINT && d->res.uint64 && json_object_is_type(v, json_type_double)) {
			json_object_put(v);
			return yerr(d, KUBE_EINVAL, &e->start_mark,
			            "unsupported map key: %.*s (an unsigned 64-bit integer)",
			            (int)e->data.scalar.length, (const char *)e->data.scalar.value);
		}
		rc = set_key(d, f, v, special, &e->start_mark);
		json_object_put(v);
		return rc;
	}
	if (v && d->pos && kube__posmap_add(d->pos, v, (int)e->start_mark.line + 1,
	                                    (int)e->start_mark.column + 1)) {
		json_object_put(v);
		return KUBE_ENOMEM;
	}
	return add_value(d, v, &e->start_mark);
}

static int on_alias(ydec *d, const yaml_event_t *e)
{
	const char *name = (const char *)e->data.alias.anchor;
	frame *f = d->depth ? &d->st[d->depth - 1] : NULL;
	json_object *iv, *v;
	anchor *a;
	int rc;

	if (!d->anchor_names || !json_object_object_get_ex(d->anchor_names, name, &iv))
		return yerr(d, KUBE_EINVAL, &e->start_mark, "unknown anchor \"%s\" referenced", name);
	a = &d->anchors[json_object_get_int64(iv)];
	if (!a->done)
		return yerr(d, KUBE_EINVAL, &e->start_mark, "anchor \"%s\" value contains itself",
		            name);
	if (f && f->is_map && f->want_key)
		return set_key(d, f, a->node, NULL, &e->start_mark);
	if ((rc = copy_node(d, a->node, (unsigned int)d->depth + 1, &e->start_mark, &v)) != 0)
		return rc;
	return add_value(d, v, &e->start_mark);
}

static int on_start(ydec *d, const yaml_event_t *e, int is_map)
{
	frame *f = d->depth ? &d->st[d->depth - 1] : NULL;
	const char *anchor_name = (const char *)(is_map ? e->data.mapping_start.anchor
	                                                : e->data.sequence_start.anchor);
	json_object *node;
	int rc, ai;

	if (f && f->is_map && f->want_key)
		return yerr(d, KUBE_EINVAL, &e->start_mark, "unsupported map key: a %s",
		            is_map ? "mapping" : "sequence");
	if (d->depth + 1 > d->max_depth)
		return yerr(d, KUBE_ETOOBIG, &e->start_mark, "nesting deeper than %u (max_depth)",
		            d->max_depth);
	if (d->depth == d->cap) {
		size_t ncap = d->cap ? d->cap * 2 : 16;
		frame *ns = kube_realloc(d->st, ncap * sizeof(*ns));
		if (!ns)
			return kube__error_oom();
		d->st = ns;
		d->cap = ncap;
	}
	if ((rc = anchor_begin(d, anchor_name, &ai)) != 0)
		return rc;
	node = is_map ? json_object_new_object() : json_object_new_array();
	if (!node)
		return kube__error_oom();
	if (d->pos && kube__posmap_add(d->pos, node, (int)e->start_mark.line + 1,
	                               (int)e->start_mark.column + 1)) {
		json_object_put(node);
		return KUBE_ENOMEM;
	}
	d->st[d->depth++] = (frame){ node, is_map, is_map, NULL, 0, 0, 0, NULL, ai, e->start_mark };
	if (d->depth == 1) {
		d->doc_line = (int)e->start_mark.line + 1;
		d->doc_col = (int)e->start_mark.column + 1;
	}
	return 0;
}

static int on_end(ydec *d)
{
	frame f = d->st[--d->depth];

	json_object_put(f.merged);
	anchor_end(d, f.anchor, f.node);
	if (d->depth == 0) {
		d->root = f.node;
		return 0;
	}
	return add_value(d, f.node, &f.start);
}

/* Line and column (1-based) of byte offset `off` from the start of input. */
static void offset_position(const ydec *d, size_t off, int *line, int *col)
{
	int l = 1, c = 1;
	for (size_t i = 0; i < off && i < d->len; i++) {
		unsigned char ch = (unsigned char)d->buf[i];
		if (ch == '\n' || (ch == '\r' && (i + 1 >= d->len || d->buf[i + 1] != '\n'))) {
			l++;
			c = 1;
		} else if ((ch & 0xC0) != 0x80 && ch != '\r') {
			c++;
		}
	}
	*line = l;
	*col = c;
}

static int parse_error(ydec *d, yaml_parser_t *p)
{
	const char *problem = p->problem ? p->problem : "syntax error";
	int doc = d->in_doc ? d->doc : d->doc + 1;

	if (p->error == YAML_MEMORY_ERROR)
		return kube__error_oom();
	if (p->error == YAML_READER_ERROR) {
		int line, col;
		offset_position(d, p->problem_offset, &line, &col);
		if (p->problem_value != -1)
			return kube__codec_error(KUBE_EINVAL, doc, line, col, "%s (byte 0x%02X)", problem,
			                         (unsigned)p->problem_value & 0xFFu);
		return kube__codec_error(KUBE_EINVAL, doc, line, col, "%s", problem);
	}
	if (p->context)
		return kube__codec_error(KUBE_EINVAL, doc, (int)p->problem_mark.line + 1,
		                         (int)p->problem_mark.column + 1,
		                         "%s (%s at line %d, column %d)", problem, p->context,
		                         (int)p->context_mark.line + 1,
		                         (int)p->context_mark.column + 1);
	return kube__codec_error(KUBE_EINVAL, doc, (int)p->problem_mark.line + 1,
	                         (int)p->problem_mark.column + 1, "%s", problem);
}

int kube__yaml_decode(kube__docs *out, const char *buf, size_t len,
                      const kube_decode_options *opts)
{
	ydec d = { 0 };
	yaml_parser_t p;
	int rc = 0, done = 0;

	d.max_doc = opts && opts->max_document_bytes ? opts->max_document_bytes : 3u * 1024 * 1024;
	d.max_depth = opts && opts->max_depth ? opts->max_depth : 256;
	if (d.max_depth > KUBE__DEPTH_CAP)
		d.max_depth = KUBE__DEPTH_CAP;
	d.max_alias = opts && opts->max_alias_nodes ? opts->max_alias_nodes : 100000;
	d.want_pos = opts && (opts->flags & KUBE_DECODE_POSITIONS);
	/* libyaml would skip a BOM itself, but also switch to UTF-16 on a UTF-16
	 * one; fixing the encoding keeps the input UTF-8 only. */
	if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0) {
		buf += 3;
		len -= 3;
	}
	d.buf = buf;
	d.len = len;
	if (!yaml_parser_initialize(&p))
		return kube__error_oom();
	yaml_parser_set_encoding(&p, YAML_UTF8_ENCODING);
	yaml_parser_set_input_string(&p, (const unsigned char *)buf, len);
	while (!done && rc == 0) {
		yaml_event_t e;

		if (!yaml_parser_parse(&p, &e)) {
			rc = parse_error(&d, &p);
			break;
		}
		if (d.in_doc && byte_at(&d, e.end_mark.index) - d.doc_start > d.max_doc) {
			rc = yerr(&d, KUBE_ETOOBIG, &e.start_mark,
			          "document is larger than %zu bytes (max_document_bytes)", d.max_doc);
			yaml_event_delete(&e);
			break;
		}
		switch (e.type) {
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_DOCUMENT_START_EVENT:
			d.doc++;
			d.in_doc = 1;
			d.doc_start = byte_at(&d, e.start_mark.index);
			d.doc_line = (int)e.start_mark.line + 1;
			d.doc_col = (int)e.start_mark.column + 1;
			d.alias_nodes = 0;
			if (d.want_pos)
				rc = kube__posmap_new(&d.pos);
			break;
		case YAML_DOCUMENT_END_EVENT:
			rc = kube__docs_push(out, d.root, d.doc, d.doc_line, d.doc_col, d.pos);
			if (rc == 0) {
				d.root = NULL;
				d.pos = NULL;
			}
			d.in_doc = 0;
			free_anchors(&d);
			break;
		case YAML_SCALAR_EVENT:
			rc = on_scalar(&d, &e);
			break;
		case YAML_ALIAS_EVENT:
			rc = on_alias(&d, &e);
			break;
		case YAML_SEQUENCE_START_EVENT:
			rc = on_start(&d, &e, 0);
			break;
		case YAML_MAPPING_START_EVENT:
			rc = on_start(&d, &e, 1);
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			rc = on_end(&d);
			break;
		default:
			break;
		}
		yaml_event_delete(&e);
	}
	yaml_parser_delete(&p);
	free_frames(&d);
	free_anchors(&d);
	kube_free(d.anchors);
	kube_free(d.st);
	json_object_put(d.root);
	kube__posmap_free(d.pos);
	kube__buf_free(&d.res.text);
	if (rc)
		kube__docs_free(out);
	return rc;
}

/* ---- encoder ---- */

/* go-yaml v2.4's isBase60Float: [-+]?[0-9][0-9_]*(?::[0-5]?[0-9])+(?:\.[0-9_]*)? */
static int is_base60(const char *s, size_t n)
{
	size_t i = 0;
	int groups = 0;

	if (i < n && (s[i] == '+' || s[i] == '-'))
		i++;
	if (i >= n || s[i] < '0' || s[i] > '9')
		return 0;
	while (i < n && ((s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
		i++;
	while (i < n && s[i] == ':') {
		size_t ds = ++i;
		while (i < n && s[i] >= '0' && s[i] <= '9' && i - ds < 2)
			i++;
		if (i == ds || (i - ds == 2 && s[ds] > '5'))
			return 0;
		groups++;
	}
	if (!groups)
		return 0;
	if (i < n && s[i] == '.') {
		i++;
		while (i < n && ((s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			i++;
	}
	return i == n;
}

static int digits_in(const char *s, size_t n, size_t *i, size_t min, size_t max, int lo, int hi)
{
	size_t st = *i;
	int v = 0;
	while (*i < n && *i - st < max && s[*i] >= '0' && s[*i] <= '9')
		v = v * 10 + (s[(*i)++] - '0');
	return *i - st >= min && v >= lo && v <= hi;
}

/* go-yaml v2's parseTimestamp: 2006-1-2, 2006-1-2T15:4:5.999999999Z07:00
 * (T or t), 2006-1-2 15:4:5.999999999. */
static int is_timestamp(const char *s, size_t n)
{
	size_t i = 0;
	char sep;

	if (!digits_in(s, n, &i, 4, 4, 0, 9999) || i >= n || s[i++] != '-' ||
	    !digits_in(s, n, &i, 1, 2, 1, 12) || i >= n || s[i++] != '-' ||
	    !digits_in(s, n, &i, 1, 2, 1, 31))
		return 0;
	if (i == n)
		return 1;
	sep = s[i++];
	if (sep != 'T' && sep != 't' && sep != ' ')
		return 0;
	if (!digits_in(s, n, &i, 1, 2, 0, 23) || i >= n || s[i++] != ':' ||
	    !digits_in(s, n, &i, 1, 2, 0, 59) || i >= n || s[i++] != ':' ||
	    !digits_in(s, n, &i, 1, 2, 0, 59))
		return 0;
	if (i < n && s[i] == '.') {
		size_t fs = ++i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		if (i == fs)
			return 0;
	}
	if (sep == ' ')
		return i == n;
	if (i < n && s[i] == 'Z')
		return i + 1 == n;
	if (i < n && (s[i] == '+' || s[i] == '-')) {
		i++;
		return digits_in(s, n, &i, 2, 2, 0, 99) && i < n && s[i++] == ':' &&
		       digits_in(s, n, &i, 2, 2, 0, 99) && i == n;
	}
	return 0;
}

/* A string that a plain scalar would not give back must be quoted. */
static int needs_quotes(const char *s, size_t n, int is_key)
{
	resolved r = { 0 };
	int q;

	if (is_key && n == 2 && s[0] == '<' && s[1] == '<')
		return 1;  /* would read back as a merge key */
	if (resolve_plain(s, n, &r) != 0) {
		kube__buf_free(&r.text);
		return 1;
	}
	kube__buf_free(&r.text);
	q = r.kind != R_STR;
	return q || is_base60(s, n) || is_timestamp(s, n);
}

typedef struct yenc {
	yaml_emitter_t em;
	kube__buf *out;
	kube__buf scratch;
} yenc;

static int write_cb(void *data, unsigned char *buffer, size_t size)
{
	kube__buf *b = data;
	return kube__buf_put(b, buffer, size) == 0;
}

static int emit(yenc *y, yaml_event_t *ev, int made)
{
	if (!made)
		return kube__error_set(KUBE_ERROR, NULL, "yaml encode: cannot create an event");
	if (!yaml_emitter_emit(&y->em, ev)) {
		if (y->out->failed || y->em.error == YAML_MEMORY_ERROR)
			return kube__error_oom();
		return kube__error_set(KUBE_ERROR, NULL, "yaml encode: %s",
		                       y->em.problem ? y->em.problem : "emitter error");
	}
	return 0;
}

static int emit_scalar(yenc *y, const char *s, size_t n, yaml_scalar_style_t style)
{
	yaml_event_t ev;
	return emit(y, &ev, yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s,
	                                                 (int)n, 1, 1, style));
}

static int emit_string(yenc *y, const char *s, size_t n, int is_key)
{
	yaml_scalar_style_t style = YAML_PLAIN_SCALAR_STYLE;
	size_t i = 0;

	/* libyaml refuses invalid UTF-8; write U+FFFD as the JSON encoder does */
	while (i < n && kube__utf8_len((const unsigned char *)s + i, n - i))
		i += kube__utf8_len((const unsigned char *)s + i, n - i);
	if (i < n) {
		y->scratch.len = 0;
		for (i = 0; i < n;) {
			size_t l = kube__utf8_len((const unsigned char *)s + i, n - i);
			if (l) {
				kube__buf_put(&y->scratch, s + i, l);
				i += l;
			} else {
				kube__buf_puts(&y->scratch, "\xEF\xBF\xBD");
				i++;
			}
		}
		if (y->scratch.failed)
			return kube__error_oom();
		s = y->scratch.data;
		n = y->scratch.len;
	}
	if (n > INT32_MAX)
		return kube__error_set(KUBE_ETOOBIG, NULL, "yaml encode: string too long");
	if (memchr(s, '\n', n))
		style = is_key ? YAML_DOUBLE_QUOTED_SCALAR_STYLE : YAML_LITERAL_SCALAR_STYLE;
	else if (needs_quotes(s, n, is_key))
		style = YAML_DOUBLE_QUOTED_SCALAR_STYLE;
	return emit_scalar(y, s, n, style);
}

static int emit_node(yenc *y, json_object *v, int depth)
{
	yaml_event_t ev;
	int rc;

	if (depth > KUBE__DEPTH_CAP)
		return kube__error_set(KUBE_ETOOBIG, NULL, "cannot encode: nesting deeper than %d",
		                       KUBE__DEPTH_CAP);
	switch (json_object_get_type(v)) {
	case json_type_null:
		return emit_scalar(y, "null", 4, YAML_PLAIN_SCALAR_STYLE);
	case json_type_boolean:
		return json_object_get_boolean(v) ? emit_scalar(y, "true", 4, YAML_PLAIN_SCALAR_STYLE)
		                                  : emit_scalar(y, "false", 5, YAML_PLAIN_SCALAR_STYLE);
	case json_type_int:
	case json_type_double: {
		kube__buf num = KUBE__BUF_INIT;
		if ((rc = kube__number_text(&num, v)) != 0 || num.failed) {
			kube__buf_free(&num);
			return rc ? rc : kube__error_oom();
		}
		rc = emit_scalar(y, num.data, num.len, YAML_PLAIN_SCALAR_STYLE);
		kube__buf_free(&num);
		return rc;
	}
	case json_type_string:
		return emit_string(y, json_object_get_string(v), (size_t)json_object_get_string_len(v),
		                   0);
	case json_type_array: {
		size_t n = json_object_array_length(v);
		if ((rc = emit(y, &ev, yaml_sequence_start_event_initialize(
		                            &ev, NULL, NULL, 1,
		                            n ? YAML_BLOCK_SEQUENCE_STYLE : YAML_FLOW_SEQUENCE_STYLE))))
			return rc;
		for (size_t i = 0; i < n; i++)
			if ((rc = emit_node(y, json_object_array_get_idx(v, i), depth + 1)) != 0)
				return rc;
		return emit(y, &ev, yaml_sequence_end_event_initialize(&ev));
	}
	case json_type_object: {
		int n = json_object_object_length(v);
		if ((rc = emit(y, &ev, yaml_mapping_start_event_initialize(
		                            &ev, NULL, NULL, 1,
		                            n ? YAML_BLOCK_MAPPING_STYLE : YAML_FLOW_MAPPING_STYLE))))
			return rc;
		json_object_object_foreach(v, key, val) {
			if ((rc = emit_string(y, key, strlen(key), 1)) != 0 ||
			    (rc = emit_node(y, val, depth + 1)) != 0)
				return rc;
		}
		return emit(y, &ev, yaml_mapping_end_event_initialize(&ev));
	}
	}
	return kube__error_set(KUBE_EINVAL, NULL, "cannot encode: unknown json-c type");
}

int kube__yaml_encode(kube__buf *out, json_object *root)
{
	yenc y = { .out = out };
	yaml_event_t ev;
	size_t start = out->len;
	int rc;

	if (!yaml_emitter_initialize(&y.em))
		return kube__error_oom();
	yaml_emitter_set_output(&y.em, write_cb, out);
	yaml_emitter_set_unicode(&y.em, 1);
	yaml_emitter_set_indent(&y.em, 2);
	yaml_emitter_set_width(&y.em, 80);  /* go-yaml v2's default, so kubectl's */
	yaml_emitter_set_break(&y.em, YAML_LN_BREAK);
	if ((rc = emit(&y, &ev, yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING))) ||
	    (rc = emit(&y, &ev, yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, 1))) ||
	    (rc = emit_node(&y, root, 0)) ||
	    (rc = emit(&y, &ev, yaml_document_end_event_initialize(&ev, 1))) ||
	    (rc = emit(&y, &ev, yaml_stream_end_event_initialize(&ev))))
		goto done;
	if (!yaml_emitter_flush(&y.em))
		rc = kube__error_oom();
	/* libyaml closes a document that ends in a |+ block with "..."; the end
	 * of the buffer (or the next "---") ends it just as well. */
	if (rc == 0 && out->len - start >= 4 && memcmp(out->data + out->len - 4, "...\n", 4) == 0 &&
	    (out->len - start == 4 || out->data[out->len - 5] == '\n'))
		out->len -= 4, out->data[out->len] = '\0';
done:
	yaml_emitter_delete(&y.em);
	kube__buf_free(&y.scratch);
	if (rc == 0 && out->failed)
		rc = kube__error_oom();
	return rc;
}
