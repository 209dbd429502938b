/*
 * sched.h - the scheduler: filter and score plugins with kube-scheduler's
 * semantics over a node snapshot that is updated incrementally.
 *
 * A kube_sched holds
 *   - the snapshot: every node (allocatable, requested, host ports, labels,
 *     taints, images) and the pods assigned to each node, changed one event
 *     at a time (kube_sched_node_add/_remove, kube_sched_pod_add/_remove),
 *     never rebuilt per pod;
 *   - profiles keyed by schedulerName ("default-scheduler" exists from the
 *     start), each an ordered list of plugins with score weights.
 *
 * kube_sched_schedule() runs one scheduling cycle for a pod, as upstream's
 * framework does: PreFilter, Filter (every node, in the order nodes were
 * added), PostFilter when no node fits, PreScore, Score (each plugin's
 * scores normalised to 0..100, then weighted and summed), Reserve, Bind.
 * Every node is evaluated (upstream samples a percentage of large
 * clusters).  Among nodes with the top score the first in node order wins
 * (upstream picks one at random), so decisions are reproducible.
 *
 * Built-in plugins, with upstream's names, default order and weights:
 *   filters  NodeUnschedulable, NodeName, TaintToleration, NodeAffinity,
 *            NodePorts, NodeResourcesFit, PodTopologySpread (DoNotSchedule),
 *            InterPodAffinity (required terms)
 *   scores   TaintToleration (3), NodeAffinity (2), NodeResourcesFit (1,
 *            LeastAllocated by default), PodTopologySpread (2, ScheduleAnyway
 *            constraints), InterPodAffinity (2, preferred terms),
 *            NodeResourcesBalancedAllocation (1), ImageLocality (1)
 *   reserve  the snapshot assumes the pod on the chosen node, so the next
 *            decision sees it (kube_sched_pod_remove forgets it).
 *   postfilter DefaultPreemption, once a preemptor is set (below):
 *            evicts lower-priority pods to make room, honouring
 *            PodDisruptionBudgets, and nominates the node.
 * Not yet: upstream's system default spreading for pods without
 * constraints (it needs the Services and controllers owning each pod).  The scheduling queue and the store writes (below)
 * are driven by the caller, or by kube_sched_runner, which feeds the
 * snapshot from a store's watches and schedules what is pending.
 *
 * Threads: a kube_sched belongs to one thread (it is plain data, no loop,
 * no I/O).  With the parallel option (kube_sched_options.threads > 1) it
 * evaluates nodes on threads of its own during a call, and returns with
 * them idle.  Objects handed in are referenced (which freezes them), never
 * changed.  Errors: functions return 0 or a KUBE_E* code with the message
 * in kube_error_last().
 */
#ifndef LIBKUBE_SCHED_H
#define LIBKUBE_SCHED_H

#include "common.h"
#include "labels.h"
#include "object.h"

KUBE_BEGIN_DECLS

typedef struct kube_sched kube_sched;
/* A node of the snapshot as plugins see it (borrowed, valid during the call). */
typedef struct kube_sched_node kube_sched_node;

#define KUBE_SCHED_DEFAULT_PROFILE "default-scheduler"

/* A new scheduler with an empty snapshot and the default profile.
 * Returns 0, KUBE_EINVAL, KUBE_ENOMEM. */
KUBE_EXTERN int kube_sched_new(kube_sched **out);

typedef struct kube_sched_options {
	unsigned int version;   /* KUBE_SCHED_OPTIONS_VERSION */
	/*
	 * Threads that evaluate nodes (the filters) during a cycle: 0 or 1 =
	 * the calling thread only (the default).  With n > 1 the nodes are
	 * cut into n ranges filtered at once, and the outcome (the chosen
	 * node, the FitError text, every score) is exactly the single-threaded
	 * one.  Embedders' filter methods are then called from several
	 * threads at once and must be thread-safe.  At most 64.
	 */
	unsigned int threads;
} kube_sched_options;

#define KUBE_SCHED_OPTIONS_VERSION 1
#define KUBE_SCHED_OPTIONS_INIT { KUBE_SCHED_OPTIONS_VERSION, 1 }

/* Fills opts with the defaults of `version` (for bindings).  0 or KUBE_EINVAL. */
KUBE_EXTERN int kube_sched_options_init(kube_sched_options *opts, unsigned int version);
/* kube_sched_new with options (NULL = the defaults).  Returns 0,
 * KUBE_EINVAL (version, threads > 64), KUBE_ENOMEM, KUBE_ERROR (a thread
 * could not be started). */
KUBE_EXTERN int kube_sched_new_2(kube_sched **out, const kube_sched_options *opts);
/* Frees the scheduler, its snapshot and its plugins (calling their destroy
 * callbacks).  NULL is a no-op. */
KUBE_EXTERN void kube_sched_free(kube_sched *s);

/* ---- the snapshot ---- */

/*
 * Adds a v1 Node, or replaces the node of the same name (an update keeps
 * the pods assigned to it).  Reads metadata.name and labels,
 * spec.unschedulable, spec.taints, status.allocatable and status.images.
 * Takes a reference to node.  Returns 0, KUBE_ENOMEM, or KUBE_EINVAL (no
 * name, or a malformed quantity, naming the field).
 */
KUBE_EXTERN int kube_sched_node_add(kube_sched *s, kube_object *node);
/* Removes a node and forgets the pods assigned to it.  0 or KUBE_ENOTFOUND. */
KUBE_EXTERN int kube_sched_node_remove(kube_sched *s, const char *name);
/* Number of nodes in the snapshot. */
KUBE_EXTERN size_t kube_sched_node_count(const kube_sched *s);

/*
 * Accounts a pod bound to spec.nodeName on that node (requests, host
 * ports, labels).  A pod already known (same namespace/name) is replaced.
 * Returns 0, KUBE_EINVAL (no spec.nodeName, bad quantity), KUBE_ENOTFOUND
 * (no such node), KUBE_ENOMEM.
 */
KUBE_EXTERN int kube_sched_pod_add(kube_sched *s, kube_object *pod);
/* Forgets a pod (bound or assumed).  0 or KUBE_ENOTFOUND. */
KUBE_EXTERN int kube_sched_pod_remove(kube_sched *s, const char *ns, const char *name);
/*
 * The labels of a v1 Namespace, for pod (anti-)affinity terms'
 * namespaceSelector; added or replaced by name.  A namespace the
 * scheduler was not given is seen with the one label the API server sets
 * on every namespace, kubernetes.io/metadata.name=<name>.  Returns 0,
 * KUBE_EINVAL (no name), KUBE_ENOMEM.
 */
KUBE_EXTERN int kube_sched_namespace_add(kube_sched *s, const kube_object *ns);
/* Forgets a namespace's labels.  0 or KUBE_ENOTFOUND. */
KUBE_EXTERN int kube_sched_namespace_remove(kube_sched *s, const char *name);

/* Number of pods accounted on the node (0 when there is no such node). */
KUBE_EXTERN size_t kube_sched_node_pod_count(const kube_sched *s, const char *node);

/*
 * What the snapshot holds for a node's resource: allocatable and the sum
 * of the requests of its pods.  resource is "cpu" (milli-cores), "memory",
 * "ephemeral-storage" (bytes), "pods" (count; requested = pods on the
 * node) or an extended resource name.  0 or KUBE_ENOTFOUND.
 */
KUBE_EXTERN int kube_sched_node_resource(const kube_sched *s, const char *node,
                                         const char *resource, int64_t *allocatable,
                                         int64_t *requested);

/* ---- plugins ---- */

/* Accessors for plugins: borrowed, valid during the callback. */
KUBE_EXTERN const char *kube_sched_node_name(const kube_sched_node *n);
KUBE_EXTERN const kube_object *kube_sched_node_object(const kube_sched_node *n);
KUBE_EXTERN const kube_labels *kube_sched_node_labels(const kube_sched_node *n);

/* A filter's verdict: 0 fits; KUBE_SCHED_UNSCHEDULABLE rejects the node
 * with *reason (copied; "node(s) ..." style); a negative KUBE_E* code
 * aborts the cycle with that error. */
#define KUBE_SCHED_UNSCHEDULABLE 1

#define KUBE_SCHED_PLUGIN_VERSION 1

/*
 * A plugin written by an embedder.  Every method is optional (NULL = the
 * plugin does not take part in that extension point).  Begins with
 * abi_version / struct_size and only grows at its end.
 *
 *   pre_filter  once per cycle; KUBE_SCHED_UNSCHEDULABLE rejects the pod on
 *               every node with *reason.
 *   filter      once per node that passed the filters before it.
 *   score       once per feasible node: any int64 (*score); normalize then
 *               maps the scores (one per feasible node, in node order)
 *               into 0..100; without normalize, scores must already be in
 *               0..100 (outside it the cycle fails with KUBE_ERANGE, as
 *               upstream does).
 *   reserve     after the choice; a failure undoes the reservations made
 *               so far (unreserve in reverse order) and fails the cycle.
 *   bind        the first bind method that does not return KUBE_ENOTSUP
 *               binds the pod.
 */
typedef struct kube_sched_plugin {
	uint32_t abi_version;   /* KUBE_SCHED_PLUGIN_VERSION */
	uint32_t struct_size;   /* sizeof(kube_sched_plugin) */
	const char *name;
	int (*pre_filter)(const kube_object *pod, const char **reason, void *userdata);
	int (*filter)(const kube_object *pod, const kube_sched_node *node, const char **reason,
	              void *userdata);
	int (*score)(const kube_object *pod, const kube_sched_node *node, int64_t *score,
	             void *userdata);
	int (*normalize)(const kube_object *pod, int64_t *scores, size_t count, void *userdata);
	int (*reserve)(const kube_object *pod, const char *node, void *userdata);
	void (*unreserve)(const kube_object *pod, const char *node, void *userdata);
	int (*bind)(const kube_object *pod, const char *node, void *userdata);
} kube_sched_plugin;

/*
 * Adds a profile (a scheduler name) with the built-in plugins (defaults=1)
 * or with none (defaults=0).  Returns 0, KUBE_EEXISTS, KUBE_EINVAL,
 * KUBE_ENOMEM.
 */
KUBE_EXTERN int kube_sched_profile_add(kube_sched *s, const char *profile, int defaults);

/*
 * Appends an embedder's plugin to a profile, after the plugins already
 * there, with a score weight (>= 1 when it scores).  The vtable is copied;
 * userdata is handed to every method and to destroy (optional) when the
 * scheduler is freed, or at once if registration fails.  Returns 0,
 * KUBE_ENOTFOUND (profile), KUBE_EEXISTS (a plugin of that name),
 * KUBE_EABI (version or size), KUBE_EINVAL, KUBE_ENOMEM.
 */
KUBE_EXTERN int kube_sched_plugin_register(kube_sched *s, const char *profile,
                                           const kube_sched_plugin *plugin, int32_t weight,
                                           void *userdata, void (*destroy)(void *userdata));

/* Removes a plugin (built-in or not) from a profile.  0 or KUBE_ENOTFOUND. */
KUBE_EXTERN int kube_sched_plugin_disable(kube_sched *s, const char *profile, const char *name);
/* Changes a plugin's score weight.  0, KUBE_ENOTFOUND, KUBE_EINVAL (< 0). */
KUBE_EXTERN int kube_sched_plugin_set_weight(kube_sched *s, const char *profile,
                                             const char *name, int32_t weight);

/* NodeResourcesFit's scoring strategy (upstream's ScoringStrategy.type). */
typedef enum kube_sched_fit_strategy {
	KUBE_SCHED_LEAST_ALLOCATED = 0,
	KUBE_SCHED_MOST_ALLOCATED = 1,
	KUBE_SCHED_REQUESTED_TO_CAPACITY_RATIO = 2  /* set with the function below */
} kube_sched_fit_strategy;
/* LeastAllocated or MostAllocated.  0, KUBE_ENOTFOUND, KUBE_EINVAL. */
KUBE_EXTERN int kube_sched_profile_set_fit_strategy(kube_sched *s, const char *profile,
                                                    kube_sched_fit_strategy strategy);
/*
 * RequestedToCapacityRatio with its shape: n points (1..10) of
 * utilization (0..100, strictly increasing) and score (0..10), scored per
 * resource by the broken line through them (score x 10), cpu and memory
 * weighted 1, the mean rounded.  Returns 0, KUBE_ENOTFOUND, or
 * KUBE_EINVAL with upstream's validation messages, e.g.
 *   utilization values must be sorted in increasing order
 */
KUBE_EXTERN int kube_sched_profile_set_requested_to_capacity_ratio(kube_sched *s,
                                                                   const char *profile,
                                                                   const int32_t *utilization,
                                                                   const int32_t *score, size_t n);

/* ---- a scheduling cycle ---- */

/*
 * Schedules one pod with the profile named by its spec.schedulerName
 * ("default-scheduler" when absent).  On success returns 0, *node (a new
 * string, kube_free) names the chosen node and the pod is assumed on it
 * in the snapshot.  When no node fits, returns KUBE_EBUSY, *node is NULL
 * and *message (always set when message is not NULL; kube_free) is
 * upstream's FitError text, e.g.
 *   0/5 nodes are available: 3 Insufficient cpu, 2 node(s) had untolerated taint {k: v}.
 * Other errors: KUBE_EINVAL (a malformed pod: the message names the
 * field), KUBE_ENOTFOUND (no profile for the schedulerName), a plugin's
 * error code, KUBE_ENOMEM.  message may be NULL.
 */
KUBE_EXTERN int kube_sched_schedule(kube_sched *s, kube_object *pod, char **node,
                                    char **message);

/*
 * Scores one node for a pod the way the cycle would, without choosing:
 * *total is the weighted sum, or -1 when the node is filtered out.  For
 * tests and explanations.  Returns 0, KUBE_ENOTFOUND, KUBE_EINVAL.
 */
KUBE_EXTERN int kube_sched_score_node(kube_sched *s, kube_object *pod, const char *node,
                                      int64_t *total);

/* ---- preemption (PostFilter DefaultPreemption) ----
 *
 * When no node fits a pod, as upstream's DefaultPreemption: unless its
 * spec.preemptionPolicy is Never, every node whose rejection preemption
 * can cure (not: node name, unschedulable, taints, node affinity, a
 * missing topology label, pod affinity, requests above allocatable) is
 * tried: every pod of lower spec.priority is taken off the node; if the
 * pod then fits, victims are given back highest priority first (those
 * whose eviction would break a PodDisruptionBudget first, then the
 * others) while it still fits.  Among the nodes that work, the one
 * with the fewest PDB violations, then the lowest highest victim priority,
 * the smallest sum of victim priorities, the fewest victims, the latest
 * earliest status.startTime among its highest-priority victims, then the
 * first in node order.  (Upstream dry-runs a sample of at least 100 nodes
 * from a random offset; every node is tried here, so the choice is the
 * best and reproducible.)  The victims are evicted through the
 * preemptor and forgotten by the snapshot, lower-priority pods nominated
 * to that node lose their nomination, and the pod is nominated to it;
 * kube_sched_schedule still returns KUBE_EBUSY with the FitError, and the
 * pod's next attempt lands on its nominated node when it fits there.
 * When preemption cannot help, the FitError carries upstream's text, e.g.
 *   0/2 nodes are available: 2 Insufficient cpu. preemption: 0/2 nodes are
 *   available: 1 No preemption victims found for incoming pod, 1 Preemption
 *   is not helpful for scheduling.
 *   ... preemption: not eligible due to preemptionPolicy=Never.
 *
 * Nominated pods: while a pod is nominated to a node, other pods of equal
 * or lower priority are filtered as if it ran there (and, as upstream,
 * also without it).
 */

#define KUBE_SCHED_PREEMPTOR_VERSION 1

/*
 * What preemption does to the cluster.  Begins with abi_version /
 * struct_size and only grows at its end.
 *   evict     removes a victim (required).  A nonzero return fails the
 *             cycle with that code (kube_sched_schedule returns it).
 *   nominate  records pod's status.nominatedNodeName; node "" clears it
 *             (optional; its errors are ignored, as upstream's).
 */
typedef struct kube_sched_preemptor {
	uint32_t abi_version;   /* KUBE_SCHED_PREEMPTOR_VERSION */
	uint32_t struct_size;   /* sizeof(kube_sched_preemptor) */
	int (*evict)(const kube_object *victim, const kube_object *preemptor, const char *node,
	             void *userdata);
	int (*nominate)(const kube_object *pod, const char *node, void *userdata);
} kube_sched_preemptor;

/*
 * Turns preemption on with these operations (copied), replacing any set
 * before (whose destroy runs).  ops NULL turns it off.  Returns 0,
 * KUBE_EINVAL (no evict), KUBE_EABI (version or size; destroy runs).
 */
KUBE_EXTERN int kube_sched_set_preemptor(kube_sched *s, const kube_sched_preemptor *ops,
                                         void *userdata, void (*destroy)(void *userdata));

/*
 * Adds or replaces (by namespace/name) a policy/v1 PodDisruptionBudget
 * that preemption honours: spec.selector (nil or empty matches nothing),
 * status.disruptionsAllowed, status.disruptedPods.  Takes a reference.
 * Returns 0, KUBE_EINVAL (no name), KUBE_ENOMEM.
 */
KUBE_EXTERN int kube_sched_pdb_add(kube_sched *s, kube_object *pdb);
/* Forgets a PodDisruptionBudget.  0 or KUBE_ENOTFOUND. */
KUBE_EXTERN int kube_sched_pdb_remove(kube_sched *s, const char *ns, const char *name);

/*
 * Records that a pending pod is nominated to `node` (as read from its
 * status.nominatedNodeName), or forgets its nomination (node NULL or "").
 * Binding or removing the pod forgets it too.  Returns 0, KUBE_EINVAL
 * (a malformed pod), KUBE_ENOMEM; forgetting an unknown pod is 0.
 */
KUBE_EXTERN int kube_sched_nominate(kube_sched *s, kube_object *pod, const char *node);
/* The node a pod is nominated to (borrowed, valid until the next call
 * that changes the scheduler), or NULL. */
KUBE_EXTERN const char *kube_sched_nominated_node(const kube_sched *s, const char *ns,
                                                  const char *name);

/* ---- writing through the store ---- */

typedef struct kube_store kube_store;

/*
 * Adds to a profile the plugin "DefaultBinder", which binds a pod as the
 * API server's binding subresource does: spec.nodeName, and the
 * PodScheduled condition True, in `store` (borrowed: it must outlive the
 * scheduler).  The bind fails with KUBE_ENOTFOUND when the pod is gone and
 * KUBE_ECONFLICT when it is already assigned ("pod ns/name is already
 * assigned to node \"x\"") or its node is no longer in the store ("node
 * \"x\" is gone: binding pod ns/name refused"); kube_sched_schedule then
 * forgets the assumed pod and returns that error, and the caller requeues
 * the pod.  Store calls run on the store's loop thread.  Same errors as
 * kube_sched_plugin_register.
 */
KUBE_EXTERN int kube_sched_store_binder(kube_sched *s, const char *profile, kube_store *store);

/*
 * Records why a pod could not be scheduled, as upstream does: the pod's
 * status condition PodScheduled=False, reason Unschedulable, message (the
 * FitError text from kube_sched_schedule), lastTransitionTime now.
 * Returns 0 or the store's error (KUBE_ENOTFOUND, ...).
 */
KUBE_EXTERN int kube_sched_store_set_unschedulable(kube_store *store, const kube_object *pod,
                                                   const char *message);

/*
 * Sets a preemptor that works through `store` (borrowed: it must outlive
 * the scheduler), as upstream's: evict adds the condition
 * DisruptionTarget=True (reason PreemptionByScheduler, message
 * "<schedulerName>: preempting to accommodate a higher priority pod") to
 * the victim, then deletes it (a victim already gone is no error);
 * nominate writes status.nominatedNodeName.  Same errors as
 * kube_sched_set_preemptor.
 */
KUBE_EXTERN int kube_sched_store_preemptor(kube_sched *s, kube_store *store);

/* ---- the scheduling queue ----
 *
 * Pending pods as upstream's PriorityQueue: an active heap (higher
 * spec.priority first, then the pod queued earlier), a backoff area
 * (1 s x 2^(attempts-1), at most 10 s, from the last attempt) and an
 * unschedulable area that a cluster event (a node added or changed, a pod
 * deleted: kube_sched_queue_move_all) empties into backoff, or straight
 * into active for pods whose backoff has passed.  Times are the caller's,
 * in milliseconds of any monotonic clock: the queue has no timers and
 * belongs to one thread.  Pods are known by namespace/name.
 */
typedef struct kube_sched_queue kube_sched_queue;

KUBE_EXTERN int kube_sched_queue_new(kube_sched_queue **out);
/* Frees the queue and drops its references.  NULL is a no-op. */
KUBE_EXTERN void kube_sched_queue_free(kube_sched_queue *q);
/* Queues a pending pod (a reference is taken), or replaces the version of
 * a pod already queued, keeping its place.  0, KUBE_EINVAL, KUBE_ENOMEM. */
KUBE_EXTERN int kube_sched_queue_add(kube_sched_queue *q, kube_object *pod, int64_t now_ms);
/* The next pod to schedule (the caller's reference, kube_object_unref),
 * after moving backoff pods whose time has come.  KUBE_ENOTFOUND when no
 * pod is ready. */
KUBE_EXTERN int kube_sched_queue_pop(kube_sched_queue *q, int64_t now_ms, kube_object **out);
/* A pod that could not be scheduled after `attempts` attempts (>= 1),
 * the last one at now_ms: it waits in the unschedulable area. */
KUBE_EXTERN int kube_sched_queue_unschedulable(kube_sched_queue *q, kube_object *pod,
                                               uint32_t attempts, int64_t now_ms);
/* A pod whose attempt failed with an error (not a FitError: a bind
 * conflict, a store error): it waits out its backoff and returns to
 * active without needing a cluster event, as upstream's backoffQ. */
KUBE_EXTERN int kube_sched_queue_backoff(kube_sched_queue *q, kube_object *pod,
                                         uint32_t attempts, int64_t now_ms);
/* A cluster event: every unschedulable pod becomes eligible again. */
KUBE_EXTERN int kube_sched_queue_move_all(kube_sched_queue *q, int64_t now_ms);
/* Forgets a pod (deleted, or bound elsewhere).  0 or KUBE_ENOTFOUND. */
KUBE_EXTERN int kube_sched_queue_remove(kube_sched_queue *q, const char *ns, const char *name);
/* How many pods each area holds (any pointer may be NULL). */
KUBE_EXTERN void kube_sched_queue_counts(const kube_sched_queue *q, size_t *active,
                                         size_t *backoff, size_t *unschedulable);

/* ---- the scheduler driven by a store ----
 *
 * A kube_sched_runner does what kube-scheduler's informers and scheduling
 * loop do, over a store: it watches nodes, pods, namespaces and
 * poddisruptionbudgets
 * (from revision 0, so the objects that exist come first) and keeps the
 * snapshot current from every event (never rebuilt): nodes added, changed
 * and deleted; assigned pods (spec.nodeName) added, changed, deleted or
 * terminated (phase Succeeded / Failed); pending pods whose schedulerName
 * has a profile go to its queue, their status.nominatedNodeName to the
 * nominator; namespaces' labels to namespaceSelector; PodDisruptionBudgets
 * to preemption.  A node event or a pod
 * deletion releases the unschedulable pods at the next run.
 *
 * kube_sched_runner_run() then schedules every pod that is ready at
 * now_ms (the caller's monotonic clock, as the queue's): bound through the
 * store (spec.nodeName), or, when no node fits, PodScheduled=False with
 * the FitError and a wait for a cluster event (preemption having evicted
 * its victims and nominated the pod through the store); a bind conflict or
 * another error backs the pod off.  The runner adds DefaultBinder (through
 * this store) to every profile that has no binder of that name and, unless
 * one is set, the store preemptor.  Everything runs on the store's loop
 * thread; events are applied as the loop delivers them, so run the loop
 * between runs.  After a watch ends (KUBE_EBUSY when the scheduler fell
 * behind, KUBE_EGONE), run fails with that code: free the runner and the
 * scheduler, and start again.
 */
typedef struct kube_sched_runner kube_sched_runner;

/* Starts the watches.  s and store are borrowed and must outlive the
 * runner.  Returns 0, KUBE_EINVAL, KUBE_ENOMEM, or a store error. */
KUBE_EXTERN int kube_sched_runner_new(kube_sched_runner **out, kube_sched *s, kube_store *store);
/* Stops the watches and frees the queue.  NULL is a no-op. */
KUBE_EXTERN void kube_sched_runner_free(kube_sched_runner *r);
/*
 * Schedules every pod ready at now_ms.  *bound and *failed (optional)
 * count the pods bound and those that failed this time.  Returns 0,
 * KUBE_ENOMEM, or the code a watch ended with.
 */
KUBE_EXTERN int kube_sched_runner_run(kube_sched_runner *r, int64_t now_ms, size_t *bound,
                                      size_t *failed);
/* The runner's queue (borrowed), e.g. to read its counts. */
KUBE_EXTERN kube_sched_queue *kube_sched_runner_queue(kube_sched_runner *r);

KUBE_END_DECLS

#endif /* LIBKUBE_SCHED_H */
