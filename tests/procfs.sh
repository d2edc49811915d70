#!/bin/sh
# The guest sees the model through Linux's own windows (issue 19): /proc
# and getrusage answer from the simulated kernel.
#
#   tests/procfs.sh MMUSIM GUESTS [DEBIAN_DIR]
#
# 1. guests/procfs_pagemap reads its own /proc/self/pagemap: the frame of
#    each page it wrote is the one `--faults` printed for that page's fault.
# 2. guests/rusage_probe's getrusage deltas, region by region, are within
#    5% of what Linux reported natively for the same program (below).
#    --warm (a first run untraced, then the measured one): no major fault,
#    as in a second run on Linux.
# 3. With DEBIAN_DIR (what .ci/fetch-debian-utils unpacks for amd64):
#    Debian's busybox-static ps, free, top -bn1, cat of /proc files, checked
#    for the structure a user relies on and against --stats.
. "$(dirname "$0")/lib.sh"
MMUSIM=$1 GUESTS=$2 DEBIAN=${3:-}
mkdir "$tmp/root" && cd "$tmp/root" || exit 1

# ---- 1. pagemap's frames are the ones the faults mapped -------------------
for arch in x86_64 aarch64; do
	for mode in timing functional; do
		"$MMUSIM" run --mode $mode --faults "$GUESTS/$arch/procfs_pagemap" >"$tmp/pm.out" 2>"$tmp/pm.err" ||
			fail "procfs_pagemap ($arch, $mode) exited $?"
		grep -q '^maps lists it: yes$' "$tmp/pm.out" || fail "procfs_pagemap ($arch, $mode): maps misses the mapping"
		grep -q '^reading /proc faulted: 0$' "$tmp/pm.out" ||
			fail "procfs_pagemap ($arch, $mode): $(grep '^reading' "$tmp/pm.out"), Linux: 0"
		grep -q '^rollup anonymous covers it: yes$' "$tmp/pm.out" ||
			fail "procfs_pagemap ($arch, $mode): smaps_rollup's Anonymous is short"
		# Each fault: the page it was for and the page its last leaf entry maps.
		# (4 KiB pages: the page's address is the fault's with its last three
		# hex digits zero.)
		awk '/^fault #/ { for (i = 1; i <= NF; i++) if ($i ~ /^0x/) { va = substr($i, 1, length($i) - 3) "000"; break } }
		     /=>  page/ { printf "%s %s\n", va, $NF }' "$tmp/pm.err" >"$tmp/pm.faults"
		n=0
		while read -r _ i _ va _ pfn _ flags; do
			n=$((n + 1))
			[ "$flags" = "px-" ] || fail "procfs_pagemap ($arch, $mode): page $i flags $flags, expected px- (present, exclusive, anonymous)"
			# The last fault at an address in that page.
			want=$(awk -v va="$va" '$1 == va { pa = $2 } END { print pa }' "$tmp/pm.faults")
			if [ -z "$want" ]; then
				fail "procfs_pagemap ($arch, $mode): no fault printed for page $va"
			elif [ "$(printf '%d' "$want")" -ne "$(($(printf '%d' "$pfn") * 4096))" ]; then
				fail "procfs_pagemap ($arch, $mode): page $va has pfn $pfn in pagemap, --faults mapped $want"
			else
				pass
			fi
		done <<-EOF2
		$(grep '^page ' "$tmp/pm.out")
		EOF2
		[ "$n" -eq 8 ] || fail "procfs_pagemap ($arch, $mode): $n pages listed, expected 8"
	done
done

# ---- 2. getrusage against Linux --------------------------------------------
# Linux's numbers for guests/rusage_probe, measured natively on the
# development machine (Linux 6.18 x86-64, transparent huge pages "madvise",
# so none here), the probe built as the guests are (gcc -O2 -static) and
# run three times from a directory on ext4 — identical each time:
#   malloc64 minflt 16384 majflt 0 maxrss_kb 64508
#   file_read minflt 256 majflt 0 maxrss_kb 0
#   file_write minflt 4096 majflt 0 maxrss_kb 0
#   fork_child minflt 1007 majflt 0 maxrss_kb 4236
#   children minflt 1007 majflt 0 maxrss_kb 4236
#   stack4m minflt 1013 majflt 0 maxrss_kb 0
# A count is within 5% of Linux's (and a zero is zero); maxrss is compared
# where it grows (the first region, the child's peak).
linux="malloc64 16384 0 64508
file_read 256 0 -
file_write 4096 0 -
fork_child 1007 0 4236
children 1007 0 4236
stack4m 1013 0 -"
within5() {   # got want: |got - want| <= 5% of want
	awk -v g="$1" -v w="$2" 'BEGIN { d = g - w; if (d < 0) d = -d; exit !(d * 100 <= w * 5) }'
}
for mode in timing functional; do
	"$MMUSIM" run --mode $mode "$GUESTS/x86_64/rusage_probe" >"$tmp/ru.out" 2>"$tmp/ru.err" ||
		fail "rusage_probe ($mode) exited $?"
	echo "$linux" | while read -r region minflt majflt maxrss; do
		line=$(grep "^$region " "$tmp/ru.out")
		[ -n "$line" ] || { fail "rusage_probe ($mode): no $region line"; continue; }
		set -- $line
		if within5 "$3" "$minflt" && [ "$5" -eq "$majflt" ]; then pass; else
			fail "rusage_probe ($mode): $region minflt $3 majflt $5, Linux $minflt $majflt"
		fi
		if [ "$maxrss" != - ]; then
			if within5 "$7" "$maxrss"; then pass; else
				fail "rusage_probe ($mode): $region maxrss grew $7 kB, Linux $maxrss kB"
			fi
		fi
	done
done

# --warm: the program runs once untraced, then is measured, as people
# measure a second run on Linux. Linux's second runs, measured natively on
# the development machine (Linux 6.18 x86-64, ext4) with
# /usr/bin/time -f '%F %R' (major, minor faults), three runs each from a
# fresh directory:
#   guests/x86_64/file_read (maps and reads data.bin, which its first run
#     creates): first run 2 major 67 minor, then 0 49 and 0 48
#   /bin/cat of a 1 MiB file (dynamic: ld.so maps libc's text, as dlopen
#     does): 0 126, 0 128, 0 127 (the first run already had it cached)
# so a warm run takes no major fault; a cold one under mmusim takes some.
# The first run is silent: its output and notes go nowhere, the measured
# run's once.
head -c 1048576 /dev/zero | tr '\0' x >big.bin
for prog in file_read cat; do
	for warm in "" --warm; do
		rm -f data.bin
		if [ $prog = cat ]; then
			"$MMUSIM" run $warm --stats --sysroot / /bin/cat big.bin >"$tmp/warm.out" 2>"$tmp/warm"
		else
			"$MMUSIM" run $warm --stats "$GUESTS/x86_64/file_read" >"$tmp/warm.out" 2>"$tmp/warm"
		fi || fail "$prog ${warm:-(cold)} exited $?"
		[ -n "$warm" ] || mv "$tmp/warm.out" "$tmp/cold.out"
		major=$(sed -n 's/^faults .* \([0-9]*\) major)$/\1/p' "$tmp/warm")
		if [ -z "$warm" ] && [ "${major:-0}" -gt 0 ]; then pass
		elif [ -n "$warm" ] && [ "$major" = 0 ]; then pass
		else fail "$prog ${warm:-(cold)}: $major major faults (Linux's second run: 0)"; fi
	done
	cmp -s "$tmp/cold.out" "$tmp/warm.out" && pass || fail "$prog --warm: the measured run's output is not there once: $(head -c 200 "$tmp/warm.out")"
done
rm -f big.bin data.bin
"$MMUSIM" run --warm "$GUESTS/x86_64/bad_syscalls" >/dev/null 2>"$tmp/warm"
[ "$(grep -c 'mmusim: .* not implemented' "$tmp/warm")" -eq "$("$MMUSIM" run "$GUESTS/x86_64/bad_syscalls" 2>&1 >/dev/null | grep -c 'mmusim: .* not implemented')" ] &&
	pass || fail "--warm: the measured run's notes are not there once"

# ---- 3. Debian's busybox ----------------------------------------------------
if [ -z "$DEBIAN" ]; then
	finish procfs
	exit $?
fi
bb=$DEBIAN/bin/busybox
run() { "$MMUSIM" run --mem 64M "$bb" "$@" 2>"$tmp/bb.err"; }

run ps >"$tmp/ps" || fail "busybox ps exited $?"
head -1 "$tmp/ps" | grep -q '^PID  *USER  *COMMAND$' || fail "ps: no header: $(head -1 "$tmp/ps")"
grep -q '^ *1 .* ps$' "$tmp/ps" && pass || fail "ps does not list itself as pid 1: $(cat "$tmp/ps")"
# A shell with a child: both are listed (busybox runs its applets in a fork).
run sh -c 'ps -o pid,ppid,comm; true' >"$tmp/ps2" || fail "busybox sh -c ps exited $?"
[ "$(grep -c '^ *[0-9]' "$tmp/ps2")" -eq 2 ] && grep -q '^ *2  *1 ' "$tmp/ps2" && pass ||
	fail "ps in a shell: expected pids 1 and 2 (parent 1): $(cat "$tmp/ps2")"

run free >"$tmp/free" || fail "busybox free exited $?"
run cat /proc/meminfo >"$tmp/meminfo" || fail "cat /proc/meminfo exited $?"
memtotal=$(awk '/^MemTotal:/ { print $2 }' "$tmp/meminfo")
freetotal=$(awk '/^Mem:/ { print $2 }' "$tmp/free")
[ -n "$memtotal" ] && [ "$memtotal" = "$freetotal" ] && [ "$memtotal" -le 65536 ] && [ "$memtotal" -gt 60000 ] && pass ||
	fail "free's total ($freetotal) is not /proc/meminfo's MemTotal ($memtotal) of --mem 64M"

run top -bn1 >"$tmp/top" || fail "busybox top -bn1 exited $?"
for want in '^Mem: ' '^CPU: ' '^Load average: ' '^ *PID  *PPID  *USER' '^ *1  *0 .*top -bn1'; do
	grep -q "$want" "$tmp/top" && pass || fail "top -bn1: no line matching '$want'"
done

run cat /proc/self/smaps_rollup >"$tmp/rollup" || fail "cat smaps_rollup exited $?"
fields=$(sed -n 's/^\([A-Za-z_]*\): .*/\1/p' "$tmp/rollup" | tr '\n' ' ')
[ "$fields" = "Rss Pss Pss_Dirty Pss_Anon Pss_File Pss_Shmem Shared_Clean Shared_Dirty Private_Clean Private_Dirty Referenced Anonymous LazyFree AnonHugePages ShmemPmdMapped FilePmdMapped Shared_Hugetlb Private_Hugetlb Swap SwapPss Locked " ] &&
	pass || fail "smaps_rollup fields: $fields"
awk '/^Rss:/ { rss = $2 } /^(Shared|Private)_(Clean|Dirty):/ { sum += $2 } /^Pss:/ { pss = $2 }
     END { exit !(rss > 0 && rss == sum && pss <= rss) }' "$tmp/rollup" && pass ||
	fail "smaps_rollup: Rss is not the sum of Shared/Private Clean/Dirty: $(cat "$tmp/rollup")"

# The links: /proc/self/fd/N names and reopens the file, exe is the program.
echo hello >f.txt
run sh -c 'exec 3<f.txt; readlink /proc/self/fd/3; cat /proc/self/fd/3; cmp /proc/self/exe /proc/1/exe && echo same' >"$tmp/links" ||
	fail "fd links exited $?"
[ "$(cat "$tmp/links")" = "$(printf '/f.txt\nhello\nsame')" ] && pass || fail "fd links: $(cat "$tmp/links")"
rm -f f.txt

# /proc/self/stat's fault counts are the run's so far: at most --stats'.
"$MMUSIM" run --stats "$bb" cat /proc/self/stat >"$tmp/stat" 2>"$tmp/stats" || fail "cat /proc/self/stat exited $?"
set -- $(cat "$tmp/stat")
minflt=${10} majflt=${12}
set -- $(sed -n 's/^faults  *\([0-9]*\) (\([0-9]*\) minor, \([0-9]*\) major)$/\1 \2 \3/p' "$tmp/stats")
[ $# -eq 3 ] && [ "$minflt" -le "$2" ] && [ "$majflt" -le "$3" ] && [ "$((minflt + majflt))" -gt 0 ] && pass ||
	fail "/proc/self/stat minflt $minflt majflt $majflt against --stats: $(grep '^faults' "$tmp/stats")"
finish procfs
