// SPDX-License-Identifier: GPL-2.0
/*
 * The event loop: epoll, a binary min-heap of timers, a run queue of
 * sessions with work left (edge-triggered descriptors do not report
 * readiness twice, so a session that stopped on its byte budget is
 * queued and resumed after the other ready events).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "switchd.h"

struct worker W;

static struct timer **heap;
static int nheap, capheap;
static bool loop_quit;
static int loop_rc;

uint64_t clock_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

uint64_t now_ms(void)
{
	return W.now;
}

int set_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
		return -1;
	return 0;
}

/* ---- timers ---------------------------------------------------------- */

static void heap_swap(int a, int b)
{
	struct timer *t = heap[a];

	heap[a] = heap[b];
	heap[b] = t;
	heap[a]->idx = a;
	heap[b]->idx = b;
}

static void heap_up(int i)
{
	while (i > 0) {
		int p = (i - 1) / 2;

		if (heap[p]->when <= heap[i]->when)
			break;
		heap_swap(i, p);
		i = p;
	}
}

static void heap_down(int i)
{
	for (;;) {
		int l = 2 * i + 1, r = l + 1, m = i;

		if (l < nheap && heap[l]->when < heap[m]->when)
			m = l;
		if (r < nheap && heap[r]->when < heap[m]->when)
			m = r;
		if (m == i)
			break;
		heap_swap(i, m);
		i = m;
	}
}

void timer_init(struct timer *t, void (*fn)(struct timer *), void *owner)
{
	t->idx = -1;
	t->fn = fn;
	t->owner = owner;
	t->when = 0;
}

void timer_stop(struct timer *t)
{
	int i = t->idx;

	if (i < 0)
		return;
	nheap--;
	if (i != nheap) {
		heap[i] = heap[nheap];
		heap[i]->idx = i;
		heap_down(i);
		heap_up(i);
	}
	t->idx = -1;
}

void timer_arm(struct timer *t, uint64_t when)
{
	if (t->idx >= 0) {
		uint64_t old = t->when;

		t->when = when;
		if (when < old)
			heap_up(t->idx);
		else
			heap_down(t->idx);
		return;
	}
	if (nheap == capheap) {
		capheap = capheap ? capheap * 2 : 256;
		heap = realloc(heap, sizeof(*heap) * (size_t)capheap);
		if (!heap)
			abort();
	}
	t->when = when;
	t->idx = nheap;
	heap[nheap++] = t;
	heap_up(t->idx);
}

void timer_arm_in(struct timer *t, uint64_t ms)
{
	timer_arm(t, W.now + ms);
}

uint64_t timers_next(void)
{
	return nheap ? heap[0]->when : UINT64_MAX;
}

void timers_run(void)
{
	int budget = 10000;

	while (nheap && heap[0]->when <= W.now && budget--) {
		struct timer *t = heap[0];

		timer_stop(t);
		t->fn(t);
	}
}

/* ---- epoll ---------------------------------------------------------- */

int loop_init(void)
{
	W.ep = epoll_create1(EPOLL_CLOEXEC);
	W.now = clock_ms();
	return W.ep < 0 ? -1 : 0;
}

int ev_add(struct evh *h, uint32_t events)
{
	struct epoll_event e = { .events = events, .data.ptr = h };

	return epoll_ctl(W.ep, EPOLL_CTL_ADD, h->fd, &e);
}

int ev_mod(struct evh *h, uint32_t events)
{
	struct epoll_event e = { .events = events, .data.ptr = h };

	return epoll_ctl(W.ep, EPOLL_CTL_MOD, h->fd, &e);
}

void ev_del(struct evh *h)
{
	if (h->fd >= 0)
		epoll_ctl(W.ep, EPOLL_CTL_DEL, h->fd, NULL);
}

void loop_stop(void)
{
	loop_quit = true;
}

extern void main_event(struct evh *h, uint32_t events);

int loop_run(void)
{
	struct epoll_event evs[256];

	while (!loop_quit) {
		uint64_t next;
		int tmo, n;

		W.now = clock_ms();
		timers_run();
		if (loop_quit)
			break;
		next = timers_next();
		if (W.runq)
			tmo = 0;
		else if (next == UINT64_MAX)
			tmo = -1;
		else
			tmo = next > W.now ? (int)(next - W.now < 60000 ? next - W.now : 60000) : 0;
		n = epoll_wait(W.ep, evs, 256, tmo);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_msg("error: epoll_wait: %s", strerror(errno));
			return 1;
		}
		W.now = clock_ms();
		for (int i = 0; i < n; i++) {
			struct evh *h = evs[i].data.ptr;

			switch (h->kind) {
			case EV_CLI:
			case EV_SRV:
				sess_event(h, evs[i].events);
				break;
			case EV_LISTEN:
				listener_accept(h->owner);
				break;
			case EV_CHECK:
				check_event(h, evs[i].events);
				break;
			case EV_STATS_LISTEN:
			case EV_STATS_CONN:
				stats_event(h, evs[i].events);
				break;
			case EV_EVENTS:
				kern_events_read();
				break;
			case EV_HANDOFF_DONE:
				handoff_done_event();
				break;
			default:
				main_event(h, evs[i].events);
				break;
			}
		}
		/* sessions that stopped on their budget, in arrival order */
		{
			struct sess *q = W.runq;

			W.runq = W.runq_tail = NULL;
			while (q) {
				struct sess *s = q;

				q = q->rq_next;
				s->rq_next = NULL;
				s->in_runq = false;
				if (s->state != ST_DEAD)
					sess_run(s);
			}
		}
		sess_reap();
	}
	return loop_rc;
}
