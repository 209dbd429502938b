/*
 * fuzz_selector.c - the label-selector parser on arbitrary bytes.
 *
 * Besides memory safety, checks the round trip on every input that
 * parses: the canonical string parses again to the same string, and both
 * selectors give the same answers on a few label sets.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "libkube/kube.h"

static kube_labels *sets[4];

static void init_sets(void)
{
	static const char *const text[] = {
		"", "a=b,x=1,env=prod,in=notin", "x=10,a=,b=c", "app=web,tier=db,canary=true",
	};
	for (int i = 0; i < 4; i++)
		if (kube_labels_parse(&sets[i], text[i]) != 0)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	kube_selector *a, *b;
	char *s1, *s2;

	if (!sets[0])
		init_sets();
	if (kube_selector_parse_len(&a, (const char *)data, size) != 0) {
		if (!kube_error_last() || !kube_error_last()->message)
			abort();
		return 0;
	}
	s1 = kube_selector_string(a);
	if (!s1 || kube_selector_parse(&b, s1) != 0)
		abort();
	s2 = kube_selector_string(b);
	if (!s2 || strcmp(s1, s2) != 0)
		abort();
	for (int i = 0; i < 4; i++)
		if (kube_selector_matches(a, sets[i]) != kube_selector_matches(b, sets[i]))
			abort();
	kube_free(s1);
	kube_free(s2);
	kube_selector_free(a);
	kube_selector_free(b);
	return 0;
}
