# shellcheck shell=bash
# Helpers of the control-plane cases (5x): libtcpsplice, tcpspliceadm and
# the generic netlink family.  Source after lib.sh and _helpers.bash:
#     . "$TSP_ROOT/tests/lib.sh"
#     . "$TSP_ROOT/tests/cases/_helpers.bash"
#     . "$TSP_ROOT/tests/cases/_nl.bash"
# The programs come from `make -C userland` (build/userland/).

U=$TSP_ROOT/build/userland
ADM=$U/tcpspliceadm
NLT=$U/tsp_nltest
HAP=$U/hap13_proxy
# Run a command as nobody:nogroup without supplementary groups.
NOBODY=(setpriv --reuid=nobody --regid=nogroup --clear-groups)

# need_userland: skip unless the userland programs were built.
need_userland() {
	local f
	for f in "$ADM" "$NLT" "$HAP"; do
		[ -x "$f" ] || skip "$f not built (make -C userland)"
	done
	need_cmd setpriv jq
	# nobody writes its marker files into the case's directory
	chmod 1777 . || fail "chmod of the work directory"
}

# adm NS ARGS...: tcpspliceadm in namespace NS as root.
adm() {
	local ns=$1
	shift
	in_ns "$ns" "$ADM" "$@"
}

# adm_nobody NS ARGS...: the same as nobody.
adm_nobody() {
	local ns=$1
	shift
	in_ns "$ns" "${NOBODY[@]}" "$ADM" "$@"
}

# start_nlproxy TAG [--nobody] OPTS...: tsp_nltest proxy in ns proxy on
# PRX_PORT (override with PORT=..), to SRV_IP:SRV_PORT (SPORT=..), in the
# background (PRX_PID); returns once it listens.  TAG.spliced appears
# after the last splice, TAG.ids lists the session ids.
start_nlproxy() {
	local t=$1 pre=()
	shift
	if [ "${1:-}" = --nobody ]; then
		pre=("${NOBODY[@]}")
		shift
	fi
	rm -f "$t.prx.ready" "$t.spliced" "$t.ids"
	in_ns proxy "${pre[@]}" "$NLT" proxy --timeout "$XFER_TIMEOUT" \
		--ready-file "$t.prx.ready" --spliced-file "$t.spliced" --ids-file "$t.ids" \
		"$@" "${PORT:-$PRX_PORT}" "$SRV_IP" "${SPORT:-$SRV_PORT}" \
		> "$t.prx.out" 2> "$t.prx.err" &
	PRX_PID=$!
	wait_until 10 files_exist "$t.prx.ready" || tfail "$t" "proxy did not start"
}

# json_get JSON FILTER: jq -r FILTER on JSON.
json_get() { jq -r "$2" <<< "$1"; }

# stat_of NS NAME: one counter, from tcpspliceadm -j stats.
stat_of() {
	local j
	j=$(adm "$1" -j stats) || return 1
	json_get "$j" ".$2"
}

# ids_of TAG: the session ids the proxy of TAG reported, one per line.
ids_of() { cat "$1.ids"; }

# short_timeouts NS: closing states expire after 1 s (sessions end soon
# after FIN both ways).
short_timeouts() {
	in_ns "$1" sh -c 'for f in timeout_timewait timeout_close timeout_finwait \
		timeout_lastack timeout_closewait; do
		[ -e /proc/sys/net/tcp_splice/$f ] && echo 1 > /proc/sys/net/tcp_splice/$f
	done; :' || fail "cannot set short timeouts"
}

# wait_gone NS ID SECS: wait until session ID no longer exists.
gone_in() { ! adm "$1" get "$2" > /dev/null 2>&1; }
wait_gone() { wait_until "$3" gone_in "$1" "$2"; }

# start_events TAG NS [--nobody] ARGS...: tcpspliceadm events in the
# background (EV_PID), output in TAG.ev; returns once it is subscribed.
start_events() {
	local t=$1 ns=$2 pre=()
	shift 2
	if [ "${1:-}" = --nobody ]; then
		pre=("${NOBODY[@]}")
		shift
	fi
	# not through in_ns: $! must be tcpspliceadm itself (ip and setpriv
	# exec it), so that stop_events can signal it
	ip netns exec "$ns" "${pre[@]}" "$ADM" events "$@" > "$t.ev" 2> "$t.ev.err" &
	EV_PID=$!
	wait_until 10 grep -q 'following tcp_splice events' "$t.ev.err" ||
		fail "$t: tcpspliceadm events did not start: $(cat "$t.ev.err")"
}

# stop_events: SIGINT the events follower; it must exit 0.
stop_events() {
	local rc
	kill -INT "$EV_PID" 2> /dev/null
	bg_pid_wait "$EV_PID" 10
	rc=$?
	[ $rc = 0 ] || fail "tcpspliceadm events exit $rc after SIGINT: $(cat ./*.ev.err)"
}

# events_diag: what the followers printed on stderr (for failure messages).
events_diag() {
	local f
	for f in ./*.ev.err; do
		[ -s "$f" ] && printf '%s: %s\n' "$f" "$(cat "$f")"
	done
}

# nl_xfer TAG VIA C2S S2C PROXY_OPTS...: one byte-exact transfer through
# tsp_nltest proxy, spliced via VIA (netlink|ioctl); GS=N lets the server
# send N bytes before the splice.  Sets ID (the session id).
nl_xfer() {
	local t=$1 via=$2 c2s s2c pl
	c2s=$(bytes "$3")
	s2c=$(bytes "$4")
	shift 4
	start_server "$t" --once --send "$s2c" --expect "$c2s" --shut \
		--gate "$t.spliced" --gate-at "${GS:-0}"
	start_nlproxy "$t" "$@"
	run_client "$t" --send "$c2s" --expect "$s2c" --shut --gate "$t.spliced" --gate-at 0
	bg_pid_wait "$SRV_PID" 30 || tfail "$t" "server exit $?"
	bg_pid_wait "$PRX_PID" 30 || tfail "$t" "proxy exit $?"
	GS=
	check_pair "$t" "$c2s" "$s2c"
	pl=$(line_with "$t.prx.out" "nl session=1 ") || tfail "$t" "no session line from the proxy"
	[ "$(kv "$pl" splice)" = ok ] || tfail "$t" "splice failed: $pl"
	[ "$(kv "$pl" via)" = "$via" ] || tfail "$t" "spliced via $(kv "$pl" via), expected $via"
	ID=$(kv "$pl" id)
	[ "$ID" -gt 0 ] || tfail "$t" "no session id: $pl"
	if pl=$(line_with "$t.prx.out" "nl session=1 relay="); then
		[ "$(kv "$pl" relay)" = ok ] || tfail "$t" "legacy relay: $pl"
	fi
	log "$t: ok (via $via, id $ID, c2s=$c2s s2c=$s2c)"
}
