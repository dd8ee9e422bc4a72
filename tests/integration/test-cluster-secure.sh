#!/bin/bash
# The etcd store over TLS with etcd authentication (store.tls, store.username
# and store.password of netbootd.yaml), against a real etcd 3.4 that
# requires client certificates and has auth enabled, in a namespace:
#   - an instance with the CA, its client certificate and a user allowed on
#     its prefix synchronises, seeds and takes a change;
#   - a wrong password, a missing client certificate, a CA that did not sign
#     the server's certificate: never synchronised, state changes refused as
#     unavailable (exit 5), and the log says why; the daemon stays up.
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
require_cmds etcd etcdctl openssl curl ip jq

new_tmpdir test-cluster-secure
T=$TMPDIR_NEW
NS=nbsec$$
new_netns "$NS"
ip -n "$NS" addr add 10.78.0.1/24 dev lo
EP=https://10.78.0.1:23890

# --- a CA, etcd's server certificate, a client certificate; another CA ---
pki() { openssl "$@" >/dev/null 2>&1; }
pki req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=test-ca -keyout "$T/ca.key" -out "$T/ca.pem"
pki req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=other-ca -keyout "$T/other.key" -out "$T/other.pem"
cert() { # NAME SUBJECT [EXTENSION]
	pki req -newkey rsa:2048 -nodes -subj "$2" -keyout "$T/$1.key" -out "$T/$1.csr"
	printf '%s\n' "${3:-}" >"$T/$1.ext"
	pki x509 -req -in "$T/$1.csr" -CA "$T/ca.pem" -CAkey "$T/ca.key" -CAcreateserial -days 2 \
		-out "$T/$1.pem" ${3:+-extfile "$T/$1.ext"}
}
cert server /CN=etcd "subjectAltName=IP:10.78.0.1"
# With auth enabled, etcd 3.4's JSON gateway refuses a client certificate
# that has a Common Name (netbootd.yaml(5)): the client's has none.
cert client /O=netbootd "extendedKeyUsage=clientAuth"
cert cn /CN=netbootd "extendedKeyUsage=clientAuth"
check "the certificates exist" test -s "$T/server.pem" -a -s "$T/client.pem"

etcd_start "$NS" s1 "$T/etcd" "$T/etcd.log" "$EP" http://127.0.0.1:23891 \
	s1=http://127.0.0.1:23891 "$NS" --cert-file "$T/server.pem" --key-file "$T/server.key" \
	--client-cert-auth --trusted-ca-file "$T/ca.pem"
track_child "$ETCD_PID"
sctl() { ip netns exec "$NS" etcdctl --endpoints "$EP" --cacert "$T/ca.pem" --cert "$T/client.pem" --key "$T/client.key" "$@"; }
healthy() { sctl endpoint health >/dev/null 2>&1; }
check "etcd with TLS and client certificates is up" wait_until 60 healthy
sctl user add root --new-user-password rootpw --interactive=false >/dev/null
sctl user add nb --new-user-password nbpw --interactive=false >/dev/null
sctl user grant-role root root >/dev/null
sctl role add nbrole >/dev/null
sctl role grant-permission nbrole --prefix=true readwrite /secure/ >/dev/null
sctl user grant-role nb nbrole >/dev/null
check "auth enabled" quiet sctl auth enable

start() { # NAME CA CERT KEY USER PASSWORD
	local n=$1
	cat >"$T/$n.yaml" <<EOF2
state_dir: $T/state-$n
dhcp: {enabled: false}
tftp: {enabled: false}
http: {enabled: false}
control: {socket: $T/$n.sock}
store:
  backend: etcd
  endpoints: [$EP]
  prefix: /secure/
  instance: $n
  tls: {ca: $2${3:+, cert: $3, key: $4}}
  username: $5
  password: $6
EOF2
	netbootd_start_ctl "$T/$n.log" "$NS" "$T/$n.sock" -f -c "$T/$n.yaml"
}
synced() { "$CTL" -s "$T/$1.sock" --json status | jq -e '.cluster.synchronised == true' >/dev/null; }

start good "$T/ca.pem" "$T/client.pem" "$T/client.key" nb nbpw
check "TLS + auth: synchronised" wait_until 20 synced good
check "TLS + auth: a change is taken" quiet "$CTL" -s "$T/good.sock" default-boot off
off_in_etcd() { sctl --user root:rootpw get /secure/desired/settings --print-value-only | jq -e '.default_boot == false' >/dev/null; }
check "TLS + auth: the change is in etcd" off_in_etcd

tried() { grep -q 'Cannot read the desired state' "$T/$1.log"; }
refused() { # NAME WHY-REGEX
	local rc=0
	"$CTL" -s "$T/$1.sock" default-boot on >/dev/null 2>&1 || rc=$?
	check "$1: not synchronised" bash -c "! '$CTL' -s '$T/$1.sock' --json status | jq -e '.cluster.synchronised == true' >/dev/null"
	check "$1: a change is refused as unavailable (exit 5, got $rc)" [ "$rc" = 5 ]
	check "$1: the log says why" wait_until 10 grep -Eqi "$2" "$T/$1.log"
	check "$1: still running" kill -0 "$PID"
}
start badpw "$T/ca.pem" "$T/client.pem" "$T/client.key" nb wrong
wait_until 10 tried badpw || true # its first attempt failed
refused badpw 'auth|password|denied|permission'
start nocert "$T/ca.pem" "" "" nb nbpw
wait_until 10 tried nocert || true # its first attempt failed
refused nocert 'certificate|ssl|tls|handshake|alert'
start otherca "$T/other.pem" "$T/client.pem" "$T/client.key" nb nbpw
wait_until 10 tried otherca || true # its first attempt failed
refused otherca 'certificate|ssl|verify|issuer'
start cn "$T/ca.pem" "$T/cn.pem" "$T/cn.key" nb nbpw
wait_until 10 tried cn || true # its first attempt failed
refused cn 'Common Name'

check_summary
