#!/bin/bash
# An ARM64 VM (qemu-system-aarch64 -M virt, AAVMF, TCG) network-boots from
# netbootd as a ProxyDHCP (the site dnsmasq gives addresses only) through
# netbootd's GRUB with AAVMF's PXE client (option 93 = 11): without
# ipxe.arm64 it gets loaders/arm64-efi/netbootd-grub.efi over TFTP, patched
# with netbootd's address; GRUB reads /grub/grub.cfg and the machine's
# /grub/netbootd/efi-arm64/<mac> over HTTP, then Debian's arm64 kernel and
# the arm64 test initrd, which fetches the squashfs and the cloud-config.
set -euo pipefail
E2E_NAME=boot-arm64
. "$(dirname "$0")/../lib/boot.sh"
. "$E2E_LIB/grub-boot.sh"

grub_setup arm64 boot-arm64
grub_start
grub_boot arm64 "${E2E_TIMEOUT:-300}"
grub_checks arm64
boot_verdict "ARM64 PXE through GRUB" "ARM64 PXE through GRUB in $VM_BOOT_SECONDS s"
