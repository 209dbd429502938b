/*
 * statefulset.c - the StatefulSet controller (in progress).
 */
#include "controllers_private.h"

int kube_statefulset_controller_new(kube_statefulset_controller **out, kube_informer_factory *f,
                                    kube_store *store, const kube_workload_controller_options *opts)
{
	KUBE_CHECK_ARG(out);
	*out = NULL;
	KUBE_UNUSED(f);
	KUBE_UNUSED(store);
	KUBE_UNUSED(opts);
	return kube__error_set(KUBE_ENOTSUP, NULL, "kube_statefulset_controller_new: not yet");
}

void kube_statefulset_controller_free(kube_statefulset_controller *c)
{
	KUBE_UNUSED(c);
}

kube_controller *kube_statefulset_controller_runner(kube_statefulset_controller *c)
{
	KUBE_UNUSED(c);
	return NULL;
}
