#!/bin/bash
# Byte-exact spliced transfers, drained and legacy handoff: 0 B, 1 B, 1 KiB,
# 1 MiB client->server, server->client and both at once; 100 MiB once per
# mode in one direction and once both ways at once.  From 1 KiB on, the
# proxy relays a 100-byte request and holds a 200-byte response header;
# from 1 MiB on, each peer also sends 32 KiB more before the splice (bytes
# still queued in the proxy's sockets at the ioctl).  Every byte is checked
# against the PRNG stream and the digests of both ends must agree.
# timeout: 900
. "$TSP_ROOT/tests/lib.sh"
. "$TSP_ROOT/tests/cases/_helpers.bash"

need_ko
topo_up
mod_load

# run MODE SIZE DIR
run() {
	local mode=$1 size=$2 dir=$3 c=0 s=0 b
	case $dir in
	c2s) c=$size ;;
	s2c) s=$size ;;
	both) c=$size s=$size ;;
	esac
	b=$(bytes "$size")
	if [ "$b" -ge 1024 ]; then
		REQ=100 RESP=200
	fi
	if [ "$b" -ge 1048576 ]; then
		PRE_C=32768 PRE_S=32768
	fi
	[ "$mode" = legacy ] && DELAY=10
	splice_xfer "$mode-$size-$dir" "$mode" "$c" "$s"
}

for mode in drained legacy; do
	for size in 0 1 1K 1M; do
		for dir in c2s s2c both; do
			run $mode $size $dir
		done
	done
done

XFER_TIMEOUT=$((300 * ${TSP_TMO_MULT:-1}))
run drained 100M c2s
run legacy 100M s2c
run drained 100M both
exit 0
