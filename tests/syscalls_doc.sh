#!/bin/sh
# docs/syscalls.md against the system-call table of os/kernel/syscall.c:
# every call the model has (sys_names) has a row that says it works or
# refuses, and every row that says "not implemented" names a call the model
# does not have — so the table cannot drift from the code.
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
finish syscalls_doc
