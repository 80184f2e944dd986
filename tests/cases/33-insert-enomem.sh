#!/bin/bash
# The id index refuses a session: tests/fault/tsp_fault.ko (a kretprobe on
# __xa_insert(), test-only) makes the store in tsp_session_insert() fail
# with ENOMEM as a failed GFP_ATOMIC node allocation would, after both
# tuples went into the table.  The splice call answers ENOMEM; the session
# is nowhere (the proc list, sessions_active, sessions_created, a GET of
# its id); the two connections go on byte-exact through the proxy's own
# copy (tsp_proxy --fallback-copy): a tuple left in the table would take
# their segments.  The next splice, the fault spent, works byte-exact and
# both modules unload.  Drained and legacy.
# timeout: 300
. "$TSP_ROOT/tests/lib.sh"
. "$TSP_ROOT/tests/cases/_helpers.bash"
. "$TSP_ROOT/tests/cases/_nl.bash"

need_ko
need_userland
FAULT_KO=${TSP_KO%/kernel/tcp_splice.ko}/fault/tsp_fault.ko
# make builds it with the module: missing is a build failure, not a skip
[ -f "$FAULT_KO" ] || fail "$FAULT_KO not built"
topo_up
mod_load
insmod "$FAULT_KO" || fail "insmod $FAULT_KO failed"
FP=/sys/module/tsp_fault/parameters
XFER_TIMEOUT=$((120 * ${TSP_TMO_MULT:-1}))
# the first round's spliced session is gone before the second round
in_ns proxy sh -c 'echo 1 > /proc/sys/net/tcp_splice/timeout_timewait &&
	echo 1 > /proc/sys/net/tcp_splice/timeout_close' || fail "cannot set the timeouts"
no_sessions() { [ "$(conn_count proxy)" = 0 ]; }

for m in drained legacy; do
	t=enomem-$m
	wait_until 30 no_sessions || fail "$t: $(conn_count proxy) sessions left from before"
	echo 1 > $FP/fail_insert || fail "cannot arm the fault"
	inj0=$(< $FP/injected)
	c0=$(proc_stat proxy sessions_created) || fail "no sessions_created"
	NOWAIT=1 start_server "$t" --once --send 2M --expect 1M --shut \
		--gate "$t.spliced" --gate-at $((4096 + 65536))
	NOWAIT=1 start_proxy "$t" --mode $m --relay-req 1024 --hold-resp 4096 --fallback-copy
	wait_until 10 files_exist "$t.srv.ready" "$t.prx.ready" || tfail "$t" "server or proxy did not start"
	run_client "$t" --send 1M --expect 2M --shut --gate "$t.spliced" --gate-at $((1024 + 65536))
	bg_pid_wait "$SRV_PID" 60 || tfail "$t" "server exit $?"
	bg_pid_wait "$PRX_PID" 60 || tfail "$t" "proxy exit $?"
	check_pair "$t" 1M 2M
	line_with_v pl "$t.prx.out" "session=1 " || tfail "$t" "no session line from the proxy"
	declare -A PL=()
	kvp PL "$pl"
	assert_eq "${PL[ioctl]:-}" ENOMEM "$t: the splice call's answer"
	assert_eq "${PL[end]:-}" fallback-eof "$t: the proxy relayed the refused session"
	assert_eq "$(< $FP/injected)" $((inj0 + 1)) "$t: faults injected"
	assert_eq "$(< $FP/fail_insert)" 0 "$t: faults left"
	assert_eq "$(proc_stat proxy sessions_created)" "$c0" "$t: sessions_created"
	assert_eq "$(conn_count proxy)" 0 "$t: sessions listed in /proc/net/tcp_splice_conn"
	assert_eq "$(stat_of proxy sessions_active)" 0 "$t: sessions_active"

	# the fault spent: the next pair splices, with the id after the
	# refused one's (ids are global: no other namespace splices here)
	REQ=1024 RESP=4096 PRE_C=65536 PRE_S=65536 splice_xfer "ok-$m" $m 1M 2M
	line_with_v pl "ok-$m.prx.out" "session=1 " || tfail "ok-$m" "no session line"
	id=$(kv "$pl" id)
	assert_eq "$(proc_stat proxy sessions_created)" $((c0 + 1)) "ok-$m: sessions_created"
	out=$(adm proxy get $((id - 1)) 2>&1) && fail "$t: GET of the refused session's id $((id - 1)) succeeded: $out"
	[[ $out == *"no such session"* ]] || fail "$t: GET of the refused id $((id - 1)): $out"
	log "$t: ENOMEM answered, relayed by copy byte-exact; next session $id spliced byte-exact"
done
assert_eq "$(< $FP/injected)" 2 "faults injected in all"
rmmod tsp_fault || fail "rmmod tsp_fault failed"
mod_unload
exit 0
