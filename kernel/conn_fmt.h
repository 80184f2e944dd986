/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Formatting of /proc/net/tcp_splice_conn lines, in the ancestor's
 * format.  Pure code (no kernel state) so that it is unit-tested on the
 * host too (tests/unit/).
 */
#ifndef _TSP_CONN_FMT_H
#define _TSP_CONN_FMT_H

#include <linux/types.h>
#ifndef __KERNEL__
#include <stddef.h>
#endif

#define TSP_CONN_HEADER \
	"FromIP FPrt ToIP TPrt LocalIP LPrt DestIP DPrt State Expires\n"

/* Addresses and ports in host byte order. */
struct tsp_conn_view {
	__u32 from_ip;	/* client */
	__u16 from_port;
	__u32 to_ip;	/* proxy, client side */
	__u16 to_port;
	__u32 local_ip;	/* proxy, server side */
	__u16 local_port;
	__u32 dest_ip;	/* server */
	__u16 dest_port;
	const char *state;
	long expires;	/* seconds, clamped at 0 */
};

int tsp_fmt_conn(char *buf, size_t len, const struct tsp_conn_view *v);

/*
 * /proc/net/tcp_splice_conn6: the same columns for IPv6 sessions, each
 * address as 32 hex digits in network byte order (fd00:1::1 is
 * FD000001000000000000000000000001).
 */
struct tsp_conn6_view {
	const __u8 *ip[4];	/* from, to, local, dest: 16 bytes each */
	__u16 port[4];		/* host byte order */
	const char *state;
	long expires;
};

int tsp_fmt_conn6(char *buf, size_t len, const struct tsp_conn6_view *v);

#endif /* _TSP_CONN_FMT_H */
