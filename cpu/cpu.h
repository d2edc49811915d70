/* cpu/ — runs guest code on Unicorn over the OS model and the software MMU
 * (docs/architecture.md, "The bridge"). The kernel decides which process
 * runs; cpu/ runs it. */
#ifndef MMUSIM_CPU_H
#define MMUSIM_CPU_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "os/os.h"

enum cpu_mode {
	CPU_TIMING,      /* every data access through the TLB model; fetches per block; cycles */
	CPU_FUNCTIONAL,  /* only what the shadow lacks goes to the MMU: exact faults, no TLB figures */
};

struct cpu_options {
	enum cpu_mode mode;
	uint64_t max_insns;   /* stop after this many instructions (0: no limit) */
	bool quiet;           /* no kernel-style segfault lines on stderr */
	/* When set, a signal number the caller's handler stores (sim/stop.h):
	 * at the next block every process dies of that signal, the normal way. */
	const volatile sig_atomic_t *stop;
};

struct cpu;

struct cpu *cpu_create(struct kernel *k, const struct cpu_options *o, char *err, size_t errlen);
void cpu_destroy(struct cpu *c);

/* Runs `program` (a host path) with argv/envp as process 1 until every
 * process has exited. Returns process 1's exit status (128 + signal when a
 * signal killed it), or a negative number with a one-line reason in err
 * when the program could not be started (-errno where it says why: -ENOENT
 * for a missing interpreter). */
int cpu_run(struct cpu *c, const char *program, int argc, char *const argv[], char *const envp[], char *err,
	    size_t errlen);

/* "unicorn 2.0.1", and whether cpu/uc_overrides.c speeds its store path. */
const char *cpu_engine_version(void);
/* Turns those overrides off or back on (where possible) for every engine
 * of the process; returns whether they are on. For benchmarks. */
bool cpu_unicorn_overrides(bool on);

/* Figures of the run. */
uint64_t cpu_instructions(const struct cpu *c);

#endif
