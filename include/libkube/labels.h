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

/* ---- label sets ----
 *
 * A kube_labels is a map of label key -> value kept sorted.  Keys must be
 * qualified names and values valid label values (the rules and messages of
 * apimachinery's validation).  A set belongs to one thread while it is being
 * changed; a set nobody changes any more may be read from any thread.
 * Strings returned as `const char *` are borrowed from the set and stay
 * valid until the set is next changed or freed.
 */

/* A new empty set.  Returns 0 or KUBE_ENOMEM (KUBE_EINVAL if out is NULL). */
KUBE_EXTERN int kube_labels_new(kube_labels **out);

/*
 * Sets key=value, replacing the value of an existing key.  Both are copied.
 * Returns 0, KUBE_ENOMEM, or KUBE_EINVAL with upstream's message
 * (metav1 ValidateLabels at "metadata.labels"), e.g.
 *   metadata.labels: Invalid value: "-x": name part must consist of ...
 */
KUBE_EXTERN int kube_labels_set(kube_labels *labels, const char *key, const char *value);

/* Removes key.  Returns 0, KUBE_ENOTFOUND or KUBE_EINVAL (NULL argument). */
KUBE_EXTERN int kube_labels_remove(kube_labels *labels, const char *key);

/* The value of key (borrowed), or NULL when absent (or an argument is NULL). */
KUBE_EXTERN const char *kube_labels_get(const kube_labels *labels, const char *key);

/* 1 when key is present, else 0. */
KUBE_EXTERN int kube_labels_has(const kube_labels *labels, const char *key);

/* Number of labels (0 for NULL). */
KUBE_EXTERN size_t kube_labels_count(const kube_labels *labels);

/*
 * The i-th label in ascending byte order of the keys; key and value
 * (either may be NULL) are borrowed.  Returns 0, KUBE_ENOTFOUND past the end.
 */
KUBE_EXTERN int kube_labels_at(const kube_labels *labels, size_t i,
                               const char **key, const char **value);

/* A copy of src.  Returns 0, KUBE_EINVAL or KUBE_ENOMEM. */
KUBE_EXTERN int kube_labels_copy(kube_labels **out, const kube_labels *src);

/* 1 when both sets hold the same keys with the same values (NULL == empty). */
KUBE_EXTERN int kube_labels_equal(const kube_labels *a, const kube_labels *b);

/*
 * Parses "k=v,k2=v2" (labels.ConvertSelectorToLabelsMap): "" is the empty
 * set; spaces around keys and values are trimmed; a later duplicate key
 * wins.  Returns 0, KUBE_ENOMEM, or KUBE_EINVAL with upstream's message:
 *   invalid selector: [a b c]                 (a piece without exactly one '=')
 *   <nil>: Invalid value: "k": ...            (bad key)
 *   [k]: Invalid value: "v": ...              (bad value)
 */
KUBE_EXTERN int kube_labels_parse(kube_labels **out, const char *text);

/*
 * "k=v,k2=v2" as labels.Set.String(): the "key=value" strings in ascending
 * byte order ("" for an empty set).  Release with kube_free(); NULL on ENOMEM.
 */
KUBE_EXTERN char *kube_labels_string(const kube_labels *labels);

/* Frees the set.  NULL is a no-op. */
KUBE_EXTERN void kube_labels_free(kube_labels *labels);

KUBE_EXTERN int kube_selector_parse(kube_selector **out, const char *text);
KUBE_EXTERN char *kube_selector_string(const kube_selector *sel);
KUBE_EXTERN int kube_selector_matches(const kube_selector *sel, const kube_labels *labels);
KUBE_EXTERN void kube_selector_free(kube_selector *sel);

KUBE_END_DECLS

#endif /* LIBKUBE_LABELS_H */
