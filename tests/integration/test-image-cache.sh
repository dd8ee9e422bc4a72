#!/bin/bash
# netbootd keeps parsed manifests and the "only image" answer in memory
# (daemon/store-local-images.c) and reads the image of each boot decision
# once (daemon/boot-view.c).  What it keeps must follow every change at
# once: an image re-added with another command line, a manifest.json edited
# in place behind the daemon's back, images placed and removed by hand.
# Nothing younger than two seconds is kept (a coarse clock could leave the
# timestamps of an edit as they were), hence the sleeps: they age the files
# so that the kept copy is the one being tested.
set -euo pipefail

NETBOOTD=${NETBOOTD:?NETBOOTD must point to netbootd}
CTL=${NETBOOTCTL:?NETBOOTCTL must point to netbootctl}
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
NS=nbimc$$
PORT=18098
BASE=http://127.0.0.1:$PORT
MAC=52-54-00-00-ca-01
unset NETBOOTD_SOCKET

# shellcheck source=../lib/netbootd.sh
. "$HERE/../lib/netbootd.sh"
require_root
require_cmds curl ip "$PY"

new_tmpdir test-image-cache
T=$TMPDIR_NEW
SOCK=$T/control.sock
STATE=$T/state
CTL_ARGS=(-s "$SOCK")
in_ns() { ip netns exec "$NS" "$@"; }
age() { sleep 3; } # older than the two seconds below which nothing is kept
script_has() { # FIXED-STRING: the script of $MAC holds it
	in_ns curl -sf "$BASE/ipxe/$MAC" >"$T/script" && grep -qF -- "$1" "$T/script" ||
		{ echo "    script:"; sed 's/^/      /' "$T/script"; return 1; }
}

new_netns "$NS"
SRC=$T/src
mkdir -p "$SRC"
head -c 4096 /dev/urandom >"$SRC/kernel"
head -c 4096 /dev/urandom >"$SRC/initrd"
fake_squashfs 4096 >"$SRC/rootfs.squashfs"
cat >"$T/netbootd.yaml" <<EOF
state_dir: $STATE
dhcp: {enabled: false}
tftp: {enabled: false}
http: {port: $PORT}
control: {socket: $SOCK}
EOF
netbootd_start_ctl "$T/log" "$NS" "$SOCK" -f -c "$T/netbootd.yaml"

echo "== a manifest kept, then the image re-added"
run 0 add-image cm --dir "$SRC" --cmdline "marker=one"
age
check "the only image boots, with its command line" script_has "marker=one"
check "... and again (from the kept manifest)" script_has "marker=one"
run 0 add-image cm --dir "$SRC" --force --cmdline "marker=two"
check "re-added with another command line: served at once" script_has "marker=two"
age
check "... and once kept" script_has "marker=two"

echo "== manifest.json edited in place behind the daemon's back"
"$PY" - "$STATE/images/cm/manifest.json" <<'PYEOF'
import sys
p = sys.argv[1]
with open(p, "r+b") as f:  # same inode, same size
    b = f.read()
    assert b.count(b"marker=two") == 1
    f.seek(0)
    f.write(b.replace(b"marker=two", b"marker=TWO"))
PYEOF
check "the edit is served at once" script_has "marker=TWO"

echo "== images placed and removed by hand (the only image)"
age
check "still the only image" script_has "/images/cm/kernel "
mkdir -p "$STATE/images/hand"
cp "$SRC/kernel" "$SRC/initrd" "$SRC/rootfs.squashfs" "$STATE/images/hand/"
check "a second image placed by hand: no image to boot" script_has "no image to boot"
age
rm -r "$STATE/images/cm"
check "the first removed by hand: the one by hand boots" script_has "/images/hand/kernel "
check "... without the removed image's command line" sh -c "! grep -q marker '$T/script'"

check "daemon is still running" kill -0 "$PID"
check_summary tail -20 "$T/log"
