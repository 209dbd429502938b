/*
 * watch.c - the event ring and the watchers that read it.
 *
 *   ring (the last `history` writes, revisions ascending)
 *   ┌──────┬──────┬──────┬──────┬──────┐
 *   │ r=41 │ r=42 │ r=43 │ r=44 │ r=45 │   each: type, key, obj, prev (shared, frozen)
 *   └──────┴──────┴──────┴──────┴──────┘
 *      ▲ oldest             ▲ watcher A's cursor (delivered up to 44)
 *
 * A watcher is a cursor into the ring, not a queue: one write costs one ring
 * slot whatever the number of watchers, and every watcher reads the same
 * object pointers.  Delivery runs from a zero-timeout timer on the loop
 * (never inside the write), walks each watcher from its cursor to the head,
 * and advances the cursor one event at a time, so each event is delivered
 * once and in order even when callbacks write, cancel or add watches.
 *
 * Writers never wait.  A watcher whose next event has left the ring ends
 * with KUBE_EGONE; a paused watcher whose backlog passes watch_backlog ends
 * with KUBE_EBUSY.  Either way it re-lists and watches again.
 *
 * Watchers ended or cancelled inside a callback stay linked (marked dead)
 * until the outermost callback context returns, then are freed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_private.h"

struct kube_watch {
	kube_watch *prev, *next;
	kube_store *store;
	kube__filter filter;
	char *resource;
	char *namespace_;
	kube_watch_cb cb;
	void *userdata;
	void (*destroy)(void *);
	int64_t cursor;              /* every event with revision <= cursor is done */
	int64_t counted;             /* paused: events up to here are counted ... */
	size_t backlog;              /* ... and this many of them are for us */
	kube_object **initial;       /* revision 0: the ADDED events to send first */
	size_t ninitial, initial_pos;
	int bookmarks;
	int paused;
	int dead;
};

/* ---- the ring ---- */

kube__event *kube__ring_at(const kube_store *s, size_t i)
{
	return &s->ring[(s->ring_first + i) % s->ring_cap];
}

size_t kube__ring_after(const kube_store *s, int64_t rev)
{
	size_t lo = 0, hi = s->ring_len;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (kube__ring_at(s, mid)->revision > rev)
			hi = mid;
		else
			lo = mid + 1;
	}
	return lo;
}

int64_t kube__ring_oldest_start(const kube_store *s)
{
	return s->ring_len ? kube__ring_at(s, 0)->revision - 1 : s->revision;
}

static void event_release(kube__event *ev)
{
	kube_free(ev->key);
	kube_object_unref(ev->obj);
	kube_object_unref(ev->prev);
	kube_object_unref(ev->prev_at);
	memset(ev, 0, sizeof(*ev));
}

static void schedule(kube_store *s)
{
	if (!s->closing && !kube_timer_is_active(s->dispatch_timer))
		kube_timer_start(s->dispatch_timer, 0, 0);
}

static void end_watch(kube_watch *w, int code);

int kube__ring_append(kube_store *s, kube_watch_event_type type, int64_t rev, const char *key,
                      kube_object *obj, kube_object *prev)
{
	char *k = kube_strdup(key);
	kube__event *ev;

	if (!k) {
		/* Watchers would miss this event: end them all rather than lie. */
		for (kube_watch *w = s->watches.head; w; w = w->next)
			if (!w->dead)
				end_watch(w, KUBE_ENOMEM);
		return kube__error_oom();
	}
	if (s->ring_len == s->ring_cap) {
		event_release(kube__ring_at(s, 0));
		s->ring_first = (s->ring_first + 1) % s->ring_cap;
		s->ring_len--;
	}
	ev = kube__ring_at(s, s->ring_len++);
	ev->type = type;
	ev->revision = rev;
	ev->key = k;
	ev->obj = kube_object_ref(obj);
	ev->prev = kube_object_ref(prev);
	if (s->watches.head)
		schedule(s);
	return 0;
}

/* ---- watchers ---- */

static void watch_free(kube_watch *w)
{
	kube_store *s = w->store;

	if (w->prev)
		w->prev->next = w->next;
	else
		s->watches.head = w->next;
	if (w->next)
		w->next->prev = w->prev;
	else
		s->watches.tail = w->prev;
	for (size_t i = w->initial_pos; i < w->ninitial; i++)
		kube_object_unref(w->initial[i]);
	kube_free(w->initial);
	kube__filter_fini(&w->filter);
	if (w->destroy)
		w->destroy(w->userdata);
	kube_free(w->resource);
	kube_free(w->namespace_);
	kube_free(w);
}

/* Frees dead watchers once no callback is running.  A destroy callback
 * may cancel other watches, which reaps (and frees) them at once: so no
 * pointer into the list is kept across a free, the walk starts over. */
static void reap(kube_store *s)
{
	kube_watch *w;

	if (s->dispatching)
		return;
	for (w = s->watches.head; w;) {
		if (w->dead) {
			watch_free(w);
			w = s->watches.head;
		} else {
			w = w->next;
		}
	}
}

static void emit(kube_watch *w, kube_watch_event_type type, kube_object *obj, int64_t rev, int err)
{
	kube_watch_event ev;

	ev.type = type;
	ev.object = obj;
	ev.revision = rev;
	ev.error = err;
	/* Hold the object: the callback may write, and the ring may drop it. */
	kube_object_ref(obj);
	w->store->dispatching++;
	w->cb(w, &ev, w->userdata);
	w->store->dispatching--;
	kube_object_unref(obj);
}

static void end_watch(kube_watch *w, int code)
{
	if (w->dead)
		return;
	w->dead = 1;   /* first, so a cancel inside the callback is a no-op */
	emit(w, KUBE_WATCH_ERROR, NULL, w->store->revision, code);
}

static int64_t object_revision(const kube_object *o)
{
	const char *rv = kube_object_resource_version(o);
	return rv ? strtoll(rv, NULL, 10) : 0;
}

/* The previous state stamped with the event's revision (see kube__event). */
static kube_object *prev_at(kube__event *ev)
{
	kube_object *o = NULL;
	char rv[24];

	if (ev->prev_at)
		return ev->prev_at;
	snprintf(rv, sizeof(rv), "%lld", (long long)ev->revision);
	if (kube_object_mutable(&o, ev->prev) != 0 ||
	    kube_object_set_string(o, "metadata.resourceVersion", rv) != 0) {
		kube_object_unref(o);
		return NULL;
	}
	kube_object_freeze(o);
	return ev->prev_at = o;
}

/* What ev is to w: selected now (the new state) and before (the old). */
static int selects(kube_watch *w, const kube__event *ev, int *before)
{
	*before = ev->prev && kube__filter_matches(&w->filter, ev->key, ev->prev);
	return ev->type != KUBE_WATCH_DELETED && kube__filter_matches(&w->filter, ev->key, ev->obj);
}

/*
 * A paused watcher's undelivered events are the ring's events that it
 * would be sent (of its resource, through its selectors): the ring holds
 * every resource's.  They are counted as they come, once each; events it
 * would skip are skipped now, while none of its own waits before them, so
 * that other resources' writes neither end it as slow nor push it out of
 * the history.
 */
static void count_backlog(kube_store *s, kube_watch *w)
{
	int64_t from = w->counted > w->cursor ? w->counted : w->cursor;

	for (size_t i = kube__ring_after(s, from); i < s->ring_len; i++) {
		kube__event *ev = kube__ring_at(s, i);
		int before, now = selects(w, ev, &before);
		if (now || before)
			w->backlog++;
		else if (w->backlog == 0)
			w->cursor = ev->revision;
		w->counted = ev->revision;
	}
	if (w->backlog > s->opts.watch_backlog)
		end_watch(w, KUBE_EBUSY);
}

static void deliver(kube_store *s, kube_watch *w)
{
	while (!w->dead && !w->paused && w->initial_pos < w->ninitial) {
		kube_object *o = w->initial[w->initial_pos];
		w->initial[w->initial_pos++] = NULL;
		emit(w, KUBE_WATCH_ADDED, o, object_revision(o), 0);
		kube_object_unref(o);
	}
	if (w->dead)
		return;
	if (w->initial && w->initial_pos == w->ninitial) {
		kube_free(w->initial);
		w->initial = NULL;
		w->ninitial = w->initial_pos = 0;
	}
	if (w->cursor < kube__ring_oldest_start(s)) {
		end_watch(w, KUBE_EGONE);
		return;
	}
	if (w->paused) {
		count_backlog(s, w);
		return;
	}
	w->counted = 0;   /* delivered from here on: counted afresh at a pause */
	w->backlog = 0;
	while (!w->dead && !w->paused) {
		size_t i;
		kube__event *ev;
		int now, before;
		kube_watch_event_type type;

		if (w->cursor < kube__ring_oldest_start(s)) {
			end_watch(w, KUBE_EGONE);
			return;
		}
		if ((i = kube__ring_after(s, w->cursor)) >= s->ring_len)
			return;
		ev = kube__ring_at(s, i);
		w->cursor = ev->revision;
		now = selects(w, ev, &before);
		kube_object *obj = ev->obj;
		if (now && before)
			type = KUBE_WATCH_MODIFIED;
		else if (now)
			type = KUBE_WATCH_ADDED;
		else if (before)
			type = KUBE_WATCH_DELETED;   /* deleted, or no longer selected */
		else
			continue;
		if (type == KUBE_WATCH_DELETED && ev->type == KUBE_WATCH_MODIFIED &&
		    !(obj = prev_at(ev))) {
			end_watch(w, KUBE_ENOMEM);
			return;
		}
		emit(w, type, obj, ev->revision, 0);
	}
}

static void on_dispatch(kube_timer *t, void *userdata)
{
	kube_store *s = userdata;

	KUBE_UNUSED(t);
	s->dispatching++;
	for (kube_watch *w = s->watches.head; w; w = w->next)
		if (!w->dead)
			deliver(s, w);
	s->dispatching--;
	reap(s);
}

static void on_bookmark(kube_timer *t, void *userdata)
{
	kube_store *s = userdata;

	KUBE_UNUSED(t);
	s->dispatching++;
	for (kube_watch *w = s->watches.head; w; w = w->next) {
		/* Only a watcher that has seen everything may be told "you are at
		 * revision R"; the others catch up first. */
		if (w->dead || w->paused || !w->bookmarks || w->initial ||
		    kube__ring_after(s, w->cursor) < s->ring_len)
			continue;
		if (w->cursor < s->revision)
			w->cursor = s->revision;
		emit(w, KUBE_WATCH_BOOKMARK, NULL, s->revision, 0);
	}
	s->dispatching--;
	reap(s);
}

int kube__watch_init(kube_store *s)
{
	int rc;

	if (!(s->ring = kube_calloc(s->opts.history, sizeof(kube__event))))
		return kube__error_oom();
	s->ring_cap = s->opts.history;
	if ((rc = kube_timer_new(&s->dispatch_timer, s->loop, on_dispatch, s, NULL)) != 0)
		return rc;
	if (s->opts.bookmark_ms > 0) {
		if ((rc = kube_timer_new(&s->bookmark_timer, s->loop, on_bookmark, s, NULL)) != 0)
			return rc;
		if ((rc = kube_timer_start(s->bookmark_timer, s->opts.bookmark_ms, s->opts.bookmark_ms)) != 0)
			return rc;
	}
	return 0;
}

void kube__watch_fini(kube_store *s)
{
	s->dispatching++;
	for (kube_watch *w = s->watches.head; w; w = w->next)
		end_watch(w, KUBE_ECANCELED);
	s->dispatching--;
	reap(s);
	kube_timer_free(s->dispatch_timer);
	kube_timer_free(s->bookmark_timer);
	s->dispatch_timer = s->bookmark_timer = NULL;
	for (size_t i = 0; i < s->ring_len; i++)
		event_release(kube__ring_at(s, i));
	kube_free(s->ring);
	s->ring = NULL;
	s->ring_len = 0;
}

int kube_store_watch(kube_watch **out, kube_store *store, const char *resource,
                     const kube_watch_options *opts, kube_watch_cb cb, void *userdata,
                     void (*destroy)(void *))
{
	kube_watch_options def = KUBE_WATCH_OPTIONS_INIT;
	kube_watch *w;
	int rc;

	if (out)
		*out = NULL;
	KUBE_CHECK_ARG(store);
	KUBE_CHECK_ARG(resource && *resource && !strchr(resource, '/'));
	KUBE_CHECK_ARG(cb);
	KUBE_CHECK_ARG(!store->closing);
	if (!opts)
		opts = &def;
	KUBE_CHECK_ARG(opts->version >= 1 && opts->version <= KUBE_WATCH_OPTIONS_VERSION);
	KUBE_CHECK_ARG(opts->revision >= 0);
	if (opts->revision > store->revision)
		return kube__error_set(KUBE_EINVAL, NULL, "Too large resource version: %lld, current: %lld",
		                       (long long)opts->revision, (long long)store->revision);
	if (opts->revision > 0 && opts->revision < kube__ring_oldest_start(store))
		return kube__error_set(KUBE_EGONE, NULL, "too old resource version: %lld (%lld)",
		                       (long long)opts->revision,
		                       (long long)kube__ring_oldest_start(store));
	if (!(w = kube_calloc(1, sizeof(*w))) || !(w->resource = kube_strdup(resource)) ||
	    (opts->namespace_ && !(w->namespace_ = kube_strdup(opts->namespace_)))) {
		if (w)
			kube_free(w->resource);
		kube_free(w);
		return kube__error_oom();
	}
	/* The filter borrows the strings kept in w. */
	if ((rc = kube__filter_init(&w->filter, w->resource, w->namespace_, opts->label_selector,
	                            opts->field_selector)) != 0) {
		kube_free(w->resource);
		kube_free(w->namespace_);
		kube_free(w);
		return rc;
	}
	w->store = store;
	w->cb = cb;
	w->userdata = userdata;
	w->bookmarks = opts->bookmarks;
	w->cursor = opts->revision;
	if (opts->revision == 0) {
		w->cursor = store->revision;
		if ((rc = kube__store_snapshot(store, &w->filter, &w->initial, &w->ninitial)) != 0) {
			kube__filter_fini(&w->filter);
			kube_free(w->resource);
			kube_free(w->namespace_);
			kube_free(w);
			return rc;
		}
	}
	w->destroy = destroy;
	w->prev = store->watches.tail;
	if (store->watches.tail)
		store->watches.tail->next = w;
	else
		store->watches.head = w;
	store->watches.tail = w;
	if (w->ninitial || w->cursor < store->revision)
		schedule(store);
	if (out)
		*out = w;
	return 0;
}

void kube_watch_cancel(kube_watch *watch)
{
	if (!watch || watch->dead)
		return;
	watch->dead = 1;
	reap(watch->store);
}

void kube_watch_pause(kube_watch *watch)
{
	if (watch && !watch->dead)
		watch->paused = 1;
}

void kube_watch_resume(kube_watch *watch)
{
	if (watch && !watch->dead && watch->paused) {
		watch->paused = 0;
		schedule(watch->store);
	}
}
