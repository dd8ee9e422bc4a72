#!/bin/bash
# A shared store (issue 11) under faults, with real programs (the topology
# of tests/lib/cluster.sh: a 3-member etcd and instances a, b, c):
#   - two instances on one segment (b and c on a shared bridge) answer a
#     PXE client alike; kill -9 of one in the middle of a boot storm and every
#     client still gets an offer and a script that boots its image;
#   - an image with an origin booted from the origin (--boot-from-origin):
#     scripts point at the origin's URLs, no instance holds its bytes;
#   - an image with an origin, fetched from the origin by an instance
#     started empty while no peer is left that has it;
#   - a corrupt document written into etcd by hand: every instance keeps
#     serving, says so in its log, and the next change repairs it.
set -euo pipefail

NETBOOTD=${NETBOOTD:?NETBOOTD must point to netbootd}
CTL=${NETBOOTCTL:?NETBOOTCTL must point to netbootctl}
PY=/usr/bin/python3
HERE=$(cd "$(dirname "$0")" && pwd)
MAC=52:54:00:c2:00:01
export TZ=UTC LC_ALL=C
unset NETBOOTD_SOCKET

# shellcheck source=../lib/cluster.sh
. "$HERE/../lib/cluster.sh"
require_root
require_cmds etcd etcdctl curl ip xorriso jq sha256sum "$PY"

new_tmpdir test-cluster-ha
T=$TMPDIR_NEW
cluster_setup "$T"

# The shared segment of b and c: bridge br1 in namespace HS, the client on it.
HS=${CLUSTER_TAG}hs
new_netns "$HS"
ip -n "$HS" link add br1 type bridge
ip -n "$HS" addr add 10.90.0.100/24 dev br1
ip -n "$HS" link set br1 up
n=1
for i in b c; do
	n=$((n + 1))
	ip link add hs0 netns "${CLUSTER_NS[$i]}" type veth peer name "h$i" netns "$HS"
	ip -n "$HS" link set "h$i" master br1 up
	ip -n "${CLUSTER_NS[$i]}" addr add "10.90.0.$n/24" dev hs0
	ip -n "${CLUSTER_NS[$i]}" link set hs0 up
	CLUSTER_EXTRA_IF[$i]=hs0
	# The offers name each instance's advertised address: reachable from the
	# segment through that instance (a local address on its other interface).
	ip -n "$HS" route add "${CLUSTER_IP[$i]}/32" via "10.90.0.$n"
done

for m in 1 2 3; do cluster_etcd_start "$m"; done
check "etcd: three members healthy" wait_until 60 cluster_etcd_healthy
for i in a b c; do cluster_start "$i"; done
for i in a b c; do check "$i synchronised" wait_until 20 cluster_synced "$i"; done

cluster_iso "$T"
check "add-image --iso on a" quiet cluster_ctl a add-image kairos --iso "$T/kairos.iso"
for i in b c; do check "kairos ready on $i" wait_until 60 cluster_ready_on a kairos "$i"; done

# --- two instances, one segment, a storm, kill -9 of one -------------------
ask() { # MAC: the boot file offered on the shared segment, "none" without an answer
	ip netns exec "$HS" "$PY" "$HERE/proxydhcp-client.py" ask br1 10.90.0.2 10.90.0.100 "$1" ipxe 7 2>/dev/null
}
boots_from() { # URL: the script at URL boots kairos
	ip netns exec "$HS" curl -sf --max-time 5 "$1" | grep -q 'images/kairos/kernel'
}
check "b and c both answer on the shared segment" bash -c \
	"[ \"\$(ip netns exec '$HS' '$PY' '$HERE/proxydhcp-client.py' ask br1 10.90.0.2 10.90.0.100 $MAC ipxe 7)\" != none ]"
N=40 KILL_AT=15 booted=0 offered=0
: >"$T/storm"
for k in $(seq 1 $N); do
	mac=$(printf '52:54:00:c3:%02x:%02x' $((k / 256)) $((k % 256)))
	if [ "$k" = "$KILL_AT" ]; then
		cluster_stop b KILL
		echo "killed b before client $k" >>"$T/storm"
	fi
	f=$(ask "$mac")
	echo "$mac $f" >>"$T/storm"
	[ "$f" = none ] && continue
	offered=$((offered + 1))
	boots_from "$f" && booted=$((booted + 1))
done
check "storm: every one of $N clients got an offer ($offered)" [ "$offered" = "$N" ]
check "storm: every one of $N clients got a script that boots kairos ($booted)" [ "$booted" = "$N" ]
check "storm: the clients before the kill were answered by both" bash -c \
	"head -n $((KILL_AT - 1)) '$T/storm' | grep -q '${CLUSTER_IP[b]}' && head -n $((KILL_AT - 1)) '$T/storm' | grep -q '${CLUSTER_IP[c]}'"
check "storm: the clients after the kill were answered by c alone" bash -c \
	"! tail -n $((N - KILL_AT + 1)) '$T/storm' | grep -v killed | grep -q '${CLUSTER_IP[b]}'"
cluster_start b
check "b back" wait_until 20 cluster_synced b

# --- an origin, booted from --------------------------------------------------
O=$T/origin
mkdir -p "$O" "$T/cdn"
head -c 1000003 /dev/urandom >"$T/cdn/kernel"
head -c 700001 /dev/urandom >"$T/cdn/initrd"
fake_squashfs 900000 >"$T/cdn/rootfs.squashfs"
for f in kernel initrd rootfs.squashfs; do cp "$T/cdn/$f" "$O/$(sha256sum "$T/cdn/$f" | cut -c1-64)"; done
ip netns exec "$CLUSTER_CORE" "$PY" -m http.server 8099 --bind 10.77.0.1 --directory "$O" >"$T/origin.log" 2>&1 &
track_child $!
origin_up() { ip netns exec "${CLUSTER_NS[a]}" curl -sf -o /dev/null "http://10.77.0.1:8099/"; }
check "the origin answers" wait_until 20 origin_up
ORIGIN='http://10.77.0.1:8099/{sha256}'
check "add-image cdn --origin --boot-from-origin on a" quiet cluster_ctl a add-image cdn --dir "$T/cdn" --origin "$ORIGIN" --boot-from-origin
check "add-image refuses a bad origin (exit 2)" bash -c "'$CTL' -s '$T/a.sock' add-image x --dir '$T/cdn' --origin ftp://x/{sha256} 2>/dev/null; [ \$? = 2 ]"
cluster_ctl a assign "$MAC" cdn >/dev/null
origin_state() { cluster_json a images | jq -e '.[] | select(.name == "cdn") | .instances.c == "origin"' >/dev/null; }
check "c reports cdn as booted from its origin" wait_until 10 origin_state
k_sha=$(sha256sum "$T/cdn/kernel" | cut -c1-64)
from_origin() { cluster_script c "$MAC" | grep -q "kernel http://10.77.0.1:8099/$k_sha "; }
check "c's script takes the kernel from the origin" wait_until 5 from_origin
check "c's script takes the squashfs from the origin" bash -c \
	"ip netns exec '${CLUSTER_NS[c]}' curl -sf 'http://${CLUSTER_IP[c]}:$CLUSTER_PORT/ipxe/$MAC' | grep -q 'root=live:http://10.77.0.1:8099/$(sha256sum "$T/cdn/rootfs.squashfs" | cut -c1-64)'"
check "c holds no bytes of cdn" test ! -e "$T/state-c/images/cdn"
got_k() { ip netns exec "${CLUSTER_NS[c]}" curl -sf "http://10.77.0.1:8099/$k_sha" | cmp -s - "$T/cdn/kernel"; }
check "the origin serves exactly the kernel" got_k

# --- an origin, fetched from when no peer has the image ----------------------
mkdir -p "$T/ori"
head -c 500001 /dev/urandom >"$T/ori/kernel"
head -c 300001 /dev/urandom >"$T/ori/initrd"
fake_squashfs 400000 >"$T/ori/rootfs.squashfs"
for f in kernel initrd rootfs.squashfs; do cp "$T/ori/$f" "$O/$(sha256sum "$T/ori/$f" | cut -c1-64)"; done
check "add-image ori --origin on a" quiet cluster_ctl a add-image ori --dir "$T/ori" --origin "$ORIGIN"
check "ori ready on c" wait_until 60 cluster_ready_on a ori c
cluster_stop a TERM
cluster_stop c TERM
no_peers() { ! cluster_ectl get --prefix /test/instances/ --keys-only | grep -q 'instances/[ac]'; }
check "a's and c's leases expired" wait_until 40 no_peers
cluster_start c "$T/state-c-empty"
check "c (empty) synchronised" wait_until 20 cluster_synced c
ready_self() { cluster_json c images | jq -e '.[] | select(.name == "ori") | .instances.c == "ready"' >/dev/null; }
check "c (empty) fetched ori with no peer left that has it" wait_until 60 ready_self
check "... from the origin (its log)" grep -q "GET /$(sha256sum "$T/ori/kernel" | cut -c1-64)" "$T/origin.log"
check "... the bytes are a's" cmp "$T/state-c-empty/images/ori/kernel" "$T/ori/kernel"

# --- a corrupt document in etcd -------------------------------------------
cluster_start a
check "a back" wait_until 20 cluster_synced a
MAC2=52:54:00:c2:00:02
check "assign $MAC2 kairos" quiet cluster_ctl a assign "$MAC2" kairos
kairos_on() { cluster_script "$1" "$MAC2" | grep -q images/kairos/kernel; }
for i in a c; do check "$i boots $MAC2 with kairos" wait_until 5 kairos_on "$i"; done
cluster_ectl put /test/desired/settings 'this is not JSON' >/dev/null
says_invalid() { grep -q 'desired state in etcd is not valid' "$T/$1.log"; }
for i in a c; do check "corrupt settings: $i says so" wait_until 10 says_invalid "$i"; done
for i in a c; do check "corrupt settings: $i still serves kairos" kairos_on "$i"; done
check "a change through a repairs it" quiet cluster_ctl a default-boot on
repaired() { cluster_ectl get /test/desired/settings --print-value-only | jq -e '.default_boot == true' >/dev/null; }
check "settings are JSON again in etcd" wait_until 10 repaired

# --- nothing uncommitted is served --------------------------------------
# etcd frozen (SIGSTOP): a change through a waits for a commit that cannot
# come; meanwhile a serves what etcd has, and when etcd's answer does not
# come the change is refused (5) and undone.
old_plan() { cluster_script "$1" "$MAC2" | grep -q images/kairos/kernel; }
for m in 1 2 3; do kill -STOP "${CLUSTER_EPID[$m]}"; done
rc=0
cluster_ctl a assign "$MAC2" ori >"$T/frozen.out" 2>&1 &
frozen=$!
committing() { cluster_json a status | jq -e '.cluster.committing == true' >/dev/null; }
check "etcd frozen: a's commit is in flight" wait_until 5 committing
check "etcd frozen: a still serves the committed plan during the commit" old_plan a
wait "$frozen" || rc=$?
check "etcd frozen: the change is refused as unavailable (5, got $rc)" [ "$rc" = 5 ]
check "etcd frozen: ... and undone on a" old_plan a
for m in 1 2 3; do kill -CONT "${CLUSTER_EPID[$m]}"; done
check "etcd thawed: healthy" wait_until 30 cluster_etcd_healthy
again() { cluster_ctl a assign "$MAC2" ori >/dev/null 2>&1; }
check "etcd thawed: the change is taken" wait_until 30 again
ori_plan() { cluster_script "$1" "$MAC2" | grep -q images/ori/kernel; }
check "... and served" wait_until 5 ori_plan a

# --- /metrics of a shared store ------------------------------------------
ip netns exec "${CLUSTER_NS[a]}" curl -sf "http://${CLUSTER_IP[a]}:$CLUSTER_PORT/metrics" >"$T/metrics" || true
check "metrics: etcd up" grep -qx 'netbootd_store_etcd_up 1' "$T/metrics"
check "metrics: three instances" grep -qx 'netbootd_store_instances 3' "$T/metrics"
check "metrics: the refused commit counted" grep -qx 'netbootd_store_commits_total{result="unconfirmed"} 1' "$T/metrics"
check "metrics: commits counted" grep -Eq '^netbootd_store_commits_total\{result="committed"\} [1-9]' "$T/metrics"
fetched() { ip netns exec "${CLUSTER_NS[c]}" curl -sf "http://${CLUSTER_IP[c]}:$CLUSTER_PORT/metrics" | grep -Eq '^netbootd_image_fetches_total\{result="fetched"\} [1-9]'; }
check "metrics: c counted its fetch" fetched

check_summary
