#!/bin/bash
# Host test of switchd's command line (no sockets beyond loopback): -t,
# -h, -V, bad options, -S against a missing socket, and one short run on
# 127.0.0.1 in copy mode (module-independent).
set -u
SW=${SWITCHD:?}
d=$(mktemp -d)
trap 'kill $pids 2>/dev/null; rm -rf "$d"' EXIT
pids=
fail() { echo "FAIL: $*" >&2; exit 1; }

$SW -V | grep -q '^switchd [0-9]' || fail "-V"
$SW -h | grep -q 'usage: switchd' || fail "-h"
$SW -x 2>/dev/null; [ $? = 2 ] || fail "bad option: exit 2"
$SW -m turbo 2>/dev/null; [ $? = 2 ] || fail "bad mode: exit 2"
$SW -f /nonexistent/x.conf 2>&1 | grep -q 'No such file' || fail "missing file message"
$SW -S "$d/none.sock" show info 2>&1 | grep -q 'No such file' || fail "-S missing socket"

port=$((20000 + RANDOM % 20000))
cat > "$d/sw.conf" << EOC
global
    stats-socket $d/s.sock
    splice copy
listener w
    bind 127.0.0.1:$port
    default-backend b
backend b
    server s 127.0.0.1:1
EOC
$SW -t -f "$d/sw.conf" | grep -q 'is valid' || fail "-t"
$SW -t -v -f "$d/sw.conf" | grep -q "bind 127.0.0.1:$port" || fail "-t -v dump"
$SW -f "$d/sw.conf" 2> "$d/log" &
pids=$!
for _ in $(seq 50); do [ -S "$d/s.sock" ] && break; sleep 0.1; done
$SW -S "$d/s.sock" show info | grep -q '^splice: copy' || fail "show info"
# the socket is bound under a temporary name and renamed: none is left
ls "$d" | grep -q '\.tmp$' && fail "temporary socket name left: $(ls "$d")"
# nothing listens on port 1: 502
code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/" || true)
[ "$code" = 502 ] || fail "expected 502, got $code"
kill -TERM $pids
wait $pids || fail "exit status after SIGTERM"
grep -q 'status=502 .*end=connect-fail' "$d/log" || fail "502 log line: $(cat "$d/log")"
echo "test_cli: ok"
