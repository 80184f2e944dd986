#!/bin/bash
# Stage-2 init of the test VM, run by the host's bash as PID 1 after
# switch_root into the overlay of the host root.  Sets the guest up, runs
# tests/run-guest.sh (or an interactive shell), records the exit code in
# the result share and powers off with sysrq o.
# Environment from the kernel command line: tsp_root, tsp_out, tsp_mode.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=${TERM:-linux} LC_ALL=C.UTF-8
umask 022

poweroff_now() {
	sync
	echo o > /proc/sysrq-trigger
	while :; do read -r -t 1 < /dev/console; done
}
trap poweroff_now EXIT

# /run, /dev/pts, /dev/shm, debugfs, the hostname and lo are set up by
# stage 1; /tmp stays the overlay (tmpfs-backed): the project may be there.

export TSP_ROOT=$tsp_root TSP_OUT=$tsp_out
# guest.env (written by tests/vm/run.sh) sets TSP_KO, TSP_TOOLS, TESTS,
# TSP_TIMEOUT, KVER, TSP_CASES, TSP_TMO_MULT and TSP_KMEMLEAK.
. "$TSP_OUT/guest.env"
export TSP_KO TSP_TOOLS TESTS TSP_TIMEOUT KVER TSP_CASES TSP_TMO_MULT TSP_KMEMLEAK
export TSP_PASSED=${TSP_PASSED:-} TSP_PASSED_IN=${TSP_PASSED_IN:-}
cd "$TSP_ROOT" || exit 1

if [ "${tsp_mode:-test}" = shell ]; then
	read -r up _ < /proc/uptime
	echo "tsp-vm: up ${up}s; TSP_ROOT=$TSP_ROOT TSP_KO=$TSP_KO TSP_TOOLS=$TSP_TOOLS TSP_OUT=$TSP_OUT"
	echo "tsp-vm: run tests/run-guest.sh for the suite; exit powers off"
	setsid -c bash -i < /dev/ttyS0 > /dev/ttyS0 2>&1
	exit 0
fi

rc=1
timeout -k 10 "${TSP_TIMEOUT:-1800}" bash "$TSP_ROOT/tests/run-guest.sh" \
	> "$TSP_OUT/runner.log" 2>&1 < /dev/null
rc=$?
echo "$rc" > "$TSP_OUT/exit"
exit 0
