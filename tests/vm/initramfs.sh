#!/bin/bash
# Build the test VM's initramfs for one kernel: static busybox, the stage-1
# init (tests/vm/init) and the modules needed to reach the host root over
# virtio-9p plus overlayfs, with their dependencies, decompressed.
# Usage: tests/vm/initramfs.sh KVER OUT.cpio
set -eu
kver=$1 out=$2
here=$(cd "$(dirname "$0")" && pwd)
mods=(virtio_pci 9pnet_virtio 9p overlay)

[ -d "/lib/modules/$kver" ] || { echo "initramfs: no /lib/modules/$kver" >&2; exit 1; }
bb=$(command -v busybox) || { echo "initramfs: busybox missing" >&2; exit 1; }
file -L "$bb" 2>/dev/null | grep -q 'dynamically' && { echo "initramfs: $bb is not static" >&2; exit 1; }

d=$(mktemp -d)
trap 'rm -rf "$d"' EXIT
mkdir -p "$d"/{bin,dev,proc,sys,lib/modules}
cp "$bb" "$d/bin/busybox"
for a in sh mount insmod mkdir switch_root sleep cat echo ls ln ip hostname; do
	ln -s busybox "$d/bin/$a"
done
install -m 0755 "$here/init" "$d/init"

# unsign KO: cut the appended signature.  Checking it costs tens of ms per
# module under emulation; the kernel does not enforce signatures.
unsign() {
	local ko=$1 magic='~Module signature appended~' size siglen
	[ "$(tail -c 28 "$ko" | head -c 27)" = "$magic" ] || return 0
	size=$(stat -c %s "$ko")
	# struct module_signature (12 bytes) precedes the magic; sig_len is its
	# last field, big-endian.
	siglen=$(tail -c 32 "$ko" | head -c 4 | od -An -tu1 | awk '{print (($1 * 256 + $2) * 256 + $3) * 256 + $4}')
	truncate -s $((size - 28 - 12 - siglen)) "$ko"
}

: > "$d/modules.order"
declare -A seen=()
for m in "${mods[@]}"; do
	while read -r kind path _; do
		[ "$kind" = insmod ] || continue
		base=${path##*/}
		base=${base%.xz}; base=${base%.zst}; base=${base%.gz}
		[ -n "${seen[$base]:-}" ] && continue
		seen[$base]=1
		case "$path" in
		*.xz)  xz -dc "$path" > "$d/lib/modules/$base" ;;
		*.zst) zstd -dcq "$path" > "$d/lib/modules/$base" ;;
		*.gz)  gzip -dc "$path" > "$d/lib/modules/$base" ;;
		*)     cp "$path" "$d/lib/modules/$base" ;;
		esac
		unsign "$d/lib/modules/$base"
		echo "$base" >> "$d/modules.order"
	done < <(modprobe -S "$kver" --show-depends "$m")
done

(cd "$d" && find . -print0 | LC_ALL=C sort -z | cpio --null -o -H newc --quiet -R 0:0) > "$out.tmp"
mv "$out.tmp" "$out"
echo "initramfs: $out ($(tr '\n' ' ' < "$d/modules.order"))"
