/*
 * server.h - a gRPC test server on nghttp2, for the client's tests, bench
 * and fuzz seeds.
 *
 * It runs on its own thread with a poll() loop, listens on a unix socket in
 * a fresh temporary directory (and, if asked, on 127.0.0.1 with a kernel
 * chosen port), and answers by method.  Every method lives under
 * "/test.Test/"; the request's first message is its argument, as text:
 *
 *   Echo            echoes each message as it comes (unary and bidi), OK at
 *                   the client's END_STREAM
 *   Stream          "N" or "N:size": N messages "msg-<i>" (or size bytes
 *                   of 'x'), then OK
 *   Delay           "ms": waits, then echoes the argument
 *   Headers         one message listing the request headers, "name: value\n"
 *   Status          "code:raw-grpc-message": headers, trailers with that
 *                   status (the message is sent as given, already encoded)
 *   TrailersOnly    the same in one HEADERS frame with END_STREAM
 *   Http            "404": that :status, text/plain, a body, no grpc-status
 *   WrongType       200 with content-type text/html, a body, grpc-status 0
 *   Truncated       a prefix announcing 100 bytes, 10 sent, then OK
 *   Oversized       "N": a prefix announcing N bytes, 1 KiB of them, no end
 *   Compressed      a message with flag 1 (or the argument's), no grpc-encoding, OK
 *   NoTrailers      a message, then END_STREAM on DATA
 *   TwoMessages     two messages, then OK
 *   Empty           OK without a message
 *   Rst             "code": RST_STREAM with that error code
 *   Drop            closes the connection
 *   Goaway          GOAWAY (NO_ERROR) naming the stream before this one,
 *                   then keeps the connection until the client leaves
 *   Malformed       "hpack" | "data0" | "badsettings": raw broken frames
 *   RefuseOnce      every other call REFUSED_STREAM, the others echo
 *   GoawayThenEcho  GOAWAY naming this stream as the last, then an echo
 *   BigTrailers     trailers with a 20,000-byte grpc-message
 *   Silent          never answers
 *
 * Connection modes (ts_server_set_mode) apply to connections accepted after
 * the call: normal, garbage instead of SETTINGS, SETTINGS + GOAWAY and close.
 */
#ifndef KUBE_TESTS_GRPC_SERVER_H
#define KUBE_TESTS_GRPC_SERVER_H

#include <stddef.h>
#include <stdint.h>

typedef struct ts_server ts_server;

enum {
	TS_MODE_NORMAL = 0,
	TS_MODE_GARBAGE = 1,      /* "HTTP/1.1 400 ..." after the client preface */
	TS_MODE_GOAWAY = 2,       /* SETTINGS, GOAWAY(last 0), then close */
};

/* Starts a server thread; tcp != 0 also listens on 127.0.0.1.  NULL on failure. */
ts_server *ts_server_start(int tcp);
/* The same, listening at `path` (the caller owns its directory). */
ts_server *ts_server_start_at(const char *path, int tcp);
/* "unix:/tmp/.../grpc.sock" */
const char *ts_server_unix_target(ts_server *s);
/* "127.0.0.1:port", or NULL without tcp */
const char *ts_server_tcp_target(ts_server *s);
void ts_server_set_mode(ts_server *s, int mode);
/* SETTINGS_MAX_CONCURRENT_STREAMS of connections accepted after the call. */
void ts_server_set_max_streams(ts_server *s, int n);
/* Connections accepted so far. */
int ts_server_accepted(ts_server *s);
/* Streams whose RST_STREAM(CANCEL) from the client arrived so far. */
int ts_server_cancels(ts_server *s);
/* Closes every open connection (the next poll round). */
void ts_server_drop_all(ts_server *s);
/* Stops the thread, closes everything, removes the socket and its dir. */
void ts_server_stop(ts_server *s);

#endif
