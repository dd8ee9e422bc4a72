#!/bin/bash
# Fill a netbootd loaders directory (config key loaders.dir) from Debian's
# packages: downloaded with apt-get download and unpacked with dpkg -x, never
# installed.  Idempotent.
#
#   tools/fetch-loaders.sh DIR
#
# DIR/x86_64-efi/shimx64.efi        shim-signed: shimx64.efi.signed (signed by Microsoft)
# DIR/x86_64-efi/grubx64.efi        grub-efi-amd64-signed: grubnetx64.efi.signed
# DIR/x86_64-efi/netbootd-grub.efi  GRUB built with grub-mkimage from grub-efi-amd64-bin
# DIR/arm64-efi/shimaa64.efi        shim-signed:arm64: shimaa64.efi.signed
# DIR/arm64-efi/grubaa64.efi        grub-efi-arm64-signed:arm64: grubnetaa64.efi.signed
# DIR/arm64-efi/netbootd-grub.efi   GRUB built with grub-mkimage from grub-efi-arm64-bin:arm64
# DIR/VERSIONS                      "package version", one line per package
# DIR/.netbootd-grub.stamp          sha256 of the early config and module list
#
# netbootd-grub.efi embeds an early config whose first line holds the 48-byte
# placeholder "@@NETBOOTD_SERVER@@" plus spaces; netbootd replaces it with its
# ADDR:PORT (padded with spaces) when it serves the file, so that GRUB reads
# http://ADDR:PORT/grub/grub.cfg.  It exports netbootd_server: configfile
# starts a new context, and grub.cfg would not see it otherwise.  It tries
# grub.cfg twice: GRUB's TCP source ports (21550, 21551, ...) and initial
# sequence numbers (milliseconds since start) repeat from boot to boot, so a
# machine that boots again within a minute can find its first connection
# refused by the server's TIME-WAIT socket of the last boot; GRUB gives up
# after 40 SYNs (16 s), and 16 s later the sequence numbers are past it.
# GRUB runs an embedded config with its rescue parser: one command a line,
# no if/fi.  A grub.cfg that returns instead of booting is read twice.
#
# The arm64 packages need the arm64 architecture in dpkg: when apt cannot find
# them, the script adds it (dpkg --add-architecture arm64; apt-get update),
# which needs root.  grub-mkimage comes from the host's grub-common.
set -euo pipefail

usage() {
	sed -n '2,/^set -euo/{/^set -euo/d;s/^# \{0,1\}//;p}' "$0"
}

case ${1:-} in
-h | --help)
	usage
	exit 0
	;;
"" | -*)
	usage >&2
	exit 2
	;;
esac
[ $# -eq 1 ] || {
	usage >&2
	exit 2
}
dir=$1

say() {
	echo "fetch-loaders.sh: $*" >&2
}

die() {
	say "$*"
	exit 1
}

PACKAGES="shim-signed grub-efi-amd64-signed grub-efi-amd64-bin
	shim-signed:arm64 grub-efi-arm64-signed:arm64 grub-efi-arm64-bin:arm64"

# The modules built into netbootd-grub.efi (their dependencies are added by
# grub-mkimage itself).
# minicmd: "exit" (back to the firmware, which tries its next boot option).
MODULES="efinet net tftp http linux normal configfile echo sleep test regexp
	true reboot halt part_gpt part_msdos fat iso9660 chain efi_gop minicmd"

for tool in apt-get apt-cache dpkg grub-mkimage; do
	command -v "$tool" >/dev/null || die "$tool is missing (tools/install-deps.sh)"
done

# The version apt would download, or nothing when it does not know the package.
candidate() {
	apt-cache policy "$1" 2>/dev/null | awk '/Candidate:/ { if ($2 != "(none)") print $2; exit }'
}

ensure_arm64() {
	[ -n "$(candidate shim-signed:arm64)" ] && return 0
	[ "$(id -u)" -eq 0 ] || die "the arm64 packages are unknown to apt; run as root to add the arm64 architecture"
	if ! dpkg --print-foreign-architectures | grep -qx arm64; then
		say "adding the arm64 architecture (dpkg --add-architecture arm64)"
		dpkg --add-architecture arm64
	fi
	say "apt-get update (for the arm64 package lists)"
	apt-get update -q >&2
	[ -n "$(candidate shim-signed:arm64)" ] || die "apt still has no shim-signed:arm64 after apt-get update"
}

ensure_arm64

# The early config embedded in netbootd-grub.efi.  The placeholder plus its
# spaces are exactly 48 bytes: netbootd overwrites those bytes in place with
# its ADDR:PORT; likewise the 24 bytes of @@NETBOOTD_ARCH@@ with the client's
# platform (efi-arm64, http-x86_64, ...), which grub.cfg uses in the path of
# the machine's own configuration (daemon/loader.h).
early_config() {
	local token='@@NETBOOTD_SERVER@@' arch='@@NETBOOTD_ARCH@@'
	printf 'set netbootd_server=%s%*s\n' "$token" $((48 - ${#token})) ''
	printf 'set netbootd_arch=%s%*s\n' "$arch" $((24 - ${#arch})) ''
	cat <<'EOF'
export netbootd_server
export netbootd_arch
set timeout=0
set root=(http,$netbootd_server)
set prefix=(http,$netbootd_server)/grub
configfile (http,$netbootd_server)/grub/grub.cfg
echo "netbootd: cannot read http://$netbootd_server/grub/grub.cfg, once more"
configfile (http,$netbootd_server)/grub/grub.cfg
echo "netbootd: cannot read http://$netbootd_server/grub/grub.cfg"
sleep 10
exit
EOF
}

# The VERSIONS file this run would write.
want=$(for p in $PACKAGES; do
	v=$(candidate "$p")
	[ -n "$v" ] || die "apt knows no package $p (apt-get update?)"
	echo "$p $v"
done)

# What netbootd-grub.efi is built from besides the packages: a change to
# the early config or the module list rebuilds it.
stamp=$( (early_config; echo "$MODULES") | sha256sum | cut -d' ' -f1)

FILES="x86_64-efi/shimx64.efi x86_64-efi/grubx64.efi x86_64-efi/netbootd-grub.efi
	arm64-efi/shimaa64.efi arm64-efi/grubaa64.efi arm64-efi/netbootd-grub.efi"

complete=1
for f in $FILES; do
	[ -s "$dir/$f" ] || complete=0
done
if [ "$complete" = 1 ] && [ -f "$dir/VERSIONS" ] && [ "$(cat "$dir/VERSIONS")" = "$want" ] &&
	[ "$(cat "$dir/.netbootd-grub.stamp" 2>/dev/null)" = "$stamp" ]; then
	say "$dir is up to date:"
	sed 's/^/  /' "$dir/VERSIONS" >&2
	exit 0
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# shellcheck disable=SC2086
say "downloading:" $PACKAGES
mkdir -p "$tmp/debs"
# apt-get download runs as _apt when it can reach the directory.
chmod 755 "$tmp"
chmod 777 "$tmp/debs"
# shellcheck disable=SC2086
(cd "$tmp/debs" && apt-get download -q $PACKAGES >&2)

# Unpack one package (name[:arch]) into its own tree; prints the tree.
unpack() {
	local p=$1 name arch deb
	name=${p%%:*}
	arch=amd64
	[ "$name" != "$p" ] && arch=${p#*:}
	deb=$(find "$tmp/debs" -name "${name}_*_$arch.deb" -print -quit)
	[ -n "$deb" ] || die "apt-get download left no $name for $arch"
	mkdir -p "$tmp/root/$name.$arch"
	dpkg -x "$deb" "$tmp/root/$name.$arch"
	echo "$tmp/root/$name.$arch"
}

# One file out of a package's tree, by name (found anywhere in it).
take() {
	local tree=$1 file=$2 dest=$3 f
	f=$(find "$tree" -name "$file" \( -type f -o -type l \) -print -quit)
	[ -n "$f" ] || die "no $file in $(basename "$tree")"
	cp -L "$f" "$dest"
	say "${dest#"$new/"} <- $(basename "$tree"): ${f#"$tree"}"
}

# grub-mkimage TARGET MODULEDIR OUT
build_grub() {
	local target=$1 moddir=$2 out=$3
	[ -f "$moddir/efinet.mod" ] || die "no GRUB modules in $moddir"
	# shellcheck disable=SC2086
	grub-mkimage -O "$target" -d "$moddir" -p /grub -c "$tmp/early.cfg" -o "$out" $MODULES
	grep -qa '@@NETBOOTD_SERVER@@' "$out" || die "$out does not hold the placeholder"
	say "${out#"$new/"} <- grub-mkimage -O $target -d ${moddir#"$tmp/root/"}"
}

early_config >"$tmp/early.cfg"
new="$tmp/out"
mkdir -p "$new/x86_64-efi" "$new/arm64-efi"

take "$(unpack shim-signed)" shimx64.efi.signed "$new/x86_64-efi/shimx64.efi"
take "$(unpack grub-efi-amd64-signed)" grubnetx64.efi.signed "$new/x86_64-efi/grubx64.efi"
build_grub x86_64-efi "$(unpack grub-efi-amd64-bin)/usr/lib/grub/x86_64-efi" "$new/x86_64-efi/netbootd-grub.efi"
take "$(unpack shim-signed:arm64)" shimaa64.efi.signed "$new/arm64-efi/shimaa64.efi"
take "$(unpack grub-efi-arm64-signed:arm64)" grubnetaa64.efi.signed "$new/arm64-efi/grubaa64.efi"
build_grub arm64-efi "$(unpack grub-efi-arm64-bin:arm64)/usr/lib/grub/arm64-efi" "$new/arm64-efi/netbootd-grub.efi"
echo "$want" >"$new/VERSIONS"
echo "$stamp" >"$new/.netbootd-grub.stamp"

# Replace the files one by one (each with a rename), VERSIONS last.
mkdir -p "$dir/x86_64-efi" "$dir/arm64-efi"
for f in $FILES .netbootd-grub.stamp VERSIONS; do
	cp "$new/$f" "$dir/$f.new"
	mv "$dir/$f.new" "$dir/$f"
done
say "$dir filled:"
sed 's/^/  /' "$dir/VERSIONS" >&2
