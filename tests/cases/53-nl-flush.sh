#!/bin/bash
# Flush through netlink (tcpspliceadm flush): needs CAP_NET_ADMIN in the
# namespace's user namespace - nobody, and root inside a new user
# namespace, get EPERM with the capability named, even for their own
# session, and nothing ends; an unknown id gives ENOENT; a filter that
# matches nothing ends nothing; flush by id ends exactly that session and
# by filter exactly the matching ones; both peers of every flushed session
# see a reset (and nothing else); the counter follows.
# timeout: 400
. "$TSP_ROOT/tests/lib.sh"
. "$TSP_ROOT/tests/cases/_helpers.bash"
. "$TSP_ROOT/tests/cases/_nl.bash"

need_ko
need_userland
XFER_TIMEOUT=$((240 * ${TSP_TMO_MULT:-1}))
topo_up
mod_load

# idle sessions whose peers exchanged 1000 bytes and then wait for the end,
# which must be a reset
start_server r --conns 2 --send 1000 --expect 1000 --expect-eof rst
SRV_R=$SRV_PID
SRV_PORT=5002 start_server n --once --send 1000 --expect 1000 --expect-eof rst
SRV_N=$SRV_PID
start_nlproxy r --count 2
PRX_R=$PRX_PID
PORT=8001 SPORT=5002 start_nlproxy n --nobody
PRX_N=$PRX_PID
start_client r --conns 2 --send 1000 --expect 1000 --expect-eof rst
CLI_R=$CLI_PID
PRX_PORT=8001 start_client n --send 1000 --expect 1000 --expect-eof rst
CLI_N=$CLI_PID
wait_until 20 files_exist r.spliced n.spliced || { dump r n; fail "the proxies did not splice"; }
bg_pid_wait "$PRX_R" 20 && bg_pid_wait "$PRX_N" 20 || fail "proxy exit"
NID=$(cat n.ids)
count() { adm proxy -j list "$@" | jq length; }
assert_eq "$(count)" 3 "live sessions"

# --- no CAP_NET_ADMIN: EPERM, nothing ends ------------------------------------
for args in "" "$NID" "--port 5002"; do
	# shellcheck disable=SC2086
	out=$(adm_nobody proxy flush $args 2>&1) && fail "nobody could flush '$args'"
	assert_eq "$(adm_nobody proxy flush $args > /dev/null 2>&1; echo $?)" 2 \
		"exit status of a flush the kernel refused ('$args')"
	[[ $out == *"flush: Operation not permitted (CAP_NET_ADMIN is required)"* ]] ||
		fail "nobody flush '$args': $out"
done
log "as nobody: $out"
if in_ns proxy unshare -Ur true 2> /dev/null; then
	out=$(in_ns proxy unshare -Ur "$ADM" flush 2>&1) && fail "root of a new user namespace could flush"
	[[ $out == *"Operation not permitted"* ]] || fail "flush from a new user namespace: $out"
else
	log "unshare -Ur not possible here: user-namespace check skipped"
fi
assert_eq "$(count)" 3 "sessions after the refused flushes"

# --- unknown id, empty filter -----------------------------------------------------
out=$(adm proxy flush 999999 2>&1) && fail "flush of an unknown id succeeded"
[[ $out == *"flush: No such file or directory (kernel: no such session)"* ]] || fail "flush 999999: $out"
assert_eq "$(adm proxy flush 999999 > /dev/null 2>&1; echo $?)" 2 "exit status of a flush of an unknown id"
adm proxy flush --addr 10.9.9.9 || fail "flush with a filter matching nothing failed"
adm proxy flush --port 5001 --state time_wait || fail "flush --port 5001 --state time_wait failed"
assert_eq "$(count)" 3 "sessions after flushes that match nothing"

# --- by filter: exactly the matching ones ---------------------------------------------
# (the module's flush takes a match and the next one each round: the
# nobody session, on another port, must stay whatever its place in the list)
adm proxy flush --port 5001 --state established || fail "flush --port 5001 --state established"
assert_eq "$(adm proxy -j list | jq -c '[.[].id]')" "[$NID]" "sessions left after the filtered flush"
bg_pid_wait "$CLI_R" 20 || { dump r; fail "root's clients: exit $? (expected resets)"; }
bg_pid_wait "$SRV_R" 20 || { dump r; fail "root's server: exit $? (expected resets)"; }
[ "$(grep -c 'eof=rst' r.cli.out)" = 2 ] || fail "root's clients: $(cat r.cli.out)"
[ "$(grep -c 'eof=rst' r.srv.out)" = 2 ] || fail "root's server: $(cat r.srv.out)"

# --- by id: exactly that one -----------------------------------------------------------
adm proxy flush "$NID" || fail "flush $NID"
assert_eq "$(count)" 0 "sessions left after flush $NID"
bg_pid_wait "$CLI_N" 20 || { dump n; fail "nobody's client: exit $? (expected a reset)"; }
bg_pid_wait "$SRV_N" 20 || { dump n; fail "nobody's server: exit $? (expected a reset)"; }
for f in n.cli.out n.srv.out; do
	l=$(last_line "$f")
	[ "$(kv "$l" eof)" = rst ] || fail "$f: $l (expected eof=rst)"
	[ "$(kv "$l" verify)" = ok ] || fail "$f: $l"
done

assert_eq "$(stat_of proxy sessions_ended_flush)" 3 "sessions_ended_flush"
adm proxy flush || fail "flush of an empty table"
exit 0
