#!/bin/bash
# Harness smoke test: the VM, the runner and tests/lib.sh work.  Builds the
# standard topology, checks client -> server routing through the proxy,
# and loads and unloads the module if it was built (else skips).
# timeout: 60
. "$TSP_ROOT/tests/lib.sh"

topo_up
in_ns client ping -c 1 -W 5 -q 10.0.2.1 > /dev/null || fail "client cannot reach server through proxy"
need_ko
mod_load
mod_loaded || fail "module not in /sys/module after insmod"
mod_unload
mod_loaded && fail "module still loaded after rmmod"
exit 0
