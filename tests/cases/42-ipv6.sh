#!/bin/bash
# IPv6: both connections over IPv6 (fd00:1::/64 client leg, fd00:2::/64
# server leg).  Drained and legacy splices byte-exact both ways; the
# sessions are listed in /proc/net/tcp_splice_conn6 (not in the IPv4
# file); then with GRO on every veth (super-packets, GSO TCPV6 out), then
# with a 1280-byte MTU on the server leg (the client leg's segments are
# re-segmented, never fragmented); no checksum errors at the peers.
# timeout: 400
. "$TSP_ROOT/tests/lib.sh"
. "$TSP_ROOT/tests/cases/_nl.bash"

need_ko
mod_load
cd "$TSP_OUT" || fail "no TSP_OUT"
SX_V6=1

csum_errors() {
	in_ns "$1" nstat -az TcpInCsumErrors | awk '/TcpInCsumErrors/ { print $2 }'
}


round() {
	local name=$1 n
	shift
	topo_up --v6 "$@"
	[ "$name" = mtu-1280 ] && { ip -n server link set s0 mtu 1280 &&
		ip -n proxy link set p1 mtu 1280 || fail "mtu"; }
	splice_xfer "$name-d" drained 4M 4M 60 --relay-req 500 --hold-resp 700
	splice_xfer "$name-l" legacy 4M 4M 60 --hold-resp 1000 --delay-ms 30
	n=$(in_ns proxy grep -c "^FD000001000000000000000000000001 " /proc/net/tcp_splice_conn6)
	assert_eq "$n" 2 "$name: IPv6 sessions listed in tcp_splice_conn6"
	n=$(in_ns proxy wc -l < /proc/net/tcp_splice_conn)
	assert_eq "$n" 1 "$name: lines of tcp_splice_conn (the header only)"
	in_ns proxy grep -q " FD000002000000000000000000000001 1F90 " /proc/net/tcp_splice_conn6 ||
		fail "$name: the server fd00:2::1 port 8080 is not listed: $(in_ns proxy cat /proc/net/tcp_splice_conn6)"
	[ "$(proc_stat proxy bytes_c2s)" -gt 0 ] && [ "$(proc_stat proxy bytes_s2c)" -gt 0 ] ||
		fail "$name: nothing forwarded by the module"
	for ns in client server; do
		assert_eq "$(csum_errors $ns)" 0 "$name: $ns TcpInCsumErrors"
	done
	# netlink: the IPv6 endpoints, and a filter on one of them
	n=$(in_ns proxy "$ADM" list -n --addr fd00:2::1 | grep -c "\[fd00:1::1\]:[0-9]* .*\[fd00:2::1\]:8080")
	assert_eq "$n" 2 "$name: tcpspliceadm list --addr fd00:2::1"
	n=$(in_ns proxy "$ADM" list -n --addr fd00:9::1 | grep -c "fd00:")
	assert_eq "$n" 0 "$name: tcpspliceadm list --addr of no session"
	log "$name: ok, $(proc_stat proxy pkts_c2s) + $(proc_stat proxy pkts_s2c) skbs forwarded"
	topo_down
}

round plain
round gro --gro
round mtu-1280
exit 0
