#!/bin/bash
# Fleets at scale: MACHINES (10000) machines with labels, GROUPS (500) groups,
# PROFILES (50) profiles.
#
#  - one boot decision (build/bench/fleet-decide: boot_decide over the same
#    shape in memory, random machines, half of them unknown): median and p99;
#  - netbootctl apply -f of that fleet file to a running netbootd: wall time,
#    and the daemon's RSS before and after (VmRSS); a second apply of the same
#    file (a no-op) and an export;
#  - netbootctl explain of one machine: wall time.
# No peer program is measured side by side: nothing in Debian has groups and
# selectors at runtime (Matchbox and Tinkerbell are not packaged).
#
# usage: bench/bench-fleet.sh [BUILD-DIR]     (default build)
# env:   MACHINES (10000), FLEET_GROUPS (500), PROFILES (50), ROUNDS (200000)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
BUILD=${1:-$HERE/../build}
NETBOOTD=$BUILD/daemon/netbootd
CTL=$BUILD/ctl/netbootctl
DECIDE=$BUILD/bench/fleet-decide
MACHINES=${MACHINES:-10000}
GROUPS_N=${FLEET_GROUPS:-500}
PROFILES=${PROFILES:-50}
ROUNDS=${ROUNDS:-200000}
HPORT=18492

for t in python3 "$NETBOOTD" "$CTL" "$DECIDE"; do
	command -v "$t" >/dev/null || { echo "bench-fleet: $t not found" >&2; exit 1; }
done

TMP=$(mktemp -d /tmp/netbootd-bench-fleet.XXXXXX)
NB_PID=
cleanup() {
	[ -z "$NB_PID" ] || kill "$NB_PID" 2>/dev/null || true
	[ -z "$NB_PID" ] || wait "$NB_PID" 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT

now_ms() { echo $(($(date +%s%N) / 1000000)); }
rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$NB_PID/status"; }

echo "== one decision ($MACHINES machines, $GROUPS_N groups, $PROFILES profiles, $ROUNDS rounds)"
"$DECIDE" "$MACHINES" "$GROUPS_N" "$PROFILES" "$ROUNDS"

# The same shape as a fleet file: profiles pNNN, groups gNNNN (a MAC glob, a
# rack label or an architecture each, distinct priorities), machines with a
# rack label.
python3 - "$MACHINES" "$GROUPS_N" "$PROFILES" >"$TMP/fleet.yaml" <<'EOF'
import sys
nm, ng, np = map(int, sys.argv[1:4])
arches = ["bios", "efi-ia32", "efi-x86_64", "efi-arm64", "http-x86_64", "http-arm64"]
print("profiles:")
for i in range(np):
    print("  p%03d: { image: kairos, cmdline_append: \"console=ttyS%d\" }" % (i, i % 4))
print("groups:")
for i in range(ng):
    if i % 3 == 0:
        match = "mac: \"52:54:%02x:*\"" % (i % 256)
    elif i % 3 == 1:
        match = "labels: { rack: r%d }" % i
    else:
        match = "arch: %s" % arches[i % len(arches)]
    print("  g%04d: { match: { %s }, profile: p%03d, priority: %d }" % (i, match, i % np, i))
print("machines:")
for i in range(nm):
    mac = "52:54:%02x:%02x:%02x:01" % ((i >> 16) & 255, (i >> 8) & 255, i & 255)
    print("  \"%s\": { labels: { rack: r%d } }" % (mac, (i * 7) % ng))
EOF
echo "fleet file: $(wc -c <"$TMP/fleet.yaml") bytes"

mkdir -p "$TMP/state/images/kairos"
printf kernel >"$TMP/state/images/kairos/kernel"
printf initrd >"$TMP/state/images/kairos/initrd"
printf 'hsqs' >"$TMP/state/images/kairos/rootfs.squashfs"
cat >"$TMP/netbootd.yaml" <<EOF
state_dir: $TMP/state
dhcp: {enabled: false}
tftp: {enabled: false}
http: {port: $HPORT}
control: {socket: $TMP/control.sock}
EOF
"$NETBOOTD" -f -c "$TMP/netbootd.yaml" >"$TMP/log" 2>&1 &
NB_PID=$!
for _ in $(seq 300); do "$CTL" -s "$TMP/control.sock" status >/dev/null 2>&1 && break; sleep 0.1; done
C=("$CTL" -s "$TMP/control.sock")

echo "== apply -f (to a running netbootd)"
R0=$(rss_kib)
T0=$(now_ms)
"${C[@]}" apply -f "$TMP/fleet.yaml" >"$TMP/apply.out"
T1=$(now_ms)
R1=$(rss_kib)
echo "apply: $((T1 - T0)) ms, $(wc -l <"$TMP/apply.out") changes; RSS $R0 KiB -> $R1 KiB (+$(((R1 - R0) / 1024)) MiB)"
T0=$(now_ms)
"${C[@]}" apply -f "$TMP/fleet.yaml" >"$TMP/apply2.out"
T1=$(now_ms)
echo "apply again (no-op): $((T1 - T0)) ms: $(head -1 "$TMP/apply2.out")"
T0=$(now_ms)
"${C[@]}" export >"$TMP/export.yaml"
T1=$(now_ms)
echo "export: $((T1 - T0)) ms, $(wc -c <"$TMP/export.yaml") bytes"
T0=$(now_ms)
"${C[@]}" explain 52:54:00:00:07:01 --arch efi-x86_64 >"$TMP/explain.out"
T1=$(now_ms)
echo "explain: $((T1 - T0)) ms (netbootctl start to end): $(grep -m1 '^  why' "$TMP/explain.out" || true)"
echo "RSS after everything: $(rss_kib) KiB"
