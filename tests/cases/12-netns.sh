#!/bin/bash
# Per network namespace state: sysctl values changed in one namespace do not
# show in another (nor in namespaces created later), and each namespace
# lists only its own spliced sessions.
# timeout: 180
. "$TSP_ROOT/tests/lib.sh"
. "$TSP_ROOT/tests/cases/_helpers.bash"

need_ko
topo_up
mod_load
D=/proc/sys/net/tcp_splice

in_ns proxy sh -c "echo 77 > $D/timeout_established && echo 1 > $D/debug_level" ||
	fail "cannot write sysctls in netns proxy"
assert_eq "$(in_ns proxy cat $D/timeout_established)" 77 "proxy: timeout_established"
assert_eq "$(in_ns proxy cat $D/debug_level)" 1 "proxy: debug_level"
assert_eq "$(in_ns client cat $D/timeout_established)" 900 "client: timeout_established"
assert_eq "$(in_ns client cat $D/debug_level)" 0 "client: debug_level"
assert_eq "$(read_file $D/timeout_established)" 900 "init netns: timeout_established"
write_file $D/timeout_close 3 || fail "init netns: writing timeout_close: $TSP_ERR"
assert_eq "$(in_ns proxy cat $D/timeout_close)" 10 "proxy: timeout_close after a write in the init netns"
assert_eq "$(in_ns server cat $D/timeout_close)" 10 "server: timeout_close after a write in the init netns"
ip netns add later || fail "ip netns add later"
assert_eq "$(in_ns later cat $D/timeout_established)" 900 "new netns: timeout_established"
assert_eq "$(in_ns later cat $D/timeout_close)" 10 "new netns: timeout_close"
ip netns del later

# a live spliced session in the proxy namespace: listed there only
start_server s --once --send 64K --expect 64K --shut --gate go --gate-at 0
start_proxy s --mode drained
start_client s --send 64K --expect 64K --shut --gate go --gate-at 0
wait_until 10 files_exist s.spliced || tfail s "the proxy did not splice"
bg_pid_wait "$PRX_PID" 10 || tfail s "proxy exit $?"
n=$(conn_count proxy)
assert_eq "$n" 1 "sessions listed in netns proxy"
for ns in client server; do
	n=$(conn_count $ns)
	assert_eq "$n" 0 "sessions listed in netns $ns"
done
n=$(count_lines /proc/net/tcp_splice_conn "")
assert_eq "$n" 1 "lines (header only) of /proc/net/tcp_splice_conn in the init netns"
: > go
bg_pid_wait "$CLI_PID" 30 || tfail s "client exit $?"
bg_pid_wait "$SRV_PID" 30 || tfail s "server exit $?"
check_pair s 64K 64K
exit 0
