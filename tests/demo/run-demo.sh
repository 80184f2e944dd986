#!/bin/bash
# `make demo`: boot the test VM with tests/vm/run.sh, run only the demo
# case (tests/cases/69-switchd-demo.sh -> tests/demo/demo.sh) and show its
# output live (the case log, shared with the host, is followed while the
# VM runs).  Exit status: the run's.
#
#   tests/demo/run-demo.sh --kver KVER --ko KO
set -u
root=$(cd "$(dirname "$0")/../.." && pwd)
args=("$@")
for b in "$root/build/switchd/switchd" "$root/build/switchd/swd_httpd" "$root/build/switchd/swd_load"; do
	[ -x "$b" ] || { echo "demo: $b is missing (make -C userland/switchd)" >&2; exit 1; }
done
command -v curl > /dev/null || { echo "demo: curl is missing (apt-get install curl)" >&2; exit 1; }

tmp=$(mktemp)
trap 'rm -f "$tmp"; [ -n "${tp:-}" ] && kill "$tp" 2> /dev/null' EXIT
echo "demo: booting the test VM (QEMU, emulated: give it a minute or two)"
"$root/tests/vm/run.sh" "${args[@]}" --tests 69-switchd-demo --timeout 400 > "$tmp" 2>&1 &
rp=$!
out=
while kill -0 $rp 2> /dev/null; do
	out=$(sed -n 's/^vm: booting .*, results in \(.*\)$/\1/p' "$tmp")
	[ -n "$out" ] && break
	sleep 0.5
done
tp=
if [ -n "$out" ]; then
	log=$out/69-switchd-demo.log
	tail -n +1 -F --pid=$rp "$log" 2> /dev/null &
	tp=$!
fi
wait $rp
rc=$?
[ -n "$tp" ] && { sleep 0.5; kill "$tp" 2> /dev/null; wait "$tp" 2> /dev/null; }
tp=
echo
grep -E '^(PASS|FAIL|SKIP|vm:|[0-9]+ passed)' "$tmp" | grep -v '^vm: booting'
if [ $rc != 0 ]; then
	[ -z "$out" ] && cat "$tmp"
	echo "demo: FAILED (exit $rc); logs in ${out:-build/vm-out}" >&2
fi
exit $rc
