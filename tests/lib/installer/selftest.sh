#!/bin/bash
# Self-test of the stand-in installer's cloud-config reading, on the host
# with busybox (sh, awk) as in the initrd; no root, no network, no VM:
#
#   tests/lib/installer/selftest.sh
#
# 1. samples/*.yaml through cloud-config.awk must give samples/*.flat
#    (written from PyYAML's yaml.safe_load of the same file: an independent
#    reader).  contract.yaml is the form of lifecycle-contract.md (libyaml,
#    block style, unlimited width); folded.yaml the same emitted at width 80
#    (long commands folded over lines); hand.yaml what people write.
# 2. install.sh (dry run) on samples/run.yaml must run the before-install
#    and after-install commands in order, count the one that fails, and
#    patch the token into the boot sector.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bb=${BUSYBOX:-/bin/busybox}
[ -x "$bb" ] || { echo "SKIP: no $bb (busybox-static)"; exit 77; }
command -v as >/dev/null || { echo "SKIP: no as (binutils)"; exit 77; }
work=$(mktemp -d /tmp/netbootd-installer-selftest.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir "$work/bin" "$work/lib"
"$bb" --install -s "$work/bin"
fails=0
ok() { echo "PASS: $*"; }
bad() { echo "FAIL: $*"; fails=$((fails + 1)); }

for y in "$here"/samples/*.yaml; do
	n=$(basename "$y" .yaml)
	[ -f "$here/samples/$n.flat" ] || continue
	if "$bb" awk -f "$here/cloud-config.awk" "$y" | diff -u "$here/samples/$n.flat" - >"$work/diff"; then
		ok "cloud-config.awk reads $n.yaml as PyYAML does ($(wc -l <"$here/samples/$n.flat") scalars)"
	else
		bad "cloud-config.awk on $n.yaml"
		cat "$work/diff"
	fi
done

cp "$here/cloud-config.awk" "$work/lib/"
"$here/../disk-marker.sh" --sector "$work/lib/disk-marker.bin"
mkdir "$work/t"
env -i PATH="$work/bin" TMPDIR="$work/t" NETBOOTD_E2E_LIB="$work/lib" NETBOOTD_E2E_DRY=1 \
	NETBOOTD_E2E_SELFTEST="$work/t" "$bb" sh "$here/install.sh" "$here/samples/run.yaml" >"$work/out" 2>&1 || true
sed 's/^/  | /' "$work/out"
expect_log=$(printf '%s\n' "before one $work/t" "before two: colon" report/installing report/installed)
if [ "$(cat "$work/t/log" 2>/dev/null)" = "$expect_log" ]; then
	ok "install.sh ran the stage commands in order"
else
	bad "install.sh stage commands: got '$(cat "$work/t/log" 2>/dev/null)'"
fi
for l in "stage before-install: 4 command(s) in 3 step(s)" \
	"stage before-install step 1 command 0 exited 3" \
	"stage after-install step 0 command 0 exited 0" \
	"install finished: marker selftest-1 on /dev/null-selftest, 1 failed command(s)"; do
	if grep -qxF "NETBOOTD-E2E: $l" "$work/out"; then ok "install.sh said: $l"; else bad "install.sh did not say: $l"; fi
done
if [ "$(dd if="$work/t/netbootd-e2e-sector" bs=1 skip=256 count=11 2>/dev/null | tr -d "\000")" = selftest-1 ] &&
	[ "$(od -An -tx1 -j510 -N2 "$work/t/netbootd-e2e-sector" | tr -d ' ')" = 55aa ]; then
	ok "the boot sector carries the token at byte 256 and the 55aa signature"
else
	bad "the patched boot sector"
fi
[ "$fails" = 0 ] || { echo "FAIL: $fails check(s)"; exit 1; }
echo "PASS: the stand-in installer reads cloud-configs and runs their stages"
