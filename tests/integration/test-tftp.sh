#!/bin/bash
# Read-only TFTP against real clients (curl, atftp, tftp-hpa) and crafted
# packets (tests/integration/tftp-client.py).  Everything on 127.0.0.1, high
# ports; two netbootd instances: a normal one and one with a session cap of 2
# and retries 2 for the misbehaving clients.
set -euo pipefail

: "${NETBOOTD:?}" "${SRCDIR:?}"
PY=/usr/bin/python3
CLIENT="$SRCDIR/tests/integration/tftp-client.py"
# shellcheck source=../lib/netbootd.sh
. "$SRCDIR/tests/lib/netbootd.sh"
require_cmds curl atftp tftp cmp "$PY"
[ -r /usr/lib/ipxe/undionly.kpxe ] || skip "/usr/lib/ipxe/undionly.kpxe missing"

new_tmpdir netbootd-tftp-test
TMP=$TMPDIR_NEW
PIDS=()

ROOT=$TMP/state/tftp
mkdir -p "$ROOT/sub" "$TMP/ipxe" "$TMP/outside" "$TMP/out"
cp /usr/lib/ipxe/undionly.kpxe "$TMP/ipxe/"
# Like Debian's /usr/lib/ipxe/ipxe.efi -> /boot/ipxe.efi: a configured loader
# may be an absolute symlink out of ipxe.dir (the administrator's choice).
head -c 300000 /dev/urandom >"$TMP/outside/ipxe-real.efi"
ln -s "$TMP/outside/ipxe-real.efi" "$TMP/ipxe/ipxe.efi"
head -c 100000 /dev/urandom >"$ROOT/small.bin"
head -c 5000 /dev/urandom >"$ROOT/sub/nested.bin"
: >"$ROOT/empty.bin"
head -c $((512 * 20)) /dev/urandom >"$ROOT/exact512.bin"
head -c $((1468 * 20)) /dev/urandom >"$ROOT/exact1468.bin"
# 65536 blocks of 512 bytes + 1000: block numbers wrap 65535 -> 0.
head -c $((512 * 65536 + 1000)) /dev/urandom >"$ROOT/wrap.bin"
# netascii: text with LF, CR LF, bare CR and a final CR, the first LF at byte
# 511 (its CR LF cut by the first 512-byte block); a short one for 8-byte
# blocks; 256 LFs (512 bytes converted: an empty last block); a final CR.
{ printf '%0511d\n' 0 | tr 0 x; printf 'crlf\r\nbare\rcr\n\n\r\r'
  "$PY" -c 'import random, sys; random.seed(14)
sys.stdout.buffer.write(bytes(random.choice(b"abc  \r\n") for _ in range(150000)))'
  printf 'final\r'; } >"$ROOT/text.txt"
head -c 3000 "$ROOT/text.txt" >"$ROOT/short.txt"
# tsize is scanned up to 1 MiB: exactly 1 MiB is answered, one byte more is not.
for i in 1 2 3 4 5 6 7; do cat "$ROOT/text.txt"; done | head -c 1048576 >"$ROOT/mib.txt"
{ cat "$ROOT/mib.txt"; printf '\n'; } >"$ROOT/mib1.txt"
printf '\n%.0s' $(seq 256) >"$ROOT/lf256.txt"
printf 'one line\r\nthen a final CR\r' >"$ROOT/final-cr.txt"
# The expected wire bytes, converted here (CR -> CR NUL, LF -> CR LF).
for f in text.txt short.txt small.bin; do
	"$PY" -c 'import sys; d = open(sys.argv[1], "rb").read()
sys.stdout.buffer.write(d.replace(b"\r", b"\r\0").replace(b"\n", b"\r\n"))' "$ROOT/$f" >"$TMP/$f.na"
done
echo "secret" >"$TMP/outside/secret"
ln -s "$TMP/outside/secret" "$ROOT/escape-link"
ln -s small.bin "$ROOT/inside-link"

# start_daemon NAME PORT EXTRA-TFTP-YAML
start_daemon() {
	local name=$1 port=$2 extra=$3
	cat >"$TMP/$name.yaml" <<-EOF
	state_dir: $TMP/state
	dhcp:
	  enabled: false
	tftp:
	  port: $port
	$extra
	http:
	  port: $(free_tcp_port)
	ipxe:
	  dir: $TMP/ipxe
	control:
	  socket: $TMP/$name.sock
	EOF
	netbootd_start "$TMP/$name.log" "" -f -d -c "$TMP/$name.yaml"
	PIDS+=("$PID")
	netbootd_wait_ready "$TMP/$name.log" && return 0
	echo "netbootd $name did not start:"; cat "$TMP/$name.log"; exit 1
}

PORT=$(free_udp_port)
start_daemon main "$PORT" "  timeout: 1"
CAPPORT=$(free_udp_port)
start_daemon cap "$CAPPORT" $'  max_sessions: 2\n  retries: 2\n  timeout: 1'
URL=tftp://127.0.0.1:$PORT

fetch_cmp() { # description, source file, output, command...
	local what=$1 src=$2 out=$3; shift 3
	rm -f "$out"
	if "$@" >/dev/null 2>"$TMP/client.err" && cmp -s "$src" "$out"; then
		ok "$what"
	else
		bad "$what"; cat "$TMP/client.err"
	fi
}

echo "== real clients =="
fetch_cmp "curl, no options given (512-byte blocks)" "$ROOT/small.bin" "$TMP/out/1" \
	curl -sS -o "$TMP/out/1" "$URL/small.bin"
fetch_cmp "curl --tftp-blksize 1468" "$ROOT/small.bin" "$TMP/out/2" \
	curl -sS --tftp-blksize 1468 -o "$TMP/out/2" "$URL/small.bin"
fetch_cmp "curl --tftp-no-options" "$ROOT/small.bin" "$TMP/out/3" \
	curl -sS --tftp-no-options -o "$TMP/out/3" "$URL/small.bin"
fetch_cmp "atftp --option 'blksize 1468'" "$ROOT/small.bin" "$TMP/out/4" \
	atftp --option "blksize 1468" -g -r small.bin -l "$TMP/out/4" 127.0.0.1 "$PORT"
fetch_cmp "atftp --option 'windowsize 16'" "$ROOT/small.bin" "$TMP/out/5" \
	atftp --option "windowsize 16" --option "blksize 1468" -g -r small.bin -l "$TMP/out/5" 127.0.0.1 "$PORT"
fetch_cmp "tftp-hpa -m binary" "$ROOT/small.bin" "$TMP/out/6" \
	tftp -m binary 127.0.0.1 "$PORT" -c get small.bin "$TMP/out/6"
# Files up to 4 MiB are read once and shared by the sessions sending them
# (daemon/tftp-cache.c): many at once, then the file rewritten in place (same
# size, new bytes and mtime) is served new.
cp "$ROOT/small.bin" "$ROOT/shared.bin"
CURLS=()
for i in 1 2 3 4 5 6 7 8; do
	curl -sS --tftp-blksize 1468 -o "$TMP/out/c$i" "$URL/shared.bin" 2>"$TMP/out/c$i.err" &
	CURLS+=($!)
done
SHARED=0
for i in 1 2 3 4 5 6 7 8; do
	wait "${CURLS[$((i - 1))]}" && cmp -s "$ROOT/shared.bin" "$TMP/out/c$i" && SHARED=$((SHARED + 1))
done
check "8 transfers of one file at once, all right ($SHARED/8)" [ "$SHARED" -eq 8 ]
cp "$ROOT/shared.bin" "$TMP/shared.orig"
head -c "$(stat -c %s "$ROOT/shared.bin")" /dev/urandom >"$TMP/shared.new"
dd if="$TMP/shared.new" of="$ROOT/shared.bin" conv=notrunc status=none
touch -d '+1 second' "$ROOT/shared.bin"
fetch_cmp "the file rewritten in place: its new bytes are sent" "$TMP/shared.new" "$TMP/out/new" \
	curl -sS --tftp-blksize 1468 -o "$TMP/out/new" "$URL/shared.bin"
check "... not the old ones" bash -c "! cmp -s '$TMP/shared.orig' '$TMP/out/new'"
# curl 7.88 fails any empty file when it negotiated tsize (also against
# tftpd-hpa: "getpeername() failed"), so it runs without options here.
fetch_cmp "empty file (one 0-byte DATA), curl --tftp-no-options" "$ROOT/empty.bin" "$TMP/out/7" \
	curl -sS --tftp-no-options -o "$TMP/out/7" "$URL/empty.bin"
fetch_cmp "empty file, atftp with tsize (OACK, then a 0-byte DATA)" "$ROOT/empty.bin" "$TMP/out/7b" \
	atftp --option "tsize 0" -g -r empty.bin -l "$TMP/out/7b" 127.0.0.1 "$PORT"
fetch_cmp "empty file, tftp-hpa" "$ROOT/empty.bin" "$TMP/out/8" \
	tftp -m binary 127.0.0.1 "$PORT" -c get empty.bin "$TMP/out/8"
fetch_cmp "exactly 20*512 bytes (trailing 0-byte block), curl" "$ROOT/exact512.bin" "$TMP/out/9" \
	curl -sS -o "$TMP/out/9" "$URL/exact512.bin"
fetch_cmp "exactly 20*1468 bytes, atftp blksize 1468 windowsize 16" "$ROOT/exact1468.bin" "$TMP/out/10" \
	atftp --option "blksize 1468" --option "windowsize 16" -g -r exact1468.bin -l "$TMP/out/10" 127.0.0.1 "$PORT"
fetch_cmp "loader by its configured name (undionly.kpxe from ipxe.dir)" "$TMP/ipxe/undionly.kpxe" "$TMP/out/11" \
	curl -sS -o "$TMP/out/11" "$URL/undionly.kpxe"
fetch_cmp "loader that is an absolute symlink out of ipxe.dir (ipxe.efi, as in Debian)" \
	"$TMP/outside/ipxe-real.efi" "$TMP/out/11b" curl -sS -o "$TMP/out/11b" "$URL/ipxe.efi"
fetch_cmp "leading / stripped (tftp-hpa get /sub/nested.bin)" "$ROOT/sub/nested.bin" "$TMP/out/12" \
	tftp -m binary 127.0.0.1 "$PORT" -c get /sub/nested.bin "$TMP/out/12"
fetch_cmp "symlink inside the root" "$ROOT/small.bin" "$TMP/out/13" \
	curl -sS -o "$TMP/out/13" "$URL/inside-link"
fetch_cmp "32 MiB + 1000 bytes, 512-byte blocks: block number wraps (curl --tftp-no-options)" \
	"$ROOT/wrap.bin" "$TMP/out/14" curl -sS --tftp-no-options -o "$TMP/out/14" "$URL/wrap.bin"
fetch_cmp "block number wrap, tftp-hpa" "$ROOT/wrap.bin" "$TMP/out/15" \
	tftp -m binary 127.0.0.1 "$PORT" -c get wrap.bin "$TMP/out/15"
fetch_cmp "block number wrap, atftp blksize 512 windowsize 16" "$ROOT/wrap.bin" "$TMP/out/16" \
	atftp --option "blksize 512" --option "windowsize 16" -g -r wrap.bin -l "$TMP/out/16" 127.0.0.1 "$PORT"
rm -f "$TMP"/out/1[456]

echo "== netascii (RFC 1350): tftp-hpa's default mode =="
for f in text.txt final-cr.txt lf256.txt small.bin empty.bin; do
	fetch_cmp "tftp-hpa -c get $f (netascii): the file received equals the original" \
		"$ROOT/$f" "$TMP/out/na-$f" tftp 127.0.0.1 "$PORT" -c get "$f" "$TMP/out/na-$f"
done
# curl does not convert netascii back: what it writes is the wire.
fetch_cmp "curl ;mode=netascii: the wire bytes are the conversion" "$TMP/text.txt.na" "$TMP/out/na-c1" \
	curl -sS -o "$TMP/out/na-c1" "$URL/text.txt;mode=netascii"
fetch_cmp "curl ;mode=netascii --tftp-blksize 1468" "$TMP/text.txt.na" "$TMP/out/na-c2" \
	curl -sS --tftp-blksize 1468 -o "$TMP/out/na-c2" "$URL/text.txt;mode=netascii"
fetch_cmp "curl ;mode=netascii --tftp-blksize 8, a short text" "$TMP/short.txt.na" "$TMP/out/na-c3" \
	curl -sS --tftp-blksize 8 -o "$TMP/out/na-c3" "$URL/short.txt;mode=netascii"
fetch_cmp "curl ;mode=netascii, a binary file" "$TMP/small.bin.na" "$TMP/out/na-c4" \
	curl -sS --tftp-blksize 1468 -o "$TMP/out/na-c4" "$URL/small.bin;mode=netascii"
# NAME SOURCE BLKSIZE WINDOWSIZE TSIZE ("-": not asked)
na() { "$PY" "$CLIENT" "$PORT" netascii "$1" "$ROOT/$1" "$2" "$3" "$4"; }
check "raw netascii, no options; a timed-out block is resent identically" na text.txt - - -
check "raw netascii, blksize 8, tsize = the converted size" na short.txt 8 - yes
check "raw netascii, blksize 8, windowsize 4; a partial ACK resends identically" na short.txt 8 4 yes
check "raw netascii, windowsize 16, tsize" na text.txt - 16 yes
check "raw netascii, blksize 1468, windowsize 64, tsize" na text.txt 1468 64 yes
check "raw netascii, a binary file, blksize 1468, windowsize 8" na small.bin 1468 8 yes
check "raw netascii, 256 LFs: one full block, then an empty one" na lf256.txt - - yes
check "raw netascii, a final CR" na final-cr.txt - 2 yes
check "netascii, exactly 1 MiB: tsize answered (the converted size)" na mib.txt 1468 64 yes
check "netascii, 1 MiB + 1 byte: tsize not answered" "$PY" "$CLIENT" "$PORT" netascii-notsize mib1.txt
check "netascii, 32 MiB (wrap.bin): tsize not answered" "$PY" "$CLIENT" "$PORT" netascii-notsize wrap.bin
fetch_cmp "tftp-hpa netascii of 1 MiB + 1 byte (no tsize): equal to the original" \
	"$ROOT/mib1.txt" "$TMP/out/na-mib1" tftp 127.0.0.1 "$PORT" -c get mib1.txt "$TMP/out/na-mib1"
fetch_cmp "octet unchanged: curl gets text.txt byte for byte" "$ROOT/text.txt" "$TMP/out/na-o1" \
	curl -sS -o "$TMP/out/na-o1" "$URL/text.txt"
fetch_cmp "octet unchanged: atftp blksize 1468 windowsize 16" "$ROOT/text.txt" "$TMP/out/na-o2" \
	atftp --option "blksize 1468" --option "windowsize 16" -g -r text.txt -l "$TMP/out/na-o2" 127.0.0.1 "$PORT"

echo "== refusals =="
check "missing file: ERROR 1" "$PY" "$CLIENT" "$PORT" error missing.bin 1
check "missing file: curl exits 68 (TFTP file not found)" \
	bash -c "curl -sS -o /dev/null '$URL/missing.bin' 2>/dev/null; [ \$? -eq 68 ]"
check "../ escape: ERROR 2" "$PY" "$CLIENT" "$PORT" error ../tftp/small.bin 2
check "sub/../../ escape: ERROR 2" "$PY" "$CLIENT" "$PORT" error sub/../../outside/secret 2
check "symlink out of the root: ERROR 2" "$PY" "$CLIENT" "$PORT" error escape-link 2
check "absolute path after stripping one /: ERROR 2" "$PY" "$CLIENT" "$PORT" error //etc/passwd 2
check "directory: ERROR 2" "$PY" "$CLIENT" "$PORT" error sub 2
check "write request: ERROR 2" "$PY" "$CLIENT" "$PORT" wrq upload.bin
echo hello >"$TMP/upload.txt"
check "curl -T is refused (exit 69, permission problem)" \
	bash -c "curl -sS -T '$TMP/upload.txt' '$URL/upload.txt' 2>/dev/null; [ \$? -eq 69 ]"
check "tftp-hpa put is refused" \
	bash -c "tftp -m binary 127.0.0.1 $PORT -c put '$TMP/upload.txt' upload.txt 2>&1 | grep -q 'Error code 2'"
check "nothing was written" test ! -e "$ROOT/upload.txt"
check "mail mode: ERROR 4" "$PY" "$CLIENT" "$PORT" error small.bin 4 mail

echo "== protocol =="
check "OACK: blksize clamped, tsize answered, bad windowsize ignored" \
	"$PY" "$CLIENT" "$PORT" oack small.bin 100000
check "duplicate ACKs do not duplicate DATA" "$PY" "$CLIENT" "$PORT" dupack sub/nested.bin 5000
check "windowsize: partial ACK resends from k+1" "$PY" "$CLIENT" "$PORT" window small.bin 100000
check "foreign TID gets ERROR 5, session continues" "$PY" "$CLIENT" "$PORT" unknown-tid small.bin 100000
check "client ERROR ends the session quietly" "$PY" "$CLIENT" "$PORT" client-error small.bin
check "unacknowledged DATA is resent after the timeout" "$PY" "$CLIENT" "$PORT" retransmit-timing sub/nested.bin
check "garbage to the listening port" "$PY" "$CLIENT" "$PORT" garbage
fetch_cmp "... and the next client is served" "$ROOT/small.bin" "$TMP/out/17" \
	curl -sS -o "$TMP/out/17" "$URL/small.bin"
check "daemon still running" kill -0 "${PIDS[0]}"

echo "== retry cap and session cap (tftp.retries 2, tftp.max_sessions 2) =="
check "no ACK: DATA 1 sent 1 + 2 times, then give up" "$PY" "$CLIENT" "$CAPPORT" retransmit small.bin 2
check "give-up logged" grep -q "Giving up on 127.0.0.1" "$TMP/cap.log"
give_ups() { grep -c "Giving up on 127.0.0.1" "$TMP/cap.log" || true; }
GIVE_UPS=$(give_ups)
"$PY" "$CLIENT" "$CAPPORT" hold small.bin 2 >"$TMP/hold1" & HOLD1=$!
"$PY" "$CLIENT" "$CAPPORT" hold small.bin 2 >"$TMP/hold2" & HOLD2=$!
holding() { grep -q holding "$TMP/hold1" && grep -q holding "$TMP/hold2"; }
wait_until 30 holding || true # both got DATA 1: two sessions run
check "third concurrent client: ERROR 0 (too many transfers)" "$PY" "$CLIENT" "$CAPPORT" error small.bin 0
check "session cap logged" grep -q "tftp.max_sessions" "$TMP/cap.log"
wait "$HOLD1" "$HOLD2" || true
# The held sessions give up after 1 + 2 timeouts of 1 s: wait for that.
gave_up_twice() { [ "$(give_ups)" -ge $((GIVE_UPS + 2)) ]; }
check "the two held sessions time out (logged)" wait_until 30 gave_up_twice
fetch_cmp "after the held sessions time out, a new client is served" "$ROOT/small.bin" "$TMP/out/18" \
	curl -sS -o "$TMP/out/18" "tftp://127.0.0.1:$CAPPORT/small.bin"

echo "== log =="
check "completed transfers logged with client, file, bytes and duration" \
	grep -Eq 'Sent "small.bin" to 127\.0\.0\.1:[0-9]+: 100000 bytes in [0-9.]+ s' "$TMP/main.log"
check "no errors or sanitizer reports in the logs" \
	bash -c "! grep -Eq 'runtime error|AddressSanitizer|LeakSanitizer' '$TMP/main.log' '$TMP/cap.log'"

dump() {
	echo "--- main.log (tail) ---"; tail -n 40 "$TMP/main.log"
	echo "--- cap.log (tail) ---"; tail -n 40 "$TMP/cap.log"
}
check_summary dump
