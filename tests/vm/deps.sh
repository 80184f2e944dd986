#!/bin/bash
# Install what building and testing tcp_splice needs, with apt-get.
# Idempotent and fast: asks dpkg first and calls apt-get only when a package
# is missing.  Usage: [TSP_DEPS_PACKAGING=1] [TSP_DEPS_DEBUG=1] tests/vm/deps.sh [KVER]
#   KVER empty or the default flavour: linux-image-amd64/linux-headers-amd64.
#   KVER=6.12 or 6.12.*: also the 6.12 metapackages (bookworm-security).
#   KVER=<full release>: also linux-image-<KVER> and linux-headers-<KVER>.
set -eu

kver=${1:-}
pkgs=(
	build-essential linux-image-amd64 linux-headers-amd64 linux-source-6.1
	qemu-system-x86 busybox-static kmod cpio xz-utils zstd
	libnl-3-dev libnl-genl-3-dev pkg-config sparse perl
	iproute2 ethtool iperf3 socat haproxy nftables conntrack netcat-openbsd
	iputils-ping util-linux procps coreutils jq curl
	ipvsadm gnuplot-nox
)
case "$kver" in
'' ) ;;
6.12|6.12-*|6.12.*)
	pkgs+=(linux-image-6.12-amd64 linux-headers-6.12-amd64) ;;
*-*)
	# A full release such as 6.1.0-56-amd64: its own packages, unless it
	# is what the metapackages already bring.
	if [ ! -e "/boot/vmlinuz-$kver" ] || [ ! -d "/usr/src/linux-headers-$kver" ]; then
		pkgs+=("linux-image-$kver" "linux-headers-$kver")
	fi ;;
esac

# make test-packages: DKMS and the Debian packaging tools as well.
if [ -n "${TSP_DEPS_PACKAGING:-}" ]; then
	pkgs+=(dkms dh-dkms debhelper dpkg-dev fakeroot lintian)
fi

# make test-debug: what compiling linux-source-6.1 needs beyond build-essential.
if [ -n "${TSP_DEPS_DEBUG:-}" ]; then
	pkgs+=(flex bison bc libelf-dev libssl-dev)
fi

missing=()
for p in "${pkgs[@]}"; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)
	[ "$st" = installed ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "deps: installing ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: need root to install packages" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "deps: done"
