#!/bin/bash
# A BIOS VM network-boots an image that netbootd imported from a Kairos ISO.
# Boot 1 is test-boot-bios.sh's (image "e2e", the LAN, netbootd).  Then a
# second test image (tests/lib/mkimage.sh: the Debian test kernel, the e2e
# initrd, a squashfs with a marker token) is laid out as a Kairos ISO
# (/boot/kernel, /boot/initrd, /rootfs.squashfs, volume COS_LIVE) with
# xorriso, imported with `netbootctl add-image iso --iso FILE` (netbootctl
# passes the open ISO; netbootd extracts it with lib/iso-extract), and the
# VM's MAC is assigned to it.  The VM boots again and must find this run's
# marker in the squashfs that came out of the ISO.
set -euo pipefail
E2E_NAME=boot-iso
. "$(dirname "$0")/../lib/boot.sh"

boot_ctl_setup boot-iso
require_cmds xorriso
say "netbootd: $netbootd, netbootctl: $ctl"

say "== boot 1: image e2e (the LAN and netbootd as in test-boot-bios.sh)"
boot_first "the first boot"

say "== the Kairos-layout ISO"
boot_mkimage "$WORK/c" C
C_MARKER=$IMG_MARKER
mkdir -p "$WORK/iso/boot"
cp "$WORK/c/images/C/kernel" "$WORK/iso/boot/kernel"
cp "$WORK/c/images/C/initrd" "$WORK/iso/boot/initrd"
cp "$WORK/c/images/C/rootfs.squashfs" "$WORK/iso/rootfs.squashfs"
xorriso -as mkisofs -R -J -V COS_LIVE -o "$WORK/kairos.iso" "$WORK/iso" 2>"$WORK/xorriso.log" ||
	die "xorriso failed: $(tail -3 "$WORK/xorriso.log")"
say "ISO: $(stat -c %s "$WORK/kairos.iso") bytes"

say "== add-image iso --iso kairos.iso"
verify "netbootctl add-image iso --iso kairos.iso" nctl add-image iso --iso "$WORK/kairos.iso"
for f in kernel initrd rootfs.squashfs; do
	verify "the image's $f is the ISO's, byte for byte" \
		cmp -s "$BOOT_DIR/state/images/iso/$f" "$WORK/c/images/C/$f"
done
verify "netbootctl assign $VM_MAC iso" nctl assign "$VM_MAC" iso

say "== boot 2: the same VM, assigned to the ISO image"
boot_again 25
url="http://$LAN_SERVER:8090"
verify "the VM booted the ISO image and reported success" [ "$BOOT_AGAIN_RC" = 0 ]
verify "its kernel command line points at image iso" s2 "root=live:$url/images/iso/rootfs.squashfs"
verify "the VM found this run's marker ($C_MARKER) in the squashfs from the ISO" \
	s2 "squashfs marker $C_MARKER ok"
verify "netbootd served the image's kernel" log_has "HTTP GET \"/images/iso/kernel\" from [^ ]+: 200"

boot_verdict "ISO boot" "a VM booted an image imported from a Kairos ISO"
