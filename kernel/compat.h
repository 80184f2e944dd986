/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Differences between the kernels we build for (Debian's 6.1 and 6.12),
 * kept in one place so that the rest of the module reads like current
 * code.  The TSP_HAVE_* macros come from feature tests on the kernel's
 * headers in kernel/Kbuild, not from version numbers (backports).
 */
#ifndef _TSP_COMPAT_H
#define _TSP_COMPAT_H

#include <linux/tcp.h>
#include <net/genetlink.h>
#include <net/net_namespace.h>
#include <net/tcp.h>
#ifdef TSP_HAVE_LINUX_UNALIGNED
#include <linux/unaligned.h>
#else
#include <asm/unaligned.h>
#endif

/* The TSval clock a TCP socket stamps its segments with. */
static inline u32 tsp_sock_ts_now(const struct sock *sk)
{
	const struct tcp_sock *tp = tcp_sk(sk);

#ifdef TSP_HAVE_TCP_CLOCK_TS
	return tcp_clock_ts(tp->tcp_usec_ts) + tp->tsoffset;
#else
	return tcp_time_stamp_raw() + tp->tsoffset;
#endif
}

static inline bool tsp_sock_usec_ts(const struct sock *sk)
{
#ifdef TSP_HAVE_TCP_CLOCK_TS
	return tcp_sk(sk)->tcp_usec_ts;
#else
	return false;
#endif
}

/*
 * Newer kernels register sysctl tables with their size; older ones need
 * the empty sentinel entry at the end (which we always allocate).
 */
static inline struct ctl_table_header *
tsp_register_net_sysctl(struct net *net, const char *path,
			struct ctl_table *table, size_t n_entries)
{
#ifdef TSP_HAVE_SYSCTL_SZ
	return register_net_sysctl_sz(net, path, table, n_entries);
#else
	return register_net_sysctl(net, path, table);
#endif
}

/* Request attributes of a netlink dump. */
#ifdef TSP_HAVE_DUMPIT_INFO_INFO
#define tsp_dumpit_attrs(ginfo)	((ginfo)->info.attrs)
#else
#define tsp_dumpit_attrs(ginfo)	((ginfo)->attrs)
#endif

#endif /* _TSP_COMPAT_H */
