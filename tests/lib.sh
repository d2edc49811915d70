# The shell tests' common part, sourced first: . "$(dirname "$0")/lib.sh"
#   $tmp            a scratch directory, removed at exit (after $at_exit,
#                   which a test may set: nothing_lost kills its run)
#   pass            one check passed
#   fail MESSAGE    one check failed: "FAIL: MESSAGE"
#   finish NAME     the last line, "NAME: N passed, M failed"; its status
#                   (the test's) is 0 when nothing failed
set -u
tmp=$(mktemp -d) || exit 2
at_exit=:
trap 'eval "$at_exit"; rm -rf "$tmp"' EXIT
fails=0 passes=0
pass() { passes=$((passes + 1)); }
fail() {
	echo "FAIL: $*"
	fails=$((fails + 1))
}
finish() {
	echo "$1: $passes passed, $fails failed"
	[ "$fails" -eq 0 ]
}
