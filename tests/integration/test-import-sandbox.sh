#!/bin/bash
# The import child of issue 14 (netbootd-import, daemon/import-child.c):
# ISOs and OCI layers are parsed in a process of their own, as nobody, with
# no capabilities, no new privileges and a seccomp filter, under a CPU and an
# address-space limit; the daemon survives whatever it does.  Against a real
# netbootd and the child's test hook (NETBOOTD_IMPORT_TEST in the daemon's
# environment):
#  - the daemon itself maps no libarchive or libsquashfs;
#  - "pause": the locked-down child, seen in /proc: uid/gid 65534, no
#    groups, no capabilities, NoNewPrivs, two seccomp filters; the import
#    then completes; cancelled (Ctrl-C) during the pause: no image, no child;
#  - "crash" (SIGSEGV after the first bytes) and "syscall" (an open that must
#    fail, then an exec the filter kills with SIGSYS): a clean error naming
#    it, no image, no temporary directory, the image stored before intact,
#    the daemon up;
#  - the libarchive 3.6.2 hang (tests/fuzz/hangs/iso-extract) under
#    images: {import_cpu: 2}: stopped by RLIMIT_CPU, a clean error;
#  - an OCI image (registry-fake.py on loopback; a gzip and a zstd layer)
#    squashed with xz: locked down after the pull (seen in /proc), the
#    squashfs is xz; "crash" during its build: no image, the blob cache
#    kept for the next pull.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
CTL=${NETBOOTCTL:?NETBOOTCTL must point to netbootctl}
NETBOOTD=${NETBOOTD:?NETBOOTD must point to netbootd}
NS=nbsandbox$$
export LC_ALL=C
unset NETBOOTD_SOCKET NETBOOTD_IMPORT_TEST
# shellcheck source=../lib/netbootd.sh
. "$HERE/../lib/netbootd.sh"

require_root
require_cmds xorriso pgrep ip unsquashfs python3
if [ -z "${SANDBOX_IN_NS:-}" ]; then
	new_netns "$NS"
	RC=0
	SANDBOX_IN_NS=1 ip netns exec "$NS" "$0" "$@" || RC=$?
	exit "$RC"
fi

new_tmpdir test-import-sandbox
T=$TMPDIR_NEW
STATE=$T/state
SOCK=$T/control.sock
CTL_ARGS=(-s "$SOCK")
HANG=$HERE/../fuzz/hangs/iso-extract/libarchive-3.6.2-next-header-loop

I=$T/iso
mkdir -p "$I/boot" "$STATE"
head -c 300001 /dev/urandom >"$I/boot/kernel"
head -c 100001 /dev/urandom >"$I/boot/initrd"
fake_squashfs $((4 * 1048576)) >"$I/rootfs.squashfs"
xorriso -as mkisofs -R -J -V COS_LIVE -o "$T/good.iso" "$I" >/dev/null 2>&1

# An OCI image on a loopback registry (plain HTTP, no configuration needed).
L=$T/layers
mkdir -p "$L/base/boot" "$L/top/etc"
head -c 200001 /dev/urandom >"$L/base/boot/vmlinuz"
head -c 50001 /dev/urandom >"$L/base/boot/initrd"
echo sandboxed >"$L/top/etc/hostname"
python3 "$HERE/registry-mkimage.py" "$T/layout" --tag v1 "$L/base:gzip" "$L/top:zstd" >/dev/null
PS=$(free_tcp_port)
python3 "$HERE/registry-fake.py" --layout "$T/layout" --port "$PS" --mode plain --log "$T/fake.log" &
track_child $!
listening() { python3 -c "import socket; socket.create_connection(('127.0.0.1', $1), 0.2)" 2>/dev/null; }
wait_until 10 listening "$PS"
REF=127.0.0.1:$PS/ns/img:v1

no_image() { [ ! -e "$STATE/images/$1" ] && ! ls -A "$STATE/images" | grep -q '^\.tmp-'; }
good_intact() {
	cmp -s "$STATE/images/good/kernel" "$I/boot/kernel" &&
		cmp -s "$STATE/images/good/rootfs.squashfs" "$I/rootfs.squashfs"
}
daemon_up() { "$CTL" -s "$SOCK" status >/dev/null 2>&1; }
child_pid() { pgrep -P "$PID" -f netbootd-import | head -1; }
no_child() { [ -z "$(child_pid)" ]; }

# start [HOOK] [CPU]: netbootd with the child's test hook and images.import_cpu
start() {
	[ -z "$PID" ] || netbootd_stop
	cat >"$T/netbootd.yaml" <<-EOF
		state_dir: $STATE
		dhcp: {enabled: false}
		tftp: {enabled: false}
		http: {port: 18095}
		control: {socket: $SOCK}
		images: {import_cpu: ${2:-7200}}
		registry: {compression: xz}
	EOF
	if [ -n "${1:-}" ]; then export NETBOOTD_IMPORT_TEST=$1; fi
	netbootd_start_ctl "$T/log" "" "$SOCK" -f -c "$T/netbootd.yaml"
	unset NETBOOTD_IMPORT_TEST
}

echo "== a plain import goes through the child"
start
run 0 add-image good --iso "$T/good.iso"
check "the image is stored" good_intact
check "netbootd maps no libarchive and no libsquashfs" \
	bash -c "! grep -Eq 'libarchive|libsquashfs' /proc/$PID/maps"
check "netbootd-import does (it parses)" \
	bash -c "ldd '$(dirname "$NETBOOTD")/netbootd-import' | grep -q libarchive"

echo "== the child, locked down, seen from /proc"
start pause
"$CTL" -s "$SOCK" add-image paused --iso "$T/good.iso" >"$T/paused.out" 2>&1 &
BG=$!
locked() {
	local c
	c=$(child_pid)
	[ -n "$c" ] && grep -q '^Seccomp_filters:[[:space:]]*2$' "/proc/$c/status" 2>/dev/null &&
		cp "/proc/$c/status" "$T/child-status"
}
wait_until 30 locked || true
field() { awk -v k="$1:" '$1 == k { $1 = ""; sub(/^ /, ""); print }' "$T/child-status"; }
check "the child runs as nobody ($(field Uid))" [ "$(field Uid)" = "65534 65534 65534 65534" ]
check "... group nogroup ($(field Gid)), no supplementary groups" \
	[ "$(field Gid)" = "65534 65534 65534 65534" ] && [ -z "$(field Groups)" ]
check "... no capabilities (CapEff $(field CapEff), CapPrm $(field CapPrm), CapAmb $(field CapAmb))" \
	[ "$(field CapEff)$(field CapPrm)$(field CapAmb)" = "000000000000000000000000000000000000000000000000" ]
check "... no new privileges, seccomp filter mode, two filters" \
	[ "$(field NoNewPrivs)" = 1 ] && [ "$(field Seccomp)" = 2 ] && [ "$(field Seccomp_filters)" = 2 ]
RC=0
wait "$BG" || RC=$?
check "the paused import then completes (rc $RC)" [ "$RC" -eq 0 ] && [ -e "$STATE/images/paused/kernel" ]
run 0 remove-image paused

echo "== cancelled while the child works"
"$CTL" -s "$SOCK" add-image cancelled --iso "$T/good.iso" >"$T/cancel.out" 2>&1 &
BG=$!
wait_until 30 locked || true
kill -INT "$BG"
RC=0
wait "$BG" || RC=$?
check "netbootctl exits 130 on Ctrl-C (got $RC)" [ "$RC" -eq 130 ]
wait_until 30 no_child || true
check "the child is gone" no_child
wait_until 10 no_image cancelled || true
check "no image, no temporary directory" no_image cancelled

echo "== a child that crashes"
start crash
run 1 add-image crash --iso "$T/good.iso"
check "a clean error naming the crash" err_has "The import process of .* crashed (signal SEGV): nothing was kept"
check "no image, no temporary directory" no_image crash
check "the image stored before is intact" good_intact
check "the daemon is up" daemon_up

echo "== a child that breaks out of its sandbox's rules"
start syscall
run 1 add-image escape --iso "$T/good.iso"
check "killed by the filter (SIGSYS), said so" err_has "stopped by its sandbox: it made a system call the sandbox forbids (SIGSYS)"
check "... after its open(2) of /etc/passwd failed" bash -c "! grep -q 'let the import open a file' '$T/err'"
check "no image, no temporary directory" no_image escape
check "the image stored before is intact" good_intact
check "the daemon is up" daemon_up

echo "== the libarchive hang, bounded by images.import_cpu"
start "" 2
T0=$(date +%s)
run 1 add-image hang --iso "$HANG"
check "stopped by the CPU limit, said so ($(($(date +%s) - T0)) s)" \
	err_has "used up its 2 s of CPU time (images: import_cpu)"
check "no image, no temporary directory" no_image hang
check "the image stored before is intact" good_intact
check "the daemon is up" daemon_up
run 0 add-image again --iso "$T/good.iso"
check "and imports as before" cmp -s "$STATE/images/again/kernel" "$I/boot/kernel"

echo "== an OCI image: pulled, then flattened locked down"
start pause
"$CTL" -s "$SOCK" add-image oci "$REF" >"$T/oci.out" 2>&1 &
BG=$!
rm -f "$T/child-status"
wait_until 60 locked || true
check "the OCI child is locked down for the build (uid $(field Uid), $(field Seccomp_filters) filters)" \
	[ "$(field Uid)" = "65534 65534 65534 65534" ] && [ "$(field Seccomp_filters)" = 2 ]
RC=0
wait "$BG" || RC=$?
check "the OCI import completes (rc $RC)" [ "$RC" -eq 0 ]
check "its squashfs is xz (registry.compression), built under the filter" \
	bash -c "unsquashfs -s '$STATE/images/oci/rootfs.squashfs' | grep -q '^Compression xz'"
check "its kernel is the image's /boot/vmlinuz" cmp -s "$STATE/images/oci/kernel" "$L/base/boot/vmlinuz"
start crash
run 1 add-image ocicrash "$REF"
check "a crash during the OCI build: a clean error" err_has "crashed (signal SEGV): nothing was kept"
check "no image, no temporary directory" no_image ocicrash
check "the blobs stay in the cache for the next pull" \
	[ "$(find "$STATE/cache" -type f ! -name '*.partial' | wc -l)" -ge 3 ]
check "the daemon is up" daemon_up

check_summary tail -20 "$T/log"
