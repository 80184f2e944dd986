// SPDX-License-Identifier: GPL-2.0
/*
 * Logging: one line per event, written with a single write(2) (lines of
 * several workers appending to one file do not interleave).  Targets:
 * stderr, stdout, syslog (daemon facility) or a file (reopened on SIGHUP,
 * for log rotation).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>
#include <sys/time.h>

#include "switchd.h"

static int log_fd = 2;
static bool use_syslog;
static char log_path[4096];

int log_open(const char *target)
{
	int fd;

	if (!strcmp(target, "stderr") || !strcmp(target, "-")) {
		fd = 2;
	} else if (!strcmp(target, "stdout")) {
		fd = 1;
	} else if (!strcmp(target, "syslog")) {
		if (!use_syslog)
			openlog("switchd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
		use_syslog = true;
		return 0;
	} else {
		fd = open(target, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
		if (fd < 0)
			return -1;
		snprintf(log_path, sizeof(log_path), "%s", target);
	}
	if (log_fd > 2)
		close(log_fd);
	if (use_syslog && fd >= 0) {
		closelog();
		use_syslog = false;
	}
	log_fd = fd;
	if (fd <= 2)
		log_path[0] = '\0';
	return 0;
}

/* SIGHUP: reopen the file (it may have been rotated away). */
void log_reopen(void)
{
	int fd;

	if (!log_path[0])
		return;
	fd = open(log_path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0) {
		log_msg("warning: cannot reopen log %s: %s", log_path, strerror(errno));
		return;
	}
	dup2(fd, log_fd);
	close(fd);
}

void log_line(const char *line, size_t len)
{
	char buf[2048];
	int n;

	if (use_syslog) {
		syslog(LOG_INFO, "%.*s", (int)len, line);
		return;
	}
	{
		struct timeval tv;
		struct tm tm;

		gettimeofday(&tv, NULL);
		gmtime_r(&tv.tv_sec, &tm);
		n = snprintf(buf, sizeof(buf), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ switchd[%d]: %.*s\n",
			     tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min,
			     tm.tm_sec, (int)(tv.tv_usec / 1000), (int)getpid(), (int)len, line);
	}
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf)) {
		n = sizeof(buf) - 1;
		buf[n - 1] = '\n';
	}
	if (write(log_fd, buf, (size_t)n) < 0) {
		/* nowhere left to complain */
	}
}

void log_msg(const char *fmt, ...)
{
	char buf[1536];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	log_line(buf, (size_t)n);
}

void log_rec(const struct logrec *r)
{
	char st[16] = "-", ks[32] = "";

	if (r->status)
		snprintf(st, sizeof(st), "%d", r->status);
	if (r->ksid)
		snprintf(ks, sizeof(ks), " ksid=%llu", (unsigned long long)r->ksid);
	log_msg("session=%llu client=%s listener=%s backend=%s server=%s addr=%s mode=%s%s "
		"status=%s host=%s c2s=%llu s2c=%llu dur_ms=%llu end=%s%s%s%s req=\"%s\"",
		(unsigned long long)r->sid, r->cli, r->lis, r->be ? r->be : "-",
		r->srv ? r->srv : "-", r->srvaddr ? r->srvaddr : "-", r->mode, ks, st,
		r->host && r->host[0] ? r->host : "-", (unsigned long long)r->c2s,
		(unsigned long long)r->s2c, (unsigned long long)r->dur, r->end,
		r->note && r->note[0] ? " note=\"" : "", r->note && r->note[0] ? r->note : "",
		r->note && r->note[0] ? "\"" : "", r->req && r->req[0] ? r->req : "-");
}

void log_sess(struct sess *s, uint64_t c2s, uint64_t s2c, uint64_t dur, const char *end)
{
	struct logrec r = {
		.sid = s->id, .cli = s->clistr, .lis = s->lis->name,
		.be = s->be ? s->be->name : NULL,
		.srv = s->srv && s->state != ST_HEAD ? s->srv->name : NULL,
		.srvaddr = s->srv && s->state != ST_HEAD ? s->srv->addrstr : NULL,
		.mode = s->state >= ST_RELAY && !s->status ? splice_mode_name(s->mode) : "-",
		.req = s->reqline, .host = s->host, .note = s->note, .end = end,
		.status = s->status, .c2s = c2s, .s2c = s2c, .dur = dur,
	};

	if (s->status && s->status >= 500 && s->srv && s->attempts == 0)
		r.srv = r.srvaddr = NULL;
	log_rec(&r);
}
