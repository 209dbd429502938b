/*
 * test_cri_containerd.c - the CRI client against a real containerd.
 *
 * tests/cri/run.sh starts containerd (and a registry) and passes what it
 * made in KUBE_CRI_* variables; without them this program fails, because a
 * CRI suite that quietly skips proves nothing.  Each test makes its own
 * client.  The sandbox test is one story in order: a host-network sandbox,
 * a container that writes to its log, ExecSync, status through the states,
 * stats, then stop and remove twice each.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "libkube/kube.h"
#include "libkube/cri.h"

static const char *env(const char *name)
{
	const char *v = getenv(name);
	ck_assert_msg(v && *v, "%s is not set: run this through tests/cri/run.sh", name);
	return v;
}

static kube_cri_client *client_with(int api)
{
	kube_cri_client *c = NULL;
	kube_cri_options o = KUBE_CRI_OPTIONS_INIT;
	o.api = api;
	o.timeout_ms = 60000;
	o.pull_timeout_ms = 60000;
	ck_assert_int_eq(kube_cri_client_new(&c, NULL, env("KUBE_CRI_ENDPOINT"), &o), 0);
	return c;
}

static kube_cri_client *client(void)
{
	return client_with(KUBE_CRI_API_AUTO);
}

static const char *errmsg(void)
{
	const kube_error *e = kube_error_last();
	return e && e->message ? e->message : "(none)";
}

#define OK(expr) ck_assert_msg((expr) == 0, "%s: %s", #expr, errmsg())

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static int has_str(char **v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i], s) == 0)
			return 1;
	return 0;
}

/* ---- Version, Status ---- */

START_TEST(test_cri_version)
{
	kube_cri_client *c = client();
	ck_assert_int_eq(kube_cri_client_api(c), KUBE_CRI_API_AUTO);
	kube_cri_version *v = NULL;
	OK(kube_cri_version_sync(&v, c));
	ck_assert_str_eq(v->version, "0.1.0");
	ck_assert_str_eq(v->runtime_name, "containerd");
	ck_assert_msg(strncmp(v->runtime_version, "1.6.", 4) == 0, "%s", v->runtime_version);
	ck_assert_str_eq(v->runtime_api_version, "v1");
	ck_assert_int_eq(kube_cri_client_api(c), KUBE_CRI_API_V1);
	kube_cri_version_free(v);
	kube_cri_client_free(c);
}
END_TEST

/* containerd 1.6 serves both APIs: pinned to v1alpha2, the same messages go
 * to /runtime.v1alpha2.RuntimeService/ and the runtime says which it is. */
START_TEST(test_cri_version_v1alpha2)
{
	kube_cri_client *c = client_with(KUBE_CRI_API_V1ALPHA2);
	kube_cri_version *v = NULL;
	OK(kube_cri_version_sync(&v, c));
	ck_assert_str_eq(v->runtime_name, "containerd");
	ck_assert_str_eq(v->runtime_api_version, "v1alpha2");
	kube_cri_version_free(v);
	kube_cri_image_list *l = NULL;
	/* containerd 1.6 ignores ListImages' filter: both imported images */
	OK(kube_cri_list_images_sync(&l, c, env("KUBE_CRI_IMAGE")));
	int found = 0;
	for (size_t i = 0; i < l->n_items; i++)
		found += has_str(l->items[i].repo_tags, l->items[i].n_repo_tags, env("KUBE_CRI_IMAGE"));
	ck_assert_int_eq(found, 1);
	kube_cri_image_list_free(l);
	ck_assert_int_eq(kube_cri_client_api(c), KUBE_CRI_API_V1ALPHA2);
	kube_cri_client_free(c);
}
END_TEST

START_TEST(test_cri_status)
{
	kube_cri_client *c = client();
	kube_cri_runtime_status *s = NULL;
	OK(kube_cri_status_sync(&s, c, 1));
	int runtime_ready = -1, network_ready = -1;
	for (size_t i = 0; i < s->n_conditions; i++) {
		if (strcmp(s->conditions[i].type, "RuntimeReady") == 0)
			runtime_ready = s->conditions[i].status;
		if (strcmp(s->conditions[i].type, "NetworkReady") == 0) {
			network_ready = s->conditions[i].status;
			/* no CNI config in the harness's conf_dir */
			ck_assert_str_eq(s->conditions[i].reason, "NetworkPluginNotReady");
		}
	}
	ck_assert_int_eq(runtime_ready, 1);
	ck_assert_int_eq(network_ready, 0);
	/* verbose: containerd puts its CRI config in info["config"] */
	int has_config = 0;
	for (size_t i = 0; i < s->n_info; i++)
		if (strcmp(s->info[i].key, "config") == 0)
			has_config = strstr(s->info[i].value, env("KUBE_CRI_IMAGE")) != NULL;
	ck_assert_int_eq(has_config, 1);
	kube_cri_runtime_status_free(s);
	kube_cri_client_free(c);
}
END_TEST

/* ---- images ---- */

START_TEST(test_cri_images)
{
	kube_cri_client *c = client();
	const char *image = env("KUBE_CRI_IMAGE"), *extra = env("KUBE_CRI_IMAGE_EXTRA");
	const char *id = env("KUBE_CRI_IMAGE_ID"), *extra_id = env("KUBE_CRI_IMAGE_EXTRA_ID");

	kube_cri_image_list *l = NULL;
	OK(kube_cri_list_images_sync(&l, c, NULL));
	/* the two imported images, each with its name */
	int found = 0;
	for (size_t i = 0; i < l->n_items; i++) {
		const char *name = strcmp(l->items[i].id, id) == 0 ? image
		                 : strcmp(l->items[i].id, extra_id) == 0 ? extra : NULL;
		if (!name)
			continue;
		found++;
		ck_assert(has_str(l->items[i].repo_tags, l->items[i].n_repo_tags, name));
		ck_assert_uint_gt(l->items[i].size, 100000);   /* busybox is ~1 MiB */
	}
	ck_assert_int_eq(found, 2);
	kube_cri_image_list_free(l);

	kube_cri_image_status *st = NULL;
	OK(kube_cri_image_status_sync(&st, c, image, 0));
	ck_assert_str_eq(st->image.id, id);
	ck_assert(has_str(st->image.repo_tags, st->image.n_repo_tags, image));
	ck_assert_uint_eq(st->n_info, 0);   /* not verbose */
	kube_cri_image_status_free(st);

	OK(kube_cri_image_status_sync(&st, c, extra, 0));
	ck_assert_str_eq(st->image.id, extra_id);
	kube_cri_image_status_free(st);

	/* remove the other image, twice: the second is a no-op; then it is gone */
	OK(kube_cri_remove_image_sync(c, extra));
	OK(kube_cri_remove_image_sync(c, extra));
	ck_assert_int_eq(kube_cri_image_status_sync(&st, c, extra, 0), KUBE_ENOTFOUND);
	ck_assert_ptr_null(st);
	char want[512];
	snprintf(want, sizeof(want), "ImageStatus: image \"%s\" not found", extra);
	ck_assert_str_eq(errmsg(), want);
	/* the first one is still there */
	OK(kube_cri_image_status_sync(&st, c, image, 0));
	ck_assert_str_eq(st->image.id, id);
	kube_cri_image_status_free(st);

	kube_cri_fs_info *fs = NULL;
	OK(kube_cri_image_fs_info_sync(&fs, c));
	ck_assert_uint_ge(fs->n_image_filesystems, 1);
	ck_assert_msg(strncmp(fs->image_filesystems[0].mountpoint, env("KUBE_CRI_ROOT"),
	                      strlen(env("KUBE_CRI_ROOT"))) == 0,
	              "%s", fs->image_filesystems[0].mountpoint);
	/* containerd sends both; their values come from a periodic scan, which
	 * may not have run yet */
	ck_assert_int_eq(fs->image_filesystems[0].used_bytes.set, 1);
	ck_assert_int_eq(fs->image_filesystems[0].inodes_used.set, 1);
	ck_assert_int_gt(fs->image_filesystems[0].timestamp, 0);
	kube_cri_fs_info_free(fs);
	kube_cri_client_free(c);
}
END_TEST

START_TEST(test_cri_pull_image)
{
	kube_cri_client *c = client();
	const char *ref_name = env("KUBE_CRI_PULL_IMAGE");
	char *ref = NULL;
	OK(kube_cri_pull_image_sync(&ref, c, ref_name, NULL, NULL));
	/* containerd answers the image id: the config's digest */
	ck_assert_str_eq(ref, env("KUBE_CRI_IMAGE_ID"));
	kube_free(ref);
	kube_cri_image_status *st = NULL;
	OK(kube_cri_image_status_sync(&st, c, ref_name, 0));
	ck_assert(has_str(st->image.repo_tags, st->image.n_repo_tags, ref_name));
	ck_assert_uint_ge(st->image.n_repo_digests, 1);
	kube_cri_image_status_free(st);

	/* a tag the registry does not have */
	char missing[512];
	snprintf(missing, sizeof(missing), "%s-missing", ref_name);
	ck_assert_int_eq(kube_cri_pull_image_sync(&ref, c, missing, NULL, NULL), KUBE_ENOTFOUND);
	ck_assert_ptr_null(ref);
	ck_assert_msg(strncmp(errmsg(), "PullImage: NOT_FOUND: ", 22) == 0, "%s", errmsg());
	kube_cri_client_free(c);
}
END_TEST

/* ---- a sandbox and its containers ---- */

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	static char buf[65536];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	return buf;
}

/* Polls until the container is in `state` (or 20 s pass). */
static kube_cri_container_status *wait_state(kube_cri_client *c, const char *id, int state)
{
	for (int i = 0; i < 200; i++) {
		kube_cri_container_status *s = NULL;
		OK(kube_cri_container_status_sync(&s, c, id, 0));
		if (s->state == state)
			return s;
		kube_cri_container_status_free(s);
		sleep_ms(100);
	}
	ck_abort_msg("container %s never reached state %d", id, state);
	return NULL;
}

/* Checks one CRI log line: "<RFC 3339 nano time> <stream> F <text>". */
static void check_log_line(const char *line, size_t len, const char *stream, const char *text)
{
	char want[256];
	snprintf(want, sizeof(want), " %s F %s", stream, text);
	const char *sp = memchr(line, ' ', len);
	ck_assert_msg(sp != NULL, "%.*s", (int)len, line);
	size_t tlen = (size_t)(sp - line);
	/* 2006-01-02T15:04:05.999999999Z07:00: a date, a T, a zone */
	ck_assert_msg(tlen >= 20 && line[4] == '-' && line[7] == '-' && line[10] == 'T' &&
	              line[13] == ':' && line[16] == ':', "%.*s", (int)len, line);
	ck_assert_msg(line[tlen - 1] == 'Z' || line[tlen - 6] == '+' || line[tlen - 6] == '-',
	              "%.*s", (int)len, line);
	ck_assert_int_eq(len - tlen, strlen(want));
	ck_assert_msg(memcmp(sp, want, strlen(want)) == 0, "%.*s", (int)len, line);
}

START_TEST(test_cri_sandbox_lifecycle)
{
	kube_cri_client *c = client();
	const char *image = env("KUBE_CRI_IMAGE");
	char logdir[512];
	snprintf(logdir, sizeof(logdir), "%s/pod-%d", env("KUBE_CRI_LOG_DIR"), (int)getpid());

	kube_cri_kv labels[] = { { "app", "cri-test" } };
	kube_cri_sandbox_config sb = { .struct_size = sizeof(sb) };
	sb.metadata.name = "cri-test";
	sb.metadata.uid = "uid-cri-test-1";
	sb.metadata.ns = "default";
	sb.metadata.attempt = 0;
	sb.log_directory = logdir;
	sb.labels = labels;
	sb.n_labels = 1;
	/* the node's network: no CNI needed; and so no hostname */
	sb.linux_namespaces.network = KUBE_CRI_NAMESPACE_NODE;
	sb.linux_namespaces.pid = KUBE_CRI_NAMESPACE_CONTAINER;
	sb.linux_namespaces.ipc = KUBE_CRI_NAMESPACE_POD;

	char *sid = NULL;
	OK(kube_cri_run_pod_sandbox_sync(&sid, c, &sb, NULL));
	ck_assert_uint_eq(strlen(sid), 64);

	kube_cri_sandbox_status *ss = NULL;
	OK(kube_cri_pod_sandbox_status_sync(&ss, c, sid, 0));
	ck_assert_str_eq(ss->id, sid);
	ck_assert_str_eq(ss->metadata.name, "cri-test");
	ck_assert_str_eq(ss->metadata.uid, "uid-cri-test-1");
	ck_assert_str_eq(ss->metadata.ns, "default");
	ck_assert_int_eq(ss->state, KUBE_CRI_SANDBOX_READY);
	ck_assert_int_eq(ss->linux_namespaces.network, KUBE_CRI_NAMESPACE_NODE);
	ck_assert_int_gt(ss->created_at, 0);
	ck_assert_uint_eq(ss->n_labels, 1);
	ck_assert_str_eq(ss->labels[0].key, "app");
	ck_assert_str_eq(ss->labels[0].value, "cri-test");
	kube_cri_sandbox_status_free(ss);

	kube_cri_sandbox_filter sf = { .struct_size = sizeof(sf) };
	sf.id = sid;
	kube_cri_sandbox_list *sl = NULL;
	OK(kube_cri_list_pod_sandbox_sync(&sl, c, &sf));
	ck_assert_uint_eq(sl->n_items, 1);
	ck_assert_str_eq(sl->items[0].id, sid);
	ck_assert_str_eq(sl->items[0].metadata.name, "cri-test");
	ck_assert_int_eq(sl->items[0].state, KUBE_CRI_SANDBOX_READY);
	kube_cri_sandbox_list_free(sl);

	/* a container that writes one line to each stream, then waits */
	char *cmd[] = { "/bin/sh", "-c",
	                "echo hello-out; echo hello-err >&2; exec sleep 2147483647" };
	kube_cri_kv envs[] = { { "GREETING", "hi" } };
	kube_cri_container_config cc = { .struct_size = sizeof(cc) };
	cc.metadata.name = "worker";
	cc.image = (char *)image;
	cc.command = cmd;
	cc.n_command = 3;
	cc.envs = envs;
	cc.n_envs = 1;
	cc.log_path = "worker.log";
	cc.linux_namespaces.network = KUBE_CRI_NAMESPACE_NODE;
	cc.linux_namespaces.pid = KUBE_CRI_NAMESPACE_CONTAINER;
	char *cid = NULL;
	OK(kube_cri_create_container_sync(&cid, c, sid, &cc, &sb));
	ck_assert_uint_eq(strlen(cid), 64);

	kube_cri_container_status *cs = NULL;
	OK(kube_cri_container_status_sync(&cs, c, cid, 0));
	ck_assert_int_eq(cs->state, KUBE_CRI_CONTAINER_CREATED);
	ck_assert_str_eq(cs->metadata.name, "worker");
	ck_assert_int_gt(cs->created_at, 0);
	ck_assert_int_eq(cs->started_at, 0);
	char path[600];
	snprintf(path, sizeof(path), "%s/worker.log", logdir);
	ck_assert_str_eq(cs->log_path, path);
	kube_cri_container_status_free(cs);

	OK(kube_cri_start_container_sync(c, cid));
	cs = wait_state(c, cid, KUBE_CRI_CONTAINER_RUNNING);
	ck_assert_int_gt(cs->started_at, 0);
	ck_assert_int_eq(cs->finished_at, 0);
	kube_cri_container_status_free(cs);

	/* the log, in CRI's format: two lines, in the order written */
	char *text = NULL;
	for (int i = 0; i < 100; i++) {
		text = read_file(path);
		if (text && strstr(text, "hello-out") && strstr(text, "hello-err"))
			break;
		sleep_ms(100);
	}
	ck_assert_ptr_nonnull(text);
	char *nl = strchr(text, '\n');
	ck_assert_ptr_nonnull(nl);
	char *line2 = nl + 1;
	char *nl2 = strchr(line2, '\n');
	ck_assert_ptr_nonnull(nl2);
	ck_assert_str_eq(nl2 + 1, "");
	/* the streams are separate pipes: either may be first */
	if (strstr(text, "stdout") < strstr(text, "stderr")) {
		check_log_line(text, (size_t)(nl - text), "stdout", "hello-out");
		check_log_line(line2, (size_t)(nl2 - line2), "stderr", "hello-err");
	} else {
		check_log_line(text, (size_t)(nl - text), "stderr", "hello-err");
		check_log_line(line2, (size_t)(nl2 - line2), "stdout", "hello-out");
	}
	OK(kube_cri_reopen_container_log_sync(c, cid));

	/* ExecSync: both streams and the exit code */
	const char *ex[] = { "/bin/sh", "-c", "echo out-$GREETING; echo err >&2; exit 7" };
	kube_cri_exec_result *er = NULL;
	OK(kube_cri_exec_sync_sync(&er, c, cid, ex, 3, 10));
	ck_assert_str_eq((char *)er->out, "out-hi\n");
	ck_assert_uint_eq(er->out_len, 7);
	ck_assert_str_eq((char *)er->err, "err\n");
	ck_assert_uint_eq(er->err_len, 4);
	ck_assert_int_eq(er->exit_code, 7);
	kube_cri_exec_result_free(er);
	const char *ok_cmd[] = { "/bin/true" };
	OK(kube_cri_exec_sync_sync(&er, c, cid, ok_cmd, 1, 0));
	ck_assert_int_eq(er->exit_code, 0);
	ck_assert_uint_eq(er->out_len, 0);
	ck_assert_str_eq((char *)er->out, "");
	kube_cri_exec_result_free(er);

	/* resources and stats */
	kube_cri_linux_resources res = { .struct_size = sizeof(res) };
	res.cpu_shares = 512;
	res.memory_limit_in_bytes = 256 << 20;
	OK(kube_cri_update_container_resources_sync(c, cid, &res));
	kube_cri_container_stats_list *st = NULL;
	OK(kube_cri_container_stats_sync(&st, c, cid));
	ck_assert_uint_eq(st->n_items, 1);
	ck_assert_str_eq(st->items[0].id, cid);
	ck_assert_str_eq(st->items[0].metadata.name, "worker");
	ck_assert_int_eq(st->items[0].has_cpu, 1);
	ck_assert_int_eq(st->items[0].has_memory, 1);
	ck_assert_int_eq(st->items[0].memory.working_set_bytes.set, 1);
	kube_cri_container_stats_list_free(st);
	kube_cri_container_stats_filter stf = { .struct_size = sizeof(stf) };
	stf.pod_sandbox_id = sid;
	OK(kube_cri_list_container_stats_sync(&st, c, &stf));
	ck_assert_uint_eq(st->n_items, 1);
	ck_assert_str_eq(st->items[0].id, cid);
	kube_cri_container_stats_list_free(st);

	/* a second container that ends by itself with code 3 */
	char *cmd2[] = { "/bin/sh", "-c", "exit 3" };
	kube_cri_container_config cc2 = cc;
	cc2.metadata.name = "short";
	cc2.command = cmd2;
	cc2.log_path = "short.log";
	char *cid2 = NULL;
	OK(kube_cri_create_container_sync(&cid2, c, sid, &cc2, &sb));
	OK(kube_cri_start_container_sync(c, cid2));
	cs = wait_state(c, cid2, KUBE_CRI_CONTAINER_EXITED);
	ck_assert_int_eq(cs->exit_code, 3);
	ck_assert_str_eq(cs->reason, "Error");
	/* (not finished_at >= started_at: containerd stamps a process that
	 * ends at once with its exit before its start now and then) */
	ck_assert_int_gt(cs->started_at, 0);
	ck_assert_int_gt(cs->finished_at, 0);
	kube_cri_container_status_free(cs);

	kube_cri_container_filter cf = { .struct_size = sizeof(cf) };
	cf.pod_sandbox_id = sid;
	kube_cri_container_list *cl = NULL;
	OK(kube_cri_list_containers_sync(&cl, c, &cf));
	ck_assert_uint_eq(cl->n_items, 2);
	kube_cri_container_list_free(cl);
	cf.has_state = 1;
	cf.state = KUBE_CRI_CONTAINER_RUNNING;
	OK(kube_cri_list_containers_sync(&cl, c, &cf));
	ck_assert_uint_eq(cl->n_items, 1);
	ck_assert_str_eq(cl->items[0].id, cid);
	ck_assert_str_eq(cl->items[0].pod_sandbox_id, sid);
	ck_assert_str_eq(cl->items[0].metadata.name, "worker");
	ck_assert_int_eq(cl->items[0].state, KUBE_CRI_CONTAINER_RUNNING);
	kube_cri_container_list_free(cl);

	/* stop: sh as pid 1 ignores SIGTERM, so SIGKILL after 1 s: 137 */
	OK(kube_cri_stop_container_sync(c, cid, 1));
	cs = wait_state(c, cid, KUBE_CRI_CONTAINER_EXITED);
	ck_assert_int_eq(cs->exit_code, 137);
	kube_cri_container_status_free(cs);
	OK(kube_cri_stop_container_sync(c, cid, 1));   /* again: nothing to do */

	OK(kube_cri_remove_container_sync(c, cid));
	OK(kube_cri_remove_container_sync(c, cid));    /* again: gone already */
	ck_assert_int_eq(kube_cri_container_status_sync(&cs, c, cid, 0), KUBE_ENOTFOUND);
	ck_assert_ptr_null(cs);
	char want[512];
	snprintf(want, sizeof(want),
	         "ContainerStatus: NOT_FOUND: an error occurred when try to find container \"%s\": "
	         "not found", cid);
	ck_assert_str_eq(errmsg(), want);

	OK(kube_cri_stop_pod_sandbox_sync(c, sid));
	OK(kube_cri_stop_pod_sandbox_sync(c, sid));
	OK(kube_cri_pod_sandbox_status_sync(&ss, c, sid, 0));
	ck_assert_int_eq(ss->state, KUBE_CRI_SANDBOX_NOTREADY);
	kube_cri_sandbox_status_free(ss);
	OK(kube_cri_remove_pod_sandbox_sync(c, sid));   /* removes "short" too */
	OK(kube_cri_remove_pod_sandbox_sync(c, sid));
	ck_assert_int_eq(kube_cri_pod_sandbox_status_sync(&ss, c, sid, 0), KUBE_ENOTFOUND);
	ck_assert_int_eq(kube_cri_container_status_sync(&cs, c, cid2, 0), KUBE_ENOTFOUND);
	OK(kube_cri_list_pod_sandbox_sync(&sl, c, &sf));
	ck_assert_uint_eq(sl->n_items, 0);
	kube_cri_sandbox_list_free(sl);

	kube_free(cid2);
	kube_free(cid);
	kube_free(sid);
	kube_cri_client_free(c);
}
END_TEST

/* ---- unknown ids ---- */

START_TEST(test_cri_unknown_ids)
{
	kube_cri_client *c = client();
	const char *id = "0000000000000000000000000000000000000000000000000000000000000000";

	kube_cri_sandbox_status *ss = NULL;
	ck_assert_int_eq(kube_cri_pod_sandbox_status_sync(&ss, c, id, 0), KUBE_ENOTFOUND);
	ck_assert_str_eq(errmsg(), "PodSandboxStatus: NOT_FOUND: an error occurred when try to "
	                 "find sandbox: not found");

	kube_cri_container_status *cs = NULL;
	ck_assert_int_eq(kube_cri_container_status_sync(&cs, c, id, 0), KUBE_ENOTFOUND);
	ck_assert_msg(strncmp(errmsg(), "ContainerStatus: NOT_FOUND: ", 28) == 0, "%s", errmsg());

	ck_assert_int_eq(kube_cri_start_container_sync(c, id), KUBE_ENOTFOUND);
	ck_assert_msg(strncmp(errmsg(), "StartContainer: NOT_FOUND: ", 27) == 0, "%s", errmsg());

	const char *cmd[] = { "true" };
	kube_cri_exec_result *er = NULL;
	ck_assert_int_eq(kube_cri_exec_sync_sync(&er, c, id, cmd, 1, 0), KUBE_ENOTFOUND);
	ck_assert_msg(strncmp(errmsg(), "ExecSync: NOT_FOUND: ", 21) == 0, "%s", errmsg());

	kube_cri_container_stats_list *st = NULL;
	ck_assert_int_eq(kube_cri_container_stats_sync(&st, c, id), KUBE_ENOTFOUND);
	ck_assert_msg(strncmp(errmsg(), "ContainerStats: NOT_FOUND: ", 27) == 0, "%s", errmsg());

	/* removing what does not exist is done already ... */
	OK(kube_cri_remove_container_sync(c, id));
	OK(kube_cri_remove_pod_sandbox_sync(c, id));
	/* ... but containerd 1.6 will not stop what it never knew */
	ck_assert_int_eq(kube_cri_stop_pod_sandbox_sync(c, id), KUBE_ENOTFOUND);
	char want[512];
	snprintf(want, sizeof(want), "StopPodSandbox: NOT_FOUND: an error occurred when try to "
	         "find sandbox \"%s\": not found", id);
	ck_assert_str_eq(errmsg(), want);
	ck_assert_int_eq(kube_cri_stop_container_sync(c, id, 0), KUBE_ENOTFOUND);
	ck_assert_msg(strncmp(errmsg(), "StopContainer: NOT_FOUND: ", 26) == 0, "%s", errmsg());
	kube_cri_client_free(c);
}
END_TEST

/* ---- the asynchronous form, many calls at once on one connection ---- */

typedef struct counter {
	kube_loop *loop;
	int left;
	int ok;
} counter;

static void count_version(int status, kube_cri_version *v, void *ud)
{
	counter *n = ud;
	if (status == 0 && strcmp(v->runtime_name, "containerd") == 0)
		n->ok++;
	kube_cri_version_free(v);
	if (--n->left == 0)
		kube_loop_stop(n->loop);
}

START_TEST(test_cri_async_concurrent)
{
	kube_loop *loop = NULL;
	ck_assert_int_eq(kube_loop_new(&loop, NULL), 0);
	kube_cri_client *c = NULL;
	ck_assert_int_eq(kube_cri_client_new(&c, loop, env("KUBE_CRI_ENDPOINT"), NULL), 0);
	ck_assert_ptr_eq(kube_cri_client_loop(c), loop);
	counter n = { loop, 64, 0 };
	for (int i = 0; i < 64; i++)
		OK(kube_cri_version_async(c, count_version, &n));
	ck_assert_int_eq(kube_loop_run(loop), 0);
	ck_assert_int_eq(n.ok, 64);
	kube_cri_client_free(c);
	kube_loop_free(loop);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("cri_containerd");
	TCase *tc = tcase_create("containerd");
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_cri_version);
	tcase_add_test(tc, test_cri_version_v1alpha2);
	tcase_add_test(tc, test_cri_status);
	tcase_add_test(tc, test_cri_images);
	tcase_add_test(tc, test_cri_pull_image);
	tcase_add_test(tc, test_cri_sandbox_lifecycle);
	tcase_add_test(tc, test_cri_unknown_ids);
	tcase_add_test(tc, test_cri_async_concurrent);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
