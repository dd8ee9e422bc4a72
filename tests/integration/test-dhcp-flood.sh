#!/bin/bash
# The ProxyDHCP flood guard (daemon/proxydhcp.c, issue 14): ProxyDHCP runs at
# the highest priority, so a socket that never drains would starve TFTP and
# HTTP; one still full after 4 wake-ups in a row is served at the bulk
# priority until it drains.  Deterministically: netbootd is stopped
# (SIGSTOP), its PXE port 4011 is filled with datagrams (about 1 MiB of
# receive buffer) and a TFTP read request waits on port 69; once continued,
# the backlog keeps the socket full for dozens of wake-ups.  Then:
#  - the warning "ProxyDHCP port 4011 stays full (a flood?)" is logged, once;
#  - the TFTP transfer queued behind the flood completes, and is right;
#  - once the socket drained the priority is restored (debug log), and an
#    iPXE DISCOVER gets its offer as before.
set -euo pipefail

SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
NETBOOTD=${NETBOOTD:-$SRCDIR/build/daemon/netbootd}
PY=/usr/bin/python3
CLIENT=$SRCDIR/tests/integration/proxydhcp-client.py

# shellcheck source=../lib/check.sh
. "$SRCDIR/tests/lib/check.sh"

require_root
[ -x "$NETBOOTD" ] || skip "no netbootd binary at $NETBOOTD"
require_cmds ip curl
$PY -c 'import scapy.all' 2>/dev/null || skip "no scapy for $PY"

SRV=dflood-srv-$$
CLI=dflood-cli-$$
VS=dfs$$
VC=dfc$$
new_tmpdir test-dhcp-flood
TMP=$TMPDIR_NEW
DPID=
new_veth_pair "$SRV" "$CLI" "$VS" "$VC" 10.79.0.1/24 10.79.0.2/24
cleanup_push 'kill -CONT "$DPID" 2>/dev/null || true; stop_child "$DPID"'

mkdir -p "$TMP/state" "$TMP/tftp" "$TMP/ipxe"
head -c 1048576 /dev/urandom >"$TMP/tftp/loader.bin"
: >"$TMP/ipxe/ipxe.efi"
cat >"$TMP/netbootd.yaml" <<EOF
interfaces: [$VS]
state_dir: $TMP/state
dhcp: {enabled: true}
tftp: {root: $TMP/tftp}
http: {port: 8090}
ipxe: {dir: $TMP/ipxe, efi64: ipxe.efi}
control: {socket: $TMP/control.sock}
EOF
ip netns exec "$SRV" "$NETBOOTD" -f -d -c "$TMP/netbootd.yaml" 2>"$TMP/netbootd.log" &
DPID=$!
started() { grep -q "ready" "$TMP/netbootd.log" 2>/dev/null; }
wait_until 30 started || { cat "$TMP/netbootd.log"; echo "FAIL: netbootd did not start"; exit 1; }

offer() {
	ip netns exec "$CLI" "$PY" "$CLIENT" probe "$VC" 10.79.0.1 10.79.0.2 52:54:00:f1:00:d0 yes \
		>"$TMP/probe.out" 2>&1
}
check "before: an iPXE DISCOVER gets its offer" offer

kill -STOP "$DPID"
# 20,000 datagrams of 548 bytes (a DHCP packet's size, not one: dropped after
# parsing) at the PXE port: what fits in the stopped daemon's buffer stays.
ip netns exec "$CLI" "$PY" -c '
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
junk = bytes(548)
for _ in range(20000):
    try:
        s.sendto(junk, ("10.79.0.1", 4011))
    except BlockingIOError:
        pass
'
QUEUED=$(ip netns exec "$SRV" ss -unlH "sport = :4011" | awk '{ print $2 }' | head -1)
check "the stopped daemon's port 4011 holds a backlog ($QUEUED bytes)" [ "${QUEUED:-0}" -gt 100000 ]
ip netns exec "$CLI" curl -sS --max-time 60 --tftp-blksize 1468 -o "$TMP/loader.got" \
	"tftp://10.79.0.1/loader.bin" 2>"$TMP/curl.err" &
CURL=$!
rrq_queued() { [ "$(ip netns exec "$SRV" ss -unlH "sport = :69" | awk '{ print $2 }' | head -1)" -gt 0 ]; }
check "the TFTP read request waits on port 69 of the stopped daemon" wait_until 30 rrq_queued
kill -CONT "$DPID"

flooded() { grep -q "ProxyDHCP port 4011 stays full (a flood?): serving it in turn with TFTP and HTTP until it drains" "$TMP/netbootd.log"; }
check "the flood is recognised and said" wait_until 30 flooded
RC=0
wait "$CURL" || RC=$?
check "the TFTP transfer queued behind the flood completes (rc $RC)" [ "$RC" -eq 0 ]
check "... with the right bytes" cmp -s "$TMP/tftp/loader.bin" "$TMP/loader.got"
restored() { grep -q "ProxyDHCP restored priority" "$TMP/netbootd.log"; }
check "once drained, ProxyDHCP is back at its own priority" wait_until 30 restored
check "after: an iPXE DISCOVER gets its offer" offer
check "the warning was logged once" [ "$(grep -c 'stays full (a flood?)' "$TMP/netbootd.log")" -eq 1 ]
check "netbootd is up" kill -0 "$DPID"

check_summary tail -20 "$TMP/netbootd.log"
