#!/bin/sh
# `mmusim run` as a user meets it: the fault inspector's content for the
# classic first fault on both architectures, the event log, and one-line
# errors with distinct exit statuses for programs that cannot run.
# usage: run_cli.sh MMUSIM GUEST_DIR
. "$(dirname "$0")/lib.sh"
MMUSIM=$1 GUESTS=$2
cd "$tmp" || exit 1

# The fault block for mmap_write's page: the first write to a fresh
# anonymous mapping, at the top of the mmap area (no ASLR: the same address
# on every run). $1 arch, $2 the VMA, $3 pattern for the syndrome, $4 the PTE.
first_write() {
	arch=$1 vma=$2
	shift
	"$MMUSIM" run --faults "$GUESTS/$arch/mmap_write" >out 2>err || { fail "$arch mmap_write exit $?"; return; }
	[ "$(cat out)" = A ] || fail "$arch mmap_write printed $(cat out)"
	# The last write fault to an anonymous rw- mapping of one page.
	awk -v vma="  vma       $vma rw- private anonymous" '
	     function flush() { if (index(block, vma "\n") && block ~ /^fault #[0-9]+  pid 1  write/) found = block }
	     /^fault #/ { flush(); block = "" }
	     { block = block $0 "\n" }
	     END { flush(); printf "%s", found }' err >block
	for want in "minor, resolved" "$2" "path      entry > find_vma > .*anon_page" "$3" "insn      0x[0-9a-f]*: [a-z]"; do
		grep -q -- "$want" block || { fail "$arch: no '$want' in the fault:"; cat block; return; }
	done
	pass
}
first_write x86_64 0x7ffff7ffe000-0x7ffff7fff000 "#PF error code 0x6 = not present, write, user" "not present  =>  page P RW US A D NX"
first_write aarch64 0xfffff7fef000-0xfffff7ff0000 "EC=0x24 data abort from EL0, IL=1, WnR=1 (write), DFSC=0x0[4-7] translation fault" \
	"not present  =>  page AP=01(EL0+EL1 RW) AF nG DBM PXN UXN"

# The event log is JSON lines with the program's faults, pc and instruction.
"$MMUSIM" run --events ev.jsonl "$GUESTS/x86_64/mmap_write" >/dev/null 2>&1 || fail "run --events exit $?"
if grep -q '"ev":"fault".*"pc":"0x[0-9a-f]*","insn":"mov' ev.jsonl &&
   grep -q '"file":"[^"]*mmap_write"' ev.jsonl; then
	pass
else
	fail "event log lacks pc/insn or the text mapping's file"; head -c 600 ev.jsonl
fi
# Its header gives the machine's TLBs whole (skylake: L1 iTLB 128 entries
# 8-way in 16 sets, 8 more for 2 MiB pages; L2 1536 4K/2M entries 12-way
# and 16 for 1 GiB pages), so a viewer draws every slot.
if head -1 ev.jsonl | grep -q '"tlb":{"L1i":\[\[16,8,4096\],\[1,8,2097152\]\],"L1d":\[\[16,4,4096\],\[8,4,2097152\],\[1,4,1073741824\]\],"L2":\[\[128,12,4096\],\[4,4,1073741824\]\]}'; then
	pass
else
	fail "event log header lacks the TLB geometry"; head -1 ev.jsonl
fi

# --stats: figures on stderr, the guest's output alone on stdout.
"$MMUSIM" run --stats "$GUESTS/aarch64/hello" >out 2>err
if [ "$(cat out)" = "hello, world" ] && grep -q "^instructions  [1-9]" err && grep -q "^faults " err; then
	pass
else
	fail "--stats"; cat out err
fi

# expect STATUS PATTERN ARGS...: a one-line error containing PATTERN.
expect() {
	want=$1 pattern=$2
	shift 2
	"$MMUSIM" "$@" >out 2>err
	got=$?
	if [ "$got" -ne "$want" ]; then fail "mmusim $*: exit $got, expected $want"; cat err; return; fi
	if ! grep -q -- "$pattern" err || [ "$(wc -l <err)" -ne 1 ]; then
		fail "mmusim $*: wanted one line with '$pattern'"; cat err; return
	fi
	pass
}
printf 'not an executable\n' >text
printf '#!/bin/sh\necho hi\n' >script
head -c 40 "$GUESTS/x86_64/hello" >truncated
head -c 100000 /dev/urandom >random 2>/dev/null || dd if=/dev/zero of=random bs=1k count=100 2>/dev/null
expect 127 "nonexistent: No such file or directory" run ./nonexistent
expect 126 "not an ELF file" run ./text
expect 126 "a script (#!), not an ELF executable" run ./script
expect 126 "truncated ELF header" run ./truncated
expect 126 "not an ELF file" run ./random
expect 126 "is a directory" run .
expect 126 "is an AArch64 executable; the preset is x86-64" run --preset skylake "$GUESTS/aarch64/hello"
expect 2 "run needs a program" run
expect 2 "unknown option '--frob' for run" run --frob "$GUESTS/x86_64/hello"
expect 2 "--mode is timing or functional" run --mode fast "$GUESTS/x86_64/hello"
expect 2 "--max-insns needs a positive count" run --max-insns 0 "$GUESTS/x86_64/hello"
expect 2 "--max-insns needs a positive count" run --max-insns -1 "$GUESTS/x86_64/hello"
expect 2 "unknown personality" run --personality beos "$GUESTS/x86_64/hello"
# A runaway program is stopped.
"$MMUSIM" run --max-insns 1000 "$GUESTS/x86_64/hello" >out 2>err
st=$?
if [ $st -eq 152 ] && grep -q "stopped after 10[0-9][0-9] instructions" err; then
	pass
else
	fail "--max-insns: status $st"; cat err
fi

finish run_cli
