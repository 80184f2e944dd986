#!/bin/bash
# Host tests of tcpspliceadm's command line (no module on the host): exit
# codes (0, 1 operation failed, 255 bad command line) and messages.
#   ADM=path/to/tcpspliceadm test_adm.sh
set -u
ADM=${ADM:?}
fails=0 n=0

# t EXPECTED_RC PATTERN ARGS...: run, check the exit code and that the
# combined output matches PATTERN (bash extended regex).
t() {
	local want=$1 pat=$2 out rc
	shift 2
	n=$((n + 1))
	out=$("$ADM" "$@" 2>&1)
	rc=$?
	if [ "$rc" != "$want" ] || ! [[ $out =~ $pat ]]; then
		echo "FAIL: tcpspliceadm $*: rc=$rc (want $want), output: $out" >&2
		fails=$((fails + 1))
	fi
}

t 0 '^Usage: tcpspliceadm' help
t 0 '^Usage: tcpspliceadm' --help
t 0 'Filters' -h
t 0 '^tcpspliceadm [0-9.]+ \(libtcpsplice API 1\)' -V
t 255 'Error: command "bogus" is unknown' bogus
t 255 'Try "tcpspliceadm help"' bogus
t 255 'get needs a session id' get
t 255 'not a session id' get abc
t 255 'argument "x" is wrong: not a session id' get 1 2 x
t 1 'module is not loaded' get 1 2
t 255 'get takes no filter' get 1 --port 80
t 255 '--port needs a number' list --port 70000
t 255 '--addr needs an IPv4' list --addr 1.2.3
t 255 'unknown state' list --state BOGUS
t 255 'unknown state' list --state NONE
t 255 'stats takes no filter' stats --port 1
t 255 'unexpected argument "5"' stats 5
t 255 'flush takes at most one' flush 1 2
t 255 'not a session id' flush x
t 255 '--count needs a positive' events --count 0
t 255 '--count is for events only' list --count 3
t 255 'unknown option "--frobnicate"' --frobnicate
t 255 'unknown option "-z"' -z
t 255 'needs an argument' list --port
if [ ! -e /dev/tcp_splice ]; then
	msg='the tcp_splice module is not loaded \(load it with: modprobe tcp_splice\)'
	t 1 "$msg" list
	t 1 "$msg"
	t 1 "$msg" -j stats
	t 1 "$msg" flush
	t 1 "$msg" events
	t 1 "$msg" get 5
	t 1 "$msg" list -n --state established --addr 10.0.0.1 --port 80
fi
echo "test_adm: $n checks, $fails failed"
[ $fails = 0 ]
