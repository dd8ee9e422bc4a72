#!/bin/bash
# Slow clients against the HTTP server (issue 14): two namespaces on a veth
# pair, the server on 10.81.0.1, a client namespace with two addresses, A
# (10.81.0.2) for the attacker and B (10.81.0.3) for a normal client.
#
# Phase 0, the log at info level: 20 script requests of one machine are
# 20 events in `netbootctl watch`, but one boot-progress line, one
# lifecycle line and a summary; no line per request.
#
# Phase 1, the defaults (http.max_connections 1024, 64 per address,
# http.header_timeout 60 s): a slowloris of 2,000 connections from A, each
# sending a byte a second and never the end of its request
# (tests/integration/slowloris.py).  The server keeps 64 and refuses the
# rest with a 503; curl from B is served at once (the time is logged: the
# goal is 1 s, the check 5 s); every slow connection is closed by the server
# within 70 s; /metrics and one aggregated log line tell the refusals and
# the timeouts.
#
# Phase 2, after SIGHUP: http.header_timeout 3 s, room for all 2,000
# (max_connections and the per-address cap 4096): every slow connection is
# closed by the deadline (counted closed by the client, and in /metrics),
# B is still served meanwhile; on a kept-alive connection the deadline runs
# from the first byte of the next request, while an idle one lasts
# http.timeout.
#
# Phase 3: http.max_connections 16: A may take 14, the last eighth (2) is
# kept for addresses that hold none, and B gets one.
set -euo pipefail

NETBOOTD=${NETBOOTD:?NETBOOTD must point to netbootd}
CTL=${NETBOOTCTL:?NETBOOTCTL must point to netbootctl}
SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
LORIS=$SRCDIR/tests/integration/slowloris.py
PY=/usr/bin/python3
SRV=nbslS$$
CLI=nbslC$$
VS=nbslS$$
VC=nbslC$$
N=2000
MAC=52-54-00-12-34-56

# shellcheck source=../lib/netbootd.sh
. "$SRCDIR/tests/lib/netbootd.sh"
require_root
require_cmds ip curl "$PY"
# 2,000 connections on each side, and the daemon's own descriptors
ulimit -n 8192 2>/dev/null || ulimit -n "$(ulimit -Hn)"
[ "$(ulimit -n)" -ge 4400 ] || skip "ulimit -n is $(ulimit -n), 4400 needed"

new_tmpdir test-http-slowloris
T=$TMPDIR_NEW
LPID=
WPID=
new_veth_pair "$SRV" "$CLI" "$VS" "$VC" 10.81.0.1/24 10.81.0.2/24
ip -n "$CLI" addr add 10.81.0.3/24 dev "$VC"
cleanup_push 'stop_child "$LPID"'
cli() { ip netns exec "$CLI" "$@"; }
BASE=http://10.81.0.1:8090

mkdir -p "$T/state/images/k"
for f in kernel initrd rootfs.squashfs; do head -c 4096 /dev/urandom >"$T/state/images/k/$f"; done
cat >"$T/netbootd.yaml" <<EOF
state_dir: $T/state
dhcp: {enabled: false}
tftp: {enabled: false}
http: {port: 8090}
control: {socket: $T/control.sock}
EOF
netbootd_start "$T/log" "$SRV" -f -c "$T/netbootd.yaml"
wait_until 30 cli curl -s -o /dev/null --max-time 1 "$BASE/healthz" || true

metric() { # SERIES: its value in a scrape from B (empty when B is not served)
	{ cli curl -s --interface 10.81.0.3 --max-time 5 "$BASE/metrics" || true; } |
		awk -v s="$1" '$1 == s { print $2 }'
}
# served_from_b: curl from B gets /healthz within 5 s; its time appended to $T/times
served_from_b() {
	local out
	kill -0 "$LPID" 2>/dev/null || { echo "the slowloris is not running"; return 1; }
	out=$(cli curl -s --interface 10.81.0.3 --max-time 5 -o "$T/b.body" -w '%{http_code} %{time_total}' "$BASE/healthz") || true
	echo "${out#* }" >>"$T/times"
	echo "curl from B during the slowloris: status ${out% *}, ${out#* } s"
	[ "${out% *}" = 200 ] && [ "$(cat "$T/b.body")" = ok ]
}
loris_start() { # N MAX: the slowloris from A in the background (LPID), output in $T/loris.out
	rm -f "$T/ready"
	cli "$PY" "$LORIS" hold 10.81.0.1 8090 10.81.0.2 "$1" "$T/ready" "$2" >"$T/loris.out" 2>&1 &
	LPID=$!
	wait_until 60 test -e "$T/ready" || true
}
loris_wait() { wait "$LPID" && LRC=0 || LRC=$?; LPID=; cat "$T/loris.out"; }
loris_field() { awk -v f="$1" '{ for (i = 1; i < NF; i++) if ($i == f) print $(i + 1) }' "$T/loris.out"; }
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a + 0 <= b + 0) }'; }

# --- phase 0: the log of a client in a loop ---------------------------------
echo "== phase 0: 20 script requests of one machine, at info level"
"$CTL" -s "$T/control.sock" --json watch >"$T/watch" 2>&1 &
WPID=$!
cleanup_push 'stop_child "$WPID"'
sleep 1 # the watch subscribed
for i in $(seq 20); do
	cli curl -s --interface 10.81.0.3 -o /dev/null "$BASE/ipxe/$MAC"
done
scripts() { [ "$(grep -c '"kind":"script"' "$T/watch")" = 20 ]; }
wait_until 10 scripts || true
check "watch shows all 20 script events ($(grep -c '"kind":"script"' "$T/watch"))" scripts
stop_child "$WPID"
WPID=
check "one boot progress line at info for them ($(grep -c 'Boot progress of .*: script' "$T/log"))" \
	[ "$(grep -c 'Boot progress of .*: script' "$T/log")" = 1 ]
check "one lifecycle line ($(grep -c 'Machine .*: booting' "$T/log"))" \
	[ "$(grep -c 'Machine .*: booting' "$T/log")" = 1 ]
summary20() { grep -qE "HTTP: 2[0-9] requests in the last [0-9]+ s \(2[0-9] 200\), 19 repeated client lines at debug" "$T/log"; }
wait_until 15 summary20 || true
check "the summary tells the 20 requests and the 19 lines left at debug" summary20

# --- phase 1: the defaults ------------------------------------------------
echo "== phase 1: defaults, $N slow connections from A"
loris_start "$N" 75
check "the slowloris is holding its connections" test -e "$T/ready"
refused_all() { [ "$(metric 'netbootd_http_refused_total{reason="per_address"}')" = $((N - 64)) ]; }
wait_until 20 refused_all || true
check "the server keeps 64 of A's connections and refuses the rest ($(metric 'netbootd_http_refused_total{reason="per_address"}') refused)" refused_all
c=$(metric netbootd_http_connections)
check "connections held: A's 64 and B's scrape ($c)" bash -c "[ '${c:-0}' -ge 64 ] && [ '${c:-0}' -le 66 ]"
for i in 1 2 3; do
	check "B is served while A holds its connections (try $i)" served_from_b
done
loris_wait
check "every slow connection was closed by the server (rc $LRC)" [ "$LRC" = 0 ]
check "the slowloris opened all $N" [ "$(loris_field opened)" = "$N" ]
check "closed by the server: all $N" [ "$(loris_field closed_by_server)" = "$N" ]
check "the last closed within 70 s ($(loris_field max_close_s) s)" le "$(loris_field max_close_s)" 70
check "the refused ones were told 503 ($(loris_field refused_503))" [ "$(loris_field refused_503)" -ge $((N - 64 - 10)) ]
check "header timeouts counted: 64" [ "$(metric netbootd_http_header_timeouts_total)" = 64 ]
# One aggregated line per summary period (10 s): on a loaded machine the 2000
# connections may take longer to open than one period, so the counts of the
# (at most two) lines add up to the refusals.
refused_sum() {
	grep -oE "HTTP: refused [0-9]+ connections in the last [0-9]+ s: [0-9]+ from addresses holding http.max_connections_per_address \(64\), 0 kept for addresses holding none; the last from 10.81.0.2" "$T/log" |
		awk '{ n += $3 } END { print n + 0 }'
}
refused_line() { [ "$(refused_sum)" = $((N - 64)) ]; }
wait_until 15 refused_line || true
check "aggregated warnings for the refusals, $((N - 64)) in all ($(refused_sum))" refused_line
check "not one line per refused connection ($(grep -c 'HTTP: refused' "$T/log") lines)" [ "$(grep -c 'HTTP: refused' "$T/log")" -le 2 ]
timeout_line() { grep -qE "HTTP: closed 64 connections in the last [0-9]+ s that sent no whole request within http.header_timeout \(60 s\)" "$T/log"; }
wait_until 15 timeout_line || true
check "an aggregated line for the timeouts" timeout_line
check "a summary of the requests at info" grep -qE "HTTP: [0-9]+ requests? in the last [0-9]+ s \(([0-9]+ [0-9]{3}(, )?)+\)" "$T/log"
check "no per-request line at info" bash -c "! grep -q 'HTTP GET' '$T/log'"

# --- phase 2: a 3 s header deadline ----------------------------------------
echo "== phase 2: http.header_timeout 3 s, room for all $N"
cat >"$T/netbootd.yaml" <<EOF
state_dir: $T/state
dhcp: {enabled: false}
tftp: {enabled: false}
http: {port: 8090, max_connections: 4096, max_connections_per_address: 4096, header_timeout: 3, timeout: 8}
control: {socket: $T/control.sock}
EOF
kill -HUP "$PID"
reloaded() { grep -q "at most 4096 connections, 4096 per address" "$T/log"; }
wait_until 30 reloaded || true
check "reloaded with the new caps" reloaded
check "kept alive, the next request sent a byte a second is closed within 6 s" \
	cli "$PY" "$LORIS" keepalive-slow 10.81.0.1 8090 10.81.0.2 6
check "kept alive and idle, a connection lasts past the header deadline until http.timeout" \
	cli "$PY" "$LORIS" keepalive-idle 10.81.0.1 8090 10.81.0.2 5 14
T0=$(metric netbootd_http_header_timeouts_total)
loris_start "$N" 30
check "B is served while A's $N connections are open" served_from_b
loris_wait
check "every slow connection was closed by the server (rc $LRC)" [ "$LRC" = 0 ]
check "closed by the server: all $N" [ "$(loris_field closed_by_server)" = "$N" ]
check "none was refused" [ "$(loris_field refused_503)" = 0 ]
# The issue's margin (70 s for the 60 s deadline of phase 1): the client's clock
# starts at its connect, and 2000 connections wait in the accept queue of a
# loaded machine (3.0-4.2 s quiet, 6-11 s with a benchmark on the other core).
check "the last closed within 10 s of the 3 s deadline ($(loris_field max_close_s) s)" le "$(loris_field max_close_s)" 13
T1=$(metric netbootd_http_header_timeouts_total)
check "header timeouts counted: $N more ($T0 -> $T1)" [ "$((T1 - T0))" = "$N" ]

# --- phase 3: the slots kept for addresses that hold none -------------------
echo "== phase 3: max_connections 16, no per-address cap to speak of"
sed -i 's/max_connections: 4096, max_connections_per_address: 4096/max_connections: 16, max_connections_per_address: 1000/' "$T/netbootd.yaml"
kill -HUP "$PID"
reloaded16() { grep -q "at most 16 connections, 1000 per address" "$T/log"; }
wait_until 30 reloaded16 || true
check "reloaded with 16 connections" reloaded16
R0=$(metric 'netbootd_http_refused_total{reason="reserved"}')
loris_start 50 30
reserved_36() { R1=$(metric 'netbootd_http_refused_total{reason="reserved"}') && [ "$((R1 - R0))" = 36 ]; }
wait_until 20 reserved_36 || true
check "A gets 14 of the 16 slots, the last 2 are kept: 36 refused ($R0 -> $R1)" [ "$((R1 - R0))" = 36 ]
check "B is served from a kept slot while A holds 14" served_from_b
loris_wait
check "all 50 closed by the server: 36 refused, 14 at the deadline" [ "$(loris_field closed_by_server)" = 50 ]
caps=$(grep -c "HTTP connection cap of 16 reached" "$T/log" || true)
check "the pauses at the cap during the burst are not one warning each ($caps)" [ "$caps" -le 2 ]

echo "curl from B during the slowloris took (s): $(tr '\n' ' ' <"$T/times")"
check "daemon is still running" kill -0 "$PID"
netbootd_stop
check "no sanitizer report in the log" sh -c "! grep -qE 'AddressSanitizer|LeakSanitizer|runtime error' '$T/log'"

dump() {
	echo "--- netbootd log (tail) ---"
	tail -20 "$T/log"
}
check_summary dump
