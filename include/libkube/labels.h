/*
 * labels.h - label sets, label selectors, field selectors, the label index.
 *
 * (Being completed under issue 3; the functions below are the stable API.)
 */
#ifndef LIBKUBE_LABELS_H
#define LIBKUBE_LABELS_H

#include "common.h"

KUBE_BEGIN_DECLS

typedef struct kube_labels kube_labels;
typedef struct kube_selector kube_selector;

KUBE_EXTERN int kube_labels_new(kube_labels **out);
KUBE_EXTERN int kube_labels_set(kube_labels *labels, const char *key, const char *value);
KUBE_EXTERN void kube_labels_free(kube_labels *labels);

KUBE_EXTERN int kube_selector_parse(kube_selector **out, const char *text);
KUBE_EXTERN char *kube_selector_string(const kube_selector *sel);
KUBE_EXTERN int kube_selector_matches(const kube_selector *sel, const kube_labels *labels);
KUBE_EXTERN void kube_selector_free(kube_selector *sel);

KUBE_END_DECLS

#endif /* LIBKUBE_LABELS_H */
