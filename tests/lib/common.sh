# Shell helpers shared by the e2e tests and tools/demo.sh.  Source it from
# shellcheck disable=SC2034  # variables used by the scripts that source it
# bash; it defines functions only (plus a few variables).
#
# Cleanup: every library registers its teardown with cleanup_push, and one
# EXIT trap runs them in reverse order, so a test never leaves namespaces,
# processes or temporary directories behind.

E2E_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
E2E_LIB="$E2E_TOP/tests/lib"
E2E_T0=$(date +%s.%N)
E2E_NAME=${E2E_NAME:-e2e}

# Seconds since the script started, one decimal.
elapsed() {
	awk -v t0="$E2E_T0" -v t1="$(date +%s.%N)" 'BEGIN { printf "%.1f", t1 - t0 }'
}

# Seconds between two "date +%s.%N" stamps, one decimal.
seconds_between() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'
}

say() {
	if [ "${E2E_PLAIN:-0}" = 1 ]; then
		echo "$*"
		return
	fi
	printf '%s [%5ss] %s\n' "$E2E_NAME" "$(elapsed)" "$*" >&2
}

die() {
	say "ERROR: $*"
	exit 1
}

# Exit 77 (skip) when a prerequisite is missing; tools/demo.sh sets
# E2E_SKIP_IS_ERROR=1 so that it fails loudly instead.
skip() {
	say "SKIP: $*"
	if [ "${E2E_SKIP_IS_ERROR:-0}" = 1 ]; then
		exit 1
	fi
	exit 77
}

require_root() {
	[ "$(id -u)" -eq 0 ] || skip "needs root (network namespaces, tap devices)"
}

require_cmds() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || skip "$c is not installed (tools/install-deps.sh)"
	done
}

require_files() {
	local f
	for f in "$@"; do
		[ -e "$f" ] || skip "$f is missing (tools/install-deps.sh)"
	done
}

# --- cleanup stack ----------------------------------------------------------
_cleanup_cmds=()
cleanup_push() {
	_cleanup_cmds+=("$1")
}

_cleanup_run() {
	local rc=$? i
	trap - EXIT INT TERM
	for ((i = ${#_cleanup_cmds[@]} - 1; i >= 0; i--)); do
		eval "${_cleanup_cmds[$i]}" || true
	done
	exit "$rc"
}
trap _cleanup_run EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# Kill one process we started, by PID, and wait a little for it.
kill_pid() {
	local pid=$1 i
	[ -n "$pid" ] || return 0
	kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for i in $(seq 1 30); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
}

# --- netbootd binary ----------------------------------------------------------
# Resolve the netbootd binary from an argument that is the binary or a build
# directory; fall back to $NETBOOTD, then build/daemon/netbootd.
resolve_netbootd() {
	local arg=${1:-${NETBOOTD:-$E2E_TOP/build/daemon/netbootd}}
	if [ -d "$arg" ]; then
		arg="$arg/daemon/netbootd"
	fi
	[ -x "$arg" ] || die "no netbootd binary at $arg (build it: meson setup build && ninja -C build)"
	(cd "$(dirname "$arg")" && echo "$(pwd)/$(basename "$arg")")
}

# --- helpers for the integration tests ---------------------------------------
# wait_until SECONDS COMMAND...: run COMMAND every 0.1 s until it succeeds;
# 1 when it still fails after SECONDS (whole seconds) of wall-clock time.
# Tests wait for the event they need with a generous deadline, never sleep.
wait_until() {
	local end=$((${EPOCHREALTIME//[!0-9]/} + $1 * 1000000))
	shift
	until "$@"; do
		[ "${EPOCHREALTIME//[!0-9]/}" -lt "$end" ] || return 1
		sleep 0.1
	done
}

# stop_child PID [SIGNAL]: signal (TERM) a background job of this shell and
# reap it; nothing when PID is no longer one (never a recycled PID).
stop_child() {
	[ -n "${1:-}" ] || return 0
	jobs -p | grep -qx -- "$1" || return 0
	kill "-${2:-TERM}" "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}

# track_child PID: stop_child PID at exit (a registry, a slow client...).
track_child() {
	cleanup_push "stop_child $1"
}

# free_tcp_port, free_udp_port: a free port on 127.0.0.1 (bound and
# released: good enough for a test).
free_tcp_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
free_udp_port() {
	/usr/bin/python3 -c 'import socket; s=socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# new_tmpdir NAME [PARENT]: a new directory PARENT/NAME.XXXXXX (PARENT /tmp
# by default) in TMPDIR_NEW, removed at exit unless KEEP is set.
new_tmpdir() {
	TMPDIR_NEW=$(mktemp -d "${2:-/tmp}/$1.XXXXXX")
	cleanup_push "[ -n \"\${KEEP:-}\" ] || rm -rf '$TMPDIR_NEW'"
}

# new_netns NS: a network namespace with its loopback up, deleted at exit.
new_netns() {
	ip netns add "$1"
	cleanup_push "ip netns del '$1' 2>/dev/null"
	ip -n "$1" link set lo up
}

# new_veth_pair NS1 NS2 IF1 IF2 ADDR1/LEN ADDR2/LEN: two new namespaces
# (see new_netns) joined by a veth pair, IF1 (ADDR1) in NS1, IF2 in NS2.
# add_veth NS1 NS2 IF1 IF2 ADDR1/LEN ADDR2/LEN: one more pair between them.
new_veth_pair() {
	new_netns "$1"
	new_netns "$2"
	add_veth "$@"
}

add_veth() {
	ip link add "$3" netns "$1" type veth peer name "$4" netns "$2"
	ip -n "$1" addr add "$5" dev "$3"
	ip -n "$2" addr add "$6" dev "$4"
	ip -n "$1" link set "$3" up
	ip -n "$2" link set "$4" up
}
