#!/bin/sh
# The binary trace form as a user meets it: `mmusim convert --to binary`
# and back (`--to jsonl`) gives the canonical JSON Lines again; `mmusim
# replay` of a binary trace gives the same --stats and the same event log
# as of its JSON Lines source (only the header's "input" differs), for every
# example on both architectures and for traces recorded from guests (run
# --record); malformed binary files are refused with one line
# "FILE:OFFSET: reason", exit status 2 and no output left behind.
# usage: bintrace_cli.sh MMUSIM SOURCE_DIR GUEST_DIR
. "$(dirname "$0")/lib.sh"
MMUSIM=$1
SRC=$2
GUESTS=$3
EX=$SRC/traces/examples
export MMUSIM_PRESETS="$SRC/presets"
mkdir "$tmp/tmpdir"
TMPDIR=$tmp/tmpdir
export TMPDIR

# round_trip JSONL: canonical form, binary, back.
round_trip() {
	"$MMUSIM" convert --to jsonl "$1" "$tmp/canon.jsonl" &&
		"$MMUSIM" convert --to binary "$1" "$tmp/t.mtr" &&
		"$MMUSIM" convert --to jsonl "$tmp/t.mtr" "$tmp/back.jsonl" || { fail "convert $1"; return 1; }
	cmp -s "$tmp/canon.jsonl" "$tmp/back.jsonl" && pass || fail "$1: JSON Lines -> binary -> JSON Lines differs"
	# The binary form of the canonical text is the same bytes again.
	"$MMUSIM" convert --to binary "$tmp/canon.jsonl" "$tmp/t2.mtr"
	cmp -s "$tmp/t.mtr" "$tmp/t2.mtr" && pass || fail "$1: binary form depends on the spelling"
	[ "$(head -c 4 "$tmp/t.mtr" | od -A n -t x1 | tr -d ' ')" = "894d5452" ] && pass || fail "$1: magic"
}

# same_replay JSONL MTR [options]: the two replays agree.
same_replay() {
	j=$1 b=$2
	shift 2
	for f in j b; do
		eval "in=\$$f"
		rm -rf "$tmp/root-$f"; mkdir "$tmp/root-$f"
		"$MMUSIM" replay "$in" --root "$tmp/root-$f" --events "$tmp/ev-$f" --stats "$@" >"$tmp/st-$f" 2>"$tmp/err-$f"
		echo $? >"$tmp/rc-$f"
	done
	if [ "$(cat "$tmp/rc-j")" != 0 ] || [ "$(cat "$tmp/rc-b")" != 0 ]; then
		fail "replay of $j: status $(cat "$tmp/rc-j") (jsonl) $(cat "$tmp/rc-b") (binary)"; cat "$tmp/err-j" "$tmp/err-b"
		return
	fi
	cmp -s "$tmp/st-j" "$tmp/st-b" && [ -s "$tmp/st-j" ] && pass || fail "$j: --stats differ"
	cmp -s "$tmp/err-j" "$tmp/err-b" && pass || fail "$j: messages differ"
	tail -n +2 "$tmp/ev-j" >"$tmp/ev-j.body"
	tail -n +2 "$tmp/ev-b" >"$tmp/ev-b.body"
	cmp -s "$tmp/ev-j.body" "$tmp/ev-b.body" && grep -q '"ev":"fault"' "$tmp/ev-j.body" && pass ||
		fail "$j: event logs differ"
	# The headers differ in the input's name alone.
	head -1 "$tmp/ev-j" | sed 's/"input":"[^"]*"//' >"$tmp/h-j"
	head -1 "$tmp/ev-b" | sed 's/"input":"[^"]*"//' >"$tmp/h-b"
	cmp -s "$tmp/h-j" "$tmp/h-b" && pass || fail "$j: event log headers differ beyond the input"
}

for t in "$EX"/*.jsonl; do
	for arch in x86-64 aarch64; do
		sed "1s/\"arch\":\"x86-64\"/\"arch\":\"$arch\"/" "$t" >"$tmp/ex.jsonl"
		round_trip "$tmp/ex.jsonl" || continue
		cp "$tmp/t.mtr" "$tmp/ex.mtr"
		same_replay "$tmp/ex.jsonl" "$tmp/ex.mtr" --swap 8M
	done
done

# Traces recorded from guests (timing and functional mode, a fork, files,
# signals): the binary form replays them exactly as their JSON Lines.
record() {
	arch=$1 name=$2
	shift 2
	rm -rf "$tmp/g"; mkdir "$tmp/g"
	(cd "$tmp/g" && "$MMUSIM" run --record "$tmp/rec.jsonl" "$@" "$GUESTS/$arch/$name" >/dev/null 2>&1)
	head -1 "$tmp/rec.jsonl" | grep -q '"recorded":true' || { fail "record $arch/$name"; return; }
	round_trip "$tmp/rec.jsonl" || return
	cp "$tmp/t.mtr" "$tmp/rec.mtr"
	same_replay "$tmp/rec.jsonl" "$tmp/rec.mtr"
}
record x86_64 fork_cow
record aarch64 file_shared
record x86_64 signals
record aarch64 execve --mode functional

# Standard input: the binary form is detected there too.
"$MMUSIM" replay - --stats <"$tmp/rec.mtr" >"$tmp/stdin-st" 2>/dev/null && cmp -s "$tmp/stdin-st" "$tmp/st-b" && pass ||
	fail "binary trace on standard input"

# Malformed binary traces: one line naming the file and the offset, status
# 2, no event log left.
# refused FILE PATTERN
refused() {
	rm -f "$tmp/bad-ev"
	"$MMUSIM" replay "$1" --events "$tmp/bad-ev" >"$tmp/out" 2>"$tmp/err"
	st=$?
	if [ $st -eq 2 ] && [ ! -s "$tmp/out" ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q -- "$2" "$tmp/err" &&
	   [ ! -e "$tmp/bad-ev" ]; then
		pass
	else
		fail "$(basename "$1"): status $st, expected 2 and \"$2\""; cat "$tmp/err"
	fi
}
B=$tmp/rec.mtr
size=$(wc -c <"$B")
head -c $((size - 1)) "$B" >"$tmp/cut1.mtr"
refused "$tmp/cut1.mtr" "cut1.mtr:[0-9]*: truncated"
head -c $((size / 2)) "$B" >"$tmp/half.mtr"
refused "$tmp/half.mtr" "half.mtr:[0-9]*: "
head -c 6 "$B" >"$tmp/head6.mtr"
refused "$tmp/head6.mtr" "head6.mtr:6: truncated header"
{ printf '\211MTX'; tail -c +5 "$B"; } >"$tmp/magic.mtr"
refused "$tmp/magic.mtr" "magic.mtr:0: not a trace: bad magic"
{ head -c 8 "$B"; printf '\007'; tail -c +10 "$B"; } >"$tmp/version.mtr"
refused "$tmp/version.mtr" "version.mtr:8: unsupported binary version 7"
{ head -c 9 "$B"; printf '\011'; tail -c +11 "$B"; } >"$tmp/arch.mtr"
refused "$tmp/arch.mtr" "arch.mtr:9: unknown arch 9"
# A hand-made trace: header (x86-64, no comment), a switch to pid 0 (out
# of range: keys 0x08 = pid, value 0), an end record.
printf '\211MTR\r\n\032\n\001\001\000\000\053\010\000\377\001' >"$tmp/pid0.mtr"
refused "$tmp/pid0.mtr" "pid0.mtr:12: \"pid\" must be 1 to 2147483647"
# ... and a valid one whose replay fails: a switch to a process that does
# not exist, named by its offset like any other error in the trace.
printf '\211MTR\r\n\032\n\001\001\000\000\053\010\011\377\001' >"$tmp/nopid.mtr"
refused "$tmp/nopid.mtr" "nopid.mtr:12: process 9 does not exist"

# convert: usage and bad input.
"$MMUSIM" convert --to xml "$B" "$tmp/x" 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "cannot convert to 'xml'" "$tmp/err" && pass || fail "convert --to xml"
"$MMUSIM" convert --to binary --from lackey "$B" "$tmp/x" 2>"$tmp/err"
[ $? -eq 2 ] && grep -q "not both" "$tmp/err" && pass || fail "convert --to with --from"
"$MMUSIM" convert --to jsonl "$tmp/cut1.mtr" "$tmp/x.jsonl" 2>"$tmp/err"
[ $? -eq 2 ] && [ "$(wc -l <"$tmp/err")" -eq 1 ] && grep -q "cut1.mtr:[0-9]*: truncated" "$tmp/err" &&
	[ ! -e "$tmp/x.jsonl" ] && [ -z "$(ls "$tmp" | grep '^x\.jsonl')" ] && pass || fail "convert of a truncated trace"

finish bintrace_cli
