/*
 * kubelite.h - what the parts of kubelite share: string vectors, reading
 * manifests (main.c), and the run and get commands (run.c, get.c).
 */
#ifndef KUBELITE_H
#define KUBELITE_H

#include <libkube/kube.h>
#include <libkube/lifecycle.h>
#include <libkube/node.h>

/* The socket `kubelite run` answers reads on, in its data directory: the
 * store holds its database exclusively, so `kubelite get` asks the running
 * process instead of opening it. */
#define KUBELITE_SOCKET "kubelite.sock"

typedef struct strv {
	char **v;
	size_t n, cap;
} strv;

void strv_push(strv *s, const char *str);
void strv_free(strv *s);
/* -f arguments as kubectl expands them. */
int collect(strv *files, const char *path, int recursive, int top);
/* One file's documents; 0, -1 (unreadable), 1 (syntax error, printed). */
int decode_file(const char *path, kube_object_list **out);

int cmd_run(int argc, char **argv);
int cmd_get(int argc, char **argv);
int cmd_delete(int argc, char **argv);

#endif
