#!/bin/bash
# Bulk throughput of one 200 MiB client->server flow (iperf3), same VM run,
# several rounds, for: routed (the proxy namespace only forwards IP: the
# ceiling), spliced (tsp_proxy, drained handoff, tcp_splice forwards), and
# copy (tsp_proxy relaying in user space).  Reports the median receiver
# throughput and the proxy process's CPU time (utime+stime) per contender.
# Numbers under TCG emulation swing ~40% between runs: compare within a run.
# timeout: 900
. "$TSP_ROOT/tests/lib.sh"
T=$TSP_TOOLS
ROUNDS=${ROUNDS:-3}
SIZE=${SIZE:-200M}
topo_up
mod_load
in_ns server iperf3 -s -D -p 5201 --logfile "$TSP_OUT/iperf-s.log" || fail "iperf3 -s"
sleep 0.5
declare -A tput cpu
mbps() { awk '/receiver/ { for (i = 1; i <= NF; i++) if ($i ~ /bits\/sec/) print $(i-1) }' "$1"; }
median() { printf '%s\n' "$@" | sort -g | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
for r in $(seq 1 "$ROUNDS"); do
	in_ns client iperf3 -c 10.0.2.1 -p 5201 -n "$SIZE" -f m > "$TSP_OUT/ip.txt" 2>&1 ||
		fail "routed iperf3"
	tput[routed]+="$(mbps "$TSP_OUT/ip.txt") "
	for mode in drained copy; do
		rm -f "$TSP_OUT/ready"
		in_ns proxy "$T/tsp_proxy" --mode "$mode" --count 2 --concurrent \
			--timeout 300 --ready-file "$TSP_OUT/ready" 8000 10.0.2.1 5201 \
			> "$TSP_OUT/proxy.txt" 2>&1 &
		p=$!
		wait_until 10 test -e "$TSP_OUT/ready" || fail "proxy not ready"
		in_ns client iperf3 -c 10.0.1.2 -p 8000 -n "$SIZE" -f m > "$TSP_OUT/ip.txt" 2>&1 ||
			fail "$mode iperf3"
		wait $p
		name=$([ $mode = drained ] && echo spliced || echo copy)
		tput[$name]+="$(mbps "$TSP_OUT/ip.txt") "
		t=$(awk '/^proxy / { for (i = 1; i <= NF; i++) if ($i ~ /^cpu_ticks=/) { sub("cpu_ticks=", "", $i); print $i } }' "$TSP_OUT/proxy.txt")
		cpu[$name]+="$t "
	done
done
{
	echo "contender  median_Mbit/s  rounds_Mbit/s              proxy_cpu_s(median)"
	for c in routed spliced copy; do
		# shellcheck disable=SC2086
		m=$(median ${tput[$c]})
		if [ -n "${cpu[$c]:-}" ]; then
			# shellcheck disable=SC2086
			cs=$(median ${cpu[$c]}); cs=$(awk -v t="$cs" 'BEGIN { printf "%.2f", t / 100 }')
		else
			cs=-
		fi
		printf '%-10s %-14s %-26s %s\n' "$c" "$m" "${tput[$c]}" "$cs"
	done
} | tee "$TSP_OUT/bench.txt"
in_ns proxy cat /proc/net/stat/tcp_splice | grep -E "^(pkts|bytes|drop)" | grep -v " 0$"
exit 0
