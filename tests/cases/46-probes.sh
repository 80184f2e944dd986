#!/bin/bash
# What a TCP stack sends when its data cannot or need not flow, through a
# splice (drained):
#   zero-window  the client reads nothing for 3 s with a 4 KiB receive
#                buffer while the server streams 1 MiB: the window closes,
#                the server's stack probes it (TcpExtTCPWinProbe), the
#                module forwards probes and answers; the stream resumes
#                when the client reads again, byte-exact;
#   keepalive    the client idles 6 s with keepalive probes after 1 s, every
#                1 s, 3 unanswered ending the connection (ETIMEDOUT): each
#                probe (an old sequence number, no data) must reach the
#                server and its answer come back;
#   urgent       the client sends one byte of its 256 KiB with MSG_OOB: the
#                server gets SIGURG (its kernel saw the urgent pointer, which
#                is relative to the translated sequence number) and,
#                inline, the exact stream;
#   urgent-unread  the urgent byte (at 1000) is still in the proxy's receive
#                queue at the splice (the proxy read 100 bytes; the server
#                answers only once the client's 4000 are queued there): the
#                drained call moves it to the server urgent and in place
#                (tcp_recvmsg() skips it on a socket without SO_OOBINLINE,
#                which cost the stream a byte, seen once in CI);
#   urgent-read  the same, but the proxy took the urgent byte with MSG_OOB
#                just before the call: it is no longer part of the stream,
#                and the server must get the 64 KiB but that byte (moved
#                inline, it would arrive twice: once from the proxy's
#                hands, once from the queue).
# timeout: 180
. "$TSP_ROOT/tests/lib.sh"
. "$TSP_ROOT/tests/cases/_helpers.bash"

need_ko
topo_up
mod_load
cd "$TSP_OUT" || fail "no TSP_OUT"

mib() {	# NS COUNTER
	in_ns "$1" nstat -az "$2" | awk -v k="$2" '$1 == k { print $2 }'
}

# xfer TAG C2S S2C: start_server/start_proxy/run_client with the extra
# options in SX, PX and CX, then the usual byte-exact checks.
xfer() {
	local t=$1
	start_server "$t" --once --send "$3" --expect "$2" --shut "${SX[@]}"
	start_proxy "$t" --mode drained --relay-req 100 "${PX[@]}"
	run_client "$t" --send "$2" --expect "$3" --shut "${CX[@]}"
	bg_pid_wait "$SRV_PID" 30 || tfail "$t" "server exit"
	bg_pid_wait "$PRX_PID" 30 || tfail "$t" "proxy exit"
	check_pair "$t" "$2" "$3"
	grep -q "ioctl=ok" "$t.prx.out" || tfail "$t" "not spliced"
	SX=() PX=() CX=()
}

# zero window
probes0=$(mib server TcpExtTCPWinProbe)
# (the server's bytes wait for the splice: the window must close on the
# module's watch, not while the drained call moves unread bytes)
SX=(--gate zerowin.spliced --gate-at 1000)
CX=(--rcvbuf 4096 --pause-read-at 16K --pause-ms 3000)
xfer zerowin 1K 1M
probes=$(($(mib server TcpExtTCPWinProbe) - ${probes0:-0}))
log "zero-window: the server sent $probes window probes"
[ "$probes" -gt 0 ] || fail "zero-window: no window probe: the window never closed"

# keepalive: the client waits at its gate, the server until the client's EOF
ka0=$(mib client TcpExtTCPKeepAlive)
SX=(--send-after-eof)
CX=(--keepalive 1 --gate zz-keepalive.go --gate-at 1000)
(wait_until 20 files_exist keepalive.spliced && sleep 6 && touch zz-keepalive.go) &
xfer keepalive 64K 64K
ka=$(($(mib client TcpExtTCPKeepAlive) - ${ka0:-0}))
log "keepalive: the client sent $ka keepalive probes, all answered"
[ "$ka" -ge 3 ] || fail "keepalive: only $ka keepalive probes in 6 s idle"

# urgent data
CX=(--oob-at 100000)
xfer urgent 256K 64K
urg=$(kv "$(last_line urgent.srv.out)" urg)
[ "${urg:-0}" -ge 1 ] || fail "urgent: the server got no SIGURG: $(last_line urgent.srv.out)"
log "urgent: the server got SIGURG, stream exact"

# urgent data left unread by the proxy
queued() {	# N: the proxy's socket from the client holds >= N unread bytes
	in_ns proxy ss -Htn state established "( sport = :$PRX_PORT )" |
		awk -v n="$1" '$1 >= n { ok = 1 } END { exit !ok }'
}
SX=(--gate urgq.go --gate-at 0)
PX=(--hold-resp 1K)
CX=(--oob-at 1000 --gate urgq.spliced --gate-at 4000)
(wait_until 20 queued 3900 && touch urgq.go) &
xfer urgq 64K 64K
urg=$(kv "$(last_line urgq.srv.out)" urg)
[ "${urg:-0}" -ge 1 ] || fail "urgent-unread: the server got no SIGURG: $(last_line urgq.srv.out)"
log "urgent-unread: moved by the drained call, urgent and in place (SIGURG), stream exact"

# urgent data the proxy read out of band before the splice
SX=(--gate urgr.go --gate-at 0)
start_server urgr --once --send 64K --expect $((65536 - 1)) --hole-at 1000 --shut "${SX[@]}"
start_proxy urgr --mode drained --relay-req 100 --hold-resp 1K --read-oob
(wait_until 20 queued 3900 && touch urgr.go) &
run_client urgr --send 64K --expect 64K --shut --oob-at 1000 --gate urgr.spliced --gate-at 4000
bg_pid_wait "$SRV_PID" 30 || tfail urgr "server exit"
bg_pid_wait "$PRX_PID" 30 || tfail urgr "proxy exit"
grep -q "ioctl=ok" urgr.prx.out || tfail urgr "not spliced: $(last_line urgr.prx.out)"
declare -A C S
kvp C "$(last_line urgr.cli.out)"
kvp S "$(last_line urgr.srv.out)"
[ "${C[sent]:-}" = 65536 ] || tfail urgr "client sent ${C[sent]:-}"
[ "${S[recv]:-}" = 65535 ] && [ "${S[verify]:-}" = ok ] ||
	tfail urgr "server: recv=${S[recv]:-} verify=${S[verify]:-} (65535 ok: all but the byte at 1000)"
[ "${C[recv]:-}" = 65536 ] && [ "${C[verify]:-}" = ok ] &&
	[ "${S[sent_sha]:-x}" = "${C[recv_sha]:-y}" ] ||
	tfail urgr "client: recv=${C[recv]:-} verify=${C[verify]:-}"
[ "${C[eof]:-}" = yes ] && [ "${S[eof]:-}" = yes ] ||
	tfail urgr "eof: client ${C[eof]:-} server ${S[eof]:-}"
log "urgent-read: the byte the proxy took out of band stayed out, the rest exact"
exit 0
