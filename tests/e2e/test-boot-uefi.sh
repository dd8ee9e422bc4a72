#!/bin/bash
# A UEFI VM network-boots from netbootd through the TFTP chainload: OVMF's
# own PXE client (virtio-net-pci with an empty romfile, so not iPXE; arch 7)
# -> ProxyDHCP offer naming ipxe.efi -> TFTP ipxe.efi -> iPXE EFI does DHCP
# again with user class iPXE -> ProxyDHCP offer with the HTTP script URL ->
# kernel + initrd (initrd=initrd on the cmdline) -> the initrd fetches the
# squashfs and the cloud-config and reports them.  IPv6 PXE is switched off
# in OVMF (fw_cfg) to skip its timeouts.
set -euo pipefail
E2E_NAME=boot-uefi
. "$(dirname "$0")/../lib/boot.sh"

boot_main uefi 330 "UEFI PXE network boot"
