#!/bin/bash
# Legacy handoff while the server streams: the proxy reads a response
# header, calls the ioctl without TCP_SPLICE_F_DRAINED, and writes its held
# bytes (plus whatever arrived before the cut) only DELAY ms later; spliced
# bytes must never overtake them.  The server does not wait for the splice:
# it streams from the start.  Byte-exact end to end.
# timeout: 600
. "$TSP_ROOT/tests/lib.sh"
. "$TSP_ROOT/tests/cases/_helpers.bash"

need_ko
topo_up
mod_load

# stream S2C bytes from the server's first byte on (PRE_S = everything)
REQ=100 RESP=4096 DELAY=50 PRE_S=$(bytes 20M)
splice_xfer d50-hold4k legacy 1K 20M
REQ=100 RESP=65536 DELAY=50 PRE_S=$(bytes 20M) PRE_C=$(bytes 20M)
splice_xfer d50-hold64k-both legacy 20M 20M
REQ=0 RESP=1 DELAY=200 PRE_S=$(bytes 20M)
splice_xfer d200-hold1 legacy 0 20M

# the same with the delay long enough for the cut to fill the proxy's
# receive queue: all of it must come out before the spliced bytes
REQ=100 RESP=4096 DELAY=500 PRE_S=$(bytes 30M)
splice_xfer d500-hold4k legacy 1K 30M
pl=$(line_with d500-hold4k.prx.out "session=1 ")
log "d500-hold4k: the proxy relayed $(kv "$pl" after_s2c) bytes from before the cut"
exit 0
