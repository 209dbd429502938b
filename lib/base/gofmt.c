/*
 * gofmt.c - strings printed the way Go's runtime prints them.
 *
 * Kubernetes' error messages embed values formatted by Go: %q quoting
 * (strconv.Quote) and encoding/json's string and []string rendering.
 * Callers and differential tests compare those messages word for word, so
 * the labels layer (selector errors) and the object layer (field.Error
 * values) both print through these functions.
 *
 * strconv.IsPrint needs Unicode tables; we know the non-printable ranges
 * that matter (controls, spaces other than ' ', format characters, private
 * use, non-characters) and treat every other valid code point as printable,
 * which differs from Go only for unassigned code points.
 */
#include <string.h>

#include "base.h"

static const char hexdig[] = "0123456789abcdef";

/* Go's utf8.DecodeRune: on an invalid sequence, U+FFFD with width 1. */
static uint32_t decode_rune(const unsigned char *s, size_t n, size_t *w)
{
	unsigned char b0 = s[0];
	unsigned char lo = 0x80, hi = 0xBF;
	size_t need;
	uint32_t r;

	*w = 1;
	if (b0 < 0x80)
		return b0;
	if (b0 >= 0xC2 && b0 <= 0xDF) {
		need = 2;
		r = b0 & 0x1F;
	} else if (b0 >= 0xE0 && b0 <= 0xEF) {
		need = 3;
		r = b0 & 0x0F;
		if (b0 == 0xE0)
			lo = 0xA0;
		else if (b0 == 0xED)
			hi = 0x9F;
	} else if (b0 >= 0xF0 && b0 <= 0xF4) {
		need = 4;
		r = b0 & 0x07;
		if (b0 == 0xF0)
			lo = 0x90;
		else if (b0 == 0xF4)
			hi = 0x8F;
	} else {
		return 0xFFFD;
	}
	if (n < need || s[1] < lo || s[1] > hi)
		return 0xFFFD;
	r = (r << 6) | (s[1] & 0x3F);
	for (size_t i = 2; i < need; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0xFFFD;
		r = (r << 6) | (s[i] & 0x3F);
	}
	*w = need;
	return r;
}

static int go_is_print(uint32_t r)
{
	if (r < 0x80)
		return r >= 0x20 && r < 0x7F;
	if (r <= 0xA0 || r == 0xAD)
		return 0;
	if ((r >= 0x600 && r <= 0x605) || r == 0x61C || r == 0x6DD || r == 0x70F ||
	    r == 0x180E || r == 0x1680)
		return 0;
	if ((r >= 0x2000 && r <= 0x200F) || (r >= 0x2028 && r <= 0x202F) ||
	    (r >= 0x205F && r <= 0x206F) || r == 0x3000)
		return 0;
	if ((r >= 0xD800 && r <= 0xF8FF) || r == 0xFEFF || (r >= 0xFFF9 && r <= 0xFFFB) ||
	    (r & 0xFFFE) == 0xFFFE || (r >= 0xF0000))
		return 0;
	return 1;
}

void kube__go_quote(kube__buf *b, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	kube__buf_putc(b, '"');
	while (i < n) {
		size_t w;
		uint32_t r = decode_rune(s + i, n - i, &w);
		char esc[12];

		if (r == 0xFFFD && w == 1) {
			esc[0] = '\\';
			esc[1] = 'x';
			esc[2] = hexdig[s[i] >> 4];
			esc[3] = hexdig[s[i] & 15];
			kube__buf_put(b, esc, 4);
		} else if (r == '"' || r == '\\') {
			esc[0] = '\\';
			esc[1] = (char)r;
			kube__buf_put(b, esc, 2);
		} else if (go_is_print(r)) {
			kube__buf_put(b, s + i, w);
		} else {
			switch (r) {
			case '\a': kube__buf_puts(b, "\\a"); break;
			case '\b': kube__buf_puts(b, "\\b"); break;
			case '\f': kube__buf_puts(b, "\\f"); break;
			case '\n': kube__buf_puts(b, "\\n"); break;
			case '\r': kube__buf_puts(b, "\\r"); break;
			case '\t': kube__buf_puts(b, "\\t"); break;
			case '\v': kube__buf_puts(b, "\\v"); break;
			default:
				if (r < ' ' || r == 0x7F)
					kube__buf_printf(b, "\\x%02x", r);
				else if (r < 0x10000)
					kube__buf_printf(b, "\\u%04x", r);
				else
					kube__buf_printf(b, "\\U%08x", r);
			}
		}
		i += w;
	}
	kube__buf_putc(b, '"');
}

void kube__go_json_string(kube__buf *b, const char *str, size_t n)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t i = 0;

	kube__buf_putc(b, '"');
	while (i < n) {
		unsigned char c = s[i];
		if (c < 0x80) {
			switch (c) {
			case '"': kube__buf_puts(b, "\\\""); break;
			case '\\': kube__buf_puts(b, "\\\\"); break;
			case '\b': kube__buf_puts(b, "\\b"); break;
			case '\f': kube__buf_puts(b, "\\f"); break;
			case '\n': kube__buf_puts(b, "\\n"); break;
			case '\r': kube__buf_puts(b, "\\r"); break;
			case '\t': kube__buf_puts(b, "\\t"); break;
			default:
				if (c < 0x20 || c == '<' || c == '>' || c == '&') {
					char esc[6] = { '\\', 'u', '0', '0', hexdig[c >> 4], hexdig[c & 15] };
					kube__buf_put(b, esc, 6);
				} else {
					kube__buf_putc(b, (char)c);
				}
			}
			i++;
			continue;
		}
		size_t w;
		uint32_t r = decode_rune(s + i, n - i, &w);
		if (r == 0xFFFD && w == 1)
			kube__buf_puts(b, "\\ufffd");
		else if (r == 0x2028 || r == 0x2029)
			kube__buf_printf(b, "\\u%04x", r);
		else
			kube__buf_put(b, s + i, w);
		i += w;
	}
	kube__buf_putc(b, '"');
}

void kube__go_json_strings(kube__buf *b, const char *const *v, const size_t *lens, size_t n)
{
	if (n == 0) {
		/* the values reach NewRequirement as append([]string(nil), ...): nil */
		kube__buf_puts(b, "null");
		return;
	}
	kube__buf_putc(b, '[');
	for (size_t i = 0; i < n; i++) {
		if (i)
			kube__buf_putc(b, ',');
		kube__go_json_string(b, v[i], lens ? lens[i] : strlen(v[i]));
	}
	kube__buf_putc(b, ']');
}
