/* SPDX-License-Identifier: GPL-2.0 */
/*
 * common.h - shared helpers of the tcp_splice test tools (header only).
 *
 * - a deterministic byte stream (splitmix64-seeded xorshift64*), so that a
 *   receiver can verify every byte without a second copy of the data;
 * - a small SHA-256;
 * - size / number parsing with K and M suffixes (KiB, MiB);
 * - monotonic time, errno names, address resolution, marker files.
 *
 * Everything is static inline so that a tool that does not use a helper
 * still builds with -Wall -Wextra -Werror.
 */
#ifndef TSP_COMMON_H
#define TSP_COMMON_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE	/* include common.h before any system header */
#endif

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>

/* ------------------------------------------------------------------ */
/* Deterministic stream                                                 */
/* ------------------------------------------------------------------ */

static inline uint64_t tsp_splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9E3779B97F4A7C15ULL);

	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

struct tsp_stream {
	uint64_t s;		/* xorshift64* state, never 0 */
	uint8_t blk[8];		/* current 8-byte block */
	unsigned int pos;	/* bytes of blk already used (8 = none left) */
};

/* Stream number @index of base seed @seed (index 0 for a single connection). */
static inline void tsp_stream_init(struct tsp_stream *st, uint64_t seed, uint64_t index)
{
	uint64_t x = seed ^ (index * 0xD1B54A32D192ED03ULL);

	st->s = tsp_splitmix64(&x);
	if (!st->s)
		st->s = 0x2545F4914F6CDD1DULL;
	st->pos = 8;
}

static inline uint64_t tsp_stream_word(struct tsp_stream *st)
{
	uint64_t x = st->s;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	st->s = x;
	return x * 0x2545F4914F6CDD1DULL;
}

static inline void tsp_put64le(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Next @n bytes of the stream into @buf. */
static inline void tsp_stream_fill(struct tsp_stream *st, void *buf, size_t n)
{
	uint8_t *p = buf;

	while (n && st->pos < 8) {
		*p++ = st->blk[st->pos++];
		n--;
	}
	while (n >= 8) {
		tsp_put64le(p, tsp_stream_word(st));
		p += 8;
		n -= 8;
	}
	if (n) {
		tsp_put64le(st->blk, tsp_stream_word(st));
		st->pos = 0;
		while (n--)
			*p++ = st->blk[st->pos++];
	}
}

/* The first 8 bytes of stream (@seed, @index), as a number. */
static inline uint64_t tsp_stream_head(uint64_t seed, uint64_t index)
{
	struct tsp_stream st;
	uint8_t b[8];
	uint64_t v = 0;

	tsp_stream_init(&st, seed, index);
	tsp_stream_fill(&st, b, 8);
	for (int i = 7; i >= 0; i--)
		v = (v << 8) | b[i];
	return v;
}

/* ------------------------------------------------------------------ */
/* SHA-256 (FIPS 180-4)                                                 */
/* ------------------------------------------------------------------ */

struct tsp_sha256 {
	uint32_t h[8];
	uint64_t len;		/* bytes hashed so far */
	uint8_t buf[64];
	unsigned int n;		/* bytes in buf */
};

static const uint32_t tsp_sha256_k[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static inline uint32_t tsp_ror32(uint32_t x, unsigned int r)
{
	return (x >> r) | (x << (32 - r));
}

static inline void tsp_sha256_init(struct tsp_sha256 *c)
{
	static const uint32_t iv[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};

	memcpy(c->h, iv, sizeof(iv));
	c->len = 0;
	c->n = 0;
}

static inline void tsp_sha256_block(struct tsp_sha256 *c, const uint8_t *p)
{
	uint32_t w[64], a, b, cc, d, e, f, g, h;
	int i;

	for (i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (i = 16; i < 64; i++) {
		uint32_t s0 = tsp_ror32(w[i - 15], 7) ^ tsp_ror32(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = tsp_ror32(w[i - 2], 17) ^ tsp_ror32(w[i - 2], 19) ^ (w[i - 2] >> 10);

		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	a = c->h[0]; b = c->h[1]; cc = c->h[2]; d = c->h[3];
	e = c->h[4]; f = c->h[5]; g = c->h[6]; h = c->h[7];
	for (i = 0; i < 64; i++) {
		uint32_t S1 = tsp_ror32(e, 6) ^ tsp_ror32(e, 11) ^ tsp_ror32(e, 25);
		uint32_t ch = (e & f) ^ (~e & g);
		uint32_t t1 = h + S1 + ch + tsp_sha256_k[i] + w[i];
		uint32_t S0 = tsp_ror32(a, 2) ^ tsp_ror32(a, 13) ^ tsp_ror32(a, 22);
		uint32_t mj = (a & b) ^ (a & cc) ^ (b & cc);
		uint32_t t2 = S0 + mj;

		h = g; g = f; f = e; e = d + t1;
		d = cc; cc = b; b = a; a = t1 + t2;
	}
	c->h[0] += a; c->h[1] += b; c->h[2] += cc; c->h[3] += d;
	c->h[4] += e; c->h[5] += f; c->h[6] += g; c->h[7] += h;
}

static inline void tsp_sha256_update(struct tsp_sha256 *c, const void *data, size_t len)
{
	const uint8_t *p = data;

	c->len += len;
	if (c->n) {
		size_t take = 64 - c->n;

		if (take > len)
			take = len;
		memcpy(c->buf + c->n, p, take);
		c->n += (unsigned int)take;
		p += take;
		len -= take;
		if (c->n < 64)
			return;
		tsp_sha256_block(c, c->buf);
		c->n = 0;
	}
	while (len >= 64) {
		tsp_sha256_block(c, p);
		p += 64;
		len -= 64;
	}
	memcpy(c->buf, p, len);
	c->n = (unsigned int)len;
}

/* Finish (the context is consumed) and write 64 hex digits + NUL to @hex. */
static inline void tsp_sha256_hex(struct tsp_sha256 *c, char hex[65])
{
	uint64_t bits = c->len * 8;
	uint8_t pad[72];
	size_t padlen = (c->n < 56) ? 56 - c->n : 120 - c->n;

	memset(pad, 0, sizeof(pad));
	pad[0] = 0x80;
	for (int i = 0; i < 8; i++)
		pad[padlen + i] = (uint8_t)(bits >> (56 - 8 * i));
	tsp_sha256_update(c, pad, padlen + 8);
	for (int i = 0; i < 8; i++)
		snprintf(hex + 8 * i, 9, "%08x", c->h[i]);
}

/* ------------------------------------------------------------------ */
/* Parsing, time, errors                                                */
/* ------------------------------------------------------------------ */

/* "123", "64K", "100M", "0x10" -> bytes; -1 on error. K = KiB, M = MiB, G = GiB. */
static inline long long tsp_parse_size(const char *s)
{
	char *end;
	unsigned long long v;

	if (!s || !*s || *s == '-')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s)
		return -1;
	switch (*end) {
	case 'k': case 'K': v <<= 10; end++; break;
	case 'm': case 'M': v <<= 20; end++; break;
	case 'g': case 'G': v <<= 30; end++; break;
	default: break;
	}
	if (*end == 'i' && end[1] == 'B')
		end += 2;
	else if (*end == 'B')
		end++;
	if (*end || v > (1ULL << 50))
		return -1;
	return (long long)v;
}

static inline int tsp_parse_u64(const char *s, uint64_t *out)
{
	char *end;

	if (!s || !*s || *s == '-')
		return -1;
	errno = 0;
	*out = strtoull(s, &end, 0);
	return (errno || *end) ? -1 : 0;
}

static inline int64_t tsp_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline int64_t tsp_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static inline const char *tsp_errname(int e)
{
	static char buf[16];

	switch (e) {
	case 0: return "ok";
	case EPERM: return "EPERM";
	case ENOENT: return "ENOENT";
	case EINTR: return "EINTR";
	case EBADF: return "EBADF";
	case EAGAIN: return "EAGAIN";
	case ENOMEM: return "ENOMEM";
	case EACCES: return "EACCES";
	case EFAULT: return "EFAULT";
	case EBUSY: return "EBUSY";
	case EXDEV: return "EXDEV";
	case ENODEV: return "ENODEV";
	case EINVAL: return "EINVAL";
	case ENOTTY: return "ENOTTY";
	case EPIPE: return "EPIPE";
	case E2BIG: return "E2BIG";
	case ELOOP: return "ELOOP";
	case ENOTSOCK: return "ENOTSOCK";
	case ENOPROTOOPT: return "ENOPROTOOPT";
	case EPROTONOSUPPORT: return "EPROTONOSUPPORT";
	case EOPNOTSUPP: return "EOPNOTSUPP";
	case EAFNOSUPPORT: return "EAFNOSUPPORT";
	case EADDRINUSE: return "EADDRINUSE";
	case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
	case ENETUNREACH: return "ENETUNREACH";
	case ECONNABORTED: return "ECONNABORTED";
	case ECONNRESET: return "ECONNRESET";
	case ENOTCONN: return "ENOTCONN";
	case ETIMEDOUT: return "ETIMEDOUT";
	case ECONNREFUSED: return "ECONNREFUSED";
	case EHOSTUNREACH: return "EHOSTUNREACH";
	case EALREADY: return "EALREADY";
	case EINPROGRESS: return "EINPROGRESS";
	case ENOSYS: return "ENOSYS";
	case ENOSPC: return "ENOSPC";
	default:
		snprintf(buf, sizeof(buf), "E%d", e);
		return buf;
	}
}

static inline void tsp_die(const char *prog, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

/* tsp_parse_size() of option @name's value @v, or exit with a message. */
static inline uint64_t tsp_need_size(const char *prog, const char *name, const char *v)
{
	long long n = tsp_parse_size(v);

	if (n < 0)
		tsp_die(prog, "bad value for %s: '%s'", name, v ? v : "(missing)");
	return (uint64_t)n;
}

/* HOST (NULL: any) and PORT to a socket address; exits on failure. */
static inline void tsp_resolve(const char *prog, const char *host, const char *port, int passive,
			       struct sockaddr_storage *ss, socklen_t *len)
{
	struct addrinfo hints, *res;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
	rc = getaddrinfo(host, port, &hints, &res);
	if (rc)
		tsp_die(prog, "cannot resolve %s:%s: %s", host ? host : "*", port, gai_strerror(rc));
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
}

/* Create @path (empty) if it does not exist; used for ready/marker files. */
static inline void tsp_touch(const char *path, const char *line)
{
	int fd;

	if (!path)
		return;
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
	if (fd < 0)
		return;
	if (line && write(fd, line, strlen(line)) < 0) {
		/* best effort */
	}
	close(fd);
}

#endif /* TSP_COMMON_H */
