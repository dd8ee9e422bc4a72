#!/bin/bash
# The netbootd program itself: options, --check-config, start-up, SIGHUP
# reload (good and broken files), SIGTERM, daemonizing, and start-up failure
# on a taken port.  Every daemon runs inside a network namespace this test
# creates, on high ports, with ProxyDHCP disabled.
set -euo pipefail

: "${NETBOOTD:?NETBOOTD must name the daemon binary}"

if [ "$(id -u)" != 0 ] || ! command -v ip >/dev/null || ! command -v ss >/dev/null; then
	echo "SKIP: needs root, ip(8) and ss(8) for a network namespace"
	exit 77
fi

NS="nbtest-daemon-$$"
TMP=$(mktemp -d /tmp/test-daemon.XXXXXX)
FAILURES=0
DAEMON_PID=
HOLDER_PID=

cleanup() {
	local pid
	for pid in $DAEMON_PID $HOLDER_PID $(ip netns pids "$NS" 2>/dev/null); do
		kill -9 "$pid" 2>/dev/null || true
	done
	ip netns del "$NS" 2>/dev/null || true
	rm -rf "$TMP"
}
trap cleanup EXIT

ok() { echo "ok - $*"; }
bad() {
	echo "FAIL - $*"
	FAILURES=$((FAILURES + 1))
}
nsx() { ip netns exec "$NS" env -u JOURNAL_STREAM "$@"; }

ip netns add "$NS"
ip -n "$NS" link set lo up

# Ports in the namespace: nothing else listens there.
TFTP1=16969 HTTP1=18090 HTTP2=18091 HTTP3=18092 HTTP4=18093

# write_config FILE HTTP_PORT TFTP_PORT
write_config() {
	cat >"$1.tmp" <<-EOF
		# test-daemon
		state_dir: $TMP/state
		dhcp:
		  enabled: false
		tftp: {port: $3, root: $TMP/tftp}
		http:
		  port: $2
		control:
		  socket: $TMP/control.sock
	EOF
	mv "$1.tmp" "$1"
}

mkdir -p "$TMP/state" "$TMP/tftp"
echo hello >"$TMP/tftp/hello.txt"

# http_state PORT -> "healthz" (answers GET /healthz), "tcp" (accepts only), "closed"
http_state() {
	local body
	body=$(nsx curl -s --max-time 3 "http://127.0.0.1:$1/healthz" 2>/dev/null || true)
	if [ "$body" = "ok" ]; then
		echo healthz
	elif nsx bash -c "exec 3<>/dev/tcp/127.0.0.1/$1" 2>/dev/null; then
		echo tcp
	else
		echo closed
	fi
}

udp_bound() { [ -n "$(nsx ss -Hlnu "sport = :$1")" ]; }

# wait_for CMD...: retry for up to 5 s
wait_for() {
	for _ in $(seq 50); do
		"$@" && return 0
		sleep 0.1
	done
	return 1
}
http_up() { [ "$(http_state "$1")" != closed ]; }
http_down() { [ "$(http_state "$1")" = closed ]; }
pid_gone() { ! kill -0 "$1" 2>/dev/null; }
log_has() { grep -qF -- "$2" "$1"; }

check_http() { # PORT WHAT
	local s
	s=$(http_state "$1")
	case $s in
	healthz) ok "$2: GET /healthz on port $1 answers \"ok\"" ;;
	tcp) ok "$2: TCP port $1 accepts (NOTE: /healthz does not answer \"ok\" yet)" ;;
	*) bad "$2: nothing listens on TCP port $1" ;;
	esac
}

# --- options --------------------------------------------------------------

echo "# options"
for opt in --help -h; do
	rc=0
	out=$("$NETBOOTD" "$opt" 2>&1) || rc=$?
	if [ $rc = 0 ] && [[ $out == "usage: netbootd"* ]] && [[ $out == *--check-config* ]] &&
		[[ $out == *"-c, --config FILE"* ]]; then
		ok "$opt prints the usage and exits 0"
	else
		bad "$opt: exit $rc, output: $out"
	fi
done

rc=0
out=$("$NETBOOTD" -V 2>&1) || rc=$?
[ $rc = 0 ] && [[ $out == "netbootd "[0-9]* ]] && ok "-V prints \"$out\"" || bad "-V: exit $rc, $out"

for args in "--no-such-option" "-x" "-c" "extra-argument"; do
	rc=0
	# shellcheck disable=SC2086
	out=$("$NETBOOTD" $args 2>&1 >/dev/null) || rc=$?
	if [ $rc = 2 ] && [[ $out == *"usage: netbootd"* ]]; then
		ok "\"$args\" exits 2 with the usage on stderr"
	else
		bad "\"$args\": exit $rc (expected 2), stderr: $out"
	fi
done

# --- --check-config ------------------------------------------------------------

echo "# --check-config"
GOOD="$TMP/good.yaml"
write_config "$GOOD" $HTTP1 $TFTP1
rc=0
out=$("$NETBOOTD" --check-config -c "$GOOD" 2>&1) || rc=$?
[ $rc = 0 ] && [ "$out" = "$GOOD: configuration OK" ] && ok "good file: exit 0, \"$out\"" ||
	bad "good file: exit $rc, $out"

if [ -n "${SRCDIR:-}" ] && [ -f "$SRCDIR/systemd/netbootd.yaml" ]; then
	rc=0
	out=$("$NETBOOTD" --check-config -c "$SRCDIR/systemd/netbootd.yaml" 2>&1) || rc=$?
	[ $rc = 0 ] && ok "the example systemd/netbootd.yaml is accepted" ||
		bad "example config: exit $rc, $out"
fi

# check_bad NAME CONTENT EXPECTED-MESSAGE-AFTER-FILE-NAME
check_bad() {
	local f="$TMP/$1.yaml" rc=0 out
	printf '%b' "$2" >"$f"
	out=$("$NETBOOTD" --check-config -c "$f" 2>&1) || rc=$?
	if [ $rc = 1 ] && [[ $out == *"$f$3"* ]]; then
		ok "$1: exit 1, \"$f$3\""
	else
		bad "$1: exit $rc (expected 1), output: $out (expected $f$3)"
	fi
}
check_bad bad-port '# x\ntftp:\n  port: 70000\n' ':3: tftp.port: 70000 is not a port (1-65535)'
check_bad unknown-key 'dhcp:\n  prot: 67\n' ':2: unknown key dhcp.prot'
check_bad duplicate 'http: {port: 1}\nhttp: {port: 2}\n' ':2: duplicate key http'
check_bad wrong-type 'http:\n  port: [1]\n' ':2: http.port: expected a port number, not a list'
check_bad syntax 'http: {port: 1\n' ':2: invalid YAML: '
check_bad conflict 'tftp: {port: 4011}\n' ':1: tftp.port: 4011 is already used by dhcp.pxe_port'

rc=0
out=$("$NETBOOTD" --check-config -c "$TMP/missing.yaml" 2>&1) || rc=$?
[ $rc = 1 ] && [[ $out == *"$TMP/missing.yaml: No such file or directory"* ]] &&
	ok "-c with a missing file is an error: $out" || bad "-c missing: exit $rc, $out"

if [ -e /etc/netbootd/netbootd.yaml ]; then
	echo "ok - # SKIP no -c and no default file: /etc/netbootd/netbootd.yaml exists"
else
	rc=0
	out=$("$NETBOOTD" --check-config 2>&1) || rc=$?
	[ $rc = 0 ] && [[ $out == *"built-in defaults: configuration OK"* ]] &&
		ok "no -c and no /etc/netbootd/netbootd.yaml: built-in defaults" ||
		bad "no -c, no default file: exit $rc, $out"
fi

# --- start, reload, stop -----------------------------------------------------

echo "# start, SIGHUP, SIGTERM (foreground)"
CFG="$TMP/run.yaml"
LOG="$TMP/run.log"
write_config "$CFG" $HTTP1 $TFTP1
# not through nsx(): $! must be the daemon, not a subshell
ip netns exec "$NS" env -u JOURNAL_STREAM "$NETBOOTD" -f -c "$CFG" 2>"$LOG" &
DAEMON_PID=$!
if wait_for log_has "$LOG" "ready"; then
	ok "started in the foreground (pid $DAEMON_PID): $(grep -F ready "$LOG")"
else
	bad "no \"ready\" in the log after 5 s: $(cat "$LOG")"
fi
wait_for http_up $HTTP1 || true
check_http $HTTP1 "start-up"
if udp_bound $TFTP1; then ok "TFTP bound UDP port $TFTP1"; else bad "nothing on UDP port $TFTP1"; fi

write_config "$CFG" $HTTP2 $TFTP1
kill -HUP "$DAEMON_PID" 2>/dev/null || true
wait_for http_up $HTTP2 || true
check_http $HTTP2 "SIGHUP with http.port $HTTP1 -> $HTTP2"
if wait_for http_down $HTTP1; then ok "old port $HTTP1 is closed after the reload"; else bad "old port $HTTP1 still accepts"; fi
kill -0 "$DAEMON_PID" 2>/dev/null && ok "daemon still running after reload" || bad "daemon died on reload"

printf 'http:\n  port: 0\n' >"$CFG"
kill -HUP "$DAEMON_PID" 2>/dev/null || true
if wait_for log_has "$LOG" "Keeping the running configuration"; then
	ok "SIGHUP with a broken file: $(grep -F "$CFG:2:" "$LOG" | tail -1)"
	log_has "$LOG" "$CFG:2: http.port: 0 is not a port (1-65535)" ||
		bad "the log does not name file:line:key: $(cat "$LOG")"
else
	bad "SIGHUP with a broken file: nothing logged: $(cat "$LOG")"
fi
http_state $HTTP2 >/dev/null # a request answered (or not) after the failed reload
kill -0 "$DAEMON_PID" 2>/dev/null && ok "daemon survives the broken file" || bad "daemon died on a broken file"
[ "$(http_state $HTTP2)" != closed ] && ok "still serving on port $HTTP2 with the old configuration" ||
	bad "port $HTTP2 closed after a failed reload"

kill -TERM "$DAEMON_PID" 2>/dev/null || true
if wait_for pid_gone "$DAEMON_PID"; then
	rc=0
	wait "$DAEMON_PID" || rc=$?
	[ $rc = 0 ] && ok "SIGTERM: exited 0 within 5 s" || bad "SIGTERM: exit status $rc"
else
	bad "SIGTERM: still running after 5 s"
	kill -9 "$DAEMON_PID" || true
fi
DAEMON_PID=
left=$(nsx ss -Hlntu)
[ -z "$left" ] && ok "no sockets left listening after SIGTERM" || bad "sockets left: $left"
log_has "$LOG" "Stopped" && ok "logged \"Stopped\"" || bad "no \"Stopped\" in the log"

# --- daemonizing -------------------------------------------------------------

echo "# background mode"
CFG2="$TMP/background-$$.yaml"
write_config "$CFG2" $HTTP3 $TFTP1
rc=0
timeout 10 ip netns exec "$NS" "$NETBOOTD" -c "$CFG2" >"$TMP/bg.out" 2>&1 || rc=$?
[ $rc = 0 ] && ok "without -f the parent exits 0" || bad "without -f: parent exit $rc: $(cat "$TMP/bg.out")"
child=
for pid in $(ip netns pids "$NS"); do
	if tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -qF -- "-c $CFG2"; then
		child=$pid
	fi
done
if [ -n "$child" ]; then
	DAEMON_PID=$child
	ok "the background daemon runs as pid $child"
	check_http $HTTP3 "background daemon, sockets bound when the parent exited"
	kill -TERM "$child" 2>/dev/null || true
	wait_for pid_gone "$child" && ok "background daemon stopped by SIGTERM" ||
		bad "background daemon ignores SIGTERM"
	DAEMON_PID=
else
	bad "no background netbootd found in the namespace"
fi

# --- start-up failure on a taken port --------------------------------------------

echo "# start-up failure"
# hold PROTO PORT: bind it in the namespace until killed
hold() {
	rm -f "$TMP/hold.out"
	ip netns exec "$NS" /usr/bin/python3 -c '
import socket, sys, time
udp = sys.argv[1] == "udp"
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if udp else socket.SOCK_STREAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("0.0.0.0", int(sys.argv[2])))
if not udp:
    s.listen()
print("bound", flush=True)
time.sleep(60)
' "$1" "$2" >"$TMP/hold.out" 2>&1 &
	HOLDER_PID=$!
	wait_for log_has "$TMP/hold.out" bound
}

# taken PROTO PORT HTTP TFTP MODE-ARGS...
taken() {
	local proto=$1 port=$2 rc=0 out
	shift 2
	write_config "$TMP/taken.yaml" "$1" "$2"
	shift 2
	if ! hold "$proto" "$port"; then
		bad "cannot bind $proto port $port for the test: $(cat "$TMP/hold.out")"
		return
	fi
	# to a file: a daemonized child keeps stderr open, $(...) would wait for it
	timeout 5 ip netns exec "$NS" env -u JOURNAL_STREAM "$NETBOOTD" "$@" \
		-c "$TMP/taken.yaml" >"$TMP/taken.out" 2>&1 || rc=$?
	out=$(cat "$TMP/taken.out")
	if [ $rc != 0 ] && [ $rc != 124 ] && [[ $out == *"Startup failed"* ]]; then
		ok "$proto port $port taken, netbootd $*: exit $rc: $(echo "$out" | tr '\n' ' ')"
		[[ $out == *"in use"* ]] || bad "the message does not say the address is in use: $out"
	else
		bad "$proto port $port taken, netbootd $*: exit $rc, output: $out"
	fi
	kill "$HOLDER_PID" 2>/dev/null || true
	wait "$HOLDER_PID" 2>/dev/null || true
	HOLDER_PID=
	for pid in $(ip netns pids "$NS"); do kill -9 "$pid" 2>/dev/null || true; done
}
taken tcp $HTTP4 $HTTP4 $TFTP1 -f
taken udp $TFTP1 $HTTP4 $TFTP1 -f
taken tcp $HTTP4 $HTTP4 $TFTP1

if [ $FAILURES -gt 0 ]; then
	echo "$FAILURES check(s) failed"
	exit 1
fi
echo "all checks passed"
