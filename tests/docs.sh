#!/bin/sh
# What a user reads and installs: every command's --help (usage on
# standard output, status 0), the man page (renders without a warning),
# `cmake --install` (the binary, presets, man page, documentation and
# examples, in place, and an installed mmusim that finds its presets and
# guests beside it).
# usage: docs.sh MMUSIM SOURCE_DIR BUILD_DIR CMAKE
. "$(dirname "$0")/lib.sh"
MMUSIM=$1 SRC=$2 BUILD=$3 CMAKE=$4
cd "$tmp" || exit 1

for cmd in demo presets run replay sweep view quiz convert; do
	for flag in --help -h; do
		"$MMUSIM" $cmd $flag >out 2>err
		rc=$?
		[ $rc = 0 ] && head -1 out | grep -q "^usage: mmusim $cmd" && [ ! -s err ] && pass ||
			fail "mmusim $cmd $flag: exit $rc, $(head -1 out) $(cat err)"
	done
done
"$MMUSIM" --help | grep -q "^  sweep " && pass || fail "mmusim --help does not list sweep"
# After the program, --help is the program's.
"$MMUSIM" run "$BUILD/guests/x86_64/hello" --help >out 2>&1
[ "$(cat out)" = "hello, world" ] && pass || fail "run PROGRAM --help: $(cat out)"
"$MMUSIM" run --preset skylake --help | grep -q "^usage: mmusim run" && pass || fail "run --preset NAME --help"

# The man page: groff's warnings all on (-ww), none may appear.
LC_ALL=C.UTF-8 groff -man -Tutf8 -ww -z "$SRC/docs/mmusim.1" >out 2>&1 && [ ! -s out ] && pass ||
	fail "man page: $(cat out)"
LC_ALL=C.UTF-8 groff -man -Tutf8 -P-cbou "$SRC/docs/mmusim.1" 2>/dev/null | grep -q "OPTIONS OF SWEEP" && pass ||
	fail "man page does not render its sections"
for cmd in demo presets run replay sweep view quiz convert; do
	grep -q "^\.B $cmd\$" "$SRC/docs/mmusim.1" || fail "man page: no $cmd in the synopsis"
done
if command -v man >/dev/null; then
	MANWIDTH=80 man --warnings -l "$SRC/docs/mmusim.1" >/dev/null 2>out && [ ! -s out ] && pass || fail "man -l: $(cat out)"
fi

# cmake --install into a fresh prefix.
"$CMAKE" --install "$BUILD" --prefix "$tmp/prefix" >install.log 2>&1 || fail "cmake --install: $(tail -3 install.log)"
for f in bin/mmusim share/man/man1/mmusim.1 share/mmusim/presets/skylake.json share/mmusim/presets/cortex-a76.json \
	share/mmusim/presets/apple16k.json share/mmusim/guests/x86_64/mmap_write share/mmusim/guests/aarch64/fork_cow \
	share/doc/mmusim/README.md share/doc/mmusim/tutorial.md share/doc/mmusim/sweep.md share/doc/mmusim/chrome-trace.md \
	share/doc/mmusim/trace-format.md share/doc/mmusim/event-log.md share/doc/mmusim/presets.md \
	share/doc/mmusim/examples/fork-cow.jsonl share/doc/mmusim/examples/tlb-reach.jsonl \
	share/doc/mmusim/examples/guests/fork_cow.c; do
	[ -f "prefix/$f" ] || fail "not installed: $f"
done
[ -x prefix/bin/mmusim ] && [ -x prefix/share/mmusim/guests/x86_64/mmap_write ] && pass || fail "not executable"
# The installed binary, with the source tree out of its way, finds its
# presets and guests under the prefix.
unset MMUSIM_PRESETS
mv prefix moved
moved/bin/mmusim presets 2>&1 | grep -q "^skylake " && pass || fail "installed mmusim lists no presets"
moved/bin/mmusim replay moved/share/doc/mmusim/examples/fork-cow.jsonl --stats | grep -q "^faults        3" && pass ||
	fail "installed mmusim cannot replay an installed example"
moved/bin/mmusim demo 2>&1 | grep -q "^fault #" && pass || fail "installed demo finds no guest"

finish docs
