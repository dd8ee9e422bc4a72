#!/bin/bash
# The control socket handed over by systemd-socket-activate (LISTEN_FDS, as
# netbootd.socket does): netbootctl works, netbootd neither re-binds nor
# chmods it, keeps it across a reload that moves control.socket, and leaves
# the file alone on SIGTERM.  Then, without activation, netbootd running as
# a user that is not root (User= in a unit): the socket keeps that uid and
# gets control.group when the user is a member, else 0600.  HTTP runs on
# 127.0.0.1 inside a network namespace of our own.
set -euo pipefail

NETBOOTD=${NETBOOTD:?NETBOOTD must point to netbootd}
CTL=${NETBOOTCTL:?NETBOOTCTL must point to netbootctl}
NS=nbsact$$
GROUP=nbsact$$
PORT=18095

# shellcheck source=../lib/check.sh
. "$(dirname "$0")/../lib/check.sh"
require_root
require_cmds ip systemd-socket-activate setpriv groupadd groupdel

new_tmpdir test-socket-activation
T=$TMPDIR_NEW
chmod 755 "$T"
PID=
cleanup_push 'groupdel "$GROUP" 2>/dev/null'
new_netns "$NS"
cleanup_push 'stop_child "$PID"'
log_has() { grep -qE -- "$1" "$T/netbootd.log" || { echo "  log: $(tail -5 "$T/netbootd.log")"; false; }; }
status_ok() { "$CTL" -s "$1" status >/dev/null 2>&1; }
wait_status() {
	wait_until 30 status_ok "$1"
}
stop() {
	kill -TERM "$PID"
	wait "$PID" || true
	PID=
}

groupadd "$GROUP"
mkdir -p "$T/state" "$T/run"
SOCK=$T/run/control.sock
config() { # socket [group]
	cat >"$T/netbootd.yaml" <<EOF
state_dir: $T/state
dhcp: {enabled: false}
tftp: {enabled: false}
http: {port: $PORT}
control: {socket: "$1", group: "${2:-nbsact-none}"}
EOF
}

echo "--- socket activation"
config "$SOCK"
# systemd-socket-activate makes the socket 0644 root:root, modes netbootd
# never makes (0660 or 0600), so a chmod or a re-bind would show.
ip netns exec "$NS" systemd-socket-activate -l "$SOCK" \
	"$NETBOOTD" -f -c "$T/netbootd.yaml" 2>"$T/netbootd.log" &
PID=$!
wait_until 30 test -S "$SOCK" || true
INODE=$(stat -c %i "$SOCK")
MODE=$(stat -c %a:%u:%g "$SOCK")
check "netbootctl status works through the passed socket" wait_status "$SOCK"
check "netbootd says it uses the passed socket" log_has 'Control socket passed by systemd, listening on ".*/run/control.sock"'
check "netbootd did not re-bind: same inode" test "$(stat -c %i "$SOCK")" = "$INODE"
check "systemd-socket-activate made it $MODE (not netbootd's 660 or 600)" \
	sh -c "case $MODE in 660:* | 600:*) false ;; esac"
check "netbootd did not chmod/chown it: still $MODE" test "$(stat -c %a:%u:%g "$SOCK")" = "$MODE"
check "the daemon is the activated process (fd 3 is a socket)" \
	sh -c "readlink /proc/$PID/fd/3 | grep -q '^socket:'"

config "$T/run/moved.sock"
kill -HUP "$PID"
wait_until 30 grep -q 'cannot move' "$T/netbootd.log" || true
check "reload that moves control.socket is logged and ignored" log_has 'control.socket changed to ".*/run/moved.sock", but the control socket comes from systemd and cannot move'
check "netbootctl still works on the passed socket after reload" status_ok "$SOCK"
check "no socket at the new path" test ! -e "$T/run/moved.sock"

stop
check "after SIGTERM the passed socket file is left alone" \
	test "$(stat -c %i:%a:%u:%g "$SOCK" 2>/dev/null)" = "$INODE:$MODE"
rm -f "$SOCK"

echo "--- not root, no activation"
chown -R nobody "$T/state" "$T/run"
GID=$(getent group "$GROUP" | cut -d: -f3)
NOGROUP=$(id -g nobody)
config "$SOCK" "$GROUP"
ip netns exec "$NS" setpriv --reuid=nobody --regid="$NOGROUP" --groups="$GID" \
	"$NETBOOTD" -f -c "$T/netbootd.yaml" 2>"$T/netbootd.log" &
PID=$!
check "netbootd as nobody (member of $GROUP) starts" wait_status "$SOCK"
check "socket nobody:$GROUP 0660" \
	test "$(stat -c %u:%g:%a "$SOCK")" = "$(id -u nobody):$GID:660"
check "no chown error" sh -c "! grep -qi 'operation not permitted' '$T/netbootd.log'"
# The unprivileged daemon imports files only root may read: netbootctl (root)
# opens them and passes the descriptors; netbootd never opens the paths.
mkdir -p "$T/private"
head -c 4096 /dev/urandom >"$T/private/kernel"
head -c 4096 /dev/urandom >"$T/private/initrd"
fake_squashfs 4092 >"$T/private/rootfs.squashfs"
chmod 600 "$T/private"/*
chmod 700 "$T/private"
check "netbootd as nobody imports a root-only directory passed by netbootctl" \
	"$NETBOOTCTL" -s "$SOCK" add-image priv --dir "$T/private"
check "the imported kernel is byte-identical" cmp -s "$T/private/kernel" "$T/state/images/priv/kernel"
stop

ip netns exec "$NS" setpriv --reuid=nobody --regid="$NOGROUP" --clear-groups \
	"$NETBOOTD" -f -c "$T/netbootd.yaml" 2>"$T/netbootd.log" &
PID=$!
check "netbootd as nobody (not a member) starts" wait_status "$SOCK"
check "socket 0600, our own uid" test "$(stat -c %u:%a "$SOCK")" = "$(id -u nobody):600"
check "the 0600 fallback is logged" log_has "Not root nor in group \"$GROUP\": the control socket .* is for uid [0-9]+ only"
stop
check "the socket netbootd made is removed on SIGTERM" test ! -e "$SOCK"

dump() {
	echo "--- netbootd"
	cat "$T/netbootd.log"
}
check_summary dump
