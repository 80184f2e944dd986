#!/bin/bash
# The proxy is SIGKILLed mid-transfer, after the splice, while it still
# holds its fds (--keep): the kernel closes them, and the spliced transfer
# must still complete byte-exact both ways.  Drained and legacy handoff.
# timeout: 300
. "$TSP_ROOT/tests/lib.sh"
. "$TSP_ROOT/tests/cases/_helpers.bash"

need_ko
topo_up
mod_load

for mode in drained legacy; do
	t=$mode-kill
	# 16 MiB each way at 8 MiB/s: the transfer lasts about 2 s
	start_server "$t" --once --send 16M --expect 16M --shut --rate 8M --gate "$t.spliced" \
		--gate-at 1200
	start_proxy "$t" --mode "$mode" --relay-req 100 --hold-resp 200 --keep --stay
	start_client "$t" --send 16M --expect 16M --shut --rate 8M --gate "$t.spliced" --gate-at 1100
	wait_until 20 files_exist "$t.spliced" || tfail "$t" "the proxy did not splice"
	tsp_sleep 0.5
	st=$(proc_state "$CLI_PID")
	[ -n "$st" ] && [ "$st" != Z ] || tfail "$t" "the transfer ended before the kill: no test"
	pid=$(read_file "$t.pid")
	kill -KILL "$pid" || tfail "$t" "cannot kill the proxy"
	bg_pid_wait "$PRX_PID" 5
	log "$t: proxy killed"
	bg_pid_wait "$CLI_PID" 60 || tfail "$t" "client exit $?"
	bg_pid_wait "$SRV_PID" 60 || tfail "$t" "server exit $?"
	check_pair "$t" 16M 16M
	log "$t: ok"
done
exit 0
