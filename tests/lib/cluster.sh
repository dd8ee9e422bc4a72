# shellcheck shell=bash
# shellcheck disable=SC2034  # variables used by the scripts that source it
# Several netbootd sharing one desired state in etcd, for
# tests/integration/test-cluster.sh and bench/bench-cluster.sh (source from
# bash; it sources netbootd.sh, hence check.sh and common.sh).  Needs
# NETBOOTD and CTL, root, etcd and etcdctl.  Everything runs in network
# namespaces named after $$:
#
#   core (CLUSTER_CORE)   bridge br0 10.77.0.1/24, the three etcd members
#                         (clients on 10.77.0.1:23791-23793, peers on 2380N)
#   a, b, c (CLUSTER_NS)  one netbootd each, 10.77.0.11-13 on a veth into
#                         br0 (CLUSTER_IP), and seg0 10.80.N.1/24: a segment
#                         to a client namespace (CLUSTER_CNS, cli0 10.80.N.2)
#
#   cluster_setup DIR     build the namespaces (removed at exit); DIR holds
#                         the configurations, logs, state and etcd's data
#   cluster_etcd_start N  start etcd member N (1..3) in core, log appended to
#                         DIR/etcdN.log, PID in CLUSTER_EPID[N] (stopped at exit)
#   cluster_etcd_stop N [SIGNAL]
#                         signal member N (TERM) and reap it
#   cluster_ectl ARGS...  etcdctl against the three members, in core
#   cluster_etcd_healthy  whether every member answers "endpoint health"
#   cluster_yaml I STATE-DIR
#                         print instance I's netbootd.yaml: HTTP on
#                         CLUSTER_PORT (8090) on seg0, the bridge and the
#                         interfaces of CLUSTER_EXTRA_IF[I] (", "-separated), TFTP
#                         off, control socket DIR/I.sock, store etcd with
#                         prefix CLUSTER_PREFIX (/test/), instance name I
#   cluster_start I [STATE-DIR]
#                         start instance I in its namespace (state in
#                         DIR/state-I by default, configuration DIR/I.yaml,
#                         log appended to DIR/I.log) and wait for its control
#                         socket; PID in CLUSTER_PID[I] (stopped at exit).
#                         Extra netbootd arguments (e.g. -d) from the array
#                         CLUSTER_NETBOOTD_ARGS; with CLUSTER_LOG_STAMP=1
#                         every log line starts with its arrival time
#                         (seconds since the epoch, microseconds)
#   cluster_stop I [SIGNAL]
#                         signal instance I (TERM) and reap it
#   cluster_ctl I ARGS..., cluster_json I ARGS...
#                         netbootctl ARGS... (with --json) on I's socket
#   cluster_synced I      whether I's status says synchronised, etcd up
#   cluster_sees I N      whether I's status lists N instances
#   cluster_ready_on I IMAGE WHERE
#                         whether IMAGE is ready on WHERE as I's `images` says
#   cluster_script I MAC  the iPXE script I's HTTP serves MAC (curl -sf in I's
#                         namespace)
#   cluster_iso DIR       a small Kairos-layout ISO DIR/kairos.iso made from
#                         DIR/kairos/{boot/kernel,boot/initrd,rootfs.squashfs}
#                         (random, 3000001, 2000003 and 6000004 bytes)

# shellcheck source=tests/lib/netbootd.sh
. "$(dirname "${BASH_SOURCE[0]}")/netbootd.sh"
# shellcheck source=tests/lib/etcd.sh
. "$(dirname "${BASH_SOURCE[0]}")/etcd.sh"

CLUSTER_TAG=nbcl$$
CLUSTER_CORE=${CLUSTER_TAG}x
CLUSTER_PORT=${CLUSTER_PORT:-8090}
CLUSTER_PREFIX=${CLUSTER_PREFIX:-/test/}
CLUSTER_EP=http://10.77.0.1:23791,http://10.77.0.1:23792,http://10.77.0.1:23793
CLUSTER_DIR=
CLUSTER_LOG_STAMP=${CLUSTER_LOG_STAMP:-0}
[ -n "${CLUSTER_NETBOOTD_ARGS+x}" ] || CLUSTER_NETBOOTD_ARGS=()
declare -gA CLUSTER_NS CLUSTER_CNS CLUSTER_IP CLUSTER_EPID CLUSTER_PID CLUSTER_EXTRA_IF

# One instance's namespace, its veth into br0 and its client segment.
_cluster_instance_net() { # I N
	local i=$1 n=$2 ns=${CLUSTER_TAG}$1 cns=${CLUSTER_TAG}$1-cl
	CLUSTER_NS[$i]=$ns
	CLUSTER_CNS[$i]=$cns
	CLUSTER_IP[$i]=10.77.0.1$n
	new_netns "$ns"
	ip link add "${CLUSTER_TAG}$i" netns "$ns" type veth peer name "v$i" netns "$CLUSTER_CORE"
	ip -n "$CLUSTER_CORE" link set "v$i" master br0 up
	ip -n "$ns" addr add "${CLUSTER_IP[$i]}/24" dev "${CLUSTER_TAG}$i"
	ip -n "$ns" link set "${CLUSTER_TAG}$i" up
	# its segment: 10.80.n.1 (netbootd) <-> 10.80.n.2 (a PXE client)
	new_netns "$cns"
	ip link add seg0 netns "$ns" type veth peer name cli0 netns "$cns"
	ip -n "$ns" addr add "10.80.$n.1/24" dev seg0
	ip -n "$cns" addr add "10.80.$n.2/24" dev cli0
	ip -n "$ns" link set seg0 up
	ip -n "$cns" link set cli0 up
}

cluster_setup() {
	local i n=0
	CLUSTER_DIR=$1
	new_netns "$CLUSTER_CORE"
	ip -n "$CLUSTER_CORE" link add br0 type bridge
	ip -n "$CLUSTER_CORE" addr add 10.77.0.1/24 dev br0
	ip -n "$CLUSTER_CORE" link set br0 up
	for i in a b c; do
		n=$((n + 1))
		_cluster_instance_net "$i" "$n"
	done
}

cluster_etcd_start() {
	local m=$1 k cluster=""
	for k in 1 2 3; do cluster+="${cluster:+,}m$k=http://10.77.0.1:2380$k"; done
	etcd_start "$CLUSTER_CORE" "m$m" "$CLUSTER_DIR/etcd$m" "$CLUSTER_DIR/etcd$m.log" \
		"http://10.77.0.1:2379$m" "http://10.77.0.1:2380$m" "$cluster" "$CLUSTER_TAG"
	CLUSTER_EPID[$m]=$ETCD_PID
	track_child "${CLUSTER_EPID[$m]}"
}

cluster_etcd_stop() { stop_child "${CLUSTER_EPID[$1]}" "${2:-TERM}"; }
cluster_ectl() { ip netns exec "$CLUSTER_CORE" etcdctl --endpoints "$CLUSTER_EP" "$@"; }
cluster_etcd_healthy() { cluster_ectl endpoint health >/dev/null 2>&1; }

cluster_yaml() {
	cat <<EOF
state_dir: $2
interfaces: [seg0, ${CLUSTER_TAG}$1${CLUSTER_EXTRA_IF[$1]:+, ${CLUSTER_EXTRA_IF[$1]}}]
advertise: ${CLUSTER_IP[$1]}
http: {port: $CLUSTER_PORT}
tftp: {enabled: false}
control: {socket: $CLUSTER_DIR/$1.sock}
store:
  backend: etcd
  endpoints: [http://10.77.0.1:23791, http://10.77.0.1:23792, http://10.77.0.1:23793]
  prefix: $CLUSTER_PREFIX
  instance: $1
EOF
}

# Each line of standard input prefixed with the time it arrived.
_cluster_stamp() {
	perl -MTime::HiRes=time -ne 'BEGIN { $| = 1 } printf "%.6f %s", time, $_'
}

# netbootd_start_ctl, with the log lines stamped.
_cluster_start_stamped() { # LOG NS SOCK ARGS...
	local log=$1 ns=$2 sock=$3
	shift 3
	# $! is netbootd (ip netns exec execs it); the stamper ends at its EOF.
	ip netns exec "$ns" "$NETBOOTD" "$@" > >(_cluster_stamp >>"$log") 2>&1 &
	PID=$!
	track_child "$PID"
	netbootd_wait_ctl "$sock" && return 0
	bad "netbootd did not start: $(tail -5 "$log")"
	exit 1
}

cluster_start() {
	local i=$1 st=${2:-$CLUSTER_DIR/state-$1} d=$CLUSTER_DIR how=netbootd_start_ctl
	cluster_yaml "$i" "$st" >"$d/$i.yaml"
	[ "$CLUSTER_LOG_STAMP" != 1 ] || how=_cluster_start_stamped
	"$how" "$d/$i.log" "${CLUSTER_NS[$i]}" "$d/$i.sock" \
		"${CLUSTER_NETBOOTD_ARGS[@]}" -f -c "$d/$i.yaml"
	CLUSTER_PID[$i]=$PID
}

cluster_stop() { stop_child "${CLUSTER_PID[$1]}" "${2:-TERM}"; }
cluster_ctl() { local i=$1; shift; "$CTL" -s "$CLUSTER_DIR/$i.sock" "$@"; }
cluster_json() { local i=$1; shift; "$CTL" -s "$CLUSTER_DIR/$i.sock" --json "$@"; }
cluster_synced() {
	cluster_json "$1" status | jq -e '.cluster.synchronised == true and .cluster.etcd == "up"' >/dev/null
}
cluster_sees() { [ "$(cluster_json "$1" status | jq '.cluster.instances | length')" = "$2" ]; }
cluster_ready_on() {
	cluster_json "$1" images |
		jq -e --arg n "$2" --arg w "$3" '.[] | select(.name == $n) | .instances[$w] == "ready"' >/dev/null
}
cluster_script() {
	ip netns exec "${CLUSTER_NS[$1]}" curl -sf "http://${CLUSTER_IP[$1]}:$CLUSTER_PORT/ipxe/$2"
}

cluster_iso() {
	local k=$1/kairos
	mkdir -p "$k/boot"
	head -c 3000001 /dev/urandom >"$k/boot/kernel"
	head -c 2000003 /dev/urandom >"$k/boot/initrd"
	fake_squashfs 6000000 >"$k/rootfs.squashfs"
	xorriso -as mkisofs -R -J -V COS_LIVE -o "$1/kairos.iso" "$k" >/dev/null 2>&1
}
