/*
 * tree.c - an ordered map from strings to values: a treap.
 *
 * Keys are borrowed from the values (an entry's key, an index bucket's
 * value), so a node costs three pointers and a priority.  The store needs
 * ordered iteration (lists come out in key order, continue tokens resume
 * after a key) and O(log n) insert/remove for 100,000s of keys; a treap
 * gives both in a page of code.  Iteration is by "next key after k", which
 * needs no parent pointers and survives changes to the tree between steps
 * (a paged list resumes from a key on a later call).
 *
 *        (k=m, prio 90)          heap order on prio,
 *        /            \          search order on key
 *   (k=c, 40)      (k=t, 70)
 */
#include <string.h>

#include "store_private.h"

uint32_t kube__tree_prio(void)
{
	/* xorshift32: priorities only need to be spread, not secret. */
	static _Thread_local uint32_t x = 2463534242u;
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return x;
}

kube__tnode *kube__tree_find(kube__tnode *root, const char *key)
{
	while (root) {
		int c = strcmp(key, root->key);
		if (c == 0)
			return root;
		root = c < 0 ? root->left : root->right;
	}
	return NULL;
}

static kube__tnode *rotate_right(kube__tnode *n)
{
	kube__tnode *l = n->left;
	n->left = l->right;
	l->right = n;
	return l;
}

static kube__tnode *rotate_left(kube__tnode *n)
{
	kube__tnode *r = n->right;
	n->right = r->left;
	r->left = n;
	return r;
}

kube__tnode *kube__tree_insert(kube__tnode **root, kube__tnode *n)
{
	kube__tnode *t = *root, *there;
	int c;

	if (!t) {
		n->left = n->right = NULL;
		*root = n;
		return NULL;
	}
	if ((c = strcmp(n->key, t->key)) == 0)
		return t;
	if (c < 0) {
		if ((there = kube__tree_insert(&t->left, n)) == NULL && t->left->prio > t->prio)
			*root = rotate_right(t);
	} else {
		if ((there = kube__tree_insert(&t->right, n)) == NULL && t->right->prio > t->prio)
			*root = rotate_left(t);
	}
	return there;
}

kube__tnode *kube__tree_remove(kube__tnode **root, const char *key)
{
	kube__tnode **pp = root, *n;

	while (*pp) {
		int c = strcmp(key, (*pp)->key);
		if (c == 0)
			break;
		pp = c < 0 ? &(*pp)->left : &(*pp)->right;
	}
	if (!(n = *pp))
		return NULL;
	/* Rotate n down until it has at most one child, then splice it out. */
	while (n->left && n->right) {
		if (n->left->prio > n->right->prio) {
			*pp = rotate_right(n);
			pp = &(*pp)->right;
		} else {
			*pp = rotate_left(n);
			pp = &(*pp)->left;
		}
	}
	*pp = n->left ? n->left : n->right;
	n->left = n->right = NULL;
	return n;
}

kube__tnode *kube__tree_next(kube__tnode *root, const char *key, int inclusive)
{
	kube__tnode *best = NULL;

	while (root) {
		int c = strcmp(key, root->key);
		if (c < 0 || (c == 0 && inclusive)) {
			best = root;
			if (c == 0)
				break;
			root = root->left;
		} else {
			root = root->right;
		}
	}
	return best;
}
