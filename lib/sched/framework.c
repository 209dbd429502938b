/*
 * framework.c - profiles, plugins and the scheduling cycle.
 *
 * A profile is an ordered list of plugins; built-ins and embedders'
 * plugins sit in the same list, so the order of extension points is the
 * order of registration, as in upstream's profile configuration.  One
 * cycle (kube_sched_schedule):
 *
 *   PreFilter  plugins may reject the pod outright ("0/N nodes are
 *              available: <their message>.")
 *   Filter     per node, plugins in order; the first plugin that rejects
 *              stops the node's filtering (upstream without
 *              RunAllFilters), its reasons go to the histogram
 *   PostFilter when no node fits (no preemption yet: the FitError stands)
 *   PreScore   built-ins compute what they skip
 *   Score      plugin by plugin over the feasible nodes: raw scores,
 *              normalise, check 0..100, add weight x score to the total
 *   select     the highest total, first in node order on ties
 *   Reserve    the snapshot assumes the pod, then plugins' reserve; on a
 *              failure every reserve plugin's unreserve runs in reverse
 *              order and the pod is forgotten
 *   Bind       the first plugin whose bind does not return KUBE_ENOTSUP
 *
 * Before the filter loop, built-in filters that cannot reject this pod
 * (no nodeName, no selector or affinity, no host ports) are left out of
 * the per-node step list, so a plain pod costs a few compares per node.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "object/object_private.h"
#include "sched_private.h"

enum {
	B_EXTERNAL = 0,
	B_UNSCHEDULABLE,
	B_NODE_NAME,
	B_TAINTS,
	B_AFFINITY,
	B_PORTS,
	B_FIT,
	B_SPREAD,
	B_INTERPOD,
	B_BALANCED,
	B_IMAGES,
	B_PREEMPTION,
};

typedef struct kube__plugin {
	char *name;
	int builtin;
	int32_t weight;
	kube_sched_plugin vt;
	void *ud;
	void (*destroy)(void *);
} kube__plugin;

typedef struct step {
	size_t (*fn)(kube__cycle *, struct kube__plugin *, uint32_t *, size_t, int *);
	kube__plugin *pl;
} step;

struct kube__profile {
	char *name;
	kube__plugin **plugins;
	size_t n, cap;
	int strategy;           /* kube_sched_fit_strategy */
	int64_t shape_u[10], shape_s[10];
	size_t nshape;
	step *steps;            /* per-cycle filter steps, n entries */
};

static const struct {
	const char *name;
	int id;
	int32_t weight;
} builtins[] = {
	{ "NodeUnschedulable", B_UNSCHEDULABLE, 0 },
	{ "NodeName", B_NODE_NAME, 0 },
	{ "TaintToleration", B_TAINTS, 3 },
	{ "NodeAffinity", B_AFFINITY, 2 },
	{ "NodePorts", B_PORTS, 0 },
	{ "NodeResourcesFit", B_FIT, 1 },
	{ "PodTopologySpread", B_SPREAD, 2 },
	{ "InterPodAffinity", B_INTERPOD, 2 },
	{ "NodeResourcesBalancedAllocation", B_BALANCED, 1 },
	{ "ImageLocality", B_IMAGES, 1 },
	{ "DefaultPreemption", B_PREEMPTION, 0 },
};

static void plugin_free(kube__plugin *pl)
{
	if (!pl)
		return;
	if (pl->destroy)
		pl->destroy(pl->ud);
	kube_free(pl->name);
	kube_free(pl);
}

static void profile_free(kube__profile *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		plugin_free(p->plugins[i]);
	kube_free(p->plugins);
	kube_free(p->steps);
	kube_free(p->name);
	kube_free(p);
}

void kube__profiles_free(kube_sched *s)
{
	for (size_t i = 0; i < s->nprofiles; i++)
		profile_free(s->profiles[i]);
	kube_free(s->profiles);
	s->profiles = NULL;
	s->nprofiles = 0;
}

const char *kube__profile_name(const kube__profile *p)
{
	return p->name;
}

static kube__profile *profile_find(const kube_sched *s, const char *name)
{
	for (size_t i = 0; i < s->nprofiles; i++)
		if (strcmp(s->profiles[i]->name, name) == 0)
			return s->profiles[i];
	return NULL;
}

static int profile_append(kube__profile *p, kube__plugin *pl)
{
	if (p->n == p->cap) {
		size_t nc = p->cap ? p->cap * 2 : 8;
		kube__plugin **v = kube_realloc(p->plugins, nc * sizeof(*v));
		if (!v)
			return kube__error_oom();
		p->plugins = v;
		step *st = kube_realloc(p->steps, nc * sizeof(*st));
		if (!st)
			return kube__error_oom();
		p->steps = st;
		p->cap = nc;
	}
	p->plugins[p->n++] = pl;
	return 0;
}

int kube__profile_add_default(kube_sched *s, const char *name, int defaults)
{
	if (profile_find(s, name))
		return kube__error_set(KUBE_EEXISTS, NULL, "profile \"%s\" already exists", name);
	kube__profile *p = kube_calloc(1, sizeof(*p));
	kube__profile **v = kube_realloc(s->profiles, (s->nprofiles + 1) * sizeof(*v));
	if (v)
		s->profiles = v;
	if (!p || !v || !(p->name = kube_strdup(name))) {
		kube_free(p);
		return kube__error_oom();
	}
	for (size_t i = 0; defaults && i < KUBE_ARRAY_SIZE(builtins); i++) {
		kube__plugin *pl = kube_calloc(1, sizeof(*pl));
		if (!pl || !(pl->name = kube_strdup(builtins[i].name)) || profile_append(p, pl) != 0) {
			if (pl)
				kube_free(pl->name);
			kube_free(pl);
			profile_free(p);
			return kube__error_oom();
		}
		pl->builtin = builtins[i].id;
		pl->weight = builtins[i].weight;
	}
	s->profiles[s->nprofiles++] = p;
	return 0;
}

int kube_sched_profile_add(kube_sched *s, const char *profile, int defaults)
{
	KUBE_CHECK_ARG(s != NULL);
	KUBE_CHECK_ARG(profile != NULL && *profile);
	return kube__profile_add_default(s, profile, defaults);
}

static kube__plugin *plugin_find(kube__profile *p, const char *name, size_t *at)
{
	for (size_t i = 0; i < p->n; i++)
		if (strcmp(p->plugins[i]->name, name) == 0) {
			if (at)
				*at = i;
			return p->plugins[i];
		}
	return NULL;
}

static int no_profile(const char *profile)
{
	return kube__error_set(KUBE_ENOTFOUND, NULL, "profile \"%s\" not found", profile);
}

int kube_sched_plugin_register(kube_sched *s, const char *profile, const kube_sched_plugin *plugin,
                               int32_t weight, void *userdata, void (*destroy)(void *))
{
	int rc;
	kube__profile *p;
	kube__plugin *pl = NULL;
	if (!s || !profile || !plugin || !plugin->name || !*plugin->name || weight < 0) {
		rc = kube__error_set(KUBE_EINVAL, NULL, "%s: invalid argument", __func__);
		goto fail;
	}
	if (plugin->abi_version != KUBE_SCHED_PLUGIN_VERSION ||
	    plugin->struct_size < sizeof(kube_sched_plugin)) {
		rc = kube__error_set(KUBE_EABI, NULL,
		                     "scheduler plugin \"%s\": version %u size %u, host wants version %u size %zu",
		                     plugin->name, plugin->abi_version, plugin->struct_size,
		                     KUBE_SCHED_PLUGIN_VERSION, sizeof(kube_sched_plugin));
		goto fail;
	}
	if (!(p = profile_find(s, profile))) {
		rc = no_profile(profile);
		goto fail;
	}
	if (plugin_find(p, plugin->name, NULL)) {
		rc = kube__error_set(KUBE_EEXISTS, NULL, "plugin \"%s\" already in profile \"%s\"",
		                     plugin->name, profile);
		goto fail;
	}
	pl = kube_calloc(1, sizeof(*pl));
	if (!pl || !(pl->name = kube_strdup(plugin->name))) {
		rc = kube__error_oom();
		goto fail;
	}
	memcpy(&pl->vt, plugin, sizeof(pl->vt));
	pl->vt.name = pl->name;
	pl->weight = weight;
	pl->ud = userdata;
	pl->destroy = destroy;
	if ((rc = profile_append(p, pl)) != 0)
		goto fail;
	return 0;
fail:
	if (pl) {
		kube_free(pl->name);
		kube_free(pl);
	}
	if (destroy)
		destroy(userdata);
	return rc;
}

int kube_sched_plugin_disable(kube_sched *s, const char *profile, const char *name)
{
	KUBE_CHECK_ARG(s != NULL && profile != NULL && name != NULL);
	kube__profile *p = profile_find(s, profile);
	size_t at;
	if (!p)
		return no_profile(profile);
	kube__plugin *pl = plugin_find(p, name, &at);
	if (!pl)
		return kube__error_set(KUBE_ENOTFOUND, NULL, "plugin \"%s\" not found", name);
	memmove(p->plugins + at, p->plugins + at + 1, (p->n - at - 1) * sizeof(*p->plugins));
	p->n--;
	plugin_free(pl);
	return 0;
}

int kube_sched_plugin_set_weight(kube_sched *s, const char *profile, const char *name,
                                 int32_t weight)
{
	KUBE_CHECK_ARG(s != NULL && profile != NULL && name != NULL);
	KUBE_CHECK_ARG(weight >= 0);
	kube__profile *p = profile_find(s, profile);
	if (!p)
		return no_profile(profile);
	kube__plugin *pl = plugin_find(p, name, NULL);
	if (!pl)
		return kube__error_set(KUBE_ENOTFOUND, NULL, "plugin \"%s\" not found", name);
	pl->weight = weight;
	return 0;
}

int kube_sched_profile_set_fit_strategy(kube_sched *s, const char *profile,
                                        kube_sched_fit_strategy strategy)
{
	KUBE_CHECK_ARG(s != NULL && profile != NULL);
	KUBE_CHECK_ARG(strategy == KUBE_SCHED_LEAST_ALLOCATED ||
	               strategy == KUBE_SCHED_MOST_ALLOCATED);
	kube__profile *p = profile_find(s, profile);
	if (!p)
		return no_profile(profile);
	p->strategy = strategy;
	return 0;
}

int kube_sched_profile_set_requested_to_capacity_ratio(kube_sched *s, const char *profile,
                                                       const int32_t *utilization,
                                                       const int32_t *score, size_t n)
{
	KUBE_CHECK_ARG(s != NULL && profile != NULL && utilization != NULL && score != NULL);
	kube__profile *p = profile_find(s, profile);
	if (!p)
		return no_profile(profile);
	if (n == 0)
		return kube__error_set(KUBE_EINVAL, "shape", "shape: Required value: at least one point must be specified");
	if (n > 10)
		return kube__error_set(KUBE_EINVAL, "shape", "shape: Too many: %zu: must have at most 10 items", n);
	for (size_t i = 0; i < n; i++) {
		if (utilization[i] < 0 || utilization[i] > 100)
			return kube__error_set(KUBE_EINVAL, "shape", "shape[%zu].utilization: Invalid value: %d: not in valid range [0, 100]",
			                       i, utilization[i]);
		if (score[i] < 0 || score[i] > 10)
			return kube__error_set(KUBE_EINVAL, "shape", "shape[%zu].score: Invalid value: %d: not in valid range [0, 10]",
			                       i, score[i]);
		if (i > 0 && utilization[i] <= utilization[i - 1])
			return kube__error_set(KUBE_EINVAL, "shape", "shape[%zu].utilization: Invalid value: %d: utilization values must be sorted in increasing order",
			                       i, utilization[i]);
	}
	for (size_t i = 0; i < n; i++) {
		p->shape_u[i] = utilization[i];
		p->shape_s[i] = (int64_t)score[i] * 10; /* MaxNodeScore / MaxCustomPriorityScore */
	}
	p->nshape = n;
	p->strategy = KUBE_SCHED_REQUESTED_TO_CAPACITY_RATIO;
	/* remembered Fit scores were made with another shape */
	s->fit_epoch++;
	memset(s->fit_key, 0xff, sizeof(s->fit_key));
	return 0;
}

/* ---- the cycle ---- */

int kube__cycle_reject(kube__cycle *cy, const char *reason)
{
	if (cy->quiet)
		return 0;
	for (size_t i = 0; i < cy->nreasons; i++)
		if (strcmp(cy->reasons[i].text, reason) == 0) {
			cy->reasons[i].count++;
			return 0;
		}
	if (cy->nreasons == cy->cap_reasons) {
		size_t nc = cy->cap_reasons ? cy->cap_reasons * 2 : 8;
		kube__reason *v = kube_realloc(cy->reasons, nc * sizeof(*v));
		if (!v)
			return kube__error_oom();
		cy->reasons = v;
		cy->cap_reasons = nc;
	}
	char *t = kube_strdup(reason);
	if (!t)
		return kube__error_oom();
	cy->reasons[cy->nreasons++] = (kube__reason){ t, 1 };
	return 0;
}

void kube__cycle_free(kube__cycle *cy)
{
	for (size_t i = 0; i < cy->nreasons; i++)
		kube_free(cy->reasons[i].text);
	kube_free(cy->reasons);
	cy->reasons = NULL;
	cy->nreasons = cy->cap_reasons = 0;
	if (cy->borrowed)
		return;
	kube_free(cy->prefilter_msg);
	kube_free(cy->prefer_tols);
	if (cy->spread_counts) {
		kube__pm_free(cy->spread_counts);
		kube_free(cy->spread_counts);
	}
	kube_free(cy->spread_min);
	kube_free(cy->spread_self);
	kube__spread_score_free(cy->spread_score);
	/* the count maps keep their size for the next cycle: growing them
	 * from nothing every time cost more than the counting */
	if (cy->interpod && !cy->s->interpod_cache)
		cy->s->interpod_cache = cy->interpod;
	else
		kube__interpod_free(cy->interpod);
}

/* Adds from's reasons, with their counts, to into's. */
int kube__cycle_merge(kube__cycle *into, const kube__cycle *from)
{
	for (size_t i = 0; i < from->nreasons; i++) {
		size_t j;
		for (j = 0; j < into->nreasons; j++)
			if (strcmp(into->reasons[j].text, from->reasons[i].text) == 0)
				break;
		if (j == into->nreasons) {
			if (kube__cycle_reject(into, from->reasons[i].text) != 0)
				return KUBE_ENOMEM;
			into->reasons[j].count = 0;
		}
		into->reasons[j].count += from->reasons[i].count;
	}
	return 0;
}

static int external_filter(kube__cycle *cy, const kube_sched_node *n, kube__plugin *pl)
{
	const char *reason = NULL;
	int rc = pl->vt.filter(cy->pod->obj, n, &reason, pl->ud);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return 0;
	if (!reason || !*reason)
		reason = pl->name;
	return kube__cycle_reject(cy, reason) ? KUBE_ENOMEM : 1;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* upstream's FitError.Error(); post: the PostFilter message, or NULL */
char *kube__fit_message(kube__cycle *cy, size_t nnodes, const char *post)
{
	kube__buf b = KUBE__BUF_INIT;
	if (nnodes == 0) {
		kube__buf_puts(&b, "no nodes available to schedule pods");
		return kube__buf_detach(&b, NULL);
	}
	kube__buf_printf(&b, "0/%zu nodes are available:", nnodes);
	if (cy->prefilter_msg) {
		kube__buf_printf(&b, " %s.", cy->prefilter_msg);
	} else if (cy->nreasons) {
		char **lines = kube_calloc(cy->nreasons, sizeof(char *));
		if (!lines) {
			kube__buf_free(&b);
			return NULL;
		}
		for (size_t i = 0; i < cy->nreasons; i++) {
			kube__buf l = KUBE__BUF_INIT;
			kube__buf_printf(&l, "%u %s", cy->reasons[i].count, cy->reasons[i].text);
			lines[i] = kube__buf_detach(&l, NULL);
			if (!lines[i])
				b.failed = 1;
		}
		if (!b.failed) {
			/* Go's sort.Strings: byte order of the whole "N reason" text */
			qsort(lines, cy->nreasons, sizeof(char *), cmp_str);
			kube__buf_putc(&b, ' ');
			for (size_t i = 0; i < cy->nreasons; i++) {
				if (i)
					kube__buf_puts(&b, ", ");
				kube__buf_puts(&b, lines[i]);
			}
			kube__buf_putc(&b, '.');
		}
		for (size_t i = 0; i < cy->nreasons; i++)
			kube_free(lines[i]);
		kube_free(lines);
	}
	if (post && *post)
		kube__buf_printf(&b, " %s.", post);
	if (b.failed) {
		kube__buf_free(&b);
		return NULL;
	}
	return kube__buf_detach(&b, NULL);
}

static int scratch_reserve(kube_sched *s)
{
	if (s->scratch_cap >= s->nslots && s->feasible)
		return 0;
	size_t nc = s->nslots ? s->nslots : 1;
	uint32_t *f = kube_realloc(s->feasible, nc * sizeof(*f));
	if (f)
		s->feasible = f;
	int64_t *sc = kube_realloc(s->scores, nc * sizeof(*sc));
	if (sc)
		s->scores = sc;
	int64_t *t = kube_realloc(s->total, nc * sizeof(*t));
	if (t)
		s->total = t;
	if (!f || !sc || !t)
		return kube__error_oom();
	s->scratch_cap = nc;
	return 0;
}

/*
 * The filter passes.  Each built-in filter runs as one pass over the
 * nodes still feasible, compacting the candidate list in place, so a node
 * rejected by one plugin never meets the later ones (upstream's "first
 * failing plugin" rule) and the common case (nothing to look at on this
 * node: the flags byte is 0, the columns fit) is a tight loop without a
 * call per node.
 */
typedef size_t (*pass_fn)(kube__cycle *cy, kube__plugin *pl, uint32_t *cand, size_t n, int *err);

#define PASS_BODY_U(unres, test, call) \
	kube_sched *s = cy->s; \
	size_t out = 0; \
	for (size_t i = 0; i < n; i++) { \
		uint32_t slot = cand[i]; \
		if (test) { \
			int r_ = (call); \
			if (r_ < 0) { \
				*err = r_; \
				return 0; \
			} \
			if (r_ > 0) { \
				s->status[slot] = (unres) || cy->unresolvable ? KUBE__ST_UNRESOLVABLE \
				                                              : KUBE__ST_UNSCHEDULABLE; \
				cy->unresolvable = 0; \
				continue; \
			} \
		} \
		cand[out++] = slot; \
	} \
	return out
#define PASS_BODY(test, call) PASS_BODY_U(0, test, call)

static size_t pass_unschedulable(kube__cycle *cy, kube__plugin *pl, uint32_t *cand, size_t n, int *err)
{
	(void)pl;
	PASS_BODY_U(1, s->flags[slot] & KUBE__NF_UNSCHEDULABLE, kube__filter_unschedulable(cy, s->node[slot]));
}

static size_t pass_taints(kube__cycle *cy, kube__plugin *pl, uint32_t *cand, size_t n, int *err)
{
	(void)pl;
	PASS_BODY_U(1, s->flags[slot] & KUBE__NF_HARD_TAINTS, kube__filter_taints(cy, s->node[slot]));
}

static size_t pass_ports(kube__cycle *cy, kube__plugin *pl, uint32_t *cand, size_t n, int *err)
{
	(void)pl;
	PASS_BODY(s->flags[slot] & KUBE__NF_PORTS, kube__filter_ports(cy, s->node[slot]));
}

static size_t pass_node_name(kube__cycle *cy, kube__plugin *pl, uint32_t *cand, size_t n, int *err)
{
	(void)pl;
	PASS_BODY_U(1, 1, kube__filter_node_name(cy, s->node[slot]));
}

/*
 * NodeAffinity's verdict and preferred sum depend only on the node's
 * labels and the pod's nodeSelector and node affinity, which replicas
 * share: the epoch names the pod's affinity text, the slot generation the
 * node version, and a slot that matches both reuses its last answer.
 */
static int affinity_epoch(kube__cycle *cy)
{
	kube_sched *s = cy->s;
	kube__buf b = KUBE__BUF_INIT;
	/* peeked from a stored pod's text: kube_object_get_json would build
	 * and keep the tree of every pod scheduled */
	kube__object_peek_json(cy->pod->obj, "spec.nodeSelector", &b);
	kube__buf_putc(&b, '|');
	kube__object_peek_json(cy->pod->obj, "spec.affinity.nodeAffinity", &b);
	if (b.failed)
		return kube__error_oom();
	if (!s->aff_key || strcmp(s->aff_key, b.data) != 0) {
		kube_free(s->aff_key);
		s->aff_key = kube__buf_detach(&b, NULL);
		if (++s->aff_epoch == 0)
			s->aff_epoch = 1;
	}
	kube__buf_free(&b);
	cy->aff_epoch = s->aff_epoch;
	return 0;
}

static int affinity_cached(kube__cycle *cy, uint32_t slot)
{
	kube_sched *s = cy->s;
	kube__score_cache *c = &s->cache[slot];
	if (c->aff_epoch != cy->aff_epoch || c->aff_gen != s->gen[slot]) {
		const kube__pod *p = cy->pod;
		c->aff_ok = kube__node_matches_required(p, s->node[slot], s->names);
		c->aff = kube__score_affinity(cy, s->node[slot]);
		c->aff_epoch = cy->aff_epoch;
		c->aff_gen = s->gen[slot];
	}
	return c->aff_ok;
}

static size_t pass_affinity(kube__cycle *cy, kube__plugin *pl, uint32_t *cand, size_t n, int *err)
{
	(void)pl;
	PASS_BODY_U(1, !affinity_cached(cy, slot), kube__filter_affinity(cy, s->node[slot]));
}

static size_t pass_external(kube__cycle *cy, kube__plugin *pl, uint32_t *cand, size_t n, int *err)
{
	PASS_BODY(1, external_filter(cy, s->node[slot], pl));
}

static size_t pass_fit(kube__cycle *cy, kube__plugin *pl, uint32_t *cand, size_t n, int *err)
{
	(void)pl;
	const kube__pod *p = cy->pod;
	const int64_t *ap = cy->s->alloc[KUBE__R_PODS], *rp = cy->s->req[KUBE__R_PODS];
	const int64_t *ac = cy->s->alloc[KUBE__R_CPU], *rc = cy->s->req[KUBE__R_CPU];
	const int64_t *am = cy->s->alloc[KUBE__R_MEM], *rm = cy->s->req[KUBE__R_MEM];
	const int64_t *ae = cy->s->alloc[KUBE__R_EPH], *re = cy->s->req[KUBE__R_EPH];
	int64_t wc = p->req[KUBE__R_CPU], wm = p->req[KUBE__R_MEM], we = p->req[KUBE__R_EPH];
	int slow = p->nscalars != 0;
	/* the quick test is the exact rule whenever the pod has no extended
	 * resources; a node it fails is looked at again for the reasons */
	PASS_BODY(slow || rp[slot] + 1 > ap[slot] || (wc > 0 && wc > ac[slot] - rc[slot]) ||
	          (wm > 0 && wm > am[slot] - rm[slot]) || (we > 0 && we > ae[slot] - re[slot]),
	          kube__filter_fit(cy, s->node[slot]));
}

static size_t pass_interpod(kube__cycle *cy, kube__plugin *pl, uint32_t *cand, size_t n, int *err)
{
	(void)pl;
	PASS_BODY(1, kube__filter_interpod(cy, s->node[slot]));
}

static size_t pass_spread(kube__cycle *cy, kube__plugin *pl, uint32_t *cand, size_t n, int *err)
{
	(void)pl;
	PASS_BODY(1, kube__filter_spread(cy, s->node[slot]));
}

/* The passes that can reject this pod, in profile order. */
static size_t build_steps(kube__cycle *cy)
{
	kube__profile *p = cy->prof;
	const kube__pod *pod = cy->pod;
	size_t n = 0;
	for (size_t i = 0; i < p->n; i++) {
		kube__plugin *pl = p->plugins[i];
		pass_fn fn = NULL;
		switch (pl->builtin) {
		case B_UNSCHEDULABLE: fn = pass_unschedulable; break;
		case B_NODE_NAME:
			if (pod->node_name && *pod->node_name)
				fn = pass_node_name;
			break;
		case B_TAINTS: fn = pass_taints; break;
		case B_AFFINITY:
			if (pod->nsel || pod->has_required)
				fn = pass_affinity;
			break;
		case B_PORTS:
			if (pod->nports)
				fn = pass_ports;
			break;
		case B_FIT: fn = pass_fit; break;
		case B_SPREAD:
			if (pod->nspread_hard)
				fn = pass_spread;
			break;
		case B_INTERPOD:
			if (kube__interpod_needed(cy))
				fn = pass_interpod;
			break;
		case B_EXTERNAL:
			if (pl->vt.filter)
				fn = pass_external;
			break;
		default: break;
		}
		if (fn)
			p->steps[n++] = (step){ fn, pl };
	}
	return n;
}

/* The PreFilter state the steps read, computed once per cycle (and again
 * for each single-node check, whose snapshot has changed). */
static int prepare_steps(kube__cycle *cy, size_t nsteps)
{
	int rc;
	for (size_t k = 0; k < nsteps; k++) {
		pass_fn fn = cy->prof->steps[k].fn;
		if (fn == pass_affinity && !cy->aff_epoch && (rc = affinity_epoch(cy)) != 0)
			return rc;
		if (fn == pass_interpod && (rc = kube__interpod_prefilter(cy)) != 0)
			return rc;
		if (fn == pass_spread && (rc = kube__spread_prefilter(cy)) != 0)
			return rc;
	}
	return 0;
}

static size_t run_steps(kube__cycle *cy, size_t nsteps, uint32_t *cand, size_t nf, int *err)
{
	for (size_t k = 0; k < nsteps && nf; k++) {
		nf = cy->prof->steps[k].fn(cy, cy->prof->steps[k].pl, cand, nf, err);
		if (*err)
			return 0;
	}
	return nf;
}

/*
 * The parallel option: the candidates are cut into one contiguous range
 * per thread, each range filtered by a sub-cycle that shares the PreFilter
 * state read-only and keeps its own reasons; the survivors are then
 * joined in range order and the reasons added up, so the feasible list
 * and the FitError are the single-threaded ones.
 */
typedef struct chunk {
	kube__cycle sub;
	size_t begin, n, nf;
	size_t nsteps;
	int err;
	char msg[256];
} chunk;

typedef struct par_job {
	chunk *chunks;
	uint32_t *cand;
} par_job;

static void par_chunk(void *arg, size_t i)
{
	par_job *job = arg;
	chunk *c = &job->chunks[i];
	c->nf = run_steps(&c->sub, c->nsteps, job->cand + c->begin, c->n, &c->err);
	if (c->err) {
		const kube_error *e = kube_error_last();
		snprintf(c->msg, sizeof(c->msg), "%s", e && e->message ? e->message : "");
	}
}

#define PAR_MIN_NODES 512

static size_t run_steps_parallel(kube__cycle *cy, size_t nsteps, uint32_t *cand, size_t nf,
                                 int *err)
{
	kube_sched *s = cy->s;
	size_t t = s->threads;
	if (!s->pool || nf < PAR_MIN_NODES)
		return run_steps(cy, nsteps, cand, nf, err);
	chunk *chunks = kube_calloc(t, sizeof(*chunks));
	if (!chunks) {
		*err = kube__error_oom();
		return 0;
	}
	size_t per = nf / t, extra = nf % t, at = 0;
	for (size_t i = 0; i < t; i++) {
		chunks[i].sub = *cy;
		chunks[i].sub.reasons = NULL;
		chunks[i].sub.nreasons = chunks[i].sub.cap_reasons = 0;
		chunks[i].sub.borrowed = 1;
		chunks[i].begin = at;
		chunks[i].n = per + (i < extra);
		chunks[i].nsteps = nsteps;
		at += chunks[i].n;
	}
	par_job job = { chunks, cand };
	kube__pool_run(s->pool, t, par_chunk, &job);
	size_t out = 0;
	for (size_t i = 0; i < t && !*err; i++) {
		if (chunks[i].err) {
			*err = kube__error_set(chunks[i].err, NULL, "%s", chunks[i].msg);
			break;
		}
		memmove(cand + out, cand + chunks[i].begin, chunks[i].nf * sizeof(*cand));
		out += chunks[i].nf;
		if (kube__cycle_merge(cy, &chunks[i].sub) != 0)
			*err = KUBE_ENOMEM;
	}
	for (size_t i = 0; i < t; i++)
		kube__cycle_free(&chunks[i].sub);
	kube_free(chunks);
	return *err ? 0 : out;
}

/*
 * 1 when every filter step this pod has either ignores the pods on a node
 * (NodeUnschedulable, NodeName, TaintToleration, NodeAffinity) or is
 * NodeResourcesFit without extended resources: then whether the pod fits
 * a node with some pods taken off is arithmetic on the node's columns
 * (preempt.c's fast path).
 */
int kube__steps_resources_only(kube__cycle *cy)
{
	if (cy->pod->nscalars)
		return 0;
	size_t n = build_steps(cy);
	for (size_t k = 0; k < n; k++) {
		pass_fn fn = cy->prof->steps[k].fn;
		if (fn != pass_unschedulable && fn != pass_node_name && fn != pass_taints &&
		    fn != pass_affinity && fn != pass_fit)
			return 0;
	}
	return 1;
}

/* One node's filters in a fresh sub-cycle; reasons into record. */
static int filter_slot(kube__cycle *cy, uint32_t slot, kube__cycle *record, int *unres)
{
	kube__cycle sub;
	memset(&sub, 0, sizeof(sub));
	sub.s = cy->s;
	sub.prof = cy->prof;
	sub.pod = cy->pod;
	sub.aff_epoch = cy->aff_epoch;
	sub.interpod_self = -1;
	sub.quiet = record == NULL;
	size_t nsteps = build_steps(&sub);
	uint32_t cand = slot;
	int err = prepare_steps(&sub, nsteps);
	size_t nf = err ? 0 : run_steps(&sub, nsteps, &cand, 1, &err);
	if (!err && nf == 0) {
		*unres = cy->s->status[slot] == KUBE__ST_UNRESOLVABLE;
		if (record && kube__cycle_merge(record, &sub) != 0)
			err = KUBE_ENOMEM;
	}
	sub.pod = NULL;
	kube__cycle_free(&sub);
	return err ? err : nf == 1;
}

int kube__filter_one(kube__cycle *cy, uint32_t slot, kube__cycle *record, int *unres)
{
	kube_sched *s = cy->s;
	*unres = 0;
	if (!s->nnominees)
		return filter_slot(cy, slot, record, unres);
	kube__pod *stack[16], **noms = stack;
	if (s->nnominees > 16 && !(noms = kube_calloc(s->nnominees, sizeof(*noms))))
		return kube__error_oom();
	size_t nn = kube__nominees_on(cy, slot, noms);
	int rc = 0;
	size_t placed = 0;
	/* with the nominated pods first, then (if they were any) without */
	for (; placed < nn && rc == 0; placed++)
		rc = kube__snapshot_place(s, noms[placed], s->node[slot]);
	if (rc == 0)
		rc = filter_slot(cy, slot, record, unres);
	while (placed > 0)
		kube__snapshot_unplace(s, noms[--placed]);
	if (rc == 1 && nn)
		rc = filter_slot(cy, slot, record, unres);
	if (noms != stack)
		kube_free(noms);
	return rc;
}

/*
 * Nodes that passed the filters and carry nominated pods the pod must
 * respect are filtered once more with those pods placed on them
 * (without them they already passed).
 */
static int nominated_pass(kube__cycle *cy, size_t *nf)
{
	kube_sched *s = cy->s;
	kube__pod **noms = kube_calloc(s->nnominees, sizeof(*noms));
	if (!noms)
		return kube__error_oom();
	int rc = 0;
	size_t out = 0;
	for (size_t i = 0; i < *nf && rc == 0; i++) {
		uint32_t slot = s->feasible[i];
		size_t nn = kube__nominees_on(cy, slot, noms), placed = 0;
		if (nn) {
			for (; placed < nn && rc == 0; placed++)
				rc = kube__snapshot_place(s, noms[placed], s->node[slot]);
			int unres = 0, fits = rc ? rc : filter_slot(cy, slot, cy, &unres);
			while (placed > 0)
				kube__snapshot_unplace(s, noms[--placed]);
			if (fits < 0)
				rc = fits;
			if (fits != 1)
				continue;
		}
		s->feasible[out++] = slot;
	}
	kube_free(noms);
	*nf = out;
	return rc;
}

/*
 * Runs PreFilter, Filter and Score.  Leaves the feasible slots in
 * s->feasible[0..cy->nfeasible) and their totals in s->total.
 * Returns 0 (possibly with no feasible node) or an error.
 */
static int run_cycle(kube__cycle *cy)
{
	kube_sched *s = cy->s;
	kube__profile *p = cy->prof;
	int rc = scratch_reserve(s);
	if (rc)
		return rc;
	if (cy->pod->ntols && !(cy->prefer_tols = kube_calloc(cy->pod->ntols, sizeof(void *))))
		return kube__error_oom();

	for (size_t i = 0; i < p->n; i++) {
		kube__plugin *pl = p->plugins[i];
		if (pl->builtin || !pl->vt.pre_filter)
			continue;
		const char *reason = NULL;
		rc = pl->vt.pre_filter(cy->pod->obj, &reason, pl->ud);
		if (rc < 0)
			return rc;
		if (rc > 0) {
			cy->prefilter_msg = kube_strdup(reason && *reason ? reason : pl->name);
			return cy->prefilter_msg ? 0 : kube__error_oom();
		}
	}

	size_t nsteps = build_steps(cy), nf = 0;
	for (size_t slot = 0; slot < s->nslots; slot++)
		if (s->node[slot]) {
			s->feasible[nf++] = (uint32_t)slot;
			s->status[slot] = KUBE__ST_FITS;
		}
	if ((rc = prepare_steps(cy, nsteps)) != 0)
		return rc;
	int err = 0;
	nf = run_steps_parallel(cy, nsteps, s->feasible, nf, &err);
	if (err)
		return err;
	if (s->nnominees && nf && (rc = nominated_pass(cy, &nf)) != 0)
		return rc;
	cy->nfeasible = nf;
	if (nf == 0)
		return 0;

	kube__prescore_builtin(cy);
	int64_t *sc = s->scores, *total = s->total;
	memset(total, 0, nf * sizeof(*total));
	for (size_t i = 0; i < p->n; i++) {
		kube__plugin *pl = p->plugins[i];
		if (pl->weight == 0)
			continue;
		switch (pl->builtin) {
		case B_FIT:
			cy->shape_u = p->shape_u;
			cy->shape_s = p->shape_s;
			cy->nshape = p->nshape;
			kube__score_fit_all(cy, s->feasible, nf, sc, p->strategy);
			break;
		case B_BALANCED:
			kube__score_balanced_all(cy, s->feasible, nf, sc);
			break;
		case B_AFFINITY:
			if (cy->affinity_skip)
				continue;
			if (!cy->aff_epoch && (rc = affinity_epoch(cy)) != 0)
				return rc;
			for (size_t j = 0; j < nf; j++) {
				affinity_cached(cy, s->feasible[j]);
				sc[j] = s->cache[s->feasible[j]].aff;
			}
			kube__normalize_default(sc, nf, 0);
			break;
		case B_TAINTS:
			for (size_t j = 0; j < nf; j++) {
				uint32_t slot = s->feasible[j];
				sc[j] = s->flags[slot] & KUBE__NF_PREFER_TAINTS
				        ? kube__score_taints(cy, s->node[slot]) : 0;
			}
			kube__normalize_default(sc, nf, 1);
			break;
		case B_SPREAD:
			if ((rc = kube__spread_prescore(cy)) != 0)
				return rc;
			if (cy->spread_score_skip)
				continue;
			kube__score_spread_all(cy, s->feasible, nf, sc);
			break;
		case B_INTERPOD: {
			int skip;
			if ((rc = kube__interpod_score_all(cy, s->feasible, nf, sc, &skip)) != 0)
				return rc;
			if (skip)
				continue;
			break;
		}
		case B_IMAGES:
			/* a node without images scores 0 (the sum clamps to the
			 * lower threshold) */
			for (size_t j = 0; j < nf; j++) {
				uint32_t slot = s->feasible[j];
				sc[j] = s->flags[slot] & KUBE__NF_IMAGES
				        ? kube__score_images(cy, s->node[slot]) : 0;
			}
			break;
		case B_EXTERNAL:
			if (!pl->vt.score)
				continue;
			for (size_t j = 0; j < nf; j++) {
				rc = pl->vt.score(cy->pod->obj, s->node[s->feasible[j]], &sc[j], pl->ud);
				if (rc < 0)
					return rc;
			}
			if (pl->vt.normalize && (rc = pl->vt.normalize(cy->pod->obj, sc, nf, pl->ud)) < 0)
				return rc;
			for (size_t j = 0; j < nf; j++)
				if (sc[j] < 0 || sc[j] > 100)
					return kube__error_set(KUBE_ERANGE, NULL,
					                       "plugin \"%s\" returns an invalid score %lld, it should in the range of [0, 100] after normalizing",
					                       pl->name, (long long)sc[j]);
			break;
		default:
			continue;
		}
		for (size_t j = 0; j < nf; j++)
			total[j] += sc[j] * pl->weight;
	}
	return 0;
}

static int cycle_begin(kube__cycle *cy, kube_sched *s, kube_object *pod)
{
	memset(cy, 0, sizeof(*cy));
	cy->s = s;
	cy->interpod_self = -1;
	int rc = kube__pod_new(&cy->pod, pod, s);
	if (rc)
		return rc;
	cy->prof = profile_find(s, cy->pod->scheduler_name);
	if (!cy->prof)
		return no_profile(cy->pod->scheduler_name);
	return 0;
}

static void unreserve_all(kube__cycle *cy, size_t upto, const char *node)
{
	for (size_t i = upto; i-- > 0;) {
		kube__plugin *pl = cy->prof->plugins[i];
		if (!pl->builtin && pl->vt.unreserve)
			pl->vt.unreserve(cy->pod->obj, node, pl->ud);
	}
}

int kube_sched_schedule(kube_sched *s, kube_object *pod, char **node, char **message)
{
	if (node)
		*node = NULL;
	if (message)
		*message = NULL;
	KUBE_CHECK_ARG(s != NULL && pod != NULL && node != NULL);
	kube__cycle cy;
	int rc = cycle_begin(&cy, s, pod);
	if (rc == 0)
		rc = run_cycle(&cy);
	if (rc != 0)
		goto out;
	if (cy.nfeasible == 0) {
		/* PostFilter: DefaultPreemption, when the profile has it and a
		 * preemptor is set; its message follows the FitError's */
		char *post = NULL, *msg;
		if (s->has_preemptor && plugin_find(cy.prof, "DefaultPreemption", NULL) &&
		    s->nnodes &&
		    (rc = kube__preempt(&cy, &post)) != 0)
			goto out;
		msg = kube__fit_message(&cy, s->nnodes, post);
		kube_free(post);
		if (!msg) {
			rc = kube__error_oom();
			goto out;
		}
		rc = kube__error_set(KUBE_EBUSY, NULL, "%s", msg);
		if (message)
			*message = msg;
		else
			kube_free(msg);
		goto out;
	}
	size_t best = 0;
	for (size_t j = 1; j < cy.nfeasible; j++)
		if (s->total[j] > s->total[best])
			best = j;
	/* a pod nominated to a node goes there when it fits (upstream
	 * evaluates the nominated node first and skips the others) */
	const char *nom = kube__nominated_node(s, cy.pod);
	kube_sched_node *nn = nom ? kube__map_get(&s->nodes_by_name, nom) : NULL;
	for (size_t j = 0; nn && j < cy.nfeasible; j++)
		if (s->feasible[j] == nn->slot)
			best = j;
	kube_sched_node *n = s->node[s->feasible[best]];
	char *name = kube_strdup(n->name);
	if (!name) {
		rc = kube__error_oom();
		goto out;
	}
	/* Reserve: assume first, as upstream's scheduling cycle does */
	kube_sched_pod_remove(s, cy.pod->ns, cy.pod->name);
	kube_error_clear();
	if ((rc = kube__snapshot_assume(s, cy.pod, n)) != 0) {
		kube_free(name);
		goto out;
	}
	kube__pod *assumed = cy.pod;
	cy.pod->assumed = 1;
	size_t i;
	for (i = 0; i < cy.prof->n && rc == 0; i++) {
		kube__plugin *pl = cy.prof->plugins[i];
		if (!pl->builtin && pl->vt.reserve)
			rc = pl->vt.reserve(assumed->obj, name, pl->ud);
	}
	for (size_t j = 0; j < cy.prof->n && rc == 0; j++) {
		kube__plugin *pl = cy.prof->plugins[j];
		if (pl->builtin || !pl->vt.bind)
			continue;
		rc = pl->vt.bind(assumed->obj, name, pl->ud);
		if (rc == KUBE_ENOTSUP) {
			rc = 0;
			continue;
		}
		break;
	}
	if (rc != 0) {
		unreserve_all(&cy, cy.prof->n, name);
		cy.pod = NULL; /* owned by the snapshot until forgotten */
		kube_sched_pod_remove(s, assumed->ns, assumed->name);
		kube_free(name);
		if (rc > 0)
			rc = kube__error_set(KUBE_ERROR, NULL,
			                     "a plugin refused to reserve or bind the pod");
		goto out;
	}
	cy.pod = NULL; /* the snapshot owns the view now */
	*node = name;
	if (s->nnominees) {
		char key[512];
		snprintf(key, sizeof(key), "%s/%s", assumed->ns, assumed->name);
		kube__nominee_forget(s, key);
	}
out:
	if (cy.pod)
		kube__pod_free(cy.pod);
	kube__cycle_free(&cy);
	return rc;
}

int kube_sched_score_node(kube_sched *s, kube_object *pod, const char *node, int64_t *total)
{
	KUBE_CHECK_ARG(s != NULL && pod != NULL && node != NULL && total != NULL);
	kube_sched_node *n = kube__map_get(&s->nodes_by_name, node);
	if (!n)
		return kube__error_set(KUBE_ENOTFOUND, NULL, "node \"%s\" not found", node);
	kube__cycle cy;
	int rc = cycle_begin(&cy, s, pod);
	if (rc == 0)
		rc = run_cycle(&cy);
	if (rc == 0) {
		*total = -1;
		for (size_t j = 0; j < cy.nfeasible; j++)
			if (s->feasible[j] == n->slot)
				*total = s->total[j];
	}
	kube__pod_free(cy.pod);
	kube__cycle_free(&cy);
	return rc;
}
