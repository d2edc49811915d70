#!/bin/sh
# Runs each libFuzzer harness for SECONDS on a scratch copy of its seed
# corpus (corpus/NAME; the repository's copy is not touched), one at a
# time. A crash, leak, timeout or sanitizer report fails the run and leaves
# the input in ARTIFACTS (default: a temporary directory, printed).
# usage: run.sh BUILD_DIR SECONDS [NAME...]   (names: elf trace evlog preset lackey syscall)
set -u
BUILD=$1 SECONDS_EACH=$2
shift 2
[ $# -gt 0 ] || set -- elf trace evlog preset lackey syscall
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
artifacts=${ARTIFACTS:-$work/artifacts}
mkdir -p "$artifacts"
trap 'rm -rf "$work/corpus"' EXIT
failed=""
for name in "$@"; do
	mkdir -p "$work/corpus/$name"
	cp "$here/corpus/$name"/* "$work/corpus/$name/"
	echo "== fuzz_$name for ${SECONDS_EACH}s"
	# -timeout: an input that takes 10 s is a hang; -rss_limit_mb: the
	# 16 MiB machine's memory plus the sanitizers' own.
	if ! "$BUILD/tests/fuzz/fuzz_$name" -max_total_time="$SECONDS_EACH" -timeout=10 -rss_limit_mb=2048 \
		-print_final_stats=1 -artifact_prefix="$artifacts/$name-" "$work/corpus/$name" \
		>"$work/$name.log" 2>&1; then
		tail -40 "$work/$name.log"
		failed="$failed $name"
	fi
	grep -E "^stat::number_of_executed_units|^#[0-9]+.*DONE" "$work/$name.log" | tail -2
done
if [ -n "$failed" ]; then
	echo "fuzzing failed:$failed (inputs in $artifacts)"
	exit 1
fi
rm -rf "$work"
echo "fuzzing: no crash in $*"
