#!/bin/bash
# In-guest test runner.  Runs every tests/cases/*.sh whose name matches
# TESTS (space- or comma-separated globs, matched against the name with and
# without .sh; default all), in order, each in its own bash process (and
# process group) with a timeout: 300 s, or the N of a "# timeout: N" line
# in the first 30 lines of the case.  Exit 0 = pass, 77 = skip, anything
# else = fail.  A case also fails when the kernel log it caused shows a
# splat, or when the module cannot be unloaded after it.
# Between cases: every process the case left behind is killed, every
# network namespace is deleted and the module is unloaded.
# Output: one PASS/FAIL/SKIP line per case, the tail of each failing case's
# log, and "N passed, N failed, N skipped" last (also in $TSP_OUT/summary).
# Each case's output goes to $TSP_OUT/<case>.log, its kernel messages to
# $TSP_OUT/<case>.dmesg, and all kernel messages to $TSP_OUT/dmesg.log.
# Each case starts in an empty directory of its own, /tmp/tsp/<case>.
# Env: TSP_ROOT, TSP_KO, TSP_TOOLS, TSP_OUT (set by tests/vm/guest-init.sh).
# Slow kernels (make test-debug): TSP_TMO_MULT=N multiplies every case's
# timeout, the helpers' waits (tests/lib.sh) and the default XFER_TIMEOUT;
# TSP_KMEMLEAK=1 scans for kernel memory leaks after booting (those are
# cleared: not ours) and after the last case, and fails the run, as the
# pseudo-case "kmemleak", on a leak whose backtrace runs through the module
# (a tcp_splice frame, or an address no symbol covers: module code that is
# unloaded by then); the other leaks are listed, not counted.
# Resuming (tests/vm/run.sh --resume): the cases named in TSP_PASSED passed
# in the run TSP_PASSED_IN and are reported as passed, not run again.
set -u
export LC_ALL=C
: "${TSP_ROOT:?}" "${TSP_OUT:?}"
export TSP_ROOT TSP_OUT TSP_KO=${TSP_KO:-} TSP_TOOLS=${TSP_TOOLS:-$TSP_ROOT/build/tools}
export PATH=$TSP_TOOLS:$PATH
TESTS=${TESTS:-*}
TSP_TMO_MULT=${TSP_TMO_MULT:-1}
[[ $TSP_TMO_MULT =~ ^[1-9][0-9]*$ ]] || TSP_TMO_MULT=1
export TSP_TMO_MULT
[ "$TSP_TMO_MULT" -gt 1 ] && export XFER_TIMEOUT=${XFER_TIMEOUT:-$((60 * TSP_TMO_MULT))}
[ -n "$TESTS" ] || TESTS='*'
MOD=tcp_splice
# Cases run tools as nobody: a checkout under a private directory (a CI
# runner's mktemp -d is 0700) must be traversable.  chmod here changes the
# guest's overlay copy only, never the host.
d=$TSP_ROOT
while [ -n "$d" ] && [ "$d" != / ]; do
	chmod o+x "$d" 2> /dev/null
	d=${d%/*}
done
# Kernel log lines that fail a case (and, on the host, the run).
SPLAT='BUG:|WARNING:|Oops|general protection|KASAN|UBSAN|refcount_t|lockdep|possible circular locking|INFO: rcu|INFO: task .* blocked|Call Trace|Kernel panic|kernel BUG'
# ... except these (boot banners of the debug kernel, make test-debug).
SPLAT_OK='RCU lockdep checking is enabled'
# Static busybox starts in a third of the time of a dynamic binary under
# emulation: use it for the runner's own chores when it is there.
BB=
[ -x /bin/busybox ] && BB=/bin/busybox

exec {SLEEP_FD}<> <(:)
nap() { read -r -t "$1" -u "$SLEEP_FD" 2> /dev/null; }

read -r up _ < /proc/uptime
read -r rel < /proc/sys/kernel/osrelease
echo "runner: guest up ${up}s, kernel $rel, TESTS='$TESTS'"

# take_kmsg FILE: move the kernel log so far into FILE (and dmesg.log);
# set splat to its lines that match SPLAT.
take_kmsg() {
	local l kl
	$BB dmesg -c > "$1" 2> /dev/null
	mapfile -t kl < "$1"
	[ ${#kl[@]} -gt 0 ] && printf '%s\n' "${kl[@]}" >> "$TSP_OUT/dmesg.log"
	splat=()
	for l in "${kl[@]}"; do
		[[ $l =~ $SPLAT ]] && ! [[ $l =~ $SPLAT_OK ]] && splat+=("$l")
	done
}

matches() {
	local n=$1 g r=1
	set -f
	for g in ${TESTS//,/ }; do
		# shellcheck disable=SC2053
		if [[ $n == $g || $n.sh == $g ]]; then r=0; break; fi
	done
	set +f
	return $r
}

# case_timeout FILE: set tmo to the case's timeout, from a "# timeout: N"
# line anywhere in the comment block that opens FILE (it used to be looked
# for in the first 30 lines only: a longer header silently got 300 s).
case_timeout() {
	local line
	tmo=300
	while IFS= read -r line && [[ $line =~ ^(#|$) ]]; do
		if [[ $line =~ ^#[[:space:]]*timeout:[[:space:]]*([0-9]+) ]]; then
			tmo=${BASH_REMATCH[1]}
			break
		fi
	done < "$1"
	tmo=$((tmo * TSP_TMO_MULT))
}

# kmemleak_scan FILE: scan for leaks twice, put the report in FILE and
# set leaks to the number of objects in it.  An object whose contents
# changed since the previous scan is not reported yet: hence two scans.
KML=/sys/kernel/debug/kmemleak
kmemleak_scan() {
	echo scan > $KML && nap 6 && echo scan > $KML
	cat $KML > "$1" 2>&1
	leaks=$(grep -c '^unreferenced object' "$1")
}

# pids of this runner and its ancestors: the only user processes that may
# survive a case.
keep=" "
p=$$
while [ "$p" -gt 0 ]; do
	keep+="$p "
	read -r st < "/proc/$p/stat" || break
	st=${st##*) }
	read -r _ p _ <<< "$st"
done

# Kill what the case left behind (any user process but ours, daemons that
# left the case's process group included), drop all namespaces, unload
# the module.
cleanup() {
	local pgid=$1 p n killed=0
	kill -KILL -- "-$pgid" 2> /dev/null
	for p in /proc/[0-9]*; do
		n=${p#/proc/}
		[[ $keep == *" $n "* ]] && continue
		# kernel threads have no executable
		[ -e "$p/exe" ] || continue
		kill -KILL "$n" 2> /dev/null && killed=1
	done
	[ $killed = 1 ] && nap 0.2
	for n in /run/netns/*; do
		[ -e "$n" ] && { ip -all netns delete 2> /dev/null; break; }
	done
	if [ -d /sys/module/$MOD ]; then
		for n in 1 2 3 4 5 6 7 8 9 10; do
			rmmod $MOD 2> /dev/null && break
			nap 0.5
		done
		[ -d /sys/module/$MOD ] && return 1
	fi
	return 0
}

tail_log() {
	local lines
	mapfile -t lines < "$1"
	local s=$((${#lines[@]} > $2 ? ${#lines[@]} - $2 : 0))
	if [ ${#lines[@]} -gt 0 ]; then
		printf '    | %s\n' "${lines[@]:s}"
	else
		echo "    | (no output)"
	fi
}

shopt -s nullglob
cases=()
dirs=()
for f in "$TSP_ROOT/${TSP_CASES:-tests/cases}"/*.sh; do
	name=${f##*/}
	name=${name%.sh}
	matches "$name" || continue
	cases+=("$f")
	dirs+=("/tmp/tsp/$name")
done
[ ${#dirs[@]} -gt 0 ] && $BB mkdir -p "${dirs[@]}"

# Each case is a job of its own (set -m: own process group), watched by a
# subshell that kills the group on timeout: no timeout(1) process needed.
pass=0 fail=0 skip=0
# A glob that names no case is a mistake, not a pass.
if [ ${#cases[@]} -eq 0 ]; then
	echo "FAIL tests (no case in ${TSP_CASES:-tests/cases} matches TESTS='$TESTS')"
	fail=1
fi
# A splat while booting fails the run too, and no case runs: the kernel
# is tainted and has turned lock debugging off (seen once in about a
# hundred debug-kernel boots under emulation: KASAN, an interrupt in
# identify_cpu() at 0.004 s), so a run would prove less than it claims.
# The host (tests/vm/run.sh) boots again.
take_kmsg "$TSP_OUT/boot.dmesg"
if [ ${#splat[@]} -gt 0 ]; then
	echo "FAIL boot (kernel log shows: ${splat[0]})"
	tail_log "$TSP_OUT/boot.dmesg" 40
	echo "runner: no case run after a splat while booting"
	echo "${splat[0]}" > "$TSP_OUT/boot-splat"
	echo "0 passed, 1 failed, 0 skipped" > "$TSP_OUT/summary"
	echo "0 passed, 1 failed, 0 skipped"
	exit 1
fi
if [ "${TSP_KMEMLEAK:-0}" = 1 ]; then
	if [ -w $KML ]; then
		t0=$EPOCHREALTIME
		kmemleak_scan "$TSP_OUT/kmemleak-boot.log"
		echo clear > $KML
		us=$((${EPOCHREALTIME/./} - ${t0/./}))
		echo "runner: kmemleak: $leaks object(s) unreferenced after boot, cleared ($((us / 1000000))s)"
	else
		echo "FAIL kmemleak (no $KML: kernel without CONFIG_DEBUG_KMEMLEAK, or kmemleak off)"
		fail=$((fail + 1))
		TSP_KMEMLEAK=0
	fi
fi

set -m
for f in "${cases[@]}"; do
	name=${f##*/}
	name=${name%.sh}
	if [[ " ${TSP_PASSED:-} " == *" $name "* ]]; then
		echo "PASS $name (passed in ${TSP_PASSED_IN:-an earlier run})"
		pass=$((pass + 1))
		continue
	fi
	case_timeout "$f"
	log=$TSP_OUT/$name.log
	echo "tsp: case $name start" > /dev/kmsg
	t0=$EPOCHREALTIME
	(cd "/tmp/tsp/$name" && exec bash "$f") > "$log" 2>&1 < /dev/null &
	cpid=$!
	(
		nap "$tmo"
		: > "/run/tsp-timeout.$name"
		kill -TERM -- "-$cpid" 2> /dev/null
		nap 5
		kill -KILL -- "-$cpid" 2> /dev/null
	) > /dev/null 2>&1 &
	wpid=$!
	wait $cpid 2> /dev/null
	rc=$?
	t1=$EPOCHREALTIME
	kill -KILL $wpid 2> /dev/null
	wait $wpid 2> /dev/null
	why=
	[ -e "/run/tsp-timeout.$name" ] && why="timed out after ${tmo}s"
	cleanup "$cpid" || why="module $MOD could not be unloaded after the case"
	echo "tsp: case $name end rc=$rc" > /dev/kmsg
	take_kmsg "$TSP_OUT/$name.dmesg"
	us=$((${t1/./} - ${t0/./}))
	dt=$((us / 1000000)).$((us / 100000 % 10))
	[ ${#splat[@]} -gt 0 ] && why="kernel log shows: ${splat[0]}"
	if [ -z "$why" ] && [ $rc -eq 0 ]; then
		echo "PASS $name (${dt}s)"
		pass=$((pass + 1))
	elif [ -z "$why" ] && [ $rc -eq 77 ]; then
		msg=
		while IFS= read -r l; do
			[[ $l == SKIP:* ]] && { msg=${l#SKIP: }; break; }
		done < "$log"
		echo "SKIP $name${msg:+ ($msg)}"
		skip=$((skip + 1))
	else
		echo "FAIL $name (${dt}s, exit $rc${why:+; $why})"
		tail_log "$log" 30
		if [ ${#splat[@]} -gt 0 ]; then
			echo "    kernel log of the case ($TSP_OUT/$name.dmesg):"
			tail_log "$TSP_OUT/$name.dmesg" 40
		fi
		fail=$((fail + 1))
	fi
done

# Leaks the suite left: the module's fail the run (see the top).
if [ "${TSP_KMEMLEAK:-0}" = 1 ]; then
	t0=$EPOCHREALTIME
	kmemleak_scan "$TSP_OUT/kmemleak.log"
	us=$((${EPOCHREALTIME/./} - ${t0/./}))
	dt=$((us / 1000000)).$((us / 100000 % 10))
	# One line per object: its header, then its backtrace frames joined.
	mapfile -t objs < <(awk '/^unreferenced object/ { if (o != "") print o; o = $0; next }
		{ o = o " |" $0 } END { if (o != "") print o }' "$TSP_OUT/kmemleak.log")
	ours=()
	for o in "${objs[@]}"; do
		[[ $o == *"[$MOD]"* || $o =~ \]\ 0x[0-9a-f]+( |$) ]] && ours+=("$o")
	done
	if [ ${#ours[@]} -gt 0 ]; then
		echo "FAIL kmemleak (${dt}s; ${#ours[@]} of $leaks leaked object(s) through the module; $TSP_OUT/kmemleak.log)"
		tail_log "$TSP_OUT/kmemleak.log" 60
		fail=$((fail + 1))
	else
		echo "PASS kmemleak (${dt}s; $leaks unreferenced object(s), none through the module)"
		pass=$((pass + 1))
		[ "$leaks" -gt 0 ] && tail_log "$TSP_OUT/kmemleak.log" 40
	fi
	take_kmsg "$TSP_OUT/kmemleak.dmesg"
	if [ ${#splat[@]} -gt 0 ]; then
		echo "FAIL kmemleak-scan (kernel log shows: ${splat[0]})"
		fail=$((fail + 1))
	fi
fi

summary="$pass passed, $fail failed, $skip skipped"
echo "$summary" > "$TSP_OUT/summary"
echo "$summary"
[ $fail -eq 0 ]
