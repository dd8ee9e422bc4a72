#!/bin/bash
# The status page (/ui/, /ui/state, /ui/events, "/"), against a netbootd in
# a namespace pair (10.81.0.1 server, 10.81.0.2 client) with the syslog
# receiver on: the page and its headers, the redirect, the snapshot, a
# syslog line "<script>..." from a machine coming back as JSON text, the
# event stream getting a boot event for a crafted /ipxe/<mac> request and
# a log line, a client that does not read dropped at the buffer cap, the
# stream cap, http.ui false (404) and http.ui_allow (403), a reload that
# narrows http.ui_allow ending the open streams, and the daemon up after
# all of it.  A label "<script>" is refused by the label rules themselves.
set -euo pipefail

NETBOOTD=${NETBOOTD:?NETBOOTD must point to netbootd}
CTL=${NETBOOTCTL:?NETBOOTCTL must point to netbootctl}
SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
PY=/usr/bin/python3
SRV=nbuiS$$
CLI=nbuiC$$
VS=nbuS$$
VC=nbuC$$

# shellcheck source=../lib/check.sh
. "$SRCDIR/tests/lib/check.sh"
require_root
require_cmds ip curl jq "$PY"

new_tmpdir test-ui
T=$TMPDIR_NEW
PID=
SSE=
SLOW=
new_veth_pair "$SRV" "$CLI" "$VS" "$VC" 10.81.0.1/24 10.81.0.2/24
cleanup_push 'stop_child "$PID"; stop_child "$SSE"; stop_child "$SLOW"'
cli() { ip netns exec "$CLI" "$@"; }
ctl() { "$CTL" -s "$T/control.sock" "$@"; }
BASE=http://10.81.0.1:8090
MAC=52:54:00:c0:ff:ee

mkdir -p "$T/state/images/e2e" "$T/ipxe"
: >"$T/ipxe/undionly.kpxe"
for f in kernel initrd rootfs.squashfs; do head -c 1000 /dev/urandom >"$T/state/images/e2e/$f"; done
write_conf() { # extra http: keys
	cat >"$T/netbootd.yaml" <<EOF2
interfaces: [$VS]
state_dir: $T/state
dhcp: {enabled: false}
tftp: {enabled: false}
http: {enabled: true, port: 8090, timeout: 5$1}
syslog: {enabled: true, port: 514}
ipxe: {dir: $T/ipxe}
control: {socket: $T/control.sock}
EOF2
}
start() {
	ip netns exec "$SRV" "$NETBOOTD" -f -c "$T/netbootd.yaml" 2>>"$T/netbootd.log" &
	PID=$!
	wait_until 30 cli curl -s -o /dev/null --max-time 1 $BASE/healthz
}
stop() { stop_child "$PID"; PID=; }
alive() { kill -0 "$PID" 2>/dev/null && cli curl -sf -o /dev/null --max-time 5 $BASE/healthz; }
code() { cli curl -s -o /dev/null -w '%{http_code}' --max-time 5 "$@"; }
write_conf ""
start

echo "== the page"
cli curl -s -D "$T/page.h" -o "$T/page.html" $BASE/ui/
check "/ui/ is 200 text/html" grep -qi '^content-type: text/html' "$T/page.h"
check "/ui/ has CSP default-src 'self'" grep -qi "^content-security-policy: default-src 'self'" "$T/page.h"
check "/ui/ loads its own script and style" grep -q 'src="ui.js"' "$T/page.html"
check "/ui/ has a viewport for phones" grep -q 'name="viewport"' "$T/page.html"
check "/ui/ui.js is served, as JavaScript" [ "$(cli curl -s -o /dev/null -w '%{http_code} %{content_type}' $BASE/ui/ui.js)" = "200 text/javascript; charset=utf-8" ]
check "/ui/ui.css is served" [ "$(code $BASE/ui/ui.css)" = 200 ]
check "the page's script sets no markup (no innerHTML)" bash -c "! grep -q innerHTML '$SRCDIR/daemon/ui/ui.js'"
check "no URL of another host in the page" bash -c "! grep -Eq 'https?://' '$SRCDIR/daemon/ui/index.html' '$SRCDIR/daemon/ui/ui.js' '$SRCDIR/daemon/ui/ui.css'"
check "/ui/missing.js is 404" [ "$(code $BASE/ui/missing.js)" = 404 ]
check "HEAD /ui/ is 200" [ "$(code -I $BASE/ui/)" = 200 ]
PAGE_BYTES=$(cli curl -s $BASE/ui/ $BASE/ui/ui.js $BASE/ui/ui.css | wc -c)
say "page, script and style: $PAGE_BYTES bytes"
check "/ redirects to /ui/" [ "$(cli curl -s -o /dev/null -w '%{http_code} %{redirect_url}' $BASE/)" = "302 $BASE/ui/" ]
check "/ui redirects to /ui/" [ "$(cli curl -s -o /dev/null -w '%{http_code} %{redirect_url}' $BASE/ui)" = "302 $BASE/ui/" ]
check "/ui/state/ is malformed (400)" [ "$(code $BASE/ui/state/)" = 400 ]

echo "== the snapshot"
cli curl -s -D "$T/state.h" -o "$T/s0.json" $BASE/ui/state
check "/ui/state is JSON" jq -e . "$T/s0.json"
check "/ui/state: Cache-Control no-store" grep -qi '^cache-control: no-store' "$T/state.h"
check "/ui/state lists the image e2e as ready" jq -e '.images | map(select(.name == "e2e" and .state == "ready")) | length == 1' "$T/s0.json"
check "/ui/state has profiles, groups, machines, events" jq -e '(.profiles|type) == "array" and (.groups|type) == "array" and (.machines|type) == "array" and (.events|type) == "array"' "$T/s0.json"
check "a label <script> is refused by the label rules" bash -c "! '$CTL' -s '$T/control.sock' label $MAC 'x=<script>alert(1)</script>' 2>/dev/null"
check "a label for the test machine" quiet ctl label $MAC role=web

echo "== the event stream"
cli curl -s -N -D "$T/sse.h" -o "$T/sse.out" --max-time 60 $BASE/ui/events &
SSE=$!
wait_until 10 grep -q 'netbootd status events' "$T/sse.out"
check "/ui/events is text/event-stream" grep -qi '^content-type: text/event-stream' "$T/sse.h"
check "/ui/events: Cache-Control no-store" grep -qi '^cache-control: no-store' "$T/sse.h"
T0=${EPOCHREALTIME/./}
quiet cli curl -s $BASE/ipxe/52-54-00-c0-ff-ee
check "a script request makes a boot event on the stream" wait_until 10 grep -q '"kind":"script"' "$T/sse.out"
say "event to stream: $(( (${EPOCHREALTIME/./} - T0) / 1000 )) ms (the request included)"
check "the event carries the machine, with its label" bash -c "grep '^data: ' '$T/sse.out' | sed 's/^data: //' | jq -e 'select(.event.kind == \"script\") | .machine.mac == \"$MAC\" and .machine.labels.role == \"web\"' >/dev/null"
# A syslog line from the machine's address (the /ipxe/ request taught netbootd which MAC it is).
cli "$PY" -c 'import socket,sys; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.sendto(b"<14>Jan  1 00:00:00 <b>host</b> app: <script>alert(1)</script> & more", ("10.81.0.1",514))'
check "the syslog line reaches the stream" wait_until 10 grep -q '"kind"\|event: log' "$T/sse.out"
wait_until 10 grep -q '^event: log' "$T/sse.out" || true
check "the log line's text arrives unchanged, as a JSON string" bash -c "grep '^data: ' '$T/sse.out' | sed 's/^data: //' | jq -e 'select(.msg != null) | .msg | contains(\"<script>alert(1)</script> & more\")' >/dev/null"
cli curl -s -o "$T/s1.json" $BASE/ui/state
check "/ui/state: the machine with its label, last event and log line" jq -e ".machines[] | select(.mac == \"$MAC\") | .labels.role == \"web\" and .last_event.kind == \"script\" and (.logs[-1].msg | contains(\"<script>\"))" "$T/s1.json"
check "/ui/state: the last events include the script event" jq -e '.events | map(select(.kind == "script")) | length >= 1' "$T/s1.json"
check "/ui/state: lifecycle is shown when the daemon has it (or absent)" jq -e ".machines[] | select(.mac == \"$MAC\") | (.lifecycle == null) or (.lifecycle.state | type == \"string\")" "$T/s1.json"

echo "== a client that does not read"
# A raw socket that sends the request and never reads: its events pile up.
cat >"$T/slow.py" <<'PYEOF'
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(("10.81.0.1", 8090))
s.sendall(b"GET /ui/events HTTP/1.1\r\nHost: x\r\n\r\n")
print("connected", flush=True)
time.sleep(120)
PYEOF
cli "$PY" "$T/slow.py" >"$T/slow.out" &
SLOW=$!
wait_until 10 grep -q connected "$T/slow.out"
RSS0=$(awk '/VmRSS/ {print $2}' /proc/"$PID"/status)
# Many boot events with long details: each is about 1 KB on every stream.
for i in $(seq 1 80); do
	printf 'url = %s/ipxe/52-54-00-c0-ff-%02x\n' "$BASE" "$i"
done >"$T/urls"
flood() { for _ in $(seq 1 12); do cli curl -s -o /dev/null -K "$T/urls"; done; }
flood
check "the non-reading stream is dropped" wait_until 30 grep -q "Dropping the status page's event stream of 10.81.0.2" "$T/netbootd.log"
RSS1=$(awk '/VmRSS/ {print $2}' /proc/"$PID"/status)
say "netbootd RSS: $RSS0 kB before the flood, $RSS1 kB after"
# AddressSanitizer keeps freed memory in quarantine: its build gets more room.
GROWTH=8192
ldd "$NETBOOTD" 2>/dev/null | grep -q libasan && GROWTH=131072
check "netbootd's memory did not grow by more than $((GROWTH / 1024)) MB" [ $((RSS1 - RSS0)) -lt $GROWTH ]
check "the reading stream is still open" kill -0 "$SSE"
check "netbootd is up" alive
stop_child "$SLOW"
SLOW=

echo "== the stream cap"
# 70 more streams beside the open one: the cap of 64 answers 503 to the rest.
PIDS=()
for i in $(seq 1 70); do
	ip netns exec "$CLI" curl -s -N -o /dev/null -w '%{http_code}\n' --max-time 8 $BASE/ui/events >>"$T/cap.codes" &
	PIDS+=($!)
done
for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
say "70 more streams: $(sort "$T/cap.codes" | uniq -c | tr '\n' ' ')"
check "beyond 64 streams: 503" [ "$(grep -c 503 "$T/cap.codes")" -ge 7 ]
check "at most 64 streams at once" [ "$(grep -c 200 "$T/cap.codes")" -le 63 ]
check "streams close with their clients: a new one is accepted" wait_until 15 bash -c "ip netns exec $CLI curl -s -N -o /dev/null -w '%{http_code}' --max-time 1 $BASE/ui/events | grep -q 200"
check "netbootd is up" alive

echo "== reload with http.ui_allow not matching the client"
write_conf ", ui_allow: [10.99.0.0/16]"
kill -HUP "$PID"
check "the open stream ends after the reload" wait_until 40 bash -c "! kill -0 $SSE 2>/dev/null"
wait "$SSE" 2>/dev/null || true
SSE=
for p in /ui/ /ui/state /ui/events /ui/ui.js /; do
	check "$p is 403 outside http.ui_allow" [ "$(code $BASE$p)" = 403 ]
done
write_conf ", ui_allow: [10.81.0.0/24]"
kill -HUP "$PID"
check "inside http.ui_allow: 200 again" wait_until 10 bash -c "[ \"\$(ip netns exec $CLI curl -s -o /dev/null -w '%{http_code}' --max-time 2 $BASE/ui/)\" = 200 ]"

echo "== http.ui: false"
write_conf ", ui: false"
kill -HUP "$PID"
check "/ui/ is 404 with http.ui false" wait_until 10 bash -c "[ \"\$(ip netns exec $CLI curl -s -o /dev/null -w '%{http_code}' --max-time 2 $BASE/ui/)\" = 404 ]"
for p in /ui/state /ui/events /ui/ui.js /; do
	check "$p is 404 with http.ui false" [ "$(code $BASE$p)" = 404 ]
done
check "/healthz still answers" [ "$(code $BASE/healthz)" = 200 ]

echo "== shutdown with an open stream"
write_conf ""
kill -HUP "$PID"
wait_until 10 bash -c "[ \"\$(ip netns exec $CLI curl -s -o /dev/null -w '%{http_code}' --max-time 2 $BASE/ui/)\" = 200 ]"
cli curl -s -N -o "$T/sse2.out" --max-time 30 $BASE/ui/events &
SSE=$!
wait_until 10 grep -q 'netbootd status events' "$T/sse2.out"
check "netbootd is up" alive
kill -TERM "$PID"
check "netbootd exits cleanly with a stream open" wait "$PID"
PID=
check "no crash or sanitizer report in the log" bash -c "! grep -Eq 'AddressSanitizer|runtime error|Assertion|Segmentation' '$T/netbootd.log'"

dump() {
	echo "--- netbootd"
	tail -40 "$T/netbootd.log"
	echo "--- stream"
	tail -20 "$T/sse.out" 2>/dev/null || true
}
check_summary dump
