#!/bin/bash
# Splicing after the client's FIN: a client that sent its request and shut
# down its side before the splice (CLOSE_WAIT at the proxy).  Its FIN must
# reach the server exactly once and the response flow back byte-exact, for
# drained and legacy callers.
# timeout: 300
. "$TSP_ROOT/tests/lib.sh"
T=$TSP_TOOLS
topo_up
mod_load
# Handoff states in the kernel log (rate-limited), for the failure report.
in_ns proxy sh -c 'echo 2 > /proc/sys/net/tcp_splice/debug_level'



cd "$TSP_OUT" || fail "no TSP_OUT"
# A client that sent its request and shut down its side before the splice
# (CLOSE_WAIT at the proxy): its FIN must still reach the server, exactly
# once, and the response must flow back byte-exact.
for m in drained legacy; do
	splice_xfer "cw-$m" $m 1K 3M 30 --relay-req 1024
	grep -q "^session=1 .*ioctl=ok" "cw-$m.prx" || fail "cw-$m: splice refused"
done
exit 0
