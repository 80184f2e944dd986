// SPDX-License-Identifier: GPL-2.0
/*
 * switchd: command line, start-up, signals, reload, graceful stop,
 * privilege drop, and the master of N worker processes.
 *
 *   switchd [-f FILE] [-m kernel|pipe|copy|auto] [-w N] [-t] [-v]
 *   switchd -S SOCKET COMMAND...
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "switchd.h"

int g_verbose;

static const char *conf_path = "/etc/switchd.conf";
static int opt_mode = -1, opt_workers;
static struct evh ev_sig = { EV_SIGNAL, -1, NULL };
static struct timer grace_tm;
static uid_t run_uid;
static gid_t run_gid;
static bool drop_ids;

static void usage(FILE *f)
{
	fprintf(f,
		"usage: switchd [-f FILE] [-m MODE] [-w N] [-t] [-v]\n"
		"       switchd -S SOCKET COMMAND...\n"
		"  -f FILE   configuration file (default /etc/switchd.conf)\n"
		"  -m MODE   splice mode for every listener: kernel, pipe, copy or auto\n"
		"  -w N      worker processes (overrides 'workers')\n"
		"  -t        check the configuration and exit (-v: print it)\n"
		"  -v        verbose: log connect failures and more\n"
		"  -S SOCK   send COMMAND to the stats socket SOCK and print the answer\n"
		"            (show info|servers|sessions|kernel|conf, enable|disable server B/S)\n"
		"  -V        version\n"
		"signals: HUP reload, TERM/INT graceful stop (twice: at once)\n");
}

/* ---- listening sockets ---------------------------------------------- */

static int open_listener(const struct sockaddr_storage *ss, socklen_t len, bool reuseport)
{
	int fd, one = 1;

	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (reuseport)
		setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	if (ss->ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)ss, len) < 0 || listen(fd, 4096) < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static int same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;

		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	} else {
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;

		return x->sin6_port == y->sin6_port &&
		       !memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr));
	}
}

static struct bind *find_bind(struct conf *c, const struct sockaddr_storage *ss)
{
	if (!c)
		return NULL;
	for (int i = 0; i < c->nlis; i++)
		for (int b = 0; b < c->lis[i]->nbinds; b++)
			if (same_addr(&c->lis[i]->binds[b].addr, ss))
				return &c->lis[i]->binds[b];
	return NULL;
}

/*
 * Give every bind of c a listening socket: the one of old (same address)
 * if there is one, else a new one.  All or nothing: on failure the new
 * sockets are closed and -1 returned with a message in err.
 */
static int bind_all(struct conf *c, struct conf *old, char *err, size_t errlen)
{
	for (int i = 0; i < c->nlis; i++) {
		for (int b = 0; b < c->lis[i]->nbinds; b++) {
			struct bind *nb = &c->lis[i]->binds[b], *ob = find_bind(old, &nb->addr);

			if (ob && ob->ev.fd >= 0)
				continue;
			nb->ev.fd = open_listener(&nb->addr, nb->alen, false);
			if (nb->ev.fd < 0) {
				snprintf(err, errlen, "bind %s: %s", nb->str, strerror(errno));
				goto undo;
			}
		}
	}
	return 0;
undo:
	for (int i = 0; i < c->nlis; i++)
		for (int b = 0; b < c->lis[i]->nbinds; b++)
			if (c->lis[i]->binds[b].ev.fd >= 0) {
				close(c->lis[i]->binds[b].ev.fd);
				c->lis[i]->binds[b].ev.fd = -1;
			}
	return -1;
}

/* Move the sockets kept from old into c, close old's others, and put
 * every listener of c into the epoll set. */
static void bind_commit(struct conf *c, struct conf *old)
{
	for (int i = 0; i < c->nlis; i++) {
		for (int b = 0; b < c->lis[i]->nbinds; b++) {
			struct bind *nb = &c->lis[i]->binds[b], *ob = find_bind(old, &nb->addr);

			if (nb->ev.fd < 0 && ob && ob->ev.fd >= 0) {
				/* same socket, new owner: re-point the epoll entry */
				nb->ev.fd = ob->ev.fd;
				ob->ev.fd = -1;
				nb->paused = false;
				ev_mod(&nb->ev, EPOLLIN);
			} else if (nb->ev.fd >= 0) {
				ev_add(&nb->ev, EPOLLIN);
			}
		}
	}
	if (!old)
		return;
	for (int i = 0; i < old->nlis; i++)
		for (int b = 0; b < old->lis[i]->nbinds; b++)
			if (old->lis[i]->binds[b].ev.fd >= 0) {
				close(old->lis[i]->binds[b].ev.fd);
				old->lis[i]->binds[b].ev.fd = -1;
			}
}

static void close_listeners(struct conf *c)
{
	for (int i = 0; i < c->nlis; i++)
		for (int b = 0; b < c->lis[i]->nbinds; b++)
			if (c->lis[i]->binds[b].ev.fd >= 0) {
				close(c->lis[i]->binds[b].ev.fd);
				c->lis[i]->binds[b].ev.fd = -1;
			}
}

static bool needs_kernel(const struct conf *c)
{
	for (int i = 0; i < c->nlis; i++) {
		int m = effective_mode(c->lis[i], c);

		if (m == SPLICE_KERNEL || m == SPLICE_AUTO)
			return true;
	}
	return false;
}

static bool requires_kernel(const struct conf *c)
{
	for (int i = 0; i < c->nlis; i++)
		if (effective_mode(c->lis[i], c) == SPLICE_KERNEL)
			return true;
	return false;
}

static void apply_overrides(struct conf *c)
{
	if (opt_mode >= 0) {
		c->splice = opt_mode;
		for (int i = 0; i < c->nlis; i++)
			c->lis[i]->splice = SPLICE_INHERIT;
	}
	if (opt_workers > 0)
		c->workers = opt_workers;
}

/* ---- reload (in the process that serves) ------------------------------ */

/* Carry run-time server state over to the same server in the new config. */
static void carry_state(struct conf *c, struct conf *old)
{
	for (int i = 0; i < c->nbe; i++) {
		struct backend *ob = conf_backend(old, c->be[i]->name);

		if (!ob)
			continue;
		c->be[i]->total = ob->total;
		c->be[i]->fail502 = ob->fail502;
		c->be[i]->fail503 = ob->fail503;
		c->be[i]->fail504 = ob->fail504;
		for (int k = 0; k < c->be[i]->nsrv; k++) {
			struct server *s = c->be[i]->srv[k], *os = backend_server(ob, s->name);

			if (!os || !same_addr(&os->addr, &s->addr))
				continue;
			s->up = os->up;
			s->maint = os->maint;
			s->total = os->total;
			s->conn_fail = os->conn_fail;
			s->c2s = os->c2s;
			s->s2c = os->s2c;
			s->last_change = os->last_change;
			memcpy(s->chk.last, os->chk.last, sizeof(s->chk.last));
		}
	}
}

static void kernel_setup(struct conf *c, bool fatal)
{
	int err;

	if (!needs_kernel(c) || W.kernel_ok)
		return;
	err = kern_open(c->splice_threads, c->events_buf);
	if (err) {
		if (requires_kernel(c)) {
			log_msg("%s: splice kernel: tcp_splice is not available (%s); %s",
				fatal ? "error" : "warning", strerror(err),
				fatal ? "load the module (modprobe tcp_splice) or choose splice auto"
				      : "sessions use splice(2) pipes");
			if (fatal)
				exit(1);
		} else {
			log_msg("notice: tcp_splice not available (%s): splice auto uses pipes",
				strerror(err));
		}
	} else {
		log_msg("notice: tcp_splice available%s", W.events_ok ? ", session events on" : "");
	}
}

void worker_apply_conf(struct conf *c)
{
	struct conf *old = W.conf;
	char err[256];

	if (W.nworkers <= 1 && bind_all(c, old, err, sizeof(err)) < 0) {
		log_msg("error: reload of %s failed: %s; keeping the running configuration",
			c->path, err);
		conf_put(c);
		return;
	}
	carry_state(c, old);
	checks_stop(old);
	bind_commit(c, old);
	if (strcmp(c->log, old->log))
		log_open(c->log);
	if ((c->stats_path || old->stats_path) &&
	    (!c->stats_path || !old->stats_path || strcmp(c->stats_path, old->stats_path)))
		log_msg("notice: stats-socket changes take a restart");
	W.conf = c;
	kernel_setup(c, false);
	handoff_init(c->splice_threads);
	checks_start(c);
	conf_put(old);
	W.reloads++;
	listeners_update_pause();
	log_msg("reloaded %s: %d listeners, %d backends, splice %s", c->path, c->nlis, c->nbe,
		splice_mode_name(c->splice));
}

static void reload(void)
{
	char err[512];
	struct conf *c;

	log_reopen();
	if (W.stopping)
		return;
	c = conf_load(conf_path, err, sizeof(err));
	if (!c) {
		log_msg("error: reload failed: %s; keeping the running configuration", err);
		return;
	}
	apply_overrides(c);
	c->workers = W.conf->workers;	/* the master decides about workers */
	worker_apply_conf(c);
}

/* ---- graceful stop ----------------------------------------------------- */

static void grace_over(struct timer *t)
{
	(void)t;
	log_msg("grace period over: ending %d sessions", W.nsess);
	sess_close_all("shutdown");
	loop_stop();
}

static void begin_stop(void)
{
	if (W.stopping) {
		log_msg("stopping now");
		sess_close_all("shutdown");
		loop_stop();
		return;
	}
	W.stopping = true;
	W.stop_deadline = W.now + (uint64_t)W.conf->t_grace;
	close_listeners(W.conf);
	checks_stop(W.conf);
	log_msg("stopping: no new connections; %d sessions left (grace %llds)", W.nsess,
		(long long)(W.conf->t_grace / 1000));
	timer_init(&grace_tm, grace_over, NULL);
	timer_arm(&grace_tm, W.stop_deadline);
}

void main_event(struct evh *h, uint32_t events)
{
	struct signalfd_siginfo si;

	(void)events;
	if (h->kind != EV_SIGNAL)
		return;
	while (read(h->fd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			if (W.nworkers > 1)
				log_reopen();	/* the master reloads */
			else
				reload();
			break;
		case SIGTERM:
		case SIGINT:
			begin_stop();
			break;
		default:
			break;
		}
	}
}

/* ---- privileges ----------------------------------------------------- */

static int resolve_ids(struct conf *c)
{
	if (c->user) {
		struct passwd *pw = getpwnam(c->user);

		if (!pw) {
			fprintf(stderr, "switchd: user %s: unknown\n", c->user);
			return -1;
		}
		run_uid = pw->pw_uid;
		run_gid = pw->pw_gid;
		drop_ids = true;
	}
	if (c->group) {
		struct group *gr = getgrnam(c->group);

		if (!gr) {
			fprintf(stderr, "switchd: group %s: unknown\n", c->group);
			return -1;
		}
		run_gid = gr->gr_gid;
		if (!c->user)
			run_uid = getuid();
		drop_ids = true;
	}
	return 0;
}

static int drop_privileges(void)
{
	if (!drop_ids)
		return 0;
	if (setgroups(0, NULL) < 0 && errno != EPERM)
		return -1;
	if (setgid(run_gid) < 0 || setuid(run_uid) < 0)
		return -1;
	if (run_uid != 0 && setuid(0) == 0) {
		errno = EPERM;
		return -1;	/* could get root back: the drop did not stick */
	}
	return 0;
}

/* ---- one serving process ---------------------------------------------- */

static void write_pidfile(const char *path)
{
	FILE *f;

	if (!path)
		return;
	f = fopen(path, "w");
	if (!f) {
		log_msg("warning: pidfile %s: %s", path, strerror(errno));
		return;
	}
	fprintf(f, "%d\n", (int)getpid());
	fclose(f);
}

static int setup_signals(void)
{
	sigset_t set;

	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return -1;
	ev_sig.fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	return ev_sig.fd < 0 ? -1 : 0;
}

/* Serve with c, whose binds already hold their sockets (not yet in epoll). */
static int serve(struct conf *c)
{
	int rc;

	if (loop_init() < 0 || ev_add(&ev_sig, EPOLLIN) < 0) {
		log_msg("error: epoll: %s", strerror(errno));
		return 1;
	}
	W.conf = c;
	W.t_start = W.now;
	bind_commit(c, NULL);
	kernel_setup(c, true);
	if (c->stats_path) {
		char p[128];

		if (W.nworkers > 1)
			snprintf(p, sizeof(p), "%s.%d", c->stats_path, W.idx);
		else
			snprintf(p, sizeof(p), "%s", c->stats_path);
		if (stats_open(p, c->stats_mode) < 0) {
			log_msg("error: stats-socket %s: %s", p, strerror(errno));
			return 1;
		}
		if (drop_ids && chown(p, run_uid, run_gid) < 0)
			log_msg("warning: chown %s: %s", p, strerror(errno));
	}
	if (drop_privileges() < 0) {
		log_msg("error: cannot drop privileges to %s/%s: %s", c->user ? c->user : "-",
			c->group ? c->group : "-", strerror(errno));
		return 1;
	}
	if (handoff_init(c->splice_threads) < 0)
		log_msg("warning: no splice thread could be started: sessions use pipes");
	kern_start_sweep();
	checks_start(c);
	log_msg("started%s: %d listeners, %d backends, splice %s%s, max-conn %d", W.nworkers > 1 ?
		" (worker)" : "", c->nlis, c->nbe, splice_mode_name(c->splice),
		needs_kernel(c) ? (W.kernel_ok ? " (kernel available)" : " (kernel unavailable)")
				: "", c->max_conn);
	rc = loop_run();
	checks_stop(W.conf);
	kern_close();
	stats_close();
	log_msg("stopped (%llu connections served)", (unsigned long long)W.accepted);
	return rc;
}

/*
 * Descriptors: two sockets per session, two pipes per direction in pipe
 * mode; the default limits (1024/4096) are far too low.  Root may also
 * raise the hard limit (up to fs.nr_open).
 */
static void raise_nofile(int max_conn)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)max_conn * 6 + 1024;
	FILE *f = fopen("/proc/sys/fs/nr_open", "r");
	unsigned long nr_open = 1048576;

	if (f) {
		if (fscanf(f, "%lu", &nr_open) != 1)
			nr_open = 1048576;
		fclose(f);
	}
	if (want > nr_open)
		want = nr_open;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	if (rl.rlim_max < want) {
		struct rlimit r2 = { want, want };

		if (setrlimit(RLIMIT_NOFILE, &r2) == 0)
			return;
	}
	if (rl.rlim_cur < want) {
		rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

/* ---- master of N workers ---------------------------------------------- */

/*
 * The master opens, for every bind address, one SO_REUSEPORT socket per
 * worker and keeps them all; worker i serves socket i.  A reload forks a
 * new generation on the same sockets and asks the old one to stop
 * gracefully: the sockets never close, so no connection waiting in a
 * queue is lost.  The master keeps its privileges (to bind new addresses
 * on reload); the workers drop theirs.
 */
#define MAXW 64
struct msock {
	struct sockaddr_storage addr;
	socklen_t alen;
	char str[72];
	int fd[MAXW];
	int n;
	bool used;
};
static struct msock *ms;
static int nms;
static pid_t wpid[MAXW];		/* the current generation */
static int gen_n;
static pid_t *kids;			/* every live worker, old ones too */
static int nkids;

static void kids_add(pid_t p)
{
	pid_t *n = realloc(kids, sizeof(*kids) * (size_t)(nkids + 1));

	if (!n)
		return;
	kids = n;
	kids[nkids++] = p;
}

static void kids_del(pid_t p)
{
	for (int i = 0; i < nkids; i++)
		if (kids[i] == p) {
			kids[i] = kids[--nkids];
			return;
		}
}

static void kids_signal(int sig)
{
	for (int i = 0; i < nkids; i++)
		kill(kids[i], sig);
}

static struct msock *ms_find(const struct sockaddr_storage *ss)
{
	for (int i = 0; i < nms; i++)
		if (same_addr(&ms[i].addr, ss))
			return &ms[i];
	return NULL;
}

static int ms_prepare(struct conf *c, char *err, size_t errlen)
{
	for (int i = 0; i < nms; i++)
		ms[i].used = false;
	for (int i = 0; i < c->nlis; i++) {
		for (int b = 0; b < c->lis[i]->nbinds; b++) {
			struct bind *bd = &c->lis[i]->binds[b];
			struct msock *m = ms_find(&bd->addr);

			if (!m) {
				struct msock *nm = realloc(ms, sizeof(*ms) * (size_t)(nms + 1));

				if (!nm)
					return -1;
				ms = nm;
				m = &ms[nms++];
				memset(m, 0, sizeof(*m));
				m->addr = bd->addr;
				m->alen = bd->alen;
				snprintf(m->str, sizeof(m->str), "%s", bd->str);
			}
			m->used = true;
			while (m->n < c->workers) {
				int fd = open_listener(&m->addr, m->alen, true);

				if (fd < 0) {
					snprintf(err, errlen, "bind %s: %s", m->str, strerror(errno));
					return -1;
				}
				m->fd[m->n++] = fd;
			}
		}
	}
	return 0;
}

/* After a generation started: close what no bind uses. */
static void ms_trim(int workers)
{
	for (int i = 0; i < nms; i++) {
		struct msock *m = &ms[i];
		int keep = m->used ? workers : 0;

		while (m->n > keep)
			close(m->fd[--m->n]);
	}
}

static pid_t spawn_worker(struct conf *c, int idx, int n)
{
	pid_t pid = fork();

	if (pid != 0) {
		if (pid > 0)
			kids_add(pid);
		return pid;
	}
	/* the worker: its own process group (a terminal's ^C reaches the
	 * master only, which tells the workers once) */
	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() == 1)
		exit(0);
	W.idx = idx;
	W.nworkers = n;
	for (int i = 0; i < c->nlis; i++)
		for (int b = 0; b < c->lis[i]->nbinds; b++) {
			struct msock *m = ms_find(&c->lis[i]->binds[b].addr);

			c->lis[i]->binds[b].ev.fd = dup(m->fd[idx]);
		}
	for (int i = 0; i < nms; i++)
		for (int k = 0; k < ms[i].n; k++)
			close(ms[i].fd[k]);
	exit(serve(c));
}

static int master(struct conf *c)
{
	sigset_t set;
	char err[512];
	bool stopping = false;
	int live = 0;

	if (ms_prepare(c, err, sizeof(err)) < 0) {
		log_msg("error: %s", err);
		return 1;
	}
	ms_trim(c->workers);
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGCHLD);
	gen_n = c->workers;
	for (int i = 0; i < gen_n; i++) {
		wpid[i] = spawn_worker(c, i, gen_n);
		live++;
	}
	log_msg("master: %d workers", gen_n);
	for (;;) {
		siginfo_t si;
		int sig = sigwaitinfo(&set, &si);

		if (sig < 0)
			continue;
		if (sig == SIGCHLD) {
			pid_t p;
			int st;

			while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
				live--;
				kids_del(p);
				for (int i = 0; i < gen_n; i++) {
					if (wpid[i] != p)
						continue;
					wpid[i] = 0;
					if (stopping)
						break;
					log_msg("master: worker %d (pid %d) died (%s %d); restarting", i,
						(int)p, WIFSIGNALED(st) ? "signal" : "exit",
						WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
					sleep(1);
					wpid[i] = spawn_worker(c, i, gen_n);
					live++;
				}
			}
			if (stopping && live <= 0)
				break;
		} else if (sig == SIGHUP && !stopping) {
			struct conf *nc = conf_load(conf_path, err, sizeof(err));
			pid_t old[MAXW];
			int oldn = gen_n;

			log_reopen();
			if (!nc) {
				log_msg("error: reload failed: %s; keeping the running configuration", err);
				continue;
			}
			apply_overrides(nc);
			if (ms_prepare(nc, err, sizeof(err)) < 0) {
				log_msg("error: reload failed: %s; keeping the running configuration", err);
				conf_put(nc);
				ms_prepare(c, err, sizeof(err));
				ms_trim(c->workers);
				continue;
			}
			if (strcmp(nc->log, c->log))
				log_open(nc->log);
			memcpy(old, wpid, sizeof(old));
			conf_put(c);
			c = nc;
			gen_n = c->workers;
			for (int i = 0; i < gen_n; i++) {
				wpid[i] = spawn_worker(c, i, gen_n);
				live++;
			}
			for (int i = gen_n; i < MAXW; i++)
				wpid[i] = 0;
			for (int i = 0; i < oldn; i++)
				if (old[i] > 0)
					kill(old[i], SIGTERM);
			ms_trim(c->workers);
			log_msg("master: reloaded %s: %d new workers, %d old ones stopping", c->path,
				gen_n, oldn);
		} else if (sig == SIGTERM || sig == SIGINT) {
			/* a second one reaches the workers as a second one:
			 * they stop at once */
			log_msg("master: stopping %d workers%s", live, stopping ? " now" : "");
			stopping = true;
			for (int i = 0; i < nms; i++)
				while (ms[i].n > 0)
					close(ms[i].fd[--ms[i].n]);
			kids_signal(SIGTERM);
			if (live <= 0)
				break;
		}
	}
	if (c->pidfile)
		unlink(c->pidfile);
	log_msg("master: stopped");
	conf_put(c);
	return 0;
}

int main(int argc, char **argv)
{
	char err[512];
	struct conf *c;
	bool test = false;
	const char *stats_sock = NULL;
	int opt, rc;

	while ((opt = getopt(argc, argv, "+f:m:w:tvS:Vh")) != -1) {
		switch (opt) {
		case 'f':
			conf_path = optarg;
			break;
		case 'm':
			opt_mode = splice_mode_parse(optarg);
			if (opt_mode < 0) {
				fprintf(stderr, "switchd: -m %s: kernel, pipe, copy or auto\n", optarg);
				return 2;
			}
			break;
		case 'w':
			opt_workers = atoi(optarg);
			if (opt_workers < 1 || opt_workers > MAXW) {
				fprintf(stderr, "switchd: -w %s: 1 to %d\n", optarg, MAXW);
				return 2;
			}
			break;
		case 't':
			test = true;
			break;
		case 'v':
			g_verbose++;
			break;
		case 'S':
			stats_sock = optarg;
			break;
		case 'V':
			printf("switchd %s\n", SWITCHD_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (stats_sock) {
		if (optind >= argc) {
			fprintf(stderr, "switchd: -S needs a command (try: show info)\n");
			return 2;
		}
		return stats_client(stats_sock, argc - optind, argv + optind);
	}
	if (optind != argc) {
		usage(stderr);
		return 2;
	}
	c = conf_load(conf_path, err, sizeof(err));
	if (!c) {
		fprintf(stderr, "switchd: %s\n", err);
		return 1;
	}
	apply_overrides(c);
	if (resolve_ids(c) < 0)
		return 1;
	if (test) {
		if (g_verbose)
			conf_dump(c, stdout);
		printf("switchd: configuration %s is valid\n", conf_path);
		conf_put(c);
		return 0;
	}
	srandom((unsigned int)(time(NULL) ^ getpid()));
	raise_nofile(c->max_conn);
	if (log_open(c->log) < 0) {
		fprintf(stderr, "switchd: log %s: %s\n", c->log, strerror(errno));
		return 1;
	}
	if (setup_signals() < 0) {
		fprintf(stderr, "switchd: signals: %s\n", strerror(errno));
		return 1;
	}
	write_pidfile(c->pidfile);
	if (c->workers > 1) {
		W.nworkers = c->workers;
		return master(c);
	}
	W.nworkers = 1;
	if (bind_all(c, NULL, err, sizeof(err)) < 0) {
		log_msg("error: %s", err);
		return 1;
	}
	rc = serve(c);
	if (W.conf->pidfile)
		unlink(W.conf->pidfile);
	conf_put(W.conf);
	return rc;
}
