/*
 * common.h - export and attribute macros shared by every public header.
 *
 * KUBE_EXTERN marks a function as part of libkube's stable ABI.  The library
 * is built with -fvisibility=hidden and a linker version script, so anything
 * not marked here stays private to libkube.so.
 */
#ifndef LIBKUBE_COMMON_H
#define LIBKUBE_COMMON_H

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__) || defined(__clang__)
#  define KUBE_EXTERN extern __attribute__((visibility("default")))
#  define KUBE_PRINTF(f, a) __attribute__((format(printf, f, a)))
#  define KUBE_WARN_UNUSED __attribute__((warn_unused_result))
#else
#  define KUBE_EXTERN extern
#  define KUBE_PRINTF(f, a)
#  define KUBE_WARN_UNUSED
#endif

#ifdef __cplusplus
#  define KUBE_BEGIN_DECLS extern "C" {
#  define KUBE_END_DECLS }
#else
#  define KUBE_BEGIN_DECLS
#  define KUBE_END_DECLS
#endif

#endif /* LIBKUBE_COMMON_H */
