#!/bin/bash
# The control surface under tsp_fuzz (tests/tools/tsp_fuzz.c), bounded for
# CI: random and mutated ioctl and netlink requests over descriptors of
# every kind, in a namespace of its own, as root and as nobody, each with a
# fixed seed and a random one (printed: rerun a failure with
#   tsp_fuzz --seed N --count M [--exclusive] in a fresh netns).
# Every answer must be the documented one, a splice succeed only for two
# spliceable sockets, the session dump match the fuzzer's model, and every
# session be gone at the end (sessions_active 0); the runner checks the
# kernel log.  FUZZ_COUNT (default 2500 per run) bounds the requests.
# timeout: 240
. "$TSP_ROOT/tests/lib.sh"
. "$TSP_ROOT/tests/cases/_helpers.bash"

need_ko
NOBODY=(setpriv --reuid=nobody --regid=nogroup --clear-groups)
need_cmd setpriv
N=${FUZZ_COUNT:-2500}
ADM=$TSP_ROOT/build/userland/tcpspliceadm
mod_load
ip netns add fz || fail "ip netns add fz"
ip -n fz link set lo up || fail "lo up in fz"
chmod 1777 . || fail "chmod of the work directory"
# Closing states expire after 1 s: sessions the fuzzer leaves to end by
# FIN (as nobody it cannot flush) are gone within its --drain time.
in_ns fz sh -c 'for f in timeout_timewait timeout_close timeout_finwait \
	timeout_lastack timeout_closewait; do echo 1 > /proc/sys/net/tcp_splice/$f; done' ||
	fail "cannot set short timeouts in fz"

rs=$((RANDOM * 32768 + RANDOM))
total=0
for run in "root 1" "root $rs" "nobody 2" "nobody $((rs + 1))"; do
	read -r who seed <<< "$run"
	pre=()
	[ "$who" = nobody ] && pre=("${NOBODY[@]}")
	t0=$(now_ms)
	in_ns fz "${pre[@]}" "$TSP_TOOLS/tsp_fuzz" --seed "$seed" --count "$N" --exclusive \
		--drain 20 > "fuzz.$who.$seed" 2>&1
	rc=$?
	last=$(last_line "fuzz.$who.$seed")
	log "$who seed=$seed ($(( ($(now_ms) - t0) / 1000 )) s, exit $rc): $last"
	if [ $rc != 0 ]; then
		grep -E '^(FAIL|tsp_fuzz)' "fuzz.$who.$seed" | head -n 20
		fail "tsp_fuzz as $who, seed $seed: exit $rc (reproduce: ip netns add x;" \
			"ip netns exec x ${pre[*]} tsp_fuzz --seed $seed --count $N --exclusive)"
	fi
	[ "$(kv "$last" violations)" = 0 ] || fail "no summary line from tsp_fuzz ($who, seed $seed)"
	sp=$(kv "$last" spliced)
	total=$((total + $(kv "$last" requests)))
	# not a tautology: splices went through, refusals came back
	[ "${sp:-0}" -gt 0 ] || fail "tsp_fuzz ($who, seed $seed) spliced nothing"
	[ "$(kv "$last" refused)" -gt 0 ] || fail "tsp_fuzz ($who, seed $seed) saw no refusal"
	# Sessions whose four sockets are all spliced (loops, chains) have no
	# endpoint to end them; nobody cannot flush them: root does.
	weak=$(kv "$last" weak_left)
	if [ "${weak:-0}" != 0 ]; then
		[ -x "$ADM" ] || fail "$weak sessions left and no $ADM to flush them"
		in_ns fz "$ADM" flush > /dev/null || fail "tcpspliceadm flush in fz"
	fi
	act=$(in_ns fz awk '$1 == "sessions_active" { print $2 }' /proc/net/stat/tcp_splice)
	assert_eq "$act" 0 "sessions_active in fz after the run ($who, seed $seed)"
done
log "$total requests, 0 violations"
exit 0
