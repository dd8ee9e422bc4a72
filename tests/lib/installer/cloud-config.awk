# Flatten a block-style YAML cloud-config for the stand-in installer of the
# lifecycle e2e test (busybox awk; no gawk extensions):
#
#   awk -f cloud-config.awk cloud-config > flat
#
# prints one line per scalar, in document order,
#
#   PATH VALUE
#
# PATH is the keys and sequence indexes from the top, joined with "/"
# ("install/device", "stages/before-install/0/commands/1"); VALUE is the
# scalar with quotes removed, "\" written as "\\" and a line break as "\n",
# so that printf %b gives it back.  A key with no value gives an empty VALUE.
#
# What it reads: what libyaml's emitter writes in block style (netbootd
# re-emits every cloud-config so) and what people write by hand: mappings,
# sequences (indented or not under their key), "- key: value" items, plain
# scalars (also continued on more-indented lines), single- and double-quoted
# scalars (also over several lines), literal (|) and folded (>) block
# scalars, comments.  Flow collections ([a, b], {}) come out as their text;
# anchors, aliases, tags and complex keys are not understood.

function esc(s) {
	gsub(/\\/, "\\\\", s)
	gsub(/\n/, "\\n", s)
	return s
}

function join(p, k) {
	return p == "" ? k : p "/" k
}

function emit(path, val) {
	print path " " esc(val)
}

function push(typ, col, path) {
	sp++
	styp[sp] = typ
	sind[sp] = col
	spath[sp] = path
	scnt[sp] = 0
}

function rtrim(s) {
	sub(/[ \t]+$/, "", s)
	return s
}

function ltrim(s) {
	sub(/^[ \t]+/, "", s)
	return s
}

# Plain scalar text: a " #" starts a comment.
function plain(s, i) {
	i = index(s, " #")
	if (i > 0)
		s = substr(s, 1, i - 1)
	return rtrim(s)
}

# Un-escape the body of a double-quoted scalar (the common escapes).
function undq(s, out, c, n, i) {
	out = ""
	n = length(s)
	for (i = 1; i <= n; i++) {
		c = substr(s, i, 1)
		if (c != "\\" || i == n) {
			out = out c
			continue
		}
		i++
		c = substr(s, i, 1)
		if (c == "n")
			out = out "\n"
		else if (c == "t")
			out = out "\t"
		else if (c == "0")
			out = out ""
		else if (c == "e")
			out = out "\033"
		else
			out = out c
	}
	return out
}

# Length of the quoted scalar at the start of s (quote included), 0 when it
# does not end on this text.
function qlen(s, q, n, i, c) {
	n = length(s)
	for (i = 2; i <= n; i++) {
		c = substr(s, i, 1)
		if (q == "\"" && c == "\\") {
			i++
			continue
		}
		if (c != q)
			continue
		if (q == "'" && substr(s, i + 1, 1) == "'") {
			i++
			continue
		}
		return i
	}
	return 0
}

function unquote(s, q) {
	if (q == "'") {
		gsub(/''/, "'", s)
		return s
	}
	return undq(s)
}

# Close the scalar that may go on over more lines.
function flush() {
	if (open == "")
		return
	if (open == "plain")
		emit(opath, ov)
	else
		emit(opath, unquote(ov, oq))
	open = ""
}

# Fold one more line into the open scalar (YAML line folding: a line break
# between two lines is a space, an empty line a line break).
function fold(text) {
	if (text == "") {
		onl = onl "\n"
		return
	}
	ov = ov (onl != "" ? onl : (ov == "" ? "" : " ")) text
	onl = ""
}

# A scalar value that starts at the text v; minind: lines indented more
# than this continue a plain scalar.
function scalar(path, v, minind, q, n) {
	q = substr(v, 1, 1)
	if (q == "'" || q == "\"") {
		n = qlen(v, q)
		if (n > 0) {
			emit(path, unquote(substr(v, 2, n - 2), q))
			return
		}
		open = "quoted"
		oq = q
		opath = path
		ov = rtrim(substr(v, 2))
		onl = ""
		return
	}
	if (q == "|" || q == ">") {
		block = q
		bchomp = index(v, "-") > 0 ? "strip" : "clip"
		bpath = path
		bmin = minind
		bind = -1
		bv = ""
		bnl = ""
		return
	}
	open = "plain"
	opath = path
	ov = plain(v)
	onl = ""
	ominind = minind
}

# A line inside a block scalar: 1 if it belongs to it.
function block_line(line, col, text) {
	text = line
	sub(/^ +/, "", text)
	col = length(line) - length(text)
	if (text == "") {
		bnl = bnl "\n"
		return 1
	}
	if (col <= bmin)
		return 0
	if (bind < 0)
		bind = col
	if (col < bind)
		return 0
	text = substr(line, bind + 1)
	if (bv == "")
		bv = text
	else if (block == "|")
		bv = bv "\n" bnl text
	else
		bv = bv (bnl != "" ? bnl : " ") text
	bnl = ""
	return 1
}

function block_end() {
	emit(bpath, bv (bchomp == "clip" && bv != "" ? "\n" : ""))
	block = ""
}

# A key or "-" with its value on the next lines (or none).
function pending(path, col, iskey) {
	pend = 1
	ppath = path
	pcol = col
	pkey = iskey
}

# The content "text" of a line, starting at column col.
function content(col, text, path, rest, n, key, q, v) {
	if (pend != "") {
		# Under a key, a sequence may start at the key's own column.
		if (col > pcol || (pkey && col == pcol && text ~ /^-( |$)/))
			push(text ~ /^-( |$)/ ? "s" : "m", col, ppath)
		else
			emit(ppath, "")
		pend = ""
	}
	while (sp > 0 && (sind[sp] > col || (sind[sp] == col && styp[sp] == "s" && text !~ /^-( |$)/)))
		sp--
	if (text ~ /^-( |$)/) {
		if (sp == 0 || styp[sp] != "s" || sind[sp] != col)
			push("s", col, sp == 0 ? "" : spath[sp])
		path = join(spath[sp], scnt[sp]++)
		rest = substr(text, 2)
		n = length(rest)
		rest = ltrim(rest)
		n = n - length(rest) + 1
		if (rest == "" || rest ~ /^#/) {
			pending(path, col, 0)
			return
		}
		if (rest ~ /^-( |$)/ || is_key(rest)) {
			pending(path, col, 0)
			content(col + n, rest)
			return
		}
		scalar(path, rest, col)
		return
	}
	if (!is_key(text))
		return
	if (sp == 0 || sind[sp] != col || styp[sp] != "m")
		push("m", col, sp == 0 ? "" : spath[sp])
	path = join(spath[sp], kname)
	v = ltrim(substr(text, klen + 1))
	if (v == "" || v ~ /^#/) {
		pending(path, col, 1)
		return
	}
	scalar(path, v, col)
}

# Is text "key:" or "key: value"?  Sets kname and klen (through the colon).
function is_key(text, q, n, c) {
	q = substr(text, 1, 1)
	if (q == "'" || q == "\"") {
		n = qlen(text, q)
		if (n == 0 || substr(text, n + 1, 1) != ":")
			return 0
		c = substr(text, n + 2, 1)
		if (c != "" && c != " ")
			return 0
		kname = unquote(substr(text, 2, n - 2), q)
		klen = n + 1
		return 1
	}
	if (q ~ /[#{\[&*!|>%@`]/)
		return 0
	n = match(text, /:( |$)/)
	if (n == 0)
		return 0
	kname = rtrim(substr(text, 1, n - 1))
	klen = n
	return 1
}

BEGIN {
	sp = 0
	pend = ""
	open = ""
	block = ""
}

{
	line = $0
	sub(/\r$/, "", line)
	if (block != "") {
		if (block_line(line))
			next
		block_end()
	}
	text = line
	sub(/^ +/, "", text)
	col = length(line) - length(text)
	if (open == "quoted") {
		if (text == "") {
			onl = onl "\n"
			next
		}
		n = qlen(oq text, oq)
		if (n == 0) {
			fold(rtrim(text))
			next
		}
		fold(substr(text, 1, n - 2))
		emit(opath, unquote(ov, oq))
		open = ""
		next
	}
	if (open == "plain") {
		if (text == "") {
			onl = onl "\n"
			next
		}
		if (col > ominind && text !~ /^#/) {
			fold(plain(text))
			next
		}
		flush()
	}
	if (text == "" || text ~ /^#/ || line ~ /^(---|\.\.\.)( |$)/)
		next
	content(col, rtrim(text))
}

END {
	if (block != "")
		block_end()
	flush()
	if (pend != "")
		emit(ppath, "")
}
