/*
 * podview.c - the scheduler's view of a pod, derived once per pod version.
 *
 * Everything the filters and scores ask of a pod is read from its JSON
 * tree here, once: the resource requests (computed as upstream's
 * resourcehelper.PodRequests: the sum over containers, then the maximum
 * with each init container, sidecars (restartPolicy: Always) adding to
 * both, then the pod overhead), the same with upstream's defaults for
 * missing cpu/memory requests (used by the scores), the node selector,
 * the node affinity terms, tolerations, host ports and images.  A stored
 * (compact) pod is parsed for the view and its tree dropped, the strings
 * the view keeps interned; a pod with pod (anti-)affinity or spread
 * constraints compiles selectors through the object, and there the
 * strings are borrowed from the tree the object keeps.  The view keeps a
 * reference to the pod object either way.
 *
 * Upstream parses node selector terms lazily and a term that fails to
 * parse simply never matches (NewLazyErrorNodeSelector); a term here gets
 * `invalid` and the matcher answers no.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "libkube/quantity.h"
#include "object/object_private.h"
#include "sched_private.h"

int kube__quantity_json(const char *s, int milli, int64_t *out)
{
	kube_quantity q;
	if (!s)
		return kube__error_set(KUBE_EINVAL, NULL, "quantity: Required value");
	int rc = kube_quantity_parse(&q, s);
	if (rc != 0)
		return rc;
	return milli ? kube_quantity_milli(&q, out) : kube_quantity_value(&q, out);
}

static json_object *jget(json_object *o, const char *key)
{
	json_object *v;
	if (!o || !json_object_is_type(o, json_type_object) ||
	    !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

static const char *jstr(json_object *o, const char *key)
{
	json_object *v = jget(o, key);
	return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

static size_t jlen(json_object *a)
{
	return json_object_is_type(a, json_type_array) ? json_object_array_length(a) : 0;
}

/* A resource vector while requests are summed; any number of extended
 * resources (the array grows). */
typedef struct rvec {
	int64_t v[3];           /* cpu milli, memory, ephemeral-storage */
	kube__scalar *sc;
	size_t nsc, cap;
} rvec;

static void rv_free(rvec *r)
{
	kube_free(r->sc);
	memset(r, 0, sizeof(*r));
}

/* Empties r, keeping its array. */
static void rv_clear(rvec *r)
{
	memset(r->v, 0, sizeof(r->v));
	r->nsc = 0;
}

static int rv_slot(rvec *r, uint32_t id, int64_t **out)
{
	for (size_t i = 0; i < r->nsc; i++)
		if (r->sc[i].id == id) {
			*out = &r->sc[i].value;
			return 0;
		}
	if (r->nsc == r->cap) {
		size_t nc = r->cap ? r->cap * 2 : 4;
		kube__scalar *v = kube_realloc(r->sc, nc * sizeof(*v));
		if (!v)
			return kube__error_oom();
		r->sc = v;
		r->cap = nc;
	}
	r->sc[r->nsc] = (kube__scalar){ id, 0 };
	*out = &r->sc[r->nsc++].value;
	return 0;
}

static int rv_add(rvec *a, const rvec *b)
{
	for (int i = 0; i < 3; i++)
		a->v[i] += b->v[i];
	for (size_t i = 0; i < b->nsc; i++) {
		int64_t *p = NULL;
		if (rv_slot(a, b->sc[i].id, &p) != 0)
			return KUBE_ENOMEM;
		*p += b->sc[i].value;
	}
	return 0;
}

/* a = b (a's array reused) */
static int rv_copy(rvec *a, const rvec *b)
{
	rv_clear(a);
	return rv_add(a, b);
}

static int rv_max(rvec *a, const rvec *b)
{
	for (int i = 0; i < 3; i++)
		if (b->v[i] > a->v[i])
			a->v[i] = b->v[i];
	for (size_t i = 0; i < b->nsc; i++) {
		int64_t *p = NULL;
		if (rv_slot(a, b->sc[i].id, &p) != 0)
			return KUBE_ENOMEM;
		if (b->sc[i].value > *p)
			*p = b->sc[i].value;
	}
	return 0;
}

/* Reads a requests (or overhead) map.  nz: apply upstream's defaults for
 * missing cpu / memory (NonMissingContainerRequests). */
static int rv_read(rvec *r, json_object *map, kube__intern *names, int nz)
{
	rv_clear(r);
	int has_cpu = 0, has_mem = 0;
	if (json_object_is_type(map, json_type_object)) {
		json_object_object_foreach(map, key, val) {
			int64_t v;
			int cpu = strcmp(key, "cpu") == 0;
			int rc = kube__quantity_json(json_object_get_string(val), cpu, &v);
			if (rc != 0) {
				kube__error_prefix_field(key);
				return rc;
			}
			if (cpu) {
				r->v[0] = v;
				has_cpu = 1;
			} else if (strcmp(key, "memory") == 0) {
				r->v[1] = v;
				has_mem = 1;
			} else if (strcmp(key, "ephemeral-storage") == 0) {
				r->v[2] = v;
			} else if (strchr(key, '/') || strncmp(key, "hugepages-", 10) == 0 ||
			           strncmp(key, "attachable-volumes-", 19) == 0) {
				uint32_t id;
				int64_t *p = NULL;
				if (kube__intern_id(names, key, &id) != 0)
					return KUBE_ENOMEM;
				if (rv_slot(r, id, &p) != 0)
					return KUBE_ENOMEM;
				*p = v;
			}
		}
	}
	if (nz) {
		if (!has_cpu)
			r->v[0] = KUBE__DEFAULT_MILLI_CPU;
		if (!has_mem)
			r->v[1] = KUBE__DEFAULT_MEMORY;
	}
	return 0;
}

/* resourcehelper.PodRequests over spec.  out must be zeroed or a vector
 * from an earlier call (its array is reused); the caller frees it. */
static int pod_requests(rvec *out, json_object *spec, kube__intern *names, int nz)
{
	rvec c = { { 0 }, NULL, 0, 0 }, restartable = c, init = c, tmp = c;
	int rc = 0;
	rv_clear(out);
	json_object *cs = jget(spec, "containers");
	for (size_t i = 0; i < jlen(cs) && rc == 0; i++) {
		json_object *res = jget(jget(json_object_array_get_idx(cs, i), "resources"), "requests");
		rc = rv_read(&c, res, names, nz);
		if (rc == 0)
			rc = rv_add(out, &c);
		if (rc != 0) {
			char f[64];
			snprintf(f, sizeof(f), "spec.containers[%zu].resources.requests", i);
			kube__error_prefix_field(f);
		}
	}
	json_object *ics = jget(spec, "initContainers");
	for (size_t i = 0; i < jlen(ics) && rc == 0; i++) {
		json_object *ic = json_object_array_get_idx(ics, i);
		rc = rv_read(&c, jget(jget(ic, "resources"), "requests"), names, nz);
		const char *rp = jstr(ic, "restartPolicy");
		if (rc == 0) {
			if (rp && strcmp(rp, "Always") == 0) {
				/* a sidecar runs beside the app containers and the
				 * init containers that follow it */
				rc = rv_add(out, &c);
				if (rc == 0)
					rc = rv_add(&restartable, &c);
				if (rc == 0)
					rc = rv_copy(&tmp, &restartable);
			} else {
				rc = rv_copy(&tmp, &c);
				if (rc == 0)
					rc = rv_add(&tmp, &restartable);
			}
		}
		if (rc == 0)
			rc = rv_max(&init, &tmp);
		if (rc != 0) {
			char f[64];
			snprintf(f, sizeof(f), "spec.initContainers[%zu].resources.requests", i);
			kube__error_prefix_field(f);
		}
	}
	if (rc == 0)
		rc = rv_max(out, &init);
	json_object *oh = jget(spec, "overhead");
	if (rc == 0 && oh) {
		rc = rv_read(&c, oh, names, 0);
		if (rc == 0)
			rc = rv_add(out, &c);
		if (rc != 0)
			kube__error_prefix_field("spec.overhead");
	}
	rv_free(&c);
	rv_free(&restartable);
	rv_free(&init);
	rv_free(&tmp);
	return rc;
}

static kube__op op_of(const char *s, int *ok)
{
	*ok = 1;
	if (s) {
		if (strcmp(s, "In") == 0) return KUBE__OP_IN;
		if (strcmp(s, "NotIn") == 0) return KUBE__OP_NOT_IN;
		if (strcmp(s, "Exists") == 0) return KUBE__OP_EXISTS;
		if (strcmp(s, "DoesNotExist") == 0) return KUBE__OP_DOES_NOT_EXIST;
		if (strcmp(s, "Gt") == 0) return KUBE__OP_GT;
		if (strcmp(s, "Lt") == 0) return KUBE__OP_LT;
	}
	*ok = 0;
	return KUBE__OP_IN;
}

static int parse_int64(const char *s, int64_t *out)
{
	/* strconv.ParseInt(s, 10, 64): optional sign, digits, nothing else */
	if (!s || !*s)
		return 0;
	char *end;
	errno = 0;
	long long v = strtoll(s, &end, 10);
	if (*end || errno || s[0] == ' ' || s[0] == '\t' || s[0] == '\n')
		return 0;
	*out = v;
	return 1;
}

static int parse_exprs(json_object *arr, kube__expr **out, size_t *n, int fields, int *invalid,
                       kube__intern *names)
{
	size_t len = jlen(arr);
	*n = 0;
	*out = NULL;
	if (!len)
		return 0;
	kube__expr *e = kube_calloc(len, sizeof(*e));
	if (!e)
		return kube__error_oom();
	*out = e;
	for (size_t i = 0; i < len; i++) {
		json_object *r = json_object_array_get_idx(arr, i);
		json_object *vals = jget(r, "values");
		kube__expr *x = &e[(*n)++];
		int ok;
		x->key = jstr(r, "key") ? jstr(r, "key") : "";
		x->op = op_of(jstr(r, "operator"), &ok);
		x->nvalues = jlen(vals);
		if (x->nvalues) {
			x->values = kube_calloc(x->nvalues, sizeof(*x->values));
			if (!x->values)
				return kube__error_oom();
			for (size_t j = 0; j < x->nvalues; j++) {
				const char *v = json_object_get_string(json_object_array_get_idx(vals, j));
				x->values[j] = v ? v : "";
			}
		}
		if (!fields) {
			if (kube__intern_id(names, x->key, &x->key_id) != 0)
				return KUBE_ENOMEM;
			if (x->nvalues && !(x->value_ids = kube_calloc(x->nvalues, sizeof(uint32_t))))
				return kube__error_oom();
			for (size_t j = 0; j < x->nvalues; j++)
				if (kube__intern_id(names, x->values[j], &x->value_ids[j]) != 0)
					return KUBE_ENOMEM;
		}
		if (!ok) {
			*invalid = 1;
		} else if (fields) {
			/* upstream: metadata.name only, In/NotIn, exactly one value */
			if (strcmp(x->key, "metadata.name") != 0 || x->nvalues != 1 ||
			    (x->op != KUBE__OP_IN && x->op != KUBE__OP_NOT_IN))
				*invalid = 1;
		} else {
			switch (x->op) {
			case KUBE__OP_IN:
			case KUBE__OP_NOT_IN:
				if (!x->nvalues)
					*invalid = 1;
				break;
			case KUBE__OP_EXISTS:
			case KUBE__OP_DOES_NOT_EXIST:
				if (x->nvalues)
					*invalid = 1;
				break;
			case KUBE__OP_GT:
			case KUBE__OP_LT:
				if (x->nvalues != 1 || !parse_int64(x->values[0], &x->num))
					*invalid = 1;
				break;
			}
		}
	}
	return 0;
}

static int parse_term(json_object *t, kube__term *term, kube__intern *names)
{
	int rc = parse_exprs(jget(t, "matchExpressions"), &term->exprs, &term->nexprs, 0,
	                     &term->invalid, names);
	if (rc == 0)
		rc = parse_exprs(jget(t, "matchFields"), &term->fields, &term->nfields, 1,
		                 &term->invalid, names);
	return rc;
}

static void free_terms(kube__term *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < t[i].nexprs; j++) {
			kube_free(t[i].exprs[j].values);
			kube_free(t[i].exprs[j].value_ids);
		}
		for (size_t j = 0; j < t[i].nfields; j++)
			kube_free(t[i].fields[j].values);
		kube_free(t[i].exprs);
		kube_free(t[i].fields);
	}
	kube_free(t);
}

static void free_pod_terms(kube__pod_term *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		kube_selector_free(t[i].sel);
		kube_selector_free(t[i].ns_sel);
		kube_free(t[i].namespaces);
		kube_free(t[i].ns_ids);
	}
	kube_free(t);
}

/*
 * spec.affinity.pod(Anti)Affinity.requiredDuringSchedulingIgnoredDuringExecution
 * as upstream's AffinityTerm: the selectors compiled, namespaces defaulted
 * to the pod's own when neither namespaces nor namespaceSelector is given.
 */
static int parse_pod_terms(kube__pod *p, json_object *spec, const char *kind, int preferred,
                           kube__pod_term **out, size_t *nout, kube__intern *names)
{
	const char *when = preferred ? "preferredDuringSchedulingIgnoredDuringExecution"
	                             : "requiredDuringSchedulingIgnoredDuringExecution";
	const char *inner = preferred ? ".podAffinityTerm" : "";
	json_object *arr = jget(jget(jget(spec, "affinity"), kind), when);
	size_t n = jlen(arr);
	if (!n)
		return 0;
	kube__pod_term *t = kube_calloc(n, sizeof(*t));
	if (!t)
		return kube__error_oom();
	*out = t;
	for (size_t i = 0; i < n; i++) {
		json_object *term = json_object_array_get_idx(arr, i);
		char path[200];
		kube__pod_term *pt = &t[(*nout)++];
		if (preferred) {
			json_object *w = jget(term, "weight");
			pt->weight = w ? (int32_t)json_object_get_int(w) : 0;
			term = jget(term, "podAffinityTerm");
		}
		snprintf(path, sizeof(path), "spec.affinity.%s.%s[%zu]%s.labelSelector", kind, when, i,
		         inner);
		int rc = kube_selector_from_object(&pt->sel, p->obj, path);
		if (rc != 0)
			return rc;
		json_object *nss = jget(term, "namespaceSelector");
		if (nss && !json_object_is_type(nss, json_type_null)) {
			snprintf(path, sizeof(path), "spec.affinity.%s.%s[%zu]%s.namespaceSelector", kind,
			         when, i, inner);
			if ((rc = kube_selector_from_object(&pt->ns_sel, p->obj, path)) != 0)
				return rc;
		}
		json_object *ns = jget(term, "namespaces");
		size_t nns = jlen(ns);
		pt->namespaces = kube_calloc(nns ? nns : 1, sizeof(char *));
		if (!pt->namespaces)
			return kube__error_oom();
		for (size_t j = 0; j < nns; j++) {
			const char *v = json_object_get_string(json_object_array_get_idx(ns, j));
			pt->namespaces[pt->nns++] = v ? v : "";
		}
		if (!nns && !pt->ns_sel)
			pt->namespaces[pt->nns++] = p->ns;
		if (!(pt->ns_ids = kube_calloc(pt->nns ? pt->nns : 1, sizeof(uint32_t))))
			return kube__error_oom();
		for (size_t j = 0; j < pt->nns; j++)
			if (kube__intern_id(names, pt->namespaces[j], &pt->ns_ids[j]) != 0)
				return KUBE_ENOMEM;
		const char *tk = jstr(term, "topologyKey");
		if (kube__intern_id(names, tk ? tk : "", &pt->topo_key) != 0)
			return KUBE_ENOMEM;
	}
	return 0;
}

/* spec.topologySpreadConstraints, as upstream's filterTopologySpreadConstraints
 * (DoNotSchedule) and the ScheduleAnyway ones for scoring. */
static int parse_spread(kube__pod *p, json_object *spec, kube__intern *names)
{
	json_object *arr = jget(spec, "topologySpreadConstraints");
	size_t n = jlen(arr);
	if (!n)
		return 0;
	if (!(p->spread = kube_calloc(n, sizeof(*p->spread))))
		return kube__error_oom();
	for (size_t i = 0; i < n; i++) {
		json_object *c = json_object_array_get_idx(arr, i);
		kube__spread *sp = &p->spread[p->nspread++];
		char path[96];
		snprintf(path, sizeof(path), "spec.topologySpreadConstraints[%zu].labelSelector", i);
		int rc = kube_selector_from_object(&sp->sel, p->obj, path);
		if (rc != 0)
			return rc;
		json_object *keys = jget(c, "matchLabelKeys");
		for (size_t j = 0; j < jlen(keys); j++) {
			const char *k = json_object_get_string(json_object_array_get_idx(keys, j));
			const char *v = k ? kube_labels_get(kube_object_labels(p->obj), k) : NULL;
			if (v && (rc = kube_selector_add(sp->sel, k, KUBE_SELECTOR_IN, &v, 1)) != 0)
				return rc;
		}
		json_object *ms = jget(c, "maxSkew"), *md = jget(c, "minDomains");
		sp->max_skew = ms ? (int32_t)json_object_get_int(ms) : 0;
		sp->min_domains = md && !json_object_is_type(md, json_type_null)
		                  ? (int32_t)json_object_get_int(md) : 1;
		const char *tk = jstr(c, "topologyKey"), *wu = jstr(c, "whenUnsatisfiable");
		const char *nap = jstr(c, "nodeAffinityPolicy"), *ntp = jstr(c, "nodeTaintsPolicy");
		if (kube__intern_id(names, tk ? tk : "", &sp->topo_key) != 0)
			return KUBE_ENOMEM;
		sp->hard = wu && strcmp(wu, "DoNotSchedule") == 0;
		sp->honor_affinity = !nap || strcmp(nap, "Ignore") != 0;
		sp->honor_taints = ntp && strcmp(ntp, "Honor") == 0;
		p->nspread_hard += (size_t)sp->hard;
	}
	return 0;
}

void kube__pod_free(kube__pod *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->nspread; i++)
		kube_selector_free(p->spread[i].sel);
	kube_free(p->spread);
	free_pod_terms(p->aff, p->naff);
	free_pod_terms(p->anti, p->nanti);
	free_pod_terms(p->paff, p->npaff);
	free_pod_terms(p->panti, p->npanti);
	kube_labels_free(p->ns_labels);
	kube_free(p->scalars);
	kube_free(p->sel_keys);
	kube_free(p->sel_vals);
	free_terms(p->req_terms, p->nreq_terms);
	free_terms(p->pref_terms, p->npref_terms);
	kube_free(p->tols);
	kube_free(p->ports);
	kube_free(p->images);
	kube_object_unref(p->obj);
	kube_free(p);
}

/* ImageLocality's normalizedImageName: a name without a tag gets ":latest". */
static int intern_image(kube__intern *names, const char *image, uint32_t *out)
{
	const char *colon = strrchr(image, ':'), *slash = strrchr(image, '/');
	if (colon && (!slash || colon > slash))
		return kube__intern_id(names, image, out);
	size_t n = strlen(image);
	char *buf = kube_malloc(n + 8);
	if (!buf)
		return kube__error_oom();
	memcpy(buf, image, n);
	memcpy(buf + n, ":latest", 8);
	int rc = kube__intern_id(names, buf, out);
	kube_free(buf);
	return rc;
}

static int read_view(kube__pod *p, json_object *spec, kube__intern *names)
{
	rvec r = { { 0 }, NULL, 0, 0 };
	int rc = pod_requests(&r, spec, names, 0);
	if (rc != 0) {
		rv_free(&r);
		return rc;
	}
	p->req[KUBE__R_CPU] = r.v[0];
	p->req[KUBE__R_MEM] = r.v[1];
	p->req[KUBE__R_EPH] = r.v[2];
	p->req[KUBE__R_PODS] = 1;
	if (r.nsc) {
		p->scalars = r.sc; /* the view takes the array */
		p->nscalars = r.nsc;
		r.sc = NULL;
		r.nsc = r.cap = 0;
	}
	rc = pod_requests(&r, spec, names, 1);
	p->nz[0] = r.v[0];
	p->nz[1] = r.v[1];
	rv_free(&r);
	if (rc != 0)
		return rc;

	p->node_name = jstr(spec, "nodeName");
	p->scheduler_name = jstr(spec, "schedulerName");
	if (!p->scheduler_name || !*p->scheduler_name)
		p->scheduler_name = KUBE_SCHED_DEFAULT_PROFILE;

	json_object *ns = jget(spec, "nodeSelector");
	if (json_object_is_type(ns, json_type_object) && json_object_object_length(ns) > 0) {
		size_t n = (size_t)json_object_object_length(ns);
		p->sel_keys = kube_calloc(n, sizeof(uint32_t));
		p->sel_vals = kube_calloc(n, sizeof(uint32_t));
		if (!p->sel_keys || !p->sel_vals)
			return kube__error_oom();
		json_object_object_foreach(ns, key, val) {
			const char *v = json_object_get_string(val);
			if (kube__intern_id(names, key, &p->sel_keys[p->nsel]) != 0 ||
			    kube__intern_id(names, v ? v : "", &p->sel_vals[p->nsel]) != 0)
				return KUBE_ENOMEM;
			p->nsel++;
		}
	}

	json_object *na = jget(jget(spec, "affinity"), "nodeAffinity");
	json_object *req = jget(na, "requiredDuringSchedulingIgnoredDuringExecution");
	if (req && !json_object_is_type(req, json_type_null)) {
		json_object *terms = jget(req, "nodeSelectorTerms");
		size_t n = jlen(terms);
		p->has_required = 1;
		if (n && !(p->req_terms = kube_calloc(n, sizeof(kube__term))))
			return kube__error_oom();
		for (size_t i = 0; i < n; i++) {
			p->nreq_terms++;
			if ((rc = parse_term(json_object_array_get_idx(terms, i), &p->req_terms[i], names)) != 0)
				return rc;
		}
	}
	json_object *pref = jget(na, "preferredDuringSchedulingIgnoredDuringExecution");
	size_t npref = jlen(pref);
	if (npref && !(p->pref_terms = kube_calloc(npref, sizeof(kube__term))))
		return kube__error_oom();
	for (size_t i = 0; i < npref; i++) {
		json_object *pt = json_object_array_get_idx(pref, i);
		json_object *w = jget(pt, "weight");
		int32_t weight = w ? (int32_t)json_object_get_int(w) : 0;
		if (weight == 0)
			continue; /* upstream skips zero-weight terms */
		kube__term *t = &p->pref_terms[p->npref_terms++];
		t->weight = weight;
		if ((rc = parse_term(jget(pt, "preference"), t, names)) != 0)
			return rc;
	}

	if ((rc = parse_pod_terms(p, spec, "podAffinity", 0, &p->aff, &p->naff, names)) != 0 ||
	    (rc = parse_pod_terms(p, spec, "podAntiAffinity", 0, &p->anti, &p->nanti, names)) != 0 ||
	    (rc = parse_pod_terms(p, spec, "podAffinity", 1, &p->paff, &p->npaff, names)) != 0 ||
	    (rc = parse_pod_terms(p, spec, "podAntiAffinity", 1, &p->panti, &p->npanti, names)) != 0)
		return rc;

	if ((rc = parse_spread(p, spec, names)) != 0)
		return rc;

	json_object *tols = jget(spec, "tolerations");
	size_t ntol = jlen(tols);
	if (ntol && !(p->tols = kube_calloc(ntol, sizeof(*p->tols))))
		return kube__error_oom();
	for (size_t i = 0; i < ntol; i++) {
		json_object *t = json_object_array_get_idx(tols, i);
		kube__toleration *kt = &p->tols[p->ntols++];
		const char *op = jstr(t, "operator"), *eff = jstr(t, "effect");
		kt->key = jstr(t, "key") ? jstr(t, "key") : "";
		kt->value = jstr(t, "value") ? jstr(t, "value") : "";
		kt->exists = op && strcmp(op, "Exists") == 0;
		if (op && *op && !kt->exists && strcmp(op, "Equal") != 0)
			kt->exists = -1; /* an unknown operator tolerates nothing */
		if (!eff || !*eff)
			kt->effect = KUBE__EFFECT_ALL;
		else if (strcmp(eff, "NoSchedule") == 0)
			kt->effect = KUBE__EFFECT_NO_SCHEDULE;
		else if (strcmp(eff, "PreferNoSchedule") == 0)
			kt->effect = KUBE__EFFECT_PREFER_NO_SCHEDULE;
		else if (strcmp(eff, "NoExecute") == 0)
			kt->effect = KUBE__EFFECT_NO_EXECUTE;
		else
			kt->effect = KUBE__EFFECT_OTHER;
	}

	json_object *cs = jget(spec, "containers"), *ics = jget(spec, "initContainers");
	size_t nports = 0, nc = jlen(cs), nic = jlen(ics);
	for (size_t i = 0; i < nc; i++)
		nports += jlen(jget(json_object_array_get_idx(cs, i), "ports"));
	if (nports && !(p->ports = kube_calloc(nports, sizeof(*p->ports))))
		return kube__error_oom();
	for (size_t i = 0; i < nc; i++) {
		json_object *ports = jget(json_object_array_get_idx(cs, i), "ports");
		for (size_t j = 0; j < jlen(ports); j++) {
			json_object *pt = json_object_array_get_idx(ports, j);
			json_object *hp = jget(pt, "hostPort");
			int32_t port = hp ? (int32_t)json_object_get_int(hp) : 0;
			if (port <= 0)
				continue;
			kube__port *kp = &p->ports[p->nports++];
			kp->port = port;
			kp->ip = jstr(pt, "hostIP") && *jstr(pt, "hostIP") ? jstr(pt, "hostIP") : "0.0.0.0";
			kp->protocol = jstr(pt, "protocol") && *jstr(pt, "protocol") ? jstr(pt, "protocol")
			                                                          : "TCP";
		}
	}
	if (nc + nic && !(p->images = kube_calloc(nc + nic, sizeof(*p->images))))
		return kube__error_oom();
	for (size_t k = 0; k < 2; k++) {
		json_object *arr = k == 0 ? ics : cs;
		for (size_t i = 0; i < jlen(arr); i++) {
			const char *img = jstr(json_object_array_get_idx(arr, i), "image");
			uint32_t id = UINT32_MAX;
			if (img && (rc = intern_image(names, img, &id)) != 0)
				return rc;
			p->images[p->nimages++] = id;
		}
	}
	return 0;
}

/*
 * An RFC 3339 time as metav1.Time writes it ("2024-01-02T03:04:05Z", an
 * optional fraction, Z or +hh:mm) in Unix seconds; 0 when malformed.
 */
static int parse_time(const char *t, int64_t *out)
{
	int y, mo, d, h, mi, sec, n = 0;
	if (!t || sscanf(t, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec, &n) != 6 ||
	    mo < 1 || mo > 12 || d < 1 || d > 31)
		return 0;
	const char *z = t + n;
	if (*z == '.')
		for (z++; *z >= '0' && *z <= '9'; z++)
			;
	int64_t off = 0;
	if ((*z == '+' || *z == '-') && strlen(z) == 6) {
		int oh, om;
		if (sscanf(z + 1, "%2d:%2d", &oh, &om) != 2)
			return 0;
		off = (*z == '+' ? 1 : -1) * (int64_t)(oh * 3600 + om * 60);
	} else if (strcmp(z, "Z") != 0) {
		return 0;
	}
	/* days from 1970-01-01 in the proleptic Gregorian calendar */
	int64_t yy = y - (mo <= 2);
	int64_t era = (yy >= 0 ? yy : yy - 399) / 400;
	int64_t yoe = yy - era * 400;
	int64_t doy = (153 * (mo + (mo > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	int64_t days = era * 146097 + doe - 719468;
	*out = days * 86400 + h * 3600 + mi * 60 + sec - off;
	return 1;
}

/* What preemption reads: priority, policy, start time, nomination. */
static void read_preemption(kube__pod *p, json_object *spec, json_object *status)
{
	json_object *pr = jget(spec, "priority");
	int64_t v = json_object_is_type(pr, json_type_int) ? json_object_get_int64(pr) : 0;
	p->priority = v > INT32_MAX ? INT32_MAX : v < INT32_MIN ? INT32_MIN : (int32_t)v;
	const char *pp = jstr(spec, "preemptionPolicy");
	p->preempt_never = pp && strcmp(pp, "Never") == 0;
	if (!parse_time(jstr(status, "startTime"), &p->start_time))
		p->start_time = INT64_MAX; /* upstream: not started yet counts as now */
	const char *nn = jstr(status, "nominatedNodeName");
	p->nominated = nn && *nn ? nn : NULL;
}

/* *s (borrowed from a transient tree) becomes the interned copy, which
 * lives as long as the scheduler. */
static int keep(kube__intern *names, const char **s)
{
	uint32_t id;
	if (!*s)
		return 0;
	if (kube__intern_id(names, *s, &id) != 0)
		return KUBE_ENOMEM;
	*s = kube__intern_str(names, id);
	return 0;
}

static int keep_terms(kube__intern *names, kube__term *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		for (size_t k = 0; k < 2; k++) {
			kube__expr *e = k ? t[i].fields : t[i].exprs;
			size_t ne = k ? t[i].nfields : t[i].nexprs;
			for (size_t j = 0; j < ne; j++) {
				if (keep(names, &e[j].key) != 0)
					return KUBE_ENOMEM;
				for (size_t v = 0; v < e[j].nvalues; v++)
					if (keep(names, &e[j].values[v]) != 0)
						return KUBE_ENOMEM;
			}
		}
	}
	return 0;
}

/* Every string the view borrowed from a tree that is about to go. */
static int keep_strings(kube__pod *p, kube__intern *names)
{
	if (keep(names, &p->node_name) != 0 || keep(names, &p->scheduler_name) != 0 ||
	    keep(names, &p->nominated) != 0 || keep_terms(names, p->req_terms, p->nreq_terms) != 0 ||
	    keep_terms(names, p->pref_terms, p->npref_terms) != 0)
		return KUBE_ENOMEM;
	for (size_t i = 0; i < p->ntols; i++)
		if (keep(names, &p->tols[i].key) != 0 || keep(names, &p->tols[i].value) != 0)
			return KUBE_ENOMEM;
	for (size_t i = 0; i < p->nports; i++)
		if (keep(names, &p->ports[i].ip) != 0 || keep(names, &p->ports[i].protocol) != 0)
			return KUBE_ENOMEM;
	return 0;
}

/* Pod (anti-)affinity terms and spread constraints compile their selectors
 * from the object (kube_selector_from_object), which keeps its tree. */
static int reads_object(json_object *spec)
{
	json_object *aff = jget(spec, "affinity");
	return jget(aff, "podAffinity") || jget(aff, "podAntiAffinity") ||
	       jget(spec, "topologySpreadConstraints");
}

/*
 * Replicas share their spec: the last view derived from a stored pod is
 * kept with its spec text, and a pod whose spec has the same bytes gets a
 * copy of it without a parse.  Only views whose parts are flat arrays of
 * interned strings and ids (no node or pod affinity terms, no spread
 * constraints) are kept; what is not in the spec (namespace, start time,
 * nomination) is read for each pod.
 */
static int simple_view(const kube__pod *p)
{
	return p->interned && !p->has_required && !p->nreq_terms && !p->npref_terms && !p->naff &&
	       !p->nanti && !p->npaff && !p->npanti && !p->nspread;
}

static int dup_array(void *out, const void *src, size_t n, size_t size)
{
	void **o = out;
	*o = NULL;
	if (!n)
		return 0;
	if (!(*o = kube_malloc(n * size)))
		return kube__error_oom();
	memcpy(*o, src, n * size);
	return 0;
}

/* The spec-derived part of t, for pod. */
static int view_copy(kube__pod *p, const kube__pod *t)
{
	p->node_name = t->node_name;
	p->scheduler_name = t->scheduler_name;
	memcpy(p->req, t->req, sizeof(p->req));
	memcpy(p->nz, t->nz, sizeof(p->nz));
	p->nscalars = t->nscalars;
	p->nsel = t->nsel;
	p->ntols = t->ntols;
	p->nports = t->nports;
	p->nimages = t->nimages;
	p->priority = t->priority;
	p->preempt_never = t->preempt_never;
	p->interned = 1;
	return dup_array(&p->scalars, t->scalars, t->nscalars, sizeof(*t->scalars)) ||
	       dup_array(&p->sel_keys, t->sel_keys, t->nsel, sizeof(uint32_t)) ||
	       dup_array(&p->sel_vals, t->sel_vals, t->nsel, sizeof(uint32_t)) ||
	       dup_array(&p->tols, t->tols, t->ntols, sizeof(*t->tols)) ||
	       dup_array(&p->ports, t->ports, t->nports, sizeof(*t->ports)) ||
	       dup_array(&p->images, t->images, t->nimages, sizeof(uint32_t))
	       ? KUBE_ENOMEM : 0;
}

void kube__pod_set_start_time(kube__pod *p, const kube_object *pod)
{
	kube__buf b = KUBE__BUF_INIT;
	const char *v = NULL;
	if (!kube__object_peek_string(pod, "status.startTime", &b, &v) || !parse_time(v, &p->start_time))
		p->start_time = INT64_MAX;
	kube__buf_free(&b);
}

/* status.startTime and status.nominatedNodeName, as read_preemption. */
static int peek_status(kube__pod *p, const kube_object *pod, kube__intern *names)
{
	kube__buf b = KUBE__BUF_INIT;
	const char *v = NULL;
	int rc = 0;
	if (!kube__object_peek_string(pod, "status.startTime", &b, &v) || !parse_time(v, &p->start_time))
		p->start_time = INT64_MAX;
	p->nominated = NULL;
	if (kube__object_peek_string(pod, "status.nominatedNodeName", &b, &v) && *v) {
		p->nominated = v;
		rc = keep(names, &p->nominated);
	}
	kube__buf_free(&b);
	return rc;
}

/* Keeps p (just derived from spec) as the template for the next pods. */
static void keep_template(kube_sched *s, const kube__pod *p, const char *spec, size_t len)
{
	kube__pod *t = kube_calloc(1, sizeof(*t));
	char *text = kube_malloc(len ? len : 1);
	if (!t || !text || view_copy(t, p) != 0) {
		kube__pod_free(t);
		kube_free(text);
		kube_error_clear();
		return;
	}
	memcpy(text, spec, len);
	kube__pod_free(s->tmpl_view);
	kube_free(s->tmpl_spec);
	s->tmpl_view = t;
	s->tmpl_spec = text;
	s->tmpl_spec_len = len;
}

int kube__pod_new(kube__pod **out, kube_object *pod, kube_sched *s)
{
	kube__intern *names = s->names;
	*out = NULL;
	kube__pod *p = kube_calloc(1, sizeof(*p));
	if (!p)
		return kube__error_oom();
	size_t spec_len = 0;
	const char *spec_text = kube__object_peek_text(pod, "spec", &spec_len);
	if (spec_text && s->tmpl_view && spec_len == s->tmpl_spec_len &&
	    memcmp(spec_text, s->tmpl_spec, spec_len) == 0) {
		p->obj = kube_object_ref(pod);
		p->nsinfo = &s->nsinfo;
		p->ns = kube_object_namespace(pod) ? kube_object_namespace(pod) : "";
		p->name = kube_object_name(pod) ? kube_object_name(pod) : "";
		int rc = view_copy(p, s->tmpl_view);
		if (rc == 0)
			rc = kube__intern_id(names, p->ns, &p->ns_id);
		if (rc == 0)
			rc = peek_status(p, pod, names);
		if (rc != 0) {
			kube__pod_free(p);
			return rc;
		}
		*out = p;
		return 0;
	}
	p->obj = kube_object_ref(pod);
	p->nsinfo = &s->nsinfo;
	p->ns = kube_object_namespace(pod) ? kube_object_namespace(pod) : "";
	p->name = kube_object_name(pod) ? kube_object_name(pod) : "";
	/*
	 * A stored pod is compact: its tree is parsed for this view and
	 * dropped, and the few strings the view keeps are interned (node and
	 * scheduler names, tolerations, ports, node affinity: few distinct
	 * values).  kube__object_doc would keep the tree on the pod for as
	 * long as the store keeps it, ~15 times its JSON, for every pod.
	 */
	int owned = 0;
	json_object *doc = kube__object_doc_transient(pod, &owned);
	if (doc && owned && reads_object(jget(doc, "spec"))) {
		json_object_put(doc);
		owned = 0;
		doc = kube__object_doc(pod);
	}
	if (!doc) {
		kube__pod_free(p);
		return KUBE_ENOMEM;
	}
	json_object *spec = jget(doc, "spec");
	int rc = kube__intern_id(names, p->ns, &p->ns_id);
	if (rc == 0)
		rc = read_view(p, spec, names);
	if (rc == 0)
		read_preemption(p, spec, jget(doc, "status"));
	if (rc == 0 && owned) {
		rc = keep_strings(p, names);
		p->interned = rc == 0;
	}
	if (owned)
		json_object_put(doc);
	if (rc != 0) {
		kube__pod_free(p);
		return rc;
	}
	if (spec_text && simple_view(p))
		keep_template(s, p, spec_text, spec_len);
	*out = p;
	return 0;
}
