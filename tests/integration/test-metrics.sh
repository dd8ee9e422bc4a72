#!/bin/bash
# /metrics after real traffic: two namespaces joined by a veth pair
# (10.79.0.1 server, 10.79.0.2 client).  The client sends iPXE DISCOVERs
# (tests/integration/proxydhcp-client.py probe) and one garbage datagram,
# fetches a loader and a missing file over TFTP and a few URLs over HTTP;
# the scrape must show each counter moved by exactly that, in a valid
# Prometheus text format 0.0.4 (checked by a small parser below).
set -euo pipefail

NETBOOTD=${NETBOOTD:?NETBOOTD must point to netbootd}
CTL=${NETBOOTCTL:?NETBOOTCTL must point to netbootctl}
SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
CLIENT=$SRCDIR/tests/integration/proxydhcp-client.py
PY=/usr/bin/python3
SRV=nbmetS$$
CLI=nbmetC$$
VS=nbmS$$
VC=nbmC$$

# shellcheck source=../lib/check.sh
. "$SRCDIR/tests/lib/check.sh"
require_root
require_cmds ip curl "$PY"
"$PY" -c 'import scapy.all' 2>/dev/null || skip "python3-scapy missing"
curl --version | grep -q tftp || skip "curl without tftp"

new_tmpdir test-metrics
T=$TMPDIR_NEW
PID=
WPID=
new_veth_pair "$SRV" "$CLI" "$VS" "$VC" 10.79.0.1/24 10.79.0.2/24
cleanup_push 'stop_child "$PID"; stop_child "$WPID"'
cli() { ip netns exec "$CLI" "$@"; }

mkdir -p "$T/state" "$T/ipxe" "$T/tftp"
LOADER_SIZE=100000
head -c $LOADER_SIZE /dev/urandom >"$T/ipxe/undionly.kpxe"
cat >"$T/netbootd.yaml" <<EOF
interfaces: [$VS]
state_dir: $T/state
dhcp: {enabled: true, port: 67, pxe_port: 4011}
tftp: {enabled: true, port: 69, root: $T/tftp}
http: {enabled: true, port: 8090}
ipxe: {dir: $T/ipxe, bios: undionly.kpxe, efi64: ipxe.efi}
control: {socket: $T/control.sock}
EOF
ip netns exec "$SRV" "$NETBOOTD" -f -c "$T/netbootd.yaml" 2>"$T/netbootd.log" &
PID=$!
wait_until 30 cli curl -s -o /dev/null --max-time 1 http://10.79.0.1:8090/healthz || true

BASE=http://10.79.0.1:8090
scrape() { cli curl -s -D "$T/$1.headers" -o "$T/$1" "$BASE/metrics"; }

# The parser: every sample "name{labels} value", HELP and TYPE before the
# samples of a family (a histogram's _bucket, _sum and _count too), counters
# end in _total, no duplicate series.  Prints
# "series value" lines for the other checks.
cat >"$T/parse.py" <<'PYEOF'
import re, sys
text = open(sys.argv[1]).read()
name_re = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
label_re = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"'
sample_re = re.compile(r"(%s)(\{(?:%s(?:,%s)*)?\})? (-?[0-9.eE+]+|NaN|[+-]Inf)$" % (name_re, label_re, label_re))
types, helps, seen, errors, out = {}, set(), set(), [], []
if not text.endswith("\n"):
    errors.append("no final newline")
for n, line in enumerate(text.splitlines(), 1):
    if line.startswith("# HELP "):
        helps.add(line.split()[2]); continue
    if line.startswith("# TYPE "):
        _, _, name, typ = line.split(" ", 3)
        if name in types: errors.append("%d: second TYPE for %s" % (n, name))
        if typ not in ("counter", "gauge", "untyped", "histogram", "summary"):
            errors.append("%d: bad type %s" % (n, typ))
        if name not in helps: errors.append("%d: TYPE before HELP for %s" % (n, name))
        if typ == "counter" and not name.endswith("_total"):
            errors.append("%d: counter %s without _total" % (n, name))
        types[name] = typ; continue
    m = sample_re.match(line)
    if not m:
        errors.append("%d: not a sample: %r" % (n, line)); continue
    name, labels, value = m.group(1), m.group(2) or "", m.group(3)
    base = re.sub(r"_(bucket|sum|count)$", "", name)
    if name not in types and types.get(base) != "histogram":
        errors.append("%d: %s has no TYPE before it" % (n, name))
    if name.endswith("_bucket") and 'le="' not in labels:
        errors.append("%d: bucket %s without le" % (n, name))
    if not name.startswith("netbootd_"): errors.append("%d: %s not netbootd_" % (n, name))
    key = name + labels
    if key in seen: errors.append("%d: duplicate series %s" % (n, key))
    seen.add(key)
    out.append("%s %s" % (key, value))
for e in errors: print("ERROR " + e)
print("\n".join(out))
sys.exit(1 if errors else 0)
PYEOF
val() { # file series: its value, or "absent"
	awk -v k="$2" '$1 == k { print $2; f = 1 } END { if (!f) print "absent" }' "$T/$1.parsed"
}
parse() { "$PY" "$T/parse.py" "$T/$1" >"$T/$1.parsed"; }
is() { # description file series expected
	local got
	got=$(val "$2" "$3")
	if [ "$got" = "$4" ]; then ok "$1: $3 = $4"; else bad "$1: $3 = $got, expected $4"; fi
}

scrape m0
check "first scrape parses as Prometheus text 0.0.4" parse m0
check "Content-Type text/plain; version=0.0.4" \
	grep -qi '^Content-Type: text/plain; version=0.0.4' "$T/m0.headers"
VERSION=$("$NETBOOTD" -V | awk '{print $2}')
is "build info" m0 "netbootd_build_info{version=\"$VERSION\"}" 1
is "idle" m0 'netbootd_requests_total{protocol="dhcp"}' 0
is "idle" m0 'netbootd_tftp_sessions' 0
# only the /healthz of the start-up wait so far: a scrape is not counted in itself
is "the scrape is not counted in itself" m0 'netbootd_http_responses_total{code="2xx"}' 1
check "uptime and start time present" sh -c "grep -q '^netbootd_uptime_seconds [0-9]' '$T/m0' &&
	grep -q '^netbootd_start_time_seconds [0-9]\{10\}' '$T/m0'"

echo "--- traffic"
for mac in 52:54:00:00:00:11 52:54:00:00:00:12; do
	cli "$PY" "$CLIENT" probe "$VC" 10.79.0.1 10.79.0.2 "$mac" yes >"$T/probe.out" 2>&1 ||
		bad "DHCP probe from $mac: $(tail -3 "$T/probe.out")"
done
cli "$PY" -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.sendto(b'\x01\x01\x06\x00garbage', ('10.79.0.1', 67))"
cli curl -s -o "$T/loader" tftp://10.79.0.1/undionly.kpxe
check "TFTP loader fetched whole" cmp -s "$T/loader" "$T/ipxe/undionly.kpxe"
cli curl -s -o /dev/null tftp://10.79.0.1/missing-file || true
cli curl -s -o /dev/null "$BASE/healthz"
cli curl -s -o /dev/null "$BASE/nothing-here"
cli curl -s -o "$T/loader2" "$BASE/boot/undionly.kpxe"
check "HTTP loader fetched whole" cmp -s "$T/loader2" "$T/ipxe/undionly.kpxe"
# The watcher is counted once netbootd has its watch request, which it
# answers by replaying the stored boot events: among them the two loaders,
# recorded as each transfer ended, when the TFTP and HTTP counters moved.
"$CTL" -s "$T/control.sock" --json watch >"$T/watch.out" 2>&1 &
WPID=$!
loaders_seen() { [ "$(grep -c '"kind": *"loader"' "$T/watch.out")" -ge 2 ]; }
check "the watcher gets both loader events (it is subscribed, the transfers are over)" \
	wait_until 30 loaders_seen

scrape m1
check "second scrape parses" parse m1
is "DHCP" m1 'netbootd_requests_total{protocol="dhcp"}' 3
is "DHCP" m1 'netbootd_dhcp_offers_total{client="ipxe",arch="bios"}' 2
is "DHCP" m1 'netbootd_dhcp_malformed_total' 1
is "DHCP" m1 'netbootd_dhcp_send_errors_total' 0
is "TFTP" m1 'netbootd_requests_total{protocol="tftp"}' 2
is "TFTP" m1 'netbootd_tftp_transfers_total' 1
is "TFTP" m1 'netbootd_tftp_errors_total' 1
is "TFTP" m1 'netbootd_tftp_retransmits_total' 0
is "TFTP" m1 'netbootd_tftp_timeouts_total' 0
is "TFTP" m1 'netbootd_sent_bytes_total{protocol="tftp"}' $LOADER_SIZE
# start-up /healthz + /metrics (m0) + /healthz + /boot: 2xx; /nothing-here: 4xx
is "HTTP" m1 'netbootd_http_responses_total{code="2xx"}' 4
is "HTTP" m1 'netbootd_http_responses_total{code="4xx"}' 1
is "HTTP" m1 'netbootd_requests_total{protocol="http"}' 5
# bodies: "ok\n" twice, the m0 scrape, "404 Not Found\n", the loader
M0_SIZE=$(stat -c %s "$T/m0")
is "HTTP" m1 'netbootd_sent_bytes_total{protocol="http"}' $((3 + M0_SIZE + 3 + 14 + LOADER_SIZE))
is "control" m1 'netbootd_control_clients' 1
is "imports" m1 'netbootd_imports_running' 0
is "imports" m1 'netbootd_imports_total{result="completed"}' 0
is "imports" m1 'netbootd_imports_total{result="failed"}' 0
kill "$WPID" 2>/dev/null || true
wait "$WPID" 2>/dev/null || true
WPID=

dump() {
	echo "--- metrics"
	cat "$T/m1"
	echo "--- netbootd"
	tail -30 "$T/netbootd.log"
}
check_summary dump
