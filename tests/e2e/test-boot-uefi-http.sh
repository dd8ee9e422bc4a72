#!/bin/bash
# A UEFI VM network-boots from netbootd with UEFI HTTP Boot: OVMF with PXE
# switched off (fw_cfg IPv4PXESupport/IPv6PXESupport=n), arch 16 ->
# ProxyDHCP offer with http://server:8090/boot/ipxe.efi -> ipxe.efi over HTTP
# -> iPXE EFI does DHCP again with user class iPXE -> the HTTP script URL ->
# kernel + initrd -> the initrd fetches the squashfs and the cloud-config.
set -euo pipefail
E2E_NAME=boot-uefi-http
. "$(dirname "$0")/../lib/boot.sh"

boot_main uefi-http 330 "UEFI HTTP Boot network boot"
