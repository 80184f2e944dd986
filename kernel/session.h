/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A splice session: two established TCP connections of a proxy, joined.
 *
 *      client C          proxy P                       server S
 *         | connection A  | socket a     socket b  | connection B |
 *         +---------------+ (side 0)     (side 1)  +--------------+
 *
 * Side 0 is connection A (socket a, peer C); side 1 is connection B
 * (socket b, peer S).  dir[i] describes the segments that arrive from
 * peer i and leave towards peer 1-i: they carry peer i's data (whose
 * "source" socket is tsp_sock(s, i) and "sink" socket tsp_sock(s, 1-i))
 * and peer i's acknowledgments of the data flowing the other way
 * (dir[1-i]).
 *
 * Handoff of one direction (see Documentation/design.rst):
 *   CUTTING  the session is in the table but the cut is not fixed yet:
 *            every data segment from the peer is held (a copy), the
 *            socket only gets its acknowledgment.
 *   HOLD     cut = source socket's rcv_nxt: the source socket has every
 *            byte before it and will never see one after it (EOF for the
 *            proxy).  Later data is held until the sink socket's own data
 *            (the proxy's writes, ending at @fin) is acknowledged by the
 *            sink peer.
 *   ACTIVE   seq' = seq + (fin - cut); forwarded without the sockets.
 */
#ifndef _TSP_SESSION_H
#define _TSP_SESSION_H

#include <linux/net.h>
#include <linux/rcupdate.h>
#include <linux/refcount.h>
#include <linux/rhashtable.h>
#include <linux/skbuff.h>
#include <linux/timer.h>
#include <linux/workqueue.h>
#include <net/dst.h>
#include <net/tcp.h>
#include <linux/tcp_splice.h>

#include "netns.h"

/*
 * 4-tuple of a segment arriving from a peer (network byte order); IPv4
 * addresses in their v4-mapped form, so one table serves both families.
 */
struct tsp_key {
	struct in6_addr saddr;
	struct in6_addr daddr;
	__be16 sport;
	__be16 dport;
};

struct tsp_node {
	struct rhash_head rh;
	struct tsp_key key;
	u8 side;
};

extern const struct rhashtable_params tsp_rht_params;

/*
 * The addresses and ports of connection @i (IPv4: v4-mapped), kept once:
 * in the key of segments arriving from peer i.
 */
/* The proxy's socket of connection @i (a socket file's private_data). */
#define tsp_sock(s, i)		((struct socket *)(s)->file[i]->private_data)

#define tsp_peer_addr(s, i)	((s)->node[i].key.saddr)
#define tsp_local_addr(s, i)	((s)->node[i].key.daddr)
#define tsp_peer_port(s, i)	((s)->node[i].key.sport)
#define tsp_local_port(s, i)	((s)->node[i].key.dport)

enum tsp_phase {
	TSP_CUTTING,
	TSP_HOLD,
	TSP_ACTIVE,
};

enum tsp_end_reason {
	TSP_END_NONE = TCP_SPLICE_END_NONE,
	TSP_END_FIN = TCP_SPLICE_END_FIN,
	TSP_END_RST = TCP_SPLICE_END_RST,
	TSP_END_TIMEOUT = TCP_SPLICE_END_TIMEOUT,
	TSP_END_FLUSH = TCP_SPLICE_END_FLUSH,
	TSP_END_UNLOAD = TCP_SPLICE_END_UNLOAD,
};

/**
 * struct tsp_dir - segments from peer i towards peer 1-i
 *
 * Every field is protected by the session's @lock, except the options
 * snapshot (@ws_in .. @sack_out), which is written once before the session
 * is published.  @seg_out starts from that snapshot and only goes down, as
 * the path MTU does (pmtu.c), under @lock.
 *
 * @phase:	CUTTING/HOLD/ACTIVE of peer i's data (see above).
 * @cut:	first byte of peer i's stream the module forwards (sequence
 *		space of peer i); valid from HOLD on.
 * @fin:	sink socket's write_seq where the proxy's own writes end
 *		(sequence space of the sink connection); valid if @fin_known.
 * @sink_fin:	the sink socket sent a FIN at @fin, which we absorbed; it
 *		must be told the FIN was acknowledged (@fin + 1).
 * @sink_done:	the sink socket has been fed an ACK covering all it sent.
 * @sink_una:	highest ACK the sink peer sent for the sink socket's data.
 * @seq_delta:	@fin - @cut, added to peer i's sequence numbers.
 * @ts_delta:	added to peer i's TSval (PAWS at peer 1-i stays happy).
 * @peer_tsval:	latest TSval seen from peer i (echoed while not ACTIVE).
 * @peer_nxt:	highest end_seq seen from peer i (RST validation).
 * @win_offer:	largest receive window offered to peer i, in bytes: by
 *		socket i up to the cut, then by peer 1-i (forwarded).  Peer
 *		i's data may not reach beyond @peer_nxt + @win_offer.
 * @sent_nxt:	highest end of what the module sent to peer 1-i, in the
 *		sink connection's space (RSTs on unload).
 * @peer_fin/@peer_fin_seq/@peer_fin_acked: peer i's own FIN, forwarded
 *		(with @pre_fin: already in; acknowledged means peer 1-i
 *		acknowledged the sink socket's FIN, the proxy's relay of it).
 * @pre_fin:	peer i's FIN arrived before the cut (source socket in
 *		CLOSE_WAIT): nothing of peer i is left to forward; the sink
 *		socket's FIN (the proxy's shutdown) is the real end of this
 *		direction and goes out untouched.  Never ACTIVE.
 * @held:	copies of peer i's segments waiting for ACTIVE, @held_bytes.
 */
struct tsp_dir {
	u8 phase;
	bool fin_known;
	bool sink_fin;
	bool sink_done;
	bool peer_ts_seen;
	bool peer_fin;
	bool peer_fin_acked;
	bool pre_fin;
	u32 cut;
	u32 fin;
	u32 sink_una;
	u32 seq_delta;
	u32 ts_delta;
	u32 peer_tsval;
	u32 peer_nxt;
	u32 win_offer;
	u32 sent_nxt;
	u32 peer_fin_seq;
	u32 dst_cookie;	/* validity of @dst (IPv6 fib serial number) */
	u32 held_bytes;
	struct list_head held;	/* of skb->list; see tsp_held_*() */
	u64 pkts;
	u64 bytes;

	/* options snapshot, fixed at splice time */
	u8 ws_in;	/* peer i's window shift */
	u8 ws_out;	/* shift peer 1-i applies to windows it receives */
	bool ts_in;	/* connection i negotiated timestamps */
	bool ts_out;	/* connection 1-i negotiated timestamps */
	bool sack_out;	/* connection 1-i negotiated SACK */
	u16 seg_out;	/* max TCP payload + options towards peer 1-i;
			 * lowered by the path MTU, under @lock
			 */

	struct dst_entry *dst;	/* route towards peer 1-i (a reference) */
};

/**
 * struct tsp_towards - what peer o has been sent on its connection, by the
 *	module (translated segments of peer 1-o) or by the proxy's socket o
 *
 * Both senders share one connection, so the peer must see one stream:
 * @ts_max:	TSval high-water mark; PAWS at the peer drops a segment whose
 *		TSval goes back, so a lower one is raised to it.
 * @ack/@win:	the latest acknowledgment of peer o's data the module sent
 *		(and the window field that came with it).  Once peer o's data
 *		flows through the module, the socket's own ACK is frozen at
 *		the cut; a segment whose ACK is more than a window below the
 *		peer's snd_una is dropped whole (RFC 5961 5.2), so the
 *		socket's segments carry this one instead.
 */
struct tsp_towards {
	u32 ts_max;
	u32 ack;
	__be16 win;
	bool ts_valid;
	bool ack_valid;
};

#define TSP_F_DEAD	0	/* unlinked; teardown started */
#define TSP_F_READY	1	/* handoff ioctl finished; timer armed */
#define TSP_F_END_SENT	2	/* the END event went out */

/**
 * struct tsp_session - one spliced pair of connections
 *
 * Lifetime: created by the splice ioctl; the table owns one reference,
 * the ioctl another while it runs.  Packet-path readers find it under
 * RCU and take no reference.  Teardown (tsp_session_destroy) unlinks it,
 * stops the timer, releases the sockets and drops the table's reference;
 * the memory is freed after an RCU grace period.
 *
 * Locking: @lock (a BH-safe spinlock) protects @dir[], @state, @reason
 * and @expires writes.  Lock order: socket lock (lock_sock or the
 * socket's BH lock held by TCP output) -> @lock.  Never take a socket
 * lock or transmit while holding @lock.
 *
 * @file:	a reference on the files of the proxy's sockets, held until
 *		the session is freed: this keeps the 4-tuples reserved
 *		whatever the proxy does with its descriptors.
 */
struct tsp_session {
	struct tsp_node node[2];
	struct list_head list;		/* tn->list, under tn->list_lock */
	struct tsp_net *tn;
	u64 id;
	refcount_t ref;
	spinlock_t lock;		/* see "Locking" above */
	unsigned long flags;		/* TSP_F_* bits, atomic */
	kuid_t uid;			/* creator, for netlink visibility */
	bool drained;
	bool v6;			/* both connections are IPv6 */
	u8 state;			/* enum tcp_splice_state */
	u8 reason;			/* enum tsp_end_reason */

	struct file *file[2];		/* of the proxy's sockets: tsp_sock() */

	struct tsp_dir dir[2];

	struct tsp_towards towards[2];	/* what peer o saw from us; @lock */

	/*
	 * A peer's SYN that reuses a tuple of this finished session (see
	 * tsp_rx_syn): given to the stack once the old sockets are gone.
	 * Under @lock; skb->dev is NULL while parked here, skb->skb_iif
	 * names the interface it came in on.
	 */
	struct sk_buff *syn;

	unsigned long expires;		/* jiffies; READ_ONCE outside @lock */
	unsigned long created;
	struct timer_list timer;
	struct work_struct work;
	struct rcu_head rcu;
};

/* session.c */
extern bool tsp_unloading;
struct tsp_session *tsp_session_alloc(struct tsp_net *tn);
int tsp_session_insert(struct tsp_session *s);
void tsp_session_put(struct tsp_session *s);
void tsp_session_destroy(struct tsp_session *s, enum tsp_end_reason why,
			 bool from_work);
void tsp_session_abort(struct tsp_session *s);
void tsp_session_start_timer(struct tsp_session *s);
void tsp_session_set_state(struct tsp_session *s, u8 state);
void tsp_session_end_soon(struct tsp_session *s);
void tsp_session_end_event_locked(struct tsp_session *s);
void tsp_sessions_flush(struct tsp_net *tn, enum tsp_end_reason why);
unsigned int tsp_sessions_flush_match(struct tsp_net *tn,
				      bool (*match)(struct tsp_session *s,
						    void *arg),
				      void *arg, enum tsp_end_reason why);
int tsp_table_init(struct tsp_net *tn);
struct tsp_session *tsp_session_get_by_id(struct tsp_net *tn, u64 id);
void tsp_table_destroy(struct tsp_net *tn);
struct tsp_session *tsp_lookup(struct tsp_net *tn, const struct tsp_key *k,
			       u8 *side);
const char *tsp_state_name(u8 state);
unsigned int tsp_state_timeout(struct tsp_net *tn, u8 state);
int tsp_sessions_init(void);
void tsp_sessions_exit(void);

/* handoff.c */
int tsp_splice_net(int fd_client, int fd_server, u32 flags,
		   struct net *want_net, u64 *id);

static inline int tsp_splice(int fd_client, int fd_server, u32 flags, u64 *id)
{
	return tsp_splice_net(fd_client, fd_server, flags, NULL, id);
}

void tsp_activate(struct tsp_session *s, int x, struct sk_buff_head *out);
void tsp_handoff_poll(struct tsp_session *s);

/* pmtu.c */
void tsp_pmtu_icmp(struct tsp_net *tn, struct sk_buff *skb);
void tsp_pmtu_route(struct tsp_session *s, int x, struct dst_entry *dst);

/* netlink.c */
int tsp_netlink_init(void);
void tsp_netlink_exit(void);
void tsp_nl_event(struct tsp_session *s, u8 cmd);
void tsp_nl_event_locked(struct tsp_session *s, u8 cmd);

/* hooks.c: transmit what the packet path or the handoff produced */
void tsp_xmit_queue(struct tsp_session *s, int out_side,
		    struct sk_buff_head *q);

/*
 * The hold queue of a direction: a bare list (the session's lock guards
 * it, an sk_buff_head would carry a lock and a length of its own), with
 * its truesize in @held_bytes.  Caller holds s->lock.
 */
static inline void tsp_held_add(struct tsp_dir *d, struct sk_buff *skb)
{
	d->held_bytes += skb->truesize;
	list_add_tail(&skb->list, &d->held);
}

static inline void tsp_held_del(struct tsp_dir *d, struct sk_buff *skb)
{
	d->held_bytes -= skb->truesize;
	skb_list_del_init(skb);
}

static inline struct sk_buff *tsp_held_pop(struct tsp_dir *d)
{
	struct sk_buff *skb = list_first_entry_or_null(&d->held,
						       struct sk_buff, list);

	if (skb)
		tsp_held_del(d, skb);
	return skb;
}

static inline void tsp_held_purge(struct tsp_dir *d)
{
	struct sk_buff *skb;

	while ((skb = tsp_held_pop(d)))
		kfree_skb(skb);
}

/* May dir[x] start flowing?  Caller holds s->lock. */
static inline bool tsp_can_activate(const struct tsp_session *s, int x)
{
	const struct tsp_dir *d = &s->dir[x];

	return d->phase == TSP_HOLD && !d->pre_fin && d->fin_known &&
	       s->dir[!x].phase != TSP_CUTTING && !before(d->sink_una, d->fin);
}

/* Is some direction still waiting for its splice point? */
static inline bool tsp_handoff_pending(const struct tsp_session *s)
{
	int x;

	for (x = 0; x < 2; x++) {
		const struct tsp_dir *d = &s->dir[x];

		if (READ_ONCE(d->phase) == TSP_ACTIVE)
			continue;
		if (!d->pre_fin || !READ_ONCE(d->fin_known))
			return true;
	}
	return false;
}

static inline bool tsp_dead(const struct tsp_session *s)
{
	return test_bit(TSP_F_DEAD, &s->flags);
}

#endif /* _TSP_SESSION_H */
