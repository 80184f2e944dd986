#!/bin/bash
# The session byte counters under reordering.  Each direction counts
# how far its stream advanced past the splice point (sent_nxt), and a
# segment beyond a gap counts the gap (its bytes come later as
# "retransmissions").
#  1. Jitter on the client's and the server's egress (netem): a bare ACK
#     often overtakes data still on its way.  The module used to let such
#     an ACK's sequence number move sent_nxt, and the data behind it then
#     counted as retransmitted: 4 MiB each way counted 27 500 and 230 564
#     bytes short.
#  2. A FIN sent on its own overtakes the last data segment (data delayed
#     30 ms, small segments not).  A FIN without data moved sent_nxt
#     without counting the gap before it: the last segment's bytes were
#     lost to the counter (504 and 1272 bytes short in runs of part 1).
# Each direction counts exactly the bytes after the proxy's relayed 1000
# (client to server) and 2000 (server to client).  Drained and legacy.
# timeout: 300
. "$TSP_ROOT/tests/lib.sh"
. "$TSP_ROOT/tests/cases/_helpers.bash"
. "$TSP_ROOT/tests/cases/_nl.bash"

need_ko
need_userland
topo_up
mod_load
XFER_TIMEOUT=$((120 * ${TSP_TMO_MULT:-1}))

# counted TAG MODE C2S S2C: the session's counters are the bytes after the
# proxy's 1000 and 2000
counted() {
	local t=$1 pl id j c2s s2c
	line_with_v pl "$t.prx.out" "session=1 " || fail "$t: no session line"
	id=$(kv "$pl" id)
	j=$(adm proxy -j get "$id") || fail "$t: get $id"
	c2s=$(jq .c2s.bytes <<< "$j") s2c=$(jq .s2c.bytes <<< "$j")
	log "$t: session $id counted c2s $c2s s2c $s2c: $(jq -c '{c2s, s2c}' <<< "$j")"
	assert_eq "$c2s" $(($3 - 1000)) "$t: client-to-server bytes counted"
	assert_eq "$s2c" $(($4 - 2000)) "$t: server-to-client bytes counted"
}

tc -n client qdisc add dev c0 root netem delay 2ms 1ms || fail "netem"
tc -n server qdisc add dev s0 root netem delay 2ms 1ms || fail "netem"
SZ=4194304
for m in drained legacy; do
	REQ=1000 RESP=2000 splice_xfer "ro-$m" $m $SZ $SZ
	counted "ro-$m" $m $SZ $SZ
done

# Part 2: segments of more than 127 bytes (IPv4 total length) wait 30 ms,
# the others (ACKs, a FIN without data) do not.  After the gate each side
# sends 700 bytes at once (in one segment), then its FIN on its own.
for ns in client:c0 server:s0; do
	n=${ns%:*} dev=${ns#*:}
	tc -n $n qdisc del dev $dev root
	tc -n $n qdisc add dev $dev root handle 1: prio bands 2 \
		priomap 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 || fail "prio"
	tc -n $n qdisc add dev $dev parent 1:1 handle 10: netem delay 30ms || fail "netem"
	tc -n $n filter add dev $dev parent 1: protocol ip prio 1 \
		u32 match u16 0 0xff80 at 2 flowid 1:2 || fail "filter"
done
for m in drained legacy; do
	REQ=1000 RESP=2000 splice_xfer "ff-$m" $m 1700 2700
	counted "ff-$m" $m 1700 2700
done
exit 0
