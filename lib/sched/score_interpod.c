/*
 * score_interpod.c - InterPodAffinity's score, as upstream's
 * interpodaffinity/scoring.go (hardPodAffinityWeight 1).
 *
 * PreScore sums, per topology pair (key, value) of the node of an
 * existing pod E:
 *   + weight of each preferred affinity term of the incoming pod P that E matches
 *   - weight of each preferred anti-affinity term of P that E matches
 *   + 1 for each required affinity term of E that P matches
 *   + weight of each preferred affinity term of E that P matches
 *   - weight of each preferred anti-affinity term of E that P matches
 * visiting every pod when P has preferred terms, else only the pods that
 * have affinity terms (the snapshot's aff_pods list).  A node scores the
 * sum over its labels' pairs; scores are normalised as
 * 100 x (score - min) / (max - min) (all 0 when max = min).  When nothing
 * was summed the plugin is skipped (scores nothing), as upstream.
 */
#include <math.h>

#include "sched_private.h"

static int add_term(kube__pair_map *m, const kube__pod_term *t, int64_t w, kube__pod *target,
                    const kube_sched_node *n)
{
	int r = kube__pod_term_matches(t, target);
	if (r < 0)
		return kube__error_oom();
	if (!r)
		return 0;
	uint32_t v = kube__node_label(n, t->topo_key);
	return v == UINT32_MAX ? 0 : kube__pm_add(m, kube__pair_of(t->topo_key, v), w);
}

static int process(kube__pair_map *m, kube__pod *p, kube__pod *e, const kube_sched_node *n)
{
	int rc = 0;
	if (!n->nlabels)
		return 0;
	for (size_t i = 0; i < p->npaff && !rc; i++)
		rc = add_term(m, &p->paff[i], p->paff[i].weight, e, n);
	for (size_t i = 0; i < p->npanti && !rc; i++)
		rc = add_term(m, &p->panti[i], -(int64_t)p->panti[i].weight, e, n);
	for (size_t i = 0; i < e->naff && !rc; i++)
		rc = add_term(m, &e->aff[i], 1, p, n);
	for (size_t i = 0; i < e->npaff && !rc; i++)
		rc = add_term(m, &e->paff[i], e->paff[i].weight, p, n);
	for (size_t i = 0; i < e->npanti && !rc; i++)
		rc = add_term(m, &e->panti[i], -(int64_t)e->panti[i].weight, p, n);
	return rc;
}

int kube__interpod_score_all(kube__cycle *cy, const uint32_t *slots, size_t n, int64_t *out,
                             int *skip)
{
	kube_sched *s = cy->s;
	kube__pod *p = cy->pod;
	int has = p->npaff || p->npanti;
	*skip = 1;
	if (!has && !s->naff_pods)
		return 0;
	kube__pair_map m = { 0 };
	int rc = 0;
	if (has) {
		for (size_t slot = 0; slot < s->nslots && !rc; slot++) {
			const kube_sched_node *node = s->node[slot];
			for (size_t j = 0; node && j < node->npods && !rc; j++)
				rc = process(&m, p, node->pods[j], node);
		}
	} else {
		for (size_t i = 0; i < s->naff_pods && !rc; i++)
			rc = process(&m, p, s->aff_pods[i], s->node[s->aff_pods[i]->slot]);
	}
	if (rc || !m.n) {
		kube__pm_free(&m);
		return rc;
	}
	*skip = 0;
	int64_t min = INT64_MAX, max = INT64_MIN;
	for (size_t j = 0; j < n; j++) {
		const kube_sched_node *node = s->node[slots[j]];
		int64_t sum = 0;
		for (size_t i = 0; i < node->nlabels; i++)
			sum += kube__pm_get(&m, kube__pair_of(node->labels[i].key, node->labels[i].value));
		out[j] = sum;
		if (sum < min)
			min = sum;
		if (sum > max)
			max = sum;
	}
	for (size_t j = 0; j < n; j++)
		out[j] = max > min ? (int64_t)(100.0 * ((double)(out[j] - min) / (double)(max - min))) : 0;
	kube__pm_free(&m);
	return 0;
}
