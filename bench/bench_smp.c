/* bench_smp: what several simulated CPUs cost per guest instruction.
 * A figure, not a test (issue 18: "N threads on N CPUs cost no more per
 * guest instruction than one thread").
 *
 * guests/compute_threads shares the same rounds of computation out among
 * T pthreads; it runs in timing mode (skylake for x86-64, cortex-a76 for
 * AArch64, as bench_run), in this process, with 1 thread on --cpus 1 and
 * with T = N threads on --cpus N for N = 2 and 4. Each figure is the best
 * of --repeat whole runs in CPU time of this process; the table shows host
 * ns per guest instruction and its ratio to the 1-thread run. The guest
 * prints the same sum in every run (checked), so each did the same work.
 *
 * usage: bench_smp [--rounds N] [--repeat R] [--arch x86_64|aarch64|both] */
#include "cpu/cpu.h"
#include "os/os.h"
#include "presets/preset.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <unistd.h>


struct smp_result {
	bool ok;
	uint64_t insns;
	double cpu;
	char out[64];
};

static double cpu_seconds(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
	       ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) / 1e6;
}

/* One whole run of the guest with `threads` threads on `cpus` CPUs. */
static bool smp_run(const char *path, bool x86, unsigned cpus, const char *threads, const char *rounds,
		    struct smp_result *res)
{
	char err[512];
	struct preset p;
	if (preset_load(x86 ? "skylake" : "cortex-a76", &p, err, sizeof err)) {
		fprintf(stderr, "bench_smp: %s\n", err);
		return false;
	}
	p.mmu.ncpus = cpus;
	fflush(stdout);
	int saved = dup(STDOUT_FILENO), out = memfd_create("guest-stdout", MFD_CLOEXEC);
	if (saved < 0 || out < 0 || dup2(out, STDOUT_FILENO) < 0) {
		fprintf(stderr, "bench_smp: cannot redirect the guest's output: %s\n", strerror(errno));
		return false;
	}
	double c0 = cpu_seconds();
	struct os_config oc;
	os_config_default(&oc);
	oc.thp = p.thp;
	struct kernel *k = kernel_create(&p.mmu, &oc, err, sizeof err);
	struct cpu_options co = {.mode = CPU_TIMING, .quiet = true};
	struct cpu *c = k ? cpu_create(k, &co, err, sizeof err) : NULL;
	char *const argv[] = {(char *)path, (char *)threads, (char *)rounds, NULL};
	char *const envp[] = {NULL};
	int status = c ? cpu_run(c, path, 3, argv, envp, err, sizeof err) : -1;
	res->insns = c ? cpu_instructions(c) : 0;
	cpu_destroy(c);
	kernel_destroy(k);
	res->cpu = cpu_seconds() - c0;
	dup2(saved, STDOUT_FILENO);
	close(saved);
	ssize_t n = pread(out, res->out, sizeof res->out - 1, 0);
	res->out[n > 0 ? n : 0] = 0;
	close(out);
	res->ok = status == 0;
	if (!res->ok)
		fprintf(stderr, "bench_smp: %s: status %d %s\n", path, status, status < 0 ? err : "");
	return res->ok;
}

static bool best_of(const char *path, bool x86, unsigned cpus, const char *rounds, int repeat,
		    struct smp_result *best)
{
	char threads[8];
	snprintf(threads, sizeof threads, "%u", cpus);
	best->cpu = 1e300;
	for (int i = 0; i < repeat; i++) {
		struct smp_result r = {0};
		if (!smp_run(path, x86, cpus, threads, rounds, &r))
			return false;
		if (r.cpu < best->cpu)
			*best = r;
	}
	return true;
}

static int bench_arch(bool x86, const char *rounds, int repeat)
{
	char path[4096];
	snprintf(path, sizeof path, "%s/%s/compute_threads", MMUSIM_GUEST_DIR, x86 ? "x86_64" : "aarch64");
	printf("%s, timing mode (%s), compute_threads, %s rounds, best of %d\n", x86 ? "x86-64" : "AArch64",
	       x86 ? "skylake" : "cortex-a76", rounds, repeat);
	printf("  %-18s %13s %8s %9s %7s\n", "run", "instructions", "seconds", "ns/insn", "ratio");
	static const unsigned cpus[] = {1, 2, 4};
	double base = 0;
	char first_out[64] = "";
	for (size_t i = 0; i < sizeof cpus / sizeof cpus[0]; i++) {
		struct smp_result r;
		if (!best_of(path, x86, cpus[i], rounds, repeat, &r))
			return 1;
		if (i == 0)
			snprintf(first_out, sizeof first_out, "%s", r.out);
		else if (strcmp(first_out, r.out))
			fprintf(stderr, "bench_smp: the %u-thread run printed another result\n", cpus[i]);
		double ns = r.insns ? r.cpu * 1e9 / (double)r.insns : 0;
		if (i == 0)
			base = ns;
		char label[32];
		snprintf(label, sizeof label, "%u thread%s, --cpus %u", cpus[i], cpus[i] > 1 ? "s" : "", cpus[i]);
		printf("  %-18s %13" PRIu64 " %8.3f %9.3f %7.3f\n", label, r.insns, r.cpu, ns, base ? ns / base : 0);
	}
	return 0;
}

int main(int argc, char **argv)
{
	const char *rounds = "40", *arch = "both";
	int repeat = 3;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--rounds") && i + 1 < argc)
			rounds = argv[++i];
		else if (!strcmp(argv[i], "--repeat") && i + 1 < argc)
			repeat = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--arch") && i + 1 < argc)
			arch = argv[++i];
		else {
			fprintf(stderr, "usage: bench_smp [--rounds N] [--repeat R] [--arch x86_64|aarch64|both]\n");
			return 2;
		}
	}
	if (repeat < 1)
		repeat = 1;
	int rc = 0;
	if (strcmp(arch, "aarch64"))
		rc |= bench_arch(true, rounds, repeat);
	if (strcmp(arch, "x86_64"))
		rc |= bench_arch(false, rounds, repeat);
	return rc;
}
