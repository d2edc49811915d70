#!/bin/sh
# The classroom view, headless: event logs made here from guest runs on
# both architectures and a replayed trace, checked by test_gui (walk path
# pixels, forward-then-back, fork sharing links, a dynamic pipeline's
# shared page cache, VMAs moved by mremap); `mmusim view --headless
# --frames` writes the same PNG bytes twice; a malformed log gets one line
# "file:line: reason" and status 2.
# usage: gui.sh MMUSIM TEST_GUI GUEST_DIR SOURCE_DIR
. "$(dirname "$0")/lib.sh"
MMUSIM=$1 TEST_GUI=$2 GUESTS=$3 SRC=$4
cd "$tmp" || exit 1

for arch in x86_64 aarch64; do
	for g in fork_cow mmap_write mremap_fork; do
		"$MMUSIM" run --events "$arch-$g.jsonl" "$GUESTS/$arch/$g" >/dev/null 2>&1 || fail "run $arch $g: exit $?"
	done
done
"$MMUSIM" replay "$SRC/traces/examples/zero-then-cow.jsonl" --events replay.jsonl || fail "replay: exit $?"
"$MMUSIM" run --preset apple16k --events a16.jsonl "$GUESTS/aarch64/fork_cow" >/dev/null 2>&1 || fail "run 16K: exit $?"
"$MMUSIM" run --events segv.jsonl "$GUESTS/x86_64/segv_bad_address" >/dev/null 2>&1

if "$TEST_GUI" --fork x86_64-fork_cow.jsonl --fork aarch64-fork_cow.jsonl x86_64-mmap_write.jsonl \
	aarch64-mmap_write.jsonl replay.jsonl a16.jsonl segv.jsonl --mremap x86_64-mremap_fork.jsonl \
	--mremap aarch64-mremap_fork.jsonl; then
	pass
else
	fail "test_gui"
fi

# A dynamic pipeline (the host's /bin/sh, ls and sort, x86-64 only): libc's
# pages in several processes, marked in the frames and named on the title.
if [ "$(uname -m)" = x86_64 ] && [ -x /bin/sh ] && [ -x /bin/ls ] && command -v sort >/dev/null &&
   "$MMUSIM" run --events dyn.jsonl /bin/sh -c 'ls / | sort' >/dev/null 2>&1; then
	"$TEST_GUI" --cache-share dyn.jsonl && pass || fail "test_gui --cache-share (sh -c 'ls / | sort')"
else
	echo "gui: no dynamic x86-64 /bin/sh to run here: the page-cache sharing check is skipped"
fi

# The same log gives the same PNG bytes; one file a fault, PNGs.
"$MMUSIM" view --headless --frames a --first 1 --last 3 x86_64-fork_cow.jsonl || fail "view --frames: exit $?"
"$MMUSIM" view --headless --frames b --first 1 --last 3 x86_64-fork_cow.jsonl || fail "view --frames: exit $?"
if [ "$(ls a)" = "$(printf 'fault-00001.png\nfault-00002.png\nfault-00003.png')" ] && cmp -s a/fault-00002.png b/fault-00002.png &&
   [ "$(head -c 8 a/fault-00001.png | od -An -c | tr -d ' ')" = "211PNG\r\n032\n" ]; then
	pass
else
	fail "view --headless --frames: files $(ls a | tr '\n' ' '), not the same bytes twice or not PNG"
fi

# --layout: the cells of the walk, one a line.
"$MMUSIM" view --headless --layout --fault 2 replay.jsonl >layout || fail "view --layout: exit $?"
if grep -q "^step 2 pid 1$" layout && grep -q "^cell table 0x[0-9a-f]* index [0-9]* level 3 walk " layout; then
	pass
else
	fail "view --layout:"; cat layout
fi

# --hover X,Y: the mouse over the TLB slot the fault's retry filled, and
# over a VMA: their boxes, in --layout's strings.
"$MMUSIM" view --headless --layout --fault 5 x86_64-fork_cow.jsonl >lay5 || fail "view --layout: exit $?"
set -- $(grep "^slot L1d .* filled " lay5 | head -1) x x x x x x x x x x x
"$MMUSIM" view --headless --layout --hover "$((${10} + 1)),$((${11} + 1))" --fault 5 x86_64-fork_cow.jsonl >hov ||
	fail "view --hover: exit $?"
if grep -q "^text .* L1 dTLB .* set $6 way $8" hov && grep -q "^text .* VPN 0x[0-9a-f]* → PFN 0x[0-9a-f]*" hov &&
   grep -q "^text .* ASID [0-9]* (pid 1)" hov && grep -q "^text .* filled by fault 5's retry" hov && grep -q "^hover " hov; then
	pass
else
	fail "view --hover over the filled slot $*:"; grep -E "^(text|hover)" hov | tail -8
fi
set -- $(grep "^vma " lay5 | tail -1) x x x x x x
"$MMUSIM" view --headless --layout --hover "$(($5 + 1)),$(($6 + 1))" --fault 5 x86_64-fork_cow.jsonl >hov2
grep -q "^text .* VMA $4 " hov2 && pass || { fail "view --hover over VMA $4:"; grep -E "^(text|hover)" hov2 | tail -4; }
"$MMUSIM" view --headless --layout --hover 3 --fault 5 x86_64-fork_cow.jsonl 2>err
[ $? -eq 2 ] && grep -q "needs X,Y" err && pass || fail "--hover 3: not a usage error"

# mmusim quiz: the same seed the same questions, another seed others; -c
# adds the answers and nothing else changes.
"$MMUSIM" quiz x86_64-fork_cow.jsonl -s 7 -n 6 >q1 && "$MMUSIM" quiz x86_64-fork_cow.jsonl -s 7 -n 6 >q2 &&
	"$MMUSIM" quiz x86_64-fork_cow.jsonl -s 8 -n 6 >q3 && "$MMUSIM" quiz x86_64-fork_cow.jsonl -s 7 -n 6 -c >qc ||
	fail "quiz: exit $?"
if cmp -s q1 q2 && ! cmp -s q1 q3 && [ "$(grep -c '^[0-9]\. ' q1)" -eq 6 ] && ! grep -q "Answer:" q1 &&
   [ "$(grep -c '^  Answer:' qc)" -ge 6 ] && [ "$(grep -v '^  Answer:' qc | grep -v '^The answers' | md5sum)" = "$(grep -v '^The answers' q1 | md5sum)" ]; then
	pass
else
	fail "quiz:"; cat q1 qc
fi
"$MMUSIM" quiz x86_64-fork_cow.jsonl -n 0 2>err; [ $? -eq 2 ] && pass || fail "quiz -n 0: not a usage error"

# --gif: an animated GIF of a range of faults, the same bytes twice.
"$MMUSIM" view --headless --gif a.gif --first 2 --last 3 --lecture --size 800x600 x86_64-fork_cow.jsonl ||
	fail "view --gif: exit $?"
"$MMUSIM" view --headless --gif b.gif --first 2 --last 3 --lecture --size 800x600 x86_64-fork_cow.jsonl
if [ "$(head -c 6 a.gif)" = GIF89a ] && [ "$(tail -c 1 a.gif | od -An -tx1 | tr -d ' ')" = 3b ] && cmp -s a.gif b.gif &&
   [ "$(wc -c <a.gif)" -gt 10000 ]; then
	pass
else
	fail "view --gif: not a GIF, or not the same bytes twice"
fi

# --lecture and --predict: the panels and strings in --layout, none dropped.
"$MMUSIM" view --headless --layout --lecture --predict --size 800x600 --fault 2 replay.jsonl >layout2 ||
	fail "view --lecture --layout: exit $?"
if grep -q "^panel tables " layout2 && grep -q "^panel fault " layout2 && grep -q "^text pt [0-9]* " layout2 &&
   grep -q "^dropped 0$" layout2 && grep -q "predict" layout2; then
	pass
else
	fail "view --lecture --predict --layout:"; cat layout2
fi
"$MMUSIM" run --lecture "$GUESTS/x86_64/hello" >/dev/null 2>err
[ $? -eq 2 ] && grep -q "go with --view" err && pass || fail "run --lecture without --view: not a usage error"

# The window (on SDL's offscreen driver), driven by scripted keys: steps,
# a screenshot, another process, help, play; q quits with status 0.
MMUSIM_VIEW_KEYS="right right left s tab ? end home plus minus space space l p r l k j n v x q" SDL_VIDEODRIVER=offscreen \
	"$MMUSIM" view x86_64-fork_cow.jsonl 2>err
st=$?
if [ $st -eq 0 ] && [ -s mmusim-fault-00002.png ] && grep -q "saved mmusim-fault-00002.png" err; then
	pass
else
	fail "the window: status $st"; cat err
fi

# Live: run --view and replay --view; the guest's output passes through,
# the status is the guest's, the frames are those of the log.
"$MMUSIM" run --view --headless --frames live "$GUESTS/aarch64/mmap_write" >out 2>err
st=$?
"$MMUSIM" run --events live.jsonl "$GUESTS/aarch64/mmap_write" >out2 2>&1   # stdout a file too: glibc buffers by its kind
n=$(grep -c '"ev":"fault"' live.jsonl)
if [ $st -eq 0 ] && [ "$(cat out)" = A ] && [ "$(ls live | wc -l)" -eq "$n" ] && [ "$n" -gt 0 ]; then
	pass
else
	fail "run --view --headless: status $st, output '$(cat out)', $(ls live | wc -l) frames for $n faults"; cat err
fi
"$MMUSIM" run --view --headless --frames live2 "$GUESTS/x86_64/segv_bad_address" >/dev/null 2>&1
st=$?
[ $st -eq 139 ] && [ -s live2/fault-00001.png ] && pass || fail "run --view of a SIGSEGV: status $st"
MMUSIM_VIEW_KEYS="right end left q" SDL_VIDEODRIVER=offscreen \
	"$MMUSIM" replay "$SRC/traces/examples/fork-cow.jsonl" --view 2>err
st=$?
[ $st -eq 0 ] && [ ! -s err ] && pass || { fail "replay --view: status $st"; cat err; }
"$MMUSIM" replay "$SRC/traces/examples/fork-cow.jsonl" --view --events x.jsonl 2>err
[ $? -eq 2 ] && pass || fail "replay --view --events: not a usage error"

# A view closed while the run goes on ends it quietly: status 0, nothing on
# stderr (it used to be SIGTERM, which the run notes on stderr, and exits
# 143, or not, as the race with the pipe's closing went: the test failed
# now and then under load).
MMUSIM_VIEW_KEYS="right q" SDL_VIDEODRIVER=offscreen "$MMUSIM" run --view "$GUESTS/x86_64/compute" >/dev/null 2>err
st=$?
[ $st -eq 0 ] && [ ! -s err ] && pass || { fail "run --view closed early: status $st"; cat err; }

# Malformed logs: one line naming the file and line, status 2.
head -3 x86_64-mmap_write.jsonl >bad-json.jsonl
echo '{"seq":3,"ev":"pte","pid":1,' >>bad-json.jsonl
head -2 x86_64-mmap_write.jsonl >bad-field.jsonl
echo '{"seq":2,"ev":"pte","pid":1,"level":3,"table":12,"index":0,"va":"0x0","old":"0x0","new":"0x1"}' >>bad-field.jsonl
echo '{"hello":1}' >bad-header.jsonl
: >empty.jsonl
malformed() {
	file=$1 want=$2
	"$MMUSIM" view --headless --frames out "$file" >out 2>err
	st=$?
	if [ $st -eq 2 ] && [ "$(wc -l <err)" -eq 1 ] && grep -q "^mmusim: $want" err && [ ! -s out ]; then
		pass
	else
		fail "$file: status $st, stderr:"; cat err
	fi
}
malformed bad-json.jsonl "bad-json.jsonl:4: not valid JSON"
malformed bad-field.jsonl 'bad-field.jsonl:3: "table" is not a hex string'
malformed bad-header.jsonl "bad-header.jsonl:1: not an mmusim event log"
malformed empty.jsonl "empty.jsonl:1: empty"
malformed missing.jsonl "missing.jsonl: No such file"
"$MMUSIM" view --headless x86_64-mmap_write.jsonl 2>err
[ $? -eq 2 ] && grep -q "needs --frames" err && pass || fail "--headless without --frames"

# The drawing code is a module loaded on use (sim/draw.h): a binary without
# it still runs guests, and says in one line why it cannot show a view.
mkdir lone && cp "$MMUSIM" lone/
lone/mmusim run "$GUESTS/x86_64/hello" >out 2>err && grep -q "hello, world" out && pass ||
	fail "run without mmusim-draw.so"
lone/mmusim view --headless --frames c x86_64-mmap_write.jsonl 2>err
st=$?
if [ $st -eq 1 ] && [ "$(wc -l <err)" -eq 1 ] && grep -q "cannot load the drawing module" err; then
	pass
else
	fail "view without mmusim-draw.so: status $st, stderr:"; cat err
fi

finish gui
