#!/bin/bash
# Session events on the multicast group "events" (tcpspliceadm events):
# for every session exactly one start, one handoff and one end, in that
# order, with the session's tuple; the end carries the byte counts of the
# transfer (at least what was sent, at most 5 % more), a duration and the
# reason (fin after FIN both ways, flush after a flush, rst after a client's
# reset, timeout for an idle session); drained and legacy
# sessions, root's and nobody's; text and JSON output; --count N exits by
# itself after N events; SIGINT ends the follower with status 0.
# timeout: 400
. "$TSP_ROOT/tests/lib.sh"
. "$TSP_ROOT/tests/cases/_helpers.bash"
. "$TSP_ROOT/tests/cases/_nl.bash"

need_ko
need_userland
topo_up
mod_load
short_timeouts proxy

start_events evj proxy -j
EVJ=$EV_PID
start_events evt proxy -n -t
EVT=$EV_PID
ip netns exec proxy "$ADM" events -j --count 3 -q > count3.ev 2> count3.ev.err &
C3=$!

nl_xfer d netlink 1M 256K --via netlink
ID_D=$ID
GS=200 nl_xfer l netlink 300K 2M --nobody --via netlink --mode legacy --hold-resp 200
ID_L=$ID
# a live session, flushed
start_server f --once --send 100 --expect 100 --expect-eof rst
start_nlproxy f --via netlink
run_client f --send 100 --expect 100 --expect-eof rst &
CLI_F=$!
wait_until 20 files_exist f.spliced || { dump f; fail "no splice"; }
ID_F=$(cat f.ids)
adm proxy flush "$ID_F" || fail "flush $ID_F"
bg_pid_wait "$CLI_F" 20 || fail "flushed client exit $?"
for id in "$ID_D" "$ID_L"; do
	wait_gone proxy "$id" 30 || fail "session $id did not end"
done
# a client that resets after its request: reason rst
start_server r --once --expect 64K --expect-eof rst
start_nlproxy r --via netlink
run_client r --send 64K --rst-after 64K --gate r.spliced --gate-at 100 &
CLI_R=$!
wait_until 20 files_exist r.spliced || { dump r; fail "r: no splice"; }
ID_R=$(cat r.ids)
bg_pid_wait "$CLI_R" 30 || { dump r; fail "resetting client exit $?"; }
wait_gone proxy "$ID_R" 30 || fail "reset session $ID_R did not end"
# an idle session (neither peer sends): reason timeout, after the
# established timeout (2 s here)
in_ns proxy sh -c 'echo 2 > /proc/sys/net/tcp_splice/timeout_established' ||
	fail "cannot shorten timeout_established"
start_server i --once --send 100 --expect 100 --expect-eof any --gate i.go --gate-at 0
SRV_I=$SRV_PID
start_nlproxy i --via netlink
start_client i --send 100 --expect 100 --expect-eof any --gate i.go --gate-at 0
CLI_I=$CLI_PID
wait_until 20 files_exist i.spliced || { dump i; fail "i: no splice"; }
ID_I=$(cat i.ids)
wait_gone proxy "$ID_I" 20 || fail "idle session $ID_I did not time out"
: > i.go
bg_pid_wait "$CLI_I" 30
bg_pid_wait "$SRV_I" 30

# every session's end is in, then stop the followers
# (jq -s: with several inputs, jq 1.6 -e reports only on the last one)
has_end() { jq -se --argjson id "$1" 'any(.[]; .event == "end" and .id == $id)' evj.ev > /dev/null 2>&1; }
for id in "$ID_D" "$ID_L" "$ID_F" "$ID_R" "$ID_I"; do
	wait_until 10 has_end "$id" || fail "no end event for session $id: $(cat evj.ev) $(events_diag)"
done
EV_PID=$EVJ stop_events
EV_PID=$EVT stop_events
bg_pid_wait "$C3" 10 || fail "events --count 3 did not exit by itself (exit $?)"
log "events (JSON):"$'\n'"$(cat evj.ev)"
log "events (text):"$'\n'"$(cat evt.ev)"

jq -se 'length > 0' evj.ev > /dev/null || fail "events -j: not JSON lines"
assert_eq "$(jq -s length count3.ev)" 3 "events --count 3"

# seq ID: the event names of session ID, in order
seq_of() { jq -r --argjson id "$1" 'select(.id == $id) | .event' evj.ev | paste -sd' '; }
ev_of() { jq -c --argjson id "$1" --arg e "$2" 'select(.id == $id and .event == $e)' evj.ev; }
# the order is checked last, so that a wrong order does not hide the rest
ORDER=()
for id in "$ID_D" "$ID_L" "$ID_F"; do
	o=$(seq_of "$id")
	[ "$o" = "start handoff end" ] || ORDER+=("session $id: '$o'")
	for e in start handoff end; do
		assert_eq "$(jq -r --argjson id "$id" --arg e "$e" 'select(.id == $id and .event == $e) | .event' evj.ev | wc -l)" 1 \
			"number of $e events of session $id"
	done
	s=$(ev_of "$id" start)
	jq -e '.client.addr == "10.0.1.1" and .proxy_a == {"addr":"10.0.1.2","port":8000} and
		.proxy_b.addr == "10.0.2.2" and .server == {"addr":"10.0.2.1","port":5001}' <<< "$s" > /dev/null ||
		fail "start event of $id: $s"
	e=$(ev_of "$id" end)
	assert_eq "$(jq -c '[.client, .proxy_a, .proxy_b, .server]' <<< "$e")" \
		"$(jq -c '[.client, .proxy_a, .proxy_b, .server]' <<< "$s")" "tuple of the end event of $id"
	jq -e '.duration_ms > 0' <<< "$e" > /dev/null || fail "no duration in $e"
done
e=$(ev_of "$ID_D" end)
jq -e '.end_reason == "fin" and .mode == "drained" and .uid == 0 and
	.c2s.bytes >= 1048576 and .c2s.bytes <= 1101004 and
	.s2c.bytes >= 262144 and .s2c.bytes <= 275251 and .c2s.pkts > 0 and .s2c.pkts > 0' <<< "$e" > /dev/null ||
	fail "end event of the drained session: $e"
# legacy: the proxy relayed up to what arrived before the cut; the module the rest
e=$(ev_of "$ID_L" end)
jq -e '.end_reason == "fin" and .mode == "legacy" and .uid == 65534 and
	.s2c.bytes >= 2097152 - 65536 and .s2c.bytes <= 2202010 and
	.c2s.bytes >= 307200 - 65536 and .c2s.bytes <= 322560' <<< "$e" > /dev/null ||
	fail "end event of the legacy session: $e"
e=$(ev_of "$ID_F" end)
jq -e '.end_reason == "flush"' <<< "$e" > /dev/null || fail "end event of the flushed session: $e"
e=$(ev_of "$ID_R" end)
jq -e '.end_reason == "rst" and .c2s.bytes > 0' <<< "$e" > /dev/null || fail "end event of the reset session: $e"
e=$(ev_of "$ID_I" end)
jq -e '.end_reason == "timeout" and .c2s.bytes == 0 and .s2c.bytes == 0 and .duration_ms >= 2000' <<< "$e" \
	> /dev/null || fail "end event of the idle session: $e"

# text lines: one per event, key=value
assert_eq "$(grep -c '^\[[0-9T:.-]*\] \(start\|handoff\|end\) id=' evt.ev)" "$(jq -s length evj.ev)" \
	"text lines vs JSON events"
l=$(grep " end id=$ID_D " evt.ev) || fail "no text end line of $ID_D"
assert_match "$l" " client=10\.0\.1\.1:[0-9]+ proxy_a=10\.0\.1\.2:8000 proxy_b=10\.0\.2\.2:[0-9]+ server=10\.0\.2\.1:5001 " "text end line"
assert_match "$l" " bytes_c2s=[0-9]+ .* reason=fin" "text end line"
[ ${#ORDER[@]} = 0 ] || fail "events out of order, expected 'start handoff end': ${ORDER[*]}"
exit 0
