#!/bin/bash
# A boot storm: N machines network-boot at once (UEFI PXE, then iPXE), against
# netbootd and then against the peer stack (dnsmasq as ProxyDHCP and TFTP
# server, nginx for HTTP), with the same client program in the same run.
#
# Two network namespaces joined by a veth pair: the servers on 10.203.0.1/16,
# the machines on 10.203.1.0 + i (one address and one MAC each).
# build/bench/boot-storm (bench/boot-storm.c) plays the machines: DHCPDISCOVER
# from 0.0.0.0:68 as firmware, the REQUEST to port 4011, the loader (LOADER_KIB
# random bytes, "ipxe.efi") over TFTP, DISCOVER and REQUEST again as iPXE, then
# over HTTP the script and the kernel (KERNEL_MIB) and initrd (INITRD_MIB) it
# names.  Machines power on evenly over RAMP_MS.  Per stack: DHCP reply
# latency p50/p99/max (all exchanges, from the first transmission to the
# kernel's receive timestamp), machines booted, wall time (first power-on to
# the last initrd byte), CPU seconds of the server namespace's processes, the
# client's retransmissions / UDP datagrams dropped for a full receive buffer;
# ratio = peer wall / netbootd wall (> 1: netbootd is faster); steal = the
# share of the machine's CPU time the hypervisor took during that storm.
#
# Both stacks are configured for N concurrent transfers (tftp.max_sessions,
# dnsmasq --tftp-max; http.max_connections, nginx worker_connections) and log
# as they do by default (netbootd one line per answer and transfer, dnsmasq
# its PXE lines), each to a file.  nginx runs one worker, like netbootd's one
# thread.
#
# usage: bench/bench-boot-storm.sh [BUILDDIR]     (root; default build)
# env:   CLIENTS (500; several: "500 2000"), RUNS (1, per stack and count),
#        STACKS ("netbootd peers"), KEEP (keep the logs in the temporary directory),
#        RAMP_MS (1000), LOADER_KIB (1024), KERNEL_MIB (8), INITRD_MIB (2),
#        NETBOOTD (BUILDDIR/daemon/netbootd)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
BUILDDIR=${1:-$HERE/../build}
NETBOOTD=${NETBOOTD:-$BUILDDIR/daemon/netbootd}
STORM=$BUILDDIR/bench/boot-storm
CLIENTS=${CLIENTS:-500}
RUNS=${RUNS:-1}
RAMP_MS=${RAMP_MS:-1000}
LOADER_KIB=${LOADER_KIB:-1024}
KERNEL_MIB=${KERNEL_MIB:-8}
INITRD_MIB=${INITRD_MIB:-2}
SRV=10.203.0.1
FIRST=10.203.1.0
NB_PORT=8090
NG_PORT=8091

# shellcheck source=bench/common.sh
. "$HERE/common.sh" # nginx_bench_conf
for t in ip dnsmasq nginx curl cmp "$NETBOOTD" "$STORM"; do
	command -v "$t" >/dev/null || { echo "bench-boot-storm: $t not found" >&2; exit 1; }
done
[ "$(id -u)" -eq 0 ] || { echo "bench-boot-storm: needs root (network namespaces)" >&2; exit 1; }

ID=$$
NS_S=storm-s-$ID
NS_C=storm-c-$ID
VS=vst$ID
VC=vsc$ID
TMP=$(mktemp -d /tmp/netbootd-bench-storm.XXXXXX)
PIDS=()

# CPU seconds (user + system) of every process in the server namespace.
server_cpu() {
	local p t=0
	for p in $(ip netns pids "$NS_S"); do
		t=$((t + $(awk '{ print $14 + $15 }' "/proc/$p/stat" 2>/dev/null || echo 0)))
	done
	awk -v t="$t" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", t / hz }'
}

# UDP datagrams dropped for a full receive buffer, server and client namespaces.
udp_drops() {
	local ns t=0
	for ns in "$NS_S" "$NS_C"; do
		t=$((t + $(ip netns exec "$ns" awk '/^Udp:/ && $2 ~ /^[0-9]/ { print $6 }' /proc/net/snmp)))
	done
	echo "$t"
}

stop_servers() {
	local p
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	PIDS=()
}
cleanup() {
	stop_servers
	ip netns del "$NS_S" 2>/dev/null || true
	ip netns del "$NS_C" 2>/dev/null || true
	if [ -n "${KEEP:-}" ]; then echo "bench-boot-storm: kept $TMP" >&2; else rm -rf "$TMP"; fi
}
trap cleanup EXIT

MAX=0
for n in $CLIENTS; do [ "$n" -gt "$MAX" ] && MAX=$n; done
ulimit -n "$(ulimit -Hn)" # TFTP sessions, HTTP connections and their files

# --- network ------------------------------------------------------------------
ip netns add "$NS_S"
ip netns add "$NS_C"
ip link add "$VS" netns "$NS_S" type veth peer name "$VC" netns "$NS_C"
ip -n "$NS_S" addr add "$SRV/16" dev "$VS"
for ns in "$NS_S" "$NS_C"; do
	ip -n "$ns" link set lo up
done
ip -n "$NS_S" link set "$VS" up
ip -n "$NS_C" link set "$VC" up
# The machines' addresses, and permanent neighbour entries for them on the
# server side (the kernel's neighbour table is global and holds 1024 learned
# entries by default; permanent ones do not count).
MAC_C=$(cat "/sys/class/net/$VC/address" 2>/dev/null || ip -n "$NS_C" -br link show "$VC" | awk '{ print $3 }')
python3 - "$FIRST" "$MAX" "$VC" "$VS" "$MAC_C" "$TMP/addrs" "$TMP/neigh" <<'PY'
import ipaddress, sys
first, n, vc, vs, mac, addrs, neigh = sys.argv[1:]
with open(addrs, "w") as a, open(neigh, "w") as b:
    for i in range(int(n)):
        ip = ipaddress.ip_address(first) + i
        a.write("addr add %s/16 dev %s\n" % (ip, vc))
        b.write("neigh replace %s lladdr %s dev %s nud permanent\n" % (ip, mac, vs))
PY
ip -n "$NS_C" -batch "$TMP/addrs"
ip -n "$NS_S" -batch "$TMP/neigh"

# --- files ----------------------------------------------------------------------
chmod 755 "$TMP" # dnsmasq drops privileges to read its TFTP root
mkdir -p "$TMP/state/images/storm" "$TMP/ipxe" "$TMP/tftp" "$TMP/www/images/storm" "$TMP/nginx"
head -c $((LOADER_KIB * 1024)) /dev/urandom >"$TMP/ipxe/ipxe.efi"
head -c $((KERNEL_MIB * 1048576)) /dev/urandom >"$TMP/state/images/storm/kernel"
head -c $((INITRD_MIB * 1048576)) /dev/urandom >"$TMP/state/images/storm/initrd"
head -c 4096 /dev/urandom >"$TMP/state/images/storm/rootfs.squashfs"
ln "$TMP/ipxe/ipxe.efi" "$TMP/tftp/ipxe.efi"
for f in kernel initrd rootfs.squashfs; do
	ln "$TMP/state/images/storm/$f" "$TMP/www/images/storm/$f"
done
chmod -R a+rX "$TMP"

cat >"$TMP/netbootd.yaml" <<EOF
interfaces: [$VS]
state_dir: $TMP/state
dhcp: {enabled: true, port: 67, pxe_port: 4011}
tftp: {port: 69, max_sessions: $((MAX + 16))}
http: {port: $NB_PORT, max_connections: $((MAX + 64))}
ipxe: {dir: $TMP/ipxe, efi64: ipxe.efi}
control: {socket: $TMP/control.sock}
default: {image: storm}
EOF

start_netbootd() {
	ip netns exec "$NS_S" "$NETBOOTD" -f -c "$TMP/netbootd.yaml" 2>>"$TMP/netbootd.log" &
	PIDS+=($!)
	for _ in $(seq 100); do
		ip netns exec "$NS_S" curl -sf -o /dev/null "http://$SRV:$NB_PORT/healthz" && return 0
		sleep 0.05
	done
	echo "bench-boot-storm: netbootd did not start" >&2
	cat "$TMP/netbootd.log" >&2
	exit 1
}

start_peers() {
	ip netns exec "$NS_S" dnsmasq --no-daemon --port=0 --conf-file=/dev/null --pid-file= \
		--interface="$VS" --bind-interfaces --dhcp-range="10.203.0.0,proxy,255.255.0.0" \
		--dhcp-userclass=set:ipxe,iPXE \
		--pxe-service=tag:!ipxe,X86-64_EFI,netboot,ipxe.efi \
		--pxe-service="tag:ipxe,X86-64_EFI,iPXE,http://$SRV:$NG_PORT/script.ipxe" \
		--enable-tftp --tftp-root="$TMP/tftp" --tftp-max=$((MAX + 16)) \
		--log-facility="$TMP/dnsmasq.log" 2>>"$TMP/dnsmasq.log" &
	PIDS+=($!)
	ip netns exec "$NS_S" nginx -c "$TMP/nginx/nginx.conf" -g 'daemon off;' &
	PIDS+=($!)
	for _ in $(seq 100); do
		ip netns exec "$NS_S" curl -sf -o /dev/null "http://$SRV:$NG_PORT/script.ipxe" && break
		sleep 0.05
	done
	sleep 0.3 # dnsmasq has no health check
	kill -0 "${PIDS[0]}" || { echo "bench-boot-storm: dnsmasq did not start" >&2; cat "$TMP/dnsmasq.log" >&2; exit 1; }
}

# nginx serves netbootd's script for one machine, pointed at nginx.
start_netbootd
ip netns exec "$NS_S" curl -sf "http://$SRV:$NB_PORT/ipxe/52-54-01-00-00-00?arch=x86_64" |
	sed "s|http://$SRV:$NB_PORT/|http://$SRV:$NG_PORT/|g" >"$TMP/www/script.ipxe"
grep -q "^kernel http://$SRV:$NG_PORT/images/storm/kernel" "$TMP/www/script.ipxe" ||
	{ echo "bench-boot-storm: unexpected script" >&2; cat "$TMP/www/script.ipxe" >&2; exit 1; }
stop_servers
nginx_bench_conf "$TMP/nginx" "$NG_PORT" "$TMP/www" "" "$SRV" $((MAX + 64))

# One storm against the running stack: its RESULT line (also on stderr).
storm() { # n
	local r
	r=$(ip netns exec "$NS_C" "$STORM" -i "$VC" -a "$FIRST" -n "$1" -l "$TMP/ipxe/ipxe.efi" \
		-k $((KERNEL_MIB * 1048576)) -r $((INITRD_MIB * 1048576)) -R "$RAMP_MS" -T 600 \
		2>>"$TMP/storm.err" | grep '^RESULT')
	echo "$r" >&2
	echo "$r"
}

field() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<<"$1"; }

printf '%s, %s clients, RAMP_MS=%s, loader %s KiB, kernel %s MiB, initrd %s MiB\n' \
	"$(date -u +%FT%TZ)" "$CLIENTS" "$RAMP_MS" "$LOADER_KIB" "$KERNEL_MIB" "$INITRD_MIB"
printf '| %-7s | %-13s | %-9s | %-6s | %-6s | %-6s | %-7s | %-5s | %-10s | %-5s | %-4s | %-5s |\n' \
	clients stack booted "p50 ms" "p99 ms" "max ms" "wall s" "cpu s" "retx/drops" ratio load steal
printf '|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|\n' --------- --------------- ----------- -------- \
	-------- -------- --------- ------- ------------ ------- ------ -------
row() { # clients stack result load ratio steal
	printf '| %-7s | %-13s | %-9s | %-6s | %-6s | %-6s | %-7s | %-5s | %-10s | %-5s | %-4s | %-5s |\n' \
		"$1" "$2" "$(field "$3" booted)/$1" "$(field "$3" dhcp_p50)" "$(field "$3" dhcp_p99)" \
		"$(field "$3" dhcp_max)" "$(field "$3" wall)" "$(field "$3" cpu)" \
		"$(field "$3" retransmits)/$(field "$3" drops)" "$5" "$4" "$6%"
}
STACKS=${STACKS:-netbootd peers}
for n in $CLIENTS; do
	for _ in $(seq "$RUNS"); do
		nb='' pe=''
		if [[ " $STACKS " == *" netbootd "* ]]; then
			start_netbootd
			d0=$(udp_drops) st=$(steal_sample)
			nb="$(storm "$n" netbootd) cpu=$(server_cpu) drops=$(($(udp_drops) - d0))"
			load_nb=$(cut -d' ' -f1 /proc/loadavg) st=$(steal_pct "$st")
			stop_servers
			row "$n" netbootd "$nb" "$load_nb" - "$st"
		fi
		if [[ " $STACKS " == *" peers "* ]]; then
			start_peers
			d0=$(udp_drops) st=$(steal_sample)
			pe="$(storm "$n" peers) cpu=$(server_cpu) drops=$(($(udp_drops) - d0))"
			load_pe=$(cut -d' ' -f1 /proc/loadavg) st=$(steal_pct "$st")
			stop_servers
			ratio=-
			[ -n "$nb" ] && ratio=$(awk -v a="$(field "$pe" wall)" -v b="$(field "$nb" wall)" 'BEGIN { printf "%.2f", a / b }')
			row "$n" dnsmasq+nginx "$pe" "$load_pe" "$ratio" "$st"
		fi
	done
done
if [ -s "$TMP/storm.err" ]; then
	echo "bench-boot-storm: machines that did not boot (first 20 lines):" >&2
	head -20 "$TMP/storm.err" >&2
fi
