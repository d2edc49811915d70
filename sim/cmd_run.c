/* mmusim run PROGRAM [ARGS]: run an x86-64 or AArch64 Linux program (static,
 * or dynamically linked with its libraries from --sysroot)
 * on Unicorn with the software MMU and the OS model underneath, and show
 * its faults. The guest's standard streams are mmusim's; reports go to
 * standard error. --record FILE writes a trace that `mmusim replay` turns
 * into the same faults (traces/record.c). Exit status: the guest's (128 + signal when a signal
 * killed it), 126 when the program cannot be run (not a static ELF for a
 * supported machine), 127 when it or its interpreter does not exist, 2 for
 * a usage error. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "sim/commands.h"
#include "sim/stop.h"
#include "cpu/cpu.h"
#include "sim/options.h"
#include "sim/report.h"
#include "traces/traces.h"
#include "mmu/errmsg.h"

struct run_opts {
	struct sim_opts s;   /* the options replay has too */
	const char *mode, *max_insns, *max_seconds, *sysroot;
	char *env[65];       /* --env NAME=VALUE, NULL-terminated: the guest's whole environment */
	int nenv;
	bool warm;           /* --warm: measured after an untraced first run */
	int argc;            /* the program and its arguments */
	char **argv;
};

static int parse_args(int argc, char **argv, struct run_opts *o)
{
	int i;
	for (i = 1; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
		const char *a = argv[i];
		const char **value = NULL;
		if (!strcmp(a, "--"))  {
			i++;
			break;
		}
		int v = sim_option(argc, argv, &i, &o->s);
		if (v < 0)
			return -v;
		if (v)
			continue;
		if (!strcmp(a, "--mode"))
			value = &o->mode;
		else if (!strcmp(a, "--max-insns"))
			value = &o->max_insns;
		else if (!strcmp(a, "--max-seconds"))
			value = &o->max_seconds;
		else if (!strcmp(a, "--sysroot"))
			value = &o->sysroot;
		else if (!strcmp(a, "--warm"))
			o->warm = true;
		else if (!strcmp(a, "--env")) {
			if (++i == argc || !strchr(argv[i], '='))
				return usage_error("--env needs NAME=VALUE");
			if (o->nenv == 64)
				return usage_error("at most 64 --env settings");
			o->env[o->nenv++] = argv[i];
		} else
			return usage_error("unknown option '%s' for run", a);
		if (value) {
			if (++i == argc)
				return usage_error("%s needs a value", a);
			*value = argv[i];
		}
	}
	if (i == argc)
		return usage_error("run needs a program (an x86-64 or AArch64 Linux executable)");
	int rc = sim_options_check(&o->s);
	if (rc)
		return rc;
	o->argc = argc - i;
	o->argv = argv + i;
	return 0;
}

/* The ELF's machine, to pick the default preset; anything unreadable is
 * left for the loader to explain. */
static int elf_machine(const char *path)
{
	unsigned char h[20];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, h, sizeof h);
	close(fd);
	if (n != (ssize_t)sizeof h || memcmp(h, "\177ELF", 4))
		return -1;
	return h[18] | h[19] << 8;
}

/* Whether the program has PT_INTERP (it needs ld.so and libraries). */
static bool elf_dynamic(const char *path)
{
	Elf64_Ehdr eh;
	bool dyn = false;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	if (pread(fd, &eh, sizeof eh, 0) == (ssize_t)sizeof eh && !memcmp(eh.e_ident, ELFMAG, SELFMAG) &&
	    eh.e_ident[EI_CLASS] == ELFCLASS64 && eh.e_phentsize == sizeof(Elf64_Phdr))
		for (unsigned i = 0; i < eh.e_phnum && i < 1024 && !dyn; i++) {
			Elf64_Phdr ph;
			if (pread(fd, &ph, sizeof ph, (off_t)(eh.e_phoff + i * sizeof ph)) != (ssize_t)sizeof ph)
				break;
			dyn = ph.p_type == PT_INTERP;
		}
	close(fd);
	return dyn;
}

/* The guest's libraries: --sysroot DIR ("none": no sysroot); else, for a
 * dynamically linked program, the host's own / for x86-64 (this host's
 * architecture) and Debian's cross sysroot for AArch64. A static program
 * gets none unless asked: its sandbox stays the root alone. */
static const char *sysroot_for(const char *given, const char *program, enum mmu_arch arch)
{
	if (given)
		return strcmp(given, "none") ? given : NULL;
	if (!elf_dynamic(program))
		return NULL;
#if defined(__x86_64__)
	if (arch == ARCH_X86_64)
		return "/";
#endif
	if (arch == ARCH_AARCH64)
		return "/usr/aarch64-linux-gnu";
	return NULL;
}

static int run_program(struct run_opts *opts);

/* --warm's first run: the whole program, untraced — nothing listens to the
 * kernel yet — with /dev/null for its standard streams (mmusim's notes of
 * it go there too); then the machine starts again keeping what a second
 * run on Linux would find (os_warm_restart). 0, or the exit status to
 * give when the program could not be run at all. */
static int warm_run(struct kernel *k, struct cpu_options co, struct run_opts *o)
{
	char err[512] = "";
	int saved[3] = {-1, -1, -1}, null = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null < 0) {
		fprintf(stderr, "mmusim: --warm: /dev/null: %s\n", strerror(errno));
		return 1;
	}
	fflush(stdout);
	fflush(stderr);
	for (int fd = 0; fd < 3; fd++) {
		saved[fd] = fcntl(fd, F_DUPFD_CLOEXEC, 3);
		dup2(null, fd);
	}
	close(null);
	co.stop = stop_signals_catch();
	struct cpu *c = cpu_create(k, &co, err, sizeof err);
	int status = c ? cpu_run(c, o->argv[0], o->argc, o->argv, o->env, err, sizeof err) : -1;
	cpu_destroy(c);
	int stopped = co.stop ? *co.stop : 0;   /* the signal that stopped it (SIGINT...) */
	stop_signals_release();
	fflush(stdout);
	fflush(stderr);
	for (int fd = 0; fd < 3; fd++) {
		if (saved[fd] >= 0) {
			dup2(saved[fd], fd);
			close(saved[fd]);
		} else {
			close(fd);   /* it was closed */
		}
	}
	if (status < 0) {
		errmsg_print(err);
		return status == -ENOENT ? 127 : 126;
	}
	if (stopped)
		return 128 + stopped;
	if (os_warm_restart(k, err, sizeof err)) {
		fprintf(stderr, "mmusim: --warm: %s\n", err);
		return 1;
	}
	return 0;
}

static int run_with_events(void *ctx, const char *events)
{
	struct run_opts *o = ctx;
	o->s.events = events;
	return run_program(o);
}

int cmd_run(int argc, char **argv)
{
	struct run_opts o = {0};
	int rc = parse_args(argc, argv, &o);
	if (rc)
		return rc;
	if (o.s.view)
		return view_live(&o.s.gui, o.argv[0], run_with_events, &o);
	return run_program(&o);
}

static int run_program(struct run_opts *opts)
{
	struct run_opts o = *opts;
	int rc;
	struct os_config oc;
	os_config_default(&oc);
	if ((rc = machine_personality(o.s.m.personality, &oc)))
		return rc;
	struct cpu_options co = {.mode = CPU_TIMING};
	if (o.mode && !strcmp(o.mode, "functional"))
		co.mode = CPU_FUNCTIONAL;
	else if (o.mode && strcmp(o.mode, "timing"))
		return usage_error("--mode is timing or functional, not '%s'", o.mode);
	if (o.max_insns) {
		char *end;
		errno = 0;
		co.max_insns = strtoull(o.max_insns, &end, 0);
		if (errno || end == o.max_insns || *end || !co.max_insns || o.max_insns[0] == '-')
			return usage_error("--max-insns needs a positive count, not '%s'", o.max_insns);
	}
	unsigned long max_seconds = 0;
	if (o.max_seconds) {
		char *end;
		errno = 0;
		max_seconds = strtoul(o.max_seconds, &end, 10);
		if (errno || end == o.max_seconds || *end || !max_seconds || max_seconds > 86400u * 365 ||
		    o.max_seconds[0] == '-')
			return usage_error("--max-seconds needs a positive whole number of seconds, not '%s'", o.max_seconds);
	}
	const char *program = o.argv[0];
	if (access(program, F_OK)) {
		fprintf(stderr, "mmusim: %s: %s\n", program, strerror(errno));
		return 127;
	}
	char err[512];
	struct preset p;
	if ((rc = machine_load(&o.s.m, elf_machine(program) == 183 /* EM_AARCH64 */ ? ARCH_AARCH64 : ARCH_X86_64, &oc, &p)))
		return rc;
	struct kernel *k = machine_kernel(&p, &oc, o.s.m.root);
	const char *sysroot = k ? sysroot_for(o.sysroot, program, elf_machine(program) == 183 ? ARCH_AARCH64 : ARCH_X86_64) : NULL;
	if (sysroot && os_set_sysroot(k, sysroot, err, sizeof err)) {
		fprintf(stderr, "mmusim: --sysroot %s: %s\n", sysroot, err);
		kernel_destroy(k);
		return 2;
	}
	struct cpu *c = NULL;
	struct eventlog *log = NULL;
	struct recorder *rec = NULL;
	struct outputs outs = {0};
	rc = 2;
	if (!k)
		goto out;
	rc = 1;
	if (o.warm && o.s.record) {   /* a replay starts cold: it would not give the same faults */
		fprintf(stderr, "mmusim: --warm and --record do not go together\n");
		rc = 2;
		goto out;
	}
	if (o.warm && (rc = warm_run(k, co, &o)))   /* before anyone listens */
		goto out;
	rc = 1;
	struct eventlog_info info = {p.name, personality_name(oc.personality), "run", program};
	if (o.s.events && !(log = machine_eventlog(o.s.events, k, &info)))
		goto out;
	if (outputs_start(&outs, &o.s.out, k, &p, &info))
		goto out;
	if (o.s.record) {
		/* What replaying needs besides the trace: the same machine. */
		char comment[1024], cpus[32] = "";
		if (mmu_cpus(kernel_mmu(k)) > 1)
			snprintf(cpus, sizeof cpus, " --cpus %u", mmu_cpus(kernel_mmu(k)));
		snprintf(comment, sizeof comment, "mmusim run --record of %s; replay with --preset %s --personality %s%s%s%s%s%s",
			 program, p.name, personality_name(oc.personality), o.s.m.mem ? " --mem " : "", o.s.m.mem ? o.s.m.mem : "",
			 o.s.m.swap ? " --swap " : "", o.s.m.swap ? o.s.m.swap : "", cpus);
		if (!(rec = recorder_create(o.s.record, k, comment, err, sizeof err))) {
			errmsg_print(err);
			goto out;
		}
	}
	if (o.s.check_tlb && !kernel_check_tlb(k))
		goto out;
	struct fault_printer printer = {stderr, k, color_wanted(o.s.out.color, stderr)};
	if (o.s.faults)
		kernel_subscribe(k, report_fault_event, &printer);
	co.stop = stop_signals_catch();
	if (max_seconds)
		stop_after_seconds((unsigned)max_seconds);
	if (!(c = cpu_create(k, &co, err, sizeof err))) {
		stop_signals_release();
		errmsg_print(err);
		goto out;
	}
	int status = cpu_run(c, program, o.argc, o.argv, o.env, err, sizeof err);
	stop_signals_release();
	if (status < 0) {
		errmsg_print(err);
		rc = status == -ENOENT ? 127 : 126;   /* as a shell says of execve's errors */
		goto out;
	}
	fflush(stdout);
	rc = status;
	if (rec) {
		struct recorder *r = rec;
		rec = NULL;
		if (recorder_finish(r, err, sizeof err)) {
			errmsg_print(err);
			rc = 1;
		}
	}
	/* Each output is finished even if another failed (a name the guest
	 * took): one lost output does not take the others with it. */
	if ((outputs_finish(&outs, &o.s.out, k) | machine_eventlog_finish(&log, k)) || rc == 1) {
		rc = 1;
		goto out;
	}
	if (o.s.stats)
		report_stats(stderr, k);
	if (kernel_stale_tlb_hits(k)) {   /* an invariant broken: the run is not to be trusted */
		fprintf(stderr, "mmusim: --check-tlb: %llu stale TLB hits\n", (unsigned long long)kernel_stale_tlb_hits(k));
		rc = 70;
	}
out:
	recorder_abort(rec);
	outputs_abort(&outs);
	eventlog_abort(log);
	cpu_destroy(c);
	kernel_destroy(k);
	return rc;
}
