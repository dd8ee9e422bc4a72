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
