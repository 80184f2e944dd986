// SPDX-License-Identifier: GPL-2.0
/*
 * One line of /proc/net/tcp_splice_conn, e.g.
 * 0A000301 4EBB 0A000302 1F40 0A000302 817B 0A000301 0050 CLOSE 7
 */
#ifdef __KERNEL__
#include <linux/kernel.h>
#else
#include <stdio.h>
#endif

#include "conn_fmt.h"

int tsp_fmt_conn6(char *buf, size_t len, const struct tsp_conn6_view *v)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t o = 0;
	int i, j, n;

	for (i = 0; i < 4; i++) {
		char a[33];

		for (j = 0; j < 16; j++) {
			a[2 * j] = hex[v->ip[i][j] >> 4];
			a[2 * j + 1] = hex[v->ip[i][j] & 15];
		}
		a[32] = 0;
		n = snprintf(buf + o, o < len ? len - o : 0, "%s %04X ", a,
			     v->port[i]);
		o += n;
	}
	n = snprintf(buf + o, o < len ? len - o : 0, "%s %ld\n", v->state,
		     v->expires < 0 ? 0L : v->expires);
	return (int)(o + n);
}

int tsp_fmt_conn(char *buf, size_t len, const struct tsp_conn_view *v)
{
	return snprintf(buf, len,
			"%08X %04X %08X %04X %08X %04X %08X %04X %s %ld\n",
			v->from_ip, v->from_port, v->to_ip, v->to_port,
			v->local_ip, v->local_port, v->dest_ip, v->dest_port,
			v->state, v->expires < 0 ? 0L : v->expires);
}
