#!/bin/bash
# switchd: 1000 concurrent connections in each mode (kernel, pipe, copy,
# auto with the module loaded: these short exchanges stay in user space):
# 1000 requests held open 15 s by the server, all at once (the ramp-up
# alone takes ~10 s under emulation), then 1000 more
# 16 KiB downloads 250 at a time, every body checked.  The peak number of
# sessions switchd carried (user space + kernel) is read from its stats
# socket while the slow requests are open.
# timeout: 900
. "$TSP_ROOT/tests/lib.sh"
. "$TSP_ROOT/tests/demo/swd_lib.bash"

need_switchd
topo_up --extra 1
mod_load
swd_tuning
N=${SWD_CONC:-1000}

www A A 16K
start_httpd server "$SRV_A:80" A "$PWD/A"

cat > sw.conf << EOF
global
    stats-socket $SWD_SOCK
    max-conn 5000
    splice-threads 16
    timeout client-header $((10 * ${TSP_TMO_MULT:-1}))s
    timeout connect $((10 * ${TSP_TMO_MULT:-1}))s

listener web
    bind $VIP:8080
    default-backend A

backend A
    server a1 $SRV_A:80
EOF

# peak_watch: sample "show info" until load.done appears; the highest
# sessions + kernel_sessions goes to peak.txt.
peak_watch() {
	local peak=0 s k l
	while [ ! -e load.done ]; do
		s=0 k=0
		while IFS= read -r l; do
			case $l in
			"sessions: "*) s=${l#*: } ;;
			"kernel_sessions: "*) k=${l#*: } ;;
			esac
		done < <(swd show info 2> /dev/null)
		[ $((s + k)) -gt $peak ] && peak=$((s + k))
		echo "$peak" > peak.txt
		tsp_sleep 0.3
	done
}

for MODE in kernel pipe copy auto; do
	: > "$SWD_LOG"
	rm -f load.done peak.txt
	start_switchd sw.conf -m $MODE
	peak_watch &
	wp=$!
	t0=$(now_ms)
	load -c $N -n $N -p /sleep/15000 --timeout 300 8080
	rc=$?
	: > load.done
	wait $wp
	peak=$(< peak.txt)
	log "$MODE: $N held requests in $(($(now_ms) - t0)) ms, peak $peak concurrent sessions"
	[ $rc = 0 ] || fail "$MODE: $N concurrent requests: $LOAD_OUT"
	[ "$peak" -ge $((N * 95 / 100)) ] || fail "$MODE: peak of $peak sessions, expected about $N"
	load -c $((N / 4)) -n $N -p /16K --expect-file A/16K --timeout 300 8080 ||
		fail "$MODE: $N downloads: $LOAD_OUT"
	if [ $MODE = kernel ] || [ $MODE = auto ]; then
		wait_until 30 kernel_idle || fail "kernel sessions left: $(swd show info)"
	fi
	stop_switchd
	check_ends $MODE $((2 * N))
	if [ $MODE = auto ]; then
		# 16 KiB responses are below splice-after (256 KiB): user space
		[ "$(count_sessions mode=pipe)" = $((2 * N)) ] ||
			fail "auto: $(count_sessions mode=kernel) sessions went to the kernel"
	fi
done
exit 0
