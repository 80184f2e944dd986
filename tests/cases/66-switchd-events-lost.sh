#!/bin/bash
# switchd when the module's session events are lost: with events-buffer 4k
# (a handful of events fit) switchd is stopped (SIGSTOP) while the module
# flushes its 24 kernel sessions, so most end events are dropped
# (ENOBUFS).  Once it runs again switchd must warn, dump the module's
# sessions, look the missing ones up by id and log every session exactly
# once: the ends it read with end=flush, the lost ones with end=unknown
# (the module no longer knows them).  Then, the loss handled, a new
# session is logged from its own end event (end=fin).
# timeout: 300
. "$TSP_ROOT/tests/lib.sh"
. "$TSP_ROOT/tests/demo/swd_lib.bash"
. "$TSP_ROOT/tests/cases/_helpers.bash"

need_switchd
need_cmd curl
ADM=$TSP_ROOT/build/userland/tcpspliceadm
[ -x "$ADM" ] || skip "$ADM not built"
topo_up --extra 1
mod_load
swd_tuning

N=24
M=${TSP_TMO_MULT:-1}
www A A 1K
start_httpd server "$SRV_A:80" A "$PWD/A"
cat > sw.conf << EOF
global
    splice kernel
    events-buffer 4k
    stats-socket $SWD_SOCK

listener web
    bind $VIP:8080
    default-backend A

backend A
    server a1 $SRV_A:80
EOF
start_switchd sw.conf
[ "$(swd_info kernel_events)" = yes ] || fail "switchd does not follow the module's events: $(swd show info)"
pid=$(swd_info pid) || fail "no pid in show info"

# N sessions handed to the kernel, each waiting 10 minutes for its answer
in_ns client "$LOAD" -c $N -n $N -p /sleep/600000 "$VIP:8080" > slow.out 2>&1 &
lp=$!
kernel_at() { [ "$(swd_info kernel_sessions)" = "$1" ]; }
wait_until $((20 * M)) kernel_at $N || fail "not $N kernel sessions: $(swd show info)"
[ "$(conn_count proxy)" = $N ] || fail "the module lists $(conn_count proxy) sessions, not $N"

# their end events while switchd sleeps: more than its buffer holds
kill -STOP "$pid" || fail "cannot stop switchd"
in_ns proxy "$ADM" flush || { kill -CONT "$pid"; fail "flush failed"; }
[ "$(conn_count proxy)" = 0 ] || { kill -CONT "$pid"; fail "sessions left after the flush"; }
kill -CONT "$pid"
kill "$lp" 2> /dev/null
wait "$lp" 2> /dev/null

wait_until $((20 * M)) kernel_at 0 || fail "switchd still follows sessions: $(swd show kernel)"
grep -q 'warning: tcp_splice events lost; checking kernel sessions' "$SWD_LOG" ||
	fail "no warning about lost events: $(tail -n 5 "$SWD_LOG")"
flush=$(count_sessions mode=kernel end=flush)
unknown=$(count_sessions mode=kernel end=unknown)
log "after the loss: $flush sessions logged from their end events (end=flush), $unknown found gone (end=unknown)"
[ "$(count_sessions mode=kernel)" = $N ] ||
	fail "$(count_sessions mode=kernel) kernel session lines, not $N: $(grep -c session= "$SWD_LOG") lines in all"
[ $((flush + unknown)) = $N ] ||
	fail "sessions logged with other ends: $(grep session= "$SWD_LOG" | grep -v 'end=flush\|end=unknown' | head -n 3)"
[ "$unknown" -ge 1 ] || fail "no session logged end=unknown: no event was lost (events-buffer 4k not applied?)"
[ "$flush" -ge 1 ] || fail "no end event read before the loss"
for id in $(grep -o ' ksid=[0-9]*' "$SWD_LOG" | sort | uniq -d); do
	fail "a kernel session logged twice:$id"
done

# events followed again: a new session's line comes from its end event
r=$(get /1K a.example got.bin)
[ "${r%% *}" = 200 ] || fail "request after the loss: $r"
assert_same_file got.bin A/1K "download after the loss"
fin_ev() { [ "$(count_sessions mode=kernel end=fin)" = 1 ]; }
wait_until $((20 * M)) fin_ev || fail "the new session not logged end=fin: $(grep session= "$SWD_LOG" | tail -n 1)"
stop_switchd
exit 0
