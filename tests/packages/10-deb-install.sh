#!/bin/bash
# The Debian packages of `make deb` (build/deb/*.deb) installed with dpkg
# into the guest's root overlay.  tcp-splice-dkms's postinst has DKMS
# install tcp_splice for the running kernel: by default DKMS's build of the
# same package on the host (packaging/dkms-check.sh), loaded from a DKMS
# tarball by the postinst (dkms ldtarball) and installed by dkms in the
# guest; with TSP_PKG_DKMS=guest, compiled by DKMS in the guest (slow under
# emulation).  Then: modprobe loads the DKMS module from updates/dkms/;
# tcpspliceadm and a program built with libtcpsplice-dev (pkg-config
# tcpsplice, linked to libtcpsplice0) talk to it; the udev rule's command
# applies a sysctl.d file; systemd-analyze checks switchd.service; the
# installed switchd, started with the unit's ExecStart and privileges (an
# unprivileged user holding only CAP_NET_BIND_SERVICE, no new privileges;
# the guest has no systemd, setpriv stands in) and the packaged
# /etc/switchd/switchd.conf (its backend address changed), splices a 4 MiB
# download on port 80 in kernel mode, byte-exact; dpkg --purge takes
# everything away again.  Not in tests/cases/: run it with
# `make test-packages`.
# timeout: 3300
. "$TSP_ROOT/tests/lib.sh"
. "$TSP_ROOT/tests/demo/swd_lib.bash"

DEBS=$TSP_ROOT/build/deb
PKGS=(tcp-splice-dkms libtcpsplice0 libtcpsplice-dev switchd tcpspliceadm)
UNIT=/lib/systemd/system/switchd.service
CONF=/etc/switchd/switchd.conf
KVER=$(uname -r)
# Where DKMS compiles the module: "host" (default: on the host, by
# packaging/dkms-check.sh; the guest's dkms loads and installs that build)
# or "guest" (dkms compiles it in the guest, under emulation: 20 minutes
# and more); make test-packages TSP_PKG_DKMS=... writes it to this file.
DKMS_MODE=$(cat "$TSP_ROOT/build/deb/dkms-mode" 2> /dev/null || echo host)

need_cmd dpkg dkms modprobe setpriv curl jq pkg-config cc
[ -x "$HTTPD" ] || skip "$HTTPD not built (make userland)"
debs=()
for p in "${PKGS[@]}"; do
	f=$(ls "$DEBS/${p}"_*.deb 2> /dev/null | head -n 1)
	[ -n "$f" ] || skip "no $DEBS/${p}_*.deb (make deb)"
	debs+=("$f")
done
if f=$(modinfo -n tcp_splice 2> /dev/null); then
	fail "a tcp_splice module is installed already ($f): the test could not tell DKMS's"
fi

# ---- install ------------------------------------------------------------
# man-db's trigger would re-index every manual page (minutes under
# emulation): switched off in the overlay, as man-db/auto-update=false does.
rm -f /var/lib/man-db/auto-update
export DEBIAN_FRONTEND=noninteractive

# stamp: copy stdin to the case log and dpkg.log, each line with the
# seconds since T0.
stamp() {
	local l
	while IFS= read -r l; do
		printf '%s\n' "$l" >> dpkg.log
		printf '# +%ss %s\n' $((($(now_ms) - T0) / 1000)) "$l"
	done
}
T0=$(now_ms)
# dkms's common.postinst builds for the running kernel and for the newest
# one in /boot (6.12 next to 6.1 here); dpkg sees only the running
# kernel's config in /boot (a mount namespace of its own): the host checks
# the other builds (packaging/dkms-check.sh).
mkdir boot
cp "/boot/config-$KVER" boot/
dpkg_ns() {
	unshare -m bash -c 'mount --bind boot /boot && exec dpkg "$@"' dpkg "$@" 2>&1 | stamp
	return "${PIPESTATUS[0]}"
}
# Every minute, what runs (where the time goes, under emulation).
(
	while tsp_sleep 60; do
		ps -eo etimes=,pcpu=,args= --sort=-pcpu | head -n 3 | cut -c1-150 |
			sed "s/^/# +$((($(now_ms) - T0) / 1000))s ps: /"
	done
) &
MON=$!
at_exit "kill $MON 2> /dev/null"
TGZ=$TSP_ROOT/build/deb/dkms-check/tcp-splice-$(dpkg-deb -f "${debs[0]}" Version).dkms.tar.gz
if [ "$DKMS_MODE" = host ]; then
	# The module compiled by DKMS on the host, from the same package, for
	# this kernel (make test-packages runs packaging/dkms-check.sh): its
	# DKMS tarball where the postinst looks for one, so that it loads it
	# (dkms ldtarball) rather than compiling under emulation.
	[ -f "$TGZ" ] || fail "no $TGZ (packaging/dkms-check.sh)"
	log "dpkg --unpack ${debs[*]##*/}"
	dpkg_ns --unpack "${debs[@]}" || fail "dpkg --unpack failed"
	install -D -m 644 "$TGZ" "/usr/share/tcp-splice-dkms/${TGZ##*/}"
	log "dpkg --configure -a, with ${TGZ##*/} in /usr/share/tcp-splice-dkms/"
	dpkg_ns --configure -a
	rc=$?
	rm -r /usr/share/tcp-splice-dkms
	grep -q "Loading tarball for tcp-splice" dpkg.log || fail "the postinst did not load the DKMS tarball"
else
	log "dpkg -i ${debs[*]##*/} (DKMS compiles the module in the guest)"
	dpkg_ns -i "${debs[@]}"
	rc=$?
fi
kill $MON 2> /dev/null
if [ "$rc" != 0 ]; then
	cp /var/lib/dkms/tcp-splice/*/build/make.log "$TSP_OUT/10-deb-install.dkms-make.log" 2> /dev/null
	fail "dpkg failed (exit $rc)"
fi
log "dpkg ($DKMS_MODE DKMS build): $((($(now_ms) - T0) / 1000)) s"
for p in "${PKGS[@]}"; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p")
	assert_eq "$st" installed "dpkg status of $p"
done

# ---- DKMS -------------------------------------------------------------------
ver=$(dpkg-query -W -f='${Version}' tcp-splice-dkms)
st=$(dkms status -m tcp-splice -v "$ver" -k "$KVER")
log "dkms status: $st"
[[ $st == *"tcp-splice/$ver, $KVER, "*": installed"* ]] ||
	fail "DKMS did not install tcp-splice/$ver for $KVER: '$st'"
ko=$(modinfo -n tcp_splice) || fail "modprobe finds no tcp_splice after the install"
[[ $ko == "/lib/modules/$KVER/updates/dkms/tcp_splice.ko"* ]] ||
	fail "tcp_splice is $ko, not DKMS's module in /lib/modules/$KVER/updates/dkms/"
vm=$(modinfo -F vermagic "$ko")
[[ $vm == "$KVER "* ]] || fail "vermagic of $ko: '$vm', running $KVER"
log "module: $ko (vermagic $vm)"

# ---- the module, tcpspliceadm, libtcpsplice-dev ----------------------------
modprobe tcp_splice || fail "modprobe tcp_splice failed"
mod_loaded || fail "tcp_splice not in /sys/module after modprobe"
[ -c /dev/tcp_splice ] || fail "no /dev/tcp_splice"
dmesg | grep -q 'tcp_splice: loaded' || fail "no 'tcp_splice: loaded' in the kernel log"

ADM=/usr/sbin/tcpspliceadm
out=$("$ADM" list -n) || fail "tcpspliceadm list"
[[ $out == "Id  Client  Proxy-A"* ]] || fail "tcpspliceadm list: $out"
assert_eq "$("$ADM" -j stats | jq .sessions_created)" 0 "tcpspliceadm -j stats: sessions_created"

cat > tspver.c << 'EOF'
#include <stdio.h>
#include <tcpsplice.h>

int main(void)
{
	struct tcpsplice_handle *h = tcpsplice_open(0);
	struct tcpsplice_stats st;
	int e;

	if (!h) {
		perror("tcpsplice_open");
		return 1;
	}
	e = tcpsplice_stats(h, &st);
	if (e) {
		fprintf(stderr, "tcpsplice_stats: %s\n", tcpsplice_strerror(e));
		return 1;
	}
	printf("netlink=%d active=%u\n", tcpsplice_has_netlink(h), st.sessions_active);
	tcpsplice_close(h);
	return 0;
}
EOF
# shellcheck disable=SC2046
cc -std=c11 -Wall -Werror -o tspver tspver.c $(pkg-config --cflags --libs tcpsplice) ||
	fail "cannot build against libtcpsplice-dev"
ldd ./tspver | grep -qE "libtcpsplice\.so\.0 => (/usr)?/lib/[^ ]*/libtcpsplice\.so\.0 " ||
	fail "tspver does not use the installed libtcpsplice.so.0: $(ldd ./tspver)"
assert_eq "$(./tspver)" "netlink=1 active=0" "program built with libtcpsplice-dev"

# ---- sysctl.d through the udev rule's command -------------------------------
sed 's/^#net.tcp_splice.timeout_timewait = 120$/net.tcp_splice.timeout_timewait = 7/' \
	/usr/share/doc/tcp-splice-dkms/examples/sysctl.d/60-tcp_splice.conf \
	> /etc/sysctl.d/60-tcp_splice.conf
grep -q '^net.tcp_splice.timeout_timewait = 7$' /etc/sysctl.d/60-tcp_splice.conf ||
	fail "the sysctl.d example has no timeout_timewait line to uncomment"
rule=$(grep -v '^#' /lib/udev/rules.d/60-tcp_splice.rules)
[[ $rule =~ RUN\+=\"([^\"]*)\" ]] || fail "no RUN in the udev rule: $rule"
log "udev rule runs: ${BASH_REMATCH[1]}"
${BASH_REMATCH[1]} || fail "${BASH_REMATCH[1]} failed"
assert_eq "$(read_file /proc/sys/net/tcp_splice/timeout_timewait)" 7 "timeout_timewait after the udev rule's command"

# ---- the unit ---------------------------------------------------------------
unit_val() { sed -n "s/^$1=//p" "$UNIT" | tail -n 1; }
assert_eq "$(unit_val DynamicUser)" yes "DynamicUser"
assert_eq "$(unit_val NoNewPrivileges)" yes "NoNewPrivileges"
caps=$(unit_val AmbientCapabilities)
assert_eq "$(unit_val CapabilityBoundingSet)" "$caps" "CapabilityBoundingSet"
assert_eq "$caps" CAP_NET_BIND_SERVICE "AmbientCapabilities"
if out=$(timeout 120 systemd-analyze verify "$UNIT" 2>&1); then
	log "systemd-analyze verify: ok${out:+ ($out)}"
else
	fail "systemd-analyze verify $UNIT: $out"
fi
out=$(timeout 120 systemd-analyze security --offline=true --threshold=20 "$UNIT" 2>&1) ||
	fail "systemd-analyze security: exposure above 2.0: $(tail -n 1 <<< "$out")"
log "systemd-analyze security: $(grep 'Overall exposure' <<< "$out")"

# ---- switchd as the unit runs it --------------------------------------------
topo_up --extra 1
www A A 4M
start_httpd server "$SRV_A:80" A "$PWD/A"
sed -i "s/server web1 127.0.0.1:8080/server web1 $SRV_A:80/" "$CONF"
grep -q "server web1 $SRV_A:80" "$CONF" || fail "no 'server web1 127.0.0.1:8080' in $CONF"
SWITCHD=/usr/sbin/switchd
SWD_SOCK=$(sed -n 's/^ *stats-socket \([^ ]*\).*/\1/p' "$CONF")
assert_eq "$SWD_SOCK" /run/switchd/switchd.sock "the packaged stats socket"
SWD_PORT=80

# DynamicUser=: a uid of systemd's dynamic range, no groups; RuntimeDirectory=.
DUID=61184
cap=${caps#CAP_}
cap=${cap,,}
run_as_unit=(setpriv "--reuid=$DUID" "--regid=$DUID" --clear-groups
	"--inh-caps=-all,+$cap" "--ambient-caps=-all,+$cap" "--bounding-set=-all,+$cap"
	--no-new-privs)
install -d -m 0750 -o $DUID -g $DUID /run/switchd
exec_start=$(unit_val ExecStart)
read -r -a start_cmd <<< "$exec_start"
assert_eq "${start_cmd[*]}" "/usr/sbin/switchd -f $CONF" "ExecStart"
read -r -a check_cmd <<< "$(sed -n 's/^ExecStartPre=//p' "$UNIT" | grep switchd)"
ip netns exec proxy "${run_as_unit[@]}" "${check_cmd[@]}" > check.log 2>&1 ||
	fail "ExecStartPre ${check_cmd[*]}: $(cat check.log)"
(umask 0027; exec ip netns exec proxy "${run_as_unit[@]}" "${start_cmd[@]}") >> "$SWD_LOG" 2>&1 &
SWD_PID=$!
wait_until 20 swd_up || { cat "$SWD_LOG" >&2; fail "switchd did not start"; }
st=$(grep -E '^(Uid|CapEff|CapBnd|CapAmb|NoNewPrivs):' "/proc/$SWD_PID/status" | tr -s '\t ' ' ')
log "switchd: ${st//$'\n'/; }"
[[ $st == *"Uid: $DUID $DUID $DUID $DUID"* ]] || fail "switchd not running as $DUID: $st"
[[ $st == *"CapEff: 0000000000000400"* && $st == *"CapBnd: 0000000000000400"* ]] ||
	fail "switchd holds more than CAP_NET_BIND_SERVICE: $st"
[[ $st == *"NoNewPrivs: 1"* ]] || fail "switchd may gain privileges: $st"
assert_eq "$(swd_info kernel_splice)" yes "switchd sees tcp_splice (kernel_splice)"

r=$(get /4M www.example.org got.bin) || fail "curl through switchd failed"
assert_eq "${r%% *}" 200 "status of GET /4M"
assert_eq "$(hdr_value X-Server)" A "server of GET /4M"
assert_same_file got.bin A/4M "GET /4M through switchd"

stop_switchd
grep -q 'notice: no tcp_splice session events' "$SWD_LOG" ||
	fail "switchd subscribed to the session events without CAP_NET_ADMIN?"
session_lines
assert_eq "${#SESSIONS[@]}" 1 "session lines of switchd"
[[ ${SESSIONS[0]} == *' mode=kernel '* ]] || fail "the download was not spliced: ${SESSIONS[0]}"
log "switchd: ${SESSIONS[0]}"
n=$(ip netns exec proxy "$ADM" -j stats | jq .sessions_created)
assert_eq "$n" 1 "sessions_created in the proxy's namespace"
n=$(ip netns exec proxy "$ADM" -j list | jq length)
assert_eq "$n" 1 "sessions listed by tcpspliceadm in the proxy's namespace"

# ---- purge ------------------------------------------------------------------
stop_httpd A
topo_down
rmmod tcp_splice || fail "rmmod tcp_splice"
DEBIAN_FRONTEND=noninteractive dpkg --purge "${PKGS[@]}" > dpkg-purge.log 2>&1 || {
	cat dpkg-purge.log
	fail "dpkg --purge failed"
}
f=$(modinfo -n tcp_splice 2> /dev/null) && fail "tcp_splice still installed after the purge: $f"
[ -e "/usr/src/tcp-splice-$ver" ] && fail "/usr/src/tcp-splice-$ver left after the purge"
[ -n "$(dkms status -m tcp-splice)" ] && fail "dkms still knows tcp-splice: $(dkms status -m tcp-splice)"
[ -e "$CONF" ] && fail "$CONF left after the purge"
exit 0
