#!/bin/bash
# A BIOS VM network-boots from netbootd: SeaBIOS + the iPXE NIC ROM of
# ipxe-qemu -> ProxyDHCP offer with the HTTP script URL (the ROM is iPXE) ->
# iPXE script -> kernel + initrd over HTTP -> the initrd fetches the squashfs
# and the cloud-config from the URLs on its command line and reports them.
#
# The TFTP chainload of undionly.kpxe is not exercised here: every BIOS PXE
# ROM available in Debian (ipxe-qemu) is iPXE, which netbootd answers with
# the script URL directly.  test-boot-uefi.sh covers the TFTP chainload
# (OVMF's own PXE client -> ipxe.efi over TFTP).
set -euo pipefail
E2E_NAME=boot-bios
. "$(dirname "$0")/../lib/boot.sh"

boot_main bios 200 "BIOS network boot"
