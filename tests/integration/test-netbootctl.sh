#!/bin/bash
# netbootctl against a fake control socket (ctl-fake-daemon.py): the exact
# request JSON sent, human and --json output, exit codes, progress lines,
# per-command --help against the man page, and an unreachable daemon.
# This tests the client only; no netbootd runs.
set -euo pipefail

SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
CTL=${NETBOOTCTL:?NETBOOTCTL must point to the netbootctl binary}
FAKE=$SRCDIR/tests/integration/ctl-fake-daemon.py
MAN=$SRCDIR/man/netbootctl.1.scd
export TZ=UTC LC_ALL=C
unset NETBOOTD_SOCKET

T=$(mktemp -d /tmp/test-netbootctl.XXXXXX)
SOCK=$T/control.sock
LOG=$T/requests.log
FAKE_PID=
BG_PID=
cleanup() {
	[ -n "$BG_PID" ] && kill "$BG_PID" 2>/dev/null || true
	[ -n "$FAKE_PID" ] && kill "$FAKE_PID" 2>/dev/null || true
	wait 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT

FAILS=0
CHECKS=0
fail() {
	echo "FAIL: $*" >&2
	FAILS=$((FAILS + 1))
}
pass() {
	CHECKS=$((CHECKS + 1))
}

# run RC ARGS...: run netbootctl with -s SOCK, output in $T/out and $T/err.
run() {
	local want=$1 rc=0
	shift
	"$CTL" -s "$SOCK" "$@" >"$T/out" 2>"$T/err" </dev/null || rc=$?
	if [ "$rc" != "$want" ]; then
		fail "netbootctl $* exited $rc, expected $want; stderr: $(cat "$T/err")"
	else
		pass
	fi
}

expect_file() { # expect_file FILE EXPECTED-TEXT WHAT
	if [ "$(cat "$1")" != "$2" ]; then
		fail "$3: got"$'\n'"$(cat "$1")"$'\n'"expected"$'\n'"$2"
	else
		pass
	fi
}
expect_out() { expect_file "$T/out" "$1" "stdout of: $2"; }
expect_err() { expect_file "$T/err" "$1" "stderr of: $2"; }

# The last line the fake daemon logged.
last_request() { tail -n 1 "$LOG"; }
expect_request() {
	local got
	got=$(last_request)
	if [ "$got" != "$1" ]; then
		fail "request for $2: got $got, expected $1"
	else
		pass
	fi
}

lines_at_least() { [ "$(wc -l <"$1")" -ge "$2" ]; }
wait_for() { # wait_for CONDITION-COMMAND...
	for _ in $(seq 100); do
		if "$@"; then return 0; fi
		sleep 0.1
	done
	return 1
}

echo "== unreachable daemon"
rc=0
"$CTL" -s "$T/missing.sock" status >"$T/out" 2>"$T/err" || rc=$?
[ "$rc" = 3 ] && pass || fail "missing socket: exit $rc, expected 3"
expect_err "netbootctl: cannot reach netbootd at $T/missing.sock: No such file or directory" "missing socket"
/usr/bin/python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$T/dead.sock"
rc=0
NETBOOTD_SOCKET=$T/dead.sock "$CTL" status >"$T/out" 2>"$T/err" || rc=$?
[ "$rc" = 3 ] && pass || fail "refused socket: exit $rc, expected 3"
expect_err "netbootctl: cannot reach netbootd at $T/dead.sock: Connection refused" "refused socket (NETBOOTD_SOCKET)"

echo "== start the fake daemon"
/usr/bin/python3 "$FAKE" "$SOCK" "$LOG" &
FAKE_PID=$!
wait_for test -S "$SOCK" || { echo "fake daemon did not start" >&2; exit 1; }

echo "== status"
run 0 status
expect_request '{"version":1,"command":"status","args":{}}' status
expect_out "version:          0.1.0
uptime:           1d 2h 3m
images:           2
machines:         3 (2 in the fleet, 1 seen)
configs:          2
default image:    kairos
default config:   (built-in)
default boot:     on
tftp sessions:    1
http connections: 3" status
run 0 --json status
expect_out '{"version":"0.1.0","uptime_s":93784,"images":2,"machines":3,"machines_fleet":2,"configs":2,"default_image":"kairos","default_config":null,"default_boot":true,"tftp_sessions":1,"http_connections":3}' "--json status"

echo "== images"
run 0 images
expect_request '{"version":1,"command":"images","args":{}}' images
expect_out "NAME          KIND   SOURCE                           SIZE       ASSIGNED  CREATED
kairos        linux  dir:/srv/kairos                  103.0 MiB  1         2024-05-01 12:00:00
ubuntu-24.04  linux  oci:quay.io/kairos/ubuntu:24.04  309.0 MiB  0         2024-05-01 12:00:00
uki           efi    file:/srv/uki.efi                1.0 MiB    0         2024-05-01 12:00:00" images
run 0 --json images
/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert [m["name"] for m in d]==["kairos","ubuntu-24.04","uki"]' "$T/out" && pass || fail "--json images is not the data array"

echo "== add-image (progress lines when stderr is not a tty)"
# netbootctl opens the source files itself and passes them to the daemon.
mkdir "$T/img" "$T/k" "$T/x"
touch "$T/img/kernel" "$T/img/initrd" "$T/img/rootfs.squashfs" "$T/k.iso" "$T/uki.efi"
for f in kernel initrd rootfs.squashfs; do touch "$T/k/$f" "$T/x/$f"; done
(cd "$T" && "$CTL" -s "$SOCK" add-image kairos --dir ./img --cmdline "quiet {mac}" >"$T/out" 2>"$T/err") && pass || fail "add-image failed: $(cat "$T/err")"
expect_request "{\"version\":1,\"command\":\"add-image\",\"args\":{\"name\":\"kairos\",\"source\":{\"type\":\"dir\",\"fds\":3,\"path\":\"$T/img\"},\"force\":false,\"cmdline\":\"quiet {mac}\"}}" "add-image --dir"
expect_out "added image kairos: kernel 1.0 MiB, initrd 2.0 MiB, rootfs.squashfs 100.0 MiB" add-image
expect_err "copy kernel: 0% (0 B of 976.6 KiB)
copy kernel: 10% (97.7 KiB of 976.6 KiB)
copy kernel: 20% (195.3 KiB of 976.6 KiB)
copy kernel: 30% (293.0 KiB of 976.6 KiB)
copy kernel: 40% (390.6 KiB of 976.6 KiB)
copy kernel: 50% (488.3 KiB of 976.6 KiB)
copy kernel: 60% (585.9 KiB of 976.6 KiB)
copy kernel: 70% (683.6 KiB of 976.6 KiB)
copy kernel: 80% (781.2 KiB of 976.6 KiB)
copy kernel: 90% (878.9 KiB of 976.6 KiB)
copy kernel: 100% (976.6 KiB of 976.6 KiB)
copy initrd: 0% (0 B of 1.9 MiB)
copy initrd: 25% (488.3 KiB of 1.9 MiB)
copy initrd: 50% (976.6 KiB of 1.9 MiB)
copy initrd: 75% (1.4 MiB of 1.9 MiB)
copy initrd: 100% (1.9 MiB of 1.9 MiB)" "add-image progress"
run 0 --json add-image kairos --dir "$T/k" --force
expect_request "{\"version\":1,\"command\":\"add-image\",\"args\":{\"name\":\"kairos\",\"source\":{\"type\":\"dir\",\"fds\":3,\"path\":\"$T/k\"},\"force\":true}}" "add-image --force"
n=$(grep -c '^{"event":"progress","data":{"phase":"copy","file":"[a-z]*","done":[0-9]*,"total":[0-9]*}}$' "$T/out" || true)
[ "$n" = 106 ] && pass || fail "--json add-image: $n progress lines, expected 106"
tail -n 1 "$T/out" | grep -q '^{"name":"kairos","created":1714564800,' && pass || fail "--json add-image: last line is not the manifest"
[ ! -s "$T/err" ] && pass || fail "--json add-image wrote to stderr: $(cat "$T/err")"
run 1 add-image k2 --iso "$T/k.iso"
expect_request "{\"version\":1,\"command\":\"add-image\",\"args\":{\"name\":\"k2\",\"source\":{\"type\":\"iso\",\"fds\":1,\"path\":\"$T/k.iso\"},\"force\":false}}" "add-image --iso"
expect_err "netbootctl: Only directory sources are supported so far." "add-image --iso"
run 0 add-image uki --efi "$T/uki.efi"
expect_request "{\"version\":1,\"command\":\"add-image\",\"args\":{\"name\":\"uki\",\"source\":{\"type\":\"efi\",\"fds\":1,\"path\":\"$T/uki.efi\"},\"force\":false}}" "add-image --efi"
expect_out "added image uki: boot.efi 1.0 MiB" "add-image --efi"
run 2 add-image uki --efi "$T/uki.efi" --cmdline quiet
run 2 add-image uki --efi "$T/uki.efi" --dir "$T/x"
run 2 add-image uki --efi "$T/uki.efi" --origin "https://o/{sha256}" --boot-from-origin
run 0 add-image live --whole-iso "$T/k.iso"
expect_request "{\"version\":1,\"command\":\"add-image\",\"args\":{\"name\":\"live\",\"source\":{\"type\":\"whole-iso\",\"fds\":1,\"path\":\"$T/k.iso\"},\"force\":false}}" "add-image --whole-iso"
expect_out "added image live: boot.iso 1.0 MiB" "add-image --whole-iso"
run 2 add-image live --whole-iso "$T/k.iso" --cmdline quiet
expect_err "netbootctl: add-image: an image kept whole carries its own command line: no --cmdline with --whole-iso" "--whole-iso --cmdline"
run 2 add-image live --whole-iso "$T/k.iso" --efi "$T/uki.efi"
run 1 add-image k3 quay.io/kairos/ubuntu:24.04
expect_request '{"version":1,"command":"add-image","args":{"name":"k3","source":{"type":"oci","ref":"quay.io/kairos/ubuntu:24.04"},"force":false}}' "add-image OCI-REF"
run 1 add-image exists --dir "$T/x"
expect_err 'netbootctl: Image "exists" exists already; use --force to replace it.' "add-image exists"
run 1 --json add-image exists --dir "$T/x"
expect_out '{"code":"exists","message":"Image \"exists\" exists already; use --force to replace it."}' "--json error object"

echo "== add-image: Ctrl-C closes the connection (the daemon cancels)"
"$CTL" -s "$SOCK" add-image slow --dir "$T/x" >"$T/out" 2>"$T/err" &
BG_PID=$!
wait_for grep -q "copy kernel: 50%" "$T/err" || fail "no progress from add-image slow"
kill -INT "$BG_PID"
rc=0
wait "$BG_PID" || rc=$?
BG_PID=
[ "$rc" = 130 ] && pass || fail "add-image interrupted: exit $rc, expected 130"
wait_for grep -q "CANCELLED slow" "$LOG" && pass || fail "the fake daemon did not see the connection close"

echo "== a misbehaving daemon"
for name in bad-frame huge-frame garbage; do
	run 1 add-image "$name" --dir "$T/x"
	expect_err "netbootctl: netbootd at $SOCK sent a malformed reply" "reply $name"
done
run 1 add-image cutoff --dir "$T/x"
expect_err "netbootctl: netbootd at $SOCK closed the connection without a reply" "no reply"

echo "== remove-image"
run 0 remove-image old
expect_request '{"version":1,"command":"remove-image","args":{"name":"old","force":false}}' remove-image
expect_out "removed image old" remove-image
run 0 remove-image old --force
expect_request '{"version":1,"command":"remove-image","args":{"name":"old","force":true}}' "remove-image --force"
run 1 remove-image used
expect_err 'netbootctl: Image "used" is assigned to 2 machines; use --force.' "remove-image in use"
run 1 remove-image missing
run 0 --json remove-image old
expect_out '{"name":"old"}' "--json remove-image"

echo "== machines"
run 0 machines
expect_request '{"version":1,"command":"machines","args":{}}' machines
expect_out "MAC                STATE      PROFILE  IMAGE               CONFIG  CMDLINE         LABELS          LAST EVENT
52:54:00:12:34:56  installed  -        kairos              web     (append) quiet  role=cp zone=a  kernel 2024-05-01 12:00:00
52:54:00:00:00:99  -          disk     -                   -       -               -               -
52:54:00:00:00:a1  -          -        kairos (group lab)  -       -               -               -
52:54:00:00:00:a2  -          -        kairos (default)    -       -               -               -" machines

echo "== assign / unassign"
run 0 assign 52-54-00-AB-CD-EF kairos
expect_request '{"version":1,"command":"assign","args":{"mac":"52:54:00:ab:cd:ef","image":"kairos","cmdline_mode":"append"}}' assign
expect_out "assigned 52:54:00:ab:cd:ef to image kairos" assign
run 0 assign 52:54:00:ab:cd:ef kairos --config web --append-cmdline "debug x=1"
expect_request '{"version":1,"command":"assign","args":{"mac":"52:54:00:ab:cd:ef","image":"kairos","config":"web","cmdline":"debug x=1","cmdline_mode":"append"}}' "assign --append-cmdline"
expect_out "assigned 52:54:00:ab:cd:ef to image kairos, config web, cmdline (append) debug x=1" "assign --append-cmdline"
run 0 --json assign 52:54:00:ab:cd:ef kairos --cmdline "console=ttyS0"
expect_request '{"version":1,"command":"assign","args":{"mac":"52:54:00:ab:cd:ef","image":"kairos","cmdline":"console=ttyS0","cmdline_mode":"replace"}}' "assign --cmdline"
expect_out '{"mac":"52:54:00:ab:cd:ef","image":"kairos","config":null,"cmdline":"console=ttyS0","cmdline_mode":"replace","last_event":null}' "--json assign"
run 1 assign 52:54:00:ab:cd:ef missing
expect_err 'netbootctl: No image "missing".' "assign missing image"
run 0 unassign 52-54-00-ab-cd-ef
expect_request '{"version":1,"command":"unassign","args":{"mac":"52:54:00:ab:cd:ef"}}' unassign
expect_out "unassigned 52:54:00:ab:cd:ef" unassign

echo "== reinstall"
run 0 reinstall 52-54-00-ab-cd-ef
expect_request '{"version":1,"command":"reinstall","args":{"mac":"52:54:00:ab:cd:ef"}}' reinstall
expect_out "52:54:00:ab:cd:ef: back to new, it netboots its image again at its next boot" reinstall
run 0 reinstall --group edge
expect_request '{"version":1,"command":"reinstall","args":{"group":"edge"}}' "reinstall --group"
expect_out "52:54:00:00:00:01: back to new, it netboots its image again at its next boot
52:54:00:00:00:02: back to new, it netboots its image again at its next boot" "reinstall --group"
run 0 reinstall --group none
expect_out "no machine booted through group none" "reinstall --group, none"
run 2 reinstall 52:54:00:ab:cd:ef --group edge
expect_err 'netbootctl: reinstall: unexpected argument "52:54:00:ab:cd:ef"' "reinstall MAC --group"

echo "== config set / get / list / default"
printf '#cloud-config\nhostname: "{{hostname}}"\n' >"$T/web.yaml"
run 0 config set web "$T/web.yaml"
expect_request '{"version":1,"command":"config-set","args":{"name":"web","content":"#cloud-config\nhostname: \"{{hostname}}\"\n"}}' "config set FILE"
expect_out "stored config web (39 bytes)" "config set"
rc=0
"$CTL" -s "$SOCK" config set web - <"$T/web.yaml" >"$T/out" 2>"$T/err" || rc=$?
[ "$rc" = 0 ] && pass || fail "config set - exited $rc"
expect_request '{"version":1,"command":"config-set","args":{"name":"web","content":"#cloud-config\nhostname: \"{{hostname}}\"\n"}}' "config set -"
printf 'hostname: x\n' >"$T/bad.yaml"
run 1 config set web "$T/bad.yaml"
expect_err 'netbootctl: The first line must be "#cloud-config".' "config set invalid"
run 4 config set denied "$T/web.yaml"
expect_err "netbootctl: Changing state needs uid 0 or group netboot." "permission denied"
run 0 config get web
expect_request '{"version":1,"command":"config-get","args":{"name":"web"}}' "config get"
printf '#cloud-config\nhostname: {{hostname}}\n' >"$T/expected"
cmp -s "$T/out" "$T/expected" && pass || fail "config get does not print the content raw"
run 1 config get missing
expect_err 'netbootctl: No config "missing".' "config get missing"
run 0 config list
expect_request '{"version":1,"command":"config-list","args":{}}' "config list"
expect_out "NAME  SIZE  DEFAULT
web   120   
base  4096  yes" "config list"
run 0 config default base
expect_request '{"version":1,"command":"config-default","args":{"name":"base"}}' "config default"
expect_out "default config: base" "config default"
run 0 config default --none
expect_request '{"version":1,"command":"config-default","args":{"name":null}}' "config default --none"
expect_out "default config: none (built-in)" "config default --none"
run 0 --json config default --none
expect_out '{"name":null}' "--json config default"

echo "== profile, group, label, apply, export"
run 0 profile set kairos-cp --image kairos --config cp --append-cmdline "console=ttyS1" --action local
expect_request '{"version":1,"command":"profile-set","args":{"name":"kairos-cp","image":"kairos","config":"cp","cmdline":"console=ttyS1","cmdline_mode":"append","action":"local"}}' "profile set"
expect_out "stored profile kairos-cp" "profile set"
run 0 profile set plain
expect_request '{"version":1,"command":"profile-set","args":{"name":"plain"}}' "profile set, no options"
run 0 profile set nc --netconsole
expect_request '{"version":1,"command":"profile-set","args":{"name":"nc","netconsole":true}}' "profile set --netconsole"
run 1 profile set p --image missing
expect_err 'netbootctl: profile "p": no image "missing".' "profile set, missing image"
run 0 profile get kairos-cp
expect_request '{"version":1,"command":"profile-get","args":{"name":"kairos-cp"}}' "profile get"
expect_out "name:     kairos-cp
image:    kairos
config:   cp
cmdline:  (append) console=ttyS1
loader:   -
action:   netboot" "profile get"
run 0 profile list
expect_out "NAME       IMAGE   CONFIG  CMDLINE                 ACTION
disk       -       -       -                       local
kairos-cp  kairos  cp      (append) console=ttyS1  netboot" "profile list"
run 1 profile remove used
expect_err 'netbootctl: The profile "used" is in use by group "lab".' "profile remove in use"
run 0 profile remove disk
expect_request '{"version":1,"command":"profile-remove","args":{"name":"disk"}}' "profile remove"
expect_out "removed profile disk" "profile remove"
run 0 group set lab --profile kairos-cp --priority -10 --mac '52:54:00:*' --arch efi-arm64 --label role=cp --label zone=a
expect_request '{"version":1,"command":"group-set","args":{"name":"lab","profile":"kairos-cp","priority":-10,"match":{"mac":"52:54:00:*","arch":"efi-arm64","labels":{"role":"cp","zone":"a"}}}}' "group set"
expect_out "stored group lab" "group set"
run 0 group set default --profile disk
expect_request '{"version":1,"command":"group-set","args":{"name":"default","profile":"disk","match":{}}}' "group set, no selectors"
run 0 group list
expect_out "NAME     PROFILE    PRIORITY  MATCH
default  disk       0         (default)
lab      kairos-cp  10        mac=52:54:00:* arch=efi-arm64 labels.role=cp" "group list"
run 0 group get lab
expect_out "name:     lab
profile:  kairos-cp
priority: 10
match:    mac=52:54:00:* arch=efi-arm64 labels.role=cp" "group get"
run 1 group get nope
expect_err 'netbootctl: No such group "nope".' "group get missing"
run 0 group remove lab
expect_out "removed group lab" "group remove"
run 0 label 52-54-00-AA-BB-01 role=cp zone= --remove rack
expect_request '{"version":1,"command":"label","args":{"mac":"52:54:00:aa:bb:01","set":{"role":"cp","zone":""},"remove":["rack"]}}' "label"
expect_out "labels of 52:54:00:aa:bb:01: role=cp zone=" "label"
run 0 label 52:54:00:aa:bb:01 --remove role
expect_request '{"version":1,"command":"label","args":{"mac":"52:54:00:aa:bb:01","remove":["role"]}}' "label --remove"
expect_out "labels of 52:54:00:aa:bb:01: none" "label --remove"
run 0 export
expect_request '{"version":1,"command":"export","args":{}}' "export"
expect_out "profiles:
  disk: { action: local }" "export"
run 0 --json export
expect_out '{"content":"profiles:\n  disk: { action: local }\n"}' "--json export"
# apply reads the fleet file and its file: configs (lib/conf/fleet-file.c must be there).
mkdir -p "$T/fleet"
printf '#cloud-config\nrole: worker\n' >"$T/fleet/worker.yaml"
printf 'configs:\n  worker: { file: worker.yaml }\nprofiles:\n  node: { config: worker }\n' >"$T/fleet/fleet.yaml"
run 0 apply -f "$T/fleet/fleet.yaml" --dry-run
expect_request '{"version":1,"command":"apply","args":{"files":{"worker.yaml":"#cloud-config\nrole: worker\n"},"file":"'"$T"'/fleet/fleet.yaml","content":"configs:\n  worker: { file: worker.yaml }\nprofiles:\n  node: { config: worker }\n","dry_run":true,"prune":false}}' "apply --dry-run"
expect_out "+ profile kairos-cp
~ group lab: priority 0 -> 10
(dry run: nothing was changed)" "apply --dry-run"
printf 'profiles: {}  # no-changes\n' >"$T/fleet/same.yaml"
rc=0
(cd "$T/fleet" && "$CTL" -s "$SOCK" apply --prune -f - <same.yaml >"$T/out" 2>"$T/err") || rc=$?
[ "$rc" = 0 ] && pass || fail "apply -f - exited $rc: $(cat "$T/err")"
expect_request '{"version":1,"command":"apply","args":{"files":{},"file":"stdin","content":"profiles: {}  # no-changes\n","dry_run":false,"prune":true}}' "apply -f -"
expect_out "no changes" "apply, no changes"

echo "== default-boot"
run 0 default-boot off
expect_request '{"version":1,"command":"default-boot","args":{"enabled":false}}' "default-boot off"
expect_out "default boot: off" "default-boot off"
run 0 default-boot on
expect_request '{"version":1,"command":"default-boot","args":{"enabled":true}}' "default-boot on"

echo "== watch"
run 1 watch 52-54-00-00-00-99
expect_request '{"version":1,"command":"watch","args":{"mac":"52:54:00:00:00:99"}}' "watch MAC"
expect_out "2024-05-01 12:00:01 52:54:00:00:00:99 loader file=ipxe.efi client=10.0.0.9 bytes=1024 total=1024 complete=yes" "watch MAC"
expect_err "netbootctl: netbootd at $SOCK closed the connection" "watch, daemon gone"
run 1 --json watch 52:54:00:00:00:99
expect_out '{"event":"boot","data":{"mac":"52:54:00:00:00:99","time":1714564801000,"kind":"loader","client":"10.0.0.9","detail":"ipxe.efi","bytes":1024,"total":1024,"complete":true}}
{"event":"future-event","data":{"x":1}}' "--json watch"
"$CTL" -s "$SOCK" watch >"$T/out" 2>"$T/err" &
BG_PID=$!
wait_for lines_at_least "$T/out" 4 || fail "watch printed no events"
expect_request '{"version":1,"command":"watch","args":{}}' watch
kill -INT "$BG_PID"
rc=0
wait "$BG_PID" || rc=$?
BG_PID=
[ "$rc" = 0 ] && pass || fail "watch after Ctrl-C: exit $rc, expected 0"
expect_out "2024-05-01 12:00:00 52:54:00:12:34:56 offer file=ipxe.efi
2024-05-01 12:00:01 52:54:00:00:00:99 loader file=ipxe.efi client=10.0.0.9 bytes=1024 total=1024 complete=yes
2024-05-01 12:00:02 52:54:00:12:34:56 kernel image=kairos client=10.0.0.5 bytes=5000000 total=12345678 complete=no
2024-05-01 12:00:03 52:54:00:12:34:56 state state=installing instance=rack1-a hint=\"a newer member\" note=\"say \\\"hi\\\"\\x1b[31m\"" watch
wait_for grep -q "CLOSED watch" "$LOG" && pass || fail "the fake daemon did not see watch close"

echo "== usage errors (exit 2, nothing sent)"
before=$(wc -l <"$LOG")
run 2 bogus
expect_err 'netbootctl: unknown command "bogus" (try --help)' "unknown command"
run 2 --bogus status
run 2 status extra
expect_err 'netbootctl: status: unexpected argument "extra"' "extra argument"
run 2 remove-image
expect_err "netbootctl: remove-image: missing argument" "missing argument"
run 2 remove-image x --force --what
expect_err 'netbootctl: remove-image: unknown option "--what"' "unknown option"
run 2 add-image k
run 2 add-image k --dir /a --iso /b.iso
expect_err "netbootctl: add-image: give exactly one of --dir DIR, --iso FILE, --efi FILE, --whole-iso FILE or OCI-REF" "two sources"
run 2 add-image .hidden --dir /a
run 2 add-image k --dir
expect_err 'netbootctl: add-image: option "--dir" needs a value' "option value"
run 2 assign zz kairos
expect_err 'netbootctl: assign: "zz" is not a MAC address (like 52:54:00:12:34:56)' "bad MAC"
run 2 assign 52:54:00:ab:cd:ef kairos --cmdline a --append-cmdline b
run 2 assign 52:54:00:ab:cd:ef "bad/name"
run 2 config default
run 2 config default a --none
run 2 default-boot maybe
run 2 watch zz
run 2 config set web "$T/nope.yaml"
expect_err "netbootctl: config set: $T/nope.yaml: No such file or directory" "config set missing file"
head -c $((256 * 1024 + 1)) /dev/zero | tr '\0' 'a' >"$T/big.yaml"
run 2 config set web "$T/big.yaml"
expect_err "netbootctl: config set: $T/big.yaml: a cloud-config is at most 256 KiB" "config over 256 KiB"
head -c $((256 * 1024)) /dev/zero | tr '\0' 'a' >"$T/max.yaml"
run 1 config set web "$T/max.yaml" # exactly 256 KiB is sent (the fake refuses its first line)
printf '#cloud-config\n\xff\n' >"$T/latin.yaml"
run 2 config set web "$T/latin.yaml"
run 2 extract iso /tmp/x.iso
expect_err "netbootctl: extract iso: missing argument" "extract iso"
run 2 profile set p --cmdline a --append-cmdline b
expect_err "netbootctl: profile set: give at most one of --cmdline and --append-cmdline" "profile set, two cmdlines"
run 2 profile set
run 2 profile get bad/name
run 2 group set g
expect_err "netbootctl: group set: --profile is required" "group set without --profile"
run 2 group set g --profile p --priority 1x
expect_err 'netbootctl: group set: --priority "1x" is not an integer from -1000000 to 1000000' "group set, bad priority"
run 2 group set g --profile p --priority 1000001
run 2 group set g --profile p --label novalue
expect_err 'netbootctl: group set: "novalue" is not a label KEY=VALUE' "group set, bad label"
run 2 group set g --profile p --mac a --mac b
run 2 label 52:54:00:aa:bb:01
expect_err "netbootctl: label: give labels to set (K=V) or to remove (--remove K)" "label, nothing to do"
run 2 label zz role=cp
run 2 label 52:54:00:aa:bb:01 =x
run 2 label 52:54:00:aa:bb:01 a=1 a=2
run 2 apply
expect_err "netbootctl: apply: -f FILE is required" "apply without -f"
run 2 apply -f "$T/nope.yaml"
expect_err "netbootctl: apply: $T/nope.yaml: No such file or directory" "apply, missing file"
run 2 apply -f "$T/fleet/fleet.yaml" extra
printf 'configs:\n  w: { file: absent.yaml }\n' >"$T/fleet/dangling.yaml"
run 2 apply -f "$T/fleet/dangling.yaml"
err_has() { grep -q -- "$1" "$T/err" && pass || fail "stderr lacks $1: $(cat "$T/err")"; }
err_has "absent.yaml"
run 2
after=$(wc -l <"$LOG")
[ "$after" = $((before + 1)) ] && pass || fail "usage errors sent $((after - before)) requests, expected 1 (the 256 KiB config)"

echo "== --help for netbootctl and each command, matching the man page synopsis"
run 0 --help
grep -q '^usage: netbootctl \[-s SOCKET\] \[--json\] COMMAND \[ARGS...\]$' "$T/out" && pass || fail "--help: no usage line"
grep -qxF 'netbootctl [-s SOCKET] [--json] COMMAND [ARGS...]' "$MAN" && pass || fail "man page lacks the global synopsis"
n=0
while read -r line; do
	usage=${line#netbootctl }
	n=$((n + 1))
	grep -qxF "netbootctl $usage" "$MAN" && pass || fail "man page synopsis lacks \"netbootctl $usage\""
	read -r -a words <<<"$usage"
	cmd=(${words[0]})
	case ${words[0]} in config | extract | profile | group) cmd+=("${words[1]}") ;; esac
	rc=0
	"$CTL" "${cmd[@]}" --help >"$T/help" 2>&1 || rc=$?
	[ "$rc" = 0 ] && pass || fail "${cmd[*]} --help exited $rc"
	[ "$(head -n 1 "$T/help")" = "usage: netbootctl $usage" ] && pass || fail "${cmd[*]} --help: $(head -n 1 "$T/help")"
done < <(sed -n 's/^  \(netbootctl .*\)$/\1/p' "$T/out")
[ "$n" = 29 ] && pass || fail "--help lists $n commands, expected 29"
run 0 --version
expect_out "netbootctl 0.1.0" --version

echo "$CHECKS checks passed, $FAILS failed"
[ "$FAILS" = 0 ]
