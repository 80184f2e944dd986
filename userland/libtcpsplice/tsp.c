// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The modern API (tcpsplice.h): generic netlink family "tcp_splice" through
 * libnl-3 / libnl-genl-3, the ioctl of /dev/tcp_splice as the fallback of
 * tcpsplice_splice.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/netlink.h>
#include <linux/tcp_splice.h>
#include <netlink/attr.h>
#include <netlink/errno.h>
#include <netlink/genl/ctrl.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/socket.h>

#include "internal.h"
#include "tcpsplice.h"

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

#define EXTACK_MAX	256

struct tcpsplice_handle {
	pthread_mutex_t lock;		/* sk, devfd, requests */
	pthread_mutex_t ev_lock;	/* ev */
	int flags;
	struct nl_sock *sk;		/* requests; NULL without netlink */
	int family;
	int mcgrp;			/* -1: the family has no "events" */
	struct nl_sock *ev;		/* events, once subscribed */
	int devfd;			/* /dev/tcp_splice, -1 until needed */
};

/* The last failure of this thread (tcpsplice_last_error). */
static _Thread_local struct {
	const struct tcpsplice_handle *h;
	int err;
	char extack[EXTACK_MAX];
	char msg[EXTACK_MAX + 64];
} last;

/* Record a failure (err > 0) and return -err with errno = err. */
static int fail(const struct tcpsplice_handle *h, int err, const char *extack)
{
	last.h = h;
	last.err = err;
	snprintf(last.extack, sizeof(last.extack), "%s", extack ? extack : "");
	if (last.extack[0])
		snprintf(last.msg, sizeof(last.msg), "%s", last.extack);
	else
		snprintf(last.msg, sizeof(last.msg), "%s", tcpsplice_strerror(err));
	errno = err;
	return -err;
}

const char *tcpsplice_last_error(const struct tcpsplice_handle *h)
{
	return h && last.h == h ? last.msg : "";
}

const char *tcpsplice_last_extack(const struct tcpsplice_handle *h)
{
	return h && last.h == h ? last.extack : "";
}

int tspi_nlerr_to_errno(int nlerr)
{
	switch (nlerr < 0 ? -nlerr : nlerr) {
	case NLE_SUCCESS:
		return 0;
	case NLE_INTR:
		return EINTR;
	case NLE_BAD_SOCK:
		return EBADF;
	case NLE_AGAIN:
		return EAGAIN;
	case NLE_NOMEM:
		return ENOMEM;
	case NLE_EXIST:
		return EEXIST;
	case NLE_INVAL:
		return EINVAL;
	case NLE_RANGE:
		return ERANGE;
	case NLE_MSGSIZE:
		return EMSGSIZE;
	case NLE_OPNOTSUPP:
		return EOPNOTSUPP;
	case NLE_AF_NOSUPPORT:
		return EAFNOSUPPORT;
	case NLE_OBJ_NOTFOUND:
		return ENOENT;
	case NLE_PERM:
		return EPERM;
	case NLE_BUSY:
		return EBUSY;
	case NLE_NOADDR:
		return EADDRNOTAVAIL;
	case NLE_PROTO_MISMATCH:
		return EPROTONOSUPPORT;
	case NLE_NODEV:
		return ENODEV;
	case NLE_IMMUTABLE:
		return EROFS;
	case NLE_DUMP_INTR:
		return EINTR;
	case NLE_ATTRSIZE:
		return ERANGE;
	case NLE_MSG_TRUNC:
	case NLE_MSG_TOOSHORT:
	case NLE_MSG_OVERFLOW:
	case NLE_MSGTYPE_NOSUPPORT:
	case NLE_SEQ_MISMATCH:
	case NLE_PARSE_ERR:
		return EPROTO;
	default:
		return EIO;
	}
}

/* ---- locking ------------------------------------------------------------ */

static int lock(const struct tcpsplice_handle *h, pthread_mutex_t *m)
{
	int r = pthread_mutex_lock(m);

	if (r)
		return fail(h, r, r == EDEADLK ?
			    "libtcpsplice: handle used from its own callback" : NULL);
	return 0;
}

static void init_mutex(pthread_mutex_t *m)
{
	pthread_mutexattr_t a;

	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
	pthread_mutex_init(m, &a);
	pthread_mutexattr_destroy(&a);
}

/* ---- handles ------------------------------------------------------------ */

static struct nl_sock *nl_open(int *err)
{
	struct nl_sock *sk = nl_socket_alloc();
	int one = 1, r;

	if (!sk) {
		*err = ENOMEM;
		return NULL;
	}
	r = genl_connect(sk);
	if (r < 0) {
		*err = tspi_nlerr_to_errno(r);
		nl_socket_free(sk);
		return NULL;
	}
	/* Extended acks: the kernel's message for an error; capped acks:
	 * no echo of our request in them.  Old kernels lack both: fine.
	 */
	setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_EXT_ACK,
		   &one, sizeof(one));
	setsockopt(nl_socket_get_fd(sk), SOL_NETLINK, NETLINK_CAP_ACK,
		   &one, sizeof(one));
	return sk;
}

struct tcpsplice_handle *tcpsplice_open(int flags)
{
	struct tcpsplice_handle *h;
	int err = 0;

	if ((flags & ~(TCPSPLICE_OPEN_NETLINK_ONLY | TCPSPLICE_OPEN_IOCTL_ONLY)) ||
	    (flags & TCPSPLICE_OPEN_NETLINK_ONLY && flags & TCPSPLICE_OPEN_IOCTL_ONLY)) {
		errno = EINVAL;
		return NULL;
	}
	h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	h->flags = flags;
	h->devfd = -1;
	h->mcgrp = -1;
	init_mutex(&h->lock);
	init_mutex(&h->ev_lock);

	if (!(flags & TCPSPLICE_OPEN_IOCTL_ONLY)) {
		h->sk = nl_open(&err);
		if (h->sk) {
			h->family = genl_ctrl_resolve(h->sk, TCP_SPLICE_GENL_NAME);
			if (h->family < 0) {
				err = ENOENT;	/* family absent */
				nl_socket_free(h->sk);
				h->sk = NULL;
			} else {
				h->mcgrp = genl_ctrl_resolve_grp(h->sk,
						TCP_SPLICE_GENL_NAME,
						TCP_SPLICE_GENL_MCGRP);
				if (h->mcgrp < 0)
					h->mcgrp = -1;
			}
		}
		if (!h->sk && (flags & TCPSPLICE_OPEN_NETLINK_ONLY))
			goto fail;
	}
	if (!h->sk) {
		/* ioctl only: the device must be there and be ours. */
		h->devfd = tspi_dev_open();
		if (h->devfd < 0 || tspi_dev_probe(h->devfd) < 0) {
			err = errno;
			goto fail;
		}
	}
	return h;
fail:
	tcpsplice_close(h);
	errno = err ? err : EIO;
	return NULL;
}

/* A handle with no backend at all (unit tests of the argument checks). */
struct tcpsplice_handle *tspi_open_detached(void)
{
	struct tcpsplice_handle *h = calloc(1, sizeof(*h));

	if (!h)
		return NULL;
	h->flags = TCPSPLICE_OPEN_IOCTL_ONLY;
	h->devfd = -1;
	h->mcgrp = -1;
	init_mutex(&h->lock);
	init_mutex(&h->ev_lock);
	return h;
}

void tcpsplice_close(struct tcpsplice_handle *h)
{
	int e = errno;

	if (!h)
		return;
	if (h->ev)
		nl_socket_free(h->ev);
	if (h->sk)
		nl_socket_free(h->sk);
	if (h->devfd >= 0)
		close(h->devfd);
	pthread_mutex_destroy(&h->lock);
	pthread_mutex_destroy(&h->ev_lock);
	if (last.h == h)
		last.h = NULL;
	free(h);
	errno = e;
}

int tcpsplice_has_netlink(const struct tcpsplice_handle *h)
{
	return h && h->sk;
}

/* ---- kernel messages ---------------------------------------------------- */

static struct nla_policy attr_policy[TCP_SPLICE_A_MAX + 1] = {
	[TCP_SPLICE_A_FD_CLIENT]	= { .type = NLA_U32 },
	[TCP_SPLICE_A_FD_SERVER]	= { .type = NLA_U32 },
	[TCP_SPLICE_A_FLAGS]		= { .type = NLA_U32 },
	[TCP_SPLICE_A_SESSION_ID]	= { .type = NLA_U64 },
	[TCP_SPLICE_A_CLIENT_ADDR]	= { .type = NLA_U32 },
	[TCP_SPLICE_A_CLIENT_PORT]	= { .type = NLA_U16 },
	[TCP_SPLICE_A_PROXY_ADDR_A]	= { .type = NLA_U32 },
	[TCP_SPLICE_A_PROXY_PORT_A]	= { .type = NLA_U16 },
	[TCP_SPLICE_A_PROXY_ADDR_B]	= { .type = NLA_U32 },
	[TCP_SPLICE_A_PROXY_PORT_B]	= { .type = NLA_U16 },
	[TCP_SPLICE_A_SERVER_ADDR]	= { .type = NLA_U32 },
	[TCP_SPLICE_A_SERVER_PORT]	= { .type = NLA_U16 },
	[TCP_SPLICE_A_STATE]		= { .type = NLA_U8 },
	[TCP_SPLICE_A_EXPIRES]		= { .type = NLA_U32 },
	[TCP_SPLICE_A_PKTS_C2S]		= { .type = NLA_U64 },
	[TCP_SPLICE_A_BYTES_C2S]	= { .type = NLA_U64 },
	[TCP_SPLICE_A_PKTS_S2C]		= { .type = NLA_U64 },
	[TCP_SPLICE_A_BYTES_S2C]	= { .type = NLA_U64 },
	[TCP_SPLICE_A_DURATION_MS]	= { .type = NLA_U64 },
	[TCP_SPLICE_A_END_REASON]	= { .type = NLA_U8 },
	[TCP_SPLICE_A_UID]		= { .type = NLA_U32 },
	[TCP_SPLICE_A_FILTER_ADDR]	= { .type = NLA_U32 },
	[TCP_SPLICE_A_FILTER_PORT]	= { .type = NLA_U16 },
	[TCP_SPLICE_A_FILTER_STATE]	= { .type = NLA_U8 },
	[TCP_SPLICE_A_STATS]		= { .type = NLA_NESTED },
	[TCP_SPLICE_A_SESSIONS_ACTIVE]	= { .type = NLA_U32 },
	[TCP_SPLICE_A_CLIENT_ADDR6]	= { .minlen = sizeof(struct in6_addr) },
	[TCP_SPLICE_A_PROXY_ADDR6_A]	= { .minlen = sizeof(struct in6_addr) },
	[TCP_SPLICE_A_PROXY_ADDR6_B]	= { .minlen = sizeof(struct in6_addr) },
	[TCP_SPLICE_A_SERVER_ADDR6]	= { .minlen = sizeof(struct in6_addr) },
	[TCP_SPLICE_A_FILTER_ADDR6]	= { .minlen = sizeof(struct in6_addr) },
};

static int parse_attrs(struct nl_msg *msg, struct nlattr **tb)
{
	int r = genlmsg_parse(nlmsg_hdr(msg), 0, tb, TCP_SPLICE_A_MAX,
			      attr_policy);

	return r < 0 ? -EPROTO : 0;
}

/* Endpoint from address attribute @a (be32) or @a6 (in6_addr), port @p. */
static void get_ep(struct nlattr **tb, int a, int a6, int p,
		   struct tcpsplice_endpoint *ep, int *n)
{
	if (!tb[p])
		return;
	if (tb[a]) {
		ep->family = AF_INET;
		ep->addr.s_addr = nla_get_u32(tb[a]);	/* be32 as is */
	} else if (tb[a6]) {
		ep->family = AF_INET6;
		memcpy(&ep->addr6, nla_data(tb[a6]), sizeof(ep->addr6));
	} else {
		return;
	}
	ep->port = nla_get_u16(tb[p]);
	++*n;
}

int tspi_parse_session(struct nl_msg *msg, struct tcpsplice_session_info *s)
{
	struct nlattr *tb[TCP_SPLICE_A_MAX + 1];
	int n = 0;

	memset(s, 0, sizeof(*s));
	if (parse_attrs(msg, tb) < 0)
		return -EPROTO;
	if (tb[TCP_SPLICE_A_SESSION_ID]) {
		s->id = nla_get_u64(tb[TCP_SPLICE_A_SESSION_ID]);
		s->fields |= TCPSPLICE_INFO_ID;
	}
	get_ep(tb, TCP_SPLICE_A_CLIENT_ADDR, TCP_SPLICE_A_CLIENT_ADDR6,
	       TCP_SPLICE_A_CLIENT_PORT, &s->client, &n);
	get_ep(tb, TCP_SPLICE_A_PROXY_ADDR_A, TCP_SPLICE_A_PROXY_ADDR6_A,
	       TCP_SPLICE_A_PROXY_PORT_A, &s->proxy_a, &n);
	get_ep(tb, TCP_SPLICE_A_PROXY_ADDR_B, TCP_SPLICE_A_PROXY_ADDR6_B,
	       TCP_SPLICE_A_PROXY_PORT_B, &s->proxy_b, &n);
	get_ep(tb, TCP_SPLICE_A_SERVER_ADDR, TCP_SPLICE_A_SERVER_ADDR6,
	       TCP_SPLICE_A_SERVER_PORT, &s->server, &n);
	if (n == 4)
		s->fields |= TCPSPLICE_INFO_TUPLE;
	if (tb[TCP_SPLICE_A_STATE]) {
		s->state = nla_get_u8(tb[TCP_SPLICE_A_STATE]);
		s->fields |= TCPSPLICE_INFO_STATE;
	}
	if (tb[TCP_SPLICE_A_EXPIRES]) {
		s->expires = nla_get_u32(tb[TCP_SPLICE_A_EXPIRES]);
		s->fields |= TCPSPLICE_INFO_EXPIRES;
	}
	if (tb[TCP_SPLICE_A_PKTS_C2S] && tb[TCP_SPLICE_A_BYTES_C2S] &&
	    tb[TCP_SPLICE_A_PKTS_S2C] && tb[TCP_SPLICE_A_BYTES_S2C]) {
		s->pkts_c2s = nla_get_u64(tb[TCP_SPLICE_A_PKTS_C2S]);
		s->bytes_c2s = nla_get_u64(tb[TCP_SPLICE_A_BYTES_C2S]);
		s->pkts_s2c = nla_get_u64(tb[TCP_SPLICE_A_PKTS_S2C]);
		s->bytes_s2c = nla_get_u64(tb[TCP_SPLICE_A_BYTES_S2C]);
		s->fields |= TCPSPLICE_INFO_COUNTERS;
	}
	if (tb[TCP_SPLICE_A_DURATION_MS]) {
		s->duration_ms = nla_get_u64(tb[TCP_SPLICE_A_DURATION_MS]);
		s->fields |= TCPSPLICE_INFO_DURATION;
	}
	if (tb[TCP_SPLICE_A_END_REASON]) {
		s->end_reason = nla_get_u8(tb[TCP_SPLICE_A_END_REASON]);
		s->fields |= TCPSPLICE_INFO_END_REASON;
	}
	if (tb[TCP_SPLICE_A_UID]) {
		s->uid = nla_get_u32(tb[TCP_SPLICE_A_UID]);
		s->fields |= TCPSPLICE_INFO_UID;
	}
	if (tb[TCP_SPLICE_A_FLAGS]) {
		s->flags = nla_get_u32(tb[TCP_SPLICE_A_FLAGS]);
		s->fields |= TCPSPLICE_INFO_FLAGS;
	}
	return 0;
}

int tspi_parse_stats(struct nl_msg *msg, struct tcpsplice_stats *st)
{
	struct nlattr *tb[TCP_SPLICE_A_MAX + 1], *a;
	int rem;

	memset(st, 0, sizeof(*st));
	if (parse_attrs(msg, tb) < 0 || !tb[TCP_SPLICE_A_STATS])
		return -EPROTO;
	if (tb[TCP_SPLICE_A_SESSIONS_ACTIVE])
		st->sessions_active = nla_get_u32(tb[TCP_SPLICE_A_SESSIONS_ACTIVE]);
	nla_for_each_nested(a, tb[TCP_SPLICE_A_STATS], rem) {
		int t = nla_type(a);

		if (t < 1 || t > TCPSPLICE_STATS_MAX || nla_len(a) < 8)
			continue;
		st->v[t - 1] = nla_get_u64(a);
		if ((uint32_t)t > st->n)
			st->n = t;
	}
	return 0;
}

/* ---- request / reply ---------------------------------------------------- */

struct req {
	const struct tcpsplice_handle *h;
	int done;
	int err;			/* positive errno from the kernel */
	int parse_err;
	int stop;			/* the caller's callback said stop */
	int count;			/* replies handed to parse */
	int (*parse)(struct nl_msg *msg, void *arg);	/* < 0 err, > 0 stop */
	void *arg;
	char extack[EXTACK_MAX];
};

/* The extended ack of an error message, with libnl's attribute parser. */
static void parse_extack(struct nlmsgerr *e, char *buf, size_t len)
{
	static struct nla_policy pol[NLMSGERR_ATTR_MAX + 1] = {
		[NLMSGERR_ATTR_MSG]		= { .type = NLA_STRING },
		[NLMSGERR_ATTR_OFFS]		= { .type = NLA_U32 },
		[NLMSGERR_ATTR_MISS_TYPE]	= { .type = NLA_U32 },
	};
	/* libnl hands the payload of the NLMSG_ERROR message: the header is
	 * right before it, in the same receive buffer.
	 */
	struct nlmsghdr *nlh = (struct nlmsghdr *)((char *)e - NLMSG_HDRLEN);
	struct nlattr *tb[NLMSGERR_ATTR_MAX + 1];
	size_t off = sizeof(*e);
	int alen;

	buf[0] = 0;
	if (!(nlh->nlmsg_flags & NLM_F_ACK_TLVS))
		return;
	if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
		off += NLMSG_ALIGN(e->msg.nlmsg_len) - NLMSG_HDRLEN;
	alen = (int)nlh->nlmsg_len - NLMSG_HDRLEN - (int)off;
	if (alen <= 0 ||
	    nla_parse(tb, NLMSGERR_ATTR_MAX, (struct nlattr *)((char *)e + off),
		      alen, pol) < 0)
		return;
	if (tb[NLMSGERR_ATTR_MSG])
		nla_strlcpy(buf, tb[NLMSGERR_ATTR_MSG], len);
	if (tb[NLMSGERR_ATTR_MISS_TYPE]) {
		size_t l = strlen(buf);

		snprintf(buf + l, len - l, "%smissing attribute %u",
			 l ? ": " : "", nla_get_u32(tb[NLMSGERR_ATTR_MISS_TYPE]));
	}
}

static int cb_valid(struct nl_msg *msg, void *arg)
{
	struct req *r = arg;
	int v;

	if (r->stop || !r->parse)
		return NL_SKIP;
	r->count++;
	v = r->parse(msg, r->arg);
	if (v < 0 && !r->parse_err)
		r->parse_err = -v;
	else if (v > 0)
		r->stop = 1;
	return NL_OK;
}

static int cb_finish(struct nl_msg *msg, void *arg)
{
	struct req *r = arg;
	struct nlmsghdr *nlh = nlmsg_hdr(msg);

	/* A dump that failed half-way ends with its error in NLMSG_DONE. */
	if (nlmsg_datalen(nlh) >= (int)sizeof(int)) {
		int e;

		memcpy(&e, nlmsg_data(nlh), sizeof(e));
		if (e < 0 && !r->err)
			r->err = -e;
	}
	r->done = 1;
	return NL_STOP;
}

static int cb_ack(struct nl_msg *msg, void *arg)
{
	struct req *r = arg;

	(void)msg;
	r->done = 1;
	return NL_STOP;
}

static int cb_error(struct sockaddr_nl *nla, struct nlmsgerr *e, void *arg)
{
	struct req *r = arg;

	(void)nla;
	r->err = e->error < 0 ? -e->error : e->error;
	parse_extack(e, r->extack, sizeof(r->extack));
	r->done = 1;
	return NL_STOP;
}

static struct nl_msg *new_msg(const struct tcpsplice_handle *h, uint8_t cmd,
			      int nlflags)
{
	struct nl_msg *msg = nlmsg_alloc();

	if (!msg)
		return NULL;
	if (!genlmsg_put(msg, NL_AUTO_PORT, NL_AUTO_SEQ, h->family, 0, nlflags,
			 cmd, TCP_SPLICE_GENL_VERSION)) {
		nlmsg_free(msg);
		return NULL;
	}
	return msg;
}

/*
 * Send msg (freed) and read until the ack, the error or the end of the
 * dump, calling r->parse for every reply.  Caller holds h->lock.
 */
static int transact(struct tcpsplice_handle *h, struct nl_msg *msg, struct req *r)
{
	struct nl_cb *cb = nl_cb_alloc(NL_CB_CUSTOM);
	int e;

	r->h = h;
	if (!cb) {
		nlmsg_free(msg);
		return fail(h, ENOMEM, NULL);
	}
	nl_cb_set(cb, NL_CB_VALID, NL_CB_CUSTOM, cb_valid, r);
	nl_cb_set(cb, NL_CB_FINISH, NL_CB_CUSTOM, cb_finish, r);
	nl_cb_set(cb, NL_CB_ACK, NL_CB_CUSTOM, cb_ack, r);
	nl_cb_err(cb, NL_CB_CUSTOM, cb_error, r);
	e = nl_send_auto(h->sk, msg);
	nlmsg_free(msg);
	if (e < 0) {
		nl_cb_put(cb);
		return fail(h, tspi_nlerr_to_errno(e), NULL);
	}
	while (!r->done) {
		e = nl_recvmsgs(h->sk, cb);
		if (e < 0 && !r->done) {
			nl_cb_put(cb);
			return fail(h, tspi_nlerr_to_errno(e), NULL);
		}
	}
	nl_cb_put(cb);
	if (r->err)
		return fail(h, r->err, r->extack);
	if (r->parse_err)
		return fail(h, r->parse_err, "libtcpsplice: malformed reply");
	return 0;
}

static int put_filter(struct nl_msg *msg, const struct tcpsplice_filter *f)
{
	if (!f)
		return 0;
	if ((f->mask & TCPSPLICE_FILTER_ADDR) && f->family == AF_INET6 &&
	    nla_put(msg, TCP_SPLICE_A_FILTER_ADDR6, sizeof(f->addr6),
		    &f->addr6) < 0)
		return -1;
	if ((f->mask & TCPSPLICE_FILTER_ADDR) && f->family != AF_INET6 &&
	    nla_put_u32(msg, TCP_SPLICE_A_FILTER_ADDR, f->addr.s_addr) < 0)
		return -1;
	if ((f->mask & TCPSPLICE_FILTER_PORT) &&
	    nla_put_u16(msg, TCP_SPLICE_A_FILTER_PORT, f->port) < 0)
		return -1;
	if ((f->mask & TCPSPLICE_FILTER_STATE) &&
	    nla_put_u8(msg, TCP_SPLICE_A_FILTER_STATE, f->state) < 0)
		return -1;
	if ((f->mask & TCPSPLICE_FILTER_ID) &&
	    nla_put_u64(msg, TCP_SPLICE_A_SESSION_ID, f->id) < 0)
		return -1;
	return 0;
}

static int check_filter(const struct tcpsplice_handle *h, const struct tcpsplice_filter *f)
{
	if (!f)
		return 0;
	if (f->mask & ~(TCPSPLICE_FILTER_ADDR | TCPSPLICE_FILTER_PORT | TCPSPLICE_FILTER_STATE |
			TCPSPLICE_FILTER_ID))
		return fail(h, EINVAL, "libtcpsplice: unknown filter bit");
	if ((f->mask & TCPSPLICE_FILTER_STATE) &&
	    (f->state == TCPSPLICE_STATE_NONE || f->state >= TCPSPLICE_STATE_MAX))
		return fail(h, EINVAL, "libtcpsplice: bad state in filter");
	if ((f->mask & TCPSPLICE_FILTER_ADDR) && f->family != 0 &&
	    f->family != AF_INET && f->family != AF_INET6)
		return fail(h, EAFNOSUPPORT, "libtcpsplice: bad address family in filter");
	return 0;
}

/* Common entry of the control-plane calls: h valid, netlink, locked. */
static int enter_nl(struct tcpsplice_handle *h)
{
	if (!h)
		return fail(h, EINVAL, NULL);
	if (!h->sk)
		return fail(h, EOPNOTSUPP,
			    "libtcpsplice: no netlink family tcp_splice (ioctl only)");
	return lock(h, &h->lock);
}

/* ---- splice ------------------------------------------------------------- */

static int parse_id(struct nl_msg *msg, void *arg)
{
	struct nlattr *tb[TCP_SPLICE_A_MAX + 1];

	if (parse_attrs(msg, tb) < 0 || !tb[TCP_SPLICE_A_SESSION_ID])
		return -EPROTO;
	*(uint64_t *)arg = nla_get_u64(tb[TCP_SPLICE_A_SESSION_ID]);
	return 0;
}

static int splice_ioctl(struct tcpsplice_handle *h, int cli_fd, int srv_fd,
			unsigned int flags, uint64_t *id)
{
	if (h->devfd < 0) {
		h->devfd = tspi_dev_open();
		if (h->devfd < 0)
			return fail(h, errno, errno == ENOENT ?
				    "tcp_splice: no /dev/tcp_splice (module not loaded?)" :
				    NULL);
	}
	if (tspi_dev_splice(h->devfd, cli_fd, srv_fd, flags, id) < 0)
		return fail(h, errno, NULL);
	return 0;
}

int tcpsplice_splice(struct tcpsplice_handle *h, int cli_fd, int srv_fd,
	       unsigned int flags, uint64_t *id)
{
	struct req r = { 0 };
	struct nl_msg *msg;
	uint64_t sid = 0;
	int e;

	if (!h)
		return fail(h, EINVAL, NULL);
	if (flags & ~TCPSPLICE_SPLICE_DRAINED)
		return fail(h, EINVAL, "libtcpsplice: unknown splice flag");
	if (cli_fd < 0 || srv_fd < 0)
		return fail(h, EBADF, NULL);
	e = lock(h, &h->lock);
	if (e)
		return e;
	if (!h->sk) {
		e = splice_ioctl(h, cli_fd, srv_fd, flags, id);
		pthread_mutex_unlock(&h->lock);
		return e;
	}
	msg = new_msg(h, TCP_SPLICE_CMD_SPLICE, 0);
	if (!msg || nla_put_s32(msg, TCP_SPLICE_A_FD_CLIENT, cli_fd) < 0 ||
	    nla_put_s32(msg, TCP_SPLICE_A_FD_SERVER, srv_fd) < 0 ||
	    nla_put_u32(msg, TCP_SPLICE_A_FLAGS, flags) < 0) {
		nlmsg_free(msg);
		pthread_mutex_unlock(&h->lock);
		return fail(h, ENOMEM, NULL);
	}
	r.parse = parse_id;
	r.arg = &sid;
	e = transact(h, msg, &r);
	if (!e && !r.count)
		e = fail(h, EPROTO, "libtcpsplice: no session id in the reply");
	/* A family without the command (an older module): the ioctl. */
	if (e == -EOPNOTSUPP && !(h->flags & TCPSPLICE_OPEN_NETLINK_ONLY))
		e = splice_ioctl(h, cli_fd, srv_fd, flags, &sid);
	pthread_mutex_unlock(&h->lock);
	if (!e && id)
		*id = sid;
	return e;
}

/* ---- get / dump / flush / stats ---------------------------------------- */

static int parse_one(struct nl_msg *msg, void *arg)
{
	return tspi_parse_session(msg, arg);
}

int tcpsplice_get(struct tcpsplice_handle *h, uint64_t id, struct tcpsplice_session_info *out)
{
	struct tcpsplice_session_info s;
	struct req r = { 0 };
	struct nl_msg *msg;
	int e;

	if (!out)
		return fail(h, EINVAL, NULL);
	e = enter_nl(h);
	if (e)
		return e;
	msg = new_msg(h, TCP_SPLICE_CMD_GET, 0);
	if (!msg || nla_put_u64(msg, TCP_SPLICE_A_SESSION_ID, id) < 0) {
		nlmsg_free(msg);
		pthread_mutex_unlock(&h->lock);
		return fail(h, ENOMEM, NULL);
	}
	r.parse = parse_one;
	r.arg = &s;
	e = transact(h, msg, &r);
	if (!e && !r.count)
		e = fail(h, EPROTO, "libtcpsplice: empty reply");
	pthread_mutex_unlock(&h->lock);
	if (!e)
		*out = s;
	return e;
}

struct dump_arg {
	tcpsplice_session_cb cb;
	void *arg;
	int calls;
};

static int parse_dump(struct nl_msg *msg, void *arg)
{
	struct dump_arg *d = arg;
	struct tcpsplice_session_info s;
	int e = tspi_parse_session(msg, &s);

	if (e < 0)
		return e;
	d->calls++;
	return d->cb(&s, d->arg) ? 1 : 0;
}

int tcpsplice_dump(struct tcpsplice_handle *h, const struct tcpsplice_filter *filter,
	     tcpsplice_session_cb cb, void *arg)
{
	struct dump_arg d = { cb, arg, 0 };
	struct req r = { 0 };
	struct nl_msg *msg;
	int e;

	if (!cb)
		return fail(h, EINVAL, NULL);
	e = check_filter(h, filter);
	if (e)
		return e;
	e = enter_nl(h);
	if (e)
		return e;
	msg = new_msg(h, TCP_SPLICE_CMD_GET, NLM_F_DUMP);
	if (!msg || put_filter(msg, filter) < 0) {
		nlmsg_free(msg);
		pthread_mutex_unlock(&h->lock);
		return fail(h, ENOMEM, NULL);
	}
	r.parse = parse_dump;
	r.arg = &d;
	e = transact(h, msg, &r);
	pthread_mutex_unlock(&h->lock);
	return e ? e : d.calls;
}

int tcpsplice_flush(struct tcpsplice_handle *h, const struct tcpsplice_filter *filter)
{
	struct req r = { 0 };
	struct nl_msg *msg;
	int e;

	e = check_filter(h, filter);
	if (e)
		return e;
	e = enter_nl(h);
	if (e)
		return e;
	msg = new_msg(h, TCP_SPLICE_CMD_FLUSH, 0);
	if (!msg || put_filter(msg, filter) < 0) {
		nlmsg_free(msg);
		pthread_mutex_unlock(&h->lock);
		return fail(h, ENOMEM, NULL);
	}
	e = transact(h, msg, &r);
	pthread_mutex_unlock(&h->lock);
	return e;
}

static int parse_stats(struct nl_msg *msg, void *arg)
{
	return tspi_parse_stats(msg, arg);
}

int tcpsplice_stats(struct tcpsplice_handle *h, struct tcpsplice_stats *out)
{
	struct req r = { 0 };
	struct tcpsplice_stats st;
	struct nl_msg *msg;
	int e;

	if (!out)
		return fail(h, EINVAL, NULL);
	e = enter_nl(h);
	if (e)
		return e;
	msg = new_msg(h, TCP_SPLICE_CMD_STATS, 0);
	if (!msg) {
		pthread_mutex_unlock(&h->lock);
		return fail(h, ENOMEM, NULL);
	}
	r.parse = parse_stats;
	r.arg = &st;
	e = transact(h, msg, &r);
	if (!e && !r.count)
		e = fail(h, EPROTO, "libtcpsplice: empty reply");
	pthread_mutex_unlock(&h->lock);
	if (!e)
		*out = st;
	return e;
}

/* ---- events ------------------------------------------------------------- */

int tcpsplice_events_subscribe(struct tcpsplice_handle *h)
{
	struct nl_sock *ev;
	int e, err = 0;

	if (!h)
		return fail(h, EINVAL, NULL);
	if (!h->sk)
		return fail(h, EOPNOTSUPP,
			    "libtcpsplice: no netlink family tcp_splice (ioctl only)");
	if (h->mcgrp < 0)
		return fail(h, EOPNOTSUPP,
			    "libtcpsplice: the family has no \"events\" group");
	e = lock(h, &h->ev_lock);
	if (e)
		return e;
	if (h->ev)
		goto out;
	ev = nl_open(&err);
	if (!ev) {
		e = fail(h, err, NULL);
		goto out;
	}
	nl_socket_disable_seq_check(ev);
	nl_socket_disable_auto_ack(ev);
	/* Room for bursts; the kernel caps it at rmem_max. */
	nl_socket_set_buffer_size(ev, 4 << 20, 0);
	e = nl_socket_set_nonblocking(ev);
	if (e >= 0)
		e = nl_socket_add_membership(ev, h->mcgrp);
	if (e < 0) {
		e = fail(h, tspi_nlerr_to_errno(e), NULL);
		nl_socket_free(ev);
		goto out;
	}
	h->ev = ev;
	e = 0;
out:
	pthread_mutex_unlock(&h->ev_lock);
	return e;
}

int tcpsplice_events_fd(struct tcpsplice_handle *h)
{
	int fd;

	if (!h)
		return fail(h, EINVAL, NULL);
	fd = lock(h, &h->ev_lock);
	if (fd)
		return fd;
	fd = h->ev ? nl_socket_get_fd(h->ev) : -1;
	pthread_mutex_unlock(&h->ev_lock);
	return fd >= 0 ? fd : fail(h, EINVAL, "libtcpsplice: not subscribed");
}

struct ev_arg {
	tcpsplice_event_cb cb;
	void *arg;
	int count;
	int stop;
};

static int cb_event(struct nl_msg *msg, void *arg)
{
	struct ev_arg *a = arg;
	struct genlmsghdr *g = genlmsg_hdr(nlmsg_hdr(msg));
	struct tcpsplice_event ev;

	if (a->stop)
		return NL_SKIP;
	switch (g->cmd) {
	case TCP_SPLICE_CMD_EVENT_START:
		ev.type = TCPSPLICE_EVENT_START;
		break;
	case TCP_SPLICE_CMD_EVENT_HANDOFF:
		ev.type = TCPSPLICE_EVENT_HANDOFF;
		break;
	case TCP_SPLICE_CMD_EVENT_END:
		ev.type = TCPSPLICE_EVENT_END;
		break;
	default:
		return NL_SKIP;		/* a newer kernel's event */
	}
	if (tspi_parse_session(msg, &ev.s) < 0)
		return NL_SKIP;
	a->count++;
	if (a->cb(&ev, a->arg)) {
		a->stop = 1;
		return NL_STOP;
	}
	return NL_OK;
}

int tcpsplice_events_read(struct tcpsplice_handle *h, tcpsplice_event_cb cb, void *arg)
{
	struct ev_arg a = { cb, arg, 0, 0 };
	struct nl_cb *ncb;
	int e;

	if (!h || !cb)
		return fail(h, EINVAL, NULL);
	e = lock(h, &h->ev_lock);
	if (e)
		return e;
	if (!h->ev) {
		pthread_mutex_unlock(&h->ev_lock);
		return fail(h, EINVAL, "libtcpsplice: not subscribed");
	}
	ncb = nl_cb_alloc(NL_CB_CUSTOM);
	if (!ncb) {
		pthread_mutex_unlock(&h->ev_lock);
		return fail(h, ENOMEM, NULL);
	}
	nl_cb_set(ncb, NL_CB_VALID, NL_CB_CUSTOM, cb_event, &a);
	e = 0;
	while (!a.stop) {
		errno = 0;
		e = nl_recvmsgs(h->ev, ncb);
		if (e == -NLE_AGAIN) {
			e = 0;
			break;
		}
		if (e < 0) {
			/* libnl reports ENOBUFS (events dropped) as NOMEM */
			int err = e == -NLE_NOMEM && errno == ENOBUFS ?
				  ENOBUFS : tspi_nlerr_to_errno(e);

			e = fail(h, err, err == ENOBUFS ?
				 "tcp_splice: events lost (receive buffer full)" :
				 NULL);
			break;
		}
		e = 0;
	}
	nl_cb_put(ncb);
	pthread_mutex_unlock(&h->ev_lock);
	return e ? e : a.count;
}
