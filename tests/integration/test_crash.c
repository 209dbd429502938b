/*
 * test_crash.c - kill -9 during writes to a SQLite store loses nothing that
 * was acknowledged (issue 4's crash test).
 *
 * Each round forks a child that opens the store and writes without end:
 * single synchronous creates, bursts of up to 64 asynchronous creates
 * (group-committed: one transaction and one fsync per batch; on odd rounds
 * with two batches in flight whenever possible) and
 * synchronous updates of pods it created earlier.  After each acknowledged
 * write it reports "name resourceVersion seq" through a pipe.  The parent
 * picks a random number of acknowledgements to wait for, then SIGKILLs
 * the child: the kill lands wherever the child happens to be (mid-batch,
 * mid-fsync, between writes), and no sleep decides when.  The parent then
 * reopens the store and checks that
 *   - every acknowledged write is there with its resourceVersion (or a
 *     later, unacknowledged update of the same pod with a higher one);
 *   - every stored pod is intact: its payload is the one its seq implies,
 *     whatever was acknowledged (no torn or mixed write survives);
 *   - revisions only increase: the store's revision is at least every
 *     acknowledged one and the last round's, and a new write gets a
 *     higher one.
 *
 *   test_crash [rounds]     (default 50, or KUBE_CRASH_ROUNDS;
 *                            KUBE_CRASH_SEED replays a run)
 *
 * Exits 0, or 1 with what was lost on stderr (and the seed to replay).
 */
#include <errno.h>
#include <dirent.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "libkube/kube.h"

#define MAX_ROUNDS 1000
#define PER_ROUND 4096      /* pods a child may create in one round */
#define MAX_ACKS 250        /* the parent kills after 1..MAX_ACKS acknowledgements */

static char dir[256];
static unsigned long long seed;

/* The last acknowledged state of each pod: acked_seq < 0 = never acknowledged. */
static int *acked_seq;
static int64_t *acked_rv;

static int failures;

#define FAIL(...) do { fprintf(stderr, "test_crash: " __VA_ARGS__); fputc('\n', stderr); \
                       failures++; } while (0)

static uint64_t rnd(uint64_t *s)
{
	/* xorshift64*: reproducible from the printed seed */
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

/* The payload a pod carries at update `seq`: a check of the whole write. */
static void payload(char *out, size_t cap, const char *name, int seq)
{
	size_t n = 0;
	uint64_t h = 1469598103934665603ULL;
	for (const char *c = name; *c; c++)
		h = (h ^ (unsigned char)*c) * 1099511628211ULL;
	h ^= (uint64_t)seq * 0x9e3779b97f4a7c15ULL;
	while (n + 17 < cap && n < 512) {
		n += (size_t)snprintf(out + n, cap - n, "%016llx", (unsigned long long)h);
		h = h * 6364136223846793005ULL + 1442695040888963407ULL;
	}
	out[n] = '\0';
}

static kube_object *make_pod(const char *name, int seq)
{
	char json[2048], blob[600];
	kube_object *o = NULL;

	payload(blob, sizeof(blob), name, seq);
	snprintf(json, sizeof(json),
	         "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"namespace\":\"crash\","
	         "\"name\":\"%s\",\"labels\":{\"app\":\"crash\"},\"annotations\":{\"seq\":\"%d\","
	         "\"blob\":\"%s\"}},\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"busybox\"}]}}",
	         name, seq, blob);
	if (kube_object_from_json(&o, json, strlen(json)) != 0)
		return NULL;
	return o;
}

static void name_of(char *out, size_t cap, int round, int i)
{
	snprintf(out, cap, "r%03d-%05d", round, i);
}

/* ---- the child: writes until killed ---- */

static int ack_fd;

static void ack(kube_object *o, int seq)
{
	char line[96];
	int len = snprintf(line, sizeof(line), "%s %s %d\n", kube_object_name(o),
	                   kube_object_resource_version(o), seq);
	if (write(ack_fd, line, (size_t)len) != len)
		_exit(5);
}

typedef struct child {
	kube_loop *loop;
	kube_store *store;
	int round;
	int created;          /* pods acknowledged so far: 0 .. created-1 */
	int seq[PER_ROUND];   /* their acknowledged seq */
	int inflight;
} child;

static void async_ack(int status, kube_object *o, void *ud)
{
	child *c = ud;
	if (status != 0) {
		fprintf(stderr, "test_crash child: async create: %s\n", kube_error_last()->message);
		_exit(6);
	}
	ack(o, 0);
	c->inflight--;
}

static void child_run(int round, int fd, uint64_t rs)
{
	static child c;
	kube_store_options o = KUBE_STORE_OPTIONS_INIT;
	char name[32];

	c.round = round;
	ack_fd = fd;
	/* Odd rounds keep two batches in flight whenever they can (the
	 * default), even rounds one (write.c's switch), so kills land between
	 * overlapping commits and in one-batch cycles; unset again once the
	 * store has read it (below). */
	setenv("KUBE_STORE_TWO_BATCHES", round % 2 ? "1" : "0", 1);
	o.backend = "sqlite";
	o.path = dir;
	if (kube_loop_new(&c.loop, NULL) != 0 || kube_store_open(&c.store, c.loop, &o) != 0) {
		fprintf(stderr, "test_crash child: open: %s\n", kube_error_last()->message);
		_exit(3);
	}
	for (;;) {
		uint64_t r = rnd(&rs) % 4;
		if (c.created + 64 > PER_ROUND)
			r = 3;   /* no names left: update only */
		if (r == 0 || r == 1) {
			/* one synchronous create: one transaction, one fsync */
			kube_object *in, *out = NULL;
			name_of(name, sizeof(name), round, c.created);
			if (!(in = make_pod(name, 0)) || kube_store_create(&out, c.store, in) != 0)
				_exit(4);
			ack(out, 0);
			c.seq[c.created++] = 0;
			kube_object_unref(out);
			kube_object_unref(in);
		} else if (r == 2) {
			/* a burst of asynchronous creates, group-committed */
			int k = 1 + (int)(rnd(&rs) % 64);
			for (int i = 0; i < k; i++) {
				kube_object *in;
				name_of(name, sizeof(name), round, c.created + i);
				if (!(in = make_pod(name, 0)) ||
				    kube_store_create_async(c.store, in, async_ack, &c, NULL) != 0)
					_exit(4);
				kube_object_unref(in);
				c.inflight++;
			}
			/* write.c read it at the store's first asynchronous
			 * write; nothing after that may inherit it */
			unsetenv("KUBE_STORE_TWO_BATCHES");
			while (c.inflight > 0)
				if (kube_loop_run_once(c.loop, 0) != 0)
					_exit(7);
			for (int i = 0; i < k; i++)
				c.seq[c.created++] = 0;
		} else if (c.created > 0) {
			/* a synchronous update of one of ours: a new payload */
			int i = (int)(rnd(&rs) % (uint64_t)c.created);
			kube_object *in, *out = NULL;
			name_of(name, sizeof(name), round, i);
			if (!(in = make_pod(name, c.seq[i] + 1)) || kube_store_update(&out, c.store, in) != 0)
				_exit(8);
			c.seq[i]++;
			ack(out, c.seq[i]);
			kube_object_unref(out);
			kube_object_unref(in);
		}
	}
}

/* ---- the parent ---- */

static int open_store(kube_loop *loop, kube_store **out)
{
	kube_store_options o = KUBE_STORE_OPTIONS_INIT;
	o.backend = "sqlite";
	o.path = dir;
	return kube_store_open(out, loop, &o);
}

/* Reads acknowledgements until `want` lines came (then kills the child) and
 * then until EOF.  Records each; returns the number read. */
static int collect(int fd, pid_t pid, int round, int want, int64_t *max_rv)
{
	static char buf[1 << 16];
	size_t got = 0;
	int lines = 0, killed = 0;

	for (;;) {
		ssize_t r = read(fd, buf + got, sizeof(buf) - 1 - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
		buf[got] = '\0';
		char *line = buf, *nl;
		while ((nl = strchr(line, '\n'))) {
			char name[32];
			long long rv;
			int rr, i, seq;
			*nl = '\0';
			if (sscanf(line, "%31s %lld %d", name, &rv, &seq) != 3 ||
			    sscanf(name, "r%d-%d", &rr, &i) != 2 || rr != round || i < 0 || i >= PER_ROUND) {
				FAIL("round %d: bad acknowledgement \"%s\"", round, line);
			} else {
				size_t at = (size_t)round * PER_ROUND + (size_t)i;
				if (seq < acked_seq[at] || (acked_rv[at] && rv <= acked_rv[at]))
					FAIL("round %d: %s acknowledged out of order", round, name);
				acked_seq[at] = seq;
				acked_rv[at] = rv;
				if (rv > *max_rv)
					*max_rv = rv;
			}
			lines++;
			line = nl + 1;
		}
		got = strlen(line);
		memmove(buf, line, got);
		if (!killed && lines >= want) {
			kill(pid, SIGKILL);
			killed = 1;
		}
	}
	if (!killed)
		kill(pid, SIGKILL);
	return lines;
}

/* Is this stored pod intact?  Returns its seq, or -1 (reported). */
static int check_pod(const kube_object *o, const char *name)
{
	char want[600];
	const char *seqs = kube_object_annotation(o, "seq"), *blob = kube_object_annotation(o, "blob");
	int seq;

	if (strcmp(kube_object_name(o), name) != 0 || !kube_object_namespace(o) ||
	    strcmp(kube_object_namespace(o), "crash") != 0) {
		FAIL("%s: stored under another name", name);
		return -1;
	}
	if (!seqs || !blob || sscanf(seqs, "%d", &seq) != 1) {
		FAIL("%s: annotations lost", name);
		return -1;
	}
	payload(want, sizeof(want), name, seq);
	if (strcmp(blob, want) != 0) {
		FAIL("%s: payload of seq %d is corrupt", name, seq);
		return -1;
	}
	if (!kube_object_uid(o) || strlen(kube_object_uid(o)) != 36 || kube_object_generation(o) != 1 ||
	    !kube_object_creation_timestamp(o)) {
		FAIL("%s: system fields lost", name);
		return -1;
	}
	return seq;
}

/* Checks every pod acknowledged in rounds 0..round against the store. */
static void verify(kube_store *st, int round)
{
	kube_object_list *all = NULL;
	kube_list_options lo = KUBE_LIST_OPTIONS_INIT;
	char name[32];

	for (int rr = 0; rr <= round; rr++)
		for (int i = 0; i < PER_ROUND; i++) {
			size_t at = (size_t)rr * PER_ROUND + (size_t)i;
			kube_object *o = NULL;
			if (acked_seq[at] < 0)
				continue;
			name_of(name, sizeof(name), rr, i);
			if (kube_store_get(&o, st, "pods", "crash", name) != 0) {
				FAIL("round %d: acknowledged %s (rv %lld) is lost: %s", round, name,
				     (long long)acked_rv[at], kube_error_last()->message);
				continue;
			}
			int seq = check_pod(o, name);
			long long rv = strtoll(kube_object_resource_version(o), NULL, 10);
			if (seq >= 0 && (seq < acked_seq[at] || (seq == acked_seq[at] && rv != acked_rv[at]) ||
			                 (seq > acked_seq[at] && rv <= acked_rv[at])))
				FAIL("round %d: %s is seq %d rv %lld, acknowledged seq %d rv %lld", round, name,
				     seq, rv, acked_seq[at], (long long)acked_rv[at]);
			kube_object_unref(o);
		}
	/* unacknowledged writes that made it are intact too */
	lo.namespace_ = "crash";
	if (kube_store_list(&all, st, "pods", &lo, NULL, NULL) != 0) {
		FAIL("round %d: list: %s", round, kube_error_last()->message);
		return;
	}
	for (size_t i = 0; i < kube_object_list_count(all); i++) {
		const kube_object *o = kube_object_list_get(all, i);
		check_pod(o, kube_object_name(o));
	}
	kube_object_list_free(all);
}

static void rm_tree(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *de;
	char p[512];

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(p, sizeof(p), "%s/%s", path, de->d_name);
		unlink(p);
	}
	closedir(d);
	rmdir(path);
}

int main(int argc, char **argv)
{
	const char *env = getenv("KUBE_CRASH_ROUNDS");
	int rounds = argc > 1 ? atoi(argv[1]) : env ? atoi(env) : 50;
	const char *tmp = getenv("TMPDIR");
	kube_loop *loop;
	int64_t last_rev = 0;
	long total_acks = 0;

	if (rounds < 1 || rounds > MAX_ROUNDS) {
		fprintf(stderr, "usage: test_crash [rounds 1..%d]\n", MAX_ROUNDS);
		return 2;
	}
	seed = getenv("KUBE_CRASH_SEED") ? strtoull(getenv("KUBE_CRASH_SEED"), NULL, 0)
	                                 : (unsigned long long)time(NULL) ^ ((unsigned long long)getpid() << 20);
	if (!seed)
		seed = 1;
	snprintf(dir, sizeof(dir), "%s/kube-crash-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 2;
	}
	acked_seq = malloc((size_t)rounds * PER_ROUND * sizeof(*acked_seq));
	acked_rv = calloc((size_t)rounds * PER_ROUND, sizeof(*acked_rv));
	if (!acked_seq || !acked_rv || kube_loop_new(&loop, NULL) != 0)
		return 2;
	memset(acked_seq, 0xff, (size_t)rounds * PER_ROUND * sizeof(*acked_seq));   /* -1 */

	uint64_t rs = seed;
	for (int round = 0; round < rounds && !failures; round++) {
		int p[2], status = 0, want = 1 + (int)(rnd(&rs) % MAX_ACKS);
		uint64_t child_seed = rnd(&rs) | 1;
		int64_t max_rv = 0;
		kube_store *st = NULL;
		kube_object *in, *out = NULL;
		pid_t pid;

		if (pipe(p) != 0 || (pid = fork()) < 0) {
			perror("pipe/fork");
			return 2;
		}
		if (pid == 0) {
			close(p[0]);
			child_run(round, p[1], child_seed);
			_exit(0);
		}
		close(p[1]);
		int acks = collect(p[0], pid, round, want, &max_rv);
		close(p[0]);
		waitpid(pid, &status, 0);
		if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL) {
			FAIL("round %d: the child ended on its own (status 0x%x)", round, status);
			break;
		}
		if (acks == 0) {
			FAIL("round %d: no write was acknowledged", round);
			break;
		}
		total_acks += acks;

		if (open_store(loop, &st) != 0) {
			FAIL("round %d: reopen: %s", round, kube_error_last()->message);
			break;
		}
		int64_t rev = kube_store_revision(st);
		if (rev < max_rv || rev < last_rev)
			FAIL("round %d: store revision %lld, acknowledged %lld, last round %lld", round,
			     (long long)rev, (long long)max_rv, (long long)last_rev);
		for (int i = 0; i < PER_ROUND; i++) {
			size_t at = (size_t)round * PER_ROUND + (size_t)i;
			if (acked_seq[at] >= 0 && acked_rv[at] <= last_rev)
				FAIL("round %d: r%03d-%05d got rv %lld, not past last round's %lld", round, round,
				     i, (long long)acked_rv[at], (long long)last_rev);
		}
		verify(st, round);
		/* the next write continues the revision */
		if (!(in = make_pod("after", round)) ||
		    (round == 0 ? kube_store_create(&out, st, in) : kube_store_update(&out, st, in)) != 0) {
			FAIL("round %d: write after reopen: %s", round, kube_error_last()->message);
		} else if (strtoll(kube_object_resource_version(out), NULL, 10) != rev + 1) {
			FAIL("round %d: write after reopen got rv %s, want %lld", round,
			     kube_object_resource_version(out), (long long)rev + 1);
		}
		kube_object_unref(out);
		kube_object_unref(in);
		last_rev = kube_store_revision(st);
		kube_store_close(st);
		if (getenv("KUBE_TEST_VERBOSE"))
			fprintf(stderr, "round %d: %d acknowledged (killed after %d), revision %lld\n", round,
			        acks, want, (long long)last_rev);
	}
	kube_loop_free(loop);
	rm_tree(dir);
	free(acked_seq);
	free(acked_rv);
	if (failures) {
		fprintf(stderr, "test_crash: FAILED (replay with KUBE_CRASH_SEED=%llu)\n", seed);
		return 1;
	}
	printf("test_crash: %d rounds, %ld acknowledged writes, all there; last revision %lld\n", rounds,
	       total_acks, (long long)last_rev);
	return 0;
}
