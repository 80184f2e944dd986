#!/bin/bash
# DKMS builds of the packaged module on this host, for every kernel whose
# headers are installed (or the releases given), in a private DKMS tree:
# the source tree of tcp-splice-dkms_*.deb is extracted under
# OUTDIR/dkms-check/ and `dkms add` + `dkms build` run there with
# --sourcetree/--dkmstree and a signing key of their own, so that the
# host's /var/lib/dkms, /usr/src and /lib/modules stay untouched.  Checks
# each module's vermagic.  Fails if a build fails.  Then packs the source
# and the (uncompressed) modules with `dkms mktarball` into
# OUTDIR/dkms-check/tcp-splice-<version>.dkms.tar.gz: placed in
# /usr/share/tcp-splice-dkms/ before the package is configured, dkms's
# common.postinst loads it (ldtarball) instead of compiling (make
# test-packages does that in the test VM, see tests/packages/).
# Usage: packaging/dkms-check.sh [OUTDIR [RELEASE...]]   (default build/deb)
set -euo pipefail
export LC_ALL=C.UTF-8

root=$(cd "$(dirname "$0")/.." && pwd)
out=$(realpath -m "${1:-$root/build/deb}")
shift || true
die() {
	echo "dkms-check: $*" >&2
	exit 1
}
command -v dkms > /dev/null || die "no dkms (apt-get install dkms)"
deb=$(ls "$out"/tcp-splice-dkms_*_all.deb 2> /dev/null | tail -n 1)
[ -n "$deb" ] || die "no $out/tcp-splice-dkms_*_all.deb (make deb)"
kvers=("$@")
if [ ${#kvers[@]} = 0 ]; then
	for d in /lib/modules/*/build; do
		[ -e "$d/include" ] && kvers+=("$(basename "$(dirname "$d")")")
	done
fi
[ ${#kvers[@]} -gt 0 ] || die "no kernel headers in /lib/modules/*/build"

w=$out/dkms-check
rm -rf "$w"
mkdir -p "$w/root" "$w/dkms" "$w/key"
dpkg-deb -x "$deb" "$w/root"
src=$(ls -d "$w"/root/usr/src/tcp-splice-* | tail -n 1)
ver=${src##*/tcp-splice-}
opts=(--sourcetree "$w/root/usr/src" --dkmstree "$w/dkms")
# dkms takes the signing key from the environment before its defaults.
export mok_signing_key=$w/key/mok.key mok_certificate=$w/key/mok.pub

echo "dkms-check: $(basename "$deb"): dkms add tcp-splice/$ver (log: $w/dkms.log)"
dkms add -m tcp-splice -v "$ver" "${opts[@]}" > "$w/dkms.log" 2>&1 ||
	{ cat "$w/dkms.log"; die "dkms add failed"; }
rc=0
for k in "${kvers[@]}"; do
	t0=$SECONDS
	if ! dkms build -m tcp-splice -v "$ver" -k "$k" "${opts[@]}" >> "$w/dkms.log" 2>&1; then
		tail -n 20 "$w/dkms/tcp-splice/$ver/build/make.log" 2> /dev/null | sed 's/^/    | /'
		echo "dkms-check: FAIL $k: dkms build failed (see $w/dkms.log)"
		rc=1
		continue
	fi
	ko=$(ls "$w/dkms/tcp-splice/$ver/$k"/*/module/tcp_splice.ko* 2> /dev/null | head -n 1)
	vm=$(modinfo -F vermagic "$ko" 2> /dev/null || true)
	if [[ $vm != "$k "* ]]; then
		echo "dkms-check: FAIL $k: module ${ko:-missing}, vermagic '$vm'"
		rc=1
		continue
	fi
	st=$(dkms status -m tcp-splice -v "$ver" -k "$k" "${opts[@]}" 2> /dev/null)
	echo "dkms-check: ok $k ($((SECONDS - t0)) s): ${ko#"$w"/}; $st"
done
[ $rc = 0 ] || exit 1
tgz=$w/tcp-splice-$ver.dkms.tar.gz
dkms mktarball -m tcp-splice -v "$ver" --all "${opts[@]}" --archive "$tgz" >> "$w/dkms.log" 2>&1 ||
	die "dkms mktarball failed (see $w/dkms.log)"
echo "dkms-check: $(tar -tzf "$tgz" | grep -c '/module/tcp_splice.ko$') module(s) in ${tgz#"$out"/}"
