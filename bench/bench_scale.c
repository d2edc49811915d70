/* bench_scale: how mmusim's cost and memory grow with the size of what it
 * simulates. Figures, not a test.
 *
 *   resident   N guest pages written once each (N up to 1,048,576: 4 GiB
 *              of 4 KiB pages), the OS model driven directly (os_access,
 *              then the store into the frame; no guest CPU), physical
 *              memory N pages + 64 MiB. Each N runs
 *              in a child process of its own, so its peak RSS
 *              (ru_maxrss) is its own: shown against the guest's resident
 *              size (target: at most guest RSS + 64 MiB).
 *   guest      `mmusim run --mem M GUEST/malloc_touch MIB`: a real program
 *              touching MIB MiB a page at a time (up to 4 GiB = 1 M pages),
 *              Unicorn and the bridge included; peak RSS of the whole
 *              mmusim process against the guest's resident size.
 *   processes  `mmusim run GUEST/fork_loop N`: N processes created, each
 *              writing a page (COW), exiting and reaped, one after another,
 *              on both architectures; CPU time and peak RSS of the whole
 *              mmusim process.
 *   mappings   `mmusim run --mode M GUEST/max_maps N`: N one-page mappings
 *              that do not merge, made one after another (up to 65,000:
 *              Linux's vm.max_map_count is 65,530), both architectures,
 *              both modes; CPU time per mapping.
 * For each, the time per unit at every N: flat means linear growth.
 *
 * usage: bench_scale [--max-pages N] [--max-procs N] [--mmusim PATH]
 *                    [--guest-dir DIR] */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench/clock.h"
#include "os/os.h"
#include "presets/preset.h"
#include "bench/scratch.h"

struct point {
	double seconds;
	long maxrss_kib;
	int ok;
};

/* In the child: touch `pages` pages; the figures go back through fd. */
static void resident_child(uint64_t pages, int fd)
{
	struct point pt = {0};
	struct preset pr;
	char err[512];
	if (preset_load("skylake", &pr, err, sizeof err) == 0) {
		struct os_config oc;
		os_config_default(&oc);
		oc.thp = pr.thp;
		uint64_t page = 1ull << pr.mmu.fmt->page_shift;
		pr.mmu.phys_size = pages * page + (64ull << 20);
		struct kernel *k = kernel_create(&pr.mmu, &oc, err, sizeof err);
		if (k) {
			struct proc *p = kernel_current(k);
			proc_exec(p, 0x7ffff0000000ull, 0x600000);
			int64_t a = os_mmap(p, 0, pages * page, 3, MAPF_PRIVATE | MAPF_ANONYMOUS, -1, 0);
			struct mmu_xlate x;
			double t = now();
			uint64_t done = 0;
			for (uint64_t i = 0; i < pages; i++) {
				done += os_access(k, (uint64_t)a + i * page, ACC_WRITE, &x, NULL) == OUT_RESOLVED;
				/* the guest's store: the frame is a hole until written */
				*(volatile uint8_t *)physmem_ptr(mmu_physmem(kernel_mmu(k)), x.pa, 1) = 1;
			}
			pt.seconds = now() - t;
			struct rusage ru;
			getrusage(RUSAGE_SELF, &ru);
			pt.maxrss_kib = ru.ru_maxrss;
			pt.ok = done == pages;
			kernel_destroy(k);
		}
	}
	if (!pt.ok)
		fprintf(stderr, "bench_scale: %s\n", err[0] ? err : "not every page could be touched");
	_exit(write(fd, &pt, sizeof pt) == sizeof pt ? 0 : 1);
}

static struct point resident(uint64_t pages)
{
	struct point pt = {0};
	int fds[2];
	if (pipe(fds))
		return pt;
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		close(fds[0]);
		resident_child(pages, fds[1]);
	}
	close(fds[1]);
	if (pid < 0 || read(fds[0], &pt, sizeof pt) != sizeof pt)
		pt.ok = 0;
	close(fds[0]);
	if (pid > 0)
		waitpid(pid, NULL, 0);
	return pt;
}

/* `mmusim run [--mem MEM | --mode MODE] GUEST N` as a child: its CPU time and peak RSS. */
static struct point run_guest_opt(const char *mmusim, const char *opt, const char *val, const char *guest, long n)
{
	struct point pt = {0};
	char arg[32];
	snprintf(arg, sizeof arg, "%ld", n);
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {
		if (!freopen("/dev/null", "w", stdout))
			_exit(127);
		if (opt)
			execl(mmusim, mmusim, "run", opt, val, guest, arg, (char *)NULL);
		else
			execl(mmusim, mmusim, "run", guest, arg, (char *)NULL);
		_exit(127);
	}
	int status;
	struct rusage ru;
	if (pid < 0 || wait4(pid, &status, 0, &ru) != pid)
		return pt;
	pt.seconds = (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec * 1e-6 + (double)ru.ru_stime.tv_sec +
		     (double)ru.ru_stime.tv_usec * 1e-6;
	pt.maxrss_kib = ru.ru_maxrss;
	pt.ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
	return pt;
}

static struct point run_guest(const char *mmusim, const char *mem, const char *guest, long n)
{
	return run_guest_opt(mmusim, mem ? "--mem" : NULL, mem, guest, n);
}

static struct point run_mode(const char *mmusim, const char *mode, const char *guest, long n)
{
	return run_guest_opt(mmusim, "--mode", mode, guest, n);
}

int main(int argc, char **argv)
{
	uint64_t max_pages = 1048576;
	long max_procs = 1000;
	const char *mmusim = MMUSIM_BINARY, *guest_dir = MMUSIM_GUEST_DIR;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--max-pages") && i + 1 < argc)
			max_pages = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--max-procs") && i + 1 < argc)
			max_procs = strtol(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--mmusim") && i + 1 < argc)
			mmusim = argv[++i];
		else if (!strcmp(argv[i], "--guest-dir") && i + 1 < argc)
			guest_dir = argv[++i];
		else {
			fprintf(stderr, "usage: bench_scale [--max-pages N] [--max-procs N] [--mmusim PATH] [--guest-dir DIR]\n");
			return 2;
		}
	}
	if (max_pages < 4 || max_procs < 4) {
		fprintf(stderr, "bench_scale: --max-pages and --max-procs must be at least 4\n");
		return 2;
	}
	mmusim = scratch_absolute(mmusim);
	guest_dir = scratch_absolute(guest_dir);
	if (scratch_enter("bench_scale"))
		return 1;
	int bad = 0;
	printf("bench_scale: resident guest pages (skylake, 4 KiB pages, a write to each)\n");
	printf("  %10s %10s %12s %12s %12s %14s\n", "pages", "seconds", "ns/page", "guest MiB", "peak RSS MiB",
	       "RSS - guest");
	for (uint64_t n = max_pages / 4; n <= max_pages; n *= 2) {
		struct point pt = resident(n);
		double guest_mib = (double)n * 4096 / (1 << 20), rss_mib = (double)pt.maxrss_kib / 1024;
		printf("  %10" PRIu64 " %10.3f %12.0f %12.0f %12.0f %14.1f%s\n", n, pt.seconds, pt.seconds * 1e9 / (double)n,
		       guest_mib, rss_mib, rss_mib - guest_mib, pt.ok ? "" : "  FAILED");
		bad |= !pt.ok;
	}
	printf("  target: RSS - guest <= 64 MiB\n\n");
	static const char *const arches[] = {"x86_64", "aarch64"};
	printf("bench_scale: a guest touching memory, `mmusim run --mem M malloc_touch MIB`\n");
	printf("  %-8s %10s %10s %12s %12s %12s %14s\n", "arch", "pages", "seconds", "us/page", "guest MiB",
	       "peak RSS MiB", "RSS - guest");
	for (int a = 0; a < 2; a++) {
		char guest[4096];
		snprintf(guest, sizeof guest, "%s/%s/malloc_touch", guest_dir, arches[a]);
		for (uint64_t n = max_pages / 4; n <= max_pages; n *= 2) {
			long mib = (long)(n / 256);
			char mem[32];
			snprintf(mem, sizeof mem, "%ldM", mib + 128);
			struct point pt = run_guest(mmusim, mem, guest, mib);
			double rss_mib = (double)pt.maxrss_kib / 1024;
			printf("  %-8s %10" PRIu64 " %10.3f %12.2f %12ld %12.0f %14.1f%s\n", arches[a], n, pt.seconds,
			       pt.seconds * 1e6 / (double)n, mib, rss_mib, rss_mib - (double)mib, pt.ok ? "" : "  FAILED");
			bad |= !pt.ok;
		}
	}
	printf("  target: RSS - guest <= 64 MiB\n\n");
	printf("bench_scale: processes, `mmusim run fork_loop N` (each child writes a page and exits)\n");
	printf("  %-8s %8s %10s %12s %12s\n", "arch", "N", "seconds", "ms/process", "peak RSS MiB");
	for (int a = 0; a < 2; a++) {
		char guest[4096];
		snprintf(guest, sizeof guest, "%s/%s/fork_loop", guest_dir, arches[a]);
		for (long n = max_procs / 4; n <= max_procs; n *= 2) {
			struct point pt = run_guest(mmusim, NULL, guest, n);
			printf("  %-8s %8ld %10.3f %12.3f %12.0f%s\n", arches[a], n, pt.seconds, pt.seconds * 1e3 / (double)n,
			       (double)pt.maxrss_kib / 1024, pt.ok ? "" : "  FAILED");
			bad |= !pt.ok;
		}
	}
	printf("\nbench_scale: mappings, `mmusim run --mode M max_maps N` (one-page mappings that do not merge)\n");
	printf("  %-8s %-10s %8s %10s %12s\n", "arch", "mode", "N", "seconds", "us/mapping");
	static const char *const modes[] = {"functional", "timing"};
	static const long maps[] = {8125, 16250, 32500, 65000};
	for (int a = 0; a < 2; a++) {
		char guest[4096];
		snprintf(guest, sizeof guest, "%s/%s/max_maps", guest_dir, arches[a]);
		for (int m = 0; m < 2; m++)
			for (size_t i = 0; i < sizeof maps / sizeof maps[0]; i++) {
				struct point pt = run_mode(mmusim, modes[m], guest, maps[i]);
				printf("  %-8s %-10s %8ld %10.3f %12.2f%s\n", arches[a], modes[m], maps[i], pt.seconds,
				       pt.seconds * 1e6 / (double)maps[i], pt.ok ? "" : "  FAILED");
				bad |= !pt.ok;
			}
	}
	printf("  target: us/mapping flat as N grows (the cost of a mapping does not grow with those there are)\n");
	return bad;
}
