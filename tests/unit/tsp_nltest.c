// SPDX-License-Identifier: GPL-2.0
/*
 * tsp_nltest - test program of the control plane (VM cases 5x), built on
 * the shared libtcpsplice (tcpsplice.h) and, for malformed requests, on
 * libnl directly.
 *
 *   tsp_nltest proxy [opts] LISTEN_PORT SERVER_IP SERVER_PORT
 *       accept, connect, splice with tcpsplice_splice (netlink or ioctl)
 *   tsp_nltest errnos
 *       every refusal of SPLICE, through netlink and through the ioctl:
 *       the same errno both ways
 *   tsp_nltest raw
 *       malformed requests: precise errno and extack for each
 *   tsp_nltest fuzz N [--seed S] [--id ID]
 *       N random and mutated requests; every one must be answered
 *   tsp_nltest threads N
 *       N threads share one handle (stats, dump, events) for a while
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <sys/un.h>

#include <linux/genetlink.h>
#include <linux/netlink.h>
#include <linux/tcp_splice.h>
#include <netlink/attr.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>

#include <tcpsplice.h>

#include "tsu.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

static void usage(void)
{
	fprintf(stderr,
"usage: tsp_nltest proxy [options] LISTEN_PORT SERVER_IP SERVER_PORT\n"
"         --via auto|netlink|ioctl   (default netlink)\n"
"         --mode drained|legacy      (default drained)\n"
"         --hold-resp N   legacy: server bytes held across the call\n"
"         --count N       sessions, one after the other (default 1)\n"
"         --keep          drained: keep the fds open until exit\n"
"         --stay          after the last session, wait for SIGTERM\n"
"         --timeout S     (default 60)\n"
"         --ready-file F  --spliced-file F  --ids-file F (one id per line)\n"
"       tsp_nltest errnos | raw | fuzz N [--seed S] [--id ID] | threads N\n");
	exit(2);
}

/* ======================================================================== */
/* proxy                                                                     */
/* ======================================================================== */

static volatile sig_atomic_t got_term;
static void on_term(int s)
{
	(void)s;
	got_term = 1;
}

static int connect_to(const struct sockaddr_in *sa)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int cmd_proxy(int argc, char **argv)
{
	const char *via = "netlink", *ready = NULL, *spliced = NULL, *ids = NULL;
	int legacy = 0, count = 1, keep = 0, stay = 0, timeout = 60, i, lfd, one = 1;
	int oflags, fails = 0;
	size_t hold = 0;
	struct sockaddr_in la = { .sin_family = AF_INET }, sa = { .sin_family = AF_INET };
	struct tcpsplice_handle *h;
	FILE *idf = NULL;

	for (i = 0; i < argc && argv[i][0] == '-'; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(o, "--keep")) {
			keep = 1;
			continue;
		}
		if (!strcmp(o, "--stay")) {
			stay = 1;
			continue;
		}
		if (!v)
			usage();
		if (!strcmp(o, "--via"))
			via = v;
		else if (!strcmp(o, "--mode"))
			legacy = !strcmp(v, "legacy");
		else if (!strcmp(o, "--hold-resp"))
			hold = (size_t)atol(v);
		else if (!strcmp(o, "--count"))
			count = atoi(v);
		else if (!strcmp(o, "--timeout"))
			timeout = atoi(v);
		else if (!strcmp(o, "--ready-file"))
			ready = v;
		else if (!strcmp(o, "--spliced-file"))
			spliced = v;
		else if (!strcmp(o, "--ids-file"))
			ids = v;
		else
			usage();
		i++;
	}
	if (argc - i != 3)
		usage();
	if (hold > TSU_BUF)
		hold = TSU_BUF;
	la.sin_port = htons((uint16_t)atoi(argv[i]));
	if (inet_pton(AF_INET, argv[i + 1], &sa.sin_addr) != 1)
		usage();
	sa.sin_port = htons((uint16_t)atoi(argv[i + 2]));

	if (!strcmp(via, "netlink"))
		oflags = TCPSPLICE_OPEN_NETLINK_ONLY;
	else if (!strcmp(via, "ioctl"))
		oflags = TCPSPLICE_OPEN_IOCTL_ONLY;
	else if (!strcmp(via, "auto"))
		oflags = 0;
	else
		usage();
	h = tcpsplice_open(oflags);
	if (!h) {
		fprintf(stderr, "tsp_nltest: tcpsplice_open: %s (%s)\n", strerror(errno),
			tsu_errname(errno));
		printf("nl open=%s\n", tsu_errname(errno));
		return 1;
	}
	if (ids) {
		idf = fopen(ids, "w");
		if (!idf)
			return 1;
		setvbuf(idf, NULL, _IOLBF, 0);
	}
	signal(SIGPIPE, SIG_IGN);
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&la, sizeof(la)) < 0 ||
	    listen(lfd, 256) < 0) {
		perror("tsp_nltest: listen");
		return 1;
	}
	tsu_touch(ready);
	for (i = 1; i <= count && !got_term; i++) {
		static struct tsu_dir d[2];
		uint64_t id = 0;
		int cli, srv, e;

		cli = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (cli < 0) {
			if (errno == EINTR)
				break;
			perror("tsp_nltest: accept");
			return 1;
		}
		srv = connect_to(&sa);
		if (srv < 0) {
			perror("tsp_nltest: connect");
			return 1;
		}
		tsu_dir_init(&d[0], cli, srv);
		tsu_dir_init(&d[1], srv, cli);
		if (legacy) {
			/* read `hold` bytes of the server, unsent at the call */
			while (d[1].len < hold) {
				ssize_t k = read(srv, d[1].buf + d[1].len, hold - d[1].len);

				if (k <= 0)
					break;
				d[1].len += (size_t)k;
			}
		}
		e = tcpsplice_splice(h, cli, srv, legacy ? TCPSPLICE_SPLICE_LEGACY : TCPSPLICE_SPLICE_DRAINED,
			       &id);
		printf("nl session=%d via=%s mode=%s splice=%s id=%llu extack='%s'\n",
		       i, tcpsplice_has_netlink(h) ? "netlink" : "ioctl",
		       legacy ? "legacy" : "drained", tsu_errname(e),
		       (unsigned long long)id, e ? tcpsplice_last_extack(h) : "");
		fflush(stdout);
		if (e)
			fails++;
		if (idf && !e)
			fprintf(idf, "%llu\n", (unsigned long long)id);
		if (i == count)
			tsu_touch(spliced);
		if (legacy) {
			int r;

			tsu_nonblock(cli);
			tsu_nonblock(srv);
			r = tsu_relay(d, timeout * 1000);
			printf("nl session=%d relay=%s held=%zu after_c2s=%llu after_s2c=%llu\n",
			       i, tsu_errname(r), hold,
			       (unsigned long long)d[0].in,
			       (unsigned long long)(d[1].out > hold ? d[1].out - hold : 0));
			fflush(stdout);
			if (r)
				fails++;
			close(cli);
			close(srv);
		} else if (!keep) {
			close(cli);
			close(srv);
		}
	}
	if (stay)
		while (!got_term)
			pause();
	if (idf)
		fclose(idf);
	tcpsplice_close(h);
	printf("nl sessions=%d failed=%d\n", count, fails);
	return fails ? 1 : 0;
}

/* ======================================================================== */
/* errnos: the same refusals through netlink and the ioctl                  */
/* ======================================================================== */

static int tcp_pair(int lfd, int *c, int *a)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);

	getsockname(lfd, (struct sockaddr *)&sa, &sl);
	*c = connect_to(&sa);
	*a = *c < 0 ? -1 : accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	return *c < 0 || *a < 0 ? -1 : 0;
}

static int check_both(struct tcpsplice_handle *nl, struct tcpsplice_handle *io,
		      const char *name, int cli, int srv, int want)
{
	int a = tcpsplice_splice(nl, cli, srv, TCPSPLICE_SPLICE_DRAINED, NULL);
	const char *ext = tcpsplice_last_extack(nl);
	char extb[256];
	int b, ok;

	snprintf(extb, sizeof(extb), "%s", a ? ext : "");
	b = tcpsplice_splice(io, cli, srv, TCPSPLICE_SPLICE_DRAINED, NULL);
	ok = a == -want && b == -want;
	/* the kernel says why, in the refusal's own words (not the message
	 * of a drained copy that failed) */
	if (want && (!*extb || strstr(extb, "unread")))
		ok = 0;
	printf("%s %s netlink=%s ioctl=%s expected=%s extack='%s'\n",
	       ok ? "ok" : "FAIL", name, tsu_errname(a), tsu_errname(b),
	       tsu_errname(want), extb);
	return ok ? 0 : 1;
}

static int cmd_errnos(void)
{
	struct sockaddr_in lo = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct tcpsplice_handle *nl = tcpsplice_open(TCPSPLICE_OPEN_NETLINK_ONLY);
	struct tcpsplice_handle *io = tcpsplice_open(TCPSPLICE_OPEN_IOCTL_ONLY);
	int lfd, c1, a1, c2, a2, fresh, udp, unx, v6, devnull, bad = 0;
	struct tcpsplice_filter f = { .mask = TCPSPLICE_FILTER_ID };
	uint64_t id = 0;
	int e;

	if (!nl || !io) {
		printf("FAIL open: %s\n", tsu_errname(errno));
		return 1;
	}
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&lo, sizeof(lo)) < 0 ||
	    listen(lfd, 8) < 0 || tcp_pair(lfd, &c1, &a1) < 0 ||
	    tcp_pair(lfd, &c2, &a2) < 0) {
		printf("FAIL setup: %s\n", strerror(errno));
		return 1;
	}
	fresh = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	udp = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	unx = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	v6 = socket(AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	devnull = open("/dev/null", O_RDWR | O_CLOEXEC);

	bad += check_both(nl, io, "ebadf", 9999, a1, EBADF);
	bad += check_both(nl, io, "ebadf_server", a1, 9999, EBADF);
	bad += check_both(nl, io, "enotsock", devnull, a1, ENOTSOCK);
	bad += check_both(nl, io, "listening", lfd, a1, EOPNOTSUPP);
	bad += check_both(nl, io, "not_connected", fresh, a1, ENOTCONN);
	bad += check_both(nl, io, "same_socket", a1, a1, ELOOP);
	bad += check_both(nl, io, "udp", udp, a1, EPROTONOSUPPORT);
	bad += check_both(nl, io, "unix", unx, a1, EAFNOSUPPORT);
	if (v6 >= 0)
		/* IPv6 is spliced (with IPv6); this one is not connected */
		bad += check_both(nl, io, "ipv6_unconnected", v6, a1, ENOTCONN);

	/* One real splice through netlink, then EBUSY both ways. */
	e = tcpsplice_splice(nl, a1, c2, TCPSPLICE_SPLICE_DRAINED, &id);
	printf("%s splice_ok netlink=%s id=%llu\n", !e && id ? "ok" : "FAIL",
	       tsu_errname(e), (unsigned long long)id);
	bad += !(!e && id);
	if (!e) {
		struct tcpsplice_session_info s;

		bad += check_both(nl, io, "busy", a1, a2, EBUSY);
		bad += check_both(nl, io, "busy_server", c1, c2, EBUSY);
		e = tcpsplice_get(nl, id, &s);
		printf("%s get_own netlink=%s id=%llu\n", !e && s.id == id ? "ok" : "FAIL",
		       tsu_errname(e), (unsigned long long)s.id);
		bad += !(!e && s.id == id);
		f.id = id;
		e = tcpsplice_flush(nl, &f);
		printf("%s flush_own netlink=%s (needs root)\n", !e ? "ok" : "FAIL",
		       tsu_errname(e));
		bad += e != 0;
		e = tcpsplice_get(nl, id, &s);
		printf("%s get_flushed netlink=%s extack='%s'\n", e == -ENOENT ? "ok" : "FAIL",
		       tsu_errname(e), tcpsplice_last_extack(nl));
		bad += e != -ENOENT;
	}
	/* Library-side checks (never reach the kernel). */
	e = tcpsplice_splice(nl, -1, a1, 0, NULL);
	printf("%s lib_negative_fd %s\n", e == -EBADF ? "ok" : "FAIL", tsu_errname(e));
	bad += e != -EBADF;
	e = tcpsplice_splice(nl, a1, a2, 0x80, NULL);
	printf("%s lib_bad_flag %s\n", e == -EINVAL ? "ok" : "FAIL", tsu_errname(e));
	bad += e != -EINVAL;
	printf("errnos failed=%d\n", bad);
	tcpsplice_close(nl);
	tcpsplice_close(io);
	return bad ? 1 : 0;
}

/* ======================================================================== */
/* raw: malformed requests                                                   */
/* ======================================================================== */

struct rres {
	int done, err, replies;
	char extack[256];
};

static int r_valid(struct nl_msg *m, void *arg)
{
	(void)m;
	((struct rres *)arg)->replies++;
	return NL_OK;
}

static int r_ack(struct nl_msg *m, void *arg)
{
	(void)m;
	((struct rres *)arg)->done = 1;
	return NL_STOP;
}

static int r_finish(struct nl_msg *m, void *arg)
{
	(void)m;
	((struct rres *)arg)->done = 1;
	return NL_STOP;
}

static int r_err(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	static struct nla_policy pol[NLMSGERR_ATTR_MAX + 1] = {
		[NLMSGERR_ATTR_MSG] = { .type = NLA_STRING },
		[NLMSGERR_ATTR_MISS_TYPE] = { .type = NLA_U32 },
	};
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	struct rres *r = arg;
	int off = sizeof(*e), alen;

	(void)nla;
	r->done = 1;
	r->err = -e->error;
	r->extack[0] = 0;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += NLMSG_ALIGN(e->msg.nlmsg_len) - NLMSG_HDRLEN;
	alen = (int)nlh->nlmsg_len - NLMSG_HDRLEN - off;
	if ((nlh->nlmsg_flags & NLM_F_ACK_TLVS) && alen > 0 &&
	    nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)((char *)e + off), alen,
		      pol) >= 0) {
		if (tb[NLMSGERR_ATTR_MSG])
			nla_strlcpy(r->extack, tb[NLMSGERR_ATTR_MSG], sizeof(r->extack));
		if (tb[NLMSGERR_ATTR_MISS_TYPE]) {
			size_t l = strlen(r->extack);

			snprintf(r->extack + l, sizeof(r->extack) - l, "%smissing-type=%u",
				 l ? " " : "", nla_get_u32(tb[NLMSGERR_ATTR_MISS_TYPE]));
		}
	}
	return NL_STOP;
}

static int r_seq_ok(struct nl_msg *m, void *arg)
{
	(void)m;
	(void)arg;
	return NL_OK;
}

static struct nl_sock *raw_sock(int *family)
{
	struct nl_sock *sk = nl_socket_alloc();
	struct timeval tv = { 2, 0 };
	int one = 1;

	if (!sk || genl_connect(sk) < 0)
		return NULL;
	*family = genl_ctrl_resolve(sk, TCP_SPLICE_GENL_NAME);
	if (*family < 0)
		return NULL;
	/* raw messages carry their own sequence numbers: no checks */
	nl_socket_disable_seq_check(sk);
	nl_socket_disable_auto_ack(sk);
	setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_CAP_ACK, &one, sizeof(one));
	setsockopt(nl_socket_get_fd(sk), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	return sk;
}

/* Send the raw bytes buf (a complete netlink message) and read the answer. */
static void raw_send(struct nl_sock *sk, const void *buf, size_t len, struct rres *r)
{
	struct nl_cb *cb = nl_cb_alloc(NL_CB_CUSTOM);

	memset(r, 0, sizeof(*r));
	nl_cb_set(cb, NL_CB_SEQ_CHECK, NL_CB_CUSTOM, r_seq_ok, NULL);
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, r_valid, r);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, r_ack, r);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, r_finish, r);
	nl_cb_err(cb, NL_CB_CUSTOM, r_err, r);
	if (nl_sendto(sk, (void *)buf, len) < 0) {
		r->err = -1;
		nl_cb_put(cb);
		return;
	}
	while (!r->done) {
		int e = nl_recvmsgs(sk, cb);

		if (e < 0 && !r->done) {
			/* -2: no answer within 2 s; -3: libnl refused the answer */
			r->err = e == -NLE_AGAIN ? -2 : -3;
			break;
		}
	}
	nl_cb_put(cb);
}

/* A request under construction: header + genl header + attribute bytes. */
struct rq {
	unsigned char b[4096];
	size_t len;
};

static void rq_init(struct rq *q, int family, uint8_t cmd, uint16_t flags)
{
	struct nlmsghdr *n = (struct nlmsghdr *)q->b;
	struct genlmsghdr *g = (struct genlmsghdr *)(q->b + NLMSG_HDRLEN);

	memset(q, 0, sizeof(*q));
	n->nlmsg_type = (uint16_t)family;
	n->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK | flags;
	n->nlmsg_seq = 1;
	g->cmd = cmd;
	g->version = TCP_SPLICE_GENL_VERSION;
	q->len = NLMSG_HDRLEN + GENL_HDRLEN;
}

/* Append an attribute of type t whose payload is p[0..plen-1]; nla_len
 * says claimed (normally NLA_HDRLEN + plen). */
static void rq_attr_raw(struct rq *q, uint16_t t, const void *p, size_t plen,
			size_t claimed)
{
	struct nlattr *a = (struct nlattr *)(q->b + q->len);

	if (q->len + NLA_HDRLEN + plen + 4 > sizeof(q->b))
		return;
	a->nla_type = t;
	a->nla_len = (uint16_t)claimed;
	memcpy(q->b + q->len + NLA_HDRLEN, p, plen);
	q->len += NLA_ALIGN(NLA_HDRLEN + plen);
}

static void rq_attr(struct rq *q, uint16_t t, const void *p, size_t plen)
{
	rq_attr_raw(q, t, p, plen, NLA_HDRLEN + plen);
}

static void rq_u32(struct rq *q, uint16_t t, uint32_t v)
{
	rq_attr(q, t, &v, 4);
}

static void rq_u64(struct rq *q, uint16_t t, uint64_t v)
{
	rq_attr(q, t, &v, 8);
}

static void rq_u8(struct rq *q, uint16_t t, uint8_t v)
{
	rq_attr(q, t, &v, 1);
}

static void rq_u16(struct rq *q, uint16_t t, uint16_t v)
{
	rq_attr(q, t, &v, 2);
}

static const void *rq_done(struct rq *q, size_t *len)
{
	((struct nlmsghdr *)q->b)->nlmsg_len = (uint32_t)q->len;
	*len = q->len;
	return q->b;
}

static int raw_fails;

/* Expect errno want (0: success) and, if ext is not NULL, an extack
 * containing ext ("" = any non-empty message). */
static void expect(struct nl_sock *sk, const char *name, struct rq *q, int want,
		   const char *ext)
{
	struct rres r;
	size_t len;
	const void *b = rq_done(q, &len);
	int ok;

	raw_send(sk, b, len, &r);
	ok = r.err == want;
	if (ok && ext)
		ok = r.extack[0] && strstr(r.extack, ext);
	printf("%s %s errno=%s expected=%s extack='%s'%s\n", ok ? "ok" : "FAIL", name,
	       r.err == -2 ? "NOREPLY" : r.err == -1 ? "SENDFAIL" :
	       r.err == -3 ? "BADREPLY" : tsu_errname(r.err),
	       tsu_errname(want), r.extack,
	       ext ? (*ext ? " (extack required)" : " (some extack required)") : "");
	raw_fails += !ok;
}

static int cmd_raw(void)
{
	int fam, devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
	struct nl_sock *sk = raw_sock(&fam);
	struct rq q;
	char junk[3] = { 1, 2, 3 };
	int32_t fd;

	if (!sk) {
		printf("FAIL no family %s\n", TCP_SPLICE_GENL_NAME);
		return 1;
	}
	/* missing attributes */
	rq_init(&q, fam, TCP_SPLICE_CMD_SPLICE, 0);
	expect(sk, "splice_no_attrs", &q, EINVAL, "");
	rq_init(&q, fam, TCP_SPLICE_CMD_SPLICE, 0);
	rq_u32(&q, TCP_SPLICE_A_FD_CLIENT, 0);
	expect(sk, "splice_no_fd_server", &q, EINVAL, "");
	rq_init(&q, fam, TCP_SPLICE_CMD_SPLICE, 0);
	rq_u32(&q, TCP_SPLICE_A_FD_SERVER, 0);
	expect(sk, "splice_no_fd_client", &q, EINVAL, "");
	rq_init(&q, fam, TCP_SPLICE_CMD_GET, 0);
	expect(sk, "get_no_id", &q, EINVAL, "");
	/* wrong lengths / types */
	rq_init(&q, fam, TCP_SPLICE_CMD_SPLICE, 0);
	rq_u8(&q, TCP_SPLICE_A_FD_CLIENT, 0);
	rq_u32(&q, TCP_SPLICE_A_FD_SERVER, 1);
	expect(sk, "splice_fd_u8", &q, EINVAL, "");
	rq_init(&q, fam, TCP_SPLICE_CMD_SPLICE, 0);
	rq_u64(&q, TCP_SPLICE_A_FD_CLIENT, 0);
	rq_u32(&q, TCP_SPLICE_A_FD_SERVER, 1);
	expect(sk, "splice_fd_u64", &q, EINVAL, "");
	rq_init(&q, fam, TCP_SPLICE_CMD_SPLICE, 0);
	rq_attr(&q, TCP_SPLICE_A_FD_CLIENT, NULL, 0);
	rq_u32(&q, TCP_SPLICE_A_FD_SERVER, 1);
	expect(sk, "splice_fd_empty", &q, EINVAL, "");
	rq_init(&q, fam, TCP_SPLICE_CMD_GET, 0);
	rq_u32(&q, TCP_SPLICE_A_SESSION_ID, 1);
	expect(sk, "get_id_u32", &q, EINVAL, "");
	/* the genetlink header: reserved must be 0, no stray flags */
	rq_init(&q, fam, TCP_SPLICE_CMD_STATS, 0);
	((struct genlmsghdr *)(q.b + NLMSG_HDRLEN))->reserved = 1;
	expect(sk, "stats_reserved", &q, EINVAL, "reserved");
	rq_init(&q, fam, TCP_SPLICE_CMD_STATS, NLM_F_CREATE);
	expect(sk, "stats_flag_create", &q, EINVAL, "reserved bits");
	rq_init(&q, fam, TCP_SPLICE_CMD_SPLICE, NLM_F_REPLACE);
	rq_u32(&q, TCP_SPLICE_A_FD_CLIENT, 0);
	rq_u32(&q, TCP_SPLICE_A_FD_SERVER, 1);
	expect(sk, "splice_flag_replace", &q, EINVAL, "reserved bits");
	rq_init(&q, fam, TCP_SPLICE_CMD_GET, NLM_F_DUMP);
	rq_u32(&q, TCP_SPLICE_A_FILTER_PORT, 80);
	expect(sk, "dump_port_u32", &q, EINVAL, "");
	rq_init(&q, fam, TCP_SPLICE_CMD_GET, NLM_F_DUMP);
	rq_u16(&q, TCP_SPLICE_A_FILTER_ADDR, 1);
	expect(sk, "dump_addr_u16", &q, EINVAL, "");
	/* values the policy refuses */
	rq_init(&q, fam, TCP_SPLICE_CMD_SPLICE, 0);
	rq_u32(&q, TCP_SPLICE_A_FD_CLIENT, 0);
	rq_u32(&q, TCP_SPLICE_A_FD_SERVER, 1);
	rq_u32(&q, TCP_SPLICE_A_FLAGS, 0x80);
	expect(sk, "splice_unknown_flag", &q, EINVAL, "");
	rq_init(&q, fam, TCP_SPLICE_CMD_GET, NLM_F_DUMP);
	rq_u8(&q, TCP_SPLICE_A_FILTER_STATE, 0);
	expect(sk, "dump_state_none", &q, ERANGE, "");
	rq_init(&q, fam, TCP_SPLICE_CMD_GET, NLM_F_DUMP);
	rq_u8(&q, TCP_SPLICE_A_FILTER_STATE, 200);
	expect(sk, "dump_state_200", &q, ERANGE, "");
	/* unknown and unexpected attributes */
	rq_init(&q, fam, TCP_SPLICE_CMD_STATS, 0);
	rq_u32(&q, TCP_SPLICE_A_MAX + 1, 0);
	expect(sk, "stats_unknown_attr", &q, EINVAL, "");
	rq_init(&q, fam, TCP_SPLICE_CMD_STATS, 0);
	rq_u32(&q, 0, 0);
	expect(sk, "stats_attr_type0", &q, EINVAL, "");
	rq_init(&q, fam, TCP_SPLICE_CMD_GET, NLM_F_DUMP);
	rq_attr(&q, NLA_F_NESTED | TCP_SPLICE_A_STATS, NULL, 0);
	expect(sk, "dump_stats_nest_in_request", &q, EINVAL, "");
	/* truncation and garbage */
	rq_init(&q, fam, TCP_SPLICE_CMD_GET, 0);
	fd = 1;
	rq_attr_raw(&q, TCP_SPLICE_A_SESSION_ID, &fd, 4, NLA_HDRLEN + 8);
	expect(sk, "get_id_truncated", &q, EINVAL, NULL);
	rq_init(&q, fam, TCP_SPLICE_CMD_STATS, 0);
	memcpy(q.b + q.len, junk, sizeof(junk));
	q.len += sizeof(junk);
	expect(sk, "stats_trailing_garbage", &q, EINVAL, NULL);
	rq_init(&q, fam, TCP_SPLICE_CMD_GET, 0);
	rq_attr_raw(&q, TCP_SPLICE_A_SESSION_ID, &fd, 4, 2);
	expect(sk, "get_attr_len_below_header", &q, EINVAL, NULL);
	rq_init(&q, fam, TCP_SPLICE_CMD_STATS, 0);
	q.len = NLMSG_HDRLEN + 2;	/* genl header cut short */
	expect(sk, "short_genl_header", &q, EINVAL, NULL);
	/* commands */
	rq_init(&q, fam, 42, 0);
	expect(sk, "unknown_cmd", &q, EOPNOTSUPP, NULL);
	rq_init(&q, fam, TCP_SPLICE_CMD_EVENT_END, 0);
	expect(sk, "event_cmd_as_request", &q, EOPNOTSUPP, NULL);
	rq_init(&q, fam, TCP_SPLICE_CMD_UNSPEC, 0);
	expect(sk, "unspec_cmd", &q, EOPNOTSUPP, NULL);
	/* well-formed requests the kernel refuses with the splice errnos */
	rq_init(&q, fam, TCP_SPLICE_CMD_SPLICE, 0);
	rq_u32(&q, TCP_SPLICE_A_FD_CLIENT, 9999);
	rq_u32(&q, TCP_SPLICE_A_FD_SERVER, 9998);
	expect(sk, "splice_ebadf", &q, EBADF, NULL);
	rq_init(&q, fam, TCP_SPLICE_CMD_SPLICE, 0);
	rq_u32(&q, TCP_SPLICE_A_FD_CLIENT, (uint32_t)devnull);
	rq_u32(&q, TCP_SPLICE_A_FD_SERVER, (uint32_t)devnull);
	expect(sk, "splice_enotsock", &q, ENOTSOCK, NULL);
	rq_init(&q, fam, TCP_SPLICE_CMD_SPLICE, 0);
	rq_u32(&q, TCP_SPLICE_A_FD_CLIENT, (uint32_t)-5);
	rq_u32(&q, TCP_SPLICE_A_FD_SERVER, 0);
	expect(sk, "splice_negative_fd", &q, EBADF, NULL);
	/* unknown session */
	rq_init(&q, fam, TCP_SPLICE_CMD_GET, 0);
	rq_u64(&q, TCP_SPLICE_A_SESSION_ID, (uint64_t)1 << 62);
	expect(sk, "get_unknown_id", &q, ENOENT, "");
	/* and the well-formed ones work */
	rq_init(&q, fam, TCP_SPLICE_CMD_STATS, 0);
	expect(sk, "stats_ok", &q, 0, NULL);
	rq_init(&q, fam, TCP_SPLICE_CMD_GET, NLM_F_DUMP);
	rq_u8(&q, TCP_SPLICE_A_FILTER_STATE, TCP_SPLICE_S_ESTABLISHED);
	rq_u16(&q, TCP_SPLICE_A_FILTER_PORT, 1);
	expect(sk, "dump_filtered_ok", &q, 0, NULL);
	printf("raw failed=%d\n", raw_fails);
	nl_socket_free(sk);
	return raw_fails ? 1 : 0;
}

/* ======================================================================== */
/* fuzz                                                                      */
/* ======================================================================== */

static uint64_t rng;
static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}
#define RN(n) (rnd() % (n))

static void fuzz_one(struct rq *q, int fam, uint64_t live_id)
{
	static const uint8_t cmds[] = { 1, 1, 1, 2, 2, 2, 2, 3, 3, 4, 4, 0, 5, 6, 7, 8, 99 };
	static const size_t lens[] = { 0, 1, 2, 3, 4, 4, 4, 5, 7, 8, 8, 8, 9, 12, 16 };
	uint8_t cmd = cmds[RN(sizeof(cmds))];
	uint16_t fl = RN(cmd == TCP_SPLICE_CMD_GET ? 2 : 12) == 0 ? NLM_F_DUMP : 0;
	int nattr = (int)RN(7), i;

	rq_init(q, fam, cmd, fl);
	if (RN(10) == 0)
		((struct genlmsghdr *)(q->b + NLMSG_HDRLEN))->version = (uint8_t)RN(256);
	for (i = 0; i < nattr; i++) {
		unsigned char p[64];
		uint16_t t = (uint16_t)RN(TCP_SPLICE_A_MAX + 4);
		size_t plen = RN(8) == 0 ? RN(sizeof(p)) : lens[RN(sizeof(lens) / sizeof(lens[0]))];
		size_t k;

		for (k = 0; k < plen; k++)
			p[k] = (unsigned char)rnd();
		if (RN(4) == 0 && plen >= 8 && live_id)	/* the live session */
			memcpy(p, &live_id, 8);
		else if (RN(3) == 0 && plen >= 4) {	/* small fds, states */
			uint32_t v = RN(12);

			memcpy(p, &v, 4);
		}
		if (RN(12) == 0)
			t |= NLA_F_NESTED;
		if (RN(20) == 0)
			t |= NLA_F_NET_BYTEORDER;
		if (RN(40) == 0)
			t = (uint16_t)rnd();
		if (RN(8) == 0 && plen >= 8) {		/* a nest of nests */
			struct nlattr *in = (struct nlattr *)p;

			in->nla_type = (uint16_t)RN(TCP_SPLICE_A_MAX + 2);
			in->nla_len = (uint16_t)(RN(2) ? plen : RN(plen + 8));
			t |= NLA_F_NESTED;
		}
		rq_attr_raw(q, t, p, plen,
			    RN(15) == 0 ? RN(NLA_HDRLEN + plen + 16) : NLA_HDRLEN + plen);
	}
	if (RN(10) == 0 && q->len > NLMSG_HDRLEN)		/* truncate */
		q->len = NLMSG_HDRLEN + RN(q->len - NLMSG_HDRLEN + 1);
	if (RN(12) == 0) {					/* garbage tail */
		size_t n = 1 + RN(13), k;

		for (k = 0; k < n && q->len < sizeof(q->b); k++)
			q->b[q->len++] = (unsigned char)rnd();
	}
}

static int cmd_fuzz(int argc, char **argv)
{
	long n, i, answered = 0, noreply = 0, counts[140] = { 0 }, other = 0;
	uint64_t seed = 1, live = 0;
	int fam, k;
	struct nl_sock *sk;
	struct rq q;

	if (argc < 1)
		usage();
	n = atol(argv[0]);
	for (k = 1; k + 1 < argc; k += 2) {
		if (!strcmp(argv[k], "--seed"))
			seed = strtoull(argv[k + 1], NULL, 0);
		else if (!strcmp(argv[k], "--id"))
			live = strtoull(argv[k + 1], NULL, 0);
		else
			usage();
	}
	rng = seed * 0x9E3779B97F4A7C15ULL | 1;
	sk = raw_sock(&fam);
	if (!sk) {
		printf("FAIL no family\n");
		return 1;
	}
	for (i = 0; i < n; i++) {
		struct rres r;
		size_t len;
		const void *b;

		fuzz_one(&q, fam, live);
		b = rq_done(&q, &len);
		raw_send(sk, b, len, &r);
		if (r.err == -2) {
			noreply++;
			printf("noreply #%ld len=%zu\n", i, len);
		} else if (r.err >= 0 && r.err < 140) {
			answered++;
			counts[r.err]++;
		} else {
			other++;
		}
	}
	printf("fuzz sent=%ld answered=%ld noreply=%ld sendfail=%ld seed=%llu errnos:",
	       n, answered, noreply, other, (unsigned long long)seed);
	for (k = 0; k < 140; k++)
		if (counts[k])
			printf(" %s=%ld", tsu_errname(k), counts[k]);
	printf("\n");
	nl_socket_free(sk);
	return noreply || other ? 1 : 0;
}

/* ======================================================================== */
/* threads: one handle, many threads                                         */
/* ======================================================================== */

static struct tcpsplice_handle *th_h;
static volatile int th_stop;
static int th_errors;
static pthread_mutex_t th_lock = PTHREAD_MUTEX_INITIALIZER;

static int count_cb(const struct tcpsplice_session_info *s, void *arg)
{
	(void)s;
	(*(int *)arg)++;
	return 0;
}

static void *th_worker(void *arg)
{
	long k = (long)arg, i;

	for (i = 0; i < 300; i++) {
		struct tcpsplice_stats st;
		int n = 0, e;

		e = (i + k) % 2 ? tcpsplice_stats(th_h, &st) : tcpsplice_dump(th_h, NULL, count_cb, &n);
		if (e < 0) {
			pthread_mutex_lock(&th_lock);
			th_errors++;
			printf("FAIL thread %ld iteration %ld: %s (%s)\n", k, i,
			       tsu_errname(e), tcpsplice_last_error(th_h));
			pthread_mutex_unlock(&th_lock);
		}
	}
	return NULL;
}

static int nested_cb(const struct tcpsplice_session_info *s, void *arg)
{
	struct tcpsplice_stats st;

	(void)s;
	*(int *)arg = tcpsplice_stats(th_h, &st);
	return 1;
}

static int cmd_threads(int argc, char **argv)
{
	pthread_t t[64];
	long n = argc ? atol(argv[0]) : 4, i;
	int e, nested = 0, fd;

	if (n < 1 || n > 64)
		usage();
	th_h = tcpsplice_open(TCPSPLICE_OPEN_NETLINK_ONLY);
	if (!th_h) {
		printf("FAIL open %s\n", tsu_errname(errno));
		return 1;
	}
	e = tcpsplice_events_subscribe(th_h);
	fd = tcpsplice_events_fd(th_h);
	printf("%s subscribe %s fd=%d\n", !e && fd >= 0 ? "ok" : "FAIL", tsu_errname(e), fd);
	th_errors += e || fd < 0;
	for (i = 0; i < n; i++)
		pthread_create(&t[i], NULL, th_worker, (void *)i);
	for (i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	/* a callback that re-enters its own handle gets EDEADLK */
	e = tcpsplice_dump(th_h, NULL, nested_cb, &nested);
	i = (e == 0 && nested == 0) || (e > 0 && nested == -EDEADLK);
	printf("%s reentry dump=%d nested=%s\n", i ? "ok" : "FAIL", e,
	       tsu_errname(nested));
	th_errors += !i;
	printf("threads n=%ld errors=%d\n", n, th_errors);
	tcpsplice_close(th_h);
	return th_errors ? 1 : 0;
}

int main(int argc, char **argv)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "proxy"))
		return cmd_proxy(argc - 2, argv + 2);
	if (!strcmp(argv[1], "errnos"))
		return cmd_errnos();
	if (!strcmp(argv[1], "raw"))
		return cmd_raw();
	if (!strcmp(argv[1], "fuzz"))
		return cmd_fuzz(argc - 2, argv + 2);
	if (!strcmp(argv[1], "threads"))
		return cmd_threads(argc - 2, argv + 2);
	usage();
	return 2;
}
