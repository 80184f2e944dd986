#!/bin/bash
# After the splice the proxy is out of the data path: during a 100 MiB
# transfer its CPU time barely moves (utime+stime from /proc/PID/stat) and
# its sockets receive no new byte (tcpi_bytes_received unchanged since the
# ioctl, nothing read by the proxy that keeps polling its fds).  Drained and
# legacy handoff; in legacy mode the proxy reads only the bytes from before
# the cut.  With timeout_timewait/timeout_close at 1 s, a drained proxy
# still polling its fds sees them readable as EOF once the session ends.
# timeout: 600
. "$TSP_ROOT/tests/lib.sh"
. "$TSP_ROOT/tests/cases/_helpers.bash"

MAX_TICKS=5	# 50 ms of CPU for the whole 100 MiB; a copying proxy needs far more

need_ko
topo_up
mod_load
in_ns proxy sh -c 'echo 1 > /proc/sys/net/tcp_splice/timeout_timewait &&
	echo 1 > /proc/sys/net/tcp_splice/timeout_close' || fail "cannot set the timeouts"
XFER_TIMEOUT=$((300 * ${TSP_TMO_MULT:-1}))

# quiet TAG MODE PRE_S: 100 MiB server -> client (and 1 MiB back) through a
# proxy that keeps its fds (--keep) and stays alive (--stay).
quiet() {
	local t=$1 mode=$2 pre=$3 pid t0 t1 pl a
	start_server "$t" --once --send 100M --expect 1M --shut --gate "$t.spliced" --gate-at $((200 + pre))
	start_proxy "$t" --mode "$mode" --hold-resp 200 --relay-req 100 --keep --stay
	start_client "$t" --send 1M --expect 100M --shut --gate "$t.spliced" --gate-at 100
	wait_until 20 files_exist "$t.spliced" || tfail "$t" "the proxy did not splice"
	pid=$(read_file "$t.pid")
	# legacy: let the proxy finish its part of the handoff first
	tsp_sleep 0.5
	t0=$(proc_cpu_ticks "$pid") || tfail "$t" "proxy gone"
	bg_pid_wait "$CLI_PID" 200 || tfail "$t" "client exit $?"
	t1=$(proc_cpu_ticks "$pid") || tfail "$t" "proxy gone after the transfer"
	bg_pid_wait "$SRV_PID" 20 || tfail "$t" "server exit $?"
	check_pair "$t" 1M 100M
	log "$t: proxy CPU ticks during the transfer: $((t1 - t0)) (from $t0)"
	[ $((t1 - t0)) -le $MAX_TICKS ] ||
		tfail "$t" "the proxy used $((t1 - t0)) ticks during the spliced transfer (max $MAX_TICKS)"
	if [ "$mode" = drained ]; then
		# the session ends (FIN both ways, 1 s timeouts): the fds read EOF
		wait_until 10 line_with "$t.prx.out" "session=1 " > /dev/null ||
			tfail "$t" "the drained proxy's fds did not report EOF after the session ended"
	fi
	kill -TERM "$pid"
	bg_pid_wait "$PRX_PID" 10 || tfail "$t" "proxy exit $?"
	pl=$(line_with "$t.prx.out" "session=1 ") || tfail "$t" "no session line"
	log "$t: $pl"
	check_proxy_line "$t" "$pl" "$mode" 0 "$pre"
	[ "$(kv "$pl" end)" = eof ] || tfail "$t" "end=$(kv "$pl" end), expected eof"
}

quiet drained drained 0
quiet legacy legacy 65536
exit 0
