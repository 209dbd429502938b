/*
 * test_plugin.c - the plugin loader against fixture plugins: each broken
 * fixture must be refused with its exact message, the good ones load, and
 * the host's vtable copy answers KUBE_ENOTSUP for what a plugin left out.
 *
 * The fixtures are shared modules built next to this program
 * (tests/fixtures/plugins); they are found from /proc/self/exe so the test
 * runs from any working directory.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "base/base.h"
#include "libkube/kube.h"

static char build_dir[PATH_MAX];   /* the build's root directory */

static void find_build_dir(void)
{
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	ck_assert_int_gt(n, 0);
	exe[n] = '\0';
	/* <build>/tests/unit/test_plugin */
	char *d = dirname(dirname(dirname(exe)));
	snprintf(build_dir, sizeof(build_dir), "%s", d);
}

/*
 * Plugins are loaded from copies in a private 0700 directory, not from the
 * build tree: a build tree made under umask 002 is group-writable, and the
 * loader rightly refuses plugins there.
 */
static char stage_dir[PATH_MAX];

static void copy_file(const char *from, const char *to)
{
	FILE *in = fopen(from, "rb");
	ck_assert_msg(in != NULL, "%s: %s", from, strerror(errno));
	FILE *o = fopen(to, "wb");
	ck_assert_ptr_nonnull(o);
	char buf[8192];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		ck_assert_uint_eq(fwrite(buf, 1, n, o), n);
	fclose(in);
	fclose(o);
	ck_assert_int_eq(chmod(to, 0755), 0);
}

/* The staged copy of <build>/<rel>, made on first use. */
static const char *staged(const char *rel)
{
	static char path[4][PATH_MAX + 64];
	static int slot;
	char *p = path[slot++ % 4];
	const char *base = strrchr(rel, '/') ? strrchr(rel, '/') + 1 : rel;
	snprintf(p, PATH_MAX + 64, "%s/%s", stage_dir, base);
	if (access(p, F_OK) != 0) {
		char from[2 * PATH_MAX];
		snprintf(from, sizeof(from), "%s/%s", build_dir, rel);
		copy_file(from, p);
	}
	return p;
}

static const char *fixture(const char *name)
{
	char rel[128];
	snprintf(rel, sizeof(rel), "tests/fixtures/plugins/fixture_%s.so", name);
	return staged(rel);
}

static int rm_any(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	KUBE_UNUSED(st); KUBE_UNUSED(flag); KUBE_UNUSED(ftw);
	return remove(path);
}

static void setup(void)
{
	find_build_dir();
	snprintf(stage_dir, sizeof(stage_dir), "/tmp/kube-test-stage-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(stage_dir));
	kube_error_clear();
}

static void teardown(void)
{
	kube_plugin_unload_all();
	nftw(stage_dir, rm_any, 16, FTW_DEPTH | FTW_PHYS);
}

static void expect_refused(const char *path, int code, const char *msg)
{
	kube_plugin *p = (kube_plugin *)(uintptr_t)1;
	int rc = kube_plugin_load(&p, path);
	ck_assert_int_eq(rc, code);
	ck_assert_ptr_null(p);
	ck_assert_ptr_nonnull(kube_error_last());
	ck_assert_int_eq(kube_error_last()->code, code);
	ck_assert_str_eq(kube_error_last()->message, msg);
}

static char *msgf(const char *fmt, ...) KUBE_PRINTF(1, 2);
static char *msgf(const char *fmt, ...)
{
	static char buf[2][2 * PATH_MAX];
	static int slot;
	char *b = buf[slot++ % 2];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(b, 2 * PATH_MAX, fmt, ap);
	va_end(ap);
	return b;
}

/* Copies a fixture into a fresh private directory of its own. */
static void copy_fixture(const char *name, char *dir, size_t dirsz, char *out, size_t outsz)
{
	snprintf(dir, dirsz, "/tmp/kube-test-plugin-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(out, outsz, "%s/%s.so", dir, name);
	copy_file(fixture(name), out);
}

static void remove_dir(const char *dir, const char *file)
{
	if (file)
		unlink(file);
	rmdir(dir);
}

START_TEST(test_plugin_load_good)
{
	kube_plugin *p = NULL;
	ck_assert_int_eq(kube_plugin_load(&p, fixture("good")), 0);
	ck_assert_str_eq(kube_plugin_name(p), "fixture.example.com");
	ck_assert_str_eq(kube_plugin_version(p), "0.0.1");
	ck_assert_str_eq(kube_plugin_path(p), fixture("good"));
	ck_assert_int_eq(kube_plugin_get_kind(p), KUBE_PLUGIN_VOLUME);
	ck_assert_uint_eq(kube_plugin_abi_minor(p), 0);
	ck_assert_ptr_null(kube_plugin_cloud(p));
	const kube_volume_driver *vt = kube_plugin_volume(p);
	ck_assert_ptr_nonnull(vt);

	void *self = NULL;
	ck_assert_int_eq(vt->open(&self, NULL, 0, NULL), 0);
	kube_volume_plugin_info info = { .struct_size = sizeof(info) };
	ck_assert_int_eq(vt->get_plugin_info(self, &info), 0);
	ck_assert_str_eq(info.name, "fixture.example.com");
	ck_assert_str_eq(info.vendor_version, "0.0.1");
	kube_volume_plugin_info_clear(&info);
	ck_assert_ptr_null(info.name);
	ck_assert_uint_eq(info.struct_size, sizeof(info));
	int ready = 0;
	ck_assert_int_eq(vt->probe(self, &ready), 0);
	ck_assert_int_eq(ready, 1);
	vt->close(self);
	kube_plugin_unref(p);
}
END_TEST

START_TEST(test_plugin_null_optional_is_enotsup)
{
	kube_plugin *p = NULL;
	ck_assert_int_eq(kube_plugin_load(&p, fixture("good")), 0);
	const kube_volume_driver *vt = kube_plugin_volume(p);
	/* The fixture leaves every controller method NULL; the host's copy has stubs. */
	ck_assert_ptr_nonnull(vt->create_volume);
	ck_assert_ptr_nonnull(vt->node_expand_volume);
	kube_volume_create_request req = { .struct_size = sizeof(req), .name = "v" };
	kube_volume_info out = { .struct_size = sizeof(out) };
	ck_assert_int_eq(vt->create_volume(NULL, &req, &out), KUBE_ENOTSUP);
	ck_assert_str_eq(kube_error_last()->message, "create_volume: not supported by this plugin");
	uint64_t caps = 7;
	ck_assert_int_eq(vt->controller_get_capabilities(NULL, &caps), KUBE_ENOTSUP);
	ck_assert_uint_eq(caps, 7);
	ck_assert_int_eq(vt->node_stage_volume(NULL, NULL), KUBE_ENOTSUP);
	ck_assert_str_eq(kube_error_last()->message, "node_stage_volume: not supported by this plugin");
	kube_plugin_unref(p);
}
END_TEST

START_TEST(test_plugin_cloud_fixture)
{
	kube_plugin *p = NULL;
	ck_assert_int_eq(kube_plugin_load(&p, fixture("cloud")), 0);
	ck_assert_int_eq(kube_plugin_get_kind(p), KUBE_PLUGIN_CLOUD);
	ck_assert_ptr_null(kube_plugin_volume(p));
	const kube_cloud_provider *vt = kube_plugin_cloud(p);
	ck_assert_ptr_nonnull(vt);
	const char *name = NULL;
	ck_assert_int_eq(vt->provider_name(NULL, &name), 0);
	ck_assert_str_eq(name, "fixture");
	char *id = NULL;
	ck_assert_int_eq(vt->instance_id(NULL, "node-a", &id), 0);
	ck_assert_str_eq(id, "node-a");
	kube_free(id);
	id = NULL;
	/* InstanceNotFound */
	ck_assert_int_eq(vt->instance_id(NULL, "gone", &id), KUBE_ENOTFOUND);
	ck_assert_ptr_null(id);
	/* No Zones: NotImplemented */
	kube_cloud_zone z = { .struct_size = sizeof(z) };
	ck_assert_int_eq(vt->get_zone(NULL, &z), KUBE_ENOTSUP);
	ck_assert_str_eq(kube_error_last()->message, "get_zone: not supported by this plugin");
	uint32_t retry = 0;
	ck_assert_int_eq(vt->update_load_balancer(NULL, "c", NULL, NULL, 0, &retry), KUBE_ENOTSUP);
	/* The same name in another kind is no duplicate. */
	kube_plugin *q = NULL;
	ck_assert_int_eq(kube_plugin_lookup(&q, KUBE_PLUGIN_VOLUME, "fixture"), KUBE_ENOTFOUND);
	ck_assert_str_eq(kube_error_last()->message, "no volume plugin named \"fixture\" is loaded");
	ck_assert_int_eq(kube_plugin_lookup(&q, KUBE_PLUGIN_CLOUD, "fixture"), 0);
	ck_assert_ptr_eq(q, p);
	kube_plugin_unref(q);
	kube_plugin_unref(p);
}
END_TEST

START_TEST(test_plugin_refuse_no_entry)
{
	const char *f = fixture("no_entry");
	expect_refused(f, KUBE_EABI,
	               msgf("plugin %s: no kube_plugin_entry symbol (plugin ABI unknown, host ABI 1.0)", f));
}
END_TEST

START_TEST(test_plugin_refuse_entry_null)
{
	const char *f = fixture("entry_null");
	expect_refused(f, KUBE_EABI,
	               msgf("plugin %s: kube_plugin_entry returned NULL (plugin ABI unknown, host ABI 1.0)", f));
}
END_TEST

START_TEST(test_plugin_refuse_major)
{
	const char *f = fixture("major");
	expect_refused(f, KUBE_EABI,
	               msgf("plugin %s: built for a different major version of the plugin ABI "
	                    "(plugin ABI 2.0, host ABI 1.0)", f));
}
END_TEST

START_TEST(test_plugin_refuse_newer_minor)
{
	const char *f = fixture("minor");
	expect_refused(f, KUBE_EABI,
	               msgf("plugin %s: built for a newer minor version of the plugin ABI "
	                    "(plugin ABI 1.1, host ABI 1.0)", f));
}
END_TEST

START_TEST(test_plugin_refuse_small_descriptor)
{
	const char *f = fixture("small_descriptor");
	expect_refused(f, KUBE_EABI,
	               msgf("plugin %s: descriptor struct_size %zu is smaller than its ABI version "
	                    "needs (%zu) (plugin ABI 1.0, host ABI 1.0)", f,
	                    offsetof(kube_plugin_descriptor, vtable),
	                    (size_t)KUBE_PLUGIN_DESCRIPTOR_SIZE_1_0));
}
END_TEST

START_TEST(test_plugin_refuse_small_vtable)
{
	const char *f = fixture("small_vtable");
	expect_refused(f, KUBE_EABI,
	               msgf("plugin %s: volume vtable struct_size %zu is smaller than ABI 1.0 needs "
	                    "(%zu) (plugin ABI 1.0, host ABI 1.0)", f,
	                    offsetof(kube_volume_driver, node_get_capabilities),
	                    (size_t)KUBE_VOLUME_DRIVER_SIZE_1_0));
}
END_TEST

START_TEST(test_plugin_refuse_null_required)
{
	const char *f = fixture("null_required");
	expect_refused(f, KUBE_EABI,
	               msgf("plugin %s: required method volume.probe is NULL "
	                    "(plugin ABI 1.0, host ABI 1.0)", f));
}
END_TEST

START_TEST(test_plugin_refuse_vtable_minor)
{
	const char *f = fixture("vtable_minor");
	expect_refused(f, KUBE_EABI,
	               msgf("plugin %s: volume vtable declares ABI 1.1, which this host cannot use "
	                    "(plugin ABI 1.0, host ABI 1.0)", f));
}
END_TEST

START_TEST(test_plugin_refuse_unknown_kind)
{
	const char *f = fixture("unknown_kind");
	expect_refused(f, KUBE_EABI,
	               msgf("plugin %s: unsupported plugin kind 9 (plugin ABI 1.0, host ABI 1.0)", f));
}
END_TEST

START_TEST(test_plugin_refuse_runtime_null_required)
{
	const char *f = fixture("runtime_null_required");
	expect_refused(f, KUBE_EABI,
	               msgf("plugin %s: required method runtime.list_images is NULL "
	                    "(plugin ABI 1.0, host ABI 1.0)", f));
}
END_TEST

/* The runtime kind loads, is found by kind and name, and its optional slots are stubs. */
START_TEST(test_plugin_runtime_fixture)
{
	kube_plugin *p = NULL;
	ck_assert_int_eq(kube_plugin_load(&p, fixture("runtime")), 0);
	ck_assert_int_eq(kube_plugin_get_kind(p), KUBE_PLUGIN_RUNTIME);
	ck_assert_str_eq(kube_plugin_name(p), "fixture-runtime");
	ck_assert_ptr_null(kube_plugin_volume(p));
	ck_assert_ptr_null(kube_plugin_cloud(p));
	const kube_runtime_driver *vt = kube_plugin_runtime(p);
	ck_assert_ptr_nonnull(vt);
	kube_cri_version v = { .struct_size = sizeof(v) };
	ck_assert_int_eq(vt->version(NULL, "v1", &v), 0);
	ck_assert_str_eq(v.runtime_name, "fixture");
	ck_assert_str_eq(v.runtime_api_version, "v1");
	kube_free(v.runtime_name);
	kube_free(v.runtime_api_version);
	kube_cri_exec_result ex = { .struct_size = sizeof(ex) };
	const char *cmd[] = { "true" };
	ck_assert_int_eq(vt->exec_sync(NULL, "c", cmd, 1, 0, &ex), KUBE_ENOTSUP);
	ck_assert_str_eq(kube_error_last()->message, "exec_sync: not supported by this plugin");
	kube_cri_container_stats_list st = { .struct_size = sizeof(st) };
	ck_assert_int_eq(vt->container_stats(NULL, "c", &st), KUBE_ENOTSUP);
	ck_assert_int_eq(vt->list_container_stats(NULL, NULL, &st), KUBE_ENOTSUP);
	ck_assert_int_eq(vt->update_container_resources(NULL, "c", NULL), KUBE_ENOTSUP);
	ck_assert_int_eq(vt->reopen_container_log(NULL, "c"), KUBE_ENOTSUP);
	ck_assert_int_eq(vt->update_runtime_config(NULL, "10.0.0.0/8"), KUBE_ENOTSUP);
	kube_cri_fs_info fs = { .struct_size = sizeof(fs) };
	ck_assert_int_eq(vt->image_fs_info(NULL, &fs), KUBE_ENOTSUP);
	ck_assert_str_eq(kube_error_last()->message, "image_fs_info: not supported by this plugin");
	/* Required ones are the plugin's own. */
	ck_assert_int_eq(vt->stop_container(NULL, "c", 0), 0);
	ck_assert_int_eq(vt->start_container(NULL, "c"), KUBE_ENOTFOUND);

	kube_plugin *q = NULL;
	ck_assert_int_eq(kube_plugin_lookup(&q, KUBE_PLUGIN_RUNTIME, "fixture-runtime"), 0);
	ck_assert_ptr_eq(q, p);
	kube_plugin_unref(q);
	ck_assert_int_eq(kube_plugin_lookup(&q, KUBE_PLUGIN_VOLUME, "fixture-runtime"), KUBE_ENOTFOUND);
	ck_assert_str_eq(kube_error_last()->message,
	                 "no volume plugin named \"fixture-runtime\" is loaded");
	ck_assert_int_eq(kube_plugin_unload(p), 0);
	ck_assert_int_eq(kube_plugin_lookup(&q, KUBE_PLUGIN_RUNTIME, "fixture-runtime"), KUBE_ENOTFOUND);
	ck_assert_str_eq(kube_error_last()->message,
	                 "no runtime plugin named \"fixture-runtime\" is loaded");
	kube_plugin_unref(p);
}
END_TEST

START_TEST(test_plugin_refuse_no_vtable)
{
	const char *f = fixture("no_vtable");
	expect_refused(f, KUBE_EABI,
	               msgf("plugin %s: descriptor has no vtable (plugin ABI 1.0, host ABI 1.0)", f));
}
END_TEST

START_TEST(test_plugin_refuse_duplicate_name)
{
	kube_plugin *p = NULL;
	ck_assert_int_eq(kube_plugin_load(&p, fixture("good")), 0);
	const char *f = fixture("duplicate");
	expect_refused(f, KUBE_EABI,
	               msgf("plugin %s: a volume plugin named \"fixture.example.com\" is already "
	                    "loaded from %s (plugin ABI 1.0, host ABI 1.0)", f, fixture("good")));
	/* Once the first is unloaded, the name is free again. */
	ck_assert_int_eq(kube_plugin_unload(p), 0);
	kube_plugin *q = NULL;
	ck_assert_int_eq(kube_plugin_load(&q, f), 0);
	ck_assert_str_eq(kube_plugin_path(q), f);
	kube_plugin_unref(q);
	kube_plugin_unref(p);
}
END_TEST

START_TEST(test_plugin_refuse_missing_file)
{
	expect_refused("/nonexistent/plugin.so", KUBE_ENOTFOUND,
	               "plugin /nonexistent/plugin.so: No such file or directory");
	kube_plugin *p;
	ck_assert_int_eq(kube_plugin_load(&p, NULL), KUBE_EINVAL);
	ck_assert_int_eq(kube_plugin_load(NULL, "x.so"), KUBE_EINVAL);
}
END_TEST

START_TEST(test_plugin_refuse_writable_file)
{
	char dir[PATH_MAX];
	char f[PATH_MAX + 64];
	copy_fixture("good", dir, sizeof(dir), f, sizeof(f));
	ck_assert_int_eq(chmod(f, 0666), 0);
	expect_refused(f, KUBE_EPERM,
	               msgf("plugin %s: refused: the file is writable by group or others (mode 0666)", f));
	ck_assert_int_eq(chmod(f, 0775), 0);
	expect_refused(f, KUBE_EPERM,
	               msgf("plugin %s: refused: the file is writable by group or others (mode 0775)", f));
	ck_assert_int_eq(chmod(f, 0755), 0);
	kube_plugin *p = NULL;
	ck_assert_int_eq(kube_plugin_load(&p, f), 0);
	kube_plugin_unref(p);
	remove_dir(dir, f);
}
END_TEST

START_TEST(test_plugin_refuse_writable_dir)
{
	char dir[PATH_MAX];
	char f[PATH_MAX + 64];
	copy_fixture("good", dir, sizeof(dir), f, sizeof(f));
	char real[PATH_MAX];
	ck_assert_ptr_nonnull(realpath(dir, real));
	ck_assert_int_eq(chmod(dir, 0777), 0);
	expect_refused(f, KUBE_EPERM,
	               msgf("plugin %s: refused: directory %s is writable by group or others "
	                    "(mode 0777)", f, real));
	remove_dir(dir, f);
}
END_TEST

START_TEST(test_plugin_refuse_foreign_owner)
{
	char dir[PATH_MAX];
	char f[PATH_MAX + 64];
	copy_fixture("good", dir, sizeof(dir), f, sizeof(f));
	if (geteuid() != 0) {
		/* Only root can give a file away; the check itself is the same code. */
		remove_dir(dir, f);
		return;
	}
	ck_assert_int_eq(chown(f, 65534, 65534), 0);
	expect_refused(f, KUBE_EPERM,
	               msgf("plugin %s: refused: the file is owned by uid 65534, not by root or the "
	                    "current user (uid 0)", f));
	ck_assert_int_eq(chown(f, 0, 0), 0);
	ck_assert_int_eq(chown(dir, 65534, 65534), 0);
	char real[PATH_MAX];
	ck_assert_ptr_nonnull(realpath(dir, real));
	expect_refused(f, KUBE_EPERM,
	               msgf("plugin %s: refused: directory %s is owned by uid 65534, not by root "
	                    "or the current user (uid 0)", f, real));
	remove_dir(dir, f);
}
END_TEST

static char dir_log[2 * PATH_MAX];

static void dir_sink(kube_log_level level, const char *subsystem, const char *message,
                     const kube_log_field *fields, size_t nfields, void *userdata)
{
	KUBE_UNUSED(fields); KUBE_UNUSED(nfields); KUBE_UNUSED(userdata);
	ck_assert_int_eq(level, KUBE_LOG_WARN);
	ck_assert_str_eq(subsystem, "plugin");
	snprintf(dir_log, sizeof(dir_log), "%s", message);
}

START_TEST(test_plugin_load_dir)
{
	char dir[PATH_MAX];
	char good[PATH_MAX + 64];
	copy_fixture("good", dir, sizeof(dir), good, sizeof(good));
	char bad[PATH_MAX + 32], note[PATH_MAX + 32];
	snprintf(bad, sizeof(bad), "%s/major.so", dir);
	ck_assert_int_eq(link(fixture("major"), bad) == 0 || symlink(fixture("major"), bad) == 0, 1);
	snprintf(note, sizeof(note), "%s/README", dir);   /* not a .so: ignored */
	FILE *n = fopen(note, "w");
	ck_assert_ptr_nonnull(n);
	fclose(n);

	size_t loaded = 99;
	ck_assert_int_eq(kube_log_set_sink(dir_sink, KUBE_LOG_WARN, NULL, NULL), 0);
	ck_assert_int_eq(kube_plugin_load_dir(dir, &loaded), 0);
	kube_log_set_sink(NULL, KUBE_LOG_ERROR, NULL, NULL);
	ck_assert_uint_eq(loaded, 1);
	/* The refused file is logged with its reason, and load_dir itself succeeds. */
	ck_assert_str_eq(dir_log, msgf("plugin %s: built for a different major version of the "
	                               "plugin ABI (plugin ABI 2.0, host ABI 1.0)", bad));
	ck_assert_ptr_null(kube_error_last());
	kube_plugin *p = NULL;
	ck_assert_int_eq(kube_plugin_lookup(&p, KUBE_PLUGIN_VOLUME, "fixture.example.com"), 0);
	ck_assert_str_eq(kube_plugin_path(p), good);
	kube_plugin_unref(p);
	kube_plugin_unload_all();

	ck_assert_int_eq(chmod(dir, 0757), 0);
	ck_assert_int_eq(kube_plugin_load_dir(dir, &loaded), KUBE_EPERM);
	ck_assert_uint_eq(loaded, 0);
	ck_assert_str_eq(kube_error_last()->message,
	                 msgf("plugin %s: refused: the directory is writable by group or others "
	                      "(mode 0757)", dir));
	ck_assert_int_eq(kube_plugin_load_dir("/nonexistent-plugins", NULL), KUBE_ENOTFOUND);
	unlink(bad);
	unlink(note);
	remove_dir(dir, good);
}
END_TEST

START_TEST(test_plugin_refcount_and_unload)
{
	kube_plugin *p = NULL, *q = NULL;
	ck_assert_int_eq(kube_plugin_load(&p, fixture("good")), 0);
	ck_assert_int_eq(kube_plugin_lookup(&q, KUBE_PLUGIN_VOLUME, "fixture.example.com"), 0);
	ck_assert_ptr_eq(p, q);
	kube_plugin *held = q;
	ck_assert_ptr_eq(kube_plugin_ref(q), q);
	ck_assert_ptr_null(kube_plugin_unref(q));
	ck_assert_int_eq(kube_plugin_unload(p), 0);
	ck_assert_int_eq(kube_plugin_unload(p), KUBE_ENOTFOUND);
	ck_assert_int_eq(kube_plugin_lookup(&q, KUBE_PLUGIN_VOLUME, "fixture.example.com"),
	                 KUBE_ENOTFOUND);
	ck_assert_ptr_null(q);
	/* p and its first q are still held: the code stays mapped. */
	int ready = 0;
	void *self = NULL;
	const kube_volume_driver *vt = kube_plugin_volume(p);
	ck_assert_int_eq(vt->open(&self, NULL, 0, NULL), 0);
	ck_assert_int_eq(vt->probe(self, &ready), 0);
	ck_assert_int_eq(ready, 1);
	vt->close(self);
	kube_plugin_unref(held);
	ck_assert_ptr_null(kube_plugin_unref(p));   /* the last reference closes the object */
	ck_assert_ptr_null(kube_plugin_unref(NULL));
	ck_assert_int_eq(kube_plugin_unload(NULL), KUBE_EINVAL);
}
END_TEST

typedef struct lookup_worker {
	pthread_t thread;
	int ok;
} lookup_worker;

static void *lookup_main(void *arg)
{
	lookup_worker *w = arg;
	for (int i = 0; i < 200; i++) {
		kube_plugin *p = NULL;
		if (kube_plugin_lookup(&p, KUBE_PLUGIN_VOLUME, "fixture.example.com") != 0)
			continue;
		int ready = 0;
		void *self = NULL;
		const kube_volume_driver *vt = kube_plugin_volume(p);
		if (vt->open(&self, NULL, 0, NULL) == 0 && vt->probe(self, &ready) == 0 && ready)
			w->ok++;
		vt->close(self);
		kube_plugin_unref(kube_plugin_ref(p));
		kube_plugin_unref(p);
	}
	return NULL;
}

START_TEST(test_plugin_registry_threads)
{
	/* Lookups on four threads while the main thread loads and unloads another plugin. */
	kube_plugin *good = NULL;
	ck_assert_int_eq(kube_plugin_load(&good, fixture("good")), 0);
	const char *cloud = fixture("cloud");
	lookup_worker w[4];
	memset(w, 0, sizeof(w));
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&w[i].thread, NULL, lookup_main, &w[i]), 0);
	for (int i = 0; i < 50; i++) {
		kube_plugin *c = NULL;
		ck_assert_int_eq(kube_plugin_load(&c, cloud), 0);
		ck_assert_int_eq(kube_plugin_unload(c), 0);
		kube_plugin_unref(c);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(w[i].thread, NULL);
		ck_assert_int_eq(w[i].ok, 200);
	}
	kube_plugin_unref(good);
}
END_TEST

START_TEST(test_plugin_csi_code_map)
{
	static const int want[17] = {
		KUBE_OK, KUBE_ECANCELED, KUBE_ERROR, KUBE_EINVAL, KUBE_ETIMEDOUT,
		KUBE_ENOTFOUND, KUBE_EEXISTS, KUBE_EPERM, KUBE_ENOSPC, KUBE_ECONFLICT,
		KUBE_EBUSY, KUBE_ERANGE, KUBE_ENOTSUP, KUBE_EIO, KUBE_EUNAVAILABLE,
		KUBE_EDATALOSS, KUBE_EUNAUTHENTICATED,
	};
	for (int g = 0; g < 17; g++) {
		ck_assert_int_eq(kube_volume_from_grpc(g), want[g]);
		ck_assert_int_eq(kube_volume_to_grpc(want[g]), g);   /* one to one */
	}
	ck_assert_int_eq(kube_volume_from_grpc(17), KUBE_ERROR);
	ck_assert_int_eq(kube_volume_from_grpc(-1), KUBE_ERROR);
	ck_assert_int_eq(kube_volume_to_grpc(KUBE_ENOMEM), 8);
	ck_assert_int_eq(kube_volume_to_grpc(-1000), 2);
}
END_TEST

static int log_count;
static char log_plugin[64], log_msg[128];

static void sink(kube_log_level level, const char *subsystem, const char *message,
                 const kube_log_field *fields, size_t nfields, void *userdata)
{
	KUBE_UNUSED(userdata);
	ck_assert_int_eq(level, KUBE_LOG_WARN);
	ck_assert_str_eq(subsystem, "plugin");
	ck_assert_uint_eq(nfields, 1);
	ck_assert_str_eq(fields[0].key, "plugin");
	snprintf(log_plugin, sizeof(log_plugin), "%s", fields[0].value);
	snprintf(log_msg, sizeof(log_msg), "%s", message);
	log_count++;
}

START_TEST(test_plugin_host_table)
{
	const kube_host_api *h = kube_plugin_host_api();
	ck_assert_uint_eq(h->abi_version, KUBE_PLUGIN_ABI(1, 0));
	ck_assert_uint_eq(h->struct_size, sizeof(kube_host_api));
	ck_assert(KUBE_HOST_HAS(h, timer_cancel));

	char *s = h->strdup("abc");
	ck_assert_str_eq(s, "abc");
	kube_free(s);   /* the host frees what a plugin allocated */
	ck_assert_ptr_null(h->strdup(NULL));

	ck_assert_int_eq(h->error_set(KUBE_EEXISTS, "volume v already exists"), KUBE_EEXISTS);
	ck_assert_int_eq(kube_error_last()->code, KUBE_EEXISTS);
	ck_assert_str_eq(kube_error_last()->message, "volume v already exists");

	ck_assert_int_eq(kube_log_set_sink(sink, KUBE_LOG_WARN, NULL, NULL), 0);
	ck_assert_int_eq(h->log_enabled(KUBE_PLUGIN_LOG_WARN), 1);
	ck_assert_int_eq(h->log_enabled(KUBE_PLUGIN_LOG_DEBUG), 0);
	ck_assert_int_eq(h->log_enabled(99), 0);
	h->log(KUBE_PLUGIN_LOG_DEBUG, "p", "dropped");
	h->log(KUBE_PLUGIN_LOG_WARN, "hostpath", "disk almost full");
	ck_assert_int_eq(log_count, 1);
	ck_assert_str_eq(log_plugin, "hostpath");
	ck_assert_str_eq(log_msg, "disk almost full");
	kube_log_set_sink(NULL, KUBE_LOG_ERROR, NULL, NULL);

	kube_object *o = NULL;
	const char *json = "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"web\","
	                   "\"namespace\":\"shop\",\"labels\":{\"app\":\"web\"},"
	                   "\"annotations\":{\"a\":\"b\"}},\"spec\":{\"ports\":[{\"port\":80}]}}";
	ck_assert_int_eq(kube_object_from_json(&o, json, strlen(json)), 0);
	const kube_host_object *ho = (const kube_host_object *)(void *)o;
	ck_assert_str_eq(h->object_kind(ho), "Service");
	ck_assert_str_eq(h->object_name(ho), "web");
	ck_assert_str_eq(h->object_namespace(ho), "shop");
	ck_assert_str_eq(h->object_label(ho, "app"), "web");
	ck_assert_ptr_null(h->object_label(ho, "tier"));
	ck_assert_str_eq(h->object_annotation(ho, "a"), "b");
	int64_t port = 0;
	ck_assert_int_eq(h->object_get_int(ho, "spec.ports[0].port", &port), 0);
	ck_assert_int_eq(port, 80);
	size_t len = 0;
	ck_assert_int_eq(h->object_get_len(ho, "spec.ports", &len), 0);
	ck_assert_uint_eq(len, 1);
	ck_assert_ptr_eq(h->object_ref(ho), ho);
	h->object_unref(ho);
	ck_assert_ptr_null(h->object_kind(NULL));
	kube_object_unref(o);
}
END_TEST

static int fired;

static void on_timer(void *userdata)
{
	fired += *(int *)userdata;
}

static void on_post(void *userdata)
{
	fired += 100 * *(int *)userdata;
}

static void count_destroy(void *userdata)
{
	(*(int *)userdata)++;
}

START_TEST(test_plugin_host_loop_hooks)
{
	const kube_host_api *h = kube_plugin_host_api();
	kube_loop *loop = NULL;
	ck_assert_int_eq(kube_loop_new(&loop, NULL), 0);
	kube_host_loop *hl = (kube_host_loop *)(void *)loop;
	int one = 1, destroyed = 0;
	kube_host_timer *t = NULL, *t2 = NULL;
	ck_assert_int_eq(h->timer_start(&t, hl, 1, on_timer, &one, NULL), 0);
	ck_assert_int_eq(h->timer_start(&t2, hl, 1000000, on_timer, &destroyed, count_destroy), 0);
	h->timer_cancel(t2);   /* never fires; destroy runs now */
	ck_assert_int_eq(destroyed, 1);
	ck_assert_int_eq(h->loop_post(hl, on_post, &one, NULL), 0);
	for (int i = 0; i < 100 && fired != 101; i++)
		kube_loop_run_once(loop, 0);
	ck_assert_int_eq(fired, 101);
	ck_assert_int_eq(h->timer_start(&t, NULL, 1, on_timer, &one, NULL), KUBE_EINVAL);
	kube_loop_free(loop);
}
END_TEST

/* ---- volume-hostpath, through the loader ---- */

typedef struct hp_env {
	kube_plugin *p;
	const kube_volume_driver *vt;
	void *self;
	char dir[PATH_MAX];
} hp_env;

static const kube_volume_capability hp_rw = {
	.access_type = KUBE_VOLUME_ACCESS_MOUNT,
	.access_mode = KUBE_VOLUME_MODE_SINGLE_NODE_WRITER,
};

static void hp_open(hp_env *e, const char *extra)
{
	char path[PATH_MAX + 64];
	snprintf(path, sizeof(path), "%s", staged("plugins/volume-hostpath/volume-hostpath.so"));
	ck_assert_int_eq(kube_plugin_load(&e->p, path), 0);
	e->vt = kube_plugin_volume(e->p);
	snprintf(e->dir, sizeof(e->dir), "/tmp/kube-test-hostpath-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(e->dir));
	char cfg[PATH_MAX + 128];
	int n = snprintf(cfg, sizeof(cfg), "root=%s/root\nnode_id=node-7\n%s", e->dir, extra);
	ck_assert_int_eq(e->vt->open(&e->self, cfg, (size_t)n, NULL), 0);
}

static int hp_rm(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	KUBE_UNUSED(st); KUBE_UNUSED(flag); KUBE_UNUSED(ftw);
	return remove(path);
}

static void hp_close(hp_env *e)
{
	e->vt->close(e->self);
	nftw(e->dir, hp_rm, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
	kube_plugin_unref(e->p);
}

static int hp_create(hp_env *e, const char *name, int64_t req, int64_t lim, kube_volume_info *out)
{
	kube_volume_create_request r = {
		.struct_size = sizeof(r), .name = name, .required_bytes = req, .limit_bytes = lim,
		.capabilities = &hp_rw, .n_capabilities = 1,
	};
	memset(out, 0, sizeof(*out));
	out->struct_size = sizeof(*out);
	return e->vt->create_volume(e->self, &r, out);
}

static void expect_last(const char *msg)
{
	ck_assert_ptr_nonnull(kube_error_last());
	ck_assert_str_eq(kube_error_last()->message, msg);
}

START_TEST(test_plugin_hostpath_config)
{
	char path[PATH_MAX + 64];
	snprintf(path, sizeof(path), "%s", staged("plugins/volume-hostpath/volume-hostpath.so"));
	kube_plugin *p = NULL;
	ck_assert_int_eq(kube_plugin_load(&p, path), 0);
	const kube_volume_driver *vt = kube_plugin_volume(p);
	void *self = NULL;
	ck_assert_int_eq(vt->open(&self, "", 0, NULL), KUBE_EINVAL);
	expect_last("hostpath: config needs root=<absolute path>");
	ck_assert_int_eq(vt->open(&self, "root=/tmp\nfoo=1", 15, NULL), KUBE_EINVAL);
	expect_last("hostpath: unknown config key \"foo\"");
	ck_assert_int_eq(vt->open(&self, "root", 4, NULL), KUBE_EINVAL);
	expect_last("hostpath: config line \"root\" is not key=value");
	ck_assert_ptr_null(self);
	kube_volume_node_info ni = { .struct_size = sizeof(ni) };
	ck_assert_int_eq(kube_plugin_unload(p), 0);
	kube_plugin_unref(p);
	hp_env e;
	hp_open(&e, "");
	ck_assert_int_eq(e.vt->node_get_info(e.self, &ni), 0);
	ck_assert_str_eq(ni.node_id, "node-7");
	kube_volume_node_info_clear(&ni);
	hp_close(&e);
}
END_TEST

START_TEST(test_plugin_hostpath_create_rules)
{
	hp_env e;
	hp_open(&e, "");
	kube_volume_info v;
	ck_assert_int_eq(hp_create(&e, "a/b", 0, 0, &v), KUBE_EINVAL);
	expect_last("hostpath: volume name \"a/b\" cannot be a directory name");
	ck_assert_int_eq(hp_create(&e, "..", 0, 0, &v), KUBE_EINVAL);
	ck_assert_int_eq(hp_create(&e, "v", 10, 5, &v), KUBE_ERANGE);
	expect_last("capacity range: required 10 is more than limit 5");
	ck_assert_int_eq(hp_create(&e, "v", INT64_MAX, 0, &v), KUBE_ENOSPC);

	kube_volume_capability block = hp_rw;
	block.access_type = KUBE_VOLUME_ACCESS_BLOCK;
	kube_volume_create_request r = { .struct_size = sizeof(r), .name = "v",
	                                 .capabilities = &block, .n_capabilities = 1 };
	ck_assert_int_eq(e.vt->create_volume(e.self, &r, &v), KUBE_EINVAL);
	expect_last("hostpath: block access type is not supported");
	r.capabilities = &hp_rw;
	r.source_snapshot_id = "snap-1";
	ck_assert_int_eq(e.vt->create_volume(e.self, &r, &v), KUBE_ENOTFOUND);
	expect_last("snapshot snap-1 not found");
	r.source_snapshot_id = NULL;
	r.source_volume_id = "other";
	ck_assert_int_eq(e.vt->create_volume(e.self, &r, &v), KUBE_EINVAL);
	expect_last("hostpath: cloning volumes is not supported");

	ck_assert_int_eq(hp_create(&e, "v", 1000, 2000, &v), 0);
	ck_assert_str_eq(v.volume_id, "v");
	ck_assert_int_eq(v.capacity_bytes, 1000);
	kube_volume_info_clear(&v);
	/* Compatible: the recorded 1000 is within [500, 0=unbounded]. */
	ck_assert_int_eq(hp_create(&e, "v", 500, 0, &v), 0);
	ck_assert_int_eq(v.capacity_bytes, 1000);
	kube_volume_info_clear(&v);
	int64_t cap = 0;
	int nexp = -1;
	ck_assert_int_eq(e.vt->controller_expand_volume(e.self, "v", 4000, 0, &cap, &nexp), 0);
	ck_assert_int_eq(cap, 4000);
	ck_assert_int_eq(nexp, 0);
	ck_assert_int_eq(e.vt->controller_expand_volume(e.self, "v", 2000, 0, &cap, &nexp), 0);
	ck_assert_int_eq(cap, 4000);   /* never shrinks */
	ck_assert_int_eq(e.vt->controller_expand_volume(e.self, "v", 2000, 3000, &cap, &nexp),
	                 KUBE_ERANGE);
	expect_last("volume v has 4000 bytes, more than the limit 3000 (no shrinking)");
	ck_assert_int_eq(e.vt->controller_expand_volume(e.self, "v", 0, 0, &cap, &nexp), KUBE_EINVAL);
	ck_assert_int_eq(hp_create(&e, "v", 500, 3000, &v), KUBE_EEXISTS);
	ck_assert_int_eq(hp_create(&e, "v", 4000, 0, &v), 0);
	ck_assert_int_eq(v.capacity_bytes, 4000);
	kube_volume_info_clear(&v);
	ck_assert_int_eq(e.vt->controller_expand_volume(e.self, "v", 1000, 0, &cap, &nexp), 0);
	ck_assert_int_eq(hp_create(&e, "v", 500, 800, &v), KUBE_EEXISTS);
	expect_last("volume v already exists with capacity 4000, incompatible with the requested "
	            "range [500, 800]");
	ck_assert_ptr_null(v.volume_id);

	char data[PATH_MAX + 32];
	snprintf(data, sizeof(data), "%s/root/volumes/v", e.dir);
	struct stat st;
	ck_assert_int_eq(stat(data, &st), 0);
	ck_assert_int_eq(e.vt->delete_volume(e.self, "v", NULL, 0), 0);
	ck_assert_int_ne(stat(data, &st), 0);
	ck_assert_int_eq(e.vt->delete_volume(e.self, "../x", NULL, 0), 0);
	hp_close(&e);
}
END_TEST

START_TEST(test_plugin_hostpath_list_paging)
{
	hp_env e;
	hp_open(&e, "");
	kube_volume_info v;
	const char *names[] = { "c", "a", "b" };
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(hp_create(&e, names[i], i, 0, &v), 0);
		kube_volume_info_clear(&v);
	}
	kube_volume_info *ents = NULL;
	size_t n = 0;
	char *next = NULL;
	ck_assert_int_eq(e.vt->list_volumes(e.self, 2, NULL, &ents, &n, &next), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_str_eq(ents[0].volume_id, "a");
	ck_assert_int_eq(ents[0].capacity_bytes, 1);
	ck_assert_str_eq(ents[1].volume_id, "b");
	ck_assert_str_eq(next, "2");
	kube_volume_info_array_free(ents, n);
	ents = NULL;
	ck_assert_int_eq(e.vt->list_volumes(e.self, 2, next, &ents, &n, &next), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(ents[0].volume_id, "c");
	kube_volume_info_array_free(ents, n);
	kube_free(next);
	next = NULL;
	ck_assert_int_eq(e.vt->list_volumes(e.self, 0, "x", &ents, &n, &next), KUBE_EBUSY);
	expect_last("invalid starting_token \"x\"");
	ck_assert_int_eq(e.vt->list_volumes(e.self, 0, "9", &ents, &n, &next), KUBE_EBUSY);
	hp_close(&e);
}
END_TEST

START_TEST(test_plugin_hostpath_snapshots)
{
	hp_env e;
	hp_open(&e, "");
	kube_volume_info v;
	ck_assert_int_eq(hp_create(&e, "v", 0, 0, &v), 0);
	kube_volume_info_clear(&v);
	char file[PATH_MAX + 64];
	snprintf(file, sizeof(file), "%s/root/volumes/v/hello", e.dir);
	FILE *f = fopen(file, "w");
	ck_assert_ptr_nonnull(f);
	fputs("hello, world\n", f);   /* 13 bytes */
	fclose(f);

	kube_volume_snapshot sn = { .struct_size = sizeof(sn) };
	ck_assert_int_eq(e.vt->create_snapshot(e.self, "v", "s1", NULL, 0, &sn), 0);
	ck_assert_str_eq(sn.snapshot_id, "s1");
	ck_assert_str_eq(sn.source_volume_id, "v");
	ck_assert_int_eq(sn.size_bytes, 13);
	ck_assert_int_eq(sn.ready_to_use, 1);
	ck_assert_int_gt(sn.creation_time_s, 0);
	int64_t t = sn.creation_time_s;
	kube_volume_snapshot_clear(&sn);
	ck_assert_int_eq(e.vt->create_snapshot(e.self, "v", "s1", NULL, 0, &sn), 0);
	ck_assert_int_eq(sn.creation_time_s, t);   /* the same snapshot, not a new one */
	kube_volume_snapshot_clear(&sn);
	ck_assert_int_eq(e.vt->create_snapshot(e.self, "w", "s1", NULL, 0, &sn), KUBE_EEXISTS);
	expect_last("snapshot s1 already exists for volume v");
	ck_assert_int_eq(e.vt->create_snapshot(e.self, "nope", "s2", NULL, 0, &sn), KUBE_ENOTFOUND);
	ck_assert_int_eq(e.vt->create_snapshot(e.self, "v", "", NULL, 0, &sn), KUBE_EINVAL);
	expect_last("snapshot name missing in request");

	/* The snapshot is a copy: changing the volume does not change it. */
	ck_assert_int_eq(unlink(file), 0);
	kube_volume_create_request r = { .struct_size = sizeof(r), .name = "w",
	                                 .capabilities = &hp_rw, .n_capabilities = 1,
	                                 .source_snapshot_id = "s1" };
	memset(&v, 0, sizeof(v));
	ck_assert_int_eq(e.vt->create_volume(e.self, &r, &v), 0);
	kube_volume_info_clear(&v);
	ck_assert_int_eq(e.vt->create_volume(e.self, &r, &v), 0);
	kube_volume_info_clear(&v);
	snprintf(file, sizeof(file), "%s/root/volumes/w/hello", e.dir);
	char buf[32] = "";
	f = fopen(file, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_ptr_nonnull(fgets(buf, sizeof(buf), f));
	fclose(f);
	ck_assert_str_eq(buf, "hello, world\n");
	r.source_snapshot_id = NULL;
	ck_assert_int_eq(e.vt->create_volume(e.self, &r, &v), KUBE_EEXISTS);
	expect_last("volume w already exists with another content source");

	kube_volume_snapshot *ents = NULL;
	size_t n = 9;
	char *next = NULL;
	ck_assert_int_eq(e.vt->create_snapshot(e.self, "w", "s0", NULL, 0, &sn), 0);
	kube_volume_snapshot_clear(&sn);
	ck_assert_int_eq(hp_create(&e, "with space", 0, 0, &v), 0);
	kube_volume_info_clear(&v);
	ck_assert_int_eq(e.vt->create_snapshot(e.self, "with space", "s9", NULL, 0, &sn), 0);
	ck_assert_str_eq(sn.source_volume_id, "with space");
	kube_volume_snapshot_clear(&sn);
	ck_assert_int_eq(e.vt->create_snapshot(e.self, "with space", "s9", NULL, 0, &sn), 0);
	ck_assert_str_eq(sn.source_volume_id, "with space");
	kube_volume_snapshot_clear(&sn);
	ck_assert_int_eq(e.vt->delete_snapshot(e.self, "s9"), 0);
	ck_assert_int_eq(e.vt->list_snapshots(e.self, NULL, NULL, 1, NULL, &ents, &n, &next), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(ents[0].snapshot_id, "s0");
	ck_assert_str_eq(next, "1");
	kube_volume_snapshot_clear(&ents[0]);
	kube_free(ents);
	kube_free(next);
	next = NULL;
	ents = NULL;
	ck_assert_int_eq(e.vt->list_snapshots(e.self, NULL, "v", 0, NULL, &ents, &n, &next), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_str_eq(ents[0].snapshot_id, "s1");
	ck_assert_ptr_null(next);
	kube_volume_snapshot_clear(&ents[0]);
	kube_free(ents);
	ents = NULL;
	ck_assert_int_eq(e.vt->list_snapshots(e.self, "zz", NULL, 0, NULL, &ents, &n, &next), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_ptr_null(ents);

	ck_assert_int_eq(e.vt->delete_snapshot(e.self, "s1"), 0);
	ck_assert_int_eq(e.vt->delete_snapshot(e.self, "s1"), 0);
	ck_assert_int_eq(e.vt->delete_snapshot(e.self, ""), KUBE_EINVAL);
	ck_assert_int_eq(e.vt->delete_snapshot(e.self, "s0"), 0);
	ck_assert_int_eq(e.vt->list_snapshots(e.self, NULL, NULL, 0, NULL, &ents, &n, &next), 0);
	ck_assert_uint_eq(n, 0);
	hp_close(&e);
}
END_TEST

START_TEST(test_plugin_hostpath_publish_symlink)
{
	hp_env e;
	hp_open(&e, "publish=symlink\n");
	kube_volume_info v;
	ck_assert_int_eq(hp_create(&e, "v", 0, 0, &v), 0);
	kube_volume_info_clear(&v);
	ck_assert_int_eq(hp_create(&e, "w", 0, 0, &v), 0);
	kube_volume_info_clear(&v);
	char target[PATH_MAX + 16];
	snprintf(target, sizeof(target), "%s/target", e.dir);
	kube_volume_node_request r = { .struct_size = sizeof(r), .volume_id = "v",
	                               .target_path = target, .capability = &hp_rw, .readonly = 1 };
	ck_assert_int_eq(e.vt->node_publish_volume(e.self, &r), KUBE_ECONFLICT);
	expect_last("hostpath: a read-only publish needs bind mounts, which this process may not make");
	r.readonly = 0;
	ck_assert_int_eq(mkdir(target, 0750), 0);   /* the CO may have made it */
	ck_assert_int_eq(e.vt->node_publish_volume(e.self, &r), 0);
	struct stat st;
	ck_assert_int_eq(lstat(target, &st), 0);
	ck_assert(S_ISLNK(st.st_mode));
	ck_assert_int_eq(e.vt->node_publish_volume(e.self, &r), 0);
	r.volume_id = "w";
	ck_assert_int_eq(e.vt->node_publish_volume(e.self, &r), KUBE_EEXISTS);
	expect_last(msgf("target %s already holds another volume", target));
	kube_volume_capability block = hp_rw;
	block.access_type = KUBE_VOLUME_ACCESS_BLOCK;
	r.capability = &block;
	ck_assert_int_eq(e.vt->node_publish_volume(e.self, &r), KUBE_ECONFLICT);

	/* Usage counts what the volume holds. */
	char file[PATH_MAX + 32];
	snprintf(file, sizeof(file), "%s/data", target);
	FILE *f = fopen(file, "w");
	ck_assert_ptr_nonnull(f);
	static char block8k[8192];
	ck_assert_uint_eq(fwrite(block8k, 1, sizeof(block8k), f), sizeof(block8k));
	fclose(f);
	kube_volume_stats vs = { .struct_size = sizeof(vs) };
	ck_assert_int_eq(e.vt->node_get_volume_stats(e.self, "v", target, &vs), 0);
	ck_assert_int_ge(vs.bytes_used, 8192);
	ck_assert_int_gt(vs.bytes_total, 0);
	ck_assert_int_eq(e.vt->node_get_volume_stats(e.self, "nope", target, &vs), KUBE_ENOTFOUND);

	ck_assert_int_eq(e.vt->node_unpublish_volume(e.self, "v", target), 0);
	ck_assert_int_ne(lstat(target, &st), 0);
	ck_assert_int_eq(e.vt->node_unpublish_volume(e.self, "nope", target), KUBE_ENOTFOUND);
	expect_last("volume nope not found");
	hp_close(&e);
}
END_TEST

START_TEST(test_plugin_hostpath_publish_bind_readonly)
{
	if (geteuid() != 0)
		return;   /* bind mounts need root; the symlink test covers the fallback */
	hp_env e;
	hp_open(&e, "publish=auto\n");
	kube_volume_info v;
	ck_assert_int_eq(hp_create(&e, "v", 0, 0, &v), 0);
	kube_volume_info_clear(&v);
	char target[PATH_MAX + 16];
	snprintf(target, sizeof(target), "%s/target", e.dir);
	kube_volume_node_request r = { .struct_size = sizeof(r), .volume_id = "v",
	                               .target_path = target, .capability = &hp_rw, .readonly = 1 };
	int rc = e.vt->node_publish_volume(e.self, &r);
	struct stat st;
	ck_assert_int_eq(lstat(target, &st), rc == 0 ? 0 : -1);
	if (rc == KUBE_ECONFLICT) {
		/* root without CAP_SYS_ADMIN (a container): the documented fallback refused. */
		expect_last("hostpath: a read-only publish needs bind mounts, which this process may not make");
		hp_close(&e);
		return;
	}
	ck_assert_int_eq(rc, 0);
	ck_assert(S_ISDIR(st.st_mode));
	struct statvfs sv;
	ck_assert_int_eq(statvfs(target, &sv), 0);
	ck_assert(sv.f_flag & ST_RDONLY);
	ck_assert_int_eq(e.vt->node_publish_volume(e.self, &r), 0);
	r.readonly = 0;
	ck_assert_int_eq(e.vt->node_publish_volume(e.self, &r), KUBE_EEXISTS);
	expect_last(msgf("volume v is published at %s with another readonly flag", target));
	ck_assert_int_eq(e.vt->node_unpublish_volume(e.self, "v", target), 0);
	ck_assert_int_ne(lstat(target, &st), 0);
	hp_close(&e);
}
END_TEST

/* ---- cloud-local ---- */

START_TEST(test_plugin_cloud_local)
{
	char path[PATH_MAX + 64];
	snprintf(path, sizeof(path), "%s", staged("plugins/cloud-local/cloud-local.so"));
	kube_plugin *p = NULL;
	ck_assert_int_eq(kube_plugin_load(&p, path), 0);
	ck_assert_str_eq(kube_plugin_name(p), "local");
	const kube_cloud_provider *vt = kube_plugin_cloud(p);
	void *self = NULL;
	ck_assert_int_eq(vt->open(&self, NULL, 0, NULL), 0);

	const char *sj = "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"web\","
	                 "\"uid\":\"6a1f3c2e-0d4b-4e8a-9c1d-2b3e4f5a6b7c\"}}";
	const char *nj = "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"n1\","
	                 "\"labels\":{\"topology.kubernetes.io/zone\":\"zone-a\","
	                 "\"topology.kubernetes.io/region\":\"region-1\"}}}";
	kube_object *svc = NULL, *node = NULL, *nouid = NULL;
	ck_assert_int_eq(kube_object_from_json(&svc, sj, strlen(sj)), 0);
	ck_assert_int_eq(kube_object_from_json(&node, nj, strlen(nj)), 0);
	const char *xj = "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"x\"}}";
	ck_assert_int_eq(kube_object_from_json(&nouid, xj, strlen(xj)), 0);
	const kube_host_object *hs = (const kube_host_object *)(void *)svc;
	const kube_host_object *hn = (const kube_host_object *)(void *)node;

	/* Upstream's DefaultLoadBalancerName: "a" + UID without dashes, cut at 32. */
	char *name = NULL;
	ck_assert_int_eq(vt->get_load_balancer_name(self, "c", hs, &name), 0);
	ck_assert_str_eq(name, "a6a1f3c2e0d4b4e8a9c1d2b3e4f5a6b7");
	kube_free(name);
	name = NULL;
	ck_assert_int_eq(vt->get_load_balancer_name(self, "c", (const kube_host_object *)(void *)nouid,
	                                            &name), KUBE_EINVAL);
	ck_assert_str_eq(kube_error_last()->message, "service has no metadata.uid");

	kube_cloud_lb_status st = { .struct_size = sizeof(st) };
	uint32_t retry = 0;
	ck_assert_int_eq(vt->update_load_balancer(self, "c", hs, &hn, 1, &retry), KUBE_ENOTFOUND);
	ck_assert_int_eq(vt->ensure_load_balancer(self, "c", hs, &hn, 1, &st, &retry), 0);
	ck_assert_uint_eq(st.n_ingress, 1);
	/* A loopback address of its own, never the host's 127.0.0.1. */
	ck_assert_int_eq(strncmp(st.ingress[0].ip, "127.", 4), 0);
	ck_assert_str_ne(st.ingress[0].ip, "127.0.0.1");
	ck_assert_ptr_null(st.ingress[0].hostname);
	kube_cloud_lb_status_clear(&st);
	int exists = 0;
	/* Load balancers are per cluster. */
	ck_assert_int_eq(vt->get_load_balancer(self, "other", hs, &st, &exists), 0);
	ck_assert_int_eq(exists, 0);
	ck_assert_int_eq(vt->update_load_balancer(self, "c", hs, &hn, 1, &retry), 0);

	kube_cloud_instance_metadata md = { .struct_size = sizeof(md) };
	ck_assert_int_eq(vt->instance_metadata(self, hn, &md), 0);
	ck_assert_str_eq(md.provider_id, "local://n1");
	ck_assert_str_eq(md.instance_type, "local");
	ck_assert_str_eq(md.zone, "zone-a");
	ck_assert_str_eq(md.region, "region-1");
	kube_cloud_instance_metadata_clear(&md);
	/* Zones and Instances v1 are left to InstancesV2. */
	kube_cloud_zone z = { .struct_size = sizeof(z) };
	ck_assert_int_eq(vt->get_zone(self, &z), KUBE_ENOTSUP);
	char *id = NULL;
	ck_assert_int_eq(vt->instance_id(self, "n1", &id), KUBE_ENOTSUP);

	kube_object_unref(svc);
	kube_object_unref(node);
	kube_object_unref(nouid);
	vt->close(self);
	kube_plugin_unref(p);
}
END_TEST

/* A TCP echo server on 127.0.0.1 for the proxy test: serves `n` connections. */
typedef struct echo {
	int fd;
	int port;
	int served;
	pthread_t thread;
} echo;

static void *echo_main(void *arg)
{
	echo *e = arg;
	for (;;) {
		int c = accept(e->fd, NULL, NULL);
		if (c < 0)
			break;
		char buf[256];
		ssize_t n;
		while ((n = read(c, buf, sizeof(buf))) > 0)
			if (write(c, buf, (size_t)n) != n)
				break;
		close(c);
		e->served++;
	}
	return NULL;
}

static int free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	socklen_t len = sizeof(sa);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	close(fd);
	return ntohs(sa.sin_port);
}

/* Connects to ip:port, sends msg, returns what came back before EOF (or -errno). */
static int roundtrip(const char *ip, int port, const char *msg, char *out, size_t outsz)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	inet_pton(AF_INET, ip, &sa.sin_addr);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	size_t len = strlen(msg), got = 0;
	ck_assert_int_eq(write(fd, msg, len), (ssize_t)len);
	shutdown(fd, SHUT_WR);
	ssize_t n;
	while (got < outsz - 1 && (n = read(fd, out + got, outsz - 1 - got)) > 0)
		got += (size_t)n;
	out[got] = '\0';
	close(fd);
	return (int)got;
}

START_TEST(test_plugin_cloud_local_proxy)
{
	echo e = { .fd = socket(AF_INET, SOCK_STREAM, 0) };
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	ck_assert_int_eq(bind(e.fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	socklen_t slen = sizeof(sa);
	ck_assert_int_eq(getsockname(e.fd, (struct sockaddr *)&sa, &slen), 0);
	e.port = ntohs(sa.sin_port);
	ck_assert_int_eq(listen(e.fd, 8), 0);
	ck_assert_int_eq(pthread_create(&e.thread, NULL, echo_main, &e), 0);

	char path[PATH_MAX + 64];
	snprintf(path, sizeof(path), "%s", staged("plugins/cloud-local/cloud-local.so"));
	kube_plugin *p = NULL;
	ck_assert_int_eq(kube_plugin_load(&p, path), 0);
	const kube_cloud_provider *vt = kube_plugin_cloud(p);
	void *self = NULL;
	ck_assert_int_eq(vt->open(&self, NULL, 0, NULL), 0);

	int port = free_port();
	char sj[512];
	snprintf(sj, sizeof(sj), "{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"echo\","
	         "\"uid\":\"0000-1111\"},\"spec\":{\"type\":\"LoadBalancer\",\"ports\":[{\"port\":%d,"
	         "\"nodePort\":%d,\"protocol\":\"TCP\"}]}}", port, e.port);
	const char *nj = "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"n1\"},"
	                 "\"status\":{\"addresses\":[{\"type\":\"Hostname\",\"address\":\"n1\"},"
	                 "{\"type\":\"InternalIP\",\"address\":\"127.0.0.1\"}]}}";
	kube_object *svc = NULL, *node = NULL;
	ck_assert_int_eq(kube_object_from_json(&svc, sj, strlen(sj)), 0);
	ck_assert_int_eq(kube_object_from_json(&node, nj, strlen(nj)), 0);
	const kube_host_object *hs = (const kube_host_object *)(void *)svc;
	const kube_host_object *hn = (const kube_host_object *)(void *)node;

	kube_cloud_lb_status st = { .struct_size = sizeof(st) };
	uint32_t retry = 0;
	ck_assert_int_eq(vt->ensure_load_balancer(self, "c", hs, &hn, 1, &st, &retry), 0);
	char ip[64];
	snprintf(ip, sizeof(ip), "%s", st.ingress[0].ip);
	kube_cloud_lb_status_clear(&st);
	ck_assert_int_eq(vt->ensure_load_balancer(self, "c", hs, &hn, 1, &st, &retry), 0);
	ck_assert_str_eq(st.ingress[0].ip, ip);   /* ensure twice: the same load balancer */
	kube_cloud_lb_status_clear(&st);

	char buf[64];
	ck_assert_int_eq(roundtrip(ip, port, "ping\n", buf, sizeof(buf)), 5);
	ck_assert_str_eq(buf, "ping\n");
	ck_assert_int_eq(roundtrip(ip, port, "second\n", buf, sizeof(buf)), 7);
	ck_assert_str_eq(buf, "second\n");

	/* No endpoints left: connections are accepted and closed. */
	ck_assert_int_eq(vt->update_load_balancer(self, "c", hs, NULL, 0, &retry), 0);
	ck_assert_int_eq(roundtrip(ip, port, "x", buf, sizeof(buf)), 0);

	ck_assert_int_eq(vt->ensure_load_balancer_deleted(self, "c", hs), 0);
	ck_assert_int_eq(roundtrip(ip, port, "x", buf, sizeof(buf)), -ECONNREFUSED);

	vt->close(self);
	kube_plugin_unref(p);
	shutdown(e.fd, SHUT_RDWR);
	close(e.fd);
	pthread_join(e.thread, NULL);
	ck_assert_int_eq(e.served, 2);
	kube_object_unref(svc);
	kube_object_unref(node);
}
END_TEST

static Suite *plugin_suite(void)
{
	Suite *s = suite_create("plugin");
	TCase *tc = tcase_create("core");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_plugin_load_good);
	tcase_add_test(tc, test_plugin_null_optional_is_enotsup);
	tcase_add_test(tc, test_plugin_cloud_fixture);
	tcase_add_test(tc, test_plugin_refuse_no_entry);
	tcase_add_test(tc, test_plugin_refuse_entry_null);
	tcase_add_test(tc, test_plugin_refuse_major);
	tcase_add_test(tc, test_plugin_refuse_newer_minor);
	tcase_add_test(tc, test_plugin_refuse_small_descriptor);
	tcase_add_test(tc, test_plugin_refuse_small_vtable);
	tcase_add_test(tc, test_plugin_refuse_null_required);
	tcase_add_test(tc, test_plugin_refuse_vtable_minor);
	tcase_add_test(tc, test_plugin_refuse_unknown_kind);
	tcase_add_test(tc, test_plugin_refuse_runtime_null_required);
	tcase_add_test(tc, test_plugin_runtime_fixture);
	tcase_add_test(tc, test_plugin_refuse_no_vtable);
	tcase_add_test(tc, test_plugin_refuse_duplicate_name);
	tcase_add_test(tc, test_plugin_refuse_missing_file);
	tcase_add_test(tc, test_plugin_refuse_writable_file);
	tcase_add_test(tc, test_plugin_refuse_writable_dir);
	tcase_add_test(tc, test_plugin_refuse_foreign_owner);
	tcase_add_test(tc, test_plugin_load_dir);
	tcase_add_test(tc, test_plugin_refcount_and_unload);
	tcase_add_test(tc, test_plugin_registry_threads);
	tcase_add_test(tc, test_plugin_csi_code_map);
	tcase_add_test(tc, test_plugin_host_table);
	tcase_add_test(tc, test_plugin_host_loop_hooks);
	suite_add_tcase(s, tc);

	TCase *hp = tcase_create("hostpath");
	tcase_add_checked_fixture(hp, setup, teardown);
	tcase_add_test(hp, test_plugin_hostpath_config);
	tcase_add_test(hp, test_plugin_hostpath_create_rules);
	tcase_add_test(hp, test_plugin_hostpath_list_paging);
	tcase_add_test(hp, test_plugin_hostpath_snapshots);
	tcase_add_test(hp, test_plugin_hostpath_publish_symlink);
	tcase_add_test(hp, test_plugin_hostpath_publish_bind_readonly);
	suite_add_tcase(s, hp);

	TCase *cl = tcase_create("cloud-local");
	tcase_add_checked_fixture(cl, setup, teardown);
	tcase_add_test(cl, test_plugin_cloud_local);
	tcase_add_test(cl, test_plugin_cloud_local_proxy);
	suite_add_tcase(s, cl);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(plugin_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
