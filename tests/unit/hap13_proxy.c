// SPDX-License-Identifier: GPL-2.0
/*
 * hap13_proxy - a proxy written only against the HAProxy 1.3 API of
 * libtcpsplice (libtcpsplice.h: tcp_splice_start, tcp_splice_initfd,
 * tcp_splice_splicefd), used the way HAProxy 1.3 uses it, and built the
 * way HAProxy 1.3 builds: -I<dir> -L<dir> -ltcpsplice, nothing else.
 *
 *   tcp_splice_start() once at start-up (< 0: abort with a message);
 *   per connection, in a child process (fork after start, like nbproc):
 *   socket() -> tcp_splice_initfd(cli, srv) -> non-blocking -> connect;
 *   meanwhile client bytes are read into the request buffer;
 *   tcp mode:  tcp_splice_splicefd(cli, srv, 0) as soon as the server
 *              connection is established, client bytes possibly still
 *              buffered (written after the call);
 *   http mode: the request is relayed, N response bytes (the "headers")
 *              are read and held; tcp_splice_splicefd(cli, srv, 0) while
 *              they are unsent; then they are written to the client;
 *   then it relays whatever still arrives, propagates each EOF with
 *   shutdown(SHUT_WR) once its buffer is flushed, and closes both sockets
 *   when both directions are done.  Return values of initfd and splicefd
 *   are logged but, as in HAProxy, do not change what it does.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <sys/wait.h>

#include <libtcpsplice.h>

#include "tsu.h"

static const char *prog = "hap13_proxy";

static void usage(void)
{
	fprintf(stderr,
"usage: hap13_proxy [options] LISTEN_PORT SERVER_IP SERVER_PORT\n"
"  --mode tcp|http   when to call tcp_splice_splicefd (default tcp)\n"
"  --hold-resp N     http: response bytes held across the call (default 200)\n"
"  --count N         connections to serve, each in a child (default 1)\n"
"  --no-start        do not call tcp_splice_start (lazy start in splicefd)\n"
"  --timeout S       give up after S seconds (default 60)\n"
"  --ready-file F    create F once listening\n"
"  --spliced-file F  create F once every session called splicefd\n"
"Per session: hap13 session=N initfd=E splice=E held=H c2s=X s2c=Y result=E\n"
"Exit 0 when every session relayed without error.\n");
	exit(2);
}

static int session(int n, int cli, const struct sockaddr_in *srv_addr,
		   int http, size_t hold, int timeout_ms, int report_fd)
{
	static struct tsu_dir d[2];	/* [0] c2s, [1] s2c */
	int srv, e_init = 0, e_splice = -1, one = 1, r, spliced = 0;
	int64_t end = tsu_now_ms() + timeout_ms;
	size_t held = 0;
	socklen_t sl;

	srv = socket(AF_INET, SOCK_STREAM, 0);
	if (srv < 0)
		return 1;
	if (tcp_splice_initfd(cli, srv) < 0)
		e_init = errno;
	tsu_nonblock(srv);
	tsu_nonblock(cli);
	setsockopt(srv, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	tsu_dir_init(&d[0], cli, srv);
	tsu_dir_init(&d[1], srv, cli);

	if (connect(srv, (const struct sockaddr *)srv_addr, sizeof(*srv_addr)) < 0 &&
	    errno != EINPROGRESS) {
		fprintf(stderr, "%s: connect: %s\n", prog, strerror(errno));
		return 1;
	}
	/* Connecting: the client may already talk; buffer what it says. */
	for (;;) {
		struct pollfd p[2] = { { srv, POLLOUT, 0 }, { cli, POLLIN, 0 } };
		int np = d[0].len < TSU_BUF && !d[0].eof ? 2 : 1;
		int err = 0;

		if (poll(p, np, 100) < 0 && errno != EINTR)
			return 1;
		if (np == 2 && p[1].revents) {
			ssize_t k = read(cli, d[0].buf + d[0].len, TSU_BUF - d[0].len);

			if (k > 0) {
				d[0].len += (size_t)k;
				d[0].in += (uint64_t)k;
			} else if (k == 0) {
				d[0].eof = 1;
			}
		}
		if (p[0].revents) {
			sl = sizeof(err);
			getsockopt(srv, SOL_SOCKET, SO_ERROR, &err, &sl);
			if (err) {
				fprintf(stderr, "%s: connect: %s\n", prog, strerror(err));
				return 1;
			}
			break;
		}
		if (tsu_now_ms() > end)
			return 1;
	}
	if (!http) {
		/* TCP mode: splice at establishment, buffer still unsent. */
		held = d[0].len;
		e_splice = tcp_splice_splicefd(cli, srv, 0) < 0 ? errno : 0;
		spliced = 1;
	} else {
		/* HTTP mode: relay the request, hold `hold` response bytes. */
		while (d[1].len < hold && !d[1].eof) {
			struct pollfd p[3];
			int np = 0;

			p[np++] = (struct pollfd){ srv, POLLIN, 0 };
			if (!d[0].eof && d[0].len < TSU_BUF)
				p[np++] = (struct pollfd){ cli, POLLIN, 0 };
			if (d[0].off < d[0].len)
				p[np++] = (struct pollfd){ srv, POLLOUT, 0 };
			if (poll(p, np, 100) < 0 && errno != EINTR)
				return 1;
			if (tsu_now_ms() > end)
				return 1;
			for (int i = 0; i < np; i++) {
				ssize_t k;

				if (!p[i].revents)
					continue;
				if (p[i].fd == srv && p[i].events == POLLIN) {
					k = read(srv, d[1].buf + d[1].len, hold - d[1].len);
					if (k > 0) {
						d[1].len += (size_t)k;
						d[1].in += (uint64_t)k;
					} else if (k == 0) {
						d[1].eof = 1;
					} else if (errno != EAGAIN) {
						return 1;
					}
				} else if (p[i].fd == cli) {
					k = read(cli, d[0].buf + d[0].len, TSU_BUF - d[0].len);
					if (k > 0) {
						d[0].len += (size_t)k;
						d[0].in += (uint64_t)k;
					} else if (k == 0) {
						d[0].eof = 1;
					} else if (errno != EAGAIN) {
						return 1;
					}
				} else {
					k = write(srv, d[0].buf + d[0].off, d[0].len - d[0].off);
					if (k > 0) {
						d[0].off += (size_t)k;
						d[0].out += (uint64_t)k;
					} else if (k < 0 && errno != EAGAIN) {
						return 1;
					}
					if (d[0].off == d[0].len)
						d[0].off = d[0].len = 0;
				}
			}
		}
		held = d[1].len;
		if (!d[1].eof) {
			e_splice = tcp_splice_splicefd(cli, srv, 0) < 0 ? errno : 0;
			spliced = 1;
		}
	}
	if (report_fd >= 0 && write(report_fd, "s", 1) < 0)
		return 1;
	r = tsu_relay(d, (int)(end - tsu_now_ms()));
	printf("hap13 session=%d initfd=%s splice=%s held=%zu c2s=%llu s2c=%llu result=%s\n",
	       n, tsu_errname(e_init), spliced ? tsu_errname(e_splice) : "-",
	       held, (unsigned long long)d[0].out,
	       (unsigned long long)d[1].out, tsu_errname(r));
	fflush(stdout);
	close(srv);
	close(cli);
	return r ? 1 : 0;
}

int main(int argc, char **argv)
{
	const char *ready = NULL, *spliced_file = NULL;
	int http = 0, count = 1, start = 1, timeout = 60, i, lfd, one = 1;
	int pfd[2], fails = 0, done = 0;
	size_t hold = 200;
	struct sockaddr_in la = { .sin_family = AF_INET }, sa = { .sin_family = AF_INET };

	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1] == '-'; i++) {
		const char *o = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(o, "--mode") && v) {
			http = !strcmp(v, "http");
			if (!http && strcmp(v, "tcp"))
				usage();
			i++;
		} else if (!strcmp(o, "--hold-resp") && v) {
			hold = (size_t)atol(v);
			if (hold > TSU_BUF)
				hold = TSU_BUF;
			i++;
		} else if (!strcmp(o, "--count") && v) {
			count = atoi(v);
			i++;
		} else if (!strcmp(o, "--timeout") && v) {
			timeout = atoi(v);
			i++;
		} else if (!strcmp(o, "--ready-file") && v) {
			ready = v;
			i++;
		} else if (!strcmp(o, "--spliced-file") && v) {
			spliced_file = v;
			i++;
		} else if (!strcmp(o, "--no-start")) {
			start = 0;
		} else {
			usage();
		}
	}
	if (argc - i != 3)
		usage();
	la.sin_port = htons((uint16_t)atoi(argv[i]));
	if (inet_pton(AF_INET, argv[i + 1], &sa.sin_addr) != 1)
		usage();
	sa.sin_port = htons((uint16_t)atoi(argv[i + 2]));

	/* HAProxy 1.3: once, before chroot/setuid, abort when unusable. */
	if (start && tcp_splice_start() < 0) {
		fprintf(stderr, "[%s.main()] Cannot enable tcp_splice: %s (%s).\n"
			"  Make sure you have enough permissions and that the module is loadable.\n",
			prog, strerror(errno), tsu_errname(errno));
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	lfd = socket(AF_INET, SOCK_STREAM, 0);
	setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&la, sizeof(la)) < 0 ||
	    listen(lfd, 128) < 0 || pipe(pfd) < 0) {
		perror(prog);
		return 1;
	}
	tsu_touch(ready);
	for (i = 1; i <= count; i++) {
		int cli = accept(lfd, NULL, NULL);
		pid_t pid;

		if (cli < 0) {
			perror("accept");
			return 1;
		}
		pid = fork();
		if (pid == 0) {
			close(lfd);
			close(pfd[0]);
			_exit(session(i, cli, &sa, http, hold, timeout * 1000, pfd[1]));
		}
		close(cli);
		if (pid < 0)
			return 1;
	}
	close(pfd[1]);
	while (done < count) {
		char c;

		if (read(pfd[0], &c, 1) != 1)
			break;
		done++;
	}
	if (done == count)
		tsu_touch(spliced_file);
	for (i = 0; i < count; i++) {
		int st;

		if (wait(&st) < 0)
			break;
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			fails++;
	}
	printf("hap13 sessions=%d failed=%d\n", count, fails);
	return fails ? 1 : 0;
}
