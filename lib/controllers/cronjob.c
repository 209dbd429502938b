/*
 * cronjob.c - the CronJob controller: not yet written (the Job controller
 * lands first); kube_cronjob_controller_new checks its arguments and
 * answers KUBE_ENOTSUP.
 */
#include "controllers_private.h"

int kube_cronjob_controller_new(kube_cronjob_controller **out, kube_informer_factory *f,
                                kube_store *store, const kube_workload_controller_options *opts)
{
	KUBE_CHECK_ARG(out);
	*out = NULL;
	KUBE_CHECK_ARG(f);
	KUBE_CHECK_ARG(store);
	if (opts && (opts->version == 0 || opts->version > KUBE_WORKLOAD_CONTROLLER_OPTIONS_VERSION ||
	             opts->workers == 0))
		return kube__error_set(KUBE_EINVAL, NULL, "kube_cronjob_controller_new: bad options");
	return kube__error_set(KUBE_ENOTSUP, NULL, "kube_cronjob_controller_new: not yet");
}

void kube_cronjob_controller_free(kube_cronjob_controller *c)
{
	KUBE_UNUSED(c);
}

kube_controller *kube_cronjob_controller_runner(kube_cronjob_controller *c)
{
	KUBE_UNUSED(c);
	return NULL;
}
