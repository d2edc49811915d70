#!/bin/sh
# --chrome-trace on run and replay: a trace Perfetto opens, with a track per
# process, every fault as a slice with its details, system calls; and the
# fault inspector's colour (--color, NO_COLOR on a terminal).
# usage: chrome_trace.sh MMUSIM CHROME_CHECK GUEST_DIR SOURCE_DIR
. "$(dirname "$0")/lib.sh"
MMUSIM=$1 CHECK=$2 GUESTS=$3 SRC=$4
cd "$tmp" || exit 1

# fork_cow: a parent and a child (two tracks), copy-on-write faults,
# clone (glibc's fork), wait4 and exit_group calls.
for arch in x86_64 aarch64; do
	"$MMUSIM" run --chrome-trace t.json --stats-json s.json "$GUESTS/$arch/fork_cow" >/dev/null 2>err ||
		{ fail "$arch fork_cow exit $?: $(cat err)"; continue; }
	"$CHECK" t.json s.json 2 clone wait4 exit_group || fail "$arch chrome trace"
	grep -q '"name":"[a-z]* fault: wp_copy"' t.json || fail "$arch: no copy-on-write fault slice"
	grep -q '"clock_ghz":[34]' t.json || fail "$arch: the preset's clock not used"
	pass
done

# --cpus 2: a track per CPU, the shootdown of the page a worker uses on
# the initiator's track and the flush on the worker's CPU's.
"$MMUSIM" run --cpus 2 --chrome-trace c.json --stats-json cs.json "$GUESTS/x86_64/shootdown" >/dev/null 2>err ||
	fail "--cpus 2 shootdown exit $?: $(cat err)"
"$CHECK" c.json cs.json 1 && grep -q '"name":"shootdown (ipi+invlpg)","cat":"cpu","ph":"X","pid":0,"tid":0' c.json &&
	grep -q '"name":"TLB flush (shootdown)","cat":"cpu","ph":"X","pid":0,"tid":1' c.json &&
	grep -q '"tid":1,"args":{"name":"CPU 1"}' c.json && pass || fail "--cpus 2: no CPU tracks or shootdown slices"

# A replay: the same processes and faults, no system calls.
"$MMUSIM" replay "$SRC/traces/examples/fork-cow.jsonl" --chrome-trace r.json --stats-json rs.json >/dev/null ||
	fail "replay --chrome-trace exit $?"
"$CHECK" r.json rs.json 2 && pass || fail "replay chrome trace"
! grep -q '"cat":"syscall"' r.json && pass || fail "a replay has system calls"
# Same input, same bytes.
"$MMUSIM" replay "$SRC/traces/examples/fork-cow.jsonl" --chrome-trace r2.json >/dev/null
cmp -s r.json r2.json && pass || fail "chrome trace differs between two replays"
# An unwritable path: one line, status 1, nothing left behind.
"$MMUSIM" replay "$SRC/traces/examples/fork-cow.jsonl" --chrome-trace /nonexistent/t.json >/dev/null 2>err
[ $? = 1 ] && [ "$(wc -l <err)" = 1 ] && pass || fail "unwritable chrome trace: $(cat err)"
"$MMUSIM" replay "$SRC/traces/examples/fork-cow.jsonl" --chrome-trace >/dev/null 2>err
[ $? = 2 ] && grep -q "needs a file name" err && pass || fail "--chrome-trace without a file: $(cat err)"

# Colour: --color=always colours even a file, never and auto (not a
# terminal) do not; on a terminal auto colours unless NO_COLOR is set and
# not empty.
esc=$(printf '\033')
faults() { "$MMUSIM" replay "$SRC/traces/examples/fork-cow.jsonl" --faults "$@" 2>&1 >/dev/null; }
faults --color=always | grep -q "$esc\[" && pass || fail "--color=always has no colour"
NO_COLOR=1 faults --color=always | grep -q "$esc\[" && pass || fail "--color=always overridden by NO_COLOR"
faults --color=never | grep -q "$esc" && fail "--color=never has colour" || pass
faults | grep -q "$esc" && fail "colour into a file" || pass
# The text without colour is the text with it, escapes removed.
faults --color=always | sed "s/$esc\[[0-9;]*m//g" >stripped
faults >plain
cmp -s stripped plain && pass || fail "coloured inspector differs from the plain one"
faults --color=sometimes >/dev/null 2>&1
[ $? = 2 ] && pass || fail "--color=sometimes accepted"
if command -v script >/dev/null; then
	tty_faults() { script -qec "env $1 $MMUSIM replay $SRC/traces/examples/fork-cow.jsonl --faults" /dev/null; }
	tty_faults "NO_COLOR=" | grep -q "$esc\[36m" && pass || fail "no colour on a terminal"
	tty_faults "NO_COLOR=1" | grep -q "$esc\[3" && fail "colour on a terminal with NO_COLOR=1" || pass
else
	echo "skipped the terminal checks: no script(1)"
fi

finish chrome_trace
