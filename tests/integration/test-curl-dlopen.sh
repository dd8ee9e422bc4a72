#!/bin/bash
# libcurl is loaded only when needed (daemon/curl-dl.h), in a network
# namespace this test creates, with a one-member etcd on its loopback:
#   - netbootd does not link libcurl (no DT_NEEDED);
#   - with the local store it never maps libcurl;
#   - with the etcd backend it maps libcurl, synchronises and takes a change;
#   - where libcurl.so.4 cannot be loaded (a mount namespace in which it
#     reads as an empty file): the local store still runs and answers, the
#     etcd backend refuses to start and says that it needs libcurl.
set -euo pipefail

NETBOOTD=${NETBOOTD:?NETBOOTD must point to netbootd}
CTL=${NETBOOTCTL:?NETBOOTCTL must point to netbootctl}
HERE=$(cd "$(dirname "$0")" && pwd)
export TZ=UTC LC_ALL=C
unset NETBOOTD_SOCKET

# shellcheck source=../lib/etcd.sh
. "$HERE/../lib/netbootd.sh"
. "$HERE/../lib/etcd.sh"
require_root
require_cmds etcd etcdctl ip jq readelf unshare mount

new_tmpdir test-curl-dlopen
T=$TMPDIR_NEW
NS=nbcurl$$
new_netns "$NS"
EP=http://127.0.0.1:23990

# config NAME BACKEND: netbootd.yaml for instance NAME (backend local or etcd).
config() {
	cat >"$T/$1.yaml" <<EOF
state_dir: $T/state-$1
dhcp: {enabled: false}
tftp: {enabled: false}
http: {enabled: false}
control: {socket: $T/$1.sock}
EOF
	[ "$2" = local ] || printf 'store: {backend: etcd, endpoints: [%s], prefix: /dl/, instance: %s}\n' \
		"$EP" "$1" >>"$T/$1.yaml"
}
curl_mapped() { grep -q 'libcurl\.so' "/proc/$1/maps"; }
rss() { awk '/^VmRSS/ {print $2 " " $3}' "/proc/$1/status"; }

needed=$(readelf -d "$NETBOOTD" | grep NEEDED || true)
check "netbootd does not link libcurl (DT_NEEDED: $(sed 's/.*\[\(.*\)\]/\1/' <<<"$needed" | tr '\n' ' '))" \
	bash -c "! grep -q libcurl <<<'$needed'"

config plain local
netbootd_start_ctl "$T/plain.log" "$NS" "$T/plain.sock" -f -c "$T/plain.yaml"
check "local store: libcurl is not mapped (VmRSS $(rss "$PID"))" bash -c "! grep -q 'libcurl\.so' /proc/$PID/maps"
netbootd_stop

etcd_start "$NS" e1 "$T/etcd" "$T/etcd.log" "$EP" http://127.0.0.1:23991 \
	e1=http://127.0.0.1:23991 "$NS"
track_child "$ETCD_PID"
check "etcd is up" wait_until 60 etcd_healthy_in "$NS" "$EP"
config shared etcd
netbootd_start_ctl "$T/shared.log" "$NS" "$T/shared.sock" -f -c "$T/shared.yaml"
synced() { "$CTL" -s "$T/shared.sock" --json status | jq -e '.cluster.synchronised == true' >/dev/null; }
check "etcd backend: synchronised" wait_until 30 synced
check "etcd backend: libcurl is mapped (VmRSS $(rss "$PID"))" curl_mapped "$PID"
check "etcd backend: a change is taken" quiet "$CTL" -s "$T/shared.sock" default-boot off
off_in_etcd() {
	ip netns exec "$NS" etcdctl --endpoints "$EP" get /dl/desired/settings --print-value-only |
		jq -e '.default_boot == false' >/dev/null
}
check "etcd backend: the change is in etcd" off_in_etcd
LIBCURL=$(awk '$6 ~ /\/libcurl\.so/ {print $6; exit}' "/proc/$PID/maps")
netbootd_stop

# netbootd where the libcurl it loaded above reads as an empty file.
cat >"$T/no-curl" <<EOF
#!/bin/sh
exec unshare -m --propagation private sh -c 'mount --bind /dev/null "\$0" && exec "\$@"' \\
	'$LIBCURL' '$NETBOOTD' "\$@"
EOF
chmod +x "$T/no-curl"
check "libcurl was found in the maps ($LIBCURL)" test -f "$LIBCURL"
NETBOOTD=$T/no-curl netbootd_start_ctl "$T/plain2.log" "$NS" "$T/plain.sock" -f -c "$T/plain.yaml"
check "without libcurl: the local store answers" quiet "$CTL" -s "$T/plain.sock" default-boot off
netbootd_stop

rc=0
timeout 30 ip netns exec "$NS" "$T/no-curl" -f -c "$T/shared.yaml" >"$T/shared2.log" 2>&1 || rc=$?
check "without libcurl: the etcd backend does not start (exit $rc)" [ "$rc" != 0 -a "$rc" != 124 ]
check "without libcurl: the log says why" \
	grep -q "etcd backend needs libcurl (libcurl.so.4): .*libcurl" "$T/shared2.log"

check_summary tail -n 5 "$T"/*.log
