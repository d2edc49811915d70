/* bench_trace: how fast traces are written and read. Writes a trace of 10 M
 * access records over a 64 MiB region (70% strided runs, 30% random, sizes 1
 * to 8, a few pids) to a temporary file with the trace writer, reads it back
 * with trace_next, and prints records per second for both and the file
 * size. A figure, not a test: nothing here asserts a speed.
 *
 * usage: bench_trace [MILLION_RECORDS] [DIR] */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench/clock.h"
#include "traces/traces.h"
#include "bench/workload.h"

int main(int argc, char **argv)
{
	uint64_t n = (argc > 1 ? strtoull(argv[1], NULL, 10) : 10) * 1000000ull;
	const char *dir = argc > 2 ? argv[2] : getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
	const uint64_t base = 0x7f0000000000ull, region = 64ull << 20;
	char path[4096], err[1024];
	snprintf(path, sizeof path, "%s/bench_trace.%ld.jsonl", dir, (long)getpid());

	double t0 = now();
	struct trace_writer *w = trace_create(path, ARCH_X86_64, "bench_trace", err, sizeof err);
	if (!w) {
		fprintf(stderr, "bench_trace: %s\n", err);
		return 1;
	}
	uint64_t wsum = 0;
	struct workload wl = workload_start(region);
	for (uint64_t i = 0; i < n; i++) {
		uint64_t off, x = workload_next(&wl, &off);
		struct trace_rec r = {.pid = -1, .len = 1 + (x >> 8) % 8, .va = base + off};
		r.op = (x & 15) < 9 ? TR_READ : (x & 15) < 14 ? TR_WRITE : TR_FETCH;
		if ((x >> 40) % 64 == 0)
			r.pid = 1 + (int32_t)((x >> 46) % 4);
		wsum += r.va;
		trace_write(w, &r);
	}
	if (trace_finish(w, err, sizeof err)) {
		fprintf(stderr, "bench_trace: %s\n", err);
		return 1;
	}
	double t_write = now() - t0;
	struct stat st;
	stat(path, &st);

	t0 = now();
	struct trace_reader *rd = trace_open(path, err, sizeof err);
	if (!rd) {
		fprintf(stderr, "bench_trace: %s\n", err);
		unlink(path);
		return 1;
	}
	struct trace_rec r;
	uint64_t got = 0, rsum = 0;
	int rc;
	while ((rc = trace_next(rd, &r, err, sizeof err)) == 1) {
		got++;
		rsum += r.va;
	}
	trace_close(rd);
	double t_read = now() - t0;
	unlink(path);
	if (rc < 0) {
		fprintf(stderr, "bench_trace: %s\n", err);
		return 1;
	}

	printf("bench_trace: %" PRIu64 " access records over 64 MiB, %.1f MB file (%.1f bytes/record)\n", n,
	       (double)st.st_size / 1e6, (double)st.st_size / (double)n);
	printf("  write  %8.2f M records/s  %6.1f ns/record  %7.1f MB/s\n", (double)n / t_write / 1e6,
	       t_write * 1e9 / (double)n, (double)st.st_size / t_write / 1e6);
	printf("  read   %8.2f M records/s  %6.1f ns/record  %7.1f MB/s\n", (double)got / t_read / 1e6,
	       t_read * 1e9 / (double)got, (double)st.st_size / t_read / 1e6);
	if (got != n || rsum != wsum) {
		fprintf(stderr, "bench_trace: read back %" PRIu64 " records, wrote %" PRIu64 " (or the addresses differ)\n",
			got, n);
		return 1;
	}
	return 0;
}
