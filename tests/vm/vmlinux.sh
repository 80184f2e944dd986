#!/bin/bash
# Extract the uncompressed vmlinux (ELF, with its PVH entry note) from a
# bzImage, like the kernel's scripts/extract-vmlinux.  QEMU boots it
# directly with -kernel, which skips the in-guest decompression (about 6 s
# under TCG).  Usage: tests/vm/vmlinux.sh BZIMAGE OUT
set -eu
img=$1 out=$2
tmp=$out.tmp.$$
trap 'rm -f "$tmp"' EXIT

is_elf() { [ "$(head -c 4 "$1" | od -An -c | tr -d ' ')" = '177ELF' ]; }

# try MAGIC(printf format) NAME DECOMPRESSOR...
try() {
	local magic=$1 name=$2; shift 2
	local pos
	for pos in $(LC_ALL=C grep -aboF "$(printf "$magic")" "$img" | cut -d: -f1); do
		tail -c +$((pos + 1)) "$img" | "$@" > "$tmp" 2>/dev/null || true
		if [ -s "$tmp" ] && is_elf "$tmp"; then
			mv "$tmp" "$out"
			echo "vmlinux: extracted $name payload of $img at offset $pos"
			exit 0
		fi
	done
}

try '\3757zXZ' xz xz -dc
try '\050\265\057\375' zstd zstd -dcq
try '\037\213\010' gzip gzip -dc
try '\002!L\030' lz4 lz4 -dc
try 'BZh' bzip2 bzip2 -dc
echo "vmlinux: no known compressed ELF payload in $img" >&2
exit 1
