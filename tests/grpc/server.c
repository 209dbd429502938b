/*
 * server.c - the gRPC test server (see server.h for what each method does).
 *
 * One thread, one poll() over the listening sockets, a wakeup pipe and the
 * connections.  Each connection is an nghttp2 server session; its output is
 * gathered into a buffer and written when the socket takes it.  Misbehaving
 * methods either use nghttp2 in ways a real server would not (trailers-only
 * errors, bad prefixes, resets) or append raw bytes behind nghttp2's output
 * (broken frames).  Delays are deadlines checked each poll round.
 *
 * This is test code: it keeps things simple (linear lists, fixed caps) and
 * never frees a stream before its connection goes.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <nghttp2/nghttp2.h>

#include "server.h"

#define TS_MAX_CONNS 64

typedef struct ts_stream ts_stream;
typedef struct ts_conn ts_conn;

struct ts_stream {
	ts_stream *prev, *next;
	ts_conn *conn;
	int32_t id;
	char path[128];
	char headers[2048];          /* "name: value\n" ... */
	size_t hlen;
	uint8_t *req;                /* request bytes (framed) */
	size_t req_len, req_cap, req_off;   /* req_off: echoed so far */
	uint8_t *out;                /* response body queued */
	size_t out_len, out_off, out_cap;
	int responded;               /* response HEADERS submitted */
	int want_end;                /* trailers once out drains */
	int no_trailers;             /* END_STREAM on DATA instead */
	int deferred;
	char status[8];
	char message[256];
	const char *big_message;     /* BigTrailers: a static 20,000-byte one */
	uint64_t wake_at;            /* Delay: ms clock, 0 = none */
	int ended;                   /* client END_STREAM seen */
};

struct ts_conn {
	int fd;
	nghttp2_session *ng;
	uint8_t *out;
	size_t olen, ooff, ocap;
	int mode;
	size_t preface_have;
	int dead;
	int close_after_flush;
	ts_stream *streams;
	int delayed;                 /* streams waiting on wake_at */
	ts_server *srv;
};

struct ts_server {
	pthread_t thr;
	int lfd_unix, lfd_tcp;
	int wake[2];
	char dir[64];
	char path[128];
	char unix_target[160];
	char tcp_target[64];
	ts_conn *conns[TS_MAX_CONNS];
	atomic_int mode;
	atomic_int max_streams;
	atomic_int refuse_toggle;
	atomic_int accepted;
	atomic_int cancels;
	atomic_int drop;
	atomic_int stop;
};

static uint64_t ms_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void grow(uint8_t **b, size_t *cap, size_t need)
{
	if (need <= *cap)
		return;
	size_t n = *cap ? *cap : 1024;
	while (n < need)
		n *= 2;
	*b = realloc(*b, n);
	if (!*b)
		abort();
	*cap = n;
}

static void out_put(ts_conn *c, const void *p, size_t n)
{
	grow(&c->out, &c->ocap, c->olen + n);
	memcpy(c->out + c->olen, p, n);
	c->olen += n;
}

static void stream_put(ts_stream *st, const void *p, size_t n)
{
	grow(&st->out, &st->out_cap, st->out_len + n);
	memcpy(st->out + st->out_len, p, n);
	st->out_len += n;
}

static void stream_put_msg(ts_stream *st, uint8_t flag, const void *p, size_t n)
{
	uint8_t h[5] = { flag, (uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8),
	                 (uint8_t)n };
	stream_put(st, h, 5);
	if (n)
		stream_put(st, p, n);
}

/* ---- responding ---- */

static ssize_t body_read(nghttp2_session *ng, int32_t id, uint8_t *buf, size_t len,
                         uint32_t *flags, nghttp2_data_source *src, void *ud)
{
	ts_stream *st = src->ptr;
	size_t avail = st->out_len - st->out_off;
	size_t n = avail < len ? avail : len;
	if (n)
		memcpy(buf, st->out + st->out_off, n);
	st->out_off += n;
	if (st->out_off == st->out_len) {
		st->out_off = st->out_len = 0;
		if (st->want_end) {
			*flags |= NGHTTP2_DATA_FLAG_EOF;
			if (!st->no_trailers) {
				*flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
				nghttp2_nv tr[2];
				size_t nt = 0;
				tr[nt++] = (nghttp2_nv){ (uint8_t *)"grpc-status", (uint8_t *)st->status, 11,
				                         strlen(st->status), NGHTTP2_NV_FLAG_NONE };
				const char *m = st->big_message ? st->big_message : st->message;
				if (m[0])
					tr[nt++] = (nghttp2_nv){ (uint8_t *)"grpc-message", (uint8_t *)m, 12,
					                         strlen(m), NGHTTP2_NV_FLAG_NONE };
				nghttp2_submit_trailer(ng, id, tr, nt);
			}
		} else if (n == 0) {
			st->deferred = 1;
			return NGHTTP2_ERR_DEFERRED;
		}
	}
	return (ssize_t)n;
}

static void respond(ts_stream *st, const char *status, const char *ctype)
{
	if (st->responded)
		return;
	st->responded = 1;
	nghttp2_nv nv[2] = {
		{ (uint8_t *)":status", (uint8_t *)status, 7, strlen(status), NGHTTP2_NV_FLAG_NONE },
		{ (uint8_t *)"content-type", (uint8_t *)ctype, 12, strlen(ctype),
		  NGHTTP2_NV_FLAG_NONE },
	};
	nghttp2_data_provider dp;
	dp.source.ptr = st;
	dp.read_callback = body_read;
	nghttp2_submit_response(st->conn->ng, st->id, nv, 2, &dp);
}

static void kick(ts_stream *st)
{
	if (st->deferred) {
		st->deferred = 0;
		nghttp2_session_resume_data(st->conn->ng, st->id);
	}
}

/* Ends the stream with trailers (after what is queued). */
static void finish(ts_stream *st, int code, const char *raw_message)
{
	respond(st, "200", "application/grpc");
	snprintf(st->status, sizeof(st->status), "%d", code);
	snprintf(st->message, sizeof(st->message), "%s", raw_message ? raw_message : "");
	st->want_end = 1;
	kick(st);
}

/* The request's first message as a NUL-terminated string ("" if none). */
static void first_arg(ts_stream *st, char *buf, size_t cap)
{
	buf[0] = '\0';
	if (st->req_len < 5)
		return;
	uint32_t n = (uint32_t)st->req[1] << 24 | (uint32_t)st->req[2] << 16 |
	             (uint32_t)st->req[3] << 8 | st->req[4];
	if (st->req_len < 5 + (size_t)n)
		return;
	if (n >= cap)
		n = (uint32_t)cap - 1;
	memcpy(buf, st->req + 5, n);
	buf[n] = '\0';
}

static void flush_session(ts_conn *c)
{
	for (;;) {
		const uint8_t *p;
		ssize_t n = nghttp2_session_mem_send(c->ng, &p);
		if (n <= 0)
			break;
		out_put(c, p, (size_t)n);
	}
}

static void raw_frame(ts_conn *c, uint8_t type, uint8_t flags, uint32_t sid, const void *p,
                      size_t n)
{
	uint8_t h[9] = { (uint8_t)(n >> 16), (uint8_t)(n >> 8), (uint8_t)n, type, flags,
	                 (uint8_t)(sid >> 24), (uint8_t)(sid >> 16), (uint8_t)(sid >> 8),
	                 (uint8_t)sid };
	flush_session(c);
	out_put(c, h, 9);
	if (n)
		out_put(c, p, n);
}

static int is(const ts_stream *st, const char *m)
{
	return strcmp(st->path, m) == 0;
}

/* The client's whole request is in (END_STREAM), or the delay is over. */
static void on_request(ts_stream *st)
{
	ts_conn *c = st->conn;
	char arg[256];
	first_arg(st, arg, sizeof(arg));
	if (is(st, "/test.Test/Echo")) {
		finish(st, 0, NULL);
	} else if (is(st, "/test.Test/Stream")) {
		int n = atoi(arg);
		const char *colon = strchr(arg, ':');
		size_t size = colon ? (size_t)atol(colon + 1) : 0;
		respond(st, "200", "application/grpc");
		for (int i = 0; i < n; i++) {
			if (colon) {
				uint8_t *b = malloc(size ? size : 1);
				memset(b, 'x', size);
				stream_put_msg(st, 0, b, size);
				free(b);
			} else {
				char m[32];
				int l = snprintf(m, sizeof(m), "msg-%d", i);
				stream_put_msg(st, 0, m, (size_t)l);
			}
		}
		finish(st, 0, NULL);
	} else if (is(st, "/test.Test/Delay")) {
		if (!st->wake_at) {
			st->wake_at = ms_now() + (uint64_t)atol(arg);
			c->delayed++;
			return;
		}
		respond(st, "200", "application/grpc");
		stream_put_msg(st, 0, arg, strlen(arg));
		finish(st, 0, NULL);
	} else if (is(st, "/test.Test/Headers")) {
		respond(st, "200", "application/grpc");
		stream_put_msg(st, 0, st->headers, st->hlen);
		finish(st, 0, NULL);
	} else if (is(st, "/test.Test/Status") || is(st, "/test.Test/TrailersOnly")) {
		char *colon = strchr(arg, ':');
		const char *msg = colon ? colon + 1 : "";
		if (colon)
			*colon = '\0';
		if (is(st, "/test.Test/Status")) {
			finish(st, atoi(arg), msg);
			return;
		}
		st->responded = 1;
		nghttp2_nv nv[4] = {
			{ (uint8_t *)":status", (uint8_t *)"200", 7, 3, 0 },
			{ (uint8_t *)"content-type", (uint8_t *)"application/grpc", 12, 16, 0 },
			{ (uint8_t *)"grpc-status", (uint8_t *)arg, 11, strlen(arg), 0 },
			{ (uint8_t *)"grpc-message", (uint8_t *)msg, 12, strlen(msg), 0 },
		};
		nghttp2_submit_response(c->ng, st->id, nv, msg[0] ? 4 : 3, NULL);
	} else if (is(st, "/test.Test/Http")) {
		respond(st, arg, "text/plain");
		stream_put(st, "not a gRPC answer\n", 18);
		st->no_trailers = 1;
		st->want_end = 1;
		kick(st);
	} else if (is(st, "/test.Test/WrongType")) {
		respond(st, "200", "text/html");
		stream_put(st, "<html></html>", 13);
		finish(st, 0, NULL);
	} else if (is(st, "/test.Test/Truncated")) {
		respond(st, "200", "application/grpc");
		uint8_t h[15] = { 0, 0, 0, 0, 100, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j' };
		stream_put(st, h, sizeof(h));
		finish(st, 0, NULL);
	} else if (is(st, "/test.Test/Oversized")) {
		respond(st, "200", "application/grpc");
		uint32_t n = (uint32_t)strtoul(arg, NULL, 10);
		uint8_t h[5] = { 0, (uint8_t)(n >> 24), (uint8_t)(n >> 16), (uint8_t)(n >> 8),
		                 (uint8_t)n };
		stream_put(st, h, 5);
		uint8_t junk[1024];
		memset(junk, 'y', sizeof(junk));
		stream_put(st, junk, sizeof(junk));
		kick(st);
	} else if (is(st, "/test.Test/Compressed")) {
		respond(st, "200", "application/grpc");
		stream_put_msg(st, arg[0] ? (uint8_t)atoi(arg) : 1, "zzz", 3);
		finish(st, 0, NULL);
	} else if (is(st, "/test.Test/NoTrailers")) {
		respond(st, "200", "application/grpc");
		stream_put_msg(st, 0, "one", 3);
		st->no_trailers = 1;
		st->want_end = 1;
		kick(st);
	} else if (is(st, "/test.Test/TwoMessages")) {
		respond(st, "200", "application/grpc");
		stream_put_msg(st, 0, "one", 3);
		stream_put_msg(st, 0, "two", 3);
		finish(st, 0, NULL);
	} else if (is(st, "/test.Test/Empty")) {
		finish(st, 0, NULL);
	} else if (is(st, "/test.Test/Rst")) {
		nghttp2_submit_rst_stream(c->ng, NGHTTP2_FLAG_NONE, st->id, (uint32_t)atoi(arg));
	} else if (is(st, "/test.Test/Drop")) {
		c->dead = 1;
	} else if (is(st, "/test.Test/Goaway")) {
		nghttp2_submit_goaway(c->ng, NGHTTP2_FLAG_NONE, st->id > 1 ? st->id - 2 : 0,
		                      NGHTTP2_NO_ERROR, NULL, 0);
	} else if (is(st, "/test.Test/Malformed")) {
		if (strcmp(arg, "hpack") == 0) {
			/* an indexed header field past any table */
			static const uint8_t blk[] = { 0xff, 0xff, 0xff, 0x7f };
			raw_frame(c, 0x1, 0x4, (uint32_t)st->id, blk, sizeof(blk));
		} else if (strcmp(arg, "data0") == 0) {
			raw_frame(c, 0x0, 0x0, 0, "x", 1);
		} else {
			raw_frame(c, 0x4, 0x0, 0, "12345", 5);   /* not a multiple of 6 */
		}
	} else if (is(st, "/test.Test/RefuseOnce")) {
		/* every other call: REFUSED_STREAM, then an echo */
		if (atomic_fetch_xor(&c->srv->refuse_toggle, 1) == 0) {
			nghttp2_submit_rst_stream(c->ng, NGHTTP2_FLAG_NONE, st->id,
			                          NGHTTP2_REFUSED_STREAM);
			return;
		}
		respond(st, "200", "application/grpc");
		stream_put_msg(st, 0, arg, strlen(arg));
		finish(st, 0, NULL);
	} else if (is(st, "/test.Test/GoawayThenEcho")) {
		/* this stream is the last one served; the connection drains */
		nghttp2_submit_goaway(c->ng, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_NO_ERROR, NULL, 0);
		respond(st, "200", "application/grpc");
		stream_put_msg(st, 0, arg, strlen(arg));
		finish(st, 0, NULL);
	} else if (is(st, "/test.Test/BigTrailers")) {
		static char big[20001];
		memset(big, 'a', sizeof(big) - 1);
		respond(st, "200", "application/grpc");
		snprintf(st->status, sizeof(st->status), "13");
		st->big_message = big;
		st->want_end = 1;
		kick(st);
	} else if (is(st, "/test.Test/Silent")) {
		/* nothing */
	} else {
		st->responded = 1;
		nghttp2_nv nv[3] = {
			{ (uint8_t *)":status", (uint8_t *)"200", 7, 3, 0 },
			{ (uint8_t *)"content-type", (uint8_t *)"application/grpc", 12, 16, 0 },
			{ (uint8_t *)"grpc-status", (uint8_t *)"12", 11, 2, 0 },
		};
		nghttp2_submit_response(c->ng, st->id, nv, 3, NULL);
	}
}

/* Echo answers each whole message as it comes. */
static void echo_messages(ts_stream *st)
{
	for (;;) {
		size_t avail = st->req_len - st->req_off;
		if (avail < 5)
			return;
		const uint8_t *p = st->req + st->req_off;
		uint32_t n = (uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 8 | p[4];
		if (avail < 5 + (size_t)n)
			return;
		respond(st, "200", "application/grpc");
		stream_put_msg(st, 0, p + 5, n);
		st->req_off += 5 + n;
		kick(st);
	}
}

/* ---- nghttp2 callbacks ---- */

static int cb_begin_headers(nghttp2_session *ng, const nghttp2_frame *f, void *ud)
{
	ts_conn *c = ud;
	if (f->hd.type != NGHTTP2_HEADERS || f->headers.cat != NGHTTP2_HCAT_REQUEST)
		return 0;
	ts_stream *st = calloc(1, sizeof(*st));
	if (!st)
		abort();
	st->conn = c;
	st->id = f->hd.stream_id;
	st->next = c->streams;
	if (c->streams)
		c->streams->prev = st;
	c->streams = st;
	nghttp2_session_set_stream_user_data(ng, st->id, st);
	return 0;
}

static int cb_header(nghttp2_session *ng, const nghttp2_frame *f, const uint8_t *name,
                     size_t nlen, const uint8_t *value, size_t vlen, uint8_t flags, void *ud)
{
	ts_stream *st = nghttp2_session_get_stream_user_data(ng, f->hd.stream_id);
	if (!st)
		return 0;
	if (nlen == 5 && memcmp(name, ":path", 5) == 0)
		snprintf(st->path, sizeof(st->path), "%.*s", (int)vlen, value);
	int n = snprintf(st->headers + st->hlen, sizeof(st->headers) - st->hlen, "%.*s: %.*s\n",
	                 (int)nlen, name, (int)vlen, value);
	if (n > 0 && st->hlen + (size_t)n < sizeof(st->headers))
		st->hlen += (size_t)n;
	return 0;
}

static int cb_data(nghttp2_session *ng, uint8_t flags, int32_t id, const uint8_t *data,
                   size_t len, void *ud)
{
	ts_stream *st = nghttp2_session_get_stream_user_data(ng, id);
	if (!st)
		return 0;
	grow(&st->req, &st->req_cap, st->req_len + len);
	memcpy(st->req + st->req_len, data, len);
	st->req_len += len;
	if (is(st, "/test.Test/Echo"))
		echo_messages(st);
	return 0;
}

static int cb_frame_recv(nghttp2_session *ng, const nghttp2_frame *f, void *ud)
{
	ts_conn *c = ud;
	if (f->hd.type == NGHTTP2_RST_STREAM && f->rst_stream.error_code == NGHTTP2_CANCEL)
		atomic_fetch_add(&c->srv->cancels, 1);
	if ((f->hd.type == NGHTTP2_DATA || f->hd.type == NGHTTP2_HEADERS) &&
	    (f->hd.flags & NGHTTP2_FLAG_END_STREAM)) {
		ts_stream *st = nghttp2_session_get_stream_user_data(ng, f->hd.stream_id);
		if (st && !st->ended) {
			st->ended = 1;
			on_request(st);
		}
	} else if (f->hd.type == NGHTTP2_HEADERS && f->headers.cat == NGHTTP2_HCAT_REQUEST) {
		/* bidi Echo: answer headers at once, so messages flow both ways */
		ts_stream *st = nghttp2_session_get_stream_user_data(ng, f->hd.stream_id);
		if (st && is(st, "/test.Test/Echo"))
			respond(st, "200", "application/grpc");
	}
	return 0;
}

static int cb_stream_close(nghttp2_session *ng, int32_t id, uint32_t err, void *ud)
{
	ts_conn *c = ud;
	ts_stream *st = nghttp2_session_get_stream_user_data(ng, id);
	if (!st)
		return 0;
	/* nghttp2 is done with it: unlink and free, so long runs stay small */
	if (st->prev)
		st->prev->next = st->next;
	else
		c->streams = st->next;
	if (st->next)
		st->next->prev = st->prev;
	if (st->wake_at)
		c->delayed--;
	free(st->req);
	free(st->out);
	free(st);
	return 0;
}

/* ---- connections ---- */

static void conn_free(ts_conn *c)
{
	if (c->ng)
		nghttp2_session_del(c->ng);
	close(c->fd);
	ts_stream *st = c->streams;
	while (st) {
		ts_stream *n = st->next;
		free(st->req);
		free(st->out);
		free(st);
		st = n;
	}
	free(c->out);
	free(c);
}

static void conn_setup(ts_conn *c, int max_streams)
{
	nghttp2_session_callbacks *cbs;
	nghttp2_session_callbacks_new(&cbs);
	nghttp2_session_callbacks_set_on_begin_headers_callback(cbs, cb_begin_headers);
	nghttp2_session_callbacks_set_on_header_callback(cbs, cb_header);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cbs, cb_data);
	nghttp2_session_callbacks_set_on_frame_recv_callback(cbs, cb_frame_recv);
	nghttp2_session_callbacks_set_on_stream_close_callback(cbs, cb_stream_close);
	nghttp2_session_server_new(&c->ng, cbs, c);
	nghttp2_session_callbacks_del(cbs);
	nghttp2_settings_entry iv[] = {
		{ NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, (uint32_t)max_streams },
		{ NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 1 << 20 },
	};
	nghttp2_submit_settings(c->ng, NGHTTP2_FLAG_NONE, iv, 2);
	nghttp2_session_set_local_window_size(c->ng, NGHTTP2_FLAG_NONE, 0, 16 << 20);
}

static void conn_input(ts_conn *c, const uint8_t *buf, size_t n)
{
	if (c->mode == TS_MODE_GARBAGE || c->mode == TS_MODE_GOAWAY) {
		/* wait for the 24-byte preface, then misbehave and leave */
		c->preface_have += n;
		if (c->preface_have >= 24 && !c->close_after_flush) {
			if (c->mode == TS_MODE_GARBAGE) {
				static const char g[] = "HTTP/1.1 400 Bad Request\r\n\r\n\x01\x02garbage";
				out_put(c, g, sizeof(g) - 1);
			} else {
				nghttp2_submit_goaway(c->ng, NGHTTP2_FLAG_NONE, 0, NGHTTP2_NO_ERROR, NULL, 0);
				flush_session(c);
			}
			c->close_after_flush = 1;
		}
		return;
	}
	if (nghttp2_session_mem_recv(c->ng, buf, n) < 0)
		c->dead = 1;
}

static void conn_output(ts_conn *c)
{
	if (!c->dead && c->mode == TS_MODE_NORMAL)
		flush_session(c);
	while (c->ooff < c->olen) {
		ssize_t w = send(c->fd, c->out + c->ooff, c->olen - c->ooff, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				c->dead = 1;
			return;
		}
		c->ooff += (size_t)w;
	}
	c->ooff = c->olen = 0;
	if (c->close_after_flush)
		c->dead = 1;
	if (c->mode == TS_MODE_NORMAL && !nghttp2_session_want_read(c->ng) &&
	    !nghttp2_session_want_write(c->ng))
		c->dead = 1;
}

static void accept_one(ts_server *s, int lfd)
{
	int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return;
	int slot = -1;
	for (int i = 0; i < TS_MAX_CONNS; i++)
		if (!s->conns[i]) {
			slot = i;
			break;
		}
	if (slot < 0) {
		close(fd);
		return;
	}
	int one = 1;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	ts_conn *c = calloc(1, sizeof(*c));
	if (!c)
		abort();
	c->fd = fd;
	c->srv = s;
	c->mode = atomic_load(&s->mode);
	int ms = atomic_load(&s->max_streams);
	conn_setup(c, ms > 0 ? ms : 1000);
	if (c->mode == TS_MODE_GOAWAY)
		flush_session(c);   /* SETTINGS goes first, the GOAWAY after the preface */
	s->conns[slot] = c;
	atomic_fetch_add(&s->accepted, 1);
}

static void *server_main(void *arg)
{
	ts_server *s = arg;
	struct pollfd pfd[TS_MAX_CONNS + 3];
	int idx[TS_MAX_CONNS + 3];
	uint8_t *buf = malloc(65536);
	while (!atomic_load(&s->stop)) {
		if (atomic_exchange(&s->drop, 0)) {
			for (int i = 0; i < TS_MAX_CONNS; i++)
				if (s->conns[i])
					s->conns[i]->dead = 1;
		}
		/* delays due, output, the dead */
		uint64_t now = ms_now(), next = 0;
		for (int i = 0; i < TS_MAX_CONNS; i++) {
			ts_conn *c = s->conns[i];
			if (!c)
				continue;
			for (ts_stream *st = c->streams; c->delayed && st && !c->dead; st = st->next) {
				if (!st->wake_at)
					continue;
				if (st->wake_at <= now) {
					on_request(st);
					st->wake_at = 0;
					c->delayed--;
				} else if (!next || st->wake_at < next) {
					next = st->wake_at;
				}
			}
			if (!c->dead)
				conn_output(c);
			if (c->dead) {
				conn_free(c);
				s->conns[i] = NULL;
			}
		}
		int n = 0;
		pfd[n] = (struct pollfd){ s->wake[0], POLLIN, 0 };
		idx[n++] = -1;
		pfd[n] = (struct pollfd){ s->lfd_unix, POLLIN, 0 };
		idx[n++] = -2;
		if (s->lfd_tcp >= 0) {
			pfd[n] = (struct pollfd){ s->lfd_tcp, POLLIN, 0 };
			idx[n++] = -3;
		}
		for (int i = 0; i < TS_MAX_CONNS; i++) {
			ts_conn *c = s->conns[i];
			if (!c)
				continue;
			pfd[n] = (struct pollfd){ c->fd, (short)(POLLIN | (c->olen ? POLLOUT : 0)), 0 };
			idx[n++] = i;
		}
		int timeout = -1;
		if (next)
			timeout = next > now ? (int)(next - now) : 0;
		if (poll(pfd, (nfds_t)n, timeout) < 0)
			continue;
		for (int k = 0; k < n; k++) {
			if (!pfd[k].revents)
				continue;
			if (idx[k] == -1) {
				char b[64];
				while (read(s->wake[0], b, sizeof(b)) > 0)
					;
			} else if (idx[k] == -2) {
				accept_one(s, s->lfd_unix);
			} else if (idx[k] == -3) {
				accept_one(s, s->lfd_tcp);
			} else {
				ts_conn *c = s->conns[idx[k]];
				if (!c || c->dead)
					continue;
				if (pfd[k].revents & (POLLIN | POLLHUP | POLLERR)) {
					ssize_t r = recv(c->fd, buf, 65536, 0);
					if (r > 0)
						conn_input(c, buf, (size_t)r);
					else if (r == 0 || (errno != EAGAIN && errno != EINTR))
						c->dead = 1;
				}
			}
		}
	}
	for (int i = 0; i < TS_MAX_CONNS; i++)
		if (s->conns[i]) {
			conn_free(s->conns[i]);
			s->conns[i] = NULL;
		}
	free(buf);
	return NULL;
}

static void poke(ts_server *s)
{
	ssize_t r = write(s->wake[1], "x", 1);
	(void)r;
}

ts_server *ts_server_start(int tcp)
{
	return ts_server_start_at(NULL, tcp);
}

ts_server *ts_server_start_at(const char *path, int tcp)
{
	ts_server *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->lfd_tcp = -1;
	if (path) {
		snprintf(s->path, sizeof(s->path), "%s", path);
	} else {
		snprintf(s->dir, sizeof(s->dir), "/tmp/kube-grpc-XXXXXX");
		if (!mkdtemp(s->dir)) {
			free(s);
			return NULL;
		}
		snprintf(s->path, sizeof(s->path), "%s/grpc.sock", s->dir);
	}
	if (pipe2(s->wake, O_NONBLOCK | O_CLOEXEC) < 0) {
		free(s);
		return NULL;
	}
	snprintf(s->unix_target, sizeof(s->unix_target), "unix:%s", s->path);
	struct sockaddr_un sa;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	if (strlen(s->path) >= sizeof(sa.sun_path))
		abort();
	memcpy(sa.sun_path, s->path, strlen(s->path) + 1);
	s->lfd_unix = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->lfd_unix < 0 || bind(s->lfd_unix, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(s->lfd_unix, 128) < 0)
		abort();
	if (tcp) {
		struct sockaddr_in in;
		memset(&in, 0, sizeof(in));
		in.sin_family = AF_INET;
		in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		socklen_t l = sizeof(in);
		s->lfd_tcp = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (s->lfd_tcp < 0 || bind(s->lfd_tcp, (struct sockaddr *)&in, sizeof(in)) < 0 ||
		    listen(s->lfd_tcp, 128) < 0 ||
		    getsockname(s->lfd_tcp, (struct sockaddr *)&in, &l) < 0)
			abort();
		snprintf(s->tcp_target, sizeof(s->tcp_target), "127.0.0.1:%u",
		         (unsigned)ntohs(in.sin_port));
	}
	if (pthread_create(&s->thr, NULL, server_main, s) != 0)
		abort();
	return s;
}

const char *ts_server_unix_target(ts_server *s)
{
	return s->unix_target;
}

const char *ts_server_tcp_target(ts_server *s)
{
	return s->lfd_tcp >= 0 ? s->tcp_target : NULL;
}

void ts_server_set_max_streams(ts_server *s, int n)
{
	atomic_store(&s->max_streams, n);
}

void ts_server_set_mode(ts_server *s, int mode)
{
	atomic_store(&s->mode, mode);
}

int ts_server_accepted(ts_server *s)
{
	return atomic_load(&s->accepted);
}

int ts_server_cancels(ts_server *s)
{
	return atomic_load(&s->cancels);
}

void ts_server_drop_all(ts_server *s)
{
	atomic_store(&s->drop, 1);
	poke(s);
}

void ts_server_stop(ts_server *s)
{
	if (!s)
		return;
	atomic_store(&s->stop, 1);
	poke(s);
	pthread_join(s->thr, NULL);
	close(s->lfd_unix);
	if (s->lfd_tcp >= 0)
		close(s->lfd_tcp);
	close(s->wake[0]);
	close(s->wake[1]);
	unlink(s->path);
	if (s->dir[0])
		rmdir(s->dir);
	free(s);
}
