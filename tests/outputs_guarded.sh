#!/bin/sh
# mmusim's outputs are out of the guest's reach while it runs (issue 21):
# with the default root (the working directory) and the event log, Chrome
# trace and recorded trace written there, the guest output_squat empties
# and removes every "*.tmp.*" file it can see and puts directories at the
# output names. The temporary files are nameless (O_TMPFILE), so it finds
# none; each output name it took is reported on one line naming where that
# output was kept, the whole output is there (the event log ends with its
# stats record), and mmusim exits 1. Without the squatting, the outputs
# land under their names. Both architectures.
# usage: outputs_guarded.sh MMUSIM GUEST_DIR
. "$(dirname "$0")/lib.sh"
MMUSIM=$(realpath "$1") GUESTS=$(realpath "$2")
for arch in x86_64 aarch64; do
	dir="$tmp/$arch" && mkdir "$dir" && cd "$dir" || exit 1
	"$MMUSIM" run --events ev.jsonl --chrome-trace ct.json --record tr.jsonl "$GUESTS/$arch/output_squat" ev.jsonl ct.json tr.jsonl >out 2>err
	status=$?
	[ $status -eq 1 ] || fail "$arch: status $status, expected 1"
	grep -q '^0 temporary files found$' out && pass || fail "$arch: the guest saw mmusim's temporary files: $(head -1 out)"
	for name in ev.jsonl ct.json tr.jsonl; do
		kept=$(sed -n "s/^mmusim: $name: Is a directory; the output is in \\($name\\.tmp\\.[0-9]*\\)\$/\\1/p" err)
		if [ -z "$kept" ] || [ ! -s "$kept" ]; then
			fail "$arch: $name: no line naming the kept output: $(cat err)"
			continue
		fi
		pass
	done
	kept=$(ls ev.jsonl.tmp.* 2>/dev/null)
	[ -n "$kept" ] && tail -n 1 "$kept" | grep -q '^{"ev":"stats".*}$' && pass || fail "$arch: the kept event log is not whole"
	# Without a guest in the way: the names.
	rm -rf ./*
	"$MMUSIM" run --events ev.jsonl --chrome-trace ct.json "$GUESTS/$arch/output_squat" >out 2>err &&
		[ -f ev.jsonl ] && [ -f ct.json ] && [ -z "$(ls ./*.tmp.* 2>/dev/null)" ] && pass ||
		fail "$arch: outputs not under their names: $(ls) $(cat err)"
done
finish outputs_guarded
