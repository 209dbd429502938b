/*
 * kubelite - the libkube command-line program.
 *
 * It runs a cluster in one process and checks and converts manifests:
 *   kubelite run --data-dir DIR --nodes N -f FILE|DIR [--ready-delay MS]
 *                [--duration S]                                   (run.c)
 *   kubelite get KIND --data-dir DIR [-l SELECTOR] [-n NS | -A]
 *                [-o wide|yaml|json]                              (get.c)
 *   kubelite delete KIND NAME --data-dir DIR [-n NS]
 *                [--cascade=background|foreground|orphan]         (get.c)
 *   kubelite validate -f FILE|DIR [-f ...] [-R]
 *       prints every problem as FILE:DOC:LINE: field.path: message and exits 1
 *       if there is any (2 for a file that cannot be read or parsed at all...
 *       parse errors are problems too, reported with their position)
 *   kubelite convert -f FILE|DIR [-o json|yaml]
 *       prints the objects: YAML documents, or JSON (one object, or a v1 List)
 *   kubelite version
 *
 * It uses only libkube's public API, as an embedder would.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "kubelite.h"

#define MAX_FILE_BYTES (64u * 1024 * 1024)

void strv_push(strv *s, const char *str)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 16;
		s->v = realloc(s->v, s->cap * sizeof(*s->v));
		if (!s->v) {
			perror("kubelite");
			exit(2);
		}
	}
	s->v[s->n++] = strdup(str);
}

void strv_free(strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int has_manifest_suffix(const char *name)
{
	size_t n = strlen(name);
	return (n > 5 && strcmp(name + n - 5, ".yaml") == 0) ||
	       (n > 4 && strcmp(name + n - 4, ".yml") == 0) ||
	       (n > 5 && strcmp(name + n - 5, ".json") == 0);
}

/* Expands -f arguments as kubectl does: files as given, directories to
 * their *.yaml, *.yml and *.json files in name order (recursively with -R). */
int collect(strv *files, const char *path, int recursive, int top)
{
	struct stat st;
	if (stat(path, &st) != 0) {
		fprintf(stderr, "kubelite: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode)) {
		if (top || has_manifest_suffix(path))
			strv_push(files, path);
		return 0;
	}
	if (!top && !recursive)
		return 0;
	DIR *d = opendir(path);
	if (!d) {
		fprintf(stderr, "kubelite: %s: %s\n", path, strerror(errno));
		return -1;
	}
	strv entries = { 0 };
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		char full[4096];
		snprintf(full, sizeof(full), "%s/%s", path, e->d_name);
		strv_push(&entries, full);
	}
	closedir(d);
	qsort(entries.v, entries.n, sizeof(char *), cmp_str);
	int rc = 0;
	for (size_t i = 0; i < entries.n && rc == 0; i++)
		rc = collect(files, entries.v[i], recursive, 0);
	strv_free(&entries);
	return rc;
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0;

	if (!f) {
		fprintf(stderr, "kubelite: %s: %s\n", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		if (n == cap) {
			if (cap >= MAX_FILE_BYTES) {
				fprintf(stderr, "kubelite: %s: larger than %u bytes\n", path, MAX_FILE_BYTES);
				free(buf);
				fclose(f);
				return NULL;
			}
			cap = cap ? cap * 2 : 65536;
			char *p = realloc(buf, cap + 1);
			if (!p) {
				perror("kubelite");
				exit(2);
			}
			buf = p;
		}
		size_t got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	if (ferror(f)) {
		fprintf(stderr, "kubelite: %s: read error\n", path);
		free(buf);
		fclose(f);
		return NULL;
	}
	fclose(f);
	buf[n] = '\0';
	*len = n;
	return buf;
}

/* Decodes one file; on a syntax error prints it as FILE:DOC:LINE: message. */
int decode_file(const char *path, kube_object_list **out)
{
	kube_decode_options opts = KUBE_DECODE_OPTIONS_INIT;
	size_t len;
	char *buf = read_file(path, &len);
	int rc;

	if (!buf)
		return -1;
	opts.flags |= KUBE_DECODE_POSITIONS;
	rc = kube_decode(out, buf, len, &opts);
	free(buf);
	if (rc != 0) {
		const kube_error *e = kube_error_last();
		printf("%s:%d:%d: %s\n", path, e ? e->document : 0, e ? e->line : 0,
		       e ? e->message : kube_strerror(rc));
		return 1;
	}
	return 0;
}

static void usage(FILE *to)
{
	fprintf(to,
	        "usage: kubelite run --data-dir DIR [--nodes N] -f FILE|DIR [-f ...] [--ready-delay MS]\n"
	        "                    [--duration S]\n"
	        "       kubelite get KIND --data-dir DIR [-l SELECTOR] [-n NS | -A] [-o wide|yaml|json]\n"
	        "       kubelite delete KIND NAME --data-dir DIR [-n NS]\n"
	        "                       [--cascade=background|foreground|orphan] [--wait=false]\n"
	        "       kubelite validate -f FILE|DIR [-f FILE|DIR ...] [-R]\n"
	        "       kubelite convert -f FILE|DIR [-o json|yaml] [-R]\n"
	        "       kubelite version\n");
}

typedef struct args {
	strv paths;
	const char *output;
	int recursive;
} args;

static int parse_args(int argc, char **argv, args *a)
{
	memset(a, 0, sizeof(*a));
	a->output = "yaml";
	for (int i = 0; i < argc; i++) {
		const char *arg = argv[i];
		if ((strcmp(arg, "-f") == 0 || strcmp(arg, "--filename") == 0) && i + 1 < argc) {
			strv_push(&a->paths, argv[++i]);
		} else if (strncmp(arg, "--filename=", 11) == 0) {
			strv_push(&a->paths, arg + 11);
		} else if ((strcmp(arg, "-o") == 0 || strcmp(arg, "--output") == 0) && i + 1 < argc) {
			a->output = argv[++i];
		} else if (strncmp(arg, "--output=", 9) == 0) {
			a->output = arg + 9;
		} else if (strcmp(arg, "-R") == 0 || strcmp(arg, "--recursive") == 0) {
			a->recursive = 1;
		} else {
			fprintf(stderr, "kubelite: unknown argument '%s'\n", arg);
			return -1;
		}
	}
	if (a->paths.n == 0) {
		fprintf(stderr, "kubelite: -f FILE|DIR is required\n");
		return -1;
	}
	return 0;
}

static int cmd_validate(args *a)
{
	strv files = { 0 };
	size_t nobjects = 0, nproblems = 0;
	int failed_io = 0;

	for (size_t i = 0; i < a->paths.n; i++)
		if (collect(&files, a->paths.v[i], a->recursive, 1) != 0)
			failed_io = 1;

	for (size_t f = 0; f < files.n; f++) {
		kube_object_list *list = NULL;
		int rc = decode_file(files.v[f], &list);
		if (rc < 0) {
			failed_io = 1;
			continue;
		}
		if (rc > 0) {
			nproblems++;
			continue;
		}
		for (size_t i = 0; i < kube_object_list_count(list); i++) {
			kube_object *o = kube_object_list_get(list, i);
			kube_validation *v = NULL;
			nobjects++;
			if (kube_validate_object(&v, o) == KUBE_ENOMEM) {
				fprintf(stderr, "kubelite: out of memory\n");
				exit(2);
			}
			for (size_t p = 0; p < kube_validation_count(v); p++) {
				int doc = 0, line = 0, col = 0;
				kube_object_source(o, kube_validation_field(v, p), &doc, &line, &col);
				printf("%s:%d:%d: %s\n", files.v[f], doc, line,
				       kube_validation_message(v, p));
				nproblems++;
			}
			kube_validation_free(v);
		}
		kube_object_list_free(list);
	}
	fprintf(stderr, "kubelite: %zu object%s in %zu file%s, %zu problem%s\n",
	        nobjects, nobjects == 1 ? "" : "s", files.n, files.n == 1 ? "" : "s",
	        nproblems, nproblems == 1 ? "" : "s");
	strv_free(&files);
	if (failed_io)
		return 2;
	return nproblems ? 1 : 0;
}

static int cmd_convert(args *a)
{
	strv files = { 0 };
	kube_object_list *all = NULL;
	kube_format fmt;
	int status = 0;

	if (strcmp(a->output, "json") == 0) {
		fmt = KUBE_FORMAT_JSON;
	} else if (strcmp(a->output, "yaml") == 0) {
		fmt = KUBE_FORMAT_YAML;
	} else {
		fprintf(stderr, "kubelite: unknown output format '%s' (json or yaml)\n", a->output);
		return 2;
	}
	for (size_t i = 0; i < a->paths.n; i++)
		if (collect(&files, a->paths.v[i], a->recursive, 1) != 0)
			status = 2;
	if (kube_object_list_new(&all) != 0)
		return 2;
	for (size_t f = 0; f < files.n && status == 0; f++) {
		kube_object_list *list = NULL;
		int rc = decode_file(files.v[f], &list);
		if (rc != 0) {
			status = rc < 0 ? 2 : 1;
			break;
		}
		for (size_t i = 0; i < kube_object_list_count(list); i++)
			kube_object_list_append(all, kube_object_list_get(list, i));
		kube_object_list_free(list);
	}
	if (status == 0) {
		char *out = NULL;
		size_t len = 0;
		int rc = kube_object_list_count(all) == 1
		         ? kube_encode(&out, &len, kube_object_list_get(all, 0), fmt, KUBE_ENCODE_PRETTY)
		         : kube_encode_list(&out, &len, all, fmt, KUBE_ENCODE_PRETTY);
		if (rc != 0) {
			fprintf(stderr, "kubelite: %s\n", kube_error_last()->message);
			status = 1;
		} else {
			fwrite(out, 1, len, stdout);
			if (len && out[len - 1] != '\n')
				putchar('\n');
		}
		kube_free(out);
	}
	kube_object_list_free(all);
	strv_free(&files);
	return status;
}

int main(int argc, char **argv)
{
	args a;
	int rc;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "version") == 0 || strcmp(argv[1], "--version") == 0) {
		printf("kubelite (libkube %s)\n", kube_version());
		return 0;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "run") == 0)
		return cmd_run(argc - 2, argv + 2);
	if (strcmp(argv[1], "get") == 0)
		return cmd_get(argc - 2, argv + 2);
	if (strcmp(argv[1], "delete") == 0)
		return cmd_delete(argc - 2, argv + 2);
	if (strcmp(argv[1], "validate") != 0 && strcmp(argv[1], "convert") != 0) {
		fprintf(stderr, "kubelite: unknown command '%s'\n", argv[1]);
		usage(stderr);
		return 2;
	}
	if (parse_args(argc - 2, argv + 2, &a) != 0) {
		usage(stderr);
		return 2;
	}
	rc = strcmp(argv[1], "validate") == 0 ? cmd_validate(&a) : cmd_convert(&a);
	strv_free(&a.paths);
	return rc;
}
