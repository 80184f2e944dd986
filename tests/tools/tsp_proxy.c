// SPDX-License-Identifier: GPL-2.0
/*
 * tsp_proxy - the small test proxy of the tcp_splice tests.
 *
 * Accepts client connections, connects each to the server, optionally
 * relays a request header (--relay-req N) and holds a response header
 * (--hold-resp N), then hands the pair to the kernel with the
 * TCP_SPLICE_IOC_SPLICE ioctl:
 *
 *   drained  writes what it holds, then ioctl with TCP_SPLICE_F_DRAINED,
 *            then closes its fds (--keep: keeps polling them, counting any
 *            byte that still arrives, until both report EOF);
 *   legacy   ioctl without the flag, writes its held bytes --delay-ms
 *            later, and keeps relaying like HAProxy 1.3: everything it
 *            reads (bytes from before the cut) is forwarded, an EOF on one
 *            side becomes shutdown(SHUT_WR) on the other, both fds are
 *            closed once both directions saw EOF (--keep: kept open until
 *            the proxy exits, and the session reported then);
 *   copy     no ioctl: a plain user-space relay (reference, fallback);
 *   none     no ioctl: writes what it holds and then leaves the fds idle
 *            (open, never read) until it exits.
 *
 * One line per session on stdout:
 *   session=N mode=M ioctl=ok|ENAME|- id=ID req=R held=H held_written=W
 *   after_c2s=X after_s2c=Y rx_after_c=A rx_after_s=B wakeups=K end=E
 * (after_*: bytes the proxy read from a socket after the ioctl;
 *  rx_after_*: growth of the socket's tcpi_bytes_received after the ioctl;
 *  wakeups: poll events on its fds after the ioctl)
 * and at exit:  proxy sessions=N spliced=K failed=F cpu_ticks=T ioctl_us=U
 *               [fallback=B with --fallback-copy]
 *  (ioctl_us: wall time spent in splice calls, per session and in all)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/times.h>
#include <linux/tcp.h>
#include <linux/tcp_splice.h>

#include "common.h"

static const char *prog = "tsp_proxy";

enum mode { M_DRAINED, M_LEGACY, M_COPY, M_NONE };
static const char *const mode_names[] = { "drained", "legacy", "copy", "none" };

static struct {
	enum mode mode;
	const char *lport, *shost, *sport, *bind_addr;
	int count;
	int concurrent;
	uint64_t relay_req, hold_resp;
	int delay_ms;
	int keep, stay;
	int fallback_copy;
	int read_oob;
	int wait_client_fin;
	double timeout_s;
	const char *pid_file, *ready_file, *spliced_file;
	int quiet;
} opt = {
	.count = 1,
	.timeout_s = 120,
};

#define BUF_MAX		(1 << 20)	/* stop reading a direction above this */

enum phase { P_CONNECTING, P_HEADER, P_DRAIN, P_RELAY, P_KEEP, P_HOLD, P_DONE };

struct dir {
	uint8_t *buf;
	size_t len, off, cap;	/* bytes buf[off..len) wait for the destination */
	uint64_t limit;		/* header phase: bytes still to read */
	uint64_t after;		/* bytes read after the ioctl */
	int eof;		/* source said EOF */
	int shut;		/* shutdown(dst, SHUT_WR) done */
	int64_t write_after;	/* no write before this time (ms) */
};

struct sess {
	int id, cfd, sfd;
	enum phase ph;
	struct dir d[2];	/* 0: client -> server, 1: server -> client */
	int ioctl_done, ioctl_err;
	uint64_t sid;
	uint64_t req, held, held_written;
	uint64_t rx0[2];	/* tcpi_bytes_received of cfd, sfd at the ioctl */
	int failed;
	int fallback;		/* --fallback-copy: relayed after ENOTCONN */
	int reported;
	int keep_err;		/* --keep: first read error while watching */
	char end[24];		/* P_HOLD: how it ended, reported at exit */
	uint64_t wakeups;	/* poll events on its fds after the ioctl */
	int64_t ioctl_us;	/* wall time of the splice call */
};

static struct sess *sess;
static int naccepted, nspliced, nfailed, npoints, nfallback;
static int64_t ioctl_us_total;
static volatile sig_atomic_t got_signal;

static void on_signal(int sig)
{
	got_signal = sig;
}

/*
 * poll() that a SIGTERM/SIGINT interrupts without a race: those signals
 * stay blocked except inside ppoll().
 */
static sigset_t run_mask;

static int wait_events(struct pollfd *p, int n, int64_t ms)
{
	struct timespec ts;

	if (ms < 0)
		ms = 0;
	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	return ppoll(p, (nfds_t)n, &ts, &run_mask);
}

static void usage(FILE *f)
{
	fprintf(f,
"usage: tsp_proxy [options] LISTEN_PORT SERVER_HOST SERVER_PORT\n"
"\n"
"  --mode M          drained | legacy | copy | none (default drained)\n"
"  --count N         sessions to serve (default 1)\n"
"  --concurrent      accept while earlier sessions are still running\n"
"                    (default: one session at a time)\n"
"  --relay-req N     read N bytes from the client and forward them first\n"
"  --hold-resp N     read N bytes from the server and keep them buffered\n"
"  --delay-ms N      legacy/copy: write the held bytes N ms after the ioctl\n"
"  --keep            drained: keep polling the fds after the ioctl until both\n"
"                    report EOF; legacy: keep the fds open until exit (the\n"
"                    session line is printed then)\n"
"  --stay            after the last session, wait for SIGTERM before exiting\n"
"  --timeout S       give up after S seconds (default 120)\n"
"  --bind ADDR       listen on ADDR (default any)\n"
"  --pid-file F      write the pid to F\n"
"  --ready-file F    create F once listening\n"
"  --spliced-file F  create F once every session passed its splice point\n"
"  --fallback-copy   drained/legacy: when the splice call fails with ENOTCONN\n"
"                    (e.g. both peers already finished) or ENOMEM, relay the session\n"
"                    in user space (as copy), end=fallback-eof\n"
"  --read-oob        drained: take the client's urgent byte with MSG_OOB just\n"
"                    before the splice call (fails if there is none); it is\n"
"                    then no longer part of the stream the server gets\n"
"  --wait-client-fin drained: before the splice call, wait (10 s at most) until\n"
"                    the client's FIN is in (its socket in CLOSE_WAIT)\n"
"  --quiet           no informational messages on stderr\n"
"  --help            this text\n"
"\n"
"drained: write the held bytes, ioctl(TCP_SPLICE_F_DRAINED), close (or --keep).\n"
"legacy:  ioctl(0), write the held bytes after --delay-ms, relay what still\n"
"         arrives (bytes before the cut), EOF -> shutdown(SHUT_WR) of the other\n"
"         side, close when both directions saw EOF.\n"
"copy:    plain user-space relay.   none: no ioctl, fds left idle.\n"
"Per session:  session=N mode=M ioctl=ok|ENAME|- id=ID req=R held=H\n"
"              held_written=W after_c2s=X after_s2c=Y rx_after_c=A rx_after_s=B\n"
"              wakeups=K end=E\n"
"At exit:      proxy sessions=N spliced=K failed=F cpu_ticks=T ioctl_us=U\n"
"              [fallback=B with --fallback-copy]\n"
"Exit 0 when every session went through without an error (ioctl included).\n");
}

static void parse_args(int argc, char **argv)
{
	const char *pos[3] = { 0 };
	int npos = 0;

	for (int i = 1; i < argc; i++) {
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
		if (!strcmp(a, "--mode")) {
			int m;

			TAKE();
			for (m = 0; m < 4; m++)
				if (!strcmp(v, mode_names[m]))
					break;
			if (m == 4)
				tsp_die(prog, "bad --mode '%s'", v);
			opt.mode = (enum mode)m;
		}
		else if (!strcmp(a, "--count")) { TAKE(); opt.count = (int)tsp_need_size(prog, a, v); if (opt.count < 1 || opt.count > 100000) tsp_die(prog, "bad --count"); }
		else if (!strcmp(a, "--concurrent")) opt.concurrent = 1;
		else if (!strcmp(a, "--relay-req")) { TAKE(); opt.relay_req = tsp_need_size(prog, a, v); }
		else if (!strcmp(a, "--hold-resp")) { TAKE(); opt.hold_resp = tsp_need_size(prog, a, v); if (opt.hold_resp > 64 << 20) tsp_die(prog, "--hold-resp too large"); }
		else if (!strcmp(a, "--delay-ms")) { TAKE(); opt.delay_ms = (int)tsp_need_size(prog, a, v); }
		else if (!strcmp(a, "--keep")) opt.keep = 1;
		else if (!strcmp(a, "--wait-client-fin")) opt.wait_client_fin = 1;
		else if (!strcmp(a, "--stay")) opt.stay = 1;
		else if (!strcmp(a, "--timeout")) { TAKE(); opt.timeout_s = atof(v); if (opt.timeout_s <= 0) tsp_die(prog, "bad --timeout"); }
		else if (!strcmp(a, "--bind")) { TAKE(); opt.bind_addr = v; }
		else if (!strcmp(a, "--pid-file")) { TAKE(); opt.pid_file = v; }
		else if (!strcmp(a, "--ready-file")) { TAKE(); opt.ready_file = v; }
		else if (!strcmp(a, "--spliced-file")) { TAKE(); opt.spliced_file = v; }
		else if (!strcmp(a, "--quiet")) opt.quiet = 1;
		else if (!strcmp(a, "--fallback-copy")) opt.fallback_copy = 1;
		else if (!strcmp(a, "--read-oob")) opt.read_oob = 1;
		else tsp_die(prog, "unknown option %s (see --help)", a);
#undef TAKE
	}
	if (npos != 3) {
		usage(stderr);
		exit(2);
	}
	opt.lport = pos[0];
	opt.shost = pos[1];
	opt.sport = pos[2];
}


/* ------------------------------------------------------------------ */

static uint64_t bytes_received(int fd)
{
	struct tcp_info ti;
	socklen_t l = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (fd < 0 || getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &l) < 0)
		return 0;
	return ti.tcpi_bytes_received;
}

static void report(struct sess *s, const char *end)
{
	char ioc[24], rxa[24], rxb[24];

	if (s->reported)
		return;
	s->reported = 1;
	if (!s->ioctl_done) {
		snprintf(ioc, sizeof(ioc), "-");
		snprintf(rxa, sizeof(rxa), "-");
		snprintf(rxb, sizeof(rxb), "-");
	} else {
		snprintf(ioc, sizeof(ioc), "%s", tsp_errname(s->ioctl_err));
		snprintf(rxa, sizeof(rxa), "%llu",
			 (unsigned long long)(bytes_received(s->cfd) - s->rx0[0]));
		snprintf(rxb, sizeof(rxb), "%llu",
			 (unsigned long long)(bytes_received(s->sfd) - s->rx0[1]));
	}
	printf("session=%d mode=%s ioctl=%s id=%llu req=%llu held=%llu held_written=%llu "
	       "after_c2s=%llu after_s2c=%llu rx_after_c=%s rx_after_s=%s wakeups=%llu ioctl_us=%lld end=%s\n",
	       s->id, mode_names[opt.mode], ioc, (unsigned long long)s->sid,
	       (unsigned long long)s->req, (unsigned long long)s->held,
	       (unsigned long long)s->held_written, (unsigned long long)s->d[0].after,
	       (unsigned long long)s->d[1].after, rxa, rxb, (unsigned long long)s->wakeups,
	       (long long)s->ioctl_us, end);
	fflush(stdout);
}

static void sess_close(struct sess *s)
{
	if (s->cfd >= 0)
		close(s->cfd);
	if (s->sfd >= 0)
		close(s->sfd);
	s->cfd = s->sfd = -1;
	for (int i = 0; i < 2; i++) {
		free(s->d[i].buf);
		s->d[i].buf = NULL;
		s->d[i].len = s->d[i].off = s->d[i].cap = 0;
	}
	s->ph = P_DONE;
}

static void sess_fail(struct sess *s, const char *why, int e)
{
	char end[64];

	snprintf(end, sizeof(end), "error:%s%s%s", why, e ? ":" : "", e ? tsp_errname(e) : "");
	if (!opt.quiet)
		fprintf(stderr, "%s: session %d: %s%s%s\n", prog, s->id, why, e ? ": " : "",
			e ? strerror(e) : "");
	s->failed = 1;
	nfailed++;
	report(s, end);
	sess_close(s);
}

/*
 * Finished in the proxy's eyes: report and close, or keep the fds until the
 * proxy exits and report then (so that rx_after_* covers the whole time).
 */
static void sess_finish(struct sess *s, const char *end, int keep_fds)
{
	if (keep_fds) {
		snprintf(s->end, sizeof(s->end), "%s", end);
		s->ph = P_HOLD;
		return;
	}
	report(s, end);
	sess_close(s);
}

static int buf_append(struct dir *d, const uint8_t *p, size_t n)
{
	if (d->off && d->off == d->len)
		d->off = d->len = 0;
	if (d->len + n > d->cap) {
		size_t ncap = d->cap ? d->cap : 65536;
		uint8_t *nb;

		if (d->off) {
			memmove(d->buf, d->buf + d->off, d->len - d->off);
			d->len -= d->off;
			d->off = 0;
		}
		while (ncap < d->len + n)
			ncap *= 2;
		if (ncap != d->cap) {
			nb = realloc(d->buf, ncap);
			if (!nb)
				return -1;
			d->buf = nb;
			d->cap = ncap;
		}
	}
	memcpy(d->buf + d->len, p, n);
	d->len += n;
	return 0;
}

static int fd_of(struct sess *s, int src_of_dir, int di)
{
	/* dir 0: src cfd, dst sfd; dir 1: src sfd, dst cfd */
	if (src_of_dir)
		return di == 0 ? s->cfd : s->sfd;
	return di == 0 ? s->sfd : s->cfd;
}

/* ------------------------------------------------------------------ */

static void splice_point_passed(void)
{
	if (++npoints == opt.count && opt.spliced_file)
		tsp_touch(opt.spliced_file, NULL);
}

static void do_ioctl(struct sess *s, uint32_t flags)
{
	struct tcp_splice_req req;
	int dev;

	memset(&req, 0, sizeof(req));
	req.size = sizeof(req);
	req.version = TCP_SPLICE_ABI_VERSION;
	req.fd_client = s->cfd;
	req.fd_server = s->sfd;
	req.flags = flags;
	s->ioctl_done = 1;
	dev = open(TCP_SPLICE_DEVICE, O_RDWR | O_CLOEXEC);
	if (dev < 0) {
		s->ioctl_err = errno;
	} else {
		int64_t t0 = tsp_now_us();

		if (ioctl(dev, TCP_SPLICE_IOC_SPLICE, &req) < 0)
			s->ioctl_err = errno;
		else
			s->sid = req.session_id;
		s->ioctl_us = tsp_now_us() - t0;
		ioctl_us_total += s->ioctl_us;
		close(dev);
	}
	/*
	 * The baseline is taken after the call: from then on the socket must
	 * not receive a byte (legacy: the cut is the rcv_nxt of the call).
	 */
	s->rx0[0] = bytes_received(s->cfd);
	s->rx0[1] = bytes_received(s->sfd);
	if (!s->ioctl_err)
		nspliced++;
	else if (!opt.quiet)
		fprintf(stderr, "%s: session %d: ioctl: %s\n", prog, s->id, strerror(s->ioctl_err));
}

/*
 * --fallback-copy: a splice refused with ENOTCONN or ENOMEM (the module
 * left the sockets as they were) goes on as a user-space relay.  1: it
 * does.
 */
static int fallback(struct sess *s, int64_t now)
{
	if (!opt.fallback_copy || (s->ioctl_err != ENOTCONN && s->ioctl_err != ENOMEM))
		return 0;
	s->fallback = 1;
	nfallback++;
	s->d[1].write_after = now;
	s->ph = P_RELAY;
	return 1;
}

/* Header phase done (or nothing to do): go on according to the mode. */
static void header_done(struct sess *s, int64_t now)
{
	s->req = s->d[0].after;		/* counted as "after" during the header phase */
	s->held = s->d[1].after;
	s->d[0].after = s->d[1].after = 0;
	s->d[0].limit = s->d[1].limit = UINT64_MAX;
	switch (opt.mode) {
	case M_DRAINED:
	case M_NONE:
		s->ph = P_DRAIN;	/* write the held bytes first */
		break;
	case M_LEGACY:
		do_ioctl(s, 0);
		splice_point_passed();
		if (s->ioctl_err && fallback(s, now))
			break;
		if (s->ioctl_err) {
			sess_fail(s, "ioctl", s->ioctl_err);
			return;
		}
		/* fall through */
	case M_COPY:
		if (opt.mode == M_COPY)
			splice_point_passed();
		s->d[1].write_after = now + opt.delay_ms;
		s->ph = P_RELAY;
		break;
	}
}

static void drain_done(struct sess *s, int64_t now)
{
	if (opt.mode == M_NONE) {
		splice_point_passed();
		sess_finish(s, "idle", 1);
		return;
	}
	if (opt.read_oob) {
		char b;
		ssize_t n = recv(s->cfd, &b, 1, MSG_OOB | MSG_DONTWAIT);

		if (n != 1) {
			sess_fail(s, "recv(MSG_OOB)", n < 0 ? errno : EPROTO);
			return;
		}
	}
	if (opt.wait_client_fin) {
		struct pollfd p = { .fd = s->cfd, .events = POLLRDHUP };

		if (poll(&p, 1, 10000) != 1 || !(p.revents & POLLRDHUP)) {
			sess_fail(s, "waiting for the client's FIN", ETIMEDOUT);
			return;
		}
	}
	do_ioctl(s, TCP_SPLICE_F_DRAINED);
	splice_point_passed();
	if (s->ioctl_err && fallback(s, now))
		return;
	if (s->ioctl_err) {
		sess_fail(s, "ioctl", s->ioctl_err);
		return;
	}
	if (opt.keep)
		s->ph = P_KEEP;
	else
		sess_finish(s, "closed", 0);
}

/* Read from the source of direction di.  Returns -1 if the session ended. */
static int dir_read(struct sess *s, int di)
{
	static uint8_t buf[65536];
	struct dir *d = &s->d[di];
	int fd = fd_of(s, 1, di);

	for (int loops = 0; loops < 8 && !d->eof; loops++) {
		size_t want = sizeof(buf);
		ssize_t n;

		if (s->ph == P_HEADER && d->limit < want)
			want = (size_t)d->limit;
		if (s->ph == P_RELAY && d->len - d->off >= BUF_MAX)
			return 0;
		if (!want)
			return 0;
		n = recv(fd, buf, want, 0);
		if (n > 0) {
			d->after += (uint64_t)n;
			if (s->ph == P_HEADER)
				d->limit -= (uint64_t)n;
			if (s->ph == P_KEEP)
				continue;	/* nothing to forward to: count only */
			if (buf_append(d, buf, (size_t)n) < 0) {
				sess_fail(s, "out of memory", 0);
				return -1;
			}
			continue;
		}
		if (n == 0) {
			d->eof = 1;
			break;
		}
		if (errno == EAGAIN || errno == EINTR)
			return 0;
		if (s->ph == P_KEEP) {
			/* only watching: an error ends the watch like an EOF */
			if (!s->keep_err)
				s->keep_err = errno;
			d->eof = 1;
			break;
		}
		sess_fail(s, di == 0 ? "read from client" : "read from server", errno);
		return -1;
	}
	if (d->eof && s->ph == P_HEADER) {
		sess_fail(s, di == 0 ? "client EOF before the request header" :
			  "server EOF before the response header", 0);
		return -1;
	}
	return 0;
}

static int dir_may_write(struct sess *s, int di, int64_t now)
{
	struct dir *d = &s->d[di];

	if (d->off == d->len)
		return 0;
	switch (s->ph) {
	case P_HEADER:
		return di == 0;		/* the request goes on, the response is held */
	case P_DRAIN:
		return di == 1;
	case P_RELAY:
		return now >= d->write_after;
	default:
		return 0;
	}
}

static int dir_write(struct sess *s, int di, int64_t now)
{
	struct dir *d = &s->d[di];
	int fd = fd_of(s, 0, di);

	while (dir_may_write(s, di, now)) {
		ssize_t n = send(fd, d->buf + d->off, d->len - d->off, MSG_NOSIGNAL);

		if (n > 0) {
			d->off += (size_t)n;
			if (di == 1 && s->ph != P_HEADER && s->held_written < s->held) {
				uint64_t k = s->held - s->held_written;

				s->held_written += ((uint64_t)n < k) ? (uint64_t)n : k;
			}
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		sess_fail(s, di == 0 ? "write to server" : "write to client", errno);
		return -1;
	}
	return 0;
}

/* Advance the state machine of @s after I/O. */
static void sess_step(struct sess *s, int64_t now)
{
	switch (s->ph) {
	case P_HEADER:
		if (s->d[0].limit == 0 && s->d[1].limit == 0 && s->d[0].off == s->d[0].len)
			header_done(s, now);
		if (s->ph != P_DRAIN)
			break;
		/* fall through */
	case P_DRAIN:
		if (dir_write(s, 1, now) < 0)
			return;
		if (s->d[1].off == s->d[1].len)
			drain_done(s, now);
		break;
	case P_RELAY:
		for (int di = 0; di < 2; di++) {
			struct dir *d = &s->d[di];

			if (d->eof && !d->shut && d->off == d->len) {
				if (shutdown(fd_of(s, 0, di), SHUT_WR) < 0 && errno != ENOTCONN) {
					sess_fail(s, "shutdown", errno);
					return;
				}
				d->shut = 1;
			}
		}
		if (s->d[0].shut && s->d[1].shut)
			sess_finish(s, s->fallback ? "fallback-eof" : "eof", opt.keep);
		break;
	case P_KEEP:
		if (s->d[0].eof && s->d[1].eof) {
			char end[40];

			snprintf(end, sizeof(end), "%s%s", s->keep_err ? "err:" : "eof",
				 s->keep_err ? tsp_errname(s->keep_err) : "");
			sess_finish(s, end, 0);
		}
		break;
	default:
		break;
	}
}

static void connect_done(struct sess *s, int64_t now)
{
	int e = 0;
	socklen_t l = sizeof(e);

	if (getsockopt(s->sfd, SOL_SOCKET, SO_ERROR, &e, &l) < 0)
		e = errno;
	if (e) {
		sess_fail(s, "connect to server", e);
		return;
	}
	s->ph = P_HEADER;
	s->d[0].limit = opt.relay_req;
	s->d[1].limit = opt.hold_resp;
	sess_step(s, now);
}

static struct sockaddr_storage srv_ss;
static socklen_t srv_len;

static void new_session(int lfd, int64_t now)
{
	struct sess *s = &sess[naccepted];
	int cfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);

	if (cfd < 0)
		return;
	memset(s, 0, sizeof(*s));
	s->id = ++naccepted;
	s->cfd = cfd;
	s->sfd = socket(srv_ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->sfd < 0) {
		sess_fail(s, "socket", errno);
		return;
	}
	if (connect(s->sfd, (void *)&srv_ss, srv_len) < 0 && errno != EINPROGRESS) {
		sess_fail(s, "connect to server", errno);
		return;
	}
	s->ph = P_CONNECTING;
	(void)now;
}

static int active(const struct sess *s)
{
	return s->ph != P_DONE && s->ph != P_HOLD;
}

int main(int argc, char **argv)
{
	struct sockaddr_storage lss;
	socklen_t llen;
	struct sigaction sa;
	struct pollfd *pfd;
	int *pmap;
	int lfd, one = 1, holding;
	int64_t deadline;
	struct tms tm;

	parse_args(argc, argv);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	{
		sigset_t block;

		sigemptyset(&block);
		sigaddset(&block, SIGTERM);
		sigaddset(&block, SIGINT);
		sigprocmask(SIG_BLOCK, &block, &run_mask);
		sigdelset(&run_mask, SIGTERM);
		sigdelset(&run_mask, SIGINT);
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	deadline = tsp_now_ms() + (int64_t)(opt.timeout_s * 1000);

	if (opt.pid_file) {
		char line[32];
		FILE *f = fopen(opt.pid_file, "w");

		if (!f)
			tsp_die(prog, "cannot write %s: %s", opt.pid_file, strerror(errno));
		snprintf(line, sizeof(line), "%d\n", (int)getpid());
		fputs(line, f);
		fclose(f);
	}
	tsp_resolve(prog, opt.shost, opt.sport, 0, &srv_ss, &srv_len);
	tsp_resolve(prog, opt.bind_addr, opt.lport, 1, &lss, &llen);
	lfd = socket(lss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (lfd < 0)
		tsp_die(prog, "socket: %s", strerror(errno));
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (void *)&lss, llen) < 0)
		tsp_die(prog, "bind port %s: %s", opt.lport, strerror(errno));
	if (listen(lfd, 1024) < 0)
		tsp_die(prog, "listen: %s", strerror(errno));
	tsp_touch(opt.ready_file, NULL);
	if (!opt.quiet)
		fprintf(stderr, "%s: listening on port %s, mode %s, %d session(s)\n", prog, opt.lport,
			mode_names[opt.mode], opt.count);

	sess = calloc((size_t)opt.count, sizeof(*sess));
	pfd = calloc((size_t)opt.count * 2 + 1, sizeof(*pfd));
	pmap = calloc((size_t)opt.count * 2 + 1, sizeof(*pmap));
	if (!sess || !pfd || !pmap)
		tsp_die(prog, "out of memory");

	for (;;) {
		int64_t now = tsp_now_ms();
		/*
		 * No periodic wake-up: a proxy that wakes while the kernel
		 * forwards its spliced traffic gets the softirq work of that
		 * moment charged to it, which would blur the CPU checks.
		 */
		int np = 0, nactive = 0, rc;
		int64_t wait_ms = INT64_MAX;

		for (int i = 0; i < naccepted; i++)
			nactive += active(&sess[i]);
		if (naccepted == opt.count && !nactive)
			break;
		if (got_signal || now >= deadline)
			break;

		if (naccepted < opt.count && (opt.concurrent || !nactive)) {
			pfd[np].fd = lfd;
			pfd[np].events = POLLIN;
			pmap[np++] = -1;
		}
		for (int i = 0; i < naccepted; i++) {
			struct sess *s = &sess[i];
			short ev[2] = { 0, 0 };	/* cfd, sfd */

			switch (s->ph) {
			case P_CONNECTING:
				ev[1] = POLLOUT;
				break;
			case P_HEADER:
			case P_DRAIN:
			case P_RELAY:
			case P_KEEP:
				for (int di = 0; di < 2; di++) {
					struct dir *d = &s->d[di];
					int src = di, dst = !di;	/* index into ev */

					if (!d->eof && (s->ph != P_HEADER || d->limit) &&
					    s->ph != P_DRAIN &&
					    (s->ph != P_RELAY || d->len - d->off < BUF_MAX))
						ev[src] |= POLLIN;
					if (dir_may_write(s, di, now))
						ev[dst] |= POLLOUT;
					else if (s->ph == P_RELAY && d->off < d->len &&
						 d->write_after > now &&
						 d->write_after - now < wait_ms)
						wait_ms = d->write_after - now;
				}
				break;
			default:
				break;
			}
			for (int k = 0; k < 2; k++) {
				if (!ev[k])
					continue;
				pfd[np].fd = k ? s->sfd : s->cfd;
				pfd[np].events = ev[k];
				pmap[np++] = i;
			}
		}
		if (deadline - now < wait_ms)
			wait_ms = deadline - now;
		for (int k = 0; k < np; k++)
			pfd[k].revents = 0;
		rc = wait_events(pfd, np, wait_ms);
		if (rc < 0 && errno != EINTR)
			tsp_die(prog, "poll: %s", strerror(errno));
		now = tsp_now_ms();
		for (int k = 0; rc > 0 && k < np; k++) {
			struct sess *s;
			int is_s;

			if (!pfd[k].revents)
				continue;
			if (pmap[k] < 0) {
				new_session(lfd, now);
				continue;
			}
			s = &sess[pmap[k]];
			is_s = (pfd[k].fd == s->sfd);
			if (s->ph == P_CONNECTING) {
				if (is_s)
					connect_done(s, now);
				continue;
			}
			if (!active(s))
				continue;
			if (s->ioctl_done)
				s->wakeups++;
			/* the readable side is the source of dir is_s, the writable one of dir !is_s */
			if ((pfd[k].revents & (POLLIN | POLLHUP | POLLERR)) &&
			    (pfd[k].events & POLLIN) && dir_read(s, is_s) < 0)
				continue;
			if ((pfd[k].revents & (POLLOUT | POLLERR | POLLHUP)) &&
			    (pfd[k].events & POLLOUT) && active(s) &&
			    dir_write(s, !is_s, now) < 0)
				continue;
		}
		/* run every state machine: timers (delay) and transitions */
		for (int i = 0; i < naccepted; i++) {
			struct sess *s = &sess[i];

			if (s->ph == P_RELAY)
				for (int di = 0; di < 2 && s->ph == P_RELAY; di++)
					if (dir_may_write(s, di, now))
						dir_write(s, di, now);
			if (active(s) && s->ph != P_CONNECTING)
				sess_step(s, now);
		}
	}

	/* all sessions done (or signal / timeout) */
	holding = 0;
	for (int i = 0; i < naccepted; i++)
		holding += (sess[i].ph == P_HOLD);
	while ((opt.stay || holding) && !got_signal) {
		struct pollfd none;
		int64_t left = deadline - tsp_now_ms();

		if (left <= 0)
			break;
		wait_events(&none, 0, left);
	}
	for (int i = 0; i < naccepted; i++) {
		struct sess *s = &sess[i];

		if (s->ph == P_DONE)
			continue;
		if (s->ph == P_HOLD) {
			report(s, s->end[0] ? s->end : "idle");
			sess_close(s);
			continue;
		}
		if (s->ph == P_KEEP) {
			report(s, got_signal ? "term" : "timeout");
		} else {
			s->failed = 1;
			nfailed++;
			report(s, got_signal ? "term" : "timeout");
		}
		sess_close(s);
	}
	if (naccepted < opt.count && !got_signal) {
		if (!opt.quiet)
			fprintf(stderr, "%s: timeout: only %d of %d sessions accepted\n", prog,
				naccepted, opt.count);
		nfailed += opt.count - naccepted;
	}
	times(&tm);
	printf("proxy sessions=%d spliced=%d failed=%d cpu_ticks=%ld ioctl_us=%lld", naccepted,
	       nspliced, nfailed, (long)(tm.tms_utime + tm.tms_stime), (long long)ioctl_us_total);
	if (opt.fallback_copy)
		printf(" fallback=%d", nfallback);
	printf("\n");
	return nfailed ? 1 : 0;
}
