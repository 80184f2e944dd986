#!/bin/bash
# switchd: reload under load with no failed request.  A single process
# reloads six times during 2000 checked requests (weights change, a
# server and a listener come and go, one configuration is broken and must
# be refused while the old one keeps serving); then two workers
# (SO_REUSEPORT, master/worker) reload three times under load; then a
# graceful stop lets requests in flight finish and refuses new ones.  An
# old worker's session in user space is cut after its timeout grace at a
# reload (copy mode), one in the kernel is not (kernel mode).  All of it
# in kernel and in copy mode.
# timeout: 900
. "$TSP_ROOT/tests/lib.sh"
. "$TSP_ROOT/tests/demo/swd_lib.bash"

need_switchd
topo_up --extra 1
mod_load
swd_tuning

www A A 32K
cp -r A B && echo B > B/name
start_httpd server "$SRV_A:80" A "$PWD/A"
start_httpd server1 "$SRV_B:80" B "$PWD/B"

# conf VARIANT: write sw.conf; variants differ in weights, servers and
# listeners; "broken" names an undefined backend.
conf() {
	local wa=1 wb=1 extra_srv="" extra_lis="" route="default-backend web"
	case $1 in
	1) wa=3 ;;
	2) wb=3 extra_srv="    server a2 $SRV_A:80 weight 2" ;;
	3) extra_lis="listener more
    bind $VIP:8081
    default-backend web" ;;
	broken) route="default-backend nosuchbackend" ;;
	esac
	# a new file renamed over the old: a reload never reads half of it
	cat > sw.conf.new << EOF
global
    stats-socket $SWD_SOCK
    workers ${WORKERS:-1}
    timeout grace ${GRACE:-30s}

listener web
    bind $VIP:8080
    $route

$extra_lis

backend web
    server a $SRV_A:80 weight $wa
    server b $SRV_B:80 weight $wb
$extra_srv
EOF
	mv sw.conf.new sw.conf
}

# under_load N CMD...: run CMD while N checked requests run; fail on any
# failed request.
under_load() {
	local n=$1 lp
	shift
	rm -f load.out
	in_ns client "$LOAD" -c 20 -n "$n" -p /32K --expect-file A/32K "$VIP:8080" \
		> load.out 2> load.err &
	lp=$!
	tsp_sleep 1
	"$@"
	bg_pid_wait $lp 300 || fail "requests failed during reloads: $(< load.out) $(head -n 5 load.err)"
	log "under load: $(< load.out)"
}

# hup: SIGHUP, then wait until switchd logged the reload's outcome (under
# a debug kernel a busy switchd takes longer than a fixed pause, and the
# next conf would rewrite the file under the reload).
reload_lines() { grep -c 'reload' "$SWD_LOG"; }
hup() {
	local n
	n=$(reload_lines)
	kill -HUP "$SWD_PID"
	more_reloads() { [ "$(reload_lines)" -gt "$n" ]; }
	wait_until 20 more_reloads || fail "no reload logged after SIGHUP: $(tail -n 5 "$SWD_LOG")"
	tsp_sleep 0.2
}

reloads_single() {
	local v
	for v in 1 2 broken 3 0 2; do
		conf $v
		hup
	done
}

for MODE in kernel copy; do
log "--- mode $MODE"
conf 0
: > "$SWD_LOG"
start_switchd sw.conf -m $MODE
under_load 2000 reloads_single
[ "$(grep -c 'reloaded ' "$SWD_LOG")" = 5 ] || fail "expected 5 reloads: $(grep reload "$SWD_LOG")"
grep -q 'reload failed: .*nosuchbackend' "$SWD_LOG" || fail "broken configuration not reported"
[ "$(swd_info reloads)" = 5 ] || fail "show info: $(swd_info reloads) reloads"
# the last configuration is live: a2 exists
swd show servers | grep -q '^web  *a2 ' || fail "a2 missing after reload"
stop_switchd

# two workers
WORKERS=2 conf 0
: > "$SWD_LOG"
start_switchd sw.conf -m $MODE
wait_until 10 files_exist "$SWD_SOCK.0" "$SWD_SOCK.1" || fail "worker stats sockets missing"
reloads_multi() {
	local v
	for v in 1 2 0; do
		WORKERS=2 conf $v
		hup
		tsp_sleep 0.5
	done
}
under_load 1500 reloads_multi
[ "$(grep -c 'master: reloaded' "$SWD_LOG")" = 3 ] || fail "master reloads: $(grep reload "$SWD_LOG")"
# (the last reload's new workers may still be starting when the load ends)
two_workers() { [ "$(swd show info | grep -c '^pid:')" = 2 ]; }
wait_until 10 two_workers || fail "not two workers answering: $(swd show info)"
# old workers are gone once idle
old_gone() { [ "$(grep -c 'stopped (' "$SWD_LOG")" -ge 6 ]; }
wait_until 20 old_gone ||
	fail "old workers still running: $(grep -E 'stopp|started' "$SWD_LOG")"
# an old worker's sessions at a reload: user space gets timeout grace (1 s
# here), then is cut; the kernel's are not affected
# the request must reach a worker of the new generation: the previous one
# (timeout grace 30 s) gone first
stopped_ge() { [ "$(grep -c 'stopped (' "$SWD_LOG")" -ge "$1" ]; }
n=$(grep -c 'stopped (' "$SWD_LOG")
GRACE=1s WORKERS=2 conf 0
hup
wait_until 20 stopped_ge $((n + 2)) || fail "the previous workers did not stop: $(grep -E 'stopp|started' "$SWD_LOG")"
in_ns client curl -s -m 30 -o cut.out "http://$VIP:8080/sleep/5000" &
cp=$!
# accepted by one of them (curl may take a while to start under emulation)
in_session() { swd show info | grep -qE '^(sessions|kernel_sessions): [1-9]'; }
wait_until 10 in_session || fail "the slow request was not accepted: $(swd show info)"
WORKERS=2 conf 0
t0=$(now_ms)
hup
bg_pid_wait $cp 30
rc=$?
dt=$(($(now_ms) - t0))
if [ $MODE = copy ]; then
	# cut (curl 52/56) before the server's answer at 5 s would have
	# completed it (exit 0); dt includes hup's wait for the reload line
	{ [ $rc = 52 ] || [ $rc = 56 ]; } && [ $dt -lt 5000 ] ||
		fail "copy: a user-space session of an old worker: curl exit $rc $dt ms after the reload, expected a cut after the 1 s grace"
	wait_until 10 grep -q 'end=shutdown .*req="GET /sleep/5000' "$SWD_LOG" ||
		fail "copy: the cut session is not logged with end=shutdown"
else
	[ $rc = 0 ] && [ "$(cat cut.out)" = slept ] ||
		fail "kernel: a kernel session of an old worker: curl exit $rc $dt ms after the reload"
fi
log "$MODE: an old worker's session at a reload with grace 1 s: curl exit $rc $dt ms after the reload"
stop_switchd
grep -q 'master: stopped' "$SWD_LOG" || fail "master did not stop cleanly"

# graceful stop: requests in flight finish, new ones are refused
conf 0
: > "$SWD_LOG"
start_switchd sw.conf -m $MODE
in_ns client "$LOAD" -c 10 -n 10 -p /sleep/2000 "$VIP:8080" > slow.out 2>&1 &
sp=$!
# all ten accepted (a fixed 1 s sleep lost the race on a loaded machine)
accepted_ge() { [ "$(swd_info accepted)" -ge "$1" ]; }
wait_until 10 accepted_ge 10 || fail "requests not in flight: $(swd show info)"
kill -TERM "$SWD_PID"
tsp_sleep 0.3
in_ns client curl -s -m 5 -o /dev/null "http://$VIP:8080/name" && fail "a new connection was accepted while stopping"
bg_pid_wait $sp 30 || fail "requests in flight failed at a graceful stop: $(< slow.out)"
bg_pid_wait "$SWD_PID" 30 || fail "switchd did not exit 0 after its graceful stop"
log "graceful stop: $(< slow.out)"
grep -q 'stopping: no new connections' "$SWD_LOG" || fail "no stopping line"
[ "$(count_sessions mode=$MODE)" -ge 10 ] || fail "$MODE: the sessions did not run in mode $MODE"
done
exit 0
