// SPDX-License-Identifier: GPL-2.0
/*
 * The handoff: validate two sockets of the caller, publish the session,
 * fix the cut of each direction, and (for drained callers) move what the
 * proxy left unread so that no byte is lost, duplicated or reordered.
 *
 * Exactness, per direction (peer X -> peer Y, source socket x, sink y):
 *  1. The session is published in CUTTING: from then on the PRE_ROUTING
 *     hook keeps every data segment of peer X for itself and gives socket
 *     x only the acknowledgment it carries.
 *  2. synchronize_rcu_expedited() waits for segments that passed the
 *     hook before; lock_sock(x) waits for its backlog.  x's rcv_nxt can
 *     no longer move: it is the cut.  Every byte before it is in x (the
 *     proxy reads it); every byte after it is held by the module.  x
 *     reports EOF (RCV_SHUTDOWN) once the proxy has read up to the cut.
 *  3. The splice point in Y's sequence space is y's write_seq when the
 *     proxy is done writing to y: at once for a drained caller (after the
 *     kernel moved x's unread bytes to y), at the FIN the proxy's
 *     shutdown(y) produces for a legacy caller (absorbed by the LOCAL_OUT
 *     hook), or when the proxy drops its last descriptor of y.
 *  4. Held bytes flow once Y acknowledged everything y sent: y never has
 *     to retransmit again, so its segments and the module's never
 *     interleave on the wire (PAWS, SACK and sequence stay one stream).
 */
#include <linux/file.h>
#include <linux/net.h>
#include <linux/slab.h>
#include <linux/tcp.h>
#include <linux/uio.h>
#include <net/inet_connection_sock.h>
#include <net/inet_sock.h>
#include <net/ip6_checksum.h>
#include <net/ipv6.h>
#include <net/sock.h>
#include <net/tcp.h>

#include "compat.h"
#include "session.h"
#include "xlate.h"

/* Validation of one socket, before anything is touched. */
static int tsp_check_sock(struct socket *sock)
{
	struct sock *sk = sock->sk;

	if (!sk)
		return -ENOTCONN;
	if (sk->sk_family != AF_INET && sk->sk_family != AF_INET6)
		return -EAFNOSUPPORT;
	if (sk->sk_type != SOCK_STREAM || sk->sk_protocol != IPPROTO_TCP)
		return -EPROTONOSUPPORT;
	if (inet_csk(sk)->icsk_ulp_ops)
		return -EPROTONOSUPPORT;	/* kTLS, ... own the stream */
	/* What the socket is, before the state it is in now (which its
	 * peer may change at any moment): the same answer every time.
	 */
	if (tcp_sk(sk)->repair)
		return -EBUSY;
#ifdef CONFIG_TCP_MD5SIG
	if (rcu_access_pointer(tcp_sk(sk)->md5sig_info))
		return -ENOPROTOOPT;	/* signed segments can't be rewritten */
#endif
#if defined(CONFIG_TCP_AO) && defined(TSP_HAVE_TCP_AO)
	if (rcu_access_pointer(tcp_sk(sk)->ao_info))
		return -ENOPROTOOPT;
#endif
	if (sk->sk_state == TCP_LISTEN)
		return -EOPNOTSUPP;
	/* CLOSE_WAIT is fine: the peer finished before the cut (a client
	 * that sent its request and shut down its side).
	 */
	if (sk->sk_state == TCP_CLOSE_WAIT &&
	    !(sk->sk_shutdown & SEND_SHUTDOWN))
		return 0;
	if (sk->sk_state != TCP_ESTABLISHED ||
	    (sk->sk_shutdown & (RCV_SHUTDOWN | SEND_SHUTDOWN)))
		return -ENOTCONN;
	return 0;
}

/*
 * The addresses of @sk as the session table keeps them: IPv6, or IPv4 in
 * its v4-mapped form (also what a dual-stack AF_INET6 socket talking
 * IPv4 holds).
 */
static void tsp_sock_addrs(const struct sock *sk, struct in6_addr *local,
			   struct in6_addr *peer)
{
	if (sk->sk_family == AF_INET6) {
		*local = sk->sk_v6_rcv_saddr;
		*peer = sk->sk_v6_daddr;
	} else {
		ipv6_addr_set_v4mapped(inet_sk(sk)->inet_saddr, local);
		ipv6_addr_set_v4mapped(inet_sk(sk)->inet_daddr, peer);
	}
}

/* Does @sk carry IPv6 on the wire (not IPv4, not v4-mapped)? */
static bool tsp_sock_v6(const struct sock *sk)
{
	return sk->sk_family == AF_INET6 &&
	       !ipv6_addr_v4mapped(&sk->sk_v6_daddr);
}

/* EBUSY if @sock is already part of a session (of its namespace). */
static int tsp_check_spliced(struct socket *sock)
{
	const struct inet_sock *inet = inet_sk(sock->sk);
	struct tsp_net *tn = tsp_pernet(sock_net(sock->sk));
	struct tsp_key key = {
		.sport = inet->inet_dport,
		.dport = inet->inet_sport,
	};
	bool busy;
	u8 side;

	if ((sock->sk->sk_family != AF_INET &&
	     sock->sk->sk_family != AF_INET6) ||
	    sock->sk->sk_type != SOCK_STREAM ||
	    sock->sk->sk_protocol != IPPROTO_TCP)
		return 0;	/* refused later, with its own errno */
	tsp_sock_addrs(sock->sk, &key.daddr, &key.saddr);
	rcu_read_lock();
	busy = tsp_lookup(tn, &key, &side);
	rcu_read_unlock();
	return busy ? -EBUSY : 0;
}

/*
 * Options snapshot of dir[x] (segments from peer x to peer 1-x) and the
 * combinations the translation cannot (yet) bridge.
 */
static int tsp_snapshot_opts(struct tsp_session *s, int x)
{
	const struct tcp_sock *in = tcp_sk(tsp_sock(s, x)->sk);
	const struct tcp_sock *out = tcp_sk(tsp_sock(s, !x)->sk);
	struct tsp_dir *d = &s->dir[x];

	/* Timestamps on one connection only: dropped towards the peer that
	 * did not negotiate them, inserted towards the one that did.
	 */
	d->ts_in = in->rx_opt.tstamp_ok;
	d->ts_out = out->rx_opt.tstamp_ok;
	if (tsp_sock_usec_ts(tsp_sock(s, x)->sk) !=
	    tsp_sock_usec_ts(tsp_sock(s, !x)->sk))
		return -ENOPROTOOPT;
	d->ws_in = in->rx_opt.wscale_ok ? in->rx_opt.snd_wscale : 0;
	d->ws_out = out->rx_opt.wscale_ok ? out->rx_opt.rcv_wscale : 0;
	d->sack_out = out->rx_opt.sack_ok;
	/* Largest payload + options the sink connection carries. */
	d->seg_out = out->mss_cache + out->tcp_header_len -
		     sizeof(struct tcphdr);
	return 0;
}

static void tsp_fill_tuples(struct tsp_session *s)
{
	int i;

	s->v6 = tsp_sock_v6(tsp_sock(s, 0)->sk);
	for (i = 0; i < 2; i++) {
		const struct inet_sock *inet = inet_sk(tsp_sock(s, i)->sk);

		tsp_sock_addrs(tsp_sock(s, i)->sk, &tsp_local_addr(s, i),
			       &tsp_peer_addr(s, i));
		tsp_peer_port(s, i) = inet->inet_dport;
		tsp_local_port(s, i) = inet->inet_sport;
	}
}

static void tsp_lock_pair(struct sock *a, struct sock *b)
{
	if (a > b)
		swap(a, b);
	lock_sock(a);
	lock_sock_nested(b, SINGLE_DEPTH_NESTING);
}

static void tsp_unlock_pair(struct sock *a, struct sock *b)
{
	release_sock(a);
	release_sock(b);
}

/* skb_rbtree_purge() is not exported; the same for an ofo queue. */
static void tsp_purge_ofo(struct tcp_sock *tp)
{
	struct rb_node *p = rb_first(&tp->out_of_order_queue);

	while (p) {
		struct sk_buff *skb = rb_entry(p, struct sk_buff, rbnode);

		p = rb_next(p);
		rb_erase(&skb->rbnode, &tp->out_of_order_queue);
		kfree_skb(skb);
	}
	tp->ooo_last_skb = NULL;
}

/*
 * One segment of peer @i carrying @len bytes of @from at @off, as peer i
 * would have sent it to socket i (a copy of out-of-order data, see
 * tsp_copy_ofo()).  Checksum complete (CHECKSUM_UNNECESSARY): the packet
 * path patches it incrementally like any held segment.
 */
static struct sk_buff *tsp_build_seg(struct tsp_session *s, int i,
				     struct tcp_sock *tp, struct sk_buff *from,
				     unsigned int off, unsigned int len,
				     u32 seq, bool fin)
{
	unsigned int nh = s->v6 ? sizeof(struct ipv6hdr) : sizeof(struct iphdr);
	unsigned int thl = sizeof(struct tcphdr) +
			   (s->dir[i].ts_in ? TCPOLEN_TSTAMP_ALIGNED : 0);
	struct sk_buff *skb;
	struct tcphdr *th;
	__wsum csum;

	skb = alloc_skb(MAX_HEADER + nh + thl + len, GFP_KERNEL);
	if (!skb)
		return NULL;
	skb_reserve(skb, MAX_HEADER + nh + thl);
	if (skb_copy_bits(from, off, skb_put(skb, len), len)) {
		kfree_skb(skb);
		return NULL;
	}
	th = skb_push(skb, thl);
	skb_reset_transport_header(skb);
	memset(th, 0, thl);
	th->source = tsp_peer_port(s, i);
	th->dest = tsp_local_port(s, i);
	th->seq = htonl(seq);
	th->ack_seq = htonl(tp->snd_una);
	th->doff = thl / 4;
	th->ack = 1;
	th->psh = 1;
	th->fin = fin;
	th->window = htons(min_t(u32, tp->snd_wnd >> s->dir[i].ws_in, 65535U));
	if (s->dir[i].ts_in) {
		u8 *o = (u8 *)(th + 1);

		o[0] = TCPOPT_NOP;
		o[1] = TCPOPT_NOP;
		o[2] = TCPOPT_TIMESTAMP;
		o[3] = TCPOLEN_TIMESTAMP;
		put_unaligned_be32(tp->rx_opt.rcv_tsval, o + 4);
		put_unaligned_be32(tp->rx_opt.rcv_tsecr, o + 8);
	}
	csum = csum_partial(th, thl + len, 0);
	if (s->v6) {
		struct ipv6hdr *ip6 = skb_push(skb, nh);

		memset(ip6, 0, nh);
		ip6->version = 6;
		ip6->payload_len = htons(thl + len);
		ip6->nexthdr = IPPROTO_TCP;
		ip6->hop_limit = 64;
		ip6->saddr = tsp_peer_addr(s, i);
		ip6->daddr = tsp_local_addr(s, i);
		th->check = tcp_v6_check(thl + len, &ip6->saddr, &ip6->daddr,
					 csum);
		skb->protocol = htons(ETH_P_IPV6);
	} else {
		struct iphdr *iph = skb_push(skb, nh);

		memset(iph, 0, nh);
		iph->version = 4;
		iph->ihl = 5;
		iph->tot_len = htons(nh + thl + len);
		iph->frag_off = htons(IP_DF);
		iph->ttl = 64;
		iph->protocol = IPPROTO_TCP;
		iph->saddr = tsp_peer_addr(s, i).s6_addr32[3];
		iph->daddr = tsp_local_addr(s, i).s6_addr32[3];
		th->check = tcp_v4_check(thl + len, iph->saddr, iph->daddr,
					 csum);
		ip_send_check(iph);
		skb->protocol = htons(ETH_P_IP);
	}
	skb_reset_network_header(skb);
	skb->ip_summed = CHECKSUM_UNNECESSARY;
	return skb;
}

/*
 * The out-of-order queue of socket @i holds bytes of peer i beyond the
 * cut that the socket already SACKed: the peer will not resend them until
 * it suspects SACK reneging (an RTO later).  Copy them into segments for
 * dir[i]'s hold queue (@q), to go out at activation like the rest of the
 * peer's bytes after the cut.  Process context, socket locked.
 */
static int tsp_copy_ofo(struct tsp_session *s, int i, struct tcp_sock *tp,
			struct sk_buff_head *q)
{
	const unsigned int chunk = 32768;
	struct rb_node *p;

	for (p = rb_first(&tp->out_of_order_queue); p; p = rb_next(p)) {
		struct sk_buff *ofo = rb_entry(p, struct sk_buff, rbnode);
		u32 seq = TCP_SKB_CB(ofo)->seq;
		bool fin = TCP_SKB_CB(ofo)->tcp_flags & TCPHDR_FIN;
		unsigned int off = 0, len = ofo->len;

		do {
			unsigned int n = min(len - off, chunk);
			struct sk_buff *skb;

			skb = tsp_build_seg(s, i, tp, ofo, off, n, seq + off,
					    fin && off + n == len);
			if (!skb)
				return -ENOMEM;
			__skb_queue_tail(q, skb);
			off += n;
		} while (off < len);
	}
	return 0;
}

/* Wake a reader/poller of @sk (EOF, EPIPE or HUP became visible). */
static void tsp_wake(struct sock *sk)
{
	sk->sk_state_change(sk);
	sk_wake_async(sk, SOCK_WAKE_WAITD, POLL_IN);
}

/*
 * Step 2 for both sockets at once (both locked).  Also silence what the
 * sockets would emit on their own later: keepalive probes.
 */
static int tsp_cut(struct tsp_session *s)
{
	struct sock *sk[2] = { tsp_sock(s, 0)->sk, tsp_sock(s, 1)->sk };
	struct sk_buff_head ofo[2];
	int i, err;

	__skb_queue_head_init(&ofo[0]);
	__skb_queue_head_init(&ofo[1]);
	tsp_lock_pair(sk[0], sk[1]);
	for (i = 0; i < 2; i++) {
		err = tsp_check_sock(tsp_sock(s, i));
		if (err)
			goto out;
	}
	/* Both peers already finished: nothing would ever flow. */
	err = -ENOTCONN;
	if (sk[0]->sk_state == TCP_CLOSE_WAIT &&
	    sk[1]->sk_state == TCP_CLOSE_WAIT)
		goto out;
	for (i = 0; i < 2; i++) {
		struct tcp_sock *tp = tcp_sk(sk[i]);

		if (!RB_EMPTY_ROOT(&tp->out_of_order_queue)) {
			/* Bytes beyond the cut that the peer believes
			 * delivered (SACKed): the module forwards them.  If
			 * they cannot be copied, they are forgotten and the
			 * peer's SACK reneging recovery resends them.
			 */
			if (tsp_copy_ofo(s, i, tp, &ofo[i])) {
				__skb_queue_purge(&ofo[i]);
				tsp_stat_inc(s->tn, TCP_SPLICE_STAT_OFO_PURGED);
			} else {
				tsp_stat_inc(s->tn, TCP_SPLICE_STAT_OFO_MOVED);
			}
			tsp_purge_ofo(tp);
			if (tp->rx_opt.sack_ok)
				tcp_sack_reset(&tp->rx_opt);
		}
		if (sock_flag(sk[i], SOCK_KEEPOPEN)) {
			sock_reset_flag(sk[i], SOCK_KEEPOPEN);
			inet_csk_delete_keepalive_timer(sk[i]);
		}
	}
	spin_lock_bh(&s->lock);
	for (i = 0; i < 2; i++) {
		struct tcp_sock *tp = tcp_sk(sk[i]);
		struct tsp_dir *d = &s->dir[i];
		struct tsp_dir *k = &s->dir[!i];	/* sink: socket i */
		struct sk_buff *skb, *tmp;

		d->cut = tp->rcv_nxt;
		d->peer_nxt = tp->rcv_nxt;
		d->win_offer = max(tp->rcv_wnd, tp->rcv_ssthresh);
		if (!d->peer_ts_seen) {
			d->peer_tsval = tp->rx_opt.ts_recent;
			d->peer_ts_seen = true;
		}
		/* Acks seen while CUTTING were not recorded: start here. */
		k->sink_una = tp->snd_una;
		/* Held copies entirely before the cut were duplicates of
		 * bytes the socket got anyway.
		 */
		list_for_each_entry_safe(skb, tmp, &d->held, list) {
			struct tsp_pkt p;

			if (tsp_parse(skb, &p) || !after(p.end_seq, d->cut)) {
				tsp_held_del(d, skb);
				kfree_skb(skb);
			}
		}
		/* The socket's out-of-order bytes: older than any held copy,
		 * so in front of them, in order.
		 */
		while ((skb = __skb_dequeue_tail(&ofo[i]))) {
			d->held_bytes += skb->truesize;
			list_add(&skb->list, &d->held);
		}
		/* Peer i's FIN is in; the end of its stream towards peer
		 * 1-i is the proxy's FIN on the sink socket, acknowledged
		 * when sink_done comes (tsp_rx).
		 */
		if (sk[i]->sk_state == TCP_CLOSE_WAIT) {
			d->pre_fin = true;
			d->peer_fin = true;
		}
		d->phase = TSP_HOLD;
		WRITE_ONCE(sk[i]->sk_shutdown,
			   sk[i]->sk_shutdown | RCV_SHUTDOWN);
	}
	if (s->dir[0].pre_fin || s->dir[1].pre_fin)
		tsp_session_set_state(s, TCP_SPLICE_S_FIN_WAIT);
	spin_unlock_bh(&s->lock);
	for (i = 0; i < 2; i++)
		tsp_wake(sk[i]);
	err = 0;
out:
	tsp_unlock_pair(sk[0], sk[1]);
	__skb_queue_purge(&ofo[0]);
	__skb_queue_purge(&ofo[1]);
	return err;
}

/* Fix the splice point of dir[x] at the sink socket's write_seq. */
static void tsp_set_fin_now(struct tsp_session *s, int x, bool shut)
{
	struct sock *sk = tsp_sock(s, !x)->sk;
	struct tsp_dir *d = &s->dir[x];
	struct sk_buff_head out;

	if (d->pre_fin) {
		/* Peer x already finished: its end is a real FIN from the
		 * sink socket, which the LOCAL_OUT hook lets out.
		 */
		kernel_sock_shutdown(tsp_sock(s, !x), SHUT_WR);
		return;
	}
	__skb_queue_head_init(&out);
	lock_sock(sk);
	if (!shut && (sk->sk_shutdown & SEND_SHUTDOWN)) {
		/* The proxy shut the socket down: its FIN (queued, maybe
		 * not sent yet) is the splice point, and write_seq already
		 * counts it.  The LOCAL_OUT hook takes it from there.
		 */
		release_sock(sk);
		return;
	}
	spin_lock_bh(&s->lock);
	if (!d->fin_known) {
		d->fin = tcp_sk(sk)->write_seq;
		d->fin_known = true;
	}
	if (after(tcp_sk(sk)->snd_una, d->sink_una))
		d->sink_una = tcp_sk(sk)->snd_una;
	if (tsp_can_activate(s, x)) {
		tsp_activate(s, x, &out);
		/* The socket saw that ACK itself; an absorbed FIN still
		 * needs its fake acknowledgment.
		 */
		d->sink_done = !d->sink_fin;
	}
	spin_unlock_bh(&s->lock);
	if (shut) {
		/* Drained: the proxy promised it has nothing more to say. */
		WRITE_ONCE(sk->sk_shutdown, sk->sk_shutdown | SEND_SHUTDOWN);
	}
	release_sock(sk);
	tsp_xmit_queue(s, !x, &out);
}

/*
 * Drained caller: bytes the proxy left unread in socket @x go to the
 * sink socket, in order, before the splice point is fixed.
 */
static int tsp_move_unread(struct tsp_session *s, int x)
{
	struct socket *src = tsp_sock(s, x), *dst = tsp_sock(s, !x);
	struct tcp_sock *tp = tcp_sk(src->sk);
	size_t bufsz, moved = 0, urg = 0;
	enum { URG_NONE, URG_SEND, URG_DROP } urg_how = URG_NONE;
	int err = 0;
	void *buf;

	/* The common case: the proxy read everything it was sent.  After
	 * the cut nothing can be added to the receive queue (rcv_nxt is
	 * frozen), so the count is final.
	 */
	lock_sock(src->sk);
	bufsz = tp->rcv_nxt - tp->copied_seq;
	if (bufsz && sock_flag(src->sk, SOCK_DONE))
		bufsz--;	/* the peer's FIN is not a byte */
	/* An urgent byte among them: while the mark is set tcp_recvmsg()
	 * stops at it (and there returns early if a signal is pending)
	 * and, on a socket without SO_OOBINLINE, skips it.  Forget the mark
	 * (no new one can come) and handle the byte here: one the proxy has
	 * not read (TCP_URG_VALID) goes to the sink urgent, so the server
	 * still gets its urgent pointer; one the proxy took with MSG_OOB
	 * (TCP_URG_READ) is no longer part of the stream.
	 */
	if (tp->urg_data && !before(tp->urg_seq, tp->copied_seq) &&
	    before(tp->urg_seq, tp->copied_seq + bufsz)) {
		urg = tp->urg_seq - tp->copied_seq;
		urg_how = (tp->urg_data & TCP_URG_VALID) ? URG_SEND : URG_DROP;
	}
	WRITE_ONCE(tp->urg_data, 0);
	release_sock(src->sk);
	if (!bufsz)
		return 0;
	bufsz = min_t(size_t, bufsz, 64 * 1024);
	buf = kvmalloc(bufsz, GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		struct kvec iov = { .iov_base = buf, .iov_len = bufsz };
		struct msghdr msg = { .msg_flags = MSG_DONTWAIT };
		int n, off = 0;

		n = kernel_recvmsg(src, &msg, &iov, 1, bufsz, MSG_DONTWAIT);
		if (n == 0 || n == -EAGAIN)
			break;
		if (n < 0) {
			err = n;
			break;
		}
		while (off < n) {
			size_t len = n - off, at = moved + off;
			struct kvec wv = { .iov_base = buf + off };
			struct msghdr wm = { .msg_flags = MSG_NOSIGNAL };
			int w;

			/* up to the urgent byte: sent with MSG_OOB (the urgent
			 * pointer marks the last byte of that write), or left
			 * out
			 */
			if (urg_how != URG_NONE && urg >= at && urg < moved + n) {
				len = urg - at;
				if (urg_how == URG_SEND) {
					len++;
					wm.msg_flags |= MSG_OOB;
				} else if (!len) {
					off++;
					urg_how = URG_NONE;
					continue;
				}
			}
			wv.iov_len = len;
			w = kernel_sendmsg(dst, &wm, &wv, 1, len);
			if (w < 0) {
				err = w;
				goto out;
			}
			if ((wm.msg_flags & MSG_OOB) && (size_t)w == len)
				urg_how = URG_NONE;
			off += w;
		}
		moved += n;
	}
out:
	kvfree(buf);
	return err;
}

/*
 * Legacy callers: a proxy that dropped its last descriptor of a sink
 * socket without shutting it down will never write to it again, so its
 * write_seq is final.  Called from the session's work.
 */
void tsp_handoff_poll(struct tsp_session *s)
{
	int x;

	for (x = 0; x < 2; x++) {
		bool need;

		spin_lock_bh(&s->lock);
		need = s->dir[x].phase == TSP_HOLD && !s->dir[x].fin_known &&
		       !tsp_dead(s);
		tsp_dbg(s->tn, 2,
			"session %llu dir %d: phase %u pre_fin %d fin_known %d fin %u sink_una %u sink_fin %d held %u B\n",
			s->id, x, s->dir[x].phase, s->dir[x].pre_fin,
			s->dir[x].fin_known, s->dir[x].fin,
			s->dir[x].sink_una, s->dir[x].sink_fin,
			s->dir[x].held_bytes);
		spin_unlock_bh(&s->lock);
		if (need && file_count(s->file[!x]) == 1)
			tsp_set_fin_now(s, x, false);
	}
}

/*
 * Splice the caller's sockets @fd_client and @fd_server.  @want_net, if
 * set, is the namespace the request came from (netlink): the sockets
 * must live there.
 */
int tsp_splice_net(int fd_client, int fd_server, u32 flags,
		   struct net *want_net, u64 *id)
{
	struct socket *sock[2] = { NULL, NULL };
	struct tsp_session *s;
	struct tsp_net *tn;
	int err, i;

	if (flags & ~TCP_SPLICE_F_ALL)
		return -EINVAL;
	if (fd_client < 0 || fd_server < 0)
		return -EBADF;
	sock[0] = sockfd_lookup(fd_client, &err);
	if (!sock[0])
		return err;
	sock[1] = sockfd_lookup(fd_server, &err);
	if (!sock[1])
		goto out_put;
	err = -ELOOP;
	if (sock[0] == sock[1])
		goto out_put;
	for (i = 0; i < 2; i++) {
		err = tsp_check_spliced(sock[i]);
		if (err)
			goto out_put;
		lock_sock(sock[i]->sk);
		err = tsp_check_sock(sock[i]);
		release_sock(sock[i]->sk);
		if (err)
			goto out_put;
	}
	/* Both connections IPv4 or both IPv6: no translation between the
	 * families (the headers differ in size).
	 */
	err = -EAFNOSUPPORT;
	if (tsp_sock_v6(sock[0]->sk) != tsp_sock_v6(sock[1]->sk))
		goto out_put;
	err = -EXDEV;
	if (!net_eq(sock_net(sock[0]->sk), sock_net(sock[1]->sk)) ||
	    (want_net && !net_eq(want_net, sock_net(sock[0]->sk))))
		goto out_put;

	tn = tsp_pernet(sock_net(sock[0]->sk));
	err = -ENOMEM;
	s = tsp_session_alloc(tn);
	if (!s)
		goto out_put;
	s->drained = flags & TCP_SPLICE_F_DRAINED;
	s->uid = current_fsuid();
	for (i = 0; i < 2; i++)
		s->file[i] = get_file(sock[i]->file);
	tsp_fill_tuples(s);
	for (i = 0; i < 2; i++) {
		lock_sock(sock[i]->sk);
		err = tsp_snapshot_opts(s, i);
		release_sock(sock[i]->sk);
		if (err)
			goto out_free;
	}

	/* 1. Publish: segments of both connections now pass through us. */
	err = tsp_session_insert(s);
	if (err)
		goto out_free;
	/* Unload sets tsp_unloading, then ends every listed session: it
	 * sees this one, or we see the flag (full barriers on both sides).
	 */
	smp_mb();
	if (READ_ONCE(tsp_unloading)) {
		tsp_session_abort(s);
		err = -ENODEV;
		goto out_free;
	}
	/* 2. Wait for segments that slipped past before, then cut.  The
	 * expedited grace period keeps a splice call in the sub-ms range.
	 */
	synchronize_rcu_expedited();
	err = tsp_cut(s);
	if (err) {
		tsp_session_abort(s);
		goto out_free;
	}
	/* Before any activation can announce the handoff. */
	tsp_nl_event(s, TCP_SPLICE_CMD_EVENT_START);

	/* 3. Splice points. */
	if (s->drained) {
		for (i = 0; i < 2 && !err; i++)
			err = tsp_move_unread(s, i);
		if (err) {
			/* A peer went away (or a signal came) while we moved
			 * its bytes: the session cannot be completed.
			 */
			tsp_session_destroy(s, TSP_END_RST, false);
			if (err == -ERESTARTSYS)
				err = -EINTR;
			goto out_free;
		}
		for (i = 0; i < 2; i++)
			tsp_set_fin_now(s, i, true);
	} else {
		/* A FIN the proxy sent during the cut may already be known:
		 * activation is retried with both cuts fixed.
		 */
		for (i = 0; i < 2; i++) {
			struct sk_buff_head q;

			__skb_queue_head_init(&q);
			spin_lock_bh(&s->lock);
			if (tsp_can_activate(s, i)) {
				tsp_activate(s, i, &q);
				s->dir[i].sink_done = !s->dir[i].sink_fin;
			}
			spin_unlock_bh(&s->lock);
			tsp_xmit_queue(s, !i, &q);
		}
	}

	*id = s->id;
	tsp_session_start_timer(s);
	tsp_session_put(s);		/* ours; the table keeps its own */
	for (i = 0; i < 2; i++)
		sockfd_put(sock[i]);
	return 0;

out_free:
	tsp_session_put(s);		/* frees, with the file references */
out_put:
	for (i = 0; i < 2; i++)
		if (sock[i])
			sockfd_put(sock[i]);
	tsp_stat_inc(tsp_pernet(want_net ?: current->nsproxy->net_ns),
		     TCP_SPLICE_STAT_SPLICE_REFUSED);
	return err;
}
