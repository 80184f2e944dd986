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

# last_line FILE: print the last non-empty line of FILE.
last_line() {
	local l= x
	[ -f "$1" ] || return 1
	while IFS= read -r x || [ -n "$x" ]; do
		[ -n "$x" ] && l=$x
	done < "$1"
	printf '%s\n' "$l"
}

# line_with FILE PREFIX: print the first line of FILE starting with PREFIX.
line_with() {
	local x
	[ -f "$1" ] || return 1
	while IFS= read -r x || [ -n "$x" ]; do
		[[ $x == "$2"* ]] && { printf '%s\n' "$x"; return 0; }
	done < "$1"
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
	case $1 in
	*K) echo $((${1%K} * 1024)) ;;
	*M) echo $((${1%M} * 1048576)) ;;
	*) echo $(($1)) ;;
	esac
}

min() { echo $(($1 < $2 ? $1 : $2)); }

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
# (SRV_PID); returns once it listens.
start_server() {
	local t=$1
	shift
	rm -f "$t.srv.ready"
	in_ns server tsp_xfer listen "$SRV_PORT" --timeout "$XFER_TIMEOUT" \
		--ready-file "$t.srv.ready" "$@" > "$t.srv.out" 2> "$t.srv.err" &
	SRV_PID=$!
	wait_until 10 files_exist "$t.srv.ready" || tfail "$t" "server did not start"
}

# start_proxy TAG OPTS...: tsp_proxy in ns proxy, in the background
# (PRX_PID); returns once it listens.  TAG.spliced appears once every
# session passed its splice point, TAG.pid holds the pid.
start_proxy() {
	local t=$1
	shift
	rm -f "$t.prx.ready" "$t.spliced"
	in_ns proxy tsp_proxy --timeout "$XFER_TIMEOUT" --ready-file "$t.prx.ready" \
		--spliced-file "$t.spliced" --pid-file "$t.pid" "$@" \
		"$PRX_PORT" "$SRV_IP" "$SRV_PORT" > "$t.prx.out" 2> "$t.prx.err" &
	PRX_PID=$!
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
	c2s=$(bytes "$2")
	s2c=$(bytes "$3")
	cl=$(last_line "$t.cli.out")
	sl=$(last_line "$t.srv.out")
	[ "$(kv "$cl" verify)" = ok ] || tfail "$t" "client: verify=$(kv "$cl" verify)"
	[ "$(kv "$sl" verify)" = ok ] || tfail "$t" "server: verify=$(kv "$sl" verify)"
	[ "$(kv "$cl" sent)" = "$c2s" ] || tfail "$t" "client sent $(kv "$cl" sent), expected $c2s"
	[ "$(kv "$sl" recv)" = "$c2s" ] || tfail "$t" "server received $(kv "$sl" recv), expected $c2s"
	[ "$(kv "$sl" sent)" = "$s2c" ] || tfail "$t" "server sent $(kv "$sl" sent), expected $s2c"
	[ "$(kv "$cl" recv)" = "$s2c" ] || tfail "$t" "client received $(kv "$cl" recv), expected $s2c"
	[ "$(kv "$cl" sent_sha)" = "$(kv "$sl" recv_sha)" ] || tfail "$t" "c->s digests differ"
	[ "$(kv "$sl" sent_sha)" = "$(kv "$cl" recv_sha)" ] || tfail "$t" "s->c digests differ"
	[ "$(kv "$cl" eof)" = yes ] || tfail "$t" "client: eof=$(kv "$cl" eof) err=$(kv "$cl" err)"
	[ "$(kv "$sl" eof)" = yes ] || tfail "$t" "server: eof=$(kv "$sl" eof) err=$(kv "$sl" err)"
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
	c2s=$(bytes "$3")
	s2c=$(bytes "$4")
	req=$(min "${REQ:-0}" "$c2s")
	resp=$(min "${RESP:-0}" "$s2c")
	gc=$(min $((req + ${PRE_C:-0})) "$c2s")
	gs=$(min $((resp + ${PRE_S:-0})) "$s2c")
	local -a px=("${PX[@]}") cx=("${CX[@]}") sx=("${SX[@]}")
	[ -n "${DELAY:-}" ] && px+=(--delay-ms "$DELAY")
	REQ= RESP= PRE_C= PRE_S= DELAY= PX=() CX=() SX=()

	start_server "$t" --once --send "$s2c" --expect "$c2s" --shut \
		--gate "$t.spliced" --gate-at "$gs" "${sx[@]}"
	start_proxy "$t" --mode "$mode" --relay-req "$req" --hold-resp "$resp" "${px[@]}"
	run_client "$t" --send "$c2s" --expect "$s2c" --shut \
		--gate "$t.spliced" --gate-at "$gc" "${cx[@]}"
	bg_pid_wait "$SRV_PID" 20
	src=$?
	bg_pid_wait "$PRX_PID" 20
	prc=$?
	check_pair "$t" "$c2s" "$s2c"
	[ "$src" = 0 ] || tfail "$t" "server exit $src"
	[ "$prc" = 0 ] || tfail "$t" "proxy exit $prc"
	pl=$(line_with "$t.prx.out" "session=1 ") || tfail "$t" "no session line from the proxy"
	check_proxy_line "$t" "$pl" "$mode" $((gc - req)) $((gs - resp))
	log "$t: ok ($mode c2s=$c2s s2c=$s2c req=$req resp=$resp pre=$((gc - req))/$((gs - resp)))"
}

# check_proxy_line TAG LINE MODE PRE_C PRE_S: the proxy's session report is
# right for MODE (see splice_xfer).
check_proxy_line() {
	local t=$1 pl=$2 mode=$3 a
	case $mode in
	drained | legacy)
		[ "$(kv "$pl" ioctl)" = ok ] || tfail "$t" "ioctl=$(kv "$pl" ioctl)"
		[ "$(kv "$pl" rx_after_c)" = 0 ] ||
			tfail "$t" "the proxy's client socket received $(kv "$pl" rx_after_c) bytes after the ioctl"
		[ "$(kv "$pl" rx_after_s)" = 0 ] ||
			tfail "$t" "the proxy's server socket received $(kv "$pl" rx_after_s) bytes after the ioctl"
		;;
	esac
	case $mode in
	drained)
		[ "$(kv "$pl" after_c2s)" = 0 ] && [ "$(kv "$pl" after_s2c)" = 0 ] ||
			tfail "$t" "drained proxy read bytes after the ioctl: $pl"
		;;
	legacy)
		a=$(kv "$pl" after_c2s)
		[ "$a" -le "$4" ] || tfail "$t" "legacy proxy read $a c->s bytes after the cut, only $4 were sent before"
		a=$(kv "$pl" after_s2c)
		[ "$a" -le "$5" ] || tfail "$t" "legacy proxy read $a s->c bytes after the cut, only $5 were sent before"
		[ "$(kv "$pl" held_written)" = "$(kv "$pl" held)" ] || tfail "$t" "held bytes not all written: $pl"
		[ "$(kv "$pl" end)" = eof ] || tfail "$t" "legacy proxy: end=$(kv "$pl" end), expected eof"
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
