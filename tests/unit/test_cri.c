/*
 * test_cri.c - the CRI client without a runtime: a stub transport records
 * every call (method path, request bytes, deadline) and answers from the
 * test's script, on the loop, as lib/grpc would.
 *
 * Requests are checked, and responses built, with a small protobuf reader
 * and writer written here, not with the generated code, so the field
 * numbers are checked against the numbers typed in this file (upstream's),
 * independently of proto/runtime/v1/api.proto.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/base.h"
#include "cri/cri_internal.h"
#include "libkube/kube.h"
#include "libkube/cri.h"

/* ==================== protobuf by hand ==================== */

typedef struct pbw {
	uint8_t b[8192];
	size_t n;
} pbw;

static void w_varint(pbw *w, uint64_t v)
{
	do {
		uint8_t byte = v & 0x7f;
		v >>= 7;
		w->b[w->n++] = byte | (v ? 0x80 : 0);
	} while (v);
}

static void w_uint(pbw *w, int field, uint64_t v)
{
	w_varint(w, (uint64_t)field << 3);
	w_varint(w, v);
}

static void w_bytes(pbw *w, int field, const void *p, size_t len)
{
	w_varint(w, ((uint64_t)field << 3) | 2);
	w_varint(w, len);
	memcpy(w->b + w->n, p, len);
	w->n += len;
}

static void w_str(pbw *w, int field, const char *s)
{
	w_bytes(w, field, s, strlen(s));
}

static void w_msg(pbw *w, int field, const pbw *m)
{
	w_bytes(w, field, m->b, m->n);
}

static void w_kv(pbw *w, int field, const char *k, const char *v)
{
	pbw e = { .n = 0 };
	w_str(&e, 1, k);
	w_str(&e, 2, v);
	w_msg(w, field, &e);
}

/* A wrapper message (Int64Value, UInt64Value) at `field`. */
static void w_wrapped(pbw *w, int field, uint64_t v)
{
	pbw m = { .n = 0 };
	w_uint(&m, 1, v);
	w_msg(w, field, &m);
}

/* Reader: the nth (0-based) occurrence of `field` in msg. */
typedef struct pbv {
	const uint8_t *p;    /* length-delimited: the bytes */
	size_t len;
	uint64_t v;          /* varint: the value */
	int found;
} pbv;

static uint64_t r_varint(const uint8_t *p, size_t len, size_t *i)
{
	uint64_t v = 0;
	for (int shift = 0; *i < len; shift += 7) {
		uint8_t b = p[(*i)++];
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			break;
	}
	return v;
}

static pbv field_n(const uint8_t *p, size_t len, int field, int nth)
{
	pbv r = { NULL, 0, 0, 0 };
	size_t i = 0;
	while (i < len) {
		uint64_t key = r_varint(p, len, &i);
		int f = (int)(key >> 3), wt = (int)(key & 7);
		pbv cur = { NULL, 0, 0, 1 };
		if (wt == 0) {
			cur.v = r_varint(p, len, &i);
		} else if (wt == 2) {
			size_t l = (size_t)r_varint(p, len, &i);
			ck_assert_uint_le(i + l, len);
			cur.p = p + i;
			cur.len = l;
			i += l;
		} else {
			ck_abort_msg("unexpected wire type %d", wt);
		}
		if (f == field && nth-- == 0)
			return cur;
	}
	return r;
}

static pbv field(pbv m, int f)
{
	return field_n(m.p, m.len, f, 0);
}

static int count_field(pbv m, int f)
{
	int n = 0;
	while (field_n(m.p, m.len, f, n).found)
		n++;
	return n;
}

#define ASSERT_STR(pv, s) \
	do { \
		pbv v_ = (pv); \
		ck_assert_msg(v_.found, "field missing, wanted %s", (s)); \
		ck_assert_uint_eq(v_.len, strlen(s)); \
		ck_assert(memcmp(v_.p, (s), v_.len) == 0); \
	} while (0)

#define ASSERT_VARINT(pv, val) \
	do { \
		pbv v_ = (pv); \
		ck_assert(v_.found); \
		ck_assert_uint_eq(v_.v, (uint64_t)(val)); \
	} while (0)

/* ==================== the stub transport ==================== */

typedef struct reply reply;

typedef struct stub {
	kube_loop *loop;
	char methods[32][96];        /* every method path called, in order */
	int n_calls;
	uint8_t reqs[32][4096];      /* and each request */
	size_t req_lens[32];
	uint64_t timeouts[32];
	/* the script */
	int v1_code;                 /* status for /runtime.v1.*: 0 = as below */
	const char *v1_message;
	int v1alpha2_code;
	const char *v1alpha2_message;
	int code;                    /* status for everything else */
	const char *message;
	pbw resp;                    /* the OK answer */
	int refuse;                  /* unary itself fails with this */
	reply *open[32];             /* answers not yet delivered */
	int freed;
} stub;

struct reply {
	stub *s;
	int slot;
	int done;
	int code;
	char message[256];
	uint8_t resp[8192];
	size_t len;
	kube__grpc_unary_cb cb;
	void *userdata;
};

static void reply_fire(void *ud)
{
	reply *r = ud;
	if (r->done)
		return;
	r->done = 1;
	r->s->open[r->slot] = NULL;
	kube__grpc_status st = { r->code, r->message };
	r->cb(&st, r->code == 0 ? r->resp : NULL, r->code == 0 ? r->len : 0, r->userdata);
}

static int stub_unary(void *ctx, const char *method, const uint8_t *req, size_t len,
                      uint64_t timeout_ms, kube__grpc_unary_cb cb, void *userdata)
{
	stub *s = ctx;
	if (s->refuse)
		return kube__error_set(s->refuse, NULL, "connect unix:/nowhere: No such file or directory");
	ck_assert_int_lt(s->n_calls, 32);
	int i = s->n_calls++;
	snprintf(s->methods[i], sizeof(s->methods[i]), "%s", method);
	ck_assert_uint_le(len, sizeof(s->reqs[i]));
	memcpy(s->reqs[i], req, len);
	s->req_lens[i] = len;
	s->timeouts[i] = timeout_ms;
	reply *r = calloc(1, sizeof(*r));
	r->s = s;
	r->slot = i;
	r->cb = cb;
	r->userdata = userdata;
	int is_v1 = strncmp(method, "/runtime.v1.", 12) == 0;
	int is_alpha = strncmp(method, "/runtime.v1alpha2.", 18) == 0;
	ck_assert(is_v1 || is_alpha);
	const char *msg = s->message;
	r->code = s->code;
	if (is_v1 && s->v1_code) {
		r->code = s->v1_code;
		msg = s->v1_message;
	}
	if (is_alpha && s->v1alpha2_code) {
		r->code = s->v1alpha2_code;
		msg = s->v1alpha2_message;
	}
	snprintf(r->message, sizeof(r->message), "%s", msg ? msg : "");
	memcpy(r->resp, s->resp.b, s->resp.n);
	r->len = s->resp.n;
	s->open[i] = r;
	ck_assert_int_eq(kube_loop_defer(s->loop, reply_fire, r, free), 0);
	return 0;
}

/* Like lib/grpc: every call still open ends CANCELLED before free returns. */
static void stub_free(void *ctx)
{
	stub *s = ctx;
	for (int i = 0; i < 32; i++) {
		reply *r = s->open[i];
		if (!r)
			continue;
		r->code = KUBE_GRPC_CANCELLED;
		snprintf(r->message, sizeof(r->message), "channel closed");
		reply_fire(r);
	}
	s->freed = 1;
}

static const kube__cri_transport stub_transport = { stub_unary, stub_free };

typedef struct fixture {
	kube_loop *loop;
	kube_cri_client *c;
	stub s;
} fixture;

static fixture *fx_new(int api)
{
	fixture *f = calloc(1, sizeof(*f));
	ck_assert_int_eq(kube_loop_new(&f->loop, NULL), 0);
	kube_cri_options o = KUBE_CRI_OPTIONS_INIT;
	o.api = api;
	o.timeout_ms = 5000;
	o.pull_timeout_ms = 60000;
	ck_assert_int_eq(kube_cri_client_new(&f->c, f->loop, "unix:///run/nowhere.sock", &o), 0);
	f->s.loop = f->loop;
	kube__cri_client_set_transport(f->c, &stub_transport, &f->s);
	return f;
}

static void fx_free(fixture *f)
{
	kube_cri_client_free(f->c);
	ck_assert_int_eq(f->s.freed, 1);
	kube_loop_free(f->loop);
	free(f);
}

static const char *errmsg(void)
{
	const kube_error *e = kube_error_last();
	return e && e->message ? e->message : "(none)";
}

static pbv req_of(fixture *f, int i)
{
	pbv r = { f->s.reqs[i], f->s.req_lens[i], 0, 1 };
	return r;
}

static void version_response(pbw *w, const char *api)
{
	w->n = 0;
	w_str(w, 1, "0.1.0");
	w_str(w, 2, "containerd");
	w_str(w, 3, "1.6.20");
	w_str(w, 4, api);
}

/* ==================== client, options, arguments ==================== */

START_TEST(test_cri_options_and_client)
{
	kube_cri_options o;
	memset(&o, 0xff, sizeof(o));
	ck_assert_int_eq(kube_cri_options_init(&o, KUBE_CRI_OPTIONS_VERSION), 0);
	ck_assert_uint_eq(o.version, KUBE_CRI_OPTIONS_VERSION);
	ck_assert_int_eq(o.api, KUBE_CRI_API_AUTO);
	ck_assert_uint_eq(o.timeout_ms, 0);
	ck_assert_uint_eq(o.pull_timeout_ms, 0);
	ck_assert_uint_eq(o.max_recv_message, 0);
	ck_assert_int_eq(kube_cri_options_init(&o, 2), KUBE_EINVAL);
	ck_assert_str_eq(errmsg(), "kube_cri_options_init: invalid argument: "
	                           "version == KUBE_CRI_OPTIONS_VERSION");
	ck_assert_int_eq(kube_cri_options_init(NULL, 1), KUBE_EINVAL);

	kube_cri_client *c = (void *)1;
	ck_assert_int_eq(kube_cri_client_new(&c, NULL, "", NULL), KUBE_EINVAL);
	ck_assert_ptr_null(c);
	ck_assert_str_eq(errmsg(), "kube_cri_client_new: invalid argument: endpoint && *endpoint");
	ck_assert_int_eq(kube_cri_client_new(NULL, NULL, "/x", NULL), KUBE_EINVAL);
	kube_cri_options bad = KUBE_CRI_OPTIONS_INIT;
	bad.api = 3;
	ck_assert_int_eq(kube_cri_client_new(&c, NULL, "/x", &bad), KUBE_EINVAL);
	bad.api = 0;
	bad.version = 9;
	ck_assert_int_eq(kube_cri_client_new(&c, NULL, "/x", &bad), KUBE_EINVAL);

	/* a plain path and no loop: the client makes its own */
	ck_assert_int_eq(kube_cri_client_new(&c, NULL, "/run/nowhere.sock", NULL), 0);
	ck_assert_ptr_nonnull(kube_cri_client_loop(c));
	ck_assert_int_eq(kube_cri_client_api(c), KUBE_CRI_API_AUTO);
	kube_cri_client_free(c);
	kube_cri_client_free(NULL);
	ck_assert_int_eq(kube_cri_client_api(NULL), KUBE_EINVAL);
	ck_assert_ptr_null(kube_cri_client_loop(NULL));

	kube_loop *loop = NULL;
	ck_assert_int_eq(kube_loop_new(&loop, NULL), 0);
	ck_assert_int_eq(kube_cri_client_new(&c, loop, "unix:///run/nowhere.sock", NULL), 0);
	ck_assert_ptr_eq(kube_cri_client_loop(c), loop);
	kube_cri_client_free(c);
	kube_loop_free(loop);
}
END_TEST

static int never_called;
static void cb_never_done(int st, void *ud) { (void)st; (void)ud; never_called++; }
static void cb_never_str(int st, char *v, void *ud) { (void)st; (void)v; (void)ud; never_called++; }
static void cb_never_exec(int st, kube_cri_exec_result *r, void *ud)
{
	(void)st; (void)r; (void)ud;
	never_called++;
}

START_TEST(test_cri_argument_checks)
{
	fixture *f = fx_new(KUBE_CRI_API_AUTO);
	kube_cri_client *c = f->c;
	ck_assert_int_eq(kube_cri_start_container_async(NULL, "id", cb_never_done, NULL), KUBE_EINVAL);
	ck_assert_int_eq(kube_cri_start_container_async(c, "id", NULL, NULL), KUBE_EINVAL);
	ck_assert_int_eq(kube_cri_start_container_async(c, "", cb_never_done, NULL), KUBE_EINVAL);
	ck_assert_str_eq(errmsg(), "kube_cri_start_container_async: invalid argument: (id) && *(id)");
	ck_assert_int_eq(kube_cri_stop_container_async(c, "id", -1, cb_never_done, NULL), KUBE_EINVAL);
	ck_assert_str_eq(errmsg(), "kube_cri_stop_container_async: invalid argument: timeout_s >= 0");

	/* struct_size must cover the first version of a request struct */
	kube_cri_sandbox_config sb = { .struct_size = 0 };
	ck_assert_int_eq(kube_cri_run_pod_sandbox_async(c, &sb, NULL, cb_never_str, NULL),
	                 KUBE_EINVAL);
	ck_assert_str_eq(errmsg(), "kube_cri_run_pod_sandbox_async: invalid argument: "
	                           "(config)->struct_size >= sizeof(*(config))");
	kube_cri_container_config cc = { .struct_size = sizeof(cc) - 1 };
	ck_assert_int_eq(kube_cri_create_container_async(c, "sb", &cc, NULL, cb_never_str, NULL),
	                 KUBE_EINVAL);
	kube_cri_linux_resources res = { .struct_size = 4 };
	ck_assert_int_eq(kube_cri_update_container_resources_async(c, "id", &res, cb_never_done,
	                                                           NULL), KUBE_EINVAL);
	kube_cri_container_filter cf = { .struct_size = 0 };
	kube_cri_container_list *cl = (void *)1;
	ck_assert_int_eq(kube_cri_list_containers_sync(&cl, c, &cf), KUBE_EINVAL);
	ck_assert_ptr_null(cl);

	const char *cmd[] = { "ls", NULL };
	ck_assert_int_eq(kube_cri_exec_sync_async(c, "id", cmd, 0, 0, cb_never_exec, NULL),
	                 KUBE_EINVAL);
	ck_assert_int_eq(kube_cri_exec_sync_async(c, "id", cmd, 2, 0, cb_never_exec, NULL),
	                 KUBE_EINVAL);
	ck_assert_str_eq(errmsg(), "kube_cri_exec_sync_async: invalid argument: cmd[i] != NULL");
	ck_assert_int_eq(kube_cri_version_sync(NULL, c), KUBE_EINVAL);
	ck_assert_int_eq(kube_cri_stop_pod_sandbox_sync(NULL, "x"), KUBE_EINVAL);
	ck_assert_int_eq(kube_cri_image_status_sync(NULL, c, "x", 0), KUBE_EINVAL);

	/* nothing was sent and no callback ran */
	ck_assert_int_eq(kube_loop_run_once(f->loop, KUBE_LOOP_NOWAIT), 0);
	ck_assert_int_eq(f->s.n_calls, 0);
	ck_assert_int_eq(never_called, 0);
	fx_free(f);
}
END_TEST

/* The transport refuses: the call fails at once, named, and cb never runs. */
START_TEST(test_cri_transport_refuses)
{
	fixture *f = fx_new(KUBE_CRI_API_AUTO);
	f->s.refuse = KUBE_EUNAVAILABLE;
	ck_assert_int_eq(kube_cri_remove_container_async(f->c, "abc", cb_never_done, NULL),
	                 KUBE_EUNAVAILABLE);
	ck_assert_str_eq(errmsg(), "RemoveContainer: connect unix:/nowhere: No such file or directory");
	ck_assert_int_eq(kube_cri_remove_container_sync(f->c, "abc"), KUBE_EUNAVAILABLE);
	ck_assert_int_eq(kube_error_last()->code, KUBE_EUNAVAILABLE);
	ck_assert_int_eq(never_called, 0);
	fx_free(f);
}
END_TEST

/* The real transport: a bad endpoint is refused by lib/grpc (and the
 * client's own loop freed again, which ASan checks); a socket nobody
 * listens on ends a call with an error that names it, within its deadline. */
START_TEST(test_cri_real_transport_errors)
{
	kube_cri_client *c = (void *)1;
	ck_assert_int_eq(kube_cri_client_new(&c, NULL, "containerd", NULL), KUBE_EINVAL);
	ck_assert_ptr_null(c);
	ck_assert_str_eq(errmsg(), "grpc: containerd: expected unix:/path or host:port");
	ck_assert_int_eq(kube_cri_client_new(&c, NULL, "unix://relative.sock", NULL), KUBE_EINVAL);
	ck_assert_str_eq(errmsg(), "grpc: unix://relative.sock: a unix target needs an absolute path");

	char path[64];
	snprintf(path, sizeof(path), "/tmp/test-cri-nobody-%d.sock", (int)getpid());
	kube_cri_options o = KUBE_CRI_OPTIONS_INIT;
	o.timeout_ms = 300;
	ck_assert_int_eq(kube_cri_client_new(&c, NULL, path, &o), 0);
	kube_cri_version *v = (void *)1;
	/* lib/grpc keeps a call waiting for the connection until its deadline */
	ck_assert_int_eq(kube_cri_version_sync(&v, c), KUBE_ETIMEDOUT);
	ck_assert_ptr_null(v);
	ck_assert_str_eq(errmsg(), "Version: DEADLINE_EXCEEDED: grpc: "
	                           "/runtime.v1.RuntimeService/Version: deadline of 300 ms exceeded");
	ck_assert_int_eq(kube_cri_client_api(c), KUBE_CRI_API_AUTO);
	kube_cri_client_free(c);
}
END_TEST

/* ==================== v1alpha2 fallback ==================== */

START_TEST(test_cri_fallback_v1alpha2)
{
	fixture *f = fx_new(KUBE_CRI_API_AUTO);
	f->s.v1_code = KUBE_GRPC_UNIMPLEMENTED;
	f->s.v1_message = "unknown service runtime.v1.RuntimeService";
	version_response(&f->s.resp, "v1alpha2");
	kube_cri_version *v = NULL;
	ck_assert_int_eq(kube_cri_version_sync(&v, f->c), 0);
	ck_assert_str_eq(v->runtime_api_version, "v1alpha2");
	ck_assert_str_eq(v->runtime_name, "containerd");
	kube_cri_version_free(v);
	ck_assert_int_eq(f->s.n_calls, 2);
	ck_assert_str_eq(f->s.methods[0], "/runtime.v1.RuntimeService/Version");
	ck_assert_str_eq(f->s.methods[1], "/runtime.v1alpha2.RuntimeService/Version");
	/* the same bytes both times: VersionRequest{version: "0.1.0"} */
	ck_assert_uint_eq(f->s.req_lens[0], f->s.req_lens[1]);
	ck_assert(memcmp(f->s.reqs[0], f->s.reqs[1], f->s.req_lens[0]) == 0);
	ASSERT_STR(field(req_of(f, 0), 1), "0.1.0");
	ck_assert_int_eq(kube_cri_client_api(f->c), KUBE_CRI_API_V1ALPHA2);

	/* from now on, v1alpha2 straight away, for the image service too */
	f->s.resp.n = 0;
	kube_cri_fs_info *fs = NULL;
	ck_assert_int_eq(kube_cri_image_fs_info_sync(&fs, f->c), 0);
	ck_assert_uint_eq(fs->n_image_filesystems, 0);
	kube_cri_fs_info_free(fs);
	ck_assert_int_eq(f->s.n_calls, 3);
	ck_assert_str_eq(f->s.methods[2], "/runtime.v1alpha2.ImageService/ImageFsInfo");
	fx_free(f);
}
END_TEST

START_TEST(test_cri_no_fallback_after_v1)
{
	fixture *f = fx_new(KUBE_CRI_API_AUTO);
	version_response(&f->s.resp, "v1");
	kube_cri_version *v = NULL;
	ck_assert_int_eq(kube_cri_version_sync(&v, f->c), 0);
	kube_cri_version_free(v);
	ck_assert_int_eq(kube_cri_client_api(f->c), KUBE_CRI_API_V1);
	/* v1 works, so UNIMPLEMENTED is the runtime's answer to this call */
	f->s.v1_code = KUBE_GRPC_UNIMPLEMENTED;
	f->s.v1_message = "method ReopenContainerLog not implemented";
	ck_assert_int_eq(kube_cri_reopen_container_log_sync(f->c, "c1"), KUBE_ENOTSUP);
	ck_assert_str_eq(errmsg(), "ReopenContainerLog: UNIMPLEMENTED: method ReopenContainerLog "
	                           "not implemented");
	ck_assert_int_eq(f->s.n_calls, 2);
	ck_assert_str_eq(f->s.methods[1], "/runtime.v1.RuntimeService/ReopenContainerLog");
	fx_free(f);
}
END_TEST

START_TEST(test_cri_pinned_v1_no_fallback)
{
	fixture *f = fx_new(KUBE_CRI_API_V1);
	ck_assert_int_eq(kube_cri_client_api(f->c), KUBE_CRI_API_V1);
	f->s.v1_code = KUBE_GRPC_UNIMPLEMENTED;
	f->s.v1_message = "unknown service runtime.v1.RuntimeService";
	kube_cri_version *v = (void *)1;
	ck_assert_int_eq(kube_cri_version_sync(&v, f->c), KUBE_ENOTSUP);
	ck_assert_ptr_null(v);
	ck_assert_str_eq(errmsg(), "Version: UNIMPLEMENTED: unknown service runtime.v1.RuntimeService");
	ck_assert_int_eq(f->s.n_calls, 1);
	fx_free(f);
}
END_TEST

START_TEST(test_cri_pinned_v1alpha2)
{
	fixture *f = fx_new(KUBE_CRI_API_V1ALPHA2);
	ck_assert_int_eq(kube_cri_client_api(f->c), KUBE_CRI_API_V1ALPHA2);
	f->s.resp.n = 0;
	ck_assert_int_eq(kube_cri_remove_image_sync(f->c, "docker.io/library/x:1"), 0);
	ck_assert_str_eq(f->s.methods[0], "/runtime.v1alpha2.ImageService/RemoveImage");
	/* RemoveImageRequest{image: ImageSpec{image}} */
	ASSERT_STR(field(field(req_of(f, 0), 1), 1), "docker.io/library/x:1");
	fx_free(f);
}
END_TEST

START_TEST(test_cri_both_unimplemented)
{
	fixture *f = fx_new(KUBE_CRI_API_AUTO);
	f->s.v1_code = KUBE_GRPC_UNIMPLEMENTED;
	f->s.v1_message = "unknown service runtime.v1.ImageService";
	f->s.v1alpha2_code = KUBE_GRPC_UNIMPLEMENTED;
	f->s.v1alpha2_message = "unknown service runtime.v1alpha2.ImageService";
	kube_cri_image_list *l = (void *)1;
	ck_assert_int_eq(kube_cri_list_images_sync(&l, f->c, NULL), KUBE_ENOTSUP);
	ck_assert_ptr_null(l);
	ck_assert_str_eq(errmsg(), "ListImages: UNIMPLEMENTED: unknown service "
	                           "runtime.v1alpha2.ImageService");
	ck_assert_int_eq(f->s.n_calls, 2);
	ck_assert_str_eq(f->s.methods[0], "/runtime.v1.ImageService/ListImages");
	ck_assert_str_eq(f->s.methods[1], "/runtime.v1alpha2.ImageService/ListImages");
	ck_assert_int_eq(kube_cri_client_api(f->c), KUBE_CRI_API_AUTO);
	fx_free(f);
}
END_TEST

/* ==================== errors ==================== */

START_TEST(test_cri_error_codes)
{
	static const struct {
		int grpc;
		const char *message;
		int kube;
		const char *want;
	} cases[] = {
		{ KUBE_GRPC_NOT_FOUND, "an error occurred when try to find container \"c9\": not found",
		  KUBE_ENOTFOUND, "ContainerStatus: NOT_FOUND: an error occurred when try to find "
		                  "container \"c9\": not found" },
		{ KUBE_GRPC_DEADLINE_EXCEEDED, "", KUBE_ETIMEDOUT, "ContainerStatus: DEADLINE_EXCEEDED" },
		{ KUBE_GRPC_ALREADY_EXISTS, "name \"x\" is reserved", KUBE_EEXISTS,
		  "ContainerStatus: ALREADY_EXISTS: name \"x\" is reserved" },
		{ KUBE_GRPC_UNAVAILABLE, "connection reset", KUBE_EUNAVAILABLE,
		  "ContainerStatus: UNAVAILABLE: connection reset" },
		{ KUBE_GRPC_INVALID_ARGUMENT, "bad id", KUBE_EINVAL,
		  "ContainerStatus: INVALID_ARGUMENT: bad id" },
		{ KUBE_GRPC_UNKNOWN, "boom", KUBE_ERROR, "ContainerStatus: UNKNOWN: boom" },
		{ KUBE_GRPC_CANCELLED, "", KUBE_ECANCELED, "ContainerStatus: CANCELLED" },
	};
	for (size_t i = 0; i < KUBE_ARRAY_SIZE(cases); i++) {
		fixture *f = fx_new(KUBE_CRI_API_AUTO);
		f->s.code = cases[i].grpc;
		f->s.message = cases[i].message;
		kube_cri_container_status *s = (void *)1;
		ck_assert_int_eq(kube_cri_container_status_sync(&s, f->c, "c9", 1), cases[i].kube);
		ck_assert_ptr_null(s);
		ck_assert_int_eq(kube_error_last()->code, cases[i].kube);
		ck_assert_str_eq(errmsg(), cases[i].want);
		ck_assert_int_eq(f->s.n_calls, 1);
		fx_free(f);
	}
}
END_TEST

START_TEST(test_cri_malformed_response)
{
	fixture *f = fx_new(KUBE_CRI_API_AUTO);
	/* field 1 length-delimited, claiming 100 bytes that are not there */
	f->s.resp.b[0] = 0x0a;
	f->s.resp.b[1] = 100;
	f->s.resp.b[2] = 'x';
	f->s.resp.n = 3;
	kube_cri_version *v = (void *)1;
	ck_assert_int_eq(kube_cri_version_sync(&v, f->c), KUBE_EIO);
	ck_assert_ptr_null(v);
	ck_assert_str_eq(errmsg(), "Version: malformed response (3 bytes)");
	/* a wrong wire type for a string field */
	f->s.resp.n = 0;
	w_uint(&f->s.resp, 1, 5);
	char *id = (void *)1;
	kube_cri_sandbox_config sb = { .struct_size = sizeof(sb) };
	ck_assert_int_eq(kube_cri_run_pod_sandbox_sync(&id, f->c, &sb, NULL), KUBE_EIO);
	ck_assert_ptr_null(id);
	ck_assert_str_eq(errmsg(), "RunPodSandbox: malformed response (2 bytes)");
	/* an answer that does not decode still shows the v1 service is there */
	ck_assert_int_eq(kube_cri_client_api(f->c), KUBE_CRI_API_V1);
	fx_free(f);
}
END_TEST

START_TEST(test_cri_image_status_missing)
{
	fixture *f = fx_new(KUBE_CRI_API_AUTO);
	f->s.resp.n = 0;   /* ImageStatusResponse{} : no image */
	kube_cri_image_status *s = (void *)1;
	ck_assert_int_eq(kube_cri_image_status_sync(&s, f->c, "docker.io/library/gone:1", 0),
	                 KUBE_ENOTFOUND);
	ck_assert_ptr_null(s);
	ck_assert_str_eq(errmsg(), "ImageStatus: image \"docker.io/library/gone:1\" not found");
	/* ImageStatusRequest{image: {image}, verbose} */
	ASSERT_STR(field(field(req_of(f, 0), 1), 1), "docker.io/library/gone:1");
	ck_assert_int_eq(field(req_of(f, 0), 2).found, 0);   /* false: not sent */
	fx_free(f);
}
END_TEST

/* ==================== requests on the wire ==================== */

START_TEST(test_cri_request_run_pod_sandbox)
{
	fixture *f = fx_new(KUBE_CRI_API_AUTO);
	w_str(&f->s.resp, 1, "sandbox-1");
	kube_cri_kv labels[] = { { "app", "web" }, { "tier", "front" } };
	kube_cri_kv sysctls[] = { { "net.core.somaxconn", "1024" } };
	kube_cri_port_mapping ports[] = { { KUBE_CRI_PROTOCOL_UDP, 53, 5353, "127.0.0.1" } };
	char *servers[] = { "10.0.0.10" };
	kube_cri_dns_config dns = { .servers = servers, .n_servers = 1 };
	kube_cri_security_profile seccomp = { KUBE_CRI_PROFILE_LOCALHOST, "profiles/a.json" };
	kube_cri_sandbox_config sb = { .struct_size = sizeof(sb) };
	sb.metadata.name = "web-0";
	sb.metadata.uid = "u-1";
	sb.metadata.ns = "prod";
	sb.metadata.attempt = 2;
	sb.log_directory = "/var/log/pods/x";
	sb.dns_config = &dns;
	sb.port_mappings = ports;
	sb.n_port_mappings = 1;
	sb.labels = labels;
	sb.n_labels = 2;
	sb.linux_cgroup_parent = "/kubepods";
	sb.linux_sysctls = sysctls;
	sb.n_linux_sysctls = 1;
	sb.linux_namespaces.network = KUBE_CRI_NAMESPACE_NODE;
	sb.linux_namespaces.pid = KUBE_CRI_NAMESPACE_CONTAINER;
	sb.linux_run_as_user.set = 1;
	sb.linux_run_as_user.value = 1000;
	sb.linux_privileged = 1;
	sb.linux_seccomp = &seccomp;
	char *id = NULL;
	ck_assert_int_eq(kube_cri_run_pod_sandbox_sync(&id, f->c, &sb, "runc"), 0);
	ck_assert_str_eq(id, "sandbox-1");
	kube_free(id);
	ck_assert_str_eq(f->s.methods[0], "/runtime.v1.RuntimeService/RunPodSandbox");
	ck_assert_uint_eq(f->s.timeouts[0], 5000);

	pbv req = req_of(f, 0);
	ASSERT_STR(field(req, 2), "runc");                      /* runtime_handler = 2 */
	pbv cfg = field(req, 1);                                /* config = 1 */
	pbv md = field(cfg, 1);                                 /* metadata = 1 */
	ASSERT_STR(field(md, 1), "web-0");
	ASSERT_STR(field(md, 2), "u-1");
	ASSERT_STR(field(md, 3), "prod");
	ASSERT_VARINT(field(md, 4), 2);
	ck_assert_int_eq(field(cfg, 2).found, 0);               /* no hostname */
	ASSERT_STR(field(cfg, 3), "/var/log/pods/x");           /* log_directory = 3 */
	ASSERT_STR(field(field(cfg, 4), 1), "10.0.0.10");       /* dns_config.servers */
	pbv pm = field(cfg, 5);                                 /* port_mappings = 5 */
	ASSERT_VARINT(field(pm, 1), KUBE_CRI_PROTOCOL_UDP);
	ASSERT_VARINT(field(pm, 2), 53);
	ASSERT_VARINT(field(pm, 3), 5353);
	ASSERT_STR(field(pm, 4), "127.0.0.1");
	ck_assert_int_eq(count_field(cfg, 6), 2);               /* labels = 6, in order */
	pbv l0 = field_n(cfg.p, cfg.len, 6, 0), l1 = field_n(cfg.p, cfg.len, 6, 1);
	ASSERT_STR(field(l0, 1), "app");
	ASSERT_STR(field(l0, 2), "web");
	ASSERT_STR(field(l1, 1), "tier");
	ASSERT_STR(field(l1, 2), "front");
	pbv lx = field(cfg, 8);                                 /* linux = 8 */
	ASSERT_STR(field(lx, 1), "/kubepods");                  /* cgroup_parent */
	ASSERT_STR(field(field(lx, 3), 1), "net.core.somaxconn");   /* sysctls = 3 */
	ASSERT_STR(field(field(lx, 3), 2), "1024");
	pbv sc = field(lx, 2);                                  /* security_context = 2 */
	pbv ns = field(sc, 1);                                  /* namespace_options = 1 */
	ASSERT_VARINT(field(ns, 1), KUBE_CRI_NAMESPACE_NODE);
	ASSERT_VARINT(field(ns, 2), KUBE_CRI_NAMESPACE_CONTAINER);
	ck_assert_int_eq(field(ns, 3).found, 0);                /* POD = 0: not sent */
	ASSERT_VARINT(field(field(sc, 3), 1), 1000);            /* run_as_user = 3 */
	ck_assert_int_eq(field(sc, 8).found, 0);                /* run_as_group unset */
	ASSERT_VARINT(field(sc, 6), 1);                         /* privileged = 6 */
	ASSERT_VARINT(field(field(sc, 9), 1), KUBE_CRI_PROFILE_LOCALHOST);   /* seccomp = 9 */
	ASSERT_STR(field(field(sc, 9), 2), "profiles/a.json");
	fx_free(f);
}
END_TEST

START_TEST(test_cri_request_create_container)
{
	fixture *f = fx_new(KUBE_CRI_API_AUTO);
	w_str(&f->s.resp, 1, "ctr-1");
	char *cmd[] = { "/bin/sh", "-c", "echo hi" };
	char *args[] = { "x" };
	kube_cri_kv envs[] = { { "A", "1" }, { "B", "" } };
	kube_cri_mount mounts[] = { { "/data", "/srv/data", 1, 0,
	                              KUBE_CRI_PROPAGATION_HOST_TO_CONTAINER } };
	kube_cri_device devs[] = { { "/dev/fuse", "/dev/fuse", "rwm" } };
	char *drop[] = { "ALL" };
	kube_cri_linux_resources res = { .struct_size = sizeof(res) };
	res.cpu_shares = 256;
	res.memory_limit_in_bytes = 1 << 20;
	kube_cri_container_config cc = { .struct_size = sizeof(cc) };
	cc.metadata.name = "app";
	cc.metadata.attempt = 1;
	cc.image = "docker.io/library/busybox:1";
	cc.command = cmd;
	cc.n_command = 3;
	cc.args = args;
	cc.n_args = 1;
	cc.working_dir = "/w";
	cc.envs = envs;
	cc.n_envs = 2;
	cc.mounts = mounts;
	cc.n_mounts = 1;
	cc.devices = devs;
	cc.n_devices = 1;
	cc.log_path = "app/1.log";
	cc.tty = 1;
	cc.linux_resources = &res;
	cc.linux_drop_capabilities = drop;
	cc.n_linux_drop_capabilities = 1;
	cc.linux_no_new_privs = 1;
	cc.linux_run_as_group.set = 1;
	cc.linux_run_as_group.value = 0;
	kube_cri_sandbox_config sb = { .struct_size = sizeof(sb) };
	sb.metadata.name = "pod";
	char *id = NULL;
	ck_assert_int_eq(kube_cri_create_container_sync(&id, f->c, "sb-1", &cc, &sb), 0);
	ck_assert_str_eq(id, "ctr-1");
	kube_free(id);
	ck_assert_str_eq(f->s.methods[0], "/runtime.v1.RuntimeService/CreateContainer");
	pbv req = req_of(f, 0);
	ASSERT_STR(field(req, 1), "sb-1");                      /* pod_sandbox_id = 1 */
	ASSERT_STR(field(field(field(req, 3), 1), 1), "pod");   /* sandbox_config = 3 */
	pbv c = field(req, 2);                                  /* config = 2 */
	ASSERT_STR(field(field(c, 1), 1), "app");
	ASSERT_VARINT(field(field(c, 1), 2), 1);
	ASSERT_STR(field(field(c, 2), 1), "docker.io/library/busybox:1");
	ck_assert_int_eq(count_field(c, 3), 3);                 /* command = 3 */
	ASSERT_STR(field_n(c.p, c.len, 3, 2), "echo hi");
	ASSERT_STR(field(c, 4), "x");                           /* args = 4 */
	ASSERT_STR(field(c, 5), "/w");                          /* working_dir = 5 */
	ck_assert_int_eq(count_field(c, 6), 2);                 /* envs = 6 */
	pbv e1 = field_n(c.p, c.len, 6, 1);
	ASSERT_STR(field(e1, 1), "B");
	ck_assert_int_eq(field(e1, 2).found, 0);                /* "" is not sent */
	pbv mt = field(c, 7);                                   /* mounts = 7 */
	ASSERT_STR(field(mt, 1), "/data");
	ASSERT_STR(field(mt, 2), "/srv/data");
	ASSERT_VARINT(field(mt, 3), 1);
	ASSERT_VARINT(field(mt, 5), KUBE_CRI_PROPAGATION_HOST_TO_CONTAINER);
	ASSERT_STR(field(field(c, 8), 3), "rwm");               /* devices = 8 */
	ASSERT_STR(field(c, 11), "app/1.log");                  /* log_path = 11 */
	ASSERT_VARINT(field(c, 14), 1);                         /* tty = 14 */
	pbv lx = field(c, 15);                                  /* linux = 15 */
	ASSERT_VARINT(field(field(lx, 1), 3), 256);             /* resources.cpu_shares = 3 */
	ASSERT_VARINT(field(field(lx, 1), 4), 1 << 20);         /* memory_limit_in_bytes = 4 */
	pbv sc = field(lx, 2);
	ASSERT_STR(field(field(sc, 1), 2), "ALL");              /* capabilities.drop = 2 */
	ASSERT_VARINT(field(sc, 11), 1);                        /* no_new_privs = 11 */
	pbv grp = field(sc, 12);                                /* run_as_group = 12, set to 0 */
	ck_assert(grp.found);
	ck_assert_uint_eq(grp.len, 0);
	fx_free(f);
}
END_TEST

static int done_count;
static int done_status[8];
static void cb_done(int status, void *ud)
{
	(void)ud;
	done_status[done_count++] = status;
}

START_TEST(test_cri_request_small_calls)
{
	fixture *f = fx_new(KUBE_CRI_API_AUTO);
	kube_cri_client *c = f->c;
	done_count = 0;
	/* the id-only and id+flag requests, through the async form, in order */
	ck_assert_int_eq(kube_cri_stop_pod_sandbox_async(c, "s1", cb_done, NULL), 0);
	ck_assert_int_eq(kube_cri_remove_pod_sandbox_async(c, "s2", cb_done, NULL), 0);
	ck_assert_int_eq(kube_cri_start_container_async(c, "c1", cb_done, NULL), 0);
	ck_assert_int_eq(kube_cri_stop_container_async(c, "c2", 30, cb_done, NULL), 0);
	ck_assert_int_eq(kube_cri_remove_container_async(c, "c3", cb_done, NULL), 0);
	ck_assert_int_eq(kube_cri_reopen_container_log_async(c, "c4", cb_done, NULL), 0);
	ck_assert_int_eq(kube_cri_remove_image_async(c, "img", cb_done, NULL), 0);
	/* never from inside the call */
	ck_assert_int_eq(done_count, 0);
	while (done_count < 7)
		ck_assert_int_eq(kube_loop_run_once(f->loop, 0), 0);
	for (int i = 0; i < 7; i++)
		ck_assert_int_eq(done_status[i], 0);
	static const char *const want[] = {
		"/runtime.v1.RuntimeService/StopPodSandbox", "/runtime.v1.RuntimeService/RemovePodSandbox",
		"/runtime.v1.RuntimeService/StartContainer", "/runtime.v1.RuntimeService/StopContainer",
		"/runtime.v1.RuntimeService/RemoveContainer",
		"/runtime.v1.RuntimeService/ReopenContainerLog", "/runtime.v1.ImageService/RemoveImage",
	};
	static const char *const ids[] = { "s1", "s2", "c1", "c2", "c3", "c4" };
	for (int i = 0; i < 7; i++)
		ck_assert_str_eq(f->s.methods[i], want[i]);
	for (int i = 0; i < 6; i++)
		ASSERT_STR(field(req_of(f, i), 1), ids[i]);
	ASSERT_VARINT(field(req_of(f, 3), 2), 30);              /* StopContainer.timeout = 2 */
	ck_assert_uint_eq(f->s.timeouts[3], 5000 + 30000);      /* deadline stretched */
	ck_assert_uint_eq(f->s.timeouts[2], 5000);
	ASSERT_STR(field(field(req_of(f, 6), 1), 1), "img");
	fx_free(f);
}
END_TEST

START_TEST(test_cri_request_filters_and_more)
{
	fixture *f = fx_new(KUBE_CRI_API_AUTO);
	kube_cri_client *c = f->c;
	kube_cri_kv sel[] = { { "app", "web" } };

	kube_cri_sandbox_filter sf = { .struct_size = sizeof(sf) };
	sf.id = "s1";
	sf.has_state = 1;
	sf.state = KUBE_CRI_SANDBOX_NOTREADY;
	sf.label_selector = sel;
	sf.n_label_selector = 1;
	kube_cri_sandbox_list *sl = NULL;
	ck_assert_int_eq(kube_cri_list_pod_sandbox_sync(&sl, c, &sf), 0);
	ck_assert_uint_eq(sl->n_items, 0);
	kube_cri_sandbox_list_free(sl);
	pbv flt = field(req_of(f, 0), 1);
	ASSERT_STR(field(flt, 1), "s1");
	ASSERT_VARINT(field(field(flt, 2), 1), KUBE_CRI_SANDBOX_NOTREADY);
	ASSERT_STR(field(field(flt, 3), 1), "app");

	kube_cri_container_filter cf = { .struct_size = sizeof(cf) };
	cf.has_state = 1;
	cf.state = KUBE_CRI_CONTAINER_CREATED;   /* 0, still sent inside the wrapper */
	cf.pod_sandbox_id = "s1";
	cf.label_selector = sel;
	cf.n_label_selector = 1;
	kube_cri_container_list *cl = NULL;
	ck_assert_int_eq(kube_cri_list_containers_sync(&cl, c, &cf), 0);
	kube_cri_container_list_free(cl);
	flt = field(req_of(f, 1), 1);
	ck_assert(field(flt, 2).found);
	ck_assert_uint_eq(field(flt, 2).len, 0);
	ASSERT_STR(field(flt, 3), "s1");
	ASSERT_STR(field(field(flt, 4), 2), "web");
	/* no filter at all */
	ck_assert_int_eq(kube_cri_list_containers_sync(&cl, c, NULL), 0);
	kube_cri_container_list_free(cl);
	ck_assert_uint_eq(f->s.req_lens[2], 0);

	kube_cri_container_stats_filter stf = { .struct_size = sizeof(stf) };
	stf.id = "c1";
	stf.pod_sandbox_id = "s1";
	kube_cri_container_stats_list *st = NULL;
	ck_assert_int_eq(kube_cri_list_container_stats_sync(&st, c, &stf), 0);
	ck_assert_uint_eq(st->n_items, 0);
	kube_cri_container_stats_list_free(st);
	ck_assert_str_eq(f->s.methods[3], "/runtime.v1.RuntimeService/ListContainerStats");
	ASSERT_STR(field(field(req_of(f, 3), 1), 1), "c1");
	ASSERT_STR(field(field(req_of(f, 3), 1), 2), "s1");

	kube_cri_linux_resources res = { .struct_size = sizeof(res) };
	res.cpu_quota = 50000;
	res.cpuset_cpus = "0-1";
	kube_cri_kv unified[] = { { "memory.high", "max" } };
	res.unified = unified;
	res.n_unified = 1;
	ck_assert_int_eq(kube_cri_update_container_resources_sync(c, "c1", &res), 0);
	ck_assert_str_eq(f->s.methods[4], "/runtime.v1.RuntimeService/UpdateContainerResources");
	pbv lx = field(req_of(f, 4), 2);
	ASSERT_STR(field(req_of(f, 4), 1), "c1");
	ASSERT_VARINT(field(lx, 2), 50000);
	ASSERT_STR(field(lx, 6), "0-1");
	ASSERT_STR(field(field(lx, 9), 1), "memory.high");

	const char *cmd[] = { "cat", "/etc/hostname" };
	kube_cri_exec_result *er = NULL;
	ck_assert_int_eq(kube_cri_exec_sync_sync(&er, c, "c1", cmd, 2, 3), 0);
	ck_assert_uint_eq(er->out_len, 0);
	ck_assert_str_eq((char *)er->out, "");
	kube_cri_exec_result_free(er);
	pbv ex = req_of(f, 5);
	ASSERT_STR(field(ex, 1), "c1");
	ASSERT_STR(field_n(ex.p, ex.len, 2, 0), "cat");
	ASSERT_STR(field_n(ex.p, ex.len, 2, 1), "/etc/hostname");
	ASSERT_VARINT(field(ex, 3), 3);
	ck_assert_uint_eq(f->s.timeouts[5], 8000);

	kube_cri_auth_config auth = { .struct_size = sizeof(auth) };
	auth.username = "u";
	auth.password = "p";
	auth.server_address = "reg:5000";
	w_str(&f->s.resp, 1, "sha256:abc");
	char *ref = NULL;
	ck_assert_int_eq(kube_cri_pull_image_sync(&ref, c, "reg:5000/a:1", &auth, NULL), 0);
	ck_assert_str_eq(ref, "sha256:abc");
	kube_free(ref);
	ck_assert_uint_eq(f->s.timeouts[6], 60000);             /* the pull deadline */
	pbv pr = req_of(f, 6);
	ASSERT_STR(field(field(pr, 1), 1), "reg:5000/a:1");
	ASSERT_STR(field(field(pr, 2), 1), "u");
	ASSERT_STR(field(field(pr, 2), 2), "p");
	ASSERT_STR(field(field(pr, 2), 4), "reg:5000");
	ck_assert_int_eq(field(pr, 3).found, 0);

	f->s.resp.n = 0;
	kube_cri_image_list *il = NULL;
	ck_assert_int_eq(kube_cri_list_images_sync(&il, c, "docker.io/library/a:1"), 0);
	kube_cri_image_list_free(il);
	ASSERT_STR(field(field(field(req_of(f, 7), 1), 1), 1), "docker.io/library/a:1");
	ck_assert_int_eq(kube_cri_list_images_sync(&il, c, ""), 0);
	kube_cri_image_list_free(il);
	ck_assert_uint_eq(f->s.req_lens[8], 0);

	kube_cri_runtime_status *rs = NULL;
	ck_assert_int_eq(kube_cri_status_sync(&rs, c, 1), 0);
	kube_cri_runtime_status_free(rs);
	ASSERT_VARINT(field(req_of(f, 9), 1), 1);
	kube_cri_sandbox_status *ss = NULL;
	ck_assert_int_eq(kube_cri_pod_sandbox_status_sync(&ss, c, "s1", 1), 0);
	ASSERT_STR(field(req_of(f, 10), 1), "s1");
	ASSERT_VARINT(field(req_of(f, 10), 2), 1);
	kube_cri_sandbox_status_free(ss);
	fx_free(f);
}
END_TEST

/* ==================== responses into structs ==================== */

START_TEST(test_cri_response_status)
{
	fixture *f = fx_new(KUBE_CRI_API_AUTO);
	pbw st = { .n = 0 }, c1 = { .n = 0 }, c2 = { .n = 0 };
	w_str(&c1, 1, "RuntimeReady");
	w_uint(&c1, 2, 1);
	w_str(&c2, 1, "NetworkReady");
	w_str(&c2, 3, "NetworkPluginNotReady");
	w_str(&c2, 4, "cni config not initialized");
	w_msg(&st, 1, &c1);
	w_msg(&st, 1, &c2);
	w_msg(&f->s.resp, 1, &st);
	w_kv(&f->s.resp, 2, "config", "{}");
	kube_cri_runtime_status *s = NULL;
	ck_assert_int_eq(kube_cri_status_sync(&s, f->c, 0), 0);
	ck_assert_uint_eq(s->struct_size, sizeof(*s));
	ck_assert_uint_eq(s->n_conditions, 2);
	ck_assert_str_eq(s->conditions[0].type, "RuntimeReady");
	ck_assert_int_eq(s->conditions[0].status, 1);
	ck_assert_str_eq(s->conditions[0].reason, "");
	ck_assert_str_eq(s->conditions[1].type, "NetworkReady");
	ck_assert_int_eq(s->conditions[1].status, 0);
	ck_assert_str_eq(s->conditions[1].reason, "NetworkPluginNotReady");
	ck_assert_str_eq(s->conditions[1].message, "cni config not initialized");
	ck_assert_uint_eq(s->n_info, 1);
	ck_assert_str_eq(s->info[0].key, "config");
	ck_assert_str_eq(s->info[0].value, "{}");
	/* _clear empties it and keeps the size, for structs the caller owns */
	kube_cri_runtime_status_clear(s);
	ck_assert_uint_eq(s->struct_size, sizeof(*s));
	ck_assert_ptr_null(s->conditions);
	ck_assert_uint_eq(s->n_conditions, 0);
	kube_cri_runtime_status_free(s);
	fx_free(f);
}
END_TEST

START_TEST(test_cri_response_sandboxes)
{
	fixture *f = fx_new(KUBE_CRI_API_AUTO);
	pbw st = { .n = 0 }, md = { .n = 0 }, net = { .n = 0 }, ip = { .n = 0 };
	pbw lx = { .n = 0 }, nss = { .n = 0 }, opt = { .n = 0 };
	w_str(&md, 1, "web-0");
	w_str(&md, 2, "u1");
	w_str(&md, 3, "prod");
	w_uint(&md, 4, 3);
	w_str(&net, 1, "10.1.0.5");
	w_str(&ip, 1, "fd00::5");
	w_msg(&net, 2, &ip);
	w_uint(&opt, 1, KUBE_CRI_NAMESPACE_NODE);
	w_str(&opt, 4, "target");
	w_msg(&nss, 2, &opt);
	w_msg(&lx, 1, &nss);
	w_str(&st, 1, "sid");
	w_msg(&st, 2, &md);
	w_uint(&st, 3, KUBE_CRI_SANDBOX_NOTREADY);
	w_uint(&st, 4, 1700000000000000000ull);
	w_msg(&st, 5, &net);
	w_msg(&st, 6, &lx);
	w_kv(&st, 7, "l", "v");
	w_kv(&st, 8, "a", "b");
	w_str(&st, 9, "runc");
	w_msg(&f->s.resp, 1, &st);
	w_kv(&f->s.resp, 2, "info", "{\"pid\":1}");
	kube_cri_sandbox_status *s = NULL;
	ck_assert_int_eq(kube_cri_pod_sandbox_status_sync(&s, f->c, "sid", 1), 0);
	ck_assert_str_eq(s->id, "sid");
	ck_assert_str_eq(s->metadata.name, "web-0");
	ck_assert_str_eq(s->metadata.uid, "u1");
	ck_assert_str_eq(s->metadata.ns, "prod");
	ck_assert_uint_eq(s->metadata.attempt, 3);
	ck_assert_int_eq(s->state, KUBE_CRI_SANDBOX_NOTREADY);
	ck_assert_int_eq(s->created_at, 1700000000000000000ll);
	ck_assert_str_eq(s->network_ip, "10.1.0.5");
	ck_assert_uint_eq(s->n_network_additional_ips, 1);
	ck_assert_str_eq(s->network_additional_ips[0], "fd00::5");
	ck_assert_int_eq(s->linux_namespaces.network, KUBE_CRI_NAMESPACE_NODE);
	ck_assert_str_eq(s->linux_namespaces.target_id, "target");
	ck_assert_str_eq(s->labels[0].key, "l");
	ck_assert_str_eq(s->annotations[0].value, "b");
	ck_assert_str_eq(s->runtime_handler, "runc");
	ck_assert_str_eq(s->info[0].value, "{\"pid\":1}");
	kube_cri_sandbox_status_free(s);

	/* the list: two items, the second almost empty */
	pbw item = { .n = 0 }, item2 = { .n = 0 };
	w_str(&item, 1, "s-a");
	w_msg(&item, 2, &md);
	w_uint(&item, 3, KUBE_CRI_SANDBOX_READY);
	w_uint(&item, 4, 5);
	w_kv(&item, 5, "k", "v");
	w_str(&item, 7, "kata");
	w_str(&item2, 1, "s-b");
	f->s.resp.n = 0;
	w_msg(&f->s.resp, 1, &item);
	w_msg(&f->s.resp, 1, &item2);
	kube_cri_sandbox_list *l = NULL;
	ck_assert_int_eq(kube_cri_list_pod_sandbox_sync(&l, f->c, NULL), 0);
	ck_assert_uint_eq(l->n_items, 2);
	ck_assert_str_eq(l->items[0].id, "s-a");
	ck_assert_str_eq(l->items[0].metadata.ns, "prod");
	ck_assert_int_eq(l->items[0].created_at, 5);
	ck_assert_str_eq(l->items[0].labels[0].key, "k");
	ck_assert_str_eq(l->items[0].runtime_handler, "kata");
	ck_assert_str_eq(l->items[1].id, "s-b");
	ck_assert_str_eq(l->items[1].metadata.name, "");   /* absent: "" */
	ck_assert_uint_eq(l->items[1].n_labels, 0);
	kube_cri_sandbox_list_clear(l);
	ck_assert_uint_eq(l->n_items, 0);
	kube_cri_sandbox_list_free(l);
	fx_free(f);
}
END_TEST

START_TEST(test_cri_response_containers)
{
	fixture *f = fx_new(KUBE_CRI_API_AUTO);
	pbw md = { .n = 0 }, img = { .n = 0 }, mt = { .n = 0 }, res = { .n = 0 };
	pbw lres = { .n = 0 }, hp = { .n = 0 }, st = { .n = 0 };
	w_str(&md, 1, "app");
	w_uint(&md, 2, 4);
	w_str(&img, 1, "docker.io/library/busybox:1");
	w_str(&mt, 1, "/data");
	w_str(&mt, 2, "/srv");
	w_uint(&mt, 3, 1);
	w_uint(&mt, 5, KUBE_CRI_PROPAGATION_BIDIRECTIONAL);
	w_str(&hp, 1, "2Mi");
	w_uint(&hp, 2, 4194304);
	w_uint(&lres, 3, 512);
	w_uint(&lres, 5, (uint64_t)-997);                      /* negative int64 */
	w_msg(&lres, 8, &hp);
	w_msg(&res, 1, &lres);
	w_str(&st, 1, "cid");
	w_msg(&st, 2, &md);
	w_uint(&st, 3, KUBE_CRI_CONTAINER_EXITED);
	w_uint(&st, 4, 10);
	w_uint(&st, 5, 20);
	w_uint(&st, 6, 30);
	w_uint(&st, 7, (uint64_t)(int64_t)-1);                 /* int32 -1, sign-extended */
	w_msg(&st, 8, &img);
	w_str(&st, 9, "sha256:ff");
	w_str(&st, 10, "Error");
	w_str(&st, 11, "oops");
	w_kv(&st, 12, "l", "1");
	w_kv(&st, 13, "a", "2");
	w_msg(&st, 14, &mt);
	w_str(&st, 15, "/var/log/x.log");
	w_msg(&st, 16, &res);
	w_msg(&f->s.resp, 1, &st);
	kube_cri_container_status *s = NULL;
	ck_assert_int_eq(kube_cri_container_status_sync(&s, f->c, "cid", 0), 0);
	ck_assert_str_eq(s->id, "cid");
	ck_assert_str_eq(s->metadata.name, "app");
	ck_assert_uint_eq(s->metadata.attempt, 4);
	ck_assert_int_eq(s->state, KUBE_CRI_CONTAINER_EXITED);
	ck_assert_int_eq(s->created_at, 10);
	ck_assert_int_eq(s->started_at, 20);
	ck_assert_int_eq(s->finished_at, 30);
	ck_assert_int_eq(s->exit_code, -1);
	ck_assert_str_eq(s->image, "docker.io/library/busybox:1");
	ck_assert_str_eq(s->image_ref, "sha256:ff");
	ck_assert_str_eq(s->reason, "Error");
	ck_assert_str_eq(s->message, "oops");
	ck_assert_str_eq(s->labels[0].value, "1");
	ck_assert_str_eq(s->annotations[0].key, "a");
	ck_assert_uint_eq(s->n_mounts, 1);
	ck_assert_str_eq(s->mounts[0].container_path, "/data");
	ck_assert_str_eq(s->mounts[0].host_path, "/srv");
	ck_assert_int_eq(s->mounts[0].readonly, 1);
	ck_assert_int_eq(s->mounts[0].propagation, KUBE_CRI_PROPAGATION_BIDIRECTIONAL);
	ck_assert_str_eq(s->log_path, "/var/log/x.log");
	ck_assert_ptr_nonnull(s->linux_resources);
	ck_assert_int_eq(s->linux_resources->cpu_shares, 512);
	ck_assert_int_eq(s->linux_resources->oom_score_adj, -997);
	ck_assert_uint_eq(s->linux_resources->n_hugepage_limits, 1);
	ck_assert_str_eq(s->linux_resources->hugepage_limits[0].page_size, "2Mi");
	ck_assert_uint_eq(s->linux_resources->hugepage_limits[0].limit, 4194304);
	kube_cri_container_status_clear(s);
	ck_assert_ptr_null(s->linux_resources);
	kube_cri_container_status_free(s);

	/* a status response without a status: zeros and "" */
	f->s.resp.n = 0;
	ck_assert_int_eq(kube_cri_container_status_sync(&s, f->c, "cid", 0), 0);
	ck_assert_str_eq(s->id, "");
	ck_assert_str_eq(s->image, "");
	ck_assert_ptr_null(s->linux_resources);
	kube_cri_container_status_free(s);

	pbw c = { .n = 0 };
	w_str(&c, 1, "c1");
	w_str(&c, 2, "s1");
	w_msg(&c, 3, &md);
	w_msg(&c, 4, &img);
	w_str(&c, 5, "sha256:ee");
	w_uint(&c, 6, KUBE_CRI_CONTAINER_RUNNING);
	w_uint(&c, 7, 77);
	w_kv(&c, 8, "x", "y");
	f->s.resp.n = 0;
	w_msg(&f->s.resp, 1, &c);
	kube_cri_container_list *l = NULL;
	ck_assert_int_eq(kube_cri_list_containers_sync(&l, f->c, NULL), 0);
	ck_assert_uint_eq(l->n_items, 1);
	ck_assert_str_eq(l->items[0].id, "c1");
	ck_assert_str_eq(l->items[0].pod_sandbox_id, "s1");
	ck_assert_str_eq(l->items[0].metadata.name, "app");
	ck_assert_str_eq(l->items[0].image, "docker.io/library/busybox:1");
	ck_assert_str_eq(l->items[0].image_ref, "sha256:ee");
	ck_assert_int_eq(l->items[0].state, KUBE_CRI_CONTAINER_RUNNING);
	ck_assert_int_eq(l->items[0].created_at, 77);
	ck_assert_str_eq(l->items[0].labels[0].key, "x");
	kube_cri_container_list_clear(l);
	kube_cri_container_list_free(l);
	fx_free(f);
}
END_TEST

START_TEST(test_cri_response_exec)
{
	fixture *f = fx_new(KUBE_CRI_API_AUTO);
	static const uint8_t bin[] = { 'a', 0, 'b', 0xff };
	w_bytes(&f->s.resp, 1, bin, sizeof(bin));
	w_str(&f->s.resp, 2, "warn\n");
	w_uint(&f->s.resp, 3, 2);
	const char *cmd[] = { "x" };
	kube_cri_exec_result *r = NULL;
	ck_assert_int_eq(kube_cri_exec_sync_sync(&r, f->c, "c", cmd, 1, 0), 0);
	ck_assert_uint_eq(r->out_len, 4);
	ck_assert(memcmp(r->out, bin, 4) == 0);
	ck_assert_uint_eq(r->out[4], 0);                        /* a NUL after */
	ck_assert_str_eq((char *)r->err, "warn\n");
	ck_assert_int_eq(r->exit_code, 2);
	ck_assert_uint_eq(f->s.timeouts[0], 5000);              /* no runtime timeout */
	kube_cri_exec_result_clear(r);
	ck_assert_ptr_null(r->out);
	kube_cri_exec_result_free(r);
	fx_free(f);
}
END_TEST

START_TEST(test_cri_response_stats)
{
	fixture *f = fx_new(KUBE_CRI_API_AUTO);
	pbw at = { .n = 0 }, md = { .n = 0 }, cpu = { .n = 0 }, mem = { .n = 0 };
	pbw fs = { .n = 0 }, fsid = { .n = 0 }, stats = { .n = 0 };
	w_str(&md, 1, "app");
	w_str(&at, 1, "c1");
	w_msg(&at, 2, &md);
	w_kv(&at, 3, "l", "v");
	w_uint(&cpu, 1, 111);
	w_wrapped(&cpu, 2, 123456789);
	w_uint(&mem, 1, 222);
	w_wrapped(&mem, 2, 4096);
	w_wrapped(&mem, 7, 0);                                  /* set, and zero */
	w_str(&fsid, 1, "/var/lib/containerd");
	w_uint(&fs, 1, 333);
	w_msg(&fs, 2, &fsid);
	w_wrapped(&fs, 3, 8192);
	w_msg(&stats, 1, &at);
	w_msg(&stats, 2, &cpu);
	w_msg(&stats, 3, &mem);
	w_msg(&stats, 4, &fs);
	w_msg(&f->s.resp, 1, &stats);
	kube_cri_container_stats_list *l = NULL;
	ck_assert_int_eq(kube_cri_container_stats_sync(&l, f->c, "c1"), 0);
	ck_assert_str_eq(f->s.methods[0], "/runtime.v1.RuntimeService/ContainerStats");
	ck_assert_uint_eq(l->n_items, 1);
	kube_cri_container_stats *s = &l->items[0];
	ck_assert_str_eq(s->id, "c1");
	ck_assert_str_eq(s->metadata.name, "app");
	ck_assert_str_eq(s->labels[0].key, "l");
	ck_assert_int_eq(s->has_cpu, 1);
	ck_assert_int_eq(s->cpu.timestamp, 111);
	ck_assert_int_eq(s->cpu.usage_core_nano_seconds.set, 1);
	ck_assert_uint_eq(s->cpu.usage_core_nano_seconds.value, 123456789);
	ck_assert_int_eq(s->cpu.usage_nano_cores.set, 0);
	ck_assert_int_eq(s->has_memory, 1);
	ck_assert_uint_eq(s->memory.working_set_bytes.value, 4096);
	ck_assert_int_eq(s->memory.major_page_faults.set, 1);
	ck_assert_uint_eq(s->memory.major_page_faults.value, 0);
	ck_assert_int_eq(s->memory.rss_bytes.set, 0);
	ck_assert_int_eq(s->has_writable_layer, 1);
	ck_assert_str_eq(s->writable_layer.mountpoint, "/var/lib/containerd");
	ck_assert_uint_eq(s->writable_layer.used_bytes.value, 8192);
	kube_cri_container_stats_list_free(l);

	/* a stats response without stats: an empty list */
	f->s.resp.n = 0;
	ck_assert_int_eq(kube_cri_container_stats_sync(&l, f->c, "c1"), 0);
	ck_assert_uint_eq(l->n_items, 0);
	kube_cri_container_stats_list_clear(l);
	kube_cri_container_stats_list_free(l);

	/* ListContainerStats: stats = 1, repeated */
	f->s.resp.n = 0;
	w_msg(&f->s.resp, 1, &stats);
	w_msg(&f->s.resp, 1, &stats);
	ck_assert_int_eq(kube_cri_list_container_stats_sync(&l, f->c, NULL), 0);
	ck_assert_uint_eq(l->n_items, 2);
	ck_assert_str_eq(l->items[1].id, "c1");
	kube_cri_container_stats_list_free(l);
	ck_assert_uint_eq(f->s.req_lens[2], 0);
	fx_free(f);
}
END_TEST

START_TEST(test_cri_response_images)
{
	fixture *f = fx_new(KUBE_CRI_API_AUTO);
	pbw im = { .n = 0 }, spec = { .n = 0 };
	w_str(&im, 1, "sha256:cafe");
	w_str(&im, 2, "docker.io/library/a:1");
	w_str(&im, 2, "docker.io/library/a:latest");
	w_str(&im, 3, "docker.io/library/a@sha256:beef");
	w_uint(&im, 4, 1234567);
	w_wrapped(&im, 5, 0);                                   /* uid 0, set */
	w_str(&spec, 1, "docker.io/library/a:1");
	w_msg(&im, 7, &spec);
	w_uint(&im, 8, 1);
	w_msg(&f->s.resp, 1, &im);
	kube_cri_image_list *l = NULL;
	ck_assert_int_eq(kube_cri_list_images_sync(&l, f->c, NULL), 0);
	ck_assert_uint_eq(l->n_items, 1);
	kube_cri_image *i0 = &l->items[0];
	ck_assert_str_eq(i0->id, "sha256:cafe");
	ck_assert_uint_eq(i0->n_repo_tags, 2);
	ck_assert_str_eq(i0->repo_tags[1], "docker.io/library/a:latest");
	ck_assert_uint_eq(i0->n_repo_digests, 1);
	ck_assert_str_eq(i0->repo_digests[0], "docker.io/library/a@sha256:beef");
	ck_assert_uint_eq(i0->size, 1234567);
	ck_assert_int_eq(i0->uid.set, 1);
	ck_assert_int_eq(i0->uid.value, 0);
	ck_assert_str_eq(i0->username, "");
	ck_assert_str_eq(i0->spec_image, "docker.io/library/a:1");
	ck_assert_int_eq(i0->pinned, 1);
	kube_cri_image_list_clear(l);
	kube_cri_image_list_free(l);

	f->s.resp.n = 0;
	w_msg(&f->s.resp, 1, &im);
	w_kv(&f->s.resp, 2, "info", "{}");
	kube_cri_image_status *s = NULL;
	ck_assert_int_eq(kube_cri_image_status_sync(&s, f->c, "docker.io/library/a:1", 1), 0);
	ck_assert_str_eq(s->image.id, "sha256:cafe");
	ck_assert_str_eq(s->info[0].key, "info");
	ASSERT_VARINT(field(req_of(f, 1), 2), 1);               /* verbose = 2 */
	kube_cri_image_status_clear(s);
	ck_assert_ptr_null(s->image.id);
	kube_cri_image_status_free(s);

	pbw fs = { .n = 0 }, fsid = { .n = 0 };
	w_uint(&fs, 1, 9);
	w_str(&fsid, 1, "/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs");
	w_msg(&fs, 2, &fsid);
	w_wrapped(&fs, 3, 100);
	w_wrapped(&fs, 4, 7);
	f->s.resp.n = 0;
	w_msg(&f->s.resp, 1, &fs);
	kube_cri_fs_info *fi = NULL;
	ck_assert_int_eq(kube_cri_image_fs_info_sync(&fi, f->c), 0);
	ck_assert_uint_eq(fi->n_image_filesystems, 1);
	ck_assert_int_eq(fi->image_filesystems[0].timestamp, 9);
	ck_assert_str_eq(fi->image_filesystems[0].mountpoint,
	                 "/var/lib/containerd/io.containerd.snapshotter.v1.overlayfs");
	ck_assert_uint_eq(fi->image_filesystems[0].used_bytes.value, 100);
	ck_assert_uint_eq(fi->image_filesystems[0].inodes_used.value, 7);
	ck_assert_uint_eq(f->s.req_lens[2], 0);
	kube_cri_fs_info_clear(fi);
	kube_cri_fs_info_free(fi);
	fx_free(f);
}
END_TEST

START_TEST(test_cri_response_version_clear)
{
	fixture *f = fx_new(KUBE_CRI_API_AUTO);
	version_response(&f->s.resp, "v1");
	kube_cri_version *v = NULL;
	ck_assert_int_eq(kube_cri_version_sync(&v, f->c), 0);
	ck_assert_uint_eq(v->struct_size, sizeof(*v));
	ck_assert_str_eq(v->version, "0.1.0");
	ck_assert_str_eq(v->runtime_version, "1.6.20");
	kube_cri_version_clear(v);
	ck_assert_uint_eq(v->struct_size, sizeof(*v));
	ck_assert_ptr_null(v->runtime_name);
	kube_cri_version_free(v);
	/* NULL is a no-op everywhere */
	kube_cri_version_free(NULL);
	kube_cri_version_clear(NULL);
	kube_cri_runtime_status_free(NULL);
	kube_cri_runtime_status_clear(NULL);
	kube_cri_sandbox_status_free(NULL);
	kube_cri_sandbox_status_clear(NULL);
	kube_cri_sandbox_list_free(NULL);
	kube_cri_sandbox_list_clear(NULL);
	kube_cri_container_list_free(NULL);
	kube_cri_container_list_clear(NULL);
	kube_cri_container_status_free(NULL);
	kube_cri_container_status_clear(NULL);
	kube_cri_exec_result_free(NULL);
	kube_cri_exec_result_clear(NULL);
	kube_cri_container_stats_list_free(NULL);
	kube_cri_container_stats_list_clear(NULL);
	kube_cri_image_list_free(NULL);
	kube_cri_image_list_clear(NULL);
	kube_cri_image_status_free(NULL);
	kube_cri_image_status_clear(NULL);
	kube_cri_fs_info_free(NULL);
	kube_cri_fs_info_clear(NULL);
	fx_free(f);
}
END_TEST

/* ==================== the asynchronous form ==================== */

typedef struct seen {
	int order[32];
	int n;
	int status[32];
} seen;

typedef struct tag {
	seen *s;
	int id;
} tag;

static void note(tag *t, int status)
{
	t->s->status[t->s->n] = status;
	t->s->order[t->s->n++] = t->id;
}

static void a_version(int st, kube_cri_version *r, void *ud) { note(ud, st); kube_cri_version_free(r); }
static void a_status(int st, kube_cri_runtime_status *r, void *ud) { note(ud, st); kube_cri_runtime_status_free(r); }
static void a_str(int st, char *r, void *ud) { note(ud, st); kube_free(r); }
static void a_done(int st, void *ud) { note(ud, st); }
static void a_sbs(int st, kube_cri_sandbox_status *r, void *ud) { note(ud, st); kube_cri_sandbox_status_free(r); }
static void a_sbl(int st, kube_cri_sandbox_list *r, void *ud) { note(ud, st); kube_cri_sandbox_list_free(r); }
static void a_cl(int st, kube_cri_container_list *r, void *ud) { note(ud, st); kube_cri_container_list_free(r); }
static void a_cs(int st, kube_cri_container_status *r, void *ud) { note(ud, st); kube_cri_container_status_free(r); }
static void a_ex(int st, kube_cri_exec_result *r, void *ud) { note(ud, st); kube_cri_exec_result_free(r); }
static void a_stl(int st, kube_cri_container_stats_list *r, void *ud) { note(ud, st); kube_cri_container_stats_list_free(r); }
static void a_il(int st, kube_cri_image_list *r, void *ud) { note(ud, st); kube_cri_image_list_free(r); }
static void a_is(int st, kube_cri_image_status *r, void *ud) { note(ud, st); kube_cri_image_status_free(r); }
static void a_fs(int st, kube_cri_fs_info *r, void *ud) { note(ud, st); kube_cri_fs_info_free(r); }

/* Every async call at once on one client: each callback once, in order,
 * none inside its call.  The answer is an empty message, which decodes as
 * every response type (ImageStatus: not found). */
START_TEST(test_cri_async_all_calls)
{
	fixture *f = fx_new(KUBE_CRI_API_AUTO);
	kube_cri_client *c = f->c;
	seen s = { .n = 0 };
	tag t[23];
	for (int i = 0; i < 23; i++)
		t[i] = (tag){ &s, i };
	kube_cri_sandbox_config sb = { .struct_size = sizeof(sb) };
	kube_cri_container_config cc = { .struct_size = sizeof(cc) };
	kube_cri_linux_resources res = { .struct_size = sizeof(res) };
	const char *cmd[] = { "true" };
	int n = 0;
	ck_assert_int_eq(kube_cri_version_async(c, a_version, &t[n++]), 0);
	ck_assert_int_eq(kube_cri_status_async(c, 0, a_status, &t[n++]), 0);
	ck_assert_int_eq(kube_cri_run_pod_sandbox_async(c, &sb, NULL, a_str, &t[n++]), 0);
	ck_assert_int_eq(kube_cri_stop_pod_sandbox_async(c, "s", a_done, &t[n++]), 0);
	ck_assert_int_eq(kube_cri_remove_pod_sandbox_async(c, "s", a_done, &t[n++]), 0);
	ck_assert_int_eq(kube_cri_pod_sandbox_status_async(c, "s", 0, a_sbs, &t[n++]), 0);
	ck_assert_int_eq(kube_cri_list_pod_sandbox_async(c, NULL, a_sbl, &t[n++]), 0);
	ck_assert_int_eq(kube_cri_create_container_async(c, "s", &cc, &sb, a_str, &t[n++]), 0);
	ck_assert_int_eq(kube_cri_start_container_async(c, "c", a_done, &t[n++]), 0);
	ck_assert_int_eq(kube_cri_stop_container_async(c, "c", 0, a_done, &t[n++]), 0);
	ck_assert_int_eq(kube_cri_remove_container_async(c, "c", a_done, &t[n++]), 0);
	ck_assert_int_eq(kube_cri_list_containers_async(c, NULL, a_cl, &t[n++]), 0);
	ck_assert_int_eq(kube_cri_container_status_async(c, "c", 0, a_cs, &t[n++]), 0);
	ck_assert_int_eq(kube_cri_update_container_resources_async(c, "c", &res, a_done, &t[n++]), 0);
	ck_assert_int_eq(kube_cri_reopen_container_log_async(c, "c", a_done, &t[n++]), 0);
	ck_assert_int_eq(kube_cri_exec_sync_async(c, "c", cmd, 1, 0, a_ex, &t[n++]), 0);
	ck_assert_int_eq(kube_cri_container_stats_async(c, "c", a_stl, &t[n++]), 0);
	ck_assert_int_eq(kube_cri_list_container_stats_async(c, NULL, a_stl, &t[n++]), 0);
	ck_assert_int_eq(kube_cri_list_images_async(c, NULL, a_il, &t[n++]), 0);
	ck_assert_int_eq(kube_cri_image_status_async(c, "i", 0, a_is, &t[n++]), 0);
	ck_assert_int_eq(kube_cri_pull_image_async(c, "i", NULL, NULL, a_str, &t[n++]), 0);
	ck_assert_int_eq(kube_cri_remove_image_async(c, "i", a_done, &t[n++]), 0);
	ck_assert_int_eq(kube_cri_image_fs_info_async(c, a_fs, &t[n++]), 0);
	ck_assert_int_eq(n, 23);
	ck_assert_int_eq(s.n, 0);
	while (s.n < 23)
		ck_assert_int_eq(kube_loop_run_once(f->loop, 0), 0);
	for (int i = 0; i < 23; i++) {
		ck_assert_int_eq(s.order[i], i);
		ck_assert_int_eq(s.status[i], i == 19 ? KUBE_ENOTFOUND : 0);
	}
	static const char *const names[23] = {
		"Version", "Status", "RunPodSandbox", "StopPodSandbox", "RemovePodSandbox",
		"PodSandboxStatus", "ListPodSandbox", "CreateContainer", "StartContainer",
		"StopContainer", "RemoveContainer", "ListContainers", "ContainerStatus",
		"UpdateContainerResources", "ReopenContainerLog", "ExecSync", "ContainerStats",
		"ListContainerStats", "ListImages", "ImageStatus", "PullImage", "RemoveImage",
		"ImageFsInfo",
	};
	for (int i = 0; i < 23; i++) {
		char want[96];
		snprintf(want, sizeof(want), "/runtime.v1.%s/%s",
		         i >= 18 ? "ImageService" : "RuntimeService", names[i]);
		ck_assert_str_eq(f->s.methods[i], want);
	}
	fx_free(f);
}
END_TEST

/* Freeing the client ends what is open: callbacks run with KUBE_ECANCELED
 * before kube_cri_client_free returns, and no fallback is tried. */
START_TEST(test_cri_free_cancels_open_calls)
{
	fixture *f = fx_new(KUBE_CRI_API_AUTO);
	f->s.v1_code = KUBE_GRPC_UNIMPLEMENTED;
	seen s = { .n = 0 };
	tag t[2] = { { &s, 0 }, { &s, 1 } };
	ck_assert_int_eq(kube_cri_version_async(f->c, a_version, &t[0]), 0);
	ck_assert_int_eq(kube_cri_start_container_async(f->c, "c", a_done, &t[1]), 0);
	kube_cri_client_free(f->c);
	ck_assert_int_eq(s.n, 2);
	ck_assert_int_eq(s.status[0], KUBE_ECANCELED);
	ck_assert_int_eq(s.status[1], KUBE_ECANCELED);
	ck_assert_int_eq(f->s.n_calls, 2);
	ck_assert_int_eq(f->s.freed, 1);
	kube_loop_free(f->loop);
	free(f);
}
END_TEST

/* The decoder by itself: every call's response type on empty input. */
START_TEST(test_cri_decode_table)
{
	for (int call = 0; call < KUBE__CRI_NCALLS; call++) {
		const kube__cri_call_info *info = kube__cri_call(call);
		ck_assert_ptr_nonnull(info);
		void *r = (void *)1;
		int rc = kube__cri_decode(call, (const uint8_t *)"", 0, "img", &r);
		if (call == KUBE__CRI_IMAGE_STATUS) {
			ck_assert_int_eq(rc, KUBE_ENOTFOUND);
			ck_assert_ptr_null(r);
			continue;
		}
		ck_assert_int_eq(rc, 0);
		ck_assert_int_eq(r == NULL, info->result == KUBE__CRI_R_DONE);
		kube__cri_result_free(call, r);
	}
	ck_assert_ptr_null(kube__cri_call(KUBE__CRI_NCALLS));
	void *r = NULL;
	ck_assert_int_eq(kube__cri_decode(-1, NULL, 0, NULL, &r), KUBE_EINVAL);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("cri");
	TCase *tc = tcase_create("client");
	tcase_add_test(tc, test_cri_options_and_client);
	tcase_add_test(tc, test_cri_argument_checks);
	tcase_add_test(tc, test_cri_transport_refuses);
	tcase_add_test(tc, test_cri_real_transport_errors);
	tcase_add_test(tc, test_cri_fallback_v1alpha2);
	tcase_add_test(tc, test_cri_no_fallback_after_v1);
	tcase_add_test(tc, test_cri_pinned_v1_no_fallback);
	tcase_add_test(tc, test_cri_pinned_v1alpha2);
	tcase_add_test(tc, test_cri_both_unimplemented);
	tcase_add_test(tc, test_cri_error_codes);
	tcase_add_test(tc, test_cri_malformed_response);
	tcase_add_test(tc, test_cri_image_status_missing);
	tcase_add_test(tc, test_cri_request_run_pod_sandbox);
	tcase_add_test(tc, test_cri_request_create_container);
	tcase_add_test(tc, test_cri_request_small_calls);
	tcase_add_test(tc, test_cri_request_filters_and_more);
	tcase_add_test(tc, test_cri_response_status);
	tcase_add_test(tc, test_cri_response_sandboxes);
	tcase_add_test(tc, test_cri_response_containers);
	tcase_add_test(tc, test_cri_response_exec);
	tcase_add_test(tc, test_cri_response_stats);
	tcase_add_test(tc, test_cri_response_images);
	tcase_add_test(tc, test_cri_response_version_clear);
	tcase_add_test(tc, test_cri_async_all_calls);
	tcase_add_test(tc, test_cri_free_cancels_open_calls);
	tcase_add_test(tc, test_cri_decode_table);
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
