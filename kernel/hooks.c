// SPDX-License-Identifier: GPL-2.0
/*
 * The packet path: two netfilter hooks per namespace.
 *
 * PRE_ROUTING (after conntrack and DNAT): segments from a peer of a
 * spliced connection are translated and sent on the other connection
 * through the local output path (so LOCAL_OUT/POST_ROUTING rules and
 * conntrack still see them), held while a direction is being handed over,
 * or reduced to the acknowledgment the proxy's socket still needs.
 *
 * LOCAL_OUT (before conntrack): segments of the proxy's own sockets on
 * spliced tuples.  The FIN that ends the proxy's writes is the splice
 * point and is absorbed; everything else is let out only while the socket
 * still has a job to do (its pre-splice data unacknowledged, or bytes
 * before the cut to acknowledge), and silently consumed afterwards.
 */
#include <linux/ip.h>
#include <linux/ipv6.h>
#include <linux/netfilter.h>
#include <linux/netfilter_ipv4.h>
#include <linux/netfilter_ipv6.h>
#include <linux/tcp.h>
#include <net/dst.h>
#include <net/ip.h>
#include <net/ip6_route.h>
#include <net/ipv6.h>
#include <net/netfilter/nf_conntrack.h>
#include <net/route.h>
#include <net/tcp.h>
#include <net/xfrm.h>

#include "compat.h"
#include "session.h"
#include "xlate.h"

/*
 * Build the rewrite of a segment from peer @i towards peer 1-i.
 * Caller holds s->lock.
 */
static void tsp_fwd_params(struct tsp_session *s, int i,
			   const struct tsp_pkt *p, struct tsp_rw *rw)
{
	const struct tsp_dir *d = &s->dir[i], *r = &s->dir[!i];
	int o = !i;

	rw->saddr = tsp_local_addr(s, o);
	rw->daddr = tsp_peer_addr(s, o);	/* IPv4: v4-mapped */
	rw->sport = tsp_local_port(s, o);
	rw->dport = tsp_peer_port(s, o);

	if (d->phase == TSP_ACTIVE) {
		rw->seq = p->seq + d->seq_delta;
		rw->tsval = p->tsval + d->ts_delta;
	} else {
		/* A bare ACK while peer i's data is not flowing yet: speak
		 * as the sink socket would (its snd_nxt and its TS clock), as
		 * its own segments still reach peer 1-i.
		 */
		u32 nxt = READ_ONCE(tcp_sk(tsp_sock(s, o)->sk)->snd_nxt);

		if (d->fin_known && !d->pre_fin && after(nxt, d->fin))
			nxt = d->fin;	/* its FIN was absorbed */
		rw->seq = nxt;
		rw->tsval = tsp_sock_ts_now(tsp_sock(s, o)->sk);
	}
	if (r->phase == TSP_ACTIVE) {
		rw->ack = p->ack - r->seq_delta;
		rw->tsecr = p->tsecr - r->ts_delta;
	} else {
		rw->ack = r->cut;
		rw->tsecr = r->peer_tsval;
	}
	if (!d->ts_in) {
		/* Peer i has no timestamps; peer 1-i may: speak for the sink
		 * socket (its clock, and an echo of peer 1-i's latest TSval).
		 */
		rw->tsval = tsp_sock_ts_now(tsp_sock(s, o)->sk);
		rw->tsecr = r->peer_tsval;
	}
	if (s->towards[o].ts_valid && before(rw->tsval, s->towards[o].ts_max))
		rw->tsval = s->towards[o].ts_max;
	rw->ws_in = d->ws_in;
	rw->ws_out = d->ws_out;
	rw->ts_keep = d->ts_out;
	rw->ts_add = d->ts_out && !d->ts_in;
	rw->sack_keep = d->sack_out && r->phase == TSP_ACTIVE;
	rw->sack_delta = r->seq_delta;
	rw->sack_floor = r->cut;
	rw->seg_out = d->seg_out;
}

static void tsp_update_state(struct tsp_session *s)
{
	const struct tsp_dir *d0 = &s->dir[0], *d1 = &s->dir[1];
	u8 st;

	if (s->state == TCP_SPLICE_S_CLOSE)
		return;
	if (d0->peer_fin && d1->peer_fin)
		st = (d0->peer_fin_acked && d1->peer_fin_acked) ?
			TCP_SPLICE_S_TIME_WAIT : TCP_SPLICE_S_LAST_ACK;
	else if (d0->peer_fin || d1->peer_fin)
		st = TCP_SPLICE_S_FIN_WAIT;
	else
		st = TCP_SPLICE_S_ESTABLISHED;
	if (st == TCP_SPLICE_S_TIME_WAIT && s->reason == TSP_END_NONE)
		s->reason = TSP_END_FIN;
	tsp_session_set_state(s, st);
	/* Both ends finished and acknowledged: the session's story is told
	 * now, not when its TIME_WAIT record expires.
	 */
	if (st == TCP_SPLICE_S_TIME_WAIT)
		tsp_session_end_event_locked(s);
}

/*
 * Rewrite one segment from peer @i for peer 1-i and account for it.
 * Caller holds s->lock.  On error the caller frees @skb.
 */
static int tsp_fwd_one(struct tsp_session *s, int i, struct sk_buff *skb,
		       const struct tsp_pkt *p)
{
	struct tsp_dir *d = &s->dir[i], *r = &s->dir[!i];
	struct tsp_towards *to = &s->towards[!i];
	struct tsp_net *tn = s->tn;
	struct tsp_rw rw;
	u32 end;
	int err;

	tsp_fwd_params(s, i, p, &rw);
	err = tsp_rewrite(skb, p, &rw);
	if (err)
		return err;

	if ((p->ts_off || rw.ts_add) && rw.ts_keep) {
		to->ts_max = rw.tsval;
		to->ts_valid = true;
	}
	if ((p->flags & TCPHDR_ACK) && r->phase == TSP_ACTIVE &&
	    (!to->ack_valid || !before(rw.ack, to->ack))) {
		to->ack = rw.ack;
		to->win = ((struct tcphdr *)(skb_network_header(skb) +
					     p->nhlen))->window;
		to->ack_valid = true;
	}
	d->pkts++;
	tsp_stat_inc(tn, i ? TCP_SPLICE_STAT_PKTS_S2C : TCP_SPLICE_STAT_PKTS_C2S);
	tsp_stat_add(tn, i ? TCP_SPLICE_STAT_BYTES_S2C : TCP_SPLICE_STAT_BYTES_C2S,
		     p->paylen);
	/*
	 * The session's bytes: how far the stream advanced (sent_nxt starts
	 * at the splice point).  A segment that arrives beyond a gap counts
	 * the gap too: the gap's bytes come later as "retransmissions" below
	 * sent_nxt, which are not counted again.  So does a FIN without data
	 * that overtook the last bytes.  Only bytes and FINs move sent_nxt: a
	 * bare ACK that overtook data still on its way (two CPUs' backlogs,
	 * netem) carries a sequence number beyond it, and that data would
	 * then count as retransmitted.
	 */
	end = rw.seq + p->paylen + !!(p->flags & TCPHDR_FIN);
	if (end != rw.seq && after(end, d->sent_nxt)) {
		if (d->phase == TSP_ACTIVE && after(rw.seq + p->paylen, d->sent_nxt))
			d->bytes += rw.seq + p->paylen - d->sent_nxt;
		d->sent_nxt = end;
	}
	if ((p->flags & TCPHDR_FIN) && d->phase == TSP_ACTIVE) {
		d->peer_fin = true;
		d->peer_fin_seq = rw.seq + p->paylen;
	}
	/* Peer i acknowledging peer 1-i's FIN (in peer i's own space). */
	if (r->peer_fin && (p->flags & TCPHDR_ACK) &&
	    r->phase == TSP_ACTIVE &&
	    !before(p->ack, r->peer_fin_seq + 1))
		r->peer_fin_acked = true;
	tsp_update_state(s);
	return 0;
}

/*
 * Direction @x may start flowing once both cuts are fixed, the splice
 * point in the sink connection is known and the sink peer acknowledged
 * every byte the proxy wrote before it.  Caller holds s->lock.
 */
static void tsp_try_activate(struct tsp_session *s, int x,
			     struct sk_buff_head *out)
{
	if (tsp_can_activate(s, x))
		tsp_activate(s, x, out);
}

/* Caller holds s->lock.  Held segments of peer @x go to @out. */
void tsp_activate(struct tsp_session *s, int x, struct sk_buff_head *out)
{
	struct tsp_dir *d = &s->dir[x];
	struct sk_buff *skb;
	struct tsp_pkt p;

	d->seq_delta = d->fin - d->cut;
	d->sent_nxt = d->fin;	/* the module's stream starts here */
	if (d->ts_in && d->ts_out)
		/* Continue the sink socket's clock from now on: PAWS at the
		 * sink peer compares against what that socket sent last.
		 */
		d->ts_delta = tsp_sock_ts_now(tsp_sock(s, !x)->sk) + 1 -
			      d->peer_tsval;
	d->phase = TSP_ACTIVE;
	if (s->dir[!x].phase == TSP_ACTIVE || s->dir[!x].pre_fin)
		tsp_nl_event_locked(s, TCP_SPLICE_CMD_EVENT_HANDOFF);
	tsp_dbg(s->tn, 1, "session %llu: direction %d active, delta %u\n",
		s->id, x, d->seq_delta);

	while ((skb = tsp_held_pop(d))) {
		if (tsp_parse(skb, &p) || tsp_fwd_one(s, x, skb, &p)) {
			tsp_stat_inc(s->tn, TCP_SPLICE_STAT_DROP_NOMEM);
			kfree_skb(skb);
			continue;
		}
		__skb_queue_tail(out, skb);
	}
}

/* Hold a copy of a segment of peer @i until its direction is active. */
static void tsp_hold(struct tsp_session *s, int i, struct sk_buff *skb)
{
	struct tsp_dir *d = &s->dir[i];
	struct tsp_net *tn = s->tn;

	if (d->held_bytes + skb->truesize >
	    (u32)tsp_sysctl(tn, TSP_SYS_HOLD_BYTES)) {
		tsp_stat_inc(tn, TCP_SPLICE_STAT_DROP_HOLD_FULL);
		kfree_skb(skb);
		return;
	}
	nf_reset_ct(skb);
	skb_dst_drop(skb);
	skb->dev = NULL;	/* not refcounted; set again on output */
	tsp_held_add(d, skb);
	tsp_stat_inc(tn, TCP_SPLICE_STAT_HELD);
}

/* Loose window check for RSTs until the full in-window validation. */
static bool tsp_rst_acceptable(const struct tsp_dir *d, const struct tsp_pkt *p)
{
	s32 dist = (s32)(p->seq - d->peer_nxt);

	return dist > -(1 << 24) && dist < (1 << 24);
}

static unsigned int tsp_rx_rst(struct tsp_session *s, int i,
			       struct sk_buff *skb, const struct tsp_pkt *p,
			       struct sk_buff_head *fwdq)
{
	struct tsp_dir *d = &s->dir[i];

	if (!tsp_rst_acceptable(d, p)) {
		tsp_stat_inc(s->tn, TCP_SPLICE_STAT_DROP_OUT_OF_WINDOW);
		return NF_DROP;
	}
	if (tsp_fwd_one(s, i, skb, p))
		return NF_DROP;
	__skb_queue_tail(fwdq, skb);
	/* After both FINs were acknowledged a RST ends nothing: it is a
	 * closed peer's answer to a late duplicate ACK.  The reason stays FIN.
	 */
	if (s->reason == TSP_END_NONE)
		s->reason = TSP_END_RST;
	tsp_session_set_state(s, TCP_SPLICE_S_CLOSE);
	tsp_session_end_event_locked(s);
	return NF_STOLEN;
}

/*
 * A SYN on a spliced tuple.  Once both peers closed (or one reset), it is
 * a new connection that reuses the tuple (the client's side of the old
 * one is gone, so its port is free again): the old session ends now and
 * the SYN is parked until the proxy's old socket has released the tuple,
 * then enters the stack (tsp_session_replay_syn).  Retransmissions of it
 * replace the parked copy.  Any other SYN is dropped.
 */
static unsigned int tsp_rx_syn(struct tsp_session *s, struct sk_buff *skb)
{
	struct sk_buff *old = NULL;
	bool recycle;

	spin_lock_bh(&s->lock);
	recycle = !tsp_dead(s) && skb->dev &&
		  (s->state == TCP_SPLICE_S_TIME_WAIT ||
		   s->state == TCP_SPLICE_S_CLOSE);
	if (recycle) {
		old = s->syn;
		nf_reset_ct(skb);
		skb_dst_drop(skb);
		skb->skb_iif = skb->dev->ifindex;	/* for the replay */
		skb->dev = NULL;
		s->syn = skb;
		tsp_session_end_soon(s);
	}
	spin_unlock_bh(&s->lock);
	kfree_skb(old);
	if (!recycle) {
		tsp_stat_inc(s->tn, TCP_SPLICE_STAT_DROP_SYN);
		return NF_DROP;
	}
	tsp_stat_inc(s->tn, TCP_SPLICE_STAT_SYN_RECYCLED);
	return NF_STOLEN;
}

/*
 * Is a segment of peer @i, whose data flows through the module, one peer
 * i could have sent?  Its bytes must end within the largest window offered
 * to it beyond what it sent so far and not beyond its own FIN, and its
 * ACK may not acknowledge bytes the module never sent to it.  Loose on
 * purpose (the receiving peer does the exact check); it keeps blind
 * spoofed segments from being forwarded and from moving peer_nxt.  Caller
 * holds s->lock.
 */
static bool tsp_in_window(const struct tsp_session *s, int i,
			  const struct tsp_pkt *p)
{
	const struct tsp_dir *d = &s->dir[i], *r = &s->dir[!i];
	u32 slack = (1U << d->ws_in) + 65536;	/* rounding of scaled windows */

	if (d->phase == TSP_ACTIVE && p->end_seq != p->seq &&
	    after(p->end_seq, d->peer_nxt + d->win_offer + slack))
		return false;
	/* Nothing beyond the peer's own FIN (kept in the sink's space). */
	if (d->peer_fin && !d->pre_fin && p->end_seq != p->seq &&
	    after(p->end_seq + d->seq_delta, d->peer_fin_seq + 1))
		return false;
	if ((p->flags & TCPHDR_ACK) && r->phase == TSP_ACTIVE &&
	    after(p->ack, r->sent_nxt))
		return false;
	return true;
}

/* A segment from peer @i of session @s.  Runs in softirq, under RCU. */
static unsigned int tsp_rx(struct tsp_session *s, int i, struct sk_buff *skb,
			   struct tsp_pkt *p)
{
	struct tsp_dir *d = &s->dir[i], *r = &s->dir[!i];
	struct sk_buff_head fwdq, actq;
	bool has_data = p->end_seq != p->seq;
	bool feed, fwd = false, hold = false, old = false;
	struct tsp_net *tn = s->tn;
	unsigned int verdict;
	struct sk_buff *copy;

	if (p->flags & TCPHDR_SYN)
		return tsp_rx_syn(s, skb);

	__skb_queue_head_init(&fwdq);
	__skb_queue_head_init(&actq);
	spin_lock_bh(&s->lock);
	if (tsp_dead(s) || s->state == TCP_SPLICE_S_CLOSE) {
		spin_unlock_bh(&s->lock);
		tsp_stat_inc(tn, TCP_SPLICE_STAT_DROP_CLOSED);
		return NF_DROP;
	}
	if ((d->phase == TSP_ACTIVE || r->phase == TSP_ACTIVE) &&
	    !(p->flags & TCPHDR_RST) && !tsp_in_window(s, i, p)) {
		tsp_stat_inc(tn, TCP_SPLICE_STAT_DROP_OUT_OF_WINDOW);
		verdict = NF_DROP;
		goto out_unlock;
	}
	/* Judged against what the peer sent so far: a RST moves nothing
	 * (a blind one far from peer_nxt must not pass by moving it first).
	 */
	if (p->flags & TCPHDR_RST) {
		verdict = tsp_rx_rst(s, i, skb, p, &fwdq);
		goto out_unlock;
	}
	if (p->ts_off && (!d->peer_ts_seen || after(p->tsval, d->peer_tsval))) {
		d->peer_tsval = p->tsval;
		d->peer_ts_seen = true;
	}
	if (after(p->end_seq, d->peer_nxt))
		d->peer_nxt = p->end_seq;
	/* The window peer i offers to peer 1-i, in bytes. */
	if ((p->flags & TCPHDR_ACK) &&
	    (u32)p->win << d->ws_in > r->win_offer)
		r->win_offer = (u32)p->win << d->ws_in;

	/* Socket i still needs this acknowledgment for its own data? */
	feed = !r->sink_done;
	if (p->flags & TCPHDR_ACK) {
		if (r->phase == TSP_HOLD && after(p->ack, r->sink_una))
			r->sink_una = p->ack;
		tsp_try_activate(s, !i, &actq);
	}

	if (has_data) {
		if (d->phase == TSP_ACTIVE)
			fwd = true;
		else if (d->phase == TSP_HOLD && !after(p->end_seq, d->cut))
			old = true;	/* socket i has these bytes */
		else
			hold = true;
	} else {
		fwd = r->phase == TSP_ACTIVE;
	}

	if (fwd || hold) {
		copy = skb;
		if (feed) {
			copy = pskb_copy(skb, GFP_ATOMIC);
			if (!copy)
				tsp_stat_inc(tn, TCP_SPLICE_STAT_DROP_NOMEM);
		}
		if (copy && fwd) {
			if (tsp_fwd_one(s, i, copy, p)) {
				tsp_stat_inc(tn, TCP_SPLICE_STAT_DROP_NOMEM);
				kfree_skb(copy);
			} else {
				__skb_queue_tail(&fwdq, copy);
			}
		} else if (copy) {
			tsp_hold(s, i, copy);
		}
		if (!feed) {
			verdict = NF_STOLEN;
			goto out_unlock;
		}
	}

	/* What reaches socket i: its acknowledgment, never new bytes. */
	{
		struct sock *sk = tsp_sock(s, i)->sk;
		u32 ack = p->ack;
		u32 seq = old ? p->seq : READ_ONCE(tcp_sk(sk)->rcv_nxt);

		/* An absorbed FIN never reached peer i: its acknowledgment is
		 * ours to fake.  A pre_fin direction's FIN is real and goes
		 * out: only peer i's own ACK of it counts.
		 */
		if (r->fin_known && !r->pre_fin && !before(ack, r->fin))
			ack = r->fin + r->sink_fin;
		if (tsp_make_feed(skb, p, seq, ack, !old,
				  r->phase == TSP_ACTIVE)) {
			tsp_stat_inc(tn, TCP_SPLICE_STAT_DROP_NOMEM);
			verdict = NF_DROP;
			goto out_unlock;
		}
		if ((r->phase == TSP_ACTIVE || r->pre_fin) && r->fin_known &&
		    (p->flags & TCPHDR_ACK) &&
		    !before(ack, r->fin + r->sink_fin)) {
			r->sink_done = true;
			/* The proxy's FIN, the end of a pre_fin stream, is
			 * acknowledged: until now the session is not done.
			 */
			if (r->pre_fin && r->sink_fin && !r->peer_fin_acked) {
				r->peer_fin_acked = true;
				tsp_update_state(s);
			}
		}
		tsp_stat_inc(tn, TCP_SPLICE_STAT_FED);
		verdict = NF_ACCEPT;
	}

out_unlock:
	if (!fwd && s->state != TCP_SPLICE_S_CLOSE)
		tsp_session_set_state(s, s->state);	/* refresh expiry */
	spin_unlock_bh(&s->lock);
	tsp_xmit_queue(s, !i, &fwdq);
	tsp_xmit_queue(s, i, &actq);
	return verdict;
}

/*
 * Find the table key of a TCP segment: @out reverses it (a segment of one
 * of our sockets, as the peer would send it).  Returns false if the skb is
 * none of our business (not TCP, a non-first fragment, too short).  Sets
 * *@odd to the counter of a shape no spliced tuple may carry (fragment,
 * IP options or IPv6 extension headers): the caller drops the segment if
 * the tuple is spliced.
 */
static bool tsp_skb_key(struct sk_buff *skb, bool out, struct tsp_key *key,
			int *odd)
{
	unsigned int thoff;
	struct tcphdr _th;
	const struct tcphdr *th;

	*odd = -1;
	if (ip_hdr(skb)->version == 6) {
		const struct ipv6hdr *ip6 = ipv6_hdr(skb);
		u8 nexthdr = ip6->nexthdr;
		__be16 frag_off = 0;
		int off;

		if (nexthdr == IPPROTO_TCP) {
			thoff = sizeof(*ip6);
		} else {
			off = ipv6_skip_exthdr(skb, sizeof(*ip6), &nexthdr,
					       &frag_off);
			if (off < 0 || nexthdr != IPPROTO_TCP ||
			    (frag_off & htons(IP6_OFFSET)))
				return false;
			thoff = off;
			*odd = frag_off ? TCP_SPLICE_STAT_DROP_FRAGMENT :
					  TCP_SPLICE_STAT_DROP_MALFORMED;
		}
		ip6 = ipv6_hdr(skb);
		key->saddr = ip6->saddr;
		key->daddr = ip6->daddr;
	} else {
		const struct iphdr *iph = ip_hdr(skb);

		if (iph->protocol != IPPROTO_TCP ||
		    (iph->frag_off & htons(IP_OFFSET)))
			return false;
		if (ip_is_fragment(iph))
			*odd = TCP_SPLICE_STAT_DROP_FRAGMENT;
		else if (iph->ihl != 5)
			*odd = TCP_SPLICE_STAT_DROP_MALFORMED;
		thoff = iph->ihl * 4;
		ipv6_addr_set_v4mapped(iph->saddr, &key->saddr);
		ipv6_addr_set_v4mapped(iph->daddr, &key->daddr);
	}
	th = skb_header_pointer(skb, thoff, sizeof(_th), &_th);
	if (!th)
		return false;
	key->sport = th->source;
	key->dport = th->dest;
	if (out) {
		swap(key->saddr, key->daddr);
		swap(key->sport, key->dport);
	}
	return true;
}

static unsigned int tsp_pre_routing(void *priv, struct sk_buff *skb,
				    const struct nf_hook_state *state)
{
	struct tsp_net *tn = tsp_pernet(state->net);
	struct tsp_session *s;
	struct tsp_key key;
	struct tsp_pkt p;
	int odd;
	u8 side;

	if (!atomic_read(&tn->count))
		return NF_ACCEPT;
	if (ip_hdr(skb)->version == 6 ?
	    ipv6_hdr(skb)->nexthdr == IPPROTO_ICMPV6 :
	    ip_hdr(skb)->protocol == IPPROTO_ICMP) {
		tsp_pmtu_icmp(tn, skb);
		return NF_ACCEPT;
	}
	if (!tsp_skb_key(skb, false, &key, &odd))
		return NF_ACCEPT;
	s = tsp_lookup(tn, &key, &side);
	if (!s)
		return NF_ACCEPT;
	/* A spliced tuple's odd segments must not reach the proxy's socket. */
	if (odd >= 0) {
		tsp_stat_inc(tn, odd);
		return NF_DROP;
	}
	if (tsp_parse(skb, &p)) {
		tsp_stat_inc(tn, TCP_SPLICE_STAT_DROP_MALFORMED);
		return NF_DROP;
	}
	if (!skb_csum_unnecessary(skb)) {
		if (nf_checksum(skb, state->hook, p.nhlen, IPPROTO_TCP,
				state->pf)) {
			tsp_stat_inc(tn, TCP_SPLICE_STAT_DROP_BAD_CSUM);
			return NF_DROP;
		}
		/* Verified: from here on the field is patched in place. */
		skb->ip_summed = CHECKSUM_UNNECESSARY;
		skb->csum_level = 0;
	}
	return tsp_rx(s, side, skb, &p);
}

/* A segment sent by the proxy's socket on side @i. */
static unsigned int tsp_tx_sock(struct tsp_session *s, int i,
				struct sk_buff *skb, const struct tsp_pkt *p)
{
	struct tsp_dir *k = &s->dir[!i];	/* socket i is k's sink */
	struct tsp_dir *src = &s->dir[i];	/* socket i is src's source */
	struct tsp_towards *to = &s->towards[i];
	struct sock *sk = tsp_sock(s, i)->sk;
	struct tsp_net *tn = s->tn;
	struct sk_buff_head actq;
	bool pass;

	__skb_queue_head_init(&actq);
	spin_lock_bh(&s->lock);
	if (p->flags & (TCPHDR_RST | TCPHDR_SYN)) {
		pass = false;
	} else if ((p->flags & TCPHDR_FIN) && k->pre_fin) {
		/* Peer 1-i finished before the cut: this FIN is its end,
		 * relayed by the proxy.  Let it out; remember where it is.
		 */
		if (!k->fin_known) {
			k->fin = p->seq + p->paylen;
			k->fin_known = true;
			k->sink_fin = true;
		}
		pass = true;
	} else if (p->flags & TCPHDR_FIN) {
		u32 f = p->seq + p->paylen;

		if (!k->fin_known) {
			k->fin = f;
			k->fin_known = true;
		}
		if (f == k->fin && !k->sink_fin) {
			k->sink_fin = true;
			k->sink_done = false;
			tsp_stat_inc(tn, TCP_SPLICE_STAT_FIN_ABSORBED);
			tsp_dbg(tn, 1, "session %llu: splice point %u on side %d\n",
				s->id, f, i);
		}
		if (k->phase == TSP_HOLD &&
		    after(tcp_sk(sk)->snd_una, k->sink_una))
			k->sink_una = tcp_sk(sk)->snd_una;
		tsp_try_activate(s, !i, &actq);
		pass = p->paylen && k->phase != TSP_ACTIVE;
		if (pass && tsp_clear_fin(skb, p))
			pass = false;
	} else if (p->paylen) {
		pass = k->phase != TSP_ACTIVE;
	} else {
		pass = k->phase != TSP_ACTIVE || src->phase != TSP_ACTIVE;
		/* Once the module speaks for this connection, a bare ACK of
		 * the socket (acknowledging bytes before the cut) must use
		 * the current sequence number, or the peer sees it as stale
		 * and answers with a duplicate ACK.
		 */
		if (pass && k->phase == TSP_ACTIVE &&
		    after(k->sent_nxt, p->seq) &&
		    tsp_set_seq(skb, p, k->sent_nxt))
			pass = false;
	}
	if (pass && (p->flags & TCPHDR_ACK) && src->phase == TSP_ACTIVE &&
	    to->ack_valid && after(to->ack, p->ack) &&
	    tsp_set_ack(skb, p, to->ack, to->win))
		pass = false;
	if (pass && p->ts_off) {
		if (to->ts_valid && before(p->tsval, to->ts_max)) {
			if (tsp_set_tsval(skb, p, to->ts_max))
				pass = false;
		} else {
			to->ts_max = p->tsval;
			to->ts_valid = true;
		}
	}
	spin_unlock_bh(&s->lock);
	tsp_xmit_queue(s, i, &actq);
	if (pass)
		return NF_ACCEPT;
	/* Consumed, not dropped: TCP must believe it went out, or it would
	 * retry until it gives up and unhashes the socket.
	 */
	tsp_stat_inc(tn, TCP_SPLICE_STAT_SILENCED);
	consume_skb(skb);
	return NF_STOLEN;
}

static unsigned int tsp_local_out(void *priv, struct sk_buff *skb,
				  const struct nf_hook_state *state)
{
	struct tsp_net *tn = tsp_pernet(state->net);
	struct tsp_session *s;
	struct tsp_key key;
	struct tsp_pkt p;
	int odd;
	u8 side;

	/* Our own translated segments carry no socket. */
	if (!skb->sk || !atomic_read(&tn->count) ||
	    !tsp_skb_key(skb, true, &key, &odd) || odd >= 0)
		return NF_ACCEPT;
	s = tsp_lookup(tn, &key, &side);
	if (!s)
		return NF_ACCEPT;
	if (tsp_parse(skb, &p)) {
		tsp_stat_inc(tn, TCP_SPLICE_STAT_SILENCED);
		consume_skb(skb);
		return NF_STOLEN;
	}
	return tsp_tx_sock(s, side, skb, &p);
}

/* A new route towards peer @o over IPv6 (a reference), and its cookie. */
static struct dst_entry *tsp_route6_lookup(struct tsp_session *s, int o,
					   u32 *cookie)
{
	struct sock *sk = tsp_sock(s, o)->sk;
	struct flowi6 fl6 = {
		.flowi6_oif = READ_ONCE(sk->sk_bound_dev_if),
		.flowi6_mark = READ_ONCE(sk->sk_mark),
		.flowi6_proto = IPPROTO_TCP,
		.flowi6_uid = sk->sk_uid,
		.daddr = tsp_peer_addr(s, o),
		.saddr = tsp_local_addr(s, o),
		.fl6_dport = tsp_peer_port(s, o),
		.fl6_sport = tsp_local_port(s, o),
	};
	struct dst_entry *dst;

	dst = ip6_route_output(sock_net(sk), sk, &fl6);
	if (dst->error) {
		dst_release(dst);
		return NULL;
	}
	*cookie = rt6_get_cookie(dst_rt6_info(dst));
	return dst;
}

/* A new route towards peer @o over IPv4 (a reference). */
static struct dst_entry *tsp_route4_lookup(struct tsp_session *s, int o)
{
	struct sock *sk = tsp_sock(s, o)->sk;
	struct flowi4 fl4 = {};
	struct rtable *rt;

	flowi4_init_output(&fl4, READ_ONCE(sk->sk_bound_dev_if),
			   READ_ONCE(sk->sk_mark), ip_sock_rt_tos(sk),
			   RT_SCOPE_UNIVERSE, IPPROTO_TCP, 0,
			   tsp_peer_addr(s, o).s6_addr32[3],
			   tsp_local_addr(s, o).s6_addr32[3],
			   tsp_peer_port(s, o), tsp_local_port(s, o), sk->sk_uid);
	rt = ip_route_output_key(sock_net(sk), &fl4);
	if (IS_ERR(rt))
		return NULL;
	return &rt->dst;
}

/*
 * The route towards peer @o, a reference for the caller.  The session
 * keeps the last one found (dir[!o].dst) for as long as dst_check() finds
 * it valid: one slot per direction rather than a per-CPU dst_cache, as a
 * session is small and its packets take s->lock anyway.  Caller holds
 * s->lock.
 */
static struct dst_entry *tsp_route(struct tsp_session *s, int o)
{
	struct tsp_dir *d = &s->dir[!o];
	struct dst_entry *dst = d->dst;

	if (dst && !dst_check(dst, d->dst_cookie)) {
		dst_release(dst);
		d->dst = NULL;
		dst = NULL;
	}
	if (!dst) {
		dst = s->v6 ? tsp_route6_lookup(s, o, &d->dst_cookie) :
			      tsp_route4_lookup(s, o);
		if (!dst)
			return NULL;
		d->dst = dst;		/* the session's reference */
	}
	tsp_pmtu_route(s, !o, dst);	/* the MTU may have dropped in place */
	dst_hold(dst);
	return dst;
}

/* Send translated segments towards peer @o, outside s->lock. */
void tsp_xmit_queue(struct tsp_session *s, int o, struct sk_buff_head *q)
{
	struct sock *sk = tsp_sock(s, o)->sk;
	struct net *net = sock_net(sk);
	struct dst_entry *dst;
	struct sk_buff *skb;

	if (skb_queue_empty(q))
		return;
	local_bh_disable();
	spin_lock(&s->lock);
	dst = tsp_route(s, o);
	spin_unlock(&s->lock);
	if (!dst) {
		tsp_stat_add(s->tn, TCP_SPLICE_STAT_DROP_NO_ROUTE,
			     skb_queue_len(q));
		__skb_queue_purge(q);
		local_bh_enable();
		return;
	}
	while ((skb = __skb_dequeue(q))) {
		nf_reset_ct(skb);
		skb_dst_drop(skb);
		secpath_reset(skb);
		skb_clear_tstamp(skb);
		if (skb_queue_empty(q))
			skb_dst_set(skb, dst);	/* our reference */
		else
			skb_dst_set(skb, dst_clone(dst));
		skb->dev = dst->dev;
		skb->mark = READ_ONCE(sk->sk_mark);
		skb_orphan(skb);	/* TPROXY/bpf_sk_assign left a ref */
		if (s->v6) {
			memset(IP6CB(skb), 0, sizeof(struct inet6_skb_parm));
			skb->protocol = htons(ETH_P_IPV6);
			ipv6_hdr(skb)->hop_limit = ip6_dst_hoplimit(dst);
			ip6_local_out(net, NULL, skb);
		} else {
			memset(IPCB(skb), 0, sizeof(struct inet_skb_parm));
			skb->protocol = htons(ETH_P_IP);
			ip_hdr(skb)->ttl = ip4_dst_hoplimit(dst);
			ip_local_out(net, NULL, skb);
		}
	}
	local_bh_enable();
}

static const struct nf_hook_ops tsp_nf_ops[] = {
	{
		.hook		= tsp_pre_routing,
		.pf		= NFPROTO_IPV4,
		.hooknum	= NF_INET_PRE_ROUTING,
		.priority	= NF_IP_PRI_NAT_DST + 1,
	},
	{
		.hook		= tsp_local_out,
		.pf		= NFPROTO_IPV4,
		.hooknum	= NF_INET_LOCAL_OUT,
		.priority	= NF_IP_PRI_RAW - 10,
	},
	{
		.hook		= tsp_pre_routing,
		.pf		= NFPROTO_IPV6,
		.hooknum	= NF_INET_PRE_ROUTING,
		.priority	= NF_IP6_PRI_NAT_DST + 1,
	},
	{
		.hook		= tsp_local_out,
		.pf		= NFPROTO_IPV6,
		.hooknum	= NF_INET_LOCAL_OUT,
		.priority	= NF_IP6_PRI_RAW - 10,
	},
};

int tsp_hooks_register(struct net *net)
{
	return nf_register_net_hooks(net, tsp_nf_ops, ARRAY_SIZE(tsp_nf_ops));
}

void tsp_hooks_unregister(struct net *net)
{
	nf_unregister_net_hooks(net, tsp_nf_ops, ARRAY_SIZE(tsp_nf_ops));
}
