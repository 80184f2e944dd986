/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernels we build for (Debian's 6.1 and 6.12),
 * kept in one place so that the rest of the module reads like current code.
 */
#ifndef _TSP_COMPAT_H
#define _TSP_COMPAT_H

#include <linux/version.h>
#include <linux/tcp.h>
#include <net/tcp.h>
#include <net/net_namespace.h>
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
#include <linux/unaligned.h>
#else
#include <asm/unaligned.h>
#endif

/* The TSval clock a TCP socket stamps its segments with. */
static inline u32 tsp_sock_ts_now(const struct sock *sk)
{
	const struct tcp_sock *tp = tcp_sk(sk);

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0)
	return tcp_clock_ts(tp->tcp_usec_ts) + tp->tsoffset;
#else
	return tcp_time_stamp_raw() + tp->tsoffset;
#endif
}

static inline bool tsp_sock_usec_ts(const struct sock *sk)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 7, 0)
	return tcp_sk(sk)->tcp_usec_ts;
#else
	return false;
#endif
}

/*
 * Since 6.6 sysctl tables are registered with their size; 6.1 needs the
 * empty sentinel entry at the end (which we always allocate).
 */
static inline struct ctl_table_header *
tsp_register_net_sysctl(struct net *net, const char *path,
			struct ctl_table *table, size_t n_entries)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 6, 0)
	return register_net_sysctl_sz(net, path, table, n_entries);
#else
	return register_net_sysctl(net, path, table);
#endif
}

/* Request attributes of a netlink dump. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
#define tsp_dumpit_attrs(ginfo)	((ginfo)->info.attrs)
#else
#define tsp_dumpit_attrs(ginfo)	((ginfo)->attrs)
#endif

#endif /* _TSP_COMPAT_H */
