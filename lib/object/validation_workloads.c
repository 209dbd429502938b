/*
 * validation_workloads.c - the workload controllers: Deployment, ReplicaSet,
 * DaemonSet, StatefulSet, Job and CronJob.
 *
 * Mirrors pkg/apis/apps/validation (ValidateDeployment(),
 * ValidateReplicaSet(), ValidateDaemonSet(), ValidateStatefulSet() and their
 * spec and update-strategy checks, with intstr's percent parsing) and
 * pkg/apis/batch/validation (ValidateJob(), validateJobSpec(),
 * ValidateCronJobCreate(), validateTimeZone()).  Each kind checks its
 * selector against its pod template, which validation_pod.c checks; a
 * CronJob's schedule goes to the cron parser of validation_cron.c.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <strings.h>
#include <string.h>

#include "validation_private.h"

/* ------------------------------------------------------------------------ */
/* workload controllers                                                      */

/* strconv.Atoi() as intstr.IntValue() uses it: 0 on any error. */
static int64_t go_atoi(const char *s)
{
	const char *p = s;
	int neg = 0;
	int64_t v = 0;

	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	if (!*p)
		return 0;
	for (; *p; p++) {
		if (*p < '0' || *p > '9')
			return 0;
		if (v > (INT64_MAX - (*p - '0')) / 10)
			return 0;
		v = v * 10 + (*p - '0');
	}
	return neg ? -v : v;
}

/* getPercentValue(): 1 and the number for "<digits>%". */
static int percent_value(const kube__val_intstr *v, int64_t *out)
{
	size_t n;

	if (!v->is_str)
		return 0;
	n = strlen(v->s);
	if (n < 2 || v->s[n - 1] != '%')
		return 0;
	for (size_t i = 0; i + 1 < n; i++)
		if (v->s[i] < '0' || v->s[i] > '9')
			return 0;
	*out = 0;
	for (size_t i = 0; i + 1 < n; i++) {
		if (*out > (INT64_MAX - (v->s[i] - '0')) / 10) {
			*out = 0;   /* strconv.Atoi fails: upstream ignores the error */
			return 1;
		}
		*out = *out * 10 + (v->s[i] - '0');
	}
	return 1;
}

static int64_t int_or_percent_value(const kube__val_intstr *v)
{
	int64_t p;
	if (percent_value(v, &p))
		return p;
	return v->is_str ? go_atoi(v->s) : v->i;
}

#define PERCENT_MSG "a valid percent string must be a numeric string followed by an ending '%' " \
                    "(e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')"

/* ValidatePositiveIntOrPercent() */
static void positive_int_or_percent(kube__val_ctx *c, const char *child, const kube__val_intstr *v)
{
	int64_t p;
	if (v->is_str) {
		if (!percent_value(v, &p))
			kube__val_invalid(c, child, kube__val_vstr(v->s), PERCENT_MSG);
	} else {
		kube__val_nonnegative(c, child, v->i);
	}
}

/* IsNotMoreThan100Percent() */
static void not_more_than_100_percent(kube__val_ctx *c, const char *child, const kube__val_intstr *v)
{
	int64_t p;
	if (percent_value(v, &p) && p > 100)
		kube__val_invalid(c, child, kube__val_vstr(v->s), "must not be greater than 100%");
}

/* A member that is an IntOrString, with a default when absent. */
static kube__val_intstr intstr_member(kube__val_ctx *c, json_object *map, const char *key, kube__val_intstr dflt)
{
	kube__val_intstr v;
	if (kube__val_get_intstr(c, map, key, &v) == 1)
		return v;
	return dflt;
}

static const kube__val_intstr INTSTR_25_PERCENT = { 1, 1, 0, "25%" };
static const kube__val_intstr INTSTR_ONE = { 1, 0, 1, NULL };
static const kube__val_intstr INTSTR_ZERO = { 1, 0, 0, NULL };

/* upstream's internal {Type, RollingUpdate{MaxUnavailable, MaxSurge}} as Go marshals it */
static void put_strategy_json(kube__buf *b, const char *type, json_object *ru)
{
	kube__buf_puts(b, "{\"Type\":");
	kube__val_put_go_json_string(b, type);
	kube__buf_puts(b, ",\"RollingUpdate\":");
	if (!ru) {
		kube__buf_puts(b, "null}");
		return;
	}
	kube__buf_puts(b, "{\"MaxUnavailable\":");
	if (kube__val_member(ru, "maxUnavailable"))
		kube__val_put_go_json(b, kube__val_member(ru, "maxUnavailable"));
	else
		kube__buf_puts(b, "0");
	kube__buf_puts(b, ",\"MaxSurge\":");
	if (kube__val_member(ru, "maxSurge"))
		kube__val_put_go_json(b, kube__val_member(ru, "maxSurge"));
	else
		kube__buf_puts(b, "0");
	kube__buf_puts(b, "}}");
}

static void invalid_raw_buf(kube__val_ctx *c, const char *child, kube__buf *raw, const char *detail,
                            const char *const *supported)
{
	if (raw->failed)
		c->oom = 1;
	else if (supported)
		kube__val_not_supported(c, child, kube__val_vraw(raw->data), supported);
	else
		kube__val_invalid(c, child, kube__val_vraw(raw->data), detail);
	kube__buf_free(raw);
}

/* The selector and template rules that ReplicaSets and Deployments share. */
static void validate_rs_selector_and_template(kube__val_ctx *c, json_object *spec, const char *what,
                                              const char *kind_name)
{
	json_object *sel;
	const char *rp;
	char detail[128];
	int bad = 0;

	if (kube__val_get_map(c, spec, "selector", &sel) == 0) {
		kube__val_required(c, "selector", NULL);
	} else if (sel) {
		bad = kube__val_validate_label_selector(c, "selector", sel);
		if (kube__val_selector_is_empty(sel)) {
			snprintf(detail, sizeof(detail), "empty selector is invalid for %s", what);
			kube__val_invalid_json(c, "selector", kube__val_put_selector_json, sel, detail);
		}
	} else {
		bad = 1;   /* a selector of the wrong type */
	}
	if (bad) {
		if (sel)
			kube__val_invalid_json(c, "selector", kube__val_put_selector_json, sel, "invalid label selector");
		return;
	}
	/* ValidatePodTemplateSpecForReplicaSet() */
	{
		json_object *tpl = kube__val_member(spec, "template");
		if (!(sel && kube__val_selector_is_empty(sel)) && !kube__val_selector_matches(sel, kube__val_template_labels(tpl)))
			kube__val_invalid_json(c, "template.metadata.labels", kube__val_put_labels_json, kube__val_template_labels(tpl),
			             "`selector` does not match template `labels`");
		tpl = kube__val_validate_pod_template(c, spec, NULL, &rp);
		if (rp && strcmp(rp, "Always") != 0) {
			static const char *const always[] = { "Always", NULL };
			kube__val_not_supported(c, "template.spec.restartPolicy", kube__val_vstr(rp), always);
		}
		if (kube__val_member(kube__val_member(tpl, "spec"), "activeDeadlineSeconds")) {
			snprintf(detail, sizeof(detail), "activeDeadlineSeconds in %s is not Supported", kind_name);
			kube__val_forbidden(c, "template.spec.activeDeadlineSeconds", detail);
		}
	}
}

json_object *kube__val_spec_of(kube__val_ctx *c, json_object *doc)
{
	json_object *spec;
	kube__val_get_map(c, doc, "spec", &spec);
	return spec;
}

/* ValidateDeploymentSpec() */
void kube__val_validate_deployment(kube__val_ctx *c, json_object *doc)
{
	static const char *const types[] = { "Recreate", "RollingUpdate", NULL };
	json_object *spec = kube__val_spec_of(c, doc), *strategy = NULL, *ru = NULL;
	const char *type = "RollingUpdate";
	int64_t replicas = 1, min_ready = 0, v, deadline = 600;
	size_t mark = kube__val_push(c, "spec");

	if (kube__val_get_int32(c, spec, "replicas", &replicas) >= 0)
		kube__val_nonnegative(c, "replicas", replicas);
	validate_rs_selector_and_template(c, spec, "deployment", "ReplicaSet");

	if (kube__val_get_map(c, spec, "strategy", &strategy) >= 0) {
		size_t m2 = kube__val_push(c, "strategy");
		const char *t;
		if (kube__val_get_string(c, strategy, "type", &t) == 1 && *t)
			type = t;
		kube__val_get_map(c, strategy, "rollingUpdate", &ru);
		if (strcmp(type, "Recreate") == 0) {
			if (ru)
				kube__val_forbidden(c, "rollingUpdate", "may not be specified when strategy `type` is 'Recreate'");
		} else if (strcmp(type, "RollingUpdate") == 0) {
			size_t m3 = kube__val_push(c, "rollingUpdate");
			kube__val_intstr mu = intstr_member(c, ru, "maxUnavailable", INTSTR_25_PERCENT);
			kube__val_intstr ms = intstr_member(c, ru, "maxSurge", INTSTR_25_PERCENT);
			positive_int_or_percent(c, "maxUnavailable", &mu);
			positive_int_or_percent(c, "maxSurge", &ms);
			if (int_or_percent_value(&mu) == 0 && int_or_percent_value(&ms) == 0)
				kube__val_invalid(c, "maxUnavailable", kube__val_intstr_value(&mu), "may not be 0 when `maxSurge` is 0");
			not_more_than_100_percent(c, "maxUnavailable", &mu);
			kube__val_pop(c, m3);
		} else {
			kube__buf raw = KUBE__BUF_INIT;
			put_strategy_json(&raw, type, ru);
			invalid_raw_buf(c, NULL, &raw, NULL, types);
		}
		kube__val_pop(c, m2);
	}
	if (kube__val_get_int32(c, spec, "minReadySeconds", &min_ready) == 1)
		kube__val_nonnegative(c, "minReadySeconds", min_ready);
	if (kube__val_get_int32(c, spec, "revisionHistoryLimit", &v) == 1)
		kube__val_nonnegative(c, "revisionHistoryLimit", v);
	if (kube__val_get_int32(c, spec, "progressDeadlineSeconds", &deadline) >= 0) {
		if (!kube__val_member(spec, "progressDeadlineSeconds"))
			deadline = 600;   /* defaulted */
		kube__val_nonnegative(c, "progressDeadlineSeconds", deadline);
		if (deadline <= min_ready)
			kube__val_invalid(c, "progressDeadlineSeconds", kube__val_vint(deadline), "must be greater than minReadySeconds");
	}
	kube__val_pop(c, mark);
}

/* ValidateReplicaSetSpec() */
void kube__val_validate_replicaset(kube__val_ctx *c, json_object *doc)
{
	json_object *spec = kube__val_spec_of(c, doc);
	int64_t v = 1;
	size_t mark = kube__val_push(c, "spec");

	if (kube__val_get_int32(c, spec, "replicas", &v) >= 0)
		kube__val_nonnegative(c, "replicas", v);
	kube__val_nonnegative_member(c, spec, "minReadySeconds");
	validate_rs_selector_and_template(c, spec, "deployment", "ReplicaSet");
	kube__val_pop(c, mark);
}

/* ValidateDaemonSetSpec() */
void kube__val_validate_daemonset(kube__val_ctx *c, json_object *doc)
{
	static const char *const types[] = { "RollingUpdate", "OnDelete", NULL };
	json_object *spec = kube__val_spec_of(c, doc), *sel = NULL, *us, *tpl;
	const char *rp;
	int64_t v;
	size_t mark = kube__val_push(c, "spec");
	int bad = 0;

	if (kube__val_get_map(c, spec, "selector", &sel) < 0)
		bad = 1;
	else if (sel)
		bad = kube__val_validate_label_selector(c, "selector", sel);
	tpl = kube__val_member(spec, "template");
	if (!bad && !kube__val_selector_matches(sel, kube__val_template_labels(tpl)) && !(sel && kube__val_selector_is_empty(sel)))
		kube__val_invalid_json(c, "template.metadata.labels", kube__val_put_labels_json, kube__val_template_labels(tpl),
		             "`selector` does not match template `labels`");
	if (sel && kube__val_selector_is_empty(sel))
		kube__val_invalid_json(c, "selector", kube__val_put_selector_json, sel, "empty selector is invalid for daemonset");
	tpl = kube__val_validate_pod_template(c, spec, NULL, &rp);
	if (rp && strcmp(rp, "Always") != 0) {
		static const char *const always[] = { "Always", NULL };
		kube__val_not_supported(c, "template.spec.restartPolicy", kube__val_vstr(rp), always);
	}
	if (kube__val_member(kube__val_member(tpl, "spec"), "activeDeadlineSeconds"))
		kube__val_forbidden(c, "template.spec.activeDeadlineSeconds", "activeDeadlineSeconds in DaemonSet is not Supported");
	kube__val_nonnegative_member(c, spec, "minReadySeconds");
	if (kube__val_get_int64(c, spec, "templateGeneration", &v) == 1)
		kube__val_nonnegative(c, "templateGeneration", v);
	if (kube__val_get_map(c, spec, "updateStrategy", &us) >= 0) {
		size_t m2 = kube__val_push(c, "updateStrategy");
		const char *type = kube__val_get_str_or(c, us, "type", "");
		json_object *ru = NULL;

		if (!*type)
			type = "RollingUpdate";   /* defaulted */
		kube__val_get_map(c, us, "rollingUpdate", &ru);
		if (strcmp(type, "RollingUpdate") == 0) {
			size_t m3 = kube__val_push(c, "rollingUpdate");
			kube__val_intstr mu = intstr_member(c, ru, "maxUnavailable", INTSTR_ONE);
			kube__val_intstr ms = intstr_member(c, ru, "maxSurge", INTSTR_ZERO);
			int has_mu, has_ms;
			positive_int_or_percent(c, "maxUnavailable", &mu);
			positive_int_or_percent(c, "maxSurge", &ms);
			not_more_than_100_percent(c, "maxUnavailable", &mu);
			not_more_than_100_percent(c, "maxSurge", &ms);
			has_mu = int_or_percent_value(&mu) != 0;
			has_ms = int_or_percent_value(&ms) != 0;
			if (has_mu && has_ms)
				kube__val_invalid(c, "maxSurge", kube__val_intstr_value(&ms), "may not be set when maxUnavailable is non-zero");
			else if (!has_mu && !has_ms)
				kube__val_required(c, "maxUnavailable", "cannot be 0 when maxSurge is 0");
			kube__val_pop(c, m3);
		} else if (strcmp(type, "OnDelete") != 0) {
			kube__buf raw = KUBE__BUF_INIT;
			put_strategy_json(&raw, type, ru);
			invalid_raw_buf(c, NULL, &raw, NULL, types);
		}
		kube__val_pop(c, m2);
	}
	if (kube__val_get_int32(c, spec, "revisionHistoryLimit", &v) == 1)
		kube__val_nonnegative(c, "revisionHistoryLimit", v);
	kube__val_pop(c, mark);
}

/* ValidateStatefulSetSpec() */
void kube__val_validate_statefulset(kube__val_ctx *c, json_object *doc)
{
	static const char *const retain_delete[] = { "Retain", "Delete", NULL };
	json_object *spec = kube__val_spec_of(c, doc), *us, *pol, *sel = NULL, *tpl, *claims, *ord;
	kube__val_nameset claim_names = { 0 };
	const char *pmp, *rp, *svc;
	size_t mark = kube__val_push(c, "spec");
	int64_t v;
	int bad = 0;

	/* kubernetes#130233: the pods' subdomain, so a DNS-1123 label when set */
	if (*(svc = kube__val_get_str_or(c, spec, "serviceName", "")))
		kube__val_check_name(c, "serviceName", kube__check_dns1123_label, svc);
	pmp = kube__val_get_str_dflt(c, spec, "podManagementPolicy", "OrderedReady");
	if (!*pmp)
		kube__val_required(c, "podManagementPolicy", NULL);
	else if (strcmp(pmp, "OrderedReady") != 0 && strcmp(pmp, "Parallel") != 0)
		kube__val_invalid(c, "podManagementPolicy", kube__val_vstr(pmp), "must be 'OrderedReady' or 'Parallel'");

	if (kube__val_get_map(c, spec, "updateStrategy", &us) >= 0) {
		const char *type = kube__val_get_str_or(c, us, "type", "");
		json_object *ru = NULL;
		size_t m2 = kube__val_push(c, "updateStrategy");

		if (!*type)
			type = "RollingUpdate";   /* defaulted */
		kube__val_get_map(c, us, "rollingUpdate", &ru);
		if (strcmp(type, "OnDelete") == 0) {
			if (ru) {
				kube__buf raw = KUBE__BUF_INIT;
				kube__buf_puts(&raw, "{\"Partition\":");
				if (kube__val_member(ru, "partition"))
					kube__val_put_go_json(&raw, kube__val_member(ru, "partition"));
				else
					kube__buf_puts(&raw, "0");
				kube__buf_puts(&raw, ",\"MaxUnavailable\":");
				kube__val_put_go_json(&raw, kube__val_member(ru, "maxUnavailable"));
				kube__buf_putc(&raw, '}');
				invalid_raw_buf(c, "rollingUpdate", &raw,
				                "only allowed for updateStrategy 'RollingUpdate'", NULL);
			}
		} else if (strcmp(type, "RollingUpdate") == 0) {
			if (ru) {
				size_t m3 = kube__val_push(c, "rollingUpdate");
				kube__val_intstr mu;
				kube__val_nonnegative_member(c, ru, "partition");
				if (kube__val_get_intstr(c, ru, "maxUnavailable", &mu) == 1) {
					positive_int_or_percent(c, "maxUnavailable", &mu);
					if (int_or_percent_value(&mu) == 0)
						kube__val_invalid(c, "maxUnavailable", kube__val_intstr_value(&mu), "cannot be 0");
					not_more_than_100_percent(c, "maxUnavailable", &mu);
				}
				kube__val_pop(c, m3);
			}
		} else {
			kube__buf raw = KUBE__BUF_INIT;
			kube__buf_puts(&raw, "{\"Type\":");
			kube__val_put_go_json_string(&raw, type);
			kube__buf_puts(&raw, ",\"RollingUpdate\":");
			if (ru) {
				kube__buf_puts(&raw, "{\"Partition\":");
				if (kube__val_member(ru, "partition"))
					kube__val_put_go_json(&raw, kube__val_member(ru, "partition"));
				else
					kube__buf_puts(&raw, "0");
				kube__buf_puts(&raw, ",\"MaxUnavailable\":");
				kube__val_put_go_json(&raw, kube__val_member(ru, "maxUnavailable"));
				kube__buf_puts(&raw, "}}");
			} else {
				kube__buf_puts(&raw, "null}");
			}
			invalid_raw_buf(c, NULL, &raw, "must be 'RollingUpdate' or 'OnDelete'", NULL);
		}
		kube__val_pop(c, m2);
	}
	if (kube__val_get_map(c, spec, "persistentVolumeClaimRetentionPolicy", &pol) == 1) {
		static const char *const keys[] = { "whenDeleted", "whenScaled", NULL };
		size_t m2 = kube__val_push(c, "persistentVolumeClaimRetentionPolicy");
		for (size_t i = 0; keys[i]; i++) {
			const char *p = kube__val_get_str_dflt(c, pol, keys[i], "Retain");
			if (!kube__val_is_one_of(p, retain_delete))
				kube__val_not_supported(c, keys[i], kube__val_vstr(p), retain_delete);
		}
		kube__val_pop(c, m2);
	}
	kube__val_nonnegative_member(c, spec, "replicas");
	kube__val_nonnegative_member(c, spec, "minReadySeconds");
	if (kube__val_get_map(c, spec, "ordinals", &ord) == 1 && kube__val_get_int32(c, ord, "start", &v) == 1)
		kube__val_nonnegative(c, "ordinals.start", v);

	if (kube__val_get_map(c, spec, "selector", &sel) == 0) {
		kube__val_required(c, "selector", NULL);
	} else if (sel) {
		bad = kube__val_validate_label_selector(c, "selector", sel);
		if (kube__val_selector_is_empty(sel))
			kube__val_invalid_json(c, "selector", kube__val_put_selector_json, sel, "empty selector is invalid for statefulset");
	} else {
		bad = 1;
	}
	if (bad) {
		if (sel)
			kube__val_invalid_json(c, "selector", kube__val_put_selector_json, sel, "");
	} else {
		tpl = kube__val_member(spec, "template");
		if (!(sel && kube__val_selector_is_empty(sel)) && !kube__val_selector_matches(sel, kube__val_template_labels(tpl)))
			kube__val_invalid_json(c, "template.metadata.labels", kube__val_put_labels_json, kube__val_template_labels(tpl),
			             "`selector` does not match template `labels`");
	}
	/*
	 * Upstream leaves a StatefulSet's pod spec to the pods it creates (the
	 * volumeClaimTemplates would not resolve); we check it here, with the
	 * claim templates as volumes, so the pods' own rejections show up early.
	 */
	if (kube__val_get_array(c, spec, "volumeClaimTemplates", &claims) == 1) {
		for (size_t i = 0; i < json_object_array_length(claims); i++) {
			json_object *md = kube__val_member(json_object_array_get_idx(claims, i), "metadata");
			json_object *n = kube__val_member(md, "name");
			if (n && json_object_is_type(n, json_type_string))
				kube__val_nameset_add(c, &claim_names, kube__val_str_of(n));
		}
	}
	tpl = kube__val_validate_pod_template(c, spec, &claim_names, &rp);
	kube__val_nameset_free(&claim_names);
	if (rp && strcmp(rp, "Always") != 0) {
		static const char *const always[] = { "Always", NULL };
		kube__val_not_supported(c, "template.spec.restartPolicy", kube__val_vstr(rp), always);
	}
	if (kube__val_member(kube__val_member(tpl, "spec"), "activeDeadlineSeconds"))
		kube__val_forbidden(c, "template.spec.activeDeadlineSeconds", "activeDeadlineSeconds in StatefulSet is not Supported");
	kube__val_pop(c, mark);
}

/* validateJobSpec() at the current path ("spec" or "spec.jobTemplate.spec"). */
static void validate_job_spec(kube__val_ctx *c, json_object *spec)
{
	static const char *const job_policies[] = { "OnFailure", "Never", NULL };
	static const char *const modes[] = { "NonIndexed", "Indexed", NULL };
	const char *rp, *mode = NULL;
	int64_t v, completions = 0, parallelism = 0, per_index = 0, max_failed = 0;
	int has_completions, has_parallelism, has_per_index, has_max_failed;

	if ((has_parallelism = kube__val_get_int32(c, spec, "parallelism", &parallelism) == 1))
		kube__val_nonnegative(c, "parallelism", parallelism);
	if ((has_completions = kube__val_get_int32(c, spec, "completions", &completions) == 1))
		kube__val_nonnegative(c, "completions", completions);
	if (kube__val_get_int64(c, spec, "activeDeadlineSeconds", &v) == 1)
		kube__val_nonnegative(c, "activeDeadlineSeconds", v);
	kube__val_nonnegative_member(c, spec, "backoffLimit");
	kube__val_nonnegative_member(c, spec, "ttlSecondsAfterFinished");
	if ((has_per_index = kube__val_get_int32(c, spec, "backoffLimitPerIndex", &per_index) == 1))
		kube__val_nonnegative(c, "backoffLimitPerIndex", per_index);
	if ((has_max_failed = kube__val_get_int32(c, spec, "maxFailedIndexes", &max_failed) == 1)) {
		kube__val_nonnegative(c, "maxFailedIndexes", max_failed);
		if (!has_per_index)
			kube__val_required(c, "backoffLimitPerIndex", "when maxFailedIndexes is specified");
	}
	if (kube__val_get_string(c, spec, "completionMode", &mode) == 1) {
		if (!kube__val_is_one_of(mode, modes))
			kube__val_not_supported(c, "completionMode", kube__val_vstr(mode), modes);
		if (strcmp(mode, "Indexed") == 0) {
			if (!has_completions)
				kube__val_required(c, "completions", "when completion mode is Indexed");
			if (has_parallelism && parallelism > 100000)
				kube__val_invalid(c, "parallelism", kube__val_vint(parallelism),
				        "must be less than or equal to 100000 when completion mode is Indexed");
			if (has_completions && has_max_failed && max_failed > completions)
				kube__val_invalid(c, "maxFailedIndexes", kube__val_vint(max_failed), "must be less than or equal to completions");
		}
	}
	if (!mode || strcmp(mode, "NonIndexed") == 0) {
		if (has_per_index)
			kube__val_invalid(c, "backoffLimitPerIndex", kube__val_vint(per_index), "requires indexed completion mode");
		if (has_max_failed)
			kube__val_invalid(c, "maxFailedIndexes", kube__val_vint(max_failed), "requires indexed completion mode");
	}
	kube__val_validate_pod_template(c, spec, NULL, &rp);
	/* an absent restartPolicy was defaulted to Always */
	if (!rp)
		return;
	if (strcmp(rp, "Always") == 0 || !*rp)
		kube__val_required(c, "template.spec.restartPolicy", "valid values: \"OnFailure\", \"Never\"");
	else if (!kube__val_is_one_of(rp, job_policies))
		kube__val_not_supported(c, "template.spec.restartPolicy", kube__val_vstr(rp), job_policies);
	else if (kube__val_member(spec, "podFailurePolicy") && strcmp(rp, "Never") != 0)
		kube__val_invalid(c, "template.spec.restartPolicy", kube__val_vstr(rp),
		        "only \"Never\" is supported when podFailurePolicy is specified");
}

/* ValidateJob(): a selector only matters with manualSelector: true, else the
 * server generates both the selector and the matching template labels. */
void kube__val_validate_job(kube__val_ctx *c, json_object *doc)
{
	json_object *spec = kube__val_spec_of(c, doc), *sel;
	size_t mark = kube__val_push(c, "spec");
	int manual = 0, bad = 0;

	validate_job_spec(c, spec);
	kube__val_get_bool(c, spec, "manualSelector", &manual);
	if (manual) {
		if (kube__val_get_map(c, spec, "selector", &sel) == 0)
			kube__val_required(c, "selector", NULL);
		else if (sel)
			bad = kube__val_validate_label_selector(c, "selector", sel);
		else
			bad = 1;
		if (!bad && !kube__val_selector_matches(sel, kube__val_template_labels(kube__val_member(spec, "template"))) &&
		    !(sel && kube__val_selector_is_empty(sel)))
			kube__val_invalid_json(c, "template.metadata.labels", kube__val_put_labels_json,
			             kube__val_template_labels(kube__val_member(spec, "template")),
			             "`selector` does not match template `labels`");
	}
	kube__val_pop(c, mark);
	/* an Indexed Job's pods are named <job>-<index>: the last must be a DNS label */
	{
		json_object *mode = kube__val_member(spec, "completionMode"), *comp = kube__val_member(spec, "completions");
		const char *name = kube__val_get_str_or(c, kube__val_member(doc, "metadata"), "name", "");
		if (mode && json_object_is_type(mode, json_type_string) &&
		    strcmp(kube__val_str_of(mode), "Indexed") == 0 &&
		    comp && json_object_is_type(comp, json_type_int) && json_object_get_int64(comp) > 0 &&
		    json_object_get_int64(comp) <= INT32_MAX) {
			char host[600], detail[700];
			snprintf(host, sizeof(host), "%s-%" PRId64, name, json_object_get_int64(comp) - 1);
			if (kube__check_dns1123_label(host, strlen(host), NULL)) {
				snprintf(detail, sizeof(detail), "will not able to create pod with invalid DNS label: %s", host);
				kube__val_invalid(c, "metadata.name", kube__val_vstr(name), detail);
			}
		}
	}
}


/*
 * validateTimeZone(), without its final time.LoadLocation(): that reads the
 * zone database, which a pure check does not do (see validation.c).
 */
static void validate_time_zone(kube__val_ctx *c, json_object *spec)
{
	const char *tz;
	char detail[600];

	if (kube__val_get_string(c, spec, "timeZone", &tz) != 1)
		return;
	if (!*tz) {
		kube__val_invalid(c, "timeZone", kube__val_vstr(tz), "timeZone must be nil or non-empty string");
		return;
	}
	for (const char *p = tz;;) {
		const char *e = strchr(p, '/');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		int ok = n >= 1 && n <= 14 && p[0] != '-' &&
		         !(n == 1 && p[0] == '.') && !(n == 2 && p[0] == '.' && p[1] == '.');
		for (size_t i = 0; ok && i < n; i++)
			ok = isalnum((unsigned char)p[i]) || strchr(".-_+", p[i]) != NULL;
		if (!ok) {
			snprintf(detail, sizeof(detail), "unknown time zone %s", tz);
			kube__val_invalid(c, "timeZone", kube__val_vstr(tz), detail);
			return;
		}
		if (!e)
			break;
		p = e + 1;
	}
	if (strcasecmp(tz, "Local") == 0)
		kube__val_invalid(c, "timeZone", kube__val_vstr(tz),
		        "timeZone must be an explicit time zone as defined in https://www.iana.org/time-zones");
}

static const char *const concurrency_policies[] = { "Allow", "Forbid", "Replace", NULL };

/* ValidateCronJobCreate() */
void kube__val_validate_cronjob(kube__val_ctx *c, json_object *doc)
{
	json_object *spec = kube__val_spec_of(c, doc), *jt, *jspec = NULL;
	const char *sched, *cp, *name;
	size_t mark = kube__val_push(c, "spec");
	int64_t v;

	sched = kube__val_get_str_or(c, spec, "schedule", "");
	if (!*sched) {
		kube__val_required(c, "schedule", NULL);
	} else {
		char msg[1024];
		if (kube__val_cron_parse_standard(sched, msg, sizeof(msg)))
			kube__val_invalid(c, "schedule", kube__val_vstr(sched), msg);
		if (strstr(sched, "TZ"))
			kube__val_invalid(c, "schedule", kube__val_vstr(sched),
			        "cannot use TZ or CRON_TZ in schedule, use timeZone field instead");
	}
	if (kube__val_get_int64(c, spec, "startingDeadlineSeconds", &v) == 1)
		kube__val_nonnegative(c, "startingDeadlineSeconds", v);
	cp = kube__val_get_str_dflt(c, spec, "concurrencyPolicy", "Allow");
	if (!*cp)
		kube__val_required(c, "concurrencyPolicy", NULL);
	else if (!kube__val_is_one_of(cp, concurrency_policies))
		kube__val_not_supported(c, "concurrencyPolicy", kube__val_vstr(cp), concurrency_policies);
	if (kube__val_get_map(c, spec, "jobTemplate", &jt) >= 0) {
		size_t m2 = kube__val_push(c, "jobTemplate");
		int manual = 0;
		if (kube__val_get_map(c, jt, "spec", &jspec) >= 0) {
			size_t m3 = kube__val_push(c, "spec");
			json_object *sel = kube__val_member(jspec, "selector");
			validate_job_spec(c, jspec);
			if (sel)
				kube__val_invalid_json(c, "selector", kube__val_put_selector_json, sel, "`selector` will be auto-generated");
			if (kube__val_get_bool(c, jspec, "manualSelector", &manual) == 1 && manual) {
				static const char *const nil_false[] = { "nil", "false", NULL };
				kube__val_not_supported(c, "manualSelector", kube__val_vraw("true"), nil_false);
			}
			kube__val_pop(c, m3);
		}
		kube__val_pop(c, m2);
	}
	kube__val_nonnegative_member(c, spec, "successfulJobsHistoryLimit");
	kube__val_nonnegative_member(c, spec, "failedJobsHistoryLimit");
	validate_time_zone(c, spec);
	kube__val_pop(c, mark);
	/* the controller appends an 11-character suffix to make Job names */
	name = kube__val_get_str_or(c, kube__val_member(doc, "metadata"), "name", "");
	if (strlen(name) > 52)
		kube__val_invalid(c, "metadata.name", kube__val_vstr(name), "must be no more than 52 characters");
}

