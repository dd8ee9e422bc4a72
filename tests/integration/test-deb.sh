#!/bin/bash
# The Debian package: dpkg-buildpackage -us -uc -b in a clean copy of the
# tree (tracked and new files, no build directories), the .deb's file list,
# metadata, conffiles and maintainer scripts; then a fresh Debian root
# (debootstrap --variant=minbase, from the apt mirror this machine uses), the
# .deb installed there with apt, the root booted with systemd-nspawn
# --private-network (nothing listens outside the container), and inside it:
# the netboot user and group, the enabled units, the socket-activated control
# socket, "systemctl start netbootd", /healthz and an ISO import (the
# import child under the unit's own system call filter).
set -euo pipefail

: "${SRCDIR:?SRCDIR must name the source tree}"

if [ "$(id -u)" != 0 ] || ! command -v dpkg-buildpackage >/dev/null || ! command -v dh >/dev/null; then
	echo "SKIP: needs root, dpkg-buildpackage and debhelper"
	exit 77
fi

TMP=$(mktemp -d /var/tmp/test-deb.XXXXXX)
FAILURES=0
NSPAWN_PID=

cleanup() {
	if [ -n "$NSPAWN_PID" ] && kill -0 "$NSPAWN_PID" 2>/dev/null; then
		kill "$NSPAWN_PID" 2>/dev/null || true
		for _ in $(seq 50); do kill -0 "$NSPAWN_PID" 2>/dev/null || break; sleep 0.2; done
		kill -9 "$NSPAWN_PID" 2>/dev/null || true
	fi
	# never delete through a mount left behind
	if ! findmnt -rn -o TARGET | grep -q "^$TMP/"; then
		rm -rf "$TMP"
	else
		echo "# mounts left under $TMP: not removed"
	fi
}
trap cleanup EXIT

ok() { echo "ok - $*"; }
bad() {
	echo "FAIL - $*"
	FAILURES=$((FAILURES + 1))
}

# ---- build ----
SRC="$TMP/src/netbootd"
mkdir -p "$SRC"
echo "# copying the tree to $SRC"
if git -C "$SRCDIR" rev-parse --git-dir >/dev/null 2>&1; then
	git -C "$SRCDIR" ls-files -z --cached --others --exclude-standard |
		(cd "$SRCDIR" && xargs -0 sh -c 'for f; do [ -e "$f" ] && printf "%s\0" "$f"; done' sh) |
		tar -C "$SRCDIR" --null -T - -cf - | tar -C "$SRC" -xf -
else
	tar -C "$SRCDIR" --exclude='./build*' --exclude=./tools/cache -cf - . | tar -C "$SRC" -xf -
fi
echo "# dpkg-buildpackage -us -uc -b"
if (cd "$SRC" && dpkg-buildpackage -us -uc -b) >"$TMP/build.log" 2>&1; then
	ok "dpkg-buildpackage -us -uc -b"
else
	tail -40 "$TMP/build.log"
	bad "dpkg-buildpackage failed"
	exit 1
fi
grep -E '^(Ok|Fail): ' "$TMP/build.log" | sed 's/^/#   unit suite: /' || true
DEB=$(ls "$TMP"/src/netbootd_*_*.deb)

# ---- contents ----
dpkg-deb -c "$DEB" | awk '{ print $6 }' | sed 's|^\./|/|; s|/$||' | grep -v '^$' >"$TMP/files"
for f in /usr/sbin/netbootd /usr/bin/netbootctl /usr/libexec/netbootd/netbootd-import \
	/lib/systemd/system/netbootd.service /lib/systemd/system/netbootd.socket \
	/usr/lib/sysusers.d/netbootd.conf /usr/lib/tmpfiles.d/netbootd.conf \
	/etc/netbootd/netbootd.yaml /usr/share/bash-completion/completions/netbootctl \
	/usr/share/man/man8/netbootd.8.gz /usr/share/man/man5/netbootd.yaml.5.gz \
	/usr/share/man/man5/netbootd-fleet.5.gz \
	/usr/share/man/man1/netbootctl.1.gz /usr/share/doc/netbootd/copyright \
	/usr/share/netbootd/fetch-loaders.sh; do
	if grep -qx "$f" "$TMP/files"; then ok "package has $f"; else bad "package lacks $f"; fi
done
if dpkg-deb -c "$DEB" | grep -qE '^-rwxr-xr-x .* \./usr/share/netbootd/fetch-loaders\.sh$'; then
	ok "fetch-loaders.sh is executable"
else
	bad "fetch-loaders.sh is not executable"
fi
if grep -v -E '^/(etc/netbootd|lib/systemd/system|usr/(bin|sbin|libexec/netbootd|lib/sysusers\.d|lib/tmpfiles\.d|share/(man|doc|bash-completion|netbootd)))(/|$)|^/(etc|lib|lib/systemd|usr|usr/lib|usr/libexec|usr/share)?$' "$TMP/files"; then
	bad "package has files outside the expected directories (above)"
else
	ok "no stray files in the package"
fi

# ---- metadata and maintainer scripts ----
field() { dpkg-deb -f "$DEB" "$1"; }
[ "$(field Package)" = netbootd ] && ok "Package: netbootd" || bad "Package is $(field Package)"
case "$(field Depends)" in
*libevent-2.1*libsystemd0*libyaml*) ok "Depends: $(field Depends)" ;;
*) bad "Depends lacks libevent/libsystemd/libyaml: $(field Depends)" ;;
esac
# netbootd dlopen()s libcurl (daemon/curl-dl.h): an explicit dependency, shlibs cannot see it.
case "$(field Depends)" in
*libcurl4*) ok "Depends names libcurl4" ;;
*) bad "Depends lacks libcurl4: $(field Depends)" ;;
esac
[ "$(field Recommends)" = ipxe ] && ok "Recommends: ipxe" || bad "Recommends is \"$(field Recommends)\""
dpkg-deb -e "$DEB" "$TMP/control"
if grep -qx /etc/netbootd/netbootd.yaml "$TMP/control/conffiles"; then
	ok "/etc/netbootd/netbootd.yaml is a conffile"
else
	bad "/etc/netbootd/netbootd.yaml is not a conffile"
fi
for want in 'systemd-sysusers .*netbootd.conf' 'systemd-tmpfiles .*--create netbootd.conf' \
	"deb-systemd-helper enable 'netbootd.service'" "deb-systemd-helper enable 'netbootd.socket'"; do
	if grep -q -- "$want" "$TMP/control/postinst"; then
		ok "postinst runs: $want"
	else
		bad "postinst lacks: $want"
	fi
done

# ---- a fresh Debian root ----
if ! command -v debootstrap >/dev/null || ! command -v systemd-nspawn >/dev/null; then
	echo "# static checks: $FAILURES failure(s)"
	[ "$FAILURES" -eq 0 ] || exit 1
	echo "SKIP: the install into a fresh root needs debootstrap and systemd-nspawn"
	exit 77
fi
MIRROR=$(sed -n 's/^URIs: *\(http[^ ]*debian\/\?\)$/\1/p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)
MIRROR=${MIRROR:-http://deb.debian.org/debian}
ROOT="$TMP/root"
echo "# debootstrap --variant=minbase bookworm from $MIRROR"
if ! debootstrap --variant=minbase bookworm "$ROOT" "$MIRROR" >"$TMP/debootstrap.log" 2>&1; then
	tail -5 "$TMP/debootstrap.log"
	echo "# static checks: $FAILURES failure(s)"
	[ "$FAILURES" -eq 0 ] || exit 1
	echo "SKIP: debootstrap failed (is the Debian mirror reachable?)"
	exit 77
fi
ok "debootstrap: a minimal Debian 12 root"
mkdir -p "$ROOT/srv/deb"
cp "$DEB" "$ROOT/srv/deb/"
nspawn() { systemd-nspawn -q --register=no --keep-unit --console=pipe "$@" </dev/null 2>&1 | tr -d '\r' | grep -v 'propagate' || true; }
echo "# apt-get install systemd ipxe curl ./$(basename "$DEB") in the root"
nspawn --resolv-conf=copy-host -D "$ROOT" sh -c "DEBIAN_FRONTEND=noninteractive \
	apt-get install -y -q --no-install-recommends systemd systemd-sysv dbus ipxe curl \
	/srv/deb/$(basename "$DEB") >/srv/apt.log 2>&1; echo apt-rc=\$?" >"$TMP/apt.out"
if grep -qx apt-rc=0 "$TMP/apt.out"; then
	ok "the .deb installs with apt (dependencies from the mirror)"
else
	tail -20 "$ROOT/srv/apt.log"
	bad "apt-get install of the .deb failed"
	exit 1
fi

# Boot it.  --private-network: the container sees only its own loopback.
systemd-nspawn -q --register=no --keep-unit --console=pipe --private-network -D "$ROOT" -b \
	</dev/null >"$TMP/boot.log" 2>&1 &
NSPAWN_PID=$!
LEADER=
for _ in $(seq 100); do
	LEADER=$(pgrep -P "$NSPAWN_PID" -x systemd || true)
	[ -n "$LEADER" ] && break
	sleep 0.2
done
[ -n "$LEADER" ] || { tail -20 "$TMP/boot.log"; bad "the container did not boot"; exit 1; }
in_ct() { nsenter -t "$LEADER" -a "$@"; }
# Right after systemd appears, systemctl may not reach it yet (an empty
# answer, seen under load): ask until it says something, for at most 60 s.
state=
for _ in $(seq 120); do
	state=$(in_ct timeout 60 systemctl is-system-running --wait 2>/dev/null || true)
	[ -n "$state" ] && break
	sleep 0.5
done
echo "# container booted: $state"

if in_ct getent passwd netbootd | grep -q ':/var/lib/netbootd:/usr/sbin/nologin$' &&
	in_ct id -gn netbootd | grep -qx netboot; then
	ok "user netbootd (group netboot) exists"
else
	bad "no user netbootd in group netboot"
fi
got=$(in_ct stat -c '%U:%G %a' /var/lib/netbootd 2>/dev/null || true)
[ "$got" = "netbootd:netboot 750" ] && ok "/var/lib/netbootd is $got" || bad "/var/lib/netbootd is \"$got\""
for u in netbootd.service netbootd.socket; do
	st=$(in_ct systemctl is-enabled "$u" 2>/dev/null || true)
	[ "$st" = enabled ] && ok "$u is enabled" || bad "$u is \"$st\""
done
st=$(in_ct systemctl is-active netbootd.socket 2>/dev/null || true)
[ "$st" = active ] && ok "netbootd.socket is active" || bad "netbootd.socket is \"$st\""
got=$(in_ct stat -c '%F %U:%G %a' /run/netbootd/control.sock 2>/dev/null || true)
[ "$got" = "socket root:netboot 660" ] && ok "control socket: $got" || bad "control socket is \"$got\""

in_ct systemctl start netbootd.service >/dev/null 2>&1 || true
sleep 2
st=$(in_ct systemctl is-active netbootd.service 2>/dev/null || true)
if [ "$st" = active ]; then
	ok "systemctl start netbootd: active"
else
	in_ct journalctl -u netbootd --no-pager -n 8 | sed 's/^/#   /'
	bad "systemctl start netbootd: \"$st\""
fi
if in_ct curl -sS --max-time 5 http://127.0.0.1:8090/healthz 2>/dev/null | grep -qx ok; then
	ok "/healthz answers in the container"
else
	bad "/healthz does not answer in the container"
fi
if in_ct systemctl reload netbootd.service >/dev/null 2>&1 &&
	[ "$(in_ct systemctl is-active netbootd.service)" = active ]; then
	ok "systemctl reload netbootd"
else
	bad "systemctl reload netbootd failed"
fi
got=$(in_ct stat -c '%F %U:%G %a' /run/netbootd/control.sock 2>/dev/null || true)
[ "$got" = "socket root:netboot 660" ] && ok "control socket after start and reload: $got" ||
	bad "control socket after start and reload is \"$got\""
if in_ct netbootctl status >"$TMP/status.out" 2>&1; then
	ok "netbootctl status through the socket-activated control socket"
else
	sed 's/^/#   /' "$TMP/status.out"
	bad "netbootctl status failed in the container"
fi
got=$(in_ct systemctl show -P StatusText netbootd.service 2>/dev/null || true)
case $got in
*image*machine*TFTP*HTTP*) ok "STATUS= reaches systemd: \"$got\"" ;;
*) bad "StatusText is \"$got\"" ;;
esac
# Into a file first: grep -q would stop reading early, and pipefail would count curl's EPIPE.
in_ct curl -sS --max-time 5 http://127.0.0.1:8090/metrics >"$TMP/metrics" 2>/dev/null || true
if grep -q '^netbootd_build_info{' "$TMP/metrics"; then
	ok "/metrics answers in the container"
else
	bad "/metrics does not answer in the container"
fi
in_ct curl -s -o /dev/null --max-time 5 http://127.0.0.1:8090/ipxe/52-54-00-de-b0-01 || true
in_ct journalctl --sync 2>/dev/null || sleep 1
if in_ct journalctl --no-pager -o cat NETBOOT_MAC=52:54:00:de:b0:01 2>/dev/null | grep -q .; then
	ok "journalctl NETBOOT_MAC=52:54:00:de:b0:01 finds the /ipxe request"
else
	in_ct journalctl -u netbootd --no-pager -n 5 | sed 's/^/#   /'
	bad "journalctl NETBOOT_MAC= finds nothing after /ipxe/52-54-00-de-b0-01"
fi
# An ISO import under the shipped unit (User=netbootd, its SystemCallFilter=):
# the import child (netbootd-import) loads its own seccomp filter inside it.
mkdir -p "$TMP/iso/boot"
head -c 30001 /dev/urandom >"$TMP/iso/boot/kernel"
head -c 10001 /dev/urandom >"$TMP/iso/boot/initrd"
# a squashfs 4.0 super block that passes the daemon's checks, then padding (tests/lib/check.sh)
python3 -c 'import struct, sys
none = 2**64 - 1
sys.stdout.buffer.write(struct.pack("<IIIIIHHHHHHQQQQQQQQ", 0x73717368, 1, 0, 131072, 0,
    1, 17, 0, 1, 4, 0, 0, 40096, 98, none, 96, 97, none, none) + bytes(40000))' \
	>"$TMP/iso/rootfs.squashfs"
cp "$TMP/iso/boot/kernel" "$ROOT/srv/t.kernel"
if xorriso -as mkisofs -R -J -V COS_LIVE -o "$ROOT/srv/t.iso" "$TMP/iso" >/dev/null 2>&1 &&
	in_ct netbootctl add-image t --iso /srv/t.iso >"$TMP/add.out" 2>&1 &&
	in_ct cmp -s /var/lib/netbootd/images/t/kernel /srv/t.kernel; then
	ok "add-image --iso under the unit, through netbootd-import"
else
	sed 's/^/#   /' "$TMP/add.out"
	in_ct journalctl -u netbootd --no-pager -n 5 | sed 's/^/#   /'
	bad "add-image --iso failed under the unit"
fi

if [ "$FAILURES" -ne 0 ]; then
	echo "$FAILURES check(s) failed"
	exit 1
fi
echo "all checks passed"
