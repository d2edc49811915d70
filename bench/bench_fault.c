/* bench_fault: host time per simulated minor page fault, against the same
 * faults taken by this machine's Linux in the same run. A figure, not a
 * test.
 *
 * Two kinds, N pages each (default 65,536 = 256 MiB of 4 KiB pages):
 *   zero-fill  a write to each page of a fresh private anonymous mapping
 *              (mmusim: do_anonymous_page; allocate a zeroed frame, map it)
 *   COW        after fork, the child writes each page the parent had
 *              written (mmusim: wp_copy; copy the frame, remap it)
 * mmusim runs the OS model directly (os_access on the current process: the
 * TLB lookup, the walk, the handler, the PTE writes; no guest CPU), with
 * no event subscribers, per preset. Native runs the same loop with real
 * memory; its time is the whole fault as Linux takes it (trap included).
 * Each mmusim fault is followed by the guest's store that caused it, into
 * the frame: a free frame is a hole in the memfd behind physical memory
 * (zeros, no host memory), so that store is when the host allocates the
 * page, as the native run's fault does.
 * "model" columns: the simulator's part alone (os_access: TLB, walk,
 * handler, PTE writes, the copy), without the host's page allocation.
 * Each figure is the best of --repeat runs, in nanoseconds per fault.
 *
 * usage: bench_fault [--pages N] [--repeat R] [PRESET ...] */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/clock.h"
#include "os/os.h"
#include "presets/preset.h"

struct figures {
	double zero_ns, cow_ns;             /* the whole fault, as the guest sees it */
	double zero_model_ns, cow_model_ns; /* of which the simulator's own work */
};

/* Frames whose host memory was touched before ("warm") or never ("cold":
 * each first use of a frame also takes a host page fault on the memfd
 * behind physical memory, which is the host kernel's time, not ours). */
enum warmth { COLD, WARM };

static void keep_min(double *best, double v)
{
	if (!*best || v < *best)
		*best = v;
}

static void keep_best(struct figures *best, struct figures f)
{
	keep_min(&best->zero_ns, f.zero_ns);
	keep_min(&best->cow_ns, f.cow_ns);
	keep_min(&best->zero_model_ns, f.zero_model_ns);
	keep_min(&best->cow_model_ns, f.cow_model_ns);
}

/* Linux: the child reports its COW time through a pipe. */
static int native(uint64_t pages, struct figures *out)
{
	size_t len = pages * 4096;
	volatile uint8_t *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	madvise((void *)p, len, MADV_NOHUGEPAGE);   /* a fault per 4 KiB page, as the model's */
	double t = now();
	for (size_t off = 0; off < len; off += 4096)
		p[off] = 1;
	out->zero_ns = (now() - t) * 1e9 / (double)pages;
	int fds[2];
	if (pipe(fds))
		return -1;
	pid_t pid = fork();
	if (pid == 0) {
		double t0 = now();
		for (size_t off = 0; off < len; off += 4096)
			p[off] = 2;
		double ns = (now() - t0) * 1e9 / (double)pages;
		_exit(write(fds[1], &ns, sizeof ns) == sizeof ns ? 0 : 1);
	}
	close(fds[1]);
	double ns = 0;
	bool ok = pid > 0 && read(fds[0], &ns, sizeof ns) == sizeof ns;
	close(fds[0]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	munmap((void *)p, len);
	out->cow_ns = ns;
	return ok ? 0 : -1;
}

/* The guest's write that faulted, done once the fault is resolved: the
 * store lands in the frame (and the host backs the page, as it must for
 * the guest's own store through the bridge). */
static void guest_store(struct kernel *k, uint64_t va, uint8_t v)
{
	uint64_t pa;
	if (proc_translate(kernel_current(k), va, &pa))
		*(volatile uint8_t *)physmem_ptr(mmu_physmem(kernel_mmu(k)), pa, 1) = v;
}

/* A write to each of `pages` pages from va, as the guest's: the fault, then
 * the store. ns per page in all, and in os_access alone. */
static void write_each_page(struct kernel *k, uint64_t va, uint64_t pages, uint64_t page, uint8_t v, double *ns,
			    double *model_ns)
{
	struct mmu_xlate x;
	double model_s = 0, t = now();
	for (uint64_t i = 0; i < pages; i++) {
		double t0 = now();
		os_access(k, va + i * page, ACC_WRITE, &x, NULL);
		model_s += now() - t0;
		guest_store(k, va + i * page, v);
	}
	*ns = (now() - t) * 1e9 / (double)pages;
	*model_ns = model_s * 1e9 / (double)pages;
}

static int model(const struct preset *pr, uint64_t pages, struct figures *out)
{
	char err[512];
	struct os_config oc;
	os_config_default(&oc);
	oc.thp = pr->thp;
	struct mmu_config mc = pr->mmu;
	uint64_t page = 1ull << mc.fmt->page_shift;
	if (mc.phys_size < 3 * pages * page)
		mc.phys_size = 3 * pages * page;   /* room for the parent's and the child's copies */
	struct kernel *k = kernel_create(&mc, &oc, err, sizeof err);
	if (!k) {
		fprintf(stderr, "bench_fault: %s\n", err);
		return -1;
	}
	struct proc *parent = kernel_current(k);
	proc_exec(parent, 0x7ffff0000000ull, 0x600000);
	int64_t a = os_mmap(parent, 0, pages * page, 3, MAPF_PRIVATE | MAPF_ANONYMOUS, -1, 0);
	struct os_stats s0, s1;
	kernel_stats(k, &s0);
	write_each_page(k, (uint64_t)a, pages, page, 1, &out->zero_ns, &out->zero_model_ns);
	int ferr = 0;
	struct proc *child = proc_fork(parent, 2, &ferr);
	if (!child) {
		fprintf(stderr, "bench_fault: fork failed (%d)\n", ferr);
		kernel_destroy(k);
		return -1;
	}
	kernel_switch(k, child);
	write_each_page(k, (uint64_t)a, pages, page, 2, &out->cow_ns, &out->cow_model_ns);
	kernel_stats(k, &s1);
	uint64_t zero = s1.by_step[STEP_ANON_PAGE] - s0.by_step[STEP_ANON_PAGE];
	uint64_t cow = s1.by_step[STEP_WP_COPY] - s0.by_step[STEP_WP_COPY];
	kernel_destroy(k);
	if (zero != pages || cow != pages) {
		/* the figure would be of something else */
		fprintf(stderr, "bench_fault: expected %" PRIu64 " zero-fill and COW faults, got %" PRIu64 " and %" PRIu64 "\n",
			pages, zero, cow);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	uint64_t pages = 65536;
	int repeat = 3;
	const char *presets[8];
	int np = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--pages") && i + 1 < argc)
			pages = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--repeat") && i + 1 < argc)
			repeat = atoi(argv[++i]);
		else if (argv[i][0] != '-' && np < 8)
			presets[np++] = argv[i];
		else {
			fprintf(stderr, "usage: bench_fault [--pages N] [--repeat R] [PRESET ...]\n");
			return 2;
		}
	}
	if (!np) {
		presets[np++] = "skylake";
		presets[np++] = "cortex-a76";
	}
	if (!pages || repeat < 1) {
		fprintf(stderr, "bench_fault: --pages and --repeat must be positive\n");
		return 2;
	}
	struct figures nat = {0};
	for (int r = 0; r < repeat; r++) {
		struct figures f;
		if (native(pages, &f)) {
			fprintf(stderr, "bench_fault: the native run failed\n");
			return 1;
		}
		keep_best(&nat, f);
	}
	printf("bench_fault: host ns per minor fault, %" PRIu64 " pages, best of %d (target: under 1000 ns)\n", pages,
	       repeat);
	printf("  %-22s %10s %10s %16s %16s\n", "", "zero-fill", "COW", "zero-fill model", "COW model");
	printf("  %-22s %10.0f %10.0f %16s %16s\n", "Linux (this machine)", nat.zero_ns, nat.cow_ns, "-", "-");
	for (int i = 0; i < np; i++) {
		struct preset pr;
		char err[512];
		if (preset_load(presets[i], &pr, err, sizeof err)) {
			fprintf(stderr, "bench_fault: %s\n", err);
			return 1;
		}
		struct figures best = {0};
		for (int r = 0; r < repeat; r++) {
			struct figures f;
			if (model(&pr, pages, &f))
				return 1;
			keep_best(&best, f);
		}
		char name[64];
		snprintf(name, sizeof name, "mmusim %s", presets[i]);
		printf("  %-22s %10.0f %10.0f %16.0f %16.0f\n", name, best.zero_ns, best.cow_ns, best.zero_model_ns,
		       best.cow_model_ns);
	}
	return 0;
}
