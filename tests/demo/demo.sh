#!/bin/bash
# The tcp_splice demo, run in the test VM (tests/cases/69-switchd-demo.sh,
# or `make demo` through tests/demo/run-demo.sh):
#
#   client 10.0.1.1 --> switchd on 10.0.1.2:80 --> alpha 10.0.2.1:80
#                                               \-> beta  10.0.3.1:80
#
# Two backend web servers, switchd routing by Host, files of several sizes
# fetched with curl through it, the kernel's session table during a slow
# download, then the same large transfer in kernel, pipe and copy mode:
# throughput, switchd's CPU time, and SHA-256 digests that must match.
# Env: DEMO_BIG (size of the large file, default 32M).
. "$TSP_ROOT/tests/lib.sh"
. "$TSP_ROOT/tests/demo/swd_lib.bash"

BIG=${DEMO_BIG:-32M}
ADM=$TSP_ROOT/build/userland/tcpspliceadm

say() { printf '%s\n' "$*"; }
title() { printf '\n=== %s\n' "$*"; }
loud_fail() {
	printf '\n!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n' >&2
	printf '!!! DEMO FAILED: %s\n' "$*" >&2
	printf '!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!!\n' >&2
	exit 1
}
short() { printf '%.16s' "$1"; }

need_switchd
need_cmd curl
t_start=$(now_ms)

title "Setting up: three network namespaces joined by veth, the tcp_splice module"
topo_up --extra 1
mod_load
say "client 10.0.1.1  ->  proxy 10.0.1.2 (switchd)  ->  alpha 10.0.2.1, beta 10.0.3.1"
say "module: $(modinfo -F version "$TSP_KO" 2> /dev/null || echo loaded) ($(uname -r))"

www alpha alpha 1K 64K 1M 8M
www beta beta 1K 64K 1M
head -c "$(( ${BIG%M} * 1048576 ))" /dev/urandom > alpha/big || loud_fail "cannot create the big file"
start_httpd server "$SRV_A:80" alpha "$PWD/alpha"
start_httpd server1 "$SRV_B:80" beta "$PWD/beta"
say "web servers: alpha (files 1K 64K 1M 8M big=$BIG), beta (1K 64K 1M)"

cat > demo.conf << EOF
global
    stats-socket $SWD_SOCK
    splice kernel

listener www
    bind $VIP:80
    route host alpha.example backend alpha
    route host beta.example backend beta
    default-backend alpha

backend alpha
    server alpha1 $SRV_A:80
backend beta
    server beta1 $SRV_B:80
EOF
title "switchd.conf"
sed 's/^/    /' demo.conf
SWD_PORT=80
start_switchd demo.conf
say "switchd pid $(swd_info pid): splice $(swd_info splice), tcp_splice available: $(swd_info kernel_splice)"

title "Fetching files through switchd with curl, routed by Host"
printf '  %-14s %-6s %10s %6s %-7s %-10s %s\n' Host File Bytes Status Server Time Digest
for h in alpha beta; do
	for f in 1K 64K 1M; do
		r=$(in_ns client curl -s -m 60 -o got -D hdr.txt -H "Host: $h.example" \
			-w '%{http_code} %{size_download} %{time_total}' "http://$VIP/$f") ||
			loud_fail "curl $h.example/$f failed"
		read -r code size tt <<< "$r"
		srv=$(hdr_value X-Server)
		[ "$code" = 200 ] || loud_fail "$h.example/$f: HTTP $code"
		[ "$srv" = "$h" ] || loud_fail "$h.example/$f was served by $srv"
		d1=$(digest got) d2=$(digest "$h/$f")
		[ "$d1" = "$d2" ] || loud_fail "DIGEST MISMATCH for $h.example/$f: $d1 != $d2"
		printf '  %-14s %-6s %10s %6s %-7s %-10s %s\n' "$h.example" "$f" "$size" "$code" \
			"$srv" "${tt}s" "sha256 $(short "$d1")... equal"
	done
done

title "A slow download (8 MiB read at 1 MiB/s) while we look at the kernel's session table"
wait_until 20 kernel_idle || true	# the small downloads above are logged
# a client reading 1 MiB/s (curl's --limit-rate does not hold here):
# swd_load compares every byte with the server's file
in_ns client "$LOAD" -n 1 --rate 1M -H alpha.example -p /8M --expect-file alpha/8M \
	--timeout 60 "$VIP:80" > slow.out 2>&1 &
cp=$!
in_kernel() { [ "$(swd_info kernel_sessions)" -ge 1 ]; }
wait_until 20 in_kernel || loud_fail "the slow download never reached the kernel"
tsp_sleep 1
if [ -x "$ADM" ]; then
	say "\$ tcpspliceadm list -n"
	in_ns proxy "$ADM" list -n 2>&1 | sed 's/^/    /'
else
	say "\$ cat /proc/net/tcp_splice_conn"
	in_ns proxy cat /proc/net/tcp_splice_conn | sed 's/^/    /'
fi
say "\$ switchd -S switchd.sock show kernel"
swd show kernel | sed 's/^/    /'
bg_pid_wait $cp 60 || loud_fail "DIGEST MISMATCH or failure in the slow download: $(< slow.out)"
say "slow download complete, every byte equal to the server's file; switchd's log line:"
wait_until 20 kernel_idle || true
line=$(grep 'req="GET /8M' "$SWD_LOG" | tail -n 1)
say "    ${line#*]: }"
stop_switchd

title "The same $BIG download in each splice mode"
want=$(digest alpha/big)
declare -A RES=()
for mode in kernel pipe copy; do
	: > "$SWD_LOG"
	start_switchd demo.conf -m $mode
	pid=$(swd_info pid)
	best=
	# best of two (the emulator shares its host: single runs are noisy)
	for run in 1 2; do
		c0=$(proc_cpu_ticks "$pid")
		r=$(in_ns client curl -s -m 300 -o big.bin -H 'Host: alpha.example' \
			-w '%{http_code} %{size_download} %{time_total} %{speed_download}' \
			"http://$VIP/big") || loud_fail "$mode: the $BIG download failed"
		c1=$(proc_cpu_ticks "$pid")
		read -r code size tt speed <<< "$r"
		d=$(digest big.bin)
		[ "$d" = "$want" ] || loud_fail "DIGEST MISMATCH in $mode mode: $d != $want"
		[ "$code" = 200 ] || loud_fail "$mode: HTTP $code"
		if [ -z "$best" ] || [ "${speed%.*}" -gt "${best%% *}" ]; then
			best="${speed%.*} $size $tt $((c1 - c0)) $d equal"
		fi
	done
	[ $mode = kernel ] && { wait_until 10 kernel_idle || true; }
	stop_switchd
	read -r speed size tt ticks d ok <<< "$best"
	RES[$mode]="$size $tt $speed $ticks $d $ok"
	line=$(grep 'req="GET /big' "$SWD_LOG" | tail -n 1)
	say "  $mode: ${line#*]: }"
done

title "Report: one $BIG HTTP download through switchd (same VM, same file, best of two)"
printf '  %-7s %12s %9s %12s %14s   %s\n' mode bytes time throughput "switchd CPU" "sha256 (vs. the server's file)"
for mode in kernel pipe copy; do
	read -r size tt speed ticks d ok <<< "${RES[$mode]}"
	printf '  %-7s %12s %8.2fs %7d MiB/s %12d.%02ds   %s... %s\n' "$mode" "$size" "$tt" \
		$((speed / 1048576)) $((ticks / 100)) $((ticks % 100)) "$(short "$d")" "$ok"
done
say ""
say "kernel: switchd parsed the request, connected, then handed both TCP connections"
say "        to tcp_splice; the body never entered switchd (CPU time: the handoff only)."
say "pipe:   splice(2) through a pipe: no copy to user space, one syscall pair per chunk."
say "copy:   read(2)/write(2): every byte copied in and out of switchd."
say "all three digests equal the server's file: the transfer is byte-exact in every mode."
say "(demo took $(( ($(now_ms) - t_start) / 1000 )) s in the VM)"
exit 0
