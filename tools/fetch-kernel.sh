#!/bin/sh
# Download (not install) the Debian amd64 kernel package used by the test VMs
# and unpack it under tools/cache/kernel.  Idempotent.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
cache="$top/tools/cache"
dest="$cache/kernel"

if [ -f "$dest/vmlinuz" ] && [ -d "$dest/modules" ]; then
	exit 0
fi

pkg=$(apt-cache depends linux-image-amd64 | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
if [ -z "$pkg" ]; then
	echo "fetch-kernel.sh: cannot resolve linux-image-amd64 (run apt-get update)" >&2
	exit 1
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(cd "$tmp" && apt-get download -q "$pkg" >/dev/null)
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
