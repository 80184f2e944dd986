/* SPDX-License-Identifier: GPL-2.0 */
/*
 * switchd - the reference layer-7 switch of tcp_splice.
 *
 * One event loop per process (epoll, non-blocking sockets, edge-triggered
 * session descriptors, a timer heap); optionally N worker processes with
 * SO_REUSEPORT listeners under a master.  See Documentation/switchd.rst.
 */
#ifndef SWITCHD_H
#define SWITCHD_H

#include <stdbool.h>
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "http.h"

#define SWITCHD_VERSION "0.1.0"

/* ---- splice modes ------------------------------------------------------- */
enum splice_mode {
	SPLICE_INHERIT = -1,	/* listener: use the global mode */
	SPLICE_KERNEL = 0,	/* tcp_splice (falls back to pipe per session) */
	SPLICE_PIPE,		/* splice(2) through a pipe */
	SPLICE_COPY,		/* read(2)/write(2) */
	SPLICE_AUTO,		/* kernel when the module answers, else pipe */
};
const char *splice_mode_name(int m);
int splice_mode_parse(const char *s);

enum balance { BAL_RR, BAL_LEASTCONN, BAL_SOURCE };
enum lis_mode { LIS_HTTP, LIS_TCP };
enum keepalive { KA_CLOSE, KA_TUNNEL };

/* ---- epoll handles: the first member of everything registered ---------- */
enum evkind {
	EV_LISTEN = 1, EV_CLI, EV_SRV, EV_CHECK, EV_SIGNAL, EV_EVENTS,
	EV_STATS_LISTEN, EV_STATS_CONN, EV_HANDOFF_DONE,
};

struct evh {
	uint8_t kind;
	int fd;
	void *owner;
};

/* ---- timers (min-heap) ------------------------------------------------ */
struct timer {
	uint64_t when;		/* monotonic ms */
	int idx;		/* position in the heap, -1 if not armed */
	void (*fn)(struct timer *t);
	void *owner;
};

void timer_init(struct timer *t, void (*fn)(struct timer *), void *owner);
void timer_arm(struct timer *t, uint64_t when);
void timer_arm_in(struct timer *t, uint64_t ms);
void timer_stop(struct timer *t);
uint64_t now_ms(void);		/* cached loop time */
uint64_t clock_ms(void);	/* fresh */

/* ---- configuration ---------------------------------------------------- */
struct backend;

struct check_state {
	struct evh ev;		/* EV_CHECK */
	struct timer tm;
	uint64_t started;
	int running;
	char last[48];		/* last result, for stats */
};

struct server {
	char *name;
	struct sockaddr_storage addr;
	socklen_t alen;
	char addrstr[64];
	int weight;
	bool check;		/* health-checked (backend has check on) */
	struct backend *be;
	int idx;
	/* runtime */
	bool up;		/* health state */
	bool maint;		/* disabled from the stats socket */
	int rise_cnt, fall_cnt;
	int cw;			/* smooth weighted round robin */
	int cur;		/* sessions now (user space + kernel) */
	uint64_t total, conn_fail, c2s, s2c;
	uint64_t last_change;
	struct check_state chk;
};

struct backend {
	char *name;
	int balance;
	struct server **srv;
	int nsrv;
	int retries;		/* -1: every server once */
	int64_t t_connect;	/* ms; -1 inherit */
	bool check;
	int64_t check_interval, check_timeout;
	int check_rise, check_fall;
	uint32_t rr_next;
	uint64_t total, fail503, fail502, fail504;
};

struct rule {
	char *host;		/* NULL: any; "*.example.com": suffix */
	char *prefix;		/* NULL: any */
	char *be_name;
	struct backend *be;
};

struct bind {
	struct sockaddr_storage addr;
	socklen_t alen;
	char str[72];
	struct evh ev;		/* EV_LISTEN, fd -1 when closed */
	struct listener *lis;
	bool paused;
};

struct listener {
	char *name;
	struct bind *binds;
	int nbinds;
	int mode;		/* LIS_HTTP, LIS_TCP */
	int splice;		/* SPLICE_*, SPLICE_INHERIT */
	int keepalive;		/* KA_* */
	bool xff;
	int64_t t_head, t_idle;	/* ms; -1 inherit */
	int64_t max_header, max_body;	/* bytes; -1 inherit, 0 no limit (body) */
	int max_conn;		/* 0: no own limit */
	int64_t splice_after;	/* bytes; -1 inherit */
	struct rule *rules;
	int nrules;
	char *def_name;
	struct backend *def;
	/* runtime */
	int cur;
	uint64_t total, rejected;
};

struct conf {
	int refs;
	char *path;
	/* global */
	char *user, *group;
	int workers;
	int splice;		/* SPLICE_* */
	int splice_threads;
	int64_t splice_after;	/* bytes relayed in user space before the
				 * handoff; -1: by mode (splice_after_of) */
	char *stats_path;
	int stats_mode;
	char *log;		/* "stderr", "stdout", "syslog", or a path */
	char *pidfile;
	int max_conn;
	int pipe_pool;
	int64_t buf_size;
	int64_t events_buf;	/* receive buffer of the module's events,
				 * bytes (read at start-up) */
	int64_t t_head, t_connect, t_idle, t_grace;
	int64_t max_header, max_body;
	struct listener **lis;
	int nlis;
	struct backend **be;
	int nbe;
};

struct conf *conf_load(const char *path, char *err, size_t errlen);
void conf_get(struct conf *c);
void conf_put(struct conf *c);
struct backend *conf_backend(struct conf *c, const char *name);
struct server *backend_server(struct backend *b, const char *name);
int parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len, int defport);
void addr_str(const struct sockaddr *sa, char *buf, size_t len);
int parse_size(const char *s, int64_t *out);
int parse_time(const char *s, int64_t *out);
/* splice-after when neither the listener nor global sets it: 0 (hand off
 * at once) in kernel mode, AUTO_SPLICE_AFTER in auto mode. */
#define AUTO_SPLICE_AFTER (256 << 10)
int64_t splice_after_of(const struct listener *l, const struct conf *c, int mode);
void conf_dump(const struct conf *c, FILE *f);

/* ---- sessions ------------------------------------------------------- */
enum sess_state {
	ST_HEAD,		/* reading the request head */
	ST_CONNECT,		/* connecting to a server */
	ST_SEND,		/* writing the head (and early body) to the server */
	ST_RELAY,		/* user-space relay (pipe or copy) */
	ST_HANDOFF,		/* a splice thread owns the descriptors */
	ST_RESPOND,		/* writing switchd's own response */
	ST_LINGER,		/* draining the client after a response */
	ST_DEAD,
};

struct dir {
	int from, to;
	char *buf;
	size_t off, len;
	int pipe[2];
	size_t inpipe;
	bool eof, shut;
	bool copy;		/* read/write instead of splice(2) */
	bool limit;		/* client to server with keepalive close: only
				 * the request's body goes on (left, or the
				 * chunked framing); what follows is dropped */
	bool chunked;		/* the chunked body is not complete yet */
	uint64_t left;		/* Content-Length bytes still to forward */
	uint64_t bytes;
};

struct sess {
	struct evh cev, sev;	/* EV_CLI, EV_SRV */
	uint64_t id;
	int state;
	struct conf *conf;
	struct listener *lis;
	struct backend *be;
	struct server *srv;
	struct sockaddr_storage cli;
	char clistr[64];
	struct timer tm;
	uint64_t t0, last_io;
	/* head phase */
	char *buf;
	size_t len, cap, scan;
	struct http_req req;
	char reqline[160];	/* for the log */
	char host[96];
	/* to the server */
	char *out;
	size_t out_len, out_off;
	uint8_t *tried;
	int attempts;
	int last_err;		/* errno of the last failed connect */
	bool last_timeout;
	/* relay */
	int mode;		/* SPLICE_KERNEL/PIPE/COPY: what carries the data */
	int want_kernel;	/* hand off when possible */
	int64_t after;		/* splice-after: hand off once a direction
				 * relayed that many bytes in user space */
	bool draining;		/* splice-after reached: no more reads, empty
				 * the relays, then hand off */
	bool peek;		/* auto: look at the response head (not read
				 * yet) for its length before relaying it */
	bool head_req;		/* a HEAD request: no response body */
	struct dir d[2];	/* 0: client -> server, 1: server -> client */
	struct http_chunked ck;	/* a chunked request body's framing */
	uint64_t dropped;	/* client bytes after the request, not forwarded */
	uint64_t cut_c2s, cut_s2c;	/* bytes received from each peer when
					 * the kernel took over (TCP_INFO) */
	int status;		/* switchd's own response code, 0 if none */
	const char *end;	/* end reason */
	char note[64];		/* e.g. "fallback: ..." */
	uint64_t ksid;		/* kernel session id */
	bool counted;		/* counts in srv->cur */
	bool in_runq;
	struct sess *next, *prev;	/* all sessions */
	struct sess *rq_next;	/* run queue */
	struct sess *zombie_next;
};

/* ---- the process ------------------------------------------------------ */
struct worker {
	int ep;
	int idx;		/* worker index (0 in single-process mode) */
	int nworkers;
	struct conf *conf;
	uint64_t now;
	bool stopping;
	uint64_t stop_deadline;
	bool kernel_ok;		/* a splice handle could be opened */
	bool events_ok;
	int nsess;		/* user-space sessions */
	int nkern;		/* sessions in the kernel, awaiting their end */
	uint64_t next_id;
	uint64_t accepted, reloads;
	uint64_t t_start;
	struct sess *sessions;
	struct sess *runq, *runq_tail;
	struct sess *zombies;
	bool paused_global;
};

extern struct worker W;
extern int g_verbose;

/* loop.c */
int loop_init(void);
int ev_add(struct evh *h, uint32_t events);
int ev_mod(struct evh *h, uint32_t events);
void ev_del(struct evh *h);
int loop_run(void);		/* until stopped; returns exit code */
void loop_stop(void);
uint64_t timers_next(void);
void timers_run(void);

/* sess.c */
void listener_accept(struct bind *b);
void sess_event(struct evh *h, uint32_t events);
void sess_run(struct sess *s);
void sess_reap(void);
void sess_close_all(const char *end);
void sess_handoff_result(struct sess *s, int err, uint64_t id, uint64_t rx_c,
			 uint64_t rx_s);
const char *sess_state_name(int st);
int effective_mode(const struct listener *l, const struct conf *c);
uint64_t sess_c2s(const struct sess *s);
uint64_t sess_s2c(const struct sess *s);
int pipe_pool_size(void);
extern int g_pipes_live;
int handoff_submit(struct sess *s);
void listeners_update_pause(void);
void handoff_done_event(void);
int handoff_init(int nthreads);
void handoff_shutdown(void);
int handoff_pending(void);

/* kern.c: the tcp_splice wrapper */
int kern_open(int nthreads, int64_t events_buf);	/* 0 if the module answers */
void kern_close(void);
int kern_splice(int thread, int cfd, int sfd, uint64_t *id);
bool kern_available(void);
bool kern_has_events(void);
void kern_events_read(void);
void kern_track(struct sess *s);	/* after a successful handoff */
void kern_sweep(void);
void kern_detach_all(void);
int kern_pending(void);
void kern_dump(FILE *f);
void kern_start_sweep(void);

/* lb.c */
struct server *lb_pick(struct backend *b, const struct sockaddr_storage *cli,
		       const uint8_t *tried);
void checks_start(struct conf *c);
void checks_stop(struct conf *c);
void check_event(struct evh *h, uint32_t events);
void server_set_state(struct server *s, bool up, const char *why);
bool server_usable(const struct server *s);

/* stats.c */
int stats_open(const char *path, int mode);
void stats_close(void);
void stats_event(struct evh *h, uint32_t events);
int stats_client(const char *path, int argc, char **argv);

/* log.c: one line per session */
struct logrec {
	uint64_t sid, ksid;
	const char *cli, *lis, *be, *srv, *srvaddr, *mode, *req, *host, *note, *end;
	int status;
	uint64_t c2s, s2c, dur;
};
void log_rec(const struct logrec *r);

int log_open(const char *target);
void log_reopen(void);
void log_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_sess(struct sess *s, uint64_t c2s, uint64_t s2c, uint64_t dur,
	      const char *end);
void log_line(const char *line, size_t len);

/* main.c */
void worker_apply_conf(struct conf *c);

/* tcpinfo.c */
uint64_t tcp_rx_bytes(int fd);

/* util */
int set_nonblock(int fd);
void *xcalloc(size_t n, size_t sz);
char *xstrdup(const char *s);

#endif
