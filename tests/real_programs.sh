#!/bin/sh
# The real programs of guests/real (built by .ci/fetch-real-programs from
# Debian 12's own libraries) under `mmusim run`, in timing and functional
# mode, against the same program run by Linux: natively for amd64, under
# qemu-aarch64 for arm64. Standard output and exit status, byte for byte.
# usage: real_programs.sh MMUSIM DIR ARCH [NAME...]
. "$(dirname "$0")/lib.sh"
mmusim=$1 dir=$2/$3 arch=$3
shift 3
names=${*:-"lua_run compress_trip sqlite_work"}
run=""
[ "$arch" = arm64 ] && run=qemu-aarch64
for name in $names; do
	exe=$dir/$name
	[ -x "$exe" ] || { fail "$exe not built (.ci/fetch-real-programs)"; continue; }
	mkdir "$tmp/native-$name" && (cd "$tmp/native-$name" && timeout 300 $run "$exe" >out 2>err; echo $? >status)
	for mode in timing functional; do
		w=$tmp/$mode-$name
		mkdir "$w" && (cd "$w" && timeout 900 "$mmusim" run --mode $mode "$exe" >out 2>err; echo $? >status)
		if [ "$(cat "$w/status")" != "$(cat "$tmp/native-$name/status")" ]; then
			fail "$arch $name ($mode): exit status $(cat "$w/status"), Linux's $(cat "$tmp/native-$name/status")"
			head -5 "$w/err"
		elif ! cmp -s "$w/out" "$tmp/native-$name/out"; then
			fail "$arch $name ($mode): standard output differs from Linux's:"
			diff "$tmp/native-$name/out" "$w/out" | head -10
		else
			pass
			echo "$arch $name ($mode): same output and status"
		fi
	done
done
finish "real_programs_$arch"
