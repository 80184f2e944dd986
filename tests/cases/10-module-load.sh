#!/bin/bash
# The module loads and unloads cleanly, twice (the second time with network
# namespaces alive), and provides /dev/tcp_splice (mode 0666), the session
# file /proc/net/tcp_splice_conn with the ancestor's header and an empty
# table, and /proc/sys/net/tcp_splice/; all of them vanish on unload.
# timeout: 120
. "$TSP_ROOT/tests/lib.sh"
. "$TSP_ROOT/tests/cases/_helpers.bash"

HEADER='FromIP FPrt ToIP TPrt LocalIP LPrt DestIP DPrt State Expires'

# check_files NS_LABEL: the files of a loaded module, as seen by this shell.
check_loaded() {
	local where=$1 h n
	h=$(read_file /proc/net/tcp_splice_conn) || fail "$where: no /proc/net/tcp_splice_conn"
	assert_eq "$h" "$HEADER" "$where: header of /proc/net/tcp_splice_conn"
	n=$(count_lines /proc/net/tcp_splice_conn "")
	assert_eq "$n" 1 "$where: lines of /proc/net/tcp_splice_conn (empty table)"
	[ -d /proc/sys/net/tcp_splice ] || fail "$where: no /proc/sys/net/tcp_splice/"
}

need_ko
for round in 1 2; do
	[ $round = 2 ] && topo_up
	mod_loaded && fail "round $round: module loaded before insmod"
	mod_load
	mod_loaded || fail "round $round: module not in /sys/module after insmod"
	[ -c /dev/tcp_splice ] || fail "round $round: /dev/tcp_splice is not a character device"
	mode=$(stat -c %a /dev/tcp_splice)
	assert_eq "$mode" 666 "round $round: mode of /dev/tcp_splice"
	check_loaded "round $round, init netns"
	if [ $round = 2 ]; then
		# namespaces created before the load get their state too
		h=$(in_ns proxy cat /proc/net/tcp_splice_conn) ||
			fail "no /proc/net/tcp_splice_conn in netns proxy"
		assert_eq "$h" "$HEADER" "netns proxy: /proc/net/tcp_splice_conn"
	fi
	mod_unload
	mod_loaded && fail "round $round: module still loaded after rmmod"
	[ -e /dev/tcp_splice ] && fail "round $round: /dev/tcp_splice left after rmmod"
	[ -e /proc/net/tcp_splice_conn ] && fail "round $round: /proc/net/tcp_splice_conn left after rmmod"
	[ -e /proc/sys/net/tcp_splice ] && fail "round $round: /proc/sys/net/tcp_splice left after rmmod"
	log "round $round ok"
done
exit 0
