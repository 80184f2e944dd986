/* SPDX-License-Identifier: GPL-2.0 */
/*
 * tsu.h - small helpers of the libtcpsplice test programs (header only):
 * errno names, time, marker files, and a HAProxy-style relay loop.
 */
#ifndef TSU_H
#define TSU_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* "EINVAL" for EINVAL (either sign), "ok" for 0. */
static inline const char *tsu_errname(int e)
{
	const char *n;

	if (e < 0)
		e = -e;
	if (!e)
		return "ok";
	n = strerrorname_np(e);
	return n ? n : "E?";
}

static inline int64_t tsu_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline void tsu_touch(const char *path)
{
	int fd;

	if (!path)
		return;
	fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
	if (fd >= 0)
		close(fd);
}

static inline int tsu_nonblock(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/*
 * One direction of a relay: bytes read from src wait in buf until written
 * to dst; once src reported EOF and buf is empty, dst is shut down for
 * writing (the way HAProxy propagates EOF, and the exact splice point of
 * a legacy handoff).
 */
#define TSU_BUF (64 * 1024)
struct tsu_dir {
	int src, dst;
	char buf[TSU_BUF];
	size_t len, off;
	int eof, shut;
	uint64_t in, out;	/* bytes read from src, written to dst */
};

static inline void tsu_dir_init(struct tsu_dir *d, int src, int dst)
{
	memset(d, 0, sizeof(*d));
	d->src = src;
	d->dst = dst;
}

/* Queue n bytes to be written to d->dst (bytes the proxy already holds). */
static inline void tsu_dir_hold(struct tsu_dir *d, const void *p, size_t n)
{
	if (n > TSU_BUF - d->len)
		n = TSU_BUF - d->len;
	memcpy(d->buf + d->len, p, n);
	d->len += n;
}

/*
 * Relay both directions until both ended.  0, or a negative errno (a
 * reset, -ETIMEDOUT after timeout_ms).  Both fds must be non-blocking.
 */
static inline int tsu_relay(struct tsu_dir *d, int timeout_ms)
{
	int64_t end = tsu_now_ms() + timeout_ms;

	for (;;) {
		struct pollfd p[4];
		int np = 0, i, idx[4];

		for (i = 0; i < 2; i++) {
			struct tsu_dir *x = &d[i];

			if (x->off == x->len)		/* all written: reuse */
				x->off = x->len = 0;
			if (x->eof && x->off == x->len && !x->shut) {
				shutdown(x->dst, SHUT_WR);
				x->shut = 1;
			}
		}
		if (d[0].shut && d[1].shut)
			return 0;
		for (i = 0; i < 2; i++) {
			struct tsu_dir *x = &d[i];

			if (!x->eof && x->len < TSU_BUF) {
				p[np].fd = x->src;
				p[np].events = POLLIN;
				idx[np++] = i;
			}
			if (x->off < x->len) {
				p[np].fd = x->dst;
				p[np].events = POLLOUT;
				idx[np++] = 2 + i;
			}
		}
		int left = (int)(end - tsu_now_ms());

		if (left <= 0)
			return -ETIMEDOUT;
		if (poll(p, np, left) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		for (i = 0; i < np; i++) {
			struct tsu_dir *x = &d[idx[i] & 1];
			ssize_t n;

			if (!p[i].revents)
				continue;
			if (idx[i] < 2) {
				n = read(x->src, x->buf + x->len, TSU_BUF - x->len);
				if (n == 0)
					x->eof = 1;
				else if (n < 0 && errno != EAGAIN && errno != EINTR)
					return -errno;
				else if (n > 0) {
					x->len += (size_t)n;
					x->in += (uint64_t)n;
				}
			} else {
				n = write(x->dst, x->buf + x->off, x->len - x->off);
				if (n < 0 && errno != EAGAIN && errno != EINTR)
					return -errno;
				if (n > 0) {
					x->off += (size_t)n;
					x->out += (uint64_t)n;
				}
			}
		}
	}
}

#endif /* TSU_H */
