# shellcheck shell=bash
# Pass/fail bookkeeping for the integration tests (source from bash; it
# sources common.sh for the cleanup stack and the namespace helpers).
#
#   ok MSG               print "ok: MSG", count a passed check
#   bad MSG              print "FAIL: MSG", count a failed check
#   check WHAT CMD...    run CMD: ok WHAT when it succeeds, else bad WHAT
#   quiet CMD...         CMD with its output thrown away (check WHAT quiet CMD:
#                        a redirect after check would hide the ok/FAIL line)
#   check_summary [CMD...]
#                        when a check failed, run CMD (e.g. dump a log);
#                        print "N checks passed, M failed"; return 1 when
#                        any failed (end a test with it).  It counts every
#                        ok and bad, also those run in subshells (a tally
#                        file), while FAILS counts this shell's only
#   fake_squashfs N      print a stand-in rootfs.squashfs: a squashfs super
#                        block that passes netbootd's checks, then N random
#                        bytes (fake_squashfs_super SIZE: the super block
#                        alone, for a file of SIZE bytes)
# Integration tests print plain "SKIP: ..." lines (E2E_PLAIN), not the e2e ones.
E2E_PLAIN=${E2E_PLAIN:-1}

# shellcheck source=tests/lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/common.sh"

CHECKS=0
FAILS=0
CHECK_TALLY=$(mktemp /tmp/check-tally.XXXXXX)
cleanup_push "rm -f '$CHECK_TALLY'"

ok() {
	echo "ok: $*"
	echo ok >>"$CHECK_TALLY"
	CHECKS=$((CHECKS + 1))
}

bad() {
	echo "FAIL: $*"
	echo FAIL >>"$CHECK_TALLY"
	FAILS=$((FAILS + 1))
}

check() {
	local what=$1
	shift
	if "$@"; then ok "$what"; else bad "$what"; fi
}

quiet() {
	"$@" >/dev/null
}

check_summary() {
	local passed failed
	passed=$(grep -c '^ok$' "$CHECK_TALLY" || true)
	failed=$(grep -c '^FAIL$' "$CHECK_TALLY" || true)
	if [ "$failed" -gt 0 ] && [ $# -gt 0 ]; then
		"$@" || true
	fi
	echo "$passed checks passed, $failed failed"
	[ "$failed" -eq 0 ]
}

# A squashfs 4.0 super block (96 bytes) that passes squashfs_super_check()
# for a file of SIZE bytes: gzip, 128 KiB blocks, one inode, one ID, the
# tables right after it.  Not a file system anyone can mount.
fake_squashfs_super() {
	python3 -c 'import struct, sys
s = int(sys.argv[1]); none = 2**64 - 1
sys.stdout.buffer.write(struct.pack("<IIIIIHHHHHHQQQQQQQQ", 0x73717368, 1, 0, 131072, 0,
    1, 17, 0, 1, 4, 0, 0, s, 98, none, 96, 97, none, none))' "$1"
}

# That super block and N random bytes after it (a stand-in rootfs.squashfs).
fake_squashfs() {
	fake_squashfs_super $(($1 + 96))
	head -c "$1" /dev/urandom
}
