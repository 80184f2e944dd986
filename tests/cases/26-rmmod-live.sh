#!/bin/bash
# rmmod while spliced transfers run: no oops (the runner checks the kernel
# log), both peers see a failure promptly (a reset or an error, not their
# own timeout), the bytes they got before are still exact, the module is
# gone (lsmod, /proc, /dev, its slab caches), an events follower got the
# session's END event with reason "unload" (the netlink family still
# exists while the module ends its sessions), and after a reload the table
# is empty and splicing works again.  Drained and legacy handoff.
# timeout: 300
. "$TSP_ROOT/tests/lib.sh"
. "$TSP_ROOT/tests/cases/_helpers.bash"
. "$TSP_ROOT/tests/cases/_nl.bash"

need_ko
need_userland
topo_up
XFER_TIMEOUT=$((40 * ${TSP_TMO_MULT:-1}))

# peer_failed TAG FILE WHO: the peer ended on a reset or an error, not on
# its timeout, and what it received so far was exact.
peer_failed() {
	local l
	l=$(last_line "$2")
	[ -n "$l" ] || tfail "$1" "no result line from the $3"
	[ "$(kv "$l" err)" != timeout ] || tfail "$1" "the $3 hung until its timeout: $l"
	[ "$(kv "$l" eof)" = rst ] || [ "$(kv "$l" err)" != none ] ||
		tfail "$1" "the $3 saw neither a reset nor an error: $l"
	[[ $(kv "$l" verify) != mismatch* ]] || tfail "$1" "the $3 received wrong bytes: $l"
	log "$1: $3: $l"
}

for mode in drained legacy; do
	t=$mode-rmmod
	mod_load
	# 40 MiB each way at 4 MiB/s: 10 s, far longer than the test waits
	start_server "$t" --once --send 40M --expect 40M --shut --rate 4M --gate "$t.spliced" \
		--gate-at 1200
	start_proxy "$t" --mode "$mode" --relay-req 100 --hold-resp 200
	start_client "$t" --send 40M --expect 40M --shut --rate 4M --gate "$t.spliced" --gate-at 1100
	wait_until 20 files_exist "$t.spliced" || tfail "$t" "the proxy did not splice"
	bg_pid_wait "$PRX_PID" 10 || tfail "$t" "proxy exit $?"
	tsp_sleep 1
	st=$(proc_state "$CLI_PID")
	[ -n "$st" ] && [ "$st" != Z ] || tfail "$t" "the transfer ended before rmmod: no test"
	start_events "$t" proxy -j
	t0=$(now_ms)
	rmmod tcp_splice || tfail "$t" "rmmod with a live session failed"
	log "$t: rmmod took $(($(now_ms) - t0)) ms"
	bg_pid_wait "$CLI_PID" 45
	crc=$?
	bg_pid_wait "$SRV_PID" 45
	src=$?
	log "$t: peers ended $(($(now_ms) - t0)) ms after rmmod (exit $crc/$src)"
	[ $crc != 0 ] || tfail "$t" "the client finished its transfer although the module went away"
	[ $src != 0 ] || tfail "$t" "the server finished its transfer although the module went away"
	peer_failed "$t" "$t.cli.out" client
	peer_failed "$t" "$t.srv.out" server

	# the follower outlives the family: it got the END event before
	jq -se 'any(.[]; .event == "end" and .end_reason == "unload" and .c2s.bytes > 0)' \
		"$t.ev" > /dev/null || tfail "$t" "no END event with reason unload: $(cat "$t.ev") $(events_diag)"
	stop_events
	log "$t: end event: $(jq -c 'select(.event == "end")' "$t.ev")"

	mod_loaded && fail "$t: module still loaded"
	lsmod | grep -q '^tcp_splice ' && fail "$t: lsmod still lists tcp_splice"
	[ -e /dev/tcp_splice ] && fail "$t: /dev/tcp_splice left"
	in_ns proxy test -e /proc/net/tcp_splice_conn && fail "$t: /proc/net/tcp_splice_conn left in netns proxy"
	grep -q tcp_splice /proc/slabinfo 2> /dev/null && fail "$t: slab caches left: $(grep tcp_splice /proc/slabinfo)"

	mod_load
	assert_eq "$(conn_count proxy)" 0 "$t: sessions listed after the reload"
	REQ=100 RESP=200 PRE_C=1000 PRE_S=1000
	splice_xfer "$t-again" "$mode" 1M 1M
	mod_unload
done
exit 0
