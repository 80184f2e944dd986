#!/bin/bash
# switchd: every bad request head gets its exact status code and a close
# (400 malformed request line, header without colon, bad Content-Length /
# Transfer-Encoding combinations, obsolete folding, NUL and lone CR ...;
# 431 head larger than max-header or too many header lines; 413 body
# larger than max-body; 501 unknown transfer coding; 505 HTTP/2 in an
# HTTP/1 head; 408 slow or silent client after the client-header
# timeout; 400 partial head then EOF), the lenient forms that must pass
# (leading empty lines, LF line ends, "5, 5" lengths, absolute-form
# target routing by its authority), and a log line per rejected request.
# Pipelined bytes with keepalive close: only the declared body reaches the
# server (Content-Length, chunked framing, none), what follows is dropped
# and logged, whether it came with the head or later, in every mode (in
# kernel mode: the session then stays in user space).  A listener's own
# timeout client-header, max-header and timeout idle; the global max-conn
# and timeout idle.
# timeout: 420
. "$TSP_ROOT/tests/lib.sh"
. "$TSP_ROOT/tests/demo/swd_lib.bash"

need_switchd
[ -x "$TUNNEL" ] || skip "$TUNNEL not built"
topo_up --extra 1
mod_load
swd_tuning

www A A 1K
www B B 1K
start_httpd server "$SRV_A:80" A "$PWD/A"
start_httpd server1 "$SRV_B:80" B "$PWD/B"

cat > sw.conf << EOF
global
    stats-socket $SWD_SOCK
    timeout client-header 1s
    max-header 4k
    max-body 1m

listener web
    bind $VIP:8080
    route host b.example backend B
    default-backend A

# the same in each splice mode (web: auto)
listener pipe
    bind $VIP:8085
    splice pipe
    default-backend A
listener copy
    bind $VIP:8086
    splice copy
    default-backend A
listener kern
    bind $VIP:8087
    splice kernel
    default-backend A

# a listener's own limits
listener strict
    bind $VIP:8088
    splice copy
    timeout client-header 2500ms
    timeout idle 1s
    max-header 1k
    default-backend A

backend A
    server a1 $SRV_A:80
backend B
    server b1 $SRV_B:80
EOF
start_switchd sw.conf

# Every request: expected status, name, printf format of the bytes sent.
# (The 4xx/5xx of switchd; 405 is swd_httpd's answer to a method it does
# not serve: the request passed switchd's checks.)
cases=(
	"400|header line without colon|GET / HTTP/1.1\r\nHost: a\r\nBadHeader\r\n\r\n"
	"400|two spaces in the request line|GET /  HTTP/1.1\r\nHost: a\r\n\r\n"
	"400|no version|GET /\r\nHost: a\r\n\r\n"
	"400|garbage after the version|GET / HTTP/1.1 x\r\nHost: a\r\n\r\n"
	"400|lower-case version|GET / http/1.1\r\nHost: a\r\n\r\n"
	"400|empty method|  / HTTP/1.1\r\nHost: a\r\n\r\n"
	"400|control character in the target|GET /\001 HTTP/1.1\r\nHost: a\r\n\r\n"
	"400|relative target|GET index.html HTTP/1.1\r\nHost: a\r\n\r\n"
	"400|asterisk outside OPTIONS|GET * HTTP/1.1\r\nHost: a\r\n\r\n"
	"400|userinfo in an absolute target|GET http://u@a/ HTTP/1.1\r\nHost: a\r\n\r\n"
	"505|HTTP/2.0 in an HTTP/1 head|GET / HTTP/2.0\r\nHost: a\r\n\r\n"
	"505|HTTP/0.9 version string|GET / HTTP/0.9\r\nHost: a\r\n\r\n"
	"400|HTTP/1.1 without Host|GET / HTTP/1.1\r\n\r\n"
	"400|two Host headers|GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"
	"400|invalid Host|GET / HTTP/1.1\r\nHost: a b\r\n\r\n"
	"400|Host with a bad port|GET / HTTP/1.1\r\nHost: a:8x\r\n\r\n"
	"400|Content-Length and Transfer-Encoding|POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n"
	"400|two different Content-Length|POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"
	"400|Content-Length list with different values|POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 6\r\n\r\n"
	"400|negative Content-Length|POST / HTTP/1.1\r\nHost: a\r\nContent-Length: -5\r\n\r\n"
	"400|Content-Length not a number|POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0x10\r\n\r\n"
	"400|Content-Length too large|POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n"
	"400|chunked not last|POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, gzip\r\n\r\n"
	"400|chunked twice|POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n"
	"400|gzip without chunked|POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n"
	"400|Transfer-Encoding in HTTP/1.0|POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"
	"501|unknown transfer coding|POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: foo\r\n\r\n"
	"400|obsolete line folding|GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n  folded\r\n\r\n"
	"400|space before the colon|GET / HTTP/1.1\r\nHost : a\r\n\r\n"
	"400|empty header name|GET / HTTP/1.1\r\nHost: a\r\n: x\r\n\r\n"
	"400|invalid character in a name|GET / HTTP/1.1\r\nHost: a\r\nX@Y: 1\r\n\r\n"
	"400|control character in a value|GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\0012\r\n\r\n"
	"400|NUL byte|GET / HTTP/1.1\r\nHost: a\r\nX-A: \000\r\n\r\n"
	"400|lone CR|GET / HTTP/1.1\rHost: a\r\n\r\n"
	"413|Content-Length above max-body|POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 1048577\r\n\r\n"
	"200|leading empty lines|\r\n\r\nGET /name HTTP/1.1\r\nHost: a\r\n\r\n"
	"200|LF line ends|GET /name HTTP/1.1\nHost: a\n\n"
	"200|equal Content-Length list|GET /name HTTP/1.1\r\nHost: a\r\nContent-Length: 2, 2\r\n\r\nok"
	"200|HTTP/1.0 without Host|GET /name HTTP/1.0\r\n\r\n"
	"200|HTTP/1.2 taken as 1.1|GET /name HTTP/1.2\r\nHost: a\r\n\r\n"
	"200|Content-Length equal to max-body|PUT /echo-body HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\n\r\nabc"
	"405|OPTIONS * passes|OPTIONS * HTTP/1.1\r\nHost: a\r\n\r\n"
	"400|malformed chunked body|POST /drain HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n"
)
n=0
for c in "${cases[@]}"; do
	IFS='|' read -r want name fmt <<< "$c"
	# shellcheck disable=SC2059
	printf "$fmt" > req.raw
	load --raw req.raw -n 1 --expect-status "$want" --timeout 10 8080 ||
		fail "$name: expected $want, got: $LOAD_OUT"
	n=$((n + 1))
done
log "$n single requests answered as expected"

# CONNECT passes (swd_httpd answers 200 and echoes: half-close to end it)
printf 'CONNECT b.example:443 HTTP/1.1\r\nHost: b.example:443\r\n\r\n' > req.raw
out=$(in_ns client "$TUNNEL" --head req.raw --expect-status 200 --timeout 10 "$VIP:8080") ||
	fail "CONNECT: $out"

# --- pipelined bytes with keepalive close: /drain answers how many bytes
# followed the head at the server.  The declared body passes, the rest is
# dropped, whether it came with the head or 300 ms later.
# pipe_check PORT WANT NAME HEAD [MORE]: WANT is the body the server saw.
pipe_check() {
	local port=$1 want=$2 name=$3 out got delay=0
	# shellcheck disable=SC2059
	printf "$4" > p.raw
	# shellcheck disable=SC2059
	printf "${5:-}" > m.raw
	[ -n "${5:-}" ] && delay=300
	out=$(in_ns client "$TUNNEL" --head p.raw --more m.raw --delay $delay \
		--out p.out --expect-status 200 --timeout 10 "$VIP:$port") ||
		fail "$port: $name: $out"
	got=$(tail -n 1 p.out)
	[ "$got" = "$want" ] || fail "$port: $name: the server got $got bytes after the head, expected $want"
}
SMUG='GET /admin HTTP/1.1\r\nHost: b.example\r\n\r\n'
for port in 8080 8085 8086 8087; do
	pipe_check $port 5 "Content-Length + request, one segment" \
		"POST /drain HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello$SMUG"
	pipe_check $port 0 "no body + request, one segment" "GET /drain HTTP/1.1\r\nHost: a\r\n\r\n$SMUG"
	pipe_check $port 15 "chunked + request, one segment" \
		"POST /drain HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n$SMUG"
	[ $port = 8087 ] && continue	# kernel: later bytes are the module's
	pipe_check $port 5 "Content-Length, request later" \
		"POST /drain HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhel" "lo$SMUG"
	pipe_check $port 15 "chunked, request later" \
		"POST /drain HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel" \
		"lo\r\n0\r\n\r\n$SMUG"
	pipe_check $port 0 "HTTP/1.0 without Content-Length, request later" \
		"POST /drain HTTP/1.0\r\n\r\n" "$SMUG"
	pipe_check $port 40 "a 40-byte body in pieces" \
		"PUT /drain HTTP/1.1\r\nHost: a\r\nContent-Length: 40\r\n\r\n0123456789" \
		"012345678901234567890123456789$SMUG"
done
# a chunked body whose framing breaks after the head was forwarded: reset
printf 'POST /drain HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhel' > p.raw
printf 'loXX\r\n0\r\n\r\n' > m.raw
in_ns client "$TUNNEL" --head p.raw --more m.raw --delay 300 --out p.out --timeout 10 "$VIP:8086" > /dev/null 2>&1
grep -q '^HTTP/1.1 200' p.out && fail "a broken chunked body reached the server: $(< p.out)"
grep -q 'listener=copy .*end=bad-body note="malformed chunked body"' "$SWD_LOG" ||
	fail "no bad-body log line: $(grep bad-body "$SWD_LOG")"
dropped=$(grep -c 'note="dropped [0-9]* bytes after the request"' "$SWD_LOG")
[ "$dropped" = $((4 * 3 + 3 * 4)) ] || fail "$dropped session lines note dropped bytes, expected 24"
grep 'listener=kern ' "$SWD_LOG" | grep -q -v ' mode=pipe ' &&
	fail "kern: a session with dropped bytes left user space: $(grep 'listener=kern ' "$SWD_LOG" | grep -v mode=pipe)"
log "pipelined bytes: $dropped sessions dropped them, every server saw only the body"

# --- a listener's own limits: max-header 1k, client-header 2.5 s, idle 1 s
{
	printf 'GET /name HTTP/1.1\r\nHost: a\r\nX-Big: '
	head -c 2000 /dev/zero | tr '\0' x
	printf '\r\n\r\n'
} > mid.raw
load --raw mid.raw -n 1 --expect-status 431 8088 || fail "strict: 2 KiB head: $LOAD_OUT"
load --raw mid.raw -n 1 --expect-status 200 8080 || fail "web: 2 KiB head: $LOAD_OUT"
printf 'GET / HTTP/1.1\r\nHost: a\r\n' > part.raw
t0=$(now_ms)
load --raw part.raw -n 1 --expect-status 408 --timeout 10 8088 || fail "strict: partial head: $LOAD_OUT"
dt=$(($(now_ms) - t0))
[ $dt -ge 2400 ] || fail "strict: 408 after $dt ms, before its own 2.5 s client-header timeout"
t0=$(now_ms)
in_ns client curl -s -m 20 -o idle.out "http://$VIP:8088/sleep/8000"
rc=$?
dti=$(($(now_ms) - t0))
# switchd resets an idle session: curl sees a reset (56) or no reply (52);
# (the time includes curl's start, slow on a loaded host)
[ $rc = 52 ] || [ $rc = 56 ] || fail "strict: a request idle for 8 s: curl exit $rc, expected 52 or 56"
[ $dti -ge 900 ] && [ $dti -lt 7000 ] || fail "strict: closed after $dti ms, expected about 1 s (timeout idle)"
grep -q 'listener=strict .*end=timeout .*req="GET /sleep/8000' "$SWD_LOG" ||
	fail "no end=timeout log line for the idle session"
log "strict listener: 431 for 2 KiB, 408 after $dt ms, idle session closed after $dti ms"

# absolute-form target: routed by its authority, not by Host
printf 'GET http://b.example/name HTTP/1.1\r\nHost: a.example\r\n\r\n' > req.raw
load --raw req.raw -n 1 8080 || fail "absolute-form: $LOAD_OUT"
[[ $LOAD_OUT == *server_B=1* ]] || fail "absolute-form target not routed by its authority: $LOAD_OUT"

# a head larger than max-header (4k): 431, in one piece and in a stream
{
	printf 'GET / HTTP/1.1\r\nHost: a\r\nX-Big: '
	head -c 5000 /dev/zero | tr '\0' x
	printf '\r\n\r\n'
} > big.raw
load --raw big.raw -n 1 --expect-status 431 8080 || fail "oversized head: $LOAD_OUT"
{
	printf 'GET / HTTP/1.1\r\nHost: a\r\n'
	for i in $(seq 1 200); do printf 'X-%d: 1\r\n' "$i"; done
	printf '\r\n'
} > many.raw
load --raw many.raw -n 1 --expect-status 431 8080 || fail "too many header lines: $LOAD_OUT"

# slow client: a partial head, then nothing: 408 after 1 s; silent: 408
printf 'GET / HTTP/1.1\r\nHost: a\r\n' > part.raw
t0=$(now_ms)
load --raw part.raw -n 1 --expect-status 408 --timeout 10 8080 || fail "partial head: $LOAD_OUT"
dt=$(($(now_ms) - t0))
[ $dt -ge 900 ] || fail "408 after ${dt} ms, before the 1 s client-header timeout"
: > empty.raw
load --raw empty.raw -n 1 --expect-status 408 --timeout 10 8080 || fail "silent client: $LOAD_OUT"
# a partial head then EOF: 400
load --raw part.raw --shut -n 1 --expect-status 400 --timeout 10 8080 || fail "partial head + EOF: $LOAD_OUT"
# many bad requests at once, the listener still serves
load --raw big.raw -c 50 -n 200 --expect-status 431 8080 || fail "431 x200: $LOAD_OUT"
load -c 10 -n 50 -H a.example -p /1K --expect-file A/1K 8080 || fail "good requests after bad ones: $LOAD_OUT"

stop_switchd
bad=$(count_sessions end=bad-request)
tmo=$(count_sessions end=head-timeout)
log "log: $bad bad-request lines, $tmo head-timeout lines"
[ "$bad" -ge $((35 + 3 + 200)) ] || fail "only $bad bad-request log lines"
[ "$tmo" = 3 ] || fail "$tmo head-timeout log lines, expected 3"

# --- global max-conn and timeout idle
cat > lim.conf << EOF
global
    stats-socket $SWD_SOCK
    max-conn 4
    timeout idle 1500ms

listener web
    bind $VIP:8080
    splice copy
    default-backend A

backend A
    server a1 $SRV_A:80
EOF
: > "$SWD_LOG"
start_switchd lim.conf
t0=$(now_ms)
load -c 8 -n 8 -p /sleep/1000 8080 || fail "max-conn 4: $LOAD_OUT"
dt=$(($(now_ms) - t0))
[ $dt -ge 1900 ] || fail "8 requests of 1 s with max-conn 4 took $dt ms: not two waves"
t0=$(now_ms)
in_ns client curl -s -m 20 -o idle.out "http://$VIP:8080/sleep/8000"
rc=$?
dt2=$(($(now_ms) - t0))
{ [ $rc = 52 ] || [ $rc = 56 ]; } && [ $dt2 -ge 1400 ] && [ $dt2 -lt 7000 ] ||
	fail "global timeout idle 1.5 s: curl exit $rc after $dt2 ms"
stop_switchd
[ "$(count_sessions end=timeout)" = 1 ] || fail "global idle timeout: no end=timeout line"
log "max-conn 4: 8 x 1 s in $dt ms; timeout idle 1.5 s: closed after $dt2 ms"
exit 0
