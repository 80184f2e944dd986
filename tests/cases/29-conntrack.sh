#!/bin/bash
# Spliced traffic is exact enough for conntrack: with nf_conntrack loaded and
# "ct state invalid drop" in the input, forward and output hooks of the
# proxy netns, 10 MiB both ways still pass byte-exact (drained and legacy),
# the drop rules count no packet, and the spliced segments do go through
# the output path (the postrouting counter of established packets grows).
# timeout: 300
. "$TSP_ROOT/tests/lib.sh"
. "$TSP_ROOT/tests/cases/_helpers.bash"

need_ko
need_cmd nft
modprobe nf_conntrack || skip "no nf_conntrack module"
topo_up
mod_load
in_ns proxy nft -f - <<'NFT' || fail "cannot load the nft rules"
table inet tsp {
	chain c_pre { type filter hook prerouting priority 0; policy accept;
		ct state invalid counter comment "pre-invalid"; }
	chain c_in { type filter hook input priority 0; policy accept;
		ct state invalid counter drop comment "in-invalid"; }
	chain c_fwd { type filter hook forward priority 0; policy accept;
		ct state invalid counter drop comment "fwd-invalid"; }
	chain c_out { type filter hook output priority 0; policy accept;
		ct state invalid counter drop comment "out-invalid"; }
	chain c_post { type filter hook postrouting priority 0; policy accept;
		ct state established counter comment "post-est"; }
}
NFT

# counters: print "name packets" for every commented counter rule
counters() {
	local l re='counter packets ([0-9]+) bytes [0-9]+.*comment "([a-z-]+)"'
	while IFS= read -r l; do
		[[ $l =~ $re ]] && echo "${BASH_REMATCH[2]} ${BASH_REMATCH[1]}"
	done < <(in_ns proxy nft list table inet tsp)
}
counter() {
	local n v
	while read -r n v; do [ "$n" = "$1" ] && { echo "$v"; return; }; done < <(counters)
	echo missing
}

post0=$(counter post-est)
for mode in drained legacy; do
	REQ=100 RESP=200 PRE_C=16384 PRE_S=16384
	splice_xfer "$mode-ct" "$mode" 10M 10M
done
log "counters: $(counters | tr '\n' ' ')"
for c in in-invalid fwd-invalid out-invalid; do
	assert_eq "$(counter $c)" 0 "packets dropped by the $c rule"
done
post1=$(counter post-est)
# 2 x 20 MiB spliced: even as 64 KB GSO packets that is > 600 packets
[ $((post1 - post0)) -ge 600 ] ||
	fail "only $((post1 - post0)) established packets left through postrouting: spliced traffic bypasses the output path"
in_ns proxy test -e /proc/net/nf_conntrack && log "conntrack entries: $(in_ns proxy grep -c . /proc/net/nf_conntrack)"
exit 0
