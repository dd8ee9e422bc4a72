#!/bin/bash
# The machines' lifecycle against real clients: two namespaces joined by a
# veth pair, 10.83.0.1 the server, 10.83.0.2 machine A and 10.83.0.3 machine
# B (curl bound to each).  A machine fetches its iPXE script and its
# cloud-config as a netbooting one does, then runs the very commands the
# served cloud-config's stages hold (sh, curl; and busybox wget when curl is
# hidden), as Kairos' installer would.
#
# Checked: booting -> installing -> installed in machines --json, watch and
# /metrics; the user's own stages kept; an installed machine's script exits
# to its disk (after_install local, the default, also with no fleet file),
# explain says why; the state survives a restart; forged, replayed, wrong-MAC
# and wrong-state reports refused with 403 (GET is 405, a malformed token
# 400), the daemon up; reinstall (MAC and --group) back to new, the old
# token refused; after_install netboot and ignore; report: false serves the
# cloud-config unchanged; a machine that netboots again while installing is
# failed; a failed report with a reason; a cloud-config that is not a
# mapping served unchanged with a warning; a corrupt lifecycle.json refused
# at start with a message naming it.
set -euo pipefail

NETBOOTD=${NETBOOTD:?NETBOOTD must point to netbootd}
CTL=${NETBOOTCTL:?NETBOOTCTL must point to netbootctl}
SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
PY=/usr/bin/python3
SRV=nblcS$$
CLI=nblcC$$
VS=nblcS$$
VC=nblcC$$
BASE=http://10.83.0.1:8091
MAC_A=52:54:00:00:0c:01
MAC_B=52:54:00:00:0c:02
MAC_C=52:54:00:00:0c:03

# shellcheck source=../lib/netbootd.sh
. "$SRCDIR/tests/lib/netbootd.sh"
require_root
require_cmds ip curl busybox "$PY"

new_tmpdir test-lifecycle
T=$TMPDIR_NEW
CTL_ARGS=(-s "$T/control.sock")
new_veth_pair "$SRV" "$CLI" "$VS" "$VC" 10.83.0.1/24 10.83.0.2/24
ip -n "$CLI" addr add 10.83.0.3/24 dev "$VC"
cli() { ip netns exec "$CLI" "$@"; }
dash() { printf '%s' "${1//:/-}"; }

mkdir -p "$T/state/images/kairos"
for f in kernel initrd rootfs.squashfs; do echo "$f" >"$T/state/images/kairos/$f"; done
cat >"$T/cloud-config.yaml" <<'EOF'
#cloud-config
# a comment that does not survive
install:
  device: /dev/vda
  reboot: true
stages:
  after-install:
  - name: the user's own step
    commands:
    - echo user-step
EOF
cat >"$T/netbootd.yaml" <<EOF
interfaces: [$VS]
state_dir: $T/state
dhcp: {enabled: false}
tftp: {enabled: false}
http: {port: 8091}
control: {socket: $T/control.sock}
default: {image: kairos, cloud_config: $T/cloud-config.yaml}
EOF
start() { netbootd_start_ctl "$T/netbootd.log" "$SRV" "$T/control.sock" -f -c "$T/netbootd.yaml"; }
start

# script MAC [FROM]: the iPXE script of MAC into $T/script
script() { cli curl -s --interface "${2:-10.83.0.2}" -o "$T/script" "$BASE/ipxe/$(dash "$1")"; }
# config MAC [FROM]: the cloud-config into $T/cc
config() { cli curl -s --interface "${2:-10.83.0.2}" -o "$T/cc" "$BASE/config/$(dash "$1")"; }
# stage NAME: the commands of the netbootd step of stage NAME in $T/cc, one per line
stage() {
	"$PY" - "$T/cc" "$1" <<'PYEOF'
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
for step in d["stages"][sys.argv[2]]:
    if step["name"].startswith("netbootd"):
        for c in step["commands"]:
            print(c)
PYEOF
}
# run_stage NAME [FROM]: run those commands as the machine would
run_stage() { stage "$1" >"$T/cmds" && cli sh -c "cd /tmp && while read -r c; do sh -c \"\$c\" || exit 1; done <'$T/cmds'"; }
state_of() { # MAC: its lifecycle state
	"$CTL" "${CTL_ARGS[@]}" --json machines | "$PY" -c "
import json, sys
for m in json.load(sys.stdin):
    if m['mac'] == '$1':
        print(m['lifecycle']['state'])" 2>/dev/null
}
state_is() { [ "$(state_of "$1")" = "$2" ]; }
status() { cli curl -s -o /dev/null -w '%{http_code}' "$@"; }
url_of() { stage "$1" | sed -n "s|.*u=\([^;]*\);.*|\1|p" | head -n1; }
metrics() { cli curl -s "$BASE/metrics" >"$T/metrics"; }
metric() { awk -v k="$1" '$1 == k { print $2; f = 1 } END { if (!f) print "absent" }' "$T/metrics"; }

echo "== a machine with no fleet file: booting, installing, installed"
check "a machine never seen is new" state_is "$MAC_A" ""
"$CTL" "${CTL_ARGS[@]}" --json watch >"$T/watch" 2>&1 &
WPID=$!
cleanup_push 'stop_child "$WPID"'
script "$MAC_A"
check "its script boots kairos" grep -q "^kernel .*/images/kairos/kernel" "$T/script"
check "it is booting" state_is "$MAC_A" booting
config "$MAC_A"
check "the cloud-config still starts with #cloud-config" [ "$(head -n1 "$T/cc")" = "#cloud-config" ]
check "the user's install block is kept" "$PY" -c "
import yaml; d = yaml.safe_load(open('$T/cc')); assert d['install'] == {'device': '/dev/vda', 'reboot': True}, d"
check "the user's own step is kept, first" "$PY" -c "
import yaml; d = yaml.safe_load(open('$T/cc'))
s = d['stages']['after-install']; assert s[0]['name'] == \"the user's own step\", s; assert len(s) == 2, s"
stage_has() { stage "$1" | grep -q "$2"; }
check "before-install reports installing" stage_has before-install "/report/$(dash "$MAC_A")/[0-9a-f]\{32\}/installing"
check "after-install reports installed" stage_has after-install "/report/$(dash "$MAC_A")/[0-9a-f]\{32\}/installed"
check "each report command is a plain line" grep -Eq "^    - sh -c 'u=http://10\.83\.0\.1:8091/report/" "$T/cc"
URL_INSTALLED=$(url_of after-install)
run_stage before-install
check "the before-install command moved it to installing" wait_until 10 state_is "$MAC_A" installing
cp "$T/cc" "$T/cc.first"
# The installer's second fetch (Kairos reads config_url again) keeps the token.
config "$MAC_A"
check "a second fetch in the same boot keeps the token" [ "$(url_of after-install)" = "$URL_INSTALLED" ]
# The report with busybox wget only (curl hidden), as on a minimal installer.
mkdir -p "$T/bin"
ln -sf "$(command -v busybox)" "$T/bin/wget"
ln -sf "$(command -v busybox)" "$T/bin/sh"
stage after-install >"$T/cmds"
check "the after-install command works with busybox wget alone" \
	cli env -i PATH="$T/bin" sh -c "while read -r c; do sh -c \"\$c\" || exit 1; done <'$T/cmds'"
check "it is installed" wait_until 10 state_is "$MAC_A" installed
check "watch saw the state events" wait_until 10 grep -q '"kind":"state".*"detail":"installed"' "$T/watch"
check "watch saw installing" grep -q '"detail":"installing"' "$T/watch"
run 0 machines
check "machines shows the STATE column" out_has "installed"

echo "== an installed machine boots from its disk"
script "$MAC_A"
check "its script exits to the firmware (local disk)" grep -q "^exit" "$T/script"
check "and says so" grep -q "boots from its local disk" "$T/script"
run 0 explain "$MAC_A"
check "explain says it reported installed" out_has "reported installed"
check "explain shows its lifecycle" out_has "lifecycle     installed; reports back; once installed: local"

echo "== reports refused"
check "the spent installed report is refused (403)" [ "$(status -X POST "$URL_INSTALLED")" = 403 ]
check "GET on a report URL is 405" [ "$(status "$URL_INSTALLED")" = 405 ]
check "a malformed token is 400" [ "$(status -X POST "$BASE/report/$(dash "$MAC_A")/xyz/installed")" = 400 ]
check "an unknown state is 404" [ "$(status -X POST "$BASE/report/$(dash "$MAC_A")/0123456789abcdef0123456789abcdef/done")" = 404 ]
script "$MAC_B" 10.83.0.3
config "$MAC_B" 10.83.0.3
URL_B=$(url_of after-install)
TOKEN_B=${URL_B%/installed}
TOKEN_B=${TOKEN_B##*/}
check "B's token for A's MAC is refused" [ "$(status -X POST "$BASE/report/$(dash "$MAC_A")/$TOKEN_B/installed")" = 403 ]
check "a forged token is refused" [ "$(status -X POST "$BASE/report/$(dash "$MAC_B")/0123456789abcdef0123456789abcdef/installed")" = 403 ]
check "B is still booting" state_is "$MAC_B" booting
check "the log says why a report was refused" grep -q "Refused a report \"installed\" for $MAC_A" "$T/netbootd.log"

echo "== the state survives a restart"
netbootd_stop
check "lifecycle.json holds A as installed" "$PY" -c "
import json; d = json.load(open('$T/state/lifecycle.json'))
assert d['machines']['$MAC_A']['state'] == 'installed', d"
start
check "A is installed after the restart" state_is "$MAC_A" installed
script "$MAC_A"
check "its script still exits" grep -q "^exit" "$T/script"

echo "== reinstall"
run 0 reinstall "$MAC_A"
check "reinstall says so" out_has "$MAC_A: back to new"
check "A is new" state_is "$MAC_A" new
check "the old token is refused after reinstall" [ "$(status -X POST "$URL_INSTALLED")" = 403 ]
script "$MAC_A"
check "A netboots again" grep -q "^kernel .*/images/kairos/kernel" "$T/script"
check "A is booting" state_is "$MAC_A" booting
cp "$T/cc.first" "$T/cc"
check "the first boot's installing report is refused now" [ "$(status -X POST "$(url_of before-install)")" = 403 ]

echo "== netbooting again while installing is a failed install"
config "$MAC_A"
run_stage before-install
check "A is installing" wait_until 10 state_is "$MAC_A" installing
script "$MAC_A"
check "A is booting again" state_is "$MAC_A" booting
run 0 --json machines
check "the error says it netbooted again while installing" out_has "netbooted again while installing"
check "the log has the failed event" grep -q "Machine $MAC_A: failed: netbooted again while installing" "$T/netbootd.log"

echo "== a failed report with its reason"
config "$MAC_A"
URL_FAIL=$(url_of before-install)
URL_FAIL=${URL_FAIL%/installing}/failed
check "failed is accepted (204)" [ "$(status -X POST --data-binary 'disk /dev/vda not found' "$URL_FAIL")" = 204 ]
check "A is failed" state_is "$MAC_A" failed
run 0 --json machines
check "the reason is kept" out_has "disk /dev/vda not found"

echo "== profiles: after_install netboot and ignore, report false, reinstall --group"
run 0 profile set live --image kairos --after-install netboot
run 0 group set live --profile live --mac "$MAC_B"
run 0 --json profile get live
check "profile get shows after_install" out_has '"after_install":"netboot"'
script "$MAC_B" 10.83.0.3
config "$MAC_B" 10.83.0.3
stage after-install >"$T/cmds"
cli sh -c "while read -r c; do sh -c \"\$c\" || exit 1; done <'$T/cmds'"
check "B is installed" wait_until 10 state_is "$MAC_B" installed
script "$MAC_B" 10.83.0.3
check "after_install netboot: B still netboots" grep -q "^kernel .*/images/kairos/kernel" "$T/script"
check "and stays installed" state_is "$MAC_B" installed
run 0 profile set live --image kairos --after-install ignore
check "after_install ignore: no script (404)" [ "$(status --interface 10.83.0.3 "$BASE/ipxe/$(dash "$MAC_B")")" = 404 ]
check "the log says why" grep -q "Not serving a script to $MAC_B: it reported installed" "$T/netbootd.log"
run 0 reinstall --group live
check "reinstall --group names B" out_has "$MAC_B: back to new"
check "B is new" state_is "$MAC_B" new
run 0 profile set quiet --image kairos --no-report
run 0 group set quiet --profile quiet --mac "$MAC_C"
cli curl -s -o "$T/cc" "$BASE/config/$(dash "$MAC_C")"
check "report: false serves the cloud-config unchanged" cmp -s "$T/cc" "$T/cloud-config.yaml"
run 2 reinstall
check "reinstall without a MAC or --group says so" err_has "missing argument"

echo "== a cloud-config that is not a mapping is served unchanged"
printf '#cloud-config\n- a list\n' >"$T/cloud-config.yaml"
cli curl -s -o "$T/cc" "$BASE/config/$(dash "$MAC_A")"
check "served unchanged" cmp -s "$T/cc" "$T/cloud-config.yaml"
check "with a warning" grep -q "Cannot add the lifecycle report to the cloud-config" "$T/netbootd.log"

echo "== /metrics"
metrics
# Since the restart: A's installing, failed and B's installed reports; the
# replays after reinstall; A booting again (its cloud-config fetched after it failed).
check "machines by lifecycle state" [ "$(metric 'netbootd_lifecycle_machines{state="booting"}')" = 1 ]
check "reports accepted" [ "$(metric netbootd_lifecycle_reports_total)" -ge 3 ]
check "reports refused" [ "$(metric netbootd_lifecycle_reports_refused_total)" -ge 2 ]
check "failed installs" [ "$(metric netbootd_lifecycle_failed_installs_total)" -ge 2 ]
check "a boot duration was observed" [ "$(metric netbootd_boot_duration_seconds_count)" != absent ]
check "an install duration was observed" [ "$(metric netbootd_install_duration_seconds_count)" -ge 1 ]
check "the daemon is up" kill -0 "$PID"

echo "== a corrupt lifecycle.json is refused at start"
netbootd_stop
printf '{"machines": {"52:54:00:00:0c:01": {"state": "gone"}}}' >"$T/state/lifecycle.json"
if "$NETBOOTD" -f -c "$T/netbootd.yaml" >"$T/bad.log" 2>&1; then
	bad "netbootd started with a corrupt lifecycle.json"
else
	check "the message names the file" grep -q "lifecycle.json\" machine 52:54:00:00:0c:01 has no known state" "$T/bad.log"
fi

check_summary
