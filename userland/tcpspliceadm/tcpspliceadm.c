// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * tcpspliceadm - administer the tcp_splice sessions of a network namespace.
 * In the manner of ipvsadm and ss; exit codes as iproute2: 0 success,
 * 1 failure, 255 bad command line.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <stdarg.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "fmt.h"
#include "tcpsplice.h"

#define PROG		"tcpspliceadm"
#define VERSION		"0.1.0"
#define EXIT_USAGE	255
#define EXIT_KERNEL	2	/* the kernel refused the request */

static const char usage_text[] =
"Usage: " PROG " [OPTIONS] COMMAND [ARGUMENTS]\n"
"\n"
"Administer the spliced TCP sessions of the tcp_splice kernel module in the\n"
"current network namespace.\n"
"\n"
"Commands:\n"
"  list [FILTER]...     Show the sessions as a table: session id, client,\n"
"                       the proxy's two local endpoints (connection A to the\n"
"                       client, B to the server), server, state, time until\n"
"                       the state's timeout, age, and packets and bytes\n"
"                       forwarded each way.  Aliases: ls, show.\n"
"  get ID...            Show the sessions, one field per line (JSON: one\n"
"                       object per line).\n"
"  stats                Show the counters of the namespace (the same as\n"
"                       /proc/net/stat/tcp_splice).\n"
"  flush [ID] [FILTER]...\n"
"                       End the matching sessions (all without ID or\n"
"                       filter); both peers of each are reset.  Needs\n"
"                       CAP_NET_ADMIN.\n"
"  events               Follow the session events (start, handoff, end), one\n"
"                       line each, until interrupted.  Alias: watch, monitor.\n"
"  help                 Show this text.\n"
"\n"
"Filters (every one given must match):\n"
"  --addr ADDR          any of the session's four addresses is ADDR (IPv4 or IPv6)\n"
"  --port N             any of its four ports is N\n"
"  --state STATE        its state is STATE (ESTABLISHED, FIN_WAIT, TIME_WAIT,\n"
"                       CLOSE, CLOSE_WAIT, LAST_ACK, SYN_SENT, SYN_RECV,\n"
"                       LISTEN, SYNACK; case-insensitive)\n"
"  --id ID              its session id is ID\n"
"\n"
"Options:\n"
"  -n, --numeric        do not resolve port numbers to service names\n"
"  -r, --resolve        resolve addresses to host names\n"
"  -j, --json           JSON output (events: one object per line)\n"
"  -t, --timestamp      events: prefix each with the time of day\n"
"  -c, --count N        events: exit after N events\n"
"  -q, --quiet          events: no start-up message on stderr\n"
"  -V, --version        print the version and exit\n"
"  -h, --help           show this text and exit\n"
"\n"
"Who sees what: a user with CAP_NET_ADMIN in the namespace sees every\n"
"session; any other user sees the sessions created by its own uid.\n"
"\n"
"Exit status: 0 on success; 2 when the kernel refused the request (no such\n"
"session, a missing capability ...); 1 for other failures (the module is\n"
"not loaded ...); 255 for a malformed command line.  The reason is printed.\n";

static void usage(FILE *f)
{
	fputs(usage_text, f);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
bad_cmdline(const char *fmt, ...)
{
	va_list ap;

	fputs("Error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry \"" PROG " help\".\n");
	exit(EXIT_USAGE);
}

/* ---- talking to the module ---------------------------------------------- */

static struct tcpsplice_handle *open_handle(void)
{
	struct tcpsplice_handle *h = tcpsplice_open(TCPSPLICE_OPEN_NETLINK_ONLY);

	if (h)
		return h;
	if (errno == ENOENT) {
		if (access("/dev/tcp_splice", F_OK) == 0)
			fprintf(stderr, PROG ": the tcp_splice module has no netlink family "
				"\"tcp_splice\" (module too old?)\n");
		else
			fprintf(stderr, PROG ": the tcp_splice module is not loaded "
				"(load it with: modprobe tcp_splice)\n");
	} else {
		fprintf(stderr, PROG ": cannot talk to the tcp_splice module: %s\n",
			strerror(errno));
	}
	exit(1);
}

/*
 * Report the failure e (negative errno) of operation what.  Returns 2, the
 * iproute2 tools' status for an error the kernel reported (1: a local
 * failure such as a module that is not loaded, 255: a bad command line).
 */
static int report(struct tcpsplice_handle *h, const char *what, int e)
{
	const char *ext = tcpsplice_last_extack(h);

	fprintf(stderr, PROG ": %s: %s", what, tcpsplice_strerror(e));
	if (e == -EPERM || e == -EACCES)
		fprintf(stderr, " (CAP_NET_ADMIN is required)");
	else if (ext && *ext)
		fprintf(stderr, " (kernel: %s)", ext);
	fputc('\n', stderr);
	return EXIT_KERNEL;
}

/* ---- commands ------------------------------------------------------------ */

struct sessions {
	struct tcpsplice_session_info *v;
	size_t n, cap;
};

static int collect(const struct tcpsplice_session_info *s, void *arg)
{
	struct sessions *ss = arg;

	if (ss->n == ss->cap) {
		size_t cap = ss->cap ? ss->cap * 2 : 64;
		void *v = realloc(ss->v, cap * sizeof(*ss->v));

		if (!v)
			return -1;
		ss->v = v;
		ss->cap = cap;
	}
	ss->v[ss->n++] = *s;
	return 0;
}

static int cmd_list(struct tcpsplice_handle *h, const struct tcpsplice_filter *f,
		    const struct fmt_opts *o)
{
	struct sessions ss = { 0 };
	size_t i;
	int e;

	e = tcpsplice_dump(h, f, collect, &ss);
	if (e < 0) {
		free(ss.v);
		return report(h, "list", e);
	}
	if ((size_t)e != ss.n) {
		free(ss.v);
		fprintf(stderr, PROG ": list: out of memory\n");
		return 1;
	}
	if (o->json) {
		fputc('[', stdout);
		for (i = 0; i < ss.n; i++) {
			if (i)
				fputc(',', stdout);
			print_session_json(stdout, &ss.v[i], o);
		}
		fputs("]\n", stdout);
	} else {
		print_table(stdout, ss.v, ss.n, o);
	}
	free(ss.v);
	return 0;
}

/*
 * Show each of @n sessions (ids already parsed): one block each (a blank
 * line between), or one JSON object per line.  A session the kernel does
 * not give is reported and the others still shown; the exit status then
 * says so.
 */
static int cmd_get(struct tcpsplice_handle *h, const uint64_t *ids, int n,
		   const struct fmt_opts *o)
{
	struct tcpsplice_session_info s;
	int i, e, rc = 0, shown = 0;
	char what[48];

	for (i = 0; i < n; i++) {
		e = tcpsplice_get(h, ids[i], &s);
		if (e < 0) {
			snprintf(what, sizeof(what), "get %llu", (unsigned long long)ids[i]);
			rc = report(h, what, e);
			continue;
		}
		if (o->json) {
			print_session_json(stdout, &s, o);
			fputc('\n', stdout);
		} else {
			if (shown)
				fputc('\n', stdout);
			print_session_long(stdout, &s, o);
		}
		shown++;
	}
	return rc;
}

static int cmd_stats(struct tcpsplice_handle *h, const struct fmt_opts *o)
{
	struct tcpsplice_stats st;
	int e = tcpsplice_stats(h, &st);

	if (e < 0)
		return report(h, "stats", e);
	print_stats(stdout, &st, o);
	return 0;
}

static int cmd_flush(struct tcpsplice_handle *h, const struct tcpsplice_filter *f)
{
	int e = tcpsplice_flush(h, f);

	return e < 0 ? report(h, "flush", e) : 0;
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

struct ev_state {
	const struct fmt_opts *o;
	long left;		/* events still to print; < 0: no limit */
};

static int on_event(const struct tcpsplice_event *ev, void *arg)
{
	struct ev_state *st = arg;
	struct timeval tv;

	gettimeofday(&tv, NULL);
	print_event(stdout, ev, (uint64_t)tv.tv_sec * 1000000 + (uint64_t)tv.tv_usec,
		    st->o);
	fflush(stdout);
	if (st->left > 0 && --st->left == 0)
		return 1;
	return 0;
}

static int cmd_events(struct tcpsplice_handle *h, const struct fmt_opts *o,
		      long count, int quiet)
{
	struct ev_state st = { o, count > 0 ? count : -1 };
	struct sigaction sa;
	struct pollfd p;
	int e;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: poll returns EINTR */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	e = tcpsplice_events_subscribe(h);
	if (e < 0)
		return report(h, "events", e);
	p.fd = tcpsplice_events_fd(h);
	p.events = POLLIN;
	if (!quiet)
		fprintf(stderr, PROG ": following tcp_splice events (interrupt to stop)\n");
	while (!stop) {
		if (poll(&p, 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			perror(PROG ": poll");
			return 1;
		}
		e = tcpsplice_events_read(h, on_event, &st);
		if (e == -ENOBUFS) {
			fprintf(stderr, PROG ": events lost (receive buffer overrun)\n");
			continue;
		}
		if (e < 0)
			return report(h, "events", e);
		if (st.left == 0)
			break;
	}
	return 0;
}

/* ---- command line -------------------------------------------------------- */

enum { OPT_ADDR = 256, OPT_PORT, OPT_STATE, OPT_ID };

static const struct option long_opts[] = {
	{ "numeric",	no_argument,		NULL, 'n' },
	{ "resolve",	no_argument,		NULL, 'r' },
	{ "json",	no_argument,		NULL, 'j' },
	{ "timestamp",	no_argument,		NULL, 't' },
	{ "count",	required_argument,	NULL, 'c' },
	{ "quiet",	no_argument,		NULL, 'q' },
	{ "version",	no_argument,		NULL, 'V' },
	{ "help",	no_argument,		NULL, 'h' },
	{ "addr",	required_argument,	NULL, OPT_ADDR },
	{ "port",	required_argument,	NULL, OPT_PORT },
	{ "state",	required_argument,	NULL, OPT_STATE },
	{ "id",		required_argument,	NULL, OPT_ID },
	{ NULL, 0, NULL, 0 },
};

static int is(const char *cmd, const char *a, const char *b, const char *c)
{
	return !strcmp(cmd, a) || (b && !strcmp(cmd, b)) || (c && !strcmp(cmd, c));
}

int main(int argc, char **argv)
{
	struct fmt_opts o = { 0 };
	struct tcpsplice_filter f = { 0 };
	struct tcpsplice_handle *h;
	const char *cmd;
	long count = 0;
	int quiet = 0, c, rc, nargs;
	uint64_t u, *ids = NULL;
	char **args;

	opterr = 0;
	while ((c = getopt_long(argc, argv, ":nrjtc:qVh", long_opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			o.numeric = 1;
			break;
		case 'r':
			o.resolve = 1;
			break;
		case 'j':
			o.json = 1;
			break;
		case 't':
			o.timestamp = 1;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'c':
			if (parse_u64(optarg, &u) < 0 || u == 0 || u > 1000000000)
				bad_cmdline("argument \"%s\" is wrong: --count needs a positive number",
					    optarg);
			count = (long)u;
			break;
		case 'V':
			printf(PROG " " VERSION " (libtcpsplice API %d)\n", TCPSPLICE_API_VERSION);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		case OPT_ADDR:
			if (parse_addr(optarg, &f) < 0)
				bad_cmdline("argument \"%s\" is wrong: --addr needs an IPv4 or IPv6 address",
					    optarg);
			f.mask |= TCPSPLICE_FILTER_ADDR;
			break;
		case OPT_PORT:
			if (parse_port(optarg, &f.port) < 0)
				bad_cmdline("argument \"%s\" is wrong: --port needs a number 0-65535",
					    optarg);
			f.mask |= TCPSPLICE_FILTER_PORT;
			break;
		case OPT_STATE:
			if (parse_state(optarg, &f.state) < 0)
				bad_cmdline("argument \"%s\" is wrong: unknown state", optarg);
			f.mask |= TCPSPLICE_FILTER_STATE;
			break;
		case OPT_ID:
			if (parse_u64(optarg, &f.id) < 0)
				bad_cmdline("argument \"%s\" is wrong: --id needs a session id",
					    optarg);
			f.mask |= TCPSPLICE_FILTER_ID;
			break;
		case ':':
			bad_cmdline("option \"%s\" needs an argument", argv[optind - 1]);
		default:
			if (optopt)
				bad_cmdline("unknown option \"-%c\"", optopt);
			bad_cmdline("unknown option \"%s\"", argv[optind - 1]);
		}
	}
	args = argv + optind;
	nargs = argc - optind;
	cmd = nargs ? args[0] : "list";		/* like ipvsadm -L */
	if (nargs)
		args++, nargs--;

	if (is(cmd, "help", NULL, NULL)) {
		usage(stdout);
		return 0;
	}
	if (!is(cmd, "list", "ls", "show") && !is(cmd, "get", NULL, NULL) &&
	    !is(cmd, "stats", "statistics", NULL) && !is(cmd, "flush", NULL, NULL) &&
	    !is(cmd, "events", "watch", "monitor"))
		bad_cmdline("command \"%s\" is unknown", cmd);

	if (is(cmd, "get", NULL, NULL)) {
		if (nargs < 1)
			bad_cmdline("get needs a session id");
		ids = calloc((size_t)nargs, sizeof(*ids));
		if (!ids) {
			perror(PROG);
			return 1;
		}
		for (c = 0; c < nargs; c++)
			if (parse_u64(args[c], &ids[c]) < 0)
				bad_cmdline("argument \"%s\" is wrong: not a session id", args[c]);
		if (f.mask)
			bad_cmdline("get takes no filter");
	} else if (is(cmd, "flush", NULL, NULL)) {
		if (nargs > 1)
			bad_cmdline("flush takes at most one session id");
		if (nargs == 1) {
			if (parse_u64(args[0], &f.id) < 0)
				bad_cmdline("argument \"%s\" is wrong: not a session id", args[0]);
			f.mask |= TCPSPLICE_FILTER_ID;
		}
	} else if (nargs) {
		bad_cmdline("unexpected argument \"%s\"", args[0]);
	}
	if (f.mask && !is(cmd, "list", "ls", "show") && !is(cmd, "flush", NULL, NULL) &&
	    !is(cmd, "get", NULL, NULL))
		bad_cmdline("%s takes no filter", cmd);
	if (count && !is(cmd, "events", "watch", "monitor"))
		bad_cmdline("--count is for events only");

	h = open_handle();
	if (is(cmd, "list", "ls", "show"))
		rc = cmd_list(h, &f, &o);
	else if (is(cmd, "get", NULL, NULL))
		rc = cmd_get(h, ids, nargs, &o);
	else if (is(cmd, "stats", "statistics", NULL))
		rc = cmd_stats(h, &o);
	else if (is(cmd, "flush", NULL, NULL))
		rc = cmd_flush(h, f.mask ? &f : NULL);
	else
		rc = cmd_events(h, &o, count, quiet);
	tcpsplice_close(h);
	free(ids);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		perror(PROG ": stdout");
		rc = 1;
	}
	return rc;
}
