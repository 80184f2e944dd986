// SPDX-License-Identifier: GPL-2.0
/*
 * Sessions: accept, read and check the request head, pick a backend and a
 * server, connect (failing over to the next server), forward the head,
 * then carry the rest: the kernel (tcp_splice, through a splice thread),
 * splice(2) through a pipe, or read/write.
 *
 * The handoff rule.  switchd hands a session to the kernel only when it
 * holds no byte of its own in either direction: right after the request
 * head (and the body bytes that came with it) has been written to the
 * server and before anything was read from the server (kernel mode), or,
 * with splice-after (auto mode: 256 KiB by default, so that short
 * exchanges never pay for the handoff), when the response head (peeked,
 * not read) gives a length of at least that much, or else once one
 * direction relayed that much in user space, at a moment when both
 * user-space relays are empty.  The
 * splice is then "drained" (TCP_SPLICE_F_DRAINED): the kernel moves what
 * still sits in the sockets' queues, and switchd closes both descriptors
 * at once.  Never the legacy protocol, never a byte in two places.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "switchd.h"

#define SESS_EVENTS (EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET)
#define RUN_BUDGET (1 << 20)	/* bytes per session per turn */
#define LINGER_MS 2000
#define PUMP_NOPIPE (-100000L)

static void sess_timeout(struct timer *t);
static void connect_next(struct sess *s);
static void start_relay(struct sess *s);
static void respond(struct sess *s, int status, const char *why, const char *end);

/* ---- pipe pool ------------------------------------------------------ */

struct pipe_ent {
	int fd[2];
};
static struct pipe_ent *pool;
static int pool_n, pool_cap;
int g_pipes_live;

static int pipe_get(int p[2])
{
	if (pool_n > 0) {
		pool_n--;
		p[0] = pool[pool_n].fd[0];
		p[1] = pool[pool_n].fd[1];
		return 0;
	}
	if (pipe2(p, O_NONBLOCK | O_CLOEXEC) < 0)
		return -1;
	g_pipes_live++;
	return 0;
}

static void pipe_put(int p[2], bool empty)
{
	if (p[0] < 0)
		return;
	if (empty && pool_n < W.conf->pipe_pool) {
		if (pool_n == pool_cap) {
			int nc = pool_cap ? pool_cap * 2 : 64;
			struct pipe_ent *np = realloc(pool, sizeof(*np) * (size_t)nc);

			if (!np)
				goto drop;
			pool = np;
			pool_cap = nc;
		}
		pool[pool_n].fd[0] = p[0];
		pool[pool_n].fd[1] = p[1];
		pool_n++;
		p[0] = p[1] = -1;
		return;
	}
drop:
	close(p[0]);
	close(p[1]);
	g_pipes_live--;
	p[0] = p[1] = -1;
}

int pipe_pool_size(void)
{
	return pool_n;
}

/* ---- listeners ------------------------------------------------------ */

static struct timer resume_tm;
static bool resume_armed;	/* accept failed for lack of descriptors */

/* Pause or resume accepting, after the limits. */
void listeners_update_pause(void)
{
	struct conf *c = W.conf;
	bool global = W.nsess >= c->max_conn || W.stopping || resume_armed;

	for (int i = 0; i < c->nlis; i++) {
		struct listener *l = c->lis[i];
		bool pause = global || (l->max_conn && l->cur >= l->max_conn);

		for (int b = 0; b < l->nbinds; b++) {
			struct bind *bd = &l->binds[b];

			if (bd->ev.fd < 0 || bd->paused == pause)
				continue;
			ev_mod(&bd->ev, pause ? 0 : EPOLLIN);
			bd->paused = pause;
		}
	}
}

static void sess_link(struct sess *s)
{
	s->next = W.sessions;
	s->prev = NULL;
	if (W.sessions)
		W.sessions->prev = s;
	W.sessions = s;
}

static void sess_unlink(struct sess *s)
{
	if (s->prev)
		s->prev->next = s->next;
	else
		W.sessions = s->next;
	if (s->next)
		s->next->prev = s->prev;
	s->next = s->prev = NULL;
}

static void resume_accepting(struct timer *t)
{
	(void)t;
	resume_armed = false;
	listeners_update_pause();
}

void listener_accept(struct bind *b)
{
	struct listener *l = b->lis;

	for (int i = 0; i < 64; i++) {
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);
		struct sess *s;
		int fd, one = 1;

		if (W.stopping || W.nsess >= W.conf->max_conn ||
		    (l->max_conn && l->cur >= l->max_conn))
			break;
		fd = accept4(b->ev.fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS ||
			    errno == ENOMEM) {
				static uint64_t last;

				if (W.now - last > 1000) {
					log_msg("warning: accept on %s: %s", b->str, strerror(errno));
					last = W.now;
				}
				/* the socket stays readable: stop polling it for a
				 * while instead of spinning */
				if (!resume_armed) {
					ev_mod(&b->ev, 0);
					b->paused = true;
					timer_init(&resume_tm, resume_accepting, NULL);
					timer_arm_in(&resume_tm, 100);
					resume_armed = true;
				}
				return;
			}
			break;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		s = xcalloc(1, sizeof(*s));
		s->id = ++W.next_id;
		s->cev = (struct evh){ EV_CLI, fd, s };
		s->sev = (struct evh){ EV_SRV, -1, s };
		s->conf = W.conf;
		conf_get(s->conf);
		s->lis = l;
		s->cli = ss;
		addr_str((struct sockaddr *)&ss, s->clistr, sizeof(s->clistr));
		s->t0 = s->last_io = W.now;
		s->d[0].pipe[0] = s->d[0].pipe[1] = -1;
		s->d[1].pipe[0] = s->d[1].pipe[1] = -1;
		s->end = "?";
		timer_init(&s->tm, sess_timeout, s);
		sess_link(s);
		W.nsess++;
		W.accepted++;
		l->cur++;
		l->total++;
		if (ev_add(&s->cev, SESS_EVENTS) < 0) {
			respond(s, 500, "epoll", "internal");
			continue;
		}
		if (l->mode == LIS_TCP) {
			s->be = l->def;
			snprintf(s->reqline, sizeof(s->reqline), "-");
			connect_next(s);
		} else {
			s->state = ST_HEAD;
			s->cap = (size_t)l->max_header;
			s->buf = malloc(s->cap);
			if (!s->buf) {
				respond(s, 500, "out of memory", "internal");
				continue;
			}
			timer_arm_in(&s->tm, (uint64_t)l->t_head);
		}
	}
	listeners_update_pause();
}

/* ---- end of a session ------------------------------------------------- */

static void free_dirs(struct sess *s)
{
	for (int i = 0; i < 2; i++) {
		struct dir *d = &s->d[i];

		pipe_put(d->pipe, d->inpipe == 0);
		free(d->buf);
		d->buf = NULL;
	}
}

/*
 * Leave the epoll set explicitly before closing: close() removes the
 * registration only with the last reference to the open file, and after
 * a splice tcp_splice holds one of its own (events would keep coming for
 * a freed session).
 */
static void close_fd(struct evh *h, bool rst)
{
	if (h->fd < 0)
		return;
	ev_del(h);
	if (rst) {
		struct linger lg = { 1, 0 };

		setsockopt(h->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	}
	close(h->fd);
	h->fd = -1;
}

static void release_server(struct sess *s)
{
	if (s->counted && s->srv) {
		s->srv->cur--;
		s->counted = false;
	}
}

/* Forget the session: no log line (the caller logged, or a kernel record
 * took over). */
static void sess_forget(struct sess *s)
{
	timer_stop(&s->tm);
	free_dirs(s);
	free(s->buf);
	s->buf = NULL;
	free(s->out);
	s->out = NULL;
	free(s->tried);
	s->tried = NULL;
	s->state = ST_DEAD;
	sess_unlink(s);
	W.nsess--;
	s->lis->cur--;
	s->zombie_next = W.zombies;
	W.zombies = s;
	listeners_update_pause();
}

uint64_t sess_c2s(const struct sess *s)
{
	return s->out_off + s->d[0].bytes;
}

uint64_t sess_s2c(const struct sess *s)
{
	return s->d[1].bytes + (s->status ? s->out_off : 0);
}

/*
 * The log's byte counts: c2s is what the client sent (received by its
 * socket), s2c what the server sent, or the size of switchd's own
 * response.  The same definition in every mode (TCP_INFO).
 */
static void sess_close(struct sess *s, const char *end, bool rst)
{
	uint64_t c2s, s2c;

	if (s->state == ST_DEAD)
		return;
	c2s = tcp_rx_bytes(s->cev.fd);
	s2c = s->status ? s->out_off : tcp_rx_bytes(s->sev.fd);
	if (s->srv) {
		s->srv->c2s += c2s;
		s->srv->s2c += s2c;
	}
	close_fd(&s->cev, rst);
	close_fd(&s->sev, rst);
	release_server(s);
	log_sess(s, c2s, s2c, W.now - s->t0, end);
	sess_forget(s);
}

void sess_reap(void)
{
	while (W.zombies) {
		struct sess *s = W.zombies;

		W.zombies = s->zombie_next;
		conf_put(s->conf);
		free(s);
	}
	if (W.stopping && !W.nsess && !handoff_pending())
		loop_stop();
}

/* ---- switchd's own responses ----------------------------------------- */

static void linger_step(struct sess *s)
{
	char junk[4096];

	for (;;) {
		ssize_t n = recv(s->cev.fd, junk, sizeof(junk), 0);

		if (n > 0)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		sess_close(s, s->end, false);
		return;
	}
}

static void respond_step(struct sess *s)
{
	while (s->out_off < s->out_len) {
		ssize_t n = send(s->cev.fd, s->out + s->out_off, s->out_len - s->out_off,
				 MSG_NOSIGNAL);

		if (n > 0) {
			s->out_off += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EAGAIN)
			return;
		if (n < 0 && errno == EINTR)
			continue;
		sess_close(s, s->end, false);
		return;
	}
	/* all sent: close our side, read what the client still sends (a
	 * close with unread bytes would reset the connection and could
	 * destroy the response before the client reads it) */
	shutdown(s->cev.fd, SHUT_WR);
	s->state = ST_LINGER;
	timer_arm_in(&s->tm, LINGER_MS);
	linger_step(s);
}

static void respond(struct sess *s, int status, const char *why, const char *end)
{
	char body[256];
	int bl, hl;

	close_fd(&s->sev, false);
	release_server(s);
	free(s->buf);
	s->buf = NULL;
	free(s->out);
	s->out = NULL;
	s->out_len = s->out_off = 0;
	s->status = status;
	s->end = end;
	if (why)
		snprintf(s->note, sizeof(s->note), "%s", why);
	if (s->lis->mode == LIS_TCP) {
		/* not HTTP: no answer, just the close (logged with the status
		 * switchd would have given) */
		sess_close(s, end, false);
		return;
	}
	bl = snprintf(body, sizeof(body), "%d %s%s%s\n", status, http_reason(status),
		      why ? ": " : "", why ? why : "");
	if (bl < 0 || bl >= (int)sizeof(body))
		bl = (int)strlen(body);
	s->out = malloc(512);
	if (!s->out) {
		sess_close(s, end, true);
		return;
	}
	hl = snprintf(s->out, 512,
		      "HTTP/1.1 %d %s\r\nContent-Type: text/plain\r\nContent-Length: %d\r\n"
		      "Cache-Control: no-cache\r\nConnection: close\r\n\r\n%s",
		      status, http_reason(status), bl, body);
	s->out_len = hl > 0 && hl < 512 ? (size_t)hl : 0;
	s->out_off = 0;
	s->state = ST_RESPOND;
	timer_arm_in(&s->tm, 5000);
	if (s->cev.fd < 0) {
		sess_close(s, end, false);
		return;
	}
	respond_step(s);
}

/* ---- the request head ---------------------------------------------- */

static bool host_match(const char *pat, const char *host)
{
	if (pat[0] == '*' && pat[1] == '.') {
		size_t pl = strlen(pat + 1), hl = strlen(host);

		return hl > pl && !strcmp(host + hl - pl, pat + 1);
	}
	return !strcmp(pat, host);
}

static struct backend *route(struct sess *s, const char *buf)
{
	struct listener *l = s->lis;
	const struct http_req *r = &s->req;

	for (int i = 0; i < l->nrules; i++) {
		const struct rule *ru = &l->rules[i];

		if (ru->host && !host_match(ru->host, r->host))
			continue;
		if (ru->prefix) {
			size_t pl = strlen(ru->prefix);

			if (r->path.len < pl || memcmp(buf + r->path.off, ru->prefix, pl))
				continue;
		}
		return ru->be;
	}
	return l->def;
}

/* Copy a span into dst for the log: printable ASCII, '"' and '\' escaped
 * away, truncated. */
static void log_copy(char *dst, size_t cap, const char *src, size_t n)
{
	size_t o = 0;

	for (size_t i = 0; i < n && o + 1 < cap; i++) {
		unsigned char c = (unsigned char)src[i];

		dst[o++] = (c < 0x20 || c >= 0x7f || c == '"' || c == '\\') ? '?' : (char)c;
	}
	dst[o] = '\0';
}

/*
 * Bytes after the request (a pipelined request, or garbage) with
 * keepalive close: not forwarded, counted, and the session stays in user
 * space to the end, so that nothing after them reaches the server.
 */
static void note_dropped(struct sess *s, uint64_t n)
{
	s->dropped += n;
	snprintf(s->note, sizeof(s->note), "dropped %llu bytes after the request",
		 (unsigned long long)s->dropped);
	s->want_kernel = 0;
	s->draining = false;
}

static void got_head(struct sess *s, size_t hl)
{
	struct listener *l = s->lis;
	const char *why = NULL;
	char xff[64] = "", *p;
	size_t extra = s->len - hl, body = extra, cap, n;
	unsigned int how = 0;
	int st;

	st = http_parse(s->buf, hl, &s->req, &why);
	if (s->req.line.len)
		log_copy(s->reqline, sizeof(s->reqline), s->buf + s->req.line.off,
			 s->req.line.len);
	if (st) {
		respond(s, st, why, "bad-request");
		return;
	}
	log_copy(s->host, sizeof(s->host), s->req.host, strlen(s->req.host));
	if (l->keepalive == KA_CLOSE && !(s->req.flags & HR_CONNECT) &&
	    !((s->req.flags & HR_UPGRADE) && (s->req.flags & HR_CONN_UPGRADE))) {
		/* one request per connection: forward its body, nothing more */
		s->d[0].limit = true;
		s->head_req = span_ieq(s->buf, s->req.method, "HEAD");
		if (s->req.flags & HR_CHUNKED) {
			long r = http_chunked_scan(&s->ck, s->buf + hl, extra);

			if (r < 0) {
				respond(s, 400, "malformed chunked body", "bad-request");
				return;
			}
			body = (size_t)r;
			s->d[0].chunked = !http_chunked_done(&s->ck);
		} else {
			uint64_t cl = s->req.flags & HR_HAS_CL ? s->req.content_length : 0;

			body = extra < cl ? extra : (size_t)cl;
			s->d[0].left = cl - body;
		}
		if (extra > body)
			note_dropped(s, extra - body);
	}
	if (l->max_body > 0 && (s->req.flags & HR_HAS_CL) &&
	    s->req.content_length > (uint64_t)l->max_body) {
		respond(s, 413, "body larger than max-body", "bad-request");
		return;
	}
	s->be = route(s, s->buf);
	if (!s->be) {
		respond(s, 503, "no backend for this host and path", "no-route");
		return;
	}
	if (l->keepalive == KA_CLOSE)
		how |= RW_CLOSE;
	if (l->xff) {
		how |= RW_XFF;
		snprintf(xff, sizeof(xff), "%s", s->clistr);
		p = strrchr(xff, ':');
		if (p)
			*p = '\0';
		if (xff[0] == '[') {
			memmove(xff, xff + 1, strlen(xff));
			p = strchr(xff, ']');
			if (p)
				*p = '\0';
		}
	}
	cap = hl + 256 + strlen(xff) * 2;
	s->out = malloc(cap + body);
	if (!s->out) {
		respond(s, 500, "out of memory", "internal");
		return;
	}
	n = http_rewrite(s->buf, &s->req, how, how & RW_XFF ? xff : "", s->out, cap);
	if (!n) {
		respond(s, 500, "rewritten head too large", "internal");
		return;
	}
	memcpy(s->out + n, s->buf + hl, body);
	s->out_len = n + body;
	s->out_off = 0;
	free(s->buf);
	s->buf = NULL;
	timer_stop(&s->tm);
	connect_next(s);
}

static void read_head(struct sess *s)
{
	for (;;) {
		ssize_t n;
		long hl;

		if (s->len >= s->cap) {
			respond(s, 431, "request head larger than max-header", "bad-request");
			return;
		}
		n = recv(s->cev.fd, s->buf + s->len, s->cap - s->len, 0);
		if (n < 0) {
			if (errno == EAGAIN)
				return;
			if (errno == EINTR)
				continue;
			sess_close(s, "cli-error", false);
			return;
		}
		if (n == 0) {
			size_t i;

			for (i = 0; i < s->len && (s->buf[i] == '\r' || s->buf[i] == '\n'); i++)
				;
			if (i == s->len)
				sess_close(s, "cli-close", false);
			else
				respond(s, 400, "incomplete request head", "bad-request");
			return;
		}
		s->len += (size_t)n;
		s->last_io = W.now;
		hl = http_head_end(s->buf, s->len, &s->scan);
		if (hl < 0) {
			respond(s, 400, "invalid bytes in the request head", "bad-request");
			return;
		}
		if (hl > 0) {
			got_head(s, (size_t)hl);
			return;
		}
	}
}

/* ---- connecting ----------------------------------------------------- */

static void connect_failed(struct sess *s)
{
	struct backend *b = s->be;
	int st;

	if (!s->attempts) {
		st = 503;
		b->fail503++;
		respond(s, st, "no server available", "no-server");
		return;
	}
	if (s->last_timeout) {
		b->fail504++;
		respond(s, 504, "connect timeout", "connect-timeout");
	} else {
		char why[64];

		b->fail502++;
		snprintf(why, sizeof(why), "connect: %s", strerror(s->last_err));
		respond(s, 502, why, "connect-fail");
	}
}

static void server_connected(struct sess *s)
{
	s->srv->total++;
	s->be->total++;
	timer_stop(&s->tm);
	s->last_io = W.now;
	if (s->out_len > s->out_off) {
		s->state = ST_SEND;
		timer_arm_in(&s->tm, (uint64_t)s->lis->t_idle);
		sess_run(s);
	} else {
		start_relay(s);
	}
}

static void attempt_failed(struct sess *s, int err, bool timeout)
{
	close_fd(&s->sev, false);
	release_server(s);
	s->srv->conn_fail++;
	s->last_err = err;
	s->last_timeout = timeout;
	if (g_verbose)
		log_msg("session %llu: server %s/%s: %s", (unsigned long long)s->id,
			s->be->name, s->srv->name, timeout ? "connect timeout" : strerror(err));
	connect_next(s);
}

static void connect_next(struct sess *s)
{
	struct backend *b = s->be;
	int max = b->retries < 0 ? b->nsrv : b->retries + 1;

	for (;;) {
		struct server *sv;
		int fd, one = 1;

		if (s->attempts >= max) {
			connect_failed(s);
			return;
		}
		sv = lb_pick(b, &s->cli, s->tried);
		if (!sv) {
			connect_failed(s);
			return;
		}
		if (!s->tried)
			s->tried = xcalloc((size_t)b->nsrv, 1);
		s->tried[sv->idx] = 1;
		s->attempts++;
		s->srv = sv;
		sv->cur++;
		s->counted = true;
		fd = socket(sv->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fd < 0) {
			int e = errno;

			release_server(s);
			respond(s, 503, strerror(e), "internal");
			return;
		}
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		s->sev.fd = fd;
		if (ev_add(&s->sev, SESS_EVENTS) < 0) {
			attempt_failed(s, errno, false);
			return;
		}
		s->state = ST_CONNECT;
		if (connect(fd, (struct sockaddr *)&sv->addr, sv->alen) == 0) {
			server_connected(s);
			return;
		}
		if (errno == EINPROGRESS) {
			timer_arm_in(&s->tm, (uint64_t)b->t_connect);
			return;
		}
		/* refused at once (local route, no such address ...) */
		close_fd(&s->sev, false);
		release_server(s);
		sv->conn_fail++;
		s->last_err = errno;
		s->last_timeout = false;
	}
}

static void connect_event(struct sess *s)
{
	int err = 0;
	socklen_t el = sizeof(err);

	if (getsockopt(s->sev.fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
		err = errno;
	if (err == 0) {
		/* spurious wake-up before completion? EPOLLOUT means done */
		struct sockaddr_storage ss;
		socklen_t sl = sizeof(ss);

		if (getpeername(s->sev.fd, (struct sockaddr *)&ss, &sl) < 0)
			return;
		server_connected(s);
		return;
	}
	attempt_failed(s, err, false);
}

static void send_step(struct sess *s)
{
	while (s->out_off < s->out_len) {
		ssize_t n = send(s->sev.fd, s->out + s->out_off, s->out_len - s->out_off,
				 MSG_NOSIGNAL);

		if (n > 0) {
			s->out_off += (size_t)n;
			s->last_io = W.now;
			continue;
		}
		if (n < 0 && errno == EAGAIN)
			return;
		if (n < 0 && errno == EINTR)
			continue;
		{
			char why[64];

			snprintf(why, sizeof(why), "server: %s", strerror(errno));
			s->be->fail502++;
			s->out_off = 0;
			respond(s, 502, why, "srv-error");
		}
		return;
	}
	free(s->out);
	s->out = NULL;
	start_relay(s);
}

/* ---- relaying ------------------------------------------------------- */

int effective_mode(const struct listener *l, const struct conf *c)
{
	return l->splice == SPLICE_INHERIT ? c->splice : l->splice;
}

static bool can_handoff(const struct sess *s)
{
	for (int i = 0; i < 2; i++) {
		const struct dir *d = &s->d[i];

		if (d->eof || d->shut || d->inpipe || d->len > d->off)
			return false;
	}
	return true;
}

extern int handoff_submit(struct sess *s);

static void begin_handoff(struct sess *s)
{
	timer_stop(&s->tm);
	s->state = ST_HANDOFF;
	if (handoff_submit(s) < 0) {
		s->want_kernel = 0;
		s->draining = false;
		s->mode = SPLICE_PIPE;
		snprintf(s->note, sizeof(s->note), "handoff: no splice thread");
		s->state = ST_RELAY;
		timer_arm_in(&s->tm, (uint64_t)s->lis->t_idle);
		sess_run(s);
	}
}

static void start_relay(struct sess *s)
{
	int m = effective_mode(s->lis, s->conf);

	s->d[0].from = s->cev.fd;
	s->d[0].to = s->sev.fd;
	s->d[1].from = s->sev.fd;
	s->d[1].to = s->cev.fd;
	s->want_kernel = 0;
	s->after = splice_after_of(s->lis, s->conf, m);
	if (m == SPLICE_KERNEL || m == SPLICE_AUTO) {
		if (W.kernel_ok) {
			s->want_kernel = 1;
			m = SPLICE_PIPE;	/* carries bytes until the handoff */
		} else {
			if (m == SPLICE_KERNEL)
				snprintf(s->note, sizeof(s->note), "kernel unavailable");
			m = SPLICE_PIPE;
		}
	}
	if (s->dropped)
		s->want_kernel = 0;	/* note_dropped() */
	s->mode = m;	/* SPLICE_KERNEL once (if) the handoff succeeds */
	s->d[0].copy = s->d[1].copy = m == SPLICE_COPY;
	if (s->d[0].chunked)
		s->d[0].copy = true;	/* the framing must be read */
	/* one response to come, whose head may tell its length */
	s->peek = s->want_kernel && s->after > 0 && s->d[0].limit;
	s->state = ST_RELAY;
	s->last_io = W.now;
	if (s->want_kernel && s->after == 0) {
		begin_handoff(s);
		return;
	}
	timer_arm_in(&s->tm, (uint64_t)s->lis->t_idle);
	sess_run(s);
}

/* The request (body included) has been forwarded: what the client sends
 * now is read and dropped.  Returns bytes dropped, or -errno. */
static long discard(struct sess *s, struct dir *d, size_t budget)
{
	char junk[16384];
	long got = 0;

	while ((size_t)got < budget) {
		ssize_t n = recv(d->from, junk, sizeof(junk), 0);

		if (n > 0) {
			got += n;
			continue;
		}
		if (n == 0) {
			d->eof = true;
			break;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN)
			break;
		return -errno;
	}
	if (got)
		note_dropped(s, (uint64_t)got);
	return got;
}

static bool body_sent(const struct dir *d)
{
	return d->limit && !d->chunked && !d->left;
}

/*
 * splice-after, decided from the response head before a byte of it is
 * read (MSG_PEEK): a Content-Length response of at least splice-after
 * bytes goes to the kernel at once, while the server's socket holds
 * little (a handoff in mid-stream finds the receive queue full, up to
 * the window, and the module must copy all of it); a shorter one stays
 * in user space.  A response whose length the head does not tell
 * (chunked, until the close, 1xx) leaves it to the bytes relayed.
 */
static void peek_response(struct sess *s)
{
	char buf[4096];
	uint64_t total;
	ssize_t n;
	int r;

	n = recv(s->sev.fd, buf, sizeof(buf), MSG_PEEK | MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;		/* nothing yet: the next event */
	r = n > 0 ? http_resp_length(buf, (size_t)n, s->head_req, &total) : RESP_UNKNOWN;
	if (r == RESP_MORE && (size_t)n < sizeof(buf))
		return;		/* the rest of the head is coming */
	s->peek = false;
	if (r != RESP_LEN)
		return;
	if ((int64_t)total >= s->after)
		s->draining = true;	/* to the kernel before reading it */
	else
		s->want_kernel = 0;	/* short: user space to the end */
}

/* One direction through a pipe.  Returns bytes moved, or -errno. */
static long pump_pipe(struct sess *s, struct dir *d, size_t budget)
{
	long moved = 0;

	if (d->pipe[0] < 0 && pipe_get(d->pipe) < 0) {
		/* no pipe (descriptor limits): the caller copies instead */
		snprintf(s->note, sizeof(s->note), "pipe: %s", strerror(errno));
		return PUMP_NOPIPE;
	}
	for (;;) {
		bool prog = false;
		ssize_t n;

		if (d->inpipe) {
			n = splice(d->pipe[0], NULL, d->to, NULL, d->inpipe,
				   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			if (n > 0) {
				d->inpipe -= (size_t)n;
				d->bytes += (uint64_t)n;
				moved += n;
				prog = true;
			} else if (n < 0 && errno != EAGAIN && errno != EINTR) {
				return -errno;
			}
		}
		if (!d->eof && !s->draining && (size_t)moved < budget && body_sent(d)) {
			n = discard(s, d, budget - (size_t)moved);
			if (n < 0)
				return n;
			moved += n;	/* counts against the budget */
			prog = n > 0 || d->eof;
		} else if (!d->eof && !s->draining && (size_t)moved < budget) {
			size_t want = 1 << 20;

			if (d->limit && d->left < want)
				want = (size_t)d->left;
			n = splice(d->from, NULL, d->pipe[1], NULL, want,
				   SPLICE_F_MOVE | SPLICE_F_NONBLOCK);
			if (n > 0) {
				d->inpipe += (size_t)n;
				if (d->limit)
					d->left -= (uint64_t)n;
				prog = true;
			} else if (n == 0) {
				d->eof = true;
				prog = true;
			} else if (errno != EAGAIN && errno != EINTR) {
				return -errno;
			}
		}
		if (d->eof && !d->inpipe && !d->shut) {
			shutdown(d->to, SHUT_WR);
			d->shut = true;
		}
		if (!prog || (size_t)moved >= budget)
			return moved;
	}
}

static long pump_copy(struct sess *s, struct dir *d, size_t budget)
{
	size_t cap = (size_t)s->conf->buf_size;
	long moved = 0;

	if (!d->buf) {
		d->buf = malloc(cap);
		if (!d->buf)
			return -ENOMEM;
	}
	for (;;) {
		ssize_t n;

		if (d->len > d->off) {
			n = send(d->to, d->buf + d->off, d->len - d->off, MSG_NOSIGNAL);
			if (n > 0) {
				d->off += (size_t)n;
				d->bytes += (uint64_t)n;
				moved += n;
				if (d->off < d->len)
					continue;
				d->off = d->len = 0;
			} else if (n < 0 && errno == EINTR) {
				continue;
			} else if (n < 0 && errno == EAGAIN) {
				return moved;
			} else {
				return -errno;
			}
		}
		if (d->eof) {
			if (!d->shut) {
				shutdown(d->to, SHUT_WR);
				d->shut = true;
			}
			return moved;
		}
		if ((size_t)moved >= budget || s->draining)
			return moved;
		if (body_sent(d)) {
			n = discard(s, d, budget - (size_t)moved);
			if (n < 0)
				return n;
			moved += n;
			if (d->eof)
				continue;	/* propagate it */
			return moved;
		}
		if (d->limit && !d->chunked && d->left < cap)
			cap = (size_t)d->left;
		n = recv(d->from, d->buf, cap, 0);
		if (n > 0 && d->chunked) {
			long body = http_chunked_scan(&s->ck, d->buf, (size_t)n);

			if (body < 0)
				return -EBADMSG;
			if (http_chunked_done(&s->ck))
				d->chunked = false;	/* left is 0 */
			if (body < n)
				note_dropped(s, (uint64_t)(n - body));
			d->len = (size_t)body;
			d->off = 0;
		} else if (n > 0) {
			if (d->limit)
				d->left -= (uint64_t)n;
			d->len = (size_t)n;
			d->off = 0;
		} else if (n == 0) {
			d->eof = true;
		} else if (errno == EINTR) {
			continue;
		} else if (errno == EAGAIN) {
			return moved;
		} else {
			return -errno;
		}
	}
}

static void relay_step(struct sess *s)
{
	long total = 0;

	if (s->peek && (!s->want_kernel || s->draining))
		s->peek = false;
	if (s->peek)
		peek_response(s);
	for (int i = 0; i < 2; i++) {
		struct dir *d = &s->d[i];
		long r;

		if (d->shut || (i == 1 && s->peek))
			continue;	/* (the response waits for peek_response) */
		if (!d->copy) {
			r = pump_pipe(s, d, RUN_BUDGET);
			if (r == PUMP_NOPIPE || (r == -EINVAL && !d->inpipe)) {
				/* no pipe, or splice(2) refused the socket */
				if (r == -EINVAL)
					snprintf(s->note, sizeof(s->note), "splice(2): EINVAL");
				d->copy = true;
			}
		}
		if (d->copy)
			r = pump_copy(s, d, RUN_BUDGET);
		if (r < 0) {
			if (r == -EBADMSG)
				snprintf(s->note, sizeof(s->note), "malformed chunked body");
			sess_close(s, r == -ECONNRESET || r == -EPIPE ? "rst" :
				   r == -EBADMSG ? "bad-body" : "error", true);
			return;
		}
		total += r;
		if ((size_t)r >= RUN_BUDGET && !s->in_runq) {
			s->in_runq = true;
			s->rq_next = NULL;
			if (W.runq_tail)
				W.runq_tail->rq_next = s;
			else
				W.runq = s;
			W.runq_tail = s;
		}
	}
	if (total > 0 || s->d[0].eof || s->d[1].eof)
		s->last_io = W.now;
	if (s->d[0].shut && s->d[1].shut) {
		sess_close(s, "fin", false);
		return;
	}
	if (s->d[1].shut && body_sent(&s->d[0]) && !s->d[0].inpipe &&
	    s->d[0].len == s->d[0].off) {
		/* the response has ended and the request was complete: the
		 * client has nothing left to send; give it LINGER_MS to close */
		timer_stop(&s->tm);
		s->end = "fin";
		s->state = ST_LINGER;
		timer_arm_in(&s->tm, LINGER_MS);
		linger_step(s);
		return;
	}
	if (!s->want_kernel || s->in_runq)
		return;
	if (s->d[0].eof || s->d[1].eof) {
		/* a direction finished: too late for a drained handoff */
		s->want_kernel = 0;
		if (s->draining) {
			s->draining = false;
			relay_step(s);
		}
		return;
	}
	/* splice-after counts what each direction relayed in user space: the
	 * response, or the request body of an upload */
	if (!s->draining && (int64_t)(s->d[0].bytes > s->d[1].bytes ? s->d[0].bytes :
				      s->d[1].bytes) >= s->after)
		s->draining = true;	/* stop reading: the relays empty */
	if (s->draining && can_handoff(s))
		begin_handoff(s);
}

/* Give the session whatever its state calls for. */
void sess_run(struct sess *s)
{
	switch (s->state) {
	case ST_HEAD:
		read_head(s);
		break;
	case ST_SEND:
		send_step(s);
		break;
	case ST_RELAY:
		relay_step(s);
		break;
	case ST_RESPOND:
		respond_step(s);
		break;
	case ST_LINGER:
		linger_step(s);
		break;
	default:
		break;
	}
}

void sess_event(struct evh *h, uint32_t events)
{
	struct sess *s = h->owner;
	bool cli = h->kind == EV_CLI;

	if (s->state == ST_DEAD || h->fd < 0)
		return;
	switch (s->state) {
	case ST_HEAD:
		if (cli)
			read_head(s);
		break;
	case ST_CONNECT:
		if (!cli)
			connect_event(s);
		else if (events & (EPOLLERR | EPOLLHUP))
			sess_close(s, "cli-abort", true);
		break;
	case ST_SEND:
		if (!cli)
			send_step(s);
		else if (events & (EPOLLERR | EPOLLHUP))
			sess_close(s, "cli-abort", true);
		break;
	case ST_RELAY:
		if (!s->in_runq)
			relay_step(s);
		break;
	case ST_RESPOND:
	case ST_LINGER:
		if (cli)
			sess_run(s);
		break;
	default:
		break;	/* ST_HANDOFF: a splice thread owns the descriptors */
	}
}

static void sess_timeout(struct timer *t)
{
	struct sess *s = t->owner;

	switch (s->state) {
	case ST_HEAD:
		respond(s, 408, "request head not received in time", "head-timeout");
		break;
	case ST_CONNECT:
		attempt_failed(s, ETIMEDOUT, true);
		break;
	case ST_SEND:
	case ST_RELAY:
		if (W.now - s->last_io >= (uint64_t)s->lis->t_idle) {
			sess_close(s, s->state == ST_SEND ? "srv-timeout" : "timeout", true);
			break;
		}
		timer_arm(&s->tm, s->last_io + (uint64_t)s->lis->t_idle);
		break;
	case ST_RESPOND:
	case ST_LINGER:
		sess_close(s, s->end, false);
		break;
	default:
		break;
	}
}

/* ---- the handoff's outcome (main thread) ------------------------------ */

void sess_handoff_result(struct sess *s, int err, uint64_t id, uint64_t rx_c, uint64_t rx_s)
{
	if (!err) {
		s->ksid = id;
		s->cut_c2s = rx_c;
		s->cut_s2c = rx_s;
		kern_track(s);		/* takes over the log line and srv->cur */
		s->counted = false;
		close_fd(&s->cev, false);
		close_fd(&s->sev, false);
		sess_forget(s);
		return;
	}
	/* refused (an IPv4 leg with an IPv6 one, TCP-MD5, a peer that
	 * closed meanwhile ...): relay in user space */
	snprintf(s->note, sizeof(s->note), "kernel: %s", strerror(err));
	s->want_kernel = 0;
	s->draining = false;
	s->mode = SPLICE_PIPE;
	s->state = ST_RELAY;
	s->last_io = W.now;
	if (W.stopping && W.now >= W.stop_deadline) {
		sess_close(s, "shutdown", true);
		return;
	}
	timer_arm_in(&s->tm, (uint64_t)s->lis->t_idle);
	relay_step(s);
}

/* Graceful stop ran out of time: end what is left. */
void sess_close_all(const char *end)
{
	struct sess *s = W.sessions, *n;

	for (; s; s = n) {
		n = s->next;
		if (s->state != ST_HANDOFF && s->state != ST_DEAD)
			sess_close(s, end, true);
	}
}

/* For the stats socket. */
const char *sess_state_name(int st)
{
	static const char *const n[] = {
		"head", "connect", "send", "relay", "handoff", "respond", "linger", "dead"
	};
	return st >= 0 && st <= ST_DEAD ? n[st] : "?";
}
