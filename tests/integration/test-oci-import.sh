#!/bin/bash
# add-image NAME REF through a real netbootd, from a real docker-registry on
# 127.0.0.1 filled by skopeo (tests/lib/registry.sh, registry-mkimage.py):
#  - an image of four layers (gzip, zstd, gzip, gzip) with /boot/vmlinuz
#    a symlink to vmlinuz-6.1, /boot/initrd, a whiteout, an opaque directory,
#    a hard link; progress for the pull and squashfs phases; the image listed
#    with source type oci pinned to the manifest digest; kernel and initrd
#    served over HTTP identical to the layer files; rootfs.squashfs read by
#    unsquashfs (an independent reader) equal to the flattened tree;
#  - a sibling tag sharing three layers: its import fetches only its own
#    layer and config (the registry's access log counts blob GETs);
#  - a registry on loopback (127.0.0.1, localhost, [::1]) over plain HTTP
#    without registry.insecure or --insecure, as Docker treats it; one on
#    another address only when marked insecure (registry-fake.py --mode plain
#    on 10.250.0.1), refused over plain HTTP once it is no longer;
#  - a pull by digest records and prints REF@sha256:X once, not REF@X@X;
#  - a bad reference, a missing tag, a registry that is down: clear errors,
#    no image;
#  - Ctrl-C during a slow blob (registry-fake.py --mode slow): exit 130, no
#    image, no temporary directory, no partial blob;
#  - netbootctl extract oci against the same registry, without a daemon.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
CTL=${NETBOOTCTL:?NETBOOTCTL must point to netbootctl}
NETBOOTD=${NETBOOTD:?NETBOOTD must point to netbootd}
PY=/usr/bin/python3
NS=nboci$$
export LC_ALL=C
unset NETBOOTD_SOCKET
# shellcheck source=../lib/registry.sh
. "$HERE/../lib/registry.sh"
CTL_ERR_BYTES=400 CTL_SHOW_BYTES=600
# shellcheck source=../lib/netbootd.sh
. "$HERE/../lib/netbootd.sh"

require_root
require_cmds docker-registry skopeo unsquashfs zstd gzip curl jq ip "$PY"
# Everything (registries, netbootd, clients) runs in a network namespace of
# our own, on its loopback: nothing listens on the host's interfaces.
if [ -z "${OCI_IMPORT_IN_NS:-}" ]; then
	new_netns "$NS"
	RC=0
	OCI_IMPORT_IN_NS=1 ip netns exec "$NS" "$0" "$@" || RC=$?
	exit "$RC"
fi

new_tmpdir test-oci-import
T=$TMPDIR_NEW
jqq() { jq -e "$@" >/dev/null; }
no_image() { [ ! -e "$STATE/images/$1" ] && ! ls -A "$STATE/images" | grep -q '^\.tmp-'; }
no_partial() { [ -z "$(find "$STATE/cache" -name '*.partial' 2>/dev/null)" ]; }

# ---- the layers ----
L=$T/layers
mkdir -p "$L/base/boot" "$L/base/etc" "$L/base/usr/bin" "$L/base/usr/lib" "$L/base/opt" \
	"$L/base/var/cache/junk"
head -c 1500007 /dev/urandom >"$L/base/boot/vmlinuz-6.1"
ln -s vmlinuz-6.1 "$L/base/boot/vmlinuz"
head -c 700001 /dev/urandom >"$L/base/boot/initrd"
echo base >"$L/base/etc/hostname"
echo 'ID=kairos-test' >"$L/base/etc/os-release"
printf '#!/bin/sh\necho tool\n' >"$L/base/usr/bin/tool"
chmod 755 "$L/base/usr/bin/tool"
echo gone >"$L/base/opt/gone.txt"
echo keep >"$L/base/opt/keep.txt"
echo junk >"$L/base/var/cache/junk/old"
mkdir -p "$L/mid/etc" "$L/mid/opt" "$L/mid/var/cache/junk" "$L/mid/usr/lib"
echo layer2 >"$L/mid/etc/hostname"
: >"$L/mid/opt/.wh.gone.txt"
: >"$L/mid/var/cache/junk/.wh..wh..opq"
echo new >"$L/mid/var/cache/junk/new"
head -c 100000 /dev/urandom >"$L/mid/usr/lib/liba.so"
ln "$L/mid/usr/lib/liba.so" "$L/mid/usr/lib/libb.so"
mkdir -p "$L/top/marker" "$L/top2/marker" "$L/tiny/etc"
echo one >"$L/top/marker/file"
echo two >"$L/top2/marker/file"
echo tiny >"$L/tiny/etc/motd"

LAYOUT=$T/layout
"$PY" "$HERE/registry-mkimage.py" "$LAYOUT" --tag tag1 "$L/base:gzip" "$L/mid:zstd" \
	"$L/tiny:gzip" "$L/top:gzip" >"$T/tag1.txt"
"$PY" "$HERE/registry-mkimage.py" "$LAYOUT" --tag tag2 "$L/base:gzip" "$L/mid:zstd" \
	"$L/tiny:gzip" "$L/top2:gzip" >"$T/tag2.txt"
M1=$(awk '$1 == "manifest" { print $2 }' "$T/tag1.txt")

# ---- registries: a real one, a slow fake, a port where nothing listens ----
P1=$(registry_free_port)
REG=127.0.0.1:$P1
registry_start "$T/reg" "$P1"
track_child "$REGISTRY_PID"
registry_push "$LAYOUT" tag1 "$REG/ns/img:tag1"
registry_push "$LAYOUT" tag2 "$REG/ns/img:tag2"
echo "registry on $REG, tag1 = $M1"
# The slow fake trickles its largest blob: give it a big one.
mkdir -p "$L/fat"
head -c $((4 * 1048576)) /dev/urandom >"$L/fat/fat.bin"
"$PY" "$HERE/registry-mkimage.py" "$LAYOUT" --tag fat "$L/base:gzip" "$L/fat:gzip" >/dev/null
PS=$(registry_free_port)
"$PY" "$HERE/registry-fake.py" --layout "$LAYOUT" --port "$PS" --mode slow --log "$T/fake.log" &
track_child $!
registry_wait_port 127.0.0.1 "$PS"
PDOWN=$(registry_free_port)
# The same layout over plain HTTP away from loopback (an address of our
# namespace's lo), and on [::1].
FARIP=10.250.0.1
ip addr add "$FARIP/32" dev lo
PF=$(registry_free_port)
FAR=$FARIP:$PF
"$PY" "$HERE/registry-fake.py" --layout "$LAYOUT" --port "$PF" --host "$FARIP" --mode plain \
	--log "$T/far.log" &
track_child $!
registry_wait_port "$FARIP" "$PF"
P6=$(registry_free_port)
"$PY" "$HERE/registry-fake.py" --layout "$LAYOUT" --port "$P6" --host ::1 --mode plain \
	--log "$T/v6.log" &
track_child $!
registry_wait_port ::1 "$P6"

# ---- netbootd: HTTP on the namespace's loopback, control socket in $T ----
STATE=$T/state
SOCK=$T/control.sock
HPORT=18099
cat >"$T/netbootd.yaml" <<EOF
state_dir: $STATE
dhcp: {enabled: false}
tftp: {enabled: false}
http: {port: $HPORT}
control: {socket: $SOCK}
registry:
  insecure: [$FAR]
  compression: gzip
EOF
"$NETBOOTD" -f -c "$T/netbootd.yaml" >>"$T/log" 2>&1 &
NBPID=$!
track_child "$NBPID"
netbootd_wait_ctl "$SOCK" || true
[ -S "$SOCK" ] || { echo "FAIL: netbootd did not start: $(tail -5 "$T/log")"; exit 1; }

# ---- the import ----
echo "== add-image img $REG/ns/img:tag1"
run 0 -s "$SOCK" add-image img "$REG/ns/img:tag1"
check "pull progress per layer (short digest, 100%)" err_has "^pull [0-9a-f]\{12\}: 100%"
N_PULL=$(grep -c "^pull [0-9a-f]\{12\}: 100%" "$T/err" || true)
check "pull progress reached 100% for 5 blobs (4 layers + config; got $N_PULL)" [ "$N_PULL" -eq 5 ]
check "squashfs phase progress" err_has "^squashfs write: 100%"
run 0 -s "$SOCK" --json images
check "images lists img with source type oci" \
	jqq '.[] | select(.name == "img") | .source.type == "oci"' "$T/out"
check "... pinned to the manifest digest ($M1)" \
	jqq --arg r "$REG/ns/img:tag1@$M1" '.[] | select(.name == "img") | .source.ref == $r' "$T/out"
curl -sf "http://127.0.0.1:$HPORT/images/img/kernel" -o "$T/kernel" || true
curl -sf "http://127.0.0.1:$HPORT/images/img/initrd" -o "$T/initrd" || true
curl -sf "http://127.0.0.1:$HPORT/images/img/rootfs.squashfs" -o "$T/rootfs.squashfs" || true
check "HTTP serves the kernel: /boot/vmlinuz -> vmlinuz-6.1 of the layer" \
	cmp -s "$T/kernel" "$L/base/boot/vmlinuz-6.1"
check "HTTP serves the initrd: /boot/initrd of the layer" cmp -s "$T/initrd" "$L/base/boot/initrd"
check "HTTP serves the squashfs the store holds" \
	cmp -s "$T/rootfs.squashfs" "$STATE/images/img/rootfs.squashfs"
unsquashfs -l -no-progress "$T/rootfs.squashfs" 2>/dev/null | grep '^squashfs-root' |
	sed 's#^squashfs-root/\{0,1\}##' | grep -v '^$' | sort >"$T/tree"
cat >"$T/want" <<EOF
boot
boot/initrd
boot/vmlinuz
boot/vmlinuz-6.1
etc
etc/hostname
etc/motd
etc/os-release
marker
marker/file
opt
opt/keep.txt
usr
usr/bin
usr/bin/tool
usr/lib
usr/lib/liba.so
usr/lib/libb.so
var
var/cache
var/cache/junk
var/cache/junk/new
EOF
check "unsquashfs -l: the flattened tree (whiteout, opaque dir, no .wh.* entries)" \
	diff -u "$T/want" "$T/tree"
U=$T/unsq
unsquashfs -no-progress -d "$U" "$T/rootfs.squashfs" >/dev/null 2>&1 || true
check "upper layer wins: etc/hostname is layer2" [ "$(cat "$U/etc/hostname" 2>/dev/null)" = layer2 ]
check "symlink kept: boot/vmlinuz -> vmlinuz-6.1" [ "$(readlink "$U/boot/vmlinuz")" = vmlinuz-6.1 ]
check "mode kept: usr/bin/tool is 0755" [ "$(stat -c %a "$U/usr/bin/tool" 2>/dev/null)" = 755 ]
check "hard link kept: liba.so and libb.so are one inode" \
	[ "$(stat -c %i "$U/usr/lib/liba.so")" = "$(stat -c %i "$U/usr/lib/libb.so")" ]
check "file data intact (zstd layer)" cmp -s "$U/usr/lib/liba.so" "$L/mid/usr/lib/liba.so"
check "squashfs is gzip with 1 MiB blocks" eval \
	"unsquashfs -s '$T/rootfs.squashfs' | grep -q 'Compression gzip' &&
	 unsquashfs -s '$T/rootfs.squashfs' | grep -q 'Block size 1048576'"
check "no partial blob in the cache" no_partial

echo "== a sibling tag reuses the cached layers"
gets_of() { grep -c "\"GET /v2/ns/img/blobs/$1" "$T/reg/log" || true; }
SHARED=$(awk '$1 == "layer" && $2 < 3 { print $3 }' "$T/tag1.txt")
for d in $SHARED; do
	check "first import fetched shared layer ${d:7:12}" [ "$(gets_of "$d")" -gt 0 ]
	eval "BEFORE_${d:7:12}=$(gets_of "$d")"
done
G1=$(registry_blob_gets "$T/reg" ns/img)
run 0 -s "$SOCK" add-image img2 "$REG/ns/img:tag2"
G2=$(registry_blob_gets "$T/reg" ns/img)
check "sibling import made 2 blob GETs, its own layer and config (got $((G2 - G1)))" \
	[ $((G2 - G1)) -eq 2 ]
for d in $SHARED; do
	eval "B=\$BEFORE_${d:7:12}"
	check "no GET of shared layer ${d:7:12} by the sibling import" [ "$(gets_of "$d")" -eq "$B" ]
done
OWN=$(awk '$1 == "layer" && $2 == 3 { print $3 }' "$T/tag2.txt")
check "the sibling's own layer ${OWN:7:12} was fetched" [ "$(gets_of "$OWN")" -gt 0 ]
unsquashfs -cat "$STATE/images/img2/rootfs.squashfs" marker/file >"$T/m2" 2>/dev/null || true
check "img2 has its own top layer" [ "$(cat "$T/m2")" = two ]

echo "== failures leave no image"
run 1 -s "$SOCK" add-image bad "127.0.0.1:$P1/NS/Bad::ref"
check "bad reference: clear error" err_has "is not valid"
check "... no image" no_image bad
run 1 -s "$SOCK" add-image bad "$REG/ns/img:nope"
check "missing tag: clear error" err_has "not found"
check "... no image" no_image bad
run 1 -s "$SOCK" add-image bad "127.0.0.1:$PDOWN/ns/img:tag1"
check "registry down: clear error" err_has "127.0.0.1:$PDOWN"
check "... no image" no_image bad
echo "== a registry away from loopback: only when marked insecure"
run 0 -s "$SOCK" add-image far "$FAR/ns/img:tag1"
check "$FAR in registry.insecure: pulled over plain HTTP" grep -q "GET /v2/ns/img/manifests/tag1" "$T/far.log"
run 0 -s "$SOCK" remove-image far
echo "== a pull by digest"
run 0 -s "$SOCK" add-image bydigest "$REG/ns/img@$M1"
run 0 -s "$SOCK" --json images
check "a pull by digest records $REG/ns/img@$M1, the digest once" \
	jqq --arg r "$REG/ns/img@$M1" '.[] | select(.name == "bydigest") | .source.ref == $r' "$T/out"
run 0 -s "$SOCK" remove-image bydigest
sed -i "s#  insecure: .*#  insecure: []#" "$T/netbootd.yaml"
reloads() { grep -c "Reloading configuration" "$T/log" || true; }
RELOADS=$(reloads)
kill -HUP "$NBPID"
reloaded() { [ "$(reloads)" -gt "$RELOADS" ]; }
wait_until 30 reloaded || true # the reload runs before any later request
run 1 -s "$SOCK" add-image bad "$FAR/ns/img:tag1"
check "$FAR no longer insecure after SIGHUP: refused over plain HTTP" err_has "https://$FAR/"
check "... no image" no_image bad
run 0 -s "$SOCK" add-image lo "$REG/ns/img:tag1"
run 0 -s "$SOCK" --json images
check "the loopback registry $REG, in no insecure list: plain HTTP all the same" \
	jqq --arg r "$REG/ns/img:tag1@$M1" '.[] | select(.name == "lo") | .source.ref == $r' "$T/out"
run 0 -s "$SOCK" remove-image lo

echo "== Ctrl-C during a slow blob"
"$CTL" -s "$SOCK" add-image slow "127.0.0.1:$PS/ns/img:fat" >"$T/slow.out" 2>"$T/slow.err" &
BG=$!
for _ in $(seq 200); do
	grep -q "GET /v2/ns/img/blobs/" "$T/fake.log" 2>/dev/null && [ -n "$(find "$STATE/cache" -name '*.partial')" ] && break
	sleep 0.05
done
check "the slow blob is being downloaded (a .partial exists)" \
	[ -n "$(find "$STATE/cache" -name '*.partial')" ]
sleep 0.5
kill -INT "$BG"
RC=0
wait "$BG" || RC=$?
check "netbootctl exits 130 on Ctrl-C (got $RC)" [ "$RC" -eq 130 ]
for _ in $(seq 100); do no_image slow && no_partial && break; sleep 0.1; done
check "cancelled: no image, no temporary directory" no_image slow
check "cancelled: no partial blob left" no_partial
check "netbootd still answers" quiet "$CTL" -s "$SOCK" status

echo "== a reload that moves the control socket keeps a running import"
"$CTL" -s "$SOCK" add-image slow2 "127.0.0.1:$PS/ns/img:fat" >"$T/slow2.out" 2>"$T/slow2.err" &
BG=$!
has_partial() { ! no_partial; }
wait_until 30 has_partial || true
check "the slow blob is being downloaded again" has_partial
SOCK2=$T/control2.sock
CANCELS=$(grep -c 'went away, cancelling' "$T/log" || true)
sed -i "s#^control: .*#control: {socket: $SOCK2, group: root}#" "$T/netbootd.yaml"
kill -HUP "$NBPID"
wait_until 30 "$CTL" -s "$SOCK2" status >/dev/null 2>&1 || true
check "after SIGHUP the control socket moved to control.socket's new path" \
	"$CTL" -s "$SOCK2" status
check "... and the old one is gone" [ ! -e "$SOCK" ]
metric() { curl -sf "http://127.0.0.1:$HPORT/metrics" | awk -v m="$1" '$1 == m { print $2 }'; }
check "the import still runs after the reload (imports_running = $(metric netbootd_imports_running))" \
	[ "$(metric netbootd_imports_running)" = 1 ]
check "the client adding it is still connected" kill -0 "$BG"
check "the daemon did not cancel it" [ "$(grep -c 'went away, cancelling' "$T/log" || true)" = "$CANCELS" ]
kill -INT "$BG"
RC=0
wait "$BG" || RC=$?
check "Ctrl-C still reaches it: netbootctl exits 130 (got $RC)" [ "$RC" -eq 130 ]
cancelled2() { no_image slow2 && no_partial; }
wait_until 30 cancelled2 || true
check "cancelled: no image, no partial blob" cancelled2
SOCK=$SOCK2

echo "== netbootctl extract oci (no daemon)"
O=$T/extract/new/dir # missing: created with its parents, as mkdir -p
XDG_CACHE_HOME=$T/xdg run 0 extract oci "$REG/ns/img:tag1" "$O" --insecure
check "extract oci created the missing OUTDIR and its parents" [ -d "$O" ]
check "extract oci wrote kairos-kernel = the layer's kernel" cmp -s "$O/kairos-kernel" "$L/base/boot/vmlinuz-6.1"
check "extract oci wrote kairos-initrd" cmp -s "$O/kairos-initrd" "$L/base/boot/initrd"
unsquashfs -l -no-progress "$O/kairos.squashfs" 2>/dev/null | grep '^squashfs-root' |
	sed 's#^squashfs-root/\{0,1\}##' | grep -v '^$' | sort >"$T/tree2"
check "extract oci: kairos.squashfs has the flattened tree" cmp -s "$T/want" "$T/tree2"
check "extract oci: only the three files" [ "$(ls -A "$O" | tr '\n' ' ')" = "kairos-initrd kairos-kernel kairos.squashfs " ]
check "extract oci: blob cache under XDG_CACHE_HOME/netbootd" [ -d "$T/xdg/netbootd/blobs/sha256" ]
XDG_CACHE_HOME=$T/xdg run 1 extract oci "$REG/ns/img:tag1" "$O" --insecure
check "existing outputs are kept without --force" err_has "exists"
XDG_CACHE_HOME=$T/xdg run 0 --json extract oci "$REG/ns/img:tag2" "$O" img --insecure --compression zstd
check "--json names the manifest digest" jqq '.manifest | startswith("sha256:")' "$T/out"
check "--compression zstd" eval "unsquashfs -s '$O/img.squashfs' | grep -q 'Compression zstd'"
O2=$T/extract2
mkdir -p "$O2"
XDG_CACHE_HOME=$T/xdg run 0 extract oci "$REG/ns/img:tag1" "$O2"
check "extract oci from loopback without --insecure: plain HTTP, as Docker" \
	out_has "^from $REG/ns/img:tag1@$M1 (4 layers)\$"
XDG_CACHE_HOME=$T/xdg run 0 extract oci "localhost:$P1/ns/img:tag1" "$T/extract-localhost"
check "... localhost:$P1 too" cmp -s "$T/extract-localhost/kairos-kernel" "$L/base/boot/vmlinuz-6.1"
XDG_CACHE_HOME=$T/xdg run 0 extract oci "[::1]:$P6/ns/img:tag1" "$T/extract-v6"
check "... and [::1]:$P6" cmp -s "$T/extract-v6/kairos-kernel" "$L/base/boot/vmlinuz-6.1"
check "... which it asked for its manifest" grep -q "GET /v2/ns/img/manifests/tag1" "$T/v6.log"
XDG_CACHE_HOME=$T/xdg run 0 extract oci "$REG/ns/img@$M1" "$T/extract-digest"
check "extract oci by digest prints the reference with the digest once" \
	out_has "^from $REG/ns/img@$M1 (4 layers)\$"
XDG_CACHE_HOME=$T/xdg run 0 --json extract oci "$REG/ns/img@$M1" "$T/extract-digest" --force
check "... --json: reference $REG/ns/img, manifest $M1" \
	jqq --arg r "$REG/ns/img" --arg m "$M1" '.reference == $r and .manifest == $m' "$T/out"
O3=$T/extract3
mkdir -p "$O3"
XDG_CACHE_HOME=$T/xdg run 1 extract oci "$FAR/ns/img:tag1" "$O3"
check "away from loopback without --insecure: refused over plain HTTP" err_has "https://$FAR/"
check "... nothing written" [ -z "$(ls -A "$O3")" ]
XDG_CACHE_HOME=$T/xdg run 0 extract oci "$FAR/ns/img:tag1" "$O3" --insecure
check "... with --insecure: extracted" cmp -s "$O3/kairos-kernel" "$L/base/boot/vmlinuz-6.1"
XDG_CACHE_HOME=$T/xdg-new/a/b run 0 extract oci "$REG/ns/img:tag1" "$T/extract-xdg"
check "a blob cache whose parents are missing is created with them" \
	[ -d "$T/xdg-new/a/b/netbootd/blobs/sha256" ]
check "... mode 0700" [ "$(stat -c %a "$T/xdg-new/a" "$T/xdg-new/a/b/netbootd" | tr '\n' ' ')" = "700 700 " ]
: >"$T/xdg-file"
XDG_CACHE_HOME=$T/xdg-file/c run 1 extract oci "$REG/ns/img:tag1" "$T/extract-xdg2"
said_once() { [ "$(grep -c . "$T/err")" = 1 ] && err_has "$1"; }
check "a blob cache that cannot be created: said once" \
	said_once "cannot create the blob cache \"$T/xdg-file/c/netbootd/blobs/sha256\": Not a directory"
: >"$T/afile"
XDG_CACHE_HOME=$T/xdg run 1 extract oci "$REG/ns/img:tag1" "$T/afile/sub" --insecure
check "a file in place of OUTDIR's parent: clear error" \
	err_has "cannot create the directory \"$T/afile/sub\": Not a directory"

check_summary tail -20 "$T/log"
