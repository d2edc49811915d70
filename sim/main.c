/* mmusim: the command line. Exit status 0 on success, 1 when a command
 * fails, 2 on a usage error (always with a one-line message). */
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "cpu/cpu.h"
#include "sim/commands.h"
#include "sim/install.h"

static const char usage[] =
	"usage: mmusim <command> [options]\n"
	"\n"
	"mmusim is a cycle-approximate MMU and page-table simulator.\n"
	"\n"
	"commands:\n"
	"  demo                      run the bundled mmap_write guest (mmap a page, write 'A')\n"
	"                            on x86-64 and AArch64 with --faults: every fault explained\n"
	"  demo --tables [--preset NAME]...\n"
	"                            walk hand-built x86-64 and AArch64 page tables through\n"
	"                            the TLBs and the walker, showing every entry read, the\n"
	"                            hardware's A/D updates and the faults' syndromes\n"
	"  presets [NAME]            list the machine presets, or show one in full\n"
	"  run [options] PROGRAM [ARGS...]\n"
	"                            run an x86-64 or AArch64 Linux program, static or dynamic,\n"
	"                            on Unicorn over the software MMU and the OS model; its exit status\n"
	"                            is the program's. Options: --preset NAME, --personality\n"
	"                            linux|xnu|liteos, --mode timing|functional, --faults\n"
	"                            (every fault on stderr), --stats, --events FILE, --root\n"
	"                            DIR (the guest's files; default: the working directory),\n"
	"                            --mem SIZE, --swap SIZE, --max-insns N, --max-seconds N,\n"
	"                            --warm, --env NAME=VALUE,\n"
	"                            --record FILE (a trace whose replay gives the same faults),\n"
	"                            --chrome-trace FILE (for Perfetto), --stats-json FILE,\n"
	"                            --set KEY=VALUE (a preset key), --color[=WHEN],\n"
	"                            --view (the view below, live, with its options)\n"
	"  replay TRACE [options]    replay a trace, JSON Lines or binary (- for standard input),\n"
	"                            through the OS model and the MMU; --view shows it live\n"
	"  sweep --param KEY=V1,V2,... [options] -- replay TRACE | run PROGRAM\n"
	"                            the trace or program over a grid of preset parameters,\n"
	"                            one process a point (--jobs N): a CSV and a PNG plot;\n"
	"                            --list, --point K and --merge split it over machines\n"
	"  view EVENTS [options]     the classroom view of an event log: the faulting address's\n"
	"                            fields, the page tables and the walk, VMAs, frames, TLBs,\n"
	"                            fault by fault (keys: space, arrows, Home/End, +/-, Tab,\n"
	"                            s, ?, q). --headless --frames DIR writes one PNG a fault\n"
	"                            without a display; --size WxH, --first N, --last N,\n"
	"                            --fault N, --layout (each frame's entry cells and links)\n"
	"  quiz EVENTS [-s SEED] [-n N] [-c]\n"
	"                            homework questions from an event log (the seed picks them;\n"
	"                            -c prints the answers)\n"
	"  convert --from lackey [--arch x86-64|aarch64] IN OUT\n"
	"                            turn a Valgrind lackey --trace-mem=yes log into a trace\n"
	"  convert --to binary|jsonl IN OUT\n"
	"                            a trace to the compact binary form, or to JSON Lines\n"
	"  help                      this text\n"
	"\n"
	"options:\n"
	"  -h, --help                this text\n"
	"  --version                 the version\n"
	"\n"
	"'mmusim COMMAND --help' describes a command; man mmusim, all of them.\n"
	"Presets are read from " "$MMUSIM_PRESETS or the bundled presets/ directory.\n";

int usage_error(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fputs("mmusim: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputs(" (try mmusim --help)\n", stderr);
	va_end(ap);
	return 2;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage_error("%s", "no command given");
	const char *cmd = argv[1];
	if (!strcmp(cmd, "-h") || !strcmp(cmd, "--help") || !strcmp(cmd, "help")) {
		fputs(usage, stdout);
		return 0;
	}
	if (!strcmp(cmd, "--version")) {
		printf("mmusim %s\n%s\n", MMUSIM_VERSION, cpu_engine_version());
		return 0;
	}
	if (command_help(cmd, argc - 1, argv + 1) == 0)
		return 0;
	install_find_presets();
	/* A guest meets its own RLIMIT_NOFILE (up to 4,096 per process), not
	 * the host's soft limit (often 1,024): take all the host allows. */
	/* A host file past mmusim's own RLIMIT_FSIZE: the guest's write fails
	 * with EFBIG, as its own would; mmusim is not killed. */
	signal(SIGXFSZ, SIG_IGN);
	struct rlimit nofile;
	if (!getrlimit(RLIMIT_NOFILE, &nofile) && nofile.rlim_cur < nofile.rlim_max) {
		nofile.rlim_cur = nofile.rlim_max;
		setrlimit(RLIMIT_NOFILE, &nofile);
	}
	if (!strcmp(cmd, "presets"))
		return cmd_presets(argc - 1, argv + 1);
	if (!strcmp(cmd, "demo"))
		return cmd_demo(argc - 1, argv + 1);
	if (!strcmp(cmd, "replay"))
		return cmd_replay(argc - 1, argv + 1);
	if (!strcmp(cmd, "run"))
		return cmd_run(argc - 1, argv + 1);
	if (!strcmp(cmd, "view"))
		return cmd_view(argc - 1, argv + 1);
	if (!strcmp(cmd, "sweep"))
		return cmd_sweep(argc - 1, argv + 1);
	if (!strcmp(cmd, "quiz"))
		return cmd_quiz(argc - 1, argv + 1);
	if (!strcmp(cmd, "convert"))
		return cmd_convert(argc - 1, argv + 1);
	if (cmd[0] == '-')
		return usage_error("unknown option '%s'", cmd);
	return usage_error("unknown command '%s'", cmd);
}
