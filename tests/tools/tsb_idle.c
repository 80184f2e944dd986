// SPDX-License-Identifier: GPL-2.0
/*
 * tsb_idle - many idle TCP connections, for make bench's scale test.
 *
 *   tsb_idle listen ADDR:PORT [--ready FILE]
 *       accept forever and hold every connection (reading and dropping
 *       whatever arrives), until killed;
 *   tsb_idle connect ADDR:PORT -n N [-c CONC] [--ready FILE]
 *       open N connections, at most CONC connecting at once, send one byte
 *       on each, then hold them all until killed.  Writes "ok=N fail=N
 *       elapsed_ms=N" to stdout (and to FILE when given) once all N are
 *       up or failed.
 * Raises RLIMIT_NOFILE as far as it may.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void usage(void)
{
	fprintf(stderr, "usage: tsb_idle listen ADDR:PORT [--ready FILE]\n"
		"       tsb_idle connect ADDR:PORT -n N [-c CONC] [--ready FILE]\n");
	exit(2);
}

static void raise_nofile(void)
{
	struct rlimit rl = { 1 << 20, 1 << 20 };

	if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
		return;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void ready(const char *file, const char *line)
{
	FILE *f;
	char tmp[4096];

	fputs(line, stdout);
	fflush(stdout);
	if (!file)
		return;
	snprintf(tmp, sizeof(tmp), "%s.tmp", file);
	f = fopen(tmp, "w");
	if (!f || fputs(line, f) < 0 || fclose(f) || rename(tmp, file))
		perror(file);
}

static int do_listen(struct sockaddr_in *a, const char *rf)
{
	struct epoll_event ev, evs[64];
	int one = 1, lfd, ep, i, n;
	char buf[4096];

	lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
	ep = epoll_create1(0);
	if (lfd < 0 || ep < 0)
		return perror("socket"), 1;
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(lfd, (struct sockaddr *)a, sizeof(*a)) || listen(lfd, 4096))
		return perror("bind/listen"), 1;
	ev.events = EPOLLIN;
	ev.data.fd = lfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &ev);
	ready(rf, "listening\n");
	for (;;) {
		n = epoll_wait(ep, evs, 64, -1);
		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd;

			if (fd == lfd) {
				int c;

				while ((c = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
					ev.events = EPOLLIN;
					ev.data.fd = c;
					epoll_ctl(ep, EPOLL_CTL_ADD, c, &ev);
				}
				continue;
			}
			if (read(fd, buf, sizeof(buf)) == 0)
				close(fd);	/* the peer closed: close too */
		}
	}
}

static int do_connect(struct sockaddr_in *a, long total, long conc, const char *rf)
{
	struct epoll_event ev, evs[256];
	long started = 0, ok = 0, failed = 0, inflight = 0;
	uint64_t t0 = now_ms();
	char line[256];
	int ep = epoll_create1(0), i, n;

	if (ep < 0)
		return perror("epoll"), 1;
	while (ok + failed < total) {
		while (inflight < conc && started < total) {
			int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);

			started++;
			if (fd < 0 || (connect(fd, (struct sockaddr *)a, sizeof(*a)) &&
				       errno != EINPROGRESS)) {
				if (fd >= 0)
					close(fd);
				failed++;
				continue;
			}
			ev.events = EPOLLOUT;
			ev.data.fd = fd;
			epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
			inflight++;
		}
		n = epoll_wait(ep, evs, 256, 1000);
		for (i = 0; i < n; i++) {
			int fd = evs[i].data.fd, err = 0;
			socklen_t l = sizeof(err);

			epoll_ctl(ep, EPOLL_CTL_DEL, fd, NULL);
			inflight--;
			getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &l);
			if (err || send(fd, "x", 1, MSG_NOSIGNAL) != 1) {
				close(fd);
				failed++;
			} else {
				ok++;	/* held open from now on */
			}
		}
	}
	snprintf(line, sizeof(line), "ok=%ld fail=%ld elapsed_ms=%llu\n", ok, failed,
		 (unsigned long long)(now_ms() - t0));
	ready(rf, line);
	for (;;)
		pause();
}

int main(int argc, char **argv)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	const char *rf = NULL;
	long total = 0, conc = 64;
	char *colon;
	int i;

	if (argc < 3)
		usage();
	for (i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "-n") && i + 1 < argc)
			total = atol(argv[++i]);
		else if (!strcmp(argv[i], "-c") && i + 1 < argc)
			conc = atol(argv[++i]);
		else if (!strcmp(argv[i], "--ready") && i + 1 < argc)
			rf = argv[++i];
		else
			usage();
	}
	colon = strrchr(argv[2], ':');
	if (!colon)
		usage();
	*colon = 0;
	a.sin_port = htons((uint16_t)atoi(colon + 1));
	if (inet_pton(AF_INET, argv[2], &a.sin_addr) != 1)
		usage();
	signal(SIGPIPE, SIG_IGN);
	raise_nofile();
	if (!strcmp(argv[1], "listen"))
		return do_listen(&a, rf);
	if (!strcmp(argv[1], "connect") && total > 0 && conc > 0)
		return do_connect(&a, total, conc, rf);
	usage();
	return 2;
}
