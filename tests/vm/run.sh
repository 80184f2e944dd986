#!/bin/bash
# Boot Debian's stock kernel KVER in QEMU (TCG) with the host root shared
# read-only over 9p and run the test suite in it, or an interactive shell.
#
#   tests/vm/run.sh [--shell] --kver KVER --ko KO [--tests GLOBS]
#                   [--timeout SECS] [--mem SIZE] [--kernel IMAGE]
#                   [--tmo-mult N] [--kmemleak] [--append ARGS]
#                   [--resume RUNDIR]
#
# --kernel boots IMAGE (an ELF vmlinux with a PVH note, or a bzImage)
# instead of /boot/vmlinuz-KVER; KVER is then its release, whose
# /lib/modules/KVER/ (modules.builtin at least) must exist.  --tmo-mult
# multiplies every case's timeout (tests/run-guest.sh) and the helpers'
# waits (tests/lib.sh), for slow kernels; --kmemleak makes the runner scan
# for leaks at the end (tests/run-guest.sh); --append adds kernel
# parameters.  make test-debug uses all four.  --resume RUNDIR continues
# an interrupted run: the cases RUNDIR/runner.log lists as passed (there or
# in the run it resumed) are reported as passed again, not run.
#
# Everything of a run lands in build/vm-out/<run>/ (console.log, runner.log,
# per-case logs, dmesg.log); build/vm-out/latest points at the last one.
# Environment: TSP_TIMEOUT (guest run timeout, s), TSP_VM_MEM (guest RAM),
# TSP_VM_SLOTS (test VMs allowed at once on this machine, default nproc).
# The guest kernel (vmlinux extracted from /boot/vmlinuz-KVER) and the
# initramfs are cached in build/cache/KVER/.
# Exit 0 only if the guest reported, every case passed or skipped, and the
# kernel logs show no splat.  The last line printed is the summary line.
set -u
export LC_ALL=C

root=$(cd "$(dirname "$0")/../.." && pwd)
mode=test kver= ko= tests='*' cases=tests/cases tmo=${TSP_TIMEOUT:-1800} mem=${TSP_VM_MEM:-2G}
image= tmo_mult=1 kmemleak=0 extra_append= resume=
while [ $# -gt 0 ]; do
	case $1 in
	--shell) mode=shell ;;
	--kver) kver=$2; shift ;;
	--ko) ko=$2; shift ;;
	--tests) tests=$2; shift ;;
	--cases) cases=$2; shift ;;	# directory of the scripts (tests/bench ...)
	--timeout) tmo=$2; shift ;;
	--mem) mem=$2; shift ;;
	--kernel) image=$2; shift ;;
	--tmo-mult) tmo_mult=$2; shift ;;
	--kmemleak) kmemleak=1 ;;
	--append) extra_append=$2; shift ;;
	--resume) resume=$2; shift ;;
	*) echo "run.sh: unknown argument $1" >&2; exit 2 ;;
	esac
	shift
done
[ -n "$kver" ] || { echo "run.sh: --kver required" >&2; exit 2; }
[ -z "$ko" ] || ko=$(realpath -m "$ko")
case $root in
*[[:space:]]*) echo "run.sh: the project path must not contain blanks: $root" >&2; exit 2 ;;
esac

# Lines of the kernel log that fail the run.
SPLAT='BUG:|WARNING:|Oops|general protection|KASAN|UBSAN|refcount_t|lockdep|possible circular locking|INFO: rcu|INFO: task .* blocked|Call Trace|Kernel panic|kernel BUG'
# ... except these (boot banners of the debug kernel, make test-debug).
SPLAT_OK='RCU lockdep checking is enabled'

summary() {
	echo "$1 passed, $2 failed, $3 skipped"
}
die() {
	echo "vm: $*" >&2
	summary 0 1 0
	exit 1
}

# --- the guest kernel and initramfs, cached per KVER -------------------
cache=$root/build/cache/$kver
mkdir -p "$cache"
if [ -n "$image" ]; then
	# A kernel of our own (make test-debug): booted as it is.
	[ -r "$image" ] || die "no kernel image $image"
	kernel=$(realpath "$image")
else
	bz=/boot/vmlinuz-$kver
	[ -r "$bz" ] || die "no kernel image $bz (make deps KVER=$kver?)"
	kernel=$cache/vmlinux
	if [ ! -s "$kernel" ] || [ "$bz" -nt "$kernel" ]; then
		"$root/tests/vm/vmlinux.sh" "$bz" "$kernel" > /dev/null || kernel=$bz
	fi
fi
initrd=$cache/initramfs.cpio
if [ ! -s "$initrd" ] || [ "$root/tests/vm/init" -nt "$initrd" ] ||
	[ "$root/tests/vm/initramfs.sh" -nt "$initrd" ] ||
	[ "/lib/modules/$kver/modules.dep" -nt "$initrd" ]; then
	"$root/tests/vm/initramfs.sh" "$kver" "$initrd" > /dev/null || die "initramfs build failed"
fi

# --- the run directory, shared writable with the guest -----------------
outs=$root/build/vm-out
mkdir -p "$outs"
run=$(date +%Y%m%d-%H%M%S)-$kver-$mode-$$
out=$outs/$run
mkdir "$out" || die "cannot create $out"
ln -sfn "$run" "$outs/latest"
{
	printf 'TSP_KO=%q\n' "$ko"
	printf 'TSP_TOOLS=%q\n' "$root/build/tools"
	printf 'TESTS=%q\n' "$tests"
	printf 'TSP_CASES=%q\n' "$cases"
	printf 'TSP_TIMEOUT=%q\n' "$tmo"
	printf 'KVER=%q\n' "$kver"
	printf 'TSP_TMO_MULT=%q\n' "$tmo_mult"
	printf 'TSP_KMEMLEAK=%q\n' "$kmemleak"
	if [ -n "$resume" ]; then
		# "PASS name (12.3s)" or "PASS name (passed in RUN)"
		printf 'TSP_PASSED=%q\n' "$(sed -nE 's/^PASS ([^ ]+) .*/\1/p' "$resume/runner.log" | tr '\n' ' ')"
		printf 'TSP_PASSED_IN=%q\n' "${resume##*/}"
	fi
} > "$out/guest.env"
: > "$out/runner.log"

append="console=ttyS0 loglevel=5 printk.devkmsg=on pci=noacpi cryptomgr.notests=1 panic=-1"
append+=" mitigations=off rcupdate.rcu_cpu_stall_timeout=60"
append+=" tsp_root=$root tsp_out=$out tsp_mode=$mode"
[ -z "$extra_append" ] || append+=" $extra_append"
qemu=(qemu-system-x86_64 -accel tcg -cpu max -smp 2 -m "$mem"
	-nodefaults -no-user-config -display none -no-reboot
	-kernel "$kernel" -initrd "$initrd" -append "$append"
	-virtfs local,path=/,mount_tag=hostroot,readonly=on,security_model=none,multidevs=remap
	-virtfs "local,path=$out,mount_tag=tspout,security_model=none")

if [ $mode = shell ]; then
	echo "vm: interactive guest $kver; console log in $out/console.log; 'exit' powers off (or Ctrl-a x)"
	exec "${qemu[@]}" -chardev "stdio,id=con,mux=on,signal=off,logfile=$out/console.log" \
		-serial chardev:con -mon chardev=con,mode=readline
fi

# At most TSP_VM_SLOTS test VMs (default: one per host CPU) run at once on
# this machine, whichever tree they come from: TCG guests oversubscribing
# the host get slow enough to trip timeouts and lockup detectors.
# TSP_VM_SLOTS=0 turns the limit off.
slots=${TSP_VM_SLOTS:-$(nproc)}
if [ "$slots" -gt 0 ] 2> /dev/null; then
	lockdir=/run/lock
	[ -d $lockdir ] && [ -w $lockdir ] || lockdir=/tmp
	waited=0
	while :; do
		for ((i = 0; i < slots; i++)); do
			exec {slotfd}> "$lockdir/tcp_splice-vm-slot.$i"
			flock -n $slotfd && break 2
			exec {slotfd}>&-
		done
		if [ $waited = 0 ]; then
			echo "vm: $slots test VM(s) already running on this machine; waiting for one to end"
			waited=1
		fi
		sleep 2
	done
fi

echo "vm: booting $kver ($(basename "$kernel")), results in $out"
t0=${EPOCHREALTIME/./}
# The host timeout is the guest's plus time to boot and report.  A guest
# whose kernel reported a splat while booting runs no case (run-guest.sh):
# boot it again, twice at most, its logs kept in boot-N/.
for boot in 1 2 3; do
	timeout -k 10 $((tmo + 120)) "${qemu[@]}" -serial "file:$out/console.log" \
		> "$out/qemu.log" 2>&1 &
	qpid=$!
	tail -n +1 -f --pid=$qpid "$out/runner.log" &
	tpid=$!
	wait $qpid
	qrc=$?
	wait $tpid
	[ -f "$out/boot-splat" ] && [ $boot -lt 3 ] || break
	mkdir -p "$out/boot-$boot"
	for f in console.log qemu.log runner.log boot.dmesg dmesg.log summary exit boot-splat; do
		[ -e "$out/$f" ] && mv "$out/$f" "$out/boot-$boot/"
	done
	: > "$out/runner.log"
	echo "vm: the kernel reported while booting ($out/boot-$boot/); booting again"
done
t1=${EPOCHREALTIME/./}
wall=$(( (t1 - t0) / 1000000 )).$(( (t1 - t0) / 100000 % 10 ))

if [ $qrc -eq 124 ] || [ $qrc -eq 137 ]; then
	echo "vm: QEMU killed after $((tmo + 120))s (host timeout)"
elif [ $qrc -ne 0 ]; then
	echo "vm: QEMU exited with $qrc:"
	sed 's/^/    | /' "$out/qemu.log" | tail -n 20
fi

# The guest's kernel messages: the console (what got out even on a crash)
# and the full dmesg the runner saved.
hits=$(cat "$out/console.log" "$out/dmesg.log" 2> /dev/null | tr -d '\r' |
	grep -nE "$SPLAT" | grep -vE "$SPLAT_OK" | head -n 5)
splat_context() {
	local f
	for f in console.log dmesg.log; do
		tr -d '\r' 2> /dev/null < "$out/$f" | grep -E "$SPLAT" | grep -qvE "$SPLAT_OK" || continue
		tr -d '\r' < "$out/$f" | grep -vE "$SPLAT_OK" | grep -nE -B 3 -A 25 "$SPLAT" | head -n 80 |
			sed "s|^|    $f:|"
		break
	done
}

if [ ! -s "$out/summary" ] || [ ! -f "$out/exit" ]; then
	# No summary: the guest crashed or hung.  Blame the case that was
	# running (its start marker has no end marker), count what reported.
	cur=$(tr -d '\r' < "$out/console.log" | sed -n 's/.*tsp: case \([^ ]*\) start$/\1/p' | tail -n 1)
	tr -d '\r' < "$out/console.log" | grep -q "tsp: case $cur end" && cur=
	p=$(grep -c '^PASS ' "$out/runner.log")
	f=$(grep -c '^FAIL ' "$out/runner.log")
	s=$(grep -c '^SKIP ' "$out/runner.log")
	echo "FAIL ${cur:-vm} (the guest never reported: crash or timeout; see $out/console.log)"
	if [ -n "$hits" ]; then
		splat_context
	else
		tr -d '\r' < "$out/console.log" | tail -n 30 | sed 's/^/    | /'
	fi
	echo "vm: ${wall}s wall, logs in $out"
	summary "$p" $((f + 1)) "$s"
	exit 1
fi

# The runner fails the case (or the boot) a splat shows up in; only what
# it could not see is a failure of its own here.
fail_extra=0
if [ -n "$hits" ] && grep -q 'kernel log shows: ' "$out/runner.log"; then
	echo "vm: kernel splat(s), reported above; kernel logs: $out/console.log, $out/dmesg.log"
elif [ -n "$hits" ]; then
	echo "FAIL kernel-log (splat in the guest's kernel log)"
	splat_context
	fail_extra=1
fi

rc=$(cat "$out/exit")
read -r p _ f _ s _ < "$out/summary"
if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
	echo "FAIL runner (exit $rc)"
	f=1
fi
f=$((f + fail_extra))
echo "vm: ${wall}s wall, logs in $out"
summary "$p" "$f" "$s"
[ "$f" = 0 ]
