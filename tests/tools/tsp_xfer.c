// SPDX-License-Identifier: GPL-2.0
/*
 * tsp_xfer - byte-exact TCP transfer endpoint for the tcp_splice tests.
 *
 * Each side sends a deterministic stream (seeded PRNG) and verifies every
 * byte it receives against the peer's stream, so no copy of the data is
 * needed.  Both streams are also hashed (SHA-256) so that the two ends can
 * be compared.  One result line per connection:
 *
 *   sent=N recv=N sent_sha=HEX recv_sha=HEX verify=ok|short|mismatch@OFF
 *   eof=yes|no|rst err=none|timeout|ENAME
 *
 * Exit status: 0 when everything expected happened, 1 otherwise, 2 on usage
 * errors.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <linux/sockios.h>
#include <netinet/tcp.h>

#include "common.h"

static const char *prog = "tsp_xfer";

#define CHUNK		(64 * 1024)
#define MULTI_CHUNK	(16 * 1024)

enum eof_want { EOF_YES, EOF_RST, EOF_ANY, EOF_NONE };

static struct {
	int mode;			/* 'l' listen, 'c' connect, 'p' probe */
	const char *host;
	const char *port;
	const char *bind_addr;
	uint64_t send;			/* bytes to send */
	uint64_t expect;		/* bytes to receive */
	uint64_t seed, peer_seed;
	int seed_set, peer_seed_set;
	int shut;
	int64_t rst_after;		/* -1: never */
	int rst_nowait;
	int once;
	int conns;			/* 0 = not given */
	double timeout_s;
	const char *gate;
	uint64_t gate_at;
	int send_after_eof;
	uint64_t rate;			/* bytes/s, 0 = unlimited */
	enum eof_want want_eof;
	int no_sha;
	const char *ready_file;
	double connect_retry_s;
	int hold_ms;
	uint64_t pause_at;		/* stop reading once this much arrived */
	int pause_ms;
	int rcvbuf;			/* SO_RCVBUF, 0 = default */
	int keepalive;			/* TCP_KEEPIDLE seconds, 0 = off */
	int64_t oob_at;			/* offset sent with MSG_OOB, -1 = none */
	int64_t hole_at;		/* sender's byte not received, -1 = none */
	int quiet;
} opt = {
	.oob_at = -1,
	.hole_at = -1,
	.rst_after = -1,
	.timeout_s = 60,
	.connect_retry_s = 10,
};

enum cstate { C_IDLE, C_CONNECTING, C_RETRY, C_OPEN, C_DONE };

struct conn {
	int fd;
	enum cstate st;
	int slot;			/* position in the table */
	int idx;			/* stream index, -1 while unknown */
	int64_t retry_at;
	int64_t send_start;
	uint64_t sent, recv;
	struct tsp_stream tx, rx;
	struct tsp_sha256 txsha, rxsha;
	uint8_t *txbuf;
	size_t txlen, txoff;
	uint8_t idbuf[8];
	unsigned int idlen;
	int64_t mismatch;		/* -1: none */
	int hole_done;			/* --hole-at stepped over */
	int eof;			/* 0 no, 1 yes, 2 rst */
	int err;			/* first unexpected errno, ETIMEDOUT on timeout */
	int send_done, shut_done, recv_done, aborted;
	int paused;			/* --pause-read-at: 1 pausing, 2 done */
	int64_t pause_until;
	char local[64], peer[64];
};

static volatile sig_atomic_t got_signal;
static volatile sig_atomic_t got_urg;	/* SIGURG: an urgent pointer arrived */

static void on_sigurg(int sig)
{
	(void)sig;
	got_urg++;
}

static void on_signal(int sig)
{
	got_signal = sig;
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: tsp_xfer listen PORT [options]\n"
"       tsp_xfer connect HOST PORT [options]\n"
"       tsp_xfer probe HOST PORT --conns N [--hold-ms MS] [--gate FILE]\n"
"\n"
"Byte-exact transfer endpoint: sends a deterministic PRNG stream and verifies\n"
"the peer's stream byte by byte; prints one line per connection:\n"
"  sent=N recv=N sent_sha=.. recv_sha=.. verify=ok|short|mismatch@OFF eof=yes|no|rst err=..\n"
"Sizes accept K and M suffixes (KiB, MiB).\n"
"\n"
"  --send N          bytes to send (default 0)\n"
"  --expect N        bytes that must be received (default 0)\n"
"  --seed S          seed of the stream sent (default: connect 1, listen 2)\n"
"  --peer-seed S     seed of the stream received (default: the other side's)\n"
"  --shut            shutdown(SHUT_WR) once everything is sent\n"
"  --rst-after N     after N bytes sent (and --expect received), wait until the\n"
"                    peer acked all (SIOCOUTQ == 0) and abort (SO_LINGER 0 close)\n"
"  --rst-nowait      with --rst-after: do not wait for the acks\n"
"  --expect-eof W    yes (default) | rst | any | none: how the received stream\n"
"                    must end (none: stop reading after --expect bytes)\n"
"  --send-after-eof  start sending only after the peer's EOF\n"
"  --gate FILE       send at most --gate-at bytes (default 0) and do not shut\n"
"                    down until FILE exists\n"
"  --gate-at N       see --gate\n"
"  --rate R          send at most R bytes per second (per connection)\n"
"  --conns N         N concurrent connections (connect: opens N; listen: accepts N).\n"
"                    Connection i sends stream i of --seed; a listener finds i\n"
"                    from the first 8 bytes it receives (needs --expect >= 8)\n"
"                    and then sends its stream i\n"
"  --once            listen: serve one connection and exit (default when\n"
"                    --conns is given; otherwise connections are served one\n"
"                    after the other until SIGTERM)\n"
"  --timeout S       give up after S seconds (default 60); err=timeout\n"
"  --connect-retry S retry refused connects for S seconds (default 10)\n"
"  --bind ADDR       listen/connect from this local address\n"
"  --ready-file F    listen: create F once listening\n"
"  --no-sha          do not compute SHA-256 (prints sha=-)\n"
"  --hold-ms MS      probe: keep the connections open MS ms (default 0)\n"
"  --pause-read-at N stop reading for --pause-ms once N bytes arrived (with a\n"
"                    small --rcvbuf the receive window closes: zero window)\n"
"  --pause-ms MS     see --pause-read-at (default 3000)\n"
"  --rcvbuf B        SO_RCVBUF before connecting / listening\n"
"  --keepalive S     SO_KEEPALIVE, first probe after S s idle, then every 1 s,\n"
"                    3 unanswered probes end the connection (ETIMEDOUT)\n"
"  --oob-at N        send the byte at offset N with MSG_OOB (urgent data); the\n"
"                    receiver keeps it inline (SO_OOBINLINE), so the stream\n"
"                    stays exact, and counts SIGURG: urg=K in its lines\n"
"  --hole-at N       the sender's byte at offset N does not arrive (a proxy\n"
"                    took it out of band): the bytes after it are verified\n"
"                    one offset earlier, --expect counts without it\n"
"  --quiet           no informational messages on stderr\n"
"  --help            this text\n"
"\n"
"probe: opens N connections one after the other, prints for each\n"
"  probe=i result=ok|ENAME local=IP:PORT\n"
"and a summary  probes=N ok=M eaddrnotavail=K other=J ports=P1,P2,..\n"
"Exit 0 when everything expected happened, 1 otherwise, 2 on usage errors.\n");
}

static void parse_args(int argc, char **argv)
{
	int i = 1, npos = 0;
	const char *pos[3] = { 0 };

	if (argc < 2) {
		usage(stderr);
		exit(2);
	}
	for (; i < argc; i++) {
		const char *a = argv[i];
		const char *v = (i + 1 < argc) ? argv[i + 1] : NULL;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			exit(0);
		}
		if (a[0] != '-' || a[1] != '-') {
			if (npos >= 3)
				tsp_die(prog, "too many arguments (see --help)");
			pos[npos++] = a;
			continue;
		}
#define TAKE() do { if (!v) tsp_die(prog, "%s needs a value", a); i++; } while (0)
		if (!strcmp(a, "--send")) { TAKE(); opt.send = tsp_need_size(prog, a, v); }
		else if (!strcmp(a, "--expect")) { TAKE(); opt.expect = tsp_need_size(prog, a, v); }
		else if (!strcmp(a, "--seed")) { TAKE(); if (tsp_parse_u64(v, &opt.seed)) tsp_die(prog, "bad seed"); opt.seed_set = 1; }
		else if (!strcmp(a, "--peer-seed")) { TAKE(); if (tsp_parse_u64(v, &opt.peer_seed)) tsp_die(prog, "bad peer seed"); opt.peer_seed_set = 1; }
		else if (!strcmp(a, "--shut")) opt.shut = 1;
		else if (!strcmp(a, "--rst-after")) { TAKE(); opt.rst_after = (int64_t)tsp_need_size(prog, a, v); }
		else if (!strcmp(a, "--rst-nowait")) opt.rst_nowait = 1;
		else if (!strcmp(a, "--once")) opt.once = 1;
		else if (!strcmp(a, "--conns")) { TAKE(); opt.conns = (int)tsp_need_size(prog, a, v); if (opt.conns < 1 || opt.conns > 10000) tsp_die(prog, "bad --conns"); }
		else if (!strcmp(a, "--timeout")) { TAKE(); opt.timeout_s = atof(v); if (opt.timeout_s <= 0) tsp_die(prog, "bad --timeout"); }
		else if (!strcmp(a, "--connect-retry")) { TAKE(); opt.connect_retry_s = atof(v); }
		else if (!strcmp(a, "--gate")) { TAKE(); opt.gate = v; }
		else if (!strcmp(a, "--gate-at")) { TAKE(); opt.gate_at = tsp_need_size(prog, a, v); }
		else if (!strcmp(a, "--pause-read-at")) { TAKE(); opt.pause_at = tsp_need_size(prog, a, v); if (!opt.pause_ms) opt.pause_ms = 3000; }
		else if (!strcmp(a, "--pause-ms")) { TAKE(); opt.pause_ms = (int)tsp_need_size(prog, a, v); }
		else if (!strcmp(a, "--rcvbuf")) { TAKE(); opt.rcvbuf = (int)tsp_need_size(prog, a, v); }
		else if (!strcmp(a, "--keepalive")) { TAKE(); opt.keepalive = (int)tsp_need_size(prog, a, v); if (opt.keepalive < 1) tsp_die(prog, "bad --keepalive"); }
		else if (!strcmp(a, "--oob-at")) { TAKE(); opt.oob_at = (int64_t)tsp_need_size(prog, a, v); }
		else if (!strcmp(a, "--hole-at")) { TAKE(); opt.hole_at = (int64_t)tsp_need_size(prog, a, v); }
		else if (!strcmp(a, "--send-after-eof")) opt.send_after_eof = 1;
		else if (!strcmp(a, "--rate")) { TAKE(); opt.rate = tsp_need_size(prog, a, v); }
		else if (!strcmp(a, "--expect-eof")) {
			TAKE();
			if (!strcmp(v, "yes")) opt.want_eof = EOF_YES;
			else if (!strcmp(v, "rst")) opt.want_eof = EOF_RST;
			else if (!strcmp(v, "any")) opt.want_eof = EOF_ANY;
			else if (!strcmp(v, "none")) opt.want_eof = EOF_NONE;
			else tsp_die(prog, "bad --expect-eof '%s'", v);
		}
		else if (!strcmp(a, "--no-sha")) opt.no_sha = 1;
		else if (!strcmp(a, "--bind")) { TAKE(); opt.bind_addr = v; }
		else if (!strcmp(a, "--ready-file")) { TAKE(); opt.ready_file = v; }
		else if (!strcmp(a, "--hold-ms")) { TAKE(); opt.hold_ms = atoi(v); }
		else if (!strcmp(a, "--quiet")) opt.quiet = 1;
		else tsp_die(prog, "unknown option %s (see --help)", a);
#undef TAKE
	}
	if (npos < 1)
		tsp_die(prog, "missing mode (listen|connect|probe)");
	if (!strcmp(pos[0], "listen")) {
		if (npos != 2)
			tsp_die(prog, "usage: listen PORT");
		opt.mode = 'l';
		opt.port = pos[1];
	} else if (!strcmp(pos[0], "connect") || !strcmp(pos[0], "probe")) {
		if (npos != 3)
			tsp_die(prog, "usage: %s HOST PORT", pos[0]);
		opt.mode = pos[0][0];
		opt.host = pos[1];
		opt.port = pos[2];
	} else {
		tsp_die(prog, "unknown mode '%s'", pos[0]);
	}
	if (!opt.seed_set)
		opt.seed = (opt.mode == 'l') ? 2 : 1;
	if (!opt.peer_seed_set)
		opt.peer_seed = (opt.mode == 'l') ? 1 : 2;
	if (opt.rst_after >= 0) {
		if (opt.send == 0)
			opt.send = (uint64_t)opt.rst_after;
		if ((uint64_t)opt.rst_after > opt.send)
			tsp_die(prog, "--rst-after larger than --send");
		opt.send = (uint64_t)opt.rst_after;
	}
	if (opt.mode == 'p' && opt.conns < 1)
		opt.conns = 1;
}

/* ------------------------------------------------------------------ */


static void addr_str(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	int port = 0;

	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)ss;

		inet_ntop(AF_INET, &s4->sin_addr, ip, sizeof(ip));
		port = ntohs(s4->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)ss;

		inet_ntop(AF_INET6, &s6->sin6_addr, ip, sizeof(ip));
		port = ntohs(s6->sin6_port);
	}
	snprintf(buf, len, "%s:%d", ip, port);
}

static void fill_names(struct conn *c)
{
	struct sockaddr_storage ss;
	socklen_t l = sizeof(ss);

	memset(&ss, 0, sizeof(ss));
	if (!getsockname(c->fd, (void *)&ss, &l))
		addr_str(&ss, c->local, sizeof(c->local));
	l = sizeof(ss);
	memset(&ss, 0, sizeof(ss));
	if (!getpeername(c->fd, (void *)&ss, &l))
		addr_str(&ss, c->peer, sizeof(c->peer));
}

static int bind_local(int fd, int family, const char *addr, const char *port)
{
	struct sockaddr_storage ss;
	socklen_t l;

	tsp_resolve(prog, addr, port ? port : "0", 1, &ss, &l);
	if (ss.ss_family != family)
		tsp_die(prog, "--bind address family differs from the peer's");
	return bind(fd, (void *)&ss, l);
}

/* ------------------------------------------------------------------ */

static int nconns;
static struct conn *conns;
static uint64_t *heads;		/* listen, multi: first 8 bytes of each client stream */
static char *used;		/* listen, multi: stream indexes already seen */
static int gate_open;
static uint8_t rbuf[CHUNK], vbuf[CHUNK];

static void conn_reset(struct conn *c, int slot)
{
	uint8_t *keep = c->txbuf;

	memset(c, 0, sizeof(*c));
	c->txbuf = keep;
	c->fd = -1;
	c->slot = slot;
	c->idx = -1;
	c->mismatch = -1;
	tsp_sha256_init(&c->txsha);
	tsp_sha256_init(&c->rxsha);
	snprintf(c->local, sizeof(c->local), "-");
	snprintf(c->peer, sizeof(c->peer), "-");
}

static void set_err(struct conn *c, int e)
{
	if (!c->err)
		c->err = e;
}

static void conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->st = C_DONE;
}

/* The stream index is known: set up both streams. */
static void conn_set_index(struct conn *c, int idx)
{
	c->idx = idx;
	tsp_stream_init(&c->tx, opt.seed, (uint64_t)idx);
	tsp_stream_init(&c->rx, opt.peer_seed, (uint64_t)idx);
}

static void conn_opened(struct conn *c, int64_t now)
{
	fcntl(c->fd, F_SETOWN, getpid());	/* SIGURG: accepted ones too */
	c->st = C_OPEN;
	c->send_start = now;
	fill_names(c);
	if (!opt.quiet)
		fprintf(stderr, "%s: conn %d established local=%s peer=%s\n", prog, c->slot,
			c->local, c->peer);
	/*
	 * connect side: connection i carries stream i.  listen side with
	 * several connections: the index comes from the first 8 bytes.
	 */
	if (opt.mode == 'c' || nconns == 1)
		conn_set_index(c, opt.mode == 'c' ? c->slot : 0);
	else if (opt.expect < 8)
		conn_set_index(c, c->slot);
}

static void verify_bytes(struct conn *c, const uint8_t *p, size_t n)
{
	if (!opt.no_sha)
		tsp_sha256_update(&c->rxsha, p, n);
	if (c->mismatch < 0) {
		size_t want = 0;

		if (c->recv < opt.expect)
			want = (opt.expect - c->recv < n) ? (size_t)(opt.expect - c->recv) : n;
		if (want) {
			size_t a = want;

			/* --hole-at: the generator steps over the missing byte */
			if (opt.hole_at >= 0 && !c->hole_done &&
			    (uint64_t)opt.hole_at < c->recv + want)
				a = (size_t)((uint64_t)opt.hole_at - c->recv);
			tsp_stream_fill(&c->rx, vbuf, a);
			if (a < want) {
				uint8_t skip;

				tsp_stream_fill(&c->rx, &skip, 1);
				tsp_stream_fill(&c->rx, vbuf + a, want - a);
				c->hole_done = 1;
			}
			if (memcmp(vbuf, p, want)) {
				size_t k = 0;

				while (vbuf[k] == p[k])
					k++;
				c->mismatch = (int64_t)(c->recv + k);
			}
		}
		if (c->mismatch < 0 && want < n)
			c->mismatch = (int64_t)(c->recv + want);	/* extra bytes */
	}
	c->recv += n;
}

static void identify(struct conn *c)
{
	uint64_t v = 0;
	int k;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | c->idbuf[i];
	for (k = 0; k < opt.conns; k++)
		if (!used[k] && heads[k] == v)
			break;
	if (k == opt.conns) {
		/* unknown stream: verify against our accept order, which fails */
		if (!opt.quiet)
			fprintf(stderr, "%s: conn %d: first 8 bytes match no client stream\n",
				prog, c->slot);
		conn_set_index(c, c->slot);
	} else {
		used[k] = 1;
		conn_set_index(c, k);
	}
	verify_bytes(c, c->idbuf, c->idlen);
}

static void got_data(struct conn *c, const uint8_t *p, size_t n)
{
	if (c->idx < 0) {
		size_t take = 8 - c->idlen;

		if (take > n)
			take = n;
		memcpy(c->idbuf + c->idlen, p, take);
		c->idlen += (unsigned int)take;
		p += take;
		n -= take;
		if (c->idlen < 8)
			return;
		identify(c);
	}
	if (n)
		verify_bytes(c, p, n);
}

static void do_read(struct conn *c)
{
	for (int loops = 0; loops < 16; loops++) {
		size_t want = sizeof(rbuf);
		ssize_t n;

		if (c->paused == 1)
			return;
		if (opt.pause_at && !c->paused && c->recv + want > opt.pause_at)
			want = opt.pause_at > c->recv ? (size_t)(opt.pause_at - c->recv) : 1;
		n = recv(c->fd, rbuf, want, 0);
		if (n > 0) {
			got_data(c, rbuf, (size_t)n);
			if (opt.pause_at && !c->paused && c->recv >= opt.pause_at) {
				c->paused = 1;
				c->pause_until = tsp_now_ms() + opt.pause_ms;
				return;
			}
			if (opt.want_eof == EOF_NONE && c->recv >= opt.expect) {
				c->recv_done = 1;
				return;
			}
			continue;
		}
		if (n == 0) {
			if (c->idx < 0) {
				/* EOF before 8 bytes: cannot identify, fail verification */
				conn_set_index(c, c->slot);
				verify_bytes(c, c->idbuf, c->idlen);
			}
			c->eof = 1;
			c->recv_done = 1;
			return;
		}
		if (errno == EAGAIN || errno == EINTR)
			return;
		if (errno == ECONNRESET) {
			c->eof = 2;
		} else {
			set_err(c, errno);
		}
		if (c->idx < 0) {
			conn_set_index(c, c->slot);
			verify_bytes(c, c->idbuf, c->idlen);
		}
		c->recv_done = 1;
		c->send_done = 1;	/* the connection is gone */
		return;
	}
}

/* May the sender go on?  Returns 0 when blocked (gate, rate, eof, index). */
static uint64_t send_allowance(struct conn *c, int64_t now, int *wait_ms)
{
	uint64_t limit = opt.send, gen = c->sent + (c->txlen - c->txoff);

	if (c->idx < 0)
		return 0;
	if (opt.send_after_eof && !c->eof)
		return 0;
	if (opt.gate && !gate_open && opt.gate_at < limit)
		limit = opt.gate_at;
	if (opt.rate) {
		uint64_t ok = (uint64_t)((double)opt.rate * (double)(now - c->send_start) / 1000.0) + 1;

		if (ok < limit)
			limit = ok;
		if (limit <= gen && gen < opt.send && *wait_ms > 5)
			*wait_ms = 5;
	}
	return (limit > gen) ? limit - gen : 0;
}

static void do_write(struct conn *c, int64_t now, int *wait_ms)
{
	size_t chunk = (nconns > 1) ? MULTI_CHUNK : CHUNK;

	for (int loops = 0; loops < 16; loops++) {
		ssize_t n;

		if (c->txoff == c->txlen) {
			uint64_t allow = send_allowance(c, now, wait_ms);
			size_t gen = (allow < chunk) ? (size_t)allow : chunk;

			if (!gen)
				return;
			tsp_stream_fill(&c->tx, c->txbuf, gen);
			c->txoff = 0;
			c->txlen = gen;
		}
		{
			size_t len = c->txlen - c->txoff;
			int fl = MSG_NOSIGNAL;

			/* the urgent byte goes alone, with MSG_OOB */
			if (opt.oob_at >= 0 && (uint64_t)opt.oob_at >= c->sent &&
			    (uint64_t)opt.oob_at < c->sent + len) {
				if ((uint64_t)opt.oob_at == c->sent) {
					len = 1;
					fl |= MSG_OOB;
				} else {
					len = (size_t)((uint64_t)opt.oob_at - c->sent);
				}
			}
			n = send(c->fd, c->txbuf + c->txoff, len, fl);
		}
		if (n > 0) {
			if (!opt.no_sha)
				tsp_sha256_update(&c->txsha, c->txbuf + c->txoff, (size_t)n);
			c->txoff += (size_t)n;
			c->sent += (uint64_t)n;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (errno == ECONNRESET || errno == EPIPE)
			c->eof = 2;
		else
			set_err(c, errno);
		c->send_done = 1;
		c->recv_done = 1;
		return;
	}
}

static int outq(int fd)
{
	int v = 0;

	if (ioctl(fd, SIOCOUTQ, &v) < 0)
		return 0;
	return v;
}

/* Everything sent: shut down, abort or nothing; returns 1 when the send side is finished. */
static void after_send(struct conn *c, int *wait_ms)
{
	if (c->send_done || c->sent < opt.send)
		return;
	if (opt.gate && !gate_open) {
		if (*wait_ms > 10)
			*wait_ms = 10;
		return;
	}
	if (opt.rst_after >= 0) {
		struct linger lg = { .l_onoff = 1, .l_linger = 0 };

		if (c->recv < opt.expect && !c->recv_done)
			return;
		if (!opt.rst_nowait && outq(c->fd) > 0) {
			if (*wait_ms > 5)
				*wait_ms = 5;
			return;
		}
		setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(c->fd);
		c->fd = -1;
		c->aborted = 1;
		c->send_done = 1;
		c->recv_done = 1;
		c->st = C_DONE;
		return;
	}
	if (opt.shut && !c->shut_done) {
		if (shutdown(c->fd, SHUT_WR) < 0)
			set_err(c, errno);
		c->shut_done = 1;
	}
	c->send_done = 1;
}

static int conn_ok(const struct conn *c)
{
	int eof_ok;

	if (c->err)
		return 0;
	if (c->sent != opt.send || c->mismatch >= 0 || c->recv != opt.expect)
		return 0;
	if (c->aborted)
		return 1;
	switch (opt.want_eof) {
	case EOF_YES: eof_ok = (c->eof == 1); break;
	case EOF_RST: eof_ok = (c->eof == 2); break;
	case EOF_ANY: eof_ok = (c->eof != 0); break;
	default: eof_ok = 1; break;
	}
	return eof_ok;
}

static void report(struct conn *c, int multi)
{
	char ts[65] = "-", rs[65] = "-", ver[40];
	const char *eof = c->eof == 1 ? "yes" : c->eof == 2 ? "rst" : "no";
	const char *err = !c->err ? "none" : c->err == ETIMEDOUT ? "timeout" : tsp_errname(c->err);

	if (!opt.no_sha) {
		tsp_sha256_hex(&c->txsha, ts);
		tsp_sha256_hex(&c->rxsha, rs);
	}
	if (c->mismatch >= 0)
		snprintf(ver, sizeof(ver), "mismatch@%lld", (long long)c->mismatch);
	else if (c->recv < opt.expect)
		snprintf(ver, sizeof(ver), "short");
	else
		snprintf(ver, sizeof(ver), "ok");
	if (multi)
		printf("conn=%d idx=%d local=%s peer=%s ", c->slot, c->idx, c->local, c->peer);
	printf("sent=%llu recv=%llu sent_sha=%s recv_sha=%s verify=%s eof=%s err=%s%s",
	       (unsigned long long)c->sent, (unsigned long long)c->recv, ts, rs, ver, eof, err,
	       c->aborted ? " aborted=yes" : "");
	if (got_urg)
		printf(" urg=%d", (int)got_urg);
	printf("\n");
	fflush(stdout);
}

/* ------------------------------------------------------------------ */

static struct sockaddr_storage peer_ss;
static socklen_t peer_len;

/* Options of --rcvbuf, --keepalive and urgent data, before connect/listen
 * (accepted sockets inherit them).
 */
static void sock_opts(int fd)
{
	int one = 1;

	/* urgent bytes stay in the stream, which so stays verifiable (the
	 * kernel signals each new urgent pointer with SIGURG, conn_opened) */
	setsockopt(fd, SOL_SOCKET, SO_OOBINLINE, &one, sizeof(one));
	if (opt.rcvbuf &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &opt.rcvbuf, sizeof(opt.rcvbuf)) < 0)
		tsp_die(prog, "SO_RCVBUF: %s", strerror(errno));
	if (opt.keepalive) {
		int idle = opt.keepalive, intvl = 1, cnt = 3;

		if (setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one)) < 0 ||
		    setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &idle, sizeof(idle)) < 0 ||
		    setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &intvl, sizeof(intvl)) < 0 ||
		    setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &cnt, sizeof(cnt)) < 0)
			tsp_die(prog, "keepalive: %s", strerror(errno));
	}
}

static void start_connect(struct conn *c, int64_t now)
{
	int fd = socket(peer_ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		set_err(c, errno);
		c->st = C_DONE;
		return;
	}
	sock_opts(fd);
	if (opt.bind_addr && bind_local(fd, peer_ss.ss_family, opt.bind_addr, NULL) < 0) {
		set_err(c, errno);
		close(fd);
		c->st = C_DONE;
		return;
	}
	c->fd = fd;
	if (connect(fd, (void *)&peer_ss, peer_len) == 0) {
		conn_opened(c, now);
		return;
	}
	if (errno == EINPROGRESS) {
		c->st = C_CONNECTING;
		return;
	}
	set_err(c, errno);
	conn_close(c);
}

static void connect_done(struct conn *c, int64_t now, int64_t retry_until)
{
	int e = 0;
	socklen_t l = sizeof(e);

	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &e, &l) < 0)
		e = errno;
	if (!e) {
		conn_opened(c, now);
		return;
	}
	close(c->fd);
	c->fd = -1;
	if (e == ECONNREFUSED && now < retry_until) {
		c->st = C_RETRY;
		c->retry_at = now + 50;
		return;
	}
	set_err(c, e);
	c->st = C_DONE;
}

/* Run one batch of nconns connections; listen_fd >= 0 in listen mode. */
static int64_t start_ms;

static int run_batch(int listen_fd, int64_t deadline)
{
	int accepted = 0, ok = 1, all_done;
	struct pollfd *pfd = calloc((size_t)nconns + 1, sizeof(*pfd));
	int *pmap = calloc((size_t)nconns + 1, sizeof(*pmap));	/* pfd index -> conn, -1 listener */
	int64_t retry_until = tsp_now_ms() + (int64_t)(opt.connect_retry_s * 1000);

	if (!pfd || !pmap)
		tsp_die(prog, "out of memory");
	for (int i = 0; i < nconns; i++) {
		conn_reset(&conns[i], i);
		if (listen_fd < 0)
			start_connect(&conns[i], tsp_now_ms());
	}
	if (used)
		memset(used, 0, (size_t)opt.conns);

	for (;;) {
		int64_t now = tsp_now_ms();
		int wait_ms = 1000, np = 0, rc;

		if (opt.gate && !gate_open && access(opt.gate, F_OK) == 0) {
			gate_open = 1;
			if (!opt.quiet)
				fprintf(stderr, "%s: gate %s open after %lld ms\n", prog, opt.gate,
					(long long)(now - start_ms));
		}

		all_done = 1;
		for (int i = 0; i < nconns; i++) {
			struct conn *c = &conns[i];

			if (c->st == C_OPEN) {
				if (!c->send_done)
					do_write(c, now, &wait_ms);
				after_send(c, &wait_ms);
				if (c->st == C_OPEN && c->send_done && c->recv_done)
					conn_close(c);
			}
			if (c->st == C_RETRY && now >= c->retry_at)
				start_connect(c, now);
			if (c->st != C_DONE)
				all_done = 0;
		}
		if (all_done && (listen_fd < 0 || accepted == nconns))
			break;
		if (got_signal || now >= deadline) {
			for (int i = 0; i < nconns; i++)
				if (conns[i].st != C_DONE) {
					set_err(&conns[i], ETIMEDOUT);
					conn_close(&conns[i]);
				}
			if (listen_fd >= 0)
				for (int i = accepted; i < nconns; i++)
					set_err(&conns[i], ETIMEDOUT);
			break;
		}

		if (listen_fd >= 0 && accepted < nconns) {
			pfd[np].fd = listen_fd;
			pfd[np].events = POLLIN;
			pfd[np].revents = 0;
			pmap[np++] = -1;
		}
		for (int i = 0; i < nconns; i++) {
			struct conn *c = &conns[i];
			short ev = 0;

			if (c->st == C_CONNECTING) {
				ev = POLLOUT;
			} else if (c->st == C_OPEN) {
				if (c->paused == 1 && now >= c->pause_until)
					c->paused = 2;
				if (c->paused == 1) {
					int w = (int)(c->pause_until - now);

					if (w < wait_ms)
						wait_ms = w < 0 ? 0 : w;
				} else if (!c->recv_done) {
					ev |= POLLIN;
				}
				if (!c->send_done && (c->txoff < c->txlen))
					ev |= POLLOUT;
				else if (!c->send_done && c->sent < opt.send) {
					int w = 1000;

					if (send_allowance(c, now, &w))
						ev |= POLLOUT;
					if (w < wait_ms)
						wait_ms = w;
				}
			} else if (c->st == C_RETRY) {
				int w = (int)(c->retry_at - now);

				if (w < wait_ms)
					wait_ms = w < 0 ? 0 : w;
				continue;
			} else {
				continue;
			}
			if (c->st == C_OPEN && opt.gate && !gate_open && wait_ms > 10)
				wait_ms = 10;
			pfd[np].fd = c->fd;
			pfd[np].events = ev;
			pfd[np].revents = 0;
			pmap[np++] = i;
		}
		if (deadline - now < wait_ms)
			wait_ms = (int)(deadline - now);
		rc = poll(pfd, (nfds_t)np, wait_ms);
		if (rc < 0 && errno != EINTR)
			tsp_die(prog, "poll: %s", strerror(errno));
		now = tsp_now_ms();
		for (int k = 0; rc > 0 && k < np; k++) {
			if (!pfd[k].revents)
				continue;
			if (pmap[k] < 0) {
				while (accepted < nconns) {
					int fd = accept4(listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

					if (fd < 0)
						break;
					conns[accepted].fd = fd;
					conn_opened(&conns[accepted], now);
					accepted++;
				}
				continue;
			}
			struct conn *c = &conns[pmap[k]];

			if (c->st == C_CONNECTING) {
				connect_done(c, now, retry_until);
				continue;
			}
			if (c->st != C_OPEN)
				continue;
			if ((pfd[k].revents & (POLLIN | POLLHUP | POLLERR)) && !c->recv_done)
				do_read(c);
			if ((pfd[k].revents & (POLLOUT | POLLERR)) && !c->send_done)
				do_write(c, now, &wait_ms);
		}
	}
	for (int i = 0; i < nconns; i++) {
		if (!conn_ok(&conns[i]))
			ok = 0;
		report(&conns[i], nconns > 1);
	}
	if (nconns > 1) {
		unsigned long long ts = 0, tr = 0;
		int nok = 0;

		for (int i = 0; i < nconns; i++) {
			ts += conns[i].sent;
			tr += conns[i].recv;
			nok += conn_ok(&conns[i]);
		}
		printf("conns=%d ok=%d failed=%d sent=%llu recv=%llu\n", nconns, nok, nconns - nok,
		       ts, tr);
		fflush(stdout);
	}
	free(pfd);
	free(pmap);
	return ok;
}

static int do_probe(void)
{
	int *fds = calloc((size_t)opt.conns, sizeof(int));
	int nok = 0, nna = 0, nother = 0;
	char ports[8192] = "";
	size_t plen = 0;

	if (!fds)
		tsp_die(prog, "out of memory");
	for (int i = 0; i < opt.conns; i++) {
		struct conn c;
		int fd = socket(peer_ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		int e = 0;

		fds[i] = -1;
		memset(&c, 0, sizeof(c));
		snprintf(c.local, sizeof(c.local), "-");
		if (fd < 0) {
			e = errno;
		} else {
			struct timeval tv = { .tv_sec = 5 };

			setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
			if (opt.bind_addr && bind_local(fd, peer_ss.ss_family, opt.bind_addr, NULL) < 0)
				e = errno;
			else if (connect(fd, (void *)&peer_ss, peer_len) < 0)
				e = errno;
		}
		if (!e) {
			c.fd = fd;
			fill_names(&c);
			fds[i] = fd;
			nok++;
			if (plen < sizeof(ports) - 16) {
				const char *p = strrchr(c.local, ':');

				plen += (size_t)snprintf(ports + plen, sizeof(ports) - plen, "%s%s",
							 plen ? "," : "", p ? p + 1 : "?");
			}
		} else {
			if (fd >= 0)
				close(fd);
			if (e == EADDRNOTAVAIL)
				nna++;
			else
				nother++;
		}
		printf("probe=%d result=%s local=%s\n", i, e ? tsp_errname(e) : "ok", c.local);
		fflush(stdout);
	}
	printf("probes=%d ok=%d eaddrnotavail=%d other=%d ports=%s\n", opt.conns, nok, nna, nother,
	       plen ? ports : "-");
	fflush(stdout);
	if (opt.hold_ms > 0 || opt.gate) {
		int64_t end = tsp_now_ms() + (opt.hold_ms > 0 ? opt.hold_ms : (int64_t)(opt.timeout_s * 1000));

		while (tsp_now_ms() < end && !got_signal) {
			if (opt.gate && access(opt.gate, F_OK) == 0)
				break;
			usleep(10000);
		}
	}
	for (int i = 0; i < opt.conns; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
	return 0;
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	int64_t start;
	int ok = 1, lfd = -1;

	parse_args(argc, argv);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGURG, on_sigurg);
	setvbuf(stdout, NULL, _IOLBF, 0);
	start = tsp_now_ms();
	start_ms = start;

	if (opt.mode == 'c' || opt.mode == 'p')
		tsp_resolve(prog, opt.host, opt.port, 0, &peer_ss, &peer_len);
	if (opt.mode == 'p')
		return do_probe();

	nconns = opt.conns ? opt.conns : 1;
	conns = calloc((size_t)nconns, sizeof(*conns));
	if (!conns)
		tsp_die(prog, "out of memory");
	for (int i = 0; i < nconns; i++) {
		conns[i].txbuf = malloc(nconns > 1 ? MULTI_CHUNK : CHUNK);
		if (!conns[i].txbuf)
			tsp_die(prog, "out of memory");
	}

	if (opt.mode == 'l') {
		struct sockaddr_storage ss;
		socklen_t l;
		int one = 1;

		tsp_resolve(prog, opt.bind_addr, opt.port, 1, &ss, &l);
		lfd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (lfd < 0)
			tsp_die(prog, "socket: %s", strerror(errno));
		setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		sock_opts(lfd);
		if (bind(lfd, (void *)&ss, l) < 0)
			tsp_die(prog, "bind port %s: %s", opt.port, strerror(errno));
		if (listen(lfd, 1024) < 0)
			tsp_die(prog, "listen: %s", strerror(errno));
		if (opt.conns > 1 && opt.expect >= 8) {
			heads = calloc((size_t)opt.conns, sizeof(*heads));
			used = calloc((size_t)opt.conns, 1);
			if (!heads || !used)
				tsp_die(prog, "out of memory");
			for (int k = 0; k < opt.conns; k++)
				heads[k] = tsp_stream_head(opt.peer_seed, (uint64_t)k);
		}
		tsp_touch(opt.ready_file, NULL);
		if (!opt.quiet)
			fprintf(stderr, "%s: listening on port %s\n", prog, opt.port);
	}

	if (opt.mode == 'l' && !opt.once && !opt.conns) {
		/* serve connections one after the other until a signal */
		while (!got_signal) {
			struct pollfd p = { .fd = lfd, .events = POLLIN };

			if (poll(&p, 1, 1000) <= 0)
				continue;
			ok &= run_batch(lfd, tsp_now_ms() + (int64_t)(opt.timeout_s * 1000));
		}
	} else {
		ok = run_batch(lfd, start + (int64_t)(opt.timeout_s * 1000));
	}
	return ok ? 0 : 1;
}
