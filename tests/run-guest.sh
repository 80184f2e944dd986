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
set -u
export LC_ALL=C
: "${TSP_ROOT:?}" "${TSP_OUT:?}"
export TSP_ROOT TSP_OUT TSP_KO=${TSP_KO:-} TSP_TOOLS=${TSP_TOOLS:-$TSP_ROOT/build/tools}
export PATH=$TSP_TOOLS:$PATH
TESTS=${TESTS:-*}
[ -n "$TESTS" ] || TESTS='*'
MOD=tcp_splice
# Kernel log lines that fail a case (and, on the host, the run).
SPLAT='BUG:|WARNING:|Oops|general protection|KASAN|UBSAN|refcount_t|lockdep|possible circular locking|INFO: rcu|INFO: task .* blocked|Call Trace|Kernel panic|kernel BUG'
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
		[[ $l =~ $SPLAT ]] && splat+=("$l")
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

# case_timeout FILE: set tmo to the case's timeout.
case_timeout() {
	local line i=0
	tmo=300
	while IFS= read -r line && [ $((i += 1)) -le 30 ]; do
		if [[ $line =~ ^#[[:space:]]*timeout:[[:space:]]*([0-9]+) ]]; then
			tmo=${BASH_REMATCH[1]}
			break
		fi
	done < "$1"
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
# A splat while booting fails the run too.
take_kmsg "$TSP_OUT/boot.dmesg"
if [ ${#splat[@]} -gt 0 ]; then
	echo "FAIL boot (kernel log shows: ${splat[0]})"
	tail_log "$TSP_OUT/boot.dmesg" 40
	fail=$((fail + 1))
fi

set -m
for f in "${cases[@]}"; do
	name=${f##*/}
	name=${name%.sh}
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

summary="$pass passed, $fail failed, $skip skipped"
echo "$summary" > "$TSP_OUT/summary"
echo "$summary"
[ $fail -eq 0 ]
