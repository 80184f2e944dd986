// SPDX-License-Identifier: GPL-2.0
/*
 * swd_load - many concurrent HTTP requests from one process, each checked
 * (status, length, every body byte against a file, the X-Server header).
 *
 *   swd_load [-c CONC] [-n TOTAL] [-H HOST] [-p PATH] [-X METHOD]
 *            [--body FILE] [--raw FILE] [--http10] [--close] [--shut]
 *            [--expect-status N] [--expect-file FILE] [--expect-len N]
 *            [--timeout SECS] [--rate BYTES] [-v] ADDR:PORT
 *
 * One connection per request.  Prints one summary line:
 *   ok=N fail=N elapsed_ms=N rps=N bytes=N status_200=N server_NAME=N err_...=N
 * and exits 0 when every request passed.  --raw sends FILE verbatim as
 * the whole request (bad-input tests); the status is still counted.
 * --shut half-closes each connection once its request is sent; --rate
 * reads each response body at most that fast (K/M suffixes: a slow
 * client whose data waits in its socket).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { C_CONNECT, C_IO };

struct conn {
	int fd;
	int st;
	size_t sent;
	char head[16384];
	size_t hlen;
	bool have_head;
	int status;
	int64_t clen;
	uint64_t body;
	bool mismatch;
	char server[32];
	uint64_t deadline;
	uint64_t t_start;
	bool busy;
	bool throttled;
	uint64_t resume_at;
};

static struct sockaddr_storage dst;
static socklen_t dlen;
static char *req;
static size_t reqlen;
static const unsigned char *expect;
static size_t expect_len;
static int64_t expect_clen = -1;
static int expect_status = 200;
static int verbose;
static bool shut_after;
static uint64_t rate;		/* bytes per second per connection, 0: no limit */

static uint64_t ok, failed, total_bytes, started, finished;
static uint64_t err_connect, err_reset, err_timeout, err_mismatch, err_status, err_short;
static uint64_t status_cnt[600];
static struct { char name[32]; uint64_t n; } servers[32];
static int nservers;

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void *map_file(const char *path, size_t *len)
{
	struct stat sb;
	int fd = open(path, O_RDONLY);
	void *p;

	if (fd < 0 || fstat(fd, &sb) < 0) {
		fprintf(stderr, "swd_load: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	*len = (size_t)sb.st_size;
	if (!*len) {
		close(fd);
		return (void *)"";
	}
	p = mmap(NULL, *len, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED) {
		fprintf(stderr, "swd_load: mmap %s: %s\n", path, strerror(errno));
		exit(2);
	}
	return p;
}

static void count_server(const char *n)
{
	for (int i = 0; i < nservers; i++)
		if (!strcmp(servers[i].name, n)) {
			servers[i].n++;
			return;
		}
	if (nservers < 32) {
		snprintf(servers[nservers].name, sizeof(servers[0].name), "%s", n);
		servers[nservers++].n = 1;
	}
}

static void done(struct conn *c, const char *err)
{
	bool good = !err;

	if (c->have_head) {
		if (c->status >= 0 && c->status < 600)
			status_cnt[c->status]++;
		count_server(c->server[0] ? c->server : "-");
	}
	if (good && c->status != expect_status) {
		err = "status";
		err_status++;
		good = false;
	}
	if (good && c->clen >= 0 && c->body != (uint64_t)c->clen) {
		err = "short body";
		err_short++;
		good = false;
	}
	if (good && c->mismatch) {
		err = "body differs";
		err_mismatch++;
		good = false;
	}
	if (good && expect && c->body != expect_len) {
		err = "body length differs from the file";
		err_mismatch++;
		good = false;
	}
	if (good && expect_clen >= 0 && c->body != (uint64_t)expect_clen) {
		err = "unexpected length";
		err_mismatch++;
		good = false;
	}
	if (good) {
		ok++;
	} else {
		failed++;
		if (verbose || failed <= 5)
			fprintf(stderr, "swd_load: request failed: %s (status %d, %llu body bytes)\n",
				err, c->status, (unsigned long long)c->body);
	}
	total_bytes += c->body;
	finished++;
	close(c->fd);
	c->busy = false;
}

static void on_body(struct conn *c, const char *p, size_t n)
{
	if (expect && !c->mismatch) {
		if (c->body + n > expect_len || memcmp(expect + c->body, p, n))
			c->mismatch = true;
	}
	c->body += n;
}

static int parse_head(struct conn *c)
{
	char *e = NULL, *p;

	for (size_t i = 0; i + 4 <= c->hlen; i++)
		if (!memcmp(c->head + i, "\r\n\r\n", 4)) {
			e = c->head + i + 4;
			break;
		}
	if (!e)
		return 0;
	c->have_head = true;
	if (sscanf(c->head, "HTTP/1.%*d %d", &c->status) != 1)
		c->status = 0;
	c->clen = -1;
	for (p = c->head; p < e; p = strchr(p, '\n') + 1) {
		if (!strncasecmp(p, "Content-Length:", 15))
			c->clen = strtoll(p + 15, NULL, 10);
		else if (!strncasecmp(p, "X-Server:", 9)) {
			char *v = p + 9, *ve;

			while (*v == ' ')
				v++;
			ve = strpbrk(v, "\r\n");
			snprintf(c->server, sizeof(c->server), "%.*s", (int)(ve ? ve - v : 0), v);
		}
		if (!strchr(p, '\n'))
			break;
	}
	on_body(c, e, c->hlen - (size_t)(e - c->head));
	return 1;
}

static int start(int ep, struct conn *c, uint64_t tmo)
{
	struct epoll_event ev;
	int fd = socket(dst.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	memset(c, 0, sizeof(*c));
	c->busy = true;
	c->fd = fd;
	c->clen = -1;
	c->status = -1;
	c->deadline = now_ms() + tmo;
	c->t_start = now_ms();
	started++;
	if (fd < 0 || (connect(fd, (struct sockaddr *)&dst, dlen) < 0 && errno != EINPROGRESS)) {
		err_connect++;
		if (fd < 0)
			c->fd = open("/dev/null", O_RDONLY);
		done(c, "connect");
		return -1;
	}
	c->st = C_CONNECT;
	ev.events = EPOLLOUT | EPOLLIN;
	ev.data.ptr = c;
	epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
	return 0;
}

static void io(int ep, struct conn *c, uint32_t events)
{
	if (c->st == C_CONNECT) {
		int err = 0;
		socklen_t el = sizeof(err);

		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
		if (err) {
			err_connect++;
			done(c, strerror(err));
			return;
		}
		if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
			return;
		c->st = C_IO;
	}
	while (c->sent < reqlen) {
		ssize_t n = send(c->fd, req + c->sent, reqlen - c->sent, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EAGAIN)
				break;
			if (c->have_head || errno == EPIPE || errno == ECONNRESET)
				break;	/* the server answered early (an error) */
			err_reset++;
			done(c, strerror(errno));
			return;
		}
		c->sent += (size_t)n;
	}
	if (c->sent >= reqlen && c->st == C_IO) {
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };

		epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
		if (shut_after)
			shutdown(c->fd, SHUT_WR);
		c->st = C_IO + 1;	/* request sent */
	}
	for (;;) {
		char buf[65536];
		ssize_t n;

		if (!c->have_head) {
			n = recv(c->fd, c->head + c->hlen, sizeof(c->head) - 1 - c->hlen, 0);
			if (n > 0) {
				c->hlen += (size_t)n;
				c->head[c->hlen] = '\0';
				if (!parse_head(c) && c->hlen >= sizeof(c->head) - 1) {
					done(c, "response head too large");
					return;
				}
				if (c->have_head && c->clen >= 0 && c->body >= (uint64_t)c->clen) {
					done(c, NULL);
					return;
				}
				continue;
			}
		} else {
			size_t want = sizeof(buf);

			if (rate) {
				/* a slow reader: the rest waits in the socket */
				uint64_t allowed = rate * (now_ms() - c->t_start) / 1000;
				struct epoll_event ev = { .events = 0, .data.ptr = c };

				if (allowed <= c->body) {
					epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
					c->throttled = true;
					/* back when 64 KiB more are allowed */
					c->resume_at = c->t_start + (c->body + 65536) * 1000 / rate;
					return;
				}
				if (allowed - c->body < want)
					want = (size_t)(allowed - c->body);
			}
			n = recv(c->fd, buf, want, 0);
			if (n > 0) {
				on_body(c, buf, (size_t)n);
				if (c->clen >= 0 && c->body >= (uint64_t)c->clen) {
					done(c, NULL);
					return;
				}
				continue;
			}
		}
		if (n < 0 && errno == EAGAIN)
			return;
		if (n == 0) {
			if (!c->have_head) {
				err_reset++;
				done(c, "closed before the response");
			} else {
				done(c, NULL);
			}
			return;
		}
		err_reset++;
		done(c, strerror(errno));
		return;
	}
}

static int parse_dst(const char *s)
{
	char host[256];
	const char *c = strrchr(s, ':');
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res;
	size_t hl;

	if (!c)
		return -1;
	hl = (size_t)(c - s);
	if (s[0] == '[') {
		s++;
		hl -= 2;
	}
	if (hl >= sizeof(host))
		return -1;
	memcpy(host, s, hl);
	host[hl] = '\0';
	if (getaddrinfo(host, c + 1, &hints, &res))
		return -1;
	memcpy(&dst, res->ai_addr, res->ai_addrlen);
	dlen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

int main(int argc, char **argv)
{
	int conc = 10, total = -1, ep;
	const char *host = NULL, *path = "/", *method = NULL, *body = NULL, *raw = NULL;
	const char *target = NULL;
	bool http10 = false, close_hdr = false;
	uint64_t tmo = 30000, t0;
	struct conn *cs;
	struct rlimit rl;
	struct epoll_event evs[256];

	signal(SIGPIPE, SIG_IGN);
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "-c") && v) {
			conc = atoi(v);
			i++;
		} else if (!strcmp(a, "-n") && v) {
			total = atoi(v);
			i++;
		} else if (!strcmp(a, "-H") && v) {
			host = v;
			i++;
		} else if (!strcmp(a, "-p") && v) {
			path = v;
			i++;
		} else if (!strcmp(a, "-X") && v) {
			method = v;
			i++;
		} else if (!strcmp(a, "--body") && v) {
			body = v;
			i++;
		} else if (!strcmp(a, "--raw") && v) {
			raw = v;
			i++;
		} else if (!strcmp(a, "--http10")) {
			http10 = true;
		} else if (!strcmp(a, "--rate") && v) {
			char *end;

			rate = strtoull(v, &end, 10);
			if (*end == 'k' || *end == 'K')
				rate <<= 10;
			else if (*end == 'm' || *end == 'M')
				rate <<= 20;
			i++;
		} else if (!strcmp(a, "--shut")) {
			shut_after = true;
		} else if (!strcmp(a, "--close")) {
			close_hdr = true;
		} else if (!strcmp(a, "--expect-status") && v) {
			expect_status = atoi(v);
			i++;
		} else if (!strcmp(a, "--expect-file") && v) {
			expect = map_file(v, &expect_len);
			i++;
		} else if (!strcmp(a, "--expect-len") && v) {
			expect_clen = atoll(v);
			i++;
		} else if (!strcmp(a, "--timeout") && v) {
			tmo = (uint64_t)(atof(v) * 1000);
			i++;
		} else if (!strcmp(a, "-v")) {
			verbose = 1;
		} else if (a[0] != '-' && !target) {
			target = a;
		} else {
			fprintf(stderr, "swd_load: bad argument %s (see the source's head comment)\n", a);
			return 2;
		}
	}
	if (!target || parse_dst(target) < 0) {
		fprintf(stderr, "swd_load: need ADDR:PORT\n");
		return 2;
	}
	if (total < 0)
		total = conc;
	if (conc > total)
		conc = total;
	if (conc < 1)
		conc = 1;
	rl.rlim_cur = rl.rlim_max = 65536;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0 && getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (raw) {
		size_t n;
		void *p = map_file(raw, &n);

		req = malloc(n + 1);
		memcpy(req, p, n);
		reqlen = n;
	} else {
		size_t bl = 0;
		const char *bp = NULL;
		int hl;

		if (body)
			bp = map_file(body, &bl);
		req = malloc(2048 + bl);
		hl = snprintf(req, 2048, "%s %s HTTP/1.%d\r\nHost: %s\r\nUser-Agent: swd_load\r\n%s",
			      method ? method : body ? "POST" : "GET", path, http10 ? 0 : 1,
			      host ? host : target, close_hdr ? "Connection: close\r\n" : "");
		if (body)
			hl += snprintf(req + hl, 2048 - (size_t)hl, "Content-Length: %zu\r\n", bl);
		hl += snprintf(req + hl, 2048 - (size_t)hl, "\r\n");
		memcpy(req + hl, bp, bl);
		reqlen = (size_t)hl + bl;
	}
	ep = epoll_create1(0);
	cs = calloc((size_t)conc, sizeof(*cs));
	t0 = now_ms();
	for (int i = 0; i < conc; i++)
		start(ep, &cs[i], tmo);
	while (finished < (uint64_t)total) {
		int n = epoll_wait(ep, evs, 256, 100);
		uint64_t now = now_ms();

		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;

			if (c->busy)
				io(ep, c, evs[i].events);
		}
		for (int i = 0; i < conc; i++) {
			struct conn *c = &cs[i];

			if (c->busy && c->throttled && now >= c->resume_at) {
				struct epoll_event ev = { .events = EPOLLIN, .data.ptr = c };

				c->throttled = false;
				epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &ev);
			}
			if (c->busy && now > c->deadline) {
				err_timeout++;
				done(c, "timeout");
			}
			while (!c->busy && started < (uint64_t)total)
				start(ep, c, tmo);
		}
	}
	{
		uint64_t el = now_ms() - t0;

		printf("ok=%llu fail=%llu elapsed_ms=%llu rps=%llu bytes=%llu",
		       (unsigned long long)ok, (unsigned long long)failed, (unsigned long long)el,
		       (unsigned long long)(el ? finished * 1000 / el : finished),
		       (unsigned long long)total_bytes);
		for (int i = 0; i < 600; i++)
			if (status_cnt[i])
				printf(" status_%d=%llu", i, (unsigned long long)status_cnt[i]);
		for (int i = 0; i < nservers; i++)
			printf(" server_%s=%llu", servers[i].name, (unsigned long long)servers[i].n);
		printf(" err_connect=%llu err_reset=%llu err_timeout=%llu err_status=%llu "
		       "err_mismatch=%llu err_short=%llu\n",
		       (unsigned long long)err_connect, (unsigned long long)err_reset,
		       (unsigned long long)err_timeout, (unsigned long long)err_status,
		       (unsigned long long)err_mismatch, (unsigned long long)err_short);
	}
	return failed ? 1 : 0;
}
