#!/bin/sh
# Dynamically linked programs (issue 17): each case run natively (amd64:
# the host's own /bin programs) or under qemu-aarch64 -L SYSROOT (arm64),
# and under mmusim with the same sysroot, in both modes; standard output
# and exit status must be the same bytes. mmusim's one-line notes go to
# standard error and are not compared.
#
#   tests/dynamic.sh MMUSIM amd64
#   tests/dynamic.sh MMUSIM arm64 SYSROOT   (SYSROOT/bin/ls ... from the
#                                            arm64 .debs, see
#                                            .ci/fetch-debian-dynamic)
. "$(dirname "$0")/lib.sh"
mmusim=$1 arch=$2 sysroot=${3:-/}
case $mmusim in /*) ;; *) mmusim=$(pwd)/$mmusim ;; esac
case $sysroot in /*) ;; *) sysroot=$(pwd)/$sysroot ;; esac
if [ "$arch" = arm64 ]; then
	[ -x "$sysroot/bin/ls" ] || { echo "dynamic: $sysroot/bin/ls missing (run .ci/fetch-debian-dynamic)"; exit 77; }
	command -v qemu-aarch64 >/dev/null || { echo "dynamic: no qemu-aarch64"; exit 77; }
	native() { p=$1; shift; qemu-aarch64 -L "$sysroot" "$sysroot$p" "$@"; }
else
	native() { "$@"; }
fi
where() {   # the program's path in the guest: /bin or /usr/bin
	if [ -x "$sysroot/bin/$1" ]; then echo "/bin/$1"; else echo "/usr/bin/$1"; fi
}

# A root with files of fixed contents and times (ls -l shows them).
root=$tmp/root
mkdir -p "$root/d" "$root/etc"
# The names of users and groups: the host's, as qemu-user reads them.
cp /etc/passwd /etc/group "$root/etc/"
printf 'pear\napple\nfig\nbanana\napple\n' >"$root/fruit"
printf 'one two\nthree four five\n' >"$root/d/words"
seq 1 200 >"$root/numbers"
touch -d '2020-01-02 03:04:05' "$root/fruit" "$root/d/words" "$root/numbers" "$root/d" 
chmod 0644 "$root/fruit" "$root/d/words" "$root/numbers"

check() {   # NAME PROGRAM ARGS...: native vs both modes
	name=$1
	shift
	prog=$1
	shift
	path=$(where "$prog")
	(cd "$root" && native "$path" "$@" >"$tmp/want" 2>/dev/null)
	want=$?
	for mode in timing functional; do
		(cd "$root" && "$mmusim" run --mode "$mode" --sysroot "$sysroot" --env LC_ALL=C --env PATH=/bin:/usr/bin \
			"${sysroot%/}$path" "$@" >"$tmp/got" 2>"$tmp/err")
		got=$?
		if [ "$got" != "$want" ]; then
			fail "$name ($mode): status $got, natively $want"; sed 's/^/    /' "$tmp/err" | head -5
		elif ! cmp -s "$tmp/want" "$tmp/got"; then
			fail "$name ($mode): output differs"; diff "$tmp/want" "$tmp/got" | head -5
		else
			pass
		fi
	done
}

export LC_ALL=C PATH=/bin:/usr/bin
check ls-l ls -l fruit d numbers
check sort sort fruit
check sort-n sort -rn numbers
check sed sed -n 's/a/A/gp' fruit
check grep grep -c 1 numbers
check grep-missing grep -q nothing-here fruit
check mawk mawk '{ s += $1 } END { print s, NR }' numbers
check bash-pipeline bash -c 'sort fruit | uniq -c | sort -rn; ls d | wc -l'
check ls-missing ls no-such-file
check stat-f-proc stat -f -c '%T %l' /proc
# mkdir -p moves into each directory it makes: its working directory is
# its own, not its shell's.
check mkdir-p-then-mv bash -c 'mkdir -p x/y && cp fruit f2 && mv f2 x/y/ && ls -R x && rm -r x'
# /dev/null, /dev/zero and /dev/full are there to write (the sysroot's
# own /dev is read-only).
check dev-memory bash -c 'echo hidden >/dev/null; ls nothing 2>/dev/null; echo status $?; head -c 8 /dev/zero | od -An -tx1; [ -c /dev/null ] && [ -w /dev/null ] && echo writable; (echo x >/dev/full) 2>/dev/null || echo full; stat -c "%F %t %T" /dev/null /dev/zero /dev/full /dev/random /dev/urandom; head -c 100 /dev/urandom | wc -c; echo seed >/dev/urandom && echo stirred'
# /dev/urandom and /dev/random give getrandom's bytes: the same every run.
rand() {
	(cd "$root" && "$mmusim" run --mode "$1" --sysroot "$sysroot" "${sysroot%/}$(where od)" -An -tx1 -N32 "$2" 2>/dev/null)
}
for mode in timing functional; do
	a=$(rand $mode /dev/urandom) b=$(rand $mode /dev/urandom) c=$(rand $mode /dev/random)
	if [ "$(echo $a | wc -w)" = 32 ] && [ "$a" = "$b" ] && [ "$a" = "$c" ]; then
		pass
	else
		fail "dev-random ($mode): two runs' bytes differ or are not 32: '$a' '$b' '$c'"
	fi
done
# Process substitution passes /dev/fd/N; /dev/stdin is /proc/self/fd/0.
check dev-fd bash -c 'comm -12 <(sort fruit) <(sort -r fruit | sort); cat /dev/stdin <d/words; wc -l </dev/fd/0 <numbers; while read -r l; do echo "got $l"; done < <(head -2 numbers); cat /dev/fd/3 3<fruit | wc -c'
if [ "$arch" = amd64 ]; then   # GNU tar makes its archive with creat(2)
	check tar-creat bash -c 'tar -cf t.tar fruit d && tar -tf t.tar && rm t.tar'
fi
if [ -x "${sysroot%/}/usr/bin/python3" ]; then   # arm64: python3-minimal and its stdlib, fetched
	check python3 python3 -c 'import json, re; d = {w: len(w) for w in re.findall("[a-z]+", open("fruit").read())}; print(json.dumps(d, sort_keys=True), sum(i * i for i in range(20000)))'
	# The sysroot is read-only to the guest, and statfs says so (ST_RDONLY);
	# the guest's own root is not. mmusim's answer: natively both are writable.
	got=$(cd "$root" && "$mmusim" run --mode functional --sysroot "$sysroot" "${sysroot%/}/usr/bin/python3" -c \
		'import os; print(os.statvfs("/usr/lib").f_flag & 1, os.statvfs(".").f_flag & 1)' 2>/dev/null)
	if [ "$got" = "1 0" ]; then pass; else fail "statvfs of the sysroot and the root: '$got', want '1 0'"; fi
fi

# 16 KiB pages (apple16k): Debian's arm64 binaries are linked for pages up
# to 64 KiB, AT_PAGESZ says 16 KiB, ld.so maps by it.
if [ "$arch" = arm64 ]; then
	(cd "$root" && native /bin/ls -l fruit d >"$tmp/want" 2>/dev/null)
	(cd "$root" && "$mmusim" run --preset apple16k --sysroot "$sysroot" --env LC_ALL=C "$sysroot/bin/ls" -l fruit d \
		>"$tmp/got" 2>"$tmp/err")
	st=$?
	if [ $st = 0 ] && cmp -s "$tmp/want" "$tmp/got"; then pass; else fail "ls -l on apple16k: status $st"; head -3 "$tmp/err"; fi
fi

# A root laid out as an unpacked Debian system, run without a sysroot: its
# ld.so reached through an absolute symlink (amd64's
# /lib64/ld-linux-x86-64.so.2 is one), which starts at the root as under
# chroot(2); and ".." of "/" is "/".
if [ "$arch" = arm64 ]; then triple=aarch64-linux-gnu ldso=ld-linux-aarch64.so.1 link=/lib/ld-linux-aarch64.so.1
else triple=x86_64-linux-gnu ldso=ld-linux-x86-64.so.2 link=/lib64/ld-linux-x86-64.so.2; fi
rootfs=$tmp/rootfs
mkdir -p "$rootfs/bin" "$rootfs/lib/$triple" "$rootfs$(dirname "$link")"
cp "${sysroot%/}$(where ls)" "$rootfs/bin/ls"
for lib in "$ldso" libc.so.6 libselinux.so.1 libpcre2-8.so.0; do
	for dir in lib usr/lib; do
		[ -e "${sysroot%/}/$dir/$triple/$lib" ] && cp -L "${sysroot%/}/$dir/$triple/$lib" "$rootfs/lib/$triple/" && break
	done
	[ -e "$rootfs/lib/$triple/$lib" ] || fail "rootfs: no $lib in the sysroot"
done
ln -s "/lib/$triple/$ldso" "$rootfs$link"
{ echo "/:"; ls -a "$rootfs"; echo; echo "/..:"; ls -a "$rootfs"; } >"$tmp/want"
"$mmusim" run --root "$rootfs" --sysroot none --env LC_ALL=C "$rootfs/bin/ls" -a / /.. >"$tmp/got" 2>"$tmp/err"
st=$?
if [ $st = 0 ] && cmp -s "$tmp/want" "$tmp/got"; then pass
else fail "ls in a Debian-like root: status $st"; head -3 "$tmp/err"; diff "$tmp/want" "$tmp/got" | head -5; fi

# Record -> replay of a dynamic pipeline (fork, exec, ld.so, shared
# libraries): the same faults and the same whole event log, without what
# only a CPU knows (pc, insn), as tests/record_replay.sh compares.
events() { tail -n +2 "$1" | sed -E 's/,"pc":"0x[0-9a-f]+","insn":"([^"\\]|\\.)*"(,"pc_block":true)?//'; }
mkdir "$tmp/tmpdir"
(cd "$root" && "$mmusim" run --sysroot "$sysroot" --env PATH=/bin:/usr/bin --record "$tmp/t.jsonl" --events "$tmp/run.jsonl" \
	"${sysroot%/}$(where bash)" -c 'sort fruit | uniq -c' >/dev/null 2>&1)
TMPDIR=$tmp/tmpdir "$mmusim" replay --events "$tmp/rep.jsonl" "$tmp/t.jsonl" >/dev/null 2>"$tmp/rerr"
st=$?
events "$tmp/run.jsonl" >"$tmp/run.ev"
events "$tmp/rep.jsonl" >"$tmp/rep.ev"
if [ $st -ne 0 ]; then fail "replay: exit $st: $(head -3 "$tmp/rerr")"
elif [ "$(grep -c '"ev":"fault"' "$tmp/run.ev")" -lt 100 ]; then fail "record: too few faults"
elif ! cmp -s "$tmp/run.ev" "$tmp/rep.ev"; then fail "replay: the event logs differ"; diff "$tmp/run.ev" "$tmp/rep.ev" | head -4 | cut -c1-300
else pass; fi

# Bad input (amd64, with a C compiler): a missing library is ld.so's own
# message and status 127; a missing interpreter is execve's ENOENT, which
# mmusim reports as a shell does, with status 127.
if [ "$arch" = amd64 ] && command -v cc >/dev/null; then
	printf 'int f(void) { return 3; }\n' >"$tmp/f.c"
	printf 'int f(void);\nint main(void) { return f(); }\n' >"$tmp/m.c"
	cc -shared -fPIC -o "$tmp/libf.so" "$tmp/f.c" && cc -o "$root/needs" "$tmp/m.c" -L"$tmp" -lf &&
	cc -o "$root/nointerp" "$tmp/m.c" "$tmp/f.c" -Wl,--dynamic-linker=/no/such/ld.so || { fail "cc"; finish dynamic; exit; }
	(cd "$root" && "$mmusim" run --sysroot / ./needs >"$tmp/got" 2>"$tmp/err")
	got=$?
	if [ "$got" = 127 ] && grep -q 'error while loading shared libraries: libf.so' "$tmp/err"; then pass
	else fail "missing library: status $got"; cat "$tmp/err"; fi
	(cd "$root" && "$mmusim" run --sysroot / --env LD_LIBRARY_PATH="$tmp" ./needs 2>"$tmp/err")
	got=$?
	[ "$got" = 3 ] && pass || { fail "LD_LIBRARY_PATH: status $got"; cat "$tmp/err"; }
	# An AArch64 program with the default sysroot, Debian's cross one
	# (/usr/aarch64-linux-gnu, from libc6-arm64-cross).
	if command -v aarch64-linux-gnu-gcc >/dev/null && [ -e /usr/aarch64-linux-gnu/lib/ld-linux-aarch64.so.1 ]; then
		printf '#include <stdio.h>\nint main(void) { puts("hello, dynamic"); return 3; }\n' >"$tmp/h.c"
		aarch64-linux-gnu-gcc -O2 -o "$root/h64" "$tmp/h.c" || fail "aarch64-linux-gnu-gcc"
		(cd "$root" && "$mmusim" run ./h64 >"$tmp/got" 2>"$tmp/err")
		got=$?
		if [ "$got" = 3 ] && [ "$(cat "$tmp/got")" = "hello, dynamic" ]; then pass
		else fail "AArch64, default sysroot: status $got"; head -3 "$tmp/err"; fi
	fi
	(cd "$root" && "$mmusim" run --sysroot / ./nointerp >"$tmp/got" 2>"$tmp/err")
	got=$?
	if [ "$got" = 127 ] && grep -q 'No such file or directory' "$tmp/err"; then pass
	else fail "missing interpreter: status $got"; cat "$tmp/err"; fi
fi
finish dynamic
