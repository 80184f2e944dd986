#!/bin/bash
# Every refusal of TCP_SPLICE_IOC_SPLICE returns its errno (tsp_errno, run in
# the proxy netns, with netns client for the EXDEV check).
# timeout: 120
. "$TSP_ROOT/tests/lib.sh"
. "$TSP_ROOT/tests/cases/_helpers.bash"

need_ko
topo_up
mod_load
in_ns proxy tsp_errno --other-ns client > errno.out 2>&1
rc=$?
cat errno.out
nok=$(count_lines errno.out "ok ")
nfail=$(count_lines errno.out "FAIL ")
[ "$nfail" = 0 ] || fail "$nfail refusal checks failed (see above)"
[ $rc = 0 ] || fail "tsp_errno exit $rc"
# not a tautology: the checks did run
[ "$nok" -ge 40 ] || fail "only $nok checks passed, expected at least 40"
exit 0
