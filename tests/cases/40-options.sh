#!/bin/bash
# The two connections of a splice negotiated different TCP options (the
# ancestor needed window scaling, SACK and DSACK off everywhere).  Per
# scenario, a fresh topology where one peer's namespace differs, then a
# drained and a legacy splice of 2 MiB each way, byte-exact, with no
# checksum errors at the peers:
#   ws-small   server window scale 2 (tcp_rmem max 64K) vs the client's 7
#   ws-off     server without window scaling
#   sack-off   server without SACK, 2% loss on the server leg (SACK blocks
#              towards the server must go; the client's must be translated)
#   mtu-1200   server leg MTU 1200: the client leg's 1448-byte segments and
#              GSO super-packets are re-segmented, never fragmented
#   ts-srv-off server without timestamps: the client still gets a TS
#              option in every segment (inserted), PAWS stays happy; the
#              client namespace plays a strict peer (RFC 7323 5.3, as
#              FreeBSD): it drops segments without one and counts them
#   ts-cli-off client without timestamps: the server, strict too, gets
#              inserted ones
# Each scenario checks the proxy's server-leg socket shows the option.
# timeout: 600
. "$TSP_ROOT/tests/lib.sh"

need_ko
mod_load
cd "$TSP_OUT" || fail "no TSP_OUT"

# leg_info PEER: ss -tio details of the proxy's socket towards PEER (this
# ss prints "ts sack" only with -o).
leg_info() {
	in_ns proxy ss -tinoH dst "$1" | tr -s ' \t\n' ' '
}

csum_errors() {
	in_ns "$1" nstat -az TcpInCsumErrors | awk '/TcpInCsumErrors/ { print $2 }'
}

# strict_peer NS PORT: in NS, drop (and count) every segment from PORT or
# to PORT without a TS option, but SYNs and RSTs.
strict_peer() {
	printf '%s\n' "table inet strict {" "chain in {" \
		"type filter hook input priority 0;" \
		"tcp sport $2 tcp flags & (syn | rst) == 0 tcp option timestamp missing counter drop" \
		"tcp dport $2 tcp flags & (syn | rst) == 0 tcp option timestamp missing counter drop" \
		"}" "}" | ip netns exec "$1" nft -f - || fail "nft in $1"
}

# strict_drops NS: segments the strict peer in NS dropped.
strict_drops() {
	in_ns "$1" nft list chain inet strict in |
		awk '/counter packets/ { for (i = 1; i < NF; i++) if ($i == "packets") n += $(i + 1) } END { print n + 0 }'
}

# scenario NAME CHECK_RE SETUP...: SETUP is run as shell commands (the
# namespaces exist); CHECK_RE must match the proxy's server-leg ss -ti (or
# client leg for ts-cli-off) while the sessions are still listed.
scenario() {
	local name=$1 re=$2 leg=$3 setup=$4 info ns
	topo_up
	eval "$setup" || fail "$name: setup failed: $setup"
	splice_xfer "$name-d" drained 2M 2M 60 --relay-req 500 --hold-resp 700
	info=$(leg_info "$leg")
	[[ $info =~ $re ]] || fail "$name: the proxy's socket to $leg does not show /$re/: $info"
	splice_xfer "$name-l" legacy 2M 2M 60 --hold-resp 1000 --delay-ms 30
	for ns in client server; do
		assert_eq "$(csum_errors $ns)" 0 "$name: $ns TcpInCsumErrors"
		in_ns $ns nft list table inet strict > /dev/null 2>&1 || continue
		assert_eq "$(strict_drops $ns)" 0 "$name: $ns: segments without a timestamp"
	done
	log "$name: ok ($info)"
	topo_down
}

scenario ws-small "wscale:2,7 " 10.0.2.1 \
	"ip netns exec server sysctl -qw net.ipv4.tcp_rmem='4096 16384 65536'"
scenario ws-off " ts sack cubic rto" 10.0.2.1 \
	"ip netns exec server sysctl -qw net.ipv4.tcp_window_scaling=0"
scenario sack-off " ts cubic wscale" 10.0.2.1 \
	"ip netns exec server sysctl -qw net.ipv4.tcp_sack=0 &&
	 ip netns exec server tc qdisc add dev s0 root netem loss 2% &&
	 ip netns exec proxy tc qdisc add dev p1 root netem loss 2%"
scenario mtu-1200 " mss:1148 " 10.0.2.1 \
	"ip -n server link set s0 mtu 1200 && ip -n proxy link set p1 mtu 1200"
scenario ts-srv-off "[^s] sack cubic wscale" 10.0.2.1 \
	"ip netns exec server sysctl -qw net.ipv4.tcp_timestamps=0 && strict_peer client 8000"
scenario ts-cli-off "[^s] sack cubic wscale" 10.0.1.1 \
	"ip netns exec client sysctl -qw net.ipv4.tcp_timestamps=0 && strict_peer server 8080"
exit 0
