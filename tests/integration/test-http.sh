#!/bin/bash
# The HTTP server against curl and raw sockets (tests/integration/http-client.py).
# Everything runs inside a network namespace of our own, on its 127.0.0.1.
# Phase A: interfaces [lo] (SO_BINDTODEVICE), a default image, a custom
# cmdline, max_connections 4.  Phase B, after SIGHUP: no interfaces (0.0.0.0
# inside the namespace), two images and no default (the waiting script), a
# cloud-config file, a 2 s idle timeout.
set -euo pipefail

NETBOOTD=${NETBOOTD:-$(dirname "$0")/../../build/daemon/netbootd}
HERE=$(cd "$(dirname "$0")" && pwd)
PY=/usr/bin/python3
NS=nbhttp$$
PORT=18090
BASE=http://127.0.0.1:$PORT
MAC=52-54-00-12-34-56
# shellcheck source=../lib/netbootd.sh
. "$HERE/../lib/netbootd.sh"
require_root
require_cmds curl ip cmp "$PY"
[ -x "$NETBOOTD" ] || { echo "FAIL: no netbootd at $NETBOOTD"; exit 1; }

new_tmpdir test-http
TMP=$TMPDIR_NEW
in_ns() { ip netns exec "$NS" "$@"; }
# status of a request: curl options... URL
status() { in_ns curl -s -o /dev/null -w '%{http_code}' "$@"; }
header() { # name, curl args...: the value of one response header
	local name=$1
	shift
	in_ns curl -s -D - -o /dev/null "$@" | tr -d '\r' |
		awk -v n="$(echo "$name" | tr 'A-Z' 'a-z')" -F': ' 'tolower($1) == n { print $2 }'
}

new_netns "$NS"

# --- files ----------------------------------------------------------------
STATE=$TMP/state
IMG=$STATE/images/kairos
mkdir -p "$IMG" "$STATE/images/evil"
head -c 1048576 /dev/urandom >"$IMG/kernel"
head -c 307201 /dev/urandom >"$IMG/initrd"
head -c $((64 * 1048576)) /dev/urandom >"$IMG/rootfs.squashfs"
echo "secret outside the state dir" >"$TMP/secret"
ln -s "$TMP/secret" "$STATE/images/evil/kernel"
ln -s ../../../secret "$STATE/images/evil/initrd"
printf '#cloud-config\nhostname: from-file\n' >"$TMP/cloud.yaml"
SIZE=$(stat -c %s "$IMG/rootfs.squashfs")

cat >"$TMP/a.yaml" <<EOF
interfaces: [lo]
state_dir: $STATE
dhcp: {enabled: false}
tftp: {enabled: false}
http: {port: $PORT, max_connections: 4, timeout: 20}
control: {socket: $TMP/control.sock}
default:
  image: kairos
  cmdline: "console=ttyS0 root=live:{squashfs_url} cfg={config_url} m={mac} i={image} k={kernel_url} r={initrd_url} s={server} {{x}"
EOF
cat >"$TMP/b.yaml" <<EOF
state_dir: $STATE
dhcp: {enabled: false}
tftp: {enabled: false}
http: {port: $PORT, max_connections: 1024, timeout: 2}
control: {socket: $TMP/control.sock}
default:
  cloud_config: $TMP/cloud.yaml
EOF

netbootd_start "$TMP/log" "$NS" -f -d -c "$TMP/a.yaml"
healthy() { [ "$(status "$BASE/healthz" || true)" = 200 ]; }
wait_until 30 healthy || true

# --- basics ---------------------------------------------------------------
check "/healthz is 200 ok" [ "$(in_ns curl -sf "$BASE/healthz")" = ok ]
check "/healthz?query is 200" [ "$(status "$BASE/healthz?x=1")" = 200 ]
# GRUB's connections are reset once the response is acknowledged (GRUB reuses
# its source ports on every boot, daemon/http-linger.c): the whole response,
# then the connection ends (FIN then reset) long before http.timeout, and no
# socket is left on the port; other clients keep theirs (keep-alive).
grub_get() { # USER-AGENT WAIT: 0 when the response came whole and the server closed within WAIT s
	in_ns "$PY" - "$PORT" "$1" "$2" <<'PYEOF'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 21550))
s.connect(("127.0.0.1", int(sys.argv[1])))
s.sendall(b"GET /images/kairos/kernel HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: "
          + sys.argv[2].encode() + b"\r\n\r\n")
s.settimeout(float(sys.argv[3]))
data, closed = b"", True
try:
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
except ConnectionResetError:
    pass
except socket.timeout:
    closed = False
head, _, body = data.partition(b"\r\n\r\n")
size = int([l.split(b":")[1] for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")][0])
sys.exit(0 if closed and len(body) == size else 1)
PYEOF
}
no_socket_21550() { [ -z "$(in_ns ss -Htan "( dport = :21550 )")" ]; }
check "a GRUB client gets the whole kernel, then its connection ends" grub_get "GRUB 2.06-13+deb12u2" 10
check "no socket is left for GRUB's source port" no_socket_21550
check "another client keeps its connection (keep-alive)" bash -c "! { $(declare -f grub_get in_ns); PY=$PY PORT=$PORT NS=$NS grub_get curl/8 3; }"
for f in kernel initrd; do
	in_ns curl -sf -o "$TMP/got" "$BASE/images/kairos/$f"
	check "GET /images/kairos/$f equals the file" cmp -s "$TMP/got" "$IMG/$f"
done
check "Content-Type of an image file" [ "$(header Content-Type "$BASE/images/kairos/kernel")" = application/octet-stream ]
check "Accept-Ranges: bytes" [ "$(header Accept-Ranges "$BASE/images/kairos/kernel")" = bytes ]
check "Last-Modified is set" [ -n "$(header Last-Modified "$BASE/images/kairos/kernel")" ]

# --- streaming: RSS stays small during a 64 MiB download ---------------------
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$PID/status"; }
in_ns curl -sf --limit-rate 24M -o "$TMP/big" "$BASE/images/kairos/rootfs.squashfs" &
CURL=$!
MAXRSS=$(rss_kb)
while kill -0 "$CURL" 2>/dev/null; do
	r=$(rss_kb)
	[ "$r" -gt "$MAXRSS" ] && MAXRSS=$r
	sleep 0.1
done
wait "$CURL" && CURLRC=0 || CURLRC=$?
check "GET 64 MiB rootfs.squashfs (curl rc $CURLRC) equals the file" cmp -s "$TMP/big" "$IMG/rootfs.squashfs"
echo "netbootd VmRSS peak during the 64 MiB download: $MAXRSS kB"
check "VmRSS stayed below 64 MiB ($MAXRSS kB)" [ "$MAXRSS" -lt 65536 ]
rm -f "$TMP/big"

# --- HEAD --------------------------------------------------------------------
check "HEAD Content-Length is the file size" [ "$(in_ns curl -sI "$BASE/images/kairos/rootfs.squashfs" | tr -d '\r' | awk -F': ' 'tolower($1)=="content-length" {print $2}')" = "$SIZE" ]
check "HEAD sends no body" in_ns "$PY" "$HERE/http-client.py" "$PORT" head
check "HEAD /ipxe/<mac> is 200" [ "$(status -I "$BASE/ipxe/$MAC")" = 200 ]

# --- ranges ----------------------------------------------------------------
range_is() { # description, range, expected file made by the following command...
	local what=$1 range=$2
	shift 2
	"$@" >"$TMP/want"
	local code
	code=$(in_ns curl -s -o "$TMP/got" -w '%{http_code}' -r "$range" "$BASE/images/kairos/rootfs.squashfs")
	if [ "$code" = 206 ] && cmp -s "$TMP/got" "$TMP/want"; then ok "$what"; else bad "$what (status $code)"; fi
}
F=$IMG/rootfs.squashfs
range_is "range 0-99 (first bytes)" 0-99 head -c 100 "$F"
range_is "range 1000000-1999999 (middle)" 1000000-1999999 dd if="$F" bs=1000000 skip=1 count=1 status=none
range_is "range -500 (suffix)" -500 tail -c 500 "$F"
range_is "range 67000000- (open-ended)" 67000000- tail -c $((SIZE - 67000000)) "$F"
range_is "range past the end is clamped" $((SIZE - 10))-999999999999 tail -c 10 "$F"
check "Content-Range of a range" [ "$(header Content-Range -r 10-19 "$BASE/images/kairos/rootfs.squashfs")" = "bytes 10-19/$SIZE" ]
check "unsatisfiable range is 416" [ "$(status -r "$SIZE-" "$BASE/images/kairos/rootfs.squashfs")" = 416 ]
check "416 has Content-Range: bytes */size" [ "$(header Content-Range -r "$SIZE-" "$BASE/images/kairos/rootfs.squashfs")" = "bytes */$SIZE" ]
check "malformed range (5-4) is ignored: 200" [ "$(status -H 'Range: bytes=5-4' "$BASE/images/kairos/initrd")" = 200 ]
check "malformed range serves the whole file" [ "$(header Content-Length -H 'Range: bytes=x' "$BASE/images/kairos/initrd")" = 307201 ]
check "several ranges: 200, whole file" [ "$(status -r 0-1,5-6 "$BASE/images/kairos/initrd")" = 200 ]
check "If-Range: 200, whole file" [ "$(status -r 0-1 -H 'If-Range: "x"' "$BASE/images/kairos/initrd")" = 200 ]

# --- the iPXE script ---------------------------------------------------------
in_ns curl -sf -o "$TMP/script" "$BASE/ipxe/$MAC"
S="http://127.0.0.1:$PORT"
KLINE="kernel $S/images/kairos/kernel console=ttyS0 root=live:$S/images/kairos/rootfs.squashfs cfg=$S/config/$MAC m=52:54:00:12:34:56 i=kairos k=$S/images/kairos/kernel r=$S/images/kairos/initrd s=$S {x} initrd=initrd && goto initrd ||"
check "script starts with #!ipxe" [ "$(head -1 "$TMP/script")" = "#!ipxe" ]
check "script kernel line has the expanded cmdline" grep -qxF "$KLINE" "$TMP/script"
check "script initrd line" grep -qxF "initrd --name initrd $S/images/kairos/initrd && goto boot ||" "$TMP/script"
check "script boots" grep -qx "boot ||" "$TMP/script"
check "script retries: chain --replace its own URL" grep -qxF "chain --replace $S/ipxe/$MAC || goto failed" "$TMP/script"
check "script Content-Type" [ "$(header Content-Type "$BASE/ipxe/$MAC")" = "text/plain; charset=utf-8" ]
check "colon MAC, upper case accepted" [ "$(status "$BASE/ipxe/52:54:00:AB:CD:EF")" = 200 ]
check "bad MAC is 400" [ "$(status "$BASE/ipxe/52-54-00-12-34")" = 400 ]
check "/config/<mac> default document" [ "$(in_ns curl -sf "$BASE/config/$MAC" | head -1)" = "#cloud-config" ]

# --- loaders ---------------------------------------------------------------
if [ -f /usr/lib/ipxe/ipxe.efi ]; then
	in_ns curl -s -o "$TMP/got" "$BASE/boot/ipxe.efi" || true
	check "/boot/ipxe.efi equals /usr/lib/ipxe/ipxe.efi" cmp -s "$TMP/got" /usr/lib/ipxe/ipxe.efi
	check "/boot/<file in ipxe.dir that is no loader> is 404" [ "$(status "$BASE/boot/ipxe.lkrn")" = 404 ]
else
	echo "note: /usr/lib/ipxe/ipxe.efi missing, loader download not checked"
fi

# --- 404, 400, 405 ---------------------------------------------------------
check "GET / redirects to the status page" [ "$(status "$BASE/")" = 302 ]
for p in /nope /images/kairos/vmlinuz /images/missing/kernel /boot/nope.efi /healthz/x/y/z/w; do
	check "GET $p is 404" [ "$(status "$BASE$p")" = 404 ]
done
for p in /images/evil/kernel /images/evil/initrd; do
	c=$(status "$BASE$p")
	check "symlink out of the state dir $p is refused ($c)" [ "$c" = 404 ]
done
for p in "/images/%2e%2e/kernel" "/images/kairos/..%2f..%2f..%2fsecret" "/images/../../secret" \
	"/images/..%2Fevil/kernel" "/%2e%2e/%2e%2e/etc/passwd" "/images/kairos%2fkernel/kernel" \
	"/images/$(printf 'a%.0s' $(seq 65))/kernel" "/images/.hidden/kernel" "/images/a%00/kernel" \
	"/boot/..%2f..%2fetc%2fpasswd" "/config/..%2fsecret"; do
	c=$(in_ns curl -s --path-as-is -o "$TMP/got" -w '%{http_code}' "$BASE$p")
	if { [ "$c" = 400 ] || [ "$c" = 404 ]; } && ! grep -q secret "$TMP/got" && ! grep -q root: "$TMP/got"; then
		ok "traversal $p -> $c"
	else
		bad "traversal $p -> $c"
	fi
done
check "overlong URL (3000 bytes) is 400" [ "$(status "$BASE/$(printf 'a%.0s' $(seq 3000))")" = 400 ]
for m in POST PUT DELETE OPTIONS; do
	check "$m is 405" [ "$(status -X "$m" "$BASE/healthz")" = 405 ]
done
check "405 has Allow: GET, HEAD" [ "$(header Allow -X POST -d x "$BASE/images/kairos/kernel")" = "GET, HEAD" ]

# --- misbehaving clients -----------------------------------------------------
check "connections beyond max_connections wait, then get served" in_ns "$PY" "$HERE/http-client.py" "$PORT" cap 4
check "log says the cap was reached" grep -q "HTTP connection cap of 4 reached" "$TMP/log"
check "garbage on the socket does not stop the daemon" in_ns "$PY" "$HERE/http-client.py" "$PORT" garbage
check "pipelined requests, heads in pieces, HTTP/1.0, bare LF" in_ns "$PY" "$HERE/http-client.py" "$PORT" pipeline

# --- phase B: reload ---------------------------------------------------------
mkdir -p "$STATE/images/other"
cp "$TMP/b.yaml" "$TMP/a.yaml"
kill -HUP "$PID"
reloaded() { grep -q "listening on port $PORT (1 socket, at most 1024" "$TMP/log"; }
wait_until 30 reloaded || true # logged by the reload, which runs before any later request
check "after SIGHUP the HTTP server runs without interfaces" [ "$(status "$BASE/healthz")" = 200 ]
in_ns curl -sf -o "$TMP/script" "$BASE/ipxe/$MAC"
check "no default and two images: a waiting script, no kernel" sh -c "grep -q 'no image to boot' '$TMP/script' && ! grep -q '^kernel' '$TMP/script' && grep -qx 'sleep 60' '$TMP/script'"
rmdir "$STATE/images/other"
rm -r "$STATE/images/evil"
in_ns curl -sf -o "$TMP/script" "$BASE/ipxe/$MAC"
check "exactly one image: it is the default, with the built-in cmdline" grep -q "^kernel $S/images/kairos/kernel rd.neednet=1 .*root=live:$S/images/kairos/rootfs.squashfs .*config_url=$S/config/$MAC .* initrd=initrd && goto initrd ||\$" "$TMP/script"
in_ns curl -sf -o "$TMP/got" "$BASE/config/$MAC"
check "/config/<mac> serves default.cloud_config" config_is "$TMP/got" "$TMP/cloud.yaml"
check "idle connections are closed after http.timeout" in_ns "$PY" "$HERE/http-client.py" "$PORT" idle 2
check "each request is logged (at debug, -d)" grep -q 'HTTP GET "/ipxe/52-54-00-12-34-56" from 127.0.0.1: 200' "$TMP/log"
check "daemon is still running" kill -0 "$PID"
check "the pid is netbootd" grep -q netbootd "/proc/$PID/comm"
kill -TERM "$PID"
wait "$PID" && RC=0 || RC=$?
PID=
check "SIGTERM stops netbootd with status 0 (got $RC)" [ "$RC" = 0 ]
check "no sanitizer report in the log" sh -c "! grep -qE 'AddressSanitizer|LeakSanitizer|runtime error' '$TMP/log'"

dump() {
	echo "--- netbootd log (tail) ---"
	tail -30 "$TMP/log"
}
check_summary dump
