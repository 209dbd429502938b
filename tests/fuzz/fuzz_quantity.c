/*
 * fuzz_quantity.c - libFuzzer target for the quantity parser.
 *
 * Properties checked on every input that parses:
 *   - the canonical string parses again, to the same value;
 *   - printing is idempotent after one round (a BinarySI value may print
 *     as plain decimal, "2000000", which then reparses as DecimalSI "2M",
 *     so only the second print is a fixed point, as upstream);
 *   - -(-q) == q, q - q == 0, q + (-q) == 0, (q + q) - q == q unless
 *     q + q is out of range;
 *   - Value() rounds away from zero by less than one unit.
 * An input that fails must leave an EINVAL or ERANGE error with a message.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "libkube/kube.h"

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	kube_quantity q, q2, q3, t;
	char s1[KUBE_QUANTITY_STRING_MAX], s2[KUBE_QUANTITY_STRING_MAX], s3[KUBE_QUANTITY_STRING_MAX];

	int rc = kube_quantity_parse_n(&q, (const char *)data, size);
	if (rc != 0) {
		CHECK(rc == KUBE_EINVAL || rc == KUBE_ERANGE);
		CHECK(kube_error_last() && kube_error_last()->code == rc);
		CHECK(kube_error_last()->message[0] != '\0');
		return 0;
	}

	int n = kube_quantity_format_string(&q, s1, sizeof(s1));
	CHECK(n > 0 && (size_t)n == strlen(s1));
	CHECK(kube_quantity_parse(&q2, s1) == 0);
	CHECK(kube_quantity_cmp(&q, &q2) == 0);
	CHECK(kube_quantity_format_string(&q2, s2, sizeof(s2)) > 0);
	CHECK(kube_quantity_parse(&q3, s2) == 0);
	CHECK(kube_quantity_cmp(&q, &q3) == 0);
	CHECK(kube_quantity_format_string(&q3, s3, sizeof(s3)) > 0);
	CHECK(strcmp(s2, s3) == 0);
	if (kube_quantity_get_format(&q) != KUBE_QUANTITY_BINARY_SI)
		CHECK(strcmp(s1, s2) == 0);

	char *dup = kube_quantity_string(&q);
	CHECK(dup && strcmp(dup, s1) == 0);
	kube_free(dup);

	CHECK(kube_quantity_neg(&t, &q) == 0);
	CHECK(kube_quantity_sign(&t) == -kube_quantity_sign(&q));
	CHECK(kube_quantity_neg(&t, &t) == 0);
	CHECK(kube_quantity_cmp(&t, &q) == 0);
	CHECK(kube_quantity_sub(&t, &q, &q) == 0 && kube_quantity_is_zero(&t));
	CHECK(kube_quantity_neg(&t, &q) == 0);
	CHECK(kube_quantity_add(&t, &q, &t) == 0 && kube_quantity_is_zero(&t));
	rc = kube_quantity_add(&t, &q, &q);
	if (rc == 0) {
		CHECK(kube_quantity_sign(&t) == kube_quantity_sign(&q));
		CHECK(kube_quantity_sub(&t, &t, &q) == 0 && kube_quantity_cmp(&t, &q) == 0);
	} else {
		CHECK(rc == KUBE_ERANGE);
	}

	int64_t v;
	if (kube_quantity_value(&q, &v) == 0) {
		/* |q| <= |v| < |q| + 1, same sign */
		kube_quantity qv, one, next;
		CHECK(kube_quantity_from_int(&qv, v, KUBE_QUANTITY_DECIMAL_SI) == 0);
		CHECK(kube_quantity_from_int(&one, kube_quantity_sign(&q), KUBE_QUANTITY_DECIMAL_SI) == 0);
		CHECK(kube_quantity_sub(&next, &qv, &one) == 0);
		if (kube_quantity_sign(&q) > 0)
			CHECK(kube_quantity_cmp(&qv, &q) >= 0 && kube_quantity_cmp(&next, &q) < 0);
		else if (kube_quantity_sign(&q) < 0)
			CHECK(kube_quantity_cmp(&qv, &q) <= 0 && kube_quantity_cmp(&next, &q) > 0);
		else
			CHECK(v == 0);
	}
	int64_t m;
	if (kube_quantity_milli(&q, &m) == 0)
		CHECK(kube_quantity_value(&q, &v) == 0);
	return 0;
}
