# Network boots through GRUB (the loaders grub and shim-grub, daemon/grub.h):
# source from bash after boot.sh.  Used by tests/e2e/test-boot-arm64*.sh and
# tests/e2e/test-boot-secureboot.sh.
#
#   grub_setup MODE NAME    the requirements of MODE (arm64, arm64-http,
#                           uefi-sb; vm.sh), netbootctl (boot_ctl_setup NAME),
#                           the loaders (tools/fetch-loaders.sh into
#                           tools/cache/loaders, once), the test image "e2e"
#                           for the architecture in $WORK/img (mkimage.sh;
#                           MKIMAGE_SECUREBOOT=1 MKIMAGE_UNSIGNED=1 for
#                           uefi-sb) and netbootd's configuration in
#                           $WORK/netbootd.yaml (loaders.dir, the console of
#                           the architecture on the command line)
#   grub_start              the LAN (LAN_DNSMASQ_EXTRA may add site DHCP
#                           options first) and netbootd
#   grub_boot MODE TIMEOUT  boot the VM, wait for the initrd's verdict
#                           (GRUB_RC: vm_wait's status), console in
#                           $WORK/serial-N.txt (GRUB_SERIAL)
#   grub_checks MODE        the checks every GRUB boot must pass
#   gs STRING               the last console has STRING
# Checks are counted with verify (boot.sh); end with boot_verdict.

GRUB_LOADERS=$E2E_TOP/tools/cache/loaders
GRUB_RC=
GRUB_SERIAL=
GRUB_N=0
GRUB_ARCH=

grub_setup() {
	local mode=$1 arch=amd64 console=ttyS0
	require_root
	require_cmds dnsmasq tcpdump tshark curl nsenter cpio gzip mksquashfs modinfo grub-mkimage
	case $mode in
	arm64 | arm64-http)
		arch=arm64 console=ttyAMA0
		require_cmds qemu-system-aarch64
		require_files "$VM_AAVMF_CODE" "$VM_AAVMF_VARS"
		;;
	uefi-sb)
		require_cmds qemu-system-x86_64 sbattach
		require_files "$VM_OVMF_SB_CODE" "$VM_OVMF_SB_VARS"
		;;
	*) die "grub_setup: unknown mode $mode" ;;
	esac
	GRUB_ARCH=$arch
	boot_ctl_setup "$2"
	say "netbootd: $netbootd, netbootctl: $ctl"
	"$E2E_TOP/tools/fetch-loaders.sh" "$GRUB_LOADERS" >"$WORK/fetch-loaders.log" 2>&1 ||
		skip "tools/fetch-loaders.sh failed: $(tail -n 3 "$WORK/fetch-loaders.log")"
	local t0
	t0=$(date +%s.%N)
	if [ "$mode" = uefi-sb ]; then
		MKIMAGE_SECUREBOOT=1 MKIMAGE_UNSIGNED=1 "$E2E_LIB/mkimage.sh" "$WORK/img" e2e \
			2>"$WORK/mkimage.log" || die "building the test image failed: $(tail -n 5 "$WORK/mkimage.log")"
	else
		MKIMAGE_ARCH=$arch "$E2E_LIB/mkimage.sh" "$WORK/img" e2e 2>"$WORK/mkimage.log" ||
			die "building the test image failed: $(tail -n 5 "$WORK/mkimage.log")"
	fi
	# shellcheck disable=SC1091
	. "$WORK/img/expected.env"
	say "Image e2e ($arch) built in $(seconds_between "$t0" "$(date +%s.%N)") s: kernel $KERNEL_VERSION"
	cat >"$WORK/netbootd.yaml" <<EOF
# netbootd for one GRUB e2e boot: built-in defaults except these.
state_dir: $WORK/img
loaders:
  dir: $GRUB_LOADERS
default:
  cloud_config: $WORK/img/cloud-config.yaml
  cmdline: "root=live:{squashfs_url} config_url={config_url} console=$console panic=-1"
control:
  socket: $BOOT_CONTROL_SOCKET
EOF
}

grub_start() {
	BOOT_DIR=$WORK
	lan_setup "$WORK"
	lan_start_netbootd "$netbootd" "$WORK/netbootd.yaml"
}

grub_boot() {
	local mode=$1 timeout=$2
	GRUB_N=$((GRUB_N + 1))
	vm_start "$mode" "$WORK/serial-$GRUB_N.log"
	GRUB_RC=0
	vm_wait "$timeout" || GRUB_RC=$?
	GRUB_SERIAL=$WORK/serial-$GRUB_N.txt
	vm_serial_text >"$GRUB_SERIAL"
	say "boot $GRUB_N ($mode): vm_wait status $GRUB_RC after $VM_BOOT_SECONDS s"
	echo "----- VM serial console (last 40 lines) -----"
	grep -av '^\s*$' "$GRUB_SERIAL" | tail -n 40
	echo "-----"
}

gs() { grep -qaF -- "$1" "$GRUB_SERIAL"; }

# The checks of a GRUB boot that reached the initrd.
grub_checks() {
	local mode=$1 platform=efi-x86_64 loader
	local url="http://$LAN_SERVER:8090"
	case $mode in
	arm64) platform=efi-arm64 ;;
	arm64-http) platform=http-arm64 ;;
	esac
	verify "the VM booted from the network and reported success" [ "$GRUB_RC" = 0 ]
	verify "the squashfs marker is this run's ($MARKER_TOKEN)" gs "squashfs marker $MARKER_TOKEN ok"
	verify "the cloud-config is this run's ($CONFIG_TOKEN)" gs "cloud-config $CONFIG_TOKEN ok"
	verify "the squashfs is byte-identical (sha256)" gs "squashfs sha256 $SQUASHFS_SHA256"
	verify "the kernel command line came through GRUB's quoting" \
		gs "config_url=$url/config/$VM_MAC_HYPHEN?arch=$platform"
	case $mode in
	arm64)
		loader="loaders/arm64-efi/netbootd-grub.efi"
		verify "netbootd offered AAVMF's PXE client its GRUB (arch 11)" \
			log_has "(Offered|Acknowledged) \"$loader\" to .* \(arch 11\)"
		verify "netbootd sent GRUB over TFTP" log_has "Sent \"/?$loader\" to "
		;;
	arm64-http)
		loader="$url/loaders/arm64-efi/netbootd-grub.efi"
		verify "netbootd offered AAVMF's HTTP Boot client its GRUB's URL (arch 19)" \
			log_has "Offered \"$loader\" to .* \(arch 19\)"
		verify "netbootd sent GRUB over HTTP" \
			log_has "HTTP GET \"/loaders/arm64-efi/netbootd-grub.efi\" from [^ ]+: 200"
		;;
	uefi-sb)
		verify "netbootd offered OVMF the signed shim (arch 7)" \
			log_has "(Offered|Acknowledged) \"loaders/x86_64-efi/shimx64.efi\" to .* \(arch 7\)"
		verify "shim fetched the signed GRUB from netbootd over TFTP" \
			log_has "Sent \"/?loaders/x86_64-efi/grubx64.efi\" to "
		verify "the kernel reports Secure Boot on" gs "NETBOOTD-E2E: secureboot: on"
		;;
	esac
	if [ "$mode" = uefi-sb ]; then
		verify "GRUB read grub.cfg over TFTP" log_has "Sent \"/?grub/grub.cfg\" to "
		verify "GRUB read the machine's configuration over TFTP" \
			log_has "GRUB configuration \"e2e\" over TFTP"
		verify "GRUB loaded the kernel over TFTP" log_has "Sent \"/?images/e2e/kernel\" to "
	else
		verify "GRUB read grub.cfg over HTTP" log_has "HTTP GET \"/grub/grub.cfg\" from [^ ]+: 200"
		verify "GRUB read its own configuration (platform $platform)" \
			log_has "HTTP GET \"/grub/netbootd/$platform/$VM_MAC\" from [^ ]+: 200"
		verify "GRUB loaded the kernel over HTTP" log_has "HTTP GET \"/images/e2e/kernel\" from [^ ]+: 200"
		verify "GRUB loaded the initrd over HTTP" log_has "HTTP GET \"/images/e2e/initrd\" from [^ ]+: 200"
	fi
	verify "the initrd fetched the squashfs" log_has "HTTP GET \"/images/e2e/rootfs.squashfs\" from [^ ]+: 200"
	verify "the machine is booting in its lifecycle" \
		bash -c "'$ctl' -s '$BOOT_CONTROL_SOCKET' --json machines | grep -q '\"state\": *\"booting\"'"
	verify "netbootd logged no error" bash -c "! grep -qE '^netbootd: (emerg|alert|crit|error): ' '$LAN_NETBOOTD_LOG'"
}
