#!/bin/sh
# Runs every benchmark once, in one go on this machine, and writes
# bench/RESULTS.md (each figure with the command that produced it and its
# whole output) and bench/results.png (guest speed against raw Unicorn).
#
#   sh bench/results.sh [BUILD_DIR]
#
# BUILD_DIR (default build/) must hold a finished build. Needs valgrind
# (the cachegrind and lackey comparisons) and gnuplot (the plot); Debian:
# apt-get install valgrind gnuplot-nox (.ci/install-deps installs both).
# Takes about 5 minutes on 2 cores; run it on a quiet machine: every figure
# is a ratio to a baseline measured in the same run, but noise still shows.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../build}" && pwd)
out=$here/RESULTS.md
png=$here/results.png
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

command -v valgrind >/dev/null || { echo "results.sh: valgrind not found (apt-get install valgrind)" >&2; exit 1; }
command -v gnuplot >/dev/null || { echo "results.sh: gnuplot not found (apt-get install gnuplot-nox)" >&2; exit 1; }

# run NAME COMMAND...: the command's output into $work/NAME, echoed.
run() {
	name=$1
	shift
	echo "== $*" >&2
	(cd "$build" && "$@") >"$work/$name" 2>&1 || { cat "$work/$name" >&2; echo "results.sh: '$*' failed" >&2; exit 1; }
	printf '%s\n' "$*" >"$work/$name.cmd"
	cat "$work/$name" >&2
}

# Real programs: Debian's static busybox and bash, when
# .ci/fetch-debian-utils has unpacked them into $MMUSIM_DEBIAN_UTILS
# (default /tmp/du), and Lua, the compressors and sqlite built by
# .ci/fetch-real-programs into $MMUSIM_REAL_PROGRAMS (default
# BUILD_DIR/real-programs, where the test suite builds them); each set
# skipped, and said so, when it is not there.
du=${MMUSIM_DEBIAN_UTILS:-/tmp/du}
rp=${MMUSIM_REAL_PROGRAMS:-$build/real-programs}
set --
[ -x "$du/amd64/bin/busybox" ] && [ -x "$du/arm64/bin/busybox" ] && set -- --real "$du"
[ -x "$rp/amd64/lua_run" ] && [ -x "$rp/arm64/lua_run" ] && set -- "$@" --real-built "$rp"
if [ $# -gt 0 ]; then
	run real ./bench_run "$@" --repeat 3
else
	echo "real programs skipped: run .ci/fetch-debian-utils $du and .ci/fetch-real-programs $rp first" >"$work/real"
	echo "(skipped)" >"$work/real.cmd"
fi

modes=raw,raw-memhk,functional,timing,cachegrind,lackey,lackey-mem
run compute ./bench_run --kernel alu --rounds 5 --arch both --only $modes
run memory ./bench_run --kernel chase --rounds 5 --arch both --only $modes
run mix ./bench_run --kernel all --rounds 5 --arch both --only raw,raw-memhk,functional,timing
run replay ./bench_replay 10 "$work" 3
run replay_scale ./bench_replay --scale "$work" 10 30 100
run faults ./bench_fault
run scale ./bench_scale
run smp ./bench_smp --repeat 3

# "vs raw" of each mode in a bench_run table: lines "ARCH MODE RATIO".
ratios() {
	awk '/^(x86-64|AArch64):/ { arch = $1; sub(":", "", arch) }
	     /^  (raw|raw-memhk|functional|timing|cachegrind|lackey|lackey-mem) +[0-9]/ { print arch, $1, $6 }' "$work/$1"
}

# The plot: for each guest and architecture, each mode's speed as a share
# of raw Unicorn's (higher is faster), with the targets drawn in.
for g in compute memory mix; do ratios $g | sed "s/^/$g /"; done >"$work/ratios.dat"
awk '{ key = $1 " " $2; if (!(key in seen)) { seen[key] = 1; order[n++] = key }
       v[key, $3] = $4 }
     END {
           for (i = 0; i < n; i++) { k = order[i]; split(k, p, " ")
             label = (p[1] == "compute" ? "alu" : p[1] == "memory" ? "chase" : "all") "/" p[2]
             printf "%s", label
             m["1"] = "raw-memhk"; m["2"] = "functional"; m["3"] = "timing"; m["4"] = "cachegrind"; m["5"] = "lackey"
             for (j = 1; j <= 5; j++) { x = v[k, m[j ""]]; printf " %s", (x == "" ? "-" : x) }
             printf "\n" } }' "$work/ratios.dat" >"$work/plot.dat"
gnuplot <<EOF
set terminal pngcairo size 1100,560 font "DejaVu Sans,10"
set output "$png"
set title "Guest speed as a share of raw Unicorn's (same run; higher is faster)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set datafile missing "-"
set key outside right top
set ylabel "raw Unicorn CPU time / mode CPU time"
set yrange [0:*]
set grid ytics
set xtics rotate by -20
set offsets 0, 1.3, 0, 0   # room on the right for the targets' labels
set arrow from graph 0, first 0.8 to graph 1, first 0.8 nohead dt 2 lc rgb "#1b7837"
set arrow from graph 0, first 0.6 to graph 1, first 0.6 nohead dt 2 lc rgb "#b2182b"
set label "functional target 0.8" at graph 0.99, first 0.83 right tc rgb "#1b7837"
set label "timing target 0.6" at graph 0.99, first 0.63 right tc rgb "#b2182b"
plot "$work/plot.dat" using 2:xtic(1) title "raw + empty memory hooks", \
     '' using 3 title "mmusim functional", '' using 4 title "mmusim timing", \
     '' using 5 title "valgrind cachegrind", '' using 6 title "valgrind lackey"
EOF

section() {   # TITLE NAME...: each run's command and output
	printf '\n### %s\n' "$1"
	shift
	for n in "$@"; do
		printf '\n`%s` (in the build directory):\n\n```\n' "$(cat "$work/$n.cmd")"
		cat "$work/$n"
		printf '```\n'
	done
}

{
	printf '# mmusim benchmark results\n\n'
	printf 'Written by `sh bench/results.sh` on %s, %s, %s CPUs (%s), at commit %s. ' \
		"$(date -u +%Y-%m-%d)" "$(uname -srm)" "$(nproc)" \
		"$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)" \
		"$(git -C "$here" rev-parse --short HEAD 2>/dev/null || echo unknown)"
	printf 'Every ratio is against a baseline measured in the same run. CPU seconds, best of 3 unless said.\n\n'
	printf '## Real programs\n\n'
	printf 'Debian 12 static busybox and bash (`--real`), and Lua 5.4, zlib/xz/zstd/bzip2 and sqlite3 from Debian 12'"'"'s static libraries (`--real-built`), `bench_run` (each mode'"'"'s whole output compared by length and hash):\n\n'
	grep '^|' "$work/real" || cat "$work/real"
	printf '\n![guest speed against raw Unicorn](results.png)\n\n'
	printf '## Targets\n\n'
	printf '| figure | target | measured |\n|---|---|---|\n'
	for g in compute memory mix; do
		label=$(case $g in compute) echo "compute-bound (alu)";; memory) echo "memory-bound (chase)";; mix) echo "all kernels";; esac)
		ratios $g | awk -v l="$label" '$2 == "functional" { printf "| functional, %s, %s | >= 0.8 x raw | %s |\n", l, $1, $3 }
		                               $2 == "timing" { printf "| timing, %s, %s | >= 0.6 x raw | %s |\n", l, $1, $3 }'
		grep -E '^  timing: [0-9.]+ x (cachegrind|lackey)' "$work/$g" | sed -E "s/^  timing: ([0-9.]+) x ([a-z-]+)'s time \(target ([^:]+): .*/| timing's time \/ \2's, $label, x86-64 | \3 | \1 |/" || true
	done
	# Replay: "  MACHINE, WORKLOAD (best of 3)" then the jsonl and binary rates.
	awk '/^  [a-z0-9-]+, (wide|hot)/ { sub(/^  /, ""); sub(/ \(best.*/, ""); at = $0 }
	     /^    (jsonl|binary) / { printf "| replay from %s, %s | >= %s M accesses/s | %s (%s of the ceiling) |\n",
	                               ($1 == "jsonl" ? "JSON Lines" : "binary"), at, ($1 == "jsonl" ? 5 : 50), $2, $5 }' "$work/replay"
	awk '/^ +[0-9]+ M +(jsonl|binary)/ { printf "| replay of %s M accesses from %s: cost per access, peak RSS | linear; <= guest + 64 MiB | %s ns; %s MiB (guest frames %s MiB, never written: holes) |\n", $1, $3, $6, $13, $19 }' "$work/replay_scale"
	awk '/^  Linux/ { lz = $4; lc = $5 }
	     /^  mmusim/ { printf "| host ns per zero-fill fault, %s (in brackets: os_access alone) | < 1000 (Linux here: %s) | %s (%s) |\n", $2, lz, $3, $5
	                   printf "| host ns per COW fault, %s (in brackets: os_access alone) | < 1000 (Linux here: %s) | %s (%s) |\n", $2, lc, $4, $6 }' "$work/faults"
	awk '/^bench_scale: resident/ { part = "model" } /^bench_scale: a guest/ { part = "guest" } /^bench_scale: processes/ { part = "procs" }
	     part == "model" && $1 == 1048576 { printf "| 1 M resident pages (4 GiB), OS model alone: ns/page, peak RSS - guest | linear; <= 64 MiB | %s; %s MiB |\n", $3, $6 }
	     part == "guest" && $2 == 1048576 { printf "| the %s guest touching 4 GiB: peak RSS - guest | <= 64 MiB | %s MiB |\n", $1, $7 }
	     part == "procs" && ($2 == 250 || $2 == 1000) { ms[$1, $2] = $4 }
	     END { split("x86_64 aarch64", as, " ")
	           for (i = 1; i <= 2; i++) printf "| fork loop, %s: ms per process at 250 and 1,000 processes | flat (linear cost) | %s, %s |\n", as[i], ms[as[i], 250], ms[as[i], 1000] }' "$work/scale"
	section "Real programs: every mode" real
	section "Guest execution: compute-bound (compute's alu kernel)" compute
	section "Guest execution: memory-bound (compute's chase kernel: a new page on almost every load)" memory
	section "Guest execution: the whole compute mix (alu, matmul, sort, chase, copy)" mix
	section "Replay: JSONL and binary traces against a bare loop over the same model" replay replay_scale
	section "Faults: host time per simulated minor fault, against Linux" faults
	section "Scale: resident pages and processes" scale
	section "Several CPUs: N threads on --cpus N against 1 thread (host ns per guest instruction)" smp
} >"$out"
echo "results.sh: wrote $out and $png" >&2
