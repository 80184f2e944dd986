// SPDX-License-Identifier: GPL-2.0-or-later
/* tcpspliceadm: argument parsing and output formatting. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <inttypes.h>
#include <netdb.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fmt.h"

/* ---- parsing ------------------------------------------------------------ */

int parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (!s || !*s)
		return -1;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s))
			return -1;
		if (v > (UINT64_MAX - (uint64_t)(*s - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(*s - '0');
	}
	*out = v;
	return 0;
}

int parse_port(const char *s, uint16_t *out)
{
	uint64_t v;

	if (parse_u64(s, &v) < 0 || v > 65535)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

int parse_ipv4(const char *s, struct in_addr *out)
{
	return s && inet_pton(AF_INET, s, out) == 1 ? 0 : -1;
}

int parse_addr(const char *s, struct tcpsplice_filter *f)
{
	if (parse_ipv4(s, &f->addr) == 0) {
		f->family = AF_INET;
		return 0;
	}
	if (s && inet_pton(AF_INET6, s, &f->addr6) == 1) {
		f->family = AF_INET6;
		return 0;
	}
	return -1;
}

int parse_state(const char *s, uint8_t *out)
{
	char name[32];
	size_t i;
	int st;

	if (!s || strlen(s) >= sizeof(name))
		return -1;
	for (i = 0; s[i]; i++)	/* "time-wait" = "TIME_WAIT" */
		name[i] = s[i] == '-' ? '_' : s[i];
	name[i] = 0;
	st = tcpsplice_state_from_name(name);
	if (st <= TCPSPLICE_STATE_NONE)
		return -1;
	*out = (uint8_t)st;
	return 0;
}

/* ---- text pieces -------------------------------------------------------- */

char *fmt_endpoint(char *buf, size_t n, const struct tcpsplice_endpoint *ep,
		   const struct fmt_opts *o)
{
	char host[NI_MAXHOST], port[NI_MAXSERV];
	bool v6 = ep->family == AF_INET6;

	inet_ntop(v6 ? AF_INET6 : AF_INET, v6 ? (const void *)&ep->addr6 :
		  (const void *)&ep->addr, host, sizeof(host));
	snprintf(port, sizeof(port), "%u", ep->port);
	if (o && o->resolve) {
		struct sockaddr_in sin = { .sin_family = AF_INET,
					   .sin_addr = ep->addr };
		struct sockaddr_in6 sin6 = { .sin6_family = AF_INET6,
					     .sin6_addr = ep->addr6 };
		char name[NI_MAXHOST];

		if (!getnameinfo(v6 ? (struct sockaddr *)&sin6 :
				 (struct sockaddr *)&sin,
				 v6 ? sizeof(sin6) : sizeof(sin), name,
				 sizeof(name), NULL, 0, NI_NAMEREQD)) {
			snprintf(host, sizeof(host), "%s", name);
			v6 = false;	/* a name needs no brackets */
		}
	}
	if (o && !o->numeric) {
		struct servent se, *res = NULL;
		char sbuf[1024];

		if (!getservbyport_r(htons(ep->port), "tcp", &se, sbuf,
				     sizeof(sbuf), &res) && res)
			snprintf(port, sizeof(port), "%s", res->s_name);
	}
	/* IPv6 as ss prints it: [addr]:port */
	snprintf(buf, n, v6 ? "[%s]:%s" : "%s:%s", host, port);
	return buf;
}

char *fmt_expires(char *buf, size_t n, uint32_t secs)
{
	if (secs >= 3600)
		snprintf(buf, n, "%" PRIu32 ":%02" PRIu32 ":%02" PRIu32,
			 secs / 3600, secs / 60 % 60, secs % 60);
	else
		snprintf(buf, n, "%02" PRIu32 ":%02" PRIu32, secs / 60, secs % 60);
	return buf;
}

char *fmt_age(char *buf, size_t n, uint64_t ms)
{
	uint64_t s = ms / 1000;

	if (ms < 1000)
		snprintf(buf, n, "%" PRIu64 "ms", ms);
	else if (s < 60)
		snprintf(buf, n, "%" PRIu64 ".%" PRIu64 "s", s, ms % 1000 / 100);
	else if (s < 3600)
		snprintf(buf, n, "%" PRIu64 "m%02" PRIu64 "s", s / 60, s % 60);
	else if (s < 86400)
		snprintf(buf, n, "%" PRIu64 "h%02" PRIu64 "m", s / 3600, s / 60 % 60);
	else
		snprintf(buf, n, "%" PRIu64 "d%02" PRIu64 "h", s / 86400,
			 s / 3600 % 24);
	return buf;
}

char *fmt_json_str(char *buf, size_t n, const char *s)
{
	size_t o = 0;

#define PUT(c) do { if (o + 1 < n) buf[o++] = (c); } while (0)
	if (!n)
		return buf;
	PUT('"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			PUT('\\');
			PUT((char)c);
		} else if (c < 0x20) {
			char esc[8];
			int i;

			snprintf(esc, sizeof(esc), "\\u%04x", c);
			for (i = 0; esc[i]; i++)
				PUT(esc[i]);
		} else {
			PUT((char)c);
		}
	}
	PUT('"');
#undef PUT
	buf[o] = 0;
	return buf;
}

static const char *state_str(const struct tcpsplice_session_info *s)
{
	const char *n;

	if (!(s->fields & TCPSPLICE_INFO_STATE))
		return "-";
	n = tcpsplice_state_name(s->state);
	return n ? n : "?";
}

static const char *reason_str(const struct tcpsplice_session_info *s)
{
	const char *n;

	if (!(s->fields & TCPSPLICE_INFO_END_REASON))
		return "-";
	n = tcpsplice_end_reason_name(s->end_reason);
	return n ? n : "?";
}

/* ---- the table ---------------------------------------------------------- */

enum {
	C_ID, C_CLIENT, C_PROXY_A, C_PROXY_B, C_SERVER, C_STATE, C_EXPIRES,
	C_AGE, C_CPKTS, C_CBYTES, C_SPKTS, C_SBYTES, C_MAX
};

static const char *const col_head[C_MAX] = {
	"Id", "Client", "Proxy-A", "Proxy-B", "Server", "State", "Expires",
	"Age", "C>S-pkts", "C>S-bytes", "S>C-pkts", "S>C-bytes",
};

#define CELL 80

static void row_cells(const struct tcpsplice_session_info *s,
		      const struct fmt_opts *o, char cell[C_MAX][CELL])
{
	int i;

	for (i = 0; i < C_MAX; i++)
		snprintf(cell[i], CELL, "-");
	if (s->fields & TCPSPLICE_INFO_ID)
		snprintf(cell[C_ID], CELL, "%" PRIu64, s->id);
	if (s->fields & TCPSPLICE_INFO_TUPLE) {
		fmt_endpoint(cell[C_CLIENT], CELL, &s->client, o);
		fmt_endpoint(cell[C_PROXY_A], CELL, &s->proxy_a, o);
		fmt_endpoint(cell[C_PROXY_B], CELL, &s->proxy_b, o);
		fmt_endpoint(cell[C_SERVER], CELL, &s->server, o);
	}
	snprintf(cell[C_STATE], CELL, "%s", state_str(s));
	if (s->fields & TCPSPLICE_INFO_EXPIRES)
		fmt_expires(cell[C_EXPIRES], CELL, s->expires);
	if (s->fields & TCPSPLICE_INFO_DURATION)
		fmt_age(cell[C_AGE], CELL, s->duration_ms);
	if (s->fields & TCPSPLICE_INFO_COUNTERS) {
		snprintf(cell[C_CPKTS], CELL, "%" PRIu64, s->pkts_c2s);
		snprintf(cell[C_CBYTES], CELL, "%" PRIu64, s->bytes_c2s);
		snprintf(cell[C_SPKTS], CELL, "%" PRIu64, s->pkts_s2c);
		snprintf(cell[C_SBYTES], CELL, "%" PRIu64, s->bytes_s2c);
	}
}

/* Left-aligned text columns, right-aligned numbers. */
static int right_aligned(int c)
{
	return c == C_ID || c >= C_CPKTS;
}

static void print_row(FILE *f, char cell[C_MAX][CELL], const int *w)
{
	int c;

	for (c = 0; c < C_MAX; c++) {
		const char *sep = c ? "  " : "";

		if (c == C_MAX - 1)
			fprintf(f, "%s%*s\n", sep, w[c], cell[c]);
		else if (right_aligned(c))
			fprintf(f, "%s%*s", sep, w[c], cell[c]);
		else
			fprintf(f, "%s%-*s", sep, w[c], cell[c]);
	}
}

void print_table(FILE *f, const struct tcpsplice_session_info *s, size_t n,
		 const struct fmt_opts *o)
{
	char cell[C_MAX][CELL];
	int w[C_MAX], c;
	size_t i;

	for (c = 0; c < C_MAX; c++) {
		snprintf(cell[c], CELL, "%s", col_head[c]);
		w[c] = (int)strlen(col_head[c]);
	}
	for (i = 0; i < n; i++) {
		char r[C_MAX][CELL];

		row_cells(&s[i], o, r);
		for (c = 0; c < C_MAX; c++)
			if ((int)strlen(r[c]) > w[c])
				w[c] = (int)strlen(r[c]);
	}
	print_row(f, cell, w);
	for (i = 0; i < n; i++) {
		row_cells(&s[i], o, cell);
		print_row(f, cell, w);
	}
}

/* ---- JSON / long / events ----------------------------------------------- */

static void json_ep(FILE *f, const char *key, const struct tcpsplice_endpoint *ep)
{
	char a[INET6_ADDRSTRLEN];

	if (ep->family == AF_INET6)
		inet_ntop(AF_INET6, &ep->addr6, a, sizeof(a));
	else
		inet_ntop(AF_INET, &ep->addr, a, sizeof(a));
	fprintf(f, "\"%s\":{\"addr\":\"%s\",\"port\":%u}", key, a, ep->port);
}

static void json_body(FILE *f, const struct tcpsplice_session_info *s)
{
	const char *sep = "";

	if (s->fields & TCPSPLICE_INFO_ID) {
		fprintf(f, "\"id\":%" PRIu64, s->id);
		sep = ",";
	}
	if (s->fields & TCPSPLICE_INFO_TUPLE) {
		fputs(sep, f);
		json_ep(f, "client", &s->client);
		fputc(',', f);
		json_ep(f, "proxy_a", &s->proxy_a);
		fputc(',', f);
		json_ep(f, "proxy_b", &s->proxy_b);
		fputc(',', f);
		json_ep(f, "server", &s->server);
		sep = ",";
	}
	if (s->fields & TCPSPLICE_INFO_STATE) {
		fprintf(f, "%s\"state\":\"%s\"", sep, state_str(s));
		sep = ",";
	}
	if (s->fields & TCPSPLICE_INFO_EXPIRES) {
		fprintf(f, "%s\"expires\":%" PRIu32, sep, s->expires);
		sep = ",";
	}
	if (s->fields & TCPSPLICE_INFO_DURATION) {
		fprintf(f, "%s\"duration_ms\":%" PRIu64, sep, s->duration_ms);
		sep = ",";
	}
	if (s->fields & TCPSPLICE_INFO_COUNTERS) {
		fprintf(f, "%s\"c2s\":{\"pkts\":%" PRIu64 ",\"bytes\":%" PRIu64 "}"
			",\"s2c\":{\"pkts\":%" PRIu64 ",\"bytes\":%" PRIu64 "}",
			sep, s->pkts_c2s, s->bytes_c2s, s->pkts_s2c, s->bytes_s2c);
		sep = ",";
	}
	if (s->fields & TCPSPLICE_INFO_FLAGS) {
		fprintf(f, "%s\"mode\":\"%s\"", sep,
			s->flags & TCPSPLICE_SPLICE_DRAINED ? "drained" : "legacy");
		sep = ",";
	}
	if (s->fields & TCPSPLICE_INFO_UID) {
		fprintf(f, "%s\"uid\":%" PRIu32, sep, s->uid);
		sep = ",";
	}
	if (s->fields & TCPSPLICE_INFO_END_REASON)
		fprintf(f, "%s\"end_reason\":\"%s\"", sep, reason_str(s));
}

void print_session_json(FILE *f, const struct tcpsplice_session_info *s,
			const struct fmt_opts *o)
{
	(void)o;
	fputc('{', f);
	json_body(f, s);
	fputc('}', f);
}

void print_session_long(FILE *f, const struct tcpsplice_session_info *s,
			const struct fmt_opts *o)
{
	char b[CELL];

	if (s->fields & TCPSPLICE_INFO_ID)
		fprintf(f, "%-12s %" PRIu64 "\n", "id", s->id);
	if (s->fields & TCPSPLICE_INFO_TUPLE) {
		fprintf(f, "%-12s %s\n", "client", fmt_endpoint(b, sizeof(b), &s->client, o));
		fprintf(f, "%-12s %s\n", "proxy_a", fmt_endpoint(b, sizeof(b), &s->proxy_a, o));
		fprintf(f, "%-12s %s\n", "proxy_b", fmt_endpoint(b, sizeof(b), &s->proxy_b, o));
		fprintf(f, "%-12s %s\n", "server", fmt_endpoint(b, sizeof(b), &s->server, o));
	}
	if (s->fields & TCPSPLICE_INFO_STATE)
		fprintf(f, "%-12s %s\n", "state", state_str(s));
	if (s->fields & TCPSPLICE_INFO_EXPIRES)
		fprintf(f, "%-12s %s\n", "expires", fmt_expires(b, sizeof(b), s->expires));
	if (s->fields & TCPSPLICE_INFO_DURATION)
		fprintf(f, "%-12s %s\n", "age", fmt_age(b, sizeof(b), s->duration_ms));
	if (s->fields & TCPSPLICE_INFO_COUNTERS) {
		fprintf(f, "%-12s %" PRIu64 "\n", "pkts_c2s", s->pkts_c2s);
		fprintf(f, "%-12s %" PRIu64 "\n", "bytes_c2s", s->bytes_c2s);
		fprintf(f, "%-12s %" PRIu64 "\n", "pkts_s2c", s->pkts_s2c);
		fprintf(f, "%-12s %" PRIu64 "\n", "bytes_s2c", s->bytes_s2c);
	}
	if (s->fields & TCPSPLICE_INFO_FLAGS)
		fprintf(f, "%-12s %s\n", "mode",
			s->flags & TCPSPLICE_SPLICE_DRAINED ? "drained" : "legacy");
	if (s->fields & TCPSPLICE_INFO_UID)
		fprintf(f, "%-12s %" PRIu32 "\n", "uid", s->uid);
}

void print_stats(FILE *f, const struct tcpsplice_stats *st, const struct fmt_opts *o)
{
	uint32_t i;
	char name[32];

	if (o && o->json) {
		fprintf(f, "{\"sessions_active\":%" PRIu32, st->sessions_active);
		for (i = 0; i < st->n && i < TCPSPLICE_STATS_MAX; i++) {
			const char *n = tcpsplice_stat_name(i);

			if (!n) {
				snprintf(name, sizeof(name), "counter_%" PRIu32, i);
				n = name;
			}
			fprintf(f, ",\"%s\":%" PRIu64, n, st->v[i]);
		}
		fputs("}\n", f);
		return;
	}
	fprintf(f, "%-24s %" PRIu32 "\n", "sessions_active", st->sessions_active);
	for (i = 0; i < st->n && i < TCPSPLICE_STATS_MAX; i++) {
		const char *n = tcpsplice_stat_name(i);

		if (!n) {
			snprintf(name, sizeof(name), "counter_%" PRIu32, i);
			n = name;
		}
		fprintf(f, "%-24s %" PRIu64 "\n", n, st->v[i]);
	}
}

static void fmt_time(char *buf, size_t n, uint64_t us)
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;
	char d[32];

	localtime_r(&t, &tm);
	strftime(d, sizeof(d), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, n, "%s.%06u", d, (unsigned int)(us % 1000000));
}

void print_event(FILE *f, const struct tcpsplice_event *ev, uint64_t now_us,
		 const struct fmt_opts *o)
{
	const struct tcpsplice_session_info *s = &ev->s;
	const char *name = tcpsplice_event_name(ev->type);
	char b[CELL], ts[48];

	if (!name)
		name = "unknown";
	if (o && o->timestamp)
		fmt_time(ts, sizeof(ts), now_us);
	if (o && o->json) {
		fprintf(f, "{\"event\":\"%s\"", name);
		if (o->timestamp)
			fprintf(f, ",\"time\":\"%s\"", ts);
		if (s->fields)
			fputc(',', f);
		json_body(f, s);
		fputs("}\n", f);
		return;
	}
	if (o && o->timestamp)
		fprintf(f, "[%s] ", ts);
	fputs(name, f);
	if (s->fields & TCPSPLICE_INFO_ID)
		fprintf(f, " id=%" PRIu64, s->id);
	if (s->fields & TCPSPLICE_INFO_TUPLE) {
		fprintf(f, " client=%s", fmt_endpoint(b, sizeof(b), &s->client, o));
		fprintf(f, " proxy_a=%s", fmt_endpoint(b, sizeof(b), &s->proxy_a, o));
		fprintf(f, " proxy_b=%s", fmt_endpoint(b, sizeof(b), &s->proxy_b, o));
		fprintf(f, " server=%s", fmt_endpoint(b, sizeof(b), &s->server, o));
	}
	if (s->fields & TCPSPLICE_INFO_STATE)
		fprintf(f, " state=%s", state_str(s));
	if (s->fields & TCPSPLICE_INFO_FLAGS)
		fprintf(f, " mode=%s", s->flags & TCPSPLICE_SPLICE_DRAINED ? "drained" : "legacy");
	if (s->fields & TCPSPLICE_INFO_COUNTERS)
		fprintf(f, " pkts_c2s=%" PRIu64 " bytes_c2s=%" PRIu64
			" pkts_s2c=%" PRIu64 " bytes_s2c=%" PRIu64,
			s->pkts_c2s, s->bytes_c2s, s->pkts_s2c, s->bytes_s2c);
	if (s->fields & TCPSPLICE_INFO_DURATION)
		fprintf(f, " duration_ms=%" PRIu64, s->duration_ms);
	if (ev->type == TCPSPLICE_EVENT_END && (s->fields & TCPSPLICE_INFO_END_REASON))
		fprintf(f, " reason=%s", reason_str(s));
	if (s->fields & TCPSPLICE_INFO_UID)
		fprintf(f, " uid=%" PRIu32, s->uid);
	fputc('\n', f);
}
