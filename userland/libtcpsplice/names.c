// SPDX-License-Identifier: LGPL-2.1-or-later
/* Names of states, end reasons, events and counters; error texts. */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <linux/tcp_splice.h>

#include "tcpsplice.h"

/* The library's enums are the ABI's, value for value. */
_Static_assert((int)TCPSPLICE_STATE_MAX == (int)TCP_SPLICE_S_MAX, "states");
_Static_assert((int)TCPSPLICE_STATE_SYNACK == (int)TCP_SPLICE_S_SYNACK, "states");
_Static_assert((int)TCPSPLICE_STATE_CLOSE_WAIT == (int)TCP_SPLICE_S_CLOSE_WAIT, "states");
_Static_assert((int)TCPSPLICE_END_UNLOAD == (int)TCP_SPLICE_END_UNLOAD, "end reasons");
_Static_assert((int)TCPSPLICE_END_FLUSH == (int)TCP_SPLICE_END_FLUSH, "end reasons");
_Static_assert((int)TCPSPLICE_STAT_KNOWN == (int)__TCP_SPLICE_STAT_MAX, "counters");
_Static_assert((int)TCPSPLICE_STAT_OFO_MOVED == (int)TCP_SPLICE_STAT_OFO_MOVED, "counters");
_Static_assert((int)TCPSPLICE_STAT_DROP_NO_ROUTE == (int)TCP_SPLICE_STAT_DROP_NO_ROUTE,
	       "counters");
_Static_assert(TCPSPLICE_STAT_KNOWN <= TCPSPLICE_STATS_MAX, "counters");
_Static_assert((int)TCPSPLICE_SPLICE_DRAINED == (int)TCP_SPLICE_F_DRAINED, "flags");

static const char *const state_names[TCPSPLICE_STATE_MAX] = {
	[TCPSPLICE_STATE_NONE] = "NONE",
	[TCPSPLICE_STATE_ESTABLISHED] = "ESTABLISHED",
	[TCPSPLICE_STATE_SYN_SENT] = "SYN_SENT",
	[TCPSPLICE_STATE_SYN_RECV] = "SYN_RECV",
	[TCPSPLICE_STATE_FIN_WAIT] = "FIN_WAIT",
	[TCPSPLICE_STATE_TIME_WAIT] = "TIME_WAIT",
	[TCPSPLICE_STATE_CLOSE] = "CLOSE",
	[TCPSPLICE_STATE_CLOSE_WAIT] = "CLOSE_WAIT",
	[TCPSPLICE_STATE_LAST_ACK] = "LAST_ACK",
	[TCPSPLICE_STATE_LISTEN] = "LISTEN",
	[TCPSPLICE_STATE_SYNACK] = "SYNACK",
};

static const char *const end_names[TCPSPLICE_END_MAX] = {
	[TCPSPLICE_END_NONE] = "none",
	[TCPSPLICE_END_FIN] = "fin",
	[TCPSPLICE_END_RST] = "rst",
	[TCPSPLICE_END_TIMEOUT] = "timeout",
	[TCPSPLICE_END_FLUSH] = "flush",
	[TCPSPLICE_END_UNLOAD] = "unload",
};

/* The /proc/net/stat/tcp_splice names, from the ABI's one list. */
static const char *const stat_names[TCPSPLICE_STAT_KNOWN] = TCP_SPLICE_STAT_NAMES;

const char *tcpsplice_state_name(unsigned int state)
{
	return state < TCPSPLICE_STATE_MAX ? state_names[state] : NULL;
}

int tcpsplice_state_from_name(const char *name)
{
	int i;

	if (!name)
		return -1;
	for (i = 0; i < TCPSPLICE_STATE_MAX; i++)
		if (!strcasecmp(name, state_names[i]))
			return i;
	return -1;
}

const char *tcpsplice_end_reason_name(unsigned int reason)
{
	return reason < TCPSPLICE_END_MAX ? end_names[reason] : NULL;
}

const char *tcpsplice_event_name(unsigned int type)
{
	switch (type) {
	case TCPSPLICE_EVENT_START:
		return "start";
	case TCPSPLICE_EVENT_HANDOFF:
		return "handoff";
	case TCPSPLICE_EVENT_END:
		return "end";
	default:
		return NULL;
	}
}

const char *tcpsplice_stat_name(unsigned int i)
{
	return i < TCPSPLICE_STAT_KNOWN ? stat_names[i] : NULL;
}

const char *tcpsplice_strerror(int err)
{
	const char *s;

	if (err < 0)
		err = -err;
	s = strerrordesc_np(err);	/* thread-safe, unlike strerror */
	return s ? s : "Unknown error";
}
