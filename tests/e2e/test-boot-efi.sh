#!/bin/bash
# An EFI image (add-image --efi) boots a UEFI VM over UEFI HTTP Boot, served
# whole: a UKI built here with objcopy from Debian's systemd-boot EFI stub
# (systemd-boot-efi: linuxx64.efi.stub) holding the test kernel, initrd and a
# command line whose root=live: and config_url= are the image-independent
# URLs of a second, normal image (added with --dir) and of /config/<mac>.
# OVMF (PXE off, arch 16) -> ProxyDHCP offer with
# http://server:8090/images/uki/boot.efi -> the firmware fetches and starts
# the UKI -> the stub boots the kernel with its initrd -> the initrd fetches
# the squashfs and the cloud-config and prints the e2e success line.  No
# iPXE anywhere.
set -euo pipefail
E2E_NAME=boot-efi
# shellcheck source=tests/lib/boot.sh
. "$(dirname "$0")/../lib/boot.sh"
# shellcheck source=tests/lib/uki.sh
. "$(dirname "$0")/../lib/uki.sh"

STUB=${EFI_STUB:-/usr/lib/systemd/boot/efi/linuxx64.efi.stub}
[ -r "$STUB" ] || skip "no systemd-boot EFI stub at $STUB (apt-get install systemd-boot-efi)"
require_cmds objcopy objdump

boot_ctl_setup boot-efi
netbootd_bin=$netbootd
boot_prepare uefi-http state
# The Linux image "e2e" (mkimage.sh) goes in with --dir below, not by hand.
mv "$BOOT_IMAGE_DIR/images/e2e" "$BOOT_DIR/e2e"
boot_write_config "$BOOT_IMAGE_DIR" "$BOOT_DIR/netbootd.yaml"
boot_lan
boot_netbootd "$netbootd_bin" "$BOOT_DIR/netbootd.yaml"

url="http://$LAN_SERVER:8090"
verify "add-image e2e --dir" nctl add-image e2e --dir "$BOOT_DIR/e2e"

say "Building the UKI from $STUB"
printf 'console=ttyS0 root=live:%s/images/e2e/rootfs.squashfs config_url=%s/config/%s' \
	"$url" "$url" "$VM_MAC_HYPHEN" >"$BOOT_DIR/cmdline.txt"
uki_build "$STUB" "$BOOT_DIR/e2e/kernel" "$BOOT_DIR/e2e/initrd" "$BOOT_DIR/cmdline.txt" \
	"$BOOT_DIR/uki.efi"

verify "add-image uki --efi" nctl add-image uki --efi "$BOOT_DIR/uki.efi"
verify "the VM is assigned the EFI image" nctl assign "$VM_MAC" uki
verify "explain: the loader of http-x86_64 firmware is the UKI's URL" \
	bash -c "'$ctl' -s '$BOOT_CONTROL_SOCKET' --json explain '$VM_MAC' --arch http-x86_64 | jq -e --arg u '$url/images/uki/boot.efi' '.plan.loader == \$u' >/dev/null"

boot_vm_once uefi-http "${E2E_TIMEOUT:-330}"
rc=$BOOT_VM_RC

uki_size=$(stat -c %s "$BOOT_DIR/uki.efi")
verify "the VM booted from the network and reported success" [ "$rc" = 0 ]
verify "the squashfs marker is this run's ($MARKER_TOKEN)" serial_has "squashfs marker $MARKER_TOKEN ok"
verify "the cloud-config is this run's ($CONFIG_TOKEN)" serial_has "cloud-config $CONFIG_TOKEN ok"
verify "the squashfs is byte-identical (sha256)" serial_has "squashfs sha256 $SQUASHFS_SHA256"
verify "the kernel ran with the UKI's own command line" serial_has "cmdline: $(cat "$BOOT_DIR/cmdline.txt")"
verify "netbootd offered the UEFI HTTP Boot client the UKI's URL" \
	log_has "Offered \"$url/images/uki/boot.efi\" to UEFI HTTP Boot client $VM_MAC \(arch 16\)"
verify "netbootd served the whole UKI over HTTP" \
	log_has "HTTP GET \"/images/uki/boot.efi\" from [^ ]+: 200, $uki_size bytes"
verify "no iPXE: no loader, no script, no kernel or initrd fetched" \
	bash -c "! grep -qE 'HTTP GET \"/(boot/|ipxe/|images/e2e/(kernel|initrd))' '$LAN_NETBOOTD_LOG'"
verify "netbootd served the squashfs" log_has "HTTP GET \"/images/e2e/rootfs.squashfs\" from [^ ]+: 200"
verify "netbootd served the cloud-config" log_has "HTTP GET \"/config/$VM_MAC_HYPHEN\" from [^ ]+: 200"
verify "netbootd logged no error" bash -c "! grep -qE '^netbootd: (emerg|alert|crit|error): ' '$LAN_NETBOOTD_LOG'"
BOOT_TIMELINE=$(boot_timeline "$LAN_CAPTURE")
verify "the capture shows the offer of the UKI's URL on the wire" \
	grep -qE "netbootd  DHCP (OFFER|ACK) .*file=\"$url/images/uki/boot.efi\"" <<<"$BOOT_TIMELINE"
echo "----- timeline from the capture on br0 (seconds since qemu started) -----"
echo "$BOOT_TIMELINE"
echo "-----"
boot_verdict "EFI image over UEFI HTTP Boot" \
	"a UKI served whole booted the VM over UEFI HTTP Boot in $VM_BOOT_SECONDS s"
