/* bench_replay: replay speed from JSON Lines. Writes a trace of N million
 * accesses over a 64 MiB region (70% strided runs, 30% random, 1 in 8 a
 * write, sizes 1 to 8) for one process, then replays it through the OS
 * model and the MMU on each machine and prints accesses per second. Also
 * prints the parse rate alone, the part of the time that is JSON. A figure,
 * not a test.
 *
 * usage: bench_replay [MILLION_ACCESSES] [DIR] */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "preset.h"
#include "traces.h"
#include "workload.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int write_trace(const char *path, enum mmu_arch arch, uint64_t n)
{
	const uint64_t base = 0x10000000, region = 64ull << 20;
	char err[512];
	struct trace_writer *w = trace_create(path, arch, "bench_replay", err, sizeof err);
	if (!w) {
		fprintf(stderr, "bench_replay: %s\n", err);
		return -1;
	}
	trace_write(w, &(struct trace_rec){.op = TR_EXEC, .pid = -1, .stack_top = 0x7ffff0000000ull});
	trace_write(w, &(struct trace_rec){.op = TR_MMAP, .pid = -1, .va = base, .len = region,
					   .prot = TR_PROT_R | TR_PROT_W | TR_PROT_X,
					   .flags = TR_MAP_PRIVATE | TR_MAP_ANONYMOUS | TR_MAP_FIXED});
	struct workload wl = workload_start(region);
	for (uint64_t i = 0; i < n; i++) {
		uint64_t off, x = workload_next(&wl, &off);
		struct trace_rec r = {.pid = -1, .len = 1 + (x >> 8) % 8, .op = (x & 7) ? TR_READ : TR_WRITE};
		r.va = base + (off & ~7ull);
		trace_write(w, &r);
	}
	return trace_finish(w, err, sizeof err);
}

static void bench(const char *preset, const char *path, uint64_t n)
{
	struct preset p;
	char err[512];
	if (preset_load(preset, &p, err, sizeof err)) {
		fprintf(stderr, "bench_replay: %s\n", err);
		return;
	}
	struct os_config oc;
	os_config_default(&oc);
	struct kernel *k = kernel_create(&p.mmu, &oc, err, sizeof err);
	struct trace_reader *r = trace_open(path, err, sizeof err);
	if (!k || !r) {
		fprintf(stderr, "bench_replay: %s\n", err);
		return;
	}
	struct replay_result res = {0};
	double t0 = now();
	int rc = replay(k, r, path, NULL, &res, err, sizeof err);
	double dt = now() - t0;
	if (rc)
		fprintf(stderr, "bench_replay: %s\n", err);
	struct os_stats st;
	kernel_stats(k, &st);
	printf("  %-11s %7.2f M accesses/s  (%" PRIu64 " accesses in %.2f s, %" PRIu64 " faults)\n", preset,
	       (double)res.accesses / dt / 1e6, res.accesses, dt, st.faults);
	trace_close(r);
	kernel_destroy(k);
	(void)n;
}

static void parse_only(const char *path)
{
	char err[512];
	struct trace_reader *r = trace_open(path, err, sizeof err);
	struct trace_rec rec;
	uint64_t n = 0;
	double t0 = now();
	while (trace_next(r, &rec, err, sizeof err) == 1)
		n++;
	double dt = now() - t0;
	printf("  %-11s %7.2f M records/s  (reading and parsing alone)\n", "parse", (double)n / dt / 1e6);
	trace_close(r);
}

int main(int argc, char **argv)
{
	uint64_t n = (argc > 1 ? strtoull(argv[1], NULL, 10) : 10) * 1000000ull;
	const char *dir = argc > 2 ? argv[2] : "/tmp";
	char path[512];
	const char *presets[2][2] = {{"skylake", NULL}, {"cortex-a76", "apple16k"}};
	for (int a = 0; a < 2; a++) {
		enum mmu_arch arch = a ? ARCH_AARCH64 : ARCH_X86_64;
		snprintf(path, sizeof path, "%s/bench_replay.%d.%d.jsonl", dir, (int)getpid(), a);
		if (write_trace(path, arch, n))
			return 1;
		printf("bench_replay: %" PRIu64 " M accesses over 64 MiB, %s trace\n", n / 1000000, a ? "aarch64" : "x86-64");
		parse_only(path);
		for (int i = 0; i < 2 && presets[a][i]; i++)
			bench(presets[a][i], path, n);
		unlink(path);
	}
	return 0;
}
