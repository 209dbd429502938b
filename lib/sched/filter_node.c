/*
 * filter_node.c - the filters that look at the node object itself:
 * NodeName, NodeUnschedulable, TaintToleration and NodeAffinity (with the
 * pod's nodeSelector), each rejecting with upstream's reason string.
 *
 * Matching follows k8s.io/api's helpers: Toleration.ToleratesTaint (an
 * empty toleration key matches every key; Exists matches every value; an
 * empty effect matches every effect), nodeaffinity's NodeSelector (terms
 * ORed, a term's expressions and fields ANDed, an empty or unparsable
 * term matching nothing) and labels.Requirement for In / NotIn / Exists /
 * DoesNotExist / Gt / Lt (NotIn and DoesNotExist hold when the label is
 * absent; Gt and Lt need the label to parse as an integer).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sched_private.h"

#define REASON_NODE_NAME "node(s) didn't match the requested node name"
#define REASON_UNSCHEDULABLE "node(s) were unschedulable"
#define REASON_AFFINITY "node(s) didn't match Pod's node affinity/selector"

int kube__filter_node_name(kube__cycle *cy, const kube_sched_node *n)
{
	const char *want = cy->pod->node_name;
	if (!want || !*want || strcmp(want, n->name) == 0)
		return 0;
	return kube__cycle_reject(cy, REASON_NODE_NAME) ? KUBE_ENOMEM : 1;
}

int kube__tolerates(const kube__toleration *t, const kube__taint *taint)
{
	if (t->effect != KUBE__EFFECT_ALL && t->effect != taint->effect)
		return 0;
	if (*t->key && strcmp(t->key, taint->key) != 0)
		return 0;
	if (t->exists < 0)
		return 0;
	return t->exists ? 1 : strcmp(t->value, taint->value) == 0;
}

static int tolerated(const kube__pod *p, const kube__taint *taint)
{
	for (size_t i = 0; i < p->ntols; i++)
		if (kube__tolerates(&p->tols[i], taint))
			return 1;
	return 0;
}

int kube__filter_unschedulable(kube__cycle *cy, const kube_sched_node *n)
{
	if (!(cy->s->flags[n->slot] & KUBE__NF_UNSCHEDULABLE))
		return 0;
	static const kube__taint unsched = { "node.kubernetes.io/unschedulable", "",
	                                     KUBE__EFFECT_NO_SCHEDULE, NULL };
	if (tolerated(cy->pod, &unsched))
		return 0;
	return kube__cycle_reject(cy, REASON_UNSCHEDULABLE) ? KUBE_ENOMEM : 1;
}

int kube__filter_taints(kube__cycle *cy, const kube_sched_node *n)
{
	if (!(cy->s->flags[n->slot] & KUBE__NF_HARD_TAINTS))
		return 0;
	for (size_t i = 0; i < n->ntaints; i++) {
		const kube__taint *t = &n->taints[i];
		if (t->effect != KUBE__EFFECT_NO_SCHEDULE && t->effect != KUBE__EFFECT_NO_EXECUTE)
			continue;
		if (tolerated(cy->pod, t))
			continue;
		/* the first untolerated taint names the reason, as upstream's
		 * FindMatchingUntoleratedTaint */
		return kube__cycle_reject(cy, t->reason) ? KUBE_ENOMEM : 1;
	}
	return 0;
}

static int parse_label_int(const char *s, int64_t *out)
{
	if (!s || !*s || *s == ' ')
		return 0;
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (*end || errno)
		return 0;
	*out = v;
	return 1;
}

/* Keys and values are compared as interned ids: equal strings, equal ids. */
static int expr_matches(const kube__expr *e, const kube_sched_node *n, const kube__intern *names)
{
	uint32_t v = kube__node_label(n, e->key_id);
	int64_t num;
	switch (e->op) {
	case KUBE__OP_IN:
	case KUBE__OP_NOT_IN: {
		int in = 0;
		if (v != UINT32_MAX)
			for (size_t i = 0; i < e->nvalues && !in; i++)
				in = e->value_ids[i] == v;
		return e->op == KUBE__OP_IN ? in : !in;
	}
	case KUBE__OP_EXISTS:
		return v != UINT32_MAX;
	case KUBE__OP_DOES_NOT_EXIST:
		return v == UINT32_MAX;
	case KUBE__OP_GT:
		return v != UINT32_MAX && parse_label_int(kube__intern_str(names, v), &num) &&
		       num > e->num;
	case KUBE__OP_LT:
		return v != UINT32_MAX && parse_label_int(kube__intern_str(names, v), &num) &&
		       num < e->num;
	}
	return 0;
}

int kube__term_matches(const kube__term *t, const kube_sched_node *n, const kube__intern *names)
{
	if (t->invalid || (t->nexprs == 0 && t->nfields == 0))
		return 0;
	for (size_t i = 0; i < t->nexprs; i++)
		if (!expr_matches(&t->exprs[i], n, names))
			return 0;
	for (size_t i = 0; i < t->nfields; i++) {
		int eq = strcmp(t->fields[i].values[0], n->name) == 0;
		if (t->fields[i].op == KUBE__OP_IN ? !eq : eq)
			return 0;
	}
	return 1;
}

/* nodeSelector and required node affinity (upstream's RequiredNodeAffinity.Match) */
int kube__node_matches_required(const kube__pod *p, const kube_sched_node *n,
                                const kube__intern *names)
{
	int ok = 1;
	for (size_t i = 0; i < p->nsel && ok; i++)
		ok = kube__node_label(n, p->sel_keys[i]) == p->sel_vals[i];
	if (ok && p->has_required) {
		ok = 0;
		for (size_t i = 0; i < p->nreq_terms && !ok; i++)
			ok = kube__term_matches(&p->req_terms[i], n, names);
	}
	return ok;
}

/* 1 when every NoSchedule / NoExecute taint of the node is tolerated */
int kube__node_tolerated(const kube__pod *p, const kube_sched_node *n)
{
	for (size_t i = 0; i < n->ntaints; i++) {
		const kube__taint *t = &n->taints[i];
		if ((t->effect == KUBE__EFFECT_NO_SCHEDULE || t->effect == KUBE__EFFECT_NO_EXECUTE) &&
		    !tolerated(p, t))
			return 0;
	}
	return 1;
}

int kube__filter_affinity(kube__cycle *cy, const kube_sched_node *n)
{
	const kube__pod *p = cy->pod;
	if (!p->nsel && !p->has_required)
		return 0;
	if (kube__node_matches_required(p, n, cy->s->names))
		return 0;
	return kube__cycle_reject(cy, REASON_AFFINITY) ? KUBE_ENOMEM : 1;
}
