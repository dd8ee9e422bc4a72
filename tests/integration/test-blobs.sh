#!/bin/bash
# Images by digest between instances: GET/HEAD/Range of /blobs/sha256:<hex>
# on a real netbootd (404, 400, the digest index following adds and
# removals), then replicate_start() driven by tests/tools/replicate-probe.c
# into fresh state directories from that netbootd and from
# tests/tools/fake-peer.py, which misbehaves on purpose: wrong bytes, a
# connection cut mid-file, Range ignored, 500, too many bytes, slowness.
# Everything runs inside a network namespace of our own, on its 127.0.0.1.
set -euo pipefail

NETBOOTD=${NETBOOTD:?NETBOOTD must point to netbootd}
CTL=${NETBOOTCTL:?NETBOOTCTL must point to netbootctl}
PROBE=${REPLICATE_PROBE:?REPLICATE_PROBE must point to replicate-probe}
HERE=$(cd "$(dirname "$0")" && pwd)
PEER=$HERE/../tools/fake-peer.py
PY=/usr/bin/python3
NS=nbblobs$$
PORT=18097
BASE=http://127.0.0.1:$PORT
unset NETBOOTD_SOCKET

# shellcheck source=../lib/netbootd.sh
. "$HERE/../lib/netbootd.sh"
require_root
require_cmds curl ip cmp sha256sum "$PY"

new_tmpdir test-blobs
T=$TMPDIR_NEW
SOCK=$T/control.sock
STATE=$T/state
CTL_ARGS=(-s "$SOCK")
in_ns() { ip netns exec "$NS" "$@"; }
status() { in_ns curl -s -o /dev/null -w '%{http_code}' "$@"; }
header() { # name, curl args...: the value of one response header
	local name=$1
	shift
	in_ns curl -s -D - -o /dev/null "$@" | tr -d '\r' |
		awk -v n="$(echo "$name" | tr 'A-Z' 'a-z')" -F': ' 'tolower($1) == n { print $2 }'
}
digest() { sha256sum "$1" | cut -d' ' -f1; }

new_netns "$NS"

# --- an image in a real netbootd ---------------------------------------------
SRC=$T/src
mkdir -p "$SRC"
head -c 1048577 /dev/urandom >"$SRC/kernel"
head -c 300001 /dev/urandom >"$SRC/initrd"
fake_squashfs $((8 * 1048576)) >"$SRC/rootfs.squashfs"
cat >"$T/netbootd.yaml" <<EOF
state_dir: $STATE
dhcp: {enabled: false}
tftp: {enabled: false}
http: {port: $PORT}
control: {socket: $SOCK}
EOF
netbootd_start_ctl "$T/log" "$NS" "$SOCK" -f -d -c "$T/netbootd.yaml"
run 0 add-image kairos --dir "$SRC"
K=$(digest "$SRC/kernel")
I=$(digest "$SRC/initrd")
R=$(digest "$SRC/rootfs.squashfs")
RSIZE=$(stat -c %s "$SRC/rootfs.squashfs")

# --- GET, HEAD, Range ----------------------------------------------------------
for f in kernel initrd rootfs.squashfs; do
	in_ns curl -sf -o "$T/got" "$BASE/blobs/sha256:$(digest "$SRC/$f")" || true
	check "GET /blobs/sha256:<digest of $f> is the file" cmp -s "$T/got" "$SRC/$f"
	check "its body's sha256sum is the digest asked for" [ "$(digest "$T/got")" = "$(digest "$SRC/$f")" ]
done
check "HEAD is 200" [ "$(status -I "$BASE/blobs/sha256:$R")" = 200 ]
check "HEAD Content-Length is the size" [ "$(header Content-Length -I "$BASE/blobs/sha256:$R")" = "$RSIZE" ]
check "HEAD sends no body" [ "$(in_ns curl -s -I "$BASE/blobs/sha256:$R" | tr -d '\r' | sed '1,/^$/d' | wc -c)" = 0 ]
check "Accept-Ranges: bytes" [ "$(header Accept-Ranges "$BASE/blobs/sha256:$R")" = bytes ]
in_ns curl -s -o "$T/got" -r 1000-1999 "$BASE/blobs/sha256:$R"
dd if="$SRC/rootfs.squashfs" bs=1000 skip=1 count=1 status=none >"$T/want"
check "Range 1000-1999 is those bytes" cmp -s "$T/got" "$T/want"
check "Range is 206" [ "$(status -r 1000-1999 "$BASE/blobs/sha256:$R")" = 206 ]
check "Content-Range of a range" [ "$(header Content-Range -r 1000-1999 "$BASE/blobs/sha256:$R")" = "bytes 1000-1999/$RSIZE" ]
in_ns curl -s -o "$T/got" -r 5000000- "$BASE/blobs/sha256:$R"
tail -c $((RSIZE - 5000000)) "$SRC/rootfs.squashfs" >"$T/want"
check "Range 5000000- (open-ended) is the tail" cmp -s "$T/got" "$T/want"
check "Range past the end is 416" [ "$(status -r "$RSIZE"- "$BASE/blobs/sha256:$R")" = 416 ]
UPPER=$(echo "$K" | tr a-f A-F)
check "an upper-case digest is the same file" [ "$(status "$BASE/blobs/sha256:$UPPER")" = 200 ]

# --- 404, 400 -------------------------------------------------------------------
NOPE=$(printf nope | sha256sum | cut -d' ' -f1)
check "an unknown digest is 404" [ "$(status "$BASE/blobs/sha256:$NOPE")" = 404 ]
check "HEAD of an unknown digest is 404" [ "$(status -I "$BASE/blobs/sha256:$NOPE")" = 404 ]
check "a short digest is 400" [ "$(status "$BASE/blobs/sha256:0123abc")" = 400 ]
check "another algorithm is 400" [ "$(status "$BASE/blobs/sha512:$K")" = 400 ]
check "a non-hex digit is 400" [ "$(status "$BASE/blobs/sha256:${K%?}g")" = 400 ]
check "a digest without its algorithm is 400" [ "$(status "$BASE/blobs/$K")" = 400 ]
check "/blobs/sha256:<digest>/x is 404" [ "$(status "$BASE/blobs/sha256:$K/x")" = 404 ]
check "a non-GET method is 405" [ "$(status -X POST "$BASE/blobs/sha256:$K")" = 405 ]

# --- the index follows the image set -------------------------------------------
mkdir -p "$STATE/images/handmade"
head -c 4096 /dev/urandom >"$STATE/images/handmade/kernel"
cp "$SRC/initrd" "$STATE/images/handmade/initrd"
printf hsqs >"$STATE/images/handmade/rootfs.squashfs"
check "a legacy image's file (no digest in a manifest) is 404" \
	[ "$(status "$BASE/blobs/sha256:$(digest "$STATE/images/handmade/kernel")")" = 404 ]
SRC2=$T/src2
mkdir -p "$SRC2"
head -c 2000 /dev/urandom >"$SRC2/kernel"
cp "$SRC/initrd" "$SRC2/initrd"
fake_squashfs 16 >"$SRC2/rootfs.squashfs"
K2=$(digest "$SRC2/kernel")
check "before add-image second: its kernel is 404" [ "$(status "$BASE/blobs/sha256:$K2")" = 404 ]
run 0 add-image second --dir "$SRC2"
check "after add-image second: its kernel is 200" [ "$(status "$BASE/blobs/sha256:$K2")" = 200 ]
run 0 remove-image second
check "after remove-image second: its kernel is 404" [ "$(status "$BASE/blobs/sha256:$K2")" = 404 ]
check "the initrd both had is still served (kairos)" [ "$(status "$BASE/blobs/sha256:$I")" = 200 ]

# --- replication ------------------------------------------------------------------
RECORD=$STATE/images/kairos/manifest.json
# probe NAME ARGS...: replicate-probe into a fresh state dir $T/NAME, output in $T/NAME.out/.err
probe() {
	local name=$1 rc=0
	shift
	in_ns "$PROBE" -q "$@" >"$T/$name.out" 2>"$T/$name.err" || rc=$?
	PROBE_RC=$rc
}
probe_into() { local name=$1; shift; probe "$name" "$T/$name" "$@"; }
same_image() { # state dir: the three files equal the source's
	local f
	for f in kernel initrd rootfs.squashfs; do
		cmp -s "$1/images/kairos/$f" "$SRC/$f" || return 1
	done
}
no_image() { # state dir: no image, no half one
	[ -z "$(ls -A "$1/images")" ]
}
# peer NAME MODES: a fake peer serving $SRC; its URL in PEER_URL, its log $T/NAME.log
peer() {
	local pf=$T/$1.port
	# Not through in_ns: $! must be the peer itself (ip netns exec execs it).
	ip netns exec "$NS" "$PY" "$PEER" "$SRC" "$pf" "$T/$1.log" "$2" &
	track_child $!
	wait_until 20 test -s "$pf" || die "fake peer $1 did not start"
	PEER_URL=http://127.0.0.1:$(cat "$pf")
	touch "$T/$1.log"
}
url_of() { echo "http://127.0.0.1:$(cat "$T/$1.port")"; }
log_has() { grep -q -- "$2" "$T/$1.log" || { echo "  $1.log: $(head -c 600 "$T/$1.log")"; false; }; }

# images.max_size holds for a replicated image as for an import: refused before any byte.
TOTAL=$("$PY" -c "import json; print(sum(f['size'] for f in json.load(open('$RECORD'))['files'].values()))")
in_ns "$PROBE" -q -m $((TOTAL - 1)) "$T/capped" "$RECORD" "$BASE" >"$T/capped.out" 2>"$T/capped.err" || PROBE_RC=$?
check "a record of $TOTAL bytes under images.max_size $((TOTAL - 1)): refused (rc $PROBE_RC)" \
	grep -q "start failed -27" "$T/capped.out"
check "... saying why" grep -q "more than the image size cap of $((TOTAL - 1)) bytes (images: max_size)" "$T/capped.err"
check "... no image, nothing fetched" bash -c "[ -z \"\$(ls -A '$T/capped/images' 2>/dev/null)\" ] && ! grep -q 'blobs/sha256' <(tail -n +1 '$T/capped.err')"
probe_into b "$RECORD" "$BASE"
check "replicate from a netbootd's /blobs: ok (rc $PROBE_RC)" [ "$PROBE_RC" = 0 ]
check "the copy's files are the image's" same_image "$T/b"
check "the copy's manifest has the record's digests" \
	"$PY" -c "import json,sys; a=json.load(open('$RECORD')); b=json.load(open('$T/b/images/kairos/manifest.json')); sys.exit(a['files'] != b['files'] or b['source'] != a['source'])"
check "netbootd logged the /blobs requests" grep -q "blobs/sha256:$R" "$T/log"

peer wrong wrong
probe_into c "$RECORD" "$PEER_URL" "$BASE"
check "a corrupt peer, then netbootd: ok (rc $PROBE_RC)" [ "$PROBE_RC" = 0 ]
check "the corrupt peer was asked" log_has wrong "GET /blobs/sha256:$K range=- status=200"
check "its mismatch was noticed" grep -q "whose sha256 is not the record's, trying the next source" "$T/c.err"
check "the copy is right" same_image "$T/c"

peer cut cut
probe_into d "$RECORD" "$PEER_URL"
check "a peer that cuts each file mid-way: ok (rc $PROBE_RC)" [ "$PROBE_RC" = 0 ]
check "the transfer resumed with Range from where it was cut" \
	log_has cut "GET /blobs/sha256:$R range=bytes=$((RSIZE / 2))- status=206"
check "the copy is right" same_image "$T/d"

peer cutnr cut,ignore-range
probe_into e "$RECORD" "$PEER_URL"
check "a peer that cuts and then ignores Range: ok (rc $PROBE_RC)" [ "$PROBE_RC" = 0 ]
check "it answered the resume with 200" log_has cutnr "range=bytes=$((RSIZE / 2))- status=200"
check "the copy is right (the file started over)" same_image "$T/e"

peer e500 500
peer origin ok
ORIGIN=$PEER_URL
probe_into f "$RECORD" "$(url_of e500)" "$ORIGIN/files/{file}"
check "a 500 peer, then an origin template with {file}: ok (rc $PROBE_RC)" [ "$PROBE_RC" = 0 ]
check "the origin was asked by file name" log_has origin "GET /files/rootfs.squashfs range=- status=200"
check "the copy is right" same_image "$T/f"
probe_into g "$RECORD" "$ORIGIN/by-digest/{sha256}"
check "an origin template with {sha256}: ok (rc $PROBE_RC)" [ "$PROBE_RC" = 0 ]
check "the origin was asked by digest" log_has origin "GET /by-digest/$K "
check "the copy is right" same_image "$T/g"

peer big big
DEAD=http://127.0.0.1:$(free_tcp_port)
probe_into h "$RECORD" "$(url_of wrong)" "$(url_of e500)" "$PEER_URL" "$DEAD"
check "all sources bad: the probe fails (rc $PROBE_RC)" [ "$PROBE_RC" = 1 ]
check "the error is -EIO" grep -q '^error -5 ' "$T/h.out"
check "it names every source's fault" \
	grep -q "not the record's.*HTTP 500.*more than the $(stat -c %s "$SRC/kernel") bytes.*$DEAD" "$T/h.out"
check "no image and no half image is left" no_image "$T/h"

peer slow slow
probe_into i -c 200000 "$RECORD" "$PEER_URL"
check "cancelled mid-file: the probe fails (rc $PROBE_RC)" [ "$PROBE_RC" = 1 ]
check "done() ran with -ECANCELED" grep -q '^error -125 ' "$T/i.out"
check "no image and no half image is left" no_image "$T/i"

# An image whose files the store already has (in another image) is copied, not fetched.
"$PY" -c "import json; m=json.load(open('$RECORD')); m['name']='kairos-copy'; json.dump(m, open('$T/copy.json','w'))"
probe local "$T/b" "$T/copy.json" "$(url_of e500)"
check "the same files under another name, from a 500 peer: ok by local copy (rc $PROBE_RC)" [ "$PROBE_RC" = 0 ]
check "nothing was fetched" grep -q "0 bytes fetched, $(( $(stat -c %s "$SRC/kernel") + $(stat -c %s "$SRC/initrd") + RSIZE )) copied" "$T/local.err"
check "the copy is right" cmp -s "$T/b/images/kairos-copy/rootfs.squashfs" "$SRC/rootfs.squashfs"

# A record naming a digest nobody has: nothing committed.
"$PY" -c "import json; m=json.load(open('$RECORD')); m['files']['initrd']['sha256']='$NOPE'; json.dump(m, open('$T/bad.json','w'))"
probe_into j "$T/bad.json" "$BASE"
check "a digest no source has: fails (rc $PROBE_RC)" [ "$PROBE_RC" = 1 ]
check "netbootd answered 404" grep -q "HTTP 404" "$T/j.out"
check "no image and no half image is left" no_image "$T/j"

probe_into k "$RECORD" "ftp://127.0.0.1/x"
check "a source that is not http(s) is refused at start (rc $PROBE_RC)" [ "$PROBE_RC" = 2 ]

check_summary tail -30 "$T/log"
