#!/bin/bash
# Build the Debian packages (debian/) from a copy of the tree and check
# them with lintian.  The copy, build/deb/src/tcp-splice-<version>/, holds
# the tree's files as they are now (tracked and untracked, not ignored, so
# uncommitted changes included), or with --src COMMIT those of that commit
# (git archive; e.g. HEAD, when others have half-done edits in the tree).
# dpkg-buildpackage so leaves nothing in the tree itself; the .deb,
# .changes and .buildinfo files land in OUTDIR, the build log in
# OUTDIR/build.log, lintian's in OUTDIR/lintian.log.
# Fails if the build fails or lintian reports an error.
# Usage: packaging/build-deb.sh [--src COMMIT] [OUTDIR]   (default build/deb)
set -euo pipefail
export LC_ALL=C.UTF-8

root=$(cd "$(dirname "$0")/.." && pwd)
commit=
if [ "${1:-}" = --src ]; then
	commit=$2
	shift 2
fi
out=$(realpath -m "${1:-$root/build/deb}")
cd "$root"

die() {
	echo "build-deb: $*" >&2
	exit 1
}

stage=$out/src/stage
rm -rf "$out/src"
mkdir -p "$stage"
rm -f "$out"/*.deb "$out"/*.changes "$out"/*.buildinfo

# The tree's files: git's list when this is a checkout, else all but build/.
list_files() {
	if git rev-parse --is-inside-work-tree > /dev/null 2>&1; then
		git ls-files -z -c -o --exclude-standard | while IFS= read -r -d '' f; do
			case $f in build/*) continue ;; esac
			[ -e "$f" ] && printf '%s\0' "$f"
		done
	else
		find . -path ./build -prune -o ! -type d -printf '%P\0'
	fi
}
if [ -n "$commit" ]; then
	git archive "$commit" | tar -C "$stage" -xf -
	echo "build-deb: sources of $(git rev-parse --short "$commit") ($commit)"
else
	list_files | tar --null -T - -cf - | tar -C "$stage" -xf -
fi

cd "$stage"
ver=$(dpkg-parsechangelog -S Version)
dkms_ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)
[ "$ver" = "$dkms_ver" ] ||
	die "debian/changelog says $ver, dkms.conf's PACKAGE_VERSION $dkms_ver"
lib_ver=$(sed -n 's/^VERSION := //p' userland/Makefile)
[ "$ver" = "$lib_ver" ] || die "debian/changelog says $ver, userland/Makefile's VERSION $lib_ver"
src=$out/src/tcp-splice-$ver
cd "$root"
mv "$stage" "$src"

echo "build-deb: dpkg-buildpackage -us -uc -b in $src (log: $out/build.log)"
if ! (cd "$src" && dpkg-buildpackage -us -uc -b) > "$out/build.log" 2>&1; then
	tail -n 40 "$out/build.log" | sed 's/^/    | /' >&2
	die "dpkg-buildpackage failed; see $out/build.log"
fi
mv "$out/src"/*.deb "$out/src"/*.changes "$out/src"/*.buildinfo "$out/"
ls -1 "$out"/*.deb | sed 's|^.*/|build-deb: |'

changes=$(ls "$out"/*.changes)
echo "build-deb: lintian $changes (log: $out/lintian.log)"
rc=0
lintian --fail-on error --display-info --pedantic "$changes" > "$out/lintian.log" 2>&1 || rc=$?
# E: errors, W: warnings, I: info, P: pedantic, N: notes.
for t in E W I P; do
	n=$(grep -c "^$t: " "$out/lintian.log" || true)
	echo "build-deb: lintian $t: $n"
done
grep -E '^(E|W): ' "$out/lintian.log" | sed 's/^/    /' || true
[ $rc = 0 ] || die "lintian reports errors (exit $rc); see $out/lintian.log"
