/*
 * fuzz_cron.c - libFuzzer target for the cron schedule parser
 * (kube_cron_schedule_parse) and its Next.
 *
 * Properties checked on every input:
 *   - a failure is KUBE_EINVAL with a message that starts with
 *     'invalid schedule "' and leaves *out NULL;
 *   - a schedule that parses gives activations that are strictly
 *     increasing and on whole seconds; five-field ones on whole minutes
 *     and stable (Next(Next(t) - 1 ns) == Next(t)), "@every" ones a
 *     constant delay from the whole second (Next(n + 1 ns) == Next(n)).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "libkube/kube.h"

#define CHECK(cond) do { if (!(cond)) abort(); } while (0)
#define SEC ((int64_t)1000000000)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	kube_cron_schedule *s = (kube_cron_schedule *)&s;
	char *spec;
	int rc, every;

	if (size > 4096)
		return 0;
	if (!(spec = malloc(size + 1)))
		return 0;
	memcpy(spec, data, size);
	spec[size] = 0;
	rc = kube_cron_schedule_parse(&s, spec);
	if (rc != 0) {
		CHECK(rc == KUBE_EINVAL);
		CHECK(s == NULL);
		CHECK(kube_error_last() && kube_error_last()->code == rc);
		CHECK(strncmp(kube_error_last()->message, "invalid schedule \"", 18) == 0);
		free(spec);
		return 0;
	}
	every = strstr(spec, "@every") != NULL;
	/* 2026-11-28T10:20:18.5Z, and a time before the epoch */
	int64_t starts[2] = { (int64_t)1795861218 * SEC + SEC / 2, -(int64_t)86400 * 400 * SEC + 7 };
	for (int k = 0; k < 2; k++) {
		int64_t t = starts[k];
		for (int i = 0; i < 4; i++) {
			int64_t n = kube_cron_schedule_next(s, t);
			if (n == 0)
				break;
			CHECK(n > t);
			CHECK(n % SEC == 0);
			if (!every) {
				CHECK(n % (60 * SEC) == 0);
				CHECK(kube_cron_schedule_next(s, n - 1) == n);
			} else {
				/* a constant delay from the whole second */
				CHECK(kube_cron_schedule_next(s, n + 1) == kube_cron_schedule_next(s, n));
			}
			t = n;
		}
	}
	kube_cron_schedule_free(s);
	free(spec);
	return 0;
}
