#!/bin/bash
# switchd: the same functional tests in each splice mode (kernel, pipe,
# copy, auto with the module loaded): routing by Host (exact and wildcard)
# and by path prefix, default backend, files of 0 B to 4 MiB byte-exact, a
# 1 MiB upload echoed back, X-Forwarded-For and Connection: close on the
# forwarded head, HTTP/1.0, an upgrade request keeping its Connection
# header, a CONNECT tunnel and an Upgrade (101) tunnel carrying 1 MiB each
# way byte-exact (in the kernel in kernel mode), a keep-alive tunnel
# listener, a TCP-mode listener, 100 checked requests 20 at a time, and a
# log line per session with the mode and the bytes (from the module's end
# events in kernel mode).  auto: 1 KiB exchanges stay in user space (the
# module's sessions_created does not move), a 16 MiB download goes to the
# kernel as soon as its response head shows a length above splice-after's
# 256 KiB (no fallback note).
# timeout: 720
. "$TSP_ROOT/tests/lib.sh"
. "$TSP_ROOT/tests/demo/swd_lib.bash"

need_switchd
need_cmd curl
[ -x "$TUNNEL" ] || skip "$TUNNEL not built"

topo_up --extra 1
mod_load
swd_tuning

www A A 0 1 1K 256K 4M 16M
www B B 1K
mkdir -p B/b && echo B > B/b/name
head -c 1M /dev/urandom > up.bin
printf 'CONNECT b.example:443 HTTP/1.1\r\nHost: b.example:443\r\n\r\n' > connect.raw
printf 'GET /tunnel HTTP/1.1\r\nHost: a.example\r\nUpgrade: echo\r\nConnection: Upgrade\r\n\r\n' > upgrade.raw
start_httpd server "$SRV_A:80" A "$PWD/A"
start_httpd server1 "$SRV_B:80" B "$PWD/B"

# (timeouts scaled for slow debug kernels, tests/run-guest.sh)
M=${TSP_TMO_MULT:-1}
cat > sw.conf << EOF
global
    stats-socket $SWD_SOCK
    timeout client-header $((3 * M))s
    timeout connect $((2 * M))s

listener web
    bind $VIP:8080
    route host a.example backend A
    route host b.example backend B
    route host *.wild.example backend B
    route path /b/ backend B
    default-backend A

listener tunnel
    bind $VIP:8081
    keepalive tunnel
    default-backend A

listener raw
    bind $VIP:8082
    mode tcp
    default-backend B

backend A
    server a1 $SRV_A:80

backend B
    server b1 $SRV_B:80
EOF
in_ns proxy "$SWITCHD" -t -f sw.conf > /dev/null || fail "switchd -t rejects the configuration"

# check_get PATH HOST EXPECT_SERVER [FILE]: 200, X-Server, body (= FILE).
check_get() {
	local r
	: > got.bin	# curl writes no file for an empty body
	r=$(get "$1" "$2" got.bin) || fail "$MODE: curl $2$1 failed"
	[ "${r%% *}" = 200 ] || fail "$MODE: $2$1: status ${r%% *}"
	[ "$(hdr_value X-Server)" = "$3" ] || fail "$MODE: $2$1 served by '$(hdr_value X-Server)', expected $3"
	if [ -n "${4:-}" ]; then
		assert_same_file got.bin "$4" "$MODE: $2$1"
	fi
}

# created: the module's sessions_created in the proxy's namespace.
created() {
	local n v
	while read -r n v; do
		[ "$n" = sessions_created ] && { echo "$v"; return 0; }
	done < <(ip netns exec proxy cat /proc/net/stat/tcp_splice)
	return 1
}

for MODE in kernel pipe copy auto; do
	: > "$SWD_LOG"
	start_switchd sw.conf -m $MODE
	if [ $MODE = kernel ] || [ $MODE = auto ]; then
		[ "$(swd_info kernel_splice)" = yes ] || fail "switchd sees no tcp_splice"
	fi

	check_get /name a.example A A/name
	check_get /name b.example B B/name
	check_get /name x.wild.example B
	check_get /name wild.example A		# *.wild.example is not wild.example
	check_get /b/name other.example B B/b/name
	check_get /name other.example A
	for f in 0 1 1K 256K 4M; do
		check_get "/$f" a.example A "A/$f"
	done

	# upload, echoed back byte for byte
	r=$(get /echo-body a.example echo.bin --data-binary @up.bin -H 'Content-Type: application/octet-stream')
	[ "${r%% *}" = 200 ] || fail "$MODE: POST /echo-body: $r"
	assert_same_file echo.bin up.bin "$MODE: upload"

	# the head as the server received it
	get /echo a.example head.txt -H 'Connection: keep-alive' -H 'Keep-Alive: timeout=5' > /dev/null
	h=$(< head.txt)
	[[ $h == *$'X-Forwarded-For: 10.0.1.1\r'* ]] || fail "$MODE: no X-Forwarded-For: $h"
	[[ $h == *$'Connection: close\r'* ]] || fail "$MODE: no Connection: close: $h"
	[[ $h != *keep-alive* && $h != *Keep-Alive* ]] || fail "$MODE: keep-alive forwarded: $h"
	get /echo a.example head.txt -H 'X-Forwarded-For: 192.0.2.7' > /dev/null
	[[ $(< head.txt) == *$'X-Forwarded-For: 192.0.2.7, 10.0.1.1\r'* ]] ||
		fail "$MODE: X-Forwarded-For not appended: $(< head.txt)"
	get /echo a.example head.txt -H 'Upgrade: websocket' -H 'Connection: Upgrade' > /dev/null
	[[ $(< head.txt) == *$'Connection: Upgrade\r'* ]] ||
		fail "$MODE: upgrade lost its Connection header: $(< head.txt)"
	r=$(get /1K a.example got.bin -0)
	[ "${r%% *}" = 200 ] || fail "$MODE: HTTP/1.0: $r"
	assert_same_file got.bin A/1K "$MODE: HTTP/1.0"

	# tunnels: CONNECT (routed by its authority to B) and an upgrade
	# answered 101 (A), then 1 MiB of opaque bytes each way, echoed
	out=$(in_ns client "$TUNNEL" --head connect.raw --data up.bin "$VIP:8080") ||
		fail "$MODE: CONNECT tunnel: $out"
	log "$MODE: CONNECT tunnel: $out"
	out=$(in_ns client "$TUNNEL" --head upgrade.raw --data up.bin --expect-status 101 \
		"$VIP:8080") || fail "$MODE: upgrade tunnel: $out"
	log "$MODE: upgrade tunnel: $out"

	# keep-alive tunnel: two requests on one connection, one session
	in_ns client curl -s -m 30 -o t1 "http://$VIP:8081/1K" -o t2 "http://$VIP:8081/name" ||
		fail "$MODE: tunnel requests failed"
	assert_same_file t1 A/1K "$MODE: tunnel 1"
	assert_same_file t2 A/name "$MODE: tunnel 2"
	# TCP mode: no parsing
	r=$(SWD_PORT=8082 get /1K any got.bin)
	[ "${r%% *}" = 200 ] && [ "$(hdr_value X-Server)" = B ] || fail "$MODE: tcp listener: $r"

	load -c 20 -n 100 -H a.example -p /256K --expect-file A/256K 8080 ||
		fail "$MODE: swd_load: $LOAD_OUT"
	extra=0
	if [ $MODE = auto ]; then
		# short exchanges stay in user space: no kernel session at all
		wait_until 20 kernel_idle || fail "auto: kernel sessions still open"
		c0=$(created) || fail "no sessions_created in /proc/net/stat/tcp_splice"
		load -c 5 -n 20 -H a.example -p /1K --expect-file A/1K 8080 ||
			fail "auto: 1K: $LOAD_OUT"
		check_get /1K a.example A A/1K
		c1=$(created)
		[ "$c1" = "$c0" ] || fail "auto: 21 1 KiB exchanges created $((c1 - c0)) kernel sessions"
		# a long download goes to the kernel (at its response head)
		check_get /16M a.example A A/16M
		c2=$(created)
		[ "$c2" = $((c1 + 1)) ] || fail "auto: the 16 MiB download created $((c2 - c1)) kernel sessions"
		log "auto: sessions_created $c0 -> $c1 after 21 x 1 KiB, -> $c2 after 16 MiB"
		extra=22
	fi

	# kernel sessions end (their end events write the log lines)
	if [ $MODE = kernel ] || [ $MODE = auto ]; then
		wait_until 20 kernel_idle ||
			fail "kernel sessions still open: $(swd show kernel)"
	fi
	stop_switchd

	session_lines
	n=${#SESSIONS[@]}
	want=$((20 + 100 + extra))
	[ "$n" = $want ] || fail "$MODE: $n session lines, expected $want"
	if [ $MODE = auto ]; then
		# what carried each session: the kernel or pipes, never copy
		[ $(($(count_sessions mode=kernel) + $(count_sessions mode=pipe))) = $n ] ||
			fail "auto: sessions neither kernel nor pipe: $(grep session= "$SWD_LOG" | grep -v 'mode=kernel\|mode=pipe' | head -n 3)"
		k1=$(grep session= "$SWD_LOG" | grep -c 'req="GET /1K HTTP/1.1"')
		p1=$(grep session= "$SWD_LOG" | grep 'req="GET /1K HTTP/1.1"' | grep -v 'note=' | grep -c ' mode=pipe ')
		[ "$k1" = "$p1" ] || fail "auto: $((k1 - p1)) of $k1 1 KiB sessions not plain pipe sessions"
		grep 'req="GET /16M HTTP/1.1"' "$SWD_LOG" | grep ' mode=kernel ' | grep -q -v ' note=' ||
			fail "auto: the 16 MiB download not logged as kernel: $(grep 16M "$SWD_LOG")"
	else
		[ "$(count_sessions mode=$MODE)" = $n ] ||
			fail "$MODE: not every session ran in mode $MODE: $(grep -v "mode=$MODE" "$SWD_LOG" | head -n 3)"
	fi
	if [ $MODE = kernel ]; then
		for t in CONNECT 'GET /tunnel'; do
			grep "req=\"$t " "$SWD_LOG" | grep -q ' mode=kernel ' ||
				fail "kernel: the $t tunnel was not spliced: $(grep "req=\"$t " "$SWD_LOG")"
		done
	fi
	check_ends $MODE $n
	[ "$(count_sessions listener=tunnel)" = 1 ] || fail "$MODE: tunnel: not one session"
	for l in "${SESSIONS[@]}"; do
		if [[ $l == *'req="GET /4M HTTP/1.1"'* ]]; then
			s2c=$(kv "$l" s2c)
			[ "$s2c" -gt 4194304 ] || fail "$MODE: 4M download logged s2c=$s2c: $l"
			log "$MODE: $l"
		fi
		if [ $MODE = kernel ]; then
			[ -n "$(kv "$l" ksid)" ] || fail "kernel: no ksid in $l"
		fi
	done
	log "$MODE: $n sessions ok"
done
exit 0
