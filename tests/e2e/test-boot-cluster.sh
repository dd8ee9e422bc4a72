#!/bin/bash
# A BIOS VM network-boots through a netbootd that learned its image only from
# the cluster (store.backend: etcd).  Besides the throwaway LAN of
# test-boot-bios.sh, a "core" namespace (another host) joined to the boot
# namespace by a veth holds etcd (one member) and instance A, a netbootd
# without ProxyDHCP or TFTP.  The test gives A the image (add-image --dir)
# and the cloud-config (config set, config default).  Instance B is the
# netbootd on the LAN: its configuration names the store, its advertise
# address and an empty state directory; it must take the image's record
# from etcd and its files from A (GET /blobs/sha256:... on A's advertised
# address), show it b:ready in `netbootctl images`, and then boot the VM
# exactly as test-boot-bios.sh checks it; its boot shows in `netbootctl
# machines` on B and, through etcd, on A.
set -euo pipefail
E2E_NAME=boot-cluster
. "$(dirname "$0")/../lib/boot.sh"
# shellcheck source=tests/lib/etcd.sh
. "$E2E_LIB/etcd.sh"

boot_ctl_setup boot-cluster
require_cmds etcd etcdctl jq
say "netbootd: $netbootd, netbootctl: $ctl"

# The image and its cloud-config are built beside B's state, never in it.
boot_prepare bios image
IMG=$BOOT_IMAGE_DIR/images/e2e
boot_lan

CORE=nbd-core-$$
CORE_IP=10.$LAN_OCTET.1.1
CORE_PEER=10.$LAN_OCTET.1.2
ETCD=http://$CORE_IP:2379
new_netns "$CORE"
add_veth "$CORE" "$LAN_BOOT" eth0 eth1 "$CORE_IP/24" "$CORE_PEER/24"
say "Core $CORE (eth0 $CORE_IP/24) joined to $LAN_BOOT (eth1 $CORE_PEER/24)"

etcd_start "$CORE" e0 "$BOOT_DIR/etcd" "$BOOT_DIR/etcd.log" "$ETCD" \
	http://127.0.0.1:2380 e0=http://127.0.0.1:2380 "nbd-$$"
cleanup_push "kill_pid $ETCD_PID"
wait_until 60 etcd_healthy_in "$CORE" "$ETCD" || die "etcd did not become healthy: $(tail -5 "$BOOT_DIR/etcd.log")"
say "etcd healthy at $ETCD (pid $ETCD_PID)"

# store_yaml INSTANCE: the store section of an instance's configuration.
store_yaml() {
	printf 'store:\n  backend: etcd\n  endpoints: [%s]\n  prefix: /e2e/\n  instance: %s\n' "$ETCD" "$1"
}

mkdir -p "$BOOT_DIR/state-a" "$BOOT_DIR/state-b"
cat >"$BOOT_DIR/a.yaml" <<EOF
# Instance A: another host's netbootd, a source of images for the others.
state_dir: $BOOT_DIR/state-a
advertise: $CORE_IP
dhcp: {enabled: false}
tftp: {enabled: false}
control: {socket: $BOOT_DIR/a.sock}
EOF
store_yaml a >>"$BOOT_DIR/a.yaml"
A_LOG=$BOOT_DIR/a.log
# nsenter execs netbootd: $! is its PID.
nsenter "--net=/run/netns/$CORE" -- env -u JOURNAL_STREAM "$netbootd" -f -d -c "$BOOT_DIR/a.yaml" >"$A_LOG" 2>&1 &
A_PID=$!
cleanup_push "kill_pid $A_PID"
actl() { "$ctl" -s "$BOOT_DIR/a.sock" "$@"; }
synced() { "$ctl" -s "$1" --json status 2>/dev/null | jq -e '.cluster.synchronised == true and .cluster.etcd == "up"' >/dev/null; }
wait_until 30 synced "$BOOT_DIR/a.sock" || die "instance A did not synchronise with etcd: $(tail -5 "$A_LOG")"
say "Instance A (pid $A_PID) synchronised with etcd"

verify "A: config set e2e-cfg" actl config set e2e-cfg "$BOOT_IMAGE_DIR/cloud-config.yaml"
verify "A: config default e2e-cfg" actl config default e2e-cfg
verify "A: default-boot on" actl default-boot on
verify "A: add-image e2e --dir" actl add-image e2e --dir "$IMG"
# ready_on SOCKET WHERE: image e2e is ready on instance WHERE, as the
# instance on SOCKET sees it.
ready_on() {
	"$ctl" -s "$1" --json images 2>/dev/null |
		jq -e --arg w "$2" '.[] | select(.name == "e2e") | .instances[$w] == "ready"' >/dev/null
}
# A is alone in the cluster here: its readiness must follow its own commit,
# not wait for a peer's change to wake it.
verify "A: e2e ready on A, as A's images says" wait_until 10 ready_on "$BOOT_DIR/a.sock" a

# B: the LAN's netbootd, the store, its advertise address, an empty state.
cat >"$BOOT_DIR/netbootd.yaml" <<EOF
# Instance B: the boot server on the LAN; all it knows comes from the cluster.
state_dir: $BOOT_DIR/state-b
advertise: $LAN_SERVER
EOF
store_yaml b >>"$BOOT_DIR/netbootd.yaml"
boot_write_control "$BOOT_DIR/netbootd.yaml"
verify "B's state directory is empty before B starts" \
	bash -c "[ -z \"\$(find '$BOOT_DIR/state-b' -mindepth 1 -print -quit)\" ]"
t_b=$(date +%s.%N)
boot_netbootd "$netbootd" "$BOOT_DIR/netbootd.yaml"
verify "B: synchronised with etcd" wait_until 30 synced "$BOOT_CONTROL_SOCKET"
verify "B: e2e replicated to B" wait_until 120 ready_on "$BOOT_CONTROL_SOCKET" b
say "B had the image $(seconds_between "$t_b" "$(date +%s.%N)") s after it started"
nctl images | tee "$BOOT_DIR/images-b.txt" || true
verify "B: netbootctl images shows e2e a:ready b:ready" grep -qE '^e2e .*a:ready b:ready' "$BOOT_DIR/images-b.txt"
for f in kernel initrd rootfs.squashfs; do
	verify "B's $f is A's, byte for byte" cmp "$BOOT_DIR/state-b/images/e2e/$f" "$IMG/$f"
	sum=$(sha256sum "$IMG/$f" | cut -d' ' -f1)
	verify "A served B its $f by digest" \
		grep -qE "HTTP GET \"/blobs/sha256:$sum\" from $CORE_PEER(:[0-9]+)?: 20[06]" "$A_LOG"
done
verify "B logged the replication" log_has 'Replicated image "e2e"'

boot_vm_check bios "${E2E_TIMEOUT:-240}" || FAILS=$((FAILS + BOOT_FAILURES))

# machines_saw SOCKET: the instance on SOCKET shows the VM's last boot
# event as B's.
machines_saw() {
	"$ctl" -s "$1" --json machines 2>/dev/null | jq -e --arg m "$VM_MAC" \
		'.[] | select(.mac == $m) | .last_event.instance == "b"' >/dev/null
}
nctl machines || true
verify "B: netbootctl machines shows the VM's boot, served by B" machines_saw "$BOOT_CONTROL_SOCKET"
verify "A: netbootctl machines shows the VM's boot by B (through etcd)" wait_until 10 machines_saw "$BOOT_DIR/a.sock"
verify "A logged no error" bash -c "! grep -qE '^netbootd: (emerg|alert|crit|error): ' '$A_LOG'"

say "$BOOT_SUMMARY"
if [ "$FAILS" -gt 0 ]; then
	echo "--- last lines of A's log ---" >&2
	tail -n 20 "$A_LOG" >&2
fi
boot_verdict "cluster boot" "a VM booted through an instance that learned its image only from the cluster"
