#!/bin/bash
# make bench, part "loss" (issue 4's figure): one iperf3 flow client ->
# server of LOSS_SIZE (100M; QUICK: 32M) with 2% netem loss on both
# endpoints' egress, routed through the proxy namespace and spliced by
# tsp_proxy (drained), alternating, LOSS_ROUNDS (2; QUICK: 1) rounds, same
# VM run.  Prints throughput and sender retransmissions per round: the
# peers' SACK recovery runs end to end through the splice.
# timeout: 900
. "$TSP_ROOT/tests/lib.sh"
. "$TSP_ROOT/tests/bench/_bench.bash"
bench_config
if [ "$QUICK" = 1 ]; then
	LOSS_SIZE=${LOSS_SIZE:-32M} LOSS_ROUNDS=${LOSS_ROUNDS:-1}
else
	LOSS_SIZE=${LOSS_SIZE:-100M} LOSS_ROUNDS=${LOSS_ROUNDS:-2}
fi
topo_up
mod_load
tc -n client qdisc add dev c0 root netem loss 2% || fail "netem"
tc -n server qdisc add dev s0 root netem loss 2% || fail "netem"
in_ns server iperf3 -s -D -p 5201 --logfile "$TSP_OUT/loss-iperf-s.log" || fail "iperf3 -s"
tsp_sleep 0.5
mbps() { awk '/receiver/ { for (i = 1; i <= NF; i++) if ($i ~ /bits\/sec/) print $(i-1) }' "$1"; }
retr() { awk '/sender/ { print $(NF-1) }' "$1"; }
for r in $(seq 1 "$LOSS_ROUNDS"); do
	in_ns client iperf3 -c "$SRV" -p 5201 -n "$LOSS_SIZE" -f m > "$TSP_OUT/loss-r.txt" 2>&1 ||
		fail "routed iperf3: $(tail -3 "$TSP_OUT/loss-r.txt")"
	log "loss round $r: routed $(mbps "$TSP_OUT/loss-r.txt") Mbit/s, retransmissions $(retr "$TSP_OUT/loss-r.txt")"
	rm -f "$TSP_OUT/loss-ready"
	in_ns proxy "$TSP_TOOLS/tsp_proxy" --mode drained --count 2 --concurrent --timeout 600 \
		--ready-file "$TSP_OUT/loss-ready" 8000 "$SRV" 5201 > "$TSP_OUT/loss-p.txt" 2>&1 &
	p=$!
	wait_until 10 test -e "$TSP_OUT/loss-ready" || fail "proxy not ready"
	in_ns client iperf3 -c "$VIP" -p 8000 -n "$LOSS_SIZE" -f m > "$TSP_OUT/loss-s.txt" 2>&1 ||
		fail "spliced iperf3: $(tail -3 "$TSP_OUT/loss-s.txt")"
	wait $p
	log "loss round $r: spliced $(mbps "$TSP_OUT/loss-s.txt") Mbit/s, retransmissions $(retr "$TSP_OUT/loss-s.txt"), $(tail -n 1 "$TSP_OUT/loss-p.txt")"
done
exit 0
