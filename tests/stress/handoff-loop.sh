#!/bin/bash
# Stress (make stress, not in the default suite): handoff races, repeated
# LOOPS times (default 30): drained callers that relayed a request and hold
# part of the response, alternating with legacy callers that write their
# buffered bytes 50 ms after the call while both peers stream.  Every
# transfer byte-exact both ways; no direction may stay unactivated (this
# loop caught a splice point off by the FIN when a legacy proxy closed a
# socket it had shut down).
# Known open bug (see the closing note of session 1): about one handoff in
# 40 ends with both directions stalled right after the held data was
# flushed; this loop reproduces it and dumps ss/nstat/kernel state.
# timeout: 1500
. "$TSP_ROOT/tests/lib.sh"
T=$TSP_TOOLS
topo_up
mod_load
# Handoff states in the kernel log (rate-limited), for the failure report.
in_ns proxy sh -c 'echo 2 > /proc/sys/net/tcp_splice/debug_level'

one() { # tag mode size proxy-args...
	local tag=$1 mode=$2 size=$3
	shift 3
	asym "$tag" "$mode" "$size" "$size" "$@"
}

asym() { # tag mode client-bytes server-bytes proxy-args...
	local tag=$1 mode=$2 size=$3 ssize=$4 c s p
	shift 4
	in_ns server "$T/tsp_xfer" listen 8080 --send "$ssize" --expect "$size" \
		--shut --once --timeout 30 --ready-file "$tag.sready" > "$tag.srv" 2>&1 &
	s=$!
	in_ns proxy "$T/tsp_proxy" --mode "$mode" --timeout 40 "$@" \
		--ready-file "$tag.pready" 8000 10.0.2.1 8080 > "$tag.prx" 2>&1 &
	p=$!
	wait_until 10 test -e "$tag.sready" -a -e "$tag.pready" || fail "$tag: not ready"
	in_ns client "$T/tsp_xfer" connect 10.0.1.2 8000 --send "$size" \
		--expect "$ssize" --shut --timeout 30 > "$tag.cli" 2>&1
	c=$?
	wait $s; s=$?
	wait $p; p=$?
	if [ $c != 0 ] || [ $s != 0 ] || [ $p != 0 ]; then
		cat "$tag.cli" "$tag.srv" "$tag.prx"
		in_ns proxy cat /proc/net/stat/tcp_splice
		in_ns proxy ss -tino
		in_ns client ss -tino
		in_ns client nstat -az | grep -iE "paws|retrans|dup|OutOfWindow"
		in_ns server nstat -az | grep -iE "paws|retrans|dup|OutOfWindow"
		in_ns proxy cat /proc/net/tcp_splice_conn
		dmesg | grep tcp_splice | tail -40
		fail "$tag: client=$c server=$s proxy=$p"
	fi
	grep -q "verify=ok eof=yes" "$tag.cli" || fail "$tag: client stream not exact"
	grep -q "verify=ok eof=yes" "$tag.srv" || fail "$tag: server stream not exact"
}

cd "$TSP_OUT" || fail "no TSP_OUT"
for i in $(seq 1 ${LOOPS:-30}); do
	one "d$i" drained 2M --relay-req 1000 --hold-resp 2000
	one "l$i" legacy 2M --hold-resp 1000 --delay-ms 50
done
n=$(in_ns proxy awk '$1 == "sessions_created" { print $2 }' /proc/net/stat/tcp_splice)
assert_eq "$n" $((2 * ${LOOPS:-30})) "sessions created"
exit 0
