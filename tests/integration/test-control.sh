#!/bin/bash
# The control socket of a real netbootd driven by the real netbootctl: every
# command with human and --json output, authorisation (nobody, a member of a
# temporary control group), garbage on the socket, a client that never
# reads, cancel on disconnect, kill -9 during add-image, persistence across
# a restart, and the unreachable daemon.  HTTP runs on 127.0.0.1 inside a
# network namespace of our own; the socket lives in a temp directory.
set -euo pipefail

NETBOOTD=${NETBOOTD:?NETBOOTD must point to netbootd}
CTL=${NETBOOTCTL:?NETBOOTCTL must point to netbootctl}
PY=/usr/bin/python3
NS=nbctl$$
GROUP=nbctl$$
PORT=18093
MAC=52:54:00:aa:bb:01
export TZ=UTC LC_ALL=C
unset NETBOOTD_SOCKET

# shellcheck source=../lib/netbootd.sh
. "$(dirname "$0")/../lib/netbootd.sh"
require_root
require_cmds curl ip cmp mksquashfs setpriv runuser groupadd groupdel "$PY"

new_tmpdir test-control
T=$TMPDIR_NEW
chmod 755 "$T"
SOCK=$T/run/control.sock
STATE=$T/state
CTL_ARGS=(-s "$SOCK")
BG=
BG2=
cleanup_push 'groupdel "$GROUP" 2>/dev/null'
cleanup_push '[ -z "$BG" ] || kill -9 "$BG" 2>/dev/null; [ -z "$BG2" ] || kill -9 "$BG2" 2>/dev/null'

in_ns() { ip netns exec "$NS" "$@"; }

new_netns "$NS"
groupadd "$GROUP"
CTL_GID=$(getent group "$GROUP" | cut -d: -f3)
NOBODY=$(id -u nobody)

cat >"$T/netbootd.yaml" <<EOF
state_dir: $STATE
dhcp: {enabled: false}
tftp: {enabled: false}
http: {port: $PORT}
control: {socket: $SOCK, group: $GROUP}
EOF

start() { netbootd_start_ctl "$T/log" "$NS" "$SOCK" -f -c "$T/netbootd.yaml"; }
stop() { netbootd_stop; }

# --- an image source made by the test -----------------------------------
SRC=$T/src
mkdir -p "$SRC/root/etc"
echo kairos >"$SRC/root/etc/hostname"
head -c 2097152 /dev/urandom >"$SRC/kernel"
head -c 300001 /dev/urandom >"$SRC/initrd"
mksquashfs "$SRC/root" "$SRC/rootfs.squashfs" -quiet -noappend >/dev/null
chmod -R a+rX "$SRC"
printf '#cloud-config\nhostname: "{{hostname}}"\n' >"$T/cc.yaml"
printf 'not: cloud-config\n' >"$T/bad.yaml"

start

# --- the socket file ------------------------------------------------------
check "socket is mode 0660 root:$GROUP" \
	test "$(stat -c '%a %U %G' "$SOCK")" = "660 root $GROUP"

# --- status ---------------------------------------------------------------
run 0 status
check "status human output" out_has "default boot: *on"
run 0 --json status
check "status --json has every field" out_json "set(d) == {'version','uptime_s','images','machines','machines_fleet','configs','default_image','default_config','default_boot','tftp_sessions','http_connections','store'} and d['store'] == 'local' and d['images'] == 0 and d['default_boot'] is True"

# --- add-image, images, HTTP ------------------------------------------------
run 0 add-image k1 --dir "$SRC"
check "add-image human output" out_has "added image k1"
check "add-image printed plain progress lines" err_has "copy kernel"
run 0 --json add-image k2 --dir "$SRC" --cmdline "console=ttyS0"
check "add-image --json prints progress events and the manifest" "$PY" -c "
import json,sys
lines=[json.loads(l) for l in open('$T/out') if l.strip()]
ev=[l for l in lines if l.get('event')=='progress']
m=lines[-1]
sys.exit(0 if ev and ev[0]['data']['phase']=='copy' and m['name']=='k2' and m['cmdline']=='console=ttyS0' and m['files']['kernel']['size']==2097152 else 1)"
check "HTTP serves the kernel right after add-image" \
	in_ns curl -sf -o "$T/kernel.got" "http://127.0.0.1:$PORT/images/k1/kernel"
check "served kernel is byte-identical" cmp -s "$T/kernel.got" "$SRC/kernel"
check "HTTP serves the squashfs" in_ns curl -sf -o "$T/rootfs.got" "http://127.0.0.1:$PORT/images/k2/rootfs.squashfs"
check "served squashfs is byte-identical" cmp -s "$T/rootfs.got" "$SRC/rootfs.squashfs"
run 0 images
check "images lists k1 and k2" out_has "^k2 .*dir:$SRC"
run 0 --json images
check "images --json: manifests with sha256 and assigned" out_json "[i['name'] for i in d] == ['k1','k2'] and d[0]['assigned'] == 0 and len(d[0]['files']['initrd']['sha256']) == 64"
run 1 add-image k1 --dir "$SRC"
check "add-image of an existing name says exists" err_has "exists"
run 0 add-image k1 --dir "$SRC" --force
run 1 add-image k3 --dir "$T/nonexistent"
run 1 add-image k3 --iso "$T/nonexistent.iso"
check "a missing ISO is reported" err_has "cannot read \"$T/nonexistent.iso\": No such file or directory"
run 1 --json add-image k3 127.0.0.1:1/x:v1
check "an unreachable OCI registry is an io error (--json)" out_json "d['code'] == 'io' and 'Couldn' in d['message']"
mkdir -p "$T/badsrc" && cp "$SRC/kernel" "$SRC/initrd" "$T/badsrc/" && head -c 4096 /dev/urandom >"$T/badsrc/rootfs.squashfs"
run 1 add-image k3 --dir "$T/badsrc"
check "a rootfs without the squashfs magic is invalid" err_has "hsqs\|squashfs"
check "no leftovers after failed imports" test -z "$(ls -A "$STATE/images" | grep -v '^k[12]$')"

# --- cloud-configs --------------------------------------------------------
run 0 config set c1 "$T/cc.yaml"
check "config set output" out_has "stored config c1"
run 1 config set c2 "$T/bad.yaml"
run 0 config get c1
check "config get returns the content" cmp -s "$T/out" "$T/cc.yaml"
run 0 --json config get c1
check "config get --json" out_json "d['name'] == 'c1' and d['content'].startswith('#cloud-config')"
run 0 config default c1
run 0 --json config list
check "config list --json marks the default" out_json "d == [{'name':'c1','size':$(stat -c %s "$T/cc.yaml"),'default':True}]"
run 0 config list
check "config list human" out_has "^c1 "
run 1 config default nosuch
check "config default of a missing config: not found" err_has "no such cloud-config"
run 0 --json config default --none
check "config default --none" out_json "d == {'name': None}"

# --- machines ---------------------------------------------------------------
run 0 assign "52-54-00-AA-BB-01" k1 --config c1 --append-cmdline "debug=1"
check "assign human output" out_has "assigned $MAC to image k1"
run 0 --json machines
check "machines --json" out_json "d == [{'mac':'$MAC','image':'k1','config':'c1','cmdline':'debug=1','cmdline_mode':'append','labels':{},'profile':None,'last_event':None,'lifecycle':{'state':'new','since':None,'error':None,'installed_at':None,'group':None,'boots':0,'installs':0},'boot':{'action':'netboot','image':'k1','from':'assigned','group':None}}]"
run 0 machines
check "machines human" out_has "^$MAC *new *- *k1 *c1"
run 1 assign 52:54:00:aa:bb:02 nosuch
check "assign to a missing image: not found" err_has "No such image"
run 1 assign 52:54:00:aa:bb:02 k1 --config nosuch
check "assign with a missing config" err_has "no such cloud-config"
run 1 remove-image k1
check "remove-image refused while assigned" err_has "in use\|used by"
run 0 --json images
check "k1 counts one assigned machine" out_json "d[0]['assigned'] == 1"
run 0 --json default-boot off
check "default-boot off" out_json "d == {'enabled': False}"
run 0 --json status
check "status shows default_boot off, 2 images, 1 machine, 1 config" out_json "d['default_boot'] is False and d['images'] == 2 and d['machines'] == 1 and d['configs'] == 1"

# --- persistence across a restart ------------------------------------------
stop
start
run 0 --json machines
check "assignment persists across a restart" out_json "d[0]['mac'] == '$MAC' and d[0]['image'] == 'k1'"
run 0 --json status
check "settings and images persist" out_json "d['default_boot'] is False and d['images'] == 2 and d['configs'] == 1"
run 0 default-boot on
check "default-boot human" out_has "on"
run 0 remove-image k1 --force
check "remove-image --force" out_has "removed image k1"
run 0 --json images
check "k1 is gone" out_json "[i['name'] for i in d] == ['k2']"
run 0 unassign "$MAC"
check "unassign output" out_has "unassigned $MAC"
run 1 unassign "$MAC"
check "unassign of an unknown machine: not found" err_has "No such machine"

# --- authorisation ------------------------------------------------------------
chmod 0666 "$SOCK" # an operator opening the socket to everyone for reads
check "nobody: status works" quiet as_nobody status
check "nobody: images/machines/config list work" eval 'as_nobody images >/dev/null && as_nobody machines >/dev/null && as_nobody config list >/dev/null'
rc=0
as_nobody default-boot off >"$T/out" 2>"$T/err" || rc=$?
check "nobody: default-boot exits 4" test "$rc" = 4
check "nobody: permission denied message" err_has "ermission denied"
rc=0
runuser -u nobody -- "$CTL" -s "$SOCK" assign "$MAC" k2 >"$T/out" 2>"$T/err" || rc=$?
check "runuser nobody: assign exits 4" test "$rc" = 4
check "daemon logs the refused uid and command" grep -q "Refused \"assign\" from uid $NOBODY" "$T/log"
check "group member may assign" quiet as_member assign "$MAC" k2
check "group member may unassign" quiet as_member unassign "$MAC"
mkdir -p "$T/private" && cp "$SRC"/{kernel,initrd,rootfs.squashfs} "$T/private/" && chmod 700 "$T/private"
rc=0
as_member add-image k4 --dir "$T/private" >"$T/out" 2>"$T/err" || rc=$?
check "group member cannot import a directory it cannot read (exit 4)" test "$rc" = 4
check "netbootctl says it cannot read the directory (it opens the files, not netbootd)" err_has "cannot read the directory"
chmod 755 "$T/private" && chmod 600 "$T/private/initrd"
rc=0
as_member add-image k4 --dir "$T/private" >"$T/out" 2>"$T/err" || rc=$?
check "... nor one with an unreadable file" test "$rc" = 4
chmod 644 "$T/private/initrd"
check "group member can import a readable directory" as_member add-image k4 --dir "$T/private"
chmod 0660 "$SOCK"

# --- garbage on the socket --------------------------------------------------
cat >"$T/garbage.py" <<'EOF'
import json, os, re, socket, struct, sys, time, urllib.request
path, port = sys.argv[1], int(sys.argv[2])
def conn():
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.connect(path); s.settimeout(5); return s
def frame(obj):
    b = obj if isinstance(obj, bytes) else json.dumps(obj).encode()
    return struct.pack(">I", len(b)) + b
def recv(s):
    h = b""
    while len(h) < 4:
        c = s.recv(4 - len(h))
        if not c: return None
        h += c
    n = struct.unpack(">I", h)[0]; d = b""
    while len(d) < n:
        c = s.recv(n - len(d))
        if not c: return None
        d += c
    return json.loads(d)
def closed(s):
    try:
        return s.recv(1) == b""
    except OSError:
        return True
def reply_or_close(s):                # the reply; None when closed (or reset); "timeout"
    try:
        return recv(s)
    except ConnectionResetError:
        return None
    except socket.timeout:
        return "timeout"
STORED = ("images", "machines", "configs", "default_image", "default_config", "default_boot")
def stored():                         # what status says is stored, from a new client; None: no answer
    try:
        s = conn(); s.sendall(frame({"version": 1, "command": "status"})); r = recv(s); s.close()
    except OSError:
        return None
    return r and r.get("ok") and {k: r["data"][k] for k in STORED} or None
def control_clients():                # the daemon's own count, from /metrics; -1: no answer
    try:
        t = urllib.request.urlopen("http://127.0.0.1:%d/metrics" % port, timeout=5).read().decode()
    except OSError:
        return -1
    return int(re.search(r"^netbootd_control_clients (\d+)$", t, re.M).group(1))
def wait_until(secs, cond):
    end = time.monotonic() + secs
    while not cond():
        if time.monotonic() > end: return False
        time.sleep(0.1)
    return True
fails = 0
def check(what, cond):
    global fails
    print(("ok: " if cond else "FAIL: ") + what)
    fails += 0 if cond else 1
bystander = conn()                    # a client connected through all of this
before = stored()
def code(r): return r and not r.get("ok") and r["error"]["code"]
s = conn(); s.sendall(frame({"version": 1, "command": "status", "args": {}}) * 3)
check("three pipelined requests get three replies", all(recv(s)["ok"] for _ in range(3)))
s.sendall(frame(b"{not json")); check("bad JSON: bad-json, still open", code(recv(s)) == "bad-json")
s.sendall(frame({"version": 2, "command": "status"})); check("wrong version: bad-version", code(recv(s)) == "bad-version")
s.sendall(frame({"version": 1, "command": "reboot"})); check("unknown command", code(recv(s)) == "unknown-command")
s.sendall(frame({"version": 1, "command": "assign", "args": {"mac": "zz"}})); check("bad args", code(recv(s)) == "bad-args")
s.sendall(frame(b"\xff\xfe\x00garbage")); check("non-UTF-8: bad-json", code(recv(s)) == "bad-json")
s.sendall(frame({"version": 1, "command": "status"})); check("the connection still works", recv(s)["ok"])
s.close()
s = conn(); s.sendall(struct.pack(">I", 0)); r = recv(s)
check("zero length: bad-frame then close", code(r) == "bad-frame" and closed(s))
s = conn(); s.sendall(struct.pack(">I", 1 << 30) + b"x" * 100); r = recv(s)
check("oversized length: bad-frame then close", code(r) == "bad-frame" and closed(s))
# Then EOF, so that a random length below the cap does not leave it waiting.
# An error frame or a close, and then the daemon still answers a new client
# with everything it had stored (a dead daemon closes too).
s = conn(); s.sendall(os.urandom(4096)); s.shutdown(socket.SHUT_WR)
r = reply_or_close(s); s.close(); after = stored()
check("random bytes: an error or a close",
      (r is None or isinstance(r, dict) and not r.get("ok")) and after is not None and after == before)
print("  reply %s, then status from a new client: %s" % (r and (r.get("error") if isinstance(r, dict) else r), after))
s = conn(); s.sendall(frame({"version": 1, "command": "status"})[:7]); s.close()   # half a frame
bystander.sendall(frame({"version": 1, "command": "status"}))
check("the bystander client is unaffected", recv(bystander)["ok"])
# the client cap: 64 connections, the 65th gets "busy"
check("the closed connections are gone (only the bystander left)", wait_until(30, lambda: control_clients() == 1))
extra = [conn() for _ in range(63)]
s = conn(); r = recv(s); check("connection 65 gets a busy error", code(r) == "busy")
for e in extra: e.close()
sys.exit(1 if fails else 0)
EOF
stored_lists() { "$CTL" -s "$SOCK" --json images && "$CTL" -s "$SOCK" --json machines &&
	"$CTL" -s "$SOCK" --json config list; }
stored_same() { stored_lists >"$T/stored.after" && cmp -s "$T/stored.before" "$T/stored.after"; }
stored_lists >"$T/stored.before"
check "garbage on the socket is survived" in_ns "$PY" "$T/garbage.py" "$SOCK" "$PORT"
run 0 status
check "nothing stored was lost to the garbage (images, machines, configs)" stored_same

# --- clients that never read --------------------------------------------------
cat >"$T/stuck.py" <<'EOF'
import json, socket, struct, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.connect(sys.argv[1])
w = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); w.connect(sys.argv[1])
b = json.dumps({"version": 1, "command": "images"}).encode()
req = json.dumps({"version": 1, "command": "watch"}).encode()
w.sendall(struct.pack(">I", len(req)) + req)   # a watcher that never reads
s.setblocking(False)
sent, blocked = 0, False
frame = struct.pack(">I", len(b)) + b
deadline = time.time() + 60
while time.time() < deadline:               # pipeline requests, never read a reply
    try:
        sent += s.send(frame * 64)
    except BlockingIOError:
        if not blocked:                      # the daemon stopped taking them in
            blocked = True; open(sys.argv[2], "w").close()
        time.sleep(0.01)
    except (BrokenPipeError, ConnectionResetError):
        print("dropped after", sent, "bytes of requests"); sys.exit(0)
print("never dropped"); sys.exit(1)
EOF
"$PY" "$T/stuck.py" "$SOCK" "$T/stuck.blocked" >"$T/stuck.out" 2>&1 &
BG=$!
stuck_or_gone() { [ -e "$T/stuck.blocked" ] || ! kill -0 "$BG" 2>/dev/null; }
wait_until 30 stuck_or_gone || true
check "HTTP keeps answering while a client does not read" in_ns curl -sf -m 5 -o /dev/null "http://127.0.0.1:$PORT/healthz"
for _ in 1 2 3 4 5; do in_ns curl -sf -m 5 -o /dev/null "http://127.0.0.1:$PORT/images/k2/kernel" || true; done
check "control socket keeps answering too" quiet "$CTL" -s "$SOCK" status
rc=0
wait "$BG" || rc=$?
BG=
check "the client that never reads is dropped at the output cap ($(cat "$T/stuck.out"))" test "$rc" = 0
check "the drop is logged" grep -q "not reading its replies" "$T/log"

# --- a big slow import: cancel on disconnect, then kill -9 -------------------
BIG=$T/big
mkdir -p "$BIG"
cp "$SRC/kernel" "$SRC/initrd" "$BIG/"
fake_squashfs $((768 * 1048576)) >"$BIG/rootfs.squashfs"
chmod -R a+rX "$BIG"
tmp_in_images() { ls -A "$STATE/images" | grep -q '^\.tmp-'; }
wait_tmp() { wait_until 30 tmp_in_images; }
"$CTL" -s "$SOCK" add-image big --dir "$BIG" >/dev/null 2>&1 &
BG=$!
check "import in progress has a temp directory" wait_tmp
kill -9 "$BG"; wait "$BG" 2>/dev/null || true; BG=
no_tmp_in_images() { ! tmp_in_images; }
check "client disconnect cancels: no temp directory left" wait_until 30 no_tmp_in_images
check "... and no image" test ! -e "$STATE/images/big"
check "... the daemon logged the cancel" grep -q "went away, cancelling" "$T/log"
run 0 status

"$CTL" -s "$SOCK" add-image big --dir "$BIG" >/dev/null 2>&1 &
BG=$!
check "second import in progress" wait_tmp
kill -9 "$PID"; wait "$PID" 2>/dev/null || true; PID=
wait "$BG" 2>/dev/null || true; BG=
start
check "after kill -9 and restart: no .tmp-* anywhere in the state dir" \
	test -z "$(find "$STATE" -name '.tmp-*')"
check "... no half image" test ! -e "$STATE/images/big"
run 0 --json images
check "... images list OK" out_json "[i['name'] for i in d] == ['k2','k4']"

# --- watch ---------------------------------------------------------------------
# Real boot events: GET /ipxe/MAC before the watchers start (replayed to each
# as it subscribes, so once it printed that one it is subscribed), then
# GET /ipxe/OTHER and GET /ipxe/MAC again, live.  Both live events travel the
# same connection in that order: once "watch MAC" has MAC's second event, it
# would have had OTHER's before it.
OTHER=52:54:00:aa:bb:02
ipxe_get() { in_ns curl -sf -o /dev/null "http://127.0.0.1:$PORT/ipxe/$(echo "$1" | tr : -)"; }
boot_events() { # FILE MAC: how many "script" boot events of MAC FILE has
	"$PY" -c '
import json, sys
evs = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
print(sum(e.get("event") == "boot" and e["data"]["mac"] == sys.argv[2] and e["data"]["kind"] == "script" for e in evs))
' "$@"
}
saw() { [ "$(boot_events "$1" "$2")" -ge "$3" ]; } # FILE MAC N
ipxe_get "$MAC"
"$CTL" -s "$SOCK" --json watch >"$T/watch.out" 2>&1 &
BG=$!
"$CTL" -s "$SOCK" --json watch "$MAC" >"$T/watch-mac.out" 2>&1 &
BG2=$!
check "watch replays the boot event of GET /ipxe/$MAC made before it" wait_until 30 saw "$T/watch.out" "$MAC" 1
check "watch $MAC replays it too" wait_until 30 saw "$T/watch-mac.out" "$MAC" 1
ipxe_get "$OTHER"
ipxe_get "$MAC"
saw_both() { saw "$T/watch.out" "$OTHER" 1 && saw "$T/watch.out" "$MAC" 2; }
check "watch receives the live events of GET /ipxe/ for $OTHER and $MAC" wait_until 30 saw_both
check "watch $MAC receives the live event of $MAC" wait_until 30 saw "$T/watch-mac.out" "$MAC" 2
check "... and none of $OTHER" test "$(boot_events "$T/watch-mac.out" "$OTHER")" = 0
check "watch keeps running" kill -0 "$BG"
kill "$BG" "$BG2"; wait "$BG" "$BG2" 2>/dev/null || true; BG="" BG2=""
run 0 status

# --- watch as text, HEAD requests, machines and status agree -------------------
# k2 becomes the only image, so an unknown machine boots it as the default.
# HEAD requests of its script, cloud-config and kernel come first: none is an
# event, nor a boot; then GETs of the same, each one event, complete.
M3=52:54:00:aa:bb:03
M3D=$(echo "$M3" | tr : -)
run 0 remove-image k4 --force
"$CTL" -s "$SOCK" watch "$M3" >"$T/watch.txt" 2>&1 &
BG=$!
url() { echo "http://127.0.0.1:$PORT$1"; }
for p in "/ipxe/$M3D" "/config/$M3D" /images/k2/kernel; do
	check "HEAD $p answers 200" test "$(in_ns curl -s -I -o /dev/null -w '%{http_code}' "$(url "$p")")" = 200
done
SCRIPT_LEN=$(in_ns curl -sf -o "$T/s3" -w '%{size_download}' "$(url "/ipxe/$M3D")")
in_ns curl -sf -o /dev/null "$(url /images/k2/kernel)" || true
CC_LEN=$(in_ns curl -sf -o /dev/null -w '%{size_download}' "$(url "/config/$M3D")")
saw_config() { grep -q " $M3 config " "$T/watch.txt"; }
check "watch (text) prints the cloud-config's event" wait_until 30 saw_config
W="^[0-9-]* [0-9:]* $M3"
check "watch: the script line, complete, with its size ($SCRIPT_LEN bytes)" \
	grep -q "$W script image=k2 client=127.0.0.1 bytes=$SCRIPT_LEN total=$SCRIPT_LEN complete=yes\$" "$T/watch.txt"
check "watch: the kernel line" \
	grep -q "$W kernel image=k2 client=127.0.0.1 bytes=2097152 total=2097152 complete=yes\$" "$T/watch.txt"
check "watch: the cloud-config line" \
	grep -q "$W config config=default client=127.0.0.1 bytes=$CC_LEN total=$CC_LEN complete=yes\$" "$T/watch.txt"
check "watch: one script, one kernel, one config event: the HEADs are none" \
	test "$(grep -c ' script \| kernel \| config ' "$T/watch.txt")" = 3
check "watch: no null, no detail= in the text" sh -c "! grep -q 'null\|detail=' '$T/watch.txt'"
kill "$BG"; wait "$BG" 2>/dev/null || true; BG=""
run 0 --json machines
check "machines --json: $M3 boots k2 as the default image, one boot (the HEAD none)" out_json \
	"[(m['image'], m['boot'], m['lifecycle']['boots']) for m in d if m['mac'] == '$M3'] == [(None, {'action':'netboot','image':'k2','from':'default','group':None}, 1)]"
N_MACHINES=$("$PY" -c "import json; print(len(json.load(open('$T/out'))))")
N_FLEET=$("$PY" -c "import json; print(sum(m['profile'] is not None or m['image'] is not None or m['labels'] != {} for m in json.load(open('$T/out'))))")
run 0 machines
check "machines: the image of $M3 is k2, marked default" out_has "^$M3 .* k2 (default) "
check "machines: $N_MACHINES rows" test "$(($(wc -l <"$T/out") - 1))" = "$N_MACHINES"
run 0 --json status
check "status --json counts the $N_MACHINES machines that machines lists, $N_FLEET in the fleet" \
	out_json "d['machines'] == $N_MACHINES and d['machines_fleet'] == $N_FLEET"
run 0 status
check "status: machines: $N_MACHINES ($N_FLEET in the fleet, $((N_MACHINES - N_FLEET)) seen)" \
	out_has "^machines: *$N_MACHINES ($N_FLEET in the fleet, $((N_MACHINES - N_FLEET)) seen)\$"
in_ns curl -sf "http://127.0.0.1:$PORT/metrics" >"$T/metrics" || true
metric_is() { grep -qx "$1 $2" "$T/metrics" || { grep "^$1 " "$T/metrics"; false; }; }
check "/metrics: netbootd_machines $N_FLEET (the fleet)" metric_is netbootd_machines "$N_FLEET"
check "/metrics: netbootd_machines_seen $((N_MACHINES - N_FLEET))" \
	metric_is netbootd_machines_seen "$((N_MACHINES - N_FLEET))"

# --- SIGHUP with a new socket path ----------------------------------------------
sed -i "s#socket: $SOCK#socket: $T/run2/c.sock#" "$T/netbootd.yaml"
kill -HUP "$PID"
wait_until 30 test -S "$T/run2/c.sock" || true
check "SIGHUP moves the control socket" quiet "$CTL" -s "$T/run2/c.sock" status
check "... and removes the old one" test ! -e "$SOCK"
SOCK=$T/run2/c.sock
CTL_ARGS=(-s "$SOCK")

# --- a stopped daemon -------------------------------------------------------------
stop
run 3 status
check "unreachable daemon: one line" test "$(wc -l <"$T/err")" = 1
check "... with the message" err_has "netbootctl: cannot reach netbootd at $SOCK"

check_summary tail -40 "$T/log"
