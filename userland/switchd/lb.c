// SPDX-License-Identifier: GPL-2.0
/*
 * Choosing a server (rr, leastconn, source) and TCP health checks.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "switchd.h"

bool server_usable(const struct server *s)
{
	return s->up && !s->maint && s->weight > 0;
}

static bool eligible(const struct server *s, const uint8_t *tried)
{
	return server_usable(s) && !(tried && tried[s->idx]);
}

/* Smooth weighted round robin (each server gets its share, interleaved). */
static struct server *pick_rr(struct backend *b, const uint8_t *tried)
{
	struct server *best = NULL;
	int total = 0;

	for (int i = 0; i < b->nsrv; i++) {
		struct server *s = b->srv[i];

		if (!eligible(s, tried))
			continue;
		s->cw += s->weight;
		total += s->weight;
		if (!best || s->cw > best->cw)
			best = s;
	}
	if (best)
		best->cw -= total;
	return best;
}

/* Fewest sessions per unit of weight; ties go round. */
static struct server *pick_leastconn(struct backend *b, const uint8_t *tried)
{
	struct server *best = NULL;
	uint32_t start = b->rr_next++;

	for (int k = 0; k < b->nsrv; k++) {
		struct server *s = b->srv[(start + (uint32_t)k) % (uint32_t)b->nsrv];

		if (!eligible(s, tried))
			continue;
		if (!best || (int64_t)s->cur * best->weight < (int64_t)best->cur * s->weight)
			best = s;
	}
	return best;
}

static uint64_t hash_addr(const struct sockaddr_storage *ss)
{
	const unsigned char *p;
	size_t n;
	uint64_t h = 1469598103934665603ULL;

	if (ss->ss_family == AF_INET) {
		p = (const unsigned char *)&((const struct sockaddr_in *)ss)->sin_addr;
		n = 4;
	} else {
		p = (const unsigned char *)&((const struct sockaddr_in6 *)ss)->sin6_addr;
		n = 16;
	}
	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 1099511628211ULL;
	}
	return h ^ (h >> 29);
}

/*
 * The client address picks a server in the weighted map of every server,
 * whatever its state, so that a server going down moves only its own
 * clients; those are spread over the usable servers.
 */
static struct server *pick_source(struct backend *b, const struct sockaddr_storage *cli,
				  const uint8_t *tried)
{
	uint64_t h = hash_addr(cli);
	int64_t total = 0, x;

	for (int i = 0; i < b->nsrv; i++)
		total += b->srv[i]->weight;
	if (total > 0) {
		x = (int64_t)(h % (uint64_t)total);
		for (int i = 0; i < b->nsrv; i++) {
			x -= b->srv[i]->weight;
			if (x < 0) {
				if (eligible(b->srv[i], tried))
					return b->srv[i];
				break;
			}
		}
	}
	total = 0;
	for (int i = 0; i < b->nsrv; i++)
		if (eligible(b->srv[i], tried))
			total += b->srv[i]->weight;
	if (!total)
		return NULL;
	x = (int64_t)((h >> 17) % (uint64_t)total);
	for (int i = 0; i < b->nsrv; i++) {
		if (!eligible(b->srv[i], tried))
			continue;
		x -= b->srv[i]->weight;
		if (x < 0)
			return b->srv[i];
	}
	return NULL;
}

struct server *lb_pick(struct backend *b, const struct sockaddr_storage *cli,
		       const uint8_t *tried)
{
	switch (b->balance) {
	case BAL_LEASTCONN:
		return pick_leastconn(b, tried);
	case BAL_SOURCE:
		return pick_source(b, cli, tried);
	default:
		return pick_rr(b, tried);
	}
}

/* ---- health checks: a TCP connect every interval ----------------------- */

static int usable_count(const struct backend *b)
{
	int n = 0;

	for (int i = 0; i < b->nsrv; i++)
		n += server_usable(b->srv[i]);
	return n;
}

void server_set_state(struct server *s, bool up, const char *why)
{
	if (s->up == up)
		return;
	s->up = up;
	s->last_change = W.now;
	s->rise_cnt = s->fall_cnt = 0;
	log_msg("server %s/%s (%s) is %s (%s); %d of %d servers usable", s->be->name, s->name,
		s->addrstr, up ? "UP" : "DOWN", why, usable_count(s->be), s->be->nsrv);
	if (!usable_count(s->be))
		log_msg("warning: backend %s has no usable server", s->be->name);
}

static void check_done(struct server *s, bool ok, const char *why)
{
	struct check_state *c = &s->chk;
	struct backend *b = s->be;

	if (c->ev.fd >= 0) {
		close(c->ev.fd);
		c->ev.fd = -1;
	}
	c->running = 0;
	snprintf(c->last, sizeof(c->last), "%s", ok ? "ok" : why);
	if (ok) {
		s->fall_cnt = 0;
		if (!s->up && ++s->rise_cnt >= b->check_rise)
			server_set_state(s, true, "check passed");
	} else {
		s->rise_cnt = 0;
		if (s->up && ++s->fall_cnt >= b->check_fall)
			server_set_state(s, false, why);
	}
	timer_arm_in(&c->tm, (uint64_t)b->check_interval);
}

static void check_fire(struct timer *t)
{
	struct server *s = t->owner;
	struct check_state *c = &s->chk;
	int fd;

	if (c->running) {
		check_done(s, false, "timeout");
		return;
	}
	fd = socket(s->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		check_done(s, false, strerror(errno));
		return;
	}
	c->ev.fd = fd;
	c->started = W.now;
	if (connect(fd, (struct sockaddr *)&s->addr, s->alen) == 0) {
		check_done(s, true, NULL);
		return;
	}
	if (errno != EINPROGRESS) {
		check_done(s, false, strerror(errno));
		return;
	}
	if (ev_add(&c->ev, EPOLLOUT) < 0) {
		check_done(s, false, strerror(errno));
		return;
	}
	c->running = 1;
	timer_arm_in(&c->tm, (uint64_t)s->be->check_timeout);
}

void check_event(struct evh *h, uint32_t events)
{
	struct server *s = h->owner;
	int err = 0;
	socklen_t el = sizeof(err);

	(void)events;
	if (!s->chk.running)
		return;
	if (getsockopt(h->fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
		err = errno;
	timer_stop(&s->chk.tm);
	check_done(s, err == 0, err ? strerror(err) : NULL);
}

void checks_start(struct conf *c)
{
	for (int i = 0; i < c->nbe; i++) {
		struct backend *b = c->be[i];

		for (int k = 0; k < b->nsrv; k++) {
			struct server *s = b->srv[k];

			timer_init(&s->chk.tm, check_fire, s);
			s->chk.ev.fd = -1;
			if (!s->check)
				continue;
			/* spread the first checks over one interval */
			timer_arm_in(&s->chk.tm, (uint64_t)(random() % (b->check_interval / 4 + 1)));
		}
	}
}

void checks_stop(struct conf *c)
{
	for (int i = 0; i < c->nbe; i++) {
		for (int k = 0; k < c->be[i]->nsrv; k++) {
			struct server *s = c->be[i]->srv[k];

			timer_stop(&s->chk.tm);
			if (s->chk.ev.fd >= 0) {
				close(s->chk.ev.fd);
				s->chk.ev.fd = -1;
			}
			s->chk.running = 0;
		}
	}
}
