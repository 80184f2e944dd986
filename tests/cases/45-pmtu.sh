#!/bin/bash
# Path MTU below the negotiated MSS on the server leg: the server sits in a
# namespace "far" two routers behind the proxy (namespaces server and mid),
# joined by a link of small MTU (1000 for IPv4, 1280 for IPv6) while every
# interface the peers see has 1500, so both connections negotiate
# full-size MSS.
# The client's full-size segments, forwarded by the module, do not fit:
# the router answers with ICMP "fragmentation needed" / ICMPv6 "packet too
# big".  The proxy's socket ignores it (it quotes bytes the socket never
# sent), so only the module can react: it must lower that direction's
# segment size (pmtu_lowered), or every large segment is lost again and
# the transfer stalls.  Drained and legacy, 4 MiB each way, byte-exact;
# the ICMP errors are not passed on to the client.
# timeout: 300
. "$TSP_ROOT/tests/lib.sh"

need_ko
mod_load
cd "$TSP_OUT" || fail "no TSP_OUT"

icmp_in() {	# NS COUNTER
	in_ns "$1" nstat -az "$2" | awk -v k="$2" '$1 == k { print $2 }'
}

# far_up MTU: the topology, then two routers and the far server:
#   proxy p1 -- s0 server s1 ==MTU== m0 mid m1 -- f0 far
# (the narrow link has MTU on both ends: a veth end with a smaller MTU than
# its peer drops what the peer sends; every other link has 1500).
far_up() {
	local v6=
	[ "$1" -ge 1280 ] && v6=1	# below 1280 IPv6 is off on a link
	topo_up --v6
	ip netns add mid && ip netns add far || fail "netns mid, far"
	ip link add s1 netns server type veth peer name m0 netns mid || fail "veth s1-m0"
	ip link add m1 netns mid type veth peer name f0 netns far || fail "veth m1-f0"
	ip -n server -b - <<- EOF || fail "server as a router"
		link set s1 up mtu $1
		addr add 10.0.9.2/24 dev s1
		route add 10.0.10.0/24 via 10.0.9.1
		${v6:+addr add fd00:9::2/64 dev s1 nodad}
		${v6:+route add fd00:a::/64 via fd00:9::1}
	EOF
	ip -n mid -b - <<- EOF || fail "mid"
		link set lo up
		link set m0 up mtu $1
		link set m1 up
		addr add 10.0.9.1/24 dev m0
		addr add 10.0.10.2/24 dev m1
		route add default via 10.0.9.2
		${v6:+addr add fd00:9::1/64 dev m0 nodad}
		addr add fd00:a::2/64 dev m1 nodad
		${v6:+route add default via fd00:9::2}
	EOF
	ip -n far -b - <<- EOF || fail "far"
		link set lo up
		link set f0 up
		addr add 10.0.10.1/24 dev f0
		addr add fd00:a::1/64 dev f0 nodad
		route add default via 10.0.10.2
		route add default via fd00:a::2
	EOF
	ip -n proxy -b - <<- EOF || fail "proxy routes"
		route add 10.0.10.0/24 via 10.0.2.1
		route add fd00:a::/64 via fd00:2::1
	EOF
	for ns in server mid; do
		in_ns $ns sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 ||
			fail "forwarding in $ns"
	done
}

# xfer TAG MODE SERVER PROXY BIND: 4 MiB each way through tsp_proxy.
xfer() {
	local t=$1 mode=$2 srv=$3 prx=$4 bind=$5 c s p
	rm -f "$t.sready" "$t.pready" "$t.spliced"
	in_ns far "$TSP_TOOLS/tsp_xfer" listen 8080 --bind "$bind" --send 4M --expect 4M \
		--shut --once --timeout 120 --ready-file "$t.sready" > "$t.srv" 2>&1 &
	s=$!
	in_ns proxy "$TSP_TOOLS/tsp_proxy" --mode "$mode" --timeout 150 --relay-req 500 \
		--hold-resp 700 --bind "$bind" --ready-file "$t.pready" \
		--spliced-file "$t.spliced" 8000 "$srv" 8080 > "$t.prx" 2>&1 &
	p=$!
	wait_until 10 test -e "$t.sready" -a -e "$t.pready" || fail "$t: not ready"
	# the client's bytes beyond the request wait for the splice: the
	# module, not the proxy's socket, sends the first large segments
	in_ns client "$TSP_TOOLS/tsp_xfer" connect "$prx" 8000 --send 4M --expect 4M --shut \
		--gate "$t.spliced" --gate-at 500 --timeout 120 > "$t.cli" 2>&1
	c=$?
	wait $s; s=$?
	wait $p; p=$?
	if [ $c != 0 ] || [ $s != 0 ] || [ $p != 0 ]; then
		cat "$t.cli" "$t.srv" "$t.prx"
		in_ns proxy cat /proc/net/stat/tcp_splice
		in_ns proxy ss -tinoem
		in_ns proxy nstat -az | grep -Ei 'icmp|mtu|outofwindow|retrans'
		in_ns server nstat -az | grep -Ei 'icmp|frag'
		fail "$t: client=$c server=$s proxy=$p"
	fi
	grep -q "verify=ok eof=yes" "$t.cli" || fail "$t: client stream not exact"
	grep -q "verify=ok eof=yes" "$t.srv" || fail "$t: server stream not exact"
	grep -q "ioctl=ok" "$t.prx" || fail "$t: not spliced: $(cat "$t.prx")"
}

# one_leg TAG MODE MTU SERVER PROXY BIND COUNTER: a fresh topology (no
# route exception left from an earlier run), one transfer, then the checks.
one_leg() {
	local t=$1 lowered icmp
	far_up "$3"
	xfer "$t" "$2" "$4" "$5" "$6"
	lowered=$(proc_stat proxy pmtu_lowered)
	icmp=$(icmp_in proxy "$7")
	log "$t: pmtu_lowered $lowered, $7 at the proxy: $icmp"
	[ "${icmp:-0}" -gt 0 ] || fail "$t: no ICMP reached the proxy: the narrow hop is not in effect"
	[ "${lowered:-0}" -ge 1 ] || fail "$t: the module did not lower the segment size"
	assert_eq "$(icmp_in client "$7")" 0 "$t: ICMP errors passed on to the client"
	topo_down
}

# IPv4 behind a 1000-byte hop, IPv6 behind a 1280-byte one (its minimum)
one_leg v4-d drained 1000 10.0.10.1 10.0.1.2 0.0.0.0 IcmpInDestUnreachs
one_leg v4-l legacy 1000 10.0.10.1 10.0.1.2 0.0.0.0 IcmpInDestUnreachs
one_leg v6-d drained 1280 fd00:a::1 fd00:1::2 :: Icmp6InPktTooBigs
one_leg v6-l legacy 1280 fd00:a::1 fd00:1::2 :: Icmp6InPktTooBigs
exit 0
