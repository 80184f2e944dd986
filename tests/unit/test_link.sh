#!/bin/bash
# Host checks of the build products: soname and symlinks, exported symbols,
# pkg-config, and that the HAProxy 1.3 link line (-I<dir> -L<dir>
# -ltcpsplice, nothing else) links a static program without libnl.
#   O=build/userland HAPDIR=build/userland/haproxy CC=cc test_link.sh
set -u
O=${O:?} HAPDIR=${HAPDIR:?} CC=${CC:-cc}
fails=0
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
bad() { echo "FAIL: $*" >&2; fails=$((fails + 1)); }

# soname and links
[ "$(readlink "$O/lib/libtcpsplice.so")" = libtcpsplice.so.0 ] || bad "libtcpsplice.so link"
[[ $(readlink "$O/lib/libtcpsplice.so.0") == libtcpsplice.so.0.* ]] || bad "libtcpsplice.so.0 link"
readelf -d "$O/lib/libtcpsplice.so.0" | grep -q 'SONAME.*\[libtcpsplice.so.0\]' || bad "soname"
# exported: exactly the public API, nothing internal
exp=$(nm -D --defined-only "$O/lib/libtcpsplice.so.0" | awk '$2 == "T" {sub(/@.*/, "", $3); print $3}' | sort)
echo "$exp" | grep -q '^tspi_' && bad "internal symbols exported: $(echo "$exp" | grep '^tspi_')"
for s in tcp_splice_start tcp_splice_initfd tcp_splice_splicefd tcpsplice_open tcpsplice_close \
	tcpsplice_splice tcpsplice_get tcpsplice_dump tcpsplice_flush tcpsplice_stats tcpsplice_events_subscribe \
	tcpsplice_events_fd tcpsplice_events_read tcpsplice_last_error tcpsplice_strerror; do
	echo "$exp" | grep -qx "$s" || bad "$s not exported"
done

# the haproxy dir: header + archive only
[ -f "$HAPDIR/libtcpsplice.h" ] && [ -f "$HAPDIR/libtcpsplice.a" ] || bad "haproxy dir incomplete"
ls "$HAPDIR"/*.so* > /dev/null 2>&1 && bad "a shared library in the haproxy dir"
cat > "$tmp/hap.c" <<'C'
#include <libtcpsplice.h>
int main(void)
{
	if (tcp_splice_start() < 0)
		return 3;
	tcp_splice_initfd(0, 1);
	return tcp_splice_splicefd(0, 1, 0) < 0 ? 4 : 0;
}
C
if $CC -Wall -I"$HAPDIR" -o "$tmp/hap" "$tmp/hap.c" -L"$HAPDIR" -ltcpsplice 2> "$tmp/err"; then
	nm "$tmp/hap" | grep -q ' nl_' && bad "the HAProxy link pulled libnl symbols in"
	if [ ! -e /dev/tcp_splice ]; then
		"$tmp/hap"
		[ $? = 3 ] || bad "HAProxy-style program: tcp_splice_start did not fail without the module"
	fi
else
	bad "HAProxy link line failed: $(cat "$tmp/err")"
fi
# C89 header
$CC -std=c89 -pedantic -Wall -Werror -fsyntax-only -I"$HAPDIR" "$tmp/hap.c" || bad "libtcpsplice.h is not C89"

# pkg-config, dynamic and static, against the tree
export PKG_CONFIG_PATH=$O/lib/pkgconfig
cat > "$tmp/m.c" <<'C'
#include <errno.h>
#include <tcpsplice.h>
int main(void)
{
	struct tcpsplice_handle *h = tcpsplice_open(0);

	if (h) {
		tcpsplice_close(h);
		return 0;
	}
	return errno == ENOENT ? 5 : 6;
}
C
want=5
[ -e /dev/tcp_splice ] && want=0
if $CC -std=c11 -Wall -Wextra -Werror -o "$tmp/m" "$tmp/m.c" $(pkg-config --cflags --libs tcpsplice) \
	-Wl,-rpath,"$O/lib" 2> "$tmp/err"; then
	"$tmp/m"
	[ $? = $want ] || bad "pkg-config (shared) program: exit $?, want $want"
	ldd "$tmp/m" | grep -q 'libtcpsplice.so.0 =>' || bad "not linked to libtcpsplice.so.0"
else
	bad "pkg-config shared build failed: $(cat "$tmp/err")"
fi
if $CC -std=c11 -o "$tmp/ms" "$tmp/m.c" $(pkg-config --cflags tcpsplice) \
	"$O/lib/libtcpsplice.a" $(pkg-config --static --libs-only-l --libs-only-other tcpsplice | sed 's/-ltcpsplice//') 2> "$tmp/err"; then
	"$tmp/ms"
	[ $? = $want ] || bad "static program: exit $?, want $want"
else
	bad "static build failed: $(cat "$tmp/err")"
fi
# C++ can include both headers
if command -v g++ > /dev/null; then
	printf '#include <tcpsplice.h>\n#include <libtcpsplice.h>\nint main(){return 0;}\n' > "$tmp/x.cc"
	g++ -Wall -Werror -fsyntax-only $(pkg-config --cflags tcpsplice) "$tmp/x.cc" || bad "headers not C++-clean"
fi
echo "test_link: $fails failed"
[ $fails = 0 ]
