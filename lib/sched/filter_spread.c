/*
 * filter_spread.c - PodTopologySpread's filter (whenUnsatisfiable:
 * DoNotSchedule), as upstream's podtopologyspread/filtering.go.
 *
 * PreFilter, once per cycle, counts per constraint and per domain (the
 * value of the constraint's topologyKey on a node) the pods that match the
 * constraint's selector, in the incoming pod's namespace, not
 * terminating.  Only nodes that carry every constraint's topologyKey take
 * part, and per constraint only nodes that pass its inclusion policies
 * (nodeAffinityPolicy Honor: the pod's nodeSelector and required node
 * affinity; nodeTaintsPolicy Honor: its NoSchedule / NoExecute taints are
 * tolerated).  Each such node's domain exists even with 0 pods.
 *
 * Filter, per node and constraint:
 *   the node lacks the topologyKey
 *     -> "node(s) didn't match pod topology spread constraints (missing required label)"
 *   matching pods in its domain + 1 if the pod matches its own selector
 *   - the global minimum (0 when fewer domains than minDomains) > maxSkew
 *     -> "node(s) didn't match pod topology spread constraints"
 *
 * Counts live in one (constraint index, value id) -> count map; the global
 * minimum per constraint is computed once after counting.
 */
#include <string.h>

#include "sched_private.h"

#define REASON_SPREAD "node(s) didn't match pod topology spread constraints"
#define REASON_SPREAD_LABEL REASON_SPREAD " (missing required label)"

static int64_t count_on(const kube__pod *p, const kube__spread *sp, const kube_sched_node *n)
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

/*
 * The matching pods of a node depend only on its pods and on the pod's
 * constraints, namespace and labels (matchLabelKeys), which replicas
 * share: the epoch names that text, the slot generation the node's pods.
 */
static int spread_epoch(kube_sched *s, const kube__pod *p, uint32_t *out)
{
	char *json = NULL, *labels = kube_labels_string(kube_object_labels(p->obj));
	kube_object_get_json(p->obj, "spec.topologySpreadConstraints", &json);
	kube_error_clear();
	kube__buf b = KUBE__BUF_INIT;
	kube__buf_printf(&b, "%s|%s|%s", json ? json : "", p->ns, labels ? labels : "");
	kube_free(json);
	kube_free(labels);
	if (b.failed)
		return kube__error_oom();
	if (!s->spread_key || strcmp(s->spread_key, b.data) != 0) {
		kube_free(s->spread_key);
		s->spread_key = kube__buf_detach(&b, NULL);
		if (++s->spread_epoch == 0)
			s->spread_epoch = 1;
	}
	kube__buf_free(&b);
	*out = s->spread_epoch;
	return 0;
}

int kube__spread_prefilter(kube__cycle *cy)
{
	kube_sched *s = cy->s;
	kube__pod *p = cy->pod;
	size_t nc = p->nspread;
	kube__pair_map *m = kube_calloc(1, sizeof(*m));
	int64_t *mins = kube_calloc(nc, sizeof(*mins));
	int64_t *domains = kube_calloc(nc, sizeof(*domains));
	int64_t *self = kube_calloc(nc, sizeof(*self));
	cy->spread_counts = m;
	cy->spread_min = mins;
	cy->spread_self = self;
	if (!m || !mins || !domains || !self) {
		kube_free(domains);
		return kube__error_oom();
	}
	for (size_t c = 0; c < nc; c++)
		self[c] = kube__sel_matches(p->spread[c].sel, kube_object_labels(p->obj));
	uint32_t epoch = 0;
	if (spread_epoch(s, p, &epoch) != 0) {
		kube_free(domains);
		return KUBE_ENOMEM;
	}
	for (size_t slot = 0; slot < s->nslots; slot++) {
		const kube_sched_node *n = s->node[slot];
		if (!n)
			continue;
		int all = 1;
		for (size_t c = 0; c < nc && all; c++)
			all = !p->spread[c].hard || kube__node_label(n, p->spread[c].topo_key) != UINT32_MAX;
		if (!all)
			continue;
		int aff = -1, taints = -1;
		for (size_t c = 0; c < nc; c++) {
			const kube__spread *sp = &p->spread[c];
			if (!sp->hard)
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
			int64_t count;
			if (c < 4) {
				kube__score_cache *m_ = &s->cache[slot];
				if (m_->sp_epoch != epoch || m_->sp_gen != s->gen[slot]) {
					for (size_t k = 0; k < nc && k < 4; k++)
						m_->sp_count[k] = p->spread[k].hard
						                  ? (int32_t)count_on(p, &p->spread[k], n) : 0;
					m_->sp_epoch = epoch;
					m_->sp_gen = s->gen[slot];
				}
				count = m_->sp_count[c];
			} else {
				count = count_on(p, sp, n);
			}
			uint32_t v = kube__node_label(n, sp->topo_key);
			if (kube__pm_add(m, kube__pair_of((uint32_t)c, v), count) != 0) {
				kube_free(domains);
				return KUBE_ENOMEM;
			}
		}
	}
	for (size_t c = 0; c < nc; c++)
		mins[c] = INT64_MAX;
	for (size_t i = 0; i < m->cap; i++) {
		if (!m->keys[i])
			continue;
		size_t c = (size_t)((m->keys[i] - 1) >> 32);
		domains[c]++;
		if (m->counts[i] < mins[c])
			mins[c] = m->counts[i];
	}
	for (size_t c = 0; c < nc; c++)
		if (domains[c] < p->spread[c].min_domains || mins[c] == INT64_MAX)
			mins[c] = 0;
	kube_free(domains);
	return 0;
}

int kube__filter_spread(kube__cycle *cy, const kube_sched_node *n)
{
	const kube__pod *p = cy->pod;
	for (size_t c = 0; c < p->nspread; c++) {
		const kube__spread *sp = &p->spread[c];
		if (!sp->hard)
			continue;
		uint32_t v = kube__node_label(n, sp->topo_key);
		if (v == UINT32_MAX) {
			cy->unresolvable = 1; /* as upstream: no eviction adds the label */
			return kube__cycle_reject(cy, REASON_SPREAD_LABEL) ? KUBE_ENOMEM : 1;
		}
		int64_t match = kube__pm_get(cy->spread_counts, kube__pair_of((uint32_t)c, v));
		if (match + cy->spread_self[c] - cy->spread_min[c] > sp->max_skew)
			return kube__cycle_reject(cy, REASON_SPREAD) ? KUBE_ENOMEM : 1;
	}
	return 0;
}
