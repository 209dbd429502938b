/*
 * The gRPC client's internal interface (issue 5).
 *
 * A channel is one HTTP/2 connection (nghttp2) to one target, driven by a
 * kube_loop: every callback below runs on that loop's thread, and every
 * function must be called on it, except where noted.  Many calls share the
 * connection as concurrent streams.  Messages are opaque bytes here: the
 * caller packs and unpacks them (lib/cri uses protobuf-c); this layer adds
 * and strips gRPC's 5-byte length prefix.
 *
 * This header is internal (kube__ names, not installed).  lib/cri is its
 * first user; the plugin runtime-cri and the future API server's clients
 * come next.
 */
#ifndef KUBE_GRPC_H
#define KUBE_GRPC_H

#include <stddef.h>
#include <stdint.h>

#include "base/base.h"
#include "libkube/loop.h"

/* gRPC status codes, as the protocol numbers them. */
enum {
	KUBE_GRPC_OK = 0,
	KUBE_GRPC_CANCELLED = 1,
	KUBE_GRPC_UNKNOWN = 2,
	KUBE_GRPC_INVALID_ARGUMENT = 3,
	KUBE_GRPC_DEADLINE_EXCEEDED = 4,
	KUBE_GRPC_NOT_FOUND = 5,
	KUBE_GRPC_ALREADY_EXISTS = 6,
	KUBE_GRPC_PERMISSION_DENIED = 7,
	KUBE_GRPC_RESOURCE_EXHAUSTED = 8,
	KUBE_GRPC_FAILED_PRECONDITION = 9,
	KUBE_GRPC_ABORTED = 10,
	KUBE_GRPC_OUT_OF_RANGE = 11,
	KUBE_GRPC_UNIMPLEMENTED = 12,
	KUBE_GRPC_INTERNAL = 13,
	KUBE_GRPC_UNAVAILABLE = 14,
	KUBE_GRPC_DATA_LOSS = 15,
	KUBE_GRPC_UNAUTHENTICATED = 16,
};

typedef struct kube__grpc_channel kube__grpc_channel;
typedef struct kube__grpc_call kube__grpc_call;

typedef struct kube__grpc_options {
	size_t max_recv_message;     /* 0: 16 MiB; a larger message ends the call RESOURCE_EXHAUSTED */
	size_t max_send_message;     /* 0: 16 MiB; a larger one is refused with KUBE_ETOOBIG */
	uint64_t connect_timeout_ms; /* 0: 20 s */
	uint64_t backoff_initial_ms; /* reconnect backoff: 0 = 1 s, doubling ... */
	uint64_t backoff_max_ms;     /* ... up to this (0 = 120 s), with jitter */
	const char *authority;       /* :authority; NULL = "localhost" for unix targets, else host:port */
} kube__grpc_options;

/* The end of a call.  message is the decoded grpc-message (percent-decoding
 * undone), "" when absent; both are borrowed for the callback's duration. */
typedef struct kube__grpc_status {
	int code;                    /* KUBE_GRPC_* */
	const char *message;
} kube__grpc_status;

/*
 * Opens a channel to `target`: "unix:/path", "unix:///path" or "host:port"
 * (TCP, IPv4/IPv6 literal or name).  Connects lazily on the first call and
 * again, with backoff, after the connection is lost or GOAWAY'd; calls made
 * while disconnected wait for the connection (within their deadline).
 * opts may be NULL.  0 or KUBE_EINVAL / KUBE_ENOMEM.
 */
KUBE_INTERNAL int kube__grpc_channel_new(kube__grpc_channel **out, kube_loop *loop,
                                         const char *target, const kube__grpc_options *opts);

/* (As built, doc/grpc.md.)  "Wait" applies to calls with a deadline: a call
 * without one ends UNAVAILABLE when a connect attempt fails, so nothing waits
 * forever for a socket that is not there.  A call whose request never left
 * (GOAWAY, a connection lost first) and a unary call the server refused
 * unprocessed (REFUSED_STREAM) are sent again transparently.  Free every
 * channel before its loop. */

/* Cancels every call still open (each finishes with CANCELLED, its callback
 * runs before this returns) and closes the connection.  NULL is a no-op. */
KUBE_INTERNAL void kube__grpc_channel_free(kube__grpc_channel *ch);

/* ---- unary calls ---- */

/* status->code == KUBE_GRPC_OK: resp/len is the one response message
 * (borrowed for the callback).  Otherwise resp is NULL. */
typedef void (*kube__grpc_unary_cb)(const kube__grpc_status *status, const uint8_t *resp,
                                    size_t len, void *userdata);

/*
 * Starts a unary call of `method` ("/runtime.v1.RuntimeService/Version").
 * timeout_ms 0 means no deadline; otherwise grpc-timeout is sent and the
 * client also ends the call DEADLINE_EXCEEDED on its own clock.  cb runs
 * exactly once, never from inside this function.  *out_call (optional)
 * lets the caller cancel; it is valid until cb has run.
 * 0, or KUBE_EINVAL / KUBE_ETOOBIG / KUBE_ENOMEM (cb will not run).
 */
KUBE_INTERNAL int kube__grpc_unary(kube__grpc_channel *ch, const char *method,
                                   const uint8_t *req, size_t len, uint64_t timeout_ms,
                                   kube__grpc_unary_cb cb, void *userdata,
                                   kube__grpc_call **out_call);

/*
 * The same, blocking: runs the channel's loop (which must not be running
 * already, and must belong to this thread) until the call ends.  On
 * KUBE_GRPC_OK *resp is a malloc'd copy the caller frees (kube_free).
 * Returns the gRPC status code; *message (optional) gets a malloc'd copy of
 * grpc-message or NULL.
 */
KUBE_INTERNAL int kube__grpc_unary_sync(kube__grpc_channel *ch, const char *method,
                                        const uint8_t *req, size_t len, uint64_t timeout_ms,
                                        uint8_t **resp, size_t *resp_len, char **message);

/* ---- streaming calls (server-streaming and bidirectional) ---- */

typedef struct kube__grpc_stream_handlers {
	/* A message arrived (borrowed). */
	void (*on_message)(kube__grpc_call *call, const uint8_t *msg, size_t len, void *userdata);
	/* The call ended; runs exactly once, last. */
	void (*on_close)(kube__grpc_call *call, const kube__grpc_status *status, void *userdata);
} kube__grpc_stream_handlers;

/* Opens a stream.  For a server-streaming call, send the one request with
 * kube__grpc_call_send and then kube__grpc_call_close_send. */
KUBE_INTERNAL int kube__grpc_stream(kube__grpc_channel *ch, const char *method,
                                    uint64_t timeout_ms, const kube__grpc_stream_handlers *h,
                                    void *userdata, kube__grpc_call **out_call);

/* Queues one message (copied; flow control is the channel's business). */
KUBE_INTERNAL int kube__grpc_call_send(kube__grpc_call *call, const uint8_t *msg, size_t len);

/* Half-closes: no more messages from the client (END_STREAM). */
KUBE_INTERNAL int kube__grpc_call_close_send(kube__grpc_call *call);

/* Cancels (RST_STREAM CANCEL); the call's callback runs with CANCELLED,
 * later on the loop, unless it has ended already.  NULL is a no-op. */
KUBE_INTERNAL void kube__grpc_call_cancel(kube__grpc_call *call);

/* ---- codes ---- */

/* gRPC code -> KUBE_E* (OK -> 0, NOT_FOUND -> KUBE_ENOTFOUND,
 * ALREADY_EXISTS -> KUBE_EEXISTS, DEADLINE_EXCEEDED -> KUBE_ETIMEDOUT,
 * UNAVAILABLE -> KUBE_EUNAVAILABLE, UNIMPLEMENTED -> KUBE_ENOTSUP, ...). */
KUBE_INTERNAL int kube__grpc_code_to_kube(int grpc_code);

/* The canonical upper-case name ("NOT_FOUND"), for error messages. */
KUBE_INTERNAL const char *kube__grpc_code_name(int grpc_code);

/* Sets the thread's error from a finished call: "<method>: <CODE>: <message>"
 * and returns kube__grpc_code_to_kube(status->code). */
KUBE_INTERNAL int kube__grpc_status_error(const char *method, const kube__grpc_status *status);

#endif /* KUBE_GRPC_H */
