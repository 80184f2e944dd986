#!/bin/bash
# Host side of make bench: tables and plots from a run's raw TSV.
#
#   tests/bench/report.bash RUN_DIR [DOC_DIR]
#
# Reads RUN_DIR/bench-{bulk,short}.tsv and bench-meta.txt (written in the
# guest by tests/bench/bench.sh); writes into RUN_DIR
#   bench-summary-bulk.tsv   per contender and direction: medians, min, max
#   bench-summary-{par,gro,loss}.tsv  the same for 8 parallel flows, GRO
#                            on, and loss (when the run has them)
#   bench-summary-short.tsv  per contender and response size
#   benchmarks.md            the Markdown tables, ratios and targets
#   bench-*.png              plots (gnuplot), when gnuplot is installed
# With DOC_DIR (make bench without QUICK: Documentation), also copies
# benchmarks.md to DOC_DIR/benchmarks.md and the TSV and plots to
# DOC_DIR/benchmarks/.
set -eu
export LC_ALL=C
run=${1:?usage: report.bash RUN_DIR [DOC_DIR]}
doc=${2:-}
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$run"
[ -s bench-bulk.tsv ] || { echo "report: no $run/bench-bulk.tsv" >&2; exit 1; }
meta() { awk -F'\t' -v k="$1" '$1 == k { print $2 }' bench-meta.txt; }

# ---- summaries -----------------------------------------------------------
AWK_STATS='
function sortn(a, n,   i, j, t) {
	for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
}
function stat(s, what,   a, n) {
	n = split(s, a, " ")
	if (n == 0) return "-"
	sortn(a, n)
	if (what == "min") return a[1]
	if (what == "max") return a[n]
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}'

# summarize WORKLOAD: bench-bulk.tsv's rows of WORKLOAD -> stdout
summarize() {
awk -F'\t' -v wl="$1" "$AWK_STATS"'
NR == 1 { next }
$1 == wl && $17 == "ok" {
	k = $2 "\t" $3
	if (!(k in n)) order[++nk] = k
	n[k]++
	gib = $5 / 1073741824
	mb[k] = mb[k] " " $7
	c1[k] = c1[k] " " ($8 / 100) / gib
	al[k] = al[k] " " ($13 / 100) / gib
	if ($14 != "-") px[k] = px[k] " " ($14 / 100) / gib
	si[k] = si[k] " " ($8 > 0 ? $11 / $8 : 0)
	if ($19 != "") w1[k] = w1[k] " " (($19 / 10000 - $18) / 100) / gib
	if ($20 != "" && $20 != "-") rt[k] = rt[k] " " $20
}
$1 == wl && $17 != "ok" { k = $2 "\t" $3; bad[k]++; if (!(k in n)) { order[++nk] = k; n[k] = 0 } }
END {
	print "contender\tdir\tn\tfailed\tmbps_med\tmbps_min\tmbps_max\tmbox_cpu_s_gib_med\tmbox_cpu_s_gib_min\tmbox_cpu_s_gib_max\tguest_cpu_s_gib_med\tproxy_cpu_s_gib_med\tmbox_softirq_share\tmbox_wall_minus_idle_s_gib_med\tretransmits_med"
	for (i = 1; i <= nk; i++) {
		k = order[i]
		if (!n[k]) { printf "%s\t0\t%d\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\t-\n", k, bad[k]; continue }
		printf "%s\t%d\t%d\t%s\t%s\t%s\t%.3f\t%.3f\t%.3f\t%.3f\t%s\t%.2f\t%s\t%s\n", k, n[k], bad[k] + 0,
			stat(mb[k], "med"), stat(mb[k], "min"), stat(mb[k], "max"),
			stat(c1[k], "med"), stat(c1[k], "min"), stat(c1[k], "max"), stat(al[k], "med"),
			(k in px) ? sprintf("%.4f", stat(px[k], "med")) : "-", stat(si[k], "med"),
			(k in w1) ? sprintf("%.3f", stat(w1[k], "med")) : "-", (k in rt) ? stat(rt[k], "med") : "-"
	}
}' bench-bulk.tsv
}
summarize bulk > bench-summary-bulk.tsv
wls=()	# the other bulk workloads this run has
for w in par gro loss; do
	rm -f "bench-summary-$w.tsv"
	if awk -F'\t' -v w=$w '$1 == w { f = 1 } END { exit !f }' bench-bulk.tsv; then
		summarize $w > "bench-summary-$w.tsv"
		wls+=("$w")
	fi
done

if [ -s bench-short.tsv ]; then
	awk -F'\t' "$AWK_STATS"'
	NR == 1 { next }
	$1 == "short" {
		k = $2 "\t" $3
		if (!(k in n)) { order[++nk] = k; n[k] = 0 }
		if ($15 == "fail") { bad[k]++; next }
		n[k]++; fr[k] += $6
		rps[k] = rps[k] " " $8; p50[k] = p50[k] " " $9; p99[k] = p99[k] " " $11
		if ($5 > 0) {
			c1[k] = c1[k] " " ($12 * 10000) / $5	# ticks -> us per request
			if ($14 != "-") px[k] = px[k] " " ($14 * 10000) / $5
		}
	}
	END {
		print "contender\tsize\tn\tfailed_runs\tfailed_requests\trps_med\trps_min\trps_max\tp50_ms_med\tp99_ms_med\tmbox_cpu_us_req_med\tproxy_cpu_us_req_med"
		for (i = 1; i <= nk; i++) {
			k = order[i]
			if (!n[k]) { printf "%s\t0\t%d\t0\t-\t-\t-\t-\t-\t-\t-\n", k, bad[k]; continue }
			printf "%s\t%d\t%d\t%d\t%.1f\t%.1f\t%.1f\t%.2f\t%.2f\t%.0f\t%s\n", k, n[k], bad[k] + 0, fr[k],
				stat(rps[k], "med"), stat(rps[k], "min"), stat(rps[k], "max"),
				stat(p50[k], "med") / 1000, stat(p99[k], "med") / 1000, stat(c1[k], "med"),
				(k in px) ? sprintf("%.0f", stat(px[k], "med")) : "-"
		}
	}' bench-short.tsv > bench-summary-short.tsv
fi

# ---- plots -----------------------------------------------------------------
pivot_bulk() {	# COLUMN_MED COLUMN_MIN COLUMN_MAX [SUMMARY] -> contender down(med min max) up(med min max)
	awk -F'\t' -v a="$1" -v b="$2" -v c="$3" 'NR == 1 { next }
		$a == "-" { next }
		!($1 in seen) { seen[$1] = 1; o[++n] = $1 }
		{ v[$1, $2] = $a " " $b " " $c }
		END { for (i = 1; i <= n; i++) print o[i], ((o[i], "down") in v ? v[o[i], "down"] : "0 0 0"),
			((o[i], "up") in v ? v[o[i], "up"] : "0 0 0") }' "${4:-bench-summary-bulk.tsv}"
}
plots=()
if command -v gnuplot > /dev/null; then
	pivot_bulk 5 6 7 > plot-tput.dat
	pivot_bulk 8 9 10 > plot-cpu.dat
	common="set terminal pngcairo size 1000,520 font 'sans,10'
set style data histogram
set style histogram errorbars gap 2 lw 1
set style fill solid 0.8 border -1
set key below
set grid ytics
set xtics rotate by -25 noenhanced
set yrange [0:*]
set title noenhanced"
	gnuplot 2> gnuplot.err << EOF || echo "report: gnuplot failed: $(head -c 300 gnuplot.err)" >&2
$common
set output 'bench-throughput.png'
set title 'One bulk flow of $(meta bulk_size)iB: throughput (median, min-max over $(meta bulk_rounds) rounds; $(meta kernel), $(meta date))'
set ylabel 'Mbit/s'
plot 'plot-tput.dat' using 2:3:4:xtic(1) title 'download (server->client)', '' using 5:6:7 title 'upload (client->server)'
set output 'bench-mbox-cpu.png'
set title 'Middle-box CPU (CPU1: proxy process + proxy-namespace softirq) per GiB moved'
set ylabel 'CPU seconds per GiB'
plot 'plot-cpu.dat' using 2:3:4:xtic(1) title 'download', '' using 5:6:7 title 'upload'
EOF
	plots+=(bench-throughput.png bench-mbox-cpu.png)
	if [ -s bench-summary-par.tsv ]; then
		pivot_bulk 5 6 7 bench-summary-par.tsv > plot-par-tput.dat
		pivot_bulk 8 9 10 bench-summary-par.tsv > plot-par-cpu.dat
		gnuplot 2>> gnuplot.err << EOF || echo "report: gnuplot failed: $(head -c 300 gnuplot.err)" >&2
$common
set output 'bench-par-throughput.png'
set title '$(meta par_streams) parallel flows, $(meta bulk_size)iB in all: throughput (median, min-max over $(meta par_rounds) rounds)'
set ylabel 'Mbit/s'
plot 'plot-par-tput.dat' using 2:3:4:xtic(1) title 'download (server->client)', '' using 5:6:7 title 'upload (client->server)'
set output 'bench-par-mbox-cpu.png'
set title '$(meta par_streams) parallel flows: middle-box CPU (CPU1) per GiB moved'
set ylabel 'CPU seconds per GiB'
plot 'plot-par-cpu.dat' using 2:3:4:xtic(1) title 'download', '' using 5:6:7 title 'upload'
EOF
		plots+=(bench-par-throughput.png bench-par-mbox-cpu.png)
	fi
	if [ -s bench-summary-short.tsv ]; then
		awk -F'\t' 'NR == 1 { next }
			!($1 in seen) { seen[$1] = 1; o[++n] = $1 }
			!($2 in ss) { ss[$2] = 1; s[++m] = $2 }
			{ v[$1, $2] = $6 " " $7 " " $8; if ($6 == "-") v[$1, $2] = "0 0 0" }
			END { printf "contender"; for (j = 1; j <= m; j++) printf " %s - -", s[j]; print ""
				for (i = 1; i <= n; i++) { printf "%s", o[i]
				for (j = 1; j <= m; j++) printf " %s", ((o[i], s[j]) in v ? v[o[i], s[j]] : "0 0 0"); print "" } }' \
			bench-summary-short.tsv > plot-short.dat
		gnuplot 2>> gnuplot.err << EOF || echo "report: gnuplot failed: $(head -c 300 gnuplot.err)" >&2
$common
set output 'bench-short-rps.png'
set title 'Short connections (a connection per request, $(meta short_conc) at once): requests/s by response size'
set ylabel 'requests per second'
set logscale y
set yrange [*:*]
set key autotitle columnhead
plot 'plot-short.dat' using 2:3:4:xtic(1) title columnhead(2), '' using 5:6:7 title columnhead(5), '' using 8:9:10 title columnhead(8)
EOF
		plots+=(bench-short-rps.png)
	fi
fi

# bulk_tables SUMMARY TITLE RETRANSMITS(0|1): a Markdown table per direction
bulk_tables() {
	awk -F'\t' -v title="$2" -v showrt="$3" '
	FNR == 1 { next }
	{ k = $1 SUBSEP $2; if (!($1 in seen)) { seen[$1] = 1; o[++n] = $1 }
	  mb[k] = $5; mn[k] = $6; mx[k] = $7; c1[k] = $8; al[k] = $11; px[k] = $12; si[k] = $13; nn[k] = $3; bad[k] = $4; w1[k] = $14; rt[k] = $15 }
	function r(a, b) { return (b + 0 > 0 && a != "-" && a != "") ? sprintf("%.2f", a / b) : "-" }
	END {
		for (d = 1; d <= 2; d++) {
			dir = d == 1 ? "down" : "up"
			printf "## %s, %s\n\n", title, dir == "down" ? "download (server to client)" : "upload (client to server)"
			printf "| contender | Mbit/s (median) | min-max | ×routed | ×haproxy-splice | middle-box CPU s/GiB | ×routed | ×haproxy-splice | softirq share | CPU1 wall−idle s/GiB | ×routed | guest CPU s/GiB | proxy process CPU s/GiB |%s rounds |\n", showrt ? " retransmissions |" : ""
			printf "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|%s---:|\n", showrt ? "---:|" : ""
			for (i = 1; i <= n; i++) {
				k = o[i] SUBSEP dir; if (!(k in mb)) continue
				R = "routed" SUBSEP dir; H = "haproxy-splice" SUBSEP dir
				printf "| %s | %s | %s-%s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |%s %d%s |\n", o[i], mb[k], mn[k], mx[k],
					r(mb[k], mb[R]), r(mb[k], mb[H]), c1[k], r(c1[k], c1[R]), r(c1[k], c1[H]), si[k],
					w1[k], r(w1[k], w1[R]), al[k], px[k], showrt ? " " rt[k] " |" : "",
					nn[k], (bad[k] > 0 ? " (" bad[k] " failed)" : "")
			}
			print ""
		}
	}' "$1"
}
has() { [ -s "bench-summary-$1.tsv" ]; }

# ---- Markdown ----------------------------------------------------------------
md=benchmarks.md
{
	cat << EOF
# tcp_splice benchmarks

Generated by \`make bench$([ "$(meta quick)" = 1 ] && echo ' QUICK=1')\` (tests/bench/bench.sh in the QEMU test VM, tables
and plots by tests/bench/report.bash) on $(meta date): guest kernel $(meta kernel),
$(meta cpus); HAProxy $(meta haproxy), iperf3 $(meta iperf3), module $(meta module).
Every contender ran on the same topology in one VM run, interleaved within each
round (client 10.0.1.1 -- proxy 10.0.1.2 | 10.0.2.2 -- server 10.0.2.1, veth, GRO
off but in the GRO workload).  Absolute numbers under emulation swing by tens of percent between runs:
compare the ratios, which come from the same run.

## Method

- **Bulk**: one iperf3 flow of $(meta bulk_size)iB (\`-n\`), download (\`-R\`, server to
  client) and upload, $(meta bulk_rounds) rounds; medians, min and max over the rounds.
$(has par && echo "- **Parallel flows**: $(meta par_streams) iperf3 flows at once (\`-P $(meta par_streams)\`), $(meta bulk_size)iB in all, each
  way, $(meta par_rounds) round(s), the same contenders and CPU split.")
$(has gro && echo "- **GRO on**: the bulk flow with GRO on on all four veths (\`ethtool -K DEV gro on\`),
  $(meta gro_rounds) round(s).  veth's GRO runs in its NAPI poll on the transmitting CPU, before
  the RPS steering, so the aggregation of packets entering the proxy is charged to the
  sender's CPU (CPU0 for the client and server, CPU1 for the proxy's own sends).")
$(has loss && echo "- **Loss**: one flow of $(meta loss_size)iB each way with $(meta loss_pct)% netem loss on the client's and
  the server's egress (c0, s0: data one way, ACKs the other), $(meta loss_rounds) round(s); the
  sender's retransmissions (iperf3) are given as medians.")
- **CPU split**: the endpoints (iperf3, swd_httpd, tsb_rr, the bench script) run on
  CPU0 (\`taskset -c 0\`), the proxy process on CPU1 (\`taskset -c 1\`).  veth has no
  interrupt: \`veth_xmit()\` hands every skb to \`netif_rx()\` of its peer, and with an
  RPS map the skb is queued to the backlog of the mapped CPU.  \`rps_cpus\` = 2 on the
  proxy namespace's veths (p0, p1) and = 1 on the client's and server's (c0, s0), so
  every packet entering the proxy namespace (IP forwarding, IPVS, netfilter, tcp_splice's
  hook, the proxy sockets' TCP receive path) is processed on CPU1 and every packet
  entering an endpoint on CPU0.  **Middle-box CPU** = CPU1's busy time in /proc/stat
  (user+nice+system+irq+softirq+steal) per GiB moved; **guest CPU** = both CPUs;
  **proxy CPU** = the proxy process's utime+stime (/proc/PID/stat, all threads).
  (/proc/stat is sampled at the tick: 10 ms resolution.)
- **Short connections**: tsb_rr (tests/tools), a new connection per request
  (\`Connection: close\`), $(meta short_conc) in flight, $(meta short_secs) s per run,
  $(meta short_rounds) round(s), responses of 1 KiB, 64 KiB and 1 MiB from swd_httpd;
  every response checked (status 200, exact length).  HAProxy in \`mode http\`
  (\`option forwardfor\`, like switchd's X-Forwarded-For), switchd in \`mode http\`;
  switchd-auto is \`splice auto\` with $(if [ "$(meta auto_after)" = default ] || [ -z "$(meta auto_after)" ]; then
	echo "switchd's default threshold (\`splice-after\` not set:
  $(meta auto_after_bytes) bytes)"; else echo "\`splice-after $(meta auto_after)\`"; fi): a session's first bytes up to the threshold are relayed
  with pipes in user space and the rest handed to tcp_splice, so a response shorter
  than the threshold never reaches the kernel.
- The tcp_splice module stays loaded for every contender (an idle hook for the
  others); IPVS's service exists only while the ipvs contender runs.

EOF
	bulk_tables bench-summary-bulk.tsv "Bulk: one flow" 0
	has par && bulk_tables bench-summary-par.tsv "Bulk: $(meta par_streams) parallel flows" 0
	has gro && bulk_tables bench-summary-gro.tsv "Bulk: one flow, GRO on" 0
	has loss && bulk_tables bench-summary-loss.tsv "Bulk: one flow of $(meta loss_size)iB, $(meta loss_pct)% loss" 1
	if [ -s bench-summary-short.tsv ]; then
		echo "## Short connections"
		echo
		echo "Requests per second (median; min-max), p50 and p99 latency in ms (medians), middle-box"
		echo "CPU (CPU1) and proxy-process CPU per request in µs."
		echo
		awk -F'\t' '
		FNR == 1 { next }
		{ k = $1 SUBSEP $2; if (!($1 in seen)) { seen[$1] = 1; o[++n] = $1 } if (!($2 in ss)) { ss[$2] = 1; s[++m] = $2 }
		  rps[k] = $6; mn[k] = $7; mx[k] = $8; p50[k] = $9; p99[k] = $10; c1[k] = $11; px[k] = $12; bad[k] = $4; fr[k] = $5 }
		function r(a, b) { return (b + 0 > 0 && a != "-") ? sprintf("%.2f", a / b) : "-" }
		END {
			for (j = 1; j <= m; j++) {
				printf "### %siB responses\n\n", s[j]
				print "| contender | req/s | min-max | ×haproxy-copy | ×routed | p50 ms | p99 ms | middle-box µs/req | proxy µs/req |"
				print "|---|---:|---:|---:|---:|---:|---:|---:|---:|"
				for (i = 1; i <= n; i++) {
					k = o[i] SUBSEP s[j]; if (!(k in rps)) continue
					printf "| %s | %s | %s-%s | %s | %s | %s | %s | %s | %s |\n", o[i] (bad[k] > 0 ? " (" bad[k] " runs failed)" : "") (fr[k] > 0 ? " (" fr[k] " requests failed)" : ""),
						rps[k], mn[k], mx[k], r(rps[k], rps["haproxy-copy" SUBSEP s[j]]),
						r(rps[k], rps["routed" SUBSEP s[j]]), p50[k], p99[k], c1[k], px[k]
				}
				print ""
			}
		}' bench-summary-short.tsv
	fi
	if [ -s bench-scale.tsv ]; then
		echo "## Scale: idle spliced sessions"
		echo
		echo "switchd in kernel mode, tsb_idle holding N idle connections (each one spliced);"
		echo "kernel memory from /proc/slabinfo (active objects × object size, every cache),"
		echo "the module's session cache (/sys/kernel/slab/tsp_session: objects × slab size) and"
		echo "Percpu (/proc/meminfo), after minus before, per session; one download of"
		echo "$(meta bulk_size)iB through switchd-kernel alone and amid the sessions.  The"
		echo "sessions are opened in steps, each step adding to the last one's (set-up time:"
		echo "of the step's new sessions); guest memory $(meta guest_mem_mib) MiB, MemAvailable after the step."
		echo
		echo "The routed download (the client straight to the server through the proxy"
		echo "namespace's forwarding, the module's hooks still looking up every packet) is"
		echo "the control: what it loses amid the sessions, the endpoints' own TCP stacks lose"
		echo "(CPU0 is their bottleneck); CPU1's busy time per GiB of the switchd-kernel"
		echo "download is the middle box's cost, the module's lookup included.  Each namespace"
		echo "has a TCP socket hash of its own (tcp_child_ehash_entries, buckets in the last column)."
		echo
		echo "| sessions | set up in s | slab+percpu B/session | session cache B/session | percpu B/session | TCP slab B/session | Mbit/s alone | Mbit/s amid | ratio | routed Mbit/s alone → amid (ratio) | CPU1 s/GiB alone → amid (ratio) | MemAvailable MiB | ehash |"
		echo "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
		awk -F'\t' 'NR > 1 { printf "| %s%s | %s | %s | %s | %s | %s | %s (%s) | %s (%s) | %s | %s | %s | %s | %s |\n", $1, ($13 != "" && $13 > $1) ? " (of " $13 " asked; set-up time limit)" : "", $2, $3, $4, $5, $6, $7, $10, $8, $11, $9,
			$14 == "" ? "-" : $14 " → " $15 " (" $16 ")", $17 == "" ? "-" : $17 " → " $18 " (" $19 ")", $12 == "" ? "-" : $12, $20 == "" ? "-" : $20 }' bench-scale.tsv
		echo
		if [ -s bench-scale-slab.tsv ]; then
			echo "Caches that grew the most (bytes per session, at $(awk -F'\t' 'END { print $1 }' bench-scale.tsv) sessions):"
			echo
			echo "| cache | B/session |"
			echo "|---|---:|"
			awk -F'\t' 'NR > 1 && NR <= 11 { printf "| %s | %s |\n", $1, $3 }' bench-scale-slab.tsv
			echo
		fi
		if [ -s bench-scale-get.tsv ]; then
			awk -F'\t' 'NR == 2 { printf "GET amid %s sessions (one `tcpspliceadm -j get` of %s ids, a request each, less one id alone: %s ms): the %s newest %s us each, %s unknown ids %s us each.\n\n", $1, $2, $3, $2, $6, $2, $7 }' bench-scale-get.tsv
		fi
		if [ -s bench-scale-flush.tsv ]; then
			awk -F'\t' 'NR == 2 { printf "A flush of the last listener port'"'"'s sessions (`tcpspliceadm flush --port`, at the end of the module'"'"'s list) ended %s of %s in %s ms.\n\n", $2, $1, $3 }' bench-scale-flush.tsv
		fi
		if [ -s bench-scale-setup.tsv ]; then
			echo "Set-up progress (bench-scale-setup.tsv: sessions, seconds, sessions/s, then CPU0's and CPU1's user/system/irq+softirq/idle ticks and the busiest tasks over each interval):"
			echo
			echo "| sessions | s | /s | CPU0 usr/sys/irq/idle | CPU1 usr/sys/irq/idle | busiest tasks (ticks) |"
			echo "|---:|---:|---:|---|---|---|"
			awk -F'\t' 'NR > 1 { printf "| %s | %s | %s | %s/%s/%s/%s | %s/%s/%s/%s | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12 }' bench-scale-setup.tsv
			echo
		fi
	fi
	echo "## Targets of issue 7 (ratios from this run)"
	echo
	tfiles=(bench-summary-bulk.tsv)
	for w in "${wls[@]}"; do tfiles+=("bench-summary-$w.tsv"); done
	[ -s bench-summary-short.tsv ] && tfiles+=(bench-summary-short.tsv)
	[ -s bench-scale.tsv ] && tfiles+=(bench-scale.tsv)
	awk -F'\t' -v par="$(meta par_streams) parallel flows" -v loss="$(meta loss_pct)% loss" '
	FNR == 1 { w = FILENAME; sub(/.*bench-summary-/, "", w); sub(/\.tsv$/, "", w); if (FILENAME ~ /scale/) w = "scale"; next }
	w == "short" { rps[$1, $2] = $6; next }
	w == "scale" { ns++; sn[ns] = $1; sb[ns] = $3; sk[ns] = $4; sp[ns] = $5; sr[ns] = $9; sa[ns] = $13 != "" ? $13 : $1; srr[ns] = $16; sc[ns] = $19; next }
	{ have[w] = 1; mb[w, $1, $2] = $5; c1[w, $1, $2] = $8; px[w, $1, $2] = $12; w1[w, $1, $2] = $14 }
	function ok(c) { return c ? "**met**" : "**missed**" }
	function q(a, b) { return (a != "" && a != "-" && b + 0 > 0) ? a / b : -1 }
	END {
		print "| target | download | upload |"
		print "|---|---|---|"
		line("switchd-kernel throughput ≥ 0.95 × routed", "t_r", "bulk")
		line("switchd-kernel throughput ≥ haproxy-splice", "t_h", "bulk")
		line("switchd-kernel middle-box CPU/GiB ≤ 2 × routed", "c_r", "bulk")
		line("switchd-kernel middle-box CPU/GiB ≤ 0.15 × haproxy-splice", "c_h", "bulk")
		line("switchd-kernel middle-box CPU/GiB, CPU1 wall−idle, ≤ 2 × routed", "w_r", "bulk")
		line("switchd-kernel middle-box CPU/GiB, CPU1 wall−idle, ≤ 0.15 × haproxy-splice", "w_h", "bulk")
		line("switchd process CPU/GiB in kernel mode ≤ 2% of switchd-copy", "p_c", "bulk")
		split("par gro loss", ws, " ")
		for (i = 1; i <= 3; i++) {
			x = ws[i]; if (!(x in have)) continue
			t = x == "par" ? par : x == "gro" ? "GRO on" : loss
			line(t ": switchd-kernel throughput ≥ 0.95 × routed", "t_r", x)
			line(t ": switchd-kernel throughput ≥ haproxy-splice", "t_h", x)
			line(t ": switchd-kernel middle-box CPU/GiB ≤ 2 × routed", "c_r", x)
			line(t ": switchd-kernel middle-box CPU/GiB ≤ 0.15 × haproxy-splice", "c_h", x)
			if (x == "par") line(t ": switchd process CPU/GiB in kernel mode ≤ 2% of switchd-copy", "p_c", x)
		}
		a = q(rps["switchd-auto", "1K"], rps["haproxy-copy", "1K"])
		printf "| request rate at 1 KiB, switchd-auto ≥ haproxy-copy | %s | |\n", a < 0 ? "not measured" : sprintf("%.2f× %s", a, ok(a >= 1))
		if (ns) {
			printf "| ≤ 512 B of module memory per session (%d sessions; growth of the tsp_session slab cache + percpu) | %d B %s (all kernel slab + percpu growth incl. the 4 sockets: %d B) | |\n", sn[ns], sk[ns] + sp[ns], ok(sk[ns] + sp[ns] <= 512), sb[ns]
			for (i = 1; i <= ns; i++)
				printf "| throughput amid %d idle sessions%s ≥ 0.9 × alone | %s%s | |\n", sn[i], (sa[i] > sn[i] ? " (" sa[i] " asked)" : ""), sr[i] == "-" ? "not measured" : sprintf("%.2f× %s", sr[i], ok(sr[i] >= 0.9)),
					(srr[i] != "" && srr[i] != "-") ? sprintf(" (routed control %.2f×; CPU1 per GiB %s×)", srr[i], sc[i]) : ""
			if (sn[ns] < 100000) print "| throughput at 100 000 sessions ≥ 0.9 × at one | not reached | |"
		} else
			print "| ≤ 512 B of module memory per session; throughput at 100 000 sessions ≥ 0.9 × at one | not measured | |"
		print ""
	}
	function line(t, w, wl,   d, dir, x, lim, s, ge) {
		s = "| " t " |"
		for (d = 1; d <= 2; d++) {
			dir = d == 1 ? "down" : "up"
			if (w == "t_r") { x = q(mb[wl, "switchd-kernel", dir], mb[wl, "routed", dir]); lim = 0.95; ge = 1 }
			if (w == "t_h") { x = q(mb[wl, "switchd-kernel", dir], mb[wl, "haproxy-splice", dir]); lim = 1; ge = 1 }
			if (w == "c_r") { x = q(c1[wl, "switchd-kernel", dir], c1[wl, "routed", dir]); lim = 2; ge = 0 }
			if (w == "c_h") { x = q(c1[wl, "switchd-kernel", dir], c1[wl, "haproxy-splice", dir]); lim = 0.15; ge = 0 }
			if (w == "w_r") { x = q(w1[wl, "switchd-kernel", dir], w1[wl, "routed", dir]); lim = 2; ge = 0 }
			if (w == "w_h") { x = q(w1[wl, "switchd-kernel", dir], w1[wl, "haproxy-splice", dir]); lim = 0.15; ge = 0 }
			if (w == "p_c") { x = q(px[wl, "switchd-kernel", dir], px[wl, "switchd-copy", dir]); lim = 0.02; ge = 0
				if (x >= 0) { s = s sprintf(" %.2f%% %s |", x * 100, ok(x <= lim)); continue } }
			s = s (x < 0 ? " - |" : sprintf(" %.2f× %s |", x, ok(ge ? x >= lim : x <= lim)))
		}
		print s
	}' "${tfiles[@]}"
	echo "## Method check: the CPU split on the routed contender"
	echo
	echo "CPU1 over 3 s of nothing (idle), then one routed download before and after the RPS"
	echo "steering: CPU ticks (10 ms; CPU1 busy from the sampled fields, and wall time minus"
	echo "CPU1's idle time) and NET_RX softirqs per CPU."
	echo
	echo "| run | Mbit/s | s | CPU1 ticks (user/sys/irq+softirq) | CPU1 wall−idle ticks | CPU0 ticks | NET_RX on CPU0 | NET_RX on CPU1 |"
	echo "|---|---:|---:|---:|---:|---:|---:|---:|"
	awk -F'\t' '$1 == "check" { printf "| %s | %s | %.1f | %s (%s/%s/%s) | %s | %s | %s | %s |\n", $2, $7, $19 / 1e6, $8, $9, $10, $11,
		$19 != "" ? int($19 / 10000 - $18 + 0.5) : "-", $12, $15, $16 }' bench-bulk.tsv
	echo
	if [ ${#plots[@]} -gt 0 ]; then
		echo "## Plots"
		echo
		for p in "${plots[@]}"; do echo "![${p%.png}](${PLOTDIR:-.}/$p)"; echo; done
	fi
	echo "Raw numbers: ${PLOTDIR:-.}/bench-bulk.tsv, bench-short.tsv (one row per measurement),"
	echo "bench-summary-*.tsv, bench-meta.txt."
} > "$md.tmp"
mv "$md.tmp" "$md"
echo "report: $run/$md$([ ${#plots[@]} -gt 0 ] && echo ", ${plots[*]}")"

if [ -n "$doc" ]; then
	case $doc in /*) ;; *) doc=$root/$doc ;; esac
	root=
	mkdir -p "$doc/benchmarks"
	cp bench-bulk.tsv bench-short.tsv bench-summary-*.tsv bench-meta.txt bench-scale*.tsv "${plots[@]}" "$doc/benchmarks/" 2> /dev/null || true
	# hand-written notes below the marker line of the current file stay
	mark='<!-- notes: everything below this line is kept by tests/bench/report.bash -->'
	{
		sed -e 's#](\./#](benchmarks/#' -e 's#^Raw numbers: \./#Raw numbers: benchmarks/#' "$md"
		echo
		echo "$mark"
		[ -f "$doc/benchmarks.md" ] && awk -v m="$mark" 'f; $0 == m { f = 1 }' "$doc/benchmarks.md"
	} > "$doc/benchmarks.md.tmp"
	mv "$doc/benchmarks.md.tmp" "$doc/benchmarks.md"
	echo "report: updated $doc/benchmarks.md and $doc/benchmarks/"
fi
