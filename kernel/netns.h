/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Per network namespace state: the session table, the sysctls and the
 * counters.  Every namespace sees only its own sessions and values.
 */
#ifndef _TSP_NETNS_H
#define _TSP_NETNS_H

#include <linux/atomic.h>
#include <linux/list.h>
#include <linux/percpu.h>
#include <linux/rhashtable-types.h>
#include <linux/spinlock.h>
#include <linux/xarray.h>
#include <net/net_namespace.h>
#include <net/netns/generic.h>
#include <linux/tcp_splice.h>

/*
 * Indices of the per-namespace sysctls (timeouts in seconds, hold_bytes in
 * bytes, the others counts or flags).
 */
enum tsp_sysctl {
	TSP_SYS_TO_ESTABLISHED,
	TSP_SYS_TO_SYNSENT,
	TSP_SYS_TO_SYNRECV,
	TSP_SYS_TO_FINWAIT,
	TSP_SYS_TO_TIMEWAIT,
	TSP_SYS_TO_CLOSE,
	TSP_SYS_TO_CLOSEWAIT,
	TSP_SYS_TO_LASTACK,
	TSP_SYS_TO_LISTEN,
	TSP_SYS_TO_SYNACK,
	TSP_SYS_DEBUG_LEVEL,
	TSP_SYS_MAX_SESSIONS,
	TSP_SYS_HOLD_BYTES,
	TSP_SYS_RESET_ON_TIMEOUT,
	__TSP_SYS_MAX,
};

/* Counters (enum tcp_splice_stat), per namespace and per CPU; summed
 * when read.
 */
extern const char *const tsp_stat_names[__TCP_SPLICE_STAT_MAX];

struct tsp_stats {
	u64 v[__TCP_SPLICE_STAT_MAX];
};

/**
 * struct tsp_net - tcp_splice state of one network namespace
 * @net:	the namespace (not refcounted: we live and die with it).
 * @table:	session lookup, keyed by the 4-tuple of segments arriving
 *		from a peer (two entries per session).  RCU readers in the
 *		packet path; writers serialise inside rhashtable.
 * @count:	number of sessions in @table; the hooks skip all work at 0.
 * @list:	every session, for /proc and flushes.  Writers hold
 *		@list_lock; readers use RCU.
 * @ids:	the sessions of @list by id, for a netlink GET (a walk of
 *		@list would cost O(sessions) a request).  Changed with
 *		@list, under @list_lock; readers use RCU (xa_load).
 * @sysctl:	values behind /proc/sys/net/tcp_splice/; read locklessly
 *		with READ_ONCE (an int store is atomic).
 * @stats:	per-CPU counters, updated with this_cpu_inc in any context.
 */
struct tsp_net {
	struct net *net;
	struct rhashtable table;
	atomic_t count;
	struct list_head list;
	spinlock_t list_lock;	/* writers of @list and @ids */
	struct xarray ids;
	int sysctl[__TSP_SYS_MAX];
	struct ctl_table *sysctl_table;
	struct ctl_table_header *sysctl_hdr;
	struct tsp_stats __percpu *stats;
	bool hooks_on;
};

extern unsigned int tsp_net_id;

static inline struct tsp_net *tsp_pernet(const struct net *net)
{
	return net_generic(net, tsp_net_id);
}

static inline int tsp_sysctl(const struct tsp_net *tn, enum tsp_sysctl i)
{
	return READ_ONCE(tn->sysctl[i]);
}

static inline void tsp_stat_add(struct tsp_net *tn, enum tcp_splice_stat i, u64 n)
{
	this_cpu_add(tn->stats->v[i], n);
}

static inline void tsp_stat_inc(struct tsp_net *tn, enum tcp_splice_stat i)
{
	this_cpu_inc(tn->stats->v[i]);
}

void tsp_stats_sum(struct tsp_net *tn, struct tsp_stats *out);

#define tsp_dbg(tn, lvl, fmt, ...)					\
	do {								\
		if (unlikely(tsp_sysctl(tn, TSP_SYS_DEBUG_LEVEL) >= (lvl))) \
			net_info_ratelimited("tcp_splice: " fmt, ##__VA_ARGS__); \
	} while (0)

/* sysctl.c */
void tsp_sysctl_defaults(struct tsp_net *tn);
int tsp_sysctl_register(struct tsp_net *tn);
void tsp_sysctl_unregister(struct tsp_net *tn);

/* proc.c */
int tsp_proc_init(struct net *net);
void tsp_proc_exit(struct net *net);

/* hooks.c */
int tsp_hooks_register(struct net *net);
void tsp_hooks_unregister(struct net *net);

/* device.c */
int tsp_device_init(void);
void tsp_device_exit(void);

#endif /* _TSP_NETNS_H */
