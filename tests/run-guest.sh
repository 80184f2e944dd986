#!/bin/bash
# In-guest test runner.  Runs every tests/cases/*.sh whose name matches
# TESTS (space- or comma-separated globs, matched against the name with and
# without .sh; default all), in order, each in its own bash process with a
# timeout (300 s, or the N of a "# timeout: N" line near the top of the
# case).  Exit 0 = pass, 77 = skip, anything else = fail.  A case also fails
# when the kernel log it caused shows a splat.
# Between cases: leftover processes are killed, every network namespace is
# deleted and the module is unloaded.
# Output: one PASS/FAIL/SKIP line per case, the tail of each failing case's
# log, and "N passed, N failed, N skipped" last.  Each case's output goes to
# $TSP_OUT/<case>.log, its kernel messages to $TSP_OUT/<case>.dmesg, and
# all kernel messages to $TSP_OUT/dmesg.log.
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

read -r up _ < /proc/uptime
echo "runner: guest up ${up}s, kernel $(uname -r), TESTS='$TESTS'"

dmesg -c >> "$TSP_OUT/dmesg.log" 2>/dev/null

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

case_timeout() {
	local line i=0 t=300
	while IFS= read -r line && [ $((i += 1)) -le 30 ]; do
		if [[ $line =~ ^#[[:space:]]*timeout:[[:space:]]*([0-9]+) ]]; then
			t=${BASH_REMATCH[1]}
			break
		fi
	done < "$1"
	echo "$t"
}

# Kill every process left in another network namespace or in the case's
# process group, drop all namespaces, unload the module.
cleanup() {
	local pgid=$1 p killed=0
	kill -KILL -- "-$pgid" 2>/dev/null
	for p in /proc/[0-9]*; do
		[ "${p#/proc/}" = 1 ] && continue
		if [ -e "$p/ns/net" ] && ! [ "$p/ns/net" -ef /proc/self/ns/net ]; then
			kill -KILL "${p#/proc/}" 2>/dev/null && killed=1
		fi
	done
	[ $killed = 1 ] && read -r -t 0.2 <> <(:)
	local ns=(/run/netns/*)
	[ -e "${ns[0]}" ] && ip -all netns delete 2>/dev/null
	if [ -d /sys/module/$MOD ]; then
		local i
		for i in 1 2 3 4 5 6 7 8 9 10; do
			rmmod $MOD 2>/dev/null && break
			read -r -t 0.5 <> <(:)
		done
		[ -d /sys/module/$MOD ] && return 1
	fi
	return 0
}

tail_log() {
	local lines
	mapfile -t lines < "$1"
	local n=${#lines[@]} s=$(( ${#lines[@]} > $2 ? ${#lines[@]} - $2 : 0 ))
	printf '    | %s\n' "${lines[@]:s}"
	[ "$n" -gt 0 ] || echo "    | (no output)"
}

pass=0 fail=0 skip=0
shopt -s nullglob
for f in "$TSP_ROOT"/tests/cases/*.sh; do
	name=${f##*/}
	name=${name%.sh}
	matches "$name" || continue
	tmo=$(case_timeout "$f")
	log=$TSP_OUT/$name.log
	echo "tsp: case $name start" > /dev/kmsg
	t0=$EPOCHREALTIME
	mkdir -p "/tmp/tsp/$name"
	(cd "/tmp/tsp/$name" && exec timeout -k 5 "$tmo" bash "$f") > "$log" 2>&1 < /dev/null &
	cpid=$!
	wait $cpid
	rc=$?
	t1=$EPOCHREALTIME
	why=
	cleanup "$cpid" || why="module $MOD could not be unloaded after the case"
	echo "tsp: case $name end rc=$rc" > /dev/kmsg
	dmesg -c > "$TSP_OUT/$name.dmesg" 2>/dev/null
	mapfile -t kl < "$TSP_OUT/$name.dmesg"
	printf '%s\n' "${kl[@]}" >> "$TSP_OUT/dmesg.log"
	splat=()
	for l in "${kl[@]}"; do
		[[ $l =~ $SPLAT ]] && splat+=("$l")
	done
	us=$(( (${t1/./} - ${t0/./}) ))
	dt=$(printf '%d.%01d' $((us / 1000000)) $((us % 1000000 / 100000)))
	[ ${#splat[@]} -gt 0 ] && why="kernel log shows: ${splat[0]}"
	if [ -z "$why" ] && [ $rc -eq 0 ]; then
		echo "PASS $name (${dt}s)"
		pass=$((pass + 1))
	elif [ -z "$why" ] && [ $rc -eq 77 ]; then
		msg=$(grep -m1 '^SKIP:' "$log" 2>/dev/null)
		echo "SKIP $name${msg:+ (${msg#SKIP: })}"
		skip=$((skip + 1))
	else
		[ $rc -eq 124 ] && why=${why:-"timed out after ${tmo}s"}
		echo "FAIL $name (${dt}s, exit $rc${why:+; $why})"
		tail_log "$log" 30
		if [ ${#splat[@]} -gt 0 ]; then
			echo "    kernel log of the case ($TSP_OUT/$name.dmesg):"
			tail_log "$TSP_OUT/$name.dmesg" 40
		fi
		fail=$((fail + 1))
	fi
done

echo "$pass passed, $fail failed, $skip skipped" | tee "$TSP_OUT/summary"
[ $fail -eq 0 ]
