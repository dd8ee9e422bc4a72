#!/bin/bash
# A BIOS VM network-boots an image that netbootd imported from an OCI
# registry.  Boot 1 is test-boot-bios.sh's (image "e2e", the LAN, netbootd).
# Then a second test image (tests/lib/mkimage.sh: the Debian test kernel,
# the e2e initrd, a root tree with a marker token) is packed as OCI layers:
#   layer 0 (gzip): /boot/vmlinuz-KVER, /boot/vmlinuz -> vmlinuz-KVER,
#                   /boot/initrd, /etc/issue, /junk
#   layer 1 (zstd): the marker file, the payload and its checksum, and a
#                   whiteout for /junk
# pushed with skopeo into a docker-registry on the boot namespace's loopback,
# imported with `netbootctl add-image oci REF` (the squashfs is written by
# lib/oci-layers from the layers, not by mksquashfs), and the VM's MAC is
# assigned to it.  The VM boots again and its initrd must loop-mount OUR
# squashfs and find this run's marker and an intact payload.
set -euo pipefail
E2E_NAME=boot-oci
. "$(dirname "$0")/../lib/boot.sh"
# shellcheck source=tests/lib/registry.sh
. "$E2E_LIB/registry.sh"

boot_ctl_setup boot-oci
require_cmds docker-registry skopeo unsquashfs zstd
say "netbootd: $netbootd, netbootctl: $ctl"

say "== boot 1: image e2e (the LAN and netbootd as in test-boot-bios.sh)"
boot_first "the first boot"

say "== the OCI image"
boot_mkimage "$WORK/b" B
B_MARKER=$IMG_MARKER
KVER=$IMG_KVER
unsquashfs -no-progress -d "$WORK/tree" "$WORK/b/images/B/rootfs.squashfs" >/dev/null
L0=$WORK/l0
L1=$WORK/l1
mkdir -p "$L0/boot" "$L0/etc" "$L1"
cp "$WORK/b/images/B/kernel" "$L0/boot/vmlinuz-$KVER"
ln -s "vmlinuz-$KVER" "$L0/boot/vmlinuz"
cp "$WORK/b/images/B/initrd" "$L0/boot/initrd"
cp "$WORK/tree/etc/issue" "$L0/etc/issue"
echo "deleted by the next layer" >"$L0/junk"
cp "$WORK/tree/netbootd-e2e-marker" "$WORK/tree/payload" "$WORK/tree/payload.sha256" "$L1/"
: >"$L1/.wh.junk"
/usr/bin/python3 "$E2E_TOP/tests/integration/registry-mkimage.py" "$WORK/layout" --tag v1 \
	"$L0:gzip" "$L1:zstd" >"$WORK/layout.txt"
say "layers: $(awk '$1 == "layer" { printf "%s (%s bytes) ", $3, $4 }' "$WORK/layout.txt")"

REGISTRY_EXEC=("${LAN_BOOT_EXEC[@]}")
RPORT=$(registry_free_port)
registry_start "$WORK/reg" "$RPORT" || die "the registry did not start: $(tail -5 "$WORK/reg/log")"
cleanup_push "kill_pid $REGISTRY_PID"
REF=127.0.0.1:$RPORT/kairos/e2e:v1
registry_push "$WORK/layout" v1 "$REF" || die "skopeo could not push $REF"
say "registry in $LAN_BOOT on 127.0.0.1:$RPORT holds $REF"

# netbootd learns that this registry speaks plain HTTP: config + SIGHUP.
printf 'registry:\n  insecure: [127.0.0.1:%s]\n' "$RPORT" >>"$BOOT_DIR/netbootd.yaml"
kill -HUP "$PID"
for _ in $(seq 50); do log_has "Reloading configuration" && break; sleep 0.1; done

say "== add-image oci $REF"
verify "netbootctl add-image oci $REF" nctl add-image oci "$REF"
nctl --json images >"$WORK/images.json" || true
verify "images lists oci with source type oci" \
	sh -c "jq -e '.[] | select(.name == \"oci\") | .source.type == \"oci\"' '$WORK/images.json' >/dev/null"
verify "the image's kernel is the layer's /boot/vmlinuz target" \
	cmp -s "$BOOT_DIR/state/images/oci/kernel" "$L0/boot/vmlinuz-$KVER"
verify "the image's squashfs holds the marker (unsquashfs)" \
	sh -c "unsquashfs -cat '$BOOT_DIR/state/images/oci/rootfs.squashfs' netbootd-e2e-marker | grep -qx '$B_MARKER'"
verify "the whiteout removed /junk" \
	sh -c "! unsquashfs -l '$BOOT_DIR/state/images/oci/rootfs.squashfs' | grep -q 'squashfs-root/junk'"
verify "netbootctl assign $VM_MAC oci" nctl assign "$VM_MAC" oci

say "== boot 2: the same VM, assigned to the OCI image"
boot_again 25
url="http://$LAN_SERVER:8090"
verify "the VM booted the OCI image and reported success" [ "$BOOT_AGAIN_RC" = 0 ]
verify "its kernel command line points at image oci" s2 "root=live:$url/images/oci/rootfs.squashfs"
verify "the VM mounted our squashfs and found this run's marker ($B_MARKER)" \
	s2 "squashfs marker $B_MARKER ok"
verify "the squashfs the VM downloaded is the stored one (sha256)" \
	s2 "squashfs sha256 $(sha256sum "$BOOT_DIR/state/images/oci/rootfs.squashfs" | cut -d' ' -f1)"
verify "netbootd served the image's kernel" log_has "HTTP GET \"/images/oci/kernel\" from [^ ]+: 200"

boot_verdict "OCI boot" "a VM booted an image imported from an OCI registry (kernel $KVER, our squashfs)"
