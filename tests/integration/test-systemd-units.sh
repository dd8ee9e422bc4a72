#!/bin/bash
# "meson install" into a DESTDIR: the file list (binaries, units, sysusers.d,
# tmpfiles.d, the example configuration, man pages, bash completion); then
# systemd-analyze verify on the installed units (ExecStart pointed into the
# DESTDIR, MANPATH at its man pages), systemd-analyze security --offline with
# an overall exposure of at most 2.0, and systemd-sysusers/systemd-tmpfiles
# applied to a scratch root.  Nothing runs, nothing listens.
set -euo pipefail

: "${BUILDDIR:?BUILDDIR must name the meson build directory}"

for tool in meson jq systemd-analyze systemd-sysusers systemd-tmpfiles; do
	if ! command -v "$tool" >/dev/null; then
		echo "SKIP: needs $tool"
		exit 77
	fi
done

TMP=$(mktemp -d /tmp/test-systemd-units.XXXXXX)
FAILURES=0
trap 'rm -rf "$TMP"' EXIT

ok() { echo "ok - $*"; }
bad() {
	echo "FAIL - $*"
	FAILURES=$((FAILURES + 1))
}

DEST="$TMP/dest"
echo "# meson install --destdir $DEST"
meson install -C "$BUILDDIR" --destdir "$DEST" --no-rebuild --quiet >"$TMP/install.log" 2>&1 ||
	{ cat "$TMP/install.log"; bad "meson install failed"; exit 1; }

opt() { meson introspect --buildoptions "$BUILDDIR" | jq -r ".[] | select(.name == \"$1\") | .value"; }
PREFIX=$(opt prefix)
under_prefix() { case "$1" in /*) echo "$1" ;; *) echo "$PREFIX/$1" ;; esac; }
SBINDIR=$(under_prefix "$(opt sbindir)")
BINDIR=$(under_prefix "$(opt bindir)")
SYSCONFDIR=$(under_prefix "$(opt sysconfdir)")
MANDIR=$(under_prefix "$(opt mandir)")
DATADIR=$(under_prefix "$(opt datadir)")
pcvar() {
	local v
	v=$(pkg-config --define-variable=prefix="$PREFIX" --variable="$1" systemd 2>/dev/null || true)
	echo "${v:-$2}"
}
UNITDIR=$(pcvar systemdsystemunitdir "$PREFIX/lib/systemd/system")
SYSUSERSDIR=$(pcvar sysusersdir "$PREFIX/lib/sysusers.d")
TMPFILESDIR=$(pcvar tmpfilesdir "$PREFIX/lib/tmpfiles.d")

expect_file() { # path mode-test description
	if [ "$2" "$DEST$1" ]; then ok "installed $1"; else bad "missing $1"; fi
}
expect_file "$SBINDIR/netbootd" -x
expect_file "$BINDIR/netbootctl" -x
expect_file "$UNITDIR/netbootd.service" -f
expect_file "$UNITDIR/netbootd.socket" -f
expect_file "$SYSUSERSDIR/netbootd.conf" -f
expect_file "$TMPFILESDIR/netbootd.conf" -f
expect_file "$SYSCONFDIR/netbootd/netbootd.yaml" -f
expect_file "$DATADIR/bash-completion/completions/netbootctl" -f
if command -v scdoc >/dev/null; then
	expect_file "$MANDIR/man8/netbootd.8" -f
	expect_file "$MANDIR/man5/netbootd.yaml.5" -f
	expect_file "$MANDIR/man1/netbootctl.1" -f
else
	echo "# scdoc missing: man pages not checked"
fi
[ "$FAILURES" -eq 0 ] || exit 1

SERVICE="$DEST$UNITDIR/netbootd.service"
SOCKET="$DEST$UNITDIR/netbootd.socket"
if grep -q '@[a-z]*@' "$SERVICE"; then
	bad "netbootd.service has unsubstituted @variables@"
else
	ok "netbootd.service is fully configured"
fi
if grep -qx "ExecStart=$SBINDIR/netbootd -f" "$SERVICE"; then
	ok "ExecStart is $SBINDIR/netbootd -f"
else
	bad "ExecStart is not $SBINDIR/netbootd -f"
fi

# The socket unit, the example configuration and the sysusers names agree.
sock=$(sed -n 's/^ListenStream=//p' "$SOCKET")
cfg_sock=$(sed -n 's/^  socket: //p' "$DEST$SYSCONFDIR/netbootd/netbootd.yaml")
cfg_group=$(sed -n 's/^  group: //p' "$DEST$SYSCONFDIR/netbootd/netbootd.yaml")
if [ "$sock" = /run/netbootd/control.sock ] && [ "$sock" = "$cfg_sock" ]; then
	ok "netbootd.socket listens on the configured control socket $sock"
else
	bad "netbootd.socket listens on \"$sock\", the configuration says \"$cfg_sock\""
fi
if grep -qx "SocketGroup=$cfg_group" "$SOCKET" && grep -qx 'SocketMode=0660' "$SOCKET"; then
	ok "control socket is group $cfg_group, mode 0660"
else
	bad "netbootd.socket's SocketGroup=/SocketMode= do not match group \"$cfg_group\" 0660"
fi

# systemd-analyze verify: the units as installed, with ExecStart resolvable.
mkdir "$TMP/units"
sed "s|^ExecStart=$SBINDIR/|ExecStart=$DEST$SBINDIR/|" "$SERVICE" >"$TMP/units/netbootd.service"
cp "$SOCKET" "$TMP/units/"
if MANPATH="$DEST$MANDIR" systemd-analyze verify "$TMP/units/netbootd.service" \
	"$TMP/units/netbootd.socket" >"$TMP/verify.log" 2>&1 && [ ! -s "$TMP/verify.log" ]; then
	ok "systemd-analyze verify: clean (units, executables, man pages)"
else
	cat "$TMP/verify.log"
	bad "systemd-analyze verify complained"
fi

# systemd-analyze security: overall exposure <= 2.0.
systemd-analyze security --offline=true "$SERVICE" >"$TMP/security.log" 2>&1 || true
line=$(grep 'Overall exposure level for netbootd.service' "$TMP/security.log" || true)
exposure=$(sed -n 's/.*netbootd\.service: \([0-9.]*\).*/\1/p' <<<"$line")
if [ -z "$exposure" ]; then
	cat "$TMP/security.log"
	bad "no exposure level in systemd-analyze security output"
elif awk -v e="$exposure" 'BEGIN { exit !(e <= 2.0) }'; then
	ok "systemd-analyze security: exposure $exposure (<= 2.0)"
	grep '✗' "$TMP/security.log" | sed 's/^/#   /' || true
else
	grep '✗' "$TMP/security.log"
	bad "systemd-analyze security: exposure $exposure > 2.0"
fi

# sysusers.d and tmpfiles.d applied to a scratch root.
ROOT="$TMP/root"
mkdir -p "$ROOT/etc" "$ROOT/run" "$ROOT/var/lib"
if systemd-sysusers --root="$ROOT" "$DEST$SYSUSERSDIR/netbootd.conf" >/dev/null 2>&1; then
	ok "systemd-sysusers applied"
else
	bad "systemd-sysusers failed"
fi
gid=$(awk -F: '$1 == "netboot" { print $3 }' "$ROOT/etc/group")
user=$(awk -F: -v g="$gid" '$1 == "netbootd" && $4 == g { print $6 ":" $7 }' "$ROOT/etc/passwd")
if [ -n "$gid" ] && [ "$user" = /var/lib/netbootd:/usr/sbin/nologin ]; then
	ok "system user netbootd with primary group netboot ($gid), no login"
else
	bad "sysusers: no user netbootd in group netboot (group \"$gid\", user \"$user\")"
fi
if grep -qx 'User=netbootd' "$SERVICE" && grep -qx 'Group=netboot' "$SERVICE"; then
	ok "the service runs as netbootd:netboot"
else
	bad "the service does not run as netbootd:netboot"
fi
if systemd-tmpfiles --root="$ROOT" --create "$DEST$TMPFILESDIR/netbootd.conf" >"$TMP/tmpfiles.log" 2>&1; then
	ok "systemd-tmpfiles applied"
else
	cat "$TMP/tmpfiles.log"
	bad "systemd-tmpfiles failed"
fi
for d in /run/netbootd:755 /var/lib/netbootd:750; do
	got=$(stat -c '%a %u:%g' "$ROOT${d%:*}" 2>/dev/null || true)
	uid=$(awk -F: '$1 == "netbootd" { print $3 }' "$ROOT/etc/passwd")
	if [ "$got" = "${d#*:} $uid:$gid" ]; then
		ok "${d%:*} is ${d#*:} netbootd:netboot"
	else
		bad "${d%:*} is \"$got\", want \"${d#*:} $uid:$gid\""
	fi
done

if [ "$FAILURES" -ne 0 ]; then
	echo "$FAILURES check(s) failed"
	exit 1
fi
echo "all checks passed"
