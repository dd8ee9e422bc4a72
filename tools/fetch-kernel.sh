#!/bin/sh
# Download (not install) the Debian kernel package used by the test VMs and
# unpack it.  Idempotent.
#
#   tools/fetch-kernel.sh [amd64|arm64]
#
# amd64 (the default): linux-image-*-amd64 into tools/cache/kernel
# arm64: linux-image-*-arm64:arm64 into tools/cache/kernel-arm64 (an
#        uncompressed, signed PE Image); adds dpkg's arm64 architecture and
#        runs apt-get update first when apt does not know the package (root)
# Each cache holds vmlinuz, modules/ and version.
set -eu

arch=${1:-amd64}
case $arch in
amd64) sub=kernel meta=linux-image-amd64 suffix= ;;
arm64) sub=kernel-arm64 meta=linux-image-arm64:arm64 suffix=:arm64 ;;
-h | --help)
	sed -n '2,/^set -eu/{/^set -eu/d;s/^# \{0,1\}//;p}' "$0"
	exit 0
	;;
*)
	echo "usage: $0 [amd64|arm64]" >&2
	exit 2
	;;
esac

top=$(cd "$(dirname "$0")/.." && pwd)
cache="$top/tools/cache"
dest="$cache/$sub"

if [ -f "$dest/vmlinuz" ] && [ -d "$dest/modules" ]; then
	exit 0
fi

if [ "$arch" = arm64 ] && ! apt-cache policy "$meta" 2>/dev/null | grep -q 'Candidate: [0-9]'; then
	if ! dpkg --print-foreign-architectures | grep -qx arm64; then
		echo "fetch-kernel.sh: adding the arm64 architecture" >&2
		dpkg --add-architecture arm64
	fi
	apt-get update -q >&2
fi

pkg=$(apt-cache depends "$meta" | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
pkg=${pkg%:arm64}
if [ -z "$pkg" ]; then
	echo "fetch-kernel.sh: cannot resolve $meta (run apt-get update)" >&2
	exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && apt-get download -q "$pkg$suffix" >/dev/null)
dpkg -x "$tmp"/"$pkg"_*.deb "$tmp/root"

rm -rf "$dest.new"
mkdir -p "$dest.new"
cp "$tmp"/root/boot/vmlinuz-* "$dest.new/vmlinuz"
kver=$(ls "$tmp/root/lib/modules")
mv "$tmp/root/lib/modules/$kver" "$dest.new/modules"
echo "$kver" > "$dest.new/version"
rm -rf "$dest"
mv "$dest.new" "$dest"
echo "fetch-kernel.sh: kernel $kver in $dest" >&2
