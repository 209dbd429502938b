/*
 * test_grpc.c - the gRPC client against the in-tree test server (server.c):
 * unary, server-streaming and bidi calls over unix and TCP sockets, what the
 * client puts on the wire, deadlines and cancellation, and every way the
 * server misbehaves (bad statuses, content-types, framing, resets, GOAWAY,
 * garbage, dropped connections), each with the exact status and message the
 * caller sees.  The pure parts (code mappings, grpc-timeout, grpc-message
 * decoding) are checked against the spec's tables.
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "base/base.h"
#include "grpc/grpc_private.h"
#include "libkube/kube.h"
#include "server.h"

static ts_server *srv;
static kube_loop *loop;

static void setup(void)
{
	ck_assert_int_eq(kube_loop_new(&loop, NULL), 0);
	srv = ts_server_start(1);
	ck_assert_ptr_nonnull(srv);
}

static void teardown(void)
{
	ts_server_stop(srv);
	kube_loop_free(loop);
}

static uint64_t ms_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static kube__grpc_channel *open_ch(const char *target, const kube__grpc_options *o)
{
	kube__grpc_channel *ch = NULL;
	ck_assert_int_eq(kube__grpc_channel_new(&ch, loop, target, o), 0);
	return ch;
}

static kube__grpc_channel *open_unix(void)
{
	kube__grpc_options o = { 0 };
	o.backoff_initial_ms = 10;
	o.backoff_max_ms = 50;
	return open_ch(ts_server_unix_target(srv), &o);
}

/* ---- unary helpers ---- */

typedef struct result {
	int done;
	int code;
	char msg[512];
	uint8_t *resp;
	size_t len;
	int order;
} result;

static int finish_counter;

static void unary_cb(const kube__grpc_status *st, const uint8_t *resp, size_t len, void *ud)
{
	result *r = ud;
	ck_assert_int_eq(r->done, 0);
	r->done = 1;
	r->order = ++finish_counter;
	r->code = st->code;
	snprintf(r->msg, sizeof(r->msg), "%s", st->message);
	if (st->code == KUBE_GRPC_OK) {
		ck_assert_ptr_nonnull(resp);
		r->resp = malloc(len + 1);
		memcpy(r->resp, resp, len);
		r->resp[len] = 0;
		r->len = len;
	} else {
		ck_assert_ptr_null(resp);
		ck_assert_uint_eq(len, 0);
	}
}

static void run_until(int *flag)
{
	uint64_t end = ms_now() + 10000;
	while (!*flag) {
		ck_assert_msg(ms_now() < end, "timed out waiting on the loop");
		ck_assert_int_eq(kube_loop_run_once(loop, 0), 0);
	}
}

/* One unary call, run to its end; r must be freed with result_clear. */
static void call(kube__grpc_channel *ch, const char *method, const char *arg, uint64_t timeout,
                 result *r)
{
	memset(r, 0, sizeof(*r));
	ck_assert_int_eq(kube__grpc_unary(ch, method, (const uint8_t *)arg, strlen(arg), timeout,
	                                  unary_cb, r, NULL), 0);
	ck_assert_int_eq(r->done, 0);   /* never from inside the call */
	run_until(&r->done);
}

static void result_clear(result *r)
{
	free(r->resp);
	r->resp = NULL;
}

static void expect(kube__grpc_channel *ch, const char *method, const char *arg, int code,
                   const char *msg)
{
	result r;
	call(ch, method, arg, 5000, &r);
	ck_assert_msg(r.code == code, "%s(%s): code %d (%s), want %d", method, arg, r.code, r.msg,
	              code);
	ck_assert_str_eq(r.msg, msg);
	result_clear(&r);
}

static void expect_prefix(kube__grpc_channel *ch, const char *method, const char *arg,
                          uint64_t timeout, int code, const char *prefix)
{
	result r;
	call(ch, method, arg, timeout, &r);
	ck_assert_msg(r.code == code, "%s(%s): code %d (%s), want %d", method, arg, r.code, r.msg,
	              code);
	ck_assert_msg(strncmp(r.msg, prefix, strlen(prefix)) == 0, "message \"%s\", want \"%s...\"",
	              r.msg, prefix);
	result_clear(&r);
}

static void expect_echo(kube__grpc_channel *ch, const char *text)
{
	result r;
	call(ch, "/test.Test/Echo", text, 5000, &r);
	ck_assert_msg(r.code == KUBE_GRPC_OK, "echo: %d %s", r.code, r.msg);
	ck_assert_str_eq(r.msg, "");
	ck_assert_uint_eq(r.len, strlen(text));
	ck_assert_mem_eq(r.resp, text, r.len);
	result_clear(&r);
}

/* ---- pure parts ---- */

START_TEST(test_grpc_code_names_and_kube_codes)
{
	static const struct { int code; const char *name; int kube; } t[] = {
		{ 0, "OK", 0 },
		{ 1, "CANCELLED", KUBE_ECANCELED },
		{ 2, "UNKNOWN", KUBE_ERROR },
		{ 3, "INVALID_ARGUMENT", KUBE_EINVAL },
		{ 4, "DEADLINE_EXCEEDED", KUBE_ETIMEDOUT },
		{ 5, "NOT_FOUND", KUBE_ENOTFOUND },
		{ 6, "ALREADY_EXISTS", KUBE_EEXISTS },
		{ 7, "PERMISSION_DENIED", KUBE_EPERM },
		{ 8, "RESOURCE_EXHAUSTED", KUBE_EBUSY },
		{ 9, "FAILED_PRECONDITION", KUBE_ECONFLICT },
		{ 10, "ABORTED", KUBE_ECONFLICT },
		{ 11, "OUT_OF_RANGE", KUBE_ERANGE },
		{ 12, "UNIMPLEMENTED", KUBE_ENOTSUP },
		{ 13, "INTERNAL", KUBE_ERROR },
		{ 14, "UNAVAILABLE", KUBE_EUNAVAILABLE },
		{ 15, "DATA_LOSS", KUBE_EDATALOSS },
		{ 16, "UNAUTHENTICATED", KUBE_EUNAUTHENTICATED },
		{ 17, "UNKNOWN", KUBE_ERROR },
		{ -1, "UNKNOWN", KUBE_ERROR },
	};
	for (size_t i = 0; i < KUBE_ARRAY_SIZE(t); i++) {
		ck_assert_str_eq(kube__grpc_code_name(t[i].code), t[i].name);
		ck_assert_int_eq(kube__grpc_code_to_kube(t[i].code), t[i].kube);
	}
}
END_TEST

START_TEST(test_grpc_status_error_message)
{
	kube__grpc_status st = { KUBE_GRPC_NOT_FOUND, "pod \"x\" not found" };
	ck_assert_int_eq(kube__grpc_status_error("/runtime.v1.RuntimeService/PodSandboxStatus", &st),
	                 KUBE_ENOTFOUND);
	ck_assert_int_eq(kube_error_last()->code, KUBE_ENOTFOUND);
	ck_assert_str_eq(kube_error_last()->message,
	                 "/runtime.v1.RuntimeService/PodSandboxStatus: NOT_FOUND: pod \"x\" not found");
	kube__grpc_status ok = { KUBE_GRPC_OK, "" };
	ck_assert_int_eq(kube__grpc_status_error("/a/b", &ok), 0);
}
END_TEST

START_TEST(test_grpc_http_and_rst_mapping)
{
	/* doc/http-grpc-status-mapping.md */
	static const int http[][2] = {
		{ 400, 13 }, { 401, 16 }, { 403, 7 }, { 404, 12 }, { 429, 14 }, { 431, 13 },
		{ 502, 14 }, { 503, 14 }, { 504, 14 }, { 200, 2 }, { 500, 2 }, { 418, 2 },
	};
	for (size_t i = 0; i < KUBE_ARRAY_SIZE(http); i++)
		ck_assert_int_eq(kube__grpc_code_from_http(http[i][0]), http[i][1]);
	/* doc/PROTOCOL-HTTP2.md, RST_STREAM codes 0..0xd */
	static const int rst[] = { 13, 13, 13, 13, 13, 13, 13, 14, 1, 13, 13, 8, 7, 13 };
	for (size_t i = 0; i < KUBE_ARRAY_SIZE(rst); i++)
		ck_assert_int_eq(kube__grpc_code_from_rst((uint32_t)i), rst[i]);
}
END_TEST

START_TEST(test_grpc_timeout_format)
{
	static const struct { uint64_t ms; const char *s; } t[] = {
		{ 1, "1m" }, { 5000, "5000m" }, { 99999999, "99999999m" },
		{ 100000000, "100000S" }, { 100000001, "100001S" },
		{ 99999999000ull, "99999999S" }, { 99999999001ull, "1666667M" },
		{ 5999999940000ull, "99999999M" }, { 6000000060000ull, "1666667H" },
		{ UINT64_MAX, "99999999H" },
	};
	for (size_t i = 0; i < KUBE_ARRAY_SIZE(t); i++) {
		char b[16];
		size_t n = kube__grpc_timeout_format(t[i].ms, b);
		ck_assert_str_eq(b, t[i].s);
		ck_assert_uint_eq(n, strlen(t[i].s));
	}
}
END_TEST

START_TEST(test_grpc_percent_decode_and_status_parse)
{
	static const struct { const char *in, *out; } t[] = {
		{ "plain", "plain" }, { "a%20b", "a b" }, { "%E2%82%AC", "\xe2\x82\xac" },
		{ "100%", "100%" }, { "%4", "%4" }, { "%zz!", "%zz!" }, { "%2f%2F", "//" },
		{ "", "" },
	};
	for (size_t i = 0; i < KUBE_ARRAY_SIZE(t); i++) {
		char out[32];
		size_t n = kube__grpc_percent_decode(t[i].in, strlen(t[i].in), out);
		ck_assert_str_eq(out, t[i].out);
		ck_assert_uint_eq(n, strlen(t[i].out));
	}
	ck_assert_int_eq(kube__grpc_parse_status("0", 1), 0);
	ck_assert_int_eq(kube__grpc_parse_status("16", 2), 16);
	ck_assert_int_eq(kube__grpc_parse_status("99", 2), 99);
	ck_assert_int_eq(kube__grpc_parse_status("05", 2), -1);
	ck_assert_int_eq(kube__grpc_parse_status("", 0), -1);
	ck_assert_int_eq(kube__grpc_parse_status("-1", 2), -1);
	ck_assert_int_eq(kube__grpc_parse_status("1a", 2), -1);
	ck_assert_int_eq(kube__grpc_parse_status("1234567890", 10), -1);
}
END_TEST

START_TEST(test_grpc_channel_new_rejects_bad_targets)
{
	static const struct { const char *t, *msg; } bad[] = {
		{ "unix:", "grpc: unix:: a unix target needs an absolute path" },
		{ "unix:rel/path", "grpc: unix:rel/path: a unix target needs an absolute path" },
		{ "localhost", "grpc: localhost: expected unix:/path or host:port" },
		{ "host:", "grpc: host:: expected unix:/path or host:port" },
		{ ":80", "grpc: :80: expected unix:/path or host:port" },
		{ "host:99999", "grpc: host:99999: expected unix:/path or host:port" },
		{ "host:8x", "grpc: host:8x: expected unix:/path or host:port" },
		{ "::1:80", "grpc: ::1:80: expected unix:/path or host:port" },
		{ "[::1]80", "grpc: [::1]80: expected [address]:port" },
	};
	for (size_t i = 0; i < KUBE_ARRAY_SIZE(bad); i++) {
		kube__grpc_channel *ch = (kube__grpc_channel *)1;
		ck_assert_int_eq(kube__grpc_channel_new(&ch, loop, bad[i].t, NULL), KUBE_EINVAL);
		ck_assert_str_eq(kube_error_last()->message, bad[i].msg);
	}
	char longp[200] = "unix:/";
	memset(longp + 6, 'a', 150);
	longp[156] = 0;
	kube__grpc_channel *ch;
	ck_assert_int_eq(kube__grpc_channel_new(&ch, loop, longp, NULL), KUBE_EINVAL);
	ck_assert_ptr_nonnull(strstr(kube_error_last()->message,
	                             ": the socket path is longer than 107 bytes"));
	ck_assert_int_eq(kube__grpc_channel_new(NULL, loop, "unix:/x", NULL), KUBE_EINVAL);
	ck_assert_int_eq(kube__grpc_channel_new(&ch, NULL, "unix:/x", NULL), KUBE_EINVAL);
	ck_assert_int_eq(kube__grpc_channel_new(&ch, loop, "[::1]:50051", NULL), 0);
	kube__grpc_channel_free(ch);
	ck_assert_int_eq(kube__grpc_channel_new(&ch, loop, "unix:///run/x.sock", NULL), 0);
	kube__grpc_channel_free(ch);
	kube__grpc_channel_free(NULL);
}
END_TEST

/* ---- calls that work ---- */

START_TEST(test_grpc_unary_echo_unix)
{
	kube__grpc_channel *ch = open_unix();
	expect_echo(ch, "hello");
	expect_echo(ch, "");
	expect_echo(ch, "again");
	ck_assert_int_eq(ts_server_accepted(srv), 1);   /* one connection, lazily made */
	kube__grpc_channel_free(ch);
}
END_TEST

START_TEST(test_grpc_unary_echo_tcp)
{
	kube__grpc_channel *ch = open_ch(ts_server_tcp_target(srv), NULL);
	expect_echo(ch, "over tcp");
	kube__grpc_channel_free(ch);
}
END_TEST

START_TEST(test_grpc_unary_sync)
{
	kube__grpc_channel *ch = open_unix();
	uint8_t *resp = NULL;
	size_t len = 0;
	char *msg = (char *)1;
	ck_assert_int_eq(kube__grpc_unary_sync(ch, "/test.Test/Echo", (const uint8_t *)"sync", 4,
	                                       5000, &resp, &len, &msg), KUBE_GRPC_OK);
	ck_assert_uint_eq(len, 4);
	ck_assert_mem_eq(resp, "sync", 4);
	ck_assert_ptr_null(msg);
	kube_free(resp);
	ck_assert_int_eq(kube__grpc_unary_sync(ch, "/test.Test/Status",
	                                       (const uint8_t *)"5:no%20such%20pod", 17, 5000,
	                                       &resp, &len, &msg), KUBE_GRPC_NOT_FOUND);
	ck_assert_ptr_null(resp);
	ck_assert_uint_eq(len, 0);
	ck_assert_str_eq(msg, "no such pod");
	kube_free(msg);
	/* arguments refused before anything is sent */
	ck_assert_int_eq(kube__grpc_unary_sync(ch, "no-slash", NULL, 0, 0, &resp, &len, &msg),
	                 KUBE_GRPC_INVALID_ARGUMENT);
	ck_assert_str_eq(msg, "grpc: no-slash: invalid call: the method must read "
	                      "\"/package.Service/Method\"");
	ck_assert_int_eq(kube__grpc_unary_sync(ch, "/NoMethod", NULL, 0, 0, NULL, NULL, NULL),
	                 KUBE_GRPC_INVALID_ARGUMENT);
	kube_free(msg);
	kube__grpc_channel_free(ch);
	kube__grpc_options o = { 0 };
	o.max_send_message = 2;
	ch = open_ch(ts_server_unix_target(srv), &o);
	ck_assert_int_eq(kube__grpc_unary_sync(ch, "/test.Test/Echo", (const uint8_t *)"abc", 3, 0,
	                                       &resp, &len, &msg), KUBE_GRPC_RESOURCE_EXHAUSTED);
	ck_assert_int_eq(kube_error_last()->code, KUBE_ETOOBIG);
	ck_assert_str_eq(msg, "grpc: /test.Test/Echo: request message of 3 bytes exceeds the limit "
	                      "of 2");
	ck_assert_ptr_null(resp);
	kube_free(msg);
	/* no out-parameters at all */
	ck_assert_int_eq(kube__grpc_unary_sync(ch, "/test.Test/Echo", (const uint8_t *)"ab", 2, 0,
	                                       NULL, NULL, NULL), KUBE_GRPC_OK);
	kube__grpc_channel_free(ch);
}
END_TEST

START_TEST(test_grpc_request_headers)
{
	kube__grpc_channel *ch = open_unix();
	result r;
	call(ch, "/test.Test/Headers", "", 5000, &r);
	ck_assert_int_eq(r.code, KUBE_GRPC_OK);
	/* the time left when the request goes, here after connecting */
	char *t = strstr((char *)r.resp, "grpc-timeout: ");
	ck_assert_ptr_nonnull(t);
	char *end;
	long left = strtol(t + 14, &end, 10);
	ck_assert_msg(left > 4000 && left <= 5000 && end[0] == 'm' && end[1] == '\n', "%s", t);
	memmove(t + 14, end, strlen(end) + 1);
	ck_assert_str_eq((char *)r.resp,
	                 ":method: POST\n"
	                 ":scheme: http\n"
	                 ":path: /test.Test/Headers\n"
	                 ":authority: localhost\n"
	                 "grpc-timeout: m\n"
	                 "content-type: application/grpc\n"
	                 "te: trailers\n"
	                 "user-agent: libkube-grpc/" KUBE_VERSION "\n");
	result_clear(&r);
	/* no deadline: no grpc-timeout; TCP: host:port is the authority */
	kube__grpc_channel_free(ch);
	kube__grpc_options o = { 0 };
	ch = open_ch(ts_server_tcp_target(srv), &o);
	call(ch, "/test.Test/Headers", "", 0, &r);
	ck_assert_int_eq(r.code, KUBE_GRPC_OK);
	char want[512];
	snprintf(want, sizeof(want),
	         ":method: POST\n:scheme: http\n:path: /test.Test/Headers\n:authority: %s\n"
	         "content-type: application/grpc\nte: trailers\nuser-agent: libkube-grpc/"
	         KUBE_VERSION "\n", ts_server_tcp_target(srv));
	ck_assert_str_eq((char *)r.resp, want);
	result_clear(&r);
	kube__grpc_channel_free(ch);
	o.authority = "cri.example";
	ch = open_ch(ts_server_unix_target(srv), &o);
	call(ch, "/test.Test/Headers", "", 0, &r);
	ck_assert_ptr_nonnull(strstr((char *)r.resp, "\n:authority: cri.example\n"));
	result_clear(&r);
	kube__grpc_channel_free(ch);
}
END_TEST

START_TEST(test_grpc_status_from_trailers)
{
	kube__grpc_channel *ch = open_unix();
	expect(ch, "/test.Test/Status", "5:not%20found%3A%20pod%2Fx", KUBE_GRPC_NOT_FOUND,
	       "not found: pod/x");
	expect(ch, "/test.Test/Status", "6:", KUBE_GRPC_ALREADY_EXISTS, "");
	expect(ch, "/test.Test/Status", "3:caf%C3%A9 100%", KUBE_GRPC_INVALID_ARGUMENT,
	       "caf\xc3\xa9 100%");
	/* past the table: UNKNOWN, message kept */
	expect(ch, "/test.Test/Status", "42:odd", KUBE_GRPC_UNKNOWN, "odd");
	expect(ch, "/test.Test/TrailersOnly", "007:x", KUBE_GRPC_INTERNAL,
	       "grpc: /test.Test/TrailersOnly: malformed grpc-status");
	kube__grpc_channel_free(ch);
}
END_TEST

START_TEST(test_grpc_trailers_only)
{
	kube__grpc_channel *ch = open_unix();
	expect(ch, "/test.Test/TrailersOnly", "7:denied%21", KUBE_GRPC_PERMISSION_DENIED,
	       "denied!");
	expect(ch, "/test.Test/TrailersOnly", "12", KUBE_GRPC_UNIMPLEMENTED, "");
	/* an unknown method: the server's trailers-only UNIMPLEMENTED */
	expect(ch, "/test.Nope/Missing", "", KUBE_GRPC_UNIMPLEMENTED, "");
	/* OK in trailers-only, but no message for a unary call */
	expect(ch, "/test.Test/TrailersOnly", "0", KUBE_GRPC_INTERNAL,
	       "grpc: /test.Test/TrailersOnly: OK without a response message");
	kube__grpc_channel_free(ch);
}
END_TEST

/* ---- server streaming and bidi ---- */

typedef struct sresult {
	int closed;
	int code;
	char msg[256];
	int n;
	char got[16][32];
	kube__grpc_call *call;
	int cancel_at;          /* cancel inside on_message when n reaches this */
	kube__grpc_channel *free_at_first;   /* freed inside the first on_message */
	size_t bytes;
} sresult;

static void s_msg(kube__grpc_call *c, const uint8_t *m, size_t len, void *ud)
{
	sresult *r = ud;
	ck_assert_int_eq(r->closed, 0);
	ck_assert_ptr_eq(c, r->call);
	if (r->n < 16)
		snprintf(r->got[r->n], sizeof(r->got[0]), "%.*s", (int)(len < 31 ? len : 31), m);
	r->n++;
	r->bytes += len;
	if (r->cancel_at && r->n == r->cancel_at)
		kube__grpc_call_cancel(c);
	if (r->free_at_first) {
		kube__grpc_channel *ch = r->free_at_first;
		r->free_at_first = NULL;
		kube__grpc_channel_free(ch);
		ck_assert_int_eq(r->closed, 1);   /* on_close ran inside the free */
	}
}

static void s_close(kube__grpc_call *c, const kube__grpc_status *st, void *ud)
{
	sresult *r = ud;
	ck_assert_int_eq(r->closed, 0);
	r->closed = 1;
	r->code = st->code;
	snprintf(r->msg, sizeof(r->msg), "%s", st->message);
}

static const kube__grpc_stream_handlers s_handlers = { s_msg, s_close };

START_TEST(test_grpc_server_streaming)
{
	kube__grpc_channel *ch = open_unix();
	sresult r = { 0 };
	ck_assert_int_eq(kube__grpc_stream(ch, "/test.Test/Stream", 5000, &s_handlers, &r, &r.call),
	                 0);
	ck_assert_int_eq(kube__grpc_call_send(r.call, (const uint8_t *)"5", 1), 0);
	ck_assert_int_eq(kube__grpc_call_close_send(r.call), 0);
	ck_assert_int_eq(kube__grpc_call_send(r.call, (const uint8_t *)"x", 1), KUBE_EINVAL);
	ck_assert_str_eq(kube_error_last()->message, "grpc: /test.Test/Stream: sending is closed");
	run_until(&r.closed);
	ck_assert_int_eq(r.code, KUBE_GRPC_OK);
	ck_assert_int_eq(r.n, 5);
	for (int i = 0; i < 5; i++) {
		char want[16];
		snprintf(want, sizeof(want), "msg-%d", i);
		ck_assert_str_eq(r.got[i], want);
	}
	/* many large messages: flow control windows get used up and refilled */
	sresult big = { 0 };
	ck_assert_int_eq(kube__grpc_stream(ch, "/test.Test/Stream", 10000, &s_handlers, &big,
	                                   &big.call), 0);
	ck_assert_int_eq(kube__grpc_call_send(big.call, (const uint8_t *)"40:300000", 9), 0);
	ck_assert_int_eq(kube__grpc_call_close_send(big.call), 0);
	run_until(&big.closed);
	ck_assert_int_eq(big.code, KUBE_GRPC_OK);
	ck_assert_int_eq(big.n, 40);
	ck_assert_uint_eq(big.bytes, 40u * 300000u);
	kube__grpc_channel_free(ch);
}
END_TEST

START_TEST(test_grpc_bidi_interleaves)
{
	kube__grpc_channel *ch = open_unix();
	sresult r = { 0 };
	ck_assert_int_eq(kube__grpc_stream(ch, "/test.Test/Echo", 0, &s_handlers, &r, &r.call), 0);
	static const char *words[] = { "one", "two", "three" };
	for (int i = 0; i < 3; i++) {
		ck_assert_int_eq(kube__grpc_call_send(r.call, (const uint8_t *)words[i],
		                                      strlen(words[i])), 0);
		/* each echo comes back before the next message goes */
		int want = i + 1;
		uint64_t end = ms_now() + 5000;
		while (r.n < want) {
			ck_assert(ms_now() < end);
			kube_loop_run_once(loop, 0);
		}
		ck_assert_int_eq(r.n, want);
		ck_assert_str_eq(r.got[i], words[i]);
	}
	ck_assert_int_eq(r.closed, 0);
	ck_assert_int_eq(kube__grpc_call_close_send(r.call), 0);
	run_until(&r.closed);
	ck_assert_int_eq(r.code, KUBE_GRPC_OK);
	ck_assert_int_eq(r.n, 3);
	kube__grpc_channel_free(ch);
}
END_TEST

START_TEST(test_grpc_cancel_inside_on_message)
{
	kube__grpc_channel *ch = open_unix();
	sresult r = { 0 };
	r.cancel_at = 2;
	ck_assert_int_eq(kube__grpc_stream(ch, "/test.Test/Stream", 5000, &s_handlers, &r, &r.call),
	                 0);
	kube__grpc_call_send(r.call, (const uint8_t *)"10", 2);
	kube__grpc_call_close_send(r.call);
	run_until(&r.closed);
	ck_assert_int_eq(r.code, KUBE_GRPC_CANCELLED);
	ck_assert_str_eq(r.msg, "grpc: /test.Test/Stream: cancelled");
	ck_assert_int_eq(r.n, 2);   /* nothing after the cancel */
	expect_echo(ch, "still fine");
	/* the channel freed from inside on_message, in the middle of a read */
	sresult f = { 0 };
	f.free_at_first = ch;
	ck_assert_int_eq(kube__grpc_stream(ch, "/test.Test/Stream", 5000, &s_handlers, &f, &f.call),
	                 0);
	kube__grpc_call_send(f.call, (const uint8_t *)"10", 2);
	kube__grpc_call_close_send(f.call);
	run_until(&f.closed);
	ck_assert_int_eq(f.n, 1);
	ck_assert_int_eq(f.code, KUBE_GRPC_CANCELLED);
	char want[256];
	snprintf(want, sizeof(want), "grpc: %s: channel closed", ts_server_unix_target(srv));
	ck_assert_str_eq(f.msg, want);
	for (int i = 0; i < 5; i++)
		kube_loop_run_once(loop, KUBE_LOOP_NOWAIT);
}
END_TEST

/* ---- many streams on one connection ---- */

START_TEST(test_grpc_concurrent_streams_one_connection)
{
	kube__grpc_channel *ch = open_unix();
	enum { N = 200 };
	static result rs[N];
	char args[N][16];
	int done = 0;
	finish_counter = 0;
	for (int i = 0; i < N; i++) {
		memset(&rs[i], 0, sizeof(rs[i]));
		snprintf(args[i], sizeof(args[i]), "call-%d", i);
		ck_assert_int_eq(kube__grpc_unary(ch, "/test.Test/Echo", (const uint8_t *)args[i],
		                                  strlen(args[i]), 5000, unary_cb, &rs[i], NULL), 0);
	}
	uint64_t end = ms_now() + 10000;
	while (done < N) {
		ck_assert(ms_now() < end);
		kube_loop_run_once(loop, 0);
		done = 0;
		for (int i = 0; i < N; i++)
			done += rs[i].done;
	}
	for (int i = 0; i < N; i++) {
		ck_assert_int_eq(rs[i].code, KUBE_GRPC_OK);
		ck_assert_str_eq((char *)rs[i].resp, args[i]);
		result_clear(&rs[i]);
	}
	ck_assert_int_eq(ts_server_accepted(srv), 1);
	kube__grpc_channel_free(ch);
}
END_TEST

START_TEST(test_grpc_large_messages)
{
	kube__grpc_channel *ch = open_unix();
	size_t n = 4u << 20;
	uint8_t *big = malloc(n);
	for (size_t i = 0; i < n; i++)
		big[i] = (uint8_t)(i * 7);
	result r = { 0 };
	ck_assert_int_eq(kube__grpc_unary(ch, "/test.Test/Echo", big, n, 10000, unary_cb, &r,
	                                  NULL), 0);
	run_until(&r.done);
	ck_assert_int_eq(r.code, KUBE_GRPC_OK);
	ck_assert_uint_eq(r.len, n);
	ck_assert(memcmp(r.resp, big, n) == 0);
	result_clear(&r);
	free(big);
	kube__grpc_channel_free(ch);
}
END_TEST

/* ---- limits ---- */

START_TEST(test_grpc_message_limits)
{
	kube__grpc_channel *ch = open_unix();
	expect(ch, "/test.Test/Oversized", "17825792", KUBE_GRPC_RESOURCE_EXHAUSTED,
	       "grpc: /test.Test/Oversized: response message of 17825792 bytes exceeds the limit "
	       "of 16777216");
	kube__grpc_channel_free(ch);
	kube__grpc_options o = { 0 };
	o.max_recv_message = 1000;
	o.max_send_message = 10;
	ch = open_ch(ts_server_unix_target(srv), &o);
	expect(ch, "/test.Test/Stream", "1:1001", KUBE_GRPC_RESOURCE_EXHAUSTED,
	       "grpc: /test.Test/Stream: response message of 1001 bytes exceeds the limit of 1000");
	result r = { 0 };
	ck_assert_int_eq(kube__grpc_unary(ch, "/test.Test/Echo", (const uint8_t *)"01234567890",
	                                  11, 0, unary_cb, &r, NULL), KUBE_ETOOBIG);
	ck_assert_str_eq(kube_error_last()->message,
	                 "grpc: /test.Test/Echo: request message of 11 bytes exceeds the limit of 10");
	/* the connection is still good */
	expect_echo(ch, "0123456789");
	kube_loop_run_once(loop, KUBE_LOOP_NOWAIT);
	ck_assert_int_eq(r.done, 0);   /* a refused call never calls back */
	kube__grpc_channel_free(ch);
}
END_TEST

/* ---- deadlines and cancellation ---- */

START_TEST(test_grpc_deadline_short_and_rst_cancel_sent)
{
	kube__grpc_channel *ch = open_unix();
	expect_echo(ch, "warm");
	result r;
	uint64_t t0 = ms_now();
	call(ch, "/test.Test/Delay", "3000", 100, &r);
	uint64_t took = ms_now() - t0;
	ck_assert_int_eq(r.code, KUBE_GRPC_DEADLINE_EXCEEDED);
	ck_assert_str_eq(r.msg, "grpc: /test.Test/Delay: deadline of 100 ms exceeded");
	ck_assert_msg(took >= 95 && took < 1500, "took %llu ms", (unsigned long long)took);
	/* the server hears RST_STREAM(CANCEL) */
	uint64_t end = ms_now() + 3000;
	while (ts_server_cancels(srv) < 1 && ms_now() < end)
		kube_loop_run_once(loop, KUBE_LOOP_NOWAIT), usleep(1000);
	ck_assert_int_eq(ts_server_cancels(srv), 1);
	/* a delay within the deadline is fine */
	call(ch, "/test.Test/Delay", "50", 2000, &r);
	ck_assert_int_eq(r.code, KUBE_GRPC_OK);
	ck_assert_str_eq((char *)r.resp, "50");
	result_clear(&r);
	kube__grpc_channel_free(ch);
}
END_TEST

START_TEST(test_grpc_cancel_unary)
{
	kube__grpc_channel *ch = open_unix();
	result r = { 0 };
	kube__grpc_call *c = NULL;
	ck_assert_int_eq(kube__grpc_unary(ch, "/test.Test/Silent", (const uint8_t *)"", 0, 0,
	                                  unary_cb, &r, &c), 0);
	ck_assert_ptr_nonnull(c);
	/* let it reach the server, then cancel */
	for (int i = 0; i < 5; i++)
		kube_loop_run_once(loop, KUBE_LOOP_NOWAIT);
	kube__grpc_call_cancel(c);
	ck_assert_int_eq(r.done, 0);   /* later, on the loop */
	run_until(&r.done);
	ck_assert_int_eq(r.code, KUBE_GRPC_CANCELLED);
	ck_assert_str_eq(r.msg, "grpc: /test.Test/Silent: cancelled");
	kube__grpc_call_cancel(NULL);
	/* cancelled before it ever left */
	result r2 = { 0 };
	ck_assert_int_eq(kube__grpc_unary(ch, "/test.Test/Echo", (const uint8_t *)"x", 1, 0,
	                                  unary_cb, &r2, &c), 0);
	kube__grpc_call_cancel(c);
	run_until(&r2.done);
	ck_assert_int_eq(r2.code, KUBE_GRPC_CANCELLED);
	expect_echo(ch, "after cancels");
	kube__grpc_channel_free(ch);
}
END_TEST

static kube__grpc_channel *free_me;
static int freed_in_cb;

static void free_in_cb(const kube__grpc_status *st, const uint8_t *resp, size_t len, void *ud)
{
	unary_cb(st, resp, len, ud);
	if (free_me) {
		kube__grpc_channel_free(free_me);
		free_me = NULL;
		freed_in_cb = 1;
	}
}

START_TEST(test_grpc_channel_free_cancels_open_calls)
{
	kube__grpc_channel *ch = open_unix();
	result a = { 0 }, b = { 0 };
	finish_counter = 0;
	ck_assert_int_eq(kube__grpc_unary(ch, "/test.Test/Silent", (const uint8_t *)"", 0, 0,
	                                  unary_cb, &a, NULL), 0);
	for (int i = 0; i < 5; i++)
		kube_loop_run_once(loop, KUBE_LOOP_NOWAIT);
	ck_assert_int_eq(kube__grpc_unary(ch, "/test.Test/Silent", (const uint8_t *)"", 0, 0,
	                                  unary_cb, &b, NULL), 0);
	kube__grpc_channel_free(ch);
	ck_assert_int_eq(a.done, 1);
	ck_assert_int_eq(b.done, 1);
	ck_assert_int_eq(a.code, KUBE_GRPC_CANCELLED);
	ck_assert_int_eq(b.code, KUBE_GRPC_CANCELLED);
	char want[256];
	snprintf(want, sizeof(want), "grpc: %s: channel closed", ts_server_unix_target(srv));
	ck_assert_str_eq(a.msg, want);
	ck_assert_str_eq(b.msg, want);
	/* freed from inside a callback, while another call is open */
	ch = open_unix();
	result c = { 0 }, d = { 0 };
	free_me = ch;
	freed_in_cb = 0;
	ck_assert_int_eq(kube__grpc_unary(ch, "/test.Test/Silent", (const uint8_t *)"", 0, 0,
	                                  unary_cb, &d, NULL), 0);
	ck_assert_int_eq(kube__grpc_unary(ch, "/test.Test/Echo", (const uint8_t *)"e", 1, 0,
	                                  free_in_cb, &c, NULL), 0);
	run_until(&c.done);
	ck_assert_int_eq(freed_in_cb, 1);
	ck_assert_int_eq(c.code, KUBE_GRPC_OK);
	ck_assert_int_eq(d.done, 1);
	ck_assert_int_eq(d.code, KUBE_GRPC_CANCELLED);
	result_clear(&c);
	for (int i = 0; i < 5; i++)
		kube_loop_run_once(loop, KUBE_LOOP_NOWAIT);
}
END_TEST


START_TEST(test_grpc_refused_stream_retried_once)
{
	kube__grpc_channel *ch = open_unix();
	/* the first try is refused (not processed), the second answers */
	result r;
	call(ch, "/test.Test/RefuseOnce", "retried", 5000, &r);
	ck_assert_int_eq(r.code, KUBE_GRPC_OK);
	ck_assert_str_eq((char *)r.resp, "retried");
	result_clear(&r);
	call(ch, "/test.Test/RefuseOnce", "again", 5000, &r);
	ck_assert_int_eq(r.code, KUBE_GRPC_OK);
	ck_assert_str_eq((char *)r.resp, "again");
	result_clear(&r);
	/* streams are never retried */
	sresult s = { 0 };
	ck_assert_int_eq(kube__grpc_stream(ch, "/test.Test/RefuseOnce", 5000, &s_handlers, &s,
	                                   &s.call), 0);
	kube__grpc_call_send(s.call, (const uint8_t *)"s", 1);
	kube__grpc_call_close_send(s.call);
	run_until(&s.closed);
	ck_assert_int_eq(s.code, KUBE_GRPC_UNAVAILABLE);
	ck_assert_str_eq(s.msg, "grpc: /test.Test/RefuseOnce: stream reset by the server "
	                        "(REFUSED_STREAM)");
	ck_assert_int_eq(ts_server_accepted(srv), 1);
	kube__grpc_channel_free(ch);
}
END_TEST

START_TEST(test_grpc_goaway_drains_open_calls)
{
	kube__grpc_channel *ch = open_unix();
	finish_counter = 0;
	result a = { 0 }, b = { 0 };
	/* long enough that a loaded machine still sees the order below */
	ck_assert_int_eq(kube__grpc_unary(ch, "/test.Test/Delay", (const uint8_t *)"1500", 4, 5000,
	                                  unary_cb, &a, NULL), 0);
	ck_assert_int_eq(kube__grpc_unary(ch, "/test.Test/GoawayThenEcho", (const uint8_t *)"b", 1,
	                                  5000, unary_cb, &b, NULL), 0);
	run_until(&b.done);
	ck_assert_int_eq(b.code, KUBE_GRPC_OK);
	ck_assert_str_eq((char *)b.resp, "b");
	ck_assert_int_eq(a.done, 0);
	/* new calls go to a new connection while the old one drains */
	expect_echo(ch, "on the new connection");
	ck_assert_int_eq(ts_server_accepted(srv), 2);
	run_until(&a.done);
	ck_assert_int_eq(a.code, KUBE_GRPC_OK);
	ck_assert_str_eq((char *)a.resp, "1500");
	ck_assert_int_eq(a.order, 3);
	result_clear(&a);
	result_clear(&b);
	expect_echo(ch, "still the new one");
	ck_assert_int_eq(ts_server_accepted(srv), 2);
	kube__grpc_channel_free(ch);
}
END_TEST

START_TEST(test_grpc_goaway_retries_queued_requests)
{
	/* one stream at a time: the two calls behind the GOAWAY'd one wait in
	 * nghttp2's queue, are never started there, and go to a new connection */
	ts_server_set_max_streams(srv, 1);
	kube__grpc_channel *ch = open_unix();
	expect_echo(ch, "settings known");
	finish_counter = 0;
	result a = { 0 }, b = { 0 }, c = { 0 };
	ck_assert_int_eq(kube__grpc_unary(ch, "/test.Test/GoawayThenEcho", (const uint8_t *)"a", 1,
	                                  5000, unary_cb, &a, NULL), 0);
	ck_assert_int_eq(kube__grpc_unary(ch, "/test.Test/Echo", (const uint8_t *)"b", 1, 5000,
	                                  unary_cb, &b, NULL), 0);
	ck_assert_int_eq(kube__grpc_unary(ch, "/test.Test/Echo", (const uint8_t *)"c", 1, 5000,
	                                  unary_cb, &c, NULL), 0);
	run_until(&a.done);
	run_until(&b.done);
	run_until(&c.done);
	ck_assert_int_eq(a.code, KUBE_GRPC_OK);
	ck_assert_int_eq(b.code, KUBE_GRPC_OK);
	ck_assert_msg(c.code == KUBE_GRPC_OK, "c: %d %s", c.code, c.msg);
	ck_assert_str_eq((char *)b.resp, "b");
	ck_assert_str_eq((char *)c.resp, "c");
	ck_assert_int_eq(ts_server_accepted(srv), 2);
	result_clear(&a);
	result_clear(&b);
	result_clear(&c);
	kube__grpc_channel_free(ch);
}
END_TEST

START_TEST(test_grpc_server_stream_limit_queues_calls)
{
	ts_server_set_max_streams(srv, 4);
	kube__grpc_channel *ch = open_unix();
	enum { N = 40 };
	static result rs[N];
	for (int i = 0; i < N; i++) {
		memset(&rs[i], 0, sizeof(rs[i]));
		ck_assert_int_eq(kube__grpc_unary(ch, "/test.Test/Delay", (const uint8_t *)"20", 2,
		                                  10000, unary_cb, &rs[i], NULL), 0);
	}
	uint64_t t0 = ms_now();
	for (int i = 0; i < N; i++)
		run_until(&rs[i].done);
	uint64_t took = ms_now() - t0;
	for (int i = 0; i < N; i++) {
		ck_assert_int_eq(rs[i].code, KUBE_GRPC_OK);
		result_clear(&rs[i]);
	}
	/* 4 at a time, 20 ms each: at least 10 rounds */
	ck_assert_msg(took >= 190, "took %llu ms", (unsigned long long)took);
	ck_assert_int_eq(ts_server_accepted(srv), 1);
	kube__grpc_channel_free(ch);
}
END_TEST

START_TEST(test_grpc_reconnects_with_backoff_until_the_server_appears)
{
	char dir[] = "/tmp/kube-grpc-late-XXXXXX";
	ck_assert_ptr_nonnull(mkdtemp(dir));
	char path[128], target[160];
	snprintf(path, sizeof(path), "%s/late.sock", dir);
	snprintf(target, sizeof(target), "unix:%s", path);
	kube__grpc_options o = { 0 };
	o.backoff_initial_ms = 20;
	o.backoff_max_ms = 40;
	kube__grpc_channel *ch = open_ch(target, &o);
	result r = { 0 };
	uint64_t t0 = ms_now();
	ck_assert_int_eq(kube__grpc_unary(ch, "/test.Test/Echo", (const uint8_t *)"late", 4, 5000,
	                                  unary_cb, &r, NULL), 0);
	/* several connects fail while the call waits */
	while (ms_now() - t0 < 200)
		kube_loop_run_once(loop, KUBE_LOOP_NOWAIT), usleep(2000);
	ck_assert_int_eq(r.done, 0);
	ts_server *late = ts_server_start_at(path, 0);
	ck_assert_ptr_nonnull(late);
	run_until(&r.done);
	ck_assert_msg(r.code == KUBE_GRPC_OK, "%d %s", r.code, r.msg);
	ck_assert_str_eq((char *)r.resp, "late");
	ck_assert_int_eq(ts_server_accepted(late), 1);
	result_clear(&r);
	kube__grpc_channel_free(ch);
	ts_server_stop(late);
	rmdir(dir);
}
END_TEST

static int count_fds(void)
{
	int n = 0;
	for (int fd = 0; fd < 1024; fd++)
		if (fcntl(fd, F_GETFD) >= 0)
			n++;
	return n;
}

START_TEST(test_grpc_no_descriptor_leaks)
{
	int n0 = count_fds();
	ts_server *local = ts_server_start(0);
	ck_assert_ptr_nonnull(local);
	kube__grpc_options o = { 0 };
	o.backoff_initial_ms = 10;
	kube__grpc_channel *ch = open_ch(ts_server_unix_target(local), &o);
	expect_echo(ch, "one");
	char want[256];
	snprintf(want, sizeof(want), "grpc: %s: connection closed by the server",
	         ts_server_unix_target(local));
	expect(ch, "/test.Test/Drop", "", KUBE_GRPC_UNAVAILABLE, want);
	expect_echo(ch, "two");
	expect(ch, "/test.Test/Goaway", "", KUBE_GRPC_UNAVAILABLE,
	       "grpc: /test.Test/Goaway: stream refused by the server (GOAWAY)");
	ts_server_set_mode(local, TS_MODE_GARBAGE);
	ts_server_drop_all(local);
	for (int i = 0; i < 20; i++)
		usleep(5000), kube_loop_run_once(loop, KUBE_LOOP_NOWAIT);
	expect_prefix(ch, "/test.Test/Echo", "x", 0, KUBE_GRPC_UNAVAILABLE, "grpc: ");
	ts_server_set_mode(local, TS_MODE_NORMAL);
	expect_echo(ch, "three");
	ck_assert_int_ge(ts_server_accepted(local), 5);
	kube__grpc_channel_free(ch);
	ts_server_stop(local);
	ck_assert_int_eq(count_fds(), n0);
}
END_TEST

START_TEST(test_grpc_server_cancel_past_deadline_is_deadline_exceeded)
{
	/* a hand-made server on a socketpair, fed through the receive hook so
	 * the server's RST_STREAM(CANCEL) is read before our own timer runs */
	int sv[2];
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv), 0);
	kube__grpc_channel *ch = open_ch("unix:/nonexistent-kube-dir/x.sock", NULL);
	ck_assert_int_eq(kube__grpc_test_adopt_fd(ch, sv[0]), 0);
	ck_assert_int_eq(kube__grpc_test_adopt_fd(ch, dup(sv[1])), KUBE_EBUSY);
	result a = { 0 }, b = { 0 };
	ck_assert_int_eq(kube__grpc_unary(ch, "/t.T/Late", (const uint8_t *)"x", 1, 50, unary_cb,
	                                  &a, NULL), 0);
	ck_assert_int_eq(kube__grpc_unary(ch, "/t.T/NoDeadline", (const uint8_t *)"x", 1, 0,
	                                  unary_cb, &b, NULL), 0);
	kube_loop_run_once(loop, KUBE_LOOP_NOWAIT);   /* the requests go */
	usleep(80000);
	static const uint8_t frames[] = {
		0, 0, 0, 4, 0, 0, 0, 0, 0,                        /* SETTINGS */
		0, 0, 4, 3, 0, 0, 0, 0, 1, 0, 0, 0, 8,            /* RST_STREAM 1 CANCEL */
		0, 0, 4, 3, 0, 0, 0, 0, 3, 0, 0, 0, 8,            /* RST_STREAM 3 CANCEL */
	};
	ck_assert_int_eq(kube__grpc_test_receive(ch, frames, sizeof(frames)), 0);
	ck_assert_int_eq(a.done, 1);
	ck_assert_int_eq(a.code, KUBE_GRPC_DEADLINE_EXCEEDED);
	ck_assert_str_eq(a.msg, "grpc: /t.T/Late: deadline of 50 ms exceeded");
	ck_assert_int_eq(b.done, 1);
	ck_assert_int_eq(b.code, KUBE_GRPC_CANCELLED);
	ck_assert_str_eq(b.msg, "grpc: /t.T/NoDeadline: stream reset by the server (CANCEL)");
	kube__grpc_channel_free(ch);
	close(sv[1]);
}
END_TEST

START_TEST(test_grpc_churn_every_call_ends_once)
{
	/* calls of every kind, deadlines, cancels and a dropped connection, all
	 * at once: each callback runs exactly once (unary_cb asserts it), and the
	 * channel ends usable */
	kube__grpc_options o = { 0 };
	o.backoff_initial_ms = 5;
	kube__grpc_channel *ch = open_ch(ts_server_unix_target(srv), &o);
	enum { N = 300 };
	static result rs[N];
	kube__grpc_call *calls[N];
	static const char *methods[] = { "/test.Test/Echo", "/test.Test/Delay", "/test.Test/Silent",
	                                 "/test.Test/Rst", "/test.Test/TrailersOnly",
	                                 "/test.Test/Truncated", "/test.Test/Stream" };
	static const char *args[] = { "e", "15", "", "8", "5:x", "", "3" };
	uint32_t rng = 12345;
	for (int i = 0; i < N; i++) {
		rng = rng * 1103515245u + 12345u;
		int m = (int)((rng >> 16) % KUBE_ARRAY_SIZE(methods));
		uint64_t timeout = (rng >> 8) % 3 == 0 ? 0 : 5 + (rng >> 4) % 40;
		if (m == 2 && timeout == 0)
			timeout = 30;   /* Silent needs an end */
		memset(&rs[i], 0, sizeof(rs[i]));
		ck_assert_int_eq(kube__grpc_unary(ch, methods[m], (const uint8_t *)args[m],
		                                  strlen(args[m]), timeout, unary_cb, &rs[i],
		                                  &calls[i]), 0);
		if (i % 7 == 3 && i > 0 && !rs[i - 1].done)
			kube__grpc_call_cancel(calls[i - 1]);
		if (i == N / 2)
			ts_server_drop_all(srv);
		if (i % 10 == 0)
			kube_loop_run_once(loop, KUBE_LOOP_NOWAIT);
	}
	for (int i = 0; i < N; i++)
		run_until(&rs[i].done);
	for (int i = 0; i < N; i++) {
		ck_assert_int_eq(rs[i].done, 1);
		/* only what these methods, deadlines, cancels and the drop make */
		int c = rs[i].code;
		ck_assert_msg(c == KUBE_GRPC_OK || c == KUBE_GRPC_CANCELLED ||
		              c == KUBE_GRPC_DEADLINE_EXCEEDED || c == KUBE_GRPC_NOT_FOUND ||
		              c == KUBE_GRPC_INTERNAL || c == KUBE_GRPC_UNAVAILABLE,
		              "call %d: %d %s", i, c, rs[i].msg);
		result_clear(&rs[i]);
	}
	expect_echo(ch, "after the churn");
	kube__grpc_channel_free(ch);
}
END_TEST

START_TEST(test_grpc_oversized_trailers)
{
	kube__grpc_channel *ch = open_unix();
	expect(ch, "/test.Test/BigTrailers", "", KUBE_GRPC_INTERNAL,
	       "grpc: /test.Test/BigTrailers: response headers exceed 16384 bytes");
	expect_echo(ch, "after big trailers");
	kube__grpc_channel_free(ch);
}
END_TEST

START_TEST(test_grpc_stream_deadline_and_misuse)
{
	kube__grpc_channel *ch = open_unix();
	sresult r = { 0 };
	ck_assert_int_eq(kube__grpc_stream(ch, "/test.Test/Silent", 100, &s_handlers, &r, &r.call),
	                 0);
	ck_assert_int_eq(kube__grpc_call_send(r.call, (const uint8_t *)"x", 1), 0);
	run_until(&r.closed);
	ck_assert_int_eq(r.code, KUBE_GRPC_DEADLINE_EXCEEDED);
	ck_assert_str_eq(r.msg, "grpc: /test.Test/Silent: deadline of 100 ms exceeded");
	ck_assert_int_eq(r.n, 0);
	kube__grpc_stream_handlers no_close = { s_msg, NULL };
	kube__grpc_call *c = NULL;
	ck_assert_int_eq(kube__grpc_stream(ch, "/test.Test/Echo", 0, &no_close, &r, &c),
	                 KUBE_EINVAL);
	ck_assert_int_eq(kube__grpc_stream(ch, "/test.Test/Echo", 0, NULL, &r, &c), KUBE_EINVAL);
	ck_assert_int_eq(kube__grpc_call_send(NULL, (const uint8_t *)"x", 1), KUBE_EINVAL);
	ck_assert_int_eq(kube__grpc_call_close_send(NULL), KUBE_EINVAL);
	result u = { 0 };
	ck_assert_int_eq(kube__grpc_unary(ch, "/test.Test/Echo", NULL, 3, 0, unary_cb, &u, NULL),
	                 KUBE_EINVAL);
	ck_assert_int_eq(kube__grpc_unary(ch, "/test.Test/Echo", NULL, 0, 0, NULL, &u, NULL),
	                 KUBE_EINVAL);
	ck_assert_int_eq(kube__grpc_unary(NULL, "/test.Test/Echo", NULL, 0, 0, unary_cb, &u, NULL),
	                 KUBE_EINVAL);
	/* a huge timeout is as good as none */
	call(ch, "/test.Test/Echo", "far", UINT64_MAX, &u);
	ck_assert_int_eq(u.code, KUBE_GRPC_OK);
	result_clear(&u);
	kube__grpc_channel_free(ch);
}
END_TEST

/* ---- a misbehaving server ---- */

START_TEST(test_grpc_http_status_without_grpc_status)
{
	kube__grpc_channel *ch = open_unix();
	expect(ch, "/test.Test/Http", "404", KUBE_GRPC_UNIMPLEMENTED,
	       "grpc: /test.Test/Http: HTTP status 404 without grpc-status");
	expect(ch, "/test.Test/Http", "503", KUBE_GRPC_UNAVAILABLE,
	       "grpc: /test.Test/Http: HTTP status 503 without grpc-status");
	expect(ch, "/test.Test/Http", "401", KUBE_GRPC_UNAUTHENTICATED,
	       "grpc: /test.Test/Http: HTTP status 401 without grpc-status");
	expect(ch, "/test.Test/Http", "500", KUBE_GRPC_UNKNOWN,
	       "grpc: /test.Test/Http: HTTP status 500 without grpc-status");
	expect_echo(ch, "after http errors");
	kube__grpc_channel_free(ch);
}
END_TEST

START_TEST(test_grpc_wrong_content_type)
{
	kube__grpc_channel *ch = open_unix();
	expect(ch, "/test.Test/WrongType", "", KUBE_GRPC_UNKNOWN,
	       "grpc: /test.Test/WrongType: unexpected content-type \"text/html\"");
	expect_echo(ch, "after wrong type");
	kube__grpc_channel_free(ch);
}
END_TEST

START_TEST(test_grpc_bad_framing)
{
	kube__grpc_channel *ch = open_unix();
	expect(ch, "/test.Test/Truncated", "", KUBE_GRPC_INTERNAL,
	       "grpc: /test.Test/Truncated: response ends inside a message (10 of 100 bytes)");
	expect(ch, "/test.Test/Compressed", "", KUBE_GRPC_INTERNAL,
	       "grpc: /test.Test/Compressed: compressed response message without a negotiated "
	       "grpc-encoding");
	expect(ch, "/test.Test/Compressed", "2", KUBE_GRPC_INTERNAL,
	       "grpc: /test.Test/Compressed: invalid message flag 2");
	expect(ch, "/test.Test/NoTrailers", "", KUBE_GRPC_INTERNAL,
	       "grpc: /test.Test/NoTrailers: server closed the stream without grpc-status");
	expect(ch, "/test.Test/TwoMessages", "", KUBE_GRPC_INTERNAL,
	       "grpc: /test.Test/TwoMessages: more than one response message to a unary call");
	expect(ch, "/test.Test/Empty", "", KUBE_GRPC_INTERNAL,
	       "grpc: /test.Test/Empty: OK without a response message");
	expect_echo(ch, "after bad framing");
	ck_assert_int_eq(ts_server_accepted(srv), 1);   /* stream errors only */
	kube__grpc_channel_free(ch);
}
END_TEST

START_TEST(test_grpc_rst_stream_codes)
{
	kube__grpc_channel *ch = open_unix();
	static const struct { const char *code; int want; const char *name; } t[] = {
		{ "0", KUBE_GRPC_INTERNAL, "NO_ERROR" },
		{ "1", KUBE_GRPC_INTERNAL, "PROTOCOL_ERROR" },
		{ "2", KUBE_GRPC_INTERNAL, "INTERNAL_ERROR" },
		{ "8", KUBE_GRPC_CANCELLED, "CANCEL" },
		{ "11", KUBE_GRPC_RESOURCE_EXHAUSTED, "ENHANCE_YOUR_CALM" },
		{ "12", KUBE_GRPC_PERMISSION_DENIED, "INADEQUATE_SECURITY" },
		/* refused: retried once on the same connection, then given up */
		{ "7", KUBE_GRPC_UNAVAILABLE, "REFUSED_STREAM" },
	};
	for (size_t i = 0; i < KUBE_ARRAY_SIZE(t); i++) {
		char want[128];
		snprintf(want, sizeof(want), "grpc: /test.Test/Rst: stream reset by the server (%s)",
		         t[i].name);
		expect(ch, "/test.Test/Rst", t[i].code, t[i].want, want);
	}
	expect_echo(ch, "after resets");
	kube__grpc_channel_free(ch);
}
END_TEST

START_TEST(test_grpc_connection_drop_and_recovery)
{
	kube__grpc_channel *ch = open_unix();
	expect_echo(ch, "before");
	char want[256];
	snprintf(want, sizeof(want), "grpc: %s: connection closed by the server",
	         ts_server_unix_target(srv));
	/* the server closes the connection in the middle of a call */
	expect(ch, "/test.Test/Drop", "", KUBE_GRPC_UNAVAILABLE, want);
	expect_echo(ch, "reconnected");
	ck_assert_int_eq(ts_server_accepted(srv), 2);
	/* dropped from the outside while a stream and a unary call are open */
	result r = { 0 };
	sresult s = { 0 };
	ck_assert_int_eq(kube__grpc_unary(ch, "/test.Test/Silent", (const uint8_t *)"", 0, 0,
	                                  unary_cb, &r, NULL), 0);
	ck_assert_int_eq(kube__grpc_stream(ch, "/test.Test/Echo", 0, &s_handlers, &s, &s.call), 0);
	for (int i = 0; i < 5; i++)
		kube_loop_run_once(loop, KUBE_LOOP_NOWAIT);
	ts_server_drop_all(srv);
	run_until(&r.done);
	run_until(&s.closed);
	ck_assert_int_eq(r.code, KUBE_GRPC_UNAVAILABLE);
	ck_assert_str_eq(r.msg, want);
	ck_assert_int_eq(s.code, KUBE_GRPC_UNAVAILABLE);
	ck_assert_str_eq(s.msg, want);
	expect_echo(ch, "reconnected again");
	ck_assert_int_eq(ts_server_accepted(srv), 3);
	kube__grpc_channel_free(ch);
}
END_TEST

/* Drops the server's connections and lets the client notice. */
static void settle_after_drop(void)
{
	ts_server_drop_all(srv);
	for (int i = 0; i < 20; i++) {
		usleep(5000);
		kube_loop_run_once(loop, KUBE_LOOP_NOWAIT);
	}
}

START_TEST(test_grpc_goaway)
{
	kube__grpc_channel *ch = open_unix();
	expect_echo(ch, "first");
	/* the server GOAWAYs naming the stream before: this one is refused,
	 * retried once on a new connection, refused there too */
	expect(ch, "/test.Test/Goaway", "", KUBE_GRPC_UNAVAILABLE,
	       "grpc: /test.Test/Goaway: stream refused by the server (GOAWAY)");
	ck_assert_int_eq(ts_server_accepted(srv), 2);
	/* new calls go to a new connection */
	expect_echo(ch, "after goaway");
	ck_assert_int_eq(ts_server_accepted(srv), 3);
	/* a server that GOAWAYs every connection at once */
	ts_server_set_mode(srv, TS_MODE_GOAWAY);
	settle_after_drop();
	int before = ts_server_accepted(srv);
	expect(ch, "/test.Test/Echo", "x", KUBE_GRPC_UNAVAILABLE,
	       "grpc: /test.Test/Echo: stream refused by the server (GOAWAY)");
	ck_assert_int_eq(ts_server_accepted(srv), before + 2);   /* tried twice */
	ts_server_set_mode(srv, TS_MODE_NORMAL);
	expect_echo(ch, "recovered");
	kube__grpc_channel_free(ch);
}
END_TEST

START_TEST(test_grpc_garbage_after_preface)
{
	kube__grpc_channel *ch = open_unix();
	ts_server_set_mode(srv, TS_MODE_GARBAGE);
	char want[256];
	snprintf(want, sizeof(want), "grpc: %s: ", ts_server_unix_target(srv));
	expect_prefix(ch, "/test.Test/Echo", "x", 0, KUBE_GRPC_UNAVAILABLE, want);
	/* never a working connection: the channel is in backoff, and a call
	 * with a deadline waits through it for the server to be fixed */
	ts_server_set_mode(srv, TS_MODE_NORMAL);
	expect_echo(ch, "fixed");
	kube__grpc_channel_free(ch);
}
END_TEST

START_TEST(test_grpc_malformed_frames)
{
	kube__grpc_channel *ch = open_unix();
	static const char *kinds[] = { "hpack", "data0", "badsettings" };
	for (size_t i = 0; i < KUBE_ARRAY_SIZE(kinds); i++) {
		char want[256];
		snprintf(want, sizeof(want), "grpc: %s: ", ts_server_unix_target(srv));
		expect_prefix(ch, "/test.Test/Malformed", kinds[i], 5000, KUBE_GRPC_UNAVAILABLE, want);
		expect_echo(ch, "after malformed");
	}
	kube__grpc_channel_free(ch);
}
END_TEST

START_TEST(test_grpc_unreachable_target)
{
	kube__grpc_options o = { 0 };
	o.backoff_initial_ms = 20;
	o.backoff_max_ms = 40;
	kube__grpc_channel *ch = open_ch("unix:/nonexistent-kube-dir/grpc.sock", &o);
	/* no deadline: fails at once */
	expect_prefix(ch, "/test.Test/Echo", "x", 0, KUBE_GRPC_UNAVAILABLE,
	       "grpc: unix:/nonexistent-kube-dir/grpc.sock: connect: No such file or directory");
	/* with a deadline: keeps trying (backoff) until the deadline */
	result r;
	uint64_t t0 = ms_now();
	call(ch, "/test.Test/Echo", "x", 300, &r);
	uint64_t took = ms_now() - t0;
	ck_assert_int_eq(r.code, KUBE_GRPC_DEADLINE_EXCEEDED);
	ck_assert_str_eq(r.msg, "grpc: /test.Test/Echo: deadline of 300 ms exceeded");
	ck_assert_msg(took >= 290, "took %llu", (unsigned long long)took);
	kube__grpc_channel_free(ch);
	/* a TCP port nobody listens on */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_ge(fd, 0);
	ch = open_ch("127.0.0.1:1", &o);
	expect_prefix(ch, "/test.Test/Echo", "x", 0, KUBE_GRPC_UNAVAILABLE,
	              "grpc: 127.0.0.1:1: connect: Connection refused");
	kube__grpc_channel_free(ch);
	close(fd);
}
END_TEST

static Suite *grpc_suite(void)
{
	Suite *s = suite_create("grpc");
	TCase *pure = tcase_create("pure");
	tcase_add_test(pure, test_grpc_code_names_and_kube_codes);
	tcase_add_test(pure, test_grpc_status_error_message);
	tcase_add_test(pure, test_grpc_http_and_rst_mapping);
	tcase_add_test(pure, test_grpc_timeout_format);
	tcase_add_test(pure, test_grpc_percent_decode_and_status_parse);
	suite_add_tcase(s, pure);

	TCase *tc = tcase_create("calls");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_grpc_channel_new_rejects_bad_targets);
	tcase_add_test(tc, test_grpc_unary_echo_unix);
	tcase_add_test(tc, test_grpc_unary_echo_tcp);
	tcase_add_test(tc, test_grpc_unary_sync);
	tcase_add_test(tc, test_grpc_request_headers);
	tcase_add_test(tc, test_grpc_status_from_trailers);
	tcase_add_test(tc, test_grpc_trailers_only);
	tcase_add_test(tc, test_grpc_server_streaming);
	tcase_add_test(tc, test_grpc_bidi_interleaves);
	tcase_add_test(tc, test_grpc_cancel_inside_on_message);
	tcase_add_test(tc, test_grpc_concurrent_streams_one_connection);
	tcase_add_test(tc, test_grpc_large_messages);
	tcase_add_test(tc, test_grpc_message_limits);
	tcase_add_test(tc, test_grpc_deadline_short_and_rst_cancel_sent);
	tcase_add_test(tc, test_grpc_cancel_unary);
	tcase_add_test(tc, test_grpc_channel_free_cancels_open_calls);
	tcase_add_test(tc, test_grpc_refused_stream_retried_once);
	tcase_add_test(tc, test_grpc_goaway_drains_open_calls);
	tcase_add_test(tc, test_grpc_server_stream_limit_queues_calls);
	tcase_add_test(tc, test_grpc_goaway_retries_queued_requests);
	tcase_add_test(tc, test_grpc_stream_deadline_and_misuse);
	suite_add_tcase(s, tc);

	TCase *bad = tcase_create("misbehaving server");
	tcase_add_checked_fixture(bad, setup, teardown);
	tcase_set_timeout(bad, 30);
	tcase_add_test(bad, test_grpc_http_status_without_grpc_status);
	tcase_add_test(bad, test_grpc_wrong_content_type);
	tcase_add_test(bad, test_grpc_bad_framing);
	tcase_add_test(bad, test_grpc_rst_stream_codes);
	tcase_add_test(bad, test_grpc_connection_drop_and_recovery);
	tcase_add_test(bad, test_grpc_goaway);
	tcase_add_test(bad, test_grpc_garbage_after_preface);
	tcase_add_test(bad, test_grpc_malformed_frames);
	tcase_add_test(bad, test_grpc_unreachable_target);
	tcase_add_test(bad, test_grpc_oversized_trailers);
	tcase_add_test(bad, test_grpc_churn_every_call_ends_once);
	tcase_add_test(bad, test_grpc_server_cancel_past_deadline_is_deadline_exceeded);
	tcase_add_test(bad, test_grpc_no_descriptor_leaks);
	tcase_add_test(bad, test_grpc_reconnects_with_backoff_until_the_server_appears);
	suite_add_tcase(s, bad);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(grpc_suite());
	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
