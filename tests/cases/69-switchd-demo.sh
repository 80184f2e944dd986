#!/bin/bash
# The demo of `make demo` (tests/demo/demo.sh) as a case, so that CI runs
# it: two web servers behind switchd, curl by Host, the kernel's session
# table, and one large download in kernel, pipe and copy mode.  Fails on
# any digest mismatch.
# timeout: 400
exec bash "$TSP_ROOT/tests/demo/demo.sh"
