// SPDX-License-Identifier: GPL-2.0
/*
 * switchd and tcp_splice: the splice call, the threads that make it, and
 * the sessions living in the kernel until their end event.
 *
 * Why threads.  The splice call blocks until an RCU grace period has
 * passed (milliseconds on real hardware, tens of them under emulation):
 * made from the event loop it would stall every other session.  So the
 * loop hands the two descriptors to one of a few splice threads (each
 * with a handle of its own, so that their calls run in parallel and share
 * grace periods) and goes on; the thread reports through an eventfd.  The
 * session's descriptors are untouched by the loop meanwhile.
 *
 * After a successful drained splice switchd closes its descriptors (the
 * module holds its own references) and keeps a small record per session
 * until the module's EVENT_END arrives with the byte counts, the duration
 * and the end reason: that event writes the session's log line.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "switchd.h"
#include "tcpsplice.h"

/* ---- the wrapper: the one place that calls the library to splice ----- */

static struct tcpsplice_handle **th;		/* one per splice thread */
static int nth;
static struct tcpsplice_handle *evh;		/* events and lookups (loop thread) */
static struct evh ev_events = { EV_EVENTS, -1, NULL };

int kern_splice(int thread, int cfd, int sfd, uint64_t *id)
{
	int r = tcpsplice_splice(th[thread], cfd, sfd, TCPSPLICE_SPLICE_DRAINED, id);

	return r < 0 ? -r : 0;
}

bool kern_available(void)
{
	return W.kernel_ok;
}

bool kern_has_events(void)
{
	return W.events_ok;
}

/*
 * Open a splice handle per thread and the events handle.  0 when the
 * module answers, else a positive errno (ENOENT: not loaded).
 */
int kern_open(int nthreads, int64_t events_buf)
{
	int err = 0;

	if (W.kernel_ok)
		return 0;
	th = xcalloc((size_t)nthreads, sizeof(*th));
	for (nth = 0; nth < nthreads; nth++) {
		th[nth] = tcpsplice_open(0);
		if (!th[nth]) {
			err = errno ? errno : ENOENT;
			break;
		}
	}
	if (err) {
		for (int i = 0; i < nth; i++)
			tcpsplice_close(th[i]);
		free(th);
		th = NULL;
		nth = 0;
		return err;
	}
	W.kernel_ok = true;
	evh = tcpsplice_open(TCPSPLICE_OPEN_NETLINK_ONLY);
	if (evh && tcpsplice_events_subscribe(evh) == 0) {
		int sz = (int)events_buf;

		ev_events.fd = tcpsplice_events_fd(evh);
		/* bursts of thousands of sessions (8m by default, about 6 000
		 * events): beyond rmem_max while we still may (CAP_NET_ADMIN);
		 * lost events are recovered anyway */
		setsockopt(ev_events.fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz));
		if (ev_events.fd >= 0 && ev_add(&ev_events, EPOLLIN) == 0)
			W.events_ok = true;
	}
	if (!W.events_ok)
		log_msg("notice: no tcp_splice session events (%s): kernel sessions are "
			"logged at the handoff, without byte counts",
			evh ? tcpsplice_last_error(evh) : strerror(errno));
	return 0;
}

/* ---- splice threads ---------------------------------------------------- */

struct job {
	struct sess *s;
	int cfd, sfd;
	int err;
	uint64_t id, rx_c, rx_s;
	struct job *next;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static struct job *q_head, *q_tail, *done;
static pthread_t *tids;
static int nthreads_run;
static bool quit;
static struct evh ev_done = { EV_HANDOFF_DONE, -1, NULL };
static int inflight;

static void *splice_thread(void *arg)
{
	int idx = (int)(intptr_t)arg;

	for (;;) {
		struct job *j;
		uint64_t one = 1;

		pthread_mutex_lock(&mu);
		while (!quit && !q_head)
			pthread_cond_wait(&cv, &mu);
		if (!q_head) {
			pthread_mutex_unlock(&mu);
			break;
		}
		j = q_head;
		q_head = j->next;
		if (!q_head)
			q_tail = NULL;
		pthread_mutex_unlock(&mu);

		j->err = kern_splice(idx, j->cfd, j->sfd, &j->id);
		if (!j->err) {
			/* frozen at the cut: what crossed before the module */
			j->rx_c = tcp_rx_bytes(j->cfd);
			j->rx_s = tcp_rx_bytes(j->sfd);
		}

		pthread_mutex_lock(&mu);
		j->next = done;
		done = j;
		pthread_mutex_unlock(&mu);
		if (write(ev_done.fd, &one, sizeof(one)) < 0) {
			/* the counter cannot overflow in practice */
		}
	}
	return NULL;
}

/* Start the threads (after the privilege drop: they need none). */
int handoff_init(int n)
{
	sigset_t all, old;

	if (nthreads_run || !W.kernel_ok)
		return 0;
	if (n > nth)
		n = nth;
	ev_done.fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (ev_done.fd < 0 || ev_add(&ev_done, EPOLLIN) < 0)
		return -1;
	tids = xcalloc((size_t)n, sizeof(*tids));
	/* the threads take no signal: the loop's signalfd gets them all */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	for (int i = 0; i < n; i++) {
		if (pthread_create(&tids[i], NULL, splice_thread, (void *)(intptr_t)i))
			break;
		nthreads_run++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return nthreads_run ? 0 : -1;
}

int handoff_submit(struct sess *s)
{
	struct job *j;

	if (!nthreads_run)
		return -1;
	j = calloc(1, sizeof(*j));
	if (!j)
		return -1;
	j->s = s;
	j->cfd = s->cev.fd;
	j->sfd = s->sev.fd;
	pthread_mutex_lock(&mu);
	if (q_tail)
		q_tail->next = j;
	else
		q_head = j;
	q_tail = j;
	pthread_cond_signal(&cv);
	pthread_mutex_unlock(&mu);
	inflight++;
	return 0;
}

int handoff_pending(void)
{
	return inflight;
}

void handoff_done_event(void)
{
	uint64_t v;
	struct job *list;

	if (read(ev_done.fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		return;
	pthread_mutex_lock(&mu);
	list = done;
	done = NULL;
	pthread_mutex_unlock(&mu);
	while (list) {
		struct job *j = list;

		list = j->next;
		inflight--;
		sess_handoff_result(j->s, j->err, j->id, j->rx_c, j->rx_s);
		free(j);
	}
}

void handoff_shutdown(void)
{
	pthread_mutex_lock(&mu);
	quit = true;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
	for (int i = 0; i < nthreads_run; i++)
		pthread_join(tids[i], NULL);
	nthreads_run = 0;
	handoff_done_event();
}

/* ---- sessions in the kernel ------------------------------------------- */

struct kpend {
	uint64_t ksid;
	struct logrec lr;
	char cli[64], lis[64], be[64], srv[64], srvaddr[64], req[160], host[96], note[64];
	uint64_t t0, t_handoff;
	struct conf *conf;
	struct server *server;
	uint32_t seen;			/* poll generation it was last seen in */
	int missing;			/* sweeps that found it gone */
	struct kpend *next;
};

static struct kpend **tab;
static size_t tab_size, tab_n;
static bool events_lost;
static struct timer sweep_tm;

/* END events that came before the handoff's result (short sessions). */
#define NORPHAN 512
static struct orphan {
	uint64_t id, c2s, s2c, dur;
	uint8_t reason;
	uint64_t when;
} orphans[NORPHAN];
static int orphan_pos;

static size_t slot(uint64_t id, size_t size)
{
	return (size_t)((id * 0x9E3779B97F4A7C15ULL) >> 20) & (size - 1);
}

static void tab_insert(struct kpend *k)
{
	if (tab_n + 1 > tab_size) {
		size_t ns = tab_size ? tab_size * 2 : 1024;
		struct kpend **nt = xcalloc(ns, sizeof(*nt));

		for (size_t i = 0; i < tab_size; i++) {
			while (tab[i]) {
				struct kpend *e = tab[i];

				tab[i] = e->next;
				e->next = nt[slot(e->ksid, ns)];
				nt[slot(e->ksid, ns)] = e;
			}
		}
		free(tab);
		tab = nt;
		tab_size = ns;
	}
	k->next = tab[slot(k->ksid, tab_size)];
	tab[slot(k->ksid, tab_size)] = k;
	tab_n++;
}

static struct kpend *tab_remove(uint64_t id)
{
	struct kpend **pp;

	if (!tab_size)
		return NULL;
	for (pp = &tab[slot(id, tab_size)]; *pp; pp = &(*pp)->next) {
		if ((*pp)->ksid == id) {
			struct kpend *k = *pp;

			*pp = k->next;
			tab_n--;
			return k;
		}
	}
	return NULL;
}

static void kfinish(struct kpend *k, uint64_t c2s, uint64_t s2c, const char *end)
{
	k->lr.c2s = k->lr.c2s + c2s;
	k->lr.s2c = k->lr.s2c + s2c;
	k->lr.dur = W.now - k->t0;
	k->lr.end = end;
	if (k->server) {
		k->server->c2s += k->lr.c2s;
		k->server->s2c += k->lr.s2c;
		k->server->cur--;
	}
	log_rec(&k->lr);
	conf_put(k->conf);
	free(k);
	W.nkern--;
}

static const char *reason_name(unsigned int r)
{
	const char *n = tcpsplice_end_reason_name(r);

	return n ? n : "unknown";
}

void kern_track(struct sess *s)
{
	struct kpend *k = xcalloc(1, sizeof(*k));

	k->ksid = s->ksid;
	k->t0 = s->t0;
	k->t_handoff = W.now;
	k->conf = s->conf;
	conf_get(k->conf);
	k->server = s->srv;
	snprintf(k->cli, sizeof(k->cli), "%s", s->clistr);
	snprintf(k->lis, sizeof(k->lis), "%s", s->lis->name);
	snprintf(k->be, sizeof(k->be), "%s", s->be->name);
	snprintf(k->srv, sizeof(k->srv), "%s", s->srv->name);
	snprintf(k->srvaddr, sizeof(k->srvaddr), "%s", s->srv->addrstr);
	snprintf(k->req, sizeof(k->req), "%s", s->reqline);
	snprintf(k->host, sizeof(k->host), "%s", s->host);
	snprintf(k->note, sizeof(k->note), "%s", s->note);
	k->lr = (struct logrec){
		.sid = s->id, .ksid = s->ksid, .cli = k->cli, .lis = k->lis, .be = k->be,
		.srv = k->srv, .srvaddr = k->srvaddr, .mode = "kernel", .req = k->req,
		.host = k->host, .note = k->note, .c2s = s->cut_c2s, .s2c = s->cut_s2c,
	};
	W.nkern++;
	if (!W.events_ok) {
		kfinish(k, 0, 0, "spliced");
		return;
	}
	for (int i = 0; i < NORPHAN; i++) {
		struct orphan *o = &orphans[i];

		if (o->id == s->ksid && o->when) {
			o->when = 0;
			kfinish(k, o->c2s, o->s2c, reason_name(o->reason));
			return;
		}
	}
	tab_insert(k);
}

static int on_event(const struct tcpsplice_event *ev, void *arg)
{
	struct kpend *k;

	(void)arg;
	if (ev->type != TCPSPLICE_EVENT_END)
		return 0;
	k = tab_remove(ev->s.id);
	if (!k) {
		struct orphan *o = &orphans[orphan_pos++ % NORPHAN];

		*o = (struct orphan){ ev->s.id, ev->s.bytes_c2s, ev->s.bytes_s2c,
				      ev->s.duration_ms, ev->s.end_reason, W.now };
		return 0;
	}
	kfinish(k, ev->s.bytes_c2s, ev->s.bytes_s2c, reason_name(ev->s.end_reason));
	return 0;
}


void kern_events_read(void)
{
	for (int i = 0; i < 64; i++) {
		int n = tcpsplice_events_read(evh, on_event, NULL);

		if (n == -ENOBUFS) {
			if (!events_lost)
				log_msg("warning: tcp_splice events lost; checking kernel sessions");
			events_lost = true;
			continue;
		}
		if (n < 0) {
			log_msg("warning: tcp_splice events: %s; kernel sessions are no longer "
				"followed", tcpsplice_strerror(n));
			ev_del(&ev_events);
			ev_events.fd = -1;
			W.events_ok = false;
			events_lost = true;
			return;
		}
		if (n == 0)
			return;
	}
}

static struct kpend *tab_find(uint64_t id)
{
	if (!tab_size)
		return NULL;
	for (struct kpend *k = tab[slot(id, tab_size)]; k; k = k->next)
		if (k->ksid == id)
			return k;
	return NULL;
}

static uint32_t poll_gen;

#define SWEEP_FULL_S 30		/* dump period while events are healthy */
static unsigned int sweeps_quiet;	/* sweeps since the last dump */

/* Seconds between dumps while events are lost: 1 + one per 5 000 kernel
 * sessions awaiting their end, at most SWEEP_FULL_S.
 */
static unsigned int sweep_lost_period(void)
{
	size_t p = 1 + tab_n / 5000;

	return p < SWEEP_FULL_S ? (unsigned int)p : SWEEP_FULL_S;
}

static int on_dump(const struct tcpsplice_session_info *si, void *arg)
{
	struct kpend *k = tab_find(si->id);

	(void)arg;
	if (!k)
		return 0;
	k->seen = poll_gen;
	/* both directions finished: the exchange is over, only the
	 * module's TIME_WAIT record is left */
	if (si->state == TCPSPLICE_STATE_TIME_WAIT) {
		tab_remove(k->ksid);
		kfinish(k, si->bytes_c2s, si->bytes_s2c, "fin");
	}
	return 0;
}

/*
 * Once a second while sessions are in the kernel: read the pending
 * events.  The dump of the sessions (one netlink request, but a message
 * per session in the module's table) is the safety net for events that
 * did not arrive: every second when events are off, once events were lost
 * every sweep_lost_period() seconds (1 s up to 5 000 sessions, longer for
 * bigger tables).  While events arrive, every SWEEP_FULL_S seconds a dump
 * of the sessions in TIME_WAIT only (the module filters: it walks its
 * list but sends just those), which are logged then rather than when
 * their record expires: a full dump costs this thread tens of
 * microseconds per session (4 s of CPU for 100 000 idle sessions under
 * emulation, taken from the traffic every 30 s).  A full dump
 * taken while the module's table changes may miss entries, so a session
 * missing from it (events lost, or a hash table walk restarted) is looked
 * up by id, and declared gone ("unknown") only if it is still unknown to
 * the module and without an end event one sweep later; the full dumps go
 * on until no such session is left (else one looked up gone once would
 * wait for its second look-up forever: a TIME_WAIT-only dump skips it).
 */
void kern_sweep(void)
{
	struct tcpsplice_session_info info;
	bool unsettled = false;	/* a session missing from the dump not settled */
	int lookups = 0;

	if (!tab_n || !evh)
		return;
	if (W.events_ok)
		kern_events_read();
	++sweeps_quiet;
	if (W.events_ok && !events_lost && sweeps_quiet < SWEEP_FULL_S)
		return;
	/* Events lost: dump again, but not a big table every second (a dump
	 * costs this thread tens of microseconds per session, and a burst of
	 * handoffs that overflows the events socket would otherwise be
	 * slowed by a full dump a second, ever longer as the table grows).
	 */
	if (W.events_ok && sweeps_quiet < sweep_lost_period())
		return;
	sweeps_quiet = 0;
	poll_gen++;
	if (W.events_ok && !events_lost) {
		const struct tcpsplice_filter tw = {
			.mask = TCPSPLICE_FILTER_STATE,
			.state = TCPSPLICE_STATE_TIME_WAIT,
		};

		tcpsplice_dump(evh, &tw, on_dump, NULL);
		return;
	}
	if (tcpsplice_dump(evh, NULL, on_dump, NULL) < 0)
		return;
	for (size_t i = 0; i < tab_size; i++) {
		struct kpend **pp = &tab[i];

		while (*pp) {
			struct kpend *k = *pp;
			int e;

			if (k->seen == poll_gen) {
				pp = &k->next;
				continue;
			}
			if (W.now - k->t_handoff < 2000 || lookups >= 256) {
				unsettled = true;
				pp = &k->next;
				continue;
			}
			lookups++;
			e = tcpsplice_get(evh, k->ksid, &info);
			if (e == 0 && info.state != TCPSPLICE_STATE_TIME_WAIT) {
				k->seen = poll_gen;
				pp = &k->next;
				continue;
			}
			/* the module unlinks a session just before it sends the
			 * end event: give the event a second to arrive */
			if ((e < 0 && e != -ENOENT) || (e == -ENOENT && ++k->missing < 2)) {
				unsettled = true;
				pp = &k->next;
				continue;
			}
			*pp = k->next;
			tab_n--;
			if (e == 0)
				kfinish(k, info.bytes_c2s, info.bytes_s2c, "fin");
			else
				kfinish(k, 0, 0, "unknown");
		}
	}
	/* full dumps go on until every session they missed is settled: one
	 * looked up gone must be looked up again a sweep later */
	if (!unsettled)
		events_lost = false;
}

static void sweep_fire(struct timer *t)
{
	kern_sweep();
	timer_arm_in(t, 1000);
}

void kern_start_sweep(void)
{
	timer_init(&sweep_tm, sweep_fire, NULL);
	timer_arm_in(&sweep_tm, 1000);
}

int kern_pending(void)
{
	return (int)tab_n;
}

/* At exit: the sessions stay in the kernel; log what is known now. */
void kern_detach_all(void)
{
	struct tcpsplice_session_info info;

	for (size_t i = 0; i < tab_size; i++) {
		while (tab[i]) {
			struct kpend *k = tab[i];
			bool live;

			tab[i] = k->next;
			tab_n--;
			memset(&info, 0, sizeof(info));
			live = evh && tcpsplice_get(evh, k->ksid, &info) == 0;
			kfinish(k, live ? info.bytes_c2s : 0, live ? info.bytes_s2c : 0,
				!live ? "unknown" : info.state == TCPSPLICE_STATE_TIME_WAIT ? "fin"
				: "detached");
		}
	}
}

void kern_dump(FILE *f)
{
	struct tcpsplice_session_info info;

	fprintf(f, "# kernel sessions awaiting their end: %zu\n", tab_n);
	fprintf(f, "%-8s %-8s %-22s %-12s %-12s %-22s %8s %12s %12s %s\n", "ksid", "session",
		"client", "backend", "server", "server-addr", "age_ms", "c2s", "s2c", "state");
	for (size_t i = 0; i < tab_size; i++) {
		for (struct kpend *k = tab[i]; k; k = k->next) {
			bool live = evh && tcpsplice_get(evh, k->ksid, &info) == 0;

			fprintf(f, "%-8llu %-8llu %-22s %-12s %-12s %-22s %8llu %12llu %12llu %s\n",
				(unsigned long long)k->ksid, (unsigned long long)k->lr.sid,
				k->cli, k->be, k->srv, k->srvaddr,
				(unsigned long long)(W.now - k->t0),
				(unsigned long long)(k->lr.c2s + (live ? info.bytes_c2s : 0)),
				(unsigned long long)(k->lr.s2c + (live ? info.bytes_s2c : 0)),
				live ? (tcpsplice_state_name(info.state) ? tcpsplice_state_name(info.state) : "?")
				     : "-");
		}
	}
}

void kern_close(void)
{
	handoff_shutdown();
	kern_detach_all();
	for (int i = 0; i < nth; i++)
		tcpsplice_close(th[i]);
	nth = 0;
	tcpsplice_close(evh);
	evh = NULL;
}
