// SPDX-License-Identifier: GPL-2.0
/*
 * /proc/sys/net/tcp_splice/: the ancestor's knobs, per namespace.
 * Every value is range-checked by proc_dointvec_minmax: garbage, negative
 * or out-of-range writes fail with EINVAL and leave the value unchanged.
 */
#include <linux/slab.h>
#include <linux/sysctl.h>

#include "compat.h"
#include "netns.h"

static int tsp_one = 1;
static int tsp_zero;
static int tsp_max_timeout = 30 * 24 * 3600;	/* 30 days */
static int tsp_max_debug = 3;
static int tsp_max_int = INT_MAX;
static int tsp_min_hold = 64 * 1024;
static int tsp_max_hold = 256 * 1024 * 1024;

struct tsp_sysctl_def {
	const char *name;
	int def;
	int *min;
	int *max;
};

static const struct tsp_sysctl_def tsp_sysctl_defs[__TSP_SYS_MAX] = {
	[TSP_SYS_TO_ESTABLISHED] = { "timeout_established", 900,
				     &tsp_one, &tsp_max_timeout },
	[TSP_SYS_TO_SYNSENT]	= { "timeout_synsent", 120,
				    &tsp_one, &tsp_max_timeout },
	[TSP_SYS_TO_SYNRECV]	= { "timeout_synrecv", 60,
				    &tsp_one, &tsp_max_timeout },
	[TSP_SYS_TO_FINWAIT]	= { "timeout_finwait", 120,
				    &tsp_one, &tsp_max_timeout },
	[TSP_SYS_TO_TIMEWAIT]	= { "timeout_timewait", 120,
				    &tsp_one, &tsp_max_timeout },
	[TSP_SYS_TO_CLOSE]	= { "timeout_close", 10,
				    &tsp_one, &tsp_max_timeout },
	[TSP_SYS_TO_CLOSEWAIT]	= { "timeout_closewait", 60,
				    &tsp_one, &tsp_max_timeout },
	[TSP_SYS_TO_LASTACK]	= { "timeout_lastack", 30,
				    &tsp_one, &tsp_max_timeout },
	[TSP_SYS_TO_LISTEN]	= { "timeout_listen", 120,
				    &tsp_one, &tsp_max_timeout },
	[TSP_SYS_TO_SYNACK]	= { "timeout_synack", 120,
				    &tsp_one, &tsp_max_timeout },
	[TSP_SYS_DEBUG_LEVEL]	= { "debug_level", 0,
				    &tsp_zero, &tsp_max_debug },
	/* 0 = unlimited */
	[TSP_SYS_MAX_SESSIONS]	= { "max_sessions", 0,
				    &tsp_zero, &tsp_max_int },
	/* per direction, while a handoff waits for the proxy */
	[TSP_SYS_HOLD_BYTES]	= { "hold_bytes", 8 * 1024 * 1024,
				    &tsp_min_hold, &tsp_max_hold },
	/* 1: a timeout before both peers finished resets them */
	[TSP_SYS_RESET_ON_TIMEOUT] = { "reset_on_timeout", 1,
				       &tsp_zero, &tsp_one },
};

void tsp_sysctl_defaults(struct tsp_net *tn)
{
	int i;

	for (i = 0; i < __TSP_SYS_MAX; i++)
		tn->sysctl[i] = tsp_sysctl_defs[i].def;
}

int tsp_sysctl_register(struct tsp_net *tn)
{
	struct ctl_table *t;
	int i;

	/* One extra, zeroed entry: the sentinel older kernels need. */
	t = kcalloc(__TSP_SYS_MAX + 1, sizeof(*t), GFP_KERNEL);
	if (!t)
		return -ENOMEM;
	for (i = 0; i < __TSP_SYS_MAX; i++) {
		t[i].procname = tsp_sysctl_defs[i].name;
		t[i].data = &tn->sysctl[i];
		t[i].maxlen = sizeof(int);
		t[i].mode = 0644;
		t[i].proc_handler = proc_dointvec_minmax;
		t[i].extra1 = tsp_sysctl_defs[i].min;
		t[i].extra2 = tsp_sysctl_defs[i].max;
	}
	tn->sysctl_hdr = tsp_register_net_sysctl(tn->net, "net/tcp_splice", t,
						 __TSP_SYS_MAX);
	if (!tn->sysctl_hdr) {
		kfree(t);
		return -ENOMEM;
	}
	tn->sysctl_table = t;
	return 0;
}

void tsp_sysctl_unregister(struct tsp_net *tn)
{
	unregister_net_sysctl_table(tn->sysctl_hdr);
	kfree(tn->sysctl_table);
}
