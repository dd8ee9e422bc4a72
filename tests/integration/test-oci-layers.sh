#!/bin/bash
# OCI layers -> kernel + initrd + squashfs (lib/oci-layers, lib/squashfs-write),
# checked with squashfs-tools' unsquashfs, an independent reader.
set -euo pipefail

HELPER=${OCI_LAYERS_HELPER:-$BUILDDIR/tests/oci-layers-helper}
for t in unsquashfs zstd /usr/bin/python3; do
	command -v "$t" >/dev/null || { echo "SKIP: $t missing"; exit 77; }
done
[[ -x $HELPER ]] || { echo "FAIL: helper $HELPER not built"; exit 1; }

TMP=$(mktemp -d /var/tmp/test-oci-layers.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
fails=0
check() { # description, command...
	local what=$1; shift
	if "$@"; then echo "ok: $what"; else echo "FAIL: $what"; fails=$((fails + 1)); fi
}

# ---- layers --------------------------------------------------------------
/usr/bin/python3 - "$TMP" <<'PY'
import io, os, sys, tarfile
d = sys.argv[1]
BIG = bytes((i * 7919) % 251 for i in range(3 * 1024 * 1024 + 12345))
open(os.path.join(d, "big.expected"), "wb").write(BIG)

def layer(name, entries):
    with tarfile.open(os.path.join(d, name), "w", format=tarfile.PAX_FORMAT) as t:
        for e in entries:
            kind, path = e[0], e[1]
            opts = e[2] if len(e) > 2 else {}
            ti = tarfile.TarInfo(path)
            ti.mtime = opts.get("mtime", 1700000000)
            ti.uid, ti.gid = opts.get("owner", (0, 0))
            data = None
            if kind == "dir":
                ti.type, ti.mode = tarfile.DIRTYPE, opts.get("mode", 0o755)
            elif kind == "file":
                data = opts.get("data", b"")
                ti.size, ti.mode = len(data), opts.get("mode", 0o644)
            elif kind == "sym":
                ti.type, ti.linkname, ti.mode = tarfile.SYMTYPE, opts["to"], 0o777
            elif kind == "hard":
                ti.type, ti.linkname, ti.mode = tarfile.LNKTYPE, opts["to"], 0o644
            elif kind == "chr":
                ti.type, ti.devmajor, ti.devminor, ti.mode = tarfile.CHRTYPE, 1, 3, 0o666
            if "xattrs" in opts:
                ti.pax_headers = {"SCHILY.xattr." + k: v for k, v in opts["xattrs"].items()}
            t.addfile(ti, io.BytesIO(data) if data is not None else None)

layer("l0.tar", [
    ("dir", "./"),
    ("dir", "etc/"),
    ("file", "etc/passwd", {"data": b"root:x:0:0:old\n"}),
    ("file", "etc/remove-me", {"data": b"gone\n"}),
    ("file", "etc/keep", {"data": b"kept\n", "mode": 0o600, "owner": (33, 44)}),
    ("dir", "opaque/"),
    ("file", "opaque/old1", {"data": b"old1\n"}),
    ("dir", "opaque/sub/"),
    ("file", "opaque/sub/old2", {"data": b"old2\n"}),
    ("dir", "usr/"), ("dir", "usr/bin/"), ("dir", "usr/lib/"),
    ("file", "usr/bin/tool", {"data": b"#!/bin/sh\necho tool\n", "mode": 0o4755,
                              "owner": (1000, 1001), "xattrs": {"user.test": "hello"}}),
    ("hard", "usr/bin/tool-link", {"to": "usr/bin/tool"}),
    ("hard", "usr/bin/tool-link2", {"to": "./usr/bin/tool"}),
    ("sym", "lib", {"to": "usr/lib"}),
    ("file", "usr/lib/big.bin", {"data": BIG}),
    ("dir", "dev/"), ("chr", "dev/null"),
    ("dir", "boot/"),
    ("file", "boot/vmlinuz-6.1.0", {"data": b"KERNEL-6.1.0\n"}),
    ("file", "boot/initrd.img-6.1.0", {"data": b"INITRD-6.1.0\n"}),
    ("file", "boot/config-6.1.0", {"data": b"CONFIG\n"}),
    ("sym", "boot/vmlinuz", {"to": "vmlinuz-6.1.0"}),
    ("sym", "boot/initrd.img", {"to": "/boot/initrd.img-6.1.0"}),
    ("file", "/abs/file", {"data": b"abs\n"}),
])
layer("l1.tar", [
    ("file", "etc/.wh.remove-me"),
    ("file", "etc/passwd", {"data": b"root:x:0:0:new\n"}),
    ("file", "opaque/new1", {"data": b"new1\n"}),
    ("file", "opaque/.wh..wh..opq"),
    ("file", "usr/bin/.wh.tool-link2"),
    ("dir", "data/", {"mode": 0o750, "owner": (5, 6)}),
    ("file", "data/x", {"data": b"xdata\n", "xattrs": {"trusted.t": "tv"}}),
    ("hard", "data/y", {"to": "data/x"}),
    ("hard", "data/z", {"to": "data/x"}),
    ("file", "empty", {"data": b""}),
])
layer("l2.tar", [
    ("file", "lib/mod.ko", {"data": b"module\n"}),
    ("file", "data/z", {"data": b"new z\n"}),
    ("sym", "etc/escape", {"to": "../../../../etc/shadow"}),
])
# escapes
layer("bad-dotdot.tar", [("file", "etc/../../evil", {"data": b"x"})])
layer("bad-hardlink.tar", [("hard", "etc/pw", {"to": "../../etc/passwd"})])
layer("bad-missing.tar", [("hard", "etc/pw", {"to": "etc/nothere"})])
layer("abs-kernel.tar", [("file", ".wh.boot"), ("dir", "boot/"),
                         ("sym", "boot/vmlinuz", {"to": "/../../../etc/passwd"})])
PY
gzip -n -c "$TMP/l1.tar" >"$TMP/l1.tar.gz"
zstd -q -c "$TMP/l2.tar" >"$TMP/l2.tar.zst"

MT=application/vnd.oci.image.layer.v1
out=$TMP/out; mkdir "$out"
echo "# build: plain tar (media type), gzip (magic bytes), zstd (media type)"
check "three layers build" "$HELPER" "$out" "$TMP/l0.tar=$MT.tar" "$TMP/l1.tar.gz" \
	"$TMP/l2.tar.zst=$MT.tar+zstd"
sq=$out/rootfs.squashfs

unsquashfs -s "$sq" >"$TMP/super.txt"
check "gzip compression" grep -q "^Compression gzip" "$TMP/super.txt"
check "block size 1 MiB" grep -q "^Block size 1048576" "$TMP/super.txt"
check "size is 4 KiB aligned" test $(( $(stat -c %s "$sq") % 4096 )) -eq 0

unsquashfs -lln "$sq" | sed -e 's/  */ /g' | awk '{print $1, $2, $NF, ($(NF-1) == "->" ? $(NF-2) : "")}' \
	| sed -e 's| squashfs-root| |' >"$TMP/list.raw"
unsquashfs -lln "$sq" | sed -e 's/  */ /g' >"$TMP/list.full"
has() { grep -qE -- "$1" "$TMP/list.full" || { echo "   missing: $1"; return 1; }; }
hasnt() { ! grep -qE -- "$1" "$TMP/list.full" || { echo "   unexpected: $1"; return 1; }; }
check "whiteout removed etc/remove-me" hasnt "squashfs-root/etc/remove-me$"
check "etc/keep mode 0600 owner 33/44" has "^-rw------- 33/44 5 .* squashfs-root/etc/keep$"
check "opaque dir dropped lower entries" hasnt "squashfs-root/opaque/(old1|sub)"
check "opaque dir kept same-layer entry" has "squashfs-root/opaque/new1$"
check "setuid tool, owner 1000/1001" has "^-rwsr-xr-x 1000/1001 .* squashfs-root/usr/bin/tool$"
check "hard link tool-link present" has "squashfs-root/usr/bin/tool-link$"
check "whited-out hard link gone" hasnt "squashfs-root/usr/bin/tool-link2$"
check "symlink lib -> usr/lib" has "^lrwxrwxrwx 0/0 .* squashfs-root/lib -> usr/lib$"
check "file through symlinked parent lands in usr/lib" has "squashfs-root/usr/lib/mod.ko$"
check "char device 1,3" has "^crw-rw-rw- 0/0 1, ?3 .* squashfs-root/dev/null$"
check "dir data mode 0750 owner 5/6" has "^drwxr-x--- 5/6 .* squashfs-root/data$"
check "absolute name contained" has "squashfs-root/abs/file$"
check "escaping symlink stored as is" has "squashfs-root/etc/escape -> ../../../../etc/shadow$"
check "empty file" has "^-rw-r--r-- 0/0 0 .* squashfs-root/empty$"
check "mtime preserved" has "^-rw-r--r-- 0/0 [0-9]+ 2023-11-1[45] [0-9:]+ squashfs-root/etc/passwd$"

x=$TMP/x
unsquashfs -q -n -d "$x" "$sq" >/dev/null
check "passwd from upper layer" test "$(cat "$x/etc/passwd")" = "root:x:0:0:new"
check "big file (3 MiB, blocks + fragment) intact" cmp -s "$x/usr/lib/big.bin" "$TMP/big.expected"
check "tool and tool-link share an inode (nlink 2)" test "$(stat -c %h "$x/usr/bin/tool")" = 2 -a \
	"$(stat -c %i "$x/usr/bin/tool")" = "$(stat -c %i "$x/usr/bin/tool-link")"
check "data/x nlink 2 after data/z was replaced" test "$(stat -c %h "$x/data/x")" = 2
check "data/z is the upper file" test "$(cat "$x/data/z")" = "new z"
check "data/y content via hard link" test "$(cat "$x/data/y")" = "xdata"
getx() { /usr/bin/python3 -c 'import os,sys; print(os.getxattr(sys.argv[1], sys.argv[2]).decode())' "$@"; }
check "xattr user.test=hello on usr/bin/tool" test "$(getx "$x/usr/bin/tool" user.test)" = hello
check "xattr trusted.t=tv on data/x" test "$(getx "$x/data/x" trusted.t)" = tv
check "kernel is boot/vmlinuz -> vmlinuz-6.1.0" test "$(cat "$out/kernel")" = "KERNEL-6.1.0"
check "initrd via absolute symlink inside the image" test "$(cat "$out/initrd")" = "INITRD-6.1.0"

check "xattrs stored" bash -c "grep -q 'Xattrs are stored' '$TMP/super.txt' || grep -qiE '^Number of xattr ids [1-9]' '$TMP/super.txt'"

echo "# overrides and compressors"
o2=$TMP/o2; mkdir "$o2"
check "zstd build with --kernel/--initrd overrides" "$HELPER" -c zstd -k /boot/config-6.1.0 \
	-i usr/lib/../lib/mod.ko "$o2" "$TMP/l0.tar" "$TMP/l1.tar.gz" "$TMP/l2.tar.zst"
check "zstd compression" bash -c "unsquashfs -s '$o2/rootfs.squashfs' | grep -q '^Compression zstd'"
check "override kernel" test "$(cat "$o2/kernel")" = "CONFIG"
check "override initrd (symlinked parent)" test "$(cat "$o2/initrd")" = "module"
o3=$TMP/o3; mkdir "$o3"
check "xz build" "$HELPER" -c xz "$o3" "$TMP/l0.tar"
check "xz compression" bash -c "unsquashfs -s '$o3/rootfs.squashfs' | grep -q '^Compression xz'"

echo "# escapes and bad input: a clear error and no outputs"
refuse() { # expected-message, layers...
	local msg=$1 o=$TMP/bad; shift
	rm -rf "$o"; mkdir "$o"
	if "$HELPER" "$o" "$@" 2>"$TMP/err"; then echo "   built unexpectedly"; return 1; fi
	grep -q -- "$msg" "$TMP/err" || { echo "   error was: $(cat "$TMP/err")"; return 1; }
	[[ -z $(ls -A "$o") ]] || { echo "   left: $(ls -A "$o")"; return 1; }
}
check "../ entry refused" refuse "escapes the image root" "$TMP/l0.tar" "$TMP/bad-dotdot.tar"
check "hard link outside refused" refuse "points outside the image" "$TMP/l0.tar" "$TMP/bad-hardlink.tar"
check "hard link to missing refused" refuse "points to missing" "$TMP/l0.tar" "$TMP/bad-missing.tar"
check "override to missing kernel refused" refuse "is not a regular file in the image" -k /nope "$TMP/l0.tar"
check "unknown media type refused" refuse "unsupported media type" "$TMP/l0.tar=application/json"
check "garbage layer refused" refuse "not a valid tar" "$TMP/big.expected"
check "unknown compressor refused" refuse "unknown squashfs compressor" -c lzo "$TMP/l0.tar"
# An absolute symlink climbing out resolves inside the image: the image's
# /etc/passwd, never the host's.
o4=$TMP/o4; mkdir "$o4"
check "absolute-symlink escape is contained" "$HELPER" -i /etc/keep "$o4" "$TMP/l0.tar" "$TMP/abs-kernel.tar"
check "kernel is the image's /etc/passwd" test "$(cat "$o4/kernel" 2>/dev/null)" = "root:x:0:0:old"

if ((fails > 0)); then echo "$fails check(s) failed"; exit 1; fi
echo "all checks passed"
