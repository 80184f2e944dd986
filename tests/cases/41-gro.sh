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
splice_xfer drained drained 20M 20M 120
splice_xfer legacy legacy 20M 20M 120 --hold-resp 3000 --delay-ms 50
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
