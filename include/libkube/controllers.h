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

/* ---- Node lifecycle ---- */

/* ---- ResourceQuota ---- */

KUBE_END_DECLS

#endif /* LIBKUBE_CONTROLLERS_H */
