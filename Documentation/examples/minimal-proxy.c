// SPDX-License-Identifier: GPL-2.0
/*
 * minimal-proxy - the smallest useful tcp_splice client.
 *
 * Accepts IPv4 connections on LISTEN_PORT, connects each one to
 * SERVER_HOST:SERVER_PORT and hands the pair to the kernel with
 * TCP_SPLICE_IOC_SPLICE (drained: this proxy never writes a byte of its
 * own).  Then it closes its descriptors: the module holds its own
 * references to both sockets, so close() sends nothing and the spliced
 * 4-tuples stay reserved until the session ends.
 *
 *   cc -std=c11 -Wall -Wextra -Werror -Iinclude/uapi \
 *      -o minimal-proxy Documentation/examples/minimal-proxy.c
 *   ./minimal-proxy 8000 10.0.2.1 8080
 *
 * A real proxy would fall back to relaying in user space when the ioctl
 * fails (module not loaded, IPv6, options the module refuses ...); this
 * one just drops the pair.
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

static int listen_on(const char *port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int one = 1, fd;

	sin.sin_port = htons((unsigned short)atoi(port));
	sin.sin_addr.s_addr = htonl(INADDR_ANY);
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0 ||
	    listen(fd, 128) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Blocking connect to the first IPv4 address of host:port. */
static int connect_to(const char *host, const char *port)
{
	struct addrinfo hints = {
		.ai_family = AF_INET,	/* the module splices IPv4 only */
		.ai_socktype = SOCK_STREAM,
	};
	struct addrinfo *res;
	int fd;

	if (getaddrinfo(host, port, &hints, &res) != 0)
		return -1;
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen) < 0) {
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
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
	int dev, lfd;

	if (argc != 4) {
		fprintf(stderr, "usage: %s LISTEN_PORT SERVER_HOST SERVER_PORT\n",
			argv[0]);
		return 2;
	}
	dev = open(TCP_SPLICE_DEVICE, O_RDWR | O_CLOEXEC);
	if (dev < 0) {
		perror(TCP_SPLICE_DEVICE " (is tcp_splice loaded?)");
		return 1;
	}
	lfd = listen_on(argv[1]);
	if (lfd < 0) {
		perror("listen");
		return 1;
	}
	for (;;) {
		unsigned long long id = 0;
		int cfd, sfd, err;

		cfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (cfd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			perror("accept");
			return 1;
		}
		sfd = connect_to(argv[2], argv[3]);
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
