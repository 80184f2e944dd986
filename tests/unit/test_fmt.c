// SPDX-License-Identifier: GPL-2.0
/* Host unit tests of tcpspliceadm's parsing and formatting (fmt.c). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <stdint.h>

#include "fmt.h"
#include "unit.h"

static struct tcpsplice_session_info sample(void)
{
	struct tcpsplice_session_info s;

	memset(&s, 0, sizeof(s));
	s.fields = TCPSPLICE_INFO_ID | TCPSPLICE_INFO_TUPLE | TCPSPLICE_INFO_STATE | TCPSPLICE_INFO_EXPIRES |
		   TCPSPLICE_INFO_COUNTERS | TCPSPLICE_INFO_DURATION | TCPSPLICE_INFO_FLAGS |
		   TCPSPLICE_INFO_UID | TCPSPLICE_INFO_END_REASON;
	s.id = 12;
	inet_pton(AF_INET, "10.0.1.1", &s.client.addr);
	s.client.port = 43210;
	inet_pton(AF_INET, "10.0.1.2", &s.proxy_a.addr);
	s.proxy_a.port = 8000;
	inet_pton(AF_INET, "10.0.2.2", &s.proxy_b.addr);
	s.proxy_b.port = 51000;
	inet_pton(AF_INET, "10.0.2.1", &s.server.addr);
	s.server.port = 5001;
	s.state = TCPSPLICE_STATE_ESTABLISHED;
	s.expires = 899;
	s.pkts_c2s = 3;
	s.bytes_c2s = 1048576;
	s.pkts_s2c = 4;
	s.bytes_s2c = 5;
	s.duration_ms = 61500;
	s.flags = TCPSPLICE_SPLICE_DRAINED;
	s.uid = 65534;
	s.end_reason = TCPSPLICE_END_NONE;
	return s;
}

/* Run f(stream, ...) and return what it printed (caller frees). */
#define CAPTURE(buf, call) do {						\
	size_t _n;							\
	FILE *stream = open_memstream(&(buf), &_n);			\
	call;								\
	fclose(stream);							\
} while (0)

int main(void)
{
	struct fmt_opts num = { .numeric = 1 }, js = { .numeric = 1, .json = 1 };
	struct tcpsplice_session_info s = sample(), two[2];
	struct tcpsplice_stats st;
	char name[32], want[128];
	struct tcpsplice_event ev;
	struct in_addr a;
	uint64_t u;
	uint16_t p;
	uint8_t state;
	char b[128], *out;

	/* parsing */
	CHECK_INT(parse_u64("0", &u), 0);
	CHECK_INT(u, 0);
	CHECK_INT(parse_u64("18446744073709551615", &u), 0);
	CHECK(u == UINT64_MAX);
	CHECK_INT(parse_u64("18446744073709551616", &u), -1);
	CHECK_INT(parse_u64("-1", &u), -1);
	CHECK_INT(parse_u64("12a", &u), -1);
	CHECK_INT(parse_u64("", &u), -1);
	CHECK_INT(parse_u64(NULL, &u), -1);
	CHECK_INT(parse_port("65535", &p), 0);
	CHECK_INT(p, 65535);
	CHECK_INT(parse_port("65536", &p), -1);
	CHECK_INT(parse_port("http", &p), -1);
	CHECK_INT(parse_ipv4("10.0.1.1", &a), 0);
	CHECK_STR(inet_ntoa(a), "10.0.1.1");
	CHECK_INT(parse_ipv4("10.0.1", &a), -1);
	CHECK_INT(parse_ipv4("::1", &a), -1);
	CHECK_INT(parse_state("established", &state), 0);
	CHECK_INT(state, TCPSPLICE_STATE_ESTABLISHED);
	CHECK_INT(parse_state("time-wait", &state), 0);
	CHECK_INT(state, TCPSPLICE_STATE_TIME_WAIT);
	CHECK_INT(parse_state("NONE", &state), -1);
	CHECK_INT(parse_state("BOGUS", &state), -1);
	CHECK_INT(parse_state("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", &state), -1);

	/* pieces */
	CHECK_STR(fmt_endpoint(b, sizeof(b), &s.client, &num), "10.0.1.1:43210");
	{
		struct tcpsplice_endpoint e6 = { .family = AF_INET6, .port = 8000 };
		struct tcpsplice_filter f6;

		inet_pton(AF_INET6, "fd00:1::1", &e6.addr6);
		CHECK_STR(fmt_endpoint(b, sizeof(b), &e6, &num), "[fd00:1::1]:8000");
		memset(&f6, 0, sizeof(f6));
		CHECK_INT(parse_addr("fd00:2::1", &f6), 0);
		CHECK_INT(f6.family, AF_INET6);
		CHECK_INT(parse_addr("10.0.2.1", &f6), 0);
		CHECK_INT(f6.family, AF_INET);
		CHECK_INT(parse_addr("fd00::zz", &f6), -1);
	}
	CHECK_STR(fmt_expires(b, sizeof(b), 0), "00:00");
	CHECK_STR(fmt_expires(b, sizeof(b), 899), "14:59");
	CHECK_STR(fmt_expires(b, sizeof(b), 7322), "2:02:02");
	CHECK_STR(fmt_age(b, sizeof(b), 850), "850ms");
	CHECK_STR(fmt_age(b, sizeof(b), 12345), "12.3s");
	CHECK_STR(fmt_age(b, sizeof(b), 245000), "4m05s");
	CHECK_STR(fmt_age(b, sizeof(b), 7380000), "2h03m");
	CHECK_STR(fmt_age(b, sizeof(b), 273600000ULL), "3d04h");
	CHECK_STR(fmt_json_str(b, sizeof(b), "a\"b\\c\n"), "\"a\\\"b\\\\c\\u000a\"");
	CHECK_STR(fmt_json_str(b, 4, "abcdef"), "\"ab");

	/* the table: header, aligned columns, "-" for what is missing */
	two[0] = s;
	two[1] = s;
	two[1].id = 7;
	two[1].fields = TCPSPLICE_INFO_ID;
	CAPTURE(out, print_table(stream, two, 2, &num));
	CHECK(strstr(out, "Id  Client          Proxy-A        Proxy-B         Server"
		      "         State        Expires  Age    C>S-pkts  C>S-bytes  S>C-pkts  S>C-bytes\n") == out);
	CHECK(strstr(out, "12  10.0.1.1:43210  10.0.1.2:8000  10.0.2.2:51000  10.0.2.1:5001  "
		      "ESTABLISHED  14:59    1m01s         3    1048576         4          5\n") != NULL);
	CHECK(strstr(out, " 7  -               -              -               -              "
		      "-            -        -             -          -         -          -\n") != NULL);
	free(out);

	CAPTURE(out, print_session_json(stream, &s, &js));
	CHECK_STR(out, "{\"id\":12,\"client\":{\"addr\":\"10.0.1.1\",\"port\":43210},"
		  "\"proxy_a\":{\"addr\":\"10.0.1.2\",\"port\":8000},"
		  "\"proxy_b\":{\"addr\":\"10.0.2.2\",\"port\":51000},"
		  "\"server\":{\"addr\":\"10.0.2.1\",\"port\":5001},"
		  "\"state\":\"ESTABLISHED\",\"expires\":899,\"duration_ms\":61500,"
		  "\"c2s\":{\"pkts\":3,\"bytes\":1048576},\"s2c\":{\"pkts\":4,\"bytes\":5},"
		  "\"mode\":\"drained\",\"uid\":65534,\"end_reason\":\"none\"}");
	free(out);

	CAPTURE(out, print_session_long(stream, &s, &num));
	CHECK(strstr(out, "id           12\nclient       10.0.1.1:43210\n") == out);
	CHECK(strstr(out, "bytes_c2s    1048576\n") != NULL);
	free(out);

	memset(&st, 0, sizeof(st));
	st.sessions_active = 2;
	st.n = TCPSPLICE_STAT_KNOWN + 1;
	st.v[TCPSPLICE_STAT_SESSIONS_CREATED] = 9;
	st.v[TCPSPLICE_STAT_KNOWN] = 5;
	CAPTURE(out, print_stats(stream, &st, &num));
	CHECK(strstr(out, "sessions_active          2\nsessions_created         9\n") == out);
	/* a counter newer than the library: shown by number */
	snprintf(name, sizeof(name), "counter_%d", TCPSPLICE_STAT_KNOWN);
	snprintf(want, sizeof(want), "\n%-25s0\n%-25s5\n",
		 tcpsplice_stat_name(TCPSPLICE_STAT_KNOWN - 1), name);
	CHECK(strstr(out, want) != NULL);
	free(out);
	CAPTURE(out, print_stats(stream, &st, &js));
	CHECK(strstr(out, "{\"sessions_active\":2,\"sessions_created\":9,") == out);
	snprintf(want, sizeof(want), ",\"%s\":5}\n", name);
	CHECK(strstr(out, want) != NULL);
	free(out);

	memset(&ev, 0, sizeof(ev));
	ev.type = TCPSPLICE_EVENT_END;
	ev.s = s;
	ev.s.end_reason = TCPSPLICE_END_FIN;
	CAPTURE(out, print_event(stream, &ev, 0, &num));
	CHECK_STR(out, "end id=12 client=10.0.1.1:43210 proxy_a=10.0.1.2:8000 "
		  "proxy_b=10.0.2.2:51000 server=10.0.2.1:5001 state=ESTABLISHED "
		  "mode=drained pkts_c2s=3 bytes_c2s=1048576 pkts_s2c=4 bytes_s2c=5 "
		  "duration_ms=61500 reason=fin uid=65534\n");
	free(out);
	ev.type = TCPSPLICE_EVENT_START;
	CAPTURE(out, print_event(stream, &ev, 0, &js));
	CHECK(strstr(out, "{\"event\":\"start\",\"id\":12,") == out);
	CHECK(out[strlen(out) - 2] == '}');
	free(out);
	return unit_done("test_fmt");
}
