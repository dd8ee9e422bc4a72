# shellcheck shell=bash
# Build ISO 9660 images whose El Torito catalog boots UEFI: an EFI system
# partition image (FAT, mkfs.fat + mcopy) holding EFI/BOOT/BOOT<ARCH>.EFI as
# the catalog's EFI entry (xorriso -e ... -no-emul-boot), the way Kairos and
# Debian ISOs boot on UEFI.

# efi_iso_build OUT EFI_APP [VOLID [BOOTNAME]]: an ISO whose EFI entry starts
# EFI_APP (BOOTNAME: BOOTX64.EFI unless given, BOOTAA64.EFI for arm64).
efi_iso_build() {
	local out=$1 app=$2 volid=${3:-NETBOOTD_ISO} name=${4:-BOOTX64.EFI}
	local work size_kb
	work=$(mktemp -d "${TMPDIR:-/tmp}/efi-iso.XXXXXX")
	mkdir -p "$work/root"
	# The FAT image: the application plus 1 MiB of room, in KiB.
	size_kb=$(($(stat -c %s "$app") / 1024 + 1024))
	mkfs.fat -C -n ESP "$work/root/efiboot.img" "$size_kb" >/dev/null || { rm -rf "$work"; return 1; }
	mmd -i "$work/root/efiboot.img" ::/EFI ::/EFI/BOOT &&
		mcopy -i "$work/root/efiboot.img" "$app" "::/EFI/BOOT/$name" || { rm -rf "$work"; return 1; }
	echo "netbootd test ISO" >"$work/root/README.TXT"
	xorriso -as mkisofs -quiet -R -V "$volid" -o "$out" \
		-e efiboot.img -no-emul-boot "$work/root" || { rm -rf "$work"; return 1; }
	rm -rf "$work"
}

# bios_iso_build OUT: an ISO whose only boot entry is for BIOS (a dummy boot sector).
bios_iso_build() {
	local out=$1 work
	work=$(mktemp -d "${TMPDIR:-/tmp}/bios-iso.XXXXXX")
	mkdir -p "$work/root"
	head -c 2048 /dev/zero >"$work/root/boot.bin"
	xorriso -as mkisofs -quiet -R -V BIOS_ONLY -o "$out" \
		-b boot.bin -no-emul-boot -boot-load-size 4 "$work/root" || { rm -rf "$work"; return 1; }
	rm -rf "$work"
}
