#!/bin/bash
# make bench, scale (issue 7): SCALE_SESSIONS idle spliced sessions through
# switchd in kernel mode (tsb_idle: the client holds N connections, the
# server accepts and holds them, switchd hands each to tcp_splice), then
#   - kernel memory per session: /proc/slabinfo (every cache, active
#     objects x object size) and Percpu in /proc/meminfo, before and after,
#     divided by N; the caches that grew are listed (the proxy's two TCP
#     sockets per session, which the module keeps, are part of the cost);
#   - the throughput of one bulk download through switchd-kernel alone and
#     amid the N sessions (the module's lookup must stay flat), with CPU1's
#     (the middle box's) busy ticks per GiB of it, and the same download
#     routed (no proxy, the module's hook still sees every packet) as the
#     control: what the endpoints' own TCP stacks lose amid 4 N sockets is
#     not the module's lookup.  Rounds interleave the two.
# Every namespace gets a TCP socket hash of its own sized for its sockets
# (tcp_child_ehash_entries, 2^k >= 2 N: the proxy's namespace holds the
# 2 N sockets the module keeps), as an operator would size the host's for
# that many connections; otherwise all 4 N sockets share the boot-time
# global table and the endpoints' every lookup walks long chains.
# The same CPU split as bench.sh (endpoints CPU0, middle box CPU1).
# SCALE_SESSIONS (a list, measured in turn, the sessions of one step kept
# for the next): full 10000 100000; QUICK=1: 1000.  The sessions are
# spread over ceil(N / SCALE_PER_PORT) listeners (VIP:8010+i) and backends
# (SRV:9000+i), 30 000 each: connect() picks a source port among the
# 32 256 even ones of 1024-65535 first (__inet_hash_connect), and once
# those are taken for a destination every further connect() to it probes
# all of them before an odd one: the client's and switchd's connects then
# took both CPUs' system time and the set-up fell from 480/s to 7/s at
# about 32 000 sessions per port (bench-scale-setup.tsv of the run
# 20261207-014132).  100 000 sessions need about 1.6 GB of kernel memory (four
# TCP sockets each): make bench boots the VM with BENCH_MEM (4G).
# Output: $TSP_OUT/bench-scale.tsv (a row per step), bench-scale-slab.tsv
# (the caches that grew, at the last step), bench-scale-setup.tsv (a row
# every SCALE_PROGRESS seconds of a set-up: rate, CPU ticks, top tasks),
# bench-scale-flush.tsv (the time of a flush of the last port's sessions),
# bench-scale-get.tsv (GET requests amid the sessions).
# timeout: 1800
. "$TSP_ROOT/tests/lib.sh"
. "$TSP_ROOT/tests/bench/_bench.bash"

need_cmd iperf3 taskset jq
[ -x "$SWITCHD" ] || skip "switchd not built"
[ -x "$TSP_TOOLS/tsb_idle" ] || skip "tsb_idle not built"
bench_config
if [ "$QUICK" = 1 ]; then STEPS=${SCALE_SESSIONS:-1000}; else STEPS=${SCALE_SESSIONS:-10000 100000}; fi
PER_PORT=${SCALE_PER_PORT:-30000}
# switchd's threads making the splice call (default 4): each call waits
# for an RCU grace period, and concurrent calls share one
SCALE_THREADS=${SCALE_THREADS:-16}
# a step's set-up gets at most this long (make bench's 30 minutes; 100 000
# sessions at the 194/s measured after the dump fix take about 520 s)
SCALE_SETUP_MAX=${SCALE_SETUP_MAX:-600}
SCALE_PROGRESS=${SCALE_PROGRESS:-30}
NMAX=0
for n in $STEPS; do [ "$n" -gt "$NMAX" ] && NMAX=$n; done
NPORTS=$(((NMAX + PER_PORT - 1) / PER_PORT))
ROUNDS=$BULK_ROUNDS
taskset -pc 0 $$ > /dev/null || fail "taskset"
EHASH=${SCALE_EHASH:-}
if [ -z "$EHASH" ]; then
	EHASH=1024
	while [ $EHASH -lt $((2 * NMAX)) ]; do EHASH=$((EHASH * 2)); done
fi
if [ -w /proc/sys/net/ipv4/tcp_child_ehash_entries ]; then
	echo "$EHASH" > /proc/sys/net/ipv4/tcp_child_ehash_entries || fail "tcp_child_ehash_entries"
	log "per-namespace TCP ehash: $EHASH buckets"
else
	EHASH=global
	log "no tcp_child_ehash_entries (kernel < 6.1): the global TCP ehash for all"
fi
topo_up
mod_load
bench_rps
for ns in client proxy server; do
	in_ns $ns sh -c 'echo "1024 65535" > /proc/sys/net/ipv4/ip_local_port_range'
done
ulimit -n 1048576 2> /dev/null || ulimit -n "$(ulimit -Hn)"
# every session holds four sockets' files (client, server, and the proxy's
# two, which the module keeps)
sysctl -qw fs.file-max=$((4 * NMAX + 100000)) || log "fs.file-max not raised"
log "memory: $(awk '/^MemTotal|^MemAvailable/ { printf "%s %d MiB  ", $1, $2 / 1024 }' /proc/meminfo)"
in_ns proxy sh -c 'echo 1 > /proc/sys/net/tcp_splice/timeout_timewait' || fail "timeout_timewait"

in_ns server taskset -c 0 iperf3 -s -D -p 5201 --logfile "$PWD/iperf-s.log" || fail "iperf3 -s"
for ((i = 0; i < NPORTS; i++)); do
	ip netns exec server taskset -c 0 "$TSP_TOOLS/tsb_idle" listen "$SRV:$((9000 + i))" \
		--ready "srv$i.ready" > "srv$i.log" 2>&1 &
done
{
	cat << EOF
global
    splice kernel
    splice-threads $SCALE_THREADS
    stats-socket $PWD/sw.sock
    log $PWD/sw.sessions
    max-conn 1000
listener bulk
    bind $VIP:8005
    mode tcp
    default-backend iperf
backend iperf
    server s1 $SRV:5201
EOF
	for ((i = 0; i < NPORTS; i++)); do
		cat << EOF
listener idle$i
    bind $VIP:$((8010 + i))
    mode tcp
    default-backend idle$i
backend idle$i
    server i$i $SRV:$((9000 + i))
EOF
	done
} > sw.conf
ip netns exec proxy taskset -c 1 "$SWITCHD" -f sw.conf > sw.log 2>&1 &
SWPID=$!
for ((i = 0; i < NPORTS; i++)); do
	wait_until 20 listening $((8010 + i)) || { cat sw.log; fail "switchd did not start"; }
	wait_until 10 test -e "srv$i.ready" || fail "tsb_idle listen $i did not start"
done

active() {
	local l
	while read -r l; do
		[[ $l == "sessions_active "* ]] && { echo "${l#* }"; return; }
	done < <(ip netns exec proxy cat /proc/net/stat/tcp_splice)
	echo 0
}

# slab_snap FILE: "cache bytes" (active objects x object size) per cache,
# then Percpu (bytes) from /proc/meminfo, then the module's session cache
# (objects x slab_size from /sys/kernel/slab/tsp_session: with slab merging
# on, as in Debian's kernels, that is the merged cache it lives in).
# /proc/slabinfo names a merged cache after one of its users only: the
# one holding tsp_session (skbuff_fclone_cache on 6.1, both 512 B) is
# listed as "NAME=tsp_session", not as a growth of its own.
slab_snap() {
	local d=/sys/kernel/slab/tsp_session m l al=" "
	if [ -L $d ]; then
		m=$(readlink $d)
		for l in /sys/kernel/slab/*; do
			[ "$(readlink "$l")" = "$m" ] && al+="${l##*/} "
		done
	fi
	awk -v al="$al" 'NR > 2 { n = $1; if (n != "tsp_session" && index(al, " " n " ")) n = n "=tsp_session"; print n, $2 * $4 }' \
		/proc/slabinfo > "$1"
	awk '$1 == "Percpu:" { print "Percpu", $2 * 1024 }' /proc/meminfo >> "$1"
	[ -r $d/objects ] && echo "tsp_session $(($(cut -d' ' -f1 $d/objects) * $(cat $d/slab_size)))" >> "$1"
	return 0
}

# dl kernel|routed TAG: one download through switchd-kernel (or routed);
# sets MBPS (Mbit/s) and C1GIB (CPU1's busy seconds per GiB received).
dl() {
	local addr=$VIP port=8005 b
	[ "$1" = routed ] && addr=$SRV port=5201
	MBPS=NA C1GIB=NA
	snap_begin
	in_ns client taskset -c 0 timeout 300 iperf3 -c "$addr" -p $port -n "$BULK_SIZE" -R \
		--connect-timeout 5000 -J > "dl-$1-$2.json" 2> /dev/null || return 1
	snap_end
	read -r MBPS b < <(jq -r '.end.sum_received | "\(.bits_per_second / 1e5 | round / 10) \(.bytes)"' "dl-$1-$2.json")
	C1GIB=$(awk -v t="$D_c1" -v b="$b" 'BEGIN { if (b > 0) printf "%.2f", t / 100 / (b / 1073741824); else print "NA" }')
}

# rounds TAG: ROUNDS interleaved downloads, kernel then routed; sets the
# arrays k_mb, k_c1, r_mb, r_c1.
rounds() {
	local r
	k_mb=() k_c1=() r_mb=() r_c1=()
	for r in $(seq 1 "$ROUNDS"); do
		dl kernel "$1-$r"
		k_mb+=("$MBPS") k_c1+=("$C1GIB")
		dl routed "$1-$r"
		r_mb+=("$MBPS") r_c1+=("$C1GIB")
	done
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a > 0) printf "%.2f", b / a; else print "-" }'; }

# cpu_split: user, system, irq+softirq and idle ticks of CPU0, then CPU1.
cpu_split() {
	awk '$1 == "cpu0" || $1 == "cpu1" { printf "%d %d %d %d ", $2 + $3, $4, $7 + $8, $5 + $6 }
		END { print "" }' /proc/stat
}

# setup_wait N T0: until base + N sessions are active (0), or SCALE_SETUP_MAX
# seconds after T0 (1).  Every SCALE_PROGRESS seconds a progress row (the
# set-up rate, where the CPUs' time went, the busiest tasks) in the log
# and in bench-scale-setup.tsv: where a set-up slows, which part of the
# path takes the time.
setup_wait() {
	local n=$1 t0=$2 a t pa pt c pc top
	pa=$(active) pt=$(now_ms)
	read -r -a pc <<< "$(cpu_split)"
	task_snap tsa
	while :; do
		a=$(active) t=$(now_ms)
		[ "$a" -ge $((base + n)) ] && return 0
		[ $((t - t0)) -ge $((SCALE_SETUP_MAX * 1000)) ] && return 1
		if [ $((t - pt)) -ge $((SCALE_PROGRESS * 1000)) ]; then
			read -r -a c <<< "$(cpu_split)"
			task_snap tsb
			top=$(task_top tsa tsb | head -n 4 | awk '{ printf "%s%s %s %s", (NR > 1 ? ", " : ""), $4, $1, $3 }')
			printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' $((a - base)) \
				$(((t - t0) / 1000)) $(((a - pa) * 1000 / (t - pt))) \
				$((c[0] - pc[0])) $((c[1] - pc[1])) $((c[2] - pc[2])) $((c[3] - pc[3])) \
				$((c[4] - pc[4])) $((c[5] - pc[5])) $((c[6] - pc[6])) $((c[7] - pc[7])) \
				"$top" >> "$TSP_OUT/bench-scale-setup.tsv"
			log "set-up: $((a - base)) sessions after $(((t - t0) / 1000)) s, $(((a - pa) * 1000 / (t - pt)))/s;" \
				"ticks usr/sys/irq/idle CPU0 $((c[0] - pc[0]))/$((c[1] - pc[1]))/$((c[2] - pc[2]))/$((c[3] - pc[3]))" \
				"CPU1 $((c[4] - pc[4]))/$((c[5] - pc[5]))/$((c[6] - pc[6]))/$((c[7] - pc[7])); top: $top"
			pa=$a pt=$t pc=("${c[@]}")
			mv tsb tsa
		fi
		tsp_sleep 1
	done
}

declare -a PORT_USED=() CLI_PIDS=()
task_snap ta
rounds alone
task_snap tb
alone=("${k_mb[@]}") alone_c1=("${k_c1[@]}") ralone=("${r_mb[@]}") ralone_c1=("${r_c1[@]}")
log "alone: switchd-kernel ${alone[*]} Mbit/s, CPU1 ${alone_c1[*]} s/GiB; routed ${ralone[*]} Mbit/s, CPU1 ${ralone_c1[*]} s/GiB"
{
	echo "# tasks with the most CPU (ticks) during the downloads alone"
	task_top ta tb
} | tee "$TSP_OUT/bench-scale-tasks.txt"
# the kernel sessions of these downloads end (TIME_WAIT shortened to 1 s)
none_active() { [ "$(active)" -le 0 ]; }
wait_until 30 none_active || log "sessions still active: $(active)"

echo 3 > /proc/sys/vm/drop_caches
slab_snap slab0
base=$(active)
printf 'sessions\tsetup_s\tslab_and_percpu_bytes_per_session\tsession_cache_bytes_per_session\tpercpu_bytes_per_session\tTCP_slab_bytes_per_session\tmbps_alone\tmbps_amid\tratio\trounds_alone\trounds_amid\tmem_available_mib\tasked\trouted_mbps_alone\trouted_mbps_amid\trouted_ratio\tc1_s_per_gib_alone\tc1_s_per_gib_amid\tc1_ratio\tehash\n' \
	> "$TSP_OUT/bench-scale.tsv"
printf 'sessions\tsecs\trate_per_s\tcpu0_user\tcpu0_sys\tcpu0_irq\tcpu0_idle\tcpu1_user\tcpu1_sys\tcpu1_irq\tcpu1_idle\ttop_tasks\n' \
	> "$TSP_OUT/bench-scale-setup.tsv"
ma=$(median "${alone[@]}")
rma=$(median "${ralone[@]}")
ca=$(median "${alone_c1[@]}")
have=0 k=0
for n in $STEPS; do
	[ "$n" -gt "$have" ] || continue
	# open n - have more, split over the ports (at most PER_PORT each)
	t0=$(now_ms)
	left=$((n - have)) port=0
	while [ $left -gt 0 ] && [ $port -lt $NPORTS ]; do
		used=${PORT_USED[$port]:-0}
		m=$((PER_PORT - used))
		[ $m -gt $left ] && m=$left
		if [ $m -gt 0 ]; then
			k=$((k + 1))
			ip netns exec client taskset -c 0 "$TSP_TOOLS/tsb_idle" connect "$VIP:$((8010 + port))" \
				-n "$m" -c 32 --ready "cli$k.ready" > "cli$k.log" 2>&1 &
			CLI_PIDS+=($!)
			PORT_USED[$port]=$((used + m))
			left=$((left - m))
		fi
		port=$((port + 1))
	done
	if ! setup_wait "$n" "$t0"; then
		# time is up: no new connection (the clients stopped), let the
		# handoffs under way finish, measure what there is
		log "only $(($(active) - base)) sessions active after $((($(now_ms) - t0) / 1000)) s: stopping the clients"
		kill -STOP "${CLI_PIDS[@]}" 2> /dev/null
		t_setup=$((($(now_ms) - t0) / 1000))
		a0=-1
		while [ "$(active)" != "$a0" ]; do a0=$(active); tsp_sleep 3; done
	else
		t_setup=$((($(now_ms) - t0) / 1000))
	fi
	got=$(($(active) - base))
	have=$n
	log "$got idle spliced sessions, the last $((n - ${prev:-0})) set up in $t_setup s ($(cat cli*.ready 2> /dev/null | tr '\n' ' '))"
	prev=$n
	[ "$got" -gt 0 ] || fail "no session reached the kernel"
	tsp_sleep 2
	slab_snap slab1
	avail=$(awk '$1 == "MemAvailable:" { printf "%d", $2 / 1024 }' /proc/meminfo)
	task_snap ta
	px0=$(proc_cpu_ticks $SWPID)
	t1=$(now_ms)
	rounds "amid$n"
	amid=("${k_mb[@]}") amid_c1=("${k_c1[@]}") ramid=("${r_mb[@]}")
	task_snap tb
	log "amid $got sessions: switchd-kernel ${amid[*]} Mbit/s, CPU1 ${amid_c1[*]} s/GiB; routed ${ramid[*]} Mbit/s; MemAvailable $avail MiB; switchd used $(($(proc_cpu_ticks $SWPID) - px0)) ticks in $((($(now_ms) - t1) / 1000)) s"
	{
		echo "# $got sessions: tasks with the most CPU (ticks) during the downloads amid them"
		task_top ta tb
	} | tee -a "$TSP_OUT/bench-scale-tasks.txt"

	# memory per session (from before the first step)
	awk -v n="$got" 'FNR == NR { a[$1] = $2; next } { d = $2 - a[$1]; if (d != 0) printf "%s\t%d\t%.1f\n", $1, d, d / n }' \
		slab0 slab1 | sort -t'	' -k2,2nr > slab.delta
	{
		printf 'cache\tdelta_bytes\tbytes_per_session\n'
		cat slab.delta
	} > "$TSP_OUT/bench-scale-slab.tsv"
	total=$(awk -F'\t' '$1 != "tsp_session" { s += $2 } END { print s + 0 }' slab.delta)
	sesscache=$(awk -F'\t' '$1 == "tsp_session" { print $2 }' slab.delta)
	percpu=$(awk -F'\t' '$1 == "Percpu" { print $2 }' slab.delta)
	tcp=$(awk -F'\t' '$1 == "TCP" { print $2 }' slab.delta)
	mm=$(median "${amid[@]}")
	rmm=$(median "${ramid[@]}")
	cm=$(median "${amid_c1[@]}")
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$got" "$t_setup" \
		"$(awk -v t="$total" -v n="$got" 'BEGIN { printf "%.0f", t / n }')" \
		"$(awk -v t="${sesscache:-0}" -v n="$got" 'BEGIN { printf "%.0f", t / n }')" \
		"$(awk -v t="${percpu:-0}" -v n="$got" 'BEGIN { printf "%.0f", t / n }')" \
		"$(awk -v t="${tcp:-0}" -v n="$got" 'BEGIN { printf "%.0f", t / n }')" \
		"$ma" "$mm" "$(ratio "$ma" "$mm")" \
		"${alone[*]}" "${amid[*]}" "$avail" "$n" "$rma" "$rmm" "$(ratio "$rma" "$rmm")" \
		"$ca" "$cm" "$(ratio "$ca" "$cm")" "$EHASH" >> "$TSP_OUT/bench-scale.tsv"
	# a step that fell short ends the ladder
	[ "$got" -ge "$n" ] || { log "step $n: only $got sessions; no further step"; break; }
done
# GET at scale: one tcpspliceadm process asks for GET_IDS sessions one
# request each, the newest (the end of the module's list: a GET that
# walked the list from its head would walk it all) and as many unknown ids
# (a walk would find nothing); one id alone is the process's own cost,
# taken off.  Output: bench-scale-get.tsv.
GET_IDS=${SCALE_GET_IDS:-1000}
ADM=$TSP_ROOT/build/userland/tcpspliceadm
# get_ms IDS...: milliseconds for one tcpspliceadm get of IDS
get_ms() {
	local t0
	t0=$(now_ms)
	in_ns proxy "$ADM" -j get "$@" > get.out 2> get.err
	echo $(($(now_ms) - t0))
}
if [ -x "$ADM" ] && [ "${got:-0}" -gt 0 ]; then
	in_ns proxy "$ADM" -j list | jq -r '.[].id' | sort -n > ids.all
	mapfile -t live < <(tail -n "$GET_IDS" ids.all)
	top=$(tail -n 1 ids.all)
	mapfile -t unknown < <(seq $((top + 1000000)) $((top + 1000000 + ${#live[@]} - 1)))
	one=() live_ms=() unk_ms=()
	for r in 1 2 3; do
		one+=("$(get_ms "${live[-1]}")")
		live_ms+=("$(get_ms "${live[@]}")")
		[ "$(wc -l < get.out)" = "${#live[@]}" ] ||
			fail "get of the ${#live[@]} newest ids showed $(wc -l < get.out): $(head -n 2 get.err)"
		unk_ms+=("$(get_ms "${unknown[@]}")")
		[ "$(grep -c 'no such session' get.err)" = "${#unknown[@]}" ] ||
			fail "get of ${#unknown[@]} unknown ids: $(grep -c 'no such session' get.err) refused"
	done
	o=$(median "${one[@]}") l=$(median "${live_ms[@]}") u=$(median "${unk_ms[@]}")
	# per MS: microseconds per GET beyond the first, in a run of MS ms
	per() { awk -v t="$1" -v o="$o" -v n="${#live[@]}" 'BEGIN { printf "%.0f", (t - o) * 1000 / (n - 1) }'; }
	nall=$(wc -l < ids.all) lus=$(per "$l") uus=$(per "$u")
	log "get amid $nall sessions: one id ${one[*]} ms; ${#live[@]} newest ${live_ms[*]} ms ($lus us each); ${#unknown[@]} unknown ${unk_ms[*]} ms ($uus us each)"
	printf 'sessions\tids\tone_ms\tnewest_ms\tunknown_ms\tnewest_us_per_get\tunknown_us_per_get\n%s\t%s\t%s\t%s\t%s\t%s\t%s\n' \
		"$nall" "${#live[@]}" "$o" "$l" "$u" "$lus" "$uus" > "$TSP_OUT/bench-scale-get.tsv"
fi
# A filtered flush at scale: the sessions of the last listener port, at
# the end of the module's list (ids grow along it), the worst case for a
# flush that would walk the list once per session it ends.
if [ -x "$ADM" ] && [ "${got:-0}" -gt 0 ]; then
	a0=$(active) t0=$(now_ms)
	in_ns proxy "$ADM" flush --port $((8010 + NPORTS - 1)) > flush.out 2>&1 ||
		log "tcpspliceadm flush: $(cat flush.out)"
	ms=$(($(now_ms) - t0)) a1=$(active)
	log "flush --port $((8010 + NPORTS - 1)): $((a0 - a1)) of $a0 sessions ended in $ms ms"
	printf 'sessions\tflushed\tflush_ms\n%s\t%s\t%s\n' "$a0" $((a0 - a1)) "$ms" \
		> "$TSP_OUT/bench-scale-flush.tsv"
fi
cat "$TSP_OUT/bench-scale.tsv"
head -n 8 "$TSP_OUT/bench-scale-slab.tsv"
kill -0 $SWPID 2> /dev/null || fail "switchd died"
exit 0
