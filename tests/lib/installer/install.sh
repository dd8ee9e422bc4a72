#!/bin/sh
# The stand-in installer of the lifecycle e2e test (busybox sh), in the
# initrd as /bin/netbootd-e2e-install when mkimage.sh runs with
# MKIMAGE_INSTALLER=1.  It does what Kairos' installer does with a
# cloud-config, as far as netbootd can tell:
#
#   netbootd-e2e-install CLOUD-CONFIG
#
# Without an "install:" block that names a device, it says so and returns
# 0 (nothing to install).  Otherwise it runs the commands of the
# before-install stage, writes the marker system (the boot sector of
# tests/lib/disk-marker.S with the cloud-config's netbootd_e2e_disk_token)
# to the device, runs the commands of the after-install stage, prints
#   NETBOOTD-E2E: install finished: marker TOKEN on DEVICE, N failed command(s)
# and reboots (install.reboot: true) or powers off.  Each stage step and
# command gets a NETBOOTD-E2E: line with its exit status; a failed command
# is counted, and the install goes on (as Kairos' yip does).  A step whose
# "if:" is false, files, users and every other key are ignored.
#
# NETBOOTD_E2E_LIB (default /lib/netbootd-e2e) holds cloud-config.awk and
# disk-marker.bin; NETBOOTD_E2E_DRY=1 runs the stages and prints what it
# would write, without writing, syncing or rebooting (the parser's self-test
# on the host).

lib=${NETBOOTD_E2E_LIB:-/lib/netbootd-e2e}
dry=${NETBOOTD_E2E_DRY:-0}
flat=${TMPDIR:-/tmp}/netbootd-e2e-cloud-config.flat
failed=0

say() {
	echo "NETBOOTD-E2E: $*"
}

die() {
	say "FAILED: install: $*"
	exit 1
}

# The value at PATH in the flattened cloud-config (the first one).
get() {
	awk -v p="$1" 'index($0, p " ") == 1 { print substr($0, length(p) + 2); exit }' "$flat"
}

# Run the commands of stage $1, step by step, in document order.
run_stage() {
	stage=$1
	n=0
	awk -v p="stages/$1/" 'index($0, p) == 1 {
		rest = substr($0, length(p) + 1)
		if (rest ~ /^[0-9]+\/(name|commands\/[0-9]+) /)
			print rest
	}' "$flat" >"$flat.stage"
	say "stage $stage: $(grep -c '/commands/' "$flat.stage") command(s) in $(cut -d/ -f1 "$flat.stage" | uniq | wc -l) step(s)"
	while IFS= read -r l; do
		key=${l%% *}
		val=${l#* }
		step=${key%%/*}
		case $key in
		*/name)
			say "stage $stage step $step: $(printf '%b' "$val")"
			continue
			;;
		esac
		cmd=$(printf '%b' "$val")
		n=$((n + 1))
		say "stage $stage step $step command ${key##*/}: $cmd"
		sh -c "$cmd" </dev/null
		rc=$?
		say "stage $stage step $step command ${key##*/} exited $rc"
		[ "$rc" = 0 ] || failed=$((failed + 1))
	done <"$flat.stage"
	rm -f "$flat.stage"
}

# Wait up to 10 s for the block device $1 (its driver probes in the background).
wait_device() {
	i=0
	while [ ! -b "$1" ] && [ $i -lt 50 ]; do
		sleep 0.2
		i=$((i + 1))
	done
	[ -b "$1" ]
}

# The marker system: the boot sector with the token at byte 256.
write_marker() {
	dev=$1 token=$2 sector=${TMPDIR:-/tmp}/netbootd-e2e-sector
	cp "$lib/disk-marker.bin" "$sector" || die "no $lib/disk-marker.bin"
	printf '%s' "$token" | dd of="$sector" bs=1 seek=256 conv=notrunc 2>/dev/null ||
		die "patching the token into the boot sector"
	if [ "$dry" = 1 ]; then
		say "dry run: would write the marker system (token $token) to $dev"
		return 0
	fi
	wait_device "$dev" || die "no block device $dev"
	dd if="$sector" of="$dev" bs=512 count=1 conv=fsync 2>/dev/null || die "writing $dev"
	sync
	echo 3 >/proc/sys/vm/drop_caches
	dd if="$dev" bs=512 count=1 2>/dev/null | cmp -s - "$sector" || die "reading back the boot sector of $dev"
	say "wrote the marker system (token $token) to $dev and read it back"
}

cc=$1
[ -f "$cc" ] || die "no cloud-config $cc"
awk -f "$lib/cloud-config.awk" "$cc" >"$flat" || die "parsing the cloud-config"
device=$(printf '%b' "$(get install/device)")
if [ -z "$device" ]; then
	say "no install.device in the cloud-config: nothing to install"
	exit 0
fi
token=$(get netbootd_e2e_disk_token)
case $token in
"" | *[!A-Za-z0-9._-]*) die "netbootd_e2e_disk_token \"$token\" is missing or not [A-Za-z0-9._-]" ;;
esac
[ ${#token} -le 64 ] || die "netbootd_e2e_disk_token is longer than 64 characters"
say "installing to $device (marker $token, reboot: $(get install/reboot), poweroff: $(get install/poweroff))"

run_stage before-install
write_marker "$device" "$token"
run_stage after-install
say "install finished: marker $token on $device, $failed failed command(s)"
[ "$dry" = 1 ] && exit 0
sync
case $(get install/reboot) in
true | True | TRUE | yes | on)
	say "rebooting"
	reboot -f
	;;
*)
	say "powering off"
	poweroff -f
	;;
esac
sleep 60
