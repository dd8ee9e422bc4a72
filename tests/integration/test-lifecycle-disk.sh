#!/bin/bash
# lifecycle.json on a slow disk: the state directory on an ext4 file system
# of its own (a loop device) whose writes the block layer throttles (the
# blkio controller's write_bps on that device), so that writing the table
# and its fsync take seconds, as on a busy or failing disk.
#
# Checked: while the deferred save of 300 booting machines is being written
# (the first boots' tokens), the loop goes on: /healthz and a new machine's
# script are answered within 2 s (the old code, which wrote on the loop,
# held every request for the whole write: 15 s here); once the disk
# is fast again every machine is in lifecycle.json, and after a restart in
# `netbootctl machines`; a change written at once (reinstall) while a slow
# deferred save is being written waits for it, and the newer state is the
# one left on disk, not the older copy.
set -euo pipefail

NETBOOTD=${NETBOOTD:?NETBOOTD must point to netbootd}
CTL=${NETBOOTCTL:?NETBOOTCTL must point to netbootctl}
SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
PY=/usr/bin/python3
THROTTLE=/sys/fs/cgroup/blkio/blkio.throttle.write_bps_device
N=300

# shellcheck source=../lib/netbootd.sh
. "$SRCDIR/tests/lib/netbootd.sh"
require_root
require_cmds losetup mkfs.ext4 curl "$PY"
[ -w "$THROTTLE" ] || skip "no blkio write throttling ($THROTTLE): a cgroup v1 blkio hierarchy is needed"

new_tmpdir test-lifecycle-disk
T=$TMPDIR_NEW
CTL_ARGS=(-s "$T/control.sock")
PORT=$(free_tcp_port)

truncate -s 64M "$T/disk.img"
LOOP=$(losetup -f --show "$T/disk.img")
cleanup_push "losetup -d '$LOOP' 2>/dev/null"
mkfs.ext4 -q "$LOOP"
mkdir "$T/disk"
mount "$LOOP" "$T/disk"
cleanup_push "umount '$T/disk' 2>/dev/null"
DEV=$(lsblk -dno MAJ:MIN "$LOOP" | tr -d ' ')
slow() { echo "$DEV $1" >"$THROTTLE"; }
cleanup_push "echo '$DEV 0' >'$THROTTLE' 2>/dev/null"

S=$T/disk/state
mkdir -p "$S/images/kairos"
for f in kernel initrd rootfs.squashfs; do echo "$f" >"$S/images/kairos/$f"; done
printf '#cloud-config\nhostname: slow\n' >"$T/cloud-config.yaml"
cat >"$T/netbootd.yaml" <<EOF
state_dir: $S
dhcp: {enabled: false}
tftp: {enabled: false}
http: {port: $PORT}
control: {socket: $T/control.sock}
default: {image: kairos, cloud_config: $T/cloud-config.yaml}
EOF
start() { netbootd_start_ctl "$T/netbootd.log" "" "$T/control.sock" -f -c "$T/netbootd.yaml"; }
start
sync -f "$S"

# boots FIRST COUNT: the scripts of COUNT machines 52:54:00:0d:HH:LL from FIRST
boots() {
	"$PY" - "$PORT" "$1" "$2" <<'PYEOF'
import http.client, sys
port, first, n = (int(a) for a in sys.argv[1:])
c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
for i in range(first, first + n):
    c.request("GET", "/ipxe/52-54-00-0d-%02x-%02x" % (i >> 8, i & 255))
    r = c.getresponse()
    body = r.read()
    assert r.status == 200 and b"/images/kairos/kernel" in body, (r.status, body[:200])
PYEOF
}
# slowest SECONDS: the longest of the /healthz requests made one after the other for SECONDS
slowest() {
	"$PY" - "$PORT" "$1" <<'PYEOF'
import http.client, sys, time
port, secs = int(sys.argv[1]), float(sys.argv[2])
worst, end = 0.0, time.monotonic() + secs
while time.monotonic() < end:
    t0 = time.monotonic()
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    c.request("GET", "/healthz")
    assert c.getresponse().status == 200
    c.close()
    worst = max(worst, time.monotonic() - t0)
    time.sleep(0.05)
print("%.3f" % worst)
PYEOF
}
in_file() { # COUNT: lifecycle.json holds COUNT machines
	"$PY" - "$S/lifecycle.json" "$1" <<'PYEOF' 2>/dev/null
import json, sys
d = json.load(open(sys.argv[1]))
sys.exit(0 if len(d["machines"]) == int(sys.argv[2]) else 1)
PYEOF
}
secs_below() { "$PY" -c "import sys; sys.exit(0 if float('$1') < float('$2') else 1)"; }

echo "== a deferred save on a slow disk does not hold the loop"
# 300 machines: about 52 KB of JSON, with the journal's blocks and two fsync
# at 4 KiB/s: some 15 s of writing (the old code held the loop all of it: 15.0 s).
slow 4096
boots 0 "$N"
WORST=$(slowest 6)
echo "  the slowest /healthz during the save: $WORST s"
check "/healthz answered within 2 s while lifecycle.json was being written" secs_below "$WORST" 2
T0=$EPOCHREALTIME
boots "$N" 1
T1=$EPOCHREALTIME
check "a new machine's script answered within 2 s meanwhile" secs_below "$(seconds_between "$T0" "$T1")" 2
check "no save had reached the disk yet (the throttle works)" [ ! -e "$S/lifecycle.json" ]
slow 0
check "once the disk is fast again, lifecycle.json holds all $((N + 1)) machines" wait_until 60 in_file $((N + 1))

echo "== a change written at once after a slow deferred save"
MAC=52:54:00:0d:00:07
tmp_exists() { compgen -G "$S/.tmp-lifecycle.json.*" >/dev/null; }
slow 8192
boots $((N + 1)) 50 # a deferred save of all 351 machines, slow again
check "the deferred save began (its temporary file)" wait_until 10 tmp_exists
run 0 reinstall "$MAC" # written at once: after that save, not before it
check "reinstall answered" out_has "$MAC: back to new"
slow 0
# A new machine is not written: the file holds the other 350.
check "lifecycle.json holds the $((N + 50)) machines that are not new" wait_until 60 in_file $((N + 50))
check "the reinstalled machine is not in it as booting (the older copy did not win)" \
	bash -c "! $PY -c \"import json, sys; d = json.load(open('$S/lifecycle.json')); sys.exit(0 if '$MAC' in d['machines'] else 1)\""
check "the log has no write error" bash -c "! grep -q 'Cannot write .*lifecycle.json' '$T/netbootd.log'"

echo "== the machines survive a restart"
netbootd_stop
start
run 0 --json machines
check "machines lists the $((N + 50)) booting machines" out_json "len([m for m in d if m['mac'].startswith('52:54:00:0d:') and m['lifecycle']['state'] == 'booting']) == $((N + 50))"

check_summary
