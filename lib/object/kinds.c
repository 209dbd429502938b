/*
 * kinds.c - the registry of built-in kinds and kubectl-style name lookup.
 *
 * Three static tables, no allocation and no initialisation at run time:
 *
 *   kinds[]    one kube_kind_info per kind, in kubectl's order of
 *              preference (core group first, then the groups in the order
 *              the API server advertises them in /apis); an entry's index
 *              is its priority when two groups share a name.
 *   names[]    every lowercase name a kind answers to (plural, singular,
 *              short names; the kind lowercased is always the singular),
 *              sorted by (name, full-before-short, priority), so a binary
 *              search lands on the entry kubectl would pick and the
 *              entries after it are the alternatives for a group filter.
 *   by_kind[]  kinds[] indices sorted by kind, for kube_kind_lookup().
 *
 *   names[]:  ...  { "ev",     K_EVENT,        SHORT  }   <- "ev" -> core
 *                  { "ev",     K_EVENTS_EVENT, SHORT  }   <- "ev.events.k8s.io"
 *                  { "event",  K_EVENT,        SINGULAR } ...
 *
 * The tables are data from upstream (the API discovery documents of
 * Kubernetes 1.32, api/discovery/ in kubernetes/kubernetes), kept sorted by hand;
 * test_kinds checks every name of every kind through the public lookups,
 * which fails if the order is broken.
 */
#include <string.h>

#include "object_private.h"

/* NULL-terminated short-name lists as static compound literals */
#define S(...) ((const char *const[]){ __VA_ARGS__, NULL })
#define NONE ((const char *const[]){ NULL })

/* Indices into kinds[], in order of preference. */
enum {
	K_CONFIG_MAP,
	K_ENDPOINTS,
	K_EVENT,
	K_LIMIT_RANGE,
	K_NAMESPACE,
	K_NODE,
	K_PERSISTENT_VOLUME_CLAIM,
	K_PERSISTENT_VOLUME,
	K_POD,
	K_POD_TEMPLATE,
	K_REPLICATION_CONTROLLER,
	K_RESOURCE_QUOTA,
	K_SECRET,
	K_SERVICE_ACCOUNT,
	K_SERVICE,
	K_CONTROLLER_REVISION,
	K_DAEMON_SET,
	K_DEPLOYMENT,
	K_REPLICA_SET,
	K_STATEFUL_SET,
	K_EVENTS_EVENT,
	K_HORIZONTAL_POD_AUTOSCALER,
	K_CRON_JOB,
	K_JOB,
	K_INGRESS_CLASS,
	K_INGRESS,
	K_NETWORK_POLICY,
	K_POD_DISRUPTION_BUDGET,
	K_CLUSTER_ROLE_BINDING,
	K_CLUSTER_ROLE,
	K_ROLE_BINDING,
	K_ROLE,
	K_CSI_DRIVER,
	K_CSI_NODE,
	K_STORAGE_CLASS,
	K_VOLUME_ATTACHMENT,
	K_CUSTOM_RESOURCE_DEFINITION,
	K_PRIORITY_CLASS,
	K_LEASE,
	K_ENDPOINT_SLICE,
	KIND_COUNT
};

/* A kind of the core group, served at /api/v1. */
#define CORE(kind, resource, singular, namespaced, shorts) \
	{ "", "v1", "v1", kind, resource, singular, namespaced, shorts }
/* A kind of a named group, served at /apis/<group>/<version>. */
#define GROUP(group, version, kind, resource, singular, namespaced, shorts) \
	{ group, version, group "/" version, kind, resource, singular, namespaced, shorts }

#define NAMESPACED 1
#define CLUSTER 0

static const kube_kind_info kinds[KIND_COUNT] = {
	[K_CONFIG_MAP] = CORE("ConfigMap", "configmaps", "configmap", NAMESPACED, S("cm")),
	[K_ENDPOINTS] = CORE("Endpoints", "endpoints", "endpoints", NAMESPACED, S("ep")),
	[K_EVENT] = CORE("Event", "events", "event", NAMESPACED, S("ev")),
	[K_LIMIT_RANGE] = CORE("LimitRange", "limitranges", "limitrange", NAMESPACED, S("limits")),
	[K_NAMESPACE] = CORE("Namespace", "namespaces", "namespace", CLUSTER, S("ns")),
	[K_NODE] = CORE("Node", "nodes", "node", CLUSTER, S("no")),
	[K_PERSISTENT_VOLUME_CLAIM] = CORE("PersistentVolumeClaim",
		"persistentvolumeclaims", "persistentvolumeclaim", NAMESPACED, S("pvc")),
	[K_PERSISTENT_VOLUME] = CORE("PersistentVolume",
		"persistentvolumes", "persistentvolume", CLUSTER, S("pv")),
	[K_POD] = CORE("Pod", "pods", "pod", NAMESPACED, S("po")),
	[K_POD_TEMPLATE] = CORE("PodTemplate", "podtemplates", "podtemplate", NAMESPACED, NONE),
	[K_REPLICATION_CONTROLLER] = CORE("ReplicationController",
		"replicationcontrollers", "replicationcontroller", NAMESPACED, S("rc")),
	[K_RESOURCE_QUOTA] = CORE("ResourceQuota",
		"resourcequotas", "resourcequota", NAMESPACED, S("quota")),
	[K_SECRET] = CORE("Secret", "secrets", "secret", NAMESPACED, NONE),
	[K_SERVICE_ACCOUNT] = CORE("ServiceAccount",
		"serviceaccounts", "serviceaccount", NAMESPACED, S("sa")),
	[K_SERVICE] = CORE("Service", "services", "service", NAMESPACED, S("svc")),
	[K_CONTROLLER_REVISION] = GROUP("apps", "v1", "ControllerRevision",
		"controllerrevisions", "controllerrevision", NAMESPACED, NONE),
	[K_DAEMON_SET] = GROUP("apps", "v1", "DaemonSet",
		"daemonsets", "daemonset", NAMESPACED, S("ds")),
	[K_DEPLOYMENT] = GROUP("apps", "v1", "Deployment",
		"deployments", "deployment", NAMESPACED, S("deploy")),
	[K_REPLICA_SET] = GROUP("apps", "v1", "ReplicaSet",
		"replicasets", "replicaset", NAMESPACED, S("rs")),
	[K_STATEFUL_SET] = GROUP("apps", "v1", "StatefulSet",
		"statefulsets", "statefulset", NAMESPACED, S("sts")),
	[K_EVENTS_EVENT] = GROUP("events.k8s.io", "v1", "Event",
		"events", "event", NAMESPACED, S("ev")),
	[K_HORIZONTAL_POD_AUTOSCALER] = GROUP("autoscaling", "v2", "HorizontalPodAutoscaler",
		"horizontalpodautoscalers", "horizontalpodautoscaler", NAMESPACED, S("hpa")),
	[K_CRON_JOB] = GROUP("batch", "v1", "CronJob",
		"cronjobs", "cronjob", NAMESPACED, S("cj")),
	[K_JOB] = GROUP("batch", "v1", "Job",
		"jobs", "job", NAMESPACED, NONE),
	[K_INGRESS_CLASS] = GROUP("networking.k8s.io", "v1", "IngressClass",
		"ingressclasses", "ingressclass", CLUSTER, NONE),
	[K_INGRESS] = GROUP("networking.k8s.io", "v1", "Ingress",
		"ingresses", "ingress", NAMESPACED, S("ing")),
	[K_NETWORK_POLICY] = GROUP("networking.k8s.io", "v1", "NetworkPolicy",
		"networkpolicies", "networkpolicy", NAMESPACED, S("netpol")),
	[K_POD_DISRUPTION_BUDGET] = GROUP("policy", "v1", "PodDisruptionBudget",
		"poddisruptionbudgets", "poddisruptionbudget", NAMESPACED, S("pdb")),
	[K_CLUSTER_ROLE_BINDING] = GROUP("rbac.authorization.k8s.io", "v1", "ClusterRoleBinding",
		"clusterrolebindings", "clusterrolebinding", CLUSTER, NONE),
	[K_CLUSTER_ROLE] = GROUP("rbac.authorization.k8s.io", "v1", "ClusterRole",
		"clusterroles", "clusterrole", CLUSTER, NONE),
	[K_ROLE_BINDING] = GROUP("rbac.authorization.k8s.io", "v1", "RoleBinding",
		"rolebindings", "rolebinding", NAMESPACED, NONE),
	[K_ROLE] = GROUP("rbac.authorization.k8s.io", "v1", "Role",
		"roles", "role", NAMESPACED, NONE),
	[K_CSI_DRIVER] = GROUP("storage.k8s.io", "v1", "CSIDriver",
		"csidrivers", "csidriver", CLUSTER, NONE),
	[K_CSI_NODE] = GROUP("storage.k8s.io", "v1", "CSINode",
		"csinodes", "csinode", CLUSTER, NONE),
	[K_STORAGE_CLASS] = GROUP("storage.k8s.io", "v1", "StorageClass",
		"storageclasses", "storageclass", CLUSTER, S("sc")),
	[K_VOLUME_ATTACHMENT] = GROUP("storage.k8s.io", "v1", "VolumeAttachment",
		"volumeattachments", "volumeattachment", CLUSTER, NONE),
	[K_CUSTOM_RESOURCE_DEFINITION] = GROUP("apiextensions.k8s.io", "v1", "CustomResourceDefinition",
		"customresourcedefinitions", "customresourcedefinition", CLUSTER, S("crd", "crds")),
	[K_PRIORITY_CLASS] = GROUP("scheduling.k8s.io", "v1", "PriorityClass",
		"priorityclasses", "priorityclass", CLUSTER, S("pc")),
	[K_LEASE] = GROUP("coordination.k8s.io", "v1", "Lease",
		"leases", "lease", NAMESPACED, NONE),
	[K_ENDPOINT_SLICE] = GROUP("discovery.k8s.io", "v1", "EndpointSlice",
		"endpointslices", "endpointslice", NAMESPACED, NONE),
};

enum { PLURAL, SINGULAR, SHORT };

typedef struct name_entry {
	const char *name;   /* lowercase */
	uint8_t kind;       /* index into kinds[] */
	uint8_t type;       /* PLURAL, SINGULAR or SHORT */
} name_entry;

static const name_entry names[] = {
	{ "cj", K_CRON_JOB, SHORT },
	{ "clusterrole", K_CLUSTER_ROLE, SINGULAR },
	{ "clusterrolebinding", K_CLUSTER_ROLE_BINDING, SINGULAR },
	{ "clusterrolebindings", K_CLUSTER_ROLE_BINDING, PLURAL },
	{ "clusterroles", K_CLUSTER_ROLE, PLURAL },
	{ "cm", K_CONFIG_MAP, SHORT },
	{ "configmap", K_CONFIG_MAP, SINGULAR },
	{ "configmaps", K_CONFIG_MAP, PLURAL },
	{ "controllerrevision", K_CONTROLLER_REVISION, SINGULAR },
	{ "controllerrevisions", K_CONTROLLER_REVISION, PLURAL },
	{ "crd", K_CUSTOM_RESOURCE_DEFINITION, SHORT },
	{ "crds", K_CUSTOM_RESOURCE_DEFINITION, SHORT },
	{ "cronjob", K_CRON_JOB, SINGULAR },
	{ "cronjobs", K_CRON_JOB, PLURAL },
	{ "csidriver", K_CSI_DRIVER, SINGULAR },
	{ "csidrivers", K_CSI_DRIVER, PLURAL },
	{ "csinode", K_CSI_NODE, SINGULAR },
	{ "csinodes", K_CSI_NODE, PLURAL },
	{ "customresourcedefinition", K_CUSTOM_RESOURCE_DEFINITION, SINGULAR },
	{ "customresourcedefinitions", K_CUSTOM_RESOURCE_DEFINITION, PLURAL },
	{ "daemonset", K_DAEMON_SET, SINGULAR },
	{ "daemonsets", K_DAEMON_SET, PLURAL },
	{ "deploy", K_DEPLOYMENT, SHORT },
	{ "deployment", K_DEPLOYMENT, SINGULAR },
	{ "deployments", K_DEPLOYMENT, PLURAL },
	{ "ds", K_DAEMON_SET, SHORT },
	{ "endpoints", K_ENDPOINTS, PLURAL },
	{ "endpointslice", K_ENDPOINT_SLICE, SINGULAR },
	{ "endpointslices", K_ENDPOINT_SLICE, PLURAL },
	{ "ep", K_ENDPOINTS, SHORT },
	{ "ev", K_EVENT, SHORT },
	{ "ev", K_EVENTS_EVENT, SHORT },
	{ "event", K_EVENT, SINGULAR },
	{ "event", K_EVENTS_EVENT, SINGULAR },
	{ "events", K_EVENT, PLURAL },
	{ "events", K_EVENTS_EVENT, PLURAL },
	{ "horizontalpodautoscaler", K_HORIZONTAL_POD_AUTOSCALER, SINGULAR },
	{ "horizontalpodautoscalers", K_HORIZONTAL_POD_AUTOSCALER, PLURAL },
	{ "hpa", K_HORIZONTAL_POD_AUTOSCALER, SHORT },
	{ "ing", K_INGRESS, SHORT },
	{ "ingress", K_INGRESS, SINGULAR },
	{ "ingressclass", K_INGRESS_CLASS, SINGULAR },
	{ "ingressclasses", K_INGRESS_CLASS, PLURAL },
	{ "ingresses", K_INGRESS, PLURAL },
	{ "job", K_JOB, SINGULAR },
	{ "jobs", K_JOB, PLURAL },
	{ "lease", K_LEASE, SINGULAR },
	{ "leases", K_LEASE, PLURAL },
	{ "limitrange", K_LIMIT_RANGE, SINGULAR },
	{ "limitranges", K_LIMIT_RANGE, PLURAL },
	{ "limits", K_LIMIT_RANGE, SHORT },
	{ "namespace", K_NAMESPACE, SINGULAR },
	{ "namespaces", K_NAMESPACE, PLURAL },
	{ "netpol", K_NETWORK_POLICY, SHORT },
	{ "networkpolicies", K_NETWORK_POLICY, PLURAL },
	{ "networkpolicy", K_NETWORK_POLICY, SINGULAR },
	{ "no", K_NODE, SHORT },
	{ "node", K_NODE, SINGULAR },
	{ "nodes", K_NODE, PLURAL },
	{ "ns", K_NAMESPACE, SHORT },
	{ "pc", K_PRIORITY_CLASS, SHORT },
	{ "pdb", K_POD_DISRUPTION_BUDGET, SHORT },
	{ "persistentvolume", K_PERSISTENT_VOLUME, SINGULAR },
	{ "persistentvolumeclaim", K_PERSISTENT_VOLUME_CLAIM, SINGULAR },
	{ "persistentvolumeclaims", K_PERSISTENT_VOLUME_CLAIM, PLURAL },
	{ "persistentvolumes", K_PERSISTENT_VOLUME, PLURAL },
	{ "po", K_POD, SHORT },
	{ "pod", K_POD, SINGULAR },
	{ "poddisruptionbudget", K_POD_DISRUPTION_BUDGET, SINGULAR },
	{ "poddisruptionbudgets", K_POD_DISRUPTION_BUDGET, PLURAL },
	{ "pods", K_POD, PLURAL },
	{ "podtemplate", K_POD_TEMPLATE, SINGULAR },
	{ "podtemplates", K_POD_TEMPLATE, PLURAL },
	{ "priorityclass", K_PRIORITY_CLASS, SINGULAR },
	{ "priorityclasses", K_PRIORITY_CLASS, PLURAL },
	{ "pv", K_PERSISTENT_VOLUME, SHORT },
	{ "pvc", K_PERSISTENT_VOLUME_CLAIM, SHORT },
	{ "quota", K_RESOURCE_QUOTA, SHORT },
	{ "rc", K_REPLICATION_CONTROLLER, SHORT },
	{ "replicaset", K_REPLICA_SET, SINGULAR },
	{ "replicasets", K_REPLICA_SET, PLURAL },
	{ "replicationcontroller", K_REPLICATION_CONTROLLER, SINGULAR },
	{ "replicationcontrollers", K_REPLICATION_CONTROLLER, PLURAL },
	{ "resourcequota", K_RESOURCE_QUOTA, SINGULAR },
	{ "resourcequotas", K_RESOURCE_QUOTA, PLURAL },
	{ "role", K_ROLE, SINGULAR },
	{ "rolebinding", K_ROLE_BINDING, SINGULAR },
	{ "rolebindings", K_ROLE_BINDING, PLURAL },
	{ "roles", K_ROLE, PLURAL },
	{ "rs", K_REPLICA_SET, SHORT },
	{ "sa", K_SERVICE_ACCOUNT, SHORT },
	{ "sc", K_STORAGE_CLASS, SHORT },
	{ "secret", K_SECRET, SINGULAR },
	{ "secrets", K_SECRET, PLURAL },
	{ "service", K_SERVICE, SINGULAR },
	{ "serviceaccount", K_SERVICE_ACCOUNT, SINGULAR },
	{ "serviceaccounts", K_SERVICE_ACCOUNT, PLURAL },
	{ "services", K_SERVICE, PLURAL },
	{ "statefulset", K_STATEFUL_SET, SINGULAR },
	{ "statefulsets", K_STATEFUL_SET, PLURAL },
	{ "storageclass", K_STORAGE_CLASS, SINGULAR },
	{ "storageclasses", K_STORAGE_CLASS, PLURAL },
	{ "sts", K_STATEFUL_SET, SHORT },
	{ "svc", K_SERVICE, SHORT },
	{ "volumeattachment", K_VOLUME_ATTACHMENT, SINGULAR },
	{ "volumeattachments", K_VOLUME_ATTACHMENT, PLURAL },
};

/* kinds[] indices sorted by kind (strcmp), for kube_kind_lookup() */
static const uint8_t by_kind[] = {
	K_CSI_DRIVER,
	K_CSI_NODE,
	K_CLUSTER_ROLE,
	K_CLUSTER_ROLE_BINDING,
	K_CONFIG_MAP,
	K_CONTROLLER_REVISION,
	K_CRON_JOB,
	K_CUSTOM_RESOURCE_DEFINITION,
	K_DAEMON_SET,
	K_DEPLOYMENT,
	K_ENDPOINT_SLICE,
	K_ENDPOINTS,
	K_EVENT,
	K_EVENTS_EVENT,
	K_HORIZONTAL_POD_AUTOSCALER,
	K_INGRESS,
	K_INGRESS_CLASS,
	K_JOB,
	K_LEASE,
	K_LIMIT_RANGE,
	K_NAMESPACE,
	K_NETWORK_POLICY,
	K_NODE,
	K_PERSISTENT_VOLUME,
	K_PERSISTENT_VOLUME_CLAIM,
	K_POD,
	K_POD_DISRUPTION_BUDGET,
	K_POD_TEMPLATE,
	K_PRIORITY_CLASS,
	K_REPLICA_SET,
	K_REPLICATION_CONTROLLER,
	K_RESOURCE_QUOTA,
	K_ROLE,
	K_ROLE_BINDING,
	K_SECRET,
	K_SERVICE,
	K_SERVICE_ACCOUNT,
	K_STATEFUL_SET,
	K_STORAGE_CLASS,
	K_VOLUME_ATTACHMENT,
};

_Static_assert(KUBE_ARRAY_SIZE(by_kind) == KIND_COUNT, "by_kind covers every kind");

/* The longest name a lookup can match, with room for "<resource>.<version>.<group>". */
#define NAME_MAX_LEN 127

/* strcmp of the entry's name against the (not NUL-terminated) key */
static int name_cmp(const char *entry, const char *key, size_t klen)
{
	int c = strncmp(entry, key, klen);
	if (c != 0)
		return c;
	return entry[klen] != '\0';
}

/* The first names[] entry whose name is >= key. */
static size_t names_lower_bound(const char *key, size_t klen)
{
	size_t lo = 0, hi = KUBE_ARRAY_SIZE(names);
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (name_cmp(names[mid].name, key, klen) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int span_eq(const char *s, const char *key, size_t klen)
{
	return strlen(s) == klen && memcmp(s, key, klen) == 0;
}

/*
 * The preferred kind answering to the lowercase name res, restricted to a
 * group and a version when they are given (group == NULL: any group).
 */
static const kube_kind_info *resolve(const char *res, size_t rlen,
                                     const char *group, size_t glen,
                                     const char *version, size_t vlen)
{
	for (size_t i = names_lower_bound(res, rlen);
	     i < KUBE_ARRAY_SIZE(names) && name_cmp(names[i].name, res, rlen) == 0; i++) {
		const kube_kind_info *k = &kinds[names[i].kind];
		if (group && !span_eq(k->group, group, glen))
			continue;
		if (version && !span_eq(k->version, version, vlen))
			continue;
		return k;
	}
	return NULL;
}

const kube_kind_info *kube_kind_find(const char *name)
{
	char buf[NAME_MAX_LEN + 1];
	size_t n;

	if (!name)
		return NULL;
	n = strlen(name);
	if (n == 0 || n > NAME_MAX_LEN)
		return NULL;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		buf[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
	}
	buf[n] = '\0';

	const char *dot = memchr(buf, '.', n);
	if (!dot)
		return resolve(buf, n, NULL, 0, NULL, 0);

	size_t rlen = (size_t)(dot - buf);
	const char *rest = dot + 1;
	size_t rest_len = n - rlen - 1;

	/* kubectl's ParseResourceArg: <resource>.<version>.<group> first ... */
	const char *dot2 = memchr(rest, '.', rest_len);
	if (dot2) {
		size_t vlen = (size_t)(dot2 - rest);
		const kube_kind_info *k = resolve(buf, rlen, dot2 + 1, rest_len - vlen - 1,
		                                  rest, vlen);
		if (k)
			return k;
	}
	/* ... then <resource>.<group>; an empty group is no group at all */
	return resolve(buf, rlen, rest_len ? rest : NULL, rest_len, NULL, 0);
}

const kube_kind_info *kube_kind_lookup(const char *api_version, const char *kind)
{
	size_t lo = 0, hi = KUBE_ARRAY_SIZE(by_kind);

	if (!api_version || !kind)
		return NULL;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (strcmp(kinds[by_kind[mid]].kind, kind) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < KUBE_ARRAY_SIZE(by_kind) && strcmp(kinds[by_kind[lo]].kind, kind) == 0; lo++) {
		if (strcmp(kinds[by_kind[lo]].api_version, api_version) == 0)
			return &kinds[by_kind[lo]];
	}
	return NULL;
}

const kube_kind_info *kube_kind_for_resource(const char *group, const char *resource)
{
	if (!group || !resource)
		return NULL;
	size_t rlen = strlen(resource);
	for (size_t i = names_lower_bound(resource, rlen);
	     i < KUBE_ARRAY_SIZE(names) && name_cmp(names[i].name, resource, rlen) == 0; i++) {
		if (names[i].type == PLURAL && strcmp(kinds[names[i].kind].group, group) == 0)
			return &kinds[names[i].kind];
	}
	return NULL;
}

size_t kube_kind_count(void)
{
	return KIND_COUNT;
}

const kube_kind_info *kube_kind_at(size_t i)
{
	return i < KIND_COUNT ? &kinds[i] : NULL;
}
