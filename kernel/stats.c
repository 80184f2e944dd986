// SPDX-License-Identifier: GPL-2.0
/* Counter names and summing of the per-CPU counters. */
#include <linux/cpumask.h>
#include <linux/string.h>

#include "netns.h"

const char *const tsp_stat_names[__TSP_STAT_MAX] = {
	[TSP_STAT_SESSIONS_CREATED]		= "sessions_created",
	[TSP_STAT_SESSIONS_ENDED_FIN]		= "sessions_ended_fin",
	[TSP_STAT_SESSIONS_ENDED_RST]		= "sessions_ended_rst",
	[TSP_STAT_SESSIONS_ENDED_TIMEOUT]	= "sessions_ended_timeout",
	[TSP_STAT_SESSIONS_ENDED_FLUSH]		= "sessions_ended_flush",
	[TSP_STAT_SPLICE_REFUSED]		= "splice_refused",
	[TSP_STAT_PKTS_C2S]			= "pkts_c2s",
	[TSP_STAT_BYTES_C2S]			= "bytes_c2s",
	[TSP_STAT_PKTS_S2C]			= "pkts_s2c",
	[TSP_STAT_BYTES_S2C]			= "bytes_s2c",
	[TSP_STAT_HELD]				= "held",
	[TSP_STAT_FED]				= "fed",
	[TSP_STAT_SILENCED]			= "silenced",
	[TSP_STAT_FIN_ABSORBED]			= "fin_absorbed",
	[TSP_STAT_DROP_HOLD_FULL]		= "drop_hold_full",
	[TSP_STAT_DROP_CSUM]			= "drop_bad_csum",
	[TSP_STAT_DROP_MALFORMED]		= "drop_malformed",
	[TSP_STAT_DROP_NOROUTE]			= "drop_no_route",
	[TSP_STAT_DROP_SYN]			= "drop_syn",
	[TSP_STAT_DROP_OUT_OF_WINDOW]		= "drop_out_of_window",
	[TSP_STAT_DROP_FRAGMENT]		= "drop_fragment",
	[TSP_STAT_DROP_CLOSED]			= "drop_closed",
	[TSP_STAT_DROP_NOMEM]			= "drop_nomem",
	[TSP_STAT_OFO_PURGED]			= "ofo_purged",
};

void tsp_stats_sum(struct tsp_net *tn, struct tsp_stats *out)
{
	int cpu, i;

	memset(out, 0, sizeof(*out));
	for_each_possible_cpu(cpu) {
		const struct tsp_stats *st = per_cpu_ptr(tn->stats, cpu);

		for (i = 0; i < __TSP_STAT_MAX; i++)
			out->v[i] += READ_ONCE(st->v[i]);
	}
}
