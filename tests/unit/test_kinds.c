/*
 * test_kinds.c - the kinds registry against upstream's discovery data
 * (kubectl api-resources of Kubernetes 1.32) and kubectl's name resolution.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libkube/kube.h"

typedef struct expect_kind {
	const char *api_version;
	const char *kind;
	const char *resource;
	const char *singular;
	int namespaced;
	const char *shorts;   /* comma-separated, "" for none */
} expect_kind;

/* Written from the discovery documents (kubernetes/kubernetes api/discovery/),
 * independently of lib/object/kinds.c. */
static const expect_kind expected[] = {
	{ "v1", "ConfigMap", "configmaps", "configmap", 1, "cm" },
	{ "v1", "Endpoints", "endpoints", "endpoints", 1, "ep" },
	{ "v1", "Event", "events", "event", 1, "ev" },
	{ "v1", "LimitRange", "limitranges", "limitrange", 1, "limits" },
	{ "v1", "Namespace", "namespaces", "namespace", 0, "ns" },
	{ "v1", "Node", "nodes", "node", 0, "no" },
	{ "v1", "PersistentVolumeClaim", "persistentvolumeclaims", "persistentvolumeclaim", 1, "pvc" },
	{ "v1", "PersistentVolume", "persistentvolumes", "persistentvolume", 0, "pv" },
	{ "v1", "Pod", "pods", "pod", 1, "po" },
	{ "v1", "PodTemplate", "podtemplates", "podtemplate", 1, "" },
	{ "v1", "ReplicationController", "replicationcontrollers", "replicationcontroller", 1, "rc" },
	{ "v1", "ResourceQuota", "resourcequotas", "resourcequota", 1, "quota" },
	{ "v1", "Secret", "secrets", "secret", 1, "" },
	{ "v1", "ServiceAccount", "serviceaccounts", "serviceaccount", 1, "sa" },
	{ "v1", "Service", "services", "service", 1, "svc" },
	{ "apps/v1", "ControllerRevision", "controllerrevisions", "controllerrevision", 1, "" },
	{ "apps/v1", "DaemonSet", "daemonsets", "daemonset", 1, "ds" },
	{ "apps/v1", "Deployment", "deployments", "deployment", 1, "deploy" },
	{ "apps/v1", "ReplicaSet", "replicasets", "replicaset", 1, "rs" },
	{ "apps/v1", "StatefulSet", "statefulsets", "statefulset", 1, "sts" },
	{ "events.k8s.io/v1", "Event", "events", "event", 1, "ev" },
	{ "autoscaling/v2", "HorizontalPodAutoscaler", "horizontalpodautoscalers",
	  "horizontalpodautoscaler", 1, "hpa" },
	{ "batch/v1", "CronJob", "cronjobs", "cronjob", 1, "cj" },
	{ "batch/v1", "Job", "jobs", "job", 1, "" },
	{ "networking.k8s.io/v1", "IngressClass", "ingressclasses", "ingressclass", 0, "" },
	{ "networking.k8s.io/v1", "Ingress", "ingresses", "ingress", 1, "ing" },
	{ "networking.k8s.io/v1", "NetworkPolicy", "networkpolicies", "networkpolicy", 1, "netpol" },
	{ "policy/v1", "PodDisruptionBudget", "poddisruptionbudgets", "poddisruptionbudget", 1, "pdb" },
	{ "rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "clusterrolebindings",
	  "clusterrolebinding", 0, "" },
	{ "rbac.authorization.k8s.io/v1", "ClusterRole", "clusterroles", "clusterrole", 0, "" },
	{ "rbac.authorization.k8s.io/v1", "RoleBinding", "rolebindings", "rolebinding", 1, "" },
	{ "rbac.authorization.k8s.io/v1", "Role", "roles", "role", 1, "" },
	{ "storage.k8s.io/v1", "CSIDriver", "csidrivers", "csidriver", 0, "" },
	{ "storage.k8s.io/v1", "CSINode", "csinodes", "csinode", 0, "" },
	{ "storage.k8s.io/v1", "StorageClass", "storageclasses", "storageclass", 0, "sc" },
	{ "storage.k8s.io/v1", "VolumeAttachment", "volumeattachments", "volumeattachment", 0, "" },
	{ "apiextensions.k8s.io/v1", "CustomResourceDefinition", "customresourcedefinitions",
	  "customresourcedefinition", 0, "crd,crds" },
	{ "scheduling.k8s.io/v1", "PriorityClass", "priorityclasses", "priorityclass", 0, "pc" },
	{ "coordination.k8s.io/v1", "Lease", "leases", "lease", 1, "" },
	{ "discovery.k8s.io/v1", "EndpointSlice", "endpointslices", "endpointslice", 1, "" },
};
#define NEXPECTED (sizeof(expected) / sizeof(expected[0]))

static void shorts_join(const kube_kind_info *k, char *buf, size_t len)
{
	buf[0] = '\0';
	for (size_t i = 0; k->short_names[i]; i++) {
		if (i)
			strncat(buf, ",", len - strlen(buf) - 1);
		strncat(buf, k->short_names[i], len - strlen(buf) - 1);
	}
}

/* the group and version an apiVersion names */
static void split_api_version(const char *av, char *group, char *version)
{
	const char *slash = strchr(av, '/');
	if (!slash) {
		group[0] = '\0';
		strcpy(version, av);
	} else {
		memcpy(group, av, (size_t)(slash - av));
		group[slash - av] = '\0';
		strcpy(version, slash + 1);
	}
}

START_TEST(test_kinds_every_field)
{
	char buf[64], group[64], version[16];
	for (size_t i = 0; i < NEXPECTED; i++) {
		const expect_kind *e = &expected[i];
		const kube_kind_info *k = kube_kind_lookup(e->api_version, e->kind);
		ck_assert_msg(k != NULL, "%s %s", e->api_version, e->kind);
		split_api_version(e->api_version, group, version);
		ck_assert_str_eq(k->group, group);
		ck_assert_str_eq(k->version, version);
		ck_assert_str_eq(k->api_version, e->api_version);
		ck_assert_str_eq(k->kind, e->kind);
		ck_assert_str_eq(k->resource, e->resource);
		ck_assert_str_eq(k->singular, e->singular);
		ck_assert_int_eq(k->namespaced, e->namespaced);
		ck_assert_ptr_nonnull(k->short_names);
		shorts_join(k, buf, sizeof(buf));
		ck_assert_str_eq(buf, e->shorts);
		/* iteration order is the order of preference, as listed above */
		ck_assert_ptr_eq(kube_kind_at(i), k);
	}
}
END_TEST

START_TEST(test_kinds_iteration)
{
	ck_assert_uint_eq(kube_kind_count(), NEXPECTED);
	ck_assert_uint_eq(kube_kind_count(), 40);
	ck_assert_ptr_null(kube_kind_at(kube_kind_count()));
	ck_assert_ptr_null(kube_kind_at((size_t)-1));
	for (size_t i = 0; i < kube_kind_count(); i++) {
		const kube_kind_info *a = kube_kind_at(i);
		ck_assert_ptr_nonnull(a);
		for (size_t j = i + 1; j < kube_kind_count(); j++) {
			const kube_kind_info *b = kube_kind_at(j);
			ck_assert_msg(strcmp(a->api_version, b->api_version) != 0 ||
			              strcmp(a->kind, b->kind) != 0, "duplicate %s", a->kind);
		}
		ck_assert_str_ne(a->kind, "List");
	}
	ck_assert_str_eq(kube_kind_at(0)->group, "");
}
END_TEST

START_TEST(test_kinds_short_names)
{
	static const struct { const char *name, *api_version, *kind; } cases[] = {
		{ "po", "v1", "Pod" },
		{ "no", "v1", "Node" },
		{ "ns", "v1", "Namespace" },
		{ "svc", "v1", "Service" },
		{ "ep", "v1", "Endpoints" },
		{ "cm", "v1", "ConfigMap" },
		{ "pv", "v1", "PersistentVolume" },
		{ "pvc", "v1", "PersistentVolumeClaim" },
		{ "sc", "storage.k8s.io/v1", "StorageClass" },
		{ "quota", "v1", "ResourceQuota" },
		{ "rc", "v1", "ReplicationController" },
		{ "rs", "apps/v1", "ReplicaSet" },
		{ "deploy", "apps/v1", "Deployment" },
		{ "ds", "apps/v1", "DaemonSet" },
		{ "sts", "apps/v1", "StatefulSet" },
		{ "cj", "batch/v1", "CronJob" },
		{ "ing", "networking.k8s.io/v1", "Ingress" },
		{ "hpa", "autoscaling/v2", "HorizontalPodAutoscaler" },
		{ "netpol", "networking.k8s.io/v1", "NetworkPolicy" },
		{ "ev", "v1", "Event" },
		{ "sa", "v1", "ServiceAccount" },
		{ "limits", "v1", "LimitRange" },
		{ "pdb", "policy/v1", "PodDisruptionBudget" },
		{ "pc", "scheduling.k8s.io/v1", "PriorityClass" },
		{ "crd", "apiextensions.k8s.io/v1", "CustomResourceDefinition" },
		{ "crds", "apiextensions.k8s.io/v1", "CustomResourceDefinition" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const kube_kind_info *k = kube_kind_find(cases[i].name);
		ck_assert_msg(k != NULL, "%s", cases[i].name);
		ck_assert_str_eq(k->api_version, cases[i].api_version);
		ck_assert_str_eq(k->kind, cases[i].kind);
	}
}
END_TEST

static void upper(char *dst, const char *src)
{
	for (; *src; src++)
		*dst++ = (*src >= 'a' && *src <= 'z') ? (char)(*src - 'a' + 'A') : *src;
	*dst = '\0';
}

/* Every name of every kind finds that kind (or the kind kubectl prefers). */
START_TEST(test_kinds_find_every_name)
{
	char buf[160];
	for (size_t i = 0; i < kube_kind_count(); i++) {
		const kube_kind_info *k = kube_kind_at(i);
		/* only events.k8s.io Event loses its bare names, to core Event */
		const kube_kind_info *want = strcmp(k->group, "events.k8s.io") == 0
		                             ? kube_kind_lookup("v1", "Event") : k;
		const char *names[] = { k->resource, k->singular, k->kind };
		for (size_t j = 0; j < 3; j++) {
			ck_assert_msg(kube_kind_find(names[j]) == want, "%s", names[j]);
			upper(buf, names[j]);
			ck_assert_msg(kube_kind_find(buf) == want, "%s", buf);
		}
		for (size_t j = 0; k->short_names[j]; j++) {
			ck_assert_msg(kube_kind_find(k->short_names[j]) == want, "%s", k->short_names[j]);
			upper(buf, k->short_names[j]);
			ck_assert_msg(kube_kind_find(buf) == want, "%s", buf);
		}
		/* qualified by group, and by version and group, every kind is reachable */
		if (k->group[0]) {
			snprintf(buf, sizeof(buf), "%s.%s", k->resource, k->group);
			ck_assert_msg(kube_kind_find(buf) == k, "%s", buf);
			snprintf(buf, sizeof(buf), "%s.%s", k->singular, k->group);
			ck_assert_msg(kube_kind_find(buf) == k, "%s", buf);
			snprintf(buf, sizeof(buf), "%s.%s", k->kind, k->group);
			ck_assert_msg(kube_kind_find(buf) == k, "%s", buf);
			snprintf(buf, sizeof(buf), "%s.%s.%s", k->resource, k->version, k->group);
			ck_assert_msg(kube_kind_find(buf) == k, "%s", buf);
			for (size_t j = 0; k->short_names[j]; j++) {
				snprintf(buf, sizeof(buf), "%s.%s", k->short_names[j], k->group);
				ck_assert_msg(kube_kind_find(buf) == k, "%s", buf);
			}
		}
		ck_assert_ptr_eq(kube_kind_for_resource(k->group, k->resource), k);
		ck_assert_ptr_eq(kube_kind_lookup(k->api_version, k->kind), k);
	}
}
END_TEST

START_TEST(test_kinds_find_kubectl_forms)
{
	const kube_kind_info *deploy = kube_kind_lookup("apps/v1", "Deployment");
	const kube_kind_info *ev_core = kube_kind_lookup("v1", "Event");
	const kube_kind_info *ev_new = kube_kind_lookup("events.k8s.io/v1", "Event");
	const kube_kind_info *pod = kube_kind_lookup("v1", "Pod");

	ck_assert_ptr_nonnull(deploy);
	ck_assert_ptr_nonnull(ev_core);
	ck_assert_ptr_nonnull(ev_new);
	ck_assert_ptr_ne(ev_core, ev_new);
	ck_assert_ptr_eq(kube_kind_find("deployments.apps"), deploy);
	ck_assert_ptr_eq(kube_kind_find("deploy"), deploy);
	ck_assert_ptr_eq(kube_kind_find("deploy.apps"), deploy);
	ck_assert_ptr_eq(kube_kind_find("deployments.v1.apps"), deploy);
	ck_assert_ptr_eq(kube_kind_find("Deployment.apps"), deploy);
	ck_assert_ptr_eq(kube_kind_find("DEPLOYMENTS.APPS"), deploy);
	ck_assert_ptr_eq(kube_kind_find("dEpLoY"), deploy);
	ck_assert_ptr_eq(kube_kind_find("events"), ev_core);
	ck_assert_ptr_eq(kube_kind_find("event"), ev_core);
	ck_assert_ptr_eq(kube_kind_find("Event"), ev_core);
	ck_assert_ptr_eq(kube_kind_find("ev"), ev_core);
	ck_assert_ptr_eq(kube_kind_find("events.events.k8s.io"), ev_new);
	ck_assert_ptr_eq(kube_kind_find("ev.events.k8s.io"), ev_new);
	ck_assert_ptr_eq(kube_kind_find("events.v1.events.k8s.io"), ev_new);
	ck_assert_ptr_eq(kube_kind_find("Pods"), pod);
	ck_assert_ptr_eq(kube_kind_find("PO"), pod);
	ck_assert_ptr_eq(kube_kind_find("pods."), pod);   /* empty group: unqualified */
	ck_assert_str_eq(kube_kind_find("endpoints")->kind, "Endpoints");
	ck_assert_str_eq(kube_kind_find("hpa.autoscaling")->api_version, "autoscaling/v2");
	ck_assert_str_eq(kube_kind_find("horizontalpodautoscalers.v2.autoscaling")->kind,
	                 "HorizontalPodAutoscaler");
	ck_assert_str_eq(kube_kind_find("ingresses.networking.k8s.io")->kind, "Ingress");
	ck_assert_str_eq(kube_kind_find("crd.apiextensions.k8s.io")->kind,
	                 "CustomResourceDefinition");
	ck_assert_str_eq(kube_kind_find("clusterrolebindings.rbac.authorization.k8s.io")->kind,
	                 "ClusterRoleBinding");
	ck_assert_str_eq(kube_kind_find("roles.v1.rbac.authorization.k8s.io")->kind, "Role");
	/* wrong group, wrong version, no prefix matching of groups */
	ck_assert_ptr_null(kube_kind_find("pods.apps"));
	ck_assert_ptr_null(kube_kind_find("deployments.extensions"));
	ck_assert_ptr_null(kube_kind_find("deployments.v1beta1.apps"));
	ck_assert_ptr_null(kube_kind_find("hpa.v1.autoscaling"));
	ck_assert_ptr_null(kube_kind_find("deploy.app"));
	ck_assert_ptr_null(kube_kind_find("events.k8s.io"));
	ck_assert_ptr_null(kube_kind_find(".apps"));
	ck_assert_ptr_null(kube_kind_find("pods.v1"));
}
END_TEST

START_TEST(test_kinds_find_unknown)
{
	static const char *unknown[] = {
		"", "List", "list", "PodList", "podz", "deploymentss", "foo.bar", "p", "d",
		"pods\n", " pods", "pods ", "p\xc3\xb6" "ds", "componentstatuses", "cs", "bindings",
		"leases.apps", "csr", "all", "Po d", "..", ".", "a.b.c.d",
	};
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		ck_assert_msg(kube_kind_find(unknown[i]) == NULL, "%s", unknown[i]);
	}
	ck_assert_ptr_null(kube_kind_find(NULL));
	char lng[300];
	memset(lng, 'a', sizeof(lng) - 1);
	lng[sizeof(lng) - 1] = '\0';
	ck_assert_ptr_null(kube_kind_find(lng));
	memcpy(lng, "pods.", 5);
	ck_assert_ptr_null(kube_kind_find(lng));
}
END_TEST

START_TEST(test_kinds_lookup_exact)
{
	ck_assert_str_eq(kube_kind_lookup("v1", "Pod")->resource, "pods");
	ck_assert_str_eq(kube_kind_lookup("v1", "Event")->group, "");
	ck_assert_str_eq(kube_kind_lookup("events.k8s.io/v1", "Event")->group, "events.k8s.io");
	ck_assert_str_eq(kube_kind_lookup("apps/v1", "Deployment")->resource, "deployments");
	ck_assert_str_eq(kube_kind_lookup("storage.k8s.io/v1", "CSIDriver")->resource, "csidrivers");
	ck_assert_ptr_null(kube_kind_lookup("apps/v1", "Pod"));
	ck_assert_ptr_null(kube_kind_lookup("v1", "pod"));
	ck_assert_ptr_null(kube_kind_lookup("V1", "Pod"));
	ck_assert_ptr_null(kube_kind_lookup("v1", "pods"));
	ck_assert_ptr_null(kube_kind_lookup("v1", "List"));
	ck_assert_ptr_null(kube_kind_lookup("extensions/v1beta1", "Deployment"));
	ck_assert_ptr_null(kube_kind_lookup("autoscaling/v1", "HorizontalPodAutoscaler"));
	ck_assert_ptr_null(kube_kind_lookup("apps", "Deployment"));
	ck_assert_ptr_null(kube_kind_lookup("", "Pod"));
	ck_assert_ptr_null(kube_kind_lookup("v1", ""));
	ck_assert_ptr_null(kube_kind_lookup("v1", "Zzz"));
	ck_assert_ptr_null(kube_kind_lookup("v1", "AAA"));
	ck_assert_ptr_null(kube_kind_lookup(NULL, "Pod"));
	ck_assert_ptr_null(kube_kind_lookup("v1", NULL));
}
END_TEST

START_TEST(test_kinds_for_resource)
{
	ck_assert_str_eq(kube_kind_for_resource("", "pods")->kind, "Pod");
	ck_assert_str_eq(kube_kind_for_resource("", "endpoints")->kind, "Endpoints");
	ck_assert_str_eq(kube_kind_for_resource("apps", "deployments")->kind, "Deployment");
	ck_assert_str_eq(kube_kind_for_resource("", "events")->api_version, "v1");
	ck_assert_str_eq(kube_kind_for_resource("events.k8s.io", "events")->api_version,
	                 "events.k8s.io/v1");
	ck_assert_ptr_null(kube_kind_for_resource("", "deployments"));
	ck_assert_ptr_null(kube_kind_for_resource("apps", "deployment"));
	ck_assert_ptr_null(kube_kind_for_resource("apps", "deploy"));
	ck_assert_ptr_null(kube_kind_for_resource("", "Pods"));
	ck_assert_ptr_null(kube_kind_for_resource("", "po"));
	ck_assert_ptr_null(kube_kind_for_resource("", ""));
	ck_assert_ptr_null(kube_kind_for_resource(NULL, "pods"));
	ck_assert_ptr_null(kube_kind_for_resource("", NULL));
}
END_TEST

static Suite *kinds_suite(void)
{
	Suite *s = suite_create("kinds");
	TCase *tc = tcase_create("core");
	tcase_add_test(tc, test_kinds_every_field);
	tcase_add_test(tc, test_kinds_iteration);
	tcase_add_test(tc, test_kinds_short_names);
	tcase_add_test(tc, test_kinds_find_every_name);
	tcase_add_test(tc, test_kinds_find_kubectl_forms);
	tcase_add_test(tc, test_kinds_find_unknown);
	tcase_add_test(tc, test_kinds_lookup_exact);
	tcase_add_test(tc, test_kinds_for_resource);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(kinds_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
