// SPDX-License-Identifier: GPL-2.0
/*
 * minimal-proxy - the smallest useful tcp_splice client.
 *
 * Accepts connections on LISTEN_PORT, connects each one to
 * SERVER_HOST:SERVER_PORT and hands the pair to the kernel with
 * TCP_SPLICE_IOC_SPLICE (drained: this proxy never writes a byte of its
 * own).  Then it closes its descriptors: the module holds its own
 * references to both sockets, so close() sends nothing and the spliced
 * 4-tuples stay reserved until the session ends.
 *
 * IPv4 and IPv6: it listens in the family of the server's first address,
 * so that both connections of a pair have the same family (the module
 * refuses an IPv4 connection with an IPv6 one: EAFNOSUPPORT).
 *
 *   cc -std=c11 -Wall -Wextra -Werror -Iinclude/uapi \
 *      -o minimal-proxy Documentation/examples/minimal-proxy.c
 *   ./minimal-proxy 8000 10.0.2.1 8080
 *
 * A real proxy would fall back to relaying in user space when the ioctl
 * fails (module not loaded, options the module refuses ...); this one
 * just drops the pair.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <linux/tcp_splice.h>

/* Listen on every address of @family (AF_INET or AF_INET6) at @port. */
static int listen_on(int family, const char *port)
{
	struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6 };
	struct sockaddr_in sin = { .sin_family = AF_INET };
	struct sockaddr *sa = (struct sockaddr *)&sin;
	socklen_t salen = sizeof(sin);
	int one = 1, fd;

	sin.sin_port = htons((unsigned short)atoi(port));
	sin.sin_addr.s_addr = htonl(INADDR_ANY);
	if (family == AF_INET6) {
		sin6.sin6_port = sin.sin_port;
		sin6.sin6_addr = in6addr_any;
		sa = (struct sockaddr *)&sin6;
		salen = sizeof(sin6);
	}
	fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    (family == AF_INET6 &&	/* IPv6 clients only: no v4-mapped */
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) < 0) ||
	    bind(fd, sa, salen) < 0 || listen(fd, 128) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Blocking connect to @ai, the server's first address. */
static int connect_to(const struct addrinfo *ai)
{
	int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/* Splice @cfd (accepted) and @sfd (connected); returns 0 or an errno. */
static int splice_pair(int dev, int cfd, int sfd, unsigned long long *id)
{
	struct tcp_splice_req req;

	memset(&req, 0, sizeof(req));	/* reserved and unknown fields: 0 */
	req.size = sizeof(req);
	req.version = TCP_SPLICE_ABI_VERSION;
	req.fd_client = cfd;
	req.fd_server = sfd;
	req.flags = TCP_SPLICE_F_DRAINED;
	if (ioctl(dev, TCP_SPLICE_IOC_SPLICE, &req) < 0)
		return errno;
	*id = req.session_id;
	return 0;
}

int main(int argc, char **argv)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM };
	struct addrinfo *srv;
	int dev, lfd, err;

	if (argc != 4) {
		fprintf(stderr, "usage: %s LISTEN_PORT SERVER_HOST SERVER_PORT\n",
			argv[0]);
		return 2;
	}
	err = getaddrinfo(argv[2], argv[3], &hints, &srv);
	if (err) {
		fprintf(stderr, "%s: %s\n", argv[2], gai_strerror(err));
		return 1;
	}
	dev = open(TCP_SPLICE_DEVICE, O_RDWR | O_CLOEXEC);
	if (dev < 0) {
		perror(TCP_SPLICE_DEVICE " (is tcp_splice loaded?)");
		return 1;
	}
	lfd = listen_on(srv->ai_family, argv[1]);
	if (lfd < 0) {
		perror("listen");
		return 1;
	}
	for (;;) {
		unsigned long long id = 0;
		int cfd, sfd;

		cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (cfd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			perror("accept");
			return 1;
		}
		sfd = connect_to(srv);
		if (sfd < 0) {
			perror("connect");
			close(cfd);
			continue;
		}
		/*
		 * Whatever the client sent already sits unread in cfd: the
		 * kernel moves it to sfd before the first spliced byte.
		 */
		err = splice_pair(dev, cfd, sfd, &id);
		if (err)
			fprintf(stderr, "splice: %s\n", strerror(err));
		else
			printf("session %llu\n", id);
		fflush(stdout);
		close(cfd);	/* spliced: the module keeps the sockets */
		close(sfd);
	}
}
