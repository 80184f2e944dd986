#!/bin/bash
# GRO on every veth: the proxy namespace receives merged skbs far larger
# than the MTU (CHECKSUM_PARTIAL, gso_size from GRO); translated, they must
# leave correctly segmented with valid checksums.  Byte-exact both ways in
# both handoff modes, and no checksum errors at the peers.
# timeout: 300
. "$TSP_ROOT/tests/lib.sh"
T=$TSP_TOOLS
topo_up --gro
mod_load
cd "$TSP_OUT" || fail "no TSP_OUT"
run() { # tag mode size proxy-args
	local tag=$1 mode=$2 size=$3 c s p
	shift 3
	in_ns server "$T/tsp_xfer" listen 8080 --send "$size" --expect "$size" \
		--shut --once --timeout 120 --ready-file "$tag.sready" > "$tag.srv" 2>&1 &
	s=$!
	in_ns proxy "$T/tsp_proxy" --mode "$mode" --timeout 150 "$@" \
		--ready-file "$tag.pready" 8000 10.0.2.1 8080 > "$tag.prx" 2>&1 &
	p=$!
	wait_until 10 test -e "$tag.sready" -a -e "$tag.pready" || fail "$tag: not ready"
	in_ns client "$T/tsp_xfer" connect 10.0.1.2 8000 --send "$size" \
		--expect "$size" --shut --timeout 120 > "$tag.cli" 2>&1
	c=$?
	wait $s; s=$?
	wait $p; p=$?
	[ $c = 0 ] && [ $s = 0 ] && [ $p = 0 ] ||
		{ cat "$tag.cli" "$tag.srv" "$tag.prx"; fail "$tag: client=$c server=$s proxy=$p"; }
	grep -q "verify=ok eof=yes" "$tag.cli" || fail "$tag: client stream not exact"
	grep -q "verify=ok eof=yes" "$tag.srv" || fail "$tag: server stream not exact"
}
run drained drained 20M
run legacy legacy 20M --hold-resp 3000 --delay-ms 50
for ns in client server; do
	e=$(in_ns $ns nstat -az TcpInCsumErrors | awk '/TcpInCsumErrors/ { print $2 }')
	assert_eq "${e:-0}" 0 "$ns TcpInCsumErrors"
done
pk=$(in_ns proxy awk '$1 == "pkts_c2s" { print $2 }' /proc/net/stat/tcp_splice)
by=$(in_ns proxy awk '$1 == "bytes_c2s" { print $2 }' /proc/net/stat/tcp_splice)
# Merged skbs: far fewer forwarded skbs than MTU-sized segments.
[ "$pk" -gt 0 ] && [ $((by / pk)) -gt 1500 ] ||
	fail "no super-packets forwarded (pkts=$pk bytes=$by)"
log "forwarded $pk skbs for $by bytes (avg $((by / pk)) B)"
exit 0
