/*
 * controllers.h - the built-in workload controllers, with Kubernetes'
 * semantics (kube-controller-manager's pkg/controller/...).
 *
 * Each controller reads through informers from a shared factory
 * (informer.h), reconciles on a kube_controller (controller.h) and writes
 * through the store, so several controllers of one process share one cache
 * per resource.  Start the factory after making the controllers (or any
 * time: informers made later start at once).
 *
 *   ReplicaSet / ReplicationController   pods to match spec.replicas
 *   Deployment                           ReplicaSets per pod template
 *   DaemonSet / StatefulSet              a pod per node / pods with ordinals
 *   Job / CronJob                        pods to completion; Jobs on a schedule
 *
 * Threading: everything on the store's loop thread.  Lifetimes: free the
 * controllers before the factory, the factory before the store, the store
 * before the loop.
 */
#ifndef LIBKUBE_CONTROLLERS_H
#define LIBKUBE_CONTROLLERS_H

#include "common.h"
#include "controller.h"
#include "informer.h"
#include "store.h"

KUBE_BEGIN_DECLS

typedef struct kube_replicaset_controller kube_replicaset_controller;
typedef struct kube_deployment_controller kube_deployment_controller;

typedef struct kube_workload_controller_options {
	unsigned int version;            /* KUBE_WORKLOAD_CONTROLLER_OPTIONS_VERSION */
	unsigned int workers;            /* keys in flight (5, as kube-controller-manager) */
	/* Pods created or deleted per sync at most (upstream's BurstReplicas, 500). */
	unsigned int burst_replicas;
	/* Wall clock, nanoseconds since the Unix epoch (availability with
	 * minReadySeconds, deletion ranking); it also drives the workqueue and
	 * the expectations.  NULL = the system clocks. */
	kube_clock_cb clock;
	void *clock_userdata;
	/* The workqueue's rate limiter (NULL = client-go's default). */
	const kube_workqueue_options *queue;
} kube_workload_controller_options;

#define KUBE_WORKLOAD_CONTROLLER_OPTIONS_VERSION 1
#define KUBE_WORKLOAD_CONTROLLER_OPTIONS_INIT \
	{ KUBE_WORKLOAD_CONTROLLER_OPTIONS_VERSION, 5, 500, NULL, NULL, NULL }

/* Fills opts with the defaults of `version` (for bindings).  0 or KUBE_EINVAL. */
KUBE_EXTERN int kube_workload_controller_options_init(kube_workload_controller_options *opts,
                                                      unsigned int version);

/* ---- ReplicaSet and ReplicationController ---- */

/*
 * A ReplicaSet controller (kind "ReplicaSet") or a ReplicationController
 * controller (kind "ReplicationController"), reading pods and its owners
 * through f's informers and writing through f's store.  Started: reconciles
 * as events arrive.  Returns 0, KUBE_EINVAL, KUBE_ENOMEM.
 */
KUBE_EXTERN int kube_replicaset_controller_new(kube_replicaset_controller **out,
                                               kube_informer_factory *f, kube_store *store,
                                               const char *kind,
                                               const kube_workload_controller_options *opts);
KUBE_EXTERN void kube_replicaset_controller_free(kube_replicaset_controller *c);
/* The runner (borrowed): to process keys by hand or read its stats. */
KUBE_EXTERN kube_controller *kube_replicaset_controller_runner(kube_replicaset_controller *c);

/* ---- Deployment ---- */

KUBE_EXTERN int kube_deployment_controller_new(kube_deployment_controller **out,
                                               kube_informer_factory *f, kube_store *store,
                                               const kube_workload_controller_options *opts);
KUBE_EXTERN void kube_deployment_controller_free(kube_deployment_controller *c);
KUBE_EXTERN kube_controller *kube_deployment_controller_runner(kube_deployment_controller *c);

/* ---- Job and CronJob ---- */

typedef struct kube_job_controller kube_job_controller;
typedef struct kube_cronjob_controller kube_cronjob_controller;
typedef struct kube_cron_schedule kube_cron_schedule;

/*
 * A Job controller (batch/v1 Job: completions, parallelism, backoffLimit,
 * activeDeadlineSeconds, Indexed completion, and ttlSecondsAfterFinished,
 * which upstream gives to a separate controller), reading pods and Jobs
 * through f's informers and writing through f's store; opts->clock is the
 * wall clock for startTime, deadlines and TTLs.  Started.  Returns 0,
 * KUBE_EINVAL, KUBE_ENOMEM.
 */
KUBE_EXTERN int kube_job_controller_new(kube_job_controller **out, kube_informer_factory *f,
                                        kube_store *store,
                                        const kube_workload_controller_options *opts);
KUBE_EXTERN void kube_job_controller_free(kube_job_controller *c);
KUBE_EXTERN kube_controller *kube_job_controller_runner(kube_job_controller *c);

/*
 * A CronJob controller (batch/v1 CronJob): Jobs named
 * "<cronjob>-<scheduled time in minutes since the epoch>" at the minutes
 * the schedule names, in spec.timeZone (UTC only: another zone is refused
 * as unknown), concurrencyPolicy, startingDeadlineSeconds, suspend and the
 * history limits.  opts->clock is the time the schedule is read against;
 * burst_replicas is unused.  Started.  Returns 0, KUBE_EINVAL, KUBE_ENOMEM.
 */
KUBE_EXTERN int kube_cronjob_controller_new(kube_cronjob_controller **out,
                                            kube_informer_factory *f, kube_store *store,
                                            const kube_workload_controller_options *opts);
KUBE_EXTERN void kube_cronjob_controller_free(kube_cronjob_controller *c);
KUBE_EXTERN kube_controller *kube_cronjob_controller_runner(kube_cronjob_controller *c);

/*
 * Parses a cron schedule as CronJob's (robfig/cron's standard parser):
 * five fields (minute 0-59, hour 0-23, day of month 1-31, month 1-12 or
 * JAN-DEC, day of week 0-6 or SUN-SAT), each a list of "*", "?", "N",
 * "N-M", with an optional "/STEP"; names case-insensitive; or one of
 * @yearly @annually @monthly @weekly @daily @midnight @hourly, or
 * "@every DURATION" (Go's duration form, e.g. "1h30m").  A TZ= or CRON_TZ=
 * prefix is refused, as Kubernetes refuses it (use spec.timeZone).
 * Returns 0, KUBE_EINVAL (the message names the schedule, the field and
 * the fault in robfig/cron's words, e.g. 'invalid schedule "0 0 * * 8":
 * day of week field: end of range (8) above maximum (6): 8'), KUBE_ENOMEM.
 * *out is freed with kube_cron_schedule_free.  Pure: any thread.
 */
KUBE_EXTERN int kube_cron_schedule_parse(kube_cron_schedule **out, const char *spec);
KUBE_EXTERN void kube_cron_schedule_free(kube_cron_schedule *s);
/*
 * The first activation strictly after `after` (nanoseconds since the
 * epoch, UTC), in nanoseconds since the epoch; 0 when there is none in
 * the next five years (e.g. "0 0 30 2 *"), as robfig/cron's zero time.
 */
KUBE_EXTERN int64_t kube_cron_schedule_next(const kube_cron_schedule *s, int64_t after);

/* ---- DaemonSet and StatefulSet ---- */

typedef struct kube_daemonset_controller kube_daemonset_controller;
typedef struct kube_statefulset_controller kube_statefulset_controller;

/*
 * A DaemonSet controller: one pod per eligible node (nodeSelector, required
 * node affinity, taints against the template's tolerations plus those
 * upstream adds to daemon pods), each pinned to its node by a required node
 * affinity on metadata.name for the scheduler to bind; RollingUpdate
 * (maxUnavailable / maxSurge) or OnDelete.  Reads pods, nodes and
 * daemonsets through f.  Returns 0, KUBE_EINVAL, KUBE_ENOMEM.
 */
KUBE_EXTERN int kube_daemonset_controller_new(kube_daemonset_controller **out,
                                              kube_informer_factory *f, kube_store *store,
                                              const kube_workload_controller_options *opts);
KUBE_EXTERN void kube_daemonset_controller_free(kube_daemonset_controller *c);
KUBE_EXTERN kube_controller *kube_daemonset_controller_runner(kube_daemonset_controller *c);

/*
 * A StatefulSet controller: pods <name>-<ordinal> with stable identity
 * labels, PersistentVolumeClaims <template>-<name>-<ordinal> that outlive
 * them, OrderedReady or Parallel pod management, RollingUpdate from the
 * highest ordinal down to the partition, or OnDelete.  Reads pods,
 * statefulsets and controllerrevisions through f.  Returns 0, KUBE_EINVAL,
 * KUBE_ENOMEM.
 */
KUBE_EXTERN int kube_statefulset_controller_new(kube_statefulset_controller **out,
                                                kube_informer_factory *f, kube_store *store,
                                                const kube_workload_controller_options *opts);
KUBE_EXTERN void kube_statefulset_controller_free(kube_statefulset_controller *c);
KUBE_EXTERN kube_controller *kube_statefulset_controller_runner(kube_statefulset_controller *c);

/* ---- Endpoints ---- */

typedef struct kube_endpoints_controller kube_endpoints_controller;

/*
 * An Endpoints controller (kube-controller-manager's endpoint controller):
 * for every Service with a selector, an Endpoints of the same name holding
 * the addresses of the pods it selects (ready ones in addresses, others in
 * notReadyAddresses unless publishNotReadyAddresses), with the Service's
 * ports resolved on each pod (named targetPorts by name and protocol),
 * packed into subsets as upstream's RepackSubsets orders them; labels the
 * Service's plus service.kubernetes.io/headless for clusterIP None; more
 * than 1000 addresses are truncated (endpoints.kubernetes.io/over-capacity:
 * truncated).  Written only when something changed; deleted with its
 * Service; a Service without selector keeps the Endpoints its user writes.
 * Reads pods, services and endpoints through f.  Of opts, only workers,
 * clock and queue are used.  Returns 0, KUBE_EINVAL, KUBE_ENOMEM.
 */
KUBE_EXTERN int kube_endpoints_controller_new(kube_endpoints_controller **out,
                                              kube_informer_factory *f, kube_store *store,
                                              const kube_workload_controller_options *opts);
KUBE_EXTERN void kube_endpoints_controller_free(kube_endpoints_controller *c);
KUBE_EXTERN kube_controller *kube_endpoints_controller_runner(kube_endpoints_controller *c);

/* ---- Node lifecycle ---- */

typedef struct kube_nodelifecycle_controller kube_nodelifecycle_controller;

typedef struct kube_nodelifecycle_options {
	unsigned int version;            /* KUBE_NODELIFECYCLE_OPTIONS_VERSION */
	/* No Lease renewal and no Ready heartbeat seen for this long: the
	 * node's conditions become Unknown (--node-monitor-grace-period, 50 s
	 * since Kubernetes 1.32, 40 s before). */
	int64_t monitor_grace_period_ns;
	/* The same for a node that never posted a Ready condition
	 * (--node-startup-grace-period, 60 s). */
	int64_t startup_grace_period_ns;
	/* How often each node is looked at (--node-monitor-period, 5 s). */
	int64_t monitor_period_ns;
	/* tolerationSeconds of the not-ready and unreachable NoExecute
	 * tolerations a pod without its own is treated as having (the
	 * DefaultTolerationSeconds admission plugin's 300). */
	int64_t default_toleration_seconds;
	/* Wall clock, nanoseconds since the Unix epoch; also the workqueue's.
	 * NULL = the system clocks. */
	kube_clock_cb clock;
	void *clock_userdata;
	const kube_workqueue_options *queue;   /* NULL = client-go's default */
} kube_nodelifecycle_options;

#define KUBE_NODELIFECYCLE_OPTIONS_VERSION 1
#define KUBE_NODELIFECYCLE_OPTIONS_INIT                                               \
	{ KUBE_NODELIFECYCLE_OPTIONS_VERSION, (int64_t)50 * 1000000000,                \
	  (int64_t)60 * 1000000000, (int64_t)5 * 1000000000, 300, NULL, NULL, NULL }

/* Fills opts with the defaults of `version` (for bindings).  0 or KUBE_EINVAL. */
KUBE_EXTERN int kube_nodelifecycle_options_init(kube_nodelifecycle_options *opts,
                                                unsigned int version);

/*
 * The node lifecycle controller with the taint eviction controller
 * (upstream's nodelifecycle and tainteviction, one key per Node): reads
 * nodes, pods and coordination.k8s.io/v1 leases (kube-node-lease) through
 * f, writes through store.  A node whose Lease and Ready heartbeat have
 * not moved for the grace period gets Ready, MemoryPressure, DiskPressure
 * and PIDPressure Unknown ("NodeStatusUnknown", "Kubelet stopped posting
 * node status."); its pods get Ready False; the node is tainted
 * node.kubernetes.io/unreachable:NoExecute (Ready Unknown) or
 * node.kubernetes.io/not-ready:NoExecute (Ready False), and with the
 * NoSchedule taints of its conditions; a pod that does not tolerate a
 * NoExecute taint is deleted, at once or after its tolerationSeconds; a
 * pod without its own not-ready / unreachable NoExecute toleration is
 * treated as tolerating them for default_toleration_seconds (what the
 * DefaultTolerationSeconds admission plugin would have given it).
 * opts NULL = the defaults.  Started.  Returns 0, KUBE_EINVAL (bad
 * version, a period <= 0, default_toleration_seconds < 0), KUBE_ENOMEM.
 */
KUBE_EXTERN int kube_nodelifecycle_controller_new(kube_nodelifecycle_controller **out,
                                                  kube_informer_factory *f, kube_store *store,
                                                  const kube_nodelifecycle_options *opts);
KUBE_EXTERN void kube_nodelifecycle_controller_free(kube_nodelifecycle_controller *c);
KUBE_EXTERN kube_controller *kube_nodelifecycle_controller_runner(kube_nodelifecycle_controller *c);

typedef struct kube_nodelifecycle_stats {
	unsigned int version;            /* set by the caller: KUBE_NODELIFECYCLE_STATS_VERSION */
	uint64_t nodes_unknown;          /* status writes that made a node's Ready Unknown */
	uint64_t taint_writes;           /* node taint updates (added, swapped or removed) */
	uint64_t pods_marked_not_ready;  /* pod Ready conditions set False */
	uint64_t evictions;              /* pods deleted for a NoExecute taint */
	uint64_t cancelled;              /* scheduled evictions cancelled */
	size_t scheduled;                /* evictions waiting for their time now */
} kube_nodelifecycle_stats;

#define KUBE_NODELIFECYCLE_STATS_VERSION 1

/* Counters since the controller was made.  0 or KUBE_EINVAL. */
KUBE_EXTERN int kube_nodelifecycle_controller_get_stats(const kube_nodelifecycle_controller *c,
                                                        kube_nodelifecycle_stats *out);

/* ---- ResourceQuota ---- */

typedef struct kube_resourcequota_controller kube_resourcequota_controller;

typedef struct kube_resourcequota_options {
	unsigned int version;            /* KUBE_RESOURCEQUOTA_OPTIONS_VERSION */
	unsigned int workers;            /* quotas in flight (--concurrent-resource-quota-syncs, 5) */
	/* Full recalculation of each quota's usage (--resource-quota-sync-period,
	 * 5 minutes); events in the namespace recalculate it sooner. */
	int64_t resync_period_ns;
	/* Wall clock, nanoseconds since the Unix epoch (a deleted pod's grace
	 * period); also the workqueue's.  NULL = the system clocks. */
	kube_clock_cb clock;
	void *clock_userdata;
	const kube_workqueue_options *queue;   /* NULL = client-go's default */
} kube_resourcequota_options;

#define KUBE_RESOURCEQUOTA_OPTIONS_VERSION 1
#define KUBE_RESOURCEQUOTA_OPTIONS_INIT \
	{ KUBE_RESOURCEQUOTA_OPTIONS_VERSION, 5, (int64_t)300 * 1000000000, NULL, NULL, NULL }

/* Fills opts with the defaults of `version` (for bindings).  0 or KUBE_EINVAL. */
KUBE_EXTERN int kube_resourcequota_options_init(kube_resourcequota_options *opts,
                                                unsigned int version);

/*
 * The ResourceQuota controller and the ResourceQuota admission plugin in
 * one (upstream's pkg/controller/resourcequota and the apiserver's
 * admission/plugin/resourcequota, with the evaluators of
 * pkg/quota/v1/evaluator/core).
 *
 * The controller keeps each quota's status: status.hard = spec.hard,
 * status.used = the namespace's usage of exactly the resources spec.hard
 * names that an evaluator knows: pods, count/pods, cpu / requests.cpu,
 * memory / requests.memory, ephemeral-storage /
 * requests.ephemeral-storage, limits.cpu, limits.memory,
 * limits.ephemeral-storage, hugepages-<size> / requests.hugepages-<size>,
 * requests.<extended resource> (pods that are not Succeeded or Failed and
 * not past their deletion grace period; requests as the scheduler sums
 * them: the containers, restartable init containers, the largest init
 * container, plus spec.overhead); services, services.loadbalancers,
 * services.nodeports; persistentvolumeclaims, requests.storage and their
 * <class>.storageclass.storage.k8s.io/ forms; configmaps, secrets,
 * replicationcontrollers, resourcequotas; count/<resource>[.<group>] for
 * any resource of kinds.h.  Scopes Terminating, NotTerminating,
 * BestEffort, NotBestEffort, PriorityClass and CrossNamespacePodAffinity
 * (spec.scopes and spec.scopeSelector) restrict a quota to the pods that
 * match; a scoped quota counts no other kind, as upstream.  Status is
 * written only when it changed.
 *
 * The admission hook (added to store here, removed by _free) refuses a
 * CREATE (pods, any counted kind) or an UPDATE that grows a service's or
 * a claim's usage when, for a quota of the namespace whose status.hard
 * names a resource the object uses, used + the object's usage would pass
 * hard: KUBE_EPERM, 'pods "x" is forbidden: exceeded quota: q,
 * requested: pods=1, used: pods=2, limited: pods=2' (resources sorted).
 * Also upstream's "failed quota: q: must specify limits.cpu for: c;
 * requests.cpu for: c" (a quota on cpu or memory and a container without
 * that request or limit) and "status unknown for quota: q, resources:
 * pods" (status.hard names a resource status.used lacks).  As upstream,
 * admission reads status.hard: a quota whose status the controller has
 * not written yet limits nothing.  "used" is the quota's status.used plus
 * what the hook admitted since that status was computed, so writes
 * batched into one commit cannot together pass a quota.  Until the
 * quotas' informer has listed (start f right after this call), those
 * writes in a namespace are refused: 'pods "x" is forbidden: not yet
 * ready to handle request' (upstream's words after its wait).
 *
 * Reads quotas, pods, services, claims and the counted kinds through f
 * (informers made as quotas name them); writes quota status through
 * store.  opts NULL = the defaults.  Started.  Returns 0, KUBE_EINVAL
 * (bad version, workers 0, resync_period_ns <= 0), KUBE_ENOMEM.
 */
KUBE_EXTERN int kube_resourcequota_controller_new(kube_resourcequota_controller **out,
                                                  kube_informer_factory *f, kube_store *store,
                                                  const kube_resourcequota_options *opts);
/* Removes the admission hook and frees.  NULL is a no-op. */
KUBE_EXTERN void kube_resourcequota_controller_free(kube_resourcequota_controller *c);
KUBE_EXTERN kube_controller *kube_resourcequota_controller_runner(kube_resourcequota_controller *c);

typedef struct kube_resourcequota_stats {
	unsigned int version;            /* set by the caller: KUBE_RESOURCEQUOTA_STATS_VERSION */
	uint64_t status_writes;          /* quota status updates written */
	uint64_t admitted;               /* writes the hook charged to a quota */
	uint64_t refused;                /* writes the hook refused */
	size_t charges;                  /* admitted charges not yet in a written status */
} kube_resourcequota_stats;

#define KUBE_RESOURCEQUOTA_STATS_VERSION 1

/* Counters since the controller was made.  0 or KUBE_EINVAL. */
KUBE_EXTERN int kube_resourcequota_controller_get_stats(const kube_resourcequota_controller *c,
                                                        kube_resourcequota_stats *out);

KUBE_END_DECLS

#endif /* LIBKUBE_CONTROLLERS_H */
