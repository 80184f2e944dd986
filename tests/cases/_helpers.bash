# shellcheck shell=bash
# Helpers of the splicing-core cases (10-30).  Source after lib.sh:
#     . "$TSP_ROOT/tests/lib.sh"
#     . "$TSP_ROOT/tests/cases/_helpers.bash"
# Named .bash, not .sh, so that the runner (tests/cases/*.sh) does not run it.
#
# The standard path: tsp_xfer (client ns) -> tsp_proxy (proxy ns, port
# PRX_PORT) -> tsp_xfer (server ns, port SRV_PORT).  Every run has a TAG;
# its files are TAG.{srv,prx,cli}.{out,err} and marker files in the
# case's working directory.

CLI_IP=10.0.1.1
PRX_CIP=10.0.1.2
PRX_SIP=10.0.2.2
SRV_IP=10.0.2.1
PRX_PORT=8000
SRV_PORT=5001
: "${XFER_TIMEOUT:=60}"

# kv LINE KEY: print the value of KEY in a "k=v k=v" LINE; 1 if absent.
kv() {
	local re=" $2=([^ ]*)( |\$)"
	[[ " $1" =~ $re ]] || return 1
	printf '%s\n' "${BASH_REMATCH[1]}"
}

# kvp ARRAY LINE: parse the "k=v k=v" LINE into the associative ARRAY
# (declared by the caller with local -A / declare -A).  No subshell: command
# substitutions fork, and a fork costs milliseconds under emulation.
kvp() {
	local -n __kv=$1
	local w
	__kv=()
	set -f
	for w in $2; do
		[[ $w == *=* ]] && __kv[${w%%=*}]=${w#*=}
	done
	set +f
}

# last_line FILE: print the last non-empty line of FILE.
last_line() {
	local l
	last_line_v l "$1" || return 1
	printf '%s\n' "$l"
}

# last_line_v VAR FILE: the same into VAR, without a subshell.
last_line_v() {
	local -n __ll=$1
	local x
	__ll=
	[ -f "$2" ] || return 1
	while IFS= read -r x || [ -n "$x" ]; do
		[ -n "$x" ] && __ll=$x
	done < "$2"
	return 0
}

# line_with FILE PREFIX: print the first line of FILE starting with PREFIX.
line_with() {
	local l
	line_with_v l "$1" "$2" || return 1
	printf '%s\n' "$l"
}

# line_with_v VAR FILE PREFIX: the same into VAR, without a subshell.
line_with_v() {
	local -n __lw=$1
	local x
	__lw=
	[ -f "$2" ] || return 1
	while IFS= read -r x || [ -n "$x" ]; do
		[[ $x == "$3"* ]] && { __lw=$x; return 0; }
	done < "$2"
	return 1
}

# count_lines FILE PREFIX: number of lines of FILE starting with PREFIX.
count_lines() {
	local x n=0
	[ -f "$1" ] || { echo 0; return; }
	while IFS= read -r x || [ -n "$x" ]; do
		[[ $x == "$2"* ]] && n=$((n + 1))
	done < "$1"
	echo "$n"
}

# bytes SIZE: 1K -> 1024, 2M -> 2097152, 17 -> 17.
bytes() {
	local b
	bytes_v b "$1"
	echo "$b"
}

# bytes_v VAR SIZE: the same into VAR.
bytes_v() {
	local -n __b=$1
	case $2 in
	*K) __b=$((${2%K} * 1024)) ;;
	*M) __b=$((${2%M} * 1048576)) ;;
	*) __b=$(($2)) ;;
	esac
}

# files_exist FILE...: true if every FILE exists (for wait_until).
files_exist() {
	local f
	for f in "$@"; do [ -e "$f" ] || return 1; done
}

# dump TAG...: print every output file of the runs TAG (diagnostics).
dump() {
	local t f
	for t in "$@"; do
		for f in "$t".srv.out "$t".srv.err "$t".prx.out "$t".prx.err "$t".cli.out "$t".cli.err; do
			[ -s "$f" ] || continue
			echo "--- $f"
			head -c 4000 "$f"
		done
	done
	return 0
}

# tfail TAG MSG: dump the files of TAG, then fail with MSG.
tfail() {
	dump "$1" >&2
	fail "$1: $2"
}

# start_server TAG OPTS...: tsp_xfer listen in ns server, in the background
# (SRV_PID); returns once it listens (at once with NOWAIT=1; it creates
# TAG.srv.ready when it listens).
start_server() {
	local t=$1
	shift
	rm -f "$t.srv.ready"
	in_ns server tsp_xfer listen "$SRV_PORT" --timeout "$XFER_TIMEOUT" \
		--ready-file "$t.srv.ready" "$@" > "$t.srv.out" 2> "$t.srv.err" &
	SRV_PID=$!
	[ -n "${NOWAIT:-}" ] && return
	wait_until 10 files_exist "$t.srv.ready" || tfail "$t" "server did not start"
}

# start_proxy TAG OPTS...: tsp_proxy in ns proxy, in the background
# (PRX_PID); returns once it listens (at once with NOWAIT=1: TAG.prx.ready
# appears when it listens).  TAG.spliced appears once every
# session passed its splice point, TAG.pid holds the pid.
start_proxy() {
	local t=$1
	shift
	rm -f "$t.prx.ready" "$t.spliced"
	in_ns proxy tsp_proxy --timeout "$XFER_TIMEOUT" --ready-file "$t.prx.ready" \
		--spliced-file "$t.spliced" --pid-file "$t.pid" "$@" \
		"$PRX_PORT" "$SRV_IP" "$SRV_PORT" > "$t.prx.out" 2> "$t.prx.err" &
	PRX_PID=$!
	[ -n "${NOWAIT:-}" ] && return
	wait_until 10 files_exist "$t.prx.ready" || tfail "$t" "proxy did not start"
}

# run_client TAG OPTS...: tsp_xfer connect in ns client (foreground).
run_client() {
	local t=$1
	shift
	in_ns client tsp_xfer connect "$PRX_CIP" "$PRX_PORT" --timeout "$XFER_TIMEOUT" "$@" \
		> "$t.cli.out" 2> "$t.cli.err"
}

# start_client TAG OPTS...: the same in the background (CLI_PID).
start_client() {
	local t=$1
	shift
	in_ns client tsp_xfer connect "$PRX_CIP" "$PRX_PORT" --timeout "$XFER_TIMEOUT" "$@" \
		> "$t.cli.out" 2> "$t.cli.err" &
	CLI_PID=$!
}

# check_pair TAG C2S S2C: the client sent C2S bytes and received S2C, the
# server the reverse, both verified every byte, saw a clean EOF, exited 0,
# and the digests of each direction agree at both ends.
check_pair() {
	local t=$1 c2s s2c cl sl
	local -A C S
	bytes_v c2s "$2"
	bytes_v s2c "$3"
	last_line_v cl "$t.cli.out"
	last_line_v sl "$t.srv.out"
	kvp C "$cl"
	kvp S "$sl"
	[ "${C[verify]:-}" = ok ] || tfail "$t" "client: verify=${C[verify]:-}"
	[ "${S[verify]:-}" = ok ] || tfail "$t" "server: verify=${S[verify]:-}"
	[ "${C[sent]:-}" = "$c2s" ] || tfail "$t" "client sent ${C[sent]:-}, expected $c2s"
	[ "${S[recv]:-}" = "$c2s" ] || tfail "$t" "server received ${S[recv]:-}, expected $c2s"
	[ "${S[sent]:-}" = "$s2c" ] || tfail "$t" "server sent ${S[sent]:-}, expected $s2c"
	[ "${C[recv]:-}" = "$s2c" ] || tfail "$t" "client received ${C[recv]:-}, expected $s2c"
	[ "${C[sent_sha]:-x}" = "${S[recv_sha]:-y}" ] || tfail "$t" "c->s digests differ"
	[ "${S[sent_sha]:-x}" = "${C[recv_sha]:-y}" ] || tfail "$t" "s->c digests differ"
	[ "${C[eof]:-}" = yes ] || tfail "$t" "client: eof=${C[eof]:-} err=${C[err]:-}"
	[ "${S[eof]:-}" = yes ] || tfail "$t" "server: eof=${S[eof]:-} err=${S[err]:-}"
}

# splice_xfer TAG MODE C2S S2C: one full transfer through tsp_proxy --mode
# MODE, C2S bytes client -> server and S2C bytes server -> client, both at
# once, each end shutting down when done.  Knobs (variables, reset after
# the call): REQ and RESP (proxy --relay-req/--hold-resp, capped by the
# sizes), PRE_C and PRE_S (bytes each peer sends before the splice beyond
# the header; the rest waits for the proxy's spliced marker, so no FIN can
# race the ioctl), DELAY (legacy --delay-ms), PX CX SX (extra options
# arrays of proxy, client, server).  Checks check_pair, the proxy's exit
# status and report: ioctl=ok, its sockets received nothing after the
# ioctl (rx_after_*=0), and what it read after the ioctl: nothing in
# drained mode, at most the bytes sent before the splice in legacy mode.
splice_xfer() {
	local t=$1 mode=$2 c2s s2c req resp gc gs prc src pl a
	bytes_v c2s "$3"
	bytes_v s2c "$4"
	req=$((${REQ:-0} < c2s ? ${REQ:-0} : c2s))
	resp=$((${RESP:-0} < s2c ? ${RESP:-0} : s2c))
	gc=$((req + ${PRE_C:-0} < c2s ? req + ${PRE_C:-0} : c2s))
	gs=$((resp + ${PRE_S:-0} < s2c ? resp + ${PRE_S:-0} : s2c))
	local -a px=("${PX[@]}") cx=("${CX[@]}") sx=("${SX[@]}")
	[ -n "${DELAY:-}" ] && px+=(--delay-ms "$DELAY")
	REQ= RESP= PRE_C= PRE_S= DELAY= PX=() CX=() SX=()

	local t0=${EPOCHREALTIME/./}
	NOWAIT=1 start_server "$t" --once --send "$s2c" --expect "$c2s" --shut \
		--gate "$t.spliced" --gate-at "$gs" "${sx[@]}"
	NOWAIT=1 start_proxy "$t" --mode "$mode" --relay-req "$req" --hold-resp "$resp" "${px[@]}"
	wait_until 10 files_exist "$t.srv.ready" "$t.prx.ready" || tfail "$t" "server or proxy did not start"
	run_client "$t" --send "$c2s" --expect "$s2c" --shut \
		--gate "$t.spliced" --gate-at "$gc" "${cx[@]}"
	bg_pid_wait "$SRV_PID" 20
	src=$?
	bg_pid_wait "$PRX_PID" 20
	prc=$?
	check_pair "$t" "$c2s" "$s2c"
	[ "$src" = 0 ] || tfail "$t" "server exit $src"
	[ "$prc" = 0 ] || tfail "$t" "proxy exit $prc"
	line_with_v pl "$t.prx.out" "session=1 " || tfail "$t" "no session line from the proxy"
	check_proxy_line "$t" "$pl" "$mode" $((gc - req)) $((gs - resp))
	log "$t: ok ($mode c2s=$c2s s2c=$s2c req=$req resp=$resp pre=$((gc - req))/$((gs - resp)), $(((${EPOCHREALTIME/./} - t0) / 1000)) ms)"
}

# check_proxy_line TAG LINE MODE PRE_C PRE_S: the proxy's session report is
# right for MODE (see splice_xfer).
check_proxy_line() {
	local t=$1 pl=$2 mode=$3
	local -A P
	kvp P "$pl"
	case $mode in
	drained | legacy)
		[ "${P[ioctl]:-}" = ok ] || tfail "$t" "ioctl=${P[ioctl]:-}"
		[ "${P[rx_after_c]:-}" = 0 ] ||
			tfail "$t" "the proxy's client socket received ${P[rx_after_c]:-} bytes after the ioctl"
		[ "${P[rx_after_s]:-}" = 0 ] ||
			tfail "$t" "the proxy's server socket received ${P[rx_after_s]:-} bytes after the ioctl"
		;;
	esac
	case $mode in
	drained)
		[ "${P[after_c2s]:-}" = 0 ] && [ "${P[after_s2c]:-}" = 0 ] ||
			tfail "$t" "drained proxy read bytes after the ioctl: $pl"
		;;
	legacy)
		[ "${P[after_c2s]:-x}" -le "$4" ] 2> /dev/null ||
			tfail "$t" "legacy proxy read ${P[after_c2s]:-} c->s bytes after the cut, only $4 were sent before"
		[ "${P[after_s2c]:-x}" -le "$5" ] 2> /dev/null ||
			tfail "$t" "legacy proxy read ${P[after_s2c]:-} s->c bytes after the cut, only $5 were sent before"
		[ "${P[held_written]:-x}" = "${P[held]:-y}" ] || tfail "$t" "held bytes not all written: $pl"
		[ "${P[end]:-}" = eof ] || tfail "$t" "legacy proxy: end=${P[end]:-}, expected eof"
		;;
	esac
}

# conn_lines NS: print the session lines of /proc/net/tcp_splice_conn in NS.
conn_lines() {
	in_ns "$1" cat /proc/net/tcp_splice_conn | {
		local x
		read -r x
		while IFS= read -r x; do printf '%s\n' "$x"; done
	}
}

# conn_count NS: number of sessions listed in NS.
conn_count() {
	local n=0 x
	while IFS= read -r x; do n=$((n + 1)); done < <(conn_lines "$1")
	echo "$n"
}

# hex4 N: the port N as 4 upper-case hex digits; hexip A.B.C.D: 8 digits.
hex4() { printf '%04X' "$1"; }
hexip() {
	local IFS=.
	# shellcheck disable=SC2086
	set -- $1
	printf '%02X%02X%02X%02X' "$1" "$2" "$3" "$4"
}
