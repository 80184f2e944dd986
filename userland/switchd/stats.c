// SPDX-License-Identifier: GPL-2.0
/*
 * The stats socket: a unix stream socket taking one command line per
 * connection and answering with text, then closing (like HAProxy's
 * non-interactive stats socket):
 *
 *   show info | show servers | show sessions | show kernel | show conf
 *   disable server BACKEND/SERVER | enable server BACKEND/SERVER | help
 *
 * "switchd -S PATH COMMAND..." is its client.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "switchd.h"

struct sconn {
	struct evh ev;
	char in[1024];
	size_t inlen;
	char *out;
	size_t outlen, outoff;
	struct timer tm;
	bool replying;
};

static struct evh lev = { EV_STATS_LISTEN, -1, NULL };
static char spath[108];
static struct stat sst;		/* the path as we bound it */

/*
 * At a reload with workers, a new worker binds PATH.N while the old one of
 * the same index may be exiting: the old one's "still mine? then remove"
 * must not fall between the new one's unlink and bind, or it removes the
 * new socket (seen on a 6.12 guest: test 64-switchd-reload, no stats
 * socket for the new generation).  An flock on the directory orders the
 * two.  -1: no lock (the directory cannot be opened or locked); go on.
 */
static int path_lock(const char *path)
{
	char dir[sizeof(spath)];
	char *slash;
	int fd;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash)
		snprintf(dir, sizeof(dir), ".");
	else
		slash[slash == dir] = '\0';	/* "/x" -> "/" */
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0 && flock(fd, LOCK_EX) < 0) {
		close(fd);
		fd = -1;
	}
	return fd;
}

static void path_unlock(int lfd)
{
	if (lfd >= 0)
		close(lfd);	/* drops the flock */
}

int stats_open(const char *path, int mode)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd, lfd;
	bool tmp;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	/*
	 * Bind a temporary name, listen, then rename it onto PATH (as HAProxy
	 * does): PATH never names a socket that is not yet listening (a client
	 * racing the start got ECONNREFUSED: seen in test_cli.sh under load),
	 * and at a reload PATH goes from the old socket straight to the new
	 * one.  A name too long for the temporary suffix binds PATH itself.
	 */
	tmp = (size_t)snprintf(sun.sun_path, sizeof(sun.sun_path), "%s.%d.tmp", path,
			       (int)getpid()) < sizeof(sun.sun_path);
	if (!tmp)
		strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	lfd = path_lock(path);
	unlink(sun.sun_path);
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
	    chmod(sun.sun_path, (mode_t)mode) < 0 || listen(fd, 64) < 0 ||
	    (tmp && rename(sun.sun_path, path) < 0)) {
		int e = errno;

		if (tmp)
			unlink(sun.sun_path);
		path_unlock(lfd);
		close(fd);
		errno = e;
		return -1;
	}
	lev.fd = fd;
	snprintf(spath, sizeof(spath), "%s", path);
	if (stat(path, &sst) < 0)
		memset(&sst, 0, sizeof(sst));
	path_unlock(lfd);
	if (ev_add(&lev, EPOLLIN) < 0)
		return -1;
	return 0;
}

void stats_close(void)
{
	struct stat now;
	int lfd;

	if (lev.fd < 0)
		return;
	close(lev.fd);
	lev.fd = -1;
	/* after a reload with workers, a new worker may have bound the same
	 * path: remove only our own (under the lock: see path_lock) */
	lfd = path_lock(spath);
	if (stat(spath, &now) == 0 && now.st_ino == sst.st_ino && now.st_dev == sst.st_dev)
		unlink(spath);
	path_unlock(lfd);
}

static void sconn_free(struct sconn *c)
{
	timer_stop(&c->tm);
	if (c->ev.fd >= 0)
		close(c->ev.fd);
	free(c->out);
	free(c);
}

static void sconn_timeout(struct timer *t)
{
	sconn_free(t->owner);
}

static const char *state_of(const struct server *s)
{
	if (s->maint)
		return "MAINT";
	return s->up ? "UP" : "DOWN";
}

static void show_servers(FILE *f)
{
	struct conf *c = W.conf;

	fprintf(f, "%-12s %-12s %-24s %6s %-5s %6s %10s %9s %14s %14s %s\n", "backend", "server",
		"address", "weight", "state", "cur", "total", "conn_fail", "c2s_bytes",
		"s2c_bytes", "check");
	for (int i = 0; i < c->nbe; i++) {
		struct backend *b = c->be[i];

		for (int k = 0; k < b->nsrv; k++) {
			struct server *s = b->srv[k];

			fprintf(f, "%-12s %-12s %-24s %6d %-5s %6d %10llu %9llu %14llu %14llu %s\n",
				b->name, s->name, s->addrstr, s->weight, state_of(s), s->cur,
				(unsigned long long)s->total, (unsigned long long)s->conn_fail,
				(unsigned long long)s->c2s, (unsigned long long)s->s2c,
				!s->check ? "-" : s->chk.last[0] ? s->chk.last : "pending");
		}
	}
	fprintf(f, "\n%-12s %10s %8s %8s %8s\n", "backend", "sessions", "503", "502", "504");
	for (int i = 0; i < c->nbe; i++) {
		struct backend *b = c->be[i];

		fprintf(f, "%-12s %10llu %8llu %8llu %8llu\n", b->name,
			(unsigned long long)b->total, (unsigned long long)b->fail503,
			(unsigned long long)b->fail502, (unsigned long long)b->fail504);
	}
}

static void show_info(FILE *f)
{
	struct conf *c = W.conf;

	fprintf(f, "version: %s\npid: %d\nworker: %d of %d\nuptime_s: %llu\nconfig: %s\n"
		"reloads: %llu\nsplice: %s\nkernel_splice: %s\nkernel_events: %s\n"
		"sessions: %d\nkernel_sessions: %d\nhandoffs_in_flight: %d\naccepted: %llu\n"
		"max_conn: %d\npipes: %d (pool %d)\nstopping: %s\n",
		SWITCHD_VERSION, (int)getpid(), W.idx, W.nworkers,
		(unsigned long long)((W.now - W.t_start) / 1000), c->path,
		(unsigned long long)W.reloads, splice_mode_name(c->splice),
		W.kernel_ok ? "yes" : "no", W.events_ok ? "yes" : "no", W.nsess, W.nkern,
		handoff_pending(), (unsigned long long)W.accepted, c->max_conn, g_pipes_live,
		pipe_pool_size(), W.stopping ? "yes" : "no");
	for (int i = 0; i < c->nlis; i++) {
		struct listener *l = c->lis[i];

		fprintf(f, "listener %s: mode=%s splice=%s cur=%d total=%llu\n", l->name,
			l->mode == LIS_TCP ? "tcp" : "http",
			splice_mode_name(effective_mode(l, c)), l->cur,
			(unsigned long long)l->total);
	}
}

static void show_sessions(FILE *f)
{
	fprintf(f, "%-8s %-22s %-10s %-8s %-12s %-12s %-7s %8s %12s %12s\n", "session", "client",
		"listener", "state", "backend", "server", "mode", "age_ms", "c2s", "s2c");
	for (struct sess *s = W.sessions; s; s = s->next)
		fprintf(f, "%-8llu %-22s %-10s %-8s %-12s %-12s %-7s %8llu %12llu %12llu\n",
			(unsigned long long)s->id, s->clistr, s->lis->name,
			sess_state_name(s->state), s->be ? s->be->name : "-",
			s->srv && s->state != ST_HEAD ? s->srv->name : "-",
			s->state >= ST_RELAY ? splice_mode_name(s->mode) : "-",
			(unsigned long long)(W.now - s->t0), (unsigned long long)sess_c2s(s),
			(unsigned long long)sess_s2c(s));
}

static int set_server(FILE *f, char *arg, bool enable)
{
	char *slash = arg ? strchr(arg, '/') : NULL;
	struct backend *b;
	struct server *s;

	if (!slash) {
		fprintf(f, "error: expected BACKEND/SERVER\n");
		return -1;
	}
	*slash = '\0';
	b = conf_backend(W.conf, arg);
	s = b ? backend_server(b, slash + 1) : NULL;
	if (!s) {
		fprintf(f, "error: no server %s/%s\n", arg, slash + 1);
		return -1;
	}
	if (s->maint == !enable) {
		fprintf(f, "server %s/%s already %s\n", b->name, s->name,
			enable ? "enabled" : "disabled");
		return 0;
	}
	s->maint = !enable;
	log_msg("server %s/%s %s from the stats socket", b->name, s->name,
		enable ? "enabled" : "disabled (MAINT)");
	fprintf(f, "server %s/%s %s\n", b->name, s->name, enable ? "enabled" : "disabled");
	return 0;
}

static void run_cmd(struct sconn *c)
{
	char *w[4] = { 0 }, *save = NULL, *p;
	int n = 0;
	FILE *f = open_memstream(&c->out, &c->outlen);

	if (!f) {
		sconn_free(c);
		return;
	}
	c->in[c->inlen] = '\0';
	for (p = strtok_r(c->in, " \t\r\n", &save); p && n < 4; p = strtok_r(NULL, " \t\r\n", &save))
		w[n++] = p;
	if (n >= 2 && !strcmp(w[0], "show") && !strcmp(w[1], "info"))
		show_info(f);
	else if (n >= 2 && !strcmp(w[0], "show") &&
		 (!strcmp(w[1], "servers") || !strcmp(w[1], "stat")))
		show_servers(f);
	else if (n >= 2 && !strcmp(w[0], "show") && !strcmp(w[1], "sessions"))
		show_sessions(f);
	else if (n >= 2 && !strcmp(w[0], "show") && !strcmp(w[1], "kernel"))
		kern_dump(f);
	else if (n >= 2 && !strcmp(w[0], "show") && !strcmp(w[1], "conf"))
		conf_dump(W.conf, f);
	else if (n >= 2 && (!strcmp(w[0], "disable") || !strcmp(w[0], "enable")) &&
		 !strcmp(w[1], "server"))
		set_server(f, w[2], w[0][0] == 'e');
	else
		fprintf(f, "commands:\n  show info\n  show servers\n  show sessions\n"
			"  show kernel\n  show conf\n  disable server BACKEND/SERVER\n"
			"  enable server BACKEND/SERVER\n");
	fclose(f);
	c->replying = true;
	c->outoff = 0;
	ev_mod(&c->ev, EPOLLOUT);
}

static void sconn_write(struct sconn *c)
{
	while (c->outoff < c->outlen) {
		ssize_t n = send(c->ev.fd, c->out + c->outoff, c->outlen - c->outoff, MSG_NOSIGNAL);

		if (n > 0) {
			c->outoff += (size_t)n;
			continue;
		}
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		break;
	}
	sconn_free(c);
}

void stats_event(struct evh *h, uint32_t events)
{
	(void)events;
	if (h->kind == EV_STATS_LISTEN) {
		for (int i = 0; i < 16; i++) {
			int fd = accept4(h->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
			struct sconn *c;

			if (fd < 0)
				return;
			c = xcalloc(1, sizeof(*c));
			c->ev = (struct evh){ EV_STATS_CONN, fd, c };
			timer_init(&c->tm, sconn_timeout, c);
			timer_arm_in(&c->tm, 10000);
			if (ev_add(&c->ev, EPOLLIN) < 0)
				sconn_free(c);
		}
		return;
	}
	{
		struct sconn *c = h->owner;

		if (c->replying) {
			sconn_write(c);
			return;
		}
		for (;;) {
			ssize_t n = recv(h->fd, c->in + c->inlen, sizeof(c->in) - 1 - c->inlen, 0);

			if (n > 0) {
				c->inlen += (size_t)n;
				if (memchr(c->in, '\n', c->inlen) || c->inlen >= sizeof(c->in) - 1) {
					run_cmd(c);
					return;
				}
				continue;
			}
			if (n < 0 && (errno == EAGAIN || errno == EINTR))
				return;
			if (c->inlen) {
				run_cmd(c);
				return;
			}
			sconn_free(c);
			return;
		}
	}
}

/* ---- the client: switchd -S PATH COMMAND... ---------------------------- */

static int query(const char *path, const char *cmd)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	char buf[8192];
	ssize_t n;
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		errno = e;
		return -1;
	}
	if (write(fd, cmd, strlen(cmd)) < 0) {
		close(fd);
		return -1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	close(fd);
	return 0;
}

int stats_client(const char *path, int argc, char **argv)
{
	char cmd[1024] = "";
	size_t o = 0;

	for (int i = 0; i < argc; i++) {
		int n = snprintf(cmd + o, sizeof(cmd) - o, "%s%s", i ? " " : "", argv[i]);

		if (n < 0 || (size_t)n >= sizeof(cmd) - o)
			return 2;
		o += (size_t)n;
	}
	if (o + 2 > sizeof(cmd))
		return 2;
	cmd[o++] = '\n';
	cmd[o] = '\0';
	if (query(path, cmd) == 0)
		return 0;
	if (errno == ENOENT) {
		/* workers: PATH.0, PATH.1 ... */
		int w;

		for (w = 0; w < 64; w++) {
			char p[256];

			snprintf(p, sizeof(p), "%s.%d", path, w);
			if (access(p, F_OK) < 0)
				break;
			printf("# worker %d (%s)\n", w, p);
			fflush(stdout);
			if (query(p, cmd) < 0)
				fprintf(stderr, "switchd: %s: %s\n", p, strerror(errno));
		}
		if (w > 0)
			return 0;
		errno = ENOENT;
	}
	fprintf(stderr, "switchd: stats socket %s: %s\n", path, strerror(errno));
	return 1;
}
