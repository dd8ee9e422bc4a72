# shellcheck shell=bash
# A netbootd under test, and netbootctl against it (source from bash; it
# sources check.sh).  Needs NETBOOTD, and CTL for run; T is the test's
# temporary directory.
#
#   netbootd_start LOG NS ARGS...
#                        start "$NETBOOTD ARGS..." inside network namespace NS
#                        (on the host when NS is ""), output appended to LOG;
#                        its PID in PID, stopped at exit
#   netbootd_start_ctl LOG NS SOCK ARGS...
#                        netbootd_start LOG NS ARGS..., then wait for its
#                        control socket SOCK (netbootd_wait_ctl); when it does
#                        not answer, a failed check with the log's tail and
#                        exit 1
#   netbootd_wait_ready LOG [N] [SECONDS]
#                        wait until LOG has N (1) lines with "ready", SECONDS
#                        (30) at most; 1 when netbootd PID exited first or the
#                        time ran out
#   netbootd_stop [SIGNAL]
#                        signal PID (TERM) and reap it; PID emptied
#   netbootd_wait_ctl SOCK
#                        wait (30 s at most) until netbootctl status answers
#                        on control socket SOCK; 1 when it never did
#   run WANT-RC ARGS...  netbootctl "${CTL_ARGS[@]}" ARGS..., stdout in
#                        $T/out, stderr in $T/err: a check that it exits WANT-RC
#   out_has RE, err_has RE
#                        grep $T/out or $T/err, showing it when RE is missing
#   out_json EXPR        whether the JSON in $T/out makes the Python
#                        expression EXPR (on d) true
#   as_nobody ARGS..., as_member ARGS...
#                        netbootctl "${CTL_ARGS[@]}" ARGS... as user nobody,
#                        without groups / in group $CTL_GID (a test's control
#                        group) only

# shellcheck source=tests/lib/check.sh
. "$(dirname "${BASH_SOURCE[0]}")/check.sh"

PID=
[ -n "${CTL_ARGS+x}" ] || CTL_ARGS=()
CTL_ERR_BYTES=${CTL_ERR_BYTES:-300}

netbootd_start() {
	local log=$1 ns=$2
	shift 2
	if [ -n "$ns" ]; then
		# Not through a function: $! must be netbootd itself (ip netns exec execs it).
		ip netns exec "$ns" "$NETBOOTD" "$@" >>"$log" 2>&1 &
	else
		"$NETBOOTD" "$@" >>"$log" 2>&1 &
	fi
	PID=$!
	# Pushed now, so it runs before the removal of the namespaces and
	# directories made earlier.
	track_child "$PID"
}

netbootd_start_ctl() {
	local log=$1 ns=$2 sock=$3
	shift 3
	netbootd_start "$log" "$ns" "$@"
	netbootd_wait_ctl "$sock" && return 0
	bad "netbootd did not start: $(tail -5 "$log")"
	exit 1
}

_netbootd_ready() { [ "$(grep -c ready "$1" 2>/dev/null)" -ge "$2" ]; }
_netbootd_ready_or_gone() { _netbootd_ready "$@" || ! kill -0 "$PID" 2>/dev/null; }
netbootd_wait_ready() {
	wait_until "${3:-30}" _netbootd_ready_or_gone "$1" "${2:-1}" && _netbootd_ready "$1" "${2:-1}"
}

netbootd_stop() {
	stop_child "$PID" "${1:-TERM}"
	PID=
}

_netbootd_ctl_up() { [ -S "$1" ] && "$CTL" -s "$1" status >/dev/null 2>&1; }
netbootd_wait_ctl() { wait_until 30 _netbootd_ctl_up "$1"; }

run() {
	local want=$1 rc=0
	shift
	"$CTL" "${CTL_ARGS[@]}" "$@" >"$T/out" 2>"$T/err" </dev/null || rc=$?
	if [ "$rc" != "$want" ]; then
		bad "netbootctl $* exited $rc, expected $want: $(head -c "$CTL_ERR_BYTES" "$T/err")"
	else
		ok "netbootctl $* exits $want"
	fi
}

# config_is SERVED WANT: the cloud-config served is WANT as it is, then the
# stages netbootd adds so that the machine reports its lifecycle back.
config_is() {
	local n
	n=$(stat -c %s "$2")
	cmp -s -n "$n" "$1" "$2" && tail -c +"$((n + 1))" "$1" | head -n2 | tr '\n' ' ' |
		grep -qx 'stages:   before-install: '
}

out_has() { grep -q -- "$1" "$T/out" || { echo "  stdout: $(head -c 500 "$T/out")"; false; }; }
err_has() { grep -q -- "$1" "$T/err" || { echo "  stderr: $(head -c "${CTL_SHOW_BYTES:-500}" "$T/err")"; false; }; }
out_json() { /usr/bin/python3 -c "import json,sys; d=json.load(open('$T/out')); sys.exit(0 if ($1) else 1)"; }
as_nobody() { setpriv --reuid="$(id -u nobody)" --regid=65534 --clear-groups "$CTL" "${CTL_ARGS[@]}" "$@"; }
as_member() { setpriv --reuid="$(id -u nobody)" --regid=65534 --groups="$CTL_GID" "$CTL" "${CTL_ARGS[@]}" "$@"; }
