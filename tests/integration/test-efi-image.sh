#!/bin/bash
# An image of kind efi (add-image --efi): one EFI application kept whole.
# The daemon refuses a file that is not PE/COFF, stores the file as
# boot.efi with its digest (manifest "kind": "efi"), serves it over HTTP
# (application/efi, Range, HEAD) and TFTP, and answers crafted DHCP
# clients (scapy) with it: UEFI HTTP Boot (arch 16) gets its URL, an EFI PXE
# ROM (arch 7) its TFTP name, a BIOS ROM iPXE as before, iPXE a script that
# chains it; explain says the same.  An image of kind iso (add-image
# --whole-iso): an ISO kept whole, refused without an El Torito EFI entry,
# served as boot.iso (application/vnd.efi-iso) to UEFI HTTP Boot; UEFI PXE
# ROMs get iPXE, whose script sanboots it; a GRUB profile gets nothing.
set -euo pipefail

NETBOOTD=${NETBOOTD:-$(dirname "$0")/../../build/daemon/netbootd}
CTL=${NETBOOTCTL:-$(dirname "$NETBOOTD")/../ctl/netbootctl}
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
SRV=nbesrv$$
CLI=nbecli$$
VS=nbes$$
VC=nbec$$
SADDR=10.83.0.1
CADDR=10.83.0.2
BASE=http://$SADDR:8090
M_UKI=52:54:00:00:e1:01 # assigned the EFI image
M_LIN=52:54:00:00:e1:02 # assigned the Linux image
M_ISO=52:54:00:00:e1:03 # assigned the ISO image
# shellcheck source=../lib/netbootd.sh
. "$HERE/../lib/netbootd.sh"
# shellcheck source=../lib/efi-iso.sh
. "$HERE/../lib/efi-iso.sh"
require_root
require_cmds curl ip jq cmp "$PY" xorriso mkfs.fat mcopy
"$PY" -c 'import scapy.all' 2>/dev/null || skip "python3-scapy missing"
[ -x "$NETBOOTD" ] || { echo "FAIL: no netbootd at $NETBOOTD"; exit 1; }
EFI_SRC=
for f in /usr/lib/systemd/boot/efi/linuxx64.efi.stub /usr/lib/ipxe/ipxe.efi; do
	[ -r "$f" ] && { EFI_SRC=$f; break; }
done
[ -n "$EFI_SRC" ] || skip "no EFI application to add (systemd-boot-efi or ipxe)"

new_tmpdir test-efi-image
TMP=$TMPDIR_NEW
T=$TMP
jqq() { jq -e "$@" >/dev/null || { echo "    got: $(head -c 600 "$T/out")"; false; }; }
cli() { ip netns exec "$CLI" "$@"; }
hy() { echo "$1" | tr : -; }
ask() { cli "$PY" "$HERE/proxydhcp-client.py" ask "$VC" "$SADDR" "$CADDR" "$@"; }
offered() { # MAC KIND ARCH WANT
	local got
	got=$(ask "$1" "$2" "$3")
	[ "$got" = "$4" ] || { echo "    offered \"$got\", expected \"$4\""; return 1; }
}
header_is() { # FILE NAME VALUE
	grep -qi "^$2: $3"$'\r'"\?$" "$1" || { echo "    headers:"; sed 's/^/      /' "$1"; false; }
}

echo "== namespaces $SRV and $CLI"
new_veth_pair "$SRV" "$CLI" "$VS" "$VC" $SADDR/24 $CADDR/24

# An EFI application of some size: the stub with a section of random bytes added.
cp "$EFI_SRC" "$TMP/app.efi"
head -c 300000 /dev/urandom >"$TMP/pad"
if command -v objcopy >/dev/null; then
	objcopy --add-section .pad="$TMP/pad" --set-section-flags .pad=data,readonly \
		"$EFI_SRC" "$TMP/app.efi" 2>/dev/null || cp "$EFI_SRC" "$TMP/app.efi"
fi
mkdir -p "$TMP/lin"
head -c 4096 /dev/urandom >"$TMP/lin/kernel"
head -c 4096 /dev/urandom >"$TMP/lin/initrd"
fake_squashfs 4096 >"$TMP/lin/rootfs.squashfs"
echo "not a PE file" >"$TMP/notpe.efi"
efi_iso_build "$TMP/live.iso" "$TMP/app.efi" NB_LIVE
bios_iso_build "$TMP/bios.iso"
head -c 100000 /dev/urandom >"$TMP/random.iso"
{ printf 'MZ'; head -c 200 /dev/zero; } >"$TMP/badpe.efi"

STATE=$TMP/state
mkdir -p "$STATE" "$TMP/tftp"
cat >"$TMP/netbootd.yaml" <<EOF
state_dir: $STATE
interfaces: [$VS]
tftp: {root: $TMP/tftp}
control: {socket: $TMP/control.sock}
ipxe: {bios: undionly.kpxe, efi64: ipxe.efi}
EOF
netbootd_start "$TMP/log" "$SRV" -f -c "$TMP/netbootd.yaml"
netbootd_wait_ready "$TMP/log" || { echo "FAIL: netbootd did not start"; tail "$TMP/log"; exit 1; }
CTL_ARGS=(-s "$TMP/control.sock")

echo "== add-image --efi"
run 1 add-image bad --efi "$TMP/notpe.efi"
check "a file without MZ is refused" err_has "is not an EFI application (PE/COFF)"
run 1 add-image bad --efi "$TMP/badpe.efi"
check "a broken PE is refused" err_has "is not an EFI application (PE/COFF)"
check "... and leaves no image" [ ! -e "$STATE/images/bad" ]
run 2 add-image bad --efi "$TMP/app.efi" --cmdline quiet
check "--cmdline with --efi is a usage error" err_has "carries its own command line"
run 0 add-image uki --efi "$TMP/app.efi"
check "added" out_has "added image uki: boot.efi"
run 0 add-image lin --dir "$TMP/lin"
check "the image directory holds boot.efi only" \
	sh -c "[ \"\$(ls '$STATE/images/uki')\" = \"\$(printf 'boot.efi\nmanifest.json')\" ]"
check "the file is kept whole" cmp "$TMP/app.efi" "$STATE/images/uki/boot.efi"
check "manifest: kind efi, source file, its digest" jq -e --arg d "$(sha256sum <"$TMP/app.efi" | cut -c1-64)" \
	'.kind == "efi" and .source.type == "file" and .cmdline == null and (.files | keys) == ["boot.efi"] and .files["boot.efi"].sha256 == $d' \
	"$STATE/images/uki/manifest.json"
check "a Linux manifest has no kind" jq -e 'has("kind") | not' "$STATE/images/lin/manifest.json"
run 0 images
check "images shows the kind" out_has "^uki  *efi  *file:$TMP/app.efi"
check "... and linux for the others" out_has "^lin  *linux  *dir:"
run 0 --json images
check "--json images: kind efi" jqq '[.[] | select(.name == "uki")][0].kind == "efi"' "$T/out"
run 0 assign "$M_UKI" uki
run 0 assign "$M_LIN" lin

echo "== HTTP and TFTP"
check "GET boot.efi: the whole file" cli curl -sf -D "$TMP/h" -o "$TMP/got" "$BASE/images/uki/boot.efi"
check "... equal" cmp "$TMP/app.efi" "$TMP/got"
check "... Content-Type application/efi" header_is "$TMP/h" Content-Type application/efi
check "HEAD: its length" sh -c "ip netns exec $CLI curl -sfI '$BASE/images/uki/boot.efi' | tr -d '\r' | grep -qix 'content-length: $(stat -c %s "$TMP/app.efi")'"
check "Range: 206 and the bytes" bash -c "ip netns exec $CLI curl -sf -r 100-199 '$BASE/images/uki/boot.efi' | cmp - <(tail -c +101 '$TMP/app.efi' | head -c 100)"
check "no kernel in an EFI image" [ "$(cli curl -s -o /dev/null -w '%{http_code}' "$BASE/images/uki/kernel")" = 404 ]
check "no boot.efi in a Linux image" [ "$(cli curl -s -o /dev/null -w '%{http_code}' "$BASE/images/lin/boot.efi")" = 404 ]
check "TFTP images/uki/boot.efi: the whole file" cli curl -sf --tftp-blksize 1468 -o "$TMP/got2" "tftp://$SADDR/images/uki/boot.efi"
check "... equal" cmp "$TMP/app.efi" "$TMP/got2"

echo "== ProxyDHCP"
check "UEFI HTTP Boot (16): the EFI application's URL" offered "$M_UKI" http 16 "$BASE/images/uki/boot.efi"
check "EFI PXE ROM (7): its TFTP name" offered "$M_UKI" pxe 7 "images/uki/boot.efi"
check "BIOS PXE ROM (0): iPXE as before" offered "$M_UKI" pxe 0 undionly.kpxe
check "a Linux image over HTTP Boot: the loader" offered "$M_LIN" http 16 "$BASE/boot/ipxe.efi"
check "iPXE: its script URL" offered "$M_UKI" ipxe 7 "$BASE/ipxe/$(hy $M_UKI)?arch=efi-x86_64&uuid=10111213-1415-1617-1819-1a1b1c1d1e1f"
cli curl -sf "$BASE/ipxe/$(hy $M_UKI)?arch=efi-x86_64" >"$TMP/script"
check "... which chains boot.efi" grep -qx "chain $BASE/images/uki/boot.efi && goto failed ||" "$TMP/script"
check "... and loads no kernel" sh -c "! grep -q '^kernel ' '$TMP/script'"
check "the boot event of the download is a kernel event" grep -q 'Boot progress of .*: kernel "uki", [0-9]* of [0-9]* bytes$' "$TMP/log"

echo "== explain"
run 0 --json explain "$M_UKI" --arch http-x86_64
check "explain: the loader is the EFI URL" jqq --arg u "$BASE/images/uki/boot.efi" '.plan.loader == $u and .plan.efi == $u and .plan.kernel == null' "$T/out"
run 0 --json explain "$M_UKI" --arch efi-x86_64
check "explain (PXE ROM): the TFTP name" jqq '.plan.loader == "images/uki/boot.efi"' "$T/out"
run 0 explain "$M_UKI" --arch http-x86_64
check "explain prints it" out_has "loader  *$BASE/images/uki/boot.efi"

echo "== add-image --whole-iso"
run 1 add-image bad --whole-iso "$TMP/random.iso"
check "random bytes are refused" err_has "cannot boot whole: not an ISO 9660 image"
run 1 add-image bad --whole-iso "$TMP/bios.iso"
check "a BIOS-only ISO is refused" err_has "has no bootable El Torito EFI entry: UEFI cannot boot it whole (it boots BIOS only)"
run 1 add-image bad --whole-iso "$TMP/notpe.efi"
check "a short file is refused" err_has "cannot boot whole: too short for an ISO 9660 image"
check "... and no image is left" [ ! -e "$STATE/images/bad" ]
run 2 add-image bad --whole-iso "$TMP/live.iso" --cmdline quiet
check "--cmdline with --whole-iso is a usage error" err_has "no --cmdline with --whole-iso"
run 0 add-image live --whole-iso "$TMP/live.iso"
check "added" out_has "added image live: boot.iso"
check "the file is kept whole" cmp "$TMP/live.iso" "$STATE/images/live/boot.iso"
check "manifest: kind iso, source file" jq -e '.kind == "iso" and .source.type == "file" and (.files | keys) == ["boot.iso"]' \
	"$STATE/images/live/manifest.json"
run 0 images
check "images shows the kind iso" out_has "^live  *iso  *file:$TMP/live.iso"
run 0 assign "$M_ISO" live
check "GET boot.iso: the whole file" cli curl -sf -D "$TMP/h" -o "$TMP/got" "$BASE/images/live/boot.iso"
check "... equal" cmp "$TMP/live.iso" "$TMP/got"
check "... Content-Type application/vnd.efi-iso" header_is "$TMP/h" Content-Type application/vnd.efi-iso
check "Range (as iPXE's sanboot reads): 206 and the bytes" bash -c "ip netns exec $CLI curl -sf -r 32768-34815 '$BASE/images/live/boot.iso' | cmp - <(tail -c +32769 '$TMP/live.iso' | head -c 2048)"
check "no boot.iso in an EFI image" [ "$(cli curl -s -o /dev/null -w '%{http_code}' "$BASE/images/uki/boot.iso")" = 404 ]
check "UEFI HTTP Boot (16): the ISO's URL" offered "$M_ISO" http 16 "$BASE/images/live/boot.iso"
check "EFI PXE ROM (7): iPXE, which can sanboot it" offered "$M_ISO" pxe 7 ipxe.efi
check "BIOS PXE ROM (0): iPXE" offered "$M_ISO" pxe 0 undionly.kpxe
cli curl -sf "$BASE/ipxe/$(hy $M_ISO)?arch=efi-x86_64" >"$TMP/script"
check "iPXE's script sanboots boot.iso" grep -qx "sanboot --no-describe $BASE/images/live/boot.iso && goto failed ||" "$TMP/script"
run 0 --json explain "$M_ISO" --arch http-x86_64
check "explain: the loader is the ISO's URL" jqq --arg u "$BASE/images/live/boot.iso" '.plan.loader == $u and .plan.kernel == null' "$T/out"
run 0 --json explain "$M_ISO" --arch efi-x86_64
check "explain (PXE ROM): iPXE, and the script's sanboot URL" jqq --arg u "$BASE/images/live/boot.iso" '.plan.loader == "ipxe.efi" and .plan.efi == $u' "$T/out"
cat >"$TMP/fleet.yaml" <<EOF
profiles:
  grubby: {image: live, loader: grub}
machines:
  "$M_ISO": { profile: grubby }
EOF
if run 0 apply -f "$TMP/fleet.yaml"; then
	check "a grub profile over UEFI PXE: no answer" offered "$M_ISO" pxe 7 none
	check "... and a log line saying why" wait_until 10 grep -q "Not answering .* $M_ISO .*an ISO image boots through UEFI HTTP Boot or iPXE, not its profile's GRUB" "$TMP/log"
	check "... HTTP Boot still gets the ISO" offered "$M_ISO" http 16 "$BASE/images/live/boot.iso"
else
	check "apply -f of a grub profile" false
fi

echo "== after a restart"
netbootd_stop
netbootd_start "$TMP/log2" "$SRV" -f -c "$TMP/netbootd.yaml"
netbootd_wait_ready "$TMP/log2" || { echo "FAIL: netbootd did not restart"; tail "$TMP/log2"; exit 1; }
check "the EFI image is read back and offered" offered "$M_UKI" http 16 "$BASE/images/uki/boot.efi"
run 0 remove-image uki --force
check "removed" [ ! -e "$STATE/images/uki" ]

check_summary tail -20 "$TMP/log"
