# shellcheck shell=bash
# shellcheck disable=SC2034 # ETCD_PID, for the tests that source this file
# etcd for the tests of a shared store (source from bash, after common.sh).
#
#   etcd_start NS NAME DATADIR LOG CLIENT-URL PEER-URL CLUSTER TOKEN
#                        start member NAME of a new etcd cluster in network
#                        namespace NS, in the background of this shell:
#                        clients on CLIENT-URL, peers on PEER-URL, the
#                        members in CLUSTER (NAME=PEER-URL,...), output
#                        appended to LOG; its PID in ETCD_PID (the caller
#                        stops it: track_child, or cleanup_push kill_pid)
#   etcd_healthy_in NS ENDPOINTS
#                        whether etcdctl endpoint health passes for every
#                        one of ENDPOINTS (comma-separated), from NS

ETCD_PID=

etcd_start() {
	local ns=$1 name=$2 dir=$3 log=$4 client=$5 peer=$6 cluster=$7 token=$8
	# Not through a subshell: $! is etcd itself (ip netns exec execs it).
	ip netns exec "$ns" etcd --name "$name" --data-dir "$dir" \
		--listen-client-urls "$client" --advertise-client-urls "$client" \
		--listen-peer-urls "$peer" --initial-advertise-peer-urls "$peer" \
		--initial-cluster "$cluster" --initial-cluster-state new \
		--initial-cluster-token "$token" >>"$log" 2>&1 &
	ETCD_PID=$!
}

etcd_healthy_in() {
	ip netns exec "$1" etcdctl --endpoints "$2" endpoint health >/dev/null 2>&1
}
