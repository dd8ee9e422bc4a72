#!/bin/bash
# The fleet commands end to end: a real netbootd (HTTP on 127.0.0.1 in a
# network namespace of our own, images placed in its state directory by
# the test) driven by the real netbootctl.  The issue's example fleet file
# (with a `file:` config beside it) refused while an image is missing (its
# file:line, nothing changed), --dry-run (the difference, nothing changed),
# applied for real (the cloud-configs and scripts the groups choose served
# over HTTP), applied again and `export | apply -f -` (no changes, nothing
# written), a tie refused, --prune; profile, group and label commands and
# their refusals; who may change the fleet; everything persisted across a
# restart.
set -euo pipefail

NETBOOTD=${NETBOOTD:?NETBOOTD must point to netbootd}
CTL=${NETBOOTCTL:?NETBOOTCTL must point to netbootctl}
PY=/usr/bin/python3
NS=nbflt$$
GROUP=nbflt$$
PORT=18094
CP=52:54:00:aa:bb:01   # role=cp: group control-plane, profile kairos-cp
DISK=52:54:00:aa:bb:09 # its own profile: disk
LAB=52:54:00:aa:bb:05  # in 52:54:00:*: group lab, profile kairos-node
OTHER=02:00:00:00:00:07 # no group but the default
NEW=52:54:00:aa:bb:42  # labelled by the test
export TZ=UTC LC_ALL=C
unset NETBOOTD_SOCKET

# shellcheck source=../lib/netbootd.sh
. "$(dirname "$0")/../lib/netbootd.sh"
require_root
require_cmds curl ip cmp setpriv groupadd groupdel "$PY"

new_tmpdir test-fleet
T=$TMPDIR_NEW
chmod 755 "$T"
SOCK=$T/run/control.sock
STATE=$T/state
CTL_ARGS=(-s "$SOCK")
cleanup_push 'groupdel "$GROUP" 2>/dev/null'

ctl() { "$CTL" -s "$SOCK" "$@"; }
hy() { echo "$1" | tr : -; }
get() { ip netns exec "$NS" curl -s -o "$2" -w '%{http_code}' "http://127.0.0.1:$PORT$1"; }
same() { cmp -s "$1" "$2" || { echo "  $1 and $2 differ"; false; }; }
# unchanged: machines.json and configs/ are byte for byte as saved by snap
snap() { cp -a "$STATE/machines.json" "$T/snap.json" 2>/dev/null || echo absent >"$T/snap.json"; ls -l --time-style=+%s.%N "$STATE/configs" >"$T/snap.configs"; }
unchanged() {
	local now=absent
	[ -e "$STATE/machines.json" ] && now=$(cat "$STATE/machines.json")
	[ "$now" = "$(cat "$T/snap.json")" ] && ls -l --time-style=+%s.%N "$STATE/configs" | cmp -s - "$T/snap.configs"
}

new_netns "$NS"
groupadd "$GROUP"
CTL_GID=$(getent group "$GROUP" | cut -d: -f3)
NOBODY=$(id -u nobody)

mkimage() { # DIR: an image placed by hand, as test-machines.sh does
	mkdir -p "$1"
	head -c 70000 /dev/urandom >"$1/kernel"
	head -c 50000 /dev/urandom >"$1/initrd"
	fake_squashfs 65536 >"$1/rootfs.squashfs"
}
mkimage "$STATE/images/kairos"
cat >"$T/netbootd.yaml" <<EOF
state_dir: $STATE
# HTTP only, for /ipxe/ and /config/ of what the groups choose
dhcp: {enabled: false}
tftp: {enabled: false}
http: {port: $PORT}
control: {socket: $SOCK, group: $GROUP}
EOF

start() { netbootd_start_ctl "$T/log" "$NS" "$SOCK" -f -c "$T/netbootd.yaml"; }
start
chmod 0666 "$SOCK" # readable by anyone, as in test-control.sh: the daemon decides who may change

# --- the issue's example, verbatim, with worker.yaml beside it ---------------
F=$T/fleet
mkdir -p "$F"
cat >"$F/fleet.yaml" <<'EOF'
configs:
  worker: { file: worker.yaml }            # relative to the fleet file
  control-plane: { inline: "#cloud-config\nhostname: cp-{{mac}}\n" }
profiles:
  kairos-cp:   { image: kairos, config: control-plane, cmdline_append: "console=ttyS1" }
  kairos-node: { image: kairos, config: worker }
  arm-edge:    { image: kairos-arm64, cmdline_append: "console=ttyAMA0" }
  disk:        { action: local }
groups:
  control-plane: { match: { labels: { role: cp } }, profile: kairos-cp, priority: 20 }
  arm:           { match: { arch: efi-arm64 }, profile: arm-edge }
  lab:           { match: { mac: "52:54:00:*" }, profile: kairos-node, priority: 10 }
  default:       { profile: kairos-node }
machines:
  "52:54:00:aa:bb:01": { labels: { role: cp } }
  "52:54:00:aa:bb:09": { profile: disk }
EOF
printf '#cloud-config\nhostname: worker-{{mac}}\n' >"$F/worker.yaml"
chmod -R a+rX "$F"
cd / # netbootctl resolves worker.yaml against the fleet file's directory, not the current one

echo "== a missing image: refused with file:line, nothing changed"
snap
run 1 apply -f "$F/fleet.yaml"
check "the message names the file and the line of the profile (7) and the image" \
	err_has "fleet.yaml:7: .*kairos-arm64"
check "nothing changed: no machines.json, no configs" unchanged
run 0 profile list
check "no profiles" out_has "^no profiles"

echo "== --dry-run: the difference, nothing changed"
mkimage "$STATE/images/kairos-arm64"
run 0 apply -f "$F/fleet.yaml" --dry-run
for item in "config worker" "config control-plane" "profile kairos-cp" "profile disk" \
	"group control-plane" "group default" "machine $CP" "machine $DISK"; do
	check "dry run lists + $item" out_has "^+ $item\$"
done
check "dry run says nothing was changed" out_has "dry run: nothing was changed"
check "dry run changed nothing" unchanged
run 0 --json apply -f "$F/fleet.yaml" --dry-run
check "--json: changes and applied false" out_json "len(d['changes']) == 12 and d['applied'] is False"

echo "== apply for real"
run 0 apply -f "$F/fleet.yaml"
check "apply prints what it changed" out_has "^+ group lab$"
run 0 --json profile list
check "the four profiles" out_json "[p['name'] for p in d] == ['arm-edge', 'disk', 'kairos-cp', 'kairos-node']"
check "kairos-cp as written" out_json "[p for p in d if p['name'] == 'kairos-cp'][0] == {'name':'kairos-cp','image':'kairos','config':'control-plane','cmdline':'console=ttyS1','cmdline_mode':'append','loader':None,'action':'netboot','netconsole':False,'report':True,'after_install':'local'}"
check "disk boots from the disk" out_json "[p['action'] for p in d if p['name'] == 'disk'] == ['local']"
run 0 --json group list
check "the four groups, priorities and selectors" out_json "[(g['name'], g['priority'], g['match']['mac'], g['match']['arch'], g['match']['labels']) for g in d] == [('arm',0,None,'efi-arm64',{}), ('control-plane',20,None,None,{'role':'cp'}), ('default',0,None,None,{}), ('lab',10,'52:54:00:*',None,{})]"
run 0 --json machines
check "the two machines: labels only, and a profile" out_json "[(m['mac'], m['labels'], m['profile'], m['image']) for m in d] == [('$CP',{'role':'cp'},None,None), ('$DISK',{},'disk',None)]"
run 0 config get worker
check "config worker is worker.yaml, read by netbootctl" same "$T/out" "$F/worker.yaml"
run 0 config get control-plane
printf '#cloud-config\nhostname: cp-{{mac}}\n' >"$T/cp.want"
check "config control-plane is the inline text" same "$T/out" "$T/cp.want"
check "the apply is logged with the uid" grep -q 'Applied the fleet file .*fleet.yaml.* (uid 0)' "$T/log"
# What the groups choose is served (daemon/boot-view.c reads the fleet).
check "the cp machine (label role=cp) gets control-plane's config" \
	sh -c "ip netns exec $NS curl -s http://127.0.0.1:$PORT/config/$(hy $CP) | grep -qx 'hostname: cp-$CP'"
check "a lab machine (52:54:00:*) gets worker's config" \
	sh -c "ip netns exec $NS curl -s http://127.0.0.1:$PORT/config/$(hy $LAB) | grep -qx 'hostname: worker-$LAB'"
check "the cp machine's script boots kairos with console=ttyS1 appended" \
	sh -c "ip netns exec $NS curl -s http://127.0.0.1:$PORT/ipxe/$(hy $CP) | grep -q '^kernel .*/images/kairos/kernel .*console=ttyS1'"
check "another machine gets the default group's profile (kairos-node)" \
	sh -c "ip netns exec $NS curl -s http://127.0.0.1:$PORT/config/$(hy $OTHER) | grep -qx 'hostname: worker-$OTHER'"
check "the disk machine's script exits to the local disk" \
	sh -c "ip netns exec $NS curl -s http://127.0.0.1:$PORT/ipxe/$(hy $DISK) | grep -q '^exit'"

echo "== applied again, and export | apply -f -: no changes, nothing written"
snap
run 0 apply -f "$F/fleet.yaml"
check "the same file again: no changes" out_has "^no changes$"
check "... and nothing written" unchanged
run 0 export
cp "$T/out" "$T/export.yaml"
for key in "configs:" "profiles:" "groups:" "machines:" "  worker:" "  kairos-cp:" "  control-plane:" "  \"$CP\":"; do
	check "export has \"$key\"" grep -qF -- "$key" "$T/export.yaml"
done
check "export carries worker.yaml inline" grep -qF "worker-{{mac}}" "$T/export.yaml"
check "export | apply -f - says no changes" sh -c \
	"'$CTL' -s '$SOCK' export | '$CTL' -s '$SOCK' apply -f - | grep -qx 'no changes'"
check "... and writes nothing" unchanged
run 0 --json export
check "export --json: {content}" out_json "list(d) == ['content'] and d['content'] == open('$T/export.yaml').read()"

echo "== a tie is refused, nothing changed"
cat >"$F/tie.yaml" <<'EOF'
groups:
  lab2: { match: { mac: "52:54:00:a*" }, profile: disk, priority: 10 }
EOF
snap
run 1 apply -f "$F/tie.yaml"
check "the tie names the file, its line and both groups" sh -c \
	"grep -q 'tie.yaml:2:' '$T/err' && grep -q lab2 '$T/err' && grep -q lab '$T/err'"
check "nothing changed" unchanged
run 1 group set lab2 --profile disk --mac '52:54:00:a*' --priority 10
check "group set of the same tie is refused too" err_has "lab"
check "... and lab2 does not exist" sh -c "! '$CTL' -s '$SOCK' group get lab2 >/dev/null 2>&1"

echo "== --dry-run of a change, then --prune"
cat >"$F/prio.yaml" <<'EOF'
groups:
  lab: { match: { mac: "52:54:00:*" }, profile: kairos-node, priority: 15 }
EOF
run 0 apply -f "$F/prio.yaml" --dry-run
check "dry run shows the priority change" out_has "^~ group lab: priority 10 -> 15"
run 0 --json group get lab
check "... and lab keeps priority 10" out_json "d['priority'] == 10"
cat >"$F/netconsole.yaml" <<'EOF'
profiles:
  disk: { action: local, netconsole: true }
EOF
run 0 apply -f "$F/netconsole.yaml" --dry-run
check "dry run shows netconsole" out_has "^~ profile disk: netconsole false -> true$"
run 0 apply -f "$F/netconsole.yaml"
run 0 --json profile get disk
check "the profile has netconsole" out_json "d['netconsole'] is True and d['action'] == 'local'"
run 0 export
check "export has netconsole: true" out_has "disk: {action: local, netconsole: true}"
run 0 profile get disk
check "profile get shows it" out_has "^netconsole: yes$"
check "machines.json keeps it" grep -Eq '"netconsole":[[:space:]]*true' "$STATE/machines.json"
cat >"$F/small.yaml" <<'EOF'
profiles:
  disk: { action: local }
machines:
  "52:54:00:aa:bb:09": { profile: disk }
EOF
run 0 apply -f "$F/small.yaml" --prune --dry-run
for item in "profile kairos-cp" "group lab" "config worker" "machine $CP"; do
	check "prune dry run lists - $item" out_has "^- $item\$"
done
run 0 apply -f "$F/small.yaml" --prune
run 0 --json profile list
check "pruned: only disk is left" out_json "[p['name'] for p in d] == ['disk']"
run 0 config list
check "pruned: the configs went" out_has "^no configs"
run 0 group list
check "pruned: no groups" out_has "^no groups"
check "pruned config files are gone from the state directory" \
	sh -c "[ -z \"\$(ls '$STATE/configs')\" ]"
run 0 apply -f "$F/fleet.yaml"
check "the example applies again after the prune" out_has "^+ profile kairos-cp$"

echo "== label"
run 0 label "$NEW" role=cp rack=r1
check "label of an unknown MAC creates its entry" out_has "labels of $NEW: rack=r1 role=cp"
run 0 --json machines
check "machines lists it with its labels, no profile, no image; it boots its group's" out_json "[m for m in d if m['mac'] == '$NEW'] == [{'mac':'$NEW','image':None,'config':None,'cmdline':None,'cmdline_mode':'append','labels':{'rack':'r1','role':'cp'},'profile':None,'last_event':None,'lifecycle':{'state':'new','since':None,'error':None,'installed_at':None,'group':None,'boots':0,'installs':0},'boot':{'action':'netboot','image':'kairos','from':'group','group':'control-plane'}}]"
check "its labels put it in group control-plane" \
	sh -c "ip netns exec $NS curl -s http://127.0.0.1:$PORT/config/$(hy $NEW) | grep -qx 'hostname: cp-$NEW'"
run 0 machines
check "machines shows the labels column" out_has "^$NEW .*rack=r1 role=cp"
check "machines shows the image its group boots" out_has "^$NEW .* kairos (group control-plane) "
run 1 label "$NEW" Role=x
check "a bad label key is refused by netbootd" err_has "label key"
run 1 label "$NEW" --remove nokey
check "removing a label it lacks is refused" err_has "no label"
run 0 label "$NEW" --remove rack
check "--remove" out_has "labels of $NEW: role=cp$"
run 0 label "$NEW" --remove role
check "an entry left with nothing is forgotten" sh -c "! grep -q '$NEW' '$STATE/machines.json'"
run 0 assign "$CP" kairos --append-cmdline x=1
run 0 --json machines
check "assign keeps the labels" out_json "[(m['image'], m['labels']) for m in d if m['mac'] == '$CP'] == [('kairos', {'role':'cp'})]"
run 0 unassign "$CP"
run 0 --json machines
check "unassign keeps the entry with its labels" out_json "[(m['image'], m['labels']) for m in d if m['mac'] == '$CP'] == [(None, {'role':'cp'})]"

echo "== profile and group commands"
run 0 profile set extra --image kairos --append-cmdline quiet --action netboot
check "profile set" out_has "^stored profile extra$"
run 0 --json profile get extra
check "profile get" out_json "d['image'] == 'kairos' and d['cmdline'] == 'quiet' and d['cmdline_mode'] == 'append'"
run 0 profile set extra --cmdline only
run 0 --json profile get extra
check "profile set replaces the profile whole" out_json "d['image'] is None and d['cmdline'] == 'only' and d['cmdline_mode'] == 'replace'"
run 1 profile set bad --image nope
check "a profile naming a missing image is refused" err_has "nope"
run 1 profile set bad --action reboot
check "an unknown action is refused" err_has "action"
run 1 profile remove kairos-cp
check "an in-use profile is not removed" err_has "in use by group"
run 1 profile remove disk
check "... nor one a machine names" err_has "in use by machine $DISK"
run 0 profile remove extra
check "profile remove" out_has "^removed profile extra$"
run 1 profile get extra
check "the removed profile is gone" err_has "No such profile"
run 1 group set g --profile missing
check "a group naming a missing profile is refused" err_has "missing"
run 1 group set g --profile disk --arch x86
check "a bad arch is refused" err_has "arch"
run 1 group set g --profile disk --mac 'zz:*'
check "a bad MAC glob is refused" err_has "mac"
run 0 group set edge --profile arm-edge --arch efi-arm64 --label zone=b --priority 3
run 0 --json group get edge
check "group set and get" out_json "d == {'name':'edge','profile':'arm-edge','priority':3,'match':{'mac':None,'uuid':None,'arch':'efi-arm64','interface':None,'labels':{'zone':'b'}}}"
run 1 group set tie --profile disk --arch efi-arm64
check "a group tying with arm (arch, priority 0) is refused" err_has "arm"
run 0 group remove edge
check "group remove" out_has "^removed group edge$"
run 1 group remove edge
check "removing it again: not found" err_has "No such group"

echo "== who may change the fleet"
check "nobody may read: profile and group list and get, export" eval \
	'as_nobody profile list >/dev/null && as_nobody group list >/dev/null && as_nobody profile get disk >/dev/null && as_nobody group get lab >/dev/null && as_nobody export >/dev/null'
for cmd in "profile set x" "profile remove disk" "group set x --profile disk --uuid 8c2f6b1e-4b1d-4d3e-9f0a-1234567890ab" \
	"group remove lab" "label $NEW a=b" "apply -f $F/fleet.yaml" "apply -f $F/fleet.yaml --dry-run"; do
	rc=0
	# shellcheck disable=SC2086
	as_nobody $cmd >"$T/out" 2>"$T/err" || rc=$?
	check "nobody: $cmd exits 4 (permission denied)" test "$rc" = 4
done
check "the daemon logs the refused uid and command" grep -q "Refused \"label\" from uid $NOBODY" "$T/log"
check "a control-group member may label" quiet as_member label "$NEW" a=b
check "... and apply" quiet as_member apply -f "$F/fleet.yaml"
cp "$F/fleet.yaml" "$F/private.yaml"
chmod 600 "$F/private.yaml"
rc=0
as_member apply -f "$F/private.yaml" >"$T/out" 2>"$T/err" || rc=$?
check "a fleet file the member cannot read: exit 2, netbootctl reads it, not netbootd" \
	sh -c "[ $rc = 2 ] && grep -q 'Permission denied' '$T/err'"
chmod 600 "$F/worker.yaml"
rc=0
as_member apply -f "$F/fleet.yaml" >"$T/out" 2>"$T/err" || rc=$?
check "... nor one whose config file it cannot read" sh -c "[ $rc = 2 ] && grep -q worker.yaml '$T/err'"
chmod 644 "$F/worker.yaml"

echo "== everything persisted across a restart"
# The machines of the fleet, without what is not kept (boot events, machines only seen booting).
entries() {
	ctl --json machines | "$PY" -c 'import json, sys
d = [{k: v for k, v in m.items() if k != "last_event"} for m in json.load(sys.stdin)
     if m["labels"] or m["profile"] or m["image"] or m["config"] or m["cmdline"]]
print(json.dumps(d))'
}
entries >"$T/before.machines"
for what in "profile list" "group list" "config list" export; do
	# shellcheck disable=SC2086
	ctl --json $what >"$T/before.$(echo $what | tr ' ' _)"
done
netbootd_stop
start
entries >"$T/after.machines"
check "the machines are the same after a restart" same "$T/before.machines" "$T/after.machines"
check "... and there are three (labels, a profile)" sh -c "[ \"\$(grep -o '\"mac\"' '$T/after.machines' | wc -l)\" = 3 ]"
for what in "profile list" "group list" "config list" export; do
	f=$(echo $what | tr ' ' _)
	# shellcheck disable=SC2086
	ctl --json $what >"$T/after.$f"
	check "$what is the same after a restart" same "$T/before.$f" "$T/after.$f"
done
snap
check "after the restart, export | apply -f - still changes nothing" sh -c \
	"'$CTL' -s '$SOCK' export | '$CTL' -s '$SOCK' apply -f - | grep -qx 'no changes'"
check "... and writes nothing" unchanged
netbootd_stop
check "no sanitizer report or error in the log" \
	sh -c "! grep -qE 'AddressSanitizer|LeakSanitizer|runtime error|netbootd: (error|crit)' '$T/log'"

dump() {
	echo "--- netbootd log ---"
	tail -n 40 "$T/log"
}
check_summary dump
