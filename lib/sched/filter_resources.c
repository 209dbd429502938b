/*
 * filter_resources.c - the filters over what pods consume on a node:
 * NodeResourcesFit and NodePorts.
 *
 * NodeResourcesFit is upstream's fitsRequest: "Too many pods" when one
 * more pod would pass allocatable pods; a pod that requests nothing stops
 * there; then every resource the pod requests (> 0) must fit in
 * allocatable - requested, each shortfall its own reason ("Insufficient
 * cpu", "Insufficient memory", "Insufficient ephemeral-storage",
 * "Insufficient <extended resource>"), so one node can count under
 * several reasons in the aggregated message.
 *
 * NodePorts is upstream's HostPortInfo.CheckConflict: a wanted
 * (ip, protocol, port) conflicts with a used one of the same protocol and
 * port when either address is 0.0.0.0 or both are the same address.
 */
#include <string.h>

#include "sched_private.h"

#define REASON_PORTS "node(s) didn't have free ports for the requested pod ports"

int kube__filter_fit(kube__cycle *cy, const kube_sched_node *n)
{
	kube_sched *s = cy->s;
	const kube__pod *p = cy->pod;
	uint32_t slot = n->slot;
	int bad = 0;
	if (s->req[KUBE__R_PODS][slot] + 1 > s->alloc[KUBE__R_PODS][slot]) {
		if (kube__cycle_reject(cy, "Too many pods"))
			return KUBE_ENOMEM;
		bad++;
	}
	if (!p->req[KUBE__R_CPU] && !p->req[KUBE__R_MEM] && !p->req[KUBE__R_EPH] && !p->nscalars)
		return bad;
	static const char *const why[3] = { "Insufficient cpu", "Insufficient memory",
	                                    "Insufficient ephemeral-storage" };
	for (int r = 0; r < 3; r++) {
		int64_t want = p->req[r];
		if (want > 0 && want > s->alloc[r][slot] - s->req[r][slot]) {
			if (kube__cycle_reject(cy, why[r]))
				return KUBE_ENOMEM;
			/* more than the whole node: evicting pods cannot help */
			if (want > s->alloc[r][slot])
				cy->unresolvable = 1;
			bad++;
		}
	}
	for (size_t i = 0; i < p->nscalars; i++) {
		int64_t want = p->scalars[i].value, alloc, used;
		if (want == 0)
			continue;
		kube__scalar_find(n->alloc_sc, n->nalloc_sc, p->scalars[i].id, &alloc);
		kube__scalar_find(n->req_sc, n->nreq_sc, p->scalars[i].id, &used);
		if (want > alloc - used) {
			if (want > alloc)
				cy->unresolvable = 1;
			kube__buf b = KUBE__BUF_INIT;
			kube__buf_printf(&b, "Insufficient %s", kube__intern_str(s->names, p->scalars[i].id));
			int rc = b.failed ? kube__error_oom() : kube__cycle_reject(cy, b.data);
			kube__buf_free(&b);
			if (rc)
				return KUBE_ENOMEM;
			bad++;
		}
	}
	return bad;
}

int kube__ports_conflict(const kube__port *want, const char *ip, const char *proto, int32_t port)
{
	if (want->port != port || strcmp(want->protocol, proto) != 0)
		return 0;
	return strcmp(want->ip, "0.0.0.0") == 0 || strcmp(ip, "0.0.0.0") == 0 ||
	       strcmp(want->ip, ip) == 0;
}

int kube__filter_ports(kube__cycle *cy, const kube_sched_node *n)
{
	const kube__pod *p = cy->pod;
	if (!p->nports || !(cy->s->flags[n->slot] & KUBE__NF_PORTS))
		return 0;
	for (size_t i = 0; i < p->nports; i++)
		for (size_t j = 0; j < n->nports; j++)
			if (kube__ports_conflict(&p->ports[i], n->ports[j].ip, n->ports[j].protocol,
			                         n->ports[j].port))
				return kube__cycle_reject(cy, REASON_PORTS) ? KUBE_ENOMEM : 1;
	return 0;
}
