#!/bin/bash
# Several netbootd sharing one desired state in etcd (issue 11), with real
# programs: a 3-member etcd cluster (etcd 3.4) in a "core" namespace on a
# bridge, three netbootd instances A, B, C in three namespaces on that
# bridge, each with its own segment (a veth to a client namespace) where a
# crafted PXE client asks ProxyDHCP (tests/lib/cluster.sh).  Proven here:
#   - an empty etcd is seeded by the first instance; the others take it;
#   - an image added from an ISO on A replicates to B and C by digest (and an
#     EFI image, add-image --efi, added on B to A and C)
#     (GET /blobs/sha256:... on A), per-instance readiness in `images`, and
#     then boots a client on C's segment (ProxyDHCP offer + script naming it);
#   - a change made once through one instance is served by all three within
#     1 s; boot events of every instance appear on the others; a machine that
#     reported installed to B is sent to its disk by A, and a reinstall
#     through A puts it back to new on B;
#   - two concurrent `apply -f` on two instances never interleave;
#   - one etcd member killed: no effect; all stopped: changes refused with
#     exit code 5 while every instance keeps serving; restarted: recovered;
#   - kill -9 of an instance: its lease expires, the others go on;
#   - an instance restarted with an empty state directory rebuilds itself
#     from etcd and its peers.
set -euo pipefail

NETBOOTD=${NETBOOTD:?NETBOOTD must point to netbootd}
CTL=${NETBOOTCTL:?NETBOOTCTL must point to netbootctl}
PY=/usr/bin/python3
HERE=$(cd "$(dirname "$0")" && pwd)
MAC1=52:54:00:c1:00:01
MAC2=52:54:00:c1:00:02
export TZ=UTC LC_ALL=C
unset NETBOOTD_SOCKET

# shellcheck source=../lib/cluster.sh
. "$HERE/../lib/cluster.sh"
require_root
require_cmds etcd etcdctl curl ip xorriso jq "$PY"

new_tmpdir test-cluster
T=$TMPDIR_NEW
CTL_ARGS=()

# --- the network: core (etcd, bridge), instances a b c, their clients ----
cluster_setup "$T"

# --- etcd: three members on 10.77.0.1 --------------------------------------
for m in 1 2 3; do cluster_etcd_start "$m"; done
check "etcd: three members healthy" wait_until 60 cluster_etcd_healthy

# --- three instances ------------------------------------------------------
cluster_start a
check "A: synchronised with etcd" wait_until 20 cluster_synced a
check "A seeded the empty etcd (desired/rev)" cluster_ectl get /test/desired/rev --print-value-only
cluster_start b
cluster_start c
check "B: synchronised" wait_until 20 cluster_synced b
check "C: synchronised" wait_until 20 cluster_synced c
check "A sees three instances" wait_until 20 cluster_sees a 3

# --- an image from an ISO on A, replicated to B and C ------------------
K=$T/kairos
cluster_iso "$T"
check "add-image --iso on A" quiet cluster_ctl a add-image kairos --iso "$T/kairos.iso"
check "kairos ready on A (as C sees it)" wait_until 20 cluster_ready_on c kairos a
check "kairos replicated to B" wait_until 60 cluster_ready_on a kairos b
check "kairos replicated to C" wait_until 60 cluster_ready_on a kairos c
check "C's kernel is A's, byte for byte" cmp "$T/state-c/images/kairos/kernel" "$K/boot/kernel"
check "C's rootfs is A's, byte for byte" cmp "$T/state-c/images/kairos/rootfs.squashfs" "$K/rootfs.squashfs"
check "A's log names no failed fetch" bash -c "! grep -q 'Replicating.*failed' '$T/a.log'"
cluster_ctl a images >"$T/out"
check "images shows per-instance readiness" grep -q 'a:ready b:ready c:ready' "$T/out"

# An EFI image (one file, boot.efi) replicates the same way.
if [ -r /usr/lib/ipxe/ipxe.efi ]; then
	check "add-image --efi on B" quiet cluster_ctl b add-image uki --efi /usr/lib/ipxe/ipxe.efi
	check "uki replicated to A" wait_until 60 cluster_ready_on b uki a
	check "uki replicated to C" wait_until 60 cluster_ready_on b uki c
	check "C's boot.efi is the file, byte for byte" cmp "$T/state-c/images/uki/boot.efi" /usr/lib/ipxe/ipxe.efi
	check "C's manifest says kind efi" jq -e '.kind == "efi"' "$T/state-c/images/uki/manifest.json"
	check "remove-image uki" quiet cluster_ctl a remove-image uki
fi

# A client on C's segment boots it: ProxyDHCP offer, then the script.
ask() { # INSTANCE MAC: the boot file C offers an iPXE client
	local n=${CLUSTER_IP[$1]: -1}
	ip netns exec "${CLUSTER_CNS[$1]}" "$PY" "$HERE/proxydhcp-client.py" ask cli0 "10.80.$n.1" "10.80.$n.2" "$2" ipxe 7 2>/dev/null
}
offers_script() { ask "$1" "$2" | grep -q /ipxe/; }
boots() { cluster_script "$1" "$2" 2>/dev/null | grep -q "images/$3/kernel"; }
check "C's ProxyDHCP offers the client its script" offers_script c "$MAC1"
check "C's script boots kairos" boots c "$MAC1" kairos

# --- one change through B, served by all three within 1 s -------------
cluster_ctl b default-boot off >/dev/null
no_boot() { ! cluster_script "$1" "$2" 2>/dev/null | grep -q 'images/.*/kernel'; }
for i in a b c; do check "default-boot off through B: $i refuses unknown machines within 1 s" wait_until 1 no_boot "$i" "$MAC2"; done
cluster_ctl b assign "$MAC2" kairos >/dev/null
for i in a b c; do check "assign through B: $i boots $MAC2 within 1 s" wait_until 1 boots "$i" "$MAC2" kairos; done
seen_on() { cluster_json "$1" machines | jq -e --arg m "$2" --arg w "$3" '.[] | select(.mac == $m) | .last_event.instance == $w' >/dev/null; }
cluster_script b "$MAC2" >/dev/null
check "B's boot event of $MAC2 is seen on A, naming B" wait_until 5 seen_on a "$MAC2" b

# --- a lifecycle report through B reaches A; a reinstall through A reaches B
state_on() { cluster_json "$1" machines | jq -e --arg m "$2" --arg s "$3" '.[] | select(.mac == $m) | .lifecycle.state == $s' >/dev/null; }
ip netns exec "${CLUSTER_NS[b]}" curl -sf "http://${CLUSTER_IP[b]}:$CLUSTER_PORT/config/$MAC2" >"$T/cc2"
REPORT=$(sed -n "s|.*u=\([^;]*/installed\);.*|\1|p" "$T/cc2")
check "B's cloud-config for $MAC2 reports to B" grep -q "u=http://${CLUSTER_IP[b]}:$CLUSTER_PORT/report/" "$T/cc2"
check "the installed report is accepted by B" ip netns exec "${CLUSTER_NS[b]}" curl -sf -X POST -d report "$REPORT"
check "B: $MAC2 installed" wait_until 5 state_on b "$MAC2" installed
check "A learns that $MAC2 is installed" wait_until 10 state_on a "$MAC2" installed
local_on() { cluster_script "$1" "$2" 2>/dev/null | grep -q '^exit'; }
check "A sends the installed $MAC2 to its disk" local_on a "$MAC2"
cluster_ctl a reinstall "$MAC2" >/dev/null
check "a reinstall through A reaches B" wait_until 10 state_on b "$MAC2" new
check "B boots $MAC2 again" boots b "$MAC2" kairos

# --- two concurrent apply -f never interleave ---------------------------
cat >"$T/f1.yaml" <<EOF
profiles:
  p1: {image: kairos, cmdline: "one=1"}
groups:
  g1: {profile: p1, match: {mac: "52:54:00:c1:*"}}
EOF
cat >"$T/f2.yaml" <<EOF
profiles:
  p2: {image: kairos, cmdline: "two=2"}
groups:
  g2: {profile: p2, priority: 10, match: {mac: "52:54:00:c1:*"}}
EOF
rc1=0 rc2=0
cluster_ctl a apply -f "$T/f1.yaml" >"$T/ap1" 2>&1 & p1=$!
cluster_ctl b apply -f "$T/f2.yaml" >"$T/ap2" 2>&1 & p2=$!
wait $p1 || rc1=$?
wait $p2 || rc2=$?
sed 's/^/  a: /' "$T/ap1"
sed 's/^/  b: /' "$T/ap2"
check "concurrent apply: each succeeded or got 'conflict' (6): $rc1 $rc2" \
	bash -c "[[ '$rc1' =~ ^(0|6)$ && '$rc2' =~ ^(0|6)$ && ( '$rc1' = 0 || '$rc2' = 0 ) ]]"
same_fleet() { [ "$(cluster_json a export | jq -S .)" = "$(cluster_json "$1" export | jq -S .)" ]; }
check "B has A's fleet" wait_until 2 same_fleet b
check "C has A's fleet" wait_until 2 same_fleet c
whole() { # each profile arrived with its group; with a conflict, one file only
	local one=false p g
	{ [ "$rc1" = 6 ] || [ "$rc2" = 6 ]; } && one=true
	p=$(cluster_json a profile list | jq -c '[.[].name] | sort')
	g=$(cluster_json a group list | jq -c '[.[].profile] | sort')
	echo "  profiles $p, groups' profiles $g"
	[ "$p" = "$g" ] && [ "$p" != "[]" ] && { [ "$one" = false ] || [ "$(jq length <<<"$p")" = 1 ]; }
}
check "the fleet is one file or both, never a mix" whole

# --- etcd faults ----------------------------------------------------------
cluster_etcd_stop 2 KILL
# A change proposed while etcd elects a new leader may time out (etcd's own
# request timeout): wait until the two left have a leader, as an operator would see.
two_healthy() { ip netns exec "$CLUSTER_CORE" etcdctl --endpoints http://10.77.0.1:23791,http://10.77.0.1:23793 endpoint health >/dev/null 2>&1; }
check "member 2 killed: the other two are healthy" wait_until 30 two_healthy
check "one member killed: a change is accepted" quiet cluster_ctl a label "$MAC2" rack=r1
labelled() { cluster_json "$1" machines | jq -e --arg m "$MAC2" '.[] | select(.mac == $m) | .labels.rack == "r1"' >/dev/null; }
for i in a b c; do check "one member killed: a change still reaches $i" wait_until 5 labelled "$i"; done
cluster_etcd_start 2
check "member 2 back" wait_until 60 cluster_etcd_healthy

for m in 1 2 3; do cluster_etcd_stop "$m" TERM; done
rc=0
wait_until 20 bash -c "! '$CTL' -s '$T/b.sock' --json status | jq -e '.cluster.etcd == \"up\"' >/dev/null" || true
cluster_ctl b label "$MAC2" rack=r2 >"$T/out" 2>&1 || rc=$?
check "etcd down: a change is refused with exit code 5 (got $rc)" [ "$rc" = 5 ]
check "etcd down: the refusal says unavailable" grep -qi unavailable "$T/out"
for i in a b c; do check "etcd down: $i still serves $MAC2" boots "$i" "$MAC2" kairos; done
check "etcd down: B logged it once" bash -c "[ \$(grep -c 'Cannot read\\|unreachable\\|etcd.*down' '$T/b.log') -le 3 ]"
for m in 1 2 3; do cluster_etcd_start "$m"; done
check "etcd restarted" wait_until 60 cluster_etcd_healthy
relabel() { cluster_ctl b label "$MAC2" rack=r3 >/dev/null 2>&1; }
check "etcd back: B takes changes again by itself" wait_until 30 relabel
rack3() { cluster_json "$1" machines | jq -e --arg m "$MAC2" '.[] | select(.mac == $m) | .labels.rack == "r3"' >/dev/null; }
for i in a c; do check "etcd back: $i has the change" wait_until 10 rack3 "$i"; done

# --- kill -9 of an instance ---------------------------------------------
cluster_stop b KILL
gone_b() { ! cluster_ectl get /test/instances/b --print-value-only | grep -q .; }
check "B's lease expired: instances/b gone" wait_until 30 gone_b
for i in a c; do check "B dead: $i still boots $MAC2" boots "$i" "$MAC2" kairos; done

# --- C restarted with an empty state directory ----------------------------
cluster_stop c TERM
cluster_start c "$T/state-c2"
check "C (empty state) synchronised" wait_until 20 cluster_synced c
check "C (empty state) fetched kairos again" wait_until 60 cluster_ready_on a kairos c
check "C (empty state) serves the fleet" wait_until 10 boots c "$MAC2" kairos
check "C (empty state) has the labels" rack3 c
check "C's new kernel is A's" cmp "$T/state-c2/images/kairos/kernel" "$K/boot/kernel"

check_summary
