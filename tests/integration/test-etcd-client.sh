#!/bin/bash
# The etcd client (daemon/etcd.c, driven by tests/tools/etcd-probe) against a
# real 3-member etcd cluster on loopback (tests/lib/etcd.sh), with etcdctl as
# the independent judge: the callback rules (etcd-probe selftest); put/get/prefix with binary values; a txn CAS that
# succeeds, then fails on the stale revision; a watch seeing etcdctl's puts
# and deletes; a watch surviving the death of the member it streams from
# (every revision once, in order); unary failover past a dead member; all
# members dead: "unavailable" within the timeout and one "down", then "up"
# again by itself when they return; a watch that fell behind a compaction
# gets -ESTALE with the compaction's revision; a lease kept alive, then
# expiring with its key.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
PROBE=${ETCD_PROBE:-$HERE/../../build/tests/etcd-probe}
PY=/usr/bin/python3
# shellcheck source=../lib/check.sh
. "$HERE/../lib/check.sh"
# shellcheck source=../lib/etcd.sh
. "$HERE/../lib/etcd.sh"
require_cmds "$ETCD_BIN" "$ETCDCTL_BIN" "$PY" ss
[ -x "$PROBE" ] || { echo "FAIL: no etcd-probe at $PROBE"; exit 1; }

new_tmpdir test-etcd-client
T=$TMPDIR_NEW
etcd_cluster_start "$T/etcd" || { echo "FAIL: the etcd cluster did not start"; exit 1; }
EPS=$(etcd_cluster_endpoints)
ok "3-member cluster up: $EPS"

probe() { "$PROBE" "$EPS" "$@"; }
hex_of_file() { $PY -c 'import sys; print(open(sys.argv[1], "rb").read().hex())' "$1"; }
# The value etcdctl reads for KEY, as hex ("" when absent).
ctl_value_hex() {
	etcd_ctl get "$1" -w json | $PY -c '
import base64, json, sys
kvs = json.load(sys.stdin).get("kvs", [])
print(base64.b64decode(kvs[0].get("value", "")).hex() if kvs else "")'
}
ctl_revision() { etcd_ctl get / -w json | $PY -c 'import json,sys; print(json.load(sys.stdin)["header"]["revision"])'; }
# etcdctl put KEY VALUE; prints the revision it made.
ctl_put() { etcd_ctl put "$1" "$2" -w json | $PY -c 'import json,sys; print(json.load(sys.stdin)["header"]["revision"])'; }
ctl_del() { etcd_ctl del "$1" -w json | $PY -c 'import json,sys; print(json.load(sys.stdin)["header"]["revision"])'; }
lines() { if [ -f "$1" ]; then grep -c "$2" "$1" || true; else echo 0; fi; }
has_lines() { [ "$(lines "$1" "$2")" -ge "$3" ]; }
now() { date +%s.%N; }

# --- the callback rules (never from inside a call; etcd_free() cancels) --------
out=$(probe selftest) || true
grep FAIL <<<"$out" || true # which rule, when one breaks
check "selftest: $(grep -c '^selftest ok' <<<"$out") rules hold, none broken" \
	test "$(grep -c '^selftest ok' <<<"$out")" = 15 -a "$(grep -c FAIL <<<"$out")" = 0

# --- put / get / prefix -------------------------------------------------------
head -c 3000 /dev/urandom >"$T/bin"
printf 'nul\0 newline\n quote" backslash\\ \xff\xfe end' >>"$T/bin"
out=$(probe put-file /t/bin "$T/bin")
check "put-file answers ok with a revision ($out)" grep -Eq '^ok revision=[0-9]+$' <<<"$out"
check "etcdctl reads the 3 KiB binary value byte for byte" \
	test "$(ctl_value_hex /t/bin)" = "$(hex_of_file "$T/bin")"
etcd_ctl put /t/ctl "$(printf 'tab\there "q" \\ é')" >/dev/null
out=$(probe get /t/ctl)
check "get returns etcdctl's value" grep -q "value_hex=$(printf 'tab\there "q" \\ é' | xxd -p | tr -d '\n')\$" <<<"$out"
check "get of a missing key: count=0" grep -Eq '^count=0 revision=[0-9]+$' <<<"$(probe get /t/none)"
out=$(probe put /t/empty "")
check "an empty value is stored as empty" test "$(etcd_ctl get /t/empty --print-value-only)" = ""
for k in 1 2 3; do etcd_ctl put "/t/p/$k" "v$k" >/dev/null; done
etcd_ctl put /t/p0 outside >/dev/null
etcd_ctl put /t/p outside >/dev/null
out=$(probe prefix /t/p/)
check "prefix /t/p/ finds exactly its 3 keys" test "$(grep -o 'key=[^ ]*' <<<"$out" | tr '\n' ' ')" = "key=/t/p/1 key=/t/p/2 key=/t/p/3 "
check "prefix reports count=3" grep -q '^count=3 ' <<<"$out"
check "prefix values match" test "$(grep -o 'value_hex=[0-9a-f]*' <<<"$out" | tr '\n' ' ')" = "value_hex=7631 value_hex=7632 value_hex=7633 "

# --- txn CAS ------------------------------------------------------------------
rev=$(ctl_put /t/cas first)
out=$(probe txn-cas /t/cas "$rev" second) || true
check "CAS on mod_revision $rev succeeds ($out)" grep -q '^succeeded revision=' <<<"$out"
check "etcdctl sees the CAS's value" test "$(etcd_ctl get /t/cas --print-value-only)" = second
rc=0
out=$(probe txn-cas /t/cas "$rev" third) || rc=$?
check "CAS on the stale revision fails (exit 4, $out)" test "$rc" = 4
check "the failed CAS reports the current mod_revision" grep -q "^failed revision=[0-9]* mod=$((rev + 1))\$" <<<"$out"
check "the failed CAS changed nothing" test "$(etcd_ctl get /t/cas --print-value-only)" = second

# --- watch: etcdctl's puts and deletes ------------------------------------------
start=$(($(ctl_revision) + 1))
"$PROBE" "$EPS" watch /t/w/ 4 "$start" >"$T/watch1" 2>&1 &
WPID=$!
track_child "$WPID"
expect=""
r=$(ctl_put /t/w/a 1) && expect+="PUT /t/w/a $r;"
r=$(ctl_put /t/w/b 2) && expect+="PUT /t/w/b $r;"
r=$(ctl_del /t/w/a) && expect+="DELETE /t/w/a $r;"
etcd_ctl put /t/elsewhere x >/dev/null
r=$(ctl_put /t/w/c 3) && expect+="PUT /t/w/c $r;"
wait_until 20 has_lines "$T/watch1" '^event' 4 || true
got=$(awk '/^event/ { sub("key=", "", $3); sub("mod=", "", $4); printf "%s %s %s;", $2, $3, $4 }' "$T/watch1")
check "the watch saw etcdctl's puts and delete, in order, with their revisions" test "$got" = "$expect"
check "the delete event carries no value" grep -q '^event DELETE key=/t/w/a .*value_hex=$' "$T/watch1"
rc=0
wait "$WPID" || rc=$?
check "the watch probe exits 0 after its 4 events" test "$rc" = 0

# --- a watch survives the death of its member -----------------------------------
# Which member does PID stream from?  (its established connection's port)
member_of() {
	local port n
	port=$(ss -tnpH state established 2>/dev/null | grep "pid=$1," | awk '{ print $4 }' | sed 's/.*://' | head -n 1)
	for n in 1 2 3; do
		[ "$port" = "${ETCD_CLIENT_PORTS[$n]}" ] && { echo "$n"; return 0; }
	done
	return 1
}
start=$(($(ctl_revision) + 1))
"$PROBE" "$EPS" watch /t/s/ 21 "$start" >"$T/watch2" 2>&1 &
WPID=$!
track_child "$WPID"
check "the watch has a connection" wait_until 10 quiet member_of "$WPID"
victim=$(member_of "$WPID" || echo 1)
expect=""
for i in $(seq 1 10); do expect+="$(ctl_put "/t/s/$i" "before-$i") "; done
wait_until 20 has_lines "$T/watch2" '^event' 10 || true
etcd_member_kill "$victim"
ok "killed member $victim, the one the watch streamed from"
check "the cluster takes writes without member $victim" etcd_cluster_wait_writable
for i in $(seq 11 20); do expect+="$(ctl_put "/t/s/$i" "after-$i") "; done
wait_until 30 has_lines "$T/watch2" '^event' 20 || true
got=$(awk '/^event/ { sub("mod=", "", $4); printf "%s ", $4 }' "$T/watch2")
check "all 20 events arrived once each, in revision order, across the kill" test "$got" = "$expect"
newm=$(member_of "$WPID" || echo none)
check "the watch streams from another member now ($newm)" test "$newm" != "$victim" -a "$newm" != none
ctl_put /t/s/21 last >/dev/null
check "... and the watch goes on (21st event)" wait_until 10 has_lines "$T/watch2" '^event' 21
rc=0
wait "$WPID" || rc=$?
check "the watch probe exits 0 after its 21 events" test "$rc" = 0
etcd_member_start "$victim"
check "member $victim is back" etcd_member_wait "$victim"

# --- unary failover past a dead member ------------------------------------------
etcd_member_kill 1
check "the cluster takes writes without member 1" etcd_cluster_wait_writable
t0=$(now)
out=$(probe put /t/failover yes)
t1=$(now)
check "put with member 1 (listed first) dead succeeds ($out)" grep -q '^ok revision=' <<<"$out"
check "get with member 1 dead returns it" grep -q "value_hex=796573$" <<<"$(probe get /t/failover)"
echo "measured: put with the first endpoint dead: $(seconds_between "$t0" "$t1") s"
etcd_member_start 1
check "member 1 is back" etcd_member_wait 1

# --- all dead: unavailable, down, then up again by itself -----------------------
"$PROBE" "$EPS" state 120 /t/state/ >"$T/state" 2>&1 &
SPID=$!
track_child "$SPID"
check "the state probe reports up" wait_until 10 has_lines "$T/state" '^up$' 1
for n in 1 2 3; do etcd_member_kill "$n"; done
t0=$(now)
rc=0
out=$(probe get /t/x 2>&1) || rc=$?
t1=$(now)
el=$(seconds_between "$t0" "$t1")
check "get with every member dead fails: unavailable ($out)" grep -q '^error unavailable: ' <<<"$out"
check "... with exit status 1" test "$rc" = 1
check "... within the request timeout (${el} s < 5 s)" awk -v e="$el" 'BEGIN { exit !(e < 5) }'
check "the state probe reports down" wait_until 10 has_lines "$T/state" '^down ' 1
t0=$(now)
for n in 1 2 3; do etcd_member_start "$n"; done
for n in 1 2 3; do etcd_member_wait "$n" 60 || true; done
check "the state probe reports up again by itself" wait_until 30 has_lines "$T/state" '^up$' 2
t1=$(now)
echo "measured: up again $(seconds_between "$t0" "$t1") s after the members were restarted"
kill -TERM "$SPID"
rc=0
wait "$SPID" || rc=$?
check "the state probe exits cleanly on SIGTERM (status $rc)" test "$rc" = 0
check "transitions reported once each: up, down, up ($(tr '\n' '|' <"$T/state"))" \
	test "$(cut -d' ' -f1 "$T/state" | tr '\n' ' ')" = "up down up "

# --- a watch behind a compaction: -ESTALE ---------------------------------------
# The watch streams from member 2 through a TCP proxy; cutting the proxy
# holds the watch back while etcd writes and compacts, restoring it lets it
# resume from a revision that is gone.
cat >"$T/proxy.py" <<'EOF'
import socket, sys, threading
listen, target = int(sys.argv[1]), int(sys.argv[2])
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", listen))
srv.listen(16)
def pipe(a, b):
    try:
        while True:
            d = a.recv(65536)
            if not d:
                break
            b.sendall(d)
    except OSError:
        pass
    for s in (a, b):
        try:
            s.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
while True:
    c, _ = srv.accept()
    u = socket.create_connection(("127.0.0.1", target))
    threading.Thread(target=pipe, args=(c, u), daemon=True).start()
    threading.Thread(target=pipe, args=(u, c), daemon=True).start()
EOF
PPORT=$(free_tcp_port)
$PY "$T/proxy.py" "$PPORT" "${ETCD_CLIENT_PORTS[2]}" &
PROXY=$!
track_child "$PROXY"
port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$PPORT") 2>/dev/null; }
wait_until 10 port_open || true
start=$(($(ctl_revision) + 1))
"$PROBE" "http://127.0.0.1:$PPORT" watch /t/c/ 100 "$start" >"$T/watch3" 2>&1 &
CPID=$!
track_child "$CPID"
seen=$(ctl_put /t/c/1 one)
check "the proxied watch sees a first event" wait_until 10 has_lines "$T/watch3" '^event' 1
stop_child "$PROXY"
ctl_put /t/c/2 two >/dev/null
ctl_put /t/c/3 three >/dev/null
crev=$(ctl_revision)
etcd_ctl compact "$crev" >/dev/null
compacted_on_2() {
	local out
	out=$(ETCDCTL_API=3 "$ETCDCTL_BIN" --endpoints="$(etcd_member_url 2)" get /t/c/ \
		--rev="$((seen + 1))" 2>&1 || true)
	grep -q compacted <<<"$out"
}
check "member 2 has compacted to $crev" wait_until 10 compacted_on_2
$PY "$T/proxy.py" "$PPORT" "${ETCD_CLIENT_PORTS[2]}" &
PROXY=$!
track_child "$PROXY"
rc=0
wait_until 20 has_lines "$T/watch3" '^stale' 1 || true
wait "$CPID" 2>/dev/null || rc=$?
check "the watch behind the compaction reports -ESTALE at $crev ($(tail -n 1 "$T/watch3"))" \
	grep -q "^stale compact_revision=$crev\$" "$T/watch3"
check "... and exits 3" test "$rc" = 3
check "... after delivering only the event before the gap" test "$(lines "$T/watch3" '^event')" = 1
stop_child "$PROXY"

# --- leases -------------------------------------------------------------------
probe lease 2 4 /t/lease/k >"$T/lease" 2>&1
check "lease granted with TTL 2" grep -Eq '^granted id=[0-9]+ ttl=2$' "$T/lease"
check "4 keepalives renewed it to 2 s" test "$(lines "$T/lease" '^keepalive ttl=2$')" = 4
# 4 renewals at TTL/3 took longer than the TTL: only they kept the key.
check "the leased key outlived its TTL while kept alive" test "$(etcd_ctl get /t/lease/k --print-value-only)" = leased
t0=$(now)
gone() { [ -z "$(etcd_ctl get /t/lease/k --print-value-only)" ]; }
check "without keepalives the key disappears" wait_until 10 gone
t1=$(now)
echo "measured: the leased key went $(seconds_between "$t0" "$t1") s after the last keepalive (TTL 2 s)"
id=$(sed -n 's/^granted id=\([0-9]*\) .*/\1/p' "$T/lease")
check "etcdctl says the lease is gone" grep -q "already expired" <<<"$(etcd_ctl lease timetolive "$(printf '%x' "$id")")"

check_summary tail -n 30 "$T/etcd/m1.log"
