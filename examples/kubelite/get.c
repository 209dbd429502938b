/*
 * get.c - `kubelite get`: kubectl's tables, or a List, from a data dir.
 *
 * The objects come from the store in the data directory, opened for the
 * duration of the command; when `kubelite run` holds it (the SQLite store
 * is exclusive: KUBE_EBUSY), from the running process over its socket
 * (run.c), which answers one LIST per connection with one JSON object per
 * line.
 *
 * Tables are kubectl 1.32's for the kinds below (columns, "<none>",
 * READY as ready/total, AGE in apimachinery's HumanDuration), aligned as
 * kubectl's tabwriter aligns them (cells padded by 3 to at least 6, the
 * last column not padded); other kinds get NAME and AGE.  -o json|yaml
 * print a v1 List with metadata.resourceVersion "", as kubectl does.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "kubelite.h"

/* ---- cells ---- */

typedef struct table {
	strv cells;
	size_t cols;
} table;

static void cell(table *t, const char *s)
{
	strv_push(&t->cells, s ? s : "");
}

static void cellf(table *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void cellf(table *t, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	strv_push(&t->cells, buf);
}

/* With several kinds in one get, kubectl names rows "deployment.apps/web". */
static const kube_kind_info *name_kind;

static void name_cell(table *t, const kube_object *o)
{
	const char *name = kube_object_name(o);
	char kind[64];
	size_t i;
	if (!name_kind) {
		cell(t, name);
		return;
	}
	for (i = 0; name_kind->kind[i] && i + 1 < sizeof(kind); i++)
		kind[i] = (char)(name_kind->kind[i] >= 'A' && name_kind->kind[i] <= 'Z'
		                         ? name_kind->kind[i] + 32 : name_kind->kind[i]);
	kind[i] = '\0';
	if (*name_kind->group)
		cellf(t, "%s.%s/%s", kind, name_kind->group, name);
	else
		cellf(t, "%s/%s", kind, name);
}

/* kubectl's tabwriter: minwidth 6, padding 3, the last cell as it is. */
static void print_table(const table *t)
{
	size_t rows = t->cells.n / t->cols;
	size_t *w = calloc(t->cols, sizeof(*w));
	for (size_t r = 0; r < rows; r++)
		for (size_t c = 0; c + 1 < t->cols; c++) {
			size_t n = strlen(t->cells.v[r * t->cols + c]) + 3;
			if (n < 6)
				n = 6;
			if (n > w[c])
				w[c] = n;
		}
	for (size_t r = 0; r < rows; r++) {
		for (size_t c = 0; c < t->cols; c++) {
			const char *s = t->cells.v[r * t->cols + c];
			if (c + 1 < t->cols)
				printf("%-*s", (int)w[c], s);
			else
				printf("%s\n", s);
		}
	}
	free(w);
}

/* ---- values ---- */

static const char *str(const kube_object *o, const char *path, const char *def)
{
	const char *v;
	return kube_object_get_string(o, path, &v) == 0 ? v : def;
}

static long long num(const kube_object *o, const char *path, long long def)
{
	int64_t v;
	return kube_object_get_int(o, path, &v) == 0 ? (long long)v : def;
}

static size_t len_of(const kube_object *o, const char *path)
{
	size_t n = 0;
	kube_object_get_len(o, path, &n);
	return n;
}

/* apimachinery's duration.HumanDuration. */
static void human_duration(char *buf, size_t n, long long secs)
{
	long long m, h;
	if (secs < -1) {
		snprintf(buf, n, "<invalid>");
		return;
	}
	if (secs < 0)
		secs = 0;
	if (secs < 120) {
		snprintf(buf, n, "%llds", secs);
		return;
	}
	m = secs / 60;
	if (m < 10) {
		if (secs % 60 == 0)
			snprintf(buf, n, "%lldm", m);
		else
			snprintf(buf, n, "%lldm%llds", m, secs % 60);
		return;
	}
	if (m < 180) {
		snprintf(buf, n, "%lldm", m);
		return;
	}
	h = secs / 3600;
	if (h < 8) {
		if (m % 60 == 0)
			snprintf(buf, n, "%lldh", h);
		else
			snprintf(buf, n, "%lldh%lldm", h, m % 60);
	} else if (h < 48) {
		snprintf(buf, n, "%lldh", h);
	} else if (h < 24 * 8) {
		if (h % 24 == 0)
			snprintf(buf, n, "%lldd", h / 24);
		else
			snprintf(buf, n, "%lldd%lldh", h / 24, h % 24);
	} else if (h < 24 * 365 * 2) {
		snprintf(buf, n, "%lldd", h / 24);
	} else if (h < 24 * 365 * 8) {
		long long y = h / 24 / 365, d = (h / 24) % 365;
		if (d == 0)
			snprintf(buf, n, "%lldy", y);
		else
			snprintf(buf, n, "%lldy%lldd", y, d);
	} else {
		snprintf(buf, n, "%lldy", h / 24 / 365);
	}
}

/* Seconds since the epoch of an RFC 3339 time, or -1. */
static long long epoch_of(const char *ts)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (!ts || !strptime(ts, "%Y-%m-%dT%H:%M:%S", &tm))
		return -1;
	return (long long)timegm(&tm);
}

/* translateTimestampSince: "<unknown>" for a missing time. */
static void since(table *t, const char *ts)
{
	long long at = epoch_of(ts);
	char buf[32];

	if (at < 0) {
		cell(t, "<unknown>");
		return;
	}
	human_duration(buf, sizeof(buf), (long long)time(NULL) - at);
	cell(t, buf);
}

static void age(table *t, const kube_object *o)
{
	since(t, kube_object_creation_timestamp(o));
}

/* "a,b" from path[i].field over an array. */
static void joined(table *t, const kube_object *o, const char *array, const char *field)
{
	char buf[1024] = "", path[256];
	size_t n = len_of(o, array), used = 0;
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s[%zu].%s", array, i, field);
		used += (size_t)snprintf(buf + used, used < sizeof(buf) ? sizeof(buf) - used : 0, "%s%s",
		                         i ? "," : "", str(o, path, ""));
		if (used >= sizeof(buf))
			break;
	}
	cell(t, buf);
}

/* kubectl's layoutContainerCells: the CONTAINERS and IMAGES cells of -o wide. */
static void container_cells(table *t, const kube_object *o, const char *containers)
{
	joined(t, o, containers, "name");
	joined(t, o, containers, "image");
}

static void selector(table *t, const kube_object *o, const char *path)
{
	kube_selector *sel = NULL;
	char *text;
	if (kube_selector_from_object(&sel, o, path) != 0) {
		cell(t, "<none>");
		return;
	}
	text = kube_selector_string(sel);
	cell(t, text && *text ? text : "<none>");
	kube_free(text);
	kube_selector_free(sel);
}

/* "k=v,k2=v2" of a map of strings, or <none>. */
static void string_map(table *t, const kube_object *o, const char *path)
{
	char buf[1024] = "", p[512];
	size_t n = len_of(o, path), used = 0;
	for (size_t i = 0; i < n && used < sizeof(buf); i++) {
		const char *k = NULL;
		kube_object_get_key(o, path, i, &k);
		snprintf(p, sizeof(p), "%s[\"%s\"]", path, k);
		used += (size_t)snprintf(buf + used, sizeof(buf) - used, "%s%s=%s", i ? "," : "", k,
		                         str(o, p, ""));
	}
	cell(t, n ? buf : "<none>");
}

/* ---- rows per kind (kubectl's printers) ---- */

/* printPod: the phase, or the reason a container waits or ended with,
 * or Terminating. */
static void pod_row(table *t, const kube_object *p, int wide)
{
	size_t total = len_of(p, "spec.containers"), n = len_of(p, "status.containerStatuses");
	long long ready = 0, restarts = 0;
	const char *reason = str(p, "status.reason", NULL);
	char path[96];

	if (!reason)
		reason = str(p, "status.phase", "Pending");
	for (size_t i = n; i-- > 0;) {
		int r = 0;
		const char *w;
		snprintf(path, sizeof(path), "status.containerStatuses[%zu].restartCount", i);
		restarts += num(p, path, 0);
		snprintf(path, sizeof(path), "status.containerStatuses[%zu].state.waiting.reason", i);
		if ((w = str(p, path, NULL)) && *w)
			reason = w;
		snprintf(path, sizeof(path), "status.containerStatuses[%zu].state.terminated.reason", i);
		if ((w = str(p, path, NULL)) && *w)
			reason = w;
		snprintf(path, sizeof(path), "status.containerStatuses[%zu].ready", i);
		if (kube_object_get_bool(p, path, &r) == 0 && r)
			ready++;
	}
	if (kube_object_deletion_timestamp(p))
		reason = "Terminating";
	name_cell(t, (p));
	cellf(t, "%lld/%zu", ready, total);
	cell(t, reason);
	cellf(t, "%lld", restarts);
	age(t, p);
	if (wide) {
		const char *ip = str(p, "status.podIP", "");
		cell(t, *ip ? ip : "<none>");
		cell(t, str(p, "spec.nodeName", "<none>"));
		cell(t, str(p, "status.nominatedNodeName", "<none>"));
		size_t gates = len_of(p, "spec.readinessGates");
		if (!gates)
			cell(t, "<none>");
		else
			cellf(t, "0/%zu", gates);
	}
}

static void deployment_row(table *t, const kube_object *d, int wide)
{
	name_cell(t, (d));
	cellf(t, "%lld/%lld", num(d, "status.readyReplicas", 0), num(d, "spec.replicas", 1));
	cellf(t, "%lld", num(d, "status.updatedReplicas", 0));
	cellf(t, "%lld", num(d, "status.availableReplicas", 0));
	age(t, d);
	if (wide) {
		container_cells(t, d, "spec.template.spec.containers");
		selector(t, d, "spec.selector");
	}
}

static void replicaset_row(table *t, const kube_object *r, int wide)
{
	name_cell(t, (r));
	cellf(t, "%lld", num(r, "spec.replicas", 1));
	cellf(t, "%lld", num(r, "status.replicas", 0));
	cellf(t, "%lld", num(r, "status.readyReplicas", 0));
	age(t, r);
	if (wide) {
		container_cells(t, r, "spec.template.spec.containers");
		selector(t, r, "spec.selector");
	}
}

static void statefulset_row(table *t, const kube_object *s, int wide)
{
	name_cell(t, (s));
	cellf(t, "%lld/%lld", num(s, "status.readyReplicas", 0), num(s, "spec.replicas", 1));
	age(t, s);
	if (wide) {
		container_cells(t, s, "spec.template.spec.containers");
	}
}

static void daemonset_row(table *t, const kube_object *d, int wide)
{
	name_cell(t, (d));
	cellf(t, "%lld", num(d, "status.desiredNumberScheduled", 0));
	cellf(t, "%lld", num(d, "status.currentNumberScheduled", 0));
	cellf(t, "%lld", num(d, "status.numberReady", 0));
	cellf(t, "%lld", num(d, "status.updatedNumberScheduled", 0));
	cellf(t, "%lld", num(d, "status.numberAvailable", 0));
	string_map(t, d, "spec.template.spec.nodeSelector");
	age(t, d);
	if (wide) {
		container_cells(t, d, "spec.template.spec.containers");
		selector(t, d, "spec.selector");
	}
}

static void node_row(table *t, const kube_object *n, int wide)
{
	const char *ready = "Unknown";
	char path[64], roles[256] = "";
	size_t nc = len_of(n, "status.conditions"), nl = len_of(n, "metadata.labels"), used = 0;
	int unsched = 0;

	for (size_t i = 0; i < nc; i++) {
		snprintf(path, sizeof(path), "status.conditions[%zu].type", i);
		if (strcmp(str(n, path, ""), "Ready") == 0) {
			snprintf(path, sizeof(path), "status.conditions[%zu].status", i);
			ready = strcmp(str(n, path, ""), "True") == 0 ? "Ready" : "NotReady";
		}
	}
	for (size_t i = 0; i < nl; i++) {
		const char *k = NULL;
		kube_object_get_key(n, "metadata.labels", i, &k);
		if (k && strncmp(k, "node-role.kubernetes.io/", 24) == 0 && k[24] && used < sizeof(roles))
			used += (size_t)snprintf(roles + used, sizeof(roles) - used, "%s%s", used ? "," : "",
			                         k + 24);
	}
	kube_object_get_bool(n, "spec.unschedulable", &unsched);
	name_cell(t, (n));
	cellf(t, "%s%s", ready, unsched ? ",SchedulingDisabled" : "");
	cell(t, used ? roles : "<none>");
	age(t, n);
	cell(t, str(n, "status.nodeInfo.kubeletVersion", ""));
	if (wide) {
		const char *internal = "<none>", *external = "<none>";
		size_t na = len_of(n, "status.addresses");
		for (size_t i = 0; i < na; i++) {
			snprintf(path, sizeof(path), "status.addresses[%zu].type", i);
			const char *type = str(n, path, "");
			snprintf(path, sizeof(path), "status.addresses[%zu].address", i);
			if (strcmp(type, "InternalIP") == 0)
				internal = str(n, path, "<none>");
			else if (strcmp(type, "ExternalIP") == 0)
				external = str(n, path, "<none>");
		}
		cell(t, internal);
		cell(t, external);
		cell(t, str(n, "status.nodeInfo.osImage", "<unknown>"));
		cell(t, str(n, "status.nodeInfo.kernelVersion", "<unknown>"));
		cell(t, str(n, "status.nodeInfo.containerRuntimeVersion", "<unknown>"));
	}
}

static void service_row(table *t, const kube_object *s, int wide)
{
	char ports[512] = "", path[96];
	size_t np = len_of(s, "spec.ports"), used = 0;
	const char *type = str(s, "spec.type", "ClusterIP"), *ip = str(s, "spec.clusterIP", "");

	for (size_t i = 0; i < np && used < sizeof(ports); i++) {
		snprintf(path, sizeof(path), "spec.ports[%zu].port", i);
		long long port = num(s, path, 0);
		snprintf(path, sizeof(path), "spec.ports[%zu].protocol", i);
		const char *proto = str(s, path, "TCP");
		snprintf(path, sizeof(path), "spec.ports[%zu].nodePort", i);
		long long node_port = num(s, path, 0);
		if (node_port)
			used += (size_t)snprintf(ports + used, sizeof(ports) - used, "%s%lld:%lld/%s",
			                         i ? "," : "", port, node_port, proto);
		else
			used += (size_t)snprintf(ports + used, sizeof(ports) - used, "%s%lld/%s",
			                         i ? "," : "", port, proto);
	}
	name_cell(t, (s));
	cell(t, type);
	cell(t, *ip ? ip : "<none>");
	cell(t, strcmp(type, "LoadBalancer") == 0 ? "<pending>" : "<none>");
	cell(t, np ? ports : "<none>");
	age(t, s);
	if (wide)
		string_map(t, s, "spec.selector");
}

/* A condition of status.conditions whose status is "True". */
static int condition_true(const kube_object *o, const char *type)
{
	char path[64];
	size_t n = len_of(o, "status.conditions");

	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "status.conditions[%zu].type", i);
		if (strcmp(str(o, path, ""), type) != 0)
			continue;
		snprintf(path, sizeof(path), "status.conditions[%zu].status", i);
		return strcmp(str(o, path, ""), "True") == 0;
	}
	return 0;
}

/* printJob: status from the conditions, completions, duration. */
static void job_row(table *t, const kube_object *j, int wide)
{
	long long succeeded = num(j, "status.succeeded", 0), parallelism = num(j, "spec.parallelism", 1);
	long long start = epoch_of(str(j, "status.startTime", NULL));
	long long end = epoch_of(str(j, "status.completionTime", NULL));
	const char *status = "Running";
	char buf[32] = "";

	if (condition_true(j, "Complete"))
		status = "Complete";
	else if (condition_true(j, "Failed"))
		status = "Failed";
	else if (kube_object_deletion_timestamp(j))
		status = "Terminating";
	else if (condition_true(j, "Suspended"))
		status = "Suspended";
	else if (condition_true(j, "FailureTarget"))
		status = "FailureTarget";
	name_cell(t, j);
	cell(t, status);
	if (num(j, "spec.completions", -1) >= 0)
		cellf(t, "%lld/%lld", succeeded, num(j, "spec.completions", 0));
	else if (parallelism > 1)
		cellf(t, "%lld/1 of %lld", succeeded, parallelism);
	else
		cellf(t, "%lld/1", succeeded);
	if (start >= 0)
		human_duration(buf, sizeof(buf), (end >= 0 ? end : (long long)time(NULL)) - start);
	cell(t, buf);
	age(t, j);
	if (wide) {
		container_cells(t, j, "spec.template.spec.containers");
		selector(t, j, "spec.selector");
	}
}

/* printCronJob.  suspend is shown False when absent: the API server
 * defaults it so. */
static void cronjob_row(table *t, const kube_object *c, int wide)
{
	int suspend = 0;

	kube_object_get_bool(c, "spec.suspend", &suspend);
	name_cell(t, c);
	cell(t, str(c, "spec.schedule", ""));
	cell(t, str(c, "spec.timeZone", "<none>"));
	cell(t, suspend ? "True" : "False");
	cellf(t, "%zu", len_of(c, "status.active"));
	if (str(c, "status.lastScheduleTime", NULL))
		since(t, str(c, "status.lastScheduleTime", NULL));
	else
		cell(t, "<none>");
	age(t, c);
	if (wide) {
		container_cells(t, c, "spec.jobTemplate.spec.template.spec.containers");
		selector(t, c, "spec.jobTemplate.spec.selector");
	}
}

/* printEndpoints' formatEndpoints: up to three ip:port, then how many
 * more; a subset without ports lists bare addresses. */
static void endpoints_row(table *t, const kube_object *e, int wide)
{
	char buf[512] = "", path[128];
	size_t nsub = len_of(e, "subsets"), used = 0, shown = 0, count = 0;

	(void)wide;
	for (size_t i = 0; i < nsub; i++) {
		size_t nport, naddr;
		snprintf(path, sizeof(path), "subsets[%zu].ports", i);
		nport = len_of(e, path);
		snprintf(path, sizeof(path), "subsets[%zu].addresses", i);
		naddr = len_of(e, path);
		for (size_t p = 0; p < (nport ? nport : 1); p++) {
			long long port = -1;
			if (nport) {
				snprintf(path, sizeof(path), "subsets[%zu].ports[%zu].port", i, p);
				port = num(e, path, 0);
			}
			count += naddr;
			for (size_t a = 0; a < naddr && shown < 3; a++, shown++) {
				const char *ip;
				snprintf(path, sizeof(path), "subsets[%zu].addresses[%zu].ip", i, a);
				ip = str(e, path, "");
				if (used >= sizeof(buf))
					break;
				/* net.JoinHostPort brackets an IPv6 address */
				used += (size_t)snprintf(buf + used, sizeof(buf) - used,
				                         port < 0 ? "%s%s" : strchr(ip, ':') ? "%s[%s]:%lld" : "%s%s:%lld",
				                         shown ? "," : "", ip, port);
			}
		}
	}
	name_cell(t, e);
	if (!nsub)
		cell(t, "<none>");
	else if (count > 3)
		cellf(t, "%s + %zu more...", buf, count - 3);
	else
		cell(t, *buf ? buf : "<unset>");
	age(t, e);
}

static int str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* printResourceQuota: "name: used/hard" for each hard resource, sorted,
 * limits.* in the LIMIT column and the rest in REQUEST. */
static void resourcequota_row(table *t, const kube_object *q, int wide)
{
	char req[1024] = "", lim[1024] = "", path[320];
	size_t n = len_of(q, "status.hard"), nreq = 0, nlim = 0;
	const char **names = calloc(n ? n : 1, sizeof(*names));

	(void)wide;
	for (size_t i = 0; names && i < n; i++)
		kube_object_get_key(q, "status.hard", i, &names[i]);
	if (names)
		qsort(names, n, sizeof(*names), str_cmp);
	for (size_t i = 0; names && i < n; i++) {
		int limits = strncmp(names[i], "limits.", 7) == 0;
		char *buf = limits ? lim : req;
		size_t *used = limits ? &nlim : &nreq;
		char hard[128], usedq[128];

		snprintf(path, sizeof(path), "status.hard[\"%s\"]", names[i]);
		snprintf(hard, sizeof(hard), "%s", str(q, path, ""));
		snprintf(path, sizeof(path), "status.used[\"%s\"]", names[i]);
		snprintf(usedq, sizeof(usedq), "%s", str(q, path, "0"));
		if (*used < 1024)
			*used += (size_t)snprintf(buf + *used, 1024 - *used, "%s%s: %s/%s",
			                          *used ? ", " : "", names[i], usedq, hard);
	}
	free(names);
	name_cell(t, q);
	age(t, q);
	cell(t, req);
	cell(t, lim);
}

static void lease_row(table *t, const kube_object *l, int wide)
{
	(void)wide;
	name_cell(t, l);
	cell(t, str(l, "spec.holderIdentity", ""));
	age(t, l);
}

static void simple_row(table *t, const kube_object *o, const char *kind, int wide)
{
	(void)wide;
	name_cell(t, (o));
	if (strcmp(kind, "Namespace") == 0) {
		cell(t, kube_object_deletion_timestamp(o) ? "Terminating"
		                                           : str(o, "status.phase", "Active"));
	} else if (strcmp(kind, "ConfigMap") == 0) {
		cellf(t, "%zu", len_of(o, "data") + len_of(o, "binaryData"));
	} else if (strcmp(kind, "Secret") == 0) {
		cell(t, str(o, "type", "Opaque"));
		cellf(t, "%zu", len_of(o, "data"));
	}
	age(t, o);
}

typedef struct printer {
	const char *kind;
	const char *headers;       /* tab-separated */
	const char *wide_headers;  /* appended with -o wide */
	void (*row)(table *t, const kube_object *o, int wide);
} printer;

static const printer printers[] = {
	{ "Pod", "NAME\tREADY\tSTATUS\tRESTARTS\tAGE", "IP\tNODE\tNOMINATED NODE\tREADINESS GATES",
	  pod_row },
	{ "Deployment", "NAME\tREADY\tUP-TO-DATE\tAVAILABLE\tAGE", "CONTAINERS\tIMAGES\tSELECTOR",
	  deployment_row },
	{ "ReplicaSet", "NAME\tDESIRED\tCURRENT\tREADY\tAGE", "CONTAINERS\tIMAGES\tSELECTOR",
	  replicaset_row },
	{ "StatefulSet", "NAME\tREADY\tAGE", "CONTAINERS\tIMAGES", statefulset_row },
	{ "DaemonSet", "NAME\tDESIRED\tCURRENT\tREADY\tUP-TO-DATE\tAVAILABLE\tNODE SELECTOR\tAGE",
	  "CONTAINERS\tIMAGES\tSELECTOR", daemonset_row },
	{ "Node", "NAME\tSTATUS\tROLES\tAGE\tVERSION",
	  "INTERNAL-IP\tEXTERNAL-IP\tOS-IMAGE\tKERNEL-VERSION\tCONTAINER-RUNTIME", node_row },
	{ "Service", "NAME\tTYPE\tCLUSTER-IP\tEXTERNAL-IP\tPORT(S)\tAGE", "SELECTOR", service_row },
	{ "Job", "NAME\tSTATUS\tCOMPLETIONS\tDURATION\tAGE", "CONTAINERS\tIMAGES\tSELECTOR", job_row },
	{ "CronJob", "NAME\tSCHEDULE\tTIMEZONE\tSUSPEND\tACTIVE\tLAST SCHEDULE\tAGE",
	  "CONTAINERS\tIMAGES\tSELECTOR", cronjob_row },
	{ "Endpoints", "NAME\tENDPOINTS\tAGE", NULL, endpoints_row },
	{ "ResourceQuota", "NAME\tAGE\tREQUEST\tLIMIT", NULL, resourcequota_row },
	{ "Lease", "NAME\tHOLDER\tAGE", NULL, lease_row },
	{ "Namespace", "NAME\tSTATUS\tAGE", NULL, NULL },
	{ "ConfigMap", "NAME\tDATA\tAGE", NULL, NULL },
	{ "Secret", "NAME\tTYPE\tDATA\tAGE", NULL, NULL },
};

static void headers(table *t, const char *tabbed, int all_ns)
{
	char buf[256], *save = NULL;
	if (all_ns)
		cell(t, "NAMESPACE");
	snprintf(buf, sizeof(buf), "%s", tabbed);
	for (char *h = strtok_r(buf, "\t", &save); h; h = strtok_r(NULL, "\t", &save))
		cell(t, h);
}

static size_t count_cols(const char *tabbed)
{
	size_t n = 1;
	for (; *tabbed; tabbed++)
		n += *tabbed == '\t';
	return n;
}

static void print_rows(const kube_kind_info *k, kube_object_list *l, int wide, int all_ns)
{
	const printer *p = NULL;
	table t = { { 0 }, 0 };
	for (size_t i = 0; i < sizeof(printers) / sizeof(printers[0]); i++)
		if (strcmp(printers[i].kind, k->kind) == 0)
			p = &printers[i];
	const char *h = p ? p->headers : "NAME\tAGE";
	int with_wide = wide && p && p->wide_headers;
	t.cols = count_cols(h) + (with_wide ? count_cols(p->wide_headers) : 0) + (all_ns ? 1 : 0);
	headers(&t, h, all_ns);
	if (with_wide)
		headers(&t, p->wide_headers, 0);
	for (size_t i = 0; i < kube_object_list_count(l); i++) {
		kube_object *o = kube_object_list_get(l, i);
		if (all_ns)
			cell(&t, kube_object_namespace(o));
		if (p && p->row)
			p->row(&t, o, with_wide);
		else
			simple_row(&t, o, k->kind, wide);
	}
	print_table(&t);
	strv_free(&t.cells);
}

static int print_list(kube_object_list *l, kube_format fmt)
{
	char *out = NULL, *json = NULL;
	size_t len = 0;
	FILE *mem;
	kube_object *list = NULL;
	int rc;

	/* kubectl's List: keys sorted as its map prints them */
	if (!(mem = open_memstream(&json, &len)))
		return -1;
	fputs("{\"apiVersion\":\"v1\",\"items\":[", mem);
	for (size_t i = 0; i < kube_object_list_count(l); i++) {
		char *item = NULL;
		size_t n = 0;
		if (kube_encode(&item, &n, kube_object_list_get(l, i), KUBE_FORMAT_JSON, 0) != 0) {
			fclose(mem);
			free(json);
			return -1;
		}
		if (i)
			fputc(',', mem);
		fwrite(item, 1, n, mem);
		kube_free(item);
	}
	fputs("],\"kind\":\"List\",\"metadata\":{\"resourceVersion\":\"\"}}", mem);
	fclose(mem);
	rc = kube_object_from_json(&list, json, len);
	free(json);
	if (rc == 0)
		rc = kube_encode(&out, &len, list, fmt, KUBE_ENCODE_PRETTY);
	kube_object_unref(list);
	if (rc != 0) {
		fprintf(stderr, "kubelite: %s\n", kube_error_last()->message);
		return -1;
	}
	fwrite(out, 1, len, stdout);
	if (len && out[len - 1] != '\n')
		putchar('\n');
	kube_free(out);
	return 0;
}

/* ---- reading ---- */

/* Sends one request line to the running `kubelite run` and reads the
 * answer; *body (free) is what follows "OK\n".  0, 1 (the server's error,
 * in *body), or -1 (printed). */
static int request(const char *dir, const char *line, char **body, size_t *body_len)
{
	struct sockaddr_un a;
	char path[4096], *buf = NULL;
	size_t len = 0, cap = 0;
	int fd;

	memset(&a, 0, sizeof(a));
	a.sun_family = AF_UNIX;
	snprintf(path, sizeof(path), "%s/%s", dir, KUBELITE_SOCKET);
	if (strlen(path) >= sizeof(a.sun_path)) {
		fprintf(stderr, "kubelite: the store in %s is in use, and its socket path is too long\n",
		        dir);
		return -1;
	}
	memcpy(a.sun_path, path, strlen(path) + 1);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
	    connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
		fprintf(stderr, "kubelite: the store in %s is in use, and %s does not answer: %s\n", dir,
		        path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	dprintf(fd, "%s\n", line);
	for (;;) {
		if (len == cap) {
			cap = cap ? cap * 2 : 65536;
			char *p = realloc(buf, cap + 1);
			if (!p) {
				free(buf);
				close(fd);
				return -1;
			}
			buf = p;
		}
		ssize_t n = read(fd, buf + len, cap - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (!buf) {
		fprintf(stderr, "kubelite: %s: no answer\n", path);
		return -1;
	}
	buf[len] = '\0';
	if (strncmp(buf, "OK\n", 3) != 0) {
		char *nl = strchr(buf, '\n');
		if (nl)
			*nl = '\0';
		memmove(buf, strncmp(buf, "ERR ", 4) == 0 ? buf + 4 : buf,
		        strlen(strncmp(buf, "ERR ", 4) == 0 ? buf + 4 : buf) + 1);
		*body = buf;
		*body_len = strlen(buf);
		return 1;
	}
	memmove(buf, buf + 3, len - 3 + 1);
	*body = buf;
	*body_len = len - 3;
	return 0;
}

/* Asks the running `kubelite run`.  0, or -1 (printed). */
static int list_remote(kube_object_list **out, const char *dir, const char *resource,
                       const char *ns, const char *sel)
{
	char line[1024], *body = NULL;
	size_t len = 0;
	int rc;

	snprintf(line, sizeof(line), "LIST %s\t%s\t%s", resource, ns && *ns ? ns : "-",
	         sel && *sel ? sel : "-");
	if ((rc = request(dir, line, &body, &len)) != 0) {
		if (rc > 0)
			fprintf(stderr, "Error from server: %s\n", body);
		free(body);
		return -1;
	}
	kube_decode_options o = KUBE_DECODE_OPTIONS_INIT;
	o.format = KUBE_FORMAT_JSON;
	rc = len ? kube_decode(out, body, len, &o) : kube_object_list_new(out);
	free(body);
	if (rc != 0) {
		fprintf(stderr, "kubelite: %s\n", kube_error_last()->message);
		return -1;
	}
	return 0;
}

static int list_objects(kube_object_list **out, const char *dir, const char *resource,
                        const char *ns, const char *sel)
{
	kube_store_options so = KUBE_STORE_OPTIONS_INIT;
	kube_list_options lo = KUBE_LIST_OPTIONS_INIT;
	kube_loop *loop = NULL;
	kube_store *st = NULL;
	char db[4096];
	struct stat sb;
	int rc;

	snprintf(db, sizeof(db), "%s/store.db", dir);
	if (stat(db, &sb) != 0) {
		fprintf(stderr, "kubelite: no store in %s (run `kubelite run --data-dir %s` first)\n",
		        dir, dir);
		return -1;
	}
	so.backend = "sqlite";
	so.path = dir;
	if ((rc = kube_loop_new(&loop, NULL)) != 0)
		return -1;
	rc = kube_store_open(&st, loop, &so);
	if (rc == KUBE_EBUSY) {
		kube_loop_free(loop);
		return list_remote(out, dir, resource, ns, sel);
	}
	if (rc == 0) {
		lo.namespace_ = ns;
		lo.label_selector = sel;
		rc = kube_store_list(out, st, resource, &lo, NULL, NULL);
	}
	if (rc != 0)
		fprintf(stderr, "Error from server: %s\n", kube_error_last()->message);
	kube_store_close(st);
	kube_loop_free(loop);
	return rc ? -1 : 0;
}

int cmd_get(int argc, char **argv)
{
	const char *kind = NULL, *dir = NULL, *sel = NULL, *output = NULL, *ns = NULL;
	int all_ns = 0, wide = 0;
	kube_format fmt = KUBE_FORMAT_AUTO;
	const kube_kind_info *k;
	kube_object_list *l = NULL;

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--data-dir") == 0 && v) {
			dir = v;
			i++;
		} else if ((strcmp(a, "-l") == 0 || strcmp(a, "--selector") == 0) && v) {
			sel = v;
			i++;
		} else if ((strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) && v) {
			output = v;
			i++;
		} else if ((strcmp(a, "-n") == 0 || strcmp(a, "--namespace") == 0) && v) {
			ns = v;
			i++;
		} else if (strcmp(a, "-A") == 0 || strcmp(a, "--all-namespaces") == 0) {
			all_ns = 1;
		} else if (a[0] != '-' && !kind) {
			kind = a;
		} else {
			fprintf(stderr, "kubelite: unknown argument '%s'\n", a);
			goto usage;
		}
	}
	if (!kind || !dir) {
		fprintf(stderr, "kubelite: get needs KIND and --data-dir DIR\n");
		goto usage;
	}
	if (output) {
		if (strcmp(output, "wide") == 0)
			wide = 1;
		else if (strcmp(output, "json") == 0)
			fmt = KUBE_FORMAT_JSON;
		else if (strcmp(output, "yaml") == 0)
			fmt = KUBE_FORMAT_YAML;
		else {
			fprintf(stderr, "error: unable to match a printer suitable for the output format "
			                "\"%s\", allowed formats are: json,wide,yaml\n", output);
			return 2;
		}
	}
	/* KIND may be several, comma-separated, as kubectl takes them. */
	const kube_kind_info *kinds[16];
	size_t nkinds = 0;
	char kbuf[512], *save = NULL;
	snprintf(kbuf, sizeof(kbuf), "%s", kind);
	for (char *t = strtok_r(kbuf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		if (!(k = kube_kind_find(t))) {
			fprintf(stderr, "error: the server doesn't have a resource type \"%s\"\n", t);
			return 1;
		}
		if (nkinds == sizeof(kinds) / sizeof(kinds[0])) {
			fprintf(stderr, "kubelite: too many kinds\n");
			return 2;
		}
		kinds[nkinds++] = k;
	}
	if (!nkinds)
		goto usage;
	if (all_ns)
		ns = NULL;
	else if (!ns)
		ns = "default";
	kube_object_list *all = NULL;
	size_t printed = 0;
	int any_namespaced = 0;
	if (kube_object_list_new(&all) != 0)
		return 1;
	for (size_t i = 0; i < nkinds; i++) {
		k = kinds[i];
		any_namespaced |= k->namespaced;
		if (list_objects(&l, dir, k->resource, k->namespaced ? ns : NULL, sel) != 0) {
			kube_object_list_free(all);
			return 1;
		}
		if (fmt != KUBE_FORMAT_AUTO) {
			for (size_t j = 0; j < kube_object_list_count(l); j++)
				kube_object_list_append(all, kube_object_list_get(l, j));
		} else if (kube_object_list_count(l)) {
			if (printed++)
				putchar('\n');
			name_kind = nkinds > 1 ? k : NULL;
			print_rows(k, l, wide, all_ns && k->namespaced);
		}
		kube_object_list_free(l);
	}
	if (fmt != KUBE_FORMAT_AUTO) {
		int rc = print_list(all, fmt);
		kube_object_list_free(all);
		return rc ? 1 : 0;
	}
	kube_object_list_free(all);
	if (!printed) {
		if (ns && any_namespaced)
			fprintf(stderr, "No resources found in %s namespace.\n", ns);
		else
			fprintf(stderr, "No resources found\n");
	}
	return 0;
usage:
	fprintf(stderr, "usage: kubelite get KIND --data-dir DIR [-l SELECTOR] [-n NS | -A] "
	                "[-o wide|yaml|json]\n");
	return 2;
}

/* ---- kubelite delete ---- */

/* "deployment.apps \"web\" deleted", as kubectl says it. */
static void deleted_line(const kube_kind_info *k, const char *name)
{
	char kind[64];
	size_t i;
	for (i = 0; k->kind[i] && i + 1 < sizeof(kind); i++)
		kind[i] = (char)(k->kind[i] >= 'A' && k->kind[i] <= 'Z' ? k->kind[i] + 32 : k->kind[i]);
	kind[i] = '\0';
	if (*k->group)
		printf("%s.%s \"%s\" deleted\n", kind, k->group, name);
	else
		printf("%s \"%s\" deleted\n", kind, name);
}

int cmd_delete(int argc, char **argv)
{
	const char *kind = NULL, *name = NULL, *dir = NULL, *ns = NULL, *cascade = "background";
	int wait = 1;
	const kube_kind_info *k;
	kube_propagation policy = KUBE_PROPAGATION_BACKGROUND;

	for (int i = 0; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(a, "--data-dir") == 0 && v) {
			dir = v;
			i++;
		} else if ((strcmp(a, "-n") == 0 || strcmp(a, "--namespace") == 0) && v) {
			ns = v;
			i++;
		} else if (strncmp(a, "--cascade=", 10) == 0) {
			cascade = a + 10;
		} else if (strcmp(a, "--wait=false") == 0) {
			wait = 0;
		} else if (strcmp(a, "--wait=true") == 0 || strcmp(a, "--wait") == 0) {
			wait = 1;
		} else if (a[0] != '-' && !kind) {
			kind = a;
		} else if (a[0] != '-' && !name) {
			name = a;
		} else {
			fprintf(stderr, "kubelite: unknown argument '%s'\n", a);
			goto usage;
		}
	}
	if (!kind || !name || !dir)
		goto usage;
	/* kubectl's --cascade values */
	if (strcmp(cascade, "foreground") == 0)
		policy = KUBE_PROPAGATION_FOREGROUND;
	else if (strcmp(cascade, "orphan") == 0)
		policy = KUBE_PROPAGATION_ORPHAN;
	else if (strcmp(cascade, "background") != 0) {
		fprintf(stderr, "error: invalid cascade value (%s). Must be \"background\", "
		                "\"foreground\", or \"orphan\"\n", cascade);
		return 2;
	}
	if (!(k = kube_kind_find(kind))) {
		fprintf(stderr, "error: the server doesn't have a resource type \"%s\"\n", kind);
		return 1;
	}
	if (!k->namespaced)
		ns = NULL;
	else if (!ns)
		ns = "default";

	kube_store_options so = KUBE_STORE_OPTIONS_INIT;
	kube_loop *loop = NULL;
	kube_store *st = NULL;
	char db[4096];
	struct stat sb;
	int rc;

	snprintf(db, sizeof(db), "%s/store.db", dir);
	if (stat(db, &sb) != 0) {
		fprintf(stderr, "kubelite: no store in %s\n", dir);
		return 1;
	}
	so.backend = "sqlite";
	so.path = dir;
	if (kube_loop_new(&loop, NULL) != 0)
		return 1;
	rc = kube_store_open(&st, loop, &so);
	if (rc == 0) {
		/* Nothing runs here: the collector of the next `kubelite run`
		 * finishes what the policy asks. */
		rc = kube_delete(NULL, st, k->resource, ns, name, policy, NULL);
		if (rc == 0)
			deleted_line(k, name);
		else
			fprintf(stderr, "Error from server%s: %s\n", rc == KUBE_ENOTFOUND ? " (NotFound)" : "",
			        kube_error_last()->message);
		kube_store_close(st);
		kube_loop_free(loop);
		return rc ? 1 : 0;
	}
	kube_loop_free(loop);
	if (rc != KUBE_EBUSY) {
		fprintf(stderr, "kubelite: %s\n", kube_error_last()->message);
		return 1;
	}
	/* `kubelite run` holds the store: ask it, then wait (as kubectl
	 * does by default) until the object is gone. */
	char line[1024], *body = NULL;
	size_t len = 0;
	snprintf(line, sizeof(line), "DELETE %s\t%s\t%s\t%s", k->resource, ns ? ns : "-", name,
	         cascade);
	if ((rc = request(dir, line, &body, &len)) != 0) {
		if (rc > 0)
			fprintf(stderr, "Error from server%s: %s\n",
			        strstr(body, "not found") ? " (NotFound)" : "", body);
		free(body);
		return 1;
	}
	free(body);
	deleted_line(k, name);
	fflush(stdout);
	snprintf(line, sizeof(line), "GET %s\t%s\t%s", k->resource, ns ? ns : "-", name);
	for (int i = 0; wait && i < 600; i++) {
		body = NULL;
		rc = request(dir, line, &body, &len);
		int gone = rc > 0 && strstr(body, "not found");
		free(body);
		if (gone)
			return 0;
		if (rc < 0)
			return 1;
		struct timespec nap = { 0, 100000000 };
		nanosleep(&nap, NULL);
	}
	if (wait) {
		fprintf(stderr, "error: timed out waiting for %s \"%s\" to go\n", k->kind, name);
		return 1;
	}
	return 0;
usage:
	fprintf(stderr, "usage: kubelite delete KIND NAME --data-dir DIR [-n NS] "
	                "[--cascade=background|foreground|orphan] [--wait=false]\n");
	return 2;
}
