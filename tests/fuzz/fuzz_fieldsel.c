/*
 * fuzz_fieldsel.c - the field-selector parser on arbitrary bytes.
 *
 * On inputs that parse, the canonical string parses again with the same
 * answers on a few field sets, and printing reaches a fixed point after
 * one more round (the first round may reorder terms: upstream sorts the
 * raw terms, and "f==v" prints as "f=v").
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "libkube/kube.h"

static kube_fields *sets[3];

static void init_sets(void)
{
	for (int i = 0; i < 3; i++)
		if (kube_fields_new(&sets[i]) != 0)
			abort();
	kube_fields_set(sets[1], "metadata.name", "a");
	kube_fields_set(sets[1], "a", "b,c=d\\");
	kube_fields_set(sets[2], "", "x");
	kube_fields_set(sets[2], "spec.nodeName", "");
}

static kube_field_selector *reparse(const kube_field_selector *s, char **text)
{
	kube_field_selector *r;
	*text = kube_field_selector_string(s);
	if (!*text || kube_field_selector_parse(&r, *text) != 0)
		abort();
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	kube_field_selector *a, *b, *c;
	char *text, *s1, *s2, *s3;

	if (!sets[0])
		init_sets();
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (kube_field_selector_parse(&a, text) != 0) {
		if (!kube_error_last() || !kube_error_last()->message)
			abort();
		free(text);
		return 0;
	}
	b = reparse(a, &s1);
	c = reparse(b, &s2);
	s3 = kube_field_selector_string(c);
	if (!s3 || strcmp(s2, s3) != 0)
		abort();
	for (int i = 0; i < 3; i++)
		if (kube_field_selector_matches(a, sets[i]) != kube_field_selector_matches(b, sets[i]))
			abort();
	kube_free(s1);
	kube_free(s2);
	kube_free(s3);
	kube_field_selector_free(a);
	kube_field_selector_free(b);
	kube_field_selector_free(c);
	free(text);
	return 0;
}
