#!/bin/bash
# Blind spoofing of a live spliced connection: while both directions flow
# through the module, the client namespace forges two segments on the
# client's tuple (tests/tools/tsp_spoof.py): data 1 GiB beyond the current
# sequence number, and data acknowledging 1 GiB never sent.  The module
# drops both (drop_out_of_window, exactly 2) instead of forwarding them,
# and the real transfer stays byte-exact.
# timeout: 180
. "$TSP_ROOT/tests/lib.sh"
. "$TSP_ROOT/tests/cases/_helpers.bash"

need_ko
topo_up
mod_load
cd "$TSP_OUT" || fail "no TSP_OUT"

stat_of() {
	in_ns proxy awk -v k="$1" '$1 == k { print $2 }' /proc/net/stat/tcp_splice
}

t=spoof
# 3 MiB each way at 300 KB/s: about 10 s of traffic after the splice
start_server "$t" --conns 1 --send 3M --expect 3M --shut --rate 300K
start_proxy "$t" --mode drained --relay-req 100
start_client "$t" --send 3M --expect 3M --shut --rate 300K
wait_until 20 files_exist "$t.spliced" || tfail "$t" "the proxy did not splice"
sleep 1
before=$(stat_of drop_out_of_window)
in_ns client python3 "$TSP_ROOT/tests/tools/tsp_spoof.py" c0 $CLI_IP $PRX_CIP $PRX_PORT > spoof.out 2>&1 ||
	fail "spoofing failed: $(cat spoof.out)"
log "$(tr '\n' ' ' < spoof.out)"
bg_pid_wait "$CLI_PID" 60 || tfail "$t" "client exit $?"
bg_pid_wait "$SRV_PID" 60 || tfail "$t" "server exit $?"
bg_pid_wait "$PRX_PID" 30 || tfail "$t" "proxy exit $?"
check_pair "$t" 3M 3M
assert_eq "$(($(stat_of drop_out_of_window) - before))" 2 "forged segments dropped by the module"
exit 0
