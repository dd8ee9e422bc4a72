#!/bin/bash
# The status page in a real browser during a real boot: headless Chromium
# (in the boot server's namespace, so its traffic stays there) opens
# http://SERVER:8090/ui/ before a BIOS VM network-boots from netbootd; the
# test reads the DOM over the DevTools protocol (tests/tools/cdp.py) while
# the VM boots and checks that the VM's row (data-mac, data-state,
# data-event, data-seen) appears and its last event changes live, fed by
# /ui/events, ending with the cloud-config; that a syslog line
# "<script>...<img onerror>" from a machine shows as text (no element made);
# and keeps screenshots (phone and desktop widths) in
# $BUILDDIR/meson-logs/ui/ as CI artifacts.
set -euo pipefail
E2E_NAME=ui
. "$(dirname "$0")/../lib/boot.sh"

require_cmds chromium
# The browser itself, not Debian's wrapper script: $! is then its PID.
CHROMIUM=/usr/lib/chromium/chromium
[ -x "$CHROMIUM" ] || CHROMIUM=$(command -v chromium)
netbootd=$(resolve_netbootd "${NETBOOTD:-}")
ctl=${NETBOOTCTL:-$(dirname "$netbootd")/../ctl/netbootctl}
CDP=$E2E_TOP/tests/tools/cdp.py
ART=${BUILDDIR:-$E2E_TOP/build}/meson-logs/ui
mkdir -p "$ART"
FAKE=52:54:00:de:ad:01
CHROME_PID=
DEVPORT=9223

boot_prepare bios state
export BOOT_CONTROL_SOCKET=$BOOT_DIR/control.sock
boot_write_config "$BOOT_IMAGE_DIR" "$BOOT_DIR/netbootd.yaml"
printf 'syslog:\n  enabled: true\n' >>"$BOOT_DIR/netbootd.yaml"
boot_lan
boot_netbootd "$netbootd" "$BOOT_DIR/netbootd.yaml"
nctl() { "$ctl" -s "$BOOT_CONTROL_SOCKET" "$@"; }
URL=http://$LAN_SERVER:8090

# A second machine, made up: its /ipxe/ request teaches netbootd that the
# server's own address is its, then a syslog line from there is its own.
# Two more, and a profile and group for the screenshot.
nctl profile set web --image e2e --action netboot >/dev/null
nctl group set web --profile web --priority 10 --label role=web >/dev/null
for m in 52-54-00-de-ad-02 52-54-00-de-ad-03 "${FAKE//:/-}"; do
	lan_in_boot curl -s -o /dev/null "$URL/ipxe/$m"
done
nctl label 52:54:00:de:ad:02 role=db >/dev/null
nctl label "$FAKE" role=web rack=r2 >/dev/null
nctl label "$VM_MAC" role=e2e >/dev/null
lan_in_boot /usr/bin/python3 -c "import socket; s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM); s.sendto(b'<11>Jan  1 00:00:00 fake kairos: <script>document.body.dataset.xss=1</script><img src=x onerror=\"document.body.dataset.xss=1\"> done', ('$LAN_SERVER',514))"

T_CHROME=$(date +%s.%N)
"${LAN_BOOT_EXEC[@]}" "$CHROMIUM" --headless=new --no-sandbox --disable-gpu --no-first-run \
	--disable-dev-shm-usage --user-data-dir="$BOOT_DIR/chromium" \
	--remote-debugging-port=$DEVPORT --window-size=1280,1000 "$URL/ui/" \
	>"$BOOT_DIR/chromium.log" 2>&1 &
CHROME_PID=$!
cleanup_push 'kill_pid "$CHROME_PID"'
js() { lan_in_boot /usr/bin/python3 "$CDP" $DEVPORT eval "$1" 2>/dev/null; }
page_ready() { [ "$(js "document.body.dataset.ready + document.body.dataset.live")" = '"11"' ]; }
verify "Chromium loaded /ui/ and its event stream is live" wait_until 120 page_ready
say "Chromium: page loaded and live after $(seconds_between "$T_CHROME" "$(date +%s.%N)") s"
verify "the page shows the image e2e" [ "$(js "document.querySelectorAll('#images tr[data-image=\"e2e\"]').length")" = 1 ]
verify "the made-up machine's row is there" [ "$(js "document.querySelectorAll('#machines tr[data-mac=\"$FAKE\"]').length")" = 1 ]
FAKE_IMAGE=$(js "document.querySelector('#machines tr[data-mac=\"$FAKE\"] .image').textContent")
verify "its image column says what it boots and why, as netbootctl machines: e2e (group web) ($FAKE_IMAGE)" \
	[ "$FAKE_IMAGE" = '"e2e (group web)"' ]
verify "its <script> log line is text in the page" [ "$(js "[...document.querySelectorAll('#logs li')].some(li => li.textContent.includes('<script>document.body.dataset.xss=1</script><img src=x'))")" = true ]
verify "no element came from the log line (no img, no script in the lists)" [ "$(js "document.querySelectorAll('#logs img, #logs script, #machines img, #machines script').length")" = 0 ]
verify "no script of the log line ran" [ "$(js "document.body.dataset.xss === undefined")" = true ]

# Sample the VM's row every half second while it boots.
row="document.querySelector('#machines tr[data-mac=\"$VM_MAC\"]')"
sampler() {
	while :; do
		js "(r => r ? r.dataset.state + ' ' + r.dataset.event : 'none')($row)" >>"$BOOT_DIR/samples.txt" || true
		sleep 0.5
	done
}
sampler &
SAMPLER=$!
cleanup_push 'kill_pid "$SAMPLER"'
boot_vm_check bios "${E2E_TIMEOUT:-240}" || true
verify "the boot itself passed its checks" [ "$BOOT_FAILURES" = 0 ]
wait_until 20 bash -c "grep -q 'config' '$BOOT_DIR/samples.txt'" || true
kill_pid "$SAMPLER"

say "The VM's row, as sampled: $(uniq "$BOOT_DIR/samples.txt" | tr -d '"' | tr '\n' ',' | sed 's/,$//')"
verify "the page showed the VM new, without an event, before it booted" grep -qx '"new -"' <(head -1 "$BOOT_DIR/samples.txt")
verify "the page showed its lifecycle change to booting, live" grep -q '^"booting ' "$BOOT_DIR/samples.txt"
verify "the VM's row showed boot events during the boot" grep -Eq ' (offer|loader|script|kernel|initrd|rootfs)"' "$BOOT_DIR/samples.txt"
verify "the row's last event changed at least twice during the boot" [ "$(grep -v none "$BOOT_DIR/samples.txt" | uniq | wc -l)" -ge 3 ]
verify "the row's last event ended with the cloud-config" [ "$(js "$row.dataset.event")" = '"config"' ]
SEEN=$(js "$row.dataset.seen")
say "Events the stream brought for the VM: $SEEN"
verify "the stream brought the script, the kernel and the config events" bash -c "grep -q 'script' <<<'$SEEN' && grep -q 'kernel' <<<'$SEEN' && grep -q 'config' <<<'$SEEN'"
STATE=$(js "$row.dataset.state")
say "The VM's state on the page: $STATE"
verify "the state shown is the lifecycle's: booting" [ "$STATE" = '"booting"' ]
verify "the VM's label is shown as text" [ "$(js "$row.querySelector('.labels').textContent")" = '"role=e2e"' ]

lan_in_boot /usr/bin/python3 "$CDP" $DEVPORT screenshot "$ART/ui-desktop.png" &&
	say "Screenshot: $ART/ui-desktop.png"
verify "a desktop screenshot was kept" [ -s "$ART/ui-desktop.png" ]
lan_in_boot /usr/bin/python3 "$CDP" $DEVPORT screenshot "$ART/ui-phone.png" 390 &&
	say "Screenshot: $ART/ui-phone.png"
kill_pid "$CHROME_PID"
verify "a phone-width screenshot was kept" [ -s "$ART/ui-phone.png" ]
js_dom=$(lan_in_boot curl -s "$URL/ui/state" | jq -c "[.machines[] | {mac, state: (.lifecycle.state // \"-\"), last: .last_event.kind}]")
say "Machines in /ui/state: $js_dom"
cp "$BOOT_DIR/samples.txt" "$ART/samples.txt"
boot_verdict "status page" "the status page followed the boot live in Chromium ($BOOT_SUMMARY)"
