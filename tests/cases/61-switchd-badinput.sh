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
# timeout: 300
. "$TSP_ROOT/tests/lib.sh"
. "$TSP_ROOT/tests/demo/swd_lib.bash"

need_switchd
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
	"405|CONNECT host:port passes|CONNECT b.example:443 HTTP/1.1\r\nHost: b.example:443\r\n\r\n"
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
[ "$tmo" = 2 ] || fail "$tmo head-timeout log lines, expected 2"
exit 0
