#!/bin/bash
# The 4-tuples of live spliced sessions stay reserved.  The proxy netns gets
# a 10-port ip_local_port_range; 4 sessions to the server are spliced and
# the proxy closes its fds; then the proxy host connects again and again to
# the same server address: the new connections get only the 6 other ports,
# the next connects fail with EADDRNOTAVAIL (no reuse of a live spliced
# tuple, the ancestor's TIME_WAIT bug), and the spliced sessions are
# unharmed (byte-exact afterwards).
# timeout: 300
. "$TSP_ROOT/tests/lib.sh"
. "$TSP_ROOT/tests/cases/_helpers.bash"

need_ko
topo_up
mod_load
in_ns proxy sh -c 'echo "40000 40009" > /proc/sys/net/ipv4/ip_local_port_range' ||
	fail "cannot narrow ip_local_port_range"
K=4 t=reuse

start_server "$t" --conns $K --send 64K --expect 64K --shut --gate go --gate-at 0
start_proxy "$t" --mode drained --count $K --concurrent
start_client "$t" --conns $K --send 64K --expect 64K --shut --gate go --gate-at 8
wait_until 20 files_exist "$t.spliced" || tfail "$t" "the proxy did not splice"
bg_pid_wait "$PRX_PID" 10 || tfail "$t" "proxy exit $?"

# the spliced local ports, from the session table
declare -A spliced=()
while read -r fip fp tip tp lip lp dip dp state exp; do
	[ "$dip $dp" = "$(hexip $SRV_IP) $(hex4 $SRV_PORT)" ] || continue
	p=$((16#$lp))
	[ $p -ge 40000 ] && [ $p -le 40009 ] || fail "spliced local port $p outside 40000-40009"
	spliced[$p]=1
done < <(conn_lines proxy)
assert_eq "${#spliced[@]}" $K "spliced sessions listed with distinct local ports"
log "spliced local ports: ${!spliced[*]}"

# 10 more connects from the proxy netns to the same server address
in_ns proxy tsp_xfer probe "$SRV_IP" "$SRV_PORT" --conns 10 --hold-ms 1500 > probe.out 2> probe.err ||
	fail "probe failed: $(cat probe.err)"
sum=$(last_line probe.out)
log "probe: $sum"
while IFS= read -r l; do
	[[ $l == probe=* ]] || continue
	r=$(kv "$l" result)
	if [ "$r" = ok ]; then
		p=$(kv "$l" local)
		p=${p##*:}
		[ -z "${spliced[$p]:-}" ] || fail "a new connection got the tuple of a live spliced session: $l"
	else
		assert_eq "$r" EADDRNOTAVAIL "a connect beyond the port range: $l"
	fi
done < probe.out
assert_eq "$(kv "$sum" ok)" $((10 - K)) "connects that succeeded (10 ports, $K spliced)"
assert_eq "$(kv "$sum" eaddrnotavail)" $K "connects that failed with EADDRNOTAVAIL"
assert_eq "$(conn_count proxy)" $K "spliced sessions after the probes"

: > go
bg_pid_wait "$CLI_PID" 60 || tfail "$t" "client exit $?"
bg_pid_wait "$SRV_PID" 60 || tfail "$t" "server exit $?"
assert_eq "$(kv "$(last_line "$t.cli.out")" ok)" $K "client connections byte-exact"
assert_eq "$(kv "$(last_line "$t.srv.out")" ok)" $K "server connections byte-exact"
exit 0
