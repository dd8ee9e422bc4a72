#!/bin/bash
# HTTP: netbootd against nginx (nginx-light), on 127.0.0.1 inside a network
# namespace of our own.
#
# The image is imported with add-image --dir (so it has a manifest.json, as
# every image netbootctl adds; one placed by hand costs 4 more stat(2) per
# script).
#  - a SIZE_MIB (1024) MiB random file fetched with curl -o /dev/null, RUNS
#    (5) times per server, taking turns: median wall time and MiB/s, and the
#    median of the runs' ratios;
#  - wrk, 2 threads, 10 connections (keep-alive), ROUNDS (5) runs of
#    DURATION (3) s per server and case, the servers taking turns (which one
#    goes first alternates), for each small-response case of issue 14: netbootd's generated iPXE script
#    (/ipxe/<mac>) and cloud-config (/config/<mac>) against the same bytes as
#    static files in nginx, a 4 KiB image file, HEAD of it, and "Range:
#    bytes=0-0" of the big file: the median requests/s of each server, and
#    the median of the rounds' ratios (this machine's speed moves by 2x from
#    one second to the next: only runs side by side compare).
# Ratios are netbootd / nginx (> 1: netbootd is faster).  nginx runs with one
# worker, like netbootd's one thread, sendfile on, access log off.
#
# usage: bench/bench-http.sh [path/to/netbootd]     (root; default build/daemon/netbootd)
# env:   RUNS (5), SIZE_MIB (1024), ROUNDS (5), DURATION (3)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
NETBOOTD=${1:-${NETBOOTD:-$HERE/../build/daemon/netbootd}}
NETBOOTCTL=${NETBOOTCTL:-$(dirname "$NETBOOTD")/../ctl/netbootctl}
RUNS=${RUNS:-5}
SIZE_MIB=${SIZE_MIB:-1024}
ROUNDS=${ROUNDS:-5}
DURATION=${DURATION:-3}
TIMEOUT=120 # seconds per download
NB_PORT=18490
NG_PORT=18491
MAC=52-54-00-12-34-56

# shellcheck source=bench/common.sh
. "$(dirname "$0")/common.sh"
bench_setup bench-http "httpb-$$" "$(mktemp -d /tmp/netbootd-bench-http.XXXXXX)" ip curl wrk ab nginx cmp "$NETBOOTD" "$NETBOOTCTL"
mkdir -p "$TMP/state" "$TMP/src" "$TMP/www/images/bench" "$TMP/nginx"
echo "bench-http: writing a $SIZE_MIB MiB random file" >&2
# A stand-in squashfs netbootd accepts (its super block), imported with
# add-image --dir below as any image is: with its manifest.json.
bench_fake_squashfs $((SIZE_MIB * 1048576 - 96)) >"$TMP/src/rootfs.squashfs"
head -c 4096 /dev/urandom >"$TMP/src/kernel"
head -c 4096 /dev/urandom >"$TMP/src/initrd"
printf '#cloud-config\nhostname: bench\nusers:\n  - name: kairos\n    passwd: kairos\n' >"$TMP/cloud.yaml"

cat >"$TMP/netbootd.yaml" <<EOF
state_dir: $TMP/state
dhcp: {enabled: false}
tftp: {enabled: false}
http: {port: $NB_PORT}
control: {socket: $TMP/control.sock}
EOF
nginx_bench_conf "$TMP/nginx" "$NG_PORT" "$TMP/www" "keepalive_requests 1000000;"


ip netns exec "$NS" "$NETBOOTD" -f -c "$TMP/netbootd.yaml" 2>"$TMP/netbootd.log" &
NB_PID=$!
ip netns exec "$NS" nginx -c "$TMP/nginx/nginx.conf" -g 'daemon off;' &
NG_PID=$!
bench_wait_port bench-http $NB_PORT
bench_wait_port bench-http $NG_PORT

echo "bench-http: importing the image (add-image --dir)" >&2
in_ns "$NETBOOTCTL" -s "$TMP/control.sock" add-image bench --dir "$TMP/src" >/dev/null
rm -rf "$TMP/src"
ln "$TMP/state/images/bench/rootfs.squashfs" "$TMP/www/images/bench/rootfs.squashfs"
ln "$TMP/state/images/bench/kernel" "$TMP/www/images/bench/kernel"
# A default cloud-config, and the same script and cloud-config bytes as static files for nginx.
in_ns "$NETBOOTCTL" -s "$TMP/control.sock" config set bench "$TMP/cloud.yaml" >/dev/null
in_ns "$NETBOOTCTL" -s "$TMP/control.sock" config default bench >/dev/null
in_ns curl -sf -o "$TMP/www/script" "http://127.0.0.1:$NB_PORT/ipxe/$MAC"
in_ns curl -sf -o "$TMP/www/config" "http://127.0.0.1:$NB_PORT/config/$MAC"

STEAL0=$(steal_sample)
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

# Seconds of one download of URL; checks the size.
fetch_one() { # url
	local t size want=$((SIZE_MIB * 1048576))
	read -r t size < <(in_ns curl -sf -m $TIMEOUT -o /dev/null -w '%{time_total} %{size_download}\n' "$1")
	[ "$size" = "$want" ] || { echo "bench-http: short download of $1 ($size bytes)" >&2; exit 1; }
	echo "$t"
}

# One correctness check of the big file (outside the timed runs).
in_ns curl -sf -o "$TMP/check" "http://127.0.0.1:$NB_PORT/images/bench/rootfs.squashfs"
cmp -s "$TMP/check" "$TMP/state/images/bench/rootfs.squashfs" || { echo "bench-http: netbootd sent wrong bytes" >&2; exit 1; }
rm -f "$TMP/check"

echo "bench-http: $RUNS downloads of $SIZE_MIB MiB per server" >&2
# RUNS downloads per server, taking turns: "netbootd-seconds nginx-seconds" per run.
for i in $(seq "$RUNS"); do
	if [ $((i % 2)) = 1 ]; then
		a=$(fetch_one "http://127.0.0.1:$NB_PORT/images/bench/rootfs.squashfs")
		b=$(fetch_one "http://127.0.0.1:$NG_PORT/images/bench/rootfs.squashfs")
	else
		b=$(fetch_one "http://127.0.0.1:$NG_PORT/images/bench/rootfs.squashfs")
		a=$(fetch_one "http://127.0.0.1:$NB_PORT/images/bench/rootfs.squashfs")
	fi
	echo "$a $b"
done >"$TMP/big-times"
NB_T=$(awk '{ print $1 }' "$TMP/big-times" | median)
NG_T=$(awk '{ print $2 }' "$TMP/big-times" | median)
BIG_RATIO=$(awk '{ print $2 / $1 }' "$TMP/big-times" | median)

rps() { # url [wrk options]
	local url=$1
	shift
	in_ns wrk -t2 -c10 -d"${DURATION}s" "$@" "$url" | awk '/^Requests\/sec/ { print $2 }'
}
NBU=http://127.0.0.1:$NB_PORT
NGU=http://127.0.0.1:$NG_PORT
echo "bench-http: $ROUNDS rounds of wrk -t2 -c10 -d${DURATION}s per server and case" >&2
printf '%-10s %14s %10s\n' "server" "1 GiB median" "MiB/s"
awk -v size="$SIZE_MIB" -v nbt="$NB_T" -v ngt="$NG_T" -v r="$BIG_RATIO" 'BEGIN {
	printf "%-10s %12.3f s %10.0f\n", "netbootd", nbt, size / nbt
	printf "%-10s %12.3f s %10.0f\n", "nginx", ngt, size / ngt
	printf "ratio netbootd/nginx, 1 GiB throughput (median of the runs): %.2f\n\n", r
}'
printf '%-28s %12s %12s %7s\n' "case (wrk req/s)" "netbootd" "nginx" "ratio"
# HEAD through ab -i (wrk's parser waits for a HEAD response's body), 10
# keep-alive connections like wrk's.
ab_head_rps() { # url
	in_ns ab -i -k -c10 -t "$DURATION" -n 100000000 "$1" 2>/dev/null |
		awk '/^Requests per second/ { print $4 }'
}
one_rps() { # url [wrk options | head]
	local url=$1
	shift
	if [ "${1:-}" = head ]; then
		ab_head_rps "$url"
	else
		rps "$url" "$@"
	fi
}
case_line() { # name netbootd-url nginx-url [wrk options | head]
	local name=$1 nb=$2 ng=$3 a b i
	shift 3
	for i in $(seq "$ROUNDS"); do
		if [ $((i % 2)) = 1 ]; then
			a=$(one_rps "$nb" "$@")
			b=$(one_rps "$ng" "$@")
		else
			b=$(one_rps "$ng" "$@")
			a=$(one_rps "$nb" "$@")
		fi
		echo "$a $b"
	done | awk -v n="$name" '
		function median(v, k,   i, j, t) {
			for (i = 2; i <= k; i++)
				for (j = i; j > 1 && v[j - 1] > v[j]; j--) { t = v[j]; v[j] = v[j - 1]; v[j - 1] = t }
			return v[int((k + 1) / 2)]
		}
		{ a[NR] = $1; b[NR] = $2; r[NR] = $2 > 0 ? $1 / $2 : 0 }
		END { printf "%-28s %12.0f %12.0f %7.2f\n", n, median(a, NR), median(b, NR), median(r, NR) }'
}
case_line "script (/ipxe/<mac>)" "$NBU/ipxe/$MAC" "$NGU/script"
case_line "cloud-config (/config/<mac>)" "$NBU/config/$MAC" "$NGU/config"
case_line "4 KiB file" "$NBU/images/bench/kernel" "$NGU/images/bench/kernel"
case_line "HEAD of the 4 KiB file (ab)" "$NBU/images/bench/kernel" "$NGU/images/bench/kernel" head
case_line "Range: bytes=0-0" "$NBU/images/bench/rootfs.squashfs" "$NGU/images/bench/rootfs.squashfs" \
	-H "Range: bytes=0-0"
echo "netbootd VmRSS at the end: $(awk '/^VmRSS/ { print $2, $3 }' /proc/$NB_PID/status)"
steal_report "$STEAL0"
