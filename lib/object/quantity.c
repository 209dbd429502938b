/*
 * quantity.c - resource quantities, exact, in 128-bit nano-units.
 *
 * A quantity is stored as N, a signed 128-bit count of nano-units
 * (value = N * 10^-9), plus the format it prints with.  Upstream keeps an
 * int64 mantissa with a base-10 scale and falls back to inf.Dec; but every
 * value its parser produces is already rounded to a whole number of
 * nano-units, so one fixed-point integer represents all of them, and
 * compare/add/sub become integer operations with no scale alignment.
 * |N| < 10^38 is the invariant (|value| < 10^29): a round decimal bound
 * that is easy to state and to check, above anything int64 can express in
 * nano-units, and short enough that every canonical string fits 43 bytes.
 *
 *   opaque_[0]  low 64 bits of N  (two's complement)
 *   opaque_[1]  high 64 bits of N
 *   opaque_[2]  kube_quantity_format
 *   opaque_[3]  0 (reserved)
 *
 * Parsing follows upstream's ParseQuantity step by step, so that it accepts
 * and rejects the same strings with the same messages: a permissive scanner
 * splits sign / integer digits / fraction digits / suffix, the suffix is
 * interpreted, and upstream's choice between its int64 fast path and its
 * inf.Dec slow path is reproduced only where it changes the answer (the
 * slow path rejects a number with no digit at all, which is how "Ei" fails
 * while "Ki" parses as 0).  The value itself is computed by streaming the
 * digits from the least significant one, multiplying by 2^k on the way for
 * binary suffixes, so inputs of any length need no buffer: digits below
 * the nano position only set a sticky bit, which rounds the magnitude up.
 */
#include <string.h>

#include "object_private.h"

__extension__ typedef __int128 i128;
__extension__ typedef unsigned __int128 u128;

#define NANO 1000000000ULL
#define E19 10000000000000000000ULL

/* |N| < LIMIT = 10^38, i.e. |value| < 10^29. */
#define LIMIT ((u128)E19 * E19)
#define LIMIT_DIGITS 38

/* Binary SI values are capped at 2^63-1 units, in nano-units. */
#define BINARY_CAP ((u128)INT64_MAX * NANO)

#define MSG_FORMAT "quantities must match the regular expression " \
                   "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
#define MSG_NUMERIC "unable to parse numeric part of quantity"
#define MSG_SUFFIX "unable to parse quantity's suffix"
#define MSG_RANGE "quantity out of range: libkube holds quantities exactly " \
                  "only below 10^29 in magnitude"

typedef struct qrep {
	i128 n;
	kube_quantity_format format;
} qrep;

_Static_assert(sizeof(kube_quantity) == 32, "kube_quantity is 32 bytes in the ABI");

static qrep load(const kube_quantity *q)
{
	qrep r;
	u128 bits = ((u128)q->opaque_[1] << 64) | q->opaque_[0];
	r.n = (i128)bits;
	r.format = q->opaque_[2] <= KUBE_QUANTITY_DECIMAL_EXPONENT
	           ? (kube_quantity_format)q->opaque_[2] : KUBE_QUANTITY_DECIMAL_SI;
	return r;
}

static void store(kube_quantity *q, i128 n, kube_quantity_format format)
{
	u128 bits = (u128)n;
	q->opaque_[0] = (uint64_t)bits;
	q->opaque_[1] = (uint64_t)(bits >> 64);
	q->opaque_[2] = (uint64_t)format;
	q->opaque_[3] = 0;
}

static u128 magnitude(i128 n)
{
	return n < 0 ? -(u128)n : (u128)n;
}

static int valid_format(kube_quantity_format f)
{
	return f == KUBE_QUANTITY_DECIMAL_SI || f == KUBE_QUANTITY_BINARY_SI ||
	       f == KUBE_QUANTITY_DECIMAL_EXPONENT;
}

/* ---- scanning (upstream's parseQuantityString) ---- */

typedef struct scan {
	int negative;
	int has_digit;          /* the number part holds at least one digit */
	const char *num;        /* integer digits, leading zeros removed */
	size_t num_len;
	const char *den;        /* fraction digits, as written */
	size_t den_len;
	const char *suf;
	size_t suf_len;
} scan;

static inline int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static inline int is_suffix_char(char c)
{
	switch (c) {
	case 'e': case 'E': case 'i': case 'n': case 'u': case 'm':
	case 'k': case 'K': case 'M': case 'G': case 'T': case 'P':
		return 1;
	default:
		return 0;
	}
}

/*
 * Splits s the way upstream's scanner does; -1 where it answers
 * ErrFormatWrong.  The scanner is looser than the regular expression in
 * the message (a bare sign or a bare suffix gets through); what it lets
 * through is then judged by the suffix and numeric checks.
 */
static int scan_quantity(const char *s, size_t n, scan *sc)
{
	size_t pos = 0;

	memset(sc, 0, sizeof(*sc));
	if (pos < n && (s[pos] == '-' || s[pos] == '+')) {
		sc->negative = s[pos] == '-';
		pos++;
	}
	while (pos < n && s[pos] == '0') {
		sc->has_digit = 1;
		pos++;
	}
	if (pos == n)
		return 0;

	sc->num = s + pos;
	while (pos < n && is_digit(s[pos]))
		pos++;
	sc->num_len = (size_t)(s + pos - sc->num);
	if (sc->num_len)
		sc->has_digit = 1;
	if (pos == n)
		return 0;

	if (s[pos] == '.') {
		pos++;
		sc->den = s + pos;
		while (pos < n && is_digit(s[pos]))
			pos++;
		sc->den_len = (size_t)(s + pos - sc->den);
		if (sc->den_len)
			sc->has_digit = 1;
		if (pos == n)
			return 0;
	}

	sc->suf = s + pos;
	while (pos < n && is_suffix_char(s[pos]))
		pos++;
	if (pos < n && (s[pos] == '-' || s[pos] == '+'))
		pos++;
	while (pos < n && is_digit(s[pos]))
		pos++;
	if (pos != n)
		return -1;
	sc->suf_len = (size_t)(s + n - sc->suf);
	return 0;
}

/* ---- suffixes ---- */

enum { BASE_2 = 2, BASE_10 = 10 };

/* Go's strconv.ParseInt(s, 10, 64): optional sign, at least one digit. */
static int parse_int64(const char *s, size_t n, int64_t *out)
{
	size_t i = 0;
	int neg = 0;
	uint64_t v = 0;
	uint64_t limit;

	if (i < n && (s[i] == '+' || s[i] == '-')) {
		neg = s[i] == '-';
		i++;
	}
	if (i == n)
		return -1;
	limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < n; i++) {
		if (!is_digit(s[i]))
			return -1;
		unsigned d = (unsigned)(s[i] - '0');
		if (v > (limit - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

/* upstream's suffixer.interpret(); 0 and base/exponent/format, or -1. */
static int interpret_suffix(const char *s, size_t n, int *base, int64_t *exponent,
                            kube_quantity_format *format)
{
	/* 10^-9 .. 10^18 by threes; the blank holds the place of "" (10^0) */
	static const char dec_chars[] = "num kMGTPE";
	static const char bin_chars[] = "KMGTPE";       /* 2^10 .. 2^60 by tens */
	const char *p;

	if (n == 0 || (n == 1 && s[0] != ' ' && (p = memchr(dec_chars, s[0], 10)) != NULL)) {
		*base = BASE_10;
		*exponent = n == 0 ? 0 : 3 * (p - dec_chars) - 9;
		*format = KUBE_QUANTITY_DECIMAL_SI;
		return 0;
	}
	if (n == 2 && s[1] == 'i' && (p = memchr(bin_chars, s[0], 6)) != NULL) {
		*base = BASE_2;
		*exponent = 10 * (p - bin_chars + 1);
		*format = KUBE_QUANTITY_BINARY_SI;
		return 0;
	}
	if (n > 1 && (s[0] == 'e' || s[0] == 'E')) {
		if (parse_int64(s + 1, n - 1, exponent) != 0)
			return -1;
		*base = BASE_10;
		*format = KUBE_QUANTITY_DECIMAL_EXPONENT;
		return 0;
	}
	return -1;
}

/* ---- the exact value ---- */

/*
 * Computes |value| in nano-units: the digits D = num ++ den, times mult
 * (2^k for a binary suffix, else 1), times 10^t where t places D's last
 * digit relative to the nano position.  Digits are produced from the
 * least significant end of D * mult; those below the nano position only
 * feed `sticky`, which rounds the result away from zero as upstream's
 * inf.RoundUp does.  Returns 0, or 1 if the magnitude reaches LIMIT.
 */
static int exact_nanos(const scan *sc, uint64_t mult, int64_t t, u128 *out)
{
	size_t total = sc->num_len + sc->den_len;
	u128 acc = 0, place = 0;
	int64_t offset = t;     /* power of ten of the digit being produced */
	uint64_t carry = 0;
	int sticky = 0;

	for (size_t k = 0;; k++, offset++) {
		unsigned d;
		if (k < total) {
			size_t i = total - 1 - k;
			char c = i < sc->num_len ? sc->num[i] : sc->den[i - sc->num_len];
			/* (c - '0') * 2^60 + carry < 10 * 2^60: no overflow */
			uint64_t x = (uint64_t)(c - '0') * mult + carry;
			d = (unsigned)(x % 10);
			carry = x / 10;
		} else if (carry) {
			d = (unsigned)(carry % 10);
			carry /= 10;
		} else {
			break;
		}

		if (offset < 0) {
			sticky |= d != 0;
			continue;
		}
		if (offset >= LIMIT_DIGITS) {
			if (d != 0)
				return 1;
			continue;
		}
		if (place == 0) {
			place = 1;
			for (int64_t j = 0; j < offset; j++)
				place *= 10;
		}
		acc += (u128)d * place;
		place *= 10;
	}
	if (sticky)
		acc += 1;
	if (acc >= LIMIT)
		return 1;
	*out = acc;
	return 0;
}

int kube_quantity_parse_n(kube_quantity *out, const char *s, size_t len)
{
	scan sc;
	int base;
	int64_t exponent;
	kube_quantity_format format;
	u128 mag = 0;
	int over;

	KUBE_CHECK_ARG(out != NULL);
	KUBE_CHECK_ARG(s != NULL || len == 0);

	if (len == 0 || scan_quantity(s, len, &sc) != 0)
		return kube__error_set(KUBE_EINVAL, NULL, MSG_FORMAT);
	if (interpret_suffix(sc.suf, sc.suf_len, &base, &exponent, &format) != 0)
		return kube__error_set(KUBE_EINVAL, NULL, MSG_SUFFIX);
	if (exponent < INT32_MIN || exponent > INT32_MAX)
		return kube__error_set(KUBE_ERANGE, NULL, "%s (exponent %lld)", MSG_RANGE,
		                       (long long)exponent);

	if (!sc.has_digit) {
		/*
		 * A number with no digit ("", "+", ".") counts as 0 on upstream's
		 * int64 fast path but fails on its inf.Dec slow path, taken when the
		 * scale is below nano (a decimal exponent under -9) or when the
		 * binary fast path's precision estimate, 15 - len("0") -
		 * exponent*3/10 - 1, goes negative (Pi and Ei).
		 */
		int slow = base == BASE_2 ? 15 - 1 - (int)(exponent * 3 / 10) - 1 < 0
		                          : exponent < -9;
		if (slow)
			return kube__error_set(KUBE_EINVAL, NULL, MSG_NUMERIC);
	}

	if (base == BASE_2) {
		over = exact_nanos(&sc, 1ULL << exponent, 9 - (int64_t)sc.den_len, &mag);
		if (over || mag > BINARY_CAP)
			mag = BINARY_CAP;
		/* upstream shows a binary value below one unit in decimal */
		if (mag != 0 && mag < NANO)
			format = KUBE_QUANTITY_DECIMAL_SI;
	} else {
		over = exact_nanos(&sc, 1, exponent + 9 - (int64_t)sc.den_len, &mag);
		if (over)
			return kube__error_set(KUBE_ERANGE, NULL, MSG_RANGE);
	}

	store(out, sc.negative ? -(i128)mag : (i128)mag, format);
	return 0;
}

int kube_quantity_parse(kube_quantity *out, const char *s)
{
	KUBE_CHECK_ARG(s != NULL);
	return kube_quantity_parse_n(out, s, strlen(s));
}

/* ---- canonical form ---- */

/* Writes the decimal digits of v at p; returns how many. */
static size_t put_u128(char *p, u128 v)
{
	char tmp[40];
	size_t n = 0;

	while (v > UINT64_MAX) {
		uint64_t chunk = (uint64_t)(v % E19);
		v /= E19;
		for (int i = 0; i < 19; i++) {
			tmp[n++] = (char)('0' + chunk % 10);
			chunk /= 10;
		}
	}
	uint64_t w = (uint64_t)v;
	do {
		tmp[n++] = (char)('0' + w % 10);
		w /= 10;
	} while (w);
	for (size_t i = 0; i < n; i++)
		p[i] = tmp[n - 1 - i];
	return n;
}

static size_t put_str(char *p, const char *s)
{
	size_t n = strlen(s);
	memcpy(p, s, n);
	return n;
}

static size_t put_exponent(char *p, int e)
{
	size_t n = 0;
	p[n++] = 'e';
	if (e < 0) {
		p[n++] = '-';
		e = -e;
	}
	return n + put_u128(p + n, (u128)e);
}

/* Removes factors of ten from v, adding them to *e. */
static u128 strip_tens(u128 v, int *e)
{
	while (v > UINT64_MAX && v % 10 == 0) {
		v /= 10;
		(*e)++;
	}
	if (v <= UINT64_MAX) {
		uint64_t w = (uint64_t)v;
		while (w % 10 == 0) {
			w /= 10;
			(*e)++;
		}
		v = w;
	}
	return v;
}

/* The canonical string into buf (>= KUBE_QUANTITY_STRING_MAX); its length. */
static size_t canonical(const qrep *r, char *buf)
{
	static const char *const bin_suffix[] = { "", "Ki", "Mi", "Gi", "Ti", "Pi", "Ei" };
	static const char *const dec_suffix[] = { "n", "u", "m", "", "k", "M", "G", "T", "P", "E" };
	kube_quantity_format format = r->format;
	u128 mag = magnitude(r->n);
	size_t n = 0;

	if (mag == 0) {
		buf[0] = '0';
		buf[1] = '\0';
		return 1;
	}
	if (r->n < 0)
		buf[n++] = '-';

	if (format == KUBE_QUANTITY_BINARY_SI) {
		/* below 1024 or fractional: decimal, so nothing is rounded */
		if (mag < (u128)1024 * NANO || mag % NANO != 0) {
			format = KUBE_QUANTITY_DECIMAL_SI;
		} else {
			u128 v = mag / NANO;
			int k = 0;
			/* stop at Ei: there is no larger binary suffix to print */
			while (k < 6 && v % 1024 == 0) {
				v /= 1024;
				k++;
			}
			n += put_u128(buf + n, v);
			n += put_str(buf + n, bin_suffix[k]);
			buf[n] = '\0';
			return n;
		}
	}

	int e = -9;
	mag = strip_tens(mag, &e);
	/* lower the exponent to a multiple of three; mag * 10^(e+9) stays < 10^38 */
	while (e % 3 != 0) {
		mag *= 10;
		e--;
	}
	n += put_u128(buf + n, mag);
	if (format == KUBE_QUANTITY_DECIMAL_SI && e <= 18)
		n += put_str(buf + n, dec_suffix[(e + 9) / 3]);
	else if (e != 0)
		n += put_exponent(buf + n, e);
	buf[n] = '\0';
	return n;
}

int kube_quantity_format_string(const kube_quantity *q, char *buf, size_t len)
{
	char tmp[KUBE_QUANTITY_STRING_MAX];
	size_t n;

	KUBE_CHECK_ARG(q != NULL);
	KUBE_CHECK_ARG(buf != NULL);
	qrep r = load(q);
	n = canonical(&r, tmp);
	if (n + 1 > len) {
		if (len > 0)
			buf[0] = '\0';
		return kube__error_set(KUBE_ERANGE, NULL,
		                       "quantity needs a buffer of %zu bytes, got %zu", n + 1, len);
	}
	memcpy(buf, tmp, n + 1);
	return (int)n;
}

char *kube_quantity_string(const kube_quantity *q)
{
	char tmp[KUBE_QUANTITY_STRING_MAX];

	if (!q) {
		kube__error_set(KUBE_EINVAL, NULL, "%s: invalid argument: q != NULL", __func__);
		return NULL;
	}
	qrep r = load(q);
	size_t n = canonical(&r, tmp);
	char *s = kube_strndup(tmp, n);
	if (!s)
		kube__error_oom();
	return s;
}

/* ---- arithmetic and accessors ---- */

int kube_quantity_cmp(const kube_quantity *a, const kube_quantity *b)
{
	i128 x = a ? load(a).n : 0;
	i128 y = b ? load(b).n : 0;
	return (x > y) - (x < y);
}

/* ceil(|n| / 10^digits) away from zero, as int64 */
static int scaled(const kube_quantity *q, uint64_t unit, int64_t *out)
{
	qrep r = load(q);
	u128 mag = magnitude(r.n);
	u128 whole = mag / unit + (mag % unit != 0);

	if (whole > (u128)INT64_MAX + (r.n < 0))
		return kube__error_set(KUBE_ERANGE, NULL,
		                       "quantity does not fit a 64-bit integer in %s",
		                       unit == NANO ? "units" : "milli-units");
	*out = r.n < 0 ? (int64_t)(0 - (uint64_t)whole) : (int64_t)whole;
	return 0;
}

int kube_quantity_value(const kube_quantity *q, int64_t *out)
{
	KUBE_CHECK_ARG(q != NULL);
	KUBE_CHECK_ARG(out != NULL);
	return scaled(q, NANO, out);
}

int kube_quantity_milli(const kube_quantity *q, int64_t *out)
{
	KUBE_CHECK_ARG(q != NULL);
	KUBE_CHECK_ARG(out != NULL);
	return scaled(q, NANO / 1000, out);
}

int kube_quantity_from_int(kube_quantity *out, int64_t value, kube_quantity_format format)
{
	KUBE_CHECK_ARG(out != NULL);
	KUBE_CHECK_ARG(valid_format(format));
	store(out, (i128)value * (i128)NANO, format);
	return 0;
}

int kube_quantity_from_milli(kube_quantity *out, int64_t milli, kube_quantity_format format)
{
	KUBE_CHECK_ARG(out != NULL);
	KUBE_CHECK_ARG(valid_format(format));
	store(out, (i128)milli * (i128)(NANO / 1000), format);
	return 0;
}

static int add_signed(kube_quantity *out, const kube_quantity *a, const kube_quantity *b,
                      int negate_b)
{
	qrep x = load(a), y = load(b);
	i128 sum;

	/* |x|, |y| < 10^38 but 2 * 10^38 > 2^127: the sum itself can overflow */
	if (negate_b)
		y.n = -y.n;
	if (__builtin_add_overflow(x.n, y.n, &sum) || magnitude(sum) >= LIMIT)
		return kube__error_set(KUBE_ERANGE, NULL, MSG_RANGE);
	store(out, sum, x.n == 0 ? y.format : x.format);
	return 0;
}

int kube_quantity_add(kube_quantity *out, const kube_quantity *a, const kube_quantity *b)
{
	KUBE_CHECK_ARG(out != NULL);
	KUBE_CHECK_ARG(a != NULL);
	KUBE_CHECK_ARG(b != NULL);
	return add_signed(out, a, b, 0);
}

int kube_quantity_sub(kube_quantity *out, const kube_quantity *a, const kube_quantity *b)
{
	KUBE_CHECK_ARG(out != NULL);
	KUBE_CHECK_ARG(a != NULL);
	KUBE_CHECK_ARG(b != NULL);
	return add_signed(out, a, b, 1);
}

int kube_quantity_neg(kube_quantity *out, const kube_quantity *q)
{
	KUBE_CHECK_ARG(out != NULL);
	KUBE_CHECK_ARG(q != NULL);
	qrep r = load(q);
	store(out, -r.n, r.format);
	return 0;
}

int kube_quantity_sign(const kube_quantity *q)
{
	i128 n = q ? load(q).n : 0;
	return (n > 0) - (n < 0);
}

int kube_quantity_is_zero(const kube_quantity *q)
{
	return !q || load(q).n == 0;
}

kube_quantity_format kube_quantity_get_format(const kube_quantity *q)
{
	return q ? load(q).format : KUBE_QUANTITY_DECIMAL_SI;
}

int kube_quantity_set_format(kube_quantity *q, kube_quantity_format format)
{
	KUBE_CHECK_ARG(q != NULL);
	KUBE_CHECK_ARG(valid_format(format));
	q->opaque_[2] = (uint64_t)format;
	return 0;
}
