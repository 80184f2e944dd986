#!/bin/bash
# Build (or reuse) the debug test kernel of make test-debug: Debian's
# linux-source-6.1 with KASAN (generic, inline), lockdep (PROVE_LOCKING,
# PROVE_RCU), DEBUG_ATOMIC_SLEEP, kmemleak and debugobjects, everything
# the guest and the suite need built in (tests/vm/debug-kernel.config).
#
#   tests/vm/debug-kernel.sh [--print]
#
# Work tree: build/cache/debug-kernel/ (the source extracted in src/, the
# kbuild output in obj/ = the KDIR to build tcp_splice.ko against; the
# image to boot is obj/arch/x86/boot/bzImage).  Resumable: an interrupted run continues
# where make stopped; a finished build with the same config fragment is
# reused without calling make.  Then the release's /lib/modules/<release>/
# (modules.builtin, modules.dep, ...) is installed on the host root, which
# the guest sees over 9p: modprobe of a built-in module succeeds there.
# The compile runs under nice -n 19 with -j$TSP_DEBUG_JOBS (default 2).
# Build times are logged to build/cache/debug-kernel/build-times.log.
# --print: only print "RELEASE OBJDIR" of a finished build (exit 1 if none).
set -eu
export LC_ALL=C

root=$(cd "$(dirname "$0")/../.." && pwd)
top=$root/build/cache/debug-kernel
frag=$root/tests/vm/debug-kernel.config
tarball=${TSP_DEBUG_SRC:-$(ls /usr/src/linux-source-6.1.tar.* 2> /dev/null | sort -V | tail -n 1)}
jobs=${TSP_DEBUG_JOBS:-2}
src=$top/src obj=$top/obj
log() { echo "debug-kernel: $*"; }
die() { echo "debug-kernel: $*" >&2; exit 1; }

# The config fragment and the source decide the build.
sum=$(cat "$frag" <(echo "$tarball") | sha256sum | cut -c1-16)

finished() {
	[ -s "$obj/arch/x86/boot/bzImage" ] && [ -f "$obj/.tsp-built" ] && [ "$(cat "$obj/.tsp-built")" = "$sum" ]
}
if [ "${1:-}" = --print ]; then
	finished || exit 1
	echo "$(cat "$obj/include/config/kernel.release") $obj"
	exit 0
fi

mkdir -p "$top"
exec {lockfd}> "$top/.lock"
flock -n $lockfd || { log "another build holds $top/.lock; waiting"; flock $lockfd; }

if ! finished; then
	[ -n "$tarball" ] && [ -r "$tarball" ] ||
		die "no /usr/src/linux-source-6.1.tar.* (make deps installs linux-source-6.1)"
	for t in make gcc flex bison bc; do
		command -v $t > /dev/null || die "$t missing (make deps)"
	done
	[ -e /usr/include/libelf.h ] || die "libelf-dev missing (make deps)"

	# --- the source, extracted once ------------------------------------
	if [ ! -f "$src/.tsp-extracted" ] || [ "$(cat "$src/.tsp-extracted")" != "$tarball" ]; then
		log "extracting $tarball"
		rm -rf "$src" "$obj"
		mkdir -p "$src"
		tar -xaf "$tarball" -C "$src" --strip-components=1
		echo "$tarball" > "$src/.tsp-extracted"
	fi

	# --- the config, regenerated only when the fragment changed --------
	mkdir -p "$obj"
	if [ ! -s "$obj/.config" ] || [ "$(cat "$obj/.tsp-config" 2> /dev/null)" != "$sum" ]; then
		log "configuring (x86_64_defconfig + kvm_guest.config + ${frag#"$root"/})"
		rm -f "$obj/.tsp-built"
		make -s -C "$src" O="$obj" x86_64_defconfig > /dev/null
		make -s -C "$src" O="$obj" kvm_guest.config > /dev/null
		args=()
		while IFS= read -r l; do
			l=${l%%#*}
			[ -n "${l// /}" ] || continue
			k=${l%%=*} v=${l#*=}
			case $v in
			y) args+=(--enable "$k") ;;
			n) args+=(--disable "$k") ;;
			m) args+=(--module "$k") ;;
			\"*) v=${v#\"}; args+=(--set-str "$k" "${v%\"}") ;;
			*) args+=(--set-val "$k" "$v") ;;
			esac
		done < "$frag"
		"$src/scripts/config" --file "$obj/.config" "${args[@]}"
		make -s -C "$src" O="$obj" olddefconfig > /dev/null
		# Every line of the fragment must have survived olddefconfig.
		bad=0
		while IFS= read -r l; do
			l=${l%%#*}
			[ -n "${l// /}" ] || continue
			k=${l%%=*} v=${l#*=}
			if [ "$v" = n ]; then
				grep -qE "^CONFIG_$k=" "$obj/.config" && { echo "  CONFIG_$k is set, wanted off" >&2; bad=1; }
			else
				grep -qxF "CONFIG_$k=$v" "$obj/.config" ||
					{ echo "  CONFIG_$k=$v missing: $(grep -E "CONFIG_$k[= ]" "$obj/.config" || echo unset)" >&2; bad=1; }
			fi
		done < "$frag"
		[ $bad = 0 ] || die "the config lacks the lines above (dependencies?)"
		echo "$sum" > "$obj/.tsp-config"
	fi

	# --- the compile: make resumes whatever an earlier run left ---------
	log "building in ${obj#"$root"/} (nice -n 19, -j$jobs; log ${obj#"$root"/}/build.log)"
	t0=$(date +%s)
	rc=0
	nice -n 19 make -C "$src" O="$obj" -j"$jobs" bzImage modules > "$obj/build.log" 2>&1 || rc=$?
	dt=$(($(date +%s) - t0))
	echo "$(date -u +%FT%TZ) $dt s rc=$rc -j$jobs $(nproc) cpus $(cat "$obj/include/config/kernel.release" 2> /dev/null)" >> "$top/build-times.log"
	if [ $rc -ne 0 ]; then
		tail -n 30 "$obj/build.log" >&2
		die "build failed (rc $rc) after ${dt}s; rerun to resume"
	fi
	log "built in ${dt}s"
	echo "$sum" > "$obj/.tsp-built"
fi

rel=$(cat "$obj/include/config/kernel.release")
# --- /lib/modules/<release> on the host root, for the guest's modprobe ---
if [ ! -s "/lib/modules/$rel/modules.builtin" ] || [ "$obj/.tsp-built" -nt "/lib/modules/$rel/modules.builtin" ]; then
	log "installing /lib/modules/$rel"
	make -s -C "$src" O="$obj" modules_install INSTALL_MOD_STRIP=1 > /dev/null
	# The links into the build tree: KDIR for the module and for DKMS.
	ln -sfn "$obj" "/lib/modules/$rel/build"
	touch "/lib/modules/$rel/modules.builtin"
fi
log "$rel ready: ${obj#"$root"/}/arch/x86/boot/bzImage"
