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

#endif /* _TSP_CONN_FMT_H */
