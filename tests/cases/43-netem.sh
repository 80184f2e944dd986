#!/bin/bash
# Loss, delay with jitter, reordering, duplication and corruption on every
# leg (netem): spliced transfers stay byte-exact both ways in both handoff
# modes, retransmissions and SACK recovery run end to end between the real
# peers, and corrupted segments are dropped (by the module, drop_bad_csum,
# or by the receiving peer), never forwarded as good data.
# timeout: 600
. "$TSP_ROOT/tests/lib.sh"

need_ko
topo_up
mod_load
tc -n client qdisc add dev c0 root netem loss 2% delay 2ms 1ms || fail "netem"
tc -n server qdisc add dev s0 root netem loss 2% delay 2ms 1ms reorder 5% || fail "netem"
tc -n proxy qdisc add dev p0 root netem loss 1% corrupt 0.5% || fail "netem"
tc -n proxy qdisc add dev p1 root netem loss 1% duplicate 1% || fail "netem"

cd "$TSP_OUT" || fail "no TSP_OUT"
splice_xfer drained drained 8M 8M 180 --relay-req 1000 --hold-resp 2000
splice_xfer legacy legacy 8M 8M 180 --hold-resp 3000 --delay-ms 50
splice_xfer relay legacy 8M 8M 180 --relay-req 1000
for ns in client server; do
	retr=$(in_ns $ns nstat -az TcpRetransSegs | awk '/TcpRetransSegs/ { print $2 }')
	[ "${retr:-0}" -gt 0 ] || fail "no retransmissions at the $ns: netem not in effect?"
	log "$ns retransmitted $retr segments end to end"
done
moved=$(in_ns proxy awk '$1 == "ofo_moved" { print $2 }' /proc/net/stat/tcp_splice)
log "splices that forwarded a socket's out-of-order bytes: ${moved:-0}"
exit 0
