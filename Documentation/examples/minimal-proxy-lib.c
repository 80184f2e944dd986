// SPDX-License-Identifier: GPL-2.0
/*
 * minimal-proxy-lib - minimal-proxy.c written against libtcpsplice's
 * modern API (tcpsplice.h) instead of the raw ioctl.
 *
 * Accepts connections on LISTEN_PORT, connects each one to
 * SERVER_HOST:SERVER_PORT and splices the pair with tcpsplice_splice()
 * (drained: this proxy never writes a byte of its own), over the generic
 * netlink family "tcp_splice", or /dev/tcp_splice where the family is
 * absent.  Then it closes its descriptors: the module holds its own
 * references to both sockets, so close() sends nothing.  It listens in
 * the family of the server's first address (IPv4 or IPv6), so that both
 * connections of a pair have the same family.  It needs no privilege.
 *
 *   cc -std=c11 -Wall -Wextra -Werror -o minimal-proxy-lib \
 *      minimal-proxy-lib.c $(pkg-config --cflags --libs tcpsplice)
 *   ./minimal-proxy-lib 8000 10.0.2.1 8080
 *
 * A real proxy would relay the pair in user space when tcpsplice_splice()
 * fails (module not loaded, options the module refuses ...); this one
 * just drops it.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <tcpsplice.h>

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

int main(int argc, char **argv)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM };
	struct tcpsplice_handle *h;
	struct addrinfo *srv;
	int lfd, err;

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
	/* Netlink if the module has its family, else the device. */
	h = tcpsplice_open(0);
	if (!h) {
		perror("tcpsplice_open (is tcp_splice loaded?)");
		return 1;
	}
	lfd = listen_on(srv->ai_family, argv[1]);
	if (lfd < 0) {
		perror("listen");
		return 1;
	}
	for (;;) {
		uint64_t id = 0;
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
		err = tcpsplice_splice(h, cfd, sfd, TCPSPLICE_SPLICE_DRAINED, &id);
		if (err < 0)	/* a negative errno; the kernel's words: */
			fprintf(stderr, "splice: %s\n", tcpsplice_last_error(h));
		else
			printf("session %llu via %s\n", (unsigned long long)id,
			       tcpsplice_has_netlink(h) ? "netlink" : "ioctl");
		fflush(stdout);
		close(cfd);	/* spliced: the module keeps the sockets */
		close(sfd);
	}
}
