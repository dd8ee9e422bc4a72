#!/bin/bash
# Build the test boot image for the e2e tests and the demo:
#
#   tests/lib/mkimage.sh OUTDIR [NAME]
#
# creates OUTDIR/images/NAME/ (NAME defaults to "e2e") holding
#   kernel            the Debian kernel unpacked by tools/fetch-kernel.sh
#   initrd            gzip'd newc cpio: static busybox, /init, the NIC, loop and
#                     squashfs modules
#   rootfs.squashfs   a tiny tree with a marker file holding a random token
# and OUTDIR/cloud-config.yaml ("#cloud-config" plus another random token),
# and OUTDIR/expected.env with the values the VM must report:
#   MARKER_TOKEN, CONFIG_TOKEN, SQUASHFS_SHA256, IMAGE_NAME, KERNEL_VERSION
#
# The initrd's /init brings the NIC up with udhcpc, reads root=live:URL and
# config_url=URL from /proc/cmdline, downloads both with wget, loop-mounts the
# squashfs, and prints one line
#   NETBOOTD-E2E: booted over the network: squashfs marker X ok, cloud-config Y ok, squashfs sha256 H
# or "NETBOOTD-E2E: FAILED: <step>", then powers the VM off.
#
# MKIMAGE_INSTALLER=1 builds the lifecycle test's installer variant: the
# initrd also carries virtio_blk, the stand-in installer of
# tests/lib/installer/ (/bin/netbootd-e2e-install) and the boot sector of
# tests/lib/disk-marker.S; the cloud-config also has
#   netbootd_e2e_disk_token: D      (DISK_TOKEN in expected.env)
#   install: {device: MKIMAGE_INSTALL_DEVICE (/dev/vda), reboot: true}
#   stages: {before-install: [two steps of the user's own]}
# and after its success line /init runs the installer, which runs the
# before-install stage, writes the marker system to the device, runs the
# after-install stage, prints
#   NETBOOTD-E2E: install finished: marker D on DEVICE, N failed command(s)
# and reboots.  Without the variable the image is as it always was.
#
# MKIMAGE_ARCH=arm64 builds the same image for arm64 UEFI VMs: the kernel of
# tools/fetch-kernel.sh arm64 (tools/cache/kernel-arm64, an uncompressed PE
# Image), its virtio-net/loop/squashfs modules, and busybox from
# busybox-static:arm64 (apt-get download + dpkg -x, cached in
# tools/cache/busybox-arm64) instead of the host's /bin/busybox.
# expected.env then also has KERNEL_ARCH=arm64.
#
# MKIMAGE_SECUREBOOT=1: /init also prints, before its success line,
#   NETBOOTD-E2E: secureboot: on      (or off)
# from the kernel log ("Secure boot enabled").
#
# MKIMAGE_UNSIGNED=1 also writes OUTDIR/images/NAME/kernel.unsigned: the
# kernel with its signature removed (sbattach --remove, sbsigntool), which
# shim must refuse under Secure Boot.
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
	echo "usage: $0 OUTDIR [NAME]" >&2
	exit 2
fi
out=$1
name=${2:-e2e}
top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
arch=${MKIMAGE_ARCH:-amd64}
secureboot=${MKIMAGE_SECUREBOOT:-0}
unsigned=${MKIMAGE_UNSIGNED:-0}
case $arch in
amd64)
	kdir="$top/tools/cache/kernel"
	# Modules the initrd loads, leaves first; dependencies are added in front.
	WANT_MODULES="virtio_pci virtio_net e1000 loop squashfs"
	;;
arm64)
	kdir="$top/tools/cache/kernel-arm64"
	# virtio and virtio_ring are built in; this resolves to
	# virtio_pci_legacy_dev virtio_pci_modern_dev virtio_pci failover
	# net_failover virtio_net, then loop and squashfs (when modules).
	WANT_MODULES="virtio_pci virtio_net loop squashfs"
	;;
*)
	echo "mkimage.sh: MKIMAGE_ARCH must be amd64 or arm64, not $arch" >&2
	exit 2
	;;
esac
installer=${MKIMAGE_INSTALLER:-0}
if [ "$installer" = 1 ]; then
	WANT_MODULES+=" virtio_blk"
fi

if [ ! -f "$kdir/vmlinuz" ] || [ ! -d "$kdir/modules" ]; then
	"$top/tools/fetch-kernel.sh" "$arch"
fi
for tool in cpio gzip mksquashfs modinfo; do
	command -v "$tool" >/dev/null || {
		echo "mkimage.sh: $tool is missing (tools/install-deps.sh)" >&2
		exit 1
	}
done
if [ "$unsigned" = 1 ]; then
	command -v sbattach >/dev/null || {
		echo "mkimage.sh: sbattach is missing (sbsigntool; tools/install-deps.sh)" >&2
		exit 1
	}
fi
busybox=/bin/busybox
if [ "$arch" = arm64 ]; then
	busybox="$top/tools/cache/busybox-arm64/busybox"
	if [ ! -x "$busybox" ]; then
		bbtmp=$(mktemp -d)
		chmod 777 "$bbtmp"
		(cd "$bbtmp" && apt-get download -q busybox-static:arm64 >/dev/null)
		dpkg -x "$bbtmp"/busybox-static_*_arm64.deb "$bbtmp/root"
		mkdir -p "${busybox%/*}"
		cp "$bbtmp/root/bin/busybox" "$busybox.new"
		mv "$busybox.new" "$busybox"
		rm -rf "$bbtmp"
	fi
fi
[ -x "$busybox" ] || {
	echo "mkimage.sh: $busybox is missing (busybox-static)" >&2
	exit 1
}
kver=$(cat "$kdir/version")
moddir="$kdir/modules"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Module file of a module name, from modules.dep when depmod has run,
# otherwise by searching the tree (dpkg -x leaves no modules.dep).
module_file() {
	local m=$1 f
	if [ -f "$moddir/modules.dep" ]; then
		f=$(grep -m1 -E "(^|/)${m//_/[_-]}\.ko(\.xz|\.zst|\.gz)?:" "$moddir/modules.dep" | cut -d: -f1 || true)
		[ -n "$f" ] && echo "$moddir/$f" && return 0
	fi
	f=$(find "$moddir/kernel" \( -name "$m.ko" -o -name "$m.ko.*" -o -name "${m//_/-}.ko" -o -name "${m//_/-}.ko.*" \) -print -quit)
	[ -n "$f" ] || return 1
	echo "$f"
}

# Depth-first: dependencies before dependents, each module once.
declare -A seen=()
order=()
add_module() {
	local m=$1 f deps d
	[ -n "${seen[$m]:-}" ] && return 0
	seen[$m]=1
	if grep -qE "/${m//_/[_-]}\.ko" "$moddir/modules.builtin"; then
		return 0
	fi
	f=$(module_file "$m") || {
		echo "mkimage.sh: kernel module $m not found in $moddir" >&2
		exit 1
	}
	deps=$(modinfo -F depends "$f" | tr ',' ' ')
	for d in $deps; do
		add_module "$d"
	done
	order+=("$m")
	case $f in
	*.ko.xz) xz -dc "$f" >"$work/initrd/lib/modules/$m.ko" ;;
	*.ko.zst) zstd -qdc "$f" >"$work/initrd/lib/modules/$m.ko" ;;
	*.ko.gz) gzip -dc "$f" >"$work/initrd/lib/modules/$m.ko" ;;
	*) cp "$f" "$work/initrd/lib/modules/$m.ko" ;;
	esac
}

# --- initrd ---------------------------------------------------------------
mkdir -p "$work/initrd"/{bin,dev,proc,sys,tmp,mnt,etc,lib/modules}
cp "$busybox" "$work/initrd/bin/busybox"
ln -s busybox "$work/initrd/bin/sh"
for m in $WANT_MODULES; do
	add_module "$m"
done
printf '%s\n' "${order[@]}" >"$work/initrd/lib/modules/order"

cat >"$work/initrd/etc/udhcpc.script" <<'EOF'
#!/bin/sh
# udhcpc hook: configure the lease it got (busybox udhcpc environment).
case "$1" in
deconfig)
	ip -4 addr flush dev "$interface"
	ip link set "$interface" up
	;;
bound | renew)
	ip -4 addr flush dev "$interface"
	ip addr add "$ip/${mask:-24}" dev "$interface"
	for r in $router; do
		ip route add default via "$r" dev "$interface" && break
	done
	echo "NETBOOTD-E2E: dhcp: $interface $ip/${mask:-24} router ${router:-none}"
	;;
esac
exit 0
EOF

cat >"$work/initrd/init" <<'EOF'
#!/bin/sh
# netbootd e2e initrd: prove the machine got here over the network and can
# fetch its root filesystem and cloud-config from the URLs on its cmdline.
/bin/busybox --install -s /bin
export PATH=/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev

fail() {
	echo "NETBOOTD-E2E: FAILED: $*"
	sync
	poweroff -f
	sleep 60
}

echo "NETBOOTD-E2E: initrd started, kernel $(uname -r), uptime $(cut -d' ' -f1 /proc/uptime) s"
echo "NETBOOTD-E2E: cmdline: $(cat /proc/cmdline)"
for m in $(cat /lib/modules/order); do
	insmod "/lib/modules/$m.ko" || fail "insmod $m"
done

nic=
i=0
while [ -z "$nic" ] && [ $i -lt 50 ]; do
	for d in /sys/class/net/*; do
		n=${d##*/}
		[ "$n" = lo ] && continue
		nic=$n
		break
	done
	[ -n "$nic" ] || { sleep 0.2; i=$((i + 1)); }
done
[ -n "$nic" ] || fail "no network interface appeared"
ip link set lo up
ip link set "$nic" up
udhcpc -i "$nic" -s /etc/udhcpc.script -n -q -t 10 -T 2 2>/dev/null ||
	fail "udhcpc on $nic got no lease"

squashfs_url=
config_url=
for w in $(cat /proc/cmdline); do
	case $w in
	root=live:*) squashfs_url=${w#root=live:} ;;
	config_url=*) config_url=${w#config_url=} ;;
	esac
done
[ -n "$squashfs_url" ] || fail "no root=live:URL on the kernel command line"
[ -n "$config_url" ] || fail "no config_url=URL on the kernel command line"

echo "NETBOOTD-E2E: fetching $squashfs_url"
wget -q -O /tmp/rootfs.squashfs "$squashfs_url" || fail "wget $squashfs_url"
size=$(wc -c </tmp/rootfs.squashfs)
sum=$(sha256sum /tmp/rootfs.squashfs | cut -d' ' -f1)
echo "NETBOOTD-E2E: got squashfs, $size bytes, sha256 $sum"
mount -t squashfs -o loop,ro /tmp/rootfs.squashfs /mnt || fail "mount squashfs"
[ -f /mnt/netbootd-e2e-marker ] || fail "no marker in the squashfs"
marker=$(cat /mnt/netbootd-e2e-marker)
(cd /mnt && sha256sum -c -s payload.sha256) || fail "squashfs payload checksum"

echo "NETBOOTD-E2E: fetching $config_url"
wget -q -O /tmp/cloud-config "$config_url" || fail "wget $config_url"
[ "$(head -n1 /tmp/cloud-config)" = "#cloud-config" ] ||
	fail "cloud-config does not start with #cloud-config"
echo "NETBOOTD-E2E: cloud-config:"
sed 's/^/  | /' /tmp/cloud-config
token=$(sed -n 's/^netbootd_e2e_token: *//p' /tmp/cloud-config)
[ -n "$token" ] || fail "no netbootd_e2e_token in the cloud-config"

echo "NETBOOTD-E2E: booted over the network: squashfs marker $marker ok, cloud-config $token ok, squashfs sha256 $sum, uptime $(cut -d' ' -f1 /proc/uptime) s"
umount /mnt
# Only in the installer variant (MKIMAGE_INSTALLER=1): it reboots or powers off.
if [ -x /bin/netbootd-e2e-install ]; then
	netbootd-e2e-install /tmp/cloud-config || fail "the stand-in installer"
fi
sync
poweroff -f
sleep 60
EOF
chmod 755 "$work/initrd/init" "$work/initrd/etc/udhcpc.script"
# The Secure Boot variant reports the kernel's view before its success line.
if [ "$secureboot" = 1 ]; then
	cat >"$work/secureboot.sh" <<'EOF'
if dmesg | grep -q 'Secure boot enabled'; then
	echo "NETBOOTD-E2E: secureboot: on"
else
	echo "NETBOOTD-E2E: secureboot: off"
fi
EOF
	awk -v f="$work/secureboot.sh" '
		/^echo "NETBOOTD-E2E: booted over the network/ {
			while ((getline l <f) > 0) print l
		}
		{ print }' "$work/initrd/init" >"$work/init.sb"
	grep -q 'secureboot: on' "$work/init.sb" || {
		echo "mkimage.sh: cannot add the secureboot line to /init" >&2
		exit 1
	}
	cat "$work/init.sb" >"$work/initrd/init"
fi
if [ "$installer" = 1 ]; then
	mkdir -p "$work/initrd/lib/netbootd-e2e"
	install -m 755 "$top/tests/lib/installer/install.sh" "$work/initrd/bin/netbootd-e2e-install"
	cp "$top/tests/lib/installer/cloud-config.awk" "$work/initrd/lib/netbootd-e2e/"
	"$top/tests/lib/disk-marker.sh" --sector "$work/initrd/lib/netbootd-e2e/disk-marker.bin"
fi

img="$out/images/$name"
mkdir -p "$img"
(cd "$work/initrd" && find . | LC_ALL=C sort | cpio -o -H newc --quiet -R 0:0) | gzip -6 >"$img/initrd.new"
mv "$img/initrd.new" "$img/initrd"
cp "$kdir/vmlinuz" "$img/kernel.new"
mv "$img/kernel.new" "$img/kernel"
if [ "$unsigned" = 1 ]; then
	cp "$kdir/vmlinuz" "$img/kernel.unsigned.new"
	sbattach --remove "$img/kernel.unsigned.new" >/dev/null
	mv "$img/kernel.unsigned.new" "$img/kernel.unsigned"
fi

# --- rootfs.squashfs --------------------------------------------------------
marker_token=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
config_token=$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
mkdir -p "$work/rootfs/etc"
echo "$marker_token" >"$work/rootfs/netbootd-e2e-marker"
echo "netbootd e2e test root filesystem" >"$work/rootfs/etc/issue"
# Some bulk so the transfer is more than one packet: 1 MiB of random data.
head -c 1048576 /dev/urandom >"$work/rootfs/payload"
(cd "$work/rootfs" && sha256sum payload >payload.sha256)
rm -f "$img/rootfs.squashfs.new"
mksquashfs "$work/rootfs" "$img/rootfs.squashfs.new" -comp gzip -noappend -quiet -all-root >/dev/null
mv "$img/rootfs.squashfs.new" "$img/rootfs.squashfs"

cat >"$out/cloud-config.yaml.new" <<EOF
#cloud-config
# Written by tests/lib/mkimage.sh for one netbootd e2e run.
hostname: netbootd-e2e
netbootd_e2e_token: $config_token
EOF
disk_token=
if [ "$installer" = 1 ]; then
	disk_token=disk-$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
	device=${MKIMAGE_INSTALL_DEVICE:-/dev/vda}
	cat >>"$out/cloud-config.yaml.new" <<EOF
netbootd_e2e_disk_token: $disk_token
install:
  device: $device
  reboot: true
# The user's own steps: netbootd appends its report step after them.
stages:
  before-install:
  - name: e2e user step one
    commands:
    - 'echo "NETBOOTD-E2E: user before-install step one ran"'
    - 'echo "NETBOOTD-E2E: user before-install: second command"'
  - name: e2e user step two
    commands:
    - test -b $device
EOF
fi
mv "$out/cloud-config.yaml.new" "$out/cloud-config.yaml"

cat >"$out/expected.env" <<EOF
IMAGE_NAME=$name
KERNEL_VERSION=$kver
MARKER_TOKEN=$marker_token
CONFIG_TOKEN=$config_token
SQUASHFS_SHA256=$(sha256sum "$img/rootfs.squashfs" | cut -d' ' -f1)
EOF
if [ "$installer" = 1 ]; then
	echo "DISK_TOKEN=$disk_token" >>"$out/expected.env"
fi
if [ "$arch" != amd64 ]; then
	echo "KERNEL_ARCH=$arch" >>"$out/expected.env"
fi
echo "mkimage.sh: image $name in $img (kernel $kver, modules: ${order[*]})" >&2
