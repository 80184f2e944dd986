#!/bin/bash
# switchd: balancing and backend failures.  Weighted round robin (3:1
# exactly), source hash (one client, one server), leastconn (long
# requests spread evenly); a server killed mid-test: every request still
# succeeds (failover to the next server on refusal), health checks mark
# it DOWN, then UP again when it returns; 502 when every server refuses,
# 504 when the connect times out, 503 when health checks found no server
# up; disable/enable from the stats socket; retries 0 (one attempt: half
# the requests of a backend with one dead server of two fail); a server
# killed in the middle of a 16 MiB download (the client sees a short
# transfer or a reset, never a hang or a complete one, and the session is
# logged with its end).  All of it in kernel and in copy mode.
# timeout: 700
. "$TSP_ROOT/tests/lib.sh"
. "$TSP_ROOT/tests/demo/swd_lib.bash"

need_switchd
topo_up --extra 1
mod_load
swd_tuning

www A A 64K 16M
www B B 64K
cp A/64K B/64K
start_httpd server "$SRV_A:80" A "$PWD/A"
start_httpd server1 "$SRV_B:80" B "$PWD/B"
start_httpd server1 "$SRV_B:82" B2 "$PWD/B"
start_httpd server "$SRV_A:83" D "$PWD/A"

cat > sw.conf << EOF
global
    stats-socket $SWD_SOCK
    timeout connect 2s

listener web
    bind $VIP:8080
    route host rr.example backend rr
    route host lc.example backend lc
    route host src.example backend src
    route host fo.example backend fo
    route host chk.example backend chk
    route host only.example backend only
    route host dead.example backend dead
    route host hole.example backend hole
    route host once.example backend once
    route host die.example backend die

listener rawdead
    bind $VIP:8089
    mode tcp
    default-backend dead

backend rr
    balance rr
    server a $SRV_A:80 weight 3
    server b $SRV_B:80 weight 1

backend lc
    balance leastconn
    server a $SRV_A:80
    server b $SRV_B:80

backend src
    balance source
    server a $SRV_A:80
    server b $SRV_B:80

# no health checks: failover on refusal alone
backend fo
    server a $SRV_A:80
    server b2 $SRV_B:82

backend chk
    check interval 300ms rise 2 fall 2
    server a $SRV_A:80
    server b2 $SRV_B:82

backend only
    check interval 300ms rise 2 fall 2
    server b2 $SRV_B:82

backend dead
    server x $SRV_A:81
    server y $SRV_B:81

backend hole
    timeout connect 500ms
    server x 10.0.2.99:80

# one attempt per request: no failover
backend once
    retries 0
    server x $SRV_A:81
    server a $SRV_A:80

backend die
    server d $SRV_A:83
EOF

for MODE in kernel copy; do
: > "$SWD_LOG"
start_switchd sw.conf -m $MODE
log "--- mode $MODE"

# weighted round robin: exactly 3 to 1
load -c 8 -n 400 -H rr.example -p /64K --expect-file A/64K 8080 || fail "rr: $LOAD_OUT"
[[ $LOAD_OUT == *server_A=300* && $LOAD_OUT == *server_B=100* ]] || fail "rr 3:1: $LOAD_OUT"
# source hash: one client address, one server
load -c 5 -n 50 -H src.example -p /64K 8080 || fail "source: $LOAD_OUT"
[[ $LOAD_OUT =~ server_(A|B)=50 ]] || fail "source hash spread one client over servers: $LOAD_OUT"
# leastconn: 10 requests of 2 s at once: 5 and 5
load -c 10 -n 10 -H lc.example -p /sleep/2000 8080 || fail "leastconn: $LOAD_OUT"
[[ $LOAD_OUT == *server_A=5* && $LOAD_OUT == *server_B=5* ]] || fail "leastconn uneven: $LOAD_OUT"

# a server dies: failover on refusal, no failed request
load -c 4 -n 40 -H fo.example -p /64K --expect-file A/64K 8080 || fail "fo before: $LOAD_OUT"
[[ $LOAD_OUT == *server_B2=20* ]] || fail "fo: b2 not used before the kill: $LOAD_OUT"
stop_httpd B2
load -c 4 -n 40 -H fo.example -p /64K --expect-file A/64K 8080 || fail "failover: $LOAD_OUT"
[[ $LOAD_OUT == *server_A=40* ]] || fail "failover: $LOAD_OUT"
fails=$(swd show servers | while read -r b s a w st cur tot cf rest; do
	[ "$b" = fo ] && [ "$s" = b2 ] && echo "$cf"; done)
[ "${fails:-0}" -ge 10 ] || fail "fo/b2 shows $fails connect failures, expected about 20"
log "failover: fo/b2 refused $fails connections, every request served by a"

# health checks: b2 DOWN, "only" has no server: 503
wait_until 10 state_is chk b2 DOWN || fail "chk/b2 not marked DOWN: $(swd show servers)"
wait_until 10 state_is only b2 DOWN || fail "only/b2 not marked DOWN"
load -c 2 -n 10 -H chk.example -p /64K --expect-file A/64K 8080 || fail "chk with b2 down: $LOAD_OUT"
load -n 3 -H only.example -p /64K --expect-status 503 8080 || fail "no server up: $LOAD_OUT"
# it comes back
start_httpd server1 "$SRV_B:82" B2 "$PWD/B"
wait_until 10 state_is chk b2 UP || fail "chk/b2 not back UP: $(swd show servers)"
wait_until 10 state_is only b2 UP || fail "only/b2 not back UP"
load -c 2 -n 10 -H only.example -p /64K --expect-file A/64K 8080 || fail "only after recovery: $LOAD_OUT"
grep -q 'server chk/b2 .* is DOWN' "$SWD_LOG" && grep -q 'server chk/b2 .* is UP' "$SWD_LOG" ||
	fail "no DOWN/UP log lines for chk/b2"

# every server refuses: 502; connect timeout: 504
load -n 3 -H dead.example --expect-status 502 8080 || fail "dead: $LOAD_OUT"
t0=$(now_ms)
load -n 1 -H hole.example --expect-status 504 --timeout 10 8080 || fail "hole: $LOAD_OUT"
dt=$(($(now_ms) - t0))
[ $dt -ge 450 ] || fail "504 after $dt ms, before the 500 ms connect timeout"
# a TCP listener does not speak HTTP: no answer, just the close.  curl
# sees an empty reply (52) or, when its request arrived before switchd
# closed (closing with unread bytes sends a RST), a reset (56).
in_ns client curl -s -m 10 -o raw.out "http://$VIP:8089/"
rc=$?
{ [ $rc = 52 ] || [ $rc = 56 ]; } && [ ! -s raw.out ] ||
	fail "tcp listener with no server: curl exit $rc, $(wc -c < raw.out 2> /dev/null) bytes"

# maintenance from the stats socket
swd disable server rr/a | grep -q disabled || fail "disable server failed"
[ "$(server_state rr a)" = MAINT ] || fail "rr/a not in MAINT"
load -c 4 -n 20 -H rr.example -p /64K 8080 || fail "rr without a: $LOAD_OUT"
[[ $LOAD_OUT == *server_B=20* ]] || fail "MAINT server still used: $LOAD_OUT"
swd enable server rr/a > /dev/null
load -c 4 -n 20 -H rr.example -p /64K 8080 || fail "rr with a: $LOAD_OUT"
[[ $LOAD_OUT == *server_A=* ]] || fail "enabled server unused: $LOAD_OUT"
swd show servers | sed 's/^/# /'

# retries 0: x refuses, a serves; round robin alternates: 5 and 5
load -n 10 -H once.example -p /64K 8080
[[ $LOAD_OUT == *status_200=5\ * && $LOAD_OUT == *status_502=5* ]] ||
	fail "retries 0: expected 5 answers and 5 502s: $LOAD_OUT"

# the server dies in the middle of a 16 MiB download (sent at 2 MiB/s)
rm -f die.bin
in_ns client curl -s -m 60 -o die.bin -H 'Host: die.example' "http://$VIP:8080/16M?rate=2M" &
cp=$!
size_ge() { [ "$(stat -c %s "$1" 2> /dev/null || echo 0)" -ge "$2" ]; }
wait_until 20 size_ge die.bin 1048576 || fail "$MODE: the download did not start"
stop_httpd D
t0=$(now_ms)
bg_pid_wait $cp 30
rc=$?
dt=$(($(now_ms) - t0))
size=$(stat -c %s die.bin)
[ $rc != 124 ] || fail "$MODE: the client hung after the server died"
[ $rc != 0 ] && [ "$size" -lt 16777216 ] ||
	fail "$MODE: curl exit $rc with $size bytes: the broken transfer looked complete"
log "$MODE: server killed mid-transfer: curl exit $rc after $dt ms with $size of 16777216 bytes"
start_httpd server "$SRV_A:83" D "$PWD/A"

if [ $MODE = kernel ]; then
	wait_until 30 kernel_idle || fail "kernel sessions left: $(swd show kernel)"
fi
stop_switchd
[ "$(count_sessions status=502 listener=web)" = 8 ] || fail "502 log lines: $(count_sessions status=502)"
[ "$(count_sessions status=502 listener=rawdead s2c=0)" = 1 ] || fail "no log line for the tcp listener's failure"
[ "$(count_sessions status=504 end=connect-timeout)" = 1 ] || fail "no 504 log line"
[ "$(count_sessions status=503 end=no-server)" = 3 ] || fail "503 log lines: $(count_sessions status=503)"
l=$(grep ' session=.*req="GET /16M?rate=2M' "$SWD_LOG") || fail "$MODE: no log line for the broken download"
end=$(kv "$l" end) && s2c=$(kv "$l" s2c) || fail "$MODE: no end or s2c in: $l"
[ -n "$end" ] && [ "$end" != detached ] && [ "$s2c" -lt 16777216 ] ||
	fail "$MODE: broken download logged as: $l"
log "$MODE: ${l#*session=}"
done
exit 0
