/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * tcpsplice.h - the modern API of libtcpsplice.
 *
 * Splice two established TCP connections of a proxy in the kernel
 * (module tcp_splice), look at the spliced sessions, end them, read the
 * counters and follow the session events.  Built on the generic netlink
 * family "tcp_splice"; splicing falls back to the ioctl of
 * /dev/tcp_splice when the family is absent.
 *
 *   cc prog.c $(pkg-config --cflags --libs tcpsplice)
 *
 * Errors.  Every function that can fail returns a negative errno value
 * (and also sets errno to its absolute value); 0 or a count on success.
 * tcpsplice_strerror() turns the value into text; tcpsplice_last_error() gives the
 * kernel's own message (netlink extended ack) for the last failure of the
 * calling thread on a handle, e.g. "no such session".
 *
 * Common errors:
 *   -ENOENT        module not loaded (tcpsplice_open), no such session (tcpsplice_get,
 *                  tcpsplice_flush by id)
 *   -EPERM         tcpsplice_flush without CAP_NET_ADMIN in the network
 *                  namespace's user namespace
 *   -EOPNOTSUPP    a control-plane call on a handle without netlink (the
 *                  family is absent, or TCPSPLICE_OPEN_IOCTL_ONLY)
 *   -EINVAL        bad argument (NULL handle, unknown flag ...)
 *   -EDEADLK       a function called from one of the handle's own
 *                  callbacks on the same handle
 *   tcpsplice_splice():  the errnos of the splice ioctl, see
 *                  <linux/tcp_splice.h> (EBADF, ENOTSOCK, ENOTCONN,
 *                  EBUSY, ELOOP, EXDEV, ENOPROTOOPT ...)
 *
 * Privileges.  Splicing needs none: owning both descriptors is the proof.
 * tcpsplice_get/tcpsplice_dump show every session of the caller's network namespace
 * to a caller with CAP_NET_ADMIN, and only the sessions created by the
 * caller's uid to anyone else.  tcpsplice_flush needs CAP_NET_ADMIN.
 *
 * Thread safety.  The library keeps no global state (the HAProxy 1.3
 * compatibility API of libtcpsplice.h has its own, see there).  A handle
 * may be shared by threads: requests on one handle are serialised by an
 * internal lock, and the event socket has a lock of its own, so one thread
 * may sit in an event loop on tcpsplice_events_fd()/tcpsplice_events_read() while
 * others splice, dump or flush.  Handles are independent of each other;
 * for parallel requests use one handle per thread.  Callbacks run with the
 * handle's lock held: they must not call functions on the same handle
 * (those fail with -EDEADLK); other handles are fine.  tcpsplice_close() must
 * not race with any other call on the handle.  tcpsplice_last_error() is kept
 * per thread, so concurrent failures on a shared handle do not mix up
 * their messages.
 *
 * Network namespaces.  A handle works in the network namespace its
 * sockets were created in (the caller's at tcpsplice_open time).
 *
 * A handle survives neither fork() (both processes would share the
 * netlink sockets) nor an unload/reload of the module: open a new one.
 */
#ifndef TCPSPLICE_H
#define TCPSPLICE_H

#include <stdint.h>
#include <netinet/in.h>

#ifdef __cplusplus
extern "C" {
#endif

#define TCPSPLICE_API_VERSION		1

/* ---- handles ----------------------------------------------------------- */

/* tcpsplice_open() flags */
#define TCPSPLICE_OPEN_NETLINK_ONLY	0x1	/* need the netlink family: never fall
					 * back to the ioctl (-ENOENT if the
					 * family is absent) */
#define TCPSPLICE_OPEN_IOCTL_ONLY	0x2	/* never use netlink: splice only
					 * (other calls -EOPNOTSUPP) */

struct tcpsplice_handle;

/*
 * tcpsplice_open - open a handle in the caller's network namespace.
 * Resolves the netlink family; without it (and without
 * TCPSPLICE_OPEN_NETLINK_ONLY) opens /dev/tcp_splice instead.  Returns NULL
 * with errno set on failure: ENOENT when the module is not loaded (no
 * family, no device), EACCES when the device may not be opened, EINVAL
 * for unknown or contradictory flags, ENOMEM.
 */
struct tcpsplice_handle *tcpsplice_open(int flags);

/* tcpsplice_close - free the handle and close its sockets (NULL is a no-op). */
void tcpsplice_close(struct tcpsplice_handle *h);

/* 1 when the handle talks netlink, 0 when it only has the ioctl. */
int tcpsplice_has_netlink(const struct tcpsplice_handle *h);

/* ---- splicing ---------------------------------------------------------- */

/* tcpsplice_splice() flags */
#define TCPSPLICE_SPLICE_LEGACY	0x0	/* the caller still has bytes to write
					 * (see <linux/tcp_splice.h>) */
#define TCPSPLICE_SPLICE_DRAINED	0x1	/* TCP_SPLICE_F_DRAINED */

/*
 * tcpsplice_splice - splice the established sockets cli_fd (accepted from the
 * client) and srv_fd (connected to the server).  The descriptors are
 * resolved in the caller's descriptor table.  On success stores the
 * session id in *id (if id is not NULL) and returns 0.
 * Local checks: -EINVAL (NULL handle, unknown flag), -EBADF (negative
 * descriptor); everything else is the kernel's verdict.
 */
int tcpsplice_splice(struct tcpsplice_handle *h, int cli_fd, int srv_fd,
	       unsigned int flags, uint64_t *id);

/* ---- sessions ---------------------------------------------------------- */

/* Session states (the /proc/net/tcp_splice_conn names: tcpsplice_state_name). */
enum tcpsplice_state {
	TCPSPLICE_STATE_NONE = 0,
	TCPSPLICE_STATE_ESTABLISHED,
	TCPSPLICE_STATE_SYN_SENT,
	TCPSPLICE_STATE_SYN_RECV,
	TCPSPLICE_STATE_FIN_WAIT,
	TCPSPLICE_STATE_TIME_WAIT,
	TCPSPLICE_STATE_CLOSE,
	TCPSPLICE_STATE_CLOSE_WAIT,
	TCPSPLICE_STATE_LAST_ACK,
	TCPSPLICE_STATE_LISTEN,
	TCPSPLICE_STATE_SYNACK,
	TCPSPLICE_STATE_MAX,
};

/* Why a session ended (tcpsplice_end_reason_name: "fin", "rst" ...). */
enum tcpsplice_end_reason {
	TCPSPLICE_END_NONE = 0,
	TCPSPLICE_END_FIN,
	TCPSPLICE_END_RST,
	TCPSPLICE_END_TIMEOUT,
	TCPSPLICE_END_FLUSH,
	TCPSPLICE_END_UNLOAD,
	TCPSPLICE_END_MAX,
};

struct tcpsplice_endpoint {
	uint8_t family;			/* AF_INET or AF_INET6 */
	union {				/* network byte order */
		struct in_addr addr;	/* AF_INET */
		struct in6_addr addr6;	/* AF_INET6 */
	};
	uint16_t port;			/* host byte order */
};

/* Bits of tcpsplice_session_info.fields: what the kernel reported. */
#define TCPSPLICE_INFO_ID		(1u << 0)
#define TCPSPLICE_INFO_TUPLE		(1u << 1)	/* all four endpoints */
#define TCPSPLICE_INFO_STATE		(1u << 2)
#define TCPSPLICE_INFO_EXPIRES	(1u << 3)
#define TCPSPLICE_INFO_COUNTERS	(1u << 4)	/* all four counters */
#define TCPSPLICE_INFO_DURATION	(1u << 5)
#define TCPSPLICE_INFO_END_REASON	(1u << 6)
#define TCPSPLICE_INFO_UID		(1u << 7)
#define TCPSPLICE_INFO_FLAGS		(1u << 8)

/*
 * One session.  client -> proxy_a is connection A (accepted by the proxy),
 * proxy_b -> server is connection B.  c2s counts what the module forwarded
 * from the client to the server, s2c the other way.
 */
struct tcpsplice_session_info {
	uint64_t id;
	uint32_t fields;		/* TCPSPLICE_INFO_* */
	uint32_t flags;			/* TCPSPLICE_SPLICE_* of the splice */
	struct tcpsplice_endpoint client;
	struct tcpsplice_endpoint proxy_a;
	struct tcpsplice_endpoint proxy_b;
	struct tcpsplice_endpoint server;
	uint8_t state;			/* enum tcpsplice_state */
	uint8_t end_reason;		/* enum tcpsplice_end_reason */
	uint32_t expires;		/* seconds until the state's timeout */
	uint32_t uid;			/* creator */
	uint64_t pkts_c2s;		/* skbs forwarded, retransmissions too */
	uint64_t bytes_c2s;		/* new payload forwarded (no retransmissions) */
	uint64_t pkts_s2c;
	uint64_t bytes_s2c;
	uint64_t duration_ms;		/* age (events: lifetime) */
};

/*
 * tcpsplice_get - one session by id.  -ENOENT if there is none, or none the
 * caller may see.
 */
int tcpsplice_get(struct tcpsplice_handle *h, uint64_t id, struct tcpsplice_session_info *out);

/* Filters (tcpsplice_dump, tcpsplice_flush): every criterion set in .mask must hold. */
#define TCPSPLICE_FILTER_ADDR		(1u << 0)	/* any of the four addresses */
#define TCPSPLICE_FILTER_PORT		(1u << 1)	/* any of the four ports */
#define TCPSPLICE_FILTER_STATE	(1u << 2)
#define TCPSPLICE_FILTER_ID		(1u << 3)

struct tcpsplice_filter {
	uint32_t mask;			/* TCPSPLICE_FILTER_* */
	uint8_t family;			/* of the address: 0 (= AF_INET), AF_INET6 */
	union {				/* network byte order */
		struct in_addr addr;
		struct in6_addr addr6;
	};
	uint16_t port;			/* host byte order */
	uint8_t state;			/* enum tcpsplice_state, not TCPSPLICE_STATE_NONE */
	uint64_t id;
};

/*
 * Callback of tcpsplice_dump: return 0 to go on, anything else to stop (the
 * rest of the dump is read and discarded).
 */
typedef int (*tcpsplice_session_cb)(const struct tcpsplice_session_info *s, void *arg);

/*
 * tcpsplice_dump - call cb for every visible session that matches filter (NULL:
 * all).  Returns the number of callbacks made, or a negative errno.
 */
int tcpsplice_dump(struct tcpsplice_handle *h, const struct tcpsplice_filter *filter,
	     tcpsplice_session_cb cb, void *arg);

/*
 * tcpsplice_flush - end every session that matches filter (NULL: all); their
 * peers are reset.  Needs CAP_NET_ADMIN (-EPERM).  With TCPSPLICE_FILTER_ID,
 * -ENOENT when that session does not exist.
 */
int tcpsplice_flush(struct tcpsplice_handle *h, const struct tcpsplice_filter *filter);

/* ---- counters ---------------------------------------------------------- */

/* Counters, as in /proc/net/stat/tcp_splice (names: tcpsplice_stat_name). */
enum tcpsplice_stat {
	TCPSPLICE_STAT_SESSIONS_CREATED,
	TCPSPLICE_STAT_SESSIONS_ENDED_FIN,
	TCPSPLICE_STAT_SESSIONS_ENDED_RST,
	TCPSPLICE_STAT_SESSIONS_ENDED_TIMEOUT,
	TCPSPLICE_STAT_SESSIONS_ENDED_FLUSH,
	TCPSPLICE_STAT_SPLICE_REFUSED,
	TCPSPLICE_STAT_PKTS_C2S,
	TCPSPLICE_STAT_BYTES_C2S,
	TCPSPLICE_STAT_PKTS_S2C,
	TCPSPLICE_STAT_BYTES_S2C,
	TCPSPLICE_STAT_HELD,
	TCPSPLICE_STAT_FED,
	TCPSPLICE_STAT_SILENCED,
	TCPSPLICE_STAT_FIN_ABSORBED,
	TCPSPLICE_STAT_DROP_HOLD_FULL,
	TCPSPLICE_STAT_DROP_BAD_CSUM,
	TCPSPLICE_STAT_DROP_MALFORMED,
	TCPSPLICE_STAT_DROP_NO_ROUTE,
	TCPSPLICE_STAT_DROP_SYN,
	TCPSPLICE_STAT_DROP_OUT_OF_WINDOW,
	TCPSPLICE_STAT_DROP_FRAGMENT,
	TCPSPLICE_STAT_DROP_CLOSED,
	TCPSPLICE_STAT_DROP_NOMEM,
	TCPSPLICE_STAT_OFO_PURGED,
	TCPSPLICE_STAT_SYN_RECYCLED,
	TCPSPLICE_STAT_OFO_MOVED,
	TCPSPLICE_STAT_PMTU_LOWERED,
	TCPSPLICE_STAT_REFUSED_TABLE_FULL,	/* subset of SPLICE_REFUSED: ENOSPC */
	TCPSPLICE_STAT_KNOWN,			/* counters this library has names for */
};

#define TCPSPLICE_STATS_MAX		64

struct tcpsplice_stats {
	uint32_t sessions_active;
	uint32_t n;			/* v[0 .. n-1] were reported */
	uint64_t v[TCPSPLICE_STATS_MAX];	/* indexed by enum tcpsplice_stat */
};

/* tcpsplice_stats - the counters of the caller's network namespace. */
int tcpsplice_stats(struct tcpsplice_handle *h, struct tcpsplice_stats *out);

/* ---- events ------------------------------------------------------------ */

enum tcpsplice_event_type {
	TCPSPLICE_EVENT_START = 1,		/* session created (handoff begins) */
	TCPSPLICE_EVENT_HANDOFF,		/* both directions flow through the module */
	TCPSPLICE_EVENT_END,			/* session over: counters, duration, reason */
};

struct tcpsplice_event {
	enum tcpsplice_event_type type;
	struct tcpsplice_session_info s;
};

/* Callback of tcpsplice_events_read: 0 to go on, anything else to stop. */
typedef int (*tcpsplice_event_cb)(const struct tcpsplice_event *ev, void *arg);

/*
 * tcpsplice_events_subscribe - join the "events" multicast group on a socket of
 * its own (non-blocking).  Needs netlink.  Calling it again is a no-op.
 */
int tcpsplice_events_subscribe(struct tcpsplice_handle *h);

/* tcpsplice_events_fd - the descriptor to poll (POLLIN), or -EINVAL before
 * tcpsplice_events_subscribe.  Do not read from it yourself. */
int tcpsplice_events_fd(struct tcpsplice_handle *h);

/*
 * tcpsplice_events_read - deliver the events queued now, without blocking.
 * Returns the number delivered (0: none pending), or a negative errno:
 * -ENOBUFS means the kernel dropped events because the socket's buffer
 * was full (the subscription stays valid; read on).
 */
int tcpsplice_events_read(struct tcpsplice_handle *h, tcpsplice_event_cb cb, void *arg);

/* ---- text -------------------------------------------------------------- */

/* Name of an errno value (either sign), e.g. "Operation not permitted". */
const char *tcpsplice_strerror(int err);

/*
 * The message of the last failed call of the calling thread on h: the
 * kernel's extended ack message when it sent one (e.g. "no such session"),
 * else the errno text.  "" when that thread had no failure on h.  Valid
 * until the thread's next call on h.
 */
const char *tcpsplice_last_error(const struct tcpsplice_handle *h);

/* Just the kernel's extended ack message of that failure, or "". */
const char *tcpsplice_last_extack(const struct tcpsplice_handle *h);

/* "ESTABLISHED", "TIME_WAIT" ... ; NULL if unknown. */
const char *tcpsplice_state_name(unsigned int state);
/* Inverse of tcpsplice_state_name (case-insensitive); -1 if unknown. */
int tcpsplice_state_from_name(const char *name);
/* "fin", "rst", "timeout", "flush", "unload", "none"; NULL if unknown. */
const char *tcpsplice_end_reason_name(unsigned int reason);
/* "start", "handoff", "end"; NULL if unknown. */
const char *tcpsplice_event_name(unsigned int type);
/* "sessions_created" ... (the /proc/net/stat/tcp_splice names); NULL if
 * this library does not know counter i. */
const char *tcpsplice_stat_name(unsigned int i);

#ifdef __cplusplus
}
#endif

#endif /* TCPSPLICE_H */
