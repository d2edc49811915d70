#!/bin/sh
# docs/syscalls.md against the system-call table of os/kernel/syscall.c:
# every call the model has (sys_names) has a row that says it works or
# refuses, and every row that says "not implemented" names a call the model
# does not have — so the table cannot drift from the code. The same for
# the arm64 corpus's calls against the model's AArch64 numbers.
# usage: syscalls_doc.sh SOURCE_DIR
. "$(dirname "$0")/lib.sh"
src=$1
# The names between 'sys_names[S_COUNT] = {' and '};', less "?".
sed -n '/sys_names\[S_COUNT\] = {/,/^};/p' "$src/os/kernel/syscall.c" | grep -o '"[a-z_0-9]*"' | tr -d '"' |
	sort -u >"$tmp/model"
# The rows of the first table: | `name` | seen | status |
sed -n 's/^| `\([a-z_0-9]*\)` | [a-z]* | \(.*\) |$/\1 \2/p' "$src/docs/syscalls.md" >"$tmp/rows"
[ -s "$tmp/model" ] || fail "no system-call names found in os/kernel/syscall.c"
[ -s "$tmp/rows" ] || fail "no rows found in docs/syscalls.md"
while read -r name; do
	status=$(awk -v n="$name" '$1 == n { $1 = ""; print; exit }' "$tmp/rows")
	case $status in
	'') fail "$name is in os/kernel/syscall.c but not in docs/syscalls.md" ;;
	*'not implemented'*) fail "$name is in os/kernel/syscall.c but docs/syscalls.md says it is not implemented" ;;
	' works'* | ' refuses'*) pass ;;
	*) fail "$name: docs/syscalls.md says neither works, refuses nor not implemented: $status" ;;
	esac
done <"$tmp/model"
while read -r name status; do
	if grep -qx "$name" "$tmp/model"; then
		pass
	else
		case $status in
		'not implemented'*) pass ;;
		*) fail "docs/syscalls.md lists $name as '$status', but os/kernel/syscall.c does not have it" ;;
		esac
	fi
done <"$tmp/rows"
[ "$(cut -d' ' -f1 "$tmp/rows" | sort | uniq -d)" = "" ] || fail "docs/syscalls.md lists a call twice"

# The arm64 corpus: each call there is the model's under that number on
# AArch64 when the first table says it works or refuses, and has no number
# in the model when it is not implemented; each command is in the commands
# table.
sed -n '/sys_arm64_table\|arm64_table\[\] = {/,/^};/p' "$src/os/kernel/syscall.c" |
	grep -o '{[0-9]*, S_[A-Z0-9_]*}' | sed -E 's/\{([0-9]+), S_([A-Z0-9_]+)\}/\2 \1/' | tr 'A-Z' 'a-z' >"$tmp/arm64"
sed -n '/^## The arm64 corpus/,/^## Known gaps/p' "$src/docs/syscalls.md" >"$tmp/arm64doc"
sed -n 's/^| \([a-z_0-9]*\) | \([0-9]*\) |$/\1 \2/p' "$tmp/arm64doc" >"$tmp/arm64rows"
[ -s "$tmp/arm64" ] || fail "no arm64 numbers found in os/kernel/syscall.c"
[ -s "$tmp/arm64rows" ] || fail "no rows found in docs/syscalls.md's arm64 corpus"
while read -r name nr; do
	status=$(awk -v n="$name" '$1 == n { $1 = ""; print; exit }' "$tmp/rows")
	model=$(awk -v n="$name" '$1 == n { print $2; exit }' "$tmp/arm64")
	case $status in
	'') fail "arm64 corpus: $name has no row in the first table" ;;
	*'not implemented'*)
		[ -z "$model" ] && pass || fail "arm64 corpus: $name is not implemented, yet the model has it as $model" ;;
	*)
		[ "$model" = "$nr" ] && pass || fail "arm64 corpus: $name is $nr, the model has it as ${model:-nothing}" ;;
	esac
done <"$tmp/arm64rows"
sed -n 's/^| \(fcntl\|ioctl\|prctl\) | \([A-Z][A-Z_0-9]*\) |$/\1 \2/p' "$tmp/arm64doc" >"$tmp/arm64cmds"
[ -s "$tmp/arm64cmds" ] || fail "no commands found in docs/syscalls.md's arm64 corpus"
sed -n '/^## fcntl, ioctl and prctl commands/,/^## The arm64 corpus/p' "$src/docs/syscalls.md" >"$tmp/cmdtable"
while read -r call cmd; do
	if grep -Eq "^\| $call \| (.*[ ,])?$cmd[ ,]" "$tmp/cmdtable"; then
		pass
	else
		fail "arm64 corpus: $call $cmd is not in the commands table"
	fi
done <"$tmp/arm64cmds"
finish syscalls_doc
