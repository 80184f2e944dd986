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
splice_xfer drained drained 10M 10M 120
splice_xfer legacy legacy 10M 10M 120 --hold-resp 3000 --delay-ms 50
splice_xfer relay legacy 10M 10M 120 --relay-req 1000
retr=$(in_ns client nstat -az TcpRetransSegs | awk '/TcpRetransSegs/ { print $2 }')
[ "${retr:-0}" -gt 0 ] || fail "no retransmissions at the client: netem not in effect?"
log "client retransmitted $retr segments end to end"
exit 0
