/*
 * score_spread.c - PodTopologySpread's score for the ScheduleAnyway
 * constraints, as upstream's podtopologyspread/scoring.go.
 *
 * PreScore: a feasible node that lacks one of the constraints' keys is
 * ignored (it scores 0 after normalising).  Every other feasible node
 * makes its domain (key, value) a candidate, and each constraint gets the
 * weight log(number of its candidate domains + 2) (for
 * kubernetes.io/hostname: log(feasible nodes not ignored + 2)).  Then the
 * matching pods (same namespace, not terminating, the constraint's
 * selector) of every node of the cluster that carries all keys and passes
 * the constraint's inclusion policies are counted into its domain when
 * that domain is a candidate.
 *
 * Score: round(sum over the constraints whose key the node has of
 * count x weight + maxSkew - 1), hostname counting the node's own pods.
 * Normalise: ignored nodes 0; with max the highest and min the lowest
 * score of the others, 100 when max is 0, else 100 x (max + min - s) / max,
 * so the emptiest domain scores best.
 */
#include <math.h>
#include <string.h>

#include "sched_private.h"

#define HOSTNAME "kubernetes.io/hostname"

typedef struct spread_score {
	kube__pair_map counts;
	double *weight;
	int *hostname;
	uint8_t *ignored;           /* by slot */
} spread_score;

void kube__spread_score_free(struct kube__spread_score *ss)
{
	spread_score *s = (spread_score *)ss;
	if (!s)
		return;
	kube__pm_free(&s->counts);
	kube_free(s->weight);
	kube_free(s->hostname);
	kube_free(s->ignored);
	kube_free(s);
}

static int has_soft_keys(const kube__pod *p, const kube_sched_node *n)
{
	for (size_t c = 0; c < p->nspread; c++)
		if (!p->spread[c].hard && kube__node_label(n, p->spread[c].topo_key) == UINT32_MAX)
			return 0;
	return 1;
}

static int64_t count_matching(const kube__pod *p, const kube__spread *sp, const kube_sched_node *n)
{
	int64_t count = 0;
	for (size_t j = 0; j < n->npods; j++) {
		const kube__pod *e = n->pods[j];
		if (e->ns_id == p->ns_id && !kube_object_deletion_timestamp(e->obj) &&
		    kube__sel_matches(sp->sel, kube_object_labels(e->obj)))
			count++;
	}
	return count;
}

int kube__spread_prescore(kube__cycle *cy)
{
	kube_sched *s = cy->s;
	const kube__pod *p = cy->pod;
	size_t nc = p->nspread, nf = cy->nfeasible;
	cy->spread_score_skip = p->nspread == p->nspread_hard;
	if (cy->spread_score_skip)
		return 0;
	spread_score *ss = kube_calloc(1, sizeof(*ss));
	if (!ss)
		return kube__error_oom();
	cy->spread_score = (struct kube__spread_score *)ss;
	ss->weight = kube_calloc(nc, sizeof(double));
	ss->hostname = kube_calloc(nc, sizeof(int));
	ss->ignored = kube_calloc(s->nslots ? s->nslots : 1, 1);
	size_t *sizes = kube_calloc(nc, sizeof(size_t));
	if (!ss->weight || !ss->hostname || !ss->ignored || !sizes) {
		kube_free(sizes);
		return kube__error_oom();
	}
	for (size_t c = 0; c < nc; c++)
		ss->hostname[c] = strcmp(kube__intern_str(s->names, p->spread[c].topo_key), HOSTNAME) == 0;
	size_t nignored = 0;
	for (size_t j = 0; j < nf; j++) {
		const kube_sched_node *n = s->node[s->feasible[j]];
		if (!has_soft_keys(p, n)) {
			ss->ignored[n->slot] = 1;
			nignored++;
			continue;
		}
		for (size_t c = 0; c < nc; c++) {
			if (p->spread[c].hard || ss->hostname[c])
				continue;
			uint64_t k = kube__pair_of((uint32_t)c, kube__node_label(n, p->spread[c].topo_key));
			size_t before = ss->counts.n;
			if (kube__pm_add(&ss->counts, k, 0) != 0) {
				kube_free(sizes);
				return KUBE_ENOMEM;
			}
			sizes[c] += ss->counts.n - before;
		}
	}
	for (size_t c = 0; c < nc; c++)
		ss->weight[c] = log((double)(ss->hostname[c] ? nf - nignored : sizes[c]) + 2);
	kube_free(sizes);
	if (!ss->counts.n)
		return 0;
	for (size_t slot = 0; slot < s->nslots; slot++) {
		const kube_sched_node *n = s->node[slot];
		if (!n || !n->npods || !has_soft_keys(p, n))
			continue;
		int aff = -1, taints = -1;
		for (size_t c = 0; c < nc; c++) {
			const kube__spread *sp = &p->spread[c];
			if (sp->hard || ss->hostname[c])
				continue;
			if (sp->honor_affinity) {
				if (aff < 0)
					aff = kube__node_matches_required(p, n, s->names);
				if (!aff)
					continue;
			}
			if (sp->honor_taints) {
				if (taints < 0)
					taints = kube__node_tolerated(p, n);
				if (!taints)
					continue;
			}
			/* only candidate domains are counted */
			uint64_t k = kube__pair_of((uint32_t)c, kube__node_label(n, sp->topo_key));
			if (!kube__pm_has(&ss->counts, k))
				continue;
			int64_t cnt = count_matching(p, sp, n);
			if (cnt && kube__pm_add(&ss->counts, k, cnt) != 0)
				return KUBE_ENOMEM;
		}
	}
	return 0;
}

void kube__score_spread_all(kube__cycle *cy, const uint32_t *slots, size_t n, int64_t *out)
{
	const spread_score *ss = (const spread_score *)cy->spread_score;
	const kube__pod *p = cy->pod;
	kube_sched *s = cy->s;
	int64_t min = INT64_MAX, max = 0;
	for (size_t j = 0; j < n; j++) {
		const kube_sched_node *node = s->node[slots[j]];
		if (ss->ignored[slots[j]]) {
			out[j] = -1;
			continue;
		}
		double score = 0;
		for (size_t c = 0; c < p->nspread; c++) {
			const kube__spread *sp = &p->spread[c];
			if (sp->hard)
				continue;
			uint32_t v = kube__node_label(node, sp->topo_key);
			if (v == UINT32_MAX)
				continue;
			int64_t cnt = ss->hostname[c] ? count_matching(p, sp, node)
			                              : kube__pm_get(&ss->counts, kube__pair_of((uint32_t)c, v));
			score += (double)cnt * ss->weight[c] + (double)(sp->max_skew - 1);
		}
		out[j] = (int64_t)round(score);
		if (out[j] < min)
			min = out[j];
		if (out[j] > max)
			max = out[j];
	}
	for (size_t j = 0; j < n; j++) {
		if (out[j] == -1)
			out[j] = 0;
		else if (max == 0)
			out[j] = 100;
		else
			out[j] = 100 * (max + min - out[j]) / max;
	}
}
