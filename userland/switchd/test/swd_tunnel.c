// SPDX-License-Identifier: GPL-2.0
/*
 * swd_tunnel - one raw exchange with switchd, for the cases that
 * swd_load's request/response model does not cover.
 *
 *   swd_tunnel --head FILE [--data FILE] [--more FILE] [--delay MS]
 *              [--expect-status N] [--out FILE] [--timeout SECS] ADDR:PORT
 *
 * Sends FILE (a request head, and whatever else it holds) verbatim.
 *
 * With --data (a tunnel: CONNECT, or an Upgrade answered 101): reads the
 * response head, checks its status (default 200), then streams the data
 * file through the tunnel while reading the echo back, half-closes once
 * everything is sent, and checks that exactly the data came back, byte
 * for byte, followed by EOF.
 *
 * Without --data: after --delay MS sends --more FILE (bytes that arrive
 * after the head, in a later segment), half-closes, and reads the whole
 * response to EOF (into --out FILE); checks the status when given.
 *
 * Prints one line: status=N sent=N received=N ms=N, exits 0 when every
 * check passed, 1 otherwise.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	size_t cap = 0, n = 0, r;

	if (!f) {
		fprintf(stderr, "swd_tunnel: %s: %s\n", path, strerror(errno));
		exit(2);
	}
	do {
		if (n == cap) {
			cap = cap ? cap * 2 : 65536;
			p = realloc(p, cap);
			if (!p)
				exit(2);
		}
		r = fread(p + n, 1, cap - n, f);
		n += r;
	} while (r > 0);
	fclose(f);
	*len = n;
	return p;
}

static uint64_t deadline;

/* poll one descriptor for ev until the deadline; 0 on timeout */
static int wait_fd(int fd, short ev)
{
	struct pollfd p = { .fd = fd, .events = ev };
	int64_t left = (int64_t)(deadline - now_ms());

	if (left <= 0)
		return 0;
	return poll(&p, 1, (int)left) > 0;
}

static int send_all(int fd, const char *b, size_t n)
{
	while (n) {
		ssize_t w = send(fd, b, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EAGAIN) {
			if (!wait_fd(fd, POLLOUT))
				return -1;
			continue;
		}
		if (w < 0)
			return -1;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *headf = NULL, *dataf = NULL, *moref = NULL, *outf = NULL, *addr = NULL;
	int expect = -1, delay = 0, tmo = 30, fd, status = -1, rc = 0;
	char *head, *data = NULL, *more = NULL, host[256], *c;
	size_t hlen, dlen = 0, mlen = 0, sent = 0, got = 0;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res;
	char rbuf[65536], resp[16384];
	size_t rlen = 0;
	bool mismatch = false;
	FILE *out = NULL;
	uint64_t t0 = now_ms();

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--head") && v) {
			headf = v; i++;
		} else if (!strcmp(a, "--data") && v) {
			dataf = v; i++;
		} else if (!strcmp(a, "--more") && v) {
			moref = v; i++;
		} else if (!strcmp(a, "--out") && v) {
			outf = v; i++;
		} else if (!strcmp(a, "--delay") && v) {
			delay = atoi(v); i++;
		} else if (!strcmp(a, "--expect-status") && v) {
			expect = atoi(v); i++;
		} else if (!strcmp(a, "--timeout") && v) {
			tmo = atoi(v); i++;
		} else if (a[0] != '-' && !addr) {
			addr = a;
		} else {
			fprintf(stderr, "usage: swd_tunnel --head FILE [--data FILE] [--more FILE] "
				"[--delay MS] [--expect-status N] [--out FILE] [--timeout SECS] "
				"ADDR:PORT\n");
			return 2;
		}
	}
	if (!headf || !addr)
		return 2;
	deadline = now_ms() + (uint64_t)tmo * 1000;
	head = slurp(headf, &hlen);
	if (dataf)
		data = slurp(dataf, &dlen);
	if (moref)
		more = slurp(moref, &mlen);
	c = strrchr(addr, ':');
	if (!c || (size_t)(c - addr) >= sizeof(host))
		return 2;
	memcpy(host, addr, (size_t)(c - addr));
	host[c - addr] = '\0';
	if (getaddrinfo(host, c + 1, &hints, &res))
		return 2;
	fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, res->ai_addr, res->ai_addrlen) < 0) {
		fprintf(stderr, "swd_tunnel: connect %s: %s\n", addr, strerror(errno));
		return 1;
	}
	freeaddrinfo(res);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	if (outf) {
		out = fopen(outf, "wb");
		if (!out)
			return 2;
	}
	if (send_all(fd, head, hlen) < 0) {
		fprintf(stderr, "swd_tunnel: sending the head: %s\n", strerror(errno));
		return 1;
	}
	if (!dataf) {
		if (delay)
			usleep((useconds_t)delay * 1000);
		if (mlen && send_all(fd, more, mlen) < 0) {
			fprintf(stderr, "swd_tunnel: sending more: %s\n", strerror(errno));
			rc = 1;
		}
		shutdown(fd, SHUT_WR);
		for (;;) {
			ssize_t n = recv(fd, rbuf, sizeof(rbuf), 0);

			if (n > 0) {
				if (rlen < sizeof(resp) - 1) {
					size_t k = (size_t)n < sizeof(resp) - 1 - rlen ?
						   (size_t)n : sizeof(resp) - 1 - rlen;

					memcpy(resp + rlen, rbuf, k);
					rlen += k;
				}
				if (out)
					fwrite(rbuf, 1, (size_t)n, out);
				got += (size_t)n;
				continue;
			}
			if (n < 0 && errno == EAGAIN) {
				if (!wait_fd(fd, POLLIN)) {
					fprintf(stderr, "swd_tunnel: timeout\n");
					rc = 1;
					break;
				}
				continue;
			}
			if (n < 0) {
				fprintf(stderr, "swd_tunnel: recv: %s\n", strerror(errno));
				rc = 1;
			}
			break;
		}
		resp[rlen] = '\0';
		if (sscanf(resp, "HTTP/1.%*d %d", &status) != 1)
			status = -1;
		sent = hlen + mlen;
		goto report;
	}
	/* the tunnel: the response head first */
	for (;;) {
		ssize_t n = recv(fd, resp + rlen, sizeof(resp) - 1 - rlen, 0);
		char *e;

		if (n < 0 && errno == EAGAIN) {
			if (!wait_fd(fd, POLLIN)) {
				fprintf(stderr, "swd_tunnel: no response head\n");
				return 1;
			}
			continue;
		}
		if (n <= 0) {
			fprintf(stderr, "swd_tunnel: closed before the response head\n");
			return 1;
		}
		rlen += (size_t)n;
		resp[rlen] = '\0';
		e = strstr(resp, "\r\n\r\n");
		if (!e) {
			if (rlen >= sizeof(resp) - 1)
				return 1;
			continue;
		}
		if (sscanf(resp, "HTTP/1.%*d %d", &status) != 1)
			status = -1;
		e += 4;
		/* echo bytes that came with the head */
		got = rlen - (size_t)(e - resp);
		if (got > dlen || memcmp(e, data, got))
			mismatch = true;
		break;
	}
	if (status != (expect < 0 ? 200 : expect)) {
		fprintf(stderr, "swd_tunnel: status %d\n", status);
		rc = 1;
		goto report;
	}
	{
		bool shut = false, eof = false;

		while (!eof) {
			struct pollfd p = { .fd = fd, .events = POLLIN };
			int64_t left = (int64_t)(deadline - now_ms());
			ssize_t n;

			if (sent < dlen)
				p.events |= POLLOUT;
			if (left <= 0 || poll(&p, 1, (int)left) <= 0) {
				fprintf(stderr, "swd_tunnel: timeout (sent %zu of %zu, got %zu)\n",
					sent, dlen, got);
				rc = 1;
				break;
			}
			if (sent < dlen && (p.revents & POLLOUT)) {
				n = send(fd, data + sent, dlen - sent < 65536 ? dlen - sent : 65536,
					 MSG_NOSIGNAL);
				if (n > 0)
					sent += (size_t)n;
				else if (n < 0 && errno != EAGAIN) {
					fprintf(stderr, "swd_tunnel: send: %s\n", strerror(errno));
					rc = 1;
					break;
				}
			}
			if (sent == dlen && !shut) {
				shutdown(fd, SHUT_WR);
				shut = true;
			}
			for (;;) {
				n = recv(fd, rbuf, sizeof(rbuf), 0);
				if (n > 0) {
					if (got + (size_t)n > dlen ||
					    memcmp(rbuf, data + got, (size_t)n))
						mismatch = true;
					got += (size_t)n;
					continue;
				}
				if (n == 0)
					eof = true;
				else if (errno != EAGAIN) {
					fprintf(stderr, "swd_tunnel: recv: %s\n", strerror(errno));
					rc = 1;
					eof = true;
				}
				break;
			}
		}
	}
	if (mismatch || got != dlen) {
		fprintf(stderr, "swd_tunnel: the echo differs (%zu of %zu bytes back%s)\n", got,
			dlen, mismatch ? ", content differs" : "");
		rc = 1;
	}
report:
	if (!dataf && expect >= 0 && status != expect) {
		fprintf(stderr, "swd_tunnel: status %d, expected %d\n", status, expect);
		rc = 1;
	}
	if (out)
		fclose(out);
	printf("status=%d sent=%zu received=%zu ms=%llu\n", status, sent, got,
	       (unsigned long long)(now_ms() - t0));
	close(fd);
	return rc;
}
