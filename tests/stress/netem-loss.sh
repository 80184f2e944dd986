#!/bin/bash
# Stress (make stress): loss, delay with jitter, reordering and duplication
# on every leg (netem):
# spliced transfers stay byte-exact both ways, in both handoff modes, and
# retransmissions run end to end between the real peers.
# Passed 3 of 4 runs in session 1; the failing run stalled one direction
# (C->S, drained) after ~100 KB: an open bug, likely the same family as
# the handoff-loop stall, or bytes purged from the source socket's
# out-of-order queue at the cut (recovery then waits on the client's SACK
# reneging detection and RTO backoff).  Kept out of CI until fixed.
# timeout: 600
. "$TSP_ROOT/tests/lib.sh"
T=$TSP_TOOLS
topo_up
mod_load
tc -n client qdisc add dev c0 root netem loss 2% delay 2ms 1ms || fail "netem"
tc -n server qdisc add dev s0 root netem loss 2% delay 2ms 1ms reorder 5% || fail "netem"
tc -n proxy qdisc add dev p0 root netem loss 1% || fail "netem"
tc -n proxy qdisc add dev p1 root netem loss 1% duplicate 1% || fail "netem"

cd "$TSP_OUT" || fail "no TSP_OUT"
run() { # tag mode size proxy-args
	local tag=$1 mode=$2 size=$3 c s p
	shift 3
	in_ns server "$T/tsp_xfer" listen 8080 --send "$size" --expect "$size" \
		--shut --once --timeout 120 --ready-file "$tag.sready" > "$tag.srv" 2>&1 &
	s=$!
	in_ns proxy "$T/tsp_proxy" --mode "$mode" --timeout 150 "$@" \
		--ready-file "$tag.pready" 8000 10.0.2.1 8080 > "$tag.prx" 2>&1 &
	p=$!
	wait_until 10 test -e "$tag.sready" -a -e "$tag.pready" || fail "$tag: not ready"
	in_ns client "$T/tsp_xfer" connect 10.0.1.2 8000 --send "$size" \
		--expect "$size" --shut --timeout 120 > "$tag.cli" 2>&1
	c=$?
	wait $s; s=$?
	wait $p; p=$?
	[ $c = 0 ] && [ $s = 0 ] && [ $p = 0 ] ||
		{ cat "$tag.cli" "$tag.srv" "$tag.prx"; fail "$tag: client=$c server=$s proxy=$p"; }
	grep -q "verify=ok eof=yes" "$tag.cli" || fail "$tag: client stream not exact"
	grep -q "verify=ok eof=yes" "$tag.srv" || fail "$tag: server stream not exact"
}
run drained drained 10M
run legacy legacy 10M --hold-resp 3000 --delay-ms 50
run relay legacy 10M --relay-req 1000
retr=$(in_ns client nstat -az TcpRetransSegs | awk '/TcpRetransSegs/ { print $2 }')
[ "${retr:-0}" -gt 0 ] || fail "no retransmissions at the client: netem not in effect?"
log "client retransmitted $retr segments end to end"
exit 0
