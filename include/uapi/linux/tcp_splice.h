/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * tcp_splice: user/kernel ABI.
 *
 * A proxy holding two established TCP sockets (one accepted from the
 * client, one connected to the server) asks the kernel to splice them:
 * from then on the module forwards every segment of one connection onto
 * the other, rewriting addresses, ports, sequence/acknowledgment numbers,
 * TCP options and checksums.
 *
 * Control entry points:
 *   - the misc device /dev/tcp_splice, ioctl TCP_SPLICE_IOC_SPLICE;
 *   - the generic netlink family TCP_SPLICE_GENL_NAME (control plane).
 *
 * The ABI is versioned: every request carries its own size (extensible
 * structs, like perf_event_open/clone3) and TCP_SPLICE_ABI_VERSION.
 */
#ifndef _UAPI_LINUX_TCP_SPLICE_H
#define _UAPI_LINUX_TCP_SPLICE_H

#include <linux/types.h>
#include <linux/ioctl.h>

#define TCP_SPLICE_ABI_VERSION	1
#define TCP_SPLICE_DEVICE	"/dev/tcp_splice"

/*
 * Flags of struct tcp_splice_req.
 *
 * TCP_SPLICE_F_DRAINED: the caller has no bytes of its own left to write
 * to either socket.  Activation is immediate: bytes still unread in a
 * socket's receive queue are moved to the other socket by the kernel,
 * and both sockets are shut down for writing (writes fail with EPIPE).
 *
 * Without it (a "legacy" caller, as HAProxy 1.3 called L7SW): each
 * direction is cut at the source socket's rcv_nxt; the source socket
 * then reports EOF once the caller has read everything before the cut;
 * the caller writes out what it still buffers and propagates the EOF
 * with shutdown(SHUT_WR) (or close()) on the other socket.  That FIN's
 * sequence number is the exact splice point; the module absorbs it.
 */
#define TCP_SPLICE_F_DRAINED	(1U << 0)
#define TCP_SPLICE_F_ALL	(TCP_SPLICE_F_DRAINED)

/**
 * struct tcp_splice_req - argument of TCP_SPLICE_IOC_SPLICE
 * @size:	sizeof(struct tcp_splice_req) as known to the caller.
 *		Smaller than TCP_SPLICE_REQ_SIZE_VER1 -> EINVAL; larger than
 *		the kernel's struct with non-zero tail bytes -> E2BIG.
 * @version:	TCP_SPLICE_ABI_VERSION.
 * @fd_client:	socket accepted from the client (connection A).
 * @fd_server:	socket connected to the server (connection B).
 * @flags:	TCP_SPLICE_F_*.
 * @reserved:	must be zero.
 * @session_id:	out: id of the new session (as in netlink GET and events).
 */
struct tcp_splice_req {
	__u32 size;
	__u32 version;
	__s32 fd_client;
	__s32 fd_server;
	__u32 flags;
	__u32 reserved;
	__u64 session_id;
};

#define TCP_SPLICE_REQ_SIZE_VER1	32

#define TCP_SPLICE_IOC_MAGIC	0xB7
#define TCP_SPLICE_IOC_SPLICE	_IOWR(TCP_SPLICE_IOC_MAGIC, 1, struct tcp_splice_req)

/*
 * Errors of TCP_SPLICE_IOC_SPLICE (and of the netlink SPLICE command):
 *   EBADF            a descriptor is not open
 *   ENOTSOCK         a descriptor is not a socket
 *   EAFNOSUPPORT     a socket is neither IPv4 nor IPv6, or one connection
 *                    is IPv4 (v4-mapped included) and the other IPv6
 *   EPROTONOSUPPORT  a socket is not TCP (UDP, raw, MPTCP, kTLS/ULP ...)
 *   EOPNOTSUPP       a socket is listening
 *   ENOTCONN         a socket is not connected (connecting, closed, shut
 *                    down by the proxy), or both peers already sent FIN.
 *                    A socket whose peer alone has half-closed
 *                    (CLOSE_WAIT: a client that sent its request and
 *                    shut down its side) is accepted.
 *   ELOOP            both descriptors refer to the same socket
 *   EXDEV            the sockets live in different network namespaces
 *   EBUSY            a socket is already spliced, or in TCP repair mode
 *   ENOSPC           the namespace's max_sessions limit is reached
 *   ENODEV           the module is being unloaded
 *   ENOPROTOOPT      a socket signs its segments (TCP-MD5, TCP-AO), or
 *                    the two use different TS granularity (tcp_usec_ts)
 *   EINVAL           bad size/version/flags/reserved field
 *   E2BIG            request larger than known with non-zero tail
 *   EFAULT           bad pointer
 *   ENOMEM           out of memory
 *   EPIPE, ECONNRESET, EINTR
 *                    drained callers only: moving the bytes the proxy left
 *                    unread failed (a peer went away, or a signal came);
 *                    the session is ended and both connections closed.
 * The session id is reported back (ioctl: @session_id) and appears in
 * netlink GET/DUMP and events.
 */

/* Session states, as listed in /proc/net/tcp_splice_conn (ancestor's names). */
enum tcp_splice_state {
	TCP_SPLICE_S_NONE = 0,
	TCP_SPLICE_S_ESTABLISHED,
	TCP_SPLICE_S_SYN_SENT,
	TCP_SPLICE_S_SYN_RECV,
	TCP_SPLICE_S_FIN_WAIT,
	TCP_SPLICE_S_TIME_WAIT,
	TCP_SPLICE_S_CLOSE,
	TCP_SPLICE_S_CLOSE_WAIT,
	TCP_SPLICE_S_LAST_ACK,
	TCP_SPLICE_S_LISTEN,
	TCP_SPLICE_S_SYNACK,
	TCP_SPLICE_S_MAX,
};

/*
 * Generic netlink family TCP_SPLICE_GENL_NAME, per network namespace.
 *
 * Commands (request attributes -> reply):
 *   SPLICE  FD_CLIENT, FD_SERVER, [FLAGS] -> SESSION_ID.  Same checks and
 *           errnos as the ioctl; descriptors are resolved in the sender's
 *           own descriptor table.  No capability needed.
 *   GET     SESSION_ID -> one session (attributes below).
 *           With NLM_F_DUMP: every session, optionally filtered by
 *           FILTER_ADDR (any of the four addresses), FILTER_PORT (any of
 *           the four ports), FILTER_STATE.
 *   FLUSH   [SESSION_ID | filters] -> ends sessions (peers reset);
 *           needs CAP_NET_ADMIN in the namespace's user namespace.
 *   STATS   -> STATS nest of u64 counters (TCP_SPLICE_STAT_*), SESSIONS_ACTIVE.
 * Session replies also carry FLAGS (TCP_SPLICE_F_DRAINED or 0).  The
 * per-session packet/byte counters count what the module forwarded: bytes
 * the sockets held at the splice (relayed by the proxy, or moved by the
 * kernel for drained callers) are not in them.
 * Visibility: a sender with CAP_NET_ADMIN sees every session of its
 * namespace; any other sender sees the sessions it created (same uid).
 *
 * Multicast group TCP_SPLICE_GENL_MCGRP ("events", subscribing needs
 * CAP_NET_ADMIN in the namespace's user namespace): EVENT_START,
 * EVENT_HANDOFF (both directions flowing), EVENT_END (with counters,
 * DURATION_MS and END_REASON; sent once, when both directions finished and
 * were acknowledged or a RST passed, else when the session is torn down),
 * each carrying the session attributes.  BYTES_C2S/S2C of a session count
 * how far each stream advanced through the module (new payload; a
 * retransmission or a segment reordered in front of the module is not
 * counted twice).
 */
#define TCP_SPLICE_GENL_NAME	"tcp_splice"
#define TCP_SPLICE_GENL_VERSION	1
#define TCP_SPLICE_GENL_MCGRP	"events"

enum tcp_splice_cmd {
	TCP_SPLICE_CMD_UNSPEC,
	TCP_SPLICE_CMD_SPLICE,
	TCP_SPLICE_CMD_GET,
	TCP_SPLICE_CMD_FLUSH,
	TCP_SPLICE_CMD_STATS,
	TCP_SPLICE_CMD_EVENT_START,
	TCP_SPLICE_CMD_EVENT_HANDOFF,
	TCP_SPLICE_CMD_EVENT_END,
	__TCP_SPLICE_CMD_MAX,
};

#define TCP_SPLICE_CMD_MAX (__TCP_SPLICE_CMD_MAX - 1)

enum tcp_splice_attr {
	TCP_SPLICE_A_UNSPEC,
	TCP_SPLICE_A_PAD,
	TCP_SPLICE_A_FD_CLIENT,		/* s32 */
	TCP_SPLICE_A_FD_SERVER,		/* s32 */
	TCP_SPLICE_A_FLAGS,		/* u32, TCP_SPLICE_F_* */
	TCP_SPLICE_A_SESSION_ID,	/* u64 */
	TCP_SPLICE_A_CLIENT_ADDR,	/* be32: client (peer of connection A) */
	TCP_SPLICE_A_CLIENT_PORT,	/* u16, host order */
	TCP_SPLICE_A_PROXY_ADDR_A,	/* be32: proxy's address on A */
	TCP_SPLICE_A_PROXY_PORT_A,	/* u16 */
	TCP_SPLICE_A_PROXY_ADDR_B,	/* be32: proxy's address on B */
	TCP_SPLICE_A_PROXY_PORT_B,	/* u16 */
	TCP_SPLICE_A_SERVER_ADDR,	/* be32: server (peer of connection B) */
	TCP_SPLICE_A_SERVER_PORT,	/* u16 */
	TCP_SPLICE_A_STATE,		/* u8, enum tcp_splice_state */
	TCP_SPLICE_A_EXPIRES,		/* u32, seconds */
	TCP_SPLICE_A_PKTS_C2S,		/* u64 */
	TCP_SPLICE_A_BYTES_C2S,		/* u64 */
	TCP_SPLICE_A_PKTS_S2C,		/* u64 */
	TCP_SPLICE_A_BYTES_S2C,		/* u64 */
	TCP_SPLICE_A_DURATION_MS,	/* u64 */
	TCP_SPLICE_A_END_REASON,	/* u8, enum tcp_splice_end */
	TCP_SPLICE_A_UID,		/* u32: creator */
	TCP_SPLICE_A_FILTER_ADDR,	/* be32 */
	TCP_SPLICE_A_FILTER_PORT,	/* u16 */
	TCP_SPLICE_A_FILTER_STATE,	/* u8 */
	TCP_SPLICE_A_STATS,		/* nest of u64, type = TCP_SPLICE_STAT_* + 1 */
	TCP_SPLICE_A_SESSIONS_ACTIVE,	/* u32 */
	/* IPv6 sessions carry these instead of the four be32 addresses */
	TCP_SPLICE_A_CLIENT_ADDR6,	/* struct in6_addr */
	TCP_SPLICE_A_PROXY_ADDR6_A,	/* struct in6_addr */
	TCP_SPLICE_A_PROXY_ADDR6_B,	/* struct in6_addr */
	TCP_SPLICE_A_SERVER_ADDR6,	/* struct in6_addr */
	TCP_SPLICE_A_FILTER_ADDR6,	/* struct in6_addr */
	__TCP_SPLICE_A_MAX,
};

#define TCP_SPLICE_A_MAX (__TCP_SPLICE_A_MAX - 1)

enum tcp_splice_end {
	TCP_SPLICE_END_NONE,
	TCP_SPLICE_END_FIN,
	TCP_SPLICE_END_RST,
	TCP_SPLICE_END_TIMEOUT,
	TCP_SPLICE_END_FLUSH,
	TCP_SPLICE_END_UNLOAD,
};

/* Counters of TCP_SPLICE_A_STATS and /proc/net/stat/tcp_splice; only
 * ever appended.
 */
enum tcp_splice_stat {
	TCP_SPLICE_STAT_SESSIONS_CREATED,
	TCP_SPLICE_STAT_SESSIONS_ENDED_FIN,
	TCP_SPLICE_STAT_SESSIONS_ENDED_RST,
	TCP_SPLICE_STAT_SESSIONS_ENDED_TIMEOUT,
	TCP_SPLICE_STAT_SESSIONS_ENDED_FLUSH,
	TCP_SPLICE_STAT_SPLICE_REFUSED,
	TCP_SPLICE_STAT_PKTS_C2S,
	TCP_SPLICE_STAT_BYTES_C2S,
	TCP_SPLICE_STAT_PKTS_S2C,
	TCP_SPLICE_STAT_BYTES_S2C,
	TCP_SPLICE_STAT_HELD,
	TCP_SPLICE_STAT_FED,
	TCP_SPLICE_STAT_SILENCED,
	TCP_SPLICE_STAT_FIN_ABSORBED,
	TCP_SPLICE_STAT_DROP_HOLD_FULL,
	TCP_SPLICE_STAT_DROP_BAD_CSUM,
	TCP_SPLICE_STAT_DROP_MALFORMED,
	TCP_SPLICE_STAT_DROP_NO_ROUTE,
	TCP_SPLICE_STAT_DROP_SYN,
	TCP_SPLICE_STAT_DROP_OUT_OF_WINDOW,
	TCP_SPLICE_STAT_DROP_FRAGMENT,
	TCP_SPLICE_STAT_DROP_CLOSED,
	TCP_SPLICE_STAT_DROP_NOMEM,
	TCP_SPLICE_STAT_OFO_PURGED,
	TCP_SPLICE_STAT_SYN_RECYCLED,
	TCP_SPLICE_STAT_OFO_MOVED,
	TCP_SPLICE_STAT_PMTU_LOWERED,
	TCP_SPLICE_STAT_REFUSED_TABLE_FULL,
	__TCP_SPLICE_STAT_MAX,
};

/* Their /proc names, the one list of them (kernel and library use it). */
#define TCP_SPLICE_STAT_NAMES { \
	[TCP_SPLICE_STAT_SESSIONS_CREATED]       = "sessions_created", \
	[TCP_SPLICE_STAT_SESSIONS_ENDED_FIN]     = "sessions_ended_fin", \
	[TCP_SPLICE_STAT_SESSIONS_ENDED_RST]     = "sessions_ended_rst", \
	[TCP_SPLICE_STAT_SESSIONS_ENDED_TIMEOUT] = "sessions_ended_timeout", \
	[TCP_SPLICE_STAT_SESSIONS_ENDED_FLUSH]   = "sessions_ended_flush", \
	[TCP_SPLICE_STAT_SPLICE_REFUSED]         = "splice_refused", \
	[TCP_SPLICE_STAT_PKTS_C2S]               = "pkts_c2s", \
	[TCP_SPLICE_STAT_BYTES_C2S]              = "bytes_c2s", \
	[TCP_SPLICE_STAT_PKTS_S2C]               = "pkts_s2c", \
	[TCP_SPLICE_STAT_BYTES_S2C]              = "bytes_s2c", \
	[TCP_SPLICE_STAT_HELD]                   = "held", \
	[TCP_SPLICE_STAT_FED]                    = "fed", \
	[TCP_SPLICE_STAT_SILENCED]               = "silenced", \
	[TCP_SPLICE_STAT_FIN_ABSORBED]           = "fin_absorbed", \
	[TCP_SPLICE_STAT_DROP_HOLD_FULL]         = "drop_hold_full", \
	[TCP_SPLICE_STAT_DROP_BAD_CSUM]          = "drop_bad_csum", \
	[TCP_SPLICE_STAT_DROP_MALFORMED]         = "drop_malformed", \
	[TCP_SPLICE_STAT_DROP_NO_ROUTE]          = "drop_no_route", \
	[TCP_SPLICE_STAT_DROP_SYN]               = "drop_syn", \
	[TCP_SPLICE_STAT_DROP_OUT_OF_WINDOW]     = "drop_out_of_window", \
	[TCP_SPLICE_STAT_DROP_FRAGMENT]          = "drop_fragment", \
	[TCP_SPLICE_STAT_DROP_CLOSED]            = "drop_closed", \
	[TCP_SPLICE_STAT_DROP_NOMEM]             = "drop_nomem", \
	[TCP_SPLICE_STAT_OFO_PURGED]             = "ofo_purged", \
	[TCP_SPLICE_STAT_SYN_RECYCLED]           = "syn_recycled", \
	[TCP_SPLICE_STAT_OFO_MOVED]              = "ofo_moved", \
	[TCP_SPLICE_STAT_PMTU_LOWERED]           = "pmtu_lowered", \
	[TCP_SPLICE_STAT_REFUSED_TABLE_FULL]     = "refused_table_full", \
}

#endif /* _UAPI_LINUX_TCP_SPLICE_H */
