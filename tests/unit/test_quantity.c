/*
 * test_quantity.c - resource quantities against upstream's tables.
 *
 * The parse table is TestQuantityParse / TestQuantityParseEmit /
 * TestQuantityString of k8s.io/apimachinery/pkg/api/resource, with the
 * canonical string, MilliValue() and Value() worked out for each entry from
 * upstream's rules (and checked against a independent model of them); each
 * entry is also run with a leading "-" and "+", as upstream's test does.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libkube/kube.h"

#define DSI KUBE_QUANTITY_DECIMAL_SI
#define BSI KUBE_QUANTITY_BINARY_SI
#define DEX KUBE_QUANTITY_DECIMAL_EXPONENT

#define MSG_FORMAT "quantities must match the regular expression " \
                   "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"
#define MSG_NUMERIC "unable to parse numeric part of quantity"
#define MSG_SUFFIX "unable to parse quantity's suffix"
#define MSG_RANGE "quantity out of range: libkube holds quantities exactly " \
                  "only below 10^29 in magnitude"

/* flags: the int64 accessor overflows */
#define NO_MILLI 1u
#define NO_VALUE 2u

typedef struct parse_case {
	const char *in;
	const char *out;        /* canonical */
	kube_quantity_format format;
	int64_t milli;
	int64_t value;
	unsigned flags;
} parse_case;

static const parse_case parse_cases[] = {
	{ "0", "0", DSI, 0, 0, 0 },
	{ "0n", "0", DSI, 0, 0, 0 },
	{ "0u", "0", DSI, 0, 0, 0 },
	{ "0m", "0", DSI, 0, 0, 0 },
	{ "0Ki", "0", BSI, 0, 0, 0 },
	{ "0k", "0", DSI, 0, 0, 0 },
	{ "0Mi", "0", BSI, 0, 0, 0 },
	{ "0M", "0", DSI, 0, 0, 0 },
	{ "0Gi", "0", BSI, 0, 0, 0 },
	{ "0G", "0", DSI, 0, 0, 0 },
	{ "0Ti", "0", BSI, 0, 0, 0 },
	{ "0T", "0", DSI, 0, 0, 0 },
	{ "1", "1", DSI, 1000, 1, 0 },
	/* binary suffixes */
	{ "1Ki", "1Ki", BSI, 1024000, 1024, 0 },
	{ "8Ki", "8Ki", BSI, 8192000, 8192, 0 },
	{ "7Mi", "7Mi", BSI, 7340032000, 7340032, 0 },
	{ "6Gi", "6Gi", BSI, 6442450944000, 6442450944, 0 },
	{ "5Ti", "5Ti", BSI, 5497558138880000, 5497558138880, 0 },
	{ "4Pi", "4Pi", BSI, 4503599627370496000, 4503599627370496, 0 },
	{ "3Ei", "3Ei", BSI, 0, 3458764513820540928, NO_MILLI },
	{ "10Ti", "10Ti", BSI, 10995116277760000, 10995116277760, 0 },
	{ "100Ti", "100Ti", BSI, 109951162777600000, 109951162777600, 0 },
	/* decimal suffixes */
	{ "5n", "5n", DSI, 1, 1, 0 },
	{ "4u", "4u", DSI, 1, 1, 0 },
	{ "3m", "3m", DSI, 3, 1, 0 },
	{ "9", "9", DSI, 9000, 9, 0 },
	{ "8k", "8k", DSI, 8000000, 8000, 0 },
	{ "50k", "50k", DSI, 50000000, 50000, 0 },
	{ "7M", "7M", DSI, 7000000000, 7000000, 0 },
	{ "6G", "6G", DSI, 6000000000000, 6000000000, 0 },
	{ "5T", "5T", DSI, 5000000000000000, 5000000000000, 0 },
	{ "40T", "40T", DSI, 40000000000000000, 40000000000000, 0 },
	{ "300T", "300T", DSI, 300000000000000000, 300000000000000, 0 },
	{ "2P", "2P", DSI, 2000000000000000000, 2000000000000000, 0 },
	{ "1E", "1E", DSI, 0, 1000000000000000000, NO_MILLI },
	/* decimal exponents */
	{ "1E-3", "1e-3", DEX, 1, 1, 0 },
	{ "1e3", "1e3", DEX, 1000000, 1000, 0 },
	{ "1E6", "1e6", DEX, 1000000000, 1000000, 0 },
	{ "1e9", "1e9", DEX, 1000000000000, 1000000000, 0 },
	{ "1E12", "1e12", DEX, 1000000000000000, 1000000000000, 0 },
	{ "1e15", "1e15", DEX, 1000000000000000000, 1000000000000000, 0 },
	{ "1E18", "1e18", DEX, 0, 1000000000000000000, NO_MILLI },
	/* nonstandard but still parsable */
	{ "1e14", "100e12", DEX, 100000000000000000, 100000000000000, 0 },
	{ "1e13", "10e12", DEX, 10000000000000000, 10000000000000, 0 },
	{ "100.035k", "100035", DSI, 100035000, 100035, 0 },
	/* things that look like floating point */
	{ "0.001", "1m", DSI, 1, 1, 0 },
	{ "0.0005k", "500m", DSI, 500, 1, 0 },
	{ "0.005", "5m", DSI, 5, 1, 0 },
	{ "0.05", "50m", DSI, 50, 1, 0 },
	{ "0.5", "500m", DSI, 500, 1, 0 },
	{ "0.00050k", "500m", DSI, 500, 1, 0 },
	{ "0.00500", "5m", DSI, 5, 1, 0 },
	{ "0.05000", "50m", DSI, 50, 1, 0 },
	{ "0.50000", "500m", DSI, 500, 1, 0 },
	{ "0.5e0", "500e-3", DEX, 500, 1, 0 },
	{ "0.5e-1", "50e-3", DEX, 50, 1, 0 },
	{ "0.5e-2", "5e-3", DEX, 5, 1, 0 },
	{ "10.035M", "10035k", DSI, 10035000000, 10035000, 0 },
	{ "1.2e3", "1200", DEX, 1200000, 1200, 0 },
	{ "1.3E+6", "1300e3", DEX, 1300000000, 1300000, 0 },
	{ "1.40e9", "1400e6", DEX, 1400000000000, 1400000000, 0 },
	{ "1.53E12", "1530e9", DEX, 1530000000000000, 1530000000000, 0 },
	{ "1.6e15", "1600e12", DEX, 1600000000000000000, 1600000000000000, 0 },
	{ "1.7E18", "1700e15", DEX, 0, 1700000000000000000, NO_MILLI },
	{ "9.01", "9010m", DSI, 9010, 10, 0 },
	{ "8.1k", "8100", DSI, 8100000, 8100, 0 },
	{ "7.123456M", "7123456", DSI, 7123456000, 7123456, 0 },
	{ "6.987654321G", "6987654321", DSI, 6987654321000, 6987654321, 0 },
	{ "5.444T", "5444G", DSI, 5444000000000000, 5444000000000, 0 },
	{ "40.1T", "40100G", DSI, 40100000000000000, 40100000000000, 0 },
	{ "300.2T", "300200G", DSI, 300200000000000000, 300200000000000, 0 },
	{ "2.5P", "2500T", DSI, 2500000000000000000, 2500000000000000, 0 },
	{ "1.01E", "1010P", DSI, 0, 1010000000000000000, NO_MILLI },
	/* things that saturate or round */
	{ "3.001n", "4n", DSI, 1, 1, 0 },
	{ "1.1E-9", "2e-9", DEX, 1, 1, 0 },
	{ "0.0000000001", "1n", DSI, 1, 1, 0 },
	{ "0.0000000005", "1n", DSI, 1, 1, 0 },
	{ "0.00000000050", "1n", DSI, 1, 1, 0 },
	{ "0.5e-9", "1e-9", DEX, 1, 1, 0 },
	{ "0.9n", "1n", DSI, 1, 1, 0 },
	{ "0.00000012345", "124n", DSI, 1, 1, 0 },
	{ "0.00000012354", "124n", DSI, 1, 1, 0 },
	{ "9Ei", "9223372036854775807", BSI, 0, INT64_MAX, NO_MILLI },
	{ "9223372036854775807Ki", "9223372036854775807", BSI, 0, INT64_MAX, NO_MILLI },
	{ "12E", "12E", DSI, 0, 0, NO_MILLI | NO_VALUE },
	/* fractional binary quantities */
	{ "100.035Ki", "102435840m", BSI, 102435840, 102436, 0 },
	{ "0.5Mi", "512Ki", BSI, 524288000, 524288, 0 },
	{ "0.05Gi", "53687091200m", BSI, 53687091200, 53687092, 0 },
	{ "0.025Ti", "27487790694400m", BSI, 27487790694400, 27487790695, 0 },
	/* things written by trolls */
	{ "0.000000000001Ki", "2n", DSI, 1, 1, 0 },   /* rounds up, changes format */
	{ ".001", "1m", DSI, 1, 1, 0 },
	{ ".0001k", "100m", DSI, 100, 1, 0 },
	{ "1.", "1", DSI, 1000, 1, 0 },
	{ "1.G", "1G", DSI, 1000000000000, 1000000000, 0 },
	/* TestQuantityParseEmit */
	{ "1Mi", "1Mi", BSI, 1048576000, 1048576, 0 },
	{ "1Gi", "1Gi", BSI, 1073741824000, 1073741824, 0 },
	{ "1024Mi", "1Gi", BSI, 1073741824000, 1073741824, 0 },
	{ "1000M", "1G", DSI, 1000000000000, 1000000000, 0 },
	{ ".001Ki", "1024m", BSI, 1024, 2, 0 },
	{ ".000001Ki", "1024u", DSI, 2, 1, 0 },
	{ ".000000001Ki", "1024n", DSI, 1, 1, 0 },
	{ ".000000000001Ki", "2n", DSI, 1, 1, 0 },
	/* TestQuantityString: alternate spellings of canonical values */
	{ "307200Ki", "300Mi", BSI, 314572800000, 314572800, 0 },
	{ "1025024Mi", "1001Gi", BSI, 1074815565824000, 1074815565824, 0 },
	{ "1024Gi", "1Ti", BSI, 1099511627776000, 1099511627776, 0 },
	{ "6Ki", "6Ki", BSI, 6144000, 6144, 0 },
	{ "1025", "1025", DSI, 1025000, 1025, 0 },
	{ "5000m", "5", DSI, 5000, 5, 0 },
	{ "0.001T", "1G", DSI, 1000000000000, 1000000000, 0 },
	{ "1000u", "1m", DSI, 1, 1, 0 },
	{ "1.08", "1080m", DSI, 1080, 2, 0 },
	{ "1080000000n", "1080m", DSI, 1080, 2, 0 },
	{ "1234567M", "1234567M", DSI, 1234567000000000, 1234567000000, 0 },
	{ ".001e12", "1e9", DEX, 1000000000000, 1000000000, 0 },
	{ "0.001e0", "1e-3", DEX, 1, 1, 0 },
	{ "1000e-12", "1e-9", DEX, 1, 1, 0 },
	{ "80e-3", "80e-3", DEX, 80, 1, 0 },
	{ "300e6", "300e6", DEX, 300000000000, 300000000, 0 },
	{ "00", "0", DSI, 0, 0, 0 },
	{ "80n", "80n", DSI, 1, 1, 0 },
	{ "1080u", "1080u", DSI, 2, 1, 0 },
	/* the examples and everyday manifest values */
	{ "100m", "100m", DSI, 100, 1, 0 },
	{ "1.5", "1500m", DSI, 1500, 2, 0 },
	{ "2Gi", "2Gi", BSI, 2147483648000, 2147483648, 0 },
	{ "500M", "500M", DSI, 500000000000, 500000000, 0 },
	{ "0.1", "100m", DSI, 100, 1, 0 },
	{ "1500m", "1500m", DSI, 1500, 2, 0 },
	{ "1000m", "1", DSI, 1000, 1, 0 },
	{ "250m", "250m", DSI, 250, 1, 0 },
	{ "128Mi", "128Mi", BSI, 134217728000, 134217728, 0 },
	{ "1.5Gi", "1536Mi", BSI, 1610612736000, 1610612736, 0 },
	{ "1.1Ki", "1126400m", BSI, 1126400, 1127, 0 },
	{ "1023", "1023", DSI, 1023000, 1023, 0 },
	{ "1536", "1536", DSI, 1536000, 1536, 0 },
	{ "1000", "1k", DSI, 1000000, 1000, 0 },
	{ "12000", "12k", DSI, 12000000, 12000, 0 },
	{ "1200", "1200", DSI, 1200000, 1200, 0 },
	{ "0.5m", "500u", DSI, 1, 1, 0 },
	{ "15e-1", "1500e-3", DEX, 1500, 2, 0 },
	{ "10e3", "10e3", DEX, 10000000, 10000, 0 },
	{ "1e0", "1", DEX, 1000, 1, 0 },
	/* spellings upstream echoes verbatim; libkube prints them canonically */
	{ "1E3", "1e3", DEX, 1000000, 1000, 0 },
	{ "1e+3", "1e3", DEX, 1000000, 1000, 0 },
	{ "1e03", "1e3", DEX, 1000000, 1000, 0 },
	{ "1.500", "1500m", DSI, 1500, 2, 0 },
	{ "0100m", "100m", DSI, 100, 1, 0 },
	{ "2.500k", "2500", DSI, 2500000, 2500, 0 },
	/* upstream's leniencies: a number with no digits is 0 */
	{ "Ki", "0", BSI, 0, 0, 0 },
	{ "Ti", "0", BSI, 0, 0, 0 },
	{ "m", "0", DSI, 0, 0, 0 },
	{ "E", "0", DSI, 0, 0, 0 },
	{ "e3", "0", DEX, 0, 0, 0 },
	{ "e-9", "0", DEX, 0, 0, 0 },
	{ ".", "0", DSI, 0, 0, 0 },
	{ ".k", "0", DSI, 0, 0, 0 },
	{ "000", "0", DSI, 0, 0, 0 },
	{ "0.000", "0", DSI, 0, 0, 0 },
	{ "0e-20", "0", DEX, 0, 0, 0 },
	{ "0Ei", "0", BSI, 0, 0, 0 },
	/* large and fine-grained values, all exact */
	{ "7Ei", "7Ei", BSI, 0, 8070450532247928832, NO_MILLI },
	{ "8Ei", "9223372036854775807", BSI, 0, INT64_MAX, NO_MILLI },
	{ "1024Ei", "9223372036854775807", BSI, 0, INT64_MAX, NO_MILLI },
	{ "8191Pi", "8191Pi", BSI, 0, 9222246136947933184, NO_MILLI },
	{ "9223372036854775807", "9223372036854775807", DSI, 0, INT64_MAX, NO_MILLI },
	{ "9223372036854775809", "9223372036854775809", DSI, 0, 0, NO_MILLI | NO_VALUE },
	{ "9223372036854775.807", "9223372036854775807m", DSI, INT64_MAX, 9223372036854776, 0 },
	{ "9223372036854775.809", "9223372036854775809m", DSI, 0, 9223372036854776, NO_MILLI },
	{ "9223372036.854775807", "9223372036854775807n", DSI, 9223372036855, 9223372037, 0 },
	{ "1000E", "1e21", DSI, 0, 0, NO_MILLI | NO_VALUE },
	{ "1500E", "1500E", DSI, 0, 0, NO_MILLI | NO_VALUE },
	{ "100000P", "100E", DSI, 0, 0, NO_MILLI | NO_VALUE },
	{ "1e28", "10e27", DEX, 0, 0, NO_MILLI | NO_VALUE },
	{ "12345678901234567890123456789", "12345678901234567890123456789", DSI, 0, 0,
	  NO_MILLI | NO_VALUE },
	{ "99999999999999999999999999999.999999999", "99999999999999999999999999999999999999n",
	  DSI, 0, 0, NO_MILLI | NO_VALUE },
	{ "99999999999999999999999999999.9999999989", "99999999999999999999999999999999999999n",
	  DSI, 0, 0, NO_MILLI | NO_VALUE },
	{ "0.123456789", "123456789n", DSI, 124, 1, 0 },
	{ "1.0000000001", "1000000001n", DSI, 1001, 2, 0 },
	{ "0.999999999999", "1", DSI, 1000, 1, 0 },
	{ "1e-2147483648", "1e-9", DEX, 1, 1, 0 },
	{ "0e2147483647", "0", DEX, 0, 0, 0 },
	{ "000000000000000000000000000000000000000000001", "1", DSI, 1000, 1, 0 },
	{ "0.0000000000000000000000000000000000000000001k", "1n", DSI, 1, 1, 0 },
	{ "1.000000000000000000000000000000000000000000000", "1", DSI, 1000, 1, 0 },
	{ "0.00000000000000000000000000000000000000000000Ki", "0", BSI, 0, 0, 0 },
	{ "123456789012345678901234567890e-10", "12345678901234567890123456789e-9", DEX,
	  0, 0, NO_MILLI | NO_VALUE },
};

static void check_parsed(const char *in, const kube_quantity *q, const char *out,
                         kube_quantity_format format, int64_t milli, int64_t value,
                         unsigned flags)
{
	char *s = kube_quantity_string(q);
	ck_assert_ptr_nonnull(s);
	ck_assert_msg(strcmp(s, out) == 0, "%s: canonical %s, want %s", in, s, out);
	kube_free(s);
	ck_assert_msg(kube_quantity_get_format(q) == format, "%s: format %d, want %d", in,
	              (int)kube_quantity_get_format(q), (int)format);

	int64_t v = 12345;
	int rc = kube_quantity_milli(q, &v);
	if (flags & NO_MILLI) {
		ck_assert_msg(rc == KUBE_ERANGE, "%s: milli rc %d", in, rc);
		ck_assert_int_eq(v, 12345);
	} else {
		ck_assert_msg(rc == 0, "%s: milli rc %d", in, rc);
		ck_assert_msg(v == milli, "%s: milli %lld, want %lld", in, (long long)v,
		              (long long)milli);
	}
	v = 12345;
	rc = kube_quantity_value(q, &v);
	if (flags & NO_VALUE) {
		ck_assert_msg(rc == KUBE_ERANGE, "%s: value rc %d", in, rc);
		ck_assert_int_eq(v, 12345);
	} else {
		ck_assert_msg(rc == 0, "%s: value rc %d", in, rc);
		ck_assert_msg(v == value, "%s: value %lld, want %lld", in, (long long)v,
		              (long long)value);
	}
}

START_TEST(test_quantity_parse_table)
{
	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const parse_case *c = &parse_cases[i];
		kube_quantity q;
		int rc = kube_quantity_parse(&q, c->in);
		ck_assert_msg(rc == 0, "%s: rc %d (%s)", c->in, rc,
		              kube_error_last() ? kube_error_last()->message : "");
		check_parsed(c->in, &q, c->out, c->format, c->milli, c->value, c->flags);
	}
}
END_TEST

/* upstream's "try the negative version of everything" and "explicit +" */
START_TEST(test_quantity_parse_signed)
{
	char in[256], out[256];
	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		const parse_case *c = &parse_cases[i];
		kube_quantity q;

		snprintf(in, sizeof(in), "-%s", c->in);
		if (strcmp(c->out, "0") == 0)
			snprintf(out, sizeof(out), "0");
		else
			snprintf(out, sizeof(out), "-%s", c->out);
		ck_assert_msg(kube_quantity_parse(&q, in) == 0, "%s", in);
		check_parsed(in, &q, out, c->format, -c->milli, -c->value, c->flags);
		ck_assert_int_eq(kube_quantity_sign(&q), strcmp(c->out, "0") == 0 ? 0 : -1);

		snprintf(in, sizeof(in), "+%s", c->in);
		ck_assert_msg(kube_quantity_parse(&q, in) == 0, "%s", in);
		check_parsed(in, &q, c->out, c->format, c->milli, c->value, c->flags);
	}
}
END_TEST

/* String() of every table entry parses back to the same value and string. */
START_TEST(test_quantity_round_trip)
{
	for (size_t i = 0; i < sizeof(parse_cases) / sizeof(parse_cases[0]); i++) {
		kube_quantity q, q2;
		char buf[KUBE_QUANTITY_STRING_MAX], buf2[KUBE_QUANTITY_STRING_MAX];
		ck_assert_int_eq(kube_quantity_parse(&q, parse_cases[i].in), 0);
		int n = kube_quantity_format_string(&q, buf, sizeof(buf));
		ck_assert_int_eq(n, (int)strlen(parse_cases[i].out));
		ck_assert_int_eq(kube_quantity_parse(&q2, buf), 0);
		ck_assert_msg(kube_quantity_cmp(&q, &q2) == 0, "%s -> %s", parse_cases[i].in, buf);
		ck_assert_int_ge(kube_quantity_format_string(&q2, buf2, sizeof(buf2)), 0);
		ck_assert_str_eq(buf, buf2);
	}
}
END_TEST

typedef struct error_case {
	const char *in;
	int code;
	const char *message;
} error_case;

static const error_case error_cases[] = {
	/* TestQuantityParse's invalid list */
	{ "1.1.M", KUBE_EINVAL, MSG_FORMAT },
	{ "1+1.0M", KUBE_EINVAL, MSG_FORMAT },
	{ "0.1mi", KUBE_EINVAL, MSG_SUFFIX },
	{ "0.1am", KUBE_EINVAL, MSG_FORMAT },
	{ "aoeu", KUBE_EINVAL, MSG_FORMAT },
	{ ".5i", KUBE_EINVAL, MSG_SUFFIX },
	{ "1i", KUBE_EINVAL, MSG_SUFFIX },
	{ "-3.01i", KUBE_EINVAL, MSG_SUFFIX },
	{ "-3.01e-", KUBE_EINVAL, MSG_SUFFIX },
	{ " 1", KUBE_EINVAL, MSG_FORMAT },
	{ "1 ", KUBE_EINVAL, MSG_FORMAT },
	{ "", KUBE_EINVAL, MSG_FORMAT },
	{ "Non-Numeric", KUBE_EINVAL, MSG_FORMAT },
	/* the scanner's shapes */
	{ "1E+-3", KUBE_EINVAL, MSG_FORMAT },
	{ "1e3.5", KUBE_EINVAL, MSG_FORMAT },
	{ "1..", KUBE_EINVAL, MSG_FORMAT },
	{ "--1", KUBE_EINVAL, MSG_SUFFIX },
	{ "+-1", KUBE_EINVAL, MSG_SUFFIX },
	{ "1,5", KUBE_EINVAL, MSG_FORMAT },
	{ "1_000", KUBE_EINVAL, MSG_FORMAT },
	{ "0x10", KUBE_EINVAL, MSG_FORMAT },
	{ "1\n", KUBE_EINVAL, MSG_FORMAT },
	{ "1Kib", KUBE_EINVAL, MSG_FORMAT },
	{ "\xc2\xb5", KUBE_EINVAL, MSG_FORMAT },
	/* suffixes the scanner lets through but nobody defines */
	{ "1e", KUBE_EINVAL, MSG_SUFFIX },
	{ "1E-", KUBE_EINVAL, MSG_SUFFIX },
	{ "1e+", KUBE_EINVAL, MSG_SUFFIX },
	{ "1ee3", KUBE_EINVAL, MSG_SUFFIX },
	{ "1Kie3", KUBE_EINVAL, MSG_SUFFIX },
	{ "1k3", KUBE_EINVAL, MSG_SUFFIX },
	{ "1KI", KUBE_EINVAL, MSG_FORMAT },
	{ "1K", KUBE_EINVAL, MSG_SUFFIX },
	{ "1mm", KUBE_EINVAL, MSG_SUFFIX },
	{ "1Gi3", KUBE_EINVAL, MSG_SUFFIX },
	{ "1-", KUBE_EINVAL, MSG_SUFFIX },
	{ "1+5", KUBE_EINVAL, MSG_SUFFIX },
	{ "i", KUBE_EINVAL, MSG_SUFFIX },
	{ "1e9223372036854775808", KUBE_EINVAL, MSG_SUFFIX },
	{ "1e-9223372036854775809", KUBE_EINVAL, MSG_SUFFIX },
	/* no digit on upstream's slow path */
	{ "Ei", KUBE_EINVAL, MSG_NUMERIC },
	{ "Pi", KUBE_EINVAL, MSG_NUMERIC },
	{ "-Ei", KUBE_EINVAL, MSG_NUMERIC },
	{ ".Pi", KUBE_EINVAL, MSG_NUMERIC },
	{ "e-10", KUBE_EINVAL, MSG_NUMERIC },
	{ "+.E-10", KUBE_EINVAL, MSG_NUMERIC },
	/* beyond libkube's range */
	{ "1e29", KUBE_ERANGE, MSG_RANGE },
	{ "-1e29", KUBE_ERANGE, MSG_RANGE },
	{ "100000000000000000000000000000", KUBE_ERANGE, MSG_RANGE },
	{ "99999999999999999999999999999.9999999991", KUBE_ERANGE, MSG_RANGE },
	{ "1000000000000E", KUBE_ERANGE, MSG_RANGE },
	{ "1e100", KUBE_ERANGE, MSG_RANGE },
	{ "1e2147483647", KUBE_ERANGE, MSG_RANGE },
	{ "1e2147483648", KUBE_ERANGE, MSG_RANGE " (exponent 2147483648)" },
	{ "1e-2147483649", KUBE_ERANGE, MSG_RANGE " (exponent -2147483649)" },
	{ "0e9223372036854775807", KUBE_ERANGE, MSG_RANGE " (exponent 9223372036854775807)" },
};

START_TEST(test_quantity_parse_errors)
{
	for (size_t i = 0; i < sizeof(error_cases) / sizeof(error_cases[0]); i++) {
		const error_case *c = &error_cases[i];
		kube_quantity q;
		kube_quantity_from_int(&q, 77, BSI);
		kube_error_clear();
		int rc = kube_quantity_parse(&q, c->in);
		ck_assert_msg(rc == c->code, "%s: rc %d, want %d", c->in, rc, c->code);
		ck_assert_ptr_nonnull(kube_error_last());
		ck_assert_int_eq(kube_error_last()->code, c->code);
		ck_assert_msg(strcmp(kube_error_last()->message, c->message) == 0,
		              "%s: message '%s'", c->in, kube_error_last()->message);
		ck_assert_ptr_null(kube_error_last()->field);
		/* *out is left alone on failure */
		int64_t v;
		ck_assert_int_eq(kube_quantity_value(&q, &v), 0);
		ck_assert_int_eq(v, 77);
		ck_assert_int_eq(kube_quantity_get_format(&q), BSI);
	}
}
END_TEST

START_TEST(test_quantity_parse_n)
{
	kube_quantity q;
	char buf[KUBE_QUANTITY_STRING_MAX];

	/* only the first len bytes count */
	ck_assert_int_eq(kube_quantity_parse_n(&q, "250mXYZ", 4), 0);
	ck_assert_int_eq(kube_quantity_format_string(&q, buf, sizeof(buf)), 4);
	ck_assert_str_eq(buf, "250m");
	ck_assert_int_eq(kube_quantity_parse_n(&q, "2Gi", 2), 0);
	ck_assert_str_eq((kube_quantity_format_string(&q, buf, sizeof(buf)), buf), "2G");
	/* an embedded NUL is just a bad character */
	ck_assert_int_eq(kube_quantity_parse_n(&q, "1\0k", 3), KUBE_EINVAL);
	ck_assert_str_eq(kube_error_last()->message, MSG_FORMAT);
	ck_assert_int_eq(kube_quantity_parse_n(&q, "", 0), KUBE_EINVAL);
	ck_assert_str_eq(kube_error_last()->message, MSG_FORMAT);
	ck_assert_int_eq(kube_quantity_parse_n(&q, NULL, 0), KUBE_EINVAL);
	ck_assert_str_eq(kube_error_last()->message, MSG_FORMAT);
	ck_assert_int_eq(kube_quantity_parse_n(&q, NULL, 1), KUBE_EINVAL);
	ck_assert_int_eq(kube_quantity_parse_n(NULL, "1", 1), KUBE_EINVAL);
	ck_assert_int_eq(kube_quantity_parse(&q, NULL), KUBE_EINVAL);
	ck_assert_int_eq(kube_quantity_parse(NULL, "1"), KUBE_EINVAL);
	ck_assert_str_eq(kube_error_last()->message,
	                 "kube_quantity_parse_n: invalid argument: out != NULL");
}
END_TEST

static kube_quantity P(const char *s)
{
	kube_quantity q;
	ck_assert_msg(kube_quantity_parse(&q, s) == 0, "%s", s);
	return q;
}

START_TEST(test_quantity_cmp)
{
	static const struct { const char *a, *b; int want; } cases[] = {
		/* TestQuantityCmp */
		{ "0", "0", 0 },
		{ "100m", "50m", 1 },
		{ "50m", "100m", -1 },
		{ "10000T", "100Gi", 1 },
		/* by value, whatever the format */
		{ "1Ki", "1024", 0 },
		{ "1e3", "1k", 0 },
		{ "1", "1000m", 0 },
		{ "1Gi", "1073741824000m", 0 },
		{ "0Ki", "0e3", 0 },
		{ "1Mi", "1M", 1 },
		{ "1n", "0", 1 },
		{ "-1n", "0", -1 },
		{ "-1", "-1001m", 1 },
		{ "9.01", "9010m", 0 },
		{ "9.01", "9.009999999", 1 },
		{ "0.8", "1", -1 },
		{ "0.8", "0.79", 1 },
		{ "9223372036854775807", "9223372036854775808", -1 },
		{ "-9223372036854775808", "-9223372036854775807", -1 },
		{ "99999999999999999999999999999", "-99999999999999999999999999999", 1 },
		{ "9Ei", "9223372036854775807", 0 },
		{ "12E", "9Ei", 1 },
		{ "1e18", "1E", 0 },
		{ "0.0000000001", "1n", 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		kube_quantity a = P(cases[i].a), b = P(cases[i].b);
		ck_assert_msg(kube_quantity_cmp(&a, &b) == cases[i].want, "%s <=> %s",
		              cases[i].a, cases[i].b);
		ck_assert_msg(kube_quantity_cmp(&b, &a) == -cases[i].want, "%s <=> %s",
		              cases[i].b, cases[i].a);
	}
	kube_quantity one = P("1"), neg = P("-1"), zero = P("0Ki");
	ck_assert_int_eq(kube_quantity_cmp(NULL, NULL), 0);
	ck_assert_int_eq(kube_quantity_cmp(&one, NULL), 1);
	ck_assert_int_eq(kube_quantity_cmp(NULL, &neg), 1);
	ck_assert_int_eq(kube_quantity_cmp(&zero, NULL), 0);
}
END_TEST

static void expect_string(const kube_quantity *q, const char *want)
{
	char buf[KUBE_QUANTITY_STRING_MAX];
	ck_assert_int_eq(kube_quantity_format_string(q, buf, sizeof(buf)), (int)strlen(want));
	ck_assert_str_eq(buf, want);
}

START_TEST(test_quantity_from_int)
{
	/* TestNewSet and TestMilliNewSet */
	static const struct { int64_t v; kube_quantity_format f; const char *want, *want_milli; } cases[] = {
		{ 1, DSI, "1", "1m" },
		{ 1000, DSI, "1k", "1" },
		{ 1234000, DSI, "1234k", "1234" },
		{ 1024, BSI, "1Ki", "1024m" },
		{ 1000000, DEX, "1e6", "1e3" },
		{ 1024 * 1024, BSI, "1Mi", "1048576m" },
		{ 0, BSI, "0", "0" },
		{ -1536, BSI, "-1536", "-1536m" },
		{ -2048, BSI, "-2Ki", "-2048m" },
		{ INT64_MAX, DSI, "9223372036854775807", "9223372036854775807m" },
		{ INT64_MIN, DSI, "-9223372036854775808", "-9223372036854775808m" },
		{ INT64_MIN, BSI, "-8Ei", "-9223372036854775808m" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		kube_quantity q;
		int64_t v;
		ck_assert_int_eq(kube_quantity_from_int(&q, cases[i].v, cases[i].f), 0);
		expect_string(&q, cases[i].want);
		ck_assert_int_eq(kube_quantity_get_format(&q), cases[i].f);
		ck_assert_int_eq(kube_quantity_value(&q, &v), 0);
		ck_assert_int_eq(v, cases[i].v);

		ck_assert_int_eq(kube_quantity_from_milli(&q, cases[i].v, cases[i].f), 0);
		expect_string(&q, cases[i].want_milli);
		ck_assert_int_eq(kube_quantity_milli(&q, &v), 0);
		ck_assert_int_eq(v, cases[i].v);
	}

	kube_quantity q;
	int64_t v;
	ck_assert_int_eq(kube_quantity_from_int(&q, INT64_MIN, DSI), 0);
	ck_assert_int_eq(kube_quantity_milli(&q, &v), KUBE_ERANGE);
	ck_assert_str_eq(kube_error_last()->message,
	                 "quantity does not fit a 64-bit integer in milli-units");
	ck_assert_int_eq(kube_quantity_from_milli(&q, -1, DSI), 0);
	ck_assert_int_eq(kube_quantity_value(&q, &v), 0);
	ck_assert_int_eq(v, -1);
	ck_assert_int_eq(kube_quantity_from_int(&q, 1, (kube_quantity_format)3), KUBE_EINVAL);
	ck_assert_int_eq(kube_quantity_from_milli(&q, 1, (kube_quantity_format)-1), KUBE_EINVAL);
	ck_assert_int_eq(kube_quantity_from_int(NULL, 1, DSI), KUBE_EINVAL);
	ck_assert_int_eq(kube_quantity_from_milli(NULL, 1, DSI), KUBE_EINVAL);
}
END_TEST

START_TEST(test_quantity_value_rounding)
{
	static const struct { const char *in; int64_t value, milli; } cases[] = {
		{ "1.5", 2, 1500 },
		{ "-1.5", -2, -1500 },
		{ "1m", 1, 1 },
		{ "-1m", -1, -1 },
		{ "1n", 1, 1 },
		{ "-1n", -1, -1 },
		{ "0.5m", 1, 1 },
		{ "-0.5m", -1, -1 },
		{ "1001m", 2, 1001 },
		{ "999m", 1, 999 },
		{ "-1.5000000000", -2, -1500 },
		{ "2", 2, 2000 },
		{ "1.0000000001", 2, 1001 },
		{ "9223372036854775806.5", INT64_MAX, 0 },
		{ "-9223372036854775807.5", INT64_MIN, 0 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		kube_quantity q = P(cases[i].in);
		int64_t v;
		ck_assert_int_eq(kube_quantity_value(&q, &v), 0);
		ck_assert_msg(v == cases[i].value, "%s: value %lld", cases[i].in, (long long)v);
		if (cases[i].milli != 0) {
			ck_assert_int_eq(kube_quantity_milli(&q, &v), 0);
			ck_assert_msg(v == cases[i].milli, "%s: milli %lld", cases[i].in, (long long)v);
		}
	}
	/* one past either end of int64 */
	kube_quantity q = P("9223372036854775807.000000001");
	int64_t v = 5;
	ck_assert_int_eq(kube_quantity_value(&q, &v), KUBE_ERANGE);
	ck_assert_str_eq(kube_error_last()->message,
	                 "quantity does not fit a 64-bit integer in units");
	ck_assert_int_eq(v, 5);
	q = P("-9223372036854775808.000000001");
	ck_assert_int_eq(kube_quantity_value(&q, &v), KUBE_ERANGE);
	q = P("-9223372036854775808");
	ck_assert_int_eq(kube_quantity_value(&q, &v), 0);
	ck_assert_int_eq(v, INT64_MIN);
	q = P("-9223372036854775.808");
	ck_assert_int_eq(kube_quantity_milli(&q, &v), 0);
	ck_assert_int_eq(v, INT64_MIN);
	q = P("-9223372036854775.8081");
	ck_assert_int_eq(kube_quantity_milli(&q, &v), KUBE_ERANGE);
	ck_assert_int_eq(kube_quantity_value(NULL, &v), KUBE_EINVAL);
	ck_assert_int_eq(kube_quantity_value(&q, NULL), KUBE_EINVAL);
	ck_assert_int_eq(kube_quantity_milli(NULL, &v), KUBE_EINVAL);
	ck_assert_int_eq(kube_quantity_milli(&q, NULL), KUBE_EINVAL);
}
END_TEST

START_TEST(test_quantity_add_sub)
{
	kube_quantity r, a, b;

	/* TestAdd / TestSub: the value, and a's format unless a is zero */
	a = P("10"); b = P("1e1");
	ck_assert_int_eq(kube_quantity_add(&r, &a, &b), 0);
	expect_string(&r, "20");
	ck_assert_int_eq(kube_quantity_sub(&r, &a, &b), 0);
	expect_string(&r, "0");
	a = P("10"); b = P("1Ki");
	ck_assert_int_eq(kube_quantity_add(&r, &a, &b), 0);
	expect_string(&r, "1034");
	ck_assert_int_eq(kube_quantity_get_format(&r), DSI);
	a = P("2Ki"); b = P("1k");
	ck_assert_int_eq(kube_quantity_add(&r, &a, &b), 0);
	ck_assert_int_eq(kube_quantity_get_format(&r), BSI);
	expect_string(&r, "3048");
	ck_assert_int_eq(kube_quantity_add(&r, &a, &a), 0);
	expect_string(&r, "4Ki");
	/* TestQuantityAddZeroPreservesSuffix / SubZero */
	a = P("100m"); b = P("0");
	ck_assert_int_eq(kube_quantity_add(&r, &a, &b), 0);
	expect_string(&r, "100m");
	ck_assert_int_eq(kube_quantity_add(&r, &b, &a), 0);
	expect_string(&r, "100m");
	a = P("1Gi");
	ck_assert_int_eq(kube_quantity_add(&r, &a, &b), 0);
	expect_string(&r, "1Gi");
	ck_assert_int_eq(kube_quantity_add(&r, &b, &a), 0);
	expect_string(&r, "1Gi");
	ck_assert_int_eq(kube_quantity_get_format(&r), BSI);
	ck_assert_int_eq(kube_quantity_sub(&r, &a, &b), 0);
	expect_string(&r, "1Gi");
	ck_assert_int_eq(kube_quantity_sub(&r, &b, &a), 0);
	expect_string(&r, "-1Gi");
	a = P("0"); b = P("50");
	ck_assert_int_eq(kube_quantity_sub(&r, &a, &b), 0);
	expect_string(&r, "-50");
	/* a request total, as the scheduler sums them */
	kube_quantity sum = P("0");
	const char *cpu[] = { "100m", "0.25", "1", "1500m", "2e-3" };
	for (size_t i = 0; i < 5; i++) {
		kube_quantity c = P(cpu[i]);
		ck_assert_int_eq(kube_quantity_add(&sum, &sum, &c), 0);
	}
	expect_string(&sum, "2852m");
	int64_t m;
	ck_assert_int_eq(kube_quantity_milli(&sum, &m), 0);
	ck_assert_int_eq(m, 2852);
	/* out may alias either operand */
	a = P("3"); b = P("5");
	ck_assert_int_eq(kube_quantity_sub(&b, &a, &b), 0);
	expect_string(&b, "-2");
}
END_TEST

START_TEST(test_quantity_add_overflow)
{
	kube_quantity max = P("99999999999999999999999999999.999999999");
	kube_quantity min = P("-99999999999999999999999999999.999999999");
	kube_quantity n1 = P("1n"), r = P("42");
	int64_t v;

	ck_assert_int_eq(kube_quantity_add(&r, &max, &n1), KUBE_ERANGE);
	ck_assert_str_eq(kube_error_last()->message, MSG_RANGE);
	ck_assert_int_eq(kube_quantity_value(&r, &v), 0);
	ck_assert_int_eq(v, 42);
	ck_assert_int_eq(kube_quantity_sub(&r, &min, &n1), KUBE_ERANGE);
	ck_assert_int_eq(kube_quantity_add(&r, &max, &max), KUBE_ERANGE);
	ck_assert_int_eq(kube_quantity_add(&r, &min, &min), KUBE_ERANGE);
	ck_assert_int_eq(kube_quantity_sub(&r, &max, &min), KUBE_ERANGE);
	ck_assert_int_eq(kube_quantity_sub(&r, &min, &max), KUBE_ERANGE);
	ck_assert_int_eq(kube_quantity_add(&r, &max, &min), 0);
	ck_assert_int_eq(kube_quantity_is_zero(&r), 1);
	ck_assert_int_eq(kube_quantity_sub(&r, &max, &n1), 0);
	expect_string(&r, "99999999999999999999999999999999999998n");
	ck_assert_int_eq(kube_quantity_add(&r, &r, &n1), 0);
	ck_assert_int_eq(kube_quantity_cmp(&r, &max), 0);
	/* far beyond int64, still exact */
	kube_quantity big = P("8Ei"), one = P("1");
	ck_assert_int_eq(kube_quantity_add(&r, &big, &big), 0);
	expect_string(&r, "18446744073709551614");
	ck_assert_int_eq(kube_quantity_add(&r, &r, &one), 0);
	ck_assert_int_eq(kube_quantity_add(&r, &r, &one), 0);
	expect_string(&r, "16Ei");
	ck_assert_int_eq(kube_quantity_value(&r, &v), KUBE_ERANGE);
	/* BinarySI stops at Ei */
	kube_quantity ei = P("1Ei"), k = P("1024");
	ck_assert_int_eq(kube_quantity_from_int(&r, 0, BSI), 0);
	for (int i = 0; i < 1024; i++)
		ck_assert_int_eq(kube_quantity_add(&r, &r, &ei), 0);
	expect_string(&r, "1024Ei");
	ck_assert_int_eq(kube_quantity_set_format(&k, BSI), 0);
	expect_string(&k, "1Ki");

	ck_assert_int_eq(kube_quantity_add(NULL, &max, &n1), KUBE_EINVAL);
	ck_assert_int_eq(kube_quantity_add(&r, NULL, &n1), KUBE_EINVAL);
	ck_assert_int_eq(kube_quantity_sub(&r, &max, NULL), KUBE_EINVAL);
}
END_TEST

/* upstream's TestAddSubRoundTrip: 100 random values in and out again */
START_TEST(test_quantity_add_sub_round_trip)
{
	uint64_t seed = 0x9e3779b97f4a7c15ULL;
	int64_t vals[100];
	kube_quantity q;
	kube_quantity_from_int(&q, 0, DSI);
	for (int i = 0; i < 100; i++) {
		seed ^= seed << 13; seed ^= seed >> 7; seed ^= seed << 17;
		vals[i] = (int64_t)(seed >> 1);
		kube_quantity x;
		if (i % 2)
			ck_assert_int_eq(kube_quantity_from_int(&x, vals[i], DSI), 0);
		else
			ck_assert_int_eq(kube_quantity_from_milli(&x, vals[i], DSI), 0);
		ck_assert_int_eq(kube_quantity_add(&q, &q, &x), 0);
	}
	ck_assert_int_eq(kube_quantity_sign(&q), 1);
	for (int i = 0; i < 100; i++) {
		kube_quantity x;
		if (i % 2)
			kube_quantity_from_int(&x, vals[i], DSI);
		else
			kube_quantity_from_milli(&x, vals[i], DSI);
		ck_assert_int_eq(kube_quantity_sub(&q, &q, &x), 0);
	}
	ck_assert_int_eq(kube_quantity_is_zero(&q), 1);
	expect_string(&q, "0");
}
END_TEST

START_TEST(test_quantity_neg_sign_format)
{
	kube_quantity q = P("901e-2"), r;
	ck_assert_int_eq(kube_quantity_set_format(&q, DSI), 0);
	ck_assert_int_eq(kube_quantity_neg(&r, &q), 0);
	expect_string(&r, "-9010m");           /* TestQuantityNeg */
	ck_assert_int_eq(kube_quantity_sign(&r), -1);
	ck_assert_int_eq(kube_quantity_sign(&q), 1);
	ck_assert_int_eq(kube_quantity_neg(&r, &r), 0);
	ck_assert_int_eq(kube_quantity_cmp(&r, &q), 0);
	q = P("10Ki");
	ck_assert_int_eq(kube_quantity_neg(&q, &q), 0);
	expect_string(&q, "-10Ki");
	ck_assert_int_eq(kube_quantity_get_format(&q), BSI);

	kube_quantity zero;
	memset(&zero, 0, sizeof(zero));
	ck_assert_int_eq(kube_quantity_is_zero(&zero), 1);
	ck_assert_int_eq(kube_quantity_sign(&zero), 0);
	ck_assert_int_eq(kube_quantity_get_format(&zero), DSI);
	expect_string(&zero, "0");
	ck_assert_int_eq(kube_quantity_neg(&r, &zero), 0);
	expect_string(&r, "0");
	ck_assert_int_eq(kube_quantity_is_zero(NULL), 1);
	ck_assert_int_eq(kube_quantity_sign(NULL), 0);
	ck_assert_int_eq(kube_quantity_get_format(NULL), DSI);
	ck_assert_int_eq(kube_quantity_is_zero(&q), 0);

	/* the same value in each format */
	q = P("1500");
	expect_string(&q, "1500");
	ck_assert_int_eq(kube_quantity_set_format(&q, DEX), 0);
	expect_string(&q, "1500");
	q = P("1.5k");
	ck_assert_int_eq(kube_quantity_set_format(&q, DEX), 0);
	expect_string(&q, "1500");
	q = P("2048");
	ck_assert_int_eq(kube_quantity_set_format(&q, BSI), 0);
	expect_string(&q, "2Ki");
	ck_assert_int_eq(kube_quantity_set_format(&q, DEX), 0);
	expect_string(&q, "2048");
	q = P("2M");
	ck_assert_int_eq(kube_quantity_set_format(&q, DEX), 0);
	expect_string(&q, "2e6");
	ck_assert_int_eq(kube_quantity_set_format(&q, BSI), 0);
	expect_string(&q, "2000000");   /* 2^7 * 5^6: no factor of 1024 */
	q = P("1e21");
	ck_assert_int_eq(kube_quantity_set_format(&q, DSI), 0);
	expect_string(&q, "1e21");
	ck_assert_int_eq(kube_quantity_set_format(&q, (kube_quantity_format)7), KUBE_EINVAL);
	ck_assert_int_eq(kube_quantity_set_format(NULL, DSI), KUBE_EINVAL);
	ck_assert_int_eq(kube_quantity_neg(NULL, &q), KUBE_EINVAL);
	ck_assert_int_eq(kube_quantity_neg(&q, NULL), KUBE_EINVAL);
}
END_TEST

START_TEST(test_quantity_format_string_buffer)
{
	kube_quantity q = P("1500m");
	char buf[8];

	ck_assert_int_eq(kube_quantity_format_string(&q, buf, 6), 5);
	ck_assert_str_eq(buf, "1500m");
	memset(buf, 'x', sizeof(buf));
	ck_assert_int_eq(kube_quantity_format_string(&q, buf, 5), KUBE_ERANGE);
	ck_assert_str_eq(buf, "");
	ck_assert_str_eq(kube_error_last()->message, "quantity needs a buffer of 6 bytes, got 5");
	memset(buf, 'x', sizeof(buf));
	ck_assert_int_eq(kube_quantity_format_string(&q, buf, 0), KUBE_ERANGE);
	ck_assert_int_eq(buf[0], 'x');
	ck_assert_int_eq(kube_quantity_format_string(NULL, buf, 8), KUBE_EINVAL);
	ck_assert_int_eq(kube_quantity_format_string(&q, NULL, 8), KUBE_EINVAL);

	/* the longest canonical strings fit KUBE_QUANTITY_STRING_MAX */
	char big[KUBE_QUANTITY_STRING_MAX];
	q = P("-99999999999999999999999999999.999999999e0");
	ck_assert_int_eq(kube_quantity_format_string(&q, big, sizeof(big)), 42);
	ck_assert_str_eq(big, "-99999999999999999999999999999999999999e-9");
	q = P("-99999999999999999999999999999.999999999");
	ck_assert_int_eq(kube_quantity_format_string(&q, big, sizeof(big)), 40);
	ck_assert_str_eq(big, "-99999999999999999999999999999999999999n");
	ck_assert_ptr_null(kube_quantity_string(NULL));
	ck_assert_int_eq(kube_error_last()->code, KUBE_EINVAL);
}
END_TEST

static Suite *quantity_suite(void)
{
	Suite *s = suite_create("quantity");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_quantity_parse_table);
	tcase_add_test(tc, test_quantity_parse_signed);
	tcase_add_test(tc, test_quantity_round_trip);
	tcase_add_test(tc, test_quantity_parse_errors);
	tcase_add_test(tc, test_quantity_parse_n);
	tcase_add_test(tc, test_quantity_cmp);
	tcase_add_test(tc, test_quantity_from_int);
	tcase_add_test(tc, test_quantity_value_rounding);
	tcase_add_test(tc, test_quantity_add_sub);
	tcase_add_test(tc, test_quantity_add_overflow);
	tcase_add_test(tc, test_quantity_add_sub_round_trip);
	tcase_add_test(tc, test_quantity_neg_sign_format);
	tcase_add_test(tc, test_quantity_format_string_buffer);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(quantity_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
