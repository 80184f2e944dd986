#!/bin/bash
# Host test of `make install` / `make install-dkms` / `make uninstall` into a
# staging DESTDIR (make unit runs it): every file where the Makefile's
# variables say, the library's soname and symlinks, a pkg-config file that
# compiles and links a program against the staged tree, the systemd unit
# pointing at the installed switchd and config, the DKMS source tree
# complete, and uninstall removing everything but the configuration.
# Usage: tests/unit/test_install.sh  (from the top of the tree, after make)
set -u
top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1
d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
fails=0
fail() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

PREFIX=/usr
LIBDIR=/usr/lib/x86_64-linux-gnu
vars=(DESTDIR="$d" PREFIX="$PREFIX" LIBDIR="$LIBDIR" SYSCONFDIR=/etc)
make --no-print-directory -s install "${vars[@]}" > "$d.log" 2>&1 ||
	{ cat "$d.log"; fail "make install"; exit 1; }
make --no-print-directory -s install-dkms "${vars[@]}" >> "$d.log" 2>&1 ||
	{ cat "$d.log"; fail "make install-dkms"; exit 1; }
rm -f "$d.log"

ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)
want=(
	"$LIBDIR/libtcpsplice.a" "$LIBDIR/libtcpsplice.so.0.1.0" "$LIBDIR/libtcpsplice.so.0"
	"$LIBDIR/libtcpsplice.so" "$LIBDIR/pkgconfig/tcpsplice.pc"
	"$PREFIX/include/libtcpsplice.h" "$PREFIX/include/tcpsplice.h"
	"$PREFIX/sbin/tcpspliceadm" "$PREFIX/sbin/switchd"
	"$PREFIX/share/man/man3/libtcpsplice.3" "$PREFIX/share/man/man8/tcpspliceadm.8"
	"$PREFIX/share/man/man8/switchd.8" "$PREFIX/share/man/man5/switchd.conf.5"
	"$PREFIX/lib/systemd/system/switchd.service" "etc/switchd/switchd.conf"
	"lib/udev/rules.d/60-tcp_splice.rules"
	"$PREFIX/share/doc/tcp-splice/examples/modules-load.d/tcp_splice.conf"
	"$PREFIX/share/doc/tcp-splice/examples/sysctl.d/60-tcp_splice.conf"
	"$PREFIX/share/doc/tcp-splice/examples/switchd.conf.example"
	"usr/src/tcp-splice-$ver/dkms.conf" "usr/src/tcp-splice-$ver/Kbuild"
	"usr/src/tcp-splice-$ver/kernel/handoff.c"
	"usr/src/tcp-splice-$ver/include/uapi/linux/tcp_splice.h"
)
for f in "${want[@]}"; do
	[ -e "$d/${f#/}" ] || fail "not installed: /${f#/}"
done
ko=$(cd "$d" && ls lib/modules/*/updates/tcp_splice.ko 2> /dev/null)
[ -n "$ko" ] && modinfo -F name "$d/$ko" 2> /dev/null | grep -qx tcp_splice ||
	fail "no module in /lib/modules/<release>/updates/: '$ko'"
# the DKMS tree holds every module source of the tree
for f in kernel/*.[ch]; do
	cmp -s "$f" "$d/usr/src/tcp-splice-$ver/$f" || fail "DKMS tree: $f missing or different"
done

# soname, symlinks, exported symbols
so=$d$LIBDIR/libtcpsplice.so.0.1.0
[ "$(readelf -d "$so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')" = libtcpsplice.so.0 ] ||
	fail "soname of $so: $(readelf -d "$so" | grep SONAME)"
[ "$(readlink "$d$LIBDIR/libtcpsplice.so.0")" = libtcpsplice.so.0.1.0 ] || fail "libtcpsplice.so.0 link"
[ "$(readlink "$d$LIBDIR/libtcpsplice.so")" = libtcpsplice.so.0 ] || fail "libtcpsplice.so link"
syms=$(nm -D --defined-only "$so" | sed 's/@.*//' | awk '$2 == "T" { print $3 }')
grep -qx tcpsplice_splice <<< "$syms" || fail "tcpsplice_splice not exported"
grep -qx tcp_splice_splicefd <<< "$syms" || fail "tcp_splice_splicefd not exported"
extra=$(grep -v '^tcpsplice_\|^tcp_splice_' <<< "$syms")
[ -z "$extra" ] || fail "symbols beyond the API exported: $extra"
[ "$(grep -c '^tcpsplice_' <<< "$syms")" = "$(grep -c '^[[:space:]]*tcpsplice_' userland/libtcpsplice/libtcpsplice.map)" ] ||
	fail "exported tcpsplice_ functions differ from libtcpsplice.map"

# pkg-config: a program built against the staged tree only
pc=$d$LIBDIR/pkgconfig
grep -qx "libdir=$LIBDIR" "$pc/tcpsplice.pc" || fail "tcpsplice.pc libdir: $(grep libdir= "$pc/tcpsplice.pc")"
grep -qx "includedir=$PREFIX/include" "$pc/tcpsplice.pc" || fail "tcpsplice.pc includedir"
cat > "$d/prog.c" << 'EOF'
#include <stdio.h>
#include <tcpsplice.h>
#include <libtcpsplice.h>

int main(void)
{
	printf("%s %d\n", tcpsplice_stat_name(0), TCPSPLICE_API_VERSION);
	return 0;
}
EOF
flags=$(PKG_CONFIG_SYSROOT_DIR=$d PKG_CONFIG_PATH=$pc PKG_CONFIG_LIBDIR=$pc:/usr/lib/x86_64-linux-gnu/pkgconfig:/usr/share/pkgconfig \
	pkg-config --cflags --libs tcpsplice) || fail "pkg-config --cflags --libs tcpsplice"
# shellcheck disable=SC2086
if cc -std=c11 -Wall -Wextra -Werror -o "$d/prog" "$d/prog.c" $flags 2> "$d/cc.err"; then
	out=$(LD_LIBRARY_PATH=$d$LIBDIR "$d/prog")
	[ "$out" = "sessions_created 1" ] || fail "program against the staged library printed '$out'"
	ldd_out=$(LD_LIBRARY_PATH=$d$LIBDIR ldd "$d/prog")
	[[ $ldd_out == *"libtcpsplice.so.0 => $d$LIBDIR/libtcpsplice.so.0"* ]] ||
		fail "the program does not load the staged libtcpsplice.so.0: $ldd_out"
else
	fail "compile against the staged tree with $flags: $(cat "$d/cc.err")"
fi

# the unit runs the installed switchd on the installed configuration
u=$d$PREFIX/lib/systemd/system/switchd.service
grep -qx "ExecStart=$PREFIX/sbin/switchd -f /etc/switchd/switchd.conf" "$u" ||
	fail "switchd.service ExecStart: $(grep ^ExecStart= "$u")"
! grep -q '@[A-Z]*@' "$u" || fail "switchd.service: unsubstituted $(grep -o '@[A-Z]*@' "$u" | head -n 1)"
"$d$PREFIX/sbin/switchd" -t -f "$d/etc/switchd/switchd.conf" > /dev/null 2>&1 ||
	fail "the installed switchd -t rejects the installed switchd.conf"
"$d$PREFIX/sbin/tcpspliceadm" -V > /dev/null || fail "the installed tcpspliceadm -V"

# uninstall: everything but the configuration (and the DKMS tree, which
# dkms remove takes care of)
make --no-print-directory -s uninstall "${vars[@]}" > "$d.log" 2>&1 || { cat "$d.log"; fail "make uninstall"; }
rm -f "$d.log"
left=$(cd "$d" && find . -type f ! -path './usr/src/*' ! -name 'prog*' ! -name 'cc.err' | sort)
[ "$left" = "./etc/switchd/switchd.conf" ] || fail "left after uninstall: $left"

[ $fails = 0 ] && echo "test_install: ok (${#want[@]} files, soname, pkg-config, unit, uninstall)"
exit $((fails > 0))
