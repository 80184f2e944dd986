// SPDX-License-Identifier: GPL-2.0
/*
 * HTTP/1.x request heads: find the end, validate, rewrite for forwarding.
 *
 * Strict where leniency lets two parsers disagree about where a message
 * ends (request smuggling): one SP between the parts of the request line,
 * no whitespace before a header's colon, no obsolete line folding, no
 * NUL or lone CR, Content-Length and Transfer-Encoding checked as RFC 9112
 * section 6 demands of a server.  Lenient where it costs nothing: LF
 * alone ends a line, empty lines before the request line are skipped.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "http.h"

static int is_tchar(unsigned char c)
{
	return isalnum(c) || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static int lc(int c)
{
	return c >= 'A' && c <= 'Z' ? c + 32 : c;
}

int span_ieq(const char *buf, struct http_span s, const char *str)
{
	size_t n = strlen(str);

	if (s.len != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (lc((unsigned char)buf[s.off + i]) != lc((unsigned char)str[i]))
			return 0;
	return 1;
}

static int mem_ieq(const char *a, size_t alen, const char *str)
{
	size_t n = strlen(str);

	if (alen != n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (lc((unsigned char)a[i]) != lc((unsigned char)str[i]))
			return 0;
	return 1;
}

long http_head_end(const char *buf, size_t len, size_t *scan)
{
	size_t i = 0, j;

	/* empty lines before the request line are skipped (RFC 9112 2.2) */
	while (i < len && (buf[i] == '\r' || buf[i] == '\n')) {
		if (buf[i] == '\r') {
			if (i + 1 >= len)
				return 0;
			if (buf[i + 1] != '\n')
				return -1;
		}
		i++;
	}
	if (i >= len)
		return 0;
	j = *scan > i ? *scan : i;
	for (; j < len; j++) {
		char c = buf[j];

		if (c == '\0')
			return -1;
		if (c == '\r') {
			if (j + 1 >= len)
				break;
			if (buf[j + 1] != '\n')
				return -1;
			continue;
		}
		if (c != '\n')
			continue;
		if (j + 1 >= len)
			break;
		if (buf[j + 1] == '\n')
			return (long)(j + 2);
		if (buf[j + 1] == '\r') {
			if (j + 2 >= len)
				break;
			if (buf[j + 2] == '\n')
				return (long)(j + 3);
			return -1;
		}
	}
	*scan = j;
	return 0;
}

/* The next line of buf[*pos..end): sets its span without the line end. */
static int next_line(const char *buf, size_t *pos, size_t end, struct http_span *l)
{
	size_t p = *pos, e;
	const char *nl;

	if (p >= end)
		return 0;
	nl = memchr(buf + p, '\n', end - p);
	if (!nl)
		return 0;
	e = (size_t)(nl - buf);
	*pos = e + 1;
	if (e > p && buf[e - 1] == '\r')
		e--;
	l->off = (uint32_t)p;
	l->len = (uint32_t)(e - p);
	return 1;
}

#define FAIL(code, msg) do { if (why) *why = (msg); return (code); } while (0)

/* Content-Length: 1*DIGIT, or a list of equal values ("5, 5"). */
static int parse_cl(const char *v, size_t n, uint64_t *out, int *seen)
{
	size_t i = 0;

	for (;;) {
		uint64_t x = 0;
		size_t d = 0;

		while (i < n && (v[i] == ' ' || v[i] == '\t'))
			i++;
		while (i < n && v[i] >= '0' && v[i] <= '9') {
			if (x > (UINT64_MAX - 9) / 10 || d >= 18)
				return -1;
			x = x * 10 + (uint64_t)(v[i] - '0');
			i++;
			d++;
		}
		if (!d)
			return -1;
		if (*seen && x != *out)
			return -1;
		*out = x;
		*seen = 1;
		while (i < n && (v[i] == ' ' || v[i] == '\t'))
			i++;
		if (i == n)
			return 0;
		if (v[i] != ',')
			return -1;
		i++;
	}
}

/*
 * Transfer-Encoding: a list of codings; chunked at most once and last.
 * *state: 0 nothing yet, 1 something not chunked last, 2 chunked last.
 * Returns 0, 400 or 501.
 */
static int parse_te(const char *v, size_t n, int *state)
{
	static const char *const known[] = {
		"chunked", "gzip", "x-gzip", "deflate", "compress", "x-compress", NULL
	};
	size_t i = 0;
	int any = 0;

	while (i < n) {
		size_t s, e;
		int k;

		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		if (i >= n)
			break;
		s = i;
		while (i < n && is_tchar((unsigned char)v[i]))
			i++;
		e = i;
		if (e == s)
			return 400;
		while (i < n && (v[i] == ' ' || v[i] == '\t'))
			i++;
		if (i < n && v[i] != ',')
			return 400;	/* parameters or garbage */
		for (k = 0; known[k]; k++)
			if (mem_ieq(v + s, e - s, known[k]))
				break;
		if (!known[k])
			return 501;
		if (*state == 2)
			return 400;	/* anything after chunked */
		*state = k == 0 ? 2 : 1;
		any = 1;
	}
	return any ? 0 : 400;
}

/* Host (or an authority): validate, lower-case, drop the port. */
static int parse_host(const char *v, size_t n, char *out, size_t cap)
{
	size_t i = 0, o = 0, hend;

	if (n == 0) {
		out[0] = '\0';
		return 0;
	}
	if (v[0] == '[') {
		while (i < n && v[i] != ']') {
			if (!isxdigit((unsigned char)v[i]) && v[i] != ':' && v[i] != '.' &&
			    v[i] != '[')
				return -1;
			i++;
		}
		if (i >= n || i < 2)
			return -1;
		i++;
	} else {
		while (i < n && v[i] != ':') {
			unsigned char c = (unsigned char)v[i];

			if (!isalnum(c) && !strchr("-._~!$&'()*+,;=%", c))
				return -1;
			i++;
		}
		if (i == 0)
			return -1;
	}
	hend = i;
	if (i < n) {
		if (v[i] != ':')
			return -1;
		for (i++; i < n; i++)
			if (!isdigit((unsigned char)v[i]))
				return -1;
	}
	if (hend > 1 && v[hend - 1] == '.')
		hend--;
	if (hend + 1 > cap)
		return -1;
	for (i = 0; i < hend; i++)
		out[o++] = (char)lc((unsigned char)v[i]);
	out[o] = '\0';
	return 0;
}

static int header_kind(const char *buf, struct http_span name)
{
	static const struct { const char *n; int k; } names[] = {
		{ "host", HH_HOST }, { "content-length", HH_CL },
		{ "transfer-encoding", HH_TE }, { "connection", HH_CONNECTION },
		{ "keep-alive", HH_KEEPALIVE }, { "proxy-connection", HH_PROXY_CONN },
		{ "upgrade", HH_UPGRADE }, { "x-forwarded-for", HH_XFF },
	};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (span_ieq(buf, name, names[i].n))
			return names[i].k;
	return HH_OTHER;
}

/* Apply the tokens of a Connection header to r->flags. */
static void conn_tokens(const char *v, size_t n, unsigned int *flags)
{
	size_t i = 0;

	while (i < n) {
		size_t s, e;

		while (i < n && (v[i] == ' ' || v[i] == '\t' || v[i] == ','))
			i++;
		s = i;
		while (i < n && v[i] != ',')
			i++;
		e = i;
		while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
			e--;
		if (mem_ieq(v + s, e - s, "close"))
			*flags |= HR_CONN_CLOSE;
		else if (mem_ieq(v + s, e - s, "keep-alive"))
			*flags |= HR_CONN_KA;
		else if (mem_ieq(v + s, e - s, "upgrade"))
			*flags |= HR_CONN_UPGRADE;
	}
}

int http_parse(const char *buf, size_t head_len, struct http_req *r, const char **why)
{
	size_t pos = 0, p, e;
	struct http_span l;
	int nhost = 0, cl_seen = 0, te_state = 0, e2;
	struct http_span hostv = { 0, 0 }, auth = { 0, 0 };
	const char *v;

	memset(r, 0, sizeof(*r));
	r->head_len = head_len;
	if (why)
		*why = NULL;
	while (pos < head_len && (buf[pos] == '\r' || buf[pos] == '\n'))
		pos++;
	r->start = pos;

	/* request-line = method SP request-target SP HTTP-version */
	if (!next_line(buf, &pos, head_len, &l) || l.len == 0)
		FAIL(400, "no request line");
	r->line = l;
	v = buf + l.off;
	e = l.len;
	for (p = 0; p < e && is_tchar((unsigned char)v[p]); p++)
		;
	if (p == 0 || p >= e || v[p] != ' ')
		FAIL(400, "malformed request line (method)");
	r->method = (struct http_span){ l.off, (uint32_t)p };
	p++;
	{
		size_t s = p;

		while (p < e && (unsigned char)v[p] > 0x20 && (unsigned char)v[p] < 0x7f)
			p++;
		if (p == s || p >= e || v[p] != ' ')
			FAIL(400, "malformed request line (target)");
		r->target = (struct http_span){ (uint32_t)(l.off + s), (uint32_t)(p - s) };
		p++;
	}
	if (e - p != 8 || memcmp(v + p, "HTTP/", 5) || !isdigit((unsigned char)v[p + 5]) ||
	    v[p + 6] != '.' || !isdigit((unsigned char)v[p + 7]))
		FAIL(400, "malformed request line (version)");
	if (v[p + 5] != '1')
		FAIL(505, "HTTP major version is not 1");
	r->minor = v[p + 7] == '0' ? 0 : 1;

	/* the request target's form */
	{
		const char *t = buf + r->target.off;
		size_t tl = r->target.len;

		if (span_ieq(buf, r->method, "CONNECT")) {
			r->flags |= HR_CONNECT;
			if (t[0] == '/' || memchr(t, '/', tl) || !memchr(t, ':', tl))
				FAIL(400, "CONNECT needs host:port");
			auth = r->target;
		} else if (t[0] == '/') {
			r->path = r->target;
		} else if (tl == 1 && t[0] == '*') {
			if (!span_ieq(buf, r->method, "OPTIONS"))
				FAIL(400, "asterisk target outside OPTIONS");
			r->path = r->target;
		} else {
			size_t sl = 0, a;

			if (tl > 7 && mem_ieq(t, 7, "http://"))
				sl = 7;
			else if (tl > 8 && mem_ieq(t, 8, "https://"))
				sl = 8;
			if (!sl)
				FAIL(400, "malformed request target");
			for (a = sl; a < tl && t[a] != '/' && t[a] != '?' && t[a] != '#'; a++)
				if (t[a] == '@')
					FAIL(400, "userinfo in the request target");
			r->flags |= HR_ABS_FORM;
			auth = (struct http_span){ (uint32_t)(r->target.off + sl), (uint32_t)(a - sl) };
			r->path = (struct http_span){ (uint32_t)(r->target.off + a),
						      (uint32_t)(tl - a) };
		}
	}

	/* header fields */
	for (;;) {
		struct http_hdr *h;
		const char *c, *lv;
		size_t vs, ve;

		if (!next_line(buf, &pos, head_len, &l))
			FAIL(400, "head ends inside a header line");
		if (l.len == 0)
			break;
		lv = buf + l.off;
		if (lv[0] == ' ' || lv[0] == '\t')
			FAIL(400, "obsolete line folding");
		c = memchr(lv, ':', l.len);
		if (!c)
			FAIL(400, "header line without colon");
		if (c == lv)
			FAIL(400, "empty header name");
		for (const char *q = lv; q < c; q++)
			if (!is_tchar((unsigned char)*q))
				FAIL(400, "invalid character in a header name");
		if (r->nhdrs >= HTTP_MAX_HDRS)
			FAIL(431, "too many header lines");
		vs = (size_t)(c - lv) + 1;
		ve = l.len;
		while (vs < ve && (lv[vs] == ' ' || lv[vs] == '\t'))
			vs++;
		while (ve > vs && (lv[ve - 1] == ' ' || lv[ve - 1] == '\t'))
			ve--;
		for (size_t q = vs; q < ve; q++) {
			unsigned char ch = (unsigned char)lv[q];

			if ((ch < 0x20 && ch != '\t') || ch == 0x7f)
				FAIL(400, "control character in a header value");
		}
		h = &r->hdrs[r->nhdrs++];
		h->name = (struct http_span){ l.off, (uint32_t)(c - lv) };
		h->value = (struct http_span){ (uint32_t)(l.off + vs), (uint32_t)(ve - vs) };
		h->kind = (uint8_t)header_kind(buf, h->name);
		switch (h->kind) {
		case HH_HOST:
			if (++nhost > 1)
				FAIL(400, "more than one Host");
			hostv = h->value;
			break;
		case HH_CL:
			if (parse_cl(buf + h->value.off, h->value.len, &r->content_length,
				     &cl_seen) < 0)
				FAIL(400, "invalid Content-Length");
			r->flags |= HR_HAS_CL;
			break;
		case HH_TE:
			e2 = parse_te(buf + h->value.off, h->value.len, &te_state);
			if (e2 == 501)
				FAIL(501, "unknown transfer coding");
			if (e2)
				FAIL(400, "invalid Transfer-Encoding");
			r->flags |= HR_HAS_TE;
			break;
		case HH_CONNECTION:
			conn_tokens(buf + h->value.off, h->value.len, &r->flags);
			break;
		case HH_UPGRADE:
			if (h->value.len)
				r->flags |= HR_UPGRADE;
			break;
		}
	}

	if (r->flags & HR_HAS_TE) {
		if (r->minor == 0)
			FAIL(400, "Transfer-Encoding in an HTTP/1.0 request");
		if (r->flags & HR_HAS_CL)
			FAIL(400, "both Content-Length and Transfer-Encoding");
		if (te_state != 2)
			FAIL(400, "chunked is not the final transfer coding");
		r->flags |= HR_CHUNKED;
	}
	if (r->minor == 1 && !nhost)
		FAIL(400, "HTTP/1.1 request without Host");
	r->authority = auth;
	if (auth.len || (r->flags & (HR_CONNECT | HR_ABS_FORM))) {
		if (parse_host(buf + auth.off, auth.len, r->host, sizeof(r->host)) < 0 ||
		    !r->host[0])
			FAIL(400, "invalid authority in the request target");
	}
	if (nhost) {
		char tmp[sizeof(r->host)];

		/* with an authority in the target, Host is checked but unused */
		if (parse_host(buf + hostv.off, hostv.len, auth.len ? tmp : r->host,
			       sizeof(tmp)) < 0)
			FAIL(400, "invalid Host");
	}
	return 0;
}

static size_t put(char *out, size_t o, size_t cap, const char *s, size_t n)
{
	if (o == (size_t)-1 || o + n > cap)
		return (size_t)-1;
	memcpy(out + o, s, n);
	return o + n;
}

#define PUTS(str) (o = put(out, o, cap, (str), strlen(str)))
#define PUTN(p, n) (o = put(out, o, cap, (p), (n)))

/* Is header h named among the tokens of the Connection headers? */
static int nominated(const char *buf, const struct http_req *r, const struct http_hdr *h)
{
	for (int i = 0; i < r->nhdrs; i++) {
		const struct http_hdr *c = &r->hdrs[i];
		const char *v = buf + c->value.off;
		size_t n = c->value.len, j = 0;

		if (c->kind != HH_CONNECTION)
			continue;
		while (j < n) {
			size_t s, e;

			while (j < n && (v[j] == ' ' || v[j] == '\t' || v[j] == ','))
				j++;
			s = j;
			while (j < n && v[j] != ',')
				j++;
			e = j;
			while (e > s && (v[e - 1] == ' ' || v[e - 1] == '\t'))
				e--;
			if (e > s && e - s == h->name.len) {
				size_t k;

				for (k = 0; k < h->name.len; k++)
					if (lc((unsigned char)v[s + k]) !=
					    lc((unsigned char)buf[h->name.off + k]))
						break;
				if (k == h->name.len)
					return 1;
			}
		}
	}
	return 0;
}

size_t http_rewrite(const char *buf, const struct http_req *r, unsigned int how,
		    const char *xff, char *out, size_t cap)
{
	size_t o = 0;
	int last_xff = -1;
	int close = (how & RW_CLOSE) &&
		    !(r->flags & HR_CONNECT) &&
		    !((r->flags & HR_UPGRADE) && (r->flags & HR_CONN_UPGRADE));

	if (how & RW_XFF)
		for (int i = 0; i < r->nhdrs; i++)
			if (r->hdrs[i].kind == HH_XFF)
				last_xff = i;
	if (r->flags & HR_ABS_FORM) {
		/* origin form towards the server, the authority as Host */
		PUTN(buf + r->method.off, r->method.len);
		PUTS(" ");
		if (!r->path.len || buf[r->path.off] != '/')
			PUTS("/");	/* "http://h" and "http://h?q" */
		PUTN(buf + r->path.off, r->path.len);
		PUTS(" ");
		PUTN(buf + r->line.off + r->line.len - 8, 8);
		PUTS("\r\nHost: ");
		PUTN(buf + r->authority.off, r->authority.len);
		PUTS("\r\n");
	} else {
		PUTN(buf + r->line.off, r->line.len);
		PUTS("\r\n");
	}
	for (int i = 0; i < r->nhdrs; i++) {
		const struct http_hdr *h = &r->hdrs[i];

		if (h->kind == HH_HOST && (r->flags & HR_ABS_FORM))
			continue;
		if (close && (h->kind == HH_CONNECTION || h->kind == HH_KEEPALIVE ||
			      h->kind == HH_PROXY_CONN || nominated(buf, r, h)))
			continue;
		PUTN(buf + h->name.off, h->name.len);
		PUTS(": ");
		PUTN(buf + h->value.off, h->value.len);
		if (i == last_xff) {
			if (h->value.len)
				PUTS(", ");
			PUTS(xff);
		}
		PUTS("\r\n");
	}
	if ((how & RW_XFF) && last_xff < 0) {
		PUTS("X-Forwarded-For: ");
		PUTS(xff);
		PUTS("\r\n");
	}
	if (close)
		PUTS("Connection: close\r\n");
	PUTS("\r\n");
	return o == (size_t)-1 ? 0 : o;
}

/* ---- response heads (auto mode's look ahead) ---------------------------- */

int http_resp_length(const char *buf, size_t len, int head_req, uint64_t *total)
{
	size_t scan = 0, pos, end;
	long hl = http_head_end(buf, len, &scan);
	struct http_span l;
	uint64_t cl = 0;
	int status, seen = 0;

	if (hl == 0)
		return RESP_MORE;
	if (hl < 0)
		return RESP_UNKNOWN;
	end = (size_t)hl;
	if (end < 13 || memcmp(buf, "HTTP/1.", 7) || buf[8] != ' ' ||
	    buf[9] < '1' || buf[9] > '5' || buf[10] < '0' || buf[10] > '9' ||
	    buf[11] < '0' || buf[11] > '9')
		return RESP_UNKNOWN;
	status = (buf[9] - '0') * 100 + (buf[10] - '0') * 10 + (buf[11] - '0');
	if (status < 200)
		return RESP_UNKNOWN;	/* interim: the final response follows */
	pos = 0;
	if (!next_line(buf, &pos, end, &l))	/* the status line */
		return RESP_UNKNOWN;
	while (next_line(buf, &pos, end, &l) && l.len) {
		const char *h = buf + l.off, *c = memchr(h, ':', l.len);
		size_t nl, vl;

		if (!c)
			return RESP_UNKNOWN;
		nl = (size_t)(c - h);
		vl = l.len - nl - 1;
		if (mem_ieq(h, nl, "transfer-encoding"))
			return RESP_UNKNOWN;
		if (mem_ieq(h, nl, "content-length") &&
		    parse_cl(c + 1, vl, &cl, &seen) < 0)
			return RESP_UNKNOWN;
	}
	if (head_req || status == 204 || status == 304) {
		*total = end;
		return RESP_LEN;
	}
	if (!seen)
		return RESP_UNKNOWN;	/* delimited by the close */
	*total = end + cl;
	return RESP_LEN;
}

/* ---- chunked request bodies -------------------------------------------- */

enum {
	CK_SIZE0,	/* first hex digit of a size line expected */
	CK_SIZE,	/* more hex digits, ';', CR or LF */
	CK_BWS,		/* blanks after the size: ';' must follow */
	CK_EXT,		/* extension: up to the end of the line */
	CK_SIZE_LF,	/* CR seen at the end of a size line */
	CK_DATA,
	CK_DATA_CR,	/* CR (or LF) after the data */
	CK_DATA_LF,
	CK_TRAILER0,	/* start of a trailer line: CR/LF ends the body */
	CK_TRAILER,	/* inside a trailer line */
	CK_TRAILER_LF,	/* CR seen at the end of a trailer line */
	CK_END_LF,	/* CR of the final empty line seen */
	CK_DONE,
	CK_BAD,
};

#define CK_MAX_LINE 4096

static int hexval(unsigned char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	ch = (unsigned char)lc(ch);
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	return -1;
}

long http_chunked_scan(struct http_chunked *c, const char *buf, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned char ch = (unsigned char)buf[i];
		int h;

		switch (c->st) {
		case CK_SIZE0:
		case CK_SIZE:
			h = hexval(ch);
			if (h >= 0) {
				if (++c->digits > 15)	/* below 2^60 */
					goto bad;
				c->left = c->left * 16 + (uint64_t)h;
				c->st = CK_SIZE;
				break;
			}
			if (c->st == CK_SIZE0)
				goto bad;
			if (ch == ';') {
				c->st = CK_EXT;
				c->line = 0;
			} else if (ch == ' ' || ch == '\t') {
				c->st = CK_BWS;
			} else if (ch == '\r') {
				c->st = CK_SIZE_LF;
			} else if (ch == '\n') {
				goto size_done;
			} else {
				goto bad;
			}
			break;
		case CK_BWS:
			if (ch == ';') {
				c->st = CK_EXT;
				c->line = 0;
			} else if (ch != ' ' && ch != '\t') {
				goto bad;
			}
			break;
		case CK_EXT:
			if (ch == '\r') {
				c->st = CK_SIZE_LF;
			} else if (ch == '\n') {
				goto size_done;
			} else if ((ch < 0x20 && ch != '\t') || ch == 0x7f ||
				   ++c->line > CK_MAX_LINE) {
				goto bad;
			}
			break;
		case CK_SIZE_LF:
			if (ch != '\n')
				goto bad;
size_done:
			c->digits = 0;
			c->st = c->left ? CK_DATA : CK_TRAILER0;
			break;
		case CK_DATA: {
			size_t n = len - i;

			if (n > c->left)
				n = (size_t)c->left;
			c->left -= n;
			i += n;
			if (!c->left)
				c->st = CK_DATA_CR;
			continue;
		}
		case CK_DATA_CR:
			if (ch == '\r')
				c->st = CK_DATA_LF;
			else if (ch == '\n')
				c->st = CK_SIZE0;
			else
				goto bad;
			break;
		case CK_DATA_LF:
			if (ch != '\n')
				goto bad;
			c->st = CK_SIZE0;
			break;
		case CK_TRAILER0:
			if (ch == '\r') {
				c->st = CK_END_LF;
			} else if (ch == '\n') {
				i++;
				c->st = CK_DONE;
				return (long)i;
			} else if (ch < 0x21 || ch == 0x7f) {
				goto bad;
			} else {
				c->st = CK_TRAILER;
				c->line = 1;
			}
			break;
		case CK_TRAILER:
			if (ch == '\r')
				c->st = CK_TRAILER_LF;
			else if (ch == '\n')
				c->st = CK_TRAILER0;
			else if ((ch < 0x20 && ch != '\t') || ch == 0x7f || ++c->line > CK_MAX_LINE)
				goto bad;
			break;
		case CK_TRAILER_LF:
			if (ch != '\n')
				goto bad;
			c->st = CK_TRAILER0;
			break;
		case CK_END_LF:
			if (ch != '\n')
				goto bad;
			i++;
			c->st = CK_DONE;
			return (long)i;
		case CK_DONE:
			return (long)i;
		default:
			goto bad;
		}
		i++;
	}
	return (long)i;
bad:
	c->st = CK_BAD;
	return -1;
}

int http_chunked_done(const struct http_chunked *c)
{
	return c->st == CK_DONE;
}

const char *http_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 408: return "Request Timeout";
	case 413: return "Content Too Large";
	case 431: return "Request Header Fields Too Large";
	case 500: return "Internal Server Error";
	case 501: return "Not Implemented";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	case 505: return "HTTP Version Not Supported";
	default: return "Error";
	}
}
