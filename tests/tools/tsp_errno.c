// SPDX-License-Identifier: GPL-2.0
/*
 * tsp_errno - the refusals of TCP_SPLICE_IOC_SPLICE, each with its errno.
 *
 * Builds real TCP connections over 127.0.0.1 in the current network
 * namespace (brings lo up if needed), one more in another namespace
 * (--other-ns NAME, else a fresh one from unshare(CLONE_NEWNET)), and
 * checks every refusal listed in include/uapi/linux/tcp_splice.h, plus the
 * requests that must succeed.  One line per check:
 *   ok NAME errno=E     FAIL NAME got=E want=E     skip NAME why
 * and a summary; exit 0 when no check failed.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <linux/tcp.h>
#include <linux/tcp_splice.h>

#include "common.h"

static const char *prog = "tsp_errno";
static const char *device = TCP_SPLICE_DEVICE;
static const char *other_ns;
static int dev = -1;
static int nok, nfail, nskip;

static void usage(FILE *f)
{
	fprintf(f,
"usage: tsp_errno [--other-ns NAME] [--device PATH]\n"
"\n"
"Checks every refusal of TCP_SPLICE_IOC_SPLICE with its errno (EBADF, ENOTSOCK,\n"
"EPROTONOSUPPORT, EAFNOSUPPORT, ENOTCONN, EOPNOTSUPP, ELOOP, EXDEV, EBUSY,\n"
"ENOPROTOOPT for TCP MD5, ENOSPC at max_sessions (temporarily set), EINVAL,\n"
"E2BIG, EFAULT, ENOTTY for an unknown command) and the requests that\n"
"must succeed, over real TCP connections on 127.0.0.1 in the current network\n"
"namespace.  Run it as root with the module loaded.\n"
"\n"
"  --other-ns NAME   namespace (/run/netns/NAME) for the EXDEV check\n"
"                    (default: a new one made with unshare(CLONE_NEWNET))\n"
"  --device PATH     default " TCP_SPLICE_DEVICE "\n"
"  --help            this text\n"
"\n"
"Prints  ok NAME errno=E | FAIL NAME got=E want=E | skip NAME why  per check,\n"
"then a summary; exit 0 when no check failed.\n");
}

/* ------------------------------------------------------------------ */

static void check2(const char *name, int got, int want, int want2)
{
	if (got == want || (want2 >= 0 && got == want2)) {
		printf("ok %s errno=%s\n", name, tsp_errname(got));
		nok++;
	} else {
		printf("FAIL %s got=%s", name, tsp_errname(got));
		printf(" want=%s", tsp_errname(want));
		if (want2 >= 0)
			printf("|%s", tsp_errname(want2));
		printf("\n");
		nfail++;
	}
	fflush(stdout);
}

static void check(const char *name, int got, int want)
{
	check2(name, got, want, -1);
}

static void skipped(const char *name, const char *why)
{
	printf("skip %s %s\n", name, why);
	nskip++;
}

/* The ioctl with an arbitrary argument pointer; returns 0 or the errno. */
static int splice_raw(void *arg)
{
	return ioctl(dev, TCP_SPLICE_IOC_SPLICE, arg) < 0 ? errno : 0;
}

/* Counter @name of /proc/net/stat/tcp_splice ("name value" lines), -1. */
static long long stat_counter(const char *name)
{
	FILE *f = fopen("/proc/net/stat/tcp_splice", "r");
	char line[128], n[64];
	long long v, r = -1;

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "%63s %lld", n, &v) == 2 && !strcmp(n, name))
			r = v;
	if (f)
		fclose(f);
	return r;
}

static int splice_req(int fc, int fs, uint32_t flags, uint64_t *sid)
{
	struct tcp_splice_req r;
	int e;

	memset(&r, 0, sizeof(r));
	r.size = sizeof(r);
	r.version = TCP_SPLICE_ABI_VERSION;
	r.fd_client = fc;
	r.fd_server = fs;
	r.flags = flags;
	r.session_id = ~0ULL;
	e = splice_raw(&r);
	if (sid)
		*sid = r.session_id;
	return e;
}

/* ------------------------------------------------------------------ */

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
		if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
			fprintf(stderr, "%s: cannot bring lo up: %s\n", prog, strerror(errno));
	}
	close(s);
}

struct listener {
	int fd;
	int family;
	struct sockaddr_storage addr;
	socklen_t len;
};

static int make_listener(struct listener *l, int family, int backlog)
{
	int one = 1;

	memset(l, 0, sizeof(*l));
	l->family = family;
	l->fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l->fd < 0)
		return -1;
	setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (family == AF_INET) {
		struct sockaddr_in *a = (void *)&l->addr;

		a->sin_family = AF_INET;
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		l->len = sizeof(*a);
	} else {
		struct sockaddr_in6 *a = (void *)&l->addr;

		a->sin6_family = AF_INET6;
		a->sin6_addr = in6addr_loopback;
		l->len = sizeof(*a);
		setsockopt(l->fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	}
	if (bind(l->fd, (void *)&l->addr, l->len) < 0 || listen(l->fd, backlog) < 0 ||
	    getsockname(l->fd, (void *)&l->addr, &l->len) < 0) {
		close(l->fd);
		l->fd = -1;
		return -1;
	}
	return 0;
}

/*
 * A connection to @l from a socket of @family/@proto (to @to if given):
 * *c = the connecting end, *a = the accepted end.
 */
static int est_conn_to(struct listener *l, int family, int proto, const struct sockaddr *to,
		       socklen_t tolen, int *c, int *a)
{
	*a = -1;
	*c = socket(family, SOCK_STREAM | SOCK_CLOEXEC, proto);
	if (*c < 0)
		return -1;
	if (connect(*c, to ? to : (void *)&l->addr, to ? tolen : l->len) < 0) {
		close(*c);
		*c = -1;
		return -1;
	}
	*a = accept4(l->fd, NULL, NULL, SOCK_CLOEXEC);
	if (*a < 0) {
		close(*c);
		*c = -1;
		return -1;
	}
	return 0;
}

static struct listener L4;

static void est_conn(int *c, int *a)
{
	if (est_conn_to(&L4, AF_INET, 0, NULL, 0, c, a) < 0)
		tsp_die(prog, "cannot set up a TCP connection on 127.0.0.1: %s", strerror(errno));
}

/*
 * A pair as a proxy holds it: *fc accepted from a client, *fs connected to
 * a server (two distinct connections; their other ends stay open).
 */
static void proxy_pair(int *fc, int *fs)
{
	int c1, a2;

	est_conn(&c1, fc);
	est_conn(fs, &a2);
}

/* A fresh socket accepted from a client / connected to a server. */
static int FC(void)
{
	int c, a;

	est_conn(&c, &a);
	return a;
}

static int FS(void)
{
	int c, a;

	est_conn(&c, &a);
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

/* Wait (up to 2 s) for @fd to reach TCP state @st (TCP_ESTABLISHED = 1 ...). */
static int wait_state(int fd, int st)
{
	for (int i = 0; i < 200; i++) {
		if (tcp_state(fd) == st)
			return 0;
		usleep(10000);
	}
	return -1;
}

/* An established connection in another network namespace; -1 on failure. */
static int foreign_socket(char *why, size_t wlen)
{
	int self, ns, c = -1, a = -1;
	struct listener l;

	self = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
	if (self < 0) {
		snprintf(why, wlen, "open own netns: %s", strerror(errno));
		return -1;
	}
	if (other_ns) {
		char path[256];

		snprintf(path, sizeof(path), "/run/netns/%s", other_ns);
		ns = open(path, O_RDONLY | O_CLOEXEC);
		if (ns < 0) {
			snprintf(path, sizeof(path), "/var/run/netns/%s", other_ns);
			ns = open(path, O_RDONLY | O_CLOEXEC);
		}
		if (ns < 0 || setns(ns, CLONE_NEWNET) < 0) {
			snprintf(why, wlen, "enter netns %s: %s", other_ns, strerror(errno));
			if (ns >= 0)
				close(ns);
			close(self);
			return -1;
		}
		close(ns);
	} else if (unshare(CLONE_NEWNET) < 0) {
		snprintf(why, wlen, "unshare(CLONE_NEWNET): %s", strerror(errno));
		close(self);
		return -1;
	}
	lo_up();
	if (make_listener(&l, AF_INET, 16) == 0) {
		if (est_conn_to(&l, AF_INET, 0, NULL, 0, &c, &a) < 0)
			snprintf(why, wlen, "connection in the other netns: %s", strerror(errno));
		close(l.fd);
	} else {
		snprintf(why, wlen, "listener in the other netns: %s", strerror(errno));
	}
	if (setns(self, CLONE_NEWNET) < 0)
		tsp_die(prog, "cannot return to the original netns: %s", strerror(errno));
	close(self);
	return a;	/* c stays open: the peer of a */
}

/* ------------------------------------------------------------------ */

int main(int argc, char **argv)
{
	int fc, fs, c, a, p[2], bad;
	uint64_t sid1 = 0, sid2 = 0, sid3 = 0;
	char why[160];

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		} else if (!strcmp(argv[i], "--other-ns") && i + 1 < argc) {
			other_ns = argv[++i];
		} else if (!strcmp(argv[i], "--device") && i + 1 < argc) {
			device = argv[++i];
		} else {
			usage(stderr);
			return 2;
		}
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	dev = open(device, O_RDWR | O_CLOEXEC);
	if (dev < 0)
		tsp_die(prog, "open %s: %s", device, strerror(errno));
	lo_up();
	if (make_listener(&L4, AF_INET, 64) < 0)
		tsp_die(prog, "listener on 127.0.0.1: %s", strerror(errno));

	/* --- request format: one pair, refused again and again ------------ */
	proxy_pair(&fc, &fs);
	{
		struct tcp_splice_req r;
		uint8_t big[4096];

#define REQ() do { memset(&r, 0, sizeof(r)); r.size = sizeof(r); \
		r.version = TCP_SPLICE_ABI_VERSION; r.fd_client = fc; r.fd_server = fs; } while (0)
		REQ(); r.size = 0;		check("einval-size-0", splice_raw(&r), EINVAL);
		REQ(); r.size = 16;		check("einval-size-16", splice_raw(&r), EINVAL);
		REQ(); r.size = TCP_SPLICE_REQ_SIZE_VER1 - 1;
						check("einval-size-31", splice_raw(&r), EINVAL);
		REQ(); r.version = 0;		check("einval-version-0", splice_raw(&r), EINVAL);
		REQ(); r.version = TCP_SPLICE_ABI_VERSION + 1;
						check("einval-version-next", splice_raw(&r), EINVAL);
		REQ(); r.flags = 1U << 1;	check("einval-flags-bit1", splice_raw(&r), EINVAL);
		REQ(); r.flags = TCP_SPLICE_F_DRAINED | (1U << 31);
						check("einval-flags-bit31", splice_raw(&r), EINVAL);
		REQ(); r.reserved = 1;		check("einval-reserved", splice_raw(&r), EINVAL);

		/* larger than known: non-zero tail -> E2BIG */
		memset(big, 0, sizeof(big));
		REQ(); r.size = 40;
		memcpy(big, &r, sizeof(r));
		big[36] = 1;
		check("e2big-size-40", splice_raw(big), E2BIG);
		big[36] = 0;
		r.size = sizeof(big);
		memcpy(big, &r, sizeof(r));
		big[sizeof(big) - 1] = 0x80;
		check("e2big-size-4096", splice_raw(big), E2BIG);

		/* bad pointers -> EFAULT */
		check("efault-null", splice_raw(NULL), EFAULT);
		{
			long pg = sysconf(_SC_PAGESIZE);
			uint8_t *m = mmap(NULL, (size_t)pg * 2, PROT_READ | PROT_WRITE,
					  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

			if (m == MAP_FAILED)
				tsp_die(prog, "mmap: %s", strerror(errno));
			munmap(m + pg, (size_t)pg);
			check("efault-unmapped", splice_raw(m + pg), EFAULT);
			/* the 32 known bytes readable, the declared tail not */
			REQ(); r.size = 40;
			memcpy(m + pg - sizeof(r), &r, sizeof(r));
			check("efault-tail", splice_raw(m + pg - sizeof(r)), EFAULT);
			/* known bytes straddling into the unmapped page */
			REQ();
			memcpy(m + pg - 16, &r, 16);
			check("efault-straddle", splice_raw(m + pg - 16), EFAULT);
			munmap(m, (size_t)pg);
		}
		check("enotty-unknown-cmd",
		      ioctl(dev, _IOWR(TCP_SPLICE_IOC_MAGIC, 0x7f, struct tcp_splice_req), &r) < 0 ?
		      errno : 0, ENOTTY);
#undef REQ
	}
	/* every refusal above left the pair alone: it still splices */
	check("ok-drained-after-refusals", splice_req(fc, fs, TCP_SPLICE_F_DRAINED, &sid1), 0);
	if (sid1 == ~0ULL) {
		printf("FAIL session-id-written got=unchanged want=an id\n");
		nfail++;
	}

	/* --- already spliced -------------------------------------------- */
	{
		int fc2, fs2;

		proxy_pair(&fc2, &fs2);
		check("ebusy-client", splice_req(fc, fs2, TCP_SPLICE_F_DRAINED, NULL), EBUSY);
		check("ebusy-server", splice_req(fc2, fs, TCP_SPLICE_F_DRAINED, NULL), EBUSY);
		check("ebusy-both", splice_req(fc, fs, TCP_SPLICE_F_DRAINED, NULL), EBUSY);
		check("ebusy-swapped", splice_req(fs, fc2, 0, NULL), EBUSY);
		/* the unspliced ones were not taken by the refused requests */
		check("ok-legacy", splice_req(fc2, fs2, 0, &sid2), 0);
		/* a legacy-spliced pair is busy too */
		check("ebusy-legacy-client", splice_req(fc2, FS(), 0, NULL), EBUSY);
		check("ebusy-legacy-server", splice_req(FC(), fs2, TCP_SPLICE_F_DRAINED, NULL), EBUSY);
	}
	{
		struct tcp_splice_req r[2];
		int fc3, fs3;

		proxy_pair(&fc3, &fs3);
		memset(r, 0, sizeof(r));
		r[0].size = 40;
		r[0].version = TCP_SPLICE_ABI_VERSION;
		r[0].fd_client = fc3;
		r[0].fd_server = fs3;
		r[0].flags = TCP_SPLICE_F_DRAINED;
		check("ok-size-40-zero-tail", splice_raw(r), 0);
		sid3 = r[0].session_id;
	}
	if (sid1 == sid2 || sid2 == sid3 || sid1 == sid3) {
		printf("FAIL session-ids-distinct got=%llu,%llu,%llu\n", (unsigned long long)sid1,
		       (unsigned long long)sid2, (unsigned long long)sid3);
		nfail++;
	} else {
		printf("ok session-ids-distinct ids=%llu,%llu,%llu\n", (unsigned long long)sid1,
		       (unsigned long long)sid2, (unsigned long long)sid3);
		nok++;
	}

	/*
	 * --- descriptors ----------------------------------------------------
	 * The pair (fc, fs) serves the descriptor checks and is spliced at the
	 * end; the other checks pair their odd socket with a fresh one, so that
	 * a wrong success does not spoil the checks after it.
	 */
	proxy_pair(&fc, &fs);
	bad = dup(fs);
	close(bad);		/* a number that is certainly not open */
	check("ebadf-client", splice_req(bad, fs, 0, NULL), EBADF);
	check("ebadf-server", splice_req(fc, bad, 0, NULL), EBADF);
	check("ebadf-negative", splice_req(-1, fs, 0, NULL), EBADF);
	if (pipe2(p, O_CLOEXEC) < 0)
		tsp_die(prog, "pipe: %s", strerror(errno));
	check("enotsock-pipe-client", splice_req(p[0], fs, 0, NULL), ENOTSOCK);
	check("enotsock-pipe-server", splice_req(fc, p[1], 0, NULL), ENOTSOCK);
	check("enotsock-device", splice_req(fc, dev, 0, NULL), ENOTSOCK);

	/* --- socket kinds ----------------------------------------------------- */
	{
		int u = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

		if (u < 0 || connect(u, (void *)&L4.addr, L4.len) < 0)
			tsp_die(prog, "UDP socket: %s", strerror(errno));
		check("eprotonosupport-udp", splice_req(FC(), u, 0, NULL), EPROTONOSUPPORT);
		check("eprotonosupport-udp-client", splice_req(u, FS(), 0, NULL), EPROTONOSUPPORT);
	}
	{
		int sv[2];

		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
			tsp_die(prog, "socketpair: %s", strerror(errno));
		/* not IPv4 and not TCP: either errno is right */
		check2("eafnosupport-unix", splice_req(FC(), sv[0], 0, NULL), EAFNOSUPPORT,
		       EPROTONOSUPPORT);
	}
	{
		struct listener l6;

		int c2, a2;

		if (make_listener(&l6, AF_INET6, 16) < 0) {
			skipped("eafnosupport-ipv6", "no IPv6 loopback");
		} else if (est_conn_to(&l6, AF_INET6, 0, NULL, 0, &c, &a) < 0 ||
			   est_conn_to(&l6, AF_INET6, 0, NULL, 0, &c2, &a2) < 0) {
			skipped("eafnosupport-ipv6", "IPv6 connect failed");
		} else {
			/* one connection IPv4, the other IPv6: no translation
			 * between the families
			 */
			check("eafnosupport-ipv6-server", splice_req(FC(), c, 0, NULL), EAFNOSUPPORT);
			check("eafnosupport-ipv6-client", splice_req(a, FS(), 0, NULL), EAFNOSUPPORT);
			/* both IPv6: spliced */
			check("ok-ipv6-pair", splice_req(a, c2, TCP_SPLICE_F_DRAINED, NULL), 0);
			check("ebusy-ipv6-again", splice_req(a, c2, TCP_SPLICE_F_DRAINED, NULL), EBUSY);
		}
	}
	{
		/* an AF_INET6 socket talking IPv4 (v4-mapped) is an IPv4
		 * connection on the wire: spliced with an IPv4 socket
		 */
		struct sockaddr_in6 m;
		struct sockaddr_in *l4 = (void *)&L4.addr;

		memset(&m, 0, sizeof(m));
		m.sin6_family = AF_INET6;
		m.sin6_port = l4->sin_port;
		m.sin6_addr.s6_addr[10] = 0xff;
		m.sin6_addr.s6_addr[11] = 0xff;
		memcpy(&m.sin6_addr.s6_addr[12], &l4->sin_addr, 4);
		if (est_conn_to(&L4, AF_INET6, 0, (void *)&m, sizeof(m), &c, &a) < 0)
			skipped("ok-v4mapped", "v4-mapped connect failed");
		else
			check("ok-v4mapped", splice_req(FC(), c, TCP_SPLICE_F_DRAINED, NULL), 0);
	}
	{
		/* MPTCP: a TCP-like stream socket that is not TCP */
		if (est_conn_to(&L4, AF_INET, 262 /* IPPROTO_MPTCP */, NULL, 0, &c, &a) < 0)
			skipped("eprotonosupport-mptcp", "no MPTCP");
		else
			check("eprotonosupport-mptcp", splice_req(FC(), c, 0, NULL), EPROTONOSUPPORT);
	}
	{
		/* kTLS: a TCP socket with an upper layer protocol */
		est_conn(&c, &a);
		if (setsockopt(c, IPPROTO_TCP, TCP_ULP, "tls", sizeof("tls")) < 0) {
			snprintf(why, sizeof(why), "TCP_ULP tls: %s", strerror(errno));
			skipped("eprotonosupport-ktls", why);
		} else {
			check("eprotonosupport-ktls", splice_req(FC(), c, 0, NULL), EPROTONOSUPPORT);
		}
	}

	/* --- socket states ------------------------------------------------ */
	{
		int t = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

		check("enotconn-unconnected", splice_req(t, FS(), 0, NULL), ENOTCONN);
		check("eopnotsupp-listening", splice_req(L4.fd, FS(), 0, NULL), EOPNOTSUPP);
		check("eopnotsupp-listening-server", splice_req(FC(), L4.fd, 0, NULL), EOPNOTSUPP);
	}
	{
		/* SYN_SENT: the accept queue of a backlog-0 listener is full */
		struct listener lz;
		int c1, a1, s2;

		if (make_listener(&lz, AF_INET, 0) < 0 ||
		    est_conn_to(&lz, AF_INET, 0, NULL, 0, &c1, &a1) < 0) {
			skipped("enotconn-syn-sent", "setup failed");
		} else {
			int c2 = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

			(void)a1;
			/* refill the queue: a1 was accepted, take one more slot */
			s2 = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
			if (connect(s2, (void *)&lz.addr, lz.len) < 0)
				s2 = -1;
			if (connect(c2, (void *)&lz.addr, lz.len) < 0 && errno != EINPROGRESS)
				c2 = -1;
			usleep(50000);
			if (c2 < 0 || tcp_state(c2) != 2 /* TCP_SYN_SENT */)
				skipped("enotconn-syn-sent", "could not hold a socket in SYN_SENT");
			else
				check("enotconn-syn-sent", splice_req(FC(), c2, 0, NULL), ENOTCONN);
		}
	}
	{
		/* half-closed by us: FIN_WAIT */
		est_conn(&c, &a);
		shutdown(c, SHUT_WR);
		check("enotconn-shut-wr", splice_req(FC(), c, 0, NULL), ENOTCONN);
		/* half-closed by the peer (CLOSE_WAIT) is accepted: a client
		 * that sent its request and shut down its side.  Two such
		 * sockets are not: nothing would ever flow.
		 */
		{
			int c2, a2;

			est_conn(&c, &a);
			shutdown(c, SHUT_WR);
			est_conn(&c2, &a2);
			shutdown(c2, SHUT_WR);
			if (wait_state(a, 8 /* TCP_CLOSE_WAIT */) < 0 ||
			    wait_state(a2, 8) < 0)
				skipped("enotconn-both-close-wait", "peer FIN not seen");
			else
				check("enotconn-both-close-wait",
				      splice_req(a, a2, 0, NULL), ENOTCONN);
			/* ... and one of them with an established partner is fine */
			if (tcp_state(a) == 8)
				check("ok-one-close-wait", splice_req(a, FS(), 0, NULL), 0);
		}
		/* reset */
		est_conn(&c, &a);
		{
			struct linger lg = { .l_onoff = 1, .l_linger = 0 };

			setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
			close(c);
		}
		if (wait_state(a, 7 /* TCP_CLOSE */) < 0)
			skipped("enotconn-reset", "peer RST not seen");
		else
			check("enotconn-reset", splice_req(a, FS(), 0, NULL), ENOTCONN);
	}
	{
		/* the same socket twice */
		int d = dup(fc);

		check("eloop-same-fd", splice_req(fc, fc, 0, NULL), ELOOP);
		check("eloop-dup", splice_req(fc, d, 0, NULL), ELOOP);
		check("eloop-dup-server", splice_req(d, fc, TCP_SPLICE_F_DRAINED, NULL), ELOOP);
	}
	{
		int x = foreign_socket(why, sizeof(why));

		if (x < 0) {
			printf("FAIL exdev-setup %s\n", why);
			nfail++;
		} else {
			check("exdev-server", splice_req(FC(), x, 0, NULL), EXDEV);
			check("exdev-client", splice_req(x, FS(), TCP_SPLICE_F_DRAINED, NULL), EXDEV);
		}
	}
	{
		/* TCP MD5 signatures cannot be translated: ENOPROTOOPT */
		struct listener lm;
		struct tcp_md5sig md5;
		struct sockaddr_in *sin = (void *)&md5.tcpm_addr;
		int cm, am;

		memset(&md5, 0, sizeof(md5));
		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		md5.tcpm_keylen = 8;
		memcpy(md5.tcpm_key, "tsp-key!", 8);
		cm = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (make_listener(&lm, AF_INET, 4) < 0 || cm < 0 ||
		    setsockopt(lm.fd, IPPROTO_TCP, TCP_MD5SIG, &md5, sizeof(md5)) < 0 ||
		    setsockopt(cm, IPPROTO_TCP, TCP_MD5SIG, &md5, sizeof(md5)) < 0) {
			snprintf(why, sizeof(why), "TCP_MD5SIG: %s", strerror(errno));
			skipped("enoprotoopt-md5", why);
		} else if (connect(cm, (void *)&lm.addr, lm.len) < 0 ||
			   (am = accept4(lm.fd, NULL, NULL, SOCK_CLOEXEC)) < 0) {
			snprintf(why, sizeof(why), "MD5 connection: %s", strerror(errno));
			skipped("enoprotoopt-md5", why);
		} else {
			check("enoprotoopt-md5-client", splice_req(am, FS(), 0, NULL), ENOPROTOOPT);
			check("enoprotoopt-md5-server", splice_req(FC(), cm, 0, NULL), ENOPROTOOPT);
		}
	}
	{
		/* the namespace's max_sessions limit: ENOSPC */
		const char *ms = "/proc/sys/net/tcp_splice/max_sessions";
		FILE *f = fopen("/proc/net/tcp_splice_conn", "r");
		char line[256], old[32] = "0";
		int live = -1;

		while (f && fgets(line, sizeof(line), f))
			live++;
		if (f)
			fclose(f);
		f = fopen(ms, "r");
		if (!f || !fgets(old, sizeof(old), f) || live < 1) {
			skipped("enospc-max-sessions", "no max_sessions knob or no session listed");
		} else {
			int fc4, fs4;
			FILE *w = fopen(ms, "w");

			proxy_pair(&fc4, &fs4);
			if (w) {
				fprintf(w, "%d\n", live);
				if (fclose(w))
					w = NULL;
			}
			if (!w) {
				snprintf(why, sizeof(why), "cannot write %s", ms);
				skipped("enospc-max-sessions", why);
			} else {
				long long full0 = stat_counter("refused_table_full");

				check("enospc-max-sessions", splice_req(fc4, fs4, 0, NULL), ENOSPC);
				/* counted as such, once */
				check("enospc-counted", (int)(stat_counter("refused_table_full") - full0), 1);
				w = fopen(ms, "w");
				if (!w || fputs(old, w) < 0 || fclose(w))
					tsp_die(prog, "cannot restore %s", ms);
				check("ok-after-enospc", splice_req(fc4, fs4, 0, NULL), 0);
			}
		}
		if (f)
			fclose(f);
	}

	/* and this pair, refused so often, still splices */
	check("ok-after-fd-refusals", splice_req(fc, fs, 0, NULL), 0);

	printf("tsp_errno: %d ok, %d failed, %d skipped\n", nok, nfail, nskip);
	return nfail ? 1 : 0;
}
