// SPDX-License-Identifier: GPL-2.0
/*
 * Segment parsing and header rewriting.
 *
 * Checksums: every header edit is made in place on the TCP header, then
 * one incremental update covers the difference between the old and the
 * new header (inet_proto_csum_replace_by_diff), and the address changes
 * are applied as pseudo-header updates (inet_proto_csum_replace4).  Both
 * helpers do the right thing for CHECKSUM_PARTIAL (only the pseudo-header
 * seed changes), CHECKSUM_COMPLETE and CHECKSUM_NONE/UNNECESSARY (the
 * checksum field is patched); the payload is never summed again.
 */
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/tcp.h>
#include <net/checksum.h>
#include <net/ip.h>
#include <net/ip6_checksum.h>
#include <net/ipv6.h>
#include <net/tcp.h>

#include "compat.h"
#include "xlate.h"

#define TSP_MAX_THLEN	60

/*
 * The segment's IP header and total length.  IPv6: only a TCP header right
 * after the fixed header (the hooks drop spliced segments with extension
 * headers before they get here).
 */
static int tsp_parse_ip(struct sk_buff *skb, struct tsp_pkt *p,
			unsigned int *tot)
{
	const struct iphdr *iph = ip_hdr(skb);

	p->v6 = iph->version == 6;
	if (p->v6) {
		const struct ipv6hdr *ip6 = ipv6_hdr(skb);

		if (ip6->nexthdr != IPPROTO_TCP)
			return -EINVAL;
		p->nhlen = sizeof(*ip6);
		*tot = sizeof(*ip6) + ntohs(ip6->payload_len);
		return 0;
	}
	p->nhlen = iph->ihl * 4;
	*tot = ntohs(iph->tot_len);
	return 0;
}

int tsp_parse(struct sk_buff *skb, struct tsp_pkt *p)
{
	const struct tcphdr *th;
	unsigned int tot, off;
	const u8 *opt;

	if (tsp_parse_ip(skb, p, &tot))
		return -EINVAL;
	if (!pskb_may_pull(skb, p->nhlen + sizeof(struct tcphdr)))
		return -EINVAL;
	th = (const struct tcphdr *)(skb_network_header(skb) + p->nhlen);
	p->thlen = th->doff * 4;
	if (p->thlen < sizeof(struct tcphdr) || tot < p->nhlen + p->thlen ||
	    skb->len < tot)
		return -EINVAL;
	if (!pskb_may_pull(skb, p->nhlen + p->thlen))
		return -EINVAL;
	th = (const struct tcphdr *)(skb_network_header(skb) + p->nhlen);

	p->paylen = tot - p->nhlen - p->thlen;
	p->seq = ntohl(th->seq);
	p->ack = ntohl(th->ack_seq);
	p->flags = tcp_flag_byte(th);
	p->win = ntohs(th->window);
	p->end_seq = p->seq + p->paylen + th->syn + th->fin;
	p->ts_off = 0;
	p->sack_off = 0;
	p->sack_len = 0;
	p->tsval = 0;
	p->tsecr = 0;

	opt = (const u8 *)th;
	off = sizeof(struct tcphdr);
	while (off < p->thlen) {
		u8 kind = opt[off], len;

		if (kind == TCPOPT_EOL)
			break;
		if (kind == TCPOPT_NOP) {
			off++;
			continue;
		}
		if (off + 1 >= p->thlen)
			return -EINVAL;
		len = opt[off + 1];
		if (len < 2 || off + len > p->thlen)
			return -EINVAL;
		switch (kind) {
		case TCPOPT_TIMESTAMP:
			if (len != TCPOLEN_TIMESTAMP || p->ts_off)
				return -EINVAL;
			p->ts_off = off;
			p->tsval = get_unaligned_be32(opt + off + 2);
			p->tsecr = get_unaligned_be32(opt + off + 6);
			break;
		case TCPOPT_SACK:
			if (len < 10 || (len - 2) % 8 || p->sack_off)
				return -EINVAL;
			p->sack_off = off;
			p->sack_len = len;
			break;
		case TCPOPT_MD5SIG:
		case 29:	/* TCP-AO: signed segments cannot be rewritten */
			return -EPROTO;
		default:
			break;
		}
		off += len;
	}
	return 0;
}

static struct tcphdr *tsp_writable_th(struct sk_buff *skb,
				      const struct tsp_pkt *p)
{
	if (skb_ensure_writable(skb, p->nhlen + p->thlen))
		return NULL;
	return (struct tcphdr *)(skb_network_header(skb) + p->nhlen);
}

/* Fold the change from @old to the current header into th->check. */
static void tsp_fix_check(struct sk_buff *skb, struct tcphdr *th,
			  const void *old, unsigned int len)
{
	__wsum diff = csum_sub(csum_partial(th, len, 0),
			       csum_partial(old, len, 0));

	inet_proto_csum_replace_by_diff(&th->check, skb, diff, false, false);
}

/* Pseudo-header checksum of @len bytes of TCP (tcp_v4_check/tcp_v6_check). */
static __sum16 tsp_pseudo_check(const struct sk_buff *skb,
				const struct tsp_pkt *p, unsigned int len,
				__wsum base)
{
	if (p->v6)
		return tcp_v6_check(len, &ipv6_hdr(skb)->saddr,
				    &ipv6_hdr(skb)->daddr, base);
	return tcp_v4_check(len, ip_hdr(skb)->saddr, ip_hdr(skb)->daddr, base);
}

/* Set the IP length field for @l4len bytes of TCP header and payload. */
static void tsp_set_ip_len(struct sk_buff *skb, const struct tsp_pkt *p,
			   unsigned int l4len)
{
	if (p->v6) {
		ipv6_hdr(skb)->payload_len = htons(l4len);
		return;
	}
	ip_hdr(skb)->tot_len = htons(p->nhlen + l4len);
	ip_send_check(ip_hdr(skb));
}

static void tsp_set_addr4(struct sk_buff *skb, struct iphdr *iph,
			  struct tcphdr *th, __be32 *field, __be32 val)
{
	if (*field == val)
		return;
	inet_proto_csum_replace4(&th->check, skb, *field, val, true);
	csum_replace4(&iph->check, *field, val);
	*field = val;
}

static void tsp_set_addr6(struct sk_buff *skb, struct tcphdr *th,
			  struct in6_addr *field, const struct in6_addr *val)
{
	if (ipv6_addr_equal(field, val))
		return;
	inet_proto_csum_replace16(&th->check, skb, field->s6_addr32,
				  val->s6_addr32, true);
	*field = *val;
}

/* The addresses of a segment being forwarded. */
static void tsp_set_addrs(struct sk_buff *skb, const struct tsp_pkt *p,
			  struct tcphdr *th, const struct tsp_rw *rw)
{
	if (p->v6) {
		struct ipv6hdr *ip6 = ipv6_hdr(skb);

		tsp_set_addr6(skb, th, &ip6->saddr, &rw->saddr);
		tsp_set_addr6(skb, th, &ip6->daddr, &rw->daddr);
	} else {
		struct iphdr *iph = ip_hdr(skb);

		tsp_set_addr4(skb, iph, th, &iph->saddr,
			      rw->saddr.s6_addr32[3]);
		tsp_set_addr4(skb, iph, th, &iph->daddr,
			      rw->daddr.s6_addr32[3]);
	}
}

static void tsp_rewrite_sack(u8 *opt, const struct tsp_pkt *p,
			     const struct tsp_rw *rw)
{
	u8 *o = opt + p->sack_off;
	unsigned int n = (p->sack_len - 2) / 8, j, keep = 0;

	if (!rw->sack_keep) {
		memset(o, TCPOPT_NOP, p->sack_len);
		return;
	}
	for (j = 0; j < n; j++) {
		u32 start = get_unaligned_be32(o + 2 + 8 * j) - rw->sack_delta;
		u32 end = get_unaligned_be32(o + 6 + 8 * j) - rw->sack_delta;

		/* Edges below the splice point acknowledge the proxy's own
		 * bytes, which the receiver never sent: drop them.
		 */
		if (!after(end, rw->sack_floor))
			continue;
		if (before(start, rw->sack_floor))
			start = rw->sack_floor;
		put_unaligned_be32(start, o + 2 + 8 * keep);
		put_unaligned_be32(end, o + 6 + 8 * keep);
		keep++;
	}
	if (!keep) {
		memset(o, TCPOPT_NOP, p->sack_len);
		return;
	}
	o[1] = 2 + 8 * keep;
	memset(o + 2 + 8 * keep, TCPOPT_NOP, 8 * (n - keep));
}

/* Make @skb a GSO skb whose segments fit @mss, if it does not already. */
static void tsp_fit_mss(struct sk_buff *skb, const struct tsp_pkt *p,
			struct tcphdr *th, unsigned int mss)
{
	struct skb_shared_info *shinfo = skb_shinfo(skb);

	if (!mss || p->paylen <= mss)
		return;
	if (skb_is_gso(skb) && shinfo->gso_size <= mss)
		return;
	if (skb->ip_summed != CHECKSUM_PARTIAL) {
		/* The checksum is valid here (verified or trusted on input
		 * and updated incrementally): hand the rest to the output
		 * path, which sums each segment.
		 */
		skb_set_transport_header(skb, p->nhlen);
		skb->ip_summed = CHECKSUM_PARTIAL;
		skb->csum_start = skb_transport_header(skb) - skb->head;
		skb->csum_offset = offsetof(struct tcphdr, check);
		th->check = ~tsp_pseudo_check(skb, p, p->thlen + p->paylen, 0);
	}
	/* A GRO skb may carry a frag_list cut at the old size: DODGY makes
	 * skb_segment() check its layout against the new one.
	 */
	if (skb_is_gso(skb))
		shinfo->gso_type |= SKB_GSO_DODGY;
	shinfo->gso_size = mss;
	shinfo->gso_type |= p->v6 ? SKB_GSO_TCPV6 : SKB_GSO_TCPV4;
	shinfo->gso_segs = DIV_ROUND_UP(p->paylen, mss);
}

/*
 * Grow the TCP header of @skb by a NOP, NOP, TS option (values written by
 * the caller) for a receiver that negotiated timestamps when the sender
 * did not: RFC 7323 wants one in every segment, and some stacks drop
 * segments without.  The headers move 12 bytes towards the head; the
 * checksum becomes CHECKSUM_PARTIAL (seeded with the new length), so the
 * payload is summed once, on output.  Updates @p.  No room (options
 * already near 40 bytes, e.g. four SACK blocks): the segment goes without.
 */
static int tsp_insert_ts(struct sk_buff *skb, struct tsp_pkt *p)
{
	const unsigned int add = TCPOLEN_TSTAMP_ALIGNED;
	unsigned int hl = p->nhlen + p->thlen;
	struct tcphdr *th;
	u8 *o;

	if (p->thlen + add > TSP_MAX_THLEN)
		return 0;
	if (skb_cow_head(skb, add))
		return -ENOMEM;
	memmove(skb->data - add, skb->data, hl);
	__skb_push(skb, add);
	skb_reset_network_header(skb);
	skb_set_transport_header(skb, p->nhlen);
	th = tcp_hdr(skb);
	o = (u8 *)th + p->thlen;
	o[0] = TCPOPT_NOP;
	o[1] = TCPOPT_NOP;
	o[2] = TCPOPT_TIMESTAMP;
	o[3] = TCPOLEN_TIMESTAMP;
	memset(o + 4, 0, 8);
	p->ts_off = p->thlen + 2;
	p->thlen += add;
	th->doff = p->thlen / 4;
	tsp_set_ip_len(skb, p, p->thlen + p->paylen);
	skb_partial_csum_set(skb, p->nhlen, offsetof(struct tcphdr, check));
	th->check = ~tsp_pseudo_check(skb, p, p->thlen + p->paylen, 0);
	return 0;
}

int tsp_rewrite(struct sk_buff *skb, const struct tsp_pkt *in,
		const struct tsp_rw *rw)
{
	struct tsp_pkt q = *in, *p = &q;
	u8 old[TSP_MAX_THLEN];
	struct tcphdr *th;
	u32 win;
	u8 *opt;

	if (rw->ts_add && rw->ts_keep && !p->ts_off) {
		if (skb_ensure_writable(skb, p->nhlen + p->thlen) ||
		    tsp_insert_ts(skb, p))
			return -ENOMEM;
	}
	th = tsp_writable_th(skb, p);
	if (!th)
		return -ENOMEM;
	memcpy(old, th, p->thlen);
	opt = (u8 *)th;

	th->source = rw->sport;
	th->dest = rw->dport;
	th->seq = htonl(rw->seq);
	if (th->ack)
		th->ack_seq = htonl(rw->ack);
	win = ((u32)ntohs(th->window) << rw->ws_in) >> rw->ws_out;
	th->window = htons(min_t(u32, win, 65535U));
	if (p->ts_off) {
		if (rw->ts_keep) {
			put_unaligned_be32(rw->tsval, opt + p->ts_off + 2);
			put_unaligned_be32(rw->tsecr, opt + p->ts_off + 6);
		} else {
			memset(opt + p->ts_off, TCPOPT_NOP, TCPOLEN_TIMESTAMP);
		}
	}
	if (p->sack_off)
		tsp_rewrite_sack(opt, p, rw);
	tsp_fix_check(skb, th, old, p->thlen);
	tsp_set_addrs(skb, p, th, rw);

	if (rw->seg_out > p->thlen - sizeof(struct tcphdr))
		tsp_fit_mss(skb, p, th,
			    rw->seg_out - (p->thlen - sizeof(struct tcphdr)));
	return 0;
}

/*
 * Turn a segment from a peer into what its proxy socket should see: the
 * acknowledgment only (@trim), with @seq at the socket's rcv_nxt and @ack
 * clamped by the caller to what the socket really sent.
 */
int tsp_make_feed(struct sk_buff *skb, const struct tsp_pkt *p, u32 seq,
		  u32 ack, bool trim, bool strip_sack)
{
	u8 old[TSP_MAX_THLEN];
	struct tcphdr *th;

	if (trim && (p->paylen || (p->flags & TCPHDR_FIN))) {
		if (pskb_trim(skb, p->nhlen + p->thlen))
			return -ENOMEM;
		if (skb_is_gso(skb))
			skb_gso_reset(skb);
		th = tsp_writable_th(skb, p);
		if (!th)
			return -ENOMEM;
		tsp_set_ip_len(skb, p, p->thlen);
		th->seq = htonl(seq);
		th->ack_seq = htonl(ack);
		th->fin = 0;
		th->psh = 0;
		th->urg = 0;
		th->urg_ptr = 0;
		if (strip_sack && p->sack_off)
			memset((u8 *)th + p->sack_off, TCPOPT_NOP, p->sack_len);
		/* A bare header now: sum it afresh. */
		th->check = 0;
		th->check = tsp_pseudo_check(skb, p, p->thlen,
					     csum_partial(th, p->thlen, 0));
		skb->ip_summed = CHECKSUM_UNNECESSARY;
		return 0;
	}

	th = tsp_writable_th(skb, p);
	if (!th)
		return -ENOMEM;
	memcpy(old, th, p->thlen);
	th->seq = htonl(seq);
	th->ack_seq = htonl(ack);
	if (strip_sack && p->sack_off)
		memset((u8 *)th + p->sack_off, TCPOPT_NOP, p->sack_len);
	tsp_fix_check(skb, th, old, p->thlen);
	return 0;
}

/* Move a bare ACK of a proxy socket to the current sequence number. */
int tsp_set_seq(struct sk_buff *skb, const struct tsp_pkt *p, u32 seq)
{
	u8 old[sizeof(struct tcphdr)];
	struct tcphdr *th;

	th = tsp_writable_th(skb, p);
	if (!th)
		return -ENOMEM;
	memcpy(old, th, sizeof(old));
	th->seq = htonl(seq);
	tsp_fix_check(skb, th, old, sizeof(old));
	return 0;
}

/* Refresh the acknowledgment of a segment of a proxy socket. */
int tsp_set_ack(struct sk_buff *skb, const struct tsp_pkt *p, u32 ack,
		__be16 win)
{
	u8 old[sizeof(struct tcphdr)];
	struct tcphdr *th;

	th = tsp_writable_th(skb, p);
	if (!th)
		return -ENOMEM;
	memcpy(old, th, sizeof(old));
	th->ack_seq = htonl(ack);
	th->window = win;
	tsp_fix_check(skb, th, old, sizeof(old));
	return 0;
}

/* Raise the TSval of a segment of a proxy socket (see ts_max). */
int tsp_set_tsval(struct sk_buff *skb, const struct tsp_pkt *p, u32 tsval)
{
	u8 old[TSP_MAX_THLEN];
	struct tcphdr *th;

	th = tsp_writable_th(skb, p);
	if (!th)
		return -ENOMEM;
	memcpy(old, th, p->thlen);
	put_unaligned_be32(tsval, (u8 *)th + p->ts_off + 2);
	tsp_fix_check(skb, th, old, p->thlen);
	return 0;
}

/* Remove FIN from a segment of a proxy socket (the splice point). */
int tsp_clear_fin(struct sk_buff *skb, const struct tsp_pkt *p)
{
	u8 old[sizeof(struct tcphdr)];
	struct tcphdr *th;

	th = tsp_writable_th(skb, p);
	if (!th)
		return -ENOMEM;
	memcpy(old, th, sizeof(old));
	th->fin = 0;
	tsp_fix_check(skb, th, old, sizeof(old));
	return 0;
}
