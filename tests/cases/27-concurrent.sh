#!/bin/bash
# 200 concurrent spliced sessions on the guest's 2 vCPUs, each byte-exact
# both ways: one tsp_xfer with 200 connections on each side and one proxy
# accepting them concurrently.  Drained, then legacy handoff.
# timeout: 900
. "$TSP_ROOT/tests/lib.sh"
. "$TSP_ROOT/tests/cases/_helpers.bash"

need_ko
topo_up
mod_load
N=200
XFER_TIMEOUT=$((400 * ${TSP_TMO_MULT:-1}))

for mode in drained legacy; do
	t=$mode-$N
	size=128K
	[ $mode = legacy ] && size=64K
	# request 100 B relayed, response 100 B held, 900 B more each way
	# before the splice, the rest after it
	t0=$(now_ms)
	start_server "$t" --conns $N --send $size --expect $size --shut --gate "$t.spliced" \
		--gate-at 1000
	start_proxy "$t" --mode $mode --count $N --concurrent --relay-req 100 --hold-resp 100
	run_client "$t" --conns $N --send $size --expect $size --shut --gate "$t.spliced" \
		--gate-at 1000
	crc=$?
	log "$t: client done after $(($(now_ms) - t0)) ms"
	bg_pid_wait "$SRV_PID" 60
	src=$?
	bg_pid_wait "$PRX_PID" 60
	prc=$?
	cs=$(last_line "$t.cli.out")
	ss=$(last_line "$t.srv.out")
	ps=$(last_line "$t.prx.out")
	log "$t: client: $cs"
	log "$t: server: $ss"
	log "$t: $ps"
	[ "$(kv "$cs" ok)" = $N ] || tfail "$t" "client: $cs"
	[ "$(kv "$ss" ok)" = $N ] || tfail "$t" "server: $ss"
	[ $crc = 0 ] && [ $src = 0 ] || tfail "$t" "exit status client $crc server $src"
	[ $prc = 0 ] || tfail "$t" "proxy exit $prc"
	[ "$(kv "$ps" spliced)" = $N ] || tfail "$t" "the proxy spliced $(kv "$ps" spliced) of $N"
	# each direction of every connection: the digests agree at both ends
	declare -A csent=() crecv=() K=()
	while IFS= read -r l; do
		[[ $l == conn=* ]] || continue
		kvp K "$l"
		csent[${K[idx]}]=${K[sent_sha]}
		crecv[${K[idx]}]=${K[recv_sha]}
	done < "$t.cli.out"
	n=0
	while IFS= read -r l; do
		[[ $l == conn=* ]] || continue
		kvp K "$l"
		i=${K[idx]}
		[ "${csent[$i]:-x}" = "${K[recv_sha]}" ] || tfail "$t" "stream $i c->s digests differ"
		[ "${crecv[$i]:-x}" = "${K[sent_sha]}" ] || tfail "$t" "stream $i s->c digests differ"
		n=$((n + 1))
	done < "$t.srv.out"
	assert_eq $n $N "$t: connections compared"
	bad=0
	while IFS= read -r l; do
		[[ $l == session=* ]] || continue
		kvp K "$l"
		[ "${K[ioctl]}" = ok ] && [ "${K[rx_after_c]}" = 0 ] && [ "${K[rx_after_s]}" = 0 ] ||
			{ bad=$((bad + 1)); log "$t: $l"; }
	done < "$t.prx.out"
	[ $bad = 0 ] || tfail "$t" "$bad sessions with a failed ioctl or data on the proxy's sockets"
	log "$t: ok, $(conn_count proxy) sessions still listed"
	unset csent crecv K
done
exit 0
