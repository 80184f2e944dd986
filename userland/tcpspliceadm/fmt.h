/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tcpspliceadm: parsing of arguments and formatting of sessions, counters
 * and events (no I/O with the kernel: unit-tested on the host).
 */
#ifndef TSPADM_FMT_H
#define TSPADM_FMT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tcpsplice.h"

/* Output options. */
struct fmt_opts {
	int numeric;		/* -n: no service names */
	int resolve;		/* -r: host names */
	int json;		/* -j */
	int timestamp;		/* -t (events) */
};

/* ---- argument parsing: 0 on success, -1 if malformed ----------------- */
int parse_u64(const char *s, uint64_t *out);		/* decimal, no sign */
int parse_port(const char *s, uint16_t *out);		/* 0..65535 */
int parse_ipv4(const char *s, struct in_addr *out);	/* dotted quad */
int parse_addr(const char *s, struct tcpsplice_filter *f);	/* IPv4 or IPv6, sets family */
int parse_state(const char *s, uint8_t *out);		/* name, not NONE */

/* ---- text pieces -------------------------------------------------------- */
/* "10.0.1.1:43210", or with names ("client.example:http") per opts. */
char *fmt_endpoint(char *buf, size_t n, const struct tcpsplice_endpoint *ep,
		   const struct fmt_opts *o);
/* Seconds as "mm:ss" (or "hh:mm:ss" from one hour on), like ipvsadm -c. */
char *fmt_expires(char *buf, size_t n, uint32_t secs);
/* Milliseconds as "850ms", "12.3s", "4m05s", "2h03m", "3d04h". */
char *fmt_age(char *buf, size_t n, uint64_t ms);
/* s with the JSON string escapes, in quotes. */
char *fmt_json_str(char *buf, size_t n, const char *s);

/* ---- whole outputs ------------------------------------------------------- */
/* The session table (header + one line per session, aligned columns). */
void print_table(FILE *f, const struct tcpsplice_session_info *s, size_t n,
		 const struct fmt_opts *o);
/* One session as a JSON object (no newline). */
void print_session_json(FILE *f, const struct tcpsplice_session_info *s,
			const struct fmt_opts *o);
/* One session, one "key: value" per line (get). */
void print_session_long(FILE *f, const struct tcpsplice_session_info *s,
			const struct fmt_opts *o);
/* The counters: "name value" lines, or one JSON object. */
void print_stats(FILE *f, const struct tcpsplice_stats *st, const struct fmt_opts *o);
/* One event line: "start id=1 client=... " or a JSON object; with
 * o->timestamp, prefixed by the wall-clock time now_us (us since epoch). */
void print_event(FILE *f, const struct tcpsplice_event *ev, uint64_t now_us,
		 const struct fmt_opts *o);

#endif /* TSPADM_FMT_H */
