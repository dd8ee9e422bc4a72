#!/bin/bash
# netbootctl extract iso and add-image --iso on ISOs built here with xorriso:
# the Kairos layout and the usual alternatives, overrides, --json, existing
# files and --force, broken ISOs (not an ISO, truncated, missing files, a
# squashfs that is not one), a missing output directory (created, with its
# parents), an unwritable output directory and a full file system (private mount namespaces), a 1.2 GiB sparse ISO extracted with a
# small peak RSS, and the same code inside netbootd (add-image --iso).
# Every failure must leave the output directory empty.
set -euo pipefail

CTL=${NETBOOTCTL:?NETBOOTCTL must point to netbootctl}
NETBOOTD=${NETBOOTD:?NETBOOTD must point to netbootd}
NS=nbiso$$
PORT=18097
export LC_ALL=C
unset NETBOOTD_SOCKET

# shellcheck source=../lib/netbootd.sh
. "$(dirname "$0")/../lib/netbootd.sh"
require_root
require_cmds xorriso cmp unshare mount jq curl ip /usr/bin/time mksquashfs

new_tmpdir test-extract-iso
T=$TMPDIR_NEW
jqq() { jq -e "$@" >/dev/null; }
empty_dir() { [ -z "$(ls -A "$1")" ] || { echo "  left behind: $(ls -A "$1")"; false; }; }
mkiso() { # ISO DIR [LABEL]
	xorriso -as mkisofs -R -J -V "${3:-COS_LIVE}" -o "$1" "$2" >/dev/null 2>&1
}
# A fresh output directory
newout() {
	rm -rf "$T/out.d"
	mkdir "$T/out.d"
	O=$T/out.d
}

# --- a Kairos-layout ISO ----------------------------------------------------
K=$T/kairos
mkdir -p "$K/boot" "$K/EFI/BOOT"
head -c 3000001 /dev/urandom >"$K/boot/kernel"
head -c 2000003 /dev/urandom >"$K/boot/initrd"
fake_squashfs 4000000 >"$K/rootfs.squashfs"
echo grub >"$K/EFI/BOOT/grub.cfg"
mkiso "$T/kairos.iso" "$K"

echo "== Kairos layout, default prefix"
newout
run 0 extract iso "$T/kairos.iso" "$O"
check "kairos-kernel is byte-identical" cmp -s "$O/kairos-kernel" "$K/boot/kernel"
check "kairos-initrd is byte-identical" cmp -s "$O/kairos-initrd" "$K/boot/initrd"
check "kairos.squashfs is byte-identical" cmp -s "$O/kairos.squashfs" "$K/rootfs.squashfs"
check "exactly the three files, no temporary left" \
	test "$(ls -A "$O" | tr '\n' ' ')" = "kairos-initrd kairos-kernel kairos.squashfs "
check "output names the kernel taken and its size" out_has "^wrote $O/kairos-kernel (2.9 MiB) from /boot/kernel$"
check "output names the squashfs taken" out_has "^wrote $O/kairos.squashfs (3.8 MiB) from /rootfs.squashfs$"
check "no progress bar when stderr is not a terminal" test ! -s "$T/err"

echo "== prefix and --json"
run 0 --json extract iso "$T/kairos.iso" "$O" mynode
check "--json lists the three files with sources and sizes" jqq \
	--arg o "$O" '.files | length == 3 and .[0].path == ($o + "/mynode-kernel") and .[0].source == "/boot/kernel" and .[0].size == 3000001 and .[2].file == "rootfs.squashfs" and .[2].size == 4000096' "$T/out"
check "mynode.squashfs is byte-identical" cmp -s "$O/mynode.squashfs" "$K/rootfs.squashfs"

echo "== existing files: refused, kept; --force replaces"
echo old >"$O/kairos-initrd"
rm "$O/kairos-kernel"
run 1 extract iso "$T/kairos.iso" "$O"
check "error names the existing file" err_has "\"$O/kairos-initrd\" exists (use --force to replace it)"
check "existing file untouched, nothing new written" \
	test "$(cat "$O/kairos-initrd")" = old -a ! -e "$O/kairos-kernel"
check "no temporary left" test -z "$(ls -A "$O" | grep tmp || true)"
run 0 extract iso "$T/kairos.iso" "$O" --force
check "--force replaced the initrd" cmp -s "$O/kairos-initrd" "$K/boot/initrd"

echo "== usage errors"
run 2 extract iso "$T/kairos.iso"
check "missing argument" err_has "extract iso: missing argument"
run 2 extract iso a b c d
run 2 extract iso "$T/kairos.iso" "$O" bad/prefix
run 2 extract iso --bogus "$T/kairos.iso" "$O"

echo "== alternative layouts"
U=$T/ubuntu
mkdir -p "$U/casper" "$U/boot/grub"
head -c 100000 /dev/urandom >"$U/casper/vmlinuz"
head -c 100001 /dev/urandom >"$U/casper/initrd"
fake_squashfs 50000 >"$U/casper/filesystem.squashfs"
fake_squashfs 50 >"$U/casper/filesystem.manifest.squashfs"
mkiso "$T/ubuntu.iso" "$U" Ubuntu
newout
run 0 extract iso "$T/ubuntu.iso" "$O"
check "Ubuntu: casper/vmlinuz taken" out_has "kairos-kernel (97.7 KiB) from /casper/vmlinuz$"
check "Ubuntu: casper/filesystem.squashfs preferred" out_has "from /casper/filesystem.squashfs$"
check "Ubuntu: bytes identical" cmp -s "$O/kairos.squashfs" "$U/casper/filesystem.squashfs"

D=$T/debian
mkdir -p "$D/live"
head -c 1000 /dev/urandom >"$D/live/vmlinuz-6.1.0-9-amd64"
head -c 1000 /dev/urandom >"$D/live/vmlinuz-6.1.0-10-amd64"
head -c 1001 /dev/urandom >"$D/live/initrd.img-6.1.0-10-amd64"
fake_squashfs 5000 >"$D/live/filesystem.squashfs"
mkiso "$T/debian.iso" "$D" d-live
newout
run 0 extract iso "$T/debian.iso" "$O"
check "Debian live: the newest versioned kernel" out_has "from /live/vmlinuz-6.1.0-10-amd64$"
check "Debian live: bytes identical" cmp -s "$O/kairos-kernel" "$D/live/vmlinuz-6.1.0-10-amd64"
check "Debian live: initrd.img-*" cmp -s "$O/kairos-initrd" "$D/live/initrd.img-6.1.0-10-amd64"

L=$T/links
mkdir -p "$L/boot"
head -c 5000 /dev/urandom >"$L/boot/vmlinuz-6.6"
ln -s vmlinuz-6.6 "$L/boot/vmlinuz"
head -c 5000 /dev/urandom >"$L/boot/initrd-6.6"
ln -s ../boot/./initrd-6.6 "$L/boot/initrd"
fake_squashfs 5000 >"$L/rootfs.squashfs"
ln "$L/rootfs.squashfs" "$L/copy.squashfs"
ln -s ../../../etc/passwd "$L/boot/escape"
mkiso "$T/links.iso" "$L"
newout
run 0 extract iso "$T/links.iso" "$O"
check "symlink /boot/vmlinuz followed inside the ISO" out_has "from /boot/vmlinuz -> /boot/vmlinuz-6.6$"
check "followed symlink: bytes identical" cmp -s "$O/kairos-kernel" "$L/boot/vmlinuz-6.6"
check "relative symlink with .. and .: bytes identical" cmp -s "$O/kairos-initrd" "$L/boot/initrd-6.6"
newout
run 0 extract iso "$T/links.iso" "$O" --rootfs /copy.squashfs --kernel boot/vmlinuz-6.6
check "--rootfs override (a hard link) taken" out_has "from /copy.squashfs"
check "--kernel override without leading /" out_has "kernel (4.9 KiB) from /boot/vmlinuz-6.6$"
check "hard link: bytes identical" cmp -s "$O/kairos.squashfs" "$L/rootfs.squashfs"
newout
run 1 extract iso "$T/links.iso" "$O" --kernel /boot/escape
check "a symlink leaving the ISO is refused" err_has "has no file \"/boot/escape\" (a link that loops or leaves the ISO)"
check "nothing left behind" empty_dir "$O"
run 1 extract iso "$T/links.iso" "$O" --initrd /nope
check "a missing override is named" err_has "has no file \"/nope\""

echo "== broken ISOs: a clear error and nothing left behind"
bad_iso() { # WHAT ISO MESSAGE [ARGS...]
	local what=$1 iso=$2 msg=$3
	shift 3
	newout
	run 1 extract iso "$iso" "$O" "$@"
	check "$what: error says \"$msg\"" err_has "$msg"
	check "$what: nothing left behind" empty_dir "$O"
}
head -c 200000 /dev/urandom >"$T/random.bin"
bad_iso "random bytes" "$T/random.bin" "is not a readable ISO 9660 image"
: >"$T/empty.iso"
bad_iso "empty file" "$T/empty.iso" "is not a readable ISO 9660 image"
tar -C "$K" -cf "$T/kairos.tar" .
bad_iso "a tar archive" "$T/kairos.tar" "is not a readable ISO 9660 image"
bad_iso "missing ISO" "$T/nonexistent.iso" "Cannot open"
size=$(stat -c %s "$T/kairos.iso")
# xorriso pads the end with 300 KiB: cut before that
for cut in 40000 1000000 5000000 $((size - 1000000)); do
	head -c "$cut" "$T/kairos.iso" >"$T/trunc.iso"
	bad_iso "truncated at $cut of $size bytes" "$T/trunc.iso" "\"$T/trunc.iso\" is"
done
head -c $((size - 1000000)) "$T/kairos.iso" >"$T/trunc.iso"
newout
run 1 extract iso "$T/trunc.iso" "$O"
check "a cut inside the squashfs says truncated" err_has "is truncated"

N=$T/nokernel
mkdir -p "$N/boot"
head -c 1000 /dev/urandom >"$N/boot/initrd"
fake_squashfs 1000 >"$N/rootfs.squashfs"
mkiso "$T/nokernel.iso" "$N"
bad_iso "no kernel" "$T/nokernel.iso" "holds no kernel (looked for /boot/kernel and the other usual names"
check "no kernel: the message suggests --kernel" err_has "name one with --kernel"
mv "$N/boot/initrd" "$N/boot/kernel"
mkiso "$T/noinitrd.iso" "$N"
bad_iso "no initrd" "$T/noinitrd.iso" "holds no initrd"
rm -rf "$N" && mkdir -p "$N/boot"
echo k >"$N/boot/kernel" && echo i >"$N/boot/initrd"
mkiso "$T/nosquash.iso" "$N"
bad_iso "no squashfs" "$T/nosquash.iso" "holds no squashfs root file system (looked for /rootfs.squashfs"
head -c 100000 /dev/urandom >"$N/rootfs.squashfs"
mkiso "$T/badmagic.iso" "$N"
bad_iso "squashfs without hsqs" "$T/badmagic.iso" "/rootfs.squashfs is not a squashfs file system (no \"hsqs\" magic)"
: >"$N/boot/kernel"
fake_squashfs 10 >"$N/rootfs.squashfs"
mkiso "$T/emptykernel.iso" "$N"
bad_iso "empty kernel" "$T/emptykernel.iso" "the kernel /boot/kernel is empty"

echo "== output directory not writable, missing, a file; a full file system"
newout
unshare -m sh -c "mount --bind '$O' '$O' && mount -o remount,bind,ro '$O' && exec '$CTL' extract iso '$T/kairos.iso' '$O'" >"$T/out" 2>"$T/err" && rc=0 || rc=$?
check "read-only output directory: exit 1" test "$rc" = 1
check "read-only output directory: clear error" err_has "Cannot create a file next to \"$O/kairos-kernel\": Read-only file system"
check "read-only output directory: nothing written" empty_dir "$O"
: >"$T/afile"
run 1 extract iso "$T/kairos.iso" "$T/afile"
check "a file in place of the directory: clear error" err_has "Not a directory"
check "a file in place of the directory: nothing created" test -f "$T/afile" -a ! -s "$T/afile"
run 1 extract iso "$T/kairos.iso" "$T/afile/sub"
check "a file in place of a parent: clear error" \
	err_has "cannot create the directory \"$T/afile/sub\": Not a directory"
run 0 extract iso "$T/kairos.iso" "$T/nodir/a//b/"
check "a missing directory and its parents are created (mkdir -p)" \
	test "$(ls -A "$T/nodir/a/b" | tr '\n' ' ')" = "kairos-initrd kairos-kernel kairos.squashfs "
check "... with the files byte-identical" cmp -s "$T/nodir/a/b/kairos-kernel" "$K/boot/kernel"
check "... reported under the name given" out_has "^wrote $T/nodir/a//b//kairos-kernel "
newout
unshare -m sh -c "mount --bind '$O' '$O' && mount -o remount,bind,ro '$O' && exec '$CTL' extract iso '$T/kairos.iso' '$O/new/dir'" >"$T/out" 2>"$T/err" && rc=0 || rc=$?
check "a missing directory on a read-only file system: exit 1" test "$rc" = 1
check "... clear error" err_has "cannot create the directory \"$O/new/dir\": Read-only file system"
newout
unshare -m sh -c "mount -t tmpfs -o size=5m tmpfs '$O' && '$CTL' extract iso '$T/kairos.iso' '$O'; rc=\$?; ls -A '$O' >'$T/left'; exit \$rc" >"$T/out" 2>"$T/err" && rc=0 || rc=$?
check "5 MiB tmpfs for 9 MB of files: exit 1" test "$rc" = 1
check "full file system: clear error" err_has "No space left on device"
check "full file system: nothing left behind" test ! -s "$T/left"

echo "== a 1.2 GiB sparse squashfs: streamed with a small peak RSS"
B=$T/big
mkdir -p "$B/boot"
cp "$K/boot/kernel" "$K/boot/initrd" "$B/boot/"
fake_squashfs_super $((1200 * 1024 * 1024)) >"$B/rootfs.squashfs"
truncate -s 1200M "$B/rootfs.squashfs"
printf 'tail' | dd of="$B/rootfs.squashfs" bs=1 seek=$((1200 * 1024 * 1024 - 4)) conv=notrunc status=none
mkiso "$T/big.iso" "$B"
newout
/usr/bin/time -v "$CTL" extract iso "$T/big.iso" "$O" >"$T/out" 2>"$T/err" && rc=0 || rc=$?
check "big ISO extracted" test "$rc" = 0
rss=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$T/err")
echo "  peak RSS ${rss} KiB for a $(stat -c %s "$T/big.iso")-byte ISO"
check "peak RSS under 32 MiB (was ${rss} KiB)" test "$rss" -lt 32768
check "big squashfs byte-identical" cmp -s "$O/kairos.squashfs" "$B/rootfs.squashfs"
rm -f "$T/big.iso" "$O"/* "$B/rootfs.squashfs"

echo "== add-image --iso through netbootd"
new_netns "$NS"
SOCK=$T/control.sock
mkdir -p "$T/real/boot"
cp "$K/boot/kernel" "$K/boot/initrd" "$T/real/boot/"
mkdir -p "$T/root/etc" && echo kairos >"$T/root/etc/hostname"
mksquashfs "$T/root" "$T/real/rootfs.squashfs" -quiet -noappend >/dev/null
mkiso "$T/real.iso" "$T/real"
cat >"$T/netbootd.yaml" <<EOF
state_dir: $T/state
dhcp: {enabled: false}
tftp: {enabled: false}
http: {port: $PORT}
control: {socket: $SOCK}
EOF
netbootd_start "$T/log" "$NS" -f -c "$T/netbootd.yaml"
netbootd_wait_ctl "$SOCK" || true
run 0 -s "$SOCK" add-image fromiso --iso "$T/real.iso"
check "add-image --iso streamed progress" err_has "^copy .*100%"
run 0 -s "$SOCK" images
check "images lists the ISO source" out_has "^fromiso .*iso:$T/real.iso"
for f in kernel initrd rootfs.squashfs; do
	src=$T/real/$f
	[ "$f" = rootfs.squashfs ] || src=$T/real/boot/$f
	check "HTTP serves $f of the ISO image, byte-identical" \
		sh -c "ip netns exec '$NS' curl -sf 'http://127.0.0.1:$PORT/images/fromiso/$f' | cmp -s - '$src'"
done
run 1 -s "$SOCK" add-image broken --iso "$T/badmagic.iso"
check "daemon: bad squashfs refused with the clear error" err_has "is not a squashfs file system"
run 1 -s "$SOCK" add-image broken --iso "$T/random.bin"
check "daemon: not an ISO refused" err_has "is not a readable ISO 9660 image"
check "daemon: no image and no temporary left" \
	test "$(ls -A "$T/state/images")" = fromiso

check_summary
