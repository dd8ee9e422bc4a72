#!/bin/bash
# The hostile-image campaign of issue 14, as regression tests, against
# netbootctl extract oci / extract iso and a real netbootd:
#  - the temporary-file race: tmp-swapper.py keeps replacing the temporary
#    names (OUTDIR/.kairos-*, the daemon's images/.tmp-NAME-*/*) with symlinks
#    to a victim file outside; during extract oci (a slow registry keeps the
#    window open), extract iso, add-image REF and add-image --iso the victim
#    stays unchanged and the result is a clean error (or, without the
#    swapper, the right files);
#  - a compression bomb: a 64 MiB layer of zeros in a small gzip blob is
#    refused by --max-size 16M and by images: {max_size: 16M}, with an error
#    naming the cap; the daemon stays up and stores nothing;
#  - squashfs super blocks: one claiming 2^63 bytes in 1 GiB blocks is
#    refused from an ISO (extract iso, add-image --iso) and from --dir; a
#    sparse ISO whose directory record claims a 4 GiB rootfs is refused before
#    anything is written (free space, and the daemon's cap); an image whose
#    kernel does not fit the output file system is refused before writing.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
CTL=${NETBOOTCTL:?NETBOOTCTL must point to netbootctl}
NETBOOTD=${NETBOOTD:?NETBOOTD must point to netbootd}
PY=/usr/bin/python3
NS=nbhostile$$
export LC_ALL=C
unset NETBOOTD_SOCKET
CTL_ERR_BYTES=400 CTL_SHOW_BYTES=600
# shellcheck source=../lib/netbootd.sh
. "$HERE/../lib/netbootd.sh"

require_root
require_cmds xorriso gzip curl jq ip unshare mount "$PY"
# The registry and netbootd listen on a namespace's loopback only.
if [ -z "${HOSTILE_IN_NS:-}" ]; then
	new_netns "$NS"
	RC=0
	HOSTILE_IN_NS=1 ip netns exec "$NS" "$0" "$@" || RC=$?
	exit "$RC"
fi

new_tmpdir test-hostile-image
T=$TMPDIR_NEW
mkiso() { xorriso -as mkisofs -R -J -V COS_LIVE -o "$1" "$2" >/dev/null 2>&1; }
count() { cat "$1" 2>/dev/null || echo 0; }
no_image() { [ ! -e "$STATE/images/$1" ] && ! ls -A "$STATE/images" | grep -q '^\.tmp-'; }
nothing_published() { [ -z "$(find "$1" -maxdepth 1 -name 'kairos*')" ]; }
daemon_up() { "$CTL" -s "$SOCK" status >/dev/null 2>&1; }

VICTIM=$T/victim
echo "the victim's own bytes" >"$VICTIM"
cp "$VICTIM" "$T/victim.orig"
victim_intact() { cmp -s "$VICTIM" "$T/victim.orig" && [ ! -L "$VICTIM" ]; }

# swap_start DIR [ARGS...]: tmp-swapper.py on DIR, its PID in SWAPPER, its count in $T/swaps
swap_start() {
	rm -f "$T/swaps"
	"$PY" "$HERE/tmp-swapper.py" "$1" "$VICTIM" "$T/swaps" "${@:2}" &
	SWAPPER=$!
	track_child "$SWAPPER"
}
swap_stop() { stop_child "$SWAPPER"; }

# ---- the images: a small one (its layer trickles from the slow registry), a bomb ----
L=$T/layers
mkdir -p "$L/race/boot" "$L/bomb/boot"
head -c 200003 /dev/urandom >"$L/race/boot/vmlinuz"
head -c 1001 /dev/urandom >"$L/race/boot/initrd"
echo race >"$L/race/hostname"
head -c 4001 /dev/urandom >"$L/bomb/boot/vmlinuz"
head -c 1001 /dev/urandom >"$L/bomb/boot/initrd"
head -c $((64 * 1048576)) /dev/zero >"$L/bomb/zeros"
LAYOUT=$T/layout
"$PY" "$HERE/registry-mkimage.py" "$LAYOUT" --tag race "$L/race:gzip" >"$T/race.txt"
RACE_DIGEST=$(awk '$1 == "manifest" { print $2 }' "$T/race.txt")
"$PY" "$HERE/registry-mkimage.py" "$LAYOUT" --tag bomb "$L/bomb:gzip" >"$T/bomb.txt"
BOMB_SIZE=$(awk '$1 == "layer" { print $4 }' "$T/bomb.txt")
echo "the bomb: a $BOMB_SIZE-byte gzip layer holding 64 MiB of zeros"
rm "$L/bomb/zeros"
PS=$(free_tcp_port)
# slow: the largest blob (the race layer, 200 KB) trickles out for seconds
"$PY" "$HERE/registry-fake.py" --layout "$LAYOUT" --port "$PS" --mode slow --log "$T/fake.log" &
track_child $!
listening() { "$PY" -c "import socket; socket.create_connection(('127.0.0.1', $1), 0.2)" 2>/dev/null; }
wait_until 10 listening "$PS"
REG=127.0.0.1:$PS

# ---- ISOs: a 128 MiB one (extraction takes a while), a hostile squashfs, a sparse claim ----
I=$T/iso
mkdir -p "$I/boot"
head -c 300001 /dev/urandom >"$I/boot/kernel"
head -c 100001 /dev/urandom >"$I/boot/initrd"
fake_squashfs_super $((128 * 1048576)) >"$I/rootfs.squashfs"
truncate -s 128M "$I/rootfs.squashfs"
mkiso "$T/big.iso" "$I"
rm "$I/rootfs.squashfs"
# 2^63 bytes in 1 GiB blocks, in a 4 KiB file
"$PY" -c 'import struct, sys
none = 2**64 - 1
sys.stdout.buffer.write(struct.pack("<IIIIIHHHHHHQQQQQQQQ", 0x73717368, 1, 0, 1 << 30, 0,
    1, 30, 0, 1, 4, 0, 0, 1 << 63, 98, none, 96, 97, none, none) + bytes(4000))' \
	>"$I/rootfs.squashfs"
mkiso "$T/hostile-super.iso" "$I"
mkdir -p "$T/dir"
cp "$I/boot/kernel" "$I/boot/initrd" "$I/rootfs.squashfs" "$T/dir/"
# A directory record claiming 4 GiB - 1 for a 123457-byte rootfs (both byte
# orders), in an ISO whose volume descriptors say it is that large too: a
# sparse file of 4 GiB that holds less than 1 MB.
fake_squashfs 123361 >"$I/rootfs.squashfs"
mkiso "$T/sparse.iso" "$I"
"$PY" -c 'import struct, sys
p = sys.argv[1]; n = 123457; big = 2**32 - 1
data = bytearray(open(p, "rb").read())
old = struct.pack("<I", n) + struct.pack(">I", n)
hits = data.count(old)
data = data.replace(old, struct.pack("<I", big) + struct.pack(">I", big))
blocks = len(data) // 2048 + big // 2048 + 1
for off in range(0x8000, len(data), 2048):  # primary, Joliet, ... terminator
    if data[off] == 255:
        break
    data[off + 80:off + 88] = struct.pack("<I", blocks) + struct.pack(">I", blocks)
open(p, "wb").write(data)
print(hits, blocks * 2048)' "$T/sparse.iso" >"$T/sparse-hits"
truncate -s "$(cut -d" " -f2 "$T/sparse-hits")" "$T/sparse.iso"
check "the sparse ISO's rootfs records were patched ($(cut -d" " -f1 "$T/sparse-hits"))" \
	[ "$(cut -d" " -f1 "$T/sparse-hits")" -ge 1 ]

echo "== extract oci: the temporary names swapped for symlinks during the pull"
O=$T/out-oci
mkdir -p "$O"
swap_start "$O"
XDG_CACHE_HOME=$T/xdg run 1 extract oci "$REG/ns/img:race" "$O" --insecure
swap_stop
check "the swapper replaced temporary names ($(count "$T/swaps"))" [ "$(count "$T/swaps")" -gt 0 ]
check "extract oci: a clean error" err_has "the temporary file was replaced while it was written"
check "extract oci: the victim outside OUTDIR is unchanged" victim_intact
check "extract oci: nothing published (no kairos-* left)" nothing_published "$O"
XDG_CACHE_HOME=$T/xdg run 0 extract oci "$REG/ns/img:race" "$O" --insecure
check "without the swapper: the right kernel" cmp -s "$O/kairos-kernel" "$L/race/boot/vmlinuz"
check "... and regular files, not links" \
	[ -f "$O/kairos-kernel" ] && [ ! -L "$O/kairos-kernel" ] && [ ! -L "$O/kairos.squashfs" ]

echo "== the blob cache and a reference by digest (the campaign's small ones)"
O=$T/out-digest
XDG_CACHE_HOME=$T/cache/missing/parents run 0 extract oci "$REG/ns/img@$RACE_DIGEST" "$O" --insecure
check "the blob cache is created with its missing parents" [ -d "$T/cache/missing/parents/netbootd" ]
check "a pull by digest names the digest once" \
	sh -c "grep -x 'from $REG/ns/img@$RACE_DIGEST (1 layers)' '$T/out' >/dev/null"
: >"$T/afile"
XDG_CACHE_HOME=$T/afile/cache run 1 extract oci "$REG/ns/img@$RACE_DIGEST" "$T/out-digest2" --insecure
check "a blob cache that cannot be created: one error line" \
	sh -c "[ \"\$(wc -l <'$T/err')\" = 1 ] && grep -q 'cannot create the blob cache' '$T/err'"

echo "== extract iso: the same during a 128 MiB extraction"
O=$T/out-iso
mkdir -p "$O"
swap_start "$O"
run 1 extract iso "$T/big.iso" "$O"
swap_stop
check "the swapper replaced temporary names ($(count "$T/swaps"))" [ "$(count "$T/swaps")" -gt 0 ]
check "extract iso: a clean error" err_has "the temporary file was replaced while it was written"
check "extract iso: the victim is unchanged" victim_intact
check "extract iso: nothing published" nothing_published "$O"

echo "== --max-size and the squashfs super block, without a daemon"
O=$T/out-bomb
mkdir -p "$O"
XDG_CACHE_HOME=$T/xdg run 1 extract oci "$REG/ns/img:bomb" "$O" --insecure --max-size 16M
check "extract oci --max-size 16M: the bomb refused, naming the cap" \
	err_has "beyond the size cap of 16777216 bytes"
check "... nothing left in OUTDIR" [ -z "$(ls -A "$O")" ]
XDG_CACHE_HOME=$T/xdg run 0 extract oci "$REG/ns/img:bomb" "$O" --insecure
check "under the default cap (16G) the same image is accepted" \
	cmp -s "$O/kairos-kernel" "$L/bomb/boot/vmlinuz"
run 2 extract oci "$REG/ns/img:bomb" "$O" --max-size 12
check "--max-size below 1M: a usage error" err_has "is not a size of at least 1M"
O=$T/out-super
mkdir -p "$O"
run 1 extract iso "$T/big.iso" "$O" --max-size 100M
check "extract iso --max-size 100M: a 128 MiB ISO refused, naming the cap" \
	err_has "more than the image size cap of 104857600 bytes"
run 1 extract iso "$T/hostile-super.iso" "$O"
check "extract iso: a super block of 2^63 bytes in 1 GiB blocks refused" \
	err_has "is not a valid squashfs file system: the block size is not a power of two"
check "... nothing left" [ -z "$(ls -A "$O")" ]
unshare -m sh -c "mount -t tmpfs -o size=64m tmpfs '$O' && '$CTL' extract iso '$T/sparse.iso' '$O'; rc=\$?; ls -A '$O' >'$T/left'; df -k '$O' | awk 'NR == 2 { print \$3 }' >'$T/used'; exit \$rc" \
	>"$T/out" 2>"$T/err" && rc=0 || rc=$?
check "extract iso of a sparse ISO ($(du -k "$T/sparse.iso" | cut -f1) KiB on disk) claiming a 4 GiB rootfs: exit 1" \
	test "$rc" = 1
check "... refused for the free space, before writing" err_has "No space left on device (the ISO's files take"
check "... nothing left, nothing written ($(cat "$T/used") KiB used)" \
	sh -c "[ ! -s '$T/left' ] && [ \"\$(cat '$T/used')\" -lt 1024 ]"

O=$T/out-small
mkdir -p "$O"
unshare -m sh -c "mount -t tmpfs -o size=128k tmpfs '$O' && XDG_CACHE_HOME='$T/xdg' '$CTL' extract oci '$REG/ns/img:race' '$O' --insecure; rc=\$?; ls -A '$O' >'$T/left'; exit \$rc" \
	>"$T/out" 2>"$T/err" && rc=0 || rc=$?
check "extract oci of a 200 KB kernel into a 128 KiB file system: exit 1" test "$rc" = 1
check "... refused before writing: the kernel and initrd do not fit" \
	err_has "No space left on device (the kernel and initrd take 201004 bytes"
check "... nothing left" test ! -s "$T/left"

echo "== netbootd"
STATE=$T/state
SOCK=$T/control.sock
cat >"$T/netbootd.yaml" <<EOF
state_dir: $STATE
dhcp: {enabled: false}
tftp: {enabled: false}
http: {port: 18094}
control: {socket: $SOCK}
registry:
  insecure: [$REG]
images:
  max_size: 16M
EOF
netbootd_start_ctl "$T/log" "" "$SOCK" -f -c "$T/netbootd.yaml"
CTL_ARGS=(-s "$SOCK")

swap_start "$STATE/images" --subdirs .tmp-
run 1 add-image raced "$REG/ns/img:race"
swap_stop
check "add-image REF: the swapper replaced files of the txn ($(count "$T/swaps"))" \
	[ "$(count "$T/swaps")" -gt 0 ]
check "add-image REF: a clean error" err_has "was replaced by a symbolic link while it was written"
check "add-image REF: the victim is unchanged" victim_intact
check "add-image REF: no image, no temporary directory" no_image raced

run 1 add-image bomb "$REG/ns/img:bomb"
check "add-image of the bomb refused, naming the cap" err_has "beyond the size cap of 16777216 bytes"
check "the daemon is up" daemon_up
check "nothing stored" no_image bomb

run 1 add-image super --iso "$T/hostile-super.iso"
check "add-image --iso: the 2^63-byte super block refused" err_has "is not a valid squashfs file system"
run 1 add-image super --dir "$T/dir"
check "add-image --dir: the same rootfs refused" err_has "is not a valid squashfs: the block size"
check "nothing stored" no_image super
run 1 add-image sparse --iso "$T/sparse.iso"
check "add-image --iso of the 4 GiB claim: refused by the cap" \
	err_has "more than the image size cap of 16777216 bytes"
check "nothing stored" no_image sparse

netbootd_stop
sed -i 's/max_size: 16M/max_size: 1G/' "$T/netbootd.yaml"
netbootd_start_ctl "$T/log" "" "$SOCK" -f -c "$T/netbootd.yaml"
swap_start "$STATE/images" --subdirs .tmp-
run 1 add-image isorace --iso "$T/big.iso"
swap_stop
check "add-image --iso: the swapper replaced files of the txn ($(count "$T/swaps"))" \
	[ "$(count "$T/swaps")" -gt 0 ]
# The import child writes the txn's files through descriptors (as for OCI): the commit sees the swap.
check "add-image --iso: a clean error" err_has "was replaced by a symbolic link while it was written"
check "add-image --iso: the victim is unchanged" victim_intact
check "add-image --iso: no image, no temporary directory" no_image isorace
run 0 add-image good --iso "$T/big.iso"
check "without the swapper the ISO imports" \
	cmp -s "$STATE/images/good/kernel" "$I/boot/kernel"
check "the daemon is up" daemon_up

check_summary tail -20 "$T/log"
