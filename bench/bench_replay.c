/* bench_replay: replay speed against its ceiling. For each workload (the
 * shared synthetic pattern, bench/workload.h: 70% strided runs, 30%
 * random, 1 in 8 a write, sizes 1 to 8, for one process) over a region of
 * 64 MiB ("wide": most accesses miss the TLBs and walk) and of 64 KiB
 * ("hot": every page stays in the L1 dTLB), writes a trace of N million
 * accesses as JSON Lines and in the binary form, then on each machine
 * measures, in one process:
 *   ceiling  the same accesses made by a bare loop that calls the OS model
 *            and MMU directly (os_access_tlb, else os_access), no trace;
 *   jsonl    mmusim's replay of the JSON Lines trace;
 *   binary   the same of the binary trace;
 * each in accesses per second, the best of R runs (a fresh kernel each),
 * and as a share of the ceiling. Also the decoding rate of each form alone.
 * All three must end with the same fault count (printed). A figure, not a
 * test.
 *
 * With --scale, instead: for each size (million accesses) a trace of the
 * wide workload in both forms, each replayed on skylake in a child process
 * of its own, printing the time, the cost per access (linear growth keeps
 * it flat) and the child's peak resident size (getrusage ru_maxrss) against
 * the guest's resident memory (frames in use): the reader streams.
 *
 * usage: bench_replay [MILLION_ACCESSES [DIR [RUNS]]]
 *        bench_replay --scale DIR MILLION_ACCESSES... */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/clock.h"
#include "presets/preset.h"
#include "traces/traces.h"
#include "bench/workload.h"

#define BASE 0x10000000ull

struct shape {
	const char *name;
	uint64_t region;
};

/* The i-th access of the workload, as the trace holds it. */
static struct trace_rec next_access(struct workload *wl)
{
	uint64_t off, x = workload_next(wl, &off);
	return (struct trace_rec){.pid = -1, .fd = -1, .len = 1 + (x >> 8) % 8, .op = (x & 7) ? TR_READ : TR_WRITE,
				  .va = BASE + (off & ~7ull)};
}

static const struct trace_rec exec_rec = {.op = TR_EXEC, .pid = -1, .fd = -1, .stack_top = 0x7ffff0000000ull};

static struct trace_rec mmap_rec(uint64_t region)
{
	return (struct trace_rec){.op = TR_MMAP, .pid = -1, .fd = -1, .va = BASE, .len = region,
				  .prot = TR_PROT_R | TR_PROT_W | TR_PROT_X,
				  .flags = TR_MAP_PRIVATE | TR_MAP_ANONYMOUS | TR_MAP_FIXED};
}

static int write_trace(const char *path, bool binary, enum mmu_arch arch, const struct shape *sh, uint64_t n)
{
	char err[512];
	struct trace_writer *w = binary ? trace_create_binary(path, arch, "bench_replay", false, err, sizeof err)
					: trace_create(path, arch, "bench_replay", err, sizeof err);
	if (!w) {
		fprintf(stderr, "bench_replay: %s\n", err);
		return -1;
	}
	trace_write(w, &exec_rec);
	struct trace_rec m = mmap_rec(sh->region);
	trace_write(w, &m);
	struct workload wl = workload_start(sh->region);
	for (uint64_t i = 0; i < n; i++) {
		struct trace_rec r = next_access(&wl);
		trace_write(w, &r);
	}
	if (trace_finish(w, err, sizeof err)) {
		fprintf(stderr, "bench_replay: %s\n", err);
		return -1;
	}
	return 0;
}

static struct kernel *machine(const char *preset)
{
	struct preset p;
	char err[512];
	if (preset_load(preset, &p, err, sizeof err)) {
		fprintf(stderr, "bench_replay: %s\n", err);
		return NULL;
	}
	struct os_config oc;
	os_config_default(&oc);
	struct kernel *k = kernel_create(&p.mmu, &oc, err, sizeof err);
	if (!k)
		fprintf(stderr, "bench_replay: %s\n", err);
	return k;
}

struct figure {
	double secs;          /* the best run */
	uint64_t accesses, faults;
};

static void keep_best(struct figure *best, double secs, uint64_t accesses, const struct kernel *k)
{
	struct os_stats st;
	kernel_stats(k, &st);
	if (!best->secs || secs < best->secs)
		*best = (struct figure){secs, accesses, st.faults};
}

/* The ceiling: replay's work on the same accesses without a trace: the
 * calls into the OS model and the MMU alone. The accesses are generated
 * ahead, a cache-sized chunk at a time, outside the timing (the workload's
 * arithmetic is no part of the model); so are exec and mmap. */
static int ceiling_run(const char *preset, const struct shape *sh, uint64_t n, struct figure *best)
{
	struct kernel *k = machine(preset);
	if (!k)
		return -1;
	struct proc *p = kernel_current(k);
	proc_exec(p, exec_rec.stack_top, 0x600000);
	os_mmap(p, BASE, sh->region, TR_PROT_R | TR_PROT_W | TR_PROT_X, MAPF_PRIVATE | MAPF_ANONYMOUS | MAPF_FIXED, -1, 0);
	uint64_t page = 1ull << kernel_format(k)->page_shift, accesses = 0;
	struct workload wl = workload_start(sh->region);
	static struct {
		uint64_t va, end;
		enum mmu_access acc;
	} chunk[4096];
	double secs = 0;
	for (uint64_t done = 0; done < n;) {
		size_t m = n - done < 4096 ? (size_t)(n - done) : 4096;
		for (size_t i = 0; i < m; i++) {
			struct trace_rec r = next_access(&wl);
			chunk[i].va = r.va;
			chunk[i].end = r.va + r.len;
			chunk[i].acc = r.op == TR_READ ? ACC_READ : ACC_WRITE;
		}
		double t0 = now();
		for (size_t i = 0; i < m; i++) {
			/* As replay makes them: one access per page touched. */
			for (uint64_t va = chunk[i].va; va < chunk[i].end; va = (va | (page - 1)) + 1) {
				struct mmu_xlate x;
				accesses++;
				if (!os_access_tlb(k, va, chunk[i].acc))
					os_access(k, va, chunk[i].acc, &x, NULL);
			}
		}
		secs += now() - t0;
		done += m;
	}
	keep_best(best, secs, accesses, k);
	kernel_destroy(k);
	return 0;
}

static int replay_run(const char *preset, const char *path, struct figure *best)
{
	struct kernel *k = machine(preset);
	char err[512];
	struct trace_reader *r = k ? trace_open(path, err, sizeof err) : NULL;
	if (!r) {
		if (k)
			fprintf(stderr, "bench_replay: %s\n", err);
		kernel_destroy(k);
		return -1;
	}
	struct replay_result res = {0};
	double t0 = now();
	int rc = replay(k, r, path, NULL, &res, err, sizeof err);
	double dt = now() - t0;
	if (rc)
		fprintf(stderr, "bench_replay: %s\n", err);
	else
		keep_best(best, dt, res.accesses, k);
	trace_close(r);
	kernel_destroy(k);
	return rc;
}

static double rate(const struct figure *f) { return (double)f->accesses / f->secs / 1e6; }

static void print_figure(const char *what, const struct figure *f, const struct figure *ceiling)
{
	printf("    %-8s %7.2f M accesses/s  %5.1f%% of the ceiling  (%" PRIu64 " accesses in %.3f s, %" PRIu64
	       " faults)\n",
	       what, rate(f), 100.0 * rate(f) / rate(ceiling), f->accesses, f->secs, f->faults);
}

static void bench(const char *preset, const struct shape *sh, const char *jsonl, const char *bin, uint64_t n,
		  int runs)
{
	struct figure ceiling = {0}, fj = {0}, fb = {0};
	for (int i = 0; i < runs; i++)
		if (ceiling_run(preset, sh, n, &ceiling) || replay_run(preset, jsonl, &fj) || replay_run(preset, bin, &fb))
			return;
	printf("  %s, %s (best of %d)\n", preset, sh->name, runs);
	print_figure("ceiling", &ceiling, &ceiling);
	print_figure("jsonl", &fj, &ceiling);
	print_figure("binary", &fb, &ceiling);
}

/* Reading and decoding alone, no replay: records per second. */
static void decode_only(const char *what, const char *path, int runs)
{
	double best = 0;
	uint64_t got = 0;
	for (int i = 0; i < runs; i++) {
		char err[512];
		struct trace_reader *r = trace_open(path, err, sizeof err);
		if (!r) {
			fprintf(stderr, "bench_replay: %s\n", err);
			return;
		}
		struct trace_rec rec;
		uint64_t m = 0;
		double t0 = now();
		while (trace_next(r, &rec, err, sizeof err) == 1)
			m++;
		double dt = now() - t0;
		trace_close(r);
		if (!best || dt < best)
			best = dt, got = m;
	}
	struct stat st;
	stat(path, &st);
	printf("  decode %-7s %7.2f M records/s  (%.1f bytes/record)\n", what, (double)got / best / 1e6,
	       (double)st.st_size / (double)got);
}

/* One replay in a child process: its time and peak memory. */
static void scale_one(const char *path, const char *form, uint64_t n)
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid) {
		int st;
		waitpid(pid, &st, 0);
		return;
	}
	struct kernel *k = machine("skylake");
	char err[512];
	struct trace_reader *r = k ? trace_open(path, err, sizeof err) : NULL;
	if (!r)
		_exit(1);
	struct replay_result res = {0};
	double t0 = now();
	if (replay(k, r, path, NULL, &res, err, sizeof err)) {
		fprintf(stderr, "bench_replay: %s\n", err);
		_exit(1);
	}
	double dt = now() - t0;
	struct os_stats st;
	kernel_stats(k, &st);
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	double guest = (double)((st.frames_total - st.frames_free) << kernel_format(k)->page_shift) / (1 << 20);
	double peak = (double)ru.ru_maxrss / 1024;
	/* Frames the guest never wrote are holes in physical memory: they count
	 * as in use for the guest, and cost the host nothing. */
	printf("  %4" PRIu64 " M  %-6s %7.2f s  %6.1f ns/access  %6.2f M accesses/s  peak RSS %6.1f MiB (guest frames in use "
	       "%5.1f MiB)\n",
	       n / 1000000, form, dt, dt * 1e9 / (double)res.accesses, (double)res.accesses / dt / 1e6, peak, guest);
	fflush(stdout);
	_exit(0);
}

static int scale(int argc, char **argv)
{
	const char *dir = argv[2];
	const struct shape wide = {"wide: 64 MiB", 64ull << 20};
	printf("bench_replay --scale: %s, skylake, one process per replay\n", wide.name);
	for (int i = 3; i < argc; i++) {
		uint64_t n = strtoull(argv[i], NULL, 10) * 1000000ull;
		char jsonl[512], bin[512];
		snprintf(jsonl, sizeof jsonl, "%s/bench_scale.%d.jsonl", dir, (int)getpid());
		snprintf(bin, sizeof bin, "%s/bench_scale.%d.mtr", dir, (int)getpid());
		if (write_trace(jsonl, false, ARCH_X86_64, &wide, n) || write_trace(bin, true, ARCH_X86_64, &wide, n))
			return 1;
		scale_one(jsonl, "jsonl", n);
		scale_one(bin, "binary", n);
		unlink(jsonl);
		unlink(bin);
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 3 && !strcmp(argv[1], "--scale"))
		return scale(argc, argv);
	uint64_t n = (argc > 1 ? strtoull(argv[1], NULL, 10) : 10) * 1000000ull;
	const char *dir = argc > 2 ? argv[2] : "/tmp";
	int runs = argc > 3 ? atoi(argv[3]) : 3;
	if (runs < 1)
		runs = 1;
	const struct shape shapes[] = {{"wide: 64 MiB", 64ull << 20}, {"hot: 64 KiB", 64ull << 10}};
	const char *presets[2][2] = {{"skylake", NULL}, {"cortex-a76", "apple16k"}};
	char jsonl[512], bin[512];
	for (int a = 0; a < 2; a++) {
		enum mmu_arch arch = a ? ARCH_AARCH64 : ARCH_X86_64;
		for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
			snprintf(jsonl, sizeof jsonl, "%s/bench_replay.%d.jsonl", dir, (int)getpid());
			snprintf(bin, sizeof bin, "%s/bench_replay.%d.mtr", dir, (int)getpid());
			if (write_trace(jsonl, false, arch, &shapes[s], n) || write_trace(bin, true, arch, &shapes[s], n))
				return 1;
			printf("bench_replay: %" PRIu64 " M accesses, %s, %s trace\n", n / 1000000, shapes[s].name,
			       mmu_arch_name(arch));
			decode_only("jsonl", jsonl, runs);
			decode_only("binary", bin, runs);
			for (int i = 0; i < 2 && presets[a][i]; i++)
				bench(presets[a][i], &shapes[s], jsonl, bin, n, runs);
			unlink(jsonl);
			unlink(bin);
		}
	}
	return 0;
}
