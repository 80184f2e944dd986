#!/bin/bash
# /proc/net/tcp_splice_conn lists a live session with its exact tuples in
# the ancestor's format (hex addresses and ports, state, seconds to expiry):
#   0A000101 <cport> 0A000102 1F40 0A000202 <lport> 0A000201 1389 ESTABLISHED <n>
# with the ports read from ss in the client and server namespaces.  After
# FIN both ways the session leaves ESTABLISHED and, with the default
# timeouts, stays listed in a closing state; with timeout_timewait and
# timeout_close at 1 s it vanishes within a few seconds.
# timeout: 300
. "$TSP_ROOT/tests/lib.sh"
. "$TSP_ROOT/tests/cases/_helpers.bash"

need_ko
need_cmd ss
topo_up
mod_load

# ss_port NS FILTER...: the local (or, with -p, peer) port of the one
# established connection matching FILTER in NS.
ss_port() {
	local ns=$1 which=$2 rq sq l p n=0 out
	shift 2
	while read -r rq sq l p; do
		n=$((n + 1))
		if [ "$which" = local ]; then out=${l##*:}; else out=${p##*:}; fi
	done < <(in_ns "$ns" ss -Htn state established "$@")
	[ $n = 1 ] || return 1
	echo "$out"
}

# live TAG: a spliced session with idle peers (waiting for TAG.go); sets
# CPORT, LPORT and EXPECT (the line's first nine fields).
live() {
	local t=$1 cl
	start_server "$t" --once --send 256K --expect 256K --shut --gate "$t.go" --gate-at 1000
	start_proxy "$t" --mode drained
	start_client "$t" --send 256K --expect 256K --shut --gate "$t.go" --gate-at 1000
	wait_until 10 files_exist "$t.spliced" || tfail "$t" "the proxy did not splice"
	CPORT=$(ss_port client local dst "$PRX_CIP:$PRX_PORT") || tfail "$t" "no client connection in ss"
	LPORT=$(ss_port server peer src "$SRV_IP:$SRV_PORT") || tfail "$t" "no server connection in ss"
	# cross-check with what the client itself reported
	cl=$(line_with "$t.cli.err" "tsp_xfer: conn 0 established")
	assert_eq "$(kv "$cl" local)" "$CLI_IP:$CPORT" "$t: client's own view of its port"
	EXPECT="$(hexip $CLI_IP) $(hex4 "$CPORT") $(hexip $PRX_CIP) $(hex4 $PRX_PORT)"
	EXPECT+=" $(hexip $PRX_SIP) $(hex4 "$LPORT") $(hexip $SRV_IP) $(hex4 $SRV_PORT)"
}

# entry PREFIX: print the line of the proxy netns' table starting with PREFIX.
entry() {
	local x
	while IFS= read -r x; do
		[[ $x == "$1 "* ]] && { echo "$x"; return 0; }
	done < <(conn_lines proxy)
	return 1
}
gone() { ! entry "$1" > /dev/null; }

finish() {
	local t=$1
	: > "$t.go"
	bg_pid_wait "$CLI_PID" 30 || tfail "$t" "client exit $?"
	bg_pid_wait "$SRV_PID" 30 || tfail "$t" "server exit $?"
	bg_pid_wait "$PRX_PID" 10 || tfail "$t" "proxy exit $?"
	check_pair "$t" 256K 256K
}

# --- 1: default timeouts ------------------------------------------------
live a
assert_eq "$(conn_count proxy)" 1 "sessions listed during the transfer"
l=$(entry "$EXPECT") || fail "no entry '$EXPECT ...' in: $(conn_lines proxy)"
assert_match "$l" "^$EXPECT ESTABLISHED [0-9]+\$" "entry of the live session"
exp=${l##* }
[ "$exp" -ge 880 ] && [ "$exp" -le 900 ] || fail "Expires $exp, expected close to 900 (timeout_established)"
log "live: $l"
finish a
tsp_sleep 1
l=$(entry "$EXPECT") || fail "the session vanished at once after FIN both ways (default timeouts keep it listed)"
log "after FIN both ways: $l"
assert_match "$l" "^$EXPECT (TIME_WAIT|CLOSE) [0-9]+\$" "entry after FIN both ways"
exp=${l##* }
[ "$exp" -le 120 ] || fail "Expires $exp after FIN both ways, above timeout_timewait 120"

# --- 2: short timeouts: the entry goes away --------------------------------
in_ns proxy sh -c 'echo 1 > /proc/sys/net/tcp_splice/timeout_timewait &&
	echo 1 > /proc/sys/net/tcp_splice/timeout_close' || fail "cannot set the timeouts"
live b
l=$(entry "$EXPECT") || fail "no entry '$EXPECT ...' in: $(conn_lines proxy)"
assert_match "$l" "^$EXPECT ESTABLISHED [0-9]+\$" "entry of the second session"
finish b
wait_until 5 gone "$EXPECT" || fail "entry still listed 5 s after FIN both ways with 1 s timeouts: $(entry "$EXPECT")"
exit 0
