/*
 * test_runtime_process.c - the runtime-process plugin as a container
 * runtime must behave: what a process inside can and cannot do.
 *
 * Security first: a blocked syscall answers EPERM (the process is not
 * killed), and it is the seccomp filter that blocks it (the same call
 * succeeds in a container whose profile is Unconfined); a container
 * process has no capabilities at all and no_new_privs set; /proc/sys is
 * read-only; a container over its memory limit is OOM-killed and
 * ContainerStatus says "OOMKilled".  Then the rest of what a node agent
 * relies on: namespaces, exit codes and reasons, CRI log lines, ExecSync's
 * output, exit code and timeout, stats, images found by name, layers merged
 * with whiteouts, and a tampered image refused.
 *
 * The image is an OCI layout with a busybox root file system, made once by
 * tests/plugin-conformance/mkimage.sh.  The plugin is loaded the way an
 * embedder would, from a private copy of the shared object.  Containers
 * need root; without it the suite is skipped (exit 77).
 */
#include <check.h>
#include <errno.h>
#include <ftw.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "libkube/kube.h"

static char build_dir[PATH_MAX];
static char work_dir[PATH_MAX];      /* made once: the plugin copy and the image */
static char image_dir[PATH_MAX + 16];
static char case_dir[PATH_MAX + 32]; /* per test: the runtime's root and the logs */

static kube_plugin *plugin;
static const kube_runtime_driver *vt;
static void *rt;

static int rm_any(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st; (void)flag; (void)ftw;
	return remove(path);
}

static void setup(void)
{
	char so[PATH_MAX + 32], cfg[3 * PATH_MAX];
	snprintf(so, sizeof(so), "%s/runtime-process.so", work_dir);
	ck_assert_int_eq(kube_plugin_load(&plugin, so), 0);
	vt = kube_plugin_runtime(plugin);
	ck_assert_ptr_nonnull(vt);
	snprintf(case_dir, sizeof(case_dir), "%s/case-XXXXXX", work_dir);
	ck_assert_ptr_nonnull(mkdtemp(case_dir));
	snprintf(cfg, sizeof(cfg), "root=%s/root\nimage_path=%s\ncgroup_root=libkube-test-%d", case_dir,
	         work_dir, (int)getpid());
	ck_assert_int_eq(vt->open(&rt, cfg, strlen(cfg), NULL), 0);
	char *ref = NULL;
	ck_assert_int_eq(vt->pull_image(rt, image_dir, NULL, NULL, &ref), 0);
	kube_free(ref);
	/* The same image by its ref.name, found in the layouts under image_path. */
	ck_assert_int_eq(vt->pull_image(rt, "busybox:test", NULL, NULL, &ref), 0);
	kube_free(ref);
}

static void teardown(void)
{
	vt->close(rt);
	kube_plugin_unload(plugin);
	plugin = kube_plugin_unref(plugin);
	nftw(case_dir, rm_any, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

/* ---- helpers ---- */

static kube_cri_sandbox_config sandbox_cfg(const char *name, int host_network)
{
	static char log_dir[PATH_MAX + 64];
	snprintf(log_dir, sizeof(log_dir), "%s/logs", case_dir);
	mkdir(log_dir, 0700);
	kube_cri_sandbox_config sc;
	memset(&sc, 0, sizeof(sc));
	sc.struct_size = sizeof(sc);
	sc.metadata.name = (char *)name;
	sc.metadata.uid = "8c1b1f7e-5b1e-4f0e-9d1e-2c9a8f1b2a3c";
	sc.metadata.ns = "default";
	sc.hostname = (char *)name;
	sc.log_directory = log_dir;
	if (host_network)
		sc.linux_namespaces.network = KUBE_CRI_NAMESPACE_NODE;
	return sc;
}

typedef struct ctr_opts {
	const char *const *cmd;
	int64_t memory_limit;
	int unconfined;
	int64_t run_as_user;          /* -1: the image's */
} ctr_opts;

static char *run_sandbox(const char *name)
{
	kube_cri_sandbox_config sc = sandbox_cfg(name, 0);
	char *id = NULL;
	ck_assert_int_eq(vt->run_pod_sandbox(rt, &sc, NULL, &id), 0);
	return id;
}

/* Creates and starts a container running opts->cmd; returns its id. */
static char *start(const char *sb, const char *name, const ctr_opts *o)
{
	kube_cri_sandbox_config sc = sandbox_cfg("pod", 0);
	kube_cri_container_config cc;
	memset(&cc, 0, sizeof(cc));
	cc.struct_size = sizeof(cc);
	cc.metadata.name = (char *)name;
	cc.image = "busybox:test";
	size_t n = 0;
	while (o->cmd[n])
		n++;
	cc.command = (char **)o->cmd;
	cc.n_command = n;
	char log[128];
	snprintf(log, sizeof(log), "%s.log", name);
	cc.log_path = log;
	kube_cri_linux_resources res = { .struct_size = sizeof(res) };
	if (o->memory_limit) {
		res.memory_limit_in_bytes = o->memory_limit;
		cc.linux_resources = &res;
	}
	kube_cri_security_profile unconfined = { .profile_type = KUBE_CRI_PROFILE_UNCONFINED };
	if (o->unconfined)
		cc.linux_seccomp = &unconfined;
	if (o->run_as_user >= 0)
		cc.linux_run_as_user = (kube_cri_int64){ .value = o->run_as_user, .set = 1 };
	char *id = NULL;
	int rc = vt->create_container(rt, sb, &cc, &sc, &id);
	ck_assert_msg(rc == 0, "CreateContainer: %d %s", rc, kube_error_last()->message);
	rc = vt->start_container(rt, id);
	ck_assert_msg(rc == 0, "StartContainer: %d %s", rc, kube_error_last()->message);
	return id;
}

static int64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static const char *const sleeper[] = { "sleep", "1000", NULL };

typedef struct exec_out {
	int rc, exit_code;
	char out[8192], err[8192];
} exec_out;

static void exec(exec_out *r, const char *id, int64_t timeout, const char *const *cmd)
{
	size_t n = 0;
	while (cmd[n])
		n++;
	kube_cri_exec_result ex = { .struct_size = sizeof(ex) };
	r->rc = vt->exec_sync(rt, id, cmd, n, timeout, &ex);
	r->exit_code = ex.exit_code;
	snprintf(r->out, sizeof(r->out), "%.*s", (int)ex.out_len, ex.out ? (char *)ex.out : "");
	snprintf(r->err, sizeof(r->err), "%.*s", (int)ex.err_len, ex.err ? (char *)ex.err : "");
	kube_free(ex.out);
	kube_free(ex.err);
}

/* The value of "Key:\t..." in a /proc status text. */
static const char *status_field(const char *text, const char *key, char *buf, size_t cap)
{
	char k[64];
	snprintf(k, sizeof(k), "\n%s:\t", key);
	const char *p = strstr(text, k);
	if (!p)
		return "(absent)";
	p += strlen(k);
	size_t n = strcspn(p, "\n");
	snprintf(buf, cap, "%.*s", (int)n, p);
	return buf;
}

static void status_of(const char *id, kube_cri_container_status *st)
{
	memset(st, 0, sizeof(*st));
	st->struct_size = sizeof(*st);
	ck_assert_int_eq(vt->container_status(rt, id, 0, st), 0);
}

static void status_free(kube_cri_container_status *st)
{
	kube_free(st->id);
	kube_free(st->metadata.name);
	kube_free(st->image);
	kube_free(st->image_ref);
	kube_free(st->reason);
	kube_free(st->message);
	kube_free(st->log_path);
	for (size_t i = 0; i < st->n_labels; i++) {
		kube_free(st->labels[i].key);
		kube_free(st->labels[i].value);
	}
	kube_free(st->labels);
	kube_free(st->annotations);
	kube_free(st->mounts);
	kube_free(st->linux_resources);
}

/* Waits (up to 30 s) for the container to exit; returns its state. */
static int wait_exited(const char *id, kube_cri_container_status *st)
{
	for (int i = 0; i < 300; i++) {
		status_of(id, st);
		if (st->state == KUBE_CRI_CONTAINER_EXITED)
			return st->state;
		status_free(st);
		struct timespec ts = { 0, 100 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	status_of(id, st);
	return st->state;
}

/* ---- security ---- */

START_TEST(test_runtime_process_blocked_syscall_is_eperm)
{
	char *sb = run_sandbox("seccomp");
	ctr_opts o = { .cmd = sleeper, .run_as_user = -1 };
	char *id = start(sb, "confined", &o);
	o.unconfined = 1;
	char *free_id = start(sb, "unconfined", &o);
	/* unshare(CLONE_NEWUSER) needs no capability: only the filter can refuse it. */
	const char *cmd[] = { "unshare", "-U", "true", NULL };
	exec_out r;
	exec(&r, id, 10, cmd);
	ck_assert_int_eq(r.rc, 0);
	/* EPERM comes back to the caller; a kill would be 128 + SIGSYS. */
	ck_assert_int_eq(r.exit_code, 1);
	ck_assert_str_eq(r.err, "unshare: unshare(0x10000000): Operation not permitted\n");
	exec(&r, free_id, 10, cmd);
	ck_assert_int_eq(r.rc, 0);
	ck_assert_int_eq(r.exit_code, 0);
	ck_assert_str_eq(r.err, "");
	/* The container's own process is filtered too, not only exec'd ones. */
	const char *init_status[] = { "cat", "/proc/1/status", NULL };
	exec(&r, id, 10, init_status);
	char buf[64];
	ck_assert_str_eq(status_field(r.out, "Seccomp", buf, sizeof(buf)), "2");
	ck_assert_str_eq(status_field(r.out, "Seccomp_filters", buf, sizeof(buf)), "1");
	exec(&r, free_id, 10, init_status);
	ck_assert_str_eq(status_field(r.out, "Seccomp", buf, sizeof(buf)), "0");
	/* mount(2) is on the list: EPERM, whatever the capabilities. */
	const char *mnt[] = { "mount", "-t", "tmpfs", "none", "/tmp", NULL };
	exec(&r, id, 10, mnt);
	ck_assert_msg(r.exit_code == 1 && strcmp(r.err, "mount: permission denied (are you root?)\n") == 0,
	              "exit %d, stderr \"%s\"", r.exit_code, r.err);
	kube_free(id);
	kube_free(free_id);
	kube_free(sb);
}
END_TEST

START_TEST(test_runtime_process_no_privileges)
{
	char *sb = run_sandbox("privs");
	ctr_opts o = { .cmd = sleeper, .run_as_user = -1 };
	char *id = start(sb, "root", &o);
	char buf[64];
	exec_out r;
	const char *self_status[] = { "cat", "/proc/self/status", NULL };
	const char *init_status[] = { "cat", "/proc/1/status", NULL };
	const char *const *which[] = { self_status, init_status };
	for (int i = 0; i < 2; i++) {
		exec(&r, id, 10, which[i]);
		ck_assert_int_eq(r.rc, 0);
		ck_assert_int_eq(r.exit_code, 0);
		/* uid 0 inside, and still nothing: every set empty, no way to gain more. */
		ck_assert_str_eq(status_field(r.out, "Uid", buf, sizeof(buf)), "0\t0\t0\t0");
		ck_assert_str_eq(status_field(r.out, "NoNewPrivs", buf, sizeof(buf)), "1");
		ck_assert_str_eq(status_field(r.out, "CapInh", buf, sizeof(buf)), "0000000000000000");
		ck_assert_str_eq(status_field(r.out, "CapPrm", buf, sizeof(buf)), "0000000000000000");
		ck_assert_str_eq(status_field(r.out, "CapEff", buf, sizeof(buf)), "0000000000000000");
		ck_assert_str_eq(status_field(r.out, "CapBnd", buf, sizeof(buf)), "0000000000000000");
		ck_assert_str_eq(status_field(r.out, "CapAmb", buf, sizeof(buf)), "0000000000000000");
	}
	/* Kernel tunables stay out of reach even for uid 0. */
	const char *sysctl[] = { "sh", "-c", "echo x > /proc/sys/kernel/domainname", NULL };
	exec(&r, id, 10, sysctl);
	ck_assert_int_eq(r.exit_code, 1);
	ck_assert_str_eq(r.err, "sh: can't create /proc/sys/kernel/domainname: Read-only file system\n");
	kube_free(id);
	/* A non-root user: the same empty sets. */
	o.run_as_user = 1000;
	id = start(sb, "user", &o);
	exec(&r, id, 10, self_status);
	ck_assert_str_eq(status_field(r.out, "Uid", buf, sizeof(buf)), "1000\t1000\t1000\t1000");
	ck_assert_str_eq(status_field(r.out, "CapEff", buf, sizeof(buf)), "0000000000000000");
	ck_assert_str_eq(status_field(r.out, "NoNewPrivs", buf, sizeof(buf)), "1");
	kube_free(id);
	kube_free(sb);
}
END_TEST

START_TEST(test_runtime_process_oom_killed)
{
	char *sb = run_sandbox("oom");
	/* tail keeps the last line, and /dev/zero never ends one. */
	const char *hog[] = { "tail", "/dev/zero", NULL };
	ctr_opts o = { .cmd = hog, .memory_limit = 32 << 20, .run_as_user = -1 };
	char *id = start(sb, "hog", &o);
	kube_cri_container_status st;
	ck_assert_int_eq(wait_exited(id, &st), KUBE_CRI_CONTAINER_EXITED);
	ck_assert_int_eq(st.exit_code, 137);
	ck_assert_str_eq(st.reason, "OOMKilled");
	ck_assert_int_gt(st.finished_at, st.started_at);
	ck_assert_int_eq(st.linux_resources->memory_limit_in_bytes, 32 << 20);
	status_free(&st);
	/* The same program under a limit it never meets is not "OOMKilled" when killed. */
	const char *small[] = { "sleep", "1000", NULL };
	o.cmd = small;
	char *id2 = start(sb, "calm", &o);
	ck_assert_int_eq(vt->stop_container(rt, id2, 0), 0);
	status_of(id2, &st);
	ck_assert_int_eq(st.state, KUBE_CRI_CONTAINER_EXITED);
	ck_assert_int_eq(st.exit_code, 137);
	ck_assert_str_eq(st.reason, "Error");
	status_free(&st);
	kube_free(id);
	kube_free(id2);
	kube_free(sb);
}
END_TEST

/* ---- the rest of the contract ---- */

START_TEST(test_runtime_process_exit_codes_and_logs)
{
	char *sb = run_sandbox("logs");
	const char *ok[] = { "sh", "-c", "echo hello; echo oops >&2; printf partial", NULL };
	const char *bad[] = { "sh", "-c", "exit 3", NULL };
	ctr_opts o = { .cmd = ok, .run_as_user = -1 };
	char *a = start(sb, "ok", &o);
	o.cmd = bad;
	char *b = start(sb, "bad", &o);
	kube_cri_container_status st;
	ck_assert_int_eq(wait_exited(a, &st), KUBE_CRI_CONTAINER_EXITED);
	ck_assert_int_eq(st.exit_code, 0);
	ck_assert_str_eq(st.reason, "Completed");
	char want_log[PATH_MAX + 64];
	snprintf(want_log, sizeof(want_log), "%s/logs/ok.log", case_dir);
	ck_assert_str_eq(st.log_path, want_log);
	status_free(&st);
	ck_assert_int_eq(wait_exited(b, &st), KUBE_CRI_CONTAINER_EXITED);
	ck_assert_int_eq(st.exit_code, 3);
	ck_assert_str_eq(st.reason, "Error");
	status_free(&st);

	FILE *f = fopen(want_log, "r");
	ck_assert_ptr_nonnull(f);
	char line[512];
	int seen = 0;
	while (fgets(line, sizeof(line), f)) {
		int y, mo, d, h, mi, s;
		long long ns;
		char stream[16], tag[4], text[256];
		int n = sscanf(line, "%4d-%2d-%2dT%2d:%2d:%2d.%9lldZ %15s %3s %255[^\n]", &y, &mo, &d, &h,
		               &mi, &s, &ns, stream, tag, text);
		ck_assert_msg(n == 10, "not a CRI log line: %s", line);
		ck_assert_int_eq((int)(strchr(line, 'Z') - line), 29);   /* nine fraction digits */
		ck_assert_str_eq(tag, "F");
		if (strcmp(text, "hello") == 0) {
			seen |= 1;
			ck_assert_str_eq(stream, "stdout");
		} else if (strcmp(text, "oops") == 0) {
			seen |= 2;
			ck_assert_str_eq(stream, "stderr");
		} else if (strcmp(text, "partial") == 0) {
			seen |= 4;
			ck_assert_str_eq(stream, "stdout");
		} else {
			ck_abort_msg("unexpected log line: %s", line);
		}
	}
	fclose(f);
	ck_assert_int_eq(seen, 7);
	/* Idempotent removal of exited containers. */
	ck_assert_int_eq(vt->remove_container(rt, a), 0);
	ck_assert_int_eq(vt->remove_container(rt, a), 0);
	kube_free(a);
	kube_free(b);
	kube_free(sb);
}
END_TEST

START_TEST(test_runtime_process_long_line_is_split)
{
	char *sb = run_sandbox("split");
	/* 20000 bytes and a newline: one 16 KiB piece tagged P, the rest F. */
	const char *cmd[] = { "sh", "-c", "head -c 20000 /dev/zero | tr '\\0' a; echo", NULL };
	ctr_opts o = { .cmd = cmd, .run_as_user = -1 };
	char *id = start(sb, "long", &o);
	kube_cri_container_status st;
	ck_assert_int_eq(wait_exited(id, &st), KUBE_CRI_CONTAINER_EXITED);
	ck_assert_int_eq(st.exit_code, 0);
	FILE *f = fopen(st.log_path, "r");
	ck_assert_ptr_nonnull(f);
	status_free(&st);
	static char line[32768];
	size_t lens[4];
	char tags[4];
	int n = 0;
	while (n < 4 && fgets(line, sizeof(line), f)) {
		tags[n] = line[38];   /* "<30-byte time> stdout " then the tag */
		lens[n] = strlen(line) - 40 - 1;
		n++;
	}
	fclose(f);
	ck_assert_int_eq(n, 2);
	ck_assert_int_eq(tags[0], 'P');
	ck_assert_uint_eq(lens[0], 16384);
	ck_assert_int_eq(tags[1], 'F');
	ck_assert_uint_eq(lens[1], 20000 - 16384);
	kube_free(id);
	kube_free(sb);
}
END_TEST

START_TEST(test_runtime_process_namespaces)
{
	char *sb = run_sandbox("ns-pod");
	ctr_opts o = { .cmd = sleeper, .run_as_user = -1 };
	char *id = start(sb, "main", &o);
	exec_out r;
	const char *host[] = { "hostname", NULL };
	exec(&r, id, 10, host);
	ck_assert_str_eq(r.out, "ns-pod\n");
	/* Its own pid namespace: the command is pid 1. */
	const char *comm[] = { "cat", "/proc/1/comm", NULL };
	exec(&r, id, 10, comm);
	ck_assert_str_eq(r.out, "sleep\n");
	/* Its own network: loopback only. */
	const char *net[] = { "sh", "-c", "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '", NULL };
	exec(&r, id, 10, net);
	ck_assert_str_eq(r.out, "lo\n");
	/* Its own root: the image's files and nothing of the host's. */
	const char *ls[] = { "ls", "/", NULL };
	exec(&r, id, 10, ls);
	ck_assert_str_eq(r.out, "bin\ndev\netc\nproc\nroot\nsys\ntmp\n");
	const char *dev[] = { "ls", "/dev", NULL };
	exec(&r, id, 10, dev);
	ck_assert_str_eq(r.out, "fd\nfull\nnull\nptmx\npts\nrandom\nshm\nstderr\nstdin\nstdout\ntty\nurandom\nzero\n");
	/* Loopback is up (IFF_UP | IFF_LOOPBACK). */
	const char *lo[] = { "cat", "/sys/class/net/lo/flags", NULL };
	exec(&r, id, 10, lo);
	ck_assert_str_eq(r.out, "0x9\n");

	/* A second container of the pod shares its network, IPC and hostname, not its pids. */
	char *id2 = start(sb, "side", &o);
	const char *nss[] = { "sh", "-c", "for n in net ipc uts pid mnt; do readlink /proc/self/ns/$n; done",
	                      NULL };
	exec_out a, b, c;
	exec(&a, id, 10, nss);
	exec(&b, id2, 10, nss);
	char an[5][64], bn[5][64], cn[5][64];
	ck_assert_int_eq(sscanf(a.out, "%63s %63s %63s %63s %63s", an[0], an[1], an[2], an[3], an[4]), 5);
	ck_assert_int_eq(sscanf(b.out, "%63s %63s %63s %63s %63s", bn[0], bn[1], bn[2], bn[3], bn[4]), 5);
	ck_assert_str_eq(an[0], bn[0]);
	ck_assert_str_eq(an[1], bn[1]);
	ck_assert_str_eq(an[2], bn[2]);
	ck_assert_str_ne(an[3], bn[3]);
	ck_assert_str_ne(an[4], bn[4]);
	exec(&r, id2, 10, host);
	ck_assert_str_eq(r.out, "ns-pod\n");
	/* Another pod has namespaces of its own. */
	char *sb2 = run_sandbox("other-pod");
	char *id3 = start(sb2, "main", &o);
	exec(&c, id3, 10, nss);
	ck_assert_int_eq(sscanf(c.out, "%63s %63s %63s %63s %63s", cn[0], cn[1], cn[2], cn[3], cn[4]), 5);
	ck_assert_str_ne(an[0], cn[0]);
	ck_assert_str_ne(an[1], cn[1]);
	ck_assert_str_ne(an[2], cn[2]);
	/* The host's network for a NODE pod: the same namespace as this test's. */
	kube_cri_sandbox_config hc = sandbox_cfg("host-pod", 1);
	hc.metadata.uid = "0b8f0e5e-1d7c-4a0e-8f55-7d0d5d1c4b21";
	char *sb3 = NULL;
	ck_assert_int_eq(vt->run_pod_sandbox(rt, &hc, NULL, &sb3), 0);
	char *id4 = start(sb3, "main", &o);
	exec(&c, id4, 10, nss);
	char self_net[64];
	ssize_t nl = readlink("/proc/self/ns/net", self_net, sizeof(self_net) - 1);
	ck_assert_int_gt(nl, 0);
	self_net[nl] = '\0';
	ck_assert_int_eq(sscanf(c.out, "%63s", cn[0]), 1);
	ck_assert_str_eq(cn[0], self_net);
	kube_free(id);
	kube_free(id2);
	kube_free(id3);
	kube_free(id4);
	kube_free(sb);
	kube_free(sb2);
	kube_free(sb3);
}
END_TEST

START_TEST(test_runtime_process_exec_sync)
{
	char *sb = run_sandbox("exec");
	ctr_opts o = { .cmd = sleeper, .run_as_user = -1 };
	char *id = start(sb, "main", &o);
	exec_out r;
	const char *both[] = { "sh", "-c", "echo out; echo err >&2; exit 3", NULL };
	exec(&r, id, 10, both);
	ck_assert_int_eq(r.rc, 0);
	ck_assert_int_eq(r.exit_code, 3);
	ck_assert_str_eq(r.out, "out\n");
	ck_assert_str_eq(r.err, "err\n");
	const char *missing[] = { "no-such-command", NULL };
	exec(&r, id, 10, missing);
	ck_assert_int_eq(r.rc, 0);
	ck_assert_int_eq(r.exit_code, 127);
	ck_assert_str_eq(r.err, "runtime-process: exec: executable file not found\n");
	int64_t t0 = now_ns();
	const char *slow[] = { "sleep", "30", NULL };
	exec(&r, id, 1, slow);
	int64_t took = now_ns() - t0;
	ck_assert_int_eq(r.rc, KUBE_ETIMEDOUT);
	ck_assert_str_eq(kube_error_last()->message, "runtime-process: ExecSync timed out after 1s");
	ck_assert_int_lt(took, 5 * (int64_t)1000000000);
	/* Unknown and stopped containers. */
	exec(&r, "no-such-container", 10, both);
	ck_assert_int_eq(r.rc, KUBE_ENOTFOUND);
	ck_assert_int_eq(vt->stop_container(rt, id, 0), 0);
	exec(&r, id, 10, both);
	ck_assert_int_eq(r.rc, KUBE_ECONFLICT);
	kube_free(id);
	kube_free(sb);
}
END_TEST

START_TEST(test_runtime_process_stats_and_images)
{
	char *sb = run_sandbox("stats");
	const char *busy[] = { "sh", "-c", "i=0; while [ $i -lt 20000 ]; do i=$((i+1)); done; sleep 1000", NULL };
	ctr_opts o = { .cmd = busy, .memory_limit = 64 << 20, .run_as_user = -1 };
	char *id = start(sb, "busy", &o);
	struct timespec ts = { 0, 300 * 1000 * 1000 };
	nanosleep(&ts, NULL);
	kube_cri_container_stats_list sl = { .struct_size = sizeof(sl) };
	ck_assert_int_eq(vt->container_stats(rt, id, &sl), 0);
	ck_assert_uint_eq(sl.n_items, 1);
	kube_cri_container_stats *s = &sl.items[0];
	ck_assert_str_eq(s->id, id);
	ck_assert_str_eq(s->metadata.name, "busy");
	ck_assert_int_eq(s->has_cpu, 1);
	ck_assert_uint_gt(s->cpu.usage_core_nano_seconds.value, 0);
	ck_assert_int_eq(s->has_memory, 1);
	ck_assert_uint_gt(s->memory.usage_bytes.value, 0);
	ck_assert_uint_le(s->memory.working_set_bytes.value, s->memory.usage_bytes.value);
	ck_assert_uint_eq(s->memory.available_bytes.value,
	                  (uint64_t)(64 << 20) - s->memory.working_set_bytes.value);
	kube_free(s->id);
	kube_free(s->metadata.name);
	kube_free(sl.items);
	/* Images: by name from image_path, by path, by id; removal is idempotent. */
	kube_cri_image_list il = { .struct_size = sizeof(il) };
	ck_assert_int_eq(vt->list_images(rt, NULL, &il), 0);
	ck_assert_uint_eq(il.n_items, 1);
	ck_assert_uint_eq(il.items[0].n_repo_tags, 2);
	ck_assert_str_eq(il.items[0].repo_tags[0], image_dir);
	ck_assert_str_eq(il.items[0].repo_tags[1], "busybox:test");
	ck_assert_int_eq(strncmp(il.items[0].id, "sha256:", 7), 0);
	char id_copy[80];
	snprintf(id_copy, sizeof(id_copy), "%s", il.items[0].id);
	for (size_t i = 0; i < il.items[0].n_repo_tags; i++)
		kube_free(il.items[0].repo_tags[i]);
	kube_free(il.items[0].repo_tags);
	kube_free(il.items[0].id);
	kube_free(il.items[0].spec_image);
	kube_free(il.items);
	char *ref = NULL;
	ck_assert_int_eq(vt->pull_image(rt, "no-such-image:1", NULL, NULL, &ref), KUBE_ENOTFOUND);
	ck_assert_int_eq(vt->remove_image(rt, id_copy), 0);
	ck_assert_int_eq(vt->remove_image(rt, id_copy), 0);
	kube_cri_image_status is = { .struct_size = sizeof(is) };
	ck_assert_int_eq(vt->image_status(rt, "busybox:test", 0, &is), KUBE_ENOTFOUND);
	/* The running container has its own copy of the root file system. */
	exec_out r;
	const char *echo[] = { "echo", "still here", NULL };
	exec(&r, id, 10, echo);
	ck_assert_str_eq(r.out, "still here\n");
	kube_free(id);
	kube_free(sb);
}
END_TEST

/* Waits up to 30 s for a line in the log at path (the ticker writes one
 * every 0.1 s, on half a CPU); a miss says what the container is doing. */
static void wait_for_a_line(const char *id, const char *path)
{
	struct stat sst = { 0 };
	kube_cri_container_status st;

	for (int i = 0; i < 300 && (stat(path, &sst) != 0 || sst.st_size == 0); i++) {
		struct timespec ts = { 0, 100 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	if (sst.st_size > 0)
		return;
	status_of(id, &st);
	ck_abort_msg("no line in %s within 30 s: container state %d, exit code %d, reason %s", path,
	             (int)st.state, (int)st.exit_code, st.reason ? st.reason : "-");
}

/* UpdateContainerResources reaches the cgroup; ReopenContainerLog follows a rotation. */
START_TEST(test_runtime_process_update_and_reopen)
{
	char *sb = run_sandbox("upd");
	const char *ticker[] = { "sh", "-c", "while true; do echo tick; sleep 0.1; done", NULL };
	ctr_opts o = { .cmd = ticker, .memory_limit = 64 << 20, .run_as_user = -1 };
	char *id = start(sb, "tick", &o);
	kube_cri_linux_resources res = { .struct_size = sizeof(res), .memory_limit_in_bytes = 48 << 20,
	                                 .cpu_period = 100000, .cpu_quota = 50000 };
	ck_assert_int_eq(vt->update_container_resources(rt, id, &res), 0);
	kube_cri_container_status st;
	status_of(id, &st);
	ck_assert_int_eq(st.linux_resources->memory_limit_in_bytes, 48 << 20);
	ck_assert_int_eq(st.linux_resources->cpu_quota, 50000);
	char log[PATH_MAX];
	snprintf(log, sizeof(log), "%s", st.log_path);
	status_free(&st);
	/* The limit is the kernel's now: v1 or v2, whichever this machine has. */
	char cmd[256], line[64] = "";
	snprintf(cmd, sizeof(cmd),
	         "cat /sys/fs/cgroup/memory/libkube-test-%d/*/%s/memory.limit_in_bytes "
	         "/sys/fs/cgroup/libkube-test-%d/*/%s/memory.max 2>/dev/null",
	         (int)getpid(), id, (int)getpid(), id);
	FILE *p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), p));
	pclose(p);
	ck_assert_str_eq(line, "50331648\n");
	/* Rotate: rename the log, reopen, and new lines land in a new file.
	 * The log has a line first: on a busy machine the ticker may not have
	 * written one yet (CI twice found the rotated file empty). */
	char rotated[PATH_MAX + 8];
	snprintf(rotated, sizeof(rotated), "%s.1", log);
	wait_for_a_line(id, log);
	ck_assert_int_eq(rename(log, rotated), 0);
	ck_assert_int_eq(vt->reopen_container_log(rt, id), 0);
	struct stat sst;
	ck_assert_int_eq(stat(log, &sst), 0);
	wait_for_a_line(id, log);
	ck_assert_int_eq(stat(rotated, &sst), 0);
	ck_assert_int_gt(sst.st_size, 0);
	ck_assert_int_eq(vt->reopen_container_log(rt, "no-such-container"), KUBE_ENOTFOUND);
	ck_assert_int_eq(vt->update_container_resources(rt, "no-such-container", &res), KUBE_ENOTFOUND);
	kube_free(id);
	kube_free(sb);
}
END_TEST

/* A second layer with an opaque directory and a whiteout, merged as OCI says. */
START_TEST(test_runtime_process_layers_and_whiteouts)
{
	char layer[PATH_MAX + 64], layout[PATH_MAX + 64], cmd[4 * PATH_MAX], p[PATH_MAX + 96];
	snprintf(layer, sizeof(layer), "%s/layer2", case_dir);
	snprintf(layout, sizeof(layout), "%s/layered", case_dir);
	snprintf(p, sizeof(p), "%s/etc", layer);
	ck_assert_int_eq(mkdir(layer, 0755), 0);
	ck_assert_int_eq(mkdir(p, 0755), 0);
	const char *files[] = { "etc/.wh..wh..opq", "etc/motd", ".wh.root" };
	for (int i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s/%s", layer, files[i]);
		FILE *f = fopen(p, "w");
		ck_assert_ptr_nonnull(f);
		if (i == 1)
			fputs("layer two\n", f);
		fclose(f);
	}
	snprintf(cmd, sizeof(cmd), "%s/tests/plugin-conformance/mkimage.sh %s /bin/busybox layered:2 %s >/dev/null",
	         KUBE_SOURCE_ROOT, layout, layer);
	ck_assert_int_eq(system(cmd), 0);
	char *ref = NULL;
	ck_assert_int_eq(vt->pull_image(rt, layout, NULL, NULL, &ref), 0);
	kube_free(ref);

	char *sb = run_sandbox("layers");
	kube_cri_sandbox_config sc = sandbox_cfg("layers", 0);
	kube_cri_container_config cc;
	memset(&cc, 0, sizeof(cc));
	cc.struct_size = sizeof(cc);
	cc.metadata.name = "main";
	cc.image = layout;
	char *argv[] = { "sleep", "1000" };
	cc.command = argv;
	cc.n_command = 2;
	char *id = NULL;
	ck_assert_int_eq(vt->create_container(rt, sb, &cc, &sc, &id), 0);
	ck_assert_int_eq(vt->start_container(rt, id), 0);
	exec_out r;
	const char *ls_etc[] = { "ls", "-a", "/etc", NULL };
	exec(&r, id, 10, ls_etc);
	ck_assert_str_eq(r.out, ".\n..\nmotd\n");   /* opaque: the first layer's passwd is gone */
	const char *motd[] = { "cat", "/etc/motd", NULL };
	exec(&r, id, 10, motd);
	ck_assert_str_eq(r.out, "layer two\n");
	const char *ls[] = { "ls", "/", NULL };
	exec(&r, id, 10, ls);
	ck_assert_str_eq(r.out, "bin\ndev\netc\nproc\nsys\ntmp\n");   /* .wh.root removed /root */
	kube_free(id);
	kube_free(sb);
}
END_TEST

/* A layout changed after it was written (one byte of the layer) is refused. */
START_TEST(test_runtime_process_tampered_image)
{
	char layout[PATH_MAX + 64], cmd[4 * PATH_MAX];
	snprintf(layout, sizeof(layout), "%s/tampered", case_dir);
	snprintf(cmd, sizeof(cmd),
	         "%s/tests/plugin-conformance/mkimage.sh %s /bin/busybox tampered:1 >/dev/null && "
	         "f=$(ls -S %s/blobs/sha256/* | head -1) && printf x >> $f",
	         KUBE_SOURCE_ROOT, layout, layout);
	ck_assert_int_eq(system(cmd), 0);
	char *ref = NULL;
	ck_assert_int_eq(vt->pull_image(rt, layout, NULL, NULL, &ref), KUBE_EDATALOSS);
	ck_assert_ptr_null(ref);
	const char *m = kube_error_last()->message;
	ck_assert_msg(strstr(m, "does not match its digest (sha256:") != NULL, "message: %s", m);
	kube_cri_image_status is = { .struct_size = sizeof(is) };
	ck_assert_int_eq(vt->image_status(rt, "tampered:1", 0, &is), KUBE_ENOTFOUND);
}
END_TEST

static Suite *runtime_process_suite(void)
{
	Suite *s = suite_create("runtime_process");
	TCase *sec = tcase_create("security");
	tcase_add_checked_fixture(sec, setup, teardown);
	tcase_set_timeout(sec, 60);
	tcase_add_test(sec, test_runtime_process_blocked_syscall_is_eperm);
	tcase_add_test(sec, test_runtime_process_no_privileges);
	tcase_add_test(sec, test_runtime_process_oom_killed);
	suite_add_tcase(s, sec);
	TCase *cri = tcase_create("cri");
	tcase_add_checked_fixture(cri, setup, teardown);
	tcase_set_timeout(cri, 60);
	tcase_add_test(cri, test_runtime_process_exit_codes_and_logs);
	tcase_add_test(cri, test_runtime_process_long_line_is_split);
	tcase_add_test(cri, test_runtime_process_namespaces);
	tcase_add_test(cri, test_runtime_process_exec_sync);
	tcase_add_test(cri, test_runtime_process_stats_and_images);
	tcase_add_test(cri, test_runtime_process_layers_and_whiteouts);
	tcase_add_test(cri, test_runtime_process_tampered_image);
	tcase_add_test(cri, test_runtime_process_update_and_reopen);
	suite_add_tcase(s, cri);
	return s;
}

static int copy_file(const char *from, const char *to)
{
	FILE *in = fopen(from, "rb"), *out = in ? fopen(to, "wb") : NULL;
	int rc = in && out ? 0 : -1;
	char buf[8192];
	size_t n;
	while (!rc && (n = fread(buf, 1, sizeof(buf), in)) > 0)
		rc = fwrite(buf, 1, n, out) == n ? 0 : -1;
	if (in)
		fclose(in);
	if (out && fclose(out) != 0)
		rc = -1;
	return rc ? rc : chmod(to, 0755);
}

int main(void)
{
	if (geteuid() != 0) {
		printf("runtime_process: containers need root; skipped\n");
		return 77;
	}
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return 1;
	exe[n] = '\0';
	snprintf(build_dir, sizeof(build_dir), "%s", dirname(dirname(dirname(exe))));
	snprintf(work_dir, sizeof(work_dir), "/tmp/kube-test-runtime-XXXXXX");
	if (!mkdtemp(work_dir))
		return 1;
	/* A private copy: a build tree made under umask 002 is group-writable. */
	char from[2 * PATH_MAX], to[PATH_MAX + 32], cmd[4 * PATH_MAX];
	snprintf(from, sizeof(from), "%s/plugins/runtime-process/runtime-process.so", build_dir);
	snprintf(to, sizeof(to), "%s/runtime-process.so", work_dir);
	snprintf(image_dir, sizeof(image_dir), "%s/busybox", work_dir);
	snprintf(cmd, sizeof(cmd), "%s/tests/plugin-conformance/mkimage.sh %s >/dev/null",
	         KUBE_SOURCE_ROOT, image_dir);
	int failed = 1;
	if (copy_file(from, to) == 0 && system(cmd) == 0) {
		SRunner *sr = srunner_create(runtime_process_suite());
		srunner_run_all(sr, CK_NORMAL);
		failed = srunner_ntests_failed(sr);
		srunner_free(sr);
	} else {
		fprintf(stderr, "cannot stage the plugin or build the image in %s\n", work_dir);
	}
	nftw(work_dir, rm_any, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
	return failed ? 1 : 0;
}
