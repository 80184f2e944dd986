#!/bin/bash
# switchd operations: privilege drop (runs as nobody after opening its
# listeners, stats socket and splice handles, and still splices in the
# kernel); IPv6 listener with IPv4 server and the reverse (the module does
# not translate between families: those sessions fall back to pipes, noted
# in the log), IPv6 on both legs (spliced in the kernel); a listener's max-conn;
# the stats socket's commands; splice-after (relay 1 MiB in user space,
# then hand off mid-stream, byte-exact: a keepalive tunnel listener, whose
# response heads switchd does not look at); log file rotation on SIGHUP;
# configuration errors with file:line; the module absent (auto: pipes;
# kernel: refuses to start).
# timeout: 600
. "$TSP_ROOT/tests/lib.sh"
. "$TSP_ROOT/tests/demo/swd_lib.bash"

need_switchd
need_cmd curl
topo_up --extra 1
mod_load
swd_tuning
chmod 1777 .	# nobody writes its log here

# IPv6 on the client and server sides of the proxy
ip -n client addr add fd00:1::1/64 dev c0 nodad || fail "ipv6 client"
ip -n proxy addr add fd00:1::2/64 dev p0 nodad || fail "ipv6 proxy"
ip -n proxy addr add fd00:2::2/64 dev p1 nodad || fail "ipv6 proxy"
ip -n server addr add fd00:2::1/64 dev s0 nodad || fail "ipv6 server"

www A A 1K 1M 4M 16M
start_httpd server "$SRV_A:80" A "$PWD/A"
start_httpd server "[fd00:2::1]:80" A6 "$PWD/A"

cat > sw.conf << EOF
global
    user nobody
    group nogroup
    stats-socket $SWD_SOCK
    log $PWD/access.log
    splice-after 0              # auto: to the kernel at once, as kernel mode

listener web
    bind $VIP:8080 [fd00:1::2]:8080
    default-backend A

listener v6server
    bind $VIP:8081
    default-backend A6

listener v6both
    bind [fd00:1::2]:8082
    default-backend A6

listener limited
    bind $VIP:8083
    splice copy
    max-conn 5
    default-backend A

backend A
    server a1 $SRV_A:80

backend A6
    server a6 [fd00:2::1]:80
EOF
SWD_LOG=$PWD/access.log
start_switchd sw.conf

# --- privilege drop
pid=$(swd_info pid)
uid=$(grep '^Uid:' "/proc/$pid/status")
gid=$(grep '^Gid:' "/proc/$pid/status")
[[ $uid =~ ^Uid:[[:space:]]+65534[[:space:]]+65534[[:space:]]+65534[[:space:]]+65534 ]] ||
	fail "switchd still has uid $uid"
[[ $gid =~ ^Gid:[[:space:]]+65534[[:space:]] ]] || fail "switchd still has gid $gid"
grep -q '^Groups:[[:space:]]*$' "/proc/$pid/status" || fail "supplementary groups kept"
[ "$(stat -c %U "$SWD_SOCK")" = nobody ] || fail "stats socket not owned by nobody"
r=$(get /1M any got.bin)
[ "${r%% *}" = 200 ] || fail "as nobody: $r"
assert_same_file got.bin A/1M "download as nobody"

# --- IPv6: client side and server side fall back to pipes
r=$(in_ns client curl -s -g -m 30 -o got6.bin -w '%{http_code}' "http://[fd00:1::2]:8080/1M")
[ "$r" = 200 ] || fail "IPv6 client: $r"
assert_same_file got6.bin A/1M "IPv6 client"
r=$(SWD_PORT=8081 get /1M any got.bin)
[ "${r%% *}" = 200 ] && [ "$(hdr_value X-Server)" = A6 ] || fail "IPv6 server: $r"
assert_same_file got.bin A/1M "IPv6 server"
r=$(in_ns client curl -s -g -m 30 -o got66.bin -w '%{http_code}' "http://[fd00:1::2]:8082/1M")
[ "$r" = 200 ] || fail "IPv6 both legs: $r"
assert_same_file got66.bin A/1M "IPv6 both legs"

# --- max-conn 5 (a copy-mode listener: its sessions stay in user space)
t0=$(now_ms)
SWD_PORT=8083 load -c 10 -n 10 -p /sleep/1500 8083 || fail "max-conn: $LOAD_OUT"
dt=$(($(now_ms) - t0))
[ $dt -ge 2900 ] || fail "10 requests of 1.5 s with max-conn 5 took $dt ms: not two waves"

# --- the stats socket
sessions_at() { [ "$(swd_info sessions)" = "$1" ]; }
in_ns client "$LOAD" -c 3 -n 3 -p /sleep/3000 "$VIP:8083" > slow.out 2>&1 &
sp=$!
wait_until 5 sessions_at 3 || fail "show info: $(swd show info)"
swd show sessions > sessions.txt
[ "$(grep -c ' relay ' sessions.txt)" = 3 ] || fail "show sessions: $(< sessions.txt)"
swd show servers | grep -q '^A  *a1 .* UP ' || fail "show servers: $(swd show servers)"
swd show kernel | grep -q '^# kernel sessions' || fail "show kernel"
swd show conf > dumped.conf
in_ns proxy "$SWITCHD" -t -f dumped.conf > /dev/null || fail "show conf is not a valid configuration"
swd frobnicate | grep -q '^commands:' || fail "no help for an unknown command"
bg_pid_wait $sp 30 || fail "slow requests: $(< slow.out)"

stop_switchd
[ "$(count_sessions listener=web mode=kernel)" = 1 ] || fail "no kernel session as nobody: $(grep session= "$SWD_LOG")"
grep -q 'client=\[fd00:1::1\]:[0-9]* listener=web .*mode=pipe .*note="kernel: Address family not supported' \
	"$SWD_LOG" || fail "IPv6 client session not logged as a pipe fallback: $(grep fd00 "$SWD_LOG")"
grep -q 'listener=v6server .*mode=pipe .*note="kernel: Address family not supported' "$SWD_LOG" ||
	fail "IPv6 server session not logged as a pipe fallback"
[ "$(count_sessions listener=v6both mode=kernel)" = 1 ] ||
	fail "the IPv6-only session was not spliced: $(grep v6both "$SWD_LOG")"

# --- splice-after: 1 MiB in user space, then the kernel, mid-stream
cat > late.conf << EOF
global
    stats-socket $SWD_SOCK
    splice kernel
    splice-after 1m
    log $PWD/late.log

# keepalive tunnel: no look at the response head (which would hand a
# 16 MiB response off before reading it): the bytes relayed decide
listener web
    bind $VIP:8080
    keepalive tunnel
    default-backend A

backend A
    server a1 $SRV_A:80
EOF
SWD_LOG=$PWD/late.log
start_switchd late.conf
for i in 1 2 3; do
	# 16 MiB: more than the proxy's socket buffers hold, so the server is
	# still sending when switchd hands off after 1 MiB (with 4 MiB it
	# could finish first and the session stayed in user space)
	r=$(get /16M any got.bin)
	[ "${r%% *}" = 200 ] || fail "splice-after: $r"
	assert_same_file got.bin A/16M "splice-after download $i"
done
r=$(get /1K any got.bin)
wait_until 20 kernel_idle || fail "kernel sessions left"
# log rotation
mv late.log late.log.1
kill -HUP "$SWD_PID"
wait_until 5 files_exist late.log || fail "log not reopened after SIGHUP"
r=$(get /1K any got.bin)
stop_switchd
n=$(grep -c 'mode=kernel .*req="GET /16M' late.log.1)
[ "$n" = 3 ] || fail "splice-after: $n of 3 big downloads handed to the kernel: $(grep 16M late.log.1)"
grep -q 'mode=pipe .*req="GET /1K' late.log.1 || fail "1K below splice-after was not kept in user space"
grep -q 'session=.*req="GET /1K' late.log || fail "no session line in the reopened log"

# --- configuration errors
check_bad() {
	local want=$1 out
	printf '%s\n' "$2" > bad.conf
	out=$(in_ns proxy "$SWITCHD" -t -f bad.conf 2>&1) && fail "accepted: $2"
	[[ $out == *"$want"* ]] || fail "error for '$2': $out (expected '$want')"
}
check_bad "bad.conf:1: unknown global directive 'frob'" "frob 1"
check_bad "no listener defined" "global"
check_bad "bad.conf:3: bind: bad address" $'listener w\n    default-backend b\n    bind 10.0.0.1'
check_bad "default-backend nob is not defined" $'listener w\n    bind 10.0.1.2:1\n    default-backend nob'
check_bad "bad.conf:2: bad time '5x'" $'global\n    timeout idle 5x'
check_bad "bad.conf:4: usage: server NAME ADDR:PORT" $'listener w\n    bind 10.0.1.2:1\nbackend b\n    server s1 10.0.0.1:80 weight'

# --- the module absent
mod_unload
SWD_LOG=$PWD/nomod.log
sed 's/^    splice-after 1m$//; s/splice kernel/splice auto/; s|late.log|nomod.log|' late.conf > nomod.conf
start_switchd nomod.conf
[ "$(swd_info kernel_splice)" = no ] || fail "kernel_splice without the module"
r=$(get /1M any got.bin)
assert_same_file got.bin A/1M "no module"
stop_switchd
grep -q 'mode=pipe .*req="GET /1M' nomod.log || fail "not a pipe session without the module"
out=$(in_ns proxy timeout 20 "$SWITCHD" -f nomod.conf -m kernel 2>&1) && fail "splice kernel started without the module"
grep -q 'tcp_splice is not available' nomod.log || fail "no clear message: $out $(tail -n 2 nomod.log)"
exit 0
