/*
 * grpc_private.h - what the files of lib/grpc share and the tests reach.
 *
 * status.c holds the pure parts (codes, HTTP and RST_STREAM mappings,
 * grpc-timeout and grpc-message encodings); channel.c the connection and the
 * calls.  The test hooks at the end let the unit test and the fuzz target
 * drive a channel over a socket they made themselves.
 */
#ifndef LIBKUBE_GRPC_PRIVATE_H
#define LIBKUBE_GRPC_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

#include "grpc/grpc.h"

/* HTTP :status without grpc-status -> gRPC code (http-grpc-status-mapping.md). */
KUBE_INTERNAL int kube__grpc_code_from_http(int http_status);

/* RST_STREAM error code -> gRPC code (PROTOCOL-HTTP2.md, "Errors"). */
KUBE_INTERNAL int kube__grpc_code_from_rst(uint32_t h2_error);

/*
 * Writes the grpc-timeout value for timeout_ms into buf (>= 10 bytes):
 * at most 8 digits and a unit, the smallest unit that fits, rounded up so
 * the server never sees a shorter deadline than ours.  Returns the length.
 */
KUBE_INTERNAL size_t kube__grpc_timeout_format(uint64_t timeout_ms, char *buf);

/*
 * Undoes grpc-message's percent-encoding into out (>= len + 1 bytes,
 * NUL-terminated); a broken %-sequence is kept as it is, as the spec
 * allows.  Returns the decoded length.
 */
KUBE_INTERNAL size_t kube__grpc_percent_decode(const char *in, size_t len, char *out);

/*
 * Parses grpc-status: decimal, no sign, no leading zero (but "0").  Returns
 * the value, or -1 when malformed.  Values above 16 are returned as they
 * are; the caller turns them into UNKNOWN.
 */
KUBE_INTERNAL int kube__grpc_parse_status(const char *s, size_t len);

/* ---- test hooks (channel.c) ---- */

/*
 * Makes an already connected stream socket the channel's connection, as if
 * it had just connected to the target (the channel owns fd from now on,
 * also on failure).  The channel must have no connection.  0 or
 * KUBE_EBUSY / KUBE_ENOMEM / KUBE_EIO.
 */
KUBE_INTERNAL int kube__grpc_test_adopt_fd(kube__grpc_channel *ch, int fd);

/*
 * Feeds bytes to the channel's newest open connection as if read from its
 * socket, then runs what a read would run (writes, callbacks).  0, or
 * KUBE_ENOTFOUND when there is no connection.
 */
KUBE_INTERNAL int kube__grpc_test_receive(kube__grpc_channel *ch, const uint8_t *data,
                                          size_t len);

#endif /* LIBKUBE_GRPC_PRIVATE_H */
