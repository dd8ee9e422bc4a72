# shellcheck shell=bash
# uki_build STUB KERNEL INITRD CMDLINE_FILE OUT: a unified kernel image built
# with objcopy from Debian's systemd-boot EFI stub (systemd-boot-efi:
# linuxx64.efi.stub), holding KERNEL, INITRD and the command line of
# CMDLINE_FILE.  The stub's own sections end below 0x20000; the kernel gets
# 16 MiB.  Needs die and say (tests/lib/common.sh).
uki_build() {
	local stub=$1 kernel=$2 initrd=$3 cmdline=$4 out=$5 end=0 size vma ksize
	while read -r size vma; do
		[ $((0x$vma + 0x$size)) -gt "$end" ] && end=$((0x$vma + 0x$size))
	done < <(objdump -h "$stub" | awk '$1 ~ /^[0-9]+$/ { print $3, $4 }')
	[ "$end" -lt $((0x20000)) ] || die "the stub's sections end at $end, above 0x20000"
	ksize=$(stat -c %s "$kernel")
	[ "$ksize" -lt $((0x1000000)) ] || die "the kernel ($ksize bytes) does not fit below .initrd"
	printf 'ID=netbootd-e2e\nPRETTY_NAME="netbootd e2e UKI"\n' >"$out.os-release"
	objcopy \
		--add-section .osrel="$out.os-release" --change-section-vma .osrel=0x20000 \
		--add-section .cmdline="$cmdline" --change-section-vma .cmdline=0x30000 \
		--add-section .linux="$kernel" --change-section-vma .linux=0x2000000 \
		--add-section .initrd="$initrd" --change-section-vma .initrd=0x3000000 \
		"$stub" "$out" || die "objcopy could not build the UKI"
	rm -f "$out.os-release"
	say "UKI: $(stat -c %s "$out") bytes, cmdline: $(cat "$cmdline")"
}
