#!/bin/bash
# ISO extraction: netbootctl extract iso against xorriso -osirrox and bsdtar.
#
# A Kairos-layout ISO is built with xorriso: /boot/kernel (16 MiB random),
# /boot/initrd (64 MiB random) and /rootfs.squashfs (SIZE_MIB random bytes
# after a squashfs super block that netbootctl accepts).  Each tool extracts the same three files into an
# empty directory, RUNS times; the median wall time is printed with the
# ratio peer/netbootctl (> 1: netbootctl is faster).  netbootctl fsyncs its
# files before renaming them into place, so the peers are also timed with a
# "sync FILES" after them (the fair column).  The ISO stays in the page
# cache (warm).  Every extraction is compared with the sources once.
#
# usage: bench/bench-iso.sh [path/to/netbootctl]     (default build/ctl/netbootctl)
# env:   RUNS (3), SIZE_MIB (944: an ISO of about 1 GiB), TMPDIR
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
CTL=${1:-${NETBOOTCTL:-$HERE/../build/ctl/netbootctl}}
RUNS=${RUNS:-3}
SIZE_MIB=${SIZE_MIB:-944}

for t in xorriso bsdtar cmp sync "$CTL"; do
	command -v "$t" >/dev/null || { echo "bench-iso: $t not found" >&2; exit 1; }
done

# shellcheck source=bench/common.sh
. "$(dirname "$0")/common.sh"
TMP=$(mktemp -d "${TMPDIR:-/tmp}/netbootd-bench-iso.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
SRC=$TMP/src
OUT=$TMP/out
mkdir -p "$SRC/boot"
head -c 16M /dev/urandom >"$SRC/boot/kernel"
head -c 64M /dev/urandom >"$SRC/boot/initrd"
bench_fake_squashfs $((SIZE_MIB * 1048576)) >"$SRC/rootfs.squashfs"
xorriso -as mkisofs -R -J -V COS_LIVE -o "$TMP/x.iso" "$SRC" >/dev/null 2>&1
ISO=$TMP/x.iso
cat "$ISO" >/dev/null # warm the page cache
echo "ISO: $(stat -c %s "$ISO") bytes, $RUNS runs each, median wall time"

now() { date +%s.%N; }
fresh() {
	rm -rf "$OUT"
	mkdir -p "$OUT"
	sync
}
run_netbootctl() { "$CTL" extract iso "$ISO" "$OUT" >/dev/null; }
run_xorriso() {
	xorriso -osirrox on -indev "$ISO" -extract /boot/kernel "$OUT/kairos-kernel" \
		-extract /boot/initrd "$OUT/kairos-initrd" \
		-extract /rootfs.squashfs "$OUT/kairos.squashfs" >/dev/null 2>&1
}
run_bsdtar() { bsdtar -x -f "$ISO" -C "$OUT" boot/kernel boot/initrd rootfs.squashfs; }
out_files() {
	if [ -e "$OUT/kairos-kernel" ]; then
		echo "$OUT/kairos-kernel $OUT/kairos-initrd $OUT/kairos.squashfs"
	else
		echo "$OUT/boot/kernel $OUT/boot/initrd $OUT/rootfs.squashfs"
	fi
}
verify() { # TOOL
	local k i s
	read -r k i s <<<"$(out_files)"
	cmp -s "$k" "$SRC/boot/kernel" && cmp -s "$i" "$SRC/boot/initrd" &&
		cmp -s "$s" "$SRC/rootfs.squashfs" || { echo "bench-iso: $1 extracted wrong bytes" >&2; exit 1; }
}
median() { sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'; }

# time_tool TOOL SYNC(0|1): the median of RUNS runs
time_tool() {
	local tool=$1 with_sync=$2 t0 t1
	for _ in $(seq "$RUNS"); do
		fresh
		t0=$(now)
		"run_$tool"
		# shellcheck disable=SC2046
		[ "$with_sync" = 1 ] && sync $(out_files)
		t1=$(now)
		echo "$t1 - $t0" | bc -l
	done | median
}

declare -A T
T[netbootctl]=$(time_tool netbootctl 0)
verify netbootctl
for tool in xorriso bsdtar; do
	T[$tool]=$(time_tool "$tool" 0)
	verify "$tool"
	T[$tool+sync]=$(time_tool "$tool" 1)
done
printf '%-16s %9s %10s %8s\n' tool median MiB/s ratio
for k in netbootctl xorriso xorriso+sync bsdtar bsdtar+sync; do
	t=${T[$k]}
	mibs=$(echo "$(stat -c %s "$ISO") / 1048576 / $t" | bc -l)
	ratio=$(echo "$t / ${T[netbootctl]}" | bc -l)
	printf '%-16s %8.3fs %10.0f %8.2f\n' "$k" "$t" "$mibs" "$ratio"
done
