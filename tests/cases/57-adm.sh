#!/bin/bash
# tcpspliceadm in the VM: without the module, one clear line saying so and
# how to load it (exit 1) for every command; with it, an empty table, an
# empty JSON list, JSON for every command that prints, ENOENT for an
# unknown session, flush of an empty table, command-line errors with exit
# 255; the usage text; nobody may read the counters and list (nothing).
# timeout: 300
. "$TSP_ROOT/tests/lib.sh"
. "$TSP_ROOT/tests/cases/_helpers.bash"
. "$TSP_ROOT/tests/cases/_nl.bash"

need_ko
need_userland
topo_up

MSG='tcpspliceadm: the tcp_splice module is not loaded (load it with: modprobe tcp_splice)'
for args in "list" "-j stats" "flush" "get 1" "events" ""; do
	# shellcheck disable=SC2086
	out=$(adm proxy $args 2>&1)
	rc=$?
	assert_eq "$rc" 1 "exit status of 'tcpspliceadm $args' without the module"
	assert_eq "$out" "$MSG" "'tcpspliceadm $args' without the module"
done
mod_load

out=$(adm proxy list -n) || fail "list"
assert_eq "$out" "Id  Client  Proxy-A  Proxy-B  Server  State  Expires  Age  C>S-pkts  C>S-bytes  S>C-pkts  S>C-bytes" \
	"empty table"
assert_eq "$(adm proxy -j list)" "[]" "empty JSON list"
adm proxy -j stats | jq -e '.sessions_created == 0' > /dev/null || fail "stats -j"
out=$(adm proxy -j get 1 2>&1) && fail "get 1 succeeded"
assert_eq "$out" "tcpspliceadm: get 1: No such file or directory (kernel: no such session)" "get 1"
adm proxy flush || fail "flush of an empty table"
adm proxy help | grep -q '^Usage: tcpspliceadm' || fail "help"
out=$(adm proxy bogus 2>&1)
assert_eq "$?" 255 "exit status of an unknown command"
[[ $out == 'Error: command "bogus" is unknown'* ]] || fail "unknown command: $out"
out=$(adm proxy list --state nope 2>&1)
assert_eq "$?" 255 "exit status of a bad state"
assert_eq "$(adm_nobody proxy -j stats | jq .sessions_created)" 0 "stats as nobody"
assert_eq "$(adm_nobody proxy -j list)" "[]" "list as nobody"
# events --count with a session: exits by itself, valid JSON lines
ip netns exec proxy "$ADM" events -j --count 1 > one.ev 2> one.ev.err &
E=$!
wait_until 10 grep -q following one.ev.err || fail "events --count 1 did not start"
nl_xfer one netlink 1K 1K --via netlink
bg_pid_wait "$E" 20 || fail "events --count 1: exit $?"
jq -se 'length == 1 and .[0].id == 1' one.ev > /dev/null ||
	fail "events --count 1: $(cat one.ev)"
exit 0
