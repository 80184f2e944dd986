/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Internal interfaces of libtcpsplice (not installed).  The tspi_ symbols
 * are hidden in the shared library; the unit tests link the archive.
 */
#ifndef TSP_INTERNAL_H
#define TSP_INTERNAL_H

#include <stdint.h>
#include <netinet/tcp.h>

struct nl_msg;
struct nlattr;
struct tcpsplice_session_info;
struct tcpsplice_stats;

/* compat.c: the device (these need only the C library). */
int tspi_dev_open(void);
int tspi_dev_probe(int fd);
int tspi_dev_splice(int fd, int cli_fd, int srv_fd, unsigned int flags,
		    uint64_t *id);
int tspi_initfd_params(const struct tcp_info *ci, int *mss, int *clamp);

/* tsp.c: parsing of kernel messages (unit-tested with built messages). */
int tspi_parse_session(struct nl_msg *msg, struct tcpsplice_session_info *out);
int tspi_parse_stats(struct nl_msg *msg, struct tcpsplice_stats *out);
int tspi_nlerr_to_errno(int nlerr);
struct tcpsplice_handle *tspi_open_detached(void);

#endif /* TSP_INTERNAL_H */
