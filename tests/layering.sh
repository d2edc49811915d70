#!/bin/sh
# The layering rule of tests/layers.txt, checked on the source tree and on
# a build of it (POSIX sh, awk, find, grep, nm).
#
#   sh tests/layering.sh [--rules FILE] SRCDIR BUILDDIR
#   sh tests/layering.sh --self-check [--cc CC] [--rules FILE] SRCDIR BUILDDIR
#
# (a) Includes: every #include "X" or <X> of a .c or .h file that names a
#     file of the tree (X relative to the including file's folder, then to
#     SRCDIR: the include root) must go to the file's own layer or one it
#     may use, and a private header (layers.txt, "private") only from its
#     own folder or below.
# (b) Symbols: every object file of the build (BUILDDIR/**/CMakeFiles/
#     <target>.dir/**/*.o, whose path mirrors its source's: that source's
#     layer) may take an undefined symbol that another object of the
#     project defines only from its own layer or one it may use. Objects
#     whose source no longer exists (moved files) are skipped.
#
# One line per violation (file, include or symbol, the two layers); known
# exceptions (layers.txt, "known") are printed too but do not fail.
# Exit status: 0 none, 1 violations, 2 usage, rule-file or setup error.
#
# --self-check proves the checker can fail: it compiles, in a temporary
# directory, an object whose source is read as if it were in mmu/, which
# includes an os/ header and calls an os/ function, and a file read as if
# in tests/ including mmu/internal.h; the checker must flag all three.
# (--extra FILE LOGICAL and --extra-obj OBJ LOGICAL, for that, add a
# source or an object read as if its source were at LOGICAL.)
set -u

usage() {
	echo "usage: $0 [--self-check [--cc CC]] [--rules FILE] SRCDIR BUILDDIR" >&2
	exit 2
}

here=$(cd "$(dirname "$0")" && pwd)
rules=
selfcheck=0
cc=${CC:-cc}
extras=
extraobjs=
nl='
'
while [ $# -gt 0 ]; do
	case $1 in
	--rules) [ $# -ge 2 ] || usage; rules=$2; shift 2 ;;
	--self-check) selfcheck=1; shift ;;
	--cc) [ $# -ge 2 ] || usage; cc=$2; shift 2 ;;
	--extra) [ $# -ge 3 ] || usage; extras="$extras$2 $3$nl"; shift 3 ;;
	--extra-obj) [ $# -ge 3 ] || usage; extraobjs="$extraobjs$2 $3$nl"; shift 3 ;;
	-*) usage ;;
	*) break ;;
	esac
done
[ $# -eq 2 ] || usage
src=$(cd "$1" 2>/dev/null && pwd) || { echo "layering: no source directory $1" >&2; exit 2; }
build=$(cd "$2" 2>/dev/null && pwd) || { echo "layering: no build directory $2" >&2; exit 2; }
[ -n "$rules" ] || rules=$here/layers.txt
[ -r "$rules" ] || { echo "layering: cannot read $rules" >&2; exit 2; }

# ---- --self-check ------------------------------------------------------
if [ $selfcheck -eq 1 ]; then
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/mmusim-layering.XXXXXX") || exit 2
	trap 'rm -rf "$tmp"' EXIT
	trap 'exit 130' INT TERM
	# An os/ header and a function an os/ object defines, whatever os/'s
	# files are called today.
	hdr=os/os.h
	if [ ! -f "$src/$hdr" ]; then
		hdr=$(cd "$src" && find os -name '*.h' ! -name internal.h | sort | head -n 1)
	fi
	sym=
	if [ -d "$build/os" ]; then
		sym=$(find "$build/os" -path '*/CMakeFiles/*.dir/*' -name '*.o' -exec nm -P {} + 2>/dev/null |
		      awk '$2 == "T" { print $1 }' | sort | head -n 1)
	fi
	if [ -z "$hdr" ] || [ -z "$sym" ]; then
		echo "layering self-check: no os/ header or no os/ object in $build (build first)" >&2
		exit 2
	fi
	cat >"$tmp/up.c" <<EOF
#include "$hdr"
extern void layering_selfcheck_target(void) __asm__("$sym");
void layering_selfcheck(void);
void layering_selfcheck(void) { layering_selfcheck_target(); }
EOF
	echo '#include "mmu/internal.h"' >"$tmp/private.c"
	$cc -std=c17 -D_GNU_SOURCE -I"$src" -c "$tmp/up.c" -o "$tmp/up.o" || {
		echo "layering self-check: cannot compile the test object with $cc" >&2
		exit 2
	}
	out=$(sh "$0" --rules "$rules" --extra "$tmp/up.c" mmu/layering_selfcheck.c \
	      --extra-obj "$tmp/up.o" mmu/layering_selfcheck.c \
	      --extra "$tmp/private.c" tests/layering_selfcheck.c "$src" "$build")
	rc=$?
	printf '%s\n' "$out" | grep -F selfcheck
	fail=0
	want() {   # a line with all of $1, $2 and $3; $4 says what it is
		if printf "%s\n" "$out" | grep -F -e "$1" | grep -F -e "$2" | grep -F -q -e "$3"; then
			echo "self-check: flagged $4"
		else
			echo "self-check: NOT flagged: $4" >&2
			fail=1
		fi
	}
	want "layering: include mmu/layering_selfcheck.c:1 $hdr: " ": mmu -> os" "" "an include upward (mmu -> os)"
	want "layering: symbol mmu/layering_selfcheck.c " ") $sym (" ": mmu -> os" "a symbol taken upward (mmu -> os)"
	want "layering: private tests/layering_selfcheck.c:1 mmu/internal.h: " "outside -> mmu" "(private to mmu/)" \
	     "a private header included from another folder"
	if [ $rc -ne 1 ]; then
		echo "self-check: the checker exited with $rc, not 1" >&2
		fail=1
	fi
	[ $fail -eq 0 ] && echo "self-check: ok"
	exit $fail
fi

# ---- the check -----------------------------------------------------------
objs=$(find "$build" -path "$build/CMakeFiles/CMakeScratch" -prune -o \
       -type f -name '*.o' -path '*/CMakeFiles/*.dir/*' -print | sort)
if [ -z "$objs" ]; then
	echo "layering: no object files under $build (build first)" >&2
	exit 2
fi
incpat='^[[:space:]]*#[[:space:]]*include[[:space:]]*["<]'

{
	sed 's/^/R /' "$rules"
	# Every file of the tree (include targets), but not a build's: any
	# directory holding a CMakeCache.txt (this build or another one, such
	# as the asan build beside the plain one) is left out.
	find "$src" \( -path "$src/.*" -o -path "$build" -o -name CMakeFiles -o \
	     \( -type d -exec test -e '{}/CMakeCache.txt' \; \) \) -prune -o -type f -print | sed 's/^/F /'
	find "$src" \( -path "$src/.*" -o -path "$build" -o -name CMakeFiles -o \
	     \( -type d -exec test -e '{}/CMakeCache.txt' \; \) \) -prune -o \
	     -type f \( -name '*.c' -o -name '*.h' \) -exec grep -H -n -E "$incpat" {} + | sed 's/^/I /'
	printf '%s' "$extras" | while read -r f logical; do
		echo "F $logical"
		grep -n -E "$incpat" "$f" | sed "s|^|I $logical:|"
	done
	printf '%s' "$extraobjs" | while read -r o logical; do
		echo "M $o $logical"
	done
	{ printf '%s\n' "$objs"; printf '%s' "$extraobjs" | while read -r o logical; do echo "$o"; done; } |
		tr '\n' '\0' | xargs -0 nm -A -P | sed 's/^/N /'
} | awk -v src="$src" -v build="$build" -v rules="$rules" '
function norm(p,    n, a, i, k, st, out) {
	n = split(p, a, "/"); k = 0
	for (i = 1; i <= n; i++) {
		if (a[i] == "" || a[i] == ".") continue
		if (a[i] == ".." && k > 0 && st[k] != "..") { k--; continue }
		st[++k] = a[i]
	}
	out = ""
	for (i = 1; i <= k; i++) out = out (i > 1 ? "/" : "") st[i]
	return out
}
function dirof(p,    i) {
	for (i = length(p); i > 0 && substr(p, i, 1) != "/"; i--) ;
	return i > 0 ? substr(p, 1, i - 1) : ""
}
function rel(p) {   # a path of the tree, from its root
	return index(p, src "/") == 1 ? substr(p, length(src) + 2) : p
}
function layerof(p,    i, best, bl) {
	best = ""; bl = -1
	for (i = 1; i <= npref; i++)
		if (index(p, pref[i]) == 1 && length(pref[i]) > bl) { best = preflayer[i]; bl = length(pref[i]) }
	return best
}
# The folder a private header may be included from ("" when it is public):
# its own, or the one a PATH:FOLDER entry names.
function privscope(p,    i, s, c) {
	for (i = 1; i <= npriv; i++) {
		s = priv[i]
		if (substr(s, 1, 1) == "*") {
			s = substr(s, 2)
			if (length(p) >= length(s) && substr(p, length(p) - length(s) + 1) == s) return dirof(p)
		} else if ((c = index(s, ":")) > 0) {
			if (p == substr(s, 1, c - 1)) return substr(s, c + 1)
		} else if (p == s) return dirof(p)
	}
	return ""
}
function tablerr(msg) { printf "layering: %s:%d: %s\n", rules, rline, msg > "/dev/stderr"; bad = 1 }
function report(kind, file, what, text,    k) {
	k = file SUBSEP what
	if (k in known) {
		knownseen[k] = 1; nknown++
		printf "layering: known %s %s  # %s\n", kind, text, known[k]
	} else {
		nviol++
		printf "layering: %s %s\n", kind, text
	}
}

# ---- the rules
$1 == "R" {
	rline++
	line = substr($0, 3); reason = ""
	if ((c = index(line, "#")) > 0) { reason = substr(line, c + 1); line = substr(line, 1, c - 1) }
	sub(/^[ \t]+/, "", reason); sub(/[ \t]+$/, "", reason)
	n = split(line, w, /[ \t]+/)
	# split drops leading blanks only with the default separator
	m = 0; for (i = 1; i <= n; i++) if (w[i] != "") t[++m] = w[i]
	if (m == 0) next
	if (t[1] == "layer") {
		if (m < 3) { tablerr("layer NAME PREFIX... may-use: NAME..."); next }
		name = t[2]
		if (name in islayer) { tablerr("layer " name " twice"); next }
		islayer[name] = 1; layers[++nlayers] = name
		for (i = 3; i <= m && t[i] != "may-use:"; i++) {
			if (t[i] in prefowner) { tablerr("prefix " t[i] " in two layers"); continue }
			prefowner[t[i]] = name; pref[++npref] = t[i]; preflayer[npref] = name
		}
		if (i == 3) tablerr("layer " name " has no prefix")
		if (i > m) { tablerr("layer " name ": no may-use:"); next }
		uses[name] = ""
		for (i++; i <= m; i++) uses[name] = uses[name] " " t[i]
		useline[name] = rline
	} else if (t[1] == "private") {
		if (m < 2) tablerr("private PATTERN...")
		for (i = 2; i <= m; i++) { priv[++npriv] = t[i]; privline[npriv] = rline }
	} else if (t[1] == "known") {
		if (m != 3) { tablerr("known FILE WHAT   # reason"); next }
		if (reason == "") { tablerr("known " t[2] " " t[3] ": no reason given (a comment)"); next }
		known[t[2] SUBSEP t[3]] = reason; knownline[t[2] SUBSEP t[3]] = rline
	} else tablerr("unknown statement " t[1])
	next
}

# ---- the tree
$1 == "F" { exists[rel(substr($0, 3))] = 1; next }
$1 == "I" { incl[++nincl] = substr($0, 3); next }
$1 == "M" { logical[$2] = $3; next }
$1 == "N" {
	# nm -A -P: "OBJECT: SYMBOL TYPE [VALUE SIZE]"
	line = substr($0, 3)
	c = index(line, ": "); obj = substr(line, 1, c - 1)
	split(substr(line, c + 2), f, " ")
	sym = f[1]; type = f[2]
	if (type ~ /^[TDBRCGSVWiu]$/) { ndef++; defobj[ndef] = obj; defsym[ndef] = sym }
	else if (type ~ /^[Uwv]$/) { nund++; undobj[nund] = obj; undsym[nund] = sym }
	next
}

# The source an object was compiled from: BUILD/D/CMakeFiles/T.dir/R.o
# comes from SRC/D/R (CMake writes ".." as "__").
function objsource(obj,    p, n, a, i, j, d, r) {
	if (obj in logical) return logical[obj]
	p = index(obj, build "/") == 1 ? substr(obj, length(build) + 2) : obj
	n = split(p, a, "/")
	for (i = n - 1; i >= 1; i--) if (a[i] == "CMakeFiles" && a[i + 1] ~ /\.dir$/) break
	if (i < 1) return ""
	d = ""; for (j = 1; j < i; j++) d = d "/" a[j]
	r = ""; for (j = i + 2; j <= n; j++) r = r "/" (a[j] == "__" ? ".." : a[j])
	sub(/\.o$/, "", r)
	return norm(d r)
}

END {
	# ---- may-use, closed transitively
	for (i = 1; i <= nlayers; i++) {
		a = layers[i]; allow[a, a] = 1
		n = split(uses[a], u, " ")
		for (j = 1; j <= n; j++) {
			if (u[j] == "*") { everything[a] = 1; for (k = 1; k <= nlayers; k++) allow[a, layers[k]] = 1; continue }
			if (u[j] ~ /\.\*$/) {
				p = substr(u[j], 1, length(u[j]) - 1)
				for (k = 1; k <= nlayers; k++) if (index(layers[k], p) == 1) allow[a, layers[k]] = 1
				continue
			}
			if (!(u[j] in islayer)) { rline = useline[a]; tablerr("layer " a " may use " u[j] ": no such layer"); continue }
			allow[a, u[j]] = 1
		}
	}
	do {
		changed = 0
		for (i = 1; i <= nlayers; i++) for (j = 1; j <= nlayers; j++) {
			if (!((layers[i], layers[j]) in allow)) continue
			for (k = 1; k <= nlayers; k++)
				if (((layers[j], layers[k]) in allow) && !((layers[i], layers[k]) in allow)) {
					allow[layers[i], layers[k]] = 1; changed = 1
				}
		}
	} while (changed)
	if (bad) exit 2
	for (i = 1; i <= npref; i++) {
		found = 0
		for (p in exists) if (index(p, pref[i]) == 1) { found = 1; break }
		if (!found) printf "layering: note: %s: layer %s: no file starts with %s\n", rules, preflayer[i], pref[i]
	}
	for (i = 1; i <= npriv; i++)
		pp = priv[i]; if (index(pp, ":")) pp = substr(pp, 1, index(pp, ":") - 1)
		if (substr(pp, 1, 1) != "*" && !(pp in exists))
			printf "layering: note: %s:%d: private %s: no such file\n", rules, privline[i], priv[i]

	# ---- every source file has a layer
	for (p in exists)
		if (p ~ /\.[ch]$/ && layerof(p) == "") { nviol++; printf "layering: unmapped %s: no layer in %s\n", p, rules }

	# ---- (a) includes
	for (i = 1; i <= nincl; i++) {
		s = incl[i]
		if (!match(s, /:[0-9]+:/)) continue
		file = rel(substr(s, 1, RSTART - 1)); lno = substr(s, RSTART + 1, RLENGTH - 2)
		text = substr(s, RSTART + RLENGTH)
		if (!match(text, /include[ \t]*["<][^">]*[">]/)) continue
		text = substr(text, RSTART, RLENGTH); sub(/^include[ \t]*/, "", text)
		q = substr(text, 1, 1); target = substr(text, 2, length(text) - 2)
		r = ""
		if (q == "\"") { c = norm(dirof(file) "/" target); if (c in exists) r = c }
		if (r == "") { c = norm(target); if (c in exists) r = c }
		if (r == "") continue   # not a file of the tree: a system header
		nchecked++
		from = layerof(file); to = layerof(r)
		if (from == "" || to == "") continue   # reported as unmapped
		if (!((from, to) in allow))
			report("include", file, r, file ":" lno " " r ": " from " -> " to)
		if ((d = privscope(r)) != "") {
			fd = dirof(file)
			if (fd != d && index(fd, d "/") != 1)
				report("private", file, r, file ":" lno " " r ": " from " -> " to " (private to " d "/)")
		}
	}

	# ---- (b) symbols
	for (i = 1; i <= ndef; i++) {
		o = defobj[i]
		if (!(o in osrc)) osrc[o] = objsource(o)
		s = osrc[o]
		if (s == "" || !(s in exists)) continue   # not a CMake object, or its source moved
		l = layerof(s)
		if (l == "") continue
		sy = defsym[i]
		if (!((sy, l) in deflayer)) { deflayer[sy, l] = 1; deflayers[sy] = deflayers[sy] " " l; defsrc[sy, l] = s }
	}
	for (i = 1; i <= nund; i++) {
		sy = undsym[i]
		if (!(sy in deflayers)) continue   # not defined by the project
		o = undobj[i]
		if (!(o in osrc)) osrc[o] = objsource(o)
		s = osrc[o]
		if (s == "" || !(s in exists)) continue
		from = layerof(s)
		if (from == "") continue
		nsyms++
		n = split(deflayers[sy], dl, " "); ok = 0
		for (j = 1; j <= n; j++) if ((from, dl[j]) in allow) ok = 1
		if (ok || ((s, sy) in seen)) continue
		seen[s, sy] = 1
		# several definitions (a test that includes a .c): name the library one
		to = dl[1]
		for (j = n; j >= 1; j--) if (!(dl[j] in everything)) to = dl[j]
		report("symbol", s, sy, s " (" rel(o) ") " sy " (" defsrc[sy, to] "): " from " -> " to)
	}

	for (k in known)
		if (!(k in knownseen)) {
			split(k, kk, SUBSEP)
			printf "layering: note: %s:%d: known %s %s no longer happens: drop the line\n", rules, knownline[k], kk[1], kk[2]
		}
	printf "layering: %d includes, %d symbol uses checked: %d violations, %d known exceptions\n",
	       nchecked, nsyms, nviol, nknown
	exit (nviol > 0 ? 1 : 0)
}'
