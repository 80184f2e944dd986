# shellcheck shell=bash
# Helpers of the switchd cases (tests/cases/6*-switchd-*.sh) and of the
# demo.  Source after tests/lib.sh:
#     . "$TSP_ROOT/tests/lib.sh"
#     . "$TSP_ROOT/tests/demo/swd_lib.bash"
#
# Topology (topo_up --extra 1):
#   client 10.0.1.1 -- proxy 10.0.1.2 | 10.0.2.2 -- server  10.0.2.1
#                                     | 10.0.3.2 -- server1 10.0.3.1
# Backend web servers are swd_httpd (starts in milliseconds), switchd runs
# in the proxy namespace with its stats socket in the case directory.
# Programs come from `make -C userland/switchd` (build/switchd/).

SWD_DIR=$TSP_ROOT/build/switchd
SWITCHD=$SWD_DIR/switchd
HTTPD=$SWD_DIR/swd_httpd
LOAD=$SWD_DIR/swd_load
TUNNEL=$SWD_DIR/swd_tunnel
SRV_A=10.0.2.1
SRV_B=10.0.3.1
VIP=10.0.1.2
SWD_SOCK=$PWD/switchd.sock
SWD_LOG=$PWD/switchd.log

# need_switchd: skip unless switchd and its test programs were built.
need_switchd() {
	local f
	for f in "$SWITCHD" "$HTTPD" "$LOAD"; do
		[ -x "$f" ] || skip "$f not built (make -C userland/switchd)"
	done
}

# www DIR NAME SIZE...: make DIR with files of the given sizes (bytes or
# K/M suffixes, named after the size) and NAME's marker file "name".
www() {
	local d=$1 n=$2 s b
	shift 2
	mkdir -p "$d"
	printf '%s\n' "$n" > "$d/name"
	for s in "$@"; do
		case $s in
		*K) b=$((${s%K} * 1024)) ;;
		*M) b=$((${s%M} * 1048576)) ;;
		*) b=$s ;;
		esac
		head -c "$b" /dev/urandom > "$d/$s" || fail "www: cannot write $d/$s"
	done
}

# start_httpd NS ADDR:PORT NAME ROOT: swd_httpd in NS, in the background;
# returns once it listens.  HTTPD_PIDS collects the pids (by name).
declare -A HTTPD_PIDS=()
start_httpd() {
	local ns=$1 addr=$2 name=$3 root=$4
	rm -f "httpd-$name.ready"
	# ip netns exec execs the program: $! is the server itself (in_ns,
	# a function, would give the pid of a subshell)
	ip netns exec "$ns" "$HTTPD" -l "$addr" -r "$root" -n "$name" --ready "httpd-$name.ready" \
		> "httpd-$name.log" 2>&1 &
	HTTPD_PIDS[$name]=$!
	wait_until 10 files_exist "httpd-$name.ready" || fail "swd_httpd $name did not start"
}

# stop_httpd NAME: kill that server (SIGKILL: its connections reset).
stop_httpd() {
	kill -KILL "${HTTPD_PIDS[$1]}" 2> /dev/null
	wait "${HTTPD_PIDS[$1]}" 2> /dev/null
	return 0
}

files_exist() {
	local f
	for f in "$@"; do [ -e "$f" ] || return 1; done
}

# start_switchd CONF ARGS...: switchd -f CONF ARGS in ns proxy, in the
# background (SWD_PID: switchd's own pid, for signals); returns once its
# stats socket exists.
start_switchd() {
	local conf=$1
	shift
	rm -f "$SWD_SOCK"
	ip netns exec proxy "$SWITCHD" -f "$conf" "$@" >> "$SWD_LOG" 2>&1 &
	SWD_PID=$!
	wait_until 20 swd_up || { cat "$SWD_LOG" >&2; fail "switchd did not start"; }
}

swd_up() {
	[ -S "$SWD_SOCK" ] || [ -S "$SWD_SOCK.0" ]
}

# stop_switchd: SIGTERM, wait for the exit (graceful stop), check status 0.
stop_switchd() {
	local rc
	kill -TERM "$SWD_PID" 2> /dev/null
	bg_pid_wait "$SWD_PID" 60
	rc=$?
	[ $rc = 0 ] || { tail -n 20 "$SWD_LOG" >&2; fail "switchd exited with $rc"; }
}

# swd CMD...: a stats socket command (switchd -S), output on stdout.
swd() {
	"$SWITCHD" -S "$SWD_SOCK" "$@"
}

# swd_info KEY: one value of "show info".
swd_info() {
	local l
	while IFS= read -r l; do
		[[ $l == "$1: "* ]] && { printf '%s\n' "${l#*: }"; return 0; }
	done < <(swd show info)
	return 1
}

# server_state BACKEND SERVER: UP, DOWN or MAINT from "show servers".
server_state() {
	local b s a w st rest
	while read -r b s a w st rest; do
		[ "$b" = "$1" ] && [ "$s" = "$2" ] && { echo "$st"; return 0; }
	done < <(swd show servers)
	return 1
}

state_is() { [ "$(server_state "$1" "$2")" = "$3" ]; }

# kv LINE KEY: value of KEY in a "k=v k=v" line (quoted values: up to the
# closing quote).
kv() {
	local re=" $2=\"([^\"]*)\"" re2=" $2=([^ ]*)( |\$)"
	if [[ " $1" =~ $re ]]; then
		printf '%s\n' "${BASH_REMATCH[1]}"
		return 0
	fi
	[[ " $1" =~ $re2 ]] || return 1
	printf '%s\n' "${BASH_REMATCH[1]}"
}

# session_lines: the session log lines of switchd so far (SESSIONS array).
session_lines() {
	SESSIONS=()
	local l
	while IFS= read -r l; do
		[[ $l == *" session="* ]] && SESSIONS+=("${l#*]: }")
	done < "$SWD_LOG"
}

# count_sessions KEY=VALUE...: log lines with every " KEY=VALUE " (grep:
# thousands of lines are too slow for bash under emulation).
count_sessions() {
	local out p
	out=$(grep -F ' session=' "$SWD_LOG")
	for p in "$@"; do
		[ -n "$out" ] || break
		out=$(grep -F -- " $p " <<< "$out")
	done
	if [ -n "$out" ]; then wc -l <<< "$out"; else echo 0; fi
}

# check_ends MODE N: all N session lines of MODE ended by fin; in kernel
# mode up to 1% may end by the module's "rst" (seen about once in a
# thousand sessions after complete transfers: the module's verdict, not
# switchd's; reported).  MODE auto: every line, whatever carried it (the
# "rst" allowance for its kernel sessions).
check_ends() {
	local mode=$1 n=$2 fin rst m=mode=$1
	if [ "$mode" = auto ]; then
		fin=$(count_sessions end=fin)
		m=mode=kernel
	else
		fin=$(count_sessions mode="$mode" end=fin)
	fi
	[ "$fin" = "$n" ] && return 0
	rst=$(count_sessions "$m" end=rst)
	if [ "$m" = mode=kernel ] && [ $((fin + rst)) = "$n" ] && [ $((rst * 100)) -le "$n" ]; then
		log "$mode: $rst of $n kernel sessions ended by the module with rst"
		return 0
	fi
	fail "$mode: $fin fin and $rst rst log lines of $n: $(grep session= "$SWD_LOG" | grep -v end=fin | head -n 3)"
}

# load ARGS...: swd_load in ns client against VIP:PORT (the last argument
# is the port); LOAD_OUT holds its summary line; returns its status.
load() {
	local port=${*: -1} rc
	LOAD_OUT=$(in_ns client "$LOAD" "${@:1:$#-1}" "$VIP:$port" 2> load.err)
	rc=$?
	log "swd_load ${*:1:$#-1}: $LOAD_OUT"
	[ $rc = 0 ] || sed 's/^/# swd_load: /' load.err | head -n 5
	return $rc
}

# get URL_PATH HOST OUTFILE [CURL ARGS...]: curl through switchd (port
# SWD_PORT, default 8080); prints "code size server".
get() {
	local path=$1 host=$2 out=$3
	shift 3
	in_ns client curl -s -m 60 -o "$out" -D hdr.txt -H "Host: $host" "$@" \
		-w '%{http_code} %{size_download}\n' "http://$VIP:${SWD_PORT:-8080}$path"
}

# hdr_value NAME: a header of the last get's response (hdr.txt).
hdr_value() {
	local l
	while IFS= read -r l; do
		l=${l%$'\r'}
		[[ ${l,,} == "${1,,}: "* ]] && { printf '%s\n' "${l#*: }"; return 0; }
	done < hdr.txt
	return 1
}

# kernel_idle: switchd follows no kernel session any more (for wait_until).
kernel_idle() {
	[ "$(swd_info kernel_sessions)" = 0 ]
}

# swd_tuning: make client port reuse harmless.  A spliced session stays in
# the module's TIME_WAIT for timeout_timewait (120 s) and the module drops
# a new SYN on its 4-tuple (drop_syn); a client whose connection the
# server closed first keeps no TIME_WAIT and may reuse the port at once:
# its connection then hangs.  Tests open thousands of connections from one
# address: shorten that state and widen the client's port range.
swd_tuning() {
	ip netns exec proxy bash -c 'echo 1 > /proc/sys/net/tcp_splice/timeout_timewait' ||
		fail "cannot set timeout_timewait"
	ip netns exec client bash -c 'echo "1024 65535" > /proc/sys/net/ipv4/ip_local_port_range'
}

# swd_diag RC: when the case failed, keep switchd's log, its sessions, the
# module's session table and counters in $TSP_OUT/<case>.switchd.txt.
swd_diag() {
	local rc=$1 f n
	[ "$rc" = 0 ] || [ "$rc" = 77 ] || [ -z "${TSP_OUT:-}" ] && return 0
	n=${0##*/}
	f=$TSP_OUT/${n%.sh}.switchd.txt
	{
		echo "=== switchd log ($SWD_LOG)"
		cat "$SWD_LOG" 2> /dev/null
		if swd_up; then
			echo "=== show info"; swd show info
			echo "=== show sessions"; swd show sessions
			echo "=== show kernel"; swd show kernel
		fi
		echo "=== stats sockets"
		ls -li --time-style=+%T.%N "$SWD_SOCK"*
		echo "=== unix listeners (proxy)"
		ip netns exec proxy ss -xlp 2> /dev/null
		echo "=== switchd processes"
		ps -eo pid,ppid,stat,etimes,args | grep '[s]witchd'
		echo "=== /proc/net/tcp_splice_conn (proxy)"
		ip netns exec proxy cat /proc/net/tcp_splice_conn 2> /dev/null
		echo "=== /proc/net/stat/tcp_splice (proxy)"
		ip netns exec proxy cat /proc/net/stat/tcp_splice 2> /dev/null
		echo "=== ss -tan (proxy)"
		ip netns exec proxy ss -tanoi 2> /dev/null | head -n 400
	} > "$f" 2>&1
	echo "# switchd diagnostics in $f"
}
at_exit 'swd_diag $rc'
