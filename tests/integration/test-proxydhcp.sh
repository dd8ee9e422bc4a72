#!/bin/bash
# ProxyDHCP against crafted PXE / iPXE / OVMF / UEFI HTTP Boot clients.
#
# Two namespaces joined by a veth pair (10.77.0.1 server, 10.77.0.2 client)
# plus a second pair (10.78.0.x) that the config does not serve.  netbootd
# runs in the server namespace on the default ports 67/4011; the client
# namespace sends crafted packets (tests/integration/proxydhcp-client.py,
# scapy for the 0.0.0.0 -> 255.255.255.255 DISCOVERs) and checks each reply
# field by field.  The traffic is captured with tcpdump and dissected with
# tshark: no malformed replies, and the dissected fields match.
set -euo pipefail

SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
NETBOOTD=${NETBOOTD:-$SRCDIR/build/daemon/netbootd}
PY=/usr/bin/python3
CLIENT=$SRCDIR/tests/integration/proxydhcp-client.py

# shellcheck source=../lib/check.sh
. "$SRCDIR/tests/lib/check.sh"

require_root
[ -x "$NETBOOTD" ] || skip "no netbootd binary at $NETBOOTD"
require_cmds ip tcpdump tshark
$PY -c 'import scapy.all' 2>/dev/null || skip "no scapy for $PY"

SRV=pdhcp-srv-$$
CLI=pdhcp-cli-$$
VS=pds$$
VC=pdc$$
VS2=pdt$$
VC2=pdu$$
new_tmpdir test-proxydhcp
TMP=$TMPDIR_NEW
DPID=
TPID=

echo "== setting up namespaces $SRV and $CLI"
new_veth_pair "$SRV" "$CLI" "$VS" "$VC" 10.77.0.1/24 10.77.0.2/24
add_veth "$SRV" "$CLI" "$VS2" "$VC2" 10.78.0.1/24 10.78.0.2/24
cleanup_push 'stop_child "$TPID"; stop_child "$DPID"'

mkdir -p "$TMP/state"
cat >"$TMP/netbootd.yaml" <<EOF
interfaces: [$VS]
state_dir: $TMP/state
dhcp:
  enabled: true
  port: 67
  pxe_port: 4011
tftp:
  enabled: false
http:
  enabled: false
  port: 8090
ipxe:
  bios: undionly.kpxe
  efi64: ipxe.efi
  efi32: null
  arm64: null
control:
  socket: $TMP/control.sock
EOF

echo "== starting netbootd"
ip netns exec "$SRV" "$NETBOOTD" -f -d -c "$TMP/netbootd.yaml" 2>"$TMP/netbootd.log" &
DPID=$!
for _ in $(seq 50); do
	grep -q "ready" "$TMP/netbootd.log" 2>/dev/null && break
	kill -0 "$DPID" 2>/dev/null || break
	sleep 0.1
done
if ! grep -q "ready" "$TMP/netbootd.log"; then
	echo "FAIL: netbootd did not start"
	cat "$TMP/netbootd.log"
	exit 1
fi
check "netbootd listens on UDP 67 and 4011" \
	sh -c "ip netns exec $SRV ss -ulnH | grep -q ':67 ' && ip netns exec $SRV ss -ulnH | grep -q ':4011 '"

echo "== capturing on $VC"
ip netns exec "$CLI" tcpdump -i "$VC" -U -n -w "$TMP/cap.pcap" udp 2>"$TMP/tcpdump.log" &
TPID=$!
for _ in $(seq 50); do
	grep -q "listening on" "$TMP/tcpdump.log" 2>/dev/null && break
	sleep 0.1
done

echo "== running the clients"
rc=0
ip netns exec "$CLI" "$PY" "$CLIENT" run "$VC" 10.77.0.1 10.77.0.2 "$VC2" >"$TMP/client.out" 2>&1 || rc=$?
cat "$TMP/client.out"
check "every client case behaved (exit $rc)" test "$rc" -eq 0

# A marker datagram after the last reply: once tcpdump (-U: one write per
# packet) has it in the file, it has every packet before it.
MARK=end-of-capture-$$
ip netns exec "$CLI" "$PY" -c "import socket, sys
socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(sys.argv[1].encode(), ('10.77.0.1', 9))" "$MARK"
marked() { grep -qa "$MARK" "$TMP/cap.pcap"; }
wait_until 30 marked || true
kill -INT "$TPID"
wait "$TPID" 2>/dev/null || true
TPID=

check "netbootd still running" kill -0 "$DPID"

echo "== dissecting the capture with tshark"
TS=(tshark -r "$TMP/cap.pcap" -d "udp.port==4011,dhcp")
"${TS[@]}" -V -Y "ip.src == 10.77.0.1" >"$TMP/replies.txt" 2>"$TMP/tshark.err"
check "tshark sees replies" grep -q "Dynamic Host Configuration Protocol" "$TMP/replies.txt"
check "no malformed reply" sh -c "! grep -q 'Malformed' '$TMP/replies.txt'"
check "no expert error in replies" sh -c "! grep -q 'Expert Info (Error' '$TMP/replies.txt'"

# xid, message type, boot file of every reply, as tshark dissects them.
"${TS[@]}" -Y "ip.src == 10.77.0.1 && dhcp" -T fields -E separator=' ' \
	-e dhcp.id -e dhcp.option.dhcp -e dhcp.file 2>/dev/null | sort >"$TMP/got.txt"
grep '^EXPECT ' "$TMP/client.out" | cut -d' ' -f2- | sort >"$TMP/want.txt"
echo "-- replies dissected by tshark (xid type file):"
cat "$TMP/got.txt"
check "tshark's xid/type/file of each reply match the expected ones" \
	diff -u "$TMP/want.txt" "$TMP/got.txt"

fields() {
	"${TS[@]}" -Y "ip.src == 10.77.0.1 && dhcp.id == $1" -T fields -E separator=' ' \
		-E occurrence=a -E aggregator=, "${@:2}" 2>/dev/null
}
# check_eq WHAT GOT WANT
check_eq() {
	check "$1 (got \"$2\")" test "$2" = "$3"
}
check_eq "BIOS PXE ROM offer: option 43 discovery control 0x08" \
	"$(fields 0x77000002 -e dhcp.option.vendor.pxeclient.discovery_control)" "0x08"
check_eq "BIOS PXE ROM offer: option 60 PXEClient, server id and siaddr 10.77.0.1, yiaddr 0" \
	"$(fields 0x77000002 -e dhcp.option.vendor_class_id -e dhcp.option.dhcp_server_id \
		-e dhcp.ip.server -e dhcp.ip.your)" "PXEClient 10.77.0.1 10.77.0.1 0.0.0.0"
check_eq "BIOS PXE ROM offer: broadcast flag kept" \
	"$(fields 0x77000002 -e dhcp.flags.bc)" "1"
check_eq "HTTP Boot offer: option 60 HTTPClient" \
	"$(fields 0x77000006 -e dhcp.option.vendor_class_id)" "HTTPClient"
# (tshark lists the zero padding after END as a type-0 option)
check_eq "OVMF ACK on 4011: options 53, 54, 60, 97, no 43" \
	"$(fields 0x77000014 -e dhcp.option.type | sed 's/,0$//')" "53,54,60,97"
check_eq "OVMF ACK on 4011: END present" "$(fields 0x77000014 -e dhcp.option.end)" "255"
check "no reply lacks END" sh -c "! grep -q 'End option missing' '$TMP/replies.txt'"
check_eq "iPXE offer: sent to 255.255.255.255:68" \
	"$(fields 0x77000001 -e ip.dst -e udp.dstport)" "255.255.255.255 68"
check_eq "relayed offer: sent to giaddr 10.77.0.2:67" \
	"$(fields 0x77000009 -e ip.dst -e udp.dstport -e dhcp.ip.relay)" "10.77.0.2 67 10.77.0.2"
check "no reply to the plain DHCP client, the arch-10 client, the other interface" \
	test -z "$(fields 0x77000007 -e dhcp.id)$(fields 0x77000008 -e dhcp.id)$(fields 0x7700000d -e dhcp.id)"

echo "== daemon log"
cat "$TMP/netbootd.log"
check "log: one line per answer" \
	test "$(grep -cE '(Offered|Acknowledged) "' "$TMP/netbootd.log")" -eq "$(wc -l <"$TMP/want.txt")"
check "log: the arch-10 client is told why" \
	grep -q 'Not answering PXE ROM client 52:54:00:77:00:08 .*no loader configured' "$TMP/netbootd.log"
check "log: the malformed packets are noted" grep -q 'Malformed DHCP packet' "$TMP/netbootd.log"
check "log: the foreign interface is refused" grep -q "from interface $VS2, not served" "$TMP/netbootd.log"

kill "$DPID"
wait "$DPID" 2>/dev/null || true
DPID=
check "netbootd stopped cleanly" grep -q "Stopped" "$TMP/netbootd.log"

check_summary
