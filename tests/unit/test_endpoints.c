/*
 * test_endpoints.c - the Endpoints controller against the memory store, in
 * the style of upstream's endpoints_controller_test.go: ready and not-ready
 * addresses, targetPort resolution (numbers, names by protocol, restartable
 * init containers), several ports packed into several subsets in
 * upstream's order, publishNotReadyAddresses, terminating, finished and
 * IP-less pods, headless Services (label, hostname/subdomain, no ports),
 * IP families, the trigger-time annotation, deletion with the Service,
 * selector-less and ExternalName Services left alone, leftover Endpoints
 * at start-up, relabelled pods, no write when nothing changed, and the
 * 1000-address cap.  Pod state is written by the test; the clock the
 * workqueue reads is fake.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libkube/kube.h"
#include "controllers/controllers_private.h"
#include "object/object_private.h"

/* endpoints.c's internals, for the hash-order tests (no header: nothing
 * else uses them). */
KUBE_INTERNAL void kube__endpoints_md5(const void *data, size_t len, unsigned char out[16]);
KUBE_INTERNAL int kube__endpoints_port_md5(const char *name, int64_t port, const char *protocol,
                                           const char *app_protocol, unsigned char out[16]);

#define SEC ((int64_t)1000000000)
#define MS ((int64_t)1000000)

static int64_t fake_now;
static kube_loop *loop;
static kube_store *st;
static kube_informer_factory *fac;
static kube_endpoints_controller *ctl;

static int64_t fake_clock(void *ud)
{
	(void)ud;
	return fake_now;
}

static void setup(void)
{
	fake_now = (int64_t)time(NULL) * SEC;
	ctl = NULL;
	ck_assert_int_eq(kube_loop_new(&loop, NULL), 0);
	ck_assert_int_eq(kube_store_open(&st, loop, NULL), 0);
	ck_assert_int_eq(kube_informer_factory_new(&fac, st, 0), 0);
}

static void teardown(void)
{
	kube_endpoints_controller_free(ctl);
	kube_informer_factory_free(fac);
	kube_store_close(st);
	kube_loop_free(loop);
}

static void start(void)
{
	kube_workload_controller_options o = KUBE_WORKLOAD_CONTROLLER_OPTIONS_INIT;

	o.clock = fake_clock;
	ck_assert_int_eq(kube_endpoints_controller_new(&ctl, fac, st, &o), 0);
	ck_assert_int_eq(kube_informer_factory_start(fac), 0);
}

/* Runs the loop, and the keys due on the fake clock (backoffs included),
 * until everything has settled. */
static void settle(void)
{
	for (int i = 0; i < 100; i++) {
		ck_assert_int_eq(kube_loop_run_once(loop, KUBE_LOOP_NOWAIT), 0);
		fake_now += 20 * MS;
		if (ctl)
			kube_controller_process(kube_endpoints_controller_runner(ctl));
	}
}

static kube_object *obj(const char *json)
{
	kube_object *o = NULL;
	ck_assert_msg(kube_object_from_json(&o, json, strlen(json)) == 0, "%s", json);
	return o;
}

static void create(const char *json)
{
	kube_object *o = obj(json);
	int rc = kube_store_create(NULL, st, o);
	ck_assert_msg(rc == 0, "%s: %s", json, kube_error_last() ? kube_error_last()->message : "");
	kube_object_unref(o);
}

static kube_object *get(const char *res, const char *name)
{
	kube_object *o = NULL;
	if (kube_store_get(&o, st, res, "ns", name) != 0)
		return NULL;
	return o;
}

static void del(const char *res, const char *name)
{
	ck_assert_int_eq(kube_store_delete(NULL, st, res, "ns", name, NULL), 0);
}

/* ---- objects ---- */

static void svc(const char *name, const char *meta_extra, const char *spec)
{
	char buf[2048];
	snprintf(buf, sizeof(buf),
	         "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"namespace\":\"ns\","
	         "\"name\":\"%s\"%s},\"spec\":%s}",
	         name, meta_extra ? meta_extra : "", spec);
	create(buf);
}

typedef struct podv {
	const char *name;
	const char *labels;      /* JSON map */
	const char *ip;          /* NULL: none yet */
	int ready;               /* Ready condition True / False */
	const char *phase;       /* NULL: Running */
	const char *containers;  /* JSON array; NULL: one without ports */
	const char *spec_extra;  /* ",\"hostname\":\"x\"" ... */
	const char *meta_extra;  /* ",\"finalizers\":[...]" ... */
	const char *ready_at;    /* the condition's lastTransitionTime */
	const char *status_extra;
} podv;

static void pod(podv p)
{
	char buf[4096], ip[128] = "";
	if (p.ip)
		snprintf(ip, sizeof(ip), "\"podIP\":\"%s\",", p.ip);
	snprintf(buf, sizeof(buf),
	         "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"namespace\":\"ns\","
	         "\"name\":\"%s\",\"labels\":%s%s},\"spec\":{\"nodeName\":\"node-1\","
	         "\"containers\":%s%s},\"status\":{\"phase\":\"%s\",%s%s\"conditions\":[{\"type\":"
	         "\"Ready\",\"status\":\"%s\",\"lastTransitionTime\":\"%s\"}]}}",
	         p.name, p.labels ? p.labels : "{\"app\":\"web\"}", p.meta_extra ? p.meta_extra : "",
	         p.containers ? p.containers : "[{\"name\":\"c\",\"image\":\"x\"}]",
	         p.spec_extra ? p.spec_extra : "", p.phase ? p.phase : "Running", ip,
	         p.status_extra ? p.status_extra : "", p.ready ? "True" : "False",
	         p.ready_at ? p.ready_at : "2020-01-01T00:00:00Z");
	create(buf);
}

static const char *uid_of(const char *pod_name)
{
	static char buf[8][64];
	static int next;
	kube_object *p = get("pods", pod_name);
	char *out = buf[next++ % 8];
	ck_assert_ptr_nonnull(p);
	snprintf(out, 64, "%s", kube_object_uid(p));
	kube_object_unref(p);
	return out;
}

/* tmpl with every "$name$" replaced by that pod's uid (a static buffer). */
static const char *expand(const char *tmpl)
{
	static char out[16384];
	size_t n = 0;
	for (const char *p = tmpl; *p;) {
		if (*p == '$') {
			char name[64];
			const char *end = strchr(p + 1, '$');
			ck_assert_ptr_nonnull(end);
			snprintf(name, sizeof(name), "%.*s", (int)(end - p - 1), p + 1);
			n += (size_t)snprintf(out + n, sizeof(out) - n, "%s", uid_of(name));
			p = end + 1;
		} else {
			out[n++] = *p++;
		}
	}
	out[n] = 0;
	return out;
}

/* The Endpoints' subsets as compact JSON ("" when none), a static buffer. */
static const char *subsets(const char *name)
{
	static char buf[8][16384];
	static int next;
	kube_object *ep = get("endpoints", name);
	char *json = NULL, *out = buf[next++ % 8];
	ck_assert_msg(ep != NULL, "no endpoints %s", name);
	out[0] = 0;
	if (kube_object_get_json(ep, "subsets", &json) == 0)
		snprintf(out, 16384, "%s", json);
	kube_free(json);
	kube_object_unref(ep);
	return out;
}

static void expect_subsets(const char *name, const char *tmpl)
{
	const char *want = expand(tmpl), *got = subsets(name);
	ck_assert_msg(strcmp(want, got) == 0, "endpoints %s:\n got %s\nwant %s", name, got, want);
}

static char *rv_of(const char *res, const char *name)
{
	kube_object *o = get(res, name);
	char *rv;
	ck_assert_ptr_nonnull(o);
	rv = kube_strdup(kube_object_resource_version(o));
	kube_object_unref(o);
	return rv;
}

static const char *ann(const char *name, const char *key)
{
	static char buf[4][256];
	static int next;
	kube_object *ep = get("endpoints", name);
	const char *v = kube_object_annotation(ep, key);
	char *out = buf[next++ % 4];
	if (!v) {
		kube_object_unref(ep);
		return NULL;
	}
	snprintf(out, 256, "%s", v);
	kube_object_unref(ep);
	return out;
}

/* ---- changing pods as a kubelet (or a user) would ---- */

typedef struct pod_edit {
	int ready;                /* -1 leave, 0/1 */
	const char *ready_at;
	const char *labels;       /* replaces metadata.labels */
	const char *annotation;   /* an unrelated annotation's value */
	const char *phase;
} pod_edit;

static int edit_pod(kube_object *p, void *ud)
{
	pod_edit *e = ud;
	char buf[256];
	int rc = 0;

	if (e->ready >= 0) {
		snprintf(buf, sizeof(buf),
		         "[{\"type\":\"Ready\",\"status\":\"%s\",\"lastTransitionTime\":\"%s\"}]",
		         e->ready ? "True" : "False", e->ready_at ? e->ready_at : "2020-01-01T00:00:00Z");
		rc = kube_object_set_json(p, "status.conditions", buf);
	}
	if (!rc && e->labels)
		rc = kube_object_set_json(p, "metadata.labels", e->labels);
	if (!rc && e->annotation)
		rc = kube_object_set_annotation(p, "note", e->annotation);
	if (!rc && e->phase)
		rc = kube_object_set_string(p, "status.phase", e->phase);
	return rc;
}

static void edit(const char *name, pod_edit e)
{
	ck_assert_int_eq(kube_store_guaranteed_update(NULL, st, "pods", "ns", name, edit_pod, &e), 0);
}

/* ---- Go's printing of a subset, for the order checks ---- */

static void spew_str(char **p, size_t *left, const char *fmt, const char *s)
{
	int n = snprintf(*p, *left, fmt, s);
	ck_assert(n >= 0 && (size_t)n < *left);
	*p += n;
	*left -= (size_t)n;
}

static const char *str_or(const kube_object *o, const char *path, const char *def)
{
	const char *v;
	return kube_object_get_string(o, path, &v) == 0 && v ? v : def;
}

static void spew_addrs(char **p, size_t *left, const kube_object *ep, size_t i, const char *field)
{
	char path[128], base[96];
	size_t n = 0;
	snprintf(path, sizeof(path), "subsets[%zu].%s", i, field);
	if (kube_object_get_len(ep, path, &n) != 0 || n == 0) {
		spew_str(p, left, "%s", "<nil>");
		return;
	}
	spew_str(p, left, "%s", "[");
	for (size_t j = 0; j < n; j++) {
		snprintf(base, sizeof(base), "subsets[%zu].%s[%zu]", i, field, j);
		spew_str(p, left, j ? " {IP:(string)%s" : "{IP:(string)%s",
		         (snprintf(path, sizeof(path), "%s.ip", base), str_or(ep, path, "")));
		spew_str(p, left, " Hostname:(string)%s",
		         (snprintf(path, sizeof(path), "%s.hostname", base), str_or(ep, path, "")));
		spew_str(p, left, " NodeName:(*string)%s",
		         (snprintf(path, sizeof(path), "%s.nodeName", base), str_or(ep, path, "<nil>")));
		spew_str(p, left, " TargetRef:(*v1.ObjectReference){Kind:(string)%s",
		         (snprintf(path, sizeof(path), "%s.targetRef.kind", base), str_or(ep, path, "")));
		spew_str(p, left, " Namespace:(string)%s",
		         (snprintf(path, sizeof(path), "%s.targetRef.namespace", base),
		          str_or(ep, path, "")));
		spew_str(p, left, " Name:(string)%s",
		         (snprintf(path, sizeof(path), "%s.targetRef.name", base), str_or(ep, path, "")));
		spew_str(p, left, " UID:(types.UID)%s",
		         (snprintf(path, sizeof(path), "%s.targetRef.uid", base), str_or(ep, path, "")));
		spew_str(p, left, "%s", " APIVersion:(string) ResourceVersion:(string) FieldPath:(string)}}");
	}
	spew_str(p, left, "%s", "]");
}

/* Subset i of ep as dump.ForHash prints a v1.EndpointSubset (addresses
 * with a targetRef of kind, namespace, name and uid, as the controller
 * writes them). */
static void spew_subset(char *out, size_t size, const kube_object *ep, size_t i)
{
	char path[128];
	size_t n = 0, left = size;
	char *p = out;

	spew_str(&p, &left, "%s", "(v1.EndpointSubset){Addresses:([]v1.EndpointAddress)");
	spew_addrs(&p, &left, ep, i, "addresses");
	spew_str(&p, &left, "%s", " NotReadyAddresses:([]v1.EndpointAddress)");
	spew_addrs(&p, &left, ep, i, "notReadyAddresses");
	spew_str(&p, &left, "%s", " Ports:([]v1.EndpointPort)");
	snprintf(path, sizeof(path), "subsets[%zu].ports", i);
	if (kube_object_get_len(ep, path, &n) != 0 || n == 0) {
		spew_str(&p, &left, "%s", "<nil>}");
		return;
	}
	spew_str(&p, &left, "%s", "[");
	for (size_t j = 0; j < n; j++) {
		char num[32];
		int64_t port = 0;
		snprintf(path, sizeof(path), "subsets[%zu].ports[%zu].name", i, j);
		spew_str(&p, &left, j ? " {Name:(string)%s" : "{Name:(string)%s", str_or(ep, path, ""));
		snprintf(path, sizeof(path), "subsets[%zu].ports[%zu].port", i, j);
		kube_object_get_int(ep, path, &port);
		snprintf(num, sizeof(num), "%lld", (long long)port);
		spew_str(&p, &left, " Port:(int32)%s", num);
		snprintf(path, sizeof(path), "subsets[%zu].ports[%zu].protocol", i, j);
		spew_str(&p, &left, " Protocol:(v1.Protocol)%s", str_or(ep, path, ""));
		snprintf(path, sizeof(path), "subsets[%zu].ports[%zu].appProtocol", i, j);
		spew_str(&p, &left, " AppProtocol:(*string)%s}", str_or(ep, path, "<nil>"));
	}
	spew_str(&p, &left, "%s", "]}");
}

static void md5_hex(const char *s, char hex[33])
{
	unsigned char d[16];
	kube__endpoints_md5(s, strlen(s), d);
	for (int i = 0; i < 16; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
}

/* ---- the hash order itself ---- */

START_TEST(test_endpoints_md5_and_go_printing)
{
	/* MD5 of 'a'..'z' repeated, at lengths around the block edges, and
	 * of spew's printing: the values are Go's crypto/md5 and
	 * k8s.io/utils/dump.ForHash on k8s.io/api/core/v1 values */
	static const struct { size_t len; const char *hex; } md5_vec[] = {
		{ 0, "d41d8cd98f00b204e9800998ecf8427e" },   { 3, "900150983cd24fb0d6963f7d28e17f72" },
		{ 55, "0d7ae056b2f015cd7dc67494efd658f1" },  { 56, "31fcfb5165169eb55898e7e4cf34d19a" },
		{ 63, "1b30c0670c15e7da3c2ba7bce77ebe99" },  { 64, "a2eaf6295c32adc403865fd96a2f182b" },
		{ 65, "eba2cce0ca8df47e62414a736b3105a2" },  { 119, "b05187e08da41fa3ef16bd56afaafd99" },
		{ 120, "62af9b597a9f55e16ab2b897387fc052" }, { 128, "3e8c1ccbd71838ef3df4b72e57fb9bf6" },
		{ 130, "a69d9a9991712224e6a899482474c56c" },
	};
	static const struct {
		const char *name;
		int64_t port;
		const char *proto, *app, *hex;
	} port_vec[] = {
		{ "admin", 7000, "TCP", NULL, "e4f7199065965138587becef17c05cb1" },
		{ "metrics", 9090, "TCP", NULL, "7f2b2ed5c291d262b380780a26a35733" },
		{ "http", 8080, "TCP", NULL, "fc51ca7087ce52e70c38709727f8f0b6" },
		{ "http", 8081, "TCP", NULL, "6b0e6588d82dae8f15a38897d5a86157" },
		{ "http", 8082, "TCP", NULL, "33ccb13ee3a786503aac1372e8859e20" },
		{ "", 8080, "TCP", NULL, "ca90e29ee3665e5029fabda7c226b84c" },
		{ "dns", 53, "UDP", NULL, "3e9daf8e22f0b0da6aaa1a1b052ee929" },
		{ "dns-tcp", 53, "TCP", NULL, "3b6a791b41850c40c712b5cc585449ae" },
		{ "web", 80, "TCP", "http", "80f803d55296b2b964f5da490423fbc2" },
		{ "we\"ird\\", -1, "UDP", "http", "626515c1eaad0f392543a6b1aa281ea9" },
	};
	char letters[130], hex[33], printed[4096];

	for (size_t i = 0; i < sizeof(letters); i++)
		letters[i] = (char)('a' + i % 26);
	for (size_t i = 0; i < sizeof(md5_vec) / sizeof(md5_vec[0]); i++) {
		unsigned char d[16];
		kube__endpoints_md5(letters, md5_vec[i].len, d);
		for (int j = 0; j < 16; j++)
			snprintf(hex + 2 * j, 3, "%02x", d[j]);
		ck_assert_msg(strcmp(hex, md5_vec[i].hex) == 0, "md5 of %zu bytes: %s", md5_vec[i].len,
		              hex);
	}
	for (size_t i = 0; i < sizeof(port_vec) / sizeof(port_vec[0]); i++) {
		unsigned char d[16];
		ck_assert_int_eq(kube__endpoints_port_md5(port_vec[i].name, port_vec[i].port,
		                                          port_vec[i].proto, port_vec[i].app, d), 0);
		for (int j = 0; j < 16; j++)
			snprintf(hex + 2 * j, 3, "%02x", d[j]);
		ck_assert_msg(strcmp(hex, port_vec[i].hex) == 0, "port %s/%lld: %s", port_vec[i].name,
		              (long long)port_vec[i].port, hex);
	}
	/* this test's own printing of a subset is Go's, byte for byte */
	kube_object *ep = obj(
	        "{\"apiVersion\":\"v1\",\"kind\":\"Endpoints\",\"metadata\":{\"name\":\"x\"},"
	        "\"subsets\":[{\"addresses\":[{\"ip\":\"10.0.0.1\",\"nodeName\":\"n1\",\"targetRef\":"
	        "{\"kind\":\"Pod\",\"namespace\":\"ns\",\"name\":\"a\",\"uid\":\"uid-a\"}}],"
	        "\"notReadyAddresses\":[{\"ip\":\"10.0.0.2\",\"hostname\":\"h\",\"nodeName\":\"\","
	        "\"targetRef\":{\"kind\":\"Pod\",\"namespace\":\"ns\",\"name\":\"b\",\"uid\":"
	        "\"uid-b\"}}],\"ports\":[{\"name\":\"http\",\"port\":8080,\"protocol\":\"TCP\"},"
	        "{\"name\":\"web\",\"port\":80,\"protocol\":\"TCP\",\"appProtocol\":\"http\"}]},"
	        "{\"addresses\":[{\"ip\":\"10.0.0.1\",\"nodeName\":\"n1\",\"targetRef\":{\"kind\":"
	        "\"Pod\",\"namespace\":\"ns\",\"name\":\"a\",\"uid\":\"uid-a\"}}]}]}");
	spew_subset(printed, sizeof(printed), ep, 0);
	ck_assert_str_eq(printed,
	                 "(v1.EndpointSubset){Addresses:([]v1.EndpointAddress)[{IP:(string)10.0.0.1 "
	                 "Hostname:(string) NodeName:(*string)n1 TargetRef:(*v1.ObjectReference)"
	                 "{Kind:(string)Pod Namespace:(string)ns Name:(string)a UID:(types.UID)uid-a "
	                 "APIVersion:(string) ResourceVersion:(string) FieldPath:(string)}}] "
	                 "NotReadyAddresses:([]v1.EndpointAddress)[{IP:(string)10.0.0.2 "
	                 "Hostname:(string)h NodeName:(*string) TargetRef:(*v1.ObjectReference)"
	                 "{Kind:(string)Pod Namespace:(string)ns Name:(string)b UID:(types.UID)uid-b "
	                 "APIVersion:(string) ResourceVersion:(string) FieldPath:(string)}}] "
	                 "Ports:([]v1.EndpointPort)[{Name:(string)http Port:(int32)8080 "
	                 "Protocol:(v1.Protocol)TCP AppProtocol:(*string)<nil>} {Name:(string)web "
	                 "Port:(int32)80 Protocol:(v1.Protocol)TCP AppProtocol:(*string)http}]}");
	md5_hex(printed, hex);
	ck_assert_str_eq(hex, "09406dbbc529a46c604a069aa79623ec");
	spew_subset(printed, sizeof(printed), ep, 1);
	md5_hex(printed, hex);
	ck_assert_str_eq(hex, "5c7120342ba0f6871bdd151a14230978");
	kube_object_unref(ep);
}
END_TEST

/* ---- the controller ---- */

#define WEB_SVC \
	"{\"clusterIP\":\"10.96.0.10\",\"selector\":{\"app\":\"web\"},\"ports\":[{\"port\":80," \
	"\"targetPort\":8080}]}"

START_TEST(test_endpoints_ready_and_not_ready)
{
	svc("web", ",\"labels\":{\"team\":\"a\",\"tier\":\"fe\"}", WEB_SVC);
	pod((podv){ .name = "a", .ip = "10.0.0.2", .ready = 1 });
	pod((podv){ .name = "b", .ip = "10.0.0.1", .ready = 0 });
	pod((podv){ .name = "c", .ready = 1 });   /* no IP yet */
	pod((podv){ .name = "other", .labels = "{\"app\":\"db\"}", .ip = "10.0.0.3", .ready = 1 });
	start();
	settle();
	expect_subsets("web",
	               "[{\"addresses\":[{\"ip\":\"10.0.0.2\",\"nodeName\":\"node-1\",\"targetRef\":"
	               "{\"kind\":\"Pod\",\"namespace\":\"ns\",\"name\":\"a\",\"uid\":\"$a$\"}}],"
	               "\"notReadyAddresses\":[{\"ip\":\"10.0.0.1\",\"nodeName\":\"node-1\","
	               "\"targetRef\":{\"kind\":\"Pod\",\"namespace\":\"ns\",\"name\":\"b\",\"uid\":"
	               "\"$b$\"}}],\"ports\":[{\"port\":8080,\"protocol\":\"TCP\"}]}]");
	/* labels: the Service's, no headless label for a cluster IP */
	kube_object *ep = get("endpoints", "web"), *s = get("services", "web");
	ck_assert(kube_labels_equal(kube_object_labels(ep), kube_object_labels(s)));
	ck_assert_uint_eq(kube_labels_count(kube_object_labels(ep)), 2);
	/* a new Service: its creation is the trigger time */
	ck_assert_str_eq(kube_object_annotation(ep, "endpoints.kubernetes.io/last-change-trigger-time"),
	                 kube_object_creation_timestamp(s));
	ck_assert_ptr_null(kube_object_annotation(ep, "endpoints.kubernetes.io/over-capacity"));
	ck_assert_uint_eq(kube_object_owner_ref_count(ep), 0);
	kube_object_unref(ep);
	kube_object_unref(s);

	/* c gets an IP (an endpoint change on its own), then b turns ready:
	 * all three ready, sorted by IP (as bytes) */
	kube_object *c = get("pods", "c"), *m = NULL;
	ck_assert_int_eq(kube_object_mutable(&m, c), 0);
	ck_assert_int_eq(kube_object_set_string(m, "status.podIP", "10.0.0.10"), 0);
	ck_assert_int_eq(kube_store_update(NULL, st, m), 0);
	kube_object_unref(m);
	kube_object_unref(c);
	settle();
	ck_assert_ptr_nonnull(strstr(subsets("web"), "\"10.0.0.10\""));
	edit("b", (pod_edit){ .ready = 1, .ready_at = "2030-01-02T03:04:05.5Z" });
	settle();
	expect_subsets("web",
	               "[{\"addresses\":[{\"ip\":\"10.0.0.1\",\"nodeName\":\"node-1\",\"targetRef\":"
	               "{\"kind\":\"Pod\",\"namespace\":\"ns\",\"name\":\"b\",\"uid\":\"$b$\"}},"
	               "{\"ip\":\"10.0.0.10\",\"nodeName\":\"node-1\",\"targetRef\":{\"kind\":\"Pod\","
	               "\"namespace\":\"ns\",\"name\":\"c\",\"uid\":\"$c$\"}},"
	               "{\"ip\":\"10.0.0.2\",\"nodeName\":\"node-1\",\"targetRef\":{\"kind\":\"Pod\","
	               "\"namespace\":\"ns\",\"name\":\"a\",\"uid\":\"$a$\"}}],"
	               "\"ports\":[{\"port\":8080,\"protocol\":\"TCP\"}]}]");
	/* b's Ready transition is the newest change (RFC3339Nano) */
	ck_assert_str_eq(ann("web", "endpoints.kubernetes.io/last-change-trigger-time"),
	                 "2030-01-02T03:04:05.5Z");

	/* a Service label change alone: written, with no trigger time */
	kube_object *sv = get("services", "web"), *sm = NULL;
	ck_assert_int_eq(kube_object_mutable(&sm, sv), 0);
	ck_assert_int_eq(kube_object_set_label(sm, "tier", "be"), 0);
	ck_assert_int_eq(kube_store_update(NULL, st, sm), 0);
	kube_object_unref(sm);
	kube_object_unref(sv);
	settle();
	ep = get("endpoints", "web");
	ck_assert_str_eq(kube_labels_get(kube_object_labels(ep), "tier"), "be");
	ck_assert_ptr_null(kube_object_annotation(ep, "endpoints.kubernetes.io/last-change-trigger-time"));
	kube_object_unref(ep);
	kube_controller_stats stats = { .version = KUBE_CONTROLLER_STATS_VERSION };
	ck_assert_int_eq(kube_controller_get_stats(kube_endpoints_controller_runner(ctl), &stats), 0);
	ck_assert_uint_eq(stats.errors, 0);

	/* the controller read every pod version by path and expanded none:
	 * a stored pod with its tree built costs ~15 times its text */
	static const char *const names[] = { "a", "b", "c", "other" };
	for (size_t i = 0; i < 4; i++) {
		kube_object *p = get("pods", names[i]);
		ck_assert_ptr_nonnull(kube__object_text(p, NULL));
		ck_assert_msg(!kube__object_has_tree(p), "pod %s has its tree built", names[i]);
		kube_object_unref(p);
	}
}
END_TEST

#define CONTAINERS(ports) "[{\"name\":\"c\",\"image\":\"x\",\"ports\":" ports "}]"

START_TEST(test_endpoints_named_ports_and_repacking)
{
	/* http -> the container port named "web" (TCP); metrics and admin by number */
	svc("app", NULL,
	    "{\"clusterIP\":\"10.96.0.11\",\"selector\":{\"app\":\"web\"},\"ports\":["
	    "{\"name\":\"http\",\"port\":80,\"targetPort\":\"web\"},"
	    "{\"name\":\"metrics\",\"port\":9090},"
	    "{\"name\":\"admin\",\"port\":7000,\"targetPort\":7000}]}");
	pod((podv){ .name = "a", .ip = "10.0.0.3", .ready = 1,
	            .containers = CONTAINERS("[{\"name\":\"web\",\"containerPort\":8080}]") });
	pod((podv){ .name = "b", .ip = "10.0.0.1", .ready = 1,
	            .containers = "[{\"name\":\"c\",\"image\":\"x\"},{\"name\":\"d\",\"image\":\"x\","
	                          "\"ports\":[{\"name\":\"web\",\"containerPort\":8081,"
	                          "\"protocol\":\"TCP\"}]}]" });
	/* a UDP port of that name does not serve a TCP service port */
	pod((podv){ .name = "c", .ip = "10.0.0.2", .ready = 0,
	            .containers = CONTAINERS("[{\"name\":\"web\",\"containerPort\":8090,"
	                                     "\"protocol\":\"UDP\"}]") });
	/* a restartable init container (sidecar) serves it; a plain one does not */
	pod((podv){ .name = "d", .ip = "10.0.0.4", .ready = 1,
	            .spec_extra = ",\"initContainers\":[{\"name\":\"side\",\"image\":\"x\","
	                          "\"restartPolicy\":\"Always\",\"ports\":[{\"name\":\"web\","
	                          "\"containerPort\":8082}]}]" });
	pod((podv){ .name = "e", .ip = "10.0.0.5", .ready = 1,
	            .spec_extra = ",\"initContainers\":[{\"name\":\"init\",\"image\":\"x\","
	                          "\"ports\":[{\"name\":\"web\",\"containerPort\":8083}]}]" });
	start();
	settle();

	/* four subsets: http:8080 {a}, http:8081 {b}, http:8082 {d}, and
	 * metrics + admin {a, b, d, e ready; c not ready} */
	const char *addr_a = "{\"ip\":\"10.0.0.3\",\"nodeName\":\"node-1\",\"targetRef\":{\"kind\":"
	                     "\"Pod\",\"namespace\":\"ns\",\"name\":\"a\",\"uid\":\"$a$\"}}";
	const char *addr_b = "{\"ip\":\"10.0.0.1\",\"nodeName\":\"node-1\",\"targetRef\":{\"kind\":"
	                     "\"Pod\",\"namespace\":\"ns\",\"name\":\"b\",\"uid\":\"$b$\"}}";
	const char *addr_c = "{\"ip\":\"10.0.0.2\",\"nodeName\":\"node-1\",\"targetRef\":{\"kind\":"
	                     "\"Pod\",\"namespace\":\"ns\",\"name\":\"c\",\"uid\":\"$c$\"}}";
	const char *addr_d = "{\"ip\":\"10.0.0.4\",\"nodeName\":\"node-1\",\"targetRef\":{\"kind\":"
	                     "\"Pod\",\"namespace\":\"ns\",\"name\":\"d\",\"uid\":\"$d$\"}}";
	const char *addr_e = "{\"ip\":\"10.0.0.5\",\"nodeName\":\"node-1\",\"targetRef\":{\"kind\":"
	                     "\"Pod\",\"namespace\":\"ns\",\"name\":\"e\",\"uid\":\"$e$\"}}";
	char want[4][4096];
	snprintf(want[0], sizeof(want[0]),
	         "{\"addresses\":[%s],\"ports\":[{\"name\":\"http\",\"port\":8080,\"protocol\":\"TCP\"}]}",
	         addr_a);
	snprintf(want[1], sizeof(want[1]),
	         "{\"addresses\":[%s],\"ports\":[{\"name\":\"http\",\"port\":8081,\"protocol\":\"TCP\"}]}",
	         addr_b);
	snprintf(want[2], sizeof(want[2]),
	         "{\"addresses\":[%s],\"ports\":[{\"name\":\"http\",\"port\":8082,\"protocol\":\"TCP\"}]}",
	         addr_d);
	/* addresses by IP; the ports in the order of their hashes: metrics
	 * (7f2b...) before admin (e4f7...) */
	snprintf(want[3], sizeof(want[3]),
	         "{\"addresses\":[%s,%s,%s,%s],\"notReadyAddresses\":[%s],\"ports\":["
	         "{\"name\":\"metrics\",\"port\":9090,\"protocol\":\"TCP\"},"
	         "{\"name\":\"admin\",\"port\":7000,\"protocol\":\"TCP\"}]}",
	         addr_b, addr_a, addr_d, addr_e, addr_c);
	for (int i = 0; i < 4; i++)
		snprintf(want[i], sizeof(want[i]), "%s", expand(want[i]));

	kube_object *ep = get("endpoints", "app");
	size_t n = 0;
	ck_assert_int_eq(kube_object_get_len(ep, "subsets", &n), 0);
	ck_assert_uint_eq(n, 4);
	int seen[4] = { 0 };
	char prev[33] = "";
	for (size_t i = 0; i < n; i++) {
		char path[32], *json = NULL, printed[8192], hex[33];
		int found = 0;
		snprintf(path, sizeof(path), "subsets[%zu]", i);
		ck_assert_int_eq(kube_object_get_json(ep, path, &json), 0);
		for (int k = 0; k < 4; k++)
			if (strcmp(json, want[k]) == 0) {
				seen[k]++;
				found = 1;
			}
		ck_assert_msg(found, "unexpected subset %s", json);
		kube_free(json);
		/* the subsets in the order of the MD5 of their Go printing */
		spew_subset(printed, sizeof(printed), ep, i);
		md5_hex(printed, hex);
		ck_assert_msg(strcmp(prev, hex) < 0, "subset %zu out of order", i);
		snprintf(prev, sizeof(prev), "%s", hex);
	}
	for (int k = 0; k < 4; k++)
		ck_assert_int_eq(seen[k], 1);
	kube_object_unref(ep);
}
END_TEST

START_TEST(test_endpoints_publish_not_ready_and_excluded_pods)
{
	svc("web", NULL, WEB_SVC);
	svc("all", NULL,
	    "{\"clusterIP\":\"10.96.0.12\",\"publishNotReadyAddresses\":true,\"selector\":"
	    "{\"app\":\"web\"},\"ports\":[{\"name\":\"p\",\"port\":80,\"protocol\":\"TCP\","
	    "\"appProtocol\":\"http\"}]}");
	pod((podv){ .name = "ready", .ip = "10.0.0.1", .ready = 1 });
	pod((podv){ .name = "unready", .ip = "10.0.0.2", .ready = 0 });
	pod((podv){ .name = "failed", .ip = "10.0.0.3", .ready = 0, .phase = "Failed" });
	pod((podv){ .name = "done", .ip = "10.0.0.4", .ready = 0, .phase = "Succeeded" });
	pod((podv){ .name = "noip", .ready = 1 });
	pod((podv){ .name = "bye", .ip = "10.0.0.5", .ready = 1,
	            .meta_extra = ",\"finalizers\":[\"test/keep\"]" });
	del("pods", "bye");   /* stays, being deleted, for its finalizer */
	start();
	settle();
	expect_subsets("web",
	               "[{\"addresses\":[{\"ip\":\"10.0.0.1\",\"nodeName\":\"node-1\",\"targetRef\":"
	               "{\"kind\":\"Pod\",\"namespace\":\"ns\",\"name\":\"ready\",\"uid\":\"$ready$\"}}],"
	               "\"notReadyAddresses\":[{\"ip\":\"10.0.0.2\",\"nodeName\":\"node-1\","
	               "\"targetRef\":{\"kind\":\"Pod\",\"namespace\":\"ns\",\"name\":\"unready\","
	               "\"uid\":\"$unready$\"}}],\"ports\":[{\"port\":8080,\"protocol\":\"TCP\"}]}]");
	/* publishNotReadyAddresses: everything with an IP that is not finished,
	 * being deleted included, is a ready address; targetPort unset = port */
	expect_subsets("all",
	               "[{\"addresses\":[{\"ip\":\"10.0.0.1\",\"nodeName\":\"node-1\",\"targetRef\":"
	               "{\"kind\":\"Pod\",\"namespace\":\"ns\",\"name\":\"ready\",\"uid\":\"$ready$\"}},"
	               "{\"ip\":\"10.0.0.2\",\"nodeName\":\"node-1\",\"targetRef\":{\"kind\":\"Pod\","
	               "\"namespace\":\"ns\",\"name\":\"unready\",\"uid\":\"$unready$\"}},"
	               "{\"ip\":\"10.0.0.5\",\"nodeName\":\"node-1\",\"targetRef\":{\"kind\":\"Pod\","
	               "\"namespace\":\"ns\",\"name\":\"bye\",\"uid\":\"$bye$\"}}],"
	               "\"ports\":[{\"name\":\"p\",\"port\":80,\"protocol\":\"TCP\","
	               "\"appProtocol\":\"http\"}]}]");

	/* the ready pod fails (the kubelet writes Ready False with the phase;
	 * a phase change alone is no endpoint change upstream): it leaves both */
	edit("ready", (pod_edit){ .ready = 0, .phase = "Failed" });
	settle();
	expect_subsets("web",
	               "[{\"notReadyAddresses\":[{\"ip\":\"10.0.0.2\",\"nodeName\":\"node-1\","
	               "\"targetRef\":{\"kind\":\"Pod\",\"namespace\":\"ns\",\"name\":\"unready\","
	               "\"uid\":\"$unready$\"}}],\"ports\":[{\"port\":8080,\"protocol\":\"TCP\"}]}]");
	expect_subsets("all",
	               "[{\"addresses\":[{\"ip\":\"10.0.0.2\",\"nodeName\":\"node-1\",\"targetRef\":"
	               "{\"kind\":\"Pod\",\"namespace\":\"ns\",\"name\":\"unready\",\"uid\":"
	               "\"$unready$\"}},{\"ip\":\"10.0.0.5\",\"nodeName\":\"node-1\",\"targetRef\":"
	               "{\"kind\":\"Pod\",\"namespace\":\"ns\",\"name\":\"bye\",\"uid\":\"$bye$\"}}],"
	               "\"ports\":[{\"name\":\"p\",\"port\":80,\"protocol\":\"TCP\","
	               "\"appProtocol\":\"http\"}]}]");
	/* the last one goes: no subsets at all */
	del("pods", "unready");
	settle();
	ck_assert_str_eq(subsets("web"), "");
	kube_object *ep = get("endpoints", "web");
	ck_assert_ptr_nonnull(ep);
	kube_object_unref(ep);
}
END_TEST

START_TEST(test_endpoints_headless_hostname_and_families)
{
	svc("db", ",\"labels\":{\"app\":\"db\"}",
	    "{\"clusterIP\":\"None\",\"selector\":{\"app\":\"db\"},\"ports\":[{\"name\":\"sql\","
	    "\"port\":5432}]}");
	svc("bare", NULL, "{\"clusterIP\":\"None\",\"selector\":{\"app\":\"db\"}}");
	svc("v6", NULL,
	    "{\"clusterIP\":\"fd00::10\",\"ipFamilies\":[\"IPv6\"],\"selector\":{\"app\":\"db\"},"
	    "\"ports\":[{\"port\":5432}]}");
	pod((podv){ .name = "db-0", .labels = "{\"app\":\"db\"}", .ip = "10.0.0.1", .ready = 1,
	            .spec_extra = ",\"hostname\":\"db-0\",\"subdomain\":\"db\"",
	            .status_extra = "\"podIPs\":[{\"ip\":\"10.0.0.1\"},{\"ip\":\"fd00::1\"}]," });
	pod((podv){ .name = "db-1", .labels = "{\"app\":\"db\"}", .ip = "10.0.0.2", .ready = 1,
	            .spec_extra = ",\"hostname\":\"db-1\",\"subdomain\":\"other\"" });
	start();
	settle();
	expect_subsets("db",
	               "[{\"addresses\":[{\"ip\":\"10.0.0.1\",\"hostname\":\"db-0\",\"nodeName\":"
	               "\"node-1\",\"targetRef\":{\"kind\":\"Pod\",\"namespace\":\"ns\",\"name\":"
	               "\"db-0\",\"uid\":\"$db-0$\"}},{\"ip\":\"10.0.0.2\",\"nodeName\":\"node-1\","
	               "\"targetRef\":{\"kind\":\"Pod\",\"namespace\":\"ns\",\"name\":\"db-1\",\"uid\":"
	               "\"$db-1$\"}}],\"ports\":[{\"name\":\"sql\",\"port\":5432,\"protocol\":"
	               "\"TCP\"}]}]");
	kube_object *ep = get("endpoints", "db");
	ck_assert_str_eq(kube_labels_get(kube_object_labels(ep), "service.kubernetes.io/headless"),
	                 "");
	ck_assert_str_eq(kube_labels_get(kube_object_labels(ep), "app"), "db");
	ck_assert_uint_eq(kube_labels_count(kube_object_labels(ep)), 2);
	kube_object_unref(ep);
	/* headless without ports: the addresses, no ports */
	expect_subsets("bare",
	               "[{\"addresses\":[{\"ip\":\"10.0.0.1\",\"nodeName\":\"node-1\",\"targetRef\":"
	               "{\"kind\":\"Pod\",\"namespace\":\"ns\",\"name\":\"db-0\",\"uid\":\"$db-0$\"}},"
	               "{\"ip\":\"10.0.0.2\",\"nodeName\":\"node-1\",\"targetRef\":{\"kind\":\"Pod\","
	               "\"namespace\":\"ns\",\"name\":\"db-1\",\"uid\":\"$db-1$\"}}]}]");
	/* an IPv6 Service: db-0's IPv6 address; db-1 has none and is left out */
	expect_subsets("v6",
	               "[{\"addresses\":[{\"ip\":\"fd00::1\",\"nodeName\":\"node-1\",\"targetRef\":"
	               "{\"kind\":\"Pod\",\"namespace\":\"ns\",\"name\":\"db-0\",\"uid\":\"$db-0$\"}}],"
	               "\"ports\":[{\"port\":5432,\"protocol\":\"TCP\"}]}]");
	ep = get("endpoints", "v6");
	ck_assert(!kube_labels_has(kube_object_labels(ep), "service.kubernetes.io/headless"));
	kube_object_unref(ep);
}
END_TEST

START_TEST(test_endpoints_follow_the_service)
{
	svc("web", NULL, WEB_SVC);
	pod((podv){ .name = "a", .ip = "10.0.0.1", .ready = 1 });
	/* user-managed: no selector, and ExternalName */
	svc("manual", NULL, "{\"ports\":[{\"port\":80}]}");
	create("{\"apiVersion\":\"v1\",\"kind\":\"Endpoints\",\"metadata\":{\"namespace\":\"ns\","
	       "\"name\":\"manual\"},\"subsets\":[{\"addresses\":[{\"ip\":\"192.0.2.1\"}],"
	       "\"ports\":[{\"port\":80}]}]}");
	svc("ext", NULL,
	    "{\"type\":\"ExternalName\",\"externalName\":\"example.com\",\"selector\":"
	    "{\"app\":\"web\"}}");
	/* left over from a Service gone while nothing ran; a leader record */
	create("{\"apiVersion\":\"v1\",\"kind\":\"Endpoints\",\"metadata\":{\"namespace\":\"ns\","
	       "\"name\":\"orphan\"}}");
	create("{\"apiVersion\":\"v1\",\"kind\":\"Endpoints\",\"metadata\":{\"namespace\":\"ns\","
	       "\"name\":\"lock\",\"annotations\":{\"control-plane.alpha.kubernetes.io/leader\":"
	       "\"{}\"}}}");
	char *manual_rv = rv_of("endpoints", "manual");
	start();
	settle();
	ck_assert_ptr_nonnull(strstr(subsets("web"), "10.0.0.1"));
	char *rv = rv_of("endpoints", "manual");
	ck_assert_str_eq(rv, manual_rv);
	kube_free(rv);
	ck_assert_str_eq(subsets("manual"),
	                 "[{\"addresses\":[{\"ip\":\"192.0.2.1\"}],\"ports\":[{\"port\":80}]}]");
	ck_assert_ptr_null(get("endpoints", "ext"));
	ck_assert_ptr_null(get("endpoints", "orphan"));
	kube_object *lock = get("endpoints", "lock");
	ck_assert_ptr_nonnull(lock);
	kube_object_unref(lock);

	/* deleted by someone: written again */
	del("endpoints", "web");
	settle();
	ck_assert_ptr_nonnull(strstr(subsets("web"), "10.0.0.1"));
	/* the Service goes: its Endpoints go */
	del("services", "web");
	settle();
	ck_assert_ptr_null(get("endpoints", "web"));
	/* the manual Service goes: the Endpoints go too, as upstream */
	del("services", "manual");
	settle();
	ck_assert_ptr_null(get("endpoints", "manual"));
	kube_free(manual_rv);
}
END_TEST

START_TEST(test_endpoints_relabel_and_no_needless_writes)
{
	svc("web", NULL, WEB_SVC);
	svc("debug", NULL,
	    "{\"clusterIP\":\"10.96.0.13\",\"selector\":{\"app\":\"debug\"},\"ports\":[{\"port\":80}]}");
	pod((podv){ .name = "a", .ip = "10.0.0.1", .ready = 1 });
	pod((podv){ .name = "b", .ip = "10.0.0.2", .ready = 1 });
	start();
	settle();
	ck_assert_ptr_nonnull(strstr(subsets("web"), "10.0.0.2"));
	ck_assert_str_eq(subsets("debug"), "");

	/* nothing that matters changes: no write */
	char *rv = rv_of("endpoints", "web"), *rv2;
	edit("a", (pod_edit){ .ready = -1, .annotation = "x" });
	kube_object *sv = get("services", "web"), *sm = NULL;
	ck_assert_int_eq(kube_object_mutable(&sm, sv), 0);
	ck_assert_int_eq(kube_object_set_annotation(sm, "note", "y"), 0);
	ck_assert_int_eq(kube_store_update(NULL, st, sm), 0);
	kube_object_unref(sm);
	kube_object_unref(sv);
	kube_controller_enqueue(kube_endpoints_controller_runner(ctl), "ns/web");
	kube_informer *inf = NULL;
	ck_assert_int_eq(kube_informer_factory_get(&inf, fac, "pods"), 0);
	ck_assert_int_eq(kube_informer_resync(inf), 0);
	ck_assert_int_eq(kube_informer_factory_get(&inf, fac, "services"), 0);
	ck_assert_int_eq(kube_informer_resync(inf), 0);
	settle();
	rv2 = rv_of("endpoints", "web");
	ck_assert_str_eq(rv, rv2);
	kube_free(rv);
	kube_free(rv2);

	/* b is relabelled: out of web, into debug */
	edit("b", (pod_edit){ .ready = -1, .labels = "{\"app\":\"debug\"}" });
	settle();
	expect_subsets("web",
	               "[{\"addresses\":[{\"ip\":\"10.0.0.1\",\"nodeName\":\"node-1\",\"targetRef\":"
	               "{\"kind\":\"Pod\",\"namespace\":\"ns\",\"name\":\"a\",\"uid\":\"$a$\"}}],"
	               "\"ports\":[{\"port\":8080,\"protocol\":\"TCP\"}]}]");
	expect_subsets("debug",
	               "[{\"addresses\":[{\"ip\":\"10.0.0.2\",\"nodeName\":\"node-1\",\"targetRef\":"
	               "{\"kind\":\"Pod\",\"namespace\":\"ns\",\"name\":\"b\",\"uid\":\"$b$\"}}],"
	               "\"ports\":[{\"port\":80,\"protocol\":\"TCP\"}]}]");
	kube_controller_stats stats = { .version = KUBE_CONTROLLER_STATS_VERSION };
	ck_assert_int_eq(kube_controller_get_stats(kube_endpoints_controller_runner(ctl), &stats), 0);
	ck_assert_uint_eq(stats.errors, 0);
}
END_TEST

static int scribble(kube_object *ep, void *ud)
{
	(void)ud;
	return kube_object_set_json(ep, "subsets", "[{\"addresses\":[{\"ip\":\"192.0.2.9\"}]}]");
}

START_TEST(test_endpoints_user_edit_and_stale_cache)
{
	kube_controller_stats stats = { .version = KUBE_CONTROLLER_STATS_VERSION };
	kube_controller *r;
	const char *want = "[{\"addresses\":[{\"ip\":\"10.0.0.1\",\"nodeName\":\"node-1\","
	                   "\"targetRef\":{\"kind\":\"Pod\",\"namespace\":\"ns\",\"name\":\"a\","
	                   "\"uid\":\"$a$\"}}],\"ports\":[{\"port\":8080,\"protocol\":\"TCP\"}]}]";

	svc("web", NULL, WEB_SVC);
	pod((podv){ .name = "a", .ip = "10.0.0.1", .ready = 1 });
	start();
	r = kube_endpoints_controller_runner(ctl);
	settle();
	expect_subsets("web", want);
	/* someone overwrites the subsets: no event brings the controller
	 * (upstream watches Endpoints deletions only); the next sync does */
	ck_assert_int_eq(kube_store_guaranteed_update(NULL, st, "endpoints", "ns", "web", scribble,
	                                              NULL),
	                 0);
	settle();
	ck_assert_str_eq(subsets("web"), "[{\"addresses\":[{\"ip\":\"192.0.2.9\"}]}]");
	ck_assert_int_eq(kube_controller_get_stats(r, &stats), 0);
	uint64_t requeues = stats.requeues;
	kube_controller_enqueue(r, "ns/web");
	ck_assert_int_eq(kube_controller_process(r), 1);
	expect_subsets("web", want);
	/* the cache has not seen that write yet: a sync now would work on the
	 * replaced version, so it waits (staleEndpointsTracker) */
	kube_controller_enqueue(r, "ns/web");
	ck_assert_int_eq(kube_controller_process(r), 1);
	ck_assert_int_eq(kube_controller_get_stats(r, &stats), 0);
	ck_assert_uint_eq(stats.requeues, requeues + 1);
	ck_assert_uint_eq(stats.errors, 0);
	char *rv = rv_of("endpoints", "web"), *rv2;
	settle();
	expect_subsets("web", want);
	rv2 = rv_of("endpoints", "web");
	ck_assert_str_eq(rv, rv2);
	kube_free(rv);
	kube_free(rv2);
}
END_TEST

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The IPs of an address list of subset 0, in order. */
static size_t ips_of(const kube_object *ep, const char *field, char **out, size_t max)
{
	char path[96];
	size_t n = 0;
	snprintf(path, sizeof(path), "subsets[0].%s", field);
	if (kube_object_get_len(ep, path, &n) != 0)
		return 0;
	ck_assert_uint_le(n, max);
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "subsets[0].%s[%zu].ip", field, i);
		out[i] = (char *)str_or(ep, path, "");
	}
	return n;
}

START_TEST(test_endpoints_over_capacity)
{
	enum { BIG = 1001, MIXED_READY = 995, MIXED_NOT = 10 };
	static char *ips[BIG], *got[BIG];
	char name[32], ip[32], labels[64];

	svc("big", NULL,
	    "{\"clusterIP\":\"10.96.0.20\",\"selector\":{\"app\":\"big\"},\"ports\":[{\"port\":80}]}");
	svc("mixed", NULL,
	    "{\"clusterIP\":\"10.96.0.21\",\"selector\":{\"app\":\"mixed\"},\"ports\":[{\"port\":80}]}");
	for (int i = 0; i < BIG; i++) {
		snprintf(name, sizeof(name), "big-%d", i);
		snprintf(ip, sizeof(ip), "10.1.%d.%d", i / 250, i % 250);
		pod((podv){ .name = name, .labels = "{\"app\":\"big\"}", .ip = ip, .ready = 1 });
		ips[i] = kube_strdup(ip);
	}
	for (int i = 0; i < MIXED_READY + MIXED_NOT; i++) {
		snprintf(name, sizeof(name), "mixed-%d", i);
		snprintf(ip, sizeof(ip), "10.2.%d.%d", i / 250, i % 250);
		snprintf(labels, sizeof(labels), "{\"app\":\"mixed\"}");
		pod((podv){ .name = name, .labels = labels, .ip = ip, .ready = i < MIXED_READY });
	}
	start();
	settle();

	/* over 1000 ready: the first 1000 by IP (byte order), none not ready */
	kube_object *ep = get("endpoints", "big");
	qsort(ips, BIG, sizeof(ips[0]), str_cmp);
	ck_assert_uint_eq(ips_of(ep, "addresses", got, BIG), 1000);
	for (int i = 0; i < 1000; i++)
		ck_assert_str_eq(got[i], ips[i]);
	ck_assert_uint_eq(ips_of(ep, "notReadyAddresses", got, BIG), 0);
	ck_assert_str_eq(kube_object_annotation(ep, "endpoints.kubernetes.io/over-capacity"),
	                 "truncated");
	kube_object_unref(ep);
	for (int i = 0; i < BIG; i++)
		kube_free(ips[i]);

	/* 995 ready + 10 not: the ready kept, 5 not ready (the lowest IPs) */
	ep = get("endpoints", "mixed");
	ck_assert_uint_eq(ips_of(ep, "addresses", got, BIG), MIXED_READY);
	ck_assert_uint_eq(ips_of(ep, "notReadyAddresses", got, BIG), 5);
	/* mixed-995..1004 are 10.2.3.245-249 and 10.2.4.0-4 */
	ck_assert_str_eq(got[0], "10.2.3.245");
	ck_assert_str_eq(got[4], "10.2.3.249");
	ck_assert_str_eq(kube_object_annotation(ep, "endpoints.kubernetes.io/over-capacity"),
	                 "truncated");
	kube_object_unref(ep);

	/* back under the cap: the annotation goes */
	for (int i = MIXED_READY; i < MIXED_READY + MIXED_NOT; i++) {
		snprintf(name, sizeof(name), "mixed-%d", i);
		del("pods", name);
	}
	settle();
	ep = get("endpoints", "mixed");
	ck_assert_uint_eq(ips_of(ep, "addresses", got, BIG), MIXED_READY);
	ck_assert_uint_eq(ips_of(ep, "notReadyAddresses", got, BIG), 0);
	ck_assert_ptr_null(kube_object_annotation(ep, "endpoints.kubernetes.io/over-capacity"));
	kube_object_unref(ep);
}
END_TEST

START_TEST(test_endpoints_options)
{
	kube_workload_controller_options o = KUBE_WORKLOAD_CONTROLLER_OPTIONS_INIT;
	kube_endpoints_controller *c = NULL;

	ck_assert_int_eq(kube_endpoints_controller_new(NULL, fac, st, NULL), KUBE_EINVAL);
	ck_assert_int_eq(kube_endpoints_controller_new(&c, NULL, st, NULL), KUBE_EINVAL);
	o.workers = 0;
	ck_assert_int_eq(kube_endpoints_controller_new(&c, fac, st, &o), KUBE_EINVAL);
	ck_assert_ptr_null(c);
	o.workers = 1;
	o.burst_replicas = 0;   /* unused here */
	ck_assert_int_eq(kube_endpoints_controller_new(&c, fac, st, &o), 0);
	ck_assert_ptr_nonnull(kube_endpoints_controller_runner(c));
	kube_endpoints_controller_free(c);
	kube_endpoints_controller_free(NULL);
	ck_assert_ptr_null(kube_endpoints_controller_runner(NULL));
}
END_TEST

static Suite *endpoints_suite(void)
{
	Suite *s = suite_create("endpoints");
	TCase *tc = tcase_create("endpoints");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_endpoints_md5_and_go_printing);
	tcase_add_test(tc, test_endpoints_options);
	tcase_add_test(tc, test_endpoints_ready_and_not_ready);
	tcase_add_test(tc, test_endpoints_named_ports_and_repacking);
	tcase_add_test(tc, test_endpoints_publish_not_ready_and_excluded_pods);
	tcase_add_test(tc, test_endpoints_headless_hostname_and_families);
	tcase_add_test(tc, test_endpoints_follow_the_service);
	tcase_add_test(tc, test_endpoints_relabel_and_no_needless_writes);
	tcase_add_test(tc, test_endpoints_user_edit_and_stale_cache);
	tcase_add_test(tc, test_endpoints_over_capacity);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(endpoints_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
