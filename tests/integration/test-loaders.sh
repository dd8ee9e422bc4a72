#!/bin/bash
# The GRUB and shim loaders of loaders.dir against real clients.
#
# Fake loader files (random bytes around netbootd-grub.efi's placeholders),
# so no Debian package is needed.  First --check-config and a start with
# broken loader directories; then one netbootd in a server namespace
# (ProxyDHCP on 67/4011, TFTP on 69, HTTP on 8090) and, in a client
# namespace joined by a veth pair: crafted PXE / HTTP Boot DISCOVERs
# (tests/integration/proxydhcp-client.py, scapy) captured and dissected with
# tshark, tftp-hpa, atftp and curl over TFTP, curl over HTTP, netbootctl
# (fleet, default-boot, machines, watch).  Last, a reload with an ARM64 GRUB
# without its placeholder: ARM64 PXE ROMs get no answer, and a hint.
set -euo pipefail

SRCDIR=${SRCDIR:-$(cd "$(dirname "$0")/../.." && pwd)}
NETBOOTD=${NETBOOTD:-$SRCDIR/build/daemon/netbootd}
CTL=${NETBOOTCTL:-$(dirname "$NETBOOTD")/../ctl/netbootctl}
HERE=$SRCDIR/tests/integration
PY=/usr/bin/python3
# shellcheck source=../lib/netbootd.sh
. "$SRCDIR/tests/lib/netbootd.sh"
require_root
require_cmds ip curl tftp atftp tcpdump tshark jq cmp "$PY"
"$PY" -c 'import scapy.all' 2>/dev/null || skip "python3-scapy missing"
[ -x "$NETBOOTD" ] || { echo "FAIL: no netbootd at $NETBOOTD"; exit 1; }
[ -x "$CTL" ] || { echo "FAIL: no netbootctl at $CTL"; exit 1; }

SRV=nblsrv$$
CLI=nblcli$$
VS=nbls$$
VC=nblc$$
SADDR=10.88.0.1
CADDR=10.88.0.2
HPORT=8090
SERVER=$SADDR:$HPORT
BASE=http://$SERVER
IMAGE=deb12
M_ARM=52:54:00:88:00:11   # ARM64 PXE ROM, default profile (ipxe, no ipxe.arm64): GRUB
M_ARMH=52:54:00:88:00:13  # ARM64 UEFI HTTP Boot: GRUB's URL
M_X86=52:54:00:88:00:07   # x86_64 PXE ROM, default profile: iPXE
M_SB=52:54:00:88:00:5b    # profile sb (loader shim-grub)
M_GR=52:54:00:88:00:6b    # profile gr (loader grub)
M_T=52:54:00:88:00:21     # fetches its GRUB configuration over TFTP
M_H=52:54:00:88:00:31     # ... over HTTP
M_UNK=52:54:00:88:00:41   # unknown, while default boot is off
M_ARM2=52:54:00:88:00:12  # ARM64 PXE ROM after the reload (no usable ARM64 GRUB)
# The fake netbootd-grub.efi: random bytes, the server field at GRUB_SRV_OFF,
# the (optional) arch field at GRUB_ARCH_OFF.
GRUB_SRV_OFF=3000
GRUB_ARCH_OFF=5048
SRV_FIELD=48
ARCH_FIELD=24

new_tmpdir test-loaders
T=$TMPDIR_NEW
CTL_ARGS=(-s "$T/control.sock")
TPID=
WPID=
cli() { ip netns exec "$CLI" "$@"; }

# --- files ---------------------------------------------------------------------
# fake_grub FILE [arch]: a netbootd-grub.efi with the server placeholder, and
# with "arch" also the arch placeholder.
fake_grub() {
	{
		head -c "$GRUB_SRV_OFF" /dev/urandom
		printf '@@NETBOOTD_SERVER@@%29s' ''
		head -c 2000 /dev/urandom
		if [ "${2:-}" = arch ]; then printf '@@NETBOOTD_ARCH@@%7s' ''; else head -c 24 /dev/urandom; fi
		head -c 1500 /dev/urandom
	} >"$1"
}
# patch_at FILE OFFSET WIDTH VALUE: FILE with VALUE, space-padded to WIDTH, at OFFSET
patch_at() { head -c "$2" "$1"; printf "%-$3s" "$4"; tail -c +"$(($2 + $3 + 1))" "$1"; }
# field FILE OFFSET WIDTH: those bytes of FILE
field() { tail -c +"$(($2 + 1))" "$1" | head -c "$3"; }

mkdir -p "$T/ipxe" "$T/img" "$T/state"
head -c 70000 /dev/urandom >"$T/ipxe/undionly.kpxe"
head -c 90000 /dev/urandom >"$T/ipxe/ipxe.efi"
head -c 300001 /dev/urandom >"$T/img/kernel"
head -c 200003 /dev/urandom >"$T/img/initrd"
fake_squashfs 100000 >"$T/img/rootfs.squashfs"

L=$T/loaders # complete
mkdir -p "$L/x86_64-efi" "$L/arm64-efi"
fake_grub "$L/x86_64-efi/netbootd-grub.efi"
fake_grub "$L/arm64-efi/netbootd-grub.efi" arch
head -c 9000 /dev/urandom >"$L/x86_64-efi/shimx64.efi"
head -c 8000 /dev/urandom >"$L/x86_64-efi/grubx64.efi"
head -c 9100 /dev/urandom >"$L/arm64-efi/shimaa64.efi"
head -c 8100 /dev/urandom >"$L/arm64-efi/grubaa64.efi"
LSHIM=$T/loaders-shim-only # shimx64.efi without grubx64.efi
mkdir -p "$LSHIM/x86_64-efi"
cp "$L/x86_64-efi/shimx64.efi" "$LSHIM/x86_64-efi/"
LNOPH=$T/loaders-no-placeholder # a netbootd-grub.efi without its placeholder
mkdir -p "$LNOPH/x86_64-efi"
head -c 6000 /dev/urandom >"$LNOPH/x86_64-efi/netbootd-grub.efi"
LBAD=$T/loaders-bad # both problems
mkdir -p "$LBAD/x86_64-efi" "$LBAD/arm64-efi"
cp "$L/x86_64-efi/shimx64.efi" "$LBAD/x86_64-efi/"
cp "$LNOPH/x86_64-efi/netbootd-grub.efi" "$LBAD/arm64-efi/"

# conf FILE LOADERS-DIR ARM64-IPXE: a netbootd.yaml for the server namespace
conf() {
	cat >"$1" <<-EOF
	interfaces: [$VS]
	state_dir: $T/state
	dhcp: {enabled: true, port: 67, pxe_port: 4011}
	tftp: {enabled: true, port: 69}
	http: {port: $HPORT}
	ipxe: {dir: $T/ipxe, bios: undionly.kpxe, efi64: ipxe.efi, efi32: null, arm64: $3}
	loaders: {dir: $2}
	control: {socket: $T/control.sock}
	EOF
}

echo "== --check-config"
# checkconf NAME LOADERS-DIR ARM64-IPXE: netbootd --check-config, output in $T/NAME.cc, exit code in $T/NAME.rc
checkconf() {
	local rc=0
	conf "$T/$1.yaml" "$2" "$3"
	"$NETBOOTD" --check-config -c "$T/$1.yaml" >"$T/$1.cc" 2>&1 || rc=$?
	echo "$rc" >"$T/$1.rc"
	sed "s/^/    $1: /" "$T/$1.cc"
}
cc_has() { grep -qF -- "$2" "$T/$1.cc" || { echo "    $1: no \"$2\" in: $(cat "$T/$1.cc")"; false; }; }
checkconf shim "$LSHIM" null
check "shimx64.efi without grubx64.efi: exit 1" [ "$(cat "$T/shim.rc")" = 1 ]
check "... the message names grubx64.efi" cc_has shim "grubx64.efi"
checkconf noph "$LNOPH" null
check "netbootd-grub.efi without its placeholder: exit 1" [ "$(cat "$T/noph.rc")" = 1 ]
check "... the message names the file and the placeholder" \
	cc_has noph "$LNOPH/x86_64-efi/netbootd-grub.efi has no @@NETBOOTD_SERVER@@ placeholder"
checkconf arm "$L" ipxe-arm64.efi
check "ipxe.arm64 names a missing file: exit 1" [ "$(cat "$T/arm.rc")" = 1 ]
check "... the message names ipxe.arm64 and the file" cc_has arm 'ipxe.arm64: "ipxe-arm64.efi"'
checkconf missingdir "$T/no-such-dir" null
check "loaders.dir that does not exist: exit 1, named" \
	bash -c "[ \"\$(cat '$T/missingdir.rc')\" = 1 ] && grep -qF 'loaders.dir: \"$T/no-such-dir\"' '$T/missingdir.cc'"
checkconf good "$L" null
check "a complete loaders.dir: exit 0" [ "$(cat "$T/good.rc")" = 0 ]
check "... \"configuration OK\"" cc_has good "configuration OK"

echo "== namespaces $SRV and $CLI"
new_veth_pair "$SRV" "$CLI" "$VS" "$VC" "$SADDR/24" "$CADDR/24"

echo "== start with broken loader files: warnings, and it runs"
conf "$T/bad.yaml" "$LBAD" ipxe-arm64.efi
netbootd_start "$T/bad.log" "$SRV" -f -c "$T/bad.yaml"
netbootd_wait_ready "$T/bad.log" || { bad "netbootd did not start with broken loaders"; tail "$T/bad.log"; exit 1; }
log_has() { grep -qF -- "$2" "$1" || { echo "    no \"$2\" in $1"; false; }; }
check "start: warning naming grubx64.efi" log_has "$T/bad.log" "shim-grub needs both shimx64.efi and grubx64.efi"
check "start: warning naming the netbootd-grub.efi without placeholder" \
	log_has "$T/bad.log" "$LBAD/arm64-efi/netbootd-grub.efi has no @@NETBOOTD_SERVER@@ placeholder"
check "start: warning naming ipxe.arm64" log_has "$T/bad.log" 'ipxe.arm64: "ipxe-arm64.efi"'
check "start: the daemon runs" kill -0 "$PID"
check "start: it answers HTTP" cli curl -fsS -m 5 -o /dev/null "$BASE/healthz"
netbootd_stop
sed 's/^/    bad.log: /' "$T/bad.log" | grep -i 'loader\|ipxe' || true

echo "== netbootd with a complete loaders.dir"
conf "$T/netbootd.yaml" "$L" null
netbootd_start "$T/log" "$SRV" -f -d -c "$T/netbootd.yaml"
netbootd_wait_ready "$T/log" || { bad "netbootd did not start"; tail "$T/log"; exit 1; }
check "no loader warning at start" bash -c "! grep -q 'loaders.dir\|ipxe\.' '$T/log'"
run 0 add-image "$IMAGE" --dir "$T/img" --cmdline "console=ttyS0,115200 quiet it's=ok config_url={config_url}"
cat >"$T/fleet.yaml" <<EOF
profiles:
  sb: { loader: shim-grub }
  gr: { loader: grub }
machines:
  "$M_SB": { profile: sb }
  "$M_GR": { profile: gr }
EOF
run 0 apply -f "$T/fleet.yaml"
"$CTL" "${CTL_ARGS[@]}" --json watch >"$T/watch" 2>&1 &
WPID=$!
cleanup_push 'stop_child "$WPID"'

echo "== ProxyDHCP"
# Not through cli (a backgrounded function is a subshell): $! must be tcpdump.
ip netns exec "$CLI" tcpdump -i "$VC" -U -n -s 0 -w "$T/cap.pcap" udp 2>"$T/tcpdump.log" &
TPID=$!
cleanup_push 'stop_child "$TPID"'
capturing() { grep -q "listening on" "$T/tcpdump.log" 2>/dev/null; }
wait_until 10 capturing || true

ask() { cli "$PY" "$HERE/proxydhcp-client.py" ask "$VC" "$SADDR" "$CADDR" "$@"; }
# offered MAC KIND ARCH WANT: the DISCOVER gets WANT as its boot file ("none": no answer)
offered() {
	local got
	got=$(ask "$1" "$2" "$3")
	[ "$got" = "$4" ] || { echo "    offered \"$got\", expected \"$4\""; return 1; }
}
check "ARM64 PXE ROM (arch 11), no ipxe.arm64: netbootd's GRUB over TFTP" \
	offered "$M_ARM" pxe 11 loaders/arm64-efi/netbootd-grub.efi
check "ARM64 HTTP Boot (arch 19): GRUB's URL" \
	offered "$M_ARMH" http 19 "$BASE/loaders/arm64-efi/netbootd-grub.efi"
check "x86_64 PXE ROM (arch 7), default profile: iPXE" offered "$M_X86" pxe 7 ipxe.efi
check "profile shim-grub, x86_64 PXE ROM (arch 7): the shim" \
	offered "$M_SB" pxe 7 loaders/x86_64-efi/shimx64.efi
check "profile shim-grub, x86_64 HTTP Boot (arch 16): no answer" offered "$M_SB" http 16 none
check "profile grub, x86_64 PXE ROM (arch 7): netbootd's GRUB" \
	offered "$M_GR" pxe 7 loaders/x86_64-efi/netbootd-grub.efi
check "profile grub, x86_64 HTTP Boot (arch 16): GRUB's URL" \
	offered "$M_GR" http 16 "$BASE/loaders/x86_64-efi/netbootd-grub.efi"
check "profile grub, BIOS PXE ROM (arch 0): iPXE" offered "$M_GR" pxe 0 undionly.kpxe
check "log: shim-grub over HTTP Boot is told why" \
	log_has "$T/log" "Not answering UEFI HTTP Boot client $M_SB"
check "log: ... shim-grub needs UEFI PXE" \
	bash -c "grep -F 'client $M_SB' '$T/log' | grep -qF 'shim-grub needs UEFI PXE'"

MARK=end-of-capture-$$
cli "$PY" -c "import socket, sys
socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(sys.argv[1].encode(), ('$SADDR', 9))" "$MARK"
marked() { grep -qa "$MARK" "$T/cap.pcap"; }
wait_until 30 marked || true
stop_child "$TPID" INT
TPID=
TS=(tshark -r "$T/cap.pcap" -d "udp.port==4011,dhcp")
# fields MAC FIELDS...: the fields of the server's replies to MAC
fields() {
	"${TS[@]}" -Y "ip.src == $SADDR && dhcp.hw.mac_addr == $1" -T fields -E separator=' ' \
		-E occurrence=f "${@:2}" 2>/dev/null
}
check_eq() { check "$1 (got \"$2\")" test "$2" = "$3"; }
"${TS[@]}" -V -Y "ip.src == $SADDR && dhcp" >"$T/replies.txt" 2>/dev/null || true
check "tshark: no malformed reply" bash -c "grep -q 'Dynamic Host Configuration' '$T/replies.txt' && ! grep -q Malformed '$T/replies.txt'"
check_eq "tshark: ARM64 PXE offer: file, siaddr = server, option 60 PXEClient" \
	"$(fields "$M_ARM" -e dhcp.file -e dhcp.ip.server -e dhcp.option.vendor_class_id)" \
	"loaders/arm64-efi/netbootd-grub.efi $SADDR PXEClient"
check_eq "tshark: ARM64 HTTP Boot offer: the URL, option 60 HTTPClient" \
	"$(fields "$M_ARMH" -e dhcp.file -e dhcp.option.vendor_class_id)" \
	"$BASE/loaders/arm64-efi/netbootd-grub.efi HTTPClient"
check_eq "tshark: shim-grub offer: file, siaddr = server" \
	"$(fields "$M_SB" -e dhcp.file -e dhcp.ip.server)" "loaders/x86_64-efi/shimx64.efi $SADDR"
# The raw BOOTP file field (bytes 108..235 of the DHCP payload): the name, then zeros.
rawfile() {
	fields "$1" -e udp.payload | "$PY" -c "
import sys
p = bytes.fromhex(sys.stdin.read().strip().replace(':', ''))
f = p[108:236]
want = sys.argv[1].encode()
ok = len(p) >= 236 and f == want + bytes(128 - len(want))
print('    raw file field: %r' % f.rstrip(b'\0') if not ok else '', end='')
sys.exit(0 if ok else 1)" "$2"
}
check "tshark: shim-grub offer: raw BOOTP file field is the name, zero-padded" \
	rawfile "$M_SB" loaders/x86_64-efi/shimx64.efi
check "tshark: no reply to the shim-grub HTTP Boot client" \
	test -z "$("${TS[@]}" -Y "ip.src == $SADDR && dhcp.hw.mac_addr == $M_SB && dhcp.option.vendor_class_id == \"HTTPClient\"" -T fields -e dhcp.id 2>/dev/null)"

echo "== TFTP (tftp-hpa, atftp, curl)"
# hpa REMOTE LOCAL: tftp-hpa get (as HOST:REMOTE: a MAC's colons would make a host of it)
hpa() { cli tftp -m binary "$SADDR" -c get "$SADDR:$1" "$2"; }
# patched FILE WANT-SERVER WANT-ARCH: the expected copy of a fake GRUB file
patched() {
	patch_at "$1" "$GRUB_SRV_OFF" "$SRV_FIELD" "$2" >"$T/patched.tmp"
	if [ -n "$3" ]; then
		patch_at "$T/patched.tmp" "$GRUB_ARCH_OFF" "$ARCH_FIELD" "$3"
	else
		cat "$T/patched.tmp"
	fi
}
G=$L/arm64-efi/netbootd-grub.efi
patched "$G" "$SERVER" efi-arm64 >"$T/want-grub-tftp"
patched "$G" "$SERVER" http-arm64 >"$T/want-grub-http"
rm -f "$T/g1"
hpa loaders/arm64-efi/netbootd-grub.efi "$T/g1" >"$T/hpa.out" 2>&1 || true
check "tftp-hpa: ARM64 GRUB: same size" [ "$(stat -c %s "$T/g1" 2>/dev/null)" = "$(stat -c %s "$G")" ]
check_eq "tftp-hpa: ARM64 GRUB: the 48-byte server field" \
	"$(field "$T/g1" "$GRUB_SRV_OFF" "$SRV_FIELD")" "$(printf '%-48s' "$SERVER")"
check_eq "tftp-hpa: ARM64 GRUB: the arch field" \
	"$(field "$T/g1" "$GRUB_ARCH_OFF" "$ARCH_FIELD")" "$(printf '%-24s' efi-arm64)"
check "tftp-hpa: ARM64 GRUB: every other byte identical" cmp "$T/g1" "$T/want-grub-tftp"
rm -f "$T/g2"
cli curl -sS -o "$T/g2" "tftp://$SADDR/loaders/arm64-efi/netbootd-grub.efi" || true
check "curl: ARM64 GRUB patched the same" cmp "$T/g2" "$T/want-grub-tftp"
rm -f "$T/g3"
cli curl -sS --tftp-blksize 1468 -o "$T/g3" "tftp://$SADDR/loaders/x86_64-efi/netbootd-grub.efi" || true
check "curl blksize 1468: x86_64 GRUB (no arch placeholder): server patched, rest identical" \
	cmp "$T/g3" <(patched "$L/x86_64-efi/netbootd-grub.efi" "$SERVER" "")
# atftp prints the OACK with --trace
rm -f "$T/g4"
cli atftp --trace --option "tsize 0" --option "blksize 1468" -g -r loaders/arm64-efi/netbootd-grub.efi \
	-l "$T/g4" "$SADDR" 69 >"$T/atftp.out" 2>&1 || true
check "atftp tsize: the OACK's tsize is the file's size ($(stat -c %s "$G"))" \
	grep -Eq "tsize[^0-9]+$(stat -c %s "$G")\b" "$T/atftp.out"
check "atftp: ARM64 GRUB patched the same" cmp "$T/g4" "$T/want-grub-tftp"
# The patched copies are cached: a new netbootd-grub.efi must be served at once.
fake_grub "$G.new" arch
mv "$G.new" "$G"
patched "$G" "$SERVER" efi-arm64 >"$T/want-grub-tftp2"
rm -f "$T/g5"
cli curl -sS -o "$T/g5" "tftp://$SADDR/loaders/arm64-efi/netbootd-grub.efi" || true
check "a replaced netbootd-grub.efi is served (patched) on the next download, not the cached copy" \
	cmp "$T/g5" "$T/want-grub-tftp2"
patched "$G" "$SERVER" http-arm64 >"$T/want-grub-http"
rm -f "$T/s1" "$T/s2"
hpa loaders/x86_64-efi/shimx64.efi "$T/s1" >/dev/null 2>&1 || true
check "tftp-hpa: shimx64.efi byte-identical" cmp "$T/s1" "$L/x86_64-efi/shimx64.efi"
cli curl -sS -o "$T/s2" "tftp://$SADDR/loaders/arm64-efi/grubaa64.efi" || true
check "curl: grubaa64.efi byte-identical" cmp "$T/s2" "$L/arm64-efi/grubaa64.efi"
rm -f "$T/p1" "$T/p2"
hpa loaders/x86_64-efi/../../etc/passwd "$T/p1" >"$T/hpa.out" 2>&1 || true
check "tftp-hpa: loaders/x86_64-efi/../../etc/passwd refused (an error, no content)" \
	bash -c "grep -q 'Error code' '$T/hpa.out' && ! grep -qs root: '$T/p1'"
rc=0
cli curl -sS --path-as-is -o "$T/p2" "tftp://$SADDR/loaders/x86_64-efi/../../etc/passwd" 2>/dev/null || rc=$?
check "curl --path-as-is: loaders/x86_64-efi/../../etc/passwd refused (exit $rc)" \
	bash -c "[ $rc -ne 0 ] && ! grep -qs root: '$T/p2'"
rm -f "$T/p3"
hpa loaders/ia32-efi/shimx64.efi "$T/p3" >"$T/hpa.out" 2>&1 || true
check "tftp-hpa: an architecture directory netbootd does not know: error" grep -q 'Error code' "$T/hpa.out"
rm -f "$T/c1"
hpa grub/grub.cfg "$T/c1" >/dev/null 2>&1 || true
check "tftp-hpa: grub/grub.cfg is the dispatcher" \
	grep -qF 'source "$prefix/netbootd/$netbootd_arch/$netbootd_mac"' "$T/c1"
rm -f "$T/c2"
hpa "grub/netbootd/efi-x86_64/$M_T" "$T/c2" >/dev/null 2>&1 || true
sed 's/^/    grub.cfg (TFTP): /' "$T/c2" 2>/dev/null || true
check "tftp-hpa: the machine's GRUB configuration boots the image over TFTP" \
	grep -qF "linux \"(tftp,$SADDR)/images/$IMAGE/kernel\"" "$T/c2"
check "... with its initrd over TFTP" grep -qF "initrd \"(tftp,$SADDR)/images/$IMAGE/initrd\"" "$T/c2"
check "... the command line's words quoted, one by one" \
	grep -qF "/kernel\" 'console=ttyS0,115200' 'quiet' 'it'\\''s=ok' 'config_url=$BASE/config/" "$T/c2"
rm -f "$T/c3"
cli curl -sS -o "$T/c3" "tftp://$SADDR/grub/netbootd/efi-x86_64/$M_T" || true
check "curl: the same configuration" cmp "$T/c2" "$T/c3"
rm -f "$T/k1" "$T/k2"
hpa "images/$IMAGE/kernel" "$T/k1" >/dev/null 2>&1 || true
check "tftp-hpa: images/$IMAGE/kernel byte-identical to the stored kernel" cmp "$T/k1" "$T/img/kernel"
cli curl -sS --tftp-blksize 1468 -o "$T/k2" "tftp://$SADDR/images/$IMAGE/initrd" || true
check "curl: images/$IMAGE/initrd byte-identical" cmp "$T/k2" "$T/img/initrd"
hpa images/nosuch/kernel "$T/k3" >"$T/hpa.out" 2>&1 || true
check "tftp-hpa: the kernel of an image that does not exist: error" grep -q 'Error code' "$T/hpa.out"

echo "== HTTP (curl)"
status() { cli curl -s -o /dev/null -w '%{http_code}' "$@"; }
rm -f "$T/h1"
cli curl -sS -o "$T/h1" "$BASE/loaders/arm64-efi/netbootd-grub.efi" || true
check_eq "HTTP: ARM64 GRUB: the arch field is http-arm64" \
	"$(field "$T/h1" "$GRUB_ARCH_OFF" "$ARCH_FIELD")" "$(printf '%-24s' http-arm64)"
check_eq "HTTP: ARM64 GRUB: the server field" \
	"$(field "$T/h1" "$GRUB_SRV_OFF" "$SRV_FIELD")" "$(printf '%-48s' "$SERVER")"
check "HTTP: ARM64 GRUB: every other byte identical, same size" cmp "$T/h1" "$T/want-grub-http"
check_eq "HTTP: Content-Length of the patched GRUB" \
	"$(cli curl -sI "$BASE/loaders/arm64-efi/netbootd-grub.efi" | tr -d '\r' | awk 'tolower($1) == "content-length:" { print $2 }')" \
	"$(stat -c %s "$G")"
rm -f "$T/h2"
cli curl -sS -o "$T/h2" "$BASE/loaders/x86_64-efi/shimx64.efi" || true
check "HTTP: shimx64.efi byte-identical" cmp "$T/h2" "$L/x86_64-efi/shimx64.efi"
check "HTTP: /loaders/x86_64-efi/../../etc/passwd (--path-as-is) is not served" \
	bash -c "[ \"\$(ip netns exec $CLI curl -s --path-as-is -o /dev/null -w '%{http_code}' '$BASE/loaders/x86_64-efi/../../etc/passwd')\" != 200 ]"
rm -f "$T/h3"
cli curl -sS -o "$T/h3" "$BASE/grub/grub.cfg" || true
check "HTTP: /grub/grub.cfg is the dispatcher, as over TFTP" cmp "$T/h3" "$T/c1"
rm -f "$T/h4"
cli curl -sS -o "$T/h4" "$BASE/grub/netbootd/efi-arm64/$M_H" || true
sed 's/^/    grub.cfg (HTTP): /' "$T/h4" 2>/dev/null || true
check "HTTP: the machine's GRUB configuration boots the image over (http,$SERVER)" \
	grep -qF "linux \"(http,$SERVER)/images/$IMAGE/kernel\"" "$T/h4"
check "... and its initrd" grep -qF "initrd \"(http,$SERVER)/images/$IMAGE/initrd\"" "$T/h4"
state_of() { # MAC: its lifecycle state
	"$CTL" "${CTL_ARGS[@]}" --json machines | "$PY" -c "
import json, sys
for m in json.load(sys.stdin):
    if m['mac'] == '$1':
        print(m['lifecycle']['state'])" 2>/dev/null
}
state_is() { [ "$(state_of "$1")" = "$2" ]; }
check "machines --json: $M_H is booting" wait_until 10 state_is "$M_H" booting
check "machines --json: $M_T (TFTP) is booting" state_is "$M_T" booting
watch_has() { grep '"kind":"script"' "$T/watch" | grep -qi "$1"; }
check "watch: a script event for $M_H" wait_until 10 watch_has "$M_H"
check "watch: a script event for $M_T (TFTP)" wait_until 10 watch_has "$M_T"
check "... complete, with the configuration's size" \
	bash -c "grep '\"kind\":\"script\"' '$T/watch' | grep -i '$M_H' | grep -q '\"bytes\":[1-9][0-9]*,\"total\":[1-9][0-9]*,\"complete\":true'"
check "log: the GRUB configuration is a boot progress line" \
	log_has "$T/log" "Boot progress of $M_H: GRUB configuration \"$IMAGE\" over HTTP"
check_eq "HTTP: /grub/other is 404" "$(status "$BASE/grub/other")" 404
NOTMAC=$(status "$BASE/grub/netbootd/efi-arm64/not-a-mac")
check "HTTP: /grub/netbootd/efi-arm64/not-a-mac is refused (got $NOTMAC)" [ "$NOTMAC" != 200 ]
run 0 default-boot off
check_eq "HTTP: an unknown machine while default boot is off: 404" \
	"$(status "$BASE/grub/netbootd/efi-arm64/$M_UNK")" 404
rm -f "$T/u1"
hpa "grub/netbootd/efi-x86_64/$M_UNK" "$T/u1" >"$T/hpa.out" 2>&1 || true
check "TFTP: ... and a TFTP error" grep -q 'Error code' "$T/hpa.out"
check "log: the refusal says why" log_has "$T/log" "Not serving a GRUB configuration to $M_UNK"
check "machines --json: the unknown machine did not start a boot" \
	bash -c "! '$CTL' -s '$T/control.sock' --json machines | grep -q '$M_UNK.*booting'"
check_eq "HTTP: a known machine (fleet entry) still gets its configuration" \
	"$(status "$BASE/grub/netbootd/efi-x86_64/$M_GR")" 200
run 0 default-boot on

echo "== reload: the ARM64 GRUB loses its placeholder"
cp "$LNOPH/x86_64-efi/netbootd-grub.efi" "$L/arm64-efi/netbootd-grub.efi"
kill -HUP "$PID"
reloaded() { grep -q "arm64-efi/netbootd-grub.efi has no @@NETBOOTD_SERVER@@" "$T/log"; }
check "reload: a warning names the ARM64 GRUB" wait_until 10 reloaded
check "ARM64 PXE ROM without ARM64 GRUB and ipxe.arm64: no answer" offered "$M_ARM2" pxe 11 none
check "log: it is told why, with a hint naming loaders.dir" \
	bash -c "grep -F 'Not answering PXE ROM client $M_ARM2' '$T/log' | grep -qF 'loaders.dir'"
check "TFTP: the ARM64 GRUB without placeholder is not served" \
	bash -c "ip netns exec $CLI tftp -m binary $SADDR -c get loaders/arm64-efi/netbootd-grub.efi '$T/r1' 2>&1 | grep -q 'Error code'"
check "the x86_64 GRUB is still offered" offered "$M_GR" pxe 7 loaders/x86_64-efi/netbootd-grub.efi
check "the daemon still runs" kill -0 "$PID"
check "no sanitizer report in the log" bash -c "! grep -Eq 'runtime error|AddressSanitizer|LeakSanitizer' '$T/log'"
netbootd_stop

dump() {
	echo "--- log (tail) ---"; tail -n 60 "$T/log"
	echo "--- atftp ---"; cat "$T/atftp.out" 2>/dev/null || true
}
check_summary dump
