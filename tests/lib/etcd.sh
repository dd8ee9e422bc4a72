# shellcheck shell=bash
# A 3-member etcd cluster on loopback for tests (source from bash after
# tests/lib/common.sh, whose cleanup stack stops it at exit).
#
#   etcd_cluster_start DIR   start members 1..3 (data dirs DIR/m1..m3, logs
#                            DIR/m1.log...), client and peer ports picked free
#                            on 127.0.0.1; waits until every member is healthy
#                            (60 s), else 1 with the logs' tails
#   etcd_cluster_endpoints   "http://127.0.0.1:P1,http://127.0.0.1:P2,..."
#   etcd_member_url N        member N's client URL
#   etcd_member_kill N       SIGKILL member N and reap it
#   etcd_member_start N      start member N again (same name, ports, data)
#   etcd_member_wait N       wait until member N is healthy (30 s)
#   etcd_cluster_wait_writable [SECONDS]
#                            wait until a write (of key /etcd-sh/sync) commits
#                            (20 s): after a leader died, a write sent to a
#                            follower meanwhile is lost and times out
#   etcd_live_endpoints      the client URLs of the members that run
#   etcd_ctl ARGS...         etcdctl (API 3) against the members that run
#   etcd_cluster_stop        kill every member by PID (used from the trap)
# ETCD_PIDS[N] holds member N's PID ("" when it is down).
#
# One member anywhere (tests/lib/cluster.sh, tests/e2e/test-boot-cluster.sh):
#
#   etcd_start NS NAME DATADIR LOG CLIENT-URL PEER-URL CLUSTER TOKEN [ARGS...]
#                        start member NAME of a new etcd cluster in network
#                        namespace NS ("" for this one), in the background of
#                        this shell: clients on CLIENT-URL, peers on PEER-URL,
#                        the members in CLUSTER (NAME=PEER-URL,...), etcd's
#                        extra ARGS, output appended to LOG; its PID in
#                        ETCD_PID (the caller stops it: track_child)
#   etcd_healthy_in NS ENDPOINTS
#                        whether etcdctl endpoint health passes for every
#                        one of ENDPOINTS (comma-separated), from NS

ETCD_BIN=${ETCD_BIN:-/usr/bin/etcd}
ETCDCTL_BIN=${ETCDCTL_BIN:-/usr/bin/etcdctl}
ETCD_DIR=
ETCD_CLIENT_PORTS=()
ETCD_PEER_PORTS=()
ETCD_PIDS=()
ETCD_PID=

etcd_start() {
	local ns=$1 name=$2 dir=$3 log=$4 client=$5 peer=$6 cluster=$7 token=$8 run=()
	shift 8
	[ -z "$ns" ] || run=(ip netns exec "$ns")
	# Not through a subshell: $! is etcd itself (ip netns exec execs it).
	"${run[@]}" "$ETCD_BIN" --name "$name" --data-dir "$dir" \
		--listen-client-urls "$client" --advertise-client-urls "$client" \
		--listen-peer-urls "$peer" --initial-advertise-peer-urls "$peer" \
		--initial-cluster "$cluster" --initial-cluster-state new \
		--initial-cluster-token "$token" "$@" >>"$log" 2>&1 &
	ETCD_PID=$!
}

etcd_healthy_in() {
	ip netns exec "$1" "$ETCDCTL_BIN" --endpoints "$2" endpoint health >/dev/null 2>&1
}

# Six distinct free ports.
_etcd_pick_ports() {
	local ports
	ports=$(/usr/bin/python3 -c '
import socket
ss = [socket.socket() for _ in range(6)]
for s in ss:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in ss))')
	# shellcheck disable=SC2206
	local p=($ports)
	ETCD_CLIENT_PORTS=("" "${p[0]}" "${p[1]}" "${p[2]}")
	ETCD_PEER_PORTS=("" "${p[3]}" "${p[4]}" "${p[5]}")
}

etcd_member_url() {
	echo "http://127.0.0.1:${ETCD_CLIENT_PORTS[$1]}"
}

etcd_cluster_endpoints() {
	echo "$(etcd_member_url 1),$(etcd_member_url 2),$(etcd_member_url 3)"
}

# The members that run (etcdctl 3.4 does not fail over from a dead one quickly).
etcd_live_endpoints() {
	local n eps=""
	for n in 1 2 3; do
		[ -z "${ETCD_PIDS[$n]:-}" ] || eps+="${eps:+,}$(etcd_member_url "$n")"
	done
	echo "$eps"
}

etcd_ctl() {
	ETCDCTL_API=3 "$ETCDCTL_BIN" --endpoints="$(etcd_live_endpoints)" --dial-timeout=2s \
		--command-timeout=5s "$@"
}

etcd_member_start() {
	local n=$1 i cluster="" peer="http://127.0.0.1:${ETCD_PEER_PORTS[$1]}"
	for i in 1 2 3; do
		cluster+="${cluster:+,}m$i=http://127.0.0.1:${ETCD_PEER_PORTS[$i]}"
	done
	etcd_start "" "m$n" "$ETCD_DIR/m$n" "$ETCD_DIR/m$n.log" "$(etcd_member_url "$n")" \
		"$peer" "$cluster" "netbootd-test-$$" --heartbeat-interval 50 --election-timeout 500
	ETCD_PIDS[n]=$ETCD_PID
}

_etcd_healthy() {
	ETCDCTL_API=3 "$ETCDCTL_BIN" --endpoints="$(etcd_member_url "$1")" --dial-timeout=1s \
		--command-timeout=2s endpoint health >/dev/null 2>&1
}

etcd_member_wait() {
	wait_until "${2:-30}" _etcd_healthy "$1"
}

_etcd_write_once() {
	ETCDCTL_API=3 "$ETCDCTL_BIN" --endpoints="$(etcd_live_endpoints)" --dial-timeout=1s \
		--command-timeout=1s put /etcd-sh/sync x >/dev/null 2>&1
}

etcd_cluster_wait_writable() {
	wait_until "${1:-20}" _etcd_write_once
}

etcd_member_kill() {
	local pid=${ETCD_PIDS[$1]}
	[ -n "$pid" ] || return 0
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
	ETCD_PIDS[$1]=
}

etcd_cluster_stop() {
	local n pid
	for n in 1 2 3; do
		pid=${ETCD_PIDS[$n]:-}
		[ -n "$pid" ] || continue
		kill -TERM "$pid" 2>/dev/null || true
	done
	for n in 1 2 3; do
		pid=${ETCD_PIDS[$n]:-}
		[ -n "$pid" ] || continue
		kill_pid "$pid"
		wait "$pid" 2>/dev/null || true
		ETCD_PIDS[n]=
	done
}

etcd_cluster_start() {
	local n
	ETCD_DIR=$1
	mkdir -p "$ETCD_DIR"
	_etcd_pick_ports
	ETCD_PIDS=("" "" "" "")
	cleanup_push etcd_cluster_stop
	for n in 1 2 3; do
		etcd_member_start "$n"
	done
	for n in 1 2 3; do
		etcd_member_wait "$n" 60 || break
	done
	if ! etcd_member_wait "$n" 1; then
		for n in 1 2 3; do
			echo "--- m$n.log" >&2
			tail -n 20 "$ETCD_DIR/m$n.log" >&2
		done
		return 1
	fi
}
