#!/bin/bash
# timeout: 400
. "$TSP_ROOT/tests/lib.sh"
T=$TSP_TOOLS
topo_up
mod_load
in_ns server iperf3 -s -D -p 5201 --logfile $TSP_OUT/iperf-s.log
sleep 0.5
for round in 1 2; do
echo "== routed round $round"
in_ns client iperf3 -c 10.0.2.1 -p 5201 -n 200M -f m > $TSP_OUT/ip.txt 2>&1; grep -E "sec.*(sender|receiver)" $TSP_OUT/ip.txt
for mode in drained copy; do
echo "== $mode round $round"
in_ns proxy $T/tsp_proxy --mode $mode --count 2 --concurrent --timeout 200 --ready-file $TSP_OUT/ready 8000 10.0.2.1 5201 > $TSP_OUT/proxy.txt 2>&1 &
P=$!
wait_until 10 test -e $TSP_OUT/ready; rm -f $TSP_OUT/ready
in_ns client iperf3 -c 10.0.1.2 -p 8000 -n 200M -f m > $TSP_OUT/ip.txt 2>&1; grep -E "sec.*(sender|receiver)" $TSP_OUT/ip.txt
wait $P
grep -E "^proxy" $TSP_OUT/proxy.txt
done
done
in_ns proxy cat /proc/net/stat/tcp_splice | grep -E "pkts|bytes|drop|held|fed"
exit 0
