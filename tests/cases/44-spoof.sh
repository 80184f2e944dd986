#!/bin/bash
# Blind spoofing of a live spliced connection: while both directions flow
# through the module, the client namespace forges two segments on the
# client's tuple (tests/tools/tsp_spoof.py): data 1 GiB beyond the current
# sequence number, and data acknowledging 1 GiB never sent.  The module
# drops both (drop_out_of_window, exactly 2) instead of forwarding them,
# and the real transfer stays byte-exact.  Then hostile shapes on the same
# tuple (tsp_spoof.py hostile): TCP options of length 0, 1 and beyond the
# header, truncated timestamp and SACK options, a SACK of odd length, IP
# options, a first IPv4 fragment, a bad checksum, a SYN, a RST out of the
# window: each dropped and counted under its own counter, exactly once;
# and a packet too short for a TCP header, which the stack discards.
# Last, data beyond a peer's FIN on a finishing tuple is dropped.
# timeout: 180
. "$TSP_ROOT/tests/lib.sh"
. "$TSP_ROOT/tests/cases/_helpers.bash"

need_ko
topo_up
mod_load
cd "$TSP_OUT" || fail "no TSP_OUT"


t=spoof
# 3 MiB each way at 300 KB/s: about 10 s of traffic after the splice, for
# tsp_spoof.py to start and sniff a data segment (times TSP_TMO_MULT: under
# the debug kernel python's start alone takes seconds)
SZ=$((3 * ${TSP_TMO_MULT:-1}))M
start_server "$t" --conns 1 --send $SZ --expect $SZ --shut --rate 300K
start_proxy "$t" --mode drained --relay-req 100
start_client "$t" --send $SZ --expect $SZ --shut --rate 300K
wait_until 20 files_exist "$t.spliced" || tfail "$t" "the proxy did not splice"
sleep 1
COUNTERS=(drop_out_of_window drop_malformed drop_fragment drop_bad_csum drop_syn pkts_c2s)
declare -A before
for c in "${COUNTERS[@]}"; do before[$c]=$(proc_stat proxy "$c"); done
in_ns client python3 "$TSP_ROOT/tests/tools/tsp_spoof.py" c0 $CLI_IP $PRX_CIP $PRX_PORT hostile > spoof.out 2>&1 ||
	fail "spoofing failed: $(cat spoof.out)"
log "$(tr '\n' ' ' < spoof.out)"
tsp_sleep 1
declare -A delta
for c in "${COUNTERS[@]}"; do delta[$c]=$(($(proc_stat proxy "$c") - before[$c])); done
log "counter deltas: $(for c in "${COUNTERS[@]}"; do printf '%s=%s ' "$c" "${delta[$c]}"; done)"
bg_pid_wait "$CLI_PID" 60 || tfail "$t" "client exit $?"
bg_pid_wait "$SRV_PID" 60 || tfail "$t" "server exit $?"
bg_pid_wait "$PRX_PID" 30 || tfail "$t" "proxy exit $?"
check_pair "$t" $SZ $SZ
# two blind segments and the RST out of the window
assert_eq "${delta[drop_out_of_window]}" 3 "out-of-window segments dropped by the module"
want() { grep -c " expect $1\$" spoof.out; }
assert_eq "$(want drop_out_of_window)" 1 "hostile RST sent"
for c in drop_malformed drop_fragment drop_bad_csum drop_syn; do
	assert_eq "${delta[$c]}" "$(want "$c")" "hostile segments counted as $c"
done
[ "$(want drop_malformed)" = 7 ] || fail "tsp_spoof.py sent $(want drop_malformed) malformed shapes, expected 7"

# a tuple that is finishing: 100 bytes beyond the client's FIN, sent while
# the session is in its closing states, are dropped, not forwarded
t=late
in_ns client python3 "$TSP_ROOT/tests/tools/tsp_spoof.py" c0 $CLI_IP $PRX_CIP $PRX_PORT after-fin \
	> late.out 2>&1 &
SPOOF=$!
sniffing() { grep -q '^sniffing' late.out; }
wait_until 30 sniffing || fail "tsp_spoof.py after-fin did not start: $(cat late.out)"
oow=$(proc_stat proxy drop_out_of_window)
start_server "$t" --conns 1 --send 256K --expect 256K --shut
start_proxy "$t" --mode drained --relay-req 100
start_client "$t" --send 256K --expect 256K --shut
bg_pid_wait "$CLI_PID" 60 || tfail "$t" "client exit $?"
bg_pid_wait "$SRV_PID" 60 || tfail "$t" "server exit $?"
bg_pid_wait "$PRX_PID" 30 || tfail "$t" "proxy exit $?"
bg_pid_wait "$SPOOF" 30 || fail "after-fin spoofing: $(cat late.out)"
log "$(tr '\n' ' ' < late.out)"
check_pair "$t" 256K 256K
grep -q "^sent after-fin" late.out || fail "nothing sent after the FIN: $(cat late.out)"
late_dropped() { [ "$(($(proc_stat proxy drop_out_of_window) - oow))" = 1 ]; }
wait_until 5 late_dropped ||
	fail "data beyond the client's FIN: drop_out_of_window grew by $(($(proc_stat proxy drop_out_of_window) - oow)), expected 1"
exit 0
