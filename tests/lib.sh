# shellcheck shell=bash
# Helpers for test cases.  A case is a bash script in tests/cases/ that
# starts with
#     . "$TSP_ROOT/tests/lib.sh"
# and exits 0 (pass), 77 (skip, see skip) or anything else (fail).  It runs
# inside the test VM as root, under tests/run-guest.sh, with:
#     TSP_ROOT   the project directory (same path as on the host)
#     TSP_KO     the module to test (build/<KVER>/kernel/tcp_splice.ko)
#     TSP_TOOLS  the built test tools (build/tools), also on PATH
#     TSP_OUT    writable result directory, shared with the host
#     KVER       the guest kernel release
# The working directory is a fresh per-case directory on tmpfs.
# Every program started costs tens of milliseconds under emulation (it is
# read over 9p): prefer bash builtins and batch work into few commands.
# After each case the runner kills leftover processes, deletes all network
# namespaces and unloads the module, so cases need not clean up after
# themselves; topo_down and mod_unload exist for cases that must do it
# mid-way.

set -u

TSP_MOD=tcp_splice

# log MSG...: print a message to the case log, prefixed with "# ".
log() { printf '# %s\n' "$*"; }

# fail MSG...: print "FAIL: MSG" and end the case as failed (exit 1).
fail() {
	printf 'FAIL: %s\n' "$*" >&2
	exit 1
}

# skip MSG...: print "SKIP: MSG" and end the case as skipped (exit 77).
skip() {
	printf 'SKIP: %s\n' "$*"
	exit 77
}

# need_cmd CMD...: skip the case unless every CMD is on PATH.
need_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" > /dev/null || skip "$c not available"
	done
}

# need_ko: skip the case unless the module was built ($TSP_KO exists).
need_ko() {
	[ -n "${TSP_KO:-}" ] && [ -f "$TSP_KO" ] || skip "module not built (${TSP_KO:-TSP_KO unset})"
}

# tsp_sleep SECS: sleep without starting a process (SECS may be fractional).
exec {__tsp_sleep_fd}<> <(:)
tsp_sleep() { read -r -t "$1" -u "$__tsp_sleep_fd" 2> /dev/null || true; }

# now_ms: print the monotonic-enough wall clock in milliseconds (builtin).
now_ms() {
	local t=${EPOCHREALTIME/./}
	echo $((t / 1000))
}

# at_exit CMD: run the string CMD (with eval) when the case exits, in the
# reverse order of registration.
__tsp_exit_cmds=()
__tsp_on_exit() {
	local i rc=$?
	for ((i = ${#__tsp_exit_cmds[@]} - 1; i >= 0; i--)); do
		eval "${__tsp_exit_cmds[i]}" || true
	done
	return $rc
}
trap __tsp_on_exit EXIT
at_exit() { __tsp_exit_cmds+=("$1"); }

# assert_eq ACTUAL EXPECTED MSG: fail unless the two strings are equal.
assert_eq() {
	[ "$1" == "$2" ] || fail "${3:-assert_eq}: got '$1', expected '$2'"
}

# assert_ne ACTUAL UNEXPECTED MSG: fail if the two strings are equal.
assert_ne() {
	[ "$1" != "$2" ] || fail "${3:-assert_ne}: got '$1', which it must not be"
}

# assert_match STRING REGEX MSG: fail unless STRING matches the extended
# regular expression REGEX (bash =~).
assert_match() {
	[[ $1 =~ $2 ]] || fail "${3:-assert_match}: '$1' does not match /$2/"
}

# assert_ok CMD...: run CMD, fail if it exits non-zero.
assert_ok() {
	"$@" || fail "command failed (exit $?): $*"
}

# assert_fails CMD...: run CMD, fail if it exits zero.
assert_fails() {
	! "$@" || fail "command succeeded but should have failed: $*"
}

# errno_text NAME: print strerror() of an errno name (EINVAL -> "Invalid
# argument"), as bash and most tools print it.
errno_text() {
	case $1 in
	EPERM) echo "Operation not permitted" ;;
	ENOENT) echo "No such file or directory" ;;
	EIO) echo "Input/output error" ;;
	EBADF) echo "Bad file descriptor" ;;
	EAGAIN) echo "Resource temporarily unavailable" ;;
	ENOMEM) echo "Cannot allocate memory" ;;
	EACCES) echo "Permission denied" ;;
	EFAULT) echo "Bad address" ;;
	EBUSY) echo "Device or resource busy" ;;
	EEXIST) echo "File exists" ;;
	ENODEV) echo "No such device" ;;
	EINVAL) echo "Invalid argument" ;;
	ENOSPC) echo "No space left on device" ;;
	ERANGE) echo "Numerical result out of range" ;;
	ENOSYS) echo "Function not implemented" ;;
	EOPNOTSUPP) echo "Operation not supported" ;;
	EADDRINUSE) echo "Address already in use" ;;
	ECONNREFUSED) echo "Connection refused" ;;
	ECONNRESET) echo "Connection reset by peer" ;;
	ETIMEDOUT) echo "Connection timed out" ;;
	ENOTCONN) echo "Transport endpoint is not connected" ;;
	EPROTONOSUPPORT) echo "Protocol not supported" ;;
	*) echo "$1" ;;
	esac
}

# write_file FILE VALUE: write VALUE to FILE with one write() (no process);
# returns 0 on success, else 1 with the error text in TSP_ERR.
TSP_ERR=
write_file() {
	local err
	err=$({ printf '%s' "$2" > "$1"; } 2>&1) && { TSP_ERR=; return 0; }
	TSP_ERR=${err##*: }
	return 1
}

# read_file FILE: print FILE's first line (builtin read; for /proc, /sys).
read_file() {
	local v
	IFS= read -r v < "$1" || [ -n "$v" ] || return 1
	printf '%s\n' "$v"
}

# assert_write_errno FILE VALUE ERRNO: writing VALUE to FILE must fail with
# ERRNO (a name such as EINVAL); the file's content must stay unchanged.
assert_write_errno() {
	local before after
	before=$(read_file "$1") || fail "cannot read $1"
	if write_file "$1" "$2"; then
		fail "writing '$2' to $1 succeeded, expected $3"
	fi
	[ "$TSP_ERR" = "$(errno_text "$3")" ] ||
		fail "writing '$2' to $1 failed with '$TSP_ERR', expected $3 ($(errno_text "$3"))"
	after=$(read_file "$1")
	[ "$before" = "$after" ] || fail "$1 changed from '$before' to '$after' after a rejected write"
}

# assert_errno ERRNO CMD...: CMD must fail, and its stderr must contain the
# text of ERRNO (a name such as EINVAL).
assert_errno() {
	local e=$1 out
	shift
	if out=$("$@" 2>&1); then
		fail "succeeded but should fail with $e: $*"
	fi
	[[ $out == *"$(errno_text "$e")"* ]] || fail "expected $e from: $*; got: $out"
}

# in_ns NS CMD...: run CMD in network namespace NS (ip netns exec).
in_ns() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

# topo_up [--gro] [--extra N]: create the standard topology
#
#   client c0 10.0.1.1/24 --- p0 10.0.1.2/24 proxy p1 10.0.2.2/24 --- s0 10.0.2.1/24 server
#
# namespaces client, proxy and server, joined by veth pairs; client routes
# by default via 10.0.1.2, server via 10.0.2.2; the proxy forwards IPv4
# (ip_forward=1); lo is up everywhere.  veth has TSO/GSO on and GRO off by
# default; --gro turns GRO on on every veth.  --extra N adds N more
# servers: namespace serverI (I = 1..N) with sI0 10.0.(2+I).1/24, default
# via 10.0.(2+I).2, linked to proxy interface p(1+I) 10.0.(2+I).2/24.
# TOPO_NS and TOPO_VETH (arrays "ns:dev") list what was created.
TOPO_NS=()
TOPO_VETH=()
topo_up() {
	local gro=0 extra=0 v6=0 i
	while [ $# -gt 0 ]; do
		case $1 in
		--gro) gro=1 ;;
		--v6) v6=1 ;;
		--extra) extra=$2; shift ;;
		*) fail "topo_up: unknown option $1" ;;
		esac
		shift
	done
	TOPO_NS=(client proxy server)
	TOPO_VETH=(client:c0 proxy:p0 proxy:p1 server:s0)
	local root="netns add client
netns add proxy
netns add server
link add c0 netns client type veth peer name p0 netns proxy
link add s0 netns server type veth peer name p1 netns proxy"
	local proxy="link set lo up
link set p0 up
link set p1 up
addr add 10.0.1.2/24 dev p0
addr add 10.0.2.2/24 dev p1"
	for ((i = 1; i <= extra; i++)); do
		TOPO_NS+=("server$i")
		TOPO_VETH+=("proxy:p$((1 + i))" "server$i:s${i}0")
		root+="
netns add server$i
link add s${i}0 netns server$i type veth peer name p$((1 + i)) netns proxy"
		proxy+="
link set p$((1 + i)) up
addr add 10.0.$((2 + i)).2/24 dev p$((1 + i))"
	done
	if [ $v6 = 1 ]; then
		# IPv6 beside IPv4: fd00:1::/64 client leg, fd00:2::/64 server
		# leg, same host numbers (nodad: usable at once).
		proxy+="
addr add fd00:1::2/64 dev p0 nodad
addr add fd00:2::2/64 dev p1 nodad"
	fi
	ip -b - <<< "$root" || fail "topo_up: creating namespaces and veths failed"
	# One ip process per namespace, all at once (two vCPUs).
	local -a pids=() what=()
	ip -n proxy -b - <<< "$proxy" &
	pids+=($!) what+=("configuring proxy")
	ip -n client -b - <<< "link set lo up
link set c0 up
addr add 10.0.1.1/24 dev c0
route add default via 10.0.1.2$([ $v6 = 1 ] && printf '\n%s' 'addr add fd00:1::1/64 dev c0 nodad' 'route add default via fd00:1::2')" &
	pids+=($!) what+=("configuring client")
	ip -n server -b - <<< "link set lo up
link set s0 up
addr add 10.0.2.1/24 dev s0
route add default via 10.0.2.2$([ $v6 = 1 ] && printf '\n%s' 'addr add fd00:2::1/64 dev s0 nodad' 'route add default via fd00:2::2')" &
	pids+=($!) what+=("configuring server")
	for ((i = 1; i <= extra; i++)); do
		ip -n "server$i" -b - <<< "link set lo up
link set s${i}0 up
addr add 10.0.$((2 + i)).1/24 dev s${i}0
route add default via 10.0.$((2 + i)).2" &
		pids+=($!) what+=("configuring server$i")
	done
	local pcmd="echo 1 > /proc/sys/net/ipv4/ip_forward"
	[ $v6 = 1 ] && pcmd+=" && echo 1 > /proc/sys/net/ipv6/conf/all/forwarding"
	if [ $gro = 1 ]; then
		local v
		for v in "${TOPO_VETH[@]}"; do
			[ "${v%%:*}" = proxy ] && pcmd+=" && ethtool -K ${v#*:} gro on"
		done
		for v in "${TOPO_VETH[@]}"; do
			[ "${v%%:*}" = proxy ] && continue
			ip netns exec "${v%%:*}" ethtool -K "${v#*:}" gro on &
			pids+=($!) what+=("gro on ${v%%:*}/${v#*:}")
		done
	fi
	ip netns exec proxy sh -c "$pcmd" &
	pids+=($!) what+=("proxy: $pcmd")
	for i in "${!pids[@]}"; do
		wait "${pids[i]}" || fail "topo_up: ${what[i]} failed"
	done
}

# topo_down: delete every network namespace (and so the veths).
topo_down() {
	local n
	for n in /run/netns/*; do
		[ -e "$n" ] && { ip -all netns delete; break; }
	done
	TOPO_NS=()
	TOPO_VETH=()
}

# mod_load [PARAM=VALUE...]: insmod $TSP_KO with the parameters; fails the
# case if that fails.  Skips the case if the module was not built.
mod_load() {
	need_ko
	insmod "$TSP_KO" "$@" || fail "insmod $TSP_KO $* failed"
}

# mod_unload: rmmod the module; fails the case if that fails.
mod_unload() {
	rmmod "$TSP_MOD" || fail "rmmod $TSP_MOD failed"
}

# mod_loaded: true if the module is loaded.
mod_loaded() { [ -d "/sys/module/$TSP_MOD" ]; }

# proc_stat NS NAME: one counter, from /proc/net/stat/tcp_splice.
proc_stat() {
	local n v
	while read -r n v; do
		[ "$n" = "$2" ] && { echo "$v"; return 0; }
	done < <(in_ns "$1" cat /proc/net/stat/tcp_splice)
	return 1
}

# wait_until TIMEOUT_S CMD...: run CMD every 0.1 s until it succeeds
# (return 0) or TIMEOUT_S seconds pass (return 1).  Each try starts CMD
# anew: prefer shell functions or builtins as CMD.  TIMEOUT_S is scaled by
# TSP_TMO_MULT (slow debug kernels, tests/run-guest.sh).
wait_until() {
	local tmo=$1 end
	shift
	end=$(($(now_ms) + tmo * 1000 * ${TSP_TMO_MULT:-1}))
	while :; do
		"$@" && return 0
		[ "$(now_ms)" -ge "$end" ] && return 1
		tsp_sleep 0.1
	done
}

# proc_state PID: print the state letter of PID (R, S, Z...), or nothing.
proc_state() {
	local s
	read -r s 2> /dev/null < "/proc/$1/stat" || return 1
	s=${s##*) }
	echo "${s%% *}"
}

# bg_pid_wait PID TIMEOUT_S: wait for background child PID for at most
# TIMEOUT_S seconds (scaled by TSP_TMO_MULT, as in wait_until); return its
# exit status, or kill it and return 124 on timeout.
bg_pid_wait() {
	local pid=$1 end st
	end=$(($(now_ms) + $2 * 1000 * ${TSP_TMO_MULT:-1}))
	while :; do
		st=$(proc_state "$pid")
		if [ -z "$st" ] || [ "$st" = Z ]; then
			wait "$pid"
			return
		fi
		if [ "$(now_ms)" -ge "$end" ]; then
			kill -KILL "$pid" 2> /dev/null
			wait "$pid" 2> /dev/null
			return 124
		fi
		tsp_sleep 0.05
	done
}

# proc_cpu_ticks PID: print utime+stime of PID in clock ticks (fields 14
# and 15 of /proc/PID/stat; USER_HZ is 100).
proc_cpu_ticks() {
	local s
	read -r s < "/proc/$1/stat" || return 1
	s=${s##*) }
	local -a f
	read -r -a f <<< "$s"
	# f[0] is field 3 (state), so field N is f[N-3].
	echo $((f[11] + f[12]))
}

# make_payload FILE BYTES: write BYTES random bytes to FILE.
make_payload() {
	head -c "$2" /dev/urandom > "$1" || fail "make_payload $1 $2 failed"
}

# digest FILE: print the sha256 of FILE (hex only).
digest() {
	local d
	d=$(sha256sum < "$1") || return 1
	echo "${d%% *}"
}

# assert_same_file A B MSG: fail unless A and B have equal size and digest.
assert_same_file() {
	local sa sb
	sa=$(stat -c %s "$1") || fail "${3:-assert_same_file}: no $1"
	sb=$(stat -c %s "$2") || fail "${3:-assert_same_file}: no $2"
	[ "$sa" = "$sb" ] || fail "${3:-assert_same_file}: $1 has $sa bytes, $2 has $sb"
	[ "$(digest "$1")" = "$(digest "$2")" ] || fail "${3:-assert_same_file}: $1 and $2 differ"
}

# splice_xfer TAG MODE CLIENT_BYTES SERVER_BYTES TIMEOUT [tsp_proxy args...]
# One standard spliced transfer in the current directory: tsp_xfer server
# (server ns, :8080), tsp_proxy MODE (proxy ns, :8000), tsp_xfer client; both
# streams verified byte-exact with EOF.  Files TAG.{srv,prx,cli}; fails the
# case (with the three outputs) on any error.  IPv6: SX_V6=1 (topo_up --v6).
splice_xfer() {
	local tag=$1 mode=$2 size=$3 ssize=$4 tmo=$5 c s p
	local srv=10.0.2.1 prx=10.0.1.2 bind=0.0.0.0
	[ "${SX_V6:-0}" = 1 ] && srv=fd00:2::1 prx=fd00:1::2 bind=::
	shift 5
	# The work directory is shared by the cases: ready files of an
	# earlier case with the same tag (41-gro and 43-netem both use
	# "legacy") would let the client in before the server listens, and
	# the proxy's connect would be refused.
	rm -f "$tag.sready" "$tag.pready"
	in_ns server "$TSP_TOOLS/tsp_xfer" listen 8080 --bind $bind --send "$ssize" \
		--expect "$size" --shut --once --timeout "$tmo" --ready-file "$tag.sready" \
		> "$tag.srv" 2>&1 &
	s=$!
	in_ns proxy "$TSP_TOOLS/tsp_proxy" --mode "$mode" --timeout $((tmo + 30)) "$@" \
		--bind $bind --ready-file "$tag.pready" 8000 $srv 8080 > "$tag.prx" 2>&1 &
	p=$!
	wait_until 10 test -e "$tag.sready" -a -e "$tag.pready" || fail "$tag: not ready"
	in_ns client "$TSP_TOOLS/tsp_xfer" connect $prx 8000 --send "$size" \
		--expect "$ssize" --shut --timeout "$tmo" > "$tag.cli" 2>&1
	c=$?
	wait $s; s=$?
	wait $p; p=$?
	if [ $c != 0 ] || [ $s != 0 ] || [ $p != 0 ]; then
		cat "$tag.cli" "$tag.srv" "$tag.prx"
		declare -F splice_xfer_diag > /dev/null && splice_xfer_diag
		fail "$tag: client=$c server=$s proxy=$p"
	fi
	grep -q "verify=ok eof=yes" "$tag.cli" || fail "$tag: client stream not exact"
	grep -q "verify=ok eof=yes" "$tag.srv" || fail "$tag: server stream not exact"
}
