// SPDX-License-Identifier: GPL-2.0
/*
 * Path MTU of the module's own traffic.
 *
 * A router that cannot forward a segment the module sent (DF set, too big
 * for its next hop) answers with ICMP "fragmentation needed" (ICMPv6
 * "packet too big") quoting the segment's headers.  The stack would hand
 * it to the proxy's socket of that tuple, which ignores it: the quoted
 * sequence number lies beyond anything the socket sent itself.  The route's
 * PMTU would never drop and every large segment would be lost again, so
 * the module lowers the segment limit of that direction (dir[].seg_out)
 * itself; later segments are cut to it on the way out (tsp_fit_mss()).
 * The message then goes on to the stack, which applies it to the socket's
 * own segments if they are the ones quoted; it is never forwarded to the
 * other connection.  The limit also follows the route's MTU whenever the
 * route is looked up again (tsp_pmtu_route()).
 */
#include <linux/icmp.h>
#include <linux/icmpv6.h>
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <net/ip.h>
#include <net/ipv6.h>

#include "session.h"

/* Smallest path MTU believed, as the stack's defaults (ip_rt_min_pmtu). */
#define TSP_MIN_PMTU4	552
#define TSP_MIN_PMTU6	IPV6_MIN_MTU

/* The first 8 bytes of the quoted TCP header: all RFC 792 promises. */
struct tsp_quoted_tcp {
	__be16 source;
	__be16 dest;
	__be32 seq;
};

/*
 * Lower the segment limit of dir[x] (towards peer 1-x) for a path MTU of
 * @mtu.  Caller holds s->lock.
 */
static void tsp_pmtu_lower(struct tsp_session *s, int x, unsigned int mtu)
{
	unsigned int nh = s->v6 ? sizeof(struct ipv6hdr) : sizeof(struct iphdr);
	unsigned int min = s->v6 ? TSP_MIN_PMTU6 : TSP_MIN_PMTU4;
	struct tsp_dir *d = &s->dir[x];
	unsigned int limit;

	limit = max(mtu, min) - nh - sizeof(struct tcphdr);
	if (limit >= d->seg_out)
		return;
	tsp_dbg(s->tn, 1, "session %llu dir %d: path MTU %u, segments %u -> %u\n",
		s->id, x, mtu, d->seg_out, limit);
	d->seg_out = limit;
	tsp_stat_inc(s->tn, TCP_SPLICE_STAT_PMTU_LOWERED);
}

/* The route towards peer 1-x was (re)looked up.  Caller holds s->lock. */
void tsp_pmtu_route(struct tsp_session *s, int x, struct dst_entry *dst)
{
	tsp_pmtu_lower(s, x, dst_mtu(dst));
}

/*
 * An ICMP error quoting a segment we sent on connection @o (to peer o),
 * with sequence number @seq: is it plausible?  Only for what the module
 * itself sends, and within the window peer o offers: blind forgeries
 * would otherwise shrink the segments of any session at will.
 */
static void tsp_pmtu_quoted(struct tsp_session *s, int o, u32 seq,
			    unsigned int mtu)
{
	struct tsp_dir *d = &s->dir[!o];	/* segments towards peer o */
	u32 slack = (1U << d->ws_out) + 65536;

	spin_lock_bh(&s->lock);
	if (!tsp_dead(s) && d->phase == TSP_ACTIVE &&
	    !after(seq, d->sent_nxt) &&
	    !before(seq, d->sent_nxt - d->win_offer - slack))
		tsp_pmtu_lower(s, !o, mtu);
	spin_unlock_bh(&s->lock);
}

static void tsp_icmp4(struct tsp_net *tn, struct sk_buff *skb)
{
	unsigned int off = ip_hdrlen(skb);
	struct tsp_quoted_tcp _qt;
	const struct tsp_quoted_tcp *qt;
	const struct icmphdr *ih;
	const struct iphdr *iph;
	struct tsp_session *s;
	struct icmphdr _ih;
	struct iphdr _iph;
	struct tsp_key key;
	u8 side;

	if (ip_is_fragment(ip_hdr(skb)))
		return;
	ih = skb_header_pointer(skb, off, sizeof(_ih), &_ih);
	if (!ih || ih->type != ICMP_DEST_UNREACH ||
	    ih->code != ICMP_FRAG_NEEDED)
		return;
	off += sizeof(_ih);
	iph = skb_header_pointer(skb, off, sizeof(_iph), &_iph);
	if (!iph || iph->version != 4 || iph->ihl < 5 ||
	    iph->protocol != IPPROTO_TCP ||
	    (iph->frag_off & htons(IP_OFFSET)))
		return;
	qt = skb_header_pointer(skb, off + iph->ihl * 4, sizeof(_qt), &_qt);
	if (!qt)
		return;
	/* The quoted segment went from us to the peer: the key of what the
	 * peer sends back.
	 */
	ipv6_addr_set_v4mapped(iph->daddr, &key.saddr);
	ipv6_addr_set_v4mapped(iph->saddr, &key.daddr);
	key.sport = qt->dest;
	key.dport = qt->source;
	s = tsp_lookup(tn, &key, &side);
	if (s && !s->v6)
		tsp_pmtu_quoted(s, side, ntohl(qt->seq),
				ntohs(ih->un.frag.mtu));
}

static void tsp_icmp6(struct tsp_net *tn, struct sk_buff *skb)
{
	unsigned int off = sizeof(struct ipv6hdr);
	struct tsp_quoted_tcp _qt;
	const struct tsp_quoted_tcp *qt;
	const struct icmp6hdr *ih;
	const struct ipv6hdr *ip6;
	struct tsp_session *s;
	struct icmp6hdr _ih;
	struct ipv6hdr _ip6;
	struct tsp_key key;
	u8 side;

	/* No extension headers before the ICMPv6 header (the caller
	 * checked nexthdr), none in the quoted packet either.
	 */
	ih = skb_header_pointer(skb, off, sizeof(_ih), &_ih);
	if (!ih || ih->icmp6_type != ICMPV6_PKT_TOOBIG)
		return;
	off += sizeof(_ih);
	ip6 = skb_header_pointer(skb, off, sizeof(_ip6), &_ip6);
	if (!ip6 || ip6->nexthdr != IPPROTO_TCP)
		return;
	qt = skb_header_pointer(skb, off + sizeof(_ip6), sizeof(_qt), &_qt);
	if (!qt)
		return;
	key.saddr = ip6->daddr;
	key.daddr = ip6->saddr;
	key.sport = qt->dest;
	key.dport = qt->source;
	s = tsp_lookup(tn, &key, &side);
	if (s && s->v6)
		tsp_pmtu_quoted(s, side, ntohl(qt->seq), ntohl(ih->icmp6_mtu));
}

/*
 * PRE_ROUTING, for an ICMP or ICMPv6 packet while sessions exist (under
 * RCU).  Always lets the packet go on.
 */
void tsp_pmtu_icmp(struct tsp_net *tn, struct sk_buff *skb)
{
	if (ip_hdr(skb)->version == 6)
		tsp_icmp6(tn, skb);
	else
		tsp_icmp4(tn, skb);
}
