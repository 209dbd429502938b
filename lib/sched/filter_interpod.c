/*
 * filter_interpod.c - InterPodAffinity's filter: required pod affinity
 * and anti-affinity by topology key, including the anti-affinity of the
 * pods already on nodes against the incoming pod.
 *
 * As upstream, a PreFilter step counts once per cycle, per topology pair
 * (topologyKey, value of that label on a node):
 *   affinity   pods matching ALL of the incoming pod's affinity terms
 *              (each term's pair counted on the matching pod's node)
 *   anti       pods matching each of its anti-affinity terms
 *   existing   existing pods' anti-affinity terms that the incoming pod
 *              matches (only pods with such terms are visited: the
 *              snapshot keeps a list of them)
 * and the per-node filter then looks the node's pairs up:
 *   - every affinity term's topologyKey must be a label of the node, and
 *     its pair counted; unless no pod matches anywhere and the pod matches
 *     its own terms (the first pod of a group that wants to be together)
 *     -> "node(s) didn't match pod affinity rules"
 *   - no anti-affinity term's pair may be counted
 *     -> "node(s) didn't match pod anti-affinity rules"
 *   - no label of the node may be a counted existing pair
 *     -> "node(s) didn't satisfy existing pods anti-affinity rules"
 * A term matches a pod when the pod's namespace is in the term's
 * namespaces (default: the term owner's namespace) or matches its
 * namespaceSelector, and the pod's labels match its labelSelector.  A
 * namespace's labels are those of the Namespace given to the scheduler
 * (kube_sched_namespace_add; the runner watches them), else the one
 * label every namespace carries, kubernetes.io/metadata.name=<name>.
 */
#include <string.h>

#include "sched_private.h"

#define REASON_AFFINITY "node(s) didn't match pod affinity rules"
#define REASON_ANTI "node(s) didn't match pod anti-affinity rules"
#define REASON_EXISTING "node(s) didn't satisfy existing pods anti-affinity rules"


struct kube__interpod {
	kube__pair_map affinity, anti, existing;
};

uint64_t kube__pair_of(uint32_t key, uint32_t value)
{
	return ((uint64_t)key << 32 | value) + 1;
}

static size_t slot_of(uint64_t k, size_t cap)
{
	k *= 0x9E3779B97F4A7C15ull;
	return (size_t)(k >> 20) & (cap - 1);
}

int64_t kube__pm_get(const kube__pair_map *m, uint64_t k)
{
	if (!m->cap)
		return 0;
	for (size_t i = slot_of(k, m->cap);; i = (i + 1) & (m->cap - 1)) {
		if (m->keys[i] == k)
			return m->counts[i];
		if (!m->keys[i])
			return 0;
	}
}

int kube__pm_has(const kube__pair_map *m, uint64_t k)
{
	if (!m->cap)
		return 0;
	for (size_t i = slot_of(k, m->cap);; i = (i + 1) & (m->cap - 1)) {
		if (m->keys[i] == k)
			return 1;
		if (!m->keys[i])
			return 0;
	}
}

int kube__pm_add(kube__pair_map *m, uint64_t k, int64_t d)
{
	if ((m->n + 1) * 2 > m->cap) {
		size_t nc = m->cap ? m->cap * 2 : 16;
		uint64_t *nk = kube_calloc(nc, sizeof(*nk));
		int64_t *ncn = kube_calloc(nc, sizeof(*ncn));
		if (!nk || !ncn) {
			kube_free(nk);
			kube_free(ncn);
			return kube__error_oom();
		}
		for (size_t i = 0; i < m->cap; i++) {
			if (!m->keys[i])
				continue;
			size_t j = slot_of(m->keys[i], nc);
			while (nk[j])
				j = (j + 1) & (nc - 1);
			nk[j] = m->keys[i];
			ncn[j] = m->counts[i];
		}
		kube_free(m->keys);
		kube_free(m->counts);
		m->keys = nk;
		m->counts = ncn;
		m->cap = nc;
	}
	size_t i = slot_of(k, m->cap);
	while (m->keys[i] && m->keys[i] != k)
		i = (i + 1) & (m->cap - 1);
	if (!m->keys[i]) {
		m->keys[i] = k;
		m->n++;
	}
	m->counts[i] += d;
	return 0;
}

void kube__pm_clear(kube__pair_map *m)
{
	if (m->n) {
		memset(m->keys, 0, m->cap * sizeof(*m->keys));
		memset(m->counts, 0, m->cap * sizeof(*m->counts));
		m->n = 0;
	}
}

void kube__pm_free(kube__pair_map *m)
{
	kube_free(m->keys);
	kube_free(m->counts);
}

void kube__interpod_free(struct kube__interpod *ip)
{
	if (!ip)
		return;
	kube__pm_free(&ip->affinity);
	kube__pm_free(&ip->anti);
	kube__pm_free(&ip->existing);
	kube_free(ip);
}

/*
 * The labels of target's namespace: those of the Namespace object when
 * the scheduler was given it (kube_sched_namespace_add), else the one
 * label the API server puts on every namespace.  Made again when the
 * namespaces change.
 */
static const kube_labels *ns_labels(kube__pod *target)
{
	if (target->ns_labels && target->ns_gen == target->nsinfo->gen)
		return target->ns_labels;
	kube_labels_free(target->ns_labels);
	target->ns_labels = NULL;
	const kube_labels *known = kube__map_get(&target->nsinfo->labels, target->ns);
	if (known) {
		if (kube_labels_copy(&target->ns_labels, known) != 0)
			return NULL;
	} else {
		if (kube_labels_new(&target->ns_labels) != 0)
			return NULL;
		if (*target->ns &&
		    kube_labels_set(target->ns_labels, "kubernetes.io/metadata.name", target->ns) != 0) {
			kube_labels_free(target->ns_labels);
			target->ns_labels = NULL;
			return NULL;
		}
	}
	target->ns_gen = target->nsinfo->gen;
	return target->ns_labels;
}

static int ns_matches(const kube__pod_term *t, kube__pod *target)
{
	for (size_t i = 0; i < t->nns; i++)
		if (t->ns_ids[i] == target->ns_id)
			return 1;
	if (!t->ns_sel)
		return 0;
	const kube_labels *l = ns_labels(target);
	return l ? kube__sel_matches(t->ns_sel, l) : -1;
}

/* AffinityTerm.Matches: -1 on ENOMEM. */
int kube__pod_term_matches(const kube__pod_term *t, kube__pod *target)
{
	int ns = ns_matches(t, target);
	if (ns <= 0)
		return ns;
	return kube__sel_matches(t->sel, kube_object_labels(target->obj));
}

/* 1 when target matches every term, -1 on ENOMEM */
static int matches_all(const kube__pod_term *t, size_t n, kube__pod *target)
{
	for (size_t i = 0; i < n; i++) {
		int m = kube__pod_term_matches(&t[i], target);
		if (m <= 0)
			return m;
	}
	return 1;
}

int kube__interpod_needed(const kube__cycle *cy)
{
	return cy->pod->naff || cy->pod->nanti || cy->s->nanti_pods;
}

static int count_on_node(kube__pair_map *m, const kube_sched_node *n, uint32_t key)
{
	uint32_t v = kube__node_label(n, key);
	return v == UINT32_MAX ? 0 : kube__pm_add(m, kube__pair_of(key, v), 1);
}

/*
 * What the prefilter asks depends only on the incoming pod's pod
 * (anti-)affinity, namespace and labels, which replicas share, and on the
 * pods of each node: answers are remembered per existing pod (its terms
 * against this incoming pod) and per node version (its pods against the
 * incoming pod's terms), under an epoch naming that text.
 */
static int interpod_epoch(kube_sched *s, const kube__pod *p, uint32_t *out)
{
	char *a = NULL, *b = NULL, *labels = kube_labels_string(kube_object_labels(p->obj));
	kube_object_get_json(p->obj, "spec.affinity.podAffinity", &a);
	kube_object_get_json(p->obj, "spec.affinity.podAntiAffinity", &b);
	kube_error_clear();
	kube__buf k = KUBE__BUF_INIT;
	kube__buf_printf(&k, "%s|%s|%s|%s", a ? a : "", b ? b : "", p->ns, labels ? labels : "");
	kube_free(a);
	kube_free(b);
	kube_free(labels);
	if (k.failed)
		return kube__error_oom();
	if (!s->ip_key || strcmp(s->ip_key, k.data) != 0) {
		kube_free(s->ip_key);
		s->ip_key = kube__buf_detach(&k, NULL);
		if (++s->ip_epoch == 0)
			s->ip_epoch = 1;
	}
	kube__buf_free(&k);
	*out = s->ip_epoch;
	return 0;
}

static int node_counts(kube_sched *s, kube__pod *p, const kube_sched_node *n, uint32_t epoch,
                       kube__score_cache **out)
{
	kube__score_cache *c = &s->cache[n->slot];
	*out = c;
	if (c->ip_epoch == epoch && c->ip_gen == s->gen[n->slot])
		return 0;
	c->ip_aff = 0;
	memset(c->ip_anti, 0, sizeof(c->ip_anti));
	for (size_t j = 0; j < n->npods; j++) {
		kube__pod *e = n->pods[j];
		if (p->naff) {
			int m = matches_all(p->aff, p->naff, e);
			if (m < 0)
				return kube__error_oom();
			c->ip_aff += m;
		}
		for (size_t t = 0; t < p->nanti && t < 4; t++) {
			int m = kube__pod_term_matches(&p->anti[t], e);
			if (m < 0)
				return kube__error_oom();
			c->ip_anti[t] += m;
		}
	}
	c->ip_epoch = epoch;
	c->ip_gen = s->gen[n->slot];
	return 0;
}

static int add_count(kube__pair_map *m, const kube_sched_node *n, uint32_t key, int64_t count)
{
	uint32_t v = kube__node_label(n, key);
	return v == UINT32_MAX || !count ? 0 : kube__pm_add(m, kube__pair_of(key, v), count);
}

int kube__interpod_prefilter(kube__cycle *cy)
{
	kube_sched *s = cy->s;
	kube__pod *p = cy->pod;
	struct kube__interpod *ip = s->interpod_cache;
	s->interpod_cache = NULL;
	if (ip) {
		kube__pm_clear(&ip->affinity);
		kube__pm_clear(&ip->anti);
		kube__pm_clear(&ip->existing);
	} else if (!(ip = kube_calloc(1, sizeof(*ip)))) {
		return kube__error_oom();
	}
	cy->interpod = ip;
	uint32_t epoch = 0;
	if (interpod_epoch(s, p, &epoch) != 0)
		return KUBE_ENOMEM;
	for (size_t i = 0; i < s->nanti_pods; i++) {
		kube__pod *e = s->anti_pods[i];
		const kube_sched_node *n = s->node[e->slot];
		if (e->ip_epoch != epoch) {
			e->ip_mask = 0;
			for (size_t t = 0; t < e->nanti && t < 32; t++) {
				int m = kube__pod_term_matches(&e->anti[t], p);
				if (m < 0)
					return kube__error_oom();
				e->ip_mask |= (uint32_t)m << t;
			}
			e->ip_epoch = epoch;
		}
		for (size_t t = 0; t < e->nanti; t++) {
			int m = t < 32 ? (int)((e->ip_mask >> t) & 1) : kube__pod_term_matches(&e->anti[t], p);
			if (m < 0 || (m && count_on_node(&ip->existing, n, e->anti[t].topo_key) != 0))
				return kube__error_oom();
		}
	}
	if (!p->naff && !p->nanti)
		return 0;
	/* asked by the filter when no pod matches anywhere; answered here so
	 * that the filter only reads (the parallel option runs it on threads) */
	if (p->naff && (cy->interpod_self = matches_all(p->aff, p->naff, p)) < 0)
		return kube__error_oom();
	for (size_t slot = 0; slot < s->nslots; slot++) {
		const kube_sched_node *n = s->node[slot];
		kube__score_cache *c;
		if (!n || !n->npods)
			continue;
		if (node_counts(s, p, n, epoch, &c) != 0)
			return KUBE_ENOMEM;
		for (size_t t = 0; t < p->naff; t++)
			if (add_count(&ip->affinity, n, p->aff[t].topo_key, c->ip_aff) != 0)
				return KUBE_ENOMEM;
		for (size_t t = 0; t < p->nanti; t++) {
			int64_t cnt = c->ip_anti[t < 4 ? t : 0];
			if (t >= 4) {
				cnt = 0;
				for (size_t j = 0; j < n->npods; j++) {
					int m = kube__pod_term_matches(&p->anti[t], n->pods[j]);
					if (m < 0)
						return kube__error_oom();
					cnt += m;
				}
			}
			if (add_count(&ip->anti, n, p->anti[t].topo_key, cnt) != 0)
				return KUBE_ENOMEM;
		}
	}
	return 0;
}

static int reject(kube__cycle *cy, const char *why)
{
	return kube__cycle_reject(cy, why) ? KUBE_ENOMEM : 1;
}

/* upstream answers UnschedulableAndUnresolvable for unmet pod affinity:
 * preemption only removes pods, it cannot bring the wanted ones */
static int reject_unresolvable(kube__cycle *cy, const char *why)
{
	cy->unresolvable = 1;
	return reject(cy, why);
}

int kube__filter_interpod(kube__cycle *cy, const kube_sched_node *n)
{
	const kube__pod *p = cy->pod;
	const struct kube__interpod *ip = cy->interpod;
	if (p->naff) {
		int exist = 1;
		for (size_t t = 0; t < p->naff; t++) {
			uint32_t v = kube__node_label(n, p->aff[t].topo_key);
			if (v == UINT32_MAX)
				return reject_unresolvable(cy, REASON_AFFINITY);
			if (kube__pm_get(&ip->affinity, kube__pair_of(p->aff[t].topo_key, v)) <= 0)
				exist = 0;
		}
		if (!exist && !(ip->affinity.n == 0 && cy->interpod_self == 1))
			return reject_unresolvable(cy, REASON_AFFINITY);
	}
	for (size_t t = 0; t < p->nanti; t++) {
		uint32_t v = kube__node_label(n, p->anti[t].topo_key);
		if (v != UINT32_MAX && kube__pm_get(&ip->anti, kube__pair_of(p->anti[t].topo_key, v)) > 0)
			return reject(cy, REASON_ANTI);
	}
	if (ip->existing.n)
		for (size_t i = 0; i < n->nlabels; i++)
			if (kube__pm_get(&ip->existing, kube__pair_of(n->labels[i].key, n->labels[i].value)) > 0)
				return reject(cy, REASON_EXISTING);
	return 0;
}
