#!/bin/bash
# netbootd demo: PXE-boot a virtual machine from netbootd on a throwaway LAN.
#
#   sudo tools/demo.sh [NETBOOTD-BINARY-OR-BUILD-DIR] [--uefi | --uefi-http]
#
# Builds a LAN out of network namespaces (a bridge, dnsmasq as the site's
# address-only DHCP server, netbootd on its own host), a test image (Debian
# kernel, busybox initrd, squashfs root filesystem, cloud-config), starts
# netbootd with its built-in defaults except the state directory, the
# cloud-config and a private control socket, and boots a qemu VM: SeaBIOS +
# the iPXE NIC ROM by default, OVMF's own PXE client with --uefi (ipxe.efi
# over TFTP first), OVMF UEFI HTTP Boot with --uefi-http.  The VM's serial console is shown live until
# the VM reports that it fetched its squashfs and cloud-config from netbootd;
# then everything is torn down and a summary printed.
set -euo pipefail
E2E_NAME=demo
E2E_SKIP_IS_ERROR=1
BOOT_LIVE=1
. "$(dirname "$0")/../tests/lib/boot.sh"

mode=bios
target=
for a in "$@"; do
	case $a in
	--uefi) mode=uefi ;;
	--uefi-http) mode=uefi-http ;;
	--bios) mode=bios ;;
	-h | --help)
		sed -n '2,14p' "$0" | sed 's/^# \{0,1\}//'
		exit 0
		;;
	-*) die "unknown option $a (try --help)" ;;
	*) target=$a ;;
	esac
done
netbootd=$(resolve_netbootd "${target:-$E2E_TOP/build/daemon/netbootd}")
case $mode in
bios) timeout=200 ;;
*) timeout=330 ;;
esac

say "Demo: $mode network boot of a qemu VM from $netbootd (at most $timeout s for the boot)"
rc=0
boot_run "$mode" "$netbootd" "$timeout" || rc=$?
echo
if [ "$rc" = 0 ]; then
	echo "netbootd demo: SUCCESS."
	echo "$BOOT_SUMMARY"
	exit 0
fi
echo "netbootd demo: FAILED."
echo "$BOOT_SUMMARY"
echo "See the checks above and netbootd's log; rerun with BOOT_KEEP=1 to keep the logs and the capture."
exit 1
