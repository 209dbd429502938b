/*
 * hello.c - the smallest embedding of libkube: decode a manifest from
 * standard input, validate every object, print its kind and name.
 *
 *   cc hello.c $(pkg-config --cflags --libs libkube) -o hello
 *   ./hello < deployment.yaml
 */
#include <stdio.h>
#include <stdlib.h>

#include <libkube/kube.h>

int main(void)
{
	static char buf[1 << 20];
	size_t len = fread(buf, 1, sizeof(buf), stdin);
	kube_object_list *objs;
	int status = 0;

	if (kube_decode(&objs, buf, len, NULL) != 0) {
		const kube_error *e = kube_error_last();
		fprintf(stderr, "document %d, line %d: %s\n", e->document, e->line, e->message);
		return 1;
	}
	for (size_t i = 0; i < kube_object_list_count(objs); i++) {
		kube_object *o = kube_object_list_get(objs, i);
		int rc = kube_validate_object(NULL, o);
		printf("%s/%s: %s\n", kube_object_kind(o), kube_object_name(o),
		       rc == 0 ? "valid" : kube_error_last()->message);
		if (rc != 0)
			status = 1;
	}
	kube_object_list_free(objs);
	return status;
}
