#!/bin/bash
# An ISO kept whole (add-image --whole-iso) boots a UEFI VM over UEFI HTTP
# Boot: OVMF (PXE off, arch 16) gets http://server:8090/images/live/boot.iso
# from the ProxyDHCP offer, downloads it (Content-Type
# application/vnd.efi-iso) into a RAM disk and starts the EFI boot image of
# the ISO's El Torito catalog: a FAT image holding EFI/BOOT/BOOTX64.EFI, a UKI
# built here (tests/lib/uki.sh) from the test kernel and initrd with a
# command line naming the squashfs of a normal image (added with --dir) and
# /config/<mac>.  The initrd fetches both and prints the e2e success line.
# No iPXE anywhere.  Then the same machine with UEFI PXE (arch 7), which
# cannot boot an ISO from TFTP: it gets iPXE, whose script sanboots the
# same ISO over HTTP (range requests), and boots the same way.
set -euo pipefail
E2E_NAME=boot-whole-iso
# shellcheck source=tests/lib/boot.sh
. "$(dirname "$0")/../lib/boot.sh"
# shellcheck source=tests/lib/uki.sh
. "$(dirname "$0")/../lib/uki.sh"
# shellcheck source=tests/lib/efi-iso.sh
. "$(dirname "$0")/../lib/efi-iso.sh"

STUB=${EFI_STUB:-/usr/lib/systemd/boot/efi/linuxx64.efi.stub}
[ -r "$STUB" ] || skip "no systemd-boot EFI stub at $STUB (apt-get install systemd-boot-efi)"
require_cmds objcopy objdump xorriso mkfs.fat mcopy

boot_ctl_setup boot-whole-iso
netbootd_bin=$netbootd
boot_prepare uefi-http state
mv "$BOOT_IMAGE_DIR/images/e2e" "$BOOT_DIR/e2e"
boot_write_config "$BOOT_IMAGE_DIR" "$BOOT_DIR/netbootd.yaml"
boot_lan
boot_netbootd "$netbootd_bin" "$BOOT_DIR/netbootd.yaml"

url="http://$LAN_SERVER:8090"
verify "add-image e2e --dir (the squashfs the ISO's kernel fetches)" \
	nctl add-image e2e --dir "$BOOT_DIR/e2e"
printf 'console=ttyS0 root=live:%s/images/e2e/rootfs.squashfs config_url=%s/config/%s' \
	"$url" "$url" "$VM_MAC_HYPHEN" >"$BOOT_DIR/cmdline.txt"
uki_build "$STUB" "$BOOT_DIR/e2e/kernel" "$BOOT_DIR/e2e/initrd" "$BOOT_DIR/cmdline.txt" \
	"$BOOT_DIR/uki.efi"
efi_iso_build "$BOOT_DIR/live.iso" "$BOOT_DIR/uki.efi" NETBOOTD_LIVE ||
	die "could not build the ISO"
iso_size=$(stat -c %s "$BOOT_DIR/live.iso")
say "ISO: $iso_size bytes, El Torito: $(xorriso -indev "$BOOT_DIR/live.iso" -report_el_torito plain 2>/dev/null | grep 'boot img' | tr -s ' ')"

verify "add-image live --whole-iso" nctl add-image live --whole-iso "$BOOT_DIR/live.iso"
verify "the VM is assigned the ISO image" nctl assign "$VM_MAC" live
verify "explain: UEFI HTTP Boot firmware gets the ISO's URL" \
	bash -c "'$ctl' -s '$BOOT_CONTROL_SOCKET' --json explain '$VM_MAC' --arch http-x86_64 | jq -e --arg u '$url/images/live/boot.iso' '.plan.loader == \$u' >/dev/null"

boot_vm_once uefi-http "${E2E_TIMEOUT:-330}"
rc=$BOOT_VM_RC

verify "the VM booted the ISO and reported success" [ "$rc" = 0 ]
verify "the squashfs marker is this run's ($MARKER_TOKEN)" serial_has "squashfs marker $MARKER_TOKEN ok"
verify "the cloud-config is this run's ($CONFIG_TOKEN)" serial_has "cloud-config $CONFIG_TOKEN ok"
verify "the kernel ran with the command line of the UKI inside the ISO" \
	serial_has "cmdline: $(cat "$BOOT_DIR/cmdline.txt")"
verify "netbootd offered the ISO's URL to the UEFI HTTP Boot client" \
	log_has "Offered \"$url/images/live/boot.iso\" to UEFI HTTP Boot client $VM_MAC \(arch 16\)"
verify "netbootd served the whole ISO" \
	log_has "HTTP GET \"/images/live/boot.iso\" from [^ ]+: 200, $iso_size bytes"
verify "no iPXE, no kernel or initrd fetched apart from the ISO" \
	bash -c "! grep -qE 'HTTP GET \"/(boot/|ipxe/|images/e2e/(kernel|initrd))' '$LAN_NETBOOTD_LOG'"
verify "netbootd served the squashfs and the cloud-config" \
	bash -c "grep -qE 'HTTP GET \"/images/e2e/rootfs.squashfs\" from [^ ]+: 200' '$LAN_NETBOOTD_LOG' && grep -qE 'HTTP GET \"/config/$VM_MAC_HYPHEN\" from [^ ]+: 200' '$LAN_NETBOOTD_LOG'"
verify "netbootd logged no error" bash -c "! grep -qE '^netbootd: (emerg|alert|crit|error): ' '$LAN_NETBOOTD_LOG'"
BOOT_TIMELINE=$(boot_timeline "$LAN_CAPTURE")
verify "the capture shows the offer of the ISO's URL on the wire" \
	grep -qE "netbootd  DHCP (OFFER|ACK) .*file=\"$url/images/live/boot.iso\"" <<<"$BOOT_TIMELINE"
echo "----- timeline from the capture on br0 (seconds since qemu started) -----"
echo "$BOOT_TIMELINE"
echo "-----"
T1=$VM_BOOT_SECONDS

say "== boot 2: UEFI PXE, iPXE sanboots the same ISO"
cp "$BOOT_DIR/serial.txt" "$BOOT_DIR/serial-http.txt"
boot_vm_once uefi "${E2E_TIMEOUT:-330}" "$BOOT_DIR/serial2.log"
rc=$BOOT_VM_RC
verify "boot 2: the VM booted the ISO through iPXE's sanboot and reported success" [ "$rc" = 0 ]
verify "boot 2: this run's squashfs and cloud-config" \
	bash -c "grep -qaF 'squashfs marker $MARKER_TOKEN ok' '$BOOT_DIR/serial.txt' && grep -qaF 'cloud-config $CONFIG_TOKEN ok' '$BOOT_DIR/serial.txt'"
verify "boot 2: the PXE ROM was offered iPXE" \
	log_has "Offered \"ipxe.efi\" to PXE ROM client $VM_MAC \(arch 7\)"
verify "boot 2: iPXE's script said it sanboots the ISO" serial_has "booting ISO image live on"
verify "boot 2: iPXE read the ISO with range requests" \
	log_has "HTTP GET \"/images/live/boot.iso\" from [^ ]+: 206"
boot_verdict "ISO kept whole over UEFI HTTP Boot and iPXE sanboot" \
	"an ISO served whole booted the VM over UEFI HTTP Boot (RAM disk) in $T1 s, and over UEFI PXE through iPXE's sanboot in $VM_BOOT_SECONDS s"
