/*
 * bench_selector.c - label selector parse/match, and list-by-selector over
 * 1,000,000 objects by index and by scan (issue 3's benchmark).
 *
 * Prints one JSON object per line (DESIGN.md section 6).  Every figure is
 * the median of several repetitions, timed in this thread's CPU time (the
 * machine is shared); "best_ns_per_op" is the fastest repetition, the one
 * least disturbed by other work.  Allocations are counted by a
 * counting allocator installed with kube_set_allocator() before anything
 * else, so "allocs_per_op" is what libkube itself asked for.
 *
 *   S1  app=web
 *   S2  app=web,tier!=db
 *   S3  env in (prod,staging),tier notin (cache),!canary
 *   S4  a 10-requirement selector
 * matched against a 10-label set that they match, and one that they do not.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "libkube/kube.h"

#define REPS 15
#define NOBJ 1000000

static unsigned long long n_alloc;

static void *c_malloc(size_t n, void *ud) { (void)ud; n_alloc++; return malloc(n); }
static void *c_realloc(void *p, size_t n, void *ud) { (void)ud; n_alloc++; return realloc(p, n); }
static void c_free(void *p, void *ud) { (void)ud; free(p); }

static double now_ns(void)
{
	struct timespec ts;
	/* CPU time of this thread: the machine is shared, wall time counts other people's work */
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(double), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static long rss_bytes(void)
{
	long pages = 0, rss = 0;
	FILE *f = fopen("/proc/self/statm", "r");
	if (!f)
		return 0;
	if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
		rss = 0;
	fclose(f);
	return rss * 4096;
}

static volatile long sink;

static const char *const cases[4][2] = {
	{ "S1", "app=web" },
	{ "S2", "app=web,tier!=db" },
	{ "S3", "env in (prod,staging),tier notin (cache),!canary" },
	{ "S4", "app=web,env in (prod,staging),tier!=db,zone,!canary,team in (payments,billing),"
	        "version notin (v0),region=us-east,release==stable,track" },
};

static kube_labels *make_set(const char *text)
{
	kube_labels *l;
	if (kube_labels_parse(&l, text) != 0) {
		fprintf(stderr, "bad set %s: %s\n", text, kube_error_last()->message);
		exit(1);
	}
	return l;
}

static void bench_parse_match(void)
{
	kube_labels *yes = make_set("app=web,env=prod,tier=frontend,zone=us-east-1a,team=payments,"
	                            "version=v1,region=us-east,release=stable,track=daily,owner=alice");
	kube_labels *no = make_set("app=api,env=dev,tier=db,zone=us-east-1a,team=search,"
	                           "version=v0,region=eu,release=beta,canary=true,owner=bob");

	for (int c = 0; c < 4; c++) {
		double t[REPS];
		unsigned long long allocs = 0;
		const long iters = 50000;

		for (int r = 0; r < REPS; r++) {
			unsigned long long a0 = n_alloc;
			double t0 = now_ns();
			for (long i = 0; i < iters; i++) {
				kube_selector *s;
				if (kube_selector_parse(&s, cases[c][1]) != 0)
					exit(1);
				sink += (long)kube_selector_requirement_count(s);
				kube_selector_free(s);
			}
			t[r] = (now_ns() - t0) / (double)iters;
			allocs = n_alloc - a0;
		}
		double med = median(t, REPS);
		printf("{\"bench\":\"selector_parse\",\"case\":\"%s\",\"ns_per_op\":%.1f,"
		       "\"best_ns_per_op\":%.1f,\"allocs_per_op\":%.1f}\n", cases[c][0], med, t[0],
		       (double)allocs / (double)iters);
	}

	for (int c = 0; c < 4; c++) {
		kube_selector *s;
		double tm[REPS], tn[REPS];
		unsigned long long allocs = 0;
		const long iters = 4000000;
		int m_yes, m_no;

		if (kube_selector_parse(&s, cases[c][1]) != 0)
			exit(1);
		m_yes = kube_selector_matches(s, yes);
		m_no = kube_selector_matches(s, no);
		if (m_yes != 1 || m_no != 0) {
			fprintf(stderr, "%s: expected 1/0, got %d/%d\n", cases[c][0], m_yes, m_no);
			exit(1);
		}
		for (int r = 0; r < REPS; r++) {
			unsigned long long a0 = n_alloc;
			long acc = 0;
			double t0 = now_ns();
			for (long i = 0; i < iters; i++)
				acc += kube_selector_matches(s, yes);
			tm[r] = (now_ns() - t0) / (double)iters;
			t0 = now_ns();
			for (long i = 0; i < iters; i++)
				acc += kube_selector_matches(s, no);
			tn[r] = (now_ns() - t0) / (double)iters;
			allocs += n_alloc - a0;
			sink += acc;
		}
		double med_m = median(tm, REPS), med_n = median(tn, REPS);
		/* median() sorted the samples: [0] is the least disturbed run */
		printf("{\"bench\":\"selector_match\",\"case\":\"%s\",\"ns_per_op\":%.2f,"
		       "\"nomatch_ns_per_op\":%.2f,\"best_ns_per_op\":%.2f,\"allocs_per_op\":%.0f}\n",
		       cases[c][0], med_m, med_n, tm[0], (double)allocs / (2.0 * REPS * (double)iters));
		kube_selector_free(s);
	}
	kube_labels_free(yes);
	kube_labels_free(no);
}

static unsigned long long rng = 0x2545F4914F6CDD1Dull;

static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

static void bench_index(void)
{
	static const char *const envs[] = { "prod", "staging", "dev" };
	static const char *const tiers[] = { "frontend", "backend", "cache", "db", "batch" };
	kube_labels **sets = malloc(NOBJ * sizeof(*sets));
	char v[32];
	const char *sel_text = "app=app-17,env in (prod)";
	kube_selector *sel;
	size_t expect = 0;

	for (uint32_t i = 0; i < NOBJ; i++) {
		kube_labels *l;
		kube_labels_new(&l);
		snprintf(v, sizeof(v), "app-%u", rnd(1000));
		kube_labels_set(l, "app", v);
		kube_labels_set(l, "env", envs[rnd(3)]);
		kube_labels_set(l, "tier", tiers[rnd(5)]);
		snprintf(v, sizeof(v), "zone-%u", rnd(10));
		kube_labels_set(l, "topology.kubernetes.io/zone", v);
		snprintf(v, sizeof(v), "team-%u", rnd(50));
		kube_labels_set(l, "team", v);
		snprintf(v, sizeof(v), "v%u", rnd(20));
		kube_labels_set(l, "version", v);
		snprintf(v, sizeof(v), "region-%u", rnd(4));
		kube_labels_set(l, "region", v);
		snprintf(v, sizeof(v), "%u", rnd(100));
		kube_labels_set(l, "shard", v);
		sets[i] = l;
	}
	if (kube_selector_parse(&sel, sel_text) != 0)
		exit(1);

	/* build */
	double tb[3];
	size_t bytes = 0;
	long rss = 0;
	kube_label_index *idx = NULL;
	for (int r = 0; r < 3; r++) {
		kube_label_index_free(idx);
		long r0 = rss_bytes();
		double t0 = now_ns();
		kube_label_index_new(&idx);
		for (uint32_t i = 0; i < NOBJ; i++)
			if (kube_label_index_add(idx, i, sets[i]) != 0)
				exit(1);
		tb[r] = (now_ns() - t0) / 1e6;
		bytes = kube_label_index_memory(idx);
		rss = rss_bytes() - r0;
	}
	printf("{\"bench\":\"selector_index_build\",\"case\":\"1M x 8 labels\",\"ms\":%.1f,"
	       "\"bytes\":%zu,\"rss_bytes\":%ld}\n", median(tb, 3), bytes, rss);

	/* scan: what a list without an index does */
	double ts[5];
	for (int r = 0; r < 5; r++) {
		size_t n = 0;
		double t0 = now_ns();
		for (uint32_t i = 0; i < NOBJ; i++)
			n += (size_t)kube_selector_matches(sel, sets[i]);
		ts[r] = (now_ns() - t0) / 1e6;
		expect = n;
	}
	printf("{\"bench\":\"selector_select_scan\",\"case\":\"%s\",\"ms\":%.2f,\"matches\":%zu}\n",
	       sel_text, median(ts, 5), expect);

	/* indexed select */
	double ti[REPS];
	size_t got = 0;
	for (int r = 0; r < REPS; r++) {
		const int iters = 200;
		double t0 = now_ns();
		for (int i = 0; i < iters; i++) {
			uint32_t *ids;
			if (kube_label_index_select(idx, sel, &ids, &got) != 0)
				exit(1);
			sink += got ? (long)ids[0] : 0;
			kube_free(ids);
		}
		ti[r] = (now_ns() - t0) / iters;
	}
	if (got != expect) {
		fprintf(stderr, "index found %zu, scan %zu\n", got, expect);
		exit(1);
	}
	printf("{\"bench\":\"selector_select_index\",\"case\":\"%s\",\"ns_per_op\":%.0f,"
	       "\"p50_us\":%.1f,\"matches\":%zu}\n", sel_text, median(ti, REPS), median(ti, REPS) / 1e3,
	       got);

	kube_label_index_free(idx);
	kube_selector_free(sel);
	for (uint32_t i = 0; i < NOBJ; i++)
		kube_labels_free(sets[i]);
	free(sets);
}

int main(int argc, char **argv)
{
	kube_allocator a = { c_malloc, c_realloc, c_free, NULL };
	kube_set_allocator(&a);
	bench_parse_match();
	if (argc < 2 || strcmp(argv[1], "--no-index") != 0)
		bench_index();
	return 0;
}
