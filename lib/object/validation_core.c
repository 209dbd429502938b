/*
 * validation_core.c - the core kinds that are not pods: Service, ConfigMap,
 * Secret, PersistentVolumeClaim and Namespace.
 *
 * Mirrors pkg/apis/core/validation/validation.go: ValidateService() with
 * validateServicePort(), ValidateConfigMap(), ValidateSecret() (data keys,
 * the total size, the keys each Secret type requires),
 * ValidatePersistentVolumeClaim() (access modes, volume mode, storage
 * request) and ValidateNamespace() (finalizers).  Object metadata is checked
 * before these run, by validation.c.
 */
#include <ctype.h>
#include <inttypes.h>
#include <string.h>

#include "validation_private.h"

/* ------------------------------------------------------------------------ */
/* Service                                                                   */

static const char *const service_types[] = { "ClusterIP", "ExternalName", "LoadBalancer", "NodePort", NULL };
static const char *const affinities[] = { "ClientIP", "None", NULL };
static const char *const traffic_policies[] = { "Cluster", "Local", NULL };

/* A port's protocol as defaulted. */
static const char *port_protocol(json_object *p)
{
	json_object *v = kube__val_member(p, "protocol");
	return v && json_object_is_type(v, json_type_string) && json_object_get_string_len(v) > 0 ?
	       kube__val_str_of(v) : "TCP";
}

static int64_t port_int(json_object *p, const char *key)
{
	json_object *v = kube__val_member(p, key);
	return v && json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : 0;
}

/* validateServicePort() at the port's path. */
static void validate_service_port(kube__val_ctx *c, json_object *p, int require_name, kube__val_nameset *names)
{
	const char *name = kube__val_get_str_or(c, p, "name", ""), *proto, *app;
	int64_t port = 0;
	kube__val_intstr target;

	if (require_name && !*name) {
		kube__val_required(c, "name", NULL);
	} else if (*name) {
		kube__val_check_name(c, "name", kube__check_dns1123_label, name);
		if (kube__val_nameset_has(names, name))
			kube__val_duplicate(c, "name", kube__val_vstr(name));
		else
			kube__val_nameset_add(c, names, name);
	}
	if (kube__val_get_int32(c, p, "port", &port) >= 0)
		kube__val_valid_port_num(c, "port", port);
	proto = kube__val_get_str_dflt(c, p, "protocol", "TCP");
	if (!*proto)
		kube__val_required(c, "protocol", NULL);
	else if (!kube__val_is_one_of(proto, kube__val_port_protocols))
		kube__val_not_supported(c, "protocol", kube__val_vstr(proto), kube__val_port_protocols);
	if (kube__val_get_intstr(c, p, "targetPort", &target) >= 0) {
		/* defaulted to the port when absent, 0 or "" */
		if (!target.present || (target.is_str ? !*target.s : target.i == 0)) {
			target.is_str = 0;
			target.i = port;
		}
		kube__val_validate_port_num_or_name(c, "targetPort", &target);
	}
	if (kube__val_get_string(c, p, "appProtocol", &app) == 1)
		kube__val_check_name(c, "appProtocol", kube__check_qualified_name, app);
}

/* ValidateService() */
void kube__val_validate_service(kube__val_ctx *c, json_object *doc)
{
	json_object *spec = kube__val_spec_of(c, doc), *ports = NULL, *ips, *eips, *ru;
	const char *type, *ip, *aff, *s;
	kube__val_nameset names = { 0 };
	size_t mark = kube__val_push(c, "spec"), nports = 0;
	int headless, accessible, has_ips;

	type = kube__val_get_str_dflt(c, spec, "type", "ClusterIP");
	ip = kube__val_get_str_or(c, spec, "clusterIP", "");
	kube__val_get_array(c, spec, "clusterIPs", &ips);
	if (!*ip && ips && json_object_array_length(ips) > 0)
		ip = kube__val_str_of(json_object_array_get_idx(ips, 0));
	if (!ip)
		ip = "";
	has_ips = *ip || (ips && json_object_array_length(ips) > 0);
	headless = strcmp(ip, "None") == 0;
	if (kube__val_get_array(c, spec, "ports", &ports) == 1)
		nports = json_object_array_length(ports);

	if (nports == 0 && !headless && strcmp(type, "ExternalName") != 0)
		kube__val_required(c, "ports", NULL);
	if (strcmp(type, "LoadBalancer") == 0 && headless)
		kube__val_invalid(c, "clusterIPs[0]", kube__val_vstr(ip), "may not be set to 'None' for LoadBalancer services");
	else if (strcmp(type, "NodePort") == 0 && headless)
		kube__val_invalid(c, "clusterIPs[0]", kube__val_vstr(ip), "may not be set to 'None' for NodePort services");
	else if (strcmp(type, "ExternalName") == 0) {
		const char *cname = kube__val_get_str_or(c, spec, "externalName", "");
		size_t n = strlen(cname);
		json_object *fam = kube__val_member(spec, "ipFamilies");
		if (has_ips)
			kube__val_forbidden(c, "clusterIPs", "may not be set for ExternalName services");
		if (fam && json_object_is_type(fam, json_type_array) && json_object_array_length(fam) > 0)
			kube__val_forbidden(c, "ipFamilies", "may not be set for ExternalName services");
		if (kube__val_member(spec, "ipFamilyPolicy"))
			kube__val_forbidden(c, "ipFamilyPolicy", "may not be set for ExternalName services");
		if (n > 0 && cname[n - 1] == '.')
			n--;   /* a trailing dot marks a fully qualified CNAME */
		if (n > 0) {
			char *trimmed = kube_strndup(cname, n);
			if (!trimmed) {
				c->oom = 1;
			} else {
				kube__val_check_name(c, "externalName", kube__check_dns1123_subdomain, trimmed);
				kube_free(trimmed);
			}
		} else {
			kube__val_required(c, "externalName", NULL);
		}
	}
	for (size_t i = 0; i < nports; i++) {
		json_object *p = json_object_array_get_idx(ports, i);
		size_t m2 = kube__val_push(c, "ports");
		kube__val_push_index(c, i);
		if (!p || !json_object_is_type(p, json_type_object))
			kube__val_type_problem(c, NULL, p, "object");
		else
			validate_service_port(c, p, nports > 1, &names);
		kube__val_pop(c, m2);
	}
	kube__val_nameset_free(&names);
	if (kube__val_member(spec, "selector"))
		kube__val_validate_labels(c, "selector", kube__val_get_labels_member(c, spec, "selector"));
	aff = kube__val_get_str_dflt(c, spec, "sessionAffinity", "None");
	if (!*aff)
		kube__val_required(c, "sessionAffinity", NULL);
	else if (!kube__val_is_one_of(aff, affinities))
		kube__val_not_supported(c, "sessionAffinity", kube__val_vstr(aff), affinities);
	if (strcmp(aff, "None") == 0 && kube__val_member(spec, "sessionAffinityConfig"))
		kube__val_forbidden(c, "sessionAffinityConfig", "must not be set when session affinity is None");
	if (!*type)
		kube__val_required(c, "type", NULL);
	else if (!kube__val_is_one_of(type, service_types))
		kube__val_not_supported(c, "type", kube__val_vstr(type), service_types);
	for (size_t i = 0; strcmp(type, "ClusterIP") == 0 && i < nports; i++) {
		if (port_int(json_object_array_get_idx(ports, i), "nodePort") != 0) {
			size_t m2 = kube__val_push(c, "ports");
			kube__val_push_index(c, i);
			kube__val_forbidden(c, "nodePort", "may not be used when `type` is 'ClusterIP'");
			kube__val_pop(c, m2);
		}
	}
	/* duplicate (protocol, nodePort) and (protocol, port) pairs */
	for (size_t i = 0; i < nports; i++) {
		json_object *p = json_object_array_get_idx(ports, i);
		int64_t np = port_int(p, "nodePort");
		if (np == 0)
			continue;
		for (size_t j = 0; j < i; j++) {
			json_object *q = json_object_array_get_idx(ports, j);
			if (port_int(q, "nodePort") == np && strcmp(port_protocol(q), port_protocol(p)) == 0) {
				size_t m2 = kube__val_push(c, "ports");
				kube__val_push_index(c, i);
				kube__val_duplicate(c, "nodePort", kube__val_vint(np));
				kube__val_pop(c, m2);
				break;
			}
		}
	}
	for (size_t i = 0; i < nports; i++) {
		json_object *p = json_object_array_get_idx(ports, i);
		for (size_t j = 0; j < i; j++) {
			json_object *q = json_object_array_get_idx(ports, j);
			if (port_int(q, "port") == port_int(p, "port") &&
			    strcmp(port_protocol(q), port_protocol(p)) == 0) {
				/* upstream prints its internal ServicePort key struct */
				kube__buf raw = KUBE__BUF_INIT;
				size_t m2 = kube__val_push(c, "ports");
				kube__buf_puts(&raw, "{\"Name\":\"\",\"Protocol\":");
				kube__val_put_go_json_string(&raw, port_protocol(p));
				kube__buf_printf(&raw, ",\"AppProtocol\":null,\"Port\":%" PRId64
				                 ",\"TargetPort\":0,\"NodePort\":0}", port_int(p, "port"));
				kube__val_push_index(c, i);
				if (raw.failed)
					c->oom = 1;
				else
					kube__val_duplicate(c, NULL, kube__val_vraw(raw.data));
				kube__buf_free(&raw);
				kube__val_pop(c, m2);
				break;
			}
		}
	}
	if (kube__val_get_array(c, spec, "loadBalancerSourceRanges", &ru) == 1 && json_object_array_length(ru) > 0 &&
	    strcmp(type, "LoadBalancer") != 0)
		kube__val_forbidden(c, "LoadBalancerSourceRanges", "may only be used when `type` is 'LoadBalancer'");
	if (kube__val_member(spec, "allocateLoadBalancerNodePorts") && strcmp(type, "LoadBalancer") != 0)
		kube__val_forbidden(c, "allocateLoadBalancerNodePorts", "may only be used when `type` is 'LoadBalancer'");
	kube__val_get_array(c, spec, "externalIPs", &eips);
	accessible = strcmp(type, "LoadBalancer") == 0 || strcmp(type, "NodePort") == 0 ||
	             (strcmp(type, "ClusterIP") == 0 && eips && json_object_array_length(eips) > 0);
	if (kube__val_get_string(c, spec, "externalTrafficPolicy", &s) == 1 && *s) {
		if (!accessible)
			kube__val_invalid(c, "externalTrafficPolicy", kube__val_vstr(s), "may only be set for externally-accessible services");
		else if (!kube__val_is_one_of(s, traffic_policies))
			kube__val_not_supported(c, "externalTrafficPolicy", kube__val_vstr(s), traffic_policies);
	}
	{
		int64_t hc;
		int local = strcmp(kube__val_get_str_or(c, spec, "externalTrafficPolicy", ""), "Local") == 0;
		if (kube__val_get_int32(c, spec, "healthCheckNodePort", &hc) == 1 && hc != 0 &&
		    !(strcmp(type, "LoadBalancer") == 0 && local))
			kube__val_invalid(c, "healthCheckNodePort", kube__val_vint(hc),
			        "may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'");
	}
	if (kube__val_get_string(c, spec, "internalTrafficPolicy", &s) == 1 && !kube__val_is_one_of(s, traffic_policies))
		kube__val_not_supported(c, "internalTrafficPolicy", kube__val_vstr(s), traffic_policies);
	kube__val_pop(c, mark);
}

/* ------------------------------------------------------------------------ */
/* ConfigMap, Secret, PersistentVolumeClaim, Namespace                       */

#define MAX_SECRET_SIZE (1024L * 1024L)

/*
 * The length of base64 data once decoded (the API carries []byte as
 * base64): every 4 characters make 3 bytes, and a final group of 2 or 3
 * characters (before its '=' padding) makes 1 or 2.
 */
static size_t base64_decoded_len(const char *s)
{
	size_t n = 0;
	for (const char *p = s; *p; p++)
		if (*p != '=' && !isspace((unsigned char)*p))
			n++;
	return (n / 4) * 3 + (n % 4 ? n % 4 - 1 : 0);
}

static size_t string_member_len(json_object *v)
{
	return v && json_object_is_type(v, json_type_string) ? (size_t)json_object_get_string_len(v) : 0;
}

/* ValidateConfigMap() */
void kube__val_validate_configmap(kube__val_ctx *c, json_object *doc)
{
	json_object *data, *bin;
	uint64_t total = 0;
	size_t mark;

	kube__val_get_map(c, doc, "data", &data);
	kube__val_get_map(c, doc, "binaryData", &bin);
	if (data) {
		mark = kube__val_push(c, "data");
		json_object_object_foreach(data, key, val) {
			size_t m2 = kube__val_push_key(c, key);
			kube__val_check_name(c, NULL, kube__val_check_config_key, key);
			if (kube__val_member(bin, key) || (bin && json_object_object_get_ex(bin, key, NULL)))
				kube__val_invalid(c, NULL, kube__val_vstr(key), "duplicate of key present in binaryData");
			if (val && !json_object_is_type(val, json_type_string))
				kube__val_type_problem(c, NULL, val, "string");
			total += string_member_len(val);
			kube__val_pop(c, m2);
		}
		kube__val_pop(c, mark);
	}
	if (bin) {
		mark = kube__val_push(c, "binaryData");
		json_object_object_foreach(bin, key, val) {
			size_t m2 = kube__val_push_key(c, key);
			kube__val_check_name(c, NULL, kube__val_check_config_key, key);
			if (val && json_object_is_type(val, json_type_string))
				total += base64_decoded_len(kube__val_str_of(val));
			else if (val)
				kube__val_type_problem(c, NULL, val, "string");
			kube__val_pop(c, m2);
		}
		kube__val_pop(c, mark);
	}
	if (total > (uint64_t)MAX_SECRET_SIZE)
		kube__val_too_long(c, NULL, MAX_SECRET_SIZE);   /* upstream: field.NewPath(""), printed "[]" */
}

/* ValidateSecret(): stringData is merged into data before validation. */
void kube__val_validate_secret(kube__val_ctx *c, json_object *doc)
{
	json_object *data, *sdata;
	const char *type = kube__val_get_str_dflt(c, doc, "type", "Opaque");
	uint64_t total = 0;
	size_t mark = kube__val_push(c, "data");

	kube__val_get_map(c, doc, "data", &data);
	kube__val_get_map(c, doc, "stringData", &sdata);
	if (data) {
		json_object_object_foreach(data, key, val) {
			size_t m2 = kube__val_push_key(c, key);
			kube__val_check_name(c, NULL, kube__val_check_config_key, key);
			if (val && !json_object_is_type(val, json_type_string))
				kube__val_type_problem(c, NULL, val, "string");
			else if (!kube__val_member(sdata, key))
				total += val ? base64_decoded_len(kube__val_str_of(val)) : 0;
			kube__val_pop(c, m2);
		}
	}
	if (sdata) {
		json_object_object_foreach(sdata, key, val) {
			size_t m2 = kube__val_push_key(c, key);
			if (!data || !json_object_object_get_ex(data, key, NULL))
				kube__val_check_name(c, NULL, kube__val_check_config_key, key);
			if (val && !json_object_is_type(val, json_type_string))
				kube__val_type_problem(c, NULL, val, "string");
			total += string_member_len(val);
			kube__val_pop(c, m2);
		}
	}
	kube__val_pop(c, mark);
	if (total > (uint64_t)MAX_SECRET_SIZE)
		kube__val_too_long(c, "data", MAX_SECRET_SIZE);

#define HAS_KEY(k) ((data && json_object_object_get_ex(data, (k), NULL)) || \
                    (sdata && json_object_object_get_ex(sdata, (k), NULL)))
	if (strcmp(type, "kubernetes.io/service-account-token") == 0) {
		json_object *ann = kube__val_member(kube__val_member(doc, "metadata"), "annotations");
		if (string_member_len(kube__val_member(ann, "kubernetes.io/service-account.name")) == 0)
			kube__val_required(c, "metadata.annotations[kubernetes.io/service-account.name]", NULL);
	} else if (strcmp(type, "kubernetes.io/dockercfg") == 0) {
		if (!HAS_KEY(".dockercfg"))
			kube__val_required(c, "data[.dockercfg]", NULL);
	} else if (strcmp(type, "kubernetes.io/dockerconfigjson") == 0) {
		if (!HAS_KEY(".dockerconfigjson"))
			kube__val_required(c, "data[.dockerconfigjson]", NULL);
	} else if (strcmp(type, "kubernetes.io/basic-auth") == 0) {
		if (!HAS_KEY("username") && !HAS_KEY("password")) {
			kube__val_required(c, "data[username]", NULL);
			kube__val_required(c, "data[password]", NULL);
		}
	} else if (strcmp(type, "kubernetes.io/ssh-auth") == 0) {
		if (string_member_len(kube__val_member(data, "ssh-privatekey")) == 0 &&
		    string_member_len(kube__val_member(sdata, "ssh-privatekey")) == 0)
			kube__val_required(c, "data[ssh-privatekey]", NULL);
	} else if (strcmp(type, "kubernetes.io/tls") == 0) {
		if (!HAS_KEY("tls.crt"))
			kube__val_required(c, "data[tls.crt]", NULL);
		if (!HAS_KEY("tls.key"))
			kube__val_required(c, "data[tls.key]", NULL);
	}
#undef HAS_KEY
}

static const char *const access_modes[] = { "ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce",
                                            "ReadWriteOncePod", NULL };
static const char *const volume_modes[] = { "Block", "Filesystem", NULL };

/* ValidatePersistentVolumeClaimSpec() */
void kube__val_validate_pvc(kube__val_ctx *c, json_object *doc)
{
	json_object *spec = kube__val_spec_of(c, doc), *modes = NULL, *sel, *res = NULL, *req = NULL, *storage;
	size_t mark = kube__val_push(c, "spec"), n = 0;
	int rwop = 0, other = 0;
	const char *s;

	if (kube__val_get_array(c, spec, "accessModes", &modes) == 1)
		n = json_object_array_length(modes);
	if (n == 0)
		kube__val_required(c, "accessModes", "at least 1 access mode is required");
	if (kube__val_get_map(c, spec, "selector", &sel) == 1)
		kube__val_validate_label_selector(c, "selector", sel);
	for (size_t i = 0; i < n; i++) {
		const char *m = kube__val_str_of(json_object_array_get_idx(modes, i));
		if (!m)
			m = "";
		if (!kube__val_is_one_of(m, access_modes))
			kube__val_not_supported(c, "accessModes", kube__val_vstr(m), access_modes);
		if (strcmp(m, "ReadWriteOncePod") == 0)
			rwop = 1;
		else if (kube__val_is_one_of(m, access_modes))
			other = 1;
	}
	if (rwop && other)
		kube__val_forbidden(c, "accessModes", "may not use ReadWriteOncePod with other access modes");
	if (kube__val_get_map(c, spec, "resources", &res) == 1) {
		size_t m2 = kube__val_push(c, "resources");
		kube__val_get_map(c, res, "requests", &req);
		kube__val_pop(c, m2);
	}
	storage = kube__val_member(req, "storage");
	if (!storage) {
		kube__val_required(c, "resources[storage]", NULL);
	} else {
		kube_quantity q;
		size_t m2 = kube__val_push(c, "resources");
		kube__val_push_key(c, "storage");
		if (kube__val_parse_quantity(c, storage, &q) == 0 && kube__val_quantity_sign(&q) <= 0)
			kube__val_invalid_quantity(c, NULL, &q, "must be greater than zero");
		kube__val_pop(c, m2);
	}
	if (kube__val_get_string(c, spec, "storageClassName", &s) == 1 && *s)
		kube__val_check_name(c, "storageClassName", kube__check_dns1123_subdomain, s);
	if (kube__val_get_string(c, spec, "volumeMode", &s) == 1 && !kube__val_is_one_of(s, volume_modes))
		kube__val_not_supported(c, "volumeMode", kube__val_vstr(s), volume_modes);
	kube__val_pop(c, mark);
}

/* ValidateNamespace(): spec.finalizers follow the finalizer name rules. */
void kube__val_validate_namespace(kube__val_ctx *c, json_object *doc)
{
	json_object *spec = kube__val_spec_of(c, doc), *fins;
	size_t mark = kube__val_push(c, "spec");

	if (kube__val_get_array(c, spec, "finalizers", &fins) == 1) {
		for (size_t i = 0; i < json_object_array_length(fins); i++) {
			const char *f = kube__val_str_of(json_object_array_get_idx(fins, i));
			size_t m2 = kube__val_push(c, "finalizers");
			if (!f)
				f = "";
			kube__val_check_name(c, NULL, kube__check_qualified_name, f);
			kube__val_validate_kube_finalizer(c, f);
			kube__val_pop(c, m2);
		}
	}
	kube__val_pop(c, mark);
}

