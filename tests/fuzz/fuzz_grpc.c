/*
 * fuzz_grpc.c - arbitrary bytes as the server's side of a gRPC connection.
 *
 * Each input gets a fresh channel whose connection is one end of a
 * socketpair (the client's own writes go there and are drained), with two
 * calls open: a unary call (stream 1) and a bidi stream that has sent one
 * message and half-closed (stream 3).  The input is fed to the client's
 * receive path (kube__grpc_test_receive, the same code a socket read runs)
 * in pieces whose sizes the first byte picks, so frames split at every
 * place.  Then the loop runs, and freeing the channel ends whatever is still
 * open.  The callbacks check what the API promises: each call ends exactly
 * once, an OK unary call has a response, a failed one has none.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "grpc/grpc_private.h"
#include "libkube/kube.h"

static kube_loop *loop;

typedef struct fz {
	int unary_done;
	int stream_done;
	size_t msgs;
} fz;

static void on_unary(const kube__grpc_status *st, const uint8_t *resp, size_t len, void *ud)
{
	fz *f = ud;
	if (f->unary_done++ || !st->message)
		abort();
	if ((st->code == KUBE_GRPC_OK) != (resp != NULL))
		abort();
	if (resp && len)
		(void)resp[len - 1];
}

static void on_msg(kube__grpc_call *c, const uint8_t *m, size_t len, void *ud)
{
	fz *f = ud;
	if (f->stream_done)
		abort();
	if (len)
		(void)m[len - 1];
	f->msgs++;
}

static void on_close(kube__grpc_call *c, const kube__grpc_status *st, void *ud)
{
	fz *f = ud;
	if (f->stream_done++ || !st->message)
		abort();
}

static void drain(int fd)
{
	char buf[65536];
	while (read(fd, buf, sizeof(buf)) > 0)
		;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!loop && kube_loop_new(&loop, NULL) != 0)
		abort();
	kube__grpc_options o = { 0 };
	o.max_recv_message = 1 << 16;   /* let the fuzzer reach the limit */
	kube__grpc_channel *ch;
	if (kube__grpc_channel_new(&ch, loop, "unix:/fuzz/grpc.sock", &o) != 0)
		abort();
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0)
		abort();
	if (kube__grpc_test_adopt_fd(ch, sv[0]) != 0)
		abort();
	fz f = { 0, 0, 0 };
	kube__grpc_stream_handlers h = { on_msg, on_close };
	kube__grpc_call *s = NULL;
	if (kube__grpc_unary(ch, "/fuzz.F/Unary", (const uint8_t *)"req", 3, 0, on_unary, &f,
	                     NULL) != 0 ||
	    kube__grpc_stream(ch, "/fuzz.F/Bidi", 0, &h, &f, &s) != 0 ||
	    kube__grpc_call_send(s, (const uint8_t *)"m", 1) != 0 ||
	    kube__grpc_call_close_send(s) != 0)
		abort();
	kube_loop_run_once(loop, KUBE_LOOP_NOWAIT);   /* preface, SETTINGS, requests */
	drain(sv[1]);
	size_t piece = size ? (size_t)data[0] * 7 + 1 : 1;
	size_t off = size ? 1 : 0;
	while (off < size) {
		size_t n = size - off < piece ? size - off : piece;
		if (kube__grpc_test_receive(ch, data + off, n) != 0)
			break;   /* the connection ended */
		off += n;
		drain(sv[1]);
	}
	for (int i = 0; i < 3; i++) {
		kube_loop_run_once(loop, KUBE_LOOP_NOWAIT);
		drain(sv[1]);
	}
	kube__grpc_channel_free(ch);
	if (f.unary_done != 1 || f.stream_done != 1)
		abort();
	close(sv[1]);
	/* anything the channel left on the loop (a wakeup) runs out here */
	kube_loop_run_once(loop, KUBE_LOOP_NOWAIT);
	return 0;
}
