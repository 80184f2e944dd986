// SPDX-License-Identifier: GPL-2.0
/*
 * The configuration file (switchd.conf(5)): sections "global", "listener
 * NAME" and "backend NAME", one directive per line, '#' comments.
 * Directives before the first section are global.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "switchd.h"

void *xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz ? sz : 1);

	if (!p) {
		fputs("switchd: out of memory\n", stderr);
		abort();
	}
	return p;
}

char *xstrdup(const char *s)
{
	char *p = strdup(s);

	if (!p) {
		fputs("switchd: out of memory\n", stderr);
		abort();
	}
	return p;
}

static void *xrealloc(void *p, size_t sz)
{
	p = realloc(p, sz);
	if (!p) {
		fputs("switchd: out of memory\n", stderr);
		abort();
	}
	return p;
}

static const char *const mode_names[] = { "kernel", "pipe", "copy", "auto" };

const char *splice_mode_name(int m)
{
	return m >= 0 && m <= SPLICE_AUTO ? mode_names[m] : "?";
}

int splice_mode_parse(const char *s)
{
	for (int i = 0; i <= SPLICE_AUTO; i++)
		if (!strcmp(s, mode_names[i]))
			return i;
	return -1;
}

/*
 * The bytes a session of listener l in mode m relays in user space before
 * the kernel handoff: the listener's splice-after, else the global one,
 * else by mode: auto keeps short exchanges in user space (the handoff's
 * fixed cost is repaid only by long transfers, Documentation/switchd.rst),
 * kernel hands off at once.
 */
int64_t splice_after_of(const struct listener *l, const struct conf *c, int m)
{
	if (l && l->splice_after >= 0)
		return l->splice_after;
	if (c->splice_after >= 0)
		return c->splice_after;
	return m == SPLICE_AUTO ? AUTO_SPLICE_AFTER : 0;
}

/* "10", "10s", "250ms", "2m", "1h" -> ms.  A bare number is seconds. */
int parse_time(const char *s, int64_t *out)
{
	char *end;
	long long v;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || v < 0)
		return -1;
	if (!strcmp(end, "") || !strcmp(end, "s"))
		v *= 1000;
	else if (!strcmp(end, "ms"))
		;
	else if (!strcmp(end, "m"))
		v *= 60000;
	else if (!strcmp(end, "h"))
		v *= 3600000;
	else
		return -1;
	if (v > (long long)INT32_MAX * 1000LL)
		return -1;
	*out = v;
	return 0;
}

/* "512", "16k", "1m", "2g" (powers of 1024) -> bytes. */
int parse_size(const char *s, int64_t *out)
{
	char *end;
	long long v;
	int shift = 0;

	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno || end == s || v < 0)
		return -1;
	switch (tolower((unsigned char)*end)) {
	case '\0': break;
	case 'k': shift = 10; end++; break;
	case 'm': shift = 20; end++; break;
	case 'g': shift = 30; end++; break;
	default: return -1;
	}
	if (*end == 'b' || *end == 'B')
		end++;
	if (*end || v > (INT64_MAX >> shift))
		return -1;
	*out = (int64_t)v << shift;
	return 0;
}

void addr_str(const struct sockaddr *sa, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];

	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;

		inet_ntop(AF_INET, &in->sin_addr, ip, sizeof(ip));
		snprintf(buf, len, "%s:%u", ip, ntohs(in->sin_port));
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
			inet_ntop(AF_INET, &in6->sin6_addr.s6_addr[12], ip, sizeof(ip));
			snprintf(buf, len, "%s:%u", ip, ntohs(in6->sin6_port));
		} else {
			inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof(ip));
			snprintf(buf, len, "[%s]:%u", ip, ntohs(in6->sin6_port));
		}
	} else {
		snprintf(buf, len, "?");
	}
}

/*
 * "10.0.0.1:80", "[::1]:80", "*:80" (IPv4 any), "[::]:80", "host:80"
 * (resolved now, first address).  defport < 0: the port is mandatory.
 */
int parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len, int defport)
{
	char host[256], port[16];
	const char *c;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM }, *res;
	size_t hl;

	if (s[0] == '[') {
		c = strchr(s, ']');
		if (!c)
			return -1;
		hl = (size_t)(c - s - 1);
		if (hl >= sizeof(host))
			return -1;
		memcpy(host, s + 1, hl);
		host[hl] = '\0';
		c++;
		hints.ai_family = AF_INET6;
	} else {
		c = strrchr(s, ':');
		hl = c ? (size_t)(c - s) : strlen(s);
		if (hl >= sizeof(host) || (c && strchr(s, ':') != c))
			return -1;
		memcpy(host, s, hl);
		host[hl] = '\0';
		if (!strcmp(host, "*") || !host[0])
			strcpy(host, "0.0.0.0");
		if (!c)
			c = s + hl;
	}
	if (*c == ':') {
		char *end;
		long p = strtol(c + 1, &end, 10);

		if (*end || p < 1 || p > 65535)
			return -1;
		snprintf(port, sizeof(port), "%ld", p);
	} else if (*c == '\0' && defport > 0) {
		snprintf(port, sizeof(port), "%d", defport);
	} else {
		return -1;
	}
	hints.ai_flags = AI_NUMERICSERV;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		return -1;
	memset(ss, 0, sizeof(*ss));
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

/* ---- parser ----------------------------------------------------------- */

#define MAXTOK 64

struct pctx {
	const char *file;
	int line;
	char *err;
	size_t errlen;
	struct conf *c;
	struct listener *lis;
	struct backend *be;
};

static int perr(struct pctx *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int perr(struct pctx *p, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(p->err, p->errlen, "%s:%d: ", p->file, p->line);
	if (n < 0 || (size_t)n >= p->errlen)
		return -1;
	va_start(ap, fmt);
	vsnprintf(p->err + n, p->errlen - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

static int tokenize(char *s, char **tok)
{
	int n = 0;

	for (;;) {
		while (*s && isspace((unsigned char)*s))
			s++;
		if (!*s || *s == '#')
			break;
		if (n >= MAXTOK)
			return -1;
		tok[n++] = s;
		while (*s && !isspace((unsigned char)*s))
			s++;
		if (*s)
			*s++ = '\0';
	}
	return n;
}

static int want(struct pctx *p, int n, int min, int max, const char *usage)
{
	if (n < min || n > max)
		return perr(p, "usage: %s", usage);
	return 0;
}

static int num(struct pctx *p, const char *s, int lo, int hi, int *out, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || end == s || v < lo || v > hi)
		return perr(p, "%s: '%s' is not an integer in [%d, %d]", what, s, lo, hi);
	*out = (int)v;
	return 0;
}

static int tm(struct pctx *p, const char *s, int64_t *out)
{
	if (parse_time(s, out) < 0)
		return perr(p, "bad time '%s' (examples: 5s, 250ms, 2m)", s);
	return 0;
}

static int sz(struct pctx *p, const char *s, int64_t *out)
{
	if (parse_size(s, out) < 0)
		return perr(p, "bad size '%s' (examples: 8192, 16k, 1m)", s);
	return 0;
}

/* "timeout client-header|connect|idle|grace T" */
static int do_timeout(struct pctx *p, char **t, int n, int64_t *head, int64_t *conn,
		      int64_t *idle, int64_t *grace)
{
	int64_t v;
	int64_t *dst = NULL;

	if (want(p, n, 3, 3, "timeout client-header|connect|idle|grace TIME"))
		return -1;
	if (!strcmp(t[1], "client-header"))
		dst = head;
	else if (!strcmp(t[1], "connect"))
		dst = conn;
	else if (!strcmp(t[1], "idle"))
		dst = idle;
	else if (!strcmp(t[1], "grace"))
		dst = grace;
	if (!dst)
		return perr(p, "timeout %s: not valid in this section", t[1]);
	if (tm(p, t[2], &v))
		return -1;
	*dst = v;
	return 0;
}

static int kw_global(struct pctx *p, char **t, int n)
{
	struct conf *c = p->c;
	int64_t v;
	int m;

	if (!strcmp(t[0], "user") || !strcmp(t[0], "group")) {
		char **dst = t[0][0] == 'u' ? &c->user : &c->group;

		if (want(p, n, 2, 2, "user NAME | group NAME"))
			return -1;
		free(*dst);
		*dst = xstrdup(t[1]);
	} else if (!strcmp(t[0], "workers")) {
		if (want(p, n, 2, 2, "workers N") || num(p, t[1], 1, 64, &c->workers, "workers"))
			return -1;
	} else if (!strcmp(t[0], "splice")) {
		if (want(p, n, 2, 2, "splice kernel|pipe|copy|auto"))
			return -1;
		m = splice_mode_parse(t[1]);
		if (m < 0)
			return perr(p, "splice: '%s' is not kernel, pipe, copy or auto", t[1]);
		c->splice = m;
	} else if (!strcmp(t[0], "splice-threads")) {
		if (want(p, n, 2, 2, "splice-threads N") ||
		    num(p, t[1], 1, 256, &c->splice_threads, "splice-threads"))
			return -1;
	} else if (!strcmp(t[0], "splice-after")) {
		if (want(p, n, 2, 2, "splice-after SIZE") || sz(p, t[1], &c->splice_after))
			return -1;
	} else if (!strcmp(t[0], "stats-socket")) {
		if (want(p, n, 2, 4, "stats-socket PATH [mode OCTAL]"))
			return -1;
		free(c->stats_path);
		c->stats_path = xstrdup(t[1]);
		if (n == 4) {
			char *end;
			long md = strtol(t[3], &end, 8);

			if (strcmp(t[2], "mode") || *end || md < 0 || md > 0777)
				return perr(p, "usage: stats-socket PATH [mode OCTAL]");
			c->stats_mode = (int)md;
		} else if (n == 3) {
			return perr(p, "usage: stats-socket PATH [mode OCTAL]");
		}
	} else if (!strcmp(t[0], "log")) {
		if (want(p, n, 2, 2, "log stderr|stdout|syslog|PATH"))
			return -1;
		free(c->log);
		c->log = xstrdup(t[1]);
	} else if (!strcmp(t[0], "pidfile")) {
		if (want(p, n, 2, 2, "pidfile PATH"))
			return -1;
		free(c->pidfile);
		c->pidfile = xstrdup(t[1]);
	} else if (!strcmp(t[0], "max-conn")) {
		if (want(p, n, 2, 2, "max-conn N") ||
		    num(p, t[1], 1, 10000000, &c->max_conn, "max-conn"))
			return -1;
	} else if (!strcmp(t[0], "pipe-pool")) {
		if (want(p, n, 2, 2, "pipe-pool N") ||
		    num(p, t[1], 0, 1000000, &c->pipe_pool, "pipe-pool"))
			return -1;
	} else if (!strcmp(t[0], "buffer-size")) {
		if (want(p, n, 2, 2, "buffer-size SIZE") || sz(p, t[1], &v))
			return -1;
		if (v < 1024 || v > (16 << 20))
			return perr(p, "buffer-size: between 1k and 16m");
		c->buf_size = v;
	} else if (!strcmp(t[0], "events-buffer")) {
		if (want(p, n, 2, 2, "events-buffer SIZE") || sz(p, t[1], &v))
			return -1;
		if (v < 4096 || v > (256 << 20))
			return perr(p, "events-buffer: between 4k and 256m");
		c->events_buf = v;
	} else if (!strcmp(t[0], "timeout")) {
		return do_timeout(p, t, n, &c->t_head, &c->t_connect, &c->t_idle, &c->t_grace);
	} else if (!strcmp(t[0], "max-header")) {
		if (want(p, n, 2, 2, "max-header SIZE") || sz(p, t[1], &c->max_header))
			return -1;
	} else if (!strcmp(t[0], "max-body")) {
		if (want(p, n, 2, 2, "max-body SIZE") || sz(p, t[1], &c->max_body))
			return -1;
	} else {
		return perr(p, "unknown global directive '%s'", t[0]);
	}
	return 0;
}

static int kw_listener(struct pctx *p, char **t, int n)
{
	struct listener *l = p->lis;
	int64_t dummy_c = -1, dummy_g = -1;
	int m;

	if (!strcmp(t[0], "bind")) {
		if (want(p, n, 2, MAXTOK, "bind ADDR:PORT..."))
			return -1;
		for (int i = 1; i < n; i++) {
			struct bind *b;

			l->binds = xrealloc(l->binds, sizeof(*b) * (size_t)(l->nbinds + 1));
			b = &l->binds[l->nbinds];
			memset(b, 0, sizeof(*b));
			if (parse_addr(t[i], &b->addr, &b->alen, -1) < 0)
				return perr(p, "bind: bad address '%s' (IP:PORT or [IPv6]:PORT)", t[i]);
			addr_str((struct sockaddr *)&b->addr, b->str, sizeof(b->str));
			b->ev.kind = EV_LISTEN;
			b->ev.fd = -1;
			l->nbinds++;
		}
	} else if (!strcmp(t[0], "mode")) {
		if (want(p, n, 2, 2, "mode http|tcp"))
			return -1;
		if (!strcmp(t[1], "http"))
			l->mode = LIS_HTTP;
		else if (!strcmp(t[1], "tcp"))
			l->mode = LIS_TCP;
		else
			return perr(p, "mode: '%s' is not http or tcp", t[1]);
	} else if (!strcmp(t[0], "splice")) {
		if (want(p, n, 2, 2, "splice kernel|pipe|copy|auto"))
			return -1;
		m = splice_mode_parse(t[1]);
		if (m < 0)
			return perr(p, "splice: '%s' is not kernel, pipe, copy or auto", t[1]);
		l->splice = m;
	} else if (!strcmp(t[0], "keepalive")) {
		if (want(p, n, 2, 2, "keepalive close|tunnel"))
			return -1;
		if (!strcmp(t[1], "close"))
			l->keepalive = KA_CLOSE;
		else if (!strcmp(t[1], "tunnel"))
			l->keepalive = KA_TUNNEL;
		else
			return perr(p, "keepalive: '%s' is not close or tunnel", t[1]);
	} else if (!strcmp(t[0], "forwardfor")) {
		if (want(p, n, 2, 2, "forwardfor on|off"))
			return -1;
		if (strcmp(t[1], "on") && strcmp(t[1], "off"))
			return perr(p, "forwardfor: on or off");
		l->xff = !strcmp(t[1], "on");
	} else if (!strcmp(t[0], "timeout")) {
		return do_timeout(p, t, n, &l->t_head, &dummy_c, &l->t_idle, &dummy_g) ||
		       (dummy_c != -1 && perr(p, "timeout connect belongs in a backend")) ||
		       (dummy_g != -1 && perr(p, "timeout grace is global"));
	} else if (!strcmp(t[0], "max-header")) {
		if (want(p, n, 2, 2, "max-header SIZE") || sz(p, t[1], &l->max_header))
			return -1;
	} else if (!strcmp(t[0], "max-body")) {
		if (want(p, n, 2, 2, "max-body SIZE") || sz(p, t[1], &l->max_body))
			return -1;
	} else if (!strcmp(t[0], "max-conn")) {
		if (want(p, n, 2, 2, "max-conn N") ||
		    num(p, t[1], 1, 10000000, &l->max_conn, "max-conn"))
			return -1;
	} else if (!strcmp(t[0], "splice-after")) {
		if (want(p, n, 2, 2, "splice-after SIZE") || sz(p, t[1], &l->splice_after))
			return -1;
	} else if (!strcmp(t[0], "route")) {
		struct rule r = { 0 };
		int i;
		const char *usage = "route [host NAME] [path PREFIX] backend NAME";

		for (i = 1; i + 1 < n; i += 2) {
			if (!strcmp(t[i], "host") && !r.host) {
				r.host = xstrdup(t[i + 1]);
				for (char *q = r.host; *q; q++)
					*q = (char)tolower((unsigned char)*q);
			} else if (!strcmp(t[i], "path") && !r.prefix) {
				if (t[i + 1][0] != '/')
					return perr(p, "route: a path prefix starts with '/'");
				r.prefix = xstrdup(t[i + 1]);
			} else if (!strcmp(t[i], "backend") && !r.be_name) {
				r.be_name = xstrdup(t[i + 1]);
			} else {
				break;
			}
		}
		if (i != n || !r.be_name) {
			free(r.host);
			free(r.prefix);
			free(r.be_name);
			return perr(p, "usage: %s", usage);
		}
		l->rules = xrealloc(l->rules, sizeof(r) * (size_t)(l->nrules + 1));
		l->rules[l->nrules++] = r;
	} else if (!strcmp(t[0], "default-backend")) {
		if (want(p, n, 2, 2, "default-backend NAME"))
			return -1;
		free(l->def_name);
		l->def_name = xstrdup(t[1]);
	} else {
		return perr(p, "unknown listener directive '%s'", t[0]);
	}
	return 0;
}

static int kw_backend(struct pctx *p, char **t, int n)
{
	struct backend *b = p->be;
	int64_t dh = -1, di = -1, dg = -1;

	if (!strcmp(t[0], "balance")) {
		if (want(p, n, 2, 2, "balance rr|leastconn|source"))
			return -1;
		if (!strcmp(t[1], "rr") || !strcmp(t[1], "roundrobin"))
			b->balance = BAL_RR;
		else if (!strcmp(t[1], "leastconn"))
			b->balance = BAL_LEASTCONN;
		else if (!strcmp(t[1], "source"))
			b->balance = BAL_SOURCE;
		else
			return perr(p, "balance: '%s' is not rr, leastconn or source", t[1]);
	} else if (!strcmp(t[0], "timeout")) {
		return do_timeout(p, t, n, &dh, &b->t_connect, &di, &dg) ||
		       ((dh != -1 || di != -1 || dg != -1) &&
			perr(p, "a backend has only 'timeout connect'"));
	} else if (!strcmp(t[0], "retries")) {
		if (want(p, n, 2, 2, "retries N") || num(p, t[1], 0, 1000, &b->retries, "retries"))
			return -1;
	} else if (!strcmp(t[0], "check")) {
		b->check = true;
		for (int i = 1; i < n; i += 2) {
			if (i + 1 >= n)
				return perr(p, "usage: check [interval T] [timeout T] [rise N] [fall N]");
			if (!strcmp(t[i], "interval")) {
				if (tm(p, t[i + 1], &b->check_interval))
					return -1;
				if (b->check_interval < 10)
					return perr(p, "check interval: at least 10ms");
			} else if (!strcmp(t[i], "timeout")) {
				if (tm(p, t[i + 1], &b->check_timeout))
					return -1;
			} else if (!strcmp(t[i], "rise")) {
				if (num(p, t[i + 1], 1, 100, &b->check_rise, "rise"))
					return -1;
			} else if (!strcmp(t[i], "fall")) {
				if (num(p, t[i + 1], 1, 100, &b->check_fall, "fall"))
					return -1;
			} else {
				return perr(p, "check: unknown option '%s'", t[i]);
			}
		}
	} else if (!strcmp(t[0], "server")) {
		struct server *s;
		const char *usage = "server NAME ADDR:PORT [weight N] [no-check]";

		if (n < 3)
			return perr(p, "usage: %s", usage);
		if (backend_server(b, t[1]))
			return perr(p, "server %s: already defined in backend %s", t[1], b->name);
		s = xcalloc(1, sizeof(*s));
		b->srv = xrealloc(b->srv, sizeof(s) * (size_t)(b->nsrv + 1));
		b->srv[b->nsrv] = s;
		s->idx = b->nsrv++;
		s->name = xstrdup(t[1]);
		s->be = b;
		s->weight = 1;
		s->check = true;
		s->up = true;
		s->chk.ev.kind = EV_CHECK;
		s->chk.ev.fd = -1;
		s->chk.ev.owner = s;
		if (parse_addr(t[2], &s->addr, &s->alen, -1) < 0)
			return perr(p, "server %s: bad address '%s' (IP:PORT, [IPv6]:PORT or HOST:PORT)",
				    t[1], t[2]);
		addr_str((struct sockaddr *)&s->addr, s->addrstr, sizeof(s->addrstr));
		for (int i = 3; i < n; i++) {
			if (!strcmp(t[i], "weight") && i + 1 < n) {
				if (num(p, t[++i], 0, 1000, &s->weight, "weight"))
					return -1;
			} else if (!strcmp(t[i], "no-check")) {
				s->check = false;
			} else {
				return perr(p, "usage: %s", usage);
			}
		}
	} else {
		return perr(p, "unknown backend directive '%s'", t[0]);
	}
	return 0;
}

struct backend *conf_backend(struct conf *c, const char *name)
{
	for (int i = 0; i < c->nbe; i++)
		if (!strcmp(c->be[i]->name, name))
			return c->be[i];
	return NULL;
}

struct server *backend_server(struct backend *b, const char *name)
{
	for (int i = 0; i < b->nsrv; i++)
		if (!strcmp(b->srv[i]->name, name))
			return b->srv[i];
	return NULL;
}

static int valid_name(const char *s)
{
	if (!*s || strlen(s) > 63)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && !strchr("-_.", *s))
			return 0;
	return 1;
}

static int section(struct pctx *p, char **t, int n)
{
	struct conf *c = p->c;

	if (!strcmp(t[0], "global")) {
		p->lis = NULL;
		p->be = NULL;
		return want(p, n, 1, 1, "global");
	} else if (!strcmp(t[0], "listener") || !strcmp(t[0], "listen") ||
		   !strcmp(t[0], "frontend")) {
		struct listener *l;

		if (want(p, n, 2, 2, "listener NAME"))
			return -1;
		if (!valid_name(t[1]))
			return perr(p, "listener name '%s': letters, digits, '-', '_', '.'", t[1]);
		for (int i = 0; i < c->nlis; i++)
			if (!strcmp(c->lis[i]->name, t[1]))
				return perr(p, "listener %s: already defined", t[1]);
		p->be = NULL;
		l = xcalloc(1, sizeof(*l));
		l->name = xstrdup(t[1]);
		l->splice = SPLICE_INHERIT;
		l->xff = true;
		l->t_head = l->t_idle = -1;
		l->max_header = l->max_body = -1;
		l->splice_after = -1;
		c->lis = xrealloc(c->lis, sizeof(l) * (size_t)(c->nlis + 1));
		c->lis[c->nlis++] = l;
		p->lis = l;
		return 0;
	} else if (!strcmp(t[0], "backend")) {
		struct backend *b;

		if (want(p, n, 2, 2, "backend NAME"))
			return -1;
		if (!valid_name(t[1]))
			return perr(p, "backend name '%s': letters, digits, '-', '_', '.'", t[1]);
		if (conf_backend(c, t[1]))
			return perr(p, "backend %s: already defined", t[1]);
		p->lis = NULL;
		b = xcalloc(1, sizeof(*b));
		b->name = xstrdup(t[1]);
		b->retries = -1;
		b->t_connect = -1;
		b->check_interval = 2000;
		b->check_timeout = -1;
		b->check_rise = 2;
		b->check_fall = 3;
		c->be = xrealloc(c->be, sizeof(b) * (size_t)(c->nbe + 1));
		c->be[c->nbe++] = b;
		p->be = b;
		return 0;
	}
	return 1;	/* not a section keyword */
}

static int sockaddr_eq(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;

		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	{
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;

		return x->sin6_port == y->sin6_port &&
		       !memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr));
	}
}

/* After parsing: inherit defaults, resolve names, check consistency. */
static int finish(struct pctx *p)
{
	struct conf *c = p->c;

	p->line = 0;
	if (!c->nlis)
		return perr(p, "no listener defined");
	for (int i = 0; i < c->nlis; i++) {
		struct listener *l = c->lis[i];

		if (!l->nbinds)
			return perr(p, "listener %s: no bind", l->name);
		if (l->t_head < 0)
			l->t_head = c->t_head;
		if (l->t_idle < 0)
			l->t_idle = c->t_idle;
		if (l->max_header < 0)
			l->max_header = c->max_header;
		if (l->max_body < 0)
			l->max_body = c->max_body;
		if (l->max_header < 256 || l->max_header > (1 << 20))
			return perr(p, "listener %s: max-header between 256 and 1m", l->name);
		if (l->def_name) {
			l->def = conf_backend(c, l->def_name);
			if (!l->def)
				return perr(p, "listener %s: default-backend %s is not defined",
					    l->name, l->def_name);
		}
		for (int r = 0; r < l->nrules; r++) {
			l->rules[r].be = conf_backend(c, l->rules[r].be_name);
			if (!l->rules[r].be)
				return perr(p, "listener %s: route to undefined backend %s",
					    l->name, l->rules[r].be_name);
		}
		if (l->mode == LIS_TCP && (l->nrules || !l->def))
			return perr(p, "listener %s: mode tcp takes a default-backend and no route",
				    l->name);
		if (!l->def && !l->nrules)
			return perr(p, "listener %s: neither route nor default-backend", l->name);
		for (int b = 0; b < l->nbinds; b++) {
			l->binds[b].lis = l;
			l->binds[b].ev.owner = &l->binds[b];
			for (int j = 0; j <= i; j++) {
				struct listener *o = c->lis[j];

				for (int k = 0; k < (j == i ? b : o->nbinds); k++)
					if (sockaddr_eq(&o->binds[k].addr, &l->binds[b].addr))
						return perr(p, "bind %s: used twice", l->binds[b].str);
			}
		}
	}
	for (int i = 0; i < c->nbe; i++) {
		struct backend *b = c->be[i];

		if (!b->nsrv)
			return perr(p, "backend %s: no server", b->name);
		if (b->t_connect < 0)
			b->t_connect = c->t_connect;
		if (b->check_timeout < 0)
			b->check_timeout = b->t_connect < b->check_interval ?
					   b->t_connect : b->check_interval;
		for (int s = 0; s < b->nsrv; s++)
			if (!b->check)
				b->srv[s]->check = false;
	}
	return 0;
}

static struct conf *conf_new(const char *path)
{
	struct conf *c = xcalloc(1, sizeof(*c));

	c->refs = 1;
	c->path = xstrdup(path);
	c->workers = 1;
	c->splice = SPLICE_AUTO;
	c->splice_threads = 4;
	c->splice_after = -1;
	c->stats_mode = 0660;
	c->log = xstrdup("stderr");
	c->max_conn = 10000;
	c->pipe_pool = 256;
	c->buf_size = 32 << 10;
	c->events_buf = 8 << 20;
	c->t_head = 10000;
	c->t_connect = 5000;
	c->t_idle = 300000;
	c->t_grace = 30000;
	c->max_header = 16 << 10;
	c->max_body = 0;
	return c;
}

static void conf_free(struct conf *c)
{
	if (!c)
		return;
	for (int i = 0; i < c->nlis; i++) {
		struct listener *l = c->lis[i];

		for (int r = 0; r < l->nrules; r++) {
			free(l->rules[r].host);
			free(l->rules[r].prefix);
			free(l->rules[r].be_name);
		}
		free(l->rules);
		free(l->binds);
		free(l->def_name);
		free(l->name);
		free(l);
	}
	for (int i = 0; i < c->nbe; i++) {
		struct backend *b = c->be[i];

		for (int s = 0; s < b->nsrv; s++) {
			free(b->srv[s]->name);
			free(b->srv[s]);
		}
		free(b->srv);
		free(b->name);
		free(b);
	}
	free(c->lis);
	free(c->be);
	free(c->path);
	free(c->user);
	free(c->group);
	free(c->stats_path);
	free(c->log);
	free(c->pidfile);
	free(c);
}

void conf_get(struct conf *c)
{
	c->refs++;
}

void conf_put(struct conf *c)
{
	if (c && --c->refs == 0)
		conf_free(c);
}

struct conf *conf_load(const char *path, char *err, size_t errlen)
{
	struct pctx p = { .file = path, .err = err, .errlen = errlen };
	FILE *f = fopen(path, "r");
	char *line = NULL, *tok[MAXTOK];
	size_t cap = 0;
	ssize_t len;
	int rc = 0;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	p.c = conf_new(path);
	while ((len = getline(&line, &cap, f)) >= 0) {
		int n, s;

		p.line++;
		if (memchr(line, '\0', (size_t)len)) {
			rc = perr(&p, "NUL byte in the line");
			break;
		}
		n = tokenize(line, tok);
		if (n < 0) {
			rc = perr(&p, "too many words");
			break;
		}
		if (n == 0)
			continue;
		s = section(&p, tok, n);
		if (s < 0) {
			rc = -1;
			break;
		}
		if (s == 0)
			continue;
		if (p.lis)
			rc = kw_listener(&p, tok, n);
		else if (p.be)
			rc = kw_backend(&p, tok, n);
		else
			rc = kw_global(&p, tok, n);
		if (rc)
			break;
	}
	free(line);
	fclose(f);
	if (!rc)
		rc = finish(&p);
	if (rc) {
		conf_free(p.c);
		return NULL;
	}
	return p.c;
}

/* The effective configuration, as switchd -t -v prints it. */
void conf_dump(const struct conf *c, FILE *f)
{
	static const char *const bal[] = { "rr", "leastconn", "source" };

	fprintf(f, "global\n    workers %d\n    splice %s\n    splice-threads %d\n"
		"    max-conn %d\n    pipe-pool %d\n    buffer-size %lld\n    events-buffer %lld\n"
		"    timeout client-header %lldms\n    timeout connect %lldms\n"
		"    timeout idle %lldms\n    timeout grace %lldms\n"
		"    max-header %lld\n    max-body %lld\n    log %s\n",
		c->workers, splice_mode_name(c->splice), c->splice_threads,
		c->max_conn, c->pipe_pool, (long long)c->buf_size, (long long)c->events_buf,
		(long long)c->t_head, (long long)c->t_connect, (long long)c->t_idle,
		(long long)c->t_grace, (long long)c->max_header, (long long)c->max_body, c->log);
	if (c->splice_after >= 0)
		fprintf(f, "    splice-after %lld\n", (long long)c->splice_after);
	else
		fprintf(f, "    # splice-after: by mode (auto %d, kernel 0)\n", AUTO_SPLICE_AFTER);
	if (c->user)
		fprintf(f, "    user %s\n", c->user);
	if (c->group)
		fprintf(f, "    group %s\n", c->group);
	if (c->stats_path)
		fprintf(f, "    stats-socket %s mode %03o\n", c->stats_path, c->stats_mode);
	if (c->pidfile)
		fprintf(f, "    pidfile %s\n", c->pidfile);
	for (int i = 0; i < c->nlis; i++) {
		const struct listener *l = c->lis[i];

		fprintf(f, "\nlistener %s\n    bind", l->name);
		for (int b = 0; b < l->nbinds; b++)
			fprintf(f, " %s", l->binds[b].str);
		fprintf(f, "\n    mode %s\n    splice %s\n", l->mode == LIS_TCP ? "tcp" : "http",
			l->splice == SPLICE_INHERIT ? splice_mode_name(c->splice) :
			splice_mode_name(l->splice));
		if (l->mode == LIS_HTTP)
			fprintf(f, "    keepalive %s\n    forwardfor %s\n"
				"    timeout client-header %lldms\n    max-header %lld\n"
				"    max-body %lld\n",
				l->keepalive == KA_CLOSE ? "close" : "tunnel", l->xff ? "on" : "off",
				(long long)l->t_head, (long long)l->max_header,
				(long long)l->max_body);
		fprintf(f, "    timeout idle %lldms\n", (long long)l->t_idle);
		if (l->splice_after >= 0)
			fprintf(f, "    splice-after %lld\n", (long long)l->splice_after);
		if (l->max_conn)
			fprintf(f, "    max-conn %d\n", l->max_conn);
		for (int r = 0; r < l->nrules; r++) {
			fprintf(f, "    route");
			if (l->rules[r].host)
				fprintf(f, " host %s", l->rules[r].host);
			if (l->rules[r].prefix)
				fprintf(f, " path %s", l->rules[r].prefix);
			fprintf(f, " backend %s\n", l->rules[r].be_name);
		}
		if (l->def)
			fprintf(f, "    default-backend %s\n", l->def->name);
	}
	for (int i = 0; i < c->nbe; i++) {
		const struct backend *b = c->be[i];

		fprintf(f, "\nbackend %s\n    balance %s\n    timeout connect %lldms\n", b->name,
			bal[b->balance], (long long)b->t_connect);
		if (b->retries >= 0)
			fprintf(f, "    retries %d\n", b->retries);
		if (b->check)
			fprintf(f, "    check interval %lldms timeout %lldms rise %d fall %d\n",
				(long long)b->check_interval, (long long)b->check_timeout,
				b->check_rise, b->check_fall);
		for (int s = 0; s < b->nsrv; s++)
			fprintf(f, "    server %s %s weight %d%s\n", b->srv[s]->name,
				b->srv[s]->addrstr, b->srv[s]->weight,
				b->check && !b->srv[s]->check ? " no-check" : "");
	}
}
