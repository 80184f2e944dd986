// SPDX-License-Identifier: GPL-2.0
/*
 * tsp_fuzz - seeded fuzzer of the tcp_splice control surface: the ioctl of
 * /dev/tcp_splice and the generic netlink family "tcp_splice", driven with
 * random and mutated requests over a pool of descriptors of every kind
 * (TCP sockets in every state, other families and types, pipes, files, the
 * device, sockets of another network namespace and of another process,
 * numbers that are not open), as whatever user runs it.
 *
 * It checks invariants, not only survival:
 *   - every refusal carries the errno the ABI documents for it; for a
 *     well-formed request the one the documented check order predicts
 *     (Documentation/ioctl-abi.rst, "Errors");
 *   - a splice succeeds only for two distinct IPv4 TCP sockets, both
 *     established (one may be in CLOSE_WAIT), neither spliced, shut down,
 *     signed or in repair mode, in the same network namespace (for
 *     netlink: the netlink socket's); the new session exists, is ours
 *     (uid) and joins exactly those two connections (ports);
 *   - the sessions a dump shows with our uid are exactly the ones the
 *     model holds; an unprivileged sender sees no one else's and cannot
 *     flush; every well-formed netlink request is answered;
 *   - splice_refused grows by the refusals that reached the kernel's
 *     checks (--exclusive: no one else splices in this namespace);
 *   - at the end (--drain S) our sessions are gone, and with --exclusive
 *     sessions_active is back to 0.
 * The kernel log is checked by the test harness.
 *
 * Reproducible: the same --seed and options replay the same requests (the
 * descriptors are rebuilt the same way; only timing-dependent socket
 * states can differ).  A violation prints the request number and seed.
 */
#include "common.h"

#include <arpa/inet.h>
#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/tcp.h>
#include <linux/tcp_splice.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif
#ifndef SO_NETNS_COOKIE
#define SO_NETNS_COOKIE 71
#endif
#ifndef IPPROTO_MPTCP
#define IPPROTO_MPTCP 262
#endif
#ifndef TCP_REPAIR
#define TCP_REPAIR 19
#endif
#ifndef TCP_ULP
#define TCP_ULP 31
#endif
/* TCP states (include/net/tcp_states.h), as TCP_INFO reports them */
enum { TS_ESTABLISHED = 1, TS_SYN_SENT, TS_SYN_RECV, TS_FIN_WAIT1, TS_FIN_WAIT2,
       TS_TIME_WAIT, TS_CLOSE, TS_CLOSE_WAIT, TS_LAST_ACK, TS_LISTEN, TS_CLOSING };

static const char *prog = "tsp_fuzz";

/* ------------------------------------------------------------------ */
/* Options, random numbers                                              */
/* ------------------------------------------------------------------ */

static uint64_t opt_seed, opt_count = 10000, opt_gen = 300, opt_check = 200;
static int opt_drain = 30, opt_exclusive, opt_verbose, opt_max_fails = 10;
static int opt_no_ioctl, opt_no_netlink, opt_no_loops, opt_short_timeouts;
static int opt_no_otherns, opt_no_flush, opt_report_every;
static uint64_t opt_trace_from = UINT64_MAX, opt_race;
static const char *device = TCP_SPLICE_DEVICE;

static uint64_t rng_s;
static uint64_t rnd64(void)
{
	uint64_t x = rng_s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	rng_s = x;
	return x * 0x2545F4914F6CDD1DULL;
}
static uint32_t rnd(void) { return (uint32_t)(rnd64() >> 32); }
#define RN(n) (rnd() % (uint32_t)(n))
#define CHANCE(n) (RN(n) == 0)

static uint64_t req_no;		/* number of the current request */
static int pre_cw;		/* a socket of the request was in CLOSE_WAIT */
static int st_c, st_s;		/* TCP states of its sockets before the prediction */
static long nfails;
static int myuid;

#define FAILF(...) do { fail_at(__VA_ARGS__); } while (0)
static void fail_at(const char *fmt, ...)
{
	va_list ap;

	printf("FAIL #%llu seed=%llu: ", (unsigned long long)req_no,
	       (unsigned long long)opt_seed);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
	fflush(stdout);
	if (++nfails >= opt_max_fails) {
		printf("tsp_fuzz: %ld violations, stopping (reproduce: --seed %llu --count %llu)\n",
		       nfails, (unsigned long long)opt_seed, (unsigned long long)(req_no + 1));
		exit(1);
	}
}

#define TRACE(...) do { if (opt_verbose || req_no >= opt_trace_from) printf(__VA_ARGS__); } while (0)

/* ------------------------------------------------------------------ */
/* The pool of descriptors                                              */
/* ------------------------------------------------------------------ */

enum kind {
	K_TCP,		/* IPv4 TCP, connected or accepted (state: live) */
	K_TS_LISTEN, K_TCP_UNCONN, K_TCP_SYNSENT,
	K_TCP6, K_TCP6_MAPPED, K_UDP, K_UDP6, K_RAW, K_UNIX, K_UNIX_DGRAM,
	K_NETLINK, K_PACKET, K_MPTCP, K_KTLS, K_MD5, K_REPAIR,
	K_OTHERNS,	/* IPv4 TCP of another netns */
	K_PASSED,	/* IPv4 TCP received with SCM_RIGHTS from a child */
	K_PIPE, K_FILE, K_DEVNULL, K_DEV, K_OPATH, K_EVENTFD, K_EPOLL,
	K_CLOSED,	/* a number that was closed */
	__K_MAX,
};

static const char *const kind_names[__K_MAX] = {
	"tcp", "listen", "unconn", "synsent", "tcp6", "tcp6-mapped", "udp", "udp6", "raw",
	"unix", "unix-dgram", "netlink", "packet", "mptcp", "ktls", "md5", "repair",
	"otherns", "passed", "pipe", "file", "devnull", "dev", "opath", "eventfd", "epoll",
	"closed",
};

struct obj {
	int fd;
	int kind;
	int ns;			/* 0: ours, 1: the other netns */
	int peer;		/* index of the other end (TCP pairs), -1 */
	int shut_rd, shut_wr;	/* by us */
	int sess;		/* index in sess[] while spliced, -1 */
	int was_spliced;	/* ever: never eligible again */
	int elig;		/* spliceable before the current request */
	uint64_t made;		/* request number it was made at */
	int queued_at;		/* the listener whose accept queue holds the
				 * other end (never accepted), -1 */
	int cw;			/* in CLOSE_WAIT then */
	ino_t ino;
	uint16_t lport, pport;	/* ports, host order (TCP) */
};

#define MAXOBJ 256
static struct obj objs[MAXOBJ];
static int nobj;

enum { S_LIVE, S_MAYBE, S_GONE };
struct sess {
	uint64_t id;
	int ns;
	int st;
	int weak;		/* may end on its own (peers spliced too, loops) */
	int loop;		/* all its sockets' peers spliced: no endpoint ends it */
	uint64_t made;		/* request number */
	int64_t made_ms;
	const char *how;
	int o[2];
	uint16_t cport, paport, pbport, sport;
};
#define MAXSESS 65536
static struct sess *sess;
static int nsess;

static int dev = -1;
static int nl[2] = { -1, -1 };	/* netlink sockets: our netns, the other */
static int nl_admin[2];
static int famid[2];
static int have_otherns;
static uint64_t cookie[2];

/* Statistics. */
static uint64_t n_ioctl, n_nl, n_ok, n_refused, n_noreply_ok, n_checks, n_gens;
static uint64_t n_overflow;	/* checks cut short: dump beyond NLRES_IDS */
static uint64_t n_flushed, n_ops, n_weak_left;
static uint64_t errcount[160];
static uint64_t reached_known, reached_unknown;	/* refusals counted by the kernel */

static uint64_t netns_cookie(int fd)
{
	uint64_t c = 0;
	socklen_t l = sizeof(c);

	if (getsockopt(fd, SOL_SOCKET, SO_NETNS_COOKIE, &c, &l) < 0)
		return 0;
	return c;
}

static int tcp_state(int fd)
{
	struct tcp_info ti;
	socklen_t l = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &l) < 0)
		return -1;
	return ti.tcpi_state;
}

/*
 * A peer's FIN or RST may land between the prediction and the call: if
 * either socket's TCP state moved meanwhile, ENOTCONN is a right answer.
 */
static int state_moved(int fc, int st_c, int fs, int st_s)
{
	return (fc >= 0 && tcp_state(fc) != st_c) || (fs >= 0 && tcp_state(fs) != st_s);
}

static int add_obj(int fd, int kind, int ns)
{
	struct obj *o;
	struct stat st;

	if (fd < 0)
		return -1;
	if (nobj >= MAXOBJ) {
		close(fd);
		return -1;
	}
	o = &objs[nobj];
	memset(o, 0, sizeof(*o));
	o->fd = fd;
	o->kind = kind;
	o->ns = ns;
	o->peer = -1;
	o->sess = -1;
	o->elig = -1;
	o->made = req_no;
	o->queued_at = -1;
	if (fstat(fd, &st) == 0)
		o->ino = st.st_ino;
	if (have_otherns && S_ISSOCK(st.st_mode) && netns_cookie(fd) == cookie[1])
		o->ns = 1;
	if (kind == K_TCP || kind == K_OTHERNS || kind == K_PASSED || kind == K_MD5 ||
	    kind == K_KTLS || kind == K_REPAIR || kind == K_TCP6 || kind == K_TCP6_MAPPED) {
		struct sockaddr_storage a;
		socklen_t l = sizeof(a);

		/* sin_port and sin6_port are at the same place */
		if (getsockname(fd, (void *)&a, &l) == 0)
			o->lport = ntohs(((struct sockaddr_in *)&a)->sin_port);
		l = sizeof(a);
		if (getpeername(fd, (void *)&a, &l) == 0)
			o->pport = ntohs(((struct sockaddr_in *)&a)->sin_port);
	}
	return nobj++;
}

/*
 * Make sure pool object @oi knows its ports: a socket added while its
 * connect was still in progress had no peer yet (getpeername failed, port
 * 0).  Returns 1 when both are known.
 */
static int obj_ports(int oi)
{
	struct obj *o = &objs[oi];
	struct sockaddr_storage a;
	socklen_t l = sizeof(a);

	if (!o->lport && getsockname(o->fd, (void *)&a, &l) == 0)
		o->lport = ntohs(((struct sockaddr_in *)&a)->sin_port);
	l = sizeof(a);
	if (!o->pport && getpeername(o->fd, (void *)&a, &l) == 0)
		o->pport = ntohs(((struct sockaddr_in *)&a)->sin_port);
	return o->lport && o->pport;
}

static void lo_up(void)
{
	struct ifreq ifr;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (s < 0)
		return;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "lo");
	if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0 && !(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		ioctl(s, SIOCSIFFLAGS, &ifr);
	}
	close(s);
}

static int listener(int family, int backlog, struct sockaddr_storage *ss, socklen_t *len)
{
	int one = 1, fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	memset(ss, 0, sizeof(*ss));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET) {
		struct sockaddr_in *a = (void *)ss;

		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		*len = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (void *)ss;

		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		*len = sizeof(*a);
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	}
	if (bind(fd, (void *)ss, *len) < 0 || listen(fd, backlog) < 0 ||
	    getsockname(fd, (void *)ss, len) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Connect a new socket (family/proto) to @to and accept it on @lfd. */
static int conn_pair(int lfd, int family, int proto, const void *to, socklen_t tolen,
		     int *c, int *a)
{
	*a = -1;
	*c = socket(family, SOCK_STREAM | SOCK_CLOEXEC, proto);
	if (*c < 0)
		return -1;
	if (connect(*c, to, tolen) < 0) {
		close(*c);
		*c = -1;
		return -1;
	}
	*a = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	if (*a < 0) {
		close(*c);
		*c = -1;
		return -1;
	}
	return 0;
}

static int wait_state(int fd, int st)
{
	for (int i = 0; i < 100; i++) {
		if (tcp_state(fd) == st)
			return 0;
		usleep(2000);
	}
	return -1;
}

/* ------------------------------------------------------------------ */
/* Descriptors from a child: another netns, another process              */
/* ------------------------------------------------------------------ */

static int send_fds(int sock, const int *fds, int n)
{
	char cbuf[CMSG_SPACE(sizeof(int) * 16)];
	struct msghdr m;
	struct cmsghdr *c;
	struct iovec iov;
	char b = (char)n;

	memset(&m, 0, sizeof(m));
	memset(cbuf, 0, sizeof(cbuf));
	iov.iov_base = &b;
	iov.iov_len = 1;
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	if (n > 0) {
		m.msg_control = cbuf;
		m.msg_controllen = CMSG_SPACE(sizeof(int) * (size_t)n);
		c = CMSG_FIRSTHDR(&m);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * (size_t)n);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * (size_t)n);
	}
	return sendmsg(sock, &m, 0) < 0 ? -1 : 0;
}

static int recv_fds(int sock, int *fds, int max)
{
	char cbuf[CMSG_SPACE(sizeof(int) * 16)];
	struct msghdr m;
	struct cmsghdr *c;
	struct iovec iov;
	char b;
	int n = 0;

	memset(&m, 0, sizeof(m));
	iov.iov_base = &b;
	iov.iov_len = 1;
	m.msg_iov = &iov;
	m.msg_iovlen = 1;
	m.msg_control = cbuf;
	m.msg_controllen = sizeof(cbuf);
	if (recvmsg(sock, &m, MSG_CMSG_CLOEXEC) <= 0)
		return -1;
	for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			n = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
			if (n > max)
				n = max;
			memcpy(fds, CMSG_DATA(c), sizeof(int) * (size_t)n);
		}
	}
	return n;
}

/*
 * The helper children.  The first stays in our namespace: request 'p': 3
 * TCP pairs (their descriptors passed back); at start it keeps 8
 * established sockets at descriptor numbers 700.. of its own table (numbers
 * not open in ours).  The second makes a network namespace of its own
 * (unshare(CLONE_NEWNET), else with a user namespace): request 'o': a
 * netlink socket and 3 TCP pairs made there.
 */
static void helper_main(int s, int other)
{
	int lfd, c, a, fds[16], n = 0;
	struct sockaddr_storage ss;
	socklen_t sl;
	char op;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (other) {
		if (unshare(CLONE_NEWNET) < 0 && unshare(CLONE_NEWUSER | CLONE_NEWNET) < 0)
			_exit(1);
		lo_up();
	} else {
		lfd = listener(AF_INET, 16, &ss, &sl);
		for (int i = 0; lfd >= 0 && i < 4; i++) {
			if (conn_pair(lfd, AF_INET, 0, &ss, sl, &c, &a) == 0) {
				dup2(a, 700 + n++);
				dup2(c, 700 + n++);
				close(a);
				close(c);
			}
		}
		if (lfd >= 0)
			close(lfd);
	}
	while (read(s, &op, 1) == 1) {
		n = 0;
		if (op == 'o') {
			fds[n] = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
			if (fds[n] >= 0)
				n++;
		}
		lfd = listener(AF_INET, 16, &ss, &sl);
		for (int i = 0; lfd >= 0 && i < 3; i++) {
			if (conn_pair(lfd, AF_INET, 0, &ss, sl, &c, &a) == 0) {
				fds[n++] = a;
				fds[n++] = c;
			}
		}
		if (lfd >= 0)
			close(lfd);
		send_fds(s, fds, n);
		for (int i = 0; i < n; i++)
			close(fds[i]);
	}
	_exit(0);
}

static pid_t helper_pid[2] = { -1, -1 };
static int helper_sock[2] = { -1, -1 };

static void helper_start(int other)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
		tsp_die(prog, "socketpair: %s", strerror(errno));
	helper_pid[other] = fork();
	if (helper_pid[other] < 0)
		tsp_die(prog, "fork: %s", strerror(errno));
	if (helper_pid[other] == 0) {
		close(sv[0]);
		helper_main(sv[1], other);
	}
	close(sv[1]);
	helper_sock[other] = sv[0];
}

static int helper_get(char op, int *fds, int max)
{
	int h = op == 'o';

	if (helper_sock[h] < 0 || write(helper_sock[h], &op, 1) != 1)
		return -1;
	return recv_fds(helper_sock[h], fds, max);
}

/* ------------------------------------------------------------------ */
/* Netlink, raw                                                          */
/* ------------------------------------------------------------------ */

static uint32_t nl_seq = 1000;

#define NLRES_IDS 2048
struct nlres {
	int answered;		/* a terminal message (error/ack or DONE) came */
	int err;		/* its errno (0: ack/done) */
	int nmsg;		/* data messages */
	char extack[128];
	/* sessions seen in data messages */
	int nids;
	int overflow;		/* sessions beyond NLRES_IDS, not recorded */
	uint64_t ids[NLRES_IDS];
	uint32_t uids[NLRES_IDS];
	uint16_t ports[NLRES_IDS][4];
	int active;		/* SESSIONS_ACTIVE of a STATS reply, -1 */
	uint64_t refused;	/* splice_refused of a STATS reply */
	uint64_t sid;		/* SESSION_ID of a SPLICE reply */
};

static void parse_attrs(const unsigned char *p, int len, struct nlres *r)
{
	uint64_t id = 0;
	uint32_t uid = UINT32_MAX;
	uint16_t pt[4] = { 0, 0, 0, 0 };
	int have_id = 0;

	while (len >= NLA_HDRLEN) {
		const struct nlattr *a = (const void *)p;
		int alen = a->nla_len, t = a->nla_type & NLA_TYPE_MASK;
		const unsigned char *v = p + NLA_HDRLEN;

		if (alen < NLA_HDRLEN || alen > len)
			break;
		if (t == TCP_SPLICE_A_SESSION_ID && alen >= NLA_HDRLEN + 8) {
			memcpy(&id, v, 8);
			have_id = 1;
		} else if (t == TCP_SPLICE_A_UID && alen >= NLA_HDRLEN + 4) {
			memcpy(&uid, v, 4);
		} else if (t == TCP_SPLICE_A_CLIENT_PORT && alen >= NLA_HDRLEN + 2) {
			memcpy(&pt[0], v, 2);
		} else if (t == TCP_SPLICE_A_PROXY_PORT_A && alen >= NLA_HDRLEN + 2) {
			memcpy(&pt[1], v, 2);
		} else if (t == TCP_SPLICE_A_PROXY_PORT_B && alen >= NLA_HDRLEN + 2) {
			memcpy(&pt[2], v, 2);
		} else if (t == TCP_SPLICE_A_SERVER_PORT && alen >= NLA_HDRLEN + 2) {
			memcpy(&pt[3], v, 2);
		} else if (t == TCP_SPLICE_A_SESSIONS_ACTIVE && alen >= NLA_HDRLEN + 4) {
			uint32_t x;

			memcpy(&x, v, 4);
			r->active = (int)x;
		} else if (t == TCP_SPLICE_A_STATS) {
			const unsigned char *q = v;
			int ql = alen - NLA_HDRLEN;

			while (ql >= NLA_HDRLEN + 8) {
				const struct nlattr *b = (const void *)q;

				if (b->nla_len < NLA_HDRLEN || b->nla_len > ql)
					break;
				if ((b->nla_type & NLA_TYPE_MASK) ==
				    TCP_SPLICE_STAT_SPLICE_REFUSED + 1)
					memcpy(&r->refused, q + NLA_HDRLEN, 8);
				ql -= NLA_ALIGN(b->nla_len);
				q += NLA_ALIGN(b->nla_len);
			}
		}
		len -= NLA_ALIGN(alen);
		p += NLA_ALIGN(alen);
	}
	if (have_id) {
		r->sid = id;
		if (uid != UINT32_MAX && r->nids < NLRES_IDS) {
			r->ids[r->nids] = id;
			r->uids[r->nids] = uid;
			memcpy(r->ports[r->nids], pt, sizeof(pt));
			r->nids++;
		} else if (uid != UINT32_MAX) {
			r->overflow++;
		}
	}
}

static void nl_extack(const struct nlmsghdr *h, struct nlres *r)
{
	const struct nlmsgerr *e = NLMSG_DATA(h);
	int off = (int)sizeof(*e), len;
	const unsigned char *p;

	if (!(h->nlmsg_flags & NLM_F_CAPPED))
		off += (int)e->msg.nlmsg_len - NLMSG_HDRLEN;
	len = (int)h->nlmsg_len - NLMSG_HDRLEN - off;
	if (!(h->nlmsg_flags & NLM_F_ACK_TLVS) || len <= 0)
		return;
	p = (const unsigned char *)e + off;
	while (len >= NLA_HDRLEN) {
		const struct nlattr *a = (const void *)p;

		if (a->nla_len < NLA_HDRLEN || a->nla_len > len)
			break;
		if (a->nla_type == NLMSGERR_ATTR_MSG)
			snprintf(r->extack, sizeof(r->extack), "%.*s",
				 a->nla_len - NLA_HDRLEN, (const char *)(p + NLA_HDRLEN));
		len -= NLA_ALIGN(a->nla_len);
		p += NLA_ALIGN(a->nla_len);
	}
}

/*
 * Send @len bytes and collect what answers sequence number @seq.  The
 * kernel handles a netlink request inside sendmsg() (and a dump inside
 * recvmsg()), so a request that got no answer by the time the queue is
 * empty got none at all.
 */
static int nl_xchg(int s, const void *buf, size_t len, uint32_t seq, struct nlres *r)
{
	static unsigned char rb[65536];
	struct sockaddr_nl to = { .nl_family = AF_NETLINK };
	int idle = 0;

	memset(r, 0, sizeof(*r));
	r->active = -1;
	if (sendto(s, buf, len, 0, (void *)&to, sizeof(to)) < 0)
		return -errno;
	while (!r->answered) {
		ssize_t n = recv(s, rb, sizeof(rb), MSG_DONTWAIT);
		const struct nlmsghdr *h;
		int left;

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return -errno;
			/* nothing queued: one short wait, then no answer */
			if (idle++)
				break;
			poll(&(struct pollfd){ .fd = s, .events = POLLIN }, 1, 20);
			continue;
		}
		idle = 0;
		left = (int)n;
		for (h = (const void *)rb; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
			if (h->nlmsg_seq != seq)
				continue;	/* a stale answer */
			if (h->nlmsg_type == NLMSG_ERROR) {
				const struct nlmsgerr *e = NLMSG_DATA(h);

				r->answered = 1;
				r->err = -e->error;
				nl_extack(h, r);
			} else if (h->nlmsg_type == NLMSG_DONE) {
				r->answered = 1;
				if (h->nlmsg_len >= NLMSG_LENGTH(sizeof(int))) {
					int e;

					memcpy(&e, NLMSG_DATA(h), sizeof(e));
					r->err = -e;
				}
			} else {
				r->nmsg++;
				if (h->nlmsg_len >= NLMSG_LENGTH(GENL_HDRLEN))
					parse_attrs((const unsigned char *)NLMSG_DATA(h) + GENL_HDRLEN,
						    (int)h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN), r);
			}
		}
	}
	return 0;
}

struct nlb {
	unsigned char b[8192];
	size_t len;
};

static void nlb_init(struct nlb *q, uint16_t type, uint8_t cmd, uint16_t flags, uint32_t seq)
{
	struct nlmsghdr *n = (void *)q->b;
	struct genlmsghdr *g = (void *)(q->b + NLMSG_HDRLEN);

	memset(q->b, 0, NLMSG_HDRLEN + GENL_HDRLEN + 64);
	n->nlmsg_type = type;
	n->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	n->nlmsg_seq = seq;
	g->cmd = cmd;
	g->version = TCP_SPLICE_GENL_VERSION;
	q->len = NLMSG_HDRLEN + GENL_HDRLEN;
}

static void nlb_attr_raw(struct nlb *q, uint16_t t, const void *p, size_t plen, size_t claimed)
{
	struct nlattr *a = (void *)(q->b + q->len);

	if (q->len + NLA_HDRLEN + plen + 8 > sizeof(q->b))
		return;
	a->nla_type = t;
	a->nla_len = (uint16_t)claimed;
	if (plen)
		memcpy(q->b + q->len + NLA_HDRLEN, p, plen);
	memset(q->b + q->len + NLA_HDRLEN + plen, 0, NLA_ALIGN(plen) - plen);
	q->len += NLA_ALIGN(NLA_HDRLEN + plen);
}

static void nlb_attr(struct nlb *q, uint16_t t, const void *p, size_t plen)
{
	nlb_attr_raw(q, t, p, plen, NLA_HDRLEN + plen);
}

static void nlb_u32(struct nlb *q, uint16_t t, uint32_t v) { nlb_attr(q, t, &v, 4); }
static void nlb_u64(struct nlb *q, uint16_t t, uint64_t v) { nlb_attr(q, t, &v, 8); }

static void nlb_end(struct nlb *q)
{
	((struct nlmsghdr *)q->b)->nlmsg_len = (uint32_t)q->len;
}

/* Resolve the family id over netlink socket @s. */
static int resolve_family(int s)
{
	struct nlb q;
	struct nlmsghdr *n;
	struct genlmsghdr *g;
	static unsigned char rb[8192];
	struct sockaddr_nl to = { .nl_family = AF_NETLINK };
	ssize_t len;
	int left;
	const struct nlmsghdr *h;

	memset(&q, 0, sizeof(q));
	n = (void *)q.b;
	g = (void *)(q.b + NLMSG_HDRLEN);
	n->nlmsg_type = GENL_ID_CTRL;
	n->nlmsg_flags = NLM_F_REQUEST;
	n->nlmsg_seq = 1;
	g->cmd = CTRL_CMD_GETFAMILY;
	g->version = 1;
	q.len = NLMSG_HDRLEN + GENL_HDRLEN;
	nlb_attr(&q, CTRL_ATTR_FAMILY_NAME, TCP_SPLICE_GENL_NAME, sizeof(TCP_SPLICE_GENL_NAME));
	nlb_end(&q);
	if (sendto(s, q.b, q.len, 0, (void *)&to, sizeof(to)) < 0)
		return -1;
	len = recv(s, rb, sizeof(rb), 0);
	if (len < 0)
		return -1;
	left = (int)len;
	for (h = (const void *)rb; NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
		const unsigned char *p;
		int al;

		if (h->nlmsg_type != GENL_ID_CTRL)
			continue;
		p = (const unsigned char *)NLMSG_DATA(h) + GENL_HDRLEN;
		al = (int)h->nlmsg_len - NLMSG_LENGTH(GENL_HDRLEN);
		while (al >= NLA_HDRLEN) {
			const struct nlattr *a = (const void *)p;

			if (a->nla_len < NLA_HDRLEN || a->nla_len > al)
				break;
			if (a->nla_type == CTRL_ATTR_FAMILY_ID) {
				uint16_t id;

				memcpy(&id, p + NLA_HDRLEN, 2);
				return id;
			}
			al -= NLA_ALIGN(a->nla_len);
			p += NLA_ALIGN(a->nla_len);
		}
	}
	return -1;
}

static int nl_setup(int s, int *fam)
{
	int one = 1;
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	int rcv = 1 << 20;

	if (s < 0)
		return -1;
	if (bind(s, (void *)&sa, sizeof(sa)) < 0)
		return -1;
	setsockopt(s, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(s, SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	setsockopt(s, SOL_SOCKET, SO_RCVBUF, &rcv, sizeof(rcv));
	*fam = resolve_family(s);
	return *fam < 0 ? -1 : 0;
}

/* ------------------------------------------------------------------ */
/* The oracle                                                            */
/* ------------------------------------------------------------------ */

/* The errno tsp_check_spliced()+tsp_check_sock() give for the socket @fd
 * (pool object @oi or -1), 0 if it may be spliced.  *alt: a second
 * acceptable errno where the state may change under us.
 */
/* A session not yet known to be gone holds the 4-tuple of the socket
 * (lport, pport) in netns @ns: EBUSY for a new socket that reuses it. */
static int tuple_held(uint16_t lport, uint16_t pport, int ns)
{
	for (int si = 0; si < nsess; si++) {
		const struct sess *s = &sess[si];

		if (s->st == S_GONE || s->ns != ns)
			continue;
		if ((lport == s->paport && pport == s->cport) ||
		    (lport == s->pbport && pport == s->sport))
			return 1;
	}
	return 0;
}

static int sock_errno_plain(int fd, const struct obj *o)
{
	int dom = -1, type = -1, proto = -1, st;
	socklen_t l = sizeof(int);
	char ulp[16];

	getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &dom, &l);
	l = sizeof(int);
	getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &l);
	l = sizeof(int);
	getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &proto, &l);
	if (dom != AF_INET && dom != AF_INET6)
		return EAFNOSUPPORT;
	if (type != SOCK_STREAM || proto != IPPROTO_TCP)
		return EPROTONOSUPPORT;
	l = sizeof(ulp);
	memset(ulp, 0, sizeof(ulp));
	if (getsockopt(fd, IPPROTO_TCP, TCP_ULP, ulp, &l) == 0 && ulp[0])
		return EPROTONOSUPPORT;
	/* what the socket is, before its state (which may change under us) */
	if (o && o->kind == K_REPAIR)
		return EBUSY;
	if (o && o->kind == K_MD5)
		return ENOPROTOOPT;
	st = tcp_state(fd);
	if (st == TS_LISTEN)
		return EOPNOTSUPP;
	if (st == TS_CLOSE_WAIT && !(o && o->shut_wr))
		return 0;
	if (st != TS_ESTABLISHED || (o && (o->shut_rd || o->shut_wr)))
		return ENOTCONN;
	return 0;
}

/* The errno tsp_check_spliced()+tsp_check_sock() give for the socket @fd
 * (pool object @oi or -1), 0 if it may be spliced.  *alt: a second
 * acceptable errno where the state may change under us (0: success).
 */
static int sock_errno(int fd, int oi, int *alt)
{
	const struct obj *o = oi >= 0 ? &objs[oi] : NULL;

	*alt = -1;
	if (o && o->sess >= 0 && sess[o->sess].st == S_LIVE)
		return EBUSY;
	if (o && (o->sess >= 0 || o->was_spliced)) {
		/* ended or maybe ended: out of the table, shut down */
		*alt = EBUSY;
		return ENOTCONN;
	}
	if (o && o->lport && tuple_held(o->lport, o->pport, o->ns)) {
		/* a new connection reusing the 4-tuple of a session that may
		 * still linger in the table */
		*alt = sock_errno_plain(fd, o);
		return EBUSY;
	}
	return sock_errno_plain(fd, o);
}

/* Does the socket carry IPv6 on the wire (AF_INET6, peer not v4-mapped)? */
static int wire_v6(int fd)
{
	struct sockaddr_in6 a;
	socklen_t l = sizeof(a);

	memset(&a, 0, sizeof(a));
	if (getpeername(fd, (void *)&a, &l) < 0 || a.sin6_family != AF_INET6)
		return 0;
	return !IN6_IS_ADDR_V4MAPPED(&a.sin6_addr);
}

/* The pool object of fd number @fd, or -1. */
static int lookup_fd(int fd)
{
	for (int i = 0; i < nobj; i++)
		if (objs[i].fd == fd && objs[i].kind != K_CLOSED)
			return i;
	return -1;
}

/*
 * After a wrong answer for @fd: what the model knows of its socket, its
 * connection's other end and its session, and whether the kernel still
 * lists that session (a session that ended where the model did not expect
 * it, or one the kernel lost).
 */
static void diag_fd(int fd)
{
	int oi = fd >= 0 ? lookup_fd(fd) : -1;
	const struct obj *o, *p;
	const struct sess *ss;
	struct nlres r;
	struct nlb q;
	uint32_t seq;

	if (oi < 0) {
		printf("diag: fd %d: not in the pool\n", fd);
		return;
	}
	o = &objs[oi];
	p = o->peer >= 0 ? &objs[o->peer] : NULL;
	printf("diag: fd %d: %s made at #%llu, state %d, ports %u->%u, shut %d/%d; other end %s%s (fd %d, state %d)\n",
	       fd, kind_names[o->kind], (unsigned long long)o->made, tcp_state(fd), o->lport,
	       o->pport, o->shut_rd, o->shut_wr, p ? "" : "not in the pool", p ? kind_names[p->kind] : "",
	       p ? p->fd : -1, p ? tcp_state(p->fd) : -1);
	if (o->sess < 0)
		return;
	ss = &sess[o->sess];
	memset(&r, 0, sizeof(r));
	if (nl[ss->ns] >= 0) {
		seq = ++nl_seq;
		nlb_init(&q, (uint16_t)famid[ss->ns], TCP_SPLICE_CMD_GET, 0, seq);
		nlb_u64(&q, TCP_SPLICE_A_SESSION_ID, ss->id);
		nlb_end(&q);
		nl_xchg(nl[ss->ns], q.b, q.len, seq, &r);
	}
	printf("diag: fd %d: session %llu (model %s, weak %d, loop %d) made at #%llu by %s, %lld ms ago; the kernel's GET: %s\n",
	       fd, (unsigned long long)ss->id, ss->st == S_LIVE ? "live" : ss->st == S_MAYBE ? "maybe" : "gone",
	       ss->weak, ss->loop, (unsigned long long)ss->made, ss->how,
	       (long long)(tsp_now_ms() - ss->made_ms),
	       !r.answered ? "no answer" : r.err ? tsp_errname(r.err) : "listed");
}

/*
 * The errno tsp_splice_net() must return for (fc, fs) with valid flags,
 * @want: the netns cookie of the netlink socket (0: ioctl).  0: must
 * succeed.  *alt: another acceptable one (-1 none).
 */
static int predict(int fc, int fs, uint64_t want, int *alt)
{
	int fd[2] = { fc, fs }, oi[2], e, a, i, maybe_busy = 0;
	struct stat st[2];

	*alt = -1;
	if (fc < 0 || fs < 0)
		return EBADF;
	for (i = 0; i < 2; i++) {
		int fl = fcntl(fd[i], F_GETFL);

		if (fl < 0 || (fl & O_PATH))
			return EBADF;	/* not open; O_PATH: fget() ignores it */
		if (fstat(fd[i], &st[i]) < 0)
			return EBADF;
		if (!S_ISSOCK(st[i].st_mode))
			return ENOTSOCK;
		oi[i] = lookup_fd(fd[i]);
	}
	if (st[0].st_ino == st[1].st_ino && st[0].st_dev == st[1].st_dev)
		return ELOOP;
	for (i = 0; i < 2; i++) {
		e = sock_errno(fd[i], oi[i], &a);
		if (e == EBUSY && a == 0) {
			maybe_busy = 1;	/* EBUSY, or go on */
			continue;
		}
		if (e) {
			*alt = maybe_busy ? EBUSY : a;
			return e;
		}
	}
	if (maybe_busy)
		*alt = EBUSY;
	/* both IPv4 (v4-mapped counts as IPv4) or both IPv6 */
	if (wire_v6(fc) != wire_v6(fs))
		return EAFNOSUPPORT;
	if (netns_cookie(fc) != netns_cookie(fs) || (want && netns_cookie(fc) != want))
		return EXDEV;
	/* both peers finished: refused at the cut */
	if (tcp_state(fc) == TS_CLOSE_WAIT && tcp_state(fs) == TS_CLOSE_WAIT)
		return ENOTCONN;
	return 0;
}

/* Every errno the ABI documents for the splice request. */
static int documented(int e)
{
	switch (e) {
	case EFAULT: case EINVAL: case E2BIG: case EBADF: case ENOTSOCK: case ELOOP:
	case EAFNOSUPPORT: case EPROTONOSUPPORT: case EOPNOTSUPP: case ENOTCONN:
	case EBUSY: case ENOPROTOOPT: case EXDEV: case ENOMEM: case ENOSPC:
	case ECONNRESET: case EPIPE: case EAGAIN: case EINTR:
		return 1;
	}
	return 0;
}

static void count_err(int e)
{
	if (e >= 0 && e < 160)
		errcount[e]++;
}

/* ------------------------------------------------------------------ */
/* Sessions                                                              */
/* ------------------------------------------------------------------ */

static int find_sess(uint64_t id)
{
	for (int i = nsess - 1; i >= 0; i--)
		if (sess[i].id == id)
			return i;
	return -1;
}

static int obj_eligible_model(int i)
{
	const struct obj *o = &objs[i];
	int st;

	if (o->elig >= 0)
		return o->elig;	/* snapshot from before the request */

	if (o->sess >= 0 || o->was_spliced || o->shut_rd || o->shut_wr)
		return 0;
	if (!(o->kind == K_TCP || o->kind == K_OTHERNS || o->kind == K_PASSED ||
	      o->kind == K_TCP6 || o->kind == K_TCP6_MAPPED))
		return 0;
	st = tcp_state(o->fd);
	return st == TS_ESTABLISHED || st == TS_CLOSE_WAIT;
}

/* Snapshot (all) or forget (-1) who may be spliced before a request whose
 * descriptors we do not know. */
static void snap_elig(int on)
{
	for (int i = 0; i < nobj; i++)
		objs[i].elig = -1;
	if (on)
		for (int i = 0; i < nobj; i++)
			objs[i].elig = objs[i].kind == K_CLOSED ? 0 : obj_eligible_model(i),
			objs[i].cw = objs[i].kind != K_CLOSED && tcp_state(objs[i].fd) == TS_CLOSE_WAIT;
}

static int obj_by_ports(uint16_t lport, uint16_t pport, int ns)
{
	for (int i = 0; i < nobj; i++)
		if (objs[i].kind != K_CLOSED && objs[i].ns == ns && objs[i].lport == lport &&
		    objs[i].pport == pport && objs[i].lport)
			return i;
	return -1;
}

/* The session holding the socket with inode @ino (any of its numbers). */
static int sess_of_ino(ino_t ino)
{
	for (int j = 0; j < nobj; j++)
		if (objs[j].kind != K_CLOSED && objs[j].ino == ino && objs[j].sess >= 0)
			return objs[j].sess;
	return -1;
}

/* A session may have ended (its sockets or their peers were touched). */
static void sess_maybe(int si)
{
	/* once touched, it may be ending (slowly): never sure again */
	if (si >= 0) {
		sess[si].weak = 1;
		if (sess[si].st == S_LIVE)
			sess[si].st = S_MAYBE;
	}
}

/* A splice succeeded with id @id over netns @ns (netlink) or -1 (ioctl,
 * the fds' own).  @fc/@fs: the fds asked for, or -1 if unknown (mutated
 * netlink request: identify the sockets by the session's ports). */
static void splice_done(uint64_t id, int fc, int fs, int ns, const char *how)
{
	struct sess *s;
	struct nlres r;
	struct nlb q;
	int oi[2] = { -1, -1 }, k, seqns;
	uint32_t seq;

	n_ok++;
	if (!id) {
		FAILF("%s: splice succeeded with session id 0", how);
		return;
	}
	if (find_sess(id) >= 0) {
		FAILF("%s: session id %llu returned twice", how, (unsigned long long)id);
		return;
	}
	if (fc >= 0) {
		oi[0] = lookup_fd(fc);
		oi[1] = lookup_fd(fs);
	}
	seqns = ns >= 0 ? ns : (oi[0] >= 0 ? objs[oi[0]].ns : 0);
	/* the session as the kernel shows it */
	if (seqns == 1 && nl[1] < 0) {
		r.nids = 0;
	} else {
		seq = ++nl_seq;
		nlb_init(&q, (uint16_t)famid[seqns], TCP_SPLICE_CMD_GET, 0, seq);
		nlb_u64(&q, TCP_SPLICE_A_SESSION_ID, id);
		nlb_end(&q);
		nl_xchg(nl[seqns], q.b, q.len, seq, &r);
		if (!r.answered || r.err || r.nids != 1 || r.ids[0] != id) {
			FAILF("%s: new session %llu: GET answered=%d err=%s sessions=%d", how,
			      (unsigned long long)id, r.answered, tsp_errname(r.err), r.nids);
			return;
		}
		if ((int)r.uids[0] != myuid)
			FAILF("%s: session %llu has uid %u, we are %d", how,
			      (unsigned long long)id, r.uids[0], myuid);
		if (fc < 0) {
			oi[0] = obj_by_ports(r.ports[0][1], r.ports[0][0], seqns);
			oi[1] = obj_by_ports(r.ports[0][2], r.ports[0][3], seqns);
		} else if (oi[0] >= 0 && oi[1] >= 0 && obj_ports(oi[0]) && obj_ports(oi[1]) &&
			   (objs[oi[0]].pport != r.ports[0][0] || objs[oi[0]].lport != r.ports[0][1] ||
			    objs[oi[1]].lport != r.ports[0][2] || objs[oi[1]].pport != r.ports[0][3])) {
			FAILF("%s: session %llu joins ports %u-%u / %u-%u, asked for %u-%u / %u-%u",
			      how, (unsigned long long)id, r.ports[0][0], r.ports[0][1],
			      r.ports[0][2], r.ports[0][3], objs[oi[0]].pport, objs[oi[0]].lport,
			      objs[oi[1]].lport, objs[oi[1]].pport);
		}
	}
	for (k = 0; k < 2; k++) {
		if (oi[k] < 0) {
			FAILF("%s: session %llu joins a socket that is not ours", how,
			      (unsigned long long)id);
			return;
		}
		if (fc < 0 && !obj_eligible_model(oi[k]))
			FAILF("%s: session %llu spliced %s fd %d (%s, state %d, shut %d/%d, spliced %d)",
			      how, (unsigned long long)id, k ? "server" : "client", objs[oi[k]].fd,
			      kind_names[objs[oi[k]].kind], tcp_state(objs[oi[k]].fd),
			      objs[oi[k]].shut_rd, objs[oi[k]].shut_wr,
			      objs[oi[k]].sess >= 0 || objs[oi[k]].was_spliced);
	}
	if (nsess >= MAXSESS)
		return;
	s = &sess[nsess];
	s->id = id;
	s->ns = seqns;
	s->st = S_LIVE;
	s->o[0] = oi[0];
	s->o[1] = oi[1];
	s->weak = 0;
	s->loop = 0;
	s->made = req_no;
	s->made_ms = tsp_now_ms();
	s->how = how;
	s->cport = objs[oi[0]].pport;
	s->paport = objs[oi[0]].lport;
	s->pbport = objs[oi[1]].lport;
	s->sport = objs[oi[1]].pport;
	/* A connection spliced at both ends (a loop over loopback, or chained
	 * sessions): either session may end when the other moves data. */
	for (k = 0; k < 2; k++) {
		int pe = objs[oi[k]].peer, ps = pe >= 0 ? sess_of_ino(objs[pe].ino) : -1;

		if (pe >= 0 && (objs[pe].ino == objs[oi[!k]].ino || ps >= 0)) {
			s->weak = s->loop = 1;
			/* the older session may now end on its own too: no
			 * longer one whose end only we can cause (make
			 * soak-debug's 8th run flushed such a "live" one and
			 * found it gone, seed 79724485) */
			if (ps >= 0) {
				sess_maybe(ps);
				sess[ps].loop = 1;
			}
		}
	}
	/* A peer had finished: the session is closing from the start and
	 * ends with the closing timeouts. */
	if (fc >= 0 ? pre_cw : (objs[oi[0]].cw || objs[oi[1]].cw))
		s->weak = 1;
	if (s->weak)
		s->st = S_MAYBE;
	/* every number of the two sockets (dup()s) */
	for (int j = 0; j < nobj; j++) {
		if (objs[j].kind == K_CLOSED)
			continue;
		for (k = 0; k < 2; k++) {
			if (objs[j].ino == objs[oi[k]].ino) {
				objs[j].sess = nsess;
				objs[j].was_spliced = 1;
			}
		}
	}
	nsess++;
	TRACE("  -> session %llu (fds %d,%d ns %d)\n", (unsigned long long)id, objs[oi[0]].fd,
	      objs[oi[1]].fd, seqns);
}

static void obj_touched(int i)
{
	if (i < 0)
		return;
	sess_maybe(objs[i].sess);
	if (objs[i].peer >= 0)
		sess_maybe(sess_of_ino(objs[objs[i].peer].ino));
	/* a listener: closing it resets the connections waiting in its
	 * accept queue, whose other ends we may have spliced */
	for (int j = 0; j < nobj; j++)
		if (objs[j].queued_at == i && objs[j].kind != K_CLOSED)
			sess_maybe(sess_of_ino(objs[j].ino));
}

/* Compare the dump (our uid) of netns @ns with the model. */
static void check_sessions(int ns, const char *when)
{
	struct nlres r;
	struct nlb q;
	uint32_t seq;
	static char seen[MAXSESS];

	if (nl[ns] < 0)
		return;
	n_checks++;
	seq = ++nl_seq;
	nlb_init(&q, (uint16_t)famid[ns], TCP_SPLICE_CMD_GET, NLM_F_DUMP, seq);
	nlb_end(&q);
	nl_xchg(nl[ns], q.b, q.len, seq, &r);
	if (!r.answered || r.err) {
		FAILF("%s: dump answered=%d err=%s", when, r.answered, tsp_errname(r.err));
		return;
	}
	memset(seen, 0, (size_t)nsess);
	for (int k = 0; k < r.nids; k++) {
		int si;

		if ((int)r.uids[k] != myuid) {
			if (!nl_admin[ns])
				FAILF("%s: an unprivileged dump shows session %llu of uid %u",
				      when, (unsigned long long)r.ids[k], r.uids[k]);
			continue;
		}
		si = find_sess(r.ids[k]);
		if (si < 0) {
			if (opt_exclusive)
				FAILF("%s: session %llu (our uid) is not one we created", when,
				      (unsigned long long)r.ids[k]);
			continue;
		}
		seen[si] = 1;
		if (sess[si].ns != ns)
			FAILF("%s: session %llu listed in the wrong netns", when,
			      (unsigned long long)r.ids[k]);
		if (sess[si].st == S_GONE)
			FAILF("%s: session %llu still listed after it was flushed", when,
			      (unsigned long long)r.ids[k]);
	}
	/* A dump of more sessions than recorded: the missing ones are not
	 * known to be gone (the soak's nobody chunks once listed over 512
	 * sessions, and the newest looked vanished).
	 */
	if (r.overflow) {
		n_overflow++;
		return;
	}
	for (int si = 0; si < nsess; si++) {
		if (sess[si].ns != ns)
			continue;
		if (sess[si].st == S_LIVE && !seen[si]) {
			const struct obj *a = &objs[sess[si].o[0]], *b = &objs[sess[si].o[1]];
			struct nlres r2;
			int again = 0;

			/* diagnosis: a transient miss of the dump, or gone? */
			seq = ++nl_seq;
			nlb_init(&q, (uint16_t)famid[ns], TCP_SPLICE_CMD_GET, NLM_F_DUMP, seq);
			nlb_end(&q);
			nl_xchg(nl[ns], q.b, q.len, seq, &r2);
			for (int k = 0; k < r2.nids; k++)
				again |= r2.ids[k] == sess[si].id;
			fprintf(stderr, "diag: first dump answered=%d err=%d msgs=%d ids=%d (first %llu last %llu); "
				"a second dump: msgs=%d ids=%d, session %llu %s\n",
				r.answered, r.err, r.nmsg, r.nids,
				r.nids ? (unsigned long long)r.ids[0] : 0ULL,
				r.nids ? (unsigned long long)r.ids[r.nids - 1] : 0ULL,
				r2.nmsg, r2.nids, (unsigned long long)sess[si].id,
				again ? "listed again" : "still missing");

			FAILF("%s: session %llu vanished (nobody ended it): made at #%llu %s, "
			      "fds %d (%s, state %d, peer %s state %d) and %d (%s, state %d, "
			      "peer %s state %d)", when, (unsigned long long)sess[si].id,
			      (unsigned long long)sess[si].made, sess[si].how,
			      a->fd, kind_names[a->kind], tcp_state(a->fd),
			      a->peer >= 0 ? kind_names[objs[a->peer].kind] : "-",
			      a->peer >= 0 ? tcp_state(objs[a->peer].fd) : -1,
			      b->fd, kind_names[b->kind], tcp_state(b->fd),
			      b->peer >= 0 ? kind_names[objs[b->peer].kind] : "-",
			      b->peer >= 0 ? tcp_state(objs[b->peer].fd) : -1);
		}
		if (!seen[si] && sess[si].st != S_GONE) {
			sess[si].st = S_GONE;
			for (int k = 0; k < 2; k++)
				if (sess[si].o[k] >= 0 && objs[sess[si].o[k]].sess == si)
					objs[sess[si].o[k]].sess = -1;
		}
		if (seen[si] && sess[si].st == S_MAYBE && !sess[si].weak)
			sess[si].st = S_LIVE;
	}
}

static uint64_t stats_refused(int ns, int *active)
{
	struct nlres r;
	struct nlb q;
	uint32_t seq = ++nl_seq;

	*active = -1;
	if (nl[ns] < 0)
		return 0;
	nlb_init(&q, (uint16_t)famid[ns], TCP_SPLICE_CMD_STATS, 0, seq);
	nlb_end(&q);
	nl_xchg(nl[ns], q.b, q.len, seq, &r);
	if (!r.answered || r.err) {
		FAILF("STATS answered=%d err=%s", r.answered, tsp_errname(r.err));
		return 0;
	}
	*active = r.active;
	return r.refused;
}

/* ------------------------------------------------------------------ */
/* Building a generation of descriptors                                  */
/* ------------------------------------------------------------------ */

static int listen_v4 = -1, listen_md5 = -1;
static struct sockaddr_storage l4a, lma;
static socklen_t l4l, lml;

static void close_objs(void)
{
	for (int i = 0; i < nobj; i++) {
		if (objs[i].kind == K_CLOSED)
			continue;
		/* RST or FIN to the peers, at random */
		if (CHANCE(3)) {
			struct linger lg = { 1, 0 };

			setsockopt(objs[i].fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		}
		close(objs[i].fd);
		obj_touched(i);
	}
	nobj = 0;
}

static void tcp_pairs(int n)
{
	for (int i = 0; i < n; i++) {
		int c, a, ic, ia;

		if (conn_pair(listen_v4, AF_INET, 0, &l4a, l4l, &c, &a) < 0)
			tsp_die(prog, "TCP connection on 127.0.0.1: %s", strerror(errno));
		ia = add_obj(a, K_TCP, 0);
		ic = add_obj(c, K_TCP, 0);
		if (ia >= 0 && ic >= 0) {
			objs[ia].peer = ic;
			objs[ic].peer = ia;
		}
		/* unread bytes for a drained splice to move */
		if (CHANCE(3)) {
			char b[512];

			memset(b, 'x', sizeof(b));
			if (write(c, b, 1 + RN(sizeof(b))) < 0) {
				/* best effort */
			}
		}
	}
}

static void build_gen(void)
{
	int c, a, fds[16], n, p[2], i;
	struct sockaddr_storage ss;
	socklen_t sl;

	n_gens++;
	tcp_pairs(12 + (int)RN(12));
	/* states: CLOSE_WAIT/FIN_WAIT, reset, our shutdowns */
	for (i = 0; i < 3; i++) {
		if (conn_pair(listen_v4, AF_INET, 0, &l4a, l4l, &c, &a) == 0) {
			int ia = add_obj(a, K_TCP, 0), ic = add_obj(c, K_TCP, 0);

			shutdown(c, SHUT_WR);
			if (ic >= 0)
				objs[ic].shut_wr = 1;
			wait_state(a, TS_CLOSE_WAIT);
			if (i == 1 && ia >= 0) {	/* LAST_ACK and beyond */
				shutdown(a, SHUT_WR);
				objs[ia].shut_wr = 1;
			}
			if (ia >= 0 && ic >= 0) {
				objs[ia].peer = ic;
				objs[ic].peer = ia;
			}
		}
	}
	if (conn_pair(listen_v4, AF_INET, 0, &l4a, l4l, &c, &a) == 0) {
		struct linger lg = { 1, 0 };

		setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(c);
		wait_state(a, TS_CLOSE);
		add_obj(a, K_TCP, 0);
	}
	if (conn_pair(listen_v4, AF_INET, 0, &l4a, l4l, &c, &a) == 0) {
		int ia = add_obj(a, K_TCP, 0), ic = add_obj(c, K_TCP, 0);

		shutdown(a, SHUT_RD);
		if (ia >= 0)
			objs[ia].shut_rd = 1;
		if (ia >= 0 && ic >= 0) {
			objs[ia].peer = ic;
			objs[ic].peer = ia;
		}
	}
	/* listening, unconnected, bound, SYN_SENT */
	add_obj(listener(AF_INET, 4, &ss, &sl), K_TS_LISTEN, 0);
	add_obj(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), K_TCP_UNCONN, 0);
	{
		int lz = listener(AF_INET, 0, &ss, &sl), c1, c2;

		if (lz >= 0) {
			struct pollfd pz = { .fd = lz, .events = POLLIN };
			int i1, i2, il;

			c1 = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
			c2 = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
			connect(c1, (void *)&ss, sl);
			/* c1's other end in the (full) accept queue before c2's
			 * SYN: c2's is then dropped.  A fixed pause was too
			 * short under a debug kernel: c2's SYN came while c1's
			 * handshake was still on, got a SYN cookie, and c2 went
			 * ESTABLISHED with nothing at the other end.
			 */
			if (poll(&pz, 1, 5000) != 1) {
				close(c1);
				close(c2);
				close(lz);
			} else {
				connect(c2, (void *)&ss, sl);
				i1 = add_obj(c1, K_TCP, 0);	/* established, never accepted */
				i2 = add_obj(c2, K_TCP_SYNSENT, 0);
				il = add_obj(lz, K_TS_LISTEN, 0);
				if (i1 >= 0)
					objs[i1].queued_at = il;
				if (i2 >= 0)
					objs[i2].queued_at = il;
			}
		}
	}
	/* other families and types */
	{
		int l6 = listener(AF_INET6, 4, &ss, &sl);

		for (int k = 0; l6 >= 0 && k < 4; k++) {
			if (conn_pair(l6, AF_INET6, 0, &ss, sl, &c, &a) == 0) {
				int ic = add_obj(c, K_TCP6, 0), ia = add_obj(a, K_TCP6, 0);

				if (ia >= 0 && ic >= 0) {
					objs[ia].peer = ic;
					objs[ic].peer = ia;
				}
			}
		}
		if (l6 >= 0)
			close(l6);
	}
	{
		struct sockaddr_in6 m;
		struct sockaddr_in *l4 = (void *)&l4a;

		memset(&m, 0, sizeof(m));
		m.sin6_family = AF_INET6;
		m.sin6_port = l4->sin_port;
		m.sin6_addr.s6_addr[10] = 0xff;
		m.sin6_addr.s6_addr[11] = 0xff;
		memcpy(&m.sin6_addr.s6_addr[12], &l4->sin_addr, 4);
		for (int k = 0; k < 2; k++)
		if (conn_pair(listen_v4, AF_INET6, 0, &m, sizeof(m), &c, &a) == 0) {
			int ia, ic = add_obj(c, K_TCP6_MAPPED, 0);

			ia = add_obj(a, K_TCP, 0);	/* the accepted end is IPv4 */
			if (ia >= 0 && ic >= 0) {
				objs[ia].peer = ic;
				objs[ic].peer = ia;
			}
		}
	}
	c = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (c >= 0)
		connect(c, (void *)&l4a, l4l);
	add_obj(c, K_UDP, 0);
	add_obj(socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0), K_UDP6, 0);
	add_obj(socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_TCP), K_RAW, 0);
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, p) == 0) {
		add_obj(p[0], K_UNIX, 0);
		add_obj(p[1], K_UNIX, 0);
	}
	add_obj(socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0), K_UNIX_DGRAM, 0);
	add_obj(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE), K_NETLINK, 0);
	add_obj(socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, 0), K_PACKET, 0);
	if (conn_pair(listen_v4, AF_INET, IPPROTO_MPTCP, &l4a, l4l, &c, &a) == 0) {
		add_obj(c, K_MPTCP, 0);
		add_obj(a, K_TCP, 0);	/* fell back to plain TCP: a normal socket */
	}
	if (conn_pair(listen_v4, AF_INET, 0, &l4a, l4l, &c, &a) == 0) {
		if (setsockopt(c, IPPROTO_TCP, TCP_ULP, "tls", sizeof("tls")) == 0) {
			add_obj(c, K_KTLS, 0);
			add_obj(a, K_TCP, 0);
		} else {
			int ia = add_obj(a, K_TCP, 0), ic = add_obj(c, K_TCP, 0);

			if (ia >= 0 && ic >= 0) {
				objs[ia].peer = ic;
				objs[ic].peer = ia;
			}
		}
	}
	if (listen_md5 >= 0) {
		c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		{
			struct tcp_md5sig md5;
			struct sockaddr_in *sin = (void *)&md5.tcpm_addr;

			memset(&md5, 0, sizeof(md5));
			sin->sin_family = AF_INET;
			sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
			md5.tcpm_keylen = 8;
			memcpy(md5.tcpm_key, "tsp-key!", 8);
			if (c >= 0 && setsockopt(c, IPPROTO_TCP, TCP_MD5SIG, &md5, sizeof(md5)) == 0 &&
			    connect(c, (void *)&lma, lml) == 0) {
				a = accept4(listen_md5, NULL, NULL, SOCK_CLOEXEC);
				add_obj(c, K_MD5, 0);
				add_obj(a, K_MD5, 0);
			} else if (c >= 0) {
				close(c);
			}
		}
	}
	if (conn_pair(listen_v4, AF_INET, 0, &l4a, l4l, &c, &a) == 0) {
		int one = 1;

		if (setsockopt(c, IPPROTO_TCP, TCP_REPAIR, &one, sizeof(one)) == 0) {
			add_obj(c, K_REPAIR, 0);
			add_obj(a, K_TCP, 0);
		} else {
			int ia = add_obj(a, K_TCP, 0), ic = add_obj(c, K_TCP, 0);

			if (ia >= 0 && ic >= 0) {
				objs[ia].peer = ic;
				objs[ic].peer = ia;
			}
		}
	}
	/* from the helper: another netns, and passed descriptors */
	if (have_otherns) {
		n = helper_get('o', fds, 16);
		for (i = 0; i < n; i++) {
			if (i == 0) {
				close(fds[0]);	/* a new netlink socket: we keep the first */
				continue;
			}
			add_obj(fds[i], K_OTHERNS, 1);
		}
		for (i = nobj - (n > 0 ? n - 1 : 0); i + 1 < nobj; i += 2) {
			objs[i].peer = i + 1;
			objs[i + 1].peer = i;
		}
	}
	n = helper_get('p', fds, 16);
	for (i = 0; i + 1 < n; i += 2) {
		int x = add_obj(fds[i], K_PASSED, 0), y = add_obj(fds[i + 1], K_PASSED, 0);

		if (x >= 0 && y >= 0) {
			objs[x].peer = y;
			objs[y].peer = x;
		}
	}
	/* not sockets */
	if (pipe2(p, O_CLOEXEC) == 0) {
		add_obj(p[0], K_PIPE, 0);
		add_obj(p[1], K_PIPE, 0);
	}
	add_obj(open("/proc/self/status", O_RDONLY | O_CLOEXEC), K_FILE, 0);
	add_obj(open("/dev/null", O_RDWR | O_CLOEXEC), K_DEVNULL, 0);
	add_obj(dup(dev), K_DEV, 0);
	add_obj(open(device, O_PATH | O_CLOEXEC), K_OPATH, 0);
	add_obj(eventfd(0, EFD_CLOEXEC), K_EVENTFD, 0);
	add_obj(epoll_create1(EPOLL_CLOEXEC), K_EPOLL, 0);
	/* a number that was open and is not any more */
	i = add_obj(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), K_CLOSED, 0);
	if (i >= 0)
		close(objs[i].fd);
}

/* A random descriptor number, mostly from the pool. */
static int pick_fd(void)
{
	static const int odd[] = { -1, -2, -100, INT32_MIN, INT32_MAX, 0, 1, 2, 700, 701, 702,
				   703, 704, 999, 1023, 1024, 65535, 1 << 20 };
	uint32_t r = RN(100);

	if (r < 10)
		return odd[RN(sizeof(odd) / sizeof(odd[0]))];
	if (r < 55) {	/* prefer live IPv4 TCP sockets: more successes */
		for (int t = 0; t < 8; t++) {
			int i = (int)RN((uint32_t)nobj);

			if (objs[i].kind == K_TCP || objs[i].kind == K_OTHERNS ||
			    objs[i].kind == K_PASSED || objs[i].kind == K_TCP6 ||
			    objs[i].kind == K_TCP6_MAPPED)
				return objs[i].fd;
		}
	}
	if (r < 60)
		return (int)rnd();
	return objs[RN((uint32_t)nobj)].fd;
}

static int pick_peer_loop(int fc)
{
	/* the peer (other end) of fc's connection, or of any spliced one */
	int i = lookup_fd(fc);

	if (i >= 0 && objs[i].peer >= 0)
		return objs[objs[i].peer].fd;
	return pick_fd();
}

static uint32_t pick_flags(void)
{
	switch (RN(10)) {
	case 0: return rnd();
	case 1: return 1U << RN(32);
	case 2: case 3: case 4: return 0;
	default: return TCP_SPLICE_F_DRAINED;
	}
}

/* ------------------------------------------------------------------ */
/* Requests                                                               */
/* ------------------------------------------------------------------ */

static long page;
static unsigned char *ro_page;	/* read-only page */
static unsigned char *hole;	/* an unmapped page (after a mapped one) */
static unsigned char *buf2;	/* a mapped page followed by the hole */

static void after_refusal(int e, int reached, int known)
{
	n_refused++;
	count_err(e);
	if (reached) {
		if (known)
			reached_known++;
		else
			reached_unknown++;
	}
}

static void do_ioctl(void)
{
	struct tcp_splice_req r;
	unsigned char *arg;
	unsigned long cmd = TCP_SPLICE_IOC_SPLICE;
	int want, alt = -1, e, fc, fs, fmt_err = 0, mutated = 0, size_ok;
	uint32_t flags = pick_flags();
	long f0;

	n_ioctl++;
	fc = pick_fd();
	fs = CHANCE(12) && !opt_no_loops ? pick_peer_loop(fc) : (CHANCE(20) ? fc : pick_fd());
	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.version = TCP_SPLICE_ABI_VERSION;
	r.fd_client = fc;
	r.fd_server = fs;
	r.flags = flags;
	r.session_id = rnd64();
	if (flags & ~TCP_SPLICE_F_ALL)
		fmt_err = EINVAL;
	arg = buf2 + page - 64;		/* 64 bytes before the hole */
	size_ok = 1;
	switch (RN(20)) {
	case 0:	/* random size */
		r.size = RN(2) ? RN(80) : rnd();
		mutated = 1;
		break;
	case 1:
		r.version = RN(2) ? 0 : rnd();
		if (r.version != TCP_SPLICE_ABI_VERSION && !fmt_err)
			fmt_err = EINVAL;
		mutated = 1;
		break;
	case 2:
		r.reserved = 1 + RN(0xffff);
		if (!fmt_err)
			fmt_err = EINVAL;
		mutated = 1;
		break;
	case 3:	/* a larger struct, zero or not beyond */
		r.size = 33 + RN((uint32_t)page);
		mutated = 1;
		break;
	case 4: /* pointer: NULL, hole, read-only, straddling */
		mutated = 1;
		switch (RN(4)) {
		case 0: arg = NULL; break;
		case 1: arg = hole + RN(64); break;
		case 2: arg = ro_page; break;
		default: arg = buf2 + page - 16; break;
		}
		break;
	case 5: /* another command number */
		mutated = 1;
		cmd = RN(2) ? _IOC(RN(4), 0xB7, RN(4), RN(64)) : rnd();
		if (cmd == TCP_SPLICE_IOC_SPLICE)
			cmd++;
		break;
	default:
		break;
	}
	/* where the struct goes */
	if (arg == buf2 + page - 64 && r.size > 32 && r.size <= (uint32_t)page) {
		/* a declared tail: place the struct so that it fits */
		arg = buf2 + page - r.size;
	}
	if (arg == buf2 + page - 64 || (arg && arg >= buf2 && arg < buf2 + page)) {
		size_t room = (size_t)(buf2 + page - arg);

		memset(arg, 0, room);
		memcpy(arg, &r, room < sizeof(r) ? room : sizeof(r));
		if (r.size > 32 && room > 32 && CHANCE(3)) {
			arg[32 + RN((uint32_t)(room - 32))] = (unsigned char)(1 + RN(255));
		}
	} else if (arg == ro_page) {
		/* written before mprotect: see setup */
		size_ok = 0;
	}
	/* the expected result */
	if (cmd != TCP_SPLICE_IOC_SPLICE) {
		want = ENOTTY;
	} else if (!arg || (arg >= hole && arg < hole + page)) {
		want = EFAULT;
	} else if (arg == ro_page) {
		want = EFAULT;	/* session_id not writable: refused before */
		fmt_err = 0;
		{
			const struct tcp_splice_req *ro = (const void *)ro_page;

			if (ro->size < 32 || ro->size > (uint32_t)page)
				want = EINVAL;
			else if (ro->version != 1 || ro->reserved || (ro->flags & ~TCP_SPLICE_F_ALL))
				want = EINVAL;
		}
	} else if (arg == buf2 + page - 16) {
		want = EFAULT;
	} else {
		size_t room = (size_t)(buf2 + page - arg);
		int tailnz = 0;

		for (size_t k = 32; k < room && k < r.size; k++)
			tailnz |= arg[k];
		if (r.size < 32 || r.size > (uint32_t)page)
			want = EINVAL;
		else if (r.size > room)
			want = EFAULT;
		else if (tailnz)
			want = E2BIG;
		else if (fmt_err)
			want = fmt_err;
		else
			want = -1;	/* reaches tsp_splice */
	}
	(void)size_ok;
	st_c = fc >= 0 ? tcp_state(fc) : -1;
	st_s = fs >= 0 ? tcp_state(fs) : -1;
	if (want < 0)
		want = predict(fc, fs, 0, &alt);
	TRACE("#%llu ioctl cmd=%#lx arg=%s size=%u ver=%u fds=%d,%d flags=%#x res=%u want=%s\n",
	      (unsigned long long)req_no, cmd, arg == NULL ? "NULL" : arg == ro_page ? "ro" :
	      (arg >= hole && arg < hole + page) ? "hole" : "buf", r.size, r.version, fc, fs,
	      flags, r.reserved, tsp_errname(want));
	pre_cw = (fc >= 0 && tcp_state(fc) == TS_CLOSE_WAIT) ||
		 (fs >= 0 && tcp_state(fs) == TS_CLOSE_WAIT);
	e = ioctl(dev, cmd, arg) < 0 ? errno : 0;
	if (e == 0) {
		uint64_t id;

		memcpy(&id, arg + 24, 8);
		if (want != 0 && alt != 0)
			FAILF("ioctl fds=%d,%d flags=%#x size=%u: succeeded, expected %s", fc, fs,
			      flags, r.size, tsp_errname(want));
		splice_done(id, fc, fs, -1, "ioctl");
		return;
	}
	f0 = nfails;
	if (!documented(e) && e != ENOTTY)
		FAILF("ioctl fds=%d,%d: undocumented errno %s", fc, fs, tsp_errname(e));
	else if (e != want && e != alt &&
		 !(e == ENOTCONN && state_moved(fc, st_c, fs, st_s)))
		FAILF("ioctl fds=%d,%d (%s,%s) flags=%#x size=%u%s: got %s, expected %s%s%s", fc, fs,
		      lookup_fd(fc) >= 0 ? kind_names[objs[lookup_fd(fc)].kind] : "-",
		      lookup_fd(fs) >= 0 ? kind_names[objs[lookup_fd(fs)].kind] : "-",
		      flags, r.size, mutated ? " (mutated)" : "", tsp_errname(e),
		      tsp_errname(want), alt >= 0 ? "|" : "", alt >= 0 ? tsp_errname(alt) : "");
	if (nfails != f0) {
		diag_fd(fc);
		diag_fd(fs);
	}
	after_refusal(e, want != EINVAL && want != E2BIG && want != EFAULT && want != ENOTTY,
		      1);
}

/* A netlink SPLICE, well-formed or mutated. */
static void do_nl_splice(int ns)
{
	struct nlb q;
	struct nlres r;
	uint32_t seq = ++nl_seq, flags = pick_flags();
	int fc = pick_fd(), fs, want, alt = -1, wellformed = 1, e;
	long f0;

	fs = CHANCE(12) && !opt_no_loops ? pick_peer_loop(fc) : pick_fd();
	nlb_init(&q, (uint16_t)famid[ns], TCP_SPLICE_CMD_SPLICE, 0, seq);
	switch (RN(14)) {
	case 0:	/* missing one */
		if (RN(2))
			nlb_u32(&q, TCP_SPLICE_A_FD_CLIENT, (uint32_t)fc);
		else
			nlb_u32(&q, TCP_SPLICE_A_FD_SERVER, (uint32_t)fs);
		want = EINVAL;
		break;
	case 1:	/* duplicated: the last one counts */
		nlb_u32(&q, TCP_SPLICE_A_FD_CLIENT, (uint32_t)pick_fd());
		nlb_u32(&q, TCP_SPLICE_A_FD_SERVER, (uint32_t)pick_fd());
		nlb_u32(&q, TCP_SPLICE_A_FD_CLIENT, (uint32_t)fc);
		nlb_u32(&q, TCP_SPLICE_A_FD_SERVER, (uint32_t)fs);
		want = -1;
		break;
	case 2:	/* wrong lengths */
		nlb_attr(&q, TCP_SPLICE_A_FD_CLIENT, &fc, RN(2) ? 2 : 0);
		nlb_u32(&q, TCP_SPLICE_A_FD_SERVER, (uint32_t)fs);
		want = EINVAL;
		break;
	case 3: /* an fd as u64 */
		nlb_u64(&q, TCP_SPLICE_A_FD_CLIENT, (uint32_t)fc);
		nlb_u32(&q, TCP_SPLICE_A_FD_SERVER, (uint32_t)fs);
		want = EINVAL;
		break;
	case 4: /* unknown attribute type beyond the max */
		nlb_u32(&q, TCP_SPLICE_A_FD_CLIENT, (uint32_t)fc);
		nlb_u32(&q, TCP_SPLICE_A_FD_SERVER, (uint32_t)fs);
		nlb_u32(&q, (uint16_t)(TCP_SPLICE_A_MAX + 1 + RN(100)), rnd());
		want = EINVAL;
		break;
	case 5: /* a known attribute SPLICE does not use: ignored */
		nlb_u32(&q, TCP_SPLICE_A_FD_CLIENT, (uint32_t)fc);
		nlb_u32(&q, TCP_SPLICE_A_FD_SERVER, (uint32_t)fs);
		nlb_u64(&q, TCP_SPLICE_A_SESSION_ID, rnd64());
		want = -1;
		break;
	case 11: /* a reply-only attribute (no policy): strict validation refuses */
		nlb_u32(&q, TCP_SPLICE_A_FD_CLIENT, (uint32_t)fc);
		nlb_u32(&q, TCP_SPLICE_A_UID, rnd());
		nlb_u32(&q, TCP_SPLICE_A_FD_SERVER, (uint32_t)fs);
		want = EINVAL;
		break;
	case 6: /* a nest where a scalar belongs */
		{
			unsigned char inner[8];
			struct nlattr *in = (void *)inner;

			in->nla_len = 8;
			in->nla_type = 1;
			memcpy(inner + 4, &fc, 4);
			nlb_attr(&q, NLA_F_NESTED | TCP_SPLICE_A_FD_CLIENT, inner, 8);
			nlb_u32(&q, TCP_SPLICE_A_FD_SERVER, (uint32_t)fs);
			want = EINVAL;
		}
		break;
	default:
		nlb_u32(&q, TCP_SPLICE_A_FD_CLIENT, (uint32_t)fc);
		nlb_u32(&q, TCP_SPLICE_A_FD_SERVER, (uint32_t)fs);
		want = -1;
		break;
	}
	if (flags || CHANCE(2))
		nlb_u32(&q, TCP_SPLICE_A_FLAGS, flags);
	if (want < 0 && (flags & ~TCP_SPLICE_F_ALL))
		want = EINVAL;
	nlb_end(&q);
	st_c = fc >= 0 ? tcp_state(fc) : -1;
	st_s = fs >= 0 ? tcp_state(fs) : -1;
	if (want < 0)
		want = predict(fc, fs, cookie[ns], &alt);
	else
		wellformed = 0;
	n_nl++;
	TRACE("#%llu nl%d splice fds=%d,%d flags=%#x len=%zu want=%s\n",
	      (unsigned long long)req_no, ns, fc, fs, flags, q.len, tsp_errname(want));
	pre_cw = (fc >= 0 && tcp_state(fc) == TS_CLOSE_WAIT) ||
		 (fs >= 0 && tcp_state(fs) == TS_CLOSE_WAIT);
	e = nl_xchg(nl[ns], q.b, q.len, seq, &r);
	if (e || !r.answered) {
		FAILF("netlink SPLICE fds=%d,%d: no answer (%s)", fc, fs, tsp_errname(-e));
		return;
	}
	if (r.err == 0) {
		if (want != 0 && alt != 0)
			FAILF("netlink SPLICE fds=%d,%d flags=%#x: succeeded, expected %s", fc, fs,
			      flags, tsp_errname(want));
		if (r.nmsg != 1)
			FAILF("netlink SPLICE: %d reply messages", r.nmsg);
		splice_done(r.sid, fc, fs, ns, "netlink");
		return;
	}
	f0 = nfails;
	if (!documented(r.err))
		FAILF("netlink SPLICE fds=%d,%d: undocumented errno %s", fc, fs,
		      tsp_errname(r.err));
	else if (r.err != want && r.err != alt &&
		 !(r.err == ENOTCONN && state_moved(fc, st_c, fs, st_s)))
		FAILF("netlink%d SPLICE fds=%d,%d (%s,%s) flags=%#x: got %s, expected %s%s%s", ns,
		      fc, fs, lookup_fd(fc) >= 0 ? kind_names[objs[lookup_fd(fc)].kind] : "-",
		      lookup_fd(fs) >= 0 ? kind_names[objs[lookup_fd(fs)].kind] : "-", flags,
		      tsp_errname(r.err), tsp_errname(want), alt >= 0 ? "|" : "",
		      alt >= 0 ? tsp_errname(alt) : "");
	if (nfails != f0) {
		diag_fd(fc);
		diag_fd(fs);
	}
	after_refusal(r.err, wellformed, 1);
}

/* A random, mostly malformed, netlink request of any command. */
static void do_nl_random(int ns)
{
	static const size_t lens[] = { 0, 1, 2, 3, 4, 4, 4, 5, 7, 8, 8, 8, 9, 12, 16, 64 };
	struct nlb q;
	struct nlres r;
	uint32_t seq = ++nl_seq;
	uint8_t cmd = (uint8_t)(CHANCE(8) ? rnd() : RN(TCP_SPLICE_CMD_MAX + 2));
	uint16_t fl = 0;
	int nattr = (int)RN(8), hdr_broken = 0, splice_like, e;

	if (CHANCE(3))
		fl |= NLM_F_DUMP;
	if (CHANCE(20))
		fl |= (uint16_t)(rnd() & ~(NLM_F_REQUEST | NLM_F_ACK));
	if (opt_no_flush && cmd == TCP_SPLICE_CMD_FLUSH)
		cmd = TCP_SPLICE_CMD_STATS;
	nlb_init(&q, (uint16_t)famid[ns], cmd, fl, seq);
	if (CHANCE(10))
		((struct genlmsghdr *)(q.b + NLMSG_HDRLEN))->version = (uint8_t)rnd();
	for (int i = 0; i < nattr; i++) {
		unsigned char p[96];
		uint16_t t = (uint16_t)RN(TCP_SPLICE_A_MAX + 4);
		size_t plen = CHANCE(8) ? RN(sizeof(p)) : lens[RN(sizeof(lens) / sizeof(lens[0]))];

		for (size_t k = 0; k < plen; k++)
			p[k] = (unsigned char)rnd();
		if (plen >= 8 && nsess && CHANCE(3))
			memcpy(p, &sess[RN((uint32_t)nsess)].id, 8);	/* a real id */
		else if (plen >= 4 && CHANCE(3)) {
			int32_t v = (int32_t)(CHANCE(2) ? pick_fd() : (int)RN(12));

			memcpy(p, &v, 4);
		}
		if (CHANCE(12))
			t |= NLA_F_NESTED;
		if (CHANCE(20))
			t |= NLA_F_NET_BYTEORDER;
		if (CHANCE(40))
			t = (uint16_t)rnd();
		if (CHANCE(8) && plen >= 8) {	/* nested headers inside */
			struct nlattr *in = (void *)p;

			in->nla_type = (uint16_t)RN(TCP_SPLICE_A_MAX + 2);
			in->nla_len = (uint16_t)(RN(2) ? plen : RN((uint32_t)plen + 8));
			t |= NLA_F_NESTED;
		}
		nlb_attr_raw(&q, t, p, plen,
			     CHANCE(15) ? RN((uint32_t)(NLA_HDRLEN + plen + 16)) : NLA_HDRLEN + plen);
	}
	if (CHANCE(40)) {	/* oversized: many attributes */
		for (int i = 0; i < 300; i++)
			nlb_u32(&q, (uint16_t)RN(TCP_SPLICE_A_MAX + 1), rnd());
	}
	nlb_end(&q);
	if (CHANCE(10) && q.len > NLMSG_HDRLEN) {	/* truncated (header says so) */
		q.len = NLMSG_HDRLEN + RN((uint32_t)(q.len - NLMSG_HDRLEN + 1));
		nlb_end(&q);
	}
	if (CHANCE(12)) {	/* trailing garbage, not covered by nlmsg_len */
		size_t n = 1 + RN(13);

		for (size_t k = 0; k < n; k++)
			q.b[q.len++] = (unsigned char)rnd();
		if (CHANCE(2))
			nlb_end(&q);	/* or covered */
	}
	if (CHANCE(30)) {	/* nlmsg_len beyond what is sent: dropped silently */
		((struct nlmsghdr *)q.b)->nlmsg_len = (uint32_t)(q.len + 1 + RN(100));
		hdr_broken = 1;
	}
	splice_like = cmd == TCP_SPLICE_CMD_SPLICE;
	if (cmd == TCP_SPLICE_CMD_FLUSH)
		for (int si = 0; si < nsess; si++)
			if (sess[si].ns == ns && nl_admin[ns] && sess[si].st == S_LIVE)
				sess[si].st = S_MAYBE;	/* resynced at the next dump */
	snap_elig(splice_like);
	n_nl++;
	TRACE("#%llu nl%d random cmd=%u flags=%#x len=%zu\n", (unsigned long long)req_no, ns,
	      cmd, fl, q.len);
	e = nl_xchg(nl[ns], q.b, q.len, seq, &r);
	if (e) {
		FAILF("netlink send: %s", tsp_errname(-e));
		return;
	}
	if (!r.answered) {
		/* only a message the netlink core cannot frame goes unanswered */
		if (!hdr_broken && q.len >= NLMSG_HDRLEN)
			FAILF("netlink cmd=%u len=%zu flags=%#x: no answer", cmd, q.len, fl);
		else
			n_noreply_ok++;
		return;
	}
	if (r.err == 0) {
		if (splice_like && r.sid && !(fl & NLM_F_DUMP)) {
			/* a mutated SPLICE went through: check whom it joined */
			splice_done(r.sid, -1, -1, ns, "netlink-random");
		}
		snap_elig(0);
		if (cmd == TCP_SPLICE_CMD_FLUSH && !nl_admin[ns])
			FAILF("netlink FLUSH succeeded for an unprivileged sender");
		if (cmd == TCP_SPLICE_CMD_FLUSH)
			n_flushed++;
		for (int k = 0; k < r.nids; k++)
			if ((int)r.uids[k] != myuid && !nl_admin[ns])
				FAILF("an unprivileged GET shows session %llu of uid %u",
				      (unsigned long long)r.ids[k], r.uids[k]);
		count_err(0);
		return;
	}
	count_err(r.err);
	switch (r.err) {
	case EINVAL: case ERANGE: case EOPNOTSUPP: case ENOENT: case EMSGSIZE:
		break;
	case EPERM:
		if (nl_admin[ns])
			FAILF("netlink cmd=%u: EPERM for an admin", cmd);
		break;
	default:
		if (!(splice_like && documented(r.err)))
			FAILF("netlink cmd=%u flags=%#x: errno %s", cmd, fl, tsp_errname(r.err));
		else
			after_refusal(r.err, 1, 0);
	}
}

/* Well-formed GET / FLUSH / STATS / dump with filters. */
static void do_nl_query(int ns)
{
	struct nlb q;
	struct nlres r;
	uint32_t seq = ++nl_seq;
	int what = (int)RN(opt_no_flush ? 4 : 6), si = nsess ? (int)RN((uint32_t)nsess) : -1;
	uint64_t id = si >= 0 && CHANCE(2) ? sess[si].id : rnd64() >> RN(64);

	if (si >= 0 && sess[si].id != id)
		si = find_sess(id);
	switch (what) {
	case 0: case 1:	/* GET one */
		nlb_init(&q, (uint16_t)famid[ns], TCP_SPLICE_CMD_GET, 0, seq);
		nlb_u64(&q, TCP_SPLICE_A_SESSION_ID, id);
		break;
	case 2: /* dump, filtered */
		nlb_init(&q, (uint16_t)famid[ns], TCP_SPLICE_CMD_GET, NLM_F_DUMP, seq);
		if (CHANCE(2)) {
			uint16_t p = (uint16_t)(nobj ? objs[RN((uint32_t)nobj)].lport : 0);

			nlb_attr(&q, TCP_SPLICE_A_FILTER_PORT, &p, 2);
		}
		if (CHANCE(2)) {
			uint32_t a = htonl(INADDR_LOOPBACK);

			nlb_attr(&q, TCP_SPLICE_A_FILTER_ADDR, &a, 4);
		}
		if (CHANCE(2)) {
			uint8_t st = (uint8_t)(1 + RN(TCP_SPLICE_S_MAX - 1));

			nlb_attr(&q, TCP_SPLICE_A_FILTER_STATE, &st, 1);
		}
		break;
	case 3:
		nlb_init(&q, (uint16_t)famid[ns], TCP_SPLICE_CMD_STATS, 0, seq);
		break;
	default: /* FLUSH by id */
		nlb_init(&q, (uint16_t)famid[ns], TCP_SPLICE_CMD_FLUSH, 0, seq);
		nlb_u64(&q, TCP_SPLICE_A_SESSION_ID, id);
		break;
	}
	nlb_end(&q);
	n_nl++;
	TRACE("#%llu nl%d query %d id=%llu\n", (unsigned long long)req_no, ns, what,
	      (unsigned long long)id);
	if (nl_xchg(nl[ns], q.b, q.len, seq, &r) || !r.answered) {
		FAILF("netlink query %d: no answer", what);
		return;
	}
	count_err(r.err);
	if (what <= 1) {
		int live = si >= 0 && sess[si].ns == ns && sess[si].st == S_LIVE;
		int gone = si >= 0 && sess[si].ns == ns && sess[si].st == S_GONE;

		if (live && r.err)
			FAILF("GET of our live session %llu: %s", (unsigned long long)id,
			      tsp_errname(r.err));
		else if ((gone || si < 0) && !r.err && (si >= 0 || opt_exclusive) &&
			 (int)r.uids[0] == myuid)
			FAILF("GET of session %llu (%s) found it", (unsigned long long)id,
			      gone ? "flushed" : "never ours");
		else if (r.err && r.err != ENOENT)
			FAILF("GET %llu: %s", (unsigned long long)id, tsp_errname(r.err));
		else if (!r.err && !nl_admin[ns] && (int)r.uids[0] != myuid)
			FAILF("an unprivileged GET shows session %llu of uid %u",
			      (unsigned long long)id, r.uids[0]);
	} else if (what == 2 || what == 3) {
		if (r.err)
			FAILF("netlink %s: %s", what == 2 ? "dump" : "STATS", tsp_errname(r.err));
		for (int k = 0; k < r.nids; k++)
			if ((int)r.uids[k] != myuid && !nl_admin[ns])
				FAILF("an unprivileged dump shows session %llu of uid %u",
				      (unsigned long long)r.ids[k], r.uids[k]);
	} else {
		int live = si >= 0 && sess[si].ns == ns && sess[si].st == S_LIVE;

		if (!nl_admin[ns]) {
			if (r.err != EPERM)
				FAILF("unprivileged FLUSH %llu: %s, expected EPERM",
				      (unsigned long long)id, tsp_errname(r.err));
		} else if (live && r.err) {
			FAILF("FLUSH of our live session %llu: %s", (unsigned long long)id,
			      tsp_errname(r.err));
		} else if (!r.err && si >= 0 && sess[si].ns == ns) {
			n_flushed++;
			sess[si].st = S_GONE;
			for (int k = 0; k < 2; k++)
				if (sess[si].o[k] >= 0 && objs[sess[si].o[k]].sess == si)
					objs[sess[si].o[k]].sess = -1;
		} else if (!r.err && opt_exclusive && si < 0) {
			FAILF("FLUSH of session %llu (never ours) succeeded", (unsigned long long)id);
		} else if (r.err && r.err != ENOENT) {
			FAILF("FLUSH %llu: %s", (unsigned long long)id, tsp_errname(r.err));
		}
	}
}

/* Change the pool: data, shutdowns, closes, dups. */
static void do_pool_op(void)
{
	int i = (int)RN((uint32_t)nobj);
	struct obj *o = &objs[i];

	n_ops++;
	if (o->kind == K_CLOSED)
		return;
	switch (RN(6)) {
	case 0:
		if (o->kind == K_TCP || o->kind == K_PASSED || o->kind == K_OTHERNS ||
		    o->kind == K_TCP6) {
			char b[256];

			memset(b, 'y', sizeof(b));
			if (send(o->fd, b, 1 + RN(sizeof(b)), MSG_DONTWAIT | MSG_NOSIGNAL) < 0) {
				/* refused or full: fine */
			}
		}
		break;
	case 1:
		if (o->kind == K_TCP && o->sess < 0 && !o->was_spliced) {
			int how = (int)RN(3);

			if (shutdown(o->fd, how) == 0) {
				/* the socket's, so every dup of it sees it */
				for (int j = 0; j < nobj; j++) {
					if (objs[j].kind == K_CLOSED || objs[j].ino != o->ino)
						continue;
					objs[j].shut_rd |= how != SHUT_WR;
					objs[j].shut_wr |= how != SHUT_RD;
				}
			}
			obj_touched(i);
			/* let the FIN reach the peer */
			if (o->peer >= 0 && how != SHUT_RD)
				wait_state(objs[o->peer].fd, TS_CLOSE_WAIT);
		}
		break;
	case 2: { /* dup: the same socket under another number */
		int d = dup(o->fd);

		if (d >= 0) {
			int j = add_obj(d, o->kind, o->ns);

			if (j >= 0) {
				objs[j] = *o;
				objs[j].fd = d;
			}
		}
		break;
	}
	case 3: /* close, by RST or FIN */
		if (CHANCE(2)) {
			struct linger lg = { 1, 0 };

			setsockopt(o->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		}
		obj_touched(i);
		/* another number may still hold this socket (dup): its peers'
		 * state may change too, so all of them are "touched" */
		for (int j = 0; j < nobj; j++)
			if (j != i && objs[j].ino == o->ino && objs[j].kind != K_CLOSED)
				obj_touched(j);
		close(o->fd);
		for (int j = 0; j < nobj; j++)
			if (objs[j].peer >= 0 && objs[objs[j].peer].ino == o->ino) {
				/* the peer sees FIN or RST: wait for the state to settle */
				int st;

				for (int t = 0; t < 50; t++) {
					st = tcp_state(objs[j].fd);
					if (st != TS_ESTABLISHED)
						break;
					usleep(1000);
				}
			}
		o->kind = K_CLOSED;
		break;
	default:
		break;
	}
}

/* ------------------------------------------------------------------ */
/* --race: splice requests racing with closes of the same descriptors     */
/* ------------------------------------------------------------------ */

struct race_arg {
	int fds[4];		/* fc, fs, peer of fc, peer of fs */
	int spare;		/* another established socket (for dup2) */
	uint32_t delay_us, op;
};

static void *race_thread(void *p)
{
	struct race_arg *a = p;
	struct linger lg = { 1, 0 };

	if (a->delay_us)
		usleep(a->delay_us);
	switch (a->op % 7) {
	case 0: close(a->fds[0]); a->fds[0] = -1; break;
	case 1: close(a->fds[1]); a->fds[1] = -1; break;
	case 2: shutdown(a->fds[a->op & 8 ? 1 : 0], (int)(a->op >> 4) % 3); break;
	case 3: /* the client aborts */
		setsockopt(a->fds[2], SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(a->fds[2]);
		a->fds[2] = -1;
		break;
	case 4: /* the number now names another socket */
		dup2(a->spare, a->fds[a->op & 8 ? 1 : 0]);
		break;
	case 5: /* data from both peers */
		if (write(a->fds[2], "abcdefgh", 8) < 0 || write(a->fds[3], "ijkl", 4) < 0) {
			/* fine */
		}
		break;
	default: /* the server goes away with a FIN */
		close(a->fds[3]);
		a->fds[3] = -1;
		break;
	}
	return NULL;
}

/* N rounds of one splice request against one racing change; every answer
 * documented, and at the end every session we got ends. */
static void race_mode(uint64_t n)
{
	static uint64_t ids[MAXSESS];
	uint64_t nid = 0;

	for (req_no = 0; req_no < n; req_no++) {
		struct race_arg a;
		pthread_t t;
		int c1, a1, c2, a2, c3, a3, e, use_nl = !opt_no_netlink && (opt_no_ioctl || CHANCE(2));
		uint32_t fl = CHANCE(2) ? TCP_SPLICE_F_DRAINED : 0;
		uint64_t id = 0;

		if (conn_pair(listen_v4, AF_INET, 0, &l4a, l4l, &c1, &a1) < 0 ||
		    conn_pair(listen_v4, AF_INET, 0, &l4a, l4l, &c2, &a2) < 0 ||
		    conn_pair(listen_v4, AF_INET, 0, &l4a, l4l, &c3, &a3) < 0)
			tsp_die(prog, "race: TCP connection: %s", strerror(errno));
		a.fds[0] = a1;
		a.fds[1] = c2;
		a.fds[2] = c1;
		a.fds[3] = a2;
		a.spare = a3;
		a.delay_us = RN(4) ? RN(3000) : 0;
		a.op = rnd();
		if (CHANCE(2) && write(c1, "request", 7) < 0)
			tsp_die(prog, "write: %s", strerror(errno));
		if (pthread_create(&t, NULL, race_thread, &a))
			tsp_die(prog, "pthread_create");
		if (use_nl) {
			struct nlb q;
			struct nlres r;
			uint32_t seq = ++nl_seq;

			nlb_init(&q, (uint16_t)famid[0], TCP_SPLICE_CMD_SPLICE, 0, seq);
			nlb_u32(&q, TCP_SPLICE_A_FD_CLIENT, (uint32_t)a1);
			nlb_u32(&q, TCP_SPLICE_A_FD_SERVER, (uint32_t)c2);
			nlb_u32(&q, TCP_SPLICE_A_FLAGS, fl);
			nlb_end(&q);
			n_nl++;
			if (nl_xchg(nl[0], q.b, q.len, seq, &r) || !r.answered) {
				FAILF("race: netlink SPLICE not answered");
				e = -1;
			} else {
				e = r.err;
				id = r.sid;
			}
		} else {
			struct tcp_splice_req rq;

			memset(&rq, 0, sizeof(rq));
			rq.size = sizeof(rq);
			rq.version = TCP_SPLICE_ABI_VERSION;
			rq.fd_client = a1;
			rq.fd_server = c2;
			rq.flags = fl;
			n_ioctl++;
			e = ioctl(dev, TCP_SPLICE_IOC_SPLICE, &rq) < 0 ? errno : 0;
			id = rq.session_id;
		}
		pthread_join(t, NULL);
		TRACE("#%llu race op=%u delay=%u via=%s -> %s\n", (unsigned long long)req_no,
		      a.op % 7, a.delay_us, use_nl ? "netlink" : "ioctl", tsp_errname(e));
		if (e == 0) {
			n_ok++;
			if (!id)
				FAILF("race: success with session id 0");
			else if (nid < MAXSESS)
				ids[nid++] = id;
		} else if (e > 0) {
			n_refused++;
			if (!documented(e))
				FAILF("race op %u: undocumented errno %s", a.op % 7, tsp_errname(e));
		}
		count_err(e > 0 ? e : 0);
		for (int k = 0; k < 4; k++)
			if (a.fds[k] >= 0)
				close(a.fds[k]);
		if (a.op % 7 == 4) {
			/* a1 or c2 was replaced: the socket it named lost its
			 * last number with the dup2 */
		}
		close(a3);
		close(c3);
	}
	/* every session of ours ends: flushed (root) or by the closes */
	for (uint64_t k = 0; k < nid && nl_admin[0] && !opt_no_flush; k++) {
		struct nlb q;
		struct nlres r;
		uint32_t seq = ++nl_seq;

		nlb_init(&q, (uint16_t)famid[0], TCP_SPLICE_CMD_FLUSH, 0, seq);
		nlb_u64(&q, TCP_SPLICE_A_SESSION_ID, ids[k]);
		nlb_end(&q);
		nl_xchg(nl[0], q.b, q.len, seq, &r);
		if (r.err && r.err != ENOENT)
			FAILF("race: FLUSH %llu: %s", (unsigned long long)ids[k], tsp_errname(r.err));
		n_flushed += !r.err;
	}
	{
		int64_t end = tsp_now_ms() + (int64_t)opt_drain * 1000;
		int left;

		do {
			struct nlb q;
			struct nlres r;
			uint32_t seq = ++nl_seq;

			nlb_init(&q, (uint16_t)famid[0], TCP_SPLICE_CMD_GET, NLM_F_DUMP, seq);
			nlb_end(&q);
			nl_xchg(nl[0], q.b, q.len, seq, &r);
			left = 0;
			for (int k = 0; k < r.nids; k++)
				for (uint64_t j = 0; j < nid; j++)
					left += r.ids[k] == ids[j];
			if (left)
				usleep(200000);
		} while (left && tsp_now_ms() < end);
		if (left)
			FAILF("race: %d of our %llu sessions still there after %d s", left,
			      (unsigned long long)nid, opt_drain);
	}
}

/* ------------------------------------------------------------------ */

static void usage(FILE *f)
{
	fprintf(f,
"usage: tsp_fuzz [--seed N] [--count M] [options]\n"
"\n"
"Random and mutated requests to the ioctl of " TCP_SPLICE_DEVICE " and the generic\n"
"netlink family \"" TCP_SPLICE_GENL_NAME "\", over a pool of descriptors of every kind (TCP in\n"
"every state, IPv6, UDP, raw, UNIX, netlink, packet, MPTCP, kTLS, MD5, repair,\n"
"another netns, passed with SCM_RIGHTS, pipes, files, the device, O_PATH,\n"
"closed numbers, numbers open only in another process).  Each answer is\n"
"checked against the documented ABI (see the top of tsp_fuzz.c).  Runs as any\n"
"user; as root some kinds more (raw, packet, repair) and FLUSH is allowed.\n"
"\n"
"  --seed N            seed (default: from the clock; always printed)\n"
"  --count M           requests (default 10000)\n"
"  --gen N             rebuild the descriptor pool every N requests (default 300)\n"
"  --check-every N     compare the session dump with the model every N (200)\n"
"  --exclusive         nothing else splices in this netns: also check\n"
"                      splice_refused, foreign sessions and sessions_active 0\n"
"  --drain S           at the end, wait up to S s for our sessions to end (30)\n"
"  --short-timeouts    (root) set the closing timeouts of this netns to 1 s\n"
"  --no-ioctl | --no-netlink | --no-flush | --no-otherns\n"
"  --no-loops          never splice both ends of one loopback connection\n"
"  --max-fails N       stop after N violations (default 10)\n"
"  --trace-from I      print every request from number I on (-v: all)\n"
"  --report-every N    a progress line every N requests\n"
"  --race N            instead: N splice requests, each racing with a thread\n"
"                      that closes, shuts down, resets, dup2()s over or feeds\n"
"                      the same sockets; every answer documented, and every\n"
"                      session that came out of it ends (--drain)\n"
"  --device PATH       default " TCP_SPLICE_DEVICE "\n"
"\n"
"Prints  FAIL #I seed=N: what  per violation and a summary line\n"
"  fuzz requests=M ioctl=.. netlink=.. spliced=.. refused=.. violations=V seed=N ...\n"
"Exit 0 when no invariant was violated, 1 otherwise, 2 on setup errors.\n"
"Reproduce a failure: the same options with --seed N --count I+1 --trace-from I.\n");
}

static void set_timeouts(void)
{
	static const char *const names[] = { "timeout_timewait", "timeout_close",
					     "timeout_finwait", "timeout_lastack",
					     "timeout_closewait" };

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		char p[128];
		FILE *f;

		snprintf(p, sizeof(p), "/proc/sys/net/tcp_splice/%s", names[i]);
		f = fopen(p, "w");
		if (f) {
			fputs("1\n", f);
			fclose(f);
		}
	}
}

int main(int argc, char **argv)
{
	int one = 1, active;
	uint64_t refused0 = 0, refused1;
	int64_t t0;
	int seeded = 0;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(a, "-v")) {
			opt_verbose = 1;
		} else if (!strcmp(a, "--exclusive")) {
			opt_exclusive = 1;
		} else if (!strcmp(a, "--no-ioctl")) {
			opt_no_ioctl = 1;
		} else if (!strcmp(a, "--no-netlink")) {
			opt_no_netlink = 1;
		} else if (!strcmp(a, "--no-loops")) {
			opt_no_loops = 1;
		} else if (!strcmp(a, "--no-flush")) {
			opt_no_flush = 1;
		} else if (!strcmp(a, "--no-otherns")) {
			opt_no_otherns = 1;
		} else if (!strcmp(a, "--short-timeouts")) {
			opt_short_timeouts = 1;
		} else if (v && !strcmp(a, "--seed")) {
			if (tsp_parse_u64(v, &opt_seed))
				tsp_die(prog, "bad --seed %s", v);
			seeded = 1;
			i++;
		} else if (v && !strcmp(a, "--count")) {
			opt_count = tsp_need_size(prog, a, v);
			i++;
		} else if (v && !strcmp(a, "--gen")) {
			opt_gen = tsp_need_size(prog, a, v);
			i++;
		} else if (v && !strcmp(a, "--check-every")) {
			opt_check = tsp_need_size(prog, a, v);
			i++;
		} else if (v && !strcmp(a, "--drain")) {
			opt_drain = atoi(v);
			i++;
		} else if (v && !strcmp(a, "--max-fails")) {
			opt_max_fails = atoi(v);
			i++;
		} else if (v && !strcmp(a, "--trace-from")) {
			if (tsp_parse_u64(v, &opt_trace_from))
				tsp_die(prog, "bad --trace-from %s", v);
			i++;
		} else if (v && !strcmp(a, "--report-every")) {
			opt_report_every = atoi(v);
			i++;
		} else if (v && !strcmp(a, "--race")) {
			opt_race = tsp_need_size(prog, a, v);
			i++;
		} else if (v && !strcmp(a, "--device")) {
			device = v;
			i++;
		} else {
			usage(stderr);
			return 2;
		}
	}
	if (!seeded) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		opt_seed = ((uint64_t)ts.tv_sec * 1000003u) ^ (uint64_t)ts.tv_nsec ^
			   ((uint64_t)getpid() << 20);
		opt_seed %= 1000000000000ULL;
	}
	{
		uint64_t x = opt_seed;

		rng_s = tsp_splitmix64(&x) | 1;
	}
	if (opt_gen < 10)
		opt_gen = 10;
	if (opt_check < 1)
		opt_check = 1;
	setvbuf(stdout, NULL, _IOLBF, 0);
	signal(SIGPIPE, SIG_IGN);
	myuid = (int)geteuid();
	printf("tsp_fuzz: seed=%llu count=%llu uid=%d gen=%llu%s%s%s\n",
	       (unsigned long long)opt_seed, (unsigned long long)opt_count, myuid,
	       (unsigned long long)opt_gen, opt_exclusive ? " exclusive" : "",
	       opt_no_ioctl ? " no-ioctl" : "", opt_no_netlink ? " no-netlink" : "");
	sess = calloc(MAXSESS, sizeof(*sess));
	if (!sess)
		tsp_die(prog, "out of memory");
	dev = open(device, O_RDWR | O_CLOEXEC);
	if (dev < 0)
		tsp_die(prog, "open %s: %s", device, strerror(errno));
	if (opt_short_timeouts)
		set_timeouts();
	lo_up();
	listen_v4 = listener(AF_INET, 256, &l4a, &l4l);
	if (listen_v4 < 0)
		tsp_die(prog, "listener on 127.0.0.1: %s", strerror(errno));
	listen_md5 = listener(AF_INET, 16, &lma, &lml);
	if (listen_md5 >= 0) {
		struct tcp_md5sig md5;
		struct sockaddr_in *sin = (void *)&md5.tcpm_addr;

		memset(&md5, 0, sizeof(md5));
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		md5.tcpm_keylen = 8;
		memcpy(md5.tcpm_key, "tsp-key!", 8);
		if (setsockopt(listen_md5, IPPROTO_TCP, TCP_MD5SIG, &md5, sizeof(md5)) < 0) {
			close(listen_md5);
			listen_md5 = -1;
		}
	}
	nl[0] = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_GENERIC);
	if (nl_setup(nl[0], &famid[0]) < 0)
		tsp_die(prog, "netlink family %s: %s", TCP_SPLICE_GENL_NAME, strerror(errno));
	nl_admin[0] = myuid == 0;
	cookie[0] = netns_cookie(nl[0]);
	/* memory for the pointer cases */
	page = sysconf(_SC_PAGESIZE);
	buf2 = mmap(NULL, (size_t)page * 2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		    -1, 0);
	ro_page = mmap(NULL, (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);
	if (buf2 == MAP_FAILED || ro_page == MAP_FAILED)
		tsp_die(prog, "mmap: %s", strerror(errno));
	hole = buf2 + page;
	munmap(hole, (size_t)page);
	helper_start(0);
	if (!opt_no_otherns) {
		helper_start(1);
		int fds[16], n = helper_get('o', fds, 16);

		if (n >= 1 && nl_setup(fds[0], &famid[1]) == 0) {
			nl[1] = fds[0];
			nl_admin[1] = 1;	/* opened by the namespace's owner */
			cookie[1] = netns_cookie(nl[1]);
			have_otherns = 1;
		} else {
			printf("tsp_fuzz: no other network namespace (%s): otherns kind skipped\n",
			       n < 1 ? "unshare refused" : "no family there");
		}
		for (int i = 1; i < n; i++)
			close(fds[i]);
		if (n >= 1 && !have_otherns)
			close(fds[0]);
	}
	(void)one;
	(void)cookie;
	if (opt_exclusive)
		refused0 = stats_refused(0, &active);

	t0 = tsp_now_ms();
	if (opt_race) {
		race_mode(opt_race);
		printf("race requests=%llu ioctl=%llu netlink=%llu spliced=%llu refused=%llu "
		       "flushed=%llu violations=%ld seed=%llu uid=%d secs=%lld errnos:",
		       (unsigned long long)opt_race, (unsigned long long)n_ioctl,
		       (unsigned long long)n_nl, (unsigned long long)n_ok,
		       (unsigned long long)n_refused, (unsigned long long)n_flushed, nfails,
		       (unsigned long long)opt_seed, myuid, (long long)((tsp_now_ms() - t0) / 1000));
		for (int k = 0; k < 160; k++)
			if (errcount[k])
				printf(" %s=%llu", tsp_errname(k), (unsigned long long)errcount[k]);
		printf("\n");
		return nfails ? 1 : 0;
	}
	build_gen();
	/* the read-only request: a valid one over two pool sockets */
	{
		struct tcp_splice_req *r = (void *)ro_page;

		memset(r, 0, sizeof(*r));
		r->size = 32;
		r->version = 1;
		r->fd_client = objs[0].fd;
		r->fd_server = objs[1].fd;
		mprotect(ro_page, (size_t)page, PROT_READ);
	}
	for (req_no = 0; req_no < opt_count; req_no++) {
		uint32_t r;

		if (req_no && req_no % opt_gen == 0) {
			/* root: flush some of this generation's sessions first */
			close_objs();
			build_gen();
		}
		if (req_no && req_no % opt_check == 0) {
			check_sessions(0, "periodic");
			if (have_otherns)
				check_sessions(1, "periodic (other netns)");
		}
		if (opt_report_every && req_no && req_no % (uint64_t)opt_report_every == 0)
			printf("tsp_fuzz: %llu requests, %llu spliced, %ld violations, %lld s\n",
			       (unsigned long long)req_no, (unsigned long long)n_ok, nfails,
			       (long long)((tsp_now_ms() - t0) / 1000));
		r = RN(100);
		if (r < 8) {
			do_pool_op();
			continue;
		}
		if (opt_no_netlink || (!opt_no_ioctl && r < 50)) {
			do_ioctl();
		} else {
			int ns = have_otherns && CHANCE(6) ? 1 : 0;

			if (r < 75)
				do_nl_splice(ns);
			else if (r < 88)
				do_nl_random(ns);
			else
				do_nl_query(ns);
		}
	}
	check_sessions(0, "last");
	if (have_otherns)
		check_sessions(1, "last (other netns)");
	if (opt_exclusive) {
		refused1 = stats_refused(0, &active);
		/* ioctl refusals of sockets in the other netns count there */
		if (!have_otherns &&
		    (refused1 - refused0 < reached_known ||
		     refused1 - refused0 > reached_known + reached_unknown))
			FAILF("splice_refused grew by %llu, expected %llu (+ up to %llu)",
			      (unsigned long long)(refused1 - refused0),
			      (unsigned long long)reached_known, (unsigned long long)reached_unknown);
	}
	/* cleanup: flush what we may, close everything, wait for the end */
	req_no = opt_count;
	for (int ns = 0; ns < 2; ns++) {
		if (nl[ns] < 0 || !nl_admin[ns] || opt_no_flush)
			continue;
		for (int si = 0; si < nsess; si++) {
			struct nlb q;
			struct nlres r;
			uint32_t seq;

			if (sess[si].ns != ns || sess[si].st == S_GONE)
				continue;
			seq = ++nl_seq;
			nlb_init(&q, (uint16_t)famid[ns], TCP_SPLICE_CMD_FLUSH, 0, seq);
			nlb_u64(&q, TCP_SPLICE_A_SESSION_ID, sess[si].id);
			nlb_end(&q);
			nl_xchg(nl[ns], q.b, q.len, seq, &r);
			if (r.err && r.err != ENOENT)
				FAILF("final FLUSH %llu: %s", (unsigned long long)sess[si].id,
				      tsp_errname(r.err));
			if (!r.err)
				n_flushed++;
			sess[si].st = S_GONE;
		}
	}
	close_objs();
	{
		int64_t end = tsp_now_ms() + (int64_t)opt_drain * 1000;
		int left, weak;

		/*
		 * Sessions whose four sockets are all held by sessions (loops,
		 * chains) have no endpoint left to end them: only
		 * timeout_established or a flush does.  They must end too, but
		 * an unprivileged fuzzer cannot wait that long.
		 */
		for (;;) {
			left = weak = 0;
			for (int si = 0; si < nsess; si++)
				if (sess[si].st != S_GONE)
					sess[si].st = S_MAYBE;
			check_sessions(0, "drain");
			if (have_otherns)
				check_sessions(1, "drain (other netns)");
			for (int si = 0; si < nsess; si++) {
				left += sess[si].st != S_GONE && !sess[si].loop;
				weak += sess[si].st != S_GONE && sess[si].loop;
			}
			if (!left && !weak && opt_exclusive) {
				stats_refused(0, &active);
				left = active;
			}
			if ((!left && !weak) || tsp_now_ms() > end)
				break;
			if (!left && !nl_admin[0])
				break;
			usleep(200000);
		}
		if (left)
			FAILF("%d of our sessions still there %d s after every descriptor was closed",
			      left, opt_drain);
		if (weak)
			printf("tsp_fuzz: %d sessions left whose sockets are all spliced (loops, chains):"
			       " they end with timeout_established or a flush\n", weak);
		n_weak_left = (uint64_t)weak;
	}
	for (int h = 0; h < 2; h++) {
		if (helper_pid[h] > 0) {
			kill(helper_pid[h], SIGKILL);
			waitpid(helper_pid[h], NULL, 0);
		}
	}
	printf("fuzz requests=%llu ioctl=%llu netlink=%llu pool_ops=%llu generations=%llu "
	       "spliced=%llu refused=%llu flushed=%llu checks=%llu checks_partial=%llu "
	       "noreply_ok=%llu weak_left=%llu violations=%ld seed=%llu uid=%d secs=%lld errnos:",
	       (unsigned long long)opt_count, (unsigned long long)n_ioctl,
	       (unsigned long long)n_nl, (unsigned long long)n_ops, (unsigned long long)n_gens,
	       (unsigned long long)n_ok, (unsigned long long)n_refused,
	       (unsigned long long)n_flushed, (unsigned long long)n_checks,
	       (unsigned long long)n_overflow, (unsigned long long)n_noreply_ok, (unsigned long long)n_weak_left, nfails,
	       (unsigned long long)opt_seed, myuid,
	       (long long)((tsp_now_ms() - t0) / 1000));
	for (int k = 0; k < 160; k++)
		if (errcount[k])
			printf(" %s=%llu", tsp_errname(k), (unsigned long long)errcount[k]);
	printf("\n");
	return nfails ? 1 : 0;
}
