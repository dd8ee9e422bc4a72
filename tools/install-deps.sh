#!/bin/sh
# Install every build, test, demo and benchmark dependency of netbootd from
# Debian 12 packages.  Idempotent; needs root.
set -eu

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps.sh: must run as root (try: sudo $0)" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive

# Build.
BUILD="build-essential meson ninja-build pkg-config clang clang-format
	libclang-rt-14-dev scdoc
	libevent-dev libcurl4-openssl-dev libarchive-dev libcjson-dev
	libyaml-dev libsystemd-dev libssl-dev libsquashfs-dev libseccomp-dev debhelper"

# Test: real clients, a real VM, packet dissection; arm64 VMs (AAVMF),
# Secure Boot (OVMF secboot + MS keys from ovmf, sbattach), grub-mkimage for
# tools/fetch-loaders.sh; an ext4 on a loop device (test-lifecycle-disk).
TEST="iproute2 procps psmisc kmod cpio gzip xz-utils curl tftp-hpa atftp
	tshark tcpdump python3 python3-scapy dnsmasq-base busybox-static
	qemu-system-x86 qemu-utils ipxe ipxe-qemu ovmf squashfs-tools systemd-boot-efi binutils
	systemd xorriso mtools dosfstools libarchive-tools docker-registry skopeo umoci apache2-utils
	zstd jq debootstrap systemd-container etcd-server etcd-client bsdutils openssl
	e2fsprogs mount util-linux
	chromium
	qemu-system-arm qemu-efi-aarch64 grub-common grub-efi-amd64-bin sbsigntool"

# Benchmarks: the peers we compare against.
BENCH="wrk nginx-light tftpd-hpa hyperfine iptables"

echo "netbootd: apt-get update" >&2
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $BUILD $TEST $BENCH

# The benchmark peers and nginx must not run as system services.
for s in nginx tftpd-hpa docker-registry etcd; do
	if command -v systemctl >/dev/null 2>&1; then
		systemctl disable --now "$s" >/dev/null 2>&1 || true
	fi
done

# A Debian kernel for the test VMs (not installed: unpacked by the tests).
exec "$(dirname "$0")/fetch-kernel.sh"
