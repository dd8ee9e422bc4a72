#!/bin/bash
# One fleet file, two machines with different labels, two images: a BIOS VM
# network-boots image A ("e2e", as in test-boot-bios.sh); then netbootctl
# adds image B and applies a fleet file whose groups send label role=a to a
# profile on A and role=b to a profile on B (with its own cloud-config, given
# by file).  The VM boots with MAC 1 (role=a) and must come up on A, then
# with MAC 2 (role=b) on B with B's cloud-config; `netbootctl explain` of
# each MAC must name the group, the profile and the squashfs URL the VM
# really fetched.
set -euo pipefail
E2E_NAME=fleet
. "$(dirname "$0")/../lib/boot.sh"

boot_ctl_setup fleet
say "netbootd: $netbootd, netbootctl: $ctl"
MAC1=$VM_MAC
MAC2=$(printf '52:54:00:e3:%02x:%02x' $(($$ / 256 % 256)) $(($$ % 256)))

say "== boot 0: image A (e2e), the only image"
boot_first "the first boot (image A)"

say "== a fleet: role=a boots A, role=b boots B"
boot_mkimage "$WORK/b" B
verify "netbootctl add-image B --dir" nctl add-image B --dir "$WORK/b/images/B"
cp "$WORK/b/cloud-config.yaml" "$WORK/cfg-b.yaml"
cat >"$WORK/fleet.yaml" <<EOF
configs:
  cfg-b: { file: cfg-b.yaml }
profiles:
  on-a: { image: e2e }
  on-b: { image: B, config: cfg-b }
groups:
  role-a: { match: { labels: { role: a } }, profile: on-a }
  role-b: { match: { labels: { role: b } }, profile: on-b }
machines:
  "$MAC1": { labels: { role: a } }
  "$MAC2": { labels: { role: b } }
EOF
verify "netbootctl apply -f fleet.yaml" nctl apply -f "$WORK/fleet.yaml"
nctl --json explain "$MAC1" --arch bios >"$WORK/explain1.json" || true

url="http://$LAN_SERVER:8090"
explain_says() { # FILE PYTHON-EXPRESSION-ON-d
	/usr/bin/python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2"
}

say "== boot 1: MAC $MAC1 (role=a)"
boot_again 10
verify "MAC 1 booted and reported success" [ "$BOOT_AGAIN_RC" = 0 ]
verify "MAC 1 came up on image A" s2 "root=live:$url/images/e2e/rootfs.squashfs"
verify "explain MAC 1: group role-a, profile on-a" \
	explain_says "$WORK/explain1.json" 'd["plan"]["group"] == "role-a" and d["plan"]["profile"] == "on-a"'
verify "explain MAC 1: the squashfs URL the VM fetched" \
	explain_says "$WORK/explain1.json" 'd["plan"]["squashfs"].endswith("/images/e2e/rootfs.squashfs")'
verify "explain MAC 1: role-b lost on its label" \
	explain_says "$WORK/explain1.json" '[g for g in d["groups"] if g["name"] == "role-b"][0]["selector"] == "labels.role"'

say "== boot 2: MAC $MAC2 (role=b)"
VM_MAC=$MAC2
VM_MAC_HYPHEN=${VM_MAC//:/-}
boot_again 10
verify "MAC 2 booted and reported success" [ "$BOOT_AGAIN_RC" = 0 ]
# Explain what ProxyDHCP saw of it: the arch and the UUID its script URL carried.
UUID2=$(grep -ao "ipxe/${MAC2//:/-}?arch=bios&uuid=[0-9a-f-]*" "$LAN_NETBOOTD_LOG" | tail -1 | sed 's/.*uuid=//')
say "MAC 2's UUID as ProxyDHCP saw it: ${UUID2:-none}"
nctl --json explain "$MAC2" --arch bios ${UUID2:+--uuid "$UUID2"} >"$WORK/explain2.json" || true
nctl explain "$MAC2" --arch bios ${UUID2:+--uuid "$UUID2"} || true
verify "MAC 2 came up on image B (marker $IMG_MARKER)" s2 "squashfs marker $IMG_MARKER ok"
verify "MAC 2 fetched cfg-b (token $IMG_CONFIG)" s2 "cloud-config $IMG_CONFIG ok"
verify "its kernel command line points at image B" s2 "root=live:$url/images/B/rootfs.squashfs"
verify "explain MAC 2: group role-b, profile on-b, cloud-config cfg-b" \
	explain_says "$WORK/explain2.json" \
	'd["plan"]["group"] == "role-b" and d["plan"]["profile"] == "on-b" and d["plan"]["cloud_config"] == "cfg-b"'
verify "explain MAC 2: the squashfs URL the VM fetched" \
	explain_says "$WORK/explain2.json" 'd["plan"]["squashfs"].endswith("/images/B/rootfs.squashfs")'
CMDLINE2=$(/usr/bin/python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["plan"]["cmdline"])' \
	"$WORK/explain2.json" 2>/dev/null || true)
say "explain's command line: $CMDLINE2"
say "the VM's kernel: $(grep -ao 'Command line: .*' "$BOOT_DIR/serial2.txt" | head -1)"
verify "explain MAC 2: the very command line the VM's kernel printed" \
	s2 "Command line: $CMDLINE2 initrd=initrd"
verify "the script URL carried the arch ProxyDHCP saw" \
	log_has "Offered \"$url/ipxe/${MAC2//:/-}[?]arch=bios"

boot_verdict fleet "one fleet file sent two machines with different labels to different images"
