/*
 * node.h - nodes served by this process: Node objects, Lease heartbeats,
 * and the pods bound to them taken to Running and Ready (the kubelet's
 * role, DESIGN.md §1 "node").
 *
 * A kube_nodes is a pool of nodes that one process serves over a store:
 *
 *   - each node is registered as a v1 Node (capacity and allocatable cpu,
 *     memory, pods and ephemeral-storage; the conditions MemoryPressure,
 *     DiskPressure, PIDPressure = False and Ready = True; the labels
 *     kubernetes.io/hostname, kubernetes.io/os, kubernetes.io/arch and
 *     topology.kubernetes.io/zone; an InternalIP and a Hostname address);
 *   - each node renews a coordination.k8s.io/v1 Lease of its own name in
 *     the namespace kube-node-lease every lease_period_ms (holderIdentity
 *     = the node, leaseDurationSeconds 40, renewTime; owned by the Node), as
 *     the kubelet's node lease controller does; the pool renews them a
 *     tenth of its nodes at a time, every tenth of the period, rather
 *     than all at once;
 *   - one pod watch (not one per node: a pool of 1,000 nodes costs one
 *     watcher) hands every pod bound to one of the pool's nodes that is not
 *     yet running to the node's runtime; once the runtime reports it
 *     started, the pod's status becomes what the kubelet writes for a
 *     running pod: phase Running, the conditions PodReadyToStartContainers,
 *     Initialized, Ready, ContainersReady and PodScheduled all True,
 *     containerStatuses (ready, started, state.running.startedAt), podIP
 *     (10.<N>.<M>.x from the node's podCIDR), hostIP and startTime;
 *   - a pod that runs to completion (spec.restartPolicy Never or
 *     OnFailure, as Job pods) is written Succeeded complete_after_ms after
 *     it was written Running, as the kubelet writes a pod whose containers
 *     all exited 0: containers terminated (exitCode 0, reason
 *     "Completed", ready false), Ready and ContainersReady False with the
 *     reason "PodCompleted", Initialized True ("PodCompleted"),
 *     PodReadyToStartContainers False;
 *   - a node's heartbeats can be switched off and on
 *     (kube_nodes_set_heartbeat), to play a failed node.
 *
 * The runtime is a versioned vtable (kube_node_runtime), so the real node
 * agent plugs a container runtime (the CRI client, the runtime plugins)
 * into the same pool later.  With no runtime the pool simulates one: a
 * pod is "started" ready_delay_ms after it was handed over.  What the
 * pool does not do yet: probes, restarts, volumes, graceful termination
 * (a deleted pod is gone at once, as the store deletes it), node status
 * beyond the heartbeat.
 *
 * Threading: a pool belongs to its store's loop thread; every call is made
 * on it, and the runtime's methods are called on it.  Errors through
 * kube_error_last().
 */
#ifndef LIBKUBE_NODE_H
#define LIBKUBE_NODE_H

#include "common.h"
#include "loop.h"
#include "object.h"
#include "store.h"

KUBE_BEGIN_DECLS

typedef struct kube_nodes kube_nodes;

/* Called by a runtime once a pod it was asked to start runs (status 0) or
 * could not start (a KUBE_E* code: the pod stays Pending).  Loop thread;
 * exactly once per start_pod that returned 0, unless the pool was freed
 * first (then never: the runtime's stop_pod has been called). */
typedef void (*kube_node_started_cb)(int status, void *ctx);

#define KUBE_NODE_RUNTIME_VERSION 1

/*
 * What a node needs from a container runtime.  Begins with abi_version /
 * struct_size and grows only at its end.
 *   start_pod  start the pod's containers on `node`; call done(status, ctx)
 *              later, on the loop thread, never inside this call.  A
 *              nonzero return means done will not be called.  (v1)
 *   stop_pod   the pod (by uid) was deleted or the pool is being freed:
 *              stop it, and do not call its done any more.  (v1)
 */
typedef struct kube_node_runtime {
	uint32_t abi_version;   /* KUBE_NODE_RUNTIME_VERSION */
	uint32_t struct_size;   /* sizeof(kube_node_runtime) */
	int (*start_pod)(const kube_object *pod, const char *node, kube_node_started_cb done,
	                 void *ctx, void *userdata);
	void (*stop_pod)(const char *uid, void *userdata);
} kube_node_runtime;

typedef struct kube_nodes_options {
	unsigned int version;        /* KUBE_NODES_OPTIONS_VERSION */
	unsigned int count;          /* nodes in the pool (1 .. 65,000) */
	const char *name_prefix;     /* nodes are <prefix><1..count> ("node-") */
	const char *cpu;             /* capacity = allocatable ("4") */
	const char *memory;          /* "16Gi" */
	const char *pods;            /* "110" */
	unsigned int zones;          /* topology.kubernetes.io/zone: zone-a, zone-b, ...
	                                round robin over this many (1 .. 26) */
	uint64_t ready_delay_ms;     /* simulated runtime: handed over -> running */
	uint64_t lease_period_ms;    /* Lease renewals (10,000 as the kubelet; 0 = none) */
	/* The runtime (copied); NULL = the simulated one. */
	const kube_node_runtime *runtime;
	void *runtime_userdata;
	/* Version 2.  Pods with restartPolicy Never or OnFailure: written
	 * Running -> Succeeded after this long (1000; 0 = they run forever;
	 * a version 1 caller gets 0). */
	uint64_t complete_after_ms;
} kube_nodes_options;

#define KUBE_NODES_OPTIONS_VERSION 2
#define KUBE_NODES_OPTIONS_INIT \
	{ KUBE_NODES_OPTIONS_VERSION, 3, "node-", "4", "16Gi", "110", 3, 1000, 10000, NULL, NULL, 1000 }

/* Fills opts with the defaults of `version` (1 or 2; a version 1 struct is
 * filled up to its own end only), for bindings.  0 or KUBE_EINVAL. */
KUBE_EXTERN int kube_nodes_options_init(kube_nodes_options *opts, unsigned int version);

/*
 * Registers the nodes (a Node that exists already is taken over: its
 * labels, status and spec.podCIDR are rewritten, its uid kept), creates
 * their Leases (and the kube-node-lease Namespace if missing) and starts
 * the pod watch: pods already bound to the nodes and not running are
 * handed to the runtime at the next loop iteration.  loop (the store's:
 * the pool's timers run on it) and store are borrowed and must outlive
 * the pool.  Returns 0, KUBE_EINVAL (bad options: count,
 * zones, a quantity that does not parse, a runtime without start_pod),
 * KUBE_EABI (runtime version or size), KUBE_ENOMEM, or the store's error.
 */
KUBE_EXTERN int kube_nodes_new(kube_nodes **out, kube_loop *loop, kube_store *store,
                               const kube_nodes_options *opts);

/* Stops the watch and the timers, stops every pod still starting
 * (stop_pod), frees.  The Node and Lease objects stay.  NULL is a no-op. */
KUBE_EXTERN void kube_nodes_free(kube_nodes *n);

/* The name of node i (0-based; borrowed, lives as long as the pool), or
 * NULL past the end. */
KUBE_EXTERN const char *kube_nodes_name(const kube_nodes *n, size_t i);

typedef struct kube_nodes_stats {
	unsigned int version;     /* set by the caller: KUBE_NODES_STATS_VERSION */
	uint64_t started;         /* pods handed to the runtime */
	uint64_t running;         /* pods written Running and Ready */
	uint64_t start_failures;  /* runtime reported a failure */
	uint64_t heartbeats;      /* Lease writes: creations and renewals */
	uint64_t write_errors;    /* status or Lease writes that failed (logged) */
	size_t starting;          /* pods with the runtime now */
	uint64_t completed;       /* version 2: pods written Succeeded */
	uint64_t busy_ns;         /* version 3: wall time spent in the pool's
	                             callbacks on the loop (its pod watch, the
	                             simulated runtime, its timers, its writes'
	                             completions), for benchmarks */
} kube_nodes_stats;

#define KUBE_NODES_STATS_VERSION 3

/* Counters since the pool was made (out->version 1 to 3: an older struct
 * is filled up to its own end).  0 or KUBE_EINVAL. */
KUBE_EXTERN int kube_nodes_get_stats(const kube_nodes *n, kube_nodes_stats *out);

/* Renews every Lease now (the timer renews them a slice at a time), but
 * those of nodes whose heartbeat is off.  0 or the first store error. */
KUBE_EXTERN int kube_nodes_heartbeat(kube_nodes *n);

/*
 * Switches the heartbeat of one node (by name) off (on = 0) or on, to
 * play a node that fails and comes back.  Off: its Lease is not renewed,
 * pods bound to it are not started and its running pods do not complete
 * (those due meanwhile never do), so that the node lifecycle controller
 * sees it go silent.  On again: the Node's conditions are posted afresh
 * (Ready True, heartbeat now), the Lease is renewed and the pods bound to
 * it that are not running are started.  Idempotent.  Returns 0,
 * KUBE_EINVAL, KUBE_ENOTFOUND (not a node of the pool: 'kube_nodes_set_heartbeat:
 * no node "x" in the pool'), or the store's error.
 */
KUBE_EXTERN int kube_nodes_set_heartbeat(kube_nodes *n, const char *node, int on);

KUBE_END_DECLS

#endif /* LIBKUBE_NODE_H */
