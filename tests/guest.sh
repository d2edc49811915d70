#!/bin/sh
# One guest program under `mmusim run`, compared with what it does on a
# real Linux machine (guests/expected/NAME.out and NAME.status, recorded
# natively and under qemu-user by guests/run-native.sh).
# usage: guest.sh MMUSIM PROGRAM EXPECTED_DIR [STATUS] [-- run options...]
# STATUS, when given, replaces the expected exit status (a personality that
# answers a fault with another signal, as XNU's SIGBUS).
. "$(dirname "$0")/lib.sh"
MMUSIM=$1 PROGRAM=$2 EXPECTED=$3
shift 3
name=$(basename "$PROGRAM")
want_status=$(cat "$EXPECTED/$name.status")
if [ $# -gt 0 ] && [ "$1" != "--" ]; then
	want_status=$1
	shift
fi
[ $# -gt 0 ] && [ "$1" = "--" ] && shift
mkdir "$tmp/root" && cd "$tmp/root" || exit 1
# The guest's files live in the working directory (the sandbox root), an
# empty one: what it lists is what it made.
# --check-tlb: a TLB hit the page tables no longer grant fails the run.
timeout 120 "$MMUSIM" run --check-tlb "$@" "$PROGRAM" >"$tmp/out" 2>"$tmp/err"
status=$?
cd "$tmp" || exit 1
if [ "$status" -ne "$want_status" ]; then
	fail "$name: exit status $status, expected $want_status"
fi
# Nothing the guest does lands outside its root: $tmp holds root, out, err.
outside=$(ls -A "$tmp" | grep -vx -e root -e out -e err)
[ -z "$outside" ] || fail "$name: made $(echo $outside) outside its root"
if ! cmp -s out "$EXPECTED/$name.out"; then
	fail "$name: standard output differs from a real Linux run:"
	diff "$EXPECTED/$name.out" out | head -20
fi
# A fatal fault is reported as the kernel reports it, one line, naming
# the process by its comm (the program's name cut to 15 characters).
# The OOM killer (SIGKILL) and the instruction budget (--max-insns, which
# ends the run as RLIMIT_CPU would: SIGXCPU) say so instead.
comm=$(printf '%.15s' "$name")
case $want_status in
137) fatal_line="^Out of memory: Killed process [0-9]+ \\($comm\\)$" ;;
152) fatal_line="^mmusim: stopped after [0-9]+ instructions \\(--max-insns\\)$" ;;
*) fatal_line="^$comm\\[1\\]: (segfault|bus error) at [0-9a-f]+ ip|^$comm\\[1\\]: unhandled exception: " ;;
esac
if [ "$want_status" -ge 129 ] && ! grep -Eq "$fatal_line" err; then
	fail "$name: no kernel-style line for the fatal signal on stderr"
fi
if [ $fails -ne 0 ]; then
	echo "--- stderr:"; head -20 err
	exit 1
fi
echo "$name: ok (status $status)"
