/*
 * version.c - the library's version, compiled in from meson.build.
 */
#include <stdio.h>

#include "base.h"
#include "libkube/kube.h"

const char *kube_version(void)
{
	return KUBE_VERSION;
}

int kube_version_number(void)
{
	int major = 0, minor = 0, patch = 0;
	sscanf(KUBE_VERSION, "%d.%d.%d", &major, &minor, &patch);
	return major * 10000 + minor * 100 + patch;
}
