#!/bin/bash
# Malformed netlink requests get precise errors, with an extack message
# where the kernel can name the problem: missing attributes (EINVAL),
# wrong lengths and types (EINVAL), values out of the policy (EINVAL for
# unknown flags, ERANGE for a state out of range), unknown attributes,
# truncation and trailing garbage (EINVAL), unknown commands (EOPNOTSUPP),
# an unknown session (ENOENT, "no such session"), splice refusals with the
# ioctl's errnos - as root and as nobody.  Then a fuzz run (random and
# mutated requests, with a live session to hit) as root and as nobody:
# every request is answered, the module still splices afterwards, and the
# kernel log stays clean (checked by the runner).
# timeout: 900
. "$TSP_ROOT/tests/lib.sh"
. "$TSP_ROOT/tests/cases/_helpers.bash"
. "$TSP_ROOT/tests/cases/_nl.bash"

need_ko
need_userland
XFER_TIMEOUT=$((600 * ${TSP_TMO_MULT:-1}))
topo_up
mod_load

for who in root nobody; do
	pre=()
	[ $who = nobody ] && pre=("${NOBODY[@]}")
	in_ns proxy "${pre[@]}" "$NLT" raw > raw.$who 2>&1
	rc=$?
	sed "s/^/[$who] /" raw.$who
	[ "$(count_lines raw.$who FAIL)" = 0 ] && [ $rc = 0 ] || fail "malformed requests as $who (see above)"
	[ "$(count_lines raw.$who ok)" -ge 25 ] || fail "too few malformed-request checks ran as $who"
done

# a live session for the fuzzer to find (and maybe flush)
start_server live --once --send 100 --expect 100 --expect-eof any
start_nlproxy live --via netlink
start_client live --send 100 --expect 100 --expect-eof any
wait_until 20 files_exist live.spliced || { dump live; fail "no splice"; }
LIVE=$(cat live.ids)
for who in root nobody; do
	pre=()
	n=20000
	[ $who = nobody ] && pre=("${NOBODY[@]}") n=10000
	t0=$(now_ms)
	in_ns proxy "${pre[@]}" "$NLT" fuzz $n --seed "$RANDOM" --id "$LIVE" > fuzz.$who 2>&1
	rc=$?
	log "fuzz as $who ($(( ($(now_ms) - t0) / 1000 )) s): $(tail -n 1 fuzz.$who)"
	[ $rc = 0 ] || { cat fuzz.$who; fail "fuzz as $who: exit $rc"; }
done

# the module still works
nl_xfer after netlink 256K 256K --via netlink
assert_eq "$(adm proxy -j stats | jq -r 'type')" object "stats after the fuzz"
exit 0
