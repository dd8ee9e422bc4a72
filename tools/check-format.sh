#!/bin/sh
# Fail if any C file differs from what clang-format (with the committed
# .clang-format) would make of it.
set -eu
cd "$(dirname "$0")/.."
bad=0
for f in $(git ls-files --cached --others --exclude-standard '*.c' '*.h' 2>/dev/null || find lib daemon ctl tests -name '*.[ch]'); do
	if ! clang-format --dry-run --Werror "$f" >/dev/null 2>&1; then
		echo "clang-format: $f is not formatted (run: clang-format -i $f)" >&2
		bad=1
	fi
done
[ $bad -eq 0 ] && echo "clang-format: all files formatted"
exit $bad
