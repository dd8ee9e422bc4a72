#!/bin/bash
# TFTP throughput: netbootd against dnsmasq and tftpd-hpa.
#
# Two network namespaces joined by a veth pair (server 10.201.N.1, client
# 10.201.N.2); each server in turn listens on port 69 in the server
# namespace.  A 64 MiB random file is fetched with curl --tftp-blksize 1468
# and with atftp (blksize 1468, windowsize 16), RUNS times per pair; the
# median wall time is printed with the ratio peer/netbootd (> 1: netbootd is
# faster).  Every download is compared with the source file.
#
# usage: bench/bench-tftp.sh [path/to/netbootd]     (root; default build/daemon/netbootd)
# env:   RUNS (3), SIZE_MIB (64)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
NETBOOTD=${1:-${NETBOOTD:-$HERE/../build/daemon/netbootd}}
RUNS=${RUNS:-3}
SIZE_MIB=${SIZE_MIB:-64}
TIMEOUT=120 # seconds per download, so a stuck transfer cannot hang the bench

for t in ip curl atftp dnsmasq in.tftpd cmp "$NETBOOTD"; do
	command -v "$t" >/dev/null || { echo "bench-tftp: $t not found" >&2; exit 1; }
done
[ "$(id -u)" -eq 0 ] || { echo "bench-tftp: needs root (network namespaces)" >&2; exit 1; }

ID=$$
NS_S=tftpb-s-$ID
NS_C=tftpb-c-$ID
NET=10.201.$((ID % 250)).
SRV=${NET}1
TMP=$(mktemp -d /tmp/netbootd-bench-tftp.XXXXXX)
SERVER_PID=

stop_server() {
	if [ -n "$SERVER_PID" ]; then
		kill "$SERVER_PID" 2>/dev/null || true
		wait "$SERVER_PID" 2>/dev/null || true
		SERVER_PID=
	fi
}
cleanup() {
	stop_server
	ip netns del "$NS_S" 2>/dev/null || true
	ip netns del "$NS_C" 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT

ip netns add "$NS_S"
ip netns add "$NS_C"
ip link add "veth-s$ID" netns "$NS_S" type veth peer name "veth-c$ID" netns "$NS_C"
ip -n "$NS_S" addr add "${SRV}/24" dev "veth-s$ID"
ip -n "$NS_C" addr add "${NET}2/24" dev "veth-c$ID"
for ns in "$NS_S" "$NS_C"; do
	ip -n "$ns" link set lo up
done
ip -n "$NS_S" link set "veth-s$ID" up
ip -n "$NS_C" link set "veth-c$ID" up

chmod 755 "$TMP" # dnsmasq and in.tftpd drop privileges to read the root
ROOT=$TMP/state/tftp
mkdir -p "$ROOT"
chmod -R 755 "$TMP/state"
head -c $((SIZE_MIB * 1024 * 1024)) /dev/urandom >"$ROOT/big.bin"
chmod 644 "$ROOT/big.bin"

cat >"$TMP/netbootd.yaml" <<EOF
state_dir: $TMP/state
dhcp:
  enabled: false
tftp:
  port: 69
http:
  port: 18090
control:
  socket: $TMP/control.sock
EOF

start_server() {
	case $1 in
	netbootd)
		ip netns exec "$NS_S" "$NETBOOTD" -f -c "$TMP/netbootd.yaml" 2>"$TMP/netbootd.log" &
		;;
	dnsmasq)
		ip netns exec "$NS_S" dnsmasq --no-daemon --port=0 --enable-tftp --tftp-root="$ROOT" \
			--interface="veth-s$ID" --bind-interfaces --pid-file= --conf-file=/dev/null \
			--quiet-tftp --log-facility="$TMP/dnsmasq.log" 2>>"$TMP/dnsmasq.log" &
		;;
	tftpd-hpa)
		ip netns exec "$NS_S" in.tftpd -L -s "$ROOT" -a "$SRV:69" &
		;;
	esac
	SERVER_PID=$!
	sleep 0.5
	kill -0 "$SERVER_PID" || { echo "bench-tftp: $1 did not start" >&2; exit 1; }
}

# One timed download; prints seconds.
fetch() {
	local client=$1 out=$TMP/out t0 t1
	rm -f "$out"
	t0=$(date +%s.%N)
	case $client in
	curl)
		ip netns exec "$NS_C" timeout "$TIMEOUT" curl -sS --tftp-blksize 1468 -o "$out" \
			"tftp://$SRV/big.bin"
		;;
	atftp)
		ip netns exec "$NS_C" timeout "$TIMEOUT" atftp --option "blksize 1468" \
			--option "windowsize 16" -g -r big.bin -l "$out" "$SRV" 69 >/dev/null 2>&1
		;;
	esac
	t1=$(date +%s.%N)
	cmp -s "$out" "$ROOT/big.bin" || { echo "bench-tftp: $client got a wrong file" >&2; exit 1; }
	echo "$t1 - $t0" | bc -l
}

median() {
	printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {printf "%.2f", a[int((NR+1)/2)]}'
}

declare -A RESULT
SERVERS=(netbootd dnsmasq tftpd-hpa)
CLIENTS=(curl atftp)
for s in "${SERVERS[@]}"; do
	start_server "$s"
	for c in "${CLIENTS[@]}"; do
		times=()
		for _ in $(seq "$RUNS"); do
			times+=("$(fetch "$c")")
		done
		RESULT[$s,$c]=$(median "${times[@]}")
		echo "$s / $c: ${times[*]} -> median ${RESULT[$s,$c]} s" >&2
	done
	stop_server
done

printf '\n%s MiB over a veth pair, median of %s runs (seconds; ratio = peer / netbootd)\n\n' \
	"$SIZE_MIB" "$RUNS"
printf '| %-10s | %-22s | %-33s |\n' server "curl --tftp-blksize 1468" "atftp blksize 1468 windowsize 16"
printf '|%s|%s|%s|\n' ------------ ------------------------ -----------------------------------
for s in "${SERVERS[@]}"; do
	cells=()
	for c in "${CLIENTS[@]}"; do
		v=${RESULT[$s,$c]}
		if [ "$s" = netbootd ]; then
			cells+=("$v s")
		else
			cells+=("$v s ($(echo "$v / ${RESULT[netbootd,$c]}" | bc -l | xargs printf '%.2f')x)")
		fi
	done
	printf '| %-10s | %-22s | %-33s |\n' "$s" "${cells[0]}" "${cells[1]}"
done
