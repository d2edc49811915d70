#!/bin/sh
# A bound on what a guest adds to the host disk (issue 21), both
# architectures: guests/disk_fill under --disk-limit 8M writes 1,000,000-byte
# blocks until a write is cut short at the bound and the next is ENOSPC (as
# a full file system says), with one mmusim: note; a new directory or
# file is ENOSPC then; the host file holds
# exactly what the guest was told; blocks freed by ftruncate and unlink
# come back. The write loop a hostile guest runs under --max-insns 1000000
# (before the bound: gigabytes) stops at --disk-limit 32M. A bad size is a
# usage error.
# usage: disk_limit.sh MMUSIM GUEST_DIR
. "$(dirname "$0")/lib.sh"
MMUSIM=$(realpath "$1") GUESTS=$(realpath "$2")
limit=$((8 << 20)) slack=$((64 << 10))
for arch in x86_64 aarch64; do
	root="$tmp/$arch"
	mkdir "$root"
	(cd "$root" && "$MMUSIM" run --disk-limit 8M "$GUESTS/$arch/disk_fill" >"$tmp/out" 2>"$tmp/err")
	status=$?
	[ $status -eq 0 ] && pass || fail "$arch: status $status: $(head -3 "$tmp/err")"
	set -- $(sed -n 's/^fill: \([0-9]*\) bytes written, the last write cut to \([0-9]*\), then \(.*\)$/\1 \2 \3/p' "$tmp/out")
	total=${1:-0} cut=${2:-0} then=${3:-}
	if [ "$total" -le $limit ] && [ "$total" -ge $((limit - slack)) ] && [ "$cut" -gt 0 ] && [ "$cut" -lt 1000000 ] &&
		[ "$then" = ENOSPC ]; then
		pass
		echo "$arch: --disk-limit 8M: $total bytes written, the last write cut to $cut, then $then"
	else
		fail "$arch: fill: $(head -1 "$tmp/out")"
	fi
	grep -qx 'fsync: ok' "$tmp/out" && pass || fail "$arch: $(grep fsync "$tmp/out")"
	grep -qx 'full: mkdir ENOSPC, creat ENOSPC' "$tmp/out" && pass || fail "$arch: $(grep full "$tmp/out")"
	grep -qx 'truncate: a write after it: 1000000' "$tmp/out" && pass ||
		fail "$arch: ftruncate's blocks not credited: $(grep truncate "$tmp/out")"
	again=$(sed -n 's/^unlink: a new file took \([0-9]*\) bytes, then ENOSPC$/\1/p' "$tmp/out")
	[ "${again:-0}" -ge $((limit - slack)) ] && [ "$again" -le $limit ] && pass ||
		fail "$arch: unlink's blocks not credited: $(grep unlink "$tmp/out")"
	size=$(stat -c %s "$root/again" 2>/dev/null)
	[ "$size" = "$again" ] && pass || fail "$arch: the host file has $size bytes, the guest was told $again"
	used=$(du -sk "$root" | cut -f1)
	[ "$used" -le $(((limit + slack) >> 10)) ] && pass || fail "$arch: $used KiB on the host disk under the root"
	[ "$(grep -c '^mmusim: .*--disk-limit' "$tmp/err")" = 1 ] && pass || fail "$arch: not one note: $(cat "$tmp/err")"

	rm -rf "$root" && mkdir "$root"
	(cd "$root" && timeout 120 "$MMUSIM" run --max-insns 1000000 --disk-limit 32M "$GUESTS/$arch/disk_fill" loop \
		>"$tmp/out" 2>"$tmp/err")
	status=$?
	total=$(sed -n 's/^loop: \([0-9]*\) bytes written, then ENOSPC$/\1/p' "$tmp/out")
	if [ $status -eq 0 ] && [ "${total:-0}" -le $((32 << 20)) ] && [ "$total" -ge $(((32 << 20) - slack)) ]; then
		pass
		echo "$arch: a write loop under --max-insns 1000000 --disk-limit 32M: $total bytes, then ENOSPC"
	else
		fail "$arch: loop: status $status: $(cat "$tmp/out") $(head -2 "$tmp/err")"
	fi
	rm -rf "$root"
done
"$MMUSIM" run --disk-limit lots "$GUESTS/x86_64/hello" >/dev/null 2>"$tmp/err"
status=$?
[ $status -eq 2 ] && grep -q '^mmusim: --disk-limit lots: ' "$tmp/err" && pass || fail "--disk-limit lots: status $status"
finish disk_limit
