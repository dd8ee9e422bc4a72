#!/bin/bash
# sd_notify protocol of a real netbootd, read by a NOTIFY_SOCKET listener of
# our own (no systemd needed): READY=1 only once the HTTP port accepts and
# the store is loaded (STATUS= counts its image), STATUS= refreshed on
# change, WATCHDOG=1 at half of WATCHDOG_USEC, RELOADING=1 (with
# MONOTONIC_USEC) then READY=1 on SIGHUP, STOPPING=1 on SIGTERM.  Everything
# runs inside a network namespace of our own.
set -euo pipefail

NETBOOTD=${NETBOOTD:?NETBOOTD must point to netbootd}
CTL=${NETBOOTCTL:?NETBOOTCTL must point to netbootctl}
PY=/usr/bin/python3
NS=nbnotify$$
PORT=18094

# shellcheck source=../lib/check.sh
. "$(dirname "$0")/../lib/check.sh"
require_root
require_cmds ip "$PY"

new_tmpdir test-notify
T=$TMPDIR_NEW
PID=
LPID=
new_netns "$NS"
cleanup_push 'stop_child "$LPID"; stop_child "$PID"'
in_ns() { ip netns exec "$NS" "$@"; }

mkdir -p "$T/state/images/demo"
head -c 1000 /dev/urandom >"$T/state/images/demo/kernel"
head -c 1000 /dev/urandom >"$T/state/images/demo/initrd"
fake_squashfs 1000 >"$T/state/images/demo/rootfs.squashfs"
cat >"$T/netbootd.yaml" <<EOF
state_dir: $T/state
dhcp: {enabled: false}
tftp: {enabled: false}
http: {port: $PORT}
control: {socket: $T/control.sock}
EOF

# The listener: one JSON line per datagram with its monotonic time; on the
# first READY=1 it tries the HTTP port at once and records whether it accepted.
cat >"$T/listen.py" <<'PYEOF'
import json, socket, sys, time
path, port, out = sys.argv[1], int(sys.argv[2]), open(sys.argv[3], "a")
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
ready_seen = False
while True:
    msg = s.recv(4096).decode()
    rec = {"t": time.monotonic(), "msg": msg}
    if "READY=1" in msg.split("\n") and not ready_seen:
        ready_seen = True
        c = socket.socket()
        c.settimeout(1)
        rec["http_ok"] = c.connect_ex(("127.0.0.1", port)) == 0
        c.close()
    out.write(json.dumps(rec) + "\n")
    out.flush()
PYEOF

# Queries on the recorded notifications.
cat >"$T/query.py" <<'PYEOF'
import json, re, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
what = sys.argv[2]
def has(r, pat): return any(re.fullmatch(pat, l) for l in r["msg"].split("\n"))
def idx(pat, start=0):
    for i in range(start, len(recs)):
        if has(recs[i], pat): return i
    return -1
if what == "wait":  # wait PATTERN [N]: exit 0 once N messages match
    n = int(sys.argv[4]) if len(sys.argv) > 4 else 1
    sys.exit(0 if sum(has(r, sys.argv[3]) for r in recs) >= n else 1)
if what == "ready-http":
    i = idx("READY=1")
    sys.exit(0 if i >= 0 and recs[i].get("http_ok") else 1)
if what == "ready-status":  # the first READY message carries a STATUS= matching PAT
    i = idx("READY=1")
    st = [l for l in recs[i]["msg"].split("\n") if l.startswith("STATUS=")] if i >= 0 else []
    print("  " + (st[0] if st else "(no STATUS=)"))
    sys.exit(0 if st and re.fullmatch(sys.argv[3], st[0]) else 1)
if what == "watchdog":  # at least N WATCHDOG=1 after READY, the median gap within 0.7..1.5 s
    # (the median: one ping late on a loaded machine, or the one after it
    # early, does not move it)
    i = idx("READY=1")
    ts = [r["t"] for r in recs[i:] if has(r, "WATCHDOG=1")]
    gaps = [b - a for a, b in zip(ts, ts[1:])]
    med = sorted(gaps)[len(gaps) // 2] if gaps else 0
    print("  %d pings, gaps %s, median %.2f" % (len(ts), ", ".join("%.2f" % g for g in gaps), med))
    sys.exit(0 if len(ts) >= int(sys.argv[3]) and 0.7 <= med <= 1.5 else 1)
if what == "quiet":  # no WATCHDOG=1 at all, and STOPPING=1 at least SECS after READY=1
    i, j = idx("READY=1"), idx("STOPPING=1")
    span = recs[j]["t"] - recs[i]["t"] if i >= 0 and j >= 0 else 0
    print("  READY=1 to STOPPING=1: %.2f s" % span)
    sys.exit(0 if idx("WATCHDOG=1") < 0 and span >= float(sys.argv[3]) else 1)
if what == "first":  # PAT1 found, and before any PAT2
    i, j = idx(sys.argv[3]), idx(sys.argv[4])
    sys.exit(0 if i >= 0 and (j < 0 or i < j) else 1)
if what == "order":  # order PAT1 PAT2 ...: each found after the previous
    i = 0
    for pat in sys.argv[3:]:
        i = idx(pat, i)
        if i < 0:
            sys.exit(1)
        i += 1
    sys.exit(0)
sys.exit(2)
PYEOF
q() { "$PY" "$T/query.py" "$T/notify.log" "$@"; }
waitfor() { wait_until "$3" q wait "$1" "$2"; } # pattern count seconds

ip netns exec "$NS" "$PY" "$T/listen.py" "$T/notify.sock" "$PORT" "$T/notify.log" &
LPID=$!
wait_until 30 test -S "$T/notify.sock" || true
[ -S "$T/notify.sock" ] || { echo "FAIL: the listener did not start"; exit 1; }

# Not through in_ns: $! must be the daemon's pid.  ip netns exec, env and sh
# each exec the next one, so $$ in sh is netbootd's pid too (WATCHDOG_PID).
ip netns exec "$NS" env NOTIFY_SOCKET="$T/notify.sock" WATCHDOG_USEC=2000000 \
	sh -c 'export WATCHDOG_PID=$$; exec "$0" -f -c "$1"' "$NETBOOTD" "$T/netbootd.yaml" \
	2>"$T/netbootd.log" &
PID=$!

check "READY=1 arrives" waitfor 'READY=1' 1 30
check "the HTTP port accepted when READY=1 arrived" q ready-http
check "STATUS= with READY=1 counts the store's image" \
	q ready-status 'STATUS=1 image, 0 machines, 0 TFTP sessions, 0 HTTP connections'
# Six pings (five gaps) with a deadline far beyond the six seconds they take.
check "six WATCHDOG=1 arrive" waitfor 'WATCHDOG=1' 6 60
check "no WATCHDOG=1 before READY=1" q first 'READY=1' 'WATCHDOG=1'
check "WATCHDOG=1 about every second (WATCHDOG_USEC=2 s)" q watchdog 6

# STATUS= follows the store within its 5 s refresh
"$CTL" -s "$T/control.sock" assign 52:54:00:00:00:01 demo >/dev/null
check "STATUS= refreshed after a change" \
	waitfor 'STATUS=1 image, 1 machine, 0 TFTP sessions, 0 HTTP connections' 1 15

kill -HUP "$PID"
check "RELOADING=1 with MONOTONIC_USEC on SIGHUP" waitfor 'MONOTONIC_USEC=[0-9]+' 1 30
check "READY=1 again after RELOADING=1" waitfor 'READY=1' 2 30
check "order: READY=1, RELOADING=1, READY=1" q order 'READY=1' 'RELOADING=1' 'READY=1'
check "the daemon still serves after the reload" in_ns "$PY" -c "
import socket; socket.create_connection(('127.0.0.1', $PORT), 2)"

kill -TERM "$PID"
rc=0
wait "$PID" || rc=$?
PID=
check "netbootd exits 0 on SIGTERM" test "$rc" = 0
check "STOPPING=1 on SIGTERM" waitfor 'STOPPING=1' 1 30

# Without WATCHDOG_USEC: no pings at all.
: >"$T/notify.log" # the listener appends (O_APPEND): truncating is safe
ip netns exec "$NS" env NOTIFY_SOCKET="$T/notify.sock" "$NETBOOTD" -f -c "$T/netbootd.yaml" \
	2>>"$T/netbootd.log" &
PID=$!
check "READY=1 without a watchdog" waitfor 'READY=1' 1 30
# An absence needs a time span: two seconds of running (where a watchdog
# would have pinged twice), then STOPPING=1 as a barrier, so that whatever
# netbootd sent before it is in the log when it is read.
sleep 2
kill -TERM "$PID"
wait "$PID" || true
PID=
waitfor 'STOPPING=1' 1 30 || true
check "no WATCHDOG=1 when WATCHDOG_USEC is unset" q quiet 2

dump() {
	echo "--- notifications"
	cat "$T/notify.log"
	echo "--- netbootd"
	cat "$T/netbootd.log"
}
check_summary dump
