/*
 * snapshot.c - the scheduler's node snapshot, changed one event at a time.
 *
 * Nodes live in slots; the per-slot columns (sched_private.h) hold the
 * numbers filters and scores compare, so that the filter loop over 5,000
 * nodes reads a few contiguous arrays instead of chasing pointers.  A pod
 * accounted on a node adds its requests to the node's columns, its host
 * ports to the node's port list (refcounted: two pods may share a
 * 0.0.0.0:80/UDP entry only if neither conflicts, but counting keeps
 * removal exact) and its view to the node's pod list.  Updating a node
 * replaces what the node object says (labels, taints, allocatable,
 * images) and keeps what its pods say.
 *
 * Invariant: for every live slot, req[r][slot] is the sum of the requests
 * of the pods in node[slot]->pods, and req[PODS] is their count.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "object/object_private.h"
#include "sched_private.h"

/* ---- string map ---- */

#define KUBE__MAP_TOMB ((char *)1)

static uint32_t str_hash(const char *s)
{
	/* FNV-1a: keys are short names, collisions are resolved by probing */
	uint32_t h = 2166136261u;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h | 1u;
}

static kube__map_ent *map_find(const kube__map *m, const char *key, uint32_t h)
{
	if (!m->cap)
		return NULL;
	size_t mask = m->cap - 1;
	for (size_t i = h & mask;; i = (i + 1) & mask) {
		kube__map_ent *e = &m->ents[i];
		if (!e->key)
			return NULL;
		if (e->key != KUBE__MAP_TOMB && e->hash == h && strcmp(e->key, key) == 0)
			return e;
	}
}

void *kube__map_get(const kube__map *m, const char *key)
{
	kube__map_ent *e = map_find(m, key, str_hash(key));
	return e ? e->val : NULL;
}

static int map_grow(kube__map *m)
{
	size_t ncap = m->cap ? m->cap * 2 : 64;
	if (m->count * 2 < m->cap)
		ncap = m->cap; /* only tombstones to sweep */
	kube__map_ent *ne = kube_calloc(ncap, sizeof(*ne));
	if (!ne)
		return kube__error_oom();
	for (size_t i = 0; i < m->cap; i++) {
		kube__map_ent *e = &m->ents[i];
		if (!e->key || e->key == KUBE__MAP_TOMB)
			continue;
		size_t j = e->hash & (ncap - 1);
		while (ne[j].key)
			j = (j + 1) & (ncap - 1);
		ne[j] = *e;
	}
	kube_free(m->ents);
	m->ents = ne;
	m->cap = ncap;
	m->used = m->count;
	return 0;
}

int kube__map_put(kube__map *m, const char *key, void *val)
{
	uint32_t h = str_hash(key);
	kube__map_ent *e = map_find(m, key, h);
	if (e) {
		e->val = val;
		return 0;
	}
	if ((m->used + 1) * 4 > m->cap * 3 && map_grow(m) != 0)
		return KUBE_ENOMEM;
	char *k = kube_strdup(key);
	if (!k)
		return kube__error_oom();
	size_t mask = m->cap - 1, i = h & mask;
	while (m->ents[i].key && m->ents[i].key != KUBE__MAP_TOMB)
		i = (i + 1) & mask;
	if (!m->ents[i].key)
		m->used++;
	m->ents[i] = (kube__map_ent){ k, val, h };
	m->count++;
	return 0;
}

void *kube__map_del(kube__map *m, const char *key)
{
	kube__map_ent *e = map_find(m, key, str_hash(key));
	if (!e)
		return NULL;
	void *v = e->val;
	kube_free(e->key);
	e->key = KUBE__MAP_TOMB;
	e->val = NULL;
	m->count--;
	return v;
}

void kube__map_free(kube__map *m)
{
	for (size_t i = 0; i < m->cap; i++)
		if (m->ents[i].key && m->ents[i].key != KUBE__MAP_TOMB)
			kube_free(m->ents[i].key);
	kube_free(m->ents);
	memset(m, 0, sizeof(*m));
}

/* ---- interned names (resources, images) ---- */

struct kube__intern {
	kube__map map;          /* name -> id + 1 */
	char **strs;
	size_t n, cap;
};

int kube__intern_new(kube__intern **out)
{
	*out = kube_calloc(1, sizeof(**out));
	return *out ? 0 : kube__error_oom();
}

void kube__intern_free(kube__intern *in)
{
	if (!in)
		return;
	for (size_t i = 0; i < in->n; i++)
		kube_free(in->strs[i]);
	kube_free(in->strs);
	kube__map_free(&in->map);
	kube_free(in);
}

int kube__intern_id(kube__intern *in, const char *s, uint32_t *out)
{
	uintptr_t v = (uintptr_t)kube__map_get(&in->map, s);
	if (v) {
		*out = (uint32_t)(v - 1);
		return 0;
	}
	if (in->n == in->cap) {
		size_t nc = in->cap ? in->cap * 2 : 16;
		char **ns = kube_realloc(in->strs, nc * sizeof(*ns));
		if (!ns)
			return kube__error_oom();
		in->strs = ns;
		in->cap = nc;
	}
	char *copy = kube_strdup(s);
	if (!copy)
		return kube__error_oom();
	if (kube__map_put(&in->map, s, (void *)(uintptr_t)(in->n + 1)) != 0) {
		kube_free(copy);
		return KUBE_ENOMEM;
	}
	in->strs[in->n] = copy;
	*out = (uint32_t)in->n++;
	return 0;
}

const char *kube__intern_str(const kube__intern *in, uint32_t id)
{
	return id < in->n ? in->strs[id] : NULL;
}

int kube__scalar_find(const kube__scalar *v, size_t n, uint32_t id, int64_t *out)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].id == id) {
			*out = v[i].value;
			return 1;
		}
	*out = 0;
	return 0;
}

/* ---- scheduler life cycle ---- */

static void node_free_parts(kube_sched_node *n)
{
	for (size_t i = 0; i < n->ntaints; i++)
		kube_free(n->taints[i].reason);
	kube_free(n->taints);
	kube_free(n->alloc_sc);
	kube_free(n->images);
	kube_free(n->labels);
	n->labels = NULL;
	n->nlabels = 0;
	n->taints = NULL;
	n->alloc_sc = NULL;
	n->images = NULL;
	n->ntaints = n->nalloc_sc = n->nimages = 0;
	n->obj = kube_object_unref(n->obj);
}

int kube_sched_options_init(kube_sched_options *opts, unsigned int version)
{
	KUBE_CHECK_ARG(opts != NULL);
	KUBE_CHECK_ARG(version == KUBE_SCHED_OPTIONS_VERSION);
	kube_sched_options d = KUBE_SCHED_OPTIONS_INIT;
	*opts = d;
	return 0;
}

int kube_sched_new(kube_sched **out)
{
	return kube_sched_new_2(out, NULL);
}

int kube_sched_new_2(kube_sched **out, const kube_sched_options *opts)
{
	KUBE_CHECK_ARG(out != NULL);
	*out = NULL;
	kube_sched_options o = KUBE_SCHED_OPTIONS_INIT;
	if (opts) {
		KUBE_CHECK_ARG(opts->version == KUBE_SCHED_OPTIONS_VERSION);
		KUBE_CHECK_ARG(opts->threads <= 64);
		o = *opts;
	}
	kube_sched *s = kube_calloc(1, sizeof(*s));
	if (!s)
		return kube__error_oom();
	s->threads = o.threads ? o.threads : 1;
	int rc = kube__intern_new(&s->names);
	if (rc == 0)
		rc = kube__profile_add_default(s, KUBE_SCHED_DEFAULT_PROFILE, 1);
	if (rc == 0 && s->threads > 1)
		rc = kube__pool_new(&s->pool, s->threads);
	if (rc != 0) {
		kube_sched_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

void kube_sched_free(kube_sched *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nslots; i++) {
		kube_sched_node *n = s->node[i];
		if (!n)
			continue;
		for (size_t j = 0; j < n->npods; j++)
			kube__pod_free(n->pods[j]);
		kube_free(n->pods);
		kube_free(n->ports);
		kube_free(n->req_sc);
		node_free_parts(n);
		kube_free(n);
	}
	for (int r = 0; r < KUBE__R_N; r++) {
		kube_free(s->alloc[r]);
		kube_free(s->req[r]);
	}
	kube_free(s->nz[0]);
	kube_free(s->nz[1]);
	kube_free(s->inv[0]);
	kube_free(s->inv[1]);
	kube_free(s->gen);
	kube_free(s->cache);
	kube__pod_free(s->tmpl_view);
	kube_free(s->tmpl_spec);
	kube_free(s->aff_key);
	kube_free(s->spread_key);
	kube_free(s->ip_key);
	kube_free(s->flags);
	kube_free(s->status);
	kube_free(s->node);
	kube_free(s->free_slots);
	kube__map_free(&s->nodes_by_name);
	kube__map_free(&s->pods_by_key);
	for (size_t i = 0; i < s->nsinfo.labels.cap; i++) {
		kube__map_ent *e = &s->nsinfo.labels.ents[i];
		if (e->key && e->key != KUBE__MAP_TOMB)
			kube_labels_free(e->val);
	}
	kube__map_free(&s->nsinfo.labels);
	kube__intern_free(s->names);
	kube_free(s->image_nodes);
	kube_free(s->anti_pods);
	kube_free(s->aff_pods);
	kube__interpod_free(s->interpod_cache);
	kube__profiles_free(s);
	kube__preempt_free(s);
	kube__pool_free(s->pool);
	kube_free(s->feasible);
	kube_free(s->scores);
	kube_free(s->total);
	kube_free(s);
}

/* ---- reading a node ---- */

static kube__effect effect_of(const char *e)
{
	if (!e || !*e)
		return KUBE__EFFECT_ALL;
	if (strcmp(e, "NoSchedule") == 0)
		return KUBE__EFFECT_NO_SCHEDULE;
	if (strcmp(e, "PreferNoSchedule") == 0)
		return KUBE__EFFECT_PREFER_NO_SCHEDULE;
	if (strcmp(e, "NoExecute") == 0)
		return KUBE__EFFECT_NO_EXECUTE;
	return KUBE__EFFECT_OTHER;
}

static const char *jstr(json_object *o, const char *key)
{
	json_object *v;
	if (!o || !json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

static json_object *jget(json_object *o, const char *key)
{
	json_object *v;
	if (!o || !json_object_object_get_ex(o, key, &v))
		return NULL;
	return v;
}

/* Upstream's schedutil.IsScalarResourceName: extended (domain-prefixed),
 * prefixed native, hugepages and attachable-volumes resources. */
static int is_scalar_resource(const char *name)
{
	return strchr(name, '/') != NULL || strncmp(name, "hugepages-", 10) == 0 ||
	       strncmp(name, "attachable-volumes-", 19) == 0;
}

static int parse_node(kube_sched *s, kube_sched_node *n, kube_object *obj, int64_t alloc[KUBE__R_N])
{
	json_object *doc = kube__object_doc(obj);
	json_object *spec = jget(doc, "spec"), *status = jget(doc, "status");
	const kube_labels *labels = kube_object_labels(obj);
	size_t nl = kube_labels_count(labels);
	if (nl && !(n->labels = kube_calloc(nl, sizeof(*n->labels))))
		return kube__error_oom();
	for (size_t i = 0; i < nl; i++) {
		const char *k, *v;
		kube_labels_at(labels, i, &k, &v);
		if (kube__intern_id(s->names, k, &n->labels[i].key) != 0 ||
		    kube__intern_id(s->names, v, &n->labels[i].value) != 0)
			return KUBE_ENOMEM;
		n->nlabels++;
	}
	json_object *un = jget(spec, "unschedulable");
	n->unschedulable = json_object_is_type(un, json_type_boolean) && json_object_get_boolean(un);
	json_object *taints = jget(spec, "taints");
	size_t nt = json_object_is_type(taints, json_type_array) ? json_object_array_length(taints) : 0;
	if (nt) {
		n->taints = kube_calloc(nt, sizeof(*n->taints));
		if (!n->taints)
			return kube__error_oom();
	}
	for (size_t i = 0; i < nt; i++) {
		json_object *t = json_object_array_get_idx(taints, i);
		kube__taint *kt = &n->taints[n->ntaints++];
		kt->key = jstr(t, "key") ? jstr(t, "key") : "";
		kt->value = jstr(t, "value") ? jstr(t, "value") : "";
		kt->effect = effect_of(jstr(t, "effect"));
		if (kt->effect == KUBE__EFFECT_PREFER_NO_SCHEDULE)
			n->prefer_taints++;
		if (kt->effect == KUBE__EFFECT_NO_SCHEDULE || kt->effect == KUBE__EFFECT_NO_EXECUTE) {
			/* made once here, not for every pod the taint turns away */
			kube__buf b = KUBE__BUF_INIT;
			kube__buf_printf(&b, "node(s) had untolerated taint {%s: %s}", kt->key, kt->value);
			if (b.failed)
				return kube__error_oom();
			kt->reason = kube__buf_detach(&b, NULL);
		}
	}
	memset(alloc, 0, sizeof(int64_t) * KUBE__R_N);
	json_object *al = jget(status, "allocatable");
	if (json_object_is_type(al, json_type_object)) {
		size_t na = (size_t)json_object_object_length(al);
		n->alloc_sc = kube_calloc(na ? na : 1, sizeof(*n->alloc_sc));
		if (!n->alloc_sc)
			return kube__error_oom();
		json_object_object_foreach(al, key, val) {
			const char *text = json_object_get_string(val);
			int64_t v = 0;
			int rc = kube__quantity_json(text, strcmp(key, "cpu") == 0, &v);
			if (rc != 0) {
				kube__error_prefix_field(key);
				kube__error_prefix_field("status.allocatable");
				return rc;
			}
			if (strcmp(key, "cpu") == 0)
				alloc[KUBE__R_CPU] = v;
			else if (strcmp(key, "memory") == 0)
				alloc[KUBE__R_MEM] = v;
			else if (strcmp(key, "ephemeral-storage") == 0)
				alloc[KUBE__R_EPH] = v;
			else if (strcmp(key, "pods") == 0)
				alloc[KUBE__R_PODS] = v;
			else if (is_scalar_resource(key)) {
				uint32_t id;
				if (kube__intern_id(s->names, key, &id) != 0)
					return KUBE_ENOMEM;
				n->alloc_sc[n->nalloc_sc++] = (kube__scalar){ id, v };
			}
		}
	}
	json_object *imgs = jget(status, "images");
	size_t ni = json_object_is_type(imgs, json_type_array) ? json_object_array_length(imgs) : 0;
	size_t total = 0;
	for (size_t i = 0; i < ni; i++) {
		json_object *names = jget(json_object_array_get_idx(imgs, i), "names");
		if (json_object_is_type(names, json_type_array))
			total += json_object_array_length(names);
	}
	if (total) {
		n->images = kube_calloc(total, sizeof(*n->images));
		if (!n->images)
			return kube__error_oom();
	}
	for (size_t i = 0; i < ni; i++) {
		json_object *im = json_object_array_get_idx(imgs, i);
		json_object *names = jget(im, "names"), *sz = jget(im, "sizeBytes");
		if (!json_object_is_type(names, json_type_array))
			continue;
		int64_t size = sz ? json_object_get_int64(sz) : 0;
		for (size_t j = 0; j < json_object_array_length(names); j++) {
			const char *nm = json_object_get_string(json_object_array_get_idx(names, j));
			uint32_t id;
			if (!nm)
				continue;
			if (kube__intern_id(s->names, nm, &id) != 0)
				return KUBE_ENOMEM;
			int dup = 0;
			for (size_t k = 0; k < n->nimages; k++)
				dup |= n->images[k].id == id;
			if (!dup)
				n->images[n->nimages++] = (kube__image){ id, size };
		}
	}
	return 0;
}

static int image_nodes_adjust(kube_sched *s, const kube_sched_node *n, int delta)
{
	for (size_t i = 0; i < n->nimages; i++) {
		uint32_t id = n->images[i].id;
		if (id >= s->nimage_nodes) {
			size_t nc = (size_t)id + 64;
			uint32_t *v = kube_realloc(s->image_nodes, nc * sizeof(*v));
			if (!v)
				return kube__error_oom();
			memset(v + s->nimage_nodes, 0, (nc - s->nimage_nodes) * sizeof(*v));
			s->image_nodes = v;
			s->nimage_nodes = nc;
		}
		s->image_nodes[id] = (uint32_t)((int64_t)s->image_nodes[id] + delta);
	}
	return 0;
}

static int slots_reserve(kube_sched *s)
{
	if (s->nslots < s->cap_slots)
		return 0;
	size_t nc = s->cap_slots ? s->cap_slots * 2 : 64;
#define GROW(p) do { \
		void *np_ = kube_realloc((p), nc * sizeof(*(p))); \
		if (!np_) return kube__error_oom(); \
		(p) = np_; \
	} while (0)
	for (int r = 0; r < KUBE__R_N; r++) {
		GROW(s->alloc[r]);
		GROW(s->req[r]);
	}
	GROW(s->nz[0]);
	GROW(s->nz[1]);
	GROW(s->inv[0]);
	GROW(s->inv[1]);
	GROW(s->gen);
	GROW(s->cache);
	GROW(s->flags);
	GROW(s->status);
	GROW(s->node);
	GROW(s->free_slots);
#undef GROW
	s->cap_slots = nc;
	return 0;
}

static void node_flags(kube_sched *s, kube_sched_node *n)
{
	uint8_t f = 0;
	/* read at parse time: this runs while unwinding a failed bind too, and
	 * must not replace the error being reported */
	if (n->unschedulable)
		f |= KUBE__NF_UNSCHEDULABLE;
	for (size_t i = 0; i < n->ntaints; i++)
		if (n->taints[i].effect == KUBE__EFFECT_NO_SCHEDULE ||
		    n->taints[i].effect == KUBE__EFFECT_NO_EXECUTE)
			f |= KUBE__NF_HARD_TAINTS;
	if (n->nports)
		f |= KUBE__NF_PORTS;
	if (n->prefer_taints)
		f |= KUBE__NF_PREFER_TAINTS;
	if (n->nimages)
		f |= KUBE__NF_IMAGES;
	s->flags[n->slot] = f;
}

int kube_sched_node_add(kube_sched *s, kube_object *node)
{
	KUBE_CHECK_ARG(s != NULL);
	KUBE_CHECK_ARG(node != NULL);
	const char *name = kube_object_name(node);
	if (!name || !*name)
		return kube__error_set(KUBE_EINVAL, "metadata.name", "metadata.name: Required value");
	kube_sched_node tmp = { 0 };
	int64_t alloc[KUBE__R_N];
	tmp.obj = kube_object_ref(node);
	int rc = parse_node(s, &tmp, node, alloc);
	if (rc != 0) {
		node_free_parts(&tmp);
		return rc;
	}
	kube_sched_node *n = kube__map_get(&s->nodes_by_name, name);
	if (n) {
		/* an update: the object's parts change, the pods stay */
		image_nodes_adjust(s, n, -1);
		node_free_parts(n);
	} else {
		if (slots_reserve(s) != 0 || !(n = kube_calloc(1, sizeof(*n)))) {
			node_free_parts(&tmp);
			return KUBE_ENOMEM;
		}
		uint32_t slot = s->nfree ? s->free_slots[--s->nfree] : (uint32_t)s->nslots++;
		n->slot = slot;
		for (int r = 0; r < KUBE__R_N; r++)
			s->req[r][slot] = 0;
		s->nz[0][slot] = s->nz[1][slot] = 0;
		if (kube__map_put(&s->nodes_by_name, name, n) != 0) {
			s->free_slots[s->nfree++] = slot;
			kube_free(n);
			node_free_parts(&tmp);
			return KUBE_ENOMEM;
		}
		s->node[slot] = n;
		s->nnodes++;
	}
	n->obj = tmp.obj;
	n->name = kube_object_name(n->obj);
	n->taints = tmp.taints;
	n->ntaints = tmp.ntaints;
	n->prefer_taints = tmp.prefer_taints;
	n->unschedulable = tmp.unschedulable;
	n->alloc_sc = tmp.alloc_sc;
	n->nalloc_sc = tmp.nalloc_sc;
	n->images = tmp.images;
	n->nimages = tmp.nimages;
	n->labels = tmp.labels;
	n->nlabels = tmp.nlabels;
	for (int r = 0; r < KUBE__R_N; r++)
		s->alloc[r][n->slot] = alloc[r];
	for (int r = 0; r < 2; r++)
		s->inv[r][n->slot] = alloc[r] > 0 ? 1.0 / (double)alloc[r] : 0;
	s->gen[n->slot] = ++s->gen_counter;
	memset(&s->cache[n->slot], 0, sizeof(s->cache[n->slot]));
	node_flags(s, n);
	return image_nodes_adjust(s, n, +1);
}

static void anti_del(kube_sched *s, kube__pod *p)
{
	if (p->nanti) {
		kube__pod *last = s->anti_pods[--s->nanti_pods];
		s->anti_pods[p->anti_index] = last;
		last->anti_index = p->anti_index;
	}
	if (kube__pod_has_affinity(p)) {
		kube__pod *last = s->aff_pods[--s->naff_pods];
		s->aff_pods[p->aff_index] = last;
		last->aff_index = p->aff_index;
	}
}

int kube_sched_node_remove(kube_sched *s, const char *name)
{
	KUBE_CHECK_ARG(s != NULL);
	KUBE_CHECK_ARG(name != NULL);
	kube_sched_node *n = kube__map_get(&s->nodes_by_name, name);
	if (!n)
		return kube__error_set(KUBE_ENOTFOUND, NULL, "node \"%s\" not found", name);
	for (size_t j = 0; j < n->npods; j++) {
		char key[512];
		kube__pod *p = n->pods[j];
		anti_del(s, p);
		snprintf(key, sizeof(key), "%s/%s", p->ns, p->name);
		kube__map_del(&s->pods_by_key, key);
		kube__pod_free(p);
	}
	image_nodes_adjust(s, n, -1);
	kube__map_del(&s->nodes_by_name, name);
	s->node[n->slot] = NULL;
	s->free_slots[s->nfree++] = n->slot;
	s->nnodes--;
	kube_free(n->pods);
	kube_free(n->ports);
	kube_free(n->req_sc);
	node_free_parts(n);
	kube_free(n);
	return 0;
}

size_t kube_sched_node_count(const kube_sched *s)
{
	return s ? s->nnodes : 0;
}

/* ---- pods on nodes ---- */

static int ports_add(kube_sched_node *n, const kube__port *pp)
{
	for (size_t i = 0; i < n->nports; i++) {
		kube__host_port *hp = &n->ports[i];
		if (hp->port == pp->port && strcmp(hp->ip, pp->ip) == 0 &&
		    strcmp(hp->protocol, pp->protocol) == 0) {
			hp->refs++;
			return 0;
		}
	}
	if (n->nports == n->cap_ports) {
		size_t nc = n->cap_ports ? n->cap_ports * 2 : 4;
		kube__host_port *v = kube_realloc(n->ports, nc * sizeof(*v));
		if (!v)
			return kube__error_oom();
		n->ports = v;
		n->cap_ports = nc;
	}
	n->ports[n->nports++] = (kube__host_port){ pp->ip, pp->protocol, pp->port, 1 };
	return 0;
}

static void ports_del(kube_sched_node *n, const kube__port *pp)
{
	for (size_t i = 0; i < n->nports; i++) {
		kube__host_port *hp = &n->ports[i];
		if (hp->port == pp->port && strcmp(hp->ip, pp->ip) == 0 &&
		    strcmp(hp->protocol, pp->protocol) == 0) {
			if (--hp->refs == 0)
				n->ports[i] = n->ports[--n->nports];
			return;
		}
	}
}

static int scalar_adjust(kube_sched_node *n, uint32_t id, int64_t delta)
{
	for (size_t i = 0; i < n->nreq_sc; i++)
		if (n->req_sc[i].id == id) {
			n->req_sc[i].value += delta;
			return 0;
		}
	if (n->nreq_sc == n->cap_req_sc) {
		size_t nc = n->cap_req_sc ? n->cap_req_sc * 2 : 4;
		kube__scalar *v = kube_realloc(n->req_sc, nc * sizeof(*v));
		if (!v)
			return kube__error_oom();
		n->req_sc = v;
		n->cap_req_sc = nc;
	}
	n->req_sc[n->nreq_sc++] = (kube__scalar){ id, delta };
	return 0;
}

static void pod_account(kube_sched *s, kube__pod *p, kube_sched_node *n, int sign)
{
	uint32_t slot = n->slot;
	for (int r = 0; r < KUBE__R_N; r++)
		s->req[r][slot] += sign * p->req[r];
	s->nz[0][slot] += sign * p->nz[0];
	s->nz[1][slot] += sign * p->nz[1];
	s->gen[slot] = ++s->gen_counter;
	for (size_t i = 0; i < p->nscalars; i++)
		scalar_adjust(n, p->scalars[i].id, sign * p->scalars[i].value);
	for (size_t i = 0; i < p->nports; i++) {
		if (sign > 0)
			ports_add(n, &p->ports[i]);
		else
			ports_del(n, &p->ports[i]);
	}
	node_flags(s, n);
}

int kube__snapshot_place(kube_sched *s, kube__pod *p, kube_sched_node *n)
{
	/* make room first, so that accounting never half-happens */
	if (n->npods == n->cap_pods) {
		size_t nc = n->cap_pods ? n->cap_pods * 2 : 8;
		kube__pod **v = kube_realloc(n->pods, nc * sizeof(*v));
		if (!v)
			return kube__error_oom();
		n->pods = v;
		n->cap_pods = nc;
	}
	for (size_t i = 0; i < p->nscalars; i++)
		if (scalar_adjust(n, p->scalars[i].id, 0) != 0)
			return KUBE_ENOMEM;
	for (size_t i = 0; i < p->nports; i++) {
		if (n->nports + p->nports > n->cap_ports) {
			size_t nc = n->nports + p->nports + 4;
			kube__host_port *v = kube_realloc(n->ports, nc * sizeof(*v));
			if (!v)
				return kube__error_oom();
			n->ports = v;
			n->cap_ports = nc;
		}
	}
	if (p->nanti && s->nanti_pods == s->cap_anti_pods) {
		size_t nc = s->cap_anti_pods ? s->cap_anti_pods * 2 : 16;
		kube__pod **v = kube_realloc(s->anti_pods, nc * sizeof(*v));
		if (!v)
			return kube__error_oom();
		s->anti_pods = v;
		s->cap_anti_pods = nc;
	}
	if (kube__pod_has_affinity(p) && s->naff_pods == s->cap_aff_pods) {
		size_t nc = s->cap_aff_pods ? s->cap_aff_pods * 2 : 16;
		kube__pod **v = kube_realloc(s->aff_pods, nc * sizeof(*v));
		if (!v)
			return kube__error_oom();
		s->aff_pods = v;
		s->cap_aff_pods = nc;
	}
	if (kube__pod_has_affinity(p)) {
		p->aff_index = s->naff_pods;
		s->aff_pods[s->naff_pods++] = p;
	}
	if (p->nanti) {
		p->anti_index = s->nanti_pods;
		s->anti_pods[s->nanti_pods++] = p;
	}
	p->slot = n->slot;
	n->pods[n->npods++] = p;
	pod_account(s, p, n, +1);
	return 0;
}

void kube__snapshot_unplace(kube_sched *s, kube__pod *p)
{
	kube_sched_node *n = s->node[p->slot];
	for (size_t i = 0; i < n->npods; i++)
		if (n->pods[i] == p) {
			n->pods[i] = n->pods[--n->npods];
			break;
		}
	pod_account(s, p, n, -1);
	anti_del(s, p);
}

int kube__snapshot_assume(kube_sched *s, kube__pod *p, kube_sched_node *n)
{
	char key[512];
	snprintf(key, sizeof(key), "%s/%s", p->ns, p->name);
	if (kube__map_put(&s->pods_by_key, key, p) != 0)
		return KUBE_ENOMEM;
	int rc = kube__snapshot_place(s, p, n);
	if (rc != 0)
		kube__map_del(&s->pods_by_key, key);
	return rc;
}

/* The bytes of a compact object's spec, or NULL. */
static const char *spec_text(const kube_object *o, size_t *len)
{
	return kube__object_peek_text(o, "spec", len);
}

static int same_string(const char *a, const char *b)
{
	return a == b || (a && b && strcmp(a, b) == 0);
}

/* Does a compact object's text lack the quoted word?  The encoder writes
 * member names as they are, so such an object has no member of that name
 * (memmem is cheaper than walking the text to the field). */
static int lacks(const kube_object *o, const char *quoted)
{
	size_t n;
	const char *t = kube__object_text(o, &n);
	return t && !memmem(t, n, quoted, strlen(quoted));
}

static int same_peek(const kube_object *a, const kube_object *b, const char *path,
                     const char *quoted_name)
{
	if (lacks(a, quoted_name) && lacks(b, quoted_name))
		return 1;
	kube__buf x = KUBE__BUF_INIT, y = KUBE__BUF_INIT;
	const char *va = NULL, *vb = NULL;
	kube__object_peek_string(a, path, &x, &va);
	kube__object_peek_string(b, path, &y, &vb);
	int same = same_string(va, vb);
	kube__buf_free(&x);
	kube__buf_free(&y);
	return same;
}

/*
 * Is b the spec a with member "nodeName":node appended, as a bind writes
 * it (kube_object_set_string adds a new member last)?
 */
static int spec_plus_node(const char *a, size_t la, const char *b, size_t lb, const char *node)
{
	size_t nl = strlen(node), add = (la > 2 ? 1 : 0) + 12 + nl + 1;   /* [,]"nodeName":"X" */
	if (la < 2 || lb != la + add || memcmp(a, b, la - 1) != 0)
		return 0;
	b += la - 1;
	if (la > 2 && *b++ != ',')
		return 0;
	return memcmp(b, "\"nodeName\":\"", 12) == 0 && memcmp(b + 12, node, nl) == 0 &&
	       b[12 + nl] == '"' && b[13 + nl] == '}';
}

/*
 * Does the new version `pod` of the placed view p leave everything the
 * view was derived from as it was?  The view reads the spec, the labels
 * (through its object, and other pods' terms matched them when it was
 * placed), the deletion mark and status.nominatedNodeName; a kubelet's
 * status writes (phase, conditions, IPs) change none of them, and the
 * startTime they set is read into the view as it stays.  The bind of an
 * assumed view changes only
 * spec.nodeName, to the node it is assumed on (*binds = 1).  Compact
 * objects only: their spec texts are compared byte for byte; a node name
 * that would need escapes is never taken for equal.
 */
static int same_view(kube_sched *s, const kube__pod *p, const kube_object *pod, int *binds)
{
	const kube_object *old = p->obj;
	const char *sa, *sb;
	size_t la = 0, lb = 0;
	*binds = 0;
	if (!p->interned || !same_string(kube_object_uid(old), kube_object_uid(pod)) ||
	    !same_string(kube_object_deletion_timestamp(old), kube_object_deletion_timestamp(pod)) ||
	    !kube_labels_equal(kube_object_labels(old), kube_object_labels(pod)))
		return 0;
	if (!(sa = spec_text(old, &la)) || !(sb = spec_text(pod, &lb)))
		return 0;
	if (p->assumed) {
		const char *node = s->node[p->slot]->name;
		if (p->node_name || strpbrk(node, "\"\\") || !spec_plus_node(sa, la, sb, lb, node))
			return 0;
		*binds = 1;
	} else if (la != lb || memcmp(sa, sb, la) != 0) {
		return 0;
	}
	/* status.startTime, which a kubelet's first status write sets, is
	 * read into the kept view (kube_sched_pod_add), not a reason to
	 * derive it again */
	return same_peek(old, pod, "status.nominatedNodeName", "\"nominatedNodeName\"");
}

int kube_sched_pod_add(kube_sched *s, kube_object *pod)
{
	KUBE_CHECK_ARG(s != NULL);
	KUBE_CHECK_ARG(pod != NULL);
	kube__pod *p;
	char key[512];
	const char *pns = kube_object_namespace(pod), *pname = kube_object_name(pod);
	snprintf(key, sizeof(key), "%s/%s", pns ? pns : "", pname ? pname : "");
	int binds = 0;
	if ((p = kube__map_get(&s->pods_by_key, key)) != NULL && same_view(s, p, pod, &binds)) {
		/* a status write, or the bind of the assumed view: the view
		 * stays where it is placed, on the new version (its strings are
		 * interned, none borrowed from the old one) */
		if (binds) {
			uint32_t id;
			if (kube__intern_id(s->names, s->node[p->slot]->name, &id) != 0)
				return KUBE_ENOMEM;
			p->node_name = kube__intern_str(s->names, id);
			p->assumed = 0;
		}
		kube__pod_set_start_time(p, pod);
		kube_object_unref(p->obj);
		p->obj = kube_object_ref(pod);
		p->ns = pns ? pns : "";
		p->name = pname ? pname : "";
		if (s->nnominees)
			kube__nominee_forget(s, key);
		return 0;
	}
	int rc = kube__pod_new(&p, pod, s);
	if (rc != 0)
		return rc;
	if (!p->node_name || !*p->node_name) {
		kube__pod_free(p);
		return kube__error_set(KUBE_EINVAL, "spec.nodeName",
		                       "spec.nodeName: Required value: the pod is not bound");
	}
	kube_sched_node *n = kube__map_get(&s->nodes_by_name, p->node_name);
	if (!n) {
		rc = kube__error_set(KUBE_ENOTFOUND, "spec.nodeName", "node \"%s\" not found",
		                     p->node_name);
		kube__pod_free(p);
		return rc;
	}
	kube_sched_pod_remove(s, p->ns, p->name);
	kube_error_clear();
	rc = kube__snapshot_assume(s, p, n);
	if (rc != 0) {
		kube__pod_free(p);
		return rc;
	}
	/* a bound pod is no longer a nominee (upstream's DeleteNominatedPodIfExists) */
	if (s->nnominees)
		kube__nominee_forget(s, key);
	return 0;
}

int kube_sched_pod_remove(kube_sched *s, const char *ns, const char *name)
{
	KUBE_CHECK_ARG(s != NULL);
	KUBE_CHECK_ARG(name != NULL);
	char key[512];
	snprintf(key, sizeof(key), "%s/%s", ns ? ns : "", name);
	kube__pod *p = kube__map_del(&s->pods_by_key, key);
	if (!p)
		return kube__error_set(KUBE_ENOTFOUND, NULL, "pod \"%s\" not found", key);
	kube__snapshot_unplace(s, p);
	kube__pod_free(p);
	return 0;
}

size_t kube_sched_node_pod_count(const kube_sched *s, const char *node)
{
	if (!s || !node)
		return 0;
	kube_sched_node *n = kube__map_get(&s->nodes_by_name, node);
	return n ? n->npods : 0;
}

int kube_sched_node_resource(const kube_sched *s, const char *node, const char *resource,
                             int64_t *allocatable, int64_t *requested)
{
	KUBE_CHECK_ARG(s != NULL && node != NULL && resource != NULL);
	kube_sched_node *n = kube__map_get(&s->nodes_by_name, node);
	if (!n)
		return kube__error_set(KUBE_ENOTFOUND, NULL, "node \"%s\" not found", node);
	static const char *const cols[KUBE__R_N] = { "cpu", "memory", "ephemeral-storage", "pods" };
	int64_t a = 0, r = 0;
	int found = 0;
	for (int i = 0; i < KUBE__R_N; i++)
		if (strcmp(resource, cols[i]) == 0) {
			a = s->alloc[i][n->slot];
			r = s->req[i][n->slot];
			found = 1;
		}
	if (!found) {
		uint32_t id;
		if (kube__intern_id(s->names, resource, &id) != 0)
			return KUBE_ENOMEM;
		found = kube__scalar_find(n->alloc_sc, n->nalloc_sc, id, &a) |
		        kube__scalar_find(n->req_sc, n->nreq_sc, id, &r);
	}
	if (!found)
		return kube__error_set(KUBE_ENOTFOUND, NULL, "node \"%s\" has no resource \"%s\"",
		                       node, resource);
	if (allocatable)
		*allocatable = a;
	if (requested)
		*requested = r;
	return 0;
}

/* ---- namespaces ---- */

/* Remembered answers of InterPodAffinity depend on namespace labels. */
static void namespaces_changed(kube_sched *s)
{
	s->nsinfo.gen++;
	kube_free(s->ip_key);
	s->ip_key = NULL;
}

int kube_sched_namespace_add(kube_sched *s, const kube_object *ns)
{
	KUBE_CHECK_ARG(s != NULL && ns != NULL);
	const char *name = kube_object_name(ns);
	if (!name || !*name)
		return kube__error_set(KUBE_EINVAL, "metadata.name", "metadata.name: Required value");
	kube_labels *copy;
	if (kube_labels_copy(&copy, kube_object_labels(ns)) != 0)
		return kube__error_oom();
	kube_labels *old = kube__map_get(&s->nsinfo.labels, name);
	if (kube__map_put(&s->nsinfo.labels, name, copy) != 0) {
		kube_labels_free(copy);
		return KUBE_ENOMEM;
	}
	kube_labels_free(old);
	namespaces_changed(s);
	return 0;
}

int kube_sched_namespace_remove(kube_sched *s, const char *name)
{
	KUBE_CHECK_ARG(s != NULL && name != NULL);
	kube_labels *old = kube__map_del(&s->nsinfo.labels, name);
	if (!old)
		return kube__error_set(KUBE_ENOTFOUND, NULL, "namespace \"%s\" not found", name);
	kube_labels_free(old);
	namespaces_changed(s);
	return 0;
}

const char *kube_sched_node_name(const kube_sched_node *n)
{
	return n ? n->name : NULL;
}

const kube_object *kube_sched_node_object(const kube_sched_node *n)
{
	return n ? n->obj : NULL;
}

const kube_labels *kube_sched_node_labels(const kube_sched_node *n)
{
	return n ? kube_object_labels(n->obj) : NULL;
}
