/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Packet translation: parse a TCP segment over IPv4 or IPv6 and rewrite its header
 * (addresses, ports, sequence/ack numbers, window, timestamps, SACK) with
 * checksums updated incrementally for every ip_summed state.  Knows
 * nothing about sessions: the caller computes the new values.
 */
#ifndef _TSP_XLATE_H
#define _TSP_XLATE_H

#include <linux/in6.h>
#include <linux/skbuff.h>
#include <linux/types.h>

/* A parsed segment.  Offsets are from the start of the TCP header. */
struct tsp_pkt {
	bool v6;		/* IPv6 (fixed header, no extension headers) */
	unsigned int nhlen;	/* IP header length, bytes */
	unsigned int thlen;	/* TCP header length incl. options */
	unsigned int paylen;	/* TCP payload length */
	u32 seq;
	u32 end_seq;		/* seq + payload + SYN + FIN */
	u32 ack;
	u8 flags;		/* TCPHDR_* flag byte */
	u16 win;		/* window field, unscaled */
	u8 ts_off;		/* TS option offset, 0 if absent */
	u8 sack_off;		/* SACK option offset, 0 if absent */
	u8 sack_len;		/* SACK option length */
	u32 tsval;
	u32 tsecr;
};

/* New header values for a forwarded segment (IPv4: v4-mapped). */
struct tsp_rw {
	struct in6_addr saddr;
	struct in6_addr daddr;
	__be16 sport;
	__be16 dport;
	u32 seq;
	u32 ack;
	u8 ws_in;		/* shift to apply to the window field ... */
	u8 ws_out;		/* ... and the receiver's shift */
	bool ts_keep;		/* else the TS option becomes NOPs */
	bool ts_add;		/* insert a TS option if there is none */
	u32 tsval;
	u32 tsecr;
	bool sack_keep;		/* else the SACK option becomes NOPs */
	u32 sack_delta;		/* subtracted from SACK edges */
	u32 sack_floor;		/* blocks ending at or below it are removed */
	u16 seg_out;		/* max payload + options towards the receiver */
};

int tsp_parse(struct sk_buff *skb, struct tsp_pkt *p);
int tsp_rewrite(struct sk_buff *skb, const struct tsp_pkt *p,
		const struct tsp_rw *rw);
int tsp_make_feed(struct sk_buff *skb, const struct tsp_pkt *p, u32 seq,
		  u32 ack, bool trim, bool strip_sack);
int tsp_clear_fin(struct sk_buff *skb, const struct tsp_pkt *p);
int tsp_set_seq(struct sk_buff *skb, const struct tsp_pkt *p, u32 seq);
int tsp_set_ack(struct sk_buff *skb, const struct tsp_pkt *p, u32 ack,
		__be16 win);
int tsp_set_tsval(struct sk_buff *skb, const struct tsp_pkt *p, u32 tsval);

#endif /* _TSP_XLATE_H */
