// SPDX-License-Identifier: GPL-2.0
/*
 * swd_httpd - a tiny static web server for switchd's tests and demo
 * (starts in milliseconds under emulation, unlike python3 -m http.server).
 *
 *   swd_httpd -l ADDR:PORT [-l ...] [-r ROOT] [-n NAME] [--ready FILE]
 *
 * One process, epoll, non-blocking; HTTP/1.0 and 1.1 with keep-alive.
 *   GET|HEAD /FILE         a file under ROOT (sendfile)
 *   GET /echo              the request head, as received, as the body
 *   GET /sleep/MS          answers after MS milliseconds
 *   GET /FILE?rate=N       the file sent at N bytes per second (K/M
 *                          suffixes): a transfer that lasts
 *   POST|PUT /echo-body    the request body (Content-Length) sent back,
 *                          streamed as it arrives
 *   ANY /drain             reads until the client half-closes, then
 *                          answers the number of bytes that followed the
 *                          head ("N\n"): what a proxy let through
 *   GET /tunnel with an Upgrade header, and CONNECT (any target):
 *                          101 Switching Protocols or 200, then every byte
 *                          received is sent back until the client
 *                          half-closes (an opaque tunnel)
 * Every response carries "X-Server: NAME".
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
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { S_HEAD, S_SLEEP, S_SEND, S_ECHO, S_LINGER, S_DRAIN, S_TUNNEL, S_PACE };

struct conn {
	int fd;
	int st;
	char in[16384];
	size_t inlen;
	char out[17000];
	size_t outlen, outoff;
	int file;
	off_t foff, fend;
	uint64_t echo_left;
	char eb[65536];
	size_t elen, eoff;
	uint64_t wake;
	uint64_t rate, t0;	/* paced file: bytes per second, start */
	uint64_t drained;
	bool eof;
	bool ka;
	uint32_t ev;
	struct conn *snext;
};

static const char *root = ".", *name = "swd_httpd";
static int ep;
static struct conn *sleepers;
static int lfd[16], nl;

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void setev(struct conn *c, uint32_t ev)
{
	struct epoll_event e = { .events = ev, .data.ptr = c };

	if (c->ev == ev)
		return;
	epoll_ctl(ep, EPOLL_CTL_MOD, c->fd, &e);
	c->ev = ev;
}

static void cfree(struct conn *c)
{
	struct conn **pp;

	for (pp = &sleepers; *pp; pp = &(*pp)->snext)
		if (*pp == c) {
			*pp = c->snext;
			break;
		}
	if (c->file >= 0)
		close(c->file);
	close(c->fd);
	free(c);
}

static void finish(struct conn *c);

static int head_end(const char *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (b[i] != '\n')
			continue;
		if (i + 1 < n && b[i + 1] == '\n')
			return (int)(i + 2);
		if (i + 2 < n && b[i + 1] == '\r' && b[i + 2] == '\n')
			return (int)(i + 3);
	}
	return 0;
}

static const char *hdr(const char *h, size_t hl, const char *nm, size_t *vl)
{
	size_t nl2 = strlen(nm);
	const char *p = h, *e = h + hl;

	while (p < e) {
		const char *eol = memchr(p, '\n', (size_t)(e - p));

		if (!eol)
			break;
		if ((size_t)(eol - p) > nl2 && !strncasecmp(p, nm, nl2) && p[nl2] == ':') {
			const char *v = p + nl2 + 1, *ve = eol;

			while (v < ve && (*v == ' ' || *v == '\t'))
				v++;
			while (ve > v && (ve[-1] == '\r' || ve[-1] == ' '))
				ve--;
			*vl = (size_t)(ve - v);
			return v;
		}
		p = eol + 1;
	}
	return NULL;
}

static void respond_head(struct conn *c, int code, const char *reason, uint64_t len,
			 const char *ctype)
{
	int n = snprintf(c->out, sizeof(c->out),
			 "HTTP/1.1 %d %s\r\nServer: swd_httpd\r\nX-Server: %s\r\n"
			 "Content-Type: %s\r\nContent-Length: %llu\r\nConnection: %s\r\n\r\n",
			 code, reason, name, ctype, (unsigned long long)len,
			 c->ka ? "keep-alive" : "close");

	c->outlen = (size_t)n;
	c->outoff = 0;
}

static void respond_text(struct conn *c, int code, const char *reason, const char *body,
			 size_t bl)
{
	respond_head(c, code, reason, bl, "text/plain");
	if (c->outlen + bl > sizeof(c->out))
		bl = sizeof(c->out) - c->outlen;
	memcpy(c->out + c->outlen, body, bl);
	c->outlen += bl;
	c->st = S_SEND;
}

static void on_request(struct conn *c, size_t hl)
{
	char method[16], path[1024], ver[16];
	const char *v;
	size_t vl;
	bool head;

	if (sscanf(c->in, "%15s %1023s %15s", method, path, ver) != 3) {
		c->ka = false;
		respond_text(c, 400, "Bad Request", "bad request\n", 12);
		return;
	}
	c->ka = !strcmp(ver, "HTTP/1.1");
	v = hdr(c->in, hl, "Connection", &vl);
	if (v && vl >= 5 && !strncasecmp(v, "close", 5))
		c->ka = false;
	else if (v && vl >= 10 && !strncasecmp(v, "keep-alive", 10))
		c->ka = true;
	head = !strcmp(method, "HEAD");
	if (!strcmp(method, "CONNECT") ||
	    (!strcmp(path, "/tunnel") && hdr(c->in, hl, "Upgrade", &vl))) {
		int n;

		if (!strcmp(method, "CONNECT")) {
			n = snprintf(c->out, sizeof(c->out),
				     "HTTP/1.1 200 Connection established\r\nX-Server: %s\r\n\r\n", name);
		} else {
			v = hdr(c->in, hl, "Upgrade", &vl);
			n = snprintf(c->out, sizeof(c->out),
				     "HTTP/1.1 101 Switching Protocols\r\nX-Server: %s\r\n"
				     "Upgrade: %.*s\r\nConnection: Upgrade\r\n\r\n",
				     name, (int)(vl < 64 ? vl : 64), v);
		}
		c->outlen = (size_t)n;
		c->outoff = 0;
		/* tunnel bytes that came with the head */
		c->elen = c->inlen - hl;
		memcpy(c->eb, c->in + hl, c->elen);
		c->eoff = 0;
		c->inlen = 0;
		c->st = S_TUNNEL;
		return;
	} else if (!strcmp(path, "/drain")) {
		c->drained = c->inlen - hl;
		c->inlen = 0;
		c->st = S_DRAIN;
		return;
	} else if (!strcmp(path, "/echo")) {
		respond_text(c, 200, "OK", c->in, hl);
	} else if (!strncmp(path, "/sleep/", 7)) {
		c->wake = now_ms() + (uint64_t)atoi(path + 7);
		c->st = S_SLEEP;
		c->snext = sleepers;
		sleepers = c;
		setev(c, 0);
	} else if (!strcmp(path, "/echo-body") && (!strcmp(method, "POST") || !strcmp(method, "PUT"))) {
		v = hdr(c->in, hl, "Content-Length", &vl);
		if (!v) {
			c->ka = false;
			respond_text(c, 411, "Length Required", "length required\n", 16);
			return;
		}
		c->echo_left = strtoull(v, NULL, 10);
		respond_head(c, 200, "OK", c->echo_left, "application/octet-stream");
		/* bytes of the body that came with the head */
		c->elen = c->inlen - hl;
		if (c->elen > c->echo_left)
			c->elen = c->echo_left;
		memcpy(c->eb, c->in + hl, c->elen);
		c->echo_left -= c->elen;
		c->eoff = 0;
		c->inlen = 0;
		c->st = S_ECHO;
	} else if (!strcmp(method, "GET") || head) {
		char fp[2048];
		struct stat sb;
		int fd;

		if (strstr(path, "..") || path[0] != '/') {
			respond_text(c, 403, "Forbidden", "forbidden\n", 10);
			return;
		}
		{
			char *q = strchr(path, '?'), *r, *e;

			if (q) {
				r = strstr(q, "rate=");
				if (r) {
					c->rate = strtoull(r + 5, &e, 10);
					if (*e == 'k' || *e == 'K')
						c->rate <<= 10;
					else if (*e == 'm' || *e == 'M')
						c->rate <<= 20;
					c->t0 = now_ms();
				}
				*q = '\0';
			}
		}
		snprintf(fp, sizeof(fp), "%s%s", root, path);
		fd = open(fp, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &sb) < 0 || !S_ISREG(sb.st_mode)) {
			if (fd >= 0)
				close(fd);
			respond_text(c, 404, "Not Found", "not found\n", 10);
			return;
		}
		respond_head(c, 200, "OK", (uint64_t)sb.st_size, "application/octet-stream");
		if (head) {
			close(fd);
		} else {
			c->file = fd;
			c->foff = 0;
			c->fend = sb.st_size;
		}
		c->st = S_SEND;
	} else {
		c->ka = false;
		respond_text(c, 405, "Method Not Allowed", "method not allowed\n", 19);
	}
	if (c->st != S_ECHO && c->st != S_TUNNEL && c->st != S_DRAIN) {
		/* keep what follows the head (pipelining) */
		memmove(c->in, c->in + hl, c->inlen - hl);
		c->inlen -= hl;
	}
}

static void step(struct conn *c);

static void read_head(struct conn *c)
{
	for (;;) {
		int hl = head_end(c->in, c->inlen);
		ssize_t n;

		if (hl > 0) {
			c->in[c->inlen < sizeof(c->in) ? c->inlen : sizeof(c->in) - 1] = '\0';
			on_request(c, (size_t)hl);
			if (c->st != S_HEAD && c->st != S_SLEEP)
				step(c);
			return;
		}
		if (c->inlen >= sizeof(c->in) - 1) {
			c->ka = false;
			respond_text(c, 431, "Request Header Fields Too Large", "too large\n", 10);
			step(c);
			return;
		}
		n = recv(c->fd, c->in + c->inlen, sizeof(c->in) - 1 - c->inlen, 0);
		if (n > 0) {
			c->inlen += (size_t)n;
			continue;
		}
		if (n < 0 && errno == EAGAIN) {
			setev(c, EPOLLIN);
			return;
		}
		cfree(c);
		return;
	}
}

static void finish(struct conn *c)
{
	if (c->file >= 0) {
		close(c->file);
		c->file = -1;
	}
	if (c->ka) {
		c->st = S_HEAD;
		read_head(c);
		return;
	}
	shutdown(c->fd, SHUT_WR);
	c->st = S_LINGER;
	setev(c, EPOLLIN);
}

static void step(struct conn *c)
{
	ssize_t n;

	switch (c->st) {
	case S_HEAD:
		read_head(c);
		return;
	case S_SEND:
		while (c->outoff < c->outlen) {
			n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff, MSG_NOSIGNAL);
			if (n < 0) {
				if (errno == EAGAIN) {
					setev(c, EPOLLOUT);
					return;
				}
				cfree(c);
				return;
			}
			c->outoff += (size_t)n;
		}
		while (c->file >= 0 && c->foff < c->fend) {
			size_t want = (size_t)(c->fend - c->foff);

			if (c->rate) {
				/* paced: what the rate allows so far, plus 16 KiB */
				uint64_t now = now_ms();
				uint64_t allowed = c->rate * (now - c->t0) / 1000 + 16384;

				if ((uint64_t)c->foff >= allowed) {
					c->wake = now + 10;
					c->st = S_PACE;
					c->snext = sleepers;
					sleepers = c;
					setev(c, 0);
					return;
				}
				if (allowed - (uint64_t)c->foff < want)
					want = (size_t)(allowed - (uint64_t)c->foff);
			}
			n = sendfile(c->fd, c->file, &c->foff, want);
			if (n < 0) {
				if (errno == EAGAIN) {
					setev(c, EPOLLOUT);
					return;
				}
				cfree(c);
				return;
			}
			if (n == 0)
				break;
		}
		finish(c);
		return;
	case S_ECHO:
		while (c->outoff < c->outlen) {
			n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff, MSG_NOSIGNAL);
			if (n < 0) {
				if (errno == EAGAIN) {
					setev(c, EPOLLOUT);
					return;
				}
				cfree(c);
				return;
			}
			c->outoff += (size_t)n;
		}
		for (;;) {
			if (c->eoff < c->elen) {
				n = send(c->fd, c->eb + c->eoff, c->elen - c->eoff, MSG_NOSIGNAL);
				if (n < 0) {
					if (errno == EAGAIN) {
						setev(c, EPOLLOUT);
						return;
					}
					cfree(c);
					return;
				}
				c->eoff += (size_t)n;
				continue;
			}
			c->eoff = c->elen = 0;
			if (!c->echo_left)
				break;
			n = recv(c->fd, c->eb,
				 c->echo_left < sizeof(c->eb) ? (size_t)c->echo_left : sizeof(c->eb), 0);
			if (n > 0) {
				c->elen = (size_t)n;
				c->echo_left -= (uint64_t)n;
				continue;
			}
			if (n < 0 && errno == EAGAIN) {
				setev(c, EPOLLIN);
				return;
			}
			cfree(c);
			return;
		}
		finish(c);
		return;
	case S_DRAIN:
		for (;;) {
			char junk[16384];

			n = recv(c->fd, junk, sizeof(junk), 0);
			if (n > 0) {
				c->drained += (uint64_t)n;
				continue;
			}
			if (n < 0 && errno == EAGAIN) {
				setev(c, EPOLLIN);
				return;
			}
			if (n < 0) {
				cfree(c);
				return;
			}
			{
				char body[32];
				int bl = snprintf(body, sizeof(body), "%llu\n",
						  (unsigned long long)c->drained);

				c->ka = false;
				respond_text(c, 200, "OK", body, (size_t)bl);
			}
			step(c);
			return;
		}
	case S_TUNNEL:
		for (;;) {
			if (c->outoff < c->outlen) {
				n = send(c->fd, c->out + c->outoff, c->outlen - c->outoff, MSG_NOSIGNAL);
			} else if (c->eoff < c->elen) {
				n = send(c->fd, c->eb + c->eoff, c->elen - c->eoff, MSG_NOSIGNAL);
			} else if (c->eof) {
				shutdown(c->fd, SHUT_WR);
				c->st = S_LINGER;
				setev(c, EPOLLIN);
				step(c);
				return;
			} else {
				n = recv(c->fd, c->eb, sizeof(c->eb), 0);
				if (n > 0) {
					c->elen = (size_t)n;
					c->eoff = 0;
					continue;
				}
				if (n == 0) {
					c->eof = true;
					continue;
				}
				if (errno == EAGAIN) {
					setev(c, EPOLLIN);
					return;
				}
				cfree(c);
				return;
			}
			if (n < 0) {
				if (errno == EAGAIN) {
					setev(c, EPOLLOUT);
					return;
				}
				cfree(c);
				return;
			}
			if (c->outoff < c->outlen)
				c->outoff += (size_t)n;
			else
				c->eoff += (size_t)n;
		}
	case S_LINGER:
		for (;;) {
			char junk[4096];

			n = recv(c->fd, junk, sizeof(junk), 0);
			if (n > 0)
				continue;
			if (n < 0 && errno == EAGAIN)
				return;
			cfree(c);
			return;
		}
	default:
		return;
	}
}

static int listen_on(const char *spec)
{
	char host[256], port[16];
	const char *c = strrchr(spec, ':');
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE }, *res;
	int fd, one = 1;
	size_t hl;

	if (!c)
		return -1;
	hl = (size_t)(c - spec);
	if (spec[0] == '[') {
		spec++;
		hl -= 2;
	}
	if (hl >= sizeof(host))
		return -1;
	memcpy(host, spec, hl);
	host[hl] = '\0';
	snprintf(port, sizeof(port), "%s", c + 1);
	if (getaddrinfo(hl ? host : NULL, port, &hints, &res))
		return -1;
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (res->ai_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, res->ai_addr, res->ai_addrlen) < 0 || listen(fd, 4096) < 0) {
		freeaddrinfo(res);
		close(fd);
		return -1;
	}
	freeaddrinfo(res);
	return fd;
}

int main(int argc, char **argv)
{
	const char *ready = NULL;
	struct epoll_event evs[128];
	struct rlimit rl;

	signal(SIGPIPE, SIG_IGN);
	rl.rlim_cur = rl.rlim_max = 65536;
	if (setrlimit(RLIMIT_NOFILE, &rl) < 0 && getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	ep = epoll_create1(EPOLL_CLOEXEC);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-l") && i + 1 < argc && nl < 16) {
			lfd[nl] = listen_on(argv[++i]);
			if (lfd[nl] < 0) {
				fprintf(stderr, "swd_httpd: cannot listen on %s: %s\n", argv[i],
					strerror(errno));
				return 1;
			}
			{
				struct epoll_event e = { .events = EPOLLIN, .data.ptr = NULL };

				e.data.u64 = (uint64_t)nl + 1;
				epoll_ctl(ep, EPOLL_CTL_ADD, lfd[nl], &e);
			}
			nl++;
		} else if (!strcmp(argv[i], "-r") && i + 1 < argc) {
			root = argv[++i];
		} else if (!strcmp(argv[i], "-n") && i + 1 < argc) {
			name = argv[++i];
		} else if (!strcmp(argv[i], "--ready") && i + 1 < argc) {
			ready = argv[++i];
		} else {
			fprintf(stderr, "usage: swd_httpd -l ADDR:PORT [-l ...] [-r ROOT] [-n NAME] "
				"[--ready FILE]\n");
			return 2;
		}
	}
	if (!nl) {
		fprintf(stderr, "swd_httpd: no -l\n");
		return 2;
	}
	if (ready) {
		FILE *f = fopen(ready, "w");

		if (f)
			fclose(f);
	}
	for (;;) {
		int tmo = -1, n;
		uint64_t now = now_ms();

		for (struct conn *c = sleepers; c; c = c->snext) {
			int d = c->wake > now ? (int)(c->wake - now) : 0;

			if (tmo < 0 || d < tmo)
				tmo = d;
		}
		n = epoll_wait(ep, evs, 128, tmo);
		now = now_ms();
		for (int i = 0; i < n; i++) {
			if (evs[i].data.u64 >= 1 && evs[i].data.u64 <= 16) {
				int l = lfd[evs[i].data.u64 - 1];

				for (int k = 0; k < 64; k++) {
					int fd = accept4(l, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
					struct conn *c;
					struct epoll_event e;

					if (fd < 0)
						break;
					c = calloc(1, sizeof(*c));
					if (!c) {
						close(fd);
						break;
					}
					c->fd = fd;
					c->file = -1;
					c->ev = EPOLLIN;
					e.events = EPOLLIN;
					e.data.ptr = c;
					epoll_ctl(ep, EPOLL_CTL_ADD, fd, &e);
				}
				continue;
			}
			step(evs[i].data.ptr);
		}
		/* wake the sleepers that are due */
		for (;;) {
			struct conn *c, **pp;
			char body[64];
			int bl;

			for (pp = &sleepers; *pp && (*pp)->wake > now; pp = &(*pp)->snext)
				;
			if (!*pp)
				break;
			c = *pp;
			*pp = c->snext;
			if (c->st == S_PACE) {
				c->st = S_SEND;
				step(c);
				continue;
			}
			bl = snprintf(body, sizeof(body), "slept\n");
			respond_text(c, 200, "OK", body, (size_t)bl);
			step(c);
		}
	}
}
