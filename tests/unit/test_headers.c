/*
 * test_headers.c - the public headers compile in any order and agree.
 *
 * The plugin-author headers come first on purpose: they repeat the KUBE_E*
 * codes so a plugin needs nothing else, and error.h must still compile
 * after them (a shared guard).
 */
#include "libkube/plugin/volume.h"
#include "libkube/plugin/cloud.h"
#include "libkube/plugin/runtime.h"
#include "libkube/kube.h"

#include <check.h>
#include <stdlib.h>

START_TEST(test_headers_error_codes_shared)
{
	/* the numbers are ABI: they never change */
	ck_assert_int_eq(KUBE_ETOOBIG, -17);
	ck_assert_int_eq(KUBE_EUNAVAILABLE, -18);
	ck_assert_int_eq(KUBE_EDATALOSS, -19);
	ck_assert_int_eq(KUBE_EUNAUTHENTICATED, -20);
	ck_assert_str_eq(kube_strerror(KUBE_EUNAVAILABLE), "unavailable");
	ck_assert_str_eq(kube_strerror(KUBE_EDATALOSS), "data loss");
	ck_assert_str_eq(kube_strerror(KUBE_EUNAUTHENTICATED), "unauthenticated");
	ck_assert_str_eq(kube_strerror(-21), "unknown error");
	/* gRPC UNAVAILABLE / DATA_LOSS / UNAUTHENTICATED have codes of their own */
	ck_assert_int_eq(kube_volume_from_grpc(14), KUBE_EUNAVAILABLE);
	ck_assert_int_eq(kube_volume_to_grpc(KUBE_EUNAUTHENTICATED), 16);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("headers");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_headers_error_codes_shared);
	suite_add_tcase(s, tc);
	SRunner *sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
