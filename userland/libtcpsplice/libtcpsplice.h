/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * libtcpsplice.h - HAProxy 1.3 compatibility API of libtcpsplice.
 *
 * HAProxy 1.3 built with USE_TCPSPLICE=1 TCPSPLICEDIR=<dir> compiles with
 * -I<dir> and links with -L<dir> -ltcpsplice and nothing else, so these
 * three functions live in archive members that need only the C library
 * (the ioctl of /dev/tcp_splice; no libnl).  `make -C userland
 * haproxy-dir` produces such a <dir> (libtcpsplice.h + libtcpsplice.a).
 *
 * How HAProxy 1.3 uses them (and how any legacy caller must behave):
 *   1. tcp_splice_start() once at start-up, before chroot and setuid; a
 *      negative return makes it abort with its own message.
 *   2. tcp_splice_initfd(cli_fd, srv_fd) on every freshly created server
 *      socket, before it is made non-blocking, bound and connected
 *      (return value ignored).
 *   3. tcp_splice_splicefd(cli_fd, srv_fd, 0) once the server connection
 *      is established (TCP mode: possibly with client bytes still in its
 *      buffer) or once the last response header is parsed while the
 *      headers are still unsent (HTTP mode).  The return value is
 *      ignored: on failure the proxy simply goes on relaying.
 *   After 3. the caller keeps polling both descriptors: it writes out what
 *   it buffers, reads what arrived before the cut, sees EOF on each
 *   socket once the kernel took over that direction, propagates each EOF
 *   with shutdown(SHUT_WR) (or close) on the other socket - the exact
 *   splice point - and closes both on its own timeouts.  The module never
 *   lets spliced bytes overtake those writes.
 *
 * Global state: one descriptor of /dev/tcp_splice (close-on-exec), opened
 * by tcp_splice_start() and kept open, so that the functions still work
 * after chroot() and setuid(), and in children after fork().  The
 * functions are thread-safe.  Plain C89: usable from old compilers.
 */
#ifndef LIBTCPSPLICE_H
#define LIBTCPSPLICE_H

#ifdef __cplusplus
extern "C" {
#endif

/*
 * tcp_splice_start - make the facility usable.  Opens /dev/tcp_splice and
 * checks that it answers the splice ioctl.  Returns 0, or -1 with errno:
 *   ENOENT   the module is not loaded (no /dev/tcp_splice)
 *   EACCES   no permission to open the device
 *   ENOTTY   /dev/tcp_splice is not the tcp_splice device
 *   ENXIO/ENODEV  a stale device node without the module behind it
 * Calling it again after success is a no-op returning 0.
 */
int tcp_splice_start(void);

/*
 * tcp_splice_initfd - prepare srv_fd, a new TCP/IPv4 socket not yet
 * connected, to be spliced later with cli_fd, the established client
 * connection: aligns what the server connection will negotiate with what
 * the client connection has, so that the module translates segments
 * without resegmenting or rescaling:
 *   - TCP_MAXSEG (the MSS announced to the server) := the largest segment
 *     the client accepts (its MSS as seen by cli_fd), so the server never
 *     sends segments too large for the client;
 *   - TCP_WINDOW_CLAMP := 65535 << (the client's window scale), 65535
 *     without window scaling, so the window scale announced to the server
 *     never exceeds the client's and windows translate exactly.
 * Deliberately not copied: SO_RCVBUF/SO_SNDBUF (setting them would lock
 * the sizes, turn off autotuning and change the window scale announced to
 * the server - the very thing the clamp aligns), TCP timestamps and SACK
 * (no per-socket switch exists; mismatches are the module's business, it
 * refuses with ENOPROTOOPT what it cannot translate).
 * Returns 0, or -1 with errno: EBADF/ENOTSOCK, EAFNOSUPPORT (not IPv4),
 * EPROTONOSUPPORT (not TCP), ENOTCONN (cli_fd not established), EISCONN
 * (srv_fd already connecting or connected), or the setsockopt error.  It
 * changes nothing unless every check passed.  Needs no tcp_splice_start.
 */
int tcp_splice_initfd(int cli_fd, int srv_fd);

/*
 * tcp_splice_splicefd - splice cli_fd and srv_fd.  flags 0 is the legacy
 * caller described above (the only value HAProxy 1.3 passes); the
 * extension TCP_SPLICE_F_DRAINED (1) says the caller has nothing left to
 * write.  Returns 0, or -1 with errno: the errors of the splice ioctl
 * (<linux/tcp_splice.h>: EBADF, ENOTSOCK, ENOTCONN, EBUSY, ELOOP, EXDEV,
 * ENOPROTOOPT ...), EINVAL for unknown flags, or those of
 * tcp_splice_start when it was not called (it is then tried once per
 * call).  On failure both sockets are untouched.
 */
int tcp_splice_splicefd(int cli_fd, int srv_fd, int flags);

#ifdef __cplusplus
}
#endif

#endif /* LIBTCPSPLICE_H */
