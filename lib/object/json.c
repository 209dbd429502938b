/*
 * json.c - a strict JSON stream decoder and the JSON encoder.
 *
 * json-c's tokener reports no positions and turns integers beyond 64 bits
 * into lossy doubles, so decoding is done here: a recursive-descent parser
 * over RFC 8259 that builds json-c nodes directly.  The input is a stream of
 * values separated by optional whitespace (`{..} {..}` or one per line), each
 * value one document, numbered from 1.  A UTF-8 byte order mark at the very
 * start is skipped.  The parser is strict where RFC 8259 is: no leading
 * zeros, no trailing commas, no comments, no single quotes, no control
 * characters or invalid UTF-8 inside strings.  Two choices it makes where the
 * RFC leaves room:
 *   - a duplicate key in one object is an error (`object key "x" already
 *     defined`), as in the YAML decoder and upstream's strict decoding;
 *   - an escaped lone surrogate (\ud800 without its pair) becomes U+FFFD, as
 *     Go's encoding/json does; raw invalid UTF-8 is refused instead.
 * Keys may not contain NUL (json-c keys are C strings); values may.
 *
 * Numbers keep their text.  An integer that fits int64 becomes a json-c
 * int; any other number (fraction, exponent, or an integer of any size
 * beyond int64) becomes a double that serializes as its original text, so
 * 2^64+5 and 1.50 come back out exactly as they went in.
 *
 * Positions: line and column are 1-based; a column counts characters (UTF-8
 * sequences), not bytes, as libyaml does, so both decoders agree.  With
 * KUBE_DECODE_POSITIONS every node's start is put in the document's posmap.
 *
 * The encoder writes compact or pretty (2-space) JSON with keys in document
 * order, '/' unescaped and non-ASCII UTF-8 as is; invalid UTF-8 that reached
 * a tree through the API is written as U+FFFD (as Go does).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "object_private.h"

/* ---- helpers shared with yaml.c ---- */

int kube__codec_error(int code, int document, int line, int column, const char *fmt, ...)
{
	char what[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (document > 0 && line > 0)
		kube__error_set(code, NULL, "document %d, line %d, column %d: %s",
		                document, line, column, what);
	else if (document > 0)
		kube__error_set(code, NULL, "document %d: %s", document, what);
	else if (line > 0)
		kube__error_set(code, NULL, "line %d, column %d: %s", line, column, what);
	else
		kube__error_set(code, NULL, "%s", what);
	kube__error_set_position(document, line, column);
	return code;
}

size_t kube__utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c;

	if (n == 0)
		return 0;
	c = s[0];
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		return (n >= 2 && (s[1] & 0xC0) == 0x80) ? 2 : 0;
	if (c >= 0xE0 && c <= 0xEF) {
		/* no overlongs (E0 80..9F) and no surrogates (ED A0..BF) */
		unsigned char lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
		return (n >= 3 && s[1] >= lo && s[1] <= hi && (s[2] & 0xC0) == 0x80) ? 3 : 0;
	}
	if (c >= 0xF0 && c <= 0xF4) {
		unsigned char lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
		return (n >= 4 && s[1] >= lo && s[1] <= hi && (s[2] & 0xC0) == 0x80 &&
		        (s[3] & 0xC0) == 0x80) ? 4 : 0;
	}
	return 0;
}

json_object *kube__number_new(const char *text, size_t len, int integer)
{
	char tmp[KUBE__NUMBER_MAX + 1];
	int64_t sv;

	if (len > KUBE__NUMBER_MAX)
		return NULL;
	/* text is -?[0-9]+ without leading zeros when integer; what the text
	 * readers call an int (kube__json_text_int) is what this makes one */
	if (integer && kube__json_text_int(text, 0, len, &sv))
		return json_object_new_int64(sv);
	memcpy(tmp, text, len);
	tmp[len] = '\0';
	return json_object_new_double_s(strtod(tmp, NULL), tmp);
}

int kube__number_text(kube__buf *out, json_object *num)
{
	char tmp[40];
	double d;

	if (json_object_is_type(num, json_type_int)) {
		int64_t i = json_object_get_int64(num);
		if (i == INT64_MAX)  /* json-c clamps uint64 values to INT64_MAX */
			return kube__buf_printf(out, "%llu",
			                        (unsigned long long)json_object_get_uint64(num));
		return kube__buf_printf(out, "%lld", (long long)i);
	}
	if (json_object_get_userdata(num))  /* made by json_object_new_double_s */
		return kube__buf_puts(out, (const char *)json_object_get_userdata(num));
	d = json_object_get_double(num);
	if (!isfinite(d))
		return kube__error_set(KUBE_EINVAL, NULL, "cannot encode %s: JSON has no %s",
		                       isnan(d) ? "NaN" : "an infinite number",
		                       isnan(d) ? "NaN" : "infinities");
	/* the shortest text that reads back as the same double */
	for (int prec = 15; prec <= 17; prec++) {
		snprintf(tmp, sizeof(tmp), "%.*g", prec, d);
		if (strtod(tmp, NULL) == d)
			break;
	}
	if (!strpbrk(tmp, ".e"))
		strcat(tmp, ".0");  /* stays a float when read back */
	return kube__buf_puts(out, tmp);
}

/* ---- decoder ---- */

typedef struct jdec {
	const unsigned char *s;
	size_t n, p;
	int line, col;
	int doc;                 /* index of the document being read */
	size_t doc_start;        /* byte offset where it starts */
	size_t max_doc;
	unsigned int max_depth;
	int want_pos;
	kube__posmap *pos;       /* the current document's */
	kube__buf str;           /* scratch for decoded strings */
} jdec;

static int jerr(jdec *d, int code, int line, int col, const char *fmt, ...) KUBE_PRINTF(5, 6);

static int jerr(jdec *d, int code, int line, int col, const char *fmt, ...)
{
	char what[900];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	return kube__codec_error(code, d->doc, line, col, "%s", what);
}

/* Describes the input at p for an error message. */
static const char *describe(const jdec *d, char *buf, size_t cap)
{
	unsigned char c;
	size_t l;

	if (d->p >= d->n)
		return "end of input";
	c = d->s[d->p];
	if (c >= 0x20 && c < 0x7F) {
		snprintf(buf, cap, "'%c'", c);
		return buf;
	}
	l = kube__utf8_len(d->s + d->p, d->n - d->p);
	if (l == 0) {
		snprintf(buf, cap, "invalid UTF-8 byte 0x%02X", c);
		return buf;
	}
	{
		uint32_t cp = l == 1 ? c : l == 2 ? (c & 0x1Fu) : l == 3 ? (c & 0x0Fu) : (c & 0x07u);
		for (size_t i = 1; i < l; i++)
			cp = (cp << 6) | (d->s[d->p + i] & 0x3Fu);
		snprintf(buf, cap, "U+%04X", (unsigned)cp);
	}
	return buf;
}

/* Moves over one byte, keeping line and column. */
static inline void adv(jdec *d)
{
	unsigned char c = d->s[d->p++];
	if (c == '\n' || (c == '\r' && (d->p >= d->n || d->s[d->p] != '\n'))) {
		d->line++;
		d->col = 1;
	} else if ((c & 0xC0) != 0x80 && c != '\r') {
		d->col++;
	}
}

static void skip_ws(jdec *d)
{
	while (d->p < d->n) {
		unsigned char c = d->s[d->p];
		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		adv(d);
	}
}

static int check_size(jdec *d)
{
	if (d->p - d->doc_start > d->max_doc)
		return jerr(d, KUBE_ETOOBIG, d->line, d->col,
		            "document is larger than %zu bytes (max_document_bytes)", d->max_doc);
	return 0;
}

static int put_utf8(kube__buf *b, uint32_t cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xC0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xE0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		u[0] = (char)(0xF0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	return kube__buf_put(b, u, n);
}

static int hex4(const unsigned char *s, uint32_t *out)
{
	uint32_t v = 0;
	for (int i = 0; i < 4; i++) {
		unsigned char c = s[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (uint32_t)(c - 'A' + 10);
		else
			return -1;
	}
	*out = v;
	return 0;
}

/* Reads a string at p (which is '"') into d->str. */
static int parse_string(jdec *d)
{
	int sl = d->line, sc = d->col;
	char what[48];

	/* keep the scratch allocated: an empty key must still be a C string */
	if (!d->str.data && kube__buf_grow(&d->str, 64))
		return kube__error_oom();
	d->str.len = 0;
	d->str.data[0] = '\0';
	adv(d);
	for (;;) {
		size_t run = d->p;
		unsigned char c;

		while (run < d->n) {
			c = d->s[run];
			if (c < 0x20 || c == '"' || c == '\\' || c >= 0x80)
				break;
			run++;
		}
		if (run > d->p) {
			if (kube__buf_put(&d->str, d->s + d->p, run - d->p))
				return kube__error_oom();
			d->col += (int)(run - d->p);
			d->p = run;
		}
		if (d->p >= d->n)
			return jerr(d, KUBE_EINVAL, sl, sc, "unterminated string");
		c = d->s[d->p];
		if (c == '"') {
			adv(d);
			return check_size(d);
		}
		if (c >= 0x80) {
			size_t l = kube__utf8_len(d->s + d->p, d->n - d->p);
			if (l == 0)
				return jerr(d, KUBE_EINVAL, d->line, d->col, "invalid UTF-8 in string");
			if (kube__buf_put(&d->str, d->s + d->p, l))
				return kube__error_oom();
			d->p += l;
			d->col++;
			continue;
		}
		if (c < 0x20)
			return jerr(d, KUBE_EINVAL, d->line, d->col,
			            "invalid control character U+%04X in string (escape it)", c);
		/* an escape */
		{
			int el = d->line, ec = d->col;
			uint32_t cp;
			char out;

			if (d->p + 1 >= d->n)
				return jerr(d, KUBE_EINVAL, sl, sc, "unterminated string");
			switch (d->s[d->p + 1]) {
			case '"': out = '"'; break;
			case '\\': out = '\\'; break;
			case '/': out = '/'; break;
			case 'b': out = '\b'; break;
			case 'f': out = '\f'; break;
			case 'n': out = '\n'; break;
			case 'r': out = '\r'; break;
			case 't': out = '\t'; break;
			case 'u':
				if (d->p + 6 > d->n || hex4(d->s + d->p + 2, &cp))
					return jerr(d, KUBE_EINVAL, el, ec,
					            "invalid \\u escape in string (expected 4 hex digits)");
				d->p += 6;
				d->col += 6;
				if (cp >= 0xD800 && cp <= 0xDBFF) {
					uint32_t lo;
					if (d->p + 6 <= d->n && d->s[d->p] == '\\' && d->s[d->p + 1] == 'u' &&
					    hex4(d->s + d->p + 2, &lo) == 0 && lo >= 0xDC00 && lo <= 0xDFFF) {
						cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
						d->p += 6;
						d->col += 6;
					} else {
						cp = 0xFFFD;
					}
				} else if (cp >= 0xDC00 && cp <= 0xDFFF) {
					cp = 0xFFFD;
				}
				if (put_utf8(&d->str, cp))
					return kube__error_oom();
				continue;
			default:
				d->p++;
				d->col++;
				return jerr(d, KUBE_EINVAL, el, ec, "invalid escape '\\%s' in string",
				            describe(d, what, sizeof(what)));
			}
			if (kube__buf_putc(&d->str, out))
				return kube__error_oom();
			d->p += 2;
			d->col += 2;
		}
	}
}

static int is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static int parse_number(jdec *d, json_object **out)
{
	size_t start = d->p;
	int sl = d->line, sc = d->col, integer = 1, rc;
	char what[48];

	if (d->s[d->p] == '-')
		d->p++;
	if (d->p >= d->n || !is_digit(d->s[d->p])) {
		d->col += (int)(d->p - start);
		return jerr(d, KUBE_EINVAL, d->line, d->col, "expected a digit after '-', found %s",
		            describe(d, what, sizeof(what)));
	}
	if (d->s[d->p] == '0' && d->p + 1 < d->n && is_digit(d->s[d->p + 1]))
		return jerr(d, KUBE_EINVAL, sl, sc, "leading zeros are not allowed in numbers");
	while (d->p < d->n && is_digit(d->s[d->p]))
		d->p++;
	if (d->p < d->n && d->s[d->p] == '.') {
		integer = 0;
		d->p++;
		if (d->p >= d->n || !is_digit(d->s[d->p])) {
			d->col += (int)(d->p - start);
			return jerr(d, KUBE_EINVAL, d->line, d->col,
			            "expected a digit after the decimal point, found %s",
			            describe(d, what, sizeof(what)));
		}
		while (d->p < d->n && is_digit(d->s[d->p]))
			d->p++;
	}
	if (d->p < d->n && (d->s[d->p] == 'e' || d->s[d->p] == 'E')) {
		integer = 0;
		d->p++;
		if (d->p < d->n && (d->s[d->p] == '+' || d->s[d->p] == '-'))
			d->p++;
		if (d->p >= d->n || !is_digit(d->s[d->p])) {
			d->col += (int)(d->p - start);
			return jerr(d, KUBE_EINVAL, d->line, d->col,
			            "expected a digit in the exponent, found %s",
			            describe(d, what, sizeof(what)));
		}
		while (d->p < d->n && is_digit(d->s[d->p]))
			d->p++;
	}
	d->col += (int)(d->p - start);
	if (d->p - start > KUBE__NUMBER_MAX)
		return jerr(d, KUBE_ETOOBIG, sl, sc, "number is longer than %d characters",
		            KUBE__NUMBER_MAX);
	*out = kube__number_new((const char *)d->s + start, d->p - start, integer);
	if (!*out)
		return kube__error_oom();
	/* An integer keeps its digits whatever its size; a float that no double
	 * can hold is refused, as Go's encoding/json refuses it. */
	if (!integer && !isfinite(json_object_get_double(*out))) {
		json_object_put(*out);
		*out = NULL;
		return jerr(d, KUBE_EINVAL, sl, sc, "number %.*s is out of range",
		            (int)(d->p - start > 64 ? 64 : d->p - start), (const char *)d->s + start);
	}
	if ((rc = check_size(d)) != 0) {
		json_object_put(*out);
		*out = NULL;
	}
	return rc;
}

static int parse_literal(jdec *d, const char *word, size_t wl)
{
	if (d->n - d->p < wl || memcmp(d->s + d->p, word, wl) != 0)
		return jerr(d, KUBE_EINVAL, d->line, d->col, "invalid literal (expected %s)", word);
	d->p += wl;
	d->col += (int)wl;
	return 0;
}

static int parse_value(jdec *d, unsigned int depth, json_object **out);

static int parse_container(jdec *d, unsigned int depth, json_object *node, int is_obj)
{
	char what[48];
	const char *close = is_obj ? "'}'" : "']'";

	adv(d);
	skip_ws(d);
	if (d->p < d->n && d->s[d->p] == (is_obj ? '}' : ']')) {
		adv(d);
		return 0;
	}
	for (;;) {
		json_object *v = NULL;
		char *key = NULL;
		int rc;

		skip_ws(d);
		if (is_obj) {
			int kl = d->line, kc = d->col;
			if (d->p >= d->n || d->s[d->p] != '"')
				return jerr(d, KUBE_EINVAL, d->line, d->col,
				            "expected a string key, found %s", describe(d, what, sizeof(what)));
			if ((rc = parse_string(d)) != 0)
				return rc;
			if (memchr(d->str.data, '\0', d->str.len))
				return jerr(d, KUBE_EINVAL, kl, kc, "object key contains a NUL character");
			if (json_object_object_get_ex(node, d->str.data, NULL))
				return jerr(d, KUBE_EINVAL, kl, kc, "object key \"%s\" already defined",
				            d->str.data);
			key = kube_strndup(d->str.data, d->str.len);
			if (!key)
				return kube__error_oom();
			skip_ws(d);
			if (d->p >= d->n || d->s[d->p] != ':') {
				kube_free(key);
				return jerr(d, KUBE_EINVAL, d->line, d->col,
				            "expected ':' after object key, found %s",
				            describe(d, what, sizeof(what)));
			}
			adv(d);
		}
		if ((rc = parse_value(d, depth, &v)) != 0) {
			kube_free(key);
			return rc;
		}
		if (is_obj) {
			rc = json_object_object_add_ex(node, key, v, JSON_C_OBJECT_ADD_KEY_IS_NEW);
			kube_free(key);
		} else {
			rc = json_object_array_add(node, v);
		}
		if (rc != 0) {
			json_object_put(v);
			return kube__error_oom();
		}
		skip_ws(d);
		if (d->p < d->n && d->s[d->p] == ',') {
			adv(d);
			continue;
		}
		if (d->p < d->n && d->s[d->p] == (is_obj ? '}' : ']')) {
			adv(d);
			return 0;
		}
		return jerr(d, KUBE_EINVAL, d->line, d->col, "expected ',' or %s after %s, found %s",
		            close, is_obj ? "an object member" : "an array element",
		            describe(d, what, sizeof(what)));
	}
}

static int parse_value(jdec *d, unsigned int depth, json_object **out)
{
	int line, col, rc;
	char what[48];
	json_object *v = NULL;

	*out = NULL;
	skip_ws(d);
	line = d->line;
	col = d->col;
	if ((rc = check_size(d)) != 0)
		return rc;
	if (d->p >= d->n)
		return jerr(d, KUBE_EINVAL, line, col, "unexpected end of input, expected a value");
	switch (d->s[d->p]) {
	case '{':
	case '[':
		if (depth + 1 > d->max_depth)
			return jerr(d, KUBE_ETOOBIG, line, col, "nesting deeper than %u (max_depth)",
			            d->max_depth);
		v = d->s[d->p] == '{' ? json_object_new_object() : json_object_new_array();
		if (!v)
			return kube__error_oom();
		if (d->pos && kube__posmap_add(d->pos, v, line, col)) {
			json_object_put(v);
			return KUBE_ENOMEM;
		}
		rc = parse_container(d, depth + 1, v, d->s[d->p] == '{');
		if (rc == 0)
			rc = check_size(d);  /* blanks before the closing bracket count too */
		if (rc) {
			json_object_put(v);
			return rc;
		}
		*out = v;
		return 0;
	case '"':
		if ((rc = parse_string(d)) != 0)
			return rc;
		if (d->str.len > INT32_MAX)
			return jerr(d, KUBE_ETOOBIG, line, col, "string too long");
		v = json_object_new_string_len(d->str.data ? d->str.data : "", (int)d->str.len);
		break;
	case 't':
		if ((rc = parse_literal(d, "true", 4)) != 0)
			return rc;
		v = json_object_new_boolean(1);
		break;
	case 'f':
		if ((rc = parse_literal(d, "false", 5)) != 0)
			return rc;
		v = json_object_new_boolean(0);
		break;
	case 'n':
		return parse_literal(d, "null", 4);
	default:
		if (d->s[d->p] == '-' || is_digit(d->s[d->p])) {
			if ((rc = parse_number(d, &v)) != 0)
				return rc;
			break;
		}
		return jerr(d, KUBE_EINVAL, line, col, "unexpected %s%s, expected a value",
		            d->s[d->p] >= 0x20 && d->s[d->p] < 0x7F ? "character " : "",
		            describe(d, what, sizeof(what)));
	}
	if (!v)
		return kube__error_oom();
	if (d->pos && kube__posmap_add(d->pos, v, line, col)) {
		json_object_put(v);
		return KUBE_ENOMEM;
	}
	*out = v;
	return 0;
}

int kube__json_decode(kube__docs *out, const char *buf, size_t len,
                      const kube_decode_options *opts)
{
	jdec d = { 0 };
	int rc = 0;

	d.s = (const unsigned char *)buf;
	d.n = len;
	d.line = d.col = 1;
	d.max_doc = opts && opts->max_document_bytes ? opts->max_document_bytes : 3u * 1024 * 1024;
	d.max_depth = opts && opts->max_depth ? opts->max_depth : 256;
	if (d.max_depth > KUBE__DEPTH_CAP)
		d.max_depth = KUBE__DEPTH_CAP;
	d.want_pos = opts && (opts->flags & KUBE_DECODE_POSITIONS);
	if (len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0)
		d.p = 3;
	for (;;) {
		json_object *root = NULL;
		int line, col;

		skip_ws(&d);
		if (d.p >= d.n)
			break;
		d.doc++;
		d.doc_start = d.p;
		line = d.line;
		col = d.col;
		if (d.want_pos && (rc = kube__posmap_new(&d.pos)) != 0)
			break;
		if ((rc = parse_value(&d, 0, &root)) != 0 ||
		    (rc = kube__docs_push(out, root, d.doc, line, col, d.pos)) != 0) {
			json_object_put(root);
			kube__posmap_free(d.pos);
			break;
		}
		d.pos = NULL;
	}
	kube__buf_free(&d.str);
	if (rc)
		kube__docs_free(out);
	return rc;
}

/* ---- encoder ---- */

/*
 * The store encodes every object it writes, on the loop thread, so the
 * encoder appends through inline fast paths (one capacity check per piece,
 * the NUL terminator written once at the end) instead of a function call
 * per byte, knows key lengths from json-c's hash entries, and prints
 * integers itself rather than through printf.
 */

static inline void bput(kube__buf *b, const void *p, size_t n)
{
	if (KUBE_LIKELY(b->len + n < b->cap)) {
		memcpy(b->data + b->len, p, n);
		b->len += n;
	} else {
		kube__buf_put(b, p, n);
	}
}

static inline void bputc(kube__buf *b, char c)
{
	if (KUBE_LIKELY(b->len + 1 < b->cap))
		b->data[b->len++] = c;
	else
		kube__buf_put(b, &c, 1);
}

static void put_indent(kube__buf *b, int level)
{
	bputc(b, '\n');
	for (int i = 0; i < level; i++)
		bput(b, "  ", 2);
}

static void put_string(kube__buf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	size_t i = 0, run = 0;

	bputc(b, '"');
	while (i < n) {
		unsigned char c;
		const char *esc = NULL;
		char u[6];
		size_t l = 1;

		/* eight plain bytes at a time (no control, '"', '\\' or non-ASCII
		 * byte: the classic has-zero-byte tests on shifted copies) */
		while (i + 8 <= n) {
			uint64_t w, ctl, quo, bsl;
			memcpy(&w, s + i, 8);
			ctl = (w - 0x2020202020202020ull) & ~w;
			quo = ((w ^ 0x2222222222222222ull) - 0x0101010101010101ull) & ~(w ^ 0x2222222222222222ull);
			bsl = ((w ^ 0x5c5c5c5c5c5c5c5cull) - 0x0101010101010101ull) & ~(w ^ 0x5c5c5c5c5c5c5c5cull);
			if ((ctl | quo | bsl | w) & 0x8080808080808080ull)
				break;
			i += 8;
		}
		if (i >= n)
			break;
		c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\' && c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0x80) {
			l = kube__utf8_len((const unsigned char *)s + i, n - i);
			if (l) {
				i += l;
				continue;
			}
			esc = "\xEF\xBF\xBD";  /* U+FFFD for a byte that is not UTF-8 */
		}
		bput(b, s + run, i - run);
		switch (c) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\b': esc = "\\b"; break;
		case '\f': esc = "\\f"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		default:
			if (c < 0x20) {
				memcpy(u, "\\u00", 4);
				u[4] = hex[c >> 4];
				u[5] = hex[c & 15];
				bput(b, u, 6);
			}
		}
		if (esc)
			bput(b, esc, strlen(esc));
		i++;
		run = i;
	}
	bput(b, s + run, n - run);
	bputc(b, '"');
}

/* An int node's text; doubles and uint64 go through kube__number_text. */
static int put_number(kube__buf *b, json_object *v)
{
	char tmp[24], *p = tmp + sizeof(tmp);
	int64_t i;
	uint64_t u;

	if (!json_object_is_type(v, json_type_int) || (i = json_object_get_int64(v)) == INT64_MAX)
		return kube__number_text(b, v) == KUBE_EINVAL ? KUBE_EINVAL : 0;
	u = i < 0 ? (uint64_t)0 - (uint64_t)i : (uint64_t)i;
	do {
		*--p = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (i < 0)
		*--p = '-';
	bput(b, p, (size_t)(tmp + sizeof(tmp) - p));
	return 0;
}

/* meta_end (level 0 only, may be NULL): where the top-level "metadata"
 * map's closing brace lands in the output. */
static int enc_value(kube__buf *b, json_object *v, unsigned int flags, int level, size_t *meta_end)
{
	int pretty = (flags & KUBE_ENCODE_PRETTY) != 0, rc;

	if (level > KUBE__DEPTH_CAP)
		return kube__error_set(KUBE_ETOOBIG, NULL, "cannot encode: nesting deeper than %d",
		                       KUBE__DEPTH_CAP);
	switch (json_object_get_type(v)) {
	case json_type_null:
		bput(b, "null", 4);
		return 0;
	case json_type_boolean:
		if (json_object_get_boolean(v))
			bput(b, "true", 4);
		else
			bput(b, "false", 5);
		return 0;
	case json_type_int:
	case json_type_double:
		return put_number(b, v);
	case json_type_string:
		put_string(b, json_object_get_string(v), (size_t)json_object_get_string_len(v));
		return 0;
	case json_type_array: {
		size_t n = json_object_array_length(v);
		if (n == 0) {
			bput(b, "[]", 2);
			return 0;
		}
		bputc(b, '[');
		for (size_t i = 0; i < n; i++) {
			if (i)
				bputc(b, ',');
			if (pretty)
				put_indent(b, level + 1);
			if ((rc = enc_value(b, json_object_array_get_idx(v, i), flags, level + 1, NULL)) != 0)
				return rc;
		}
		if (pretty)
			put_indent(b, level);
		bputc(b, ']');
		return 0;
	}
	case json_type_object: {
		int first = 1;
		if (json_object_object_length(v) == 0) {
			bput(b, "{}", 2);
			return 0;
		}
		bputc(b, '{');
		for (struct lh_entry *e = json_object_get_object(v)->head; e; e = e->next) {
			const char *key = (const char *)lh_entry_k(e);
			json_object *val = (json_object *)lh_entry_v(e);
			size_t klen = strlen(key);
			if (!first)
				bputc(b, ',');
			first = 0;
			if (pretty)
				put_indent(b, level + 1);
			put_string(b, key, klen);
			if (pretty)
				bput(b, ": ", 2);
			else
				bputc(b, ':');
			if ((rc = enc_value(b, val, flags, level + 1, NULL)) != 0)
				return rc;
			if (meta_end && klen == 8 && memcmp(key, "metadata", 8) == 0 &&
			    json_object_is_type(val, json_type_object))
				*meta_end = b->len - 1;
		}
		if (pretty)
			put_indent(b, level);
		bputc(b, '}');
		return 0;
	}
	}
	return kube__error_set(KUBE_EINVAL, NULL, "cannot encode: unknown json-c type");
}

static int encode(kube__buf *out, json_object *root, unsigned int flags, size_t *meta_end)
{
	int rc;

	/* one allocation for a typical object instead of six doublings */
	if (out->cap < out->len + 4096)
		kube__buf_grow(out, 4000);
	rc = enc_value(out, root, flags, 0, meta_end);
	if (rc == 0 && (flags & KUBE_ENCODE_PRETTY))
		bputc(out, '\n');
	if (rc == 0 && out->failed)
		rc = kube__error_oom();
	if (out->data && !out->failed)
		out->data[out->len] = '\0';
	return rc;
}

int kube__json_encode(kube__buf *out, json_object *root, unsigned int flags)
{
	return encode(out, root, flags, NULL);
}

int kube__json_encode_meta(kube__buf *out, json_object *root, size_t *meta_end)
{
	*meta_end = SIZE_MAX;
	return encode(out, root, 0, meta_end);
}

/* ---- reading compact text without a tree ---- */

/*
 * A store keeps its objects as JSON text (object.c), and its own readers
 * (field selectors) look at one or two members: walking the text finds
 * them without building the tree that would then stay with the object.
 * The text is valid JSON (this encoder wrote it), so the walk only needs
 * to find where values end; whitespace is skipped all the same.
 */

static size_t ws(const char *t, size_t n, size_t p)
{
	while (p < n && (t[p] == ' ' || t[p] == '\t' || t[p] == '\n' || t[p] == '\r'))
		p++;
	return p;
}

/* Just past the string that starts at t[p] ('"').  Strings are most of
 * an object's text: memchr finds the quote, and the quote is escaped when
 * an odd run of backslashes precedes it. */
static size_t skip_string(const char *t, size_t n, size_t p)
{
	size_t start = ++p;
	for (;;) {
		const char *q = p < n ? memchr(t + p, '"', n - p) : NULL;
		size_t e, b;
		if (!q)
			return n;
		e = (size_t)(q - t);
		for (b = e; b > start && t[b - 1] == '\\'; b--)
			;
		if ((e - b) % 2 == 0)
			return e + 1;
		p = e + 1;
	}
}

size_t kube__json_text_skip(const char *t, size_t n, size_t p)
{
	size_t depth = 0;

	p = ws(t, n, p);
	if (p >= n)
		return n;
	if (t[p] == '"')
		return skip_string(t, n, p);
	if (t[p] != '{' && t[p] != '[') {
		while (p < n && t[p] != ',' && t[p] != '}' && t[p] != ']' && t[p] != ' ' &&
		       t[p] != '\n' && t[p] != '\t' && t[p] != '\r')
			p++;
		return p;
	}
	while (p < n) {
		char c = t[p];
		if (c == '"') {
			p = skip_string(t, n, p);
			continue;
		}
		if (c == '{' || c == '[')
			depth++;
		else if ((c == '}' || c == ']') && --depth == 0)
			return p + 1;
		p++;
	}
	return n;
}

int kube__json_text_key_plain(const char *t, size_t k, size_t ke, const char *key)
{
	size_t l = strlen(key);
	return ke - k == l + 2 && memcmp(t + k + 1, key, l) == 0;
}

/* Does the JSON string token t[p..e) say `key`?  Its raw bytes are the
 * key only when they hold no escape: "a\\b" says a\b, not a\\b. */
static int key_is(const char *t, size_t p, size_t e, const char *key, size_t klen)
{
	kube__buf s = KUBE__BUF_INIT;
	int eq;

	if (e < p + 2)
		return 0;
	if (!memchr(t + p + 1, '\\', e - p - 2))
		return e - p - 2 == klen && memcmp(t + p + 1, key, klen) == 0;
	eq = kube__json_text_string(t, e, p, &s) == 0 && s.len == klen &&
	     memcmp(s.data, key, klen) == 0;
	kube__buf_free(&s);
	return eq;
}

size_t kube__json_text_member(const char *t, size_t n, size_t p, const char *key)
{
	return kube__json_text_member_n(t, n, p, key, strlen(key));
}

size_t kube__json_text_member_n(const char *t, size_t n, size_t p, const char *key, size_t klen)
{
	p = ws(t, n, p);
	if (p >= n || t[p] != '{')
		return SIZE_MAX;
	p = ws(t, n, p + 1);
	while (p < n && t[p] == '"') {
		size_t ke = skip_string(t, n, p), v;
		int hit = key_is(t, p, ke, key, klen);
		v = ws(t, n, ke);
		if (v >= n || t[v] != ':')
			return SIZE_MAX;
		v = ws(t, n, v + 1);
		if (hit)
			return v;
		p = ws(t, n, kube__json_text_skip(t, n, v));
		if (p >= n || t[p] != ',')
			return SIZE_MAX;
		p = ws(t, n, p + 1);
	}
	return SIZE_MAX;
}

void kube__json_put_string(kube__buf *b, const char *s, size_t n)
{
	put_string(b, s, n);
}

void kube__json_text_member_string(const char *t, size_t n, size_t p, const char *key,
                                   kube__buf *out)
{
	size_t v = kube__json_text_member_n(t, n, p, key, strlen(key));

	out->len = 0;
	if (v == SIZE_MAX || t[v] != '"' || kube__json_text_string(t, n, v, out) != 0)
		out->len = 0;
	kube__buf_put(out, "", 0);   /* NUL-terminated even when empty */
}

size_t kube__json_text_typed(const char *t, size_t n, size_t p, const char *type, size_t *end)
{
	size_t tl = strlen(type);

	p = ws(t, n, p);
	if (p >= n || t[p] != '[')
		return SIZE_MAX;
	for (p = ws(t, n, p + 1); p < n && t[p] != ']';) {
		size_t v = kube__json_text_member_n(t, n, p, "type", 4);
		size_t e = kube__json_text_skip(t, n, p);
		if (v != SIZE_MAX && t[v] == '"' && key_is(t, v, skip_string(t, n, v), type, tl)) {
			*end = e;
			return p;
		}
		p = ws(t, n, e);
		if (p < n && t[p] == ',')
			p = ws(t, n, p + 1);
	}
	return SIZE_MAX;
}

int kube__json_text_int(const char *t, size_t v, size_t e, int64_t *out)
{
	uint64_t u = 0, lim = (uint64_t)INT64_MAX;
	int neg = 0;

	if (v < e && t[v] == '-') {
		neg = 1;
		lim++;
		v++;
	}
	if (v >= e)
		return 0;
	for (; v < e; v++) {
		unsigned d = (unsigned)(t[v] - '0');
		if (d > 9 || u > (lim - d) / 10)
			return 0;   /* a fraction, an exponent, or too big: a double */
		u = u * 10 + d;
	}
	*out = neg ? (int64_t)(0 - u) : (int64_t)u;
	return 1;
}

int kube__json_text_string(const char *t, size_t n, size_t p, kube__buf *out)
{
	kube_decode_options opts = KUBE_DECODE_OPTIONS_INIT;
	kube__docs docs = { 0 };
	size_t e;
	int rc;

	p = ws(t, n, p);
	if (p >= n || t[p] != '"')
		return KUBE_EINVAL;
	e = skip_string(t, n, p);
	out->len = 0;
	if (e < p + 2)
		return KUBE_EINVAL;
	if (!memchr(t + p + 1, '\\', e - p - 2))
		return kube__buf_put(out, t + p + 1, e - p - 2);
	/* escapes: the decoder knows them all */
	opts.format = KUBE_FORMAT_JSON;
	if ((rc = kube__json_decode(&docs, t + p, e - p, &opts)) != 0)
		return rc;
	if (docs.count == 1 && json_object_is_type(docs.items[0].root, json_type_string))
		rc = kube__buf_put(out, json_object_get_string(docs.items[0].root),
		                   (size_t)json_object_get_string_len(docs.items[0].root));
	else
		rc = KUBE_EINVAL;
	kube__docs_free(&docs);
	return rc;
}
