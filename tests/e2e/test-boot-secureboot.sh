#!/bin/bash
# UEFI Secure Boot through netbootd as a ProxyDHCP: OVMF with Secure Boot
# enforced and Microsoft's keys (OVMF_CODE_4M.secboot.fd + OVMF_VARS_4M.ms.fd,
# q35 smm=on) PXE-boots a machine whose profile's loader is shim-grub: the
# offer names loaders/x86_64-efi/shimx64.efi (Debian's shim, signed by
# Microsoft), shim fetches Debian's signed GRUB from netbootd, and that GRUB
# reads /grub/grub.cfg over TFTP from the site DHCP server's next-server,
# which the site dnsmasq sets to netbootd (the documented requirement:
# dhcp-boot=,,<netbootd>, no boot file); then the machine's own
# configuration, Debian's signed kernel and the test initrd over TFTP.  The
# initrd confirms from the kernel log that Secure Boot is on and fetches the
# squashfs and the cloud-config.  Then the profile boots a copy of the image
# whose kernel has its signature removed: GRUB refuses it ("bad shim
# signature"), netbootd's configuration says so and the VM does not boot.
# Last, the same machine without Secure Boot (OVMF's plain firmware) and the
# loader grub: netbootd's own x86-64 GRUB over PXE, then HTTP.
set -euo pipefail
E2E_NAME=boot-secureboot
. "$(dirname "$0")/../lib/boot.sh"
. "$E2E_LIB/grub-boot.sh"

grub_setup uefi-sb boot-secureboot
LAN_DNSMASQ_EXTRA=(--dhcp-boot=",,$LAN_SERVER")
grub_start
cat >"$WORK/fleet.yaml" <<EOF
profiles:
  secure: { loader: shim-grub }
groups:
  everyone: { profile: secure }
EOF
verify "netbootctl apply -f: every machine gets the loader shim-grub" nctl apply -f "$WORK/fleet.yaml"
nctl --json explain "$VM_MAC" --arch efi-x86_64 >"$WORK/explain1.json" || true
nctl explain "$VM_MAC" --arch efi-x86_64 || true
explain_says() { # FILE PYTHON-EXPRESSION-ON-d
	/usr/bin/python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2"
}
verify "explain: the loader is shim-grub's shim" explain_says "$WORK/explain1.json" \
	'd["plan"]["loader"] == "loaders/x86_64-efi/shimx64.efi" and d["plan"]["loader_kind"] == "shim-grub"'
verify "explain: the site DHCP's next-server must be netbootd" explain_says "$WORK/explain1.json" \
	'"next-server" in d["plan"]["site_dhcp"] and "'"$LAN_SERVER"'" in d["plan"]["site_dhcp"]'
verify "explain: the kernel is signed by Debian's key" explain_says "$WORK/explain1.json" \
	'"Debian Secure Boot" in d["plan"]["kernel_signature"]'

say "== boot 1: the signed kernel"
grub_boot uefi-sb "${E2E_TIMEOUT:-300}"
T_SIGNED=$VM_BOOT_SECONDS
grub_checks uefi-sb

say "== boot 2: the same image with an unsigned kernel"
mkdir -p "$WORK/unsigned"
cp "$WORK/img/images/e2e/kernel.unsigned" "$WORK/unsigned/kernel"
cp "$WORK/img/images/e2e/initrd" "$WORK/img/images/e2e/rootfs.squashfs" "$WORK/unsigned/"
verify "netbootctl add-image e2e-unsigned --dir" nctl add-image e2e-unsigned --dir "$WORK/unsigned"
verify "netbootctl profile set secure --image e2e-unsigned" \
	nctl profile set secure --loader shim-grub --image e2e-unsigned
nctl --json explain "$VM_MAC" --arch efi-x86_64 >"$WORK/explain2.json" || true
verify "explain: the kernel is unsigned and shim refuses it" explain_says "$WORK/explain2.json" \
	'd["plan"]["kernel_signature"].startswith("unsigned")'
GRUB_N=$((GRUB_N + 1))
vm_start uefi-sb "$WORK/serial-$GRUB_N.log"
refused() {
	vm_serial_text | grep -qaF "could not boot image e2e-unsigned"
}
wait_until "${E2E_TIMEOUT:-300}" refused || true
GRUB_SERIAL=$WORK/serial-$GRUB_N.txt
vm_serial_text >"$GRUB_SERIAL"
vm_stop
echo "----- VM serial console (last 25 lines) -----"
grep -av '^\s*$' "$GRUB_SERIAL" | tail -n 25
echo "-----"
verify "GRUB refused the unsigned kernel (bad shim signature)" gs "bad shim signature"
verify "netbootd's configuration said the boot failed" gs "could not boot image e2e-unsigned"
verify "the unsigned kernel did not boot" bash -c "! grep -qaF 'NETBOOTD-E2E: initrd started' '$GRUB_SERIAL'"

say "== boot 3: the loader grub on x86-64 UEFI without Secure Boot (netbootd's GRUB over PXE)"
verify "netbootctl profile set secure --loader grub --image e2e" \
	nctl profile set secure --loader grub --image e2e
grub_boot uefi "${E2E_TIMEOUT:-300}"
T_GRUB=$VM_BOOT_SECONDS
verify "OVMF's PXE client got netbootd's GRUB (arch 7)" \
	log_has "(Offered|Acknowledged) \"loaders/x86_64-efi/netbootd-grub.efi\" to .* \(arch 7\)"
verify "the VM booted through netbootd's x86-64 GRUB" [ "$GRUB_RC" = 0 ]
verify "GRUB read the machine's configuration over HTTP (efi-x86_64)" \
	log_has "HTTP GET \"/grub/netbootd/efi-x86_64/$VM_MAC\" from [^ ]+: 200"
verify "the kernel reports Secure Boot off" gs "NETBOOTD-E2E: secureboot: off"
boot_verdict "Secure Boot through shim and GRUB" \
	"Secure Boot through shim and GRUB in $T_SIGNED s; the unsigned kernel was refused; x86-64 netbootd GRUB in $T_GRUB s"
