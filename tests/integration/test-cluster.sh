#!/bin/bash
# Several netbootd sharing one desired state in etcd (issue 11), with real
# programs: a 3-member etcd cluster (etcd 3.4) in a "core" namespace on a
# bridge, three netbootd instances A, B, C in three namespaces on that
# bridge, each with its own segment (a veth to a client namespace) where a
# crafted PXE client asks ProxyDHCP.  Proven here:
#   - an empty etcd is seeded by the first instance; the others take it;
#   - an image added from an ISO on A replicates to B and C by digest
#     (GET /blobs/sha256:... on A), per-instance readiness in `images`, and
#     then boots a client on C's segment (ProxyDHCP offer + script naming it);
#   - a change made once through one instance is served by all three within
#     1 s; boot events of every instance appear on the others;
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
TAG=nbcl$$
CORE=${TAG}x
PORT=8090
MAC1=52:54:00:c1:00:01
MAC2=52:54:00:c1:00:02
export TZ=UTC LC_ALL=C
unset NETBOOTD_SOCKET

# shellcheck source=../lib/netbootd.sh
. "$HERE/../lib/netbootd.sh"
# shellcheck source=../lib/etcd.sh
. "$HERE/../lib/etcd.sh"
require_root
require_cmds etcd etcdctl curl ip xorriso jq "$PY"

new_tmpdir test-cluster
T=$TMPDIR_NEW
CTL_ARGS=()

# --- the network: core (etcd, bridge), instances a b c, their clients ----
new_netns "$CORE"
ip -n "$CORE" link add br0 type bridge
ip -n "$CORE" addr add 10.77.0.1/24 dev br0
ip -n "$CORE" link set br0 up
declare -A NS IP CNS
n=0
for i in a b c; do
	n=$((n + 1))
	NS[$i]=${TAG}$i
	CNS[$i]=${TAG}$i-cl
	IP[$i]=10.77.0.1$n
	new_netns "${NS[$i]}"
	ip link add "${TAG}$i" netns "${NS[$i]}" type veth peer name "v$i" netns "$CORE"
	ip -n "$CORE" link set "v$i" master br0 up
	ip -n "${NS[$i]}" addr add "${IP[$i]}/24" dev "${TAG}$i"
	ip -n "${NS[$i]}" link set "${TAG}$i" up
	# its segment: 10.80.n.1 (netbootd) <-> 10.80.n.2 (a PXE client)
	new_netns "${CNS[$i]}"
	ip link add seg0 netns "${NS[$i]}" type veth peer name cli0 netns "${CNS[$i]}"
	ip -n "${NS[$i]}" addr add "10.80.$n.1/24" dev seg0
	ip -n "${CNS[$i]}" addr add "10.80.$n.2/24" dev cli0
	ip -n "${NS[$i]}" link set seg0 up
	ip -n "${CNS[$i]}" link set cli0 up
done

# --- etcd: three members on 10.77.0.1 --------------------------------------
ETCD_EP=http://10.77.0.1:23791,http://10.77.0.1:23792,http://10.77.0.1:23793
declare -A EPID
etcd_member() { # N: start member N (1..3) in core
	local m=$1 cluster=""
	for k in 1 2 3; do cluster+="${cluster:+,}m$k=http://10.77.0.1:2380$k"; done
	etcd_start "$CORE" "m$m" "$T/etcd$m" "$T/etcd$m.log" "http://10.77.0.1:2379$m" \
		"http://10.77.0.1:2380$m" "$cluster" "$TAG"
	EPID[$m]=$ETCD_PID
	track_child "${EPID[$m]}"
}
ectl() { ip netns exec "$CORE" etcdctl --endpoints "$ETCD_EP" "$@"; }
etcd_healthy() { etcd_healthy_in "$CORE" "$ETCD_EP"; }
etcd_one_healthy() { ip netns exec "$CORE" etcdctl --endpoints "$ETCD_EP" get x >/dev/null 2>&1; }
for m in 1 2 3; do etcd_member "$m"; done
check "etcd: three members healthy" wait_until 60 etcd_healthy

# --- three instances ------------------------------------------------------
declare -A NBPID
yaml() { # INSTANCE STATE_DIR: HTTP on the segment and the bridge (peers fetch from it)
	cat <<EOF
state_dir: $2
interfaces: [seg0, ${TAG}$1]
advertise: ${IP[$1]}
http: {port: $PORT}
tftp: {enabled: false}
control: {socket: $T/$1.sock}
store:
  backend: etcd
  endpoints: [http://10.77.0.1:23791, http://10.77.0.1:23792, http://10.77.0.1:23793]
  prefix: /test/
  instance: $1
EOF
}
start() { # INSTANCE [STATE_DIR]
	local i=$1 st=${2:-$T/state-$1}
	yaml "$i" "$st" >"$T/$i.yaml"
	netbootd_start_ctl "$T/$i.log" "${NS[$i]}" "$T/$i.sock" -f -c "$T/$i.yaml"
	NBPID[$i]=$PID
}
c() { local i=$1; shift; "$CTL" -s "$T/$i.sock" "$@"; }
cj() { local i=$1; shift; "$CTL" -s "$T/$i.sock" --json "$@"; }
synced() { cj "$1" status | jq -e '.cluster.synchronised == true and .cluster.etcd == "up"' >/dev/null; }

start a
check "A: synchronised with etcd" wait_until 20 synced a
check "A seeded the empty etcd (desired/rev)" ectl get /test/desired/rev --print-value-only
start b
start c
check "B: synchronised" wait_until 20 synced b
check "C: synchronised" wait_until 20 synced c
peers3() { [ "$(cj "$1" status | jq '.cluster.instances | length')" = 3 ]; }
check "A sees three instances" wait_until 20 peers3 a

# --- an image from an ISO on A, replicated to B and C ------------------
K=$T/kairos
mkdir -p "$K/boot"
head -c 3000001 /dev/urandom >"$K/boot/kernel"
head -c 2000003 /dev/urandom >"$K/boot/initrd"
{ printf 'hsqs'; head -c 6000000 /dev/urandom; } >"$K/rootfs.squashfs"
xorriso -as mkisofs -R -J -V COS_LIVE -o "$T/kairos.iso" "$K" >/dev/null 2>&1
check "add-image --iso on A" quiet c a add-image kairos --iso "$T/kairos.iso"
ready_on() { # INSTANCE IMAGE WHERE: IMAGE is ready on WHERE, as INSTANCE's `images` says
	cj "$1" images | jq -e --arg n "$2" --arg w "$3" '.[] | select(.name == $n) | .instances[$w] == "ready"' >/dev/null
}
check "kairos ready on A (as C sees it)" wait_until 20 ready_on c kairos a
check "kairos replicated to B" wait_until 60 ready_on a kairos b
check "kairos replicated to C" wait_until 60 ready_on a kairos c
check "C's kernel is A's, byte for byte" cmp "$T/state-c/images/kairos/kernel" "$K/boot/kernel"
check "C's rootfs is A's, byte for byte" cmp "$T/state-c/images/kairos/rootfs.squashfs" "$K/rootfs.squashfs"
check "A's log names no failed fetch" bash -c "! grep -q 'Replicating.*failed' '$T/a.log'"
c a images >"$T/out"
check "images shows per-instance readiness" grep -q 'a:ready b:ready c:ready' "$T/out"

# A client on C's segment boots it: ProxyDHCP offer, then the script.
ask() { # INSTANCE MAC: the boot file C offers an iPXE client
	local n=${IP[$1]: -1}
	ip netns exec "${CNS[$1]}" "$PY" "$HERE/proxydhcp-client.py" ask cli0 "10.80.$n.1" "10.80.$n.2" "$2" ipxe 7 2>/dev/null
}
script() { ip netns exec "${NS[$1]}" curl -sf "http://${IP[$1]}:$PORT/ipxe/$2"; }
offers_script() { ask "$1" "$2" | grep -q /ipxe/; }
boots() { script "$1" "$2" 2>/dev/null | grep -q "images/$3/kernel"; }
check "C's ProxyDHCP offers the client its script" offers_script c "$MAC1"
check "C's script boots kairos" boots c "$MAC1" kairos

# --- one change through B, served by all three within 1 s -------------
c b default-boot off >/dev/null
no_boot() { ! script "$1" "$2" 2>/dev/null | grep -q 'images/.*/kernel'; }
for i in a b c; do check "default-boot off through B: $i refuses unknown machines within 1 s" wait_until 1 no_boot "$i" "$MAC2"; done
c b assign "$MAC2" kairos >/dev/null
for i in a b c; do check "assign through B: $i boots $MAC2 within 1 s" wait_until 1 boots "$i" "$MAC2" kairos; done
seen_on() { cj "$1" machines | jq -e --arg m "$2" --arg w "$3" '.[] | select(.mac == $m) | .last_event.instance == $w' >/dev/null; }
script b "$MAC2" >/dev/null
check "B's boot event of $MAC2 is seen on A, naming B" wait_until 5 seen_on a "$MAC2" b

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
  g2: {profile: p2, match: {mac: "52:54:00:c1:*"}}
EOF
rc1=0 rc2=0
c a apply -f "$T/f1.yaml" >"$T/ap1" 2>&1 & p1=$!
c b apply -f "$T/f2.yaml" >"$T/ap2" 2>&1 & p2=$!
wait $p1 || rc1=$?
wait $p2 || rc2=$?
check "concurrent apply: each succeeded or got 'conflict' (6): $rc1 $rc2" \
	bash -c "[[ '$rc1' =~ ^(0|6)$ && '$rc2' =~ ^(0|6)$ && ( '$rc1' = 0 || '$rc2' = 0 ) ]]"
same_fleet() { [ "$(cj a export | jq -S .)" = "$(cj "$1" export | jq -S .)" ]; }
check "B has A's fleet" wait_until 2 same_fleet b
check "C has A's fleet" wait_until 2 same_fleet c
whole() { # each profile arrived with its group; with a conflict, one file only
	local one=false p g
	{ [ "$rc1" = 6 ] || [ "$rc2" = 6 ]; } && one=true
	p=$(cj a profile list | jq -c '[.[].name] | sort')
	g=$(cj a group list | jq -c '[.[].profile] | sort')
	echo "  profiles $p, groups' profiles $g"
	[ "$p" = "$g" ] && [ "$p" != "[]" ] && { [ "$one" = false ] || [ "$(jq length <<<"$p")" = 1 ]; }
}
check "the fleet is one file or both, never a mix" whole

# --- etcd faults ----------------------------------------------------------
stop_child "${EPID[2]}" KILL
# A change proposed while etcd elects a new leader may time out (etcd's own
# request timeout): wait until the two left have a leader, as an operator would see.
two_healthy() { ip netns exec "$CORE" etcdctl --endpoints http://10.77.0.1:23791,http://10.77.0.1:23793 endpoint health >/dev/null 2>&1; }
check "member 2 killed: the other two are healthy" wait_until 30 two_healthy
check "one member killed: a change is accepted" quiet c a label "$MAC2" rack=r1
labelled() { cj "$1" machines | jq -e --arg m "$MAC2" '.[] | select(.mac == $m) | .labels.rack == "r1"' >/dev/null; }
for i in a b c; do check "one member killed: a change still reaches $i" wait_until 5 labelled "$i"; done
etcd_member 2
check "member 2 back" wait_until 60 etcd_healthy

for m in 1 2 3; do stop_child "${EPID[$m]}" TERM; done
rc=0
wait_until 20 bash -c "! '$CTL' -s '$T/b.sock' --json status | jq -e '.cluster.etcd == \"up\"' >/dev/null" || true
c b label "$MAC2" rack=r2 >"$T/out" 2>&1 || rc=$?
check "etcd down: a change is refused with exit code 5 (got $rc)" [ "$rc" = 5 ]
check "etcd down: the refusal says unavailable" grep -qi unavailable "$T/out"
for i in a b c; do check "etcd down: $i still serves $MAC2" boots "$i" "$MAC2" kairos; done
check "etcd down: B logged it once" bash -c "[ \$(grep -c 'Cannot read\\|unreachable\\|etcd.*down' '$T/b.log') -le 3 ]"
for m in 1 2 3; do etcd_member "$m"; done
check "etcd restarted" wait_until 60 etcd_healthy
relabel() { c b label "$MAC2" rack=r3 >/dev/null 2>&1; }
check "etcd back: B takes changes again by itself" wait_until 30 relabel
rack3() { cj "$1" machines | jq -e --arg m "$MAC2" '.[] | select(.mac == $m) | .labels.rack == "r3"' >/dev/null; }
for i in a c; do check "etcd back: $i has the change" wait_until 10 rack3 "$i"; done

# --- kill -9 of an instance ---------------------------------------------
stop_child "${NBPID[b]}" KILL
gone_b() { ! ectl get /test/instances/b --print-value-only | grep -q .; }
check "B's lease expired: instances/b gone" wait_until 30 gone_b
for i in a c; do check "B dead: $i still boots $MAC2" boots "$i" "$MAC2" kairos; done

# --- C restarted with an empty state directory ----------------------------
netbootd_stop_pid() { stop_child "$1" TERM; }
netbootd_stop_pid "${NBPID[c]}"
start c "$T/state-c2"
check "C (empty state) synchronised" wait_until 20 synced c
check "C (empty state) fetched kairos again" wait_until 60 ready_on a kairos c
check "C (empty state) serves the fleet" wait_until 10 boots c "$MAC2" kairos
check "C (empty state) has the labels" rack3 c
check "C's new kernel is A's" cmp "$T/state-c2/images/kairos/kernel" "$K/boot/kernel"

check_summary
