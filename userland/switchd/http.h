/* SPDX-License-Identifier: GPL-2.0 */
/*
 * HTTP/1.x request head parsing and rewriting (no I/O, no allocation).
 */
#ifndef SWITCHD_HTTP_H
#define SWITCHD_HTTP_H

#include <stddef.h>
#include <stdint.h>

#define HTTP_MAX_HDRS	128

/* http_req.flags */
#define HR_CONN_CLOSE	0x0001	/* Connection: close */
#define HR_CONN_KA	0x0002	/* Connection: keep-alive */
#define HR_CONN_UPGRADE	0x0004	/* Connection: upgrade */
#define HR_UPGRADE	0x0008	/* Upgrade header present */
#define HR_CONNECT	0x0010	/* CONNECT method */
#define HR_CHUNKED	0x0020	/* Transfer-Encoding ends in chunked */
#define HR_HAS_CL	0x0040	/* Content-Length present */
#define HR_HAS_TE	0x0080
#define HR_ABS_FORM	0x0100	/* absolute-form request target */

/* Kinds of header lines (http_hdr.kind). */
enum {
	HH_OTHER, HH_HOST, HH_CL, HH_TE, HH_CONNECTION, HH_KEEPALIVE,
	HH_PROXY_CONN, HH_UPGRADE, HH_XFF,
};

struct http_span {
	uint32_t off, len;
};

struct http_hdr {
	struct http_span name, value;
	uint8_t kind;
};

struct http_req {
	size_t head_len;	/* bytes of the head in the buffer, final
				 * empty line included */
	size_t start;		/* offset of the request line (after any
				 * leading empty lines) */
	struct http_span method, target, path, line;
	struct http_span authority;	/* absolute-form or CONNECT target's */
	int minor;		/* HTTP/1.<minor> (0 or 1) */
	unsigned int flags;
	uint64_t content_length;
	char host[256];		/* routing host: lower case, no port */
	int nhdrs;
	struct http_hdr hdrs[HTTP_MAX_HDRS];
};

/*
 * http_head_end - look for the end of a request head in buf[0..len).
 * *scan keeps the position between calls (start at 0).  Returns the
 * length of the head (final empty line included), 0 if it is not complete
 * yet, or -1 if the bytes seen cannot start a request (a NUL byte, or a
 * lone CR).
 */
long http_head_end(const char *buf, size_t len, size_t *scan);

/*
 * http_parse - parse and validate the complete head buf[0..head_len).
 * Returns 0, or the HTTP status to answer with: 400 (malformed), 431 (too
 * many header lines), 501 (unknown transfer coding), 505 (HTTP major
 * version other than 1).  On error, *why (if not NULL) names the fault.
 */
int http_parse(const char *buf, size_t head_len, struct http_req *r,
	       const char **why);

/* Ways http_rewrite may change the head. */
#define RW_CLOSE	0x1	/* force Connection: close (drop hop-by-hop
				 * connection headers) unless upgrade/CONNECT */
#define RW_XFF		0x2	/* add X-Forwarded-For: xff */

/*
 * http_rewrite - write the head to forward into out (at most cap bytes):
 * the request line and header lines with CRLF line ends, minus what
 * RW_CLOSE drops, plus X-Forwarded-For and Connection: close.  An
 * absolute-form target ("GET http://host/p HTTP/1.1") is forwarded in
 * origin form ("GET /p HTTP/1.1") with "Host: host" replacing any Host
 * header (RFC 9112 3.2.2 and 7.2).  Returns the length, or 0 if cap is
 * too small.
 */
size_t http_rewrite(const char *buf, const struct http_req *r, unsigned int how,
		    const char *xff, char *out, size_t cap);

/*
 * The framing of a chunked request body (RFC 9112 7.1), followed as its
 * bytes pass, so that switchd forwards the body and not a byte more: size
 * lines (hex digits, extensions after ';' skipped), data, the CRLF after
 * the data, the last chunk (size 0) and the trailer section up to its
 * empty line.  A bare LF ends a line, as in the head.
 */
struct http_chunked {
	int st;			/* internal state; 0 at the start */
	uint64_t left;		/* data bytes left in the current chunk */
	unsigned int digits;
	unsigned int line;	/* bytes of the current extension/trailer line */
};

/*
 * http_chunked_scan - feed the next len bytes of the body.  Returns how
 * many of them belong to the body (all of them until the end of the
 * trailers; fewer when the body ended inside buf: the rest follows the
 * body), or -1 if the framing is malformed (no hex digit, a size above
 * 2^60, a missing CRLF after the data, a control byte in a size line, a
 * size line or trailer line over 4096 bytes).  http_chunked_done() tells
 * whether the whole body has been seen.
 */
long http_chunked_scan(struct http_chunked *c, const char *buf, size_t len);
int http_chunked_done(const struct http_chunked *c);

/*
 * http_resp_length - the length of a response from its head, which
 * buf[0..len) holds at its start (the rest need not be there), for
 * switchd's auto mode to know a long response before reading it.
 * Returns RESP_MORE if the head is not complete in buf, RESP_LEN with
 * *total = head + body length (a body of Content-Length bytes; none for
 * a HEAD request, 204 or 304), or RESP_UNKNOWN (not a status line, an
 * interim 1xx response, Transfer-Encoding, no or an unclear
 * Content-Length: the body's end is not known from the head).
 */
enum { RESP_MORE, RESP_LEN, RESP_UNKNOWN };
int http_resp_length(const char *buf, size_t len, int head_req, uint64_t *total);

/* Reason phrase of a status code. */
const char *http_reason(int status);

/* Case-insensitive comparison of a span with a NUL-terminated string. */
int span_ieq(const char *buf, struct http_span s, const char *str);

#endif
