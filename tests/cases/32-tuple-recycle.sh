#!/bin/bash
# A client that reuses its port, and so the tuple of a spliced session,
# once both ends of the old connection closed: the old session (TIME_WAIT
# in the module, timeout_timewait 120 s) ends at the new SYN, which then
# reaches the proxy's listener; the new connection is spliced and
# byte-exact.  No SYN is dropped.  The client's port is fixed by a one-port
# ip_local_port_range; tcp_tw_reuse lets the client reuse its own
# TIME_WAIT port after a second.  (Before the fix the SYN was dropped for
# the whole timeout_timewait: 4 of 200 connections of 27-concurrent hung.)
# timeout: 180
. "$TSP_ROOT/tests/lib.sh"

need_ko
topo_up
mod_load
in_ns client sh -c 'echo "40100 40100" > /proc/sys/net/ipv4/ip_local_port_range &&
	echo 1 > /proc/sys/net/ipv4/tcp_tw_reuse' || fail "cannot fix the client port"
cd "$TSP_OUT" || fail "no TSP_OUT"


splice_xfer r1 drained 256K 256K 30 --relay-req 100
grep -q "local=10.0.1.1:40100 " r1.cli || fail "first connection not from port 40100: $(cat r1.cli)"
wait_until 10 in_ns proxy grep -q TIME_WAIT /proc/net/tcp_splice_conn ||
	fail "the first session is not in TIME_WAIT: $(in_ns proxy cat /proc/net/tcp_splice_conn)"
sleep 2	# tcp_tw_reuse: the client's TIME_WAIT must be older than 1 s

splice_xfer r2 legacy 256K 256K 30 --hold-resp 100
grep -q "local=10.0.1.1:40100 " r2.cli || fail "second connection not from port 40100: $(cat r2.cli)"
assert_eq "$(proc_stat proxy syn_recycled)" 1 "SYNs that recycled a finished session"
assert_eq "$(proc_stat proxy drop_syn)" 0 "SYNs dropped"
assert_eq "$(proc_stat proxy sessions_created)" 2 "sessions created"
assert_eq "$(proc_stat proxy sessions_ended_fin)" 1 "sessions ended (the recycled one, by FIN)"
exit 0
