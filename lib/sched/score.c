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

/* upstream's buildBrokenLinearFunction over the scaled shape */
static int64_t broken_linear(const kube__cycle *cy, int64_t p)
{
	const int64_t *u = cy->shape_u, *sc = cy->shape_s;
	for (size_t i = 0; i < cy->nshape; i++) {
		if (p <= u[i]) {
			if (i == 0)
				return sc[0];
			return sc[i - 1] + (sc[i] - sc[i - 1]) * (p - u[i - 1]) / (u[i] - u[i - 1]);
		}
	}
	return sc[cy->nshape - 1];
}

static int64_t score_rtcr(kube__cycle *cy, uint32_t slot)
{
	const kube_sched *s = cy->s;
	int64_t sum = 0, wsum = 0;
	for (int r = 0; r < 2; r++) {
		int64_t cap = s->alloc[r][slot];
		if (cap == 0)
			continue;
		int64_t req = s->nz[r][slot] + cy->pod->nz[r];
		int64_t util = cap < 0 || req > cap ? 100 : req * 100 / cap;
		sum += broken_linear(cy, util);
		wsum++;
	}
	/* math.Round: halves away from zero */
	return wsum ? (int64_t)llround((double)sum / (double)wsum) : 0;
}

static inline int64_t score_fit(kube__cycle *cy, uint32_t slot, int most)
{
	const kube_sched *s = cy->s;
	int64_t sum = 0, wsum = 0;
	if (most == KUBE_SCHED_REQUESTED_TO_CAPACITY_RATIO)
		return score_rtcr(cy, slot);
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

/* floor(num / den) for 0 <= num < 2^53: the double estimate is off by at
 * most one, which one branch-free step corrects. */
static inline int64_t div_small(int64_t num, int64_t den, double inv)
{
	int64_t q = (int64_t)((double)num * inv);
	q -= q * den > num;
	q += (q + 1) * den <= num;
	return q;
}

#define FAST_LIMIT (1LL << 46) /* (cap - req) * 100 stays below 2^53 */

static void fit_compute(kube__cycle *cy, const uint32_t *slots, size_t n, int64_t *out, int most);

void kube__score_fit_all(kube__cycle *cy, const uint32_t *slots, size_t n, int64_t *out, int most)
{
	kube_sched *s = cy->s;
	/* a RequestedToCapacityRatio score also depends on its profile's shape */
	int64_t key[3] = { cy->pod->nz[0], cy->pod->nz[1],
	                   most == KUBE_SCHED_REQUESTED_TO_CAPACITY_RATIO
	                   ? (int64_t)((uintptr_t)cy->shape_u * 4 + 2) : most };
	if (memcmp(key, s->fit_key, sizeof(key)) != 0 || s->fit_epoch == 0) {
		memcpy(s->fit_key, key, sizeof(key));
		if (++s->fit_epoch == 0)
			s->fit_epoch = 1;
	}
	uint32_t epoch = s->fit_epoch;
	for (size_t j = 0; j < n; j++) {
		uint32_t slot = slots[j];
		kube__score_cache *c = &s->cache[slot];
		if (c->fit_epoch == epoch && c->fit_gen == s->gen[slot]) {
			out[j] = c->fit;
			continue;
		}
		fit_compute(cy, &slots[j], 1, &out[j], most);
		c->fit = out[j];
		c->fit_epoch = epoch;
		c->fit_gen = s->gen[slot];
	}
}

static void fit_compute(kube__cycle *cy, const uint32_t *slots, size_t n, int64_t *out, int most)
{
	const kube_sched *s = cy->s;
	const int64_t *a0 = s->alloc[0], *a1 = s->alloc[1], *z0 = s->nz[0], *z1 = s->nz[1];
	const double *i0 = s->inv[0], *i1 = s->inv[1];
	int64_t p0 = cy->pod->nz[0], p1 = cy->pod->nz[1];
	if (most) {
		for (size_t j = 0; j < n; j++)
			out[j] = score_fit(cy, slots[j], most);
		return;
	}
	/* LeastAllocated on the common shape (both resources allocatable,
	 * nothing negative, nothing huge) without calls or divisions; the
	 * rest takes the general path */
	for (size_t j = 0; j < n; j++) {
		uint32_t slot = slots[j];
		int64_t c0 = a0[slot], c1 = a1[slot], r0 = z0[slot] + p0, r1 = z1[slot] + p1;
		if (KUBE_UNLIKELY(c0 <= 0 || c1 <= 0 || c0 >= FAST_LIMIT || c1 >= FAST_LIMIT ||
		                  r0 < 0 || r1 < 0)) {
			out[j] = score_fit(cy, slot, 0);
			continue;
		}
		int64_t v0 = r0 > c0 ? 0 : div_small((c0 - r0) * 100, c0, i0[slot]);
		int64_t v1 = r1 > c1 ? 0 : div_small((c1 - r1) * 100, c1, i1[slot]);
		out[j] = (v0 + v1) >> 1;
	}
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
	kube_sched *s = cy->s;
	int64_t key[2] = { cy->pod->req[KUBE__R_CPU], cy->pod->req[KUBE__R_MEM] };
	if (memcmp(key, s->bal_key, sizeof(key)) != 0 || s->bal_epoch == 0) {
		memcpy(s->bal_key, key, sizeof(key));
		if (++s->bal_epoch == 0)
			s->bal_epoch = 1;
	}
	uint32_t epoch = s->bal_epoch;
	for (size_t j = 0; j < n; j++) {
		uint32_t slot = slots[j];
		kube__score_cache *c = &s->cache[slot];
		if (c->bal_epoch != epoch || c->bal_gen != s->gen[slot]) {
			c->bal = score_balanced(cy, slot);
			c->bal_epoch = epoch;
			c->bal_gen = s->gen[slot];
		}
		out[j] = c->bal;
	}
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
