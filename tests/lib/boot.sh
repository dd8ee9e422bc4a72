# One network boot of a VM from netbootd, start to verdict (source from bash;
# it sources common.sh, lan.sh and vm.sh).  Used by tests/e2e/test-boot-*.sh
# and tools/demo.sh.
#
#   boot_run MODE NETBOOTD TIMEOUT
#       MODE bios | uefi | uefi-http (see vm.sh).  Builds the image and the
#       LAN, starts netbootd with a minimal configuration (state_dir and
#       default.cloud_config only: every other setting is the built-in
#       default), boots the VM, waits at most TIMEOUT seconds for the
#       initrd's verdict, then checks the serial console, netbootd's log and
#       the packet capture.  Returns 0 when every check passed.
#   With BOOT_LIVE=1 the serial console is copied to stdout while the VM runs.
#   BOOT_KEEP=1 keeps the work directory (logs, capture) for debugging.
#   BOOT_CONTROL_SOCKET=PATH puts netbootd's control socket at PATH.
#   After boot_run: BOOT_DIR, BOOT_SUMMARY (one paragraph), BOOT_TIMELINE.
#   boot_run is boot_prepare, boot_lan, boot_netbootd and boot_vm_check (see
#   there): a test that needs more between them (etcd, a second netbootd)
#   calls them itself.
#
# For tests that drive netbootd with netbootctl between boots:
#   boot_ctl_setup NAME     netbootd and ctl (the binaries, from NETBOOTD,
#                           NETBOOTCTL or the build directory), WORK (a
#                           temporary directory removed at exit),
#                           BOOT_CONTROL_SOCKET in it, nctl ARGS... (netbootctl
#                           on that socket)
#   verify WHAT COMMAND...  like check, failures counted in FAILS
#   boot_first WHAT         boot_run bios, or die "WHAT failed"; netbootd's
#                           PID in PID
#   boot_mkimage DIR NAME   one more test image NAME built in DIR
#                           (mkimage.sh): its squashfs marker in IMG_MARKER,
#                           its cloud-config token in IMG_CONFIG, its kernel
#                           version in IMG_KVER
#   boot_again LINES        boot the VM of boot_run again (bios), show the last
#                           LINES of its console; its vm_wait status in
#                           BOOT_AGAIN_RC, its console in $BOOT_DIR/serial2.txt
#                           (grep it with s2 STRING)
#   boot_main MODE TIMEOUT WHAT
#                           a whole test of one boot: boot_run MODE with the
#                           netbootd of NETBOOTD (or the build directory) and
#                           E2E_TIMEOUT or TIMEOUT seconds, then its summary
#                           and "PASS: WHAT", or exit 1 with "FAIL: WHAT (N
#                           failed checks)"
#   boot_verdict WHAT PASS-MESSAGE
#                           exit 1 with "FAIL: WHAT (N failed checks)" and
#                           netbootd's log when a verify failed, else say PASS

# shellcheck disable=SC2034 # variables for the tests that source this file
# shellcheck source=tests/lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"
# shellcheck source=tests/lib/lan.sh
. "$E2E_LIB/lan.sh"
# shellcheck source=tests/lib/vm.sh
. "$E2E_LIB/vm.sh"

BOOT_DIR=
BOOT_SUMMARY=
BOOT_TIMELINE=
BOOT_FAILURES=0
BOOT_IMAGE_DIR=
BOOT_T_IMAGE=
BOOT_T_LAN=
BOOT_T_READY=
BOOT_LIVE=${BOOT_LIVE:-0}
BOOT_KEEP=${BOOT_KEEP:-0}

boot_requirements() {
	local mode=$1
	require_root
	require_cmds qemu-system-x86_64 dnsmasq tcpdump tshark curl nsenter cpio gzip mksquashfs modinfo
	require_files /bin/busybox /usr/lib/ipxe/undionly.kpxe /usr/lib/ipxe/ipxe.efi
	case $mode in
	bios) require_files /usr/lib/ipxe/qemu/pxe-virtio.rom ;;
	uefi | uefi-http) require_files "$VM_OVMF_CODE" "$VM_OVMF_VARS" ;;
	esac
	[ -f "$E2E_TOP/tools/cache/kernel/vmlinuz" ] || "$E2E_TOP/tools/fetch-kernel.sh" ||
		skip "no test kernel: tools/fetch-kernel.sh failed"
}

# count_check VAR DESCRIPTION COMMAND...: run a check, print PASS/FAIL,
# count a failure in variable VAR.
count_check() {
	local var=$1 what=$2
	shift 2
	if "$@"; then
		say "PASS: $what"
	else
		say "FAIL: $what"
		printf -v "$var" %d $((${!var} + 1))
	fi
}

# check DESCRIPTION COMMAND...: boot_run's checks.
check() { count_check BOOT_FAILURES "$@"; }

FAILS=0
verify() { count_check FAILS "$@"; }

boot_ctl_setup() {
	netbootd=$(resolve_netbootd "${NETBOOTD:-}")
	ctl=${NETBOOTCTL:-$(dirname "$netbootd")/../ctl/netbootctl}
	[ -x "$ctl" ] || die "no netbootctl at $ctl"
	WORK=$(mktemp -d "/tmp/netbootd-$1.XXXXXX")
	cleanup_push "rm -rf '$WORK'"
	export BOOT_CONTROL_SOCKET=$WORK/control.sock
}

boot_first() {
	if ! boot_run bios "$netbootd" "${E2E_TIMEOUT:-200}"; then
		say "$BOOT_SUMMARY"
		die "$1 failed"
	fi
	PID=$LAN_NETBOOTD_PID
}

nctl() { "$ctl" -s "$BOOT_CONTROL_SOCKET" "$@"; }

boot_mkimage() {
	"$E2E_LIB/mkimage.sh" "$1" "$2" 2>"$WORK/mkimage.log" || die "building image $2 failed"
	IMG_MARKER=$(. "$1/expected.env" && echo "$MARKER_TOKEN")
	IMG_CONFIG=$(. "$1/expected.env" && echo "$CONFIG_TOKEN")
	IMG_KVER=$(. "$1/expected.env" && echo "$KERNEL_VERSION")
}

boot_again() {
	vm_start bios "$BOOT_DIR/serial2.log"
	BOOT_AGAIN_RC=0
	vm_wait "${E2E_TIMEOUT:-200}" || BOOT_AGAIN_RC=$?
	vm_serial_text >"$BOOT_DIR/serial2.txt"
	grep -av '^\s*$' "$BOOT_DIR/serial2.txt" | tail -n "$1"
}

s2() { grep -qaF -- "$1" "$BOOT_DIR/serial2.txt"; }

boot_main() {
	local netbootd
	netbootd=$(resolve_netbootd "${NETBOOTD:-}")
	say "netbootd: $netbootd"
	if boot_run "$1" "$netbootd" "${E2E_TIMEOUT:-$2}"; then
		say "$BOOT_SUMMARY"
		say "PASS: $3"
		exit 0
	fi
	say "$BOOT_SUMMARY"
	say "FAIL: $3 ($BOOT_FAILURES failed checks)"
	exit 1
}

boot_verdict() {
	if [ "$FAILS" -gt 0 ]; then
		lan_netbootd_log_tail 40
		say "FAIL: $1 ($FAILS failed checks)"
		exit 1
	fi
	say "PASS: $2"
}

log_has() {
	grep -qiE -- "$1" "$LAN_NETBOOTD_LOG"
}

# On the cleaned-up copy of the serial console (grep -q on a pipe would
# SIGPIPE the writer and, with pipefail, fail on a match).
serial_has() {
	grep -qaF -- "$1" "$BOOT_DIR/serial.txt"
}

# The packet capture, dissected: one line per interesting packet,
# "seconds-since-VM-start event".  HTTP runs on 8090, so tell tshark.
boot_timeline() {
	local cap=$1
	tshark -r "$cap" -n -d tcp.port==8090,http -o tcp.desegment_tcp_streams:TRUE \
		-Y 'dhcp || tftp.opcode == 1 || http.request || http.response' \
		-T fields -E separator='|' \
		-e frame.time_epoch -e ip.src -e udp.srcport -e ip.dst -e udp.dstport \
		-e dhcp.option.dhcp -e dhcp.option.vendor_class_id -e dhcp.option.user_class.text \
		-e dhcp.file -e tftp.source_file -e http.request.method -e http.request.uri \
		-e http.response.code -e http.content_length 2>/dev/null |
		awk -F'|' -v t0="$VM_T0" -v srv="$LAN_SERVER" -v gw="$LAN_GATEWAY" '
		function mt(n) {
			return n == 1 ? "DISCOVER" : n == 2 ? "OFFER" : n == 3 ? "REQUEST" : n == 5 ? "ACK" : "type " n
		}
		{
			t = sprintf("%7.2f s", $1 - t0)
			who = $2 == srv ? "netbootd" : $2 == gw ? "dnsmasq " : "VM      "
			if ($6 != "") {
				line = sprintf("%s  %s  DHCP %s %s:%s -> %s:%s", t, who, mt($6), $2, $3, $4, $5)
				if ($7 != "") line = line " class=" $7
				if ($8 != "") line = line " user-class=" $8
				if ($9 != "") line = line " file=\"" $9 "\""
			} else if ($10 != "") {
				line = sprintf("%s  %s  TFTP read request \"%s\"", t, who, $10)
			} else if ($11 != "") {
				line = sprintf("%s  %s  HTTP %s %s", t, who, $11, $12)
			} else if ($13 != "") {
				line = sprintf("%s  %s  HTTP %s (%s bytes)", t, who, $13, $14)
			} else next
			print line
		}'
}

boot_write_config() {
	local state=$1 conf=$2
	# Only what the test needs: everything else is netbootd's default
	# (ports 67/4011/69/8090, ipxe.dir /usr/lib/ipxe, the Kairos cmdline,
	# the only image under state_dir as the default image).
	cat >"$conf" <<EOF
# netbootd configuration for one e2e boot: built-in defaults except these.
state_dir: $state
default:
  cloud_config: $state/cloud-config.yaml
EOF
	boot_write_control "$conf"
}

# netbootd's control socket goes to BOOT_CONTROL_SOCKET (tests that drive it
# with netbootctl set it) or beside the config: never the system-wide
# default, so that a boot works next to a netbootd running on the host.
boot_write_control() {
	printf 'control:\n  socket: %s\n' "${BOOT_CONTROL_SOCKET:-$(dirname "$1")/control.sock}" >>"$1"
}

boot_cleanup_dir() {
	if [ "$BOOT_KEEP" = 1 ]; then
		say "Kept the work directory $BOOT_DIR (BOOT_KEEP=1)"
		return 0
	fi
	rm -rf "$BOOT_DIR"
}

# boot_run's phases, for a test that does more between them (the cluster
# boot): boot_prepare MODE DIR (the requirements, BOOT_DIR, the image built
# in BOOT_DIR/DIR and its expected.env sourced), boot_lan (lan_setup),
# boot_netbootd BIN CONF (lan_start_netbootd), boot_vm_check MODE TIMEOUT
# (the VM, its verdict and every check of boot_run).
boot_prepare() {
	local mode=$1
	BOOT_FAILURES=0
	boot_requirements "$mode"
	BOOT_DIR=$(mktemp -d /tmp/netbootd-e2e.XXXXXX)
	cleanup_push boot_cleanup_dir
	BOOT_IMAGE_DIR=$BOOT_DIR/$2
	BOOT_T_IMAGE=$(date +%s.%N)
	"$E2E_LIB/mkimage.sh" "$BOOT_IMAGE_DIR" e2e 2>"$BOOT_DIR/mkimage.log" ||
		die "building the test image failed: $(cat "$BOOT_DIR/mkimage.log")"
	# shellcheck disable=SC1091
	. "$BOOT_IMAGE_DIR/expected.env"
	say "Image e2e built in $(seconds_between "$BOOT_T_IMAGE" "$(date +%s.%N)") s: kernel $KERNEL_VERSION," \
		"squashfs marker $MARKER_TOKEN, cloud-config token $CONFIG_TOKEN"
}

boot_lan() {
	BOOT_T_LAN=$(date +%s.%N)
	lan_setup "$BOOT_DIR"
}

boot_netbootd() {
	lan_start_netbootd "$1" "$2"
	BOOT_T_READY=$(date +%s.%N)
}

boot_run() {
	local mode=$1 netbootd=$2 timeout=$3
	boot_prepare "$mode" state
	boot_write_config "$BOOT_IMAGE_DIR" "$BOOT_DIR/netbootd.yaml"
	boot_lan
	boot_netbootd "$netbootd" "$BOOT_DIR/netbootd.yaml"
	boot_vm_check "$mode" "$timeout"
}

# boot_vm_once MODE TIMEOUT [SERIAL]: start the VM, wait for the initrd's
# verdict (BOOT_VM_RC: vm_wait's status), stop the capture, keep the
# console's text in $BOOT_DIR/serial.txt and print its last lines.
boot_vm_once() {
	local mode=$1 timeout=$2 serial=${3:-$BOOT_DIR/serial.log}
	vm_start "$mode" "$serial"
	BOOT_VM_RC=0
	vm_wait "$timeout" || BOOT_VM_RC=$?
	lan_stop_capture
	vm_serial_text >"$BOOT_DIR/serial.txt"
	echo "----- VM serial console (escape sequences removed) -----"
	grep -av '^\s*$' "$BOOT_DIR/serial.txt" | tail -n 60
	echo "----- end of the VM serial console -----"
	say "vm_wait: $BOOT_VM_RC after $VM_BOOT_SECONDS s"
}

boot_vm_check() {
	local mode=$1 timeout=$2 rc=0 live_pid=''
	vm_start "$mode" "$BOOT_DIR/serial.log"
	if [ "$BOOT_LIVE" = 1 ]; then
		echo "----- VM serial console -----"
		(tail -n +1 -f --pid="$VM_PID" "$VM_SERIAL" 2>/dev/null |
			sed -u -e 's/\x1b\[[0-9;?]*[A-Za-z]//g' -e 's/\x1b[()][A-Z0-9]//g' -e 's/\r//g') &
		live_pid=$!
	fi
	vm_wait "$timeout" || rc=$?
	if [ -n "$live_pid" ]; then
		# tail follows qemu's PID, which vm_wait has ended.
		wait "$live_pid" 2>/dev/null || true
		echo "----- end of the VM serial console -----"
	fi
	lan_stop_capture
	vm_serial_text >"$BOOT_DIR/serial.txt"
	case $rc in
	0) say "The VM reported a network boot after $VM_BOOT_SECONDS s" ;;
	1) say "The VM's initrd reported a failure after $VM_BOOT_SECONDS s: $(grep -a -m1 "$VM_FAILED_RE" "$BOOT_DIR/serial.txt")" ;;
	2) say "qemu exited after $VM_BOOT_SECONDS s without a verdict from the initrd ($(tail -n3 "$BOOT_DIR/qemu.out" | tr '\n' ' '))" ;;
	3) say "No verdict from the VM within $timeout s" ;;
	esac
	if [ "$BOOT_LIVE" != 1 ]; then
		echo "----- VM serial console (escape sequences removed) -----"
		grep -av '^\s*$' "$BOOT_DIR/serial.txt" | tail -n 80
		echo "----- end of the VM serial console -----"
	fi

	local ip_mac="$VM_MAC_HYPHEN" url="http://$LAN_SERVER:8090"
	# The script URL carries what ProxyDHCP saw: ?arch=A, and &uuid=U when the firmware sent one.
	local q='[?]arch=' uuid='(&uuid=[0-9a-f-]{36})?'
	local any='([?][^"]*)?' 
	say "Checks:"
	check "the VM booted from the network and reported success" [ "$rc" = 0 ]
	check "the squashfs marker is this run's ($MARKER_TOKEN)" serial_has "squashfs marker $MARKER_TOKEN ok"
	check "the cloud-config is this run's ($CONFIG_TOKEN)" serial_has "cloud-config $CONFIG_TOKEN ok"
	check "the squashfs the VM downloaded is byte-identical (sha256)" serial_has "squashfs sha256 $SQUASHFS_SHA256"
	check "the kernel command line is netbootd's default with expanded URLs" \
		serial_has "root=live:$url/images/e2e/rootfs.squashfs"
	case $mode in
	bios)
		check "netbootd offered the iPXE ROM the script URL" \
			log_has "Offered \"$url/ipxe/$ip_mac${q}bios$uuid\" to iPXE client"
		;;
	uefi)
		check "netbootd offered OVMF's PXE client the TFTP loader ipxe.efi" \
			log_has "(Offered|Acknowledged) \"ipxe.efi\" to .* \(arch 7\)"
		check "netbootd sent ipxe.efi over TFTP" log_has "Sent \"/?ipxe.efi\" to $LAN_NET\.[0-9]+"
		check "netbootd offered the chainloaded iPXE the script URL" \
			log_has "Offered \"$url/ipxe/$ip_mac${q}efi-x86_64$uuid\" to iPXE client"
		;;
	uefi-http)
		check "netbootd offered the UEFI HTTP Boot client the loader URL" \
			log_has "Offered \"$url/boot/ipxe.efi\" to .* \(arch 16\)"
		check "netbootd served /boot/ipxe.efi over HTTP" log_has "HTTP GET \"/boot/ipxe.efi\" from [^ ]+: 200"
		check "netbootd offered the chainloaded iPXE the script URL" \
			log_has "Offered \"$url/ipxe/$ip_mac${q}efi-x86_64$uuid\" to iPXE client"
		;;
	esac
	check "netbootd served the iPXE script" log_has "HTTP GET \"/ipxe/$ip_mac$any\" from [^ ]+: 200"
	check "netbootd served the kernel" log_has "HTTP GET \"/images/e2e/kernel\" from [^ ]+: 200"
	check "netbootd served the initrd" log_has "HTTP GET \"/images/e2e/initrd\" from [^ ]+: 200"
	check "netbootd served the squashfs" log_has "HTTP GET \"/images/e2e/rootfs.squashfs\" from [^ ]+: 200"
	check "netbootd served the cloud-config" log_has "HTTP GET \"/config/$ip_mac$any\" from [^ ]+: 200"
	check "netbootd logged no error" bash -c "! grep -qE '^netbootd: (emerg|alert|crit|error): ' '$LAN_NETBOOTD_LOG'"

	BOOT_TIMELINE=$(boot_timeline "$LAN_CAPTURE")
	check "the capture shows netbootd's ProxyDHCP offer on the wire" \
		grep -qE 'netbootd  DHCP (OFFER|ACK) .*file=' <<<"$BOOT_TIMELINE"
	echo "----- timeline from the capture on br0 (seconds since qemu started) -----"
	echo "$BOOT_TIMELINE"
	echo "-----"

	local t_script t_kernel t_squash
	t_script=$(awk '/HTTP GET \/ipxe\// { print $1; exit }' <<<"$BOOT_TIMELINE")
	t_kernel=$(awk '/HTTP GET \/images\/e2e\/kernel/ { print $1; exit }' <<<"$BOOT_TIMELINE")
	t_squash=$(awk '/HTTP GET \/images\/e2e\/rootfs.squashfs/ { print $1; exit }' <<<"$BOOT_TIMELINE")
	BOOT_SUMMARY="Mode $mode: a qemu VM (TCG, MAC $VM_MAC) on a throwaway LAN ($LAN_SITE with dnsmasq as the site DHCP server, $LAN_BOOT with netbootd at $LAN_SERVER) "
	case $mode in
	bios) BOOT_SUMMARY+="network-booted with SeaBIOS and the iPXE NIC ROM (path: ProxyDHCP offer with the script URL, then HTTP)" ;;
	uefi) BOOT_SUMMARY+="network-booted with OVMF's own PXE client (path: ProxyDHCP offer naming ipxe.efi, ipxe.efi over TFTP, then iPXE: ProxyDHCP offer with the script URL, then HTTP)" ;;
	uefi-http) BOOT_SUMMARY+="network-booted with OVMF UEFI HTTP Boot (path: ProxyDHCP offer with the /boot/ipxe.efi URL, ipxe.efi over HTTP, then iPXE: ProxyDHCP offer with the script URL, then HTTP)" ;;
	esac
	BOOT_SUMMARY+=". The script was fetched at ${t_script:-?} s, the kernel at ${t_kernel:-?} s, and the initrd fetched the squashfs at ${t_squash:-?} s after qemu started; "
	if [ "$rc" = 0 ]; then
		BOOT_SUMMARY+="the initrd reported this run's squashfs marker and cloud-config token after $VM_BOOT_SECONDS s. "
	else
		BOOT_SUMMARY+="the VM did NOT report success (after $VM_BOOT_SECONDS s). "
	fi
	BOOT_SUMMARY+="Image build $(seconds_between "$BOOT_T_IMAGE" "$BOOT_T_LAN") s, LAN + netbootd start $(seconds_between "$BOOT_T_LAN" "$BOOT_T_READY") s, $BOOT_FAILURES failed check(s)."

	if [ "$BOOT_FAILURES" -gt 0 ]; then
		lan_netbootd_log_tail 40
		echo "--- last lines of dnsmasq's log ---" >&2
		tail -n 15 "$BOOT_DIR/dnsmasq.log" >&2 || true
		return 1
	fi
	return 0
}
