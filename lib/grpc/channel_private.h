/*
 * channel_private.h - what channel.c (connections, calls, the API) and
 * session.c (nghttp2's callbacks: the response side) share.
 *
 * The structures and their invariants are described at the top of
 * channel.c.  Nothing here leaves lib/grpc.
 */
#ifndef LIBKUBE_GRPC_CHANNEL_PRIVATE_H
#define LIBKUBE_GRPC_CHANNEL_PRIVATE_H

#include <netdb.h>
#include <sys/types.h>

#include <event2/event.h>
#include <nghttp2/nghttp2.h>

#include "grpc_private.h"

#define DEFAULT_MAX_MESSAGE (16u * 1024 * 1024)
#define DEFAULT_CONNECT_TIMEOUT_MS 20000u
#define DEFAULT_BACKOFF_INITIAL_MS 1000u
#define DEFAULT_BACKOFF_MAX_MS 120000u
/* Windows: 1 MiB per stream, 16 MiB for the connection, so a 16 MiB
 * message or 64 busy streams are not held up by WINDOW_UPDATE round trips. */
#define STREAM_WINDOW (1 << 20)
#define CONN_WINDOW (16 << 20)
/* Response headers or trailers larger than this end the call (the spec
 * suggests 8 KiB; room for metadata). */
#define MAX_HEADER_BYTES 16384u
#define MAX_TIMEOUT_MS (100ull * 366 * 24 * 3600 * 1000)
#define USER_AGENT "libkube-grpc/" KUBE_VERSION

enum { CONN_CONNECTING, CONN_OPEN, CONN_DEAD };

typedef struct kube__grpc_conn kube__grpc_conn;

struct kube__grpc_conn {
	kube__grpc_channel *ch;
	kube__grpc_conn *next;      /* ch->conns */
	int fd;
	int state;
	int ready;                  /* the server's SETTINGS came: it speaks HTTP/2 */
	int goaway;                 /* no new streams here (GOAWAY, ids exhausted) */
	uint32_t goaway_error;      /* the error code of a GOAWAY received */
	struct event *rev, *wev, *tev;
	nghttp2_session *ng;
	struct addrinfo *ai_list, *ai_next;
	uint8_t *obuf;
	size_t olen, ooff, ocap;
	kube__grpc_call *calls;     /* attached calls */
	char err[200];              /* the first protocol error nghttp2 reported */
};

struct kube__grpc_call {
	kube__grpc_channel *ch;
	kube__grpc_conn *conn;              /* attached to, or NULL */
	kube__grpc_call *prev, *next;       /* ch->waiting or conn->calls */
	kube__grpc_call *done_next;
	int refs;
	int waiting;                        /* on ch->waiting */
	char *method;
	int unary;
	kube__grpc_unary_cb ucb;
	kube__grpc_stream_handlers h;
	void *ud;
	uint64_t timeout_ms;
	uint64_t deadline_ns;               /* CLOCK_MONOTONIC, 0: none */
	struct event *timer;
	int32_t stream_id;
	int retries;                        /* refused by the server */
	int unsent_retries;                 /* never left */
	unsigned headers_sent : 1;
	unsigned resp_headers : 1;          /* the final response HEADERS came */
	unsigned send_closed : 1;           /* no more messages from us */
	unsigned eos_sent : 1;              /* END_STREAM went out */
	unsigned deferred : 1;              /* the body provider said DEFERRED */
	unsigned finished : 1;
	unsigned rst_recv : 1;
	/* send queue: framed messages not yet taken by nghttp2 */
	uint8_t *sbuf;
	size_t slen, soff, scap;
	/* receive */
	uint8_t hdr[5];
	size_t hdr_have;
	int in_msg;
	uint8_t *rbuf;
	size_t rlen, rhave;
	uint8_t *resp;                      /* unary: the one response */
	size_t resp_len;
	int nresp;
	int http_status;
	int grpc_status;                    /* -1 absent, -2 malformed */
	char *grpc_message;                 /* raw, percent-encoded */
	char *content_type;
	size_t header_bytes;
	/* the end */
	int code;
	char *message;
};

struct kube__grpc_channel {
	kube_loop *loop;
	struct event_base *base;
	char *target;
	char *unix_path;                    /* unix target, or NULL */
	char *host, *port;                  /* TCP target */
	char *authority;
	size_t max_recv, max_send;
	uint64_t connect_timeout_ms, backoff_initial_ms, backoff_max_ms, backoff_ms;
	kube__grpc_conn *cur;
	kube__grpc_conn *conns;
	kube__grpc_call *wait_head, *wait_tail;
	kube__grpc_call *done_head, *done_tail;
	struct event *wake_ev;
	struct event *backoff_ev;
	int wake_pending;
	int in_backoff;
	int busy;
	int closing;
	uint64_t rng;
	char last_err[240];                 /* why the last connect failed */
};

/* ---- channel.c, for session.c ---- */

/*
 * Ends a call: records the status, resets the stream if it is still open
 * (rst < 0: leave it), and queues the callback for the end of the current
 * loop event.  A call that has ended already is left alone.
 */
KUBE_INTERNAL void kube__grpc_finish(kube__grpc_call *call, int code, int rst, const char *fmt,
                                     ...) KUBE_PRINTF(4, 5);
/* nghttp2 is done with the stream: the call leaves its connection. */
KUBE_INTERNAL void kube__grpc_detach(kube__grpc_call *call);
/* A detached call that may go again waits for the next connection. */
KUBE_INTERNAL void kube__grpc_requeue(kube__grpc_channel *ch, kube__grpc_call *call);
/* Whether a call may go again: it never left / the server refused it. */
KUBE_INTERNAL int kube__grpc_may_retry_unsent(const kube__grpc_call *call);
KUBE_INTERNAL int kube__grpc_may_retry(const kube__grpc_call *call);
/* Makes the channel run its end-of-event work (callbacks, writes) soon. */
KUBE_INTERNAL void kube__grpc_kick(kube__grpc_channel *ch);

/* ---- session.c ---- */

/* The callbacks of every client session (user_data: the conn). */
KUBE_INTERNAL nghttp2_session_callbacks *kube__grpc_session_callbacks(void);
/* A request body's data source (source->ptr: the call). */
KUBE_INTERNAL ssize_t kube__grpc_body_read(nghttp2_session *ng, int32_t stream_id, uint8_t *buf,
                                           size_t length, uint32_t *data_flags,
                                           nghttp2_data_source *source, void *user_data);

#endif /* LIBKUBE_GRPC_CHANNEL_PRIVATE_H */
