// SPDX-License-Identifier: GPL-2.0
/* Counter names and summing of the per-CPU counters. */
#include <linux/cpumask.h>
#include <linux/string.h>

#include "netns.h"

const char *const tsp_stat_names[__TCP_SPLICE_STAT_MAX] = TCP_SPLICE_STAT_NAMES;

void tsp_stats_sum(struct tsp_net *tn, struct tsp_stats *out)
{
	int cpu, i;

	memset(out, 0, sizeof(*out));
	for_each_possible_cpu(cpu) {
		const struct tsp_stats *st = per_cpu_ptr(tn->stats, cpu);

		for (i = 0; i < __TCP_SPLICE_STAT_MAX; i++)
			out->v[i] += READ_ONCE(st->v[i]);
	}
}
