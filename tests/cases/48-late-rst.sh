#!/bin/bash
# A RST after both peers finished does not make a clean close a reset.
# The client finishes first, the server answers and closes after the
# client's EOF (LAST_ACK, then CLOSED).  Both FINs are forwarded and
# acknowledged (TIME_WAIT); then the client
# repeats its last ACK, as a peer in TIME_WAIT does when the other's FIN
# comes again (tsp_spoof.py late-ack).  The server, closed by now, answers
# with a RST, which the module passes on (the session goes to CLOSE): the
# session still ends with reason FIN, counted in sessions_ended_fin and
# not sessions_ended_rst.  Before the fix about one legacy half-close in
# 360 (one in nine under the debug kernel) ended as "rst" this way.
# timeout: 120
. "$TSP_ROOT/tests/lib.sh"
. "$TSP_ROOT/tests/cases/_helpers.bash"

need_ko
topo_up
mod_load
cd "$TSP_OUT" || fail "no TSP_OUT"

state() { conn_lines proxy | awk '{ print $(NF - 1) }'; }
in_state() { [[ "$(state)" =~ ^($1)$ ]]; }

in_ns proxy sh -c 'echo 1 > /proc/sys/net/tcp_splice/timeout_close' ||
	fail "cannot set timeout_close"
t=late
rm -f "$t.go"
in_ns client python3 "$TSP_ROOT/tests/tools/tsp_spoof.py" c0 $CLI_IP $PRX_CIP $PRX_PORT \
	late-ack "$TSP_OUT/$t.go" > "$t.spoof" 2>&1 &
SPOOF=$!
sniffing() { grep -q '^sniffing' "$t.spoof"; }
wait_until 30 sniffing || fail "tsp_spoof.py late-ack did not start: $(cat "$t.spoof")"
fin0=$(proc_stat proxy sessions_ended_fin)
rst0=$(proc_stat proxy sessions_ended_rst)
start_server "$t" --conns 1 --send 64K --expect 64K --shut --send-after-eof
start_proxy "$t" --mode drained --relay-req 100
start_client "$t" --send 64K --expect 64K --shut
bg_pid_wait "$CLI_PID" 60 || tfail "$t" "client exit $?"
bg_pid_wait "$SRV_PID" 60 || tfail "$t" "server exit $?"
bg_pid_wait "$PRX_PID" 30 || tfail "$t" "proxy exit $?"
check_pair "$t" 64K 64K
wait_until 10 in_state 'TIME_WAIT|CLOSE' ||
	fail "session not in TIME_WAIT after FIN both ways: $(conn_lines proxy)"
if in_state CLOSE; then
	# the race happened on its own: a late ACK already drew the RST
	log "already CLOSE: $(conn_lines proxy)"
	: > "$t.go"
else
	s2c=$(proc_stat proxy pkts_s2c)
	: > "$t.go"
	# counted, not seen in the list: CLOSE lasts 1 s, less than one poll
	# takes under the debug kernel
	rst_passed() { [ "$(proc_stat proxy pkts_s2c)" != "$s2c" ]; }
	wait_until 10 rst_passed ||
		fail "no RST passed after the late ACK: $(conn_lines proxy), $(cat "$t.spoof")"
	assert_eq "$(($(proc_stat proxy pkts_s2c) - s2c))" 1 "segments forwarded to the client after the late ACK (the RST)"
fi
bg_pid_wait "$SPOOF" 30 || fail "late-ack spoofing: $(cat "$t.spoof")"
log "$(tr '\n' ' ' < "$t.spoof")"
gone() { [ "$(conn_count proxy)" = 0 ]; }
wait_until 20 gone || fail "session still listed 20 s into a 1 s timeout_close: $(conn_lines proxy)"
assert_eq "$(($(proc_stat proxy sessions_ended_fin) - fin0))" 1 "sessions ended by FIN"
assert_eq "$(($(proc_stat proxy sessions_ended_rst) - rst0))" 0 "sessions ended by RST"
exit 0
