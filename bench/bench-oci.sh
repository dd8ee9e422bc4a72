#!/bin/bash
# OCI import: `netbootctl extract oci` (registry -> blob cache -> kernel,
# initrd and squashfs in one streaming pass) against the equivalent pipeline
#   skopeo copy docker://REF oci:LAYOUT:TAG
#   umoci unpack --image LAYOUT:TAG BUNDLE
#   mksquashfs BUNDLE/rootfs OUT -b 1M -comp gzip
# on the same image, pulled from a docker-registry on 127.0.0.1.  One run
# each, cold caches of their own (the page cache is shared).  Prints wall time
# and peak disk use (work directory sampled every 0.2 s with du) and the
# ratios pipeline / netbootctl (> 1: netbootctl is faster / smaller).
#
#   bench/bench-oci.sh [path/to/netbootctl]
# BENCH_DIRS: the directories that become layers, one each
# (default: /usr/include /usr/libexec /usr/sbin /usr/share/locale), plus a
# small /boot layer with a kernel and initrd for netbootctl to find.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
CTL=${1:-${NETBOOTCTL:-$HERE/../build/ctl/netbootctl}}
BENCH_DIRS=${BENCH_DIRS:-/usr/include /usr/libexec /usr/sbin /usr/share/locale}
# shellcheck source=../tests/lib/registry.sh
. "$HERE/../tests/lib/registry.sh"
# shellcheck source=../tests/lib/common.sh
. "$HERE/../tests/lib/common.sh"

for c in docker-registry skopeo umoci mksquashfs gzip du awk "$CTL"; do
	command -v "$c" >/dev/null || { echo "bench-oci: $c missing" >&2; exit 1; }
done

new_tmpdir bench-oci /var/tmp
W=$TMPDIR_NEW

calc() { awk "BEGIN { print $* }"; }

# ---- the image ----
mkdir -p "$W/src/boot/boot"
head -c $((8 * 1048576)) /dev/urandom >"$W/src/boot/boot/vmlinuz-bench"
ln -s vmlinuz-bench "$W/src/boot/boot/vmlinuz"
head -c $((30 * 1048576)) /dev/urandom >"$W/src/boot/boot/initrd"
specs=("$W/src/boot:gzip")
i=0
for d in $BENCH_DIRS; do
	# Each directory at its own path inside the image.
	mkdir -p "$W/src/l$i$(dirname "$d")"
	cp -a "$d" "$W/src/l$i$(dirname "$d")/"
	specs+=("$W/src/l$i:gzip")
	i=$((i + 1))
done
RAW=$(du -sb "$W/src" | cut -f1)
t0=$(date +%s.%N)
/usr/bin/python3 "$HERE/../tests/integration/registry-mkimage.py" "$W/layout" --tag v1 "${specs[@]}" \
	>"$W/layout.txt"
rm -rf "$W/src"
PORT=$(registry_free_port)
registry_start "$W/reg" "$PORT"
track_child "$REGISTRY_PID"
REF=127.0.0.1:$PORT/bench/usr:v1
registry_push "$W/layout" v1 "$REF"
rm -rf "$W/layout"
COMPRESSED=$(awk '$1 == "layer" { s += $4 } END { print s }' "$W/layout.txt")
printf 'image: %d layers, %.0f MiB of files, %.0f MiB compressed (built and pushed in %.0f s)\n' \
	"$(grep -c '^layer' "$W/layout.txt")" "$(calc "$RAW / 1048576")" \
	"$(calc "$COMPRESSED / 1048576")" "$(calc "$(date +%s.%N) - $t0")"

# run NAME DIR CMD...: wall seconds in $SECS, peak bytes under DIR in $PEAK.
run() {
	local name=$1 dir=$2 sampler t1 t2
	shift 2
	mkdir -p "$dir"
	(
		peak=0
		while :; do
			n=$(du -sb "$dir" 2>/dev/null | cut -f1)
			[ "${n:-0}" -gt "$peak" ] && peak=$n && echo "$peak" >"$W/$name.peak"
			sleep 0.2
		done
	) &
	sampler=$!
	t1=$(date +%s.%N)
	"$@" >"$W/$name.log" 2>&1 || { kill "$sampler"; echo "$name failed:"; cat "$W/$name.log"; exit 1; }
	t2=$(date +%s.%N)
	sleep 0.3
	kill "$sampler" 2>/dev/null || true
	wait "$sampler" 2>/dev/null || true
	SECS=$(calc "$t2 - $t1")
	PEAK=$(cat "$W/$name.peak" 2>/dev/null || echo 0)
}

pipeline() {
	skopeo copy -q --src-tls-verify=false "docker://$REF" "oci:$W/p/layout:v1" &&
		umoci unpack --image "$W/p/layout:v1" "$W/p/bundle" &&
		mksquashfs "$W/p/bundle/rootfs" "$W/p/out.squashfs" -b 1M -comp gzip -noappend -quiet
}

sync
mkdir -p "$W/c/out"
run ctl "$W/c" env XDG_CACHE_HOME="$W/c/cache" "$CTL" extract oci "$REF" "$W/c/out" --insecure
C_SECS=$SECS C_PEAK=$PEAK C_SQ=$(stat -c %s "$W/c/out/kairos.squashfs")
rm -rf "$W/c"
sync
run pipe "$W/p" pipeline
P_SECS=$SECS P_PEAK=$PEAK P_SQ=$(stat -c %s "$W/p/out.squashfs")

mib() { calc "$1 / 1048576"; }
printf '\n| import                             | wall time | peak disk | squashfs  |\n'
printf '|------------------------------------|-----------|-----------|-----------|\n'
printf '| netbootctl extract oci             | %7.1f s | %5.0f MiB | %5.0f MiB |\n' \
	"$C_SECS" "$(mib "$C_PEAK")" "$(mib "$C_SQ")"
printf '| skopeo copy + umoci unpack + mksquashfs | %7.1f s | %5.0f MiB | %5.0f MiB |\n' \
	"$P_SECS" "$(mib "$P_PEAK")" "$(mib "$P_SQ")"
printf '\nratio pipeline / netbootctl: time %.2f, peak disk %.2f\n' \
	"$(calc "$P_SECS / $C_SECS")" "$(calc "$P_PEAK / $C_PEAK")"
