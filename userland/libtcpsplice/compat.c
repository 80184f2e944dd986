// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * HAProxy 1.3 compatibility API (libtcpsplice.h): the ioctl of
 * /dev/tcp_splice only, so that `-ltcpsplice` alone links (no libnl).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/tcp_splice.h>

#include "libtcpsplice.h"
#include "internal.h"

/* The only global state of the library: the device, once opened. */
static atomic_int compat_fd = -1;

int tspi_dev_open(void)
{
	int fd = open(TCP_SPLICE_DEVICE, O_RDWR | O_CLOEXEC);

	if (fd < 0 && (errno == EACCES || errno == EPERM))
		fd = open(TCP_SPLICE_DEVICE, O_RDONLY | O_CLOEXEC);
	return fd;
}

/*
 * Does fd answer TCP_SPLICE_IOC_SPLICE?  A request whose size is 0 is
 * refused with EINVAL by the module before anything else; any other
 * device says ENOTTY (or something else): then it is not ours.
 */
int tspi_dev_probe(int fd)
{
	struct tcp_splice_req req;

	memset(&req, 0, sizeof(req));
	if (ioctl(fd, TCP_SPLICE_IOC_SPLICE, &req) == 0) {
		errno = ENOTTY;		/* cannot happen with the module */
		return -1;
	}
	if (errno == EINVAL)
		return 0;
	if (errno != ENXIO && errno != ENODEV)
		errno = ENOTTY;
	return -1;
}

int tspi_dev_splice(int fd, int cli_fd, int srv_fd, unsigned int flags,
		   uint64_t *id)
{
	struct tcp_splice_req req;

	memset(&req, 0, sizeof(req));
	req.size = sizeof(req);
	req.version = TCP_SPLICE_ABI_VERSION;
	req.fd_client = cli_fd;
	req.fd_server = srv_fd;
	req.flags = flags;
	if (ioctl(fd, TCP_SPLICE_IOC_SPLICE, &req) < 0)
		return -1;
	if (id)
		*id = req.session_id;
	return 0;
}

int tcp_splice_start(void)
{
	int fd, expected = -1;

	if (atomic_load(&compat_fd) >= 0)
		return 0;
	fd = tspi_dev_open();
	if (fd < 0)
		return -1;
	if (tspi_dev_probe(fd) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	if (!atomic_compare_exchange_strong(&compat_fd, &expected, fd))
		close(fd);	/* another thread won the race */
	return 0;
}

/* getsockopt of an int; -1 with errno on failure. */
static int get_int(int fd, int level, int name, int *val)
{
	socklen_t len = sizeof(*val);

	return getsockopt(fd, level, name, val, &len);
}

/* fd must be a TCP/IPv4 socket. */
static int check_tcp4(int fd)
{
	int v;

	if (get_int(fd, SOL_SOCKET, SO_DOMAIN, &v) < 0)
		return -1;
	if (v != AF_INET) {
		errno = EAFNOSUPPORT;
		return -1;
	}
	if (get_int(fd, SOL_SOCKET, SO_TYPE, &v) < 0)
		return -1;
	if (v == SOCK_STREAM && get_int(fd, SOL_SOCKET, SO_PROTOCOL, &v) < 0)
		return -1;
	if (v != IPPROTO_TCP) {
		errno = EPROTONOSUPPORT;
		return -1;
	}
	return 0;
}

static int tcp_state(int fd, struct tcp_info *ti)
{
	socklen_t len = sizeof(*ti);

	memset(ti, 0, sizeof(*ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, ti, &len) < 0)
		return -1;
	return ti->tcpi_state;
}

int tspi_initfd_params(const struct tcp_info *ci, int *mss, int *clamp)
{
	unsigned int ws = 0;

	/* mss_cache excludes the options every segment carries: add the
	 * timestamp option back to get what the client announced (bounded
	 * by the path MTU the client connection sees).
	 */
	*mss = (int)ci->tcpi_snd_mss;
	if (ci->tcpi_options & TCPI_OPT_TIMESTAMPS)
		*mss += 12;
	if (*mss < 88)		/* TCP_MIN_MSS; anything below is refused */
		*mss = 88;
	if (ci->tcpi_options & TCPI_OPT_WSCALE)
		ws = ci->tcpi_snd_wscale;
	if (ws > 14)
		ws = 14;
	*clamp = (int)(65535u << ws);
	return 0;
}

int tcp_splice_initfd(int cli_fd, int srv_fd)
{
	struct tcp_info ci, si;
	int st, mss, clamp;

	if (check_tcp4(cli_fd) < 0 || check_tcp4(srv_fd) < 0)
		return -1;
	st = tcp_state(cli_fd, &ci);
	if (st < 0)
		return -1;
	if (st != TCP_ESTABLISHED && st != TCP_CLOSE_WAIT) {
		errno = ENOTCONN;
		return -1;
	}
	st = tcp_state(srv_fd, &si);
	if (st < 0)
		return -1;
	if (st != TCP_CLOSE) {
		errno = EISCONN;
		return -1;
	}
	tspi_initfd_params(&ci, &mss, &clamp);
	if (setsockopt(srv_fd, IPPROTO_TCP, TCP_MAXSEG, &mss, sizeof(mss)) < 0)
		return -1;
	if (setsockopt(srv_fd, IPPROTO_TCP, TCP_WINDOW_CLAMP, &clamp,
		       sizeof(clamp)) < 0)
		return -1;
	return 0;
}

int tcp_splice_splicefd(int cli_fd, int srv_fd, int flags)
{
	int fd;

	if (flags & ~(int)TCP_SPLICE_F_ALL) {
		errno = EINVAL;
		return -1;
	}
	fd = atomic_load(&compat_fd);
	if (fd < 0) {
		if (tcp_splice_start() < 0)
			return -1;
		fd = atomic_load(&compat_fd);
	}
	return tspi_dev_splice(fd, cli_fd, srv_fd, (unsigned int)flags, NULL);
}
