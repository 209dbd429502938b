/*
 * fuzz_continue.c - the store's parsers on arbitrary bytes: the continue
 * token decoder (base64url, then JSON {"v","rv","start"}), and the
 * resource-checked field selectors and label selectors of list and watch.
 *
 * The first byte picks what the rest is:
 *   0  a continue token as a client would send it
 *   1  the token's JSON, base64url-encoded here, so the fuzzer reaches the
 *      JSON checks instead of stopping at base64
 *   2  a field selector for a list and a watch of pods, then of nodes
 *   3  a label selector for a list (the label index or a scan)
 * and the second byte a page size.  Every answer must be 0 or KUBE_EINVAL /
 * KUBE_EGONE with a message; a page that was accepted must continue, page
 * by page, to the end of the list without an error, each page in key order
 * after the previous one.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libkube/kube.h"

static kube_loop *loop;
static kube_store *st;

static void put(const char *json)
{
	kube_object *o;
	if (kube_object_from_json(&o, json, strlen(json)) != 0 || kube_store_create_take(NULL, st, o) != 0)
		abort();
}

static void setup(void)
{
	kube_store_options o = KUBE_STORE_OPTIONS_INIT;
	char json[256];

	o.history = 8;   /* short: old tokens are gone, new ones are not */
	if (kube_loop_new(&loop, NULL) != 0 || kube_store_open(&st, loop, &o) != 0)
		abort();
	for (int i = 0; i < 24; i++) {
		snprintf(json, sizeof(json),
		         "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"namespace\":\"ns%d\",\"name\":\"p%02d\","
		         "\"labels\":{\"app\":\"a%d\"}},\"spec\":{\"nodeName\":\"n%d\"},\"status\":{\"phase\":\"Running\"}}",
		         i % 3, i, i % 4, i % 2);
		put(json);
	}
	put("{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"n0\"}}");
}

static char *b64url(const uint8_t *in, size_t n)
{
	static const char A[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	char *out = malloc(n / 3 * 4 + 5), *p = out;

	for (size_t i = 0; i < n; i += 3) {
		uint32_t v = (uint32_t)in[i] << 16 | (i + 1 < n ? (uint32_t)in[i + 1] << 8 : 0) |
		             (i + 2 < n ? in[i + 2] : 0);
		*p++ = A[v >> 18 & 63];
		*p++ = A[v >> 12 & 63];
		if (i + 1 < n)
			*p++ = A[v >> 6 & 63];
		if (i + 2 < n)
			*p++ = A[v & 63];
	}
	*p = '\0';
	return out;
}

static void check_error(int rc)
{
	const kube_error *e = kube_error_last();
	if (rc != KUBE_EINVAL && rc != KUBE_EGONE)
		abort();
	if (!e || !e->message || !*e->message)
		abort();
}

/* Lists pods with o, then follows the continue tokens to the end. */
static void list_pages(const char *resource, kube_list_options *o)
{
	char prev[128] = "", *mine = NULL;
	int first = 1;

	for (int pages = 0; pages < 64; pages++) {
		kube_object_list *l = NULL;
		char *next = NULL;
		int rc = kube_store_list(&l, st, resource, o, NULL, &next);

		if (rc != 0) {
			/* only the caller's own input may be refused */
			if (!first)
				abort();
			check_error(rc);
			kube_free(mine);
			return;
		}
		for (size_t i = 0; i < kube_object_list_count(l); i++) {
			const kube_object *x = kube_object_list_get(l, i);
			char key[128];
			snprintf(key, sizeof(key), "%s/%s", kube_object_namespace(x) ? kube_object_namespace(x) : "",
			         kube_object_name(x));
			if (!first && strcmp(key, prev) <= 0)
				abort();   /* pages go forward, in key order */
			memcpy(prev, key, sizeof(prev));
			first = 0;
		}
		first = 0;
		kube_object_list_free(l);
		kube_free(mine);   /* the token of the page before, not the caller's */
		o->continue_token = mine = next;
		if (!next)
			return;
	}
	abort();   /* 25 objects cannot need 64 pages of at least one */
}

static void on_event(kube_watch *w, const kube_watch_event *e, void *ud)
{
	(void)w;
	(void)e;
	(void)ud;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	kube_list_options o = KUBE_LIST_OPTIONS_INIT;
	char *text, *tok = NULL;

	if (!st)
		setup();
	if (size < 2)
		return 0;
	text = malloc(size - 1);
	memcpy(text, data + 2, size - 2);
	text[size - 2] = '\0';
	o.limit = data[1] % 8;
	switch (data[0] % 4) {
	case 0:
		o.continue_token = text;
		list_pages("pods", &o);
		break;
	case 1:
		tok = b64url(data + 2, size - 2);
		o.continue_token = tok;
		list_pages("pods", &o);
		break;
	case 2: {
		kube_watch_options wo = KUBE_WATCH_OPTIONS_INIT;
		kube_watch *w = NULL;
		o.field_selector = text;
		list_pages("pods", &o);
		o.continue_token = NULL;
		list_pages("nodes", &o);
		wo.field_selector = text;
		int rc = kube_store_watch(&w, st, "pods", &wo, on_event, NULL, NULL);
		if (rc != 0)
			check_error(rc);
		else
			kube_watch_cancel(w);
		break;
	}
	default:
		o.label_selector = text;
		list_pages("pods", &o);
		break;
	}
	free(tok);
	free(text);
	return 0;
}
