/*
 * score.c - the built-in score plugins, with upstream's formulas.
 *
 *   NodeResourcesFit   LeastAllocated: per resource (cpu, memory; weight 1
 *                      each) (allocatable - requested) * 100 / allocatable,
 *                      0 when over; MostAllocated: requested * 100 /
 *                      allocatable, requested capped at allocatable.  The
 *                      requests are the "non-zero" ones (a container
 *                      without a cpu / memory request counts 100m / 200Mi),
 *                      including the incoming pod's.  A resource the node
 *                      does not have is left out; integer arithmetic.
 *   BalancedAllocation 100 * (1 - the standard deviation of the requested
 *                      fractions (cpu, memory; capped at 1)) over the
 *                      actual requests; a pod that requests neither is
 *                      skipped (every node scores 0).
 *   NodeAffinity       sum of the weights of the matching preferred terms,
 *                      normalised to the best node = 100.
 *   TaintToleration    number of PreferNoSchedule taints the pod does not
 *                      tolerate, normalised and reversed (fewest = 100).
 *   ImageLocality      sum over the pod's containers of image size x the
 *                      fraction of nodes that have the image, clamped to
 *                      [23 MB, 1000 MB x containers] and scaled to 0..100.
 */
#include <math.h>
#include <string.h>

#include "sched_private.h"

void kube__normalize_default(int64_t *scores, size_t n, int reverse)
{
	int64_t max = 0;
	for (size_t i = 0; i < n; i++)
		if (scores[i] > max)
			max = scores[i];
	if (max == 0) {
		if (reverse)
			for (size_t i = 0; i < n; i++)
				scores[i] = 100;
		return;
	}
	for (size_t i = 0; i < n; i++) {
		int64_t v = 100 * scores[i] / max;
		scores[i] = reverse ? 100 - v : v;
	}
}

void kube__prescore_builtin(kube__cycle *cy)
{
	const kube__pod *p = cy->pod;
	cy->balanced_skip = p->req[KUBE__R_CPU] == 0 && p->req[KUBE__R_MEM] == 0;
	cy->affinity_skip = p->npref_terms == 0;
	cy->nprefer_tols = 0;
	for (size_t i = 0; i < p->ntols; i++)
		if (p->tols[i].effect == KUBE__EFFECT_ALL ||
		    p->tols[i].effect == KUBE__EFFECT_PREFER_NO_SCHEDULE)
			cy->prefer_tols[cy->nprefer_tols++] = &p->tols[i];
}

static inline int64_t score_fit(kube__cycle *cy, uint32_t slot, int most)
{
	const kube_sched *s = cy->s;
	int64_t sum = 0, wsum = 0;
	for (int r = 0; r < 2; r++) {
		int64_t cap = s->alloc[r][slot];
		if (cap == 0)
			continue;
		int64_t req = s->nz[r][slot] + cy->pod->nz[r], v;
		if (cap < 0)
			v = 0;
		else if (most)
			v = kube__div_floor((req > cap ? cap : req < 0 ? 0 : req) * 100, cap, s->inv[r][slot]);
		else
			v = req > cap || req < 0 ? 0 : kube__div_floor((cap - req) * 100, cap, s->inv[r][slot]);
		sum += v;
		wsum++;
	}
	/* weights are 1 and 1: the mean of 0, 1 or 2 non-negative scores */
	return wsum == 2 ? sum >> 1 : sum;
}

void kube__score_fit_all(kube__cycle *cy, const uint32_t *slots, size_t n, int64_t *out, int most)
{
	if (most)
		for (size_t j = 0; j < n; j++)
			out[j] = score_fit(cy, slots[j], 1);
	else
		for (size_t j = 0; j < n; j++)
			out[j] = score_fit(cy, slots[j], 0);
}

static inline int64_t score_balanced(kube__cycle *cy, uint32_t slot)
{
	const kube_sched *s = cy->s;
	double f[2];
	int nf = 0;
	for (int r = 0; r < 2; r++) {
		int64_t cap = s->alloc[r][slot];
		if (cap == 0)
			continue;
		double x = (double)(s->req[r][slot] + cy->pod->req[r]) / (double)cap;
		f[nf++] = x > 1 ? 1 : x;
	}
	double sd = nf == 2 ? fabs((f[0] - f[1]) / 2) : 0;
	return (int64_t)((1 - sd) * 100);
}

void kube__score_balanced_all(kube__cycle *cy, const uint32_t *slots, size_t n, int64_t *out)
{
	if (cy->balanced_skip) {
		memset(out, 0, n * sizeof(*out));
		return;
	}
	for (size_t j = 0; j < n; j++)
		out[j] = score_balanced(cy, slots[j]);
}

int64_t kube__score_affinity(kube__cycle *cy, const kube_sched_node *n)
{
	if (cy->affinity_skip)
		return 0;
	int64_t sum = 0;
	for (size_t i = 0; i < cy->pod->npref_terms; i++)
		if (kube__term_matches(&cy->pod->pref_terms[i], n, cy->s->names))
			sum += cy->pod->pref_terms[i].weight;
	return sum;
}

int64_t kube__score_taints(kube__cycle *cy, const kube_sched_node *n)
{
	if (!n->prefer_taints)
		return 0;
	int64_t count = 0;
	for (size_t i = 0; i < n->ntaints; i++) {
		const kube__taint *t = &n->taints[i];
		if (t->effect != KUBE__EFFECT_PREFER_NO_SCHEDULE)
			continue;
		int ok = 0;
		for (size_t j = 0; j < cy->nprefer_tols && !ok; j++)
			ok = kube__tolerates(cy->prefer_tols[j], t);
		count += !ok;
	}
	return count;
}

#define MB (1024LL * 1024)

int64_t kube__score_images(kube__cycle *cy, const kube_sched_node *n)
{
	const kube__pod *p = cy->pod;
	if (!p->nimages)
		return 0;
	int64_t sum = 0;
	if (n->nimages) {
		for (size_t i = 0; i < p->nimages; i++) {
			uint32_t id = p->images[i];
			for (size_t j = 0; j < n->nimages; j++) {
				if (n->images[j].id != id)
					continue;
				double spread = (double)cy->s->image_nodes[id] / (double)cy->s->nnodes;
				sum += (int64_t)((double)n->images[j].size * spread);
				break;
			}
		}
	}
	int64_t lo = 23 * MB, hi = 1000 * MB * (int64_t)p->nimages;
	if (sum < lo)
		sum = lo;
	else if (sum > hi)
		sum = hi;
	return 100 * (sum - lo) / (hi - lo);
}
