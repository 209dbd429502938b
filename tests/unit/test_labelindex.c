/*
 * test_labelindex.c - the label index gives exactly the answers of
 * kube_selector_matches over the same sets, through adds, updates and
 * removes, on the indexed path and on the scan path.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "libkube/kube.h"

#define N_OBJ 600

static unsigned long long rng = 88172645463325252ull;

static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

static const char *const keys[] = { "app", "env", "tier", "zone", "n", "x.io/t" };
static const char *const vals[] = { "", "a", "b", "c", "prod", "staging", "1", "2", "10" };

static kube_labels *random_labels(void)
{
	kube_labels *l;
	ck_assert_int_eq(kube_labels_new(&l), 0);
	for (unsigned i = rnd(6); i > 0; i--)
		ck_assert_int_eq(kube_labels_set(l, keys[rnd(6)], vals[rnd(9)]), 0);
	return l;
}

static const char *const sels[] = {
	"", "app=a", "app==b", "app in (a,b)", "app in (a,b,c,prod)", "app=a,env=prod",
	"app in (a),env in (prod,staging),tier notin (c)", "app!=a", "!app", "app",
	"app=a,!zone", "n>1", "n<10,app", "env=prod,n>1", "app in ()", "app=zzz",
	"nokey=a", "nokey!=a", "app=a,app=b", "app=a,app in (a,b),env", "x.io/t in (1,2,10)",
	"zone=,tier=", "app notin (a,b),env notin ()",
};

static void check_all(kube_label_index *idx, kube_labels **sets)
{
	for (size_t s = 0; s < sizeof(sels) / sizeof(sels[0]); s++) {
		kube_selector *sel;
		ck_assert_int_eq(kube_selector_parse(&sel, sels[s]), 0);
		uint32_t *ids;
		size_t n;
		ck_assert_int_eq(kube_label_index_select(idx, sel, &ids, &n), 0);
		size_t k = 0;
		for (uint32_t id = 0; id < N_OBJ; id++) {
			if (!sets[id] || !kube_selector_matches(sel, sets[id]))
				continue;
			ck_assert_msg(k < n && ids[k] == id, "%s: id %u missing (k=%zu n=%zu)",
			              sels[s], id, k, n);
			k++;
		}
		ck_assert_msg(k == n, "%s: %zu extra ids", sels[s], n - k);
		kube_free(ids);
		kube_selector_free(sel);
	}
}

START_TEST(test_labelindex_matches_scan)
{
	kube_label_index *idx;
	kube_labels *sets[N_OBJ] = { 0 };
	ck_assert_int_eq(kube_label_index_new(&idx), 0);
	/* ids added out of order exercise sorted insertion */
	for (uint32_t i = 0; i < N_OBJ; i++) {
		uint32_t id = (i * 7919u) % N_OBJ;
		sets[id] = random_labels();
		ck_assert_int_eq(kube_label_index_add(idx, id, sets[id]), 0);
	}
	ck_assert_int_eq(kube_label_index_count(idx), N_OBJ);
	check_all(idx, sets);
	/* churn: updates, removes, re-adds */
	for (int round = 0; round < 2000; round++) {
		uint32_t id = rnd(N_OBJ);
		switch (rnd(3)) {
		case 0:
			kube_labels_free(sets[id]);
			sets[id] = random_labels();
			ck_assert_int_eq(kube_label_index_update(idx, id, sets[id]), 0);
			break;
		case 1:
			if (sets[id]) {
				ck_assert_int_eq(kube_label_index_remove(idx, id), 0);
				kube_labels_free(sets[id]);
				sets[id] = NULL;
			} else {
				ck_assert_int_eq(kube_label_index_remove(idx, id), KUBE_ENOTFOUND);
			}
			break;
		case 2:
			if (!sets[id]) {
				sets[id] = random_labels();
				ck_assert_int_eq(kube_label_index_add(idx, id, sets[id]), 0);
			} else {
				ck_assert_int_eq(kube_label_index_add(idx, id, sets[id]), KUBE_EEXISTS);
			}
			break;
		}
		if (round % 500 == 0)
			check_all(idx, sets);
	}
	check_all(idx, sets);
	size_t live = 0;
	for (uint32_t id = 0; id < N_OBJ; id++) {
		live += sets[id] != NULL;
		ck_assert_int_eq(kube_label_index_contains(idx, id), sets[id] != NULL);
	}
	ck_assert_int_eq(kube_label_index_count(idx), live);
	ck_assert_uint_gt(kube_label_index_memory(idx), 0);
	for (uint32_t id = 0; id < N_OBJ; id++)
		kube_labels_free(sets[id]);
	kube_label_index_free(idx);
}
END_TEST

START_TEST(test_labelindex_first_object_without_labels)
{
	/* the posting pool is still unallocated when the first object has no
	 * labels; adding it and then labelling it must work (and stay UB-free) */
	kube_label_index *idx;
	kube_labels *empty, *l;
	kube_selector *s;
	uint32_t *ids;
	size_t n;
	ck_assert_int_eq(kube_label_index_new(&idx), 0);
	ck_assert_int_eq(kube_labels_new(&empty), 0);
	ck_assert_int_eq(kube_label_index_add(idx, 0, empty), 0);
	ck_assert_int_eq(kube_labels_parse(&l, "app=web"), 0);
	ck_assert_int_eq(kube_label_index_update(idx, 0, l), 0);
	ck_assert_int_eq(kube_selector_parse(&s, "app=web"), 0);
	ck_assert_int_eq(kube_label_index_select(idx, s, &ids, &n), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(ids[0], 0);
	kube_free(ids);
	kube_selector_free(s);
	kube_labels_free(l);
	kube_labels_free(empty);
	kube_label_index_free(idx);
}
END_TEST

START_TEST(test_labelindex_basics)
{
	kube_label_index *idx;
	kube_labels *a, *b;
	ck_assert_int_eq(kube_label_index_new(&idx), 0);
	ck_assert_int_eq(kube_labels_parse(&a, "app=web,env=prod"), 0);
	ck_assert_int_eq(kube_labels_parse(&b, "app=db,env=prod"), 0);
	ck_assert_int_eq(kube_label_index_add(idx, 5, a), 0);
	ck_assert_int_eq(kube_label_index_add(idx, 2, b), 0);
	ck_assert_int_eq(kube_label_index_add(idx, 9, NULL), 0);
	ck_assert_int_eq(kube_label_index_add(idx, 5, b), KUBE_EEXISTS);
	ck_assert_int_eq(kube_label_index_add(idx, KUBE_LABEL_INDEX_MAX_ID, a), KUBE_ERANGE);
	ck_assert_int_eq(kube_label_index_remove(idx, 1000000), KUBE_ENOTFOUND);

	kube_selector *s;
	uint32_t *ids;
	size_t n;
	ck_assert_int_eq(kube_selector_parse(&s, "env=prod"), 0);
	ck_assert_int_eq(kube_label_index_select(idx, s, &ids, &n), 0);
	ck_assert_int_eq(n, 2);
	ck_assert_uint_eq(ids[0], 2);
	ck_assert_uint_eq(ids[1], 5);
	kube_free(ids);
	kube_selector_free(s);

	ck_assert_int_eq(kube_selector_parse(&s, "!app"), 0);
	ck_assert_int_eq(kube_label_index_select(idx, s, &ids, &n), 0);
	ck_assert_int_eq(n, 1);
	ck_assert_uint_eq(ids[0], 9);
	kube_free(ids);
	kube_selector_free(s);

	/* nothing selects nothing; everything selects all */
	ck_assert_int_eq(kube_selector_nothing(&s), 0);
	ck_assert_int_eq(kube_label_index_select(idx, s, &ids, &n), 0);
	ck_assert_int_eq(n, 0);
	ck_assert_ptr_null(ids);
	kube_selector_free(s);
	ck_assert_int_eq(kube_selector_new(&s), 0);
	ck_assert_int_eq(kube_label_index_select(idx, s, &ids, &n), 0);
	ck_assert_int_eq(n, 3);
	kube_free(ids);

	/* a builder selector with repeated values still reports each id once */
	const char *vv[] = { "web", "web", "db" };
	ck_assert_int_eq(kube_selector_add(s, "app", KUBE_SELECTOR_IN, vv, 3), 0);
	ck_assert_int_eq(kube_label_index_select(idx, s, &ids, &n), 0);
	ck_assert_int_eq(n, 2);
	ck_assert_uint_eq(ids[0], 2);
	ck_assert_uint_eq(ids[1], 5);
	kube_free(ids);
	kube_selector_free(s);

	/* update moves the object between postings */
	ck_assert_int_eq(kube_labels_set(a, "env", "dev"), 0);
	ck_assert_int_eq(kube_label_index_update(idx, 5, a), 0);
	ck_assert_int_eq(kube_selector_parse(&s, "env=prod"), 0);
	ck_assert_int_eq(kube_label_index_select(idx, s, &ids, &n), 0);
	ck_assert_int_eq(n, 1);
	ck_assert_uint_eq(ids[0], 2);
	kube_free(ids);
	ck_assert_int_eq(kube_label_index_select(idx, s, NULL, &n), KUBE_EINVAL);
	ck_assert_int_eq(kube_label_index_select(NULL, s, &ids, &n), KUBE_EINVAL);
	kube_selector_free(s);
	ck_assert_int_eq(kube_label_index_remove(idx, 5), 0);
	ck_assert_int_eq(kube_label_index_count(idx), 2);
	kube_labels_free(a);
	kube_labels_free(b);
	kube_label_index_free(idx);
	kube_label_index_free(NULL);
}
END_TEST

static Suite *labelindex_suite(void)
{
	Suite *s = suite_create("labelindex");
	TCase *tc = tcase_create("core");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_labelindex_basics);
	tcase_add_test(tc, test_labelindex_first_object_without_labels);
	tcase_add_test(tc, test_labelindex_matches_scan);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(labelindex_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
