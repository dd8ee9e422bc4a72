#!/bin/bash
# Install once, then boot from disk (issue 12): a BIOS VM with an empty disk
# network-boots the installer variant of the test image (mkimage.sh with
# MKIMAGE_INSTALLER=1).  Its stand-in installer reads the served
# cloud-config, runs the before-install stage (netbootd's step reports
# "installing"), writes the marker system (tests/lib/disk-marker.S, with the
# cloud-config's disk token) to /dev/vda, runs after-install (reports
# "installed") and reboots.  Booted again, network first, the VM is sent to
# its disk by netbootd (an iPXE script that exits) and the disk's marker line
# shows on the serial console.  The report URL of that install, replayed,
# is refused (403).  Then `netbootctl reinstall` puts it back to "new", with
# a cloud-config carrying a new disk token: it network-boots and installs
# again, and its disk then boots with the new token.
#
# qemu runs with -no-reboot: the installer's reboot ends qemu, and the next
# boot is a new qemu with the same disk (VM_DISK in vm.sh: NIC bootindex 1,
# disk bootindex 2).
set -euo pipefail
E2E_NAME=lifecycle
. "$(dirname "$0")/../lib/boot.sh"

boot_ctl_setup lifecycle
say "netbootd: $netbootd, netbootctl: $ctl"
export MKIMAGE_INSTALLER=1
RE_INSTALLED='NETBOOTD-E2E: install finished'
RE_NETBOOT='NETBOOTD-E2E: booted over the network'
RE_DISK='NETBOOTD-E2E: booted from disk: marker'

# The lifecycle state of the VM in `netbootctl machines --json` ("none"
# when the VM is not listed, "?" when there is no lifecycle object).
lifecycle_state() {
	nctl --json machines 2>/dev/null | /usr/bin/python3 -c '
import json, sys
try:
    ms = json.load(sys.stdin)
except ValueError:
    print("?"); sys.exit(0)
ms = ms.get("data", ms) if isinstance(ms, dict) else ms
m = [m for m in ms if m.get("mac") == sys.argv[1]]
if not m:
    print("none")
else:
    print((m[0].get("lifecycle") or {}).get("state", "?"))
' "$VM_MAC"
}
state_is() { [ "$(lifecycle_state)" = "$1" ]; }

# The details of watch's events of kind $1, in order, one a line (whatever
# the layout of its JSON stream).
watch_details() {
	/usr/bin/python3 -c '
import json, sys
text, dec, i = open(sys.argv[1]).read(), json.JSONDecoder(), 0
def walk(o):
    if isinstance(o, dict):
        if o.get("kind") == sys.argv[2] and "detail" in o:
            print(o["detail"])
        else:
            for v in o.values():
                walk(v)
    elif isinstance(o, list):
        for v in o:
            walk(v)
while True:
    while i < len(text) and text[i].isspace():
        i += 1
    if i >= len(text):
        break
    try:
        o, i = dec.raw_decode(text, i)
    except ValueError:
        i = text.find("\n", i)
        if i < 0:
            break
        continue
    walk(o)
' "$WORK/watch.out" "$1"
}

# The first boot sector of the disk carries TOKEN at byte 256.
disk_has_token() {
	[ "$(dd if="$VM_DISK" bs=1 skip=256 count=64 2>/dev/null | tr -d '\000')" = "$1" ]
}

# A boot of the VM that boot_again runs, its console kept as serial-NAME.txt.
boot_vm() { # NAME SUCCESS-RE LINES
	VM_SUCCESS_RE=$2
	boot_again "$3"
	cp "$BOOT_DIR/serial2.txt" "$BOOT_DIR/serial-$1.txt"
}

# The stand-in installer's lines in a console copy FILE.
installer_checks() { # FILE DISK-TOKEN
	local f=$1 tok=$2
	# A line that starts so (not the cloud-config the initrd prints).
	in_f() { awk -v s="$1" 'index($0, s) == 1 { f = 1 } END { exit !f }' "$f"; }
	verify "the user's before-install steps ran first" \
		in_f "NETBOOTD-E2E: stage before-install step 0: e2e user step one"
	verify "the user's commands ran" in_f "NETBOOTD-E2E: user before-install step one ran"
	verify "netbootd's installing step came after the user's two" \
		in_f "NETBOOTD-E2E: stage before-install step 2: netbootd reports installing"
	verify "netbootd's installing report exited 0" \
		in_f "NETBOOTD-E2E: stage before-install step 2 command 0 exited 0"
	verify "netbootd's installed step in after-install" \
		in_f "NETBOOTD-E2E: stage after-install step 0: netbootd reports installed"
	verify "netbootd's installed report exited 0" \
		in_f "NETBOOTD-E2E: stage after-install step 0 command 0 exited 0"
	verify "the installer wrote marker $tok to /dev/vda and read it back" \
		in_f "NETBOOTD-E2E: wrote the marker system (token $tok) to /dev/vda and read it back"
	verify "the install finished with no failed command" \
		in_f "NETBOOTD-E2E: install finished: marker $tok on /dev/vda, 0 failed command(s)"
	verify "the installer rebooted the VM" in_f "NETBOOTD-E2E: rebooting"
	verify "the disk image now carries marker $tok" disk_has_token "$tok"
}

say "== the marker system alone: its disk, no NIC"
"$E2E_LIB/disk-marker.sh" "$WORK/alone.img" "alone-$$"
timeout 60 qemu-system-x86_64 -accel tcg -m 64 -nographic -monitor none -no-reboot -nic none \
	-drive "file=$WORK/alone.img,format=raw,if=virtio" -serial "file:$WORK/alone.log" \
	</dev/null >"$WORK/alone.out" 2>&1 || true
verify "the marker disk alone boots and prints its token" \
	grep -qaF "$RE_DISK alone-$$" "$WORK/alone.log"

say "== boot 1: an empty disk; the VM network-boots, installs, reports, reboots"
VM_DISK=$WORK/disk.img
truncate -s 8M "$VM_DISK"
VM_SUCCESS_RE=$RE_INSTALLED
boot_prepare bios state
DISK1=$DISK_TOKEN
say "disk token of the first install: $DISK1"
boot_write_config "$BOOT_IMAGE_DIR" "$BOOT_DIR/netbootd.yaml"
boot_lan
boot_netbootd "$netbootd" "$BOOT_DIR/netbootd.yaml"
PID=$LAN_NETBOOTD_PID
# watch replays the recent events first: nothing is lost if it subscribes late.
nctl --json watch "$VM_MAC" >"$WORK/watch.out" 2>"$WORK/watch.err" &
WATCH_PID=$!
cleanup_push "kill_pid $WATCH_PID"
verify "before its first boot the VM is new (or unknown)" \
	bash -c '[ "$1" = new ] || [ "$1" = none ]' _ "$(lifecycle_state)"
boot_vm_check bios "${E2E_TIMEOUT:-300}" || FAILS=$((FAILS + 1))
cp "$BOOT_DIR/serial.txt" "$BOOT_DIR/serial-1.txt"
installer_checks "$BOOT_DIR/serial-1.txt" "$DISK1"
REPORT1=$(grep -ao "http://[^ ;'\"]*/report/$VM_MAC_HYPHEN/[0-9a-f]*/installing" "$BOOT_DIR/serial-1.txt" | head -n1 || true)
say "boot 1's report URL: ${REPORT1:-none}"
verify "the served cloud-config had a report URL for $VM_MAC_HYPHEN" [ -n "$REPORT1" ]
verify "netbootd logged the installing report (204)" \
	log_has "HTTP POST \"/report/$VM_MAC_HYPHEN/[0-9a-f]{32}/installing\" from [^ ]+: 204"
verify "netbootd logged the installed report (204)" \
	log_has "HTTP POST \"/report/$VM_MAC_HYPHEN/[0-9a-f]{32}/installed\" from [^ ]+: 204"
verify "machines: $VM_MAC is installed" wait_until 20 state_is installed
say "state now: $(lifecycle_state)"

say "== boot 2: network first; netbootd sends the installed VM to its disk"
boot_vm 2 "$RE_DISK" 15
verify "boot 2 ended on the disk's marker line" [ "$BOOT_AGAIN_RC" = 0 ]
verify "the disk booted: marker $DISK1 on the console" s2 "$RE_DISK $DISK1"
verify "no initrd ran on boot 2" bash -c "! grep -qaF '$RE_NETBOOT' '$BOOT_DIR/serial2.txt'"
verify "iPXE printed netbootd's local-disk line" s2 "netbootd: $VM_MAC boots from its local disk"
verify "netbootd logged the local script" \
	log_has "Boot progress of $VM_MAC at [0-9.]+: script \"local\""
verify "machines: still installed after the disk boot" state_is installed

say "== replay boot 1's report URLs"
for st in installing installed; do
	code=$(lan_in_site curl -s -m 10 -o /dev/null -w '%{http_code}' -X POST "${REPORT1%/installing}/$st" || true)
	say "POST ${REPORT1%/installing}/$st: $code"
	verify "replaying boot 1's $st report is refused (403)" [ "$code" = 403 ]
done
verify "machines: the replays changed nothing (installed)" state_is installed

say "== reinstall: a new disk token, then netbootctl reinstall"
DISK2=disk-again-$$
sed "s/^netbootd_e2e_disk_token: .*/netbootd_e2e_disk_token: $DISK2/" \
	"$BOOT_IMAGE_DIR/cloud-config.yaml" >"$WORK/cfg2.yaml"
verify "netbootctl config set cfg2 (disk token $DISK2)" nctl config set cfg2 "$WORK/cfg2.yaml"
verify "netbootctl assign $VM_MAC e2e --config cfg2" nctl assign "$VM_MAC" e2e --config cfg2
verify "machines: assigning kept the state (installed)" state_is installed
verify "netbootctl reinstall $VM_MAC" nctl reinstall "$VM_MAC"
verify "machines: $VM_MAC is new after reinstall" wait_until 10 state_is new

say "== boot 3: the VM network-boots and installs again"
boot_vm 3 "$RE_INSTALLED" 25
verify "boot 3 network-booted and the install finished" [ "$BOOT_AGAIN_RC" = 0 ]
verify "boot 3 ran the initrd" s2 "$RE_NETBOOT"
installer_checks "$BOOT_DIR/serial-3.txt" "$DISK2"
REPORT3=$(grep -ao "http://[^ ;'\"]*/report/$VM_MAC_HYPHEN/[0-9a-f]*/installing" "$BOOT_DIR/serial-3.txt" | head -n1 || true)
say "boot 3's report URL: ${REPORT3:-none}"
verify "boot 3 got a new report token" bash -c '[ -n "$1" ] && [ "$1" != "$2" ]' _ "$REPORT3" "$REPORT1"
verify "machines: installed again" wait_until 20 state_is installed

say "== boot 4: the disk again, now with marker $DISK2"
boot_vm 4 "$RE_DISK" 10
verify "boot 4 booted the new marker system from the disk" s2 "$RE_DISK $DISK2"
verify "netbootd is the same process (pid $PID)" kill -0 "$PID"
lan_in_site curl -s -m 10 "http://$LAN_SERVER:8090/metrics" >"$BOOT_DIR/metrics" || true
metric() { awk -v k="$1" '$1 == k { print $2 }' "$BOOT_DIR/metrics"; }
say "metrics: $(grep -E '^netbootd_(boot|install)_duration_seconds_(sum|count)' "$BOOT_DIR/metrics" | tr '\n' ' ')"
verify "/metrics: two installs timed" [ "$(metric netbootd_install_duration_seconds_count)" = 2 ]
verify "/metrics: the network boots timed from their first DHCP" \
	[ "$(metric netbootd_boot_duration_seconds_count)" -ge 2 ]
verify "/metrics: one machine installed" [ "$(metric 'netbootd_lifecycle_machines{state="installed"}')" = 1 ]

kill_pid "$WATCH_PID"
say "watch's state events: $(watch_details state | tr '\n' ' ')"
verify "watch showed the states of both installs in order" bash -c '
	s=$(printf "%s " $1)
	case $s in *booting*installing*installed*booting*installing*installed*) exit 0 ;; esac
	exit 1' _ "$(watch_details state)"
verify "watch showed the local script of the disk boots" \
	[ "$(watch_details script | grep -cx local || true)" -gt 0 ]
nctl machines || true

boot_verdict lifecycle "a VM installed once, booted from its disk, was reinstalled and booted the new install"
