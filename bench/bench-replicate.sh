#!/bin/bash
# Replication of an image by digest between two instances, against plain
# curl of the same file from nginx (nginx-light), on 127.0.0.1 inside a
# network namespace of our own.
#
#  - instance A: netbootd with one image (kernel 8 MiB, initrd 32 MiB,
#    rootfs.squashfs SIZE_MIB (1024) MiB, random), added with netbootctl;
#  - instance B: tests/tools/replicate-probe, the daemon's store and
#    replicate.c, replicating that image's record from A's /blobs into a
#    fresh state directory (streamed and hashed into the txn, then the
#    store's commit: digested again and fsync'ed, renamed into place);
#  - nginx (one worker, sendfile on, access log off) serves the same three
#    files (hard links); curl fetches them -o FILE, then the same followed
#    by openssl dgst -sha256 (libcrypto, as B) and sync of the files (what B does, done by hand).
# RUNS (1) runs each, the median; every copy is compared with the source.
# Ratio = curl time / replication time (> 1: replication faster).
#
# Everything lives under BENCH_TMP (/var/tmp: the disk; /dev/shm takes the
# disk out and leaves the transfer, the hashing and the copies).
#
# usage: bench/bench-replicate.sh [BUILDDIR]     (root; default build)
# env:   RUNS (1), SIZE_MIB (1024), BENCH_TMP (/var/tmp)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${1:-$HERE/../build}
NETBOOTD=$BUILD/daemon/netbootd
CTL=$BUILD/ctl/netbootctl
PROBE=$BUILD/tests/replicate-probe
RUNS=${RUNS:-1}
SIZE_MIB=${SIZE_MIB:-1024}
NB_PORT=18492
NG_PORT=18493

# shellcheck source=bench/common.sh
. "$(dirname "$0")/common.sh"
bench_setup bench-replicate "replb-$$" "$(mktemp -d "${BENCH_TMP:-/var/tmp}/netbootd-bench-replicate.XXXXXX")" ip curl nginx cmp openssl "$NETBOOTD" "$CTL" "$PROBE"
mkdir -p "$TMP/src" "$TMP/nginx" "$TMP/www"
echo "bench-replicate: writing a $SIZE_MIB MiB image" >&2
head -c $((8 * 1048576)) /dev/urandom >"$TMP/src/kernel"
head -c $((32 * 1048576)) /dev/urandom >"$TMP/src/initrd"
bench_fake_squashfs $((SIZE_MIB * 1048576 - 96)) >"$TMP/src/rootfs.squashfs"
TOTAL=$(cat "$TMP/src"/* | wc -c)

cat >"$TMP/netbootd.yaml" <<EOF
state_dir: $TMP/a
dhcp: {enabled: false}
tftp: {enabled: false}
http: {port: $NB_PORT}
control: {socket: $TMP/control.sock}
EOF
nginx_bench_conf "$TMP/nginx" "$NG_PORT" "$TMP/www"


ip netns exec "$NS" "$NETBOOTD" -f -c "$TMP/netbootd.yaml" 2>"$TMP/netbootd.log" &
NB_PID=$!
ip netns exec "$NS" nginx -c "$TMP/nginx/nginx.conf" -g 'daemon off;' &
NG_PID=$!
bench_wait_port bench-replicate $NB_PORT
bench_wait_port bench-replicate $NG_PORT
"$CTL" -s "$TMP/control.sock" add-image bench --dir "$TMP/src" >/dev/null 2>&1
RECORD=$TMP/a/images/bench/manifest.json
for f in kernel initrd rootfs.squashfs; do
	ln "$TMP/a/images/bench/$f" "$TMP/www/$f" # the same inodes: the same page cache
done
cat "$TMP/a/images/bench"/* >/dev/null # warm the page cache for both servers

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
now() { date +%s.%N; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f\n", b - a }'; }
same() { # dir: its three files are the source's
	local f
	for f in kernel initrd rootfs.squashfs; do
		cmp -s "$1/$f" "$TMP/src/$f" || { echo "bench-replicate: $1/$f differs" >&2; exit 1; }
	done
}

replicate_once() {
	local t0
	rm -rf "$TMP/b"
	t0=$(now)
	in_ns "$PROBE" -q "$TMP/b" "$RECORD" "http://127.0.0.1:$NB_PORT" >"$TMP/probe.out" 2>&1 ||
		{ echo "bench-replicate: replication failed: $(cat "$TMP/probe.out")" >&2; exit 1; }
	since "$t0"
	same "$TMP/b/images/bench"
}
curl_once() { # verify: 1 to add sha256sum and sync
	local t0 f
	rm -rf "$TMP/c"
	mkdir -p "$TMP/c"
	t0=$(now)
	for f in kernel initrd rootfs.squashfs; do
		in_ns curl -sf -o "$TMP/c/$f" "http://127.0.0.1:$NG_PORT/$f"
	done
	if [ "$1" = 1 ]; then
		openssl dgst -sha256 "$TMP/c"/* >/dev/null
		sync "$TMP/c"/*
	fi
	since "$t0"
	same "$TMP/c"
}

echo "bench-replicate: $RUNS run(s) of $TOTAL bytes each way" >&2
RP_T=$(for _ in $(seq "$RUNS"); do replicate_once; done | median)
C_T=$(for _ in $(seq "$RUNS"); do curl_once 0; done | median)
CV_T=$(for _ in $(seq "$RUNS"); do curl_once 1; done | median)

awk -v total="$TOTAL" -v rp="$RP_T" -v c="$C_T" -v cv="$CV_T" 'BEGIN {
	mib = total / 1048576
	printf "%-36s %10s %8s %6s\n", "", "median", "MiB/s", "ratio"
	printf "%-36s %8.3f s %8.0f %6.2f\n", "replicate A->B (verify, commit)", rp, mib / rp, 1
	printf "%-36s %8.3f s %8.0f %6.2f\n", "curl -o from nginx", c, mib / c, c / rp
	printf "%-36s %8.3f s %8.0f %6.2f\n", "curl -o from nginx, sha256, sync", cv, mib / cv, cv / rp
}'
