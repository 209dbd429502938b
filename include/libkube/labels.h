/*
 * labels.h - label sets, label selectors, field selectors, the label index.
 *
 * Everything here gives the answers, canonical strings and error messages
 * of k8s.io/apimachinery (pkg/labels, pkg/fields, metav1's LabelSelector
 * helpers), so code ported from Kubernetes behaves the same.  What is ours
 * is the speed: a compiled selector matches a label set with a few integer
 * compares and no allocation, and the label index answers list-by-selector
 * without looking at every object.
 *
 *   kube_labels          a label set            k=v,k2=v2
 *   kube_selector        a label selector       env in (prod),tier!=db,!canary
 *   kube_fields          a field set            metadata.name -> "web-1"
 *   kube_field_selector  a field selector       status.phase=Running
 *   kube_label_index     object ids by labels   select(selector) -> ids
 *
 * Errors: functions return 0 or a KUBE_E* code; kube_error_last() has the
 * message.  Strings a function returns as char * are the caller's
 * (kube_free()); const char * results are borrowed, as each function says.
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

/* ---- label selectors ----
 *
 * Semantics, grammar, messages and canonical form are those of
 * k8s.io/apimachinery/pkg/labels (Parse, Requirement, String).  A selector
 * is immutable once built except through kube_selector_add; a selector
 * nobody changes may be used from any thread.  Matching never allocates.
 *
 * Requirements are kept sorted by key (byte order).  Requirements with the
 * same key keep the order they were written or added in (a stable sort);
 * upstream's sort.Sort is stable only up to 12 requirements, so for longer
 * selectors upstream may print equal keys in another order.
 */

typedef enum kube_selector_op {
	KUBE_SELECTOR_EQUALS = 0,       /* k=v */
	KUBE_SELECTOR_DOUBLE_EQUALS,    /* k==v */
	KUBE_SELECTOR_NOT_EQUALS,       /* k!=v */
	KUBE_SELECTOR_IN,               /* k in (a,b) */
	KUBE_SELECTOR_NOT_IN,           /* k notin (a,b) */
	KUBE_SELECTOR_EXISTS,           /* k */
	KUBE_SELECTOR_DOES_NOT_EXIST,   /* !k */
	KUBE_SELECTOR_GT,               /* k>N */
	KUBE_SELECTOR_LT                /* k<N */
} kube_selector_op;

/*
 * Parses a selector string ("" is the empty selector: it matches every set).
 * Returns 0, KUBE_ENOMEM, or KUBE_EINVAL with upstream's message, e.g.
 *   found ',', expected: !, identifier, or 'end of string'
 *   unable to parse requirement: found '', expected: ',' or ')'
 *   unable to parse requirement: <nil>: Invalid value: "-k": name part ...
 *   unable to parse requirement: values[0][k]: Invalid value: "-v": a valid label ...
 *   unable to parse requirement: values[0]: Invalid value: "x": for 'Gt', 'Lt'
 *     operators, the value must be an integer
 */
KUBE_EXTERN int kube_selector_parse(kube_selector **out, const char *text);

/* As kube_selector_parse, for text of explicit length (a NUL ends it early,
 * exactly as it ends Go's lexer). */
KUBE_EXTERN int kube_selector_parse_len(kube_selector **out, const char *text, size_t len);

/* The empty selector (labels.NewSelector()): matches every set, and takes
 * requirements with kube_selector_add.  0 or ENOMEM. */
KUBE_EXTERN int kube_selector_new(kube_selector **out);

/* labels.Everything(): the same as kube_selector_new. */
KUBE_EXTERN int kube_selector_everything(kube_selector **out);

/* A selector that matches nothing (labels.Nothing(), a nil LabelSelector). */
KUBE_EXTERN int kube_selector_nothing(kube_selector **out);

/*
 * Adds a requirement (labels.NewRequirement + Selector.Add).  values are
 * copied.  In/NotIn need at least one value; =, ==, != exactly one; Exists
 * and DoesNotExist none; Gt/Lt one integer.  Returns 0, KUBE_ENOMEM, or
 * KUBE_EINVAL with upstream's aggregated messages, e.g.
 *   key: Invalid value: "-k": name part ...
 *   values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty
 * On error the selector is unchanged.  Adding to a "nothing" selector keeps
 * it matching nothing.
 */
KUBE_EXTERN int kube_selector_add(kube_selector *sel, const char *key, kube_selector_op op,
                                  const char *const *values, size_t nvalues);

/* A copy of sel.  Returns 0, KUBE_EINVAL, KUBE_ENOMEM. */
KUBE_EXTERN int kube_selector_copy(kube_selector **out, const kube_selector *sel);

/*
 * The canonical form (Selector.String()): requirements by key, joined by
 * ",", values sorted, spaces only around in/notin.  "" for the empty and
 * the nothing selector.  Release with kube_free(); NULL on ENOMEM.
 */
KUBE_EXTERN char *kube_selector_string(const kube_selector *sel);

/* 1 when sel matches the set (NULL labels = empty set), 0 otherwise. */
KUBE_EXTERN int kube_selector_matches(const kube_selector *sel, const kube_labels *labels);

/* 1 when sel has no requirements (matches everything); 0 for nothing. */
KUBE_EXTERN int kube_selector_empty(const kube_selector *sel);

/* 1 for a selector made by kube_selector_nothing(). */
KUBE_EXTERN int kube_selector_matches_nothing(const kube_selector *sel);

/* Number of requirements. */
KUBE_EXTERN size_t kube_selector_requirement_count(const kube_selector *sel);

/*
 * The i-th requirement in canonical order: key (borrowed), operator and
 * number of values (any out pointer may be NULL).  0 or KUBE_ENOTFOUND.
 */
KUBE_EXTERN int kube_selector_requirement(const kube_selector *sel, size_t i, const char **key,
                                          kube_selector_op *op, size_t *nvalues);

/* The j-th value (sorted) of the i-th requirement, borrowed; NULL if out of range. */
KUBE_EXTERN const char *kube_selector_requirement_value(const kube_selector *sel, size_t i,
                                                        size_t j);

/*
 * Selector.RequiresExactMatch: if the first requirement on `label` is =, ==
 * or in with a single value, sets *value (borrowed) and returns 1; else 0.
 */
KUBE_EXTERN int kube_selector_requires_exact_match(const kube_selector *sel, const char *label,
                                                   const char **value);

/* Frees the selector.  NULL is a no-op. */
KUBE_EXTERN void kube_selector_free(kube_selector *sel);

/* ---- field sets and field selectors ----
 *
 * k8s.io/apimachinery/pkg/fields.  A field set maps field paths
 * ("metadata.name", "spec.nodeName") to string values; unlike labels, any
 * strings are allowed.  kube_field_selector_matches_object() (object.h
 * layer, lib/object/fieldset.c) builds an object's set for you.
 */

typedef struct kube_fields kube_fields;
typedef struct kube_field_selector kube_field_selector;

typedef enum kube_field_op {
	KUBE_FIELD_EQUALS = 0,   /* f=v or f==v (printed as "=") */
	KUBE_FIELD_NOT_EQUALS    /* f!=v */
} kube_field_op;

KUBE_EXTERN int kube_fields_new(kube_fields **out);
/* Sets field=value (any strings, copied).  0, KUBE_EINVAL, KUBE_ENOMEM. */
KUBE_EXTERN int kube_fields_set(kube_fields *f, const char *field, const char *value);
/* The value (borrowed, valid until the set changes), or NULL when absent. */
KUBE_EXTERN const char *kube_fields_get(const kube_fields *f, const char *field);
KUBE_EXTERN size_t kube_fields_count(const kube_fields *f);
/* The i-th field in byte order of the names.  0 or KUBE_ENOTFOUND. */
KUBE_EXTERN int kube_fields_at(const kube_fields *f, size_t i, const char **field,
                               const char **value);
KUBE_EXTERN void kube_fields_free(kube_fields *f);

/*
 * Parses a field selector (fields.ParseSelector): terms split on unescaped
 * commas and sorted as strings, each "field=value", "field==value" or
 * "field!=value"; in values "\\", "\\," and "\\=" stand for \ , and =.
 * "" matches everything.  Returns 0, KUBE_ENOMEM, or KUBE_EINVAL with
 * upstream's message:
 *   invalid selector: '<selector>'; can't understand '<term>'
 *   invalid field selector: invalid escape sequence: \x
 *   invalid field selector: unescaped character in value: 61
 */
KUBE_EXTERN int kube_field_selector_parse(kube_field_selector **out, const char *text);

/* The empty field selector (fields.Everything()). */
KUBE_EXTERN int kube_field_selector_new(kube_field_selector **out);

/* Adds the term field op value (fields.OneTermEqualSelector / AndSelectors). */
KUBE_EXTERN int kube_field_selector_add(kube_field_selector *sel, const char *field,
                                        kube_field_op op, const char *value);

/* "f=v,g!=w" with values escaped; "" when empty.  Release with kube_free(). */
KUBE_EXTERN char *kube_field_selector_string(const kube_field_selector *sel);

/* 1 when every term holds; a missing field reads as "".  NULL set = empty. */
KUBE_EXTERN int kube_field_selector_matches(const kube_field_selector *sel,
                                            const kube_fields *fields);

/* 1 when the selector has no terms. */
KUBE_EXTERN int kube_field_selector_empty(const kube_field_selector *sel);

KUBE_EXTERN size_t kube_field_selector_term_count(const kube_field_selector *sel);
/* The i-th term (borrowed strings).  0 or KUBE_ENOTFOUND. */
KUBE_EXTERN int kube_field_selector_term(const kube_field_selector *sel, size_t i,
                                         const char **field, kube_field_op *op,
                                         const char **value);

/* Selector.RequiresExactMatch: the value of the first f=v term on field. */
KUBE_EXTERN int kube_field_selector_requires_exact_match(const kube_field_selector *sel,
                                                         const char *field, const char **value);

KUBE_EXTERN void kube_field_selector_free(kube_field_selector *sel);

/* ---- the label index ----
 *
 * An inverted index over the label sets of many objects:
 *   key -> value -> posting list (sorted object ids)
 * that answers "which objects match this selector" without looking at
 * every object when the selector has an =, == or in requirement: it starts
 * from the requirement whose posting lists are shortest and checks only
 * those objects against the other requirements.  Selectors without such a
 * requirement are answered by a scan of the index's own records.
 *
 * Object ids are uint32_t chosen by the caller, best dense and small (a
 * store's slot numbers): the index keeps an 8-byte record per id up to the
 * largest id used, so ids must be below KUBE_LABEL_INDEX_MAX_ID.  The index
 * copies what it needs from the label sets; callers keep nothing alive.
 * Changes (add, update, remove) need the index to themselves; selects only
 * read it, so any number of threads may select while nobody changes it.
 */

/* ---- selectors and field sets of objects (lib/object) ----
 *
 * metav1.LabelSelector, as found in Deployment, ReplicaSet, StatefulSet,
 * DaemonSet, Job, NetworkPolicy and affinity terms, compiles to the same
 * kube_selector (metav1.LabelSelectorAsSelector): a missing or null
 * selector matches nothing, an empty one ({}) matches everything.
 */

typedef struct kube_object kube_object;

/*
 * The LabelSelector at `path` in o (e.g. "spec.selector").  Returns 0,
 * KUBE_ENOMEM, or KUBE_EINVAL with upstream's message and the failing
 * requirement's path as the error's field, e.g.
 *   "Foo" is not a valid label selector operator
 *   values: Invalid value: null: for 'in', 'notin' operators, values set can't be empty
 */
KUBE_EXTERN int kube_selector_from_object(kube_selector **out, const kube_object *o,
                                          const char *path);

/* The same from a LabelSelector written as JSON ("null" matches nothing). */
KUBE_EXTERN int kube_selector_from_json(kube_selector **out, const char *json, size_t len);

/*
 * The field set upstream's registries expose for o's kind: metadata.name
 * and metadata.namespace for every object; for v1 Pods spec.nodeName,
 * spec.restartPolicy, spec.schedulerName, spec.serviceAccountName,
 * spec.hostNetwork, status.phase, status.podIP, status.nominatedNodeName;
 * for Events involvedObject.{kind,namespace,name,uid,apiVersion,
 * resourceVersion,fieldPath}, reason, source, type.  Absent fields are "".
 */
KUBE_EXTERN int kube_fields_from_object(kube_fields **out, const kube_object *o);

/* kube_field_selector_matches over o's field set, without allocating. */
KUBE_EXTERN int kube_field_selector_matches_object(const kube_field_selector *sel,
                                                   const kube_object *o);

#define KUBE_LABEL_INDEX_MAX_ID (1u << 30)

typedef struct kube_label_index kube_label_index;

KUBE_EXTERN int kube_label_index_new(kube_label_index **out);
KUBE_EXTERN void kube_label_index_free(kube_label_index *idx);

/*
 * Indexes object `id` with `labels` (NULL = no labels).  Returns 0,
 * KUBE_EEXISTS if id is already indexed, KUBE_ERANGE if id is too large,
 * KUBE_EINVAL, KUBE_ENOMEM.
 */
KUBE_EXTERN int kube_label_index_add(kube_label_index *idx, uint32_t id,
                                     const kube_labels *labels);

/* Replaces the labels of `id` (adds it if absent), touching only the
 * postings that change.  Same errors as add, without KUBE_EEXISTS. */
KUBE_EXTERN int kube_label_index_update(kube_label_index *idx, uint32_t id,
                                        const kube_labels *labels);

/* Forgets `id`.  Returns 0, KUBE_ENOTFOUND, KUBE_EINVAL. */
KUBE_EXTERN int kube_label_index_remove(kube_label_index *idx, uint32_t id);

/* 1 when id is indexed. */
KUBE_EXTERN int kube_label_index_contains(const kube_label_index *idx, uint32_t id);

/* Number of indexed objects. */
KUBE_EXTERN size_t kube_label_index_count(const kube_label_index *idx);

/*
 * The ids of the indexed objects that sel matches, ascending, in a new
 * array (release with kube_free(); NULL when *count is 0).  Exactly the
 * objects for which kube_selector_matches() would answer 1.
 * Returns 0, KUBE_EINVAL, KUBE_ENOMEM.
 */
KUBE_EXTERN int kube_label_index_select(const kube_label_index *idx, const kube_selector *sel,
                                        uint32_t **ids, size_t *count);

/* Bytes the index holds (its own accounting of what it allocated). */
KUBE_EXTERN size_t kube_label_index_memory(const kube_label_index *idx);

KUBE_END_DECLS

#endif /* LIBKUBE_LABELS_H */
