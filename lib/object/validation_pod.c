/*
 * validation_pod.c - the pod spec and the Pod kind.
 *
 * Mirrors the pod half of pkg/apis/core/validation/validation.go:
 * ValidatePodCreate() and ValidatePodSpec() with validateVolumes(),
 * validateTolerations(), validateAffinity() (node selector terms, pod
 * (anti-)affinity terms), validatePodSpecSecurityContext() (user and group
 * IDs only), validateTopologySpreadConstraints() and validateReadinessGates();
 * and ValidatePodTemplateSpec() for the workload kinds
 * (validation_workloads.c).  Containers are checked by
 * validation_container.c.
 *
 * Absent fields that the API server would default (restartPolicy,
 * dnsPolicy, ...) are checked as their defaults; see validation.c.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "validation_private.h"

/* ------------------------------------------------------------------------ */
/* volumes and the pod spec                                                  */

/* Volume sources in upstream's order of checks; `path` is the name upstream
 * reports (a few differ from the JSON key, typos included). */
static const struct volume_source {
	const char *key, *path;
} volume_sources[] = {
	{ "hostPath", "hostPath" }, { "gitRepo", "gitRepo" },
	{ "gcePersistentDisk", "gcePersistentDisk" }, { "awsElasticBlockStore", "awsElasticBlockStore" },
	{ "secret", "secret" }, { "nfs", "nfs" }, { "iscsi", "iscsi" }, { "glusterfs", "glusterfs" },
	{ "flocker", "flocker" }, { "persistentVolumeClaim", "persistentVolumeClaim" },
	{ "rbd", "rbd" }, { "cinder", "cinder" }, { "cephfs", "cephFS" }, { "quobyte", "quobyte" },
	{ "downwardAPI", "downwarAPI" }, { "fc", "fc" }, { "flexVolume", "flexVolume" },
	{ "configMap", "configMap" }, { "azureFile", "azureFile" }, { "vsphereVolume", "vsphereVolume" },
	{ "photonPersistentDisk", "photonPersistentDisk" }, { "portworxVolume", "portworxVolume" },
	{ "azureDisk", "azureDisk" }, { "storageos", "storageos" }, { "projected", "projected" },
	{ "scaleIO", "scaleIO" }, { "csi", "csi" }, { "ephemeral", "ephemeral" }, { "image", "image" },
	{ NULL, NULL },
};

/* The one required member of the common sources. */
static void validate_volume_source(kube__val_ctx *c, const char *key, json_object *src)
{
	const char *field = NULL;
	size_t mark;

	if (strcmp(key, "hostPath") == 0)
		field = "path";
	else if (strcmp(key, "secret") == 0)
		field = "secretName";
	else if (strcmp(key, "configMap") == 0)
		field = "name";
	else if (strcmp(key, "persistentVolumeClaim") == 0)
		field = "claimName";
	if (!field)
		return;
	mark = kube__val_push(c, key);
	if (!*kube__val_get_str_or(c, src, field, ""))
		kube__val_required(c, field, NULL);
	kube__val_pop(c, mark);
}

/* ValidateVolumes() at "volumes"; `vols` receives the names of the valid ones. */
static void validate_volumes(kube__val_ctx *c, json_object *spec, kube__val_nameset *vols)
{
	json_object *list;
	kube__val_nameset all = { 0 };
	size_t mark;

	if (kube__val_get_array(c, spec, "volumes", &list) != 1)
		return;
	mark = kube__val_push(c, "volumes");
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		json_object *vol = json_object_array_get_idx(list, i), *src;
		size_t m2 = kube__val_push_index(c, i), before = c->v->count;
		const char *name;
		int sources = 0;

		if (!vol || !json_object_is_type(vol, json_type_object)) {
			kube__val_type_problem(c, NULL, vol, "object");
			kube__val_pop(c, m2);
			continue;
		}
		if (kube__val_get_map(c, vol, "emptyDir", &src) == 1)
			sources++;
		for (size_t s = 0; volume_sources[s].key; s++) {
			if (kube__val_get_map(c, vol, volume_sources[s].key, &src) != 1)
				continue;
			if (sources++) {
				kube__val_forbidden(c, volume_sources[s].path, "may not specify more than 1 volume type");
				continue;
			}
			validate_volume_source(c, volume_sources[s].key, src);
		}
		if (sources == 0)
			kube__val_required(c, NULL, "must specify a volume type");
		name = kube__val_get_str_or(c, vol, "name", "");
		if (!*name)
			kube__val_required(c, "name", NULL);
		else
			kube__val_check_name(c, "name", kube__check_dns1123_label, name);
		if (kube__val_nameset_has(&all, name))
			kube__val_duplicate(c, "name", kube__val_vstr(name));
		if (c->v->count == before) {
			kube__val_nameset_add(c, &all, name);
			kube__val_nameset_add(c, vols, name);
		}
		kube__val_pop(c, m2);
	}
	kube__val_pop(c, mark);
	kube__val_nameset_free(&all);
}

/* upstream's internal core.Toleration as Go marshals it */
static void put_toleration_json(kube__buf *b, json_object *t)
{
	static const char *const keys[] = { "key", "operator", "value", "effect", NULL };
	static const char *const names[] = { "Key", "Operator", "Value", "Effect", NULL };
	json_object *secs = kube__val_member(t, "tolerationSeconds");

	kube__buf_putc(b, '{');
	for (size_t i = 0; keys[i]; i++) {
		json_object *v = kube__val_member(t, keys[i]);
		kube__buf_printf(b, "%s\"%s\":", i ? "," : "", names[i]);
		kube__val_put_go_json_string(b, v && json_object_is_type(v, json_type_string) ? kube__val_str_of(v) : "");
	}
	kube__buf_puts(b, ",\"TolerationSeconds\":");
	if (secs)
		kube__val_put_go_json(b, secs);
	else
		kube__buf_puts(b, "null");
	kube__buf_putc(b, '}');
}

static const char *const taint_effects[] = { "NoSchedule", "PreferNoSchedule", "NoExecute", NULL };

/* ValidateTolerations() at "tolerations". */
static void validate_tolerations(kube__val_ctx *c, json_object *spec)
{
	static const char *const operators[] = { "Equal", "Exists", NULL };
	json_object *list;
	size_t mark;

	if (kube__val_get_array(c, spec, "tolerations", &list) != 1)
		return;
	mark = kube__val_push(c, "tolerations");
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		json_object *t = json_object_array_get_idx(list, i);
		size_t m2 = kube__val_push_index(c, i);
		const char *key, *op, *value, *effect;
		int64_t secs;
		int has_secs;

		if (!t || !json_object_is_type(t, json_type_object)) {
			kube__val_type_problem(c, NULL, t, "object");
			kube__val_pop(c, m2);
			continue;
		}
		key = kube__val_get_str_or(c, t, "key", "");
		op = kube__val_get_str_or(c, t, "operator", "");
		value = kube__val_get_str_or(c, t, "value", "");
		effect = kube__val_get_str_or(c, t, "effect", "");
		has_secs = kube__val_get_int64(c, t, "tolerationSeconds", &secs) == 1;
		if (*key)
			kube__val_check_name(c, "key", kube__check_qualified_name, key);
		if (!*key && strcmp(op, "Exists") != 0)
			kube__val_invalid(c, "operator", kube__val_vstr(op), "operator must be Exists when `key` is empty, "
			                                 "which means \"match all values and all keys\"");
		if (has_secs && strcmp(effect, "NoExecute") != 0)
			kube__val_invalid(c, "effect", kube__val_vstr(effect), "effect must be 'NoExecute' when `tolerationSeconds` is set");
		if (!*op || strcmp(op, "Equal") == 0) {
			kube__buf msgs = KUBE__BUF_INIT;
			if (kube__check_label_value(value, strlen(value), &msgs)) {
				/* upstream joins these with ";", unlike the name checks' "; " */
				char *joined = kube_strdup(msgs.data ? msgs.data : "");
				if (!joined || msgs.failed) {
					c->oom = 1;
				} else {
					char *w = joined;
					for (const char *r = joined; *r; r++) {
						*w++ = *r;
						if (r[0] == ';' && r[1] == ' ')
							r++;
					}
					*w = '\0';
					kube__val_invalid(c, "operator", kube__val_vstr(value), joined);
				}
				kube_free(joined);
			}
			kube__buf_free(&msgs);
		} else if (strcmp(op, "Exists") == 0) {
			if (*value)
				kube__val_invalid_json(c, "operator", put_toleration_json, t,
				             "value must be empty when `operator` is 'Exists'");
		} else {
			kube__val_not_supported(c, "operator", kube__val_vstr(op), operators);
		}
		if (*effect && !kube__val_is_one_of(effect, taint_effects))
			kube__val_not_supported(c, "effect", kube__val_vstr(effect), taint_effects);
		kube__val_pop(c, m2);
	}
	kube__val_pop(c, mark);
}

/* Runs f over each element of the array member `key`, at "<key>[i]". */
static void each(kube__val_ctx *c, json_object *map, const char *key,
                 void (*f)(kube__val_ctx *c, json_object *item, void *arg), void *arg)
{
	json_object *list;
	size_t mark;

	if (kube__val_get_array(c, map, key, &list) != 1)
		return;
	mark = kube__val_push(c, key);
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		json_object *item = json_object_array_get_idx(list, i);
		size_t m2 = kube__val_push_index(c, i);
		if (!item || !json_object_is_type(item, json_type_object))
			kube__val_type_problem(c, NULL, item, "object");
		else
			f(c, item, arg);
		kube__val_pop(c, m2);
	}
	kube__val_pop(c, mark);
}

/* ValidateNodeSelectorRequirement(); arg non-NULL allows invalid values. */
static void node_selector_requirement(kube__val_ctx *c, json_object *rq, void *allow_invalid_values)
{
	const char *op = kube__val_get_str_or(c, rq, "operator", "");
	json_object *vals;
	size_t n = 0;

	if (kube__val_get_array(c, rq, "values", &vals) == 1)
		n = json_object_array_length(vals);
	if (strcmp(op, "In") == 0 || strcmp(op, "NotIn") == 0) {
		if (n == 0)
			kube__val_required(c, "values", "must be specified when `operator` is 'In' or 'NotIn'");
	} else if (strcmp(op, "Exists") == 0 || strcmp(op, "DoesNotExist") == 0) {
		if (n > 0)
			kube__val_forbidden(c, "values", "may not be specified when `operator` is 'Exists' or 'DoesNotExist'");
	} else if (strcmp(op, "Gt") == 0 || strcmp(op, "Lt") == 0) {
		if (n != 1)
			kube__val_required(c, "values", "must be specified single value when `operator` is 'Lt' or 'Gt'");
	} else {
		kube__val_invalid(c, "operator", kube__val_vstr(op), "not a valid selector operator");
	}
	kube__val_check_name(c, "key", kube__check_qualified_name, kube__val_get_str_or(c, rq, "key", ""));
	for (size_t i = 0; !allow_invalid_values && i < n; i++) {
		json_object *v = json_object_array_get_idx(vals, i);
		size_t m = kube__val_push(c, "values");
		kube__val_push_index(c, i);
		if (v && json_object_is_type(v, json_type_string))
			kube__val_check_name(c, NULL, kube__check_label_value, kube__val_str_of(v));
		else
			kube__val_type_problem(c, NULL, v, "string");
		kube__val_pop(c, m);
	}
}

/* ValidateNodeFieldSelectorRequirement() */
static void node_field_requirement(kube__val_ctx *c, json_object *rq, void *unused)
{
	const char *op = kube__val_get_str_or(c, rq, "operator", "");
	const char *key = kube__val_get_str_or(c, rq, "key", "");
	json_object *vals;
	size_t n = 0;

	KUBE_UNUSED(unused);
	if (kube__val_get_array(c, rq, "values", &vals) == 1)
		n = json_object_array_length(vals);
	if (strcmp(op, "In") == 0 || strcmp(op, "NotIn") == 0) {
		if (n != 1)
			kube__val_required(c, "values", "must be only one value when `operator` is 'In' or 'NotIn' for node field selector");
	} else {
		kube__val_invalid(c, "operator", kube__val_vstr(op), "not a valid selector operator");
	}
	if (strcmp(key, "metadata.name") != 0) {
		kube__val_invalid(c, "key", kube__val_vstr(key), "not a valid field selector key");
	} else {
		for (size_t i = 0; i < n; i++) {
			const char *v = kube__val_str_of(json_object_array_get_idx(vals, i));
			size_t m = kube__val_push(c, "values");
			kube__val_push_index(c, i);
			kube__val_check_name(c, NULL, kube__check_dns1123_subdomain, v ? v : "");
			kube__val_pop(c, m);
		}
	}
}

/* ValidateNodeSelectorTerm() */
static void node_selector_term(kube__val_ctx *c, json_object *term, void *allow_invalid_values)
{
	each(c, term, "matchExpressions", node_selector_requirement, allow_invalid_values);
	each(c, term, "matchFields", node_field_requirement, NULL);
}

static void weight_1_100(kube__val_ctx *c, json_object *item)
{
	int64_t w = 0;
	if (kube__val_get_int32(c, item, "weight", &w) >= 0 && (w <= 0 || w > 100))
		kube__val_invalid(c, "weight", kube__val_vint(w), "must be in the range 1-100");
}

/* ValidatePreferredSchedulingTerms(): invalid label values are allowed there */
static void preferred_scheduling_term(kube__val_ctx *c, json_object *term, void *unused)
{
	json_object *pref;
	size_t m;

	KUBE_UNUSED(unused);
	weight_1_100(c, term);
	kube__val_get_map(c, term, "preference", &pref);
	m = kube__val_push(c, "preference");
	node_selector_term(c, pref, (void *)1);
	kube__val_pop(c, m);
}

/* validatePodAffinityTerm() */
static void pod_affinity_term(kube__val_ctx *c, json_object *term, void *unused)
{
	json_object *sel, *nss;
	const char *topo;

	KUBE_UNUSED(unused);
	if (kube__val_get_map(c, term, "labelSelector", &sel) == 1)
		kube__val_validate_label_selector(c, "labelSelector", sel);
	if (kube__val_get_map(c, term, "namespaceSelector", &sel) == 1)
		kube__val_validate_label_selector(c, "namespaceSelector", sel);
	if (kube__val_get_array(c, term, "namespaces", &nss) == 1) {
		for (size_t i = 0; i < json_object_array_length(nss); i++) {
			const char *ns = kube__val_str_of(json_object_array_get_idx(nss, i));
			/* upstream reports these on "namespace", singular */
			kube__val_check_name(c, "namespace", kube__check_dns1123_label, ns ? ns : "");
		}
	}
	topo = kube__val_get_str_or(c, term, "topologyKey", "");
	if (!*topo)
		kube__val_required(c, "topologyKey", "can not be empty");
	kube__val_check_name(c, "topologyKey", kube__check_qualified_name, topo);
}

static void weighted_pod_affinity_term(kube__val_ctx *c, json_object *term, void *unused)
{
	json_object *t;
	size_t m;

	KUBE_UNUSED(unused);
	weight_1_100(c, term);
	kube__val_get_map(c, term, "podAffinityTerm", &t);
	m = kube__val_push(c, "podAffinityTerm");
	pod_affinity_term(c, t ? t : NULL, NULL);
	kube__val_pop(c, m);
}

/* validateAffinity() at "affinity". */
static void validate_affinity(kube__val_ctx *c, json_object *spec)
{
	static const char *const pod_kinds[] = { "podAffinity", "podAntiAffinity", NULL };
	json_object *aff, *na, *req;
	size_t mark;

	if (kube__val_get_map(c, spec, "affinity", &aff) != 1)
		return;
	mark = kube__val_push(c, "affinity");
	if (kube__val_get_map(c, aff, "nodeAffinity", &na) == 1) {
		size_t m2 = kube__val_push(c, "nodeAffinity");
		if (kube__val_get_map(c, na, "requiredDuringSchedulingIgnoredDuringExecution", &req) == 1) {
			json_object *terms;
			size_t m3 = kube__val_push(c, "requiredDuringSchedulingIgnoredDuringExecution");
			if (kube__val_get_array(c, req, "nodeSelectorTerms", &terms) >= 0 &&
			    (!terms || json_object_array_length(terms) == 0))
				kube__val_required(c, "nodeSelectorTerms", "must have at least one node selector term");
			else
				each(c, req, "nodeSelectorTerms", node_selector_term, NULL);
			kube__val_pop(c, m3);
		}
		each(c, na, "preferredDuringSchedulingIgnoredDuringExecution", preferred_scheduling_term, NULL);
		kube__val_pop(c, m2);
	}
	for (size_t k = 0; pod_kinds[k]; k++) {
		json_object *pa;
		size_t m2;
		if (kube__val_get_map(c, aff, pod_kinds[k], &pa) != 1)
			continue;
		m2 = kube__val_push(c, pod_kinds[k]);
		each(c, pa, "requiredDuringSchedulingIgnoredDuringExecution", pod_affinity_term, NULL);
		each(c, pa, "preferredDuringSchedulingIgnoredDuringExecution", weighted_pod_affinity_term, NULL);
		kube__val_pop(c, m2);
	}
	kube__val_pop(c, mark);
}

#define ID_RANGE_MSG "must be between 0 and 2147483647, inclusive"

/* validatePodSpecSecurityContext(): the ID ranges and the PID namespace rule. */
static void validate_pod_security_context(kube__val_ctx *c, json_object *spec)
{
	static const char *const ids[] = { "fsGroup", "runAsUser", "runAsGroup", NULL };
	json_object *sc, *groups;
	int64_t v;
	int share = 0, host_pid = 0;
	size_t mark;

	if (kube__val_get_map(c, spec, "securityContext", &sc) != 1)
		return;
	mark = kube__val_push(c, "securityContext");
	for (size_t i = 0; ids[i]; i++)
		if (kube__val_get_int64(c, sc, ids[i], &v) == 1 && (v < 0 || v > INT32_MAX))
			kube__val_invalid(c, ids[i], kube__val_vint(v), ID_RANGE_MSG);
	if (kube__val_get_array(c, sc, "supplementalGroups", &groups) == 1) {
		for (size_t i = 0; i < json_object_array_length(groups); i++) {
			json_object *g = json_object_array_get_idx(groups, i);
			size_t m2 = kube__val_push(c, "supplementalGroups");
			kube__val_push_index(c, i);
			if (!g || !json_object_is_type(g, json_type_int))
				kube__val_type_problem(c, NULL, g, "int64");
			else if (json_object_get_int64(g) < 0 || json_object_get_int64(g) > INT32_MAX)
				kube__val_invalid(c, NULL, kube__val_vint(json_object_get_int64(g)), ID_RANGE_MSG);
			kube__val_pop(c, m2);
		}
	}
	/* the v1 fields live on the spec; upstream's internal type keeps them here */
	if (kube__val_get_bool(c, spec, "shareProcessNamespace", &share) == 1 && share &&
	    kube__val_get_bool(c, spec, "hostPID", &host_pid) == 1 && host_pid)
		kube__val_invalid(c, "shareProcessNamespace", kube__val_vraw("true"), "ShareProcessNamespace and HostPID cannot both be enabled");
	kube__val_pop(c, mark);
}

/* validateTopologySpreadConstraints() at "topologySpreadConstraints". */
static void validate_topology_spread(kube__val_ctx *c, json_object *spec)
{
	static const char *const actions[] = { "DoNotSchedule", "ScheduleAnyway", NULL };
	static const char *const policies[] = { "Honor", "Ignore", NULL };
	json_object *list;
	size_t mark, n;

	if (kube__val_get_array(c, spec, "topologySpreadConstraints", &list) != 1)
		return;
	mark = kube__val_push(c, "topologySpreadConstraints");
	n = json_object_array_length(list);
	for (size_t i = 0; i < n; i++) {
		json_object *tc = json_object_array_get_idx(list, i), *sel;
		size_t m2 = kube__val_push_index(c, i);
		const char *key, *action;
		int64_t skew = 0, min_domains;

		if (!tc || !json_object_is_type(tc, json_type_object)) {
			kube__val_type_problem(c, NULL, tc, "object");
			kube__val_pop(c, m2);
			continue;
		}
		if (kube__val_get_int32(c, tc, "maxSkew", &skew) >= 0 && skew <= 0)
			kube__val_invalid(c, "maxSkew", kube__val_vint(skew), "must be greater than zero");
		key = kube__val_get_str_or(c, tc, "topologyKey", "");
		if (!*key)
			kube__val_required(c, "topologyKey", "can not be empty");
		action = kube__val_get_str_or(c, tc, "whenUnsatisfiable", "");
		if (!kube__val_is_one_of(action, actions))
			kube__val_not_supported(c, "whenUnsatisfiable", kube__val_vstr(action), actions);
		for (size_t j = i + 1; j < n; j++) {
			json_object *other = json_object_array_get_idx(list, j);
			const char *ok = kube__val_str_of(kube__val_member(other, "topologyKey"));
			const char *oa = kube__val_str_of(kube__val_member(other, "whenUnsatisfiable"));
			if (strcmp(ok ? ok : "", key) == 0 && strcmp(oa ? oa : "", action) == 0) {
				char dup[1200];
				snprintf(dup, sizeof(dup), "{%s, %s}", key, action);
				kube__val_duplicate(c, "{topologyKey, whenUnsatisfiable}", kube__val_vstr(dup));
				break;
			}
		}
		if (kube__val_get_int32(c, tc, "minDomains", &min_domains) == 1) {
			if (min_domains <= 0)
				kube__val_invalid(c, "minDomains", kube__val_vint(min_domains), "must be greater than zero");
			if (strcmp(action, "DoNotSchedule") != 0) {
				char detail[600];
				snprintf(detail, sizeof(detail),
				         "can only use minDomains if whenUnsatisfiable=DoNotSchedule, not %s", action);
				kube__val_invalid(c, "minDomains", kube__val_vint(min_domains), detail);
			}
		}
		{
			static const char *const pols[] = { "nodeAffinityPolicy", "nodeTaintsPolicy", NULL };
			for (size_t k = 0; pols[k]; k++) {
				const char *p;
				if (kube__val_get_string(c, tc, pols[k], &p) == 1 && !kube__val_is_one_of(p, policies))
					kube__val_not_supported(c, pols[k], kube__val_vstr(p), policies);
			}
		}
		if (kube__val_get_map(c, tc, "labelSelector", &sel) == 1)
			kube__val_validate_label_selector(c, "labelSelector", sel);
		kube__val_pop(c, m2);
	}
	kube__val_pop(c, mark);
}

/* validateReadinessGates() */
static void validate_readiness_gates(kube__val_ctx *c, json_object *spec)
{
	json_object *list;
	size_t mark;

	if (kube__val_get_array(c, spec, "readinessGates", &list) != 1)
		return;
	mark = kube__val_push(c, "readinessGates");
	for (size_t i = 0; i < json_object_array_length(list); i++) {
		const char *ct = kube__val_str_of(kube__val_member(json_object_array_get_idx(list, i), "conditionType"));
		size_t m2 = kube__val_push_index(c, i);
		kube__val_check_name(c, "conditionType", kube__check_qualified_name, ct ? ct : "");
		kube__val_pop(c, m2);
	}
	kube__val_pop(c, mark);
}

static const char *const restart_policies[] = { "Always", "OnFailure", "Never", NULL };
static const char *const dns_policies[] = { "ClusterFirstWithHostNet", "ClusterFirst", "Default",
                                            "None", NULL };

/*
 * ValidatePodSpec() at the current path.  `extra_vols` are volumes the pods
 * will get from elsewhere (a StatefulSet's volumeClaimTemplates).  Returns
 * the effective restartPolicy (borrowed; "Always" when defaulted).
 */
static const char *validate_pod_spec(kube__val_ctx *c, json_object *spec, const kube__val_nameset *extra_vols)
{
	kube__val_nameset vols = { 0 }, names = { 0 };
	const char *rp = "Always", *dns = "ClusterFirst", *s;
	int64_t v;

	kube__val_get_int64(c, spec, "terminationGracePeriodSeconds", &v);
	validate_volumes(c, spec, &vols);
	for (size_t i = 0; extra_vols && i < extra_vols->n; i++)
		if (!kube__val_nameset_has(&vols, extra_vols->v[i]))
			kube__val_nameset_add(c, &vols, extra_vols->v[i]);
	kube__val_validate_containers(c, spec, &vols, &names);
	kube__val_validate_init_containers(c, spec, &vols, &names);
	rp = kube__val_get_str_dflt(c, spec, "restartPolicy", "Always");
	if (!*rp)
		kube__val_required(c, "restartPolicy", NULL);
	else if (!kube__val_is_one_of(rp, restart_policies))
		kube__val_not_supported(c, "restartPolicy", kube__val_vstr(rp), restart_policies);
	dns = kube__val_get_str_dflt(c, spec, "dnsPolicy", "ClusterFirst");
	if (!*dns)
		kube__val_required(c, "dnsPolicy", NULL);
	else if (!kube__val_is_one_of(dns, dns_policies))
		kube__val_not_supported(c, "dnsPolicy", kube__val_vstr(dns), dns_policies);
	kube__val_validate_labels(c, "nodeSelector", kube__val_get_labels_member(c, spec, "nodeSelector"));
	validate_pod_security_context(c, spec);
	validate_affinity(c, spec);
	if (strcmp(dns, "None") == 0 && !kube__val_member(spec, "dnsConfig"))
		kube__val_required(c, "dnsConfig", "must provide `dnsConfig` when `dnsPolicy` is None");
	validate_readiness_gates(c, spec);
	validate_topology_spread(c, spec);
	if (*(s = kube__val_get_str_or(c, spec, "serviceAccountName", "")))
		kube__val_check_name(c, "serviceAccountName", kube__check_dns1123_subdomain, s);
	if (*(s = kube__val_get_str_or(c, spec, "nodeName", "")))
		kube__val_check_name(c, "nodeName", kube__check_dns1123_subdomain, s);
	if (kube__val_get_int64(c, spec, "activeDeadlineSeconds", &v) == 1 && (v < 1 || v > INT32_MAX))
		kube__val_invalid(c, "activeDeadlineSeconds", kube__val_vint(v), "must be between 1 and 2147483647, inclusive");
	if (*(s = kube__val_get_str_or(c, spec, "hostname", "")))
		kube__val_check_name(c, "hostname", kube__check_dns1123_label, s);
	if (*(s = kube__val_get_str_or(c, spec, "subdomain", "")))
		kube__val_check_name(c, "subdomain", kube__check_dns1123_label, s);
	validate_tolerations(c, spec);
	if (*(s = kube__val_get_str_or(c, spec, "priorityClassName", "")))
		kube__val_check_name(c, "priorityClassName", kube__check_dns1123_subdomain, s);
	if (kube__val_get_string(c, spec, "runtimeClassName", &s) == 1)
		kube__val_check_name(c, "runtimeClassName", kube__check_dns1123_subdomain, s);
	if (kube__val_get_string(c, spec, "preemptionPolicy", &s) == 1) {
		static const char *const preempt[] = { "PreemptLowerPriority", "Never", NULL };
		if (!*s)
			kube__val_required(c, "preemptionPolicy", NULL);
		else if (!kube__val_is_one_of(s, preempt))
			kube__val_not_supported(c, "preemptionPolicy", kube__val_vstr(s), preempt);
	}
	kube__val_nameset_free(&vols);
	kube__val_nameset_free(&names);
	return rp;
}

/* The pod spec under a template (or a Pod): {"spec": ...} of `parent`. */
static const char *validate_pod_spec_at(kube__val_ctx *c, json_object *parent, const kube__val_nameset *extra_vols)
{
	json_object *spec;
	const char *rp = "Always";
	size_t mark;

	if (kube__val_get_map(c, parent, "spec", &spec) < 0)
		return NULL;   /* unknown: the callers skip their restartPolicy rules */
	mark = kube__val_push(c, "spec");
	if (spec) {
		rp = validate_pod_spec(c, spec, extra_vols);
	} else {
		kube__val_required(c, "containers", NULL);
	}
	kube__val_pop(c, mark);
	return rp;
}

/*
 * ValidatePodTemplateSpec() at "template" of `parent`.  Its labels and
 * annotations are reported as "<template>.labels", not under metadata, as
 * upstream does.  Returns the template (NULL when absent) and the effective
 * restartPolicy through *rp (NULL when the spec has the wrong type).
 */
json_object *kube__val_validate_pod_template(kube__val_ctx *c, json_object *parent, const kube__val_nameset *extra_vols,
                                          const char **rp)
{
	json_object *tpl, *md = NULL;
	size_t mark;

	*rp = "Always";
	if (kube__val_get_map(c, parent, "template", &tpl) < 0)
		return NULL;
	mark = kube__val_push(c, "template");
	if (tpl)
		kube__val_get_map(c, tpl, "metadata", &md);
	if (md) {
		size_t m2 = kube__val_push(c, "metadata");
		json_object *l = kube__val_get_labels_member(c, md, "labels");
		json_object *a = kube__val_get_labels_member(c, md, "annotations");
		kube__val_pop(c, m2);
		kube__val_validate_labels(c, "labels", l);
		kube__val_validate_annotations(c, "annotations", a);
	}
	*rp = validate_pod_spec_at(c, tpl, extra_vols);
	if (kube__val_member(kube__val_member(tpl, "spec"), "ephemeralContainers"))
		kube__val_forbidden(c, "spec.ephemeralContainers", "ephemeral containers not allowed in pod template");
	kube__val_pop(c, mark);
	return tpl;
}

json_object *kube__val_template_labels(json_object *tpl)
{
	return kube__val_member(kube__val_member(tpl, "metadata"), "labels");
}

/* ------------------------------------------------------------------------ */
/* Pod                                                                       */

void kube__val_validate_pod(kube__val_ctx *c, json_object *doc)
{
	json_object *spec = kube__val_member(doc, "spec"), *gates = kube__val_member(spec, "schedulingGates");

	validate_pod_spec_at(c, doc, NULL);
	if (kube__val_member(spec, "ephemeralContainers"))
		kube__val_forbidden(c, "spec.ephemeralContainers", "cannot be set on create");
	if (*kube__val_get_str_or(c, spec, "nodeName", "") && gates && json_object_is_type(gates, json_type_array) &&
	    json_object_array_length(gates) > 0)
		kube__val_forbidden(c, "spec.nodeName", "cannot be set until all schedulingGates have been cleared");
}

