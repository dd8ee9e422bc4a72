#!/bin/sh
# List C functions longer than MAX lines (default 60) in lib/ daemon/ ctl/:
# a function runs from its "{" at column 0 to its "}" at column 0 (the house
# style, enforced by clang-format).  Exits 1 if any is found.
#   tools/function-lengths.sh [MAX]
set -eu
cd "$(dirname "$0")/.."
max=${1:-60}
{ git ls-files --cached --others --exclude-standard 'lib/*.c' 'daemon/*.c' 'ctl/*.c' 2>/dev/null ||
    find lib daemon ctl -name '*.c'; } | sort -u | xargs awk -v max="$max" '
	FNR == 1 { name = "" }
	/^[A-Za-z_][A-Za-z0-9_]*\(/ { name = $0; sub(/\(.*/, "", name) }
	/^\{/ { start = FNR }
	/^\}/ && start {
		n = FNR - start + 1
		if (n > max) { printf "%s:%d: %s: %d lines\n", FILENAME, start, name, n; bad = 1 }
		start = 0
	}
	END { exit bad }'
