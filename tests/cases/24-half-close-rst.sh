#!/bin/bash
# Half-close each way: one peer sends a little and shuts down, the other
# starts streaming only after it saw that EOF, byte-exact.  RST each way: a
# peer aborts (SO_LINGER 0) after all its bytes were acked; the other peer
# gets every byte and then ECONNRESET.  Drained and legacy handoff.
# timeout: 600
. "$TSP_ROOT/tests/lib.sh"
. "$TSP_ROOT/tests/cases/_helpers.bash"

need_ko
topo_up
mod_load

for mode in drained legacy; do
	# client -> server closes first; the server streams afterwards (so it
	# has no response header for the proxy to hold)
	REQ=100 SX=(--send-after-eof)
	splice_xfer "$mode-half-c" "$mode" 64K 10M
	# server -> client closes first; the client streams afterwards
	RESP=200 CX=(--send-after-eof)
	splice_xfer "$mode-half-s" "$mode" 10M 64K
done

# rst TAG MODE WHO: WHO (client|server) sends 1 MiB and aborts; the other
# peer must read the 1 MiB, then a reset.
rst() {
	local t=$1 mode=$2 who=$3 cl sl rl al crc
	if [ "$who" = client ]; then
		start_server "$t" --once --expect 1M --expect-eof rst --gate "$t.spliced"
		start_proxy "$t" --mode "$mode" --relay-req 100
		run_client "$t" --send 1M --rst-after 1M --gate "$t.spliced" --gate-at 100
		crc=$?
	else
		start_server "$t" --once --send 1M --rst-after 1M --expect 100 --gate "$t.spliced" \
			--gate-at 200
		start_proxy "$t" --mode "$mode" --relay-req 100 --hold-resp 200
		run_client "$t" --send 100 --expect 1M --expect-eof rst --gate "$t.spliced" --gate-at 100
		crc=$?
	fi
	bg_pid_wait "$SRV_PID" 30
	local src=$?
	bg_pid_wait "$PRX_PID" 10 || tfail "$t" "proxy exit $?"
	cl=$(last_line "$t.cli.out")
	sl=$(last_line "$t.srv.out")
	if [ "$who" = client ]; then al=$cl rl=$sl; else al=$sl rl=$cl; fi
	[ "$(kv "$al" aborted)" = yes ] || tfail "$t" "the $who did not abort: $al"
	[ "$(kv "$rl" verify)" = ok ] || tfail "$t" "receiver: verify=$(kv "$rl" verify)"
	[ "$(kv "$rl" recv)" = 1048576 ] || tfail "$t" "receiver got $(kv "$rl" recv) bytes before the reset"
	[ "$(kv "$rl" eof)" = rst ] || tfail "$t" "receiver: eof=$(kv "$rl" eof) err=$(kv "$rl" err), expected a reset"
	[ "$(kv "$al" sent_sha)" = "$(kv "$rl" recv_sha)" ] || tfail "$t" "digests differ"
	[ "$src" = 0 ] || tfail "$t" "server exit $src"
	[ "$crc" = 0 ] || tfail "$t" "client exit $crc"
	check_proxy_line "$t" "$(line_with "$t.prx.out" "session=1 ")" "$mode" 0 0
	log "$t: ok"
}
for mode in drained legacy; do
	rst "$mode-rst-c" "$mode" client
	rst "$mode-rst-s" "$mode" server
done
exit 0
