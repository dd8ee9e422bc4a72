#!/bin/bash
# The syslog receiver against real senders: two namespaces joined by a veth
# pair, 10.81.0.1 the server, 10.81.0.2 machine A (logger from util-linux),
# 10.81.0.3 machine B (python sockets bound to it), and 10.81.9.9, an
# address routed through the client that maps to no machine (neither
# learned nor in the server's neighbour table).  Each machine fetches its
# iPXE script over HTTP first, so netbootd learns its MAC from its address.
#
# Off by default: no socket, and netbootctl logs says so.  Then, after a
# SIGHUP that enables it: RFC 3164 and RFC 5424 lines shown by logs, their
# --json fields, -f receiving a new line, --since filtering; bad input
# (oversized, invalid UTF-8, binary garbage, empty, a 10,000-datagram flood
# from one address) capped and counted in /metrics, the daemon up, and the
# other machines' lines still arriving.  A profile with netconsole: nothing
# added to machine A's command line while syslog is off (explain and the log
# say why), netconsole=@/,PORT@10.81.0.1/ in its script and in explain once on,
# and a raw kernel-style line from it shown by logs.  The served
# cloud-config's command that forwards the installer's journal, run on
# machine A: its lines shown by logs.
set -euo pipefail

NETBOOTD=${NETBOOTD:?NETBOOTD must point to netbootd}
CTL=${NETBOOTCTL:?NETBOOTCTL must point to netbootctl}
SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
PY=/usr/bin/python3
SRV=nbslS$$
CLI=nbslC$$
VS=nbslS$$
VC=nbslC$$
PORT=5514
BASE=http://10.81.0.1:8090
MAC_A=52:54:00:00:0a:01
MAC_B=52:54:00:00:0b:02
MAC_X=52:54:00:00:99:99 # never seen

# shellcheck source=../lib/netbootd.sh
. "$SRCDIR/tests/lib/netbootd.sh"
require_root
require_cmds ip curl ss "$PY"

new_tmpdir test-syslog
T=$TMPDIR_NEW
CTL_ARGS=(-s "$T/control.sock")
FPID=
new_veth_pair "$SRV" "$CLI" "$VS" "$VC" 10.81.0.1/24 10.81.0.2/24
ip -n "$CLI" addr add 10.81.0.3/24 dev "$VC"
ip -n "$CLI" addr add 10.81.9.9/32 dev lo
ip -n "$SRV" route add 10.81.9.9/32 via 10.81.0.2
cleanup_push 'stop_child "$FPID"'
cli() { ip netns exec "$CLI" "$@"; }
srv() { ip netns exec "$SRV" "$@"; }

# send FROM HEX...: one datagram per hex string, from address FROM
cat >"$T/send.py" <<'PYEOF'
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 0))
for h in sys.argv[3:]:
    s.sendto(bytes.fromhex(h), ("10.81.0.1", int(sys.argv[2])))
PYEOF
send() { local from=$1; shift; cli "$PY" "$T/send.py" "$from" "$PORT" "$@"; }
hex() { printf '%s' "$1" | od -An -tx1 | tr -d ' \n'; }

mkdir -p "$T/state/images/kairos"
for f in kernel initrd rootfs.squashfs; do echo "$f" >"$T/state/images/kairos/$f"; done
write_config() { # syslog section
	cat >"$T/netbootd.yaml" <<EOF
interfaces: [$VS]
state_dir: $T/state
dhcp: {enabled: false}
tftp: {enabled: false}
http: {port: 8090}
control: {socket: $T/control.sock}
default: {image: kairos}
$1
EOF
}
write_config ""
check "--check-config accepts the default" "$NETBOOTD" --check-config -c "$T/netbootd.yaml"
netbootd_start_ctl "$T/netbootd.log" "$SRV" "$T/control.sock" -f -c "$T/netbootd.yaml"

metrics() { cli curl -s "$BASE/metrics" >"$T/metrics"; }
metric() { awk -v k="$1" '$1 == k { print $2; f = 1 } END { if (!f) print "absent" }' "$T/metrics"; }
metric_is() { # description series expected
	local got
	got=$(metric "$2")
	if [ "$got" = "$3" ]; then ok "$1: $2 = $3"; else bad "$1: $2 = $got, expected $3"; fi
}
udp_bound() { srv ss -Hlun "sport = :$PORT" | grep -q .; }

echo "== off by default"
if udp_bound; then bad "a socket on UDP $PORT with syslog off"; else ok "no socket on UDP $PORT"; fi
run 1 logs "$MAC_A"
check "logs says the receiver is off" err_has "syslog receiver is off"
metrics
metric_is "off" netbootd_syslog_messages_total 0

echo "== netconsole in a profile, syslog off: nothing added, and explain and the log say why"
run 0 profile set nc --image kairos --netconsole
run 0 --json profile get nc
check "the profile keeps netconsole" out_has '"netconsole":true'
run 0 group set nc --profile nc --mac "$MAC_A"
cli curl -s -o "$T/script" "$BASE/ipxe/${MAC_A//:/-}"
check "the script boots kairos" grep -q "^kernel .*/images/kairos/kernel" "$T/script"
check "no netconsole= while syslog is off" sh -c "! grep -q netconsole '$T/script'"
check "the log says why" grep -q "Not adding netconsole= to the command line of $MAC_A: syslog is not enabled" "$T/netbootd.log"
run 0 explain "$MAC_A"
check "explain says why" out_has "netconsole    not added: syslog is not enabled in netbootd.yaml"

echo "== --check-config"
write_config "syslog: {enabled: true, port: 69}"
check "--check-config still passes with TFTP off" "$NETBOOTD" --check-config -c "$T/netbootd.yaml"
write_config "syslog: {enabled: true, ring_lines: 0}"
if "$NETBOOTD" --check-config -c "$T/netbootd.yaml" >"$T/cc.out" 2>&1; then
	bad "--check-config accepted ring_lines 0"
else
	check "--check-config names the key" grep -q "syslog.ring_lines: 0 is out of range" "$T/cc.out"
fi

echo "== enabled by SIGHUP"
write_config "syslog: {enabled: true, port: $PORT, ring_lines: 50, max_line: 256}"
kill -HUP "$PID"
check "the receiver listens after SIGHUP" wait_until 30 udp_bound

cli curl -s -o "$T/script" "$BASE/ipxe/${MAC_A//:/-}"
cli curl -s -o "$T/script.b" --interface 10.81.0.3 "$BASE/ipxe/${MAC_B//:/-}"

echo "== netconsole with syslog on"
check "the script's command line ends with netconsole= to the receiver" \
	grep -Eq "^kernel .* netconsole=@/,$PORT@10\.81\.0\.1/ initrd=initrd( |$)" "$T/script"
check "a machine in another profile gets none" sh -c "! grep -q netconsole '$T/script.b'"
run 0 --json explain "$MAC_A"
check "explain shows the same command line" "$PY" -c "
import json, re
p = json.load(open('$T/out'))['plan']
line = [l for l in open('$T/script') if l.startswith('kernel ')][0]
assert p['cmdline'].endswith(' netconsole=@/,$PORT@10.81.0.1/'), p
assert p['cmdline'] in line, (p['cmdline'], line)
assert p['netconsole'] == 'added to the command line', p
"

echo "== RFC 3164 and RFC 5424"
if command -v logger >/dev/null && logger --help 2>&1 | grep -q -- --rfc5424; then
	cli logger --udp --server 10.81.0.1 --port "$PORT" --rfc3164 -t installer -p daemon.err \
		"partitioning /dev/sda failed"
	cli logger --udp --server 10.81.0.1 --port "$PORT" --rfc5424 --msgid INST1 -t kairos \
		-p local0.info "install step 2"
else
	send 10.81.0.2 "$(hex '<27>Dec  2 03:31:31 nodeA installer: partitioning /dev/sda failed')" \
		"$(hex '<134>1 2026-12-02T03:31:32Z nodeA kairos 7 INST1 - install step 2')"
fi
logs_has() { # MAC COUNT: logs MAC prints COUNT lines at least
	"$CTL" "${CTL_ARGS[@]}" logs "$1" >"$T/out" 2>"$T/err" && [ "$(wc -l <"$T/out")" -ge "$2" ]
}
check "machine A's two lines are kept" wait_until 20 logs_has "$MAC_A" 2
check "the RFC 3164 line, with its severity and tag" \
	grep -q "$MAC_A err .* installer: partitioning /dev/sda failed$" "$T/out"
check "the RFC 5424 line" grep -Eq "$MAC_A info .* kairos(\[[0-9]+\])?: install step 2$" "$T/out"
run 0 logs "$MAC_A" --json
check "--json: one object per line, with the fields" "$PY" -c "
import json, sys
lines = [json.loads(l) for l in open('$T/out')]
a, b = lines
assert a['format'] == 'rfc3164' and b['format'] == 'rfc5424', lines
assert a['mac'] == b['mac'] == '$MAC_A' and a['client'] == '10.81.0.2', lines
assert a['facility'] == 'daemon' and a['severity'] == 'err' and a['app'] == 'installer', a
assert a['msg'] == 'partitioning /dev/sda failed' and a['msgid'] is None, a
assert b['facility'] == 'local0' and b['severity'] == 'info' and b['msgid'] == 'INST1', b
assert b['app'] == 'kairos' and b['msg'] == 'install step 2' and b['hostname'], b
assert b['timestamp'].startswith('20') and not a['truncated'], b
assert isinstance(a['time'], int) and a['time'] <= b['time'], lines
"
run 0 --json logs "$MAC_A"
check "the global --json is the same" test "$(wc -l <"$T/out")" = 2
check "the journal line carries NETBOOT_MAC (stderr here: the MAC and the text)" \
	grep -q "$MAC_A installer: partitioning /dev/sda failed" "$T/netbootd.log"
run 0 logs "$MAC_X"
check "a machine without lines: nothing" test ! -s "$T/out"
run 2 logs
run 2 logs "$MAC_A" --since yesterday

echo "== -f and --since"
"$CTL" "${CTL_ARGS[@]}" logs -f "$MAC_A" >"$T/follow.out" 2>"$T/follow.err" &
FPID=$!
follow_has() { [ "$(grep -c . "$T/follow.out")" -ge "$1" ]; }
check "-f replays the two lines" wait_until 20 follow_has 2
LAST_MS=$("$CTL" "${CTL_ARGS[@]}" --json logs "$MAC_A" | tail -n 1 |
	"$PY" -c 'import json,sys; print(json.load(sys.stdin)["time"])')
send 10.81.0.2 "$(hex '<13>Dec  2 03:40:00 nodeA cloud-init: stage after-install done')"
check "-f receives the new line" wait_until 20 follow_has 3
check "-f: the new line as a line" grep -q "notice nodeA cloud-init: stage after-install done" "$T/follow.out"
stop_child "$FPID"
FPID=
SINCE=$("$PY" -c "import datetime; t = datetime.datetime.fromtimestamp(($LAST_MS + 1) / 1000, datetime.timezone.utc); print(t.strftime('%Y-%m-%dT%H:%M:%S.%f')[:23] + 'Z')")
run 0 logs "$MAC_A" --since "$SINCE"
check "--since $SINCE: only the new line" test "$(wc -l <"$T/out")" = 1
check "--since: it is the new line" out_has "after-install done"
run 0 logs "$MAC_A" --since 10m
check "--since 10m: all three" test "$(wc -l <"$T/out")" = 3
run 0 logs "$MAC_A" --since "@$(($(date +%s) + 3600))"
check "--since an hour ahead: none" test ! -s "$T/out"

echo "== bad input"
metrics
base_trunc=$(metric netbootd_syslog_truncated_total)
big=$("$PY" -c "print(('<14>big ' + 'x' * 60000).encode().hex())")
send 10.81.0.3 "$big" "3c31343e6e6f7420ff7574662d38c0af0a" "00ff1b5b326a0d0a01fe80" "0a000d0a"
logs_b() { logs_has "$MAC_B" 3; }
check "machine B's oversized, invalid UTF-8 and garbage lines are kept" wait_until 20 logs_b
run 0 logs "$MAC_B" --json
check "capped at max_line, escaped, valid JSON" "$PY" -c "
import json
a, b, c = [json.loads(l) for l in open('$T/out')]
assert a['truncated'] and len(a['msg'].encode()) <= 256 and a['msg'].startswith('big xxx'), a
assert b['msg'] == 'not \\\\xffutf-8\\\\xc0\\\\xaf', b
assert c['format'] == 'raw' and c['msg'] == '\\\\x00\\\\xff\\\\x1b[2j\\\\x0d\\\\x0a\\\\x01\\\\xfe\\\\x80', c
"
metrics
metric_is "bad input" netbootd_syslog_truncated_total $((base_trunc + 1))
metric_is "bad input" netbootd_syslog_escaped_total 2
metric_is "bad input" 'netbootd_syslog_dropped_total{reason="empty"}' 1
metric_is "bad input" netbootd_syslog_machines 2

echo "== a flood from one address"
cli "$PY" - <<'PYEOF'
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.81.9.9", 0))
for i in range(10000):
    s.sendto(b"<13>flood: line %d" % i, ("10.81.0.1", 5514))
PYEOF
flood_counted() {
	metrics
	local lim unk
	lim=$(metric 'netbootd_syslog_dropped_total{reason="rate_limited"}')
	unk=$(metric 'netbootd_syslog_lines_total{sender="unknown"}')
	[ "$lim" != absent ] && [ "$lim" -gt 0 ] && [ "$unk" -ge 1 ]
}
check "the flood is rate-limited and counted" wait_until 30 flood_counted
unk=$(metric 'netbootd_syslog_lines_total{sender="unknown"}')
echo "  flood: $(metric netbootd_syslog_messages_total) datagrams received in all," \
	"$(metric 'netbootd_syslog_dropped_total{reason="rate_limited"}') rate-limited, $unk passed"
check "at most a burst and a few seconds' rate passed ($unk)" test "$unk" -le 1000
check "unknown senders' lines are not kept" test "$(metric netbootd_syslog_machines)" = 2
check "netbootd is still running" kill -0 "$PID"
check "the flood is logged once" test "$(grep -c "Syslog flood from 10.81.9.9" "$T/netbootd.log")" = 1
send 10.81.0.3 "$(hex '<13>nodeB: still heard after the flood')"
after_flood() { logs_has "$MAC_B" 4 && grep -q "still heard after the flood" "$T/out"; }
check "machine B's line still arrives" wait_until 20 after_flood
check "/metrics: every syslog family" sh -c "grep -q '^# TYPE netbootd_syslog_messages_total counter' '$T/metrics' &&
	grep -q '^netbootd_syslog_bytes [1-9]' '$T/metrics' &&
	grep -q '^netbootd_syslog_evicted_total 0' '$T/metrics' &&
	grep -q '^netbootd_syslog_dropped_total{reason=\"interface\"} 0' '$T/metrics'"

echo "== the ring's size"
ring=()
for i in $(seq 0 59); do ring+=("$(hex "<13>ring: line $i")"); done
send 10.81.0.3 "${ring[@]}"
ring_full() { logs_has "$MAC_B" 50 && grep -q "ring: line 59$" "$T/out"; }
check "60 lines sent to a ring of 50" wait_until 20 ring_full
check "the ring keeps the last 50" test "$(wc -l <"$T/out")" = 50
check "the oldest kept is line 10" grep -q "ring: line 10$" <(head -n 1 "$T/out")
write_config "syslog: {enabled: true, port: $PORT, ring_lines: 20, max_line: 256}"
kill -HUP "$PID"
ring_cleared() { "$CTL" "${CTL_ARGS[@]}" logs "$MAC_B" >"$T/out" 2>&1 && [ ! -s "$T/out" ]; }
check "a reload with a new ring_lines clears the lines" wait_until 20 ring_cleared
check "and the receiver still listens" udp_bound

echo "== a kernel netconsole line (raw text, no priority) is machine A's"
send 10.81.0.2 "$(hex '[    3.141592] EXT4-fs (sda1): mounted filesystem')"
netconsole_line() { "$CTL" "${CTL_ARGS[@]}" logs "$MAC_A" >"$T/out" 2>&1 && grep -q "EXT4-fs (sda1): mounted filesystem" "$T/out"; }
check "logs shows the kernel's line" wait_until 20 netconsole_line

echo "== the served cloud-config forwards the installer's journal"
# The first before-install command, run on machine A as Kairos' installer
# would, with a stand-in journalctl (the installer's journal) and the real
# logger of util-linux.
cli curl -s -o "$T/cc" "$BASE/config/${MAC_A//:/-}"
"$PY" - "$T/cc" >"$T/fwd.sh" <<'PYEOF'
import sys, yaml
steps = yaml.safe_load(open(sys.argv[1]))["stages"]["before-install"]
print(steps[0]["commands"][0])
PYEOF
check "the command sends the journal to the receiver" grep -q "logger -d -n 10.81.0.1 -P $PORT -t kairos-install" "$T/fwd.sh"
mkdir -p "$T/fakebin"
printf '#!/bin/sh\necho "Dec 02 10:00:00 kairos kairos-agent[42]: installing to /dev/vda"\n' >"$T/fakebin/journalctl"
chmod +x "$T/fakebin/journalctl"
cli env PATH="$T/fakebin:$PATH" sh "$T/fwd.sh"
journal_line() { "$CTL" "${CTL_ARGS[@]}" logs "$MAC_A" >"$T/out" 2>&1 && grep -q "kairos-install.*installing to /dev/vda" "$T/out"; }
check "logs shows the installer's journal line" wait_until 20 journal_line

echo "== off again by SIGHUP"
write_config ""
kill -HUP "$PID"
not_bound() { ! udp_bound; }
check "the socket is closed" wait_until 30 not_bound
run 1 logs "$MAC_A"
netbootd_stop
check_summary
