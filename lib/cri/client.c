/*
 * client.c - the CRI client: each public call packs its request
 * (convert.c), sends it as a unary gRPC call (lib/grpc) and turns the answer
 * into a result or a KUBE_E* code for the caller's callback.
 *
 * One call in flight is a `pending`: it owns the packed request until the
 * call ends, because the v1alpha2 fallback sends the same bytes again:
 *
 *   start ──▶ /runtime.v1.<Service>/<Call> ──OK──▶ decode ──▶ callback
 *                      │ UNIMPLEMENTED, and no v1 call has succeeded yet
 *                      ▼
 *             /runtime.v1alpha2.<Service>/<Call> ──▶ (the same)
 *
 * The first success fixes the API for the client's life (c->api): after a
 * v1 success an UNIMPLEMENTED is the runtime's real answer; after a
 * v1alpha2 success every call goes to v1alpha2 directly.
 *
 * The blocking (_sync) wrappers start the asynchronous call with a waiter as
 * userdata and run the loop one iteration at a time until it is done.  The
 * waiter keeps a copy of the error message, because other callbacks run by
 * the same iterations may raise errors of their own on this thread.
 */
#include <stdio.h>
#include <string.h>

#include "cri_internal.h"

#define DEFAULT_TIMEOUT_MS (2 * 60 * 1000ull)
#define DEFAULT_PULL_TIMEOUT_MS (30 * 60 * 1000ull)

struct kube_cri_client {
	kube_loop *loop;
	int own_loop;
	kube__cri_transport t;
	void *tctx;
	int api_mode;            /* the option: KUBE_CRI_API_* */
	int api;                 /* in use: AUTO until the first success */
	uint64_t timeout_ms;
	uint64_t pull_timeout_ms;
	int closing;
};

/* A callback of any of the public types; `result` of the call picks one. */
typedef union cri_cb {
	kube_cri_done_cb done;
	kube_cri_string_cb str;
	kube_cri_version_cb version;
	kube_cri_runtime_status_cb runtime_status;
	kube_cri_sandbox_status_cb sandbox_status;
	kube_cri_sandbox_list_cb sandbox_list;
	kube_cri_container_list_cb container_list;
	kube_cri_container_status_cb container_status;
	kube_cri_exec_result_cb exec;
	kube_cri_container_stats_list_cb stats_list;
	kube_cri_image_list_cb image_list;
	kube_cri_image_status_cb image_status;
	kube_cri_fs_info_cb fs_info;
} cri_cb;

typedef struct pending {
	kube_cri_client *c;
	int call;                /* enum kube__cri_call */
	int api;                 /* what this attempt speaks: V1 or V1ALPHA2 */
	uint8_t *req;
	size_t len;
	uint64_t timeout_ms;
	cri_cb cb;
	void *userdata;
	char *subject;           /* the image of ImageStatus, for its not-found message */
} pending;

/* ---- the default transport: lib/grpc ---- */

static int grpc_unary(void *ctx, const char *method, const uint8_t *req, size_t len,
                      uint64_t timeout_ms, kube__grpc_unary_cb cb, void *userdata)
{
	return kube__grpc_unary(ctx, method, req, len, timeout_ms, cb, userdata, NULL);
}

static void grpc_free(void *ctx)
{
	kube__grpc_channel_free(ctx);
}

static const kube__cri_transport grpc_transport = { grpc_unary, grpc_free };

/* ---- client ---- */

int kube_cri_options_init(kube_cri_options *opts, unsigned int version)
{
	KUBE_CHECK_ARG(opts);
	KUBE_CHECK_ARG(version == KUBE_CRI_OPTIONS_VERSION);
	kube_cri_options d = KUBE_CRI_OPTIONS_INIT;
	*opts = d;
	return 0;
}

int kube_cri_client_new(kube_cri_client **out, kube_loop *loop, const char *endpoint,
                        const kube_cri_options *opts)
{
	KUBE_CHECK_ARG(out);
	*out = NULL;
	KUBE_CHECK_ARG(endpoint && *endpoint);
	KUBE_CHECK_ARG(!opts || opts->version == KUBE_CRI_OPTIONS_VERSION);
	KUBE_CHECK_ARG(!opts || (opts->api >= KUBE_CRI_API_AUTO &&
	                         opts->api <= KUBE_CRI_API_V1ALPHA2));
	kube_cri_client *c = kube_calloc(1, sizeof(*c));
	if (!c)
		return kube__error_oom();
	c->api_mode = opts ? opts->api : KUBE_CRI_API_AUTO;
	c->api = c->api_mode;
	c->timeout_ms = opts && opts->timeout_ms ? opts->timeout_ms : DEFAULT_TIMEOUT_MS;
	c->pull_timeout_ms = opts && opts->pull_timeout_ms ? opts->pull_timeout_ms
	                                                   : DEFAULT_PULL_TIMEOUT_MS;
	int rc;
	if (!loop) {
		/* a private loop that only the _sync calls run: no workers needed */
		kube_loop_options lo = KUBE_LOOP_OPTIONS_INIT;
		lo.workers = 0;
		if ((rc = kube_loop_new(&loop, &lo)) != 0) {
			kube_free(c);
			return rc;
		}
		c->own_loop = 1;
	}
	c->loop = loop;

	/* a plain path is a unix socket, as crictl takes it */
	char *target = NULL;
	if (endpoint[0] == '/') {
		size_t n = strlen(endpoint) + sizeof("unix:");
		if ((target = kube_malloc(n)) != NULL)
			snprintf(target, n, "unix:%s", endpoint);
	} else {
		target = kube_strdup(endpoint);
	}
	if (!target) {
		rc = kube__error_oom();
		goto fail;
	}
	kube__grpc_options go = { 0 };
	go.max_recv_message = opts ? opts->max_recv_message : 0;
	kube__grpc_channel *ch = NULL;
	rc = kube__grpc_channel_new(&ch, loop, target, &go);
	kube_free(target);
	if (rc)
		goto fail;
	c->t = grpc_transport;
	c->tctx = ch;
	*out = c;
	return 0;
fail:
	if (c->own_loop)
		kube_loop_free(c->loop);
	kube_free(c);
	return rc;
}

void kube__cri_client_set_transport(kube_cri_client *c, const kube__cri_transport *t, void *ctx)
{
	if (c->t.free)
		c->t.free(c->tctx);
	c->t = *t;
	c->tctx = ctx;
}

void kube_cri_client_free(kube_cri_client *c)
{
	if (!c)
		return;
	/* calls still open end now, with CANCELLED: no fallback retries then */
	c->closing = 1;
	if (c->t.free)
		c->t.free(c->tctx);
	if (c->own_loop)
		kube_loop_free(c->loop);
	kube_free(c);
}

int kube_cri_client_api(const kube_cri_client *c)
{
	KUBE_CHECK_ARG(c);
	return c->api;
}

kube_loop *kube_cri_client_loop(const kube_cri_client *c)
{
	return c ? c->loop : NULL;
}

/* ---- one call ---- */

static void pending_free(pending *p)
{
	kube_free(p->req);
	kube_free(p->subject);
	kube_free(p);
}

static void deliver(pending *p, int rc, void *r)
{
	void *ud = p->userdata;
	switch (kube__cri_call(p->call)->result) {
	case KUBE__CRI_R_DONE: p->cb.done(rc, ud); break;
	case KUBE__CRI_R_STRING: p->cb.str(rc, r, ud); break;
	case KUBE__CRI_R_VERSION: p->cb.version(rc, r, ud); break;
	case KUBE__CRI_R_RUNTIME_STATUS: p->cb.runtime_status(rc, r, ud); break;
	case KUBE__CRI_R_SANDBOX_STATUS: p->cb.sandbox_status(rc, r, ud); break;
	case KUBE__CRI_R_SANDBOX_LIST: p->cb.sandbox_list(rc, r, ud); break;
	case KUBE__CRI_R_CONTAINER_LIST: p->cb.container_list(rc, r, ud); break;
	case KUBE__CRI_R_CONTAINER_STATUS: p->cb.container_status(rc, r, ud); break;
	case KUBE__CRI_R_EXEC: p->cb.exec(rc, r, ud); break;
	case KUBE__CRI_R_STATS_LIST: p->cb.stats_list(rc, r, ud); break;
	case KUBE__CRI_R_IMAGE_LIST: p->cb.image_list(rc, r, ud); break;
	case KUBE__CRI_R_IMAGE_STATUS: p->cb.image_status(rc, r, ud); break;
	case KUBE__CRI_R_FS_INFO: p->cb.fs_info(rc, r, ud); break;
	}
}

static void on_reply(const kube__grpc_status *status, const uint8_t *resp, size_t len,
                     void *userdata);

/* Sends p's request in p's API version.  0 or the transport's error,
 * prefixed with the call's name. */
static int send_pending(pending *p)
{
	const kube__cri_call_info *info = kube__cri_call(p->call);
	char method[96];
	snprintf(method, sizeof(method), "/runtime.%s.%s/%s",
	         p->api == KUBE_CRI_API_V1ALPHA2 ? "v1alpha2" : "v1",
	         info->image_service ? "ImageService" : "RuntimeService", info->name);
	int rc = p->c->t.unary(p->c->tctx, method, p->req, p->len, p->timeout_ms, on_reply, p);
	if (rc) {
		const kube_error *e = kube_error_last();
		char msg[512];
		snprintf(msg, sizeof(msg), "%s", e && e->message ? e->message : kube_strerror(rc));
		kube__error_set(rc, NULL, "%s: %s", info->name, msg);
	}
	return rc;
}

static void on_reply(const kube__grpc_status *status, const uint8_t *resp, size_t len,
                     void *userdata)
{
	pending *p = userdata;
	kube_cri_client *c = p->c;
	const kube__cri_call_info *info = kube__cri_call(p->call);
	int rc;
	void *r = NULL;
	if (status->code != KUBE_GRPC_OK) {
		if (status->code == KUBE_GRPC_UNIMPLEMENTED && p->api == KUBE_CRI_API_V1 &&
		    c->api == KUBE_CRI_API_AUTO && !c->closing) {
			KUBE_LOG(KUBE_LOG_DEBUG, "cri", "%s: v1 unimplemented, trying v1alpha2",
			         info->name);
			p->api = KUBE_CRI_API_V1ALPHA2;
			if ((rc = send_pending(p)) == 0)
				return;
			deliver(p, rc, NULL);
			pending_free(p);
			return;
		}
		rc = kube__grpc_code_to_kube(status->code);
		const char *msg = status->message ? status->message : "";
		if (*msg)
			kube__error_set(rc, NULL, "%s: %s: %s", info->name,
			                kube__grpc_code_name(status->code), msg);
		else
			kube__error_set(rc, NULL, "%s: %s", info->name,
			                kube__grpc_code_name(status->code));
	} else {
		if (c->api == KUBE_CRI_API_AUTO)
			c->api = p->api;
		rc = kube__cri_decode(p->call, resp, len, p->subject, &r);
	}
	deliver(p, rc, r);
	pending_free(p);
}

/*
 * Starts `call` with the packed request req/len (taken over in every case).
 * pack_rc is the packing's result, so callers can pass it straight in.
 */
static int start(kube_cri_client *c, int call, int pack_rc, uint8_t *req, size_t len,
                 uint64_t timeout_ms, cri_cb cb, void *userdata, const char *subject)
{
	if (pack_rc)
		return pack_rc;
	pending *p = kube_calloc(1, sizeof(*p));
	if (!p || (subject && !(p->subject = kube_strdup(subject)))) {
		kube_free(p);
		kube_free(req);
		return kube__error_oom();
	}
	p->c = c;
	p->call = call;
	p->api = c->api == KUBE_CRI_API_V1ALPHA2 ? KUBE_CRI_API_V1ALPHA2 : KUBE_CRI_API_V1;
	p->req = req;
	p->len = len;
	p->timeout_ms = timeout_ms;
	p->cb = cb;
	p->userdata = userdata;
	int rc = send_pending(p);
	if (rc)
		pending_free(p);
	return rc;
}

/* A deadline stretched by a runtime-side timeout in seconds. */
static uint64_t plus_seconds(uint64_t ms, int64_t s)
{
	if (s <= 0)
		return ms;
	if ((uint64_t)s > (UINT64_MAX - ms) / 1000)
		return 0;   /* no deadline rather than a wrapped one */
	return ms + (uint64_t)s * 1000;
}

#define CHECK_ID(id) KUBE_CHECK_ARG((id) && *(id))
/* a request struct whose size the caller set to at least the first version's */
#define CHECK_SIZED(p) KUBE_CHECK_ARG((p)->struct_size >= sizeof(*(p)))

/* ---- RuntimeService ---- */

int kube_cri_version_async(kube_cri_client *c, kube_cri_version_cb cb, void *ud)
{
	KUBE_CHECK_ARG(c && cb);
	uint8_t *req = NULL;
	size_t len = 0;
	/* the version of the CRI the caller speaks, as kubelet sends it */
	int rc = kube__cri_pack_version(&req, &len, "0.1.0");
	return start(c, KUBE__CRI_VERSION, rc, req, len, c->timeout_ms,
	             (cri_cb){ .version = cb }, ud, NULL);
}

int kube_cri_status_async(kube_cri_client *c, int verbose, kube_cri_runtime_status_cb cb,
                          void *ud)
{
	KUBE_CHECK_ARG(c && cb);
	uint8_t *req = NULL;
	size_t len = 0;
	int rc = kube__cri_pack_verbose(&req, &len, verbose);
	return start(c, KUBE__CRI_STATUS, rc, req, len, c->timeout_ms,
	             (cri_cb){ .runtime_status = cb }, ud, NULL);
}

int kube_cri_run_pod_sandbox_async(kube_cri_client *c, const kube_cri_sandbox_config *config,
                                   const char *runtime_handler, kube_cri_string_cb cb, void *ud)
{
	KUBE_CHECK_ARG(c && cb && config);
	CHECK_SIZED(config);
	uint8_t *req = NULL;
	size_t len = 0;
	int rc = kube__cri_pack_run_pod_sandbox(&req, &len, config, runtime_handler);
	return start(c, KUBE__CRI_RUN_POD_SANDBOX, rc, req, len, c->timeout_ms,
	             (cri_cb){ .str = cb }, ud, NULL);
}

/* The calls whose request is only an id. */
static int id_call(kube_cri_client *c, int call, const char *id, cri_cb cb, void *ud)
{
	uint8_t *req = NULL;
	size_t len = 0;
	int rc = kube__cri_pack_id(&req, &len, id);
	return start(c, call, rc, req, len, c->timeout_ms, cb, ud, NULL);
}

int kube_cri_stop_pod_sandbox_async(kube_cri_client *c, const char *id, kube_cri_done_cb cb,
                                    void *ud)
{
	KUBE_CHECK_ARG(c && cb);
	CHECK_ID(id);
	return id_call(c, KUBE__CRI_STOP_POD_SANDBOX, id, (cri_cb){ .done = cb }, ud);
}

int kube_cri_remove_pod_sandbox_async(kube_cri_client *c, const char *id, kube_cri_done_cb cb,
                                      void *ud)
{
	KUBE_CHECK_ARG(c && cb);
	CHECK_ID(id);
	return id_call(c, KUBE__CRI_REMOVE_POD_SANDBOX, id, (cri_cb){ .done = cb }, ud);
}

int kube_cri_pod_sandbox_status_async(kube_cri_client *c, const char *id, int verbose,
                                      kube_cri_sandbox_status_cb cb, void *ud)
{
	KUBE_CHECK_ARG(c && cb);
	CHECK_ID(id);
	uint8_t *req = NULL;
	size_t len = 0;
	int rc = kube__cri_pack_id_verbose(&req, &len, id, verbose);
	return start(c, KUBE__CRI_POD_SANDBOX_STATUS, rc, req, len, c->timeout_ms,
	             (cri_cb){ .sandbox_status = cb }, ud, NULL);
}

int kube_cri_list_pod_sandbox_async(kube_cri_client *c, const kube_cri_sandbox_filter *filter,
                                    kube_cri_sandbox_list_cb cb, void *ud)
{
	KUBE_CHECK_ARG(c && cb);
	if (filter)
		CHECK_SIZED(filter);
	uint8_t *req = NULL;
	size_t len = 0;
	int rc = kube__cri_pack_list_pod_sandbox(&req, &len, filter);
	return start(c, KUBE__CRI_LIST_POD_SANDBOX, rc, req, len, c->timeout_ms,
	             (cri_cb){ .sandbox_list = cb }, ud, NULL);
}

int kube_cri_create_container_async(kube_cri_client *c, const char *sandbox_id,
                                    const kube_cri_container_config *config,
                                    const kube_cri_sandbox_config *sandbox_config,
                                    kube_cri_string_cb cb, void *ud)
{
	KUBE_CHECK_ARG(c && cb && config);
	CHECK_ID(sandbox_id);
	CHECK_SIZED(config);
	if (sandbox_config)
		CHECK_SIZED(sandbox_config);
	uint8_t *req = NULL;
	size_t len = 0;
	int rc = kube__cri_pack_create_container(&req, &len, sandbox_id, config, sandbox_config);
	return start(c, KUBE__CRI_CREATE_CONTAINER, rc, req, len, c->timeout_ms,
	             (cri_cb){ .str = cb }, ud, NULL);
}

int kube_cri_start_container_async(kube_cri_client *c, const char *id, kube_cri_done_cb cb,
                                   void *ud)
{
	KUBE_CHECK_ARG(c && cb);
	CHECK_ID(id);
	return id_call(c, KUBE__CRI_START_CONTAINER, id, (cri_cb){ .done = cb }, ud);
}

int kube_cri_stop_container_async(kube_cri_client *c, const char *id, int64_t timeout_s,
                                  kube_cri_done_cb cb, void *ud)
{
	KUBE_CHECK_ARG(c && cb);
	CHECK_ID(id);
	KUBE_CHECK_ARG(timeout_s >= 0);
	uint8_t *req = NULL;
	size_t len = 0;
	int rc = kube__cri_pack_stop_container(&req, &len, id, timeout_s);
	return start(c, KUBE__CRI_STOP_CONTAINER, rc, req, len,
	             plus_seconds(c->timeout_ms, timeout_s), (cri_cb){ .done = cb }, ud, NULL);
}

int kube_cri_remove_container_async(kube_cri_client *c, const char *id, kube_cri_done_cb cb,
                                    void *ud)
{
	KUBE_CHECK_ARG(c && cb);
	CHECK_ID(id);
	return id_call(c, KUBE__CRI_REMOVE_CONTAINER, id, (cri_cb){ .done = cb }, ud);
}

int kube_cri_list_containers_async(kube_cri_client *c, const kube_cri_container_filter *filter,
                                   kube_cri_container_list_cb cb, void *ud)
{
	KUBE_CHECK_ARG(c && cb);
	if (filter)
		CHECK_SIZED(filter);
	uint8_t *req = NULL;
	size_t len = 0;
	int rc = kube__cri_pack_list_containers(&req, &len, filter);
	return start(c, KUBE__CRI_LIST_CONTAINERS, rc, req, len, c->timeout_ms,
	             (cri_cb){ .container_list = cb }, ud, NULL);
}

int kube_cri_container_status_async(kube_cri_client *c, const char *id, int verbose,
                                    kube_cri_container_status_cb cb, void *ud)
{
	KUBE_CHECK_ARG(c && cb);
	CHECK_ID(id);
	uint8_t *req = NULL;
	size_t len = 0;
	int rc = kube__cri_pack_id_verbose(&req, &len, id, verbose);
	return start(c, KUBE__CRI_CONTAINER_STATUS, rc, req, len, c->timeout_ms,
	             (cri_cb){ .container_status = cb }, ud, NULL);
}

int kube_cri_update_container_resources_async(kube_cri_client *c, const char *id,
                                              const kube_cri_linux_resources *res,
                                              kube_cri_done_cb cb, void *ud)
{
	KUBE_CHECK_ARG(c && cb && res);
	CHECK_ID(id);
	CHECK_SIZED(res);
	uint8_t *req = NULL;
	size_t len = 0;
	int rc = kube__cri_pack_update_resources(&req, &len, id, res);
	return start(c, KUBE__CRI_UPDATE_CONTAINER_RESOURCES, rc, req, len, c->timeout_ms,
	             (cri_cb){ .done = cb }, ud, NULL);
}

int kube_cri_reopen_container_log_async(kube_cri_client *c, const char *id,
                                        kube_cri_done_cb cb, void *ud)
{
	KUBE_CHECK_ARG(c && cb);
	CHECK_ID(id);
	return id_call(c, KUBE__CRI_REOPEN_CONTAINER_LOG, id, (cri_cb){ .done = cb }, ud);
}

int kube_cri_exec_sync_async(kube_cri_client *c, const char *id, const char *const *cmd,
                             size_t n_cmd, int64_t timeout_s, kube_cri_exec_result_cb cb,
                             void *ud)
{
	KUBE_CHECK_ARG(c && cb && cmd && n_cmd > 0);
	CHECK_ID(id);
	KUBE_CHECK_ARG(timeout_s >= 0);
	for (size_t i = 0; i < n_cmd; i++)
		KUBE_CHECK_ARG(cmd[i] != NULL);
	uint8_t *req = NULL;
	size_t len = 0;
	int rc = kube__cri_pack_exec_sync(&req, &len, id, cmd, n_cmd, timeout_s);
	return start(c, KUBE__CRI_EXEC_SYNC, rc, req, len, plus_seconds(c->timeout_ms, timeout_s),
	             (cri_cb){ .exec = cb }, ud, NULL);
}

int kube_cri_container_stats_async(kube_cri_client *c, const char *id,
                                   kube_cri_container_stats_list_cb cb, void *ud)
{
	KUBE_CHECK_ARG(c && cb);
	CHECK_ID(id);
	return id_call(c, KUBE__CRI_CONTAINER_STATS, id, (cri_cb){ .stats_list = cb }, ud);
}

int kube_cri_list_container_stats_async(kube_cri_client *c,
                                        const kube_cri_container_stats_filter *filter,
                                        kube_cri_container_stats_list_cb cb, void *ud)
{
	KUBE_CHECK_ARG(c && cb);
	if (filter)
		CHECK_SIZED(filter);
	uint8_t *req = NULL;
	size_t len = 0;
	int rc = kube__cri_pack_list_container_stats(&req, &len, filter);
	return start(c, KUBE__CRI_LIST_CONTAINER_STATS, rc, req, len, c->timeout_ms,
	             (cri_cb){ .stats_list = cb }, ud, NULL);
}

/* ---- ImageService ---- */

int kube_cri_list_images_async(kube_cri_client *c, const char *filter_image,
                               kube_cri_image_list_cb cb, void *ud)
{
	KUBE_CHECK_ARG(c && cb);
	uint8_t *req = NULL;
	size_t len = 0;
	int rc = kube__cri_pack_list_images(&req, &len, filter_image);
	return start(c, KUBE__CRI_LIST_IMAGES, rc, req, len, c->timeout_ms,
	             (cri_cb){ .image_list = cb }, ud, NULL);
}

int kube_cri_image_status_async(kube_cri_client *c, const char *image, int verbose,
                                kube_cri_image_status_cb cb, void *ud)
{
	KUBE_CHECK_ARG(c && cb);
	CHECK_ID(image);
	uint8_t *req = NULL;
	size_t len = 0;
	int rc = kube__cri_pack_image_verbose(&req, &len, image, verbose);
	return start(c, KUBE__CRI_IMAGE_STATUS, rc, req, len, c->timeout_ms,
	             (cri_cb){ .image_status = cb }, ud, image);
}

int kube_cri_pull_image_async(kube_cri_client *c, const char *image,
                              const kube_cri_auth_config *auth,
                              const kube_cri_sandbox_config *sandbox_config,
                              kube_cri_string_cb cb, void *ud)
{
	KUBE_CHECK_ARG(c && cb);
	CHECK_ID(image);
	if (auth)
		CHECK_SIZED(auth);
	if (sandbox_config)
		CHECK_SIZED(sandbox_config);
	uint8_t *req = NULL;
	size_t len = 0;
	int rc = kube__cri_pack_pull_image(&req, &len, image, auth, sandbox_config);
	return start(c, KUBE__CRI_PULL_IMAGE, rc, req, len, c->pull_timeout_ms,
	             (cri_cb){ .str = cb }, ud, NULL);
}

int kube_cri_remove_image_async(kube_cri_client *c, const char *image, kube_cri_done_cb cb,
                                void *ud)
{
	KUBE_CHECK_ARG(c && cb);
	CHECK_ID(image);
	uint8_t *req = NULL;
	size_t len = 0;
	int rc = kube__cri_pack_image(&req, &len, image);
	return start(c, KUBE__CRI_REMOVE_IMAGE, rc, req, len, c->timeout_ms,
	             (cri_cb){ .done = cb }, ud, NULL);
}

int kube_cri_image_fs_info_async(kube_cri_client *c, kube_cri_fs_info_cb cb, void *ud)
{
	KUBE_CHECK_ARG(c && cb);
	uint8_t *req = NULL;
	size_t len = 0;
	int rc = kube__cri_pack_empty(&req, &len);
	return start(c, KUBE__CRI_IMAGE_FS_INFO, rc, req, len, c->timeout_ms,
	             (cri_cb){ .fs_info = cb }, ud, NULL);
}

/* ==================== blocking wrappers ==================== */

typedef struct waiter {
	int done;
	int rc;
	void *result;
	char msg[1024];
} waiter;

static void w_finish(waiter *w, int rc, void *r)
{
	w->done = 1;
	w->rc = rc;
	w->result = r;
	if (rc) {
		const kube_error *e = kube_error_last();
		snprintf(w->msg, sizeof(w->msg), "%s",
		         e && e->code == rc && e->message ? e->message : kube_strerror(rc));
	}
}

static void w_done(int rc, void *ud)
{
	w_finish(ud, rc, NULL);
}

#define WAITER_CB(name, type) \
	static void w_##name(int rc, type *r, void *ud) \
	{ \
		w_finish(ud, rc, r); \
	}

WAITER_CB(str, char)
WAITER_CB(version, kube_cri_version)
WAITER_CB(runtime_status, kube_cri_runtime_status)
WAITER_CB(sandbox_status, kube_cri_sandbox_status)
WAITER_CB(sandbox_list, kube_cri_sandbox_list)
WAITER_CB(container_list, kube_cri_container_list)
WAITER_CB(container_status, kube_cri_container_status)
WAITER_CB(exec, kube_cri_exec_result)
WAITER_CB(stats_list, kube_cri_container_stats_list)
WAITER_CB(image_list, kube_cri_image_list)
WAITER_CB(image_status, kube_cri_image_status)
WAITER_CB(fs_info, kube_cri_fs_info)

/* Runs the loop until the call started with w (start_rc 0) has ended. */
static int w_wait(kube_cri_client *c, waiter *w, int start_rc)
{
	if (start_rc)
		return start_rc;
	/* The call holds w until its callback: the loop must go on even if an
	 * iteration reports a libevent error, or w would dangle.  Every call
	 * has a deadline, so this ends. */
	while (!w->done)
		kube_loop_run_once(c->loop, 0);
	if (w->rc)
		return kube__error_set(w->rc, NULL, "%s", w->msg);
	return 0;
}

/* out-pointer variants: the result moves to *out on success */
#define SYNC_BODY(out, call_expr) \
	do { \
		KUBE_CHECK_ARG(out); \
		*(out) = NULL; \
		KUBE_CHECK_ARG(c); \
		waiter w = { 0 }; \
		int rc = w_wait(c, &w, (call_expr)); \
		if (rc == 0) \
			*(out) = w.result; \
		return rc; \
	} while (0)

#define SYNC_DONE(call_expr) \
	do { \
		KUBE_CHECK_ARG(c); \
		waiter w = { 0 }; \
		return w_wait(c, &w, (call_expr)); \
	} while (0)

int kube_cri_version_sync(kube_cri_version **out, kube_cri_client *c)
{
	SYNC_BODY(out, kube_cri_version_async(c, w_version, &w));
}

int kube_cri_status_sync(kube_cri_runtime_status **out, kube_cri_client *c, int verbose)
{
	SYNC_BODY(out, kube_cri_status_async(c, verbose, w_runtime_status, &w));
}

int kube_cri_run_pod_sandbox_sync(char **out_id, kube_cri_client *c,
                                  const kube_cri_sandbox_config *config,
                                  const char *runtime_handler)
{
	SYNC_BODY(out_id, kube_cri_run_pod_sandbox_async(c, config, runtime_handler, w_str, &w));
}

int kube_cri_stop_pod_sandbox_sync(kube_cri_client *c, const char *id)
{
	SYNC_DONE(kube_cri_stop_pod_sandbox_async(c, id, w_done, &w));
}

int kube_cri_remove_pod_sandbox_sync(kube_cri_client *c, const char *id)
{
	SYNC_DONE(kube_cri_remove_pod_sandbox_async(c, id, w_done, &w));
}

int kube_cri_pod_sandbox_status_sync(kube_cri_sandbox_status **out, kube_cri_client *c,
                                     const char *id, int verbose)
{
	SYNC_BODY(out, kube_cri_pod_sandbox_status_async(c, id, verbose, w_sandbox_status, &w));
}

int kube_cri_list_pod_sandbox_sync(kube_cri_sandbox_list **out, kube_cri_client *c,
                                   const kube_cri_sandbox_filter *filter)
{
	SYNC_BODY(out, kube_cri_list_pod_sandbox_async(c, filter, w_sandbox_list, &w));
}

int kube_cri_create_container_sync(char **out_id, kube_cri_client *c, const char *sandbox_id,
                                   const kube_cri_container_config *config,
                                   const kube_cri_sandbox_config *sandbox_config)
{
	SYNC_BODY(out_id, kube_cri_create_container_async(c, sandbox_id, config, sandbox_config,
	                                                  w_str, &w));
}

int kube_cri_start_container_sync(kube_cri_client *c, const char *id)
{
	SYNC_DONE(kube_cri_start_container_async(c, id, w_done, &w));
}

int kube_cri_stop_container_sync(kube_cri_client *c, const char *id, int64_t timeout_s)
{
	SYNC_DONE(kube_cri_stop_container_async(c, id, timeout_s, w_done, &w));
}

int kube_cri_remove_container_sync(kube_cri_client *c, const char *id)
{
	SYNC_DONE(kube_cri_remove_container_async(c, id, w_done, &w));
}

int kube_cri_list_containers_sync(kube_cri_container_list **out, kube_cri_client *c,
                                  const kube_cri_container_filter *filter)
{
	SYNC_BODY(out, kube_cri_list_containers_async(c, filter, w_container_list, &w));
}

int kube_cri_container_status_sync(kube_cri_container_status **out, kube_cri_client *c,
                                   const char *id, int verbose)
{
	SYNC_BODY(out, kube_cri_container_status_async(c, id, verbose, w_container_status, &w));
}

int kube_cri_update_container_resources_sync(kube_cri_client *c, const char *id,
                                             const kube_cri_linux_resources *res)
{
	SYNC_DONE(kube_cri_update_container_resources_async(c, id, res, w_done, &w));
}

int kube_cri_reopen_container_log_sync(kube_cri_client *c, const char *id)
{
	SYNC_DONE(kube_cri_reopen_container_log_async(c, id, w_done, &w));
}

int kube_cri_exec_sync_sync(kube_cri_exec_result **out, kube_cri_client *c, const char *id,
                            const char *const *cmd, size_t n_cmd, int64_t timeout_s)
{
	SYNC_BODY(out, kube_cri_exec_sync_async(c, id, cmd, n_cmd, timeout_s, w_exec, &w));
}

int kube_cri_container_stats_sync(kube_cri_container_stats_list **out, kube_cri_client *c,
                                  const char *id)
{
	SYNC_BODY(out, kube_cri_container_stats_async(c, id, w_stats_list, &w));
}

int kube_cri_list_container_stats_sync(kube_cri_container_stats_list **out, kube_cri_client *c,
                                       const kube_cri_container_stats_filter *filter)
{
	SYNC_BODY(out, kube_cri_list_container_stats_async(c, filter, w_stats_list, &w));
}

int kube_cri_list_images_sync(kube_cri_image_list **out, kube_cri_client *c,
                              const char *filter_image)
{
	SYNC_BODY(out, kube_cri_list_images_async(c, filter_image, w_image_list, &w));
}

int kube_cri_image_status_sync(kube_cri_image_status **out, kube_cri_client *c,
                               const char *image, int verbose)
{
	SYNC_BODY(out, kube_cri_image_status_async(c, image, verbose, w_image_status, &w));
}

int kube_cri_pull_image_sync(char **out_ref, kube_cri_client *c, const char *image,
                             const kube_cri_auth_config *auth,
                             const kube_cri_sandbox_config *sandbox_config)
{
	SYNC_BODY(out_ref, kube_cri_pull_image_async(c, image, auth, sandbox_config, w_str, &w));
}

int kube_cri_remove_image_sync(kube_cri_client *c, const char *image)
{
	SYNC_DONE(kube_cri_remove_image_async(c, image, w_done, &w));
}

int kube_cri_image_fs_info_sync(kube_cri_fs_info **out, kube_cri_client *c)
{
	SYNC_BODY(out, kube_cri_image_fs_info_async(c, w_fs_info, &w));
}
