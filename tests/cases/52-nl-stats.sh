#!/bin/bash
# Counters through netlink (tcpspliceadm stats): the same names and values
# as /proc/net/stat/tcp_splice; they move with the traffic: a drained
# session of 1 MiB client->server and 512 KiB back adds one created and,
# once it ends, one ended by FIN, at least the transferred bytes per
# direction (and at most 5 % more) and some packets; sessions_active
# follows a live session; a flush counts as ended by flush.  Anyone may
# read the counters.
# timeout: 400
. "$TSP_ROOT/tests/lib.sh"
. "$TSP_ROOT/tests/cases/_helpers.bash"
. "$TSP_ROOT/tests/cases/_nl.bash"

need_ko
need_userland
topo_up
mod_load
short_timeouts proxy

# the text output is /proc/net/stat/tcp_splice, name for name
norm() { awk '{print $1, $2}'; }
a=$(adm proxy stats | norm) || fail "stats failed"
b=$(in_ns proxy cat /proc/net/stat/tcp_splice | norm)
log "tcpspliceadm stats:"$'\n'"$a"
assert_eq "$a" "$b" "tcpspliceadm stats vs /proc/net/stat/tcp_splice"
assert_eq "$(adm_nobody proxy stats | norm)" "$b" "stats as nobody"
B=$(adm proxy -j stats) || fail "stats -j failed"
jq -e 'type == "object" and (keys | length) >= 25 and .sessions_active == 0' <<< "$B" > /dev/null ||
	fail "stats -j: $B"

# delta NAME: the counter's growth since B (A = current JSON)
delta() { echo $(($(json_get "$A" ".$1") - $(json_get "$B" ".$1"))); }

# --- one session, to its end -------------------------------------------------
nl_xfer s1 netlink 1M 512K --via netlink
wait_gone proxy "$ID" 30 || fail "session $ID did not end within 30 s of FIN both ways (1 s timeouts)"
A=$(adm proxy -j stats)
log "after one session: $(jq -c . <<< "$A")"
assert_eq "$(delta sessions_created)" 1 "sessions_created"
assert_eq "$(delta sessions_ended_fin)" 1 "sessions_ended_fin"
assert_eq "$(json_get "$A" .sessions_active)" 0 "sessions_active after the end"
d=$(delta bytes_c2s)
[ "$d" -ge 1048576 ] && [ "$d" -le $((1048576 * 105 / 100)) ] || fail "bytes_c2s grew by $d for 1 MiB"
d=$(delta bytes_s2c)
[ "$d" -ge 524288 ] && [ "$d" -le $((524288 * 105 / 100)) ] || fail "bytes_s2c grew by $d for 512 KiB"
[ "$(delta pkts_c2s)" -ge 10 ] || fail "pkts_c2s grew by $(delta pkts_c2s)"
[ "$(delta pkts_s2c)" -ge 5 ] || fail "pkts_s2c grew by $(delta pkts_s2c)"
assert_eq "$(delta splice_refused)" 0 "splice_refused after a good splice"
assert_eq "$(adm proxy stats | norm)" "$(in_ns proxy cat /proc/net/stat/tcp_splice | norm)" \
	"tcpspliceadm stats vs /proc after traffic"

# --- a live session, then flushed ------------------------------------------------
B=$A
start_server live --once --send 100 --expect 100 --expect-eof rst
start_nlproxy live --via netlink
start_client live --send 100 --expect 100 --expect-eof rst
wait_until 20 files_exist live.spliced || { dump live; fail "no splice"; }
A=$(adm proxy -j stats)
assert_eq "$(json_get "$A" .sessions_active)" 1 "sessions_active with a live session"
assert_eq "$(proc_stat proxy sessions_active)" 1 "/proc sessions_active with a live session"
adm proxy flush || fail "flush failed"
wait_until 10 test "$(proc_stat proxy sessions_active)" = 0 || fail "the flushed session is still active"
A=$(adm proxy -j stats)
assert_eq "$(delta sessions_created)" 1 "sessions_created (live)"
assert_eq "$(delta sessions_ended_flush)" 1 "sessions_ended_flush"
assert_eq "$(json_get "$A" .sessions_active)" 0 "sessions_active after the flush"

# --- refusals (logged: what the kernel counts as refused) --------------------------
B=$A
in_ns proxy "$NLT" errnos > errnos.out 2>&1
A=$(adm proxy -j stats)
log "splice_refused grew by $(delta splice_refused) over $(count_lines errnos.out ok) refusal checks of tsp_nltest errnos"
exit 0
