// SPDX-License-Identifier: GPL-2.0
/* Host unit tests of switchd's request-head parser and rewriter. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http.h"

static int failures, checks;

#define CHECK(cond, ...) do { \
	checks++; \
	if (!(cond)) { \
		failures++; \
		fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
		fprintf(stderr, __VA_ARGS__); \
		fputc('\n', stderr); \
	} \
} while (0)

/* Parse a complete head; returns the status (0 = valid). */
static int parse(const char *s, struct http_req *r)
{
	size_t scan = 0, len = strlen(s);
	long hl = http_head_end(s, len, &scan);
	const char *why;
	/* a private copy: ASan catches reads past the head */
	char *b;
	int st;

	if (hl < 0)
		return -1;
	if (hl == 0)
		return -2;
	b = malloc((size_t)hl);
	memcpy(b, s, (size_t)hl);
	st = http_parse(b, (size_t)hl, r, &why);
	free(b);
	return st;
}

static void expect(const char *req, int want)
{
	struct http_req r;
	int got = parse(req, &r);

	CHECK(got == want, "%d, expected %d, for: %s", got, want, req);
}

static void head_end(void)
{
	size_t scan = 0;
	const char *a = "GET / HTTP/1.1\r\nHost: a\r\n\r\nbody";
	char buf[128];

	CHECK(http_head_end(a, strlen(a), &scan) == 27, "CRLF head end");
	/* byte by byte: the same end, found exactly when complete */
	scan = 0;
	for (size_t i = 1; i <= strlen(a); i++) {
		long r;

		memcpy(buf, a, i);
		r = http_head_end(buf, i, &scan);
		CHECK(i < 27 ? r == 0 : r == 27, "incremental at %zu: %ld", i, r);
	}
	scan = 0;
	CHECK(http_head_end("GET / HTTP/1.1\nHost: a\n\n", 24, &scan) == 24, "LF head end");
	scan = 0;
	CHECK(http_head_end("\r\n\r\nGET / HTTP/1.0\r\n\r\n", 22, &scan) == 22, "leading CRLF");
	scan = 0;
	CHECK(http_head_end("GET /\0 HTTP/1.0\r\n\r\n", 19, &scan) == -1, "NUL");
	scan = 0;
	CHECK(http_head_end("GET / HTTP/1.0\rX\r\n\r\n", 20, &scan) == -1, "lone CR");
	scan = 0;
	CHECK(http_head_end("\r\n\r\n", 4, &scan) == 0, "only empty lines");
}

static void parsing(void)
{
	struct http_req r;

	expect("GET / HTTP/1.1\r\nHost: a\r\n\r\n", 0);
	expect("GET / HTTP/1.0\r\n\r\n", 0);
	expect("GET / HTTP/1.1\r\n\r\n", 400);
	expect("GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", 400);
	expect("GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	expect("GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400);
	expect("GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505);
	expect("GET / HTTP/1.1\r\nHost: a\r\nHost: a\r\n\r\n", 400);
	expect("GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400);
	expect("GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", 400);
	expect("GET / HTTP/1.1\r\nHost: a\r\nX: \x01\r\n\r\n", 400);
	expect("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 400);
	expect("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 1\r\n\r\n", 400);
	expect("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400);
	expect("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2, 2\r\n\r\n", 0);
	expect("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n", 0);
	expect("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: \r\n\r\n", 400);
	expect("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: +1\r\n\r\n", 400);
	expect("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 0);
	expect("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", 400);
	expect("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked;q=1\r\n\r\n", 400);
	expect("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: br\r\n\r\n", 501);
	expect("POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: \r\n\r\n", 400);
	expect("POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400);
	expect("OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n", 0);
	expect("GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	expect("CONNECT a:443 HTTP/1.1\r\nHost: a:443\r\n\r\n", 0);
	expect("CONNECT /x HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	expect("GET http://u@a/ HTTP/1.1\r\nHost: a\r\n\r\n", 400);
	expect("GET ftp://a/ HTTP/1.1\r\nHost: a\r\n\r\n", 400);

	/* routing fields */
	CHECK(parse("GET /p/q?x HTTP/1.1\r\nHost: WWW.Example.COM.:8080\r\n\r\n", &r) == 0, "host");
	CHECK(!strcmp(r.host, "www.example.com"), "host normalised: '%s'", r.host);
	CHECK(parse("GET http://B.example:81/x HTTP/1.1\r\nHost: a\r\n\r\n", &r) == 0, "abs");
	CHECK(!strcmp(r.host, "b.example"), "absolute-form authority wins: '%s'", r.host);
	CHECK(parse("GET / HTTP/1.1\r\nHost: [::1]:80\r\n\r\n", &r) == 0, "v6 host");
	CHECK(!strcmp(r.host, "[::1]"), "IPv6 literal: '%s'", r.host);
	CHECK(parse("GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
		    &r) == 0 && (r.flags & HR_UPGRADE) && (r.flags & HR_CONN_UPGRADE), "upgrade flags");
	CHECK(parse("POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 123\r\n\r\n", &r) == 0 &&
	      r.content_length == 123 && (r.flags & HR_HAS_CL), "content length");

	/* too many header lines: 431 */
	{
		char big[8192];
		size_t o = (size_t)sprintf(big, "GET / HTTP/1.1\r\nHost: a\r\n");

		for (int i = 0; i < HTTP_MAX_HDRS + 1; i++)
			o += (size_t)sprintf(big + o, "X%d: 1\r\n", i);
		strcpy(big + o, "\r\n");
		expect(big, 431);
	}
}

static void rewrite_check(const char *req, unsigned int how, const char *want)
{
	struct http_req r;
	char out[4096];
	size_t n;

	if (parse(req, &r) != 0) {
		CHECK(0, "does not parse: %s", req);
		return;
	}
	n = http_rewrite(req, &r, how, "10.0.0.9", out, sizeof(out));
	out[n] = '\0';
	CHECK(n && !strcmp(out, want), "rewrite of:\n%s\ngave:\n%s\nexpected:\n%s", req, out, want);
}

static void rewriting(void)
{
	rewrite_check("GET / HTTP/1.1\nHost: a\nConnection: keep-alive\nKeep-Alive: 5\n\n",
		      RW_CLOSE | RW_XFF,
		      "GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 10.0.0.9\r\n"
		      "Connection: close\r\n\r\n");
	rewrite_check("GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 1.2.3.4\r\n\r\n", RW_XFF,
		      "GET / HTTP/1.1\r\nHost: a\r\nX-Forwarded-For: 1.2.3.4, 10.0.0.9\r\n\r\n");
	rewrite_check("GET / HTTP/1.1\r\nHost: a\r\nConnection: X-Hop, close\r\nX-Hop: 1\r\nX-Keep: 2\r\n\r\n",
		      RW_CLOSE,
		      "GET / HTTP/1.1\r\nHost: a\r\nX-Keep: 2\r\nConnection: close\r\n\r\n");
	rewrite_check("GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n",
		      RW_CLOSE,
		      "GET /ws HTTP/1.1\r\nHost: a\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n");
	rewrite_check("GET http://b.example:81?q=1 HTTP/1.1\r\nHost: a\r\n\r\n", 0,
		      "GET /?q=1 HTTP/1.1\r\nHost: b.example:81\r\n\r\n");
	rewrite_check("GET http://b.example/x/y HTTP/1.0\r\n\r\n", RW_CLOSE,
		      "GET /x/y HTTP/1.0\r\nHost: b.example\r\nConnection: close\r\n\r\n");
	{
		struct http_req r;
		char out[16];
		const char *q = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";

		parse(q, &r);
		CHECK(http_rewrite(q, &r, RW_XFF, "10.0.0.9", out, sizeof(out)) == 0,
		      "overflow must return 0");
	}
}

/* Scan a whole chunked body (plus what follows it) in pieces of step
 * bytes; returns the body's length, -1 if malformed, -2 if incomplete. */
static long chunked(const char *s, size_t step)
{
	struct http_chunked c = { 0 };
	size_t len = strlen(s), off = 0;
	long body = 0;

	while (off < len) {
		size_t n = len - off < step ? len - off : step;
		char *b = malloc(n);	/* ASan: no read past the piece */
		long r;

		memcpy(b, s + off, n);
		r = http_chunked_scan(&c, b, n);
		free(b);
		if (r < 0)
			return -1;
		body += r;
		if ((size_t)r < n || http_chunked_done(&c))
			return http_chunked_done(&c) ? body : -3;
		off += n;
	}
	return http_chunked_done(&c) ? body : -2;
}

static void chunked_bodies(void)
{
	static const struct { const char *s; long want; } t[] = {
		{ "0\r\n\r\n", 5 },
		{ "5\r\nhello\r\n0\r\n\r\n", 15 },
		{ "5\r\nhello\r\n0\r\n\r\nGET /x HTTP/1.1\r\n\r\n", 15 },
		{ "a\r\n0123456789\r\nA;x=y\r\n0123456789\r\n0\r\n\r\nrest", 39 },
		{ "5 ;ext\r\nhello\r\n0\r\nX-T: 1\r\nX-U: 2\r\n\r\nafter", 36 },
		{ "5\nhello\n0\n\n", 11 },		/* bare LF */
		{ "5\r\nhello\r\n0\r\n", -2 },	/* no final line yet */
		{ "5\r\nhel", -2 },
		{ "\r\n0\r\n\r\n", -1 },		/* no size */
		{ "5x\r\nhello\r\n0\r\n\r\n", -1 },
		{ "5 x\r\nhello\r\n0\r\n\r\n", -1 },	/* blank, then no ';' */
		{ "-5\r\nhello\r\n0\r\n\r\n", -1 },
		{ "5\r\nhelloX\r\n0\r\n\r\n", -1 },	/* data longer than its size */
		{ "1000000000000000\r\n", -1 },	/* 16 hex digits */
		{ "5\rhello", -1 },			/* lone CR */
		{ "0\r\nX-T: \001\r\n\r\n", -1 },	/* control byte in a trailer */
		{ "0\r\n x\r\n\r\n", -1 },		/* folded trailer */
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		for (size_t step = 1; step <= 64; step = step * 2 + 1) {
			long got = chunked(t[i].s, step);

			CHECK(got == t[i].want, "chunked #%zu step %zu: %ld, expected %ld", i, step,
			      got, t[i].want);
		}
	{
		struct http_chunked c = { 0 };

		CHECK(http_chunked_scan(&c, "0\r\n\r\n", 5) == 5 && http_chunked_done(&c) &&
		      http_chunked_scan(&c, "more", 4) == 0, "nothing after the end");
	}
}

static void responses(void)
{
	static const struct { const char *s; int head; int want; uint64_t total; } t[] = {
		{ "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\nxx", 0, RESP_LEN, 41 + 1000 },
		{ "HTTP/1.1 200 OK\r\ncontent-length:  5, 5 \r\nX: y\r\n\r\n", 0, RESP_LEN, 49 + 5 },
		{ "HTTP/1.0 200 OK\nContent-Length: 7\n\n", 0, RESP_LEN, 35 + 7 },
		{ "HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n", 1, RESP_LEN, 41 },
		{ "HTTP/1.1 304 Not Modified\r\nContent-Length: 9\r\n\r\n", 0, RESP_LEN, 48 },
		{ "HTTP/1.1 204 No Content\r\n\r\n", 0, RESP_LEN, 27 },
		{ "HTTP/1.1 200 OK\r\nContent-Length: 10", 0, RESP_MORE, 0 },
		{ "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", 0, RESP_UNKNOWN, 0 },
		{ "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 0, RESP_UNKNOWN, 0 },
		{ "HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", 0, RESP_UNKNOWN, 0 },
		{ "HTTP/1.1 200 OK\r\nServer: a\r\n\r\n", 0, RESP_UNKNOWN, 0 },	/* until the close */
		{ "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n", 0, RESP_UNKNOWN, 0 },
		{ "HTTP/1.1 101 Switching Protocols\r\n\r\n", 0, RESP_UNKNOWN, 0 },
		{ "SSH-2.0-OpenSSH\r\n\r\n", 0, RESP_UNKNOWN, 0 },
		{ "HTTP/1.1 200 OK\r\nBad line\r\n\r\n", 0, RESP_UNKNOWN, 0 },
	};

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		uint64_t total = 0;
		size_t n = strlen(t[i].s);
		char *b = malloc(n);
		int r;

		memcpy(b, t[i].s, n);
		r = http_resp_length(b, n, t[i].head, &total);
		free(b);
		CHECK(r == t[i].want && (r != RESP_LEN || total == t[i].total),
		      "response #%zu: %d total %llu, expected %d total %llu", i, r,
		      (unsigned long long)total, t[i].want, (unsigned long long)t[i].total);
	}
}

int main(void)
{
	responses();
	head_end();
	parsing();
	rewriting();
	chunked_bodies();
	printf("test_http: %d checks, %d failures\n", checks, failures);
	return failures ? 1 : 0;
}
