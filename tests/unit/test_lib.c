// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit tests of libtcpsplice (no module needed; run under ASan/UBSan):
 * names, error texts, argument checks, behaviour without the module (the
 * host has none), parsing of kernel messages built with libnl, and
 * tcp_splice_initfd on loopback sockets.
 *
 *   test_lib
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/tcp_splice.h>
#include <netlink/attr.h>
#include <netlink/errno.h>
#include <netlink/genl/genl.h>
#include <netlink/msg.h>

#include "internal.h"
#include "libtcpsplice.h"
#include "tcpsplice.h"
#include "unit.h"

static int have_module(void)
{
	struct stat st;

	return stat(TCP_SPLICE_DEVICE, &st) == 0;
}

static void test_names(void)
{
	unsigned int i;

	CHECK_STR(tcpsplice_state_name(TCPSPLICE_STATE_ESTABLISHED), "ESTABLISHED");
	CHECK_STR(tcpsplice_state_name(TCPSPLICE_STATE_SYNACK), "SYNACK");
	CHECK(tcpsplice_state_name(TCPSPLICE_STATE_MAX) == NULL);
	for (i = 0; i < TCPSPLICE_STATE_MAX; i++)
		CHECK_INT(tcpsplice_state_from_name(tcpsplice_state_name(i)), i);
	CHECK_INT(tcpsplice_state_from_name("time_wait"), TCPSPLICE_STATE_TIME_WAIT);
	CHECK_INT(tcpsplice_state_from_name("bogus"), -1);
	CHECK_INT(tcpsplice_state_from_name(NULL), -1);
	CHECK_STR(tcpsplice_end_reason_name(TCPSPLICE_END_FIN), "fin");
	CHECK_STR(tcpsplice_end_reason_name(TCPSPLICE_END_UNLOAD), "unload");
	CHECK(tcpsplice_end_reason_name(TCPSPLICE_END_MAX) == NULL);
	CHECK_STR(tcpsplice_event_name(TCPSPLICE_EVENT_START), "start");
	CHECK_STR(tcpsplice_event_name(TCPSPLICE_EVENT_HANDOFF), "handoff");
	CHECK_STR(tcpsplice_event_name(TCPSPLICE_EVENT_END), "end");
	CHECK(tcpsplice_event_name(0) == NULL);
	CHECK(tcpsplice_stat_name(TCPSPLICE_STAT_KNOWN) == NULL);
	CHECK_STR(tcpsplice_strerror(-EPERM), "Operation not permitted");
	CHECK_STR(tcpsplice_strerror(EINVAL), "Invalid argument");
	CHECK(tcpsplice_strerror(100000) != NULL);

	/* The counter names come from the ABI header's one list (the
	 * kernel's /proc/net/stat/tcp_splice uses the same): every counter
	 * the library knows has a distinct name. */
	for (i = 0; i < TCPSPLICE_STAT_KNOWN; i++) {
		unsigned int j;

		CHECK(tcpsplice_stat_name(i) != NULL && tcpsplice_stat_name(i)[0] != 0);
		for (j = 0; j < i && tcpsplice_stat_name(i); j++)
			CHECK(!tcpsplice_stat_name(j) || strcmp(tcpsplice_stat_name(i), tcpsplice_stat_name(j)) != 0);
	}
	CHECK_STR(tcpsplice_stat_name(TCPSPLICE_STAT_SESSIONS_CREATED), "sessions_created");
	CHECK_STR(tcpsplice_stat_name(TCPSPLICE_STAT_DROP_BAD_CSUM), "drop_bad_csum");
	CHECK_STR(tcpsplice_stat_name(TCPSPLICE_STAT_SYN_RECYCLED), "syn_recycled");
}

static void test_nlerr(void)
{
	CHECK_INT(tspi_nlerr_to_errno(-NLE_PERM), EPERM);
	CHECK_INT(tspi_nlerr_to_errno(NLE_NOMEM), ENOMEM);
	CHECK_INT(tspi_nlerr_to_errno(-NLE_OBJ_NOTFOUND), ENOENT);
	CHECK_INT(tspi_nlerr_to_errno(-NLE_AGAIN), EAGAIN);
	CHECK_INT(tspi_nlerr_to_errno(-NLE_SEQ_MISMATCH), EPROTO);
	CHECK_INT(tspi_nlerr_to_errno(0), 0);
	CHECK_INT(tspi_nlerr_to_errno(-9999), EIO);
}

static int dummy_cb(const struct tcpsplice_session_info *s, void *arg)
{
	(void)s;
	(void)arg;
	return 0;
}

static int dummy_ev(const struct tcpsplice_event *ev, void *arg)
{
	(void)ev;
	(void)arg;
	return 0;
}

/* Without the module (the host): everything says ENOENT, cleanly. */
static void test_no_module(void)
{
	struct tcpsplice_handle *h;

	if (have_module()) {
		printf("test_lib: %s exists, skipping the no-module checks\n",
		       TCP_SPLICE_DEVICE);
		return;
	}
	errno = 0;
	CHECK(tcpsplice_open(0) == NULL);
	CHECK_INT(errno, ENOENT);
	errno = 0;
	CHECK(tcpsplice_open(TCPSPLICE_OPEN_NETLINK_ONLY) == NULL);
	CHECK_INT(errno, ENOENT);
	errno = 0;
	CHECK(tcpsplice_open(TCPSPLICE_OPEN_IOCTL_ONLY) == NULL);
	CHECK_INT(errno, ENOENT);
	errno = 0;
	CHECK(tcpsplice_open(TCPSPLICE_OPEN_IOCTL_ONLY | TCPSPLICE_OPEN_NETLINK_ONLY) == NULL);
	CHECK_INT(errno, EINVAL);
	errno = 0;
	CHECK(tcpsplice_open(0x100) == NULL);
	CHECK_INT(errno, EINVAL);

	/* HAProxy 1.3 API: start fails with ENOENT, so does a lazy splice */
	errno = 0;
	CHECK_INT(tcp_splice_start(), -1);
	CHECK_INT(errno, ENOENT);
	errno = 0;
	CHECK_INT(tcp_splice_splicefd(0, 1, 0), -1);
	CHECK_INT(errno, ENOENT);
	errno = 0;
	CHECK_INT(tcp_splice_splicefd(0, 1, 0x10), -1);
	CHECK_INT(errno, EINVAL);

	/* a handle without backend: argument checks */
	h = tspi_open_detached();
	CHECK(h != NULL);
	if (!h)
		return;
	CHECK_INT(tcpsplice_has_netlink(h), 0);
	CHECK_INT(tcpsplice_splice(h, 3, 4, 0x2, NULL), -EINVAL);
	CHECK_INT(errno, EINVAL);
	CHECK(strstr(tcpsplice_last_error(h), "flag") != NULL);
	CHECK_INT(tcpsplice_splice(h, -1, 4, 0, NULL), -EBADF);
	CHECK_STR(tcpsplice_last_error(h), "Bad file descriptor");
	CHECK_STR(tcpsplice_last_extack(h), "");
	CHECK_INT(tcpsplice_splice(h, 3, -7, TCPSPLICE_SPLICE_DRAINED, NULL), -EBADF);
	CHECK_INT(tcpsplice_splice(h, 0, 1, TCPSPLICE_SPLICE_DRAINED, NULL), -ENOENT);
	CHECK(strstr(tcpsplice_last_error(h), "module not loaded") != NULL);
	CHECK_INT(tcpsplice_get(h, 1, NULL), -EINVAL);
	{
		struct tcpsplice_session_info s;
		struct tcpsplice_stats st;
		struct tcpsplice_filter f = { .mask = 0x100 };

		CHECK_INT(tcpsplice_get(h, 1, &s), -EOPNOTSUPP);
		CHECK(strstr(tcpsplice_last_error(h), "ioctl only") != NULL);
		CHECK_INT(tcpsplice_stats(h, &st), -EOPNOTSUPP);
		CHECK_INT(tcpsplice_stats(h, NULL), -EINVAL);
		CHECK_INT(tcpsplice_flush(h, NULL), -EOPNOTSUPP);
		CHECK_INT(tcpsplice_flush(h, &f), -EINVAL);
		f.mask = TCPSPLICE_FILTER_STATE;
		f.state = TCPSPLICE_STATE_NONE;
		CHECK_INT(tcpsplice_dump(h, &f, dummy_cb, NULL), -EINVAL);
		f.state = TCPSPLICE_STATE_MAX;
		CHECK_INT(tcpsplice_dump(h, &f, dummy_cb, NULL), -EINVAL);
		CHECK_INT(tcpsplice_dump(h, NULL, NULL, NULL), -EINVAL);
		CHECK_INT(tcpsplice_events_subscribe(h), -EOPNOTSUPP);
		CHECK_INT(tcpsplice_events_fd(h), -EINVAL);
		CHECK_INT(tcpsplice_events_read(h, NULL, NULL), -EINVAL);
		CHECK_INT(tcpsplice_events_read(h, dummy_ev, NULL), -EINVAL);
	}
	tcpsplice_close(h);
	tcpsplice_close(NULL);
	/* NULL handles */
	CHECK_INT(tcpsplice_splice(NULL, 0, 1, 0, NULL), -EINVAL);
	CHECK_INT(tcpsplice_stats(NULL, NULL), -EINVAL);
	CHECK_INT(tcpsplice_has_netlink(NULL), 0);
	CHECK_STR(tcpsplice_last_error(NULL), "");
	CHECK_INT(tcpsplice_events_subscribe(NULL), -EINVAL);
}

/* tcpsplice_last_error is per thread. */
static struct tcpsplice_handle *shared;
static void *other_thread(void *arg)
{
	(void)arg;
	CHECK_STR(tcpsplice_last_error(shared), "");
	CHECK_INT(tcpsplice_splice(shared, -1, 0, 0, NULL), -EBADF);
	CHECK_STR(tcpsplice_last_error(shared), "Bad file descriptor");
	return NULL;
}

static void test_last_error_threads(void)
{
	pthread_t t;

	shared = tspi_open_detached();
	CHECK_INT(tcpsplice_splice(shared, 1, 2, 0x4, NULL), -EINVAL);
	pthread_create(&t, NULL, other_thread, NULL);
	pthread_join(t, NULL);
	CHECK(strstr(tcpsplice_last_error(shared), "flag") != NULL);
	tcpsplice_close(shared);
}

/* ---- parsing of messages as the kernel builds them ---------------------- */

static struct nl_msg *kmsg(uint8_t cmd)
{
	struct nl_msg *m = nlmsg_alloc();

	genlmsg_put(m, 0, 0, 0x20, 0, 0, cmd, TCP_SPLICE_GENL_VERSION);
	return m;
}

static void put_session(struct nl_msg *m)
{
	nla_put_u64(m, TCP_SPLICE_A_SESSION_ID, 42);
	nla_put_u32(m, TCP_SPLICE_A_CLIENT_ADDR, inet_addr("10.0.1.1"));
	nla_put_u16(m, TCP_SPLICE_A_CLIENT_PORT, 43210);
	nla_put_u32(m, TCP_SPLICE_A_PROXY_ADDR_A, inet_addr("10.0.1.2"));
	nla_put_u16(m, TCP_SPLICE_A_PROXY_PORT_A, 8000);
	nla_put_u32(m, TCP_SPLICE_A_PROXY_ADDR_B, inet_addr("10.0.2.2"));
	nla_put_u16(m, TCP_SPLICE_A_PROXY_PORT_B, 51000);
	nla_put_u32(m, TCP_SPLICE_A_SERVER_ADDR, inet_addr("10.0.2.1"));
	nla_put_u16(m, TCP_SPLICE_A_SERVER_PORT, 5001);
	nla_put_u8(m, TCP_SPLICE_A_STATE, TCP_SPLICE_S_ESTABLISHED);
	nla_put_u32(m, TCP_SPLICE_A_EXPIRES, 899);
	nla_put_u64(m, TCP_SPLICE_A_PKTS_C2S, 10);
	nla_put_u64(m, TCP_SPLICE_A_BYTES_C2S, 1048576);
	nla_put_u64(m, TCP_SPLICE_A_PKTS_S2C, 20);
	nla_put_u64(m, TCP_SPLICE_A_BYTES_S2C, 2097152);
	nla_put_u64(m, TCP_SPLICE_A_DURATION_MS, 1234);
	nla_put_u8(m, TCP_SPLICE_A_END_REASON, TCP_SPLICE_END_FIN);
	nla_put_u32(m, TCP_SPLICE_A_FLAGS, TCP_SPLICE_F_DRAINED);
	nla_put_u32(m, TCP_SPLICE_A_UID, 65534);
}

static void test_parse(void)
{
	struct tcpsplice_session_info s;
	struct tcpsplice_stats st;
	struct nl_msg *m;
	struct nlattr *nest;
	char a[INET_ADDRSTRLEN];
	int i;

	m = kmsg(TCP_SPLICE_CMD_GET);
	put_session(m);
	nla_put_u32(m, TCP_SPLICE_A_MAX + 7, 1);	/* a newer kernel's */
	CHECK_INT(tspi_parse_session(m, &s), 0);
	nlmsg_free(m);
	CHECK_INT(s.fields, TCPSPLICE_INFO_ID | TCPSPLICE_INFO_TUPLE | TCPSPLICE_INFO_STATE |
		  TCPSPLICE_INFO_EXPIRES | TCPSPLICE_INFO_COUNTERS | TCPSPLICE_INFO_DURATION |
		  TCPSPLICE_INFO_END_REASON | TCPSPLICE_INFO_UID | TCPSPLICE_INFO_FLAGS);
	CHECK_INT(s.id, 42);
	CHECK_STR(inet_ntop(AF_INET, &s.client.addr, a, sizeof(a)), "10.0.1.1");
	CHECK_INT(s.client.port, 43210);
	CHECK_STR(inet_ntop(AF_INET, &s.proxy_a.addr, a, sizeof(a)), "10.0.1.2");
	CHECK_INT(s.proxy_a.port, 8000);
	CHECK_STR(inet_ntop(AF_INET, &s.proxy_b.addr, a, sizeof(a)), "10.0.2.2");
	CHECK_INT(s.proxy_b.port, 51000);
	CHECK_STR(inet_ntop(AF_INET, &s.server.addr, a, sizeof(a)), "10.0.2.1");
	CHECK_INT(s.server.port, 5001);
	CHECK_INT(s.state, TCPSPLICE_STATE_ESTABLISHED);
	CHECK_INT(s.expires, 899);
	CHECK_INT(s.pkts_c2s, 10);
	CHECK_INT(s.bytes_c2s, 1048576);
	CHECK_INT(s.pkts_s2c, 20);
	CHECK_INT(s.bytes_s2c, 2097152);
	CHECK_INT(s.duration_ms, 1234);
	CHECK_INT(s.end_reason, TCPSPLICE_END_FIN);
	CHECK_INT(s.flags, TCPSPLICE_SPLICE_DRAINED);
	CHECK_INT(s.uid, 65534);

	/* partial: no tuple bit unless all four endpoints are there */
	m = kmsg(TCP_SPLICE_CMD_GET);
	nla_put_u64(m, TCP_SPLICE_A_SESSION_ID, 7);
	nla_put_u32(m, TCP_SPLICE_A_CLIENT_ADDR, 1);
	nla_put_u16(m, TCP_SPLICE_A_CLIENT_PORT, 1);
	nla_put_u64(m, TCP_SPLICE_A_PKTS_C2S, 1);
	CHECK_INT(tspi_parse_session(m, &s), 0);
	CHECK_INT(s.fields, TCPSPLICE_INFO_ID);
	nlmsg_free(m);

	/* truncated attribute: refused, not misread */
	m = kmsg(TCP_SPLICE_CMD_GET);
	nla_put_u32(m, TCP_SPLICE_A_SESSION_ID, 7);
	CHECK_INT(tspi_parse_session(m, &s), -EPROTO);
	nlmsg_free(m);

	/* counters: nest of u64, type = index + 1; unknown ones kept up to
	 * TCPSPLICE_STATS_MAX, beyond ignored */
	m = kmsg(TCP_SPLICE_CMD_STATS);
	nla_put_u32(m, TCP_SPLICE_A_SESSIONS_ACTIVE, 3);
	nest = nla_nest_start(m, TCP_SPLICE_A_STATS);
	for (i = 0; i < TCPSPLICE_STAT_KNOWN; i++)
		nla_put_u64(m, i + 1, 1000 + i);
	nla_put_u64(m, 40, 77);
	nla_put_u64(m, TCPSPLICE_STATS_MAX + 5, 99);
	nla_put_u32(m, 41, 5);			/* too short: skipped */
	nla_nest_end(m, nest);
	CHECK_INT(tspi_parse_stats(m, &st), 0);
	nlmsg_free(m);
	CHECK_INT(st.sessions_active, 3);
	CHECK_INT(st.n, 40);
	CHECK_INT(st.v[TCPSPLICE_STAT_SESSIONS_CREATED], 1000);
	CHECK_INT(st.v[TCPSPLICE_STAT_OFO_PURGED], 1000 + TCPSPLICE_STAT_OFO_PURGED);
	CHECK_INT(st.v[39], 77);
	CHECK_INT(st.v[40], 0);

	m = kmsg(TCP_SPLICE_CMD_STATS);
	nla_put_u32(m, TCP_SPLICE_A_SESSIONS_ACTIVE, 3);
	CHECK_INT(tspi_parse_stats(m, &st), -EPROTO);	/* no nest */
	nlmsg_free(m);
}

/* ---- tcp_splice_initfd ---------------------------------------------------- */

static int listener(struct sockaddr_in *sa)
{
	socklen_t sl = sizeof(*sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)sa, sizeof(*sa)) < 0 ||
	    listen(fd, 8) < 0 || getsockname(fd, (struct sockaddr *)sa, &sl) < 0)
		return -1;
	return fd;
}

static int get_int(int fd, int level, int opt)
{
	int v = -1;
	socklen_t l = sizeof(v);

	getsockopt(fd, level, opt, &v, &l);
	return v;
}

static struct tcp_info info(int fd)
{
	struct tcp_info ti;
	socklen_t l = sizeof(ti);

	memset(&ti, 0, sizeof(ti));
	getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &l);
	return ti;
}

static void test_initfd_params(void)
{
	struct tcp_info ti;
	int mss, clamp;

	memset(&ti, 0, sizeof(ti));
	ti.tcpi_snd_mss = 1448;
	ti.tcpi_options = TCPI_OPT_TIMESTAMPS | TCPI_OPT_WSCALE;
	ti.tcpi_snd_wscale = 7;
	tspi_initfd_params(&ti, &mss, &clamp);
	CHECK_INT(mss, 1460);
	CHECK_INT(clamp, 65535 << 7);
	ti.tcpi_options = 0;
	ti.tcpi_snd_mss = 40;
	tspi_initfd_params(&ti, &mss, &clamp);
	CHECK_INT(mss, 88);
	CHECK_INT(clamp, 65535);
	ti.tcpi_options = TCPI_OPT_WSCALE;
	ti.tcpi_snd_wscale = 15;
	tspi_initfd_params(&ti, &mss, &clamp);
	CHECK_INT(clamp, 65535 << 14);
}

static void test_initfd(void)
{
	struct sockaddr_in sa;
	int lfd = listener(&sa), c, a, srv, udp, fresh, devnull, small = 4096;
	int clamp0, mss0;
	struct tcp_info ta, tb;

	if (lfd < 0) {
		printf("test_lib: no loopback TCP here, skipping initfd checks\n");
		return;
	}
	/* A client with a small, locked receive buffer: window scale 0. */
	c = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(c, SOL_SOCKET, SO_RCVBUF, &small, sizeof(small));
	CHECK_INT(connect(c, (struct sockaddr *)&sa, sizeof(sa)), 0);
	a = accept(lfd, NULL, NULL);
	CHECK(a >= 0);
	ta = info(a);

	srv = socket(AF_INET, SOCK_STREAM, 0);
	CHECK_INT(tcp_splice_initfd(a, srv), 0);
	CHECK_INT(get_int(srv, IPPROTO_TCP, TCP_MAXSEG),
		  ta.tcpi_snd_mss + (ta.tcpi_options & TCPI_OPT_TIMESTAMPS ? 12 : 0));
	CHECK_INT(get_int(srv, IPPROTO_TCP, TCP_WINDOW_CLAMP),
		  65535 << (ta.tcpi_options & TCPI_OPT_WSCALE ? ta.tcpi_snd_wscale : 0));
	/* srv now announces no larger a window scale than the client */
	CHECK_INT(connect(srv, (struct sockaddr *)&sa, sizeof(sa)), 0);
	tb = info(srv);
	if (ta.tcpi_options & TCPI_OPT_WSCALE)
		CHECK(tb.tcpi_rcv_wscale <= ta.tcpi_snd_wscale);
	/* errors */
	errno = 0;
	CHECK_INT(tcp_splice_initfd(a, srv), -1);
	CHECK_INT(errno, EISCONN);
	fresh = socket(AF_INET, SOCK_STREAM, 0);
	clamp0 = get_int(fresh, IPPROTO_TCP, TCP_WINDOW_CLAMP);
	mss0 = get_int(fresh, IPPROTO_TCP, TCP_MAXSEG);
	errno = 0;
	CHECK_INT(tcp_splice_initfd(fresh, socket(AF_INET, SOCK_STREAM, 0)), -1);
	CHECK_INT(errno, ENOTCONN);
	udp = socket(AF_INET, SOCK_DGRAM, 0);
	errno = 0;
	CHECK_INT(tcp_splice_initfd(udp, fresh), -1);
	CHECK_INT(errno, EPROTONOSUPPORT);
	errno = 0;
	CHECK_INT(tcp_splice_initfd(a, udp), -1);
	CHECK_INT(errno, EPROTONOSUPPORT);
	errno = 0;
	CHECK_INT(tcp_splice_initfd(socket(AF_UNIX, SOCK_STREAM, 0), fresh), -1);
	CHECK_INT(errno, EAFNOSUPPORT);
	devnull = open("/dev/null", O_RDONLY);
	errno = 0;
	CHECK_INT(tcp_splice_initfd(devnull, fresh), -1);
	CHECK_INT(errno, ENOTSOCK);
	errno = 0;
	CHECK_INT(tcp_splice_initfd(-1, fresh), -1);
	CHECK_INT(errno, EBADF);
	/* the failed calls changed nothing on the server socket */
	CHECK_INT(get_int(fresh, IPPROTO_TCP, TCP_WINDOW_CLAMP), clamp0);
	CHECK_INT(get_int(fresh, IPPROTO_TCP, TCP_MAXSEG), mss0);
}

int main(void)
{
	test_names();
	test_nlerr();
	test_no_module();
	test_last_error_threads();
	test_parse();
	test_initfd_params();
	test_initfd();
	return unit_done("test_lib");
}
