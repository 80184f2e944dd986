// SPDX-License-Identifier: GPL-2.0
/*
 * Session table and lifecycle: lookup, insertion, state timers, teardown.
 *
 * Teardown runs in process context (it takes the sockets' locks): the
 * per-session timer, which runs in softirq, queues the session's work
 * when the state's timeout passed.  A session is unlinked exactly once
 * (TSP_F_DEAD); its memory is freed after an RCU grace period once the
 * last reference is gone, so packet handlers that found it under RCU can
 * finish with it.  References: the table holds one; a queued work item
 * holds one; the splice ioctl holds one while it runs.
 */
#include <linux/file.h>
#include <linux/netdevice.h>
#include <linux/rhashtable.h>
#include <linux/slab.h>
#include <net/inet_connection_sock.h>
#include <net/ip.h>
#include <net/ip6_checksum.h>
#include <net/ipv6.h>
#include <net/tcp.h>

#include "compat.h"
#include "session.h"

static struct workqueue_struct *tsp_wq;
static struct kmem_cache *tsp_session_cachep;
static atomic64_t tsp_next_id = ATOMIC64_INIT(0);

const struct rhashtable_params tsp_rht_params = {
	.head_offset		= offsetof(struct tsp_node, rh),
	.key_offset		= offsetof(struct tsp_node, key),
	.key_len		= sizeof(struct tsp_key),
	.automatic_shrinking	= true,
};

static const char *const tsp_state_names[TCP_SPLICE_S_MAX] = {
	[TCP_SPLICE_S_NONE]		= "NONE",
	[TCP_SPLICE_S_ESTABLISHED]	= "ESTABLISHED",
	[TCP_SPLICE_S_SYN_SENT]		= "SYN_SENT",
	[TCP_SPLICE_S_SYN_RECV]		= "SYN_RECV",
	[TCP_SPLICE_S_FIN_WAIT]		= "FIN_WAIT",
	[TCP_SPLICE_S_TIME_WAIT]	= "TIME_WAIT",
	[TCP_SPLICE_S_CLOSE]		= "CLOSE",
	[TCP_SPLICE_S_CLOSE_WAIT]	= "CLOSE_WAIT",
	[TCP_SPLICE_S_LAST_ACK]		= "LAST_ACK",
	[TCP_SPLICE_S_LISTEN]		= "LISTEN",
	[TCP_SPLICE_S_SYNACK]		= "SYNACK",
};

const char *tsp_state_name(u8 state)
{
	return state < TCP_SPLICE_S_MAX ? tsp_state_names[state] : "?";
}

unsigned int tsp_state_timeout(struct tsp_net *tn, u8 state)
{
	static const u8 map[TCP_SPLICE_S_MAX] = {
		[TCP_SPLICE_S_NONE]		= TSP_SYS_TO_CLOSE,
		[TCP_SPLICE_S_ESTABLISHED]	= TSP_SYS_TO_ESTABLISHED,
		[TCP_SPLICE_S_SYN_SENT]		= TSP_SYS_TO_SYNSENT,
		[TCP_SPLICE_S_SYN_RECV]		= TSP_SYS_TO_SYNRECV,
		[TCP_SPLICE_S_FIN_WAIT]		= TSP_SYS_TO_FINWAIT,
		[TCP_SPLICE_S_TIME_WAIT]	= TSP_SYS_TO_TIMEWAIT,
		[TCP_SPLICE_S_CLOSE]		= TSP_SYS_TO_CLOSE,
		[TCP_SPLICE_S_CLOSE_WAIT]	= TSP_SYS_TO_CLOSEWAIT,
		[TCP_SPLICE_S_LAST_ACK]		= TSP_SYS_TO_LASTACK,
		[TCP_SPLICE_S_LISTEN]		= TSP_SYS_TO_LISTEN,
		[TCP_SPLICE_S_SYNACK]		= TSP_SYS_TO_SYNACK,
	};

	if (state >= TCP_SPLICE_S_MAX)
		state = TCP_SPLICE_S_CLOSE;
	return tsp_sysctl(tn, map[state]);
}

/*
 * Caller holds s->lock (or owns @s exclusively).  A shorter timeout
 * (TIME_WAIT, CLOSE ...) brings the timer forward; a longer one is seen
 * by the timer when it fires and re-arms.
 */
void tsp_session_set_state(struct tsp_session *s, u8 state)
{
	unsigned long exp;

	exp = jiffies + (unsigned long)tsp_state_timeout(s->tn, state) * HZ;
	s->state = state;
	WRITE_ONCE(s->expires, exp);
	if (test_bit(TSP_F_READY, &s->flags) && !tsp_dead(s))
		timer_reduce(&s->timer, exp);
}

/* Caller is in an RCU read-side section (the netfilter hooks are). */
struct tsp_session *tsp_lookup(struct tsp_net *tn, const struct tsp_key *k,
			       u8 *side)
{
	struct tsp_node *n;

	n = rhashtable_lookup(&tn->table, k, tsp_rht_params);
	if (!n)
		return NULL;
	*side = n->side;
	return container_of(n, struct tsp_session, node[n->side]);
}

static void tsp_timer_fn(struct timer_list *t);
static void tsp_work_fn(struct work_struct *w);

struct tsp_session *tsp_session_alloc(struct tsp_net *tn)
{
	struct tsp_session *s;
	int i;

	s = kmem_cache_zalloc(tsp_session_cachep, GFP_KERNEL);
	if (!s)
		return NULL;
	for (i = 0; i < 2; i++) {
		INIT_LIST_HEAD(&s->dir[i].held);
		s->node[i].side = i;
	}
	s->tn = tn;
	refcount_set(&s->ref, 1);
	spin_lock_init(&s->lock);
	INIT_LIST_HEAD(&s->list);
	timer_setup(&s->timer, tsp_timer_fn, 0);
	INIT_WORK(&s->work, tsp_work_fn);
	s->created = jiffies;
	tsp_session_set_state(s, TCP_SPLICE_S_ESTABLISHED);
	return s;
}

/* Set once, at unload, before the last sessions are ended (main.c). */
bool tsp_unloading;

/*
 * Take both tuples of @s out of the table and drop the count they stand
 * for.  The second may never have gone in: its removal then finds nothing
 * (the table compares nodes, not keys, so another session's equal tuple
 * stays).
 */
static void tsp_session_unhash(struct tsp_session *s)
{
	struct tsp_net *tn = s->tn;

	rhashtable_remove_fast(&tn->table, &s->node[0].rh, tsp_rht_params);
	rhashtable_remove_fast(&tn->table, &s->node[1].rh, tsp_rht_params);
	atomic_dec(&tn->count);
}

/* Publish @s: both tuples in the table, the session in the list. */
int tsp_session_insert(struct tsp_session *s)
{
	struct tsp_net *tn = s->tn;
	int max = tsp_sysctl(tn, TSP_SYS_MAX_SESSIONS);
	int err;

	if (max && atomic_read(&tn->count) >= max) {
		tsp_stat_inc(tn, TCP_SPLICE_STAT_REFUSED_TABLE_FULL);
		return -ENOSPC;
	}
	err = rhashtable_lookup_insert_fast(&tn->table, &s->node[0].rh,
					    tsp_rht_params);
	if (err)
		return err == -EEXIST ? -EBUSY : err;
	atomic_inc(&tn->count);
	err = rhashtable_lookup_insert_fast(&tn->table, &s->node[1].rh,
					    tsp_rht_params);
	if (err) {
		tsp_session_unhash(s);
		return err == -EEXIST ? -EBUSY : err;
	}
	refcount_inc(&s->ref);		/* the table's reference */
	/* Ids grow along tn->list (given as the session is appended, under
	 * the list lock): a netlink dump resumes after the last id it sent.
	 */
	spin_lock_bh(&tn->list_lock);
	s->id = atomic64_inc_return(&tsp_next_id);
	/* GFP_ATOMIC under the lock: its node (about 9 B a session) rarely
	 * needs an allocation, and a failure refuses the splice cleanly.
	 */
	err = xa_insert(&tn->ids, (unsigned long)s->id, s, GFP_ATOMIC);
	if (!err)
		list_add_tail_rcu(&s->list, &tn->list);
	spin_unlock_bh(&tn->list_lock);
	if (err) {
		/* Never listed: undo the table entries as an unlink would
		 * (a packet handler that found them meanwhile is an RCU
		 * reader; the caller's put frees after a grace period).
		 */
		set_bit(TSP_F_DEAD, &s->flags);
		tsp_session_unhash(s);
		refcount_dec(&s->ref);
		return -ENOMEM;	/* -EBUSY (id taken) cannot happen */
	}
	tsp_stat_inc(tn, TCP_SPLICE_STAT_SESSIONS_CREATED);
	return 0;
}

/*
 * The last reference is gone and, after this grace period, no packet
 * handler can still be looking at @s: free what it holds.
 */
static void tsp_session_free_rcu(struct rcu_head *head)
{
	struct tsp_session *s = container_of(head, struct tsp_session, rcu);
	int i;

	kfree_skb(s->syn);
	for (i = 0; i < 2; i++) {
		tsp_held_purge(&s->dir[i]);
		dst_release(s->dir[i].dst);
		if (s->file[i])
			fput(s->file[i]);
	}
	kmem_cache_free(tsp_session_cachep, s);
}

void tsp_session_put(struct tsp_session *s)
{
	if (refcount_dec_and_test(&s->ref))
		call_rcu(&s->rcu, tsp_session_free_rcu);
}

/* Take @s out of the table and the list.  Returns false if already out. */
static bool tsp_session_unlink(struct tsp_session *s)
{
	struct tsp_net *tn = s->tn;

	if (test_and_set_bit(TSP_F_DEAD, &s->flags))
		return false;
	tsp_session_unhash(s);
	spin_lock_bh(&tn->list_lock);
	list_del_rcu(&s->list);
	xa_erase(&tn->ids, (unsigned long)s->id);
	spin_unlock_bh(&tn->list_lock);
	return true;
}

/*
 * Let a proxy socket go without a word on the wire: CLOSE state, timers
 * stopped, unhashed (the tuple is free again), EOF for a caller still
 * polling.  tcp_done() sends nothing.
 */
static void tsp_release_sock(struct sock *sk)
{
	lock_sock(sk);
	if (sk->sk_state != TCP_CLOSE)
		tcp_done(sk);
	release_sock(sk);
}

/* Build and send a RST to peer @o, in that connection's sequence space. */
static void tsp_send_rst(struct tsp_session *s, int o, u32 seq, u32 ack)
{
	struct sk_buff_head q;
	struct sk_buff *skb;
	struct tcphdr *th;
	struct iphdr *iph;

	skb = alloc_skb(MAX_TCP_HEADER, GFP_KERNEL);
	if (!skb)
		return;
	skb_reserve(skb, MAX_TCP_HEADER);
	th = skb_push(skb, sizeof(*th));
	skb_reset_transport_header(skb);
	memset(th, 0, sizeof(*th));
	th->source = tsp_local_port(s, o);
	th->dest = tsp_peer_port(s, o);
	th->seq = htonl(seq);
	th->ack_seq = htonl(ack);
	th->doff = sizeof(*th) / 4;
	th->rst = 1;
	th->ack = 1;
	if (s->v6) {
		struct ipv6hdr *ip6 = skb_push(skb, sizeof(*ip6));

		skb_reset_network_header(skb);
		memset(ip6, 0, sizeof(*ip6));
		ip6->version = 6;
		ip6->payload_len = htons(sizeof(*th));
		ip6->nexthdr = IPPROTO_TCP;
		ip6->saddr = tsp_local_addr(s, o);
		ip6->daddr = tsp_peer_addr(s, o);
		th->check = tcp_v6_check(sizeof(*th), &ip6->saddr, &ip6->daddr,
					 csum_partial(th, sizeof(*th), 0));
	} else {
		iph = skb_push(skb, sizeof(*iph));
		skb_reset_network_header(skb);
		memset(iph, 0, sizeof(*iph));
		iph->version = 4;
		iph->ihl = 5;
		iph->tot_len = htons(skb->len);
		iph->frag_off = htons(IP_DF);
		iph->protocol = IPPROTO_TCP;
		iph->saddr = tsp_local_addr(s, o).s6_addr32[3];
		iph->daddr = tsp_peer_addr(s, o).s6_addr32[3];
		th->check = tcp_v4_check(sizeof(*th), iph->saddr, iph->daddr,
					 csum_partial(th, sizeof(*th), 0));
		ip_send_check(iph);
	}
	skb->ip_summed = CHECKSUM_NONE;
	__skb_queue_head_init(&q);
	__skb_queue_tail(&q, skb);
	tsp_xmit_queue(s, o, &q);
}

/*
 * Where to reset the peers of a live session (flush, unload, timeout):
 * @seq[o] is what peer o expects next as far as we know (a RST must hit
 * its rcv_nxt exactly), @ack[o] acknowledges all peer o sent.
 */
static void tsp_rst_points(struct tsp_session *s, u32 seq[2], u32 ack[2])
{
	int o;

	spin_lock_bh(&s->lock);
	for (o = 0; o < 2; o++) {
		struct tsp_dir *in = &s->dir[!o];	/* towards peer o */
		struct tsp_dir *from = &s->dir[o];	/* from peer o */
		u32 nxt = READ_ONCE(tcp_sk(tsp_sock(s, o)->sk)->snd_nxt);

		if (in->fin_known && after(nxt, in->fin))
			nxt = in->fin;
		if (in->phase == TSP_ACTIVE && after(in->sent_nxt, nxt))
			nxt = in->sent_nxt;
		/* A forwarded FIN not acknowledged may be lost: then its
		 * own number is the peer's rcv_nxt.  If it did arrive, Linux
		 * still takes rcv_nxt - 1 after a FIN; others challenge.
		 */
		if (in->peer_fin && !in->peer_fin_acked && !in->pre_fin &&
		    nxt == in->peer_fin_seq + 1)
			nxt = in->peer_fin_seq;
		seq[o] = nxt;
		ack[o] = from->peer_nxt;
	}
	spin_unlock_bh(&s->lock);
}

static void tsp_count_end(struct tsp_net *tn, u8 reason)
{
	switch (reason) {
	case TSP_END_FIN:
		tsp_stat_inc(tn, TCP_SPLICE_STAT_SESSIONS_ENDED_FIN);
		break;
	case TSP_END_RST:
		tsp_stat_inc(tn, TCP_SPLICE_STAT_SESSIONS_ENDED_RST);
		break;
	case TSP_END_FLUSH:
	case TSP_END_UNLOAD:
		tsp_stat_inc(tn, TCP_SPLICE_STAT_SESSIONS_ENDED_FLUSH);
		break;
	default:
		tsp_stat_inc(tn, TCP_SPLICE_STAT_SESSIONS_ENDED_TIMEOUT);
		break;
	}
}

/*
 * The sockets are released (the tuple is free in the stack): a parked SYN
 * that reuses it enters the stack as if it arrived now, on its interface.
 */
static void tsp_session_replay_syn(struct tsp_session *s)
{
	struct net_device *dev;
	struct sk_buff *skb;

	spin_lock_bh(&s->lock);
	skb = s->syn;
	s->syn = NULL;
	spin_unlock_bh(&s->lock);
	if (!skb)
		return;
	dev = dev_get_by_index(sock_net(tsp_sock(s, 0)->sk), skb->skb_iif);
	if (!dev) {
		kfree_skb(skb);
		return;
	}
	skb->dev = dev;
	netif_rx(skb);
	dev_put(dev);
}

/*
 * End a session: unlink it, stop its timer, release the sockets and drop
 * the table's reference.  Process context; idempotent.
 */
void tsp_session_destroy(struct tsp_session *s, enum tsp_end_reason why,
			 bool from_work)
{
	struct tsp_net *tn = s->tn;
	u32 seq[2], ack[2];
	bool reset;
	u8 reason;
	int i;

	if (!tsp_session_unlink(s))
		return;
	/* A handler that found the session alive under s->lock may be
	 * re-arming its timer (tsp_session_set_state): let it finish; the
	 * next ones see TSP_F_DEAD.
	 */
	spin_lock_bh(&s->lock);
	spin_unlock_bh(&s->lock);
	del_timer_sync(&s->timer);
	if (!from_work && cancel_work_sync(&s->work))
		tsp_session_put(s);	/* the queued work's reference */

	spin_lock_bh(&s->lock);
	if (s->reason == TSP_END_NONE || why == TSP_END_FLUSH ||
	    why == TSP_END_UNLOAD)
		s->reason = why;
	reason = s->reason;
	spin_unlock_bh(&s->lock);

	/* A timeout in TIME_WAIT or CLOSE keeps its reason (FIN, RST): only
	 * a session whose peers had not both finished ends as TIMEOUT.  They
	 * may still wait for data or a FIN that will never come.
	 */
	reset = reason == TSP_END_FLUSH || reason == TSP_END_UNLOAD ||
		(reason == TSP_END_TIMEOUT &&
		 tsp_sysctl(tn, TSP_SYS_RESET_ON_TIMEOUT));
	if (reset)
		tsp_rst_points(s, seq, ack);
	tsp_count_end(tn, reason);
	spin_lock_bh(&s->lock);
	tsp_session_end_event_locked(s);
	spin_unlock_bh(&s->lock);
	tsp_dbg(tn, 1, "session %llu ended (reason %u)\n", s->id, reason);

	/* Handlers check TSP_F_DEAD under s->lock before holding a
	 * segment, so nothing is queued after this purge.
	 */
	for (i = 0; i < 2; i++) {
		spin_lock_bh(&s->lock);
		tsp_held_purge(&s->dir[i]);
		spin_unlock_bh(&s->lock);
		tsp_release_sock(tsp_sock(s, i)->sk);
	}
	/* Only now that the tuples are free: a peer that finds our guess
	 * inexact answers with a challenge ACK, which must reach no socket
	 * (a proxy socket would drop it) so that the stack's RST, at that
	 * ACK's number, is exact.
	 */
	for (i = 0; reset && i < 2; i++)
		tsp_send_rst(s, i, seq[i], ack[i]);
	tsp_session_replay_syn(s);
	tsp_session_put(s);
}

/*
 * Undo a session whose handoff failed before any byte was forwarded: the
 * sockets stay the proxy's (the caller restores their shutdown bits);
 * held copies are dropped, their peers retransmit to the sockets.
 */
void tsp_session_abort(struct tsp_session *s)
{
	if (!tsp_session_unlink(s))
		return;
	tsp_session_put(s);
}

/* Queue the session's work, which holds a reference while queued. */
static void tsp_queue_work(struct tsp_session *s)
{
	if (!refcount_inc_not_zero(&s->ref))
		return;
	if (!queue_work(tsp_wq, &s->work))
		tsp_session_put(s);
}

/*
 * The END event, once per session: when both directions finished on the
 * wire (TIME_WAIT) or a RST passed, else at teardown.  Caller holds
 * s->lock.
 */
void tsp_session_end_event_locked(struct tsp_session *s)
{
	if (!test_and_set_bit(TSP_F_END_SENT, &s->flags))
		tsp_nl_event_locked(s, TCP_SPLICE_CMD_EVENT_END);
}

/* End @s from any context, as soon as its work runs.  Caller holds s->lock. */
void tsp_session_end_soon(struct tsp_session *s)
{
	WRITE_ONCE(s->expires, jiffies);
	if (test_bit(TSP_F_READY, &s->flags))
		tsp_queue_work(s);
}

static void tsp_timer_fn(struct timer_list *t)
{
	struct tsp_session *s = from_timer(s, t, timer);
	unsigned long exp = READ_ONCE(s->expires);
	unsigned long next;

	if (tsp_dead(s))
		return;
	if (time_after_eq(jiffies, exp)) {
		tsp_queue_work(s);
		return;
	}
	next = exp;
	if (tsp_handoff_pending(s)) {
		/* Handoff in progress: look for a proxy that closed its
		 * descriptor instead of shutting it down.
		 */
		tsp_queue_work(s);
		if (time_after(next, jiffies + HZ / 10))
			next = jiffies + HZ / 10;
	}
	mod_timer(&s->timer, next);
}

static void tsp_work_fn(struct work_struct *w)
{
	struct tsp_session *s = container_of(w, struct tsp_session, work);

	if (!tsp_dead(s)) {
		if (time_after_eq(jiffies, READ_ONCE(s->expires)))
			tsp_session_destroy(s, TSP_END_TIMEOUT, true);
		else
			tsp_handoff_poll(s);
	}
	tsp_session_put(s);	/* taken by tsp_queue_work() */
}

void tsp_session_start_timer(struct tsp_session *s)
{
	set_bit(TSP_F_READY, &s->flags);
	mod_timer(&s->timer, tsp_handoff_pending(s) ?
		  jiffies + HZ / 10 : READ_ONCE(s->expires));
}

/*
 * End the sessions of @tn that @match accepts (all if NULL).  Process
 * context.  Returns how many this call ended.
 *
 * Each round takes the next match and the one after it (@ahead, with a
 * reference), ends the first outside the RCU section, and starts the next
 * round at @ahead while it is listed (not TSP_F_DEAD: then in the list
 * during this RCU section, so its next pointer leads on); else from the
 * head, past the ids already handled (ids grow along the list).  A flush
 * of M of N sessions so walks the list about once, not M times (the
 * sessions of the last port of 100 000 would otherwise each cost a walk
 * past the others).
 */
unsigned int tsp_sessions_flush_match(struct tsp_net *tn,
				      bool (*match)(struct tsp_session *s,
						    void *arg),
				      void *arg, enum tsp_end_reason why)
{
	struct tsp_session *s, *pick, *next, *ahead = NULL;
	unsigned int n = 0;
	u64 last = 0;

	for (;;) {
		pick = NULL;
		next = NULL;
		rcu_read_lock();
		if (ahead && !tsp_dead(ahead))
			s = ahead;
		else
			s = list_entry_rcu(tn->list.next, struct tsp_session,
					   list);
		list_for_each_entry_from_rcu(s, &tn->list, list) {
			if (s->id <= last || tsp_dead(s) ||
			    (match && !match(s, arg)))
				continue;
			if (!refcount_inc_not_zero(&s->ref))
				continue;
			if (!pick) {
				pick = s;
				continue;
			}
			next = s;
			break;
		}
		rcu_read_unlock();
		if (ahead)
			tsp_session_put(ahead);
		ahead = next;
		if (!pick)
			break;
		last = pick->id;
		if (!tsp_dead(pick))
			n++;
		tsp_session_destroy(pick, why, false);
		tsp_session_put(pick);
		cond_resched();
	}
	return n;
}

/* End every session of @tn (namespace exit, unload). */
void tsp_sessions_flush(struct tsp_net *tn, enum tsp_end_reason why)
{
	tsp_sessions_flush_match(tn, NULL, NULL, why);
	flush_workqueue(tsp_wq);
}

int tsp_table_init(struct tsp_net *tn)
{
	xa_init(&tn->ids);
	return rhashtable_init(&tn->table, &tsp_rht_params);
}

void tsp_table_destroy(struct tsp_net *tn)
{
	rhashtable_destroy(&tn->table);
	xa_destroy(&tn->ids);	/* empty: every session was ended */
}

/*
 * The session @id of @tn with a reference, or NULL.  Any context; the
 * caller checks that it may see it.
 */
struct tsp_session *tsp_session_get_by_id(struct tsp_net *tn, u64 id)
{
	struct tsp_session *s;

	rcu_read_lock();
	s = xa_load(&tn->ids, (unsigned long)id);
	/* (an unsigned long narrower than the id would alias) */
	if (s && (s->id != id || !refcount_inc_not_zero(&s->ref)))
		s = NULL;
	rcu_read_unlock();
	return s;
}

/* Module-wide: the sessions' workqueue and their slab cache. */
int tsp_sessions_init(void)
{
	tsp_wq = alloc_workqueue("tcp_splice", WQ_UNBOUND | WQ_MEM_RECLAIM, 0);
	if (!tsp_wq)
		return -ENOMEM;
	/* Not cache-line aligned: 512 B objects, eight to a page. */
	tsp_session_cachep = KMEM_CACHE(tsp_session, 0);
	if (!tsp_session_cachep) {
		destroy_workqueue(tsp_wq);
		return -ENOMEM;
	}
	return 0;
}

/* After rcu_barrier(): no session is left to free. */
void tsp_sessions_exit(void)
{
	destroy_workqueue(tsp_wq);
	kmem_cache_destroy(tsp_session_cachep);
}
