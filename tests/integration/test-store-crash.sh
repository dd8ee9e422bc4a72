#!/bin/bash
# Crash atomicity of the store: a helper replaces an image (3 MiB copied and
# digested per round), rewrites machines.json or applies a fleet with its
# cloud-configs in a loop and is killed with SIGKILL at random moments.  After every kill store_open() must succeed,
# leave no .tmp-* behind, and find the last generation the helper reported
# as committed or the one after it, complete: the image's files match the
# digests in its manifest, the configs of a fleet at most one generation
# behind it (the window store.h documents).  No network, no daemon.
set -euo pipefail

: "${BUILDDIR:?BUILDDIR must name the build directory}"
HELPER=${STORE_CRASH_HELPER:-$BUILDDIR/tests/store-crash-helper}
KILLS=${STORE_CRASH_KILLS:-15} # per mode

if [ ! -x "$HELPER" ]; then
	echo "FAIL: no helper at $HELPER"
	exit 1
fi

TMP=$(mktemp -d /tmp/test-store-crash.XXXXXX)
PID=
cleanup() {
	if [ -n "$PID" ]; then
		kill -9 "$PID" 2>/dev/null || true
	fi
	rm -rf "$TMP"
}
trap cleanup EXIT

FAILURES=0
fail() {
	echo "FAIL: $*"
	FAILURES=$((FAILURES + 1))
}

for mode in image machines fleet; do
	state="$TMP/$mode"
	max_gen=-1
	for i in $(seq 1 "$KILLS"); do
		"$HELPER" "$mode" "$state" >"$TMP/out" 2>"$TMP/err" &
		PID=$!
		sleep "$(printf '0.%03d' $((RANDOM % 300 + 20)))"
		kill -9 "$PID" 2>/dev/null || true
		wait "$PID" 2>/dev/null || true
		PID=
		if grep -q failed "$TMP/err"; then
			fail "$mode round $i: the helper failed: $(cat "$TMP/err")"
			continue
		fi
		last=$(tail -n 1 "$TMP/out")
		last=${last:--1}
		if ! found=$("$HELPER" "check-$mode" "$state" 2>"$TMP/check-err"); then
			fail "$mode round $i: check failed: $(cat "$TMP/check-err")"
			continue
		fi
		if ! [[ "$found" =~ ^-?[0-9]+$ ]] ||
			{ [ "$found" != "$last" ] && [ "$found" != "$((last + 1))" ]; }; then
			fail "$mode round $i: found generation '$found', last committed $last"
			continue
		fi
		[ "$found" -gt "$max_gen" ] && max_gen=$found
		echo "ok: $mode kill $i: last committed $last, on disk $found, consistent"
	done
	# The kills must have landed on a running loop, not only at start-up.
	if [ "$max_gen" -lt 1 ]; then
		fail "$mode: the helper never completed a generation ($max_gen)"
	fi
done

if [ "$FAILURES" -gt 0 ]; then
	echo "$FAILURES failure(s)"
	exit 1
fi
echo "all $((KILLS * 3)) kills left a consistent store"
