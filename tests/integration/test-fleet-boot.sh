#!/bin/bash
# A fleet serving real clients: PXE-shaped DISCOVERs for several
# architectures (crafted with scapy: PXE ROMs, iPXE, UEFI HTTP Boot) get the
# loader or the script URL of their group, the script URL carries the arch
# ProxyDHCP saw, and fetching it with curl gives the group's image, command
# line and (templated) cloud-config; `local` and `ignore` profiles; explain
# agrees with what was served.
set -euo pipefail

NETBOOTD=${NETBOOTD:-$(dirname "$0")/../../build/daemon/netbootd}
CTL=${NETBOOTCTL:-$(dirname "$NETBOOTD")/../ctl/netbootctl}
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
SRV=nbfsrv$$
CLI=nbfcli$$
VS=nbfs$$
VC=nbfc$$
SADDR=10.81.0.1
CADDR=10.81.0.2
BASE=http://$SADDR:8090
M_B=52:54:00:00:0b:01    # label role=b: group by-label (image B)
M_LAB=52:54:00:00:0a:01  # no entry, in the lab's MAC range: group lab (image A)
M_ARM=aa:bb:cc:00:00:01  # no entry, outside the lab: by arch, else the default group
M_DISK=52:54:00:00:0d:01 # profile disk: action local
M_OFF=52:54:00:00:0f:01  # profile off: action ignore
M_IF=aa:bb:cc:00:00:0e   # group via-vs: the interface the request came in on (image B)
SADDR2=10.81.0.11        # added to the server's link while netbootd runs
# shellcheck source=../lib/netbootd.sh
. "$HERE/../lib/netbootd.sh"
require_root
require_cmds curl ip jq "$PY"
"$PY" -c 'import scapy.all' 2>/dev/null || skip "python3-scapy missing"
[ -x "$NETBOOTD" ] || { echo "FAIL: no netbootd at $NETBOOTD"; exit 1; }

new_tmpdir test-fleet-boot
TMP=$TMPDIR_NEW
T=$TMP
jqq() { jq -e "$@" >/dev/null || { echo "    got: $(head -c 600 "$T/out")"; false; }; }
cli() { ip netns exec "$CLI" "$@"; }
hy() { echo "$1" | tr : -; }
ask() { cli "$PY" "$HERE/proxydhcp-client.py" ask "$VC" "$SADDR" "$CADDR" "$@"; }
# offered MAC KIND ARCH WANT: the DISCOVER gets WANT as its boot file ("none": no answer)
offered() {
	local got
	got=$(ask "$1" "$2" "$3")
	[ "$got" = "$4" ] || { echo "    offered \"$got\", expected \"$4\""; return 1; }
}
script_has() { # URL-PATH FIXED-STRING
	cli curl -sf "$BASE$1" >"$TMP/script" && grep -qF -- "$2" "$TMP/script" ||
		{ echo "    script of $1:"; sed 's/^/      /' "$TMP/script"; return 1; }
}
script_has2() { # URL FIXED-STRING (from the server's namespace)
	ip netns exec "$SRV" curl -sf "$1" >"$TMP/script" && grep -qF -- "$2" "$TMP/script" ||
		{ echo "    script of $1:"; sed 's/^/      /' "$TMP/script"; return 1; }
}
status_of() { cli curl -s -o /dev/null -w '%{http_code}' "$BASE$1"; }

echo "== namespaces $SRV and $CLI"
new_veth_pair "$SRV" "$CLI" "$VS" "$VC" $SADDR/24 $CADDR/24

STATE=$TMP/state
for i in A B arm; do
	mkdir -p "$STATE/images/$i"
	head -c 4096 /dev/urandom >"$STATE/images/$i/kernel"
	head -c 4096 /dev/urandom >"$STATE/images/$i/initrd"
	fake_squashfs 4096 >"$STATE/images/$i/rootfs.squashfs"
done
cat >"$TMP/netbootd.yaml" <<EOF
state_dir: $STATE
interfaces: [$VS]
tftp: {enabled: false}
control: {socket: $TMP/control.sock}
ipxe: {dir: $TMP/ipxe, bios: undionly.kpxe, efi64: ipxe.efi, arm64: ipxe-arm64.efi}
EOF
# Loader files must exist to be offered (netbootd checks them at start).
mkdir -p "$TMP/ipxe"
for f in undionly.kpxe ipxe.efi ipxe-arm64.efi; do head -c 1024 /dev/urandom >"$TMP/ipxe/$f"; done
cat >"$TMP/fleet.yaml" <<EOF
configs:
  node: { inline: "#cloud-config\nhostname: \"{{labels.role}}-{{group}}-{{profile}}\"\n" }
profiles:
  p-a:   { image: A, config: node }
  p-b:   { image: B, config: node, cmdline_append: "fleet=b" }
  p-arm: { image: arm, cmdline_append: "console=ttyAMA0" }
  disk:  { action: local }
  off:   { action: ignore }
groups:
  by-label: { match: { labels: { role: b } }, profile: p-b, priority: 5 }
  arm:      { match: { arch: efi-arm64 }, profile: p-arm }
  http-arm: { match: { arch: http-arm64 }, profile: p-arm }
  lab:      { match: { mac: "52:54:00:*" }, profile: p-a, priority: 1 }
  default:  { profile: p-a }
machines:
  "$M_B": { labels: { role: b } }
  "$M_DISK": { profile: disk }
  "$M_OFF": { profile: off }
EOF
netbootd_start "$TMP/log" "$SRV" -f -c "$TMP/netbootd.yaml"
netbootd_wait_ready "$TMP/log" || { echo "FAIL: netbootd did not start"; tail "$TMP/log"; exit 1; }
CTL_ARGS=(-s "$TMP/control.sock")
run 0 apply -f "$TMP/fleet.yaml"
check "the fleet applied" out_has "group by-label"

echo "== ProxyDHCP: loaders and script URLs by group and architecture"
check "role=b iPXE (bios): its script URL with the arch" \
	offered "$M_B" ipxe 0 "$BASE/ipxe/$(hy $M_B)?arch=bios&uuid=10111213-1415-1617-1819-1a1b1c1d1e1f"
check "lab PXE ROM (bios): undionly.kpxe" offered "$M_LAB" pxe 0 undionly.kpxe
check "lab PXE ROM (efi-x86_64): ipxe.efi" offered "$M_LAB" pxe 7 ipxe.efi
check "arm PXE ROM (efi-arm64): the arm64 loader" offered "$M_ARM" pxe 11 ipxe-arm64.efi
check "arm UEFI HTTP Boot (http-arm64): the arm64 loader URL" \
	offered "$M_ARM" http 19 "$BASE/boot/ipxe-arm64.efi"
check "arm iPXE (efi-arm64): the script URL says efi-arm64" \
	offered "$M_ARM" ipxe 11 "$BASE/ipxe/$(hy $M_ARM)?arch=efi-arm64&uuid=10111213-1415-1617-1819-1a1b1c1d1e1f"
check "local profile, PXE ROM without iPXE: no answer (it boots its disk)" offered "$M_DISK" pxe 0 none
check "local profile, iPXE: answered (its script exits)" \
	offered "$M_DISK" ipxe 0 "$BASE/ipxe/$(hy $M_DISK)?arch=bios&uuid=10111213-1415-1617-1819-1a1b1c1d1e1f"
check "ignore profile: no answer, even to iPXE" offered "$M_OFF" ipxe 0 none

echo "== HTTP: the scripts the URLs give"
check "role=b: image B with its command line" script_has "/ipxe/$(hy $M_B)?arch=bios" "/images/B/kernel "
check "... cmdline_append reached the kernel line" script_has "/ipxe/$(hy $M_B)?arch=bios" " fleet=b "
check "... config_url carries the arch" script_has "/ipxe/$(hy $M_B)?arch=bios" "config_url=$BASE/config/$(hy $M_B)?arch=bios "
check "... and the self URL too" script_has "/ipxe/$(hy $M_B)?arch=bios" "chain --replace $BASE/ipxe/$(hy $M_B)?arch=bios "
check "lab machine: image A" script_has "/ipxe/$(hy $M_LAB)?arch=efi-x86_64" "/images/A/kernel "
check "arm by its URL's arch: image arm" script_has "/ipxe/$(hy $M_ARM)?arch=efi-arm64" "/images/arm/kernel "
check "arm by iPXE's own variables: image arm" \
	script_has "/ipxe/$(hy $M_ARM)?platform=efi&buildarch=arm64" "/images/arm/kernel "
check "the same MAC without an arch: the default group (image A)" \
	script_has "/ipxe/$(hy $M_ARM)" "/images/A/kernel "
check "local: a script that exits" script_has "/ipxe/$(hy $M_DISK)" "exit"
check "... and boots nothing" sh -c "! grep -q '^kernel' '$TMP/script'"
check "ignore: 404" [ "$(status_of "/ipxe/$(hy $M_OFF)")" = 404 ]
check "cloud-config templated with the machine's label, group and profile" \
	script_has "/config/$(hy $M_B)" 'hostname: "b-by-label-p-b"'
check "... and with nothing for a machine without labels" \
	script_has "/config/$(hy $M_LAB)" 'hostname: "-lab-p-a"'

echo "== explain agrees"
run 0 --json explain "$M_ARM" --arch efi-arm64
check "explain: the arm group, image arm" jqq '.plan.group == "arm" and .plan.image == "arm"' "$T/out"
check "explain: its loader for efi-arm64 firmware" jqq '.plan.loader == "ipxe-arm64.efi"' "$T/out"
check "explain: lab lost on its MAC" jqq '[.groups[] | select(.name == "lab")][0].selector == "mac"' "$T/out"
run 0 --json explain "$M_B" --arch bios
check "explain: role=b won by priority over lab" \
	jqq '.plan.group == "by-label" and ([.groups[] | select(.name == "lab")][0].verdict == "matched, lower priority")' "$T/out"
run 0 --json explain "$M_DISK" --arch bios
check "explain: local, and the firmware gets no answer" \
	jqq '.plan.action == "local" and .plan.firmware == "its profile boots from the local disk"' "$T/out"
run 0 explain "$M_B" --arch bios
check "explain prints the groups and the plan" out_has "by-label .* won"
check "... with the expanded command line" out_has "cmdline .*fleet=b"

echo "== the interface table follows the kernel (netbootd keeps it, rtnetlink drops it)"
run 0 group set via-vs --profile p-b --interface "$VS" --mac "$M_IF"
check "by the interface: image B" script_has "/ipxe/$(hy $M_IF)" "/images/B/kernel "
ip -n "$SRV" addr add $SADDR2/24 dev "$VS"
check "an address added meanwhile is known at once: its interface, image B" \
	script_has2 "http://$SADDR2:8090/ipxe/$(hy $M_IF)" "/images/B/kernel "
check "... and the URLs name it" script_has2 "http://$SADDR2:8090/ipxe/$(hy $M_IF)" "http://$SADDR2:8090/images/B/kernel "
ip -n "$SRV" addr del $SADDR2/24 dev "$VS"
ip -n "$SRV" addr add $SADDR2/32 dev lo
run 0 group set via-vs --profile p-b --interface lo --mac "$M_IF"
check "the address moved to another link: that link's group" \
	script_has2 "http://$SADDR2:8090/ipxe/$(hy $M_IF)" "/images/B/kernel "
check "... and not the old link's any more" script_has "/ipxe/$(hy $M_IF)" "/images/A/kernel "

check_summary tail -20 "$TMP/log"
