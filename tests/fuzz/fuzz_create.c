/*
 * fuzz_create.c - creates from JSON text (kube_store_create_json), which
 * splice the stored text from the request's when it is in the encoder's
 * form instead of decoding it (lib/store/createtext.c).
 *
 * The input is the request's JSON.  It is created in one store with
 * kube_store_create_json and in another with kube_object_from_json and
 * kube_store_create_take, the tree path; then:
 *   - both succeed or both fail, with the same error code and message;
 *   - the text stored from JSON reads as the encoder's own: it encodes to
 *     the same bytes as a tree copy of it, and the metadata the object
 *     keeps at hand is the copy's;
 *   - the two objects are the same but for what a create makes up (uid,
 *     creationTimestamp, a generated name): with those set alike on tree
 *     copies of both, the copies encode to the same bytes (a member set
 *     where the tree puts it, a dropped one, a field in the wrong place
 *     would differ).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libkube/kube.h"
#include "stored_text.h"

static kube_loop *loop;

static void same_text(const char *what, const char *a, const char *b)
{
	if (strcmp(a, b) != 0) {
		fprintf(stderr, "%s differ:\n  %s\n  %s\n", what, a, b);
		abort();
	}
}

/* A tree copy of o with what a create makes up set alike. */
static char *made_up_alike(const kube_object *o)
{
	kube_object *m = NULL;
	char *s;

	if (kube_object_mutable(&m, o) != 0 ||
	    kube_object_set_string(m, "metadata.uid", "U") != 0 ||
	    kube_object_set_string(m, "metadata.creationTimestamp", "T") != 0 ||
	    (kube_object_generate_name(o) && *kube_object_generate_name(o) &&
	     kube_object_set_string(m, "metadata.name", "N") != 0))
		abort();
	s = encoded(m);
	kube_object_unref(m);
	return s;
}

/* A generated name is random: the five characters after each mention of
 * the name's base become stars (a message may name the name).  The base
 * is generateName's first 58 bytes, less a character they would cut, as
 * the store takes it. */
static void mask_generated(char *msg, char *gn)
{
	size_t gl = gn ? strlen(gn) : 0;

	if (gl > 58) {
		gl = 58;
		while (gl && ((unsigned char)gn[gl] & 0xC0) == 0x80)
			gl--;
		gn[gl] = '\0';
	}

	for (char *p = msg; gl && (p = strstr(p, gn)) != NULL;) {
		p += gl;
		for (int i = 0; i < 5 && *p; i++)
			*p++ = '*';
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *json = (const char *)data;
	kube_store *sa = NULL, *sb = NULL;
	kube_object *a = NULL, *b = NULL, *in = NULL;
	char msg_a[512] = "", msg_b[512] = "", gn[256] = "";
	int ra, rb;

	if (!loop && kube_loop_new(&loop, NULL) != 0)
		abort();
	/* stores per input: a name one input took is free for the next */
	if (kube_store_open(&sa, loop, NULL) != 0 || kube_store_open(&sb, loop, NULL) != 0)
		abort();
	if ((ra = kube_store_create_json(&a, sa, json, size)) != 0)
		snprintf(msg_a, sizeof(msg_a), "%s", kube_error_last()->message);
	rb = kube_object_from_json(&in, json, size);
	if (rb == 0) {
		if (kube_object_generate_name(in))
			snprintf(gn, sizeof(gn), "%s", kube_object_generate_name(in));
		rb = kube_store_create_take(&b, sb, in);
	}
	if (rb != 0)
		snprintf(msg_b, sizeof(msg_b), "%s", kube_error_last()->message);
	if (ra != rb) {
		fprintf(stderr, "from text: %d (%s), from a tree: %d (%s)\n", ra, msg_a, rb, msg_b);
		abort();
	}
	if (ra != 0) {
		mask_generated(msg_a, gn);
		mask_generated(msg_b, gn);
		same_text("the messages", msg_a, msg_b);
	} else {
		char *x, *y;
		reads_as_encoded(a);
		x = made_up_alike(a);
		y = made_up_alike(b);
		same_text("the objects stored from text and from a tree", x, y);
		free(x);
		free(y);
	}
	kube_object_unref(a);
	kube_object_unref(b);
	kube_store_close(sa);
	kube_store_close(sb);
	kube_error_clear();
	return 0;
}
