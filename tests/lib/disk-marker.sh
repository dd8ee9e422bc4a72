#!/bin/bash
# The "marker system" of the lifecycle e2e test (tests/lib/disk-marker.S):
#
#   tests/lib/disk-marker.sh OUT.img TOKEN [SIZE_MIB]
#       a raw BIOS disk image of SIZE_MIB (default 8) MiB whose boot sector
#       writes "NETBOOTD-E2E: booted from disk: marker TOKEN" to COM1 and
#       powers the VM off (or halts)
#   tests/lib/disk-marker.sh --sector OUT.bin
#       the 512-byte boot sector alone with an empty token, for the stand-in
#       installer of mkimage.sh (MKIMAGE_INSTALLER=1), which writes its own
#       token at byte DISK_MARKER_TOKEN_OFFSET
#
# TOKEN: 1 to 64 characters of [A-Za-z0-9._-].
set -euo pipefail

DISK_MARKER_TOKEN_OFFSET=256 # .org 0x100 in disk-marker.S
DISK_MARKER_TOKEN_MAX=64

usage() {
	echo "usage: $0 OUT.img TOKEN [SIZE_MIB] | $0 --sector OUT.bin" >&2
	exit 2
}

build_sector() {
	local out=$1 work
	for tool in as ld; do
		command -v "$tool" >/dev/null || {
			echo "disk-marker.sh: $tool is missing (binutils)" >&2
			exit 1
		}
	done
	work=$(mktemp -d)
	as --32 -o "$work/m.o" "$(dirname "${BASH_SOURCE[0]}")/disk-marker.S"
	ld -m elf_i386 -Ttext 0x7c00 --oformat binary -o "$work/m.bin" "$work/m.o"
	# The installer (tests/lib/installer/install.sh) writes the token at
	# byte 256 too: the symbol must be there.
	if [ "$(wc -c <"$work/m.bin")" -ne 512 ] ||
		[ "$(nm "$work/m.o" | awk '$3 == "token" { print $1 }')" != "$(printf '%08x' $DISK_MARKER_TOKEN_OFFSET)" ]; then
		echo "disk-marker.sh: the boot sector is not 512 bytes with its token at byte $DISK_MARKER_TOKEN_OFFSET" >&2
		rm -rf "$work"
		exit 1
	fi
	mv "$work/m.bin" "$out"
	rm -rf "$work"
}

[ $# -ge 2 ] || usage
if [ "$1" = --sector ]; then
	[ $# -eq 2 ] || usage
	build_sector "$2"
	exit 0
fi
[ $# -le 3 ] || usage
out=$1 token=$2 size=${3:-8}
if [ ${#token} -gt $DISK_MARKER_TOKEN_MAX ] || ! [[ $token =~ ^[A-Za-z0-9._-]+$ ]]; then
	echo "disk-marker.sh: bad token \"$token\" (1-$DISK_MARKER_TOKEN_MAX of [A-Za-z0-9._-])" >&2
	exit 2
fi
rm -f "$out.new"
truncate -s "${size}M" "$out.new"
build_sector "$out.sector"
dd if="$out.sector" of="$out.new" conv=notrunc status=none
rm -f "$out.sector"
printf '%s' "$token" | dd of="$out.new" bs=1 seek=$DISK_MARKER_TOKEN_OFFSET conv=notrunc status=none
mv "$out.new" "$out"
