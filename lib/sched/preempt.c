/*
 * preempt.c - PostFilter DefaultPreemption, the nominator and the
 * PodDisruptionBudgets preemption honours, as upstream's
 * framework/preemption and plugins/defaultpreemption.
 *
 * Preemption works on the real snapshot, not on a copy: a node's
 * lower-priority pods are unplaced (kube__snapshot_unplace), the filters
 * run on that node alone (kube__filter_one, which recomputes the PreFilter
 * state from the changed snapshot where upstream adjusts a cloned state
 * with AddPod / RemovePod: the same answers), victims are placed back one
 * by one while the pod still fits, and at the end every pod is back where
 * it was.  Only the chosen node's victims then leave, through the
 * preemptor and kube_sched_pod_remove.
 *
 *   eligible?  preemptionPolicy Never, or a pod of lower priority being
 *              deleted by preemption on the pod's nominated node: no
 *   nodes      those whose filter verdict was Unschedulable (not
 *              UnschedulableAndUnresolvable); the others are reported as
 *              "Preemption is not helpful for scheduling"
 *   per node   SelectVictimsOnNode: "No preemption victims found for
 *              incoming pod" when no pod has lower priority; the filters'
 *              reasons when the pod does not fit even without them; else
 *              the victims (reprieved highest priority first, PDB
 *              violators before the others) and the violations
 *   choose     pickOneNodeForPreemption's order (see sched.h)
 *
 * Nominees are pods nominated to a node (status.nominatedNodeName): each
 * keeps its own view, placed on its node only while a filter runs for a
 * pod of lower or equal priority (kube__nominees_on), as upstream's
 * addNominatedPods.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <json-c/json.h>

#include "libkube/store.h"
#include "object/object_private.h"
#include "sched_private.h"

#define MSG_NOT_HELPFUL "Preemption is not helpful for scheduling"
#define MSG_NO_VICTIMS "No preemption victims found for incoming pod"

static int pod_key(char *buf, size_t len, const kube__pod *p)
{
	int n = snprintf(buf, len, "%s/%s", p->ns, p->name);
	return n < 0 || (size_t)n >= len ? kube__error_set(KUBE_EINVAL, "metadata.name",
	                                                   "metadata.name: Too long") : 0;
}

/* ---- nominees ---- */

static void nominee_free(kube__nominee *nm)
{
	if (!nm)
		return;
	kube__pod_free(nm->view);
	kube_free(nm->key);
	kube_free(nm->node);
	kube_free(nm);
}

int kube__nominee_forget(kube_sched *s, const char *key)
{
	kube__nominee *nm = kube__map_del(&s->nominees_by_key, key);
	if (!nm)
		return KUBE_ENOTFOUND;
	for (size_t i = 0; i < s->nnominees; i++)
		if (s->nominees[i] == nm) {
			s->nominees[i] = s->nominees[--s->nnominees];
			break;
		}
	nominee_free(nm);
	return 0;
}

/* Takes view (on success and failure). */
static int nominee_set(kube_sched *s, kube__pod *view, const char *node)
{
	char key[512];
	int rc = pod_key(key, sizeof(key), view);
	if (rc) {
		kube__pod_free(view);
		return rc;
	}
	kube__nominee_forget(s, key);
	kube__nominee *nm = kube_calloc(1, sizeof(*nm));
	if (nm) {
		nm->view = view;
		nm->key = kube_strdup(key);
		nm->node = kube_strdup(node);
	} else {
		kube__pod_free(view);
	}
	if (!nm || !nm->key || !nm->node)
		goto oom;
	if (s->nnominees == s->cap_nominees) {
		size_t nc = s->cap_nominees ? s->cap_nominees * 2 : 16;
		kube__nominee **v = kube_realloc(s->nominees, nc * sizeof(*v));
		if (!v)
			goto oom;
		s->nominees = v;
		s->cap_nominees = nc;
	}
	if (kube__map_put(&s->nominees_by_key, key, nm) != 0)
		goto oom;
	s->nominees[s->nnominees++] = nm;
	return 0;
oom:
	nominee_free(nm);
	return kube__error_oom();
}

int kube_sched_nominate(kube_sched *s, kube_object *pod, const char *node)
{
	KUBE_CHECK_ARG(s != NULL && pod != NULL);
	const char *ns = kube_object_namespace(pod), *name = kube_object_name(pod);
	if (!name || !*name)
		return kube__error_set(KUBE_EINVAL, "metadata.name", "metadata.name: Required value");
	if (!node || !*node) {
		char key[512];
		snprintf(key, sizeof(key), "%s/%s", ns ? ns : "", name);
		kube__nominee_forget(s, key);
		return 0;
	}
	kube__pod *view;
	int rc = kube__pod_new(&view, pod, s);
	return rc ? rc : nominee_set(s, view, node);
}

const char *kube_sched_nominated_node(const kube_sched *s, const char *ns, const char *name)
{
	if (!s || !name)
		return NULL;
	char key[512];
	snprintf(key, sizeof(key), "%s/%s", ns ? ns : "", name);
	const kube__nominee *nm = kube__map_get(&s->nominees_by_key, key);
	return nm ? nm->node : NULL;
}

const char *kube__nominated_node(const kube_sched *s, const kube__pod *p)
{
	if (s->nnominees) {
		char key[512];
		snprintf(key, sizeof(key), "%s/%s", p->ns, p->name);
		const kube__nominee *nm = kube__map_get(&s->nominees_by_key, key);
		if (nm)
			return nm->node;
	}
	return p->nominated;
}

size_t kube__nominees_on(kube__cycle *cy, uint32_t slot, kube__pod **out)
{
	kube_sched *s = cy->s;
	const kube__pod *p = cy->pod;
	const char *node = s->node[slot]->name;
	size_t n = 0;
	for (size_t i = 0; i < s->nnominees; i++) {
		kube__nominee *nm = s->nominees[i];
		kube__pod *v = nm->view;
		if (v->priority < p->priority || strcmp(nm->node, node) != 0)
			continue;
		if (strcmp(v->name, p->name) == 0 && strcmp(v->ns, p->ns) == 0)
			continue; /* the pod itself */
		out[n++] = v;
	}
	return n;
}

/* ---- PodDisruptionBudgets ---- */

static void pdb_free(kube__pdb *b)
{
	if (!b)
		return;
	kube_selector_free(b->sel);
	kube_free(b->key);
	kube_object_unref(b->obj);
	kube_free(b);
}

int kube_sched_pdb_add(kube_sched *s, kube_object *pdb)
{
	KUBE_CHECK_ARG(s != NULL && pdb != NULL);
	const char *name = kube_object_name(pdb), *ns = kube_object_namespace(pdb);
	if (!name || !*name)
		return kube__error_set(KUBE_EINVAL, "metadata.name", "metadata.name: Required value");
	kube__pdb *b = kube_calloc(1, sizeof(*b));
	kube__buf key = KUBE__BUF_INIT;
	kube__buf_printf(&key, "%s/%s", ns ? ns : "", name);
	if (!b || key.failed) {
		kube_free(b);
		kube__buf_free(&key);
		return kube__error_oom();
	}
	b->key = kube__buf_detach(&key, NULL);
	b->obj = kube_object_ref(pdb);
	b->ns = ns ? ns : "";
	/* an invalid selector matches nothing, as upstream's
	 * LabelSelectorAsSelector error path; so does a nil or empty one */
	if (kube_selector_from_object(&b->sel, pdb, "spec.selector") != 0 ||
	    kube_selector_empty(b->sel) || kube_selector_matches_nothing(b->sel)) {
		kube_selector_free(b->sel);
		b->sel = NULL;
	}
	kube_error_clear();
	int64_t allowed = 0;
	if (kube_object_get_int(pdb, "status.disruptionsAllowed", &allowed) != 0)
		allowed = 0;
	kube_error_clear();
	b->allowed = allowed > INT32_MAX ? INT32_MAX : allowed < INT32_MIN ? INT32_MIN : (int32_t)allowed;
	for (size_t i = 0; i < s->npdbs; i++)
		if (strcmp(s->pdbs[i]->key, b->key) == 0) {
			pdb_free(s->pdbs[i]);
			s->pdbs[i] = b;
			return 0;
		}
	if (s->npdbs == s->cap_pdbs) {
		size_t nc = s->cap_pdbs ? s->cap_pdbs * 2 : 8;
		kube__pdb **v = kube_realloc(s->pdbs, nc * sizeof(*v));
		if (!v) {
			pdb_free(b);
			return kube__error_oom();
		}
		s->pdbs = v;
		s->cap_pdbs = nc;
	}
	s->pdbs[s->npdbs++] = b;
	return 0;
}

int kube_sched_pdb_remove(kube_sched *s, const char *ns, const char *name)
{
	KUBE_CHECK_ARG(s != NULL && name != NULL);
	for (size_t i = 0; i < s->npdbs; i++) {
		kube__pdb *b = s->pdbs[i];
		const char *bn = kube_object_name(b->obj);
		if (strcmp(b->ns, ns ? ns : "") == 0 && bn && strcmp(bn, name) == 0) {
			/* keep the order: violations are counted in PDB order */
			memmove(s->pdbs + i, s->pdbs + i + 1, (s->npdbs - i - 1) * sizeof(*s->pdbs));
			s->npdbs--;
			pdb_free(b);
			return 0;
		}
	}
	return kube__error_set(KUBE_ENOTFOUND, NULL, "poddisruptionbudget \"%s/%s\" not found",
	                       ns ? ns : "", name);
}

/* status.disruptedPods[name] exists: the API server already counted it */
static int pdb_disrupted(const kube__pdb *b, const char *pod)
{
	json_object *st, *dp, *v;
	json_object *doc = kube__object_doc(b->obj);
	return json_object_object_get_ex(doc, "status", &st) &&
	       json_object_object_get_ex(st, "disruptedPods", &dp) &&
	       json_object_is_type(dp, json_type_object) && json_object_object_get_ex(dp, pod, &v);
}

/*
 * filterPodsWithPDBViolation: each matching budget's allowance is spent
 * pod by pod in the given order; a pod that drives one below zero
 * violates.  viol[i] = 1 for those.
 */
static int pdb_violations(kube_sched *s, kube__pod **pods, size_t n, uint8_t *viol)
{
	if (!s->npdbs) {
		memset(viol, 0, n);
		return 0;
	}
	int32_t *allowed = s->npdbs ? kube_calloc(s->npdbs, sizeof(*allowed)) : NULL;
	if (s->npdbs && !allowed)
		return kube__error_oom();
	for (size_t i = 0; i < s->npdbs; i++)
		allowed[i] = s->pdbs[i]->allowed;
	for (size_t k = 0; k < n; k++) {
		const kube__pod *p = pods[k];
		const kube_labels *labels = kube_object_labels(p->obj);
		viol[k] = 0;
		if (kube_labels_count(labels) == 0)
			continue;
		for (size_t i = 0; i < s->npdbs; i++) {
			const kube__pdb *b = s->pdbs[i];
			if (!b->sel || strcmp(b->ns, p->ns) != 0 || !kube__sel_matches(b->sel, labels))
				continue;
			if (pdb_disrupted(b, p->name))
				continue;
			if (--allowed[i] < 0)
				viol[k] = 1;
		}
	}
	kube_free(allowed);
	return 0;
}

/* ---- preemption ---- */

/* util.MoreImportantPod: higher priority, then the earlier start */
static int more_important(const kube__pod *a, const kube__pod *b)
{
	if (a->priority != b->priority)
		return a->priority > b->priority;
	return a->start_time < b->start_time;
}

/* stable, so equal pods keep node order (victim lists are short) */
static void sort_important(kube__pod **v, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		kube__pod *x = v[i];
		size_t j = i;
		for (; j > 0 && more_important(x, v[j - 1]); j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

typedef struct candidate {
	uint32_t slot;
	kube__pod **victims;    /* most important first */
	size_t nvictims;
	int64_t violations;
} candidate;

static void restore(kube_sched *s, kube__pod **pods, size_t n, kube_sched_node *node)
{
	/* the room they had is still there: placing back cannot fail */
	for (size_t i = 0; i < n; i++) {
		int rc = kube__snapshot_place(s, pods[i], node);
		(void)rc;
	}
}

/* Work space of one preemption, sized for the fullest node. */
typedef struct scratch {
	kube__pod **pot, **order;
	uint8_t *viol;
	int fast;               /* the pod's filters are resources only, no nominees */
} scratch;

/*
 * NodeResourcesFit's verdict (kube__filter_fit) on a node whose requested
 * columns are `used`: the fast path's whole filter, the other filters of
 * such a pod not looking at pods.
 */
static int fits_used(const kube_sched *s, const kube__pod *p, uint32_t slot,
                     const int64_t used[KUBE__R_N])
{
	if (used[KUBE__R_PODS] + 1 > s->alloc[KUBE__R_PODS][slot])
		return 0;
	for (int r = 0; r < KUBE__R_PODS; r++)
		if (p->req[r] > 0 && p->req[r] > s->alloc[r][slot] - used[r])
			return 0;
	return 1;
}

/*
 * SelectVictimsOnNode.  Returns 1 with *c filled, 0 when the node cannot
 * help (its reasons added to record), or an error.  The node is as it
 * was on return.
 */
static int select_victims(kube__cycle *cy, uint32_t slot, kube__cycle *record, candidate *c,
                          scratch *w)
{
	kube_sched *s = cy->s;
	kube_sched_node *node = s->node[slot];
	kube__pod **pot = w->pot, **order = w->order;
	uint8_t *viol = w->viol;
	int rc = 0, unres;
	size_t np = 0, nv = 0, nviol = 0, nback = 0;
	int64_t used[KUBE__R_N] = { 0 };
	memset(c, 0, sizeof(*c));
	for (size_t i = 0; i < node->npods; i++)
		if (node->pods[i]->priority < cy->pod->priority)
			pot[np++] = node->pods[i];
	if (np == 0) {
		rc = kube__cycle_reject(record, MSG_NO_VICTIMS) ? KUBE_ENOMEM : 0;
		goto out;
	}
	if (w->fast) {
		/* the same steps as below, on the columns instead of the
		 * snapshot: nothing is unplaced; a node that does not fit
		 * without every victim takes the general path for its reasons */
		for (int r = 0; r < KUBE__R_N; r++) {
			used[r] = s->req[r][slot];
			for (size_t i = 0; i < np; i++)
				used[r] -= pot[i]->req[r];
		}
		if (!fits_used(s, cy->pod, slot, used))
			w->fast = -1;
	}
	if (w->fast < 0) {
		w->fast = 1;
		for (size_t i = 0; i < np; i++)
			kube__snapshot_unplace(s, pot[i]);
		rc = kube__filter_one(cy, slot, record, &unres);
		restore(s, pot, np, node);
		if (rc == 1)
			rc = kube__error_set(KUBE_ERROR, NULL, "preemption: the fit of node %s is inconsistent",
			                     node->name);
		goto out;
	}
	if (!w->fast) {
		for (size_t i = 0; i < np; i++)
			kube__snapshot_unplace(s, pot[i]);
		rc = kube__filter_one(cy, slot, record, &unres);
		if (rc <= 0) {
			restore(s, pot, np, node);
			goto out;
		}
	}
	sort_important(pot, np);
	if ((rc = pdb_violations(s, pot, np, viol)) != 0) {
		if (!w->fast)
			restore(s, pot, np, node);
		goto out;
	}
	/* PDB violators first, each group most important first */
	for (size_t i = 0; i < np; i++)
		if (viol[i])
			order[nviol++] = pot[i];
	for (size_t i = 0; i < np; i++)
		if (!viol[i])
			order[nviol + nback++] = pot[i];
	nback = 0;
	/* victims are written over the potential list, whose pods are now in order */
	for (size_t i = 0; i < np && w->fast; i++) {
		kube__pod *v = order[i];
		for (int r = 0; r < KUBE__R_N; r++)
			used[r] += v->req[r];
		if (!fits_used(s, cy->pod, slot, used)) {
			for (int r = 0; r < KUBE__R_N; r++)
				used[r] -= v->req[r];
			pot[nv++] = v;
			if (i < nviol)
				c->violations++;
		}
	}
	for (size_t i = 0; i < np && !w->fast; i++) {
		kube__pod *v = order[i];
		restore(s, &v, 1, node);
		rc = kube__filter_one(cy, slot, NULL, &unres);
		if (rc < 0) {
			/* the victims found so far are off the node, and those
			 * still to try: put both back */
			restore(s, pot, nv, node);
			restore(s, order + i + 1, np - i - 1, node);
			goto out;
		}
		if (rc == 0) {
			kube__snapshot_unplace(s, v);
			pot[nv++] = v;
			if (i < nviol)
				c->violations++;
		}
	}
	if (nv == 0) {
		/* upstream reports an error for such a node ("expected at
		 * least one victim pod"): with every pod back it fits, which
		 * only nominated pods changing under it could cause */
		rc = 0;
		goto out;
	}
	if (nviol && nviol < np)
		sort_important(pot, nv);
	if (!w->fast)
		restore(s, pot, nv, node);
	if (!(c->victims = kube_calloc(nv, sizeof(*c->victims))))
		return kube__error_oom();
	memcpy(c->victims, pot, nv * sizeof(*pot));
	c->slot = slot;
	c->nvictims = nv;
	rc = 1;
out:
	return rc;
}

/* GetEarliestPodStartTime among the highest-priority victims */
static int64_t earliest_start(const candidate *c)
{
	int32_t top = c->victims[0]->priority;
	int64_t t = c->victims[0]->start_time;
	for (size_t i = 0; i < c->nvictims; i++) {
		const kube__pod *v = c->victims[i];
		if (v->priority > top) {
			top = v->priority;
			t = v->start_time;
		} else if (v->priority == top && v->start_time < t) {
			t = v->start_time;
		}
	}
	return t;
}

/* pickOneNodeForPreemption's criteria in order: 1 when a beats b */
static int better(const candidate *a, const candidate *b)
{
	if (a->violations != b->violations)
		return a->violations < b->violations;
	if (a->victims[0]->priority != b->victims[0]->priority)
		return a->victims[0]->priority < b->victims[0]->priority;
	int64_t sa = 0, sb = 0;
	for (size_t i = 0; i < a->nvictims; i++)
		sa += (int64_t)a->victims[i]->priority + ((int64_t)INT32_MAX + 1);
	for (size_t i = 0; i < b->nvictims; i++)
		sb += (int64_t)b->victims[i]->priority + ((int64_t)INT32_MAX + 1);
	if (sa != sb)
		return sa < sb;
	if (a->nvictims != b->nvictims)
		return a->nvictims < b->nvictims;
	return earliest_start(a) > earliest_start(b);
}

/* podTerminatingByPreemption */
static int terminating_by_preemption(const kube__pod *p)
{
	if (!kube_object_deletion_timestamp(p->obj))
		return 0;
	json_object *st, *conds;
	json_object *doc = kube__object_doc(p->obj);
	if (!json_object_object_get_ex(doc, "status", &st) ||
	    !json_object_object_get_ex(st, "conditions", &conds) ||
	    !json_object_is_type(conds, json_type_array))
		return 0;
	for (size_t i = 0; i < json_object_array_length(conds); i++) {
		json_object *c = json_object_array_get_idx(conds, i), *v;
		const char *type = json_object_object_get_ex(c, "type", &v) ? json_object_get_string(v) : NULL;
		if (!type || strcmp(type, "DisruptionTarget") != 0)
			continue;
		const char *status = json_object_object_get_ex(c, "status", &v) ? json_object_get_string(v) : NULL;
		const char *reason = json_object_object_get_ex(c, "reason", &v) ? json_object_get_string(v) : NULL;
		return status && reason && strcmp(status, "True") == 0 &&
		       strcmp(reason, "PreemptionByScheduler") == 0;
	}
	return 0;
}

static const char *eligible(kube__cycle *cy)
{
	kube_sched *s = cy->s;
	const kube__pod *p = cy->pod;
	if (p->preempt_never)
		return "not eligible due to preemptionPolicy=Never.";
	const char *nom = kube__nominated_node(s, p);
	kube_sched_node *n = nom ? kube__map_get(&s->nodes_by_name, nom) : NULL;
	if (!n || s->status[n->slot] == KUBE__ST_UNRESOLVABLE)
		return NULL;
	for (size_t i = 0; i < n->npods; i++)
		if (n->pods[i]->priority < p->priority && terminating_by_preemption(n->pods[i]))
			return "not eligible due to a terminating pod on the nominated node.";
	return NULL;
}

/* The preemptor's nomination changes: the scheduler's record and, through
 * the preemptor, the pod's status.  Errors of the callback are ignored,
 * as upstream ignores a failed status patch here. */
static int renominate(kube_sched *s, kube__pod *p, const char *node)
{
	char key[512];
	pod_key(key, sizeof(key), p);
	kube_error_clear();
	if (!node || !*node) {
		int had = kube__nominee_forget(s, key) == 0 || p->nominated;
		if (had && s->preemptor.nominate)
			s->preemptor.nominate(p->obj, "", s->preemptor_ud);
		kube_error_clear();
		return 0;
	}
	kube__pod *view;
	int rc = kube__pod_new(&view, p->obj, s);
	if (rc == 0)
		rc = nominee_set(s, view, node);
	if (rc == 0 && s->preemptor.nominate)
		s->preemptor.nominate(p->obj, node, s->preemptor_ud);
	if (rc == 0)
		kube_error_clear();
	return rc;
}

/* prepareCandidate: evict, forget, clear lower nominations, nominate */
static int prepare(kube__cycle *cy, candidate *c)
{
	kube_sched *s = cy->s;
	kube_sched_node *node = s->node[c->slot];
	char *name = kube_strdup(node->name);
	if (!name)
		return kube__error_oom();
	int rc = 0;
	for (size_t i = 0; i < c->nvictims && rc == 0; i++) {
		kube__pod *v = c->victims[i];
		if (kube_object_deletion_timestamp(v->obj))
			continue; /* its graceful deletion has started already */
		rc = s->preemptor.evict(v->obj, cy->pod->obj, name, s->preemptor_ud);
		if (rc > 0)
			rc = kube__error_set(KUBE_ERROR, NULL, "evicting pod %s/%s failed", v->ns, v->name);
		if (rc == 0) {
			char key[512];
			pod_key(key, sizeof(key), v);
			kube__map_del(&s->pods_by_key, key);
			kube__snapshot_unplace(s, v);
			kube__pod_free(v);
		}
	}
	for (size_t i = s->nnominees; rc == 0 && i-- > 0;) {
		if (i >= s->nnominees)
			continue;
		kube__nominee *nm = s->nominees[i];
		if (nm->view->priority < cy->pod->priority && strcmp(nm->node, name) == 0) {
			kube_object *obj = kube_object_ref(nm->view->obj);
			kube__nominee_forget(s, nm->key);
			if (s->preemptor.nominate)
				s->preemptor.nominate(obj, "", s->preemptor_ud);
			kube_object_unref(obj);
			kube_error_clear();
		}
	}
	if (rc == 0)
		rc = renominate(s, cy->pod, name);
	kube_free(name);
	return rc;
}

int kube__preempt(kube__cycle *cy, char **msg)
{
	kube_sched *s = cy->s;
	*msg = NULL;
	const char *why = eligible(cy);
	if (why) {
		kube__buf b = KUBE__BUF_INIT;
		kube__buf_printf(&b, "preemption: %s", why);
		*msg = kube__buf_detach(&b, NULL);
		return *msg ? 0 : kube__error_oom();
	}
	kube__cycle record;
	memset(&record, 0, sizeof(record));
	record.s = s;
	record.borrowed = 1;
	candidate *cands = kube_calloc(s->nnodes ? s->nnodes : 1, sizeof(*cands));
	size_t ncands = 0;
	int rc = cands ? 0 : kube__error_oom();
	/* node order; the slots' verdicts are those of the cycle's filters */
	uint8_t *potential = rc ? NULL : kube_calloc(s->nslots ? s->nslots : 1, 1);
	if (!rc && !potential)
		rc = kube__error_oom();
	size_t most = 1;
	for (size_t slot = 0; rc == 0 && slot < s->nslots; slot++)
		if (s->node[slot]) {
			potential[slot] = !cy->prefilter_msg &&
			                  s->status[slot] == KUBE__ST_UNSCHEDULABLE;
			if (s->node[slot]->npods > most)
				most = s->node[slot]->npods;
		}
	scratch w = { NULL, NULL, NULL, 0 };
	w.fast = !s->nnominees && kube__steps_resources_only(cy);
	if (rc == 0) {
		w.pot = kube_calloc(most, sizeof(*w.pot));
		w.order = kube_calloc(most, sizeof(*w.order));
		w.viol = kube_calloc(most, 1);
		if (!w.pot || !w.order || !w.viol)
			rc = kube__error_oom();
	}
	for (size_t slot = 0; rc == 0 && slot < s->nslots; slot++) {
		if (!s->node[slot])
			continue;
		if (!potential[slot]) {
			rc = kube__cycle_reject(&record, MSG_NOT_HELPFUL) ? KUBE_ENOMEM : 0;
			continue;
		}
		int r = select_victims(cy, (uint32_t)slot, &record, &cands[ncands], &w);
		if (r < 0)
			rc = r;
		else if (r == 1)
			ncands++;
	}
	if (rc == 0 && ncands == 0) {
		/* no candidate: a FitError of its own, and the nomination goes */
		char *fit = kube__fit_message(&record, s->nnodes, NULL);
		kube__buf b = KUBE__BUF_INIT;
		kube__buf_printf(&b, "preemption: %s", fit ? fit : "");
		kube_free(fit);
		*msg = fit && !b.failed ? kube__buf_detach(&b, NULL) : NULL;
		kube__buf_free(&b);
		rc = *msg ? renominate(s, cy->pod, NULL) : kube__error_oom();
	} else if (rc == 0) {
		size_t best = 0;
		for (size_t i = 1; i < ncands; i++)
			if (better(&cands[i], &cands[best]))
				best = i;
		rc = prepare(cy, &cands[best]);
	}
	for (size_t i = 0; i < ncands; i++)
		kube_free(cands[i].victims);
	kube_free(cands);
	kube_free(potential);
	kube_free(w.pot);
	kube_free(w.order);
	kube_free(w.viol);
	kube__cycle_free(&record);
	return rc;
}

/* ---- the preemptor ---- */

int kube_sched_set_preemptor(kube_sched *s, const kube_sched_preemptor *ops, void *userdata,
                             void (*destroy)(void *))
{
	if (!s || (ops && !ops->evict)) {
		if (destroy)
			destroy(userdata);
		return kube__error_set(KUBE_EINVAL, NULL, "%s: invalid argument", __func__);
	}
	if (ops && (ops->abi_version != KUBE_SCHED_PREEMPTOR_VERSION ||
	            ops->struct_size < sizeof(kube_sched_preemptor))) {
		if (destroy)
			destroy(userdata);
		return kube__error_set(KUBE_EABI, NULL,
		                       "scheduler preemptor: version %u size %u, host wants version %u size %zu",
		                       ops->abi_version, ops->struct_size, KUBE_SCHED_PREEMPTOR_VERSION,
		                       sizeof(kube_sched_preemptor));
	}
	if (s->preemptor_destroy)
		s->preemptor_destroy(s->preemptor_ud);
	memset(&s->preemptor, 0, sizeof(s->preemptor));
	if (ops)
		memcpy(&s->preemptor, ops, sizeof(s->preemptor));
	s->preemptor_ud = userdata;
	s->preemptor_destroy = destroy;
	s->has_preemptor = ops != NULL;
	return 0;
}

void kube__preempt_free(kube_sched *s)
{
	for (size_t i = 0; i < s->nnominees; i++)
		nominee_free(s->nominees[i]);
	kube_free(s->nominees);
	kube__map_free(&s->nominees_by_key);
	for (size_t i = 0; i < s->npdbs; i++)
		pdb_free(s->pdbs[i]);
	kube_free(s->pdbs);
	if (s->preemptor_destroy)
		s->preemptor_destroy(s->preemptor_ud);
}

/* ---- through the store ---- */

typedef struct evict_ctx {
	const char *scheduler;
} evict_ctx;

/* apipod.UpdatePodCondition: replace the DisruptionTarget condition or
 * add it; the transition time changes only with the status */
static int add_disruption(kube_object *pod, void *userdata)
{
	const evict_ctx *e = userdata;
	char path[64], stamp[32];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	size_t n = 0, at;
	kube_object_get_len(pod, "status.conditions", &n);
	for (at = 0; at < n; at++) {
		const char *type = NULL;
		snprintf(path, sizeof(path), "status.conditions[%zu].type", at);
		if (kube_object_get_string(pod, path, &type) == 0 && type &&
		    strcmp(type, "DisruptionTarget") == 0)
			break;
	}
	kube_error_clear();
	kube__buf b = KUBE__BUF_INIT;
	kube__buf_printf(&b, "{\"type\":\"DisruptionTarget\",\"status\":\"True\",\"lastProbeTime\":null,"
	                     "\"lastTransitionTime\":\"%s\",\"reason\":\"PreemptionByScheduler\",\"message\":",
	                 stamp);
	kube__buf msg = KUBE__BUF_INIT;
	kube__buf_printf(&msg, "%s: preempting to accommodate a higher priority pod", e->scheduler);
	if (!msg.failed)
		kube__go_json_string(&b, msg.data, msg.len);
	kube__buf_free(&msg);
	kube__buf_putc(&b, '}');
	if (b.failed || msg.failed) {
		kube__buf_free(&b);
		return kube__error_oom();
	}
	int rc;
	if (n == 0) {
		kube__buf arr = KUBE__BUF_INIT;
		kube__buf_printf(&arr, "[%s]", b.data);
		rc = arr.failed ? kube__error_oom() : kube_object_set_json(pod, "status.conditions", arr.data);
		kube__buf_free(&arr);
	} else {
		snprintf(path, sizeof(path), "status.conditions[%zu]", at);
		rc = kube_object_set_json(pod, path, b.data);
	}
	kube__buf_free(&b);
	return rc;
}

static int store_evict(const kube_object *victim, const kube_object *preemptor, const char *node,
                       void *userdata)
{
	(void)node;
	kube_store *store = userdata;
	const char *sched = NULL;
	if (kube_object_get_string(preemptor, "spec.schedulerName", &sched) != 0 || !sched || !*sched)
		sched = KUBE_SCHED_DEFAULT_PROFILE;
	kube_error_clear();
	evict_ctx e = { sched };
	const char *ns = kube_object_namespace(victim), *name = kube_object_name(victim);
	kube_object *out = NULL;
	int rc = kube_store_guaranteed_update(&out, store, "pods", ns, name, add_disruption, &e);
	kube_object_unref(out);
	if (rc == KUBE_ENOTFOUND) {
		kube_error_clear();
		return 0; /* already deleted */
	}
	if (rc)
		return rc;
	rc = kube_store_delete(NULL, store, "pods", ns, name, NULL);
	if (rc == KUBE_ENOTFOUND) {
		kube_error_clear();
		return 0;
	}
	return rc;
}

static int set_nominated(kube_object *pod, void *userdata)
{
	const char *node = userdata;
	if (*node)
		return kube_object_set_string(pod, "status.nominatedNodeName", node);
	int rc = kube_object_remove(pod, "status.nominatedNodeName");
	if (rc == KUBE_ENOTFOUND)
		kube_error_clear();
	return rc == KUBE_ENOTFOUND ? 0 : rc;
}

static int store_nominate(const kube_object *pod, const char *node, void *userdata)
{
	kube_store *store = userdata;
	kube_object *out = NULL;
	int rc = kube_store_guaranteed_update(&out, store, "pods", kube_object_namespace(pod),
	                                      kube_object_name(pod), set_nominated, (void *)node);
	kube_object_unref(out);
	return rc;
}

int kube_sched_store_preemptor(kube_sched *s, kube_store *store)
{
	KUBE_CHECK_ARG(s != NULL && store != NULL);
	kube_sched_preemptor p = { KUBE_SCHED_PREEMPTOR_VERSION, sizeof(p), store_evict,
	                           store_nominate };
	return kube_sched_set_preemptor(s, &p, store, NULL);
}
