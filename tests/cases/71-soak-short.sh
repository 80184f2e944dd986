#!/bin/bash
# The soak (tests/soak/soak.sh, `make soak`) cut to one round for CI: 60
# concurrent spliced sessions with every fault kind (client RST,
# half-close, proxy SIGKILL, flush by port, sysctl churn, splice requests
# racing closes, netns deletion with live sessions, rmmod/insmod with live
# sessions), then 20 000 fuzz requests; every fault-free connection
# byte-exact, sessions back to 0, sockets and socket/netns slabs back to the
# baseline.  A random seed each run (printed: SOAK_SEED=N reruns it with
# `make soak SOAK_SEED=N`).  The soak's own settings file is ignored.
# timeout: 900
export SOAK_CONF=/dev/null SOAK_MINUTES=0 SOAK_SESSIONS=${SOAK_SESSIONS:-60}
export FUZZ_REQUESTS=${FUZZ_REQUESTS:-20000} FUZZ_CHUNK=10000
exec bash "$TSP_ROOT/tests/soak/soak.sh"
