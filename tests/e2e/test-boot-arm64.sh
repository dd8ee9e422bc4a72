#!/bin/bash
# An ARM64 VM (qemu-system-aarch64 -M virt, AAVMF, TCG) network-boots from
# netbootd as a ProxyDHCP (the site dnsmasq gives addresses only) through
# netbootd's GRUB with AAVMF's PXE client (option 93 = 11): without
# ipxe.arm64 it gets loaders/arm64-efi/netbootd-grub.efi over TFTP, patched
# with netbootd's address; GRUB reads /grub/grub.cfg and the machine's
# /grub/netbootd/efi-arm64/<mac> over HTTP, then Debian's arm64 kernel and
# the arm64 test initrd, which fetches the squashfs and the cloud-config;
# then the same machine boots again at once.
set -euo pipefail
E2E_NAME=boot-arm64
. "$(dirname "$0")/../lib/boot.sh"
. "$E2E_LIB/grub-boot.sh"

grub_setup arm64 boot-arm64
grub_start
grub_boot arm64 "${E2E_TIMEOUT:-300}"
grub_checks arm64
T1=$VM_BOOT_SECONDS
# At once again, with the same address: GRUB's TCP source ports and sequence
# numbers repeat from boot to boot, and must not meet the last boot's sockets.
say "== boot 2: the same machine again, right away"
grub_boot arm64 "${E2E_TIMEOUT:-300}"
verify "the second boot, right after the first, booted too" [ "$GRUB_RC" = 0 ]
verify "its GRUB read its configuration on the first try" \
	bash -c "! grep -qaF 'cannot read http' '$GRUB_SERIAL'"
boot_verdict "ARM64 PXE through GRUB" "ARM64 PXE through GRUB in $T1 s, again right away in $VM_BOOT_SECONDS s"
