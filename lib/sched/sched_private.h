/*
 * sched_private.h - internals shared by the files of the scheduler layer:
 * the snapshot (snapshot.c), pod views (podview.c), the framework
 * (framework.c), the filters (filter_node.c, filter_resources.c) and the
 * scores (score.c).
 *
 * The snapshot keeps what filters and scores read per node in parallel
 * arrays indexed by a node's slot, so the filter loop walks memory in
 * order and touches only the columns it needs:
 *
 *   slot:        0      1      2   ...
 *   alloc[CPU]  4000   8000   4000        milli-cores
 *   req[CPU]    1200    100      0        sum of the pods' requests
 *   nz[CPU]     1300    100      0        same with upstream's defaults
 *   flags       UNSCHED|TAINTED|...       one byte of "is there anything
 *   node[]      -> kube__node             to look at" bits
 *
 * A slot stays put while its node lives; removed slots go on a free list
 * and the filter loop skips them (node[slot] == NULL).
 */
#ifndef LIBKUBE_SCHED_PRIVATE_H
#define LIBKUBE_SCHED_PRIVATE_H

#include "base/base.h"
#include "libkube/object.h"
#include "libkube/sched.h"

/* The four resources every node has, as array columns. */
enum { KUBE__R_CPU = 0, KUBE__R_MEM, KUBE__R_EPH, KUBE__R_PODS, KUBE__R_N };

/* Upstream's defaults for a container that requests no cpu or memory, used
 * by the scores only (schedutil.DefaultMilliCPURequest, DefaultMemoryRequest). */
#define KUBE__DEFAULT_MILLI_CPU 100
#define KUBE__DEFAULT_MEMORY (200LL * 1024 * 1024)

/* ---- a string -> pointer map (open addressing; snapshot.c) ---- */

typedef struct kube__map_ent {
	char *key;     /* owned; NULL = empty, KUBE__MAP_TOMB = deleted */
	void *val;
	uint32_t hash;
} kube__map_ent;

typedef struct kube__map {
	kube__map_ent *ents;
	size_t cap, count, used;
} kube__map;

KUBE_INTERNAL void *kube__map_get(const kube__map *m, const char *key);
KUBE_INTERNAL int kube__map_put(kube__map *m, const char *key, void *val);
KUBE_INTERNAL void *kube__map_del(kube__map *m, const char *key);
KUBE_INTERNAL void kube__map_free(kube__map *m);

/* ---- pod views (podview.c) ---- */

typedef enum kube__op {
	KUBE__OP_IN, KUBE__OP_NOT_IN, KUBE__OP_EXISTS, KUBE__OP_DOES_NOT_EXIST,
	KUBE__OP_GT, KUBE__OP_LT
} kube__op;

typedef struct kube__expr {
	const char *key;        /* borrowed from the pod */
	kube__op op;
	const char **values;
	size_t nvalues;
	int64_t num;            /* Gt / Lt */
	uint32_t key_id;        /* interned key and values (matchExpressions) */
	uint32_t *value_ids;
} kube__expr;

/* A NodeSelectorTerm: matchExpressions ANDed with matchFields. */
typedef struct kube__term {
	kube__expr *exprs;
	size_t nexprs;
	kube__expr *fields;     /* only metadata.name */
	size_t nfields;
	int32_t weight;         /* preferred terms */
	int invalid;            /* failed to parse: never matches (upstream's lazy error) */
} kube__term;

typedef enum kube__effect {
	KUBE__EFFECT_ALL = 0,   /* a toleration with no effect */
	KUBE__EFFECT_NO_SCHEDULE,
	KUBE__EFFECT_PREFER_NO_SCHEDULE,
	KUBE__EFFECT_NO_EXECUTE,
	KUBE__EFFECT_OTHER
} kube__effect;

typedef struct kube__toleration {
	const char *key;        /* "" = any key (with Exists) */
	const char *value;
	int exists;             /* operator Exists (else Equal) */
	kube__effect effect;
} kube__toleration;

typedef struct kube__taint {
	const char *key;
	const char *value;
	kube__effect effect;
	char *reason;           /* a node's NoSchedule / NoExecute taint: its rejection text */
} kube__taint;

typedef struct kube__port {
	const char *ip;         /* "0.0.0.0" when absent */
	const char *protocol;   /* "TCP" when absent */
	int32_t port;
} kube__port;

typedef struct kube__scalar {
	uint32_t id;            /* interned resource name */
	int64_t value;
} kube__scalar;

/* A required pod (anti-)affinity term (upstream's framework.AffinityTerm). */
typedef struct kube__pod_term {
	kube_selector *sel;         /* labelSelector; a missing one matches nothing */
	kube_selector *ns_sel;      /* namespaceSelector, NULL when absent */
	const char **namespaces;    /* the pod's own namespace when both are absent */
	uint32_t *ns_ids;           /* the same, interned */
	size_t nns;
	uint32_t topo_key;          /* interned topologyKey */
	int32_t weight;             /* preferred terms */
} kube__pod_term;

/* A topologySpreadConstraint. */
typedef struct kube__spread {
	kube_selector *sel;         /* labelSelector + matchLabelKeys */
	int32_t max_skew;
	int32_t min_domains;        /* 1 when absent */
	uint32_t topo_key;
	int hard;                   /* whenUnsatisfiable: DoNotSchedule */
	int honor_affinity;         /* nodeAffinityPolicy (default Honor) */
	int honor_taints;           /* nodeTaintsPolicy (default Ignore) */
} kube__spread;

/* Namespace labels the scheduler was given (namespaceSelector). */
typedef struct kube__nsinfo {
	kube__map labels;           /* name -> kube_labels (owned) */
	uint64_t gen;               /* bumped on every change */
} kube__nsinfo;

/* The scheduler's view of one pod version, derived once. */
typedef struct kube__pod {
	kube_object *obj;       /* referenced */
	const char *ns, *name, *node_name, *scheduler_name;
	int64_t req[KUBE__R_N];     /* cpu milli, memory, ephemeral, pods (1) */
	int64_t nz[2];              /* cpu, memory with upstream's defaults */
	kube__scalar *scalars;
	size_t nscalars;
	uint32_t *sel_keys, *sel_vals;      /* spec.nodeSelector, interned */
	size_t nsel;
	kube__term *req_terms;  /* required node affinity; has_required says if set */
	size_t nreq_terms;
	int has_required;
	kube__term *pref_terms;
	size_t npref_terms;
	kube__toleration *tols;
	size_t ntols;
	kube__port *ports;
	size_t nports;
	uint32_t *images;       /* interned normalized image names, one per container */
	size_t nimages;         /* init containers + containers */
	kube__pod_term *aff, *anti; /* required pod affinity / anti-affinity */
	size_t naff, nanti;
	kube__pod_term *paff, *panti; /* preferred, weighted */
	size_t npaff, npanti;
	kube_labels *ns_labels;     /* its namespace's labels, made on demand */
	const kube__nsinfo *nsinfo; /* the scheduler's namespaces */
	uint64_t ns_gen;            /* nsinfo->gen that ns_labels was made at */
	kube__spread *spread;
	size_t nspread, nspread_hard;
	uint32_t ns_id;             /* interned namespace */
	/* kept in the snapshot */
	size_t anti_index;          /* in kube_sched.anti_pods when nanti > 0 */
	size_t aff_index;           /* in kube_sched.aff_pods when it has any pod affinity */
	uint32_t ip_epoch;          /* which incoming pod ip_mask answers for */
	uint32_t ip_mask;           /* its anti-affinity terms (0..31) that match it */
	uint32_t slot;
	int assumed;
	int interned;               /* no string borrowed from obj's tree (podview.c) */
	/* preemption (preempt.c) */
	int32_t priority;           /* spec.priority, 0 when absent (PodPriority) */
	int preempt_never;          /* spec.preemptionPolicy: Never */
	int64_t start_time;         /* status.startTime (Unix seconds); INT64_MAX when absent */
	const char *nominated;      /* status.nominatedNodeName, NULL when absent */
} kube__pod;

typedef struct kube__intern kube__intern;
KUBE_INTERNAL int kube__intern_id(kube__intern *in, const char *s, uint32_t *out);
KUBE_INTERNAL const char *kube__intern_str(const kube__intern *in, uint32_t id);
KUBE_INTERNAL int kube__intern_new(kube__intern **out);
KUBE_INTERNAL void kube__intern_free(kube__intern *in);

/* Builds the view of pod (referenced) for scheduler s.  Returns 0,
 * KUBE_EINVAL naming the field, KUBE_ENOMEM. */
KUBE_INTERNAL int kube__pod_new(kube__pod **out, kube_object *pod, kube_sched *s);
/* Reads a new version's status.startTime into a view kept across it (a
 * kubelet's status write): only preemption reads it, nothing is sorted by it. */
KUBE_INTERNAL void kube__pod_set_start_time(kube__pod *p, const kube_object *pod);
KUBE_INTERNAL void kube__pod_free(kube__pod *p);

/* Parses a quantity value (string or number) into milli (cpu) or units. */
KUBE_INTERNAL int kube__quantity_json(const char *s, int milli, int64_t *out);

/* ---- the snapshot (snapshot.c) ---- */

typedef struct kube__host_port {
	const char *ip, *protocol;
	int32_t port;
	uint32_t refs;          /* pods using it */
} kube__host_port;

typedef struct kube__image {
	uint32_t id;
	int64_t size;
} kube__image;

enum {
	KUBE__NF_UNSCHEDULABLE = 1,
	KUBE__NF_HARD_TAINTS = 2,    /* has NoSchedule / NoExecute taints */
	KUBE__NF_PORTS = 4,          /* some host port in use */
	KUBE__NF_PREFER_TAINTS = 8,  /* has PreferNoSchedule taints */
	KUBE__NF_IMAGES = 16,        /* reports images */
};

/* A node label as interned ids. */
typedef struct kube__lpair {
	uint32_t key, value;
} kube__lpair;

struct kube_sched_node {
	kube_object *obj;       /* referenced */
	const char *name;
	kube__lpair *labels;    /* interned, for matching without strcmp */
	size_t nlabels;
	uint32_t slot;
	kube__taint *taints;
	size_t ntaints;
	uint32_t prefer_taints; /* PreferNoSchedule taints */
	int unschedulable;      /* spec.unschedulable */
	kube__scalar *alloc_sc; /* allocatable extended resources */
	size_t nalloc_sc;
	kube__scalar *req_sc;   /* requested extended resources */
	size_t nreq_sc, cap_req_sc;
	kube__host_port *ports;
	size_t nports, cap_ports;
	kube__image *images;    /* sorted by id */
	size_t nimages;
	kube__pod **pods;
	size_t npods, cap_pods;
};

typedef struct kube__profile kube__profile;

/* A pod nominated to a node by preemption (preempt.c): its view is
 * placed on the node only while a filter looks at it. */
typedef struct kube__nominee {
	kube__pod *view;        /* owned */
	char *key;              /* "ns/name" */
	char *node;
} kube__nominee;

/* A policy/v1 PodDisruptionBudget as preemption reads it. */
typedef struct kube__pdb {
	kube_object *obj;       /* referenced */
	char *key;              /* "ns/name" */
	const char *ns;
	kube_selector *sel;     /* NULL: a nil, empty or invalid selector matches nothing */
	int32_t allowed;        /* status.disruptionsAllowed */
} kube__pdb;

/* Per slot: the verdict of the last filter run on it. */
enum { KUBE__ST_FITS = 0, KUBE__ST_UNSCHEDULABLE = 1, KUBE__ST_UNRESOLVABLE = 2 };

/*
 * The resource scores depend only on the node's columns and on the pod's
 * requests, and consecutive pods are often alike (replicas), so each
 * slot remembers its last NodeResourcesFit and BalancedAllocation scores
 * with the slot generation and the pod-shape epoch they were made for.
 */
typedef struct kube__score_cache {
	uint64_t fit_gen, bal_gen, aff_gen;
	uint32_t fit_epoch, bal_epoch, aff_epoch;
	int32_t aff_ok;             /* NodeAffinity's filter verdict */
	uint64_t sp_gen;            /* PodTopologySpread: matching pods on the node */
	uint32_t sp_epoch;
	int32_t sp_count[4];        /* for constraints 0..3 */
	uint64_t ip_gen;            /* InterPodAffinity: the node's pods matching */
	uint32_t ip_epoch;
	int32_t ip_aff;             /*   all of the pod's affinity terms */
	int32_t ip_anti[4];         /*   each of its anti-affinity terms 0..3 */
	int64_t fit, bal, aff;      /* aff: the raw preferred-terms sum */
} kube__score_cache;

struct kube_sched {
	/* columns, indexed by slot */
	int64_t *alloc[KUBE__R_N];
	int64_t *req[KUBE__R_N];
	int64_t *nz[2];
	double *inv[2];             /* 1 / alloc[cpu|memory] (0 when 0), for the scores */
	uint64_t *gen;              /* changes whenever the slot's columns change */
	uint64_t gen_counter;
	kube__score_cache *cache;   /* the resource scores last computed per slot */
	int64_t fit_key[3], bal_key[2];   /* the pod shape the cache holds */
	uint32_t fit_epoch, bal_epoch;    /* bumped when the shape changes */
	char *aff_key;                    /* the pod's nodeSelector + nodeAffinity as JSON */
	uint32_t aff_epoch;
	char *spread_key;                 /* constraints + namespace + labels */
	uint32_t spread_epoch;
	char *ip_key;                     /* pod (anti-)affinity + namespace + labels */
	kube__pod *tmpl_view;             /* the last simple view derived (podview.c) */
	char *tmpl_spec;                  /* the spec text it was derived from */
	size_t tmpl_spec_len;
	uint32_t ip_epoch;
	uint8_t *flags;
	uint8_t *status;            /* KUBE__ST_*, written by the filter passes */
	kube_sched_node **node;
	size_t nslots, cap_slots, nnodes;
	uint32_t *free_slots;
	size_t nfree;

	kube__map nodes_by_name;    /* name -> kube_sched_node */
	kube__map pods_by_key;      /* "ns/name" -> kube__pod */
	kube__intern *names;        /* resource and image names */
	uint32_t *image_nodes;      /* by image id: nodes that have it */
	size_t nimage_nodes;

	kube__pod **anti_pods;      /* pods on nodes with required anti-affinity */
	size_t nanti_pods, cap_anti_pods;
	kube__pod **aff_pods;       /* pods on nodes with any pod (anti-)affinity term */
	size_t naff_pods, cap_aff_pods;

	kube__profile **profiles;
	size_t nprofiles;

	/* preemption (preempt.c) */
	kube__map nominees_by_key;  /* "ns/name" -> kube__nominee */
	kube__nominee **nominees;
	size_t nnominees, cap_nominees;
	kube__pdb **pdbs;
	size_t npdbs, cap_pdbs;
	kube_sched_preemptor preemptor;
	void *preemptor_ud;
	void (*preemptor_destroy)(void *);
	int has_preemptor;

	kube__nsinfo nsinfo;        /* namespaces (snapshot.c) */

	/* the parallel option (parallel.c) */
	unsigned int threads;
	struct kube__pool *pool;

	/* per-cycle scratch, reused */
	struct kube__interpod *interpod_cache;
	uint32_t *feasible;
	int64_t *scores, *total;
	size_t scratch_cap;
};

/*
 * kube_selector_matches, answering the empty selector (everything) here:
 * the matcher walks its requirement array from a NULL base when there
 * are none, which UBSan reports as pointer arithmetic on NULL.
 */
static inline int kube__sel_matches(const kube_selector *sel, const kube_labels *labels)
{
	return kube_selector_empty(sel) ? 1 : kube_selector_matches(sel, labels);
}

/* The interned value id of a node's label, or UINT32_MAX when absent. */
static inline uint32_t kube__node_label(const kube_sched_node *n, uint32_t key)
{
	for (size_t i = 0; i < n->nlabels; i++)
		if (n->labels[i].key == key)
			return n->labels[i].value;
	return UINT32_MAX;
}

/*
 * floor(num / den) for 0 <= num, 0 < den, with inv = 1.0 / den: a
 * multiplication and a correction instead of a 64-bit division (the
 * scores divide twice per node); exact while num < 2^53, divides beyond.
 */
static inline int64_t kube__div_floor(int64_t num, int64_t den, double inv)
{
	if (num >= (1LL << 53))
		return num / den;
	int64_t q = (int64_t)((double)num * inv);
	while (q > 0 && q * den > num)
		q--;
	while ((q + 1) * den <= num)
		q++;
	return q;
}

KUBE_INTERNAL int kube__scalar_find(const kube__scalar *v, size_t n, uint32_t id, int64_t *out);
/* Accounts or unaccounts a pod view on its node's slot. */
KUBE_INTERNAL int kube__snapshot_assume(kube_sched *s, kube__pod *p, kube_sched_node *n);
KUBE_INTERNAL void kube__profiles_free(kube_sched *s);
KUBE_INTERNAL const char *kube__profile_name(const kube__profile *p);
KUBE_INTERNAL int kube__profile_add_default(kube_sched *s, const char *name, int defaults);

/* ---- the cycle and the plugins (framework.c) ---- */

/* (key id, value id) -> count, open addressing (filter_interpod.c). */
typedef struct kube__pair_map {
	uint64_t *keys;         /* 0 = empty; a pair is stored + 1 */
	int64_t *counts;
	size_t cap, n;
} kube__pair_map;
/* One distinct rejection reason and how many nodes gave it. */
typedef struct kube__reason {
	char *text;
	uint32_t count;
} kube__reason;

typedef struct kube__cycle {
	kube_sched *s;
	kube__profile *prof;
	kube__pod *pod;
	kube__reason *reasons;
	size_t nreasons, cap_reasons;
	char *prefilter_msg;
	/* PreScore state of the built-ins */
	int fit_skip, balanced_skip, affinity_skip, image_skip;
	int64_t pod_req_bal[2];
	kube__toleration **prefer_tols;
	size_t nprefer_tols;
	size_t nfeasible;
	struct kube__interpod *interpod; /* InterPodAffinity's PreFilter state */
	const int64_t *shape_u, *shape_s; /* RequestedToCapacityRatio, scores x 10 */
	uint32_t aff_epoch;               /* NodeAffinity's memo epoch, 0 = not yet */
	size_t nshape;
	kube__pair_map *spread_counts;   /* PodTopologySpread: (constraint, value) -> pods */
	int64_t *spread_min;             /* per constraint: the global minimum */
	int64_t *spread_self;            /* per constraint: 1 if the pod matches it */
	struct kube__spread_score *spread_score; /* PodTopologySpread's PreScore state */
	int spread_score_skip;
	int unresolvable;                /* set by a filter whose rejection preemption cannot fix */
	int interpod_self;               /* the pod matches all its own affinity terms (-1: not known) */
	int borrowed;                    /* a sub-cycle: prefilter state belongs to the parent */
	int quiet;                       /* a check whose reasons nobody reads: record none */
} kube__cycle;

/* ---- snapshot placement (snapshot.c) ---- */

/* Accounts a view on a node (columns, ports, pod list, affinity lists)
 * without naming it in pods_by_key; unplace undoes it.  A nominated or
 * evicted pod moves on and off nodes this way while filters look. */
KUBE_INTERNAL int kube__snapshot_place(kube_sched *s, kube__pod *p, kube_sched_node *n);
KUBE_INTERNAL void kube__snapshot_unplace(kube_sched *s, kube__pod *p);

/* ---- single-node filtering and preemption (framework.c, preempt.c) ---- */

/* Runs the profile's filters for cy->pod on one slot against the snapshot
 * as it is, with the nominated pods of equal or higher priority placed
 * and then without them (upstream's RunFilterPluginsWithNominatedPods).
 * Returns 1 fits, 0 rejected (the reasons added to `record` when not
 * NULL, *unres says whether preemption could help), or an error. */
KUBE_INTERNAL int kube__filter_one(kube__cycle *cy, uint32_t slot, kube__cycle *record, int *unres);
/* 1 when cy->pod's filters only look at resources among what pods change. */
KUBE_INTERNAL int kube__steps_resources_only(kube__cycle *cy);
/* The pods nominated to slot that cy->pod must respect; *n of them into
 * out (capacity s->nnominees). */
KUBE_INTERNAL size_t kube__nominees_on(kube__cycle *cy, uint32_t slot, kube__pod **out);
/* The node cy->pod is nominated to (the scheduler's record, else the
 * pod's status.nominatedNodeName), or NULL. */
KUBE_INTERNAL const char *kube__nominated_node(const kube_sched *s, const kube__pod *p);
/* Forgets a nomination (no callback).  0 or KUBE_ENOTFOUND. */
KUBE_INTERNAL int kube__nominee_forget(kube_sched *s, const char *key);
KUBE_INTERNAL void kube__preempt_free(kube_sched *s);
KUBE_INTERNAL int kube__cycle_merge(kube__cycle *into, const kube__cycle *from);
KUBE_INTERNAL void kube__cycle_free(kube__cycle *cy);
/* PostFilter DefaultPreemption.  Returns 0 with *msg (a new string, or
 * NULL when there is nothing to say) or an error (a failed eviction). */
KUBE_INTERNAL int kube__preempt(kube__cycle *cy, char **msg);
/* upstream's FitError.Error() over cy's reasons */
KUBE_INTERNAL char *kube__fit_message(kube__cycle *cy, size_t nnodes, const char *post);

/* ---- the parallel option (parallel.c) ---- */

/* Runs fn(arg, i) for i in 0..n-1 on the pool's threads and the caller's,
 * returning when all are done. */
typedef void (*kube__pool_fn)(void *arg, size_t i);
KUBE_INTERNAL int kube__pool_new(struct kube__pool **out, unsigned int threads);
KUBE_INTERNAL void kube__pool_run(struct kube__pool *p, size_t n, kube__pool_fn fn, void *arg);
KUBE_INTERNAL void kube__pool_free(struct kube__pool *p);

/* Records one node's rejection.  KUBE_ENOMEM or 0. */
KUBE_INTERNAL int kube__node_matches_required(const kube__pod *p, const kube_sched_node *n,
                                              const kube__intern *names);
KUBE_INTERNAL int kube__node_tolerated(const kube__pod *p, const kube_sched_node *n);
KUBE_INTERNAL int kube__spread_prefilter(kube__cycle *cy);
KUBE_INTERNAL int kube__filter_spread(kube__cycle *cy, const kube_sched_node *n);
/* PodTopologySpread's score (score_spread.c): PreScore, then the
 * normalised scores of the feasible slots. */
KUBE_INTERNAL int kube__spread_prescore(kube__cycle *cy);
KUBE_INTERNAL void kube__score_spread_all(kube__cycle *cy, const uint32_t *slots, size_t n,
                                          int64_t *out);
KUBE_INTERNAL void kube__spread_score_free(struct kube__spread_score *ss);

/* AffinityTerm.Matches(target): 1, 0, or -1 on ENOMEM (filter_interpod.c). */
KUBE_INTERNAL int kube__pod_term_matches(const kube__pod_term *t, kube__pod *target);

/* 1 when an existing pod's terms can add to InterPodAffinity's score
 * (required anti-affinity only filters). */
static inline int kube__pod_has_affinity(const kube__pod *p)
{
	return p->naff || p->npaff || p->npanti;
}

/* InterPodAffinity's score (score_interpod.c): 0 and *skip = 1 when
 * nothing scores; else the normalised scores of the feasible slots. */
KUBE_INTERNAL int kube__interpod_score_all(kube__cycle *cy, const uint32_t *slots, size_t n,
                                           int64_t *out, int *skip);
KUBE_INTERNAL int kube__cycle_reject(kube__cycle *cy, const char *reason);

/* ---- built-in filters: 0 fits, else the number of reasons recorded
 * (KUBE_SCHED_UNSCHEDULABLE semantic), or a negative error. ---- */

KUBE_INTERNAL int kube__filter_node_name(kube__cycle *cy, const kube_sched_node *n);
KUBE_INTERNAL int kube__filter_unschedulable(kube__cycle *cy, const kube_sched_node *n);
KUBE_INTERNAL int kube__filter_taints(kube__cycle *cy, const kube_sched_node *n);
KUBE_INTERNAL int kube__filter_affinity(kube__cycle *cy, const kube_sched_node *n);
KUBE_INTERNAL int kube__filter_ports(kube__cycle *cy, const kube_sched_node *n);
KUBE_INTERNAL int kube__filter_fit(kube__cycle *cy, const kube_sched_node *n);

/* InterPodAffinity (filter_interpod.c): the PreFilter counts, once per
 * cycle, then the per-node filter; 1 when the pod or an existing pod has
 * required terms at all. */
KUBE_INTERNAL uint64_t kube__pair_of(uint32_t key, uint32_t value);
KUBE_INTERNAL int64_t kube__pm_get(const kube__pair_map *m, uint64_t k);
KUBE_INTERNAL int kube__pm_add(kube__pair_map *m, uint64_t k, int64_t d);
KUBE_INTERNAL int kube__pm_has(const kube__pair_map *m, uint64_t k);
KUBE_INTERNAL void kube__pm_clear(kube__pair_map *m);
KUBE_INTERNAL void kube__pm_free(kube__pair_map *m);

KUBE_INTERNAL int kube__interpod_needed(const kube__cycle *cy);
KUBE_INTERNAL int kube__interpod_prefilter(kube__cycle *cy);
KUBE_INTERNAL int kube__filter_interpod(kube__cycle *cy, const kube_sched_node *n);
KUBE_INTERNAL void kube__interpod_free(struct kube__interpod *ip);

/* Matching shared by filters and scores (filter_node.c). */
KUBE_INTERNAL int kube__tolerates(const kube__toleration *t, const kube__taint *taint);
KUBE_INTERNAL int kube__term_matches(const kube__term *t, const kube_sched_node *n,
                                     const kube__intern *names);
/* Node ports conflict test (filter_resources.c). */
KUBE_INTERNAL int kube__ports_conflict(const kube__port *a, const char *ip, const char *proto,
                                       int32_t port);

/* ---- built-in scores (score.c): raw scores; normalize where upstream does ---- */

KUBE_INTERNAL void kube__prescore_builtin(kube__cycle *cy);
/* strategy: a kube_sched_fit_strategy */
KUBE_INTERNAL void kube__score_fit_all(kube__cycle *cy, const uint32_t *slots, size_t n,
                                       int64_t *out, int strategy);
KUBE_INTERNAL void kube__score_balanced_all(kube__cycle *cy, const uint32_t *slots, size_t n,
                                            int64_t *out);
KUBE_INTERNAL int64_t kube__score_affinity(kube__cycle *cy, const kube_sched_node *n);
KUBE_INTERNAL int64_t kube__score_taints(kube__cycle *cy, const kube_sched_node *n);
KUBE_INTERNAL int64_t kube__score_images(kube__cycle *cy, const kube_sched_node *n);
/* upstream's helper.DefaultNormalizeScore(100, reverse, scores) */
KUBE_INTERNAL void kube__normalize_default(int64_t *scores, size_t n, int reverse);

#endif /* LIBKUBE_SCHED_PRIVATE_H */
