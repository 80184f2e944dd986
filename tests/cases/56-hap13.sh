#!/bin/bash
# The HAProxy 1.3 API: hap13_proxy, written only against libtcpsplice.h and
# linked like HAProxy 1.3 (-I<dir> -L<dir> -ltcpsplice, nothing else),
# relays byte-exact transfers through the kernel: TCP mode (splice as soon
# as the server connection is up, client bytes possibly still buffered),
# HTTP mode (response "headers" held across the call), five concurrent
# sessions in forked children, as nobody, and with a lazy start.  Most of
# the bytes go through the module (its counters), not the proxy.  Without
# the module, tcp_splice_start fails with ENOENT and the proxy aborts.
# timeout: 600
. "$TSP_ROOT/tests/lib.sh"
. "$TSP_ROOT/tests/cases/_helpers.bash"
. "$TSP_ROOT/tests/cases/_nl.bash"

need_ko
need_userland
topo_up

# --- no module: tcp_splice_start() < 0, the proxy aborts ---------------------
out=$(in_ns proxy "$HAP" 8000 "$SRV_IP" "$SRV_PORT" 2>&1) && fail "hap13_proxy started without the module"
[[ $out == *"Cannot enable tcp_splice: No such file or directory (ENOENT)"* ]] || fail "without the module: $out"
log "without the module: $out"
mod_load

# hap TAG C2S S2C PRE_C PRE_S HAP_OPTS...: one run; the peers send PRE_C and
# PRE_S bytes before the splice (possibly buffered by the proxy at the call).
hap() {
	local t=$1 c2s s2c pc ps pl n=${N:-1} sx=(--once) cx=() b
	c2s=$(bytes "$2")
	s2c=$(bytes "$3")
	pc=$(bytes "$4")
	ps=$(bytes "$5")
	shift 5
	[ "$n" -gt 1 ] && sx=(--conns "$n") cx=(--conns "$n")
	rm -f "$t.prx.ready" "$t.spliced"
	start_server "$t" "${sx[@]}" --send "$s2c" --expect "$c2s" --shut --gate "$t.spliced" --gate-at "$ps"
	in_ns proxy "${PRE[@]}" "$HAP" --timeout "$XFER_TIMEOUT" --ready-file "$t.prx.ready" \
		--spliced-file "$t.spliced" --count "$n" "$@" "$PRX_PORT" "$SRV_IP" "$SRV_PORT" \
		> "$t.prx.out" 2> "$t.prx.err" &
	PRX_PID=$!
	wait_until 10 files_exist "$t.prx.ready" || tfail "$t" "hap13_proxy did not start"
	b=$(stat_of proxy bytes_c2s)
	run_client "$t" "${cx[@]}" --send "$c2s" --expect "$s2c" --shut --gate "$t.spliced" --gate-at "$pc" ||
		tfail "$t" "client exit $?"
	bg_pid_wait "$SRV_PID" 30 || tfail "$t" "server exit $?"
	bg_pid_wait "$PRX_PID" 30 || tfail "$t" "hap13_proxy exit $?"
	if [ "$n" = 1 ]; then
		check_pair "$t" "$c2s" "$s2c"
	fi
	[ "$(count_lines "$t.prx.out" "hap13 session=")" = "$n" ] || tfail "$t" "not $n session lines"
	while read -r pl; do
		[ "$(kv "$pl" splice)" = ok ] || tfail "$t" "splicefd failed: $pl"
		[ "$(kv "$pl" initfd)" = ok ] || tfail "$t" "initfd failed: $pl"
		[ "$(kv "$pl" result)" = ok ] || tfail "$t" "relay: $pl"
		# the proxy relayed at most what was sent before the splice
		[ "$(kv "$pl" c2s)" -le "$pc" ] || tfail "$t" "the proxy relayed $(kv "$pl" c2s) > $pc bytes c->s"
		[ "$(kv "$pl" s2c)" -le "$ps" ] || tfail "$t" "the proxy relayed $(kv "$pl" s2c) > $ps bytes s->c"
	done < <(grep '^hap13 session=' "$t.prx.out")
	# and the module the rest
	b=$(($(stat_of proxy bytes_c2s) - b))
	[ "$b" -ge $((n * (c2s - pc))) ] || tfail "$t" "the module forwarded only $b bytes c->s"
	log "$t: ok ($n x c2s=$c2s s2c=$s2c; module c->s $b bytes; $(head -n 1 "$t.prx.out"))"
	N= PRE=()
}
PRE=()
hap tcp-1m 1M 1M 32K 0 --mode tcp
hap tcp-both 4M 4M 64K 64K --mode tcp
hap http-200 100K 2M 100 4K --mode http --hold-resp 200
hap http-16k 0 1M 0 64K --mode http --hold-resp 16384
N=5 hap tcp-x5 256K 256K 1K 1K --mode tcp
PRE=("${NOBODY[@]}")
hap nobody-tcp 1M 1M 8K 0 --mode tcp
PRE=("${NOBODY[@]}")
hap nobody-http 64K 1M 100 4K --mode http --hold-resp 200
hap lazy 256K 256K 0 0 --mode tcp --no-start
exit 0
