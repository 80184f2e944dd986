#!/bin/bash
# Dump and get through netlink (tcpspliceadm list/get): three live sessions,
# two made by root (proxy port 8000, server port 5001) and one by nobody
# (8001 -> 5002).  The tuples of `list -j` are exactly those of
# /proc/net/tcp_splice_conn and of the connections ss sees at the peers;
# the table shows the same; every filter (--addr, --port, --state, --id
# and combinations) selects the right sessions; nobody sees only its own
# session; another namespace sees none; after FIN both ways the sessions
# leave ESTABLISHED and the state filter follows.
# timeout: 400
. "$TSP_ROOT/tests/lib.sh"
. "$TSP_ROOT/tests/cases/_helpers.bash"
. "$TSP_ROOT/tests/cases/_nl.bash"

need_ko
XFER_TIMEOUT=$((240 * ${TSP_TMO_MULT:-1}))	# dozens of tcpspliceadm runs while the sessions idle
need_userland
need_cmd ss
topo_up
mod_load

# --- three idle sessions --------------------------------------------------
start_server r --conns 2 --send 64K --expect 64K --shut --gate go --gate-at 1000
SRV_R=$SRV_PID
SRV_PORT=5002 start_server n --once --send 64K --expect 64K --shut --gate go --gate-at 1000
SRV_N=$SRV_PID
start_nlproxy r --count 2
PRX_R=$PRX_PID
PORT=8001 SPORT=5002 start_nlproxy n --nobody --count 1
PRX_N=$PRX_PID
start_client r --conns 2 --send 64K --expect 64K --shut --gate go --gate-at 1000
CLI_R=$CLI_PID
PRX_PORT=8001 start_client n --send 64K --expect 64K --shut --gate go --gate-at 1000
CLI_N=$CLI_PID
wait_until 20 files_exist r.spliced n.spliced || { dump r n; fail "the proxies did not splice"; }
mapfile -t RIDS < r.ids
NID=$(cat n.ids)
[ ${#RIDS[@]} = 2 ] && [ -n "$NID" ] || fail "session ids: root '${RIDS[*]}', nobody '$NID'"
log "root sessions ${RIDS[*]}, nobody session $NID"

# --- tuples: list -j = /proc = ss -------------------------------------------
J=$(adm proxy -j list) || fail "list -j failed"
jq -e 'type == "array" and length == 3' <<< "$J" > /dev/null || fail "list -j: $J"
tuples_json() {
	jq -r '.[] | "\(.client.addr):\(.client.port) \(.proxy_a.addr):\(.proxy_a.port) \(.proxy_b.addr):\(.proxy_b.port) \(.server.addr):\(.server.port) \(.state)"' <<< "$1" | sort
}
hexep() { printf '%d.%d.%d.%d:%d' 0x${1:0:2} 0x${1:2:2} 0x${1:4:2} 0x${1:6:2} 0x$2; }
tuples_proc() {
	local a b c d e f g h st x
	while read -r a b c d e f g h st x; do
		echo "$(hexep "$a" "$b") $(hexep "$c" "$d") $(hexep "$e" "$f") $(hexep "$g" "$h") $st"
	done < <(conn_lines proxy) | sort
}
TJ=$(tuples_json "$J")
TP=$(tuples_proc)
log "list -j tuples:"$'\n'"$TJ"
assert_eq "$TJ" "$TP" "tuples of list -j vs /proc/net/tcp_splice_conn"
# what the peers see
cli_side=$(in_ns client ss -Htn state established dst 10.0.1.2 | awk '{print $3" "$4}' | sort)
js_cli=$(jq -r '.[] | "\(.client.addr):\(.client.port) \(.proxy_a.addr):\(.proxy_a.port)"' <<< "$J" | sort)
assert_eq "$js_cli" "$cli_side" "client endpoints vs ss in the client namespace"
srv_side=$(in_ns server ss -Htn state established src 10.0.2.1 | awk '{print $4" "$3}' | sort)
js_srv=$(jq -r '.[] | "\(.proxy_b.addr):\(.proxy_b.port) \(.server.addr):\(.server.port)"' <<< "$J" | sort)
assert_eq "$js_srv" "$srv_side" "server endpoints vs ss in the server namespace"
for id in "${RIDS[@]}" "$NID"; do
	jq -e --argjson id "$id" 'map(select(.id == $id)) | length == 1' <<< "$J" > /dev/null ||
		fail "session $id not listed once"
done
jq -e 'all(.[]; .state == "ESTABLISHED" and .expires > 800 and .expires <= 900 and
	.c2s.pkts >= 0 and .duration_ms >= 0)' <<< "$J" > /dev/null || fail "fields: $J"
assert_eq "$(jq -r --argjson id "$NID" '.[] | select(.id == $id) | .uid' <<< "$J")" 65534 "uid of nobody's session"

# --- the table ----------------------------------------------------------------
adm proxy list -n > table.out || fail "list -n failed"
cat table.out
read -r -a hdr < table.out
assert_eq "${hdr[*]:0:8}" "Id Client Proxy-A Proxy-B Server State Expires Age" "table header"
[ "$(wc -l < table.out)" = 4 ] || fail "table: expected a header and 3 rows"
while read -r id c pa pb s st _; do
	[ "$id" = Id ] && continue
	row=$(jq -r --argjson id "$id" '.[] | select(.id == $id) | "\(.client.addr):\(.client.port) \(.proxy_a.addr):\(.proxy_a.port) \(.proxy_b.addr):\(.proxy_b.port) \(.server.addr):\(.server.port) \(.state)"' <<< "$J")
	assert_eq "$c $pa $pb $s $st" "$row" "table row of session $id"
done < table.out
adm proxy list > /dev/null || fail "list (with service names) failed"

# --- get ------------------------------------------------------------------------
g=$(adm proxy -n get "${RIDS[0]}") || fail "get ${RIDS[0]}"
c0=$(jq -r --argjson id "${RIDS[0]}" '.[] | select(.id == $id) | "\(.client.addr):\(.client.port)"' <<< "$J")
[[ $g == *"client       $c0"* ]] || fail "get ${RIDS[0]}: $g"
gj=$(adm proxy -j get "$NID") || fail "get -j $NID"
assert_eq "$(jq -r .proxy_a.port <<< "$gj")" 8001 "get -j: proxy port of nobody's session"
assert_eq "$(jq -r .server.port <<< "$gj")" 5002 "get -j: server port of nobody's session"
out=$(adm proxy get 999999 2>&1) && fail "get of an unknown id succeeded"
[[ $out == *"get 999999: No such file or directory (kernel: no such session)"* ]] || fail "get unknown: $out"
# several ids: each shown in order, an unknown one reported between them
# (exit status 2), the others still shown
out=$(adm proxy -j get "${RIDS[1]}" 999999 "$NID" 2> get.err); rc=$?
assert_eq "$rc" 2 "get of three ids, one unknown: exit status"
assert_eq "$(jq -s -c '[.[].id]' <<< "$out")" "[${RIDS[1]},$NID]" "get of three ids: the two known"
assert_eq "$(cat get.err)" "tcpspliceadm: get 999999: No such file or directory (kernel: no such session)" \
	"get of three ids: the unknown one"
# (expires and age move on between calls: compare the rest)
g2=$(adm proxy -n get "${RIDS[0]}" "${RIDS[0]}" | grep -Ev '^(expires|age) ') ||
	fail "get of an id twice"
g1=$(grep -Ev '^(expires|age) ' <<< "$g")
assert_eq "$g2" "$g1"$'\n\n'"$g1" "get of an id twice: two blocks, a blank line between"

# --- filters ----------------------------------------------------------------------
# count ARGS...: sessions list -j shows with these filters (as root)
count() { adm proxy -j list "$@" | jq length; }
CPORT0=${c0##*:}
assert_eq "$(count --port 5002)" 1 "--port 5002 (server port)"
assert_eq "$(count --port 8001)" 1 "--port 8001 (proxy port A)"
assert_eq "$(count --port 8000)" 2 "--port 8000"
assert_eq "$(count --port "$CPORT0")" 1 "--port of a client port"
assert_eq "$(count --port 1)" 0 "--port 1"
assert_eq "$(count --addr 10.0.1.1)" 3 "--addr client"
assert_eq "$(count --addr 10.0.2.2)" 3 "--addr proxy B"
assert_eq "$(count --addr 10.9.9.9)" 0 "--addr elsewhere"
assert_eq "$(count --state established)" 3 "--state established"
assert_eq "$(count --state TIME_WAIT)" 0 "--state TIME_WAIT"
assert_eq "$(count --id "$NID")" 1 "--id"
assert_eq "$(count --port 5001 --state established)" 2 "--port 5001 --state established"
assert_eq "$(count --port 5001 --addr 10.9.9.9)" 0 "--port 5001 --addr elsewhere"
assert_eq "$(adm proxy -j list --port 5002 | jq '.[0].id')" "$NID" "--port 5002 selects nobody's session"

# --- what nobody sees -----------------------------------------------------------
NJ=$(adm_nobody proxy -j list) || fail "list as nobody failed"
assert_eq "$(jq -c '[.[].id]' <<< "$NJ")" "[$NID]" "nobody lists only its own session"
adm_nobody proxy get "$NID" > /dev/null || fail "nobody cannot get its own session"
out=$(adm_nobody proxy get "${RIDS[0]}" 2>&1) && fail "nobody got root's session: $out"
[[ $out == *"No such file or directory"* ]] || fail "nobody get root's session: $out"
assert_eq "$(adm_nobody proxy -j list --port 5001 | jq length)" 0 "nobody with a filter on root's sessions"

# --- another namespace sees nothing ------------------------------------------------
assert_eq "$(adm client -j list)" "[]" "list in the client namespace"
assert_eq "$(adm client -j stats | jq .sessions_active)" 0 "sessions_active in the client namespace"

# --- one handle shared by 8 threads (dump, stats, events) while sessions live;
# a callback re-entering its handle gets EDEADLK
in_ns proxy "$NLT" threads 8 > threads.out 2>&1
rc=$?
log "threads: $(tail -n 2 threads.out | paste -sd' ')"
[ $rc = 0 ] && ! grep -q FAIL threads.out || fail "shared handle: $(grep FAIL threads.out | head -n 5)"
grep -q '^ok reentry dump=[1-9]' threads.out || fail "reentry not tested with live sessions: $(cat threads.out)"

# --- FIN both ways: the sessions leave ESTABLISHED ------------------------------------
: > go
for p in "$CLI_R" "$CLI_N" "$SRV_R" "$SRV_N" "$PRX_R" "$PRX_N"; do
	bg_pid_wait "$p" 30 || { dump r n; fail "a transfer process exited $?"; }
done
tsp_sleep 1
J2=$(adm proxy -j list)
log "after FIN: $(jq -c '[.[] | {id, state, c2s, s2c}]' <<< "$J2")"
assert_eq "$(count --state established)" 0 "--state established after FIN both ways"
n_tw=$(count --state time_wait)
n_cl=$(count --state close)
assert_eq "$((n_tw + n_cl))" 3 "sessions in TIME_WAIT or CLOSE"
jq -e 'all(.[]; .c2s.bytes >= 64512 and .s2c.bytes >= 64512)' <<< "$J2" > /dev/null ||
	fail "byte counters after the transfers: $J2"
exit 0
