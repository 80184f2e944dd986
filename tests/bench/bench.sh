#!/bin/bash
# make bench (issue 7): every contender on the same topology in one VM run.
#   routed          the proxy namespace only forwards IP (the ceiling)
#   ipvs            IPVS NAT (ipvsadm -m), the kernel's L4 balancer
#   haproxy-copy    Debian's HAProxy (mode tcp for bulk, mode http for web)
#   haproxy-splice  the same with option splice-request/splice-response
#   switchd-copy, switchd-pipe, switchd-kernel (tcp_splice), switchd-auto
#                   (splice auto, switchd's default splice-after unless
#                   AUTO_AFTER is set; web only)
# Workloads (contenders interleaved within a round):
#   bulk   one iperf3 flow of BULK_SIZE each way (-n; -R for the download),
#          BULK_ROUNDS rounds;
#   par    PAR_STREAMS (8) parallel flows (-P), BULK_SIZE in all, each way,
#          PAR_ROUNDS rounds, PAR_CONTENDERS (all of the bulk ones; QUICK:
#          routed, haproxy-splice, switchd-kernel);
#   gro    the bulk flow with GRO on on every veth, GRO_ROUNDS rounds,
#          GRO_CONTENDERS (routed, haproxy-splice, switchd-kernel);
#   loss   one flow of LOSS_SIZE each way with LOSS_PCT (1) % netem loss on
#          both endpoints' egress, LOSS_ROUNDS rounds, LOSS_CONTENDERS
#          (routed, haproxy-splice, switchd-kernel);
#   short  short connections (tsb_rr: a connection per request, SHORT_CONC
#          at once, SHORT_SECS seconds) fetching 1 KiB, 64 KiB and 1 MiB
#          from swd_httpd.
# CPU split: endpoints on CPU0, middle box on CPU1 (tests/bench/_bench.bash).
# Output in $TSP_OUT: bench-bulk.tsv (bulk, par, gro, loss rows),
# bench-short.tsv, bench-meta.txt; tests/bench/report.bash turns them into
# tables and plots on the host.
# QUICK=1 (make bench QUICK=1): 32 MiB (16 MiB under loss), 1 round of
# each, 2 s per short run, short responses of 1 KiB and 1 MiB only.
# timeout: 2400
. "$TSP_ROOT/tests/lib.sh"
. "$TSP_ROOT/tests/bench/_bench.bash"

need_cmd iperf3 haproxy ipvsadm taskset jq
[ -x "$SWITCHD" ] && [ -x "$HTTPD" ] || skip "switchd not built"
[ -x "$TSP_TOOLS/tsb_rr" ] || skip "tsb_rr not built"
bench_config
t_start=$(now_ms)

# This script and everything it starts run on CPU0 unless pinned elsewhere.
taskset -pc 0 $$ > /dev/null || fail "taskset"
modprobe ip_vs || fail "modprobe ip_vs"
topo_up
mod_load
# short connections: the module's TIME_WAIT record of a spliced session
# drops a new SYN on the same 4-tuple; keep it short and the ports wide
in_ns proxy sh -c 'echo 1 > /proc/sys/net/tcp_splice/timeout_timewait' || fail "timeout_timewait"
for ns in client proxy; do
	in_ns $ns sh -c 'echo "1024 65535" > /proc/sys/net/ipv4/ip_local_port_range; echo 1 > /proc/sys/net/ipv4/tcp_tw_reuse'
done

BULK=$TSP_OUT/bench-bulk.tsv
SHORT=$TSP_OUT/bench-short.tsv
META=$TSP_OUT/bench-meta.txt
{
	echo "date	$(date -u +%Y-%m-%dT%H:%MZ)"
	echo "kernel	$(uname -r)"
	echo "cpus	$(nproc --all) vCPU ($(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)), QEMU TCG"
	echo "quick	$QUICK"
	echo "bulk_size	$BULK_SIZE"
	echo "bulk_rounds	$BULK_ROUNDS"
	echo "short_rounds	$SHORT_ROUNDS"
	echo "short_secs	$SHORT_SECS"
	echo "short_conc	$SHORT_CONC"
	echo "auto_after	${AUTO_AFTER:-default}"
	echo "par_streams	$PAR_STREAMS"
	echo "par_rounds	$PAR_ROUNDS"
	echo "gro_rounds	$GRO_ROUNDS"
	echo "loss_pct	$LOSS_PCT"
	echo "loss_size	$LOSS_SIZE"
	echo "loss_rounds	$LOSS_ROUNDS"
	echo "overrides	${BENCH_OVERRIDDEN:--}"
	echo "guest_mem_mib	$(awk '$1 == "MemTotal:" { printf "%d", $2 / 1024 }' /proc/meminfo)"
	echo "haproxy	$(haproxy -v | awk 'NR == 1 { print $3 }')"
	echo "iperf3	$(iperf3 -v | awk 'NR == 1 { print $2 }')"
	echo "module	$(modinfo -F version "${TSP_KO:-}" 2> /dev/null || echo -)"
} > "$META"
printf 'workload\tcontender\tdir\tround\tbytes\tsecs\tmbps\tc1_ticks\tc1_user\tc1_sys\tc1_irqsoft\tc0_ticks\tall_ticks\tproxy_ticks\tnetrx_cpu0\tnetrx_cpu1\tstatus\tc1_idle_ticks\twall_us\tretransmits\tstreams\n' > "$BULK"
printf 'workload\tcontender\tsize\tround\tok\tfail\tsecs\trps\tp50_us\tp90_us\tp99_us\tc1_ticks\tall_ticks\tproxy_ticks\tstatus\tc1_idle_ticks\twall_us\n' > "$SHORT"

in_ns server taskset -c 0 iperf3 -s -D -p 5201 --logfile "$PWD/iperf-s.log" || fail "iperf3 -s"
mkdir -p www
for s in $SHORT_SIZES; do head -c "$(size_bytes "$s")" /dev/urandom > "www/$s"; done
ip netns exec server taskset -c 0 "$HTTPD" -l "$SRV:80" -r "$PWD/www" -n srv --ready httpd.ready \
	> httpd.log 2>&1 &
wait_until 10 test -e httpd.ready || fail "swd_httpd did not start"
proxies_up
# switchd-auto's threshold as switchd applies it
if [ -e switchd-auto.conf ]; then
	sa=$(ip netns exec proxy "$SWITCHD" -t -v -f switchd-auto.conf 2> /dev/null |
		sed -n 's/^ *splice-after \([0-9]*\)$/\1/p; s/^ *# splice-after: by mode (auto \([0-9]*\).*/\1/p')
	echo "auto_after_bytes	${sa:--}" >> "$META"
	log "switchd-auto: splice-after ${sa:-?} bytes (AUTO_AFTER=${AUTO_AFTER:-unset})"
fi
listening_srv() { ip netns exec server ss -Hltn "sport = :5201" | grep -q LISTEN; }
wait_until 10 listening_srv || fail "iperf3 server not listening"

# bulk_one CONTENDER up|down ROUND: one iperf3 transfer; a row of $BULK.
# WL (workload, default bulk), CNAME (contender's name in the row), SIZE
# (default BULK_SIZE) and STREAMS (iperf3 -P, default 1) from the caller.
BAD=0
bulk_one() {
	local c=$1 dir=$2 r=$3 addr port rev= pid=${PPID_OF[$1]:-} st=ok bytes secs mbps retr
	local size=${SIZE:-$BULK_SIZE} np=${STREAMS:-1} wl=${WL:-bulk}
	read -r addr port <<< "$(target "$c" bulk)"
	[ "$dir" = down ] && rev=-R
	[ "$c" = ipvs ] && { ipvs_on || fail "ipvsadm"; }
	snap_begin "$pid"
	in_ns client taskset -c 0 timeout 300 iperf3 -c "$addr" -p "$port" -n "$size" -P "$np" $rev \
		--connect-timeout 5000 -J > iperf.json 2> iperf.err || st=fail
	snap_end "$pid"
	[ "$c" = ipvs ] && ipvs_off
	retr=-
	if [ $st = ok ]; then
		read -r bytes secs mbps retr < <(jq -r '.end | "\(.sum_sent.bytes) \(.sum_received.seconds * 1000 | round / 1000) \(.sum_received.bits_per_second / 1e5 | round / 10) \(.sum_sent.retransmits // "-")"' iperf.json)
		[ "${bytes:-0}" -ge "$(size_bytes "$size")" ] 2> /dev/null || st=short
	fi
	if [ $st != ok ]; then
		BAD=$((BAD + 1))
		log "$c $dir round $r: $st: $(jq -r '.error // empty' iperf.json 2> /dev/null) $(head -c 300 iperf.err)"
		cp iperf.json "$TSP_OUT/bench-fail-$wl-$c-$dir-$r.json" 2> /dev/null
		bytes=${bytes:-0} secs=${secs:-0} mbps=NA
	fi
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$wl" \
		"${CNAME:-$c}" "$dir" "$r" "$bytes" "$secs" "$mbps" "$D_c1" "$D_c1u" "$D_c1s" "$D_c1i" \
		"$D_c0" "$D_all" "$D_px" "$D_rx0" "$D_rx1" $st "$D_c1idle" "$D_us" "$retr" "$np" >> "$BULK"
	log "$wl $c $dir r$r: ${mbps} Mbit/s, retransmits $retr, cpu1 ${D_c1} ticks (usr $D_c1u sys $D_c1s irq+softirq $D_c1i), cpu0 $D_c0, proxy $D_px, NET_RX cpu0 $D_rx0 cpu1 $D_rx1"
}

# short_one CONTENDER SIZE ROUND: one tsb_rr run; a row of $SHORT.
short_one() {
	local c=$1 s=$2 r=$3 addr port pid=${PPID_OF[$1]:-} st=ok out
	read -r addr port <<< "$(target "$c" web)"
	snap_begin "$pid"
	out=$(in_ns client taskset -c 0 "$TSP_TOOLS/tsb_rr" -c "$SHORT_CONC" -t "$SHORT_SECS" \
		-p "/$s" --expect-len "$(size_bytes "$s")" --timeout 20 "$addr:$port") || st=fail
	snap_end "$pid"
	[ -n "$out" ] || { out="ok=0 fail=0 rps=0"; st=fail; }
	local -A k=()
	local f
	for f in $out; do k[${f%%=*}]=${f#*=}; done
	# some requests failed: the run counts, its failures are reported
	[ $st = fail ] && [ "${k[ok]:-0}" -gt 0 ] && st=partial
	[ $st = ok ] || { BAD=$((BAD + 1)); log "$c $s round $r: $st: $out"; }
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' short "$c" "$s" "$r" \
		"${k[ok]:-0}" "${k[fail]:-0}" "$((D_us / 1000))" "${k[rps]:-0}" "${k[p50_us]:-0}" \
		"${k[p90_us]:-0}" "${k[p99_us]:-0}" "$D_c1" "$D_all" "$D_px" $st "$D_c1idle" "$D_us" >> "$SHORT"
	log "$c $s r$r: $out cpu1 $D_c1 proxy $D_px"
}

# ---- method check: CPU1 idle, routed without and with the RPS split ------
snap_begin
tsp_sleep 3
snap_end
printf 'check\tidle\t-\t0\t0\t%s\t0\t%s\t%s\t%s\t%s\t%s\t%s\t-\t%s\t%s\tok\t%s\t%s\n' "$((D_us / 1000))e-3" \
	"$D_c1" "$D_c1u" "$D_c1s" "$D_c1i" "$D_c0" "$D_all" "$D_rx0" "$D_rx1" "$D_c1idle" "$D_us" >> "$BULK"
log "idle 3 s: cpu1 $D_c1 ticks (usr $D_c1u sys $D_c1s irq+softirq $D_c1i), idle $D_c1idle; cpu0 $D_c0"
log "method check: one routed download without RPS, then with"
task_snap t0
WL=check CNAME=routed-norps bulk_one routed down 0
task_snap t1
bench_rps
WL=check CNAME=routed-rps bulk_one routed down 0
task_snap t2
{
	echo "# tasks with the most CPU (ticks) during the routed download without RPS"
	task_top t0 t1
	echo "# the same with RPS"
	task_top t1 t2
} > "$TSP_OUT/bench-check-tasks.txt"
sed 's/^/# /' "$TSP_OUT/bench-check-tasks.txt"

# ---- bulk --------------------------------------------------------------
for r in $(seq 1 "$BULK_ROUNDS"); do
	for dir in down up; do
		for c in $BULK_CONTENDERS; do
			bulk_one "$c" "$dir" "$r"
		done
	done
done
log "bulk done after $((($(now_ms) - t_start) / 1000)) s"

# ---- parallel flows --------------------------------------------------------
for r in $(seq 1 "$PAR_ROUNDS"); do
	for dir in down up; do
		for c in $PAR_CONTENDERS; do
			WL=par STREAMS=$PAR_STREAMS bulk_one "$c" "$dir" "$r"
		done
	done
done
log "par done after $((($(now_ms) - t_start) / 1000)) s"

# ---- GRO on --------------------------------------------------------------
# gro_set on|off: GRO on every veth (veth's GRO runs in its NAPI poll on
# the transmitting CPU, before the RPS steering)
gro_set() {
	in_ns client ethtool -K c0 gro "$1" && in_ns proxy ethtool -K p0 gro "$1" &&
		in_ns proxy ethtool -K p1 gro "$1" && in_ns server ethtool -K s0 gro "$1"
}
if [ -n "$GRO_CONTENDERS" ] && [ "$GRO_ROUNDS" -gt 0 ]; then
	gro_set on || fail "ethtool -K gro on"
	for r in $(seq 1 "$GRO_ROUNDS"); do
		for dir in down up; do
			for c in $GRO_CONTENDERS; do
				WL=gro bulk_one "$c" "$dir" "$r"
			done
		done
	done
	gro_set off || fail "ethtool -K gro off"
	log "gro done after $((($(now_ms) - t_start) / 1000)) s"
fi

# ---- loss ----------------------------------------------------------------
if [ -n "$LOSS_CONTENDERS" ] && [ "$LOSS_ROUNDS" -gt 0 ]; then
	tc -n client qdisc add dev c0 root netem loss "$LOSS_PCT%" || fail "netem on c0"
	tc -n server qdisc add dev s0 root netem loss "$LOSS_PCT%" || fail "netem on s0"
	for r in $(seq 1 "$LOSS_ROUNDS"); do
		for dir in down up; do
			for c in $LOSS_CONTENDERS; do
				WL=loss SIZE=$LOSS_SIZE bulk_one "$c" "$dir" "$r"
			done
		done
	done
	tc -n client qdisc del dev c0 root || fail "netem off c0"
	tc -n server qdisc del dev s0 root || fail "netem off s0"
	log "loss done after $((($(now_ms) - t_start) / 1000)) s"
fi

# ---- short connections ---------------------------------------------------
for r in $(seq 1 "$SHORT_ROUNDS"); do
	for s in $SHORT_SIZES; do
		for c in $SHORT_CONTENDERS; do
			short_one "$c" "$s" "$r"
			# let the module's TIME_WAIT records (1 s) expire between runs
			[[ $c == switchd-kernel || $c == switchd-auto ]] && tsp_sleep 1.2
		done
	done
done
log "short done after $((($(now_ms) - t_start) / 1000)) s"

in_ns proxy cat /proc/net/stat/tcp_splice > "$TSP_OUT/bench-tcp_splice-stat.txt" 2>&1
# where the proxies' CPU went, per thread (whole run)
for c in "${!PPID_OF[@]}"; do
	for t in /proc/"${PPID_OF[$c]}"/task/*; do
		read -r st < "$t/stat" || continue
		read -r -a a <<< "${st##*) }"
		printf '%s\t%s\t%s\t%s\n' "$c" "${t##*/}" "$(< "$t/comm")" $((a[11] + a[12]))
	done
done > "$TSP_OUT/bench-proxy-threads.tsv"
cp "$PWD"/switchd-*.log "$TSP_OUT/" 2> /dev/null
for c in "${!PPID_OF[@]}"; do
	kill -0 "${PPID_OF[$c]}" 2> /dev/null || log "WARNING: $c (pid ${PPID_OF[$c]}) died during the run"
done
echo "bench: $((($(now_ms) - t_start) / 1000)) s, $BAD failed measurements; results in $TSP_OUT/bench-*.tsv"
[ $BAD = 0 ] || fail "$BAD measurements failed (see the log above)"
exit 0
