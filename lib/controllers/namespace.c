/*
 * namespace.c - namespace deletion (kube-controller-manager's namespace
 * controller and its namespaced-resources deleter).
 *
 * A namespace being deleted (deletionTimestamp; kube_delete made it
 * Terminating with the "kubernetes" finalizer in spec.finalizers and in
 * metadata.finalizers, lifecycle.h) is reconciled until it is empty:
 *
 *   phase Terminating (if someone else set the deletionTimestamp)
 *   every object of every namespaced kind in it: kube_delete, Background
 *     (as upstream: the namespace controller never orphans)
 *   status.conditions: upstream's five, in its order, with its reasons and
 *     messages ("Some resources are remaining: pods. has 2 resource
 *     instances"); lastTransitionTime moves only when a status changes
 *   content left (finalizers, or errors): look again after recheck_ms
 *   nothing left: "kubernetes" leaves spec.finalizers; with spec.finalizers
 *     empty it leaves metadata.finalizers too, and the store deletes the
 *     namespace
 *
 * The kinds come from the kinds registry (every namespaced kind), which
 * stands for upstream's discovery: so discovery and group-version parsing
 * never fail here, and those two conditions are always False.
 * A namespace that vanished without going through Terminating (a plain
 * kube_store_delete) still has its content deleted, so nothing is left
 * behind in a namespace that no longer exists.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "controllers_private.h"
#include "libkube/kinds.h"
#include "libkube/lifecycle.h"

struct kube_namespace_controller {
	kube_store *store;
	kube_informer *inf;
	kube_informer_handler *h;
	kube_controller *ctrl;
	uint64_t recheck_ms;
};

enum { C_DISCOVERY, C_GVPARSING, C_CONTENT_FAILURE, C_CONTENT_REMAINING, C_FINALIZERS, C_COUNT };

static const char *const cond_type[C_COUNT] = {
	"NamespaceDeletionDiscoveryFailure", "NamespaceDeletionGroupVersionParsingFailure",
	"NamespaceDeletionContentFailure", "NamespaceContentRemaining", "NamespaceFinalizersRemaining"
};
static const char *const ok_reason[C_COUNT] = {
	"ResourcesDiscovered", "ParsedGroupVersions", "ContentDeleted", "ContentRemoved",
	"ContentRemoved"
};
static const char *const ok_message[C_COUNT] = {
	"All resources successfully discovered", "All legacy kube types successfully parsed",
	"All content successfully deleted, may be waiting on finalization",
	"All content successfully removed", "All content successfully removed"
};

typedef struct cond {
	int is_true;
	const char *reason;
	char *message;                  /* owned */
} cond;

/* ---- what is left ---- */

typedef struct tally {
	char *res_msgs[128];            /* "pods. has 2 resource instances" */
	size_t nres;
	struct { char *name; long n; } fins[64];
	size_t nfins;
	char *errors[128];
	size_t nerrors;
} tally;

static char *dup_printf(const char *fmt, ...) KUBE_PRINTF(1, 2);
static char *dup_printf(const char *fmt, ...)
{
	kube__buf b = KUBE__BUF_INIT;
	char tmp[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	kube__buf_puts(&b, tmp);
	return b.failed ? (kube__buf_free(&b), NULL) : kube__buf_detach(&b, NULL);
}

static void tally_free(tally *t)
{
	for (size_t i = 0; i < t->nres; i++)
		kube_free(t->res_msgs[i]);
	for (size_t i = 0; i < t->nfins; i++)
		kube_free(t->fins[i].name);
	for (size_t i = 0; i < t->nerrors; i++)
		kube_free(t->errors[i]);
}

static void count_finalizer(tally *t, const char *f)
{
	for (size_t i = 0; i < t->nfins; i++) {
		if (strcmp(t->fins[i].name, f) == 0) {
			t->fins[i].n++;
			return;
		}
	}
	if (t->nfins < KUBE_ARRAY_SIZE(t->fins) && (t->fins[t->nfins].name = dup_printf("%s", f)))
		t->fins[t->nfins++].n = 1;
}

/* Deletes what `resource` has in ns; counts what stays. */
static int delete_resource(kube_store *st, const kube_kind_info *k, const char *ns, tally *t)
{
	kube_list_options lo = KUBE_LIST_OPTIONS_INIT;
	kube_object_list *l = NULL;
	long left = 0;
	int rc;

	lo.namespace_ = ns;
	if ((rc = kube_store_list(&l, st, k->resource, &lo, NULL, NULL)) != 0)
		return rc;
	for (size_t i = 0; i < kube_object_list_count(l); i++) {
		kube_object *o = kube_object_list_get(l, i), *last = NULL;
		kube_delete_options d = KUBE_DELETE_OPTIONS_INIT;
		d.uid = kube_object_uid(o);
		if (!kube_object_deletion_timestamp(o)) {
			rc = kube_delete(&last, st, k->resource, ns, kube_object_name(o),
			                 KUBE_PROPAGATION_BACKGROUND, &d);
			if (rc == KUBE_ENOTFOUND || rc == KUBE_ECONFLICT) {
				rc = 0;
				continue;   /* gone, or replaced: the next round sees it */
			}
			if (rc != 0) {
				const kube_error *e = kube_error_last();
				if (t->nerrors < KUBE_ARRAY_SIZE(t->errors))
					t->errors[t->nerrors++] = dup_printf("%s", e && e->message ? e->message
					                                                        : kube_strerror(rc));
				kube_object_list_free(l);
				return 0;
			}
			o = last;
		}
		/* Only an object with finalizers outlives its delete. */
		if (o && kube_object_finalizer_count(o) > 0) {
			left++;
			for (size_t f = 0; f < kube_object_finalizer_count(o); f++)
				count_finalizer(t, kube_object_finalizer(o, f));
		}
		kube_object_unref(last);
	}
	kube_object_list_free(l);
	if (left && t->nres < KUBE_ARRAY_SIZE(t->res_msgs))
		t->res_msgs[t->nres++] = dup_printf("%s.%s has %ld resource instances", k->resource,
		                                    k->group, left);
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *joined(const char *prefix, char **v, size_t n)
{
	kube__buf b = KUBE__BUF_INIT;
	qsort(v, n, sizeof(*v), cmp_str);   /* upstream sorts "for stable updates" */
	kube__buf_puts(&b, prefix);
	for (size_t i = 0; i < n; i++) {
		if (i)
			kube__buf_puts(&b, ", ");
		kube__buf_puts(&b, v[i]);
	}
	return b.failed ? (kube__buf_free(&b), NULL) : kube__buf_detach(&b, NULL);
}

/* ---- status ---- */

typedef struct ns_status {
	cond c[C_COUNT];
	int changed;
} ns_status;

static void now_rfc3339(char out[32])
{
	struct tm tm;
	time_t t = time(NULL);
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* upstream's updateConditions: the five types in order, each either as
 * it was (same status, reason and message), or rewritten, keeping the
 * old lastTransitionTime unless the status changed. */
static int write_conditions(kube_object *ns, void *ud)
{
	ns_status *s = ud;
	kube__buf b = KUBE__BUF_INIT;
	size_t n = 0;
	char ts[32];
	int rc;

	if (!kube_object_deletion_timestamp(ns))
		return KUBE_ECANCELED;
	now_rfc3339(ts);
	kube_object_get_len(ns, "status.conditions", &n);
	s->changed = 0;
	kube__buf_putc(&b, '[');
	for (int c = 0; c < C_COUNT; c++) {
		const char *when = ts, *old_status = NULL, *old_reason = NULL, *old_msg = NULL;
		const char *st = s->c[c].is_true ? "True" : "False";
		for (size_t i = 0; i < n; i++) {
			char path[64];
			const char *type;
			snprintf(path, sizeof(path), "status.conditions[%zu].type", i);
			if (kube_object_get_string(ns, path, &type) != 0 || strcmp(type, cond_type[c]) != 0)
				continue;
			snprintf(path, sizeof(path), "status.conditions[%zu].status", i);
			kube_object_get_string(ns, path, &old_status);
			snprintf(path, sizeof(path), "status.conditions[%zu].reason", i);
			kube_object_get_string(ns, path, &old_reason);
			snprintf(path, sizeof(path), "status.conditions[%zu].message", i);
			kube_object_get_string(ns, path, &old_msg);
			snprintf(path, sizeof(path), "status.conditions[%zu].lastTransitionTime", i);
			if (old_status && strcmp(old_status, st) == 0)
				kube_object_get_string(ns, path, &when);
			break;
		}
		if (!old_status || strcmp(old_status, st) != 0 || !old_reason ||
		    strcmp(old_reason, s->c[c].reason) != 0 || !old_msg ||
		    strcmp(old_msg, s->c[c].message) != 0)
			s->changed = 1;
		kube__buf_printf(&b, "%s{\"type\":\"%s\",\"status\":\"%s\",\"lastTransitionTime\":\"%s\","
		                     "\"reason\":\"%s\",\"message\":",
		                 c ? "," : "", cond_type[c], st, when, s->c[c].reason);
		kube__go_json_string(&b, s->c[c].message, strlen(s->c[c].message));
		kube__buf_putc(&b, '}');
	}
	kube__buf_putc(&b, ']');
	if (b.failed) {
		kube__buf_free(&b);
		return kube__error_oom();
	}
	rc = kube_object_set_string(ns, "status.phase", "Terminating");
	if (rc == 0 && s->changed)
		rc = kube_object_set_json(ns, "status.conditions", b.data);
	kube__buf_free(&b);
	return rc;
}

/* Removes "kubernetes" from spec.finalizers, and from metadata.finalizers
 * once spec.finalizers is empty (then the store deletes the namespace). */
static int finalize(kube_object *ns, void *ud)
{
	kube__buf b = KUBE__BUF_INIT;
	size_t n = 0, kept = 0;
	int rc = 0;
	(void)ud;

	kube_object_get_len(ns, "spec.finalizers", &n);
	kube__buf_putc(&b, '[');
	for (size_t i = 0; i < n; i++) {
		char path[48];
		const char *f;
		snprintf(path, sizeof(path), "spec.finalizers[%zu]", i);
		if (kube_object_get_string(ns, path, &f) != 0 || strcmp(f, KUBE_FINALIZER_NAMESPACE) == 0)
			continue;
		if (kept++)
			kube__buf_putc(&b, ',');
		kube__go_json_string(&b, f, strlen(f));
	}
	kube__buf_putc(&b, ']');
	if (b.failed) {
		kube__buf_free(&b);
		return kube__error_oom();
	}
	if (n)
		rc = kube_object_set_json(ns, "spec.finalizers", b.data);
	kube__buf_free(&b);
	if (rc == 0 && kept == 0 && kube_object_has_finalizer(ns, KUBE_FINALIZER_NAMESPACE)) {
		/* metadata.finalizers without "kubernetes" */
		size_t m = kube_object_finalizer_count(ns), left = 0;
		kube__buf f = KUBE__BUF_INIT;
		kube__buf_putc(&f, '[');
		for (size_t i = 0; i < m; i++) {
			const char *x = kube_object_finalizer(ns, i);
			if (strcmp(x, KUBE_FINALIZER_NAMESPACE) == 0)
				continue;
			if (left++)
				kube__buf_putc(&f, ',');
			kube__go_json_string(&f, x, strlen(x));
		}
		kube__buf_putc(&f, ']');
		if (f.failed)
			rc = kube__error_oom();
		else
			rc = left ? kube_object_set_json(ns, "metadata.finalizers", f.data)
			          : kube_object_remove(ns, "metadata.finalizers");
		kube__buf_free(&f);
	}
	return rc;
}

static int delete_content(kube_namespace_controller *c, const char *ns, tally *t)
{
	for (size_t i = 0; i < kube_kind_count(); i++) {
		const kube_kind_info *k = kube_kind_at(i);
		int rc;
		if (!k->namespaced)
			continue;
		if ((rc = delete_resource(c->store, k, ns, t)) != 0 && rc != KUBE_EINVAL)
			return rc;
	}
	return 0;
}

static int reconcile(kube_controller *ctrl, const char *key, int64_t *after, void *ud)
{
	kube_namespace_controller *c = ud;
	kube_object *ns = NULL;
	tally t;
	ns_status s;
	int rc;
	(void)ctrl;

	memset(&t, 0, sizeof(t));
	rc = kube_store_get(&ns, c->store, "namespaces", NULL, key);
	if (rc == KUBE_ENOTFOUND) {
		/* Gone without Terminating: still leave nothing behind in it. */
		rc = delete_content(c, key, &t);
		tally_free(&t);
		return rc;
	}
	if (rc != 0)
		return rc;
	if (!kube_object_deletion_timestamp(ns)) {
		kube_object_unref(ns);
		return 0;
	}
	kube_object_unref(ns);
	if ((rc = delete_content(c, key, &t)) != 0) {
		tally_free(&t);
		return rc;
	}
	memset(&s, 0, sizeof(s));
	for (int i = 0; i < C_COUNT; i++) {
		s.c[i].reason = ok_reason[i];
		s.c[i].message = dup_printf("%s", ok_message[i]);
	}
	if (t.nerrors) {
		char *list = joined("", t.errors, t.nerrors);
		kube_free(s.c[C_CONTENT_FAILURE].message);
		s.c[C_CONTENT_FAILURE].is_true = 1;
		s.c[C_CONTENT_FAILURE].reason = "ContentDeletionFailed";
		s.c[C_CONTENT_FAILURE].message =
		        dup_printf("Failed to delete all resource types, %zu remaining: %s", t.nerrors,
		                   list ? list : "");
		kube_free(list);
	}
	if (t.nres) {
		kube_free(s.c[C_CONTENT_REMAINING].message);
		s.c[C_CONTENT_REMAINING].is_true = 1;
		s.c[C_CONTENT_REMAINING].reason = "SomeResourcesRemain";
		s.c[C_CONTENT_REMAINING].message = joined("Some resources are remaining: ", t.res_msgs,
		                                          t.nres);
	}
	if (t.nfins) {
		char *msgs[64];
		for (size_t i = 0; i < t.nfins; i++)
			msgs[i] = dup_printf("%s in %ld resource instances", t.fins[i].name, t.fins[i].n);
		kube_free(s.c[C_FINALIZERS].message);
		s.c[C_FINALIZERS].is_true = 1;
		s.c[C_FINALIZERS].reason = "SomeFinalizersRemain";
		s.c[C_FINALIZERS].message =
		        joined("Some content in the namespace has finalizers remaining: ", msgs, t.nfins);
		for (size_t i = 0; i < t.nfins; i++)
			kube_free(msgs[i]);
	}
	rc = 0;
	for (int i = 0; i < C_COUNT; i++)
		if (!s.c[i].message)
			rc = kube__error_oom();
	if (rc == 0)
		rc = kube_store_guaranteed_update(NULL, c->store, "namespaces", NULL, key,
		                                  write_conditions, &s);
	for (int i = 0; i < C_COUNT; i++)
		kube_free(s.c[i].message);
	if (rc == KUBE_ENOTFOUND || rc == KUBE_ECANCELED)
		rc = 0;
	else if (rc == 0 && !t.nres && !t.nerrors) {
		rc = kube_store_guaranteed_update(NULL, c->store, "namespaces", NULL, key, finalize, NULL);
		if (rc == KUBE_ENOTFOUND)
			rc = 0;
	} else if (rc == 0) {
		*after = (int64_t)c->recheck_ms * 1000000;
	}
	tally_free(&t);
	return rc;
}

static void ns_changed(kube_namespace_controller *c, kube_object *ns)
{
	if (kube_object_deletion_timestamp(ns))
		kube_controller_enqueue(c->ctrl, kube_object_name(ns));
}

static void on_add(kube_informer *inf, kube_object *obj, int initial, void *ud)
{
	(void)inf;
	(void)initial;
	ns_changed(ud, obj);
}

static void on_update(kube_informer *inf, kube_object *old, kube_object *new_, void *ud)
{
	(void)inf;
	(void)old;
	ns_changed(ud, new_);
}

static void on_delete(kube_informer *inf, kube_object *obj, int unknown, void *ud)
{
	kube_namespace_controller *c = ud;
	(void)inf;
	(void)unknown;
	kube_controller_enqueue(c->ctrl, kube_object_name(obj));
}

int kube_namespace_controller_new(kube_namespace_controller **out, kube_informer_factory *f,
                                  kube_store *store, uint64_t recheck_ms)
{
	kube_controller_options co = KUBE_CONTROLLER_OPTIONS_INIT;
	kube_namespace_controller *c;
	int rc;

	KUBE_CHECK_ARG(out);
	*out = NULL;
	KUBE_CHECK_ARG(f && store);
	if (!(c = kube_calloc(1, sizeof(*c))))
		return kube__error_oom();
	c->store = store;
	c->recheck_ms = recheck_ms ? recheck_ms : 100;
	co.name = "namespace";
	co.workers = 10;   /* upstream's --concurrent-namespace-syncs */
	if ((rc = kube_informer_factory_get(&c->inf, f, "namespaces")) != 0 ||
	    (rc = kube_controller_new(&c->ctrl, kube__informer_loop(c->inf), &co, reconcile, c,
	                              NULL)) != 0) {
		kube_free(c);
		return rc;
	}
	static const kube_informer_handlers h = { KUBE_INFORMER_HANDLERS_VERSION, on_add, on_update,
		                                  on_delete };
	if ((rc = kube_informer_add_handler(&c->h, c->inf, &h, c, NULL)) != 0 ||
	    (rc = kube_controller_start(c->ctrl)) != 0) {
		kube_namespace_controller_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

void kube_namespace_controller_free(kube_namespace_controller *c)
{
	if (!c)
		return;
	kube_informer_remove_handler(c->inf, c->h);
	kube_controller_free(c->ctrl);
	kube_free(c);
}

kube_controller *kube_namespace_controller_runner(kube_namespace_controller *c)
{
	return c ? c->ctrl : NULL;
}
