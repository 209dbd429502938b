/*
 * kube.h - the whole public API of libkube.
 */
#ifndef LIBKUBE_KUBE_H
#define LIBKUBE_KUBE_H

#include "common.h"
#include "error.h"
#include "alloc.h"
#include "log.h"
#include "labels.h"
#include "object.h"
#include "codec.h"
#include "kinds.h"
#include "quantity.h"
#include "validate.h"
#include "loop.h"
#include "store.h"
#include "plugin.h"
#include "sched.h"
#include "controllers.h"   /* with workqueue.h, informer.h, controller.h */
#include "lifecycle.h"
#include "node.h"
#include "cri.h"

KUBE_BEGIN_DECLS

/* The library's version as "MAJOR.MINOR.PATCH", and as one number
 * (MAJOR * 10000 + MINOR * 100 + PATCH). */
KUBE_EXTERN const char *kube_version(void);
KUBE_EXTERN int kube_version_number(void);

KUBE_END_DECLS

#endif /* LIBKUBE_KUBE_H */
