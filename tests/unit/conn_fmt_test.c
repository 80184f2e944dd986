// SPDX-License-Identifier: GPL-2.0
/*
 * Host unit test of kernel/conn_fmt.c: the /proc/net/tcp_splice_conn line
 * format (the ancestor's, byte for byte).
 */
#include <stdio.h>
#include <string.h>

#include "../../kernel/conn_fmt.h"

static int failures;

static void expect(const char *what, const char *got, const char *want)
{
	if (strcmp(got, want)) {
		fprintf(stderr, "FAIL %s:\n  got  '%s'\n  want '%s'\n", what,
			got, want);
		failures++;
	} else {
		printf("ok %s\n", what);
	}
}

int main(void)
{
	/* The ancestor's example: client 10.0.3.1:20155 -> proxy
	 * 10.0.3.2:8000; proxy 10.0.3.2:33147 -> server 10.0.3.1:80.
	 */
	struct tsp_conn_view v = {
		.from_ip = 0x0A000301, .from_port = 20155,
		.to_ip = 0x0A000302, .to_port = 8000,
		.local_ip = 0x0A000302, .local_port = 33147,
		.dest_ip = 0x0A000301, .dest_port = 80,
		.state = "CLOSE", .expires = 7,
	};
	char buf[128];
	int n;

	n = tsp_fmt_conn(buf, sizeof(buf), &v);
	expect("ancestor example", buf,
	       "0A000301 4EBB 0A000302 1F40 0A000302 817B 0A000301 0050 CLOSE 7\n");
	if (n != (int)strlen(buf)) {
		fprintf(stderr, "FAIL return value %d != %zu\n", n, strlen(buf));
		failures++;
	}

	v.expires = -3;
	v.state = "TIME_WAIT";
	tsp_fmt_conn(buf, sizeof(buf), &v);
	expect("negative expiry clamps to 0", buf,
	       "0A000301 4EBB 0A000302 1F40 0A000302 817B 0A000301 0050 TIME_WAIT 0\n");

	v.from_ip = 0xFFFFFFFF;
	v.from_port = 65535;
	v.dest_ip = 0;
	v.dest_port = 0;
	v.state = "ESTABLISHED";
	v.expires = 900;
	tsp_fmt_conn(buf, sizeof(buf), &v);
	expect("extremes are zero-padded, upper case", buf,
	       "FFFFFFFF FFFF 0A000302 1F40 0A000302 817B 00000000 0000 ESTABLISHED 900\n");

	n = tsp_fmt_conn(buf, 10, &v);
	expect("truncation is NUL-terminated", buf, "FFFFFFFF ");
	if (n <= 10) {
		fprintf(stderr, "FAIL truncated return %d\n", n);
		failures++;
	}

	expect("header", TSP_CONN_HEADER,
	       "FromIP FPrt ToIP TPrt LocalIP LPrt DestIP DPrt State Expires\n");
	printf("%d failure(s)\n", failures);
	return failures ? 1 : 0;
}
