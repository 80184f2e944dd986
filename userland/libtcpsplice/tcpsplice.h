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
 * tsp_strerror() turns the value into text; tsp_last_error() gives the
 * kernel's own message (netlink extended ack) for the last failure of the
 * calling thread on a handle, e.g. "no such session".
 *
 * Common errors:
 *   -ENOENT        module not loaded (tsp_open), no such session (tsp_get,
 *                  tsp_flush by id)
 *   -EPERM         tsp_flush without CAP_NET_ADMIN in the network
 *                  namespace's user namespace
 *   -EOPNOTSUPP    a control-plane call on a handle without netlink (the
 *                  family is absent, or TSP_OPEN_IOCTL_ONLY)
 *   -EINVAL        bad argument (NULL handle, unknown flag ...)
 *   -EDEADLK       a function called from one of the handle's own
 *                  callbacks on the same handle
 *   tsp_splice():  the errnos of the splice ioctl, see
 *                  <linux/tcp_splice.h> (EBADF, ENOTSOCK, ENOTCONN,
 *                  EBUSY, ELOOP, EXDEV, ENOPROTOOPT ...)
 *
 * Privileges.  Splicing needs none: owning both descriptors is the proof.
 * tsp_get/tsp_dump show every session of the caller's network namespace
 * to a caller with CAP_NET_ADMIN, and only the sessions created by the
 * caller's uid to anyone else.  tsp_flush needs CAP_NET_ADMIN.
 *
 * Thread safety.  The library keeps no global state (the HAProxy 1.3
 * compatibility API of libtcpsplice.h has its own, see there).  A handle
 * may be shared by threads: requests on one handle are serialised by an
 * internal lock, and the event socket has a lock of its own, so one thread
 * may sit in an event loop on tsp_events_fd()/tsp_events_read() while
 * others splice, dump or flush.  Handles are independent of each other;
 * for parallel requests use one handle per thread.  Callbacks run with the
 * handle's lock held: they must not call functions on the same handle
 * (those fail with -EDEADLK); other handles are fine.  tsp_close() must
 * not race with any other call on the handle.  tsp_last_error() is kept
 * per thread, so concurrent failures on a shared handle do not mix up
 * their messages.
 *
 * Network namespaces.  A handle works in the network namespace its
 * sockets were created in (the caller's at tsp_open time).
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

#define TSP_API_VERSION		1

/* ---- handles ----------------------------------------------------------- */

/* tsp_open() flags */
#define TSP_OPEN_NETLINK_ONLY	0x1	/* need the netlink family: never fall
					 * back to the ioctl (-ENOENT if the
					 * family is absent) */
#define TSP_OPEN_IOCTL_ONLY	0x2	/* never use netlink: splice only
					 * (other calls -EOPNOTSUPP) */

struct tsp_handle;

/*
 * tsp_open - open a handle in the caller's network namespace.
 * Resolves the netlink family; without it (and without
 * TSP_OPEN_NETLINK_ONLY) opens /dev/tcp_splice instead.  Returns NULL
 * with errno set on failure: ENOENT when the module is not loaded (no
 * family, no device), EACCES when the device may not be opened, EINVAL
 * for unknown or contradictory flags, ENOMEM.
 */
struct tsp_handle *tsp_open(int flags);

/* tsp_close - free the handle and close its sockets (NULL is a no-op). */
void tsp_close(struct tsp_handle *h);

/* 1 when the handle talks netlink, 0 when it only has the ioctl. */
int tsp_has_netlink(const struct tsp_handle *h);

/* ---- splicing ---------------------------------------------------------- */

/* tsp_splice() flags */
#define TSP_SPLICE_LEGACY	0x0	/* the caller still has bytes to write
					 * (see <linux/tcp_splice.h>) */
#define TSP_SPLICE_DRAINED	0x1	/* TCP_SPLICE_F_DRAINED */

/*
 * tsp_splice - splice the established sockets cli_fd (accepted from the
 * client) and srv_fd (connected to the server).  The descriptors are
 * resolved in the caller's descriptor table.  On success stores the
 * session id in *id (if id is not NULL) and returns 0.
 * Local checks: -EINVAL (NULL handle, unknown flag), -EBADF (negative
 * descriptor); everything else is the kernel's verdict.
 */
int tsp_splice(struct tsp_handle *h, int cli_fd, int srv_fd,
	       unsigned int flags, uint64_t *id);

/* ---- sessions ---------------------------------------------------------- */

/* Session states (the /proc/net/tcp_splice_conn names: tsp_state_name). */
enum tsp_state {
	TSP_STATE_NONE = 0,
	TSP_STATE_ESTABLISHED,
	TSP_STATE_SYN_SENT,
	TSP_STATE_SYN_RECV,
	TSP_STATE_FIN_WAIT,
	TSP_STATE_TIME_WAIT,
	TSP_STATE_CLOSE,
	TSP_STATE_CLOSE_WAIT,
	TSP_STATE_LAST_ACK,
	TSP_STATE_LISTEN,
	TSP_STATE_SYNACK,
	TSP_STATE_MAX,
};

/* Why a session ended (tsp_end_reason_name: "fin", "rst" ...). */
enum tsp_end_reason {
	TSP_END_NONE = 0,
	TSP_END_FIN,
	TSP_END_RST,
	TSP_END_TIMEOUT,
	TSP_END_FLUSH,
	TSP_END_UNLOAD,
	TSP_END_MAX,
};

struct tsp_endpoint {
	uint8_t family;			/* AF_INET or AF_INET6 */
	union {				/* network byte order */
		struct in_addr addr;	/* AF_INET */
		struct in6_addr addr6;	/* AF_INET6 */
	};
	uint16_t port;			/* host byte order */
};

/* Bits of tsp_session_info.fields: what the kernel reported. */
#define TSP_INFO_ID		(1u << 0)
#define TSP_INFO_TUPLE		(1u << 1)	/* all four endpoints */
#define TSP_INFO_STATE		(1u << 2)
#define TSP_INFO_EXPIRES	(1u << 3)
#define TSP_INFO_COUNTERS	(1u << 4)	/* all four counters */
#define TSP_INFO_DURATION	(1u << 5)
#define TSP_INFO_END_REASON	(1u << 6)
#define TSP_INFO_UID		(1u << 7)
#define TSP_INFO_FLAGS		(1u << 8)

/*
 * One session.  client -> proxy_a is connection A (accepted by the proxy),
 * proxy_b -> server is connection B.  c2s counts what the module forwarded
 * from the client to the server, s2c the other way.
 */
struct tsp_session_info {
	uint64_t id;
	uint32_t fields;		/* TSP_INFO_* */
	uint32_t flags;			/* TSP_SPLICE_* the session was made with */
	struct tsp_endpoint client;
	struct tsp_endpoint proxy_a;
	struct tsp_endpoint proxy_b;
	struct tsp_endpoint server;
	uint8_t state;			/* enum tsp_state */
	uint8_t end_reason;		/* enum tsp_end_reason */
	uint32_t expires;		/* seconds until the state's timeout */
	uint32_t uid;			/* creator */
	uint64_t pkts_c2s;		/* skbs forwarded, retransmissions too */
	uint64_t bytes_c2s;		/* new payload forwarded (no retransmissions) */
	uint64_t pkts_s2c;
	uint64_t bytes_s2c;
	uint64_t duration_ms;		/* age (events: lifetime) */
};

/*
 * tsp_get - one session by id.  -ENOENT if there is none, or none the
 * caller may see.
 */
int tsp_get(struct tsp_handle *h, uint64_t id, struct tsp_session_info *out);

/* Filters (tsp_dump, tsp_flush): every criterion set in .mask must hold. */
#define TSP_FILTER_ADDR		(1u << 0)	/* any of the four addresses */
#define TSP_FILTER_PORT		(1u << 1)	/* any of the four ports */
#define TSP_FILTER_STATE	(1u << 2)
#define TSP_FILTER_ID		(1u << 3)

struct tsp_filter {
	uint32_t mask;			/* TSP_FILTER_* */
	uint8_t family;			/* of the address: 0 (= AF_INET), AF_INET6 */
	union {				/* network byte order */
		struct in_addr addr;
		struct in6_addr addr6;
	};
	uint16_t port;			/* host byte order */
	uint8_t state;			/* enum tsp_state, not TSP_STATE_NONE */
	uint64_t id;
};

/*
 * Callback of tsp_dump: return 0 to go on, anything else to stop (the
 * rest of the dump is read and discarded).
 */
typedef int (*tsp_session_cb)(const struct tsp_session_info *s, void *arg);

/*
 * tsp_dump - call cb for every visible session that matches filter (NULL:
 * all).  Returns the number of callbacks made, or a negative errno.
 */
int tsp_dump(struct tsp_handle *h, const struct tsp_filter *filter,
	     tsp_session_cb cb, void *arg);

/*
 * tsp_flush - end every session that matches filter (NULL: all); their
 * peers are reset.  Needs CAP_NET_ADMIN (-EPERM).  With TSP_FILTER_ID,
 * -ENOENT when that session does not exist.
 */
int tsp_flush(struct tsp_handle *h, const struct tsp_filter *filter);

/* ---- counters ---------------------------------------------------------- */

/* Counters, as in /proc/net/stat/tcp_splice (names: tsp_stat_name). */
enum tsp_stat {
	TSP_STAT_SESSIONS_CREATED,
	TSP_STAT_SESSIONS_ENDED_FIN,
	TSP_STAT_SESSIONS_ENDED_RST,
	TSP_STAT_SESSIONS_ENDED_TIMEOUT,
	TSP_STAT_SESSIONS_ENDED_FLUSH,
	TSP_STAT_SPLICE_REFUSED,
	TSP_STAT_PKTS_C2S,
	TSP_STAT_BYTES_C2S,
	TSP_STAT_PKTS_S2C,
	TSP_STAT_BYTES_S2C,
	TSP_STAT_HELD,
	TSP_STAT_FED,
	TSP_STAT_SILENCED,
	TSP_STAT_FIN_ABSORBED,
	TSP_STAT_DROP_HOLD_FULL,
	TSP_STAT_DROP_BAD_CSUM,
	TSP_STAT_DROP_MALFORMED,
	TSP_STAT_DROP_NO_ROUTE,
	TSP_STAT_DROP_SYN,
	TSP_STAT_DROP_OUT_OF_WINDOW,
	TSP_STAT_DROP_FRAGMENT,
	TSP_STAT_DROP_CLOSED,
	TSP_STAT_DROP_NOMEM,
	TSP_STAT_OFO_PURGED,
	TSP_STAT_SYN_RECYCLED,
	TSP_STAT_OFO_MOVED,
	TSP_STAT_PMTU_LOWERED,
	TSP_STAT_KNOWN,			/* counters this library has names for */
};

#define TSP_STATS_MAX		64

struct tsp_stats {
	uint32_t sessions_active;
	uint32_t n;			/* v[0 .. n-1] were reported */
	uint64_t v[TSP_STATS_MAX];	/* indexed by enum tsp_stat */
};

/* tsp_stats - the counters of the caller's network namespace. */
int tsp_stats(struct tsp_handle *h, struct tsp_stats *out);

/* ---- events ------------------------------------------------------------ */

enum tsp_event_type {
	TSP_EVENT_START = 1,		/* session created (handoff begins) */
	TSP_EVENT_HANDOFF,		/* both directions flow through the module */
	TSP_EVENT_END,			/* session over: counters, duration, reason */
};

struct tsp_event {
	enum tsp_event_type type;
	struct tsp_session_info s;
};

/* Callback of tsp_events_read: 0 to go on, anything else to stop. */
typedef int (*tsp_event_cb)(const struct tsp_event *ev, void *arg);

/*
 * tsp_events_subscribe - join the "events" multicast group on a socket of
 * its own (non-blocking).  Needs netlink.  Calling it again is a no-op.
 */
int tsp_events_subscribe(struct tsp_handle *h);

/* tsp_events_fd - the descriptor to poll (POLLIN), or -EINVAL before
 * tsp_events_subscribe.  Do not read from it yourself. */
int tsp_events_fd(struct tsp_handle *h);

/*
 * tsp_events_read - deliver the events queued now, without blocking.
 * Returns the number delivered (0: none pending), or a negative errno:
 * -ENOBUFS means the kernel dropped events because the socket's buffer
 * was full (the subscription stays valid; read on).
 */
int tsp_events_read(struct tsp_handle *h, tsp_event_cb cb, void *arg);

/* ---- text -------------------------------------------------------------- */

/* Name of an errno value (either sign), e.g. "Operation not permitted". */
const char *tsp_strerror(int err);

/*
 * The message of the last failed call of the calling thread on h: the
 * kernel's extended ack message when it sent one (e.g. "no such session"),
 * else the errno text.  "" when that thread had no failure on h.  Valid
 * until the thread's next call on h.
 */
const char *tsp_last_error(const struct tsp_handle *h);

/* Just the kernel's extended ack message of that failure, or "". */
const char *tsp_last_extack(const struct tsp_handle *h);

/* "ESTABLISHED", "TIME_WAIT" ... ; NULL if unknown. */
const char *tsp_state_name(unsigned int state);
/* Inverse of tsp_state_name (case-insensitive); -1 if unknown. */
int tsp_state_from_name(const char *name);
/* "fin", "rst", "timeout", "flush", "unload", "none"; NULL if unknown. */
const char *tsp_end_reason_name(unsigned int reason);
/* "start", "handoff", "end"; NULL if unknown. */
const char *tsp_event_name(unsigned int type);
/* "sessions_created" ... (the /proc/net/stat/tcp_splice names); NULL if
 * this library does not know counter i. */
const char *tsp_stat_name(unsigned int i);

#ifdef __cplusplus
}
#endif

#endif /* TCPSPLICE_H */
