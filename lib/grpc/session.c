/*
 * session.c - the response side of a call: nghttp2's callbacks.
 *
 * nghttp2 parses frames and HPACK; these callbacks turn what it reports
 * into gRPC: response headers and trailers into a status (grpc-status, or
 * the HTTP status mapping when there is none, or the content-type check),
 * DATA chunks into length-prefixed messages (5-byte prefix, flag 0 only,
 * the size limit checked on the prefix, before anything is buffered),
 * resets and GOAWAY into the RST_STREAM mapping and retries.
 *
 * Every callback finds its call through the stream's user data and ignores
 * calls that have ended (stream_call): a call stays attached until nghttp2
 * closes the stream, so late frames for it are normal.  Ending a call never
 * runs its callback here; it is queued (kube__grpc_finish).  on_message of a
 * stream is the exception, called as messages complete.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "channel_private.h"

typedef kube__grpc_conn conn;

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The live call on a stream of this connection, or NULL. */
static kube__grpc_call *stream_call(nghttp2_session *ng, int32_t id, void *conn_ud)
{
	kube__grpc_call *call = nghttp2_session_get_stream_user_data(ng, id);
	return call && !call->finished && call->conn == conn_ud ? call : NULL;
}

ssize_t kube__grpc_body_read(nghttp2_session *ng, int32_t stream_id, uint8_t *buf, size_t length,
                         uint32_t *data_flags, nghttp2_data_source *source, void *user_data)
{
	kube__grpc_call *call = source->ptr;
	if (call->finished)
		return NGHTTP2_ERR_DEFERRED;
	size_t avail = call->slen - call->soff;
	size_t n = avail < length ? avail : length;
	if (n) {
		memcpy(buf, call->sbuf + call->soff, n);
		call->soff += n;
	}
	if (call->soff == call->slen) {
		/* a unary body stays whole, so a refused call can go again */
		if (!call->unary)
			call->soff = call->slen = 0;
		if (call->send_closed)
			*data_flags |= NGHTTP2_DATA_FLAG_EOF;
		else if (n == 0) {
			call->deferred = 1;
			return NGHTTP2_ERR_DEFERRED;
		}
	}
	return (ssize_t)n;
}

static int on_begin_headers(nghttp2_session *ng, const nghttp2_frame *frame, void *ud)
{
	kube__grpc_call *call = stream_call(ng, frame->hd.stream_id, ud);
	if (call)
		call->header_bytes = 0;
	return 0;
}

static int keep_str(char **dst, const uint8_t *v, size_t n)
{
	kube_free(*dst);
	*dst = kube_malloc(n + 1);
	if (*dst) {
		memcpy(*dst, v, n);
		(*dst)[n] = '\0';
	}
	return *dst ? 0 : NGHTTP2_ERR_CALLBACK_FAILURE;
}

static int on_header(nghttp2_session *ng, const nghttp2_frame *frame, const uint8_t *name,
                     size_t namelen, const uint8_t *value, size_t valuelen, uint8_t flags,
                     void *ud)
{
	if (frame->hd.type != NGHTTP2_HEADERS)
		return 0;
	kube__grpc_call *call = stream_call(ng, frame->hd.stream_id, ud);
	if (!call)
		return 0;
	call->header_bytes += namelen + valuelen + 32;
	if (call->header_bytes > MAX_HEADER_BYTES) {
		kube__grpc_finish(call, KUBE_GRPC_INTERNAL, NGHTTP2_CANCEL,
		                  "grpc: %s: response headers exceed %u bytes", call->method,
		                  MAX_HEADER_BYTES);
		return 0;
	}
#define IS(s) (namelen == sizeof(s) - 1 && memcmp(name, s, sizeof(s) - 1) == 0)
	if (IS(":status")) {
		int st = 0;
		for (size_t i = 0; i < valuelen && i < 3; i++)
			st = st * 10 + (value[i] - '0');   /* nghttp2 checked: 3 digits */
		call->http_status = st;
	} else if (IS("content-type")) {
		return keep_str(&call->content_type, value, valuelen);
	} else if (IS("grpc-status")) {
		int v = kube__grpc_parse_status((const char *)value, valuelen);
		call->grpc_status = v < 0 ? -2 : v;
	} else if (IS("grpc-message")) {
		return keep_str(&call->grpc_message, value, valuelen);
	}
#undef IS
	return 0;
}

static int content_type_ok(const char *ct)
{
	/* "application/grpc", optionally followed by "+proto" or ";..." */
	static const char pre[] = "application/grpc";
	if (!ct || strncmp(ct, pre, sizeof(pre) - 1) != 0)
		return 0;
	char c = ct[sizeof(pre) - 1];
	return c == '\0' || c == '+' || c == ';';
}

/* The response ended (END_STREAM): the status it carries. */
static void call_end(kube__grpc_call *call)
{
	int rst = call->eos_sent ? -1 : NGHTTP2_NO_ERROR;   /* early server closure */
	const char *m = call->method;
	if (call->http_status != 200) {
		if (call->grpc_status < 0) {
			kube__grpc_finish(call, kube__grpc_code_from_http(call->http_status), rst,
			                  "grpc: %s: HTTP status %d without grpc-status", m,
			                  call->http_status);
			return;
		}
	} else if (!content_type_ok(call->content_type)) {
		kube__grpc_finish(call, KUBE_GRPC_UNKNOWN, rst, "grpc: %s: unexpected content-type \"%s\"",
		                  m, call->content_type ? call->content_type : "");
		return;
	}
	if (call->grpc_status == -1) {
		kube__grpc_finish(call, KUBE_GRPC_INTERNAL, rst,
		                  "grpc: %s: server closed the stream without grpc-status", m);
		return;
	}
	if (call->grpc_status == -2) {
		kube__grpc_finish(call, KUBE_GRPC_INTERNAL, rst, "grpc: %s: malformed grpc-status", m);
		return;
	}
	int code = call->grpc_status > KUBE_GRPC_UNAUTHENTICATED ? KUBE_GRPC_UNKNOWN
	                                                        : call->grpc_status;
	if (code == KUBE_GRPC_OK) {
		if (call->hdr_have || call->in_msg) {
			kube__grpc_finish(call, KUBE_GRPC_INTERNAL, rst,
			                  "grpc: %s: response ends inside a message (%zu of %zu bytes)", m,
			                  call->in_msg ? call->rhave : call->hdr_have,
			                  call->in_msg ? call->rlen : (size_t)5);
			return;
		}
		if (call->unary && call->nresp == 0) {
			kube__grpc_finish(call, KUBE_GRPC_INTERNAL, rst,
			                  "grpc: %s: OK without a response message", m);
			return;
		}
		kube__grpc_finish(call, KUBE_GRPC_OK, rst, "%s", "");
		return;
	}
	const char *raw = call->grpc_message ? call->grpc_message : "";
	size_t n = strlen(raw);
	char *dec = kube_malloc(n + 1);
	if (dec)
		kube__grpc_percent_decode(raw, n, dec);
	kube__grpc_finish(call, code, rst, "%s", dec ? dec : raw);
	kube_free(dec);
}

static void deliver_msg(kube__grpc_call *call, const uint8_t *msg, size_t len, uint8_t *owned)
{
	if (call->unary) {
		call->nresp++;
		if (owned) {
			call->resp = owned;
			call->rbuf = NULL;
		} else {
			call->resp = kube_malloc(len ? len : 1);
			if (!call->resp) {
				kube__grpc_finish(call, KUBE_GRPC_RESOURCE_EXHAUSTED, NGHTTP2_CANCEL,
				                  "grpc: %s: out of memory for a %zu-byte response", call->method,
				                  len);
				return;
			}
			memcpy(call->resp, msg, len);
		}
		call->resp_len = len;
		return;
	}
	if (call->h.on_message)
		call->h.on_message(call, msg, len, call->ud);
}

static int on_data_chunk(nghttp2_session *ng, uint8_t flags, int32_t stream_id,
                         const uint8_t *data, size_t len, void *ud)
{
	kube__grpc_call *call = stream_call(ng, stream_id, ud);
	while (call && !call->finished && len > 0) {
		if (!call->in_msg) {
			size_t take = 5 - call->hdr_have;
			if (take > len)
				take = len;
			memcpy(call->hdr + call->hdr_have, data, take);
			call->hdr_have += take;
			data += take;
			len -= take;
			if (call->hdr_have < 5)
				break;
			call->hdr_have = 0;
			uint8_t flag = call->hdr[0];
			uint32_t mlen = get_be32(call->hdr + 1);
			if (flag == 1) {
				kube__grpc_finish(call, KUBE_GRPC_INTERNAL, NGHTTP2_CANCEL,
				                  "grpc: %s: compressed response message without a negotiated "
				                  "grpc-encoding", call->method);
				break;
			}
			if (flag != 0) {
				kube__grpc_finish(call, KUBE_GRPC_INTERNAL, NGHTTP2_CANCEL,
				                  "grpc: %s: invalid message flag %u", call->method, flag);
				break;
			}
			if (mlen > call->ch->max_recv) {
				kube__grpc_finish(call, KUBE_GRPC_RESOURCE_EXHAUSTED, NGHTTP2_CANCEL,
				                  "grpc: %s: response message of %u bytes exceeds the limit "
				                  "of %zu", call->method, mlen, call->ch->max_recv);
				break;
			}
			if (call->unary && call->nresp > 0) {
				kube__grpc_finish(call, KUBE_GRPC_INTERNAL, NGHTTP2_CANCEL,
				                  "grpc: %s: more than one response message to a unary call",
				                  call->method);
				break;
			}
			if (len >= mlen) {
				/* whole in this chunk: no copy for streams */
				deliver_msg(call, data, mlen, NULL);
				data += mlen;
				len -= mlen;
				continue;
			}
			call->rbuf = kube_malloc(mlen);
			if (!call->rbuf) {
				kube__grpc_finish(call, KUBE_GRPC_RESOURCE_EXHAUSTED, NGHTTP2_CANCEL,
				                  "grpc: %s: out of memory for a %u-byte response",
				                  call->method, mlen);
				break;
			}
			call->in_msg = 1;
			call->rlen = mlen;
			call->rhave = 0;
		}
		size_t take = call->rlen - call->rhave;
		if (take > len)
			take = len;
		memcpy(call->rbuf + call->rhave, data, take);
		call->rhave += take;
		data += take;
		len -= take;
		if (call->rhave == call->rlen) {
			call->in_msg = 0;
			uint8_t *m = call->rbuf;
			if (call->unary) {
				deliver_msg(call, m, call->rlen, m);
			} else {
				call->rbuf = NULL;
				deliver_msg(call, m, call->rlen, NULL);
				kube_free(m);
			}
		}
	}
	return 0;
}

static int on_frame_recv(nghttp2_session *ng, const nghttp2_frame *frame, void *ud)
{
	conn *c = ud;
	switch (frame->hd.type) {
	case NGHTTP2_SETTINGS:
		if (!(frame->hd.flags & NGHTTP2_FLAG_ACK)) {
			c->ready = 1;
			c->ch->backoff_ms = 0;
		}
		return 0;
	case NGHTTP2_GOAWAY:
		c->goaway = 1;
		c->goaway_error = frame->goaway.error_code;
		if (c->ch->cur == c)
			c->ch->cur = NULL;
		return 0;
	case NGHTTP2_RST_STREAM: {
		kube__grpc_call *call = stream_call(ng, frame->hd.stream_id, ud);
		if (call)
			call->rst_recv = 1;
		return 0;
	}
	case NGHTTP2_HEADERS: {
		kube__grpc_call *call = stream_call(ng, frame->hd.stream_id, ud);
		if (!call)
			return 0;
		int end = frame->hd.flags & NGHTTP2_FLAG_END_STREAM;
		if (frame->headers.cat == NGHTTP2_HCAT_RESPONSE) {
			if (call->http_status >= 100 && call->http_status < 200 && !end) {
				call->http_status = 0;   /* informational: the real one follows */
				return 0;
			}
			call->resp_headers = 1;
			if (!end) {
				if (call->http_status != 200 && call->grpc_status < 0) {
					kube__grpc_finish(call, kube__grpc_code_from_http(call->http_status),
					                  NGHTTP2_CANCEL, "grpc: %s: HTTP status %d without grpc-status",
					                  call->method, call->http_status);
				} else if (!content_type_ok(call->content_type)) {
					kube__grpc_finish(call, kube__grpc_code_from_http(call->http_status),
					                  NGHTTP2_CANCEL, "grpc: %s: unexpected content-type \"%s\"",
					                  call->method, call->content_type ? call->content_type : "");
				}
				return 0;
			}
		}
		if (end)
			call_end(call);
		return 0;
	}
	case NGHTTP2_DATA: {
		kube__grpc_call *call = stream_call(ng, frame->hd.stream_id, ud);
		if (call && (frame->hd.flags & NGHTTP2_FLAG_END_STREAM))
			call_end(call);
		return 0;
	}
	default:
		return 0;
	}
}

static int on_frame_send(nghttp2_session *ng, const nghttp2_frame *frame, void *ud)
{
	kube__grpc_call *call;
	switch (frame->hd.type) {
	case NGHTTP2_HEADERS:
		call = nghttp2_session_get_stream_user_data(ng, frame->hd.stream_id);
		if (call)
			call->headers_sent = 1;
		if (call && (frame->hd.flags & NGHTTP2_FLAG_END_STREAM))
			call->eos_sent = 1;
		break;
	case NGHTTP2_DATA:
		call = nghttp2_session_get_stream_user_data(ng, frame->hd.stream_id);
		if (call && (frame->hd.flags & NGHTTP2_FLAG_END_STREAM))
			call->eos_sent = 1;
		break;
	default:
		break;
	}
	return 0;
}

static int on_frame_not_send(nghttp2_session *ng, const nghttp2_frame *frame, int lib_error,
                             void *ud)
{
	conn *c = ud;
	if (frame->hd.type != NGHTTP2_HEADERS)
		return 0;
	/* A stream nghttp2 knows gets on_stream_close, which ends the call. */
	if (nghttp2_session_find_stream(ng, frame->hd.stream_id))
		return 0;
	/* A request nghttp2 would not start (GOAWAY came, ids ran out): the
	 * stream never opened, so the call is found by its id. */
	for (kube__grpc_call *call = c->calls; call; call = call->next) {
		if (call->stream_id != frame->hd.stream_id)
			continue;
		if (!call->finished) {
			if (kube__grpc_may_retry_unsent(call)) {
				kube__grpc_detach(call);
				kube__grpc_requeue(c->ch, call);
				kube__grpc_kick(c->ch);
				return 0;
			}
			kube__grpc_finish(call, KUBE_GRPC_UNAVAILABLE, -1,
			                  "grpc: %s: the server refuses new streams (%s)", call->method,
			                  nghttp2_strerror(lib_error));
		}
		kube__grpc_detach(call);
		return 0;
	}
	return 0;
}

static int on_stream_close(nghttp2_session *ng, int32_t stream_id, uint32_t error_code,
                           void *ud)
{
	conn *c = ud;
	kube__grpc_call *call = nghttp2_session_get_stream_user_data(ng, stream_id);
	if (!call || call->conn != c)
		return 0;
	if (!call->finished) {
		if (error_code == NGHTTP2_REFUSED_STREAM && kube__grpc_may_retry(call)) {
			/* not processed, the spec says: safe to send again */
			kube__grpc_detach(call);
			kube__grpc_requeue(c->ch, call);
			kube__grpc_kick(c->ch);
			return 0;
		}
		int code = kube__grpc_code_from_rst(error_code);
		if (code == KUBE_GRPC_CANCELLED && call->deadline_ns) {
			/* the server's clock ran out first: the spec asks clients to
			 * report that as our deadline, with a message of our own */
			struct timespec ts;
			clock_gettime(CLOCK_MONOTONIC, &ts);
			uint64_t now = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
			if (now + 1000000u >= call->deadline_ns) {   /* 1 ms of clock skew */
				kube__grpc_finish(call, KUBE_GRPC_DEADLINE_EXCEEDED, -1,
				                  "grpc: %s: deadline of %llu ms exceeded", call->method,
				                  (unsigned long long)call->timeout_ms);
				kube__grpc_detach(call);
				return 0;
			}
		}
		if (call->rst_recv)
			kube__grpc_finish(call, code, -1, "grpc: %s: stream reset by the server (%s)",
			                  call->method, nghttp2_http2_strerror(error_code));
		else if (error_code == NGHTTP2_REFUSED_STREAM)
			kube__grpc_finish(call, code, -1, "grpc: %s: stream refused by the server (GOAWAY)",
			                  call->method);
		else
			kube__grpc_finish(call, code, -1, "grpc: %s: stream closed (%s)%s%s", call->method,
			                  nghttp2_http2_strerror(error_code), c->err[0] ? ": " : "", c->err);
	}
	kube__grpc_detach(call);
	return 0;
}

static int on_error(nghttp2_session *ng, int lib_error_code, const char *msg, size_t len,
                    void *ud)
{
	conn *c = ud;
	if (!c->err[0])
		snprintf(c->err, sizeof(c->err), "%.*s", (int)len, msg);
	return 0;
}

nghttp2_session_callbacks *kube__grpc_session_callbacks(void)
{
	nghttp2_session_callbacks *cbs;
	if (nghttp2_session_callbacks_new(&cbs) != 0)
		return NULL;
	nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, on_begin_headers);
	nghttp2_session_callbacks_set_on_header_callback(cbs, on_header);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, on_data_chunk);
	nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, on_frame_recv);
	nghttp2_session_callbacks_set_on_frame_send_callback(cbs, on_frame_send);
	nghttp2_session_callbacks_set_on_frame_not_send_callback(cbs, on_frame_not_send);
	nghttp2_session_callbacks_set_on_stream_close_callback(cbs, on_stream_close);
	nghttp2_session_callbacks_set_error_callback2(cbs, on_error);
	return cbs;
}
