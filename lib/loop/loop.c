/*
 * loop.c - kube_loop: a libevent base, a cross-thread wakeup, posted and
 * deferred calls, and timers.
 *
 *   any thread                         loop thread
 *   kube_loop_post ──mu──▶ post list ─┐
 *   worker done    ──mu──▶ done list ─┤ one write to the wakeup fd
 *                                     ▼ (only when none is in flight)
 *                         wake_ev: drain fd, take both lists, run them
 *   kube_loop_defer ────▶ defer list ─▶ defer_ev (a zero timeout: next iteration)
 *
 * The wakeup is an eventfd (a pipe where there is none) rather than
 * event_active() from the posting thread: event_active across threads needs
 * libevent's locking, which an embedder's base may have been created
 * without.  A descriptor write is safe whatever base we are given.
 *
 * Deferred calls ride on a zero-timeout timer and not on event_active():
 * libevent runs events activated during an iteration in that same
 * iteration, and "later" has to mean later, so that a callback that defers
 * another one cannot starve I/O.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "loop_private.h"

int kube_loop_options_init(kube_loop_options *opts, unsigned int version)
{
	kube_loop_options def = KUBE_LOOP_OPTIONS_INIT;

	KUBE_CHECK_ARG(opts);
	if (version == 0 || version > KUBE_LOOP_OPTIONS_VERSION)
		return kube__error_set(KUBE_EINVAL, NULL,
		                       "kube_loop_options_init: unknown version %u", version);
	*opts = def;
	opts->version = version;
	return 0;
}

/* ---- wakeup ---- */

void kube__loop_signal_locked(kube_loop *loop)
{
	uint64_t one = 1;
	ssize_t n;

	if (loop->signaled)
		return;
	loop->signaled = 1;
	/* EAGAIN means the counter/pipe is already full: a wakeup is pending. */
	do
		n = write(loop->wake_wr, &one, loop->wake_rd == loop->wake_wr ? sizeof(one) : 1);
	while (n < 0 && errno == EINTR);
}

static void free_calls(kube__call *c)
{
	while (c) {
		kube__call *next = c->next;
		if (c->destroy)
			c->destroy(c->userdata);
		kube_free(c);
		c = next;
	}
}

static void run_calls(kube__call *c)
{
	while (c) {
		kube__call *next = c->next;
		c->cb(c->userdata);
		if (c->destroy)
			c->destroy(c->userdata);
		kube_free(c);
		c = next;
	}
}

static void on_wake(evutil_socket_t fd, short what, void *arg)
{
	kube_loop *loop = arg;
	char buf[64];
	kube__call *posts;

	KUBE_UNUSED(what);
	while (read(fd, buf, sizeof(buf)) > 0 && loop->wake_rd != loop->wake_wr)
		;
	pthread_mutex_lock(&loop->mu);
	posts = loop->post_head;
	loop->post_head = loop->post_tail = NULL;
	loop->signaled = 0;
	pthread_mutex_unlock(&loop->mu);
	run_calls(posts);
	kube__loop_run_completions(loop);
}

static void on_defer(evutil_socket_t fd, short what, void *arg)
{
	kube_loop *loop = arg;
	kube__call *calls = loop->defer_head;

	KUBE_UNUSED(fd);
	KUBE_UNUSED(what);
	/* Take the whole list first: calls deferred while these run go to the
	 * next iteration. */
	loop->defer_head = loop->defer_tail = NULL;
	run_calls(calls);
}

/* ---- life cycle ---- */

static int set_nonblock_cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -1;
	fl = fcntl(fd, F_GETFD);
	if (fl < 0 || fcntl(fd, F_SETFD, fl | FD_CLOEXEC) < 0)
		return -1;
	return 0;
}

static int open_wakeup(kube_loop *loop)
{
	int fds[2];
	int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

	if (fd >= 0) {
		loop->wake_rd = loop->wake_wr = fd;
		return 0;
	}
	if (pipe(fds) < 0)
		return kube__error_set(KUBE_EIO, NULL, "kube_loop: cannot create a wakeup pipe: %s",
		                       strerror(errno));
	if (set_nonblock_cloexec(fds[0]) < 0 || set_nonblock_cloexec(fds[1]) < 0) {
		int e = errno;
		close(fds[0]);
		close(fds[1]);
		return kube__error_set(KUBE_EIO, NULL, "kube_loop: cannot set up the wakeup pipe: %s",
		                       strerror(e));
	}
	loop->wake_rd = fds[0];
	loop->wake_wr = fds[1];
	return 0;
}

static void close_wakeup(kube_loop *loop)
{
	if (loop->wake_rd >= 0)
		close(loop->wake_rd);
	if (loop->wake_wr >= 0 && loop->wake_wr != loop->wake_rd)
		close(loop->wake_wr);
	loop->wake_rd = loop->wake_wr = -1;
}

static void loop_release(kube_loop *loop)
{
	if (loop->wake_ev)
		event_free(loop->wake_ev);
	if (loop->defer_ev)
		event_free(loop->defer_ev);
	close_wakeup(loop);
	if (loop->owns_base && loop->base)
		event_base_free(loop->base);
	pthread_cond_destroy(&loop->work_cv);
	pthread_mutex_destroy(&loop->mu);
	kube_free(loop->threads);
	kube_free(loop);
}

static int loop_create(kube_loop **out, struct event_base *base, int owns,
                       const kube_loop_options *opts)
{
	kube_loop_options def = KUBE_LOOP_OPTIONS_INIT;
	kube_loop *loop;
	int rc;

	if (!opts)
		opts = &def;
	if (opts->version == 0 || opts->version > KUBE_LOOP_OPTIONS_VERSION) {
		if (owns)
			event_base_free(base);
		return kube__error_set(KUBE_EINVAL, NULL, "kube_loop: unknown options version %u",
		                       opts->version);
	}
	loop = kube_calloc(1, sizeof(*loop));
	if (!loop) {
		if (owns)
			event_base_free(base);
		return kube__error_oom();
	}
	loop->base = base;
	loop->owns_base = owns;
	loop->nworkers = opts->workers;
	loop->wake_rd = loop->wake_wr = -1;
	pthread_mutex_init(&loop->mu, NULL);
	pthread_cond_init(&loop->work_cv, NULL);
	if ((rc = open_wakeup(loop)) != 0) {
		loop_release(loop);
		return rc;
	}
	loop->wake_ev = event_new(base, loop->wake_rd, EV_READ | EV_PERSIST, on_wake, loop);
	loop->defer_ev = event_new(base, -1, 0, on_defer, loop);
	if (!loop->wake_ev || !loop->defer_ev) {
		loop_release(loop);
		return kube__error_oom();
	}
	if (event_add(loop->wake_ev, NULL) < 0) {
		loop_release(loop);
		return kube__error_set(KUBE_EIO, NULL, "kube_loop: cannot watch the wakeup descriptor");
	}
	*out = loop;
	return 0;
}

int kube_loop_new(kube_loop **out, const kube_loop_options *opts)
{
	struct event_base *base;

	KUBE_CHECK_ARG(out);
	*out = NULL;
	base = event_base_new();
	if (!base)
		return kube__error_set(KUBE_EIO, NULL, "kube_loop_new: event_base_new failed");
	return loop_create(out, base, 1, opts);
}

int kube_loop_new_from_base(kube_loop **out, struct event_base *base,
                            const kube_loop_options *opts)
{
	KUBE_CHECK_ARG(out);
	*out = NULL;
	KUBE_CHECK_ARG(base);
	return loop_create(out, base, 0, opts);
}

void kube_loop_free(kube_loop *loop)
{
	kube__call *posts;

	if (!loop)
		return;
	pthread_mutex_lock(&loop->mu);
	loop->closing = 1;
	pthread_mutex_unlock(&loop->mu);

	/* Work first: a completion may still defer or post, and those calls are
	 * then dropped below like any other. */
	kube__loop_workers_shutdown(loop);

	pthread_mutex_lock(&loop->mu);
	posts = loop->post_head;
	loop->post_head = loop->post_tail = NULL;
	pthread_mutex_unlock(&loop->mu);
	free_calls(posts);
	free_calls(loop->defer_head);
	loop->defer_head = loop->defer_tail = NULL;
	while (loop->timers) {
		kube_timer *t = loop->timers;
		t->in_cb = 0;
		kube_timer_free(t);
	}
	loop_release(loop);
}

struct event_base *kube_loop_base(kube_loop *loop)
{
	return loop ? loop->base : NULL;
}

/* ---- running ---- */

int kube_loop_run(kube_loop *loop)
{
	KUBE_CHECK_ARG(loop);
	if (event_base_loop(loop->base, EVLOOP_NO_EXIT_ON_EMPTY) < 0)
		return kube__error_set(KUBE_EIO, NULL, "kube_loop_run: event_base_loop failed");
	return 0;
}

int kube_loop_run_once(kube_loop *loop, unsigned int flags)
{
	int evflags = EVLOOP_ONCE;

	KUBE_CHECK_ARG(loop);
	KUBE_CHECK_ARG((flags & ~KUBE_LOOP_NOWAIT) == 0);
	if (flags & KUBE_LOOP_NOWAIT)
		evflags = EVLOOP_NONBLOCK;
	if (event_base_loop(loop->base, evflags) < 0)
		return kube__error_set(KUBE_EIO, NULL, "kube_loop_run_once: event_base_loop failed");
	return 0;
}

void kube_loop_stop(kube_loop *loop)
{
	if (loop)
		event_base_loopbreak(loop->base);
}

/* ---- deferred and posted calls ---- */

static kube__call *call_new(kube_loop_cb cb, void *userdata, void (*destroy)(void *))
{
	kube__call *c = kube_malloc(sizeof(*c));
	if (!c)
		return NULL;
	c->next = NULL;
	c->cb = cb;
	c->userdata = userdata;
	c->destroy = destroy;
	return c;
}

int kube_loop_defer(kube_loop *loop, kube_loop_cb cb, void *userdata, void (*destroy)(void *))
{
	static const struct timeval zero = { 0, 0 };
	kube__call *c;

	KUBE_CHECK_ARG(loop);
	KUBE_CHECK_ARG(cb);
	if (!(c = call_new(cb, userdata, destroy)))
		return kube__error_oom();
	if (!loop->defer_head) {
		if (event_add(loop->defer_ev, &zero) < 0) {
			kube_free(c);
			return kube__error_set(KUBE_EIO, NULL, "kube_loop_defer: event_add failed");
		}
		loop->defer_head = c;
	} else {
		loop->defer_tail->next = c;
	}
	loop->defer_tail = c;
	return 0;
}

int kube_loop_post(kube_loop *loop, kube_loop_cb cb, void *userdata, void (*destroy)(void *))
{
	kube__call *c;

	KUBE_CHECK_ARG(loop);
	KUBE_CHECK_ARG(cb);
	if (!(c = call_new(cb, userdata, destroy)))
		return kube__error_oom();
	pthread_mutex_lock(&loop->mu);
	if (loop->closing) {
		pthread_mutex_unlock(&loop->mu);
		kube_free(c);
		return kube__error_set(KUBE_ECANCELED, NULL, "kube_loop_post: the loop is shutting down");
	}
	if (loop->post_tail)
		loop->post_tail->next = c;
	else
		loop->post_head = c;
	loop->post_tail = c;
	kube__loop_signal_locked(loop);
	pthread_mutex_unlock(&loop->mu);
	return 0;
}

/* ---- timers ---- */

static int timer_arm(kube_timer *t, uint64_t ms)
{
	struct timeval tv;

	tv.tv_sec = (time_t)(ms / 1000);
	tv.tv_usec = (suseconds_t)((ms % 1000) * 1000);
	if (event_add(t->ev, &tv) < 0)
		return kube__error_set(KUBE_EIO, NULL, "kube_timer_start: event_add failed");
	t->active = 1;
	return 0;
}

static void timer_release(kube_timer *t)
{
	kube_loop *loop = t->loop;

	event_free(t->ev);
	if (t->prev)
		t->prev->next = t->next;
	else
		loop->timers = t->next;
	if (t->next)
		t->next->prev = t->prev;
	if (t->destroy)
		t->destroy(t->userdata);
	kube_free(t);
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	kube_timer *t = arg;

	KUBE_UNUSED(fd);
	KUBE_UNUSED(what);
	t->active = 0;
	/* Re-arm before the callback so that the period does not drift by the
	 * callback's run time; a stop or restart inside the callback wins. */
	if (t->repeat_ms > 0)
		timer_arm(t, t->repeat_ms);
	t->in_cb = 1;
	t->cb(t, t->userdata);
	t->in_cb = 0;
	if (t->freed)
		timer_release(t);
}

int kube_timer_new(kube_timer **out, kube_loop *loop, kube_timer_cb cb, void *userdata,
                   void (*destroy)(void *))
{
	kube_timer *t;

	KUBE_CHECK_ARG(out);
	*out = NULL;
	KUBE_CHECK_ARG(loop);
	KUBE_CHECK_ARG(cb);
	t = kube_calloc(1, sizeof(*t));
	if (!t)
		return kube__error_oom();
	t->ev = event_new(loop->base, -1, 0, on_timer, t);
	if (!t->ev) {
		kube_free(t);
		return kube__error_oom();
	}
	t->loop = loop;
	t->cb = cb;
	t->userdata = userdata;
	t->destroy = destroy;
	t->next = loop->timers;
	if (loop->timers)
		loop->timers->prev = t;
	loop->timers = t;
	*out = t;
	return 0;
}

int kube_timer_start(kube_timer *timer, uint64_t timeout_ms, uint64_t repeat_ms)
{
	KUBE_CHECK_ARG(timer);
	KUBE_CHECK_ARG(!timer->freed);
	KUBE_CHECK_ARG(timeout_ms <= UINT64_C(1) << 40 && repeat_ms <= UINT64_C(1) << 40);
	event_del(timer->ev);
	timer->repeat_ms = repeat_ms;
	return timer_arm(timer, timeout_ms);
}

void kube_timer_stop(kube_timer *timer)
{
	if (!timer)
		return;
	event_del(timer->ev);
	timer->active = 0;
}

int kube_timer_is_active(const kube_timer *timer)
{
	return timer && timer->active && !timer->freed;
}

void kube_timer_free(kube_timer *timer)
{
	if (!timer || timer->freed)
		return;
	event_del(timer->ev);
	timer->active = 0;
	if (timer->in_cb) {
		timer->freed = 1;   /* on_timer releases it when the callback returns */
		return;
	}
	timer_release(timer);
}
