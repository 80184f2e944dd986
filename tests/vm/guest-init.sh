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

# /tmp stays the overlay (tmpfs-backed): the project may live under /tmp.
mount -t tmpfs -o mode=0755 tmpfs /run
mkdir -p /run/netns /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
mount -t tmpfs -o mode=1777 tmpfs /dev/shm
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
echo tsp-vm > /proc/sys/kernel/hostname
ln -sf /proc/self/fd /dev/fd 2>/dev/null
ip link set lo up

export TSP_ROOT=$tsp_root TSP_OUT=$tsp_out
# guest.env (written by tests/vm/run.sh) sets TSP_KO, TSP_TOOLS, TESTS,
# TSP_TIMEOUT and KVER.
. "$TSP_OUT/guest.env"
export TSP_KO TSP_TOOLS TESTS TSP_TIMEOUT KVER
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
