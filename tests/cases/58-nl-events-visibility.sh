#!/bin/bash
# Who may follow the events: the ABI's rule is that a sender without
# CAP_NET_ADMIN sees only the sessions it created (GET/dump).  Events carry
# the same tuples and counters, so an unprivileged subscriber must either
# be refused (EPERM at subscription) or receive only the events of its own
# sessions - never those of root's sessions.
# timeout: 300
. "$TSP_ROOT/tests/lib.sh"
. "$TSP_ROOT/tests/cases/_helpers.bash"
. "$TSP_ROOT/tests/cases/_nl.bash"

need_ko
need_userland
topo_up
mod_load

ip netns exec proxy "${NOBODY[@]}" "$ADM" events -j > nb.ev 2> nb.ev.err &
NB=$!
if ! wait_until 10 grep -q 'following tcp_splice events' nb.ev.err; then
	bg_pid_wait "$NB" 5
	rc=$?
	err=$(cat nb.ev.err)
	[ $rc = 2 ] && [[ $err == *"events: Operation not permitted (CAP_NET_ADMIN is required)"* ]] ||
		fail "nobody's subscription neither worked nor was refused with EPERM: rc=$rc $err"
	log "nobody may not subscribe: $err"
	exit 0
fi
start_events root proxy -j
nl_xfer r netlink 64K 64K --via netlink
RID=$ID
nl_xfer n netlink 64K 64K --nobody --via netlink
NID=$ID
wait_until 10 grep -q "\"id\":$NID" root.ev || fail "root saw no event of $NID"
tsp_sleep 1
kill -INT "$NB"
bg_pid_wait "$NB" 10
stop_events
log "root received: $(jq -c '[.id, .event]' root.ev | paste -sd' ')"
log "nobody received: $(jq -c '[.id, .event]' nb.ev | paste -sd' ')"
jq -se --argjson id "$NID" 'any(.[]; .id == $id)' nb.ev > /dev/null ||
	fail "nobody received no event of its own session $NID"
if jq -se --argjson id "$RID" 'any(.[]; .id == $id)' nb.ev > /dev/null; then
	fail "nobody received the events of root's session $RID (tuples, counters): $(grep "\"id\":$RID" nb.ev | head -n 1)"
fi
exit 0
