/*
 * fuzz_validation.c - whole-object validation on whatever the decoder accepts.
 *
 * The input is a YAML or JSON stream, decoded with kube_decode(); every
 * object it yields is validated.  Validation walks an untrusted tree of any
 * shape (wrong JSON types, huge numbers, odd UTF-8, lists inside lists), so
 * besides memory safety this checks what the header promises and aborts,
 * which the fuzzer reports as a crash, when it does not hold:
 *
 *   - 0 exactly when the list is empty, KUBE_EINVAL exactly when it is not,
 *     and then the thread's error is the first problem, field and message
 *     (cut short with "..." where the error's fixed buffers are too small,
 *     the field NULL where the path is empty);
 *   - every entry has a field and a message, and nothing past the end;
 *   - the walk is a pure function of the tree: a second run gives the same
 *     list in the same order, and a run with out == NULL the same code.
 *
 * There is no options byte: corpus files are plain manifests
 * (tests/fuzz/corpus/validation/, seeded from examples/manifests and
 * tests/data/validation).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "libkube/kube.h"

/* Aborts unless a and b list the same problems in the same order. */
static void same_list(const kube_validation *a, const kube_validation *b)
{
	size_t n = kube_validation_count(a);

	if (kube_validation_count(b) != n)
		abort();
	for (size_t i = 0; i < n; i++)
		if (strcmp(kube_validation_field(a, i), kube_validation_field(b, i)) != 0 ||
		    strcmp(kube_validation_message(a, i), kube_validation_message(b, i)) != 0)
			abort();
}

/* The thread's error text is `full`, or its start followed by "...". */
static int same_text(const char *err, const char *full)
{
	size_t n;

	if (!err)
		return *full == '\0';
	if (strcmp(err, full) == 0)
		return 1;
	n = strlen(err);
	return n >= 3 && strcmp(err + n - 3, "...") == 0 && strlen(full) > n - 3 &&
	       strncmp(err, full, n - 3) == 0;
}

static void check_object(const kube_object *o)
{
	kube_validation *v = NULL, *again = NULL;
	int rc = kube_validate_object(&v, o);
	size_t n;

	if (rc == KUBE_ENOMEM)
		return;  /* the sanitizers' allocator may refuse a huge request */
	if (!v)
		abort();  /* only KUBE_ENOMEM and a NULL object return no list */
	n = kube_validation_count(v);
	if ((n == 0) != (rc == 0) || (rc != 0 && rc != KUBE_EINVAL))
		abort();
	if (rc == KUBE_EINVAL) {
		const kube_error *e = kube_error_last();
		if (!e || e->code != KUBE_EINVAL || !e->message ||
		    !same_text(e->field, kube_validation_field(v, 0)) ||
		    !same_text(e->message, kube_validation_message(v, 0)))
			abort();
	}
	for (size_t i = 0; i < n; i++)
		if (!kube_validation_field(v, i) || !kube_validation_message(v, i))
			abort();
	if (kube_validation_field(v, n) || kube_validation_message(v, n))
		abort();

	if (kube_validate_object(&again, o) != rc)
		abort();
	same_list(v, again);
	if (kube_validate_object(NULL, o) != rc)
		abort();

	kube_validation_free(again);
	kube_validation_free(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	kube_object_list *list = NULL;

	if (kube_decode(&list, (const char *)data, size, NULL) != 0)
		return 0;
	for (size_t i = 0; i < kube_object_list_count(list); i++)
		check_object(kube_object_list_get(list, i));
	kube_object_list_free(list);
	return 0;
}
