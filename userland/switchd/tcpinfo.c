// SPDX-License-Identifier: GPL-2.0
/*
 * Bytes a TCP socket received, from the kernel's TCP_INFO (separate file:
 * <linux/tcp.h> and <netinet/tcp.h> do not mix).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <linux/tcp.h>

uint64_t tcp_rx_bytes(int fd);

/*
 * tcpi_bytes_received: every byte the socket acknowledged to its peer.
 * After a tcp_splice handoff the source socket is frozen at the cut, so
 * this is what crossed the proxy before the module took over (read by
 * the proxy or moved by the kernel).  0 if unknown.
 */
uint64_t tcp_rx_bytes(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	if (fd < 0)
		return 0;
	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) < 0 ||
	    len < offsetof(struct tcp_info, tcpi_bytes_received) + sizeof(ti.tcpi_bytes_received))
		return 0;
	return ti.tcpi_bytes_received;
}
