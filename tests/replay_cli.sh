#!/bin/sh
# mmusim replay and convert as a user runs them: deterministic event logs,
# record -> replay round trips, lackey conversion, and bad input refused with
# one line naming the line, exit status 2 and no output file left behind.
# usage: replay_cli.sh MMUSIM SOURCE_DIR
. "$(dirname "$0")/lib.sh"
MMUSIM=$1
SRC=$2
EX=$SRC/traces/examples
export MMUSIM_PRESETS="$SRC/presets"

# Every example replays on each architecture, and twice gives the same bytes.
for t in "$EX"/*.jsonl; do
	for arch in x86-64 aarch64; do
		sed "1s/\"arch\":\"x86-64\"/\"arch\":\"$arch\"/" "$t" >"$tmp/t.jsonl"
		rm -rf "$tmp/root"; mkdir "$tmp/root"
		"$MMUSIM" replay "$tmp/t.jsonl" --root "$tmp/root" --swap 8M --events "$tmp/a.jsonl" --stats >"$tmp/stats" 2>"$tmp/err" || { fail "replay $t ($arch)"; cat "$tmp/err"; continue; }
		cp "$tmp/a.jsonl" "$tmp/ev-$(basename "$t" .jsonl)-$arch.jsonl"
		"$MMUSIM" replay "$tmp/t.jsonl" --root "$tmp/root" --swap 8M --events "$tmp/b.jsonl" >/dev/null 2>&1
		cmp -s "$tmp/a.jsonl" "$tmp/b.jsonl" && pass || fail "event log of $t ($arch) differs between runs"
		head -1 "$tmp/a.jsonl" | grep -q "\"format\":\"mmusim-events\",\"version\":1,\"arch\":\"$arch\"" && pass || fail "event log header of $t"
		tail -1 "$tmp/a.jsonl" | grep -q '^{"ev":"stats"' && pass || fail "event log of $t does not end with stats"
		grep -q '"ev":"fault"' "$tmp/a.jsonl" && pass || fail "no fault in the event log of $t"
		grep -q '^faults ' "$tmp/stats" && pass || fail "--stats of $t"
		# Record, replay the recording: the same faults.
		"$MMUSIM" replay "$tmp/t.jsonl" --root "$tmp/root" --swap 8M --record "$tmp/rec.jsonl" --events "$tmp/c.jsonl" >/dev/null 2>&1
		"$MMUSIM" replay "$tmp/rec.jsonl" --root "$tmp/root" --swap 8M --events "$tmp/d.jsonl" >/dev/null 2>&1
		tail -n +2 "$tmp/c.jsonl" >"$tmp/c2"; tail -n +2 "$tmp/d.jsonl" >"$tmp/d2"
		cmp -s "$tmp/c2" "$tmp/d2" && pass || fail "record -> replay of $t ($arch) changed the events"
	done
done

# The file, swap and huge-page examples take the paths they are there for.
has() { grep -q -- "$2" "$tmp/ev-$1.jsonl" && pass || fail "$1: no $2 in its event log"; }
for arch in x86-64 aarch64; do
	has file-read-$arch '"path":\["entry","find_vma","alloc_pud","alloc_pmd","alloc_pte","read_fault","pagecache_miss"\]'
	has file-read-$arch '"do_fault_around","filemap_map_pages"'
	has file-read-$arch '"major":true'
	has file-cow-$arch '"do_cow_fault"'
	has file-cow-$arch '"wp_page_copy"'
	has file-shared-$arch '"do_shared_fault"'
	has file-shared-$arch '"wp_page_shared"'
	has file-shared-$arch '"ev":"writeback"'
	has file-sigbus-$arch '"outcome":"SIGBUS"'
	has swap-$arch '"ev":"swap_out"'
	has swap-$arch '"do_swap_page","lookup_swap_cache","swapin_readahead","swap_readpage"'
	has thp-$arch '"do_huge_pmd_anonymous_page"'
	has thp-$arch '"__split_huge_pmd"'
done
grep -q '"do_sigbus"' "$tmp/ev-file-sigbus-x86-64.jsonl" && pass || fail "x86 SIGBUS chain"
# The shared example's writes are in the host file afterwards.
rm -rf "$tmp/root"; mkdir "$tmp/root"
"$MMUSIM" replay "$EX/file-shared.jsonl" --root "$tmp/root" >/dev/null 2>&1
[ "$(od -A n -t x8 -j 8 -N 16 "$tmp/root/data.bin" | tr -d ' \n')" = "41424344454647485152535455565758" ] && pass || fail "shared writes not in the file"

# The fault inspector.
"$MMUSIM" replay "$EX/fork-cow.jsonl" --faults 2>"$tmp/f" >/dev/null
grep -q "syndrome  #PF error code 0x7 = protection violation, write, user" "$tmp/f" && pass || fail "inspector syndrome"
grep -q "linux     exc_page_fault > handle_page_fault > do_user_addr_fault" "$tmp/f" && pass || fail "inspector chain"
grep -q "path      entry > find_vma > wp_copy" "$tmp/f" && pass || fail "inspector path"
grep -q "vma       0x10000000-0x10001000 rw- private anonymous" "$tmp/f" && pass || fail "inspector vma"
sed '1s/x86-64/aarch64/' "$EX/anon-write.jsonl" | "$MMUSIM" replay - --faults 2>"$tmp/f" >/dev/null
grep -q "ESR_EL1 0x92000044" "$tmp/f" && pass || fail "aarch64 ESR in the inspector (stdin trace)"

# Personalities and presets.
"$MMUSIM" replay "$EX/segv-accerr.jsonl" --personality xnu --events "$tmp/x.jsonl" 2>/dev/null >/dev/null
grep -q '"outcome":"SIGBUS"' "$tmp/x.jsonl" && pass || fail "xnu: a protection failure is SIGBUS"
grep -q '"chain":\["user_trap","vm_fault"' "$tmp/x.jsonl" && pass || fail "xnu chain in the event log"

# expect STATUS PATTERN ARGS... (stderr one line when failing)
expect() {
	want=$1 pattern=$2
	shift 2
	"$MMUSIM" "$@" >"$tmp/out" 2>"$tmp/err"
	got=$?
	[ "$got" -eq "$want" ] || { fail "mmusim $*: exit $got, expected $want"; cat "$tmp/err"; return; }
	[ -z "$pattern" ] || grep -q -- "$pattern" "$tmp/err" "$tmp/out" || { fail "mmusim $*: no \"$pattern\""; cat "$tmp/err"; return; }
	[ "$want" -eq 0 ] || [ "$(wc -l <"$tmp/err")" -eq 1 ] || { fail "mmusim $*: error is not one line"; return; }
	pass
}
H='{"format":"mmusim-trace","version":1,"arch":"x86-64"}'
# A path above the root is the root's top, as under chroot.
mkdir "$tmp/troot"
printf '%s\n{"op":"file","path":"../escape.bin","len":"0x10"}\n' "$H" >"$tmp/esc.jsonl"
expect 0 "" replay "$tmp/esc.jsonl" --root "$tmp/troot"
[ ! -e "$tmp/escape.bin" ] && [ -e "$tmp/troot/escape.bin" ] && pass || fail "a trace wrote outside its root"
printf '%s\n{"op":"exec"}\n{"op":"r","va":"0x1000"\n' "$H" >"$tmp/malformed.jsonl"
expect 2 "malformed.jsonl:3: malformed JSON" replay "$tmp/malformed.jsonl" --events "$tmp/none.jsonl"
[ ! -e "$tmp/none.jsonl" ] && [ -z "$(ls "$tmp" | grep 'none.jsonl')" ] && pass || fail "a failed replay left an event log behind"
printf '%s\n{"op":"frob"}\n' "$H" >"$tmp/op.jsonl"
expect 2 'op.jsonl:2: unknown op "frob"' replay "$tmp/op.jsonl"
printf '%s\n\n{"op":"w","size":8}\n' "$H" >"$tmp/missing.jsonl"
expect 2 'missing.jsonl:3: missing field "va"' replay "$tmp/missing.jsonl"
printf '%s\n{"op":"r","va":"1000"}\n' "$H" >"$tmp/hex.jsonl"
expect 2 'hex.jsonl:2: "va" must be a hex string' replay "$tmp/hex.jsonl"
printf '{"format":"mmusim-trace","version":1,"arch":"aarch64"}\n{"op":"r","va":"0x1000"}\n' >"$tmp/arm.jsonl"
expect 2 "is an aarch64 trace, but preset skylake is x86-64" replay "$tmp/arm.jsonl" --preset skylake
expect 2 "README.md:1: malformed JSON" replay "$SRC/README.md"
expect 2 "the liteos personality runs on Arm only" replay "$EX/anon-write.jsonl" --personality liteos
expect 2 "xnu uses 16 KiB pages on arm64" replay "$tmp/arm.jsonl" --personality xnu --preset cortex-a76
printf '%s\n{"op":"switch","pid":7}\n' "$H" >"$tmp/nopid.jsonl"
expect 2 "nopid.jsonl:2: process 7 does not exist" replay "$tmp/nopid.jsonl"
expect 2 "unknown personality 'beos'" replay "$EX/anon-write.jsonl" --personality beos
expect 2 "replay needs a trace" replay
expect 2 "unknown option '--frob' for replay" replay x --frob
expect 2 "not a size" replay "$EX/anon-write.jsonl" --mem 12Q
expect 2 "/nonexistent/trace.jsonl: No such file" replay /nonexistent/trace.jsonl

# OOM under a small memory: the process is killed, the replay goes on.
{ echo "$H"; echo '{"op":"exec","stack_top":"0x7ffff0000000"}'
  echo '{"op":"mmap","addr":"0x10000000","len":"0x200000","prot":"rw","flags":"private,anonymous,fixed"}'
  i=0; while [ $i -lt 512 ]; do printf '{"op":"w","va":"0x%x","size":8}\n' $((0x10000000 + i * 4096)); i=$((i + 1)); done
} >"$tmp/oom.jsonl"
"$MMUSIM" replay "$tmp/oom.jsonl" --mem 1M --events "$tmp/oom-ev.jsonl" --stats >"$tmp/oom-stats" 2>"$tmp/err"
[ $? -eq 0 ] && pass || { fail "OOM replay exit status"; cat "$tmp/err"; }
grep -q "records of killed processes were skipped" "$tmp/err" && pass || fail "skipped records not reported"
grep -q '"outcome":"OOM"' "$tmp/oom-ev.jsonl" && pass || fail "no OOM outcome"
grep -q '"pagefault_out_of_memory"' "$tmp/oom-ev.jsonl" && pass || fail "OOM chain"
grep -q '"ev":"proc_exit","pid":1,"parent":0,"root":"0x[1-9a-f][0-9a-f]*","asid":[0-9]*,"code":137' "$tmp/oom-ev.jsonl" && pass || fail "process killed with 128+9"

# Lackey: a real log converts, and the trace replays.
expect 0 "" convert --from lackey "$SRC/tests/data/lackey-small.log" "$tmp/lk.jsonl"
"$MMUSIM" replay "$tmp/lk.jsonl" --stats >"$tmp/lk-stats" 2>&1 && pass || fail "replay of the lackey conversion"
grep -q "accesses      4428" "$tmp/lk-stats" && grep -q "faults        39 " "$tmp/lk-stats" && pass || { fail "lackey replay figures"; cat "$tmp/lk-stats"; }
expect 2 "convert needs --from" convert a b
expect 2 "cannot convert from 'pin'" convert --from pin a b
printf 'I  0401000,3\n L zz,8\n' >"$tmp/bad.log"
expect 2 "bad.log:2" convert --from lackey "$tmp/bad.log" "$tmp/bad.jsonl"
[ ! -e "$tmp/bad.jsonl" ] && pass || fail "a failed conversion left its output"

finish replay_cli
