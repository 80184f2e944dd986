// SPDX-License-Identifier: GPL-2.0
/*
 * tsb_rr - short-connection HTTP load for make bench: a new TCP connection
 * per request, CONC of them in flight, for SECS seconds (or N requests),
 * with latency percentiles.
 *
 *   tsb_rr [-c CONC] [-t SECS] [-n MAX] [-H HOST] [-p PATH]
 *          [--expect-len BYTES] [--timeout SECS] ADDR:PORT
 *
 * Each request is "GET PATH HTTP/1.1", Host, Connection: close; the
 * response is read to EOF; it passes when the status is 200 and the body
 * is exactly Content-Length bytes (and --expect-len, when given).  The
 * latency of a request runs from connect() to EOF.  One line on stdout:
 *   ok=N fail=N elapsed_ms=N rps=R p50_us=N p90_us=N p99_us=N max_us=N
 *   bytes=N err_connect=N err_status=N err_short=N err_timeout=N
 * Exit status 0 when no request failed, 1 otherwise, 2 on usage errors.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
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

struct conn {
	int fd;
	bool connected;
	size_t sent;
	char head[4096];
	size_t hlen;
	bool have_head;
	int status;
	long long clen;
	unsigned long long body;
	uint64_t t0;
};

static struct sockaddr_in dst;
static char req[1024];
static size_t reqlen;
static long long expect_len = -1;
static uint64_t *lat;
static size_t nlat, caplat;
static unsigned long long ok, failed, bytes;
static unsigned long long err_connect, err_status, err_short, err_timeout;

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void record(uint64_t us)
{
	if (nlat == caplat) {
		caplat = caplat ? caplat * 2 : 4096;
		lat = realloc(lat, caplat * sizeof(*lat));
		if (!lat) {
			perror("realloc");
			exit(2);
		}
	}
	lat[nlat++] = us;
}

static int start(int ep, struct conn *c)
{
	struct epoll_event ev = { .events = EPOLLOUT | EPOLLIN, .data.ptr = c };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->clen = -1;
	c->t0 = now_us();
	if (connect(fd, (struct sockaddr *)&dst, sizeof(dst)) < 0 && errno != EINPROGRESS) {
		close(fd);
		c->fd = -1;
		return -1;
	}
	if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
		close(fd);
		c->fd = -1;
		return -1;
	}
	return 0;
}

static void finish(struct conn *c, bool good, unsigned long long *why)
{
	if (good) {
		ok++;
		record(now_us() - c->t0);
	} else {
		failed++;
		if (why)
			(*why)++;
	}
	close(c->fd);
	c->fd = -1;
}

/* Parse the status line and Content-Length once the head is complete. */
static bool parse_head(struct conn *c)
{
	char *end = memmem(c->head, c->hlen, "\r\n\r\n", 4);
	char *p;
	size_t hl;

	if (!end)
		return false;
	hl = (size_t)(end - c->head) + 4;
	c->have_head = true;
	c->head[hl - 2] = 0;
	if (sscanf(c->head, "HTTP/1.%*d %d", &c->status) != 1)
		c->status = 0;
	for (p = c->head; (p = strchr(p, '\n')); ) {
		p++;
		if (!strncasecmp(p, "content-length:", 15))
			c->clen = strtoll(p + 15, NULL, 10);
	}
	c->body = c->hlen - hl;
	return true;
}

static void on_event(struct conn *c, uint32_t events)
{
	char buf[65536];
	ssize_t n;

	if (!c->connected) {
		int err = 0;
		socklen_t l = sizeof(err);

		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &l);
		if (err || (events & (EPOLLERR | EPOLLHUP) && !(events & EPOLLIN))) {
			finish(c, false, &err_connect);
			return;
		}
		if (!(events & EPOLLOUT))
			return;
		c->connected = true;
	}
	while (c->sent < reqlen) {
		n = send(c->fd, req + c->sent, reqlen - c->sent, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN)
				return;
			finish(c, false, &err_short);
			return;
		}
		c->sent += (size_t)n;
	}
	for (;;) {
		if (!c->have_head) {
			n = recv(c->fd, c->head + c->hlen, sizeof(c->head) - 1 - c->hlen, 0);
			if (n > 0) {
				c->hlen += (size_t)n;
				bytes += (unsigned long long)n;
				if (!parse_head(c) && c->hlen == sizeof(c->head) - 1) {
					finish(c, false, &err_short);
					return;
				}
				continue;
			}
		} else {
			n = recv(c->fd, buf, sizeof(buf), 0);
			if (n > 0) {
				c->body += (unsigned long long)n;
				bytes += (unsigned long long)n;
				continue;
			}
		}
		if (n < 0 && errno == EAGAIN)
			return;
		if (n < 0 || !c->have_head) {
			finish(c, false, &err_short);
			return;
		}
		/* EOF */
		if (c->status != 200) {
			finish(c, false, &err_status);
			return;
		}
		if ((c->clen >= 0 && c->body != (unsigned long long)c->clen) ||
		    (expect_len >= 0 && c->body != (unsigned long long)expect_len)) {
			finish(c, false, &err_short);
			return;
		}
		finish(c, true, NULL);
		return;
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: tsb_rr [-c CONC] [-t SECS] [-n MAX] [-H HOST] [-p PATH]\n"
		"              [--expect-len BYTES] [--timeout SECS] ADDR:PORT\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *host = "bench", *path = "/", *target = NULL;
	long conc = 8, maxreq = 0;
	double secs = 5, tmo = 30;
	struct epoll_event evs[256];
	struct conn *cs;
	uint64_t t_start, t_end, t_stop;
	long i, inflight = 0, started = 0;
	struct rlimit rl;
	char *colon;
	int ep;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "-c") && v)
			conc = atol(argv[++i]);
		else if (!strcmp(a, "-t") && v)
			secs = atof(argv[++i]);
		else if (!strcmp(a, "-n") && v)
			maxreq = atol(argv[++i]);
		else if (!strcmp(a, "-H") && v)
			host = argv[++i];
		else if (!strcmp(a, "-p") && v)
			path = argv[++i];
		else if (!strcmp(a, "--expect-len") && v)
			expect_len = atoll(argv[++i]);
		else if (!strcmp(a, "--timeout") && v)
			tmo = atof(argv[++i]);
		else if (a[0] != '-' && !target)
			target = a;
		else
			usage();
	}
	if (!target || conc < 1 || conc > 4096 || secs <= 0)
		usage();
	colon = strrchr(target, ':');
	if (!colon)
		usage();
	*colon = 0;
	dst.sin_family = AF_INET;
	dst.sin_port = htons((uint16_t)atoi(colon + 1));
	if (inet_pton(AF_INET, target, &dst.sin_addr) != 1)
		usage();
	reqlen = (size_t)snprintf(req, sizeof(req),
				  "GET %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: tsb_rr\r\n"
				  "Connection: close\r\n\r\n", path, host);
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)conc + 64) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	cs = calloc((size_t)conc, sizeof(*cs));
	ep = epoll_create1(EPOLL_CLOEXEC);
	if (!cs || ep < 0) {
		perror("tsb_rr");
		return 2;
	}
	t_start = now_us();
	t_stop = t_start + (uint64_t)(secs * 1e6);
	for (i = 0; i < conc; i++)
		cs[i].fd = -1;
	for (;;) {
		uint64_t now = now_us();
		bool more = now < t_stop && (!maxreq || started < maxreq);
		int n, k;

		inflight = 0;
		for (i = 0; i < conc; i++) {
			if (cs[i].fd >= 0 && now - cs[i].t0 > (uint64_t)(tmo * 1e6))
				finish(&cs[i], false, &err_timeout);
			if (cs[i].fd < 0 && more && (!maxreq || started < maxreq)) {
				if (start(ep, &cs[i]) == 0)
					started++;
				else
					failed++, err_connect++;
			}
			inflight += cs[i].fd >= 0;
		}
		if (!inflight && !more)
			break;
		n = epoll_wait(ep, evs, 256, 100);
		for (k = 0; k < n; k++) {
			struct conn *c = evs[k].data.ptr;

			if (c->fd >= 0)
				on_event(c, evs[k].events);
		}
	}
	t_end = now_us();
	qsort(lat, nlat, sizeof(*lat), cmp_u64);
#define PCT(p) (nlat ? lat[(size_t)((nlat - 1) * (p) / 100.0 + 0.5)] : 0)
	printf("ok=%llu fail=%llu elapsed_ms=%llu rps=%.1f p50_us=%llu p90_us=%llu p99_us=%llu "
	       "max_us=%llu bytes=%llu err_connect=%llu err_status=%llu err_short=%llu "
	       "err_timeout=%llu\n", ok, failed,
	       (unsigned long long)((t_end - t_start) / 1000),
	       ok * 1e6 / (double)(t_end - t_start),
	       (unsigned long long)PCT(50), (unsigned long long)PCT(90),
	       (unsigned long long)PCT(99), (unsigned long long)PCT(100), bytes,
	       err_connect, err_status, err_short, err_timeout);
	return failed ? 1 : 0;
}
