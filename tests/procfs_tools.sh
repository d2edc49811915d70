#!/bin/sh
# procps's own tools — pmap, ps, free, top — read a guest's /proc the way
# they read Linux's (issue 19). They are dynamically linked: x86-64 runs the
# host's /usr/bin ones (procps, in .ci/install-deps) with --sysroot /;
# arm64 the ones .ci/fetch-debian-dynamic unpacks, when SYSROOT is given.
#
#   tests/procfs_tools.sh MMUSIM GUESTS [SYSROOT]
#
# The process looked at is guests/procfs_task held still ("hold": its 3
# workers wait at a barrier with their pages written) while a shell, its
# child, runs the tools on it. Checked:
# - pmap -x lists every mapping of /proc/PID/maps, with smaps' size, Rss
#   and dirty kB, and totals them; pmap -X's Rss and Pss are smaps';
#   the default pmap's total is the sum of the sizes.
# - Linux's pmap -x (the same program held natively, amd64) shows the same
#   mappings of the program's file and the same large anonymous ones (the
#   thread stacks, the threads' malloc arenas, the workers' pages, with
#   their RSS) — [vvar], [vdso], [vsyscall] and the stack's size aside.
# - ps -L and ps -T list the 4 threads (PID the process's, LWP each tid of
#   /proc/PID/task, NLWP 4); free's total is MemTotal; top -bn1 lists the
#   processes.
. "$(dirname "$0")/lib.sh"
MMUSIM=$1 GUESTS=$2 SYSROOT=${3:-}
case $MMUSIM in /*) ;; *) MMUSIM=$(pwd)/$MMUSIM ;; esac
case $GUESTS in /*) ;; *) GUESTS=$(pwd)/$GUESTS ;; esac
case $SYSROOT in /*|"") ;; *) SYSROOT=$(pwd)/$SYSROOT ;; esac
if [ -n "$SYSROOT" ]; then
	arch=aarch64 root=$SYSROOT shell=/bin/bash   # no dash among the packages
	[ -x "$SYSROOT/usr/bin/pmap" ] || { echo "procfs_tools: $SYSROOT/usr/bin/pmap missing (run .ci/fetch-debian-dynamic)"; exit 77; }
else
	arch=x86_64 root=/ shell=/bin/sh
	[ "$(uname -m)" = x86_64 ] && [ -x /usr/bin/pmap ] || { echo "procfs_tools: no x86-64 /usr/bin/pmap (procps)"; exit 77; }
fi
prog=$GUESTS/$arch/procfs_task
export LC_ALL=C

# What the shell writes, one file a view; smaps before and after, to see
# the process held still.
script='cat /proc/$PID/smaps >smaps1; cat /proc/$PID/maps >maps; ls /proc/$PID/task >tasks; ls -f /proc/$PID/task >tasks_f
pmap -x $PID >x; pmap -X $PID >X; pmap $PID >plain
ps -L -o pid=,lwp=,nlwp= -p $PID >psL; ps -T -o pid=,spid= -p $PID >psT
cat /proc/$PID/smaps >smaps2; free >free; cat /proc/meminfo >meminfo; top -bn1 >top'
mkdir "$tmp/sim" && cd "$tmp/sim" || exit 1
# top needs the terminal's description; the arm64 packages have none
# (ncurses-base is the host's, and the same on every architecture).
if [ "$arch" = aarch64 ] && [ -f /lib/terminfo/d/dumb ]; then
	mkdir -p lib/terminfo/d && cp /lib/terminfo/d/dumb lib/terminfo/d/
fi
"$MMUSIM" run --mem 256M --sysroot "$root" --env PATH=/usr/bin:/bin --env LC_ALL=C --env TERM=dumb \
	"$prog" hold $shell -c "$script" >out 2>err || { fail "the tools under mmusim exited $?"; sed 's/^/    /' err | head; }
[ -s x ] && [ -s smaps1 ] || { fail "no pmap output"; finish procfs_tools; exit 1; }
cmp -s smaps1 smaps2 && pass || fail "the held process changed while the tools ran"

# smaps, one line a mapping: start (16 digits, as pmap -x) size rss dirty pss perms
awk '/^[0-9a-f]+-[0-9a-f]+ / { split($1, a, "-"); start = sprintf("%16s", a[1]); gsub(/ /, "0", start); perms = $2 }
     /^Size:/ { size = $2 } /^Rss:/ { rss = $2 } /^Pss:/ { pss = $2 }
     /^(Shared|Private)_Dirty:/ { dirty += $2 }
     /^VmFlags:/ { print start, size, rss, dirty, pss, perms; dirty = 0 }' smaps1 >want
[ "$(wc -l <want)" -eq "$(wc -l <maps)" ] && [ -s maps ] && pass || fail "smaps and maps disagree on the mappings"

# pmap -x: Address Kbytes RSS Dirty Mode Mapping, then the totals.
awk 'length($1) == 16 && $1 ~ /^[0-9a-f]+$/ { print $1, $2, $3, $4, substr($5, 1, 3) }' x >got
awk '{ print $1, $2, $3, $4, substr($6, 1, 3) }' want >want_x
if cmp -s want_x got; then pass; else
	fail "pmap -x against smaps (address kB rss dirty mode):"; diff want_x got | head -10
fi
set -- $(awk '{ s += $2; r += $3; d += $4 } END { print s, r, d }' want)
grep -q "^total kB  *$1  *$2  *$3\$" x && pass || fail "pmap -x totals: $(grep '^total' x), smaps: $*"
grep -q "^ total  *$1K\$" plain && pass || fail "pmap's total: $(tail -1 plain), smaps: $1K"
# pmap -X: Rss and Pss columns (found by the header) are smaps'.
awk 'NR == 2 { for (i = 1; i <= NF; i++) { if ($i == "Rss") r = i; if ($i == "Pss") p = i; if ($i == "Address") a = i } }
     NR > 2 && $2 ~ /^[r-][w-][x-][ps]$/ { s = sprintf("%16s", $a); gsub(/ /, "0", s); print s, $r, $p }' X >got_X
awk '{ print $1, $3, $5 }' want >want_X
if [ -s got_X ] && cmp -s want_X got_X; then pass; else
	fail "pmap -X Rss/Pss against smaps:"; diff want_X got_X | head -6
fi

# Threads: ps -L and -T show the 4 tids of task/.
pid=$(awk 'NR == 1 { print $1 }' psL)
[ "$(wc -l <psL)" -eq 4 ] && [ "$(awk -v p="$pid" '$1 == p && $3 == 4' psL | wc -l)" -eq 4 ] && pass ||
	fail "ps -L: $(cat psL)"
[ "$(awk '{ print $2 }' psL | sort)" = "$(sort tasks)" ] && [ "$(awk '{ print $2 }' psT | sort)" = "$(sort tasks)" ] &&
	pass || fail "ps -L/-T LWPs $(awk '{ print $2 }' psL | tr '\n' ' ') against task/ $(tr '\n' ' ' <tasks)"
# ls -f (getdents' own order): . and .., then the thread list as Linux
# keeps it, the leader first, then the threads as they were made (here
# ascending tids, as natively).
want_f=$(printf '.\n..\n'; sort -n tasks)
[ "$(cat tasks_f)" = "$want_f" ] && [ "$(sed -n 3p tasks_f)" = "$pid" ] && pass ||
	fail "ls -f /proc/PID/task: $(tr '\n' ' ' <tasks_f), want $(echo $want_f)"
memtotal=$(awk '/^MemTotal:/ { print $2 }' meminfo)
[ "$(awk '/^Mem:/ { print $2 }' free)" = "$memtotal" ] && [ "$memtotal" -le 262144 ] && [ "$memtotal" -gt 250000 ] && pass ||
	fail "free's total $(awk '/^Mem:/ { print $2 }' free), MemTotal $memtotal, --mem 256M"
grep -q "^ *$pid .* procfs_ta" top && grep -q '^ *PID USER ' top && pass || fail "top -bn1: $(head -12 top)"

# Linux's pmap -x of the same program held natively (amd64): the same
# mappings of the program's file, and the same anonymous ones of 1 MiB or
# more (thread stacks, malloc arenas, the workers' pages) with their RSS.
if [ "$arch" = x86_64 ]; then
	mkdir "$tmp/native" && cd "$tmp/native" || exit 1
	"$prog" hold /bin/sh -c 'pmap -x $PID >x' >/dev/null 2>&1 || fail "native run exited $?"
	for d in native sim; do
		awk '$NF == "procfs_task" && length($1) == 16 { print "file", $2, $5 }
		     $NF == "]" && $(NF - 1) == "anon" && $2 >= 1024 { print "anon", $2, $3, $5 }' "$tmp/$d/x" | sort >"$tmp/$d.big"
	done
	if [ -s "$tmp/native.big" ] && cmp -s "$tmp/native.big" "$tmp/sim.big"; then pass; else
		fail "pmap -x against Linux's (file and large anonymous mappings):"; diff "$tmp/native.big" "$tmp/sim.big" | head -10
	fi
fi
finish procfs_tools
