/*
 * logs.c - a container's stdout and stderr, written to its log file in the
 * CRI log format the kubelet reads (kubernetes pkg/kubelet/kuberuntime/logs):
 *
 *   <RFC 3339 time, nanoseconds> <stdout|stderr> <F|P> <text>\n
 *
 * One line of output is one log line tagged F (full).  A line longer than
 * 16 KiB (containerd's max_container_log_line_size default) is cut into
 * pieces tagged P (partial) followed by the last piece tagged F; text left
 * without a newline at end of file is written as F, as containerd does.
 * Times are UTC ("...Z") with nine fraction digits; RFC 3339 readers accept
 * both that and containerd's local offset.
 *
 * One thread per container owns both pipes until each reaches end of file,
 * which happens when every process in the container is gone (the kernel
 * kills the whole pid namespace when its init exits).  ReopenContainerLog
 * sets a flag the thread honours before its next write.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "rt.h"

#define LINE_MAX_BYTES 16384

typedef struct stream {
	int fd;
	const char *name;
	size_t len;
	char buf[LINE_MAX_BYTES];
} stream;

struct rt_logger {
	pthread_t thread;
	pthread_mutex_t mu;
	char *path;
	int log_fd;
	int reopen;
	stream s[2];
};

size_t rt_log_format(char *buf, size_t cap, int64_t ns, const char *stream_name, int partial,
                     const char *text, size_t len)
{
	time_t secs = (time_t)(ns / 1000000000);
	struct tm tm;
	gmtime_r(&secs, &tm);
	int n = snprintf(buf, cap, "%04d-%02d-%02dT%02d:%02d:%02d.%09lldZ %s %c ",
	                 tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
	                 tm.tm_sec, (long long)(ns % 1000000000), stream_name, partial ? 'P' : 'F');
	if (n < 0 || (size_t)n + len + 1 > cap)
		return 0;
	memcpy(buf + n, text, len);
	buf[(size_t)n + len] = '\n';
	return (size_t)n + len + 1;
}

static void open_log(rt_logger *l)
{
	if (l->log_fd >= 0)
		close(l->log_fd);
	l->log_fd = l->path ? open(l->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640) : -1;
}

static void emit(rt_logger *l, stream *s, const char *text, size_t len, int partial)
{
	pthread_mutex_lock(&l->mu);
	if (l->reopen) {
		l->reopen = 0;
		open_log(l);
	}
	int fd = l->log_fd;
	pthread_mutex_unlock(&l->mu);
	if (fd < 0)
		return;
	static __thread char line[LINE_MAX_BYTES + 128];
	size_t n = rt_log_format(line, sizeof(line), rt_now_ns(), s->name, partial, text, len);
	for (size_t off = 0; off < n;) {
		ssize_t w = write(fd, line + off, n - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;   /* a full disk loses log lines, never the container */
		off += (size_t)w;
	}
}

/* Reads what is there; 0 at end of file. */
static int pump(rt_logger *l, stream *s)
{
	ssize_t n = read(s->fd, s->buf + s->len, sizeof(s->buf) - s->len);
	if (n < 0)
		return errno == EINTR || errno == EAGAIN ? 1 : 0;
	if (n == 0) {
		if (s->len)
			emit(l, s, s->buf, s->len, 0);
		s->len = 0;
		return 0;
	}
	s->len += (size_t)n;
	size_t start = 0;
	for (size_t i = 0; i < s->len; i++) {
		if (s->buf[i] == '\n') {
			emit(l, s, s->buf + start, i - start, 0);
			start = i + 1;
		}
	}
	if (start == 0 && s->len == sizeof(s->buf)) {
		emit(l, s, s->buf, s->len, 1);
		start = s->len;
	}
	memmove(s->buf, s->buf + start, s->len - start);
	s->len -= start;
	return 1;
}

static void *run(void *arg)
{
	rt_logger *l = arg;
	int open_streams = 2;
	while (open_streams) {
		struct pollfd p[2];
		int np = 0;
		for (int i = 0; i < 2; i++) {
			if (l->s[i].fd >= 0) {
				p[np].fd = l->s[i].fd;
				p[np].events = POLLIN;
				p[np].revents = 0;
				np++;
			}
		}
		if (poll(p, (nfds_t)np, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (int j = 0; j < np; j++) {
			if (!p[j].revents)
				continue;
			stream *s = l->s[0].fd == p[j].fd ? &l->s[0] : &l->s[1];
			if (!pump(l, s)) {
				close(s->fd);
				s->fd = -1;
				open_streams--;
			}
		}
	}
	return NULL;
}

int rt_logger_start(rt_logger **out, const char *path, int out_fd, int err_fd)
{
	rt_logger *l = calloc(1, sizeof(*l));
	if (!l || (path && !(l->path = strdup(path)))) {
		free(l);
		close(out_fd);
		close(err_fd);
		return KUBE_ENOMEM;
	}
	pthread_mutex_init(&l->mu, NULL);
	l->log_fd = -1;
	open_log(l);
	if (path && l->log_fd < 0) {
		int e = errno;
		close(out_fd);
		close(err_fd);
		free(l->path);
		pthread_mutex_destroy(&l->mu);
		free(l);
		return rt_fail(KUBE_EIO, "runtime-process: cannot open the log %s: %s", path, strerror(e));
	}
	l->s[0].fd = out_fd;
	l->s[0].name = "stdout";
	l->s[1].fd = err_fd;
	l->s[1].name = "stderr";
	if (pthread_create(&l->thread, NULL, run, l) != 0) {
		close(out_fd);
		close(err_fd);
		if (l->log_fd >= 0)
			close(l->log_fd);
		free(l->path);
		pthread_mutex_destroy(&l->mu);
		free(l);
		return rt_fail(KUBE_ERROR, "runtime-process: cannot start the log thread");
	}
	*out = l;
	return 0;
}

int rt_logger_reopen(rt_logger *l)
{
	if (!l || !l->path)
		return rt_fail(KUBE_ECONFLICT, "runtime-process: the container has no log file");
	/* The file exists when the call returns; the thread switches to it. */
	int fd = open(l->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
	if (fd < 0)
		return rt_fail(KUBE_EIO, "runtime-process: cannot reopen the log %s: %s", l->path,
		               strerror(errno));
	close(fd);
	pthread_mutex_lock(&l->mu);
	l->reopen = 1;
	pthread_mutex_unlock(&l->mu);
	return 0;
}

void rt_logger_join(rt_logger *l)
{
	if (!l)
		return;
	pthread_join(l->thread, NULL);
	if (l->log_fd >= 0)
		close(l->log_fd);
	free(l->path);
	pthread_mutex_destroy(&l->mu);
	free(l);
}
