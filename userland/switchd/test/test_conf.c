// SPDX-License-Identifier: GPL-2.0
/* Host unit tests of switchd's configuration parser. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "switchd.h"

static int failures, checks;

#define CHECK(cond, ...) do { \
	checks++; \
	if (!(cond)) { \
		failures++; \
		fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
		fprintf(stderr, __VA_ARGS__); \
		fputc('\n', stderr); \
	} \
} while (0)

static char tmp[] = "/tmp/test_conf.XXXXXX";

static struct conf *load_text(const char *text, char *err, size_t errlen)
{
	FILE *f = fopen(tmp, "w");

	fputs(text, f);
	fclose(f);
	return conf_load(tmp, err, errlen);
}

static void bad(const char *text, const char *want)
{
	char err[512] = "";
	struct conf *c = load_text(text, err, sizeof(err));

	CHECK(!c, "accepted: %s", text);
	CHECK(strstr(err, want), "error '%s', expected '%s' for: %s", err, want, text);
	conf_put(c);
}

static const char *good =
	"listener w\n    bind 127.0.0.1:8080\n    default-backend b\n"
	"backend b\n    server s 127.0.0.1:80\n";

int main(int argc, char **argv)
{
	char err[512];
	struct conf *c;
	int64_t v;
	int fd = mkstemp(tmp);

	close(fd);
	/* units */
	CHECK(parse_time("5", &v) == 0 && v == 5000, "5 = 5s");
	CHECK(parse_time("250ms", &v) == 0 && v == 250, "250ms");
	CHECK(parse_time("2m", &v) == 0 && v == 120000, "2m");
	CHECK(parse_time("1h", &v) == 0 && v == 3600000, "1h");
	CHECK(parse_time("5x", &v) < 0 && parse_time("", &v) < 0 && parse_time("-1", &v) < 0, "bad times");
	CHECK(parse_size("16k", &v) == 0 && v == 16384, "16k");
	CHECK(parse_size("1m", &v) == 0 && v == 1048576, "1m");
	CHECK(parse_size("2G", &v) == 0 && v == 2147483648LL, "2G");
	CHECK(parse_size("12kb", &v) == 0 && v == 12288, "12kb");
	CHECK(parse_size("1q", &v) < 0, "bad size");

	/* the shipped example */
	if (argc > 1) {
		c = conf_load(argv[1], err, sizeof(err));
		CHECK(c, "example: %s", err);
		if (c) {
			CHECK(c->nlis == 2 && c->nbe == 4, "example: %d listeners %d backends",
			      c->nlis, c->nbe);
			CHECK(c->lis[0]->nbinds == 2 && c->lis[0]->binds[1].addr.ss_family == AF_INET6,
			      "example: IPv6 bind");
			CHECK(c->lis[0]->nrules == 4 && c->lis[0]->rules[2].be == conf_backend(c, "api"),
			      "example: rules");
			CHECK(c->lis[0]->t_head == 5000 && c->lis[1]->t_head == 10000,
			      "example: inherited and own timeouts");
			CHECK(c->lis[1]->mode == LIS_TCP && c->lis[1]->splice == SPLICE_KERNEL &&
			      splice_after_of(c->lis[1], c, SPLICE_KERNEL) == 0 &&
			      splice_after_of(c->lis[0], c, SPLICE_AUTO) == 256 << 10,
			      "example: tcp listener");
			CHECK(conf_backend(c, "web")->srv[0]->weight == 3, "example: weight");
			CHECK(conf_backend(c, "api")->balance == BAL_SOURCE &&
			      conf_backend(c, "api")->t_connect == 1000 &&
			      conf_backend(c, "api")->retries == 1, "example: api");
			CHECK(!conf_backend(c, "api")->srv[2]->check &&
			      conf_backend(c, "api")->srv[0]->check, "example: no-check");
			CHECK(!conf_backend(c, "ssh")->srv[0]->check, "example: no check section");
			CHECK(c->splice == SPLICE_AUTO && c->max_header == 16384 &&
			      c->stats_mode == 0660 && c->events_buf == 8 << 20, "example: globals");
			conf_put(c);
		}
	}

	c = load_text(good, err, sizeof(err));
	CHECK(c && c->lis[0]->def == c->be[0], "minimal: %s", err);
	/* splice-after by mode when not set: auto keeps short exchanges in
	 * user space, kernel hands off at once */
	CHECK(c && splice_after_of(c->lis[0], c, SPLICE_AUTO) == AUTO_SPLICE_AFTER &&
	      splice_after_of(c->lis[0], c, SPLICE_KERNEL) == 0, "splice-after defaults");
	conf_put(c);
	c = load_text("events-buffer 64k\n"
		      "listener w\n    bind 127.0.0.1:8080\n    default-backend b\n"
		      "backend b\n    server s 127.0.0.1:80\n", err, sizeof(err));
	CHECK(c && c->events_buf == 65536, "events-buffer 64k: %s", err);
	conf_put(c);
	/* global splice-after, a listener's own overrides it */
	c = load_text("splice-after 1m\n"
		      "listener w\n    bind 127.0.0.1:8080\n    default-backend b\n"
		      "listener x\n    bind 127.0.0.1:8081\n    splice-after 0\n    default-backend b\n"
		      "listener y\n    bind 127.0.0.1:8082\n    splice-after 64k\n    default-backend b\n"
		      "backend b\n    server s 127.0.0.1:80\n", err, sizeof(err));
	CHECK(c, "splice-after: %s", err);
	if (c) {
		CHECK(splice_after_of(c->lis[0], c, SPLICE_AUTO) == 1 << 20 &&
		      splice_after_of(c->lis[0], c, SPLICE_KERNEL) == 1 << 20, "global splice-after");
		CHECK(splice_after_of(c->lis[1], c, SPLICE_AUTO) == 0, "listener splice-after 0");
		CHECK(splice_after_of(c->lis[2], c, SPLICE_KERNEL) == 65536, "listener splice-after 64k");
		conf_put(c);
	}
	bad("listener w\n    splice-after lots\n", ":2: bad size 'lots'");
	/* "roundrobin" is another name of "rr"; retries 0: one attempt */
	c = load_text("listener w\n    bind 127.0.0.1:8080\n    default-backend b\n"
		      "backend b\n    balance roundrobin\n    retries 0\n"
		      "    server s 127.0.0.1:80\n", err, sizeof(err));
	CHECK(c && c->be[0]->balance == BAL_RR && c->be[0]->retries == 0, "roundrobin: %s", err);
	conf_put(c);

	bad("frob\n", ":1: unknown global directive 'frob'");
	bad("global\n", "no listener defined");
	bad("listener w\n    bind 1.2.3.4\n", ":2: bind: bad address");
	bad("listener w\n    bind 1.2.3.4:70000\n", ":2: bind: bad address");
	bad("listener w\n    bind 1.2.3.4:80\n", "neither route nor default-backend");
	bad("listener w\n    bind 1.2.3.4:80\n    default-backend x\n", "default-backend x is not defined");
	bad("listener w\n    bind 1.2.3.4:80\n    route host a backend x\nbackend b\n    server s 1.2.3.4:1\n",
	    "route to undefined backend x");
	bad("listener w\n    bind 1.2.3.4:80\n    route host a\n", ":3: usage: route");
	bad("listener w\n    bind 1.2.3.4:80\n    route path x backend b\n", "path prefix starts with '/'");
	bad("listener w\n    bind 1.2.3.4:80\n    mode tcp\n    route host a backend b\n    default-backend b\n"
	    "backend b\n    server s 1.2.3.4:1\n", "mode tcp takes a default-backend and no route");
	bad("listener w\n    bind 1.2.3.4:80\n    bind 1.2.3.4:80\n    default-backend b\n"
	    "backend b\n    server s 1.2.3.4:1\n", "bind 1.2.3.4:80: used twice");
	bad("listener w\nlistener w\n", ":2: listener w: already defined");
	bad("backend b\n    server s 1.2.3.4:1\n    server s 1.2.3.4:2\n", ":3: server s: already defined");
	bad("backend b\n    server s\n", ":2: usage: server");
	bad("backend b\n    server s 1.2.3.4:1 weight 2000\n", "weight: '2000' is not an integer");
	bad("backend b\n    balance random\n", "balance: 'random'");
	bad("backend b\n    check interval 1ms\n", "at least 10ms");
	bad("backend b\n    timeout idle 5s\n", "a backend has only 'timeout connect'");
	bad("listener w\n    timeout connect 5s\n", "timeout connect belongs in a backend");
	bad("splice fast\n", "splice: 'fast'");
	bad("workers 0\n", "workers: '0'");
	bad("max-header 16q\n", "bad size '16q'");
	bad("listener w\n    bind 1.2.3.4:80\n    max-header 100\n    default-backend b\n"
	    "backend b\n    server s 1.2.3.4:1\n", "max-header between 256 and 1m");
	bad("listener w\n    bind 1.2.3.4:80\n    default-backend b\nbackend b\n", "backend b: no server");
	bad("listener bad/name\n", "listener name 'bad/name'");
	bad("stats-socket /x mode 999\n", "usage: stats-socket");
	bad("events-buffer 1k\n", "events-buffer: between 4k and 256m");
	bad("events-buffer\n", "usage: events-buffer SIZE");

	unlink(tmp);
	printf("test_conf: %d checks, %d failures\n", checks, failures);
	return failures ? 1 : 0;
}
