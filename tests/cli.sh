#!/bin/sh
# The command line as a user meets it: exit statuses (0 ok, 1 failure,
# 2 usage), one-line errors, the presets listing and the demo's output.
# usage: cli.sh MMUSIM PRESET_DIR
. "$(dirname "$0")/lib.sh"
MMUSIM=$1
PRESETS=$2
export MMUSIM_PRESETS="$PRESETS"

# expect STATUS PATTERN_IN_OUTPUT ARGS... ; stdout+stderr are searched
expect() {
	want=$1 pattern=$2
	shift 2
	"$MMUSIM" "$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	if [ "$got" -ne "$want" ]; then
		fail "mmusim $*: exit $got, expected $want"; cat "$tmp/err"; return
	fi
	if [ -n "$pattern" ] && ! grep -q -- "$pattern" "$tmp/out" "$tmp/err"; then
		fail "mmusim $*: no \"$pattern\" in output"; return
	fi
	if [ "$want" -ne 0 ] && [ "$(wc -l <"$tmp/err")" -ne 1 ]; then
		fail "mmusim $*: error is not one line:"; cat "$tmp/err"; return
	fi
	pass
}

expect 0 "usage: mmusim" --help
expect 0 "usage: mmusim" help
expect 0 "mmusim 0" --version
# Debian's Unicorn 2.0.1 runs with cpu/uc_overrides.c's store path: the
# executable exports it, and the version it replaces is the one loaded.
expect 0 "unicorn 2.0.1 (its store path without page collections" --version
expect 2 "no command given"
expect 2 "unknown command 'frobnicate'" frobnicate
expect 2 "unknown option '--frob'" --frob
expect 2 "unknown argument '--bogus' for demo" demo --bogus
expect 2 "--preset needs a name" demo --tables --preset
expect 2 "demo --preset goes with --tables" demo --preset skylake
expect 2 "at most one preset" presets a b
expect 0 "skylake" presets
expect 0 "cortex-a76" presets
expect 0 "apple16k" presets
expect 0 "1536 entries" presets skylake
expect 0 "fully associative" presets cortex-a76
expect 1 "unknown preset \"nope\"" presets nope
expect 1 "unknown preset \"nope\"" demo --tables --preset nope

# The default demo: mmap_write on both architectures, every fault shown.
expect 0 "write 0x7ffff7ffe000  minor, resolved" demo
expect 0 "write 0xfffff7fef000  minor, resolved" demo
expect 0 "insn      0x[0-9a-f]*: strb w0, \[x1\]" demo
expect 0 "#PF error code 0x6 = not present, write, user" demo
# Then the dynamic step: the host's /bin/sh runs ls twice (x86-64 hosts),
# its telling faults picked from the event log; elsewhere one line says why
# it is skipped and the demo still succeeds.
if [ "$(uname -m)" = x86_64 ]; then
	expect 0 "makes the RELRO part read-only" demo --dynamic
	expect 0 "^fault #[0-9]*  pid 2  fetch 0x[0-9a-f]*  minor" demo --dynamic
	expect 0 "^pid 3 (ls): [0-9]* faults, 0 major" demo --dynamic
	expect 0 "^pid 3 (ls): [0-9]* faults, 0 major" demo
else
	expect 0 "the dynamic step is skipped" demo
fi
expect 2 "demo --tables and --dynamic are two demos" demo --tables --dynamic
# The hand-built tables: both architectures, with the manuals' syndromes.
expect 0 "#PF error code 0x6 = not present, write, user" demo --tables
expect 0 "ESR_EL1 0x92000047" demo --tables
expect 0 "hardware updated 4 entries (A/D bits)" demo --tables
expect 0 "L1 dTLB hit" demo --tables
expect 0 "ESR_EL1 0x92000047" demo --tables --preset apple16k
expect 0 "offset 0x3fff\|L3\[" demo --tables --preset apple16k

# A broken preset is refused with its key named, in one line.
mkdir "$tmp/presets"
sed 's/"pa_bits": 39,/"pa_bits": "39",/' "$PRESETS/skylake.json" >"$tmp/presets/broken.json"
MMUSIM_PRESETS="$tmp/presets" expect 1 "key \"pa_bits\" must be a number" demo --tables --preset broken
MMUSIM_PRESETS="$tmp/presets" expect 1 "broken.json" presets
expect 1 "cannot open" presets /nonexistent/x.json

finish cli
