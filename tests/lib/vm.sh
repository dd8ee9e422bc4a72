# The test virtual machine (source from bash, after common.sh and lan.sh).
# shellcheck disable=SC2034  # variables used by the scripts that source it
#
#   vm_start MODE SERIALLOG [IMAGEDIR CMDLINE]
#       start qemu (TCG) on the LAN's tap in the site namespace, in the
#       background (VM_PID); MODE is
#         bios       SeaBIOS + the iPXE NIC ROM of ipxe-qemu, -boot n
#         uefi       OVMF with its own PXE client (romfile= empty): the TFTP
#                    chainload of ipxe.efi
#         uefi-http  OVMF UEFI HTTP Boot (IPv4/IPv6 PXE disabled)
#         uefi-sb    OVMF with Secure Boot enforced: the secboot firmware
#                    (SMM, q35 smm=on) and a private copy of the VARS with
#                    Microsoft's keys enrolled (OVMF_VARS_4M.ms.fd); its own
#                    PXE client, so shimx64.efi is the boot file
#         arm64      qemu-system-aarch64 -M virt -cpu cortex-a57 with AAVMF
#                    and its own PXE client (IPv6 disabled); the kernel
#                    console is ttyAMA0.  VM_ARM64_SB=1 uses the VARS with
#                    Microsoft's keys (AAVMF_VARS.ms.fd): Secure Boot on
#         arm64-http AAVMF UEFI HTTP Boot (IPv4/IPv6 PXE disabled)
#         direct     qemu -kernel/-initrd/-append from IMAGEDIR with CMDLINE:
#                    no firmware network boot, checks the image and the LAN
#       With VM_DISK=FILE (a raw image) the VM also has that disk
#       (virtio-blk, /dev/vda in the guest); in bios mode it then boots
#       the NIC first and the disk second (bootindex 1 and 2, instead of
#       -boot n), so that iPXE's "exit" goes on to the disk.  qemu runs
#       with -no-reboot: a guest that reboots ends qemu, and the next boot
#       is a new vm_start with the same disk.
#   vm_wait TIMEOUT   wait for the initrd's verdict; returns 0 on the success
#                     line, 1 on a FAILED line, 2 if qemu exited first, 3 on
#                     timeout.  Sets VM_BOOT_SECONDS.
#   vm_stop           kill qemu (by PID) if it still runs

VM_PID=
VM_DISK=${VM_DISK:-}
VM_SERIAL=
VM_MODE=
VM_T0=
VM_BOOT_SECONDS=
VM_MAC=$(printf '52:54:00:e2:%02x:%02x' $(($$ / 256 % 256)) $(($$ % 256)))
VM_MAC_HYPHEN=${VM_MAC//:/-}
VM_OVMF_CODE=/usr/share/OVMF/OVMF_CODE_4M.fd
VM_OVMF_VARS=/usr/share/OVMF/OVMF_VARS_4M.fd
VM_OVMF_SB_CODE=/usr/share/OVMF/OVMF_CODE_4M.secboot.fd
VM_OVMF_SB_VARS=/usr/share/OVMF/OVMF_VARS_4M.ms.fd
VM_AAVMF_CODE=/usr/share/AAVMF/AAVMF_CODE.fd
VM_AAVMF_VARS=/usr/share/AAVMF/AAVMF_VARS.fd
VM_AAVMF_SB_VARS=/usr/share/AAVMF/AAVMF_VARS.ms.fd
VM_ARM64_SB=${VM_ARM64_SB:-0}
VM_SUCCESS_RE='NETBOOTD-E2E: booted over the network'
VM_FAILED_RE='NETBOOTD-E2E: FAILED'

vm_stop() {
	kill_pid "$VM_PID"
	VM_PID=
}

vm_start() {
	local mode=$1 serial=$2 imgdir=${3:-} cmdline=${4:-}
	local qemu="qemu-system-x86_64" mem=384 vars
	local args=(-accel tcg -smp 1 -nographic -monitor none -no-reboot
		-serial "file:$serial"
		-netdev "tap,id=n0,ifname=$LAN_TAP,script=no,downscript=no")
	VM_MODE=$mode
	VM_SERIAL=$serial
	case $mode in
	bios)
		# The default ROM of virtio-net-pci is ipxe-qemu's pxe-virtio.rom.
		if [ -n "$VM_DISK" ]; then
			args+=(-device "virtio-net-pci,netdev=n0,mac=$VM_MAC,bootindex=1"
				-drive "file=$VM_DISK,format=raw,if=none,id=disk0"
				-device "virtio-blk-pci,drive=disk0,bootindex=2")
		else
			args+=(-device "virtio-net-pci,netdev=n0,mac=$VM_MAC" -boot n)
		fi
		;;
	uefi | uefi-http)
		vars="$(dirname "$serial")/OVMF_VARS.$mode.fd"
		cp "$VM_OVMF_VARS" "$vars"
		args+=(-machine q35
			-drive "if=pflash,format=raw,unit=0,readonly=on,file=$VM_OVMF_CODE"
			-drive "if=pflash,format=raw,unit=1,file=$vars"
			-device "virtio-net-pci,netdev=n0,mac=$VM_MAC,romfile=,bootindex=1"
			-fw_cfg name=opt/org.tianocore/IPv6PXESupport,string=n)
		if [ "$mode" = uefi-http ]; then
			args+=(-fw_cfg name=opt/org.tianocore/IPv4PXESupport,string=n)
		fi
		;;
	uefi-sb)
		vars="$(dirname "$serial")/OVMF_VARS.$mode.fd"
		cp "$VM_OVMF_SB_VARS" "$vars"
		args+=(-machine q35,smm=on
			-global driver=cfi.pflash01,property=secure,value=on
			-drive "if=pflash,format=raw,unit=0,readonly=on,file=$VM_OVMF_SB_CODE"
			-drive "if=pflash,format=raw,unit=1,file=$vars"
			-device "virtio-net-pci,netdev=n0,mac=$VM_MAC,romfile=,bootindex=1"
			-fw_cfg name=opt/org.tianocore/IPv6PXESupport,string=n)
		;;
	arm64 | arm64-http)
		qemu="qemu-system-aarch64"
		# The arm64 kernel is a 32 MiB uncompressed Image.
		mem=1024
		vars="$(dirname "$serial")/AAVMF_VARS.$mode.fd"
		if [ "$VM_ARM64_SB" = 1 ]; then
			cp "$VM_AAVMF_SB_VARS" "$vars"
		else
			cp "$VM_AAVMF_VARS" "$vars"
		fi
		args+=(-M virt -cpu cortex-a57
			-drive "if=pflash,format=raw,unit=0,readonly=on,file=$VM_AAVMF_CODE"
			-drive "if=pflash,format=raw,unit=1,file=$vars"
			-device "virtio-net-pci,netdev=n0,mac=$VM_MAC,romfile=,bootindex=1"
			-fw_cfg name=opt/org.tianocore/IPv6PXESupport,string=n)
		if [ "$mode" = arm64-http ]; then
			args+=(-fw_cfg name=opt/org.tianocore/IPv4PXESupport,string=n)
		fi
		;;
	direct)
		args+=(-device "virtio-net-pci,netdev=n0,mac=$VM_MAC,romfile="
			-kernel "$imgdir/kernel" -initrd "$imgdir/initrd" -append "$cmdline")
		if [ -n "$VM_DISK" ]; then
			args+=(-drive "file=$VM_DISK,format=raw,if=virtio")
		fi
		;;
	*)
		die "vm_start: unknown mode $mode"
		;;
	esac
	args+=(-m "$mem")
	: >"$serial"
	printf '%q ' "$qemu" "${args[@]}" >"$(dirname "$serial")/qemu.cmdline"
	VM_T0=$(date +%s.%N)
	"${LAN_SITE_EXEC[@]}" "$qemu" "${args[@]}" </dev/null >"$(dirname "$serial")/qemu.out" 2>&1 &
	VM_PID=$!
	cleanup_push vm_stop
	say "VM started ($mode, MAC $VM_MAC, qemu pid $VM_PID, serial console in $serial)"
}

vm_wait() {
	local timeout=$1 now rc i
	local deadline
	deadline=$(awk -v t="$VM_T0" -v d="$timeout" 'BEGIN { printf "%d", t + d }')
	while :; do
		if grep -qa "$VM_SUCCESS_RE" "$VM_SERIAL"; then
			rc=0
			break
		fi
		if grep -qa "$VM_FAILED_RE" "$VM_SERIAL"; then
			rc=1
			break
		fi
		if ! kill -0 "$VM_PID" 2>/dev/null; then
			# One last look: the line may have landed just before exit.
			grep -qa "$VM_SUCCESS_RE" "$VM_SERIAL" && { rc=0; break; }
			rc=2
			break
		fi
		now=$(date +%s)
		if [ "$now" -ge "$deadline" ]; then
			rc=3
			break
		fi
		sleep 0.5
	done
	VM_BOOT_SECONDS=$(seconds_between "$VM_T0" "$(date +%s.%N)")
	# The initrd powers off right after its verdict; give qemu a moment.
	if [ "$rc" -le 1 ]; then
		for i in $(seq 1 40); do
			kill -0 "$VM_PID" 2>/dev/null || break
			sleep 0.25
		done
	fi
	vm_stop
	return "$rc"
}

# The serial console without the firmware's terminal escape sequences.
vm_serial_text() {
	sed -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e 's/\x1b[()][A-Z0-9]//g' -e 's/\r//g' "$VM_SERIAL" |
		tr -d '\000-\010\013\014\016-\037'
}
