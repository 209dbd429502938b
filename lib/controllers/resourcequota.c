/*
 * resourcequota.c - ResourceQuota: usage accounting (upstream's
 * pkg/controller/resourcequota with the evaluators of
 * pkg/quota/v1/evaluator/core and apiserver/pkg/quota/v1/generic) and
 * refusal at create (the apiserver's admission/plugin/resourcequota).
 *
 * Resource lists.  A ResourceList is a small array of (name, quantity),
 * summed with kube_quantity_add so that formats carry as upstream's
 * Quantity.Add carries them (0 + 64Mi prints 64Mi).  Every map written is
 * sorted by name, as Go's encoding/json sorts map keys.
 *
 * Evaluators.  Each quota resource name is tracked by one kind:
 *
 *   pods, count/pods, cpu, memory, ephemeral-storage, requests.*,
 *   limits.{cpu,memory,ephemeral-storage}, hugepages-*      -> pods
 *   services, services.loadbalancers, services.nodeports,
 *   count/services                                          -> services
 *   persistentvolumeclaims, requests.storage, their
 *   <class>.storageclass.storage.k8s.io/ forms, count/...   -> persistentvolumeclaims
 *   configmaps, secrets, replicationcontrollers,
 *   resourcequotas (legacy names), count/<res>[.<group>]    -> that kind
 *
 * The controller (one key per quota) recomputes status.used from the
 * informer caches of the tracked kinds, masks it to spec.hard, and writes
 * status only when hard or used changed.  Events of a tracked kind in a
 * namespace (replenishment) and a periodic resync recompute it.
 *
 * Admission.  The store shows the hook each write when its turn comes;
 * the hook may not call into the store, so it reads the quota informer's
 * cache, or the status this controller last wrote when the cache has not
 * caught up yet.  Upstream's admission writes used + delta into the
 * quota before admitting; here the hook keeps that delta as a "charge" on
 * the quota instead:
 *
 *   admission view of used = status.used + charges on the quota
 *
 *   charge ──▶ counted by a sync (the object is in the informer cache)
 *          │      └─▶ retired when that sync's status is the newest known
 *          └─▶ the write did not happen (the store has moved past the
 *              revision it was admitted at and has no such object)
 *                 └─▶ dropped
 *
 * so writes batched into one commit, each checked before any is applied,
 * cannot together pass a quota, and a refused or failed write frees its
 * charge at the next sync.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controllers_private.h"
#include "libkube/kinds.h"
#include "libkube/quantity.h"

#define STORAGE_CLASS_SUFFIX ".storageclass.storage.k8s.io/"
#define BETA_STORAGE_CLASS "volume.beta.kubernetes.io/storage-class"

/* ---- resource lists ---- */

typedef struct rentry {
	char *name;
	kube_quantity q;
} rentry;

typedef struct rlist {
	rentry *v;
	size_t n, cap;
} rlist;

#define RLIST_INIT { NULL, 0, 0 }

static void rl_free(rlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		kube_free(l->v[i].name);
	kube_free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

static rentry *rl_find(const rlist *l, const char *name)
{
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(l->v[i].name, name) == 0)
			return &l->v[i];
	return NULL;
}

static const kube_quantity *rl_get(const rlist *l, const char *name)
{
	rentry *e = rl_find(l, name);
	return e ? &e->q : NULL;
}

/* Sets name to q (replacing). */
static int rl_set(rlist *l, const char *name, const kube_quantity *q)
{
	rentry *e = rl_find(l, name);

	if (e) {
		e->q = *q;
		return 0;
	}
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		rentry *v = kube_realloc(l->v, cap * sizeof(*v));
		if (!v)
			return kube__error_oom();
		l->v = v;
		l->cap = cap;
	}
	if (!(l->v[l->n].name = kube_strdup(name)))
		return kube__error_oom();
	l->v[l->n++].q = *q;
	return 0;
}

/* addResourceList: a missing name takes q, a present one adds it. */
static int rl_add(rlist *l, const char *name, const kube_quantity *q)
{
	rentry *e = rl_find(l, name);

	if (e)
		return kube_quantity_add(&e->q, &e->q, q);
	return rl_set(l, name, q);
}

static int rl_add_int(rlist *l, const char *name, int64_t v)
{
	kube_quantity q;
	kube_quantity_from_int(&q, v, KUBE_QUANTITY_DECIMAL_SI);
	return rl_add(l, name, &q);
}

static int rl_add_all(rlist *l, const rlist *b)
{
	int rc;
	for (size_t i = 0; i < b->n; i++)
		if ((rc = rl_add(l, b->v[i].name, &b->v[i].q)) != 0)
			return rc;
	return 0;
}

/* maxResourceList: each name of b that is missing from l or larger. */
static int rl_max_all(rlist *l, const rlist *b)
{
	int rc;
	for (size_t i = 0; i < b->n; i++) {
		const kube_quantity *cur = rl_get(l, b->v[i].name);
		if (!cur || kube_quantity_cmp(&b->v[i].q, cur) > 0)
			if ((rc = rl_set(l, b->v[i].name, &b->v[i].q)) != 0)
				return rc;
	}
	return 0;
}

static int rl_copy(rlist *out, const rlist *b)
{
	rl_free(out);
	return rl_add_all(out, b);
}

static int rl_cmp_name(const void *a, const void *b)
{
	return strcmp(((const rentry *)a)->name, ((const rentry *)b)->name);
}

static void rl_sort(rlist *l)
{
	if (l->n > 1)
		qsort(l->v, l->n, sizeof(*l->v), rl_cmp_name);
}

/* quota.Equals: the same names with equal values. */
static int rl_equal(const rlist *a, const rlist *b)
{
	if (a->n != b->n)
		return 0;
	for (size_t i = 0; i < a->n; i++) {
		const kube_quantity *o = rl_get(b, a->v[i].name);
		if (!o || kube_quantity_cmp(&a->v[i].q, o) != 0)
			return 0;
	}
	return 1;
}

/* Reads the map of quantities at path; 1 if it was there, 0 if not, or
 * an error.  A value that is not a quantity is skipped: the API server's
 * validation would have refused it. */
static int rl_read(rlist *l, const kube_object *o, const char *path)
{
	size_t n = 0;
	char vpath[512];
	int rc;

	if (kube_object_get_len(o, path, &n) != 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		const char *k, *s;
		kube_value_type t;
		kube_quantity q;
		int64_t iv;
		char *js = NULL;

		if (kube_object_get_key(o, path, i, &k) != 0 || strchr(k, '"'))
			continue;
		snprintf(vpath, sizeof(vpath), "%s[\"%s\"]", path, k);
		if (kube_object_get_type(o, vpath, &t) != 0)
			continue;
		if (t == KUBE_VALUE_STRING && kube_object_get_string(o, vpath, &s) == 0) {
			if (kube_quantity_parse(&q, s) != 0)
				continue;
		} else if (t == KUBE_VALUE_INT && kube_object_get_int(o, vpath, &iv) == 0) {
			kube_quantity_from_int(&q, iv, KUBE_QUANTITY_DECIMAL_SI);
		} else if (t == KUBE_VALUE_NUMBER && kube_object_get_json(o, vpath, &js) == 0) {
			rc = kube_quantity_parse(&q, js);
			kube_free(js);
			if (rc != 0)
				continue;
		} else {
			continue;
		}
		if ((rc = rl_add(l, k, &q)) != 0)
			return rc;
	}
	return 1;
}

/* "a=1,b=2" in name order (prettyPrint). */
static void rl_pretty(kube__buf *b, rlist *l)
{
	char qs[KUBE_QUANTITY_STRING_MAX];

	rl_sort(l);
	for (size_t i = 0; i < l->n; i++) {
		kube_quantity_format_string(&l->v[i].q, qs, sizeof(qs));
		kube__buf_printf(b, "%s%s=%s", i ? "," : "", l->v[i].name, qs);
	}
}

/* {"a":"1","b":"2"} in name order. */
static void rl_json(kube__buf *b, rlist *l)
{
	char qs[KUBE_QUANTITY_STRING_MAX];

	rl_sort(l);
	kube__buf_putc(b, '{');
	for (size_t i = 0; i < l->n; i++) {
		if (i)
			kube__buf_putc(b, ',');
		kube__go_json_string(b, l->v[i].name, strlen(l->v[i].name));
		kube_quantity_format_string(&l->v[i].q, qs, sizeof(qs));
		kube__buf_printf(b, ":\"%s\"", qs);
	}
	kube__buf_putc(b, '}');
}

/* ---- which kind tracks a quota resource name ---- */

static int has_prefix(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

static int has_suffix(const char *s, const char *suf)
{
	size_t n = strlen(s), m = strlen(suf);
	return n >= m && strcmp(s + n - m, suf) == 0;
}

/* helper.IsNativeResource: no domain, or a kubernetes.io one. */
static int native_resource(const char *name)
{
	return !strchr(name, '/') || strstr(name, "kubernetes.io/") != NULL;
}

/* helper.IsExtendedResourceName */
static int extended_resource(const char *name)
{
	char q[320];

	if (native_resource(name) || has_prefix(name, "requests."))
		return 0;
	snprintf(q, sizeof(q), "requests.%s", name);
	return kube__check_qualified_name(q, strlen(q), NULL) == 0;
}

static const char *const pod_names[] = {
	"count/pods", "cpu", "memory", "ephemeral-storage", "requests.cpu", "requests.memory",
	"requests.ephemeral-storage", "limits.cpu", "limits.memory",
	"limits.ephemeral-storage", "pods"
};
static const char *const service_names[] = {
	"count/services", "services", "services.nodeports", "services.loadbalancers"
};
/* the legacy object count names (the registry's aliases) */
static const char *const legacy_names[] = {
	"configmaps", "resourcequotas", "replicationcontrollers", "secrets"
};

static int in_list(const char *s, const char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, v[i]) == 0)
			return 1;
	return 0;
}

/* The kind whose evaluator tracks quota resource `name`, or NULL. */
static const kube_kind_info *tracked_kind(const char *name)
{
	if (in_list(name, pod_names, KUBE_ARRAY_SIZE(pod_names)) ||
	    has_prefix(name, "hugepages-") || has_prefix(name, "requests.hugepages-") ||
	    (!native_resource(name) && has_prefix(name, "requests.")))
		return kube_kind_for_resource("", "pods");
	if (in_list(name, service_names, KUBE_ARRAY_SIZE(service_names)))
		return kube_kind_for_resource("", "services");
	if (strcmp(name, "count/persistentvolumeclaims") == 0 ||
	    strcmp(name, "persistentvolumeclaims") == 0 || strcmp(name, "requests.storage") == 0 ||
	    has_suffix(name, STORAGE_CLASS_SUFFIX "persistentvolumeclaims") ||
	    has_suffix(name, STORAGE_CLASS_SUFFIX "requests.storage"))
		return kube_kind_for_resource("", "persistentvolumeclaims");
	if (in_list(name, legacy_names, KUBE_ARRAY_SIZE(legacy_names)))
		return kube_kind_for_resource("", name);
	if (has_prefix(name, "count/")) {
		char res[256];
		const char *r = name + 6, *dot = strchr(r, '.');
		const kube_kind_info *k;
		size_t n = dot ? (size_t)(dot - r) : strlen(r);
		if (n == 0 || n >= sizeof(res))
			return NULL;
		memcpy(res, r, n);
		res[n] = '\0';
		k = kube_kind_for_resource(dot ? dot + 1 : "", res);
		/* events are not quota'd (upstream's ignored resources) */
		return k && k->namespaced && strcmp(k->resource, "events") != 0 ? k : NULL;
	}
	return NULL;
}

static int tracks(const kube_kind_info *k, const char *name)
{
	return tracked_kind(name) == k;
}

/* ---- usage of one object (the evaluators' Usage) ---- */

static const char *str_at(const kube_object *o, const char *path)
{
	const char *v;
	return kube_object_get_string(o, path, &v) == 0 ? v : NULL;
}

/* One container's requests and limits, with the API server's default of
 * a missing request to the limit (SetDefaults_Pod), which every pod
 * upstream's quota sees has had. */
static int container_resources(const kube_object *pod, const char *list, size_t i, rlist *req,
                               rlist *lim)
{
	char path[96];
	int rc;

	snprintf(path, sizeof(path), "spec.%s[%zu].resources.limits", list, i);
	if ((rc = rl_read(lim, pod, path)) < 0)
		return rc;
	snprintf(path, sizeof(path), "spec.%s[%zu].resources.requests", list, i);
	if ((rc = rl_read(req, pod, path)) < 0)
		return rc;
	for (size_t j = 0; j < lim->n; j++)
		if (!rl_find(req, lim->v[j].name) && (rc = rl_set(req, lim->v[j].name, &lim->v[j].q)))
			return rc;
	return 0;
}

/* PodRequests and PodLimits: the containers summed, restartable init
 * containers (sidecars) added to them and to every later init container,
 * the largest init container if larger, then the overhead (for limits,
 * only on resources that have a limit). */
static int pod_resources(const kube_object *pod, rlist *reqs, rlist *lims)
{
	rlist sreq = RLIST_INIT, slim = RLIST_INIT, ireq = RLIST_INIT, ilim = RLIST_INIT;
	rlist oh = RLIST_INIT;
	size_t n = 0;
	int rc = 0;

	if (kube_object_get_len(pod, "spec.containers", &n) != 0)
		n = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		rlist req = RLIST_INIT, lim = RLIST_INIT;
		if ((rc = container_resources(pod, "containers", i, &req, &lim)) == 0 &&
		    (rc = rl_add_all(reqs, &req)) == 0)
			rc = rl_add_all(lims, &lim);
		rl_free(&req);
		rl_free(&lim);
	}
	if (kube_object_get_len(pod, "spec.initContainers", &n) != 0)
		n = 0;
	for (size_t i = 0; i < n && rc == 0; i++) {
		rlist req = RLIST_INIT, lim = RLIST_INIT, ereq = RLIST_INIT, elim = RLIST_INIT;
		char path[96];
		const char *policy;
		snprintf(path, sizeof(path), "spec.initContainers[%zu].restartPolicy", i);
		policy = str_at(pod, path);
		if ((rc = container_resources(pod, "initContainers", i, &req, &lim)) == 0) {
			if (policy && strcmp(policy, "Always") == 0) {
				if ((rc = rl_add_all(reqs, &req)) == 0 && (rc = rl_add_all(lims, &lim)) == 0 &&
				    (rc = rl_add_all(&sreq, &req)) == 0 && (rc = rl_add_all(&slim, &lim)) == 0 &&
				    (rc = rl_copy(&ereq, &sreq)) == 0)
					rc = rl_copy(&elim, &slim);
			} else if ((rc = rl_copy(&ereq, &req)) == 0 && (rc = rl_add_all(&ereq, &sreq)) == 0 &&
			           (rc = rl_copy(&elim, &lim)) == 0) {
				rc = rl_add_all(&elim, &slim);
			}
		}
		if (rc == 0 && (rc = rl_max_all(&ireq, &ereq)) == 0)
			rc = rl_max_all(&ilim, &elim);
		rl_free(&req);
		rl_free(&lim);
		rl_free(&ereq);
		rl_free(&elim);
	}
	if (rc == 0 && (rc = rl_max_all(reqs, &ireq)) == 0 && (rc = rl_max_all(lims, &ilim)) == 0 &&
	    (rc = rl_read(&oh, pod, "spec.overhead")) >= 0) {
		rc = rl_add_all(reqs, &oh);
		for (size_t i = 0; i < oh.n && rc == 0; i++) {
			rentry *e = rl_find(lims, oh.v[i].name);
			if (e)
				rc = kube_quantity_add(&e->q, &e->q, &oh.v[i].q);
		}
	}
	rl_free(&sreq);
	rl_free(&slim);
	rl_free(&ireq);
	rl_free(&ilim);
	rl_free(&oh);
	return rc;
}

/* podComputeUsageHelper */
static int compute_usage(rlist *out, const rlist *req, const rlist *lim)
{
	static const char *const kinds[] = { "cpu", "memory", "ephemeral-storage" };
	char name[320];
	int rc;

	if ((rc = rl_add_int(out, "pods", 1)) != 0)
		return rc;
	for (size_t i = 0; i < KUBE_ARRAY_SIZE(kinds); i++) {
		const kube_quantity *r = rl_get(req, kinds[i]), *l = rl_get(lim, kinds[i]);
		if (r) {
			snprintf(name, sizeof(name), "requests.%s", kinds[i]);
			if ((rc = rl_set(out, kinds[i], r)) != 0 || (rc = rl_set(out, name, r)) != 0)
				return rc;
		}
		if (l) {
			snprintf(name, sizeof(name), "limits.%s", kinds[i]);
			if ((rc = rl_set(out, name, l)) != 0)
				return rc;
		}
	}
	for (size_t i = 0; i < req->n; i++) {
		const char *r = req->v[i].name;
		snprintf(name, sizeof(name), "requests.%s", r);
		if (has_prefix(r, "hugepages-") &&
		    ((rc = rl_set(out, r, &req->v[i].q)) != 0 || (rc = rl_set(out, name, &req->v[i].q)) != 0))
			return rc;
		if (extended_resource(r) && (rc = rl_set(out, name, &req->v[i].q)) != 0)
			return rc;
	}
	return 0;
}

/* QuotaV1Pod: not terminal, and not past the end of its deletion grace. */
static int pod_charged(const kube_object *pod, int64_t now)
{
	const char *phase = kube__pod_phase(pod), *del = kube_object_deletion_timestamp(pod);
	int64_t grace;

	if (strcmp(phase, "Failed") == 0 || strcmp(phase, "Succeeded") == 0)
		return 0;
	if (del && kube_object_get_int(pod, "metadata.deletionGracePeriodSeconds", &grace) == 0 &&
	    now > kube__rfc3339_ns(del) + grace * KUBE__NS_PER_SEC)
		return 0;
	return 1;
}

static int pod_usage(rlist *out, const kube_object *pod, int64_t now)
{
	rlist req = RLIST_INIT, lim = RLIST_INIT;
	int rc;

	/* count/pods counts every pod in storage; the rest only live ones */
	if ((rc = rl_add_int(out, "count/pods", 1)) != 0 || !pod_charged(pod, now))
		return rc;
	if ((rc = pod_resources(pod, &req, &lim)) == 0)
		rc = compute_usage(out, &req, &lim);
	rl_free(&req);
	rl_free(&lim);
	return rc;
}

static int service_usage(rlist *out, const kube_object *svc)
{
	const char *type = str_at(svc, "spec.type");
	size_t ports = 0;
	int64_t nodeports = 0, lb = 0;
	int alloc = 1, rc;

	if (kube_object_get_len(svc, "spec.ports", &ports) != 0)
		ports = 0;
	if (type && strcmp(type, "NodePort") == 0) {
		nodeports = (int64_t)ports;
	} else if (type && strcmp(type, "LoadBalancer") == 0) {
		lb = 1;
		nodeports = (int64_t)ports;
		/* allocateLoadBalancerNodePorts false: only the ports that name one */
		if (kube_object_get_bool(svc, "spec.allocateLoadBalancerNodePorts", &alloc) == 0 &&
		    !alloc) {
			nodeports = 0;
			for (size_t i = 0; i < ports; i++) {
				char path[64];
				snprintf(path, sizeof(path), "spec.ports[%zu].nodePort", i);
				nodeports += kube__get_int_or(svc, path, 0) != 0;
			}
		}
	}
	if ((rc = rl_add_int(out, "count/services", 1)) != 0 ||
	    (rc = rl_add_int(out, "services", 1)) != 0 ||
	    (rc = rl_add_int(out, "services.loadbalancers", lb)) != 0)
		return rc;
	return rl_add_int(out, "services.nodeports", nodeports);
}

/* A storage request counted in whole bytes (RoundUp(0)). */
static void round_up_bytes(kube_quantity *q)
{
	kube_quantity whole;
	int64_t v;

	if (kube_quantity_value(q, &v) != 0)
		return;
	kube_quantity_from_int(&whole, v, kube_quantity_get_format(q));
	if (kube_quantity_cmp(&whole, q) != 0)
		*q = whole;
}

static int pvc_usage(rlist *out, const kube_object *pvc)
{
	const char *cls = kube_object_annotation(pvc, BETA_STORAGE_CLASS);
	rlist req = RLIST_INIT, alloc = RLIST_INIT;
	const kube_quantity *r, *a;
	kube_quantity storage;
	char name[320];
	int rc, have = 0;

	if (!cls)
		cls = str_at(pvc, "spec.storageClassName");
	if ((rc = rl_add_int(out, "persistentvolumeclaims", 1)) != 0 ||
	    (rc = rl_add_int(out, "count/persistentvolumeclaims", 1)) != 0)
		return rc;
	if (cls && *cls) {
		snprintf(name, sizeof(name), "%s" STORAGE_CLASS_SUFFIX "persistentvolumeclaims", cls);
		if ((rc = rl_add_int(out, name, 1)) != 0)
			return rc;
	}
	if ((rc = rl_read(&req, pvc, "spec.resources.requests")) < 0 ||
	    (rc = rl_read(&alloc, pvc, "status.allocatedResources")) < 0)
		goto out;
	rc = 0;
	if ((r = rl_get(&req, "storage")) != NULL) {
		storage = *r;
		round_up_bytes(&storage);
		have = 1;
		/* an expansion under way is charged at its larger size */
		if ((a = rl_get(&alloc, "storage")) != NULL && kube_quantity_cmp(a, &storage) > 0) {
			storage = *a;
			round_up_bytes(&storage);
		}
	}
	if (have) {
		if ((rc = rl_set(out, "requests.storage", &storage)) == 0 && cls && *cls) {
			snprintf(name, sizeof(name), "%s" STORAGE_CLASS_SUFFIX "requests.storage", cls);
			rc = rl_set(out, name, &storage);
		}
	}
out:
	rl_free(&req);
	rl_free(&alloc);
	return rc;
}

/* The usage of obj, of kind k, for quota purposes. */
static int object_usage(rlist *out, const kube_kind_info *k, const kube_object *obj, int64_t now)
{
	char name[320];
	int rc;

	if (strcmp(k->resource, "pods") == 0 && !*k->group)
		return pod_usage(out, obj, now);
	if (strcmp(k->resource, "services") == 0 && !*k->group)
		return service_usage(out, obj);
	if (strcmp(k->resource, "persistentvolumeclaims") == 0 && !*k->group)
		return pvc_usage(out, obj);
	if (*k->group)
		snprintf(name, sizeof(name), "count/%s.%s", k->resource, k->group);
	else
		snprintf(name, sizeof(name), "count/%s", k->resource);
	if ((rc = rl_add_int(out, name, 1)) != 0)
		return rc;
	if (!*k->group && in_list(k->resource, legacy_names, KUBE_ARRAY_SIZE(legacy_names)))
		rc = rl_add_int(out, k->resource, 1);
	return rc;
}

/* ---- scopes ---- */

typedef struct scope {
	const char *name;            /* scopeName */
	const char *op;              /* Exists, DoesNotExist, In, NotIn */
	const char *values[16];
	size_t nvalues;
} scope;

typedef struct qview {
	const kube_object *obj;
	rlist hard, used;
	int has_hard, has_used;
	scope *scopes;
	size_t nscopes;
} qview;

static void qview_fini(qview *v)
{
	rl_free(&v->hard);
	rl_free(&v->used);
	kube_free(v->scopes);
	memset(v, 0, sizeof(*v));
}

/* spec.scopes (operator Exists) and spec.scopeSelector.matchExpressions. */
static int read_scopes(qview *v, const kube_object *q)
{
	size_t ns = 0, ne = 0;
	char path[128];

	if (kube_object_get_len(q, "spec.scopes", &ns) != 0)
		ns = 0;
	if (kube_object_get_len(q, "spec.scopeSelector.matchExpressions", &ne) != 0)
		ne = 0;
	if (ns + ne == 0)
		return 0;
	if (!(v->scopes = kube_calloc(ns + ne, sizeof(*v->scopes))))
		return kube__error_oom();
	for (size_t i = 0; i < ns; i++) {
		snprintf(path, sizeof(path), "spec.scopes[%zu]", i);
		v->scopes[v->nscopes].name = str_at(q, path);
		v->scopes[v->nscopes++].op = "Exists";
	}
	for (size_t i = 0; i < ne; i++) {
		scope *s = &v->scopes[v->nscopes++];
		size_t nv = 0;
		snprintf(path, sizeof(path), "spec.scopeSelector.matchExpressions[%zu].scopeName", i);
		s->name = str_at(q, path);
		snprintf(path, sizeof(path), "spec.scopeSelector.matchExpressions[%zu].operator", i);
		s->op = str_at(q, path);
		snprintf(path, sizeof(path), "spec.scopeSelector.matchExpressions[%zu].values", i);
		if (kube_object_get_len(q, path, &nv) != 0)
			nv = 0;
		for (size_t j = 0; j < nv && s->nvalues < KUBE_ARRAY_SIZE(s->values); j++) {
			char vp[160];
			snprintf(vp, sizeof(vp), "%s[%zu]", path, j);
			if ((s->values[s->nvalues] = str_at(q, vp)) != NULL)
				s->nvalues++;
		}
	}
	return 0;
}

/* A quota as admission and the controller read it: status.hard and
 * status.used (or spec.hard, for the controller), and its scopes. */
static int qview_read(qview *v, const kube_object *q, int spec_hard)
{
	int rc;

	memset(v, 0, sizeof(*v));
	v->obj = q;
	if ((rc = rl_read(&v->hard, q, spec_hard ? "spec.hard" : "status.hard")) < 0 ||
	    (v->has_hard = rc, rc = rl_read(&v->used, q, "status.used")) < 0 ||
	    (v->has_used = rc, rc = read_scopes(v, q)) != 0) {
		qview_fini(v);
		return rc;
	}
	return 0;
}

/* qos.GetPodQOS(pod) == BestEffort: no positive cpu or memory request or
 * limit in any container. */
static int pod_best_effort(const kube_object *pod)
{
	static const char *const lists[] = { "containers", "initContainers" };
	static const char *const parts[] = { "requests", "limits" };

	for (size_t l = 0; l < 2; l++) {
		size_t n = 0;
		char path[64];
		snprintf(path, sizeof(path), "spec.%s", lists[l]);
		if (kube_object_get_len(pod, path, &n) != 0)
			continue;
		for (size_t i = 0; i < n; i++)
			for (size_t p = 0; p < 2; p++) {
				rlist r = RLIST_INIT;
				const kube_quantity *cpu, *mem;
				int found;
				snprintf(path, sizeof(path), "spec.%s[%zu].resources.%s", lists[l], i, parts[p]);
				rl_read(&r, pod, path);
				cpu = rl_get(&r, "cpu");
				mem = rl_get(&r, "memory");
				found = (cpu && kube_quantity_sign(cpu) > 0) || (mem && kube_quantity_sign(mem) > 0);
				rl_free(&r);
				if (found)
					return 0;
			}
	}
	return 1;
}

static int terms_cross_namespace(const kube_object *pod, const char *path, int weighted)
{
	size_t n = 0;
	char p[200];

	if (kube_object_get_len(pod, path, &n) != 0)
		return 0;
	for (size_t i = 0; i < n; i++) {
		size_t nn = 0;
		kube_value_type t;
		snprintf(p, sizeof(p), "%s[%zu]%s.namespaces", path, i, weighted ? ".podAffinityTerm" : "");
		if (kube_object_get_len(pod, p, &nn) == 0 && nn > 0)
			return 1;
		snprintf(p, sizeof(p), "%s[%zu]%s.namespaceSelector", path, i,
		         weighted ? ".podAffinityTerm" : "");
		if (kube_object_get_type(pod, p, &t) == 0 && t == KUBE_VALUE_MAP)
			return 1;
	}
	return 0;
}

/* usesCrossNamespacePodAffinity */
static int pod_cross_namespace(const kube_object *pod)
{
	static const char *const kinds[] = { "podAffinity", "podAntiAffinity" };
	char path[128];

	for (size_t k = 0; k < 2; k++) {
		snprintf(path, sizeof(path), "spec.affinity.%s.requiredDuringSchedulingIgnoredDuringExecution",
		         kinds[k]);
		if (terms_cross_namespace(pod, path, 0))
			return 1;
		snprintf(path, sizeof(path),
		         "spec.affinity.%s.preferredDuringSchedulingIgnoredDuringExecution", kinds[k]);
		if (terms_cross_namespace(pod, path, 1))
			return 1;
	}
	return 0;
}

/* podMatchesScopeFunc; every other kind matches no scope. */
static int scope_matches(const scope *s, const kube_kind_info *k, const kube_object *obj)
{
	int64_t ads;

	if (strcmp(k->resource, "pods") != 0 || *k->group || !s->name)
		return 0;
	if (strcmp(s->name, "Terminating") == 0 || strcmp(s->name, "NotTerminating") == 0) {
		int term = kube_object_get_int(obj, "spec.activeDeadlineSeconds", &ads) == 0 && ads >= 0;
		return s->name[0] == 'T' ? term : !term;
	}
	if (strcmp(s->name, "BestEffort") == 0)
		return pod_best_effort(obj);
	if (strcmp(s->name, "NotBestEffort") == 0)
		return !pod_best_effort(obj);
	if (strcmp(s->name, "CrossNamespacePodAffinity") == 0)
		return pod_cross_namespace(obj);
	if (strcmp(s->name, "PriorityClass") == 0) {
		const char *pc = str_at(obj, "spec.priorityClassName");
		int has = pc && *pc, in = 0;
		if (!s->op)
			return 0;
		if (strcmp(s->op, "Exists") == 0)
			return has;
		if (strcmp(s->op, "DoesNotExist") == 0)
			return !has;
		for (size_t i = 0; has && i < s->nvalues; i++)
			in |= strcmp(s->values[i], pc) == 0;
		if (strcmp(s->op, "In") == 0)
			return in;
		if (strcmp(s->op, "NotIn") == 0)
			return !in;
	}
	return 0;
}

static int scopes_match(const qview *v, const kube_kind_info *k, const kube_object *obj)
{
	for (size_t i = 0; i < v->nscopes; i++)
		if (!scope_matches(&v->scopes[i], k, obj))
			return 0;
	return 1;
}

/* ---- the controller ---- */

typedef struct charge {
	struct charge *next;
	const kube_kind_info *kind;
	char *ns, *name, *uid;
	int64_t revision;            /* the store's when the write was admitted */
	rlist delta;
} charge;

/* What the controller and the hook know of one quota beyond the cache. */
typedef struct qstate {
	char *key;
	kube_object *written;        /* the status this controller last wrote */
	charge *charges;
} qstate;

typedef struct watched {
	kube_informer *inf;
	kube_informer_handler *h;
	const kube_kind_info *kind;
} watched;

struct kube_resourcequota_controller {
	kube_store *store;
	kube_informer_factory *factory;
	kube_informer *quotas;
	kube_informer_handler *quotas_h;
	kube__strmap watched;        /* resource -> watched */
	kube__strmap states;         /* quota key -> qstate */
	kube_controller *runner;
	kube_clock_cb clock;
	void *clock_userdata;
	int64_t resync_ns;
	int hooked;
	kube_resourcequota_stats stats;
};

int kube_resourcequota_options_init(kube_resourcequota_options *opts, unsigned int version)
{
	kube_resourcequota_options def = KUBE_RESOURCEQUOTA_OPTIONS_INIT;

	KUBE_CHECK_ARG(opts);
	if (version == 0 || version > KUBE_RESOURCEQUOTA_OPTIONS_VERSION)
		return kube__error_set(KUBE_EINVAL, NULL,
		                       "kube_resourcequota_options_init: unknown version %u", version);
	*opts = def;
	opts->version = version;
	return 0;
}

static void charge_free(charge *ch)
{
	kube_free(ch->ns);
	kube_free(ch->name);
	kube_free(ch->uid);
	rl_free(&ch->delta);
	kube_free(ch);
}

static void qstate_free(kube_resourcequota_controller *c, qstate *s)
{
	while (s->charges) {
		charge *ch = s->charges;
		s->charges = ch->next;
		charge_free(ch);
		c->stats.charges--;
	}
	kube_object_unref(s->written);
	kube_free(s->key);
	kube_free(s);
}

static qstate *state_get(kube_resourcequota_controller *c, const char *key, int create)
{
	qstate *s = kube__strmap_get(&c->states, key);

	if (s || !create)
		return s;
	if (!(s = kube_calloc(1, sizeof(*s))) || !(s->key = kube_strdup(key))) {
		kube_free(s);
		return NULL;
	}
	if (kube__strmap_put(&c->states, s->key, s, NULL) != 0) {
		kube_free(s->key);
		kube_free(s);
		return NULL;
	}
	return s;
}

static int64_t rv_of(const kube_object *o)
{
	const char *rv = o ? kube_object_resource_version(o) : NULL;
	return rv ? strtoll(rv, NULL, 10) : 0;
}

/* The newest known state of a cached quota: the cache, or the status
 * this controller wrote if the cache has not seen it yet. */
static const kube_object *newest(kube_resourcequota_controller *c, const kube_object *cached,
                                 qstate **state)
{
	char key[512];
	qstate *s;

	snprintf(key, sizeof(key), "%s/%s", kube_object_namespace(cached), kube_object_name(cached));
	s = state_get(c, key, 0);
	if (state)
		*state = s;
	if (s && s->written && rv_of(s->written) > rv_of(cached))
		return s->written;
	return cached;
}

static void enqueue_namespace(kube_resourcequota_controller *c, const char *ns)
{
	kube_object_list *l = NULL;

	if (!ns || kube_informer_list(&l, c->quotas, ns, NULL) != 0)
		return;
	for (size_t i = 0; i < kube_object_list_count(l); i++)
		kube_controller_enqueue_object(c->runner, kube_object_list_get(l, i));
	kube_object_list_free(l);
}

/* Replenishment: a tracked object changed, its namespace's quotas may. */
static void on_obj_add(kube_informer *inf, kube_object *obj, int initial, void *ud)
{
	KUBE_UNUSED(inf);
	KUBE_UNUSED(initial);
	enqueue_namespace(ud, kube_object_namespace(obj));
}

static void on_obj_update(kube_informer *inf, kube_object *old, kube_object *cur, void *ud)
{
	KUBE_UNUSED(inf);
	if (old == cur || rv_of(old) == rv_of(cur))
		return;   /* a resync: the quota's own resync covers it */
	enqueue_namespace(ud, kube_object_namespace(cur));
}

static void on_obj_delete(kube_informer *inf, kube_object *obj, int unknown, void *ud)
{
	KUBE_UNUSED(inf);
	KUBE_UNUSED(unknown);
	enqueue_namespace(ud, kube_object_namespace(obj));
}

/* The informer of kind k, made (and watched for replenishment) on first
 * use.  Never from the hook: making an informer lists the store. */
static int informer_for(kube_resourcequota_controller *c, const kube_kind_info *k,
                        kube_informer **out)
{
	kube_informer_handlers h = { KUBE_INFORMER_HANDLERS_VERSION, on_obj_add, on_obj_update,
	                             on_obj_delete };
	char key[256], *wkey;
	watched *w;
	int rc;

	snprintf(key, sizeof(key), "%s.%s", k->resource, k->group);
	if ((w = kube__strmap_get(&c->watched, key)) != NULL) {
		*out = w->inf;
		return 0;
	}
	if (!(w = kube_calloc(1, sizeof(*w))) || !(wkey = kube_strdup(key))) {
		kube_free(w);
		return kube__error_oom();
	}
	w->kind = k;
	if ((rc = kube_informer_factory_get(&w->inf, c->factory, k->resource)) != 0 ||
	    (rc = kube__strmap_put(&c->watched, wkey, w, NULL)) != 0) {
		kube_free(wkey);
		kube_free(w);
		return rc;
	}
	/* the cached objects replay as adds: this quota syncs once more */
	if ((rc = kube_informer_add_handler(&w->h, w->inf, &h, c, NULL)) != 0)
		return rc;
	*out = w->inf;
	return 0;
}

static void on_quota_add(kube_informer *inf, kube_object *q, int initial, void *ud)
{
	kube_resourcequota_controller *c = ud;

	KUBE_UNUSED(inf);
	KUBE_UNUSED(initial);
	kube_controller_enqueue_object(c->runner, q);
}

static int same_json(const kube_object *a, const kube_object *b, const char *path)
{
	char *ja = NULL, *jb = NULL;
	int same;

	kube_object_get_json(a, path, &ja);
	kube_object_get_json(b, path, &jb);
	same = (!ja && !jb) || (ja && jb && strcmp(ja, jb) == 0);
	kube_free(ja);
	kube_free(jb);
	return same;
}

static void on_quota_update(kube_informer *inf, kube_object *old, kube_object *cur, void *ud)
{
	kube_resourcequota_controller *c = ud;

	KUBE_UNUSED(inf);
	/* status is this controller's own: only a new spec needs a sync (the
	 * periodic resync recalculates the rest) */
	if (old != cur && same_json(old, cur, "spec"))
		return;
	kube_controller_enqueue_object(c->runner, cur);
}

static void on_quota_delete(kube_informer *inf, kube_object *q, int unknown, void *ud)
{
	kube_resourcequota_controller *c = ud;
	char key[512];
	qstate *s;

	KUBE_UNUSED(inf);
	KUBE_UNUSED(unknown);
	snprintf(key, sizeof(key), "%s/%s", kube_object_namespace(q), kube_object_name(q));
	if ((s = kube__strmap_remove(&c->states, key)) != NULL)
		qstate_free(c, s);
}

/* ---- sync ---- */

static int64_t now_ns(const kube_resourcequota_controller *c)
{
	return c->clock(c->clock_userdata);
}

/* CalculateUsage: the usage of the resources `hard` names that an
 * evaluator tracks, each starting at 0, from the caches. */
static int calculate_usage(kube_resourcequota_controller *c, const qview *v, const char *ns,
                           rlist *out)
{
	const kube_kind_info *done[64];
	size_t ndone = 0;
	int64_t now = now_ns(c);
	int rc;

	for (size_t i = 0; i < v->hard.n; i++) {
		const kube_kind_info *k = tracked_kind(v->hard.v[i].name);
		kube_object_list *l = NULL;
		kube_informer *inf;
		int seen = 0;

		if (!k)
			continue;
		for (size_t j = 0; j < ndone; j++)
			seen |= done[j] == k;
		if (seen || ndone == KUBE_ARRAY_SIZE(done))
			continue;
		done[ndone++] = k;
		if ((rc = informer_for(c, k, &inf)) != 0)
			return rc;
		if (!kube_informer_has_synced(inf))
			return kube__error_set(KUBE_EBUSY, NULL, "%s not yet synced", k->resource);
		for (size_t j = 0; j < v->hard.n; j++) {
			kube_quantity zero;
			kube_quantity_from_int(&zero, 0, KUBE_QUANTITY_DECIMAL_SI);
			if (tracks(k, v->hard.v[j].name) && (rc = rl_set(out, v->hard.v[j].name, &zero)) != 0)
				return rc;
		}
		if ((rc = kube_informer_list(&l, inf, ns, NULL)) != 0)
			return rc;
		for (size_t j = 0; j < kube_object_list_count(l) && rc == 0; j++) {
			const kube_object *o = kube_object_list_get(l, j);
			rlist u = RLIST_INIT;
			if (!scopes_match(v, k, o))
				continue;
			if ((rc = object_usage(&u, k, o, now)) == 0)
				for (size_t e = 0; e < u.n && rc == 0; e++)
					if (rl_find(out, u.v[e].name) && tracks(k, u.v[e].name))
						rc = rl_add(out, u.v[e].name, &u.v[e].q);
			rl_free(&u);
		}
		kube_object_list_free(l);
		if (rc != 0)
			return rc;
	}
	return 0;
}

/* How soon after a charge its quota is synced again. */
#define CHARGE_RECHECK_NS ((int64_t)1000000000)

/* What becomes of a charge at this sync. */
enum { CH_KEEP, CH_COUNTED, CH_GONE };

static int charge_fate(kube_resourcequota_controller *c, const charge *ch)
{
	kube_informer *inf;
	kube_object *o, *stored = NULL;
	int fate = CH_KEEP;

	/* Counted once the cache holds a version written after the charge:
	 * for an update the cache always has the object (the old version,
	 * same uid), which does not hold the growth yet. */
	if (informer_for(c, ch->kind, &inf) == 0 && (o = kube_informer_get(inf, ch->ns, ch->name)) &&
	    kube_object_uid(o) && strcmp(kube_object_uid(o), ch->uid) == 0 &&
	    rv_of(o) > ch->revision)
		return CH_COUNTED;
	/* not in the cache: still being written, written but not seen yet, or
	 * never written (refused later in its batch, failed) or gone again */
	if (kube_store_revision(c->store) <= ch->revision)
		return CH_KEEP;
	if (kube_store_get(&stored, c->store, ch->kind->resource, ch->ns, ch->name) != 0 ||
	    !kube_object_uid(stored) || strcmp(kube_object_uid(stored), ch->uid) != 0)
		fate = CH_GONE;
	kube_object_unref(stored);
	return fate;
}

/* Drops the charges whose fate is `fate` (and those gone). */
static void retire_charges(kube_resourcequota_controller *c, qstate *s, const int *fates,
                           size_t n)
{
	charge **pp = &s->charges;

	for (size_t i = 0; *pp && i < n; i++) {
		charge *ch = *pp;
		if (fates[i] != CH_KEEP) {
			*pp = ch->next;
			charge_free(ch);
			c->stats.charges--;
		} else {
			pp = &ch->next;
		}
	}
}

static int status_mutate(kube_object *q, void *ud)
{
	return kube_object_set_json(q, "status", ud);
}

static int sync_quota(kube_controller *runner, const char *key, int64_t *after, void *ud)
{
	kube_resourcequota_controller *c = ud;
	kube_object *cached, *q = NULL, *written = NULL;
	qview v, cur;
	rlist fresh = RLIST_INIT, used = RLIST_INIT, hard_copy = RLIST_INIT;
	qstate *s;
	int *fates = NULL;
	size_t nch = 0;
	int rc, dirty;

	KUBE_UNUSED(runner);
	if (!(cached = kube_informer_get_by_key(c->quotas, key))) {
		if ((s = kube__strmap_remove(&c->states, key)) != NULL)
			qstate_free(c, s);
		return 0;
	}
	q = kube_object_ref((kube_object *)newest(c, cached, &s));
	if ((rc = qview_read(&v, q, 1)) != 0) {
		kube_object_unref(q);
		return rc;
	}
	if ((rc = qview_read(&cur, q, 0)) != 0)
		goto out_v;
	/* the charges' fates first: a charge counted in this computation must
	 * not be added to it again */
	for (charge *ch = s ? s->charges : NULL; ch; ch = ch->next)
		nch++;
	if (nch && !(fates = kube_calloc(nch, sizeof(*fates)))) {
		rc = kube__error_oom();
		goto out;
	}
	nch = 0;
	for (charge *ch = s ? s->charges : NULL; ch; ch = ch->next)
		fates[nch++] = charge_fate(c, ch);
	if ((rc = calculate_usage(c, &v, kube_object_namespace(q), &fresh)) != 0)
		goto out;
	/* the old usage, overwritten by the new, masked to hard */
	for (size_t i = 0; i < v.hard.n && rc == 0; i++) {
		const kube_quantity *nq = rl_get(&fresh, v.hard.v[i].name);
		const kube_quantity *oq = rl_get(&cur.used, v.hard.v[i].name);
		if (nq || oq)
			rc = rl_set(&used, v.hard.v[i].name, nq ? nq : oq);
	}
	if (rc != 0)
		goto out;
	dirty = !cur.has_hard || !cur.has_used || !rl_equal(&v.hard, &cur.hard) ||
	        !rl_equal(&used, &cur.used);
	if (dirty) {
		kube__buf b = KUBE__BUF_INIT;
		char *json;
		if ((rc = rl_copy(&hard_copy, &v.hard)) != 0)
			goto out;
		kube__buf_puts(&b, "{\"hard\":");
		rl_json(&b, &hard_copy);
		kube__buf_puts(&b, ",\"used\":");
		rl_json(&b, &used);
		kube__buf_putc(&b, '}');
		if (b.failed) {
			kube__buf_free(&b);
			rc = kube__error_oom();
			goto out;
		}
		json = kube__buf_detach(&b, NULL);
		rc = kube_store_guaranteed_update(&written, c->store, "resourcequotas",
		                                  kube_object_namespace(q), kube_object_name(q),
		                                  status_mutate, json);
		kube_free(json);
		if (rc != 0)
			goto out;
		c->stats.status_writes++;
		if (!s && !(s = state_get(c, key, 1))) {
			rc = kube__error_oom();
			goto out;
		}
		kube_object_unref(s->written);
		s->written = kube_object_ref(written);
	}
	/* the status now known counts what this sync counted */
	if (s)
		retire_charges(c, s, fates, nch);
	*after = c->resync_ns;
out:
	qview_fini(&cur);
out_v:
	qview_fini(&v);
	rl_free(&fresh);
	rl_free(&used);
	rl_free(&hard_copy);
	kube_free(fates);
	kube_object_unref(written);
	kube_object_unref(q);
	return rc;
}

/* ---- admission ---- */

/* Handles: pods and counted kinds on create; services and claims also on
 * update (a type or a size may change). */
static int handles(const kube_kind_info *k, kube_admission_operation op)
{
	if (op == KUBE_ADMISSION_CREATE)
		return 1;
	return op == KUBE_ADMISSION_UPDATE && !*k->group &&
	       (strcmp(k->resource, "services") == 0 ||
	        strcmp(k->resource, "persistentvolumeclaims") == 0);
}

/* podEvaluator.Constraints: a quota on cpu or memory wants every
 * container to say how much it uses. */
static void pod_constraints(const kube_object *pod, const rlist *matching, kube__buf *msg)
{
	static const char *const validated[] = { "cpu", "limits.cpu", "limits.memory", "memory",
		                                  "requests.cpu", "requests.memory" };   /* sorted */
	static const char *const lists[] = { "containers", "initContainers" };
	kube__buf names[KUBE_ARRAY_SIZE(validated)];
	int any = 0;

	memset(names, 0, sizeof(names));
	for (size_t l = 0; l < 2; l++) {
		size_t n = 0;
		char path[64];
		snprintf(path, sizeof(path), "spec.%s", lists[l]);
		if (kube_object_get_len(pod, path, &n) != 0)
			continue;
		for (size_t i = 0; i < n; i++) {
			rlist req = RLIST_INIT, lim = RLIST_INIT, u = RLIST_INIT;
			const char *cname;
			snprintf(path, sizeof(path), "spec.%s[%zu].name", lists[l], i);
			cname = str_at(pod, path);
			container_resources(pod, lists[l], i, &req, &lim);
			compute_usage(&u, &req, &lim);
			for (size_t r = 0; r < KUBE_ARRAY_SIZE(validated); r++)
				if (rl_find(matching, validated[r]) && !rl_find(&u, validated[r])) {
					kube__buf_printf(&names[r], "%s%s", names[r].len ? "\n" : "",
					                 cname ? cname : "");
					any = 1;
				}
			rl_free(&req);
			rl_free(&lim);
			rl_free(&u);
		}
	}
	if (any) {
		int first = 1;
		kube__buf_puts(msg, "must specify ");
		for (size_t r = 0; r < KUBE_ARRAY_SIZE(validated); r++) {
			/* the container names as a sorted set, joined by "," */
			char *v[256];
			size_t nv = 0;
			char *p;
			if (!names[r].len)
				continue;
			for (p = names[r].data; p && nv < KUBE_ARRAY_SIZE(v);) {
				char *nl = strchr(p, '\n');
				v[nv++] = p;
				if (nl)
					*nl = '\0';
				p = nl ? nl + 1 : NULL;
			}
			for (size_t a = 1; a < nv; a++)
				for (size_t b2 = a; b2 > 0 && strcmp(v[b2 - 1], v[b2]) > 0; b2--) {
					char *t = v[b2];
					v[b2] = v[b2 - 1];
					v[b2 - 1] = t;
				}
			kube__buf_printf(msg, "%s%s for: ", first ? "" : "; ", validated[r]);
			for (size_t a = 0; a < nv; a++)
				if (a == 0 || strcmp(v[a], v[a - 1]) != 0)
					kube__buf_printf(msg, "%s%s", a ? "," : "", v[a]);
			first = 0;
		}
	}
	for (size_t r = 0; r < KUBE_ARRAY_SIZE(validated); r++)
		kube__buf_free(&names[r]);
}

/* The names of l, sorted, joined by "," (prettyPrintResourceNames). */
static void names_pretty(kube__buf *b, rlist *l)
{
	rl_sort(l);
	for (size_t i = 0; i < l->n; i++)
		kube__buf_printf(b, "%s%s", i ? "," : "", l->v[i].name);
}

/* One quota that applies to the write. */
typedef struct applies {
	const kube_object *q;
	qstate *state;
	rlist delta;                 /* requested: the usage masked to hard, no zeros */
} applies;

static int refuse(char *message, size_t size, kube__buf *b)
{
	snprintf(message, size, "%s", b->failed || !b->data ? "quota check ran out of memory" : b->data);
	kube__buf_free(b);
	return KUBE_EPERM;
}

/* SubtractWithNonNegativeResult */
static int subtract_floor(rlist *out, const rlist *a, const rlist *b)
{
	kube_quantity zero;
	int rc;

	kube_quantity_from_int(&zero, 0, KUBE_QUANTITY_DECIMAL_SI);
	for (size_t i = 0; i < a->n; i++) {
		kube_quantity d = a->v[i].q;
		const kube_quantity *o = rl_get(b, a->v[i].name);
		if (o && (rc = kube_quantity_sub(&d, &d, o)) != 0)
			return rc;
		if ((rc = rl_set(out, a->v[i].name, kube_quantity_sign(&d) > 0 ? &d : &zero)) != 0)
			return rc;
	}
	for (size_t i = 0; i < b->n; i++)
		if (!rl_find(out, b->v[i].name) && (rc = rl_set(out, b->v[i].name, &zero)) != 0)
			return rc;
	return 0;
}

static int check_quota(kube_resourcequota_controller *c, const kube_admission_request *req,
                       const kube_kind_info *k, const kube_object *q, qstate *s,
                       const rlist *usage, applies *ap, char *message, size_t size)
{
	qview v;
	rlist matching = RLIST_INIT, delta = RLIST_INIT, used = RLIST_INIT, exceeded = RLIST_INIT;
	kube__buf b = KUBE__BUF_INIT;
	int rc = 0;

	KUBE_UNUSED(c);
	memset(ap, 0, sizeof(*ap));
	if ((rc = qview_read(&v, q, 0)) != 0)
		return rc;
	for (size_t i = 0; i < v.hard.n && rc == 0; i++)
		if (tracks(k, v.hard.v[i].name))
			rc = rl_set(&matching, v.hard.v[i].name, &v.hard.v[i].q);
	if (rc != 0 || matching.n == 0 || !scopes_match(&v, k, req->object))
		goto out;   /* Matches: false */
	if (strcmp(k->resource, "pods") == 0 && !*k->group) {
		kube__buf m = KUBE__BUF_INIT;
		pod_constraints(req->object, &matching, &m);
		if (m.len) {
			kube__buf_printf(&b, "failed quota: %s: %s", kube_object_name(q), m.data);
			kube__buf_free(&m);
			rc = refuse(message, size, &b);
			goto out;
		}
		kube__buf_free(&m);
	}
	for (size_t i = 0; i < matching.n; i++)
		if (!rl_find(&v.used, matching.v[i].name)) {
			kube__buf_printf(&b, "status unknown for quota: %s, resources: ", kube_object_name(q));
			names_pretty(&b, &matching);
			rc = refuse(message, size, &b);
			goto out;
		}
	/* the delta: for an update of an object this quota also counted, only
	 * what grew */
	if (req->operation == KUBE_ADMISSION_UPDATE && req->old &&
	    kube_object_resource_version(req->old) && scopes_match(&v, k, req->old)) {
		rlist prev = RLIST_INIT;
		if ((rc = object_usage(&prev, k, req->old, now_ns(c))) == 0)
			rc = subtract_floor(&delta, usage, &prev);
		rl_free(&prev);
	} else {
		rc = rl_copy(&delta, usage);
	}
	if (rc != 0)
		goto out;
	/* RemoveZeros, then Mask to hard */
	for (size_t i = 0; i < delta.n && rc == 0; i++)
		if (!kube_quantity_is_zero(&delta.v[i].q) && rl_find(&v.hard, delta.v[i].name))
			rc = rl_set(&ap->delta, delta.v[i].name, &delta.v[i].q);
	if (rc != 0 || ap->delta.n == 0)
		goto out;
	/* used as admission sees it: the status plus the charges since */
	if ((rc = rl_copy(&used, &v.used)) != 0)
		goto out;
	for (charge *ch = s ? s->charges : NULL; ch && rc == 0; ch = ch->next)
		rc = rl_add_all(&used, &ch->delta);
	for (size_t i = 0; i < v.hard.n && rc == 0; i++) {
		const kube_quantity *d = rl_get(&ap->delta, v.hard.v[i].name);
		const kube_quantity *u = rl_get(&used, v.hard.v[i].name);
		kube_quantity sum;
		if (!d)
			continue;
		sum = *d;
		if (u && (rc = kube_quantity_add(&sum, u, d)) != 0)
			break;
		if (kube_quantity_cmp(&sum, &v.hard.v[i].q) > 0)
			rc = rl_set(&exceeded, v.hard.v[i].name, &v.hard.v[i].q);
	}
	if (rc != 0)
		goto out;
	if (exceeded.n) {
		rlist r = RLIST_INIT, u = RLIST_INIT;
		for (size_t i = 0; i < exceeded.n; i++) {
			const kube_quantity *x;
			if ((x = rl_get(&ap->delta, exceeded.v[i].name)) != NULL)
				rl_set(&r, exceeded.v[i].name, x);
			if ((x = rl_get(&used, exceeded.v[i].name)) != NULL)
				rl_set(&u, exceeded.v[i].name, x);
		}
		kube__buf_printf(&b, "exceeded quota: %s, requested: ", kube_object_name(q));
		rl_pretty(&b, &r);
		kube__buf_puts(&b, ", used: ");
		rl_pretty(&b, &u);
		kube__buf_puts(&b, ", limited: ");
		rl_pretty(&b, &exceeded);
		rl_free(&r);
		rl_free(&u);
		rc = refuse(message, size, &b);
		goto out;
	}
	ap->q = q;
	ap->state = s;
out:
	if (!ap->q)
		rl_free(&ap->delta);
	qview_fini(&v);
	rl_free(&matching);
	rl_free(&delta);
	rl_free(&used);
	rl_free(&exceeded);
	kube__buf_free(&b);
	return rc;
}

static int record_charge(kube_resourcequota_controller *c, const kube_admission_request *req,
                         const kube_kind_info *k, applies *ap)
{
	char key[512];
	charge *ch, **tail;

	snprintf(key, sizeof(key), "%s/%s", kube_object_namespace(ap->q), kube_object_name(ap->q));
	if (!ap->state && !(ap->state = state_get(c, key, 1)))
		return kube__error_oom();
	if (!(ch = kube_calloc(1, sizeof(*ch))) || !(ch->ns = kube_strdup(req->namespace_)) ||
	    !(ch->name = kube_strdup(req->name)) ||
	    !(ch->uid = kube_strdup(kube_object_uid(req->object) ? kube_object_uid(req->object) : ""))) {
		if (ch)
			charge_free(ch);
		return kube__error_oom();
	}
	ch->kind = k;
	ch->revision = kube_store_revision(c->store);
	ch->delta = ap->delta;
	memset(&ap->delta, 0, sizeof(ap->delta));
	for (tail = &ap->state->charges; *tail; tail = &(*tail)->next)
		;
	*tail = ch;
	c->stats.charges++;
	/* A sync soon retires the charge once the write is seen, or drops it
	 * if the write never happened (refused later, failed), instead of
	 * holding the quota until the resync period. */
	kube_controller_enqueue_after(c->runner, key, CHARGE_RECHECK_NS);
	return 0;
}

static int admit(const kube_admission_request *req, char *message, size_t size, void *ud)
{
	kube_resourcequota_controller *c = ud;
	const kube_kind_info *k;
	kube_object_list *l = NULL;
	applies *aps = NULL;
	rlist usage = RLIST_INIT;
	size_t n, napplies = 0;
	int rc = 0;

	if (!req->namespace_ || !req->object || !*req->namespace_)
		return 0;
	k = kube_kind_lookup(kube_object_api_version(req->object), kube_object_kind(req->object));
	if (!k)
		k = kube_kind_find(req->resource);
	if (!k || strcmp(k->resource, "events") == 0 || !handles(k, req->operation))
		return 0;
	/* An empty cache before the quotas were listed would admit what a
	 * quota refuses.  Upstream's plugin waits (10 s) for its informers and
	 * then refuses in these words; the hook may not wait (it runs on the
	 * store's turn), so it refuses at once: until the informer factory is
	 * started, or while a failed list leaves the cache unsynced. */
	if (!kube_informer_has_synced(c->quotas)) {
		snprintf(message, size, "not yet ready to handle request");
		c->stats.refused++;
		return KUBE_EPERM;
	}
	if (kube_informer_list(&l, c->quotas, req->namespace_, NULL) != 0)
		return 0;   /* no memory to look: as upstream without a lister, let it be */
	if ((n = kube_object_list_count(l)) == 0)
		goto out;
	if ((rc = object_usage(&usage, k, req->object, now_ns(c))) != 0)
		goto out;
	for (size_t i = 0; i < usage.n; i++)
		if (kube_quantity_sign(&usage.v[i].q) < 0) {
			kube__buf b = KUBE__BUF_INIT;
			rlist neg = RLIST_INIT;
			for (size_t j = 0; j < usage.n; j++)
				if (kube_quantity_sign(&usage.v[j].q) < 0)
					rl_set(&neg, usage.v[j].name, &usage.v[j].q);
			kube__buf_puts(&b, "quota usage is negative for resource(s): ");
			names_pretty(&b, &neg);
			rl_free(&neg);
			rc = refuse(message, size, &b);
			goto out;
		}
	if (!(aps = kube_calloc(n, sizeof(*aps)))) {
		rc = kube__error_oom();
		goto out;
	}
	/* every quota first, then the charges: a refusal by one charges none */
	for (size_t i = 0; i < n && rc == 0; i++) {
		qstate *s;
		const kube_object *q = newest(c, kube_object_list_get(l, i), &s);
		rc = check_quota(c, req, k, q, s, &usage, &aps[napplies], message, size);
		if (rc == 0 && aps[napplies].q)
			napplies++;
	}
	for (size_t i = 0; i < napplies && rc == 0; i++)
		rc = record_charge(c, req, k, &aps[i]);
	if (rc == 0 && napplies)
		c->stats.admitted++;
out:
	if (rc == KUBE_EPERM)
		c->stats.refused++;
	for (size_t i = 0; aps && i < napplies; i++)
		rl_free(&aps[i].delta);
	kube_free(aps);
	rl_free(&usage);
	kube_object_list_free(l);
	return rc;
}

/* ---- life cycle ---- */

int kube_resourcequota_controller_new(kube_resourcequota_controller **out,
                                      kube_informer_factory *f, kube_store *store,
                                      const kube_resourcequota_options *opts)
{
	static const kube_resourcequota_options def = KUBE_RESOURCEQUOTA_OPTIONS_INIT;
	kube_informer_handlers qh = { KUBE_INFORMER_HANDLERS_VERSION, on_quota_add, on_quota_update,
	                              on_quota_delete };
	kube_workqueue_options queue = KUBE_WORKQUEUE_OPTIONS_INIT;
	kube_controller_options copts = KUBE_CONTROLLER_OPTIONS_INIT;
	kube_resourcequota_controller *c;
	kube_informer *pods;
	int rc;

	KUBE_CHECK_ARG(out);
	*out = NULL;
	KUBE_CHECK_ARG(f);
	KUBE_CHECK_ARG(store);
	if (!opts)
		opts = &def;
	if (opts->version == 0 || opts->version > KUBE_RESOURCEQUOTA_OPTIONS_VERSION)
		return kube__error_set(KUBE_EINVAL, NULL,
		                       "kube_resourcequota_controller_new: unknown options version %u",
		                       opts->version);
	if (opts->workers == 0)
		return kube__error_set(KUBE_EINVAL, NULL,
		                       "kube_resourcequota_controller_new: workers must be >= 1");
	if (opts->resync_period_ns <= 0)
		return kube__error_set(KUBE_EINVAL, NULL,
		                       "kube_resourcequota_controller_new: resync_period_ns must be > 0");
	if (!(c = kube_calloc(1, sizeof(*c))))
		return kube__error_oom();
	c->store = store;
	c->factory = f;
	c->clock = opts->clock ? opts->clock : kube__clock_realtime;
	c->clock_userdata = opts->clock ? opts->clock_userdata : NULL;
	c->resync_ns = opts->resync_period_ns;
	c->stats.version = KUBE_RESOURCEQUOTA_STATS_VERSION;
	if (opts->queue)
		queue = *opts->queue;
	if (opts->clock && !queue.clock) {
		queue.clock = opts->clock;
		queue.clock_userdata = opts->clock_userdata;
	}
	copts.name = "resourcequota";
	copts.workers = opts->workers;
	copts.queue = &queue;
	if ((rc = kube_informer_factory_get(&c->quotas, f, "resourcequotas")) != 0 ||
	    (rc = kube_controller_new(&c->runner, kube__informer_loop(c->quotas), &copts, sync_quota,
	                              c, NULL)) != 0 ||
	    (rc = informer_for(c, kube_kind_for_resource("", "pods"), &pods)) != 0 ||
	    (rc = kube_informer_add_handler(&c->quotas_h, c->quotas, &qh, c, NULL)) != 0 ||
	    (rc = kube_store_add_admission(store, NULL, admit, c, NULL)) != 0) {
		kube_resourcequota_controller_free(c);
		return rc;
	}
	c->hooked = 1;
	if ((rc = kube_controller_start(c->runner)) != 0) {
		kube_resourcequota_controller_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

void kube_resourcequota_controller_free(kube_resourcequota_controller *c)
{
	if (!c)
		return;
	if (c->hooked)
		kube_store_remove_admission(c->store, admit, c);
	if (c->quotas_h)
		kube_informer_remove_handler(c->quotas, c->quotas_h);
	for (size_t i = 0; i < c->watched.cap; i++) {
		watched *w = c->watched.slots[i].key ? c->watched.slots[i].val : NULL;
		if (!w)
			continue;
		if (w->h)
			kube_informer_remove_handler(w->inf, w->h);
		kube_free((char *)c->watched.slots[i].key);
		kube_free(w);
	}
	kube__strmap_fini(&c->watched);
	for (size_t i = 0; i < c->states.cap; i++)
		if (c->states.slots[i].key)
			qstate_free(c, c->states.slots[i].val);
	kube__strmap_fini(&c->states);
	kube_controller_free(c->runner);
	kube_free(c);
}

kube_controller *kube_resourcequota_controller_runner(kube_resourcequota_controller *c)
{
	return c ? c->runner : NULL;
}

int kube_resourcequota_controller_get_stats(const kube_resourcequota_controller *c,
                                            kube_resourcequota_stats *out)
{
	KUBE_CHECK_ARG(c);
	KUBE_CHECK_ARG(out);
	if (out->version == 0 || out->version > KUBE_RESOURCEQUOTA_STATS_VERSION)
		return kube__error_set(KUBE_EINVAL, NULL,
		                       "kube_resourcequota_controller_get_stats: unknown version %u",
		                       out->version);
	*out = c->stats;
	out->version = KUBE_RESOURCEQUOTA_STATS_VERSION;
	return 0;
}
