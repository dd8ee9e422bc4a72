#!/bin/bash
# Per-machine serving from the store: a real netbootd in a namespace, its
# state directory written by this test in the store's format (images A and B
# by hand, machines.json, settings.json, configs/), curl and a crafted
# ProxyDHCP client (proxydhcp-client.py probe) in a second namespace.
#   Phase 1 (default boot on): assigned MACs get their image, cmdline
#   (appended / replaced, image manifest override) and templated config; an
#   unknown MAC gets the default image; a dangling assignment gets a waiting
#   script and no ProxyDHCP answer; progress is logged per MAC; a download
#   survives the image being replaced under it.
#   Phase 2 (restart with default_boot false): unknown MACs get 404 and no
#   ProxyDHCP answer, assigned ones still boot.
set -euo pipefail

NETBOOTD=${NETBOOTD:-$(dirname "$0")/../../build/daemon/netbootd}
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
SRV=nbmsrv$$
CLI=nbmcli$$
VS=nbms$$
VC=nbmc$$
SADDR=10.79.0.1
CADDR=10.79.0.2
BASE=http://$SADDR:8090
M1=52:54:00:00:00:01 # image B, config cfgB, cmdline appended
M2=52:54:00:00:00:02 # image A, cmdline replaced
M3=52:54:00:00:00:03 # image "gone": dangling
M9=52:54:00:00:00:09 # unknown
# shellcheck source=../lib/netbootd.sh
. "$HERE/../lib/netbootd.sh"
require_root
require_cmds curl ip cmp sha256sum "$PY"
"$PY" -c 'import scapy.all' 2>/dev/null || skip "python3-scapy missing"
[ -x "$NETBOOTD" ] || { echo "FAIL: no netbootd at $NETBOOTD"; exit 1; }

new_tmpdir test-machines
TMP=$TMPDIR_NEW
CURLPID=
stop_daemon() { netbootd_stop; }
cli() { ip netns exec "$CLI" "$@"; }
hy() { echo "$1" | tr : -; }
get() { cli curl -s -o "$2" -w '%{http_code}' "$BASE$1"; }
log_has() { grep -qE -- "$1" "$TMP/log"; }
# log_soon RE: the log has RE within 30 s (a line written after the reply)
log_soon() { wait_until 30 log_has "$1"; }
probe() { # MAC yes|no
	cli "$PY" "$HERE/proxydhcp-client.py" probe "$VC" "$SADDR" "$CADDR" "$1" "$2" >"$TMP/probe.out" 2>&1 ||
		{ cat "$TMP/probe.out"; return 1; }
}

echo "== namespaces $SRV and $CLI"
new_veth_pair "$SRV" "$CLI" "$VS" "$VC" $SADDR/24 $CADDR/24
cleanup_push '[ -z "$CURLPID" ] || kill "$CURLPID" 2>/dev/null'

echo "== state directory"
STATE=$TMP/state
mkimage() { # dir, seed size of the rootfs in KiB
	mkdir -p "$1"
	head -c 70000 /dev/urandom >"$1/kernel"
	head -c 50000 /dev/urandom >"$1/initrd"
	fake_squashfs $(($2 * 1024)) >"$1/rootfs.squashfs"
}
mkimage "$STATE/images/A" 64
mkimage "$STATE/images/B" 4096
mkimage "$STATE/images/C" $((48 * 1024)) # larger than the socket buffers
sz() { stat -c %s "$1"; }
dg() { sha256sum "$1" | cut -d' ' -f1; }
B=$STATE/images/B
cat >"$B/manifest.json" <<EOF
{"name": "B", "created": 1700000000, "source": {"type": "dir", "path": "/nowhere"},
 "cmdline": "b-override root=live:{squashfs_url} mac={mac}",
 "files": {"kernel": {"size": $(sz "$B/kernel"), "sha256": "$(dg "$B/kernel")"},
           "initrd": {"size": $(sz "$B/initrd"), "sha256": "$(dg "$B/initrd")"},
           "rootfs.squashfs": {"size": $(sz "$B/rootfs.squashfs"), "sha256": "$(dg "$B/rootfs.squashfs")"}}}
EOF
cp "$B/rootfs.squashfs" "$TMP/B-old.squashfs"
B_OLD_SHA256=$(dg "$B/rootfs.squashfs") # as in its manifest
mkdir -p "$STATE/configs"
printf '#cloud-config\nhostname: {{hostname}}\nmac: {{ mac }}\nimage: {{image}}\nkeep: "{{ .Values.x }}"\n' \
	>"$STATE/configs/cfgB.yaml"
printf '#cloud-config\n# default for {{mac_hyphen}}\n' >"$STATE/configs/dflt.yaml"
cat >"$STATE/machines.json" <<EOF
{"machines": [
 {"mac": "$M1", "image": "B", "config": "cfgB", "cmdline": "extra=1", "cmdline_mode": "append"},
 {"mac": "$M2", "image": "A", "config": null, "cmdline": "only=this img={image}", "cmdline_mode": "replace"},
 {"mac": "$M3", "image": "gone", "config": null, "cmdline": null, "cmdline_mode": "append"}
]}
EOF
settings() { # default_boot
	printf '{"default_config": "dflt", "default_boot": %s, "default_image": null}\n' "$1" \
		>"$STATE/settings.json"
}
settings true
cat >"$TMP/netbootd.yaml" <<EOF
interfaces: [$VS]
state_dir: $STATE
dhcp: {enabled: true, port: 67, pxe_port: 4011}
tftp: {enabled: false}
http: {port: 8090}
control: {socket: $TMP/control.sock}
default:
  image: A
EOF

start_daemon() {
	netbootd_start "$TMP/log" "$SRV" -f -d -c "$TMP/netbootd.yaml"
	netbootd_wait_ready "$TMP/log" "$1" && return 0
	echo "FAIL: netbootd did not start"
	cat "$TMP/log"
	exit 1
}

echo "== phase 1: default boot on"
start_daemon 1

check "M1 script 200" test "$(get "/ipxe/$(hy $M1)" "$TMP/s1")" = 200
KB="kernel $BASE/images/B/kernel b-override root=live:$BASE/images/B/rootfs.squashfs mac=$M1 extra=1 initrd=initrd && goto initrd ||"
check "M1 boots image B with the manifest override and its cmdline appended" grep -qxF "$KB" "$TMP/s1"
check "M1 initrd from image B" grep -qF "initrd --name initrd $BASE/images/B/initrd" "$TMP/s1"

check "M2 script 200" test "$(get "/ipxe/$(hy $M2)" "$TMP/s2")" = 200
check "M2 boots image A with its cmdline replacing the default" \
	grep -qxF "kernel $BASE/images/A/kernel only=this img=A initrd=initrd && goto initrd ||" "$TMP/s2"

check "M3 (dangling image) gets 200" test "$(get "/ipxe/$(hy $M3)" "$TMP/s3")" = 200
check "M3 script says its image is missing and waits, no kernel" sh -c \
	"grep -q 'its image gone is missing' '$TMP/s3' && grep -qx 'sleep 60' '$TMP/s3' && ! grep -q '^kernel' '$TMP/s3'"
check "M3: never the default image" sh -c "! grep -q 'images/A' '$TMP/s3'"
check "M3: warning logged" log_has "No image to boot for $M3: its image \"gone\" does not exist"

check "unknown M9 gets the default image A with the built-in cmdline" sh -c \
	"test \"\$(ip netns exec $CLI curl -s -o '$TMP/s9' -w '%{http_code}' '$BASE/ipxe/$(hy $M9)')\" = 200 &&
	 grep -q '^kernel $BASE/images/A/kernel .*root=live:$BASE/images/A/rootfs.squashfs .*config_url=$BASE/config/$(hy $M9) .*initrd=initrd' '$TMP/s9'"

check "M1 config 200" test "$(get "/config/$(hy $M1)" "$TMP/c1")" = 200
printf '#cloud-config\nhostname: kairos-525400000001\nmac: %s\nimage: B\nkeep: "{{ .Values.x }}"\n' "$M1" >"$TMP/c1.want"
check "M1 gets cfgB templated with its MAC, hostname and image" config_is "$TMP/c1" "$TMP/c1.want"
check "M9 config 200" test "$(get "/config/$(hy $M9)" "$TMP/c9")" = 200
check "M9 gets settings.default_config templated" \
	grep -qxF "# default for $(hy $M9)" "$TMP/c9"
printf '#cloud-config\nchanged: {{hostname}}\n' >"$STATE/configs/.tmp-x"
mv "$STATE/configs/.tmp-x" "$STATE/configs/cfgB.yaml"
get "/config/$(hy $M1)" "$TMP/c1b" >/dev/null
check "a changed config is served to the next request, no restart" \
	grep -qxF "changed: kairos-525400000001" "$TMP/c1b"

echo "== progress and downloads"
get "/ipxe/$(hy $M1)" /dev/null >/dev/null # this client address is M1 now
check "kernel of B 200" test "$(get /images/B/kernel "$TMP/k")" = 200
check "kernel bytes" cmp -s "$TMP/k" "$B/kernel"
check "progress logged: script for M1" log_soon "Boot progress of $M1 at $CADDR: script \"B\""
check "progress logged: whole kernel for M1 (MAC learned from /ipxe/)" \
	log_soon "Boot progress of $M1 at $CADDR: kernel \"B\", $(sz "$B/kernel") of $(sz "$B/kernel") bytes\$"
check "progress logged: config for M1" log_soon "Boot progress of $M1 at $CADDR: config \"cfgB\""
check "unknown image file 404" test "$(get /images/nope/kernel /dev/null)" = 404

cli curl -s --max-time 1 --limit-rate 1M -o /dev/null "$BASE/images/C/rootfs.squashfs" || true
check "an interrupted download is logged incomplete with the bytes that left" \
	log_soon "Boot progress of $M1 at $CADDR: rootfs \"C\", [0-9]+ of $(sz "$STATE/images/C/rootfs.squashfs") bytes, incomplete"

# slow_get FILE: download B's squashfs to FILE at 1 MB/s in the background
# (CURLPID; slow-get.py, as curl's --limit-rate lets the first megabytes
# through at full speed), return once its first bytes arrived.  in_flight FILE SIZE WHAT:
# a check that, right now, bytes of that download have arrived but not all
# SIZE, and netbootd has not logged it complete: it runs while WHAT happens.
# (netbootd's send buffer grows with the congestion window, which the 64 KiB
# receive window of slow-get.py keeps small: it cannot take in most of 4 MiB.)
done_lines() { grep -cE "rootfs \"B\", $1 of $1 bytes\$" "$TMP/log" || true; }
slow_get() {
	DONE0=$(done_lines "$(sz "$STATE/images/B/rootfs.squashfs")")
	cli "$PY" "$HERE/slow-get.py" "$BASE/images/B/rootfs.squashfs" "$1" 1000000 &
	CURLPID=$!
	wait_until 30 test -s "$1" || true
}
in_flight() {
	local got
	got=$(sz "$1" 2>/dev/null || echo 0)
	check "the download was running when $3 ($got of $2 bytes had arrived, not logged complete)" \
		test "$got" -gt 0 -a "$got" -lt "$2" -a "$(done_lines "$2")" = "$DONE0"
}
# Replace image B the way the store does (new directory, renames, old one
# removed) while a slow download of its squashfs runs.
mkimage "$STATE/images/.tmp-B-new" 64
slow_get "$TMP/slow"
mv "$STATE/images/B" "$STATE/images/.tmp-B-old"
mv "$STATE/images/.tmp-B-new" "$STATE/images/B"
rm -rf "$STATE/images/.tmp-B-old"
in_flight "$TMP/slow" "$(sz "$TMP/B-old.squashfs")" "image B was replaced"
check "the slow download finished" wait "$CURLPID"
CURLPID=
check "the slow download has the OLD image's bytes" cmp -s "$TMP/slow" "$TMP/B-old.squashfs"
check "... the sha256 of the old manifest" test "$(dg "$TMP/slow")" = "$B_OLD_SHA256"
get /images/B/rootfs.squashfs "$TMP/new" >/dev/null
check "a new download gets the new image" cmp -s "$TMP/new" "$STATE/images/B/rootfs.squashfs"
check "progress logged: the whole old squashfs, complete" \
	log_soon "rootfs \"B\", $(sz "$TMP/B-old.squashfs") of $(sz "$TMP/B-old.squashfs") bytes\$"
# Removed outright: the new B goes away during a download.
mkimage "$STATE/images/B" 4096 # bigger again, so the download is slow
cp "$STATE/images/B/rootfs.squashfs" "$TMP/B-3.squashfs"
slow_get "$TMP/slow2"
mv "$STATE/images/B" "$STATE/images/.tmp-B-gone"
rm -rf "$STATE/images/.tmp-B-gone"
in_flight "$TMP/slow2" "$(sz "$TMP/B-3.squashfs")" "image B was removed"
check "a download survives the removal of its image" wait "$CURLPID"
CURLPID=
check "... with the removed image's bytes" cmp -s "$TMP/slow2" "$TMP/B-3.squashfs"
check "M1 (image B now missing) gets the waiting script" sh -c \
	"ip netns exec $CLI curl -s '$BASE/ipxe/$(hy $M1)' | grep -q 'its image B is missing'"
mkimage "$STATE/images/B" 64

echo "== ProxyDHCP, default boot on"
check "unknown M9 gets an offer" probe "$M9" yes
check "assigned M1 gets an offer" probe "$M1" yes
check "M3 (dangling image) gets no answer" probe "$M3" no
check "refusal logged once with the reason" log_has "Not answering iPXE client $M3 .*its image is missing"
check "offer recorded as progress (ProxyDHCP answered M9, with its arch and UUID)" \
	log_has "Offered \"$BASE/ipxe/$(hy $M9)[?]arch=bios&uuid=[0-9a-f-]*\""

echo "== phase 2: restart with default_boot false"
stop_daemon
settings false
start_daemon 2
check "unknown M9: /ipxe/ 404" test "$(get "/ipxe/$(hy $M9)" /dev/null)" = 404
check "log says default boot disabled" log_has "unknown machine $M9: default boot disabled"
check "assigned M1 still gets its script" sh -c \
	"ip netns exec $CLI curl -s '$BASE/ipxe/$(hy $M1)' | grep -q '^kernel $BASE/images/B/kernel'"
check "unknown M9 gets no ProxyDHCP answer" probe "$M9" no
check "assigned M1 still gets an offer" probe "$M1" yes
check "ProxyDHCP refusal logged" log_has "Not answering iPXE client $M9 .*default boot disabled"

echo "== phase 3: the same daemon driven by netbootctl (no restart)"
NETBOOTCTL=${NETBOOTCTL:-$(dirname "$NETBOOTD")/../ctl/netbootctl}
nctl() { "$NETBOOTCTL" -s "$TMP/control.sock" "$@"; }
if [ -x "$NETBOOTCTL" ] && nctl status >/dev/null 2>&1; then
	check "netbootctl default-boot on" nctl default-boot on
	check "unknown M9 boots the default image again, no restart" sh -c \
		"ip netns exec $CLI curl -s '$BASE/ipxe/$(hy $M9)' | grep -q '^kernel $BASE/images/A/kernel'"
	check "unknown M9 gets an offer again" probe "$M9" yes
	check "netbootctl assign M9 B --append-cmdline" nctl assign "$M9" B --append-cmdline "nine=9"
	check "M9 now boots B with its cmdline appended" sh -c \
		"ip netns exec $CLI curl -s '$BASE/ipxe/$(hy $M9)' | grep -q '^kernel $BASE/images/B/kernel .* nine=9 initrd=initrd'"
	nctl --json machines >"$TMP/machines.json" 2>&1 || true
	check "netbootctl machines shows M1's last boot event" "$PY" -c '
import json, sys
d = json.load(open(sys.argv[1]))
d = d.get("data", d) if isinstance(d, dict) else d
m = [m for m in d if m["mac"] == sys.argv[2]]
sys.exit(0 if m and m[0]["last_event"] and m[0]["last_event"]["kind"] else 1)
' "$TMP/machines.json" "$M1"
else
	echo "skipped: netbootctl cannot reach this netbootd (no control socket yet)"
fi
stop_daemon
check "no sanitizer report or error in the log" \
	sh -c "! grep -qE 'AddressSanitizer|LeakSanitizer|runtime error|netbootd: (error|crit)' '$TMP/log'"

dump() {
	echo "--- netbootd log ---"
	tail -n 60 "$TMP/log"
}
check_summary dump
