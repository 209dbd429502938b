/*
 * plugin_private.h - what loader.c and host.c share.
 */
#ifndef LIBKUBE_PLUGIN_PRIVATE_H
#define LIBKUBE_PLUGIN_PRIVATE_H

#include "base/base.h"
#include "libkube/plugin.h"

/* The one host services table (host.c), filled at compile time. */
KUBE_INTERNAL extern const kube_host_api kube__host_api;

/* Fill every NULL slot of a host-side vtable copy with a KUBE_ENOTSUP stub (stubs.c). */
KUBE_INTERNAL void kube__volume_fill_stubs(kube_volume_driver *vt);
KUBE_INTERNAL void kube__cloud_fill_stubs(kube_cloud_provider *vt);
KUBE_INTERNAL void kube__runtime_fill_stubs(kube_runtime_driver *vt);

#endif /* LIBKUBE_PLUGIN_PRIVATE_H */
