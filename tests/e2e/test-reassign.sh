#!/bin/bash
# Reassign a machine while netbootd runs: a BIOS VM network-boots image A
# ("e2e", the only image, as in test-boot-bios.sh); then, with the same
# netbootd process, netbootctl adds image B from a directory, stores the
# cloud-config cfgB and assigns the VM's MAC to B with cfgB.  The VM boots
# again and must come up on B (B's squashfs marker) with cfgB (its token),
# and `netbootctl machines` / `netbootctl watch` must show the VM's boot
# progress (offer, script, kernel, initrd, rootfs, config).
set -euo pipefail
E2E_NAME=reassign
. "$(dirname "$0")/../lib/boot.sh"

boot_ctl_setup reassign
say "netbootd: $netbootd, netbootctl: $ctl"

say "== boot 1: image A (e2e), the only image"
boot_first "the first boot (image A)"
say "$BOOT_SUMMARY"

say "== reassign with netbootctl, netbootd pid $PID keeps running"
boot_mkimage "$WORK/b" B
B_MARKER=$IMG_MARKER
B_CONFIG=$IMG_CONFIG
say "image B: squashfs marker $B_MARKER, cloud-config token $B_CONFIG"
verify "netbootctl status reaches the daemon" nctl status
verify "netbootctl add-image B --dir" nctl add-image B --dir "$WORK/b/images/B"
verify "netbootctl config set cfgB" nctl config set cfgB "$WORK/b/cloud-config.yaml"
verify "netbootctl assign $VM_MAC B --config cfgB" nctl assign "$VM_MAC" B --config cfgB
nctl --json images >"$WORK/images.json" || true
verify "images lists A (e2e) and B" sh -c "grep -q '\"e2e\"' '$WORK/images.json' && grep -q '\"B\"' '$WORK/images.json'"

nctl --json watch "$VM_MAC" >"$WORK/watch.out" 2>"$WORK/watch.err" &
WATCH_PID=$!
cleanup_push "kill_pid $WATCH_PID"
sleep 0.5

say "== boot 2: the same VM, now assigned to B"
boot_again 30
sleep 1
kill_pid "$WATCH_PID"
url="http://$LAN_SERVER:8090"
verify "the VM booted again and reported success" [ "$BOOT_AGAIN_RC" = 0 ]
verify "netbootd is the same process (pid $PID)" kill -0 "$PID"
verify "the VM booted image B (marker $B_MARKER)" s2 "squashfs marker $B_MARKER ok"
verify "the VM fetched cfgB (token $B_CONFIG)" s2 "cloud-config $B_CONFIG ok"
verify "its kernel command line points at image B" s2 "root=live:$url/images/B/rootfs.squashfs"
verify "netbootd served B's kernel" log_has "HTTP GET \"/images/B/kernel\" from [^ ]+: 200"
verify "progress logged: B's squashfs to $VM_MAC, complete" \
	log_has "Boot progress of $VM_MAC at [0-9.]+: rootfs \"B\", ([0-9]+) of \\1 bytes\$"
verify "progress logged: cfgB to $VM_MAC" log_has "Boot progress of $VM_MAC at [0-9.]+: config \"cfgB\""

nctl --json machines >"$WORK/machines.json" || true
nctl machines >"$WORK/machines.txt" || true
cat "$WORK/machines.txt"
verify "machines shows $VM_MAC on B with cfgB" /usr/bin/python3 -c '
import json, sys
ms = json.load(open(sys.argv[1]))
ms = ms.get("data", ms) if isinstance(ms, dict) else ms
m = [m for m in ms if m["mac"] == sys.argv[2]]
sys.exit(0 if m and m[0]["image"] == "B" and m[0]["config"] == "cfgB" and m[0]["last_event"] else 1)
' "$WORK/machines.json" "$VM_MAC"
say "watch saw: $(grep -o '"kind": *"[a-z]*"' "$WORK/watch.out" | sort | uniq -c | tr -s ' \n' ' ')"
for k in offer script kernel initrd rootfs config; do
	verify "watch $VM_MAC showed a \"$k\" event" grep -qE "\"kind\": *\"$k\"" "$WORK/watch.out"
done
for k in script kernel initrd rootfs; do
	verify "watch showed the \"$k\" event of image B" \
		grep -qE "\"kind\": *\"$k\".*\"detail\": *\"B\"|\"detail\": *\"B\".*\"kind\": *\"$k\"" "$WORK/watch.out"
done
verify "watch showed the config event of cfgB" grep -qE '"detail": *"cfgB"' "$WORK/watch.out"

boot_verdict reassign "a running netbootd reassigned the VM from image A to image B"
