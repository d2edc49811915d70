/* Each subcommand's --help: its usage and options, on standard output. The
 * man page (docs/mmusim.1) says the same at more length. */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "sim/commands.h"

struct command_help {
	const char *name, *text;
};

static const struct command_help helps[] = {
	{"demo",
	 "usage: mmusim demo\n"
	 "       mmusim demo --dynamic\n"
	 "       mmusim demo --tables [--preset NAME]...\n"
	 "\n"
	 "Runs the bundled mmap_write guest (mmap a page, write 'A') on x86-64 and\n"
	 "AArch64 with --faults: every fault of a real program explained. Then (or\n"
	 "alone with --dynamic) the host's dynamically linked /bin/sh runs ls twice\n"
	 "and its telling faults are explained: the interpreter, libc's RELRO copied\n"
	 "on write, libc's text read into the page cache and found there by the next\n"
	 "program (skipped, in one line, where there are no such x86-64 programs).\n"
	 "With --tables, walks hand-built x86-64 and AArch64 page tables through the\n"
	 "TLBs and the walker instead, on the presets named (default: all of them).\n"},
	{"presets",
	 "usage: mmusim presets [NAME]\n"
	 "\n"
	 "Lists the machine presets ($MMUSIM_PRESETS, or the bundled ones), or shows\n"
	 "preset NAME (a name or a .json path) in full. Keys: docs/presets.md.\n"},
	{"run",
	 "usage: mmusim run [options] PROGRAM [ARGS...]\n"
	 "\n"
	 "Runs an x86-64 or AArch64 Linux program, static or dynamically linked, on\n"
	 "Unicorn over the software MMU and the OS model. Its standard streams are\n"
	 "mmusim's; mmusim exits with its status (128 + signal when one killed it;\n"
	 "126: not a program mmusim can run; 127: no such file or interpreter; 2: a\n"
	 "usage error).\n"
	 "\n"
	 "  --preset NAME           the machine (default by the ELF's machine: skylake,\n"
	 "                          cortex-a76, apple16k with --personality xnu)\n"
	 "  --set KEY=VALUE         change one preset key for this run, e.g.\n"
	 "                          thp=always, tlb.l1d.arrays[0].entries=32 (repeatable)\n"
	 "  --personality linux|xnu|liteos   the kernel whose policies the OS model follows\n"
	 "  --mode timing|functional  every access through the TLBs (default), or only\n"
	 "                          what the shadow of guest memory lacks (faster)\n"
	 "  --mem SIZE, --swap SIZE physical memory; a swap area\n"
	 "  --root DIR              the guest's files (default: the working directory)\n"
	 "  --disk-limit SIZE|none  host disk the guest's files may take under the\n"
	 "                          root, net of what it frees (default 1G); past it\n"
	 "                          a write is cut short, then ENOSPC\n"
	 "  --sysroot DIR|none      read-only files under the root: ld.so and the\n"
	 "                          libraries (default for a dynamic program: / for\n"
	 "                          x86-64, /usr/aarch64-linux-gnu for AArch64)\n"
	 "  --env NAME=VALUE        the guest's environment (empty otherwise; repeatable)\n"
	 "  --max-insns N           stop after N instructions\n"
	 "  --cpus N                N simulated CPUs, each with its own TLBs and walk\n"
	 "                          caches; threads placed on them, TLB shootdowns as\n"
	 "                          the kernel makes them (default: the preset's smp.cpus)\n"
	 "  --check-tlb             check every TLB hit against the page tables; a\n"
	 "                          stale one is reported and the exit status is 70\n"
	 "  --max-seconds N         stop after N seconds of host time, wherever the run is\n"
	 "  --warm                  run the program once in full first, untraced (no\n"
	 "                          events, trace, faults or statistics; its standard\n"
	 "                          streams and mmusim's notes to /dev/null), then\n"
	 "                          measure a second run: the page cache and the files\n"
	 "                          as the first left them, all else afresh (compare\n"
	 "                          with a native second run)\n"
	 "  --faults                every fault explained, on standard error\n"
	 "  --color[=auto|always|never]  colour in the fault inspector (auto: on a\n"
	 "                          terminal, unless NO_COLOR is set)\n"
	 "  --stats                 a summary on standard error\n"
	 "  --stats-json FILE       the summary as one JSON object\n"
	 "  --events FILE           every event as JSON Lines (docs/event-log.md)\n"
	 "  --chrome-trace FILE     faults, system calls and processes for Perfetto or\n"
	 "                          chrome://tracing (docs/chrome-trace.md)\n"
	 "  --record FILE           a trace whose replay gives the same faults\n"
	 "  --view                  the classroom view, live (see mmusim view --help)\n"
	 "  -h, --help              this text\n"},
	{"replay",
	 "usage: mmusim replay TRACE [options]\n"
	 "\n"
	 "Replays a trace, JSON Lines or the binary form (docs/trace-format.md; told\n"
	 "apart by the first byte; - for standard input) through the OS model and\n"
	 "the MMU, no CPU involved. The same trace and options give\n"
	 "the same bytes. Exit status 0, 2 for bad input, 1 when an output cannot be\n"
	 "written.\n"
	 "\n"
	 "  --preset NAME           the machine (default: skylake for x86-64 traces,\n"
	 "                          cortex-a76 for AArch64)\n"
	 "  --set KEY=VALUE         change one preset key for this replay (repeatable)\n"
	 "  --personality linux|xnu|liteos, --mem SIZE, --swap SIZE, --root DIR,\n"
	 "  --disk-limit SIZE|none  as for run\n"
	 "  --faults                every fault explained, on standard error\n"
	 "  --color[=auto|always|never]  colour in the fault inspector\n"
	 "  --stats                 a summary on standard output\n"
	 "  --stats-json FILE       the summary as one JSON object\n"
	 "  --events FILE           every event as JSON Lines (docs/event-log.md)\n"
	 "  --chrome-trace FILE     faults and processes for Perfetto or chrome://tracing\n"
	 "  --record FILE           the replayed trace, in canonical form\n"
	 "  --progress, --no-progress  a progress bar on standard error (default: when it\n"
	 "                          is a terminal and --faults is not given)\n"
	 "  --view                  the classroom view, live (see mmusim view --help)\n"
	 "  -h, --help              this text\n"},
	{"view",
	 "usage: mmusim view EVENTS.jsonl [options]\n"
	 "\n"
	 "The classroom view of an event log: the faulting address's fields, the page\n"
	 "tables and the walk, VMAs, frames, TLBs, fault by fault. Keys: space\n"
	 "play/pause, arrows one fault, Home/End, +/- speed, Tab next process, s a\n"
	 "screenshot, l lecture, p predict, r reveal, ? help, q quit.\n"
	 "\n"
	 "  --headless              no window: with --frames, one PNG a fault\n"
	 "  --frames DIR            where --headless writes its PNGs\n"
	 "  --gif FILE              with --headless: an animated GIF of the faults, step by step\n"
	 "  --size WxH              the picture's size (at least 640x400)\n"
	 "  --first N, --last N     the faults shown\n"
	 "  --fault N               only fault N\n"
	 "  --layout                print where each entry cell and link was drawn\n"
	 "  --hover X,Y             with --headless: the mouse at X,Y, its box drawn\n"
	 "  --lecture               large type, the walk first (key l toggles)\n"
	 "  --predict               each fault's outcome hidden until r (key p toggles)\n"
	 "  -h, --help              this text\n"},
	{"quiz",
	 "usage: mmusim quiz EVENTS.jsonl [-s SEED] [-n N] [-c]\n"
	 "\n"
	 "Homework questions drawn from an event log (mmusim run/replay --events): an\n"
	 "address's index fields, the entries a fault writes, the tables and frames it\n"
	 "allocates, whether it is resolved, the TLB fills of its retry. The same log\n"
	 "and seed give the same questions.\n"
	 "\n"
	 "  -s SEED                 which questions (default 1)\n"
	 "  -n N                    how many (default 5)\n"
	 "  -c                      print the answers too\n"
	 "  -h, --help              this text\n"},
	{"convert",
	 "usage: mmusim convert --from lackey [--arch x86-64|aarch64] IN OUT\n"
	 "       mmusim convert --to binary|jsonl IN OUT\n"
	 "\n"
	 "--from lackey turns a Valgrind --tool=lackey --trace-mem=yes log into a\n"
	 "trace; the trace first maps every region the log touches. --to rewrites a\n"
	 "trace (either form) in the compact binary form or as JSON Lines: the same\n"
	 "records, so both replay alike (docs/trace-format.md). IN and OUT: - for\n"
	 "standard input and output.\n"
	 "\n"
	 "  -h, --help              this text\n"},
	{NULL, NULL},
};

/* Options of run that take a value: a word after one is not the program. */
static bool takes_value(const char *opt)
{
	static const char *const opts[] = {"--preset", "--personality", "--mode", "--mem", "--swap", "--root",
					   "--sysroot", "--events", "--record", "--max-insns", "--env", "--set", "--chrome-trace", "--cpus",
					   "--max-seconds", "--disk-limit",
					   "--stats-json", "--frames", "--size", "--first", "--last", "--fault", NULL};
	for (int i = 0; opts[i]; i++)
		if (!strcmp(opt, opts[i]))
			return true;
	return false;
}

/* Is this a request for the command's help? For run, only among mmusim's
 * options: after the program, --help is the program's. */
static bool wants_help(const char *cmd, int argc, char **argv)
{
	bool run = !strcmp(cmd, "run");
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-h") || !strcmp(a, "--help"))
			return true;
		if (!strcmp(a, "--") || (run && a[0] != '-'))
			return false;
		if (run && takes_value(a))
			i++;
	}
	return false;
}

int command_help(const char *cmd, int argc, char **argv)
{
	for (int i = 0; helps[i].name; i++)
		if (!strcmp(cmd, helps[i].name)) {
			if (!wants_help(cmd, argc, argv))
				return -1;
			fputs(helps[i].text, stdout);
			return 0;
		}
	return -1;
}
