// SPDX-License-Identifier: GPL-2.0
/*
 * Generic netlink family "tcp_splice": splice, get/dump, flush, stats,
 * and the "events" multicast group.  Per network namespace (netnsok):
 * a request only ever sees the sessions of the sender's namespace.
 *
 * Privileges: SPLICE needs none (owning both descriptors is the proof);
 * FLUSH needs CAP_NET_ADMIN in the namespace's user namespace; GET/DUMP
 * show every session to CAP_NET_ADMIN and only the sender's own sessions
 * (same creator uid) to anyone else.
 */
#include <linux/cred.h>
#include <linux/rculist.h>
#include <net/genetlink.h>
#include <net/ipv6.h>
#include <net/netlink.h>
#include <net/sock.h>

#include "compat.h"
#include "session.h"

static const struct nla_policy tsp_nl_policy[TCP_SPLICE_A_MAX + 1] = {
	[TCP_SPLICE_A_FD_CLIENT]	= { .type = NLA_S32 },
	[TCP_SPLICE_A_FD_SERVER]	= { .type = NLA_S32 },
	[TCP_SPLICE_A_FLAGS]		= NLA_POLICY_MASK(NLA_U32,
							  TCP_SPLICE_F_ALL),
	[TCP_SPLICE_A_SESSION_ID]	= { .type = NLA_U64 },
	[TCP_SPLICE_A_FILTER_ADDR]	= { .type = NLA_BE32 },
	[TCP_SPLICE_A_FILTER_ADDR6]	= NLA_POLICY_EXACT_LEN(sizeof(struct in6_addr)),
	[TCP_SPLICE_A_FILTER_PORT]	= { .type = NLA_U16 },
	[TCP_SPLICE_A_FILTER_STATE]	= NLA_POLICY_RANGE(NLA_U8, 1,
						TCP_SPLICE_S_MAX - 1),
};

static struct genl_family tsp_genl_family;

enum { TSP_NL_MCGRP_EVENTS };

static const struct genl_multicast_group tsp_nl_mcgrps[] = {
	/* Events name every session of the namespace: admins only. */
	[TSP_NL_MCGRP_EVENTS] = { .name = TCP_SPLICE_GENL_MCGRP,
				  .flags = GENL_MCAST_CAP_NET_ADMIN },
};

struct tsp_nl_filter {
	bool has_addr, has_port, has_state, has_id;
	struct in6_addr addr;		/* IPv4: v4-mapped */
	__be16 port;
	u8 state;
	u64 id;
};

static void tsp_nl_parse_filter(struct nlattr **a, struct tsp_nl_filter *f)
{
	memset(f, 0, sizeof(*f));
	if (a[TCP_SPLICE_A_FILTER_ADDR]) {
		f->has_addr = true;
		ipv6_addr_set_v4mapped(nla_get_be32(a[TCP_SPLICE_A_FILTER_ADDR]),
				       &f->addr);
	}
	if (a[TCP_SPLICE_A_FILTER_ADDR6]) {
		f->has_addr = true;
		f->addr = nla_get_in6_addr(a[TCP_SPLICE_A_FILTER_ADDR6]);
	}
	if (a[TCP_SPLICE_A_FILTER_PORT]) {
		f->has_port = true;
		f->port = htons(nla_get_u16(a[TCP_SPLICE_A_FILTER_PORT]));
	}
	if (a[TCP_SPLICE_A_FILTER_STATE]) {
		f->has_state = true;
		f->state = nla_get_u8(a[TCP_SPLICE_A_FILTER_STATE]);
	}
	if (a[TCP_SPLICE_A_SESSION_ID]) {
		f->has_id = true;
		f->id = nla_get_u64(a[TCP_SPLICE_A_SESSION_ID]);
	}
}

static bool tsp_nl_match(const struct tsp_session *s,
			 const struct tsp_nl_filter *f)
{
	int i;

	if (f->has_id && s->id != f->id)
		return false;
	if (f->has_state && READ_ONCE(s->state) != f->state)
		return false;
	if (f->has_addr) {
		bool hit = false;

		for (i = 0; i < 2; i++)
			hit |= ipv6_addr_equal(&tsp_peer_addr(s, i), &f->addr) ||
			       ipv6_addr_equal(&tsp_local_addr(s, i), &f->addr);
		if (!hit)
			return false;
	}
	if (f->has_port) {
		bool hit = false;

		for (i = 0; i < 2; i++)
			hit |= tsp_peer_port(s, i) == f->port ||
			       tsp_local_port(s, i) == f->port;
		if (!hit)
			return false;
	}
	return true;
}

/* May the sender of @skb see @s? */
static bool tsp_nl_visible(const struct sk_buff *skb, const struct net *net,
			   const struct tsp_session *s)
{
	if (netlink_ns_capable(skb, net->user_ns, CAP_NET_ADMIN))
		return true;
	return uid_eq(s->uid, current_fsuid());
}

/* The four addresses: be32 attributes for IPv4, in6_addr ones for IPv6. */
static int tsp_nl_put_addrs(struct sk_buff *msg, const struct tsp_session *s)
{
	static const int v4[4] = {
		TCP_SPLICE_A_CLIENT_ADDR, TCP_SPLICE_A_PROXY_ADDR_A,
		TCP_SPLICE_A_PROXY_ADDR_B, TCP_SPLICE_A_SERVER_ADDR,
	};
	static const int v6[4] = {
		TCP_SPLICE_A_CLIENT_ADDR6, TCP_SPLICE_A_PROXY_ADDR6_A,
		TCP_SPLICE_A_PROXY_ADDR6_B, TCP_SPLICE_A_SERVER_ADDR6,
	};
	const struct in6_addr *a[4] = {
		&tsp_peer_addr(s, 0), &tsp_local_addr(s, 0),
		&tsp_local_addr(s, 1), &tsp_peer_addr(s, 1),
	};
	int i;

	for (i = 0; i < 4; i++) {
		if (s->v6 ? nla_put_in6_addr(msg, v6[i], a[i]) :
			    nla_put_in_addr(msg, v4[i], a[i]->s6_addr32[3]))
			return -EMSGSIZE;
	}
	return 0;
}

/* Session attributes.  Caller holds s->lock. */
static int tsp_nl_put_session(struct sk_buff *msg, struct tsp_session *s)
{
	long left = (long)(READ_ONCE(s->expires) - jiffies);

	if (nla_put_u64_64bit(msg, TCP_SPLICE_A_SESSION_ID, s->id,
			      TCP_SPLICE_A_PAD) ||
	    tsp_nl_put_addrs(msg, s) ||
	    nla_put_u16(msg, TCP_SPLICE_A_CLIENT_PORT, ntohs(tsp_peer_port(s, 0))) ||
	    nla_put_u16(msg, TCP_SPLICE_A_PROXY_PORT_A,
			ntohs(tsp_local_port(s, 0))) ||
	    nla_put_u16(msg, TCP_SPLICE_A_PROXY_PORT_B,
			ntohs(tsp_local_port(s, 1))) ||
	    nla_put_u16(msg, TCP_SPLICE_A_SERVER_PORT, ntohs(tsp_peer_port(s, 1))) ||
	    nla_put_u8(msg, TCP_SPLICE_A_STATE, s->state) ||
	    nla_put_u32(msg, TCP_SPLICE_A_EXPIRES,
			left > 0 ? DIV_ROUND_UP(left, HZ) : 0) ||
	    nla_put_u64_64bit(msg, TCP_SPLICE_A_PKTS_C2S, s->dir[0].pkts,
			      TCP_SPLICE_A_PAD) ||
	    nla_put_u64_64bit(msg, TCP_SPLICE_A_BYTES_C2S, s->dir[0].bytes,
			      TCP_SPLICE_A_PAD) ||
	    nla_put_u64_64bit(msg, TCP_SPLICE_A_PKTS_S2C, s->dir[1].pkts,
			      TCP_SPLICE_A_PAD) ||
	    nla_put_u64_64bit(msg, TCP_SPLICE_A_BYTES_S2C, s->dir[1].bytes,
			      TCP_SPLICE_A_PAD) ||
	    nla_put_u64_64bit(msg, TCP_SPLICE_A_DURATION_MS,
			      jiffies_to_msecs(jiffies - s->created),
			      TCP_SPLICE_A_PAD) ||
	    nla_put_u8(msg, TCP_SPLICE_A_END_REASON, s->reason) ||
	    nla_put_u32(msg, TCP_SPLICE_A_FLAGS,
			s->drained ? TCP_SPLICE_F_DRAINED : 0) ||
	    nla_put_u32(msg, TCP_SPLICE_A_UID,
			from_kuid_munged(&init_user_ns, s->uid)))
		return -EMSGSIZE;
	return 0;
}

/* The payload tsp_nl_put_session() writes at most (IPv6 addresses). */
static size_t tsp_nl_session_size(void)
{
	return 6 * nla_total_size_64bit(sizeof(u64)) +	/* id, counters */
	       4 * nla_total_size(sizeof(struct in6_addr)) +
	       4 * nla_total_size(sizeof(u16)) +	/* ports */
	       2 * nla_total_size(sizeof(u8)) +		/* state, reason */
	       3 * nla_total_size(sizeof(u32));		/* expires, flags, uid */
}

static int tsp_nl_fill(struct sk_buff *msg, struct tsp_session *s, u32 portid,
		       u32 seq, int flags, u8 cmd)
{
	void *hdr;
	int err;

	hdr = genlmsg_put(msg, portid, seq, &tsp_genl_family, flags, cmd);
	if (!hdr)
		return -EMSGSIZE;
	spin_lock_bh(&s->lock);
	err = tsp_nl_put_session(msg, s);
	spin_unlock_bh(&s->lock);
	if (err) {
		genlmsg_cancel(msg, hdr);
		return err;
	}
	genlmsg_end(msg, hdr);
	return 0;
}

/* Multicast an event about @s.  Caller holds s->lock; atomic context. */
void tsp_nl_event_locked(struct tsp_session *s, u8 cmd)
	__must_hold(&s->lock)
{
	struct net *net = s->tn->net;
	struct sk_buff *msg;
	void *hdr;
	int err;

	if (!genl_has_listeners(&tsp_genl_family, net, TSP_NL_MCGRP_EVENTS))
		return;
	/* The exact size, not a page: a listener's receive buffer is
	 * charged each skb's truesize (about 4.4 KiB for a page-sized
	 * event, 1.3 KiB for this one), and the events of a burst of
	 * thousands of handoffs must fit in it.
	 */
	msg = genlmsg_new(tsp_nl_session_size(), GFP_ATOMIC);
	if (!msg)
		return;
	hdr = genlmsg_put(msg, 0, 0, &tsp_genl_family, 0, cmd);
	if (!hdr)
		goto err;
	err = tsp_nl_put_session(msg, s);
	if (err)
		goto err;
	genlmsg_end(msg, hdr);
	genlmsg_multicast_netns(&tsp_genl_family, net, msg, 0,
				TSP_NL_MCGRP_EVENTS, GFP_ATOMIC);
	return;
err:
	nlmsg_free(msg);
}

void tsp_nl_event(struct tsp_session *s, u8 cmd)
{
	spin_lock_bh(&s->lock);
	tsp_nl_event_locked(s, cmd);
	spin_unlock_bh(&s->lock);
}

/* The extended ack of a refused splice: the errno list of the uapi header. */
static void tsp_splice_errmsg(struct netlink_ext_ack *extack, int err)
{
	switch (err) {
	case -EBADF:
		NL_SET_ERR_MSG(extack, "descriptor not open");
		break;
	case -ENOTSOCK:
		NL_SET_ERR_MSG(extack, "descriptor is not a socket");
		break;
	case -EAFNOSUPPORT:
		NL_SET_ERR_MSG(extack, "not IPv4/IPv6, or an IPv4 and an IPv6 connection");
		break;
	case -EPROTONOSUPPORT:
		NL_SET_ERR_MSG(extack, "socket is not plain TCP");
		break;
	case -EOPNOTSUPP:
		NL_SET_ERR_MSG(extack, "socket is listening");
		break;
	case -ENOTCONN:
		NL_SET_ERR_MSG(extack, "socket not connected or shut down, or both peers finished");
		break;
	case -ELOOP:
		NL_SET_ERR_MSG(extack, "both descriptors are the same socket");
		break;
	case -EXDEV:
		NL_SET_ERR_MSG(extack, "sockets of another network namespace");
		break;
	case -EBUSY:
		NL_SET_ERR_MSG(extack, "socket already spliced or in repair mode");
		break;
	case -ENOSPC:
		NL_SET_ERR_MSG(extack, "max_sessions reached");
		break;
	case -ENOPROTOOPT:
		NL_SET_ERR_MSG(extack, "signed segments (MD5/AO) or TS granularities differ");
		break;
	case -EINVAL:
		NL_SET_ERR_MSG(extack, "unknown flags");
		break;
	case -ENODEV:
		NL_SET_ERR_MSG(extack, "module unloading");
		break;
	case -ENOMEM:
		NL_SET_ERR_MSG(extack, "out of memory");
		break;
	default:
		NL_SET_ERR_MSG(extack, "moving the unread bytes failed, session ended");
	}
}

static int tsp_nl_splice(struct sk_buff *skb, struct genl_info *info)
{
	struct nlattr **a = info->attrs;
	struct sk_buff *msg;
	u32 flags = 0;
	void *hdr;
	u64 id;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, TCP_SPLICE_A_FD_CLIENT) ||
	    GENL_REQ_ATTR_CHECK(info, TCP_SPLICE_A_FD_SERVER))
		return -EINVAL;
	if (a[TCP_SPLICE_A_FLAGS])
		flags = nla_get_u32(a[TCP_SPLICE_A_FLAGS]);
	err = tsp_splice_net(nla_get_s32(a[TCP_SPLICE_A_FD_CLIENT]),
			     nla_get_s32(a[TCP_SPLICE_A_FD_SERVER]), flags,
			     genl_info_net(info), &id);
	if (err) {
		tsp_splice_errmsg(info->extack, err);
		return err;
	}
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &tsp_genl_family, 0,
				TCP_SPLICE_CMD_SPLICE);
	if (!hdr || nla_put_u64_64bit(msg, TCP_SPLICE_A_SESSION_ID, id,
				      TCP_SPLICE_A_PAD)) {
		nlmsg_free(msg);
		return -EMSGSIZE;
	}
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
}

/* Find a session by id, with a reference.  NULL if absent/invisible. */
static struct tsp_session *tsp_nl_find(struct sk_buff *skb, struct net *net,
				       u64 id)
{
	struct tsp_session *s = tsp_session_get_by_id(tsp_pernet(net), id);

	if (s && !tsp_nl_visible(skb, net, s)) {
		tsp_session_put(s);
		s = NULL;
	}
	return s;
}

static int tsp_nl_get(struct sk_buff *skb, struct genl_info *info)
{
	struct net *net = genl_info_net(info);
	struct tsp_session *s;
	struct sk_buff *msg;
	int err;

	if (GENL_REQ_ATTR_CHECK(info, TCP_SPLICE_A_SESSION_ID))
		return -EINVAL;
	s = tsp_nl_find(skb, net,
			nla_get_u64(info->attrs[TCP_SPLICE_A_SESSION_ID]));
	if (!s) {
		NL_SET_ERR_MSG_ATTR(info->extack,
				    info->attrs[TCP_SPLICE_A_SESSION_ID],
				    "no such session");
		return -ENOENT;
	}
	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg) {
		tsp_session_put(s);
		return -ENOMEM;
	}
	err = tsp_nl_fill(msg, s, info->snd_portid, info->snd_seq, 0,
			  TCP_SPLICE_CMD_GET);
	tsp_session_put(s);
	if (err) {
		nlmsg_free(msg);
		return err;
	}
	return genlmsg_reply(msg, info);
}

/*
 * A dump goes on where the last round stopped: cb->args[1] holds a
 * reference to the last session sent, and the walk continues after it if
 * it is still listed (not TSP_F_DEAD: it is then in the list during this
 * RCU section, so its next pointer leads on).  Else the walk starts again
 * at the head and skips every id up to the last one sent (cb->args[0]):
 * ids grow along the list (tsp_session_insert).  Either way a session
 * ending between two rounds never makes the dump skip a live one, and a
 * round costs what it sends, not the length of the list before it.
 */
static int tsp_nl_dump(struct sk_buff *skb, struct netlink_callback *cb)
{
	const struct genl_dumpit_info *ginfo = genl_dumpit_info(cb);
	struct net *net = sock_net(skb->sk);
	struct tsp_net *tn = tsp_pernet(net);
	struct tsp_session *cur = (struct tsp_session *)cb->args[1];
	struct tsp_session *s, *sent = NULL;
	struct tsp_nl_filter f;
	u64 last = cb->args[0];

	tsp_nl_parse_filter(tsp_dumpit_attrs(ginfo), &f);
	rcu_read_lock();
	if (cur && !tsp_dead(cur))
		s = cur;
	else
		s = list_entry(&tn->list, struct tsp_session, list);
	list_for_each_entry_continue_rcu(s, &tn->list, list) {
		if (s->id <= last || !tsp_nl_match(s, &f) ||
		    !tsp_nl_visible(cb->skb, net, s))
			continue;
		if (tsp_nl_fill(skb, s, NETLINK_CB(cb->skb).portid,
				cb->nlh->nlmsg_seq, NLM_F_MULTI,
				TCP_SPLICE_CMD_GET))
			break;
		last = s->id;
		sent = s;
	}
	if (sent) {
		if (!refcount_inc_not_zero(&sent->ref))
			sent = NULL;	/* ending: the next round walks by id */
		if (cur)
			tsp_session_put(cur);
		cb->args[1] = (long)sent;
	}
	rcu_read_unlock();
	cb->args[0] = last;
	/* A full message ends this round; an empty one ends the dump. */
	return skb->len;
}

static int tsp_nl_dump_done(struct netlink_callback *cb)
{
	struct tsp_session *cur = (struct tsp_session *)cb->args[1];

	if (cur)
		tsp_session_put(cur);
	cb->args[1] = 0;
	return 0;
}

struct tsp_nl_flush_arg {
	struct tsp_nl_filter f;
};

static bool tsp_nl_flush_match(struct tsp_session *s, void *arg)
{
	struct tsp_nl_flush_arg *fa = arg;

	return tsp_nl_match(s, &fa->f);
}

static int tsp_nl_flush(struct sk_buff *skb, struct genl_info *info)
{
	struct tsp_net *tn = tsp_pernet(genl_info_net(info));
	struct tsp_nl_flush_arg fa;

	tsp_nl_parse_filter(info->attrs, &fa.f);
	if (fa.f.has_id) {
		/* one session: from the index, not a walk of the list */
		struct tsp_session *s = tsp_session_get_by_id(tn, fa.f.id);
		bool found = s && !tsp_dead(s) && tsp_nl_match(s, &fa.f);

		if (found)
			tsp_session_destroy(s, TSP_END_FLUSH, false);
		if (s)
			tsp_session_put(s);
		if (!found) {
			NL_SET_ERR_MSG(info->extack, "no such session");
			return -ENOENT;
		}
		return 0;
	}
	tsp_sessions_flush_match(tn, tsp_nl_flush_match, &fa, TSP_END_FLUSH);
	return 0;
}

static int tsp_nl_stats(struct sk_buff *skb, struct genl_info *info)
{
	struct tsp_net *tn = tsp_pernet(genl_info_net(info));
	struct tsp_stats st;
	struct sk_buff *msg;
	struct nlattr *nest;
	void *hdr;
	int i;

	msg = genlmsg_new(NLMSG_GOODSIZE, GFP_KERNEL);
	if (!msg)
		return -ENOMEM;
	hdr = genlmsg_put_reply(msg, info, &tsp_genl_family, 0,
				TCP_SPLICE_CMD_STATS);
	if (!hdr)
		goto err;
	tsp_stats_sum(tn, &st);
	if (nla_put_u32(msg, TCP_SPLICE_A_SESSIONS_ACTIVE,
			atomic_read(&tn->count)))
		goto err;
	nest = nla_nest_start(msg, TCP_SPLICE_A_STATS);
	if (!nest)
		goto err;
	for (i = 0; i < __TCP_SPLICE_STAT_MAX; i++)
		if (nla_put_u64_64bit(msg, i + 1, st.v[i], 0))
			goto err;
	nla_nest_end(msg, nest);
	genlmsg_end(msg, hdr);
	return genlmsg_reply(msg, info);
err:
	nlmsg_free(msg);
	return -EMSGSIZE;
}

/* GET needs .done (the dump's reference), which small ops lack. */
static const struct genl_ops tsp_nl_full_ops[] = {
	{
		.cmd	= TCP_SPLICE_CMD_GET,
		.doit	= tsp_nl_get,
		.dumpit	= tsp_nl_dump,
		.done	= tsp_nl_dump_done,
	},
};

static const struct genl_small_ops tsp_nl_ops[] = {
	{
		.cmd	= TCP_SPLICE_CMD_SPLICE,
		.doit	= tsp_nl_splice,
	},
	{
		.cmd	= TCP_SPLICE_CMD_FLUSH,
		.doit	= tsp_nl_flush,
		.flags	= GENL_UNS_ADMIN_PERM,
	},
	{
		.cmd	= TCP_SPLICE_CMD_STATS,
		.doit	= tsp_nl_stats,
	},
};

static struct genl_family tsp_genl_family __ro_after_init = {
	.name		= TCP_SPLICE_GENL_NAME,
	.version	= TCP_SPLICE_GENL_VERSION,
	.maxattr	= TCP_SPLICE_A_MAX,
	.policy		= tsp_nl_policy,
	.netnsok	= true,
	.module		= THIS_MODULE,
	.ops		= tsp_nl_full_ops,
	.n_ops		= ARRAY_SIZE(tsp_nl_full_ops),
	.small_ops	= tsp_nl_ops,
	.n_small_ops	= ARRAY_SIZE(tsp_nl_ops),
	/* The core checks every command's header: reserved 0, no flags
	 * beyond REQUEST, ACK, ECHO and DUMP.
	 */
	.resv_start_op	= 0,
	.mcgrps		= tsp_nl_mcgrps,
	.n_mcgrps	= ARRAY_SIZE(tsp_nl_mcgrps),
};

int tsp_netlink_init(void)
{
	return genl_register_family(&tsp_genl_family);
}

void tsp_netlink_exit(void)
{
	genl_unregister_family(&tsp_genl_family);
}
