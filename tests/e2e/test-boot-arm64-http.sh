#!/bin/bash
# An ARM64 VM (qemu-system-aarch64 -M virt, AAVMF, TCG) network-boots from
# netbootd as a ProxyDHCP with AAVMF's UEFI HTTP Boot (option 93 = 19): the
# offer's URL is http://<netbootd>:8090/loaders/arm64-efi/netbootd-grub.efi,
# a GRUB with HTTP; it reads /grub/grub.cfg and the machine's
# /grub/netbootd/http-arm64/<mac>, then Debian's arm64 kernel and the arm64
# test initrd over HTTP, which fetches the squashfs and the cloud-config.
set -euo pipefail
E2E_NAME=boot-arm64-http
. "$(dirname "$0")/../lib/boot.sh"
. "$E2E_LIB/grub-boot.sh"

grub_setup arm64-http boot-arm64-http
grub_start
grub_boot arm64-http "${E2E_TIMEOUT:-300}"
grub_checks arm64-http
boot_verdict "ARM64 UEFI HTTP Boot through GRUB" "ARM64 HTTP Boot through GRUB in $VM_BOOT_SECONDS s"
