#!/bin/bash
# 'interfaces:' is one rule for the three services: ProxyDHCP, TFTP and HTTP
# answer on the listed interfaces only, and TFTP and HTTP on loopback too
# (health checks, /metrics, local tools), ProxyDHCP never there.  A server
# namespace with two veth links: A (listed) and B (not listed), each to its
# own client namespace; real clients (curl over HTTP and TFTP, tftp-hpa,
# scapy DISCOVERs) on A, B and 127.0.0.1.
set -euo pipefail

NETBOOTD=${NETBOOTD:-$(dirname "$0")/../../build/daemon/netbootd}
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
SRV=nbisrv$$
CA=nbica$$
CB=nbicb$$
VSA=nbisa$$
VCA=nbica$$
VSB=nbisb$$
VCB=nbicb$$
SA=10.84.1.1
AA=10.84.1.2
SB=10.84.2.1
AB=10.84.2.2
MAC=52:54:00:00:1f:01
# shellcheck source=../lib/netbootd.sh
. "$HERE/../lib/netbootd.sh"
require_root
require_cmds curl ip tftp cmp "$PY"
"$PY" -c 'import scapy.all' 2>/dev/null || skip "python3-scapy missing"
[ -x "$NETBOOTD" ] || { echo "FAIL: no netbootd at $NETBOOTD"; exit 1; }

new_tmpdir test-interfaces
T=$TMPDIR_NEW
new_veth_pair "$SRV" "$CA" "$VSA" "$VCA" $SA/24 $AA/24
new_netns "$CB"
add_veth "$SRV" "$CB" "$VSB" "$VCB" $SB/24 $AB/24

mkdir -p "$T/state" "$T/tftp"
head -c 20000 /dev/urandom >"$T/tftp/file.bin"
cat >"$T/netbootd.yaml" <<EOF
state_dir: $T/state
interfaces: [$VSA]
tftp: {root: $T/tftp}
control: {socket: $T/control.sock}
ipxe: {bios: undionly.kpxe, efi64: ipxe.efi}
EOF
netbootd_start "$T/log" "$SRV" -f -c "$T/netbootd.yaml"
netbootd_wait_ready "$T/log" || { echo "FAIL: netbootd did not start"; tail "$T/log"; exit 1; }

http_code() { # NS URL
	ip netns exec "$1" curl -s -o /dev/null --max-time 3 -w '%{http_code}' "$2" || true
}
tftp_get() { # NS SERVER OUT
	ip netns exec "$1" curl -sf --max-time 4 -o "$3" "tftp://$2/file.bin"
}
offer() { # NS IFACE SERVER CLIENT
	ip netns exec "$1" "$PY" "$HERE/proxydhcp-client.py" ask "$2" "$3" "$4" "$MAC" ipxe 7
}

echo "== HTTP"
check "two HTTP sockets: the listed interface and loopback" grep -q "HTTP server listening on port 8090 (2 sockets," "$T/log"
check "on the listed interface: /healthz answers" [ "$(http_code "$CA" "http://$SA:8090/healthz")" = 200 ]
check "on loopback: /healthz answers" [ "$(http_code "$SRV" "http://127.0.0.1:8090/healthz")" = 200 ]
check "on loopback: /metrics answers" [ "$(http_code "$SRV" "http://127.0.0.1:8090/metrics")" = 200 ]
check "on the unlisted interface: no HTTP" [ "$(http_code "$CB" "http://$SB:8090/healthz")" = 000 ]

echo "== TFTP"
check "on the listed interface: the file" tftp_get "$CA" "$SA" "$T/a.bin"
check "... equal" cmp "$T/tftp/file.bin" "$T/a.bin"
check "on loopback (curl): the file" tftp_get "$SRV" 127.0.0.1 "$T/lo.bin"
check "... equal" cmp "$T/tftp/file.bin" "$T/lo.bin"
check "on loopback (tftp-hpa): the file" \
	ip netns exec "$SRV" tftp -m binary 127.0.0.1 -c get file.bin "$T/lo2.bin"
check "... equal" cmp "$T/tftp/file.bin" "$T/lo2.bin"
check "on the unlisted interface: no TFTP answer" bash -c "! ip netns exec $CB curl -sf --max-time 4 -o /dev/null tftp://$SB/file.bin"

echo "== ProxyDHCP"
check "on the listed interface: an offer" [ "$(offer "$CA" "$VCA" "$SA" "$AA")" != none ]
check "on the unlisted interface: no offer" [ "$(offer "$CB" "$VCB" "$SB" "$AB")" = none ]

echo "== interfaces: [lo] itself: no second loopback socket"
netbootd_stop
sed -i "s/^interfaces: .*/interfaces: [$VSA, lo]/" "$T/netbootd.yaml"
netbootd_start "$T/log2" "$SRV" -f -c "$T/netbootd.yaml"
netbootd_wait_ready "$T/log2" || { echo "FAIL: netbootd did not start with lo listed"; tail "$T/log2"; exit 1; }
check "lo listed: /healthz on loopback answers" [ "$(http_code "$SRV" "http://127.0.0.1:8090/healthz")" = 200 ]
check "... and the listed interface still" [ "$(http_code "$CA" "http://$SA:8090/healthz")" = 200 ]
check "... two HTTP sockets, not three" grep -q "HTTP server listening on port 8090 (2 sockets," "$T/log2"

check_summary tail -20 "$T/log"
