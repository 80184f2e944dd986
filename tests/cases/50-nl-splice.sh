#!/bin/bash
# Splicing through the generic netlink family with libtcpsplice
# (tcpsplice_splice), byte-exact: drained and legacy handoffs; the library's
# ioctl path (TCPSPLICE_OPEN_IOCTL_ONLY) and its automatic choice; an unprivileged
# proxy (nobody) splices its own sockets, and its sessions carry its uid;
# every SPLICE refusal gives through netlink the errno of the ioctl.
# timeout: 600
. "$TSP_ROOT/tests/lib.sh"
. "$TSP_ROOT/tests/cases/_helpers.bash"
. "$TSP_ROOT/tests/cases/_nl.bash"

need_ko
need_userland
topo_up
mod_load

# session_json ID: the session as tcpspliceadm get -j shows it (root).
session_json() { adm proxy -j get "$1" || fail "get $1 failed"; }

nl_xfer drained-nl netlink 1M 1M --via netlink --mode drained
j=$(session_json "$ID")
assert_eq "$(json_get "$j" .mode)" drained "mode of the drained session"
assert_eq "$(json_get "$j" .uid)" 0 "uid of root's session"

GS=200 nl_xfer legacy-nl netlink 1M 2M --via netlink --mode legacy --hold-resp 200
assert_eq "$(json_get "$(session_json "$ID")" .mode)" legacy "mode of the legacy session"

nl_xfer drained-ioctl ioctl 64K 64K --via ioctl
nl_xfer drained-auto netlink 64K 64K --via auto

# unprivileged: owning both descriptors is enough
nl_xfer nobody-drained netlink 1M 1M --nobody --via netlink
assert_eq "$(json_get "$(session_json "$ID")" .uid)" 65534 "uid of nobody's session"
GS=200 nl_xfer nobody-legacy netlink 256K 256K --nobody --via netlink --mode legacy --hold-resp 200
nl_xfer nobody-ioctl ioctl 64K 64K --nobody --via ioctl

# every refusal, through netlink and through the ioctl
in_ns proxy "$NLT" errnos > errnos.out 2>&1
rc=$?
cat errnos.out
[ "$(count_lines errnos.out FAIL)" = 0 ] && [ $rc = 0 ] || fail "errno parity (see above)"
[ "$(count_lines errnos.out ok)" -ge 15 ] || fail "too few errno checks ran"
exit 0
