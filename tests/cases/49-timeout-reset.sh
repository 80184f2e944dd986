#!/bin/bash
# A session that times out before both peers finished resets them
# (reset_on_timeout=1, the default), so nobody waits for bytes that will
# never come; with reset_on_timeout=0 it ends silently, as conntrack does.
#  1. idle ESTABLISHED, timeout_established 2 s: both peers get a RST
#     (ECONNRESET), sessions_ended_timeout grows by 1.
#  2. the same with reset_on_timeout=0: both peers hear nothing and give up
#     on their own timer; then 1 again over IPv6.
#  3. LAST_ACK: the server's FIN, forwarded by the module, is lost before
#     the client (dropped in its namespace) until timeout_lastack (2 s)
#     passes: the client, waiting in FIN_WAIT2 for it, gets a RST instead
#     of hanging (the hang of soak run 9).
#  4. The other way, with a client that finished before the splice
#     (CLOSE_WAIT): the lost FIN is the proxy's, which ends the client's stream
#     towards the server; the session waits in LAST_ACK for its
#     acknowledgment (it used to count it as acknowledged at once, and
#     sat in TIME_WAIT for 120 s, then ended silently).
# timeout: 240
. "$TSP_ROOT/tests/lib.sh"
. "$TSP_ROOT/tests/cases/_helpers.bash"

need_ko
topo_up --v6
mod_load
cd "$TSP_OUT" || fail "no TSP_OUT"

D=/proc/sys/net/tcp_splice
M=${TSP_TMO_MULT:-1}
set_knob() { in_ns proxy sh -c "echo $2 > $D/$1" || fail "cannot set $1=$2"; }
gone() { [ "$(conn_count proxy)" = 0 ]; }
gone6() { ! in_ns proxy grep -q '^FD' /proc/net/tcp_splice_conn6; }
# ends TAG FILE EOF ERR: FILE's last line says eof=EOF err=ERR (a RST the
# peer was told to expect, --expect-eof rst, is eof=rst err=none)
ends() {
	local l
	l=$(last_line "$2")
	[ "$(kv "$l" eof)" = "$3" ] && [ "$(kv "$l" err)" = "$4" ] ||
		tfail "$1" "$2: expected eof=$3 err=$4: $l"
}

assert_eq "$(in_ns proxy cat $D/reset_on_timeout)" 1 "default of reset_on_timeout"

# --- 1 and 2: an idle ESTABLISHED session times out --------------------------
set_knob timeout_established $((2 * M))
for reset in 1 0; do
	t=idle$reset
	set_knob reset_on_timeout $reset
	to0=$(proc_stat proxy sessions_ended_timeout)
	if [ $reset = 1 ]; then
		XFER_TIMEOUT=$((60 * M))
		want=(rst none)
	else
		# well past the session's end: they would hear of it by then
		XFER_TIMEOUT=$((12 * M))
		want=(no timeout)
	fi
	start_server "$t" --conns 1 --send 4K --expect 4K --expect-eof rst
	start_proxy "$t" --mode drained --relay-req 100
	start_client "$t" --send 4K --expect 4K --expect-eof rst
	wait_until 20 files_exist "$t.spliced" || tfail "$t" "the proxy did not splice"
	bg_pid_wait "$PRX_PID" 30 || tfail "$t" "proxy exit $?"
	wait_until $((20 * M)) gone || tfail "$t" "session still listed: $(conn_lines proxy)"
	assert_eq "$(($(proc_stat proxy sessions_ended_timeout) - to0))" 1 "$t: sessions ended by timeout"
	bg_pid_wait "$CLI_PID" $((30 * M))
	bg_pid_wait "$SRV_PID" $((30 * M))
	log "$t: client $(last_line "$t.cli.out")"
	log "$t: server $(last_line "$t.srv.out")"
	ends "$t" "$t.cli.out" "${want[@]}"
	ends "$t" "$t.srv.out" "${want[@]}"
done
set_knob reset_on_timeout 1

# --- 1 over IPv6: the RSTs are built per family ---------------------------
t=idle6
to0=$(proc_stat proxy sessions_ended_timeout)
XFER_TIMEOUT=$((60 * M))
SRV_IP=fd00:2::1 PRX_CIP=fd00:1::2
start_server "$t" --bind :: --conns 1 --send 4K --expect 4K --expect-eof rst
start_proxy "$t" --bind :: --mode drained --relay-req 100
start_client "$t" --send 4K --expect 4K --expect-eof rst
SRV_IP=10.0.2.1 PRX_CIP=10.0.1.2
wait_until 20 files_exist "$t.spliced" || tfail "$t" "the proxy did not splice"
bg_pid_wait "$PRX_PID" 30 || tfail "$t" "proxy exit $?"
assert_eq "$(in_ns proxy grep -c '^FD000001' /proc/net/tcp_splice_conn6)" 1 "$t: IPv6 sessions listed"
wait_until $((20 * M)) gone6 || tfail "$t" "session still listed: $(in_ns proxy cat /proc/net/tcp_splice_conn6)"
assert_eq "$(($(proc_stat proxy sessions_ended_timeout) - to0))" 1 "$t: sessions ended by timeout"
bg_pid_wait "$CLI_PID" $((30 * M))
bg_pid_wait "$SRV_PID" $((30 * M))
log "$t: client $(last_line "$t.cli.out")"
log "$t: server $(last_line "$t.srv.out")"
ends "$t" "$t.cli.out" rst none
ends "$t" "$t.srv.out" rst none
set_knob timeout_established 900

# --- 3 and 4: LAST_ACK, one peer's FIN never arrives ------------------------
# lastack_run TAG NS DPORT_OR_SPORT: drop every segment with FIN that
# enters NS from the proxy (nft), run a transfer whose peers both finish,
# and expect the peer in NS (which never hears the other's FIN) to get a
# RST once timeout_lastack passes.
set_knob timeout_lastack $((2 * M))
XFER_TIMEOUT=$((60 * M))
drop_fins() {
	in_ns "$1" nft -f - << NFT || fail "nft"
table inet t49 {
	chain in {
		type filter hook input priority 0;
		ip saddr { $PRX_CIP, $PRX_SIP } tcp flags & fin == fin counter drop;
	}
}
NFT
}
challenges() { in_ns "$1" nstat -az TcpExtTCPChallengeACK | awk '/TcpExtTCPChallengeACK/ { print $2 }'; }
fins_dropped() { in_ns "$1" nft list table inet t49 | grep -o 'packets [0-9]*'; }

# 3: the server finishes after the splice (--gate) and its FIN, forwarded
# by the module, is lost before the client, waiting in FIN_WAIT2.
t=lastack-s2c
drop_fins client
to0=$(proc_stat proxy sessions_ended_timeout)
ch0=$(challenges client)
start_server "$t" --conns 1 --expect 64K --shut --gate "$t.gate"
start_proxy "$t" --mode drained --relay-req 100
start_client "$t" --send 64K --shut --expect-eof rst
wait_until 20 files_exist "$t.spliced" || tfail "$t" "the proxy did not splice"
: > "$t.gate"
bg_pid_wait "$SRV_PID" 30 || tfail "$t" "server exit $?"
bg_pid_wait "$CLI_PID" $((40 * M))
log "$t: client $(last_line "$t.cli.out"); FINs dropped: $(fins_dropped client)"
in_ns client nft delete table inet t49
ends "$t" "$t.cli.out" rst none
# the module's RST leaves out the lost FIN: exact, no challenge ACK needed
assert_eq "$(($(challenges client) - ch0))" 0 "$t: challenge ACKs the client sent"
assert_eq "$(kv "$(last_line "$t.cli.out")" sent)" 65536 "$t: bytes the client sent"
assert_eq "$(kv "$(last_line "$t.srv.out")" recv)" 65536 "$t: bytes the server received"
wait_until 10 gone || fail "$t: session still listed: $(conn_lines proxy)"
assert_eq "$(($(proc_stat proxy sessions_ended_timeout) - to0))" 1 "$t: sessions ended by timeout"

# 4: the client sends its request and finishes before the splice (the
# proxy waits for its FIN: CLOSE_WAIT, so the proxy's FIN on the server's
# connection is the end of the client's stream); that FIN is lost before
# the server, which answers after the splice (--gate: had it finished
# before, the splice would be refused), finishes and waits in FIN_WAIT2.
t=lastack-c2s
drop_fins server
to0=$(proc_stat proxy sessions_ended_timeout)
start_server "$t" --conns 1 --send 64K --expect 1K --shut --expect-eof rst --gate "$t.gate"
start_proxy "$t" --mode drained --relay-req 1024 --wait-client-fin
start_client "$t" --send 1K --expect 64K --shut
wait_until 20 files_exist "$t.spliced" || tfail "$t" "the proxy did not splice"
: > "$t.gate"
bg_pid_wait "$CLI_PID" 30 || tfail "$t" "client exit $?"
bg_pid_wait "$SRV_PID" $((40 * M))
log "$t: server $(last_line "$t.srv.out"); FINs dropped: $(fins_dropped server)"
in_ns server nft delete table inet t49
ends "$t" "$t.srv.out" rst none
assert_eq "$(kv "$(last_line "$t.cli.out")" recv)" 65536 "$t: bytes the client received"
assert_eq "$(kv "$(last_line "$t.cli.out")" verify)" ok "$t: the client's check"
wait_until 10 gone || fail "$t: session still listed: $(conn_lines proxy)"
assert_eq "$(($(proc_stat proxy sessions_ended_timeout) - to0))" 1 "$t: sessions ended by timeout"
exit 0
