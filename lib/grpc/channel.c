/*
 * channel.c - the gRPC client: one HTTP/2 connection (nghttp2) per channel,
 * many calls as concurrent streams, all on the channel's kube_loop.
 *
 * nghttp2 does no I/O: bytes read from the socket go to
 * nghttp2_session_mem_recv, and what nghttp2_session_mem_send hands back is
 * gathered into one buffer and written with one send().  The socket and the
 * timers are plain libevent events on the loop's event_base.
 *
 *   channel ── cur ──▶ conn (accepts new streams)
 *      │                 └─ calls: streams nghttp2 still knows (attached)
 *      ├── conns: every conn, cur and those draining after GOAWAY
 *      ├── waiting: calls with no connection yet (connecting, backoff)
 *      └── done: finished calls whose callback has not run yet
 *
 * A call's memory is shared by two owners, counted in refs: the caller, until
 * its callback has run, and nghttp2, while the stream is attached (nghttp2
 * holds the call as stream user data and as the request body's source, so it
 * may not go away before nghttp2 closes the stream or the session is
 * deleted).  A finished call stays attached until then; every nghttp2
 * callback checks `finished` first.
 *
 * Callbacks never run inside an API function nor inside nghttp2's own
 * callbacks (except on_message, which is borrowed data): finishing a call
 * puts it on the done list, and every entry from the loop (read, write,
 * timer, wake) ends in ch_leave(), which runs the done callbacks, flushes
 * every connection, connects when calls wait, and frees dead connections.
 * ch->busy counts those entries on the stack, so a channel freed from inside
 * a callback is only torn down when the outermost entry returns.
 *
 * session.c holds nghttp2's callbacks (the response side); the structures
 * both files use are in channel_private.h.
 *
 * Connection errors end the calls on that connection UNAVAILABLE (the
 * server did not give an answer); stream errors follow the RST_STREAM
 * mapping; answers without grpc-status follow the HTTP status mapping.
 */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

#include "channel_private.h"

typedef kube__grpc_conn conn;

/* ---- small helpers ---- */

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static struct timeval ms_tv(uint64_t ms)
{
	struct timeval tv;
	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)((ms % 1000) * 1000);
	return tv;
}

static char *dup_n(const char *s, size_t n)
{
	char *p = kube_malloc(n + 1);
	if (p) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

static int buf_reserve(uint8_t **buf, size_t *cap, size_t need)
{
	if (need <= *cap)
		return 0;
	size_t ncap = *cap ? *cap : 256;
	while (ncap < need) {
		if (ncap > SIZE_MAX / 2)
			return KUBE_ENOMEM;
		ncap *= 2;
	}
	uint8_t *p = kube_realloc(*buf, ncap);
	if (!p)
		return KUBE_ENOMEM;
	*buf = p;
	*cap = ncap;
	return 0;
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

void kube__grpc_kick(kube__grpc_channel *ch)
{
	if (!ch->wake_pending) {
		ch->wake_pending = 1;
		event_active(ch->wake_ev, EV_TIMEOUT, 0);
	}
}

/* ---- call life ---- */

static void call_unref(kube__grpc_call *call)
{
	if (--call->refs > 0)
		return;
	if (call->timer)
		event_free(call->timer);
	kube_free(call->method);
	kube_free(call->sbuf);
	kube_free(call->rbuf);
	kube_free(call->resp);
	kube_free(call->grpc_message);
	kube_free(call->content_type);
	kube_free(call->message);
	kube_free(call);
}

static void wait_push(kube__grpc_channel *ch, kube__grpc_call *call)
{
	call->waiting = 1;
	call->next = NULL;
	call->prev = ch->wait_tail;
	if (ch->wait_tail)
		ch->wait_tail->next = call;
	else
		ch->wait_head = call;
	ch->wait_tail = call;
}

static void wait_remove(kube__grpc_channel *ch, kube__grpc_call *call)
{
	if (call->prev)
		call->prev->next = call->next;
	else
		ch->wait_head = call->next;
	if (call->next)
		call->next->prev = call->prev;
	else
		ch->wait_tail = call->prev;
	call->prev = call->next = NULL;
	call->waiting = 0;
}

static void attach(conn *c, kube__grpc_call *call)
{
	call->conn = c;
	call->prev = NULL;
	call->next = c->calls;
	if (c->calls)
		c->calls->prev = call;
	c->calls = call;
	call->refs++;
}

/* nghttp2 is done with the stream: drop its reference. */
void kube__grpc_detach(kube__grpc_call *call)
{
	conn *c = call->conn;
	if (call->prev)
		call->prev->next = call->next;
	else
		c->calls = call->next;
	if (call->next)
		call->next->prev = call->prev;
	call->prev = call->next = NULL;
	call->conn = NULL;
	call_unref(call);
}

/*
 * Ends a call: records the status, resets the stream if it is still open
 * (rst < 0: leave it), and queues the callback.  The caller's reference now
 * belongs to the done list.
 */
void kube__grpc_finish(kube__grpc_call *call, int code, int rst, const char *fmt, ...)
{
	if (call->finished)
		return;
	kube__grpc_channel *ch = call->ch;
	call->finished = 1;
	call->code = code;
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	call->message = msg[0] ? kube_strdup(msg) : NULL;   /* NULL reads as "" */
	if (call->timer)
		event_del(call->timer);
	if (call->waiting)
		wait_remove(ch, call);
	if (call->conn && call->conn->state == CONN_OPEN && rst >= 0 && call->stream_id > 0)
		nghttp2_submit_rst_stream(call->conn->ng, NGHTTP2_FLAG_NONE, call->stream_id,
		                          (uint32_t)rst);
	call->done_next = NULL;
	if (ch->done_tail)
		ch->done_tail->done_next = call;
	else
		ch->done_head = call;
	ch->done_tail = call;
	kube__grpc_kick(ch);
}

static void deliver(kube__grpc_channel *ch)
{
	while (ch->done_head) {
		kube__grpc_call *call = ch->done_head;
		ch->done_head = call->done_next;
		if (!ch->done_head)
			ch->done_tail = NULL;
		kube__grpc_status st = { call->code, call->message ? call->message : "" };
		if (call->unary) {
			int ok = call->code == KUBE_GRPC_OK;
			call->ucb(&st, ok ? call->resp : NULL, ok ? call->resp_len : 0, call->ud);
		} else if (call->h.on_close) {
			call->h.on_close(call, &st, call->ud);
		}
		call_unref(call);
	}
}

/* ---- connections ---- */

static void ch_enter(kube__grpc_channel *ch)
{
	ch->busy++;
}

static void ch_leave(kube__grpc_channel *ch);
static void conn_close(conn *c, const char *fmt, ...) KUBE_PRINTF(2, 3);
static int call_submit(conn *c, kube__grpc_call *call);
static void ch_connect(kube__grpc_channel *ch);

static void on_read(evutil_socket_t fd, short what, void *arg);
static void on_write(evutil_socket_t fd, short what, void *arg);

/*
 * Transparent retries.  A request that never left (its HEADERS were not
 * sent: GOAWAY came first, the connection died) goes again, a few times, on
 * whatever connection comes next; nothing of its body was taken yet, so
 * streams qualify too.  A unary call the server refused unprocessed
 * (REFUSED_STREAM, or past a GOAWAY's last stream) goes again once.
 */
int kube__grpc_may_retry_unsent(const kube__grpc_call *call)
{
	return !call->headers_sent && !call->resp_headers && call->unsent_retries < 5 &&
	       !call->ch->closing;
}

int kube__grpc_may_retry(const kube__grpc_call *call)
{
	return call->unary && !call->resp_headers && call->retries < 1 && !call->ch->closing;
}

void kube__grpc_requeue(kube__grpc_channel *ch, kube__grpc_call *call)
{
	if (call->headers_sent)
		call->retries++;
	else
		call->unsent_retries++;
	call->stream_id = 0;
	call->soff = 0;
	call->headers_sent = call->eos_sent = call->deferred = call->rst_recv = 0;
	call->http_status = 0;
	call->grpc_status = -1;
	call->header_bytes = 0;
	wait_push(ch, call);
}

static void ch_backoff(kube__grpc_channel *ch)
{
	uint64_t b = ch->backoff_ms ? ch->backoff_ms * 2 : ch->backoff_initial_ms;
	if (b > ch->backoff_max_ms)
		b = ch->backoff_max_ms;
	ch->backoff_ms = b;
	/* +-20% jitter, so many clients of one restarted server spread out */
	ch->rng = ch->rng * 6364136223846793005ull + 1442695040888963407ull;
	uint64_t r = (ch->rng >> 33) % 1000;   /* 0..999 */
	uint64_t delay = b * (800 + r * 400 / 1000) / 1000;
	if (delay == 0)
		delay = 1;
	struct timeval tv = ms_tv(delay);
	ch->in_backoff = 1;
	event_add(ch->backoff_ev, &tv);
	/* Calls without a deadline would wait forever for a server that is not
	 * there: they end now.  The others wait within their deadline. */
	kube__grpc_call *call = ch->wait_head;
	while (call) {
		kube__grpc_call *next = call->next;
		if (!call->deadline_ns)
			kube__grpc_finish(call, KUBE_GRPC_UNAVAILABLE, -1, "%s", ch->last_err);
		call = next;
	}
}

/*
 * The connection is over: its calls end UNAVAILABLE (or go again when they
 * never reached the server), its socket closes.  The session is deleted
 * later, by reap, when no nghttp2 call is on the stack.
 */
static void conn_close(conn *c, const char *fmt, ...)
{
	if (c->state == CONN_DEAD)
		return;
	kube__grpc_channel *ch = c->ch;
	char msg[240];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c->state = CONN_DEAD;
	if (c->rev)
		event_del(c->rev);
	if (c->wev)
		event_del(c->wev);
	if (c->tev)
		event_del(c->tev);
	if (c->fd >= 0) {
		close(c->fd);
		c->fd = -1;
	}
	if (ch->cur == c)
		ch->cur = NULL;
	while (c->calls) {
		kube__grpc_call *call = c->calls;
		if (!call->finished && kube__grpc_may_retry_unsent(call)) {
			kube__grpc_detach(call);   /* the caller's reference keeps it */
			kube__grpc_requeue(ch, call);
			continue;
		}
		if (!call->finished)
			kube__grpc_finish(call, KUBE_GRPC_UNAVAILABLE, -1, "%s", msg);
		kube__grpc_detach(call);
	}
	if (!c->ready) {
		snprintf(ch->last_err, sizeof(ch->last_err), "%s", msg);
		if (!ch->closing)
			ch_backoff(ch);
	} else {
		ch->backoff_ms = 0;
	}
	kube__grpc_kick(ch);
}

static void conn_free(conn *c)
{
	if (c->rev)
		event_free(c->rev);
	if (c->wev)
		event_free(c->wev);
	if (c->tev)
		event_free(c->tev);
	if (c->ng)
		nghttp2_session_del(c->ng);
	if (c->ai_list)
		freeaddrinfo(c->ai_list);
	kube_free(c->obuf);
	kube_free(c);
}

static void reap(kube__grpc_channel *ch)
{
	conn **pp = &ch->conns;
	while (*pp) {
		conn *c = *pp;
		if (c->state == CONN_DEAD) {
			*pp = c->next;
			conn_free(c);
		} else {
			pp = &c->next;
		}
	}
}

/* Hands nghttp2's output to the socket; what does not fit waits for EV_WRITE. */
static void conn_flush(conn *c)
{
	if (c->state != CONN_OPEN)
		return;
	for (;;) {
		while (c->olen - c->ooff < 65536) {
			const uint8_t *p;
			ssize_t n = nghttp2_session_mem_send(c->ng, &p);
			if (n < 0) {
				conn_close(c, "grpc: %s: HTTP/2: %s", c->ch->target,
				           nghttp2_strerror((int)n));
				return;
			}
			if (n == 0)
				break;
			if (c->ooff == c->olen)
				c->ooff = c->olen = 0;
			if (buf_reserve(&c->obuf, &c->ocap, c->olen + (size_t)n) < 0) {
				conn_close(c, "grpc: %s: out of memory", c->ch->target);
				return;
			}
			memcpy(c->obuf + c->olen, p, (size_t)n);
			c->olen += (size_t)n;
		}
		if (c->ooff == c->olen)
			break;
		ssize_t w = send(c->fd, c->obuf + c->ooff, c->olen - c->ooff, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				event_add(c->wev, NULL);
				return;
			}
			conn_close(c, "grpc: %s: write: %s", c->ch->target, strerror(errno));
			return;
		}
		c->ooff += (size_t)w;
		if (c->ooff == c->olen)
			c->ooff = c->olen = 0;
	}
	if (!nghttp2_session_want_read(c->ng) && !nghttp2_session_want_write(c->ng)) {
		if (c->err[0])
			conn_close(c, "grpc: %s: HTTP/2 protocol error: %s", c->ch->target, c->err);
		else
			conn_close(c, "grpc: %s: connection closed after GOAWAY (%s)", c->ch->target,
			           nghttp2_http2_strerror(c->goaway_error));
	}
}

static void conn_recv(conn *c, const uint8_t *data, size_t len)
{
	ssize_t rv = nghttp2_session_mem_recv(c->ng, data, len);
	if (rv < 0)
		conn_close(c, "grpc: %s: HTTP/2: %s", c->ch->target,
		           c->err[0] ? c->err : nghttp2_strerror((int)rv));
}

/* Waiting calls go to the open connection, or a connection is started. */
static void ch_dispatch(kube__grpc_channel *ch)
{
	conn *c = ch->cur;
	if (c && c->state == CONN_OPEN && !c->goaway) {
		while (ch->wait_head && ch->cur == c) {
			kube__grpc_call *call = ch->wait_head;
			wait_remove(ch, call);
			if (call_submit(c, call) < 0)
				break;
		}
		return;
	}
	if (!c && !ch->in_backoff)
		ch_connect(ch);
}

static void ch_leave(kube__grpc_channel *ch)
{
	if (ch->busy > 1) {
		ch->busy--;
		return;
	}
	do {
		deliver(ch);
		for (conn *c = ch->conns; c; c = c->next)
			conn_flush(c);
		if (ch->wait_head && !ch->closing)
			ch_dispatch(ch);
	} while (ch->done_head);
	reap(ch);
	ch->busy--;
}

static void ch_destroy(kube__grpc_channel *ch);

static void ch_leave_maybe_destroy(kube__grpc_channel *ch)
{
	ch_leave(ch);
	if (ch->busy == 0 && ch->closing)
		ch_destroy(ch);
}

/* ---- connecting ---- */

static int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	return fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 ? -1 : 0;
}

/* The socket is connected: start HTTP/2 and put the waiting calls on it. */
static int conn_open(conn *c)
{
	kube__grpc_channel *ch = c->ch;
	if (c->tev)
		event_del(c->tev);
	if (c->wev)
		event_del(c->wev);
	nghttp2_session_callbacks *cbs = kube__grpc_session_callbacks();
	if (!cbs)
		goto oom;
	int rv = nghttp2_session_client_new(&c->ng, cbs, c);
	nghttp2_session_callbacks_del(cbs);
	if (rv != 0)
		goto oom;
	nghttp2_settings_entry iv[] = {
		{ NGHTTP2_SETTINGS_ENABLE_PUSH, 0 },
		{ NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, STREAM_WINDOW },
		{ NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, MAX_HEADER_BYTES },
	};
	if (nghttp2_submit_settings(c->ng, NGHTTP2_FLAG_NONE, iv, KUBE_ARRAY_SIZE(iv)) != 0 ||
	    nghttp2_session_set_local_window_size(c->ng, NGHTTP2_FLAG_NONE, 0, CONN_WINDOW) != 0)
		goto oom;
	c->rev = event_new(ch->base, c->fd, EV_READ | EV_PERSIST, on_read, c);
	if (!c->wev)
		c->wev = event_new(ch->base, c->fd, EV_WRITE, on_write, c);
	if (!c->rev || !c->wev)
		goto oom;
	event_add(c->rev, NULL);
	c->state = CONN_OPEN;
	ch->cur = c;
	ch_dispatch(ch);
	kube__grpc_kick(ch);
	return 0;
oom:
	conn_close(c, "grpc: %s: out of memory", ch->target);
	return KUBE_ENOMEM;
}

static void on_write(evutil_socket_t fd, short what, void *arg)
{
	conn *c = arg;
	kube__grpc_channel *ch = c->ch;
	ch_enter(ch);
	if (c->state == CONN_CONNECTING) {
		int err = 0;
		socklen_t len = sizeof(err);
		if (what & EV_TIMEOUT)
			conn_close(c, "grpc: %s: connect: timed out after %llu ms", ch->target,
			           (unsigned long long)ch->connect_timeout_ms);
		else if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0)
			conn_close(c, "grpc: %s: connect: %s", ch->target, strerror(err ? err : errno));
		else
			conn_open(c);
	}
	/* OPEN: the flush in ch_leave writes the rest */
	ch_leave_maybe_destroy(ch);
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
	conn *c = arg;
	kube__grpc_channel *ch = c->ch;
	uint8_t buf[65536];
	ch_enter(ch);
	for (int i = 0; i < 4 && c->state == CONN_OPEN; i++) {
		ssize_t n = recv(c->fd, buf, sizeof(buf), 0);
		if (n > 0) {
			conn_recv(c, buf, (size_t)n);
			if ((size_t)n < sizeof(buf))
				break;
			continue;
		}
		if (n == 0) {
			if (c->goaway)
				conn_close(c, "grpc: %s: connection closed by the server after GOAWAY (%s)",
				           ch->target, nghttp2_http2_strerror(c->goaway_error));
			else
				conn_close(c, "grpc: %s: connection closed by the server", ch->target);
			break;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			conn_close(c, "grpc: %s: read: %s", ch->target, strerror(errno));
		break;
	}
	ch_leave_maybe_destroy(ch);
}

static void on_connect_timeout(evutil_socket_t fd, short what, void *arg)
{
	on_write(fd, EV_TIMEOUT, arg);
}

static conn *conn_new(kube__grpc_channel *ch)
{
	conn *c = kube_calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->ch = ch;
	c->fd = -1;
	c->state = CONN_CONNECTING;
	c->next = ch->conns;
	ch->conns = c;
	return c;
}

/* Starts a connection attempt; its failure is reported through conn_close. */
static void ch_connect(kube__grpc_channel *ch)
{
	conn *c = conn_new(ch);
	if (!c) {
		snprintf(ch->last_err, sizeof(ch->last_err), "grpc: %s: out of memory", ch->target);
		ch_backoff(ch);
		return;
	}
	ch->cur = c;
	int fd = -1;
	int err = 0;
	if (ch->unix_path) {
		struct sockaddr_un sa;
		memset(&sa, 0, sizeof(sa));
		sa.sun_family = AF_UNIX;
		memcpy(sa.sun_path, ch->unix_path, strlen(ch->unix_path) + 1);
		fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
		/* EAGAIN here is a full backlog: nothing is in progress, so it
		 * fails like a refusal and the backoff paces the next try */
		if (fd < 0 || (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 &&
		               errno != EINPROGRESS))
			err = errno;
	} else {
		/* Names resolve synchronously here: targets are local (CRI sockets,
		 * loopback); a slow resolver would block the loop. */
		struct addrinfo hints, *res = NULL;
		memset(&hints, 0, sizeof(hints));
		hints.ai_socktype = SOCK_STREAM;
		hints.ai_flags = AI_ADDRCONFIG;
		int g = getaddrinfo(ch->host, ch->port, &hints, &res);
		if (g != 0) {
			conn_close(c, "grpc: %s: resolve: %s", ch->target, gai_strerror(g));
			return;
		}
		c->ai_list = res;
		err = ECONNREFUSED;
		for (struct addrinfo *ai = res; ai; ai = ai->ai_next) {
			fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
			if (fd < 0) {
				err = errno;
				continue;
			}
			int one = 1;
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
			if (connect(fd, ai->ai_addr, ai->ai_addrlen) == 0 || errno == EINPROGRESS) {
				err = 0;
				break;
			}
			/* immediate refusal: the next address (a slow one is not retried) */
			err = errno;
			close(fd);
			fd = -1;
		}
	}
	c->fd = fd;
	if (err) {
		conn_close(c, "grpc: %s: connect: %s", ch->target, strerror(err));
		return;
	}
	c->wev = event_new(ch->base, fd, EV_WRITE, on_write, c);
	c->tev = evtimer_new(ch->base, on_connect_timeout, c);
	if (!c->wev || !c->tev) {
		conn_close(c, "grpc: %s: out of memory", ch->target);
		return;
	}
	struct timeval tv = ms_tv(ch->connect_timeout_ms);
	event_add(c->wev, NULL);
	event_add(c->tev, &tv);
}

/* ---- calls ---- */

static int call_submit(conn *c, kube__grpc_call *call)
{
	kube__grpc_channel *ch = c->ch;
	char tbuf[16];
	nghttp2_nv nv[8];
	size_t n = 0;
#define NV(nm, val, vlen, fl) \
	nv[n++] = (nghttp2_nv){ (uint8_t *)(nm), (uint8_t *)(val), sizeof(nm) - 1, (vlen), (fl) }
	const uint8_t cp = NGHTTP2_NV_FLAG_NO_COPY_NAME | NGHTTP2_NV_FLAG_NO_COPY_VALUE;
	NV(":method", "POST", 4, cp);
	NV(":scheme", "http", 4, cp);
	NV(":path", call->method, strlen(call->method), NGHTTP2_NV_FLAG_NO_COPY_NAME);
	NV(":authority", ch->authority, strlen(ch->authority), NGHTTP2_NV_FLAG_NO_COPY_NAME);
	if (call->deadline_ns) {
		uint64_t now = now_ns();
		uint64_t left = call->deadline_ns > now ? call->deadline_ns - now : 0;
		uint64_t ms = (left + 999999) / 1000000;
		size_t tl = kube__grpc_timeout_format(ms ? ms : 1, tbuf);
		NV("grpc-timeout", tbuf, tl, NGHTTP2_NV_FLAG_NO_COPY_NAME);
	}
	NV("content-type", "application/grpc", 16, cp);
	NV("te", "trailers", 8, cp);
	NV("user-agent", USER_AGENT, sizeof(USER_AGENT) - 1, cp);
#undef NV
	nghttp2_data_provider dp;
	dp.source.ptr = call;
	dp.read_callback = kube__grpc_body_read;
	int32_t id = nghttp2_submit_request(c->ng, NULL, nv, n, &dp, call);
	if (id < 0) {
		if (id == NGHTTP2_ERR_STREAM_ID_NOT_AVAILABLE) {
			/* this connection is used up: a fresh one takes the call */
			c->goaway = 1;
			if (ch->cur == c)
				ch->cur = NULL;
			wait_push(ch, call);
			kube__grpc_kick(ch);
			return -1;
		}
		kube__grpc_finish(call, KUBE_GRPC_INTERNAL, -1, "grpc: %s: HTTP/2: %s", call->method,
		                  nghttp2_strerror(id));
		return 0;
	}
	call->stream_id = id;
	attach(c, call);
	kube__grpc_kick(ch);
	return 0;
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	kube__grpc_call *call = arg;
	kube__grpc_channel *ch = call->ch;
	ch_enter(ch);
	kube__grpc_finish(call, KUBE_GRPC_DEADLINE_EXCEEDED, NGHTTP2_CANCEL,
	                  "grpc: %s: deadline of %llu ms exceeded", call->method,
	                  (unsigned long long)call->timeout_ms);
	ch_leave_maybe_destroy(ch);
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
	kube__grpc_channel *ch = arg;
	ch->wake_pending = 0;
	ch_enter(ch);
	ch_leave_maybe_destroy(ch);
}

static void on_backoff(evutil_socket_t fd, short what, void *arg)
{
	kube__grpc_channel *ch = arg;
	ch->in_backoff = 0;
	ch_enter(ch);
	ch_leave_maybe_destroy(ch);   /* connects if calls wait */
}

static int call_new(kube__grpc_call **out, kube__grpc_channel *ch, const char *method,
                    uint64_t timeout_ms)
{
	KUBE_CHECK_ARG(ch != NULL);
	if (!method || method[0] != '/' || !strchr(method + 1, '/'))
		return kube__error_set(KUBE_EINVAL, NULL,
		                       "grpc: %s: invalid call: the method must read "
		                       "\"/package.Service/Method\"", method ? method : "(null)");
	if (ch->closing)
		return kube__error_set(KUBE_EINVAL, NULL, "grpc: %s: %s: the channel is closing",
		                       ch->target, method);
	kube__grpc_call *call = kube_calloc(1, sizeof(*call));
	if (!call)
		return kube__error_oom();
	call->ch = ch;
	call->refs = 1;
	call->grpc_status = -1;
	call->method = kube_strdup(method);
	if (!call->method) {
		kube_free(call);
		return kube__error_oom();
	}
	/* ~100 years is no deadline in practice, and keeps the sums below in range */
	if (timeout_ms > MAX_TIMEOUT_MS)
		timeout_ms = MAX_TIMEOUT_MS;
	call->timeout_ms = timeout_ms;
	if (timeout_ms) {
		call->timer = evtimer_new(ch->base, on_deadline, call);
		if (!call->timer) {
			call_unref(call);
			return kube__error_oom();
		}
		call->deadline_ns = now_ns() + timeout_ms * 1000000u;
	}
	*out = call;
	return 0;
}

static int frame_append(kube__grpc_call *call, const uint8_t *msg, size_t len)
{
	size_t max = call->ch->max_send;
	if (len > max)
		return kube__error_set(KUBE_ETOOBIG, NULL,
		                       "grpc: %s: request message of %zu bytes exceeds the limit of %zu",
		                       call->method, len, max);
	if (call->soff == call->slen && !call->unary)
		call->soff = call->slen = 0;
	if (buf_reserve(&call->sbuf, &call->scap, call->slen + 5 + len) < 0)
		return kube__error_oom();
	uint8_t *p = call->sbuf + call->slen;
	p[0] = 0;
	put_be32(p + 1, (uint32_t)len);
	if (len)
		memcpy(p + 5, msg, len);
	call->slen += 5 + len;
	return 0;
}

/* The call is ready to go: on the connection, or waiting for one. */
static void call_start(kube__grpc_call *call)
{
	kube__grpc_channel *ch = call->ch;
	if (call->timer) {
		struct timeval tv = ms_tv(call->timeout_ms);
		event_add(call->timer, &tv);
	}
	if (ch->cur && ch->cur->state == CONN_OPEN && !ch->cur->goaway) {
		call_submit(ch->cur, call);
		return;
	}
	wait_push(ch, call);
	if (ch->in_backoff && !call->deadline_ns)
		kube__grpc_finish(call, KUBE_GRPC_UNAVAILABLE, -1, "%s", ch->last_err);
	kube__grpc_kick(ch);   /* connects from the loop */
}

int kube__grpc_unary(kube__grpc_channel *ch, const char *method, const uint8_t *req,
                     size_t len, uint64_t timeout_ms, kube__grpc_unary_cb cb, void *userdata,
                     kube__grpc_call **out_call)
{
	KUBE_CHECK_ARG(cb != NULL);
	KUBE_CHECK_ARG(req != NULL || len == 0);
	kube__grpc_call *call = NULL;   /* gcc -O3 cannot see call_new sets it on 0 */
	int rc = call_new(&call, ch, method, timeout_ms);
	if (rc)
		return rc;
	call->unary = 1;
	call->ucb = cb;
	call->ud = userdata;
	call->send_closed = 1;
	rc = frame_append(call, req, len);
	if (rc) {
		call_unref(call);
		return rc;
	}
	call_start(call);
	if (out_call)
		*out_call = call;
	return 0;
}

int kube__grpc_stream(kube__grpc_channel *ch, const char *method, uint64_t timeout_ms,
                      const kube__grpc_stream_handlers *h, void *userdata,
                      kube__grpc_call **out_call)
{
	KUBE_CHECK_ARG(h != NULL && h->on_close != NULL);
	kube__grpc_call *call = NULL;
	int rc = call_new(&call, ch, method, timeout_ms);
	if (rc)
		return rc;
	call->h = *h;
	call->ud = userdata;
	call_start(call);
	if (out_call)
		*out_call = call;
	return 0;
}

static void call_resume(kube__grpc_call *call)
{
	if (call->conn && call->deferred && call->conn->state == CONN_OPEN) {
		call->deferred = 0;
		nghttp2_session_resume_data(call->conn->ng, call->stream_id);
	}
	kube__grpc_kick(call->ch);
}

int kube__grpc_call_send(kube__grpc_call *call, const uint8_t *msg, size_t len)
{
	KUBE_CHECK_ARG(call != NULL);
	KUBE_CHECK_ARG(msg != NULL || len == 0);
	if (call->finished || call->send_closed)
		return kube__error_set(KUBE_EINVAL, NULL, "grpc: %s: %s", call->method,
		                       call->finished ? "the call has ended" : "sending is closed");
	int rc = frame_append(call, msg, len);
	if (rc)
		return rc;
	call_resume(call);
	return 0;
}

int kube__grpc_call_close_send(kube__grpc_call *call)
{
	KUBE_CHECK_ARG(call != NULL);
	if (call->finished || call->send_closed)
		return 0;
	call->send_closed = 1;
	call_resume(call);
	return 0;
}

void kube__grpc_call_cancel(kube__grpc_call *call)
{
	if (!call || call->finished)
		return;
	kube__grpc_finish(call, KUBE_GRPC_CANCELLED, NGHTTP2_CANCEL, "grpc: %s: cancelled", call->method);
}

/* ---- the blocking wrapper ---- */

typedef struct sync_state {
	int done;
	int code;
	char *message;
	uint8_t *resp;
	size_t len;
	int oom;
} sync_state;

static void sync_cb(const kube__grpc_status *st, const uint8_t *resp, size_t len, void *ud)
{
	sync_state *s = ud;
	s->done = 1;
	s->code = st->code;
	s->message = st->message[0] ? kube_strdup(st->message) : NULL;
	if (st->code == KUBE_GRPC_OK) {
		s->resp = kube_malloc(len ? len : 1);
		if (s->resp) {
			memcpy(s->resp, resp, len);
			s->len = len;
		} else {
			s->code = KUBE_GRPC_RESOURCE_EXHAUSTED;
			s->oom = 1;
		}
	}
}

int kube__grpc_unary_sync(kube__grpc_channel *ch, const char *method, const uint8_t *req,
                          size_t len, uint64_t timeout_ms, uint8_t **resp, size_t *resp_len,
                          char **message)
{
	sync_state s = { 0, 0, NULL, NULL, 0, 0 };
	if (resp)
		*resp = NULL;
	if (resp_len)
		*resp_len = 0;
	if (message)
		*message = NULL;
	int rc = ch ? kube__grpc_unary(ch, method, req, len, timeout_ms, sync_cb, &s, NULL)
	            : kube__error_set(KUBE_EINVAL, NULL, "%s: invalid argument: ch", __func__);
	if (rc) {
		if (message && kube_error_last())
			*message = kube_strdup(kube_error_last()->message);
		return rc == KUBE_EINVAL ? KUBE_GRPC_INVALID_ARGUMENT : KUBE_GRPC_RESOURCE_EXHAUSTED;
	}
	while (!s.done) {
		if (kube_loop_run_once(ch->loop, 0) != 0)
			break;
	}
	if (!s.done) {
		/* the loop failed: nothing more will come */
		return KUBE_GRPC_INTERNAL;
	}
	if (s.code == KUBE_GRPC_OK && resp) {
		*resp = s.resp;
		s.resp = NULL;
	}
	if (s.code == KUBE_GRPC_OK && resp_len)
		*resp_len = s.len;
	kube_free(s.resp);
	if (message)
		*message = s.message;
	else
		kube_free(s.message);
	return s.code;
}

/* ---- channel ---- */

static int parse_target(kube__grpc_channel *ch, const char *target)
{
	if (strncmp(target, "unix:", 5) == 0) {
		const char *p = target + 5;
		if (strncmp(p, "//", 2) == 0)
			p += 2;   /* unix:///path */
		size_t n = strlen(p);
		if (n == 0 || p[0] != '/')
			return kube__error_set(KUBE_EINVAL, NULL,
			                       "grpc: %s: a unix target needs an absolute path", target);
		if (n >= sizeof(((struct sockaddr_un *)0)->sun_path))
			return kube__error_set(KUBE_EINVAL, NULL,
			                       "grpc: %s: the socket path is longer than %zu bytes",
			                       target, sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
		ch->unix_path = kube_strdup(p);
		return ch->unix_path ? 0 : kube__error_oom();
	}
	const char *colon;
	const char *h = target;
	size_t hl;
	if (target[0] == '[') {
		const char *rb = strchr(target, ']');
		if (!rb || rb[1] != ':')
			return kube__error_set(KUBE_EINVAL, NULL,
			                       "grpc: %s: expected [address]:port", target);
		h = target + 1;
		hl = (size_t)(rb - h);
		colon = rb + 1;
	} else {
		colon = strrchr(target, ':');
		if (!colon || strchr(target, ':') != colon)
			return kube__error_set(KUBE_EINVAL, NULL,
			                       "grpc: %s: expected unix:/path or host:port", target);
		hl = (size_t)(colon - target);
	}
	const char *port = colon + 1;
	if (hl == 0 || port[0] == '\0' || strspn(port, "0123456789") != strlen(port) ||
	    strlen(port) > 5 || atoi(port) > 65535)
		return kube__error_set(KUBE_EINVAL, NULL,
		                       "grpc: %s: expected unix:/path or host:port", target);
	ch->host = dup_n(h, hl);
	ch->port = kube_strdup(port);
	return ch->host && ch->port ? 0 : kube__error_oom();
}

static void ch_free_fields(kube__grpc_channel *ch)
{
	if (ch->wake_ev)
		event_free(ch->wake_ev);
	if (ch->backoff_ev)
		event_free(ch->backoff_ev);
	kube_free(ch->target);
	kube_free(ch->unix_path);
	kube_free(ch->host);
	kube_free(ch->port);
	kube_free(ch->authority);
	kube_free(ch);
}

int kube__grpc_channel_new(kube__grpc_channel **out, kube_loop *loop, const char *target,
                           const kube__grpc_options *opts)
{
	KUBE_CHECK_ARG(out != NULL);
	KUBE_CHECK_ARG(loop != NULL);
	KUBE_CHECK_ARG(target != NULL);
	kube__grpc_channel *ch = kube_calloc(1, sizeof(*ch));
	if (!ch)
		return kube__error_oom();
	ch->loop = loop;
	ch->base = kube_loop_base(loop);
	ch->target = kube_strdup(target);
	if (!ch->target) {
		ch_free_fields(ch);
		return kube__error_oom();
	}
	int rc = parse_target(ch, target);
	if (rc) {
		ch_free_fields(ch);
		return rc;
	}
	kube__grpc_options o;
	memset(&o, 0, sizeof(o));
	if (opts)
		o = *opts;
	ch->max_recv = o.max_recv_message ? o.max_recv_message : DEFAULT_MAX_MESSAGE;
	ch->max_send = o.max_send_message ? o.max_send_message : DEFAULT_MAX_MESSAGE;
	/* the 4-byte length prefix caps a message at 4 GiB - 1 */
	if (ch->max_recv > UINT32_MAX)
		ch->max_recv = UINT32_MAX;
	if (ch->max_send > UINT32_MAX)
		ch->max_send = UINT32_MAX;
	ch->connect_timeout_ms = o.connect_timeout_ms ? o.connect_timeout_ms
	                                              : DEFAULT_CONNECT_TIMEOUT_MS;
	ch->backoff_initial_ms = o.backoff_initial_ms ? o.backoff_initial_ms
	                                              : DEFAULT_BACKOFF_INITIAL_MS;
	ch->backoff_max_ms = o.backoff_max_ms ? o.backoff_max_ms : DEFAULT_BACKOFF_MAX_MS;
	if (ch->backoff_max_ms < ch->backoff_initial_ms)
		ch->backoff_max_ms = ch->backoff_initial_ms;
	if (o.authority)
		ch->authority = kube_strdup(o.authority);
	else
		ch->authority = kube_strdup(ch->unix_path ? "localhost" : target);
	ch->wake_ev = event_new(ch->base, -1, 0, on_wake, ch);
	ch->backoff_ev = evtimer_new(ch->base, on_backoff, ch);
	if (!ch->authority || !ch->wake_ev || !ch->backoff_ev) {
		ch_free_fields(ch);
		return kube__error_oom();
	}
	ch->rng = now_ns() ^ (uint64_t)(uintptr_t)ch;
	*out = ch;
	return 0;
}

static void ch_destroy(kube__grpc_channel *ch)
{
	for (conn *c = ch->conns; c; c = c->next)
		conn_close(c, "grpc: %s: channel closed", ch->target);
	deliver(ch);   /* nothing should be left; a safety net */
	reap(ch);
	ch_free_fields(ch);
}

void kube__grpc_channel_free(kube__grpc_channel *ch)
{
	if (!ch || ch->closing)
		return;
	ch->closing = 1;
	ch_enter(ch);
	while (ch->wait_head)
		kube__grpc_finish(ch->wait_head, KUBE_GRPC_CANCELLED, -1, "grpc: %s: channel closed",
		                  ch->target);
	for (conn *c = ch->conns; c; c = c->next)
		for (kube__grpc_call *call = c->calls; call; call = call->next)
			kube__grpc_finish(call, KUBE_GRPC_CANCELLED, NGHTTP2_CANCEL,
			                  "grpc: %s: channel closed", ch->target);
	deliver(ch);
	event_del(ch->backoff_ev);
	ch->busy--;
	if (ch->busy == 0)
		ch_destroy(ch);
}

/* ---- test hooks ---- */

int kube__grpc_test_adopt_fd(kube__grpc_channel *ch, int fd)
{
	if (ch->cur) {
		close(fd);
		return kube__error_set(KUBE_EBUSY, NULL, "grpc: %s: already connected", ch->target);
	}
	conn *c = conn_new(ch);
	if (!c) {
		close(fd);
		return kube__error_oom();
	}
	c->fd = fd;
	if (set_nonblock(fd) < 0) {
		conn_close(c, "grpc: %s: fcntl: %s", ch->target, strerror(errno));
		return KUBE_EIO;
	}
	return conn_open(c);
}

int kube__grpc_test_receive(kube__grpc_channel *ch, const uint8_t *data, size_t len)
{
	conn *c = ch->conns;   /* the newest open one, draining or not */
	while (c && c->state != CONN_OPEN)
		c = c->next;
	if (!c)
		return KUBE_ENOTFOUND;
	ch_enter(ch);
	conn_recv(c, data, len);
	ch_leave_maybe_destroy(ch);
	return 0;
}
