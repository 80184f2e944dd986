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
#  2. A FIN sent on its own overtakes the last data segment (nft drops
#     the segment until the FIN went by).  A FIN without data moved sent_nxt
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

# Part 2: the FIN overtakes the last bytes.  After the gate one side
# sends 700 bytes at once (one segment of IPv4 length 752, timestamps on)
# and then its FIN on its own.  nft in the proxy's namespace, ahead of the
# module (raw priority), drops the 700 bytes until the FIN went by; their
# retransmission follows it.  (Dropped in the sender's own namespace, the
# drop would be an error its TCP sees: it then sends the FIN with the
# retransmitted bytes.)
tc -n client qdisc del dev c0 root
tc -n server qdisc del dev s0 root
fin_first() {	# TAG MODE PROXY_ADDR
	local t=$1 w
	in_ns proxy nft -f - << NFT || fail "nft"
table ip t47 {
	chain pre {
		type filter hook prerouting priority -300;
		ip daddr $3 tcp flags & fin == fin counter accept;
		ip daddr $3 ip length 752 counter drop;
	}
}
NFT
	fin_in() { in_ns proxy nft list table ip t47 | grep -q 'fin == fin counter packets [1-9]'; }
	(
		wait_until 60 fin_in
		in_ns proxy nft list table ip t47 > "$TSP_OUT/$t.nft"
		in_ns proxy nft delete table ip t47
	) &
	w=$!
	REQ=1000 RESP=2000 splice_xfer "$t" $2 1700 2700
	wait $w
	# FINs without data went by (52 bytes each), after a drop of the 700
	awk '/fin == fin counter/ { f = $(NF - 3) > 0 && $(NF - 1) == 52 * $(NF - 3) }
	     /length 752 counter/ { d = $(NF - 3) > 0 } END { exit !(f && d) }' "$TSP_OUT/$t.nft" ||
		fail "$t: the 700 bytes were not held back behind the FIN: $(cat "$TSP_OUT/$t.nft")"
	counted "$t" $2 1700 2700
}
for m in drained legacy; do
	fin_first "ff-c2s-$m" $m $PRX_CIP
	fin_first "ff-s2c-$m" $m $PRX_SIP
done
exit 0
