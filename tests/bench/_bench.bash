# shellcheck shell=bash
# Helpers of the benchmark suite (tests/bench/bench.sh).  Source after
# tests/lib.sh.  Not a case itself (the runner only runs *.sh).
#
# The CPU split (issue 7): the guest's two vCPUs are divided into
#   CPU0  the endpoints: client and server programs (taskset -c 0), the
#         bench script itself, and the receive processing of the client's
#         and server's veths (RPS: rps_cpus = 1 on c0 and s0), and the
#         RCU grace-period kthread (guest housekeeping);
#   CPU1  the middle box: the proxy process (taskset -c 1) and the receive
#         processing of the proxy namespace's veths (rps_cpus = 2 on p0,
#         p1), i.e. IP forwarding, IPVS, netfilter and tcp_splice's hook,
#         and the proxy sockets' TCP receive path.
# veth has no interrupt: veth_xmit() hands each skb to netif_rx() of the
# peer, and with an RPS map the skb is queued to the backlog of the CPU the
# map names (an IPI wakes its NET_RX softirq), whichever CPU transmitted.
# A packet the client sends is therefore received and forwarded on CPU1 and
# delivered to the server's TCP on CPU0.  The busy time of CPU1 in
# /proc/stat (user+nice+system+irq+softirq+steal) per GiB moved is then the
# middle box's cost, whatever the contender.  Those fields are sampled at
# the tick; CPU1's idle field is not (NO_HZ idle accounting), so the rows
# also carry CPU1's idle ticks and the wall time: wall - idle is a second,
# unsampled, estimate of CPU1's busy time.

# Settings: QUICK comes on the guest's kernel command line
# (tsp_bench_quick=0|1, from make bench QUICK=...: a file in build/ could
# vanish under a running VM when someone cleans the shared tree); optional
# overrides of the variables below (for a partial run by hand) in
# BENCH_OVERRIDES, build/bench-overrides.conf by default.
BENCH_OVERRIDES=${BENCH_OVERRIDES:-$TSP_ROOT/build/bench-overrides.conf}
VIP=10.0.1.2
SRV=10.0.2.1

# bench_config: QUICK, sizes, rounds, contenders per workload.
bench_config() {
	local a
	QUICK=${QUICK:-}
	for a in $(< /proc/cmdline); do
		case $a in tsp_bench_quick=*) QUICK=${a#*=} ;; esac
	done
	BENCH_OVERRIDDEN=
	if [ -r "$BENCH_OVERRIDES" ]; then
		# shellcheck disable=SC1090
		. "$BENCH_OVERRIDES"
		BENCH_OVERRIDDEN=$(grep -v '^[[:space:]]*\(#\|$\)' "$BENCH_OVERRIDES" | tr '\n' ' ')
		echo "# bench: overrides from $BENCH_OVERRIDES: $BENCH_OVERRIDDEN"
	fi
	if [ -n "$QUICK" ] && [ "$QUICK" != 0 ]; then
		QUICK=1
		BULK_SIZE=${BULK_SIZE:-32M}
		BULK_ROUNDS=${BULK_ROUNDS:-1}
		PAR_ROUNDS=${PAR_ROUNDS:-1}
		GRO_ROUNDS=${GRO_ROUNDS:-1}
		LOSS_SIZE=${LOSS_SIZE:-16M}
		LOSS_ROUNDS=${LOSS_ROUNDS:-1}
		SHORT_ROUNDS=${SHORT_ROUNDS:-1}
		SHORT_SECS=${SHORT_SECS:-2}
		SHORT_SIZES=${SHORT_SIZES:-1K 1M}
	else
		QUICK=0
		BULK_SIZE=${BULK_SIZE:-200M}
		BULK_ROUNDS=${BULK_ROUNDS:-3}
		PAR_ROUNDS=${PAR_ROUNDS:-2}
		GRO_ROUNDS=${GRO_ROUNDS:-2}
		LOSS_SIZE=${LOSS_SIZE:-100M}
		LOSS_ROUNDS=${LOSS_ROUNDS:-2}
		SHORT_ROUNDS=${SHORT_ROUNDS:-2}
		SHORT_SECS=${SHORT_SECS:-5}
	fi
	SHORT_CONC=${SHORT_CONC:-8}
	SHORT_SIZES=${SHORT_SIZES:-1K 64K 1M}
	# switchd-auto's splice-after: empty = not set, switchd's own default
	AUTO_AFTER=${AUTO_AFTER:-}
	PAR_STREAMS=${PAR_STREAMS:-8}
	LOSS_PCT=${LOSS_PCT:-1}
	BULK_CONTENDERS=${BULK_CONTENDERS:-routed ipvs haproxy-copy haproxy-splice switchd-copy switchd-pipe switchd-kernel}
	# QUICK: 8 flows through the three of the targets only
	if [ "$QUICK" = 1 ]; then
		PAR_CONTENDERS=${PAR_CONTENDERS-routed haproxy-splice switchd-kernel}
	else
		PAR_CONTENDERS=${PAR_CONTENDERS-$BULK_CONTENDERS}
	fi
	GRO_CONTENDERS=${GRO_CONTENDERS-routed haproxy-splice switchd-kernel}
	LOSS_CONTENDERS=${LOSS_CONTENDERS-routed haproxy-splice switchd-kernel}
	SHORT_CONTENDERS=${SHORT_CONTENDERS-routed haproxy-copy haproxy-splice switchd-copy switchd-pipe switchd-kernel switchd-auto}
}

# size_bytes SIZE: 200M -> 209715200 (K, M, G: powers of 1024).
size_bytes() {
	case $1 in
	*K) echo $((${1%K} * 1024)) ;;
	*M) echo $((${1%M} * 1048576)) ;;
	*G) echo $((${1%G} * 1073741824)) ;;
	*) echo "$1" ;;
	esac
}

# bench_rps: steer receive processing (see the top of this file), and move
# the RCU grace-period kthread to CPU0: it is the guest's housekeeping,
# the same for every contender, and it was the largest item on CPU1 for
# the light ones (146 ticks during a routed download with RPS).
bench_rps() {
	local p
	for p in $(pgrep -x 'rcu_preempt|rcu_sched'); do
		taskset -pc 0 "$p" > /dev/null 2>&1 || log "cannot move $(cat /proc/$p/comm) [$p] to CPU0"
	done
	ip netns exec proxy sh -c 'for d in p0 p1; do echo 2 > /sys/class/net/$d/queues/rx-0/rps_cpus; done' ||
		fail "rps_cpus on the proxy's veths"
	ip netns exec client sh -c 'echo 1 > /sys/class/net/c0/queues/rx-0/rps_cpus' ||
		fail "rps_cpus on c0"
	ip netns exec server sh -c 'echo 1 > /sys/class/net/s0/queues/rx-0/rps_cpus' ||
		fail "rps_cpus on s0"
}

# snap: CPU counters now, into S_* (USER_HZ ticks; NET_RX softirq counts).
snap() {
	local n u ni s id io irq si st rest l
	while read -r n u ni s id io irq si st rest; do
		case $n in
		cpu) S_all=$((u + ni + s + irq + si + st)) ;;
		cpu0) S_c0=$((u + ni + s + irq + si + st)) ;;
		cpu1)
			S_c1=$((u + ni + s + irq + si + st)) S_c1u=$((u + ni)) S_c1s=$s S_c1i=$((irq + si))
			S_c1idle=$((id + io))
			break ;;
		esac
	done < /proc/stat
	while read -r l; do
		if [[ $l == NET_RX:* ]]; then
			read -r _ S_rx0 S_rx1 _ <<< "$l"
			break
		fi
	done < /proc/softirqs
	S_t=${EPOCHREALTIME/./}
}

# snap_begin / snap_end PID: deltas since snap_begin into D_* (D_px: the
# process PID's utime+stime, "-" without a PID).
snap_begin() {
	snap
	B_all=$S_all B_c0=$S_c0 B_c1=$S_c1 B_c1u=$S_c1u B_c1s=$S_c1s B_c1i=$S_c1i
	B_rx0=$S_rx0 B_rx1=$S_rx1 B_t=$S_t B_c1idle=$S_c1idle
	B_px=-
	[ -n "${1:-}" ] && B_px=$(proc_cpu_ticks "$1")
}
snap_end() {
	snap
	D_all=$((S_all - B_all)) D_c0=$((S_c0 - B_c0)) D_c1=$((S_c1 - B_c1))
	D_c1u=$((S_c1u - B_c1u)) D_c1s=$((S_c1s - B_c1s)) D_c1i=$((S_c1i - B_c1i))
	D_rx0=$((S_rx0 - B_rx0)) D_rx1=$((S_rx1 - B_rx1)) D_us=$((S_t - B_t))
	D_c1idle=$((S_c1idle - B_c1idle))
	D_px=-
	if [ -n "${1:-}" ] && [ "$B_px" != - ]; then
		local p
		p=$(proc_cpu_ticks "$1") && D_px=$((p - B_px))
	fi
}

# ---- contenders ---------------------------------------------------------
# Ports on the proxy address 10.0.1.2: bulk (TCP, to iperf3 on
# 10.0.2.1:5201) and web (HTTP, to swd_httpd on 10.0.2.1:80).
declare -A BULK_PORT=([ipvs]=8000 [haproxy-copy]=8001 [haproxy-splice]=8002
	[switchd-copy]=8003 [switchd-pipe]=8004 [switchd-kernel]=8005 [switchd-auto]=8006)
declare -A WEB_PORT=([haproxy-copy]=8101 [haproxy-splice]=8102
	[switchd-copy]=8103 [switchd-pipe]=8104 [switchd-kernel]=8105 [switchd-auto]=8106)
declare -A PPID_OF=()	# contender -> pid of its proxy process (CPU accounting)

SWITCHD=$TSP_ROOT/build/switchd/switchd
HTTPD=$TSP_ROOT/build/switchd/swd_httpd

# target CONTENDER KIND: "ADDR PORT" a client connects to (KIND bulk|web).
target() {
	if [ "$1" = routed ]; then
		[ "$2" = bulk ] && echo "$SRV 5201" || echo "$SRV 80"
	elif [ "$2" = bulk ]; then
		echo "$VIP ${BULK_PORT[$1]}"
	else
		echo "$VIP ${WEB_PORT[$1]}"
	fi
}

# start_haproxy copy|splice: Debian's HAProxy, one thread, on CPU1.
start_haproxy() {
	local v=$1 c=haproxy-$1 opt=
	[ "$v" = splice ] && opt="    option splice-request
    option splice-response"
	cat > "$c.cfg" << EOF
global
    nbthread 1
    maxconn 1000
defaults
    timeout connect 5s
    timeout client 300s
    timeout server 300s
$opt
listen bulk
    mode tcp
    bind $VIP:${BULK_PORT[$c]}
    server s1 $SRV:5201
listen web
    mode http
    option forwardfor
    bind $VIP:${WEB_PORT[$c]}
    server w1 $SRV:80
EOF
	haproxy -c -q -f "$c.cfg" || fail "haproxy -c $c.cfg"
	# ip netns exec and taskset exec: $! is haproxy itself
	ip netns exec proxy taskset -c 1 haproxy -db -f "$c.cfg" > "$c.log" 2>&1 &
	PPID_OF[$c]=$!
}

# start_switchd MODE: switchd (one worker) in MODE on CPU1; auto is
# "splice auto" (short exchanges stay in user space, long ones go to the
# kernel) with switchd's default threshold, or "splice-after AUTO_AFTER"
# when set.
start_switchd_bench() {
	local m=$1 c=switchd-$1 extra=
	[ "$m" = auto ] && [ -n "$AUTO_AFTER" ] && extra="    splice-after $AUTO_AFTER"
	cat > "$c.conf" << EOF
global
    splice $m
$extra
    stats-socket $PWD/$c.sock
    log $PWD/$c.sessions
    max-conn 1000
    timeout idle 5m
listener bulk
    bind $VIP:${BULK_PORT[$c]}
    mode tcp
    default-backend iperf
listener web
    bind $VIP:${WEB_PORT[$c]}
    default-backend web
backend iperf
    server s1 $SRV:5201
backend web
    server w1 $SRV:80
EOF
	ip netns exec proxy "$SWITCHD" -t -f "$c.conf" > /dev/null || fail "switchd -t $c.conf"
	ip netns exec proxy taskset -c 1 "$SWITCHD" -f "$c.conf" > "$c.log" 2>&1 &
	PPID_OF[$c]=$!
}

# proxies_up: every proxy contender of BULK/SHORT_CONTENDERS, then wait
# until each listens.
proxies_up() {
	local c all=" $BULK_CONTENDERS $PAR_CONTENDERS $GRO_CONTENDERS $LOSS_CONTENDERS $SHORT_CONTENDERS " port
	for c in haproxy-copy haproxy-splice; do
		[[ $all == *" $c "* ]] && start_haproxy "${c#haproxy-}"
	done
	for c in copy pipe kernel auto; do
		[[ $all == *" switchd-$c "* ]] && start_switchd_bench "$c"
	done
	for c in "${!PPID_OF[@]}"; do
		for port in ${BULK_PORT[$c]:-} ${WEB_PORT[$c]:-}; do
			wait_until 20 listening "$port" || { cat "$c.log" >&2; fail "$c does not listen on $port"; }
		done
		log "$c: pid ${PPID_OF[$c]}, cpus $(taskset -pc "${PPID_OF[$c]}" | sed 's/.*: //')"
	done
}

listening() {
	ip netns exec proxy ss -Hltn "sport = :$1" | grep -q LISTEN
}

# ipvs_on / ipvs_off: the IPVS NAT service VIP:8000 -> SRV:5201 (only while
# the ipvs contender runs: IPVS hooks in only while a service exists).
ipvs_on() {
	ip netns exec proxy ipvsadm -A -t "$VIP:${BULK_PORT[ipvs]}" -s rr &&
		ip netns exec proxy ipvsadm -a -t "$VIP:${BULK_PORT[ipvs]}" -r "$SRV:5201" -m
}
ipvs_off() {
	ip netns exec proxy ipvsadm -C
}

# task_snap FILE: "tid comm ticks cpu" of every task (threads and kernel
# threads included); task_top A B: the 8 that used the most CPU between two
# snapshots, with the CPU they last ran on.
task_snap() {
	local f s rest comm
	local -a a
	for f in /proc/[0-9]*/task/[0-9]*/stat; do
		read -r s 2> /dev/null < "$f" || continue
		comm=${s#*(}
		comm=${comm%)*}
		rest=${s##*) }
		read -r -a a <<< "$rest"
		# a[0] is field 3: utime 14, stime 15, processor 39
		printf '%s %s %s %s\n' "${s%% *}" "${comm// /_}" $((a[11] + a[12])) "${a[36]}"
	done > "$1"
}
task_top() {
	awk 'FNR == NR { t[$1] = $3; next } { d = $3 - (($1 in t) ? t[$1] : 0); if (d > 0) printf "%6d ticks  cpu%s  %s[%s]\n", d, $4, $2, $1 }' \
		"$1" "$2" | sort -rn | head -n 8
}

# median / spread helpers over a list of numbers
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { if (NR % 2) print a[(NR + 1) / 2]; else print (a[NR / 2] + a[NR / 2 + 1]) / 2 }'; }
