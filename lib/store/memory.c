/*
 * memory.c - the memory backend: nothing durable, for tests and for
 * embedders that want no persistence.
 *
 * The store's in-memory state already holds every object, so this backend
 * keeps only what a backend owns: the revision counter and each key's
 * mod_revision, to check write conditions the way etcd's Txn does.  It
 * never sees a stale condition from a correct store (the store checks
 * first); the checks are here so the vtable's contract is tested by the
 * simplest backend too.
 */
#include <string.h>

#include "store_private.h"

typedef struct mem_key {
	char *key;
	int64_t mod_revision;
	kube__tnode node;
} mem_key;

typedef struct mem_state {
	int64_t revision;
	kube__tnode *keys;
} mem_state;

static int mem_open(void **state, const kube_store_options *opts)
{
	mem_state *m;

	KUBE_UNUSED(opts);
	if (!(m = kube_calloc(1, sizeof(*m))))
		return kube__error_oom();
	*state = m;
	return 0;
}

static void free_keys(kube__tnode *n)
{
	if (!n)
		return;
	free_keys(n->left);
	free_keys(n->right);
	mem_key *k = n->val;
	kube_free(k->key);
	kube_free(k);
}

static void mem_close(void *state)
{
	mem_state *m = state;

	if (!m)
		return;
	free_keys(m->keys);
	kube_free(m);
}

static int mem_load(void *state, kube__store_load_cb fn, void *userdata, int64_t *revision)
{
	mem_state *m = state;

	/* A fresh memory backend holds nothing. */
	KUBE_UNUSED(fn);
	KUBE_UNUSED(userdata);
	*revision = m->revision;
	return 0;
}

static int apply(mem_state *m, kube__store_op *op)
{
	kube__tnode *n = kube__tree_find(m->keys, op->key);
	int64_t cur = n ? ((mem_key *)n->val)->mod_revision : 0;

	if (op->expect_revision != KUBE__EXPECT_ANY && op->expect_revision != cur)
		return cur == 0 ? KUBE_ENOTFOUND : op->expect_revision == 0 ? KUBE_EEXISTS
		                                                           : KUBE_ECONFLICT;
	if (op->type == KUBE__OP_DELETE) {
		if (!n)
			return KUBE_ENOTFOUND;
		kube__tree_remove(&m->keys, op->key);
		mem_key *k = n->val;
		kube_free(k->key);
		kube_free(k);
	} else if (n) {
		((mem_key *)n->val)->mod_revision = m->revision + 1;
	} else {
		mem_key *k = kube_calloc(1, sizeof(*k));
		if (!k || !(k->key = kube_strdup(op->key))) {
			kube_free(k);
			return KUBE_ENOMEM;
		}
		k->mod_revision = m->revision + 1;
		k->node.key = k->key;
		k->node.val = k;
		k->node.prio = kube__tree_prio();
		kube__tree_insert(&m->keys, &k->node);
	}
	op->revision = ++m->revision;
	return 0;
}

static int mem_commit(void *state, kube__store_op *ops, size_t n)
{
	mem_state *m = state;

	for (size_t i = 0; i < n; i++) {
		ops[i].revision = 0;
		ops[i].result = apply(m, &ops[i]);
	}
	return 0;
}

const kube__store_backend_ops kube__store_memory_backend = {
	.abi_version = 1,
	.struct_size = sizeof(kube__store_backend_ops),
	.name = "memory",
	.open = mem_open,
	.close = mem_close,
	.load = mem_load,
	.commit = mem_commit,
	.compact = NULL,
};
